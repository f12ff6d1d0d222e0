/* Unit tests for src/realip.c: CIDR parsing and matching, and the
 * client address from X-Real-IP / X-Forwarded-For (nginx realip with
 * real_ip_recursive on). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "realip.h"

static const struct ccase {
	int line;
	const char *in;
	int ok;
	const char *match;    /* an address inside, NULL if none */
	const char *nomatch;  /* one outside, NULL if none */
} cidrs[] = {
#define C(in, ok, m, nm) { __LINE__, in, ok, m, nm }
	C("10.0.0.0/8", 0, "10.255.1.2", "11.0.0.1"),
	C("10.1.2.3/8", 0, "10.0.0.0", "9.255.255.255"),   /* host bits cleared */
	C("192.168.1.0/24", 0, "192.168.1.255", "192.168.2.0"),
	C("172.16.0.0/12", 0, "172.31.255.255", "172.32.0.0"),
	C("127.0.0.1", 0, "127.0.0.1", "127.0.0.2"),
	C("127.0.0.1/32", 0, "127.0.0.1", "127.0.0.2"),
	C("0.0.0.0/0", 0, "8.8.8.8", "::1"),                 /* every IPv4, no IPv6 */
	C("1.2.3.4/31", 0, "1.2.3.5", "1.2.3.6"),
	C("::1", 0, "::1", "::2"),
	C("::/0", 0, "2001:db8::1", "1.2.3.4"),
	C("2001:db8::/32", 0, "2001:db8:ffff::1", "2001:db9::1"),
	C("2001:db8::/33", 0, "2001:db8:7fff::1", "2001:db8:8000::1"),
	C("fe80::1/10", 0, "febf::1", "fec0::1"),
	C("10.0.0.0/33", -1, NULL, NULL),
	C("::/129", -1, NULL, NULL),
	C("10.0.0.0/", -1, NULL, NULL),
	C("10.0.0.0/-1", -1, NULL, NULL),
	C("10.0.0.0/8/8", -1, NULL, NULL),
	C("10.0.0.0/0008", -1, NULL, NULL),
	C("10.0.0/8", -1, NULL, NULL),
	C("010.0.0.0/8", -1, NULL, NULL),
	C("10.0.0.256", -1, NULL, NULL),
	C("localhost", -1, NULL, NULL),
	C("", -1, NULL, NULL),
	C("/8", -1, NULL, NULL),
	C(" 10.0.0.0/8", -1, NULL, NULL),
	C("[::1]", -1, NULL, NULL),
#undef C
};

static void test_cidr(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cidrs) / sizeof(cidrs[0]); i++) {
		const struct ccase *c = &cidrs[i];
		struct realip_cidr net;
		struct realip_addr a;
		int r = realip_cidr_parse(c->in, strlen(c->in), &net);

		if (r != c->ok)
			fail_msg("line %d: \"%s\" gave %d", c->line, c->in, r);
		if (r < 0)
			continue;
		if (c->match) {
			assert_int_equal(realip_addr_parse(c->match, strlen(c->match), &a), 0);
			if (!realip_trusted(&net, 1, &a))
				fail_msg("line %d: %s not in %s", c->line, c->match, c->in);
		}
		if (c->nomatch) {
			assert_int_equal(realip_addr_parse(c->nomatch, strlen(c->nomatch), &a), 0);
			if (realip_trusted(&net, 1, &a))
				fail_msg("line %d: %s in %s", c->line, c->nomatch, c->in);
		}
	}
}

/* Trusted: 10.0.0.0/8, 192.168.0.0/16, ::1, fd00::/8. */
static const char *const trusted[] = { "10.0.0.0/8", "192.168.0.0/16", "::1", "fd00::/8" };

static const struct rcase {
	int line;
	const char *peer;
	enum realip_header kind;
	const char *vals[3];
	int want;
	const char *client;
} cases[] = {
#define XFF REALIP_X_FORWARDED_FOR
#define XRI REALIP_X_REAL_IP
#define R(peer, kind, v0, v1, want, client) { __LINE__, peer, kind, { v0, v1, NULL }, want, client }
	/* An untrusted peer is never believed. */
	R("203.0.113.1", XFF, "1.2.3.4", NULL, 0, NULL),
	R("203.0.113.1", XRI, "1.2.3.4", NULL, 0, NULL),
	R("203.0.113.1", XFF, "garbage", NULL, 0, NULL),
	/* No header. */
	R("10.0.0.1", XFF, NULL, NULL, 0, NULL),
	/* X-Real-IP from a trusted peer. */
	R("10.0.0.1", XRI, "203.0.113.7", NULL, 1, "203.0.113.7"),
	R("10.0.0.1", XRI, "  203.0.113.7\t", NULL, 1, "203.0.113.7"),
	R("10.0.0.1", XRI, "2001:DB8::7", NULL, 1, "2001:db8::7"),
	R("10.0.0.1", XRI, "203.0.113.7", "198.51.100.1", 1, "203.0.113.7"), /* the first line */
	R("10.0.0.1", XRI, "", NULL, -1, NULL),
	R("10.0.0.1", XRI, "203.0.113.7, 1.2.3.4", NULL, -1, NULL),
	R("10.0.0.1", XRI, "unknown", NULL, -1, NULL),
	R("10.0.0.1", XRI, "203.0.113.7:80", NULL, -1, NULL),
	R("10.0.0.1", XRI, "[::1]", NULL, -1, NULL),
	R("10.0.0.1", XRI, "1.2.3.04", NULL, -1, NULL),
	/* X-Forwarded-For: the right-most untrusted address. */
	R("10.0.0.1", XFF, "203.0.113.7", NULL, 1, "203.0.113.7"),
	R("10.0.0.1", XFF, "198.51.100.1, 203.0.113.7", NULL, 1, "203.0.113.7"),
	R("10.0.0.1", XFF, "198.51.100.1, 203.0.113.7, 10.1.1.1", NULL, 1, "203.0.113.7"),
	R("10.0.0.1", XFF, "198.51.100.1, 203.0.113.7,192.168.4.4 , 10.1.1.1", NULL, 1,
	  "203.0.113.7"),
	/* A client cannot hide behind a forged trusted address on the left. */
	R("10.0.0.1", XFF, "10.9.9.9, 203.0.113.7", NULL, 1, "203.0.113.7"),
	/* Every hop trusted: the left-most. */
	R("10.0.0.1", XFF, "10.2.2.2, 192.168.1.1", NULL, 1, "10.2.2.2"),
	/* Several lines are one list, in order. */
	R("10.0.0.1", XFF, "198.51.100.1, 203.0.113.7", "10.3.3.3", 1, "203.0.113.7"),
	R("10.0.0.1", XFF, "198.51.100.1", "203.0.113.9, 10.3.3.3", 1, "203.0.113.9"),
	R("10.0.0.1", XFF, "198.51.100.1", "", 1, "198.51.100.1"),
	/* Empty elements are skipped. */
	R("10.0.0.1", XFF, ",, 203.0.113.7 ,,", NULL, 1, "203.0.113.7"),
	R("10.0.0.1", XFF, " , ", NULL, 0, NULL),
	R("10.0.0.1", XFF, "", NULL, 0, NULL),
	/* IPv6 peers and hops. */
	R("::1", XFF, "2001:db8::5, fd00::1", NULL, 1, "2001:db8::5"),
	R("fd12::9", XFF, "203.0.113.7", NULL, 1, "203.0.113.7"),
	R("fe80::1", XFF, "203.0.113.7", NULL, 0, NULL),
	/* Malformed before an untrusted address is reached: ignored. */
	R("10.0.0.1", XFF, "203.0.113.7, bogus", NULL, -1, NULL),
	R("10.0.0.1", XFF, "203.0.113.7, 10.0.0.300", NULL, -1, NULL),
	R("10.0.0.1", XFF, "203.0.113.7:1234", NULL, -1, NULL),
	R("10.0.0.1", XFF, "\"[2001:db8::1]\"", NULL, -1, NULL),
	R("10.0.0.1", XFF, "unknown, 10.2.2.2", NULL, -1, NULL),
	/* ... but not when it is left of the answer. */
	R("10.0.0.1", XFF, "bogus, 203.0.113.7", NULL, 1, "203.0.113.7"),
	R("10.0.0.1", XFF, "1.2.3.4 5.6.7.8", NULL, -1, NULL),
#undef R
#undef XFF
#undef XRI
};

static void test_client(void **state)
{
	struct realip_cidr set[4];

	(void)state;
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(realip_cidr_parse(trusted[i], strlen(trusted[i]), &set[i]), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rcase *c = &cases[i];
		struct slice vals[3];
		size_t nv = 0;
		char out[REALIP_TEXT_MAX];
		int r;

		while (nv < 3 && c->vals[nv] != NULL) {
			/* Exact-size copies: no NUL after the value. */
			size_t len = strlen(c->vals[nv]);
			char *p = len ? malloc(len) : NULL;

			if (len)
				memcpy(p, c->vals[nv], len);
			vals[nv++] = (struct slice){ p, len };
		}
		strcpy(out, "untouched");
		r = realip_client(set, 4, c->peer, c->kind, vals, nv, out, sizeof(out));
		if (r != c->want)
			fail_msg("line %d: got %d, want %d", c->line, r, c->want);
		if (r == 1 && strcmp(out, c->client) != 0)
			fail_msg("line %d: client %s, want %s", c->line, out, c->client);
		for (size_t k = 0; k < nv; k++)
			free((void *)vals[k].p);
	}
}

/* A buffer too small for an address never overflows. */
static void test_small_out(void **state)
{
	struct realip_cidr set;
	struct slice v = SLICE_LIT("203.0.113.7");
	char out[8];

	(void)state;
	assert_int_equal(realip_cidr_parse("127.0.0.1", 9, &set), 0);
	assert_int_equal(realip_client(&set, 1, "127.0.0.1", REALIP_X_REAL_IP, &v, 1, out, sizeof(out)),
			 -1);
	/* An empty trusted set believes nobody. */
	assert_int_equal(realip_client(&set, 0, "127.0.0.1", REALIP_X_REAL_IP, &v, 1, out, sizeof(out)),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_client),
		cmocka_unit_test(test_small_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
