#!/usr/bin/env bash
# usage: scripts/report.sh [--summary] [--base BASELOGDIR] LOGDIR [TREE]
# Print what a test boot showed: the series, the test results and, per
# selftest, the TLB shootdown IPIs each CPU received (/proc/interrupts,
# TLB row) and the nr_tlb_* counters (/proc/vmstat, DEBUG_TLBFLUSH).
# --base: beside them, the same of a boot of the base (base-run.sh), and
# what a process exit costs the lazy CPUs (exit_lazy, exit_stress), on
# 4 vCPUs and, from make run's 8-vCPU boots (LOGDIR-8, BASELOGDIR-8),
# on 8.
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
# case stopped by a round without one, "case|IPI, round R" for one
# stopped by a round with one (exit_lazy on a kernel without the RFC);
# sorted by case.
lazy_ipis() {
	awk '/^# #  RUN / { c = $4; sub(/\.[a-z_]+$/, "", c) }
	     / stayed lazy in [0-9]+ rounds and got a TLB shootdown in [0-9]+/ {
		n = $0; sub(/.* stayed lazy in /, "", n); sub(/ .*/, "", n)
		m = $0; sub(/.*TLB shootdown in /, "", m)
		print c "|" m " of " n }
	     /round [0-9]+: lazy CPU [0-9]+ received (no|a) TLB shootdown/ {
		r = $0; sub(/.*round /, "", r); sub(/:.*/, "", r)
		print c "|" ($0 ~ /received no/ ? "none" : "IPI") ", round " r }' < <(tr -d '\r' < "$1") |
		LC_ALL=C sort -t'|' -k1,1
}

# exit_results SELFTESTS_LOG: what a process exit cost the lazy CPUs, one
# line per case: "lazy|K|per exit" for exit_lazy's variant lazy_K (with
# "(failed)" if it failed; "≥1 (stops at round R)" for a case stopped by
# a round with a shootdown before it printed its count),
# "ipis|VARIANT|per exit (N lazy)" and "held|VARIANT|what the page
# tables held came to" for exit_stress; "skipped", "failed" or "no
# result" where a case printed no count.  Nothing for a missing log.
exit_results() {
	[ -f "$1" ] || return 0
	tr -d '\r' < "$1" | awk '
	function tail(s, re) { sub(re, "", s); return s }
	/^# #  RUN / { c = $4; split(c, p, "."); t = p[1]; if (t ~ /^exit_(lazy|stress)$/) { v[c] = p[2]; order[++n] = c }; next }
	/^# (not )?ok [0-9]+ / { k = ($2 == "not") ? $5 : $4
		if ($0 ~ /# SKIP/) verdict[k] = "skipped"; else if ($2 == "not") verdict[k] = "failed" }
	t == "exit_lazy" && /exit: [0-9]+ TLB shootdowns? to [0-9]+ lazy CPUs? in .* per exit *$/ {
		pe[c] = tail(tail($0, " per exit *$"), ".*, ") }
	t == "exit_lazy" && /round [0-9]+: lazy CPU [0-9]+ received a TLB shootdown/ && !(c in stop) {
		stop[c] = tail(tail($0, ".*round "), ":.*") }
	t == "exit_stress" && /stress: [0-9]+ exits, [0-9]+ lazy CPUs?: .* per exit *$/ {
		lazy = tail(tail($0, " lazy CPUs?:.*"), ".* exits, ")
		pe[c] = tail(tail($0, " per exit *$"), ".*, ") " (" lazy " lazy)" }
	t == "exit_stress" && /stress: (page tables held: |no deferred page tables|[0-9]+ held once)/ {
		h = tail(tail($0, ".*stress: "), "^page tables held: ")
		held[c] = (held[c] == "") ? h : held[c] "; " h }
	END { for (i = 1; i <= n; i++) { c = order[i]; if (done[c]++) continue
		x = (pe[c] != "") ? pe[c] : (c in stop) ? "≥1 (stops at round " stop[c] ")" : ""
		if (x == "") x = (c in verdict) ? verdict[c] : "no result"
		else if (verdict[c] == "failed" && pe[c] != "") x = x " (failed)"
		if (c ~ /^exit_lazy\./) { k = v[c]; sub(/.*_/, "", k); print "lazy|" k "|" x }
		else { print "ipis|" v[c] "|" x; print "held|" v[c] "|" ((c in held) ? held[c] : (c in verdict) ? verdict[c] : "no result") } } }'
}

# cell WIDTH TEXT: TEXT padded to WIDTH characters ("≥" is one).
cell() {
	local t=${2//≥/>}
	printf '%s%*s' "$2" $(($1 > ${#t} ? $1 - ${#t} : 0)) ''
}

# exit_value KIND KEY LOG: that line's value of exit_results LOG, or
# why there is none.
exit_value() {
	[ -f "$3" ] || { echo "no log"; return; }
	exit_results "$3" | awk -F'|' -v k="$1" -v c="$2" '$1 == k && $2 == c { v = $3 }
		END { print (v == "" ? "not run" : v) }'
}

# exit_tables BASELOGDIR LOGDIR: exit_lazy's shootdowns to the k lazy
# CPUs per exit (k = 1 and 3 on 4 vCPUs, 7 on 8; any other k that ran),
# and exit_stress's, with the page tables exited mms held, base against
# series, on 4 vCPUs (the folders given) and on 8 (the same folders with
# -8, make run's).  A missing log is named, never left out in silence.
exit_tables() {
	local k n v b s cases held=() missing=() logs nv
	local f b4=$1/selftests.log s4=$2/selftests.log b8=$1-8/selftests.log s8=$2-8/selftests.log
	# NO_8VCPU=1 (make stable): there is no 8-vCPU boot to report.
	local nv="4 8" logs=("$b4" "$s4" "$b8" "$s8")
	[ -z "${NO_8VCPU:-}" ] || { nv=4; logs=("$b4" "$s4"); }
	echo "Process exit: TLB shootdowns to the lazy CPUs per exit (exit_lazy, k CPUs lazy in the dying mm):"
	printf '  %-3s %5s  %s%s\n' k vCPUs "$(cell 28 base)" series
	for k in 1 3 7; do
		for n in $nv; do
			if [ "$n" = 4 ]; then b=$b4 s=$s4; else b=$b8 s=$s8; fi
			b=$(exit_value lazy "$k" "$b") s=$(exit_value lazy "$k" "$s")
			# k = 7 needs 8 vCPUs; the other rows only when they ran.
			case "$k/$n" in
			1/4|3/4|7/8) ;;
			*) [[ ! "$b|$s" =~ ^(no log|not run|skipped)\|(no log|not run|skipped)$ ]] || continue ;;
			esac
			printf '  %-3s %5s  %s%s\n' "$k" "$n" "$(cell 28 "$b")" "$s"
		done
	done
	echo
	echo "Process exit under stress (exit_stress): TLB shootdowns to the lazy CPUs per exit:"
	printf '  %-16s %5s  %s%s\n' case vCPUs "$(cell 28 base)" series
	for n in $nv; do
		if [ "$n" = 4 ]; then b=$b4 s=$s4; else b=$b8 s=$s8; fi
		cases=$( { exit_results "$b"; exit_results "$s"; } | awk -F'|' '$1 == "ipis" && !seen[$2]++ { print $2 }')
		if [ -z "$cases" ]; then
			printf '  %-16s %5s  %s\n' - "$n" "no exit_stress case in $b or $s"
			continue
		fi
		for v in $cases; do
			printf '  %-16s %5s  %s%s\n' "$v" "$n" "$(cell 28 "$(exit_value ipis "$v" "$b")")" \
				"$(exit_value ipis "$v" "$s")"
			held+=("$v, $n vCPUs, base:   $(exit_value held "$v" "$b")"
				"$v, $n vCPUs, series: $(exit_value held "$v" "$s")")
		done
	done
	if [ ${#held[@]} -gt 0 ]; then
		echo "Page tables held by exited mms (exit_stress):"
		printf '  %s\n' "${held[@]}"
	fi
	for f in "${logs[@]}"; do
		[ -f "$f" ] && continue
		case "$f" in
		"$b8"|"$s8") missing+=("$f (make run's 8-vCPU boot)") ;;
		*) missing+=("$f") ;;
		esac
	done
	[ ${#missing[@]} = 0 ] || printf '  missing: %s\n' "${missing[@]}"
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
		exit_tables "$base" "$dir"
		echo
	fi
fi
echo "KUnit: $kunit_pass passed, $kunit_fail failed, $kunit_skip skipped; selftests: $selftest_pass passed, $selftest_fail failed, $selftest_skip skipped"
echo "$passed passed, $failed failed, $skipped skipped"
