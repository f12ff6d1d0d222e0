/* Static files: GET/HEAD with validators, conditional and range
 * requests, directory index and autoindex, the configured error pages;
 * DELETE; and the file body source (sendfile).  Paths below a
 * configured directory are checked for symbolic links where asked. */
#include "file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>
#include "beneath.h"
#include "cond.h"
#include "conn.h"
#include "fcache.h"
#include "range.h"
#include "reply.h"
#include "route.h"
#include "server.h"
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
#define AUTOINDEX_HEAD_ROOM 4096   /* the page's fixed part, and the response head */
#define SENDFILE_MAX (1 << 20)     /* bytes one sendfile() call may move */

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

/* The file body source: [off, end) of c->file.fd, sent by sendfile(). */
static enum source_result file_pull(struct conn *c)
{
	off_t left = c->file.end - c->file.off;
	size_t chunk = left > SENDFILE_MAX ? SENDFILE_MAX : (size_t)left;
	ssize_t n;

	if (left == 0)
		return SOURCE_END;
	if (!c->can_write)
		return SOURCE_BLOCKED;
	n = sendfile(c->fd, c->file.fd, &c->file.off, chunk);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return SOURCE_FAIL;
		if (errno != EINTR)
			loop_unready(c->sv->lp, c->fd, POLLOUT);
		return SOURCE_BLOCKED;
	}
	if (n == 0) /* the file shrank under us: framing is broken */
		return SOURCE_FAIL;
	if ((size_t)n < chunk) /* the socket is full */
		loop_unready(c->sv->lp, c->fd, POLLOUT);
	c->sent += (uint64_t)n;
	if (c->file.off < c->file.end)
		c->can_write = 0; /* one sendfile() per readiness report */
	return SOURCE_MORE;
}

static void file_free(struct conn *c)
{
	if (c->file.ce != NULL)
		fcache_release(c->file.ce); /* the cache owns the descriptor */
	else
		close(c->file.fd);
	c->file.ce = NULL;
	c->file.fd = -1;
}

static const struct body_source file_source = { file_pull, file_free };

/* Queues bytes [first, first+len) of the file e after the head: from
 * its cached copy or read into c->out when they fit (one write with the
 * head), else as the file source.  An entry not in the cache (owned) has
 * its descriptor closed here or handed to the source. */
static int file_body(struct conn *c, struct fcache_entry *e, int owned, uint64_t first,
		     uint64_t len)
{
	int r = HANDLER_DONE;

	if (c->head_only || len == 0) {
		/* nothing to send */
	} else if (len <= c->out.cap - c->out.len && e->body != NULL) {
		memcpy(c->out.p + c->out.len, e->body + first, (size_t)len);
		c->out.len += (size_t)len;
	} else if (len <= c->out.cap - c->out.len) {
		ssize_t n = pread(e->fd, c->out.p + c->out.len, (size_t)len, (off_t)first);

		if (n != (ssize_t)len)
			r = HANDLER_CLOSE;
		else
			c->out.len += (size_t)len;
	} else if (e->fd >= 0) {
		c->file.fd = e->fd;
		c->file.ce = owned ? NULL : e;
		if (!owned)
			fcache_hold(e);
		c->file.off = (off_t)first;
		c->file.end = (off_t)(first + len);
		c->src = &file_source;
		return HANDLER_DONE;
	} else {
		r = HANDLER_CLOSE; /* a copy larger than the buffer: not made */
	}
	if (owned)
		close(e->fd);
	return r;
}

/* Collects the entries of directory d for an autoindex page, within the
 * page's budget.  Returns 0 or -1 (no memory). */
static int read_entries(struct conn *c, DIR *d, struct dir_entry **vp, size_t *np, size_t *budget,
			size_t *more, int *truncated)
{
	struct dir_entry *v = NULL;
	size_t n = 0, cap = 0, scanned = 0;
	struct dirent *de;
	int oom = 0;

	while ((de = readdir(d)) != NULL && scanned++ < AUTOINDEX_SCAN_MAX) {
		struct stat st;
		size_t cost = AUTOINDEX_ENTRY_COST(strlen(de->d_name));

		if (de->d_name[0] == '.')
			continue; /* ".", ".." and hidden files */
		if (n >= AUTOINDEX_MAX_ENTRIES || *budget + cost > AUTOINDEX_MAX_BYTES) {
			(*more)++;
			continue;
		}
		if (fstatat(dirfd(d), de->d_name, &st, c->loc->disable_symlinks ? AT_SYMLINK_NOFOLLOW : 0) < 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct dir_entry *nv = realloc(v, ncap * sizeof(*v));

			if (nv == NULL) {
				oom = 1;
				break;
			}
			v = nv;
			cap = ncap;
		}
		v[n].name = strdup(de->d_name);
		if (v[n].name == NULL) {
			oom = 1;
			break;
		}
		v[n].is_dir = S_ISDIR(st.st_mode);
		v[n].size = (uint64_t)st.st_size;
		v[n].mtime = st.st_mtime;
		*budget += cost;
		n++;
	}
	*vp = v;
	*np = n;
	*truncated = de != NULL;
	return oom ? -1 : 0;
}

static int autoindex(struct conn *c)
{
	DIR *d = opendir(c->fspath);
	struct dir_entry *v = NULL;
	struct obuf body = { 0 };
	size_t n = 0, more = 0, budget = AUTOINDEX_HEAD_ROOM + 12 * strlen(c->path);
	int r = 500, truncated;

	if (d == NULL)
		return errno_status(errno);
	if (read_entries(c, d, &v, &n, &budget, &more, &truncated) < 0)
		goto out;
	response_sort_entries(v, n);
	body.cap = budget + 256;
	body.p = malloc(body.cap);
	if (body.p == NULL)
		goto out;
	response_autoindex(&body, c->path, v, n, more, truncated);
	if (body.overflow)
		goto out;
	/* The connection gives the grown buffer back after the response. */
	if (reply_reserve(c, body.len + AUTOINDEX_HEAD_ROOM) < 0)
		goto out;
	r = HANDLER_CLOSE;
	if (reply_begin(c, 200) < 0)
		goto out;
	reply_end_head(c, RESPONSE_HTML, (int64_t)body.len);
	reply_body(c, body.p, body.len);
	r = HANDLER_DONE;
out:
	for (size_t i = 0; i < n; i++)
		free((void *)v[i].name);
	free(v);
	free(body.p);
	closedir(d);
	return r;
}

/* A directory URI without its slash: 301 to the URI with it. */
static int slash_redirect(struct conn *c, size_t plen)
{
	char loc[PATH_BUF * 3 + 2];
	size_t n = uri_encode_path(c->path, plen, loc, sizeof(loc) - 2);

	if (n == (size_t)-1)
		return 414;
	loc[n++] = '/';
	loc[n] = '\0';
	if (c->query[0] && n + 1 + strlen(c->query) < sizeof(loc)) {
		loc[n++] = '?';
		strcpy(loc + n, c->query);
	}
	return reply_page(c, 301, "Location", loc) < 0 ? HANDLER_CLOSE : HANDLER_DONE;
}

/* Serves a directory URI: slash redirect, index files (an internal
 * redirect: the index may be a script), autoindex. */
static int directory(struct conn *c)
{
	size_t plen = strlen(c->path), flen = strlen(c->fspath);
	const struct loc_conf *lc = c->loc;
	struct stat st;

	if (plen == 0 || c->path[plen - 1] != '/')
		return slash_redirect(c, plen);
	for (size_t i = 0; i < lc->nindex; i++) {
		size_t il = strlen(lc->index[i]);

		if (flen + il + 2 > sizeof(c->fspath) || plen + il + 1 > sizeof(c->path))
			continue;
		snprintf(c->fspath + flen, sizeof(c->fspath) - flen, "%s%s",
			 c->fspath[flen - 1] == '/' ? "" : "/", lc->index[i]);
		if (stat(c->fspath, &st) == 0 && S_ISREG(st.st_mode)) {
			memcpy(c->path + plen, lc->index[i], il + 1);
			return HANDLER_AGAIN;
		}
		c->fspath[flen] = '\0';
	}
	return lc->autoindex ? autoindex(c) : 403;
}

/* 304: the validators, no body. */
static int not_modified(struct conn *c, const char *etag, const char *lm)
{
	if (reply_begin(c, 304) < 0)
		return HANDLER_CLOSE;
	obuf_printf(&c->out, "ETag: %s\r\nLast-Modified: %s\r\n", etag, lm);
	reply_end_head(c, NULL, -1);
	return HANDLER_DONE;
}

/* Preconditions and Range for a GET/HEAD of a file of size bytes.
 * Returns 200 or 206 (with *first, *last set), or the status that
 * answers instead: 304, 412, 416. */
static int conditions(struct conn *c, const struct fcache_entry *e, uint64_t *first,
		      uint64_t *last)
{
	const struct header_field *rf = request_field(&c->req, "Range");
	const char *etag = e->etag, *lm = e->lm;
	struct cond_res res = { 1, e->mtime, etag };
	int pre = cond_check(&c->req, &res, c->sv->now), r;

	if (pre != 0)
		return pre;
	if (rf == NULL || c->req.method_id != METHOD_GET || !cond_if_range(&c->req, etag, lm))
		return 200;
	r = range_parse(rf->value, e->size, first, last);
	if (r < 0)
		return 416;
	return r == 1 ? 206 : 200;
}

/* Answers with the regular file e as the body of status orig (200, or
 * an error page's status).  owned: e is the request's own (not cached),
 * its descriptor is taken over. */
static int send_file(struct conn *c, struct fcache_entry *e, int owned, int orig)
{
	char cr[48], tb[256];
	const char *ctype = response_content_type(config_mime(c->srv->types, c->path),
						  c->loc->charset, tb, sizeof(tb));
	uint64_t size = e->size, first = 0, last = 0;
	int status = orig;

	if (orig == 200)
		status = conditions(c, e, &first, &last);
	if (orig == 200 && status != 200 && status != 206) {
		if (owned)
			close(e->fd);
		if (status == 304)
			return not_modified(c, e->etag, e->lm);
		if (status != 416)
			return status;
		snprintf(cr, sizeof(cr), "bytes */%llu", (unsigned long long)size);
		return reply_page(c, 416, "Content-Range", cr) < 0 ? HANDLER_CLOSE : HANDLER_DONE;
	}
	if (status != 206) {
		first = 0;
		last = size ? size - 1 : 0;
	}
	if (reply_begin(c, status) < 0) {
		if (owned)
			close(e->fd);
		return HANDLER_CLOSE;
	}
	if (orig == 200)
		obuf_printf(&c->out, "Last-Modified: %s\r\nETag: %s\r\nAccept-Ranges: bytes\r\n", e->lm,
			    e->etag);
	stored_headers(c, ctype);
	if (status == 206)
		obuf_printf(&c->out, "Content-Range: bytes %llu-%llu/%llu\r\n", (unsigned long long)first,
			    (unsigned long long)last, (unsigned long long)size);
	if (status == 405 && c->allow[0])
		obuf_printf(&c->out, "Allow: %s\r\n", c->allow);
	size = size ? last - first + 1 : 0; /* now the body's length */
	reply_end_head(c, ctype, (int64_t)size);
	return file_body(c, e, owned, first, size);
}

/* The open-file cache in force, made on first use (in each process)
 * from the configuration; server_set_config drops it. */
static struct fcache *file_cache(struct server *sv)
{
	if (sv->fc == NULL && sv->cf->fcache_max && sv->cf->fcache_valid_ms)
		sv->fc = fcache_new(sv->cf->fcache_max, sv->cf->fcache_valid_ms);
	return sv->fc;
}

/* The part of the cache key that stands for the symbolic-link rule the
 * open ran under: 0 when links are followed, else 1 + the length of the
 * configured directory below which none may be met. */
static unsigned link_policy(const struct conn *c)
{
	const char *rel = NULL;

	if (!c->loc->disable_symlinks)
		return 0;
	doc_base(c, &rel);
	return 1 + (unsigned)(rel != NULL ? (size_t)(rel - c->fspath) : strlen(c->fspath));
}

/* After a permitted open of the regular file fd: the cache entry for it
 * (with a copy of a small file), or *tmp filled in when it is not cached
 * (*owned set: the request owns fd). */
static struct fcache_entry *remember(struct conn *c, struct fcache *fc, unsigned policy, int fd,
				     const struct stat *st, struct fcache_entry *tmp, int *owned)
{
	uint64_t size = (uint64_t)st->st_size;
	struct fcache_entry *e;
	char *body = NULL;

	*owned = 0;
	if (fcache_wants_body(fc, size) && (body = malloc(size ? (size_t)size : 1)) != NULL) {
		ssize_t n = size ? pread(fd, body, (size_t)size, 0) : 0;

		if (n != (ssize_t)size) { /* changing under us: not cached */
			free(body);
			fc = NULL;
			body = NULL;
		}
	}
	e = fc != NULL ? fcache_put(fc, c->fspath, policy, fd, size, st->st_mtime, body, c->sv->now_ms)
		       : NULL;
	if (e != NULL)
		return e;
	free(body);
	memset(tmp, 0, sizeof(*tmp));
	tmp->fd = fd;
	tmp->size = size;
	tmp->mtime = st->st_mtime;
	cond_etag(st->st_mtime, size, tmp->etag, sizeof(tmp->etag));
	response_date(st->st_mtime, tmp->lm);
	*owned = 1;
	return tmp;
}

/* c->fspath as the body of status orig.  A directory is served only for
 * a plain GET/HEAD (orig 200).  The rules on what may be read (stored
 * dot files, symbolic links) run before the cache is asked or filled:
 * an entry is the result of a permitted open under the same rule. */
static int serve(struct conn *c, int orig)
{
	struct fcache_entry *e, tmp;
	struct fcache *fc;
	struct stat st;
	unsigned policy;
	int fd, r, owned;

	if (stored_dot_file(c))
		return 404;
	fc = file_cache(c->sv);
	policy = link_policy(c);
	if ((e = fcache_get(fc, c->fspath, policy, c->sv->now_ms)) != NULL)
		return e->status ? e->status : send_file(c, e, 0, orig);
	if ((r = symlinks_ok(c)) != 0)
		return r;
	if (stat(c->fspath, &st) < 0) {
		/* Nothing there: remembered as long as a file would be. */
		if (errno == ENOENT || errno == ENOTDIR)
			fcache_put_status(fc, c->fspath, policy, 404, c->sv->now_ms);
		return errno_status(errno);
	}
	if (S_ISDIR(st.st_mode))
		return orig == 200 ? directory(c) : 404;
	if (!S_ISREG(st.st_mode))
		return 403;
	fd = open(c->fspath, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno_status(errno);
	e = remember(c, fc, policy, fd, &st, &tmp, &owned);
	return send_file(c, e, owned, orig);
}

int file_serve(struct conn *c)
{
	return serve(c, 200);
}

int file_error_page(struct conn *c, int status)
{
	return serve(c, status);
}

/* DELETE resolves the path below its configured directory without
 * following any symbolic link: a linked directory cannot lead outside;
 * a symbolic link itself is removed, never what it points to. */
int file_delete(struct conn *c)
{
	struct stat st;
	const char *leaf;
	int dfd, st_code = 0;

	if (stored_dot_file(c))
		return 404;
	dfd = open_parent(c, &leaf);
	if (dfd < 0)
		return errno == ELOOP || errno == EXDEV ? 404 : errno_status(errno);
	if (*leaf == '\0' || fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		st_code = *leaf ? errno_status(errno) : 409;
	else if (S_ISDIR(st.st_mode))
		st_code = 409;
	else if (cond_check_stat(&c->req, &st, c->sv->now) != 0)
		st_code = 412;
	else if (unlinkat(dfd, leaf, 0) < 0)
		st_code = errno_status(errno);
	close(dfd);
	fcache_forget(c->sv->fc, c->fspath);
	if (st_code != 0)
		return st_code;
	if (reply_begin(c, 204) < 0)
		return HANDLER_CLOSE;
	reply_end_head(c, NULL, -1);
	return HANDLER_DONE;
}
