#!/usr/bin/env bash
# usage: scripts/deps.sh PACKAGE...
# Install the Debian packages a step needs when they are missing.  (The
# base kernel source is downloaded at its pinned version by
# base-source.sh, not installed.)
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
	[ -n "$(installed_version "$pkg")" ] || want+=("$pkg")
done
[ ${#want[@]} -gt 0 ] || exit 0

[ "$(id -u)" = 0 ] ||
	die "missing packages: ${want[*]}; run as root, or: apt-get update && apt-get install ${want[*]}"
step "installing ${want[*]}"
run_logged "deps: apt-get update" "$LOGS/apt-update.log" apt-get update
log=$LOGS/apt-install.log
for w in "${want[@]}"; do
	apt-cache show "$w" > /dev/null 2>&1 ||
		die "deps: package $w is not available from the configured archive"
done
DEBIAN_FRONTEND=noninteractive run_logged "deps: apt-get install ${want[*]}" "$log" \
	apt-get install -y --no-install-recommends "${want[@]}"
for w in "${want[@]}"; do
	[ -n "$(installed_version "$w")" ] ||
		die "deps: $w is not installed after apt-get install; see $log"
done
