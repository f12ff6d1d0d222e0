/* Unit tests for src/response.c: the capped buffer, reasons, dates both
 * ways, status lines, error pages and autoindex pages. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "response.h"

static void test_obuf(void **state)
{
	char mem[8];
	struct obuf ob = { .p = mem, .cap = sizeof(mem) };

	(void)state;
	obuf_str(&ob, "abc");
	obuf_printf(&ob, "%d", 42);
	assert_int_equal(ob.len, 5);
	assert_memory_equal(mem, "abc42", 5);
	assert_false(ob.overflow);
	obuf_str(&ob, "defg"); /* does not fit: nothing partial */
	assert_int_equal(ob.len, 5);
	assert_true(ob.overflow);
	obuf_str(&ob, "x"); /* fits, but an overflowed buffer takes no more */
	assert_int_equal(ob.len, 5);
	ob = (struct obuf){ .p = mem, .cap = sizeof(mem) };
	obuf_printf(&ob, "%s", "12345678"); /* needs room for its NUL */
	assert_true(ob.overflow);
	assert_int_equal(ob.len, 0);
}

static void test_html(void **state)
{
	char mem[128];
	struct obuf ob = { .p = mem, .cap = sizeof(mem) };
	static const char in[] = "<a href=\"x\">&'</a>";
	static const char want[] = "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;";

	(void)state;
	obuf_html(&ob, in, sizeof(in) - 1);
	assert_int_equal(ob.len, sizeof(want) - 1);
	assert_memory_equal(mem, want, ob.len);
}

static const struct {
	int line;
	int status;
	const char *reason;
} reasons[] = {
	{ __LINE__, 100, "Continue" },
	{ __LINE__, 200, "OK" },
	{ __LINE__, 204, "No Content" },
	{ __LINE__, 206, "Partial Content" },
	{ __LINE__, 304, "Not Modified" },
	{ __LINE__, 404, "Not Found" },
	{ __LINE__, 405, "Method Not Allowed" },
	{ __LINE__, 413, "Content Too Large" },
	{ __LINE__, 505, "HTTP Version Not Supported" },
	{ __LINE__, 507, "Insufficient Storage" },
	{ __LINE__, 299, "Unknown" },
	{ __LINE__, 0, "Unknown" },
};

static void test_reason(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(response_reason(reasons[i].status), reasons[i].reason) != 0)
			fail_msg("line %d: %s", reasons[i].line, response_reason(reasons[i].status));
}

static const struct dcase {
	int line;
	const char *in;
	long long want; /* -1: invalid */
} dates[] = {
#define D(in, want) { __LINE__, in, want }
	D("Sun, 06 Nov 1994 08:49:37 GMT", 784111777),
	D("Sunday, 06-Nov-94 08:49:37 GMT", 784111777),
	D("Sun Nov  6 08:49:37 1994", 784111777),
	D("Thu, 01 Jan 1970 00:00:00 GMT", 0),
	D("Tue, 29 Feb 2000 12:00:00 GMT", 951825600),
	D("Wednesday, 01-Jan-25 00:00:00 GMT", 1735689600),
	D("Sun, 06 Nov 1994 08:49:37 GMT ", -1),
	D("Sun, 06 Nov 1994 08:49:37 UTC", -1),
	D("Sun, 06 Foo 1994 08:49:37 GMT", -1),
	D("Sun, 32 Nov 1994 08:49:37 GMT", -1),
	D("Sun, 06 Nov 1994 24:49:37 GMT", -1),
	D("Sun, 06 Nov 1969 08:49:37 GMT", -1),
	D("", -1),
	D("yesterday", -1),
#undef D
};

static void test_parse_date(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		time_t t = 12345;
		int r = response_parse_date(dates[i].in, strlen(dates[i].in), &t);

		if (dates[i].want < 0 ? r != -1 : (r != 0 || (long long)t != dates[i].want))
			fail_msg("line %d: got %d %lld", dates[i].line, r, (long long)t);
	}
}

static void test_date_round_trip(void **state)
{
	static const time_t ts[] = { 0, 784111777, 951825600, 1700000000, 4102444800 };
	char out[32];

	(void)state;
	response_date(784111777, out);
	assert_string_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		time_t back = -1;

		response_date(ts[i], out);
		assert_int_equal(strlen(out), 29);
		assert_int_equal(response_parse_date(out, strlen(out), &back), 0);
		assert_int_equal((long long)back, (long long)ts[i]);
	}
	for (int m = 0; m < 12; m++)
		assert_int_equal(strlen(response_month(m)), 3);
	assert_string_equal(response_month(0), "Jan");
	assert_string_equal(response_month(11), "Dec");
}

static void test_start_and_error_page(void **state)
{
	char mem[1024];
	struct obuf ob = { .p = mem, .cap = sizeof(mem) - 1 };

	(void)state;
	response_start(&ob, 404, 784111777);
	mem[ob.len] = '\0';
	assert_string_equal(mem, "HTTP/1.1 404 Not Found\r\nServer: " WEBSERV_SOFTWARE
				 "\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
	/* The same head from a Date formatted beforehand (once a second). */
	{
		char d[32], m2[256];
		struct obuf o2 = { .p = m2, .cap = sizeof(m2) - 1 };

		response_date(784111777, d);
		response_start_dated(&o2, 404, d);
		m2[o2.len] = '\0';
		assert_string_equal(m2, mem);
	}
	ob.len = 0;
	response_error_body(&ob, 413);
	mem[ob.len] = '\0';
	assert_non_null(strstr(mem, "<title>413 Content Too Large</title>"));
	assert_non_null(strstr(mem, "<h1>413 Content Too Large</h1>"));
	assert_false(ob.overflow);
}

static void test_autoindex(void **state)
{
	struct dir_entry v[] = {
		{ "b.txt", 0, 12, 784111777 },
		{ "sub", 1, 0, 784111777 },
		{ "a <&>.txt", 0, 3, 0 },
		{ "dir b", 1, 0, 0 },
	};
	char mem[4096];
	struct obuf ob = { .p = mem, .cap = sizeof(mem) - 1 };
	const char *a, *b, *d, *s;

	(void)state;
	response_sort_entries(v, 4);
	assert_string_equal(v[0].name, "dir b"); /* directories first, then by name */
	assert_string_equal(v[1].name, "sub");
	assert_string_equal(v[2].name, "a <&>.txt");
	assert_string_equal(v[3].name, "b.txt");
	response_autoindex(&ob, "/x&y/", v, 4, 7, 1);
	mem[ob.len] = '\0';
	assert_false(ob.overflow);
	assert_non_null(strstr(mem, "<title>Index of /x&amp;y/</title>"));
	assert_non_null(strstr(mem, "<a href=\"../\">../</a>"));
	d = strstr(mem, "<a href=\"dir%20b/\">dir b/</a>  01-Jan-1970 00:00  -\n");
	s = strstr(mem, "<a href=\"sub/\">sub/</a>  06-Nov-1994 08:49  -\n");
	a = strstr(mem, "<a href=\"a%20%3C%26%3E.txt\">a &lt;&amp;&gt;.txt</a>  01-Jan-1970 00:00  3\n");
	b = strstr(mem, "<a href=\"b.txt\">b.txt</a>  06-Nov-1994 08:49  12\n");
	assert_true(d && s && a && b && d < s && s < a && a < b);
	assert_non_null(strstr(mem, "<p>7+ more entries not listed.</p>"));
	ob.len = 0;
	response_autoindex(&ob, "/", v, 0, 0, 0);
	mem[ob.len] = '\0';
	assert_null(strstr(mem, "../"));
	assert_null(strstr(mem, "more entries"));
}

/* `charset NAME;`: which types get it, and when they keep their own. */
static void test_content_type(void **state)
{
	static const struct {
		int line;
		const char *type, *charset, *want;
	} rows[] = {
		{ __LINE__, "text/html", "utf-8", "text/html; charset=utf-8" },
		{ __LINE__, "text/plain", "UTF-8", "text/plain; charset=UTF-8" },
		{ __LINE__, "text/css", "utf-8", "text/css; charset=utf-8" },
		{ __LINE__, "TEXT/Markdown", "utf-8", "TEXT/Markdown; charset=utf-8" },
		{ __LINE__, "application/javascript", "koi8-r", "application/javascript; charset=koi8-r" },
		{ __LINE__, "application/xml", "utf-8", "application/xml; charset=utf-8" },
		{ __LINE__, "application/rss+xml", "utf-8", "application/rss+xml; charset=utf-8" },
		{ __LINE__, "application/atom+xml", "utf-8", "application/atom+xml; charset=utf-8" },
		/* off, or not set */
		{ __LINE__, "text/html", NULL, "text/html" },
		{ __LINE__, "text/html", "", "text/html" },
		/* not a text type */
		{ __LINE__, "image/png", "utf-8", "image/png" },
		{ __LINE__, "application/json", "utf-8", "application/json" },
		{ __LINE__, "application/octet-stream", "utf-8", "application/octet-stream" },
		{ __LINE__, "application/javascriptx", "utf-8", "application/javascriptx" },
		{ __LINE__, "text/", "utf-8", "text/" },
		{ __LINE__, "textual/plain", "utf-8", "textual/plain" },
		/* the type names its charset already */
		{ __LINE__, "text/html; charset=iso-8859-1", "utf-8", "text/html; charset=iso-8859-1" },
		{ __LINE__, "text/plain;CHARSET=latin1", "utf-8", "text/plain;CHARSET=latin1" },
		/* another parameter stays, the charset follows it */
		{ __LINE__, "text/plain; format=flowed", "utf-8", "text/plain; format=flowed; charset=utf-8" },
	};
	char buf[64], tiny[16];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *got = response_content_type(rows[i].type, rows[i].charset, buf, sizeof(buf));

		if (strcmp(got, rows[i].want) != 0)
			fail_msg("line %d: %s + %s gave \"%s\", want \"%s\"", rows[i].line, rows[i].type,
				 rows[i].charset ? rows[i].charset : "(null)", got, rows[i].want);
	}
	/* Too long for the buffer: the bare type, never a cut one. */
	assert_string_equal(response_content_type("text/html", "utf-8", tiny, sizeof(tiny)), "text/html");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_obuf),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_reason),
		cmocka_unit_test(test_parse_date),
		cmocka_unit_test(test_date_round_trip),
		cmocka_unit_test(test_start_and_error_page),
		cmocka_unit_test(test_autoindex),
		cmocka_unit_test(test_content_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
