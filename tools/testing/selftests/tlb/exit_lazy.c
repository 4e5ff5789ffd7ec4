// SPDX-License-Identifier: GPL-2.0
/*
 * A process exit sends no TLB IPI to the CPUs that are lazy in its mm.
 *
 * exit_mmap() frees the page tables of the mm once nobody can run it any
 * more. x86 keeps them until the last CPU lazy in the mm has loaded
 * another one, instead of sending each lazy CPU a TLB shootdown to move it
 * off the tables (Documentation/arch/x86/tlb.rst, "Process exit").
 *
 * Each round forks a child whose threads on K other CPUs read every page
 * of a range the child filled, then exit, leaving those CPUs idle and lazy
 * in the child's mm. The child then exits from CPU 0: none of the K CPUs
 * may receive a TLB shootdown. The next round's child gets the freed
 * memory back, and its threads must read exactly its own data. K is 1, 3
 * and 7 (a variant skips without K CPUs besides CPU 0).
 *
 * A round counts only if each of the K CPUs stayed lazy in the child's mm
 * until the child exited (see struct lazy_watch); other rounds are run
 * again. The test runs all its rounds, then fails if any counted round
 * sent a lazy CPU a TLB shootdown, so that it reports the shootdowns per
 * exit on any kernel.
 *
 * The exit flush comes from exit_mmap(), which runs when the last user of
 * the mm drops it: the child's exit, before waitpid() returns, as the
 * child waits for its threads to be gone first (wait_threads_gone()) and
 * keeps its futex hash from growing with them (keep_futex_hash()).
 * Something else holding the child's mm at that moment (a reader of its
 * /proc/PID files) delays it past the round.
 */
#include <pthread.h>

#include "../kselftest_harness.h"
#include "tlb_util.h"

/* Rounds per variant in which a child exits with K CPUs lazy in its mm */
#define ROUNDS		20
#define PAGES		16
#define MAX_LAZY	7
/*
 * Rounds run again, per lazy CPU, before the test skips: with 7 lazy CPUs
 * on 8 vCPUs of 2 host cores, more than 8 rounds in 10 are disturbed.
 */
#define EXIT_MAX_DISTURBED	(3 * MAX_DISTURBED)

struct lazy_thread {
	char *base;
	long round;
	int cpu;
	unsigned int bad;
	struct lazy_watch watch;	/* armed by the thread as it exits */
};

FIXTURE(exit_lazy) {
	int cpus[MAX_LAZY];
	char cpu_list[8 * MAX_LAZY];
};

FIXTURE_VARIANT(exit_lazy) {
	unsigned int lazy;
};

FIXTURE_VARIANT_ADD(exit_lazy, lazy_1) {
	.lazy = 1,
};

FIXTURE_VARIANT_ADD(exit_lazy, lazy_3) {
	.lazy = 3,
};

FIXTURE_VARIANT_ADD(exit_lazy, lazy_7) {
	.lazy = 7,
};

FIXTURE_SETUP(exit_lazy)
{
	unsigned int i;
	const char *why;
	int n = 0;

	if (!need_test_cpus())
		SKIP(return, NEED_CPUS_MSG);
	if (lazy_cpus(self->cpus, variant->lazy) < (int)variant->lazy)
		SKIP(return, "needs %u CPUs besides CPU %d in the affinity mask",
		     variant->lazy, MAIN_CPU);
	ASSERT_EQ(0, pin_to_cpu(MAIN_CPU));
	for (i = 0; i < variant->lazy; i++) {
		why = ipis_not_counted(self->cpus[i]);
		if (why)
			SKIP(return, "%s", why);
		n += snprintf(self->cpu_list + n, sizeof(self->cpu_list) - n,
			      "%s%d", i ? "," : "", self->cpus[i]);
		if (n >= (int)sizeof(self->cpu_list))
			n = sizeof(self->cpu_list) - 1;
	}
}

FIXTURE_TEARDOWN(exit_lazy)
{
}

/* A child's thread on a lazy-to-be CPU: check every page, then exit. */
static void *read_pages(void *arg)
{
	struct lazy_thread *t = arg;
	struct page_check res;

	check_pages(t->base, PAGES, t->round, t->round, &res);
	t->bad = res.bad;
	lazy_watch_arm(&t->watch, t->cpu);
	return NULL;
}

/*
 * Child: fill the range, let a thread on each of the @n CPUs read it and
 * exit, report their armed lazy_watches on @done_fd, wait for the threads
 * to be gone and for the word on @go_fd, then exit. Returns the exit code.
 */
static int run_child(const int *cpus, unsigned int n, long round,
		     int done_fd, int go_fd)
{
	struct lazy_thread t[MAX_LAZY] = { 0 };
	pthread_t thread[MAX_LAZY];
	unsigned int i, bad = 0;
	char byte = 0, *base;

	if (pin_to_cpu(MAIN_CPU) || keep_futex_hash())
		return CHILD_ERROR;
	base = mmap(NULL, PAGES * psize(), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return CHILD_ERROR;
	fill_pages(base, PAGES, round);
	for (i = 0; i < n; i++) {
		t[i] = (struct lazy_thread){ .base = base, .round = round,
					     .cpu = cpus[i] };
		if (start_thread_on(&thread[i], cpus[i], read_pages, &t[i]))
			return CHILD_ERROR;
	}
	for (i = 0; i < n; i++) {
		if (pthread_join(thread[i], NULL))
			return CHILD_ERROR;
		bad += t[i].bad;
		if (write(done_fd, &t[i].watch, sizeof(t[i].watch)) !=
		    sizeof(t[i].watch))
			return CHILD_ERROR;
	}
	if (wait_threads_gone())
		return CHILD_ERROR;
	if (read(go_fd, &byte, 1) != 1)
		return CHILD_ERROR;
	return bad ? CHILD_BAD_DATA : CHILD_OK;
}

/* What the counted rounds cost the @n lazy CPUs in @cpu_list. */
static void exit_report(const char *cpu_list, unsigned int n,
			unsigned int rounds, unsigned int with_ipi, long total)
{
	tlb_msg("exit: CPUs %s stayed lazy in %u rounds and got a TLB shootdown in %u\n",
		cpu_list, rounds, with_ipi);
	if (!rounds)
		return;
	tlb_msg("exit: %ld TLB shootdowns to %u lazy CPUs in %u exits, %ld.%02ld per exit\n",
		total, n, rounds, total / rounds, total * 100 / rounds % 100);
}

TEST_F_TIMEOUT(exit_lazy, exit_sends_no_ipi, TLB_TEST_TIMEOUT)
{
	unsigned int i, n = variant->lazy, rounds = 0, with_ipi = 0;
	unsigned int round, disturbed = 0;
	struct lazy_watch w[MAX_LAZY];
	char shot[8 * MAX_LAZY], moved[8 * MAX_LAZY];
	long ipis, total = 0;
	int ns, nm;
	int done[2], go[2];
	enum lazy_verdict v;
	bool armed, counted;
	char byte = 0;
	pid_t pid;

	for (round = 0; rounds < ROUNDS; round++) {
		/* Any of the n CPUs may be disturbed: allow for each. */
		if (disturbed > EXIT_MAX_DISTURBED * n) {
			exit_report(self->cpu_list, n, rounds, with_ipi, total);
			SKIP(return,
			     "CPUs %s left lazy mode in %u rounds (other TLB shootdowns or tasks): nothing proven",
			     self->cpu_list, disturbed);
		}
		ASSERT_EQ(0, pipe(done));
		ASSERT_EQ(0, pipe(go));
		pid = fork();
		ASSERT_GE(pid, 0);
		if (!pid) {
			close(done[0]);
			close(go[1]);
			_exit(run_child(self->cpus, n, round, done[1], go[0]));
		}
		close(done[1]);
		close(go[0]);

		/* The child's threads have exited: let their CPUs go idle. */
		armed = true;
		for (i = 0; i < n && armed; i++)
			armed = read(done[0], &w[i], sizeof(w[i])) == sizeof(w[i]);
		if (armed) {
			usleep(SETTLE_US);
			for (i = 0; i < n; i++)
				lazy_watch_before(&w[i]);
			ASSERT_EQ(1, write(go[1], &byte, 1));
		}
		close(go[1]);
		close(done[0]);
		ASSERT_CHILD_OK(pid, "a thread read wrong data", round);
		ASSERT_TRUE(armed);

		ipis = 0;
		ns = 0;
		nm = 0;
		shot[0] = 0;
		moved[0] = 0;
		for (i = 0; i < n; i++) {
			lazy_watch_after(&w[i]);
			v = lazy_watch_verdict(&w[i]);
			if (v == LAZY_SHOT)
				ns += snprintf(shot + ns, sizeof(shot) - ns, " %d",
					       w[i].cpu);
			else if (v == LAZY_SWITCHED)
				nm += snprintf(moved + nm, sizeof(moved) - nm, " %d",
					       w[i].cpu);
			ipis += w[i].after - w[i].before;
		}
		counted = !ns && !nm;
		if (!counted) {
			tlb_msg("round %u: run again: shootdowns on%s%s, user tasks on%s%s\n",
				round, ns ? "" : " none", shot,
				nm ? "" : " none", moved);
			disturbed++;
			continue;
		}
		for (i = 0; i < n; i++)
			if (w[i].after > w[i].before)
				tlb_msg("round %u: lazy CPU %d received a TLB shootdown\n",
					round, w[i].cpu);
		rounds++;
		with_ipi += ipis > 0;
		total += ipis;
	}

	tlb_msg("%u rounds: every child's threads read its own data\n", round);
	exit_report(self->cpu_list, n, rounds, with_ipi, total);
	ASSERT_EQ(0, with_ipi) {
		TH_LOG("%u of %u exits sent the CPUs lazy in the mm a TLB shootdown",
		       with_ipi, rounds);
	}
}

TEST_HARNESS_MAIN
