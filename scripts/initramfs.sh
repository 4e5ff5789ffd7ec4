#!/usr/bin/env bash
# usage: [KOUT=DIR] scripts/initramfs.sh TREE OUT.cpio
# Build the tlb selftests of TREE static (against the headers of the
# kernel built in TREE, or in KOUT), install them the kselftest way, and
# pack them with busybox-static and scripts/init into OUT.cpio.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

tree=${1:?usage: scripts/initramfs.sh TREE OUT.cpio}
out=${2:?usage: scripts/initramfs.sh TREE OUT.cpio}
# TLB_SELFTESTS=optional: a tree without them (a part of the series
# under work) boots with KUnit and lam_64 only.
tlb=1
if [ ! -d "$tree/tools/testing/selftests/tlb" ]; then
	[ "${TLB_SELFTESTS:-}" = optional ] ||
		die "$tree has no tools/testing/selftests/tlb: is the series applied? (make tree)"
	step "$tree has no tools/testing/selftests/tlb: KUnit and lam_64 only (TLB_SELFTESTS=optional)"
	tlb=
fi
[ -x /bin/busybox ] || die "/bin/busybox is missing (apt-get install busybox-static)"
command -v rsync > /dev/null || die "rsync is missing, which the selftests' install needs (make deps)"
tree=$(cd "$tree" && pwd)
kout=$(cd "${KOUT:-$tree}" && pwd)
kmake=(make -C "$tree")
smake=(make -C "$tree/tools/testing/selftests")
[ "$kout" = "$tree" ] || { kmake+=(O="$kout"); smake+=(O="$kout"); }
name=$(basename "$kout")

stage=$BUILD/initramfs-$name
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc}

log=$LOGS/$name-selftests.log
step "$name: building the tlb selftests static (log: $log)"
run_logged "headers_install in $name" "$log" "${kmake[@]}" ARCH=x86_64 headers
khdr="-isystem $kout/usr/include"
if [ -n "$tlb" ]; then
	run_logged "building the tlb selftests of $name" "$log.build" \
		"${smake[@]}" TARGETS=tlb LDFLAGS=-static KHDR_INCLUDES="$khdr" INSTALL_PATH="$stage/kselftest" install
	cat "$log.build" >> "$log"
else
	# The runner alone, as the selftests' install would have put it.
	install -D -m 0755 "$tree/tools/testing/selftests/run_kselftest.sh" "$stage/kselftest/run_kselftest.sh"
	cp -r "$tree/tools/testing/selftests/kselftest" "$stage/kselftest/"
fi
# tools/testing/selftests/x86/lam.c, which the series must keep building
# and passing (or skipping on CPUs without LAM, as under TCG).
mkdir -p "$stage/kselftest/x86"
run_logged "building the x86 lam selftest of $name" "$log.build" \
	make -C "$tree/tools/testing/selftests/x86" CC="gcc -static" KHDR_INCLUDES="$khdr" \
		OUTPUT="$stage/kselftest/x86" "$stage/kselftest/x86/lam_64"
cat "$log.build" >> "$log"
rm -f "$log.build"
echo "x86:lam_64" >> "$stage/kselftest/kselftest-list.txt"

cp /bin/busybox "$stage/bin/busybox"
# Every applet, but timeout only as /bin/timeout: see scripts/init.
for applet in $(/bin/busybox --list-full); do
	[ "$applet" = usr/bin/timeout ] && applet=bin/timeout
	[ -e "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
done
install -m 0755 "$TOP/scripts/init" "$stage/init"
(cd "$stage" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) > "$out"
step "$name: initramfs $out ($(du -h "$out" | cut -f1))"
