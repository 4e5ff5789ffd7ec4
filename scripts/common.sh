# shellcheck shell=bash disable=SC2034
# Sourced by the workbench scripts: paths, the pinned base, messages.
set -Eeuo pipefail
shopt -s inherit_errexit
# No script stops without saying where: a command that fails outside
# die() (which says why itself) names the file, the function and the
# line.  Only the script's own shell reports: a failure inside $(...)
# ends that subshell and shows as the failure of the command using it.
on_err() {
	local rc=$1 line=$2 file=${BASH_SOURCE[1]##*/} fn=${FUNCNAME[1]:-main}
	[ "$BASH_SUBSHELL" = 0 ] || return 0
	if [ "$file" = "${0##*/}" ] && [ "$fn" = main ]; then
		printf 'error: %s, line %s: "%s" failed (exit %s)\n' "$file" "$line" "$BASH_COMMAND" "$rc" >&2
	else
		printf 'error: %s: %s, line %s (in %s): "%s" failed (exit %s)\n' \
			"${0##*/}" "$file" "$line" "$fn" "$BASH_COMMAND" "$rc" >&2
	fi
}
trap 'on_err $? $LINENO' ERR

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The base and its series: one row of scripts/bases, chosen by BASE.
BASES=${WB_BASES:-$TOP/scripts/bases}
# base_names: the NAME of every row, in order; the first is the default.
base_names() { awk '!/^#/ && NF { print $1 }' "$BASES"; }
BASE_DEFAULT=$(base_names | sed -n 1p)
BASE=${BASE:-$BASE_DEFAULT}
base_row=$(awk -v b="$BASE" '!/^#/ && $1 == b' "$BASES")
# The last field, the subject prefix, takes the rest of the row.
read -r _ BASE_PKG BASE_VERSION BASE_SUITE base_series SUBJECT_PREFIX <<< "$base_row"
if [ -z "$SUBJECT_PREFIX" ]; then
	printf 'error: BASE=%s is not a complete row of %s (bases there: %s)\n' "$BASE" "$BASES" \
		"$(base_names | paste -sd ' ')" >&2
	exit 1
fi
PATCHES=$TOP/$base_series
if [ "$BASE" = "$BASE_DEFAULT" ]; then
	build_default=$TOP/build
else
	build_default=$TOP/build-$BASE
fi
BUILD=$(mkdir -p "${BUILD:-$build_default}" && cd "${BUILD:-$build_default}" && pwd)
# A backport series (any base but the first): set to 1.  WITH_BASE: the
# make argument that names the base, for the commands messages suggest.
BACKPORT= WITH_BASE=
[ "$BASE" = "$BASE_DEFAULT" ] || BACKPORT=1 WITH_BASE=" BASE=$BASE"
# The workbench's own tree (make tree); a KTREE given to make names a
# user's tree for kernel, qemu-test and run only, passed as an argument.
KTREE=$BUILD/linux
LOGS=$BUILD/logs
BASE_KEYRING=${BASE_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
# The downloaded base package outlives the clone, like the ccache below.
DEB_CACHE=${DEB_CACHE:-${XDG_CACHE_HOME:-${HOME:-$BUILD}/.cache}/x86-lazy-tlb-workbench/debs}
# WB_TARBALL: another tarball in its place, for the workbench's tests.
TARBALL=${WB_TARBALL:-$BUILD/base/$BASE_PKG.tar.xz}
BASE_TAG=base
BASE_SUBJECT="Base: Debian $BASE_PKG $BASE_VERSION"

# The compiler cache outlives the clone (a fresh clone, CI's included,
# starts warm): by default the workbench's own, bounded to 5 GiB, in
# the XDG cache folder; a CCACHE_DIR of yours is used with its own
# settings.  Paths below the clone are hashed relative to it, so
# another clone's objects hit.
if [ -z "${CCACHE_DIR:-}" ]; then
	case "${XDG_CACHE_HOME:-}" in
	/*) cache_home=$XDG_CACHE_HOME ;;
	*) cache_home=${HOME:+$HOME/.cache} ;;
	esac
	CCACHE_DIR=${cache_home:-$BUILD}/x86-lazy-tlb-workbench/ccache
	export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
fi
export CCACHE_DIR
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$TOP}
export CCACHE_NOHASHDIR=true
# Committer of the commits the tree gets: the repo's git identity.
GIT_COMMITTER_NAME=$(git -C "$TOP" config user.name 2>/dev/null || echo "TLB workbench")
GIT_COMMITTER_EMAIL=$(git -C "$TOP" config user.email 2>/dev/null || echo "workbench@localhost")
export GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
# The builds are the workbench's to direct: O= and the toolchain come
# from its own arguments (kernel.sh), never from the caller's shell.
unset KBUILD_OUTPUT LLVM

mkdir -p "$LOGS"

step() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# series_patches: the patch files in series order, one path a line.
series_patches() {
	local p
	local rel=${PATCHES#"$TOP"/}
	[ -f "$PATCHES/series" ] || die "$rel/series is missing"
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		[ -f "$PATCHES/$p" ] || die "$rel/series names $p, which is not in $rel/"
		printf '%s\n' "$PATCHES/$p"
	done < "$PATCHES/series"
}

# backport_bases: the bases of scripts/bases but the first, one a line.
backport_bases() { base_names | sed 1d; }

# series_complete: patches on disk but not in series are a broken export.
series_complete() {
	local extra
	extra=$(cd "$PATCHES" && for p in 0*.patch; do
		case "$p" in 0000-*) continue ;; esac
		grep -qxF "$p" series || echo "$p"
	done)
	[ -z "$extra" ] || die "${PATCHES#"$TOP"/}/ holds patches that its series file does not list: $extra"
}

# progress_start STEP LOG: from now on, every PROGRESS_INTERVAL seconds
# (30), print a line with the time STEP has taken, the objects a kbuild
# log shows built and the log's last line; progress_stop ends it.  The
# ticker stops by itself when the script is gone, and takes its sleep
# with it (a sleep left behind would hold the caller's pipes open).
progress_start() {
	local what=$1 log=$2 start=$SECONDS n last
	(
		nap=
		trap '[ -z "$nap" ] || kill "$nap" 2> /dev/null; exit 0' TERM
		while :; do
			sleep "${PROGRESS_INTERVAL:-30}" > /dev/null 2>&1 &
			nap=$!
			wait "$nap" || true
			kill -0 $$ 2> /dev/null || exit 0
			n=$(grep -cE '^  (CC|AS|LD|AR|HOSTCC|HOSTLD|OBJCOPY) ' "$log" 2> /dev/null) || true
			last=$(tail -n 1 "$log" 2> /dev/null | tr -d '\r' | cut -c1-90) || true
			printf '    ... %s: %ds%s; %s\n' "$what" $((SECONDS - start)) \
				"$([ "${n:-0}" = 0 ] || echo ", $n objects built")" "${last:-no output yet}" >&2
		done
	) &
	PROGRESS_PID=$!
}
progress_stop() {
	[ -n "${PROGRESS_PID:-}" ] || return 0
	kill "$PROGRESS_PID" 2> /dev/null || true
	wait "$PROGRESS_PID" 2> /dev/null || true
	PROGRESS_PID=
}

# run_logged STEP LOG CMD...: run CMD with its output in LOG and a
# progress line every 30 s; on failure show its error lines and the
# log's tail, and name the step and the log.
run_logged() {
	local what=$1 log=$2 rc=0
	shift 2
	progress_start "$what" "$log"
	"$@" > "$log" 2>&1 || rc=$?
	progress_stop
	if [ $rc != 0 ]; then
		grep -m 20 -E ': (fatal )?error:|undefined reference|^ERROR:|^E: |syntax error|No such file' "$log" >&2 || true
		echo "--- last lines of $log:" >&2
		tail -n 12 "$log" >&2
		die "$what failed (exit $rc); full log: $log"
	fi
}

# local_gitignore TREE: the Debian tarball's top-level .gitignore ignores
# every top-level path ("/*"), so new files could not be added.  Drop
# those two lines in the work tree only and hide the edit from git, so
# the base commit stays byte-identical to the tarball.
local_gitignore() {
	sed -i -e '/^\/\*$/d' -e '/^!\/debian\/$/d' "$1/.gitignore"
	git -C "$1" update-index --skip-worktree .gitignore
}

# mirror_path KERNEL_PATH: where a file the series adds to the kernel
# stands in this repo; nothing for paths the repo does not mirror.
mirror_path() {
	case "$1" in
	arch/x86/mm/*) echo "arch-x86-mm/${1#arch/x86/mm/}" ;;
	include/asm-generic/*) echo "include-asm-generic/${1#include/asm-generic/}" ;;
	mm/*) echo "$1" ;;
	tools/testing/selftests/tlb/*) echo "$1" ;;
	Documentation/*) echo "$1" ;;
	esac
}
MIRROR_DIRS="arch-x86-mm include-asm-generic mm tools/testing/selftests/tlb Documentation"

# need_space WHAT GIB: stop before WHAT unless the file system of build/
# has GIB GiB free: a full disk would otherwise show half-way through a
# long run, as a failed checkout or build.
need_space() {
	local what=$1 gib=$2 avail
	avail=$(df -Pk -- "$BUILD" | awk 'NR == 2 { print $4 }')
	[ "$avail" -lt $((gib * 1048576)) ] || return 0
	die "$what: needs $gib GiB free for $BUILD, whose file system has $(awk -v k="$avail" \
		'BEGIN { printf "%.1f", k / 1048576 }') GiB free (df -h '$BUILD'); free some, such as the build folders of clones you are done with (make clean there)"
}
# What a tree (tree.sh: the source, its git objects and a test kernel)
# and a worktree of it (the source and a test kernel) take at most, 7.3's
# with some room to spare: 2.7 and 2.0 GiB measured.
TREE_GIB=4
WORKTREE_GIB=3

# worktree_at NAME: build/NAME, a worktree of build/linux holding a fresh
# copy of the base (build outputs kept, so builds stay incremental).
worktree_at() {
	local wt=$BUILD/$1
	[ -d "$KTREE/.git" ] || die "no base tree: run make tree$WITH_BASE first"
	if [ ! -e "$wt/.git" ]; then
		need_space "creating the worktree $wt" "$WORKTREE_GIB"
		git -C "$KTREE" worktree prune
		run_logged "creating the worktree $wt" "$LOGS/worktree-$1.log" \
			git -C "$KTREE" worktree add -f --detach "$wt" "$BASE_TAG"
		local_gitignore "$wt"
	fi
	git -C "$wt" am --abort > /dev/null 2>&1 || true
	git -C "$wt" checkout -q -f --detach "$BASE_TAG" || die "cannot reset the worktree $wt to $BASE_TAG"
	git -C "$wt" clean -q -fd
	echo "$wt"
}

# am_one TREE PATCH: apply one patch of the series with git am.
am_one() {
	if ! git -C "$1" am -q --committer-date-is-author-date "$2" > "$LOGS/am.log" 2>&1; then
		cat "$LOGS/am.log" >&2
		git -C "$1" am --abort > /dev/null 2>&1 || true
		die "patch $(basename "$2") does not apply with git am (log: $LOGS/am.log)"
	fi
}
