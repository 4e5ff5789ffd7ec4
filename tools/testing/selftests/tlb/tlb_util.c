// SPDX-License-Identifier: GPL-2.0
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tlb_util.h"

/* Stack of a test thread: enough for its small frames and the harness. */
#define THREAD_STACK	(256 << 10)

#define POLL_US		100

static __thread sigjmp_buf fault_env;
static __thread int fault_armed;

unsigned long psize(void)
{
	static unsigned long size;

	if (!size)
		size = sysconf(_SC_PAGESIZE);
	return size;
}

/*
 * Print a message the way ksft_print_msg() does, then flush it: a test
 * ends in _exit(), which drops what stdout still buffers.
 */
void tlb_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* CPUs and threads */

/*
 * CPU R, the CPU of the tests' helper thread: the one the environment
 * variable TLB_REMOTE_CPU names, or else the highest CPU other than
 * MAIN_CPU in our affinity mask; -1 if there is none. The first call must
 * come before the test pins itself to MAIN_CPU: need_test_cpus() does it.
 */
int remote_cpu(void)
{
	static int cpu = -2;
	const char *env;
	cpu_set_t set;
	char *end;
	long val;
	int c;

	if (cpu != -2)
		return cpu;
	cpu = -1;
	env = getenv("TLB_REMOTE_CPU");
	if (env && *env) {
		val = strtol(env, &end, 10);
		if (!*end && val >= 0 && val < CPU_SETSIZE && val != MAIN_CPU)
			cpu = val;
		return cpu;
	}
	if (sched_getaffinity(0, sizeof(set), &set))
		return cpu;
	for (c = CPU_SETSIZE - 1; c >= 0 && cpu < 0; c--)
		if (c != MAIN_CPU && CPU_ISSET(c, &set))
			cpu = c;
	return cpu;
}

/* Are MAIN_CPU and CPU R online and in our affinity mask? */
bool need_test_cpus(void)
{
	int remote = remote_cpu();
	cpu_set_t set;

	/* The kernel reports only active CPUs in the mask. */
	if (remote < 0 || sched_getaffinity(0, sizeof(set), &set))
		return false;
	return CPU_ISSET(MAIN_CPU, &set) && CPU_ISSET(remote, &set);
}

/*
 * Up to @max CPUs to leave lazy, besides MAIN_CPU: REMOTE_CPU first, then
 * the other CPUs of the affinity mask, highest first. Returns how many.
 */
int lazy_cpus(int *cpus, int max)
{
	int remote = remote_cpu(), n = 0, c;
	cpu_set_t set;

	if (remote < 0 || max < 1 || sched_getaffinity(0, sizeof(set), &set) ||
	    !CPU_ISSET(remote, &set))
		return 0;
	cpus[n++] = remote;
	for (c = CPU_SETSIZE - 1; c >= 0 && n < max; c--)
		if (c != MAIN_CPU && c != remote && CPU_ISSET(c, &set))
			cpus[n++] = c;
	return n;
}

int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/*
 * Create a thread that runs on @cpu only, from its first instruction. Its
 * stack is small, so that the C library keeps the stacks of many exited
 * threads for reuse: unmapping one would flush the CPUs lazy in the mm.
 */
int start_thread_on(pthread_t *thread, int cpu, void *(*fn)(void *),
		    void *arg)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int ret;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	ret = pthread_attr_init(&attr);
	if (ret)
		return -ret;
	ret = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	if (!ret)
		ret = pthread_attr_setstacksize(&attr, THREAD_STACK);
	if (!ret)
		ret = pthread_create(thread, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return -ret;
}

/* TLB shootdown IPIs */

/* Column of "CPU<cpu>" in the header line of /proc/interrupts, or -1. */
static int cpu_column(char *header, int cpu)
{
	char *tok, *pos;
	int col, nr;

	for (col = 0, tok = strtok_r(header, " \t\n", &pos); tok;
	     col++, tok = strtok_r(NULL, " \t\n", &pos))
		if (sscanf(tok, "CPU%d", &nr) == 1 && nr == cpu)
			return col;
	return -1;
}

/* Count in column @col of the "TLB:" row @line, or -1. */
static long tlb_row_count(const char *line, int col)
{
	unsigned long val;
	char *end;

	line += strspn(line, " \t");
	if (strncmp(line, "TLB:", 4))
		return -1;
	for (line += 4; ; line = end) {
		val = strtoul(line, &end, 10);
		if (end == line)
			return -1;
		if (!col--)
			return val;
	}
}

/* TLB shootdown IPIs received by @cpu so far, or -1 if not reported. */
long tlb_ipis(int cpu)
{
	char *line = NULL;
	long count = -1;
	size_t size = 0;
	int col = -1;
	FILE *f;

	f = fopen("/proc/interrupts", "r");
	if (!f)
		return -1;
	if (getline(&line, &size, f) > 0)
		col = cpu_column(line, cpu);
	while (col >= 0 && count < 0 && getline(&line, &size, f) > 0)
		count = tlb_row_count(line, col);
	free(line);
	fclose(f);
	return count;
}

#define PROBE_TRIES	10	/* table-freeing flushes the probe makes */

/* A thread that keeps its CPU running in this mm until told to stop */
struct spinner {
	int running;
	int stop;
};

static void *spin_fn(void *arg)
{
	struct spinner *sp = arg;

	__atomic_store_n(&sp->running, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&sp->stop, __ATOMIC_ACQUIRE))
		;
	return NULL;
}

/*
 * Does the TLB row of @cpu count the flushes sent to it? A thread keeps
 * @cpu running in this mm while the caller maps and unmaps a page that is
 * the only mapping in its PMD range: the unmap frees a PTE table, and the
 * flush must reach @cpu. Native x86 sends it an IPI, counted on its TLB
 * row; a paravirt flush (Hyper-V, Xen PV) goes through the hypervisor and
 * is never counted there. Returns NULL if the row moved, or why the tests
 * cannot count IPIs. Call it from a thread pinned to another CPU.
 *
 * Even where the row moves, KVM's paravirt flush skips a vCPU that the
 * host has preempted (it flushes when that vCPU runs again): on an
 * overcommitted KVM host a test can rarely see a lazy CPU miss a flush
 * that the kernel did ask for.
 */
const char *ipis_not_counted(int cpu)
{
	struct spinner sp = { 0 };
	long before, after = -1;
	pthread_t thread;
	int i, ret;
	char *p;

	before = tlb_ipis(cpu);
	if (before < 0)
		return "no TLB row in /proc/interrupts: IPIs not counted";
	ret = start_thread_on(&thread, cpu, spin_fn, &sp);
	if (ret)
		return "cannot start a thread for the TLB IPI probe";
	while (!__atomic_load_n(&sp.running, __ATOMIC_ACQUIRE))
		usleep(POLL_US);
	before = tlb_ipis(cpu);
	for (i = 0; i < PROBE_TRIES && after <= before; i++) {
		p = pmd_aligned_hole();
		if (p)
			p = mmap(p, psize(), PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS |
				 MAP_FIXED_NOREPLACE, -1, 0);
		if (p && p != MAP_FAILED) {
			__atomic_store_n(p, 1, __ATOMIC_RELAXED);
			munmap(p, psize());
		}
		after = tlb_ipis(cpu);
	}
	__atomic_store_n(&sp.stop, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	if (after > before)
		return NULL;
	return "remote flushes not counted on the TLB row of /proc/interrupts (paravirt?)";
}

/* Fault-tolerant accesses */

static void fault_handler(int sig)
{
	if (__atomic_load_n(&fault_armed, __ATOMIC_RELAXED)) {
		__atomic_store_n(&fault_armed, 0, __ATOMIC_RELAXED);
		siglongjmp(fault_env, 1);
	}
	/* Not ours: die from it once the handler returns. */
	signal(sig, SIG_DFL);
	raise(sig);
}

int install_fault_handler(void)
{
	struct sigaction sa = { .sa_handler = fault_handler };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
		return -errno;
	return 0;
}

/*
 * The signal fences keep the compiler from moving the access out of the
 * window in which the handler is armed.
 */
static void fault_arm(void)
{
	__atomic_store_n(&fault_armed, 1, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static void fault_disarm(void)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&fault_armed, 0, __ATOMIC_RELAXED);
}

/* Read *@p into *@val; false if the access faulted. */
bool try_read(unsigned long *p, unsigned long *val)
{
	unsigned long v;

	if (sigsetjmp(fault_env, 1))
		return false;
	fault_arm();
	v = __atomic_load_n(p, __ATOMIC_RELAXED);
	fault_disarm();
	*val = v;
	return true;
}

/* Write @val to *@p; false if the access faulted. */
bool try_write(unsigned long *p, unsigned long val)
{
	if (sigsetjmp(fault_env, 1))
		return false;
	fault_arm();
	__atomic_store_n(p, val, __ATOMIC_RELAXED);
	fault_disarm();
	return true;
}

/* Waiting, bounded by the test's timeout only */

/* Poll until *@count >= @n. */
static int wait_count(unsigned long *count, unsigned long n)
{
	while (__atomic_load_n(count, __ATOMIC_ACQUIRE) < n)
		usleep(POLL_US);
	return 0;
}

/*
 * Read the stat file @path of a task into @buf and return its fields from
 * the third, the state, on; or NULL.
 */
static char *stat_fields(const char *path, char *buf, size_t size)
{
	char *p;
	FILE *f;
	size_t n;

	f = fopen(path, "r");
	if (!f)
		return NULL;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "tid (comm) S ...": comm may hold spaces and parentheses. */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p + 2 : NULL;
}

/* Scheduler state letter of thread @tid of this process, or 0. */
static char task_state(pid_t tid)
{
	char path[64], buf[512], *fields;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fields = stat_fields(path, buf, sizeof(buf));
	return fields ? fields[0] : 0;
}

/* voluntary_ctxt_switches of thread @tid of this process, or -1. */
static long task_nvcsw(pid_t tid)
{
	char path[64], *line = NULL;
	size_t size = 0;
	long nvcsw = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (nvcsw < 0 && getline(&line, &size, f) > 0)
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &nvcsw) != 1)
			nvcsw = -1;
	free(line);
	fclose(f);
	return nvcsw;
}

/* Voluntary context switches of the calling thread so far. */
long thread_nvcsw(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return -1;
	return ru.ru_nvcsw;
}

/*
 * Wait until thread @tid, which had made @nvcsw voluntary context switches
 * when it announced it was about to block, sleeps in a switch made since,
 * then give its CPU time to go idle.
 */
int wait_task_asleep(pid_t tid, long nvcsw)
{
	char state;

	for (;;) {
		state = task_state(tid);
		if (!state)
			return -ENOENT;
		if ((state == 'S' || state == 'D') && task_nvcsw(tid) > nvcsw)
			break;
		usleep(POLL_US);
	}
	usleep(SETTLE_US);
	return 0;
}

/* Did a lazy CPU stay lazy? */

#define PF_KTHREAD	0x00200000	/* per-task flag of kernel threads */

/* Field @n (3: the state) of the task stat @fields from stat_fields(). */
static char *stat_field(char *fields, int n)
{
	for (; fields && n > 3; n--) {
		fields = strchr(fields, ' ');
		if (fields)
			fields++;
	}
	return fields;
}

/* Is @cpu in the CPU list @list, e.g. "0-2,5"? */
static bool cpu_in_list(const char *list, int cpu)
{
	int first, last, len;

	while (sscanf(list, "%d%n", &first, &len) == 1) {
		list += len;
		last = first;
		if (*list == '-' && sscanf(list + 1, "%d%n", &last, &len) == 1)
			list += len + 1;
		if (cpu >= first && cpu <= last)
			return true;
		if (*list++ != ',')
			break;
	}
	return false;
}

/*
 * Context switches of the task of /proc directory @dir, if it is a user
 * task that may run on @cpu; 0 if it is not; -1 if it is running or
 * runnable on @cpu now.
 */
static long long task_user_switches(const char *dir, int cpu)
{
	char path[620], buf[1024], *fields, *line = NULL;
	long long count = 0, val;
	bool allowed = false;
	unsigned long flags;
	size_t size = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/stat", dir);
	fields = stat_fields(path, buf, sizeof(buf));
	if (!fields || sscanf(stat_field(fields, 9) ?: "", "%lu", &flags) != 1 ||
	    flags & PF_KTHREAD)
		return 0;	/* gone, or a kernel thread: it keeps lazy mms */
	if (fields[0] == 'R' && atoi(stat_field(fields, 39) ?: "-1") == cpu)
		return -1;
	snprintf(path, sizeof(path), "%s/status", dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (getline(&line, &size, f) > 0) {
		if (!strncmp(line, "Cpus_allowed_list:", 18))
			allowed = cpu_in_list(line + 18 + strspn(line + 18, " \t"),
					      cpu);
		else if (sscanf(line, "voluntary_ctxt_switches: %lld", &val) == 1 ||
			 sscanf(line, "nonvoluntary_ctxt_switches: %lld", &val) == 1)
			count += val;
	}
	free(line);
	fclose(f);
	return allowed ? count : 0;
}

/*
 * Context switches so far of the user tasks other than thread @self that
 * may run on @cpu, or -1 if one of them is running or runnable on @cpu.
 * While the sum stays the same and no such task runs, @cpu runs only the
 * idle task and kernel threads, which do not switch mms: a CPU lazy in an
 * mm stays so. Tasks that cannot run on @cpu, as the tests' main threads,
 * do not count.
 */
long long user_switches(int cpu, pid_t self)
{
	struct dirent *proc, *task;
	long long sum = 0, n;
	DIR *procs, *tasks;
	char dir[600];

	procs = opendir("/proc");
	if (!procs)
		return -1;
	while (sum >= 0 && (proc = readdir(procs))) {
		if (!isdigit(proc->d_name[0]))
			continue;
		snprintf(dir, sizeof(dir), "/proc/%s/task", proc->d_name);
		tasks = opendir(dir);
		if (!tasks)
			continue;	/* it has exited */
		while (sum >= 0 && (task = readdir(tasks))) {
			if (!isdigit(task->d_name[0]) ||
			    atoi(task->d_name) == self)
				continue;
			snprintf(dir, sizeof(dir), "/proc/%s/task/%s",
				 proc->d_name, task->d_name);
			n = task_user_switches(dir, cpu);
			sum = n < 0 ? -1 : sum + n;
		}
		closedir(tasks);
	}
	closedir(procs);
	return sum;
}

/*
 * Arm @w for @cpu: called on @cpu by the thread that ran in the mm, last
 * thing before it blocks or exits.
 */
void lazy_watch_arm(struct lazy_watch *w, int cpu)
{
	w->cpu = cpu;
	w->self = gettid();
	w->armed = tlb_ipis(cpu);
	w->users = user_switches(cpu, w->self);
}

/* Just before the flush that must reach the lazy CPU, or not. */
void lazy_watch_before(struct lazy_watch *w)
{
	w->before = tlb_ipis(w->cpu);
}

/* Just after the flush. */
void lazy_watch_after(struct lazy_watch *w)
{
	w->after = tlb_ipis(w->cpu);
}

/*
 * Did the CPU of @w stay lazy in the mm from when the watch was armed to
 * now, after the flush, and did the flush send it a TLB shootdown? Call
 * before the thread that was on the CPU runs again.
 */
enum lazy_verdict lazy_watch_verdict(const struct lazy_watch *w)
{
	long long users;

	if (w->armed < 0 || w->before != w->armed)
		return LAZY_SHOT;
	users = user_switches(w->cpu, w->self);
	if (w->users < 0 || users != w->users)
		return LAZY_SWITCHED;
	return w->after > w->before ? LAZY_IPI : LAZY_NO_IPI;
}

enum lazy_verdict lazy_tally_add(struct lazy_tally *t,
				 const struct lazy_watch *w)
{
	enum lazy_verdict v = lazy_watch_verdict(w);

	if (v == LAZY_SHOT || v == LAZY_SWITCHED) {
		if (v == LAZY_SHOT)
			tlb_msg("CPU %d got %ld TLB shootdowns before the flush: round run again\n",
				w->cpu, w->before - w->armed);
		else
			tlb_msg("other user tasks ran on CPU %d: round run again\n",
				w->cpu);
		t->disturbed++;
		t->shot += v == LAZY_SHOT;
		return v;
	}
	t->rounds++;
	t->ipis += v == LAZY_IPI;
	return v;
}

void lazy_tally_report(const struct lazy_tally *t, const char *what)
{
	tlb_msg("%s: CPU %d stayed lazy in %u rounds and got a TLB shootdown in %u\n",
		what, REMOTE_CPU, t->rounds, t->ipis);
	tlb_msg("%s: %u rounds run again: CPU %d got other shootdowns in %u, user tasks in %u\n",
		what, t->disturbed, REMOTE_CPU, t->shot, t->disturbed - t->shot);
}

/* Child processes */

/*
 * Reap child @pid.  NULL if it exited CHILD_OK; otherwise why not, with
 * @bad_data for CHILD_BAD_DATA.
 */
const char *child_failure(pid_t pid, const char *bad_data)
{
	static char why[64];
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return "waitpid() failed";
	if (WIFSIGNALED(status)) {
		snprintf(why, sizeof(why), "child died of signal %d",
			 WTERMSIG(status));
		return why;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) == CHILD_ERROR)
		return "child failed";
	if (WEXITSTATUS(status) == CHILD_BAD_DATA)
		return bad_data;
	return WEXITSTATUS(status) == CHILD_OK ? NULL : "child failed";
}

#ifndef PR_FUTEX_HASH		/* Linux 6.16; old C headers lack it */
#define PR_FUTEX_HASH			78
#define PR_FUTEX_HASH_SET_SLOTS		1
#endif

/*
 * Keep the futex hash of the calling process, still single-threaded, from
 * growing as it adds threads.  Growing a private futex hash takes a hold
 * on the mm that is dropped only after RCU grace periods, from a workqueue
 * (futex_ref_drop(), mmput_async()): until then, the process's exit is not
 * the last user of the mm.  With the global hash (0 slots), it never
 * grows.  Kernels without private futex hashes have nothing to keep.
 * Returns 0, or -1.
 */
int keep_futex_hash(void)
{
	if (prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_SET_SLOTS, 0, 0, 0) &&
	    errno != EINVAL)
		return -1;
	return 0;
}

/* Polls of wait_threads_gone(), POLL_US apart: at least 10 s */
#define GONE_POLLS	100000

/*
 * Wait until the calling process has no thread but the caller.
 * pthread_join() returns once an exiting thread has released the mm
 * (mm_release()), before it drops its hold on it (mmput(), both in
 * exit_mm()).  Until it has, the process's exit is not the last user of
 * the mm, and exit_mmap() runs later, from the thread, on its CPU.
 * Returns 0, or -1 if the threads are not gone in time.
 */
int wait_threads_gone(void)
{
	unsigned int i;
	char line[128];
	int threads;
	FILE *f;

	for (i = 0; i < GONE_POLLS; i++) {
		f = fopen("/proc/self/status", "r");
		if (!f)
			return -1;
		threads = 0;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "Threads: %d", &threads) == 1)
				break;
		fclose(f);
		if (threads == 1)
			return 0;
		usleep(POLL_US);
	}
	return -1;
}

/* Memory */

/*
 * A free address aligned to @align, a power of two, with @align free bytes
 * behind it: a mapping of up to @align bytes placed there is the only one
 * in its aligned range of @align bytes.
 */
void *aligned_hole(unsigned long align)
{
	unsigned long addr;
	void *p;

	p = mmap(NULL, 2 * align, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	munmap(p, 2 * align);
	addr = ((unsigned long)p + align - 1) & ~(align - 1);
	return (void *)addr;
}

/*
 * A free, PMD-aligned address with a whole free PMD range behind it: a
 * mapping placed there is the only one using its page table.
 */
void *pmd_aligned_hole(void)
{
	return aligned_hole(PMD_SPAN);
}

void fill_pages(char *base, unsigned int pages, long round)
{
	unsigned long page;
	int word;

	for (page = 0; page < pages; page++)
		for (word = 0; word < PAGE_WORDS; word++)
			*page_word(base, page, word) = pattern(round, page);
}

/*
 * Count the pages of @base not holding expected(@want); those holding
 * expected(@old) instead are counted in @res->old too.
 */
void check_pages(char *base, unsigned int pages, long want, long old,
		 struct page_check *res)
{
	unsigned long page, val;
	bool bad, stale;
	int word;

	res->bad = 0;
	res->old = 0;
	for (page = 0; page < pages; page++) {
		bad = false;
		stale = false;
		for (word = 0; word < PAGE_WORDS; word++) {
			val = *page_word(base, page, word);
			if (val == expected(want, page))
				continue;
			bad = true;
			stale |= val == expected(old, page);
		}
		res->bad += bad;
		res->old += stale;
	}
}

/* Racer */

static void *racer_fn(void *arg)
{
	struct racer *r = arg;
	bool after;

	do {
		after = __atomic_load_n(&r->published, __ATOMIC_ACQUIRE);
		r->pass(r->arg, after);
		__atomic_fetch_add(&r->passes, 1, __ATOMIC_RELEASE);
	} while (!after);
	return NULL;
}

int racer_start(struct racer *r)
{
	r->passes = 0;
	r->published = 0;
	return start_thread_on(&r->thread, r->cpu, racer_fn, r);
}

/* Wait until the racer has completed @passes passes. */
int racer_wait(struct racer *r, unsigned long passes)
{
	return wait_count(&r->passes, passes);
}

void racer_publish(struct racer *r)
{
	__atomic_store_n(&r->published, 1, __ATOMIC_RELEASE);
}

int racer_join(struct racer *r)
{
	return -pthread_join(r->thread, NULL);
}

/* Sleeper */

static void *sleeper_fn(void *arg)
{
	struct sleeper *s = arg;
	char c;

	check_pages(s->base, s->pages, s->round, s->round, &s->prime);
	s->tid = gettid();
	lazy_watch_arm(&s->watch, s->cpu);
	/*
	 * Last, as arming reads /proc and may block: wait_task_asleep() must
	 * see a switch made after this, in the read() below.
	 */
	s->nvcsw = thread_nvcsw();
	__atomic_store_n(&s->primed, 1, __ATOMIC_RELEASE);
	/* Block: with nothing else to run, this CPU goes lazy in our mm. */
	while (read(s->pipe[0], &c, 1) < 0 && errno == EINTR)
		continue;
	check_pages(s->base, s->pages, s->want, s->round, &s->woken);
	return NULL;
}

int sleeper_start(struct sleeper *s)
{
	int ret;

	s->primed = 0;
	if (pipe(s->pipe))
		return -errno;
	ret = start_thread_on(&s->thread, s->cpu, sleeper_fn, s);
	if (ret) {
		close(s->pipe[0]);
		close(s->pipe[1]);
		return ret;
	}
	ret = wait_count(&s->primed, 1);
	if (!ret)
		ret = wait_task_asleep(s->tid, s->nvcsw);
	if (ret)
		sleeper_wake(s);
	return ret;
}

/* Wake the sleeper, which checks the pages again, and wait for it. */
int sleeper_wake(struct sleeper *s)
{
	char c = 0;
	int ret = 0;

	if (write(s->pipe[1], &c, 1) != 1)
		ret = -errno;
	/* Should the write fail, end of file wakes the thread anyway. */
	close(s->pipe[1]);
	if (pthread_join(s->thread, NULL) && !ret)
		ret = -ESRCH;
	close(s->pipe[0]);
	return ret;
}
