#!/usr/bin/env bash
# usage: scripts/boot.sh BZIMAGE INITRAMFS LOGDIR
# One QEMU boot under TCG with a hard timeout.  The kernel console goes
# to LOGDIR/console.log, the selftests' output (ttyS1) to
# LOGDIR/selftests.log.  Settings: kunit/qemu.conf (VCPUS=N to override;
# ONLY_SELFTESTS="NAME..." and ONLY_KUNIT=GLOB for a boot of those alone).
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"
. "$TOP/kunit/qemu.conf"

kernel=${1:?usage: scripts/boot.sh BZIMAGE INITRAMFS LOGDIR}
initrd=${2:?usage: scripts/boot.sh BZIMAGE INITRAMFS LOGDIR}
dir=${3:?usage: scripts/boot.sh BZIMAGE INITRAMFS LOGDIR}
[ -f "$kernel" ] || die "no kernel at $kernel (make kernel)"
[ -f "$initrd" ] || die "no initramfs at $initrd"
command -v qemu-system-x86_64 > /dev/null || die "qemu-system-x86_64 is missing (apt-get install qemu-system-x86)"

mkdir -p "$dir"
rm -f "$dir"/console.log "$dir"/selftests.log "$dir"/qemu.log
step "booting under TCG: $VCPUS vCPUs, $QEMU_MEM, timeout ${QEMU_TIMEOUT}s${ONLY_CMDLINE:+, only $ONLY_CMDLINE} (console: $dir/console.log)"
rc=0
progress_start "boot" "$dir/console.log"
timeout -k 10 "$QEMU_TIMEOUT" qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu "$QEMU_CPU" -smp "$VCPUS" -m "$QEMU_MEM" \
	-display none -monitor none -no-reboot \
	-serial file:"$dir/console.log" -serial file:"$dir/selftests.log" \
	-kernel "$kernel" -initrd "$initrd" -append "$KERNEL_CMDLINE" \
	> "$dir/qemu.log" 2>&1 || rc=$?
progress_stop
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	die "boot: QEMU did not finish within ${QEMU_TIMEOUT}s and was killed; console: $dir/console.log"
elif [ "$rc" != 0 ]; then
	cat "$dir/qemu.log" >&2
	die "boot: QEMU failed (exit $rc); see $dir/qemu.log"
fi
