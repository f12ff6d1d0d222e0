#ifndef HTTP_H
#define HTTP_H

/* Request handling once a head is parsed: routing, method rules, the
 * body decision, dispatch to a handler, internal redirects, and the one
 * place where an error status becomes a page.  conn.c calls these; each
 * returns HANDLER_DONE (a reply is queued), HANDLER_WAIT (a handler
 * waits: c->wait), HANDLER_BODY (read the body into c->sink, then call
 * http_body_end) or HANDLER_CLOSE, never an error status. */

#include "conn.h"

/* A complete head is in c->req (conn.c has set up the body framing). */
int http_head(struct conn *c);
/* The whole request body has been read. */
int http_body_end(struct conn *c);
/* The event c->wait waited for came / its wait timed out. */
int http_resume(struct conn *c);
int http_expire(struct conn *c);
/* The error response for status: the location's error_page when it is
 * a readable file, else the built-in page; an error while serving the
 * configured page falls back to the built-in one (no recursion).  The
 * handler state of the request is released first. */
int http_error(struct conn *c, int status);
/* Releases what the handlers of the current request hold (the body
 * source, upload and CGI state). */
void http_request_free(struct conn *c);

#endif
