/* Router: listening address + Host + path -> server -> location -> file.
 * Pure: reads the config tree only, allocates nothing. */

#include <string.h>
#include <strings.h>

#include "route.h"
#include "addr.h"
#include "ascii.h"

/* The host part of a Host value: without ":port" (an IPv6 literal keeps
 * its brackets) and without one trailing '.' (an FQDN's root label). */
static struct slice host_name(struct slice h)
{
	size_t n = h.len;

	if (n > 0 && h.p[0] == '[') {
		const char *rb = memchr(h.p, ']', n);

		n = rb ? (size_t)(rb - h.p) + 1 : n;
	} else {
		const char *colon = n ? memchr(h.p, ':', n) : NULL;

		if (colon)
			n = (size_t)(colon - h.p);
	}
	if (n > 0 && h.p[n - 1] == '.')
		n--;
	h.len = n;
	return h;
}

static int name_ieq(struct slice h, const char *name, size_t nlen)
{
	if (h.len != nlen)
		return 0;
	for (size_t i = 0; i < nlen; i++)
		if (ascii_lower((unsigned char)h.p[i]) != (unsigned char)name[i])
			return 0;
	return 1;
}

/* Length of the wildcard server_name match, 0 if none: "*.example.com"
 * matches any name ending in ".example.com"; ".example.com" matches that
 * too and "example.com" itself (nginx). */
static size_t wild_match(struct slice h, const char *name)
{
	size_t nlen = strlen(name);
	const char *suf;
	size_t slen;

	if (name[0] == '*' && name[1] == '.') {
		suf = name + 1;
	} else if (name[0] == '.' && name[1] != '\0') {
		if (name_ieq(h, name + 1, nlen - 1))
			return nlen;
		suf = name;
	} else {
		return 0;
	}
	slen = strlen(suf);
	if (h.len <= slen)
		return 0;
	return name_ieq((struct slice){ h.p + h.len - slen, slen }, suf, slen) ? nlen : 0;
}

/* Does s listen on exactly a (exact) or on a wildcard that takes a's
 * connections?  The matching listen, or NULL. */
static const struct listen_addr *listens_on(const struct server_conf *s,
					    const struct listen_addr *a, int exact)
{
	for (size_t i = 0; i < s->nlistens; i++)
		if (exact ? addr_eq(&s->listens[i], a) : addr_covers(&s->listens[i], a))
			return &s->listens[i];
	return NULL;
}

int route_port_has_addr(const struct config *cf, uint16_t lport)
{
	for (size_t i = 0; cf != NULL && i < cf->nservers; i++)
		for (size_t k = 0; k < cf->servers[i].nlistens; k++)
			if (cf->servers[i].listens[k].port == lport &&
			    !addr_is_any(&cf->servers[i].listens[k]))
				return 1;
	return 0;
}

const struct server_conf *route_server(const struct config *cf, const struct listen_addr *local,
				       struct slice host)
{
	const struct server_conf *first = NULL, *wild = NULL;
	size_t wild_len = 0;
	int exact = 1;
	struct slice h;

	if (!cf)
		return NULL;
	/* Servers bound to exactly this address hide the wildcard ones; the
	 * default is the one marked default_server, else the first. */
	for (int pass = 0; pass < 2 && !first; pass++) {
		exact = pass == 0;
		for (size_t i = 0; i < cf->nservers; i++) {
			const struct listen_addr *la = listens_on(&cf->servers[i], local, exact);

			if (la != NULL && (first == NULL || la->default_server)) {
				first = &cf->servers[i];
				if (la->default_server)
					break;
			}
		}
	}
	if (!first)
		return NULL;
	h = host_name(host);
	/* Exact names first, then the longest wildcard, then the default
	 * (first) server for the address. */
	for (size_t i = 0; i < cf->nservers; i++) {
		const struct server_conf *s = &cf->servers[i];

		if (!listens_on(s, local, exact))
			continue;
		for (size_t k = 0; k < s->nnames; k++) {
			size_t w;

			if (name_ieq(h, s->names[k], strlen(s->names[k])))
				return s;
			w = wild_match(h, s->names[k]);
			if (w > wild_len) {
				wild_len = w;
				wild = s;
			}
		}
	}
	return wild ? wild : first;
}

const struct loc_conf *route_location(const struct server_conf *srv,
				      const char *path, size_t len)
{
	const struct loc_conf *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < srv->nlocs; i++) {
		const struct loc_conf *l = &srv->locs[i];
		size_t pl = strlen(l->prefix);

		if (pl > len || memcmp(l->prefix, path, pl) != 0)
			continue;
		if (l->exact) {
			if (pl == len)
				return l;
			continue;
		}
		if (!best || pl > best_len) {
			best = l;
			best_len = pl;
		}
	}
	return best ? best : &srv->srv;
}

/* Appends s[0..n) at out[*o], keeping room for the NUL. */
static int put(char *out, size_t outlen, size_t *o, const char *s, size_t n)
{
	if (n >= outlen - *o)
		return -1;
	memcpy(out + *o, s, n);
	*o += n;
	return 0;
}

/* alias: the location prefix is replaced by the alias, joined at a '/'
 * so the result always stays inside the alias directory: with alias
 * /data/images, "/img/x" gives /data/images/x for both "location /img"
 * and "location /img/", and "/imgfoo" under "location /img" gives
 * /data/images/foo (never the sibling /data/imagesfoo). */
int route_fs_path(const struct loc_conf *lc, const char *path, size_t len,
		  char *out, size_t outlen)
{
	size_t o = 0;

	if (!out || outlen == 0)
		return -1;
	if (lc->alias) {
		size_t pl = strlen(lc->prefix), al = strlen(lc->alias);
		const char *rest = path + (pl < len ? pl : len);
		size_t rl = pl < len ? len - pl : 0;

		/* Only a path under the prefix maps into the alias, and a prefix
		 * that ends inside a segment ("/img" for "/img../x") must be
		 * followed by a '/': the rest of such a segment would otherwise
		 * name something beside (or above) the alias directory. */
		if (len < pl || memcmp(path, lc->prefix, pl) != 0)
			return -2;
		if (pl > 0 && lc->prefix[pl - 1] != '/' && rl > 0 && rest[0] != '/')
			return -2;

		while (rl > 0 && rest[0] == '/') {
			rest++;
			rl--;
		}
		if (put(out, outlen, &o, lc->alias, al) < 0)
			return -1;
		if (rl > 0) {
			if ((o == 0 || out[o - 1] != '/') && put(out, outlen, &o, "/", 1) < 0)
				return -1;
			if (put(out, outlen, &o, rest, rl) < 0)
				return -1;
		}
		/* A directory URI keeps its trailing '/'. */
		if (len > 0 && path[len - 1] == '/' && (o == 0 || out[o - 1] != '/') &&
		    put(out, outlen, &o, "/", 1) < 0)
			return -1;
	} else {
		size_t rlen = strlen(lc->root);

		/* root "/" + "/a" is "/a", not "//a" */
		if (rlen == 1 && lc->root[0] == '/')
			rlen = 0;
		if (put(out, outlen, &o, lc->root, rlen) < 0 ||
		    put(out, outlen, &o, path, len) < 0)
			return -1;
	}
	out[o] = '\0';
	return 0;
}

const char *route_cgi(const struct loc_conf *lc, const char *name, size_t len)
{
	const char *ext = NULL;

	for (size_t i = 0; i < len; i++) {
		if (name[i] == '/')
			ext = NULL;
		else if (name[i] == '.')
			ext = name + i;
	}
	if (!ext)
		return NULL;
	/* Case-sensitive: ".py" does not run "x.PY" (file names are). */
	for (size_t i = 0; i < lc->ncgi; i++) {
		size_t el = strlen(lc->cgi[i].ext);

		if (el == (size_t)(name + len - ext) && memcmp(lc->cgi[i].ext, ext, el) == 0)
			return lc->cgi[i].interp;
	}
	return NULL;
}

const char *route_error_page(const struct loc_conf *lc, int code)
{
	for (size_t i = 0; i < lc->nerror_pages; i++)
		if (lc->error_pages[i].code == code)
			return lc->error_pages[i].uri;
	return NULL;
}

static const struct {
	const char *name;
	unsigned bit;
} methods[] = {
	{ "GET", M_GET },
	{ "HEAD", M_HEAD },
	{ "POST", M_POST },
	{ "PUT", M_PUT },
	{ "DELETE", M_DELETE },
};

#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

unsigned route_method_bit(struct slice method)
{
	/* Methods are case-sensitive (RFC 9110 9.1). */
	for (size_t i = 0; i < NMETHODS; i++)
		if (slice_eq(method, methods[i].name))
			return methods[i].bit;
	return 0;
}

unsigned route_allow_mask(const struct loc_conf *lc)
{
	unsigned m = lc->methods;

	/* PUT needs a store; POST a store or a script. */
	if (lc->upload_store == NULL) {
		m &= ~(unsigned)M_PUT;
		if (lc->ncgi == 0)
			m &= ~(unsigned)M_POST;
	}
	return m;
}

unsigned route_allow_server(const struct server_conf *s)
{
	unsigned m = route_allow_mask(&s->srv);

	for (size_t i = 0; i < s->nlocs; i++)
		if (s->locs[i].ret_code == 0)
			m |= route_allow_mask(&s->locs[i]);
	return m;
}

size_t route_allow_format(unsigned m, int options, char *out, size_t outlen)
{
	size_t o = 0;

	if (!out || outlen == 0)
		return 0;
	for (size_t i = 0; i <= NMETHODS; i++) {
		const char *s = i < NMETHODS ? methods[i].name : "OPTIONS";
		size_t sep = o > 0 ? 2 : 0, n = strlen(s);

		if (i < NMETHODS ? !(m & methods[i].bit) : !options)
			continue;
		/* Whole names only: a short buffer gets the leading ones. */
		if (sep + n >= outlen - o)
			break;
		put(out, outlen, &o, ", ", sep);
		put(out, outlen, &o, s, n);
	}
	out[o] = '\0';
	return o;
}

size_t route_allow(const struct loc_conf *lc, char *out, size_t outlen)
{
	return route_allow_format(lc->methods, 0, out, outlen);
}
