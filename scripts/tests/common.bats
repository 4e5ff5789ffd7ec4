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

@test "common: a failure inside a common.sh function names that file and function" {
	cat > "$WB/scripts/wt.sh" <<'SH'
#!/usr/bin/env bash
. "$(dirname "$0")/common.sh"
local_gitignore /nonexistent
SH
	run bash "$WB/scripts/wt.sh"
	[ "$status" -ne 0 ]
	[[ "$output" =~ error:\ wt\.sh:\ common\.sh,\ line\ [0-9]+\ \(in\ local_gitignore\):\ \"sed\  ]]
}

@test "common: run_logged that ends quickly does not wait for its progress ticker" {
	start=$SECONDS
	out=$(PROGRESS_INTERVAL=30 "$WB/scripts/demo.sh" logged 'true' 2>&1)
	[ "$out" = "reached the end" ]
	[ $((SECONDS - start)) -lt 10 ]
}

@test "common: run_logged on failure shows the error and names the step and the log" {
	run "$WB/scripts/demo.sh" logged 'echo noise; echo "mm/a.c:1:2: error: boom"; for i in $(seq 1 30); do echo filler$i; done; exit 2'
	[ "$status" -eq 1 ]
	[[ "$output" == *"mm/a.c:1:2: error: boom"* ]]
	[[ "$output" != *noise* ]]
	[[ "$output" == *filler30* ]]
	[[ "$output" != *filler10* ]]
	[[ "$output" == *"demo step failed (exit 2); full log: $BUILD/logs/demo.log"* ]]
}

cache_settings() { bash -c ". '$WB/scripts/common.sh'; echo \"\$CCACHE_DIR \${CCACHE_MAXSIZE:-unset}\""; }

@test "common: the compiler cache lives outside the clone, bounded" {
	run cache_settings
	[ "$status" -eq 0 ]
	[ "$output" = "$HOME/.cache/x86-lazy-tlb-workbench/ccache 5G" ]
	XDG_CACHE_HOME=$BATS_TEST_TMPDIR/xdg run cache_settings
	[ "$status" -eq 0 ]
	[ "$output" = "$BATS_TEST_TMPDIR/xdg/x86-lazy-tlb-workbench/ccache 5G" ]
	# a relative XDG_CACHE_HOME is ignored, as the XDG spec says
	XDG_CACHE_HOME=relative run cache_settings
	[ "$output" = "$HOME/.cache/x86-lazy-tlb-workbench/ccache 5G" ]
	# a cache of the user's own keeps its own settings
	CCACHE_DIR=/elsewhere run cache_settings
	[ "$status" -eq 0 ]
	[ "$output" = "/elsewhere unset" ]
}

@test "common: a relative BUILD from the caller is made absolute" {
	cd "$BATS_TEST_TMPDIR"
	BUILD=rel run bash -c ". '$WB/scripts/common.sh'; echo \"\$BUILD \$LOGS\""
	[ "$status" -eq 0 ]
	[ "$output" = "$BATS_TEST_TMPDIR/rel $BATS_TEST_TMPDIR/rel/logs" ]
}

@test "common: a function that fails inside \$(...) stops the script, named once" {
	cat > "$WB/scripts/fn.sh" <<'SH'
#!/usr/bin/env bash
. "$(dirname "$0")/common.sh"
f() {
	git -C /nonexistent status > /dev/null 2>&1
	echo "should not be printed"
}
wt=$(f)
echo "reached the end: $wt"
SH
	run bash "$WB/scripts/fn.sh"
	[ "$status" -ne 0 ]
	[[ "$output" != *"reached the end"* ]]
	[ "$(grep -c '^error:' <<< "$output")" -eq 1 ]
	[[ "$output" == *'error: fn.sh, line 7: "wt=$(f)" failed'* ]]
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
