/* Incremental multipart/form-data parser (pure, RFC 7578, RFC 2046
 * 5.1): boundary and part heads in, part events out. */
#include <string.h>

#include "multipart.h"
#include "ascii.h"

/* Sub-states of MP_AFTER_BOUNDARY. */
enum {
	AB_FIRST = 0, /* first byte after the boundary */
	AB_DASH,      /* got one '-', want the second of "--" */
	AB_PAD,       /* transport padding: SP / HTAB until CR */
	AB_LF,        /* got CR, want LF */
};

/* tchar (RFC 9110 5.6.2). */
/* bchars (RFC 2046 5.1.1). */
static int is_bchar(int c)
{
	return ascii_digit(c) || ascii_alpha(c) || (c != 0 && strchr("'()+_,-./:=? ", c) != NULL);
}

/* Case-insensitive comparison of p[0..n) with the C string s. */
static int ieq(const char *p, size_t n, const char *s)
{
	return slice_ieq((struct slice){ p, n }, s);
}

static const char *skip_ows(const char *p, const char *end)
{
	while (p < end && ascii_ows((unsigned char)*p))
		p++;
	return p;
}

static const char *skip_token(const char *p, const char *end)
{
	while (p < end && ascii_tchar((unsigned char)*p))
		p++;
	return p;
}

/* Reads a parameter value at *pp: a token, or a quoted-string.  The
 * unquoted value is copied NUL-terminated to out (room for outsz bytes).
 * In a quoted-string a backslash escapes the next byte (quoted-pair, RFC
 * 9110 5.6.4); with keep_bs it escapes only '"' and '\' and is kept as
 * it is before any other byte, because browsers send file names with
 * unescaped backslashes (RFC 7578 4.2, WHATWG form encoding).
 * Returns 0 and advances *pp, or -1 on bad syntax or when the value does
 * not fit. */
static int param_value(const char **pp, const char *end, char *out,
		       size_t outsz, int keep_bs)
{
	const char *p = *pp;
	size_t n = 0;

	if (p < end && *p == '"') {
		for (p++;; p++) {
			int c;

			if (p == end)
				return -1; /* unterminated */
			c = (unsigned char)*p;
			if (c == '"')
				break;
			if (c == '\\' && p + 1 < end &&
			    (!keep_bs || p[1] == '"' || p[1] == '\\'))
				c = (unsigned char)*++p;
			else if (c == '\\' && !keep_bs)
				return -1; /* backslash at the end */
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return -1;
			if (n + 1 >= outsz)
				return -1;
			out[n++] = (char)c;
		}
		p++; /* closing quote */
	} else {
		const char *t = skip_token(p, end);

		if (t == p || (size_t)(t - p) >= outsz)
			return -1;
		n = (size_t)(t - p);
		memcpy(out, p, n);
		p = t;
	}
	out[n] = '\0';
	*pp = p;
	return 0;
}

/* Appends byte c to out[*n], encoding it as UTF-8 when latin1 is set.
 * Returns -1 when it does not fit (room for outsz bytes with the NUL). */
static int put_byte(char *out, size_t outsz, size_t *n, int c, int latin1)
{
	if (latin1 && c >= 0x80) {
		if (*n + 2 >= outsz)
			return -1;
		out[(*n)++] = (char)(0xc0 | (c >> 6));
		out[(*n)++] = (char)(0x80 | (c & 0x3f));
		return 0;
	}
	if (*n + 1 >= outsz)
		return -1;
	out[(*n)++] = (char)c;
	return 0;
}

/* Decodes an RFC 8187 ext-value (charset'language'pct-encoded) to UTF-8
 * in out.  UTF-8 and ISO-8859-1 charsets are understood.  A decoded NUL
 * is refused: the name is passed on as a C string.  Returns 0 or -1. */
static int decode_ext_value(const char *v, char *out, size_t outsz)
{
	const char *q1 = strchr(v, '\'');
	const char *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
	size_t n = 0;
	int latin1;

	if (q2 == NULL)
		return -1;
	if (ieq(v, (size_t)(q1 - v), "utf-8"))
		latin1 = 0;
	else if (ieq(v, (size_t)(q1 - v), "iso-8859-1"))
		latin1 = 1;
	else
		return -1;
	for (const char *p = q2 + 1; *p != '\0'; p++) {
		int c = (unsigned char)*p;

		if (c == '%') {
			int hi = ascii_hex((unsigned char)p[1]);
			int lo = hi < 0 ? -1 : ascii_hex((unsigned char)p[2]);

			if (lo < 0)
				return -1;
			c = hi * 16 + lo;
			if (c == 0)
				return -1;
			p += 2;
		}
		if (put_byte(out, outsz, &n, c, latin1) < 0)
			return -1;
	}
	out[n] = '\0';
	return 0;
}

/* Is the token at *pp the word w (any case)?  Then *pp moves past it. */
static int word(const char **pp, const char *end, const char *w)
{
	const char *t = skip_token(*pp, end);

	if (!ieq(*pp, (size_t)(t - *pp), w))
		return 0;
	*pp = t;
	return 1;
}

/* The next "; name =" of a parameter list at *pp (RFC 9110 5.6.6):
 * 1 with the name and *pp at its value, 0 at the end (a trailing ';' is
 * harmless), -1 when malformed.  empty_ok: an empty parameter (";;") is
 * skipped, else it is an error. */
static int next_param(const char **pp, const char *end, int empty_ok, const char **name,
		      size_t *nlen)
{
	const char *p = *pp;

	do {
		p = skip_ows(p, end);
		if (p == end)
			return 0;
		if (*p != ';')
			return -1;
		p = skip_ows(p + 1, end);
		if (p == end)
			return 0;
	} while (empty_ok && *p == ';');
	*name = p;
	p = skip_token(p, end);
	*nlen = (size_t)(p - *name);
	if (*nlen == 0)
		return -1;
	p = skip_ows(p, end);
	if (p == end || *p != '=')
		return -1;
	*pp = skip_ows(p + 1, end);
	return 1;
}

/* Parses a Content-Disposition value v[0..n) (RFC 7578 4.2, RFC 6266 4.1):
 * "form-data" *( OWS ";" OWS name OWS "=" OWS value ).  Fills name and
 * filename of *part; filename* takes precedence over filename.  A repeated
 * parameter is refused (two names for one part are ambiguous).
 * Returns 0 or -1. */
static int parse_disposition(const char *v, size_t n,
			     struct multipart_part *part)
{
	const char *p = v, *end = v + n;
	/* The raw ext-value: up to three bytes per decoded one, plus the
	 * charset and language. */
	char ext[3 * sizeof(part->filename) + 128];
	char scratch[sizeof(part->filename)];
	int has_name = 0, has_plain = 0, has_ext = 0;

	p = skip_ows(p, end);
	if (!word(&p, end, "form-data"))
		return -1;
	for (;;) {
		const char *name;
		size_t nlen;
		char *dst;
		size_t dstsz;
		int *seen, r = next_param(&p, end, 0, &name, &nlen);

		if (r <= 0) {
			if (r < 0)
				return -1;
			break;
		}
		if (ieq(name, nlen, "name")) {
			dst = part->name;
			dstsz = sizeof(part->name);
			seen = &has_name;
		} else if (ieq(name, nlen, "filename")) {
			dst = part->filename;
			dstsz = sizeof(part->filename);
			seen = &has_plain;
		} else if (ieq(name, nlen, "filename*")) {
			dst = ext;
			dstsz = sizeof(ext);
			seen = &has_ext;
		} else {
			/* Unknown parameters are skipped, but must parse. */
			dst = scratch;
			dstsz = sizeof(scratch);
			seen = NULL;
		}
		if (seen != NULL && *seen)
			return -1;
		if (param_value(&p, end, dst, dstsz, 1) < 0)
			return -1;
		if (seen != NULL)
			*seen = 1;
	}
	if (has_ext) {
		if (decode_ext_value(ext, part->filename,
				     sizeof(part->filename)) < 0)
			return -1;
	}
	part->has_filename = has_plain || has_ext;
	return 0;
}

/* Parses the complete part header section head[0..len) (lines ending in
 * CRLF, the last one empty).  Returns 0 or -1 with mp->err set. */
static int parse_part_head(struct multipart *mp, const char *head, size_t len)
{
	struct multipart_part *part = &mp->part;
	const char *p = head, *end = head + len;
	int has_cd = 0, has_ct = 0;

	memset(part, 0, sizeof(*part));
	while (p < end) {
		const char *eol = memchr(p, '\r', (size_t)(end - p));
		const char *colon, *v, *vend;
		size_t vlen;

		/* The feeder guarantees each CR is followed by LF. */
		if (eol == p)
			break; /* the empty line */
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL) {
			mp->err = "part header line without colon";
			return -1;
		}
		if (colon == p || skip_token(p, colon) != colon) {
			mp->err = "bad part header name";
			return -1;
		}
		v = skip_ows(colon + 1, eol);
		vend = eol;
		while (vend > v && ascii_ows((unsigned char)vend[-1]))
			vend--;
		vlen = (size_t)(vend - v);

		if (ieq(p, (size_t)(colon - p), "content-disposition")) {
			if (has_cd++ || parse_disposition(v, vlen, part) < 0) {
				mp->err = "bad Content-Disposition";
				return -1;
			}
		} else if (ieq(p, (size_t)(colon - p), "content-type")) {
			if (has_ct++ || vlen >= sizeof(part->content_type)) {
				mp->err = "bad part Content-Type";
				return -1;
			}
			memcpy(part->content_type, v, vlen);
			part->content_type[vlen] = '\0';
		}
		/* Other fields (Content-Transfer-Encoding etc.) are ignored. */
		p = eol + 2;
	}
	if (!has_cd) {
		mp->err = "part without Content-Disposition";
		return -1;
	}
	return 0;
}

static int fail(struct multipart *mp, const char *err)
{
	mp->state = MP_FAILED;
	mp->err = err;
	return -1;
}

/* Passes body bytes on; only MP_BODY has a receiver (the preamble is
 * dropped).  Returns 0 or -1 when the callback stops the parse. */
static int emit(struct multipart *mp, const char *p, size_t n,
		const struct multipart_cb *cb)
{
	if (n == 0 || mp->state != MP_BODY || cb == NULL ||
	    cb->part_data == NULL)
		return 0;
	return cb->part_data(cb->ctx, p, n) < 0 ? -1 : 0;
}

/* Scans p[0..len) for the delimiter, passing everything else on as data.
 * A candidate is held back in mp->match (the held bytes equal
 * mp->delim[0..match), so they need no copy) and released when it fails.
 * The delimiter starts with CR and CR occurs nowhere else in it, so no
 * proper suffix of a partial match can itself begin a match: on a
 * mismatch the matcher restarts at 0, re-examining the mismatching byte
 * (which may be the CR of a new candidate, as in "\r\n\r\n--b").
 * Data leaves as maximal slices of p: a failed candidate that began in p
 * stays part of the run around it, so a piece yields one slice of p per
 * part (plus, first, the held bytes of a candidate begun in an earlier
 * piece, from mp->delim), however many CRs the data holds.
 * Returns 1 with *used set when the whole delimiter was consumed, 0 when
 * the input ran out, -1 when a callback stopped the parse. */
static int scan(struct multipart *mp, const char *p, size_t len, size_t *used,
		const struct multipart_cb *cb)
{
	size_t i = 0, start = 0;
	size_t cand = 0;      /* where the candidate began in p */
	int held = mp->match != 0; /* the candidate began in an earlier piece */

	while (i < len) {
		if (mp->match == 0) {
			const char *cr = memchr(p + i, '\r', len - i);

			if (cr == NULL) {
				i = len;
				break;
			}
			i = (size_t)(cr - p);
			cand = i++;
			mp->match = 1;
		} else if (p[i] == mp->delim[mp->match]) {
			i++;
			if (++mp->match == mp->delim_len) {
				mp->match = 0;
				*used = i;
				/* The run before the delimiter (empty when the
				 * candidate began in an earlier piece). */
				return held || emit(mp, p + start, cand - start, cb) == 0 ? 1 : -1;
			}
		} else {
			if (held) {
				/* Held bytes from earlier pieces go first; the
				 * run goes on from the mismatching byte. */
				if (emit(mp, mp->delim, mp->match, cb) < 0)
					return -1;
				held = 0;
				start = i;
			}
			mp->match = 0; /* the failed candidate stays in the run */
		}
	}
	if (mp->match != 0) {
		/* A candidate is open at the end: the bytes of it in p are
		 * held back (they equal mp->delim[..match)). */
		if (held)
			return 0;
		return emit(mp, p + start, cand - start, cb);
	}
	return emit(mp, p + start, i - start, cb);
}

static int end_part(struct multipart *mp, const struct multipart_cb *cb)
{
	if (!mp->in_part)
		return 0;
	mp->in_part = 0;
	if (cb != NULL && cb->part_end != NULL && cb->part_end(cb->ctx) < 0)
		return -1;
	return 0;
}

/* MP_AFTER_BOUNDARY: one byte c.  Returns 1 at the close delimiter, 0 to
 * go on, -1 on failure. */
static int after_boundary(struct multipart *mp, int c,
			  const struct multipart_cb *cb)
{
	switch (mp->sub) {
	case AB_FIRST:
	case AB_PAD:
		if (c == '-' && mp->sub == AB_FIRST) {
			mp->sub = AB_DASH;
			return 0;
		}
		if (ascii_ows(c) || c == '\r') {
			mp->sub = c == '\r' ? AB_LF : AB_PAD;
			return 0;
		}
		break;
	case AB_DASH: /* "--": the close delimiter */
	case AB_LF:   /* CRLF: the next part */
		if (c != (mp->sub == AB_DASH ? '-' : '\n'))
			break;
		if (end_part(mp, cb) < 0)
			return fail(mp, "aborted");
		mp->state = mp->sub == AB_DASH ? MP_EPILOGUE : MP_HEADERS;
		mp->head_len = 0;
		return mp->state == MP_EPILOGUE;
	}
	return fail(mp, "bad bytes after a boundary delimiter");
}

/* MP_HEADERS: one byte c.  Lines must end in CRLF; a bare CR or LF, or a
 * control character, is refused here so that the section parser sees
 * clean lines.  Returns 0 or -1. */
static int header_byte(struct multipart *mp, int c,
		       const struct multipart_cb *cb)
{
	int prev = mp->head_len ? (unsigned char)mp->head[mp->head_len - 1] : 0;
	size_t n;

	if (mp->head_len == sizeof(mp->head))
		return fail(mp, "part header section too long");
	if ((prev == '\r') != (c == '\n'))
		return fail(mp, "bad line ending in part header");
	if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
		return fail(mp, "control character in part header");
	mp->head[mp->head_len++] = (char)c;
	n = mp->head_len;
	if (c != '\n')
		return 0;
	if (n != 2 && (n < 4 || memcmp(mp->head + n - 4, "\r\n\r\n", 4) != 0))
		return 0;
	if (parse_part_head(mp, mp->head, n) < 0)
		return fail(mp, mp->err);
	mp->state = MP_BODY;
	mp->match = 0;
	mp->in_part = 1;
	if (cb != NULL && cb->part_begin != NULL &&
	    cb->part_begin(cb->ctx, &mp->part) < 0)
		return fail(mp, "aborted");
	return 0;
}

/* The boundary parameter's value at *p (quoted, or unquoted up to the
 * next ';' or OWS: bchars beyond tchar such as '/' or '=' are
 * tolerated) into out; *p moves past it.  Returns 0 or -1. */
static int boundary_value(const char **pp, const char *end, char *out)
{
	const char *p = *pp, *t;
	char val[MULTIPART_BOUNDARY_MAX + 2];
	size_t blen;

	if (p < end && *p == '"') {
		if (param_value(&p, end, val, sizeof(val), 0) < 0)
			return -1;
		blen = strlen(val);
	} else {
		t = p;
		while (t < end && *t != ';' && !ascii_ows((unsigned char)*t))
			t++;
		blen = (size_t)(t - p);
		if (blen >= sizeof(val))
			return -1;
		memcpy(val, p, blen);
		val[blen] = '\0';
		p = t;
	}
	*pp = p;
	if (blen == 0 || blen > MULTIPART_BOUNDARY_MAX || val[blen - 1] == ' ')
		return -1;
	for (size_t i = 0; i < blen; i++)
		if (!is_bchar((unsigned char)val[i]))
			return -1;
	memcpy(out, val, blen + 1);
	return 0;
}

int multipart_boundary(struct slice content_type, char *out)
{
	const char *p = content_type.p;
	const char *end;
	int found = 0;

	if (content_type.len == 0)
		return -1;
	end = p + content_type.len;
	p = skip_ows(p, end);
	if (!word(&p, end, "multipart") || p == end || *p != '/')
		return -1;
	p++;
	if (!word(&p, end, "form-data"))
		return -1;
	for (;;) {
		const char *name;
		size_t nlen;
		int r = next_param(&p, end, 1, &name, &nlen);

		if (r <= 0)
			return r < 0 || !found ? -1 : 0;
		if (!ieq(name, nlen, "boundary")) {
			char skip[256];

			/* Only the syntax of other parameters matters; a
			 * very long one is simply refused. */
			if (param_value(&p, end, skip, sizeof(skip), 0) < 0)
				return -1;
			continue;
		}
		if (found)
			return -1; /* two boundaries: ambiguous */
		found = 1;
		if (boundary_value(&p, end, out) < 0)
			return -1;
	}
	return found ? 0 : -1;
}

void multipart_init(struct multipart *mp, const char *boundary)
{
	size_t n = strlen(boundary);

	memset(mp, 0, sizeof(*mp));
	if (n == 0 || n > MULTIPART_BOUNDARY_MAX) {
		fail(mp, "bad boundary");
		return;
	}
	memcpy(mp->delim, "\r\n--", 4);
	memcpy(mp->delim + 4, boundary, n);
	mp->delim_len = n + 4;
	/* The first delimiter may open the body without a CRLF before it
	 * (RFC 2046 5.1.1): act as if the body followed a CRLF.  The
	 * preamble is dropped, so those virtual bytes never surface. */
	mp->state = MP_PREAMBLE;
	mp->match = 2;
}

int multipart_feed(struct multipart *mp, const char *data, size_t len,
		   const struct multipart_cb *cb)
{
	size_t i = 0;

	while (i < len) {
		switch (mp->state) {
		case MP_PREAMBLE:
		case MP_BODY: {
			size_t used = 0;
			int r = scan(mp, data + i, len - i, &used, cb);

			if (r < 0)
				return fail(mp, "aborted");
			if (r == 0)
				return 0; /* all input taken */
			i += used;
			mp->state = MP_AFTER_BOUNDARY;
			mp->sub = AB_FIRST;
			break;
		}
		case MP_AFTER_BOUNDARY: {
			int r = after_boundary(mp, (unsigned char)data[i++], cb);

			if (r != 0)
				return r;
			break;
		}
		case MP_HEADERS:
			if (header_byte(mp, (unsigned char)data[i++], cb) < 0)
				return -1;
			break;
		case MP_EPILOGUE:
			return 1;
		case MP_FAILED:
			return -1;
		}
	}
	if (mp->state == MP_EPILOGUE)
		return 1;
	return mp->state == MP_FAILED ? -1 : 0;
}

int multipart_finish(struct multipart *mp)
{
	if (mp->state == MP_EPILOGUE)
		return 0;
	if (mp->state != MP_FAILED)
		fail(mp, "missing close delimiter");
	return -1;
}
