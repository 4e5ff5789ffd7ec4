// SPDX-License-Identifier: GPL-2.0
/*
 * Fork and exit in a loop, with every other CPU lazy in each dying mm:
 * how many TLB shootdowns does an exit cost the lazy CPUs, and how many
 * page tables do the exited mms hold at once?
 *
 * Each round forks a child that maps a page in each of SPANS 2 MiB ranges
 * (a PTE table each: no THP), lets a thread on every other CPU read them and exit,
 * then exits from CPU 0. The TLB shootdowns those CPUs receive from the
 * child's exit are counted.
 *
 * x86 may keep the page tables of an exited mm until the CPUs lazy in it
 * load another mm, up to a system-wide limit; past it, the exit flushes
 * the lazy CPUs and frees the tables at once (see "Process exit" in
 * Documentation/arch/x86/tlb.rst). /sys/kernel/debug/x86/exit_pgtables
 * tells how many pages are held, the most held at once since it was reset,
 * and how many exits kept none: over a bound (fallbacks) or with no IPI to
 * spare (undeferred). The test reports them and fails if the most held at
 * once passed the limit. The variant small_limit sets the limit below
 * one child's tables, so that every exit of the test's children keeps
 * none; it needs that file, and skips on kernels without it. The test runs
 * a fixed number of rounds.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "../kselftest_harness.h"
#include "tlb_util.h"

#define ROUNDS		100
#define SPANS		16	/* PTE tables a child fills */
#define SMALL_LIMIT	8	/* pages: less than one child's tables */
#define MAX_CPUS	64

#define EXIT_PGTABLES		"/sys/kernel/debug/x86/exit_pgtables"
#define EXIT_PGTABLES_LIMIT	"/sys/kernel/debug/x86/exit_pgtables_limit"

struct exit_pgtables {
	long held, max_held, fallbacks, undeferred;
	unsigned long limit;
};

/* False if the kernel does not keep the page tables of exited mms. */
static bool read_exit_pgtables(struct exit_pgtables *p)
{
	FILE *f = fopen(EXIT_PGTABLES, "r");
	int n;

	if (!f)
		return false;
	n = fscanf(f, "held %ld max_held %ld fallbacks %ld undeferred %ld limit %lu",
		   &p->held, &p->max_held, &p->fallbacks, &p->undeferred,
		   &p->limit);
	fclose(f);
	return n == 5;
}

static int write_file(const char *path, unsigned long val)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%lu\n", val) < 0 ? -EIO : 0;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

static void *nothing(void *arg)
{
	return NULL;
}

/*
 * Run a thread of this process on each of the @n CPUs: each loads this mm,
 * which drops its lazy reference to any exited one. 0 or -errno.
 */
static int run_on_each(const int *cpus, int n)
{
	pthread_t thread;
	int c, ret;

	for (c = 0; c < n; c++) {
		ret = start_thread_on(&thread, cpus[c], nothing, NULL);
		if (!ret)
			ret = -pthread_join(thread, NULL);
		if (ret)
			return ret;
	}
	return 0;
}

FIXTURE(exit_stress) {
	int cpus[MAX_CPUS];
	int n;
	bool deferring;		/* the kernel has exit_pgtables */
	bool limit_set;		/* saved_limit is to be restored */
	unsigned long saved_limit;
};

FIXTURE_VARIANT(exit_stress) {
	bool small_limit;
};

FIXTURE_VARIANT_ADD(exit_stress, default_limit) {
	.small_limit = false,
};

FIXTURE_VARIANT_ADD(exit_stress, small_limit) {
	.small_limit = true,
};

FIXTURE_SETUP(exit_stress)
{
	struct exit_pgtables p;
	const char *why;
	int i;

	if (!need_test_cpus())
		SKIP(return, NEED_CPUS_MSG);
	self->n = lazy_cpus(self->cpus, MAX_CPUS);
	ASSERT_EQ(0, pin_to_cpu(MAIN_CPU));
	for (i = 0; i < self->n; i++) {
		why = ipis_not_counted(self->cpus[i]);
		if (why)
			SKIP(return, "%s", why);
	}
	/* Drop what earlier exits left, then restart max_held. */
	ASSERT_EQ(0, run_on_each(self->cpus, self->n));
	self->deferring = read_exit_pgtables(&p);
	if (variant->small_limit) {
		if (!self->deferring)
			SKIP(return, "no %s: this kernel frees the page tables at exit",
			     EXIT_PGTABLES);
		self->saved_limit = p.limit;
		self->limit_set = true;
		ASSERT_EQ(0, write_file(EXIT_PGTABLES_LIMIT, SMALL_LIMIT));
	}
	if (self->deferring)
		ASSERT_EQ(0, write_file(EXIT_PGTABLES, 0));
}

FIXTURE_TEARDOWN(exit_stress)
{
	if (self->limit_set)
		write_file(EXIT_PGTABLES_LIMIT, self->saved_limit);
}

/* A child's thread: read a byte under each PTE table. */
static void *touch(void *arg)
{
	char *p = arg;
	unsigned int i;

	for (i = 0; i < SPANS; i++)
		__atomic_load_n(p + i * PMD_SPAN, __ATOMIC_RELAXED);
	return NULL;
}

/*
 * Child: map and fill, read from every other CPU, wait for those threads
 * to be gone, tell, wait, exit.
 */
static int run_child(const int *cpus, int n, int done_fd, int go_fd)
{
	pthread_t thread[MAX_CPUS];
	char byte = 0, *p;
	unsigned int i;
	int c;

	if (pin_to_cpu(MAIN_CPU) || keep_futex_hash())
		return CHILD_ERROR;
	p = aligned_hole(SPANS * PMD_SPAN);
	if (!p || mmap(p, SPANS * PMD_SPAN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		       -1, 0) != p ||
	    madvise(p, SPANS * PMD_SPAN, MADV_NOHUGEPAGE))
		return CHILD_ERROR;
	for (i = 0; i < SPANS; i++)
		p[i * PMD_SPAN] = 1;
	for (c = 0; c < n; c++)
		if (start_thread_on(&thread[c], cpus[c], touch, p))
			return CHILD_ERROR;
	for (c = 0; c < n; c++)
		if (pthread_join(thread[c], NULL))
			return CHILD_ERROR;
	/* Else a thread's exit, not the child's, may run exit_mmap(). */
	if (wait_threads_gone())
		return CHILD_ERROR;
	if (write(done_fd, &byte, 1) != 1 || read(go_fd, &byte, 1) != 1)
		return CHILD_ERROR;
	return CHILD_OK;
}

static long lazy_ipis(const int *cpus, int n)
{
	long sum = 0;
	int c;

	for (c = 0; c < n; c++)
		sum += tlb_ipis(cpus[c]);
	return sum;
}

TEST_F_TIMEOUT(exit_stress, fork_exit, TLB_TEST_TIMEOUT)
{
	struct exit_pgtables start = { 0 }, end = { 0 }, after = { 0 };
	long before, ipis = 0, kept_none;
	int done[2], go[2];
	unsigned int round;
	char byte = 0;
	pid_t pid;

	if (self->deferring)
		ASSERT_TRUE(read_exit_pgtables(&start));
	for (round = 0; round < ROUNDS; round++) {
		ASSERT_EQ(0, pipe(done));
		ASSERT_EQ(0, pipe(go));
		pid = fork();
		ASSERT_GE(pid, 0);
		if (!pid) {
			close(done[0]);
			close(go[1]);
			_exit(run_child(self->cpus, self->n, done[1], go[0]));
		}
		close(done[1]);
		close(go[0]);
		ASSERT_EQ(1, read(done[0], &byte, 1));
		usleep(SETTLE_US);
		before = lazy_ipis(self->cpus, self->n);
		ASSERT_EQ(1, write(go[1], &byte, 1));
		close(go[1]);
		close(done[0]);
		ASSERT_CHILD_OK(pid, "", round);
		ipis += lazy_ipis(self->cpus, self->n) - before;
	}

	tlb_msg("stress: %u exits, %d lazy CPUs: %ld TLB shootdowns, %ld.%02ld per exit\n",
		round, self->n, ipis, ipis / round, ipis * 100 / round % 100);
	if (!self->deferring) {
		tlb_msg("stress: no deferred page tables on this kernel (no %s)\n",
			EXIT_PGTABLES);
		return;
	}

	ASSERT_TRUE(read_exit_pgtables(&end));
	/* A task of this mm on each CPU: they drop the last exited mm. */
	ASSERT_EQ(0, run_on_each(self->cpus, self->n));
	ASSERT_TRUE(read_exit_pgtables(&after));
	kept_none = end.fallbacks - start.fallbacks +
		    end.undeferred - start.undeferred;
	tlb_msg("stress: page tables held: most %ld at once, %ld at the end; limit %lu\n",
		end.max_held, end.held, end.limit);
	tlb_msg("stress: %ld held once every CPU ran a task; %ld exits fell back\n",
		after.held, end.fallbacks - start.fallbacks);

	ASSERT_LE(end.max_held, (long)end.limit) {
		TH_LOG("%ld pages held at once, over the limit of %lu",
		       end.max_held, end.limit);
	}
	/* Other exits may add to the counts, never take from them. */
	if (variant->small_limit) {
		ASSERT_GE(kept_none, round) {
			TH_LOG("only %ld of %u exits kept no page tables under a limit of %d pages",
			       kept_none, round, SMALL_LIMIT);
		}
	}
}

TEST_HARNESS_MAIN
