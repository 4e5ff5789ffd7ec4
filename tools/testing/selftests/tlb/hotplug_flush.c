// SPDX-License-Identifier: GPL-2.0
/*
 * CPU hotplug while flushes that free page tables run: a smoke test.
 *
 * A CPU that goes offline stays in the mm_cpumask() of the mms it was lazy
 * in, while a flush sends IPIs to online CPUs only: a check that lazy CPUs
 * got every flush that freed page tables (CONFIG_DEBUG_TLB_LAZY) must not
 * count a CPU going offline, or coming back. On this kernel the outgoing
 * CPU leaves its lazy mm for init_mm in sched_cpu_wait_empty(), before it
 * leaves cpu_online_mask, so hotplug does not reach an offline CPU that is
 * still lazy in an mm: the test cannot fail for a check that forgets to
 * skip offline CPUs. It checks that hotplug under table-freeing flushes
 * makes the kernel warn about nothing, loses no data and brings the CPU
 * back.
 *
 * A thread on CPU 0 maps a range that is the only mapping in its PMD range,
 * fills it, checks it and unmaps it, which frees its PTE table, over and
 * over. Each round, a thread on the hotplug CPU (the last online one,
 * not CPU 0) reads a buffer of this mm and exits, leaving that CPU idle and
 * lazy in this mm, and the main thread takes the CPU offline and back
 * online while the flushes go on. The kernel must log no warning in the
 * meantime (read from /dev/kmsg; a new "W" taint fails the test too),
 * every range must read back its own data, and the CPU must come back.
 * The CPU is brought back online by the harness's parent process, and
 * by a watcher process should the test be killed.
 *
 * Needs root, CONFIG_HOTPLUG_CPU and a CPU other than 0 that can go
 * offline, and a kernel not tainted "W" yet (a WARN_ONCE() that already
 * fired would stay silent); skips otherwise.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "tlb_util.h"

#define ROUNDS		10	/* offline and online cycles */
#define PAGES		16	/* pages of each range the flusher maps */
#define MIN_PASSES	2	/* flusher passes while the CPU is away */
#define TAINT_WARN	0x200	/* taint flag W, bit 9 */
#define HOLE_TRIES	100	/* holes tried while other threads map too */

FIXTURE(hotplug_flush) {
	int cpu;		/* the hotplug CPU */
	char path[64];		/* its "online" file */
};

/* Online state of CPU @cpu from its "online" file @path: 0, 1 or -errno. */
static int cpu_online(const char *path)
{
	char c = 0;
	int fd, n;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, &c, 1);
	close(fd);
	return n == 1 ? c == '1' : -EIO;
}

/* Write @val ("0" or "1") to the "online" file @path: 0 or -errno. */
static int cpu_set_online(const char *path, const char *val)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, 1) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

static unsigned long kernel_taint(void)
{
	unsigned long taint = 0;
	FILE *f;

	f = fopen("/proc/sys/kernel/tainted", "r");
	if (!f)
		return 0;
	if (fscanf(f, "%lu", &taint) != 1)
		taint = 0;
	fclose(f);
	return taint;
}

/*
 * Bring the CPU of @path back online once the test process is gone, for
 * whatever reason: a process of its own, outside the test's process group
 * (which the harness kills on a timeout), waits for the end of file on
 * @fd, whose write end only the test holds.
 */
static int start_watcher(const char *path, int fds[2])
{
	char c;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid)
		return 0;
	close(fds[1]);
	setpgid(0, 0);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	close(STDIN_FILENO);
	close(STDOUT_FILENO);
	close(STDERR_FILENO);
	for (;;) {
		ssize_t n = read(fds[0], &c, 1);

		if (!n || (n < 0 && errno != EINTR))
			break;
	}
	if (cpu_online(path) == 0)
		cpu_set_online(path, "1");
	_exit(0);
}

FIXTURE_SETUP(hotplug_flush)
{
	int cpu, ret, fds[2];

	self->cpu = -1;
	if (!need_test_cpus())
		SKIP(return, NEED_CPUS_MSG);
	for (cpu = sysconf(_SC_NPROCESSORS_CONF) - 1; cpu > 0; cpu--) {
		snprintf(self->path, sizeof(self->path),
			 "/sys/devices/system/cpu/cpu%d/online", cpu);
		if (cpu_online(self->path) == 1)
			break;
	}
	if (cpu <= 0)
		SKIP(return,
		     "no online CPU with an online file: no CPU hotplug (CONFIG_HOTPLUG_CPU)");
	ret = access(self->path, W_OK) ? -errno : 0;
	if (ret)
		SKIP(return, "%s: %s: needs root", self->path, strerror(-ret));
	if (kernel_taint() & TAINT_WARN)
		SKIP(return,
		     "the kernel is tainted W already: a warning it gives again may not be logged");
	ASSERT_EQ(0, pipe(fds));
	ASSERT_EQ(0, start_watcher(self->path, fds));
	close(fds[0]);	/* keep fds[1] open until we exit */
	self->cpu = cpu;
	ASSERT_EQ(0, pin_to_cpu(MAIN_CPU));
}

/* In the harness's parent process: runs even if the test process died. */
FIXTURE_TEARDOWN_PARENT(hotplug_flush)
{
	/* Never leave the CPU offline. */
	if (self->cpu > 0 && cpu_online(self->path) == 0)
		cpu_set_online(self->path, "1");
}

/*
 * /dev/kmsg opened at the end of the log: warnings logged from now on.
 * Returns the descriptor, or -errno.
 */
static int kmsg_open(void)
{
	int fd;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/*
 * Count the warnings and bugs among the records logged since kmsg_open()
 * and log them; -errno if /dev/kmsg cannot be read.
 */
static int kmsg_warnings(int fd, struct __test_metadata *_metadata)
{
	char rec[8192], *msg;
	int warnings = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten: read on */
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? warnings : -errno;
		if (!n)
			return warnings;
		rec[n] = '\0';
		/* "prio,seq,usec,flags;message\n" and continuation lines */
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		if (!strncmp(msg, "WARNING:", 8) || strstr(msg, "BUG:") ||
		    strstr(msg, "kernel BUG")) {
			warnings++;
			TH_LOG("kernel: %.*s", (int)strcspn(msg, "\n"), msg);
		}
	}
}

struct flusher {
	pthread_t thread;
	unsigned long passes;	/* ranges mapped, checked and unmapped */
	unsigned long bad;	/* pages that did not read back their data */
	int stop;
	int error;
};

/*
 * A range of @len bytes at a PMD-aligned address, the only mapping in its
 * PMD range, or MAP_FAILED with errno set. Other threads map too (thread
 * stacks), and may take the hole between pmd_aligned_hole() and the
 * mmap(): then try another.
 */
static char *map_lone_range(size_t len)
{
	void *addr, *p = MAP_FAILED;
	int i;

	for (i = 0; i < HOLE_TRIES; i++) {
		addr = pmd_aligned_hole();
		if (!addr) {
			errno = ENOMEM;
			return MAP_FAILED;
		}
		p = mmap(addr, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			 -1, 0);
		if (p != MAP_FAILED && p != addr) {
			/* A kernel without MAP_FIXED_NOREPLACE */
			munmap(p, len);
			errno = EEXIST;
			return MAP_FAILED;
		}
		if (p != MAP_FAILED || errno != EEXIST)
			break;
	}
	return p;
}

/* CPU 0: map, fill, check and unmap a range, freeing its PTE table. */
static void *flush_loop(void *arg)
{
	struct flusher *f = arg;
	struct page_check res;
	unsigned long pass;
	char *p;

	for (pass = 0; !__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE); pass++) {
		p = map_lone_range(PAGES * psize());
		if (p == MAP_FAILED) {
			__atomic_store_n(&f->error, errno, __ATOMIC_RELEASE);
			break;
		}
		fill_pages(p, PAGES, pass);
		check_pages(p, PAGES, pass, pass, &res);
		f->bad += res.bad;
		if (munmap(p, PAGES * psize())) {
			__atomic_store_n(&f->error, errno, __ATOMIC_RELEASE);
			break;
		}
		__atomic_store_n(&f->passes, pass + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * On the hotplug CPU: check the @pages pages at @arg, which loads this mm,
 * and exit, leaving the CPU idle and lazy in it.
 */
static void *visit(void *arg)
{
	struct page_check res;

	check_pages(arg, PAGES, 0, 0, &res);
	return (void *)(unsigned long)res.bad;
}

/* Wait until the flusher has made @n passes more than @from. */
static void wait_passes(struct flusher *f, unsigned long from, unsigned long n)
{
	while (__atomic_load_n(&f->passes, __ATOMIC_ACQUIRE) < from + n &&
	       !__atomic_load_n(&f->error, __ATOMIC_ACQUIRE))
		usleep(1000);
}

TEST_F_TIMEOUT(hotplug_flush, offline_while_freeing, TLB_TEST_TIMEOUT)
{
	struct flusher f = { 0 };
	unsigned long passes;
	unsigned int round;
	pthread_t visitor;
	int ret, kmsg;
	void *bad;
	char *buf;

	kmsg = kmsg_open();
	if (kmsg < 0)
		TH_LOG("/dev/kmsg: %s: checking the W taint only",
		       strerror(-kmsg));
	buf = mmap(NULL, PAGES * psize(), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	fill_pages(buf, PAGES, 0);
	ASSERT_EQ(0, start_thread_on(&f.thread, MAIN_CPU, flush_loop, &f));
	for (round = 0; round < ROUNDS; round++) {
		ASSERT_EQ(0, start_thread_on(&visitor, self->cpu, visit, buf));
		ASSERT_EQ(0, pthread_join(visitor, &bad));
		ASSERT_TRUE(!bad);

		/* CPU self->cpu is lazy in this mm: take it away now. */
		passes = __atomic_load_n(&f.passes, __ATOMIC_ACQUIRE);
		ret = cpu_set_online(self->path, "0");
		if (ret == -EBUSY || ret == -EPERM || ret == -EINVAL) {
			__atomic_store_n(&f.stop, 1, __ATOMIC_RELEASE);
			pthread_join(f.thread, NULL);
			SKIP(return, "CPU %d cannot go offline: %s", self->cpu,
			     strerror(-ret));
		}
		ASSERT_EQ(0, ret);
		ASSERT_EQ(0, cpu_online(self->path));
		wait_passes(&f, passes, MIN_PASSES);

		passes = __atomic_load_n(&f.passes, __ATOMIC_ACQUIRE);
		ASSERT_EQ(0, cpu_set_online(self->path, "1"));
		ASSERT_EQ(1, cpu_online(self->path));
		wait_passes(&f, passes, MIN_PASSES);
		ASSERT_EQ(0, f.error);
	}
	__atomic_store_n(&f.stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(f.thread, NULL));

	tlb_msg("%u times CPU %d went offline and online, lazy in this mm\n",
		ROUNDS, self->cpu);
	tlb_msg("%lu PTE tables freed meanwhile, %lu bad pages\n", f.passes,
		f.bad);
	ASSERT_EQ(0, f.error);
	ASSERT_EQ(0, f.bad);
	if (kmsg >= 0) {
		ret = kmsg_warnings(kmsg, _metadata);
		close(kmsg);
		ASSERT_LE(0, ret) {
			TH_LOG("/dev/kmsg: %s", strerror(-ret));
		}
		ASSERT_EQ(0, ret) {
			TH_LOG("the kernel warned %d times while CPU %d came and went",
			       ret, self->cpu);
		}
	}
	ASSERT_EQ(0, kernel_taint() & TAINT_WARN) {
		TH_LOG("the kernel warned (taint W): see the kernel log");
	}
}

TEST_HARNESS_MAIN
