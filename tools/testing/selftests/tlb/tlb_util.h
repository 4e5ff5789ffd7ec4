/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the TLB flush selftests.
 *
 * The tests run their main thread on MAIN_CPU and a helper thread on
 * REMOTE_CPU, touch the first and the last word of every page of a range,
 * change the mapping from MAIN_CPU and then check every page from both
 * CPUs.
 */
#ifndef __SELFTESTS_TLB_UTIL_H
#define __SELFTESTS_TLB_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../kselftest.h"

#define MAIN_CPU	0	/* CPU the test's main thread runs on */
#define REMOTE_CPU	1	/* CPU the helper thread runs on */
#define NR_TEST_CPUS	2
#define NEED_CPUS_MSG	"needs CPUs 0 and 1 online and in the affinity mask"

#define MAX_PAGES	64	/* largest range a test uses */
#define PAGE_WORDS	2	/* words checked per page: the first and the last */
#define PRIME_PASSES	2	/* full passes that load every page into a TLB */
#define SETTLE_US	2000	/* lets a CPU whose thread blocked go idle */

/* Round of a range's second contents: pages mapped after the first ones */
#define REFILL_ROUND(round)	((round) + 1000)
/* Round meaning "freshly zero-filled" in expected() and check_pages() */
#define ZERO_ROUND	(-1L)

unsigned long psize(void);
__printf(1, 2) void tlb_msg(const char *fmt, ...);

bool need_cpus(int n);
int pin_to_cpu(int cpu);
int start_thread_on(pthread_t *thread, int cpu, void *(*fn)(void *),
		    void *arg);

long tlb_ipis(int cpu);

int install_fault_handler(void);
bool try_read(unsigned long *p, unsigned long *val);
bool try_write(unsigned long *p, unsigned long val);

long thread_nvcsw(void);
int wait_task_asleep(pid_t tid, long nvcsw);

int open_cpu_switches(int cpu);
long long cpu_switches(int fd);

/* Exit codes of a test's child process */
enum child_exit {
	CHILD_OK,
	CHILD_BAD_DATA,		/* it (or its thread) read wrong data */
	CHILD_ERROR,		/* it could not run the round */
};

const char *child_failure(pid_t pid, const char *bad_data);

/* What a flush freeing page tables did to a CPU lazy in the mm */
enum lazy_ipi {
	LAZY_IPI_SEEN,		/* it received a TLB shootdown */
	LAZY_IPI_MISSED,	/* it received none, though it stayed idle */
	LAZY_IPI_UNKNOWN,	/* none, but it ran other tasks: maybe other mms */
	NR_LAZY_IPI,
};

enum lazy_ipi lazy_ipi_outcome(long ipis, int cpu, int switch_fd,
			       long long switches);
void lazy_ipi_report(unsigned int rounds, unsigned int pages,
		     const unsigned int outcome[NR_LAZY_IPI]);

void *aligned_hole(unsigned long align);
void *pmd_aligned_hole(void);

/* Value of @page in @round: unique per round and page, never 0. */
static inline unsigned long pattern(unsigned long round, unsigned long page)
{
	return ((round << 16 | page) << 1) | 1;
}

static inline unsigned long expected(long round, unsigned long page)
{
	return round == ZERO_ROUND ? 0 : pattern(round, page);
}

/* Word @word (0: first, 1: last) of page @page of @base. */
static inline unsigned long *page_word(char *base, unsigned long page,
				       int word)
{
	char *p = base + page * psize();

	if (word)
		p += psize() - sizeof(unsigned long);
	return (unsigned long *)p;
}

struct page_check {
	unsigned int bad;	/* pages not holding the expected value */
	unsigned int old;	/* ... of which still hold the old value */
};

void fill_pages(char *base, unsigned int pages, long round);
void check_pages(char *base, unsigned int pages, long want, long old,
		 struct page_check *res);

/*
 * A thread on @cpu calling @pass over and over until racer_publish() has
 * been called: @after tells whether the pass began after it saw the
 * publication, and the thread exits after the first such pass.
 */
struct racer {
	int cpu;
	void (*pass)(void *arg, bool after);
	void *arg;
	pthread_t thread;
	unsigned long passes;	/* completed passes */
	int published;
};

int racer_start(struct racer *r);
int racer_wait(struct racer *r, unsigned long passes);
void racer_publish(struct racer *r);
int racer_join(struct racer *r);

/*
 * A thread on @cpu that checks the @pages pages at @base hold @round (which
 * loads them into its TLB), blocks until sleeper_wake(), then checks they
 * hold @want. sleeper_start() returns once the thread is asleep, its CPU
 * idle and lazy in this mm. @switches is the count of context switches on
 * @cpu (from @switch_fd) just before the thread blocked.
 */
struct sleeper {
	int cpu;
	char *base;
	unsigned int pages;
	long round;
	long want;
	struct page_check prime;	/* before blocking */
	struct page_check woken;	/* after waking; old: still @round */
	pthread_t thread;
	int pipe[2];
	pid_t tid;
	long nvcsw;		/* voluntary switches before blocking */
	int switch_fd;
	long long switches;
	unsigned long primed;
};

int sleeper_start(struct sleeper *s);
int sleeper_wake(struct sleeper *s);

#endif /* __SELFTESTS_TLB_UTIL_H */
