#!/usr/bin/env bash
# usage: scripts/report.sh [--summary] LOGDIR [TREE]
# Print what a test boot showed: the series, the test results and, per
# selftest, the TLB shootdown IPIs each CPU received (/proc/interrupts,
# TLB row) and the nr_tlb_* counters (/proc/vmstat, DEBUG_TLBFLUSH).
# --summary: only the closing "N passed, N failed" line.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

summary=0
[ "${1:-}" = --summary ] && { summary=1; shift; }
dir=${1:?usage: scripts/report.sh [--summary] LOGDIR [TREE]}
tree=${2:-$KTREE}
[ -f "$dir/counts" ] || die "no results in $dir (make qemu-test)"
# shellcheck source=/dev/null
. "$dir/counts"
: "${kunit_pass:=0}" "${kunit_fail:=0}" "${kunit_skip:=0}"
: "${selftest_pass:=0}" "${selftest_fail:=0}" "${selftest_skip:=0}"
passed=$((kunit_pass + selftest_pass))
failed=$((kunit_fail + selftest_fail))
skipped=$((kunit_skip + selftest_skip))

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
fi
echo "KUnit: $kunit_pass passed, $kunit_fail failed, $kunit_skip skipped; selftests: $selftest_pass passed, $selftest_fail failed, $selftest_skip skipped"
echo "$passed passed, $failed failed, $skipped skipped"
