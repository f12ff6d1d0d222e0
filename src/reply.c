/* The reply layer: response heads and small bodies in the connection's
 * output buffer.  Owns the framing headers (Content-Length,
 * Connection) and the bodiless-status rule; reports failure, never
 * closes. */
#include "reply.h"

#include <stdlib.h>
#include "conn.h"
#include "response.h"
#include "server.h"

#define PAGE_MAX 1024 /* bytes of a built-in error page */

/* The output buffer, allocated on first use, emptied. */
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

int reply_reserve(struct conn *c, size_t n)
{
	char *p;

	if (c->out.cap >= n)
		return 0;
	p = realloc(c->out.p, n);
	if (p == NULL)
		return -1;
	c->out.p = p;
	c->out.cap = n;
	return 0;
}

/* The Date value of the second t, formatted once per second (nginx's
 * cached ngx_cached_http_time). */
static const char *date_of(time_t t)
{
	static char date[32];
	static time_t at = (time_t)-1;

	if (t != at) {
		response_date(t, date);
		at = t;
	}
	return date;
}

int reply_begin(struct conn *c, int status)
{
	if (out_ready(c) < 0)
		return -1;
	c->status = status;
	c->sent = 0;
	response_start_dated(&c->out, status, date_of(c->sv->now));
	return 0;
}

void reply_end_head(struct conn *c, const char *ctype, int64_t length)
{
	/* RFC 9110 6.4.1 / 8.6: these never carry content, so no length and
	 * nothing after the head. */
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
}

void reply_body(struct conn *c, const void *body, size_t n)
{
	if (!c->head_only)
		obuf_add(&c->out, body, n);
}

int reply_simple(struct conn *c, int status, const char *ctype, const char *body, size_t n)
{
	if (reply_begin(c, status) < 0)
		return -1;
	reply_end_head(c, ctype, (int64_t)n);
	reply_body(c, body, n);
	return 0;
}

/* The body goes after the head, which needs its length first: it is
 * built aside, then copied. */
int reply_page(struct conn *c, int status, const char *hdr, const char *val)
{
	char tmp[PAGE_MAX];
	struct obuf body = { .p = tmp, .cap = sizeof(tmp) };

	response_error_body(&body, status);
	if (reply_begin(c, status) < 0)
		return -1;
	if (hdr != NULL)
		obuf_printf(&c->out, "%s: %s\r\n", hdr, val);
	reply_end_head(c, RESPONSE_HTML, (int64_t)body.len);
	reply_body(c, body.p, body.len);
	return 0;
}

int reply_continue(struct conn *c)
{
	if (out_ready(c) < 0)
		return -1;
	obuf_str(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
	return 0;
}
