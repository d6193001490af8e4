#!/bin/sh
# arm64 series runs (issue 14 helper): one boot, each step timed, its exit status printed.
# Used as: scripts/vm --arch arm64 [--kernel base] --mmu vhe|nvhe|protected [--image IMAGE] -- /work/main/patches-wip/arm64/run-steps.sh STEP...
# (S below pointed at the cross-built selftests and tools/aging-lockstat binary in build/h14/selftests.)
S=/work/main/build/h14/selftests
step() {
	name=$1; shift
	echo "=== STEP $name: $*"
	t0=$(date +%s)
	"$@"
	rc=$?
	echo "=== RESULT $name rc=$rc secs=$(( $(date +%s) - t0 ))"
}
echo "lru_gen/enabled: $(cat /sys/kernel/mm/lru_gen/enabled)"
dmesg | grep -iE 'kvm|hyp|Hardware dirty|HAFDBS|access flag' | head -20
for t in ${*:-atpt atpt_neg atpt_off kpt batched batched_neg lockstat calls calls_thp notify msm dpt}; do
	case $t in
	atpt) step atpt $S/access_tracking_perf_test -a lru_gen -v 1 -b 64M -m 6 ;;
	atpt_neg) step atpt_neg $S/access_tracking_perf_test -a lru_gen -v 1 -b 64M -m 6 -N ;;
	atpt_off) step atpt_off $S/access_tracking_perf_test -a lru_gen -v 1 -b 64M -m 6 -S ;;
	kpt) step kpt $S/kvm_page_table_test -m 6 -b 64M ;;
	batched) step batched $S/mglru_batched_aging_test ;;
	batched_neg) step batched_neg $S/mglru_batched_aging_test -N ;;
	lockstat) step lockstat $S/aging_lockstat -e zero ;;
	lockstat_base) step lockstat_base $S/aging_lockstat -e many -c per-page ;;
	calls) step calls $S/aging_lockstat -c batched -p 2 ;;
	calls_thp) step calls_thp $S/aging_lockstat -s anonymous_thp -c batched -p 2 ;;
	notify) step notify_on $S/aging_lockstat -n on -p 2; step notify_off $S/aging_lockstat -n off -p 2 ;;
	msm) step msm $S/memslot_modification_stress_test -v 2 -b 16M -i 20 ;;
	dpt) step dpt $S/demand_paging_test -v 2 -b 16M ;;
	lockstat_any) step lockstat_any $S/aging_lockstat -c batched ;;
	stress) step stress $S/mglru_aging_stress_test -d 30 ;;
	stress_thp) step stress_thp $S/mglru_aging_stress_test -s anonymous_thp -b 2M -L 4 -S -d 20 ;;
	stress_thp_c) step stress_thp_c $S/mglru_aging_stress_test -s anonymous_thp -b 2M -L 4 -c -S -d 30 ;;
	stress_neg_dirty) step stress_neg_dirty $S/mglru_aging_stress_test -s anonymous_thp -b 2M -L 4 -S -d 20 -I dirty ;;
	stress_neg_corrupt) step stress_neg_corrupt $S/mglru_aging_stress_test -s anonymous_thp -b 2M -L 4 -S -d 20 -I corrupt ;;
	stress_H) step stress_H $S/mglru_aging_stress_test -s anonymous_thp -H -b 2M -d 5 ;;
	stress_long) step stress_long $S/mglru_aging_stress_test -s anonymous_thp -b 2M -L 4 -c -S -d 120 ;;
	stress_long4k) step stress_long4k $S/mglru_aging_stress_test -L 4 -S -d 120 ;;
	bench) step bench $S/access_tracking_perf_test -a lru_gen -B -v 2 -b 32M -m 6 ;;
	esac
done
echo "=== DONE"
exit 0
