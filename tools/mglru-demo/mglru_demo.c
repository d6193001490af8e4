// SPDX-License-Identifier: GPL-2.0
/*
 * mglru_demo: show MGLRU telling a KVM guest's hot memory from its cold
 * memory, and what an aging pass costs.
 *
 * Two processes, each with a VM of one vCPU (memstress): the "hot" one in
 * memcg DEMO/hot, the "cold" one in DEMO/cold. Both fault their guest
 * memory in once. Then, every pass, the hot vCPU touches its memory again
 * (in the guest only: the accesses set Accessed bits in KVM's secondary
 * MMU, never in the process's page tables), the cold one stays idle, and
 * MGLRU ages both memcgs through /sys/kernel/debug/lru_gen. (Two
 * processes, because MGLRU's aging walks the page tables of the mms that
 * belong to the memcg it ages.) The table shows how much of each memcg's
 * memory sits in each generation after each pass, newest first, and how
 * long each aging pass took. An aging pass moves the pages it finds young
 * into the generation that was the newest when it started ("max-1" once
 * it is done) and opens a new, empty one ("max").
 *
 * If aging consults KVM, hot memory is found young every pass and cold
 * memory drifts to the oldest generation; if it does not, both drift.
 *
 * Exit status: 0 when the run completed and hot and cold ended up apart
 * (most hot memory found young by the last pass, most cold memory not), 1
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
#include <sys/wait.h>
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
/* "Apart" means at least this share of hot memory found young... */
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
static int vcpu_done;

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

/* Create this process's VM in the memcg at @cg and fault its memory in. */
static struct kvm_vm *start_vm(const char *cg, uint64_t bytes, double *secs)
{
	struct kvm_vm *vm;

	enter_cgroup(cg);
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

/* Share of @g's pages that the last aging pass found young. */
static int young_pct(struct gens *g)
{
	return g->total ? (int)(g->pages[1] * 100 / g->total) : 0;
}

static void help(const char *name)
{
	printf("usage: %s [-b vcpu_bytes] [-p passes]\n", name);
	printf(" -b: guest memory of each VM (hot and cold), default 64M\n");
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
	uint64_t bytes = 64 << 20;
	int passes = 4, opt, p;
	struct kvm_vm *vm;
	struct gens hot, cold;
	double t_hot, t_cold, t_vcpu;
	char buf[16] = {};
	int ready[2], done[2];
	int fd, status;
	pid_t child;

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
	TEST_ASSERT(!pipe(ready) && !pipe(done), "pipe");

	printf("two VMs of one vCPU each, %.0f MiB of guest memory each; lru_gen/enabled = %s",
	       mib(bytes / getpagesize()), buf);
	fflush(stdout);
	child = fork();
	TEST_ASSERT(child >= 0, "fork");
	if (!child) {
		/* The cold VM: fault its memory in, then stay idle until told. */
		close(ready[0]);
		close(done[1]);
		vm = start_vm(DEMO_CGROUP "/cold", bytes, &t_vcpu);
		printf("cold VM faulted its memory in in %.3f s (memcg mglru-demo/cold)\n", t_vcpu);
		fflush(stdout);
		TEST_ASSERT(write(ready[1], "r", 1) == 1, "write");
		TEST_ASSERT(read(done[0], buf, 1) == 0, "read");
		stop_vm(vm);
		exit(0);
	}
	close(ready[1]);
	close(done[0]);
	TEST_ASSERT(read(ready[0], buf, 1) == 1, "the cold VM's process failed");
	vm = start_vm(DEMO_CGROUP "/hot", bytes, &t_vcpu);
	printf("hot VM faulted its memory in in %.3f s (memcg mglru-demo/hot)\n\n", t_vcpu);

	printf("MiB of guest memory per generation after each aging pass (max = newest;\n"
	       "a pass puts what it finds young in max-1)\n");
	printf("%-6s %-5s %8s %8s %8s %8s %8s %10s\n", "pass", "mem",
	       "max", "max-1", "max-2", "max-3", "total", "aging ms");
	read_gens("/mglru-demo/hot", &hot);
	read_gens("/mglru-demo/cold", &cold);
	print_row("start", "hot", &hot, -1);
	print_row("", "cold", &cold, -1);
	for (p = 1; p <= passes; p++) {
		char label[16];

		t_vcpu = run_vcpu();
		t_hot = age("/mglru-demo/hot");
		t_cold = age("/mglru-demo/cold");
		read_gens("/mglru-demo/hot", &hot);
		read_gens("/mglru-demo/cold", &cold);
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
