#!/usr/bin/env bash
# usage: [BASE=NAME] scripts/check.sh
# Apply the base's series (patches/, see scripts/bases) with git am to a
# fresh copy of the base (build/check), one patch at a time: checkpatch
# --strict on it, then build the test kernel, the build-only
# configurations and the tlb selftests, so every step of the series
# builds.  Then compare the repo's copies of added files with what the
# series adds, and the W=1 and sparse warnings of the touched files with
# the base's.  A backport series (any base but the first) touches only
# files the test kernel builds and adds none: it gets no build-only
# configuration and no comparison of copies.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

[ $# -eq 0 ] || die "usage: scripts/check.sh (no arguments; see the comment at its top)"

unset KOUT  # every tree here builds in place
wt=$(worktree_at check)
# Build-only configurations (kunit/build-only-*.config), each in a
# worktree of its own that follows the check tree patch by patch.  A
# "# targets:" line names what to build, an optional "# arch: ARCH
# CROSS_COMPILE" line another architecture (default x86_64).
build_only=()
for cfg in "$TOP"/kunit/build-only-*.config; do
	[ -f "$cfg" ] && [ -z "$BACKPORT" ] || continue
	build_only+=("$cfg")
	worktree_at "check-$(basename "$cfg" .config)" > /dev/null
done
fail=0
patches=$(series_patches)
total=$(grep -c . <<< "$patches" || true)
[ "$total" -gt 0 ] || die "${PATCHES#"$TOP"/}/series lists no patch"
series_complete

i=0
while read -r p; do
	i=$((i + 1))
	name=$(basename "$p")
	step "[$i/$total] $name"
	am_one "$wt" "$p"

	# UNKNOWN_COMMIT_ID: the base is a tarball without git history, so
	# checkpatch cannot look up a Fixes: hash; the form is still checked.
	# FILE_PATH_CHANGES ("does MAINTAINERS need updating?") is accepted
	# only when every file the patch adds has a MAINTAINERS section.
	log=$LOGS/checkpatch-$name.log
	(cd "$wt" && ./scripts/checkpatch.pl --strict --ignore UNKNOWN_COMMIT_ID \
		"$p" > "$log" 2>&1) || true
	if grep -q '^WARNING: added, moved or deleted file(s)' "$log"; then
		orphans=$(git -C "$wt" diff --name-only --diff-filter=A HEAD~1 HEAD |
			while read -r f; do
				(cd "$wt" && ./scripts/get_maintainer.pl --no-git \
					--no-git-fallback --sections -f "$f" 2>/dev/null) |
					grep -v -e '^[A-Z]:' -e '^$' | grep -cvx 'THE REST' > /dev/null ||
					echo "$f"
			done)
		if [ -z "$orphans" ]; then
			sed -i '/^WARNING: added, moved or deleted file(s)/s/^WARNING/NOTE (covered by MAINTAINERS)/' "$log"
		fi
	fi
	if grep -qE '^(ERROR|WARNING):' "$log"; then
		grep -E '^(ERROR|WARNING):' "$log" >&2
		echo "check: checkpatch --strict reports errors or warnings for $name ($log)" >&2
		fail=1
	fi
	if grep -q '^CHECK:' "$log" &&
	   ! git -C "$wt" log -1 --format=%B | grep -ci 'checkpatch' > /dev/null; then
		grep '^CHECK:' "$log" >&2
		echo "check: $name keeps checkpatch CHECKs its commit message does not explain ($log)" >&2
		fail=1
	fi

	"$TOP/scripts/kernel.sh" "$wt" bzImage ||
		die "check: the series does not build after $name"
	for cfg in "${build_only[@]}"; do
		bo=$BUILD/check-$(basename "$cfg" .config)
		git -C "$bo" checkout -q --detach "$(git -C "$wt" rev-parse HEAD)"
		read -ra targets < <(sed -n 's/^# targets: //p' "$cfg")
		read -r arch cross < <(sed -n 's/^# arch: //p' "$cfg") || true
		ARCH=${arch:-x86_64} CROSS_COMPILE=${cross:-} EXTRA_CONFIG=$cfg \
			"$TOP/scripts/kernel.sh" "$bo" "${targets[@]}" ||
			die "check: $(basename "$cfg") does not build after $name"
	done
	if [ -d "$wt/tools/testing/selftests/tlb" ]; then
		run_logged "check: building the tlb selftests after $name" "$LOGS/check-selftests.log" \
			make -C "$wt/tools/testing/selftests/tlb" LDFLAGS=-static \
				KHDR_INCLUDES="-isystem $wt/usr/include"
	fi
done <<< "$patches"

# The repo's copies of the files the series adds.
if [ -z "$BACKPORT" ]; then
	step "comparing the repo's copies of added files with the series"
	mirror_list=$(mktemp)
	trap 'rm -f "$mirror_list"' EXIT
	git -C "$wt" diff --name-only --diff-filter=A "$BASE_TAG"..HEAD | while read -r f; do
		m=$(mirror_path "$f")
		[ -n "$m" ] || continue
		echo "$m" >> "$mirror_list"
		if ! git -C "$wt" show "HEAD:$f" | cmp -s - "$TOP/$m"; then
			echo "check: $m differs from $f as the series adds it (make export)" >&2
			echo 1 > "$mirror_list.fail"
		fi
	done
	for d in $MIRROR_DIRS; do
		[ -d "$TOP/$d" ] || { echo "check: the folder $d/ is missing" >&2; fail=1; continue; }
		while IFS= read -r -d '' f; do
			rel=${f#"$TOP"/}
			[ "$(basename "$rel")" = README.md ] && continue
			grep -qxF "$rel" "$mirror_list" || { echo "check: $rel is not a file the series adds" >&2; fail=1; }
		done < <(find "$TOP/$d" -type f -print0)
		if ! grep -q "^$d/" "$mirror_list" && [ ! -f "$TOP/$d/README.md" ]; then
			echo "check: $d/ gets no file from the series and has no README.md" >&2
			fail=1
		fi
	done
	[ ! -f "$mirror_list.fail" ] || { rm -f "$mirror_list.fail"; fail=1; }
fi

# No new W=1 or sparse warning in the C files the series touches.
"$TOP/scripts/warnings.sh" "$wt" || fail=1

[ $fail = 0 ] || die "check failed"
step "check: $total patches of ${PATCHES#"$TOP"/}/ apply with git am, pass checkpatch --strict and build one by one"
