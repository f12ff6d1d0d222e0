/* The poll() loop: the pollfd array and the {handler, ctx} table. */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>

struct slot {
	loop_fn fn;
	void *ctx;
};

struct loop {
	struct pollfd *pfd;  /* the array handed to poll(), kept in place */
	struct slot *slot;   /* parallel to pfd */
	size_t n;            /* used slots (some may be dead: fd -1) */
	size_t cap;
	int *index;          /* fd -> slot index, -1 when not watched */
	size_t maxfds;
	size_t dead;         /* slots marked dead since the last compaction */
};

struct loop *loop_new(size_t maxfds)
{
	struct loop *lp = calloc(1, sizeof(*lp));

	if (lp == NULL)
		return NULL;
	lp->cap = maxfds;
	lp->maxfds = maxfds;
	lp->pfd = calloc(maxfds, sizeof(*lp->pfd));
	lp->slot = calloc(maxfds, sizeof(*lp->slot));
	lp->index = malloc(maxfds * sizeof(*lp->index));
	if (lp->pfd == NULL || lp->slot == NULL || lp->index == NULL) {
		loop_free(lp);
		return NULL;
	}
	for (size_t i = 0; i < maxfds; i++)
		lp->index[i] = -1;
	return lp;
}

void loop_free(struct loop *lp)
{
	if (lp == NULL)
		return;
	free(lp->pfd);
	free(lp->slot);
	free(lp->index);
	free(lp);
}

int loop_add(struct loop *lp, int fd, short events, loop_fn fn, void *ctx)
{
	if (fd < 0 || (size_t)fd >= lp->maxfds || lp->index[fd] != -1 || lp->n == lp->cap)
		return -1;
	lp->pfd[lp->n] = (struct pollfd){ .fd = fd, .events = events };
	lp->slot[lp->n] = (struct slot){ fn, ctx };
	lp->index[fd] = (int)lp->n;
	lp->n++;
	return 0;
}

void loop_set(struct loop *lp, int fd, short events)
{
	if (fd >= 0 && (size_t)fd < lp->maxfds && lp->index[fd] != -1)
		lp->pfd[lp->index[fd]].events = events;
}

void loop_del(struct loop *lp, int fd)
{
	int i;

	if (fd < 0 || (size_t)fd >= lp->maxfds || (i = lp->index[fd]) == -1)
		return;
	/* Mark only: the slot may be in the middle of a dispatch pass. */
	lp->pfd[i].fd = -1;
	lp->pfd[i].events = 0;
	lp->pfd[i].revents = 0;
	lp->slot[i].fn = NULL;
	lp->index[fd] = -1;
	lp->dead++;
}

size_t loop_count(const struct loop *lp)
{
	return lp->n - lp->dead;
}

/* Moves live slots over dead ones, keeping fd -> slot indexes right. */
static void compact(struct loop *lp)
{
	size_t j = 0;

	for (size_t i = 0; i < lp->n; i++) {
		if (lp->slot[i].fn == NULL)
			continue;
		if (i != j) {
			lp->pfd[j] = lp->pfd[i];
			lp->slot[j] = lp->slot[i];
			lp->index[lp->pfd[j].fd] = (int)j;
		}
		j++;
	}
	lp->n = j;
	lp->dead = 0;
}

int loop_once(struct loop *lp, int timeout_ms)
{
	int ready;
	size_t n;

	if (lp->dead)
		compact(lp);
	ready = poll(lp->pfd, lp->n, timeout_ms);
	if (ready <= 0)
		return 0; /* timeout or EINTR (a signal): the caller re-checks flags */
	/* Slots added during dispatch are appended past n and wait for the
	 * next poll(); removed ones have fn == NULL and are skipped. */
	n = lp->n;
	for (size_t i = 0; i < n; i++) {
		short re = lp->pfd[i].revents;

		if (re == 0 || lp->slot[i].fn == NULL)
			continue;
		lp->pfd[i].revents = 0;
		lp->slot[i].fn(lp, lp->pfd[i].fd, re, lp->slot[i].ctx);
	}
	return ready;
}
