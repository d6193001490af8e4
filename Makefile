# The rig: see README.md. Everything built lives under build/ (ignored).
KERNEL  ?= series
FLAVOUR ?= debug
MMU     ?= tdp
# Arguments for the demo of 'make run'.
RUN_ARGS ?= -b 64M -p 4
# NOSRC=1: build build/src as it is, uncommitted edits included, without
# 'make src' first (the edit-build-test loop). FORCE=1: 'make src' replaces
# a branch 'series' that differs from patches/ (kept as a backup ref).
NOSRC   ?=
FORCE   ?=

S := scripts
SRC_DEP := $(if $(NOSRC),,src)
# The programs run in the guest (demo, aging-lockstat) are built against
# the series tree's KVM selftest library, and run on whichever kernel is
# booted.
TOOLS := $(CURDIR)/build/out/tools-series

.PHONY: help deps src export kernel selftests selftests-series initramfs demo \
	lockstat-tool run lockstat bench check soak clean

# Every target that writes build/ or out/ runs under this clone's lock
# (build/rig.lock, scripts/lib.sh: rig_lock): this make runs itself again
# holding it, so a second 'make check' or 'make run' in the same clone is
# refused with the holder's name (RIG_LOCK_WAIT=1: it waits instead).
LOCKED_GOALS := src export kernel selftests selftests-series initramfs demo \
	lockstat-tool run lockstat bench check soak clean
ifneq ($(RIG_LOCKED),$(realpath $(CURDIR))/build)
ifneq ($(filter $(LOCKED_GOALS),$(MAKECMDGOALS)),)
NEED_LOCK := 1
endif
endif

ifdef NEED_LOCK
$(firstword $(MAKECMDGOALS)):
	@bash -c 'PROG=make; . $(S)/lib.sh && RIG_LOCK_WHAT="make $(MAKECMDGOALS)" rig_lock && \
		exec $(MAKE) --no-print-directory $(MAKECMDGOALS)'
$(filter-out $(firstword $(MAKECMDGOALS)),$(MAKECMDGOALS)):
	@:
else

help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

## deps       install what the rig needs from Debian's archive
deps:
	@bash -c '. $(S)/lib.sh && need_pkgs'

## src        (re)create build/src: tag base + patches/ as branch 'series'
##            (FORCE=1: replace a branch that differs from patches/)
src:
	@$(S)/mksrc $(if $(FORCE),--force)

## export     write build/src's branch 'series' back into patches/
##            (FORCE=1: also a branch left by an apply that did not finish)
export:
	@$(S)/export-patches $(if $(FORCE),--force)

## kernel     build a kernel (KERNEL=series|base FLAVOUR=debug|perf;
##            NOSRC=1: build/src as it is, uncommitted edits included)
kernel: $(SRC_DEP)
	@$(S)/build-kernel --kernel $(KERNEL) --flavour $(FLAVOUR)

## selftests  build the KVM selftests statically (KERNEL=series|base)
selftests: $(SRC_DEP)
	@$(S)/build-selftests --kernel $(KERNEL)

selftests-series: $(SRC_DEP)
	@$(S)/build-selftests --kernel series

## initramfs  build the busybox initramfs of the guest
initramfs:
	@$(S)/build-initramfs

## demo       build tools/mglru-demo against the series' KVM selftest library
demo: selftests-series
	@$(MAKE) -s -C tools/mglru-demo KERNEL=series

lockstat-tool: selftests-series
	@$(MAKE) -s -C tools/aging-lockstat KERNEL=series

## run        boot KERNEL (default: the series) and show MGLRU aging a KVM
##            guest's hot and cold memory (KERNEL=base to compare), with
##            secondary-MMU aging (0x0008 of lru_gen/enabled) on, then off
##            (-S; a kernel without the bit, the base, skips that run)
run: kernel demo initramfs
	@$(S)/vm --kernel $(KERNEL) --flavour $(FLAVOUR) --mmu $(MMU) --timeout 1800 -- \
		sh -c '$(TOOLS)/mglru_demo $(RUN_ARGS) || exit; echo; \
		echo "=== the same with secondary-MMU aging off (mglru_demo -S)"; \
		$(TOOLS)/mglru_demo -S $(RUN_ARGS); r=$$?; \
		[ $$r = 4 ] && { echo "(this kernel has no secondary-MMU aging bit)"; r=0; }; exit $$r'

## lockstat   count kvm->mmu_lock write acquisitions while MGLRU ages an
##            idle VM (KERNEL=series|base, MMU=tdp|shadow|legacy)
lockstat: override FLAVOUR := debug
lockstat: kernel lockstat-tool initramfs
	@$(S)/vm --kernel $(KERNEL) --flavour debug --mmu $(MMU) --timeout 600 -- \
		$(TOOLS)/aging_lockstat

## bench      the benchmark suite (scripts/bench): reclaim quality, aging
##            pass vs guest memory, contention, counters; base vs series
##            (perf flavour; lock_stat counters on the debug kernels);
##            CSVs, summary.md and PNG plots in build/out/bench/
##            (BENCH_REPEATS=N runs per cell, default 3; BENCH_ARCH=arm64:
##            the same on arm64, in build/out/bench-arm64/; see README)
bench: $(SRC_DEP) selftests-series initramfs
# (BENCH_ARCH=arm64: scripts/bench builds the arm64 kernels itself.)
ifneq ($(BENCH_ARCH),arm64)
	@$(S)/build-kernel --kernel series --flavour perf
	@$(S)/build-kernel --kernel base --flavour perf
	@$(S)/build-kernel --kernel series --flavour debug
	@$(S)/build-kernel --kernel base --flavour debug
endif
	@BENCH_CMDLINE='make bench$(if $(BENCH_REPEATS), BENCH_REPEATS=$(BENCH_REPEATS))$(if $(BENCH_ARCH), BENCH_ARCH=$(BENCH_ARCH))' $(S)/bench

## check      all tests; KTAP in out/check/results.ktap, last line "N passed, M failed"
check:
	@$(S)/check

## soak       the long runs (scripts/check with CHECK_SUITE=soak): the
##            tests/scenarios.list entries marked soak on the debug, kasan
##            and kcsan flavours, each MMU; PREEMPT_RT (build, boot, aging
##            takes mmu_lock); KVM's i386 PAE build. KTAP in
##            out/soak/results.ktap, last line "N passed, M failed";
##            KCSAN reports listed in out/soak/kcsan-reports.txt
soak:
	@CHECK_SUITE=soak $(S)/check

## clean      remove build outputs (not the work tree build/src)
clean:
	rm -rf build/out build/vm build/check out

endif
