#!/usr/bin/env bats
# scripts/base-source.sh and scripts/archive-uri.sh against stub apt-get,
# apt-cache and dpkg-deb, on a made-up apt configuration.

load helpers

setup() {
	setup_workbench
	apt_sources
	fake_tarball
	cp "$WB_TARBALL" "$STUB/tarball"
	export WB_TARBALL=$BUILD/base/$BASE_PKG.tar.xz
	export DEB_CACHE=$BATS_TEST_TMPDIR/debs
}

@test "base-source: downloads the pinned version from its suite on the machine's archive, then unpacks it" {
	offered 7.0.1-1 "$BASE_VERSION"
	run "$WB/scripts/base-source.sh"
	[ "$status" -eq 0 ]
	[[ "$output" == *"fetching $BASE_PKG $BASE_VERSION from $BASE_SUITE (http://archive.test/debian)"* ]]
	grep -qx "deb \\[signed-by=$BASE_KEYRING\\] http://archive.test/debian $BASE_SUITE main" "$BUILD/apt/etc/sources.list"
	grep -q "apt-get .* download $BASE_PKG=$BASE_VERSION\$" "$STUB/calls"
	! grep -q 'apt-get .*install' "$STUB/calls"
	cmp "$STUB/tarball" "$WB_TARBALL"
}

@test "base-source: a second clone unpacks the cached package without apt" {
	offered "$BASE_VERSION"
	"$WB/scripts/base-source.sh"
	rm -rf "$BUILD/base"
	: > "$STUB/calls"
	run "$WB/scripts/base-source.sh"
	[ "$status" -eq 0 ]
	! grep -q '^apt' "$STUB/calls"
	cmp "$STUB/tarball" "$WB_TARBALL"
}

@test "base-source: the suite no longer offers the version: lists what it offers" {
	offered 7.0.1-1 7.0.2-1
	run "$WB/scripts/base-source.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"base: $BASE_SUITE does not offer $BASE_PKG $BASE_VERSION (it offers: 7.0.1-1 7.0.2-1)"* ]]
	[ ! -e "$WB_TARBALL" ]
}

@test "base-source: apt-get update of the suite fails: names the step and the log" {
	echo update > "$STUB/fail"
	run "$WB/scripts/base-source.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"base: apt-get update for $BASE_SUITE failed (exit 100); full log: $BUILD/logs/base-apt-update.log"* ]]
}

@test "base-source: no archive keyring: names the package" {
	rm "$BASE_KEYRING"
	run "$WB/scripts/base-source.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is missing: install debian-archive-keyring (make deps)"* ]]
}

@test "archive-uri: one-line sources.list, options and comments skipped" {
	rm "$APT_ETC/sources.list.d/debian.sources"
	printf '# deb http://old.test/debian bookworm main\ndeb [arch=amd64] http://one.test/debian bookworm main contrib\n' \
		> "$APT_ETC/sources.list"
	run "$WB/scripts/archive-uri.sh"
	[ "$status" -eq 0 ]
	[ "$output" = "http://one.test/debian" ]
}

@test "archive-uri: a deb822 source that is not enabled, or without main, does not count" {
	printf 'Types: deb\nURIs: http://off.test/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n' \
		> "$APT_ETC/sources.list.d/a-off.sources"
	printf 'Types: deb\nURIs: http://nonfree.test/debian\nSuites: bookworm\nComponents: non-free\n' \
		> "$APT_ETC/sources.list.d/b-nonfree.sources"
	run "$WB/scripts/archive-uri.sh"
	[ "$status" -eq 0 ]
	[ "$output" = "http://archive.test/debian" ]
}

@test "archive-uri: no source serves the machine's release: says so" {
	printf 'ID=debian\nVERSION_CODENAME=trixie\n' > "$OS_RELEASE"
	run "$WB/scripts/archive-uri.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no apt source in $APT_ETC serves 'trixie main'"* ]]
}

@test "archive-uri: a suite the machine's sources name comes from its own source" {
	printf 'Types: deb\nURIs: http://security.test/debian-security\nSuites: bookworm-security\nComponents: main\n' \
		> "$APT_ETC/sources.list.d/security.sources"
	run "$WB/scripts/archive-uri.sh" bookworm-security
	[ "$status" -eq 0 ]
	[ "$output" = "http://security.test/debian-security" ]
	run "$WB/scripts/archive-uri.sh" trixie-backports
	[ "$status" -eq 0 ]
	[ "$output" = "http://archive.test/debian" ]
}

@test "base-source: BASE picks another row of scripts/bases, with its own build folder" {
	printf 'main linux-source-7.0 7.0.1-1 suite-a patches PATCH v9\nold linux-source-6.1 6.1.2-1 suite-b patches/old PATCH 6.1.y\n' \
		> "$BATS_TEST_TMPDIR/bases"
	export WB_BASES=$BATS_TEST_TMPDIR/bases BASE=old
	unset BUILD WB_TARBALL
	offered 6.1.1-1 6.1.2-1
	run "$WB/scripts/base-source.sh"
	[ "$status" -eq 0 ]
	[[ "$output" == *"fetching linux-source-6.1 6.1.2-1 from suite-b"* ]]
	[ -f "$WB/build-old/base/linux-source-6.1.tar.xz" ]
	[ ! -e "$WB/build" ]
	BASE=nosuch run "$WB/scripts/base-source.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"BASE=nosuch is not a complete row of $WB_BASES (bases there: main old)"* ]]
}

@test "archive-uri: a security suite the machine's sources do not name: says so, no guess" {
	run "$WB/scripts/archive-uri.sh" bookworm-security
	[ "$status" -eq 1 ]
	[[ "$output" == *"no apt source in $APT_ETC serves 'bookworm-security main' (a security suite is on an archive of its own)"* ]]
}
