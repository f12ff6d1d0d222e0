#ifndef REQUEST_H
#define REQUEST_H

/* Pure, incremental HTTP/1.x request-head parser (RFC 9112).  Bytes in,
 * struct out; no allocation, no I/O.  Slices point into the caller's
 * buffer and are valid only while it is unchanged; they are made from a
 * complete head only.  A partial head is either parsed again from its
 * start (request_parse) or resumed where the last call stopped
 * (request_parse_resume); the result for any split of the input is the
 * same as for the whole. */

#include <stddef.h>
#include <stdint.h>
#include "slice.h"

#define REQUEST_LINE_MAX 8192      /* longer request line -> 414 */
#define REQUEST_HEAD_MAX 32768     /* longer head -> 431 */
#define REQUEST_FIELDS_MAX 100     /* more header fields -> 431 */
#define REQUEST_METHOD_MAX 32      /* longer method token -> 400 */

enum method {
	METHOD_UNKNOWN = 0, /* a valid token that is not a known method -> 501 */
	METHOD_GET,
	METHOD_HEAD,
	METHOD_POST,
	METHOD_PUT,
	METHOD_DELETE,
	METHOD_OPTIONS,
	METHOD_TRACE,
	METHOD_CONNECT,
	METHOD_PATCH,
};

enum framing {
	FRAMING_NONE = 0,   /* no body */
	FRAMING_LENGTH,     /* Content-Length: content_length bytes */
	FRAMING_CHUNKED,    /* Transfer-Encoding: chunked */
};

struct header_field {
	struct slice name;  /* as sent */
	struct slice value; /* SP/HTAB trimmed on both sides */
};

struct request_head {
	struct slice method;      /* the method token */
	enum method method_id;
	struct slice target;      /* request-target as sent */
	int major, minor;         /* HTTP version digits; minor is clamped to 1 when major is 1 and minor > 1 */
	struct header_field fields[REQUEST_FIELDS_MAX];
	size_t nfields;

	/* Derived from the fields: */
	enum framing framing;
	uint64_t content_length;  /* valid when framing == FRAMING_LENGTH */
	struct slice host;        /* Host value (empty if absent; HTTP/1.0 may omit it) */
	int keep_alive;           /* 1 when the connection persists after this exchange
				   * (HTTP/1.1 default unless "close"; HTTP/1.0 only with "keep-alive") */
	int expect_continue;      /* 1 for "Expect: 100-continue" */
	int status;               /* on error: 400, 414, 417, 431, 501, 505 */
};

/* Where a resumed parse of a growing head goes on.  Caller-owned: zero
 * it before the first call for a head.  It holds offsets, never
 * pointers, so the buffer may move or grow between calls as long as the
 * bytes already given stay the same.  A call that decides (returns -1 or
 * a length) zeroes it again, ready for the next head at buf[0]. */
struct request_scan {
	size_t line;           /* start of the first line not yet checked */
	size_t seek;           /* where to go on looking for that line's LF */
	unsigned empty;        /* empty lines skipped before the request line */
	unsigned nfields;      /* field lines checked */
	int in_fields;         /* 1 once the request line is checked */
	enum method method_id; /* of the checked request line, for errors */
	int major, minor;      /* likewise */
};

/* Parses the request head in buf[0..len).  Returns the head's length in
 * bytes (through the empty line) when complete, -2 when incomplete (more
 * bytes needed; already over-long input is an error, not incomplete),
 * -1 when invalid with out->status set.  Leading empty lines before the
 * request line are skipped (RFC 9112 2.2) and counted in the length.
 * When -1 is returned the other fields of *out are unspecified except
 * that method_id and the version are filled in if they were parsed. */
int request_parse(const char *buf, size_t len, struct request_head *out);

/* The same, resumed: buf[0..len) is the head so far, of which sc says how
 * much was checked by earlier calls (the bytes given then must be the
 * same now); only the rest is looked at, except once the head is
 * complete, when it is made into *out in one more pass.  Returns what
 * request_parse(buf, len, out) returns; on -2 *out holds no slices. */
int request_parse_resume(struct request_scan *sc, const char *buf, size_t len,
			 struct request_head *out);

/* Finds the first field named `name` (case-insensitive); NULL if none. */
const struct header_field *request_field(const struct request_head *h, const char *name);

#endif
