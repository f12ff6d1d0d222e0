/* Unit tests for src/route.c: server selection, location selection,
 * root/alias mapping, cgi and error_page lookup, methods and Allow. */

#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "route.h"

#define MAIN "/srv/ws/main.conf"

static int all_dirs(void *ctx, const char *path)
{
	(void)ctx;
	(void)path;
	return 1;
}

static const struct config_io io = { .is_dir = all_dirs };

static struct config *load(const char *text)
{
	char err[256];
	struct config *cf = config_parse(MAIN, text, strlen(text), &io, err, sizeof(err));

	if (!cf)
		fail_msg("config: %s", err);
	return cf;
}

/* A slice over an exact-size heap copy, so over-reads are caught. */
static struct slice heap_slice(const char *s, size_t len, char **keep)
{
	*keep = malloc(len ? len : 1);
	assert_non_null(*keep);
	memcpy(*keep, s, len);
	return (struct slice){ len ? *keep : NULL, len };
}

/* ---- servers ---- */

static const char servers_conf[] =
	"server { listen 8080; server_name default.example; }\n"          /* 0 */
	"server { listen 8080; server_name a.example B.Example; }\n"       /* 1 */
	"server { listen 127.0.0.1:8080; server_name local.example; }\n"   /* 2 */
	"server { listen 127.0.0.1:8080; server_name a.example; }\n"       /* 3 */
	"server { listen 9090; listen 127.0.0.2:9091; }\n"                 /* 4 */
	"server { listen 9090; server_name *.wild.example .dot.example; }\n" /* 5 */
	"server { listen 9090; server_name x.sub.wild.example; }\n"        /* 6 */
	"server { listen 9090; server_name *.sub.wild.example; }\n"        /* 7 */
	"server { listen 7070; server_name \"\" named.example; }\n"        /* 8 */
	"server { listen 7070; server_name other.example; }\n"             /* 9 */
	"server { listen 6060; }\n"                                        /* 10 */
	"server { listen 10.0.0.1:6060; server_name six.example; }\n";     /* 11 */

static void test_server(void **state)
{
	static const struct {
		int line;
		uint32_t addr;
		uint16_t port;
		const char *host;
		int want; /* server index, -1 for NULL */
	} cases[] = {
		/* wildcard address: name match, else the first one */
		{ __LINE__, 0x0a000009, 8080, "a.example", 1 },
		{ __LINE__, 0x0a000009, 8080, "A.EXAMPLE:8080", 1 },
		{ __LINE__, 0x0a000009, 8080, "b.example", 1 },
		{ __LINE__, 0x0a000009, 8080, "a.example:", 1 },
		{ __LINE__, 0x0a000009, 8080, "a.example.", 1 },
		{ __LINE__, 0x0a000009, 8080, "default.example", 0 },
		{ __LINE__, 0x0a000009, 8080, "unknown.example", 0 },
		{ __LINE__, 0x0a000009, 8080, "", 0 },
		{ __LINE__, 0x0a000009, 8080, ":8080", 0 },
		{ __LINE__, 0x0a000009, 8080, "a.exampl", 0 },
		{ __LINE__, 0x0a000009, 8080, "a.examplee", 0 },
		{ __LINE__, 0x0a000009, 8080, "local.example", 0 },
		{ __LINE__, 0, 8080, "a.example", 1 },
		/* the exact address hides the wildcard servers */
		{ __LINE__, 0x7f000001, 8080, "a.example", 3 },
		{ __LINE__, 0x7f000001, 8080, "other", 2 },
		{ __LINE__, 0x7f000001, 8080, "default.example", 2 },
		{ __LINE__, 0x7f000001, 8080, "b.example", 2 },
		{ __LINE__, 0x7f000001, 8080, "LOCAL.example.:80", 2 },
		/* ports */
		{ __LINE__, 0x0a000009, 8081, "a.example", -1 },
		{ __LINE__, 0x7f000002, 9091, "", 4 },
		{ __LINE__, 0x7f000003, 9091, "", -1 },
		{ __LINE__, 0x7f000002, 9090, "", 4 },
		/* wildcard names */
		{ __LINE__, 1, 9090, "foo.wild.example", 5 },
		{ __LINE__, 1, 9090, "a.b.wild.example", 5 },
		{ __LINE__, 1, 9090, "wild.example", 4 },
		{ __LINE__, 1, 9090, ".wild.example", 4 },
		{ __LINE__, 1, 9090, "dot.example", 5 },
		{ __LINE__, 1, 9090, "a.dot.example", 5 },
		{ __LINE__, 1, 9090, "adot.example", 4 },
		{ __LINE__, 1, 9090, "x.sub.wild.example", 6 },
		{ __LINE__, 1, 9090, "y.sub.wild.example", 7 },
		{ __LINE__, 1, 9090, "Y.SUB.wild.example:1", 7 },
		{ __LINE__, 1, 9090, "[::1]:9090", 4 },
		{ __LINE__, 1, 9090, "[::1", 4 },
		/* an empty server_name matches a missing Host */
		{ __LINE__, 1, 7070, "", 8 },
		{ __LINE__, 1, 7070, "other.example", 9 },
		{ __LINE__, 1, 7070, "nobody", 8 },
		/* exact address without a wildcard server on the port */
		{ __LINE__, 0x0a000001, 6060, "", 11 },
		{ __LINE__, 0x0a000002, 6060, "six.example", 10 },
	};
	struct config *cf = load(servers_conf);

	(void)state;
	assert_int_equal(cf->nservers, 12);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *keep;
		struct slice h = heap_slice(cases[i].host, strlen(cases[i].host), &keep);
		const struct listen_addr la = { .addr = cases[i].addr, .port = cases[i].port };
		const struct server_conf *s = route_server(cf, &la, h);
		int got = s ? (int)(s - cf->servers) : -1;

		free(keep);
		if (got != cases[i].want)
			fail_msg("case at line %d: got %d, want %d", cases[i].line, got, cases[i].want);
	}
	assert_null(route_server(NULL, &(struct listen_addr){ .port = 80 }, (struct slice){ NULL, 0 }));
	config_free(cf);
}

static const char v6_conf[] =
	"server { listen [::1]:8080; server_name one.example; }\n"              /* 0 */
	"server { listen [::]:8080; server_name any6.example; }\n"              /* 1 */
	"server { listen 8080; server_name any4.example [::1] [::2]; }\n"       /* 2 */
	"server { listen [::1]:8080; server_name [::1]; }\n"                    /* 3 */
	"server { listen [::]:9090 ipv6only=off; }\n"                           /* 4 */
	"server { listen [::]:9090 ipv6only=off default_server; }\n"            /* 5 */
	"server { listen 127.0.0.1:9090; listen [2001:db8::7]:9090; }\n"        /* 6 */
	"server { listen 7070; }\n"                                             /* 7 */
	"server { listen 7070 default_server; server_name d.example; }\n"       /* 8 */
	"server { listen 7070; server_name e.example; }\n";                     /* 9 */

/* IPv6 local addresses, ipv6only and default_server. */
static void test_server_v6(void **state)
{
	static const struct {
		int line;
		const char *addr; /* IPv4 or IPv6 text */
		uint16_t port;
		const char *host;
		int want; /* server index, -1 for NULL */
	} cases[] = {
		/* the exact IPv6 address hides [::] and 0.0.0.0 */
		{ __LINE__, "::1", 8080, "", 0 },
		{ __LINE__, "::1", 8080, "[::1]:8080", 3 },
		{ __LINE__, "::1", 8080, "[::1]", 3 },
		{ __LINE__, "::1", 8080, "any6.example", 0 },
		/* another IPv6 address: [::] only, never 0.0.0.0 (ipv6only=on) */
		{ __LINE__, "::2", 8080, "", 1 },
		{ __LINE__, "::2", 8080, "[::2]:8080", 1 },
		{ __LINE__, "fe80::9", 8080, "any6.example", 1 },
		/* IPv4: 0.0.0.0 only */
		{ __LINE__, "10.0.0.1", 8080, "[::1]", 2 },
		{ __LINE__, "10.0.0.1", 8080, "any6.example", 2 },
		/* ipv6only=off: IPv4 clients too; default_server beats order */
		{ __LINE__, "10.0.0.1", 9090, "", 5 },
		{ __LINE__, "::5", 9090, "", 5 },
		{ __LINE__, "127.0.0.1", 9090, "", 6 },
		{ __LINE__, "2001:db8::7", 9090, "", 6 },
		{ __LINE__, "2001:db8::8", 9090, "", 5 },
		{ __LINE__, "::1", 6060, "", -1 },
		/* default_server on IPv4, and names still win */
		{ __LINE__, "10.0.0.1", 7070, "", 8 },
		{ __LINE__, "10.0.0.1", 7070, "e.example", 9 },
		{ __LINE__, "10.0.0.1", 7070, "x.example", 8 },
		{ __LINE__, "::1", 7070, "", -1 },
	};
	struct config *cf = load(v6_conf);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct listen_addr la = { .port = cases[i].port };
		struct slice h = { cases[i].host, strlen(cases[i].host) };
		const struct server_conf *s;
		int got;

		if (strchr(cases[i].addr, ':')) {
			la.v6 = 1;
			assert_int_equal(inet_pton(AF_INET6, cases[i].addr, la.addr6), 1);
		} else {
			struct in_addr in;

			assert_int_equal(inet_pton(AF_INET, cases[i].addr, &in), 1);
			la.addr = ntohl(in.s_addr);
		}
		s = route_server(cf, &la, h);
		got = s ? (int)(s - cf->servers) : -1;
		if (got != cases[i].want)
			fail_msg("case at line %d: got %d, want %d", cases[i].line, got, cases[i].want);
	}
	config_free(cf);
}

/* ---- locations ---- */

/* Which ports need a wildcard listener's connections to know their
 * local address: those with a server at a specific address. */
static void test_port_has_addr(void **state)
{
	static const struct {
		int line;
		uint16_t port;
		int want;
	} cases[] = {
		{ __LINE__, 8080, 1 }, /* 127.0.0.1:8080 beside *:8080 */
		{ __LINE__, 9090, 0 }, /* only wildcard servers */
		{ __LINE__, 9091, 1 }, /* 127.0.0.2:9091 alone */
		{ __LINE__, 7070, 0 },
		{ __LINE__, 6060, 1 },
		{ __LINE__, 5050, 0 }, /* nobody */
	};
	struct config *cf = load(servers_conf);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (route_port_has_addr(cf, cases[i].port) != cases[i].want)
			fail_msg("line %d: port %u", cases[i].line, cases[i].port);
	assert_int_equal(route_port_has_addr(NULL, 80), 0);
	config_free(cf);
}

static void test_location(void **state)
{
	static const struct {
		int line;
		int srv;
		const char *path;
		size_t len;       /* 0: strlen(path) */
		const char *want; /* prefix, "" for the server's own */
		int exact;
	} cases[] = {
		{ __LINE__, 0, "/", 0, "/", 1 },
		{ __LINE__, 0, "/index.html", 0, "/", 0 },
		{ __LINE__, 0, "/img", 0, "/img", 0 },
		{ __LINE__, 0, "/img/", 0, "/img", 0 },
		/* plain character prefix, not by segment: "/img" matches
		 * "/imgs" (and "/images" is not a "/img" path at all) */
		{ __LINE__, 0, "/imgs", 0, "/img", 0 },
		{ __LINE__, 0, "/img2/x", 0, "/img", 0 },
		{ __LINE__, 0, "/images", 0, "/", 0 },
		{ __LINE__, 0, "/images/", 0, "/images/", 0 },
		{ __LINE__, 0, "/images/x.png", 0, "/images/", 0 },
		{ __LINE__, 0, "/imgXYZ", 4, "/img", 0 },
		{ __LINE__, 0, "/images/", 7, "/", 0 },
		{ __LINE__, 0, "/im", 0, "/", 0 },
		{ __LINE__, 0, "/exact", 0, "/exact", 1 },
		{ __LINE__, 0, "/exact/", 0, "/exact", 0 },
		{ __LINE__, 0, "/exactly", 0, "/exact", 0 },
		{ __LINE__, 0, "/exactXX", 6, "/exact", 1 },
		{ __LINE__, 0, "/only-exact", 0, "/only-exact", 1 },
		{ __LINE__, 0, "/only-exact/x", 0, "/", 0 },
		{ __LINE__, 0, "/a", 0, "/a", 0 },
		{ __LINE__, 0, "/a/b", 0, "/a", 0 },
		{ __LINE__, 0, "/a/b/c", 0, "/a/b/c", 0 },
		{ __LINE__, 0, "/a/b/cd", 0, "/a/b/c", 0 },
		{ __LINE__, 0, "/a/b/c/d", 0, "/a/b/c", 0 },
		{ __LINE__, 0, "/A", 0, "/", 0 },
		{ __LINE__, 0, "/IMG", 0, "/", 0 },
		{ __LINE__, 1, "/", 0, "", 0 },
		{ __LINE__, 1, "/x", 0, "", 0 },
		{ __LINE__, 1, "/only", 0, "/only", 0 },
		{ __LINE__, 1, "/only/x", 0, "/only", 0 },
		{ __LINE__, 1, "/onl", 0, "", 0 },
		{ __LINE__, 1, "/e", 0, "/e", 1 },
		{ __LINE__, 1, "/e/", 0, "", 0 },
		{ __LINE__, 2, "/anything", 0, "", 0 },
	};
	struct config *cf = load("server {\n"
				 " location / { }\n"
				 " location /img { }\n"
				 " location /images/ { }\n"
				 " location = /exact { }\n"
				 " location /exact { }\n"
				 " location = / { }\n"
				 " location /a/b/c { }\n"
				 " location /a { }\n"
				 " location = /only-exact { }\n"
				 "}\n"
				 "server { location /only { } location = /e { } }\n"
				 "server { }\n");

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct server_conf *s = &cf->servers[cases[i].srv];
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].path);
		char *keep = malloc(len);
		const struct loc_conf *l;

		assert_non_null(keep);
		memcpy(keep, cases[i].path, len);
		l = route_location(s, keep, len);
		free(keep);
		assert_non_null(l);
		if (strcmp(l->prefix, cases[i].want) != 0 || l->exact != cases[i].exact)
			fail_msg("case at line %d: got %s%s", cases[i].line, l->exact ? "= " : "",
				 l->prefix);
		if (!cases[i].want[0] && l != &s->srv)
			fail_msg("case at line %d: not the server's own", cases[i].line);
	}
	config_free(cf);
}

/* ---- file-system paths ---- */

static void test_fs_path(void **state)
{
	static const struct {
		int line;
		const char *path;
		const char *want;
	} cases[] = {
		{ __LINE__, "/a/b", "/var/www/a/b" },
		{ __LINE__, "/", "/var/www/" },
		{ __LINE__, "/dir/", "/var/www/dir/" },
		/* alias: the prefix is replaced, joined at a '/' */
		{ __LINE__, "/img/x.png", "/data/images/x.png" },
		{ __LINE__, "/img/", "/data/images/" },
		{ __LINE__, "/img/sub/", "/data/images/sub/" },
		{ __LINE__, "/img/a/b/c", "/data/images/a/b/c" },
		{ __LINE__, "/pics/x", "/data/images/x" },
		{ __LINE__, "/pics", "/data/images" },
		{ __LINE__, "/pics/", "/data/images/" },
		/* a prefix ending inside a segment names nothing in the alias:
		 * -2 (want NULL), never a sibling or parent of the directory */
		{ __LINE__, "/picsfoo", NULL },
		{ __LINE__, "/picsfoo/", NULL },
		{ __LINE__, "/pics../x", NULL },
		{ __LINE__, "/pics./", NULL },
		{ __LINE__, "/pics..", NULL },
		{ __LINE__, "/favicon.ico", "/data/f.ico" },
		{ __LINE__, "/aliasroot/x", "/x" },
		{ __LINE__, "/aliasroot", "/" },
		{ __LINE__, "/aliasroot/", "/" },
		/* root semantics inside locations */
		{ __LINE__, "/rootslash/x", "/rootslash/x" },
		{ __LINE__, "/r/x", "/srv/r/x" },
		{ __LINE__, "/r", "/srv/r" },
		{ __LINE__, "/up/f.txt", "/tmp/up/f.txt" },
	};
	struct config *cf = load("root /var/www;\n"
				 "server {\n"
				 " location /img/ { alias /data/images; }\n"
				 " location /pics { alias /data/images/; }\n"
				 " location = /favicon.ico { alias /data/f.ico; }\n"
				 " location /rootslash { root /; }\n"
				 " location /aliasroot { alias /; }\n"
				 " location /r { root /srv; }\n"
				 " location /up { root /tmp; upload_store /tmp/up; }\n"
				 "}\n");
	const struct server_conf *s = &cf->servers[0];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].path);
		char *keep = malloc(len);
		const struct loc_conf *l;
		char out[256];
		int rc;

		assert_non_null(keep);
		memcpy(keep, cases[i].path, len);
		l = route_location(s, keep, len);
		rc = route_fs_path(l, keep, len, out, sizeof(out));
		free(keep);
		if (cases[i].want == NULL) {
			if (rc != -2)
				fail_msg("case at line %d: rc %d, want -2", cases[i].line, rc);
			continue;
		}
		if (rc != 0 || strcmp(out, cases[i].want) != 0)
			fail_msg("case at line %d: rc %d, got %s", cases[i].line, rc, out);
	}
	config_free(cf);
}

/* The output buffer: exact fit works, one byte less is -1. */
static void test_fs_path_size(void **state)
{
	struct loc_conf root = { .prefix = (char *)"", .root = (char *)"/var/www" };
	struct loc_conf alias = { .prefix = (char *)"/img/", .root = (char *)"/x",
				  .alias = (char *)"/data/images" };
	char out[64];

	(void)state;
	/* "/var/www/a" is 10 bytes + NUL */
	assert_int_equal(route_fs_path(&root, "/a", 2, out, 11), 0);
	assert_string_equal(out, "/var/www/a");
	assert_int_equal(route_fs_path(&root, "/a", 2, out, 10), -1);
	assert_int_equal(route_fs_path(&root, "/a", 2, out, 8), -1);
	assert_int_equal(route_fs_path(&root, "/a", 2, out, 0), -1);
	assert_int_equal(route_fs_path(&root, "/a", 2, NULL, 10), -1);
	/* "/data/images/x" is 14 bytes + NUL */
	assert_int_equal(route_fs_path(&alias, "/img/x", 6, out, 15), 0);
	assert_string_equal(out, "/data/images/x");
	assert_int_equal(route_fs_path(&alias, "/img/x", 6, out, 14), -1);
	assert_int_equal(route_fs_path(&alias, "/img/x", 6, out, 13), -1);
	assert_int_equal(route_fs_path(&alias, "/img/x", 6, out, 12), -1);
	/* "/data/images/" is 13 bytes + NUL */
	assert_int_equal(route_fs_path(&alias, "/img/", 5, out, 14), 0);
	assert_string_equal(out, "/data/images/");
	assert_int_equal(route_fs_path(&alias, "/img/", 5, out, 13), -1);
	/* the path is taken by length, not up to a NUL */
	assert_int_equal(route_fs_path(&root, "/abc", 2, out, sizeof(out)), 0);
	assert_string_equal(out, "/var/www/a");
}

/* ---- cgi, error pages ---- */

static void test_cgi(void **state)
{
	static struct cgi_map maps[] = {
		{ (char *)".py", (char *)"/usr/bin/python3" },
		{ (char *)".sh", (char *)"/bin/sh" },
		{ (char *)".cgi", (char *)"/usr/bin/env" },
	};
	static const struct loc_conf lc = { .cgi = maps, .ncgi = 3 };
	static const struct loc_conf none = { .ncgi = 0 };
	static const struct {
		int line;
		const char *name;
		size_t len; /* 0: strlen */
		const char *want;
	} cases[] = {
		{ __LINE__, "script.py", 0, "/usr/bin/python3" },
		{ __LINE__, "/cgi-bin/a.b.py", 0, "/usr/bin/python3" },
		{ __LINE__, "/cgi-bin/x.sh", 0, "/bin/sh" },
		{ __LINE__, "t.cgi", 0, "/usr/bin/env" },
		{ __LINE__, ".py", 0, "/usr/bin/python3" },
		{ __LINE__, "/dir/.py", 0, "/usr/bin/python3" },
		{ __LINE__, "x.PY", 0, NULL },
		{ __LINE__, "x.pyc", 0, NULL },
		{ __LINE__, "x.p", 0, NULL },
		{ __LINE__, "x", 0, NULL },
		{ __LINE__, "x.", 0, NULL },
		{ __LINE__, "", 0, NULL },
		{ __LINE__, "/dir.py/x", 0, NULL },
		{ __LINE__, "/dir.py/", 0, NULL },
		{ __LINE__, "a.py.txt", 0, NULL },
		{ __LINE__, "a.txt.py", 0, "/usr/bin/python3" },
		{ __LINE__, "a.pyXX", 4, "/usr/bin/python3" },
		{ __LINE__, "a.shell", 4, "/bin/sh" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].name);
		char *keep = malloc(len ? len : 1);
		const char *got;

		assert_non_null(keep);
		memcpy(keep, cases[i].name, len);
		got = route_cgi(&lc, keep, len);
		if (cases[i].want ? (!got || strcmp(got, cases[i].want) != 0) : got != NULL)
			fail_msg("case at line %d: got %s", cases[i].line, got ? got : "(null)");
		assert_null(route_cgi(&none, keep, len));
		free(keep);
	}
}

static void test_cgi_parsed(void **state)
{
	struct config *cf = load("cgi .py python3;\n"
				 "server {\n location /cgi-bin { cgi .sh /bin/sh; }\n location /x { }\n}\n");
	const struct server_conf *s = &cf->servers[0];

	(void)state;
	assert_string_equal(route_cgi(route_location(s, "/x/a.py", 7), "/x/a.py", 7), "python3");
	assert_null(route_cgi(route_location(s, "/cgi-bin/a.py", 13), "/cgi-bin/a.py", 13));
	assert_string_equal(route_cgi(route_location(s, "/cgi-bin/a.sh", 13), "/cgi-bin/a.sh", 13),
			    "/bin/sh");
	assert_string_equal(route_cgi(&s->srv, "/a.py", 5), "python3");
	config_free(cf);
}

static void test_error_page(void **state)
{
	struct config *cf = load("error_page 404 /404.html;\n"
				 "error_page 500 502 /50x.html;\n"
				 "server {\n location /own { error_page 403 /403.html; }\n location /inh { }\n}\n"
				 "server { error_page 404 /s404.html; }\n");
	const struct server_conf *s = &cf->servers[0];
	const struct loc_conf *own = &s->locs[0], *inh = &s->locs[1];
	static const struct loc_conf none = { .nerror_pages = 0 };

	(void)state;
	assert_string_equal(route_error_page(&s->srv, 404), "/404.html");
	assert_string_equal(route_error_page(&s->srv, 500), "/50x.html");
	assert_string_equal(route_error_page(&s->srv, 502), "/50x.html");
	assert_null(route_error_page(&s->srv, 501));
	assert_null(route_error_page(&s->srv, 200));
	assert_null(route_error_page(&s->srv, 0));
	assert_string_equal(route_error_page(own, 403), "/403.html");
	assert_null(route_error_page(own, 404));
	assert_string_equal(route_error_page(inh, 404), "/404.html");
	assert_string_equal(route_error_page(inh, 502), "/50x.html");
	assert_string_equal(route_error_page(&cf->servers[1].srv, 404), "/s404.html");
	assert_null(route_error_page(&cf->servers[1].srv, 500));
	assert_null(route_error_page(&none, 404));
	config_free(cf);
}

/* ---- methods ---- */

static void test_method_bit(void **state)
{
	static const struct {
		int line;
		const char *m;
		size_t len; /* 0: strlen */
		unsigned want;
	} cases[] = {
		{ __LINE__, "GET", 0, M_GET },
		{ __LINE__, "HEAD", 0, M_HEAD },
		{ __LINE__, "POST", 0, M_POST },
		{ __LINE__, "PUT", 0, M_PUT },
		{ __LINE__, "DELETE", 0, M_DELETE },
		{ __LINE__, "get", 0, 0 },
		{ __LINE__, "Get", 0, 0 },
		{ __LINE__, "PATCH", 0, 0 },
		{ __LINE__, "OPTIONS", 0, 0 },
		{ __LINE__, "TRACE", 0, 0 },
		{ __LINE__, "CONNECT", 0, 0 },
		{ __LINE__, "GETX", 0, 0 },
		{ __LINE__, "GE", 0, 0 },
		{ __LINE__, "GETX", 3, M_GET },
		{ __LINE__, "DELETED", 6, M_DELETE },
		{ __LINE__, "", 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].m);
		char *keep;
		struct slice m = heap_slice(cases[i].m, len, &keep);
		unsigned got = route_method_bit(m);

		free(keep);
		if (got != cases[i].want)
			fail_msg("case at line %d: got %x", cases[i].line, got);
	}
}

static void test_allow(void **state)
{
	static const struct {
		int line;
		unsigned methods;
		size_t outlen;
		const char *want;
	} cases[] = {
		{ __LINE__, M_GET | M_HEAD, 64, "GET, HEAD" },
		{ __LINE__, M_GET | M_HEAD | M_POST | M_PUT | M_DELETE, 64, "GET, HEAD, POST, PUT, DELETE" },
		{ __LINE__, M_DELETE | M_GET | M_HEAD, 64, "GET, HEAD, DELETE" },
		{ __LINE__, M_POST, 64, "POST" },
		{ __LINE__, M_PUT | M_POST, 64, "POST, PUT" },
		{ __LINE__, M_HEAD, 64, "HEAD" },
		{ __LINE__, M_DELETE, 64, "DELETE" },
		{ __LINE__, 0, 64, "" },
		/* "GET, HEAD, POST, PUT, DELETE" is 28 bytes + NUL */
		{ __LINE__, M_GET | M_HEAD | M_POST | M_PUT | M_DELETE, 29, "GET, HEAD, POST, PUT, DELETE" },
		{ __LINE__, M_GET | M_HEAD | M_POST | M_PUT | M_DELETE, 28, "GET, HEAD, POST, PUT" },
		{ __LINE__, M_GET | M_HEAD, 9, "GET" },
		{ __LINE__, M_GET | M_HEAD, 4, "GET" },
		{ __LINE__, M_GET | M_HEAD, 3, "" },
		{ __LINE__, M_GET | M_HEAD, 1, "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct loc_conf lc = { .methods = cases[i].methods };
		char *out = malloc(cases[i].outlen);
		size_t n;

		assert_non_null(out);
		n = route_allow(&lc, out, cases[i].outlen);
		if (n != strlen(cases[i].want) || strcmp(out, cases[i].want) != 0)
			fail_msg("case at line %d: got [%s] %zu", cases[i].line, out, n);
		free(out);
	}
	{
		struct loc_conf lc = { .methods = M_GET };
		char c = 'x';

		assert_int_equal(route_allow(&lc, &c, 0), 0);
		assert_int_equal(c, 'x');
	}
}

/* allow_methods from the config through to the Allow value. */
static void test_allow_parsed(void **state)
{
	struct config *cf = load("server {\n allow_methods GET POST;\n"
				 " location /up { allow_methods PUT DELETE GET; }\n"
				 " location /ro { }\n}\n");
	const struct server_conf *s = &cf->servers[0];
	char out[64];

	(void)state;
	route_allow(&s->srv, out, sizeof(out));
	assert_string_equal(out, "GET, HEAD, POST");
	route_allow(route_location(s, "/up/x", 5), out, sizeof(out));
	assert_string_equal(out, "GET, HEAD, PUT, DELETE");
	route_allow(route_location(s, "/ro", 3), out, sizeof(out));
	assert_string_equal(out, "GET, HEAD, POST");
	assert_true(route_location(s, "/up/x", 5)->methods & route_method_bit(SLICE_LIT("DELETE")));
	assert_false(route_location(s, "/ro", 3)->methods & route_method_bit(SLICE_LIT("DELETE")));
	config_free(cf);
}

/* What a location really serves: PUT needs a store, POST a store or a
 * script; OPTIONS is added on request; a server sums its locations. */
static void test_allow_served(void **state)
{
	struct config *cf = load("server {\n allow_methods GET POST PUT DELETE;\n"
				 " location /up { upload_store /srv/ws/up; }\n"
				 " location /cgi { cgi .py /usr/bin/python3; }\n"
				 " location /ret { return 301 /x; allow_methods GET PUT; }\n"
				 " location /ro { allow_methods GET; }\n}\n");
	const struct server_conf *s = &cf->servers[0];
	static const struct {
		int line;
		const char *path;
		int options;
		const char *want;
	} cases[] = {
		{ __LINE__, "/", 0, "GET, HEAD, DELETE" },
		{ __LINE__, "/", 1, "GET, HEAD, DELETE, OPTIONS" },
		{ __LINE__, "/up/a", 0, "GET, HEAD, POST, PUT, DELETE" },
		{ __LINE__, "/cgi/a.py", 0, "GET, HEAD, POST, DELETE" },
		{ __LINE__, "/ro", 1, "GET, HEAD, OPTIONS" },
	};
	char out[ROUTE_ALLOW_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct loc_conf *lc = route_location(s, cases[i].path, strlen(cases[i].path));

		route_allow_format(route_allow_mask(lc), cases[i].options, out, sizeof(out));
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case at line %d: got [%s]", cases[i].line, out);
	}
	/* The /ret location's PUT is not counted: it only redirects. */
	route_allow_format(route_allow_server(s), 1, out, sizeof(out));
	assert_string_equal(out, "GET, HEAD, POST, PUT, DELETE, OPTIONS");
	assert_int_equal(route_allow_format(0, 1, out, sizeof(out)), 7);
	assert_string_equal(out, "OPTIONS");
	assert_int_equal(route_allow_format(M_GET | M_HEAD, 1, out, 10), 9);
	assert_string_equal(out, "GET, HEAD");
	config_free(cf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server),
		cmocka_unit_test(test_server_v6),
		cmocka_unit_test(test_port_has_addr),
		cmocka_unit_test(test_location),
		cmocka_unit_test(test_fs_path),
		cmocka_unit_test(test_fs_path_size),
		cmocka_unit_test(test_cgi),
		cmocka_unit_test(test_cgi_parsed),
		cmocka_unit_test(test_error_page),
		cmocka_unit_test(test_method_bit),
		cmocka_unit_test(test_allow),
		cmocka_unit_test(test_allow_parsed),
		cmocka_unit_test(test_allow_served),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
