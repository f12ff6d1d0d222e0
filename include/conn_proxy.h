#ifndef CONN_PROXY_H
#define CONN_PROXY_H

/* The client behind a balancer (conn_proxy.c): on a `listen ...
 * proxy_protocol;` address the PROXY header (proxy.c) must come before
 * the first request and its source address becomes the connection's
 * peer; with set_real_ip_from, a trusted peer's forwarding header names
 * the client of each request (realip.c). */

struct conn;

/* Takes the PROXY header from the start of c's input if c still waits
 * for one (c->proxy_wait): the bytes after it stay for the request and
 * c->peer/c->peer_port become the client's (a LOCAL or UNKNOWN header
 * keeps the connection's own).  Returns 1 when no header is pending any
 * more, 0 when more bytes are needed, -1 when the header is invalid:
 * the connection is closed and the error logged. */
int conn_proxy_header(struct conn *c);

/* The header did not arrive in time: logged, c closed. */
void conn_proxy_timeout(struct conn *c);

/* set_real_ip_from / real_ip_header (realip.c) for the request whose
 * head c->req holds: when the connection's peer is trusted, c->peer
 * becomes the client named by the header (c->peer_port 0: the header
 * carries no port); a malformed header is logged and ignored.  The
 * connection's own peer is kept for the next request. */
void conn_real_ip(struct conn *c);

/* The end of a request: c->peer is the connection's own again. */
void conn_real_ip_reset(struct conn *c);

#endif
