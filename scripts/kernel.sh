#!/usr/bin/env bash
# usage: scripts/kernel.sh TREE [TARGET...]
# Configure TREE for the test kernel (allnoconfig + kunit/kernel.config
# + kunit/.kunitconfig) and build it in place (default target bzImage).
# Incremental: an unchanged configuration is not redone.
. "$(dirname "$0")/common.sh"

tree=${1:?usage: scripts/kernel.sh TREE [TARGET...]}
shift
targets=("${@:-bzImage}")
[ -f "$tree/Makefile" ] || die "$tree is not a kernel tree (make tree)"
name=$(basename "$tree")

frag=$BUILD/test-kernel.config
cat "$TOP/kunit/kernel.config" "$TOP/kunit/.kunitconfig" > "$frag.new"
if ! cmp -s "$frag.new" "$frag" || [ ! -f "$tree/.config" ] ||
   ! cmp -s "$frag" "$tree/.config.fragment" 2>/dev/null; then
	step "$name: configuring (allnoconfig + kunit/kernel.config + kunit/.kunitconfig)"
	mv "$frag.new" "$frag"
	run_logged "configure $name" "$LOGS/$name-config.log" \
		make -C "$tree" ARCH=x86_64 KCONFIG_ALLCONFIG="$frag" allnoconfig
	missing=$(grep '^CONFIG_' "$frag" | while read -r line; do
		grep -qxF "$line" "$tree/.config" || echo "$line"
	done)
	[ -z "$missing" ] || die "Kconfig dropped options of the fragment (unmet dependencies?): $(echo "$missing" | tr '\n' ' ') see $tree/.config"
	cp "$frag" "$tree/.config.fragment"
fi
rm -f "$frag.new"

log=$LOGS/$name-build.log
step "$name: building ${targets[*]} (log: $log)"
if ! make -C "$tree" ARCH=x86_64 CC="ccache gcc" -j"$(nproc)" "${targets[@]}" > "$log" 2>&1; then
	grep -E 'error|Error' "$log" | head -20 >&2 || tail -20 "$log" >&2
	die "building $name failed; full log: $log"
fi
grep -E '(^|/)[^ ]+:[0-9]+:[0-9]+: warning:' "$log" >&2 || true
