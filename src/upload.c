/* Uploads: POST (multipart/form-data or a raw body) and PUT into an
 * upload_store, streamed to unnamed temporary files (O_TMPFILE) in the
 * store and linked into place when complete, so that a crash leaves
 * nothing behind.  Where the file system refuses O_TMPFILE a named
 * `.upload-XXXXXX` file is used instead (removed at start-up by
 * upload_sweep).  A failed exchange removes every file it created.
 * Paths below the store are resolved without following symbolic links. */
#include "upload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include "beneath.h"
#include "cond.h"
#include "conn.h"
#include "log.h"
#include "multipart.h"
#include "reply.h"
#include "server.h"
#include "upname.h"
#include "uri.h"

#define UPLOAD_NAME_MAX 255
#define UPLOAD_FIELD_MAX 1024   /* bytes of a text field kept for the reply */
#define UPLOAD_LIST_MAX 16384   /* bytes of the reply listing */
#define REPLY_TAIL 256          /* room kept for the end of the reply page */

enum upload_mode { UP_RAW, UP_PUT, UP_MULTIPART };

struct upload {
	enum upload_mode mode;
	int fd;                     /* temporary file being written, -1 if none */
	char tmp[PATH_BUF];         /* its path when named, "" when unnamed or none */
	int dirfd;                  /* the store directory, -1 until opened */
	int put_dirfd;              /* PUT: the target's directory, -1 if none */
	const char *put_leaf;       /* PUT: the target's last segment (in target) */
	struct upname_memo memo;    /* next free suffix per wanted name */
	uint64_t nfiles;            /* file parts begun */
	size_t more_files;          /* records left out of the listing */
	size_t more_fields;
	uint64_t size;              /* bytes in the current file */
	char name[UPLOAD_NAME_MAX + 1]; /* wanted file name (raw, multipart part) */
	char target[PATH_BUF];      /* PUT: final path */
	char **stored;              /* final paths created by this request */
	size_t nstored;
	char *list;                 /* reply listing (JSON-ish records) */
	size_t list_len;
	char first[UPLOAD_NAME_MAX + 1]; /* first stored file name */
	int in_file;                /* current multipart part is a file */
	int skip;                   /* current part is an empty file input: dropped */
	char field[UPLOAD_FIELD_MAX + 1];
	size_t field_len;
	char field_name[256];
	int err;                    /* status set by a multipart callback */
	int done;                   /* committed: nothing to roll back */
	struct multipart mp;
};

/* Status for a failed file-system call on a client-named file. */
static int errno_status(int e)
{
	switch (e) {
	case ENOSPC:
	case EDQUOT:
		return 507;
	case EACCES:
	case EPERM:
		return 403;
	case ENAMETOOLONG:
		return 414;
	case EISDIR:
	case ENOTDIR:
	case ENOENT:
		return 409;
	default:
		return 500;
	}
}

/* Creates a temporary file in the store: unnamed when the file system
 * allows it.  Returns 0 or an HTTP status. */
static int open_tmp(struct conn *c, struct upload *u)
{
	int n;

	if (u->dirfd < 0) {
		u->dirfd = open(c->loc->upload_store, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (u->dirfd < 0) {
			log_error("upload: %s: %s", c->loc->upload_store, strerror(errno));
			return 500;
		}
	}
	u->size = 0;
	u->tmp[0] = '\0';
	u->fd = openat(u->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (u->fd >= 0) {
		fchmod(u->fd, 0644);
		return 0;
	}
	if (errno == ENOSPC || errno == EDQUOT)
		return 507;
	n = snprintf(u->tmp, sizeof(u->tmp), "%s/.upload-XXXXXX", c->loc->upload_store);
	if (n < 0 || (size_t)n >= sizeof(u->tmp))
		return 500;
	u->fd = mkostemp(u->tmp, O_CLOEXEC);
	if (u->fd < 0) {
		log_error("upload: cannot create a file in %s: %s", c->loc->upload_store, strerror(errno));
		u->tmp[0] = '\0';
		return errno == ENOSPC || errno == EDQUOT ? 507 : 500;
	}
	fchmod(u->fd, 0644);
	u->size = 0;
	return 0;
}

/* Closes the temporary file and removes its name, if it has one (once
 * linked into place, the new name stays). */
static void drop_tmp(struct upload *u)
{
	if (u->fd >= 0) {
		close(u->fd);
		u->fd = -1;
	}
	if (u->tmp[0]) {
		unlink(u->tmp);
		u->tmp[0] = '\0';
	}
}

/* Gives the temporary file the name leaf in directory dfd, failing with
 * EEXIST when that name is taken.  Returns 0 or -1 with errno. */
static int link_tmp(struct upload *u, int dfd, const char *leaf)
{
	char proc[64];

	if (u->tmp[0])
		return linkat(AT_FDCWD, u->tmp, dfd, leaf, 0);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", u->fd);
	if (linkat(AT_FDCWD, proc, dfd, leaf, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	/* No /proc: AT_EMPTY_PATH (needs CAP_DAC_READ_SEARCH). */
	return linkat(u->fd, "", dfd, leaf, AT_EMPTY_PATH);
}

static int write_all(struct upload *u, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(u->fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == ENOSPC || errno == EDQUOT ? 507 : 500;
		}
		p += w;
		n -= (size_t)w;
		u->size += (uint64_t)w;
	}
	return 0;
}

static int remember(struct upload *u, const char *path)
{
	char **v = realloc(u->stored, (u->nstored + 1) * sizeof(*v));

	if (v == NULL)
		return 500;
	u->stored = v;
	v[u->nstored] = strdup(path);
	if (v[u->nstored] == NULL)
		return 500;
	u->nstored++;
	return 0;
}

/* Appends one record to the reply listing. */
static void list_add(struct upload *u, const char *kind, const char *name, uint64_t size)
{
	char rec[UPLOAD_NAME_MAX * 6 + 64];
	size_t n = 0;
	char *p;

	n += (size_t)snprintf(rec, sizeof(rec), "%s\t", kind);
	for (const char *s = name; *s && n + 8 < sizeof(rec); s++)
		rec[n++] = *s == '\t' || *s == '\n' ? ' ' : *s;
	n += (size_t)snprintf(rec + n, sizeof(rec) - n, "\t%llu\n", (unsigned long long)size);
	if (u->list_len + n > UPLOAD_LIST_MAX || (p = realloc(u->list, u->list_len + n + 1)) == NULL) {
		/* The reply says how many more were stored. */
		if (strcmp(kind, "file") == 0)
			u->more_files++;
		else
			u->more_fields++;
		return;
	}
	u->list = p;
	memcpy(u->list + u->list_len, rec, n);
	u->list_len += n;
	u->list[u->list_len] = '\0';
}

/* Links the finished temporary file as DIR/name without replacing an
 * existing file: name, then name-1.ext, name-2.ext, ...  link() fails
 * with EEXIST atomically, so concurrent uploads never overwrite each
 * other.  The next suffix to try is remembered per name for the rest of
 * the request: many parts with one name cost one link() each.  Returns
 * 0 or an HTTP status. */
static int commit_unique(struct conn *c, struct upload *u, const char *name)
{
	const char *store = c->loc->upload_store;
	unsigned *next = upname_next(&u->memo, name);
	char leaf[UPNAME_MAX + 1], path[PATH_BUF];
	int st, linked = 0;

	if (next == NULL)
		return 500;
	for (int tries = 0; tries < 10000 && !linked; tries++) {
		if (upname_candidate(name, *next, leaf, sizeof(leaf)) < 0)
			return 409;
		if (link_tmp(u, u->dirfd, leaf) == 0)
			linked = 1;
		else if (errno != EEXIST)
			return errno_status(errno);
		(*next)++;
	}
	if (!linked)
		return 409;
	if (snprintf(path, sizeof(path), "%s/%s", store, leaf) >= (int)sizeof(path)) {
		unlinkat(u->dirfd, leaf, 0);
		return 414;
	}
	drop_tmp(u);
	if ((st = remember(u, path)) != 0) {
		unlink(path);
		return st;
	}
	if (u->first[0] == '\0')
		snprintf(u->first, sizeof(u->first), "%s", leaf);
	list_add(u, "file", leaf, u->size);
	return 0;
}

/* PUT: moves the finished temporary file over the target (atomically:
 * a reader sees the old file or the new one).  An unnamed file is first
 * linked under a fresh hidden name beside the target, then renamed.
 * Returns 0 or an HTTP status. */
static int put_commit(struct upload *u)
{
	char hidden[64];
	int r;

	if (u->tmp[0]) {
		const char *slash = strrchr(u->tmp, '/');

		r = renameat(u->dirfd, slash + 1, u->put_dirfd, u->put_leaf);
		if (r < 0)
			return errno_status(errno);
		u->tmp[0] = '\0';
		drop_tmp(u);
		return 0;
	}
	for (unsigned i = 0;; i++) {
		snprintf(hidden, sizeof(hidden), ".upload-%ld-%u-%u", (long)getpid(), (unsigned)u->fd, i);
		if (link_tmp(u, u->put_dirfd, hidden) == 0)
			break;
		if (errno != EEXIST || i >= 100)
			return errno_status(errno);
	}
	if (renameat(u->put_dirfd, hidden, u->put_dirfd, u->put_leaf) < 0) {
		r = errno;
		unlinkat(u->put_dirfd, hidden, 0);
		return errno_status(r);
	}
	drop_tmp(u);
	return 0;
}

static int mp_begin(void *ctx, const struct multipart_part *part)
{
	struct conn *c = ctx;
	struct upload *u = c->up;
	int st;

	u->in_file = part->has_filename;
	/* filename="" with no data is what a browser sends for a file input
	 * left empty: no file, not an error; the part is skipped (data in
	 * it would be a file without a name: 400). */
	u->skip = u->in_file && part->filename[0] == '\0';
	if (u->skip)
		return 0;
	if (!u->in_file) {
		snprintf(u->field_name, sizeof(u->field_name), "%s", part->name);
		u->field_len = 0;
		return 0;
	}
	/* upload_max_files: the number of file parts one request may hold. */
	if (++u->nfiles > c->loc->upload_max_files) {
		u->err = 413;
		return -1;
	}
	if ((st = upname_clean(part->filename, u->name)) != 0 || (st = open_tmp(c, u)) != 0) {
		u->err = st;
		return -1;
	}
	return 0;
}

static int mp_data(void *ctx, const char *data, size_t len)
{
	struct conn *c = ctx;
	struct upload *u = c->up;
	int st;

	if (u->skip) {
		if (len == 0)
			return 0;
		u->err = 400;
		return -1;
	}
	if (!u->in_file) {
		size_t room = UPLOAD_FIELD_MAX - u->field_len;

		if (len > room)
			len = room;
		memcpy(u->field + u->field_len, data, len);
		u->field_len += len;
		return 0;
	}
	if ((st = write_all(u, data, len)) != 0) {
		u->err = st;
		return -1;
	}
	return 0;
}

static int mp_end(void *ctx)
{
	struct conn *c = ctx;
	struct upload *u = c->up;
	int st;

	if (u->skip)
		return 0;
	if (!u->in_file) {
		list_add(u, "field", u->field_name, u->field_len);
		return 0;
	}
	if ((st = commit_unique(c, u, u->name)) != 0) {
		u->err = st;
		return -1;
	}
	return 0;
}

static int sink_data(struct conn *c, const char *p, size_t n)
{
	struct upload *u = c->up;
	struct multipart_cb cb = { mp_begin, mp_data, mp_end, c };

	if (u->mode != UP_MULTIPART)
		return write_all(u, p, n);
	if (multipart_feed(&u->mp, p, n, &cb) < 0)
		return u->err ? u->err : 400;
	return 0;
}

static void sink_abort(struct conn *c)
{
	upload_free(c);
}

static int json_wanted(struct conn *c)
{
	const struct header_field *f = request_field(&c->req, "Accept");

	if (f == NULL)
		return 0;
	for (size_t i = 0; i + 16 <= f->value.len; i++)
		if (strncasecmp(f->value.p + i, "application/json", 16) == 0)
			return 1;
	return 0;
}

static void json_str(struct obuf *ob, const char *s, size_t n)
{
	obuf_str(ob, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			obuf_printf(ob, "\\%c", ch);
		else if (ch < 0x20)
			obuf_printf(ob, "\\u%04x", ch);
		else
			obuf_add(ob, s + i, 1);
	}
	obuf_str(ob, "\"");
}

/* Appends the listing's records of one kind ("file" or "field") to b
 * as JSON or HTML items; in HTML a file links to base (the store's URL,
 * percent-encoded, ending in '/') joined with its name.  Returns how
 * many were left out (more, plus those that did not fit). */
static size_t list_records(struct obuf *b, const struct upload *u, const char *want, int json,
			   size_t more, const char *base)
{
	char enc[UPLOAD_NAME_MAX * 3 + 1];
	size_t wl = strlen(want), tail = REPLY_TAIL + 2 * strlen(base);
	int cnt = 0;

	for (const char *s = u->list ? u->list : ""; *s;) {
		const char *t1 = strchr(s, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		const char *nl = t2 ? strchr(t2, '\n') : NULL;
		size_t nlen = t2 ? (size_t)(t2 - t1 - 1) : 0;
		int link = t2 != NULL && !json && strcmp(want, "file") == 0 && nlen <= UPLOAD_NAME_MAX &&
			   uri_encode_path(t1 + 1, nlen, enc, sizeof(enc)) != (size_t)-1;

		if (nl == NULL)
			break;
		if ((size_t)(t1 - s) != wl || strncmp(s, want, wl) != 0) {
			/* another kind */
		} else if (b->len + 9 * (size_t)(nl - s) + (link ? strlen(base) + 16 : 0) + tail > b->cap) {
			/* Room for this record escaped at worst (and its link),
			 * and for the end of the page: else it is only counted. */
			more++;
		} else if (json) {
			obuf_str(b, cnt++ ? ",{\"name\":" : "{\"name\":");
			json_str(b, t1 + 1, nlen);
			obuf_printf(b, ",\"size\":%.*s}", (int)(nl - t2 - 1), t2 + 1);
		} else {
			if (link)
				obuf_printf(b, "<li><a href=\"%s%s\">", base, enc);
			else
				obuf_str(b, "<li>");
			obuf_html(b, t1 + 1, nlen);
			obuf_printf(b, "%s (%.*s bytes)</li>\n", link ? "</a>" : "", (int)(nl - t2 - 1),
				    t2 + 1);
		}
		s = nl + 1;
	}
	if (more && !json)
		obuf_printf(b, "<li>and %zu more %s%s</li>\n", more, want, more == 1 ? "" : "s");
	return more;
}

/* The reply body: what was stored, as JSON or a small HTML page that
 * links to each stored file and back to the store.  The page styles
 * itself (a few inline rules): it is the same on every site. */
static void listing(struct obuf *b, const struct upload *u, int json, const char *base)
{
	size_t more_files, more_fields;

	if (json)
		obuf_str(b, "{\"files\":[");
	else
		obuf_str(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			    "<title>Uploaded</title>\n<style>body { font-family: system-ui, sans-serif; "
			    "max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }</style>\n"
			    "</head>\n<body>\n<h1>Stored</h1>\n<ul id=\"stored\">\n");
	more_files = list_records(b, u, "file", json, u->more_files, base);
	obuf_str(b, json ? "],\"fields\":[" : "</ul>\n<h2>Fields</h2>\n<ul id=\"fields\">\n");
	more_fields = list_records(b, u, "field", json, u->more_fields, base);
	if (json && (more_files || more_fields))
		obuf_printf(b, "],\"more_files\":%zu,\"more_fields\":%zu}\n", more_files, more_fields);
	else if (json)
		obuf_str(b, "]}\n");
	else
		obuf_printf(b, "</ul>\n<p><a href=\"%s\">Back to %s</a> &middot; <a href=\"/\">Home</a></p>\n"
			       "</body>\n</html>\n", base, base);
}

/* Builds the 201 (or 200 without files) reply from the listing. */
static int reply(struct conn *c, struct upload *u)
{
	char body[UPLOAD_LIST_MAX * 2 + 1024], loc[PATH_BUF * 3 + UPLOAD_NAME_MAX * 3 + 2];
	char base[PATH_BUF * 3 + 2];
	struct obuf b = { .p = body, .cap = sizeof(body) };
	int json = json_wanted(c);
	/* The store's URL: the location's path, which serves the store via
	 * alias.  Every file lands at the top of the store, whatever the
	 * request path below it was. */
	size_t n = uri_encode_path(c->loc->prefix, strlen(c->loc->prefix), base, sizeof(base) - 1);

	if (n == (size_t)-1)
		n = 0;
	if (n == 0 || base[n - 1] != '/')
		base[n++] = '/';
	base[n] = '\0';
	listing(&b, u, json, base);
	if (reply_begin(c, u->first[0] ? 201 : 200) < 0)
		return HANDLER_CLOSE;
	/* Location: the store's URL joined with the first stored name. */
	if (u->first[0]) {
		memcpy(loc, base, n + 1);
		if (uri_encode_path(u->first, strlen(u->first), loc + n, sizeof(loc) - n) != (size_t)-1)
			obuf_printf(&c->out, "Location: %s\r\n", loc);
	}
	reply_end_head(c, json ? "application/json" : RESPONSE_HTML, (int64_t)b.len);
	reply_body(c, b.p, b.len);
	return HANDLER_DONE;
}

/* PUT: the file is in place; 201 with Location when new, else 204. */
static int put_reply(struct conn *c, int existed)
{
	char loc[PATH_BUF * 3];

	if (reply_begin(c, existed ? 204 : 201) < 0)
		return HANDLER_CLOSE;
	if (!existed && uri_encode_path(c->path, strlen(c->path), loc, sizeof(loc)) != (size_t)-1)
		obuf_printf(&c->out, "Location: %s\r\n", loc);
	reply_end_head(c, existed ? NULL : "text/plain", existed ? -1 : 0);
	return HANDLER_DONE;
}

static int put_end(struct conn *c, struct upload *u)
{
	struct stat sb;
	int existed = fstatat(u->put_dirfd, u->put_leaf, &sb, AT_SYMLINK_NOFOLLOW) == 0;
	int st;

	if (existed && S_ISDIR(sb.st_mode))
		return 409;
	if ((st = put_commit(u)) != 0)
		return st;
	u->done = 1;
	upload_free(c);
	return put_reply(c, existed);
}

static int sink_end(struct conn *c)
{
	struct upload *u = c->up;
	int st = 0;

	switch (u->mode) {
	case UP_MULTIPART:
		if (multipart_finish(&u->mp) < 0)
			st = 400;
		break;
	case UP_RAW:
		st = commit_unique(c, u, u->name);
		break;
	case UP_PUT:
		return put_end(c, u);
	}
	if (st != 0)
		return st; /* http_error releases the upload: its files go */
	u->done = 1;
	st = reply(c, u);
	upload_free(c);
	return st;
}

static const struct body_sink upload_sink = { sink_data, sink_end, sink_abort };

int upload_begin(struct conn *c)
{
	const struct loc_conf *lc = c->loc;
	const char *rel = c->path + strlen(lc->prefix);
	const struct header_field *ct = request_field(&c->req, "Content-Type");
	struct upload *u;
	char boundary[MULTIPART_BOUNDARY_MAX + 1];
	int st;

	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return 500;
	u->fd = u->dirfd = u->put_dirfd = -1;
	c->up = u;
	while (*rel == '/')
		rel++;
	if (c->req.method_id == METHOD_PUT) {
		size_t rl = strlen(rel);
		struct stat sb;

		u->mode = UP_PUT;
		if (rl == 0 || rel[rl - 1] == '/')
			return 409; /* a directory */
		if (snprintf(u->target, sizeof(u->target), "%s/%s", lc->upload_store, rel) >= (int)sizeof(u->target))
			return 414;
		/* The target's directory, reached below the store without
		 * following a symbolic link: a linked directory cannot lead a
		 * write outside. */
		u->put_dirfd = beneath_parent(lc->upload_store, rel, &u->put_leaf);
		if (u->put_dirfd < 0)
			return errno == ELOOP || errno == EXDEV ? 403 : errno_status(errno);
		u->put_leaf = strrchr(u->target, '/') + 1;
		if (fstatat(u->put_dirfd, u->put_leaf, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
			if (S_ISDIR(sb.st_mode))
				return 409;
			if (cond_check_stat(&c->req, &sb, c->sv->now) != 0)
				return 412;
		} else if (cond_check_stat(&c->req, NULL, c->sv->now) != 0) {
			return 412;
		}
	} else if (ct != NULL && ct->value.len >= 19 && strncasecmp(ct->value.p, "multipart/form-data", 19) == 0) {
		u->mode = UP_MULTIPART;
		if (multipart_boundary(ct->value, boundary) < 0)
			return 400;
		multipart_init(&u->mp, boundary);
	} else {
		const char *last = strrchr(rel, '/');

		u->mode = UP_RAW;
		last = last ? last + 1 : rel;
		if (*last == '\0')
			last = "upload.bin";
		if ((st = upname_clean(last, u->name)) != 0)
			return st;
	}
	if (u->mode != UP_MULTIPART && (st = open_tmp(c, u)) != 0)
		return st;
	c->sink = &upload_sink;
	return 0;
}

void upload_free(struct conn *c)
{
	struct upload *u = c->up;

	if (u == NULL)
		return;
	drop_tmp(u);
	if (u->dirfd >= 0)
		close(u->dirfd);
	if (u->put_dirfd >= 0)
		close(u->put_dirfd);
	upname_free(&u->memo);
	for (size_t i = 0; i < u->nstored; i++) {
		if (!u->done)
			unlink(u->stored[i]);
		free(u->stored[i]);
	}
	free(u->stored);
	free(u->list);
	free(u);
	c->up = NULL;
}

/* Removes the `.upload-*` files one store directory holds. */
static void sweep_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (strncmp(de->d_name, ".upload-", 8) != 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	if (n)
		log_error("upload: removed %zu stale temporary file%s from %s", n, n == 1 ? "" : "s", dir);
}

void upload_sweep(const struct config *cf)
{
	for (size_t i = 0; i < cf->nservers; i++) {
		const struct server_conf *s = &cf->servers[i];

		for (size_t j = 0; j <= s->nlocs; j++) {
			const struct loc_conf *lc = j < s->nlocs ? &s->locs[j] : &s->srv;

			if (lc->upload_store != NULL)
				sweep_dir(lc->upload_store);
		}
	}
}
