// SPDX-License-Identifier: GPL-2.0
/*
 * A flush that unshares a hugetlb PMD table must reach CPUs in lazy TLB
 * mode too.
 *
 * Processes mapping the same hugetlbfs file MAP_SHARED, at the same file
 * offset and the same PUD-aligned address, over the whole PUD range of
 * 1 GiB, share the PMD table of that range (huge_pmd_share()): the first
 * fault of one of them finds the populated table of the other and points
 * its PUD entry at it.
 *
 * Each round maps a 1 GiB hugetlb memfd (of 2 MiB pages) at a 1 GiB
 * aligned address from CPU 0, between two other mappings, and fills the
 * first hugepages. A forked child maps the file afresh at the same address
 * and reads the first word of each hugepage: the first read faults and
 * shares our PMD table, which maps the other hugepages already, so they
 * must be read without a page fault. A table of the child's own would
 * need a fault for each. The child counts its page faults (getrusage()),
 * and the round goes on only if the table is shared: the test knows it.
 *
 * A thread on CPU R reads every page, then blocks, leaving CPU R idle and
 * lazy in this mm. The main thread drops the whole range with munmap() or
 * MADV_DONTNEED, which unshares the PMD table (huge_pmd_unshare()): the
 * table stays in use by the child, its last user, which may change or free
 * it, so CPU R must receive a TLB shootdown IPI, as it could otherwise keep
 * walking it. The mappings around the range keep munmap() from freeing
 * the PUD table above it: nothing but the unsharing asks to flush lazy
 * CPUs. After munmap() the range is mapped again. The woken thread must
 * read the file's data from every page, and so must the child, whose
 * table the unsharing must leave intact.
 *
 * A round counts only if CPU R stayed lazy in the mm until the flush (see
 * struct lazy_watch); other rounds are run again. Any counted round in
 * which CPU R received no TLB shootdown fails the test.
 *
 * The test runs on x86_64 only, where the kernel always shares such
 * tables (CONFIG_HUGETLB_PMD_PAGE_TABLE_SHARING follows HUGETLB_PAGE
 * there): a child that did not share fails the test.
 *
 * Needs x86_64 and 2 MiB default hugepages, of which 4 free (as root:
 * echo 4 > /proc/sys/vm/nr_hugepages); skips otherwise.
 */
#include <sys/mman.h>
#include <sys/resource.h>

#include "../kselftest_harness.h"
#include "tlb_util.h"

/* Rounds per variant in which CPU R stayed lazy until the unsharing */
#define ROUNDS		10

#define HPAGE_SIZE	(2UL << 20)	/* hugepage mapped by a PMD entry */
#define PUD_SPAN	(512 * HPAGE_SIZE)	/* range of a PMD table */

/* What the child tells the parent once it has read the hugepages */
#define CHILD_SHARED	'S'	/* it shares our PMD table */
#define CHILD_PRIVATE	'P'	/* it has a PMD table of its own */

FIXTURE(hugetlb_unshare) {
};

FIXTURE_VARIANT(hugetlb_unshare) {
	bool dontneed;		/* drop with MADV_DONTNEED, not munmap() */
	unsigned int hpages;	/* hugepages filled and checked, at least 2 */
};

FIXTURE_VARIANT_ADD(hugetlb_unshare, munmap_2) {
	.dontneed = false,
	.hpages = 2,
};

FIXTURE_VARIANT_ADD(hugetlb_unshare, munmap_4) {
	.dontneed = false,
	.hpages = 4,
};

FIXTURE_VARIANT_ADD(hugetlb_unshare, dontneed_2) {
	.dontneed = true,
	.hpages = 2,
};

FIXTURE_VARIANT_ADD(hugetlb_unshare, dontneed_4) {
	.dontneed = true,
	.hpages = 4,
};

/* Number on the line of /proc/meminfo starting with @key, or -1. */
static long meminfo_value(const char *key)
{
	size_t len = strlen(key), size = 0;
	char *line = NULL;
	long val = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (val < 0 && getline(&line, &size, f) > 0)
		if (strncmp(line, key, len) ||
		    sscanf(line + len, "%ld", &val) != 1)
			val = -1;
	free(line);
	fclose(f);
	return val;
}

FIXTURE_SETUP(hugetlb_unshare)
{
	const char *why;
	long avail;
	int fd;

#ifndef __x86_64__
	SKIP(return, "x86_64 only: needs 1 GiB PMD tables and 3 GiB of address space");
#endif
	if (!need_test_cpus())
		SKIP(return, NEED_CPUS_MSG);
	fd = memfd_create("tlb_unshare", MFD_HUGETLB);
	if (fd < 0)
		SKIP(return, "memfd_create(MFD_HUGETLB): %s: no hugetlbfs",
		     strerror(errno));
	close(fd);
	if (meminfo_value("Hugepagesize:") != HPAGE_SIZE >> 10)
		SKIP(return, "default hugepage size is not 2 MiB: no PMD table");
	avail = meminfo_value("HugePages_Free:") -
		meminfo_value("HugePages_Rsvd:");
	if (avail < (long)variant->hpages)
		SKIP(return,
		     "%ld free hugepages, %u needed: raise /proc/sys/vm/nr_hugepages",
		     avail, variant->hpages);
	ASSERT_EQ(0, pin_to_cpu(MAIN_CPU));
	why = ipis_not_counted(REMOTE_CPU);
	if (why)
		SKIP(return, "%s", why);
}

FIXTURE_TEARDOWN(hugetlb_unshare)
{
}

/*
 * Reserve three PUD ranges and return the PUD-aligned address of a whole
 * one among them, with some of the reservation on either side: the PUD
 * table of a range mapped there can only be freed with the reservation.
 */
static char *reserve_pud_range(void **resv)
{
	unsigned long addr;

	*resv = mmap(NULL, 3 * PUD_SPAN, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (*resv == MAP_FAILED)
		return NULL;
	addr = ((unsigned long)*resv + PUD_SPAN) & ~(PUD_SPAN - 1);
	return (char *)addr;
}

/* Map the whole PUD range of hugetlb file @fd at @addr, replacing anything. */
static char *map_file(char *addr, int fd)
{
	char *p;

	p = mmap(addr, PUD_SPAN, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_NORESERVE | MAP_FIXED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

static long minor_faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return ru.ru_minflt + ru.ru_majflt;
}

/*
 * Child: read the first word of each of the @hpages hugepages at @base,
 * just mapped, which the parent has faulted in. Is the PMD table shared?
 * The first read faults: the fault either points our PUD entry at the
 * parent's PMD table, which maps the other hugepages already, or gives us
 * an empty table of our own, in which each of them faults too.
 */
static bool child_shares_table(char *base, unsigned int hpages)
{
	long before, after;
	unsigned int i;

	minor_faults();		/* faults in what getrusage() touches */
	__atomic_load_n((unsigned long *)base, __ATOMIC_RELAXED);
	before = minor_faults();
	for (i = 1; i < hpages; i++)
		__atomic_load_n((unsigned long *)(base + i * HPAGE_SIZE),
				__ATOMIC_RELAXED);
	after = minor_faults();
	return before >= 0 && after == before;
}

/*
 * Child, on CPU 0 like its parent: map hugetlb file @fd afresh at @base
 * (no page table of the range comes from fork()), tell on @ready_fd whether
 * that shares the parent's PMD table, check the @pages pages hold @round,
 * wait for the word or end of file on @quit_fd, then check them again.
 * Returns the exit code.
 */
static int run_child(char *base, int fd, unsigned int hpages,
		     unsigned int pages, long round, int ready_fd, int quit_fd)
{
	struct page_check res;
	unsigned int bad;
	char byte;

	if (munmap(base, PUD_SPAN) || map_file(base, fd) != base)
		return CHILD_ERROR;
	byte = child_shares_table(base, hpages) ? CHILD_SHARED : CHILD_PRIVATE;
	check_pages(base, pages, round, round, &res);
	bad = res.bad;
	if (write(ready_fd, &byte, 1) != 1 || read(quit_fd, &byte, 1) < 0)
		return CHILD_ERROR;
	check_pages(base, pages, round, round, &res);
	return bad || res.bad ? CHILD_BAD_DATA : CHILD_OK;
}

TEST_F_TIMEOUT(hugetlb_unshare, unshare_while_lazy, TLB_TEST_TIMEOUT)
{
	unsigned int pages = variant->hpages * (HPAGE_SIZE / psize());
	const char *how = variant->dontneed ? "MADV_DONTNEED" : "munmap";
	unsigned int round, prime = 0, remote = 0, local = 0;
	struct lazy_tally tally = { 0 };
	int fd, ready[2], quit[2], ret;
	struct page_check res;
	char shared, byte = 0;
	char *addr, *remap;
	void *resv;
	pid_t pid;

	ASSERT_LE(2, variant->hpages);
	for (round = 0; tally.rounds < ROUNDS; round++) {
		struct sleeper s = {
			.cpu = REMOTE_CPU, .pages = pages,
			.round = round, .want = round,
		};

		if (tally.disturbed > MAX_DISTURBED) {
			lazy_tally_report(&tally, how);
			SKIP(return, TOO_DISTURBED_MSG, REMOTE_CPU,
			     tally.disturbed);
		}
		fd = memfd_create("tlb_unshare", MFD_HUGETLB);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ftruncate(fd, PUD_SPAN));
		addr = reserve_pud_range(&resv);
		ASSERT_NE(NULL, addr);
		s.base = map_file(addr, fd);
		ASSERT_EQ(addr, s.base);
		fill_pages(addr, pages, round);
		remap = addr;

		ASSERT_EQ(0, pipe(ready));
		ASSERT_EQ(0, pipe(quit));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			close(ready[0]);
			close(quit[1]);
			_exit(run_child(addr, fd, variant->hpages, pages, round,
					ready[1], quit[0]));
		}
		close(ready[1]);
		close(quit[0]);
		if (read(ready[0], &shared, 1) != 1)
			shared = 0;
		close(ready[0]);
		if (shared != CHILD_SHARED) {
			close(quit[1]);
			ASSERT_CHILD_OK(pid, "child read wrong data", round);
			ASSERT_EQ(CHILD_PRIVATE, shared);
			/* x86_64 selects ARCH_WANT_HUGE_PMD_SHARE: must share. */
			ASSERT_EQ(CHILD_SHARED, shared) {
				TH_LOG("round %u: the child's PMD table was not shared with ours",
				       round);
			}
		}

		/* Our PMD table is shared: the child's PUD entry points at it. */
		ASSERT_EQ(0, sleeper_start(&s));
		lazy_watch_before(&s.watch);
		if (variant->dontneed)
			ret = madvise(addr, PUD_SPAN, MADV_DONTNEED);
		else
			ret = munmap(addr, PUD_SPAN);
		lazy_watch_after(&s.watch);
		ASSERT_EQ(0, ret);
		if (!variant->dontneed)
			remap = map_file(addr, fd);
		ASSERT_EQ(addr, remap);
		ASSERT_LAZY_IPI(&tally, &s.watch, round);

		/* The file keeps its pages: they still hold @round. */
		ASSERT_EQ(0, sleeper_wake(&s));
		check_pages(addr, pages, round, round, &res);
		prime += s.prime.bad;
		remote += s.woken.bad;
		local += res.bad;

		ASSERT_EQ(1, write(quit[1], &byte, 1));
		close(quit[1]);
		ASSERT_CHILD_OK(pid, "child read wrong data", round);
		ASSERT_EQ(0, munmap(resv, 3 * PUD_SPAN));
		close(fd);
	}

	tlb_msg("%u rounds of %u hugepages, %s: CPU %d: %u bad primed, %u bad woken\n",
		round, variant->hpages, how, REMOTE_CPU, prime, remote);
	tlb_msg("%u rounds of %u hugepages, %s: CPU %d: %u bad\n",
		round, variant->hpages, how, MAIN_CPU, local);
	tlb_msg("%s: the PMD table was shared in all %u rounds, every child read the file\n",
		how, round);
	lazy_tally_report(&tally, how);
	ASSERT_EQ(0, prime);
	ASSERT_EQ(0, remote);
	ASSERT_EQ(0, local);
}

TEST_HARNESS_MAIN
