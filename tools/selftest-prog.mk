# Build one C program, PROG (from PROG.c), against the work tree's KVM
# selftest library (kvm_util, memstress, lru_gen_util): the objects
# scripts/build-selftests left in SELFTESTS. Included by the Makefiles of
# tools/mglru-demo and tools/aging-lockstat, which set PROG.
#
# The programs use the series' selftest library (lru_gen_util), so they are
# built against the series tree (KERNEL=series, the default) and run on
# whichever kernel is booted, the base one too. KERNEL picks the tree, its
# headers and its library objects together: never one tree's headers with
# another's objects (RIG_SRC and RIG_BASE_SRC as for scripts/).
ROOT      ?= $(abspath ../..)
KERNEL    ?= series
ifeq ($(KERNEL),series)
KSRC      ?= $(or $(RIG_SRC),$(ROOT)/build/src)
else ifeq ($(KERNEL),base)
KSRC      ?= $(or $(RIG_BASE_SRC),$(ROOT)/build/base)
else
$(error KERNEL must be series or base, not '$(KERNEL)')
endif
# ARCH=arm64 cross-builds for arm64 (gcc-aarch64-linux-gnu) against the
# arm64 library objects of scripts/build-selftests --arch arm64, into
# build/out/tools-KERNEL-arm64.
ARCH      ?= x86_64
ifeq ($(ARCH),x86_64)
SFX       :=
CC        := ccache gcc
ARCHFLAGS := -march=x86-64-v2 -I$(KSRC)/tools/arch/x86/include
LIBARCH   := x86_64
else ifeq ($(ARCH),arm64)
SFX       := -arm64
CC        := ccache aarch64-linux-gnu-gcc
ARCHFLAGS := -I$(KSRC)/tools/arch/arm64/include \
	     -I$(KSRC)/tools/arch/arm64/include/generated
LIBARCH   := aarch64
else
$(error ARCH must be x86_64 or arm64, not '$(ARCH)')
endif
SELFTESTS ?= $(ROOT)/build/out/selftests-$(KERNEL)$(SFX)
HDR       ?= $(ROOT)/build/out/headers-$(KERNEL)$(SFX)/usr/include
OUT       ?= $(ROOT)/build/out/tools-$(KERNEL)$(SFX)
KVM       := $(KSRC)/tools/testing/selftests/kvm

CFLAGS   := -O2 -g -std=gnu99 -Wall -Wstrict-prototypes -D_GNU_SOURCE -DCONFIG_64BIT \
	    -fno-stack-protector -fno-PIE -fno-strict-aliasing $(ARCHFLAGS) \
	    -I$(KSRC)/tools/include \
	    -I$(KVM)/include -I$(KVM)/include/$(LIBARCH) -I$(KSRC)/tools/testing/selftests \
	    -isystem $(HDR)
LDFLAGS  := -static -pthread -no-pie
LIBKVM    = $(wildcard $(SELFTESTS)/lib/*.o $(SELFTESTS)/lib/$(LIBARCH)/*.o)

all: $(OUT)/$(PROG)

$(OUT)/$(PROG): $(PROG).c $(SELFTESTS)/lib/kvm_util.o
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIBKVM) -ldl -o $@

$(SELFTESTS)/lib/kvm_util.o:
	@echo "no KVM selftest library in $(SELFTESTS): run scripts/build-selftests --kernel $(KERNEL)$(if $(SFX), --arch $(ARCH))" >&2
	@false

clean:
	rm -f $(OUT)/$(PROG)

.PHONY: all clean
