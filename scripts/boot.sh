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
rm -f "$dir"/console.log "$dir"/selftests.log "$dir"/qemu.log "$dir"/hang.txt
step "booting under TCG: $VCPUS vCPUs, $QEMU_MEM, timeout ${QEMU_TIMEOUT}s${ONLY_CMDLINE:+, only $ONLY_CMDLINE} (console: $dir/console.log)"
map=${SYSTEM_MAP:-$(dirname "$kernel")/../../../System.map}
maparg=()
[ ! -f "$map" ] || maparg=(--map "$map")
# QEMU runs in the background, killed with this script however it ends
# (setpriv --pdeathsig), with its monitor on a socket: at the hard
# timeout, where every vCPU is (qemu-hang.py) goes to LOGDIR/hang.txt
# before QEMU is killed.  The socket's path is short (at most 107 bytes).
mon=$(mktemp -d /tmp/qemu-mon.XXXXXX)
qemu=
trap '[ -z "$qemu" ] || kill -9 "$qemu" 2> /dev/null || true; rm -rf "$mon"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
rc=0
progress_start "boot" "$dir/console.log"
setpriv --pdeathsig KILL -- qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu "$QEMU_CPU" -smp "$VCPUS" -m "$QEMU_MEM" \
	-display none -monitor unix:"$mon/sock",server=on,wait=off -no-reboot \
	-serial file:"$dir/console.log" -serial file:"$dir/selftests.log" \
	-kernel "$kernel" -initrd "$initrd" -append "$KERNEL_CMDLINE" \
	> "$dir/qemu.log" 2>&1 &
qemu=$!
deadline=$((SECONDS + QEMU_TIMEOUT))
while kill -0 "$qemu" 2> /dev/null && [ "$SECONDS" -lt "$deadline" ]; do
	sleep 1
done
if kill -0 "$qemu" 2> /dev/null; then
	python3 "$TOP/scripts/qemu-hang.py" --monitor "$mon/sock" "${maparg[@]}" \
		> "$dir/hang.txt" 2>&1 || true
	kill "$qemu" 2> /dev/null || true
	for _ in $(seq 10); do kill -0 "$qemu" 2> /dev/null || break; sleep 1; done
	kill -9 "$qemu" 2> /dev/null || true
	wait "$qemu" 2> /dev/null || true
	rc=124
else
	wait "$qemu" || rc=$?
fi
qemu=
progress_stop
if [ "$rc" = 124 ]; then
	grep '^qemu-hang:' "$dir/hang.txt" >&2 || true
	echo "error: boot: QEMU did not finish within ${QEMU_TIMEOUT}s and was killed; console: $dir/console.log, selftests: $dir/selftests.log, vCPUs: $dir/hang.txt" >&2
	exit 124
elif [ "$rc" != 0 ]; then
	cat "$dir/qemu.log" >&2
	die "boot: QEMU failed (exit $rc); see $dir/qemu.log"
fi
