// SPDX-License-Identifier: GPL-2.0
/*
 * A flush that unshares a hugetlb PMD table must reach CPUs in lazy TLB
 * mode too.
 *
 * Processes mapping the same hugetlbfs file MAP_SHARED, at the same file
 * offset and the same PUD-aligned address, over the whole PUD range of
 * 1 GiB, share the PMD table of that range (huge_pmd_share()): the first
 * fault of one of them finds the populated table of the other and points
 * its PUD entry at it. The test cannot observe the sharing from user space
 * and relies on the kernel sharing whenever these conditions hold.
 *
 * Each round maps a 1 GiB hugetlb memfd (of 2 MiB pages) at a 1 GiB
 * aligned address from CPU 0 and fills the first hugepages; a forked child
 * inherits the mapping without page tables and reads the pages, which
 * shares our PMD table. A thread on CPU 1 reads every page, then blocks,
 * leaving CPU 1 idle and lazy in this mm. The main thread drops the whole
 * range with munmap() or MADV_DONTNEED, which unshares the PMD table
 * (huge_pmd_unshare()): the table stays in use by the child and will be
 * changed or reused, so CPU 1 must receive a TLB shootdown IPI, as it
 * could otherwise keep walking it. After munmap() the range is mapped
 * again. The woken thread must read the file's data from every page, and
 * so must the child, whose table the unsharing must leave intact.
 *
 * As the sharing cannot be observed, a round in which CPU 1 got no IPI
 * although it stayed idle is run once more: the test fails if the rerun
 * misses too, or if more than MAX_RERUNS rounds miss.  Without the fix
 * nearly every round misses.
 *
 * Needs 2 MiB default hugepages, of which 4 free.
 */
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "tlb_util.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

/* Rounds per variant: each maps, shares, primes, unshares a PMD table. */
#define ROUNDS		10
#define MAX_RERUNS	(ROUNDS / 4)

#define HPAGE_SIZE	(2UL << 20)	/* hugepage mapped by a PMD entry */
#define PUD_SPAN	(512 * HPAGE_SIZE)	/* range of a PMD table */

FIXTURE(hugetlb_unshare) {
};

FIXTURE_VARIANT(hugetlb_unshare) {
	bool dontneed;		/* drop with MADV_DONTNEED, not munmap() */
	unsigned int hpages;	/* hugepages filled and checked */
};

FIXTURE_VARIANT_ADD(hugetlb_unshare, munmap_1) {
	.dontneed = false,
	.hpages = 1,
};

FIXTURE_VARIANT_ADD(hugetlb_unshare, munmap_4) {
	.dontneed = false,
	.hpages = 4,
};

FIXTURE_VARIANT_ADD(hugetlb_unshare, dontneed_1) {
	.dontneed = true,
	.hpages = 1,
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
	long avail;
	int fd;

	if (!need_cpus(NR_TEST_CPUS))
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
		SKIP(return, "%ld free hugepages, %u needed", avail,
		     variant->hpages);
	ASSERT_EQ(0, pin_to_cpu(MAIN_CPU));
}

FIXTURE_TEARDOWN(hugetlb_unshare)
{
}

/* Map the whole PUD range of hugetlb file @fd at @addr, where nothing is. */
static char *map_file(void *addr, int fd)
{
	char *p;

	p = mmap(addr, PUD_SPAN, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_NORESERVE | MAP_FIXED_NOREPLACE, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * Child, on CPU 0 like its parent: check the @pages pages at @base hold
 * @round, which shares the parent's PMD table, say so on @ready_fd, wait
 * for the word or end of file on @quit_fd, then check the pages again.
 * Returns the exit code.
 */
static int run_child(char *base, unsigned int pages, long round,
		     int ready_fd, int quit_fd)
{
	struct page_check res;
	unsigned int bad;
	char byte = 0;

	check_pages(base, pages, round, round, &res);
	bad = res.bad;
	if (write(ready_fd, &byte, 1) != 1 || read(quit_fd, &byte, 1) < 0)
		return CHILD_ERROR;
	check_pages(base, pages, round, round, &res);
	return bad || res.bad ? CHILD_BAD_DATA : CHILD_OK;
}

TEST_F(hugetlb_unshare, unshare_while_lazy)
{
	unsigned int pages = variant->hpages * (HPAGE_SIZE / psize());
	const char *how = variant->dontneed ? "MADV_DONTNEED" : "munmap";
	unsigned int round, prime = 0, remote = 0, local = 0;
	unsigned int outcome[NR_LAZY_IPI] = { 0 };
	unsigned int reruns = 0;
	bool missed, missed_before = false;
	bool counted = tlb_ipis(REMOTE_CPU) >= 0;
	int fd, ready[2], quit[2], ret;
	struct page_check res;
	enum lazy_ipi ipi;
	long before, ipis;
	char byte = 0;
	char *addr, *remap;
	const char *why;
	pid_t pid;

	for (round = 0; round < ROUNDS + reruns; round++) {
		struct sleeper s = {
			.cpu = REMOTE_CPU, .pages = pages,
			.round = round, .want = round,
		};

		fd = memfd_create("tlb_unshare", MFD_HUGETLB);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ftruncate(fd, PUD_SPAN));
		addr = aligned_hole(PUD_SPAN);
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
			_exit(run_child(addr, pages, round, ready[1], quit[0]));
		}
		close(ready[1]);
		close(quit[0]);
		/* Once the child has read the pages, it shares our table. */
		ASSERT_EQ(1, read(ready[0], &byte, 1));
		close(ready[0]);
		ASSERT_EQ(0, sleeper_start(&s));

		before = tlb_ipis(REMOTE_CPU);
		if (variant->dontneed)
			ret = madvise(addr, PUD_SPAN, MADV_DONTNEED);
		else
			ret = munmap(addr, PUD_SPAN);
		ipis = tlb_ipis(REMOTE_CPU) - before;
		ASSERT_EQ(0, ret);
		if (!variant->dontneed)
			remap = map_file(addr, fd);
		ASSERT_EQ(addr, remap);
		missed = false;
		if (counted) {
			ipi = lazy_ipi_outcome(ipis, REMOTE_CPU, s.switch_fd,
					       s.switches);
			missed = ipi == LAZY_IPI_MISSED;
			if (missed)
				TH_LOG("round %u: lazy CPU %d received no TLB shootdown",
				       round, REMOTE_CPU);
			outcome[ipi]++;
		}

		/* The file keeps its pages: they still hold @round. */
		ASSERT_EQ(0, sleeper_wake(&s));
		check_pages(addr, pages, round, round, &res);
		prime += s.prime.bad;
		remote += s.woken.bad;
		local += res.bad;
		ASSERT_EQ(0, munmap(addr, PUD_SPAN));

		ASSERT_EQ(1, write(quit[1], &byte, 1));
		close(quit[1]);
		why = child_failure(pid, "child read wrong data");
		ASSERT_TRUE(!why) {
			TH_LOG("round %u: %s", round, why);
		}
		close(fd);

		if (missed) {
			ASSERT_FALSE(missed_before) {
				TH_LOG("round %u: the rerun missed too", round);
			}
			ASSERT_GT(MAX_RERUNS, reruns) {
				TH_LOG("round %u: %u rounds missed already", round,
				       reruns);
			}
			reruns++;
		}
		missed_before = missed;
	}

	tlb_msg("%u rounds of %u hugepages, %s: CPU %d: %u bad primed, %u bad woken\n",
		ROUNDS + reruns, variant->hpages, how, REMOTE_CPU, prime, remote);
	tlb_msg("%u rounds of %u hugepages, %s: CPU %d: %u bad, every child read the file\n",
		ROUNDS + reruns, variant->hpages, how, MAIN_CPU, local);
	ASSERT_EQ(0, prime);
	ASSERT_EQ(0, remote);
	ASSERT_EQ(0, local);
	if (!counted)
		SKIP(return, "no TLB row in /proc/interrupts: IPIs not checked");
	lazy_ipi_report(ROUNDS + reruns, variant->hpages, outcome);
	tlb_msg("%u rounds missed once and were run again\n", reruns);
	if (!outcome[LAZY_IPI_SEEN])
		SKIP(return, "CPU %d ran other tasks in every round: IPIs not checked",
		     REMOTE_CPU);
}

TEST_HARNESS_MAIN
