#!/usr/bin/env bash
# usage: [ARCH=A CROSS_COMPILE=P] [EXTRA_CONFIG=FRAGMENT] [KOUT=DIR] scripts/kernel.sh TREE [TARGET...]
# Configure TREE for the test kernel (allnoconfig + kunit/kernel.config
# + kunit/.kunitconfig [+ EXTRA_CONFIG]) and build it (default target
# bzImage), in place or, with KOUT, out of tree in KOUT.  Incremental:
# an unchanged configuration is not redone.
# ARCH (default x86_64) other than x86: allnoconfig + EXTRA_CONFIG only,
# as the test kernel fragments are x86's; build with CROSS_COMPILE.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

tree=${1:?usage: scripts/kernel.sh TREE [TARGET...]}
shift
targets=("${@:-bzImage}")
if [ ! -f "$tree/Makefile" ] || [ ! -d "$tree/arch/x86" ]; then
	die "$tree is not a kernel tree (for the workbench's own: make tree)"
fi
tree=$(cd "$tree" && pwd)
out=$tree
kmake=(make -C "$tree")
if [ -n "${KOUT:-}" ] && [ "$(mkdir -p "$KOUT" && cd "$KOUT" && pwd)" != "$tree" ]; then
	out=$(cd "$KOUT" && pwd)
	kmake+=(O="$out")
	[ ! -f "$tree/.config" ] ||
		die "$tree holds an in-tree build (.config), and kbuild builds it out of tree (in $out) only from a clean source tree: save your .config, then make -C $tree mrproper"
fi
name=$(basename "$out")
arch=${ARCH:-x86_64}
cross=${CROSS_COMPILE:-}
command -v "${cross}gcc" > /dev/null || die "${cross}gcc is missing (make deps)"

frag=$BUILD/$name.config
case "$arch" in
x86|x86_64|i386) base=("$TOP/kunit/kernel.config" "$TOP/kunit/.kunitconfig") ;;
*) base=() ;;
esac
cat "${base[@]}" ${EXTRA_CONFIG:+"$EXTRA_CONFIG"} < /dev/null > "$frag.new"
# The settings the fragment asks for: a CONFIG_X=v line counts unless a
# later "# CONFIG_X is not set" (in a build-only fragment) turns X off.
wanted() {
	awk '/^CONFIG_[A-Za-z0-9_]+=/ { sym = $0; sub(/=.*/, "", sym); last[sym] = $0; next }
	     /^# CONFIG_[A-Za-z0-9_]+ is not set/ { last[$2] = "" }
	     END { for (s in last) if (last[s] != "") print last[s] }' "$1"
}
# defined SYM...: does a Kconfig file of the tree define one of SYMs?
defined() {
	local re
	re=$(printf '%s\n' "$@" | sed 's/^CONFIG_//' | paste -sd '|')
	grep -rqxE --include='Kconfig*' "(menu)?config ($re)" "$tree"
}
# Reconfigure when the fragment changed, or when a line of it is not in
# .config, unless it was left out as undefined and still is (a patch may
# just have added its symbol).
absent=$(wanted "$frag.new" | grep -vxFf <(cat "$out/.config" 2> /dev/null) |
	grep -vxFf <(cat "$out/.config.leftout" 2> /dev/null) || true)
if ! cmp -s "$frag.new" "$frag" || [ ! -f "$out/.config" ] ||
   ! cmp -s "$frag.new" "$out/.config.fragment" 2>/dev/null || [ -n "$absent" ] ||
   { [ -s "$out/.config.leftout" ] && mapfile -t syms < <(sed 's/=.*//' "$out/.config.leftout") &&
     defined "${syms[@]}"; }; then
	step "$name: configuring $arch (allnoconfig${base[0]:+ + kunit/kernel.config + kunit/.kunitconfig}${EXTRA_CONFIG:+ + $(basename "$EXTRA_CONFIG")})"
	mv "$frag.new" "$frag"
	run_logged "configure $name" "$LOGS/$name-config.log" \
		"${kmake[@]}" ARCH="$arch" CROSS_COMPILE="$cross" KCONFIG_ALLCONFIG="$frag" allnoconfig
	# An option whose symbol the tree does not define yet (a patch later
	# in the series adds it) is left out; any other dropped one is an error.
	: > "$out/.config.leftout"
	missing=$(wanted "$frag" | while read -r line; do
		grep -qxF "$line" "$out/.config" && continue
		sym=${line%%=*}
		if ! defined "$sym"; then
			step "$name: $sym is not defined in this tree (yet); left out"
			echo "$line" >> "$out/.config.leftout"
			continue
		fi
		echo "$line"
	done)
	[ -z "$missing" ] || die "Kconfig dropped options of the fragment (unmet dependencies?): $(echo "$missing" | tr '\n' ' ') see $out/.config"
	cp "$frag" "$out/.config.fragment"
fi
rm -f "$frag.new"

log=$LOGS/$name-build.log
step "$name: building ${targets[*]}$([ "$out" = "$tree" ] || echo " in $out") (log: $log)"
run_logged "building $name" "$log" "${kmake[@]}" ARCH="$arch" CROSS_COMPILE="$cross" \
	CC="ccache ${cross}gcc" -j"$(nproc)" "${targets[@]}"
grep -E '(^|/)[^ ]+:[0-9]+:[0-9]+: warning:' "$log" >&2 || true
