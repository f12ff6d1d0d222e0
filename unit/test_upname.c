/* Unit tests for src/upname.c: candidate names and the suffix memory. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "upname.h"

static char long_name[UPNAME_MAX + 1];    /* "xxx...x.txt", UPNAME_MAX bytes */
static char long_want[UPNAME_MAX + 1];    /* its candidate 12 */

static const struct ncase {
	int line;
	const char *name;
	unsigned try;
	const char *want; /* NULL: -1 */
} cases[] = {
#define N(name, try, want) { __LINE__, name, try, want }
	N("a.txt", 0, "a.txt"),
	N("a.txt", 1, "a-1.txt"),
	N("a.txt", 12, "a-12.txt"),
	N("a", 3, "a-3"),
	N("a.tar.gz", 2, "a.tar-2.gz"),
	N(".hidden", 1, ".hidden-1"),   /* a leading dot is not an extension */
	N("dir.d/x", 1, "dir-1.d/x"),   /* callers pass plain names */
	N("a.", 1, "a-1."),
	N("x", 4294967295u, "x-4294967295"),
	N(long_name, 0, long_name),
	N(long_name, 12, long_want),
	N(".", 1, ".-1"),
#undef N
};

static void test_candidates(void **state)
{
	(void)state;
	memset(long_name, 'x', UPNAME_MAX - 4);
	memcpy(long_name + UPNAME_MAX - 4, ".txt", 5);
	memset(long_want, 'x', UPNAME_MAX - 7);
	memcpy(long_want + UPNAME_MAX - 7, "-12.txt", 8);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ncase *c = &cases[i];
		char out[UPNAME_MAX + 1];
		int r = upname_candidate(c->name, c->try, out, sizeof(out));

		if (c->want == NULL ? r != -1 : (r < 0 || strcmp(out, c->want) != 0 ||
						  (size_t)r != strlen(c->want))) {
			print_error("line %d: got %d \"%s\"\n", c->line, r, r >= 0 ? out : "");
			fail();
		}
		assert_true(r < 0 || r <= UPNAME_MAX);
	}
}

static void test_no_room(void **state)
{
	char small[6];
	char name[UPNAME_MAX + 1];

	(void)state;
	assert_int_equal(upname_candidate("a.txt", 1, small, sizeof(small)), -1);
	assert_int_equal(upname_candidate("abcdef", 0, small, sizeof(small)), -1);
	/* Only an extension: no base to shorten. */
	name[0] = 'a';
	name[1] = '.';
	memset(name + 2, 'e', UPNAME_MAX - 2);
	name[UPNAME_MAX] = '\0';
	assert_int_equal(upname_candidate(name, 1, small, sizeof(small)), -1);
	{
		char out[UPNAME_MAX + 1];

		assert_int_equal(upname_candidate(name, 1, out, sizeof(out)), -1);
	}
}

static void test_memo(void **state)
{
	struct upname_memo m = { 0 };
	char name[32];
	unsigned *p;

	(void)state;
	p = upname_next(&m, "a.txt");
	assert_non_null(p);
	assert_int_equal(*p, 0);
	*p = 5;
	/* Many distinct names: the table grows and keeps every counter. */
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		p = upname_next(&m, name);
		assert_non_null(p);
		assert_int_equal(*p, 0);
		*p = (unsigned)i + 1;
	}
	assert_int_equal(m.n, 3001);
	assert_true(m.cap >= 2 * m.n);
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(*upname_next(&m, name), (unsigned)i + 1);
	}
	assert_int_equal(*upname_next(&m, "a.txt"), 5);
	assert_int_equal(m.n, 3001);
	upname_free(&m);
	assert_null(m.v);
	assert_int_equal(m.n, 0);
	upname_free(&m); /* twice is fine */
}

/* The contract's file-name rule for client-given names. */
static const struct clcase {
	int line;
	const char *in;
	const char *want; /* NULL: 400 */
} clean[] = {
#define L(in, want) { __LINE__, in, want }
	L("a.txt", "a.txt"),
	L("dir/a.txt", "a.txt"),
	L("C:\\Users\\x\\photo.png", "photo.png"),
	L("a/b\\c", "c"),
	L("..a", "..a"),
	L(" spaced name ", " spaced name "),
	L("", NULL),
	L("dir/", NULL),
	L(".", NULL),
	L("..", NULL),
	L("x/..", NULL),
	L("x\\.", NULL),
	L("a\tb", NULL),
	L("a\x7f", NULL),
	L("a\x1f", NULL),
	L("caf\xc3\xa9.txt", "caf\xc3\xa9.txt"),
#undef L
};

static void test_clean(void **state)
{
	char longest[UPNAME_MAX + 2], out[UPNAME_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(clean) / sizeof(clean[0]); i++) {
		int r = upname_clean(clean[i].in, out);

		if (clean[i].want == NULL ? r != 400 : (r != 0 || strcmp(out, clean[i].want) != 0)) {
			print_error("line %d: got %d \"%s\"\n", clean[i].line, r, r == 0 ? out : "");
			fail();
		}
	}
	memset(longest, 'n', UPNAME_MAX);
	longest[UPNAME_MAX] = '\0';
	assert_int_equal(upname_clean(longest, out), 0);
	assert_int_equal(strlen(out), UPNAME_MAX);
	longest[UPNAME_MAX] = 'n';
	longest[UPNAME_MAX + 1] = '\0';
	assert_int_equal(upname_clean(longest, out), 400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_candidates),
		cmocka_unit_test(test_no_room),
		cmocka_unit_test(test_memo),
		cmocka_unit_test(test_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
