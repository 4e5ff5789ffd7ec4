// SPDX-License-Identifier: GPL-2.0
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tlb_util.h"

#define WAIT_TIMEOUT_S	5
#define POLL_US		100
#define PMD_SPAN	(2UL << 20)

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

/* Are CPUs 0 .. @n - 1 online and in our affinity mask? */
bool need_cpus(int n)
{
	cpu_set_t set;
	int cpu;

	/* The kernel reports only active CPUs in the mask. */
	if (sched_getaffinity(0, sizeof(set), &set))
		return false;
	for (cpu = 0; cpu < n; cpu++)
		if (!CPU_ISSET(cpu, &set))
			return false;
	return true;
}

int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* Create a thread that runs on @cpu only, from its first instruction. */
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

/* Waiting */

static void deadline_set(struct timespec *deadline)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += WAIT_TIMEOUT_S;
}

static bool deadline_passed(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec &&
		now.tv_nsec > deadline->tv_nsec);
}

/* Poll until *@count >= @n; -ETIMEDOUT after WAIT_TIMEOUT_S. */
static int wait_count(unsigned long *count, unsigned long n)
{
	struct timespec deadline;

	deadline_set(&deadline);
	while (__atomic_load_n(count, __ATOMIC_ACQUIRE) < n) {
		if (deadline_passed(&deadline))
			return -ETIMEDOUT;
		usleep(POLL_US);
	}
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
	struct timespec deadline;
	char state;

	deadline_set(&deadline);
	for (;;) {
		state = task_state(tid);
		if ((state == 'S' || state == 'D') && task_nvcsw(tid) > nvcsw)
			break;
		if (!state || deadline_passed(&deadline))
			return state ? -ETIMEDOUT : -ENOENT;
		usleep(POLL_US);
	}
	usleep(SETTLE_US);
	return 0;
}

/* Did a lazy CPU stay lazy? */

/* Open a counter of the context switches on @cpu: fd or -errno. */
int open_cpu_switches(int cpu)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CONTEXT_SWITCHES,
	};
	int fd;

	fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1,
		     PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Context switches counted by @fd from open_cpu_switches(), or -1. */
long long cpu_switches(int fd)
{
	long long count;

	if (fd < 0 || read(fd, &count, sizeof(count)) != sizeof(count))
		return -1;
	return count;
}

/* Is the task of stat file @path running or runnable on @cpu? */
static bool task_runnable_on(const char *path, int cpu)
{
	char buf[1024], *p;
	int field;

	p = stat_fields(path, buf, sizeof(buf));
	if (!p || p[0] != 'R')
		return false;
	/* From field 3 on to field 39, the CPU the task is on. */
	for (field = 3; p && field < 39; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p && atoi(p) == cpu;
}

/* Is a task other than the idle task running or runnable on @cpu? */
static bool cpu_busy(int cpu)
{
	struct dirent *proc, *task;
	DIR *procs, *tasks;
	bool busy = false;
	char path[600];

	procs = opendir("/proc");
	if (!procs)
		return true;
	while (!busy && (proc = readdir(procs))) {
		if (!isdigit(proc->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task", proc->d_name);
		tasks = opendir(path);
		if (!tasks)
			continue;	/* it has exited */
		while (!busy && (task = readdir(tasks))) {
			if (!isdigit(task->d_name[0]))
				continue;
			snprintf(path, sizeof(path), "/proc/%s/task/%s/stat",
				 proc->d_name, task->d_name);
			busy = task_runnable_on(path, cpu);
		}
		closedir(tasks);
	}
	closedir(procs);
	return busy;
}

/*
 * @cpu received @ipis TLB shootdowns during a flush that freed page tables
 * of an mm it was lazy in; @switches is the count of @switch_fd, context
 * switches on @cpu, from just before the task that left it lazy switched
 * out. Receiving none is a miss only if @cpu stayed in that mm's
 * mm_cpumask, which is proven if that switch was its only one, and to
 * idle: any other task may have been of another mm, which takes the CPU
 * out of the mask. Without a counter, assume it stayed.
 */
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

enum lazy_ipi lazy_ipi_outcome(long ipis, int cpu, int switch_fd,
			       long long switches)
{
	long long now;

	if (ipis > 0)
		return LAZY_IPI_SEEN;
	if (switch_fd < 0 || switches < 0)
		return LAZY_IPI_MISSED;
	now = cpu_switches(switch_fd);
	if (now - switches != 1 || cpu_busy(cpu) ||
	    cpu_switches(switch_fd) != now)
		return LAZY_IPI_UNKNOWN;
	return LAZY_IPI_MISSED;
}

void lazy_ipi_report(unsigned int rounds, unsigned int pages,
		     const unsigned int outcome[NR_LAZY_IPI])
{
	tlb_msg("%u rounds of %u pages: TLB IPIs to lazy CPU %d in %u, none in %u\n",
		rounds, pages, REMOTE_CPU, outcome[LAZY_IPI_SEEN],
		outcome[LAZY_IPI_MISSED]);
	tlb_msg("%u rounds of %u pages: no IPI, but CPU %d ran other tasks: %u\n",
		rounds, pages, REMOTE_CPU, outcome[LAZY_IPI_UNKNOWN]);
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
	s->nvcsw = thread_nvcsw();
	s->switches = cpu_switches(s->switch_fd);
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
	s->switch_fd = open_cpu_switches(s->cpu);
	ret = start_thread_on(&s->thread, s->cpu, sleeper_fn, s);
	if (ret) {
		close(s->pipe[0]);
		close(s->pipe[1]);
		if (s->switch_fd >= 0)
			close(s->switch_fd);
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
	if (s->switch_fd >= 0)
		close(s->switch_fd);
	return ret;
}
