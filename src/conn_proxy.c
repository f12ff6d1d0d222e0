/* The PROXY protocol header on a connection (conn_proxy.h): the parser
 * is proxy.c, the connection state stays conn.c's. */
#include "conn_proxy.h"

#include <string.h>
#include "conn.h"
#include "log.h"
#include "proxy.h"

int conn_proxy_header(struct conn *c)
{
	struct proxy_hdr h;
	char text[sizeof(c->peer)];
	int r;

	if (!c->proxy_wait)
		return 1;
	/* Re-parsed from the start after each read: a header split over
	 * reads is a prefix until it is complete (bounded by
	 * PROXY_V1_MAX/PROXY_V2_MAX). */
	r = proxy_parse((const uint8_t *)c->in, c->in_len, &h);
	if (r == PROXY_AGAIN)
		return 0;
	if (r == PROXY_ERROR) {
		log_error("%s:%u: invalid PROXY protocol header, connection closed", c->peer,
			  c->peer_port);
		conn_close(c);
		return -1;
	}
	c->proxy_wait = 0;
	if (proxy_src_text(&h, text, sizeof(text)) == 0) {
		memcpy(c->peer, text, sizeof(text));
		c->peer_port = h.src_port;
	}
	memmove(c->in, c->in + r, c->in_len - (size_t)r);
	c->in_len -= (size_t)r;
	return 1;
}

void conn_proxy_timeout(struct conn *c)
{
	log_error("%s:%u: no complete PROXY protocol header in time (%zu bytes), connection closed",
		  c->peer, c->peer_port, c->in_len);
	conn_close(c);
}
