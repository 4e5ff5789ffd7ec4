// SPDX-License-Identifier: GPL-2.0
/*
 * A CPU in lazy TLB mode must catch up with flushes it was spared.
 *
 * A thread on CPU 1 reads every page of a range, then blocks, leaving CPU 1
 * idle and lazy in this mm. The main thread on CPU 0 zaps the range with
 * MADV_DONTNEED: that frees no page table, so the flush may skip lazy CPU
 * 1, which must then flush when the thread wakes on it (tlb_gen check in
 * switch_mm_irqs_off()). Woken, the thread reads every page: anything but
 * zeroes came through a translation that should have been dropped. Ranges
 * of 1 and 16 pages are flushed page by page, 64 pages with a full flush.
 */
#include "../kselftest_harness.h"
#include "tlb_util.h"

/* Rounds per variant: each fills, primes, zaps and checks the range. */
#define ROUNDS	20

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
	if (!need_cpus(NR_TEST_CPUS))
		SKIP(return, NEED_CPUS_MSG);
	ASSERT_EQ(0, pin_to_cpu(MAIN_CPU));
	self->len = variant->pages * psize();
	self->base = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->base);
}

FIXTURE_TEARDOWN(madv_lazy)
{
	munmap(self->base, self->len);
}

TEST_F(madv_lazy, dontneed_while_lazy)
{
	unsigned int round, prime = 0, remote = 0, old = 0, local = 0;
	bool counted = tlb_ipis(REMOTE_CPU) >= 0;
	long ipis = 0, before;
	struct page_check res;

	for (round = 0; round < ROUNDS; round++) {
		struct sleeper s = {
			.cpu = REMOTE_CPU, .base = self->base,
			.pages = variant->pages, .round = round,
			.want = ZERO_ROUND,
		};

		fill_pages(self->base, variant->pages, round);
		ASSERT_EQ(0, sleeper_start(&s));

		before = tlb_ipis(REMOTE_CPU);
		ASSERT_EQ(0, madvise(self->base, self->len, MADV_DONTNEED));
		ipis += tlb_ipis(REMOTE_CPU) - before;

		ASSERT_EQ(0, sleeper_wake(&s));
		check_pages(self->base, variant->pages, ZERO_ROUND, round, &res);
		prime += s.prime.bad;
		remote += s.woken.bad;
		old += s.woken.old;
		local += res.bad;
	}

	tlb_msg("%u rounds of %u pages: CPU %d: %u bad primed, %u zapped (%u old)\n",
		ROUNDS, variant->pages, REMOTE_CPU, prime, remote, old);
	tlb_msg("%u rounds of %u pages: CPU %d: %u bad zapped\n",
		ROUNDS, variant->pages, MAIN_CPU, local);
	/* Informational: lazy CPU 1 may well have been spared every IPI. */
	if (counted)
		tlb_msg("%u rounds of %u pages: TLB IPIs to lazy CPU %d: %ld\n",
			ROUNDS, variant->pages, REMOTE_CPU, ipis);
	else
		tlb_msg("no TLB row in /proc/interrupts: IPIs not counted\n");
	ASSERT_EQ(0, prime);
	ASSERT_EQ(0, remote);
	ASSERT_EQ(0, local);
}

TEST_HARNESS_MAIN
