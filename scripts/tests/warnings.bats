#!/usr/bin/env bats
# scripts/warnings.sh: W=1 warnings of the series against the base's.
# kernel.sh and make are stubbed: the stub make prints, for the series'
# tree, the warnings in $STUB/series-warnings, for the base's those in
# $STUB/base-warnings.

load helpers

setup() {
	setup_workbench
	fake_tarball
	one_patch_tree
	touch "$BUILD/linux/mm/a.o"
	printf '#!/bin/sh\nexit 0\n' > "$WB/scripts/kernel.sh"
	chmod +x "$WB/scripts/kernel.sh"
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cat > "$BATS_TEST_TMPDIR/bin/make" <<'SH'
#!/bin/sh
case "$2" in
*/warnings-base) cat "$STUB/base-warnings" ;;
*) cat "$STUB/series-warnings" ;;
esac
SH
	chmod +x "$BATS_TEST_TMPDIR/bin/make"
	export PATH="$BATS_TEST_TMPDIR/bin:$PATH"
	: > "$STUB/base-warnings"
	: > "$STUB/series-warnings"
}

@test "warnings: no warning in the base nor in the series passes" {
	run "$WB/scripts/warnings.sh" "$BUILD/linux"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warnings: no new W=1 or sparse warning in 1 objects (0 warnings, all in the base too)"* ]]
}

@test "warnings: a warning the base has too, on another line, passes" {
	echo 'mm/a.c:1:5: warning: old one [-Wfoo]' > "$STUB/base-warnings"
	echo 'mm/a.c:7:5: warning: old one [-Wfoo]' > "$STUB/series-warnings"
	run "$WB/scripts/warnings.sh" "$BUILD/linux"
	[ "$status" -eq 0 ]
	[[ "$output" == *"(1 warnings, all in the base too)"* ]]
}

@test "warnings: a warning the series adds fails, naming it" {
	echo 'mm/a.c:2:5: warning: new one [-Wbar]' > "$STUB/series-warnings"
	run "$WB/scripts/warnings.sh" "$BUILD/linux"
	[ "$status" -eq 1 ]
	[[ "$output" == *"mm/a.c: warning: new one [-Wbar]"* ]]
	[[ "$output" == *"warnings: the series adds W=1 or sparse warnings"* ]]
}
