#!/usr/bin/env bats
# scripts/report.sh --base: what a process exit costs the lazy CPUs
# (exit_lazy, exit_stress), base against series, on 4 and 8 vCPUs, from
# fabricated logs.

load helpers

setup() {
	setup_workbench
	L=$BATS_TEST_TMPDIR/logs
}

# results DIR: the files report.sh wants beside selftests.log.
results() {
	mkdir -p "$1"
	printf '%s\n' selftest_pass=1 verdict=pass > "$1/counts"
	echo 'selftest        IPI:CPU0' > "$1/stats.txt"
}

# lazy_case K VERDICT LINE...: an exit_lazy case with k = K lazy CPUs.
lazy_case() {
	local k=$1 v=$2
	shift 2
	echo "# #  RUN           exit_lazy.lazy_$k.exit_skips_lazy ..."
	printf '# # %s\n' "$@"
	echo "# $v $k exit_lazy.lazy_$k.exit_skips_lazy"
}

# stress_case VARIANT PER_EXIT LINE...: an exit_stress case, 3 CPUs
# lazy, with its "stress: LINE" lines.
stress_case() {
	local v=$1 pe=$2
	shift 2
	echo "# #  RUN           exit_stress.$v.fork_exit ..."
	echo "# # stress: 100 exits, 3 lazy CPUs: 297 TLB shootdowns, $pe per exit"
	printf '# # stress: %s\n' "$@"
	echo "# ok 1 exit_stress.$v.fork_exit"
}

# log FILE: standard input as the serial port wrote it (CR LF).
log() { mkdir -p "$(dirname "$1")"; sed 's/$/\r/' > "$1"; }

held1='page tables held: most 40 at once, 12 at the end; limit 768'
held2='0 held once every CPU ran a task; 0 exits fell back'
held='most 40 at once, 12 at the end; limit 768; 0 held once every CPU ran a task; 0 exits fell back'
none='no deferred page tables on this kernel (no /sys/kernel/debug/x86/exit_pgtables)'

base_log() {
	{
		echo 'WORKBENCH selftests begin: 4 CPUs'
		lazy_case 1 'not ok' 'round 0: lazy CPU 3 received a TLB shootdown' \
			'exit: CPUs 3 stayed lazy in 20 rounds and got a TLB shootdown in 20' \
			'exit: 20 TLB shootdowns to 1 lazy CPUs in 20 exits, 1.00 per exit'
		lazy_case 3 'not ok' 'exit_lazy.c:210:exit_skips_lazy:round 4: lazy CPU 2 received a TLB shootdown'
		[ "$1" = 8 ] && lazy_case 7 'not ok' 'exit_lazy.c:210:exit_skips_lazy:round 0: lazy CPU 7 received a TLB shootdown'
		[ "$1" = 4 ] && lazy_case 7 'ok' '     SKIP      needs 8 CPUs' | sed '$s/$/ # SKIP needs 8 CPUs/'
		echo 'not ok 1 selftests: tlb: exit_lazy'
		stress_case default_limit 2.97 "$none"
		echo 'ok 2 selftests: tlb: exit_stress'
		echo 'WORKBENCH selftests end'
	} | log "$2/selftests.log"
}

series_log() {
	{
		echo 'WORKBENCH selftests begin: 4 CPUs'
		for k in 1 3 $([ "$1" = 8 ] && echo 7); do
			lazy_case "$k" ok "exit: CPUs 3,2,1 stayed lazy in 20 rounds and got a TLB shootdown in 0" \
				"exit: 0 TLB shootdowns to $k lazy CPUs in 20 exits, 0.00 per exit"
		done
		echo 'ok 1 selftests: tlb: exit_lazy'
		stress_case default_limit 0.04 "$held1" "$held2"
		stress_case small_limit 0.31 "$held1" "$held2"
		echo 'ok 2 selftests: tlb: exit_stress'
		echo 'WORKBENCH selftests end'
	} | log "$2/selftests.log"
}

@test "report --base: shootdowns to the lazy CPUs per exit, k = 1, 3, 7, base against series, 4 and 8 vCPUs" {
	results "$L/base-run"; results "$L/qemu-test"
	base_log 4 "$L/base-run"; series_log 4 "$L/qemu-test"
	base_log 8 "$L/base-run-8"; series_log 8 "$L/qemu-test-8"
	VCPUS=4 run "$WB/scripts/report.sh" --base "$L/base-run" "$L/qemu-test" "$BATS_TEST_TMPDIR"
	[ "$status" -eq 0 ]
	table=$(echo "$output" | sed -n '/^Process exit: TLB shootdowns to the lazy CPUs per exit/,/^$/p')
	[ "$(echo "$table" | sed -n 2p)" = "  k   vCPUs  base                        series" ]
	[ "$(echo "$table" | sed -n '3,7p')" = "$(printf '%s\n' \
		'  1       4  1.00 (failed)               0.00' \
		'  1       8  1.00 (failed)               0.00' \
		'  3       4  ≥1 (stops at round 4)       0.00' \
		'  3       8  ≥1 (stops at round 4)       0.00' \
		'  7       8  ≥1 (stops at round 0)       0.00')" ]
	# k = 7 skipped on 4 vCPUs: no row.
	[ "$(echo "$table" | grep -c '^  7 ')" = 1 ]
	stress=$(echo "$output" | sed -n '/^Process exit under stress/,/^$/p')
	echo "$stress" | grep -qxF '  default_limit        4  2.97 (3 lazy)               0.04 (3 lazy)'
	echo "$stress" | grep -qxF '  small_limit          4  not run                     0.31 (3 lazy)'
	echo "$stress" | grep -qxF '  default_limit        8  2.97 (3 lazy)               0.04 (3 lazy)'
	echo "$stress" | grep -qxF "  default_limit, 4 vCPUs, base:   $none"
	echo "$stress" | grep -qxF "  default_limit, 8 vCPUs, series: $held"
	[[ "$output" != *"missing:"* ]]
}

@test "report --base: the 8-vCPU logs missing: named, with their rows" {
	results "$L/base-run"; results "$L/qemu-test"
	base_log 4 "$L/base-run"; series_log 4 "$L/qemu-test"
	series_log 8 "$L/qemu-test-8"
	VCPUS=4 run "$WB/scripts/report.sh" --base "$L/base-run" "$L/qemu-test" "$BATS_TEST_TMPDIR"
	[ "$status" -eq 0 ]
	echo "$output" | grep -qxF '  7       8  no log                      0.00'
	echo "$output" | grep -qxF "  missing: $L/base-run-8/selftests.log (make run's 8-vCPU boot)"
	[[ "$output" != *"missing: $L/qemu-test-8"* ]]
	rm -r "$L/qemu-test-8"
	VCPUS=4 run "$WB/scripts/report.sh" --base "$L/base-run" "$L/qemu-test" "$BATS_TEST_TMPDIR"
	[ "$status" -eq 0 ]
	echo "$output" | grep -qxF '  7       8  no log                      no log'
	# Rows of k = 1 and 3 on 8 vCPUs only when they ran.
	[ "$(echo "$output" | grep -cE '^  [13]       8 ' || true)" = 0 ]
	echo "$output" | grep -qxF "  -                    8  no exit_stress case in $L/base-run-8/selftests.log or $L/qemu-test-8/selftests.log"
	echo "$output" | grep -qxF "  missing: $L/qemu-test-8/selftests.log (make run's 8-vCPU boot)"
}

@test "report --base: a log without exit_lazy or exit_stress says not run" {
	results "$L/base-run"; results "$L/qemu-test"
	printf '%s\n' 'WORKBENCH selftests begin' 'ok 1 selftests: tlb: madv_lazy' 'WORKBENCH selftests end' |
		log "$L/base-run/selftests.log"
	series_log 4 "$L/qemu-test"
	VCPUS=4 run "$WB/scripts/report.sh" --base "$L/base-run" "$L/qemu-test" "$BATS_TEST_TMPDIR"
	[ "$status" -eq 0 ]
	echo "$output" | grep -qxF '  1       4  not run                     0.00'
	echo "$output" | grep -qxF '  default_limit        4  not run                     0.04 (3 lazy)'
}

@test "report --base with NO_8VCPU (make stable): no 8-vCPU rows, nothing said missing" {
	results "$L/base-run"; results "$L/qemu-test"
	base_log 4 "$L/base-run"; series_log 4 "$L/qemu-test"
	NO_8VCPU=1 VCPUS=4 run "$WB/scripts/report.sh" --base "$L/base-run" "$L/qemu-test" "$BATS_TEST_TMPDIR"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -cE '^  [137] +8 ' || true)" = 0 ]
	[[ "$output" != *"missing:"* ]]
	echo "$output" | grep -qxF '  1       4  1.00 (failed)               0.00'
}
