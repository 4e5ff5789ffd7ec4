#!/usr/bin/env bats
# scripts/tree.sh and scripts/export.sh on a tiny fake kernel tarball.

load helpers

setup() {
	setup_workbench
	fake_tarball
}

@test "tree: the base tarball is missing: names the package to install" {
	WB_TARBALL=$BATS_TEST_TMPDIR/none.tar.xz run "$WB/scripts/tree.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"none.tar.xz is missing: install linux-source-6.12=$BASE_VERSION (make deps)"* ]]
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
	[[ "$output" == *"build/linux has uncommitted changes; commit or drop them first, patches/ left as it is"* ]]
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
