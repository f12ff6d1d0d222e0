/* Harness for chunked_decode() (src/chunked.c).
 *
 * Input: a chunked message body, possibly followed by the next request.
 * It is decoded whole, in two pieces (every cut point for inputs up to
 * ALL_CUTS_MAX bytes, else 16 spread points and one chosen by the input's
 * first two bytes) and one byte at a time, each piece in a heap block of
 * its exact size.  Oracles:
 *   - every feed gives the same end (-2 / -1 / done), and unless it
 *     failed the same decoded bytes and, when done, the same left-over
 *     bytes, which are exactly the tail of the input;
 *   - st.total equals the number of decoded bytes;
 *   - the state is DONE after a result >= 0, FAILED after -1, and both
 *     stay put when fed more;
 *   - chunked_pending() is 0 outside chunk data, and total plus it stays
 *     within 2^63 - 1.
 *
 * Built with FUZZ_FAST (make fuzz FUZZ_MODE=fast) only the whole input
 * and the one split point chosen by its first two bytes are checked. */

#include <sys/types.h>
#include "fuzz.h"
#include "chunked.h"

#define ALL_CUTS_MAX 256

enum { MORE = -2, FAILS = -1, DONE = 0 };

struct result {
	int end;
	char *body;
	size_t body_len;
	size_t rest_len;
	uint64_t total;
};

/* Feeds in[0..len) cut at the ascending offsets cuts[0..ncuts).  The
 * left-over bytes are those the decoder left after the end plus the
 * pieces never fed. */
static void feed(const uint8_t *in, size_t len, const size_t *cuts,
		 size_t ncuts, struct result *r)
{
	struct chunked st;
	size_t from = 0, i;

	memset(&st, 0, sizeof(st));
	r->end = MORE;
	r->body = fuzz_alloc(len);
	r->body_len = 0;
	r->rest_len = 0;
	for (i = 0; i <= ncuts && r->end == MORE; i++) {
		size_t to = i < ncuts ? cuts[i] : len;
		size_t n = to - from;
		char *piece = fuzz_dup(in + from, n);
		ssize_t rc = chunked_decode(&st, piece, &n);

		FUZZ_CHECK(n <= to - from);
		FUZZ_CHECK(st.state == CHUNKED_DATA || chunked_pending(&st) == 0);
		FUZZ_CHECK(chunked_pending(&st) <= UINT64_C(0x7fffffffffffffff) - st.total);
		memcpy(r->body + r->body_len, piece, n);
		r->body_len += n;
		if (rc == -1) {
			r->end = FAILS;
			FUZZ_CHECK(st.state == CHUNKED_FAILED);
		} else if (rc >= 0) {
			r->end = DONE;
			FUZZ_CHECK(st.state == CHUNKED_DONE);
			FUZZ_CHECK(n + (size_t)rc <= to - from);
			/* The left-over bytes are the input's own tail. */
			FUZZ_CHECK(memcmp(piece + n, in + to - (size_t)rc,
					  (size_t)rc) == 0);
			r->rest_len = (size_t)rc + len - to;
		} else {
			FUZZ_CHECK(rc == -2);
			FUZZ_CHECK(st.state != CHUNKED_DONE &&
				   st.state != CHUNKED_FAILED);
		}
		free(piece);
		from = to;
	}
	r->total = st.total;
	if (r->end != FAILS)
		FUZZ_CHECK(st.total == r->body_len);
	if (r->end != MORE) {
		/* DONE and FAILED stay put. */
		char more[3] = { '0', '\r', '\n' };
		size_t n = sizeof(more);
		ssize_t rc = chunked_decode(&st, more, &n);

		if (r->end == FAILS) {
			FUZZ_CHECK(rc == -1);
			FUZZ_CHECK(st.state == CHUNKED_FAILED);
		} else {
			FUZZ_CHECK(rc == 3 && n == 0);
			FUZZ_CHECK(st.state == CHUNKED_DONE);
		}
		FUZZ_CHECK(st.total == r->total);
	}
}

static void check_same(const struct result *a, const struct result *b)
{
	FUZZ_CHECK(a->end == b->end);
	if (a->end == FAILS)
		return;
	FUZZ_CHECK(a->body_len == b->body_len);
	FUZZ_CHECK(memcmp(a->body, b->body, a->body_len) == 0);
	FUZZ_CHECK(a->total == b->total);
	if (a->end == DONE)
		FUZZ_CHECK(a->rest_len == b->rest_len);
}

static void try_cut(const uint8_t *data, size_t size, size_t k,
		    const struct result *whole)
{
	struct result r;

	feed(data, size, &k, 1, &r);
	check_same(whole, &r);
	free(r.body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result whole, bytes;
	size_t *cuts, k;

	feed(data, size, NULL, 0, &whole);
#ifdef FUZZ_FAST
	/* Fast mode: one cut, chosen by the input. */
	(void)cuts;
	(void)k;
	(void)bytes;
	if (size >= 2)
		try_cut(data, size,
			((size_t)data[0] | (size_t)data[1] << 8) % size, &whole);
#else
	if (size <= ALL_CUTS_MAX) {
		for (k = 1; k < size; k++)
			try_cut(data, size, k, &whole);
	} else {
		for (k = 1; k < 16; k++)
			try_cut(data, size, size * k / 16, &whole);
		try_cut(data, size,
			((size_t)data[0] | (size_t)data[1] << 8) % size, &whole);
	}

	/* One byte at a time. */
	cuts = fuzz_alloc(size * sizeof(*cuts));
	for (k = 1; k < size; k++)
		cuts[k - 1] = k;
	feed(data, size, cuts, size ? size - 1 : 0, &bytes);
	check_same(&whole, &bytes);
	free(cuts);
	free(bytes.body);
#endif
	free(whole.body);
	return 0;
}
