# The rig: see README.md. Everything built lives under build/ (ignored).
KERNEL  ?= series
FLAVOUR ?= debug
MMU     ?= tdp
# Arguments for the demo of 'make run'.
RUN_ARGS ?= -b 64M -p 4

S := scripts
BZIMAGE = build/out/kernel-$(KERNEL)-$(FLAVOUR)/arch/x86/boot/bzImage

.PHONY: help deps src export kernel selftests initramfs demo run lockstat bench check clean

help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

## deps       install what the rig needs from Debian's archive
deps:
	@bash -c '. $(S)/lib.sh && need_pkgs'

## src        (re)create build/src: tag base + patches/ as branch 'series'
src:
	@$(S)/mksrc

## export     write build/src's branch 'series' back into patches/
export:
	@$(S)/export-patches

## kernel     build a kernel (KERNEL=series|base FLAVOUR=debug|perf)
kernel: src
	@$(S)/build-kernel --kernel $(KERNEL) --flavour $(FLAVOUR)

## selftests  build the KVM selftests statically (KERNEL=series|base)
selftests: src
	@$(S)/build-selftests --kernel $(KERNEL)

## initramfs  build the busybox initramfs of the guest
initramfs:
	@$(S)/build-initramfs

## demo       build tools/mglru-demo against the KVM selftest library
demo: selftests
	@$(MAKE) -s -C tools/mglru-demo KERNEL=$(KERNEL)

## run        boot KERNEL (default: the series) and show MGLRU aging a KVM
##            guest's hot and cold memory (KERNEL=base to compare)
run: kernel demo initramfs
	@$(S)/vm --kernel $(KERNEL) --flavour $(FLAVOUR) --mmu $(MMU) --timeout 1200 -- \
		$(CURDIR)/build/out/tools-$(KERNEL)/mglru_demo $(RUN_ARGS)

## lockstat   count kvm->mmu_lock write acquisitions while MGLRU ages an
##            idle VM (KERNEL=series|base, MMU=tdp|shadow|legacy)
lockstat: kernel selftests initramfs
	@$(MAKE) -s -C tools/aging-lockstat KERNEL=series
	@$(S)/vm --kernel $(KERNEL) --flavour debug --mmu $(MMU) --timeout 600 -- \
		$(CURDIR)/build/out/tools-series/aging_lockstat

## bench      A/B timing of aging on a running VM: base vs series, perf
##            flavour, TDP and shadow MMU (table in build/out/bench/)
bench: src selftests initramfs
	@$(S)/build-kernel --kernel series --flavour perf
	@$(S)/build-kernel --kernel base --flavour perf
	@$(S)/bench-aging

## check      all tests; KTAP in out/check/results.ktap, last line "N passed, M failed"
check:
	@$(S)/check

## clean      remove build outputs (not the work tree build/src)
clean:
	rm -rf build/out build/vm build/check out
