/* Request handling once a head is parsed: routing, method rules, the
 * body decision, dispatch to the handlers (file, upload, CGI, OPTIONS,
 * return), internal redirects, and the one place where an error status
 * becomes a page.  Handlers return what happened; nothing here moves
 * the connection's state. */
#include "http.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cgi.h"
#include "fcache.h"
#include "file.h"
#include "log.h"
#include "reply.h"
#include "route.h"
#include "server.h"
#include "upload.h"
#include "uri.h"

/* Internal redirects (directory index, CGI Location) one request may
 * take in all; CGI ones alone stop at CGI_REDIRECTS_MAX (cgi.c). */
#define HTTP_REDIRECTS_MAX 32

static int dispatch(struct conn *c);

/* RFC 9110 9.3.7: OPTIONS is answered, never refused: 204 with what the
 * target's location allows (the same list as a 405's Allow) plus OPTIONS.
 * For "*" the list covers the server as a whole. */
static int options_reply(struct conn *c)
{
	char allow[ROUTE_ALLOW_MAX];
	int star = c->req->target.len == 1 && c->req->target.p[0] == '*';
	unsigned m = star ? route_allow_server(c->srv) : route_allow_mask(c->loc);

	route_allow_format(m, 1, allow, sizeof(allow));
	if (reply_begin(c, 204) < 0)
		return HANDLER_CLOSE;
	obuf_printf(&c->out, "Allow: %s\r\n", allow);
	reply_end_head(c, NULL, -1);
	return HANDLER_DONE;
}

/* Serves the configured error_page for status if it is a readable file
 * that is not a script.  Returns HANDLER_DONE or HANDLER_CLOSE when it
 * did, else a positive status (then the built-in page is used). */
static int error_page(struct conn *c, int status)
{
	const struct server_conf *srv = c->srv ? c->srv : c->def;
	const struct loc_conf *lc = c->loc ? c->loc : &srv->srv;
	const char *uri = route_error_page(lc, status);
	const struct loc_conf *elc;
	struct stat st;
	size_t n;

	if (uri == NULL)
		return status;
	n = strlen(uri);
	elc = route_location(srv, uri, n);
	if (n >= PATH_BUF || route_fs_path(elc, uri, n, c->fspath, PATH_BUF) < 0)
		return status;
	if (stat(c->fspath, &st) < 0 || !S_ISREG(st.st_mode))
		return status;
	/* A script named as an error page is not run: its source must never
	 * be sent as a page either, so the built-in page is used. */
	if (route_cgi(elc, uri, n) != NULL)
		return status;
	if (status == 405 && c->loc != NULL) /* the target's methods, not the page's */
		route_allow_format(route_allow_mask(c->loc), 0, c->allow, CONN_ALLOW_MAX);
	memcpy(c->path, uri, n + 1);
	c->srv = srv;
	c->loc = elc;
	return file_error_page(c, status);
}

/* Errors about the request itself end the connection. */
static int ends_connection(int status)
{
	return status == 400 || status == 408 || status == 413 || status == 414 || status == 431 ||
	       status == 505;
}

int http_error(struct conn *c, int status)
{
	char allow[ROUTE_ALLOW_MAX] = "";
	int r;

	http_request_free(c);
	if (!c->body_done || ends_connection(status))
		c->keep_alive = 0;
	r = error_page(c, status);
	if (r <= 0)
		return r;
	if (status == 405 && c->loc != NULL)
		route_allow_format(route_allow_mask(c->loc), 0, allow, sizeof(allow));
	if (reply_page(c, status, status == 405 ? "Allow" : NULL, allow) < 0)
		return HANDLER_CLOSE;
	return HANDLER_DONE;
}

/* `return CODE [URL|TEXT]` */
static int do_return(struct conn *c)
{
	const struct loc_conf *lc = c->loc;
	int code = lc->ret_code, r;
	char tb[64 + CHARSET_MAX];

	if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308)
		r = reply_page(c, code, "Location", lc->ret_arg ? lc->ret_arg : "");
	else if (lc->ret_arg != NULL)
		r = reply_simple(c, code, response_content_type("text/plain", lc->charset, tb, sizeof(tb)),
				 lc->ret_arg, strlen(lc->ret_arg));
	else if (code >= 400)
		return code;
	else
		r = reply_simple(c, code, "text/plain", "", 0);
	return r < 0 ? HANDLER_CLOSE : HANDLER_DONE;
}

/* Does p[0..n) hold a segment that starts with a dot? */
static int dot_segment(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == '.' && (i == 0 || p[i - 1] == '/'))
			return 1;
	return 0;
}

/* Picks c->loc for c->path (plen bytes) and maps c->fspath.  Returns 0,
 * or 404 for a URI that would leave an alias/upload directory, 414 when
 * the file-system path does not fit. */
static int route_path(struct conn *c, size_t plen)
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
	r = route_fs_path(lc, c->path, plen, c->fspath, PATH_BUF);
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

static void pick_server(struct conn *c, struct slice host)
{
	c->srv = route_server(c->gen->cf, conn_route_addr(c, c->gen->cf), host);
	if (c->srv == NULL)
		c->srv = c->def;
}

static int too_large(const struct conn *c)
{
	return c->req->framing == FRAMING_LENGTH && c->loc->max_body &&
	       c->req->content_length > c->loc->max_body;
}

/* The whole body is in: its sink's end, or the handler for a request
 * whose body was dropped (or that had none). */
static int body_end(struct conn *c)
{
	if (c->sink != NULL && c->sink->end != NULL)
		return c->sink->end(c);
	return dispatch(c);
}

/* The handler chosen at the head (its body sink), then the body phase. */
static int begin(struct conn *c)
{
	int st = 0;

	switch (c->req->method_id) {
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
	if (st != 0)
		return st;
	return c->body_done ? body_end(c) : HANDLER_BODY;
}

/* Asterisk-form (RFC 9112 3.2.4) exists only for OPTIONS: it asks about
 * the server as a whole; a body is read and dropped, then answered. */
static int asterisk(struct conn *c)
{
	pick_server(c, c->req->host);
	c->loc = &c->srv->srv;
	if (c->req->method_id != METHOD_OPTIONS)
		return 400;
	if (too_large(c))
		return 413;
	return c->body_done ? body_end(c) : HANDLER_BODY;
}

static int head(struct conn *c)
{
	const struct request_head *rq = c->req;
	struct slice q = { 0 };
	size_t plen;
	unsigned bit;
	int st, routed;

	if (rq->target.len == 1 && rq->target.p[0] == '*')
		return asterisk(c);
	st = uri_normalize(rq->target, c->path, PATH_BUF, &plen, &q);
	if (st != 0)
		return st;
	if (q.len >= PATH_BUF)
		return 414;
	if (q.len)
		memcpy(c->query, q.p, q.len);
	c->query[q.len] = '\0';
	pick_server(c, target_host(rq));
	routed = route_path(c, plen);
	if (rq->method_id == METHOD_UNKNOWN)
		return 501;
	if (c->loc->ret_code) {
		if (!c->body_done)
			c->keep_alive = 0;
		return do_return(c);
	}
	bit = route_method_bit(rq->method);
	/* OPTIONS is always allowed; allow_methods cannot switch it off. */
	if (rq->method_id != METHOD_OPTIONS && (bit == 0 || !(c->loc->methods & bit)))
		return 405;
	if (too_large(c))
		return 413;
	if (routed != 0)
		return routed;
	return begin(c);
}

/* The handler for a request whose body is in (or dropped). */
static int dispatch(struct conn *c)
{
	int st;

	switch (c->req->method_id) {
	case METHOD_DELETE:
		return file_delete(c);
	case METHOD_OPTIONS:
		return options_reply(c);
	default:
		if (!cgi_match(c))
			return file_serve(c);
		st = cgi_begin(c);
		return st != 0 ? st : c->sink->end(c);
	}
}

/* RFC 3875 6.2.2: a CGI's local Location (set in c->path and c->query
 * by the handler) is answered as a GET of that path. */
static int local_redirect(struct conn *c)
{
	int st = route_path(c, strlen(c->path));

	if (st != 0)
		return st;
	if (c->req->method_id != METHOD_HEAD) {
		c->req->method_id = METHOD_GET;
		c->req->method = SLICE_LIT("GET");
	}
	c->req->framing = FRAMING_NONE; /* the body was for the script */
	if (c->loc->ret_code)
		return 500;
	if (!(c->loc->methods & M_GET))
		return 405;
	return dispatch(c);
}

/* Follows internal redirects (bounded) and turns an error status into
 * its page: what is left is DONE, WAIT, BODY or CLOSE. */
static int settle(struct conn *c, int r)
{
	for (int n = 0; r == HANDLER_AGAIN || r == HANDLER_REDIRECT; n++) {
		if (n == HTTP_REDIRECTS_MAX) {
			log_error("more than %d internal redirects for %s", HTTP_REDIRECTS_MAX, c->path);
			r = 500;
			break;
		}
		r = r == HANDLER_AGAIN ? dispatch(c) : local_redirect(c);
	}
	return r > 0 ? http_error(c, r) : r;
}

int http_head(struct conn *c)
{
	return settle(c, head(c));
}

int http_body_end(struct conn *c)
{
	return settle(c, body_end(c));
}

int http_resume(struct conn *c)
{
	return settle(c, c->wait != NULL ? c->wait->resume(c) : HANDLER_WAIT);
}

int http_expire(struct conn *c)
{
	return settle(c, c->wait != NULL ? c->wait->expire(c) : 504);
}

void http_request_free(struct conn *c)
{
	/* A request that may have changed files (an upload, a script, a
	 * DELETE) leaves no cached open file behind. */
	if (c->req != NULL && /* NULL: an idle connection, no request */
	    (c->req->method_id == METHOD_PUT || c->req->method_id == METHOD_POST ||
	     c->req->method_id == METHOD_DELETE))
		fcache_clear(c->sv->fc);
	if (c->src != NULL && c->src->free != NULL)
		c->src->free(c);
	c->src = NULL;
	c->src_end = 0;
	c->wait = NULL;
	upload_free(c);
	cgi_free(c);
}
