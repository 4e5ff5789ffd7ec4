#!/usr/bin/env bats
# scripts/boot.sh and scripts/results.sh: a hung QEMU and a WARN.

load helpers

setup() {
	setup_workbench
	mkdir -p "$BUILD"
	touch "$BUILD/bzImage" "$BUILD/initramfs.cpio"
}

@test "boot: a QEMU that hangs is killed at the hard timeout, named with its log" {
	QEMU_TIMEOUT=2 run "$WB/scripts/boot.sh" "$BUILD/bzImage" "$BUILD/initramfs.cpio" "$BUILD/boot"
	[ "$status" -eq 1 ]
	[[ "$output" == *"boot: QEMU did not finish within 2s and was killed; console: $BUILD/boot/console.log"* ]]
}

@test "results: a WARN in the console log fails the run, naming the log" {
	mkdir -p "$BUILD/run"
	printf '%s\n' '[    1.0] WARNING: CPU: 1 PID: 7 at arch/x86/mm/tlb.c:100 f+0x1/0x2' \
		'WORKBENCH done' > "$BUILD/run/console.log"
	run "$WB/scripts/results.sh" "$BUILD/run" "$BATS_TEST_TMPDIR"
	[ "$status" -eq 1 ]
	[[ "$output" == *"the kernel log has a WARN, BUG, oops or panic ($BUILD/run/console.log)"* ]]
	[[ "$output" == *"arch/x86/mm/tlb.c:100"* ]]
	[[ "$output" == *"qemu-test failed; logs in $BUILD/run"* ]]
}

@test "kernel: a folder that is not a kernel tree is named" {
	run "$WB/scripts/kernel.sh" "$BATS_TEST_TMPDIR"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$BATS_TEST_TMPDIR is not a kernel tree (for the workbench's own: make tree)"* ]]
}

@test "results: KUnit is judged by /init's copy of KUnit's own record, not by the console" {
	mkdir -p "$BUILD/run"
	# The console alone holds a KUnit run: that is not enough.
	printf '%s\n' '[    1.0] KTAP version 1' '[    1.0] 1..1' '[    1.0] ok 1 x86_tlb_lazy' \
		'WORKBENCH done' > "$BUILD/run/console.log"
	printf '%s\r\n' 'WORKBENCH selftests begin' 'WORKBENCH selftests end' > "$BUILD/run/selftests.log"
	run "$WB/scripts/results.sh" "$BUILD/run" "$BATS_TEST_TMPDIR"
	[ "$status" -eq 1 ]
	[[ "$output" == *"qemu-test: /init printed no KUnit results ($BUILD/run/selftests.log)"* ]]
}

@test "results: a kernel with no KUnit suite in debugfs fails the run" {
	mkdir -p "$BUILD/run"
	echo 'WORKBENCH done' > "$BUILD/run/console.log"
	# Much output after the end marker: finding the marker must not
	# stop the reader early (SIGPIPE under pipefail).
	{ printf '%s\r\n' 'WORKBENCH kunit begin' 'KTAP version 1' '1..0' 'WORKBENCH kunit end' \
		'WORKBENCH selftests begin'
	  seq -f '# line %g of selftest output' 20000
	  printf '%s\r\n' 'WORKBENCH selftests end'; } > "$BUILD/run/selftests.log"
	run "$WB/scripts/results.sh" "$BUILD/run" "$BATS_TEST_TMPDIR"
	[ "$status" -eq 1 ]
	[[ "$output" == *"qemu-test: no KUnit suite ran ($BUILD/run/kunit.ktap; CONFIG_KUNIT_DEBUGFS off, or no suite built in?)"* ]]
}

# init_selects LIST: the selftests /init would run from LIST (scripts/init's
# own select_tests, in sh), with tlb_selftests as the kernel hands it on.
init_selects() {
	sed -n '/^select_tests() {$/,/^}$/p' "$REPO/scripts/init" > "$BATS_TEST_TMPDIR/select.sh"
	[ -s "$BATS_TEST_TMPDIR/select.sh" ]
	sh -c '. "$1"; select_tests "$2"' sh "$BATS_TEST_TMPDIR/select.sh" "$1"
}

@test "boot: ONLY_SELFTESTS and ONLY_KUNIT reach the kernel's command line, and /init runs those selftests alone" {
	: > "$STUB/qemu-args"
	VCPUS=8 ONLY_SELFTESTS="exit_lazy exit_stress" ONLY_KUNIT=x86_tlb_exit \
		run "$WB/scripts/boot.sh" "$BUILD/bzImage" "$BUILD/initramfs.cpio" "$BUILD/boot"
	[ "$status" -eq 0 ]
	[[ "$output" == *"booting under TCG: 8 vCPUs, "*", only tlb_selftests=exit_lazy,exit_stress kunit.filter_glob=x86_tlb_exit ("* ]]
	grep -A1 -x -- -smp "$STUB/qemu-args" | grep -qx 8
	cmdline=$(grep -A1 -x -- -append "$STUB/qemu-args" | sed -n 2p)
	[[ " $cmdline " == *" tlb_selftests=exit_lazy,exit_stress kunit.filter_glob=x86_tlb_exit "* ]]
	# The kernel hands tlb_selftests= to /init in its environment (a
	# parameter it does not know, with no dot); kunit.filter_glob= it keeps.
	printf '%s\n' tlb:mprotect_race tlb:exit_lazy tlb:hugetlb_unshare tlb:exit_stress x86:lam_64 \
		> "$BATS_TEST_TMPDIR/kselftest-list.txt"
	export "$(tr ' ' '\n' <<< "$cmdline" | grep '^tlb_selftests=')"
	run init_selects "$BATS_TEST_TMPDIR/kselftest-list.txt"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' tlb:exit_lazy tlb:exit_stress)" ]
	# A name the list lacks is said, not skipped in silence.
	tlb_selftests=exit_lazy,nosuch run init_selects "$BATS_TEST_TMPDIR/kselftest-list.txt"
	[ "$output" = "$(printf '%s\n' 'WORKBENCH selftest missing: nosuch' tlb:exit_lazy)" ]
}

@test "boot: without ONLY_SELFTESTS and ONLY_KUNIT, every test runs" {
	: > "$STUB/qemu-args"
	run "$WB/scripts/boot.sh" "$BUILD/bzImage" "$BUILD/initramfs.cpio" "$BUILD/boot"
	[ "$status" -eq 0 ]
	[[ "$output" != *", only "* ]]
	cmdline=$(grep -A1 -x -- -append "$STUB/qemu-args" | sed -n 2p)
	[[ "$cmdline" == "console=ttyS0 panic=-1 oops=panic tlb_hugepages=64 " ]]
	grep -A1 -x -- -smp "$STUB/qemu-args" | grep -qx 4
	printf '%s\n' tlb:exit_lazy x86:lam_64 > "$BATS_TEST_TMPDIR/kselftest-list.txt"
	run init_selects "$BATS_TEST_TMPDIR/kselftest-list.txt"
	[ "$output" = "$(printf '%s\n' tlb:exit_lazy x86:lam_64)" ]
}

@test "results: a selftest named in ONLY_SELFTESTS that did not run, and no KUnit suite matching ONLY_KUNIT, fail the run" {
	mkdir -p "$BUILD/run"
	echo 'WORKBENCH done' > "$BUILD/run/console.log"
	printf '%s\r\n' 'WORKBENCH kunit begin' 'KTAP version 1' '1..0' 'WORKBENCH kunit end' \
		'WORKBENCH selftests begin: 8 CPUs' 'WORKBENCH selftest missing: exit_stress' \
		'# ok 1 exit_lazy.lazy_7.exit_skips_lazy' 'ok 1 selftests: tlb: exit_lazy' \
		'WORKBENCH selftests end' > "$BUILD/run/selftests.log"
	ONLY_SELFTESTS="exit_lazy exit_stress" ONLY_KUNIT=x86_tlb_exit \
		run "$WB/scripts/results.sh" "$BUILD/run" "$BATS_TEST_TMPDIR"
	[ "$status" -eq 1 ]
	[[ "$output" == *"qemu-test: exit_stress, named in ONLY_SELFTESTS, did not run ($BUILD/run/selftests.log)"* ]]
	[[ "$output" != *"exit_lazy, named"* ]]
	[[ "$output" == *"qemu-test: no KUnit suite matching kunit.filter_glob=x86_tlb_exit ran ($BUILD/run/kunit.ktap; is it built in?)"* ]]
}
