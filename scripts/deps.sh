#!/usr/bin/env bash
# usage: scripts/deps.sh PACKAGE...
# Install the Debian packages a step needs when they are missing.  The
# base kernel source package is installed at the pinned version only.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

[ $# -gt 0 ] || die "usage: scripts/deps.sh PACKAGE..."

installed_version() {
	dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null |
		awk '$3 == "installed" { print $4 }'
}

want=()
for pkg in "$@"; do
	if [ "$pkg" = "$BASE_PKG" ]; then
		v=$(installed_version "$pkg")
		[ "$v" = "$BASE_VERSION" ] && continue
		want+=("$pkg=$BASE_VERSION")
	elif [ -z "$(installed_version "$pkg")" ]; then
		want+=("$pkg")
	fi
done
[ ${#want[@]} -gt 0 ] || exit 0

[ "$(id -u)" = 0 ] || die "missing packages: ${want[*]}; run as root, or: apt-get install ${want[*]}"
step "installing ${want[*]}"
log=$LOGS/apt.log
run_logged "apt-get update" "$log" apt-get update
for w in "${want[@]}"; do
	case "$w" in
	"$BASE_PKG="*)
		if ! apt-cache madison "$BASE_PKG" | awk '{ print $3 }' | grep -qxF "$BASE_VERSION"; then
			offered=$(apt-cache madison "$BASE_PKG" | awk '{ print $3 }' | tr '\n' ' ')
			die "the archive does not offer $BASE_PKG $BASE_VERSION (it offers: ${offered:-none})"
		fi ;;
	*)
		apt-cache show "$w" > /dev/null 2>&1 || die "package $w is not available from the configured archive" ;;
	esac
done
DEBIAN_FRONTEND=noninteractive run_logged "apt-get install ${want[*]}" "$log" \
	apt-get install -y --no-install-recommends --allow-downgrades "${want[@]}"
