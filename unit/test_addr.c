/* Unit tests for src/addr.c: IPv4/IPv6 listen and local addresses
 * compared, matched against wildcards, formatted and converted. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"

/* "1.2.3.4" or "::1" (any inet_pton text) and a port. */
static struct listen_addr A(const char *ip, uint16_t port, int v6only)
{
	struct listen_addr a = { .port = port, .ipv6only = (uint8_t)v6only };
	struct in_addr in;

	if (strchr(ip, ':')) {
		a.v6 = 1;
		assert_int_equal(inet_pton(AF_INET6, ip, a.addr6), 1);
	} else {
		assert_int_equal(inet_pton(AF_INET, ip, &in), 1);
		a.addr = ntohl(in.s_addr);
	}
	return a;
}

static void test_eq_any(void **state)
{
	struct listen_addr a = A("::1", 80, 1), b = A("0:0::1", 80, 0), c = A("127.0.0.1", 80, 0);

	(void)state;
	assert_true(addr_eq(&a, &b)); /* options do not count */
	assert_false(addr_eq(&a, &c));
	b.port = 81;
	assert_false(addr_eq(&a, &b));
	/* IPv4 0.0.0.0 and IPv6 :: never equal, though both bytes are zero */
	a = A("0.0.0.0", 80, 0);
	b = A("::", 80, 1);
	assert_false(addr_eq(&a, &b));
	assert_true(addr_is_any(&a));
	assert_true(addr_is_any(&b));
	assert_false(addr_is_any(&c));
	a = A("::1", 80, 1);
	assert_false(addr_is_any(&a));
}

static void test_covers(void **state)
{
	static const struct {
		int line;
		const char *w;
		int v6only;
		const char *a;
		uint16_t wport, aport;
		int want;
	} cases[] = {
		{ __LINE__, "0.0.0.0", 0, "10.0.0.1", 80, 80, 1 },
		{ __LINE__, "0.0.0.0", 0, "10.0.0.1", 80, 81, 0 },
		{ __LINE__, "0.0.0.0", 0, "::1", 80, 80, 0 },
		{ __LINE__, "::", 1, "::1", 80, 80, 1 },
		{ __LINE__, "::", 1, "10.0.0.1", 80, 80, 0 },
		{ __LINE__, "::", 0, "10.0.0.1", 80, 80, 1 },
		{ __LINE__, "::", 0, "0.0.0.0", 80, 80, 1 },
		{ __LINE__, "::1", 1, "::1", 80, 80, 0 }, /* not a wildcard */
		{ __LINE__, "127.0.0.1", 0, "127.0.0.1", 80, 80, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct listen_addr w = A(cases[i].w, cases[i].wport, cases[i].v6only);
		struct listen_addr a = A(cases[i].a, cases[i].aport, 1);

		if (addr_covers(&w, &a) != cases[i].want)
			fail_msg("case at line %d", cases[i].line);
	}
}

static void test_format(void **state)
{
	static const struct {
		const char *ip;
		const char *bare, *with_port;
	} cases[] = {
		{ "127.0.0.1", "127.0.0.1", "127.0.0.1:8080" },
		{ "0.0.0.0", "0.0.0.0", "0.0.0.0:8080" },
		{ "::", "::", "[::]:8080" },
		{ "::1", "::1", "[::1]:8080" },
		{ "2001:DB8:0:0:0:0:0:7", "2001:db8::7", "[2001:db8::7]:8080" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		  "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:8080" },
	};
	char out[ADDR_TEXT_MAX], small[8];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct listen_addr a = A(cases[i].ip, 8080, 1);

		assert_int_equal(addr_format(&a, 0, out, sizeof(out)), strlen(cases[i].bare));
		assert_string_equal(out, cases[i].bare);
		assert_int_equal(addr_format(&a, 1, out, sizeof(out)), strlen(cases[i].with_port));
		assert_string_equal(out, cases[i].with_port);
	}
	/* A short buffer is cut, NUL-terminated, and the length says so. */
	{
		struct listen_addr a = A("2001:db8::7", 65535, 1);

		assert_int_equal(addr_format(&a, 1, small, sizeof(small)), sizeof(small) - 1);
		assert_string_equal(small, "[2001:d");
	}
}

static void test_sockaddr(void **state)
{
	struct sockaddr_storage ss;
	struct listen_addr a, b;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
	struct sockaddr_un_like { sa_family_t f; char path[20]; } un = { AF_UNIX, "x" };
	socklen_t n;

	(void)state;
	/* round trips */
	a = A("192.0.2.9", 8080, 0);
	n = addr_to_sockaddr(&a, &ss);
	assert_int_equal(n, sizeof(struct sockaddr_in));
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&ss, n, &b), 0);
	assert_true(addr_eq(&a, &b));
	a = A("2001:db8::1", 1, 1);
	n = addr_to_sockaddr(&a, &ss);
	assert_int_equal(n, sizeof(struct sockaddr_in6));
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&ss, n, &b), 0);
	assert_true(addr_eq(&a, &b));
	/* an IPv4 client of a dual-stack socket is IPv4 */
	assert_int_equal(inet_pton(AF_INET6, "::ffff:10.1.2.3", &s6.sin6_addr), 1);
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&s6, sizeof(s6), &b), 0);
	assert_int_equal(b.v6, 0);
	assert_int_equal(b.addr, 0x0a010203);
	assert_int_equal(b.port, 443);
	/* ::ffff:0:a.b.c.d (SIIT) and ::a.b.c.d stay IPv6 */
	assert_int_equal(inet_pton(AF_INET6, "::10.1.2.3", &s6.sin6_addr), 1);
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&s6, sizeof(s6), &b), 0);
	assert_int_equal(b.v6, 1);
	/* short lengths and other families */
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&s6, sizeof(s6) - 1, &b), -1);
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&un, sizeof(un), &b), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eq_any),
		cmocka_unit_test(test_covers),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_sockaddr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
