// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for freeing the page tables that huge vmap mappings replace.
 *
 * A kernel virtual range is mapped with 4 KiB pages, so PTE tables (and for
 * the 1 GiB case a PMD table) exist under it, and unmapped; unmapping keeps
 * the tables.  vmap_page_range() then maps the range again with 2 MiB or
 * 1 GiB pages, which detaches those tables.  The tests check that the
 * whole call makes one kernel TLB flush, that no detached table is freed
 * before it and every one is freed after it, and that the new mapping
 * reads the memory it maps.
 *
 * flush_tlb_kernel_pgtables() is replaced, for the test's task only, by a
 * stub that counts the flushes and does the same full flush on all CPUs.  The
 * test holds an extra reference on each table it expects to be detached:
 * freeing the table drops the page's count from 2 to 1, and the test frees
 * the page for good when it drops its own reference.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/vmalloc.h>
#include <asm/hardirq.h>
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

struct vmap_ctx {
	struct page **tables;	/* the tables the remap must detach */
	unsigned int nr_tables;
	unsigned int flushes;	/* calls to flush_tlb_kernel_pgtables() */
	unsigned int freed_early; /* tables already freed at a flush */
	unsigned long flush_start, flush_end;
};

static void stub_flush_tlb_kernel_pgtables(unsigned long start,
					   unsigned long end)
{
	struct kunit *test = kunit_get_current_test();
	struct vmap_ctx *ctx = test->priv;
	unsigned int i;

	ctx->flushes++;
	ctx->flush_start = start;
	ctx->flush_end = end;
	for (i = 0; i < ctx->nr_tables; i++)
		if (page_ref_count(ctx->tables[i]) != 2)
			ctx->freed_early++;
	flush_tlb_all();
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

/* Undo what the test set up, also when an assertion ends it early. */
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

/* The word the test stores in each page: its offset depends on the page. */
static unsigned long vmap_word_offset(unsigned long pfn)
{
	return (pfn % (PAGE_SIZE / sizeof(u64))) * sizeof(u64);
}

static u64 vmap_word(unsigned long pfn)
{
	return ((u64)pfn << 12) ^ 0x5a5aa5a5c3c33c3cULL;
}

static unsigned int vmap_call_ipis(void)
{
	unsigned int cpu, n = 0;

	for_each_online_cpu(cpu)
		n += per_cpu(irq_stat, cpu).irq_call_count;
	return n;
}

/* Note the page tables under [addr, end) and take a reference on each. */
static void vmap_collect_tables(struct kunit *test, struct vmap_ctx *ctx,
				unsigned long addr, unsigned long end,
				unsigned long huge)
{
	unsigned long a;

	if (huge == PUD_SIZE) {
		pud_t *pud = pud_offset(p4d_offset(pgd_offset_k(addr), addr),
					addr);

		KUNIT_ASSERT_TRUE(test, pud_present(*pud) && !pud_leaf(*pud));
		ctx->tables[ctx->nr_tables++] = virt_to_page(pud_pgtable(*pud));
	}
	for (a = addr; a < end; a += PMD_SIZE) {
		pmd_t *pmd = pmd_off_k(a);

		KUNIT_ASSERT_TRUE(test, pmd_present(*pmd) && !pmd_leaf(*pmd));
		ctx->tables[ctx->nr_tables++] = pmd_page(*pmd);
	}
	for (a = 0; a < ctx->nr_tables; a++)
		page_ref_inc(ctx->tables[a]);
}

static bool vmap_mapped_huge(unsigned long addr, unsigned long end,
			     unsigned long huge)
{
	unsigned long a;

	if (huge == PUD_SIZE)
		return pud_leaf(*pud_offset(p4d_offset(pgd_offset_k(addr), addr),
					    addr));
	for (a = addr; a < end; a += PMD_SIZE)
		if (!pmd_leaf(*pmd_off_k(a)))
			return false;
	return true;
}

static void vmap_remap_huge(struct kunit *test)
{
	const struct vmap_case *c = test->param_value;
	unsigned long pfn, nr = c->size >> PAGE_SHIFT;
	struct vmap_mem *mem;
	unsigned long addr, end, i, bad = 0, leaked = 0;
	unsigned int ipis;
	struct vm_struct *area;
	struct vmap_ctx *ctx;
	struct page *page;
	phys_addr_t phys;
	int ret;

	if (c->huge == PUD_SIZE && !arch_vmap_pud_supported(PAGE_KERNEL))
		kunit_skip(test, "the CPU has no 1 GiB pages");
	if (!arch_vmap_pmd_supported(PAGE_KERNEL))
		kunit_skip(test, "the CPU has no 2 MiB pages");

	mem = kunit_kzalloc(test, sizeof(*mem), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mem);
	page = vmap_test_alloc(c->size);
	if (!page)
		kunit_skip(test, "cannot allocate %lu MiB of contiguous memory%s",
			   c->size >> 20, IS_ENABLED(CONFIG_CONTIG_ALLOC) ? "" :
			   " (CONFIG_CONTIG_ALLOC is off)");
	*mem = (struct vmap_mem){ .page = page, .size = c->size };
	ret = kunit_add_action_or_reset(test, vmap_free_mem_action, mem);
	KUNIT_ASSERT_EQ(test, ret, 0);
	pfn = page_to_pfn(page);
	phys = PFN_PHYS(pfn);

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->tables = kunit_kcalloc(test, 1 + c->size / PMD_SIZE,
				    sizeof(*ctx->tables), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->tables);
	test->priv = ctx;

	area = get_vm_area(c->size + c->huge, VM_IOREMAP);
	if (!area)
		kunit_skip(test, "no %lu MiB of kernel virtual space",
			   (c->size + c->huge) >> 20);
	ret = kunit_add_action_or_reset(test, vmap_free_area_action, area);
	KUNIT_ASSERT_EQ(test, ret, 0);
	addr = ALIGN((unsigned long)area->addr, c->huge);
	end = addr + c->size;

	for (i = 0; i < nr; i++)
		*(u64 *)(page_address(pfn_to_page(pfn + i)) +
			 vmap_word_offset(pfn + i)) = vmap_word(pfn + i);

	/*
	 * 4 KiB pages: the physical address is one page off 2 MiB alignment.
	 * The PTE tables stay when the range is unmapped.
	 */
	ret = vmap_page_range(addr, end - PAGE_SIZE, phys + PAGE_SIZE,
			      PAGE_KERNEL);
	KUNIT_ASSERT_EQ(test, ret, 0);
	vunmap_range(addr, end - PAGE_SIZE);
	vmap_collect_tables(test, ctx, addr, end, c->huge);

	kunit_activate_static_stub(test, flush_tlb_kernel_pgtables,
				   stub_flush_tlb_kernel_pgtables);
	ipis = vmap_call_ipis();
	ret = vmap_page_range(addr, end, phys, PAGE_KERNEL);
	ipis = vmap_call_ipis() - ipis;
	kunit_deactivate_static_stub(test, flush_tlb_kernel_pgtables);

	kunit_info(test, "remap of %lu PMDs detached %u tables: %u kernel TLB flushes, %u call-function IPIs received, %u CPUs online\n",
		   c->size / PMD_SIZE, ctx->nr_tables, ctx->flushes, ipis,
		   num_online_cpus());

	KUNIT_EXPECT_EQ(test, ret, 0);
	/*
	 * Nothing detached, nothing flushed, no huge mapping: the kernel
	 * mapped small pages (nohugeiomap, ptdump holding init_mm's lock,
	 * MTRRs that forbid a huge mapping).  Nothing to check.
	 */
	if (!ret && !ctx->flushes && !vmap_mapped_huge(addr, end, c->huge)) {
		for (i = 0; i < ctx->nr_tables; i++)
			page_ref_dec(ctx->tables[i]);
		kunit_skip(test, "the range was not mapped with %lu MiB pages",
			   c->huge >> 20);
	}
	KUNIT_EXPECT_TRUE_MSG(test, vmap_mapped_huge(addr, end, c->huge),
			      "the range is not mapped with %lu MiB pages",
			      c->huge >> 20);
	KUNIT_EXPECT_EQ_MSG(test, ctx->flushes, 1,
			    "kernel TLB flushes for the whole remap");
	KUNIT_EXPECT_LE(test, ctx->flush_start, addr);
	KUNIT_EXPECT_GE(test, ctx->flush_end, end);
	KUNIT_EXPECT_EQ_MSG(test, ctx->freed_early, 0,
			    "detached tables freed before the TLB flush");

	for (i = 0; i < ctx->nr_tables; i++) {
		if (page_ref_count(ctx->tables[i]) != 1)
			leaked++;
		/* Frees the table for good, or only drops the test's reference. */
		__free_page(ctx->tables[i]);
	}
	KUNIT_EXPECT_EQ_MSG(test, leaked, 0,
			    "of %u detached tables, not freed after the remap",
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
}

static struct kunit_case vmap_test_cases[] = {
	KUNIT_CASE_PARAM(vmap_remap_huge, vmap_case_gen_params),
	{}
};

static struct kunit_suite vmap_test_suite = {
	.name = "x86_vmap_huge",
	.test_cases = vmap_test_cases,
};

kunit_test_suite(vmap_test_suite);

MODULE_DESCRIPTION("KUnit tests for page tables freed under huge vmap mappings");
MODULE_LICENSE("GPL");
