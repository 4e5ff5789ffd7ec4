#!/usr/bin/env bats
# scripts/deps.sh against stub dpkg-query, apt-cache, apt-get and id.

load helpers

setup() {
	setup_workbench
}

@test "deps: missing packages are installed after apt-get update" {
	installed rsync 3.2.7-1
	run "$WB/scripts/deps.sh" rsync cpio bc
	[ "$status" -eq 0 ]
	[[ "$output" == *"installing cpio bc"* ]]
	apt_calls | grep -qx 'apt-get update'
	apt_calls | grep -qx "apt-get install -y --no-install-recommends cpio bc"
}

@test "deps: a package removed with its config files left counts as missing" {
	installed rsync 3.2.7-1 deinstall ok config-files
	run "$WB/scripts/deps.sh" rsync
	[ "$status" -eq 0 ]
	[[ "$output" == *"installing rsync"* ]]
	apt_calls | grep -q "install .* rsync\$"
}

@test "deps: apt-get reports success but the package is not there: says so" {
	cat > "$BATS_TEST_TMPDIR/apt-get" <<'SH'
#!/bin/sh
echo "apt-get $*" >> "$STUB/calls"
exit 0
SH
	chmod +x "$BATS_TEST_TMPDIR/apt-get"
	PATH=$BATS_TEST_TMPDIR:$PATH run "$WB/scripts/deps.sh" rsync
	[ "$status" -eq 1 ]
	[[ "$output" == *"deps: rsync is not installed after apt-get install; see $BUILD/logs/apt-install.log"* ]]
}

@test "deps: everything is installed: nothing to do" {
	installed rsync 3.2.7-1
	installed cpio 2.13
	run "$WB/scripts/deps.sh" cpio rsync
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$(apt_calls)" ]
}

@test "deps: a missing package the archive does not have is named" {
	echo no-such-pkg > "$STUB/unavailable"
	run "$WB/scripts/deps.sh" rsync no-such-pkg
	[ "$status" -eq 1 ]
	[[ "$output" == *"package no-such-pkg is not available from the configured archive"* ]]
	! apt_calls | grep -q install
}

@test "deps: not root: names the missing packages and the command" {
	echo 1000 > "$STUB/uid"
	run "$WB/scripts/deps.sh" cpio rsync
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing packages: cpio rsync; run as root, or: apt-get update && apt-get install cpio rsync"* ]]
	[ -z "$(apt_calls)" ]
}

@test "deps: apt-get install fails: names the step, shows apt's error and the log" {
	echo install > "$STUB/fail"
	run "$WB/scripts/deps.sh" rsync
	[ "$status" -eq 1 ]
	[[ "$output" == *"E: stub: apt-get install failed"* ]]
	[[ "$output" == *"deps: apt-get install rsync failed (exit 100); full log: $BUILD/logs/apt-install.log"* ]]
	[ -s "$BUILD/logs/apt-install.log" ]
}

@test "deps: apt-get update fails: names the step and the log" {
	echo update > "$STUB/fail"
	run "$WB/scripts/deps.sh" rsync
	[ "$status" -eq 1 ]
	[[ "$output" == *"deps: apt-get update failed (exit 100); full log: $BUILD/logs/apt-update.log"* ]]
	! apt_calls | grep -q install
}

@test "deps: no package named is a usage error" {
	run "$WB/scripts/deps.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"usage: scripts/deps.sh PACKAGE..."* ]]
}
