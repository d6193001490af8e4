// SPDX-License-Identifier: GPL-2.0
/*
 * mglru_demo: show MGLRU telling a KVM guest's hot memory from its cold
 * memory, and what an aging pass costs.
 *
 * Two processes, each with a VM of one vCPU (memstress): the "hot" one in
 * memcg mglru-demo/hot, the "cold" one in mglru-demo/cold. Both fault their
 * guest memory in once. Then, every pass, the hot vCPU touches its memory
 * again (in the guest only: the accesses set Accessed bits in KVM's
 * secondary MMU, never in the process's page tables), the cold one stays
 * idle, and MGLRU ages both memcgs through /sys/kernel/debug/lru_gen. (Two
 * processes, because MGLRU's aging walks the page tables of the mms that
 * belong to the memcg it ages.) The table shows how much of each memcg's
 * memory sits in each generation after each pass, newest first, and how
 * long each aging pass took (with the reads of lru_gen around it). An
 * aging pass moves the pages it finds young into the generation that was
 * the newest when it started ("max-1" once it is done) and opens a new,
 * empty one ("max").
 *
 * If aging consults KVM, hot memory is found young every pass and cold
 * memory drifts to the oldest generation; if it does not, both drift.
 * Counts are of every NUMA node; each node's generations are counted from
 * its own newest, and every pass ages every node (lru_gen_util).
 *
 * -S clears secondary-MMU aging (0x0008 of /sys/kernel/mm/lru_gen/enabled)
 * for the run and restores it at exit: aging then reads the process's page
 * tables only, finds the hot guest memory as idle as the cold, and both
 * drift; the run succeeds when they do (hot memory <= 10% young).
 *
 * Exit status: 0 when the run completed and hot and cold ended up apart
 * (most hot memory found young by the last pass, most cold memory not), 1
 * when they did not (with -S: when hot memory was still found young) or a
 * memcg could not be removed, 4 (KSFT_SKIP) when the kernel lacks a
 * feature (with -S: the capability), 254 when a step fails (a selftest library
 * assertion).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "lru_gen_util.h"
#include "memstress.h"
#include "processor.h"
#include "test_util.h"

/* The demo's memcgs, below CGROUP_V2_ROOT. */
#define DEMO_MEMCG		"mglru-demo"
#define HOT_MEMCG		DEMO_MEMCG "/hot"
#define COLD_MEMCG		DEMO_MEMCG "/cold"
/* "Apart" means at least this share of hot memory found young... */
#define HOT_YOUNG_PCT		90
/* ...and at most this share of cold memory there, after the last pass. */
#define COLD_YOUNG_PCT		10

static int iteration;
static int vcpu_done;
/* -S: lru_gen/enabled before the demo cleared 0x0008; -1: not changed */
static int saved_caps = -1;
static pid_t saved_caps_owner;

/* The vCPU thread: one pass over the guest memory per iteration. */
static void vcpu_fn(struct memstress_vcpu_args *vcpu_args)
{
	int cur = 0;

	while (!READ_ONCE(memstress_args.stop_vcpus)) {
		if (READ_ONCE(iteration) == cur) {
			usleep(100);
			continue;
		}
		cur = READ_ONCE(iteration);
		vcpu_run(vcpu_args->vcpu);
		TEST_ASSERT_EQ(get_ucall(vcpu_args->vcpu, NULL), UCALL_SYNC);
		WRITE_ONCE(vcpu_done, cur);
	}
}

/*
 * Let the vCPU write all its memory once and wait for it. The wait sleeps:
 * under emulation a spinning thread steals the vCPU's time.
 */
static double run_vcpu(void)
{
	struct timespec t0 = {}, t;
	int next;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	next = ++iteration;
	while (READ_ONCE(vcpu_done) != next)
		usleep(100);
	t = timespec_elapsed(t0);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Create this process's VM in the memcg at @memcg and fault its memory in. */
static struct kvm_vm *start_vm(const char *memcg, uint64_t bytes, double *secs)
{
	struct kvm_vm *vm;

	memcg_enter(memcg);
	vm = memstress_create_vm(VM_MODE_DEFAULT, 1, bytes, 1, VM_MEM_SRC_ANONYMOUS, true);
	/* Writes: a read fault of untouched anonymous memory maps the zero page. */
	memstress_set_write_percent(vm, 100);
	memstress_start_vcpu_threads(1, vcpu_fn);
	*secs = run_vcpu();
	return vm;
}

static void stop_vm(struct kvm_vm *vm)
{
	memstress_join_vcpu_threads(1);
	memstress_destroy_vm(vm);
}

/* One aging pass on every node of @memcg; returns its time in seconds. */
static double age(const char *memcg, struct lru_gen_memcg *stats)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	lru_gen_age(memcg, stats);
	t = timespec_elapsed(t0);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static double mib(unsigned long pages)
{
	return pages * (double)getpagesize() / (1 << 20);
}

static void print_row(const char *label, const char *what,
		      const struct lru_gen_memcg *stats, double secs)
{
	int i;

	printf("%-6s %-5s", label, what);
	for (i = 0; i < LRU_GEN_MAX_NR_GENS; i++)
		printf(" %8.1f", mib(lru_gen_sum_pages_nth_newest(stats, i)));
	printf(" %8.1f", mib(lru_gen_sum_pages(stats)));
	if (secs >= 0)
		printf(" %10.3f", secs * 1000);
	printf("\n");
}

/* Share of @stats' pages that the last aging pass found young. */
static int young_pct(const struct lru_gen_memcg *stats)
{
	unsigned long total = lru_gen_sum_pages(stats);

	return total ? (int)(lru_gen_sum_pages_found_young(stats) * 100 / total) : 0;
}

/* At exit of the process that changed it, also after an assertion. */
static void restore_caps(void)
{
	if (saved_caps < 0 || getpid() != saved_caps_owner)
		return;
	if (lru_gen_set_capabilities(saved_caps) != (unsigned int)saved_caps)
		printf("could not set %s back to 0x%x\n", LRU_GEN_ENABLED_PATH, saved_caps);
	saved_caps = -1;
}

/* -S: clear LRU_GEN_SECONDARY_MMU_WALK; false if the kernel has no such bit. */
static bool secondary_mmu_aging_off(void)
{
	unsigned int caps = lru_gen_capabilities();

	if (!(caps & LRU_GEN_SECONDARY_MMU_WALK) &&
	    !(lru_gen_set_capabilities(caps | LRU_GEN_SECONDARY_MMU_WALK) &
	      LRU_GEN_SECONDARY_MMU_WALK)) {
		lru_gen_set_capabilities(caps);
		return false;
	}
	saved_caps = caps;
	saved_caps_owner = getpid();
	atexit(restore_caps);
	caps = lru_gen_set_capabilities(caps & ~LRU_GEN_SECONDARY_MMU_WALK);
	TEST_ASSERT(!(caps & LRU_GEN_SECONDARY_MMU_WALK), "%s still reads 0x%x",
		    LRU_GEN_ENABLED_PATH, caps);
	return true;
}

static void help(const char *name)
{
	printf("usage: %s [-b vcpu_bytes] [-p passes] [-S]\n", name);
	printf(" -b: guest memory of each VM (hot and cold), default 64M\n");
	printf(" -p: aging passes, default 4\n");
	printf(" -S: secondary-MMU aging off (0x%x of %s cleared for\n"
	       "     the run): hot memory must drift like cold\n",
	       LRU_GEN_SECONDARY_MMU_WALK, LRU_GEN_ENABLED_PATH);
	exit(0);
}

static void require(bool ok, const char *why)
{
	if (!ok) {
		print_skip("%s", why);
		exit(KSFT_SKIP);
	}
}

int main(int argc, char *argv[])
{
	uint64_t bytes = 64 << 20;
	int passes = 4, opt, p;
	bool off = false;
	const char *hot_memcg, *cold_memcg;
	struct lru_gen_memcg hot, cold;
	double t_hot, t_cold, t_vcpu;
	struct kvm_vm *vm;
	int ready[2], done[2];
	char buf[1];
	int status;
	pid_t child;

	while ((opt = getopt(argc, argv, "hb:p:S")) != -1) {
		switch (opt) {
		case 'b':
			bytes = parse_size(optarg);
			break;
		case 'p':
			passes = atoi_positive("Number of passes", optarg);
			break;
		case 'S':
			off = true;
			break;
		default:
			help(argv[0]);
		}
	}

	require(lru_gen_usable(), "MGLRU is not on with its mm walk, or " LRU_GEN_DEBUGFS
		" is missing");
	require(memcg_v2_usable(),
		"cgroup v2 with the memory controller is not mounted at " CGROUP_V2_ROOT);

	require(!off || secondary_mmu_aging_off(),
		"-S: the kernel has no secondary-MMU aging capability (0x0008 of "
		LRU_GEN_ENABLED_PATH ")");

	/* Removed at exit, or by memcg_remove_created() below. */
	memcg_create(DEMO_MEMCG);
	hot_memcg = memcg_create(HOT_MEMCG);
	cold_memcg = memcg_create(COLD_MEMCG);
	TEST_ASSERT(!pipe(ready) && !pipe(done), "pipe");

	printf("two VMs of one vCPU each, %.0f MiB of guest memory each; lru_gen/enabled = 0x%04x (%s)\n",
	       mib(bytes / getpagesize()), lru_gen_capabilities(),
	       off ? "secondary-MMU aging off" :
	       lru_gen_capabilities() & LRU_GEN_SECONDARY_MMU_WALK ? "secondary-MMU aging on" :
	       "0x0008 clear, or absent: a 6.12 kernel always consults KVM");
	fflush(stdout);
	child = fork();
	TEST_ASSERT(child >= 0, "fork");
	if (!child) {
		/* The cold VM: fault its memory in, then stay idle until told. */
		close(ready[0]);
		close(done[1]);
		vm = start_vm(cold_memcg, bytes, &t_vcpu);
		printf("cold VM faulted its memory in in %.3f s (memcg %s)\n", t_vcpu, cold_memcg);
		fflush(stdout);
		TEST_ASSERT(write(ready[1], "r", 1) == 1, "write");
		TEST_ASSERT(read(done[0], buf, 1) == 0, "read");
		stop_vm(vm);
		exit(0);
	}
	close(ready[1]);
	close(done[0]);
	TEST_ASSERT(read(ready[0], buf, 1) == 1, "the cold VM's process failed");
	vm = start_vm(hot_memcg, bytes, &t_vcpu);
	printf("hot VM faulted its memory in in %.3f s (memcg %s)\n\n", t_vcpu, hot_memcg);

	printf("MiB of guest memory per generation after each aging pass (max = newest;\n"
	       "a pass puts what it finds young in max-1)\n");
	printf("%-6s %-5s %8s %8s %8s %8s %8s %10s\n", "pass", "mem",
	       "max", "max-1", "max-2", "max-3", "total", "aging ms");
	lru_gen_read_memcg(hot_memcg, &hot);
	lru_gen_read_memcg(cold_memcg, &cold);
	print_row("start", "hot", &hot, -1);
	print_row("", "cold", &cold, -1);
	for (p = 1; p <= passes; p++) {
		char label[16];

		t_vcpu = run_vcpu();
		t_hot = age(hot_memcg, &hot);
		t_cold = age(cold_memcg, &cold);
		snprintf(label, sizeof(label), "%d", p);
		print_row(label, "hot", &hot, t_hot);
		print_row("", "cold", &cold, t_cold);
	}
	printf("\nfound young by the last pass: hot memory %d%%, cold memory %d%% (last hot-vCPU pass %.3f s)\n",
	       young_pct(&hot), young_pct(&cold), t_vcpu);

	close(done[1]);
	TEST_ASSERT(waitpid(child, &status, 0) == child && WIFEXITED(status) &&
		    !WEXITSTATUS(status), "the cold VM's process failed");
	stop_vm(vm);
	if (!memcg_remove_created()) {
		printf("RESULT: FAIL: the demo's memcgs could not be removed\n");
		return 1;
	}

	if (off) {
		if (young_pct(&hot) <= COLD_YOUNG_PCT && young_pct(&cold) <= COLD_YOUNG_PCT) {
			printf("RESULT: with secondary-MMU aging off, aging did not see the hot guest's accesses: hot memory drifts like cold\n");
			return 0;
		}
		printf("RESULT: secondary-MMU aging is off, yet aging found guest memory young (want hot and cold <= %d%% young)\n",
		       COLD_YOUNG_PCT);
		return 1;
	}
	if (young_pct(&hot) >= HOT_YOUNG_PCT && young_pct(&cold) <= COLD_YOUNG_PCT) {
		printf("RESULT: aging told hot guest memory from cold\n");
		return 0;
	}
	printf("RESULT: aging did NOT tell hot guest memory from cold (want hot >= %d%%, cold <= %d%% young)\n",
	       HOT_YOUNG_PCT, COLD_YOUNG_PCT);
	return 1;
}
