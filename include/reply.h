#ifndef REPLY_H
#define REPLY_H

/* The reply layer: a response head (status line, headers, framing) and
 * small bodies written into the connection's output buffer, built with
 * the pure response.c.  It never closes a connection and never changes
 * its state: a failure (no memory for the buffer) is returned, and the
 * caller returns HANDLER_CLOSE. */

#include <stddef.h>
#include <stdint.h>

struct conn;

/* Starts a response in c->out (emptied first): status line, Date,
 * Server; records the status for the log.  The caller may append header
 * lines to c->out.  Returns 0, or -1 when the buffer cannot be had. */
int reply_begin(struct conn *c, int status);
/* Ends the head: Content-Type (ctype not NULL), Content-Length (length
 * >= 0), Connection, blank line.  1xx, 204 and 304 carry neither and no
 * body (RFC 9110 6.4.1): c->head_only is set for them. */
void reply_end_head(struct conn *c, const char *ctype, int64_t length);
/* Appends body bytes after the head unless the response is head-only. */
void reply_body(struct conn *c, const void *body, size_t n);
/* A whole response with body[0..n) of type ctype.  Returns 0 or -1. */
int reply_simple(struct conn *c, int status, const char *ctype, const char *body, size_t n);
/* The built-in HTML page for status, with one extra header line when
 * hdr is not NULL.  Returns 0 or -1. */
int reply_page(struct conn *c, int status, const char *hdr, const char *val);
/* Queues "100 Continue" (RFC 9110 10.1.1) alone in c->out.  0 or -1. */
int reply_continue(struct conn *c);
/* Makes c->out hold at least n bytes (a large autoindex page); the
 * connection gives the room back after the response.  0 or -1. */
int reply_reserve(struct conn *c, size_t n);

#endif
