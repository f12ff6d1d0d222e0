/* HTTP/1.x request-head parser (RFC 9112 2-6, RFC 9110 5-7).
 *
 * The head is checked line by line as it arrives: a complete line is
 * checked at once, and the first bad line decides the error.  A resumed
 * parse (request_parse_resume) keeps in a small caller-owned scan state
 * the offset of the first line not yet checked and of where to go on
 * looking for its LF, so each call looks only at new bytes; the state
 * holds offsets, never pointers.  An incomplete last line is only checked
 * against the length limits (and the method's), with lower bounds of its
 * final lengths, so that any prefix of an input gives either -2 or the
 * very error the whole input gives, whether it was fed in one piece or
 * several.  Slices are made only once the empty line has arrived, by one
 * more pass over the complete head, which also runs the checks that need
 * every field (Host, framing, Connection, Expect); a head found complete
 * in the call that began its scan is built during that scan instead.
 *
 * Speed: the runs of token, target and field-value bytes are scanned with
 * a byte-class table, and with SSE4.2 range compares 16 bytes at a time
 * where the CPU has it (REQUEST_SCAN_PORTABLE leaves only the table; the
 * unit tests and the fuzz harnesses run both).  A field line is checked
 * and located in one pass (quick_field); anything it does not accept goes
 * the general way, which decides as before. */

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>
#include "request.h"

#define EMPTY_LINES_MAX 8 /* empty lines tolerated before the request line */
#define LIST_EMPTY_MAX 16 /* empty list elements ignored in one list (RFC 9110 5.6.1) */

static const struct {
	const char *name;
	size_t len;
	enum method id;
} methods[] = {
	{ "GET", 3, METHOD_GET },         { "HEAD", 4, METHOD_HEAD },
	{ "POST", 4, METHOD_POST },       { "PUT", 3, METHOD_PUT },
	{ "DELETE", 6, METHOD_DELETE },   { "OPTIONS", 7, METHOD_OPTIONS },
	{ "TRACE", 5, METHOD_TRACE },     { "CONNECT", 7, METHOD_CONNECT },
	{ "PATCH", 5, METHOD_PATCH },
};

static struct slice mkslice(const char *p, size_t len)
{
	return (struct slice){ len ? p : NULL, len };
}

/* Byte classes, one bit each, for the hot loops (a table lookup per
 * byte instead of a chain of comparisons, as picohttpparser's token_char_map
 * and nginx's usual[] do). */
#define C_TCHAR  1 /* tchar (RFC 9110 5.6.2) */
#define C_VALUE  2 /* field-vchar, SP, HTAB, obs-text (RFC 9110 5.5) */
#define C_TARGET 4 /* printable ASCII but "#": a request-target byte */
#define C_HOST   8 /* reg-name byte of a Host (RFC 3986 3.2.2, with "%") */

static const unsigned char byte_class[256] = {
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  2,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 2, 15,  6,  3, 15, 15, 15, 15, 14, 14, 15, 15, 14, 15, 15,  6,
	15, 15, 15, 15, 15, 15, 15, 15, 15, 15,  6, 14,  6, 14,  6,  6,
	 6, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,
	15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,  6,  6,  6,  7, 15,
	 7, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,
	15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,  6,  7,  6, 15,  0,
	 2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
	 2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
	 2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
	 2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
	 2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
	 2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
	 2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
	 2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
};

static int is_tchar(unsigned char c)
{
	return byte_class[c] & C_TCHAR;
}

/* Returns the first i in [i, n) where p[i] is not of class cls, or n.
 * Portable: four table lookups per round. */
static size_t run_table(const char *p, size_t i, size_t n, unsigned cls)
{
	const unsigned char *u = (const unsigned char *)p;

	while (n - i >= 4) {
		if (!(byte_class[u[i]] & cls))
			return i;
		if (!(byte_class[u[i + 1]] & cls))
			return i + 1;
		if (!(byte_class[u[i + 2]] & cls))
			return i + 2;
		if (!(byte_class[u[i + 3]] & cls))
			return i + 3;
		i += 4;
	}
	while (i < n && (byte_class[u[i]] & cls))
		i++;
	return i;
}

#if !defined(REQUEST_SCAN_PORTABLE) && defined(__x86_64__) && \
	(defined(__GNUC__) || defined(__clang__))
#define REQUEST_SCAN_SSE42 1
#include <nmmintrin.h>

/* SSE4.2 range scan (picohttpparser's findchar_fast): PCMPESTRI finds, 16
 * bytes at a time, the first byte inside any of up to eight [lo, hi]
 * ranges, the complement of the class or a superset of it.  Returns where
 * it stopped: at such a byte, or where fewer than 16 bytes are left; the
 * table finishes from there, so the ranges only have to contain every
 * byte outside the class.  Never reads past p[n - 1]. */
__attribute__((target("sse4.2")))
static size_t run_sse42(const char *p, size_t i, size_t n, const char *ranges,
			int nranges)
{
	__m128i r = _mm_loadu_si128((const __m128i *)(const void *)ranges);

	while (n - i >= 16) {
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		int k = _mm_cmpestri(r, nranges, b, 16,
				     _SIDD_LEAST_SIGNIFICANT | _SIDD_CMP_RANGES |
				     _SIDD_UBYTE_OPS);

		if (k != 16)
			return i + (size_t)k;
		i += 16;
	}
	return i;
}

/* The complement of each class as ranges (16 bytes, padded). */
static const char ranges_tchar[16] = /* a superset: | and ~ are tchars */
	"\x00 \"\"(),,//:@[]{\xff";
static const char ranges_value[16] = "\x00\x08\x0a\x1f\x7f\x7f";
static const char ranges_target[16] = "\x00 ##\x7f\xff";
#endif

/* Portable word-at-a-time skip over field-value or target bytes: 8 bytes
 * per round while none of them can be outside the class (bit tricks from
 * "Bit Twiddling Hacks": a byte below a bound, a byte equal to a value,
 * a byte above a bound).  It may stop early (HTAB, a false alarm): the
 * table then decides. */
static size_t run_words(const char *p, size_t i, size_t n, unsigned cls)
{
	const uint64_t ones = UINT64_C(0x0101010101010101);
	const uint64_t high = UINT64_C(0x8080808080808080);

	while (n - i >= 8) {
		uint64_t x, bad;

		memcpy(&x, p + i, 8);
		if (cls == C_VALUE) {
			uint64_t d = x ^ (ones * 0x7f);

			/* < 0x20 (HTAB too), or 0x7f */
			bad = ((x - ones * 0x20) & ~x) | ((d - ones) & ~d);
		} else {
			uint64_t d = x ^ (ones * '#');

			/* < 0x21, or '#', or > 0x7e */
			bad = ((x - ones * 0x21) & ~x) | ((d - ones) & ~d) |
			      (x + ones * (0x7f - 0x7e)) | x;
		}
		if (bad & high)
			break;
		i += 8;
	}
	return i;
}

/* Returns the first i in [i, n) where p[i] is not of class cls, or n:
 * long runs through SSE4.2 where the CPU has it, then words of 8 bytes
 * (values and targets) and the table. */
static size_t run(const char *p, size_t i, size_t n, unsigned cls)
{
#ifdef REQUEST_SCAN_SSE42
	if (n - i >= 16 && __builtin_cpu_supports("sse4.2")) {
		if (cls == C_VALUE)
			i = run_sse42(p, i, n, ranges_value, 6);
		else if (cls == C_TARGET)
			i = run_sse42(p, i, n, ranges_target, 6);
		else
			i = run_sse42(p, i, n, ranges_tchar, 16);
	}
#endif
	for (;;) {
		size_t lim, j;

		if (cls != C_TCHAR)
			i = run_words(p, i, n, cls);
		lim = n - i > 8 ? i + 8 : n;
		j = run_table(p, i, lim, cls);
		if (j < lim || lim == n)
			return j;
		i = j;
	}
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

static enum method method_lookup(struct slice m)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (m.len == methods[i].len && /* methods are case-sensitive */
		    memcmp(m.p, methods[i].name, m.len) == 0)
			return methods[i].id;
	return METHOD_UNKNOWN;
}

/* Whether the line starting at p (n bytes so far, complete or not) opens
 * with a method token longer than REQUEST_METHOD_MAX.  No method is that
 * long; deciding on the first REQUEST_METHOD_MAX + 1 bytes gives 400 (the
 * line is bad, 414 is about the target) without waiting for the rest. */
static int method_too_long(const char *p, size_t n)
{
	size_t i = 0;

	if (n > REQUEST_METHOD_MAX + 1)
		n = REQUEST_METHOD_MAX + 1;
	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	return i > REQUEST_METHOD_MAX;
}

/* request-line = method SP request-target SP HTTP-version (RFC 9112 3).
 * p[0..n) is the line without its terminator.  Returns 0 or a status. */
static int parse_request_line(const char *p, size_t n, struct request_head *h)
{
	size_t i = 0, t;
	const char *v;

	i = run(p, 0, n, C_TCHAR);
	if (i == 0 || i >= n || p[i] != ' ')
		return 400;
	h->method = mkslice(p, i);
	h->method_id = method_lookup(h->method);

	/* Printable ASCII only: a request-target is a URI (RFC 9112 3.2,
	 * RFC 3986 2), so non-ASCII arrives percent-encoded and a raw byte
	 * >= 0x80 or a control is invalid; a fragment is never sent (RFC
	 * 9112 3.2: absolute-path [ "?" query ]), so "#" is invalid too.  The
	 * rest of the target's syntax is uri_normalize's business. */
	t = ++i;
	i = run(p, i, n, C_TARGET);
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

/* Fills *f from a checked field line at p: the name is p[0..colon), the
 * value p[s..e) less the OWS around it. */
static void set_field(struct header_field *f, const char *p, size_t colon,
		      size_t s, size_t e)
{
	f->name = mkslice(p, colon);
	while (s < e && is_ows((unsigned char)p[s]))
		s++;
	while (e > s && is_ows((unsigned char)p[e - 1]))
		e--;
	f->value = mkslice(p + s, e - s);
}

/* field-line = field-name ":" OWS field-value OWS (RFC 9112 5).  Returns
 * 0 or a status. */
static int parse_field(const char *p, size_t n, struct header_field *f)
{
	size_t i, s;

	/* A line starting with white space is obs-fold (RFC 9112 5.2), or
	 * white space between the start-line and the first field (2.2): both
	 * are rejected. */
	if (is_ows((unsigned char)p[0]))
		return 400;
	i = run(p, 0, n, C_TCHAR);
	/* No white space before the colon (RFC 9112 5.1). */
	if (i == 0 || i >= n || p[i] != ':')
		return 400;
	/* field-vchar and HTAB/SP; obs-text is allowed, CTLs are not (RFC
	 * 9110 5.5). */
	s = i + 1;
	if (run(p, s, n, C_VALUE) != n)
		return 400;
	set_field(f, p, i, s, n);
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

/* IP-literal without its brackets (RFC 3986 3.2.2): an IPv6address
 * (inet_pton's grammar, that of RFC 4291 2.2, which 3986 restates), or
 * IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ).
 * No zone identifier: RFC 9110 Host has none. */
static int ip_literal_valid(const char *p, size_t n)
{
	char ip[INET6_ADDRSTRLEN];
	unsigned char a6[16];
	size_t i = 1;

	if (n > 0 && (p[0] == 'v' || p[0] == 'V')) {
		while (i < n && is_hex((unsigned char)p[i]))
			i++;
		if (i == 1 || i >= n || p[i] != '.' || i + 1 == n)
			return 0;
		for (i++; i < n; i++) {
			unsigned char c = (unsigned char)p[i];

			if (c != ':' && (c == '%' || !(byte_class[c] & C_HOST)))
				return 0;
		}
		return 1;
	}
	if (n == 0 || n >= sizeof(ip))
		return 0;
	memcpy(ip, p, n);
	ip[n] = '\0';
	return inet_pton(AF_INET6, ip, a6) == 1;
}

/* Host = uri-host [ ":" port ] (RFC 9110 7.2).  uri-host is an
 * IP-literal in brackets (see ip_literal_valid), or reg-name/IPv4
 * characters (RFC 3986 3.2.2), and never empty: an "http" URI has a host
 * (RFC 9110 4.2.1), so "Host:" and "Host: :80" are invalid. */
static int host_valid(struct slice v)
{
	size_t i = 0;

	if (v.len == 0)
		return 0;
	if (v.p[0] == '[') {
		const char *rb = memchr(v.p, ']', v.len);

		if (rb == NULL || !ip_literal_valid(v.p + 1, (size_t)(rb - v.p) - 1))
			return 0;
		i = (size_t)(rb - v.p) + 1;
	} else {
		for (; i < v.len; i++) {
			unsigned char c = (unsigned char)v.p[i];

			if (!(byte_class[c] & C_HOST))
				break;
		}
		if (i == 0)
			return 0;
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
 * form one list, which must end in exactly one "chunked".  Up to
 * LIST_EMPTY_MAX empty list elements are ignored (RFC 9110 5.6.1).
 * Returns 0 or a status. */
static int check_codings(const struct request_head *h)
{
	int nchunked = 0, other = 0, last_chunked = 0, nempty = 0;

	for (size_t i = 0; i < h->nfields; i++) {
		struct slice e;
		size_t pos = 0;

		if (!slice_ieq(h->fields[i].name, "transfer-encoding"))
			continue;
		while (list_next(h->fields[i].value, &pos, &e)) {
			if (e.len == 0) {
				if (++nempty > LIST_EMPTY_MAX)
					return 400;
				continue;
			}
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

/* Whether field name n is the lower-case name s of length len: the
 * length is compared first, so most fields cost one comparison. */
static int name_is(struct slice n, const char *s, size_t len)
{
	if (n.len != len)
		return 0;
	/* s holds lower-case letters and "-" only, and a token byte ORed
	 * with 0x20 equals one of those only if it is that letter in either
	 * case, or "-". */
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)n.p[i] | 0x20) != (unsigned char)s[i])
			return 0;
	return 1;
}

/* Derives host, framing, keep_alive and expect_continue from the fields
 * of a complete head, in one pass over them.  Returns 0 or a status; of
 * several faults the first in this order: Host or Content-Length (400),
 * missing Host, framing, Expect (417). */
static int check_fields(struct request_head *h)
{
	const struct header_field *host = NULL, *length = NULL;
	int te = 0, want_close = 0, keep = 0, expect_bad = 0, expect = 0, rc;

	for (size_t i = 0; i < h->nfields; i++) {
		const struct header_field *f = &h->fields[i];
		struct slice e;
		size_t pos = 0;

		if (name_is(f->name, "host", 4)) {
			if (host != NULL || !host_valid(f->value))
				return 400;
			host = f;
		} else if (name_is(f->name, "content-length", 14)) {
			/* A repeated or listed length is a smuggling vector
			 * even when the values agree (RFC 9112 6.3). */
			if (length != NULL || parse_length(f->value, &h->content_length) < 0)
				return 400;
			length = f;
		} else if (name_is(f->name, "transfer-encoding", 17)) {
			te = 1;
		} else if (name_is(f->name, "connection", 10)) {
			while (list_next(f->value, &pos, &e)) {
				if (slice_ieq(e, "close"))
					want_close = 1;
				else if (slice_ieq(e, "keep-alive"))
					keep = 1;
			}
		} else if (name_is(f->name, "expect", 6)) {
			/* RFC 9110 10.1.1: 100-continue is the only
			 * expectation. */
			if (slice_ieq(f->value, "100-continue"))
				expect = 1;
			else
				expect_bad = 1;
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
	h->keep_alive = !want_close && (h->minor >= 1 || keep);
	if (expect_bad)
		return 417;
	h->expect_continue = expect;

	/* RFC 9110 9.3.4: a PUT with Content-Range (a partial PUT) gets 400,
	 * never a full replace with part of the content. */
	if (h->method_id == METHOD_PUT && request_field(h, "content-range") != NULL)
		return 400;
	return 0;
}

/* Zeroes *h but its field array (nfields says how much of it counts):
 * a call that returns -2 clears the head at little cost. */
static void head_clear(struct request_head *h)
{
	memset(h, 0, offsetof(struct request_head, fields));
	memset(&h->nfields, 0, sizeof(*h) - offsetof(struct request_head, nfields));
}

/* Ends a scan with an error: the scan state is ready for a new head; out
 * keeps the method and version if the request line got that far. */
static int reject(struct request_scan *sc, struct request_head *out, int status)
{
	head_clear(out);
	out->method_id = sc->method_id;
	out->major = sc->major;
	out->minor = sc->minor;
	out->status = status;
	memset(sc, 0, sizeof(*sc));
	return -1;
}

/* Locates the line that starts at buf[pos] in a complete head: *end is
 * the end of its content (before CRLF or the bare LF of RFC 9112 2.2),
 * *next the offset after the LF. */
static void head_line(const char *buf, size_t len, size_t pos, size_t *end,
		      size_t *next)
{
	const char *lf = memchr(buf + pos, '\n', len - pos);
	size_t e = (size_t)(lf - buf);

	*next = e + 1;
	if (e > pos && buf[e - 1] == '\r')
		e--;
	*end = e;
}

/* Makes the head of buf[0..len), every line of which has been checked
 * already, into *out: slices, fields, then the checks that need them all.
 * Returns len, or -1 with out->status (and the method and version). */
static int head_build(const char *buf, size_t len, struct request_head *out)
{
	size_t pos = 0, end, next;
	int rc;

	memset(out, 0, sizeof(*out));
	for (;;) { /* leading empty lines, then the request line */
		head_line(buf, len, pos, &end, &next);
		if (end > pos)
			break;
		pos = next;
	}
	if ((rc = parse_request_line(buf + pos, end - pos, out)) != 0)
		goto bad;
	for (pos = next;; pos = next) {
		head_line(buf, len, pos, &end, &next);
		if (end == pos)
			break;
		rc = 431;
		if (out->nfields == REQUEST_FIELDS_MAX ||
		    (rc = parse_field(buf + pos, end - pos, &out->fields[out->nfields])) != 0)
			goto bad;
		out->nfields++;
	}
	if ((rc = check_fields(out)) != 0)
		goto bad;
	return (int)len;
bad:
	out->status = rc;
	return -1;
}

/* The fast way through one field line at buf[sc->line]: one run of
 * token bytes, the colon, one run of field-value bytes, and CRLF or LF
 * right after it.  Returns the offset after the LF, with the line's end
 * (before CR LF) in *end and the colon's offset in *colon; 0 when the
 * line is not such a line or not complete yet, and the general way must
 * decide.  A line it accepts is one the general way accepts, with the
 * same end: no byte in the runs is LF, so the first LF is the one found. */
static size_t quick_field(const char *buf, size_t len, size_t line,
			  size_t *colon, size_t *end)
{
	size_t i = run(buf, line, len, C_TCHAR), q;

	if (i == line || i >= len || buf[i] != ':')
		return 0;
	q = run(buf, i + 1, len, C_VALUE);
	if (q >= len)
		return 0;
	*colon = i;
	*end = q;
	if (buf[q] == '\n')
		return q + 1;
	if (buf[q] == '\r' && q + 1 < len && buf[q + 1] == '\n')
		return q + 2;
	return 0;
}

int request_parse_resume(struct request_scan *sc, const char *buf, size_t len,
			 struct request_head *out)
{
	static const struct request_scan zero;
	int rc, fresh;

	/* A buffer shorter than what was checked is a new head. */
	if (sc->line > len || sc->seek > len || sc->seek < sc->line)
		memset(sc, 0, sizeof(*sc));
	/* A scan begun in this call checks every line of the head with buf
	 * as it is now, so it can fill *out as it goes; one resumed from an
	 * earlier call builds *out once the head is complete. */
	fresh = memcmp(sc, &zero, sizeof(zero)) == 0;
	head_clear(out);
	for (;;) {
		const char *lf = NULL;
		size_t end, next, colon;

		/* Most field lines: checked and located in one pass. */
		if (sc->in_fields && sc->seek == sc->line &&
		    (next = quick_field(buf, len, sc->line, &colon, &end)) != 0) {
			if (next > REQUEST_HEAD_MAX || sc->nfields == REQUEST_FIELDS_MAX)
				return reject(sc, out, 431);
			if (fresh)
				set_field(&out->fields[sc->nfields], buf + sc->line,
					  colon - sc->line, colon + 1 - sc->line,
					  end - sc->line);
			sc->nfields++;
			sc->line = sc->seek = next;
			continue;
		}

		if (sc->seek < len)
			lf = memchr(buf + sc->seek, '\n', len - sc->seek);
		if (lf == NULL) {
			/* Lower bounds: the content read so far (a final CR may
			 * be half of the CRLF), and len + 1, the earliest place
			 * the line could end. */
			sc->seek = len;
			end = len;
			next = len + 1;
		} else {
			end = (size_t)(lf - buf);
			next = end + 1;
		}
		if (end > sc->line && buf[end - 1] == '\r')
			end--;

		/* Limits come first: they must give the same answer for a
		 * line still arriving as for the whole line. */
		if (!sc->in_fields) {
			if (method_too_long(buf + sc->line, end - sc->line))
				return reject(sc, out, 400);
			if (end - sc->line > REQUEST_LINE_MAX)
				return reject(sc, out, 414);
		}
		if (next > REQUEST_HEAD_MAX)
			return reject(sc, out, 431);
		if (lf == NULL) {
			head_clear(out); /* no slices before the head is whole */
			return -2;
		}

		if (!sc->in_fields) {
			/* Request line, after at most EMPTY_LINES_MAX empty
			 * lines (RFC 9112 2.2). */
			if (end == sc->line) {
				if (sc->empty == EMPTY_LINES_MAX)
					return reject(sc, out, 400);
				sc->empty++;
			} else {
				rc = parse_request_line(buf + sc->line, end - sc->line, out);
				sc->method_id = out->method_id;
				sc->major = out->major;
				sc->minor = out->minor;
				if (rc != 0)
					return reject(sc, out, rc);
				sc->in_fields = 1;
			}
		} else if (end == sc->line) {
			/* The empty line: the head is complete. */
			if (!fresh) {
				memset(sc, 0, sizeof(*sc));
				return head_build(buf, next, out);
			}
			out->nfields = sc->nfields;
			memset(sc, 0, sizeof(*sc));
			if ((rc = check_fields(out)) != 0) {
				out->status = rc;
				return -1;
			}
			return (int)next;
		} else {
			struct header_field f;

			if (sc->nfields == REQUEST_FIELDS_MAX)
				return reject(sc, out, 431);
			rc = parse_field(buf + sc->line, end - sc->line,
					 fresh ? &out->fields[sc->nfields] : &f);
			if (rc != 0)
				return reject(sc, out, rc);
			sc->nfields++;
		}
		sc->line = sc->seek = next;
	}
}

int request_parse(const char *buf, size_t len, struct request_head *out)
{
	struct request_scan sc;

	memset(&sc, 0, sizeof(sc));
	return request_parse_resume(&sc, buf, len, out);
}

const struct header_field *request_field(const struct request_head *h,
					 const char *name)
{
	for (size_t i = 0; i < h->nfields; i++)
		if (slice_ieq(h->fields[i].name, name))
			return &h->fields[i];
	return NULL;
}
