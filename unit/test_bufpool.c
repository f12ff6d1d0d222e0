#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bufpool.h"

/* A script of gets and puts on one pool (keep 2), with what the pool
 * must hold after each step. */
enum op { GET, PUT };

struct step {
	int line;
	enum op op;
	size_t size;
	int slot;          /* GET: where the buffer goes; PUT: which one goes back */
	int same_as;       /* GET: must be the buffer slot same_as gave back (-1: any) */
	size_t kept;       /* bufpool_kept(size) after the step */
	size_t out;        /* buffers handed out after the step */
};

static const struct step script[] = {
	{ __LINE__, GET, 4096, 0, -1, 0, 1 },
	{ __LINE__, GET, 4096, 1, -1, 0, 2 },
	{ __LINE__, GET, 4096, 2, -1, 0, 3 },
	{ __LINE__, PUT, 4096, 0, -1, 1, 2 },
	{ __LINE__, PUT, 4096, 1, -1, 2, 1 },
	/* Bounded: a third one given back is freed. */
	{ __LINE__, PUT, 4096, 2, -1, 2, 0 },
	/* Last in, first out: the buffer of slot 1 comes back. */
	{ __LINE__, GET, 4096, 3, 1, 1, 1 },
	{ __LINE__, GET, 4096, 4, 0, 0, 2 },
	{ __LINE__, GET, 4096, 5, -1, 0, 3 },
	/* Another size is another list. */
	{ __LINE__, GET, 65536, 6, -1, 0, 4 },
	{ __LINE__, PUT, 65536, 6, -1, 1, 3 },
	{ __LINE__, GET, 4096, 7, -1, 0, 4 },
	{ __LINE__, GET, 65536, 8, 6, 0, 5 },
	{ __LINE__, PUT, 4096, 3, -1, 1, 4 },
	{ __LINE__, PUT, 4096, 4, -1, 2, 3 },
	{ __LINE__, PUT, 4096, 5, -1, 2, 2 },
	{ __LINE__, PUT, 4096, 7, -1, 2, 1 },
	{ __LINE__, PUT, 65536, 8, -1, 1, 0 },
	/* Too small to hold the link: never kept. */
	{ __LINE__, GET, 4, 9, -1, 0, 1 },
	{ __LINE__, PUT, 4, 9, -1, 0, 0 },
};

static void test_script(void **state)
{
	struct bufpool bp = { .keep = 2 };
	void *slot[16] = { 0 }, *gone[16] = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		const struct step *s = &script[i];

		if (s->op == GET) {
			slot[s->slot] = bufpool_get(&bp, s->size);
			if (slot[s->slot] == NULL)
				fail_msg("line %d: no buffer", s->line);
			/* The whole buffer is usable (ASan checks the bounds). */
			memset(slot[s->slot], 0xa5, s->size);
			if (s->same_as >= 0 && slot[s->slot] != gone[s->same_as])
				fail_msg("line %d: not the buffer given back", s->line);
		} else {
			gone[s->slot] = slot[s->slot];
			bufpool_put(&bp, slot[s->slot], s->size);
			slot[s->slot] = NULL;
		}
		if (bufpool_kept(&bp, s->size) != s->kept || bp.out != s->out)
			fail_msg("line %d: kept %zu out %zu, want %zu and %zu", s->line,
				 bufpool_kept(&bp, s->size), bp.out, s->kept, s->out);
	}
	bufpool_clear(&bp);
	assert_int_equal(bufpool_kept(&bp, 4096), 0);
	assert_int_equal(bufpool_kept(&bp, 65536), 0);
}

/* More sizes than slots: the extra sizes go straight back to free(). */
static void test_many_sizes(void **state)
{
	struct bufpool bp = { 0 };

	(void)state;
	for (size_t n = 1; n <= BUFPOOL_CLASSES + 4; n++) {
		void *p = bufpool_get(&bp, 100 * n);

		assert_non_null(p);
		bufpool_put(&bp, p, 100 * n);
		assert_int_equal(bufpool_kept(&bp, 100 * n), n <= BUFPOOL_CLASSES ? 1 : 0);
	}
	assert_int_equal(bp.out, 0);
	assert_null(bufpool_get(&bp, 0));
	bufpool_put(&bp, NULL, 100);
	bufpool_clear(&bp);
}

/* The default bound, and a zeroed pool. */
static void test_default_keep(void **state)
{
	struct bufpool bp = { 0 };
	void *v[BUFPOOL_KEEP + 3];

	(void)state;
	for (size_t i = 0; i < BUFPOOL_KEEP + 3; i++)
		assert_non_null(v[i] = bufpool_get(&bp, 512));
	for (size_t i = 0; i < BUFPOOL_KEEP + 3; i++)
		bufpool_put(&bp, v[i], 512);
	assert_int_equal(bufpool_kept(&bp, 512), BUFPOOL_KEEP);
	bufpool_clear(&bp);
}

/* Large buffers: at most BUFPOOL_KEEP_BYTES of one size, but one always. */
static void test_byte_bound(void **state)
{
	static const struct {
		int line;
		size_t size, kept;
	} cases[] = {
		{ __LINE__, BUFPOOL_KEEP_BYTES / 4, 4 },
		{ __LINE__, BUFPOOL_KEEP_BYTES / 8 + 1, 7 },
		{ __LINE__, BUFPOOL_KEEP_BYTES, 1 },
		{ __LINE__, BUFPOOL_KEEP_BYTES * 2, 1 },
		{ __LINE__, 4096, BUFPOOL_KEEP },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bufpool bp = { 0 };
		void *v[BUFPOOL_KEEP + 1];

		for (size_t j = 0; j < BUFPOOL_KEEP + 1; j++)
			assert_non_null(v[j] = bufpool_get(&bp, cases[i].size));
		for (size_t j = 0; j < BUFPOOL_KEEP + 1; j++)
			bufpool_put(&bp, v[j], cases[i].size);
		if (bufpool_kept(&bp, cases[i].size) != cases[i].kept)
			fail_msg("line %d: kept %zu, want %zu", cases[i].line,
				 bufpool_kept(&bp, cases[i].size), cases[i].kept);
		bufpool_clear(&bp);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_script),
		cmocka_unit_test(test_many_sizes),
		cmocka_unit_test(test_default_keep),
		cmocka_unit_test(test_byte_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
