// SPDX-License-Identifier: GPL-2.0
/*
 * A flush that frees page tables must reach CPUs in lazy TLB mode too.
 *
 * A thread on CPU R reads every page of a range that is the only mapping
 * in its PMD range, then blocks, leaving CPU R idle and lazy in this mm.
 * The main thread on CPU 0 unmaps the range, which frees its PTE table:
 * CPU R must receive a TLB shootdown IPI for it, as it could otherwise walk
 * the freed table. The range is then mapped again at the same address with
 * new data, and the woken thread must read the new data from every page.
 * Ranges of 1 and 16 pages are flushed page by page, 64 pages with a full
 * flush.
 *
 * A round counts only if CPU R stayed lazy in the mm until the flush (see
 * struct lazy_watch); other rounds are run again. Any counted round in
 * which CPU R received no TLB shootdown fails the test.
 */
#include "../kselftest_harness.h"
#include "tlb_util.h"

/*
 * Rounds per variant in which CPU R stayed lazy: each maps, primes, unmaps
 * and maps again a range.
 */
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
	const char *why;

	if (!need_test_cpus())
		SKIP(return, NEED_CPUS_MSG);
	ASSERT_EQ(0, pin_to_cpu(MAIN_CPU));
	why = ipis_not_counted(REMOTE_CPU);
	if (why)
		SKIP(return, "%s", why);
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

TEST_F_TIMEOUT(ptfree_lazy, munmap_frees_table, TLB_TEST_TIMEOUT)
{
	unsigned int round, prime = 0, remote = 0, old = 0, local = 0;
	size_t len = variant->pages * psize();
	struct lazy_tally tally = { 0 };
	struct page_check res;
	char *addr;

	for (round = 0; tally.rounds < ROUNDS; round++) {
		struct sleeper s = {
			.cpu = REMOTE_CPU, .pages = variant->pages,
			.round = round, .want = REFILL_ROUND(round),
		};

		if (tally.disturbed > MAX_DISTURBED) {
			lazy_tally_report(&tally, "munmap");
			SKIP(return, TOO_DISTURBED_MSG, REMOTE_CPU,
			     tally.disturbed);
		}
		addr = pmd_aligned_hole();
		ASSERT_NE(NULL, addr);
		s.base = map_filled(addr, variant->pages, round);
		ASSERT_EQ(addr, s.base);
		ASSERT_EQ(0, sleeper_start(&s));

		lazy_watch_before(&s.watch);
		ASSERT_EQ(0, munmap(addr, len));
		lazy_watch_after(&s.watch);
		ASSERT_EQ(addr, map_filled(addr, variant->pages,
					   REFILL_ROUND(round)));
		ASSERT_LAZY_IPI(&tally, &s.watch, round);

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
		round, variant->pages, REMOTE_CPU, prime, remote, old);
	tlb_msg("%u rounds of %u pages: CPU %d: %u bad remapped\n",
		round, variant->pages, MAIN_CPU, local);
	lazy_tally_report(&tally, "munmap");
	ASSERT_EQ(0, prime);
	ASSERT_EQ(0, remote);
	ASSERT_EQ(0, local);
}

TEST_HARNESS_MAIN
