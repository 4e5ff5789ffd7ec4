// SPDX-License-Identifier: GPL-2.0
/*
 * munmap() must flush every CPU's translations of the range before the
 * pages are freed and reused.
 *
 * A reader thread on CPU R reads every page of a range in passes while the
 * main thread on CPU 0 unmaps the range, tells the reader, and at once maps
 * and fills a new range, which is likely to get the freed pages. A read of
 * the old range that succeeds in a pass the reader began after being told,
 * or that returns the new range's data or anything but the old pattern,
 * went through a translation the flush should have dropped; so does a read
 * CPU 0 can still make. Ranges of 1 and 16 pages are flushed page by page,
 * 64 pages with a full flush.
 */
#include "../kselftest_harness.h"
#include "tlb_util.h"

/* Rounds per variant: each maps, races and unmaps a new range. */
#define ROUNDS	20

struct reader {
	char *base;
	unsigned int pages;
	long round;
	unsigned int stale;	/* reads that succeeded after munmap() */
	unsigned int reused;	/* reads that returned the new range's data */
	unsigned int corrupt;	/* reads that returned anything else */
};

FIXTURE(munmap_race) {
};

FIXTURE_VARIANT(munmap_race) {
	unsigned int pages;
};

FIXTURE_VARIANT_ADD(munmap_race, pages_1) {
	.pages = 1,
};

FIXTURE_VARIANT_ADD(munmap_race, pages_16) {
	.pages = 16,
};

FIXTURE_VARIANT_ADD(munmap_race, pages_64) {
	.pages = 64,
};

FIXTURE_SETUP(munmap_race)
{
	if (!need_test_cpus())
		SKIP(return, NEED_CPUS_MSG);
	ASSERT_EQ(0, pin_to_cpu(MAIN_CPU));
	ASSERT_EQ(0, install_fault_handler());
}

FIXTURE_TEARDOWN(munmap_race)
{
}

/* One pass of the reader: try every word of every page, faults or not. */
static void read_pass(void *arg, bool after)
{
	struct reader *rd = arg;
	unsigned long page, val;
	int word;

	for (page = 0; page < rd->pages; page++) {
		for (word = 0; word < PAGE_WORDS; word++) {
			if (!try_read(page_word(rd->base, page, word), &val))
				continue;
			if (after)
				rd->stale++;
			if (val == pattern(REFILL_ROUND(rd->round), page))
				rd->reused++;
			else if (val != pattern(rd->round, page))
				rd->corrupt++;
		}
	}
}

TEST_F_TIMEOUT(munmap_race, read_after_munmap, TLB_TEST_TIMEOUT)
{
	unsigned int round, stale = 0, reused = 0, corrupt = 0, local = 0;
	size_t len = variant->pages * psize();
	unsigned long page, val;
	char *fresh;
	int word;

	for (round = 0; round < ROUNDS; round++) {
		struct reader rd = { .pages = variant->pages, .round = round };
		struct racer r = {
			.cpu = REMOTE_CPU, .pass = read_pass, .arg = &rd,
		};

		rd.base = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, rd.base);
		fill_pages(rd.base, variant->pages, round);
		/* Reserve the new range now: it must not reuse the old one's addresses. */
		fresh = mmap(NULL, len, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		ASSERT_NE(MAP_FAILED, fresh);

		ASSERT_EQ(0, racer_start(&r));
		ASSERT_EQ(0, racer_wait(&r, PRIME_PASSES));
		ASSERT_EQ(0, munmap(rd.base, len));
		racer_publish(&r);
		ASSERT_EQ(fresh, mmap(fresh, len, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				      -1, 0));
		fill_pages(fresh, variant->pages, REFILL_ROUND(round));

		for (page = 0; page < variant->pages; page++)
			for (word = 0; word < PAGE_WORDS; word++)
				local += try_read(page_word(rd.base, page, word),
						  &val);
		ASSERT_EQ(0, racer_join(&r));

		stale += rd.stale;
		reused += rd.reused;
		corrupt += rd.corrupt;
		ASSERT_EQ(0, munmap(fresh, len));
	}

	tlb_msg("%u rounds of %u pages: CPU %d: %u stale reads, %u new data, %u bad\n",
		ROUNDS, variant->pages, REMOTE_CPU, stale, reused, corrupt);
	tlb_msg("%u rounds of %u pages: CPU %d: %u reads of unmapped pages\n",
		ROUNDS, variant->pages, MAIN_CPU, local);
	ASSERT_EQ(0, stale);
	ASSERT_EQ(0, reused);
	ASSERT_EQ(0, corrupt);
	ASSERT_EQ(0, local);
}

TEST_HARNESS_MAIN
