# Workbench for the x86 lazy-TLB patch series.
#   make run    build and boot the patched kernel (4 vCPUs) and report
#   make test   everything CI checks: check, kernel, qemu-test, mutants
# See README.md.  Every target installs the Debian packages it needs.

SHELL := /bin/bash
S := scripts
BUILD := build
KTREE := $(BUILD)/linux
LOGS := $(BUILD)/logs
BZIMAGE := $(KTREE)/arch/x86/boot/bzImage
VCPUS ?= 4
export VCPUS

PKGS_TREE := linux-source-6.12 git xz-utils
PKGS_KERNEL := build-essential bc bison flex libelf-dev libssl-dev ccache python3 perl python3-ply python3-git gcc-aarch64-linux-gnu
PKGS_QEMU := qemu-system-x86 busybox-static cpio python3

.PHONY: help deps tree export kernel qemu-test run check mutants test clean

help:
	@sed -n 's/^#   //p' Makefile
	@echo "  tree export kernel qemu-test check mutants deps clean: see README.md"

deps:
	$(S)/deps.sh $(PKGS_TREE) $(PKGS_KERNEL) $(PKGS_QEMU)

# The base tree with the series applied, ready to edit (build/linux).
tree:
	$(S)/deps.sh $(PKGS_TREE)
	$(S)/tree.sh

$(KTREE)/.git:
	$(S)/deps.sh $(PKGS_TREE)
	$(S)/tree.sh

# The tree's commits back to patches/ and the added-file copies.
export:
	$(S)/export.sh

# The patched test kernel, built incrementally in build/linux.
kernel: $(KTREE)/.git
	$(S)/deps.sh $(PKGS_KERNEL)
	$(S)/kernel.sh $(KTREE) bzImage

# One boot: KUnit at boot, then the selftests; fails on any failure.
qemu-test: kernel
	$(S)/deps.sh $(PKGS_QEMU)
	$(S)/initramfs.sh $(KTREE) $(BUILD)/initramfs.cpio
	$(S)/boot.sh $(BZIMAGE) $(BUILD)/initramfs.cpio $(LOGS)/qemu-test
	$(S)/results.sh $(LOGS)/qemu-test $(KTREE)

# The main job: what the series does, with the counts behind it.
run: qemu-test
	$(S)/report.sh $(LOGS)/qemu-test $(KTREE)

# The series applies to a fresh base, passes checkpatch and bisects.
check: $(KTREE)/.git
	$(S)/deps.sh $(PKGS_KERNEL)
	$(S)/check.sh

# Every mutant in scripts/mutants/ (or MUTANTS=dir) must be killed.
mutants: $(KTREE)/.git
	$(S)/deps.sh $(PKGS_KERNEL) $(PKGS_QEMU)
	$(S)/mutants.sh $(MUTANTS)

test:
	$(MAKE) check
	$(MAKE) qemu-test
	$(MAKE) mutants
	@$(S)/report.sh --summary $(LOGS)/qemu-test

clean:
	rm -rf $(BUILD)
