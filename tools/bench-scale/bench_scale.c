// SPDX-License-Identifier: GPL-2.0
/*
 * bench_scale: how long one MGLRU aging pass takes over the memory of an
 * idle VM, and over plain anonymous memory of the same size (no MMU
 * notifier: the floor). The scaling experiment of make bench
 * (scripts/bench).
 *
 * -m vm: in a memcg of its own, a VM (memstress, one vCPU, -b bytes of
 * anonymous guest memory) writes all its memory once, then its vCPU stops
 * (its thread waits in userspace: an idle VM). -m plain: the process maps
 * -b bytes of anonymous memory and writes every page once. Both are 4 KiB
 * pages (MADV_NOHUGEPAGE, as kvm_util maps VM_MEM_SRC_ANONYMOUS). Then one
 * warm-up aging pass (it clears the Accessed bits the writes set), and -r
 * repeats of -p timed passes through /sys/kernel/debug/lru_gen (force_scan:
 * the mm walk runs every time; the time is that of the write that ages,
 * not of reading the file back). Each repeat prints the average pass:
 *
 *   SCALE mode=vm mib=64 repeat=1 passes=3 avg_ms=12.345 young=17
 *
 * (young: pages the last pass found young; an idle VM has almost none).
 * With -c, one more pass runs with the KVM aging events (kvm:kvm_age_hva,
 * kvm:kvm_test_age_hva) on and counts them as aging_lockstat does (sum of
 * "entries:" and "overrun:" of tracing/per_cpu/cpu*\/stats): the MMU
 * notifier calls of one pass, printed as
 *
 *   CALLS mode=vm mib=64 calls=16421 pages=16384
 *
 * The counted pass is not timed (tracing costs time).
 *
 * Exit status: 0 when every pass ran; 2 on a usage error; 4 (KSFT_SKIP)
 * without MGLRU or cgroup v2's memory controller; 254 when a step fails
 * (a selftest library assertion).
 */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "lru_gen_util.h"
#include "memstress.h"
#include "processor.h"
#include "test_util.h"

#define TRACING "/sys/kernel/tracing"

static const char *test_memcg;
static bool events_on;
static const char * const aging_events[] = {
	TRACING "/events/kvm/kvm_age_hva/enable",
	TRACING "/events/kvm/kvm_test_age_hva/enable",
};
static int vcpu_go;
static int vcpu_done;

/* The vCPU thread: one pass over its memory when vcpu_go changes. */
static void vcpu_fn(struct memstress_vcpu_args *vcpu_args)
{
	int cur = 0;

	while (!READ_ONCE(memstress_args.stop_vcpus)) {
		if (READ_ONCE(vcpu_go) == cur) {
			usleep(1000);
			continue;
		}
		cur = READ_ONCE(vcpu_go);
		vcpu_run(vcpu_args->vcpu);
		TEST_ASSERT_EQ(get_ucall(vcpu_args->vcpu, NULL), UCALL_SYNC);
		WRITE_ONCE(vcpu_done, cur);
	}
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void set_events(bool on)
{
	size_t i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(aging_events); i++) {
		fd = open(aging_events[i], O_WRONLY);
		TEST_ASSERT(fd >= 0 || !on, "open %s", aging_events[i]);
		if (fd < 0)
			continue;
		TEST_ASSERT(write(fd, on ? "1" : "0", 1) == 1 || !on,
			    "write %s", aging_events[i]);
		close(fd);
	}
	events_on = on;
}

static unsigned long count_events(void)
{
	unsigned long sum = 0, val;
	char path[128], line[128];
	int cpu, nr = 0;
	FILE *f;

	for (cpu = 0; cpu < 4096; cpu++) {
		snprintf(path, sizeof(path), TRACING "/per_cpu/cpu%d/stats", cpu);
		f = fopen(path, "r");
		if (!f)
			continue;
		nr++;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "entries: %lu", &val) == 1 ||
			    sscanf(line, "overrun: %lu", &val) == 1)
				sum += val;
		}
		fclose(f);
	}
	TEST_ASSERT(nr, "no " TRACING "/per_cpu/cpu*/stats");
	return sum;
}

static unsigned long node_max_seq(const struct lru_gen_node *node)
{
	unsigned long max = 0;
	int g;

	for (g = 0; g < node->nr_gens; g++)
		max = node->gens[g].seq > max ? node->gens[g].seq : max;
	return max;
}

/*
 * One aging pass, as lru_gen_age() runs it ("+ memcg_id node_id max_gen
 * can_swap force_scan" into LRU_GEN_DEBUGFS for each node), but timing
 * only the writes: reading and parsing LRU_GEN_DEBUGFS, which lists every
 * memcg, is not aging. Asserts that every node got a new generation.
 * Returns the seconds the writes took.
 */
static double timed_age(struct lru_gen_memcg *stats)
{
	struct lru_gen_memcg before;
	double t, sum = 0;
	char cmd[128];
	int fd, n;

	lru_gen_read_memcg(test_memcg, &before);
	for (n = 0; n < before.nr_nodes; n++) {
		snprintf(cmd, sizeof(cmd), "+ %d %d %lu 1 1", before.memcg_id,
			 before.nodes[n].nid, node_max_seq(&before.nodes[n]));
		fd = open(LRU_GEN_DEBUGFS, O_WRONLY);
		TEST_ASSERT(fd >= 0, "open " LRU_GEN_DEBUGFS);
		t = now_s();
		TEST_ASSERT(write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd),
			    "write '%s' to " LRU_GEN_DEBUGFS, cmd);
		sum += now_s() - t;
		close(fd);
	}
	lru_gen_read_memcg(test_memcg, stats);
	for (n = 0; n < stats->nr_nodes; n++) {
		TEST_ASSERT(node_max_seq(&stats->nodes[n]) > node_max_seq(&before.nodes[n]),
			    "node %d: the aging pass added no generation", stats->nodes[n].nid);
		stats->nodes[n].aged_seq = node_max_seq(&before.nodes[n]);
	}
	return sum;
}

static void cleanup(void)
{
	if (events_on)
		set_events(false);
	memcg_remove_created();
}

static void help(const char *name, int status)
{
	printf("usage: %s [-m vm|plain] [-b bytes] [-p passes] [-r repeats] [-c]\n", name);
	printf(" -m: age an idle VM's memory (vm, default) or plain anonymous memory\n");
	printf(" -b: memory size, default 64M\n");
	printf(" -p: timed aging passes per repeat, default 3\n");
	printf(" -r: repeats, default 1\n");
	printf(" -c: count KVM's aging notifier calls in one more pass\n");
	exit(status);
}

int main(int argc, char *argv[])
{
	uint64_t bytes = 64 << 20;
	int passes = 3, repeats = 1, opt, r, p;
	bool plain = false, count = false;
	struct lru_gen_memcg stats;
	struct kvm_vm *vm = NULL;
	unsigned long pages, calls;
	double t0, sum;
	char name[64];
	char *mem;
	uint64_t i;

	while ((opt = getopt(argc, argv, "hm:b:p:r:c")) != -1) {
		switch (opt) {
		case 'm':
			if (!strcmp(optarg, "plain"))
				plain = true;
			else if (strcmp(optarg, "vm"))
				help(argv[0], 2);
			break;
		case 'b':
			bytes = parse_size(optarg);
			break;
		case 'p':
			passes = atoi_positive("Number of passes", optarg);
			break;
		case 'r':
			repeats = atoi_positive("Number of repeats", optarg);
			break;
		case 'c':
			count = true;
			break;
		case 'h':
			help(argv[0], 0);
			break;
		default:
			help(argv[0], 2);
		}
	}
	if (optind < argc)
		help(argv[0], 2);
	if (!lru_gen_usable()) {
		print_skip("MGLRU is not on with its mm walk, or %s is not writable",
			   LRU_GEN_DEBUGFS);
		exit(KSFT_SKIP);
	}
	if (!memcg_v2_usable()) {
		print_skip("cgroup v2 with the memory controller is not mounted at " CGROUP_V2_ROOT);
		exit(KSFT_SKIP);
	}
	atexit(cleanup);
	snprintf(name, sizeof(name), "bench_scale-%d", getpid());
	test_memcg = memcg_create(name);
	memcg_enter(test_memcg);
	pages = bytes / getpagesize();

	t0 = now_s();
	if (plain) {
		mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		TEST_ASSERT(mem != MAP_FAILED, "mmap %" PRIu64 " bytes", bytes);
		/* 4 KiB pages, as the selftests back VM_MEM_SRC_ANONYMOUS. */
		TEST_ASSERT(!madvise(mem, bytes, MADV_NOHUGEPAGE), "madvise(MADV_NOHUGEPAGE)");
		for (i = 0; i < bytes; i += getpagesize())
			mem[i] = 1;
	} else {
		vm = memstress_create_vm(VM_MODE_DEFAULT, 1, bytes, 1,
					 VM_MEM_SRC_ANONYMOUS, true);
		memstress_set_write_percent(vm, 100);
		memstress_start_vcpu_threads(1, vcpu_fn);
		WRITE_ONCE(vcpu_go, 1);
		while (READ_ONCE(vcpu_done) != 1)
			usleep(1000);
	}
	printf("%s: %lu MiB written in %.3f s, memcg %s\n", plain ? "plain" : "vm",
	       (unsigned long)(bytes >> 20), now_s() - t0, test_memcg);

	lru_gen_read_memcg(test_memcg, &stats);
	t0 = now_s();
	lru_gen_age(test_memcg, &stats);
	printf("warm-up aging pass: %.3f ms, %lu pages young\n", (now_s() - t0) * 1e3,
	       lru_gen_sum_pages_found_young(&stats));

	for (r = 1; r <= repeats; r++) {
		sum = 0;
		for (p = 0; p < passes; p++)
			sum += timed_age(&stats);
		printf("SCALE mode=%s mib=%lu repeat=%d passes=%d avg_ms=%.3f young=%lu\n",
		       plain ? "plain" : "vm", (unsigned long)(bytes >> 20), r, passes,
		       sum / passes * 1e3, lru_gen_sum_pages_found_young(&stats));
		fflush(stdout);
	}

	if (count) {
		if (access(aging_events[0], W_OK) || access(aging_events[1], W_OK)) {
			printf("CALLS mode=%s mib=%lu calls=- pages=%lu (no kvm aging events in " TRACING ")\n",
			       plain ? "plain" : "vm", (unsigned long)(bytes >> 20), pages);
		} else {
			int fd = open(TRACING "/trace", O_WRONLY | O_TRUNC);

			TEST_ASSERT(fd >= 0, "open " TRACING "/trace");
			close(fd);
			set_events(true);
			lru_gen_age(test_memcg, &stats);
			set_events(false);
			calls = count_events();
			printf("CALLS mode=%s mib=%lu calls=%lu pages=%lu\n",
			       plain ? "plain" : "vm", (unsigned long)(bytes >> 20), calls, pages);
		}
	}

	if (vm) {
		memstress_join_vcpu_threads(1);
		memstress_destroy_vm(vm);
	}
	return 0;
}
