/* Unit tests for src/chunked.c. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chunked.h"

#define FAILS (-1)
#define MORE (-2)
#define DONE 0

struct ccase {
	int line;
	const char *in;
	size_t len;
	int end;            /* DONE, FAILS or MORE */
	const char *body;   /* decoded body (DONE and MORE) */
	size_t body_len;
	const char *rest;   /* bytes after the body (DONE) */
	size_t rest_len;
};

#define OK(in, body, rest) \
	{ __LINE__, in rest, sizeof(in rest) - 1, DONE, body, sizeof(body) - 1, \
	  rest, sizeof(rest) - 1 }
#define PART(in, body) \
	{ __LINE__, in, sizeof(in) - 1, MORE, body, sizeof(body) - 1, "", 0 }
#define BAD(in) { __LINE__, in, sizeof(in) - 1, FAILS, "", 0, "", 0 }

static const struct ccase cases[] = {
	/* plain bodies */
	OK("0\r\n\r\n", "", ""),
	OK("5\r\nhello\r\n0\r\n\r\n", "hello", ""),
	OK("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", ""),
	OK("1\r\n\0\r\n2\r\n\r\n\r\n0\r\n\r\n", "\0\r\n", ""),
	OK("a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n",
	   "0123456789abcdefghij", ""),
	OK("F\r\n0123456789abcde\r\nf\r\n0123456789abcde\r\n0\r\n\r\n",
	   "0123456789abcde0123456789abcde", ""),
	OK("10\r\n0123456789abcdef\r\n0\r\n\r\n", "0123456789abcdef", ""),
	OK("00005\r\nhello\r\n000\r\n\r\n", "hello", ""),
	OK("0000000000000005\r\nhello\r\n0000000000000000\r\n\r\n", "hello", ""),

	/* what follows the body is left over */
	OK("5\r\nhello\r\n0\r\n\r\n", "hello", "GET / HTTP/1.1\r\n\r\n"),
	OK("0\r\n\r\n", "", "x"),
	OK("0\r\n\r\n", "", "\r\n"),
	OK("3\r\nabc\r\n0\r\nT: v\r\n\r\n", "abc", "0\r\n\r\n"),

	/* chunk extensions (RFC 9112 7.1.1):
	 *   chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ),
	 *   name a token, value a token or a quoted-string */
	OK("5;foo=bar\r\nhello\r\n0;last\r\n\r\n", "hello", ""),
	OK("5 ;foo\r\nhello\r\n0\t;a\r\n\r\n", "hello", ""),
	OK("5\t \t;a=\"q s;x\"\r\nhello\r\n0\r\n\r\n", "hello", ""),
	OK("5;a=b;c;d = e ; f\r\nhello\r\n0\r\n\r\n", "hello", ""),
	OK("5; a\r\nhello\r\n0\r\n\r\n", "hello", ""),                 /* BWS after ";" */
	OK("5;a;b\r\nhello\r\n0\r\n\r\n", "hello", ""),                /* name, ";" */
	OK("5;a ;b\r\nhello\r\n0\r\n\r\n", "hello", ""),               /* name, BWS ";" */
	OK("5;a \t=\t b\r\nhello\r\n0\r\n\r\n", "hello", ""),         /* BWS "=" BWS */
	OK("5;a=b;c=d\r\nhello\r\n0\r\n\r\n", "hello", ""),            /* token value, ";" */
	OK("5;a=b \t;c\r\nhello\r\n0\r\n\r\n", "hello", ""),          /* token value, BWS ";" */
	OK("5;!#$%&'*+-.^_`|~09azAZ=!#$%&'*+-.^_`|~09azAZ\r\nhello\r\n0\r\n\r\n",
	   "hello", ""),
	OK("5;a=\"\"\r\nhello\r\n0\r\n\r\n", "hello", ""),           /* empty quoted */
	OK("5;a=\"x\";b\r\nhello\r\n0\r\n\r\n", "hello", ""),        /* quoted, ";" */
	OK("5;a=\"x\" ;b\r\nhello\r\n0\r\n\r\n", "hello", ""),       /* quoted, BWS ";" */
	OK("5;a=\" \t!#[]~;=,\x80\xff\"\r\nhello\r\n0\r\n\r\n", "hello", ""), /* qdtext */
	OK("5;a=\"\\\"\\\\\\ \\\t\\a\\\x80\"\r\nhello\r\n0\r\n\r\n", "hello", ""), /* quoted-pair */
	OK("0;a=\"b\"\r\n\r\n", "", ""),                                 /* last-chunk too */
	PART("5;a=\"x", ""),
	PART("5;a=\"x\\", ""),
	PART("5 ", ""),
	PART("5;", ""),
	PART("5;a ", ""),
	PART("5;a=", ""),

	/* trailers */
	OK("0\r\nX-Foo: bar\r\n\r\n", "", ""),
	OK("5\r\nhello\r\n0\r\nX-Foo: bar\r\nY: z\r\n\r\n", "hello", ""),
	OK("0\r\nX:\r\n\r\n", "", ""),
	OK("0\r\nX: a\tb \x80\r\n\r\n", "", "rest"),
	OK("0\r\nX:a:b\r\n\r\n", "", ""),

	/* incomplete */
	PART("", ""),
	PART("5", ""),
	PART("5\r", ""),
	PART("5\r\n", ""),
	PART("5\r\nhel", "hel"),
	PART("5\r\nhello", "hello"),
	PART("5\r\nhello\r", "hello"),
	PART("5\r\nhello\r\n", "hello"),
	PART("5\r\nhello\r\n0", "hello"),
	PART("5\r\nhello\r\n0\r\n", "hello"),
	PART("5\r\nhello\r\n0\r\n\r", "hello"),
	PART("5\r\nhello\r\n0\r\nX: y\r\n", "hello"),
	PART("5;ext", ""),
	PART("7fffffffffffffff\r\n", ""),
	PART("7FFFFFFFFFFFFFFF\r\nabc", "abc"),

	/* bad sizes */
	BAD("\r\n"),
	BAD("\r\nhello\r\n0\r\n\r\n"),
	BAD(";ext\r\n"),
	BAD("+5\r\nhello\r\n0\r\n\r\n"),
	BAD("-5\r\nhello\r\n0\r\n\r\n"),
	BAD("0x5\r\nhello\r\n0\r\n\r\n"),
	BAD(" 5\r\nhello\r\n0\r\n\r\n"),
	BAD("\t5\r\n"),
	BAD("g\r\n"),
	BAD("5g\r\n"),
	BAD("5 5\r\nhello\r\n"),
	BAD("5 x\r\nhello\r\n"),
	BAD("5,\r\nhello\r\n"),
	BAD("00000000000000005\r\nhello\r\n0\r\n\r\n"),
	BAD("10000000000000000\r\n"),
	BAD("8000000000000000\r\n"),
	BAD("ffffffffffffffff\r\n"),
	BAD("FFFFFFFFFFFFFFFFFFFF\r\n"),

	/* line ends: CRLF only */
	BAD("5\nhello\r\n0\r\n\r\n"),
	BAD("5\r\r\nhello\r\n0\r\n\r\n"),
	BAD("5\rhello\r\n0\r\n\r\n"),
	BAD("5;a\nhello\r\n"),
	BAD("5\r\nhello\n0\r\n\r\n"),
	BAD("5\r\nhello\r0\r\n\r\n"),
	BAD("5\r\nhelloX\r\n0\r\n\r\n"),
	BAD("5\r\nhello0\r\n\r\n"),
	BAD("5\r\nhello\r\n0\n\r\n"),
	BAD("0\r\n\n"),
	BAD("0\r\n\r\r"),
	BAD("0\r\n\rx"),
	BAD("5\r\nhello\r\n\r\n"),

	/* extensions off the grammar */
	BAD("5 \r\nhello\r\n0\r\n\r\n"),        /* BWS, then no ";" */
	BAD("5\t\r\nhello\r\n0\r\n\r\n"),
	BAD("5;\r\nhello\r\n0\r\n\r\n"),        /* empty name */
	BAD("5; \r\nhello\r\n0\r\n\r\n"),
	BAD("5;a;\r\nhello\r\n0\r\n\r\n"),
	BAD("5;;a\r\nhello\r\n0\r\n\r\n"),
	BAD("5;=x\r\nhello\r\n0\r\n\r\n"),
	BAD("5;\"x\"\r\nhello\r\n0\r\n\r\n"),
	BAD("5;@\r\nhello\r\n0\r\n\r\n"),
	BAD("5;\x80\xff\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a \r\nhello\r\n0\r\n\r\n"),      /* BWS after a name, then CR */
	BAD("5;a b\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a@b\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a\x80\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a=\r\nhello\r\n0\r\n\r\n"),      /* no value */
	BAD("5;a= \r\nhello\r\n0\r\n\r\n"),
	BAD("5;a=;b\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a==b\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a=@\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a=\x80\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a=b \r\nhello\r\n0\r\n\r\n"),    /* BWS after a value, then CR */
	BAD("5;a=b c\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a=b=c\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a=b@\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a=b\"c\"\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a=\"x\r\nhello\r\n0\r\n\r\n"),   /* unterminated quoted-string */
	BAD("5;a=\"x\\\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a=\"x\nhello\"\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a=\"x\x7f\"\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a=\"x\x01\"\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a=\"\\\x7f\"\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a=\"x\"y\r\nhello\r\n0\r\n\r\n"),  /* text after the quote */
	BAD("5;a=\"x\"\"y\"\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a=\"x\" \r\nhello\r\n0\r\n\r\n"),
	BAD("0;\r\n\r\n"),

	/* extensions with control characters */
	BAD("5;a\x01\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a\x7f\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a\0\r\nhello\r\n0\r\n\r\n"),
	BAD("5;a\rb\r\nhello\r\n"),

	/* bad trailers */
	BAD("0\r\nX: a\n\r\n"),
	BAD("0\r\n foo: bar\r\n\r\n"),
	BAD("0\r\n\tfoo: bar\r\n\r\n"),
	BAD("0\r\nX: a\r\n b\r\n\r\n"),
	BAD("0\r\nNoColon\r\n\r\n"),
	BAD("0\r\n: v\r\n\r\n"),
	BAD("0\r\nX : v\r\n\r\n"),
	BAD("0\r\nX: a\x01\r\n\r\n"),
	BAD("0\r\nX: a\x7f\r\n\r\n"),
	BAD("0\r\nX: a\rb\r\n\r\n"),
	BAD("0\r\nX\0: a\r\n\r\n"),
};

struct result {
	int end;        /* DONE, FAILS, MORE */
	char *body;
	size_t body_len;
	char *rest;
	size_t rest_len;
	uint64_t total;
};

static void result_free(struct result *r)
{
	free(r->body);
	free(r->rest);
}

/* Feeds in[0..len) cut at cuts[0..ncuts) (ascending), each piece in a heap
 * block of its exact size.  Bytes left over at the end, and the pieces
 * never fed once the body ended, make up r->rest. */
static void feed(const char *in, size_t len, const size_t *cuts, size_t ncuts,
		 struct result *r)
{
	struct chunked st;
	size_t from = 0;

	memset(&st, 0, sizeof(st));
	memset(r, 0, sizeof(*r));
	r->body = malloc(len + 1);
	r->rest = malloc(len + 1);
	assert_non_null(r->body);
	assert_non_null(r->rest);
	r->end = MORE;
	for (size_t i = 0; i <= ncuts && r->end == MORE; i++) {
		size_t to = i < ncuts ? cuts[i] : len;
		size_t n = to - from;
		char *piece = malloc(n ? n : 1);
		ssize_t rc;

		assert_non_null(piece);
		memcpy(piece, in + from, n);
		rc = chunked_decode(&st, piece, &n);
		assert_true(n <= to - from);
		memcpy(r->body + r->body_len, piece, n);
		r->body_len += n;
		if (rc == -1) {
			r->end = FAILS;
			assert_int_equal(st.state, CHUNKED_FAILED);
		} else if (rc >= 0) {
			assert_int_equal(st.state, CHUNKED_DONE);
			assert_true(n + (size_t)rc <= to - from);
			r->end = DONE;
			memcpy(r->rest, piece + n, (size_t)rc);
			memcpy(r->rest + rc, in + to, len - to);
			r->rest_len = (size_t)rc + len - to;
		} else {
			assert_int_equal(rc, -2);
		}
		free(piece);
		from = to;
	}
	r->total = st.total;
	/* DONE and FAILED stay put. */
	if (r->end != MORE) {
		char more[3] = "0\r\n";
		size_t n = sizeof(more);
		ssize_t rc = chunked_decode(&st, more, &n);

		if (r->end == FAILS) {
			assert_int_equal(rc, -1);
		} else {
			assert_int_equal(rc, 3);
			assert_int_equal(n, 0);
			assert_memory_equal(more, "0\r\n", 3);
		}
		assert_true(st.total == r->total);
	}
}

static void check(const struct ccase *c, const struct result *r, const char *how,
		  size_t at)
{
	if (r->end != c->end ||
	    (c->end != FAILS && (r->body_len != c->body_len ||
				 memcmp(r->body, c->body, c->body_len) != 0)) ||
	    (c->end == DONE && (r->rest_len != c->rest_len ||
				memcmp(r->rest, c->rest, c->rest_len) != 0)) ||
	    (c->end != FAILS && r->total != c->body_len)) {
		print_error("line %d (%s %zu): end %d body %zu rest %zu total %llu\n",
			    c->line, how, at, r->end, r->body_len, r->rest_len,
			    (unsigned long long)r->total);
		fail();
	}
}

static void test_table(void **state)
{
	size_t *cuts;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ccase *c = &cases[i];
		struct result r;

		/* all at once */
		feed(c->in, c->len, NULL, 0, &r);
		check(c, &r, "whole", 0);
		result_free(&r);

		/* every two-part split */
		for (size_t k = 0; k <= c->len; k++) {
			feed(c->in, c->len, &k, 1, &r);
			check(c, &r, "split", k);
			result_free(&r);
		}

		/* byte by byte */
		cuts = malloc((c->len + 2) * sizeof(*cuts));
		assert_non_null(cuts);
		for (size_t k = 0; k < c->len; k++)
			cuts[k] = k + 1;
		feed(c->in, c->len, cuts, c->len, &r);
		check(c, &r, "bytewise", 0);
		result_free(&r);

		/* every three-part split for short inputs */
		if (c->len <= 40) {
			for (size_t a = 0; a <= c->len; a++) {
				for (size_t b = a; b <= c->len; b++) {
					cuts[0] = a;
					cuts[1] = b;
					feed(c->in, c->len, cuts, 2, &r);
					check(c, &r, "three-way", a * 1000 + b);
					result_free(&r);
				}
			}
		}
		free(cuts);
	}
}

/* Decoding in place compacts the output to the front of the buffer. */
static void test_in_place(void **state)
{
	char buf[] = "3\r\nabc\r\n2;x\r\nde\r\n0\r\nT: 1\r\n\r\nNEXT";
	size_t n = sizeof(buf) - 1;
	struct chunked st;
	ssize_t rc;

	(void)state;
	memset(&st, 0, sizeof(st));
	rc = chunked_decode(&st, buf, &n);
	assert_int_equal(rc, 4);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "abcdeNEXT", 9);
	assert_int_equal(st.total, 5);
	assert_int_equal(st.state, CHUNKED_DONE);
}

static void test_size_line_limit(void **state)
{
	char *p = malloc(CHUNKED_LINE_MAX + 64);
	struct chunked st;
	size_t n;

	(void)state;
	/* "5;" + extension: exactly CHUNKED_LINE_MAX bytes before CRLF */
	memcpy(p, "5;", 2);
	memset(p + 2, 'e', CHUNKED_LINE_MAX - 2);
	memcpy(p + CHUNKED_LINE_MAX, "\r\nhello\r\n0\r\n\r\n", 14);
	n = CHUNKED_LINE_MAX + 14;
	memset(&st, 0, sizeof(st));
	assert_int_equal(chunked_decode(&st, p, &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(p, "hello", 5);

	/* one more byte */
	memcpy(p, "5;", 2);
	memset(p + 2, 'e', CHUNKED_LINE_MAX - 1);
	memcpy(p + CHUNKED_LINE_MAX + 1, "\r\nhello\r\n0\r\n\r\n", 14);
	n = CHUNKED_LINE_MAX + 1;
	memset(&st, 0, sizeof(st));
	assert_int_equal(chunked_decode(&st, p, &n), -1);

	/* zeros count too */
	memset(p, '0', CHUNKED_LINE_MAX + 1);
	n = CHUNKED_LINE_MAX + 1;
	memset(&st, 0, sizeof(st));
	assert_int_equal(chunked_decode(&st, p, &n), -1);
	free(p);
}

static void test_trailer_limit(void **state)
{
	size_t cap = CHUNKED_TRAILER_MAX + 64, n, v;
	char *p = malloc(cap);
	struct chunked st;

	(void)state;
	/* trailer section of exactly CHUNKED_TRAILER_MAX bytes: "X: v..\r\n\r\n" */
	v = CHUNKED_TRAILER_MAX - 7;
	memcpy(p, "0\r\nX: ", 6);
	memset(p + 6, 'v', v);
	memcpy(p + 6 + v, "\r\n\r\n", 4);
	n = 10 + v;
	memset(&st, 0, sizeof(st));
	assert_int_equal(chunked_decode(&st, p, &n), 0);
	assert_int_equal(n, 0);

	v++;
	memcpy(p, "0\r\nX: ", 6);
	memset(p + 6, 'v', v);
	memcpy(p + 6 + v, "\r\n\r\n", 4);
	n = 10 + v;
	memset(&st, 0, sizeof(st));
	assert_int_equal(chunked_decode(&st, p, &n), -1);

	/* many small fields */
	n = (size_t)sprintf(p, "0\r\n");
	while (n + 20 < cap)
		n += (size_t)sprintf(p + n, "T: %010d\r\n", 1);
	memset(&st, 0, sizeof(st));
	assert_int_equal(chunked_decode(&st, p, &n), -1);
	free(p);
}

/* The body total is kept within 2^63 - 1 bytes. */
static void test_total_overflow(void **state)
{
	char buf[16];
	struct chunked st;
	size_t n;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.total = UINT64_C(0x7ffffffffffffff0);
	memcpy(buf, "f\r\n", 3);
	n = 3;
	assert_int_equal(chunked_decode(&st, buf, &n), -2);

	memset(&st, 0, sizeof(st));
	st.total = UINT64_C(0x7ffffffffffffff0);
	memcpy(buf, "10\r\n", 4);
	n = 4;
	assert_int_equal(chunked_decode(&st, buf, &n), -1);
}

/* total is the sum of the chunk sizes, also for large chunks fed in
 * pieces. */
static void test_total(void **state)
{
	size_t cap = 70000, n = 0, want = 0;
	char *in = malloc(cap), *body = malloc(cap);
	size_t sizes[] = { 1, 15, 16, 255, 4096, 4097, 30000 };
	size_t steps[] = { 1, 7, 1000, 65536 };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n += (size_t)sprintf(in + n, "%zx\r\n", sizes[i]);
		for (size_t k = 0; k < sizes[i]; k++)
			body[want++] = in[n++] = (char)('a' + (k + i) % 26);
		memcpy(in + n, "\r\n", 2);
		n += 2;
	}
	n += (size_t)sprintf(in + n, "0\r\n\r\n");

	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		struct chunked st;
		char *out = malloc(cap);
		size_t got = 0;
		ssize_t rc = -2;

		memset(&st, 0, sizeof(st));
		for (size_t at = 0; at < n && rc == -2; at += steps[s]) {
			size_t len = n - at < steps[s] ? n - at : steps[s];
			char *piece = malloc(len);

			memcpy(piece, in + at, len);
			rc = chunked_decode(&st, piece, &len);
			memcpy(out + got, piece, len);
			got += len;
			free(piece);
		}
		assert_int_equal(rc, 0);
		assert_int_equal(got, want);
		assert_int_equal(st.total, want);
		assert_memory_equal(out, body, want);
		free(out);
	}
	free(in);
	free(body);
}

static int same(const struct result *a, const struct result *b)
{
	return a->end == b->end && a->total == b->total &&
	       (a->end == FAILS || (a->body_len == b->body_len &&
				    memcmp(a->body, b->body, a->body_len) == 0)) &&
	       (a->end != DONE || (a->rest_len == b->rest_len &&
				   memcmp(a->rest, b->rest, a->rest_len) == 0));
}

/* Random edits of the table inputs: whole, byte by byte and every split
 * still agree. */
static void test_mutations(void **state)
{
	static const char alphabet[] = "\r\n0a;:= \tFx\x01";
	uint32_t seed = 4242;
	char buf[256];
	size_t cuts[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int m = 0; m < 20; m++) {
			size_t n = cases[i].len;
			struct result whole, r;

			if (n == 0 || n + 4 > sizeof(buf))
				continue;
			memcpy(buf, cases[i].in, n);
			for (int e = 0; e < 1 + m % 3; e++) {
				size_t at;
				char c;

				seed = seed * 1103515245u + 12345u;
				at = (seed >> 8) % n;
				c = alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
				if (seed & 1) {
					buf[at] = c;
				} else {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = c;
					n++;
				}
			}
			feed(buf, n, NULL, 0, &whole);
			for (size_t k = 0; k < n; k++)
				cuts[k] = k + 1;
			feed(buf, n, cuts, n, &r);
			if (!same(&whole, &r)) {
				print_error("line %d: mutation %d differs byte by byte\n",
					    cases[i].line, m);
				fail();
			}
			result_free(&r);
			for (size_t k = 0; k <= n; k++) {
				feed(buf, n, &k, 1, &r);
				if (!same(&whole, &r)) {
					print_error("line %d: mutation %d differs split at %zu\n",
						    cases[i].line, m, k);
					fail();
				}
				result_free(&r);
			}
			result_free(&whole);
		}
	}
}

/* The pending size of a chunk is known once its size line is complete. */
static void test_pending(void **state)
{
	static const struct {
		int line;
		const char *in;
		uint64_t pending;
	} t[] = {
		{ __LINE__, "", 0 },
		{ __LINE__, "10", 0 },
		{ __LINE__, "10\r", 0 },
		{ __LINE__, "10\r\n", 16 },
		{ __LINE__, "10;a=b\r\n", 16 },
		{ __LINE__, "10\r\nabc", 13 },
		{ __LINE__, "10\r\n0123456789abcdef", 0 },
		{ __LINE__, "1\r\na\r\n7fffffffffffffff\r\n", 0 }, /* total would overflow */
		{ __LINE__, "7ffffffffffffffe\r\n", UINT64_C(0x7ffffffffffffffe) },
		{ __LINE__, "0\r\n", 0 },
		{ __LINE__, "0\r\n\r\n", 0 },
		{ __LINE__, "5;\r\n", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* whole and byte by byte */
		for (int bytewise = 0; bytewise < 2; bytewise++) {
			size_t len = strlen(t[i].in), step = bytewise ? 1 : len;
			struct chunked st;

			memset(&st, 0, sizeof(st));
			for (size_t at = 0; at < len; at += step) {
				char piece[64];
				size_t n = len - at < step ? len - at : step;

				memcpy(piece, t[i].in + at, n);
				(void)chunked_decode(&st, piece, &n);
			}
			if (chunked_pending(&st) != t[i].pending) {
				print_error("line %d: pending %llu\n", t[i].line,
					    (unsigned long long)chunked_pending(&st));
				fail();
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_in_place),
		cmocka_unit_test(test_size_line_limit),
		cmocka_unit_test(test_trailer_limit),
		cmocka_unit_test(test_total_overflow),
		cmocka_unit_test(test_total),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
