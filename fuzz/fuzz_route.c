/* Harness for route_server(), route_location(), route_fs_path() and the
 * small lookups of src/route.c, over one fixed configuration parsed once
 * (src/config.c) with a fake config_io for which every path is a
 * directory.
 *
 * Input: byte 0 picks the local address and port, then the Host value up
 * to '\n', then the request-target, which uri_normalize() (src/uri.c)
 * turns into the path, as the server does.  Oracles:
 *   - route_server() is NULL exactly when no server listens on that
 *     address (or the wildcard) and port; otherwise it listens there,
 *     exact-address servers hiding wildcard ones;
 *   - route_location() is never NULL, is the server's own settings or one
 *     of its locations; an exact location matches the whole path, a
 *     prefix one is a prefix of it, and none is longer and matches;
 *   - route_fs_path() stays inside the root or alias directory (the path
 *     is the directory itself or continues with '/'), has no "//", "/./"
 *     or "/../", fits a buffer of its exact size and reports -1, without
 *     writing past the end, for one byte less. */

#include "fuzz.h"
#include "config.h"
#include "route.h"
#include "uri.h"

static const char conf_text[] =
	"server {\n"
	"\tlisten 8080;\n"
	"\tserver_name example.com www.example.com;\n"
	"\troot /srv/www;\n"
	"\tindex index.html;\n"
	"\terror_page 404 /404.html;\n"
	"\tlocation / {\n\t\tallow_methods GET HEAD;\n\t}\n"
	"\tlocation /img {\n\t\talias /data/images;\n\t}\n"
	"\tlocation /img/big/ {\n\t\talias /data/big/;\n\t}\n"
	"\tlocation = /exact {\n\t\treturn 301 /elsewhere;\n\t}\n"
	"\tlocation /up {\n\t\tallow_methods POST DELETE;\n"
	"\t\tupload_store /srv/up;\n\t\tclient_max_body_size 10m;\n\t}\n"
	"\tlocation /cgi-bin/ {\n\t\troot /srv;\n"
	"\t\tcgi .py /usr/bin/python3;\n\t\tcgi .sh /bin/sh;\n\t}\n"
	"\tlocation /rootslash {\n\t\troot /;\n\t}\n"
	"\tlocation /aliasroot/ {\n\t\talias /;\n\t}\n"
	"}\n"
	"server {\n"
	"\tlisten 8080;\n"
	"\tserver_name *.wild.test .dot.test;\n"
	"\troot /srv/wild;\n"
	"\tlocation /a {\n\t\troot /srv/a;\n\t}\n"
	"\tlocation /ab {\n\t\troot /srv/ab;\n\t}\n"
	"}\n"
	"server {\n"
	"\tlisten 127.0.0.1:8080;\n"
	"\tlisten 127.0.0.1:9090;\n"
	"\tserver_name local;\n"
	"\troot /srv/local;\n"
	"\tlocation /x/ {\n\t\talias /srv/xx;\n\t\tautoindex on;\n\t}\n"
	"}\n"
	"server {\n"
	"\tlisten 127.0.0.1:8080;\n"
	"\tserver_name other.local;\n"
	"\troot /srv/other;\n"
	"}\n";

static const struct {
	uint32_t addr;
	uint16_t port;
} addrs[8] = {
	{ 0, 8080 },          { 0x7f000001, 8080 }, { 0x7f000001, 9090 },
	{ 0x0a000001, 8080 }, { 0x0a000001, 9090 }, { 0, 9090 },
	{ 0x7f000001, 80 },   { 0, 0 },
};

static int fake_read(void *ctx, const char *path, char **data, size_t *len)
{
	(void)ctx;
	(void)path;
	(void)data;
	(void)len;
	return -1;
}

static int fake_is_dir(void *ctx, const char *path)
{
	(void)ctx;
	(void)path;
	return 1;
}

static const struct config *get_config(void)
{
	static struct config *cf;

	if (cf == NULL) {
		static const struct config_io io = { .read_file = fake_read, .is_dir = fake_is_dir };
		char err[256];

		cf = config_parse("/fz/route.conf", conf_text,
				  sizeof(conf_text) - 1, &io, err, sizeof(err));
		if (cf == NULL) {
			fprintf(stderr, "fuzz_route: fixed config: %s\n", err);
			abort();
		}
	}
	return cf;
}

static int listens(const struct server_conf *s, uint32_t a, uint16_t p)
{
	size_t i;

	for (i = 0; i < s->nlistens; i++)
		if (s->listens[i].addr == a && s->listens[i].port == p)
			return 1;
	return 0;
}

static int has(const char *s, const char *needle)
{
	return strstr(s, needle) != NULL;
}

static void check_fs(const struct loc_conf *lc, const char *path, size_t len)
{
	const char *base = lc->alias ? lc->alias : lc->root;
	size_t bl = strlen(base), n, cap = bl + len + 4;
	char *out = fuzz_alloc(cap), *small;

	FUZZ_CHECK(route_fs_path(lc, path, len, out, cap) == 0);
	n = strlen(out);
	FUZZ_CHECK(n < cap);
	/* Inside the directory. */
	if (strcmp(base, "/") == 0) {
		FUZZ_CHECK(out[0] == '/');
	} else {
		FUZZ_CHECK(strncmp(out, base, bl) == 0);
		FUZZ_CHECK(out[bl] == '\0' || out[bl] == '/');
	}
	FUZZ_CHECK(!has(out, "//"));
	FUZZ_CHECK(!has(out, "/./"));
	FUZZ_CHECK(!has(out, "/../"));
	/* Exact fit, and one byte less. */
	small = fuzz_alloc(n + 1);
	FUZZ_CHECK(route_fs_path(lc, path, len, small, n + 1) == 0);
	FUZZ_CHECK(strcmp(small, out) == 0);
	free(small);
	small = fuzz_alloc(n);
	FUZZ_CHECK(route_fs_path(lc, path, len, small, n) == -1);
	free(small);
	free(out);
}

static void check_location(const struct server_conf *s, const char *path,
			   size_t len)
{
	const struct loc_conf *lc = route_location(s, path, len);
	size_t i, pl;
	int exact_match = 0;

	FUZZ_CHECK(lc != NULL);
	FUZZ_CHECK(lc == &s->srv ||
		   (lc >= s->locs && lc < s->locs + s->nlocs));
	for (i = 0; i < s->nlocs; i++) {
		pl = strlen(s->locs[i].prefix);
		if (s->locs[i].exact && pl == len &&
		    memcmp(s->locs[i].prefix, path, len) == 0)
			exact_match = 1;
	}
	if (exact_match)
		FUZZ_CHECK(lc != &s->srv && lc->exact);
	if (lc != &s->srv) {
		pl = strlen(lc->prefix);
		FUZZ_CHECK(pl <= len && memcmp(lc->prefix, path, pl) == 0);
		if (lc->exact)
			FUZZ_CHECK(pl == len);
		else
			for (i = 0; i < s->nlocs; i++) {
				const struct loc_conf *l = &s->locs[i];
				size_t ll = strlen(l->prefix);

				if (!l->exact && ll <= len &&
				    memcmp(l->prefix, path, ll) == 0)
					FUZZ_CHECK(ll <= pl);
			}
	} else {
		for (i = 0; i < s->nlocs; i++) {
			const struct loc_conf *l = &s->locs[i];
			size_t ll = strlen(l->prefix);

			FUZZ_CHECK(l->exact || ll > len ||
				   memcmp(l->prefix, path, ll) != 0);
		}
	}
	/* An alias location whose prefix does not end in '/' maps nothing for
	 * "/img../x" (fuzz/regressions/route/): route_fs_path says -2, and
	 * says it exactly then. */
	pl = strlen(lc->prefix);
	if (lc->alias && pl > 0 && lc->prefix[pl - 1] != '/' && len > pl && path[pl] != '/') {
		char tmp[64];

		FUZZ_CHECK(route_fs_path(lc, path, len, tmp, sizeof(tmp)) == -2);
	} else {
		check_fs(lc, path, len);
	}
	{
		char allow[64];
		size_t an = route_allow(lc, allow, sizeof(allow));

		FUZZ_CHECK(an < sizeof(allow) && allow[an] == '\0');
		an = route_allow(lc, allow, 5);
		FUZZ_CHECK(an < 5 && allow[an] == '\0');
	}
	(void)route_cgi(lc, path, len);
	(void)route_error_page(lc, 404);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct config *cf = get_config();
	const struct server_conf *s;
	struct listen_addr local = { 0 };
	const char *in, *nl;
	uint32_t a;
	uint16_t p;
	size_t i, hlen, tlen;
	int any_exact = 0, any_wild = 0, rc;
	char *host, *target, *path;
	size_t plen;
	struct slice q;

	if (size == 0)
		return 0;
	a = addrs[data[0] & 7].addr;
	p = addrs[data[0] & 7].port;
	in = (const char *)data + 1;
	nl = memchr(in, '\n', size - 1);
	hlen = nl ? (size_t)(nl - in) : size - 1;
	host = fuzz_dup(in, hlen);
	tlen = nl ? size - 1 - hlen - 1 : 0;
	target = fuzz_dup(nl ? nl + 1 : "", tlen);

	for (i = 0; i < cf->nservers; i++) {
		any_exact |= listens(&cf->servers[i], a, p);
		any_wild |= listens(&cf->servers[i], 0, p);
	}
	local.addr = a;
	local.port = p;
	s = route_server(cf, &local, (struct slice){ hlen ? host : NULL, hlen });
	FUZZ_CHECK((s == NULL) == (!any_exact && !any_wild));
	if (s == NULL)
		goto out;
	FUZZ_CHECK(s >= cf->servers && s < cf->servers + cf->nservers);
	FUZZ_CHECK(any_exact ? listens(s, a, p) : listens(s, 0, p));

	path = fuzz_alloc(tlen + 2);
	rc = uri_normalize((struct slice){ tlen ? target : NULL, tlen }, path,
			   tlen + 2, &plen, &q);
	if (rc == 0)
		check_location(s, path, plen);
	free(path);
out:
	free(target);
	free(host);
	return 0;
}
