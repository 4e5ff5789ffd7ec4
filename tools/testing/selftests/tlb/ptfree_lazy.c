// SPDX-License-Identifier: GPL-2.0
/*
 * A flush that frees page tables must reach CPUs in lazy TLB mode too.
 *
 * A thread on CPU 1 reads every page of a range that is the only mapping
 * in its PMD range, then blocks, leaving CPU 1 idle and lazy in this mm.
 * The main thread on CPU 0 unmaps the range, which frees its PTE table:
 * CPU 1 must receive a TLB shootdown IPI for it, as it could otherwise walk
 * the freed table. The range is then mapped again at the same address with
 * new data, and the woken thread must read the new data from every page.
 * Ranges of 1 and 16 pages are flushed page by page, 64 pages with a full
 * flush.
 */
#include "../kselftest_harness.h"
#include "tlb_util.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

/* Rounds per variant: each maps, primes, unmaps and maps again a range. */
#define ROUNDS	20

FIXTURE(ptfree_lazy) {
};

FIXTURE_VARIANT(ptfree_lazy) {
	unsigned int pages;
};

FIXTURE_VARIANT_ADD(ptfree_lazy, pages_1) {
	.pages = 1,
};

FIXTURE_VARIANT_ADD(ptfree_lazy, pages_16) {
	.pages = 16,
};

FIXTURE_VARIANT_ADD(ptfree_lazy, pages_64) {
	.pages = 64,
};

FIXTURE_SETUP(ptfree_lazy)
{
	if (!need_cpus(NR_TEST_CPUS))
		SKIP(return, NEED_CPUS_MSG);
	ASSERT_EQ(0, pin_to_cpu(MAIN_CPU));
}

FIXTURE_TEARDOWN(ptfree_lazy)
{
}

/* Map @pages pages at @addr, where no other mapping may be, and fill them. */
static char *map_filled(void *addr, unsigned int pages, long round)
{
	char *p;

	p = mmap(addr, pages * psize(), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	fill_pages(p, pages, round);
	return p;
}

TEST_F(ptfree_lazy, munmap_frees_table)
{
	unsigned int round, prime = 0, remote = 0, old = 0, local = 0;
	unsigned int outcome[NR_LAZY_IPI] = { 0 };
	bool counted = tlb_ipis(REMOTE_CPU) >= 0;
	size_t len = variant->pages * psize();
	struct page_check res;
	enum lazy_ipi ipi;
	long before, ipis;
	char *addr;

	for (round = 0; round < ROUNDS; round++) {
		struct sleeper s = {
			.cpu = REMOTE_CPU, .pages = variant->pages,
			.round = round, .want = REFILL_ROUND(round),
		};

		addr = pmd_aligned_hole();
		ASSERT_NE(NULL, addr);
		s.base = map_filled(addr, variant->pages, round);
		ASSERT_EQ(addr, s.base);
		ASSERT_EQ(0, sleeper_start(&s));

		before = tlb_ipis(REMOTE_CPU);
		ASSERT_EQ(0, munmap(addr, len));
		ipis = tlb_ipis(REMOTE_CPU) - before;
		ASSERT_EQ(addr, map_filled(addr, variant->pages,
					   REFILL_ROUND(round)));
		if (counted) {
			ipi = lazy_ipi_outcome(ipis, REMOTE_CPU, s.switch_fd,
					       s.switches);
			if (ipi == LAZY_IPI_MISSED)
				TH_LOG("round %u: lazy CPU %d received no TLB shootdown",
				       round, REMOTE_CPU);
			outcome[ipi]++;
		}

		ASSERT_EQ(0, sleeper_wake(&s));
		check_pages(addr, variant->pages, REFILL_ROUND(round), round,
			    &res);
		prime += s.prime.bad;
		remote += s.woken.bad;
		old += s.woken.old;
		local += res.bad;
		ASSERT_EQ(0, munmap(addr, len));
	}

	tlb_msg("%u rounds of %u pages: CPU %d: %u bad primed, %u remapped (%u old)\n",
		ROUNDS, variant->pages, REMOTE_CPU, prime, remote, old);
	tlb_msg("%u rounds of %u pages: CPU %d: %u bad remapped\n",
		ROUNDS, variant->pages, MAIN_CPU, local);
	ASSERT_EQ(0, prime);
	ASSERT_EQ(0, remote);
	ASSERT_EQ(0, local);
	if (!counted)
		SKIP(return, "no TLB row in /proc/interrupts: IPIs not checked");
	lazy_ipi_report(ROUNDS, variant->pages, outcome);
	ASSERT_EQ(0, outcome[LAZY_IPI_MISSED]);
	if (!outcome[LAZY_IPI_SEEN])
		SKIP(return, "CPU %d ran other tasks in every round: IPIs not checked",
		     REMOTE_CPU);
}

TEST_HARNESS_MAIN
