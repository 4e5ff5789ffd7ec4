#!/usr/bin/env bash
# usage: [BASE=NAME] [FORCE=1] scripts/tree.sh
# Make the base's tree (build/linux; build-NAME/linux for a base other
# than the first of scripts/bases): the base tarball as one commit (tag
# "base"), then its series applied on top with git am (branch "series").  A tree whose
# commits already match patches/ is left alone; one that differs is only
# rebuilt with FORCE=1, so unexported work is never lost silently.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

[ $# -eq 0 ] || die "usage: scripts/tree.sh (no arguments; see the comment at its top)"

if [ ! -d "$KTREE/.git" ]; then
	[ -f "$TARBALL" ] || "$TOP/scripts/base-source.sh"
	[ -f "$TARBALL" ] || die "tree: $TARBALL is missing after base-source.sh"
	need_space "tree: making $KTREE" "$TREE_GIB"
	tmp=$BUILD/linux.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	run_logged "tree: unpacking $TARBALL" "$LOGS/tree-unpack.log" \
		tar -xf "$TARBALL" -C "$tmp" --strip-components=1
	git -C "$tmp" init -q -b series
	git -C "$tmp" config core.autocrlf false
	git -C "$tmp" config gc.auto 0
	run_logged "tree: adding the base tree to git" "$LOGS/tree-add.log" git -C "$tmp" add -f -A .
	GIT_AUTHOR_NAME="Debian kernel team" GIT_AUTHOR_EMAIL="debian-kernel@lists.debian.org" \
	GIT_AUTHOR_DATE="2025-11-14T12:00:00Z" GIT_COMMITTER_DATE="2025-11-14T12:00:00Z" \
	GIT_COMMITTER_NAME="Debian kernel team" GIT_COMMITTER_EMAIL="debian-kernel@lists.debian.org" \
		run_logged "tree: committing the base tree (one commit, byte-identical to the tarball)" \
			"$LOGS/tree-commit.log" git -C "$tmp" commit -q -m "$BASE_SUBJECT"
	git -C "$tmp" tag "$BASE_TAG"
	[ -z "$(git -C "$tmp" status --porcelain --ignored=matching | sed -n 1p)" ] ||
		die "tree: the base commit does not hold every file of $TARBALL"
	local_gitignore "$tmp"
	mv "$tmp" "$KTREE"
fi

cd "$KTREE"
rel=${KTREE#"$TOP"/}
want=$(series_patches | while read -r p; do git patch-id --stable < "$p" | awk '{print $1}'; done)
have=$(git log --reverse -p "$BASE_TAG"..HEAD | git patch-id --stable | awk '{print $1}')
if [ "$want" = "$have" ]; then
	step "$rel already holds the series ($(git rev-list --count "$BASE_TAG"..HEAD) commits)"
	exit 0
fi
if [ "$(git rev-list --count "$BASE_TAG"..HEAD)" != 0 ] && [ "${FORCE:-0}" != 1 ]; then
	die "$rel has commits that differ from ${PATCHES#"$TOP"/}/: run 'make export$WITH_BASE' to keep them, or 'make tree$WITH_BASE FORCE=1' to drop them"
fi
[ -z "$(git status --porcelain --untracked-files=no)" ] || [ "${FORCE:-0}" = 1 ] ||
	die "$rel has uncommitted changes: commit and 'make export$WITH_BASE', or 'make tree$WITH_BASE FORCE=1'"

git checkout -q -f -B series "$BASE_TAG"
patches=$(series_patches)
n=0
while read -r p; do
	[ -n "$p" ] || continue
	am_one "$KTREE" "$p"
	n=$((n + 1))
done <<< "$patches"
step "$rel: base + $n patches, branch series"
