// SPDX-License-Identifier: GPL-2.0
/*
 * aging_lockstat: count how often KVM takes kvm->mmu_lock while MGLRU ages
 * the memory of an idle VM. It is the check for "aging takes no mmu_lock".
 *
 * In a memcg of its own, a VM (memstress, anonymous memory, 100% writes)
 * faults all its guest memory in and writes it; then the vCPUs stop (their
 * threads wait in userspace, no KVM_RUN in progress). One aging pass runs
 * as a warm-up, the vCPUs write all the memory once more (in the guest
 * only: the pages are young in KVM's secondary MMU, not in the process's
 * page tables) and stop again. Then, with lock_stat on and cleared, the
 * tool runs P aging passes through /sys/kernel/debug/lru_gen and reads
 * the acquisitions of the mmu_lock class from /proc/lock_stat (write: the
 * "-W:" line, or the plain ":" line lock_stat prints when there were no
 * read acquisitions; read: the "-R:" line; no line at all means none).
 *
 * The count proves something only if the aging consulted KVM: the first
 * counted pass must have found at least 90% of the guest pages young.
 * Linux 6.12 takes mmu_lock for write about once per page per pass (the
 * clear_young notifier); a kernel whose aging takes no mmu_lock takes it
 * zero times.
 *
 * Lock classes show in /proc/lock_stat only once they have statistics, so
 * lock_stat is on from before the VM is created, and the mmu_lock class
 * must be listed before the counted passes (else the parser is wrong).
 * lock_stat is set back to its previous value at exit.
 *
 * -n on|off sets or clears LRU_GEN_SECONDARY_MMU_WALK (0x0008 of
 * /sys/kernel/mm/lru_gen/enabled) for the run (restored at exit) and
 * counts the KVM aging notifier calls of the counted passes: the events
 * kvm:kvm_age_hva (clear_young, clear_flush_young, and the batched
 * clear_young_bitmap) and kvm:kvm_test_age_hva fire once per call; the
 * count is the sum of "entries:" and "overrun:" of
 * tracing/per_cpu/cpuN/stats after the buffer was cleared, exact even when
 * the ring buffer wraps. With the bit set, the passes (force_scan) must
 * make calls and find >= 90% of the guest pages young; with it cleared,
 * zero calls and at most 10% of them young.
 *
 * -c per-page|batched counts the calls the same way (with or without -n)
 * and asserts how many there are: per-page, at least one per guest page
 * per pass (Linux 6.12, and the series before batched aging); batched, at
 * most one per PTE table of guest memory (every memslot, counted from the
 * 2 MiB aligned host ranges they cover), plus one per THP of the process
 * (AnonHugePages), plus CALLS_SLACK (the process's other memory in the
 * memcg: heap, thread stacks), per pass. -s picks the backing of the
 * guest memory (anonymous, anonymous_thp, ...), as in the KVM selftests.
 *
 * Exit status: 0 when the run completed and met the expectation of -e
 * (none: always); 1 when the aging found fewer than 90% of the guest pages
 * young (the count proves nothing), when lock debugging got disabled,
 * when the count does not meet -e (zero: no write acquisition; many: at
 * least one per two guest pages), or when the notifier calls do not meet
 * -n or -c; 2 on a usage error; 4 (KSFT_SKIP) when
 * the kernel lacks MGLRU, cgroup v2's memory controller or lock_stat; 254
 * when a step fails (a selftest library assertion).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "lru_gen_util.h"
#include "memstress.h"
#include "processor.h"
#include "test_util.h"

#define LOCK_STAT_SYSCTL	"/proc/sys/kernel/lock_stat"
#define LOCK_STAT_PROC		"/proc/lock_stat"
/* A lock_stat class whose name contains this is KVM's mmu_lock. */
#define MMU_LOCK_CLASS		"mmu_lock"
/* The counted aging must find at least this share of guest pages young. */
#define YOUNG_MIN_PCT		90
/* -e many: at least this share of guest pages in write acquisitions. */
#define MANY_MIN_PCT		50
/* -n off: the counted aging must find at most this share young. */
#define IDLE_MAX_PCT		10
#define TRACING			"/sys/kernel/tracing"
/* The memory one x86 PTE table maps, and the size of a THP. */
#define PTE_TABLE_SPAN		(2UL << 20)
/* -c batched: calls per pass allowed beyond the guest's PTE tables and THPs. */
#define CALLS_SLACK		16

enum expect {
	EXPECT_NONE,
	EXPECT_ZERO,
	EXPECT_MANY,
};

/* -c: the expected number of aging notifier calls. */
enum calls {
	CALLS_NONE,
	CALLS_PER_PAGE,
	CALLS_BATCHED,
};

struct mmu_lock_stat {
	unsigned long write;
	unsigned long read;
	/* lock_stat lines of the mmu_lock class found */
	int nr_lines;
	/* the column of "acquisitions" after the class name */
	int acq_col;
	/* "lock debugging disabled": lock_stat counts nothing */
	bool debug_off;
};

static int nr_vcpus = 2;
static int iteration;
static int vcpu_done[KVM_MAX_VCPUS];

static const char *test_memcg;
/* lock_stat's value before this tool changed it; -1: not changed */
static int saved_lock_stat = -1;
/* -n: lru_gen/enabled before this tool changed it; -1: not changed */
static int saved_lru_gen_caps = -1;
/* -n: the KVM aging events are enabled */
static bool tracing_events_on;
static const char * const aging_events[] = {
	TRACING "/events/kvm/kvm_age_hva/enable",
	TRACING "/events/kvm/kvm_test_age_hva/enable",
};

/* The vCPU thread: one pass over its guest memory per iteration. */
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
		WRITE_ONCE(vcpu_done[vcpu_args->vcpu_idx], cur);
	}
}

/*
 * Let every vCPU write all its memory once and wait until they are back
 * in userspace. The wait sleeps: under emulation a spinning thread steals
 * the vCPUs' time.
 */
static double run_vcpus(void)
{
	struct timespec t0, t;
	int next, i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	next = ++iteration;
	for (i = 0; i < nr_vcpus; i++) {
		while (READ_ONCE(vcpu_done[i]) != next)
			usleep(100);
	}
	t = timespec_elapsed(t0);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static double age(struct lru_gen_memcg *stats)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	lru_gen_age(test_memcg, stats);
	t = timespec_elapsed(t0);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	TEST_ASSERT(fd >= 0, "open %s", path);
	TEST_ASSERT(write(fd, s, strlen(s)) == (ssize_t)strlen(s),
		    "write '%s' to %s", s, path);
	close(fd);
}

static int read_lock_stat_sysctl(void)
{
	int val = -1;
	FILE *f = fopen(LOCK_STAT_SYSCTL, "r");

	TEST_ASSERT(f, "open " LOCK_STAT_SYSCTL);
	TEST_ASSERT(fscanf(f, "%d", &val) == 1, "read " LOCK_STAT_SYSCTL);
	fclose(f);
	return val;
}

/* Turn the KVM aging events on or off; ignore errors when turning them off. */
static void set_aging_events(bool on)
{
	size_t i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(aging_events); i++) {
		if (on) {
			write_file(aging_events[i], "1");
			continue;
		}
		fd = open(aging_events[i], O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "0", 1) != 1)
				printf("Could not write 0 to %s\n", aging_events[i]);
			close(fd);
		}
	}
	tracing_events_on = on;
}

/* Empty the ring buffer; its per-CPU entries and overruns restart at 0. */
static void clear_trace(void)
{
	int fd = open(TRACING "/trace", O_WRONLY | O_TRUNC);

	TEST_ASSERT(fd >= 0, "open " TRACING "/trace");
	close(fd);
}

/* The events recorded since clear_trace(): sum of entries + overrun per CPU. */
static unsigned long count_trace_events(void)
{
	unsigned long sum = 0, val;
	char path[128], line[128];
	int cpu, nr_files = 0;
	FILE *f;

	for (cpu = 0; cpu < 4096; cpu++) {
		snprintf(path, sizeof(path), TRACING "/per_cpu/cpu%d/stats", cpu);
		f = fopen(path, "r");
		if (!f)
			continue;
		nr_files++;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "entries: %lu", &val) == 1 ||
			    sscanf(line, "overrun: %lu", &val) == 1)
				sum += val;
		}
		fclose(f);
	}
	TEST_ASSERT(nr_files, "no " TRACING "/per_cpu/cpu*/stats");
	return sum;
}

/* At exit, also after a failed assertion: leave no memcg, restore lock_stat. */
static void cleanup(void)
{
	char val[16];
	int fd;

	memcg_remove_created();
	if (tracing_events_on)
		set_aging_events(false);
	if (saved_lru_gen_caps >= 0) {
		if (lru_gen_set_capabilities(saved_lru_gen_caps) != (unsigned int)saved_lru_gen_caps)
			printf("Could not set %s back to 0x%x\n", LRU_GEN_ENABLED_PATH,
			       saved_lru_gen_caps);
		saved_lru_gen_caps = -1;
	}
	if (saved_lock_stat >= 0) {
		snprintf(val, sizeof(val), "%d", saved_lock_stat);
		fd = open(LOCK_STAT_SYSCTL, O_WRONLY);
		if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
			printf("Could not set %s back to %s: %s\n",
			       LOCK_STAT_SYSCTL, val, strerror(errno));
		if (fd >= 0)
			close(fd);
		saved_lock_stat = -1;
	}
}

/*
 * The column of "acquisitions" among the columns after "class name" in the
 * header of /proc/lock_stat, or -1 if @line is not the header.
 */
static int acquisitions_column(const char *line)
{
	const char *p = strstr(line, "class name");
	char buf[512], *tok, *save;
	int col = 0;

	if (!p)
		return -1;
	snprintf(buf, sizeof(buf), "%s", p + strlen("class name"));
	for (tok = strtok_r(buf, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save), col++) {
		if (!strcmp(tok, "acquisitions"))
			return col;
	}
	return -1;
}

/*
 * If @line is a statistics line of /proc/lock_stat ("NAME:" or "NAME-W:"
 * or "NAME-R:", then numbers only), cut it after NAME and return the
 * number in column @col after the colon in *@val. Contention point lines
 * ("NAME count [<ip>] symbol") and separators are not.
 */
static bool parse_stats_line(char *line, int col, unsigned long *val)
{
	char *colon = strrchr(line, ':'), *p, *end;
	int n = 0;

	if (!colon)
		return false;
	for (p = colon + 1; ; p = end, n++) {
		p += strspn(p, " \t\n");
		if (!*p)
			break;
		if (n == col)
			*val = strtoul(p, NULL, 10);
		strtod(p, &end);
		if (end == p || !strchr(" \t\n", *end))
			return false;
	}
	if (n <= col)
		return false;
	*colon = '\0';
	return true;
}

/* Sum the acquisitions of the mmu_lock class, printing what was parsed. */
static void read_mmu_lock_stat(const char *when, struct mmu_lock_stat *s)
{
	char *line = NULL, *name, copy[512];
	unsigned long acq = 0;
	size_t size = 0;
	size_t len;
	bool read;
	FILE *f;

	memset(s, 0, sizeof(*s));
	s->acq_col = -1;
	f = fopen(LOCK_STAT_PROC, "r");
	TEST_ASSERT(f, "open " LOCK_STAT_PROC);
	while (getline(&line, &size, f) > 0) {
		if (strstr(line, "lock debugging disabled"))
			s->debug_off = true;
		if (s->acq_col < 0) {
			s->acq_col = acquisitions_column(line);
			continue;
		}
		snprintf(copy, sizeof(copy), "%s", line);
		copy[strcspn(copy, "\n")] = '\0';
		if (!parse_stats_line(line, s->acq_col, &acq))
			continue;
		name = line + strspn(line, " \t");
		if (!strstr(name, MMU_LOCK_CLASS))
			continue;
		len = strlen(name);
		read = len > 2 && !strcmp(name + len - 2, "-R");
		printf("  %s: '%s'\n", when, copy + strspn(copy, " "));
		printf("  %s: class '%s', %s acquisitions (column %d after the name, from the header) = %lu\n",
		       when, name, read ? "read" : "write", s->acq_col + 1, acq);
		if (read)
			s->read += acq;
		else
			s->write += acq;
		s->nr_lines++;
	}
	free(line);
	fclose(f);
	TEST_ASSERT(s->acq_col >= 0,
		    "no header with an \"acquisitions\" column in " LOCK_STAT_PROC);
	if (!s->nr_lines)
		printf("  %s: no %s entry in %s: 0 acquisitions\n", when,
		       MMU_LOCK_CLASS, LOCK_STAT_PROC);
}

/*
 * PTE tables that map the memslots of @vm in the host: for each memslot,
 * the 2 MiB aligned ranges its host memory touches.
 */
static unsigned long memslot_pte_tables(struct kvm_vm *vm)
{
	struct userspace_mem_region *region;
	unsigned long tables = 0, start, end, n;
	int bkt;

	hash_for_each(vm->regions.slot_hash, bkt, region, slot_node) {
		start = region->region.userspace_addr;
		end = start + region->region.memory_size;
		n = (align_up(end, PTE_TABLE_SPAN) - align_down(start, PTE_TABLE_SPAN)) /
		    PTE_TABLE_SPAN;
		tables += n;
		printf("memslot %u: %llu KiB at hva 0x%lx: %lu PTE tables\n",
		       region->region.slot, region->region.memory_size >> 10, start, n);
	}
	return tables;
}

/* THPs mapped by this process (AnonHugePages of /proc/self/smaps_rollup). */
static unsigned long process_thps(void)
{
	unsigned long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	TEST_ASSERT(f, "open /proc/self/smaps_rollup");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb / (PTE_TABLE_SPAN >> 10);
}

static void help(const char *name, int status)
{
	printf("usage: %s [-v vcpus] [-b vcpu_bytes] [-p passes] [-e zero|many] [-n on|off]\n"
	       "       [-c per-page|batched] [-s backing]\n", name);
	printf(" -v: vCPUs, default 2\n");
	printf(" -b: guest memory of each vCPU, default 16M\n");
	printf(" -p: counted aging passes, default 3\n");
	printf(" -e: expected mmu_lock write acquisitions: zero, or many (at\n"
	       "     least one per %d guest pages); without -e, just report\n",
	       100 / MANY_MIN_PCT);
	printf(" -n: set (on) or clear (off) secondary-MMU aging (0x%x in %s)\n"
	       "     for the run and count KVM's aging notifier calls (events\n"
	       "     kvm_age_hva, kvm_test_age_hva): on wants some, off wants 0\n"
	       "     (and <= %d%% of the guest pages young)\n",
	       LRU_GEN_SECONDARY_MMU_WALK, LRU_GEN_ENABLED_PATH, IDLE_MAX_PCT);
	printf(" -c: count KVM's aging notifier calls and want per-page (>= 1 per\n"
	       "     guest page per pass) or batched (<= 1 per PTE table of the\n"
	       "     memslots + 1 per THP + %d, per pass)\n", CALLS_SLACK);
	backing_src_help("-s");
	exit(status);
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
	uint64_t bytes = 16 << 20;
	enum expect expect = EXPECT_NONE;
	enum calls calls_expect = CALLS_NONE;
	enum vm_mem_backing_src_type backing = VM_MEM_SRC_ANONYMOUS;
	unsigned long tables = 0, thps = 0, calls_bound = 0;
	bool count_calls;
	unsigned long guest_pages, total = 0, young = 0, other, young_guest;
	struct mmu_lock_stat before, after;
	struct lru_gen_memcg stats;
	int passes = 3, opt, p, ret = 0, secondary = -1;
	unsigned long calls = 0;
	unsigned int caps;
	double secs, aging_secs = 0;
	struct kvm_vm *vm;
	char name[64];

	while ((opt = getopt(argc, argv, "hv:b:p:e:n:c:s:")) != -1) {
		switch (opt) {
		case 'v':
			nr_vcpus = atoi_positive("Number of vCPUs", optarg);
			break;
		case 'b':
			bytes = parse_size(optarg);
			break;
		case 'p':
			passes = atoi_positive("Number of passes", optarg);
			break;
		case 'e':
			if (!strcmp(optarg, "zero"))
				expect = EXPECT_ZERO;
			else if (!strcmp(optarg, "many"))
				expect = EXPECT_MANY;
			else
				help(argv[0], 2);
			break;
		case 'n':
			if (!strcmp(optarg, "on"))
				secondary = 1;
			else if (!strcmp(optarg, "off"))
				secondary = 0;
			else
				help(argv[0], 2);
			break;
		case 'c':
			if (!strcmp(optarg, "per-page"))
				calls_expect = CALLS_PER_PAGE;
			else if (!strcmp(optarg, "batched"))
				calls_expect = CALLS_BATCHED;
			else
				help(argv[0], 2);
			break;
		case 's':
			backing = parse_backing_src_type(optarg);
			break;
		case 'h':
			help(argv[0], 0);
			break;
		default:
			help(argv[0], 2);
		}
	}
	if (optind < argc || nr_vcpus > KVM_MAX_VCPUS)
		help(argv[0], 2);
	count_calls = secondary >= 0 || calls_expect != CALLS_NONE;

	if (!lru_gen_usable()) {
		print_skip("MGLRU is not on with its mm walk (%s is 0x%x, needs 0x%x), or %s is not writable",
			   LRU_GEN_ENABLED_PATH, lru_gen_capabilities(),
			   LRU_GEN_CORE | LRU_GEN_MM_WALK, LRU_GEN_DEBUGFS);
		exit(KSFT_SKIP);
	}
	require(memcg_v2_usable(),
		"cgroup v2 with the memory controller is not mounted at " CGROUP_V2_ROOT);
	require(!access(LOCK_STAT_PROC, R_OK | W_OK) &&
		!access(LOCK_STAT_SYSCTL, R_OK | W_OK),
		LOCK_STAT_PROC " or " LOCK_STAT_SYSCTL " is missing (CONFIG_LOCK_STAT?)");

	if (count_calls)
		require(!access(aging_events[0], W_OK) && !access(aging_events[1], W_OK),
			"no kvm:kvm_age_hva or kvm:kvm_test_age_hva event in " TRACING
			" (tracefs? CONFIG_KVM's tracepoints?)");
	if (secondary >= 0) {
		caps = lru_gen_capabilities();
		if (!(caps & LRU_GEN_SECONDARY_MMU_WALK) &&
		    !(lru_gen_set_capabilities(caps | LRU_GEN_SECONDARY_MMU_WALK) &
		      LRU_GEN_SECONDARY_MMU_WALK)) {
			lru_gen_set_capabilities(caps);
			print_skip("-n: the kernel has no secondary-MMU aging capability (0x%x in %s, which reads 0x%x)",
				   LRU_GEN_SECONDARY_MMU_WALK, LRU_GEN_ENABLED_PATH, caps);
			exit(KSFT_SKIP);
		}
		saved_lru_gen_caps = caps;
	}
	atexit(cleanup);
	/* On from the start, so that the mmu_lock class has statistics. */
	saved_lock_stat = read_lock_stat_sysctl();
	write_file(LOCK_STAT_SYSCTL, "1");

	snprintf(name, sizeof(name), "aging_lockstat-%d", getpid());
	test_memcg = memcg_create(name);
	memcg_enter(test_memcg);

	vm = memstress_create_vm(VM_MODE_DEFAULT, nr_vcpus, bytes, 1,
				 backing, true);
	/* Writes: a read fault of untouched anonymous memory maps the zero page. */
	memstress_set_write_percent(vm, 100);
	guest_pages = memstress_args.size / getpagesize();
	printf("%d vCPUs x %" PRIu64 " MiB (%s): %lu guest pages, memcg %s, %d counted aging passes\n",
	       nr_vcpus, bytes >> 20, vm_mem_backing_src_alias(backing)->name, guest_pages,
	       test_memcg, passes);

	memstress_start_vcpu_threads(nr_vcpus, vcpu_fn);
	secs = run_vcpus();
	printf("vCPUs faulted in and wrote their memory in %.3f s\n", secs);

	lru_gen_read_memcg(test_memcg, &stats);
	TEST_ASSERT(lru_gen_sum_pages(&stats) >= guest_pages * YOUNG_MIN_PCT / 100,
		    "memcg %s holds %lu pages, fewer than the guest's %lu: the guest memory is not charged to it",
		    test_memcg, lru_gen_sum_pages(&stats), guest_pages);

	secs = age(&stats);
	printf("warm-up aging pass: %.3f s\n", secs);
	secs = run_vcpus();
	printf("vCPUs wrote their memory again in %.3f s (young in KVM's MMU only)\n", secs);

	read_mmu_lock_stat("before clearing", &before);
	TEST_ASSERT(before.nr_lines,
		    "no %s class in %s although lock_stat was on while the VM faulted its memory in: the parser does not match the kernel's output",
		    MMU_LOCK_CLASS, LOCK_STAT_PROC);

	if (secondary >= 0) {
		caps = lru_gen_capabilities();
		caps = secondary ? caps | LRU_GEN_SECONDARY_MMU_WALK :
				   caps & ~LRU_GEN_SECONDARY_MMU_WALK;
		TEST_ASSERT(lru_gen_set_capabilities(caps) == caps,
			    "%s does not read 0x%x after writing it", LRU_GEN_ENABLED_PATH, caps);
		printf("%s: 0x%04x (secondary-MMU aging %s)\n", LRU_GEN_ENABLED_PATH, caps,
		       secondary ? "on" : "off");
	}
	if (count_calls) {
		set_aging_events(true);
		clear_trace();
	}
	write_file(LOCK_STAT_SYSCTL, "1");
	write_file(LOCK_STAT_PROC, "0");
	for (p = 1; p <= passes; p++) {
		aging_secs += age(&stats);
		if (p == 1) {
			young = lru_gen_sum_pages_found_young(&stats);
			total = lru_gen_sum_pages(&stats);
		}
	}
	if (count_calls) {
		set_aging_events(false);
		calls = count_trace_events();
		tables = memslot_pte_tables(vm);
		thps = process_thps();
		calls_bound = (tables + thps + CALLS_SLACK) * passes;
	}
	read_mmu_lock_stat("after aging", &after);
	printf("counted aging: %d passes in %.3f s\n", passes, aging_secs);

	/*
	 * The memcg also holds pages that are not guest memory (the VM's other
	 * memslot, the threads' stacks): count them all as young, so the
	 * guest pages found young are a lower bound.
	 */
	other = total > guest_pages ? total - guest_pages : 0;
	young_guest = young > other ? young - other : 0;
	printf("\nSUMMARY: guest pages %lu; found young by the first counted pass %lu of %lu memcg pages, guest pages young >= %lu (%.1f%%); mmu_lock write acquisitions %lu, read acquisitions %lu",
	       guest_pages, young, total, young_guest,
	       young_guest * 100.0 / guest_pages, after.write, after.read);
	if (young_guest)
		printf("; write acquisitions per young page %.2f (%.2f per pass)\n",
		       (double)after.write / young_guest,
		       (double)after.write / young_guest / passes);
	else
		printf("; write acquisitions per young page n/a\n");

	if (count_calls) {
		printf("NOTIFIER CALLS: secondary-MMU aging %s: %lu kvm_age_hva + kvm_test_age_hva events in %d passes, %.2f per guest page per pass (%lu guest pages)\n",
		       lru_gen_capabilities() & LRU_GEN_SECONDARY_MMU_WALK ? "on" :
		       secondary == 0 ? "off" : "on or absent", calls, passes,
		       (double)calls / guest_pages / passes, guest_pages);
		printf("NOTIFIER CALLS: per pass %lu; per-page would be >= %lu (guest pages), batched <= %lu (%lu PTE tables of the memslots + %lu THPs + %d)\n",
		       calls / passes, guest_pages, calls_bound / passes, tables, thps,
		       CALLS_SLACK);
	}

	memstress_join_vcpu_threads(nr_vcpus);
	memstress_destroy_vm(vm);
	cleanup();

	if (after.debug_off || before.debug_off) {
		printf("RESULT: FAIL: lock debugging got disabled (see the kernel log): lock_stat counted nothing\n");
		return 1;
	}
	if (secondary == 0) {
		ret = calls != 0 || young * 100 > guest_pages * IDLE_MAX_PCT;
		printf("RESULT: %s: secondary-MMU aging off: %lu notifier calls (want 0), %lu pages found young (want <= %d%% of %lu guest pages)\n",
		       ret ? "FAIL" : "PASS", calls, young, IDLE_MAX_PCT, guest_pages);
		if (ret)
			return 1;
	} else if (young_guest * 100 < guest_pages * YOUNG_MIN_PCT) {
		printf("RESULT: FAIL: only %lu of %lu guest pages found young (want >= %d%%): aging did not see the guest accesses, so the count proves nothing\n",
		       young_guest, guest_pages, YOUNG_MIN_PCT);
		return 1;
	}
	if (secondary == 1) {
		ret = !calls;
		printf("RESULT: %s: secondary-MMU aging on: %lu notifier calls in %d passes (want some)\n",
		       ret ? "FAIL" : "PASS", calls, passes);
		if (ret)
			return 1;
	}
	switch (calls_expect) {
	case CALLS_PER_PAGE:
		ret = calls < guest_pages * passes;
		printf("RESULT: %s: %lu notifier calls in %d passes, want >= %lu (per-page: one per guest page per pass)\n",
		       ret ? "FAIL" : "PASS", calls, passes, guest_pages * passes);
		if (ret)
			return 1;
		break;
	case CALLS_BATCHED:
		ret = calls > calls_bound;
		printf("RESULT: %s: %lu notifier calls in %d passes, want <= %lu (batched: per pass %lu PTE tables + %lu THPs + %d)\n",
		       ret ? "FAIL" : "PASS", calls, passes, calls_bound, tables, thps,
		       CALLS_SLACK);
		if (ret)
			return 1;
		break;
	case CALLS_NONE:
		break;
	}
	switch (expect) {
	case EXPECT_ZERO:
		ret = after.write != 0;
		printf("RESULT: %s: %lu mmu_lock write acquisitions while aging (want 0)\n",
		       ret ? "FAIL" : "PASS", after.write);
		break;
	case EXPECT_MANY:
		ret = after.write * 100 < guest_pages * MANY_MIN_PCT;
		printf("RESULT: %s: %lu mmu_lock write acquisitions while aging (want >= %d%% of %lu guest pages)\n",
		       ret ? "FAIL" : "PASS", after.write, MANY_MIN_PCT, guest_pages);
		break;
	case EXPECT_NONE:
		break;
	}
	return ret;
}
