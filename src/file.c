/* Static files: GET/HEAD with validators, conditional and range requests,
 * directory index and autoindex; DELETE. */
#include "server.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "range.h"
#include "route.h"
#include "uri.h"

/* An autoindex page is bounded: entries beyond its byte budget are
 * counted (up to AUTOINDEX_SCAN_MAX directory entries read in all) and
 * the page says how many were left out. */
#define AUTOINDEX_MAX_ENTRIES 10000
#define AUTOINDEX_MAX_BYTES (1u << 20)
#define AUTOINDEX_SCAN_MAX 100000
/* Worst case per entry: the name HTML-escaped (6x) as text, percent-
 * encoded (3x) in the link, plus the fixed markup and date/size. */
#define AUTOINDEX_ENTRY_COST(len) (9 * (size_t)(len) + 128)

static int errno_status(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
	case ELOOP:
		return 404;
	case EACCES:
	case EPERM:
		return 403;
	default:
		return 500;
	}
}

/* Is c->fspath inside an upload_store of its server (the routed
 * location's or another location's)?  Returns the offset of the part
 * below the store in c->fspath, or 0 when it is not a stored path. */
static size_t store_rel(const struct conn *c)
{
	const struct server_conf *s = c->srv;

	for (size_t i = 0; s != NULL && i <= s->nlocs; i++) {
		const struct loc_conf *lc = i < s->nlocs ? &s->locs[i] : &s->srv;
		size_t n = lc->upload_store ? strlen(lc->upload_store) : 0;

		if (n && strncmp(c->fspath, lc->upload_store, n) == 0 &&
		    (c->fspath[n] == '/' || c->fspath[n] == '\0'))
			return n;
	}
	return 0;
}

/* The configured directory c->fspath lies in (an upload store, else the
 * location's alias or root): *rel gets the part below it.  NULL when
 * none matches (cannot happen for a routed path). */
static const char *doc_base(const struct conn *c, const char **rel)
{
	size_t r = store_rel(c);
	const char *cand[2] = { c->loc->alias, c->loc->root };

	if (r) {
		*rel = c->fspath + r;
		return NULL; /* filled below from the matching store */
	}
	for (size_t i = 0; i < 2; i++) {
		size_t n = cand[i] ? strlen(cand[i]) : 0;

		while (n > 1 && cand[i][n - 1] == '/')
			n--;
		if (n && strncmp(c->fspath, cand[i], n) == 0 &&
		    (c->fspath[n] == '/' || c->fspath[n] == '\0' || n == 1)) {
			*rel = c->fspath + (n == 1 ? 0 : n);
			return cand[i];
		}
	}
	return NULL;
}

/* Opens the directory holding c->fspath without following a symlink
 * below the configured directory; *leaf is the last segment.  Returns a
 * descriptor or -1 with errno. */
static int open_parent(const struct conn *c, const char **leaf)
{
	char base[PATH_BUF];
	const char *rel = NULL, *b = doc_base(c, &rel);

	if (b == NULL && rel == NULL) {
		errno = EACCES;
		return -1;
	}
	if (b == NULL) { /* a store: its path is the prefix of fspath */
		size_t n = (size_t)(rel - c->fspath);

		memcpy(base, c->fspath, n);
		base[n] = '\0';
		b = base;
	}
	return beneath_parent(b, rel, leaf);
}

/* disable_symlinks on: may c->fspath be read?  0, or an HTTP status. */
static int symlinks_ok(const struct conn *c)
{
	const char *leaf;
	struct stat st;
	int fd, r = 0;

	if (!c->loc->disable_symlinks)
		return 0;
	fd = open_parent(c, &leaf);
	if (fd < 0)
		return errno == ELOOP || errno == EXDEV ? 403 : errno_status(errno);
	if (*leaf && fstatat(fd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		r = 403;
	close(fd);
	return r;
}

/* A stored dot file (a temporary upload above all) is never served,
 * listed or deleted through a request. */
static int stored_dot_file(const struct conn *c)
{
	size_t r = store_rel(c);

	if (r == 0)
		return 0;
	for (const char *p = c->fspath + r; *p; p++)
		if (*p == '/' && p[1] == '.')
			return 1;
	return 0;
}

/* Types a browser would run as a page of the site (scripts, markup that
 * can hold scripts). */
static int active_type(const char *t)
{
	static const char *const act[] = { "text/html", "image/svg+xml", "application/xhtml+xml",
					   "text/javascript", "application/javascript",
					   "application/x-javascript", "application/ecmascript",
					   "text/ecmascript", "text/xml", "application/xml" };

	for (size_t i = 0; i < sizeof(act) / sizeof(act[0]); i++) {
		size_t n = strlen(act[i]);

		if (strncasecmp(t, act[i], n) == 0 && (t[n] == '\0' || t[n] == ';' || t[n] == ' '))
			return 1;
	}
	return 0;
}

/* Headers that keep a stored file inert: no sniffing, and active types
 * as a download unless upload_active_inline is on. */
static void stored_headers(struct conn *c, const char *ctype)
{
	if (store_rel(c) == 0)
		return;
	obuf_str(&c->out, "X-Content-Type-Options: nosniff\r\n");
	if (!c->loc->upload_active_inline && ctype != NULL && active_type(ctype))
		obuf_str(&c->out, "Content-Disposition: attachment\r\n");
}

/* An error while serving an error page falls back to the built-in page. */
static void fail(struct conn *c, int status, int orig)
{
	if (orig != 200) {
		c->in_error_page = 1;
		http_error(c, orig);
	} else {
		http_error(c, status);
	}
}

static void make_etag(const struct stat *st, char *out, size_t n)
{
	snprintf(out, n, "\"%llx-%llx\"", (unsigned long long)st->st_mtime,
		 (unsigned long long)st->st_size);
}

/* Does any member of the comma lists in every `name` field match tag?
 * "*" matches when the resource exists.  weak: W/ tags compare by their
 * opaque part (RFC 9110 8.8.3.2); strong: a W/ tag never matches.
 * Returns 1 on a match, 0 when the field is present without a match, -1
 * when there is no such field. */
static int tag_list(const struct conn *c, const char *name, const char *tag, int exists, int weak)
{
	size_t tl = strlen(tag);
	int seen = 0;

	for (size_t k = 0; k < c->req.nfields; k++) {
		struct slice list = c->req.fields[k].value;
		size_t i = 0;

		if (!slice_ieq(c->req.fields[k].name, name))
			continue;
		seen = 1;
		while (i < list.len) {
			size_t st, e;

			while (i < list.len && (list.p[i] == ' ' || list.p[i] == '\t' || list.p[i] == ','))
				i++;
			st = i;
			while (i < list.len && list.p[i] != ',')
				i++;
			e = i;
			while (e > st && (list.p[e - 1] == ' ' || list.p[e - 1] == '\t'))
				e--;
			if (e - st == 1 && list.p[st] == '*') {
				if (exists)
					return 1;
				continue;
			}
			if (e - st > 2 && list.p[st] == 'W' && list.p[st + 1] == '/') {
				if (!weak)
					continue;
				st += 2;
			}
			if (exists && e - st == tl && memcmp(list.p + st, tag, tl) == 0)
				return 1;
		}
	}
	return seen ? 0 : -1;
}

static int date_field(const struct conn *c, const char *name, time_t *t)
{
	const struct header_field *f = request_field(&c->req, name);

	return f != NULL && response_parse_date(f->value.p, f->value.len, t) == 0;
}

int file_preconditions(struct conn *c, const struct stat *st)
{
	int safe = c->req.method_id == METHOD_GET || c->req.method_id == METHOD_HEAD;
	char etag[64] = "";
	time_t t;
	int r;

	if (st != NULL)
		make_etag(st, etag, sizeof(etag));
	/* RFC 9110 13.2.2, steps 1 to 4. */
	r = tag_list(c, "If-Match", etag, st != NULL, 0);
	if (r == 0)
		return 412;
	if (r < 0 && st != NULL && date_field(c, "If-Unmodified-Since", &t) && st->st_mtime > t)
		return 412;
	r = tag_list(c, "If-None-Match", etag, st != NULL, 1);
	if (r == 1)
		return safe ? 304 : 412;
	/* A date later than our clock cannot come from this server: such an
	 * If-Modified-Since is ignored (RFC 9110 13.1.3). */
	if (r < 0 && safe && st != NULL && date_field(c, "If-Modified-Since", &t) && t <= c->sv->now &&
	    st->st_mtime <= t)
		return 304;
	return 0;
}

/* If-Range: the range applies only while the validator still matches. */
static int if_range_ok(struct conn *c, const struct stat *st, const char *etag, const char *lm)
{
	const struct header_field *f = request_field(&c->req, "If-Range");

	if (f == NULL)
		return 1;
	if (f->value.len && f->value.p[0] == '"')
		return f->value.len == strlen(etag) && memcmp(f->value.p, etag, f->value.len) == 0;
	(void)st;
	return f->value.len == strlen(lm) && memcmp(f->value.p, lm, f->value.len) == 0;
}

static void autoindex(struct conn *c)
{
	DIR *d = opendir(c->fspath);
	struct dir_entry *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	struct obuf body = { 0 };
	int status = 500;
	size_t budget = 4096 + 12 * strlen(c->path), more = 0, scanned = 0;

	if (d == NULL) {
		http_error(c, errno_status(errno));
		return;
	}
	while ((de = readdir(d)) != NULL && scanned++ < AUTOINDEX_SCAN_MAX) {
		struct stat st;
		size_t cost = AUTOINDEX_ENTRY_COST(strlen(de->d_name));

		if (de->d_name[0] == '.')
			continue; /* ".", ".." and hidden files */
		if (n >= AUTOINDEX_MAX_ENTRIES || budget + cost > AUTOINDEX_MAX_BYTES) {
			more++;
			continue;
		}
		if (fstatat(dirfd(d), de->d_name, &st, c->loc->disable_symlinks ? AT_SYMLINK_NOFOLLOW : 0) < 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct dir_entry *nv = realloc(v, ncap * sizeof(*v));

			if (nv == NULL)
				goto out;
			v = nv;
			cap = ncap;
		}
		v[n].name = strdup(de->d_name);
		if (v[n].name == NULL)
			goto out;
		v[n].is_dir = S_ISDIR(st.st_mode);
		v[n].size = (uint64_t)st.st_size;
		v[n].mtime = st.st_mtime;
		budget += cost;
		n++;
	}
	response_sort_entries(v, n);
	body.cap = budget + 256;
	body.p = malloc(body.cap);
	if (body.p == NULL)
		goto out;
	response_autoindex(&body, c->path, v, n, more, de != NULL);
	if (body.overflow)
		goto out;
	/* Grow the output buffer for this response; http_reset shrinks it. */
	if (c->out.cap < body.len + 4096) {
		char *p = realloc(c->out.p, body.len + 4096);

		if (p == NULL)
			goto out;
		c->out.p = p;
		c->out.cap = body.len + 4096;
	}
	http_begin(c, 200);
	if (c->state == CONN_CLOSE)
		goto out_nostatus;
	http_end_head(c, "text/html", (int64_t)body.len);
	if (!c->head_only)
		obuf_add(&c->out, body.p, body.len);
	status = 0;
out:
	if (status)
		http_error(c, status);
out_nostatus:
	for (size_t i = 0; i < n; i++)
		free((void *)v[i].name);
	free(v);
	free(body.p);
	closedir(d);
}

/* Serves a directory URI: slash redirect, index files, autoindex. */
static void directory(struct conn *c, int orig)
{
	size_t plen = strlen(c->path), flen = strlen(c->fspath);
	const struct loc_conf *lc = c->loc;
	struct stat st;

	if (orig != 200) {
		fail(c, 404, orig);
		return;
	}
	if (plen == 0 || c->path[plen - 1] != '/') {
		char loc[PATH_BUF * 3 + 2];
		size_t n = uri_encode_path(c->path, plen, loc, sizeof(loc) - 2);

		if (n == (size_t)-1) {
			http_error(c, 414);
			return;
		}
		loc[n++] = '/';
		loc[n] = '\0';
		if (c->query[0] && n + 1 + strlen(c->query) < sizeof(loc)) {
			loc[n++] = '?';
			strcpy(loc + n, c->query);
		}
		http_redirect(c, 301, loc);
		return;
	}
	for (size_t i = 0; i < lc->nindex; i++) {
		size_t il = strlen(lc->index[i]);

		if (flen + il + 2 > sizeof(c->fspath) || plen + il + 1 > sizeof(c->path))
			continue;
		snprintf(c->fspath + flen, sizeof(c->fspath) - flen, "%s%s",
			 c->fspath[flen - 1] == '/' ? "" : "/", lc->index[i]);
		if (stat(c->fspath, &st) == 0 && S_ISREG(st.st_mode)) {
			/* An internal redirect to the index file (it may be a script). */
			memcpy(c->path + plen, lc->index[i], il + 1);
			http_dispatch(c);
			return;
		}
		c->fspath[flen] = '\0';
	}
	if (lc->autoindex) {
		autoindex(c);
		return;
	}
	http_error(c, 403);
}

void file_serve(struct conn *c, int orig)
{
	struct stat st;
	char etag[64], lm[32];
	const char *ctype;
	int fd, status = orig, r;
	uint64_t first = 0, last = 0;
	off_t size;

	if (stored_dot_file(c)) {
		fail(c, 404, orig);
		return;
	}
	if ((r = symlinks_ok(c)) != 0) {
		fail(c, r, orig);
		return;
	}
	if (stat(c->fspath, &st) < 0) {
		fail(c, errno_status(errno), orig);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		directory(c, orig);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		fail(c, 403, orig);
		return;
	}
	fd = open(c->fspath, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		fail(c, errno_status(errno), orig);
		return;
	}
	size = st.st_size;
	make_etag(&st, etag, sizeof(etag));
	response_date(st.st_mtime, lm);
	ctype = config_mime(c->srv->types, c->path);

	if (orig == 200) {
		const struct header_field *rf = request_field(&c->req, "Range");

		int pre = file_preconditions(c, &st);

		if (pre == 412) {
			close(fd);
			http_error(c, 412);
			return;
		}
		if (pre == 304) {
			close(fd);
			http_begin(c, 304);
			if (c->state == CONN_CLOSE)
				return;
			obuf_printf(&c->out, "ETag: %s\r\nLast-Modified: %s\r\n", etag, lm);
			http_end_head(c, NULL, -1);
			return;
		}
		if (rf != NULL && c->req.method_id == METHOD_GET && if_range_ok(c, &st, etag, lm)) {
			r = range_parse(rf->value, (uint64_t)size, &first, &last);
			if (r < 0) {
				char cr[48];

				close(fd);
				snprintf(cr, sizeof(cr), "bytes */%llu", (unsigned long long)size);
				http_page(c, 416, "Content-Range", cr);
				return;
			}
			if (r == 1)
				status = 206;
		}
	}
	if (status != 206) {
		first = 0;
		last = size ? (uint64_t)size - 1 : 0;
	}

	http_begin(c, status);
	if (c->state == CONN_CLOSE) {
		close(fd);
		return;
	}
	if (orig == 200)
		obuf_printf(&c->out, "Last-Modified: %s\r\nETag: %s\r\nAccept-Ranges: bytes\r\n", lm, etag);
	stored_headers(c, ctype);
	if (status == 206)
		obuf_printf(&c->out, "Content-Range: bytes %llu-%llu/%llu\r\n", (unsigned long long)first,
			    (unsigned long long)last, (unsigned long long)size);
	if (status == 405 && c->allow[0])
		obuf_printf(&c->out, "Allow: %s\r\n", c->allow);
	{
		uint64_t len = size ? last - first + 1 : 0;

		http_end_head(c, ctype, (int64_t)len);
		if (c->head_only || len == 0) {
			close(fd);
			return;
		}
		/* Small bodies ride in the same write as the head. */
		if (len <= c->out.cap - c->out.len) {
			ssize_t n = pread(fd, c->out.p + c->out.len, (size_t)len, (off_t)first);

			close(fd);
			if (n != (ssize_t)len) {
				conn_close(c);
				return;
			}
			c->out.len += (size_t)len;
			return;
		}
		c->file_fd = fd;
		c->file_off = (off_t)first;
		c->file_end = (off_t)(last + 1);
	}
}

/* DELETE resolves the path below its configured directory without
 * following any symbolic link: a linked directory cannot lead outside;
 * a symbolic link itself is removed, never what it points to. */
void file_delete(struct conn *c)
{
	struct stat st;
	const char *leaf;
	int pre, dfd;

	if (stored_dot_file(c)) {
		http_error(c, 404);
		return;
	}
	dfd = open_parent(c, &leaf);
	if (dfd < 0) {
		http_error(c, errno == ELOOP || errno == EXDEV ? 404 : errno_status(errno));
		return;
	}
	if (*leaf == '\0' || fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		http_error(c, *leaf ? errno_status(errno) : 409);
		close(dfd);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		close(dfd);
		http_error(c, 409);
		return;
	}
	if ((pre = file_preconditions(c, &st)) != 0) {
		close(dfd);
		http_error(c, 412);
		return;
	}
	if (unlinkat(dfd, leaf, 0) < 0) {
		close(dfd);
		http_error(c, errno_status(errno));
		return;
	}
	close(dfd);
	http_begin(c, 204);
	if (c->state == CONN_CLOSE)
		return;
	http_end_head(c, NULL, -1);
}
