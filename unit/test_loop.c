/* Unit tests for src/loop.c, every case on each backend (poll, epoll):
 * readiness and level triggering, hang-up and error reporting, handlers
 * that add, change and remove descriptors during a dispatch pass, a
 * descriptor number closed and reused within one pass, a descriptor closed
 * behind the loop's back, the order of a pass, and more ready descriptors
 * than one wait returns. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop.h"

/* What a handler saw. */
struct rec {
	int calls;
	short last; /* revents of the last call */
	int fd;     /* fd of the last call */
};

static void on_ev(struct loop *lp, int fd, short re, void *ctx)
{
	struct rec *r = ctx;

	(void)lp;
	r->calls++;
	r->last = re;
	r->fd = fd;
}

static enum loop_backend be_of(void **state)
{
	return *(const enum loop_backend *)*state;
}

static struct loop *mk(void **state, size_t maxfds)
{
	struct loop *lp = loop_new(maxfds, be_of(state));

	assert_non_null(lp);
	return lp;
}

static void mkpipe(int p[2])
{
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
}

static void mkpair(int s[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, s), 0);
}

static void put(int fd)
{
	assert_int_equal(write(fd, "x", 1), 1);
}

static void take(int fd)
{
	char c;

	assert_int_equal(read(fd, &c, 1), 1);
}

/* ---- readiness ---- */

static void test_readiness(void **state)
{
	struct loop *lp = mk(state, 1024);
	struct rec r = { 0 }, w = { 0 };
	int p[2];

	mkpipe(p);
	assert_int_equal(loop_add(lp, p[0], POLLIN, on_ev, &r), 0);
	assert_int_equal(loop_count(lp), 1);
	/* Nothing to read: a timeout. */
	assert_int_equal(loop_once(lp, 0), 0);
	assert_int_equal(r.calls, 0);
	/* Readable, and again while it stays readable (level-triggered). */
	put(p[1]);
	put(p[1]);
	assert_int_equal(loop_once(lp, 1000), 1);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.fd, p[0]);
	assert_int_equal(r.last, POLLIN);
	take(p[0]);
	assert_int_equal(loop_once(lp, 1000), 1);
	assert_int_equal(r.calls, 2);
	take(p[0]);
	assert_int_equal(loop_once(lp, 0), 0);
	assert_int_equal(r.calls, 2);
	/* Not watched for: not reported; watched again: reported. */
	put(p[1]);
	loop_set(lp, p[0], 0);
	assert_int_equal(loop_once(lp, 0), 0);
	assert_int_equal(r.calls, 2);
	loop_set(lp, p[0], POLLIN);
	assert_int_equal(loop_once(lp, 1000), 1);
	assert_int_equal(r.calls, 3);
	/* The write end: writable at once; events 0 stay quiet. */
	assert_int_equal(loop_add(lp, p[1], POLLOUT, on_ev, &w), 0);
	loop_set(lp, p[0], 0);
	assert_int_equal(loop_once(lp, 1000), 1);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.last, POLLOUT);
	loop_set(lp, p[1], 0);
	assert_int_equal(loop_once(lp, 0), 0);
	assert_int_equal(w.calls, 1);
	assert_int_equal(r.calls, 3);
	/* Both directions on one socket. */
	{
		int s[2];
		struct rec b = { 0 };

		mkpair(s);
		put(s[1]);
		assert_int_equal(loop_add(lp, s[0], POLLIN | POLLOUT, on_ev, &b), 0);
		assert_int_equal(loop_once(lp, 1000), 1);
		assert_int_equal(b.last, POLLIN | POLLOUT);
		loop_set(lp, s[0], POLLOUT);
		assert_int_equal(loop_once(lp, 1000), 1);
		assert_int_equal(b.last, POLLOUT);
		loop_del(lp, s[0]);
		close(s[0]);
		close(s[1]);
	}
	loop_del(lp, p[0]);
	loop_del(lp, p[1]);
	assert_int_equal(loop_count(lp), 0);
	close(p[0]);
	close(p[1]);
	loop_free(lp);
}

static void test_add_errors(void **state)
{
	struct loop *lp = mk(state, 8);
	struct rec r = { 0 };
	int p[2];

	mkpipe(p);
	assert_int_equal(loop_add(lp, -1, POLLIN, on_ev, &r), -1);
	assert_int_equal(loop_add(lp, 8, POLLIN, on_ev, &r), -1);
	assert_int_equal(loop_add(lp, 100, POLLIN, on_ev, &r), -1);
	if (p[0] < 8) {
		assert_int_equal(loop_add(lp, p[0], POLLIN, on_ev, &r), 0);
		assert_int_equal(loop_add(lp, p[0], POLLIN, on_ev, &r), -1); /* twice */
		assert_int_equal(loop_count(lp), 1);
		loop_del(lp, p[0]);
		loop_del(lp, p[0]); /* unknown: no-op */
		assert_int_equal(loop_count(lp), 0);
		assert_int_equal(loop_add(lp, p[0], POLLIN, on_ev, &r), 0);
		loop_del(lp, p[0]);
	}
	loop_set(lp, 5, POLLIN); /* unknown: no-op */
	loop_set(lp, 100, POLLIN);
	loop_del(lp, 100);
	assert_int_equal(loop_count(lp), 0);
	close(p[0]);
	close(p[1]);
	loop_free(lp);
	loop_free(NULL);
}

/* ---- hang-up and errors ---- */

static void test_hangup(void **state)
{
	struct loop *lp = mk(state, 1024);
	struct rec a = { 0 }, b = { 0 }, c = { 0 };
	int s[2], t[2], p[2], q[2];

	/* A half-close (FIN): POLLRDHUP when asked for, with POLLIN (EOF is
	 * readable); no POLLHUP while our side can still write. */
	mkpair(s);
	assert_int_equal(loop_add(lp, s[0], POLLIN | POLLRDHUP, on_ev, &a), 0);
	assert_int_equal(shutdown(s[1], SHUT_WR), 0);
	assert_int_equal(loop_once(lp, 1000), 1);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.last, POLLIN | POLLRDHUP);
	/* Not asked for: only what was asked. */
	loop_set(lp, s[0], POLLIN);
	assert_int_equal(loop_once(lp, 1000), 1);
	assert_int_equal(a.last, POLLIN);
	/* Asked for nothing: silent until both directions are gone. */
	loop_set(lp, s[0], 0);
	assert_int_equal(loop_once(lp, 0), 0);
	assert_int_equal(a.calls, 2);
	close(s[1]);
	assert_int_equal(loop_once(lp, 1000), 1);
	assert_int_equal(a.calls, 3);
	assert_int_equal(a.last, POLLHUP);
	loop_del(lp, s[0]);
	close(s[0]);

	/* A peer that closes at once: POLLHUP comes unasked, with the rest
	 * of what was asked for. */
	mkpair(t);
	assert_int_equal(loop_add(lp, t[0], POLLRDHUP, on_ev, &b), 0);
	close(t[1]);
	assert_int_equal(loop_once(lp, 1000), 1);
	assert_int_equal(b.last, POLLRDHUP | POLLHUP);
	loop_del(lp, t[0]);
	close(t[0]);

	/* Pipes: the writer gone is POLLHUP at the reader (with POLLIN for
	 * the data still there); the reader gone is POLLERR at the writer,
	 * even with no events asked for. */
	mkpipe(p);
	mkpipe(q);
	assert_int_equal(loop_add(lp, p[0], POLLIN, on_ev, &a), 0);
	assert_int_equal(loop_add(lp, q[1], 0, on_ev, &c), 0);
	put(p[1]);
	close(p[1]);
	close(q[0]);
	a.calls = 0;
	assert_int_equal(loop_once(lp, 1000), 2);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.last, POLLIN | POLLHUP);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.last, POLLERR);
	take(p[0]);
	assert_int_equal(loop_once(lp, 1000), 2);
	assert_int_equal(a.last, POLLHUP);
	loop_del(lp, p[0]);
	loop_del(lp, q[1]);
	close(p[0]);
	close(q[1]);
	loop_free(lp);
}

/* A descriptor closed without loop_del: POLLNVAL on both backends once
 * the loop touches it (poll() sees it at once; epoll when loop_set finds
 * the kernel forgot it). */
static void test_closed_behind(void **state)
{
	struct loop *lp = mk(state, 1024);
	struct rec r = { 0 };
	int p[2];

	mkpipe(p);
	assert_int_equal(loop_add(lp, p[0], POLLIN, on_ev, &r), 0);
	close(p[0]);
	loop_set(lp, p[0], POLLIN | POLLRDHUP);
	assert_int_equal(loop_once(lp, 1000), 1);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.last, POLLNVAL);
	loop_del(lp, p[0]);
	assert_int_equal(loop_count(lp), 0);
	assert_int_equal(loop_once(lp, 0), 0);
	assert_int_equal(r.calls, 1);
	close(p[1]);
	loop_free(lp);
}

/* ---- changes during dispatch ---- */

/* Two readable descriptors; whichever handler runs first acts on the
 * other (the order of a pass is the backend's). */
struct pair {
	struct loop *lp;
	int fd[2];
	int calls[2];
	short re[2];
	int action;   /* what the first call does to the other */
	int added;    /* for ACT_ADD/ACT_REUSE: the descriptor added */
	struct rec fresh;
	int spare[2]; /* a pipe whose read end is added (ACT_ADD) */
};

enum { ACT_DEL, ACT_DEL_CLOSE_REUSE, ACT_SET_OFF, ACT_ADD, ACT_DEL_SELF_REUSE };

static void pair_ev(struct loop *lp, int fd, short re, void *ctx);

static void reuse(struct pair *pr, int victim)
{
	int n[2];

	/* Close it and take its number for a new, readable descriptor, as
	 * accept() would hand it out again. */
	loop_del(pr->lp, victim);
	close(victim);
	mkpipe(n);
	put(n[1]);
	if (n[0] != victim) { /* the lowest free number is usually it */
		assert_int_equal(dup3(n[0], victim, O_CLOEXEC), victim);
		close(n[0]);
	}
	pr->spare[0] = victim;
	pr->spare[1] = n[1];
	assert_int_equal(loop_add(pr->lp, victim, POLLIN, on_ev, &pr->fresh), 0);
	pr->added = victim;
}

static void pair_ev(struct loop *lp, int fd, short re, void *ctx)
{
	struct pair *pr = ctx;
	int me = fd == pr->fd[0] ? 0 : 1;
	int other = pr->fd[1 - me];

	assert_int_equal(fd, pr->fd[me]);
	pr->calls[me]++;
	pr->re[me] = re;
	if (pr->calls[0] + pr->calls[1] > 1)
		return;
	switch (pr->action) {
	case ACT_DEL:
		loop_del(lp, other);
		break;
	case ACT_DEL_CLOSE_REUSE:
		reuse(pr, other);
		break;
	case ACT_SET_OFF:
		loop_set(lp, other, 0);
		break;
	case ACT_ADD:
		mkpipe(pr->spare);
		put(pr->spare[1]);
		assert_int_equal(loop_add(lp, pr->spare[0], POLLIN, on_ev, &pr->fresh), 0);
		pr->added = pr->spare[0];
		break;
	case ACT_DEL_SELF_REUSE:
		reuse(pr, fd);
		break;
	}
}

static void pair_setup(struct pair *pr, struct loop *lp, int action, int keep[2][2])
{
	memset(pr, 0, sizeof(*pr));
	pr->lp = lp;
	pr->action = action;
	pr->added = -1;
	pr->spare[0] = pr->spare[1] = -1;
	for (int i = 0; i < 2; i++) {
		mkpipe(keep[i]);
		put(keep[i][1]);
		pr->fd[i] = keep[i][0];
		assert_int_equal(loop_add(lp, pr->fd[i], POLLIN, pair_ev, pr), 0);
	}
}

static void test_del_during_dispatch(void **state)
{
	struct loop *lp = mk(state, 1024);
	struct pair pr;
	int k[2][2];

	pair_setup(&pr, lp, ACT_DEL, k);
	assert_int_equal(loop_once(lp, 1000), 2);
	/* Both were ready, but the removed one is not called. */
	assert_int_equal(pr.calls[0] + pr.calls[1], 1);
	assert_int_equal(loop_count(lp), 1);
	/* Nor later. */
	assert_int_equal(loop_once(lp, 1000), 1);
	assert_int_equal(pr.calls[0] + pr.calls[1], 2);
	assert_true(pr.calls[0] == 2 || pr.calls[1] == 2);
	for (int i = 0; i < 2; i++) {
		loop_del(lp, k[i][0]);
		close(k[i][0]);
		close(k[i][1]);
	}
	loop_free(lp);
}

/* The heart of it: a descriptor removed, closed, and its number reused
 * within one pass.  The old ctx never sees the event that was pending
 * for the old descriptor, and the new registration is not called in this
 * pass, only from the next wait on. */
static void test_reuse_in_one_pass(void **state)
{
	for (int act = ACT_DEL_CLOSE_REUSE; act <= ACT_DEL_SELF_REUSE;
	     act += ACT_DEL_SELF_REUSE - ACT_DEL_CLOSE_REUSE) {
		struct loop *lp = mk(state, 1024);
		struct pair pr;
		int k[2][2], first;

		pair_setup(&pr, lp, act, k);
		assert_int_equal(loop_once(lp, 1000), 2);
		first = pr.calls[0] ? 0 : 1;
		if (act == ACT_DEL_CLOSE_REUSE) {
			/* The other was removed: never called, its number
			 * now belongs to the fresh registration. */
			assert_int_equal(pr.calls[first], 1);
			assert_int_equal(pr.calls[1 - first], 0);
			assert_int_equal(pr.added, pr.fd[1 - first]);
		} else {
			/* The first removed itself; the other one is called
			 * in the same pass as usual. */
			assert_int_equal(pr.calls[0], 1);
			assert_int_equal(pr.calls[1], 1);
			assert_int_equal(pr.added, pr.fd[first]);
		}
		assert_int_equal(pr.fresh.calls, 0);
		assert_int_equal(loop_count(lp), 2);
		/* Next pass: the new registration, with its own ctx. */
		assert_int_equal(loop_once(lp, 1000), 2);
		assert_int_equal(pr.fresh.calls, 1);
		assert_int_equal(pr.fresh.fd, pr.added);
		assert_int_equal(pr.fresh.last, POLLIN);
		assert_int_equal(pr.calls[0] + pr.calls[1], act == ACT_DEL_CLOSE_REUSE ? 2 : 3);
		for (int i = 0; i < 2; i++) {
			if (pr.fd[i] != pr.added) {
				loop_del(lp, pr.fd[i]);
				close(pr.fd[i]);
			}
			close(k[i][1]);
		}
		loop_del(lp, pr.added);
		close(pr.added);
		close(pr.spare[1]);
		assert_int_equal(loop_count(lp), 0);
		loop_free(lp);
	}
}

static void test_set_during_dispatch(void **state)
{
	struct loop *lp = mk(state, 1024);
	struct pair pr;
	int k[2][2], first;

	pair_setup(&pr, lp, ACT_SET_OFF, k);
	assert_int_equal(loop_once(lp, 1000), 2);
	first = pr.calls[0] ? 0 : 1;
	/* A change made during a pass counts from the next wait: what was
	 * reported for this one is still delivered. */
	assert_int_equal(pr.calls[first], 1);
	assert_true(pr.calls[1 - first] <= 1);
	assert_int_equal(pr.calls[0] + pr.calls[1], 1 + pr.calls[1 - first]);
	{
		int before = pr.calls[1 - first];

		assert_int_equal(loop_once(lp, 1000), 1);
		assert_int_equal(pr.calls[1 - first], before);
		assert_int_equal(pr.calls[first], 2);
	}
	loop_set(lp, pr.fd[1 - first], POLLIN);
	assert_int_equal(loop_once(lp, 1000), 2);
	for (int i = 0; i < 2; i++) {
		loop_del(lp, k[i][0]);
		close(k[i][0]);
		close(k[i][1]);
	}
	loop_free(lp);
}

static void test_add_during_dispatch(void **state)
{
	struct loop *lp = mk(state, 1024);
	struct pair pr;
	int k[2][2];

	pair_setup(&pr, lp, ACT_ADD, k);
	assert_int_equal(loop_once(lp, 1000), 2);
	assert_int_equal(pr.calls[0], 1);
	assert_int_equal(pr.calls[1], 1);
	/* Added during the pass, readable already: waits for the next. */
	assert_int_equal(pr.fresh.calls, 0);
	assert_int_equal(loop_count(lp), 3);
	assert_int_equal(loop_once(lp, 1000), 3);
	assert_int_equal(pr.fresh.calls, 1);
	assert_int_equal(pr.fresh.fd, pr.added);
	for (int i = 0; i < 2; i++) {
		loop_del(lp, k[i][0]);
		close(k[i][0]);
		close(k[i][1]);
	}
	loop_del(lp, pr.spare[0]);
	close(pr.spare[0]);
	close(pr.spare[1]);
	loop_free(lp);
}

/* A handler that changes its own events: the next wait uses them. */
static void flip_ev(struct loop *lp, int fd, short re, void *ctx)
{
	struct rec *r = ctx;

	r->calls++;
	r->last = re;
	loop_set(lp, fd, (re & POLLIN) ? POLLOUT : POLLIN);
}

static void test_set_self(void **state)
{
	struct loop *lp = mk(state, 1024);
	struct rec r = { 0 };
	int s[2];

	mkpair(s);
	put(s[1]);
	assert_int_equal(loop_add(lp, s[0], POLLIN, flip_ev, &r), 0);
	assert_int_equal(loop_once(lp, 1000), 1);
	assert_int_equal(r.last, POLLIN);
	assert_int_equal(loop_once(lp, 1000), 1);
	assert_int_equal(r.last, POLLOUT);
	assert_int_equal(loop_once(lp, 1000), 1);
	assert_int_equal(r.last, POLLIN);
	assert_int_equal(r.calls, 3);
	loop_del(lp, s[0]);
	close(s[0]);
	close(s[1]);
	loop_free(lp);
}

/* ---- order ---- */

/* Handlers run in the order their descriptors were added, whatever the
 * numbers; one removed and added again goes last. */
#define NORD 6

struct order {
	int seen[NORD * 2];
	int n;
};

static void order_ev(struct loop *lp, int fd, short re, void *ctx)
{
	struct order *o = ctx;

	(void)lp;
	(void)re;
	assert_true(o->n < NORD * 2);
	o->seen[o->n++] = fd;
}

static void test_order(void **state)
{
	struct loop *lp = mk(state, 1024);
	struct order o = { { 0 }, 0 };
	int p[NORD][2], want[NORD];

	for (int i = 0; i < NORD; i++)
		mkpipe(p[i]);
	/* Added from the highest number down, the second one first. */
	want[0] = p[1][0];
	for (int i = 1, k = NORD - 1; i < NORD; i++, k--)
		want[i] = p[k == 1 ? 0 : k][0];
	for (int i = 0; i < NORD; i++)
		assert_int_equal(loop_add(lp, want[i], POLLIN, order_ev, &o), 0);
	/* Made ready in yet another order (epoll queues them so). */
	for (int i = 0; i < NORD; i++)
		put(p[(i * 5 + 2) % NORD][1]);
	assert_int_equal(loop_once(lp, 1000), NORD);
	assert_int_equal(o.n, NORD);
	for (int i = 0; i < NORD; i++)
		assert_int_equal(o.seen[i], want[i]);
	/* The first, removed and added again, now comes last. */
	loop_del(lp, want[0]);
	assert_int_equal(loop_add(lp, want[0], POLLIN, order_ev, &o), 0);
	o.n = 0;
	assert_int_equal(loop_once(lp, 1000), NORD);
	for (int i = 0; i < NORD - 1; i++)
		assert_int_equal(o.seen[i], want[i + 1]);
	assert_int_equal(o.seen[NORD - 1], want[0]);
	for (int i = 0; i < NORD; i++) {
		loop_del(lp, p[i][0]);
		close(p[i][0]);
		close(p[i][1]);
	}
	loop_free(lp);
}

/* ---- many descriptors ---- */

/* 600 pipes, more than one epoll_wait returns (512): every one is
 * reported, none twice once drained, the idle ones never. */
#define NMANY 600

static void drain_ev(struct loop *lp, int fd, short re, void *ctx)
{
	int *calls = ctx;

	(void)lp;
	assert_int_equal(re, POLLIN);
	take(fd);
	calls[fd]++;
}

static void test_many(void **state)
{
	struct rlimit rl;
	static int rd[NMANY], wr[NMANY];
	int *calls;
	struct loop *lp;
	int total = 0, passes = 0;

	/* 1200 descriptors and then some. */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	assert_true(rl.rlim_cur >= 2 * NMANY + 64);
	lp = mk(state, rl.rlim_cur);
	calls = calloc(rl.rlim_cur, sizeof(*calls));
	assert_non_null(calls);
	for (int i = 0; i < NMANY; i++) {
		int p[2];

		mkpipe(p);
		rd[i] = p[0];
		wr[i] = p[1];
		assert_int_equal(loop_add(lp, rd[i], POLLIN, drain_ev, calls), 0);
	}
	/* Every other one readable. */
	for (int i = 0; i < NMANY; i += 2)
		put(wr[i]);
	while (total < NMANY / 2 && passes < 10) {
		total += loop_once(lp, 1000);
		passes++;
	}
	assert_int_equal(total, NMANY / 2);
	for (int i = 0; i < NMANY; i++)
		assert_int_equal(calls[rd[i]], i % 2 == 0 ? 1 : 0);
	assert_int_equal(loop_once(lp, 0), 0);
	for (int i = 0; i < NMANY; i++) {
		loop_del(lp, rd[i]);
		close(rd[i]);
		close(wr[i]);
	}
	assert_int_equal(loop_count(lp), 0);
	free(calls);
	loop_free(lp);
}

/* ---- tracked descriptors (loop_add_tracked, loop_unready) ---- */

/* A handler that reads up to `want` bytes per call (0: none) and says
 * unready after a short read or EAGAIN, as conn.c does. */
struct tr {
	struct rec r;
	size_t want;
	size_t got;
};

static void tr_ev(struct loop *lp, int fd, short re, void *ctx)
{
	struct tr *t = ctx;
	char buf[64];

	on_ev(lp, fd, re, &t->r);
	if (!(re & POLLIN) || t->want == 0)
		return;
	{
		ssize_t n = read(fd, buf, t->want < sizeof(buf) ? t->want : sizeof(buf));

		if (n > 0)
			t->got += (size_t)n;
		if (n < 0 || (size_t)n < t->want)
			loop_unready(lp, fd, POLLIN);
	}
}

static void test_tracked(void **state)
{
	struct loop *lp = mk(state, 1024);
	struct tr t = { .want = 64 };
	int p[2], s[2];

	mkpipe(p);
	assert_int_equal(loop_add_tracked(lp, p[0], POLLIN, tr_ev, &t), 0);
	assert_int_equal(loop_once(lp, 0), 0);
	assert_int_equal(t.r.calls, 0);
	/* Read whole (short read): reported once, then quiet. */
	put(p[1]);
	put(p[1]);
	assert_int_equal(loop_once(lp, 1000), 1);
	assert_int_equal(t.r.calls, 1);
	assert_int_equal(t.r.last, POLLIN);
	assert_int_equal(t.got, 2);
	assert_int_equal(loop_once(lp, 0), 0);
	assert_int_equal(t.r.calls, 1);
	/* New data: reported again. */
	put(p[1]);
	assert_int_equal(loop_once(lp, 1000), 1);
	assert_int_equal(t.r.calls, 2);
	/* Read one byte of three (a full read: still ready): reported on
	 * every pass until a read comes up short, as level-triggered. */
	t.want = 1;
	put(p[1]);
	put(p[1]);
	put(p[1]);
	for (int i = 0; i < 3; i++) {
		assert_true(loop_once(lp, 1000) >= 1);
		assert_int_equal(t.got, 4 + (size_t)i);
	}
	assert_int_equal(t.r.calls, 5);
	/* epoll cannot know the pipe is empty: one more call meets EAGAIN
	 * and says unready; poll() asks the kernel. */
	loop_once(lp, 0);
	assert_int_equal(t.r.calls, be_of(state) == LOOP_EPOLL ? 6 : 5);
	t.r.calls = 6;
	assert_int_equal(loop_once(lp, 0), 0);
	assert_int_equal(t.r.calls, 6);
	/* Not watched: remembered, reported once watched again. */
	t.want = 64;
	loop_set(lp, p[0], 0);
	put(p[1]);
	assert_int_equal(loop_once(lp, 0), 0);
	assert_int_equal(t.r.calls, 6);
	loop_set(lp, p[0], POLLIN);
	assert_true(loop_once(lp, 1000) >= 1);
	assert_int_equal(t.r.calls, 7);
	assert_int_equal(t.got, 7);
	loop_del(lp, p[0]);
	close(p[0]);
	close(p[1]);

	/* A socket: POLLOUT when watched for, without a new edge; quiet after
	 * loop_unready until there is room again. */
	{
		struct rec b = { 0 };
		char big[65536];
		size_t sent = 0;

		memset(big, 'x', sizeof(big));
		mkpair(s);
		assert_int_equal(loop_add_tracked(lp, s[0], POLLIN, on_ev, &b), 0);
		assert_int_equal(loop_once(lp, 0), 0); /* writable, not watched */
		assert_int_equal(b.calls, 0);
		loop_set(lp, s[0], POLLOUT);
		assert_true(loop_once(lp, 1000) >= 1);
		assert_int_equal(b.calls, 1);
		assert_int_equal(b.last, POLLOUT);
		assert_true(loop_once(lp, 1000) >= 1); /* still writable */
		assert_int_equal(b.calls, 2);
		for (;;) {
			ssize_t n = write(s[0], big, sizeof(big));

			if (n < 0)
				break;
			sent += (size_t)n;
		}
		loop_unready(lp, s[0], POLLOUT);
		assert_int_equal(loop_once(lp, 0), 0);
		assert_int_equal(b.calls, 2);
		while (sent > 0) {
			ssize_t n = read(s[1], big, sizeof(big));

			assert_true(n > 0);
			sent -= (size_t)n;
		}
		assert_true(loop_once(lp, 1000) >= 1);
		assert_int_equal(b.calls, 3);
		assert_true(b.last & POLLOUT);
		/* Data and the peer's FIN at once: a short read does not make
		 * the descriptor quiet, the end is still to be read. */
		{
			int u[2];
			struct tr e = { .want = 64 };

			loop_set(lp, s[0], 0); /* b stays quiet meanwhile */
			mkpair(u);
			assert_int_equal(loop_add_tracked(lp, u[0], POLLIN, tr_ev, &e), 0);
			put(u[1]);
			shutdown(u[1], SHUT_WR);
			assert_true(loop_once(lp, 1000) >= 1);
			assert_int_equal(e.got, 1);
			assert_true(loop_once(lp, 1000) >= 1);
			assert_int_equal(e.r.calls, 2);
			assert_true(e.r.last & POLLIN);
			assert_int_equal(read(u[0], big, 1), 0); /* the end */
			loop_del(lp, u[0]);
			close(u[0]);
			close(u[1]);
		}
		/* The peer leaves: POLLHUP even with nothing watched, and
		 * POLLRDHUP only when asked. */
		loop_set(lp, s[0], 0);
		close(s[1]);
		assert_true(loop_once(lp, 1000) >= 1);
		assert_int_equal(b.calls, 4);
		assert_true(b.last & POLLHUP);
		assert_false(b.last & POLLRDHUP);
		loop_set(lp, s[0], POLLRDHUP);
		assert_true(loop_once(lp, 1000) >= 1);
		assert_true(b.last & POLLRDHUP);
		loop_del(lp, s[0]);
		close(s[0]);
	}
	assert_int_equal(loop_count(lp), 0);
	loop_free(lp);
}

/* A tracked descriptor queued for the next pass, removed and its number
 * reused before that pass: the old ctx is never called again. */
static void tracked_reuse(void **state, int closing)
{
	struct loop *lp = mk(state, 1024);
	struct rec a = { 0 }, b = { 0 };
	int s[2], t[2];

	mkpair(s);
	assert_int_equal(loop_add_tracked(lp, s[0], POLLOUT, on_ev, &a), 0);
	assert_true(loop_once(lp, 1000) >= 1); /* writable: queued again */
	assert_int_equal(a.calls, 1);
	put(s[1]); /* a pending edge for the old registration */
	if (closing)
		loop_del_closing(lp, s[0]);
	else
		loop_del(lp, s[0]);
	close(s[0]);
	close(s[1]);
	mkpair(t);
	if (t[0] != s[0]) { /* the number is free: it is taken first */
		int x = dup2(t[0], s[0]);

		assert_int_equal(x, s[0]);
		close(t[0]);
		t[0] = s[0];
	}
	assert_int_equal(loop_add_tracked(lp, t[0], POLLIN, on_ev, &b), 0);
	assert_int_equal(loop_once(lp, 0), 0);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 0);
	put(t[1]);
	assert_true(loop_once(lp, 1000) >= 1);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.last, POLLIN);
	loop_del_closing(lp, t[0]);
	close(t[0]);
	close(t[1]);
	assert_int_equal(loop_count(lp), 0);
	assert_int_equal(loop_once(lp, 0), 0);
	loop_free(lp);
}

static void test_tracked_reuse(void **state)
{
	tracked_reuse(state, 0);
	tracked_reuse(state, 1);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(loop_backend_name(LOOP_POLL), "poll");
	assert_string_equal(loop_backend_name(LOOP_EPOLL), "epoll");
	assert_true(loop_backend_available(LOOP_POLL));
#ifdef __linux__
	assert_true(loop_backend_available(LOOP_EPOLL));
	assert_int_equal(LOOP_DEFAULT, LOOP_EPOLL);
#else
	assert_false(loop_backend_available(LOOP_EPOLL));
	assert_null(loop_new(16, LOOP_EPOLL));
	assert_int_equal(errno, ENOSYS);
#endif
}

static const enum loop_backend be_poll = LOOP_POLL;
static const enum loop_backend be_epoll = LOOP_EPOLL;

#define BOTH(f) \
	cmocka_unit_test_prestate(f, (void *)&be_poll), \
	cmocka_unit_test_prestate(f, (void *)&be_epoll)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		BOTH(test_readiness),
		BOTH(test_add_errors),
		BOTH(test_hangup),
		BOTH(test_closed_behind),
		BOTH(test_del_during_dispatch),
		BOTH(test_reuse_in_one_pass),
		BOTH(test_set_during_dispatch),
		BOTH(test_add_during_dispatch),
		BOTH(test_set_self),
		BOTH(test_order),
		BOTH(test_many),
		BOTH(test_tracked),
		BOTH(test_tracked_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
