#!/usr/bin/env bash
# usage: [BASE=NAME] [RUN_AT=REF] [EXPECT_FAIL="TEST..."] [BOOT_ONLY=1] scripts/base-run.sh [LOGDIR]
# Boot the base without the series (or, with RUN_AT, the base's tree at
# REF, such as "series": the base with its series applied), with this
# repo's tlb selftests (tools/testing/selftests/tlb), so that make run
# can set the counts of the base beside those of the series, and make
# stable those of a stable base beside its backports.  The same test
# kernel configuration (options the tree lacks are left out) and the
# same boot as make qemu-test, logs in LOGDIR (default
# build/logs/base-run).
# The selftests that guard the series' changes (EXPECT_FAIL, default
# "hugetlb_unshare exit_lazy": the unshare fix, and the RFC's exit that
# sends lazy CPUs no IPI) must fail on the base, every other one must
# pass; a WARN, BUG or oops, or a run that does not finish, is an error
# too.  BOOT_ONLY=1 boots, as they are, the kernel and initramfs that
# the last base-run built (make run's 8-vCPU boot).  ONLY_SELFTESTS
# (kunit/qemu.conf): each selftest it names must run, and only the
# expected failures among them are expected.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

dir=${1:-$LOGS/base-run}
read -ra expect_fail <<< "${EXPECT_FAIL-hugetlb_unshare exit_lazy}"
read -ra only <<< "${ONLY_SELFTESTS:-}"
if [ ${#only[@]} -gt 0 ]; then
	keep=()
	for f in "${expect_fail[@]}"; do
		[[ " ${only[*]} " != *" $f "* ]] || keep+=("$f")
	done
	expect_fail=("${keep[@]}")
fi
src=$TOP/tools/testing/selftests/tlb
[ -d "$src" ] || die "base-run: $src is missing"

unset KOUT  # the base tree builds in place
at=${RUN_AT:-$BASE_TAG}
[ -d "$KTREE/.git" ] || die "no base tree: run make tree$WITH_BASE first"
commit=$(git -C "$KTREE" rev-parse -q --verify "$at^{commit}") ||
	die "base-run: $KTREE has no commit $at (make tree$WITH_BASE)"
where="on the base" name=base-run
if [ "$at" != "$BASE_TAG" ]; then
	where="at $at" name=run-series
	[ "$commit" = "$at" ] || where="at $at (${commit:0:12})"
fi
initrd=$BUILD/initramfs-base-run.cpio
if [ "${BOOT_ONLY:-}" = 1 ]; then
	wt=$BUILD/$name
	{ [ -f "$wt/arch/x86/boot/bzImage" ] && [ -f "$initrd" ]; } ||
		die "base-run: BOOT_ONLY=1 boots what an earlier base-run built, and there is no $wt/arch/x86/boot/bzImage or $initrd (make base-run)"
	[ "$(git -C "$wt" rev-parse HEAD)" = "$commit" ] ||
		die "base-run: BOOT_ONLY=1: $wt is not at $at, which the last base-run built there (make base-run)"
	stale=$(diff -rq "$src" "$wt/tools/testing/selftests/tlb" 2>&1 |
		grep -vF "Only in $wt/tools/testing/selftests/tlb" || true)
	[ -z "$stale" ] ||
		die "base-run: BOOT_ONLY=1: $src changed since the last base-run built its initramfs (make base-run): $(sed -n 1p <<< "$stale")"
else
	wt=$(worktree_at "$name")
	git -C "$wt" checkout -q --detach "$commit"
	rm -rf "$wt/tools/testing/selftests/tlb"
	mkdir -p "$wt/tools/testing/selftests"
	cp -r "$src" "$wt/tools/testing/selftests/tlb"
	"$TOP/scripts/kernel.sh" "$wt" bzImage
	"$TOP/scripts/initramfs.sh" "$wt" "$initrd"
fi
"$TOP/scripts/boot.sh" "$wt/arch/x86/boot/bzImage" "$initrd" "$dir"
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
for t in "${only[@]}"; do
	grep -qxF "$t" <<< "$ran" || { echo "base-run: $t, named in ONLY_SELFTESTS, did not run $where ($st)" >&2; bad=1; }
done
[ $bad = 0 ] || die "base-run failed; logs in $dir"
if [ ${#expect_fail[@]} -gt 0 ]; then
	step "base-run: ${expect_fail[*]} failed $where as expected, the other selftests passed ($BASE_PKG $BASE_VERSION; $dir)"
else
	step "base-run: every selftest passed $where ($BASE_PKG $BASE_VERSION; $dir)"
fi
