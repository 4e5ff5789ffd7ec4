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
