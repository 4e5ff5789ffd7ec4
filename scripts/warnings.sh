#!/usr/bin/env bash
# usage: scripts/warnings.sh TREE
# Build the objects of the C files that TREE's commits since $BASE_TAG
# touch with W=1 and, where it works, sparse (C=2), in
# TREE and in a worktree of the base (build/warnings-base), both
# configured as the test kernel, and fail on any warning of the series
# that the base does not have.  Warnings are compared without their line
# numbers, so lines the series moves do not count as new.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

tree=${1:?usage: scripts/warnings.sh TREE}
tree=$(cd "$tree" && pwd)
# sparse only where the tree's own test of the checker accepts it: 7.x
# needs a sparse that knows __typeof_unqual__, and Debian 12's 0.6.4
# does not, so the workbench does not install it.  Said, never silent.
check=()
if ! command -v sparse > /dev/null; then
	step "warnings: NOT running sparse: not installed (Debian 12's sparse is too old for 7.x); W=1 only"
elif [ -x "$tree/scripts/checker-valid.sh" ] && ! "$tree/scripts/checker-valid.sh" sparse | grep -qx 1; then
	step "warnings: NOT running sparse: $(sparse --version) is too old for this tree (scripts/checker-valid.sh); W=1 only"
else
	check=(C=2)
fi

# The objects of the touched .c files that the test kernel builds.
objs=()
while read -r f; do
	o=${f%.c}.o
	[ -f "$tree/$o" ] || continue
	objs+=("$o")
done < <(git -C "$tree" diff --name-only --diff-filter=AM "$BASE_TAG"..HEAD -- '*.c' |
	grep -v '^tools/')
[ ${#objs[@]} -gt 0 ] || { step "warnings: the series touches no C file the test kernel builds"; exit 0; }

base=$(worktree_at warnings-base)
# warnings_of DIR: the W=1 and sparse warnings for the objects, one a
# line, "file: message" (line and column dropped), sorted.
warnings_of() {
	local dir=$1 name
	name=$(basename "$dir")
	unset KOUT
	"$TOP/scripts/kernel.sh" "$dir" prepare > /dev/null
	local have=()
	for o in "${objs[@]}"; do
		[ -f "$dir/${o%.o}.c" ] && have+=("$o")
	done
	[ ${#have[@]} -gt 0 ] || return 0
	run_logged "warnings: W=1 ${check[*]} in $name" "$LOGS/warnings-$name.log" \
		make -C "$dir" W=1 "${check[@]}" CC="ccache gcc" -j"$(nproc)" "${have[@]}"
	# No warning at all is the good case, not a failed grep.
	{ grep -E '^[^ :]+:[0-9]+:[0-9]+: (warning|error):' "$LOGS/warnings-$name.log" || true; } |
		sed -E 's/^([^ :]+):[0-9]+:[0-9]+: /\1: /' | LC_ALL=C sort -u
}
step "warnings: W=1 and sparse on ${objs[*]}"
old=$(warnings_of "$base")
new=$(warnings_of "$tree")
added=$(LC_ALL=C comm -13 <(echo "$old") <(echo "$new") | sed '/^$/d')
if [ -n "$added" ]; then
	echo "$added" >&2
	die "warnings: the series adds W=1 or sparse warnings (logs: $LOGS/warnings-*.log)"
fi
step "warnings: no new W=1 or sparse warning in ${#objs[@]} objects ($(grep -c . <<< "$new" || true) warnings, all in the base too)"
