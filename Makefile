# Workbench for the x86 lazy-TLB patch series.
#   make run    build and boot the patched kernel and the base (4, then 8 vCPUs), report
#   make test   everything CI checks: bats, check, qemu-test, mutants, stable
# See README.md.  Every target installs the Debian packages it needs.

SHELL := /bin/bash
S := scripts
BUILD := build
LOGS := $(BUILD)/logs
VCPUS ?= 4
export VCPUS
# The scripts find their folders and choose the kernel's output folder
# and toolchain themselves: none of these may leak in from the caller.
unexport BUILD KOUT KBUILD_OUTPUT ARCH CROSS_COMPILE LLVM
# BASE=NAME (a row of scripts/bases) is for tree and export, which pass
# it on; every other target picks its bases itself (stable: every base
# but the first), whatever the caller's environment holds.
unexport BASE RUN_AT
# A boot of some tests only (kunit/qemu.conf) is make run's 8-vCPU boot,
# which sets them itself: every other boot runs every test.
unexport ONLY_SELFTESTS ONLY_KUNIT BOOT_ONLY

# The tree that kernel, qemu-test and run build and boot: the
# workbench's own (make tree), or with KTREE=/path/to/linux a tree of
# yours with the series applied, built out of tree in build/ktree-out.
OWN_TREE := $(BUILD)/linux
ifneq ($(origin KTREE),command line)
KTREE := $(OWN_TREE)
endif
ifeq ($(abspath $(KTREE)),$(abspath $(OWN_TREE)))
KTREE_READY := $(OWN_TREE)/.git
KOUT := $(OWN_TREE)
else
KTREE_READY :=
KOUT := $(BUILD)/ktree-out
endif
BZIMAGE := $(KOUT)/arch/x86/boot/bzImage

# The Debian packages of every command the workbench and the kernel
# build call (Essential ones too, so that the list is the whole truth).
PKGS_BASE := coreutils findutils grep sed mawk diffutils tar gzip xz-utils \
	git python3 perl
# The base source is downloaded (scripts/base-source.sh), not installed:
# apt and dpkg fetch and unpack it, checked with Debian's archive keys.
PKGS_TREE := apt dpkg debian-archive-keyring $(PKGS_BASE)
# gcc, make, libc (static selftests); kbuild's bc, flex, bison, libelf
# (objtool), openssl and pkg-config (certs, objtool); ccache.
PKGS_KERNEL := $(PKGS_BASE) build-essential gcc make libc6-dev bc bison flex \
	libelf-dev libssl-dev openssl pkgconf ccache
# check: checkpatch's spdxcheck.py needs python3-ply and python3-git;
# the arm64 cross build (kunit/build-only-arm64.config).
# (No sparse: Debian 12's 0.6.4 is too old for 7.x, see warnings.sh.)
PKGS_CHECK := $(PKGS_KERNEL) python3-ply python3-git gcc-aarch64-linux-gnu
# Selftest install (lib.mk uses rsync), initramfs, the boot (setpriv
# ties QEMU to boot.sh).
PKGS_QEMU := $(PKGS_BASE) rsync cpio busybox-static qemu-system-x86 util-linux
PKGS_BATS := bats $(PKGS_BASE)

.PHONY: help deps tree export kernel qemu-test base-run run check mutants stable bats test clean

help:
	@sed -n 's/^#   //p' Makefile
	@echo "  tree export kernel qemu-test base-run check mutants stable bats deps clean: see README.md"
	@echo "  BASE=NAME (a row of scripts/bases) for tree and export: the stable backports"

deps:
	$(S)/deps.sh $(sort $(PKGS_TREE) $(PKGS_CHECK) $(PKGS_QEMU) $(PKGS_BATS))

# The base tree with the series applied, ready to edit (build/linux).
tree:
	$(S)/deps.sh $(PKGS_TREE)
	BASE=$(BASE) $(S)/tree.sh

$(OWN_TREE)/.git:
	$(S)/deps.sh $(PKGS_TREE)
	$(S)/tree.sh

# The tree's commits back to patches/ and the added-file copies.
export:
	$(S)/deps.sh $(PKGS_BASE)
	BASE=$(BASE) $(S)/export.sh

# The patched test kernel, built incrementally.
kernel: $(KTREE_READY)
	$(S)/deps.sh $(PKGS_KERNEL)
	KOUT=$(KOUT) $(S)/kernel.sh $(KTREE) bzImage

# One boot: KUnit at boot, then the selftests; fails on any failure.
qemu-test: kernel
	$(S)/deps.sh $(PKGS_QEMU)
	KOUT=$(KOUT) $(S)/initramfs.sh $(KTREE) $(BUILD)/initramfs.cpio
	$(S)/boot.sh $(BZIMAGE) $(BUILD)/initramfs.cpio $(LOGS)/qemu-test
	$(S)/results.sh $(LOGS)/qemu-test $(KTREE)

# The base without the series, booted with this repo's selftests: the
# selftests of the unshare fix and of the RFC's exit (exit_lazy) must
# fail there, every other one pass.
base-run: $(OWN_TREE)/.git
	$(S)/deps.sh $(PKGS_KERNEL) $(PKGS_QEMU)
	$(S)/base-run.sh $(LOGS)/base-run

# The main job: what the series does, with the counts behind it, beside
# those of the base.  Then the same two kernels and initramfs, not
# rebuilt, booted again on 8 vCPUs with only the selftests of a process
# exit (7 CPUs lazy in the dying mm) and the KUnit suite x86_tlb_exit;
# base-run.sh expects the same failures there (those among ONLY_SELFTESTS).
RUN8 := VCPUS=8 ONLY_SELFTESTS="exit_lazy exit_stress" ONLY_KUNIT=x86_tlb_exit
run: qemu-test base-run
	$(RUN8) $(S)/boot.sh $(BZIMAGE) $(BUILD)/initramfs.cpio $(LOGS)/qemu-test-8
	$(RUN8) $(S)/results.sh $(LOGS)/qemu-test-8 $(KTREE)
	$(RUN8) BOOT_ONLY=1 $(S)/base-run.sh $(LOGS)/base-run-8
	$(S)/report.sh --base $(LOGS)/base-run $(LOGS)/qemu-test $(KTREE)

# The series applies to a fresh base, passes checkpatch and bisects.
check: $(OWN_TREE)/.git
	$(S)/deps.sh $(PKGS_CHECK)
	$(S)/check.sh

# Every mutant in scripts/mutants/ (or MUTANTS=dir) must be killed.
mutants: $(OWN_TREE)/.git
	$(S)/deps.sh $(PKGS_KERNEL) $(PKGS_QEMU)
	$(S)/mutants.sh $(MUTANTS)

# The stable backports (patches/stable-6.12; every base of scripts/bases
# but the first) on their own base: they apply, pass checkpatch and
# build; the plain kernel fails the selftests of the unshare fix and of
# the RFC's exit, with the backports only the RFC's (not backported).
stable:
	$(S)/deps.sh $(PKGS_TREE) $(PKGS_CHECK) $(PKGS_QEMU)
	$(S)/stable.sh

# The workbench's own scripts, against stub apt and dpkg (seconds).
bats:
	$(S)/deps.sh $(PKGS_BATS)
	bats scripts/tests

# The disk that make test takes on a clean clone, with room to spare:
# 22.4 GiB measured (README), nearly all of it kernel source in
# worktrees.  Checked before it starts (scripts/space.sh).
TEST_GIB := 26

test:
	$(S)/space.sh $(TEST_GIB) "make test"
	$(MAKE) bats
	$(MAKE) check
	$(MAKE) qemu-test
	$(MAKE) mutants
	$(MAKE) stable
	@$(S)/report.sh --summary $(LOGS)/qemu-test

clean:
	rm -rf $(BUILD) build-*/
