#!/usr/bin/env bash
# usage: scripts/report.sh [--summary] [--base BASELOGDIR] LOGDIR [TREE]
# Print what a test boot showed: the series, the test results and, per
# selftest, the TLB shootdown IPIs each CPU received (/proc/interrupts,
# TLB row) and the nr_tlb_* counters (/proc/vmstat, DEBUG_TLBFLUSH).
# --base: beside them, the same of a boot of the base (base-run.sh).
# --summary: only the closing "N passed, N failed" line.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

summary=0 base=
[ "${1:-}" = --summary ] && { summary=1; shift; }
[ "${1:-}" = --base ] && { base=${2:?--base needs a log folder}; shift 2; }
dir=${1:?usage: scripts/report.sh [--summary] [--base BASELOGDIR] LOGDIR [TREE]}
[ -z "$base" ] || [ -f "$base/stats.txt" ] || die "no base results in $base (scripts/base-run.sh)"
tree=${2:-$KTREE}
[ -f "$dir/counts" ] || die "no results in $dir (make qemu-test)"
# shellcheck source=/dev/null
. "$dir/counts"
: "${kunit_pass:=0}" "${kunit_fail:=0}" "${kunit_skip:=0}"
: "${selftest_pass:=0}" "${selftest_fail:=0}" "${selftest_skip:=0}"
passed=$((kunit_pass + selftest_pass))
failed=$((kunit_fail + selftest_fail))
skipped=$((kunit_skip + selftest_skip))

# lazy_ipis SELFTESTS_LOG: "case|M of N" for each "stayed lazy in N
# rounds and got a TLB shootdown in M" line, "case|none, round R" for a
# case stopped by a round without one; sorted by case.
lazy_ipis() {
	awk '/^# #  RUN / { c = $4; sub(/\.[a-z_]+$/, "", c) }
	     / stayed lazy in [0-9]+ rounds and got a TLB shootdown in [0-9]+/ {
		n = $0; sub(/.* stayed lazy in /, "", n); sub(/ .*/, "", n)
		m = $0; sub(/.*TLB shootdown in /, "", m)
		print c "|" m " of " n }
	     /round [0-9]+: lazy CPU [0-9]+ received no TLB shootdown/ {
		r = $0; sub(/.*round /, "", r); sub(/:.*/, "", r)
		print c "|none, round " r }' < <(tr -d '\r' < "$1") | LC_ALL=C sort -t'|' -k1,1
}

if [ $summary = 0 ]; then
	echo
	if [ "$(git -C "$tree" log -1 --format=%s "$BASE_TAG" 2> /dev/null || true)" = "$BASE_SUBJECT" ]; then
		echo "The series ($(git -C "$tree" rev-list --count "$BASE_TAG"..HEAD) patches on Debian $BASE_PKG $BASE_VERSION):"
		git -C "$tree" log --reverse --format='  %s' "$BASE_TAG"..HEAD
	else
		# A tree of the user's (KTREE=): where its series starts is unknown.
		echo "Tree $tree, at: $(git -C "$tree" log -1 --format='%h %s' 2> /dev/null || echo 'no git history')"
	fi
	echo
	echo "KUnit (parsed by kunit.py, $dir/kunit.txt):"
	grep -E '^\[[0-9:]+\] (=+ |\[)' "$dir/kunit.txt" 2>/dev/null | sed 's/^\[[0-9:]*\] /  /' || true
	echo
	echo "Selftests ($dir/selftests.log):"
	grep -E '^# (not )?ok [0-9]+ |^# # [0-9]+ rounds|^# # .*IPI' "$dir/selftests.log" | sed 's/^# /  /' || true
	echo
	echo "TLB shootdowns per selftest, counted in the guest ($VCPUS vCPUs):"
	echo "  IPI:CPUn = /proc/interrupts TLB row delta; the rest /proc/vmstat nr_tlb_* deltas"
	sed 's/^/  /' "$dir/stats.txt"
	echo
	echo "What KUnit counted (kunit.ktap):"
	grep -E '^ +# [a-z_0-9]+: ' "$dir/kunit.ktap" 2> /dev/null |
		grep -vE '# module: |: pass:|: Test should be' | sed 's/^ *# /  /' || true
	echo
	if [ -n "$base" ]; then
		echo "The base without the series, the same selftests ($base/selftests.log):"
		tr -d '\r' < "$base/selftests.log" | grep -E '^(not )?ok [0-9]+ selftests: ' | sed 's/^/  /' || true
		sed 's/^/  /' "$base/stats.txt"
		echo
		echo "Rounds in which the CPU that stayed lazy in the mm got a TLB shootdown IPI:"
		printf '  %-42s %14s %14s\n' "selftest case" "base" "series"
		join -t'|' -a2 -e- -o '0,1.2,2.2' <(lazy_ipis "$base/selftests.log") \
			<(lazy_ipis "$dir/selftests.log") | while IFS='|' read -r c b s; do
			printf '  %-42s %14s %14s\n' "$c" "$b" "$s"
		done
		echo
	fi
fi
echo "KUnit: $kunit_pass passed, $kunit_fail failed, $kunit_skip skipped; selftests: $selftest_pass passed, $selftest_fail failed, $selftest_skip skipped"
echo "$passed passed, $failed failed, $skipped skipped"
