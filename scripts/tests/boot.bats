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
	[ "$status" -eq 124 ]
	[[ "$output" == *"error: boot: QEMU did not finish within 2s and was killed; console: $BUILD/boot/console.log, selftests: $BUILD/boot/selftests.log, vCPUs: $BUILD/boot/hang.txt"* ]]
	# The stub has no monitor: the dump says QEMU itself did not answer.
	[[ "$output" == *"qemu-hang: the QEMU monitor ("*"/sock) did not answer"* ]]
	[ -s "$STUB/qemu-pid" ]
	! kill -0 "$(cat "$STUB/qemu-pid")" 2> /dev/null
}

@test "boot: QEMU goes with boot.sh, by TERM or by KILL" {
	for sig in TERM KILL; do
		rm -f "$STUB/qemu-pid"
		QEMU_TIMEOUT=100 "$WB/scripts/boot.sh" "$BUILD/bzImage" "$BUILD/initramfs.cpio" "$BUILD/boot" 2> /dev/null &
		boot=$!
		for _ in $(seq 50); do [ -s "$STUB/qemu-pid" ] && break; sleep 0.1; done
		qemu=$(cat "$STUB/qemu-pid")
		kill -0 "$qemu"
		kill -"$sig" "$boot"
		wait "$boot" || true
		for _ in $(seq 50); do kill -0 "$qemu" 2> /dev/null || break; sleep 0.1; done
		! kill -0 "$qemu" 2> /dev/null
	done
}

@test "qemu-hang: names each vCPU's function from the monitor's registers and System.map" {
	printf '%s\n' 'CPU#0' 'RIP=ffffffff81a0b2c5 RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1' \
		'CPU#1' 'RIP=ffffffff8108c10a RFL=00000202 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0' \
		'CPU#2' 'EIP=0000fff0 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=1' > "$BATS_TEST_TMPDIR/regs"
	printf '%s\n' 'ffffffff81000000 T _text' 'ffffffff8108c0f0 T smp_call_function_many_cond' \
		'ffffffff81a0b2b0 t default_idle' 'ffffffff81a0b2c0 d not_text' > "$BATS_TEST_TMPDIR/map"
	run python3 "$WB/scripts/qemu-hang.py" --registers "$BATS_TEST_TMPDIR/regs" --map "$BATS_TEST_TMPDIR/map"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "qemu-hang: vCPU 0 at RIP ffffffff81a0b2c5 default_idle+0x15 (halted)" ]
	[ "${lines[1]}" = "qemu-hang: vCPU 1 at RIP ffffffff8108c10a smp_call_function_many_cond+0x1a" ]
	[ "${lines[2]}" = "qemu-hang: vCPU 2 at EIP fff0 (not in long mode) (halted)" ]
	printf 'QEMU monitor\n' > "$BATS_TEST_TMPDIR/regs"
	run python3 "$WB/scripts/qemu-hang.py" --registers "$BATS_TEST_TMPDIR/regs"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "qemu-hang: no vCPU registers in the monitor's answer" ]
}

@test "qemu-hang: stops the guest through the monitor, then reads every vCPU's registers" {
	sock=$BATS_TEST_TMPDIR/mon
	# A monitor as QEMU 7.2's: a banner, a prompt after each answer, the
	# command echoed with readline's escapes.
	python3 - "$sock" "$BATS_TEST_TMPDIR/asked" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
c.sendall(b"QEMU 7.2.22 monitor - type 'help' for more information\r\n(qemu) ")
asked = []
for _ in range(2):
    line = b""
    while not line.endswith(b"\n"):
        line += c.recv(1)
    cmd = line.decode().strip()
    asked.append(cmd)
    ans = "" if cmd == "stop" else "CPU#0\r\nRIP=ffffffff8108c10a RFL=00000202 HLT=0\r\n"
    c.sendall(b"\x1b[K" + cmd.encode() + b"\r\n" + ans.encode() + b"(qemu) ")
open(sys.argv[2], "w").write("\n".join(asked) + "\n")
PY
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	run python3 "$WB/scripts/qemu-hang.py" --monitor "$sock"
	wait
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "qemu-hang: vCPU 0 at RIP ffffffff8108c10a" ]
	[ "$(cat "$BATS_TEST_TMPDIR/asked")" = "$(printf '%s\n' stop 'info registers -a')" ]
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
	[[ "$cmdline" == "console=ttyS0 panic=-1 oops=panic tsc=nowatchdog tlb_hugepages=64 " ]]
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

@test "boot: ONLY_SELFTESTS=none and ONLY_KUNIT=none run nothing of theirs, and a run of nothing passes only then" {
	printf '%s\n' tlb:exit_lazy x86:lam_64 > "$BATS_TEST_TMPDIR/kselftest-list.txt"
	tlb_selftests=none run init_selects "$BATS_TEST_TMPDIR/kselftest-list.txt"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	mkdir -p "$BUILD/run"
	echo 'WORKBENCH done' > "$BUILD/run/console.log"
	printf '%s\r\n' 'WORKBENCH kunit begin' 'KTAP version 1' '1..0' 'WORKBENCH kunit end' \
		'WORKBENCH selftests begin: 4 CPUs, only none' 'WORKBENCH selftests end' > "$BUILD/run/selftests.log"
	ONLY_SELFTESTS=none ONLY_KUNIT=none run "$WB/scripts/results.sh" "$BUILD/run" "$BATS_TEST_TMPDIR"
	[ "$status" -eq 0 ]
	# Asked for every test, the same run fails.
	run "$WB/scripts/results.sh" "$BUILD/run" "$BATS_TEST_TMPDIR"
	[ "$status" -eq 1 ]
	[[ "$output" == *"qemu-test: no selftest ran"* ]]
	[[ "$output" == *"qemu-test: no KUnit suite ran"* ]]
	# ONLY_SELFTESTS=none, yet one ran.
	printf '%s\r\n' 'WORKBENCH kunit begin' 'KTAP version 1' '1..0' 'WORKBENCH kunit end' \
		'WORKBENCH selftests begin: 4 CPUs' 'ok 1 selftests: tlb: exit_lazy' 'WORKBENCH selftests end' \
		> "$BUILD/run/selftests.log"
	ONLY_SELFTESTS=none ONLY_KUNIT=none run "$WB/scripts/results.sh" "$BUILD/run" "$BATS_TEST_TMPDIR"
	[ "$status" -eq 1 ]
	[[ "$output" == *"qemu-test: ONLY_SELFTESTS=none, yet a selftest ran"* ]]
}

# fake_kernel_tree DIR: a "kernel tree" whose allnoconfig keeps every
# line of the fragment but CONFIG_NOPE (counted in $STUB/configured),
# and whose build does nothing.
fake_kernel_tree() {
	mkdir -p "$1/arch/x86"
	printf '%s\n' 'allnoconfig:' \
		'	@grep -e "^CONFIG_" $(KCONFIG_ALLCONFIG) | grep -v "^CONFIG_NOPE=" > .config; echo x >> $(STUB)/configured' \
		'bzImage:' '	@echo built' > "$1/Makefile"
}

@test "kernel: an option the tree does not define is left out, and not reconfigured for until a Kconfig defines it" {
	tree=$BATS_TEST_TMPDIR/linux
	fake_kernel_tree "$tree"
	echo 'CONFIG_NOPE=y' > "$BATS_TEST_TMPDIR/extra.config"
	export EXTRA_CONFIG=$BATS_TEST_TMPDIR/extra.config
	run "$WB/scripts/kernel.sh" "$tree"
	[ "$status" -eq 0 ]
	[[ "$output" == *"linux: CONFIG_NOPE is not defined in this tree (yet); left out"* ]]
	run "$WB/scripts/kernel.sh" "$tree"
	[ "$status" -eq 0 ]
	[[ "$output" != *configuring* ]]
	[ "$(wc -l < "$STUB/configured")" -eq 1 ]
	# A patch adds the symbol: configure again, and now its loss is an error.
	printf 'config NOPE\n\tbool\n' > "$tree/Kconfig.nope"
	run "$WB/scripts/kernel.sh" "$tree"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Kconfig dropped options of the fragment (unmet dependencies?): CONFIG_NOPE=y"* ]]
	[ "$(wc -l < "$STUB/configured")" -eq 2 ]
	# A line of the fragment missing from .config, not left out: configure.
	rm "$tree/Kconfig.nope"
	run "$WB/scripts/kernel.sh" "$tree"
	[ "$status" -eq 0 ]
	sed -i '/^CONFIG_SMP=/d' "$tree/.config"
	run "$WB/scripts/kernel.sh" "$tree"
	[ "$status" -eq 0 ]
	[[ "$output" == *"linux: configuring x86_64"* ]]
}
