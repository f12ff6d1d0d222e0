#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cgi_head.h"

/* Inputs are parsed from heap copies of exact size so that ASan traps
 * any read past the end. */
static int parse_exact(const char *p, size_t n, struct cgi_head *h)
{
	char *d = malloc(n ? n : 1);
	int r;

	assert_non_null(d);
	if (n)
		memcpy(d, p, n);
	r = cgi_head_parse(d, n, h);
	/* Slices must point into the input; re-anchor them for the caller
	 * before the copy goes away. */
	if (r > 0) {
		struct slice *s[] = { &h->reason, &h->content_type, &h->location };

		for (size_t i = 0; i < 3; i++)
			if (s[i]->len) {
				assert_true(s[i]->p >= d && s[i]->p + s[i]->len <= d + r);
				s[i]->p = p + (s[i]->p - d);
			}
		for (size_t i = 0; i < h->nfields; i++) {
			struct cgi_field *f = &h->fields[i];

			assert_true(f->name.p >= d && f->name.p + f->name.len <= d + r);
			f->name.p = p + (f->name.p - d);
			if (f->value.len) {
				assert_true(f->value.p >= d && f->value.p + f->value.len <= d + r);
				f->value.p = p + (f->value.p - d);
			}
		}
	}
	free(d);
	return r;
}

/* "name=value|" for every kept field. */
static void fields_str(const struct cgi_head *h, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < h->nfields; i++) {
		int w = snprintf(out + n, cap - n, "%.*s=%.*s|",
				 (int)h->fields[i].name.len, h->fields[i].name.p,
				 (int)h->fields[i].value.len, h->fields[i].value.p);

		assert_true(w >= 0 && (size_t)w < cap - n);
		n += (size_t)w;
	}
}

static void assert_slice(struct slice s, const char *want, int line, const char *what)
{
	if (!slice_eq(s, want))
		fail_msg("line %d: %s '%.*s', want '%s'", line, what,
			 (int)s.len, s.p ? s.p : "", want);
}

struct cgi_case {
	int line;
	const char *head;   /* the header section (or the malformed input) */
	const char *rest;   /* bytes after it (body) */
	int ret;            /* 0: expect strlen(head); else -1 */
	int status;
	const char *reason;
	const char *ctype;
	const char *location;
	int has_cl;
	unsigned long long cl;
	const char *fields;
	enum cgi_kind kind;
};

#define DOC CGI_DOCUMENT
#define LOCAL CGI_LOCAL_REDIRECT
#define CLIENT CGI_CLIENT_REDIRECT

static const struct cgi_case cases[] = {
	/* Documents, LF and CRLF. */
	{ __LINE__, "Content-Type: text/html\n\n", "<p>hi</p>", 0,
	  0, "", "text/html", "", 0, 0, "", DOC },
	{ __LINE__, "Content-Type: text/html\r\n\r\n", "<p>hi</p>", 0,
	  0, "", "text/html", "", 0, 0, "", DOC },
	{ __LINE__, "Content-Type: text/html\r\n\n", "", 0,
	  0, "", "text/html", "", 0, 0, "", DOC },
	{ __LINE__, "Content-Type: text/html\n\r\n", "x\r\n\r\n", 0,
	  0, "", "text/html", "", 0, 0, "", DOC },
	{ __LINE__, "content-type:text/plain; charset=utf-8\n\n", "", 0,
	  0, "", "text/plain; charset=utf-8", "", 0, 0, "", DOC },
	{ __LINE__, "CONTENT-TYPE: \t a/b \t \r\n\r\n", "", 0,
	  0, "", "a/b", "", 0, 0, "", DOC },
	{ __LINE__, "Content-Type: text/html\nSet-Cookie: a=1\nX-Thing: y\r\nSet-Cookie: b=2; Path=/\n\n", "body", 0,
	  0, "", "text/html", "", 0, 0, "Set-Cookie=a=1|X-Thing=y|Set-Cookie=b=2; Path=/|", DOC },
	{ __LINE__, "X-Empty:\nContent-Type: a/b\nX-Sp:   \n\n", "", 0,
	  0, "", "a/b", "", 0, 0, "X-Empty=|X-Sp=|", DOC },
	{ __LINE__, "Content-Type: a/b\nContent-Length: 42\n\n", "", 0,
	  0, "", "a/b", "", 1, 42, "Content-Length=42|", DOC },
	{ __LINE__, "Content-Type: a/b\ncontent-length: 0\n\n", "", 0,
	  0, "", "a/b", "", 1, 0, "content-length=0|", DOC },
	{ __LINE__, "Content-Type: a/b\nContent-Length: 18446744073709551615\n\n", "", 0,
	  0, "", "a/b", "", 1, 18446744073709551615ULL, "Content-Length=18446744073709551615|", DOC },
	{ __LINE__, "Content-Type: a/b\nX: caf\xc3\xa9\n\n", "", 0,
	  0, "", "a/b", "", 0, 0, "X=caf\xc3\xa9|", DOC },
	{ __LINE__, "Content-Type: a/b\nX: a:b:c\n\n", "", 0,
	  0, "", "a/b", "", 0, 0, "X=a:b:c|", DOC },
	/* Status forms. */
	{ __LINE__, "Status: 404 Not Found\nContent-Type: text/plain\n\n", "nope", 0,
	  404, "Not Found", "text/plain", "", 0, 0, "", DOC },
	{ __LINE__, "Status: 204\n\n", "", 0,
	  204, "", "", "", 0, 0, "", DOC },
	{ __LINE__, "status:200 OK\r\n\r\n", "", 0,
	  200, "OK", "", "", 0, 0, "", DOC },
	{ __LINE__, "Status: 100 Continue-ish\n\n", "", 0,
	  100, "Continue-ish", "", "", 0, 0, "", DOC },
	{ __LINE__, "Status: 599  Odd \t reason  \n\n", "", 0,
	  599, "Odd \t reason", "", "", 0, 0, "", DOC },
	{ __LINE__, "Status: 500\tBroken\n\n", "", 0,
	  500, "Broken", "", "", 0, 0, "", DOC },
	/* Location kinds. */
	{ __LINE__, "Location: /other/page?x=1\n\n", "", 0,
	  0, "", "", "/other/page?x=1", 0, 0, "", LOCAL },
	{ __LINE__, "Location: /\r\n\r\n", "", 0,
	  0, "", "", "/", 0, 0, "", LOCAL },
	{ __LINE__, "Location: /x\nContent-Type: text/html\n\n", "", 0,
	  0, "", "text/html", "/x", 0, 0, "", LOCAL },
	{ __LINE__, "Status: 303 See Other\nLocation: /x\n\n", "", 0,
	  303, "See Other", "", "/x", 0, 0, "", DOC },
	{ __LINE__, "Location: //evil.example/x\n\n", "", 0,
	  0, "", "", "//evil.example/x", 0, 0, "", DOC },
	{ __LINE__, "Location: http://example.com/\n\n", "", 0,
	  0, "", "", "http://example.com/", 0, 0, "", CLIENT },
	{ __LINE__, "Location: HTTPS://example.com/a\nSet-Cookie: s=1\n\n", "", 0,
	  0, "", "", "HTTPS://example.com/a", 0, 0, "Set-Cookie=s=1|", CLIENT },
	{ __LINE__, "Location: svn+ssh.x-y://h/\n\n", "", 0,
	  0, "", "", "svn+ssh.x-y://h/", 0, 0, "", CLIENT },
	{ __LINE__, "Status: 301 Moved\nLocation: http://e.com/\n\n", "", 0,
	  301, "Moved", "", "http://e.com/", 0, 0, "", CLIENT },
	{ __LINE__, "Location: relative/path\n\n", "", 0,
	  0, "", "", "relative/path", 0, 0, "", DOC },
	{ __LINE__, "Location: 1http://x/\n\n", "", 0,
	  0, "", "", "1http://x/", 0, 0, "", DOC },
	{ __LINE__, "Location: a/b:c\n\n", "", 0,
	  0, "", "", "a/b:c", 0, 0, "", DOC },
	/* Malformed. */
	{ __LINE__, "\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "\r\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "X-Only: 1\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Content-Length: 3\n\n", "abc", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Content-Type text/html\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Content-Type: a/b\ngarbage\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Content-Type : a/b\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, ": a/b\nContent-Type: a/b\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Content-Type: a/b\n folded\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Bad Name: x\nContent-Type: a/b\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Content-Type: a\rb\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Content-Type: a/b\r\r\n\r\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Content-Type: a/b\nX: \x01\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Content-Type: a/b\nX: \x7f\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Content-Type:\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Location: \n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Status:\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Status: 20\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Status: 2000\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Status: 200OK\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Status: 099 Low\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Status: 600 High\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Status: OK 200\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Status: -20 x\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Status: 200 OK\nStatus: 200 OK\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Content-Type: a/b\ncontent-type: a/b\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Location: /a\nLOCATION: /b\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Content-Type: a/b\nContent-Length: 1\nContent-Length: 1\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Content-Type: a/b\nContent-Length: -1\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Content-Type: a/b\nContent-Length: +1\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Content-Type: a/b\nContent-Length: 1 2\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Content-Type: a/b\nContent-Length: 0x10\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Content-Type: a/b\nContent-Length:\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	{ __LINE__, "Content-Type: a/b\nContent-Length: 18446744073709551616\n\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
	/* A bad line is refused as soon as it is complete. */
	{ __LINE__, "Content-Type: a/b\nno colon here\n", "", -1, 0, NULL, NULL, NULL, 0, 0, NULL, DOC },
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cgi_case *c = &cases[i];
		size_t hlen = strlen(c->head), rlen = strlen(c->rest);
		char *in = malloc(hlen + rlen + 1);
		struct cgi_head *h = malloc(sizeof(*h));
		char fs[2048];
		int want = c->ret == 0 ? (int)hlen : c->ret;
		int r;

		assert_non_null(in);
		assert_non_null(h);
		memcpy(in, c->head, hlen);
		memcpy(in + hlen, c->rest, rlen + 1);
		r = parse_exact(in, hlen + rlen, h);
		if (r != want)
			fail_msg("line %d: ret %d, want %d", c->line, r, want);
		if (r > 0) {
			if (h->status != c->status)
				fail_msg("line %d: status %d, want %d", c->line,
					 h->status, c->status);
			assert_slice(h->reason, c->reason, c->line, "reason");
			assert_slice(h->content_type, c->ctype, c->line, "content type");
			assert_slice(h->location, c->location, c->line, "location");
			if (h->has_content_length != c->has_cl ||
			    (c->has_cl && h->content_length != c->cl))
				fail_msg("line %d: content length %d %llu", c->line,
					 h->has_content_length, h->content_length);
			fields_str(h, fs, sizeof(fs));
			if (strcmp(fs, c->fields) != 0)
				fail_msg("line %d: fields '%s', want '%s'", c->line,
					 fs, c->fields);
			if (cgi_head_kind(h) != c->kind)
				fail_msg("line %d: kind %d, want %d", c->line,
					 (int)cgi_head_kind(h), (int)c->kind);
			/* The head alone gives the same length, and every
			 * proper prefix of it is incomplete. */
			if (parse_exact(in, hlen, h) != (int)hlen)
				fail_msg("line %d: head alone", c->line);
			for (size_t k = 0; k < hlen; k++) {
				r = parse_exact(in, k, h);
				if (r != -2)
					fail_msg("line %d: prefix %zu gives %d", c->line, k, r);
			}
		}
		free(in);
		free(h);
	}
}

/* Fills buf with "Content-Type: a/b\n" then "X: ppp...\n" to make a
 * section of exactly total bytes (with the final "\n"), or without the
 * final empty line when open.  Returns the length. */
static size_t make_long(char *buf, size_t total, int open)
{
	static const char pre[] = "Content-Type: a/b\nX: ";
	size_t n = sizeof(pre) - 1;

	memcpy(buf, pre, n);
	/* total = n + pads + "\n\n" */
	memset(buf + n, 'p', total - n - 2);
	n = total - 2;
	buf[n++] = '\n';
	if (!open)
		buf[n++] = '\n';
	return n;
}

static void test_limits(void **state)
{
	char *buf = malloc(CGI_HEAD_MAX + 64);
	struct cgi_head *h = malloc(sizeof(*h));
	size_t n;

	(void)state;
	assert_non_null(buf);
	assert_non_null(h);
	/* Exactly the maximum is fine; one byte more is not, even when the
	 * end has arrived. */
	n = make_long(buf, CGI_HEAD_MAX, 0);
	assert_int_equal(parse_exact(buf, n, h), CGI_HEAD_MAX);
	n = make_long(buf, CGI_HEAD_MAX + 1, 0);
	assert_int_equal(parse_exact(buf, n, h), -1);
	/* Without the end: incomplete below the maximum, an error at it. */
	n = make_long(buf, CGI_HEAD_MAX, 1);
	assert_int_equal(n, CGI_HEAD_MAX - 1);
	assert_int_equal(parse_exact(buf, n, h), -2);
	n = make_long(buf, CGI_HEAD_MAX + 1, 1);
	assert_int_equal(n, CGI_HEAD_MAX);
	assert_int_equal(parse_exact(buf, n, h), -1);
	memset(buf, 'x', CGI_HEAD_MAX + 10);
	assert_int_equal(parse_exact(buf, CGI_HEAD_MAX + 10, h), -1);
	assert_int_equal(parse_exact(buf, CGI_HEAD_MAX - 1, h), -2);
	free(buf);
	free(h);
}

static void test_field_count(void **state)
{
	char *buf = malloc(CGI_HEAD_MAX);
	struct cgi_head *h = malloc(sizeof(*h));

	(void)state;
	assert_non_null(buf);
	assert_non_null(h);
	for (int extra = 0; extra <= 1; extra++) {
		size_t n = 0;

		n += (size_t)sprintf(buf + n, "Status: 200 OK\nContent-Type: a/b\nLocation: /x\n");
		for (int i = 0; i < CGI_FIELDS_MAX + extra; i++)
			n += (size_t)sprintf(buf + n, "Set-Cookie: c%d=%d\n", i, i);
		buf[n++] = '\n';
		if (extra) {
			assert_int_equal(parse_exact(buf, n, h), -1);
		} else {
			assert_int_equal(parse_exact(buf, n, h), (int)n);
			assert_int_equal(h->nfields, CGI_FIELDS_MAX);
			assert_true(slice_eq(h->fields[CGI_FIELDS_MAX - 1].value, "c63=63"));
		}
	}
	free(buf);
	free(h);
}

/* Kinds from hand-made heads (the classifier only reads the struct). */
static void test_kind(void **state)
{
	struct cgi_head h;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(cgi_head_kind(&h), CGI_DOCUMENT);
	h.location = SLICE_LIT("/a");
	assert_int_equal(cgi_head_kind(&h), CGI_LOCAL_REDIRECT);
	h.status = 200;
	assert_int_equal(cgi_head_kind(&h), CGI_DOCUMENT);
	h.location = SLICE_LIT("ftp://x");
	assert_int_equal(cgi_head_kind(&h), CGI_CLIENT_REDIRECT);
	h.status = 0;
	assert_int_equal(cgi_head_kind(&h), CGI_CLIENT_REDIRECT);
	h.location = SLICE_LIT("x:");
	assert_int_equal(cgi_head_kind(&h), CGI_CLIENT_REDIRECT);
	h.location = SLICE_LIT(":x");
	assert_int_equal(cgi_head_kind(&h), CGI_DOCUMENT);
	h.location = SLICE_LIT("abc");
	assert_int_equal(cgi_head_kind(&h), CGI_DOCUMENT);
	h.location = SLICE_LIT("?q:1");
	assert_int_equal(cgi_head_kind(&h), CGI_DOCUMENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_field_count),
		cmocka_unit_test(test_kind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
