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
 *
 * The x86_tlb_lam suite checks the same for a change to what the mm's CR3
 * holds (LAM enablement, mm_cr3_changed()), and the decision a CPU back
 * from lazy mode takes on it (lazy_mm_needs_reload()).  It writes LAM bits
 * to CR3 only on CPUs that have LAM.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/hw_breakpoint.h>
#include <linux/kthread.h>
#include <linux/mmu_context.h>
#include <linux/sched/mm.h>
#include <asm/hardirq.h>
#include <asm/tlb.h>

#include "mm_internal.h"

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
	unsigned long cr3_lam;	/* the LAM bits in CR3 then */
	unsigned long state_lam; /* and in cpu_tlbstate */
};

#define CR3_LAM_BITS	(X86_CR3_LAM_U48 | X86_CR3_LAM_U57)

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
		c->cr3_lam = __read_cr3() & CR3_LAM_BITS;
		c->state_lam = tlbstate_lam_cr3_mask();
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

static bool cpu_runs(int cpu, struct mm_struct *mm)
{
	return per_cpu(cpu_tlbstate.loaded_mm, cpu) == mm &&
	       !per_cpu(cpu_tlbstate_shared.is_lazy, cpu);
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

/*
 * x86_tlb_lam: a change to what a mm's CR3 holds reaches the CPUs that run
 * the mm through an IPI, and those lazy in it through tlb_gen.
 */

/* lazy_mm_needs_reload(): every combination of tlb_gen and LAM bits. */
struct reload_case {
	const char *name;
	bool gen_behind;
	bool lam_differs;
};

static const struct reload_case reload_cases[] = {
	{ "gen_equal_lam_equal",	false,	false },
	{ "gen_equal_lam_differs",	false,	true },
	{ "gen_behind_lam_equal",	true,	false },
	{ "gen_behind_lam_differs",	true,	true },
};

KUNIT_ARRAY_PARAM_DESC(reload_case, reload_cases, name);

/* The mm's LAM bits in these tests: any, as no CPU loads them. */
#define TEST_MM_LAM	(IS_ENABLED(CONFIG_ADDRESS_MASKING) ? X86_CR3_LAM_U57 : 0)

/* A mm that only lazy_mm_needs_reload() looks at: no CPU ever loads it. */
static struct mm_struct *fake_mm(struct kunit *test, u64 tlb_gen,
				 unsigned long lam)
{
	struct mm_struct *mm = kunit_kzalloc(test, sizeof(*mm), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, mm);
	atomic64_set(&mm->context.tlb_gen, tlb_gen);
#ifdef CONFIG_ADDRESS_MASKING
	mm->context.lam_cr3_mask = lam;
#endif
	return mm;
}

static void lam_reload_decision(struct kunit *test)
{
	const struct reload_case *c = test->param_value;
	unsigned long cpu_lam = c->lam_differs ? TEST_MM_LAM ^ X86_CR3_LAM_U57 :
						 TEST_MM_LAM;
	struct mm_struct *mm = fake_mm(test, 10, TEST_MM_LAM);
	unsigned long lam = ~0UL;
	u64 gen = 0;
	bool reload;

	/* Without it, no mm has LAM bits (and 32-bit cannot hold them). */
	if (c->lam_differs && !IS_ENABLED(CONFIG_ADDRESS_MASKING))
		kunit_skip(test, "the LAM bits are always 0 without CONFIG_ADDRESS_MASKING");

	reload = lazy_mm_needs_reload(mm, c->gen_behind ? 9 : 10, cpu_lam,
				      &gen, &lam);

	KUNIT_EXPECT_EQ(test, reload, c->gen_behind || c->lam_differs);
	/* What the CPU records and loads if it reloads. */
	KUNIT_EXPECT_EQ(test, gen, 10);
	KUNIT_EXPECT_EQ(test, lam, TEST_MM_LAM);
}

/*
 * lazy_mm_needs_reload() reads the LAM bits after tlb_gen, so that what a
 * CPU records and loads is never a tlb_gen newer than its LAM bits.  The
 * test makes a LAM enablement land between the two reads: a hardware
 * watchpoint on the mm's LAM bits fires right after the helper reads them,
 * and its handler enables LAM on the mm as mm_enable_lam() and
 * mm_cr3_changed() do (bits, then tlb_gen).  Read in that order, the helper
 * returns the old tlb_gen with the old bits; read the other way around, it
 * returns the new tlb_gen with the old bits.
 */
struct lam_watch {
	struct task_struct *reader;
	struct mm_struct *mm;
	bool fired;
};

static struct lam_watch lam_watch;

static void lam_watch_hit(struct perf_event *bp,
			  struct perf_sample_data *data, struct pt_regs *regs)
{
	struct lam_watch *w = &lam_watch;

	if (current != w->reader || w->fired)
		return;
	w->fired = true;
#ifdef CONFIG_ADDRESS_MASKING
	WRITE_ONCE(w->mm->context.lam_cr3_mask, X86_CR3_LAM_U57);
#endif
	inc_mm_tlb_gen(w->mm);
}

static void lam_read_order(struct kunit *test)
{
	struct perf_event * __percpu *bp;
	struct perf_event_attr attr;
	struct mm_struct *mm;
	unsigned long lam;
	u64 gen;

	if (!IS_ENABLED(CONFIG_ADDRESS_MASKING))
		kunit_skip(test, "the LAM bits are always 0 without CONFIG_ADDRESS_MASKING");
	if (!IS_ENABLED(CONFIG_HAVE_HW_BREAKPOINT) || !IS_ENABLED(CONFIG_PERF_EVENTS))
		kunit_skip(test, "needs hardware watchpoints (CONFIG_PERF_EVENTS)");

	mm = fake_mm(test, 1, 0);
	lam_watch = (struct lam_watch){ .reader = current, .mm = mm };

	hw_breakpoint_init(&attr);
#ifdef CONFIG_ADDRESS_MASKING
	attr.bp_addr = (unsigned long)&mm->context.lam_cr3_mask;
#endif
	attr.bp_len = HW_BREAKPOINT_LEN_8;
	attr.bp_type = HW_BREAKPOINT_RW;	/* x86 cannot watch reads alone */
	bp = register_wide_hw_breakpoint(&attr, lam_watch_hit, NULL);
	if (IS_ERR(bp))
		kunit_skip(test, "no hardware watchpoint: %ld", PTR_ERR(bp));

	lazy_mm_needs_reload(mm, 1, 0, &gen, &lam);
	unregister_wide_hw_breakpoint(bp);

	KUNIT_ASSERT_TRUE_MSG(test, lam_watch.fired,
			      "the watchpoint on the LAM bits did not fire");
	KUNIT_EXPECT_EQ_MSG(test, (u64)atomic64_read(&mm->context.tlb_gen), 2,
			    "LAM was not enabled between the reads");
	/* Old tlb_gen and bits, or (had it come first) new ones: never mixed. */
	KUNIT_EXPECT_TRUE_MSG(test, gen == 1 || lam == X86_CR3_LAM_U57,
			      "the CPU saw tlb_gen %llu, made by the LAM enable, but LAM bits %#lx",
			      gen, lam);
}

/*
 * mm_cr3_changed() with CPUs lazy in the mm, one running it and one that
 * switched away from it to another mm.  The "no_lam" case changes nothing
 * in CR3 and runs anywhere; "lam_u57" enables LAM on the test mm as
 * mm_enable_lam() does, and needs a CPU with LAM.
 */
struct cr3_case {
	const char *name;
	bool lam;
};

static const struct cr3_case cr3_cases[] = {
	{ "no_lam", false },
	{ "lam_u57", true },
};

KUNIT_ARRAY_PARAM_DESC(cr3_case, cr3_cases, name);

static DEFINE_PER_CPU(unsigned int, cr3_updates);
static bool cr3_update_lam;

/* The update mm_cr3_changed() runs; as enable_lam_func() for "lam_u57". */
static void count_cr3_update(void *info)
{
	const struct flush_tlb_info *f = info;
	unsigned long lam;

	this_cpu_inc(cr3_updates);
	if (!READ_ONCE(cr3_update_lam) ||
	    this_cpu_read(cpu_tlbstate.loaded_mm) != f->mm)
		return;
	lam = mm_lam_cr3_mask(f->mm);
	write_cr3(__read_cr3() | lam);
	cpu_tlbstate_update_lam(lam, mm_untag_mask(f->mm));
}

struct cr3_test {
	struct mm_struct *mm;
	struct mm_struct *other;
	struct tlb_cpu *lazy;
	int nr_lazy;
	struct tlb_cpu running;
	struct tlb_cpu away;
};

static int cr3_test_start(struct kunit *test, struct cr3_test *t)
{
	int self = raw_smp_processor_id(), cpu, n = 0;

	KUNIT_ASSERT_EQ(test, 0, set_cpus_allowed_ptr(current, cpumask_of(self)));
	t->mm = mm_alloc();
	KUNIT_ASSERT_NOT_NULL(test, t->mm);
	t->other = mm_alloc();
	KUNIT_ASSERT_NOT_NULL(test, t->other);
	t->lazy = kunit_kcalloc(test, nr_cpu_ids, sizeof(*t->lazy), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->lazy);

	/* The first other CPU is lazy, then one runs, one goes away... */
	for_each_online_cpu(cpu) {
		struct tlb_cpu *c;

		if (cpu == self)
			continue;
		if (n == 1)
			c = &t->running;
		else if (n == 2)
			c = &t->away;
		else
			c = &t->lazy[t->nr_lazy++];	/* ...the rest are lazy. */
		n++;
		KUNIT_ASSERT_EQ(test, 0, tlb_cpu_start(c, t->mm, cpu));
	}
	return 0;
}

static void cr3_test_stop(struct cr3_test *t)
{
	int i;

	tlb_cpu_stop(&t->running);
	tlb_cpu_stop(&t->away);
	for (i = 0; i < t->nr_lazy; i++)
		tlb_cpu_stop(&t->lazy[i]);
	if (t->other)
		mmput(t->other);
	if (t->mm)
		mmput(t->mm);
}

static void cr3_test_exit(struct kunit *test)
{
	struct cr3_test *t = test->priv;

	if (t)
		cr3_test_stop(t);
	WRITE_ONCE(cr3_update_lam, false);
}

static void cr3_change_reaches_running(struct kunit *test)
{
	const struct cr3_case *k = test->param_value;
	unsigned int lazy_updates = 0, running_updates = 0, away_updates = 0;
	unsigned long mm_lam = 0;
	struct tlb_cpu *running, *away;
	struct cr3_test *t;
	u64 gen;
	int i;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs 2 online CPUs, has %u", num_online_cpus());
	if (k->lam && !cpu_feature_enabled(X86_FEATURE_LAM))
		kunit_skip(test, "needs a CPU with LAM (X86_FEATURE_LAM); this one has none");

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	test->priv = t;
	cr3_test_start(test, t);
	running = &t->running;
	away = &t->away;

	for (i = 0; i < t->nr_lazy; i++)
		KUNIT_ASSERT_TRUE(test, tlb_cpu_do(&t->lazy[i], TLB_CPU_ADOPT));
	if (away->task) {
		/* It ran the mm, then switched to another one. */
		KUNIT_ASSERT_TRUE(test, tlb_cpu_do(away, TLB_CPU_ADOPT));
		away->mm = t->other;
		KUNIT_ASSERT_TRUE(test, tlb_cpu_do(away, TLB_CPU_ADOPT));
		KUNIT_ASSERT_FALSE(test, cpumask_test_cpu(away->cpu, mm_cpumask(t->mm)));
	}
	if (running->task)
		KUNIT_ASSERT_TRUE(test, tlb_cpu_do(running, TLB_CPU_RUN));
	for (i = 0; i < t->nr_lazy; i++)
		if (!cpu_lazy_in(t->lazy[i].cpu, t->mm))
			kunit_skip(test, "CPU %d left the mm", t->lazy[i].cpu);
	if (running->task && !cpu_runs(running->cpu, t->mm))
		kunit_skip(test, "CPU %d does not run the mm", running->cpu);

	for_each_possible_cpu(i)
		per_cpu(cr3_updates, i) = 0;
	if (k->lam) {
#ifdef CONFIG_ADDRESS_MASKING
		/* As mm_enable_lam() does. */
		t->mm->context.untag_mask = ~GENMASK(62, 57);
		WRITE_ONCE(t->mm->context.lam_cr3_mask, X86_CR3_LAM_U57);
		mm_lam = X86_CR3_LAM_U57;
#endif
		WRITE_ONCE(cr3_update_lam, true);
	}
	gen = atomic64_read(&t->mm->context.tlb_gen);

	mm_cr3_changed(t->mm, count_cr3_update);

	for (i = 0; i < t->nr_lazy; i++)
		lazy_updates += per_cpu(cr3_updates, t->lazy[i].cpu);
	if (running->task) {
		running_updates = per_cpu(cr3_updates, running->cpu);
		/* Another task may have run there meanwhile: proves nothing. */
		if (!cpu_runs(running->cpu, t->mm))
			kunit_skip(test, "CPU %d stopped running the mm",
				   running->cpu);
		WRITE_ONCE(running->stop, true);
		KUNIT_ASSERT_TRUE(test, tlb_cpu_wait(running));
	}
	if (away->task)
		away_updates = per_cpu(cr3_updates, away->cpu);
	kunit_info(test, "IPIs: %u to %d lazy CPUs, %u to %d running, %u to %d switched away\n",
		   lazy_updates, t->nr_lazy, running_updates, !!running->task,
		   away_updates, !!away->task);

	KUNIT_EXPECT_EQ_MSG(test, (u64)atomic64_read(&t->mm->context.tlb_gen),
			    gen + 1, "the change did not move tlb_gen");
	KUNIT_EXPECT_EQ_MSG(test, lazy_updates, 0,
			    "lazy CPUs got an IPI they could catch up on");
	KUNIT_EXPECT_EQ(test, per_cpu(cr3_updates, raw_smp_processor_id()), 0);
	if (running->task)
		KUNIT_EXPECT_EQ_MSG(test, running_updates, 1,
				    "CPU %d runs the mm", running->cpu);
	if (away->task)
		KUNIT_EXPECT_EQ_MSG(test, away_updates, 0,
				    "CPU %d switched away from the mm", away->cpu);

	/* The lazy CPUs fell behind, and catch up when they adopt the mm. */
	for (i = 0; i < t->nr_lazy; i++) {
		struct tlb_cpu *c = &t->lazy[i];

		KUNIT_EXPECT_TRUE(test, cpu_lazy_in(c->cpu, t->mm));
		KUNIT_EXPECT_LT(test, c->cpu_gen,
				(u64)atomic64_read(&t->mm->context.tlb_gen));
		KUNIT_ASSERT_TRUE(test, tlb_cpu_do(c, TLB_CPU_ADOPT));
		KUNIT_EXPECT_EQ(test, c->cpu_gen, c->mm_gen);
		KUNIT_EXPECT_EQ(test, c->cr3_lam, mm_lam);
		KUNIT_EXPECT_EQ(test, c->state_lam, mm_lam);
	}
}

static struct kunit_case tlb_lam_test_cases[] = {
	KUNIT_CASE_PARAM(lam_reload_decision, reload_case_gen_params),
	KUNIT_CASE(lam_read_order),
	KUNIT_CASE_PARAM(cr3_change_reaches_running, cr3_case_gen_params),
	{}
};

static struct kunit_suite tlb_lam_test_suite = {
	.name = "x86_tlb_lam",
	.exit = cr3_test_exit,
	.test_cases = tlb_lam_test_cases,
};

kunit_test_suites(&tlb_test_suite, &tlb_lam_test_suite);
