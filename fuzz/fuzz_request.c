/* Harness for request_parse() (src/request.c).
 *
 * Input: the raw bytes a client sent.  Oracles:
 *   - the return value is -2, -1 or a head length in 1..size;
 *   - on -1 the status is one of 400, 414, 417, 431, 501, 505;
 *   - on success every slice lies inside the head, nfields is in range,
 *     the framing is consistent with the method and fields;
 *   - split-feed consistency: the parser re-scans a growing buffer, so a
 *     feed in two parts is "prefix, then whole" and byte by byte is every
 *     prefix in turn.  The first result other than -2 must equal the whole
 *     input's result (same return, same status, same head with slices
 *     compared as offsets).  Every prefix is tried for inputs up to
 *     FULL_PREFIX_MAX bytes; longer inputs try the first and last 256
 *     prefixes, 64 evenly spaced ones and one point chosen by the input's
 *     first two bytes.  Each prefix is a heap copy of its exact size;
 *   - resumed feed: the same prefixes, in ascending order, given to one
 *     request_parse_resume() scan state (each from its own copy, so the
 *     buffer moves between calls) end with the whole input's result at
 *     the first decisive one; -2 leaves no slice, a decision leaves the
 *     state zeroed;
 *   - a parsed head has a method of at most REQUEST_METHOD_MAX bytes, a
 *     target of printable ASCII without "#", and a non-empty Host when
 *     one is given. */

#include "fuzz.h"
#include "request.h"

#define FULL_PREFIX_MAX 2048

/* The head in *h of a parse of buf (ret > 0) is well formed. */
static void check_head(const char *buf, int ret, const struct request_head *h)
{
	size_t i, n = (size_t)ret;

	FUZZ_CHECK(fuzz_inside(buf, n, h->method.p, h->method.len));
	FUZZ_CHECK(h->method.len > 0);
	FUZZ_CHECK(fuzz_inside(buf, n, h->target.p, h->target.len));
	FUZZ_CHECK(h->target.len > 0);
	FUZZ_CHECK(fuzz_inside(buf, n, h->host.p, h->host.len));
	FUZZ_CHECK(h->method.len <= REQUEST_METHOD_MAX);
	for (i = 0; i < h->target.len; i++)
		FUZZ_CHECK(h->target.p[i] > 0x20 && h->target.p[i] < 0x7f &&
			   h->target.p[i] != '#');
	if (request_field(h, "host") != NULL)
		FUZZ_CHECK(h->host.len > 0);
	FUZZ_CHECK(h->nfields <= REQUEST_FIELDS_MAX);
	FUZZ_CHECK(h->major == 1);
	FUZZ_CHECK(h->minor == 0 || h->minor == 1);
	FUZZ_CHECK(h->keep_alive == 0 || h->keep_alive == 1);
	FUZZ_CHECK(h->expect_continue == 0 || h->expect_continue == 1);
	FUZZ_CHECK(h->framing == FRAMING_NONE || h->framing == FRAMING_LENGTH ||
		   h->framing == FRAMING_CHUNKED);
	FUZZ_CHECK(h->method_id >= METHOD_UNKNOWN &&
		   h->method_id <= METHOD_PATCH);
	for (i = 0; i < h->nfields; i++) {
		const struct header_field *f = &h->fields[i];

		FUZZ_CHECK(fuzz_inside(buf, n, f->name.p, f->name.len));
		FUZZ_CHECK(f->name.len > 0);
		FUZZ_CHECK(fuzz_inside(buf, n, f->value.p, f->value.len));
		if (f->value.len > 0) {
			FUZZ_CHECK(f->value.p[0] != ' ' && f->value.p[0] != '\t');
			FUZZ_CHECK(f->value.p[f->value.len - 1] != ' ' &&
				   f->value.p[f->value.len - 1] != '\t');
		}
	}
	/* HTTP/1.1 requires Host (RFC 9112 3.2). */
	if (h->minor == 1)
		FUZZ_CHECK(request_field(h, "host") != NULL);
	if (h->framing == FRAMING_CHUNKED)
		FUZZ_CHECK(request_field(h, "transfer-encoding") != NULL);
	if (h->framing == FRAMING_LENGTH)
		FUZZ_CHECK(request_field(h, "content-length") != NULL);
}

static void check_one(const char *buf, size_t len, int ret,
		      const struct request_head *h)
{
	FUZZ_CHECK(ret == -2 || ret == -1 || (ret > 0 && (size_t)ret <= len));
	if (ret == -1)
		FUZZ_CHECK(h->status == 400 || h->status == 414 ||
			   h->status == 417 || h->status == 431 ||
			   h->status == 501 || h->status == 505);
	if (ret > 0)
		check_head(buf, ret, h);
}

static int same_slice(const char *a, struct slice sa, const char *b,
		      struct slice sb)
{
	if (sa.len != sb.len)
		return 0;
	return sa.len == 0 || fuzz_off(a, sa.p) == fuzz_off(b, sb.p);
}

/* Results of two parses (of a and b) agree. */
static void check_same(const char *a, int ra, const struct request_head *ha,
		       const char *b, int rb, const struct request_head *hb)
{
	size_t i;

	FUZZ_CHECK(ra == rb);
	if (ra == -1)
		FUZZ_CHECK(ha->status == hb->status);
	if (ra <= 0)
		return;
	FUZZ_CHECK(same_slice(a, ha->method, b, hb->method));
	FUZZ_CHECK(ha->method_id == hb->method_id);
	FUZZ_CHECK(same_slice(a, ha->target, b, hb->target));
	FUZZ_CHECK(ha->major == hb->major && ha->minor == hb->minor);
	FUZZ_CHECK(ha->framing == hb->framing);
	if (ha->framing == FRAMING_LENGTH)
		FUZZ_CHECK(ha->content_length == hb->content_length);
	FUZZ_CHECK(same_slice(a, ha->host, b, hb->host));
	FUZZ_CHECK(ha->keep_alive == hb->keep_alive);
	FUZZ_CHECK(ha->expect_continue == hb->expect_continue);
	FUZZ_CHECK(ha->nfields == hb->nfields);
	for (i = 0; i < ha->nfields; i++) {
		FUZZ_CHECK(same_slice(a, ha->fields[i].name, b,
				      hb->fields[i].name));
		FUZZ_CHECK(same_slice(a, ha->fields[i].value, b,
				      hb->fields[i].value));
	}
}

/* Parses the prefix data[0..k) from its own exact-size copy and checks
 * it against the whole input's result.  Returns 1 when the prefix
 * decided (result other than -2). */
static int check_prefix(const uint8_t *data, size_t k, const char *whole,
			int rw, const struct request_head *hw,
			struct request_head *hp)
{
	char *p = fuzz_dup(data, k);
	int rp;

	memset(hp, 0xa5, sizeof(*hp));
	rp = request_parse(p, k, hp);
	check_one(p, k, rp, hp);
	if (rp != -2)
		check_same(whole, rw, hw, p, rp, hp);
	free(p);
	return rp != -2;
}

/* Resumed feed of data[0..k) for each k in turn: the first decisive
 * result must be the whole input's.  Returns 1 once decided. */
__attribute__((unused))
static int resume_prefix(struct request_scan *sc, const uint8_t *data,
			 size_t k, const char *whole, int rw,
			 const struct request_head *hw, struct request_head *hp)
{
	static const struct request_scan zero;
	char *p = fuzz_dup(data, k);
	int rp;

	memset(hp, 0xa5, sizeof(*hp));
	rp = request_parse_resume(sc, p, k, hp);
	check_one(p, k, rp, hp);
	if (rp == -2) {
		FUZZ_CHECK(hp->method.p == NULL && hp->target.p == NULL &&
			   hp->nfields == 0);
	} else {
		check_same(whole, rw, hw, p, rp, hp);
		FUZZ_CHECK(memcmp(sc, &zero, sizeof(zero)) == 0);
	}
	free(p);
	return rp != -2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct request_head hw, hp;
	char *whole = fuzz_dup(data, size);
	int rw;

	memset(&hw, 0x5a, sizeof(hw));
	rw = request_parse(whole, size, &hw);
	check_one(whole, size, rw, &hw);

#ifdef FUZZ_FAST
	/* Fast mode: one prefix, chosen by the input. */
	if (size >= 2)
		check_prefix(data, ((size_t)data[0] | (size_t)data[1] << 8) % size,
			     whole, rw, &hw, &hp);
#else
	struct request_scan sc;
	size_t k;
	int done = 0;

	memset(&sc, 0, sizeof(sc));
	if (size <= FULL_PREFIX_MAX) {
		/* Byte by byte: the first decisive prefix is the result;
		 * after it, each longer prefix must say the same. */
		for (k = 0; k < size; k++) {
			check_prefix(data, k, whole, rw, &hw, &hp);
			if (!done)
				done = resume_prefix(&sc, data, k, whole, rw, &hw, &hp);
		}
	} else {
		size_t step = size / 64, pick;

		pick = ((size_t)data[0] | (size_t)data[1] << 8) % size;
		for (k = 0; k < 256; k++) {
			check_prefix(data, k, whole, rw, &hw, &hp);
			if (!done)
				done = resume_prefix(&sc, data, k, whole, rw, &hw, &hp);
		}
		for (k = step; k < size; k += step) {
			check_prefix(data, k, whole, rw, &hw, &hp);
			if (!done && k >= 256 && k < size - 256)
				done = resume_prefix(&sc, data, k, whole, rw, &hw, &hp);
		}
		for (k = size - 256; k < size; k++) {
			check_prefix(data, k, whole, rw, &hw, &hp);
			if (!done)
				done = resume_prefix(&sc, data, k, whole, rw, &hw, &hp);
		}
		check_prefix(data, pick, whole, rw, &hw, &hp);
	}
	if (!done)
		resume_prefix(&sc, data, size, whole, rw, &hw, &hp);
#endif
	free(whole);
	return 0;
}
