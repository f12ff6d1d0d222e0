#ifndef CHUNKED_H
#define CHUNKED_H

/* Pure incremental decoder for the chunked transfer coding (RFC 9112 7.1),
 * decoding in place like picohttpparser's phr_decode_chunked.  Chunk
 * extensions must follow the grammar of RFC 9112 7.1.1 and are then
 * ignored; trailer fields are accepted and discarded.  Sizes are
 * overflow-checked. */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CHUNKED_TRAILER_MAX 8192 /* bytes of trailer section accepted */
#define CHUNKED_LINE_MAX 4096    /* bytes of one chunk-size line (with extensions) */

enum chunked_state {
	CHUNKED_SIZE = 0,  /* reading hex digits of chunk-size */
	CHUNKED_EXT,       /* after the size: BWS and extensions up to CR */
	CHUNKED_SIZE_LF,   /* got CR after size line, want LF */
	CHUNKED_DATA,      /* inside chunk-data */
	CHUNKED_DATA_CR,   /* after chunk-data, want CR */
	CHUNKED_DATA_LF,   /* want LF */
	CHUNKED_TRAILER,   /* trailer section: field lines until empty line */
	CHUNKED_DONE,      /* last chunk and trailers consumed; stays here */
	CHUNKED_FAILED,    /* malformed; stays here */
};

/* Caller-owned state, zero it before the first call. */
struct chunked {
	enum chunked_state state;
	uint64_t remaining;   /* bytes left in the current chunk */
	uint64_t total;       /* decoded body bytes so far */
	unsigned ndigits;     /* hex digits in the current size */
	size_t line;          /* bytes in the current size line / trailer line */
	size_t trailer;       /* bytes of trailer section so far */
	int bol;              /* trailer: at beginning of a line */
	int sub;              /* where inside the current line: in the extensions
			       * a step of their grammar (chunked.c); trailer 0
			       * name, 1 value, 2 CR seen */
};

/* Decodes buf[0..*len) in place: on return buf[0..*len) holds the decoded
 * body bytes taken from this input.  Returns -2 when the body is not yet
 * complete (all input consumed), -1 on a malformed body (state FAILED),
 * or, when the terminating chunk and trailer have been consumed, the
 * number of input bytes left over after the end (they stay at
 * buf[*len .. *len + ret) — i.e. the next pipelined request begins there;
 * they are moved to directly follow the decoded bytes). */
ssize_t chunked_decode(struct chunked *st, char *buf, size_t *len);

/* Bytes of the current chunk not yet decoded, known from the moment its
 * chunk-size line is complete: with st->total, a lower bound of the
 * body's final size (a limit can refuse the body before its data comes).
 * 0 outside chunk data. */
uint64_t chunked_pending(const struct chunked *st);

#endif
