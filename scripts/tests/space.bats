#!/usr/bin/env bats
# scripts/space.sh and need_space: a disk too full to finish a run stops
# it before it starts, with what it needs and what there is.

load helpers

setup() {
	setup_workbench
}

kib() { echo $(($1 * 1048576 + ${2:-0})); }

@test "space: enough free space passes, and it is the file system of build/ that is asked" {
	kib 40 > "$STUB/df_free"
	run "$WB/scripts/space.sh" 30 "make test"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	grep -qxF "df -Pk -- $BUILD" "$STUB/calls"
}

@test "space: too little free space stops, saying what is needed and what there is" {
	kib 5 > "$STUB/df_free"
	run "$WB/scripts/space.sh" 30 "make test"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error: make test (about 30 GiB in all, 0 GiB of it in its build folders already): needs 30 GiB free for $BUILD, whose file system has 5.0 GiB free (df -h '$BUILD')"* ]]
}

@test "space: what the build folders hold counts; exactly enough passes, 1 KiB less fails" {
	mkdir -p "$WB/build-stable"
	kib 3 > "$STUB/du_kib"
	kib 7 > "$STUB/df_free"
	run "$WB/scripts/space.sh" 10 "make test"
	[ "$status" -eq 0 ]
	grep -qxF "du -csk -- $BUILD/ $WB/build-stable/" "$STUB/calls"
	kib 7 -1 > "$STUB/df_free"
	run "$WB/scripts/space.sh" 10 "make test"
	[ "$status" -eq 1 ]
	[[ "$output" == *"(about 10 GiB in all, 3 GiB of it in its build folders already): needs 7 GiB free"*"has 7.0 GiB free"* ]]
}

@test "space: build folders that hold it all still need 1 GiB free" {
	kib 30 > "$STUB/du_kib"
	kib 0 1000 > "$STUB/df_free"
	run "$WB/scripts/space.sh" 24 "make test"
	[ "$status" -eq 1 ]
	[[ "$output" == *"needs 1 GiB free for $BUILD, whose file system has 0.0 GiB free"* ]]
}

@test "space: du failing on a file it cannot read still counts, and is no error" {
	kib 3 > "$STUB/du_kib"
	echo 1 > "$STUB/du_rc"
	kib 7 > "$STUB/df_free"
	run "$WB/scripts/space.sh" 10 "make test"
	[ "$status" -eq 0 ]
	kib 6 > "$STUB/df_free"
	run "$WB/scripts/space.sh" 10 "make test"
	[ "$status" -eq 1 ]
	[[ "$output" == *"3 GiB of it in its build folders already): needs 7 GiB free"* ]]
}

@test "space: bad arguments are a usage error" {
	for gib in lots 08 0; do
		run "$WB/scripts/space.sh" "$gib" "make test"
		[ "$status" -eq 1 ]
		[[ "$output" == *"usage: scripts/space.sh GIB WHAT"* ]]
	done
}
