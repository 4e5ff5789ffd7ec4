#!/usr/bin/env bash
# usage: [BASE=NAME] [COVER=FILE] scripts/export.sh
# Write the commits of the base's tree (build/linux; base..HEAD) back to
# its series folder (patches/, see scripts/bases) with git format-patch
# ([$SUBJECT_PREFIX]), keep the cover letter's subject and blurb (or
# take them from COVER: the subject on its first line, the blurb after
# the blank line that follows), refresh its Cc list (get_maintainer.pl)
# and the repo's copies of the files the series adds.  A backport series
# (any base but the first) has no cover letter and adds no file the repo
# mirrors.  Refuses, leaving the folder untouched, when the tree has
# uncommitted changes or anything goes wrong before the final swap.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

[ $# -eq 0 ] || die "usage: scripts/export.sh (no arguments; see the comment at its top)"

[ -d "$KTREE/.git" ] || die "no kernel tree: run make tree$WITH_BASE first"
# COVER is relative to where the export was started, not to the tree.
if [ -n "${COVER:-}" ]; then
	[ -f "$COVER" ] || die "export: COVER=$COVER is not a file; ${PATCHES#"$TOP"/}/ left as it is"
	COVER=$(realpath "$COVER")
fi
out=${PATCHES#"$TOP"/}/
cd "$KTREE"
dirty=$(git status --porcelain | sed -n '1,20p')
[ -z "$dirty" ] || die "$KTREE has uncommitted changes; commit or drop them first, $out left as it is:
$dirty"
n=$(git rev-list --count "$BASE_TAG"..HEAD)
[ "$n" -gt 0 ] || die "$KTREE has no commits on top of the base; $out left as it is"
[ -z "$BACKPORT" ] || [ -z "${COVER:-}" ] || die "export: a backport series ($BASE) has no cover letter; $out left as it is"

tmp=$(mktemp -d "$BUILD/export.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
step "format-patch: $n commits"
cover_opt=--cover-letter
[ -z "$BACKPORT" ] || cover_opt=--no-cover-letter
git format-patch -q --zero-commit $cover_opt --subject-prefix="$SUBJECT_PREFIX" \
	-o "$tmp" "$BASE_TAG"..HEAD
cover=$tmp/0000-cover-letter.patch
if [ -z "$BACKPORT" ]; then
	# The subject and blurb: from COVER, or as written in the old cover letter.
	old=$PATCHES/0000-cover-letter.patch
	subject=
	if [ -n "${COVER:-}" ]; then
		[ -f "$COVER" ] || die "export: COVER=$COVER is not a file; $out left as it is"
		subject=$(sed -n 1p "$COVER")
		sed 1,2d "$COVER" > "$tmp/blurb"
	elif [ -f "$old" ]; then
		subject=$(sed -n 's/^Subject: \[PATCH[^]]*\] //p' "$old")
		awk '
			!hdr && /^$/ { hdr = 1; next }
			hdr && /^[^ ].* \([0-9]+\):$/ { exit }
			hdr { print }' "$old" > "$tmp/blurb"
	fi
	if [ -n "$subject" ]; then
		python3 - "$cover" "$subject" "$tmp/blurb" <<'PY'
import sys
path, subject, blurb = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().rstrip('\n')
text = open(path).read()
text = text.replace('*** SUBJECT HERE ***', subject, 1)
text = text.replace('*** BLURB HERE ***\n', blurb + '\n', 1)
open(path, 'w').write(text)
PY
	fi

	# Cc: the maintainers and lists get_maintainer.pl names for the series.
	cc=$(./scripts/get_maintainer.pl --no-rolestats --no-git --no-git-fallback \
		"$tmp"/0*.patch 2>/dev/null | grep -v '^$' | grep -v '^0000' | grep -v 'cover-letter' || true)
	if [ -n "$cc" ]; then
		python3 - "$cover" <<PY
import sys
path = sys.argv[1]
cc = """$cc""".strip().splitlines()
text = open(path).read()
head, sep, body = text.partition('\n\n')
head = '\n'.join(l for l in head.splitlines() if not l.startswith('Cc: '))
head += '\n' + '\n'.join('Cc: ' + c for c in cc)
open(path, 'w').write(head + sep + body)
PY
	fi
fi

# Every commit became one patch, and they apply in order.
[ "$(find "$tmp" -name '0*.patch' ! -name '0000-*' | wc -l)" = "$n" ] ||
	die "format-patch wrote an unexpected number of patches; $out left as it is"
(cd "$tmp" && find . -name '0*.patch' ! -name '0000-*' -printf '%f\n' | LC_ALL=C sort) > "$tmp/series"

# Copies of the files the series adds, staged beside the patches.
mkdir -p "$tmp/mirror"
[ -n "$BACKPORT" ] || git diff --name-only --diff-filter=A "$BASE_TAG"..HEAD | while read -r f; do
	m=$(mirror_path "$f")
	[ -n "$m" ] || continue
	mkdir -p "$tmp/mirror/$(dirname "$m")"
	git show "HEAD:$f" > "$tmp/mirror/$m"
done

# The swap: nothing above touched the repo.
mkdir -p "$PATCHES"
rm -f "$PATCHES"/0*.patch
cp "$tmp"/0*.patch "$tmp/series" "$PATCHES/"
[ -n "$BACKPORT" ] || for d in $MIRROR_DIRS; do
	[ -d "$TOP/$d" ] || continue
	find "$TOP/$d" -type f ! -name README.md -delete
done
(cd "$tmp/mirror" && find . -type f -print0 | while IFS= read -r -d '' f; do
	mkdir -p "$TOP/$(dirname "$f")"
	cp "$f" "$TOP/$f"
done)
if [ -z "$BACKPORT" ]; then
	step "$out: cover letter + $n patches; added-file copies refreshed"
else
	step "$out: $n patch(es), no cover letter"
fi
