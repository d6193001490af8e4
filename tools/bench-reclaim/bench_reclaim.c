// SPDX-License-Identifier: GPL-2.0
/*
 * bench_reclaim: does reclaim pick the right pages when a VM and a host
 * process share a memcg that is too small for both? The reclaim-quality
 * experiment of make bench (scripts/bench): the ChromeOS symptom, where a
 * VM's memory looked younger than it was because aging never cleared the
 * Accessed bits of KVM's SPTEs, and the host's working set was reclaimed.
 *
 * In a memcg of its own, the tool (the VM process: memstress, one vCPU,
 * -b bytes of anonymous guest memory) and a child process (the host
 * process, forked before the VM exists, -H bytes of anonymous memory)
 * each write all their memory once. Then, with -d vm-cold (the default),
 * the guest stays idle (its memory cold, but young in KVM's MMU since its
 * writes) while the host process writes one byte per page of its memory
 * round and round, one round every -s seconds (hot, but paced: between two
 * touches of a page an aging pass can find it old, as a real working set
 * that is not a tight loop; -s 0 runs flat out); with -d vm-hot it is the other way round: the
 * vCPU writes its memory round and round, the host process sleeps. After
 * -W seconds of warm-up, in which -a aging passes run through
 * /sys/kernel/debug/lru_gen (the system aged before pressure came), the
 * window starts: memory.max of the memcg drops to -l bytes (below the
 * demand, -b + -H) and reclaim to the memcg's zram swap begins, by the
 * memory.max write and then by the faults of the hot side. After -w
 * seconds the tool prints one line:
 *
 *   RECLAIM dir=vm-cold caps=0x000f window_s=20.0 hot_majflt=... ...
 *
 * hot_majflt: major faults of the hot side (the host process, or the
 * VM process for vm-hot) in the window, from getrusage(): every swap-in
 * from zram that the hot side waited for. It is the refault count of the
 * hot side alone: the memcg-wide counters (memory.stat's
 * workingset_refault_anon, pgmajfault; /proc/vmstat's pswpin) mix both
 * processes, and workingset_refault_anon counts only refaults whose
 * shadow entry says they were evicted recently; they are printed too.
 * KVM's faults on swapped-out guest memory go through get_user_pages and
 * count as major faults of the vCPU thread. hot_touch_per_s: pages the
 * hot side wrote per second in the window (its throughput; for a paced
 * host process at most its pace, less when it waits for swap-ins).
 * vm_swap_mib, vm_rss_mib, host_swap_mib, host_rss_mib: VmSwap and
 * RssAnon of each process at the end of the window (how much of the VM's
 * memory was reclaimed).
 *
 * -n on|off sets or clears LRU_GEN_SECONDARY_MMU_WALK (0x0008 of
 * /sys/kernel/mm/lru_gen/enabled) for the run, restored at exit; a kernel
 * without the bit makes -n a skip.
 *
 * Exit status: 0 when the run completed; 2 on a usage error; 4
 * (KSFT_SKIP) without MGLRU, cgroup v2's memory controller, swap, or the
 * capability bit for -n; 254 when a step fails (a library assertion).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "lru_gen_util.h"
#include "memstress.h"
#include "processor.h"
#include "test_util.h"

static const char *test_memcg;
static int saved_caps = -1;
static pid_t child = -1;
/* vm-hot: the vCPU writes its memory round and round while this is set. */
static bool vcpu_loop;
static int vcpu_go;
static unsigned long vcpu_passes;

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* The vCPU thread: one pass per vcpu_go change, or passes while vcpu_loop. */
static void vcpu_fn(struct memstress_vcpu_args *vcpu_args)
{
	int cur = 0;

	while (!READ_ONCE(memstress_args.stop_vcpus)) {
		if (READ_ONCE(vcpu_go) == cur && !READ_ONCE(vcpu_loop)) {
			usleep(1000);
			continue;
		}
		cur = READ_ONCE(vcpu_go);
		vcpu_run(vcpu_args->vcpu);
		TEST_ASSERT_EQ(get_ucall(vcpu_args->vcpu, NULL), UCALL_SYNC);
		WRITE_ONCE(vcpu_passes, vcpu_passes + 1);
	}
}

/* A "KEY value" field of a file like memory.stat or /proc/vmstat; -1: none. */
static long long stat_field(const char *path, const char *key)
{
	char line[256], k[128];
	long long v;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld", k, &v) == 2 && !strcmp(k, key)) {
			fclose(f);
			return v;
		}
	}
	fclose(f);
	return -1;
}

/* A "Key:   N kB" field of /proc/PID/status, in MiB. */
static double status_mib(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t len = strlen(key);
	double kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	TEST_ASSERT(f, "open %s", path);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, len) && line[len] == ':')
			kb = strtod(line + len + 1, NULL);
	}
	fclose(f);
	return kb / 1024;
}

static void memcg_write(const char *file, const char *val)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), CGROUP_V2_ROOT "%s/%s", test_memcg, file);
	fd = open(path, O_WRONLY);
	TEST_ASSERT(fd >= 0, "open %s", path);
	TEST_ASSERT(write(fd, val, strlen(val)) == (ssize_t)strlen(val),
		    "write '%s' to %s: %s", val, path, strerror(errno));
	close(fd);
}

static void cleanup(void)
{
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
	memcg_remove_created();
	if (saved_caps >= 0) {
		if (lru_gen_set_capabilities(saved_caps) != (unsigned int)saved_caps)
			printf("Could not set %s back to 0x%x\n", LRU_GEN_ENABLED_PATH, saved_caps);
		saved_caps = -1;
	}
}

/*
 * The host process. Commands on @cmd: 'a' write all memory once (answer
 * "ok"); 't' write it round and round from now on; 'm' (while touching)
 * mark the start of the window; 'q' answer the window's numbers, exit.
 */
static void host_process(int cmd, int res, uint64_t bytes, double sweep_s)
{
	unsigned long touches = 0, mark_touches = 0, i, n = bytes / getpagesize();
	long mark_maj = 0, mark_min = 0;
	double mark_t = 0;
	bool touching = false;
	double t_sweep = 0, pace;
	struct rusage ru;
	char c, *mem = NULL;
	size_t ps = getpagesize();

	for (;;) {
		if (touching) {
			fcntl(cmd, F_SETFL, O_NONBLOCK);
			for (i = 0; ; i = (i + 1) % n) {
				if (!i)
					t_sweep = now_s();
				mem[i * ps]++;
				touches++;
				if (i % 256)
					continue;
				if (read(cmd, &c, 1) == 1)
					break;
				/* Paced: page i is due i / n into the sweep. */
				pace = t_sweep + sweep_s * (i + 1) / n - now_s();
				if (pace > 0)
					usleep(pace * 1e6);
			}
		} else if (read(cmd, &c, 1) != 1) {
			_exit(1);
		}
		switch (c) {
		case 'a':
			mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (mem == MAP_FAILED)
				_exit(1);
			for (i = 0; i < n; i++)
				mem[i * ps] = 1;
			dprintf(res, "ok\n");
			break;
		case 't':
			touching = true;
			break;
		case 'm':
			getrusage(RUSAGE_SELF, &ru);
			mark_maj = ru.ru_majflt;
			mark_min = ru.ru_minflt;
			mark_touches = touches;
			mark_t = now_s();
			break;
		case 'q':
			getrusage(RUSAGE_SELF, &ru);
			dprintf(res, "%ld %ld %lu %.3f\n", ru.ru_majflt - mark_maj,
				ru.ru_minflt - mark_min, touches - mark_touches,
				now_s() - mark_t);
			_exit(0);
		}
	}
}

static void help(const char *name, int status)
{
	printf("usage: %s [-d vm-cold|vm-hot] [-b vm_bytes] [-H host_bytes] [-l memory_max]\n"
	       "          [-W warmup_s] [-w window_s] [-a aging_passes] [-s sweep_s] [-n on|off]\n", name);
	printf(" -d: vm-cold (default): idle VM, hot host process; vm-hot: the reverse\n");
	printf(" -b: guest memory, default 128M\n");
	printf(" -H: host process memory, default 64M\n");
	printf(" -l: memory.max in the window, default (b + H) * 3 / 4\n");
	printf(" -W: warm-up seconds, default 5; -w: window seconds, default 20\n");
	printf(" -a: aging passes in the warm-up, default 2\n");
	printf(" -s: seconds the host process takes for one round of its memory\n"
	       "     (vm-cold; paced, default 1; 0: as fast as it can)\n");
	printf(" -n: set (on) or clear (off) secondary-MMU aging (0x%x) for the run\n",
	       LRU_GEN_SECONDARY_MMU_WALK);
	exit(status);
}

int main(int argc, char *argv[])
{
	uint64_t vm_bytes = 128 << 20, host_bytes = 64 << 20, limit = 0;
	double warmup = 5, window = 20, sweep = 1, t0, t_max, t_end;
	int aging = 2, secondary = -1, opt, cmd[2], res[2], i;
	long long refault0, refault1, majcg0, majcg1;
	unsigned long passes0, passes1, pages;
	long hot_maj, hot_min, vm_maj0;
	unsigned long touches;
	bool vm_hot = false;
	struct lru_gen_memcg stats;
	struct rusage ru;
	double secs, vm_swap, vm_rss, host_swap, host_rss, hot_rate;
	char name[64], buf[128], path[256];
	struct kvm_vm *vm;
	unsigned int caps;
	FILE *resf;

	while ((opt = getopt(argc, argv, "hd:b:H:l:W:w:a:n:s:")) != -1) {
		switch (opt) {
		case 'd':
			if (!strcmp(optarg, "vm-hot"))
				vm_hot = true;
			else if (strcmp(optarg, "vm-cold"))
				help(argv[0], 2);
			break;
		case 'b':
			vm_bytes = parse_size(optarg);
			break;
		case 'H':
			host_bytes = parse_size(optarg);
			break;
		case 'l':
			limit = parse_size(optarg);
			break;
		case 'W':
			warmup = atof(optarg);
			break;
		case 'w':
			window = atof(optarg);
			break;
		case 's':
			sweep = atof(optarg);
			break;
		case 'a':
			aging = atoi(optarg);
			break;
		case 'n':
			if (!strcmp(optarg, "on"))
				secondary = 1;
			else if (!strcmp(optarg, "off"))
				secondary = 0;
			else
				help(argv[0], 2);
			break;
		case 'h':
			help(argv[0], 0);
			break;
		default:
			help(argv[0], 2);
		}
	}
	if (optind < argc || window <= 0 || warmup < 0 || aging < 0)
		help(argv[0], 2);
	if (!limit)
		limit = (vm_bytes + host_bytes) / 4 * 3;

	if (!lru_gen_usable()) {
		print_skip("MGLRU is not on with its mm walk, or %s is not writable", LRU_GEN_DEBUGFS);
		exit(KSFT_SKIP);
	}
	if (!memcg_v2_usable()) {
		print_skip("cgroup v2 with the memory controller is not mounted at " CGROUP_V2_ROOT);
		exit(KSFT_SKIP);
	}
	if (stat_field("/proc/meminfo", "SwapTotal:") <= 0) {
		print_skip("no swap (the rig's guest has a zram swap)");
		exit(KSFT_SKIP);
	}
	atexit(cleanup);
	caps = lru_gen_capabilities();
	if (secondary >= 0) {
		unsigned int want = secondary ? caps | LRU_GEN_SECONDARY_MMU_WALK :
						caps & ~LRU_GEN_SECONDARY_MMU_WALK;

		if (!(lru_gen_set_capabilities(caps | LRU_GEN_SECONDARY_MMU_WALK) &
		      LRU_GEN_SECONDARY_MMU_WALK)) {
			lru_gen_set_capabilities(caps);
			print_skip("-n: the kernel has no secondary-MMU aging capability (0x%x in %s)",
				   LRU_GEN_SECONDARY_MMU_WALK, LRU_GEN_ENABLED_PATH);
			exit(KSFT_SKIP);
		}
		saved_caps = caps;
		TEST_ASSERT(lru_gen_set_capabilities(want) == want, "set %s to 0x%x",
			    LRU_GEN_ENABLED_PATH, want);
		caps = want;
	}

	snprintf(name, sizeof(name), "bench_reclaim-%d", getpid());
	test_memcg = memcg_create(name);
	memcg_enter(test_memcg);

	/* The host process: forked before the VM exists, it shares none of it. */
	TEST_ASSERT(!pipe(cmd) && !pipe(res), "pipe");
	child = fork();
	TEST_ASSERT(child >= 0, "fork");
	if (!child) {
		close(cmd[1]);
		close(res[0]);
		host_process(cmd[0], res[1], host_bytes, sweep);
	}
	close(cmd[0]);
	close(res[1]);
	resf = fdopen(res[0], "r");

	t0 = now_s();
	vm = memstress_create_vm(VM_MODE_DEFAULT, 1, vm_bytes, 1, VM_MEM_SRC_ANONYMOUS, true);
	memstress_set_write_percent(vm, 100);
	memstress_start_vcpu_threads(1, vcpu_fn);
	WRITE_ONCE(vcpu_go, 1);
	while (READ_ONCE(vcpu_passes) < 1)
		usleep(1000);
	TEST_ASSERT(write(cmd[1], "a", 1) == 1, "write to the host process");
	TEST_ASSERT(fgets(buf, sizeof(buf), resf) && !strcmp(buf, "ok\n"),
		    "the host process did not write its memory");
	pages = vm_bytes / getpagesize();
	printf("%s: VM %lu MiB and host process %lu MiB written in %.3f s; memcg %s, %s 0x%04x\n",
	       vm_hot ? "vm-hot" : "vm-cold", (unsigned long)(vm_bytes >> 20),
	       (unsigned long)(host_bytes >> 20), now_s() - t0, test_memcg,
	       LRU_GEN_ENABLED_PATH, caps);

	/* Warm-up: the hot side runs, aging passes run, no pressure yet. */
	if (vm_hot)
		WRITE_ONCE(vcpu_loop, true);
	else
		TEST_ASSERT(write(cmd[1], "t", 1) == 1, "write to the host process");
	t0 = now_s();
	lru_gen_read_memcg(test_memcg, &stats);
	for (i = 0; i < aging; i++) {
		usleep(warmup * 1e6 / (aging + 1));
		lru_gen_age(test_memcg, &stats);
	}
	while (now_s() - t0 < warmup)
		usleep(10000);

	/* The window. */
	snprintf(path, sizeof(path), CGROUP_V2_ROOT "%s/memory.stat", test_memcg);
	refault0 = stat_field(path, "workingset_refault_anon");
	majcg0 = stat_field(path, "pgmajfault");
	getrusage(RUSAGE_SELF, &ru);
	vm_maj0 = ru.ru_majflt;
	passes0 = READ_ONCE(vcpu_passes);
	if (!vm_hot)
		TEST_ASSERT(write(cmd[1], "m", 1) == 1, "write to the host process");
	t0 = now_s();
	snprintf(buf, sizeof(buf), "%" PRIu64, limit);
	memcg_write("memory.max", buf);
	t_max = now_s() - t0;
	while (now_s() - t0 < window)
		usleep(10000);

	passes1 = READ_ONCE(vcpu_passes);
	getrusage(RUSAGE_SELF, &ru);
	t_end = now_s() - t0;
	vm_swap = status_mib(getpid(), "VmSwap");
	vm_rss = status_mib(getpid(), "RssAnon");
	host_swap = status_mib(child, "VmSwap");
	host_rss = status_mib(child, "RssAnon");
	refault1 = stat_field(path, "workingset_refault_anon");
	majcg1 = stat_field(path, "pgmajfault");
	if (vm_hot) {
		/* The host process only sleeps: let it go. */
		TEST_ASSERT(write(cmd[1], "q", 1) == 1, "write to the host process");
		TEST_ASSERT(fgets(buf, sizeof(buf), resf), "no answer from the host process");
		waitpid(child, NULL, 0);
		child = -1;
		hot_maj = ru.ru_majflt - vm_maj0;
		hot_min = 0;
		secs = t_end;
		touches = (passes1 - passes0) * pages;
	} else {
		TEST_ASSERT(write(cmd[1], "q", 1) == 1, "write to the host process");
		TEST_ASSERT(fgets(buf, sizeof(buf), resf) &&
			    sscanf(buf, "%ld %ld %lu %lf", &hot_maj, &hot_min, &touches, &secs) == 4,
			    "no numbers from the host process");
		waitpid(child, NULL, 0);
		child = -1;
	}
	hot_rate = secs > 0 ? touches / secs : 0;
	WRITE_ONCE(vcpu_loop, false);

	printf("memory.max %lu MiB written in %.3f s (its reclaim); window %.1f s\n",
	       (unsigned long)(limit >> 20), t_max, t_end);
	printf("RECLAIM dir=%s caps=0x%04x vm_mib=%lu host_mib=%lu limit_mib=%lu sweep_s=%.1f window_s=%.1f "
	       "hot_majflt=%ld hot_touch_per_s=%.0f vm_swap_mib=%.1f vm_rss_mib=%.1f "
	       "host_swap_mib=%.1f host_rss_mib=%.1f memcg_refault_anon=%lld memcg_pgmajfault=%lld "
	       "max_write_s=%.3f\n",
	       vm_hot ? "vm-hot" : "vm-cold", caps, (unsigned long)(vm_bytes >> 20),
	       (unsigned long)(host_bytes >> 20), (unsigned long)(limit >> 20), sweep, t_end,
	       hot_maj, hot_rate, vm_swap, vm_rss, host_swap, host_rss,
	       refault1 - refault0, majcg1 - majcg0, t_max);
	fflush(stdout);

	memstress_join_vcpu_threads(1);
	memstress_destroy_vm(vm);
	return 0;
}
