#ifndef BUFPOOL_H
#define BUFPOOL_H

/* A bounded pool of buffers, by exact size (bufpool.c).  Connections
 * take their buffers when a request needs them and give them back when
 * they go idle, so an idle connection holds none; a buffer given back
 * is kept for the next taker while its size has fewer than `keep` kept
 * (BUFPOOL_KEEP when 0) and fewer than BUFPOOL_KEEP_BYTES in all (at
 * least one is kept), else freed.  A zeroed struct is an empty pool. */

#include <stddef.h>

#define BUFPOOL_CLASSES 8   /* distinct sizes kept; other sizes pass through to malloc */
#define BUFPOOL_KEEP 64     /* buffers kept per size by default */
#define BUFPOOL_KEEP_BYTES (4u << 20) /* bytes kept per size, at most */

struct bufpool_class {
	size_t size;   /* 0: unused slot */
	size_t nfree;  /* buffers kept */
	void *free;    /* kept buffers, linked through their first bytes */
};

struct bufpool {
	size_t keep;   /* buffers kept per size, 0: BUFPOOL_KEEP */
	size_t out;    /* buffers handed out and not yet given back */
	struct bufpool_class cls[BUFPOOL_CLASSES];
};

/* A buffer of size bytes (uninitialised): a kept one, or a new one.
 * NULL without memory or for size 0. */
void *bufpool_get(struct bufpool *bp, size_t size);
/* Gives back p (NULL: nothing), a buffer of size bytes from
 * bufpool_get or malloc: kept, or freed when its size has enough. */
void bufpool_put(struct bufpool *bp, void *p, size_t size);
/* Buffers of size bytes kept now. */
size_t bufpool_kept(const struct bufpool *bp, size_t size);
/* Frees every kept buffer. */
void bufpool_clear(struct bufpool *bp);

#endif
