/* Request handling once a head is parsed: routing, method rules, body
 * decisions, and the helpers that build response heads. */
#include "server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "route.h"
#include "uri.h"

static int out_ready(struct conn *c)
{
	if (c->out.p == NULL) {
		c->out.p = malloc(OUT_BUF_SIZE);
		if (c->out.p == NULL)
			return -1;
		c->out.cap = OUT_BUF_SIZE;
	}
	c->out.len = 0;
	c->out.overflow = 0;
	c->out_off = 0;
	return 0;
}

/* Starts a response: status line, Date, Server. */
void http_begin(struct conn *c, int status)
{
	if (out_ready(c) < 0) {
		conn_close(c);
		return;
	}
	c->status = status;
	c->sent = 0;
	response_start(&c->out, status, c->sv->now);
}

/* Ends the head: Content-Type, Content-Length (when length >= 0),
 * Connection, blank line.  The response is then written. */
void http_end_head(struct conn *c, const char *ctype, int64_t length)
{
	/* RFC 9110 6.4.1 / 8.6: these never carry content, so no length and
	 * nothing after the head (head_only makes callers add no body). */
	if (c->status == 204 || c->status == 304 || c->status < 200) {
		c->head_only = 1;
		ctype = NULL;
		length = -1;
	}
	if (ctype != NULL)
		obuf_printf(&c->out, "Content-Type: %s\r\n", ctype);
	if (length >= 0)
		obuf_printf(&c->out, "Content-Length: %lld\r\n", (long long)length);
	if (!c->keep_alive)
		obuf_str(&c->out, "Connection: close\r\n");
	else if (c->req.minor == 0)
		obuf_str(&c->out, "Connection: keep-alive\r\n");
	obuf_str(&c->out, "\r\n");
	c->head_bytes = c->out.len;
	c->state = CONN_WRITE;
	c->wait_cgi = 0;
	conn_set_deadline(c, conn_conf(c)->send_timeout_ms);
}

void http_simple(struct conn *c, int status, const char *ctype, const char *body, size_t n)
{
	http_begin(c, status);
	if (c->state == CONN_CLOSE)
		return;
	http_end_head(c, ctype, (int64_t)n);
	if (!c->head_only)
		obuf_add(&c->out, body, n);
}

/* The body of an error or redirect page goes after the head, which needs
 * its length first: build it at the end of the buffer, then move it. */
void http_page(struct conn *c, int status, const char *extra_hdr, const char *extra_val)
{
	struct obuf body;
	char tmp[1024];

	body = (struct obuf){ .p = tmp, .cap = sizeof(tmp) };
	response_error_body(&body, status);
	http_begin(c, status);
	if (c->state == CONN_CLOSE)
		return;
	if (extra_hdr != NULL)
		obuf_printf(&c->out, "%s: %s\r\n", extra_hdr, extra_val);
	http_end_head(c, "text/html", (int64_t)body.len);
	if (!c->head_only)
		obuf_add(&c->out, body.p, body.len);
}

/* The methods lc really serves: its allow_methods, less PUT without an
 * upload_store and POST with neither a store nor a script. */
static unsigned allow_mask(const struct loc_conf *lc)
{
	unsigned m = lc->methods;

	if (lc->upload_store == NULL) {
		m &= ~(unsigned)M_PUT;
		if (lc->ncgi == 0)
			m &= ~(unsigned)M_POST;
	}
	return m;
}

/* Writes the Allow value for the methods in m (and OPTIONS when options
 * is set) to out[0..n).  Returns its length. */
static size_t allow_format(unsigned m, int options, char *out, size_t n)
{
	size_t len = 0;
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = { { M_GET, "GET" }, { M_HEAD, "HEAD" }, { M_POST, "POST" },
		      { M_PUT, "PUT" }, { M_DELETE, "DELETE" }, { 0, "OPTIONS" } };

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t l = strlen(names[i].name);

		if (!(names[i].bit ? (m & names[i].bit) != 0 : options) || len + l + 3 > n)
			continue;
		if (len) {
			memcpy(out + len, ", ", 2);
			len += 2;
		}
		memcpy(out + len, names[i].name, l + 1);
		len += l;
	}
	return len;
}

size_t http_allow(const struct conn *c, char *out, size_t n)
{
	if (c->loc == NULL)
		return 0;
	return allow_format(allow_mask(c->loc), 0, out, n);
}

/* RFC 9110 9.3.7: OPTIONS is answered, never refused: 204 with what the
 * target's location allows (the same list as a 405's Allow) plus OPTIONS.
 * For "*" the list covers the server as a whole: its own settings and
 * every location that is not a `return`. */
static void options_reply(struct conn *c)
{
	char allow[64];
	unsigned m;

	if (c->req.target.len == 1 && c->req.target.p[0] == '*') {
		m = allow_mask(&c->srv->srv);
		for (size_t i = 0; i < c->srv->nlocs; i++)
			if (c->srv->locs[i].ret_code == 0)
				m |= allow_mask(&c->srv->locs[i]);
	} else {
		m = allow_mask(c->loc);
	}
	allow_format(m, 1, allow, sizeof(allow));
	http_begin(c, 204);
	if (c->state == CONN_CLOSE)
		return;
	obuf_printf(&c->out, "Allow: %s\r\n", allow);
	http_end_head(c, NULL, -1);
}

/* Serves the configured error_page for status, if any and if it is a
 * readable file.  Returns 1 when it did. */
static int custom_error(struct conn *c, int status)
{
	const struct server_conf *srv = c->srv ? c->srv : c->ls->def;
	const struct loc_conf *lc = c->loc ? c->loc : &srv->srv;
	const char *uri = route_error_page(lc, status);
	const struct loc_conf *elc;
	struct stat st;
	size_t n;

	if (uri == NULL || c->in_error_page)
		return 0;
	n = strlen(uri);
	elc = route_location(srv, uri, n);
	if (n >= sizeof(c->path) || route_fs_path(elc, uri, n, c->fspath, sizeof(c->fspath)) < 0)
		return 0;
	if (stat(c->fspath, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	/* A script named as an error page is not run: its source must never
	 * be sent as a page either, so the built-in page is used. */
	if (route_cgi(elc, uri, n) != NULL)
		return 0;
	if (status == 405)
		http_allow(c, c->allow, sizeof(c->allow)); /* the target's, not the page's */
	memcpy(c->path, uri, n + 1);
	c->in_error_page = 1;
	c->srv = srv;
	c->loc = elc;
	file_serve(c, status);
	return 1;
}

void http_error(struct conn *c, int status)
{
	char allow[64];

	http_reset(c);
	if (!c->body_done)
		c->keep_alive = 0;
	/* Errors about the request itself end the connection. */
	if (status == 400 || status == 408 || status == 413 || status == 414 || status == 431 ||
	    status == 505)
		c->keep_alive = 0;
	if (custom_error(c, status))
		return;
	if (status == 405) {
		http_allow(c, allow, sizeof(allow));
		http_page(c, status, "Allow", allow);
	} else
		http_page(c, status, NULL, NULL);
}

void http_redirect(struct conn *c, int status, const char *location)
{
	http_page(c, status, "Location", location);
}

/* `return CODE [URL|TEXT]` */
static void do_return(struct conn *c)
{
	const struct loc_conf *lc = c->loc;
	int code = lc->ret_code;

	if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) {
		http_redirect(c, code, lc->ret_arg ? lc->ret_arg : "");
		return;
	}
	if (lc->ret_arg != NULL) {
		http_simple(c, code, "text/plain", lc->ret_arg, strlen(lc->ret_arg));
		return;
	}
	if (code >= 400)
		http_error(c, code);
	else
		http_simple(c, code, "text/plain", "", 0);
}

/* Copies a header value (truncated) into out, "" when absent. */
static void copy_field(const struct conn *c, const char *name, char *out, size_t n)
{
	const struct header_field *f = request_field(&c->req, name);
	size_t len = f ? f->value.len : 0;

	if (len > n - 1)
		len = n - 1;
	if (len)
		memcpy(out, f->value.p, len);
	out[len] = '\0';
}

/* Copies the request line, Referer and User-Agent for the access log. */
static void keep_log_fields(struct conn *c)
{
	const char *p = c->req.method.p;
	size_t n = 0, max = c->in_len - (size_t)(p - c->in);

	while (n < max && p[n] != '\r' && p[n] != '\n' && n < sizeof(c->log_line) - 1)
		n++;
	memcpy(c->log_line, p, n);
	c->log_line[n] = '\0';
	copy_field(c, "Referer", c->log_ref, sizeof(c->log_ref));
	copy_field(c, "User-Agent", c->log_ua, sizeof(c->log_ua));
}

/* Does p[0..n) hold a segment that starts with a dot? */
static int dot_segment(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == '.' && (i == 0 || p[i - 1] == '/'))
			return 1;
	return 0;
}

int http_route(struct conn *c, size_t plen)
{
	const struct loc_conf *lc = route_location(c->srv, c->path, plen);
	size_t n = strlen(lc->prefix);
	int r;

	c->loc = lc;
	/* A prefix that ends inside a segment ("/up" for "/up../x") would put
	 * the rest of the path beside the upload directory, i.e. outside it:
	 * such a URI names nothing here (route_fs_path says the same for an
	 * alias). */
	if (lc->upload_store != NULL && n > 0 && lc->prefix[n - 1] != '/' && plen > n &&
	    c->path[n] != '/')
		return 404;
	/* Dot files of a store (temporary uploads above all) are never
	 * served, stored, listed or deleted by a request. */
	if (lc->upload_store != NULL && dot_segment(c->path + n, plen - n))
		return 404;
	r = route_fs_path(lc, c->path, plen, c->fspath, sizeof(c->fspath));
	if (r == -2)
		return 404;
	return r < 0 ? 414 : 0;
}

/* RFC 9112 3.2.2: with an absolute-form target the authority in the
 * target, not Host, names the server. */
static struct slice target_host(const struct request_head *rq)
{
	struct slice t = rq->target, h;
	size_t skip;

	if (t.len > 7 && strncasecmp(t.p, "http://", 7) == 0)
		skip = 7;
	else if (t.len > 8 && strncasecmp(t.p, "https://", 8) == 0)
		skip = 8;
	else
		return rq->host;
	h.p = t.p + skip;
	h.len = 0;
	while (skip + h.len < t.len && h.p[h.len] != '/' && h.p[h.len] != '?' && h.p[h.len] != '#')
		h.len++;
	/* userinfo is not for us */
	for (size_t i = h.len; i > 0; i--)
		if (h.p[i - 1] == '@') {
			h.p += i;
			h.len -= i;
			break;
		}
	return h;
}

/* Sets up the body phase (or its absence) after the sink was chosen. */
static void start_body(struct conn *c)
{
	if (c->body_done) {
		if (c->sink && c->sink->end)
			c->sink->end(c);
		else
			http_dispatch(c);
		return;
	}
	c->state = CONN_READ_BODY;
	conn_set_deadline(c, c->loc->body_timeout_ms);
	if (c->req.expect_continue && c->req.minor >= 1) {
		/* RFC 9110 10.1.1: tell the client to send the body. */
		if (out_ready(c) < 0) {
			conn_close(c);
			return;
		}
		obuf_str(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
		c->interim = 1;
		c->state = CONN_WRITE;
	}
}

void http_handle_head(struct conn *c)
{
	struct request_head *rq = &c->req;
	struct slice q = { 0 };
	size_t plen;
	unsigned bit;
	int st;

	c->keep_alive = rq->keep_alive;
	c->head_only = rq->method_id == METHOD_HEAD;
	c->body_left = rq->framing == FRAMING_LENGTH ? rq->content_length : 0;
	c->body_done = rq->framing == FRAMING_NONE ||
		       (rq->framing == FRAMING_LENGTH && rq->content_length == 0);
	c->body_total = 0;
	memset(&c->chunk, 0, sizeof(c->chunk));
	c->sink = NULL;
	c->in_error_page = 0;
	c->redirects = 0;
	c->srv = NULL;
	c->loc = NULL;
	keep_log_fields(c);

	if (rq->target.len == 1 && rq->target.p[0] == '*') {
		/* Asterisk-form (RFC 9112 3.2.4) exists only for OPTIONS: it
		 * asks about the server as a whole. */
		c->srv = route_server(c->sv->cf, c->laddr, c->lport, rq->host);
		if (c->srv == NULL)
			c->srv = c->ls->def;
		c->loc = &c->srv->srv;
		if (rq->method_id != METHOD_OPTIONS)
			http_error(c, 400);
		else if (rq->framing == FRAMING_LENGTH && c->loc->max_body &&
			 rq->content_length > c->loc->max_body)
			http_error(c, 413);
		else
			start_body(c); /* a body is read and dropped, then answered */
		return;
	}
	st = uri_normalize(rq->target, c->path, sizeof(c->path), &plen, &q);
	if (st != 0) {
		http_error(c, st);
		return;
	}
	if (q.len >= sizeof(c->query)) {
		http_error(c, 414);
		return;
	}
	if (q.len)
		memcpy(c->query, q.p, q.len);
	c->query[q.len] = '\0';

	c->srv = route_server(c->sv->cf, c->laddr, c->lport, target_host(rq));
	if (c->srv == NULL)
		c->srv = c->ls->def;
	st = http_route(c, plen);

	if (rq->method_id == METHOD_UNKNOWN) {
		http_error(c, 501);
		return;
	}
	if (c->loc->ret_code) {
		if (!c->body_done)
			c->keep_alive = 0;
		do_return(c);
		return;
	}
	bit = route_method_bit(rq->method);
	/* OPTIONS is always allowed; allow_methods cannot switch it off. */
	if (rq->method_id != METHOD_OPTIONS && (bit == 0 || !(c->loc->methods & bit))) {
		http_error(c, 405);
		return;
	}
	if (rq->framing == FRAMING_LENGTH && c->loc->max_body && rq->content_length > c->loc->max_body) {
		http_error(c, 413);
		return;
	}
	if (st != 0) {
		http_error(c, st);
		return;
	}

	switch (rq->method_id) {
	case METHOD_GET:
	case METHOD_HEAD:
		if (cgi_match(c))
			st = cgi_begin(c);
		break;
	case METHOD_POST:
		if (cgi_match(c))
			st = cgi_begin(c);
		else if (c->loc->upload_store != NULL)
			st = upload_begin(c);
		else
			st = access(c->fspath, F_OK) == 0 ? 405 : 404;
		break;
	case METHOD_PUT:
		st = c->loc->upload_store != NULL ? upload_begin(c) : 405;
		break;
	default:
		break;
	}
	if (st != 0) {
		http_error(c, st);
		return;
	}
	start_body(c);
}

void http_dispatch(struct conn *c)
{
	switch (c->req.method_id) {
	case METHOD_DELETE:
		file_delete(c);
		break;
	case METHOD_OPTIONS:
		options_reply(c);
		break;
	default:
		if (cgi_match(c)) {
			int st = cgi_begin(c);

			if (st != 0)
				http_error(c, st);
			else if (c->sink && c->sink->end)
				c->sink->end(c);
			return;
		}
		file_serve(c, 200);
		break;
	}
}

void http_reset(struct conn *c)
{
	if (c->file_fd >= 0) {
		close(c->file_fd);
		c->file_fd = -1;
	}
	c->file_off = c->file_end = 0;
	upload_free(c);
	cgi_free(c);
	c->wait_cgi = 0;
	c->interim = 0;
	if (c->out.cap > OUT_BUF_SIZE && c->state != CONN_WRITE) {
		/* A large autoindex page grew the buffer: give it back. */
		free(c->out.p);
		c->out = (struct obuf){ 0 };
	}
}
