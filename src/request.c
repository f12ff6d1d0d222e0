/* HTTP/1.x request-head parser (RFC 9112 2-6, RFC 9110 5-7).
 *
 * The head is scanned line by line from the start on every call; nothing
 * is remembered between calls, so a partial head leaves no state behind.
 * A complete line is checked at once, and the first bad line decides the
 * error.  An incomplete last line is only checked against the length
 * limits, with lower bounds of its final lengths, so that any prefix of
 * an input gives either -2 or the very error the whole input gives.
 * Checks that need every field (Host, framing, Connection, Expect) run
 * once the empty line has arrived. */

#include <string.h>
#include "request.h"

#define EMPTY_LINES_MAX 8 /* empty lines tolerated before the request line */

static const struct {
	const char *name;
	enum method id;
} methods[] = {
	{ "GET", METHOD_GET },         { "HEAD", METHOD_HEAD },
	{ "POST", METHOD_POST },       { "PUT", METHOD_PUT },
	{ "DELETE", METHOD_DELETE },   { "OPTIONS", METHOD_OPTIONS },
	{ "TRACE", METHOD_TRACE },     { "CONNECT", METHOD_CONNECT },
	{ "PATCH", METHOD_PATCH },
};

static struct slice mkslice(const char *p, size_t len)
{
	return (struct slice){ len ? p : NULL, len };
}

/* RFC 9110 5.6.2: tchar. */
static int is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Locates the line that starts at buf[pos].  For a complete line returns
 * 1, *end = end of its content (before CRLF or the bare LF of RFC 9112
 * 2.2) and *next = offset after the LF.  Without an LF yet returns 0 and
 * lower bounds of both: the content read so far (a final CR may be half
 * of the CRLF) and len + 1, the earliest place the line could end. */
static int find_line(const char *buf, size_t len, size_t pos, size_t *end,
		     size_t *next)
{
	const char *lf = NULL;
	size_t e;

	if (pos < len)
		lf = memchr(buf + pos, '\n', len - pos);
	if (lf == NULL) {
		e = len;
		*next = len + 1;
	} else {
		e = (size_t)(lf - buf);
		*next = e + 1;
	}
	if (e > pos && buf[e - 1] == '\r')
		e--;
	*end = e;
	return lf != NULL;
}

static enum method method_lookup(struct slice m)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (slice_eq(m, methods[i].name)) /* methods are case-sensitive */
			return methods[i].id;
	return METHOD_UNKNOWN;
}

/* request-line = method SP request-target SP HTTP-version (RFC 9112 3).
 * p[0..n) is the line without its terminator.  Returns 0 or a status. */
static int parse_request_line(const char *p, size_t n, struct request_head *h)
{
	size_t i = 0, t;
	const char *v;

	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i >= n || p[i] != ' ')
		return 400;
	h->method = mkslice(p, i);
	h->method_id = method_lookup(h->method);

	/* Any visible byte, obs-text included; the target's own syntax is
	 * uri_normalize's business. */
	t = ++i;
	while (i < n && (unsigned char)p[i] > 0x20 && p[i] != 0x7f)
		i++;
	if (i == t || i >= n || p[i] != ' ')
		return 400;
	h->target = mkslice(p + t, i - t);

	/* HTTP-version = "HTTP" "/" DIGIT "." DIGIT, nothing more. */
	v = p + i + 1;
	if (n - i - 1 != 8 || memcmp(v, "HTTP/", 5) != 0 ||
	    !is_digit((unsigned char)v[5]) || v[6] != '.' ||
	    !is_digit((unsigned char)v[7]))
		return 400;
	h->major = v[5] - '0';
	h->minor = v[7] - '0';
	if (h->major != 1)
		return 505;
	if (h->minor > 1)
		h->minor = 1;
	return 0;
}

/* field-line = field-name ":" OWS field-value OWS (RFC 9112 5).  Returns
 * 0 or a status. */
static int parse_field(const char *p, size_t n, struct header_field *f)
{
	size_t i = 0, s, e;

	/* A line starting with white space is obs-fold (RFC 9112 5.2), or
	 * white space between the start-line and the first field (2.2): both
	 * are rejected. */
	if (is_ows((unsigned char)p[0]))
		return 400;
	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	/* No white space before the colon (RFC 9112 5.1). */
	if (i == 0 || i >= n || p[i] != ':')
		return 400;
	f->name = mkslice(p, i);
	for (s = ++i; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		/* field-vchar and HTAB/SP; obs-text is allowed, CTLs are not
		 * (RFC 9110 5.5). */
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 400;
	}
	e = n;
	while (s < e && is_ows((unsigned char)p[s]))
		s++;
	while (e > s && is_ows((unsigned char)p[e - 1]))
		e--;
	f->value = mkslice(p + s, e - s);
	return 0;
}

/* Steps through a comma-separated list (RFC 9110 5.6.1).  *pos starts at
 * 0.  Returns 1 with the next element, OWS-trimmed and possibly empty, in
 * *elem; 0 past the last one. */
static int list_next(struct slice v, size_t *pos, struct slice *elem)
{
	size_t i = *pos, s, e;

	if (i > v.len)
		return 0;
	s = i;
	while (i < v.len && v.p[i] != ',')
		i++;
	e = i;
	while (s < e && is_ows((unsigned char)v.p[s]))
		s++;
	while (e > s && is_ows((unsigned char)v.p[e - 1]))
		e--;
	*elem = e > s ? mkslice(v.p + s, e - s) : mkslice(NULL, 0);
	*pos = i + 1;
	return 1;
}

/* Host = uri-host [ ":" port ] (RFC 9110 7.2), empty allowed.  uri-host
 * is an IP-literal of hex digits, colons and dots, or reg-name/IPv4
 * characters (RFC 3986 3.2.2). */
static int host_valid(struct slice v)
{
	size_t i = 0;

	if (v.len == 0)
		return 1;
	if (v.p[0] == '[') {
		for (i = 1; i < v.len && v.p[i] != ']'; i++) {
			unsigned char c = (unsigned char)v.p[i];

			if (!is_hex(c) && c != ':' && c != '.')
				return 0;
		}
		if (i >= v.len || i == 1)
			return 0;
		i++;
	} else {
		for (; i < v.len; i++) {
			unsigned char c = (unsigned char)v.p[i];

			if (!is_digit(c) && !(c >= 'a' && c <= 'z') &&
			    !(c >= 'A' && c <= 'Z') && !strchr("-._~!$&'()*+,;=%", c))
				break;
		}
	}
	if (i < v.len) {
		if (v.p[i] != ':')
			return 0;
		for (i++; i < v.len; i++)
			if (!is_digit((unsigned char)v.p[i]))
				return 0;
	}
	return 1;
}

/* Content-Length = 1*DIGIT (RFC 9110 8.6), at most 2^63 - 1. */
static int parse_length(struct slice v, uint64_t *out)
{
	uint64_t n = 0;

	if (v.len == 0)
		return -1;
	for (size_t i = 0; i < v.len; i++) {
		unsigned d;

		if (!is_digit((unsigned char)v.p[i]))
			return -1;
		d = (unsigned)(v.p[i] - '0');
		if (n > (UINT64_C(0x7fffffffffffffff) - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*out = n;
	return 0;
}

/* Transfer-Encoding (RFC 9112 6.1, 6.3): the codings of every TE field
 * form one list, which must end in exactly one "chunked".  Returns 0 or a
 * status. */
static int check_codings(const struct request_head *h)
{
	int nchunked = 0, other = 0, last_chunked = 0;

	for (size_t i = 0; i < h->nfields; i++) {
		struct slice e;
		size_t pos = 0;

		if (!slice_ieq(h->fields[i].name, "transfer-encoding"))
			continue;
		while (list_next(h->fields[i].value, &pos, &e)) {
			if (e.len == 0)
				return 400;
			if (slice_ieq(e, "chunked")) {
				nchunked++;
				last_chunked = 1;
				continue;
			}
			/* Another coding, perhaps with parameters:
			 * token *( OWS ";" ... ). */
			size_t k = 0;

			while (k < e.len && is_tchar((unsigned char)e.p[k]))
				k++;
			if (k == 0)
				return 400;
			while (k < e.len && is_ows((unsigned char)e.p[k]))
				k++;
			if (k < e.len && e.p[k] != ';')
				return 400;
			if (nchunked == 0)
				other = 1;
			last_chunked = 0;
		}
	}
	if (!last_chunked || nchunked > 1)
		return 400;
	if (other)
		return 501;
	return 0;
}

/* Derives host, framing, keep_alive and expect_continue from the fields
 * of a complete head.  Returns 0 or a status. */
static int check_fields(struct request_head *h)
{
	const struct header_field *host = NULL, *length = NULL;
	int te = 0, want_close = 0, keep = 0, rc;

	for (size_t i = 0; i < h->nfields; i++) {
		const struct header_field *f = &h->fields[i];

		if (slice_ieq(f->name, "host")) {
			if (host != NULL || !host_valid(f->value))
				return 400;
			host = f;
		} else if (slice_ieq(f->name, "content-length")) {
			/* A repeated or listed length is a smuggling vector
			 * even when the values agree (RFC 9112 6.3). */
			if (length != NULL || parse_length(f->value, &h->content_length) < 0)
				return 400;
			length = f;
		} else if (slice_ieq(f->name, "transfer-encoding")) {
			te = 1;
		}
	}
	/* RFC 9112 3.2: a client MUST send Host in HTTP/1.1. */
	if (host == NULL && h->minor >= 1)
		return 400;
	if (host != NULL)
		h->host = host->value;

	if (te) {
		/* RFC 9112 6.1: TE in HTTP/1.0 is faulty framing; TE with
		 * Content-Length must be treated as an error (6.3). */
		if (h->minor == 0 || length != NULL)
			return 400;
		if ((rc = check_codings(h)) != 0)
			return rc;
		h->framing = FRAMING_CHUNKED;
	} else if (length != NULL) {
		h->framing = FRAMING_LENGTH;
	}

	for (size_t i = 0; i < h->nfields; i++) {
		const struct header_field *f = &h->fields[i];
		struct slice e;
		size_t pos = 0;

		if (!slice_ieq(f->name, "connection"))
			continue;
		while (list_next(f->value, &pos, &e)) {
			if (slice_ieq(e, "close"))
				want_close = 1;
			else if (slice_ieq(e, "keep-alive"))
				keep = 1;
		}
	}
	h->keep_alive = !want_close && (h->minor >= 1 || keep);

	/* RFC 9110 10.1.1: 100-continue is the only expectation. */
	for (size_t i = 0; i < h->nfields; i++) {
		const struct header_field *f = &h->fields[i];

		if (!slice_ieq(f->name, "expect"))
			continue;
		if (!slice_ieq(f->value, "100-continue"))
			return 417;
		h->expect_continue = 1;
	}
	return 0;
}

static int reject(struct request_head *h, int status)
{
	h->status = status;
	return -1;
}

int request_parse(const char *buf, size_t len, struct request_head *out)
{
	size_t pos = 0, end, next;
	int complete, rc;

	memset(out, 0, sizeof(*out));

	/* Request line, after at most EMPTY_LINES_MAX empty lines (RFC 9112
	 * 2.2).  Limits come first: they must give the same answer for a
	 * line still arriving as for the whole line. */
	for (int empty = 0;; empty++) {
		complete = find_line(buf, len, pos, &end, &next);
		if (end - pos > REQUEST_LINE_MAX)
			return reject(out, 414);
		if (next > REQUEST_HEAD_MAX)
			return reject(out, 431);
		if (!complete)
			return -2;
		if (end > pos)
			break;
		if (empty == EMPTY_LINES_MAX)
			return reject(out, 400);
		pos = next;
	}
	if ((rc = parse_request_line(buf + pos, end - pos, out)) != 0)
		return reject(out, rc);
	pos = next;

	/* Field lines up to the empty line. */
	for (;;) {
		complete = find_line(buf, len, pos, &end, &next);
		if (next > REQUEST_HEAD_MAX)
			return reject(out, 431);
		if (!complete)
			return -2;
		if (end == pos)
			break;
		if (out->nfields == REQUEST_FIELDS_MAX)
			return reject(out, 431);
		rc = parse_field(buf + pos, end - pos, &out->fields[out->nfields]);
		if (rc != 0)
			return reject(out, rc);
		out->nfields++;
		pos = next;
	}
	if ((rc = check_fields(out)) != 0)
		return reject(out, rc);
	return (int)next;
}

const struct header_field *request_field(const struct request_head *h,
					 const char *name)
{
	for (size_t i = 0; i < h->nfields; i++)
		if (slice_ieq(h->fields[i].name, name))
			return &h->fields[i];
	return NULL;
}
