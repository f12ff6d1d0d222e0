/* The client behind a balancer (conn_proxy.h): the PROXY protocol
 * header and trusted forwarding headers on a connection.  The parsers
 * are proxy.c and realip.c; the connection state stays conn.c's. */
#include "conn_proxy.h"

#include <string.h>
#include "conn.h"
#include "log.h"
#include "proxy.h"
#include "realip.h"
#include "server.h"

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

void conn_real_ip(struct conn *c)
{
	const struct config *cf = c->gen->cf;
	const char *name = cf->real_ip_header == REALIP_X_FORWARDED_FOR ? "X-Forwarded-For"
									 : "X-Real-IP";
	struct slice vals[REQUEST_FIELDS_MAX];
	char client[REALIP_TEXT_MAX];
	size_t nv = 0;
	int r;

	if (cf->nreal_ip_from == 0)
		return;
	if (!c->peer_saved) {
		memcpy(c->peer_own, c->peer, sizeof(c->peer_own));
		c->peer_own_port = c->peer_port;
		c->peer_saved = 1;
	}
	for (size_t i = 0; i < c->req->nfields && nv < REQUEST_FIELDS_MAX; i++)
		if (slice_ieq(c->req->fields[i].name, name))
			vals[nv++] = c->req->fields[i].value;
	r = realip_client(cf->real_ip_from, cf->nreal_ip_from, c->peer, cf->real_ip_header, vals, nv,
			  client, sizeof(client));
	if (r < 0) {
		log_error("%s:%u: invalid %s header ignored", c->peer, c->peer_port, name);
	} else if (r > 0) {
		memcpy(c->peer, client, sizeof(client));
		c->peer_port = 0;
	}
}

void conn_real_ip_reset(struct conn *c)
{
	if (!c->peer_saved)
		return;
	memcpy(c->peer, c->peer_own, sizeof(c->peer));
	c->peer_port = c->peer_own_port;
}
