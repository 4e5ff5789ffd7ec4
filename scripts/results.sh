#!/usr/bin/env bash
# usage: scripts/results.sh LOGDIR TREE
# Judge one test boot: the console log must reach the end of the run
# with no oops, WARN, BUG or panic; KUnit's results (from debugfs, on
# the selftests' port) are parsed by TREE's kunit.py;
# every selftest case must pass or skip.  Writes LOGDIR/counts and
# LOGDIR/stats.txt (TLB IPIs and nr_tlb_* deltas per selftest).
# A boot of some tests only (ONLY_SELFTESTS, ONLY_KUNIT, as boot.sh got
# them): each selftest named must have run, and a KUnit suite matched;
# "none" for either: none ran.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

dir=$(cd "${1:?usage: scripts/results.sh LOGDIR TREE}" && pwd)
tree=$(cd "${2:?usage: scripts/results.sh LOGDIR TREE}" && pwd)
con=$dir/console.log
st=$dir/selftests.log
bad=0

[ -s "$con" ] || die "qemu-test: the kernel printed nothing (no boot?); console: $con"

# 1. Oops, WARN, BUG, panic anywhere in the console log.
if grep -nE 'WARNING:|BUG:|kernel BUG at|Oops|general protection fault|Kernel panic|UBSAN:|watchdog: .*stuck' "$con" > "$dir/oops.txt"; then
	echo "qemu-test: the kernel log has a WARN, BUG, oops or panic ($con):" >&2
	head -20 "$dir/oops.txt" >&2
	bad=1
fi
if ! grep -q 'WORKBENCH done' "$con"; then
	echo "qemu-test: the run did not reach its end (boot failure, panic or hang); console: $con" >&2
	bad=1
fi

# ttyS1: KUnit's results, then the selftests.
[ -s "$st" ] || { echo "qemu-test: nothing on the second serial port, no KUnit results and no selftest output ($st)" >&2; bad=1; touch "$st"; }

# 2. KUnit, with the kernel's own parser, on KUnit's own record of each
# suite (debugfs), which /init prints on ttyS1 between two markers.
kunit_pass=0 kunit_fail=0 kunit_skip=0
# The serial line ends each line with CR LF.
serial=$(tr -d '\r' < "$st")
sed -n '/^WORKBENCH kunit begin$/,/^WORKBENCH kunit end$/p' <<< "$serial" |
	sed '1d;$d' > "$dir/kunit.ktap"
# kunit/.kunitconfig names the suites; with none there, no KUnit case is
# expected (kunit.py calls "0 tests run" an error).
# NO_KUNIT=1: a tree without the series' suites (the base): none expected.
suites=$(grep -c '^CONFIG_.*TEST=y' "$TOP/kunit/.kunitconfig" || true)
[ "${NO_KUNIT:-}" != 1 ] || suites=0
if ! grep -qx 'WORKBENCH kunit end' <<< "$serial"; then
	echo "qemu-test: /init printed no KUnit results ($st)" >&2
	bad=1
elif [ "$suites" = 0 ] && grep -qx '1\.\.0' "$dir/kunit.ktap"; then
	echo "qemu-test: kunit/.kunitconfig enables no KUnit suite; none ran" >&2
elif [ "${ONLY_KUNIT:-}" = none ] && grep -qx '1\.\.0' "$dir/kunit.ktap"; then
	:	# no suite asked for, none ran
elif [ -n "${ONLY_KUNIT:-}" ] && grep -qx '1\.\.0' "$dir/kunit.ktap"; then
	echo "qemu-test: no KUnit suite matching kunit.filter_glob=$ONLY_KUNIT ran ($dir/kunit.ktap; is it built in?)" >&2
	bad=1
elif grep -qx '1\.\.0' "$dir/kunit.ktap"; then
	echo "qemu-test: no KUnit suite ran ($dir/kunit.ktap; CONFIG_KUNIT_DEBUGFS off, or no suite built in?)" >&2
	bad=1
else
	# kunit.py also exits non-zero when every case skipped (one vCPU):
	# judge by its counts, not by its exit status.
	python3 "$tree/tools/testing/kunit/kunit.py" parse "$dir/kunit.ktap" > "$dir/kunit.txt" 2>&1 || true
	# "Ran N tests: passed: P, failed: F, crashed: C, skipped: S, errors: E"
	# (kunit.py leaves out the counts that are 0).
	read -r kunit_pass kunit_fail kunit_skip < <(grep 'Testing complete' "$dir/kunit.txt" |
		tail -1 | sed 's/.*Ran [0-9]* tests*://' | tr ',' '\n' | awk -F': ' '
		{ gsub(/ /, "", $1); v[$1] = $2 }
		END { print v["passed"] + 0, v["failed"] + v["crashed"] + v["errors"], v["skipped"] + 0 }') || true
	: "${kunit_pass:=0}" "${kunit_fail:=0}" "${kunit_skip:=0}"
	if [ "$kunit_fail" != 0 ] || ! grep -q 'Testing complete' "$dir/kunit.txt"; then
		echo "qemu-test: KUnit reports failures ($dir/kunit.txt):" >&2
		grep -E '\[FAILED\]|\[CRASHED\]|ERROR' "$dir/kunit.txt" | head -20 >&2 || true
		[ "$kunit_fail" != 0 ] || kunit_fail=1
		bad=1
	fi
fi

# 3. Selftests: every binary "ok", every harness case ok or skip.
grep -q 'WORKBENCH selftests end' "$st" || { echo "qemu-test: the selftests did not finish ($st)" >&2; bad=1; }
read -r st_pass st_fail st_skip st_bins st_bins_bad < <(awk '
	/^# ok [0-9]+ / { if ($0 ~ /# SKIP/) s++; else p++ }
	/^# not ok [0-9]+ / { f++ }
	/^ok [0-9]+ selftests: / { b++ }
	/^not ok [0-9]+ selftests: / { b++; bb++ }
	END { print p+0, f+0, s+0, b+0, bb+0 }' "$st")
if [ "$st_fail" != 0 ] || [ "$st_bins_bad" != 0 ]; then
	echo "qemu-test: selftests failed ($st):" >&2
	grep -E '^# not ok|^not ok [0-9]+ selftests: ' "$st" >&2 || true
	bad=1
fi
if [ "${ONLY_SELFTESTS:-}" = none ]; then
	[ "$st_bins" = 0 ] || { echo "qemu-test: ONLY_SELFTESTS=none, yet a selftest ran ($st)" >&2; bad=1; }
elif [ "$st_bins" = 0 ]; then
	echo "qemu-test: no selftest ran ($st)" >&2
	bad=1
fi
for t in ${ONLY_SELFTESTS:-}; do
	[ "$t" != none ] || continue
	grep -qE "^(not )?ok [0-9]+ selftests: [a-z0-9_]+: $t( |$)" <<< "$serial" ||
		{ echo "qemu-test: $t, named in ONLY_SELFTESTS, did not run ($st)" >&2; bad=1; }
done
# A binary that died without reporting its cases still counts as a failure.
[ "$st_bins_bad" = 0 ] || [ "$st_fail" != 0 ] || st_fail=$st_bins_bad

cat > "$dir/counts" <<EOC
kunit_pass=$kunit_pass
kunit_fail=$kunit_fail
kunit_skip=$kunit_skip
selftest_pass=$st_pass
selftest_fail=$st_fail
selftest_skip=$st_skip
verdict=$([ $bad = 0 ] && echo pass || echo fail)
EOC

# 4. Per-test counter deltas, for the report.
awk '
	$1 != "STATS" { next }
	$4 == "TLB:" {
		n = NF - 6; key = $2
		for (i = 0; i < n; i++) v[key, $3, i] = $(5 + i)
		ncpu = n; if (!(key in seen)) { seen[key] = 1; order[++nt] = key }
		next
	}
	{ c[$2, $3, $4] = $5; names[$4] = 1 }
	END {
		printf "%-14s", "selftest"
		for (i = 0; i < ncpu; i++) printf " %9s", "IPI:CPU" i
		printf " %12s %12s %12s\n", "remote_flush", "remote_recv", "local_all"
		for (t = 1; t <= nt; t++) {
			k = order[t]; printf "%-14s", k
			for (i = 0; i < ncpu; i++) printf " %9d", v[k, "after", i] - v[k, "before", i]
			printf " %12d %12d %12d\n", c[k, "after", "nr_tlb_remote_flush"] - c[k, "before", "nr_tlb_remote_flush"],
				c[k, "after", "nr_tlb_remote_flush_received"] - c[k, "before", "nr_tlb_remote_flush_received"],
				c[k, "after", "nr_tlb_local_flush_all"] - c[k, "before", "nr_tlb_local_flush_all"]
		}
	}' "$st" > "$dir/stats.txt"

echo "qemu-test: KUnit $kunit_pass passed, $kunit_fail failed, $kunit_skip skipped; selftests $st_pass passed, $st_fail failed, $st_skip skipped ($dir)" >&2
[ $bad = 0 ] || die "qemu-test failed; logs in $dir"
