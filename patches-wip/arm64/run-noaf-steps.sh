#!/bin/sh
# Series kernel without ARM64_HW_AFDBM: what 0x0008 does when MGLRU does not walk.
# Used as: scripts/vm --arch arm64 --mmu vhe --image build/out/wt-arm64-noaf/arch/arm64/boot/Image -- .../run-noaf-steps.sh
S=/work/main/build/h14/selftests
T=/sys/kernel/tracing
E=/sys/kernel/mm/lru_gen/enabled
echo "lru_gen/enabled: $(cat $E)"
dmesg | grep -iE 'Hardware dirty|VHE mode|nVHE mode' | head -3
count() { cat $T/per_cpu/cpu*/stats | awk '/^(entries|overrun):/ { n += $2 } END { print n + 0 }'; }
traced() {
	name=$1; shift
	echo 0 >$T/tracing_on; echo >$T/trace
	for e in kvm_age_hva kvm_test_age_hva; do echo 1 >$T/events/kvm/$e/enable; done
	echo 1 >$T/tracing_on
	t0=$(date +%s)
	"$@" >/tmp/out.$$ 2>&1
	rc=$?
	echo 0 >$T/tracing_on
	grep -E "passes$|swap:|Guest memory|Assert|SKIP|Idle|idle memory|young" /tmp/out.$$ | head -12
	echo "=== RESULT $name rc=$rc secs=$(( $(date +%s) - t0 )) kvm_age_hva+kvm_test_age_hva events: $(count) (lru_gen/enabled $(cat $E))"
	for e in kvm_age_hva kvm_test_age_hva; do echo 0 >$T/events/kvm/$e/enable; done
}
echo "=== aging_lockstat (needs the mm walk)"; $S/aging_lockstat -n on -p 2 2>&1 | tail -2
traced atpt_page_idle $S/access_tracking_perf_test -a page_idle -v 1 -b 64M -m 6
echo 0x0009 >$E
traced reclaim_0x0008_on $S/mglru_aging_stress_test -A -M -d 30
echo 0x0001 >$E
traced reclaim_0x0008_off $S/mglru_aging_stress_test -A -M -d 30
echo 0x0009 >$E
echo "=== DONE"
