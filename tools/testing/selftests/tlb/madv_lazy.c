// SPDX-License-Identifier: GPL-2.0
/*
 * A CPU in lazy TLB mode must catch up with flushes it was spared.
 *
 * A thread on CPU R reads every page of a range, then blocks, leaving CPU R
 * idle and lazy in this mm. The main thread on CPU 0 zaps the range with
 * MADV_DONTNEED: that frees no page table, so the flush may skip lazy CPU
 * 1, which must then flush when the thread wakes on it (tlb_gen check in
 * switch_mm_irqs_off()). Woken, the thread reads every page: anything but
 * zeroes came through a translation that should have been dropped. Ranges
 * of 1 and 16 pages are flushed page by page, 64 pages with a full flush.
 *
 * The range is the only mapping in its PMD range, followed by one more
 * page that is never zapped: MADV_DONTNEED frees a PTE table it empties
 * (CONFIG_PT_RECLAIM), which would send CPU R a shootdown, and the round
 * would not test the catch-up. A round counts only if CPU R stayed lazy in
 * the mm and received no TLB shootdown (see struct lazy_watch); other
 * rounds are run again.
 */
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "tlb_util.h"

/*
 * Rounds per variant in which CPU R stayed lazy and caught up: each fills,
 * primes, zaps and checks the range.
 */
#define ROUNDS		20
#define ANCHOR_ROUND	(-2L)	/* contents of the page behind the range */

FIXTURE(madv_lazy) {
	char *base;
	size_t len;
};

FIXTURE_VARIANT(madv_lazy) {
	unsigned int pages;
};

FIXTURE_VARIANT_ADD(madv_lazy, pages_1) {
	.pages = 1,
};

FIXTURE_VARIANT_ADD(madv_lazy, pages_16) {
	.pages = 16,
};

FIXTURE_VARIANT_ADD(madv_lazy, pages_64) {
	.pages = 64,
};

FIXTURE_SETUP(madv_lazy)
{
	void *addr;

	if (!need_test_cpus())
		SKIP(return, NEED_CPUS_MSG);
	ASSERT_EQ(0, pin_to_cpu(MAIN_CPU));
	self->len = variant->pages * psize();
	addr = pmd_aligned_hole();
	ASSERT_NE(NULL, addr);
	self->base = mmap(addr, self->len + psize(), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			  -1, 0);
	ASSERT_EQ(addr, self->base);
	/* The anchor: keeps the PTE table of the range populated. */
	*page_word(self->base, variant->pages, 0) = ANCHOR_ROUND;
}

FIXTURE_TEARDOWN(madv_lazy)
{
	munmap(self->base, self->len + psize());
}

TEST_F_TIMEOUT(madv_lazy, dontneed_while_lazy, TLB_TEST_TIMEOUT)
{
	unsigned int round, prime = 0, remote = 0, old = 0, local = 0;
	bool counted = tlb_ipis(REMOTE_CPU) >= 0;
	unsigned int lazy = 0, ipis = 0, disturbed = 0;
	struct page_check res;
	enum lazy_verdict v;

	if (!counted)
		SKIP(return, "no TLB row in /proc/interrupts: IPIs not counted");
	for (round = 0; lazy < ROUNDS; round++) {
		struct sleeper s = {
			.cpu = REMOTE_CPU, .base = self->base,
			.pages = variant->pages, .round = round,
			.want = ZERO_ROUND,
		};

		if (disturbed > MAX_DISTURBED) {
			tlb_msg("%u rounds run again, %u of them as CPU %d got a TLB shootdown\n",
				disturbed, ipis, REMOTE_CPU);
			SKIP(return,
			     "CPU %d did not stay lazy without a TLB shootdown in %u rounds: catch-up not tested",
			     REMOTE_CPU, disturbed);
		}
		fill_pages(self->base, variant->pages, round);
		ASSERT_EQ(0, sleeper_start(&s));

		lazy_watch_before(&s.watch);
		ASSERT_EQ(0, madvise(self->base, self->len, MADV_DONTNEED));
		lazy_watch_after(&s.watch);
		v = lazy_watch_verdict(&s.watch);
		/* Only a CPU that got no shootdown had to catch up itself. */
		lazy += v == LAZY_NO_IPI;
		ipis += v == LAZY_IPI;
		disturbed += v != LAZY_NO_IPI;

		ASSERT_EQ(0, sleeper_wake(&s));
		check_pages(self->base, variant->pages, ZERO_ROUND, round, &res);
		prime += s.prime.bad;
		remote += s.woken.bad;
		old += s.woken.old;
		local += res.bad;
	}

	tlb_msg("%u rounds of %u pages: CPU %d: %u bad primed, %u zapped (%u old)\n",
		round, variant->pages, REMOTE_CPU, prime, remote, old);
	tlb_msg("%u rounds of %u pages: CPU %d: %u bad zapped\n",
		round, variant->pages, MAIN_CPU, local);
	tlb_msg("CPU %d stayed lazy and caught up by itself in %u rounds\n",
		REMOTE_CPU, lazy);
	tlb_msg("%u rounds run again, %u of them as CPU %d got a TLB shootdown\n",
		disturbed, ipis, REMOTE_CPU);
	ASSERT_EQ(0, prime);
	ASSERT_EQ(0, remote);
	ASSERT_EQ(0, local);
	ASSERT_EQ(ANCHOR_ROUND, *page_word(self->base, variant->pages, 0));
}

TEST_HARNESS_MAIN
