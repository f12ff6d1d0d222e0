/* Harness for multipart_boundary(), multipart_init/feed/finish()
 * (src/multipart.c).
 *
 * Input: a Content-Type value, '\n', then the request body.  When the
 * boundary is accepted the body is parsed whole, in two pieces (every cut
 * for bodies up to ALL_CUTS_MAX bytes, else 16 spread cuts and one chosen
 * by the body's first two bytes) and one byte at a time, each piece from
 * an exact-size heap copy.  Every callback is written to an event log
 * (part headers; data runs merged, since the split decides how data is
 * delivered; part ends).  Oracles:
 *   - the boundary is 1..70 bytes, NUL-terminated;
 *   - every feed returns 0, 1 or -1, and every split gives the same event
 *     log, the same last return, the same multipart_finish() result and
 *     the same error message;
 *   - part_data never passes more bytes than were fed in total, and its
 *     pointer lies inside the piece just fed or inside the parser state
 *     (held-back delimiter bytes); begin/end alternate;
 *   - data leaves as maximal slices: within one feed and one part, at
 *     most one slice of the piece, before it at most one of held-back
 *     bytes from the parser state (a failed delimiter candidate inside
 *     the piece never splits the run);
 *   - a callback returning -1 stops the parse with -1 and an error.
 *
 * Built with FUZZ_FAST (make fuzz FUZZ_MODE=fast) only the whole input
 * and the one split point chosen by its first two bytes are checked. */

#include "fuzz.h"
#include "multipart.h"

#define ALL_CUTS_MAX 256

struct rec {
	char *log;
	size_t len, cap;
	size_t data_at;          /* offset of the open data run's length, or 0 */
	size_t data_total;
	int in_part;
	int events, abort_at;    /* abort_at: fail the Nth callback (0: never) */
	const char *piece;       /* the piece being fed */
	size_t piece_len;
	const struct multipart *mp;
	int piece_run, state_run; /* slices of this feed and part so far */
};

static void put(struct rec *r, const void *p, size_t n)
{
	if (r->len + n > r->cap) {
		r->cap = (r->len + n) * 2 + 64;
		r->log = realloc(r->log, r->cap);
		if (r->log == NULL)
			abort();
	}
	memcpy(r->log + r->len, p, n);
	r->len += n;
}

static void put_str(struct rec *r, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	FUZZ_CHECK(n < max); /* NUL-terminated inside its array */
	put(r, &n, sizeof(n));
	put(r, s, n);
}

static int stop(struct rec *r)
{
	return r->abort_at != 0 && ++r->events == r->abort_at ? -1 : 0;
}

static int on_begin(void *ctx, const struct multipart_part *p)
{
	struct rec *r = ctx;

	FUZZ_CHECK(!r->in_part);
	r->in_part = 1;
	r->piece_run = r->state_run = 0;
	r->data_at = 0;
	put(r, "B", 1);
	put_str(r, p->name, sizeof(p->name));
	put_str(r, p->filename, sizeof(p->filename));
	FUZZ_CHECK(p->has_filename == 0 || p->has_filename == 1);
	put(r, p->has_filename ? "1" : "0", 1);
	put_str(r, p->content_type, sizeof(p->content_type));
	return stop(r);
}

static int on_data(void *ctx, const char *data, size_t n)
{
	struct rec *r = ctx;
	const char *m = (const char *)r->mp;

	FUZZ_CHECK(r->in_part);
	FUZZ_CHECK(n > 0);
	if (fuzz_inside(r->piece, r->piece_len, data, n)) {
		FUZZ_CHECK(!r->piece_run);
		r->piece_run = 1;
	} else {
		FUZZ_CHECK(fuzz_inside(m, sizeof(*r->mp), data, n));
		FUZZ_CHECK(!r->piece_run && !r->state_run);
		r->state_run = 1;
	}
	r->data_total += n;
	if (r->data_at == 0) {
		size_t zero = 0;

		put(r, "D", 1);
		r->data_at = r->len;
		put(r, &zero, sizeof(zero));
	}
	{
		size_t run;

		memcpy(&run, r->log + r->data_at, sizeof(run));
		run += n;
		memcpy(r->log + r->data_at, &run, sizeof(run));
	}
	put(r, data, n);
	return stop(r);
}

static int on_end(void *ctx)
{
	struct rec *r = ctx;

	FUZZ_CHECK(r->in_part);
	r->in_part = 0;
	r->piece_run = r->state_run = 0;
	r->data_at = 0;
	put(r, "E", 1);
	return stop(r);
}

struct result {
	struct rec rec;
	int ret, fin;
	const char *err;
};

/* Feeds body[0..len) cut at cuts[0..ncuts) (ascending). */
static void run(const char *boundary, const uint8_t *body, size_t len,
		const size_t *cuts, size_t ncuts, int abort_at,
		struct result *res)
{
	struct multipart *mp = fuzz_alloc(sizeof(*mp));
	struct multipart_cb cb = { on_begin, on_data, on_end, &res->rec };
	size_t from = 0, i;

	memset(res, 0, sizeof(*res));
	res->rec.abort_at = abort_at;
	res->rec.mp = mp;
	multipart_init(mp, boundary);
	for (i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : len;
		char *piece = fuzz_dup(body + from, to - from);
		int prev = res->ret;

		res->rec.piece = piece;
		res->rec.piece_len = to - from;
		res->rec.piece_run = res->rec.state_run = 0;
		res->ret = multipart_feed(mp, piece, to - from, &cb);
		FUZZ_CHECK(res->ret == 0 || res->ret == 1 || res->ret == -1);
		/* Done and failed stay put. */
		if (prev != 0)
			FUZZ_CHECK(res->ret == prev);
		free(piece);
		from = to;
	}
	FUZZ_CHECK(res->rec.data_total <= len);
	res->fin = multipart_finish(mp);
	FUZZ_CHECK(res->fin == 0 || res->fin == -1);
	FUZZ_CHECK((res->fin == 0) == (res->ret == 1));
	if (res->ret == -1)
		FUZZ_CHECK(mp->err != NULL);
	res->err = mp->err;
	free(mp);
}

static void check_same(const struct result *a, const struct result *b)
{
	FUZZ_CHECK(a->ret == b->ret);
	FUZZ_CHECK(a->fin == b->fin);
	FUZZ_CHECK(a->rec.len == b->rec.len);
	FUZZ_CHECK(a->rec.len == 0 ||
		   memcmp(a->rec.log, b->rec.log, a->rec.len) == 0);
	FUZZ_CHECK((a->err == NULL) == (b->err == NULL));
	if (a->err != NULL)
		FUZZ_CHECK(strcmp(a->err, b->err) == 0);
}

static void try_cut(const char *boundary, const uint8_t *body, size_t len,
		    size_t k, const struct result *whole)
{
	struct result r;

	run(boundary, body, len, &k, 1, 0, &r);
	check_same(whole, &r);
	free(r.rec.log);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ctlen = nl ? (size_t)(nl - data) : size, blen, k, *cuts;
	const uint8_t *body = nl ? nl + 1 : data + size;
	char boundary[MULTIPART_BOUNDARY_MAX + 1 + 8];
	char *ct = fuzz_dup(data, ctlen);
	struct result whole, bytes, ab;
	int rc;

	memset(boundary, 'X', sizeof(boundary));
	rc = multipart_boundary((struct slice){ ctlen ? ct : NULL, ctlen },
				boundary);
	free(ct);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc != 0)
		return 0;
	FUZZ_CHECK(memchr(boundary, '\0', MULTIPART_BOUNDARY_MAX + 1) != NULL);
	FUZZ_CHECK(strlen(boundary) >= 1);
	blen = size - (size_t)(body - data);

	run(boundary, body, blen, NULL, 0, 0, &whole);
#ifdef FUZZ_FAST
	/* Fast mode: one cut, chosen by the input. */
	(void)cuts;
	(void)k;
	(void)bytes;
	if (blen >= 2)
		try_cut(boundary, body, blen,
			((size_t)body[0] | (size_t)body[1] << 8) % blen, &whole);
#else
	if (blen <= ALL_CUTS_MAX) {
		for (k = 1; k < blen; k++)
			try_cut(boundary, body, blen, k, &whole);
	} else {
		for (k = 1; k < 16; k++)
			try_cut(boundary, body, blen, blen * k / 16, &whole);
		try_cut(boundary, body, blen,
			((size_t)body[0] | (size_t)body[1] << 8) % blen, &whole);
	}

	cuts = fuzz_alloc(blen * sizeof(*cuts));
	for (k = 1; k < blen; k++)
		cuts[k - 1] = k;
	run(boundary, body, blen, cuts, blen ? blen - 1 : 0, 0, &bytes);
	check_same(&whole, &bytes);
	free(cuts);
	free(bytes.rec.log);
#endif

	/* A callback that says stop at the second event. */
	run(boundary, body, blen, NULL, 0, 2, &ab);
	if (ab.rec.events >= 2) {
		FUZZ_CHECK(ab.ret == -1 && ab.fin == -1 && ab.err != NULL);
	} else {
		FUZZ_CHECK(ab.ret == whole.ret && ab.fin == whole.fin);
	}
	free(ab.rec.log);
	free(whole.rec.log);
	return 0;
}
