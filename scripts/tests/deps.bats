#!/usr/bin/env bats
# scripts/deps.sh against stub dpkg-query, apt-cache, apt-get and id.

load helpers

setup() {
	setup_workbench
	offered "$BASE_VERSION" 6.12.120-1
}

@test "deps: the base package was never installed: installs the pinned version" {
	run "$WB/scripts/deps.sh" linux-source-6.12
	[ "$status" -eq 0 ]
	[[ "$output" == *"installing linux-source-6.12=$BASE_VERSION"* ]]
	apt_calls | grep -qx 'apt-get update'
	apt_calls | grep -qx "apt-get install -y --no-install-recommends --allow-downgrades linux-source-6.12=$BASE_VERSION"
}

@test "deps: another version of the base is installed: names it, installs the pinned one" {
	installed linux-source-6.12 6.12.110-1
	run "$WB/scripts/deps.sh" linux-source-6.12
	[ "$status" -eq 0 ]
	[[ "$output" == *"linux-source-6.12 6.12.110-1 is installed; the series needs $BASE_VERSION"* ]]
	apt_calls | grep -q "install .*linux-source-6.12=$BASE_VERSION\$"
}

@test "deps: a package removed with its config files left counts as missing" {
	installed rsync 3.2.7-1 deinstall ok config-files
	installed linux-source-6.12 "$BASE_VERSION" deinstall ok config-files
	run "$WB/scripts/deps.sh" rsync linux-source-6.12
	[ "$status" -eq 0 ]
	[[ "$output" == *"installing rsync linux-source-6.12=$BASE_VERSION"* ]]
	apt_calls | grep -q "install .* rsync linux-source-6.12=$BASE_VERSION\$"
}

@test "deps: apt-get reports success but the pinned version is not there: says so" {
	cat > "$BATS_TEST_TMPDIR/apt-get" <<'SH'
#!/bin/sh
echo "apt-get $*" >> "$STUB/calls"
[ "$1" = install ] && echo "linux-source-6.12 6.12.999-1 install ok installed" >> "$STUB/installed"
exit 0
SH
	chmod +x "$BATS_TEST_TMPDIR/apt-get"
	PATH=$BATS_TEST_TMPDIR:$PATH run "$WB/scripts/deps.sh" linux-source-6.12
	[ "$status" -eq 1 ]
	[[ "$output" == *"deps: linux-source-6.12=$BASE_VERSION is not installed after apt-get install (found: 6.12.999-1)"* ]]
}

@test "deps: the pinned version is installed: nothing to do" {
	installed linux-source-6.12 "$BASE_VERSION"
	installed rsync 3.2.7-1
	run "$WB/scripts/deps.sh" linux-source-6.12 rsync
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$(apt_calls)" ]
}

@test "deps: the archive does not offer the pinned version: lists what it offers" {
	offered 6.12.120-1 6.12.121-1
	run "$WB/scripts/deps.sh" linux-source-6.12 rsync
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not offer linux-source-6.12 $BASE_VERSION (it offers: 6.12.120-1 6.12.121-1)"* ]]
	! apt_calls | grep -q install
}

@test "deps: the archive offers no version at all: says none" {
	rm -f "$STUB/offered"
	run "$WB/scripts/deps.sh" linux-source-6.12
	[ "$status" -eq 1 ]
	[[ "$output" == *"(it offers: none)"* ]]
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
	run "$WB/scripts/deps.sh" linux-source-6.12 rsync
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing packages: linux-source-6.12=$BASE_VERSION rsync; run as root, or: apt-get update && apt-get install --allow-downgrades linux-source-6.12=$BASE_VERSION rsync"* ]]
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
