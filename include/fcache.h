#ifndef FCACHE_H
#define FCACHE_H

/* The open-file cache (nginx's open_file_cache): what serving a static
 * file learnt from opening it, kept for a short time so a hot file costs
 * no open/stat/close (and a small one no read either).
 *
 * An entry is the result of a completed, permitted open: the caller runs
 * every access rule (dot files, upload temporaries, symbolic links) and
 * caches only what it may serve, under a key naming the resolved path and
 * the symbolic-link policy the rules ran under.  An entry is valid for
 * valid_ms after it was made; then it is dropped and the next request
 * opens the file afresh: a file changed, replaced or deleted on disk is
 * seen after valid_ms at the latest.  At most max entries; the least
 * recently used one goes first.  A dropped entry's descriptor is closed
 * once no response uses it any more (fcache_hold/fcache_release).
 *
 * No clock and no opens: time comes in as an argument; the only I/O is
 * close() of descriptors the cache owns. */

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "cond.h"

#define FCACHE_BODY_MAX 16384          /* largest file kept as a copy in memory */
#define FCACHE_BODY_BUDGET (4u << 20)  /* bytes of copies per cache in all */

struct fcache;

struct fcache_entry {
	int fd;                     /* read-only descriptor, -1 when only the copy is kept */
	uint64_t size;              /* file size when it was opened */
	time_t mtime;               /* modification time when it was opened */
	char etag[COND_ETAG_MAX];   /* strong entity tag (cond_etag) */
	char lm[32];                /* Last-Modified (IMF-fixdate) */
	char *body;                 /* the whole file (size bytes), or NULL */
	int status;                 /* 0, or the HTTP status of a failed lookup
				     * (404: nothing there), fd -1 */

	/* The cache's own bookkeeping. */
	char *key;                  /* the path (NUL-terminated) */
	size_t klen;
	unsigned policy;            /* the caller's symbolic-link policy */
	uint32_t hash;
	uint64_t expires;           /* dropped when now_ms reaches it */
	unsigned refs;              /* responses using it (fcache_hold) */
	int detached;               /* dropped while held: freed on the last release */
	struct fcache_entry *hnext; /* hash chain */
	struct fcache_entry *prev, *next; /* recency list, most recent first */
};

/* A cache of at most max (>= 1) entries, each valid valid_ms.  NULL
 * without memory. */
struct fcache *fcache_new(size_t max, uint64_t valid_ms);
/* Drops every entry (descriptors of entries still held close on their
 * last release) and frees fc.  fc may be NULL. */
void fcache_free(struct fcache *fc);
/* Drops every entry, as fcache_free, keeping fc. */
void fcache_clear(struct fcache *fc);
/* The entry for (path, policy) if it is still valid at now_ms, made the
 * most recently used; else NULL (an expired entry is dropped). */
struct fcache_entry *fcache_get(struct fcache *fc, const char *path, unsigned policy,
				uint64_t now_ms);
/* Would a copy of a file of size bytes be kept (size and budget)? */
int fcache_wants_body(const struct fcache *fc, uint64_t size);
/* Caches the file open as fd (size, mtime) under (path, policy), valid
 * until now_ms + valid_ms, replacing an entry of the same key and
 * dropping the least recently used one when full.  body, when not NULL,
 * is a malloc'ed copy of the whole file: the descriptor is then closed
 * and the copy kept.  Takes fd and body over and returns the entry; NULL
 * without memory (the caller still owns both). */
struct fcache_entry *fcache_put(struct fcache *fc, const char *path, unsigned policy, int fd,
				uint64_t size, time_t mtime, char *body, uint64_t now_ms);
/* Caches that looking up path under policy failed with HTTP status
 * (nginx's open_file_cache_errors), valid as a file's entry is.  The
 * entry, or NULL without memory. */
struct fcache_entry *fcache_put_status(struct fcache *fc, const char *path, unsigned policy,
				       int status, uint64_t now_ms);
/* Removes the entry of path under every policy (the server itself
 * changed or deleted the file). */
void fcache_forget(struct fcache *fc, const char *path);
/* A response keeps using e (its descriptor) past this event-loop round. */
void fcache_hold(struct fcache_entry *e);
/* The response is done with e; a dropped entry is freed on the last. */
void fcache_release(struct fcache_entry *e);
/* Entries in the cache (held dropped ones not counted). */
size_t fcache_count(const struct fcache *fc);

#endif
