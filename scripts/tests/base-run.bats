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
	# The stub build: a bzImage, and the calls in $STUB/calls.
	printf '#!/bin/sh\necho "kernel.sh $*" >> "$STUB/calls"\nmkdir -p "$1/arch/x86/boot" && touch "$1/arch/x86/boot/bzImage"\n' \
		> "$WB/scripts/kernel.sh"
	printf '#!/bin/sh\necho "initramfs.sh $*" >> "$STUB/calls"\ntouch "$2"\n' > "$WB/scripts/initramfs.sh"
	# The stub boot: console.log and selftests.log from $STUB.
	printf '#!/bin/sh\necho "boot.sh $* VCPUS=$VCPUS ONLY_SELFTESTS=$ONLY_SELFTESTS" >> "$STUB/calls"\nmkdir -p "$3"\ncp "$STUB/console.log" "$STUB/selftests.log" "$3/"\n' \
		> "$WB/scripts/boot.sh"
	chmod +x "$WB/scripts/kernel.sh" "$WB/scripts/initramfs.sh" "$WB/scripts/boot.sh"
	printf '%s\n' '[    1.0] Linux version 7.3.4' 'WORKBENCH done' > "$STUB/console.log"
}

# boot_log EXIT HUGETLB [PTFREE]: the base's selftests.log, "ok"/"not ok"
# for exit_lazy, hugetlb_unshare and ptfree_lazy (default ok), with the
# lazy CPU's lines each prints: exit_lazy "not ok" stops at round 0, where
# the lazy CPU got a shootdown (a kernel without the RFC), hugetlb_unshare
# "not ok" at a round where it got none.
boot_log() {
	{
		printf '%s\n' 'WORKBENCH kunit begin' 'KTAP version 1' '1..0' 'WORKBENCH kunit end' \
			'WORKBENCH selftests begin: 4 CPUs'
		echo 'STATS ptfree_lazy before TLB: 1 2 3 4 TLB shootdowns'
		echo '# #  RUN           ptfree_lazy.pages_1.munmap_frees_table ...'
		echo '# # ptfree: CPU 3 stayed lazy in 20 rounds and got a TLB shootdown in 20'
		echo "# ${3:-ok} 1 ptfree_lazy.pages_1.munmap_frees_table"
		echo "${3:-ok} 1 selftests: tlb: ptfree_lazy"
		echo 'STATS ptfree_lazy after TLB: 1 2 3 24 TLB shootdowns'
		echo '# #  RUN           exit_lazy.lazy_1.exit_skips_lazy ...'
		if [ "$1" = ok ]; then
			echo '# # exit: CPUs 3 stayed lazy in 20 rounds and got a TLB shootdown in 0'
			echo '# # exit: 0 TLB shootdowns to 1 lazy CPUs in 20 exits, 0.00 per exit'
		else
			echo '# # exit_lazy.c:210:exit_skips_lazy:round 0: lazy CPU 3 received a TLB shootdown'
		fi
		echo "# $1 1 exit_lazy.lazy_1.exit_skips_lazy"
		echo "$1 2 selftests: tlb: exit_lazy"
		echo '# #  RUN           hugetlb_unshare.munmap_2.unshare_while_lazy ...'
		if [ "$2" = ok ]; then
			echo '# # munmap: CPU 3 stayed lazy in 10 rounds and got a TLB shootdown in 10'
		else
			echo '# # munmap: CPU 3 stayed lazy in 10 rounds and got a TLB shootdown in 0'
		fi
		echo "# $2 1 hugetlb_unshare.munmap_2.unshare_while_lazy"
		echo '# #  RUN           hugetlb_unshare.munmap_4.unshare_while_lazy ...'
		if [ "$2" = ok ]; then
			echo '# # munmap: CPU 3 stayed lazy in 10 rounds and got a TLB shootdown in 10'
		else
			echo '# # hugetlb_unshare.c:297:unshare_while_lazy:round 2: lazy CPU 3 received no TLB shootdown'
		fi
		echo "# $2 2 hugetlb_unshare.munmap_4.unshare_while_lazy"
		echo "$2 3 selftests: tlb: hugetlb_unshare"
		echo 'WORKBENCH selftests end'
	} | sed 's/$/\r/' > "$STUB/selftests.log"
}

# exit_log EXIT STRESS: the selftests.log of a boot with ONLY_SELFTESTS
# "exit_lazy exit_stress" (make run's 8-vCPU boot): exit_lazy as in
# boot_log, exit_stress "ok"/"not ok" or "-" (not run).
exit_log() {
	boot_log "$1" ok
	{
		tr -d '\r' < "$STUB/selftests.log" | sed -n '/^WORKBENCH selftests begin/q;p'
		echo 'WORKBENCH selftests begin: 8 CPUs, only exit_lazy,exit_stress'
		tr -d '\r' < "$STUB/selftests.log" | sed -n '/exit_lazy\.lazy_1/,/selftests: tlb: exit_lazy/p'
		if [ "$2" != - ]; then
			echo '# #  RUN           exit_stress.default_limit.exits ...'
			echo '# # stress: 100 exits with 7 CPUs lazy: 700 TLB shootdowns to them, 7.00 per exit'
			echo "# $2 1 exit_stress.default_limit.exits"
			echo "$2 2 selftests: tlb: exit_stress"
		fi
		echo 'WORKBENCH selftests end'
	} | sed 's/$/\r/' > "$STUB/selftests.log.new"
	mv "$STUB/selftests.log.new" "$STUB/selftests.log"
}

@test "base-run: hugetlb_unshare and exit_lazy fail on the base by default, the others pass: passes" {
	boot_log 'not ok' 'not ok'
	run "$WB/scripts/base-run.sh"
	[ "$status" -eq 0 ]
	[[ "$output" == *"base-run: hugetlb_unshare exit_lazy failed on the base as expected, the other selftests passed ($BASE_PKG $BASE_VERSION; $BUILD/logs/base-run)"* ]]
	# The base was booted with the repo's selftests.
	[ -f "$BUILD/base-run/tools/testing/selftests/tlb/t.c" ]
	[ "$(git -C "$BUILD/base-run" rev-parse HEAD)" = "$(git -C "$BUILD/linux" rev-parse base)" ]
}

@test "base-run: no room for its worktree stops before creating it, and says so" {
	boot_log 'not ok' 'not ok'
	echo $((2 * 1048576)) > "$STUB/df_free"
	run "$WB/scripts/base-run.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error: creating the worktree $BUILD/base-run: needs 3 GiB free for $BUILD, whose file system has 2.0 GiB free"* ]]
	[ ! -e "$BUILD/base-run" ]
	! grep -q boot.sh "$STUB/calls"
}

@test "base-run: an expected failure passing on the base is an error, each of them" {
	boot_log 'not ok' ok
	run "$WB/scripts/base-run.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"base-run: hugetlb_unshare: expected to fail on the base, it did not ($BUILD/logs/base-run/selftests.log)"* ]]
	[[ "$output" != *"exit_lazy: expected"* ]]
	boot_log ok 'not ok'
	run "$WB/scripts/base-run.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"base-run: exit_lazy: expected to fail on the base, it did not ($BUILD/logs/base-run/selftests.log)"* ]]
	[[ "$output" != *"hugetlb_unshare: expected"* ]]
}

@test "base-run: another selftest failing on the base is an error" {
	boot_log 'not ok' 'not ok' 'not ok'
	run "$WB/scripts/base-run.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"base-run: ptfree_lazy: expected to pass on the base, it did not"* ]]
}

@test "base-run: an expected failure that did not run, and a WARN, are errors" {
	boot_log ok 'not ok'
	printf '%s\n' '[    1.0] WARNING: CPU: 1 PID: 7 at mm/a.c:1 f+0x1/0x2' 'WORKBENCH done' > "$STUB/console.log"
	EXPECT_FAIL="hugetlb_unshare mprotect_race" run "$WB/scripts/base-run.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"base-run: the kernel's log (on the base) has a WARN, BUG or oops"* ]]
	[[ "$output" == *"base-run: mprotect_race, expected to fail on the base, did not run"* ]]
	[[ "$output" != *"exit_lazy: expected"* ]]
	[[ "$output" == *"base-run failed; logs in $BUILD/logs/base-run"* ]]
}

@test "base-run: BOOT_ONLY boots what the last run built, with the expected failures among ONLY_SELFTESTS" {
	boot_log 'not ok' 'not ok'
	"$WB/scripts/base-run.sh"
	exit_log 'not ok' ok
	: > "$STUB/calls"
	VCPUS=8 ONLY_SELFTESTS="exit_lazy exit_stress" BOOT_ONLY=1 run "$WB/scripts/base-run.sh" "$BUILD/logs/base-run-8"
	[ "$status" -eq 0 ]
	[[ "$output" == *"base-run: exit_lazy failed on the base as expected, the other selftests passed"* ]]
	# Not built again: the same kernel and initramfs, booted on 8 vCPUs.
	[ "$(cat "$STUB/calls")" = "boot.sh $BUILD/base-run/arch/x86/boot/bzImage $BUILD/initramfs-base-run.cpio $BUILD/logs/base-run-8 VCPUS=8 ONLY_SELFTESTS=exit_lazy exit_stress" ]
	# exit_lazy passing is an error there too; a named selftest that did
	# not run is one.
	exit_log ok -
	VCPUS=8 ONLY_SELFTESTS="exit_lazy exit_stress" BOOT_ONLY=1 run "$WB/scripts/base-run.sh" "$BUILD/logs/base-run-8"
	[ "$status" -eq 1 ]
	[[ "$output" == *"base-run: exit_lazy: expected to fail on the base, it did not"* ]]
	[[ "$output" == *"base-run: exit_stress, named in ONLY_SELFTESTS, did not run on the base ($BUILD/logs/base-run-8/selftests.log)"* ]]
	[[ "$output" != *"hugetlb_unshare"* ]]
	# Selftests changed since that build: it is stale.
	echo 'int x;' > "$WB/tools/testing/selftests/tlb/new.c"
	exit_log 'not ok' ok
	ONLY_SELFTESTS="exit_lazy exit_stress" BOOT_ONLY=1 run "$WB/scripts/base-run.sh" "$BUILD/logs/base-run-8"
	[ "$status" -eq 1 ]
	[[ "$output" == *"base-run: BOOT_ONLY=1: $WB/tools/testing/selftests/tlb changed since the last base-run built its initramfs (make base-run): Only in $WB/tools/testing/selftests/tlb: new.c"* ]]
}

@test "base-run: BOOT_ONLY with nothing built: says so" {
	BOOT_ONLY=1 run "$WB/scripts/base-run.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"base-run: BOOT_ONLY=1 boots what an earlier base-run built, and there is no $BUILD/base-run/arch/x86/boot/bzImage or $BUILD/initramfs-base-run.cpio (make base-run)"* ]]
}

@test "report --base: the lazy CPU's rounds with an IPI, base against series" {
	boot_log 'not ok' 'not ok'
	"$WB/scripts/base-run.sh"
	mkdir -p "$BUILD/series"
	boot_log ok ok
	cp "$STUB/selftests.log" "$STUB/console.log" "$BUILD/series/"
	NO_KUNIT=1 "$WB/scripts/results.sh" "$BUILD/series" "$BUILD/linux"
	VCPUS=4 run "$WB/scripts/report.sh" --base "$BUILD/logs/base-run" "$BUILD/series" "$BUILD/linux"
	[ "$status" -eq 0 ]
	[[ "$output" == *"not ok 3 selftests: tlb: hugetlb_unshare"* ]]
	echo "$output" | grep -qE '^  hugetlb_unshare\.munmap_2 +0 of 10 +10 of 10$'
	echo "$output" | grep -qE '^  ptfree_lazy\.pages_1 +20 of 20 +20 of 20$'
	# Cases the base stopped at a round without an IPI, and with one.
	echo "$output" | grep -qE '^  hugetlb_unshare\.munmap_4 +none, round 2 +10 of 10$'
	echo "$output" | grep -qE '^  exit_lazy\.lazy_1 +IPI, round 0 +0 of 20$'
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

@test "stable: without BASE, every base of scripts/bases but the first, in turn, each run with its expected failures; a failure stops it" {
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
	  "tree|old|base|unset check|old|base|unset base-run|old|base|hugetlb_unshare exit_lazy base-run|old|HEAD|exit_lazy report|old|base|unset tree|older|base|unset check|older|base|unset base-run|older|base|hugetlb_unshare exit_lazy base-run|older|HEAD|exit_lazy report|older|base|unset" ]
	# Each run's list has its own override; empty: every selftest passes.
	STABLE_EXPECT_FAIL=hugetlb_unshare STABLE_BACKPORT_EXPECT_FAIL= run "$WB/scripts/stable.sh"
	[ "$status" -eq 0 ]
	echo "$output" | grep -qx 'base-run|old|base|hugetlb_unshare'
	echo "$output" | grep -qx 'base-run|old|HEAD|'
	STUB_FAIL=old/check run "$WB/scripts/stable.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"check|old|"* ]]
	[[ "$output" != *"base-run|old"* ]]
	[[ "$output" != *"older"* ]]
}
