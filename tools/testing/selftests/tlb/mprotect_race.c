// SPDX-License-Identifier: GPL-2.0
/*
 * mprotect(PROT_READ) must flush every CPU's writable translations before
 * it returns.
 *
 * A writer thread on CPU R writes to every page of a range in passes while
 * the main thread on CPU 0 write-protects the range, then tells the writer.
 * A write that succeeds in a pass the writer began after being told used a
 * translation the flush should have dropped; so does a change of the memory
 * after mprotect() returned, or a write CPU 0 can still make. Ranges of 1
 * and 16 pages are flushed page by page, 64 pages with a full flush.
 */
#include "../kselftest_harness.h"
#include "tlb_util.h"

/* Rounds per variant: each maps, races and write-protects a new range. */
#define ROUNDS	20

struct writer {
	char *base;
	unsigned int pages;
	unsigned long pass;	/* selects the values the pass writes */
	unsigned int stale;	/* writes that succeeded after mprotect() */
};

FIXTURE(mprotect_race) {
};

FIXTURE_VARIANT(mprotect_race) {
	unsigned int pages;
};

FIXTURE_VARIANT_ADD(mprotect_race, pages_1) {
	.pages = 1,
};

FIXTURE_VARIANT_ADD(mprotect_race, pages_16) {
	.pages = 16,
};

FIXTURE_VARIANT_ADD(mprotect_race, pages_64) {
	.pages = 64,
};

FIXTURE_SETUP(mprotect_race)
{
	if (!need_test_cpus())
		SKIP(return, NEED_CPUS_MSG);
	ASSERT_EQ(0, pin_to_cpu(MAIN_CPU));
	ASSERT_EQ(0, install_fault_handler());
}

FIXTURE_TEARDOWN(mprotect_race)
{
}

/* One pass of the writer: try every word of every page, faults or not. */
static void write_pass(void *arg, bool after)
{
	struct writer *wr = arg;
	unsigned long page;
	int word;

	wr->pass++;
	for (page = 0; page < wr->pages; page++)
		for (word = 0; word < PAGE_WORDS; word++)
			if (try_write(page_word(wr->base, page, word),
				      pattern(wr->pass, page)) && after)
				wr->stale++;
}

TEST_F_TIMEOUT(mprotect_race, write_after_mprotect, TLB_TEST_TIMEOUT)
{
	unsigned long snap[MAX_PAGES][PAGE_WORDS];
	unsigned int round, stale = 0, changed = 0, local = 0;
	size_t len = variant->pages * psize();
	unsigned long page;
	bool diff, hit;
	int word;

	ASSERT_LE(variant->pages, MAX_PAGES);
	for (round = 0; round < ROUNDS; round++) {
		struct writer wr = { .pages = variant->pages };
		struct racer r = {
			.cpu = REMOTE_CPU, .pass = write_pass, .arg = &wr,
		};

		wr.base = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, wr.base);
		fill_pages(wr.base, variant->pages, round);

		ASSERT_EQ(0, racer_start(&r));
		ASSERT_EQ(0, racer_wait(&r, PRIME_PASSES));
		ASSERT_EQ(0, mprotect(wr.base, len, PROT_READ));
		for (page = 0; page < variant->pages; page++)
			for (word = 0; word < PAGE_WORDS; word++)
				snap[page][word] =
					*page_word(wr.base, page, word);
		racer_publish(&r);

		/* Writing back what is there must still fault on CPU 0. */
		for (page = 0; page < variant->pages; page++) {
			hit = false;
			for (word = 0; word < PAGE_WORDS; word++)
				hit |= try_write(page_word(wr.base, page, word),
						 snap[page][word]);
			local += hit;
		}
		ASSERT_EQ(0, racer_join(&r));

		for (page = 0; page < variant->pages; page++) {
			diff = false;
			for (word = 0; word < PAGE_WORDS; word++)
				diff |= *page_word(wr.base, page, word) !=
					snap[page][word];
			changed += diff;
		}
		stale += wr.stale;
		ASSERT_EQ(0, munmap(wr.base, len));
	}

	tlb_msg("%u rounds of %u pages: %u stale writes on CPU %d, %u pages changed\n",
		ROUNDS, variant->pages, stale, REMOTE_CPU, changed);
	tlb_msg("%u rounds of %u pages: %u pages still writable on CPU %d\n",
		ROUNDS, variant->pages, local, MAIN_CPU);
	ASSERT_EQ(0, stale);
	ASSERT_EQ(0, changed);
	ASSERT_EQ(0, local);
}

TEST_HARNESS_MAIN
