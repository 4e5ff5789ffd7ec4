#!/usr/bin/env bash
# usage: scripts/deps.sh PACKAGE...
# Install the Debian packages a step needs when they are missing.  The
# base kernel source package is installed at the pinned version only.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

[ $# -gt 0 ] || die "usage: scripts/deps.sh PACKAGE..."

# The installed version of a package, or nothing: dpkg-query fails for a
# package dpkg has never seen, which is an answer here, not an error.
installed_version() {
	{ dpkg-query -W -f='${Status} ${Version}\n' "$1" 2> /dev/null || true; } |
		awk '$3 == "installed" { print $4 }'
}

want=()
for pkg in "$@"; do
	v=$(installed_version "$pkg")
	if [ "$pkg" = "$BASE_PKG" ]; then
		[ "$v" = "$BASE_VERSION" ] && continue
		[ -z "$v" ] || step "$BASE_PKG $v is installed; the series needs $BASE_VERSION"
		want+=("$pkg=$BASE_VERSION")
	elif [ -z "$v" ]; then
		want+=("$pkg")
	fi
done
[ ${#want[@]} -gt 0 ] || exit 0

[ "$(id -u)" = 0 ] ||
	die "missing packages: ${want[*]}; run as root, or: apt-get update && apt-get install --allow-downgrades ${want[*]}"
step "installing ${want[*]}"
run_logged "deps: apt-get update" "$LOGS/apt-update.log" apt-get update
log=$LOGS/apt-install.log
for w in "${want[@]}"; do
	case "$w" in
	"$BASE_PKG="*)
		offered=$(apt-cache madison "$BASE_PKG" 2> /dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }')
		grep -qxF "$BASE_VERSION" <<< "$offered" ||
			die "deps: the archive does not offer $BASE_PKG $BASE_VERSION (it offers: $(paste -sd ' ' <<< "${offered:-none}"))" ;;
	*)
		apt-cache show "$w" > /dev/null 2>&1 ||
			die "deps: package $w is not available from the configured archive" ;;
	esac
done
DEBIAN_FRONTEND=noninteractive run_logged "deps: apt-get install ${want[*]}" "$log" \
	apt-get install -y --no-install-recommends --allow-downgrades "${want[@]}"
for w in "${want[@]}"; do
	v=$(installed_version "${w%%=*}")
	case "$w" in
	*=*) [ "$v" = "${w#*=}" ] ;;
	*) [ -n "$v" ] ;;
	esac || die "deps: $w is not installed after apt-get install (found: ${v:-nothing}); see $log"
done
