# shellcheck shell=bash disable=SC2034
# Sourced by the workbench scripts: paths, the pinned base, messages.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
KTREE=${KTREE:-$BUILD/linux}
LOGS=$BUILD/logs
BASE_PKG=linux-source-6.12
BASE_VERSION=6.12.117-1~deb12u1
TARBALL=/usr/src/linux-source-6.12.tar.xz
BASE_TAG=base

export CCACHE_DIR=${CCACHE_DIR:-$BUILD/ccache}
export CCACHE_NOHASHDIR=true
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# Committer of the commits the tree gets: the repo's git identity.
GIT_COMMITTER_NAME=$(git -C "$TOP" config user.name 2>/dev/null || echo "TLB workbench")
GIT_COMMITTER_EMAIL=$(git -C "$TOP" config user.email 2>/dev/null || echo "workbench@localhost")
export GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL

mkdir -p "$LOGS"

step() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# series_patches: the patch files in series order, one path a line.
series_patches() {
	local p
	[ -f "$TOP/patches/series" ] || die "patches/series is missing"
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		[ -f "$TOP/patches/$p" ] || die "patches/series names $p, which is not in patches/"
		printf '%s\n' "$TOP/patches/$p"
	done < "$TOP/patches/series"
}

# run_logged STEP LOG CMD...: run CMD with its output in LOG; on failure
# show the log's tail and name the step and the log.
run_logged() {
	local what=$1 log=$2
	shift 2
	if ! "$@" > "$log" 2>&1; then
		tail -n 25 "$log" >&2
		die "$what failed; full log: $log"
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

# worktree_at NAME: build/NAME, a worktree of build/linux holding a fresh
# copy of the base (build outputs kept, so builds stay incremental).
worktree_at() {
	local wt=$BUILD/$1
	[ -d "$KTREE/.git" ] || die "no base tree: run make tree first"
	if [ ! -e "$wt/.git" ]; then
		git -C "$KTREE" worktree prune
		git -C "$KTREE" worktree add -q -f --detach "$wt" "$BASE_TAG" ||
			die "cannot create the worktree $wt"
		local_gitignore "$wt"
	fi
	git -C "$wt" am --abort > /dev/null 2>&1 || true
	git -C "$wt" checkout -q -f --detach "$BASE_TAG"
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
