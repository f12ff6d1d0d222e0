#ifndef MULTIPART_H
#define MULTIPART_H

/* Pure incremental multipart/form-data parser (RFC 7578, RFC 2046 5.1).
 * Feed any split of the body; the parser emits events through callbacks
 * and never buffers a whole part (it holds back at most the boundary
 * length of data that might be the start of a delimiter). */

#include <stddef.h>
#include "slice.h"

#define MULTIPART_BOUNDARY_MAX 70
#define MULTIPART_PART_HEAD_MAX 8192  /* bytes of one part's header section */

/* What a part's header section said.  Strings are NUL-terminated copies
 * held inside the parser state (valid until the part's end event). */
struct multipart_part {
	char name[256];      /* Content-Disposition name, "" if absent */
	char filename[1024]; /* filename (or decoded filename*), "" if absent */
	int has_filename;    /* 1 when filename or filename* was present */
	char content_type[256];
};

struct multipart_cb {
	/* A part begins; its headers are parsed.  Return 0 to go on, -1 to stop
	 * (multipart_feed then returns -1 with err "aborted"). */
	int (*part_begin)(void *ctx, const struct multipart_part *part);
	/* Body bytes of the current part (may be called many times).  They
	 * are never copied: data points into the input just fed, as one
	 * maximal slice per part and feed (however many CRs or delimiter
	 * look-alikes it holds), preceded at most by one slice of held-back
	 * bytes inside the parser state (a delimiter candidate cut by the
	 * end of an earlier feed that turned out to be data). */
	int (*part_data)(void *ctx, const char *data, size_t len);
	/* The current part is complete. */
	int (*part_end)(void *ctx);
	void *ctx;
};

enum multipart_state {
	MP_PREAMBLE = 0,
	MP_AFTER_BOUNDARY,   /* after "--boundary": "--" (end) or transport padding + CRLF */
	MP_HEADERS,
	MP_BODY,
	MP_EPILOGUE,         /* after the close delimiter; stays here (DONE) */
	MP_FAILED,           /* stays here */
};

/* Caller-owned state: initialise with multipart_init. */
struct multipart {
	enum multipart_state state;
	char delim[MULTIPART_BOUNDARY_MAX + 5]; /* "\r\n--" + boundary */
	size_t delim_len;
	size_t match;                     /* bytes of delim matched so far (held back) */
	char head[MULTIPART_PART_HEAD_MAX];
	size_t head_len;
	struct multipart_part part;
	int sub;                          /* sub-state within MP_AFTER_BOUNDARY */
	int in_part;                      /* 1 between part_begin and part_end */
	const char *err;                  /* static message when FAILED */
};

/* Extracts the boundary parameter from a Content-Type value
 * ("multipart/form-data; boundary=xyz" or boundary="x y z").  Copies it
 * NUL-terminated to out (room for MULTIPART_BOUNDARY_MAX + 1).  Returns 0,
 * or -1 when the type is not multipart/form-data or the boundary is
 * missing, empty, longer than 70 characters or holds invalid characters. */
int multipart_boundary(struct slice content_type, char *out);

/* Prepares the state for the given boundary. */
void multipart_init(struct multipart *mp, const char *boundary);

/* Feeds data[0..len).  Returns 0 while more input is expected, 1 when the
 * close delimiter has been seen (later input is epilogue, ignored), -1 on
 * a malformed body or a callback that returned -1 (mp->err says why). */
int multipart_feed(struct multipart *mp, const char *data, size_t len,
		   const struct multipart_cb *cb);

/* Call at the end of the body: returns 0 if the close delimiter was seen,
 * else -1 (missing closing delimiter). */
int multipart_finish(struct multipart *mp);

#endif
