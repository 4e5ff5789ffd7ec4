#!/usr/bin/env bats
# scripts/tree.sh and scripts/export.sh on a tiny fake kernel tarball.

load helpers

setup() {
	setup_workbench
	fake_tarball
}

@test "tree: no base tarball: fetches it with base-source.sh, which names what the suite offers" {
	apt_sources
	offered 7.0.1-1
	WB_TARBALL=$BATS_TEST_TMPDIR/none.tar.xz run "$WB/scripts/tree.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"base: $BASE_SUITE does not offer $BASE_PKG $BASE_VERSION (it offers: 7.0.1-1)"* ]]
	[ ! -e "$BUILD/linux" ]
}

@test "tree: base plus the series, applied with git am" {
	make_patch 0001-one.patch 'int b;' 'int bb;' 'mm: Change b'
	run "$WB/scripts/tree.sh"
	[ "$status" -eq 0 ]
	[[ "$output" == *"build/linux: base + 1 patches, branch series"* ]]
	grep -qx 'int bb;' "$BUILD/linux/mm/a.c"
	[ "$(git -C "$BUILD/linux" log -1 --format=%s)" = "mm: Change b" ]
}

@test "tree: no room for the tree stops before unpacking, and says so" {
	make_patch 0001-one.patch 'int b;' 'int bb;' 'mm: Change b'
	echo $((3 * 1048576)) > "$STUB/df_free"
	run "$WB/scripts/tree.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error: tree: making $BUILD/linux: needs 4 GiB free for $BUILD, whose file system has 3.0 GiB free"* ]]
	[ ! -e "$BUILD/linux" ] && [ ! -e "$BUILD/linux.tmp" ]
}

@test "tree: a patch that does not apply: names the patch and the log" {
	make_patch 0001-bad.patch 'int b;' 'int bb;' 'mm: Change b'
	sed -i 's/^ int a;$/ int z;/' "$WB/patches/0001-bad.patch"
	run "$WB/scripts/tree.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"patch 0001-bad.patch does not apply with git am (log: $BUILD/logs/am.log)"* ]]
	[ -s "$BUILD/logs/am.log" ]
}

@test "tree: commits that differ from patches/ are kept unless FORCE=1" {
	series_tree 'int d;' 'mm: Unexported work'
	head=$(git -C "$BUILD/linux" rev-parse HEAD)
	run "$WB/scripts/tree.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"build/linux has commits that differ from patches/: run 'make export' to keep them, or 'make tree FORCE=1' to drop them"* ]]
	[ "$(git -C "$BUILD/linux" rev-parse HEAD)" = "$head" ]
	FORCE=1 run "$WB/scripts/tree.sh"
	[ "$status" -eq 0 ]
	[ "$(git -C "$BUILD/linux" log -1 --format=%s)" = "mm: Change b" ]
}

@test "export: a dirty tree is refused and patches/ stays byte-identical" {
	series_tree 'int d;' 'mm: Add d'
	echo 'int e;' >> "$BUILD/linux/mm/a.c"
	before=$(digest "$WB/patches")
	run "$WB/scripts/export.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"/build/linux has uncommitted changes; commit or drop them first, patches/ left as it is"* ]]
	[[ "$output" == *"M mm/a.c"* ]]
	[ "$(digest "$WB/patches")" = "$before" ]
}

@test "export: a clean tree is written back, one patch a commit, with series" {
	series_tree 'int d;' 'mm: Add d'
	run "$WB/scripts/export.sh"
	[ "$status" -eq 0 ]
	[ "$(cat "$WB/patches/series")" = "$(printf '0001-mm-Change-b.patch\n0002-mm-Add-d.patch')" ]
	[ ! -e "$WB/patches/0001-one.patch" ]
	grep -q '^+int d;' "$WB/patches/0002-mm-Add-d.patch"
	# and tree.sh accepts the result as matching patches/
	run "$WB/scripts/tree.sh"
	[ "$status" -eq 0 ]
	[[ "$output" == *"already holds the series (2 commits)"* ]]
}

@test "export: COVER gives the cover letter's subject and blurb, kept by the next export" {
	series_tree 'int d;' 'mm: Add d'
	printf 'mm: Change a and d\n\nWhy a and d change.\n' > "$BATS_TEST_TMPDIR/cover.txt"
	COVER=$BATS_TEST_TMPDIR/cover.txt run "$WB/scripts/export.sh"
	[ "$status" -eq 0 ]
	grep -qx 'Subject: \[PATCH v3 0/2\] mm: Change a and d' "$WB/patches/0000-cover-letter.patch"
	grep -qx 'Why a and d change.' "$WB/patches/0000-cover-letter.patch"
	grep -q '^Subject: \[PATCH v3 2/2\] mm: Add d' "$WB/patches/0002-mm-Add-d.patch"
	run "$WB/scripts/export.sh"
	[ "$status" -eq 0 ]
	grep -qx 'Subject: \[PATCH v3 0/2\] mm: Change a and d' "$WB/patches/0000-cover-letter.patch"
	grep -qx 'Why a and d change.' "$WB/patches/0000-cover-letter.patch"
}

@test "export: a relative COVER is read from where the export started" {
	series_tree 'int d;' 'mm: Add d'
	printf 'mm: Relative cover\n\nFrom here.\n' > "$BATS_TEST_TMPDIR/cover.txt"
	cd "$BATS_TEST_TMPDIR"
	COVER=cover.txt run "$WB/scripts/export.sh"
	[ "$status" -eq 0 ]
	grep -qx 'Subject: \[PATCH v3 0/2\] mm: Relative cover' "$WB/patches/0000-cover-letter.patch"
}

@test "export: COVER that is not a file: says so, patches/ untouched" {
	series_tree 'int d;' 'mm: Add d'
	before=$(digest "$WB/patches")
	COVER=$BATS_TEST_TMPDIR/nope.txt run "$WB/scripts/export.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"export: COVER=$BATS_TEST_TMPDIR/nope.txt is not a file; patches/ left as it is"* ]]
	[ "$(digest "$WB/patches")" = "$before" ]
}

@test "export: a status too long for a pipe still gets the dirty-tree message" {
	make_patch 0001-one.patch 'int b;' 'int bb;' 'mm: Change b'
	"$WB/scripts/tree.sh"
	mkdir "$BUILD/linux/mm/many"
	(cd "$BUILD/linux/mm/many" && seq -f 'untracked-file-with-a-long-name-%05g' 1 3000 | xargs touch)
	git -C "$BUILD/linux" config status.showUntrackedFiles all
	before=$(digest "$WB/patches")
	run "$WB/scripts/export.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"build/linux has uncommitted changes"* ]]
	[ "$(digest "$WB/patches")" = "$before" ]
}

@test "export: a backport base writes its own folder, with no cover letter, and leaves the rest alone" {
	printf 'main linux-source-7.0 7.0.1-1 suite-a patches PATCH v9\nold linux-source-6.1 6.1.2-1 suite-b patches/old PATCH 6.1.y\n' \
		> "$BATS_TEST_TMPDIR/bases"
	export WB_BASES=$BATS_TEST_TMPDIR/bases
	mkdir -p "$WB/patches/old" "$WB/mm"
	: > "$WB/patches/old/series"
	echo 'kept' > "$WB/mm/added.c"
	unset BUILD
	BASE=old "$WB/scripts/tree.sh"
	echo 'int d;' >> "$WB/build-old/linux/mm/a.c"
	git -C "$WB/build-old/linux" commit -q -a -m 'mm: Add d'
	BASE=old run "$WB/scripts/export.sh"
	[ "$status" -eq 0 ]
	[[ "$output" == *"patches/old/: 1 patch(es), no cover letter"* ]]
	[ "$(cat "$WB/patches/old/series")" = 0001-mm-Add-d.patch ]
	grep -q '^Subject: \[PATCH 6.1.y\] mm: Add d' "$WB/patches/old/0001-mm-Add-d.patch"
	[ ! -e "$WB/patches/old/0000-cover-letter.patch" ]
	[ "$(cat "$WB/mm/added.c")" = kept ]
	printf 'x\n\ny\n' > "$BATS_TEST_TMPDIR/cover.txt"
	BASE=old COVER=$BATS_TEST_TMPDIR/cover.txt run "$WB/scripts/export.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"a backport series (old) has no cover letter"* ]]
}
