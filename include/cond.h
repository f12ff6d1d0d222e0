#ifndef COND_H
#define COND_H

/* Conditional requests (pure, RFC 9110 section 13): entity tags, the
 * precondition fields in the order of 13.2.2, and If-Range (13.1.5).
 * Bytes in, a decision out; no I/O, no clock (the caller passes now). */

#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include "request.h"

#define COND_ETAG_MAX 48 /* bytes of an entity tag we make, with quotes and NUL */

/* The validators of a resource as this server states them. */
struct cond_res {
	int exists;       /* 0: the target does not exist (PUT of a new file) */
	time_t mtime;     /* Last-Modified */
	const char *etag; /* our strong tag, "" when !exists */
};

/* Writes the strong tag "MTIME-SIZE" (hex, quoted) into out (n >= 
 * COND_ETAG_MAX).  Returns its length. */
size_t cond_etag(time_t mtime, uint64_t size, char *out, size_t n);

/* RFC 9110 13.2.2 steps 1 to 4 for request rq on resource r: If-Match,
 * If-Unmodified-Since, If-None-Match, If-Modified-Since (ignored when it
 * is later than now, 13.1.3; and for methods other than GET/HEAD).
 * Returns 0 (go on), 304 (not modified) or 412. */
int cond_check(const struct request_head *rq, const struct cond_res *r, time_t now);

/* cond_check for a file described by st (NULL: it does not exist). */
int cond_check_stat(const struct request_head *rq, const struct stat *st, time_t now);

/* RFC 9110 13.1.5: may a Range be honoured?  1 without If-Range or when
 * its entity tag or date (the Last-Modified text lm) matches exactly. */
int cond_if_range(const struct request_head *rq, const char *etag, const char *lm);

#endif
