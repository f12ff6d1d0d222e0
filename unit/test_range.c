/* Unit tests for src/range.c. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "range.h"

#define MAX64 UINT64_C(18446744073709551615)

static const struct rcase {
	int line;
	const char *in;
	uint64_t size;
	int want;
	uint64_t first, last;
} cases[] = {
#define R(in, size, want, first, last) { __LINE__, in, size, want, first, last }
	/* bytes=a-b */
	R("bytes=0-0", 10, 1, 0, 0),
	R("bytes=0-9", 10, 1, 0, 9),
	R("bytes=2-5", 10, 1, 2, 5),
	R("bytes=9-9", 10, 1, 9, 9),
	R("bytes=0-10", 10, 1, 0, 9),
	R("bytes=5-1000000", 10, 1, 5, 9),
	R("bytes=5-18446744073709551615", 10, 1, 5, 9),
	R("bytes=000-002", 10, 1, 0, 2),
	R("bytes=10-10", 10, -1, 0, 0),
	R("bytes=10-20", 10, -1, 0, 0),
	R("bytes=18446744073709551615-18446744073709551615", 10, -1, 0, 0),
	R("bytes=5-4", 10, 0, 0, 0),
	R("bytes=20-4", 10, 0, 0, 0),

	/* bytes=a- */
	R("bytes=0-", 10, 1, 0, 9),
	R("bytes=9-", 10, 1, 9, 9),
	R("bytes=10-", 10, -1, 0, 0),
	R("bytes=11-", 10, -1, 0, 0),

	/* bytes=-n */
	R("bytes=-1", 10, 1, 9, 9),
	R("bytes=-3", 10, 1, 7, 9),
	R("bytes=-10", 10, 1, 0, 9),
	R("bytes=-11", 10, 1, 0, 9),
	R("bytes=-18446744073709551615", 10, 1, 0, 9),
	R("bytes=-0", 10, -1, 0, 0),
	R("bytes=-000", 10, -1, 0, 0),

	/* an empty representation satisfies no range */
	R("bytes=0-", 0, -1, 0, 0),
	R("bytes=0-0", 0, -1, 0, 0),
	R("bytes=-1", 0, -1, 0, 0),
	R("bytes=-0", 0, -1, 0, 0),
	R("bytes=5-3", 0, 0, 0, 0),
	R("bytes=x", 0, 0, 0, 0),

	/* large sizes */
	R("bytes=0-", MAX64, 1, 0, MAX64 - 1),
	R("bytes=-1", MAX64, 1, MAX64 - 1, MAX64 - 1),
	R("bytes=18446744073709551614-", MAX64, 1, MAX64 - 1, MAX64 - 1),
	R("bytes=18446744073709551615-", MAX64, -1, 0, 0),

	/* unit and white space */
	R("BYTES=1-2", 10, 1, 1, 2),
	R("Bytes=1-2", 10, 1, 1, 2),
	R(" bytes=1-2 ", 10, 1, 1, 2),
	R("\tbytes=1-2\t", 10, 1, 1, 2),
	R("bytes = 1 - 2", 10, 1, 1, 2),
	R("bytes= -2", 10, 1, 8, 9),
	R("bytes=1- ", 10, 1, 1, 9),
	R("items=1-2", 10, 0, 0, 0),
	R("byte=1-2", 10, 0, 0, 0),
	R("bytesx=1-2", 10, 0, 0, 0),
	R("bytes 1-2", 10, 0, 0, 0),
	R("bytes:1-2", 10, 0, 0, 0),
	R("none", 10, 0, 0, 0),

	/* syntax errors */
	R("", 10, 0, 0, 0),
	R("bytes", 10, 0, 0, 0),
	R("bytes=", 10, 0, 0, 0),
	R("bytes=-", 10, 0, 0, 0),
	R("bytes=1", 10, 0, 0, 0),
	R("bytes=1-2-3", 10, 0, 0, 0),
	R("bytes=a-b", 10, 0, 0, 0),
	R("bytes=1-b", 10, 0, 0, 0),
	R("bytes=+1-2", 10, 0, 0, 0),
	R("bytes=1-+2", 10, 0, 0, 0),
	R("bytes=--1", 10, 0, 0, 0),
	R("bytes=0x1-2", 10, 0, 0, 0),
	R("bytes=1 2-3", 10, 0, 0, 0),
	R("bytes=1.5-2", 10, 0, 0, 0),
	R("bytes==1-2", 10, 0, 0, 0),
	R("=1-2", 10, 0, 0, 0),

	/* several ranges are not served */
	R("bytes=0-1,3-4", 10, 0, 0, 0),
	R("bytes=0-1, 3-4", 10, 0, 0, 0),
	R("bytes=0-1,", 10, 0, 0, 0),
	R("bytes=,0-1", 10, 0, 0, 0),
	R("bytes=-1,-2", 10, 0, 0, 0),
	R("bytes=20-30,0-1", 10, 0, 0, 0),

	/* overflow */
	R("bytes=18446744073709551616-", 10, 0, 0, 0),
	R("bytes=0-18446744073709551616", 10, 0, 0, 0),
	R("bytes=-18446744073709551616", 10, 0, 0, 0),
	R("bytes=99999999999999999999999999-", 10, 0, 0, 0),
#undef R
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rcase *c = &cases[i];
		size_t n = strlen(c->in);
		char *in = malloc(n ? n : 1);
		uint64_t first = 77, last = 77;
		int r;

		assert_non_null(in);
		memcpy(in, c->in, n);
		r = range_parse((struct slice){ n ? in : NULL, n }, c->size, &first, &last);
		if (r != c->want || (r == 1 && (first != c->first || last != c->last))) {
			print_error("line %d: got %d [%llu, %llu], want %d [%llu, %llu]\n",
				    c->line, r, (unsigned long long)first,
				    (unsigned long long)last, c->want,
				    (unsigned long long)c->first,
				    (unsigned long long)c->last);
			fail();
		}
		if (r == 1)
			assert_true(first <= last && last < c->size);
		free(in);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
