#!/usr/bin/env bats
# The Makefile's wiring: KTREE and the variables that must not leak.

load helpers

setup() { setup_workbench; }

recipe() { make -n -C "$REPO" "$@" 2>&1; }

@test "make: qemu-test builds the workbench's own tree in place by default" {
	run recipe qemu-test
	[ "$status" -eq 0 ]
	[[ "$output" == *"KOUT=build/linux scripts/kernel.sh build/linux bzImage"* ]]
	[[ "$output" == *"scripts/boot.sh build/linux/arch/x86/boot/bzImage "* ]]
}

@test "make: qemu-test KTREE=DIR builds that tree out of tree and boots it" {
	run recipe qemu-test KTREE=/src/linux
	[ "$status" -eq 0 ]
	[[ "$output" == *"KOUT=build/ktree-out scripts/kernel.sh /src/linux bzImage"* ]]
	[[ "$output" == *"KOUT=build/ktree-out scripts/initramfs.sh /src/linux build/initramfs.cpio"* ]]
	[[ "$output" == *"scripts/boot.sh build/ktree-out/arch/x86/boot/bzImage "* ]]
	[[ "$output" == *"scripts/results.sh build/logs/qemu-test /src/linux"* ]]
	[[ "$output" != *"scripts/tree.sh"* ]]
}

@test "make: a KTREE in the environment is not taken for a user's tree" {
	KTREE=/src/linux run recipe qemu-test
	[[ "$output" == *"scripts/kernel.sh build/linux bzImage"* ]]
}

@test "make: KOUT, BUILD, ARCH and CROSS_COMPILE of the caller do not reach the scripts" {
	run env KOUT=/x BUILD=/y ARCH=arm64 CROSS_COMPILE=z- make -s -C "$REPO" -f - probe <<'MK'
include Makefile
probe:
	@echo "KOUT=$${KOUT-unset} BUILD=$${BUILD-unset} ARCH=$${ARCH-unset} CROSS_COMPILE=$${CROSS_COMPILE-unset}"
MK
	[ "$status" -eq 0 ]
	[ "$output" = "KOUT=unset BUILD=unset ARCH=unset CROSS_COMPILE=unset" ]
}

@test "make: BASE reaches tree and export only, RUN_AT no target" {
	run env BASE=stable-6.12 RUN_AT=x make -s -C "$REPO" -f - probe <<'MK'
include Makefile
probe:
	@echo "BASE=$${BASE-unset} RUN_AT=$${RUN_AT-unset}"
MK
	[ "$status" -eq 0 ]
	[ "$output" = "BASE=unset RUN_AT=unset" ]
	run make -n -C "$REPO" tree export BASE=stable-6.12
	[ "$status" -eq 0 ]
	[[ "$output" == *"BASE=stable-6.12 scripts/tree.sh"* ]]
	[[ "$output" == *"BASE=stable-6.12 scripts/export.sh"* ]]
}

@test "make: run boots the kernels it built once more on 8 vCPUs, exit_lazy and exit_stress alone" {
	run recipe run
	[ "$status" -eq 0 ]
	eight='VCPUS=8 ONLY_SELFTESTS="exit_lazy exit_stress" ONLY_KUNIT=x86_tlb_exit'
	[[ "$output" == *"$eight scripts/boot.sh build/linux/arch/x86/boot/bzImage build/initramfs.cpio build/logs/qemu-test-8"* ]]
	[[ "$output" == *"$eight scripts/results.sh build/logs/qemu-test-8 build/linux"* ]]
	[[ "$output" == *"$eight BOOT_ONLY=1 scripts/base-run.sh build/logs/base-run-8"* ]]
	# After the 4-vCPU boots, before the report; no kernel built for them.
	order=$(grep -nE 'scripts/(boot|base-run|report|kernel)\.sh' <<< "$output" | sed -E 's/^([0-9]+):.*scripts\/([a-z-]+)\.sh ([^ ]*).*/\2 \3/')
	[ "$(echo "$order" | paste -sd ' ')" = "kernel build/linux boot build/linux/arch/x86/boot/bzImage base-run build/logs/base-run boot build/linux/arch/x86/boot/bzImage base-run build/logs/base-run-8 report --base" ]
}

@test "make: ONLY_SELFTESTS, ONLY_KUNIT and BOOT_ONLY of the caller reach no boot" {
	run env ONLY_SELFTESTS=x ONLY_KUNIT=y BOOT_ONLY=1 make -s -C "$REPO" -f - probe <<'MK'
include Makefile
probe:
	@echo "$${ONLY_SELFTESTS-unset} $${ONLY_KUNIT-unset} $${BOOT_ONLY-unset}"
MK
	[ "$status" -eq 0 ]
	[ "$output" = "unset unset unset" ]
}

@test "make: every package the recipes name is one deps.sh is asked for" {
	run recipe -p deps
	pkgs=$(sed -n 's/^PKGS_[A-Z]* := //p' <<< "$output" | tr ' ' '\n' | grep -v '^\$' | sort -u)
	for p in rsync cpio busybox-static qemu-system-x86 util-linux ccache bc bison flex libelf-dev \
		openssl xz-utils git python3 perl gcc-aarch64-linux-gnu bats apt dpkg \
		debian-archive-keyring; do
		grep -qx "$p" <<< "$pkgs" || { echo "not named: $p"; false; }
	done
}
