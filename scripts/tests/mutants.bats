#!/usr/bin/env bats
# scripts/mutants.sh: which tests boot, and its verdict on a boot that
# hangs, fails or passes.  The build, the boot and the judging of the
# run are stubbed: the stub boot follows $STUB/boots, one outcome a line
# (hang, fail or ok), and the stub judge fails the run unless
# $STUB/survive exists.

load helpers

setup() {
	setup_workbench
	fake_tarball
	one_patch_tree
	printf '#!/bin/sh\nmkdir -p "$1/arch/x86/boot" && touch "$1/arch/x86/boot/bzImage"\n' > "$WB/scripts/kernel.sh"
	printf '#!/bin/sh\ntouch "$2"\n' > "$WB/scripts/initramfs.sh"
	cat > "$WB/scripts/boot.sh" <<'STUB'
#!/bin/sh
echo "boot ONLY_KUNIT=$ONLY_KUNIT ONLY_SELFTESTS=$ONLY_SELFTESTS QEMU_TIMEOUT=$QEMU_TIMEOUT" >> "$STUB/calls"
outcome=$(sed -n 1p "$STUB/boots"); sed -i 1d "$STUB/boots"
mkdir -p "$3"; echo "console of this boot" > "$3/console.log"; : > "$3/selftests.log"
case "$outcome" in
hang) echo 'qemu-hang: vCPU 0 at RIP ffffffff81000000 f+0x0' > "$3/hang.txt"
      echo "error: boot: QEMU did not finish" >&2; exit 124 ;;
fail) echo "error: boot: QEMU failed (exit 1)" >&2; exit 1 ;;
esac
STUB
	printf '#!/bin/sh\necho "judge ONLY_KUNIT=$ONLY_KUNIT ONLY_SELFTESTS=$ONLY_SELFTESTS" >> "$STUB/calls"\n[ -e "$STUB/survive" ] || { echo "qemu-test failed" >&2; exit 1; }\n' \
		> "$WB/scripts/results.sh"
	chmod +x "$WB/scripts/kernel.sh" "$WB/scripts/initramfs.sh" "$WB/scripts/boot.sh" "$WB/scripts/results.sh"
	MUT=$BATS_TEST_TMPDIR/mutants
	mkdir -p "$MUT"
	{ printf '%s\n' 'Bug: a is renamed.' 'Boot-kunit: x86_tlb_exit' 'Boot-selftests: none'
	  printf '%s\n' 'diff --git a/mm/a.c b/mm/a.c' '--- a/mm/a.c' '+++ b/mm/a.c' '@@ -1,3 +1,3 @@' \
		'-int a;' '+int a2;' ' int bb;' ' int c;'; } > "$MUT/rename-a.patch"
}

@test "mutants: the boot runs the tests the mutant names; a failed run kills it" {
	echo ok > "$STUB/boots"
	run "$WB/scripts/mutants.sh" "$MUT"
	[ "$status" -eq 0 ]
	grep -qx 'boot ONLY_KUNIT=x86_tlb_exit ONLY_SELFTESTS=none QEMU_TIMEOUT=300' "$STUB/calls"
	grep -qx 'judge ONLY_KUNIT=x86_tlb_exit ONLY_SELFTESTS=none' "$STUB/calls"
	[[ "$output" == *"rename-a "*"killed by: qemu-test failed"* ]]
	[[ "$output" == *"mutants: all 1 killed"* ]]
}

@test "mutants: a boot that hangs once is kept aside and booted again, and said" {
	printf '%s\n' hang ok > "$STUB/boots"
	run "$WB/scripts/mutants.sh" "$MUT"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^boot ' "$STUB/calls")" -eq 2 ]
	out=$BUILD/logs/mutant-rename-a
	[[ "$output" == *"mutant rename-a: the boot hung (qemu-hang: vCPU 0 at RIP ffffffff81000000 f+0x0); its logs are in $out/boot-hung/; booting once more"* ]]
	[[ "$output" == *"killed by: qemu-test failed (a first boot hung: $out/boot-hung/)"* ]]
	[ -s "$out/boot-hung/hang.txt" ]
	[ ! -e "$out/hang.txt" ]
}

@test "mutants: a boot that hangs twice, or a QEMU that fails, is no kill and fails the run" {
	printf '%s\n' hang hang > "$STUB/boots"
	run "$WB/scripts/mutants.sh" "$MUT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"rename-a "*"HUNG twice, no verdict of a test: $BUILD/logs/mutant-rename-a/hang.txt"* ]]
	[[ "$output" == *"mutants: not every mutant was killed"* ]]
	echo fail > "$STUB/boots"
	run "$WB/scripts/mutants.sh" "$MUT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"rename-a "*"BOOT FAILED (exit 1), no verdict of a test: $BUILD/logs/mutant-rename-a/boot.log"* ]]
}

@test "mutants: a mutant whose run passes survives, and fails the run" {
	echo ok > "$STUB/boots"
	touch "$STUB/survive"
	run "$WB/scripts/mutants.sh" "$MUT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"rename-a "*"SURVIVED (every test passed"* ]]
}
