#!/usr/bin/env bash
# usage: scripts/space.sh GIB WHAT
# Stop before WHAT starts unless the build folders of this clone (build/,
# build-NAME/) and the free space of their file system hold GIB GiB
# together: WHAT on a clean clone takes that much at most (README), and
# what an earlier run left in these folders is reused, not added to.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

if [ $# -ne 2 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
	die "usage: scripts/space.sh GIB WHAT"
fi
gib=$1 what=$2
held=0
for d in "$TOP"/build "$TOP"/build-*/; do
	[ -d "$d" ] || continue
	held=$((held + $(du -sk "$d" | cut -f1)))
done
held=$((held / 1048576))
[ "$held" -lt "$gib" ] || exit 0
need_space "$what (about $gib GiB in all, of which its build folders hold $held GiB)" $((gib - held))
