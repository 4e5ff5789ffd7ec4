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
