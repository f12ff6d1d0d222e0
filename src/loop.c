/* The event loop (poll() or epoll): the pollfd array and the {handler, ctx} table. */
#include "loop.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/epoll.h>
#endif

/* One watched descriptor, indexed by its number (redis aeFileEvent). */
struct watch {
	loop_fn fn;      /* NULL when fd is not watched */
	void *ctx;
	short events;    /* what the caller asked for */
	char nval;       /* epoll: queued for a POLLNVAL report */
	char tracked;    /* epoll: added by loop_add_tracked (edge-triggered) */
	char posted;     /* epoll: queued for the next pass */
	short ready;     /* epoll, tracked: what the kernel reported and no
			  * loop_unready() took back since */
	uint32_t gen;    /* epoll: registration number, carried in the event */
	size_t slot;     /* poll: index of its pollfd */
};

struct loop {
	enum loop_backend be;
	struct watch *w;      /* maxfds entries */
	size_t maxfds;
	size_t count;         /* descriptors watched */
	/* poll */
	struct pollfd *pfd;   /* the array handed to poll(), kept in place */
	size_t n;             /* used slots (some may be dead: fd -1) */
	size_t dead;          /* slots marked dead since the last compaction */
	/* epoll */
	int epfd;
	void *ev;             /* struct epoll_event[nev] */
	int nev;
	uint32_t gen;         /* last registration number given out */
	uint64_t *nvalq;      /* {gen, fd} pairs to report POLLNVAL for */
	size_t nnval;
	uint64_t *postq;      /* {gen, fd} of tracked descriptors still ready */
	size_t npost;
	struct epoll_event *pass; /* one pass: the wait's events and the posted ones */
};

int loop_backend_available(enum loop_backend be)
{
#ifdef __linux__
	return be == LOOP_POLL || be == LOOP_EPOLL;
#else
	return be == LOOP_POLL;
#endif
}

const char *loop_backend_name(enum loop_backend be)
{
	return be == LOOP_EPOLL ? "epoll" : "poll";
}

static struct watch *watched(struct loop *lp, int fd)
{
	if (fd < 0 || (size_t)fd >= lp->maxfds || lp->w[fd].fn == NULL)
		return NULL;
	return &lp->w[fd];
}

/* ---- poll() ---- */

/* Slots are kept in place between waits; a removed slot is marked (fd -1,
 * ignored by poll) and compacted before the next wait, so the dispatch
 * pass can walk the array while handlers add (appended past the part being
 * walked) and remove (marked) descriptors. */

static int poll_add(struct loop *lp, int fd, short events)
{
	if (lp->n == lp->maxfds)
		return -1; /* dead slots not compacted yet fill the array */
	lp->pfd[lp->n] = (struct pollfd){ .fd = fd, .events = events };
	lp->w[fd].slot = lp->n++;
	return 0;
}

static void poll_set(struct loop *lp, struct watch *w, short events)
{
	lp->pfd[w->slot].events = events;
}

static void poll_del(struct loop *lp, struct watch *w)
{
	struct pollfd *p = &lp->pfd[w->slot];

	p->fd = -1;
	p->events = 0;
	p->revents = 0;
	lp->dead++;
}

/* Moves live slots over dead ones, keeping fd -> slot indexes right. */
static void poll_compact(struct loop *lp)
{
	size_t j = 0;

	for (size_t i = 0; i < lp->n; i++) {
		if (lp->pfd[i].fd < 0)
			continue;
		if (i != j) {
			lp->pfd[j] = lp->pfd[i];
			lp->w[lp->pfd[j].fd].slot = j;
		}
		j++;
	}
	lp->n = j;
	lp->dead = 0;
}

static int poll_once(struct loop *lp, int timeout_ms)
{
	int ready;
	size_t n;

	if (lp->dead)
		poll_compact(lp);
	ready = poll(lp->pfd, lp->n, timeout_ms);
	if (ready <= 0)
		return 0; /* timeout or EINTR (a signal): the caller re-checks flags */
	/* Slots added during dispatch lie past n and wait for the next
	 * poll(); removed ones have fd -1 and are skipped. */
	n = lp->n;
	for (size_t i = 0; i < n; i++) {
		short re = lp->pfd[i].revents;
		int fd = lp->pfd[i].fd;

		if (re == 0 || fd < 0)
			continue;
		lp->pfd[i].revents = 0;
		lp->w[fd].fn(lp, fd, re, lp->w[fd].ctx);
	}
	return ready;
}

/* ---- epoll ---- */

#ifdef __linux__

/* Every registration gets a number, and the event carries it with the
 * descriptor: an event that epoll_wait() returned for a descriptor that a
 * handler removed earlier in the same pass (and perhaps added again, the
 * number reused by accept()) no longer matches and is dropped. */

static uint32_t to_epoll(short ev)
{
	uint32_t e = 0;

	if (ev & POLLIN)
		e |= EPOLLIN;
	if (ev & POLLPRI)
		e |= EPOLLPRI;
	if (ev & POLLOUT)
		e |= EPOLLOUT;
	if (ev & POLLRDHUP)
		e |= EPOLLRDHUP;
	return e; /* EPOLLERR and EPOLLHUP are always reported, as by poll() */
}

static short from_epoll(uint32_t e)
{
	short re = 0;

	if (e & EPOLLIN)
		re |= POLLIN;
	if (e & EPOLLPRI)
		re |= POLLPRI;
	if (e & EPOLLOUT)
		re |= POLLOUT;
	if (e & EPOLLRDHUP)
		re |= POLLRDHUP;
	if (e & EPOLLERR)
		re |= POLLERR;
	if (e & EPOLLHUP)
		re |= POLLHUP;
	return re;
}

static uint64_t ep_key(const struct watch *w, int fd)
{
	return (uint64_t)w->gen << 32 | (uint32_t)fd;
}

static int ep_init(struct loop *lp)
{
	lp->nev = lp->maxfds < 512 ? (int)lp->maxfds : 512;
	if (lp->nev < 1)
		lp->nev = 1;
	lp->ev = calloc((size_t)lp->nev, sizeof(struct epoll_event));
	lp->nvalq = calloc(lp->maxfds ? lp->maxfds : 1, sizeof(*lp->nvalq));
	lp->postq = calloc(lp->maxfds ? lp->maxfds : 1, sizeof(*lp->postq));
	lp->pass = calloc((size_t)lp->nev + (lp->maxfds ? lp->maxfds : 1), sizeof(*lp->pass));
	if (lp->ev == NULL || lp->nvalq == NULL || lp->postq == NULL || lp->pass == NULL)
		return -1;
	lp->epfd = epoll_create1(EPOLL_CLOEXEC);
	return lp->epfd < 0 ? -1 : 0;
}

/* A tracked descriptor is registered once for everything, edge-triggered
 * (nginx's ngx_epoll_add_connection): the kernel reports each change to
 * ready, the loop keeps it in w->ready and hands the handler what is
 * ready and watched, pass after pass, until the handler takes it back
 * with loop_unready().  Interest changes are then bookkeeping only. */
static int ep_add(struct loop *lp, int fd, short events, int tracked)
{
	struct watch *w = &lp->w[fd];
	struct epoll_event e = { .events = tracked ? EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET
						   : to_epoll(events) };

	if (++lp->gen == 0)
		lp->gen = 1;
	w->gen = lp->gen;
	w->nval = 0;
	w->tracked = (char)tracked;
	w->posted = 0;
	w->ready = 0;
	e.data.u64 = ep_key(w, fd);
	return epoll_ctl(lp->epfd, EPOLL_CTL_ADD, fd, &e);
}

/* What a tracked descriptor has to report: ready and watched (POLLERR
 * and POLLHUP unasked, as poll() does). */
static short ep_due(const struct watch *w)
{
	return (short)(w->ready & (w->events | POLLERR | POLLHUP));
}

/* Queues a tracked descriptor that has something to report for the next
 * pass (that pass then does not block in epoll_wait). */
static void ep_post(struct loop *lp, struct watch *w, int fd)
{
	if (w->posted || ep_due(w) == 0 || lp->npost == lp->maxfds)
		return;
	w->posted = 1;
	lp->postq[lp->npost++] = ep_key(w, fd);
}

static void ep_set(struct loop *lp, struct watch *w, int fd, short events)
{
	struct epoll_event e = { .events = to_epoll(events) };

	if (w->tracked) {
		ep_post(lp, w, fd);
		return;
	}
	e.data.u64 = ep_key(w, fd);
	if (epoll_ctl(lp->epfd, EPOLL_CTL_MOD, fd, &e) == 0 || w->nval || lp->nnval == lp->maxfds)
		return;
	/* EBADF: closed without loop_del(), so the kernel forgot it; ENOENT:
	 * the number now names another file.  poll() would say POLLNVAL. */
	w->nval = 1;
	lp->nvalq[lp->nnval++] = ep_key(w, fd);
}

static void ep_del(struct loop *lp, int fd, int closing)
{
	struct watch *w = &lp->w[fd];

	/* Its queued key leaves the queue: every descriptor is in it once. */
	if (w->posted) {
		uint64_t key = ep_key(w, fd);

		for (size_t i = 0; i < lp->npost; i++)
			if (lp->postq[i] == key) {
				lp->postq[i] = lp->postq[--lp->npost];
				break;
			}
	}
	/* Closing the descriptor takes it out of the set (nginx's
	 * NGX_CLOSE_EVENT); should the file outlive it (a child between fork
	 * and exec), its edges carry an old number and are dropped.  Fails
	 * with EBADF when fd was closed already: nothing to undo. */
	if (!(closing && w->tracked))
		epoll_ctl(lp->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* Calls fn for key if that registration is still the current one.  A
 * tracked descriptor gets what is due (re was merged into w->ready), and
 * is queued again when something is still due after its handler. */
static int ep_dispatch(struct loop *lp, uint64_t key, short re)
{
	int fd = (int)(uint32_t)key;
	struct watch *w = watched(lp, fd);

	if (w == NULL || w->gen != (uint32_t)(key >> 32))
		return 0; /* removed earlier in this pass (maybe re-added) */
	if (w->tracked && re != POLLNVAL) {
		re = ep_due(w);
		if (re == 0)
			return 0;
	}
	w->fn(lp, fd, re, w->ctx);
	if (w->tracked && w->fn != NULL && w->gen == (uint32_t)(key >> 32))
		ep_post(lp, w, fd);
	return 1;
}

/* Orders events by registration number: handlers run in the order the
 * descriptors were added, as poll() walks its array (the listening
 * sockets, added first, before the connections). */
static int ep_cmp(const void *a, const void *b)
{
	uint32_t x = (uint32_t)(((const struct epoll_event *)a)->data.u64 >> 32);
	uint32_t y = (uint32_t)(((const struct epoll_event *)b)->data.u64 >> 32);

	return x < y ? -1 : x > y;
}

static int ep_once(struct loop *lp, int timeout_ms)
{
	struct epoll_event *ev = lp->ev, *pass = lp->pass;
	size_t nval = lp->nnval, npost = lp->npost, n = 0;
	int ready, count;

	ready = epoll_wait(lp->epfd, ev, lp->nev, nval || npost ? 0 : timeout_ms);
	if (ready < 0)
		ready = 0; /* EINTR (a signal): the caller re-checks flags */
	count = ready;
	/* One pass over the wait's events and the tracked descriptors queued
	 * before it, each once, in the order the descriptors were added. */
	for (int i = 0; i < ready; i++) {
		int fd = (int)(uint32_t)ev[i].data.u64;
		struct watch *w = watched(lp, fd);

		if (w != NULL && w->tracked && w->gen == (uint32_t)(ev[i].data.u64 >> 32)) {
			/* Counted only when its handler is called (events 0). */
			w->ready |= from_epoll(ev[i].events);
			count--;
			if (w->posted)
				continue; /* already in the pass through postq */
			w->posted = 1;
			pass[n++] = (struct epoll_event){ .data.u64 = ev[i].data.u64 };
			continue;
		}
		pass[n++] = ev[i];
	}
	for (size_t i = 0; i < npost; i++)
		pass[n++] = (struct epoll_event){ .data.u64 = lp->postq[i] };
	lp->npost = 0;
	for (size_t i = 0; i < n; i++) {
		struct watch *w = watched(lp, (int)(uint32_t)pass[i].data.u64);

		if (w != NULL && w->gen == (uint32_t)(pass[i].data.u64 >> 32))
			w->posted = 0;
	}
	if (n > 1)
		qsort(pass, n, sizeof(*pass), ep_cmp);
	/* Counted: what the wait reported, and the tracked ones called. */
	for (size_t i = 0; i < n; i++) {
		int called = ep_dispatch(lp, pass[i].data.u64, from_epoll(pass[i].events));

		if (pass[i].events == 0)
			count += called;
	}
	/* Queued before this pass; later ones wait for the next. */
	for (size_t i = 0; i < nval; i++) {
		uint64_t key = lp->nvalq[i];
		struct watch *w = watched(lp, (int)(uint32_t)key);

		if (w != NULL && w->gen == (uint32_t)(key >> 32))
			w->nval = 0;
		count += ep_dispatch(lp, key, POLLNVAL);
	}
	if (nval) {
		lp->nnval -= nval;
		for (size_t i = 0; i < lp->nnval; i++)
			lp->nvalq[i] = lp->nvalq[nval + i];
	}
	return count;
}

#endif /* __linux__ */

/* ---- the interface ---- */

struct loop *loop_new(size_t maxfds, enum loop_backend be)
{
	struct loop *lp;

	if (!loop_backend_available(be)) {
		errno = ENOSYS;
		return NULL;
	}
	if ((lp = calloc(1, sizeof(*lp))) == NULL)
		return NULL;
	lp->be = be;
	lp->maxfds = maxfds;
	lp->epfd = -1;
	lp->w = calloc(maxfds ? maxfds : 1, sizeof(*lp->w));
	if (lp->w == NULL)
		goto fail;
#ifdef __linux__
	if (be == LOOP_EPOLL) {
		if (ep_init(lp) < 0)
			goto fail;
		return lp;
	}
#endif
	if ((lp->pfd = calloc(maxfds ? maxfds : 1, sizeof(*lp->pfd))) == NULL)
		goto fail;
	return lp;
fail:
	loop_free(lp);
	return NULL;
}

void loop_free(struct loop *lp)
{
	int e = errno;

	if (lp == NULL)
		return;
	if (lp->epfd >= 0)
		close(lp->epfd);
	free(lp->ev);
	free(lp->nvalq);
	free(lp->postq);
	free(lp->pass);
	free(lp->pfd);
	free(lp->w);
	free(lp);
	errno = e;
}

static int add(struct loop *lp, int fd, short events, loop_fn fn, void *ctx, int tracked)
{
	struct watch *w;
	int r;

	if (fd < 0 || (size_t)fd >= lp->maxfds || fn == NULL || lp->w[fd].fn != NULL)
		return -1;
	w = &lp->w[fd];
#ifdef __linux__
	if (lp->be == LOOP_EPOLL)
		r = ep_add(lp, fd, events, tracked);
	else
#endif
		r = poll_add(lp, fd, events);
	if (r < 0)
		return -1;
	(void)tracked;
	w->fn = fn;
	w->ctx = ctx;
	w->events = events;
	lp->count++;
	return 0;
}

int loop_add(struct loop *lp, int fd, short events, loop_fn fn, void *ctx)
{
	return add(lp, fd, events, fn, ctx, 0);
}

int loop_add_tracked(struct loop *lp, int fd, short events, loop_fn fn, void *ctx)
{
	return add(lp, fd, events, fn, ctx, 1);
}

void loop_unready(struct loop *lp, int fd, short events)
{
	struct watch *w = watched(lp, fd);

	if (w == NULL)
		return;
	/* Once the peer's FIN is known, a read returns 0 at once: a short read
	 * did not take everything, the end is still to be read (nginx's
	 * pending_eof). */
	if (w->ready & (POLLRDHUP | POLLHUP))
		events &= (short)~POLLIN;
	w->ready &= (short)~(events & (POLLIN | POLLOUT));
}

void loop_set(struct loop *lp, int fd, short events)
{
	struct watch *w = watched(lp, fd);

	if (w == NULL || w->events == events)
		return;
	w->events = events;
#ifdef __linux__
	if (lp->be == LOOP_EPOLL) {
		ep_set(lp, w, fd, events);
		return;
	}
#endif
	poll_set(lp, w, events);
}

static void del(struct loop *lp, int fd, int closing)
{
	struct watch *w = watched(lp, fd);

	if (w == NULL)
		return;
#ifdef __linux__
	if (lp->be == LOOP_EPOLL)
		ep_del(lp, fd, closing);
	else
#endif
		poll_del(lp, w);
	/* Mark only: fd may be in the middle of a dispatch pass. */
	w->fn = NULL;
	w->ctx = NULL;
	w->events = 0;
	w->nval = 0;
	w->tracked = 0;
	w->ready = 0;
	w->posted = 0;
	lp->count--;
}

void loop_del(struct loop *lp, int fd)
{
	del(lp, fd, 0);
}

void loop_del_closing(struct loop *lp, int fd)
{
	del(lp, fd, 1);
}

size_t loop_count(const struct loop *lp)
{
	return lp->count;
}

int loop_once(struct loop *lp, int timeout_ms)
{
#ifdef __linux__
	if (lp->be == LOOP_EPOLL)
		return ep_once(lp, timeout_ms);
#endif
	return poll_once(lp, timeout_ms);
}
