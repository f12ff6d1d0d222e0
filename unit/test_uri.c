/* Unit tests for src/uri.c. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "uri.h"

static char *dup_exact(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	assert_non_null(p);
	if (n)
		memcpy(p, s, n);
	return p;
}

/* RFC 3986 5.4: a reference resolved against http://a/b/c/d;p?q.  The
 * test merges the reference's path with the base path as 5.2.2 / 5.2.3
 * do, and checks remove_dots against the path of the RFC's result. */
static const struct {
	int line;
	const char *ref;
	const char *want;
} rfc_examples[] = {
	/* 5.4.1 normal examples */
	{ __LINE__, "g", "/b/c/g" },
	{ __LINE__, "./g", "/b/c/g" },
	{ __LINE__, "g/", "/b/c/g/" },
	{ __LINE__, "/g", "/g" },
	{ __LINE__, "?y", "/b/c/d;p" },
	{ __LINE__, "g?y", "/b/c/g" },
	{ __LINE__, "#s", "/b/c/d;p" },
	{ __LINE__, "g#s", "/b/c/g" },
	{ __LINE__, "g?y#s", "/b/c/g" },
	{ __LINE__, ";x", "/b/c/;x" },
	{ __LINE__, "g;x", "/b/c/g;x" },
	{ __LINE__, "g;x?y#s", "/b/c/g;x" },
	{ __LINE__, "", "/b/c/d;p" },
	{ __LINE__, ".", "/b/c/" },
	{ __LINE__, "./", "/b/c/" },
	{ __LINE__, "..", "/b/" },
	{ __LINE__, "../", "/b/" },
	{ __LINE__, "../g", "/b/g" },
	{ __LINE__, "../..", "/" },
	{ __LINE__, "../../", "/" },
	{ __LINE__, "../../g", "/g" },
	/* 5.4.2 abnormal examples */
	{ __LINE__, "../../../g", "/g" },
	{ __LINE__, "../../../../g", "/g" },
	{ __LINE__, "/./g", "/g" },
	{ __LINE__, "/../g", "/g" },
	{ __LINE__, "g.", "/b/c/g." },
	{ __LINE__, ".g", "/b/c/.g" },
	{ __LINE__, "g..", "/b/c/g.." },
	{ __LINE__, "..g", "/b/c/..g" },
	{ __LINE__, "./../g", "/b/g" },
	{ __LINE__, "./g/.", "/b/c/g/" },
	{ __LINE__, "g/./h", "/b/c/g/h" },
	{ __LINE__, "g/../h", "/b/c/h" },
	{ __LINE__, "g;x=1/./y", "/b/c/g;x=1/y" },
	{ __LINE__, "g;x=1/../y", "/b/c/y" },
	{ __LINE__, "g?y/./x", "/b/c/g" },
	{ __LINE__, "g?y/../x", "/b/c/g" },
	{ __LINE__, "g#s/./x", "/b/c/g" },
	{ __LINE__, "g#s/../x", "/b/c/g" },
};

/* 5.2.4 applied to paths directly, including its own two examples. */
static const struct {
	int line;
	const char *in;
	const char *want;
} dots[] = {
	{ __LINE__, "/a/b/c/./../../g", "/a/g" },
	{ __LINE__, "mid/content=5/../6", "mid/6" },
	{ __LINE__, "", "" },
	{ __LINE__, "/", "/" },
	{ __LINE__, ".", "" },
	{ __LINE__, "..", "" },
	{ __LINE__, "./", "" },
	{ __LINE__, "../", "" },
	{ __LINE__, "/.", "/" },
	{ __LINE__, "/..", "/" },
	{ __LINE__, "/../..", "/" },
	{ __LINE__, "/a/..", "/" },
	{ __LINE__, "/a/.", "/a/" },
	{ __LINE__, "/a//../b", "/a/b" },
	{ __LINE__, "a/../../b", "/b" },
	{ __LINE__, "/.../a", "/.../a" },
	{ __LINE__, "/a/b/", "/a/b/" },
	{ __LINE__, "//", "//" },
	{ __LINE__, "/a\\..\\b", "/a\\..\\b" },
};

static void test_remove_dots_rfc(void **state)
{
	char merged[128];

	(void)state;
	for (size_t i = 0; i < sizeof(rfc_examples) / sizeof(rfc_examples[0]); i++) {
		const char *ref = rfc_examples[i].ref;
		size_t plen = strcspn(ref, "?#"), n;
		char *in, *out;

		/* 5.2.2: an empty path keeps the base path; 5.2.3 merge: the
		 * base path up to its last '/', then the reference. */
		if (plen == 0)
			n = (size_t)snprintf(merged, sizeof(merged), "/b/c/d;p");
		else if (ref[0] == '/')
			n = (size_t)snprintf(merged, sizeof(merged), "%.*s", (int)plen, ref);
		else
			n = (size_t)snprintf(merged, sizeof(merged), "/b/c/%.*s", (int)plen, ref);
		in = dup_exact(merged, n);
		out = malloc(n + 1);
		assert_non_null(out);
		n = uri_remove_dots(in, n, out);
		if (n != strlen(rfc_examples[i].want) || strcmp(out, rfc_examples[i].want) != 0) {
			print_error("line %d: \"%s\" -> \"%s\", want \"%s\"\n",
				    rfc_examples[i].line, ref, out, rfc_examples[i].want);
			fail();
		}
		free(in);
		free(out);
	}
	for (size_t i = 0; i < sizeof(dots) / sizeof(dots[0]); i++) {
		size_t n = strlen(dots[i].in);
		char *in = dup_exact(dots[i].in, n), *out = malloc(n + 1);

		assert_non_null(out);
		n = uri_remove_dots(in, n, out);
		if (n != strlen(dots[i].want) || strcmp(out, dots[i].want) != 0) {
			print_error("line %d: \"%s\" -> \"%s\", want \"%s\"\n",
				    dots[i].line, dots[i].in, out, dots[i].want);
			fail();
		}
		free(in);
		free(out);
	}
}

#define NOQ NULL /* no query */

static const struct ncase {
	int line;
	const char *in;
	size_t len;
	int status;
	const char *path;
	const char *query;
} norm[] = {
#define N(in, st, path, q) { __LINE__, in, sizeof(in) - 1, st, path, q }
	/* plain paths */
	N("/", 0, "/", NOQ),
	N("/a/b", 0, "/a/b", NOQ),
	N("/a/b/", 0, "/a/b/", NOQ),
	N("/index.html", 0, "/index.html", NOQ),
	N("/a b", 0, "/a b", NOQ),
	N("/\xc3\xa9", 0, "/\xc3\xa9", NOQ),
	N("/a;p=1/b", 0, "/a;p=1/b", NOQ),

	/* '//' runs */
	N("//", 0, "/", NOQ),
	N("////", 0, "/", NOQ),
	N("//a///b//", 0, "/a/b/", NOQ),
	N("/a//", 0, "/a/", NOQ),

	/* dot segments */
	N("/a/./b", 0, "/a/b", NOQ),
	N("/a/../b", 0, "/b", NOQ),
	N("/a/b/../../c", 0, "/c", NOQ),
	N("/a/..", 0, "/", NOQ),
	N("/a/../", 0, "/", NOQ),
	N("/a/.", 0, "/a/", NOQ),
	N("/dir/.", 0, "/dir/", NOQ),
	N("/dir/..", 0, "/", NOQ),
	N("/dir/./", 0, "/dir/", NOQ),
	N("/.", 0, "/", NOQ),
	N("/./", 0, "/", NOQ),
	N("/./.", 0, "/", NOQ),
	N("/a/.//b", 0, "/a/b", NOQ),
	N("/a//..//b", 0, "/b", NOQ),
	N("/.../a", 0, "/.../a", NOQ),
	N("/..a/a..", 0, "/..a/a..", NOQ),
	N("/a/.b", 0, "/a/.b", NOQ),
	N("/a/...", 0, "/a/...", NOQ),

	/* traversal */
	N("/..", 400, NULL, NOQ),
	N("/../", 400, NULL, NOQ),
	N("/../a", 400, NULL, NOQ),
	N("/a/../..", 400, NULL, NOQ),
	N("/a/../../b", 400, NULL, NOQ),
	N("/./../etc/passwd", 400, NULL, NOQ),
	N("//..//etc", 400, NULL, NOQ),
	N("/%2e%2e/etc/passwd", 400, NULL, NOQ),
	N("/%2E%2E/etc/passwd", 400, NULL, NOQ),
	N("/.%2e/x", 400, NULL, NOQ),
	N("/%2e./x", 400, NULL, NOQ),
	N("/%2E%2E%2Fetc", 400, NULL, NOQ),
	N("/a%2F..%2F..%2Fetc", 400, NULL, NOQ),
	N("/a/%2e%2e/b", 0, "/b", NOQ),
	N("/a/%2e/b", 0, "/a/b", NOQ),
	N("/%2e", 0, "/", NOQ),
	N("/a%2fb", 0, "/a/b", NOQ),
	N("/a%2F%2Fb", 0, "/a/b", NOQ),
	N("/a%2f", 0, "/a/", NOQ),
	N("/%2f%2f", 0, "/", NOQ),
	/* backslash is an ordinary byte */
	N("/..\\..\\etc", 0, "/..\\..\\etc", NOQ),
	N("/a\\..\\..\\b", 0, "/a\\..\\..\\b", NOQ),
	N("/%5c..%5c", 0, "/\\..\\", NOQ),

	/* percent-decoding */
	N("/a%41", 0, "/aA", NOQ),
	N("/%61%62", 0, "/ab", NOQ),
	N("/%7e%7E", 0, "/~~", NOQ),
	N("/%e2%82%AC", 0, "/\xe2\x82\xac", NOQ),
	N("/a%20b", 0, "/a b", NOQ),
	N("/%25", 0, "/%", NOQ),
	N("/%252e%252e", 0, "/%2e%2e", NOQ),
	N("/%3F%23", 0, "/?#", NOQ),
	N("/%00", 400, NULL, NOQ),
	N("/a%00.txt", 400, NULL, NOQ),
	N("/%01", 400, NULL, NOQ),
	N("/%0a", 400, NULL, NOQ),
	N("/%0D", 400, NULL, NOQ),
	N("/%1f", 400, NULL, NOQ),
	N("/%7f", 400, NULL, NOQ),
	N("/%7F", 400, NULL, NOQ),
	N("/%G1", 400, NULL, NOQ),
	N("/%1G", 400, NULL, NOQ),
	N("/%", 400, NULL, NOQ),
	N("/%4", 400, NULL, NOQ),
	N("/%4?x", 400, NULL, NOQ),
	N("/%?x", 400, NULL, NOQ),
	N("/% 1", 400, NULL, NOQ),
	N("/%-1", 400, NULL, NOQ),
	N("/a\x01", 400, NULL, NOQ),
	N("/a\x7f", 400, NULL, NOQ),
	N("/a\0b", 400, NULL, NOQ),
	N("/a\tb", 400, NULL, NOQ),

	/* query and fragment */
	N("/a?b=c", 0, "/a", "b=c"),
	N("/a?b?c", 0, "/a", "b?c"),
	N("/a?b/../c", 0, "/a", "b/../c"),
	N("/a?%00", 0, "/a", "%00"),
	N("/a?", 0, "/a", NOQ),
	N("/?q", 0, "/", "q"),
	N("/a#frag", 0, "/a", NOQ),
	N("/a?q#frag", 0, "/a", "q"),
	N("/a#f?x", 0, "/a", NOQ),
	N("/a/..?x", 0, "/", "x"),
	N("/..?x", 400, NULL, NOQ),
	N("/%3Fx?y", 0, "/?x", "y"),

	/* absolute-form */
	N("http://host/a/b?x=1", 0, "/a/b", "x=1"),
	N("http://host", 0, "/", NOQ),
	N("HTTP://host", 0, "/", NOQ),
	N("https://host?q", 0, "/", "q"),
	N("HtTpS://h:80/x#f", 0, "/x", NOQ),
	N("http://h#f", 0, "/", NOQ),
	N("http://user@h:8080//a/./b/", 0, "/a/b/", NOQ),
	N("http://h/../x", 400, NULL, NOQ),
	N("http://h%2F../x", 0, "/x", NOQ),
	N("http://", 0, "/", NOQ),
	N("ftp://h/x", 400, NULL, NOQ),
	N("http:/x", 400, NULL, NOQ),
	N("http:x", 400, NULL, NOQ),
	N("httpx://h/x", 400, NULL, NOQ),
	N("http//h/x", 400, NULL, NOQ),

	/* not origin-form */
	N("*", 400, NULL, NOQ),
	N("", 400, NULL, NOQ),
	N("a/b", 400, NULL, NOQ),
	N("%2Fa", 400, NULL, NOQ),
	N("\\a", 400, NULL, NOQ),
	N("?x", 400, NULL, NOQ),
	N("host:80", 400, NULL, NOQ),
#undef N
};

static void test_normalize(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(norm) / sizeof(norm[0]); i++) {
		const struct ncase *c = &norm[i];
		char *in = dup_exact(c->in, c->len);
		size_t cap = c->len + 2, olen = 99;
		char *out = malloc(cap);
		struct slice q = { (const char *)1, 99 };
		int st;

		assert_non_null(out);
		st = uri_normalize((struct slice){ c->len ? in : NULL, c->len },
				   out, cap, &olen, &q);
		if (st != c->status) {
			print_error("line %d: status %d, want %d\n", c->line, st, c->status);
			fail();
		}
		if (st == 0) {
			if (olen != strlen(c->path) || memcmp(out, c->path, olen + 1) != 0) {
				print_error("line %d: path \"%.*s\", want \"%s\"\n",
					    c->line, (int)olen, out, c->path);
				fail();
			}
			if (c->query == NULL) {
				assert_int_equal(q.len, 0);
				assert_null(q.p);
			} else {
				size_t ql = strlen(c->query);

				if (q.len != ql || memcmp(q.p, c->query, ql) != 0) {
					print_error("line %d: query \"%.*s\", want \"%s\"\n",
						    c->line, (int)q.len, q.p, c->query);
					fail();
				}
				/* the query is a slice of the target */
				assert_true(q.p > in && q.p + q.len <= in + c->len);
			}
		}
		free(in);
		free(out);
	}
}

/* out must hold the decoded path and its NUL: 414 otherwise. */
static void test_normalize_room(void **state)
{
	static const struct {
		int line;
		const char *in;
		size_t cap;
		int status;
	} t[] = {
		{ __LINE__, "/abc", 5, 0 },
		{ __LINE__, "/abc", 4, 414 },
		{ __LINE__, "/abc", 1, 414 },
		{ __LINE__, "/abc", 0, 414 },
		{ __LINE__, "/", 2, 0 },
		{ __LINE__, "/", 1, 414 },
		{ __LINE__, "/%41%42%43", 5, 0 },
		{ __LINE__, "/%41%42%43", 4, 414 },
		{ __LINE__, "//a//", 4, 0 },
		{ __LINE__, "/abc?long-query", 5, 0 },
		{ __LINE__, "/a/../b", 8, 0 },
		{ __LINE__, "/a/.", 5, 0 },
		{ __LINE__, "http://h", 2, 0 },
		{ __LINE__, "http://h", 1, 414 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = strlen(t[i].in), olen;
		char *in = dup_exact(t[i].in, n), *out = malloc(t[i].cap ? t[i].cap : 1);
		struct slice q;
		int st;

		st = uri_normalize((struct slice){ in, n }, out, t[i].cap, &olen, &q);
		if (st != t[i].status) {
			print_error("line %d: status %d, want %d\n", t[i].line, st, t[i].status);
			fail();
		}
		if (st == 0)
			assert_true(olen < t[i].cap && out[olen] == '\0' && out[0] == '/');
		free(in);
		free(out);
	}
}

/* Whatever the input, a normalised path starts with '/', has no "//",
 * no "." or ".." segment and no control character. */
static void test_normalize_invariants(void **state)
{
	static const char alphabet[] = "/./%2e%2f%00..a\\?#";
	uint32_t seed = 7;
	char in[24], out[32];

	(void)state;
	for (int round = 0; round < 200000; round++) {
		size_t n = 1 + round % (sizeof(in) - 1), olen;
		struct slice q;
		int st;

		in[0] = '/';
		for (size_t k = 1; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			in[k] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		st = uri_normalize((struct slice){ in, n }, out, sizeof(out), &olen, &q);
		if (st != 0) {
			assert_int_equal(st, 400);
			continue;
		}
		assert_true(olen >= 1 && out[0] == '/' && out[olen] == '\0');
		assert_int_equal(strlen(out), olen);
		assert_null(strstr(out, "//"));
		assert_null(strstr(out, "/./"));
		assert_null(strstr(out, "/../"));
		assert_false(olen >= 2 && strcmp(out + olen - 2, "/.") == 0);
		assert_false(olen >= 3 && strcmp(out + olen - 3, "/..") == 0);
	}
}

static void test_encode_path(void **state)
{
	static const struct {
		int line;
		const char *in;
		size_t len;
		const char *want;
	} t[] = {
#define E(in, want) { __LINE__, in, sizeof(in) - 1, want }
		E("", ""),
		E("/", "/"),
		E("/~user/a-b_c.d/", "/~user/a-b_c.d/"),
		E("/AZaz09", "/AZaz09"),
		E("/a b", "/a%20b"),
		E("/\xc3\xbc", "/%C3%BC"),
		E("?#%", "%3F%23%25"),
		E("a;b=c&d+e", "a%3Bb%3Dc%26d%2Be"),
		E("\\\"<>'", "%5C%22%3C%3E%27"),
		E("\0\x01\x7f\xff", "%00%01%7F%FF"),
#undef E
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t wl = strlen(t[i].want), r;
		char *in = dup_exact(t[i].in, t[i].len);
		char *out = malloc(wl + 1);

		/* exactly enough room */
		r = uri_encode_path(in, t[i].len, out, wl + 1);
		if (r != wl || strcmp(out, t[i].want) != 0) {
			print_error("line %d: \"%s\", want \"%s\"\n", t[i].line,
				    r == (size_t)-1 ? "(no room)" : out, t[i].want);
			fail();
		}
		/* one byte less: does not fit */
		assert_true(uri_encode_path(in, t[i].len, out, wl) == (size_t)-1);
		free(in);
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remove_dots_rfc),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_normalize_room),
		cmocka_unit_test(test_normalize_invariants),
		cmocka_unit_test(test_encode_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
