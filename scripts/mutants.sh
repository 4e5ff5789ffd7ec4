#!/usr/bin/env bash
# usage: scripts/mutants.sh [DIR]   (default scripts/mutants)
# Each DIR/*.patch reintroduces a known TLB bug on top of the series.
# For each: apply it to build/mutant (base + series), rebuild
# incrementally, boot with the tests its Boot-kunit: and Boot-selftests:
# lines name, and require the run to fail.  Prints a table mutant ->
# killed / SURVIVED / HUNG / BOOT FAILED / does not apply / does not
# build, and fails unless every mutant is killed.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

dir=${1:-$TOP/scripts/mutants}
dir=$(cd "$dir" && pwd) || die "no mutant directory $1"
mapfile -t mutants < <(find "$dir" -maxdepth 1 -name '*.patch' | LC_ALL=C sort)
[ ${#mutants[@]} -gt 0 ] || die "no mutant (*.patch) in $dir"

unset KOUT  # the mutant tree builds in place
# A mutant's boot takes about 30 s (4 vCPUs, TCG); a hang should not
# cost the 15 minutes of a full qemu-test's limit.
MUTANT_QEMU_TIMEOUT=${MUTANT_QEMU_TIMEOUT:-300}
wt=$(worktree_at mutant)
patches=$(series_patches)
while read -r p; do am_one "$wt" "$p"; done <<< "$patches"
head=$(git -C "$wt" rev-parse HEAD)

table=$LOGS/mutants.txt
: > "$table"
bad=0
for m in "${mutants[@]}"; do
	name=$(basename "$m" .patch)
	out=$LOGS/mutant-$name
	mkdir -p "$out"
	git -C "$wt" checkout -q -f "$head"
	git -C "$wt" clean -q -fd
	step "mutant $name"
	if ! git -C "$wt" apply "$m" 2> "$out/apply.log"; then
		printf '%-40s %s\n' "$name" "DOES NOT APPLY ($out/apply.log)" >> "$table"
		bad=1
		continue
	fi
	# Each step's messages (and progress lines) on stderr and in a log.
	if ! "$TOP/scripts/kernel.sh" "$wt" bzImage 2>&1 | tee "$out/build.log" >&2 ||
	   ! "$TOP/scripts/initramfs.sh" "$wt" "$out/initramfs.cpio" 2>&1 | tee -a "$out/build.log" >&2; then
		printf '%-40s %s\n' "$name" "DOES NOT BUILD ($out/build.log)" >> "$table"
		bad=1
		continue
	fi
	# Boot with the tests meant to kill the mutant (its Boot-kunit: and
	# Boot-selftests: lines, "none" for none; a line left out: every test
	# of its kind).  A hung boot is no verdict of a test: its logs are
	# kept (boot-hung/, with where the vCPUs were), and the mutant booted
	# once more.  A second hang, or a QEMU that fails, fails the run.
	kunit=$(sed -n '/^diff --git/q; s/^Boot-kunit: //p' "$m")
	selftests=$(sed -n '/^diff --git/q; s/^Boot-selftests: //p' "$m")
	hung=
	rm -rf "$out/boot-hung"
	boot() {
		rc=0
		ONLY_KUNIT=$kunit ONLY_SELFTESTS=$selftests QEMU_TIMEOUT=$MUTANT_QEMU_TIMEOUT \
			"$TOP/scripts/boot.sh" "$wt/arch/x86/boot/bzImage" "$out/initramfs.cpio" "$out" 2>&1 |
			tee "$out/boot.log" >&2 || rc=$?
	}
	boot
	if [ "$rc" = 124 ]; then
		mkdir -p "$out/boot-hung"
		for f in hang.txt console.log selftests.log qemu.log boot.log; do
			[ ! -f "$out/$f" ] || mv "$out/$f" "$out/boot-hung/"
		done
		hung=" (a first boot hung: $out/boot-hung/)"
		step "mutant $name: the boot hung ($(grep -m1 '^qemu-hang:' "$out/boot-hung/hang.txt" || echo "no vCPU dump")); its logs are in $out/boot-hung/; booting once more"
		boot
	fi
	if [ "$rc" = 124 ]; then
		printf '%-40s %s\n' "$name" "HUNG twice, no verdict of a test: $out/hang.txt, $out/boot-hung/" >> "$table"
		bad=1
		continue
	elif [ "$rc" != 0 ]; then
		printf '%-40s %s\n' "$name" "BOOT FAILED (exit $rc), no verdict of a test: $out/boot.log$hung" >> "$table"
		bad=1
		continue
	fi
	if ONLY_KUNIT=$kunit ONLY_SELFTESTS=$selftests "$TOP/scripts/results.sh" "$out" "$wt" 2> "$out/results.log"; then
		printf '%-40s %s\n' "$name" "SURVIVED (every test passed: $out)$hung" >> "$table"
		bad=1
		continue
	fi
	why=$( { { grep -E '^# not ok|^not ok [0-9]+ selftests: ' "$out/selftests.log" || true; } | sed -e 's/^# //' -e 's/^not ok [0-9]* //'
		 grep -E '\[FAILED\]' "$out/kunit.txt" 2> /dev/null || true
		 if [ -s "$out/oops.txt" ]; then echo "kernel: $(sed -n 1p "$out/oops.txt" | cut -c1-60)"; fi; } |
		 sed -n 1,4p | tr '\n' ';')
	printf '%-40s %s\n' "$name" "killed by: ${why:-$(tail -1 "$out/results.log")}$hung" >> "$table"
done
git -C "$wt" checkout -q -f "$head"

printf '%-40s %s\n' "MUTANT" "RESULT"
cat "$table"
[ $bad = 0 ] || die "mutants: not every mutant was killed (table: $table)"
step "mutants: all ${#mutants[@]} killed"
