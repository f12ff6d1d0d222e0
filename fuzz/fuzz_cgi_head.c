/* Harness for cgi_head_parse() and cgi_head_kind() (src/cgi_head.c).
 *
 * Input: what a CGI program wrote to its standard output.  Oracles:
 *   - the result is -2, -1 or a length in 1..min(size, CGI_HEAD_MAX);
 *   - on success every slice lies inside the header section, nfields is
 *     in range, the status is 0 or 100..599, cgi_head_kind() gives one of
 *     the three kinds, and a local redirect has a Location "/..." and no
 *     Status;
 *   - prefixes (every one for inputs up to FULL_PREFIX_MAX bytes, else
 *     the first and last 256, 64 spread ones and one chosen by the first
 *     two bytes), each from an exact-size heap copy: a prefix of a
 *     complete section shorter than it is -2, a longer one gives the same
 *     length and fields; a prefix of a malformed input is -2 or -1; a
 *     prefix of an incomplete input is -2.
 *
 * Built with FUZZ_FAST (make fuzz FUZZ_MODE=fast) only the whole input
 * and the one split point chosen by its first two bytes are checked. */

#include "fuzz.h"
#include "cgi_head.h"

#define FULL_PREFIX_MAX 2048

static void check_one(const char *buf, size_t len, int r,
		      const struct cgi_head *h)
{
	size_t i, n;

	FUZZ_CHECK(r == -2 || r == -1 || (r > 0 && (size_t)r <= len));
	FUZZ_CHECK(r <= CGI_HEAD_MAX);
	if (r == -2)
		FUZZ_CHECK(len < CGI_HEAD_MAX);
	if (r <= 0)
		return;
	n = (size_t)r;
	FUZZ_CHECK(buf[n - 1] == '\n');
	FUZZ_CHECK(h->status == 0 || (h->status >= 100 && h->status <= 599));
	FUZZ_CHECK(fuzz_inside(buf, n, h->reason.p, h->reason.len));
	FUZZ_CHECK(fuzz_inside(buf, n, h->content_type.p, h->content_type.len));
	FUZZ_CHECK(fuzz_inside(buf, n, h->location.p, h->location.len));
	FUZZ_CHECK(h->nfields <= CGI_FIELDS_MAX);
	for (i = 0; i < h->nfields; i++) {
		FUZZ_CHECK(h->fields[i].name.len > 0);
		FUZZ_CHECK(fuzz_inside(buf, n, h->fields[i].name.p,
				       h->fields[i].name.len));
		FUZZ_CHECK(fuzz_inside(buf, n, h->fields[i].value.p,
				       h->fields[i].value.len));
	}
	switch (cgi_head_kind(h)) {
	case CGI_LOCAL_REDIRECT:
		FUZZ_CHECK(h->location.len > 0 && h->location.p[0] == '/');
		FUZZ_CHECK(h->status == 0);
		break;
	case CGI_CLIENT_REDIRECT:
		FUZZ_CHECK(h->location.len > 0 && h->location.p[0] != '/');
		break;
	case CGI_DOCUMENT:
		break;
	default:
		FUZZ_CHECK(!"unknown kind");
	}
}

static int same_slice(const char *a, struct slice sa, const char *b,
		      struct slice sb)
{
	return sa.len == sb.len &&
	       (sa.len == 0 || fuzz_off(a, sa.p) == fuzz_off(b, sb.p));
}

static void check_same(const char *a, const struct cgi_head *ha,
		       const char *b, const struct cgi_head *hb)
{
	size_t i;

	FUZZ_CHECK(ha->status == hb->status);
	FUZZ_CHECK(same_slice(a, ha->reason, b, hb->reason));
	FUZZ_CHECK(same_slice(a, ha->content_type, b, hb->content_type));
	FUZZ_CHECK(same_slice(a, ha->location, b, hb->location));
	FUZZ_CHECK(ha->has_content_length == hb->has_content_length);
	if (ha->has_content_length)
		FUZZ_CHECK(ha->content_length == hb->content_length);
	FUZZ_CHECK(ha->nfields == hb->nfields);
	for (i = 0; i < ha->nfields; i++) {
		FUZZ_CHECK(same_slice(a, ha->fields[i].name, b,
				      hb->fields[i].name));
		FUZZ_CHECK(same_slice(a, ha->fields[i].value, b,
				      hb->fields[i].value));
	}
	FUZZ_CHECK(cgi_head_kind(ha) == cgi_head_kind(hb));
}

static void check_prefix(const uint8_t *data, size_t k, const char *whole,
			 int rw, const struct cgi_head *hw, struct cgi_head *hp)
{
	char *p = fuzz_dup(data, k);
	int r = cgi_head_parse(p, k, hp);

	check_one(p, k, r, hp);
	if (rw >= 0 && k < (size_t)rw)
		FUZZ_CHECK(r == -2);
	else if (rw >= 0) {
		FUZZ_CHECK(r == rw);
		check_same(whole, hw, p, hp);
	} else if (rw == -1)
		FUZZ_CHECK(r == -2 || r == -1);
	else
		FUZZ_CHECK(r == -2);
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cgi_head *hw = fuzz_alloc(sizeof(*hw));
	struct cgi_head *hp = fuzz_alloc(sizeof(*hp));
	char *whole = fuzz_dup(data, size);
	int rw = cgi_head_parse(whole, size, hw);
	size_t k;

	check_one(whole, size, rw, hw);
#ifdef FUZZ_FAST
	/* Fast mode: one prefix, chosen by the input. */
	(void)k;
	if (size >= 2)
		check_prefix(data, ((size_t)data[0] | (size_t)data[1] << 8) % size,
			     whole, rw, hw, hp);
#else
	if (size <= FULL_PREFIX_MAX) {
		for (k = 0; k < size; k++)
			check_prefix(data, k, whole, rw, hw, hp);
	} else {
		size_t step = size / 64;

		for (k = 0; k < 256; k++)
			check_prefix(data, k, whole, rw, hw, hp);
		for (k = size - 256; k < size; k++)
			check_prefix(data, k, whole, rw, hw, hp);
		for (k = step; k < size; k += step)
			check_prefix(data, k, whole, rw, hw, hp);
		check_prefix(data, ((size_t)data[0] | (size_t)data[1] << 8) % size,
			     whole, rw, hw, hp);
	}
#endif
	free(whole);
	free(hp);
	free(hw);
	return 0;
}
