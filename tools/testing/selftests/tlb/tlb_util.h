/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the TLB flush selftests.
 *
 * The tests run their main thread on MAIN_CPU and a helper thread on
 * REMOTE_CPU, called CPU R in the tests' comments, touch the first and the
 * last word of every page of a range, change the mapping from MAIN_CPU and
 * then check every page from both CPUs. CPU R is the highest CPU of the
 * test's affinity mask, often the quietest, or the one that the
 * environment variable TLB_REMOTE_CPU names.
 */
#ifndef __SELFTESTS_TLB_UTIL_H
#define __SELFTESTS_TLB_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/types.h>

#include "../kselftest.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000	/* Linux 4.17; old C headers lack it */
#endif

#define MAIN_CPU	0	/* CPU the test's main thread runs on */
#define REMOTE_CPU	remote_cpu()	/* CPU the helper thread runs on */
#define NEED_CPUS_MSG	\
	"needs CPU 0 and another CPU (TLB_REMOTE_CPU) online and in the affinity mask"

#define MAX_PAGES	64	/* largest range a test uses */
#define PAGE_WORDS	2	/* words checked per page: the first and the last */
#define PRIME_PASSES	2	/* full passes that load every page into a TLB */
#define SETTLE_US	2000	/* lets a CPU whose thread blocked go idle */
#define PMD_SPAN	(2UL << 20)	/* range of a PTE table */

/*
 * Per test, rounds that are run again because the lazy CPU was disturbed
 * (see struct lazy_watch) before the test gives up and skips.
 */
#define MAX_DISTURBED	20

/*
 * Generous limit for one test case, against hangs only: the tests are
 * bounded by their rounds, and a slow host (QEMU under TCG) must never
 * hit it.
 */
#define TLB_TEST_TIMEOUT	600

/* Round of a range's second contents: pages mapped after the first ones */
#define REFILL_ROUND(round)	((round) + 1000)
/* Round meaning "freshly zero-filled" in expected() and check_pages() */
#define ZERO_ROUND	(-1L)

unsigned long psize(void);
__printf(1, 2) void tlb_msg(const char *fmt, ...);

int remote_cpu(void);
bool need_test_cpus(void);
int lazy_cpus(int *cpus, int max);
int pin_to_cpu(int cpu);
int start_thread_on(pthread_t *thread, int cpu, void *(*fn)(void *),
		    void *arg);

long tlb_ipis(int cpu);
const char *ipis_not_counted(int cpu);
long long user_switches(int cpu, pid_t self);

int install_fault_handler(void);
bool try_read(unsigned long *p, unsigned long *val);
bool try_write(unsigned long *p, unsigned long val);

long thread_nvcsw(void);
int wait_task_asleep(pid_t tid, long nvcsw);

/* Exit codes of a test's child process */
enum child_exit {
	CHILD_OK,
	CHILD_BAD_DATA,		/* it (or its thread) read wrong data */
	CHILD_ERROR,		/* it could not run the round */
};

const char *child_failure(pid_t pid, const char *bad_data);
int wait_threads_gone(void);
int keep_futex_hash(void);

/*
 * Fail the test unless child @pid of round @round exited CHILD_OK;
 * @bad_data says what CHILD_BAD_DATA means.
 */
#define ASSERT_CHILD_OK(pid, bad_data, round)				\
	do {								\
		const char *__why = child_failure(pid, bad_data);	\
									\
		ASSERT_TRUE(!__why) {					\
			TH_LOG("round %u: %s", round, __why);		\
		}							\
	} while (0)

/*
 * Did a CPU left lazy in an mm stay lazy in it until a flush, and did the
 * flush reach it?
 *
 * The thread that ran in the mm on @cpu arms the watch last thing before it
 * blocks or exits, which leaves @cpu idle and lazy in the mm. x86 keeps a
 * CPU in mm_cpumask() when it switches away from an mm, or when a TLB
 * shootdown sends it from a lazy mm to init_mm: only a TLB shootdown that
 * finds it on another mm takes it out of the mask, and that shootdown is
 * counted in the CPU's TLB row of /proc/interrupts. So while @cpu receives
 * no TLB shootdown, it stays in the mask, and a flush that frees or
 * unshares page tables of the mm must send it one. And while no user task
 * that may run on @cpu makes a context switch, or is running there, @cpu
 * runs only the idle task and kernel threads, and stays lazy in the mm.
 * A round in which either happened is disturbed: it proves nothing, and is
 * run again.
 */
struct lazy_watch {
	int cpu;
	pid_t self;		/* the thread that left @cpu lazy */
	long armed;		/* TLB shootdowns of @cpu when it was armed */
	long long users;	/* user_switches(@cpu, @self) then */
	long before;		/* TLB shootdowns of @cpu just before the flush */
	long after;		/* ... and just after it */
};

enum lazy_verdict {
	LAZY_IPI,		/* it stayed lazy; the flush sent it a shootdown */
	LAZY_NO_IPI,		/* it stayed lazy; the flush sent it none */
	LAZY_SHOT,		/* it got other shootdowns first: maybe left */
	LAZY_SWITCHED,		/* other user tasks ran on it, or maybe did */
};

void lazy_watch_arm(struct lazy_watch *w, int cpu);
void lazy_watch_before(struct lazy_watch *w);
void lazy_watch_after(struct lazy_watch *w);
enum lazy_verdict lazy_watch_verdict(const struct lazy_watch *w);

/* The rounds of a test, by what the flush did to the lazy CPU */
struct lazy_tally {
	unsigned int rounds;	/* the CPU stayed lazy: conclusive rounds */
	unsigned int ipis;	/* ... in which it received a TLB shootdown */
	unsigned int disturbed;	/* rounds run again */
	unsigned int shot;	/* ... as the CPU got other shootdowns first */
};

enum lazy_verdict lazy_tally_add(struct lazy_tally *t,
				 const struct lazy_watch *w);
void lazy_tally_report(const struct lazy_tally *t, const char *what);

/* Why a test skips once more than MAX_DISTURBED rounds were run again */
#define TOO_DISTURBED_MSG						\
	"CPU %d left lazy mode in %u rounds (other TLB shootdowns or tasks): nothing proven; try another TLB_REMOTE_CPU"

/*
 * Count round @round, watched by @w, in @t; fail the test if the lazy CPU
 * stayed lazy in the mm and the flush, which freed or unshared page tables,
 * sent it no TLB shootdown. Any TLB shootdown the CPU got between
 * lazy_watch_before() and lazy_watch_after() counts as the flush's: the
 * window holds the flush only, and the CPU idles meanwhile.
 */
#define ASSERT_LAZY_IPI(t, w, round)					\
	do {								\
		const struct lazy_watch *__w = (w);			\
		enum lazy_verdict __v = lazy_tally_add(t, __w);		\
									\
		ASSERT_NE(LAZY_NO_IPI, __v) {				\
			TH_LOG("round %u: lazy CPU %d received no TLB shootdown", \
			       round, __w->cpu);			\
		}							\
	} while (0)

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
 * loads them into its TLB), arms @watch, blocks until sleeper_wake(), then
 * checks they hold @want. sleeper_start() returns once the thread is
 * asleep, its CPU idle and lazy in this mm.
 */
struct sleeper {
	int cpu;
	char *base;
	unsigned int pages;
	long round;
	long want;
	struct page_check prime;	/* before blocking */
	struct page_check woken;	/* after waking; old: still @round */
	struct lazy_watch watch;
	pthread_t thread;
	int pipe[2];
	pid_t tid;
	long nvcsw;		/* voluntary switches before blocking */
	unsigned long primed;
};

int sleeper_start(struct sleeper *s);
int sleeper_wake(struct sleeper *s);

#endif /* __SELFTESTS_TLB_UTIL_H */
