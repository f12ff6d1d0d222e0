/* Harness for proxy_parse() (src/proxy.c), PROXY protocol v1 and v2.
 *
 * Input: the bytes a client sends first on a proxy_protocol listener.
 * Oracles:
 * - the result is PROXY_AGAIN, PROXY_ERROR or a length 1..size, at most
 *   PROXY_V1_MAX for a v1 line (starts with 'P') and PROXY_V2_MAX for
 *   v2; PROXY_AGAIN never once those bounds are in the buffer;
 * - the same bytes give the same result and header;
 * - split feeds (the connection re-parses its buffer after each read,
 *   so a feed split anywhere is a prefix): for a header of length n,
 *   every shorter prefix is PROXY_AGAIN and the header alone gives n
 *   and the same fields; for an error, no prefix is a header and once a
 *   prefix is an error every longer one is; for "read more", every
 *   prefix is too;
 * - a v1 TCP4/TCP6 header or a v2 one carrying an address, written
 *   back as a v1 line from its fields, parses to the same addresses and
 *   ports (an IPv4-mapped IPv6 address written with its dotted tail,
 *   as inet_ntop and HAProxy write it, included);
 * - the source as text (proxy_src_text) names the same address, IPv4
 *   for an IPv4-mapped one;
 * - a LOCAL or UNKNOWN header carries no address.
 * Built with FUZZ_FAST only one input-chosen prefix is tried. */

#include <arpa/inet.h>

#include "fuzz.h"
#include "proxy.h"

static int parse(const uint8_t *p, size_t n, struct proxy_hdr *h)
{
	uint8_t *copy = (uint8_t *)fuzz_dup(p, n);
	int r;

	memset(h, 0xa5, sizeof(*h));
	r = proxy_parse(copy, n, h);
	free(copy);
	FUZZ_CHECK(r == PROXY_AGAIN || r == PROXY_ERROR || (r > 0 && (size_t)r <= n));
	if (r > 0) {
		FUZZ_CHECK(h->version == (p[0] == 'P' ? 1 : 2));
		FUZZ_CHECK((size_t)r <= (h->version == 1 ? PROXY_V1_MAX : PROXY_V2_MAX));
		FUZZ_CHECK(h->family == PROXY_UNSPEC || h->family == PROXY_INET ||
			   h->family == PROXY_INET6);
		if (h->local)
			FUZZ_CHECK(h->version == 2 && h->family == PROXY_UNSPEC);
	}
	if (r == PROXY_AGAIN && n > 0)
		FUZZ_CHECK(n < (p[0] == 'P' ? PROXY_V1_MAX : PROXY_V2_MAX));
	return r;
}

static int same(const struct proxy_hdr *a, const struct proxy_hdr *b)
{
	size_t al = a->family == PROXY_INET ? 4 : a->family == PROXY_INET6 ? 16 : 0;

	if (a->version != b->version || a->local != b->local || a->family != b->family)
		return 0;
	if (al == 0)
		return 1;
	return memcmp(a->src, b->src, al) == 0 && memcmp(a->dst, b->dst, al) == 0 &&
	       a->src_port == b->src_port && a->dst_port == b->dst_port;
}

/* Prefix k of an input that gave r; *err: a shorter prefix was an
 * error (prefixes are tried in increasing length). */
static void prefix(const uint8_t *data, size_t k, int r, int *err)
{
	struct proxy_hdr h;
	int rk = parse(data, k, &h);

	if (r > 0)
		FUZZ_CHECK(rk == PROXY_AGAIN);
	else if (r == PROXY_AGAIN)
		FUZZ_CHECK(rk == PROXY_AGAIN);
	else
		FUZZ_CHECK(rk == PROXY_AGAIN || rk == PROXY_ERROR);
	if (*err)
		FUZZ_CHECK(rk == PROXY_ERROR);
	*err |= rk == PROXY_ERROR;
}

/* The v1 line for h's addresses, parsed back. */
static void round_trip(const struct proxy_hdr *h)
{
	char s[64], d[64], line[256];
	int af = h->family == PROXY_INET ? AF_INET : AF_INET6;
	struct proxy_hdr back;
	int n;

	if (inet_ntop(af, h->src, s, sizeof(s)) == NULL || inet_ntop(af, h->dst, d, sizeof(d)) == NULL)
		abort();
	/* inet_ntop writes an IPv4-mapped IPv6 address with a dotted tail,
	 * as HAProxy does in its v1 lines: parsed back like the rest. */
	n = snprintf(line, sizeof(line), "PROXY TCP%c %s %s %u %u\r\n", af == AF_INET ? '4' : '6', s,
		     d, h->src_port, h->dst_port);
	FUZZ_CHECK(parse((const uint8_t *)line, (size_t)n, &back) == n);
	back.version = h->version;
	FUZZ_CHECK(same(h, &back));
}

/* The source as text (proxy_src_text) names the same address: dotted
 * IPv4 for an IPv4 source and for an IPv4-mapped IPv6 one, IPv6 text for
 * every other IPv6 source. */
static void src_text(const struct proxy_hdr *h)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	int mapped = h->family == PROXY_INET6 && memcmp(h->src, v4mapped, 12) == 0;
	char t[64];
	uint8_t a[16];

	FUZZ_CHECK(proxy_src_text(h, t, sizeof(t)) == 0);
	if (h->family == PROXY_INET || mapped) {
		FUZZ_CHECK(inet_pton(AF_INET, t, a) == 1);
		FUZZ_CHECK(memcmp(a, mapped ? h->src + 12 : h->src, 4) == 0);
	} else {
		FUZZ_CHECK(inet_pton(AF_INET6, t, a) == 1 && memcmp(a, h->src, 16) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_hdr h, h2;
	int r = parse(data, size, &h), r2 = parse(data, size, &h2), err = 0;

	FUZZ_CHECK(r == r2);
	if (r > 0) {
		FUZZ_CHECK(same(&h, &h2));
		/* The header alone. */
		FUZZ_CHECK(parse(data, (size_t)r, &h2) == r && same(&h, &h2));
		if (h.family != PROXY_UNSPEC) {
			round_trip(&h);
			src_text(&h);
		} else {
			char t[64];

			FUZZ_CHECK(proxy_src_text(&h, t, sizeof(t)) == -1);
		}
	}
#ifdef FUZZ_FAST
	{
		/* One prefix shorter than the header (or the input), chosen
		 * by the input's last byte. */
		size_t lim = r > 0 ? (size_t)r : size;

		if (lim > 1)
			prefix(data, data[size - 1] % lim, r, &err);
	}
#else
	{
		size_t lim = r > 0 ? (size_t)r : size;
		/* Every prefix of a short input, a spread of a long one. */
		size_t step = lim <= 512 ? 1 : lim / 256;

		for (size_t k = 0; k < lim; k += step)
			prefix(data, k, r, &err);
		if (lim > 0)
			prefix(data, lim - 1, r, &err);
	}
#endif
	return 0;
}
