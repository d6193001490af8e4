// SPDX-License-Identifier: GPL-2.0
/*
 * mglru_demo: show MGLRU telling a KVM guest's hot memory from its cold
 * memory, and what an aging pass costs.
 *
 * Two vCPUs, each with its own region of guest memory (memstress). The
 * "hot" vCPU's region is faulted in while this process sits in memcg
 * DEMO/hot, the "cold" vCPU's region while it sits in DEMO/cold, so each
 * memcg holds one kind of memory (cgroup v2 does not move charges). Then,
 * every pass, the hot vCPU touches its memory again (in the guest only:
 * the accesses set Accessed bits in KVM's secondary MMU, never in this
 * process's page tables), and MGLRU ages both memcgs through
 * /sys/kernel/debug/lru_gen. The table shows how much of each memcg's
 * memory sits in each generation after each pass, youngest first, and how
 * long each aging pass took.
 *
 * If aging consults KVM, hot memory stays in the youngest generation and
 * cold memory drifts to the oldest; if it does not, both drift.
 *
 * Exit status: 0 when the run completed and hot and cold ended up apart
 * (most hot memory in the youngest generation, most cold memory not), 1
 * when they did not, 4 (KSFT_SKIP) when the kernel lacks a feature.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "memstress.h"
#include "processor.h"
#include "test_util.h"

#define LRU_GEN_DEBUGFS		"/sys/kernel/debug/lru_gen"
#define LRU_GEN_ENABLED		"/sys/kernel/mm/lru_gen/enabled"
#define CGROUP_ROOT		"/sys/fs/cgroup"
#define DEMO_CGROUP		CGROUP_ROOT "/mglru-demo"
#define MAX_NR_GENS		4
#define NR_VCPUS		2
#define HOT_VCPU		0
#define COLD_VCPU		1
/* "Apart" means at least this share of hot memory in the youngest gen... */
#define HOT_YOUNG_PCT		90
/* ...and at most this share of cold memory there, after the last pass. */
#define COLD_YOUNG_PCT		10

struct gens {
	int memcg_id;
	unsigned long max_seq;
	unsigned long min_seq;
	/* anon pages of node 0, indexed by max_seq - seq */
	unsigned long pages[MAX_NR_GENS];
	unsigned long total;
};

static int iteration;
static bool vcpu_active[NR_VCPUS];
static int vcpu_done[NR_VCPUS];

static void vcpu_fn(struct memstress_vcpu_args *vcpu_args)
{
	int idx = vcpu_args->vcpu_idx;
	int cur = 0;

	while (!READ_ONCE(memstress_args.stop_vcpus)) {
		if (READ_ONCE(iteration) == cur) {
			usleep(100);
			continue;
		}
		cur = READ_ONCE(iteration);
		if (READ_ONCE(vcpu_active[idx])) {
			vcpu_run(vcpu_args->vcpu);
			TEST_ASSERT_EQ(get_ucall(vcpu_args->vcpu, NULL), UCALL_SYNC);
		}
		WRITE_ONCE(vcpu_done[idx], cur);
	}
}

/*
 * Let the hot and/or the cold vCPU run over its memory once; wait for both
 * threads. Waits sleep: under emulation a spinning thread steals the
 * vCPUs' time.
 */
static double run_vcpus(bool hot, bool cold)
{
	struct timespec t0 = {}, t;
	int i, next;

	vcpu_active[HOT_VCPU] = hot;
	vcpu_active[COLD_VCPU] = cold;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	next = ++iteration;
	for (i = 0; i < NR_VCPUS; i++)
		while (READ_ONCE(vcpu_done[i]) != next)
			usleep(100);
	t = timespec_elapsed(t0);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	TEST_ASSERT(fd >= 0, "open %s", path);
	TEST_ASSERT(write(fd, s, strlen(s)) == (ssize_t)strlen(s), "write '%s' to %s", s, path);
	close(fd);
}

static void enter_cgroup(const char *cg)
{
	char path[256], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d", getpid());
	write_file(path, pid);
}

/* Parse lru_gen for the memcg at @cg_path (relative to the cgroup root). */
static void read_gens(const char *cg_path, struct gens *g)
{
	FILE *f = fopen(LRU_GEN_DEBUGFS, "r");
	char line[512], path[256];
	bool in_memcg = false, in_node = false;
	unsigned long seq, age, anon, file;
	int id, nid;

	TEST_ASSERT(f, "open " LRU_GEN_DEBUGFS);
	memset(g, 0, sizeof(*g));
	g->memcg_id = -1;
	g->min_seq = ~0UL;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "memcg %d %255s", &id, path) == 2) {
			in_memcg = !strcmp(path, cg_path);
			in_node = false;
			if (in_memcg)
				g->memcg_id = id;
		} else if (sscanf(line, " node %d", &nid) == 1) {
			in_node = in_memcg && nid == 0;
		} else if (sscanf(line, " %lu %lu %lu %lu", &seq, &age, &anon, &file) == 4) {
			if (!in_node)
				continue;
			if (seq > g->max_seq)
				g->max_seq = seq;
			if (seq < g->min_seq)
				g->min_seq = seq;
		} else if (in_memcg && line[0] != '\n') {
			TEST_FAIL("unexpected line in " LRU_GEN_DEBUGFS ": '%s'", line);
		}
	}
	fclose(f);
	TEST_ASSERT(g->memcg_id >= 0, "memcg %s not in " LRU_GEN_DEBUGFS, cg_path);

	/* Second pass: now that max_seq is known, file the counts. */
	f = fopen(LRU_GEN_DEBUGFS, "r");
	TEST_ASSERT(f, "open " LRU_GEN_DEBUGFS);
	in_memcg = in_node = false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "memcg %d %255s", &id, path) == 2) {
			in_memcg = !strcmp(path, cg_path);
			in_node = false;
		} else if (sscanf(line, " node %d", &nid) == 1) {
			in_node = in_memcg && nid == 0;
		} else if (in_node &&
			   sscanf(line, " %lu %lu %lu %lu", &seq, &age, &anon, &file) == 4) {
			TEST_ASSERT(g->max_seq - seq < MAX_NR_GENS, "more than %d generations",
				    MAX_NR_GENS);
			g->pages[g->max_seq - seq] += anon;
			g->total += anon;
		}
	}
	fclose(f);
}

/* One aging pass on @cg_path's memcg, node 0; returns its time in seconds. */
static double age(const char *cg_path)
{
	struct timespec t0, t;
	struct gens g;
	char cmd[128];

	read_gens(cg_path, &g);
	/* "+ memcg_id node_id max_gen_nr can_swap force_scan" */
	snprintf(cmd, sizeof(cmd), "+ %d 0 %lu 1 1", g.memcg_id, g.max_seq);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	write_file(LRU_GEN_DEBUGFS, cmd);
	t = timespec_elapsed(t0);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static double mib(unsigned long pages)
{
	return pages * (double)getpagesize() / (1 << 20);
}

static void print_row(const char *label, const char *what, struct gens *g, double secs)
{
	int i;

	printf("%-6s %-5s", label, what);
	for (i = 0; i < MAX_NR_GENS; i++)
		printf(" %8.1f", mib(g->pages[i]));
	printf(" %8.1f", mib(g->total));
	if (secs >= 0)
		printf(" %10.3f", secs * 1000);
	printf("\n");
}

static int young_pct(struct gens *g)
{
	return g->total ? (int)(g->pages[0] * 100 / g->total) : 0;
}

static void help(const char *name)
{
	printf("usage: %s [-b vcpu_bytes] [-p passes]\n", name);
	printf(" -b: guest memory per vCPU (hot and cold each), default 128M\n");
	printf(" -p: aging passes, default 4\n");
	exit(0);
}

static void require(const char *path, const char *what)
{
	if (access(path, F_OK)) {
		print_skip("%s: %s is missing", what, path);
		exit(KSFT_SKIP);
	}
}

int main(int argc, char *argv[])
{
	uint64_t bytes = 128 << 20;
	int passes = 4, opt, p;
	struct kvm_vm *vm;
	struct gens hot, cold;
	double t_hot, t_cold, t_vcpu;
	char buf[16] = {};
	int fd;

	while ((opt = getopt(argc, argv, "hb:p:")) != -1) {
		switch (opt) {
		case 'b':
			bytes = parse_size(optarg);
			break;
		case 'p':
			passes = atoi_positive("Number of passes", optarg);
			break;
		default:
			help(argv[0]);
		}
	}

	require(LRU_GEN_DEBUGFS, "MGLRU debugfs");
	require(CGROUP_ROOT "/cgroup.controllers", "cgroup v2");
	fd = open(LRU_GEN_ENABLED, O_RDONLY);
	TEST_ASSERT(fd >= 0, "open " LRU_GEN_ENABLED);
	TEST_ASSERT(read(fd, buf, sizeof(buf) - 1) > 0, "read " LRU_GEN_ENABLED);
	close(fd);
	if (!(strtoul(buf, NULL, 0) & 1)) {
		print_skip("MGLRU is disabled (%s = %s)", LRU_GEN_ENABLED, buf);
		exit(KSFT_SKIP);
	}

	mkdir(DEMO_CGROUP, 0755);
	write_file(DEMO_CGROUP "/cgroup.subtree_control", "+memory");
	mkdir(DEMO_CGROUP "/hot", 0755);
	mkdir(DEMO_CGROUP "/cold", 0755);

	vm = memstress_create_vm(VM_MODE_DEFAULT, NR_VCPUS, bytes, 1,
				 VM_MEM_SRC_ANONYMOUS, true);
	memstress_set_write_percent(vm, 0);
	memstress_start_vcpu_threads(NR_VCPUS, vcpu_fn);

	printf("guest: %d vCPUs, %.0f MiB hot + %.0f MiB cold; lru_gen/enabled = %s",
	       NR_VCPUS, mib(bytes / getpagesize()), mib(bytes / getpagesize()), buf);
	enter_cgroup(DEMO_CGROUP "/hot");
	t_vcpu = run_vcpus(true, false);
	printf("faulted in hot memory in %.3f s (memcg mglru-demo/hot)\n", t_vcpu);
	enter_cgroup(DEMO_CGROUP "/cold");
	t_vcpu = run_vcpus(false, true);
	printf("faulted in cold memory in %.3f s (memcg mglru-demo/cold)\n\n", t_vcpu);

	printf("MiB of guest memory per generation (gen 0 = youngest) after each aging pass\n");
	printf("%-6s %-5s %8s %8s %8s %8s %8s %10s\n", "pass", "mem",
	       "gen 0", "gen -1", "gen -2", "gen -3", "total", "aging ms");
	read_gens("/mglru-demo/hot", &hot);
	read_gens("/mglru-demo/cold", &cold);
	print_row("start", "hot", &hot, -1);
	print_row("", "cold", &cold, -1);
	for (p = 1; p <= passes; p++) {
		char label[16];

		t_vcpu = run_vcpus(true, false);
		t_hot = age("/mglru-demo/hot");
		t_cold = age("/mglru-demo/cold");
		read_gens("/mglru-demo/hot", &hot);
		read_gens("/mglru-demo/cold", &cold);
		snprintf(label, sizeof(label), "%d", p);
		print_row(label, "hot", &hot, t_hot);
		print_row("", "cold", &cold, t_cold);
	}
	printf("\nhot memory in the youngest generation: %d%%, cold: %d%% (last hot-vCPU pass %.3f s)\n",
	       young_pct(&hot), young_pct(&cold), t_vcpu);

	memstress_join_vcpu_threads(NR_VCPUS);
	memstress_destroy_vm(vm);
	enter_cgroup(CGROUP_ROOT);
	rmdir(DEMO_CGROUP "/hot");
	rmdir(DEMO_CGROUP "/cold");
	rmdir(DEMO_CGROUP);

	if (young_pct(&hot) >= HOT_YOUNG_PCT && young_pct(&cold) <= COLD_YOUNG_PCT) {
		printf("RESULT: aging told hot guest memory from cold\n");
		return 0;
	}
	printf("RESULT: aging did NOT tell hot guest memory from cold (want hot >= %d%%, cold <= %d%% young)\n",
	       HOT_YOUNG_PCT, COLD_YOUNG_PCT);
	return 1;
}
