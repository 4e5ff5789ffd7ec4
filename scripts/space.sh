#!/usr/bin/env bash
# usage: scripts/space.sh GIB WHAT
# Stop before WHAT starts unless what the build folders of this clone
# (build/, build-NAME/) hold and the free space of build/'s file system
# come to GIB GiB: what WHAT takes on a clean clone (README).  What an
# earlier run left there is reused, not added to (counted even if one of
# the folders is on another file system).  Asks for 1 GiB at least.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

if [ $# -ne 2 ] || ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
	die "usage: scripts/space.sh GIB WHAT"
fi
gib=$1 what=$2
shopt -s nullglob
# A file that vanishes or cannot be read while du counts is no error.
held=$(du -csk -- "$BUILD"/ "$TOP"/build-*/ 2> /dev/null |
	awk 'END { print int($1 / 1048576) }') || true
need=$((gib - ${held:-0}))
[ "$need" -ge 1 ] || need=1
need_space "$what (about $gib GiB in all, ${held:-0} GiB of it in its build folders already)" "$need"
