#!/usr/bin/env bats
# scripts/base-run.sh (its verdict on a boot of the base) and
# scripts/report.sh --base.  The build and the boot are stubbed: the
# stub boot writes the logs a test asks for.

load helpers

setup() {
	setup_workbench
	fake_tarball
	one_patch_tree
	mkdir -p "$WB/tools/testing/selftests/tlb"
	echo 'int main(void) { return 0; }' > "$WB/tools/testing/selftests/tlb/t.c"
	printf '#!/bin/sh\nexit 0\n' > "$WB/scripts/kernel.sh"
	printf '#!/bin/sh\ntouch "$2"\n' > "$WB/scripts/initramfs.sh"
	# The stub boot: console.log and selftests.log from $STUB.
	printf '#!/bin/sh\nmkdir -p "$3"\ncp "$STUB/console.log" "$STUB/selftests.log" "$3/"\n' \
		> "$WB/scripts/boot.sh"
	chmod +x "$WB/scripts/kernel.sh" "$WB/scripts/initramfs.sh" "$WB/scripts/boot.sh"
	printf '%s\n' '[    1.0] Linux version 7.3.4' 'WORKBENCH done' > "$STUB/console.log"
}

# boot_log VERDICT...: the base's selftests.log, "ok"/"not ok" for
# exit_lazy and hugetlb_unshare in turn, with a lazy-CPU line each.
boot_log() {
	{
		printf '%s\n' 'WORKBENCH kunit begin' 'KTAP version 1' '1..0' 'WORKBENCH kunit end' \
			'WORKBENCH selftests begin: 4 CPUs'
		echo 'STATS exit_lazy before TLB: 1 2 3 4 TLB shootdowns'
		echo '# #  RUN           exit_lazy.pages_1.exit_frees_tables ...'
		echo '# # exit: CPU 3 stayed lazy in 20 rounds and got a TLB shootdown in 20'
		echo "# $1 1 exit_lazy.pages_1.exit_frees_tables"
		echo "$1 1 selftests: tlb: exit_lazy"
		echo 'STATS exit_lazy after TLB: 1 2 3 24 TLB shootdowns'
		echo '# #  RUN           hugetlb_unshare.munmap_2.unshare_while_lazy ...'
		echo '# # munmap: CPU 3 stayed lazy in 10 rounds and got a TLB shootdown in 0'
		echo "# $2 1 hugetlb_unshare.munmap_2.unshare_while_lazy"
		echo '# #  RUN           hugetlb_unshare.munmap_4.unshare_while_lazy ...'
		echo '# # hugetlb_unshare.c:297:unshare_while_lazy:round 2: lazy CPU 3 received no TLB shootdown'
		echo "# $2 2 hugetlb_unshare.munmap_4.unshare_while_lazy"
		echo "$2 2 selftests: tlb: hugetlb_unshare"
		echo 'WORKBENCH selftests end'
	} | sed 's/$/\r/' > "$STUB/selftests.log"
}

@test "base-run: the guarded selftest fails on the base, the others pass: passes" {
	boot_log ok 'not ok'
	run "$WB/scripts/base-run.sh"
	[ "$status" -eq 0 ]
	[[ "$output" == *"base-run: hugetlb_unshare failed on the base as expected, the other selftests passed ($BASE_PKG $BASE_VERSION; $BUILD/logs/base-run)"* ]]
	# The base was booted with the repo's selftests.
	[ -f "$BUILD/base-run/tools/testing/selftests/tlb/t.c" ]
	[ "$(git -C "$BUILD/base-run" rev-parse HEAD)" = "$(git -C "$BUILD/linux" rev-parse base)" ]
}

@test "base-run: the guarded selftest passing on the base is an error" {
	boot_log ok ok
	run "$WB/scripts/base-run.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"base-run: hugetlb_unshare: expected to fail on the base, it did not ($BUILD/logs/base-run/selftests.log)"* ]]
}

@test "base-run: another selftest failing on the base is an error" {
	boot_log 'not ok' 'not ok'
	run "$WB/scripts/base-run.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"base-run: exit_lazy: expected to pass on the base, it did not"* ]]
}

@test "base-run: an expected failure that did not run, and a WARN, are errors" {
	boot_log ok 'not ok'
	printf '%s\n' '[    1.0] WARNING: CPU: 1 PID: 7 at mm/a.c:1 f+0x1/0x2' 'WORKBENCH done' > "$STUB/console.log"
	EXPECT_FAIL="hugetlb_unshare ptfree_lazy" run "$WB/scripts/base-run.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"base-run: the kernel's log (on the base) has a WARN, BUG or oops"* ]]
	[[ "$output" == *"base-run: ptfree_lazy, expected to fail on the base, did not run"* ]]
	[[ "$output" == *"base-run failed; logs in $BUILD/logs/base-run"* ]]
}

@test "report --base: the lazy CPU's rounds with an IPI, base against series" {
	boot_log ok 'not ok'
	"$WB/scripts/base-run.sh"
	mkdir -p "$BUILD/series"
	sed 's/TLB shootdown in 0/TLB shootdown in 10/; s/not ok/ok/' "$STUB/selftests.log" > "$BUILD/series/selftests.log"
	cp "$STUB/console.log" "$BUILD/series/"
	NO_KUNIT=1 "$WB/scripts/results.sh" "$BUILD/series" "$BUILD/linux"
	VCPUS=4 run "$WB/scripts/report.sh" --base "$BUILD/logs/base-run" "$BUILD/series" "$BUILD/linux"
	[ "$status" -eq 0 ]
	[[ "$output" == *"not ok 2 selftests: tlb: hugetlb_unshare"* ]]
	echo "$output" | grep -qE '^  hugetlb_unshare\.munmap_2 +0 of 10 +10 of 10$'
	echo "$output" | grep -qE '^  exit_lazy\.pages_1 +20 of 20 +20 of 20$'
	# A case the base stopped at its first round without an IPI.
	echo "$output" | grep -qE '^  hugetlb_unshare\.munmap_4 +none, round 2 +none, round 2$'
}

@test "report --base: a folder without a base run is named" {
	VCPUS=4 run "$WB/scripts/report.sh" --base "$BUILD/nothing" "$BUILD/series"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no base results in $BUILD/nothing (scripts/base-run.sh)"* ]]
}

@test "base-run: RUN_AT boots the tree at that ref, with no expected failure" {
	boot_log ok ok
	RUN_AT=series EXPECT_FAIL= run "$WB/scripts/base-run.sh" "$BUILD/logs/backport"
	[ "$status" -eq 0 ]
	[[ "$output" == *"base-run: every selftest passed at series ($(git -C "$BUILD/linux" rev-parse --short=12 series)) ($BASE_PKG $BASE_VERSION; $BUILD/logs/backport)"* ]]
	[ "$(git -C "$BUILD/run-series" rev-parse HEAD)" = "$(git -C "$BUILD/linux" rev-parse series)" ]
	[ -f "$BUILD/run-series/tools/testing/selftests/tlb/t.c" ]
	boot_log ok 'not ok'
	RUN_AT=series EXPECT_FAIL= run "$WB/scripts/base-run.sh" "$BUILD/logs/backport"
	[ "$status" -eq 1 ]
	[[ "$output" == *"base-run: hugetlb_unshare: expected to pass at series ("*"), it did not"* ]]
	# A ref is looked up in the base's tree, not in the worktree.
	boot_log ok ok
	RUN_AT=HEAD EXPECT_FAIL= run "$WB/scripts/base-run.sh" "$BUILD/logs/backport"
	[ "$status" -eq 0 ]
	[ "$(git -C "$BUILD/run-series" rev-parse HEAD)" = "$(git -C "$BUILD/linux" rev-parse HEAD)" ]
	[[ "$output" == *"every selftest passed at HEAD ($(git -C "$BUILD/linux" rev-parse --short=12 HEAD))"* ]]
	RUN_AT=nosuch run "$WB/scripts/base-run.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"base-run: $BUILD/linux has no commit nosuch (make tree)"* ]]
}

@test "stable: refuses the upstream-facing base" {
	BASE=v3 run "$WB/scripts/stable.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"stable: BASE=v3 is the upstream-facing series (make test checks it)"* ]]
}

@test "stable: without BASE, every base of scripts/bases but the first, in turn; a failure stops it" {
	printf 'main linux-source-7.0 7.0.1-1 suite-a patches PATCH v9\nold linux-source-6.1 6.1.2-1 suite-b patches/old PATCH 6.1.y\nolder linux-source-5.15 5.15.3-1 suite-c patches/older PATCH 5.15.y\n' \
		> "$BATS_TEST_TMPDIR/bases"
	export WB_BASES=$BATS_TEST_TMPDIR/bases
	unset BUILD
	# Every step a stub that names itself, its base, what it boots and
	# which selftests must fail.
	for s in tree check base-run report; do
		printf '#!/bin/sh\necho "%s|$BASE|${RUN_AT:-base}|${EXPECT_FAIL-unset}"\n[ "$BASE/%s" != "$STUB_FAIL" ]\n' "$s" "$s" > "$WB/scripts/$s.sh"
	done
	run "$WB/scripts/stable.sh"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep '|' | paste -sd ' ')" = \
	  "tree|old|base|unset check|old|base|unset base-run|old|base|hugetlb_unshare base-run|old|HEAD| report|old|base|unset tree|older|base|unset check|older|base|unset base-run|older|base|hugetlb_unshare base-run|older|HEAD| report|older|base|unset" ]
	STUB_FAIL=old/check run "$WB/scripts/stable.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"check|old|"* ]]
	[[ "$output" != *"base-run|old"* ]]
	[[ "$output" != *"older"* ]]
}
