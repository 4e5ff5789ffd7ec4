// SPDX-License-Identifier: GPL-2.0
/*
 * Process exit frees the page tables of the mm, so its flush must reach
 * CPUs in lazy TLB mode in that mm too.
 *
 * Each round forks a child whose thread on CPU 1 fills and checks every
 * page of a range, then exits, leaving CPU 1 idle and lazy in the child's
 * mm. The child then exits from CPU 0: CPU 1 must receive a TLB shootdown
 * IPI, as it could otherwise walk the freed tables. The next round's child
 * gets the freed memory back, and its thread must read exactly its own
 * data. Ranges of 1 and 16 pages are flushed page by page, 64 pages with a
 * full flush.
 */
#include <pthread.h>

#include "../kselftest_harness.h"
#include "tlb_util.h"

/* Rounds per variant: each forks a child that exits with CPU 1 lazy. */
#define ROUNDS	20

struct child {
	char *base;
	unsigned int pages;
	long round;
	unsigned int bad;
	int switch_fd;		/* counts context switches on CPU 1 */
	long long switches;	/* ... before the thread exits */
};

FIXTURE(exit_lazy) {
};

FIXTURE_VARIANT(exit_lazy) {
	unsigned int pages;
};

FIXTURE_VARIANT_ADD(exit_lazy, pages_1) {
	.pages = 1,
};

FIXTURE_VARIANT_ADD(exit_lazy, pages_16) {
	.pages = 16,
};

FIXTURE_VARIANT_ADD(exit_lazy, pages_64) {
	.pages = 64,
};

FIXTURE_SETUP(exit_lazy)
{
	if (!need_cpus(NR_TEST_CPUS))
		SKIP(return, NEED_CPUS_MSG);
	ASSERT_EQ(0, pin_to_cpu(MAIN_CPU));
}

FIXTURE_TEARDOWN(exit_lazy)
{
}

/* Child's thread on CPU 1: read, write and read back every page. */
static void *touch_pages(void *arg)
{
	struct child *c = arg;
	struct page_check res;

	check_pages(c->base, c->pages, c->round, c->round, &res);
	c->bad = res.bad;
	fill_pages(c->base, c->pages, REFILL_ROUND(c->round));
	check_pages(c->base, c->pages, REFILL_ROUND(c->round), c->round,
		    &res);
	c->bad += res.bad;
	c->switches = cpu_switches(c->switch_fd);
	return NULL;
}

/*
 * Child: run touch_pages() on CPU 1 and let it exit, report the switch
 * count on @done_fd, then wait for the word on @go_fd to exit. Returns the
 * exit code.
 */
static int run_child(unsigned int pages, long round, int switch_fd,
		     int done_fd, int go_fd)
{
	struct child c = {
		.pages = pages, .round = round, .switch_fd = switch_fd,
	};
	size_t len = pages * psize();
	pthread_t thread;
	char byte = 0;

	if (pin_to_cpu(MAIN_CPU))
		return CHILD_ERROR;
	c.base = mmap(NULL, len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c.base == MAP_FAILED)
		return CHILD_ERROR;
	fill_pages(c.base, pages, round);
	if (start_thread_on(&thread, REMOTE_CPU, touch_pages, &c) ||
	    pthread_join(thread, NULL))
		return CHILD_ERROR;
	if (write(done_fd, &c.switches, sizeof(c.switches)) !=
	    sizeof(c.switches) || read(go_fd, &byte, 1) != 1)
		return CHILD_ERROR;
	return c.bad ? CHILD_BAD_DATA : CHILD_OK;
}

TEST_F(exit_lazy, exit_frees_tables)
{
	int switch_fd = open_cpu_switches(REMOTE_CPU);
	unsigned int outcome[NR_LAZY_IPI] = { 0 };
	bool counted = tlb_ipis(REMOTE_CPU) >= 0;
	int done[2], go[2];
	long long switches = -1;
	unsigned int round;
	enum lazy_ipi ipi;
	long before = 0;
	const char *why;
	char byte = 0;
	pid_t pid;

	for (round = 0; round < ROUNDS; round++) {
		ASSERT_EQ(0, pipe(done));
		ASSERT_EQ(0, pipe(go));
		pid = fork();
		ASSERT_GE(pid, 0);
		if (!pid) {
			close(done[0]);
			close(go[1]);
			_exit(run_child(variant->pages, round, switch_fd,
					done[1], go[0]));
		}
		close(done[1]);
		close(go[0]);

		/* The child's thread has exited: let CPU 1 go idle. */
		if (read(done[0], &switches, sizeof(switches)) ==
		    sizeof(switches)) {
			usleep(SETTLE_US);
			before = tlb_ipis(REMOTE_CPU);
			ASSERT_EQ(1, write(go[1], &byte, 1));
		}
		close(go[1]);
		close(done[0]);
		why = child_failure(pid, "its thread read wrong data");
		ASSERT_TRUE(!why) {
			TH_LOG("round %u: %s", round, why);
		}
		if (counted) {
			ipi = lazy_ipi_outcome(tlb_ipis(REMOTE_CPU) - before,
					       REMOTE_CPU, switch_fd, switches);
			if (ipi == LAZY_IPI_MISSED)
				TH_LOG("round %u: lazy CPU %d received no TLB shootdown",
				       round, REMOTE_CPU);
			outcome[ipi]++;
		}
	}

	if (switch_fd >= 0)
		close(switch_fd);
	tlb_msg("%u rounds of %u pages: every child read its own data\n",
		ROUNDS, variant->pages);
	if (!counted)
		SKIP(return, "no TLB row in /proc/interrupts: IPIs not checked");
	lazy_ipi_report(ROUNDS, variant->pages, outcome);
	ASSERT_EQ(0, outcome[LAZY_IPI_MISSED]);
	if (!outcome[LAZY_IPI_SEEN])
		SKIP(return, "CPU %d ran other tasks in every round: IPIs not checked",
		     REMOTE_CPU);
}

TEST_HARNESS_MAIN
