#ifndef CONN_PROXY_H
#define CONN_PROXY_H

/* The PROXY protocol on a connection of a `listen ... proxy_protocol;`
 * address (conn_proxy.c): the header (proxy.c) must come before the
 * first request; its source address becomes the connection's peer. */

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

#endif
