// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for x86 TLB shootdowns and lazy TLB mode.
 *
 * A kthread bound to another CPU adopts a test mm (kthread_use_mm()) and
 * leaves it again (kthread_unuse_mm()): its CPU keeps the mm loaded in lazy
 * TLB mode.  Where a third CPU is online, a second kthread adopts the mm and
 * keeps running in it.  The test CPU then flushes the mm through an
 * mmu_gather, as the mm code does, and checks which CPUs the flush reached
 * (the per-CPU count of TLB shootdown IPIs) and that the lazy CPU catches up
 * with the mm's tlb_gen when it adopts the mm again.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/mmu_context.h>
#include <linux/sched/mm.h>
#include <asm/hardirq.h>
#include <asm/tlb.h>

/* Any user address: the test mm maps nothing, and nothing walks it. */
#define TEST_ADDR	(PUD_SIZE * 4)

/* How long a helper kthread may take to act on a command (TCG is slow). */
#define TLB_CPU_TIMEOUT	(30 * HZ)

enum tlb_cpu_cmd {
	TLB_CPU_IDLE,
	TLB_CPU_ADOPT,		/* use the mm, note its tlb_gen, go lazy */
	TLB_CPU_RUN,		/* use the mm and keep running in it */
};

struct tlb_cpu {
	struct task_struct *task;
	struct mm_struct *mm;
	int cpu;
	enum tlb_cpu_cmd cmd;
	struct completion cmd_done;
	wait_queue_head_t wait;
	bool stop;		/* ends TLB_CPU_RUN */
	u64 cpu_gen;		/* this CPU's tlb_gen right after adopting */
	u64 mm_gen;		/* the mm's tlb_gen then */
};

static u64 this_cpu_tlb_gen(void)
{
	u16 asid = this_cpu_read(cpu_tlbstate.loaded_mm_asid);

	return this_cpu_read(cpu_tlbstate.ctxs[asid].tlb_gen);
}

static int tlb_cpu_fn(void *data)
{
	struct tlb_cpu *c = data;

	for (;;) {
		enum tlb_cpu_cmd cmd;

		wait_event(c->wait, READ_ONCE(c->cmd) != TLB_CPU_IDLE ||
			   kthread_should_stop());
		if (kthread_should_stop())
			break;
		cmd = READ_ONCE(c->cmd);

		kthread_use_mm(c->mm);
		local_irq_disable();
		c->cpu_gen = this_cpu_tlb_gen();
		c->mm_gen = atomic64_read(&c->mm->context.tlb_gen);
		local_irq_enable();
		if (cmd == TLB_CPU_RUN) {
			WRITE_ONCE(c->cmd, TLB_CPU_IDLE);
			complete(&c->cmd_done);
			while (!READ_ONCE(c->stop))
				cpu_relax();
		}
		/* Leaves the mm loaded: this CPU is now lazy in it. */
		kthread_unuse_mm(c->mm);
		WRITE_ONCE(c->cmd, TLB_CPU_IDLE);
		complete(&c->cmd_done);
	}
	return 0;
}

static bool tlb_cpu_wait(struct tlb_cpu *c)
{
	return wait_for_completion_timeout(&c->cmd_done, TLB_CPU_TIMEOUT);
}

static bool tlb_cpu_do(struct tlb_cpu *c, enum tlb_cpu_cmd cmd)
{
	reinit_completion(&c->cmd_done);
	WRITE_ONCE(c->cmd, cmd);
	wake_up(&c->wait);
	return tlb_cpu_wait(c);
}

static int tlb_cpu_start(struct tlb_cpu *c, struct mm_struct *mm, int cpu)
{
	c->mm = mm;
	c->cpu = cpu;
	c->cmd = TLB_CPU_IDLE;
	init_completion(&c->cmd_done);
	init_waitqueue_head(&c->wait);
	c->task = kthread_create_on_cpu(tlb_cpu_fn, c, cpu, "tlb_kunit/%u");
	if (IS_ERR(c->task))
		return PTR_ERR(c->task);
	wake_up_process(c->task);
	return 0;
}

static void tlb_cpu_stop(struct tlb_cpu *c)
{
	if (!c->task)
		return;
	WRITE_ONCE(c->stop, true);
	kthread_stop(c->task);
	c->task = NULL;
}

static bool cpu_lazy_in(int cpu, struct mm_struct *mm)
{
	return per_cpu(cpu_tlbstate.loaded_mm, cpu) == mm &&
	       per_cpu(cpu_tlbstate_shared.is_lazy, cpu);
}

static unsigned int tlb_ipis(int cpu)
{
	return READ_ONCE(per_cpu(irq_stat, cpu).irq_tlb_count);
}

/* How the gather changed the page tables under the range it flushes. */
struct gather_kind {
	const char *name;
	bool freed_tables;
	bool unshared_tables;
	bool reaches_lazy;	/* must the flush reach lazy CPUs? */
};

static const struct gather_kind gather_kinds[] = {
	{ "leaf_entries", false, false, false },
	{ "freed_tables", true, false, true },
	{ "unshared_tables", false, true, true },
};

static void gather_kind_desc(const struct gather_kind *k, char *desc)
{
	strscpy(desc, k->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(gather_kind, gather_kinds, gather_kind_desc);

/* Flush @mm through an mmu_gather the way the mm code does for @k. */
static void gather_flush(struct mm_struct *mm, const struct gather_kind *k)
{
	struct mmu_gather tlb;

	tlb_gather_mmu(&tlb, mm);
	if (k->unshared_tables) {
		/* As tlb_unshare_pmd_ptdesc() does. */
		tlb_flush_pmd_range(&tlb, TEST_ADDR & PUD_MASK, PUD_SIZE);
		tlb.unshared_tables = 1;
	} else if (k->freed_tables) {
		/* As pte_free_tlb() does. */
		tlb_flush_pmd_range(&tlb, TEST_ADDR, PAGE_SIZE);
		tlb.freed_tables = 1;
	} else {
		tlb_flush_pte_range(&tlb, TEST_ADDR, PAGE_SIZE);
	}
	tlb_finish_mmu(&tlb);
}

struct tlb_test {
	struct mm_struct *mm;
	struct tlb_cpu lazy;
	struct tlb_cpu running;
};

static int tlb_test_init(struct kunit *test)
{
	struct tlb_test *t;
	int self, cpu;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs 2 online CPUs, has %u", num_online_cpus());
	if (!flush_tlb_multi_is_native())
		kunit_skip(test, "remote flushes go through a hypervisor, not IPIs");

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	test->priv = t;

	/*
	 * The test runs in this kthread, on this CPU, which stays out of the
	 * mm: it only flushes it.
	 */
	self = raw_smp_processor_id();
	KUNIT_ASSERT_EQ(test, 0, set_cpus_allowed_ptr(current, cpumask_of(self)));

	t->mm = mm_alloc();
	KUNIT_ASSERT_NOT_NULL(test, t->mm);

	cpu = cpumask_next_wrap(self, cpu_online_mask, self, false);
	KUNIT_ASSERT_LT(test, cpu, nr_cpu_ids);
	KUNIT_ASSERT_EQ(test, 0, tlb_cpu_start(&t->lazy, t->mm, cpu));

	cpu = cpumask_next_wrap(cpu, cpu_online_mask, self, false);
	if (cpu < nr_cpu_ids && cpu != self)
		KUNIT_ASSERT_EQ(test, 0,
				tlb_cpu_start(&t->running, t->mm, cpu));
	return 0;
}

static void tlb_test_exit(struct kunit *test)
{
	struct tlb_test *t = test->priv;

	if (!t)
		return;
	tlb_cpu_stop(&t->running);
	tlb_cpu_stop(&t->lazy);
	if (t->mm)
		mmput(t->mm);
}

/*
 * Flush a mm that one CPU is lazy in (and, with a third CPU, another runs):
 * the running CPU must always get the flush, the lazy one exactly when the
 * gather freed or unshared page tables; either way the lazy CPU must be at
 * the mm's tlb_gen once it adopts the mm again.
 */
static void tlb_flush_reaches_lazy(struct kunit *test)
{
	const struct gather_kind *k = test->param_value;
	struct tlb_test *t = test->priv;
	struct tlb_cpu *lazy = &t->lazy, *running = &t->running;
	unsigned int lazy_ipis, running_ipis = 0;

	KUNIT_ASSERT_TRUE(test, tlb_cpu_do(lazy, TLB_CPU_ADOPT));
	KUNIT_ASSERT_TRUE_MSG(test, cpu_lazy_in(lazy->cpu, t->mm),
			      "CPU %d did not stay lazy in the mm", lazy->cpu);
	if (running->task) {
		KUNIT_ASSERT_TRUE(test, tlb_cpu_do(running, TLB_CPU_RUN));
		KUNIT_ASSERT_PTR_EQ(test, per_cpu(cpu_tlbstate.loaded_mm, running->cpu),
				    t->mm);
		running_ipis = tlb_ipis(running->cpu);
	}
	lazy_ipis = tlb_ipis(lazy->cpu);
	/* Nothing else may have run there: only this test's flush counts. */
	if (!cpu_lazy_in(lazy->cpu, t->mm))
		kunit_skip(test, "CPU %d left the mm before the flush", lazy->cpu);

	gather_flush(t->mm, k);

	lazy_ipis = tlb_ipis(lazy->cpu) - lazy_ipis;
	if (running->task) {
		running_ipis = tlb_ipis(running->cpu) - running_ipis;
		WRITE_ONCE(running->stop, true);
		KUNIT_ASSERT_TRUE(test, tlb_cpu_wait(running));
		KUNIT_EXPECT_GE_MSG(test, running_ipis, 1,
				    "CPU %d runs the mm", running->cpu);
	}

	if (k->reaches_lazy) {
		KUNIT_EXPECT_EQ_MSG(test, lazy_ipis, 1,
				    "lazy CPU %d missed a flush that changed page tables",
				    lazy->cpu);
		/* flush_tlb_func() made it leave the mm. */
		KUNIT_EXPECT_PTR_EQ(test, per_cpu(cpu_tlbstate.loaded_mm, lazy->cpu),
				    &init_mm);
	} else {
		KUNIT_EXPECT_EQ_MSG(test, lazy_ipis, 0,
				    "lazy CPU %d got a flush it could catch up on",
				    lazy->cpu);
		KUNIT_EXPECT_TRUE(test, cpu_lazy_in(lazy->cpu, t->mm));
		/* It has fallen behind the mm... */
		KUNIT_EXPECT_LT(test, lazy->cpu_gen,
				(u64)atomic64_read(&t->mm->context.tlb_gen));
	}

	/* ...and catches up when it adopts the mm again. */
	KUNIT_ASSERT_TRUE(test, tlb_cpu_do(lazy, TLB_CPU_ADOPT));
	KUNIT_EXPECT_EQ(test, lazy->cpu_gen, lazy->mm_gen);
}

static struct kunit_case tlb_test_cases[] = {
	KUNIT_CASE_PARAM(tlb_flush_reaches_lazy, gather_kind_gen_params),
	{}
};

static struct kunit_suite tlb_test_suite = {
	.name = "x86_tlb_lazy",
	.init = tlb_test_init,
	.exit = tlb_test_exit,
	.test_cases = tlb_test_cases,
};

kunit_test_suite(tlb_test_suite);
