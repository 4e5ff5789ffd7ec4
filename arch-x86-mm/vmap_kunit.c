// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for freeing the page tables that huge vmap mappings replace.
 *
 * A kernel virtual range is mapped with 4 KiB pages, so PTE tables (and
 * for the 1 GiB case a PMD table) exist under it, and unmapped; unmapping
 * keeps the tables.  vmap_page_range() then maps the range again with
 * 2 MiB or 1 GiB pages, which detaches those tables and frees them.
 *
 * Nothing is stubbed: the tests watch the kernel's own flush and free.
 * The flush is counted with the DEBUG_TLBFLUSH vm events, the frees with
 * a probe on the mm_page_free tracepoint.  When a detached table is
 * freed, the probe checks that every online CPU has run a full TLB flush
 * since the remap began (NR_TLB_REMOTE_FLUSH_RECEIVED, counted by
 * do_flush_tlb_all() on each CPU): a range flush with INVLPG would leave
 * other PCIDs' paging-structure caches pointing to the table.
 *
 * Two more cases map over a live huge mapping, where a page table is
 * expected, and check that the walk warns once, fails with -EEXIST and
 * changes nothing.  The warning is expected: KUnit suppresses it.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>
#include <trace/events/kmem.h>
#include <asm/tlbflush.h>

struct vmap_case {
	const char *name;
	unsigned long size;	/* of the mapping */
	unsigned long huge;	/* PMD_SIZE or PUD_SIZE */
};

static const struct vmap_case vmap_cases[] = {
	{ "1 PMD", PMD_SIZE, PMD_SIZE },
	{ "8 PMDs", 8 * PMD_SIZE, PMD_SIZE },
	{ "1 PUD", PUD_SIZE, PUD_SIZE },
};

static void vmap_case_desc(const struct vmap_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vmap_case, vmap_cases, vmap_case_desc);

/* A detached table, as the mm_page_free probe saw it. */
enum table_state {
	TABLE_LIVE,
	TABLE_FREED,		/* after every CPU flushed */
	TABLE_FREED_EARLY,	/* before every CPU flushed */
};

struct vmap_ctx {
	unsigned long *pfns;	/* of the tables the remap must detach */
	u8 *state;		/* enum table_state, one per table */
	unsigned int nr_tables;
	unsigned long *received; /* per CPU, before the remap */
	unsigned long started;	/* all CPUs' NR_TLB_REMOTE_FLUSH, before */
};

static unsigned long vmap_event(int cpu, enum vm_event_item item)
{
	return READ_ONCE(per_cpu(vm_event_states, cpu).event[item]);
}

static unsigned long vmap_all_events(enum vm_event_item item)
{
	unsigned long n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += vmap_event(cpu, item);
	return n;
}

static void vmap_snapshot(struct vmap_ctx *ctx)
{
	int cpu;

	for_each_possible_cpu(cpu)
		ctx->received[cpu] = vmap_event(cpu, NR_TLB_REMOTE_FLUSH_RECEIVED);
	ctx->started = vmap_all_events(NR_TLB_REMOTE_FLUSH);
}

/*
 * Has every CPU dropped its whole TLB, paging-structure caches of every
 * PCID included, since vmap_snapshot()?  do_flush_tlb_all() counts one
 * event on each CPU it runs on.  With INVLPGB, flush_tlb_all() flushes
 * every CPU without an IPI: only the flush it started can be counted.
 */
static bool vmap_flushed_everywhere(struct vmap_ctx *ctx)
{
	int cpu;

	if (cpu_feature_enabled(X86_FEATURE_INVLPGB))
		return vmap_all_events(NR_TLB_REMOTE_FLUSH) != ctx->started;

	for_each_online_cpu(cpu)
		if (vmap_event(cpu, NR_TLB_REMOTE_FLUSH_RECEIVED) ==
		    ctx->received[cpu])
			return false;
	return true;
}

static void vmap_probe_page_free(void *data, struct page *page,
				 unsigned int order)
{
	struct vmap_ctx *ctx = data;
	unsigned long pfn = page_to_pfn(page);
	unsigned int i;

	for (i = 0; i < ctx->nr_tables; i++) {
		if (ctx->pfns[i] != pfn)
			continue;
		/* Only the first free counts: the page may be reused. */
		if (READ_ONCE(ctx->state[i]) != TABLE_LIVE)
			return;
		WRITE_ONCE(ctx->state[i], vmap_flushed_everywhere(ctx) ?
			   TABLE_FREED : TABLE_FREED_EARLY);
		return;
	}
}

/* Physically contiguous memory, aligned to its size. */
static struct page *vmap_test_alloc(unsigned long size)
{
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;

	if (IS_ENABLED(CONFIG_CONTIG_ALLOC))
		return alloc_contig_pages(size >> PAGE_SHIFT, gfp,
					  first_online_node, NULL);
	if (get_order(size) > MAX_PAGE_ORDER)
		return NULL;
	return alloc_pages(gfp, get_order(size));
}

static void vmap_test_free(struct page *page, unsigned long size)
{
	if (IS_ENABLED(CONFIG_CONTIG_ALLOC))
		free_contig_range(page_to_pfn(page), size >> PAGE_SHIFT);
	else
		__free_pages(page, get_order(size));
}

struct vmap_mem {
	struct page *page;
	unsigned long size;
};

static void vmap_free_mem_action(void *data)
{
	struct vmap_mem *m = data;

	vmap_test_free(m->page, m->size);
}

static void vmap_free_area_action(void *area)
{
	free_vm_area(area);
}

/* Memory for a case, released when the case ends; skips if there is none. */
static struct page *vmap_get_mem(struct kunit *test, unsigned long size)
{
	struct vmap_mem *mem;
	struct page *page;
	int ret;

	mem = kunit_kzalloc(test, sizeof(*mem), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mem);
	page = vmap_test_alloc(size);
	if (!page)
		kunit_skip(test, "cannot allocate %lu MiB of contiguous memory%s",
			   size >> 20, IS_ENABLED(CONFIG_CONTIG_ALLOC) ? "" :
			   " (CONFIG_CONTIG_ALLOC is off)");
	*mem = (struct vmap_mem){ .page = page, .size = size };
	ret = kunit_add_action_or_reset(test, vmap_free_mem_action, mem);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return page;
}

/* Kernel virtual space for @size at @align, released when the case ends. */
static unsigned long vmap_get_va(struct kunit *test, unsigned long size,
				 unsigned long align)
{
	struct vm_struct *area;
	int ret;

	area = get_vm_area(size + align, VM_IOREMAP);
	if (!area)
		kunit_skip(test, "no %lu MiB of kernel virtual space",
			   (size + align) >> 20);
	ret = kunit_add_action_or_reset(test, vmap_free_area_action, area);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return ALIGN((unsigned long)area->addr, align);
}

static pud_t *vmap_pud(unsigned long addr)
{
	return pud_offset(p4d_offset(pgd_offset_k(addr), addr), addr);
}

/* The word the test stores in each page: its offset depends on the page. */
static unsigned long vmap_word_offset(unsigned long pfn)
{
	return (pfn % (PAGE_SIZE / sizeof(u64))) * sizeof(u64);
}

static u64 vmap_word(unsigned long pfn)
{
	return ((u64)pfn << 12) ^ 0x5a5aa5a5c3c33c3cULL;
}

/* Note the page tables under [addr, end). */
static void vmap_collect_tables(struct kunit *test, struct vmap_ctx *ctx,
				unsigned long addr, unsigned long end,
				unsigned long huge)
{
	unsigned long a;

	if (huge == PUD_SIZE) {
		pud_t *pud = vmap_pud(addr);

		KUNIT_ASSERT_TRUE(test, pud_present(*pud) && !pud_leaf(*pud));
		ctx->pfns[ctx->nr_tables++] = PHYS_PFN(__pa(pud_pgtable(*pud)));
	}
	for (a = addr; a < end; a += PMD_SIZE) {
		pmd_t *pmd = pmd_off_k(a);

		KUNIT_ASSERT_TRUE(test, pmd_present(*pmd) && !pmd_leaf(*pmd));
		ctx->pfns[ctx->nr_tables++] = pmd_pfn(*pmd);
	}
}

static bool vmap_mapped_huge(unsigned long addr, unsigned long end,
			     unsigned long huge)
{
	unsigned long a;

	if (huge == PUD_SIZE)
		return pud_leaf(*vmap_pud(addr));
	for (a = addr; a < end; a += PMD_SIZE)
		if (!pmd_leaf(*pmd_off_k(a)))
			return false;
	return true;
}

static bool vmap_huge_supported(unsigned long huge)
{
	if (huge == PUD_SIZE && !arch_vmap_pud_supported(PAGE_KERNEL))
		return false;
	return arch_vmap_pmd_supported(PAGE_KERNEL);
}

static unsigned int vmap_count_state(struct vmap_ctx *ctx, u8 state)
{
	unsigned int i, n = 0;

	for (i = 0; i < ctx->nr_tables; i++)
		n += READ_ONCE(ctx->state[i]) == state;
	return n;
}

/*
 * A task switched out during a counted window lets other tasks run on
 * this CPU, and their flushes add to the count: retry that many times.
 */
#define VMAP_TRIES 5

static unsigned long vmap_switches(void)
{
	return READ_ONCE(current->nvcsw) + READ_ONCE(current->nivcsw);
}

static void vmap_remap_huge(struct kunit *test)
{
	const struct vmap_case *c = test->param_value;
	unsigned long pfn, nr = c->size >> PAGE_SHIFT;
	unsigned long addr, end, i, bad = 0, flushes, received, switches;
	unsigned int early, live;
	struct vmap_ctx *ctx;
	struct page *page;
	phys_addr_t phys;
	int ret, wait, try;

	if (!vmap_huge_supported(c->huge))
		kunit_skip(test, "the CPU has no %lu MiB pages", c->huge >> 20);

	page = vmap_get_mem(test, c->size);
	pfn = page_to_pfn(page);
	phys = PFN_PHYS(pfn);

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->pfns = kunit_kcalloc(test, 1 + c->size / PMD_SIZE,
				  sizeof(*ctx->pfns), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->pfns);
	ctx->state = kunit_kcalloc(test, 1 + c->size / PMD_SIZE,
				   sizeof(*ctx->state), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->state);
	ctx->received = kunit_kcalloc(test, nr_cpu_ids,
				      sizeof(*ctx->received), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->received);

	addr = vmap_get_va(test, c->size, c->huge);
	end = addr + c->size;

	for (i = 0; i < nr; i++)
		*(u64 *)(page_address(pfn_to_page(pfn + i)) +
			 vmap_word_offset(pfn + i)) = vmap_word(pfn + i);

	for (try = 1; ; try++) {
		ctx->nr_tables = 0;
		memset(ctx->state, TABLE_LIVE, 1 + c->size / PMD_SIZE);

		/*
		 * 4 KiB pages: the physical address is one page off 2 MiB
		 * alignment.  The PTE tables stay when the range is unmapped.
		 */
		ret = vmap_page_range(addr, end - PAGE_SIZE, phys + PAGE_SIZE,
				      PAGE_KERNEL);
		KUNIT_ASSERT_EQ(test, ret, 0);
		vunmap_range(addr, end - PAGE_SIZE);
		vmap_collect_tables(test, ctx, addr, end, c->huge);

		ret = register_trace_mm_page_free(vmap_probe_page_free, ctx);
		KUNIT_ASSERT_EQ(test, ret, 0);

		vmap_snapshot(ctx);
		/* Count the full flushes this task starts, on this CPU. */
		migrate_disable();
		switches = vmap_switches();
		flushes = this_cpu_read(vm_event_states.event[NR_TLB_REMOTE_FLUSH]);
		received = this_cpu_read(vm_event_states.event[NR_TLB_REMOTE_FLUSH_RECEIVED]);
		ret = vmap_page_range(addr, end, phys, PAGE_KERNEL);
		flushes = this_cpu_read(vm_event_states.event[NR_TLB_REMOTE_FLUSH]) -
			  flushes;
		received = this_cpu_read(vm_event_states.event[NR_TLB_REMOTE_FLUSH_RECEIVED]) -
			   received;
		switches = vmap_switches() - switches;
		migrate_enable();

		/* ASYNC_KERNEL_PGTABLE_FREE frees kernel page tables from a work. */
		for (wait = 0; wait < 100 && vmap_count_state(ctx, TABLE_LIVE); wait++)
			msleep(20);

		unregister_trace_mm_page_free(vmap_probe_page_free, ctx);
		tracepoint_synchronize_unregister();

		/*
		 * Another task that ran on this CPU while the remap slept
		 * may have flushed too: that only adds to the count.
		 */
		if (ret || flushes <= 1 || !switches)
			break;
		kunit_info(test, "try %d: %lu full flushes, %lu context switches during the remap\n",
			   try, flushes, switches);
		vunmap_range(addr, end);
		if (try == VMAP_TRIES)
			kunit_skip(test, "other tasks flushed on this CPU, %d tries",
				   VMAP_TRIES);
	}

	early = vmap_count_state(ctx, TABLE_FREED_EARLY);
	live = vmap_count_state(ctx, TABLE_LIVE);
	kunit_info(test, "remap of %lu PMDs detached %u tables: %lu full flushes started, %lu received on this CPU, %u CPUs online\n",
		   c->size / PMD_SIZE, ctx->nr_tables, flushes, received,
		   num_online_cpus());

	KUNIT_EXPECT_EQ(test, ret, 0);
	/*
	 * Nothing freed, nothing flushed, no huge mapping: the kernel mapped
	 * small pages (nohugeiomap, ptdump holding init_mm's lock, MTRRs
	 * that forbid a huge mapping).  That proves nothing either way.
	 */
	if (!ret && !flushes && live == ctx->nr_tables &&
	    !vmap_mapped_huge(addr, end, c->huge))
		kunit_skip(test, "the range was not mapped with %lu MiB pages",
			   c->huge >> 20);

	KUNIT_EXPECT_TRUE_MSG(test, vmap_mapped_huge(addr, end, c->huge),
			      "the range is not mapped with %lu MiB pages",
			      c->huge >> 20);
	KUNIT_EXPECT_EQ_MSG(test, flushes, 1,
			    "full TLB flushes (flush_tlb_all()) for the whole remap");
	KUNIT_EXPECT_EQ_MSG(test, early, 0,
			    "of %u detached tables, freed before every CPU flushed its TLB",
			    ctx->nr_tables);
	KUNIT_EXPECT_EQ_MSG(test, live, 0,
			    "of %u detached tables, not freed (leaked)",
			    ctx->nr_tables);

	if (!ret) {
		for (i = 0; i < nr; i++)
			if (READ_ONCE(*(u64 *)(addr + i * PAGE_SIZE +
					       vmap_word_offset(pfn + i))) !=
			    vmap_word(pfn + i))
				bad++;
		KUNIT_EXPECT_EQ_MSG(test, bad, 0,
				    "pages that read back other data");
	}
	vunmap_range(addr, end);
}

/*
 * Map over a live 2 MiB mapping, where the walk expects a page table: at
 * the PMD itself, or inside the PMD table under a 1 GiB remap.  The walk
 * must fail with -EEXIST and leave everything as it was.
 */
struct vmap_leaf_case {
	const char *name;
	unsigned long huge;	/* of the remap that finds the leaf */
};

static const struct vmap_leaf_case vmap_leaf_cases[] = {
	{ "PMD leaf under a 2 MiB remap", PMD_SIZE },
	{ "PMD leaf under a 1 GiB remap", PUD_SIZE },
};

static void vmap_leaf_case_desc(const struct vmap_leaf_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vmap_leaf_case, vmap_leaf_cases, vmap_leaf_case_desc);

static void vmap_leaf_refused(struct kunit *test)
{
	const struct vmap_leaf_case *c = test->param_value;
	unsigned long addr, flushes, ref, switches;
	struct page *page;
	pmd_t *pmdp, pmd;
	pud_t pud;
	int ret, try, warnings = 0;

	if (!vmap_huge_supported(c->huge))
		kunit_skip(test, "the CPU has no %lu MiB pages", c->huge >> 20);

	page = vmap_get_mem(test, PMD_SIZE);
	addr = vmap_get_va(test, c->huge, c->huge);

	ret = vmap_page_range(addr, addr + PMD_SIZE, page_to_phys(page),
			      PAGE_KERNEL);
	KUNIT_ASSERT_EQ(test, ret, 0);
	pmdp = pmd_off_k(addr);
	pmd = *pmdp;
	pud = *vmap_pud(addr);
	if (!pmd_leaf(pmd)) {
		vunmap_range(addr, addr + PMD_SIZE);
		kunit_skip(test, "the range was not mapped with 2 MiB pages");
	}

	/*
	 * A walk that takes the leaf for a page table frees its first page:
	 * hold a reference, so that such a free only drops it.
	 */
	page_ref_inc(page);

	for (try = 1; ; try++) {
		/* The detach warns: a live mapping there is a caller's bug. */
		kunit_warning_suppress(test) {
			migrate_disable();
			switches = vmap_switches();
			flushes = this_cpu_read(vm_event_states.event[NR_TLB_REMOTE_FLUSH]);
			/*
			 * The physical address of the remap never gets
			 * mapped if all is well.
			 */
			ret = vmap_page_range(addr, addr + c->huge,
					      ALIGN_DOWN(page_to_phys(page), c->huge),
					      PAGE_KERNEL);
			flushes = this_cpu_read(vm_event_states.event[NR_TLB_REMOTE_FLUSH]) -
				  flushes;
			switches = vmap_switches() - switches;
			migrate_enable();
			warnings = KUNIT_SUPPRESSED_WARNING_COUNT();
		}

		/* Refused and nothing changed: the same call can run again. */
		if (ret != -EEXIST || !flushes || !switches ||
		    page_ref_count(page) != 2 ||
		    pud_val(*vmap_pud(addr)) != pud_val(pud) ||
		    pmd_val(*pmdp) != pmd_val(pmd))
			break;
		kunit_info(test, "try %d: %lu full flushes, %lu context switches during the remap\n",
			   try, flushes, switches);
		if (try == VMAP_TRIES) {
			page_ref_dec(page);
			vunmap_range(addr, addr + c->huge);
			kunit_skip(test, "other tasks flushed on this CPU, %d tries",
				   VMAP_TRIES);
		}
	}

	ref = page_ref_count(page);
	/* Drop the test's reference, unless a bad walk dropped it already. */
	if (ref == 2)
		page_ref_dec(page);

	KUNIT_EXPECT_EQ_MSG(test, ret, -EEXIST,
			    "mapping over a live 2 MiB mapping");
	KUNIT_EXPECT_EQ_MSG(test, warnings, 1,
			    "warnings for mapping over a live 2 MiB mapping");
	KUNIT_EXPECT_EQ_MSG(test, ref, 2,
			    "references to the first page of the live mapping");
	KUNIT_EXPECT_EQ_MSG(test, flushes, 0, "full TLB flushes");
	KUNIT_EXPECT_EQ_MSG(test, pud_val(*vmap_pud(addr)), pud_val(pud),
			    "the PUD entry changed");
	if (pud_val(*vmap_pud(addr)) == pud_val(pud))
		KUNIT_EXPECT_EQ_MSG(test, pmd_val(*pmdp), pmd_val(pmd),
				    "the live PMD entry changed");

	vunmap_range(addr, addr + c->huge);
}

static struct kunit_case vmap_test_cases[] = {
	KUNIT_CASE_PARAM(vmap_remap_huge, vmap_case_gen_params),
	KUNIT_CASE_PARAM(vmap_leaf_refused, vmap_leaf_case_gen_params),
	{}
};

static struct kunit_suite vmap_test_suite = {
	.name = "x86_vmap_huge",
	.test_cases = vmap_test_cases,
};

kunit_test_suite(vmap_test_suite);

MODULE_DESCRIPTION("KUnit tests for page tables freed under huge vmap mappings");
MODULE_LICENSE("GPL");
