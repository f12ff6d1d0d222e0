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
#include "ascii.h"

#define SIZE_MAX_VALUE UINT64_C(0x7fffffffffffffff) /* fits in off_t */
#define SIZE_DIGITS_MAX 16

/* st->sub on the chunk-size line (RFC 9112 7.1.1):
 *   chunk-size [ chunk-ext ] CRLF
 *   chunk-ext  = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
 *   chunk-ext-name = token;  chunk-ext-val = token / quoted-string
 * White space is allowed only where BWS stands: before a ";" or "=", or
 * after one; never just before the CR. */
enum {
	EXT_BWS_SEMI,    /* BWS after the size or a value: wants ";" */
	EXT_NAME_START,  /* after ";": BWS, then the name's first tchar */
	EXT_NAME,        /* in the name: CR, ";", "=" or BWS may follow */
	EXT_BWS_EQ,      /* BWS after the name: wants "=" or ";" */
	EXT_VAL_START,   /* after "=": BWS, then a tchar or DQUOTE */
	EXT_TOKEN,       /* in a token value: CR, ";" or BWS may follow */
	EXT_QUOTED,      /* in a quoted-string */
	EXT_QPAIR,       /* after a backslash in it */
	EXT_QUOTED_END,  /* after the closing DQUOTE: CR, ";" or BWS */
};
/* st->sub in the trailer section */
enum { TR_NAME = 0, TR_VALUE = 1, TR_CR = 2 };

/* qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text (RFC 9110
 * 5.6.4); quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ). */
static int is_qdtext(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f);
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
		/* chunk-size = 1*HEXDIG; then CR, ";" or BWS. */
		if (c == '\r' && st->ndigits > 0) {
			st->state = CHUNKED_SIZE_LF;
			break;
		}
		if (++st->line > CHUNKED_LINE_MAX)
			goto fail;
		v = ascii_hex(c);
		if (v >= 0) {
			if (st->ndigits == SIZE_DIGITS_MAX ||
			    st->remaining > (SIZE_MAX_VALUE - (unsigned)v) / 16)
				goto fail;
			st->remaining = st->remaining * 16 + (unsigned)v;
			st->ndigits++;
		} else if (st->ndigits == 0) {
			goto fail; /* empty size, sign, white space, ... */
		} else if (ascii_ows(c)) {
			st->state = CHUNKED_EXT;
			st->sub = EXT_BWS_SEMI;
		} else if (c == ';') {
			st->state = CHUNKED_EXT;
			st->sub = EXT_NAME_START;
		} else {
			goto fail; /* bare LF, "0x", junk */
		}
		break;

	case CHUNKED_EXT:
		/* The extensions are checked against the grammar and then
		 * ignored (RFC 9112 7.1.1): a line two parsers could read
		 * differently is refused. */
		if (c == '\r') {
			/* The line may end after a name or a value only. */
			if (st->sub != EXT_NAME && st->sub != EXT_TOKEN &&
			    st->sub != EXT_QUOTED_END)
				goto fail; /* "5 ", "5;", "5;a=", "5;a ", "5;a=\"x */
			st->state = CHUNKED_SIZE_LF;
			break;
		}
		if (++st->line > CHUNKED_LINE_MAX)
			goto fail;
		switch (st->sub) {
		case EXT_BWS_SEMI:
			if (c == ';')
				st->sub = EXT_NAME_START;
			else if (!ascii_ows(c))
				goto fail;
			break;
		case EXT_NAME_START:
			if (ascii_tchar(c))
				st->sub = EXT_NAME;
			else if (!ascii_ows(c))
				goto fail; /* ";;", ";=x", ";\"x\"" */
			break;
		case EXT_NAME:
			if (c == ';')
				st->sub = EXT_NAME_START;
			else if (c == '=')
				st->sub = EXT_VAL_START;
			else if (ascii_ows(c))
				st->sub = EXT_BWS_EQ;
			else if (!ascii_tchar(c))
				goto fail;
			break;
		case EXT_BWS_EQ:
			if (c == ';')
				st->sub = EXT_NAME_START;
			else if (c == '=')
				st->sub = EXT_VAL_START;
			else if (!ascii_ows(c))
				goto fail; /* "a b": a name is one token */
			break;
		case EXT_VAL_START:
			if (c == '"')
				st->sub = EXT_QUOTED;
			else if (ascii_tchar(c))
				st->sub = EXT_TOKEN;
			else if (!ascii_ows(c))
				goto fail; /* "a=;", "a==b" */
			break;
		case EXT_TOKEN:
			if (c == ';')
				st->sub = EXT_NAME_START;
			else if (ascii_ows(c))
				st->sub = EXT_BWS_SEMI;
			else if (!ascii_tchar(c))
				goto fail;
			break;
		case EXT_QUOTED:
			if (c == '"')
				st->sub = EXT_QUOTED_END;
			else if (c == '\\')
				st->sub = EXT_QPAIR;
			else if (!is_qdtext(c))
				goto fail;
			break;
		case EXT_QPAIR:
			if (c != '\t' && (c < 0x20 || c == 0x7f))
				goto fail;
			st->sub = EXT_QUOTED;
			break;
		case EXT_QUOTED_END:
			if (c == ';')
				st->sub = EXT_NAME_START;
			else if (ascii_ows(c))
				st->sub = EXT_BWS_SEMI;
			else
				goto fail; /* "a=\"x\"y" */
			break;
		default:
			goto fail;
		}
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
			else if (!ascii_tchar(c))
				goto fail;
		} else if (ascii_ctl(c)) {
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

uint64_t chunked_pending(const struct chunked *st)
{
	return st->state == CHUNKED_DATA ? st->remaining : 0;
}
