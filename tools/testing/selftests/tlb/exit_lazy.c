// SPDX-License-Identifier: GPL-2.0
/*
 * Process exit frees the page tables of the mm, so its flush must reach
 * CPUs in lazy TLB mode in that mm too.
 *
 * Each round forks a child whose thread on CPU R fills and checks every
 * page of a range, then exits, leaving CPU R idle and lazy in the child's
 * mm. The child then exits from CPU 0: CPU R must receive a TLB shootdown
 * IPI, as it could otherwise walk the freed tables. The next round's child
 * gets the freed memory back, and its thread must read exactly its own
 * data. Ranges of 1 and 16 pages are flushed page by page, 64 pages with a
 * full flush.
 *
 * A round counts only if CPU R stayed lazy in the child's mm until the
 * child exited (see struct lazy_watch); other rounds are run again. Any
 * counted round in which CPU R received no TLB shootdown fails the test.
 *
 * The exit flush comes from exit_mmap(), which runs when the last user of
 * the mm drops it: normally the child's exit, before waitpid() returns.
 * Something else holding the child's mm at that moment (a reader of its
 * /proc/PID files, such as ps or a monitoring agent) delays it, and the
 * round then fails for a flush that is still to come. ptfree_lazy covers
 * the table-freeing flush synchronously; this test covers the flush of a
 * whole mm (fullmm) on exit.
 */
#include <pthread.h>

#include "../kselftest_harness.h"
#include "tlb_util.h"

/* Rounds per variant in which a child exits with CPU R lazy in its mm */
#define ROUNDS	20

struct child {
	char *base;
	unsigned int pages;
	long round;
	unsigned int bad;
	struct lazy_watch watch;	/* armed by the thread as it exits */
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
	const char *why;

	if (!need_test_cpus())
		SKIP(return, NEED_CPUS_MSG);
	ASSERT_EQ(0, pin_to_cpu(MAIN_CPU));
	why = ipis_not_counted(REMOTE_CPU);
	if (why)
		SKIP(return, "%s", why);
}

FIXTURE_TEARDOWN(exit_lazy)
{
}

/* Child's thread on CPU R: read, write and read back every page. */
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
	lazy_watch_arm(&c->watch, REMOTE_CPU);
	return NULL;
}

/*
 * Child: run touch_pages() on CPU R and let it exit, report its armed
 * lazy_watch on @done_fd, then wait for the word on @go_fd to exit.
 * Returns the exit code.
 */
static int run_child(unsigned int pages, long round, int done_fd, int go_fd)
{
	struct child c = { .pages = pages, .round = round };
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
	if (write(done_fd, &c.watch, sizeof(c.watch)) != sizeof(c.watch) ||
	    read(go_fd, &byte, 1) != 1)
		return CHILD_ERROR;
	return c.bad ? CHILD_BAD_DATA : CHILD_OK;
}

TEST_F_TIMEOUT(exit_lazy, exit_frees_tables, TLB_TEST_TIMEOUT)
{
	struct lazy_tally tally = { 0 };
	struct lazy_watch w;
	int done[2], go[2];
	unsigned int round;
	char byte = 0;
	bool armed;
	pid_t pid;

	for (round = 0; tally.rounds < ROUNDS; round++) {
		if (tally.disturbed > MAX_DISTURBED) {
			lazy_tally_report(&tally, "exit");
			SKIP(return, TOO_DISTURBED_MSG, REMOTE_CPU,
			     tally.disturbed);
		}
		ASSERT_EQ(0, pipe(done));
		ASSERT_EQ(0, pipe(go));
		pid = fork();
		ASSERT_GE(pid, 0);
		if (!pid) {
			close(done[0]);
			close(go[1]);
			_exit(run_child(variant->pages, round, done[1], go[0]));
		}
		close(done[1]);
		close(go[0]);

		/* The child's thread has exited: let CPU R go idle. */
		armed = read(done[0], &w, sizeof(w)) == sizeof(w);
		if (armed) {
			usleep(SETTLE_US);
			lazy_watch_before(&w);
			ASSERT_EQ(1, write(go[1], &byte, 1));
		}
		close(go[1]);
		close(done[0]);
		ASSERT_CHILD_OK(pid, "its thread read wrong data", round);
		ASSERT_TRUE(armed);
		lazy_watch_after(&w);
		ASSERT_LAZY_IPI(&tally, &w, round);
	}

	tlb_msg("%u rounds of %u pages: every child read its own data\n",
		round, variant->pages);
	lazy_tally_report(&tally, "exit");
}

TEST_HARNESS_MAIN
