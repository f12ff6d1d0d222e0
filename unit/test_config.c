/* Unit tests for src/config.c: every directive, defaults, inheritance,
 * every configuration error with its FILE:LINE, include, lexer corners,
 * and a mutation run that must never crash. */

#include <errno.h>
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

/* The module is included (as h2o and lighttpd tests do) to reach its
 * static helpers and to make malloc fail on demand. */
static long malloc_budget = -1; /* allocations left; -1: unlimited */

static void *oom_malloc(size_t n)
{
	if (malloc_budget == 0)
		return NULL;
	if (malloc_budget > 0)
		malloc_budget--;
	return malloc(n);
}

/* Tiny chunks: nearly every arena allocation is a malloc of its own, so
 * the out-of-memory run reaches each allocation site. */
#define CHUNK_SIZE 64
#define malloc(n) oom_malloc(n)
#include "../src/config.c"
#undef malloc

#define DIR "/srv/ws"
#define MAIN DIR "/main.conf"
#define AT(n) MAIN ":" #n ": "

/* ---- fake file system ---- */

struct file {
	const char *path;
	const char *text;
};

static const struct file files[] = {
	{ DIR "/mime.types",
	  "types {\n"
	  "    text/html html htm;\n"
	  "    image/png png;\n"
	  "    application/x-custom cust;\n"
	  "}\n" },
	{ DIR "/srv.conf", "server {\n    listen 9090;\n    server_name inc.example;\n}\n" },
	{ DIR "/bad.conf", "# bad\n\nfoo bar;\n" },
	{ DIR "/loc.conf", "location /inc {\n    root /data;\n}\n" },
	{ DIR "/self.conf", "include self.conf;\n" },
	{ DIR "/unbalanced.conf", "server {\n    listen 80;\n" },
	{ DIR "/nested/a.conf", "# a\ninclude nested/b.conf;\n" },
	{ DIR "/nested/b.conf", "\nroot /nope;\n" },
	{ DIR "/nested/ok.conf", "include nested/ok2.conf;\n" },
	{ DIR "/nested/ok2.conf", "index from-ok2.html;\n" },
	{ DIR "/semi.conf", "root /data" },
	{ DIR "/dir.conf", "root /data;\nindex a.html;\n" },
	{ DIR "/types_inner.conf", "text/css css;\nimage/gif gif GIF2;\n" },
	{ DIR "/empty.conf", "" },
	{ DIR "/rbrace.conf", "}\n" },
	{ DIR "/listen.conf", "listen 80;\n" },
	{ DIR "/quote.conf", "\n\nroot \"/data;\n" },
	{ DIR "/lbrace.conf", "location /x {\n" },
	{ "/abs/inc.conf", "keepalive_timeout 7s;\n" },
};

static const char *const dirs[] = {
	"/", DIR, DIR "/www", DIR "/up", "/data", "/data/images", "/var/www",
	"/tmp", "/srv", "rel", "rel/www", "www",
};

static int reads;

static int fake_read(void *ctx, const char *path, char **data, size_t *len)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (strcmp(files[i].path, path) != 0)
			continue;
		*len = strlen(files[i].text);
		/* Exact size, no NUL: ASan catches a read past the end. */
		*data = malloc(*len ? *len : 1);
		assert_non_null(*data);
		memcpy(*data, files[i].text, *len);
		reads++;
		return 0;
	}
	/* A reader that knows why reports the errno. */
	if (strstr(path, "/denied") != NULL)
		return EACCES;
	return -1;
}

static int fake_is_dir(void *ctx, const char *path)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (strcmp(dirs[i], path) == 0)
			return 1;
	return 0;
}

/* Users "www" and "nobody", groups "web" and "nogroup". */
static int fake_user(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "www") == 0 || strcmp(name, "nobody") == 0;
}

static int fake_group(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "web") == 0 || strcmp(name, "nogroup") == 0;
}

static const struct config_io io = { .read_file = fake_read, .is_dir = fake_is_dir,
				     .lookup_user = fake_user, .lookup_group = fake_group };

/* Parses text (copied to an exact-size heap buffer that is freed before
 * the tree is used, so the tree must not point into it). */
static struct config *parse_as(const char *path, const char *text, size_t len,
			       char *err, size_t errlen)
{
	char *copy = malloc(len ? len : 1);
	struct config *cf;

	assert_non_null(copy);
	memcpy(copy, text, len);
	cf = config_parse(path, copy, len, &io, err, errlen);
	free(copy);
	return cf;
}

static struct config *parse(const char *text, char *err, size_t errlen)
{
	return parse_as(MAIN, text, strlen(text), err, errlen);
}

/* Parses text that must be valid. */
static struct config *ok_at(int line, const char *text)
{
	char err[512];
	struct config *cf = parse(text, err, sizeof(err));

	if (!cf)
		fail_msg("case at line %d: unexpected error: %s", line, err);
	return cf;
}

#define OK(text) ok_at(__LINE__, text)

/* ---- errors ---- */

struct err_case {
	int line;
	const char *text;
	const char *err;
};

static const struct err_case err_cases[] = {
	/* unknown directive, wrong block */
	{ __LINE__, "foo;", AT(1) "unknown directive \"foo\"" },
	{ __LINE__, "server {\n listen 80;\n foo bar;\n}\n", AT(3) "unknown directive \"foo\"" },
	{ __LINE__, "server {\n location / {\n  listen 80;\n }\n}\n",
	  AT(3) "\"listen\" directive is not allowed here" },
	{ __LINE__, "listen 80;\nserver {}\n", AT(1) "\"listen\" directive is not allowed here" },
	{ __LINE__, "server_name a;\nserver {}\n", AT(1) "\"server_name\" directive is not allowed here" },
	{ __LINE__, "server {\n server {\n }\n}\n", AT(2) "\"server\" directive is not allowed here" },
	{ __LINE__, "server {\n location / {\n  location /a {\n  }\n }\n}\n",
	  AT(3) "\"location\" directive is not allowed here" },
	{ __LINE__, "location / {\n}\n", AT(1) "\"location\" directive is not allowed here" },
	{ __LINE__, "server {\n alias /data;\n}\n", AT(2) "\"alias\" directive is not allowed here" },
	{ __LINE__, "alias /data;\n", AT(1) "\"alias\" directive is not allowed here" },
	{ __LINE__, "server {\n upload_store /data;\n}\n",
	  AT(2) "\"upload_store\" directive is not allowed here" },
	{ __LINE__, "server {\n error_log stderr;\n}\n", AT(2) "\"error_log\" directive is not allowed here" },
	{ __LINE__, "server {\n pid x.pid;\n}\n", AT(2) "\"pid\" directive is not allowed here" },
	{ __LINE__, "server {\n location / {\n pid x.pid;\n }\n}\n",
	  AT(3) "\"pid\" directive is not allowed here" },
	{ __LINE__, "server {\n location / {\n error_log x;\n }\n}\n",
	  AT(3) "\"error_log\" directive is not allowed here" },
	{ __LINE__, "server {\n max_connections 5;\n}\n",
	  AT(2) "\"max_connections\" directive is not allowed here" },
	{ __LINE__, "return 200;\nserver {}\n", AT(1) "\"return\" directive is not allowed here" },
	{ __LINE__, "server {\n location / {\n  access_log off;\n }\n}",
	  AT(3) "\"access_log\" directive is not allowed here" },
	{ __LINE__, "server {\n location / {\n  types {\n  }\n }\n}\n",
	  AT(3) "\"types\" directive is not allowed here" },
	{ __LINE__, "types {\n server {\n }\n}\n", AT(2) "unexpected \"{\"" },

	/* missing ';' or '}' */
	{ __LINE__, "server {\n listen 80\n}\n", AT(3) "unexpected \"}\"" },
	{ __LINE__, "server {\n listen 80;\n", AT(2) "unexpected end of file, expecting \"}\"" },
	{ __LINE__, "server {\n listen 80;", AT(2) "unexpected end of file, expecting \"}\"" },
	{ __LINE__, "server {\n listen 80;\n\n\n# trailing comment\n",
	  AT(5) "unexpected end of file, expecting \"}\"" },
	{ __LINE__, "server {\n listen 80", AT(2) "unexpected end of file, expecting \";\" or \"}\"" },
	{ __LINE__, "server {\n listen 80\n\n",
	  AT(3) "unexpected end of file, expecting \";\" or \"}\"" },
	{ __LINE__, "server {\n location / {\n  root /data;\n }\n",
	  AT(4) "unexpected end of file, expecting \"}\"" },
	{ __LINE__, "server {\n root /data\n index a.html;\n}\n", AT(3) "unexpected \"index\", expecting \";\"" },
	{ __LINE__, "server {\n index a.html\n root /data;\n}\n", AT(3) "unexpected \"root\", expecting \";\"" },
	{ __LINE__, "server {\n server_name\n root /data;\n}\n", AT(3) "unexpected \"root\", expecting \";\"" },
	{ __LINE__, "server {\n root /data\n /more;\n}\n", AT(3) "unexpected \"/more\", expecting \";\"" },
	{ __LINE__, "server {\n listen 80\n location / {\n }\n}\n",
	  AT(3) "unexpected \"location\", expecting \";\"" },
	{ __LINE__, "server\nlisten 80;\n", AT(2) "unexpected \"listen\", expecting \"{\"" },
	{ __LINE__, "server {\n location /a\n  root /data;\n }\n}\n",
	  AT(3) "unexpected \"root\", expecting \"{\"" },
	{ __LINE__, "}\n", AT(1) "unexpected \"}\"" },
	{ __LINE__, "server {\n}\n}\n", AT(3) "unexpected \"}\"" },
	{ __LINE__, ";\n", AT(1) "unexpected \";\"" },
	{ __LINE__, "server {\n ;\n}", AT(2) "unexpected \";\"" },
	{ __LINE__, "{\n}\n", AT(1) "unexpected \"{\"" },
	{ __LINE__, "server {\n root /data {\n }\n}\n", AT(2) "directive \"root\" is not terminated by \";\"" },
	{ __LINE__, "server;\n", AT(1) "directive \"server\" has no opening \"{\"" },
	{ __LINE__, "server {\n location /;\n}\n", AT(2) "directive \"location\" has no opening \"{\"" },
	{ __LINE__, "types;\nserver {}", AT(1) "directive \"types\" has no opening \"{\"" },

	/* arity */
	{ __LINE__, "server x {\n}\n", AT(1) "invalid number of arguments in \"server\" directive" },
	{ __LINE__, "server {\n listen;\n}\n", AT(2) "invalid number of arguments in \"listen\" directive" },
	{ __LINE__, "server {\n listen 80 81;\n}\n", AT(2) "invalid parameter \"81\" in \"listen\" directive" },
	{ __LINE__, "server {\n listen 80 proxy_protocol x;\n}\n",
	  AT(2) "invalid parameter \"x\" in \"listen\" directive" },
	{ __LINE__, "server {\n listen 80 default_server ipv6only=on proxy_protocol x;\n}\n",
	  AT(2) "invalid number of arguments in \"listen\" directive" },
	{ __LINE__, "server {\n listen 80\n  PROXY_PROTOCOL;\n}\n",
	  AT(3) "invalid parameter \"PROXY_PROTOCOL\" in \"listen\" directive" },
	{ __LINE__, "server {\n root;\n}", AT(2) "invalid number of arguments in \"root\" directive" },
	{ __LINE__, "server {\n root /a /b;\n}", AT(2) "invalid number of arguments in \"root\" directive" },
	{ __LINE__, "server {\n server_name;\n}", AT(2) "invalid number of arguments in \"server_name\" directive" },
	{ __LINE__, "server {\n index;\n}", AT(2) "invalid number of arguments in \"index\" directive" },
	{ __LINE__, "server {\n allow_methods;\n}", AT(2) "invalid number of arguments in \"allow_methods\" directive" },
	{ __LINE__, "server {\n autoindex on off;\n}", AT(2) "invalid number of arguments in \"autoindex\" directive" },
	{ __LINE__, "server {\n cgi .py;\n}", AT(2) "invalid number of arguments in \"cgi\" directive" },
	{ __LINE__, "server {\n cgi .py a b;\n}", AT(2) "invalid number of arguments in \"cgi\" directive" },
	{ __LINE__, "server {\n error_page 404;\n}", AT(2) "invalid number of arguments in \"error_page\" directive" },
	{ __LINE__, "server {\n return;\n}", AT(2) "invalid number of arguments in \"return\" directive" },
	{ __LINE__, "server {\n return 301 /a /b;\n}", AT(2) "invalid number of arguments in \"return\" directive" },
	{ __LINE__, "server {\n location {\n }\n}", AT(2) "invalid number of arguments in \"location\" directive" },
	{ __LINE__, "server {\n location = /a /b {\n }\n}",
	  AT(2) "invalid number of arguments in \"location\" directive" },
	{ __LINE__, "server {\n keepalive_timeout 1 2;\n}",
	  AT(2) "invalid number of arguments in \"keepalive_timeout\" directive" },
	{ __LINE__, "server {\n client_max_body_size;\n}",
	  AT(2) "invalid number of arguments in \"client_max_body_size\" directive" },
	{ __LINE__, "server {\n access_log;\n}", AT(2) "invalid number of arguments in \"access_log\" directive" },
	{ __LINE__, "error_log a b;\n", AT(1) "invalid number of arguments in \"error_log\" directive" },
	{ __LINE__, "pid a b;\n", AT(1) "invalid number of arguments in \"pid\" directive" },
	{ __LINE__, "pid;\n", AT(1) "invalid number of arguments in \"pid\" directive" },
	{ __LINE__, "pid \"\";\n", AT(1) "invalid value \"\" in \"pid\" directive" },
	{ __LINE__, "include;\n", AT(1) "invalid number of arguments in \"include\" directive" },
	{ __LINE__, "types {\n text/html;\n}", AT(2) "invalid number of arguments in \"text/html\" directive" },

	/* user, cgi_allow_root */
	{ __LINE__, "user ghost;\nserver {}", AT(1) "unknown user \"ghost\"" },
	{ __LINE__, "\nuser www\n  ghosts;\nserver {}", AT(3) "unknown group \"ghosts\"" },
	{ __LINE__, "user;\nserver {}", AT(1) "invalid number of arguments in \"user\" directive" },
	{ __LINE__, "user a b c;\nserver {}", AT(1) "invalid number of arguments in \"user\" directive" },
	{ __LINE__, "user \"\";\nserver {}", AT(1) "invalid value \"\" in \"user\" directive" },
	{ __LINE__, "user www;\nuser www;\nserver {}", AT(2) "\"user\" directive is duplicate" },
	{ __LINE__, "server {\n user www;\n}", AT(2) "\"user\" directive is not allowed here" },
	{ __LINE__, "cgi_allow_root 1;\nserver {}",
	  AT(1) "invalid value \"1\" in \"cgi_allow_root\" directive, it must be \"on\" or \"off\"" },
	{ __LINE__, "server {\n location / {\n  cgi_allow_root on;\n }\n}",
	  AT(3) "\"cgi_allow_root\" directive is not allowed here" },
	/* listen */
	{ __LINE__, "server {\n listen 99999;\n}", AT(2) "invalid port in \"99999\"" },
	{ __LINE__, "server {\n listen 0;\n}", AT(2) "invalid port in \"0\"" },
	{ __LINE__, "server {\n listen 65536;\n}", AT(2) "invalid port in \"65536\"" },
	{ __LINE__, "server {\n listen 127.0.0.1:65536;\n}", AT(2) "invalid port in \"127.0.0.1:65536\"" },
	{ __LINE__, "server {\n listen 18446744073709551697;\n}", AT(2) "invalid port in \"18446744073709551697\"" },
	{ __LINE__, "server {\n listen abc;\n}", AT(2) "invalid port in \"abc\"" },
	{ __LINE__, "server {\n listen localhost;\n}", AT(2) "invalid port in \"localhost\"" },
	{ __LINE__, "server {\n listen -80;\n}", AT(2) "invalid port in \"-80\"" },
	{ __LINE__, "server {\n listen +80;\n}", AT(2) "invalid port in \"+80\"" },
	{ __LINE__, "server {\n listen 80x;\n}", AT(2) "invalid port in \"80x\"" },
	{ __LINE__, "server {\n listen 127.0.0.1:;\n}", AT(2) "invalid port in \"127.0.0.1:\"" },
	{ __LINE__, "server {\n listen 1.2.3:80;\n}", AT(2) "invalid host in \"1.2.3:80\"" },
	{ __LINE__, "server {\n listen 1.2.3.4.5:80;\n}", AT(2) "invalid host in \"1.2.3.4.5:80\"" },
	{ __LINE__, "server {\n listen 256.1.1.1:80;\n}", AT(2) "invalid host in \"256.1.1.1:80\"" },
	{ __LINE__, "server {\n listen 1.2.3.0004:80;\n}", AT(2) "invalid host in \"1.2.3.0004:80\"" },
	{ __LINE__, "server {\n listen 1..2.3:80;\n}", AT(2) "invalid host in \"1..2.3:80\"" },
	{ __LINE__, "server {\n listen example.com:80;\n}", AT(2) "invalid host in \"example.com:80\"" },
	{ __LINE__, "server {\n listen :80;\n}", AT(2) "invalid host in \":80\"" },
	{ __LINE__, "server {\n listen **:80;\n}", AT(2) "invalid host in \"**:80\"" },
	{ __LINE__, "server {\n listen [::1:80;\n}", AT(2) "missing \"]\" in \"[::1:80\"" },
	{ __LINE__, "server {\n listen [::1];\n}", AT(2) "invalid port in \"[::1]\"" },
	{ __LINE__, "server {\n listen [::1]80;\n}", AT(2) "invalid port in \"[::1]80\"" },
	{ __LINE__, "server {\n listen [::1]:;\n}", AT(2) "invalid port in \"[::1]:\"" },
	{ __LINE__, "server {\n listen [::1]:0;\n}", AT(2) "invalid port in \"[::1]:0\"" },
	{ __LINE__, "server {\n listen [::1]:65536;\n}", AT(2) "invalid port in \"[::1]:65536\"" },
	{ __LINE__, "server {\n listen [::1]:8x;\n}", AT(2) "invalid port in \"[::1]:8x\"" },
	{ __LINE__, "server {\n listen [::1]]:80;\n}", AT(2) "invalid port in \"[::1]]:80\"" },
	{ __LINE__, "server {\n listen []:80;\n}", AT(2) "invalid IPv6 address in \"[]:80\"" },
	{ __LINE__, "server {\n listen [::g]:80;\n}", AT(2) "invalid IPv6 address in \"[::g]:80\"" },
	{ __LINE__, "server {\n listen [1.2.3.4]:80;\n}", AT(2) "invalid IPv6 address in \"[1.2.3.4]:80\"" },
	{ __LINE__, "server {\n listen [::1:2:3:4:5:6:7:8]:80;\n}",
	  AT(2) "invalid IPv6 address in \"[::1:2:3:4:5:6:7:8]:80\"" },
	{ __LINE__, "server {\n listen [fe80::1%eth0]:80;\n}",
	  AT(2) "invalid IPv6 address in \"[fe80::1%eth0]:80\"" },
	{ __LINE__, "server {\n listen [::ffff:127.0.0.1]:80;\n}",
	  AT(2) "IPv4-mapped address in \"[::ffff:127.0.0.1]:80\": listen on the IPv4 address" },
	{ __LINE__, "server {\n listen [[::1]]:80;\n}", AT(2) "invalid port in \"[[::1]]:80\"" },
	{ __LINE__, "server {\n listen ::1:80;\n}",
	  AT(2) "invalid host in \"::1:80\" (an IPv6 address goes in brackets: \"[ADDRESS]:PORT\")" },
	{ __LINE__, "server {\n listen [::1]:80;\n listen [0:0::1]:80;\n}", AT(3) "duplicate listen [::1]:80" },
	{ __LINE__, "server {\n listen 80 ipv6only=on;\n}",
	  AT(2) "\"ipv6only\" applies only to IPv6 addresses, not to 0.0.0.0:80" },
	{ __LINE__, "server {\n listen [::]:80 ipv6only=yes;\n}", AT(2) "invalid parameter \"ipv6only=yes\" in \"listen\" directive" },
	{ __LINE__, "server {\n listen [::]:80 default;\n}", AT(2) "invalid parameter \"default\" in \"listen\" directive" },
	{ __LINE__, "server {\n listen [::]:80 ipv6only=off;\n}\nserver {\n listen [::]:80;\n}",
	  AT(5) "conflicting \"ipv6only\" for [::]:80 (\"off\" before)" },
	{ __LINE__, "server {\n listen [::1]:80 default_server;\n}\nserver {\n listen [::1]:80 default_server;\n}",
	  AT(5) "a duplicate default server for [::1]:80" },
	{ __LINE__, "server {\n listen 80 default_server;\n}\nserver {\n listen *:80 default_server;\n}",
	  AT(5) "a duplicate default server for 0.0.0.0:80" },
	{ __LINE__, "server {\n listen 127.0.0.1:8080;\n listen 127.0.0.1:8080;\n}",
	  AT(3) "duplicate listen 127.0.0.1:8080" },
	{ __LINE__, "server {\n listen 80;\n listen *:80;\n}", AT(3) "duplicate listen 0.0.0.0:80" },
	{ __LINE__, "server {\n listen 0.0.0.0:80;\n listen 80;\n}", AT(3) "duplicate listen 0.0.0.0:80" },
	{ __LINE__, "server {\n listen localhost:81;\n listen 127.0.0.1:81;\n}",
	  AT(3) "duplicate listen 127.0.0.1:81" },

	/* duplicates */
	{ __LINE__, "server {\n root /data;\n root /data;\n}", AT(3) "\"root\" directive is duplicate" },
	{ __LINE__, "root /data;\nroot /tmp;\nserver {}", AT(2) "\"root\" directive is duplicate" },
	{ __LINE__, "server {\n index a;\n index b;\n}", AT(3) "\"index\" directive is duplicate" },
	{ __LINE__, "server {\n autoindex on;\n autoindex off;\n}", AT(3) "\"autoindex\" directive is duplicate" },
	{ __LINE__, "server {\n allow_methods GET;\n allow_methods POST;\n}",
	  AT(3) "\"allow_methods\" directive is duplicate" },
	{ __LINE__, "server {\n client_max_body_size 1;\n client_max_body_size 2;\n}",
	  AT(3) "\"client_max_body_size\" directive is duplicate" },
	{ __LINE__, "server {\n return 200;\n return 204;\n}", AT(3) "\"return\" directive is duplicate" },
	{ __LINE__, "server {\n send_timeout 1;\n send_timeout 2;\n}",
	  AT(3) "\"send_timeout\" directive is duplicate" },
	{ __LINE__, "server {\n access_log off;\n access_log stdout;\n}",
	  AT(3) "\"access_log\" directive is duplicate" },
	{ __LINE__, "error_log stderr;\nerror_log stderr;\n", AT(2) "\"error_log\" directive is duplicate" },
	{ __LINE__, "pid a.pid;\npid b.pid;\n", AT(2) "\"pid\" directive is duplicate" },
	{ __LINE__, "max_connections 5;\nmax_connections 5;\n",
	  AT(2) "\"max_connections\" directive is duplicate" },
	{ __LINE__, "server {\n location / {\n  alias /data;\n  alias /data;\n }\n}",
	  AT(4) "\"alias\" directive is duplicate" },
	{ __LINE__, "server {\n location / {\n  upload_store /data;\n  upload_store /tmp;\n }\n}",
	  AT(4) "\"upload_store\" directive is duplicate" },

	/* directories */
	{ __LINE__, "server {\n root /nope;\n}", AT(2) "root directory \"/nope\" does not exist" },
	{ __LINE__, "root nope;\nserver {}\n", AT(1) "root directory \"" DIR "/nope\" (given as \"nope\") does not exist" },
	{ __LINE__, "server {\n root\n  /nope;\n}", AT(3) "root directory \"/nope\" does not exist" },
	{ __LINE__, "server {\n location / {\n  alias /nope/;\n }\n}",
	  AT(3) "alias directory \"/nope\" does not exist" },
	{ __LINE__, "server {\n location / {\n  upload_store uploads;\n }\n}",
	  AT(3) "upload_store directory \"" DIR "/uploads\" (given as \"uploads\") does not exist" },
	{ __LINE__, "server {\n location / {\n  alias ./a/../b//c/;\n }\n}",
	  AT(3) "alias directory \"" DIR "/a/../b/c\" (given as \"./a/../b//c/\") does not exist" },
	{ __LINE__, "server {\n root \"\";\n}", AT(2) "invalid value \"\" in \"root\" directive" },

	/* locations */
	{ __LINE__, "server {\n location /a {\n }\n location /a {\n }\n}", AT(4) "duplicate location \"/a\"" },
	{ __LINE__, "server {\n location = /a {\n }\n location =/a {\n }\n}", AT(4) "duplicate location \"/a\"" },
	{ __LINE__, "server {\n location /a {\n  alias /data;\n  root /data;\n }\n}",
	  AT(4) "\"alias\" and \"root\" in the same location" },
	{ __LINE__, "server {\n location /a {\n  root /data;\n  alias /data;\n }\n}",
	  AT(4) "\"alias\" and \"root\" in the same location" },
	{ __LINE__, "server {\n location ~ \\.php$ {\n }\n}", AT(2) "unsupported location modifier \"~\"" },
	{ __LINE__, "server {\n location ~* \\.php$ {\n }\n}", AT(2) "unsupported location modifier \"~*\"" },
	{ __LINE__, "server {\n location ^~ /a {\n }\n}", AT(2) "unsupported location modifier \"^~\"" },
	{ __LINE__, "server {\n location ~\\.php$ {\n }\n}", AT(2) "unsupported location modifier \"~\"" },
	{ __LINE__, "server {\n location ~*\\.php$ {\n }\n}", AT(2) "unsupported location modifier \"~*\"" },
	{ __LINE__, "server {\n location ^~/a {\n }\n}", AT(2) "unsupported location modifier \"^~\"" },
	{ __LINE__, "server {\n location + /a {\n }\n}", AT(2) "invalid location modifier \"+\"" },
	{ __LINE__, "server {\n location a {\n }\n}", AT(2) "location \"a\" must start with \"/\"" },
	{ __LINE__, "server {\n location @named {\n }\n}", AT(2) "location \"@named\" must start with \"/\"" },
	{ __LINE__, "server {\n location = a {\n }\n}", AT(2) "location \"a\" must start with \"/\"" },
	{ __LINE__, "server {\n location = {\n }\n}", AT(2) "location \"=\" must start with \"/\"" },

	/* values */
	{ __LINE__, "", AT(1) "no server block" },
	{ __LINE__, "# only a comment\n\nroot /data;\n", AT(3) "no server block" },
	{ __LINE__, "server {\n client_max_body_size 10q;\n}", AT(2) "invalid size \"10q\"" },
	{ __LINE__, "server {\n client_max_body_size k;\n}", AT(2) "invalid size \"k\"" },
	{ __LINE__, "server {\n client_max_body_size -1;\n}", AT(2) "invalid size \"-1\"" },
	{ __LINE__, "server {\n client_max_body_size 1.5m;\n}", AT(2) "invalid size \"1.5m\"" },
	{ __LINE__, "server {\n client_max_body_size 1kb;\n}", AT(2) "invalid size \"1kb\"" },
	{ __LINE__, "server {\n client_max_body_size 17179869184g;\n}", AT(2) "invalid size \"17179869184g\"" },
	{ __LINE__, "server {\n client_max_body_size 18446744073709551616;\n}",
	  AT(2) "invalid size \"18446744073709551616\"" },
	{ __LINE__, "server {\n client_max_body_size 18446744073709551615;\n}",
	  AT(2) "invalid size \"18446744073709551615\"" },
	{ __LINE__, "server {\n keepalive_timeout 5x;\n}", AT(2) "invalid time \"5x\"" },
	{ __LINE__, "server {\n cgi_timeout s;\n}", AT(2) "invalid time \"s\"" },
	{ __LINE__, "server {\n send_timeout 5S;\n}", AT(2) "invalid time \"5S\"" },
	{ __LINE__, "server {\n client_header_timeout 1m30;\n}", AT(2) "invalid time \"1m30\"" },
	{ __LINE__, "server {\n client_body_timeout -5;\n}", AT(2) "invalid time \"-5\"" },
	{ __LINE__, "client_body_timeout 99999999999999h;\nserver {}", AT(1) "invalid time \"99999999999999h\"" },
	{ __LINE__, "server {\n allow_methods GET PATCH;\n}", AT(2) "invalid method \"PATCH\"" },
	{ __LINE__, "allow_methods get;\n", AT(1) "invalid method \"get\"" },
	{ __LINE__, "server {\n location / {\n  allow_methods OPTIONS;\n }\n}", AT(3) "invalid method \"OPTIONS\"" },
	{ __LINE__, "server {\n allow_methods GET\n  TRACE;\n}", AT(3) "invalid method \"TRACE\"" },
	{ __LINE__, "server {\n error_page 299 /e.html;\n}", AT(2) "value \"299\" must be between 300 and 599" },
	{ __LINE__, "server {\n error_page 404 600 /e.html;\n}", AT(2) "value \"600\" must be between 300 and 599" },
	{ __LINE__, "server {\n error_page =200 /e.html;\n}", AT(2) "value \"=200\" must be between 300 and 599" },
	{ __LINE__, "server {\n error_page 404 e.html;\n}", AT(2) "invalid uri \"e.html\" in \"error_page\" directive" },
	{ __LINE__, "server {\n return 99;\n}", AT(2) "invalid return code \"99\"" },
	{ __LINE__, "server {\n return 600 x;\n}", AT(2) "invalid return code \"600\"" },
	{ __LINE__, "server {\n return abc;\n}", AT(2) "invalid return code \"abc\"" },
	{ __LINE__, "server {\n return /x;\n}", AT(2) "invalid return code \"/x\"" },
	{ __LINE__, "server {\n cgi py /usr/bin/python3;\n}", AT(2) "invalid extension \"py\" in \"cgi\" directive" },
	{ __LINE__, "server {\n cgi . /bin/sh;\n}", AT(2) "invalid extension \".\" in \"cgi\" directive" },
	{ __LINE__, "server {\n cgi ./x /bin/sh;\n}", AT(2) "invalid extension \"./x\" in \"cgi\" directive" },
	{ __LINE__, "server {\n cgi .sh \"\";\n}", AT(2) "invalid value \"\" in \"cgi\" directive" },
	{ __LINE__, "server {\n autoindex maybe;\n}",
	  AT(2) "invalid value \"maybe\" in \"autoindex\" directive, it must be \"on\" or \"off\"" },
	{ __LINE__, "max_connections 0;\n", AT(1) "invalid value \"0\" in \"max_connections\" directive" },
	{ __LINE__, "max_connections 1000001;\n", AT(1) "invalid value \"1000001\" in \"max_connections\" directive" },
	{ __LINE__, "max_connections many;\n", AT(1) "invalid value \"many\" in \"max_connections\" directive" },
	{ __LINE__, "cgi_max_processes 0;\n", AT(1) "invalid value \"0\" in \"cgi_max_processes\" directive" },
	{ __LINE__, "cgi_max_processes 1000001;\n",
	  AT(1) "invalid value \"1000001\" in \"cgi_max_processes\" directive" },
	{ __LINE__, "cgi_max_processes -1;\n", AT(1) "invalid value \"-1\" in \"cgi_max_processes\" directive" },
	{ __LINE__, "cgi_max_processes;\n", AT(1) "invalid number of arguments in \"cgi_max_processes\" directive" },
	{ __LINE__, "server {\n cgi_max_processes 4;\n}\n",
	  AT(2) "\"cgi_max_processes\" directive is not allowed here" },
	{ __LINE__, "cgi_max_processes 4;\ncgi_max_processes 4;\n",
	  AT(2) "\"cgi_max_processes\" directive is duplicate" },
	{ __LINE__, "events kqueue;\n",
	  AT(1) "invalid value \"kqueue\" in \"events\" directive, it must be \"poll\" or \"epoll\"" },
	{ __LINE__, "\n\nevents EPOLL;\n",
	  AT(3) "invalid value \"EPOLL\" in \"events\" directive, it must be \"poll\" or \"epoll\"" },
	{ __LINE__, "events \"\";\n",
	  AT(1) "invalid value \"\" in \"events\" directive, it must be \"poll\" or \"epoll\"" },
	{ __LINE__, "events;\n", AT(1) "invalid number of arguments in \"events\" directive" },
	{ __LINE__, "events poll epoll;\n", AT(1) "invalid number of arguments in \"events\" directive" },
	{ __LINE__, "events poll;\nevents epoll;\n", AT(2) "\"events\" directive is duplicate" },
	{ __LINE__, "server {\n events poll;\n}\n", AT(2) "\"events\" directive is not allowed here" },
	{ __LINE__, "server {\n location / {\n  events epoll;\n }\n}\n",
	  AT(3) "\"events\" directive is not allowed here" },
	{ __LINE__, "events { }\n", AT(1) "directive \"events\" is not terminated by \";\"" },
	{ __LINE__, "set_real_ip_from 10.0.0.0/33;\n",
	  AT(1) "invalid address or network \"10.0.0.0/33\" in \"set_real_ip_from\" directive" },
	{ __LINE__, "\nset_real_ip_from example.com;\n",
	  AT(2) "invalid address or network \"example.com\" in \"set_real_ip_from\" directive" },
	{ __LINE__, "server {\n set_real_ip_from 10.0.0.0/8;\n}\n",
	  AT(2) "\"set_real_ip_from\" directive is not allowed here" },
	{ __LINE__, "real_ip_header Forwarded;\n",
	  AT(1) "invalid value \"Forwarded\" in \"real_ip_header\" directive, "
	  "it must be \"X-Real-IP\" or \"X-Forwarded-For\"" },
	{ __LINE__, "real_ip_header X-Real-IP;\nreal_ip_header X-Real-IP;\n",
	  AT(2) "\"real_ip_header\" directive is duplicate" },
	{ __LINE__, "worker_processes 0;\n",
	  AT(1) "invalid value \"0\" in \"worker_processes\" directive" },
	{ __LINE__, "\nworker_processes 1025;\n",
	  AT(2) "invalid value \"1025\" in \"worker_processes\" directive" },
	{ __LINE__, "worker_processes -2;\n",
	  AT(1) "invalid value \"-2\" in \"worker_processes\" directive" },
	{ __LINE__, "worker_processes Auto;\n",
	  AT(1) "invalid value \"Auto\" in \"worker_processes\" directive" },
	{ __LINE__, "worker_processes 2 3;\n",
	  AT(1) "invalid number of arguments in \"worker_processes\" directive" },
	{ __LINE__, "worker_processes 2;\nworker_processes 3;\n",
	  AT(2) "\"worker_processes\" directive is duplicate" },
	{ __LINE__, "server {\n worker_processes 2;\n}\n",
	  AT(2) "\"worker_processes\" directive is not allowed here" },
	{ __LINE__, "server {\n location / {\n  upload_max_files 0;\n }\n}",
	  AT(3) "invalid value \"0\" in \"upload_max_files\" directive" },
	{ __LINE__, "server {\n upload_max_files 10k;\n}",
	  AT(2) "invalid value \"10k\" in \"upload_max_files\" directive" },
	{ __LINE__, "upload_max_files 1 2;\n", AT(1) "invalid number of arguments in \"upload_max_files\" directive" },
	{ __LINE__, "server {\n upload_max_files 5;\n upload_max_files 6;\n}",
	  AT(3) "\"upload_max_files\" directive is duplicate" },
	{ __LINE__, "server {\n charset;\n}", AT(2) "invalid number of arguments in \"charset\" directive" },
	{ __LINE__, "charset utf-8 latin1;\n", AT(1) "invalid number of arguments in \"charset\" directive" },
	{ __LINE__, "server {\n location / {\n  charset \"utf 8\";\n }\n}",
	  AT(3) "invalid value \"utf 8\" in \"charset\" directive" },
	{ __LINE__, "charset \"\";\nserver {}\n", AT(1) "invalid value \"\" in \"charset\" directive" },
	{ __LINE__, "charset \"utf-8;x\";\n", AT(1) "invalid value \"utf-8;x\" in \"charset\" directive" },
	{ __LINE__, "charset a1234567890123456789012345678901234567890;\n",
	  AT(1) "invalid value \"a1234567890123456789012345678901234567890\" in \"charset\" directive" },
	{ __LINE__, "server {\n charset utf-8;\n charset off;\n}", AT(3) "\"charset\" directive is duplicate" },
	{ __LINE__, "server {\n disable_symlinks maybe;\n}",
	  AT(2) "invalid value \"maybe\" in \"disable_symlinks\" directive, it must be \"on\" or \"off\"" },
	{ __LINE__, "disable_symlinks;\n", AT(1) "invalid number of arguments in \"disable_symlinks\" directive" },
	{ __LINE__, "server {\n location / {\n  upload_active_inline yes;\n }\n}",
	  AT(3) "invalid value \"yes\" in \"upload_active_inline\" directive, it must be \"on\" or \"off\"" },
	{ __LINE__, "upload_active_inline on;\nupload_active_inline off;\n",
	  AT(2) "\"upload_active_inline\" directive is duplicate" },
	{ __LINE__, "server {\n index \"\";\n}", AT(2) "invalid value \"\" in \"index\" directive" },
	{ __LINE__, "server {\n access_log \"\";\n}", AT(2) "invalid value \"\" in \"access_log\" directive" },

	/* lexer */
	{ __LINE__, "server {\n root \"/data;\n}\n", AT(3) "unexpected end of file, unterminated string" },
	{ __LINE__, "server {\n root \"/data\\\";\n}", AT(3) "unexpected end of file, unterminated string" },
	{ __LINE__, "server {\n return 200 \"a\\", AT(2) "unexpected end of file, unterminated string" },
	{ __LINE__, "server {\n root \"/da\"ta;\n}", AT(2) "unexpected character after quoted string" },
	{ __LINE__, "server {\n root /da\"ta\";\n}", AT(2) "unexpected quote" },
	{ __LINE__, "server {\n return 200 \"multi\nline\";\n foo;\n}", AT(4) "unknown directive \"foo\"" },
	{ __LINE__, "server {\r\n listen 80;\r\n foo;\r\n}\r\n", AT(3) "unknown directive \"foo\"" },
	{ __LINE__, "server { # {\n\n\tfoo;\n}", AT(3) "unknown directive \"foo\"" },
	{ __LINE__, "server {\n \"foo\" 1;\n}", AT(2) "unknown directive \"foo\"" },
	{ __LINE__, "server {\n \"\" 1;\n}", AT(2) "unknown directive \"\"" },
	{ __LINE__, "server {\n listen 80 \"{\";\n}", AT(2) "invalid parameter \"{\" in \"listen\" directive" },
	{ __LINE__, "server {\n Listen 80;\n}", AT(2) "unknown directive \"Listen\"" },
	{ __LINE__, "server {\n foo\x01\x7f;\n}", AT(2) "unknown directive \"foo??\"" },
	{ __LINE__, "server {\n foooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo;\n}",
	  AT(2) "unknown directive \"fooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo...\"" },

	/* types */
	{ __LINE__, "types {\n text/html html\n image/png png;\n}", AT(3) "unexpected \"image/png\", expecting \";\"" },
	{ __LINE__, "types {\n text/html a/b;\n}", AT(2) "invalid extension \"a/b\"" },
	{ __LINE__, "types {\n text/html \"\";\n}", AT(2) "invalid extension \"\"" },
	{ __LINE__, "types {\n text/html { }\n}", AT(2) "unexpected \"{\"" },
	{ __LINE__, "types {\n text/html html;\n", AT(2) "unexpected end of file, expecting \"}\"" },

	/* include: the error names the file that holds it */
	{ __LINE__, "include missing.conf;\n", AT(1) "cannot open \"" DIR "/missing.conf\" (given as \"missing.conf\")" },
	{ __LINE__, "include denied.conf;\n", AT(1) "cannot open \"" DIR "/denied.conf\" (given as \"denied.conf\"): Permission denied" },
	{ __LINE__, "server {\n\n include /x/missing.conf;\n}", AT(3) "cannot open \"/x/missing.conf\"" },
	{ __LINE__, "server {\n include bad.conf;\n}", DIR "/bad.conf:3: unknown directive \"foo\"" },
	{ __LINE__, "include self.conf;\n", DIR "/self.conf:1: include nesting too deep" },
	{ __LINE__, "include unbalanced.conf;\n", DIR "/unbalanced.conf:2: unexpected end of file, expecting \"}\"" },
	{ __LINE__, "server {\n include rbrace.conf;\n}", DIR "/rbrace.conf:1: unexpected \"}\"" },
	{ __LINE__, "server {\n include semi.conf;\n}",
	  DIR "/semi.conf:1: unexpected end of file, expecting \";\" or \"}\"" },
	{ __LINE__, "server {\n include nested/a.conf;\n}",
	  DIR "/nested/b.conf:2: root directory \"/nope\" does not exist" },
	{ __LINE__, "include listen.conf;\n", DIR "/listen.conf:1: \"listen\" directive is not allowed here" },
	{ __LINE__, "server {\n root /data;\n include dir.conf;\n}", DIR "/dir.conf:1: \"root\" directive is duplicate" },
	{ __LINE__, "server {\n include dir.conf;\n\n index b;\n}", AT(4) "\"index\" directive is duplicate" },
	{ __LINE__, "server {\n include quote.conf;\n}", DIR "/quote.conf:3: unexpected end of file, unterminated string" },
	{ __LINE__, "server {\n include lbrace.conf;\n}", DIR "/lbrace.conf:1: unexpected end of file, expecting \"}\"" },
	{ __LINE__, "server {\n include srv.conf;\n}", DIR "/srv.conf:1: \"server\" directive is not allowed here" },
	{ __LINE__, "server {\n include \"\";\n}", AT(2) "invalid value \"\" in \"include\" directive" },
	{ __LINE__, "server {\n include empty.conf\n}", AT(3) "unexpected \"}\"" },
	{ __LINE__, "include mime.types;\ninclude empty.conf;\nfoo;", AT(3) "unknown directive \"foo\"" },
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *c = &err_cases[i];
		char err[512];
		struct config *cf;

		memset(err, 'x', sizeof(err));
		cf = parse(c->text, err, sizeof(err));
		if (cf) {
			config_free(cf);
			fail_msg("case at line %d: parsed, expected %s", c->line, c->err);
		}
		if (strcmp(err, c->err) != 0)
			fail_msg("case at line %d:\n  got  %s\n  want %s", c->line, err, c->err);
	}
}

/* NUL bytes never make it into a string. */
static void test_error_nul(void **state)
{
	static const struct {
		int line;
		const char *text;
		size_t len;
		const char *err;
	} cases[] = {
		{ __LINE__, "server {\n\0 }", 12, AT(2) "unexpected NUL byte" },
		{ __LINE__, "server {\n ro\0ot /data;\n}", 24, AT(2) "unexpected NUL byte" },
		{ __LINE__, "server {\n root \"/da\0ta\";\n}", 27, AT(2) "unexpected NUL byte" },
		{ __LINE__, "server {\n # a \0 in a comment\n}", 30, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "";
		struct config *cf = parse_as(MAIN, cases[i].text, cases[i].len, err, sizeof(err));

		if (!cases[i].err) {
			if (!cf)
				fail_msg("case at line %d: %s", cases[i].line, err);
			config_free(cf);
			continue;
		}
		if (cf)
			fail_msg("case at line %d: parsed", cases[i].line);
		if (strcmp(err, cases[i].err) != 0)
			fail_msg("case at line %d: got %s", cases[i].line, err);
	}
}

/* A fan-out of includes is bounded even without nesting. */
static void test_too_many_includes(void **state)
{
	const char *line = "include empty.conf;\n";
	size_t n = 1100, ll = strlen(line);
	char *text = malloc(n * ll + 32);
	char err[256];
	struct config *cf;

	(void)state;
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		memcpy(text + i * ll, line, ll);
	strcpy(text + n * ll, "server {}\n");
	cf = parse(text, err, sizeof(err));
	assert_null(cf);
	assert_string_equal(err, AT(1025) "too many included files");

	/* 1024 is fine */
	strcpy(text + 1024 * ll, "server {}\n");
	cf = parse(text, err, sizeof(err));
	assert_non_null(cf);
	config_free(cf);
	free(text);
}

/* The error buffer: NULL, zero-sized or short are all fine. */
static void test_errbuf(void **state)
{
	char small[12];
	char one[1] = { 'x' };

	(void)state;
	assert_null(parse("foo;", NULL, 0));
	assert_null(parse("foo;", one, 0));
	assert_int_equal(one[0], 'x');
	assert_null(parse("foo;", one, 1));
	assert_int_equal(one[0], '\0');
	assert_null(parse("foo;", small, sizeof(small)));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, MAIN, sizeof(small) - 1);
	/* A short buffer cuts the message, never overflows. */
	{
		char path[2048], err[1200];

		memset(path, 'a', sizeof(path) - 1);
		path[0] = '/';
		path[sizeof(path) - 1] = '\0';
		memset(err, 'x', sizeof(err));
		assert_null(config_parse(path, "foo;", 4, &io, err, sizeof(err)));
		assert_int_equal(strlen(err), sizeof(err) - 1);
		assert_memory_equal(err, path, sizeof(err) - 1);
	}
	/* A file name is shown whole up to PATH_MAX, a longer one by its end. */
	{
		static char path[6000], err[CONFIG_ERR_MAX];
		size_t n;

		memset(path, 'a', sizeof(path) - 1);
		path[0] = '/';
		memcpy(path + sizeof(path) - 10, "/end.conf", 10);
		assert_null(config_parse(path, "foo;", 4, &io, err, sizeof(err)));
		assert_true(strncmp(err, "...aaa", 6) == 0);
		assert_non_null(strstr(err, "aaa/end.conf:1: unknown directive \"foo\""));
		n = strlen(err);
		assert_true(n > 4096 && n < 4200);
		path[4000] = '\0';
		memcpy(path + 3990, "/end.conf", 10);
		assert_null(config_parse(path, "foo;", 4, &io, err, sizeof(err)));
		assert_true(strncmp(err, path, 3999) == 0);
		assert_string_equal(err + 3999, ":1: unknown directive \"foo\"");
	}
}

/* A missing directory is named by its whole path, and by the word the
 * configuration used for a relative one, however long (issue: a path cut
 * after 72 bytes did not say which directory was missing). */
static void test_error_long_paths(void **state)
{
	static char text[8192], want[CONFIG_ERR_MAX], err[CONFIG_ERR_MAX];
	static char word[3001];
	static const char *const dirs_[] = { "root", "alias", "upload_store" };

	(void)state;
	memset(word, 'd', sizeof(word) - 1);
	memcpy(word + sizeof(word) - 9, "/missing", 9);
	for (size_t i = 0; i < 3; i++) {
		struct config *cf;

		/* relative: resolved path and the word */
		snprintf(text, sizeof(text), "server {\n location / {\n  %s %s;\n }\n}\n",
			 dirs_[i], word);
		snprintf(want, sizeof(want), AT(3) "%s directory \"" DIR "/%s\" (given as \"%s\") "
			 "does not exist", dirs_[i], word, word);
		cf = parse(text, err, sizeof(err));
		assert_null(cf);
		assert_string_equal(err, want);

		/* absolute */
		snprintf(text, sizeof(text), "server {\n location / {\n  %s /%s;\n }\n}\n",
			 dirs_[i], word);
		snprintf(want, sizeof(want), AT(3) "%s directory \"/%s\" does not exist",
			 dirs_[i], word);
		cf = parse(text, err, sizeof(err));
		assert_null(cf);
		assert_string_equal(err, want);
	}

	/* a path longer than PATH_MAX keeps its end */
	{
		static char big[5001];

		memset(big, 'e', sizeof(big) - 1);
		memcpy(big + sizeof(big) - 6, "/last", 6);
		snprintf(text, sizeof(text), "root /%s;\nserver {}\n", big);
		assert_null(parse(text, err, sizeof(err)));
		assert_true(strncmp(err, AT(1) "root directory \"...eee", strlen(AT(1)) + 22) == 0);
		assert_non_null(strstr(err, "eee/last\" does not exist"));
		assert_true(strlen(err) < 4200);
	}

	/* a long include path, relative */
	snprintf(text, sizeof(text), "include %s.conf;\n", word);
	snprintf(want, sizeof(want), AT(1) "cannot open \"" DIR "/%s.conf\" (given as \"%s.conf\")",
		 word, word);
	assert_null(parse(text, err, sizeof(err)));
	assert_string_equal(err, want);
}

/* ---- valid configurations ---- */

static void test_defaults(void **state)
{
	struct config *cf = OK("server {}");
	const struct server_conf *s;
	const struct loc_conf *l;

	(void)state;
	assert_int_equal(cf->nservers, 1);
	assert_string_equal(cf->path, MAIN);
	assert_string_equal(cf->error_log, "stderr");
	assert_int_equal(cf->max_connections, 1024);
	assert_int_equal(cf->events, LOOP_DEFAULT);
	assert_int_equal(cf->types.n, 0);
	s = &cf->servers[0];
	assert_int_equal(s->nlistens, 1);
	assert_int_equal(s->listens[0].addr, 0);
	assert_int_equal(s->listens[0].port, 80);
	assert_int_equal(s->nnames, 0);
	assert_int_equal(s->nlocs, 0);
	assert_string_equal(s->access_log, "stdout");
	assert_ptr_equal(s->types, &cf->types);
	l = &s->srv;
	assert_string_equal(l->prefix, "");
	assert_int_equal(l->exact, 0);
	assert_string_equal(l->root, DIR "/html");
	assert_null(l->alias);
	assert_int_equal(l->methods, M_GET | M_HEAD);
	assert_int_equal(l->nindex, 1);
	assert_string_equal(l->index[0], "index.html");
	assert_int_equal(l->autoindex, 0);
	assert_int_equal(l->nerror_pages, 0);
	assert_int_equal(l->max_body, 1024 * 1024);
	assert_int_equal(l->ret_code, 0);
	assert_null(l->ret_arg);
	assert_null(l->upload_store);
	assert_int_equal(l->ncgi, 0);
	assert_int_equal(l->cgi_timeout_ms, 30000);
	assert_int_equal(l->header_timeout_ms, 60000);
	assert_int_equal(l->body_timeout_ms, 60000);
	assert_int_equal(l->keepalive_timeout_ms, 75000);
	assert_int_equal(l->send_timeout_ms, 60000);
	config_free(cf);
	config_free(NULL);
}

static void test_listen(void **state)
{
	static const struct {
		int line;
		const char *arg;
		uint32_t addr;
		uint16_t port;
	} cases[] = {
		{ __LINE__, "8080", 0, 8080 },
		{ __LINE__, "1", 0, 1 },
		{ __LINE__, "65535", 0, 65535 },
		{ __LINE__, "080", 0, 80 },
		{ __LINE__, "*:8080", 0, 8080 },
		{ __LINE__, "0.0.0.0:8080", 0, 8080 },
		{ __LINE__, "127.0.0.1:8080", 0x7f000001, 8080 },
		{ __LINE__, "localhost:8081", 0x7f000001, 8081 },
		{ __LINE__, "LocalHost:8081", 0x7f000001, 8081 },
		{ __LINE__, "10.1.2.3:443", 0x0a010203, 443 },
		{ __LINE__, "255.255.255.255:1", 0xffffffff, 1 },
		{ __LINE__, "192.168.000.001:80", 0xc0a80001, 80 },
		{ __LINE__, "\"127.0.0.1:9\"", 0x7f000001, 9 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];
		struct config *cf;

		snprintf(text, sizeof(text), "server {\n listen %s;\n}\n", cases[i].arg);
		cf = ok_at(cases[i].line, text);
		if (cf->servers[0].nlistens != 1 || cf->servers[0].listens[0].addr != cases[i].addr ||
		    cf->servers[0].listens[0].port != cases[i].port)
			fail_msg("case at line %d: got %08x:%u", cases[i].line,
				 cf->servers[0].listens[0].addr, cf->servers[0].listens[0].port);
		config_free(cf);
	}
}

static void test_listen_v6(void **state)
{
	static const struct {
		int line;
		const char *arg;
		const char *ip; /* inet_pton text */
		uint16_t port;
		int ipv6only, default_server;
	} cases[] = {
		{ __LINE__, "[::1]:8080", "::1", 8080, 1, 0 },
		{ __LINE__, "[::]:80", "::", 80, 1, 0 },
		{ __LINE__, "[::]:8080 ipv6only=on", "::", 8080, 1, 0 },
		{ __LINE__, "[::]:8080 ipv6only=off", "::", 8080, 0, 0 },
		{ __LINE__, "[::1]:8080 default_server", "::1", 8080, 1, 1 },
		{ __LINE__, "[::]:1 ipv6only=off default_server", "::", 1, 0, 1 },
		{ __LINE__, "[2001:DB8::a:1]:65535", "2001:db8::a:1", 65535, 1, 0 },
		{ __LINE__, "[fe80::1]:80 default_server ipv6only=off", "fe80::1", 80, 0, 1 },
		{ __LINE__, "\"[::1]:9\"", "::1", 9, 1, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[160];
		unsigned char want[16];
		struct config *cf;
		const struct listen_addr *la;

		snprintf(text, sizeof(text), "server {\n listen %s;\n}\n", cases[i].arg);
		cf = ok_at(cases[i].line, text);
		la = &cf->servers[0].listens[0];
		assert_int_equal(inet_pton(AF_INET6, cases[i].ip, want), 1);
		if (cf->servers[0].nlistens != 1 || !la->v6 || la->addr != 0 ||
		    memcmp(la->addr6, want, 16) != 0 || la->port != cases[i].port ||
		    la->ipv6only != cases[i].ipv6only || la->default_server != cases[i].default_server)
			fail_msg("case at line %d: wrong listen", cases[i].line);
		config_free(cf);
	}
	/* IPv4 with default_server; IPv4 and IPv6 on one port side by side */
	{
		struct config *cf = OK("server {\n listen 127.0.0.1:80 default_server;\n"
				       " listen 0.0.0.0:80;\n listen [::]:80;\n}\n");
		const struct listen_addr *la = cf->servers[0].listens;

		assert_int_equal(cf->servers[0].nlistens, 3);
		assert_int_equal(la[0].v6, 0);
		assert_int_equal(la[0].addr, 0x7f000001);
		assert_int_equal(la[0].default_server, 1);
		assert_int_equal(la[1].v6, 0);
		assert_int_equal(la[1].default_server, 0);
		assert_int_equal(la[2].v6, 1);
		assert_int_equal(la[2].ipv6only, 1);
		config_free(cf);
	}
}

static void test_listen_many(void **state)
{
	struct config *cf = OK("server {\n listen 80;\n listen 127.0.0.1:80;\n listen 8080;\n}\n"
			       "server {\n listen 80;\n}\n"
			       "server {\n server_name x;\n}\n");
	const struct server_conf *s = &cf->servers[0];

	(void)state;
	assert_int_equal(cf->nservers, 3);
	assert_int_equal(s->nlistens, 3);
	assert_int_equal(s->listens[0].addr, 0);
	assert_int_equal(s->listens[0].port, 80);
	assert_int_equal(s->listens[1].addr, 0x7f000001);
	assert_int_equal(s->listens[1].port, 80);
	assert_int_equal(s->listens[2].port, 8080);
	/* several servers may share an address */
	assert_int_equal(cf->servers[1].nlistens, 1);
	assert_int_equal(cf->servers[1].listens[0].port, 80);
	/* no listen: 0.0.0.0:80 */
	assert_int_equal(cf->servers[2].nlistens, 1);
	assert_int_equal(cf->servers[2].listens[0].addr, 0);
	assert_int_equal(cf->servers[2].listens[0].port, 80);
	assert_int_equal(cf->servers[2].listens[0].proxy_protocol, 0);
	config_free(cf);

	cf = OK("server {\n listen 127.0.0.1:8080 proxy_protocol;\n listen 8081;\n}\n");
	assert_int_equal(cf->servers[0].listens[0].proxy_protocol, 1);
	assert_int_equal(cf->servers[0].listens[0].port, 8080);
	assert_int_equal(cf->servers[0].listens[1].proxy_protocol, 0);
	config_free(cf);
}

static void test_user(void **state)
{
	struct config *cf = OK("server {}\n");

	(void)state;
	assert_null(cf->user);
	assert_null(cf->group);
	assert_int_equal(cf->cgi_allow_root, 0);
	config_free(cf);
	cf = OK("\nuser www;\ncgi_allow_root on;\nserver {}\n");
	assert_string_equal(cf->user, "www");
	assert_null(cf->group);
	assert_string_equal(cf->user_at, MAIN ":2");
	assert_int_equal(cf->cgi_allow_root, 1);
	config_free(cf);
	/* After the servers, from an include: the directive's own place. */
	cf = OK("server {}\ncgi_allow_root OFF;\nuser nobody nogroup;\n");
	assert_string_equal(cf->user, "nobody");
	assert_string_equal(cf->group, "nogroup");
	assert_string_equal(cf->user_at, MAIN ":3");
	assert_int_equal(cf->cgi_allow_root, 0);
	config_free(cf);
	/* Without lookups (fuzzing), any name passes. */
	{
		const struct config_io bare = { .is_dir = fake_is_dir };
		const char text[] = "user ghost ghosts;\nserver {}\n";
		char err[256];

		cf = config_parse(MAIN, text, sizeof(text) - 1, &bare, err, sizeof(err));
		assert_non_null(cf);
		assert_string_equal(cf->user, "ghost");
		assert_string_equal(cf->group, "ghosts");
		config_free(cf);
	}
}

static void test_server_name(void **state)
{
	struct config *cf = OK("server {\n server_name Example.COM www.example.com;\n"
			       " server_name\n  third.example \"\" *.Wild.example;\n}\n");
	const struct server_conf *s = &cf->servers[0];

	(void)state;
	assert_int_equal(s->nnames, 5);
	assert_string_equal(s->names[0], "example.com");
	assert_string_equal(s->names[1], "www.example.com");
	assert_string_equal(s->names[2], "third.example");
	assert_string_equal(s->names[3], "");
	assert_string_equal(s->names[4], "*.wild.example");
	config_free(cf);
}

static void test_sizes(void **state)
{
	static const struct {
		int line;
		const char *arg;
		uint64_t want;
	} cases[] = {
		{ __LINE__, "0", 0 },
		{ __LINE__, "1", 1 },
		{ __LINE__, "1024", 1024 },
		{ __LINE__, "10k", 10240 },
		{ __LINE__, "10K", 10240 },
		{ __LINE__, "2m", 2 << 20 },
		{ __LINE__, "2M", 2 << 20 },
		{ __LINE__, "3g", 3ULL << 30 },
		{ __LINE__, "3G", 3ULL << 30 },
		{ __LINE__, "0k", 0 },
		{ __LINE__, "007", 7 },
		{ __LINE__, "17179869183g", 17179869183ULL << 30 },
		{ __LINE__, "18446744073709551614", UINT64_MAX - 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];
		struct config *cf;

		snprintf(text, sizeof(text), "server {\n client_max_body_size %s;\n}\n", cases[i].arg);
		cf = ok_at(cases[i].line, text);
		if (cf->servers[0].srv.max_body != cases[i].want)
			fail_msg("case at line %d: got %llu", cases[i].line,
				 (unsigned long long)cf->servers[0].srv.max_body);
		config_free(cf);
	}
}

static void test_times(void **state)
{
	static const struct {
		int line;
		const char *name;
		const char *arg;
		uint64_t want;
	} cases[] = {
		{ __LINE__, "keepalive_timeout", "0", 0 },
		{ __LINE__, "keepalive_timeout", "5", 5000 },
		{ __LINE__, "keepalive_timeout", "5s", 5000 },
		{ __LINE__, "keepalive_timeout", "250ms", 250 },
		{ __LINE__, "keepalive_timeout", "2m", 120000 },
		{ __LINE__, "keepalive_timeout", "1h", 3600000 },
		{ __LINE__, "keepalive_timeout", "1m30s", 90000 },
		{ __LINE__, "keepalive_timeout", "1h1m1s1ms", 3661001 },
		{ __LINE__, "cgi_timeout", "7", 7000 },
		{ __LINE__, "client_header_timeout", "8s", 8000 },
		{ __LINE__, "client_body_timeout", "9s", 9000 },
		{ __LINE__, "send_timeout", "10s", 10000 },
		{ __LINE__, "send_timeout", "277777h", 277777ULL * 3600000 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];
		struct config *cf;
		const struct loc_conf *l;
		uint64_t got = 0;

		snprintf(text, sizeof(text), "server {\n %s %s;\n}\n", cases[i].name, cases[i].arg);
		cf = ok_at(cases[i].line, text);
		l = &cf->servers[0].srv;
		if (!strcmp(cases[i].name, "keepalive_timeout"))
			got = l->keepalive_timeout_ms;
		else if (!strcmp(cases[i].name, "cgi_timeout"))
			got = l->cgi_timeout_ms;
		else if (!strcmp(cases[i].name, "client_header_timeout"))
			got = l->header_timeout_ms;
		else if (!strcmp(cases[i].name, "client_body_timeout"))
			got = l->body_timeout_ms;
		else if (!strcmp(cases[i].name, "send_timeout"))
			got = l->send_timeout_ms;
		if (got != cases[i].want)
			fail_msg("case at line %d: got %llu", cases[i].line, (unsigned long long)got);
		config_free(cf);
	}
}

static void test_methods(void **state)
{
	static const struct {
		int line;
		const char *args;
		unsigned want;
	} cases[] = {
		{ __LINE__, "GET", M_GET | M_HEAD },
		{ __LINE__, "HEAD", M_HEAD },
		{ __LINE__, "POST", M_POST },
		{ __LINE__, "PUT DELETE", M_PUT | M_DELETE },
		{ __LINE__, "GET POST DELETE", M_GET | M_HEAD | M_POST | M_DELETE },
		{ __LINE__, "DELETE GET", M_GET | M_HEAD | M_DELETE },
		{ __LINE__, "GET HEAD POST PUT DELETE", M_GET | M_HEAD | M_POST | M_PUT | M_DELETE },
		{ __LINE__, "GET GET", M_GET | M_HEAD },
		{ __LINE__, "\"POST\"", M_POST },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];
		struct config *cf;

		snprintf(text, sizeof(text), "server {\n location / {\n allow_methods %s;\n }\n}\n",
			 cases[i].args);
		cf = ok_at(cases[i].line, text);
		if (cf->servers[0].locs[0].methods != cases[i].want)
			fail_msg("case at line %d: got %x", cases[i].line, cf->servers[0].locs[0].methods);
		/* the server keeps the default */
		assert_int_equal(cf->servers[0].srv.methods, M_GET | M_HEAD);
		config_free(cf);
	}
}

static void test_index_autoindex(void **state)
{
	struct config *cf = OK("autoindex on;\n"
			       "server {\n index a.html \"b c.html\" index.php;\n"
			       " location /x {\n  autoindex OFF;\n  index x.htm;\n }\n"
			       " location /y {\n }\n}\n");
	const struct server_conf *s = &cf->servers[0];

	(void)state;
	assert_int_equal(s->srv.nindex, 3);
	assert_string_equal(s->srv.index[0], "a.html");
	assert_string_equal(s->srv.index[1], "b c.html");
	assert_string_equal(s->srv.index[2], "index.php");
	assert_int_equal(s->srv.autoindex, 1);
	assert_int_equal(s->locs[0].autoindex, 0);
	assert_int_equal(s->locs[0].nindex, 1);
	assert_string_equal(s->locs[0].index[0], "x.htm");
	assert_int_equal(s->locs[1].autoindex, 1);
	assert_int_equal(s->locs[1].nindex, 3);
	assert_string_equal(s->locs[1].index[2], "index.php");
	config_free(cf);
}

static void test_error_page(void **state)
{
	struct config *cf = OK("error_page 500 502 503 504 /50x.html;\n"
			       "server {\n"
			       " location /a {\n  error_page 404 /404.html;\n  error_page 403 404 /4xx.html;\n }\n"
			       " location /b {\n }\n"
			       "}\n"
			       "server {\n error_page 300 599 /edge.html;\n}\n");
	const struct server_conf *s = &cf->servers[0];
	const struct loc_conf *a = &s->locs[0], *b = &s->locs[1];

	(void)state;
	assert_int_equal(s->srv.nerror_pages, 4);
	assert_int_equal(s->srv.error_pages[0].code, 500);
	assert_string_equal(s->srv.error_pages[0].uri, "/50x.html");
	assert_int_equal(s->srv.error_pages[3].code, 504);
	/* inner list replaces the outer one; a code given twice takes the later */
	assert_int_equal(a->nerror_pages, 2);
	assert_int_equal(a->error_pages[0].code, 404);
	assert_string_equal(a->error_pages[0].uri, "/4xx.html");
	assert_int_equal(a->error_pages[1].code, 403);
	assert_string_equal(a->error_pages[1].uri, "/4xx.html");
	assert_int_equal(b->nerror_pages, 4);
	assert_string_equal(b->error_pages[1].uri, "/50x.html");
	assert_int_equal(cf->servers[1].srv.nerror_pages, 2);
	assert_int_equal(cf->servers[1].srv.error_pages[0].code, 300);
	assert_int_equal(cf->servers[1].srv.error_pages[1].code, 599);
	config_free(cf);
}

static void test_return(void **state)
{
	static const struct {
		int line;
		const char *args;
		int code;
		const char *arg;
	} cases[] = {
		{ __LINE__, "301 /new", 301, "/new" },
		{ __LINE__, "302 http://example.com/x", 302, "http://example.com/x" },
		{ __LINE__, "200 \"hello world\"", 200, "hello world" },
		{ __LINE__, "204", 204, NULL },
		{ __LINE__, "100", 100, NULL },
		{ __LINE__, "599 x", 599, "x" },
		{ __LINE__, "403 \"\"", 403, "" },
		{ __LINE__, "http://example.com/", 302, "http://example.com/" },
		{ __LINE__, "https://example.com/", 302, "https://example.com/" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];
		struct config *cf;
		const struct loc_conf *l;

		snprintf(text, sizeof(text), "server {\n location / {\n return %s;\n }\n}\n", cases[i].args);
		cf = ok_at(cases[i].line, text);
		l = &cf->servers[0].locs[0];
		if (l->ret_code != cases[i].code)
			fail_msg("case at line %d: code %d", cases[i].line, l->ret_code);
		if (cases[i].arg == NULL ? l->ret_arg != NULL
					 : (l->ret_arg == NULL || strcmp(l->ret_arg, cases[i].arg) != 0))
			fail_msg("case at line %d: arg %s", cases[i].line, l->ret_arg ? l->ret_arg : "(null)");
		assert_int_equal(cf->servers[0].srv.ret_code, 0);
		config_free(cf);
	}
}

/* A server-level return goes to every location without its own. */
static void test_return_inherit(void **state)
{
	struct config *cf = OK("server {\n return 301 https://example.com;\n"
			       " location /a {\n }\n"
			       " location /b {\n  return 404 gone;\n }\n"
			       "}\n");
	const struct server_conf *s = &cf->servers[0];

	(void)state;
	assert_int_equal(s->srv.ret_code, 301);
	assert_string_equal(s->srv.ret_arg, "https://example.com");
	assert_int_equal(s->locs[0].ret_code, 301);
	assert_string_equal(s->locs[0].ret_arg, "https://example.com");
	assert_int_equal(s->locs[1].ret_code, 404);
	assert_string_equal(s->locs[1].ret_arg, "gone");
	config_free(cf);
}

static void test_cgi(void **state)
{
	struct config *cf = OK("cgi .py /usr/bin/python3;\n"
			       "server {\n"
			       " location /a {\n  cgi .sh sh;\n  cgi .pl ./bin/perl;\n  cgi .sh /bin/bash;\n }\n"
			       " location /b {\n }\n"
			       "}\n");
	const struct server_conf *s = &cf->servers[0];
	const struct loc_conf *a = &s->locs[0], *b = &s->locs[1];

	(void)state;
	assert_int_equal(s->srv.ncgi, 1);
	assert_string_equal(s->srv.cgi[0].ext, ".py");
	assert_string_equal(s->srv.cgi[0].interp, "/usr/bin/python3");
	/* inner list replaces outer; same extension again: later wins */
	assert_int_equal(a->ncgi, 2);
	assert_string_equal(a->cgi[0].ext, ".sh");
	assert_string_equal(a->cgi[0].interp, "/bin/bash");
	assert_string_equal(a->cgi[1].ext, ".pl");
	/* relative with a '/' is resolved, a bare name is left for PATH */
	assert_string_equal(a->cgi[1].interp, DIR "/bin/perl");
	assert_int_equal(b->ncgi, 1);
	assert_string_equal(b->cgi[0].interp, "/usr/bin/python3");
	config_free(cf);

	cf = OK("server {\n cgi .sh sh;\n}\n");
	assert_string_equal(cf->servers[0].srv.cgi[0].interp, "sh");
	config_free(cf);
}

/* Relative paths resolve against the main file's directory, normalised. */
static void test_paths(void **state)
{
	static const struct {
		int line;
		const char *path; /* main file */
		const char *root; /* root argument, NULL: none */
		const char *want;
	} cases[] = {
		{ __LINE__, MAIN, "www", DIR "/www" },
		{ __LINE__, MAIN, "www/", DIR "/www" },
		{ __LINE__, MAIN, "./www//", DIR "/www" },
		{ __LINE__, MAIN, ".", DIR },
		{ __LINE__, MAIN, "/data/images/", "/data/images" },
		{ __LINE__, MAIN, "//data//./images/.", "/data/images" },
		{ __LINE__, MAIN, "/", "/" },
		{ __LINE__, MAIN, "///", "/" },
		{ __LINE__, MAIN, NULL, DIR "/html" },
		{ __LINE__, DIR "//main.conf", "www", DIR "/www" },
		{ __LINE__, "/main.conf", "srv", "/srv" },
		{ __LINE__, "/main.conf", NULL, "/html" },
		{ __LINE__, "main.conf", "www", "www" },
		{ __LINE__, "main.conf", NULL, "html" },
		{ __LINE__, "rel/main.conf", "www", "rel/www" },
		{ __LINE__, "./rel/main.conf", "www/", "rel/www" },
		{ __LINE__, "rel/main.conf", ".", "rel" },
		{ __LINE__, "rel/main.conf", "/tmp", "/tmp" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128], err[256];
		struct config *cf;

		if (cases[i].root)
			snprintf(text, sizeof(text), "root %s;\nserver {}\n", cases[i].root);
		else
			snprintf(text, sizeof(text), "server {}\n");
		cf = parse_as(cases[i].path, text, strlen(text), err, sizeof(err));
		if (!cf)
			fail_msg("case at line %d: %s", cases[i].line, err);
		if (strcmp(cf->servers[0].srv.root, cases[i].want) != 0)
			fail_msg("case at line %d: got %s", cases[i].line, cf->servers[0].srv.root);
		assert_string_equal(cf->path, cases[i].path);
		config_free(cf);
	}
}

static void test_alias_upload(void **state)
{
	struct config *cf = OK("root /var/www;\n"
			       "server {\n"
			       " location /img/ {\n  alias /data/images/;\n }\n"
			       " location /up {\n  upload_store up;\n  root /tmp;\n  allow_methods POST PUT DELETE;\n }\n"
			       " location = /exact {\n  alias /data;\n }\n"
			       "}\n");
	const struct server_conf *s = &cf->servers[0];

	(void)state;
	assert_int_equal(s->nlocs, 3);
	assert_string_equal(s->locs[0].prefix, "/img/");
	assert_string_equal(s->locs[0].alias, "/data/images");
	/* root stays inherited; route_fs_path uses the alias */
	assert_string_equal(s->locs[0].root, "/var/www");
	assert_null(s->locs[0].upload_store);
	assert_string_equal(s->locs[1].upload_store, DIR "/up");
	assert_string_equal(s->locs[1].root, "/tmp");
	assert_null(s->locs[1].alias);
	assert_int_equal(s->locs[2].exact, 1);
	assert_string_equal(s->locs[2].prefix, "/exact");
	assert_null(s->srv.alias);
	assert_null(s->srv.upload_store);
	config_free(cf);
}

static void test_locations(void **state)
{
	struct config *cf = OK("server {\n"
			       " location / { }\n"
			       " location = / { }\n"
			       " location =/x { }\n"
			       " location \"/with space\" { }\n"
			       " location /a{}location /b{}\n"
			       "}\n");
	const struct server_conf *s = &cf->servers[0];

	(void)state;
	assert_int_equal(s->nlocs, 6);
	assert_string_equal(s->locs[0].prefix, "/");
	assert_int_equal(s->locs[0].exact, 0);
	assert_string_equal(s->locs[1].prefix, "/");
	assert_int_equal(s->locs[1].exact, 1);
	assert_string_equal(s->locs[2].prefix, "/x");
	assert_int_equal(s->locs[2].exact, 1);
	assert_string_equal(s->locs[3].prefix, "/with space");
	assert_string_equal(s->locs[4].prefix, "/a");
	assert_string_equal(s->locs[5].prefix, "/b");
	config_free(cf);
}

/* Every inherited setting, three levels. */
static void test_inheritance(void **state)
{
	struct config *cf = OK("root /var/www;\n"
			       "allow_methods GET POST;\n"
			       "index top.html;\n"
			       "autoindex on;\n"
			       "error_page 404 /top404.html;\n"
			       "client_max_body_size 5m;\n"
			       "cgi .py /usr/bin/python3;\n"
			       "cgi_timeout 1s;\n"
			       "client_header_timeout 2s;\n"
			       "client_body_timeout 3s;\n"
			       "keepalive_timeout 4s;\n"
			       "send_timeout 5s;\n"
			       "server {\n"
			       " root /data;\n"
			       " client_max_body_size 0;\n"
			       " keepalive_timeout 40s;\n"
			       " location /l {\n"
			       "  root /tmp;\n"
			       "  allow_methods DELETE;\n"
			       "  index l.html;\n"
			       "  autoindex off;\n"
			       "  error_page 500 /l500.html;\n"
			       "  client_max_body_size 1k;\n"
			       "  cgi .php /usr/bin/php-cgi;\n"
			       "  cgi_timeout 10ms;\n"
			       "  client_header_timeout 20ms;\n"
			       "  client_body_timeout 30ms;\n"
			       "  keepalive_timeout 40ms;\n"
			       "  send_timeout 50ms;\n"
			       " }\n"
			       " location /m { }\n"
			       "}\n"
			       "server { }\n");
	const struct server_conf *s = &cf->servers[0];
	const struct loc_conf *l = &s->locs[0], *m = &s->locs[1], *t = &cf->servers[1].srv;

	(void)state;
	/* server: own root/body/keepalive, the rest from the top */
	assert_string_equal(s->srv.root, "/data");
	assert_int_equal(s->srv.methods, M_GET | M_HEAD | M_POST);
	assert_string_equal(s->srv.index[0], "top.html");
	assert_int_equal(s->srv.autoindex, 1);
	assert_int_equal(s->srv.error_pages[0].code, 404);
	assert_int_equal(s->srv.max_body, 0);
	assert_string_equal(s->srv.cgi[0].ext, ".py");
	assert_int_equal(s->srv.cgi_timeout_ms, 1000);
	assert_int_equal(s->srv.header_timeout_ms, 2000);
	assert_int_equal(s->srv.body_timeout_ms, 3000);
	assert_int_equal(s->srv.keepalive_timeout_ms, 40000);
	assert_int_equal(s->srv.send_timeout_ms, 5000);
	/* location: all its own */
	assert_string_equal(l->root, "/tmp");
	assert_int_equal(l->methods, M_DELETE);
	assert_int_equal(l->nindex, 1);
	assert_string_equal(l->index[0], "l.html");
	assert_int_equal(l->autoindex, 0);
	assert_int_equal(l->nerror_pages, 1);
	assert_int_equal(l->error_pages[0].code, 500);
	assert_int_equal(l->max_body, 1024);
	assert_int_equal(l->ncgi, 1);
	assert_string_equal(l->cgi[0].ext, ".php");
	assert_int_equal(l->cgi_timeout_ms, 10);
	assert_int_equal(l->header_timeout_ms, 20);
	assert_int_equal(l->body_timeout_ms, 30);
	assert_int_equal(l->keepalive_timeout_ms, 40);
	assert_int_equal(l->send_timeout_ms, 50);
	/* location: all from the server */
	assert_string_equal(m->root, "/data");
	assert_int_equal(m->methods, M_GET | M_HEAD | M_POST);
	assert_string_equal(m->index[0], "top.html");
	assert_int_equal(m->autoindex, 1);
	assert_int_equal(m->nerror_pages, 1);
	assert_string_equal(m->error_pages[0].uri, "/top404.html");
	assert_int_equal(m->max_body, 0);
	assert_string_equal(m->cgi[0].interp, "/usr/bin/python3");
	assert_int_equal(m->cgi_timeout_ms, 1000);
	assert_int_equal(m->keepalive_timeout_ms, 40000);
	/* second server: all from the top */
	assert_string_equal(t->root, "/var/www");
	assert_int_equal(t->max_body, 5 << 20);
	assert_int_equal(t->keepalive_timeout_ms, 4000);
	assert_int_equal(t->send_timeout_ms, 5000);
	config_free(cf);
}

/* Top-level directives after the server blocks still apply to them. */
static void test_top_after_server(void **state)
{
	struct config *cf = OK("server {\n location / { }\n}\n"
			       "root /data;\nkeepalive_timeout 1s;\naccess_log off;\n"
			       "types { text/x-late late; }\n");
	const struct server_conf *s = &cf->servers[0];

	(void)state;
	assert_string_equal(s->srv.root, "/data");
	assert_string_equal(s->locs[0].root, "/data");
	assert_int_equal(s->locs[0].keepalive_timeout_ms, 1000);
	assert_null(s->access_log);
	assert_string_equal(config_mime(s->types, "a.late"), "text/x-late");
	config_free(cf);
}

static void test_logs_and_limits(void **state)
{
	struct config *cf = OK("error_log logs/error.log;\n"
			       "access_log logs/access.log;\n"
			       "max_connections 10;\n"
			       "server {\n}\n"
			       "server {\n access_log off;\n}\n"
			       "server {\n access_log stdout;\n}\n"
			       "server {\n access_log /var/log/a.log;\n}\n");

	(void)state;
	assert_string_equal(cf->error_log, DIR "/logs/error.log");
	assert_int_equal(cf->max_connections, 10);
	assert_string_equal(cf->servers[0].access_log, DIR "/logs/access.log");
	assert_null(cf->servers[1].access_log);
	assert_string_equal(cf->servers[2].access_log, "stdout");
	assert_string_equal(cf->servers[3].access_log, "/var/log/a.log");
	config_free(cf);

	cf = OK("access_log off;\nerror_log stderr;\nmax_connections 1000000;\nserver {}\n");
	assert_null(cf->servers[0].access_log);
	assert_string_equal(cf->error_log, "stderr");
	assert_int_equal(cf->max_connections, 1000000);

	assert_null(cf->pid); /* no pid file unless asked for */
	config_free(cf);

	cf = OK("pid run/webserv.pid;\nserver {}\n");
	assert_string_equal(cf->pid, DIR "/run/webserv.pid");
	config_free(cf);

	cf = OK("pid /run/webserv.pid;\nserver {}\n");
	assert_string_equal(cf->pid, "/run/webserv.pid");
	config_free(cf);

	cf = OK("max_connections 1;\nserver {}\n");
	assert_int_equal(cf->max_connections, 1);
	assert_int_equal(cf->cgi_max_processes, 0); /* the server picks 16 per core */
	config_free(cf);

	cf = OK("cgi_max_processes 3;\nserver {}\n");
	assert_int_equal(cf->cgi_max_processes, 3);
	config_free(cf);

	cf = OK("events poll;\nserver {}\n");
	assert_int_equal(cf->events, LOOP_POLL);
	config_free(cf);
	cf = OK("server {}\nevents epoll;\n");
	assert_int_equal(cf->events, LOOP_EPOLL);
	config_free(cf);
	cf = OK("server {}\n");
	assert_int_equal(cf->events, LOOP_EPOLL); /* the default on Linux */
	assert_int_equal(cf->worker_processes, 1); /* one process, no fork */
	assert_int_equal(cf->nreal_ip_from, 0);
	assert_int_equal(cf->real_ip_header, REALIP_X_REAL_IP);
	config_free(cf);

	cf = OK("set_real_ip_from 10.0.0.0/8;\nset_real_ip_from ::1;\n"
		"real_ip_header x-forwarded-for;\nserver {}\n");
	assert_int_equal(cf->nreal_ip_from, 2);
	assert_int_equal(cf->real_ip_from[0].bits, 8);
	assert_int_equal(cf->real_ip_from[1].bits, 128);
	assert_int_equal(cf->real_ip_from[1].net.v6, 1);
	assert_int_equal(cf->real_ip_header, REALIP_X_FORWARDED_FOR);
	config_free(cf);
	cf = OK("real_ip_header X-Real-IP;\nserver {}\n");
	assert_int_equal(cf->real_ip_header, REALIP_X_REAL_IP);
	config_free(cf);

	cf = OK("worker_processes 4;\nserver {}\n");
	assert_int_equal(cf->worker_processes, 4);
	config_free(cf);
	cf = OK("server {}\nworker_processes auto;\n");
	assert_int_equal(cf->worker_processes, 0); /* resolved by the server */
	config_free(cf);
	cf = OK("worker_processes 1024;\nserver {}\n");
	assert_int_equal(cf->worker_processes, 1024);
	config_free(cf);
}

/* upload_max_files, disable_symlinks, upload_active_inline: defaults and
 * top -> server -> location inheritance. */
static void test_hostile_limits(void **state)
{
	struct config *cf = OK("server {\n location /a {\n }\n}\n");
	const struct loc_conf *l;

	(void)state;
	l = &cf->servers[0].srv;
	assert_int_equal(l->upload_max_files, 1000);
	assert_int_equal(l->disable_symlinks, 0);
	assert_int_equal(l->upload_active_inline, 0);
	l = &cf->servers[0].locs[0];
	assert_int_equal(l->upload_max_files, 1000);
	assert_int_equal(l->disable_symlinks, 0);
	assert_int_equal(l->upload_active_inline, 0);
	config_free(cf);

	cf = OK("upload_max_files 7;\ndisable_symlinks on;\nupload_active_inline ON;\n"
		"server {\n location /a {\n }\n location /b {\n  upload_max_files 1;\n"
		"  disable_symlinks off;\n  upload_active_inline off;\n }\n}\n"
		"server {\n upload_max_files 1000000;\n disable_symlinks off;\n location /c {\n }\n}\n");
	l = &cf->servers[0].locs[0];
	assert_int_equal(l->upload_max_files, 7);
	assert_int_equal(l->disable_symlinks, 1);
	assert_int_equal(l->upload_active_inline, 1);
	l = &cf->servers[0].locs[1];
	assert_int_equal(l->upload_max_files, 1);
	assert_int_equal(l->disable_symlinks, 0);
	assert_int_equal(l->upload_active_inline, 0);
	l = &cf->servers[1].locs[0];
	assert_int_equal(l->upload_max_files, 1000000);
	assert_int_equal(l->disable_symlinks, 0);
	assert_int_equal(l->upload_active_inline, 1);
	config_free(cf);
}

/* charset: default off, top -> server -> location, "off" overrides. */
static void test_charset(void **state)
{
	struct config *cf = OK("server {\n location /a {\n }\n}\n");
	const struct loc_conf *l;

	(void)state;
	assert_null(cf->servers[0].srv.charset);
	assert_null(cf->servers[0].locs[0].charset);
	config_free(cf);

	cf = OK("charset utf-8;\n"
		"server {\n location /a {\n }\n location /b {\n  charset off;\n }\n"
		" location /c {\n  charset KOI8-R;\n }\n}\n"
		"server {\n charset windows-1251;\n location /d {\n }\n}\n"
		"server {\n charset OFF;\n location /e {\n }\n}\n");
	l = &cf->servers[0].srv;
	assert_string_equal(l->charset, "utf-8");
	assert_string_equal(cf->servers[0].locs[0].charset, "utf-8");
	assert_string_equal(cf->servers[0].locs[1].charset, "");
	assert_string_equal(cf->servers[0].locs[2].charset, "KOI8-R");
	assert_string_equal(cf->servers[1].srv.charset, "windows-1251");
	assert_string_equal(cf->servers[1].locs[0].charset, "windows-1251");
	assert_string_equal(cf->servers[2].srv.charset, "");
	assert_string_equal(cf->servers[2].locs[0].charset, "");
	config_free(cf);
}

static void test_types(void **state)
{
	struct config *cf = OK("include mime.types;\n"
			       "types {\n  text/plain TXT Conf;\n  include types_inner.conf;\n}\n"
			       "server {\n}\n"
			       "server {\n types {\n  text/x-own own;\n }\n}\n"
			       "server {\n types {\n }\n}\n");
	const struct mime_table *top = &cf->types;

	(void)state;
	assert_int_equal(top->n, 9);
	assert_string_equal(top->v[0].ext, "html");
	assert_string_equal(top->v[0].type, "text/html");
	assert_string_equal(top->v[3].ext, "cust");
	assert_string_equal(top->v[4].ext, "txt");
	assert_string_equal(top->v[5].ext, "conf");
	assert_string_equal(top->v[8].ext, "gif2");
	assert_ptr_equal(cf->servers[0].types, top);
	assert_ptr_equal(cf->servers[1].types, &cf->servers[1].own_types);
	assert_int_equal(cf->servers[1].own_types.n, 1);
	/* own table replaces the top one */
	assert_string_equal(config_mime(cf->servers[1].types, "a.own"), "text/x-own");
	assert_string_equal(config_mime(cf->servers[1].types, "a.cust"), "application/octet-stream");
	assert_string_equal(config_mime(cf->servers[0].types, "a.cust"), "application/x-custom");
	assert_string_equal(config_mime(cf->servers[0].types, "A.CONF"), "text/plain");
	assert_string_equal(config_mime(cf->servers[0].types, "x.css"), "text/css");
	/* an empty own table: built-ins */
	assert_ptr_equal(cf->servers[2].types, &cf->servers[2].own_types);
	assert_string_equal(config_mime(cf->servers[2].types, "a.html"), "text/html");
	config_free(cf);
}

static void test_config_mime(void **state)
{
	static const struct mime_type v[] = {
		{ (char *)"html", (char *)"text/html; charset=utf-8" },
		{ (char *)"x", (char *)"first/x" },
		{ (char *)"x", (char *)"second/x" },
		{ (char *)"tar", (char *)"custom/tar" },
	};
	static const struct mime_table t = { (struct mime_type *)v, 4 };
	static const struct mime_table empty = { NULL, 0 };
	static const struct {
		int line;
		const struct mime_table *t;
		const char *name;
		const char *want;
	} cases[] = {
		{ __LINE__, &t, "index.html", "text/html; charset=utf-8" },
		{ __LINE__, &t, "INDEX.HTML", "text/html; charset=utf-8" },
		{ __LINE__, &t, "a.x", "second/x" },
		{ __LINE__, &t, "a.tar", "custom/tar" },
		{ __LINE__, &t, "a.tar.gz", "application/gzip" },
		{ __LINE__, &t, "a.gz.tar", "custom/tar" },
		{ __LINE__, &t, "style.css", "text/css" },
		{ __LINE__, &t, "/dir.d/file", "application/octet-stream" },
		{ __LINE__, &t, "/dir.html/file", "application/octet-stream" },
		{ __LINE__, &t, "/dir/file.", "application/octet-stream" },
		{ __LINE__, &t, "", "application/octet-stream" },
		{ __LINE__, &t, "Makefile", "application/octet-stream" },
		{ __LINE__, &t, "a.unknown", "application/octet-stream" },
		{ __LINE__, &t, ".css", "text/css" },
		{ __LINE__, &empty, "a.htm", "text/html" },
		{ __LINE__, &empty, "a.JS", "text/javascript" },
		{ __LINE__, &empty, "a.mjs", "text/javascript" },
		{ __LINE__, &empty, "a.json", "application/json" },
		{ __LINE__, &empty, "a.txt", "text/plain" },
		{ __LINE__, &empty, "a.xml", "application/xml" },
		{ __LINE__, &empty, "a.png", "image/png" },
		{ __LINE__, &empty, "a.jpg", "image/jpeg" },
		{ __LINE__, &empty, "a.jpeg", "image/jpeg" },
		{ __LINE__, &empty, "a.gif", "image/gif" },
		{ __LINE__, &empty, "a.svg", "image/svg+xml" },
		{ __LINE__, &empty, "a.ico", "image/x-icon" },
		{ __LINE__, &empty, "a.webp", "image/webp" },
		{ __LINE__, &empty, "a.pdf", "application/pdf" },
		{ __LINE__, &empty, "a.wasm", "application/wasm" },
		{ __LINE__, &empty, "a.mp4", "video/mp4" },
		{ __LINE__, &empty, "a.mp3", "audio/mpeg" },
		{ __LINE__, &empty, "a.zip", "application/zip" },
		{ __LINE__, &empty, "a.tar", "application/x-tar" },
		{ __LINE__, &empty, "a.woff", "font/woff" },
		{ __LINE__, &empty, "a.woff2", "font/woff2" },
		{ __LINE__, NULL, "a.html", "text/html" },
		{ __LINE__, NULL, NULL, "application/octet-stream" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = config_mime(cases[i].t, cases[i].name);

		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case at line %d: got %s", cases[i].line, got);
	}
}

static void test_include(void **state)
{
	struct config *cf;

	(void)state;
	/* a server block from a file, a location inside a server, a
	 * directive inside a location, nested includes relative to the
	 * main file's directory, an absolute path, an empty file */
	cf = OK("include srv.conf;\n"
		"server {\n listen 8080;\n include loc.conf;\n"
		" location /d {\n  include dir.conf;\n }\n"
		" location /n {\n  include nested/ok.conf;\n }\n"
		" include /abs/inc.conf;\n include empty.conf;\n"
		"}\n");
	assert_int_equal(cf->nservers, 2);
	assert_int_equal(cf->servers[0].listens[0].port, 9090);
	assert_string_equal(cf->servers[0].names[0], "inc.example");
	assert_int_equal(cf->servers[1].nlocs, 3);
	assert_string_equal(cf->servers[1].locs[0].prefix, "/inc");
	assert_string_equal(cf->servers[1].locs[0].root, "/data");
	assert_string_equal(cf->servers[1].locs[1].root, "/data");
	assert_string_equal(cf->servers[1].locs[1].index[0], "a.html");
	assert_string_equal(cf->servers[1].locs[2].index[0], "from-ok2.html");
	assert_int_equal(cf->servers[1].srv.keepalive_timeout_ms, 7000);
	assert_int_equal(cf->servers[1].locs[2].keepalive_timeout_ms, 7000);
	assert_int_equal(cf->servers[0].srv.keepalive_timeout_ms, 75000);
	config_free(cf);

	/* nginx style: include mime.types at server level */
	cf = OK("server {\n include mime.types;\n}\n");
	assert_ptr_equal(cf->servers[0].types, &cf->servers[0].own_types);
	assert_int_equal(cf->servers[0].own_types.n, 4);
	assert_int_equal(cf->types.n, 0);
	config_free(cf);

	/* no read_file, no is_dir: includes fail, directories are not checked */
	{
		const struct config_io none = { .read_file = NULL };
		char err[256];

		cf = config_parse(MAIN, "root /nope; server {}", 21, &none, err, sizeof(err));
		assert_non_null(cf);
		assert_string_equal(cf->servers[0].srv.root, "/nope");
		config_free(cf);
		assert_null(config_parse(MAIN, "include x;", 10, &none, err, sizeof(err)));
		assert_string_equal(err, AT(1) "cannot open \"" DIR "/x\" (given as \"x\")");
		cf = config_parse(MAIN, "server {}", 9, NULL, err, sizeof(err));
		assert_non_null(cf);
		config_free(cf);
	}
}

/* Lexer corners that must parse, checked through a value. */
static void test_lexer(void **state)
{
	static const struct {
		int line;
		const char *text;   /* sets return's argument in the server */
		const char *want;
	} cases[] = {
		{ __LINE__, "server { return 200 plain; }", "plain" },
		{ __LINE__, "server{return 200 plain;}", "plain" },
		{ __LINE__, "server {\n\treturn\t200\tplain\t;\n}", "plain" },
		{ __LINE__, "server {\r\n return 200 plain;\r\n}\r\n", "plain" },
		{ __LINE__, "server {\f\v return 200 plain; }", "plain" },
		{ __LINE__, "server { return 200 \"two words\"; }", "two words" },
		{ __LINE__, "server { return 200 \"semi;brace{}#hash\"; }", "semi;brace{}#hash" },
		{ __LINE__, "server { return 200 \"say \\\"hi\\\"\"; }", "say \"hi\"" },
		{ __LINE__, "server { return 200 \"back\\\\slash\"; }", "back\\slash" },
		{ __LINE__, "server { return 200 \"nl\\n tab\\t cr\\r\"; }", "nl\n tab\t cr\r" },
		{ __LINE__, "server { return 200 \"keep\\x\\0\\N\\ \"; }", "keep\\x\\0\\N\\ " },
		{ __LINE__, "server { return 200 \"\\\\n\"; }", "\\n" },
		{ __LINE__, "server { return 200 unquoted\\n; }", "unquoted\\n" },
		{ __LINE__, "server { return 200 \"\\\\\"; }", "\\" },
		{ __LINE__, "server { return 200 \"multi\nline\"; }", "multi\nline" },
		{ __LINE__, "server { return 200 \"\"; }", "" },
		{ __LINE__, "server { return 200 \"q\";}", "q" },
		{ __LINE__, "server { return 200 \"q\"#comment\n; }", "q" },
		{ __LINE__, "server { return 200 a#b; }", "a#b" },
		{ __LINE__, "server { return 200 a\\b; }", "a\\b" },
		{ __LINE__, "server { # comment ; } {\n return 200 c; # another\n}", "c" },
		{ __LINE__, "# first\nserver { return 200 x;}# last", "x" },
		{ __LINE__, "server { return 200 x;#}\n}", "x" },
		{ __LINE__, "server { \"return\" \"200\" \"quoted\"; }", "quoted" },
		{ __LINE__, "server { return 200 caf\xc3\xa9; }", "caf\xc3\xa9" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config *cf = ok_at(cases[i].line, cases[i].text);
		const char *got = cf->servers[0].srv.ret_arg;

		if (!got || strcmp(got, cases[i].want) != 0)
			fail_msg("case at line %d: got [%s]", cases[i].line, got ? got : "(null)");
		config_free(cf);
	}
}

static void test_load(void **state)
{
	char err[256];
	struct config *cf;

	(void)state;
	reads = 0;
	cf = config_load(DIR "/srv.conf", &io, err, sizeof(err));
	assert_non_null(cf);
	assert_int_equal(reads, 1);
	assert_string_equal(cf->path, DIR "/srv.conf");
	assert_int_equal(cf->servers[0].listens[0].port, 9090);
	config_free(cf);

	assert_null(config_load(DIR "/nothere.conf", &io, err, sizeof(err)));
	assert_string_equal(err, "cannot open \"" DIR "/nothere.conf\"");
	assert_null(config_load(DIR "/denied.conf", &io, err, sizeof(err)));
	assert_string_equal(err, "cannot open \"" DIR "/denied.conf\": Permission denied");
	assert_null(config_load(DIR "/bad.conf", &io, err, sizeof(err)));
	assert_string_equal(err, DIR "/bad.conf:3: unknown directive \"foo\"");
	assert_null(config_load(DIR "/empty.conf", &io, err, sizeof(err)));
	assert_string_equal(err, DIR "/empty.conf:1: no server block");
	assert_null(config_load(DIR "/x", NULL, err, sizeof(err)));
	assert_string_equal(err, "cannot open \"" DIR "/x\"");
}

/* ---- robustness ---- */

static const char sample[] =
	"# sample\n"
	"include mime.types;\n"
	"root www;\n"
	"error_page 404 /404.html;\n"
	"keepalive_timeout 1m30s;\n"
	"server {\n"
	"    listen 127.0.0.1:8080;\n"
	"    listen 8081;\n"
	"    server_name example.com \"www.example.com\";\n"
	"    client_max_body_size 10k;\n"
	"    return 301 /moved;\n"
	"    location / {\n"
	"        allow_methods GET POST;\n"
	"        index index.html;\n"
	"        autoindex on;\n"
	"        cgi .py /usr/bin/python3;\n"
	"    }\n"
	"    location = /exact { return 200 \"ok\\\"\"; }\n"
	"    location /img/ { alias /data/images; }\n"
	"    location /up { upload_store up; include dir.conf; }\n"
	"}\n"
	"server { listen 8080; types { text/x a b c; } }\n";

/* Every prefix of a valid file parses or fails cleanly with FILE:LINE. */
static void test_prefixes(void **state)
{
	size_t n = strlen(sample);
	struct config *cf;

	(void)state;
	cf = OK(sample);
	config_free(cf);
	for (size_t i = 0; i < n; i++) {
		char err[512] = "";

		cf = parse_as(MAIN, sample, i, err, sizeof(err));
		if (cf) {
			config_free(cf);
			continue;
		}
		if (strncmp(err, MAIN ":", strlen(MAIN) + 1) != 0 &&
		    strncmp(err, DIR "/", strlen(DIR) + 1) != 0)
			fail_msg("prefix %zu: bad message %s", i, err);
	}
}

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Random mutations of the sample: never a crash, a leak or a hang
 * (ASan/UBSan builds check), and an error always says where. */
static void test_mutations(void **state)
{
	static const char alphabet[] = ";{}\"\\#\n \t/.:=~*0123456789abcxyzkmsgh";
	static const char *const words[] = {
		"server", "location", "include", "types", "{", "}", ";", "\"", "#",
		"root", "alias", "listen", "self.conf", "bad.conf", "mime.types", "\n",
		"return", "cgi", "=", "~", "65536", "0", "error_page", "allow_methods",
	};
	size_t n = strlen(sample);
	uint32_t seed = 0x1234567;
	char *buf = malloc(n + 256);

	(void)state;
	assert_non_null(buf);
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = n;
		int edits = 1 + (int)(rnd(&seed) % 6);
		char err[512] = "";
		struct config *cf;

		memcpy(buf, sample, n);
		for (int e = 0; e < edits; e++) {
			size_t pos = len ? rnd(&seed) % len : 0;

			switch (rnd(&seed) % 4) {
			case 0: /* replace a byte */
				if (len)
					buf[pos] = alphabet[rnd(&seed) % (sizeof(alphabet) - 1)];
				break;
			case 1: /* delete a run */
				if (len) {
					size_t k = 1 + rnd(&seed) % 8;

					if (k > len - pos)
						k = len - pos;
					memmove(buf + pos, buf + pos + k, len - pos - k);
					len -= k;
				}
				break;
			case 2: { /* insert a word */
				const char *w = words[rnd(&seed) % (sizeof(words) / sizeof(words[0]))];
				size_t wl = strlen(w);

				if (len + wl + 1 <= n + 255) {
					memmove(buf + pos + wl + 1, buf + pos, len - pos);
					memcpy(buf + pos, w, wl);
					buf[pos + wl] = ' ';
					len += wl + 1;
				}
				break;
			}
			default: /* random byte, any value */
				if (len)
					buf[pos] = (char)(rnd(&seed) & 0xff);
				break;
			}
		}
		cf = parse_as(MAIN, buf, len, err, sizeof(err));
		if (cf) {
			/* a parsed tree is complete */
			assert_true(cf->nservers >= 1);
			for (size_t i = 0; i < cf->nservers; i++) {
				assert_true(cf->servers[i].nlistens >= 1);
				assert_non_null(cf->servers[i].srv.root);
				assert_non_null(cf->servers[i].types);
				for (size_t k = 0; k < cf->servers[i].nlocs; k++)
					assert_true(cf->servers[i].locs[k].prefix[0] == '/');
			}
			config_free(cf);
		} else if (strncmp(err, MAIN ":", strlen(MAIN) + 1) != 0 &&
			   strncmp(err, DIR "/", strlen(DIR) + 1) != 0) {
			fail_msg("iteration %d: bad message %s", iter, err);
		}
	}
	free(buf);
}

/* Each allocation in turn fails: a clean "out of memory", nothing
 * leaked (ASan), until the budget is enough. */
static void test_oom(void **state)
{
	long budget;

	(void)state;
	for (budget = 0; budget < 100000; budget++) {
		char err[512] = "";
		struct config *cf;
		size_t el;

		malloc_budget = budget;
		cf = parse(sample, err, sizeof(err));
		malloc_budget = -1;
		if (cf) {
			config_free(cf);
			break;
		}
		el = strlen(err);
		if (el < 13 || strcmp(err + el - 13, "out of memory") != 0)
			fail_msg("budget %ld: %s", budget, err);
	}
	assert_true(budget > 50);
	assert_true(budget < 100000);
	/* config_load too */
	malloc_budget = 0;
	assert_null(config_load(DIR "/srv.conf", &io, NULL, 0));
	malloc_budget = -1;
}

/* Long statements and tables grow their arrays. */
static void test_big(void **state)
{
	size_t cap = 64 * 1024;
	char *text = malloc(cap), err[256];
	struct config *cf;
	size_t o;

	(void)state;
	assert_non_null(text);
	o = (size_t)snprintf(text, cap, "types {\n text/x");
	for (int i = 0; i < 3000; i++)
		o += (size_t)snprintf(text + o, cap - o, " e%d", i);
	o += (size_t)snprintf(text + o, cap - o, ";\n}\nserver {\n server_name");
	for (int i = 0; i < 100; i++)
		o += (size_t)snprintf(text + o, cap - o, " n%d.example", i);
	snprintf(text + o, cap - o, ";\n}\n");
	cf = OK(text);
	assert_int_equal(cf->types.n, 3000);
	assert_string_equal(cf->types.v[2999].ext, "e2999");
	assert_string_equal(config_mime(&cf->types, "a.E1234"), "text/x");
	assert_int_equal(cf->servers[0].nnames, 100);
	assert_string_equal(cf->servers[0].names[99], "n99.example");
	config_free(cf);

	/* 4096 arguments are fine, 4097 are not */
	o = (size_t)snprintf(text, cap, "server {\n index");
	for (int i = 0; i < 4096; i++)
		o += (size_t)snprintf(text + o, cap - o, " i");
	snprintf(text + o, cap - o, ";\n}\n");
	cf = OK(text);
	assert_int_equal(cf->servers[0].srv.nindex, 4096);
	config_free(cf);
	snprintf(text + o, cap - o, "\n i;\n}\n");
	assert_null(parse(text, err, sizeof(err)));
	assert_string_equal(err, AT(3) "too many arguments");
	free(text);
}

/* The static value parsers, directly. */
static void test_parse_helpers(void **state)
{
	static const struct {
		int line;
		const char *in;
		int rc;
		uint64_t want;
	} times[] = {
		{ __LINE__, "0", 0, 0 },
		{ __LINE__, "1", 0, 1000 },
		{ __LINE__, "0ms", 0, 0 },
		{ __LINE__, "1ms", 0, 1 },
		{ __LINE__, "1s1ms", 0, 1001 },
		{ __LINE__, "2h30m", 0, 9000000 },
		{ __LINE__, "1s1s", 0, 2000 },
		{ __LINE__, "1000000000000ms", 0, 1000000000000ULL },
		{ __LINE__, "1000000000001ms", -1, 0 },
		{ __LINE__, "277777h", 0, 277777ULL * 3600000 },
		{ __LINE__, "277777h46m40s", 0, 1000000000000ULL },
		{ __LINE__, "277777h46m40s1ms", -1, 0 },
		{ __LINE__, "277778h", -1, 0 },
		{ __LINE__, "277777h1", -1, 0 },
		{ __LINE__, "", -1, 0 },
		{ __LINE__, "s", -1, 0 },
		{ __LINE__, "1 s", -1, 0 },
		{ __LINE__, "1sm", -1, 0 },
		{ __LINE__, "1d", -1, 0 },
		{ __LINE__, "1M", -1, 0 },
		{ __LINE__, "1.5s", -1, 0 },
		{ __LINE__, "99999999999999999999999", -1, 0 },
	};
	static const struct {
		int line;
		const char *in;
		int rc;
		uint64_t want;
	} sizes[] = {
		{ __LINE__, "0", 0, 0 },
		{ __LINE__, "1g", 0, 1ULL << 30 },
		{ __LINE__, "", -1, 0 },
		{ __LINE__, "g", -1, 0 },
		{ __LINE__, "1t", -1, 0 },
		{ __LINE__, "1 k", -1, 0 },
		{ __LINE__, "1kk", -1, 0 },
		{ __LINE__, "18014398509481983k", 0, 18014398509481983ULL << 10 },
		{ __LINE__, "18014398509481984k", -1, 0 },
	};
	static const struct {
		int line;
		const char *in;
		int rc;
		uint32_t want;
	} ips[] = {
		{ __LINE__, "0.0.0.0", 0, 0 },
		{ __LINE__, "1.2.3.4", 0, 0x01020304 },
		{ __LINE__, "255.255.255.255", 0, 0xffffffff },
		{ __LINE__, "1.2.3", -1, 0 },
		{ __LINE__, "1.2.3.", -1, 0 },
		{ __LINE__, ".1.2.3", -1, 0 },
		{ __LINE__, "1.2.3.4.", -1, 0 },
		{ __LINE__, "1.2.3.256", -1, 0 },
		{ __LINE__, "1.2.3.-1", -1, 0 },
		{ __LINE__, "1.2.3.4 ", -1, 0 },
		{ __LINE__, "0x1.2.3.4", -1, 0 },
		{ __LINE__, "", -1, 0 },
	};
	static const struct {
		int line;
		const char *in;
		const char *want;
	} paths[] = {
		{ __LINE__, "/", "/" },
		{ __LINE__, "//", "/" },
		{ __LINE__, "/.", "/" },
		{ __LINE__, "/./.", "/" },
		{ __LINE__, ".", "." },
		{ __LINE__, "./", "." },
		{ __LINE__, "./.", "." },
		{ __LINE__, "a", "a" },
		{ __LINE__, "a/", "a" },
		{ __LINE__, "./a/./b/", "a/b" },
		{ __LINE__, "/a//b///c", "/a/b/c" },
		{ __LINE__, "/a/../b", "/a/../b" },
		{ __LINE__, "/a/.b/..c", "/a/.b/..c" },
		{ __LINE__, "..", ".." },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		uint64_t v = 12345;
		int rc = parse_time(times[i].in, &v);

		if (rc != times[i].rc || (rc == 0 && v != times[i].want))
			fail_msg("time case at line %d: rc %d v %llu", times[i].line, rc,
				 (unsigned long long)v);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t v = 12345;
		int rc = parse_size(sizes[i].in, &v);

		if (rc != sizes[i].rc || (rc == 0 && v != sizes[i].want))
			fail_msg("size case at line %d: rc %d v %llu", sizes[i].line, rc,
				 (unsigned long long)v);
	}
	for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		uint32_t v = 12345;
		int rc = parse_ipv4(ips[i].in, strlen(ips[i].in), &v);

		if (rc != ips[i].rc || (rc == 0 && v != ips[i].want))
			fail_msg("ip case at line %d: rc %d v %08x", ips[i].line, rc, v);
	}
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char buf[64];

		strcpy(buf, paths[i].in);
		path_normalise(buf);
		if (strcmp(buf, paths[i].want) != 0)
			fail_msg("path case at line %d: got %s", paths[i].line, buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_nul),
		cmocka_unit_test(test_too_many_includes),
		cmocka_unit_test(test_errbuf),
		cmocka_unit_test(test_error_long_paths),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_listen_v6),
		cmocka_unit_test(test_listen_many),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_server_name),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_index_autoindex),
		cmocka_unit_test(test_error_page),
		cmocka_unit_test(test_return),
		cmocka_unit_test(test_return_inherit),
		cmocka_unit_test(test_cgi),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_alias_upload),
		cmocka_unit_test(test_locations),
		cmocka_unit_test(test_inheritance),
		cmocka_unit_test(test_top_after_server),
		cmocka_unit_test(test_logs_and_limits),
		cmocka_unit_test(test_hostile_limits),
		cmocka_unit_test(test_charset),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_config_mime),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_lexer),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_oom),
		cmocka_unit_test(test_big),
		cmocka_unit_test(test_parse_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
