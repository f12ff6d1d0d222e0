/* Harness for uri_normalize(), uri_remove_dots() and uri_encode_path()
 * (src/uri.c).
 *
 * Input: a request-target.  Oracles for uri_normalize:
 *   - the status is 0, 400 or 414; on 0 the path starts with '/', is
 *     NUL-terminated at *olen, has no control character, no "//", no
 *     "/./" or "/../" and does not end in "/." or "/..";
 *   - the query slice lies inside the target;
 *   - a smaller output buffer (exact-size heap blocks: 0, 1, olen,
 *     olen + 1 bytes and one size chosen by the input) gives either the
 *     same path or 414, and room for the whole target is always enough;
 *   - idempotence: normalising the result gives the same path (when it
 *     has no '%', '?' or '#', which would be read as syntax again);
 *   - round trip: uri_encode_path() of the result, normalised, gives the
 *     result back.
 * For uri_remove_dots (on the input up to its first NUL): the output is
 * never longer than the input, is NUL-terminated, and removing dots from
 * it again changes nothing. */

#include "fuzz.h"
#include "uri.h"

static int has(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= n; i++)
		if (memcmp(s + i, needle, k) == 0)
			return 1;
	return 0;
}

static int ends(const char *s, size_t n, const char *tail)
{
	size_t k = strlen(tail);

	return n >= k && memcmp(s + n - k, tail, k) == 0;
}

/* Normalises target into an exact-size heap buffer of outlen bytes;
 * returns the status, the result in *res (caller frees) and *rlen. */
static int normalize(const char *t, size_t tlen, size_t outlen, char **res,
		     size_t *rlen)
{
	char *out = malloc(outlen);
	struct slice q;
	size_t olen = 12345;
	int st;

	if (out == NULL && outlen > 0)
		abort();
	st = uri_normalize((struct slice){ t, tlen }, out, outlen, &olen, &q);
	FUZZ_CHECK(st == 0 || st == 400 || st == 414);
	FUZZ_CHECK(fuzz_inside(t, tlen, q.p, q.len));
	if (st == 0) {
		size_t i;

		FUZZ_CHECK(olen < outlen);
		FUZZ_CHECK(out[olen] == '\0');
		FUZZ_CHECK(olen >= 1 && out[0] == '/');
		for (i = 0; i < olen; i++)
			FUZZ_CHECK((unsigned char)out[i] >= 0x20 &&
				   out[i] != 0x7f);
		FUZZ_CHECK(!has(out, olen, "//"));
		FUZZ_CHECK(!has(out, olen, "/./"));
		FUZZ_CHECK(!has(out, olen, "/../"));
		FUZZ_CHECK(!ends(out, olen, "/."));
		FUZZ_CHECK(!ends(out, olen, "/.."));
		/* Query and path do not overlap in the target. */
		if (q.len)
			FUZZ_CHECK(q.p > t && q.p[-1] == '?');
	}
	*res = out;
	*rlen = olen;
	return st;
}

static void check_normalize(const char *t, size_t tlen)
{
	char *big, *small, *again, *enc;
	size_t blen, slen, alen, elen, sizes[5];
	int st, st2, i;

	st = normalize(t, tlen, tlen + 2, &big, &blen);
	if (st != 0) {
		free(big);
		return;
	}
	/* Smaller buffers: the same path or 414. */
	sizes[0] = 0;
	sizes[1] = 1;
	sizes[2] = blen;
	sizes[3] = blen + 1;
	sizes[4] = tlen ? (unsigned char)t[tlen - 1] % (tlen + 1) : 0;
	for (i = 0; i < 5; i++) {
		st2 = normalize(t, tlen, sizes[i], &small, &slen);
		FUZZ_CHECK(st2 == 0 || st2 == 414);
		if (st2 == 0)
			FUZZ_CHECK(slen == blen && memcmp(small, big, blen) == 0);
		free(small);
	}
	st2 = normalize(t, tlen, tlen + 1, &small, &slen);
	FUZZ_CHECK(st2 == 0);
	free(small);

	/* Idempotence. */
	if (memchr(big, '%', blen) == NULL && memchr(big, '?', blen) == NULL &&
	    memchr(big, '#', blen) == NULL) {
		char *copy = fuzz_dup(big, blen);

		st2 = normalize(copy, blen, blen + 2, &again, &alen);
		FUZZ_CHECK(st2 == 0);
		FUZZ_CHECK(alen == blen && memcmp(again, big, blen) == 0);
		free(again);
		free(copy);
	}

	/* Encode, then normalise: the same path. */
	enc = fuzz_alloc(3 * blen + 1);
	elen = uri_encode_path(big, blen, enc, 3 * blen + 1);
	FUZZ_CHECK(elen != (size_t)-1 && elen <= 3 * blen);
	FUZZ_CHECK(enc[elen] == '\0');
	/* One byte short never fits. */
	FUZZ_CHECK(uri_encode_path(big, blen, enc, elen) == (size_t)-1);
	{
		char *copy = fuzz_dup(enc, elen);

		st2 = normalize(copy, elen, elen + 2, &again, &alen);
		FUZZ_CHECK(st2 == 0);
		FUZZ_CHECK(alen == blen && memcmp(again, big, blen) == 0);
		free(again);
		free(copy);
	}
	free(enc);
	free(big);
}

static void check_remove_dots(const char *in, size_t len)
{
	char *out = fuzz_alloc(len + 1), *out2, *copy;
	size_t n, n2;

	n = uri_remove_dots(in, len, out);
	FUZZ_CHECK(n <= len);
	FUZZ_CHECK(out[n] == '\0' && strlen(out) == n);
	copy = fuzz_dup(out, n);
	out2 = fuzz_alloc(n + 1);
	n2 = uri_remove_dots(copy, n, out2);
	FUZZ_CHECK(n2 == n && memcmp(out2, out, n) == 0);
	free(out2);
	free(copy);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nul = memchr(data, '\0', size);
	char *t = fuzz_dup(data, size);

	check_normalize(t, size);
	check_remove_dots(t, nul ? (size_t)(nul - (const char *)data) : size);
	free(t);
	return 0;
}
