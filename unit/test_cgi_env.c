#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cgi_env.h"

#define S(s) SLICE_LIT(s)

static struct cgi_env_req base_req(void)
{
	struct cgi_env_req r;

	memset(&r, 0, sizeof(r));
	r.method = S("POST");
	r.request_uri = S("/cgi-bin/app.py/extra/path?a=1&b=%20");
	r.script_name = S("/cgi-bin/app.py");
	r.script_filename = S("/srv/www/cgi-bin/app.py");
	r.path_info = S("/extra/path");
	r.path_translated = S("/srv/www/extra/path");
	r.query = S("a=1&b=%20");
	r.content_type = S("application/x-www-form-urlencoded");
	r.content_length = 1234;
	r.server_name = S("example.com");
	r.server_port = 8080;
	r.remote_addr = S("192.0.2.7");
	r.remote_port = 54321;
	r.server_protocol = S("HTTP/1.1");
	return r;
}

/* Builds into exact-size heap buffers (ASan traps any overrun) and
 * returns the variables joined by '\n' in out. */
static int build(const struct cgi_env_req *r, size_t bufsize, size_t envmax,
		 char *out, size_t outcap)
{
	char *buf = malloc(bufsize ? bufsize : 1);
	char **envp = malloc((envmax ? envmax : 1) * sizeof(*envp));
	int n;
	size_t used = 0;

	assert_non_null(buf);
	assert_non_null(envp);
	n = cgi_env_build(r, bufsize ? buf : NULL, bufsize, envp, envmax);
	if (out)
		out[0] = '\0';
	if (n >= 0) {
		assert_true((size_t)n < envmax);
		assert_null(envp[n]);
		for (int i = 0; i < n; i++) {
			size_t l = strlen(envp[i]);

			assert_true(envp[i] >= buf && envp[i] + l < buf + bufsize);
			assert_non_null(strchr(envp[i], '='));
			if (out) {
				assert_true(used + l + 2 <= outcap);
				memcpy(out + used, envp[i], l);
				used += l;
				out[used++] = '\n';
				out[used] = '\0';
			}
		}
	}
	free(buf);
	free(envp);
	return n;
}

static const char fixed_full[] =
	"GATEWAY_INTERFACE=CGI/1.1\n"
	"SERVER_SOFTWARE=webserv/1.0\n"
	"SERVER_PROTOCOL=HTTP/1.1\n"
	"SERVER_NAME=example.com\n"
	"SERVER_PORT=8080\n"
	"REQUEST_METHOD=POST\n"
	"REQUEST_URI=/cgi-bin/app.py/extra/path?a=1&b=%20\n"
	"SCRIPT_NAME=/cgi-bin/app.py\n"
	"SCRIPT_FILENAME=/srv/www/cgi-bin/app.py\n"
	"PATH_INFO=/extra/path\n"
	"PATH_TRANSLATED=/srv/www/extra/path\n"
	"QUERY_STRING=a=1&b=%20\n"
	"CONTENT_TYPE=application/x-www-form-urlencoded\n"
	"CONTENT_LENGTH=1234\n"
	"REMOTE_ADDR=192.0.2.7\n"
	"REMOTE_PORT=54321\n"
	"REDIRECT_STATUS=200\n"
	"PATH=/usr/local/bin:/usr/bin:/bin\n";

/* Every fixed variable, in order. */
static void test_fixed(void **state)
{
	struct cgi_env_req r = base_req();
	char out[4096];

	(void)state;
	assert_int_equal(build(&r, 4096, 64, out, sizeof(out)), 18);
	assert_string_equal(out, fixed_full);
}

/* Optional variables disappear; the required ones stay, empty. */
static void test_minimal(void **state)
{
	struct cgi_env_req r = base_req();
	char out[4096];

	(void)state;
	r.method = S("GET");
	r.request_uri = S("/cgi-bin/app.py");
	r.path_info = (struct slice){ NULL, 0 };
	r.path_translated = (struct slice){ NULL, 0 };
	r.query = (struct slice){ NULL, 0 };
	r.content_type = (struct slice){ NULL, 0 };
	r.content_length = -1;
	r.server_port = 80;
	r.remote_addr = S("::1");
	r.remote_port = 0;
	r.server_protocol = S("HTTP/1.0");
	assert_int_equal(build(&r, 4096, 64, out, sizeof(out)), 15);
	assert_string_equal(out,
		"GATEWAY_INTERFACE=CGI/1.1\n"
		"SERVER_SOFTWARE=webserv/1.0\n"
		"SERVER_PROTOCOL=HTTP/1.0\n"
		"SERVER_NAME=example.com\n"
		"SERVER_PORT=80\n"
		"REQUEST_METHOD=GET\n"
		"REQUEST_URI=/cgi-bin/app.py\n"
		"SCRIPT_NAME=/cgi-bin/app.py\n"
		"SCRIPT_FILENAME=/srv/www/cgi-bin/app.py\n"
		"PATH_INFO=\n"
		"QUERY_STRING=\n"
		"REMOTE_ADDR=::1\n"
		"REMOTE_PORT=0\n"
		"REDIRECT_STATUS=200\n"
		"PATH=/usr/local/bin:/usr/bin:/bin\n");
}

/* SERVER_ADDR follows SERVER_PORT when known: an IPv6 one has no
 * brackets (SERVER_NAME has them, RFC 3875 4.1.14). */
static void test_server_addr(void **state)
{
	struct cgi_env_req r = base_req();
	char out[4096];

	(void)state;
	r.server_name = S("[::1]");
	r.server_addr = S("::1");
	r.remote_addr = S("2001:db8::2");
	assert_int_equal(build(&r, 4096, 64, out, sizeof(out)), 19);
	assert_non_null(strstr(out, "\nSERVER_NAME=[::1]\nSERVER_PORT=8080\nSERVER_ADDR=::1\n"));
	assert_non_null(strstr(out, "\nREMOTE_ADDR=2001:db8::2\n"));
}

static void test_content_length(void **state)
{
	static const struct {
		int line;
		long long len;
		const char *want; /* NULL: absent */
	} cases[] = {
		{ __LINE__, -1, NULL },
		{ __LINE__, -2, NULL },
		{ __LINE__, 0, "CONTENT_LENGTH=0\n" },
		{ __LINE__, 1, "CONTENT_LENGTH=1\n" },
		{ __LINE__, 9223372036854775807LL, "CONTENT_LENGTH=9223372036854775807\n" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cgi_env_req r = base_req();
		char out[4096];
		const char *hit;

		r.content_length = cases[i].len;
		build(&r, 4096, 64, out, sizeof(out));
		hit = strstr(out, "CONTENT_LENGTH=");
		if (cases[i].want == NULL ? hit != NULL
		    : (hit == NULL || strncmp(hit, cases[i].want, strlen(cases[i].want)) != 0))
			fail_msg("line %d: got '%s'", cases[i].line, out);
	}
}

struct hdr_case {
	int line;
	struct header_field h[8];
	size_t n;
	const char *want; /* the HTTP_* variables, '\n'-terminated each */
};

#define H(n, v) { S(n), S(v) }

static const struct hdr_case hdr_cases[] = {
	{ __LINE__, { H("Host", "example.com:8080") }, 1,
	  "HTTP_HOST=example.com:8080\n" },
	{ __LINE__, { H("user-agent", "curl/8.0"), H("X-Forwarded-For", "10.0.0.1") }, 2,
	  "HTTP_USER_AGENT=curl/8.0\nHTTP_X_FORWARDED_FOR=10.0.0.1\n" },
	{ __LINE__, { H("aCCept-LANGuage", "en"), H("X9-1", "d") }, 2,
	  "HTTP_ACCEPT_LANGUAGE=en\nHTTP_X9_1=d\n" },
	/* Repeats join in order of first appearance. */
	{ __LINE__, { H("Accept", "a/b"), H("Host", "h"), H("accept", "c/d"), H("ACCEPT", "*/*") }, 4,
	  "HTTP_ACCEPT=a/b, c/d, */*\nHTTP_HOST=h\n" },
	{ __LINE__, { H("Cookie", "a=1"), H("X-A", "1"), H("cookie", "b=2") }, 3,
	  "HTTP_COOKIE=a=1; b=2\nHTTP_X_A=1\n" },
	{ __LINE__, { H("X-Empty", ""), H("X-Empty", "v"), H("X-E2", "") }, 3,
	  "HTTP_X_EMPTY=, v\nHTTP_X_E2=\n" },
	/* Never passed. */
	{ __LINE__, { H("Proxy", "http://evil:3128/"), H("PROXY", "x"), H("proxy", "y") }, 3,
	  "" },
	{ __LINE__, { H("Content-Type", "text/plain"), H("content-length", "5"), H("CONTENT-TYPE", "x") }, 3,
	  "" },
	{ __LINE__, { H("X_Forwarded_For", "1.2.3.4"), H("Content_Length", "9"), H("Path", "/tmp") }, 3,
	  "HTTP_PATH=/tmp\n" },
	{ __LINE__, { H("X.Dot", "1"), H("X!Bang", "2"), H("X Space", "3"), H("X=Eq", "4"), H("", "5") }, 5,
	  "" },
	{ __LINE__, { H("Proxy-Authorization", "Basic x"), H("Proxy-Connection", "keep-alive") }, 2,
	  "HTTP_PROXY_AUTHORIZATION=Basic x\nHTTP_PROXY_CONNECTION=keep-alive\n" },
	/* A skipped spelling does not join a passed one. */
	{ __LINE__, { H("X-Y", "1"), H("X_Y", "2"), H("x-y", "3") }, 3,
	  "HTTP_X_Y=1, 3\n" },
	{ __LINE__, { { S("X-Nul"), { "a\0b", 3 } }, H("X-Nul", "ok"), H("X-Ok", "1") }, 3,
	  "HTTP_X_NUL=ok\nHTTP_X_OK=1\n" },
	{ __LINE__, { H("Authorization", "Bearer t") }, 1,
	  "HTTP_AUTHORIZATION=Bearer t\n" },
};

static void test_headers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(hdr_cases) / sizeof(hdr_cases[0]); i++) {
		const struct hdr_case *c = &hdr_cases[i];
		struct cgi_env_req r = base_req();
		char out[8192], want[8192];
		int n, nwant = 18;

		for (const char *p = c->want; *p; p++)
			nwant += *p == '\n';
		r.headers = c->h;
		r.nheaders = c->n;
		n = build(&r, 8192, 64, out, sizeof(out));
		snprintf(want, sizeof(want), "%s%s", fixed_full, c->want);
		if (n != nwant || strcmp(out, want) != 0)
			fail_msg("line %d: %d vars:\n%s\nwant %d:\n%s", c->line,
				 n, out + strlen(fixed_full), nwant, c->want);
	}
}

/* Exactly enough room works; one byte or one slot less fails. */
static void test_room(void **state)
{
	static const struct header_field h[] = {
		H("Host", "example.com"), H("Accept", "a"), H("accept", "b"),
	};
	struct cgi_env_req r = base_req();
	char out[4096];
	size_t need;
	int n;

	(void)state;
	r.headers = h;
	r.nheaders = 3;
	n = build(&r, 4096, 64, out, sizeof(out));
	assert_int_equal(n, 20);
	need = strlen(out); /* each '\n' stands for a NUL */
	for (size_t size = 0; size < need; size++)
		if (build(&r, size, 64, NULL, 0) != -1)
			fail_msg("bufsize %zu of %zu fits", size, need);
	assert_int_equal(build(&r, need, 64, out, sizeof(out)), 20);
	for (size_t max = 0; max <= 20; max++)
		if (build(&r, 4096, max, NULL, 0) != -1)
			fail_msg("envmax %zu fits", max);
	assert_int_equal(build(&r, need, 21, NULL, 0), 20);
}

/* A NUL in a fixed value cannot be represented. */
static void test_nul(void **state)
{
	struct cgi_env_req r = base_req();

	(void)state;
	r.query = (struct slice){ "a\0b", 3 };
	assert_int_equal(build(&r, 4096, 64, NULL, 0), -1);
	r = base_req();
	r.script_filename = (struct slice){ "/x\0", 3 };
	assert_int_equal(build(&r, 4096, 64, NULL, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_server_addr),
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_room),
		cmocka_unit_test(test_nul),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
