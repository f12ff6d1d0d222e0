/* Unit tests for src/proxy.c: the examples and limits of HAProxy's
 * proxy-protocol.txt, every prefix (read more), a request after the
 * header (same result), one byte changed (never a crash), and the end
 * of input at a PROT_NONE page. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "proxy.h"

/* The v2 signature as a C string piece (it holds a NUL: lengths are
 * given with sizeof). */
#define SIG "\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A"

static const struct pcase {
	int line;
	const char *in;
	size_t len;
	int want;            /* header length, PROXY_AGAIN or PROXY_ERROR */
	int version;
	int local;
	enum proxy_family family;
	const char *src;     /* source address text, NULL if none */
	unsigned sport, dport;
} cases[] = {
#define P(in, want, ver, local, fam, src, sp, dp) \
	{ __LINE__, in, sizeof(in) - 1, want, ver, local, fam, src, sp, dp }
#define OK1(in, fam, src, sp, dp) P(in, (int)sizeof(in) - 1, 1, 0, fam, src, sp, dp)
#define OK2(in, local, fam, src, sp, dp) P(in, (int)sizeof(in) - 1, 2, local, fam, src, sp, dp)
#define BAD(in) P(in, PROXY_ERROR, 0, 0, PROXY_UNSPEC, NULL, 0, 0)
#define MORE(in) P(in, PROXY_AGAIN, 0, 0, PROXY_UNSPEC, NULL, 0, 0)

	/* 2.1: the example before an HTTP request. */
	OK1("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", PROXY_INET, "192.168.0.1", 56324,
	    443),
	/* 2.1: the longest lines a receiver must support. */
	OK1("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n", PROXY_INET,
	    "255.255.255.255", 65535, 65535),
	OK1("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
	    " 65535 65535\r\n",
	    PROXY_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, 65535),
	OK1("PROXY UNKNOWN\r\n", PROXY_UNSPEC, NULL, 0, 0),
	/* The worst case, 107 bytes: what follows UNKNOWN is ignored. */
	OK1("PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
	    " 65535 65535\r\n",
	    PROXY_UNSPEC, NULL, 0, 0),
	OK1("PROXY UNKNOWN anything at all\r\n", PROXY_UNSPEC, NULL, 0, 0),
	OK1("PROXY TCP6 2001:db8::1 ::1 0 8080\r\n", PROXY_INET6, "2001:db8::1", 0, 8080),
	OK1("PROXY TCP6 2001:DB8::A ::1 1 2\r\n", PROXY_INET6, "2001:db8::a", 1, 2),
	/* An IPv4 client of a dual-stack balancer: shown as IPv4, as the
	 * server shows its own dual-stack peers. */
	OK1("PROXY TCP6 ::ffff:c000:207 ::1 40000 80\r\n", PROXY_INET6, "192.0.2.7", 40000, 80),
	/* HAProxy writes a mapped address with a dotted tail (inet_ntop). */
	OK1("PROXY TCP6 ::ffff:192.0.2.7 ::1 40000 80\r\n", PROXY_INET6, "192.0.2.7", 40000, 80),
	OK1("PROXY TCP6 ::fffe:c000:207 ::1 1 2\r\n", PROXY_INET6, "::fffe:c000:207", 1, 2),
	OK1("PROXY TCP6 ::c000:207 ::1 1 2\r\n", PROXY_INET6, "::192.0.2.7", 1, 2),
	OK1("PROXY TCP4 0.0.0.0 10.0.0.1 0 0\r\n", PROXY_INET, "0.0.0.0", 0, 0),

	/* v1 errors: anything that does not match exactly. */
	BAD("GET / HTTP/1.1\r\n"),
	BAD("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
	BAD("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
	BAD("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n"),
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n"),
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"),
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"),
	BAD("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n"),
	BAD("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"),
	BAD("PROXY UNKNOWNX\r\n"),
	BAD("PROXY \r\n"),
	BAD("PROXY\r\n"),
	BAD("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n"),      /* leading zero */
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n"),
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n"),
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 100000\r\n"),
	BAD("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n"),
	BAD("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n"),
	BAD("PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n"),
	BAD("PROXY TCP4 1..3.4 5.6.7.8 1 2\r\n"),
	BAD("PROXY TCP4 ::1 5.6.7.8 1 2\r\n"),           /* family mismatch */
	BAD("PROXY TCP6 1.2.3.4 ::1 1 2\r\n"),
	BAD("PROXY TCP6 ::1::2 ::1 1 2\r\n"),
	BAD("PROXY TCP6 ::ffff:192.0.2 ::1 1 2\r\n"),
	BAD("PROXY TCP6 ::ffff:192.0.2.07 ::1 1 2\r\n"),
	BAD("PROXY TCP6 ::ffff:192.0.2.7.1 ::1 1 2\r\n"),
	BAD("PROXY TCP6 ::ffff:1.2.3.4:1 ::1 1 2\r\n"),
	BAD("PROXY TCP6 . ::1 1 2\r\n"),
	BAD("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n"),
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n"),
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"),         /* an LF alone */
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX"),        /* a CR alone */
	BAD("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n"),
	BAD("PROXY UNKNOWN \x01\r\n"),
	/* No CRLF in the first 107 bytes. */
	BAD("PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
	    " 65535 655355\r\n"),
	/* Prefixes of a valid line: read more. */
	MORE("P"),
	MORE("PROXY"),
	MORE("PROXY TCP4 1.2.3.4 5.6.7.8 1 2"),
	MORE("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"),
	/* A prefix that can no longer become one: at once. */
	BAD("PROXX"),
	BAD("G"),
	BAD("\x16\x03\x01"),

	/* v2: what haproxy's send-proxy-v2 wrote for 172.19.0.1:42578 ->
	 * 172.19.0.3:80 (the spec's TCP over IPv4, \x21 \x11). */
	OK2(SIG "\x21\x11\x00\x0c\xac\x13\x00\x01\xac\x13\x00\x03\xa6\x52\x00\x50", 0, PROXY_INET,
	    "172.19.0.1", 42578, 80),
	/* TCP over IPv6, 36 address bytes. */
	OK2(SIG "\x21\x21\x00\x24"
		"\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
		"\x1f\x90\x01\xbb",
	    0, PROXY_INET6, "2001:db8::1", 8080, 443),
	/* LOCAL (a health check): no address, the connection's own stand. */
	OK2(SIG "\x20\x00\x00\x00", 1, PROXY_UNSPEC, NULL, 0, 0),
	/* LOCAL with an address block: "must not assume zero" - skipped. */
	OK2(SIG "\x20\x11\x00\x0c\x01\x02\x03\x04\x05\x06\x07\x08\x00\x01\x00\x02", 1, PROXY_UNSPEC,
	    NULL, 0, 0),
	/* PROXY with UNSPEC: the addresses are ignored. */
	OK2(SIG "\x21\x00\x00\x03xyz", 0, PROXY_UNSPEC, NULL, 0, 0),
	/* UDP and UNIX: valid, not carried (fallback to UNSPEC). */
	OK2(SIG "\x21\x12\x00\x0c\x01\x02\x03\x04\x05\x06\x07\x08\x00\x01\x00\x02", 0, PROXY_UNSPEC,
	    NULL, 0, 0),
	/* TLVs after the addresses: skipped (a NOOP and an authority). */
	OK2(SIG "\x21\x11\x00\x18\x0a\x00\x00\x01\x0a\x00\x00\x02\x30\x39\x00\x50"
		"\x04\x00\x02\x00\x00" "\x02\x00\x04" "host",
	    0, PROXY_INET, "10.0.0.1", 12345, 80),
	/* A TLV with no value. */
	OK2(SIG "\x21\x11\x00\x0f\x0a\x00\x00\x01\x0a\x00\x00\x02\x30\x39\x00\x50\x04\x00\x00", 0,
	    PROXY_INET, "10.0.0.1", 12345, 80),

	/* v2 errors. */
	BAD(SIG "\x11\x11\x00\x0c\x01\x02\x03\x04\x05\x06\x07\x08\x00\x01\x00\x02"), /* version 1 */
	BAD(SIG "\x31\x11\x00\x0c"),                                                  /* version 3 */
	BAD(SIG "\x22\x11\x00\x0c"),                                                  /* command 2 */
	BAD(SIG "\x21\x41\x00\x0c"),                                                  /* family 4 */
	BAD(SIG "\x21\x13\x00\x0c"),                                                  /* transport 3 */
	BAD(SIG "\x21\x11\x00\x0b\x01\x02\x03\x04\x05\x06\x07\x08\x00\x01\x00"),      /* too short */
	BAD(SIG "\x21\x21\x00\x0c\x01\x02\x03\x04\x05\x06\x07\x08\x00\x01\x00\x02"),  /* v6 in 12 */
	BAD(SIG "\x21\x11\x10\x00"),                                                  /* over the bound */
	BAD(SIG "\x21\x11\xff\xff"),
	/* A TLV that runs past the header. */
	BAD(SIG "\x21\x11\x00\x10\x0a\x00\x00\x01\x0a\x00\x00\x02\x30\x39\x00\x50\x04\x00\x02\x00"),
	BAD(SIG "\x21\x11\x00\x0e\x0a\x00\x00\x01\x0a\x00\x00\x02\x30\x39\x00\x50\x04\x00"),
	BAD("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0B"),                        /* signature */
	BAD("\x0D\x0A\x0D\x0A\x01"),
	BAD("\x0D\x0A" "GET"),
	/* Prefixes: read more. */
	MORE("\x0D"),
	MORE("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A"),
	MORE(SIG "\x21"),
	MORE(SIG "\x21\x11\x00"),
	MORE(SIG "\x21\x11\x00\x0c\xac\x13\x00\x01\xac\x13\x00\x03\xa6\x52\x00"),
#undef P
#undef OK1
#undef OK2
#undef BAD
#undef MORE
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Copies in to the end of a page followed by a PROT_NONE page, so any
 * read past len faults. */
static uint8_t *guarded(const void *in, size_t len, void **map, size_t *maplen)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t pages = (len + pg - 1) / pg + 1;
	uint8_t *m = mmap(NULL, (pages + 1) * pg, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + pages * pg, pg, PROT_NONE), 0);
	*map = m;
	*maplen = (pages + 1) * pg;
	memcpy(m + pages * pg - len, in, len);
	return m + pages * pg - len;
}

static void check_hdr(const struct pcase *c, const struct proxy_hdr *h)
{
	char text[64];

	assert_int_equal(h->version, c->version);
	assert_int_equal(h->local, c->local);
	assert_int_equal(h->family, c->family);
	if (c->src == NULL) {
		assert_int_equal(proxy_src_text(h, text, sizeof(text)), -1);
		return;
	}
	assert_int_equal(proxy_src_text(h, text, sizeof(text)), 0);
	assert_string_equal(text, c->src);
	assert_int_equal(h->src_port, c->sport);
	assert_int_equal(h->dst_port, c->dport);
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCASES; i++) {
		const struct pcase *c = &cases[i];
		struct proxy_hdr h;
		void *map;
		size_t maplen;
		const uint8_t *p = guarded(c->in, c->len, &map, &maplen);
		int r = proxy_parse(p, c->len, &h);

		if (r != c->want)
			fail_msg("line %d: got %d, want %d", c->line, r, c->want);
		if (r > 0)
			check_hdr(c, &h);
		munmap(map, maplen);
	}
}

/* Every proper prefix of a valid header is "read more"; the header with
 * a request after it parses the same. */
static void test_prefixes_and_suffix(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCASES; i++) {
		const struct pcase *c = &cases[i];
		uint8_t buf[PROXY_V2_MAX + 64];
		struct proxy_hdr h;
		static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

		if (c->want <= 0)
			continue;
		for (size_t n = 0; n < c->len; n++) {
			void *map;
			size_t maplen;
			const uint8_t *p = guarded(c->in, n, &map, &maplen);
			int r = proxy_parse(p, n, &h);

			munmap(map, maplen);
			if (r != PROXY_AGAIN)
				fail_msg("line %d: prefix %zu gave %d", c->line, n, r);
		}
		memcpy(buf, c->in, c->len);
		memcpy(buf + c->len, req, sizeof(req) - 1);
		assert_int_equal(proxy_parse(buf, c->len + sizeof(req) - 1, &h), c->want);
		check_hdr(c, &h);
	}
}

/* Every byte of every valid header replaced by every value: the parser
 * answers within its bounds and never reads past the input. */
static void test_mutations(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCASES; i++) {
		const struct pcase *c = &cases[i];
		uint8_t buf[PROXY_V2_MAX];

		if (c->want <= 0)
			continue;
		for (size_t k = 0; k < c->len; k++)
			for (int v = 0; v < 256; v++) {
				struct proxy_hdr h;
				int r;

				memcpy(buf, c->in, c->len);
				buf[k] = (uint8_t)v;
				r = proxy_parse(buf, c->len, &h);
				assert_true(r == PROXY_AGAIN || r == PROXY_ERROR ||
					    (r > 0 && (size_t)r <= c->len));
			}
	}
}

/* The bounds: a v1 line of 107 bytes is the longest; a v2 header of
 * PROXY_V2_MAX bytes (TLVs) is accepted, one byte more refused. */
static void test_bounds(void **state)
{
	uint8_t buf[PROXY_V2_MAX + 2];
	struct proxy_hdr h;
	size_t body = PROXY_V2_MAX - 16;

	(void)state;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, SIG "\x21\x11", 14);
	buf[14] = (uint8_t)(body >> 8);
	buf[15] = (uint8_t)body;
	/* addresses, then one TLV filling the rest */
	buf[28] = 0x04;
	buf[29] = (uint8_t)((body - 12 - 3) >> 8);
	buf[30] = (uint8_t)(body - 12 - 3);
	assert_int_equal(proxy_parse(buf, PROXY_V2_MAX, &h), PROXY_V2_MAX);
	assert_int_equal(proxy_parse(buf, PROXY_V2_MAX - 1, &h), PROXY_AGAIN);
	body++;
	buf[14] = (uint8_t)(body >> 8);
	buf[15] = (uint8_t)body;
	assert_int_equal(proxy_parse(buf, 16, &h), PROXY_ERROR);

	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "PROXY UNKNOWN ", 14);
	assert_int_equal(proxy_parse(buf, PROXY_V1_MAX - 1, &h), PROXY_AGAIN);
	assert_int_equal(proxy_parse(buf, PROXY_V1_MAX, &h), PROXY_ERROR);
	buf[PROXY_V1_MAX - 2] = '\r';
	buf[PROXY_V1_MAX - 1] = '\n';
	assert_int_equal(proxy_parse(buf, PROXY_V1_MAX + 1, &h), PROXY_V1_MAX);
	assert_int_equal(proxy_src_text(&h, (char *)buf, 4), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_prefixes_and_suffix),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
