// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for x86 TLB shootdowns and lazy TLB mode.
 *
 * Helper kthreads bound to other CPUs adopt a test mm (kthread_use_mm())
 * and leave it again (kthread_unuse_mm()): their CPU keeps the mm loaded in
 * lazy TLB mode.  Another one keeps running in the mm, and another leaves it
 * for a second mm, staying in the first one's mm_cpumask().  The test CPU
 * then flushes the mm, or changes what its CR3 holds, and checks which CPUs
 * got an IPI and that the others catch up through tlb_gen when they adopt
 * the mm again.
 *
 * x86_tlb_exit lets a test mm with page tables die (its last mmput()) while
 * a helper CPU is lazy in it, and watches the page tables with a probe on
 * the mm_page_free tracepoint: they must outlive the lazy CPU's hold on the
 * mm, with no IPI to it, and be freed once it loads another mm.  A helper
 * that keeps running in the mm through the exit must get the exit's flush.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kernel_stat.h>
#include <linux/kthread.h>
#include <linux/mman.h>
#include <linux/mmu_context.h>
#include <linux/pm_qos.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <trace/events/kmem.h>
#include <asm/hardirq.h>
#include <asm/tlb.h>

#include "mm_internal.h"

/* Any user address: the test mm maps nothing, and nothing walks it. */
#define TEST_ADDR	(PUD_SIZE * 4)

/* How long a helper kthread may take to act on a command (TCG is slow). */
#define TLB_CPU_TIMEOUT	(60 * HZ)

/* Tries before a case gives up on a lazy CPU that other tasks disturb. */
#define TLB_TRIES	5

enum tlb_cpu_cmd {
	TLB_CPU_IDLE,
	TLB_CPU_ADOPT,		/* use the mm, note its tlb_gen, go lazy */
	TLB_CPU_LEAVE,		/* as ADOPT, then run in mm2 */
	TLB_CPU_RUN,		/* use the mm and keep running in it */
};

struct tlb_cpu {
	struct task_struct *task;
	struct mm_struct *mm, *mm2;
	int cpu;
	enum tlb_cpu_cmd cmd;
	struct completion cmd_done;
	wait_queue_head_t wait;
	bool stop;		/* ends TLB_CPU_RUN */
	u64 cpu_gen;		/* this CPU's tlb_gen right after adopting */
	u64 mm_gen;		/* the mm's tlb_gen then */
	u64 switches;		/* context switches of the CPU once idle */
};

static u64 this_cpu_tlb_gen(void)
{
	u16 asid = this_cpu_read(cpu_tlbstate.loaded_mm_asid);

	if (!is_dyn_asid(asid))
		return 0;
	return this_cpu_read(cpu_tlbstate.ctxs[asid].tlb_gen);
}

static void tlb_cpu_adopt(struct tlb_cpu *c, struct mm_struct *mm)
{
	kthread_use_mm(mm);
	local_irq_disable();
	c->cpu_gen = this_cpu_tlb_gen();
	c->mm_gen = atomic64_read(&mm->context.tlb_gen);
	local_irq_enable();
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

		tlb_cpu_adopt(c, c->mm);
		if (cmd == TLB_CPU_RUN) {
			WRITE_ONCE(c->cmd, TLB_CPU_IDLE);
			complete(&c->cmd_done);
			while (!READ_ONCE(c->stop))
				cpu_relax();
		}
		/* Leaves the mm loaded: this CPU is now lazy in it. */
		kthread_unuse_mm(c->mm);
		if (cmd == TLB_CPU_LEAVE) {
			/* Runs in mm2 now, and is still in mm_cpumask(mm). */
			kthread_use_mm(c->mm2);
			WRITE_ONCE(c->cmd, TLB_CPU_IDLE);
			complete(&c->cmd_done);
			while (!READ_ONCE(c->stop))
				cpu_relax();
			kthread_unuse_mm(c->mm2);
		}
		WRITE_ONCE(c->cmd, TLB_CPU_IDLE);
		complete(&c->cmd_done);
	}
	return 0;
}

/*
 * Wait for the command, then until the kthread sleeps in wait_event()
 * (TASK_UNINTERRUPTIBLE) off its CPU: it may still be on its way there.
 */
static bool tlb_cpu_wait(struct tlb_cpu *c)
{
	unsigned long deadline = jiffies + TLB_CPU_TIMEOUT;

	if (!wait_for_completion_timeout(&c->cmd_done, TLB_CPU_TIMEOUT))
		return false;
	while (!wait_task_inactive(c->task, TASK_UNINTERRUPTIBLE)) {
		if (time_after(jiffies, deadline))
			return false;
		usleep_range(1000, 2000);
	}
	c->switches = nr_context_switches_cpu(c->cpu);
	return true;
}

static bool tlb_cpu_do(struct tlb_cpu *c, enum tlb_cpu_cmd cmd)
{
	reinit_completion(&c->cmd_done);
	WRITE_ONCE(c->cmd, cmd);
	wake_up(&c->wait);
	if (cmd == TLB_CPU_ADOPT)
		return tlb_cpu_wait(c);
	/* TLB_CPU_RUN, TLB_CPU_LEAVE: it keeps running until ->stop. */
	return wait_for_completion_timeout(&c->cmd_done, TLB_CPU_TIMEOUT);
}

/* Nothing has run on the idle CPU since tlb_cpu_wait(). */
static bool tlb_cpu_stayed_idle(struct tlb_cpu *c)
{
	return nr_context_switches_cpu(c->cpu) == c->switches;
}

static int tlb_cpu_start(struct tlb_cpu *c, struct mm_struct *mm, int cpu)
{
	c->mm = mm;
	c->cpu = cpu;
	c->cmd = TLB_CPU_IDLE;
	init_completion(&c->cmd_done);
	init_waitqueue_head(&c->wait);
	c->task = kthread_create_on_cpu(tlb_cpu_fn, c, cpu, "tlb_kunit/%u");
	if (IS_ERR(c->task)) {
		int err = PTR_ERR(c->task);

		c->task = NULL;
		return err;
	}
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
	return READ_ONCE(per_cpu(irq_stat, cpu).counts[IRQ_COUNT_TLB]);
}

struct tlb_test {
	struct pm_qos_request qos;	/* no idle state that calls leave_mm() */
	struct mm_struct *mm, *mm2;
	struct tlb_cpu lazy;
	struct tlb_cpu running;
	struct tlb_cpu away;
};

/* The next online CPU after @cpu that is not @self, or nr_cpu_ids. */
static int next_cpu(int cpu, int self)
{
	cpu = cpumask_next_wrap(cpu, cpu_online_mask);
	return cpu == self ? nr_cpu_ids : cpu;
}

static int tlb_test_init(struct kunit *test)
{
	struct tlb_test *t;
	int self, cpu;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs 2 online CPUs, has %u", num_online_cpus());

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	test->priv = t;

	/*
	 * An idle state with CPUIDLE_FLAG_TLB_FLUSHED makes a lazy CPU leave
	 * the mm (leave_mm()) without a context switch: keep CPUs out of them.
	 */
	cpu_latency_qos_add_request(&t->qos, 0);

	/* The test stays on this CPU, out of the mm: it only flushes it. */
	self = raw_smp_processor_id();
	KUNIT_ASSERT_EQ(test, 0, set_cpus_allowed_ptr(current, cpumask_of(self)));

	t->mm = mm_alloc();
	KUNIT_ASSERT_NOT_NULL(test, t->mm);
	t->mm2 = mm_alloc();
	KUNIT_ASSERT_NOT_NULL(test, t->mm2);

	cpu = next_cpu(self, self);
	KUNIT_ASSERT_LT(test, cpu, nr_cpu_ids);
	KUNIT_ASSERT_EQ(test, 0, tlb_cpu_start(&t->lazy, t->mm, cpu));

	cpu = next_cpu(cpu, self);
	if (cpu < nr_cpu_ids)
		KUNIT_ASSERT_EQ(test, 0, tlb_cpu_start(&t->running, t->mm, cpu));
	if (cpu < nr_cpu_ids)
		cpu = next_cpu(cpu, self);
	if (cpu < nr_cpu_ids) {
		t->away.mm2 = t->mm2;
		KUNIT_ASSERT_EQ(test, 0, tlb_cpu_start(&t->away, t->mm, cpu));
	}
	return 0;
}

static void tlb_test_exit(struct kunit *test)
{
	struct tlb_test *t = test->priv;

	if (!t)
		return;
	tlb_cpu_stop(&t->away);
	tlb_cpu_stop(&t->running);
	tlb_cpu_stop(&t->lazy);
	if (cpu_latency_qos_request_active(&t->qos))
		cpu_latency_qos_remove_request(&t->qos);
	if (t->mm2)
		mmput(t->mm2);
	if (t->mm)
		mmput(t->mm);
}

/* Start the running CPU (if any) and note its IPI count. */
static unsigned int tlb_test_run(struct kunit *test, struct tlb_test *t)
{
	struct tlb_cpu *running = &t->running;

	if (!running->task)
		return 0;
	KUNIT_ASSERT_TRUE(test, tlb_cpu_do(running, TLB_CPU_RUN));
	KUNIT_ASSERT_PTR_EQ(test, per_cpu(cpu_tlbstate.loaded_mm, running->cpu),
			    t->mm);
	return tlb_ipis(running->cpu);
}

/* Make a kthread that keeps running (RUN, LEAVE) stop and go idle. */
static bool tlb_cpu_stop_running(struct tlb_cpu *c)
{
	bool ok;

	WRITE_ONCE(c->stop, true);
	ok = tlb_cpu_wait(c);
	WRITE_ONCE(c->stop, false);
	return ok;
}

/*
 * Stop the running CPU (if any).  After a flush (@ipis is its TLB IPI count
 * before), it must have got the flush's IPI.
 */
static void tlb_test_stop(struct kunit *test, struct tlb_test *t,
			  unsigned int *ipis)
{
	struct tlb_cpu *running = &t->running;
	unsigned int got;

	if (!running->task)
		return;
	got = tlb_ipis(running->cpu);
	KUNIT_ASSERT_TRUE(test, tlb_cpu_stop_running(running));
	if (ipis)
		KUNIT_EXPECT_GE_MSG(test, got - *ipis, 1, "CPU %d runs the mm",
				    running->cpu);
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

/*
 * Flush a mm that one CPU is lazy in (and, with a third CPU, another runs);
 * count the TLB IPIs the lazy CPU got.  False if the lazy CPU was not lazy
 * in the mm just before the flush, or another task ran on it meanwhile:
 * the count would not be the flush's alone.
 */
static bool flush_with_lazy_cpu(struct kunit *test, struct tlb_test *t,
				const struct gather_kind *k,
				unsigned int *lazy_ipis)
{
	struct tlb_cpu *lazy = &t->lazy;
	unsigned int running_ipis;
	bool lazy_before, idle;

	KUNIT_ASSERT_TRUE(test, tlb_cpu_do(lazy, TLB_CPU_ADOPT));
	running_ipis = tlb_test_run(test, t);
	*lazy_ipis = tlb_ipis(lazy->cpu);
	lazy_before = cpu_lazy_in(lazy->cpu, t->mm);

	gather_flush(t->mm, k);

	*lazy_ipis = tlb_ipis(lazy->cpu) - *lazy_ipis;
	idle = tlb_cpu_stayed_idle(lazy);
	tlb_test_stop(test, t, &running_ipis);
	return lazy_before && idle;
}

/*
 * The running CPU must always get the flush, the lazy one exactly when the
 * gather freed or unshared page tables; either way the lazy CPU must be at
 * the mm's tlb_gen once it adopts the mm again.
 */
static void tlb_flush_reaches_lazy(struct kunit *test)
{
	const struct gather_kind *k = test->param_value;
	struct tlb_test *t = test->priv;
	struct tlb_cpu *lazy = &t->lazy;
	unsigned int lazy_ipis, try;

	if (!flush_tlb_multi_is_native())
		kunit_skip(test, "remote flushes go through a hypervisor, not IPIs");
	if (mm_global_asid(t->mm))
		kunit_skip(test, "the mm has a global ASID: INVLPGB, no IPIs");

	for (try = 0; try < TLB_TRIES; try++)
		if (flush_with_lazy_cpu(test, t, k, &lazy_ipis))
			break;
	if (try == TLB_TRIES)
		kunit_skip(test, "CPU %d was not left lazy and idle in each of %d tries",
			   lazy->cpu, TLB_TRIES);

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

static struct kunit_case tlb_lazy_cases[] = {
	KUNIT_CASE_PARAM(tlb_flush_reaches_lazy, gather_kind_gen_params),
	{}
};

static struct kunit_suite tlb_lazy_suite = {
	.name = "x86_tlb_lazy",
	.init = tlb_test_init,
	.exit = tlb_test_exit,
	.test_cases = tlb_lazy_cases,
};

static DEFINE_PER_CPU(unsigned int, cr3_updates);

static void count_cr3_update(void *info)
{
	this_cpu_inc(cr3_updates);
}

/* How a CR3 change is made, and whether lazy and away CPUs get it. */
struct cr3_change_kind {
	const char *name;
	int skip_lazy;		/* __mm_cr3_changed()'s choice, -1: the CPU's */
};

static const struct cr3_change_kind cr3_change_kinds[] = {
	{ "without_invlpgb", 1 },
	{ "with_invlpgb", 0 },
	{ "as_mm_enable_lam", -1 },
};

static void cr3_change_kind_desc(const struct cr3_change_kind *k, char *desc)
{
	strscpy(desc, k->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(cr3_change_kind, cr3_change_kinds, cr3_change_kind_desc);

/*
 * Change what CR3 holds for the mm with one CPU lazy in it, one that left
 * it for another mm (and runs there), and one running it; count the
 * updates each got.  False if the lazy CPU was not lazy in the mm just
 * before the change, or another task ran on it meanwhile.
 */
static bool cr3_change_with_lazy_cpus(struct kunit *test, struct tlb_test *t,
				      const struct cr3_change_kind *k,
				      u64 *gen, unsigned int *in_mask)
{
	struct tlb_cpu *lazy = &t->lazy, *away = &t->away;
	bool lazy_before, idle;
	int cpu;

	KUNIT_ASSERT_TRUE(test, tlb_cpu_do(lazy, TLB_CPU_ADOPT));
	KUNIT_ASSERT_TRUE(test, tlb_cpu_do(away, TLB_CPU_LEAVE));
	if (!cpumask_test_cpu(away->cpu, mm_cpumask(t->mm)))
		kunit_skip(test, "CPU %d already left mm_cpumask()", away->cpu);
	tlb_test_run(test, t);
	*in_mask = cpumask_weight(mm_cpumask(t->mm));
	for_each_online_cpu(cpu)
		per_cpu(cr3_updates, cpu) = 0;
	*gen = atomic64_read(&t->mm->context.tlb_gen);
	lazy_before = cpu_lazy_in(lazy->cpu, t->mm);

	if (k->skip_lazy < 0)
		mm_cr3_changed(t->mm, count_cr3_update);
	else
		__mm_cr3_changed(t->mm, count_cr3_update, k->skip_lazy);

	idle = tlb_cpu_stayed_idle(lazy);
	/* The update is a function call IPI, counted in cr3_updates. */
	tlb_test_stop(test, t, NULL);
	KUNIT_ASSERT_TRUE(test, tlb_cpu_stop_running(away));
	return lazy_before && idle;
}

/*
 * A change of what CR3 holds for the mm, with an update that only counts
 * (this CPU cannot load LAM bits), made as mm_enable_lam() makes it: the
 * CPU that runs the mm gets it; without INVLPGB the CPU lazy in the mm and
 * the CPU that left it do not, and catch up through tlb_gen when they
 * adopt the mm again; with INVLPGB every CPU in mm_cpumask() gets it.
 * Both ways are run on any CPU; "as_mm_enable_lam" takes the way this
 * CPU's features choose.
 */
static void lam_cr3_change(struct kunit *test)
{
	const struct cr3_change_kind *k = test->param_value;
	struct tlb_test *t = test->priv;
	struct tlb_cpu *lazy = &t->lazy, *away = &t->away;
	unsigned int in_mask, try, others;
	bool skip_lazy;
	u64 gen;

	if (!t->running.task || !away->task)
		kunit_skip(test, "needs 4 online CPUs, has %u", num_online_cpus());
	skip_lazy = k->skip_lazy < 0 ? !cpu_feature_enabled(X86_FEATURE_INVLPGB) :
				       k->skip_lazy;

	for (try = 0; try < TLB_TRIES; try++)
		if (cr3_change_with_lazy_cpus(test, t, k, &gen, &in_mask))
			break;
	if (try == TLB_TRIES)
		kunit_skip(test, "CPU %d was not left lazy and idle in each of %d tries",
			   lazy->cpu, TLB_TRIES);

	kunit_info(test, "CR3 change %s: %u of the %u CPUs in mm_cpumask() interrupted\n",
		   k->name,
		   per_cpu(cr3_updates, t->running.cpu) + per_cpu(cr3_updates, lazy->cpu) +
		   per_cpu(cr3_updates, away->cpu), in_mask);
	others = skip_lazy ? 0 : 1;
	KUNIT_EXPECT_EQ(test, per_cpu(cr3_updates, t->running.cpu), 1);
	KUNIT_EXPECT_EQ_MSG(test, per_cpu(cr3_updates, lazy->cpu), others,
			    "CPU %d is lazy in the mm", lazy->cpu);
	KUNIT_EXPECT_EQ_MSG(test, per_cpu(cr3_updates, away->cpu), others,
			    "CPU %d left the mm and runs another", away->cpu);
	KUNIT_EXPECT_TRUE(test, cpu_lazy_in(lazy->cpu, t->mm));

	/* Both reload CR3 for the mm, at the tlb_gen the change moved. */
	KUNIT_ASSERT_TRUE(test, tlb_cpu_do(lazy, TLB_CPU_ADOPT));
	KUNIT_EXPECT_GT(test, lazy->cpu_gen, gen);
	KUNIT_EXPECT_EQ(test, lazy->cpu_gen, lazy->mm_gen);
	KUNIT_ASSERT_TRUE(test, tlb_cpu_do(away, TLB_CPU_ADOPT));
	KUNIT_EXPECT_GT(test, away->cpu_gen, gen);
	KUNIT_EXPECT_EQ(test, away->cpu_gen, away->mm_gen);
}

static struct kunit_case tlb_lam_cases[] = {
	KUNIT_CASE_PARAM(lam_cr3_change, cr3_change_kind_gen_params),
	{}
};

static struct kunit_suite tlb_lam_suite = {
	.name = "x86_tlb_lam",
	.init = tlb_test_init,
	.exit = tlb_test_exit,
	.test_cases = tlb_lam_cases,
};

/*
 * Process exit: exit_mmap() leaves the page tables of an mm that a CPU is
 * lazy in to destroy_context(), which frees them once no CPU has the mm
 * loaded, with no IPI to the lazy CPU; past exit_pgtables_limit it
 * flushes the lazy CPU and frees them at once, as before.
 */

/* The page tables under TEST_ADDR: P4D (5-level paging), PUD, PMD, PTE. */
#define EXIT_TABLES	4

struct exit_test {
	struct mm_struct *mm;
	unsigned long pfns[EXIT_TABLES];
	unsigned int nr_tables;
	bool freed[EXIT_TABLES];
	int loaded_on[EXIT_TABLES];	/* a CPU with the mm loaded then, or -1 */
};

/* mm_page_free probe: note each table's first free, and who had the mm. */
static void exit_probe_page_free(void *data, struct page *page,
				 unsigned int order)
{
	struct exit_test *e = data;
	unsigned long pfn = page_to_pfn(page);
	unsigned int i;
	int cpu;

	for (i = 0; i < e->nr_tables; i++) {
		if (e->pfns[i] != pfn || READ_ONCE(e->freed[i]))
			continue;
		for_each_possible_cpu(cpu)
			if (READ_ONCE(per_cpu(cpu_tlbstate.loaded_mm, cpu)) == e->mm)
				WRITE_ONCE(e->loaded_on[i], cpu);
		WRITE_ONCE(e->freed[i], true);
	}
}

static unsigned int exit_tables_freed(struct exit_test *e)
{
	unsigned int i, n = 0;

	for (i = 0; i < e->nr_tables; i++)
		n += READ_ONCE(e->freed[i]);
	return n;
}

/* The tables that map TEST_ADDR in @e->mm, which this task uses. */
static bool exit_collect_tables(struct exit_test *e)
{
	struct mm_struct *mm = e->mm;
	bool ok = false;
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;

	mmap_read_lock(mm);
	pgd = pgd_offset(mm, TEST_ADDR);
	if (pgtable_l5_enabled())
		e->pfns[e->nr_tables++] = pgd_pfn(*pgd);
	p4d = p4d_offset(pgd, TEST_ADDR);
	e->pfns[e->nr_tables++] = p4d_pfn(*p4d);
	pud = pud_offset(p4d, TEST_ADDR);
	e->pfns[e->nr_tables++] = pud_pfn(*pud);
	pmd = pmd_offset(pud, TEST_ADDR);
	if (pmd_present(*pmd) && !pmd_leaf(*pmd)) {
		e->pfns[e->nr_tables++] = pmd_pfn(*pmd);
		ok = true;
	}
	mmap_read_unlock(mm);
	return ok;
}

/*
 * Give @e a user mm with page tables under TEST_ADDR: this task maps and
 * writes a page there, then leaves the mm lazily loaded on this CPU.
 * False, with @e->mm to drop, if that failed.
 */
static bool exit_test_mm(struct kunit *test, struct exit_test *e)
{
	unsigned long addr;
	bool ok = false;

	e->mm = mm_alloc();
	if (!e->mm)
		return false;
	e->mm->task_size = TASK_SIZE;
	arch_pick_mmap_layout(e->mm, &current->signal->rlim[RLIMIT_STACK]);

	kthread_use_mm(e->mm);
	addr = vm_mmap(NULL, TEST_ADDR, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	if (addr == TEST_ADDR && !put_user(1, (int __user *)addr))
		ok = exit_collect_tables(e);
	kthread_unuse_mm(e->mm);
	return ok;
}

/* Make this CPU load @mm2, which drops its lazy reference to a dead mm. */
static void exit_leave(struct mm_struct *mm2)
{
	kthread_use_mm(mm2);
	kthread_unuse_mm(mm2);
}

/* What the exit of one test mm did, as exit_with_lazy_cpu() saw it. */
struct exit_seen {
	bool lazy_before;	/* the lazy CPU was lazy in the mm */
	bool idle;		/* it, and the running CPU, switched to nothing */
	bool left;		/* it then loaded another mm */
	unsigned int lazy_ipis;	/* TLB IPIs it got from the exit */
	unsigned int running_ipis;	/* ... and the running CPU, if any */
	bool kept;		/* the mm kept its tables (MM_CONTEXT_EXIT_DEFER) */
	unsigned long nr_kept;	/* how many */
	unsigned int freed_at_exit;	/* tables freed by the exit itself */
};

/*
 * Let a test mm die (its last mmput()) while the lazy CPU (and this one)
 * are lazy in it; with @fallback, under an exit_pgtables_limit of 0; with
 * @running, while the running CPU keeps running in it (kthread_use_mm(),
 * which holds mm_count only).  The test holds its own reference to the
 * mm, so that what the exit did to it can be read before the mm is freed,
 * by the test's mmdrop() once every CPU has left it.  The probe is always
 * unregistered before returning.
 */
static void exit_with_lazy_cpu(struct kunit *test, struct tlb_test *t,
			       struct exit_test *e, bool fallback,
			       struct tlb_cpu *running, struct exit_seen *seen)
{
	struct tlb_cpu *lazy = &t->lazy;
	u64 run_switches = 0;
	bool run = false;
	unsigned long limit = READ_ONCE(exit_pgtables_limit);
	bool ok;
	int ret;

	memset(e, 0, sizeof(*e));
	memset(e->loaded_on, 0xff, sizeof(e->loaded_on));
	memset(seen, 0, sizeof(*seen));
	ok = exit_test_mm(test, e);
	if (!ok) {
		if (e->mm)
			mmput(e->mm);
		exit_leave(t->mm2);
		KUNIT_FAIL(test, "could not map and write a page of the test mm");
		return;
	}
	lazy->mm = e->mm;
	ok = tlb_cpu_do(lazy, TLB_CPU_ADOPT);
	if (running) {
		running->mm = e->mm;
		run = tlb_cpu_do(running, TLB_CPU_RUN);
		ok = ok && run;
	}

	ret = register_trace_mm_page_free(exit_probe_page_free, e);
	/* No room at all: the reservation is at least one page. */
	if (fallback)
		WRITE_ONCE(exit_pgtables_limit, 0);
	seen->lazy_ipis = tlb_ipis(lazy->cpu);
	if (run) {
		seen->running_ipis = tlb_ipis(running->cpu);
		run_switches = nr_context_switches_cpu(running->cpu);
	}
	seen->lazy_before = ok && cpu_lazy_in(lazy->cpu, e->mm);

	/* The last user goes: exit_mmap() runs here. */
	mmgrab(e->mm);
	mmput(e->mm);

	seen->lazy_ipis = tlb_ipis(lazy->cpu) - seen->lazy_ipis;
	if (run)
		seen->running_ipis = tlb_ipis(running->cpu) - seen->running_ipis;
	seen->idle = tlb_cpu_stayed_idle(lazy);
	/* Preempted, the running CPU is lazy, and rightly gets no IPI. */
	if (run && nr_context_switches_cpu(running->cpu) != run_switches)
		seen->idle = false;
	WRITE_ONCE(exit_pgtables_limit, limit);
	/* Tables the gather freed go through RCU. */
	rcu_barrier();
	seen->freed_at_exit = exit_tables_freed(e);
	seen->kept = test_bit(MM_CONTEXT_EXIT_DEFER, &e->mm->context.flags);
	seen->nr_kept = e->mm->context.nr_exit_pgtables;

	/* Every CPU leaves the dead mm, then its last reference goes. */
	lazy->mm = t->mm2;
	seen->left = ok && tlb_cpu_do(lazy, TLB_CPU_ADOPT);
	if (run) {
		/* It stops lazy in the dead mm, then leaves it too. */
		if (tlb_cpu_stop_running(running)) {
			running->mm = t->mm2;
			seen->left = tlb_cpu_do(running, TLB_CPU_ADOPT) &&
				     seen->left;
		} else {
			seen->left = false;	/* still in the mm: don't touch */
		}
	}
	exit_leave(t->mm2);
	mmdrop(e->mm);

	if (!ret) {
		unregister_trace_mm_page_free(exit_probe_page_free, e);
		tracepoint_synchronize_unregister();
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_TRUE(test, seen->left);
}

/* Every table of the dead mm was freed, with no CPU having it loaded. */
static void exit_check_freed(struct kunit *test, struct exit_test *e)
{
	unsigned int i;

	KUNIT_EXPECT_EQ_MSG(test, exit_tables_freed(e), e->nr_tables,
			    "page tables of the dead mm leaked");
	for (i = 0; i < e->nr_tables; i++)
		KUNIT_EXPECT_EQ_MSG(test, e->loaded_on[i], -1,
				    "table %u freed while CPU %d had the mm loaded",
				    i, e->loaded_on[i]);
}

/*
 * Let a test mm die with a CPU lazy in it (exit_with_lazy_cpu()), until a
 * try in which that CPU stayed lazy and idle, and check that its tables
 * were all freed with no CPU having it loaded.  Returns the test mm's
 * tables, and what the exit did in @seen.
 */
static struct exit_test *exit_test_run(struct kunit *test, bool fallback,
				       struct tlb_cpu *running,
				       struct exit_seen *seen)
{
	struct tlb_test *t = test->priv;
	struct exit_test *e;
	unsigned int try;

	if (!IS_ENABLED(CONFIG_TRACEPOINTS))
		kunit_skip(test, "needs the mm_page_free tracepoint");
	if (cpu_feature_enabled(X86_FEATURE_XENPV))
		kunit_skip(test, "Xen PV frees the page tables at exit");
	if (!flush_tlb_multi_is_native())
		kunit_skip(test, "remote flushes go through a hypervisor, not IPIs");
	e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, e);

	for (try = 0; try < TLB_TRIES; try++) {
		exit_with_lazy_cpu(test, t, e, fallback, running, seen);
		exit_check_freed(test, e);
		if (seen->lazy_before && seen->idle)
			return e;
	}
	kunit_skip(test, "lazy CPU %d, or the running CPU, disturbed in each of %d tries",
		   t->lazy.cpu, TLB_TRIES);
	return NULL;
}

/*
 * An mm dies with a CPU lazy in it: that CPU gets no IPI, the page tables
 * stay until it loads another mm, and then are all freed.
 */
static void exit_defers_tables(struct kunit *test)
{
	struct tlb_test *t = test->priv;
	struct exit_seen seen;
	struct exit_test *e = exit_test_run(test, false, NULL, &seen);

	KUNIT_EXPECT_EQ_MSG(test, seen.lazy_ipis, 0,
			    "the exit sent lazy CPU %d an IPI", t->lazy.cpu);
	KUNIT_EXPECT_TRUE(test, seen.kept);
	KUNIT_EXPECT_EQ(test, seen.nr_kept, e->nr_tables);
	KUNIT_EXPECT_EQ_MSG(test, seen.freed_at_exit, 0,
			    "tables freed while CPU %d was lazy in the mm",
			    t->lazy.cpu);
	kunit_info(test, "%u tables kept, %u IPIs to lazy CPU %d\n",
		   e->nr_tables, seen.lazy_ipis, t->lazy.cpu);
}

/* Over exit_pgtables_limit, the exit flushes the lazy CPU as before. */
static void exit_over_limit_flushes(struct kunit *test)
{
	struct tlb_test *t = test->priv;
	struct exit_seen seen;
	struct exit_test *e = exit_test_run(test, true, NULL, &seen);

	KUNIT_EXPECT_GE_MSG(test, seen.lazy_ipis, 1,
			    "over the limit, the exit must flush lazy CPU %d",
			    t->lazy.cpu);
	KUNIT_EXPECT_FALSE(test, seen.kept);
	KUNIT_EXPECT_EQ(test, seen.nr_kept, 0);
	KUNIT_EXPECT_EQ(test, seen.freed_at_exit, e->nr_tables);
}

/*
 * A kthread keeps running in the dying mm (kthread_use_mm()): its TLB may
 * map the pages the exit frees, so the exit must flush it, while the lazy
 * CPU still gets no IPI and the tables are kept.
 */
static void exit_flushes_running_cpu(struct kunit *test)
{
	struct tlb_test *t = test->priv;
	struct exit_seen seen;
	struct exit_test *e;

	if (!t->running.task)
		kunit_skip(test, "needs 3 online CPUs");
	e = exit_test_run(test, false, &t->running, &seen);
	KUNIT_EXPECT_GE_MSG(test, seen.running_ipis, 1,
			    "the exit did not flush CPU %d, running in the mm",
			    t->running.cpu);
	KUNIT_EXPECT_EQ_MSG(test, seen.lazy_ipis, 0,
			    "the exit sent lazy CPU %d an IPI", t->lazy.cpu);
	KUNIT_EXPECT_TRUE(test, seen.kept);
	KUNIT_EXPECT_EQ(test, seen.nr_kept, e->nr_tables);
}

/*
 * Which exits keep their tables on a CPU with INVLPGB, which QEMU lacks?
 * Not one whose flush is an INVLPGB alone, an mm on its global ASID, but
 * one still moving to it, whose flush IPIs the CPUs on the old ASID.  The
 * decision is pinned here; the flush itself needs the hardware.
 */
static void exit_broadcast_decision(struct kunit *test)
{
	u16 global = TLB_NR_DYN_ASIDS;

	KUNIT_EXPECT_FALSE(test, exit_flush_is_broadcast_only(0, false));
	KUNIT_EXPECT_TRUE(test, exit_flush_is_broadcast_only(global, false));
	KUNIT_EXPECT_FALSE_MSG(test, exit_flush_is_broadcast_only(global, true),
			       "an exit during the move to a global ASID IPIs the lazy CPUs");
}

static struct kunit_case tlb_exit_cases[] = {
	KUNIT_CASE(exit_defers_tables),
	KUNIT_CASE(exit_over_limit_flushes),
	KUNIT_CASE(exit_flushes_running_cpu),
	KUNIT_CASE(exit_broadcast_decision),
	{}
};

static struct kunit_suite tlb_exit_suite = {
	.name = "x86_tlb_exit",
	.init = tlb_test_init,
	.exit = tlb_test_exit,
	.test_cases = tlb_exit_cases,
};

kunit_test_suites(&tlb_lazy_suite, &tlb_lam_suite, &tlb_exit_suite);

#ifdef CONFIG_DEBUG_TLB_LAZY
/* A lazy CPU at tlb_gen 5 of the mm, as a flush from tlb_gen 5 left it. */
static void lazy_view(struct lazy_tlb_view *v, struct mm_struct *mm)
{
	*v = (struct lazy_tlb_view) {
		.loaded_mm = mm,
		.ctx_id = mm->context.ctx_id,
		.tlb_gen = 5,
		.asid = 1,
		.is_lazy = true,
		.online = true,
		.stable = true,
	};
}

/* Which CPU states check_lazy_tlb_flushed() reports as missed. */
static void lazy_check_decision(struct kunit *test)
{
	struct mm_struct *mm = mm_alloc();
	struct lazy_tlb_view v;

	KUNIT_ASSERT_NOT_NULL(test, mm);

	lazy_view(&v, mm);
	KUNIT_EXPECT_TRUE(test, lazy_tlb_view_missed(&v, mm, 5));
	KUNIT_EXPECT_TRUE(test, lazy_tlb_view_missed(&v, mm, 6));
	/* It caught up past the flush. */
	KUNIT_EXPECT_FALSE(test, lazy_tlb_view_missed(&v, mm, 4));

	/* Flushes reach online CPUs only: see lazy_tlb_view_missed(). */
	v.online = false;
	KUNIT_EXPECT_FALSE(test, lazy_tlb_view_missed(&v, mm, 5));

	/* INVLPGB flushes a global ASID without moving the CPU. */
	lazy_view(&v, mm);
	v.asid = TLB_NR_DYN_ASIDS;
	KUNIT_EXPECT_FALSE(test, lazy_tlb_view_missed(&v, mm, 5));

	lazy_view(&v, mm);
	v.is_lazy = false;
	KUNIT_EXPECT_FALSE(test, lazy_tlb_view_missed(&v, mm, 5));

	lazy_view(&v, mm);
	v.loaded_mm = &init_mm;
	KUNIT_EXPECT_FALSE(test, lazy_tlb_view_missed(&v, mm, 5));

	/* Switching while it was read, or the ASID slot of another mm. */
	lazy_view(&v, mm);
	v.stable = false;
	KUNIT_EXPECT_FALSE(test, lazy_tlb_view_missed(&v, mm, 5));
	lazy_view(&v, mm);
	v.ctx_id++;
	KUNIT_EXPECT_FALSE(test, lazy_tlb_view_missed(&v, mm, 5));

	mmput(mm);
}

/*
 * For which CPU does freeing the page tables an exited mm kept warn?  One
 * that has the mm loaded, running in it or lazy; none once it has left.
 */
static void exit_check_decision(struct kunit *test)
{
	struct mm_struct *mm = mm_alloc();
	struct mm_struct *mm2 = mm_alloc();
	unsigned int self, running, lazy, left;

	KUNIT_ASSERT_NOT_NULL(test, mm);
	KUNIT_ASSERT_NOT_NULL(test, mm2);
	KUNIT_EXPECT_EQ(test, exit_pgtables_loaded_on(mm), nr_cpu_ids);

	migrate_disable();
	self = smp_processor_id();
	kthread_use_mm(mm);
	running = exit_pgtables_loaded_on(mm);
	kthread_unuse_mm(mm);
	lazy = exit_pgtables_loaded_on(mm);
	kthread_use_mm(mm2);
	kthread_unuse_mm(mm2);
	left = exit_pgtables_loaded_on(mm);
	migrate_enable();

	KUNIT_EXPECT_EQ(test, running, self);
	KUNIT_EXPECT_EQ(test, lazy, self);
	KUNIT_EXPECT_EQ(test, left, nr_cpu_ids);
	mmput(mm2);
	mmput(mm);
}

static struct kunit_case tlb_lazy_check_cases[] = {
	KUNIT_CASE(lazy_check_decision),
	KUNIT_CASE(exit_check_decision),
	{}
};

static struct kunit_suite tlb_lazy_check_suite = {
	.name = "x86_tlb_lazy_check",
	.test_cases = tlb_lazy_check_cases,
};

kunit_test_suite(tlb_lazy_check_suite);
#endif
