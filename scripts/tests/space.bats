#!/usr/bin/env bats
# scripts/space.sh and need_space: a disk too full to finish a run stops
# it before it starts, with what it needs and what there is.

load helpers

setup() {
	setup_workbench
}

gib() { echo $(($1 * 1048576)); }

@test "space: enough free space passes" {
	gib 40 > "$STUB/df_free"
	run "$WB/scripts/space.sh" 30 "make test"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "space: too little free space stops, saying what is needed and what there is" {
	gib 5 > "$STUB/df_free"
	run "$WB/scripts/space.sh" 30 "make test"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error: make test (about 30 GiB in all, of which its build folders hold 0 GiB) needs about 30 GiB free on /stubfs"* ]]
	[[ "$output" == *"which has 5 GiB free"* ]]
}

@test "space: what the build folders already hold counts" {
	mkdir -p "$WB/build" "$WB/build-stable"
	# Allocated, not written: du counts them, and it takes no time.
	fallocate -l 2G "$WB/build/big"
	fallocate -l 1G "$WB/build-stable/big"
	gib 8 > "$STUB/df_free"
	run "$WB/scripts/space.sh" 10 "make test"
	[ "$status" -eq 0 ]
	gib 6 > "$STUB/df_free"
	run "$WB/scripts/space.sh" 10 "make test"
	[ "$status" -eq 1 ]
	[[ "$output" == *"build folders hold 3 GiB) needs about 7 GiB free"* ]]
}

@test "space: bad arguments are a usage error" {
	run "$WB/scripts/space.sh" lots "make test"
	[ "$status" -eq 1 ]
	[[ "$output" == *"usage: scripts/space.sh GIB WHAT"* ]]
}
