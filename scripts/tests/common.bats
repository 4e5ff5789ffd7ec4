#!/usr/bin/env bats
# scripts/common.sh: no silent exit, progress lines, logged steps.

load helpers

setup() {
	setup_workbench
	cat > "$WB/scripts/demo.sh" <<'SH'
#!/usr/bin/env bash
. "$(dirname "$0")/common.sh"
case "$1" in
fail) false ;;
pipe) grep -q never /dev/null | cat ;;
logged) run_logged "demo step" "$LOGS/demo.log" bash -c "$2" ;;
esac
echo "reached the end"
SH
	chmod +x "$WB/scripts/demo.sh"
}

@test "common: a command that fails outside die() names the script, the line and the command" {
	run "$WB/scripts/demo.sh" fail
	[ "$status" -eq 1 ]
	[[ "$output" == *'error: demo.sh, line 4: "false" failed (exit 1)'* ]]
	[[ "$output" != *"reached the end"* ]]
}

@test "common: a failing pipeline is not silent either" {
	run "$WB/scripts/demo.sh" pipe
	[ "$status" -ne 0 ]
	[[ "$output" == *"error: demo.sh, line 5:"* ]]
}

@test "common: run_logged prints progress while a step runs" {
	PROGRESS_INTERVAL=1 run "$WB/scripts/demo.sh" logged 'echo "  CC      mm/a.o"; echo "  CC      mm/b.o"; sleep 2.5'
	[ "$status" -eq 0 ]
	[[ "$output" =~ \.\.\.\ demo\ step:\ [0-9]+s,\ 2\ objects\ built\;\ \ \ CC\ {6}mm/b\.o ]]
	[[ "$output" == *"reached the end"* ]]
	[ "$(grep -c CC "$BUILD/logs/demo.log")" -eq 2 ]
}

@test "common: run_logged on failure shows the error and names the step and the log" {
	run "$WB/scripts/demo.sh" logged 'echo noise; echo "mm/a.c:1:2: error: boom"; exit 2'
	[ "$status" -eq 1 ]
	[[ "$output" == *"mm/a.c:1:2: error: boom"* ]]
	[[ "$output" != *noise* ]]
	[[ "$output" == *"demo step failed (exit 2); full log: $BUILD/logs/demo.log"* ]]
}

@test "common: the compiler cache lives outside the clone, bounded" {
	run env -u CCACHE_DIR -u CCACHE_MAXSIZE HOME="$BATS_TEST_TMPDIR/home" XDG_CACHE_HOME= \
		bash -c ". '$WB/scripts/common.sh'; echo \"\$CCACHE_DIR \$CCACHE_MAXSIZE\""
	[ "$status" -eq 0 ]
	[ "$output" = "$BATS_TEST_TMPDIR/home/.cache/x86-lazy-tlb-workbench/ccache 5G" ]
	run env CCACHE_DIR=/elsewhere bash -c ". '$WB/scripts/common.sh'; echo \"\$CCACHE_DIR\""
	[ "$output" = /elsewhere ]
}

@test "common: a failure inside \$(...) is reported once, by the line that used it" {
	cat > "$WB/scripts/sub.sh" <<'SH'
#!/usr/bin/env bash
. "$(dirname "$0")/common.sh"
quiet=$(grep -c never /dev/null) || true
v=$(false)
SH
	run bash "$WB/scripts/sub.sh"
	[ "$status" -eq 1 ]
	[ "$output" = 'error: sub.sh, line 4: "v=$(false)" failed (exit 1)' ]
}
