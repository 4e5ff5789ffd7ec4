#!/usr/bin/env bash
# usage: [BASE=NAME] [RUN_AT=REF] [EXPECT_FAIL="TEST..."] scripts/base-run.sh [LOGDIR]
# Boot the base without the series (or, with RUN_AT, the base's tree at
# REF, such as "series": the base with its series applied), with this
# repo's tlb selftests (tools/testing/selftests/tlb), so that make run
# can set the counts of the base beside those of the series, and make
# stable those of a stable base beside its backports.  The same test
# kernel configuration (options the tree lacks are left out) and the
# same boot as make qemu-test, logs in LOGDIR (default
# build/logs/base-run).
# The selftests that guard the series' fixes (EXPECT_FAIL, default
# hugetlb_unshare) must fail on the base, every other one must pass; a
# WARN, BUG or oops, or a run that does not finish, is an error too.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

dir=${1:-$LOGS/base-run}
read -ra expect_fail <<< "${EXPECT_FAIL-hugetlb_unshare}"
src=$TOP/tools/testing/selftests/tlb
[ -d "$src" ] || die "base-run: $src is missing"

unset KOUT  # the base tree builds in place
at=${RUN_AT:-$BASE_TAG}
where="on the base"
if [ "$at" = "$BASE_TAG" ]; then
	wt=$(worktree_at base-run)
else
	commit=$(git -C "$KTREE" rev-parse -q --verify "$at^{commit}") ||
		die "base-run: $KTREE has no commit $at (make tree$WITH_BASE)"
	where="at $at"
	[ "$commit" = "$at" ] || where="at $at (${commit:0:12})"
	wt=$(worktree_at run-series)
	git -C "$wt" checkout -q --detach "$commit"
fi
rm -rf "$wt/tools/testing/selftests/tlb"
mkdir -p "$wt/tools/testing/selftests"
cp -r "$src" "$wt/tools/testing/selftests/tlb"
"$TOP/scripts/kernel.sh" "$wt" bzImage
"$TOP/scripts/initramfs.sh" "$wt" "$BUILD/initramfs-base-run.cpio"
"$TOP/scripts/boot.sh" "$wt/arch/x86/boot/bzImage" "$BUILD/initramfs-base-run.cpio" "$dir"
# results.sh judges every selftest to pass; here some must fail.  Its
# counts and stats.txt are what is wanted from it.
NO_KUNIT=1 "$TOP/scripts/results.sh" "$dir" "$wt" 2> "$dir/results.log" || true
[ -f "$dir/counts" ] || die "base-run: results.sh wrote no counts ($dir/results.log)"

st=$dir/selftests.log
bad=0
if [ -s "$dir/oops.txt" ]; then
	echo "base-run: the kernel's log ($where) has a WARN, BUG or oops ($dir/console.log):" >&2
	head -5 "$dir/oops.txt" >&2
	bad=1
fi
grep -q 'WORKBENCH done' "$dir/console.log" ||
	{ echo "base-run: the run did not reach its end ($dir/console.log)" >&2; bad=1; }
grep -q 'WORKBENCH selftests end' "$st" ||
	{ echo "base-run: the selftests did not finish ($st)" >&2; bad=1; }
# The serial line ends each line with CR LF.
verdicts=$(tr -d '\r' < "$st" | grep -E '^(not )?ok [0-9]+ selftests: tlb: ' || true)
ran=$(sed -E 's/.* selftests: tlb: ([a-z0-9_]+).*/\1/' <<< "$verdicts")
[ -n "$ran" ] || { echo "base-run: no tlb selftest ran ($st)" >&2; bad=1; }
for t in $ran; do
	want=ok
	for f in "${expect_fail[@]}"; do [ "$f" != "$t" ] || want=fail; done
	got=ok
	grep -qE "^not ok [0-9]+ selftests: tlb: $t( |$)" <<< "$verdicts" && got=fail
	if [ "$want" != "$got" ]; then
		echo "base-run: $t: expected to $([ $want = ok ] && echo pass || echo fail) $where, it did not ($st)" >&2
		bad=1
	fi
done
for f in "${expect_fail[@]}"; do
	grep -qxF "$f" <<< "$ran" || { echo "base-run: $f, expected to fail $where, did not run ($st)" >&2; bad=1; }
done
[ $bad = 0 ] || die "base-run failed; logs in $dir"
if [ ${#expect_fail[@]} -gt 0 ]; then
	step "base-run: ${expect_fail[*]} failed $where as expected, the other selftests passed ($BASE_PKG $BASE_VERSION; $dir)"
else
	step "base-run: every selftest passed $where ($BASE_PKG $BASE_VERSION; $dir)"
fi
