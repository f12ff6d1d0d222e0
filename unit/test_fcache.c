/* Unit tests for src/fcache.c: hits and misses by (path, policy),
 * validity time, LRU eviction, descriptors closed when entries go (at
 * once, or on the last release of a held one), copies and their budget,
 * forget and clear. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fcache.h"

#define MTIME 1700000000 /* Tue, 14 Nov 2023 22:13:20 GMT */

/* One step of a script run against a cache of MAX entries valid VALID ms. */
enum op {
	PUT,     /* put path/policy at time t (a fresh descriptor, slot k) */
	PUTB,    /* the same with a copy of the body */
	GET,     /* get path/policy at time t: want 1 = hit (slot k's entry), 0 = miss */
	HOLD,    /* hold slot k's entry */
	REL,     /* release slot k's entry */
	FORGET,  /* forget path */
	CLEAR,   /* drop everything */
	OPEN,    /* want: slot k's descriptor is still open (1) or closed (0) */
	COUNT,   /* want: entries in the cache */
	END,
};

struct step {
	enum op op;
	const char *path;
	unsigned policy;
	uint64_t t;
	int k;
	int want;
};

static const struct script {
	int line;
	size_t max;
	uint64_t valid;
	struct step s[16];
} scripts[] = {
#define S(max, valid, ...) { __LINE__, max, valid, { __VA_ARGS__, { END, 0, 0, 0, 0, 0 } } }
	/* a hit, then a miss once the validity time has passed */
	S(4, 1000,
	  { PUT, "/a", 0, 0, 0, 0 }, { GET, "/a", 0, 999, 0, 1 }, { OPEN, 0, 0, 0, 0, 1 },
	  { GET, "/a", 0, 1000, 0, 0 }, { OPEN, 0, 0, 0, 0, 0 }, { COUNT, 0, 0, 0, 0, 0 }),
	/* the policy is part of the key */
	S(4, 1000,
	  { PUT, "/a", 0, 0, 0, 0 }, { GET, "/a", 1, 1, 0, 0 }, { GET, "/a", 0, 1, 0, 1 },
	  { PUT, "/a", 5, 0, 1, 0 }, { GET, "/a", 5, 1, 1, 1 }, { GET, "/a", 0, 1, 0, 1 },
	  { COUNT, 0, 0, 0, 0, 2 }),
	/* paths that share a prefix are different keys */
	S(4, 1000,
	  { PUT, "/a/b", 0, 0, 0, 0 }, { GET, "/a/", 0, 1, 0, 0 }, { GET, "/a/bc", 0, 1, 0, 0 },
	  { GET, "/a/b", 0, 1, 0, 1 }),
	/* full: the least recently used one goes, its descriptor closed */
	S(2, 1000,
	  { PUT, "/a", 0, 0, 0, 0 }, { PUT, "/b", 0, 0, 1, 0 }, { GET, "/a", 0, 1, 0, 1 },
	  { PUT, "/c", 0, 2, 2, 0 }, { OPEN, 0, 0, 0, 1, 0 }, { OPEN, 0, 0, 0, 0, 1 },
	  { GET, "/b", 0, 3, 1, 0 }, { GET, "/a", 0, 3, 0, 1 }, { GET, "/c", 0, 3, 2, 1 },
	  { COUNT, 0, 0, 0, 0, 2 }),
	/* a second put of a key replaces the first */
	S(4, 1000,
	  { PUT, "/a", 0, 0, 0, 0 }, { PUT, "/a", 0, 10, 1, 0 }, { OPEN, 0, 0, 0, 0, 0 },
	  { GET, "/a", 0, 1005, 1, 1 }, { COUNT, 0, 0, 0, 0, 1 }),
	/* a held entry keeps its descriptor after it expires, until released */
	S(4, 100,
	  { PUT, "/a", 0, 0, 0, 0 }, { HOLD, 0, 0, 0, 0, 0 }, { GET, "/a", 0, 100, 0, 0 },
	  { OPEN, 0, 0, 0, 0, 1 }, { COUNT, 0, 0, 0, 0, 0 }, { PUT, "/a", 0, 100, 1, 0 },
	  { GET, "/a", 0, 101, 1, 1 }, { REL, 0, 0, 0, 0, 0 }, { OPEN, 0, 0, 0, 0, 0 },
	  { OPEN, 0, 0, 0, 1, 1 }),
	/* a held entry survives eviction and clear until released */
	S(1, 1000,
	  { PUT, "/a", 0, 0, 0, 0 }, { HOLD, 0, 0, 0, 0, 0 }, { HOLD, 0, 0, 0, 0, 0 },
	  { PUT, "/b", 0, 0, 1, 0 }, { CLEAR, 0, 0, 0, 0, 0 }, { OPEN, 0, 0, 0, 1, 0 },
	  { REL, 0, 0, 0, 0, 0 }, { OPEN, 0, 0, 0, 0, 1 }, { REL, 0, 0, 0, 0, 0 },
	  { OPEN, 0, 0, 0, 0, 0 }),
	/* a held entry not dropped stays in the cache after its release */
	S(4, 1000,
	  { PUT, "/a", 0, 0, 0, 0 }, { HOLD, 0, 0, 0, 0, 0 }, { REL, 0, 0, 0, 0, 0 },
	  { OPEN, 0, 0, 0, 0, 1 }, { GET, "/a", 0, 1, 0, 1 }),
	/* forget drops the path under every policy, nothing else */
	S(4, 1000,
	  { PUT, "/a", 0, 0, 0, 0 }, { PUT, "/a", 3, 0, 1, 0 }, { PUT, "/ab", 0, 0, 2, 0 },
	  { FORGET, "/a", 0, 0, 0, 0 }, { OPEN, 0, 0, 0, 0, 0 }, { OPEN, 0, 0, 0, 1, 0 },
	  { GET, "/a", 0, 1, 0, 0 }, { GET, "/ab", 0, 1, 2, 1 }, { COUNT, 0, 0, 0, 0, 1 }),
	/* a copied body: the descriptor is closed at once */
	S(4, 1000,
	  { PUTB, "/a", 0, 0, 0, 0 }, { OPEN, 0, 0, 0, 0, 0 }, { GET, "/a", 0, 1, 0, 1 }),
	/* many keys in few buckets */
	S(3, 1000,
	  { PUT, "/1", 0, 0, 0, 0 }, { PUT, "/2", 0, 0, 1, 0 }, { PUT, "/3", 0, 0, 2, 0 },
	  { PUT, "/4", 0, 0, 3, 0 }, { PUT, "/5", 0, 0, 4, 0 }, { OPEN, 0, 0, 0, 1, 0 },
	  { GET, "/3", 0, 1, 2, 1 }, { GET, "/4", 0, 1, 3, 1 }, { GET, "/5", 0, 1, 4, 1 },
	  { GET, "/1", 0, 1, 0, 0 }, { COUNT, 0, 0, 0, 0, 3 }),
#undef S
};

#define SLOTS 8

static int is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void run_script(const struct script *sc)
{
	struct fcache *fc = fcache_new(sc->max, sc->valid);
	struct fcache_entry *slot[SLOTS] = { 0 };
	int fds[SLOTS];
	char msg[64];

	assert_non_null(fc);
	for (int i = 0; i < SLOTS; i++)
		fds[i] = -1;
	for (const struct step *s = sc->s; s->op != END; s++) {
		struct fcache_entry *e;
		char *body;

		snprintf(msg, sizeof(msg), "script of line %d, step %d", sc->line, (int)(s - sc->s));
		switch (s->op) {
		case PUT:
		case PUTB:
			fds[s->k] = open("/dev/null", O_RDONLY | O_CLOEXEC);
			assert_true(fds[s->k] >= 0);
			body = s->op == PUTB ? strdup("0123456789") : NULL;
			slot[s->k] = fcache_put(fc, s->path, s->policy, fds[s->k], 10, MTIME, body, s->t);
			if (slot[s->k] == NULL)
				fail_msg("%s: put failed", msg);
			assert_string_equal(slot[s->k]->etag, "\"6553f100-a\"");
			assert_string_equal(slot[s->k]->lm, "Tue, 14 Nov 2023 22:13:20 GMT");
			if (body)
				assert_memory_equal(slot[s->k]->body, "0123456789", 10);
			break;
		case GET:
			e = fcache_get(fc, s->path, s->policy, s->t);
			if ((e != NULL) != s->want || (e != NULL && e != slot[s->k]))
				fail_msg("%s: get %s gave %p", msg, s->path, (void *)e);
			break;
		case HOLD:
			fcache_hold(slot[s->k]);
			break;
		case REL:
			fcache_release(slot[s->k]);
			break;
		case FORGET:
			fcache_forget(fc, s->path);
			break;
		case CLEAR:
			fcache_clear(fc);
			break;
		case OPEN:
			if (is_open(fds[s->k]) != s->want)
				fail_msg("%s: descriptor of slot %d open: %d", msg, s->k, !s->want);
			break;
		case COUNT:
			if (fcache_count(fc) != (size_t)s->want)
				fail_msg("%s: %zu entries", msg, fcache_count(fc));
			break;
		case END:
			break;
		}
	}
	fcache_free(fc);
	/* Everything not held is closed by now. */
	for (int i = 0; i < SLOTS; i++)
		if (fds[i] >= 0 && is_open(fds[i]))
			fail_msg("script of line %d: slot %d still open after free", sc->line, i);
}

static void test_scripts(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++)
		run_script(&scripts[i]);
}

/* Copies are bounded per file and in all. */
static void test_body_budget(void **state)
{
	struct fcache *fc = fcache_new(10000, 1000);
	size_t kept = 0;
	char path[32];

	(void)state;
	assert_non_null(fc);
	assert_true(fcache_wants_body(fc, FCACHE_BODY_MAX));
	assert_false(fcache_wants_body(fc, FCACHE_BODY_MAX + 1));
	assert_false(fcache_wants_body(NULL, 1));
	for (int i = 0; fcache_wants_body(fc, FCACHE_BODY_MAX); i++) {
		char *b = calloc(1, FCACHE_BODY_MAX);
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		assert_non_null(b);
		snprintf(path, sizeof(path), "/f%d", i);
		assert_non_null(fcache_put(fc, path, 0, fd, FCACHE_BODY_MAX, MTIME, b, 0));
		kept += FCACHE_BODY_MAX;
		assert_true(kept <= FCACHE_BODY_BUDGET);
	}
	assert_true(kept + FCACHE_BODY_MAX > FCACHE_BODY_BUDGET);
	/* Over the budget a put with a copy is refused: the caller keeps it. */
	{
		char *b = calloc(1, FCACHE_BODY_MAX);
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		assert_null(fcache_put(fc, "/over", 0, fd, FCACHE_BODY_MAX, MTIME, b, 0));
		assert_true(is_open(fd));
		close(fd);
		free(b);
	}
	/* Dropping one gives its room back. */
	fcache_forget(fc, "/f0");
	assert_true(fcache_wants_body(fc, FCACHE_BODY_MAX));
	fcache_free(fc);
}

/* A failed lookup is remembered like a file: its status, no descriptor,
 * under the same key rules, dropped when it expires. */
static void test_status_entries(void **state)
{
	struct fcache *fc = fcache_new(2, 100);
	struct fcache_entry *e;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	(void)state;
	assert_non_null(fc);
	e = fcache_put_status(fc, "/missing", 0, 404, 0);
	assert_non_null(e);
	assert_int_equal(e->status, 404);
	assert_int_equal(e->fd, -1);
	assert_ptr_equal(fcache_get(fc, "/missing", 0, 50), e);
	assert_null(fcache_get(fc, "/missing", 7, 50));
	/* A file put under the same key replaces it. */
	e = fcache_put(fc, "/missing", 0, fd, 10, MTIME, NULL, 60);
	assert_non_null(e);
	assert_int_equal(e->status, 0);
	assert_ptr_equal(fcache_get(fc, "/missing", 0, 61), e);
	assert_true(is_open(fd));
	/* And the other way round: the descriptor is closed. */
	assert_non_null(fcache_put_status(fc, "/missing", 0, 404, 70));
	assert_false(is_open(fd));
	assert_null(fcache_get(fc, "/missing", 0, 170));
	assert_int_equal(fcache_count(fc), 0);
	fcache_free(fc);
}

static void test_new_limits(void **state)
{
	(void)state;
	assert_null(fcache_new(0, 1000));
	assert_null(fcache_get(NULL, "/a", 0, 0));
	assert_int_equal(fcache_count(NULL), 0);
	fcache_clear(NULL);
	fcache_forget(NULL, "/a");
	fcache_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scripts),
		cmocka_unit_test(test_body_budget),
		cmocka_unit_test(test_status_entries),
		cmocka_unit_test(test_new_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
