/* In-place decoder for the chunked transfer coding (RFC 9112 7.1).
 *
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *
 * Line ends are CRLF only: a bare LF is refused here (unlike in the head),
 * since two parsers disagreeing on where a chunk ends is how requests get
 * smuggled past a proxy. */

#include <string.h>
#include "chunked.h"

#define SIZE_MAX_VALUE UINT64_C(0x7fffffffffffffff) /* fits in off_t */
#define SIZE_DIGITS_MAX 16

/* st->sub on the size line */
enum { SIZE_DIGITS = 0, SIZE_BWS = 1 };
/* st->sub in the trailer section */
enum { TR_NAME = 0, TR_VALUE = 1, TR_CR = 2 };

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 9110 5.6.2: tchar. */
static int is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static void start_line(struct chunked *st, enum chunked_state state)
{
	st->state = state;
	st->line = 0;
	st->sub = 0;
	st->bol = 1;
}

/* Consumes one byte outside chunk-data. */
static void step(struct chunked *st, unsigned char c)
{
	int v;

	switch (st->state) {
	case CHUNKED_SIZE:
		/* chunk-size = 1*HEXDIG, then BWS before ";" or CR. */
		if (c == '\r' && st->ndigits > 0) {
			st->state = CHUNKED_SIZE_LF;
			break;
		}
		if (++st->line > CHUNKED_LINE_MAX)
			goto fail;
		v = hexval(c);
		if (v >= 0 && st->sub == SIZE_DIGITS) {
			if (st->ndigits == SIZE_DIGITS_MAX ||
			    st->remaining > (SIZE_MAX_VALUE - (unsigned)v) / 16)
				goto fail;
			st->remaining = st->remaining * 16 + (unsigned)v;
			st->ndigits++;
		} else if (st->ndigits == 0) {
			goto fail; /* empty size, sign, white space, ... */
		} else if (c == ' ' || c == '\t') {
			st->sub = SIZE_BWS;
		} else if (c == ';') {
			st->state = CHUNKED_EXT;
		} else {
			goto fail; /* bare LF, "0x", "1 2", junk */
		}
		break;

	case CHUNKED_EXT:
		/* chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ):
		 * accepted loosely, as anything without control characters. */
		if (c == '\r') {
			st->state = CHUNKED_SIZE_LF;
			break;
		}
		if (++st->line > CHUNKED_LINE_MAX || is_ctl(c))
			goto fail;
		break;

	case CHUNKED_SIZE_LF:
		if (c != '\n')
			goto fail;
		if (st->remaining > SIZE_MAX_VALUE - st->total)
			goto fail;
		if (st->remaining == 0) {
			/* last-chunk: the trailer section follows. */
			start_line(st, CHUNKED_TRAILER);
			st->trailer = 0;
		} else {
			st->state = CHUNKED_DATA;
		}
		break;

	case CHUNKED_DATA_CR:
		if (c != '\r')
			goto fail;
		st->state = CHUNKED_DATA_LF;
		break;

	case CHUNKED_DATA_LF:
		if (c != '\n')
			goto fail;
		start_line(st, CHUNKED_SIZE);
		st->ndigits = 0;
		st->remaining = 0;
		break;

	case CHUNKED_TRAILER:
		/* trailer-section = *( field-line CRLF ), then CRLF. */
		if (++st->trailer > CHUNKED_TRAILER_MAX)
			goto fail;
		if (st->sub == TR_CR) {
			if (c != '\n')
				goto fail;
			if (st->line == 0)
				st->state = CHUNKED_DONE;
			else
				start_line(st, CHUNKED_TRAILER);
			break;
		}
		if (c == '\r') {
			if (st->line > 0 && st->sub != TR_VALUE)
				goto fail; /* field line without a colon */
			st->sub = TR_CR;
			break;
		}
		/* White space first is obs-fold (RFC 9112 5.2). */
		if (st->bol && (c == ' ' || c == '\t'))
			goto fail;
		st->line++;
		st->bol = 0;
		if (st->sub == TR_NAME) {
			if (c == ':' && st->line > 1)
				st->sub = TR_VALUE;
			else if (!is_tchar(c))
				goto fail;
		} else if (is_ctl(c)) {
			goto fail;
		}
		break;

	case CHUNKED_DATA:
	case CHUNKED_DONE:
	case CHUNKED_FAILED:
		break;
	}
	return;
fail:
	st->state = CHUNKED_FAILED;
}

ssize_t chunked_decode(struct chunked *st, char *buf, size_t *len)
{
	size_t src = 0, dst = 0, n = *len;

	for (;;) {
		switch (st->state) {
		case CHUNKED_DONE:
			/* Whatever follows the body moves up behind it. */
			if (src > dst)
				memmove(buf + dst, buf + src, n - src);
			*len = dst;
			return (ssize_t)(n - src);
		case CHUNKED_FAILED:
			*len = dst;
			return -1;
		default:
			break;
		}
		if (src == n) {
			*len = dst;
			return -2;
		}
		if (st->state == CHUNKED_DATA) {
			size_t k = n - src;

			if (k > st->remaining)
				k = (size_t)st->remaining;
			if (src > dst)
				memmove(buf + dst, buf + src, k);
			src += k;
			dst += k;
			st->remaining -= k;
			st->total += k;
			if (st->remaining == 0)
				st->state = CHUNKED_DATA_CR;
			continue;
		}
		step(st, (unsigned char)buf[src++]);
	}
}
