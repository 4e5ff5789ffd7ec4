# shellcheck shell=bash
# Set-up shared by the workbench's bats tests: a scratch copy of the
# workbench (scripts/ and an empty patches/) in the test's own temporary
# folder, with stub apt-get, apt-cache, dpkg-query, id and
# qemu-system-x86_64 first on PATH (stubs/, driven by files in $STUB).

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
# The default base: the first row of scripts/bases.
read -r _ BASE_PKG BASE_VERSION BASE_SUITE _ < <(awk '!/^#/ && NF { print; exit }' "$REPO/scripts/bases")

setup_workbench() {
	WB=$BATS_TEST_TMPDIR/wb
	STUB=$BATS_TEST_TMPDIR/stub
	mkdir -p "$WB/patches" "$STUB"
	cp -r "$REPO/scripts" "$REPO/kunit" "$WB/"
	: > "$STUB/installed"
	: > "$STUB/calls"
	export STUB WB
	export BUILD=$WB/build
	export PATH="$REPO/scripts/tests/stubs:$PATH"
	# Nothing of the caller's environment or git configuration counts.
	# (make test runs bats from make: its MAKEFLAGS must not reach the
	# makes the tests run either.)
	unset CCACHE_DIR CCACHE_MAXSIZE KOUT KTREE FORCE PROGRESS_INTERVAL \
		QEMU_TIMEOUT WB_TARBALL XDG_CACHE_HOME MUTANTS VCPUS DEB_CACHE \
		BASE_KEYRING APT_ETC OS_RELEASE COVER BASE WB_BASES EXPECT_FAIL RUN_AT \
		STABLE_EXPECT_FAIL STABLE_BACKPORT_EXPECT_FAIL ONLY_SELFTESTS ONLY_KUNIT \
		BOOT_ONLY NO_KUNIT KERNEL_CMDLINE_EXTRA HUGEPAGES \
		MAKEFLAGS MAKELEVEL MFLAGS MAKEOVERRIDES
	export HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$HOME"
	export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
	export GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=tester@example.org
	export GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=tester@example.org
}

# installed PKG VERSION [STATUS]: dpkg-query reports PKG at VERSION with
# STATUS (default "install ok installed"; "deinstall ok config-files"
# is a package removed with its configuration files left).
installed() { echo "$1 $2 ${3:-install ok installed}" >> "$STUB/installed"; }

# offered VERSION...: apt-cache madison offers these versions of the base.
offered() { printf '%s\n' "$@" > "$STUB/offered"; }

# apt_calls: what apt-get was asked to do, one call a line.
apt_calls() { grep '^apt-get' "$STUB/calls" || true; }

# digest DIR: one checksum of every file below DIR, names and contents.
digest() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum; }

# fake_tarball: a tiny "kernel source" tarball laid out as Debian's is,
# with its top-level .gitignore; WB_TARBALL points at it.
fake_tarball() {
	local src=$BATS_TEST_TMPDIR/src/$BASE_PKG
	mkdir -p "$src/mm" "$src/debian"
	printf '/*\n!/debian/\n' > "$src/.gitignore"
	printf 'all:\n' > "$src/Makefile"
	printf 'int a;\nint b;\nint c;\n' > "$src/mm/a.c"
	echo debian > "$src/debian/control"
	tar -cJf "$BATS_TEST_TMPDIR/$BASE_PKG.tar.xz" -C "$BATS_TEST_TMPDIR/src" "$BASE_PKG"
	export WB_TARBALL=$BATS_TEST_TMPDIR/$BASE_PKG.tar.xz
}

# make_patch FILE OLD NEW SUBJECT: a git format-patch file, in patches/
# and listed in patches/series, that replaces line OLD of mm/a.c by NEW.
make_patch() {
	local tmp
	tmp=$(mktemp -d "$BATS_TEST_TMPDIR/mk.XXXXXX")
	mkdir -p "$tmp/mm"
	git -C "$tmp" init -q
	printf 'int a;\nint b;\nint c;\n' > "$tmp/mm/a.c"
	git -C "$tmp" add -A && git -C "$tmp" commit -q -m base
	sed -i "s/^$2\$/$3/" "$tmp/mm/a.c"
	git -C "$tmp" commit -q -a -m "$4"
	git -C "$tmp" format-patch -q --zero-commit -1 --stdout > "$WB/patches/$1"
	echo "$1" >> "$WB/patches/series"
}

# one_patch_tree: build/linux from the fake tarball (fake_tarball first)
# and a one-patch series.
one_patch_tree() {
	make_patch 0001-one.patch 'int b;' 'int bb;' 'mm: Change b'
	"$WB/scripts/tree.sh"
}

# series_tree LINE MSG: build/linux from the fake tarball and a one-patch
# series, plus one more commit that appends LINE to mm/a.c (not in patches/).
series_tree() {
	one_patch_tree
	echo "$1" >> "$BUILD/linux/mm/a.c"
	git -C "$BUILD/linux" commit -q -a -m "$2"
}

# apt_sources: a machine whose apt configuration (APT_ETC, OS_RELEASE)
# names the archive http://archive.test/debian for "bookworm main", and
# whose archive keyring (BASE_KEYRING) exists.
apt_sources() {
	export APT_ETC=$BATS_TEST_TMPDIR/apt OS_RELEASE=$BATS_TEST_TMPDIR/os-release
	export BASE_KEYRING=$BATS_TEST_TMPDIR/keyring.gpg
	mkdir -p "$APT_ETC/sources.list.d"
	printf 'ID=debian\nVERSION_CODENAME=bookworm\n' > "$OS_RELEASE"
	printf 'Types: deb\nURIs: http://archive.test/debian/\nSuites: bookworm bookworm-updates\nComponents: main\n\n' \
		> "$APT_ETC/sources.list.d/debian.sources"
	: > "$BASE_KEYRING"
}
