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
SELFTESTS ?= $(ROOT)/build/out/selftests-$(KERNEL)
HDR       ?= $(ROOT)/build/out/headers-$(KERNEL)/usr/include
OUT       ?= $(ROOT)/build/out/tools-$(KERNEL)
KVM       := $(KSRC)/tools/testing/selftests/kvm

CC       := ccache gcc
CFLAGS   := -O2 -g -std=gnu99 -Wall -Wstrict-prototypes -D_GNU_SOURCE -DCONFIG_64BIT \
	    -fno-stack-protector -fno-PIE -fno-strict-aliasing -march=x86-64-v2 \
	    -I$(KSRC)/tools/include -I$(KSRC)/tools/arch/x86/include \
	    -I$(KVM)/include -I$(KVM)/include/x86_64 -I$(KSRC)/tools/testing/selftests \
	    -isystem $(HDR)
LDFLAGS  := -static -pthread -no-pie
LIBKVM    = $(wildcard $(SELFTESTS)/lib/*.o $(SELFTESTS)/lib/x86_64/*.o)

all: $(OUT)/$(PROG)

$(OUT)/$(PROG): $(PROG).c $(SELFTESTS)/lib/kvm_util.o
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIBKVM) -ldl -o $@

$(SELFTESTS)/lib/kvm_util.o:
	@echo "no KVM selftest library in $(SELFTESTS): run scripts/build-selftests --kernel $(KERNEL)" >&2
	@false

clean:
	rm -f $(OUT)/$(PROG)

.PHONY: all clean
