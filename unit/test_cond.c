/* Unit tests for src/cond.c: entity tags, RFC 9110 13.2.2 precondition
 * order, If-Range. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cond.h"

#define MTIME 1700000000                 /* Tue, 14 Nov 2023 22:13:20 GMT */
#define NOW (MTIME + 3600)
#define TAG "\"6553f100-a\""             /* cond_etag(MTIME, 10) */
#define LM "Tue, 14 Nov 2023 22:13:20 GMT"
#define LATER "Tue, 14 Nov 2023 23:13:20 GMT"  /* == NOW */
#define EARLIER "Tue, 14 Nov 2023 21:13:20 GMT"
#define FUTURE "Wed, 15 Nov 2023 22:13:20 GMT" /* after NOW */

static const struct ccase {
	int line;
	const char *method;
	const char *fields; /* header lines, each ending in CRLF */
	int exists;
	int want;
} cases[] = {
#define C(m, f, e, w) { __LINE__, m, f, e, w }
	C("GET", "", 1, 0),
	C("GET", "", 0, 0),
	/* If-Match (strong comparison) */
	C("PUT", "If-Match: " TAG "\r\n", 1, 0),
	C("PUT", "If-Match: \"x\", " TAG "\r\n", 1, 0),
	C("PUT", "If-Match: \"x\"\r\n", 1, 412),
	C("PUT", "If-Match: W/" TAG "\r\n", 1, 412),
	C("PUT", "If-Match: *\r\n", 1, 0),
	C("PUT", "If-Match: *\r\n", 0, 412),
	C("PUT", "If-Match: " TAG "\r\n", 0, 412),
	C("DELETE", "If-Match: \"x\"\r\nIf-Match: " TAG "\r\n", 1, 0),
	/* If-Unmodified-Since, only without If-Match */
	C("PUT", "If-Unmodified-Since: " LM "\r\n", 1, 0),
	C("PUT", "If-Unmodified-Since: " EARLIER "\r\n", 1, 412),
	C("PUT", "If-Unmodified-Since: " EARLIER "\r\n", 0, 0),
	C("PUT", "If-Match: " TAG "\r\nIf-Unmodified-Since: " EARLIER "\r\n", 1, 0),
	C("PUT", "If-Unmodified-Since: garbage\r\n", 1, 0),
	/* If-None-Match (weak comparison) */
	C("GET", "If-None-Match: " TAG "\r\n", 1, 304),
	C("HEAD", "If-None-Match: W/" TAG "\r\n", 1, 304),
	C("GET", "If-None-Match:  \"a\" ,\t" TAG " \r\n", 1, 304),
	C("GET", "If-None-Match: \"a\"\r\n", 1, 0),
	C("GET", "If-None-Match: *\r\n", 1, 304),
	C("GET", "If-None-Match: *\r\n", 0, 0),
	C("PUT", "If-None-Match: *\r\n", 1, 412),
	C("PUT", "If-None-Match: *\r\n", 0, 0),
	C("DELETE", "If-None-Match: " TAG "\r\n", 1, 412),
	/* If-Modified-Since, only without If-None-Match, GET/HEAD only */
	C("GET", "If-Modified-Since: " LM "\r\n", 1, 304),
	C("GET", "If-Modified-Since: " LATER "\r\n", 1, 304),
	C("GET", "If-Modified-Since: " EARLIER "\r\n", 1, 0),
	C("GET", "If-Modified-Since: " FUTURE "\r\n", 1, 0),
	C("GET", "If-Modified-Since: Tuesday, 14-Nov-23 22:13:20 GMT\r\n", 1, 304),
	C("GET", "If-Modified-Since: Tue Nov 14 22:13:20 2023\r\n", 1, 304),
	C("GET", "If-Modified-Since: " LM "\r\n", 0, 0),
	C("PUT", "If-Modified-Since: " LM "\r\n", 1, 0),
	C("GET", "If-None-Match: \"a\"\r\nIf-Modified-Since: " LM "\r\n", 1, 0),
	/* Step order: If-Match fails before If-None-Match is looked at */
	C("GET", "If-Match: \"x\"\r\nIf-None-Match: " TAG "\r\n", 1, 412),
#undef C
};

static void test_check(void **state)
{
	char etag[COND_ETAG_MAX];

	(void)state;
	assert_int_equal(cond_etag(MTIME, 10, etag, sizeof(etag)), strlen(TAG));
	assert_string_equal(etag, TAG);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ccase *c = &cases[i];
		struct cond_res r = { c->exists, MTIME, c->exists ? TAG : "" };
		struct request_head h;
		char buf[1024];
		int n, got;

		n = snprintf(buf, sizeof(buf), "%s / HTTP/1.1\r\nHost: a\r\n%s\r\n", c->method, c->fields);
		assert_int_equal(request_parse(buf, (size_t)n, &h), n);
		got = cond_check(&h, &r, NOW);
		if (got != c->want) {
			print_error("line %d: got %d, want %d\n", c->line, got, c->want);
			fail();
		}
	}
}

static const struct rcase {
	int line;
	const char *fields;
	int want;
} ranges[] = {
#define R(f, w) { __LINE__, f, w }
	R("", 1),
	R("If-Range: " TAG "\r\n", 1),
	R("If-Range: \"other\"\r\n", 0),
	R("If-Range: W/" TAG "\r\n", 0),
	R("If-Range: " LM "\r\n", 1),
	R("If-Range: " EARLIER "\r\n", 0),
	R("If-Range: \r\n", 0),
#undef R
};

static void test_if_range(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		const struct rcase *c = &ranges[i];
		struct request_head h;
		char buf[512];
		int n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\n%s\r\n",
				 c->fields);

		assert_int_equal(request_parse(buf, (size_t)n, &h), n);
		if (cond_if_range(&h, TAG, LM) != c->want) {
			print_error("line %d: want %d\n", c->line, c->want);
			fail();
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_if_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
