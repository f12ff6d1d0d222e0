#ifndef REALIP_H
#define REALIP_H

/* The client's address from a trusted proxy's forwarding header, as
 * nginx's realip module with `real_ip_recursive on`: pure functions,
 * no I/O, no allocation.
 *
 *   set_real_ip_from CIDR;            peers whose headers are believed
 *   real_ip_header X-Real-IP;         the header holds the address
 *   real_ip_header X-Forwarded-For;   the right-most address that is not
 *                                     trusted is the client's (all
 *                                     trusted: the left-most) */

#include <stddef.h>
#include <stdint.h>
#include "slice.h"

#define REALIP_TEXT_MAX 46 /* INET6_ADDRSTRLEN: an address as text with its NUL */

enum realip_header {
	REALIP_X_REAL_IP,        /* the default (nginx) */
	REALIP_X_FORWARDED_FOR,
};

/* An address: IPv4 (4 bytes used) or IPv6 (16). */
struct realip_addr {
	int v6;
	uint8_t a[16];
};

/* One `set_real_ip_from` network. */
struct realip_cidr {
	struct realip_addr net;  /* host bits cleared */
	unsigned bits;           /* prefix length: 0..32 or 0..128 */
};

/* Parses an address (dotted quad, or IPv6 text) of s[0..len).  0, or
 * -1 when it is not exactly one. */
int realip_addr_parse(const char *s, size_t len, struct realip_addr *out);

/* Parses "ADDR" (a host: /32 or /128) or "ADDR/BITS" of s[0..len).
 * Host bits set in ADDR are cleared (as nginx does).  0 or -1. */
int realip_cidr_parse(const char *s, size_t len, struct realip_cidr *out);

/* 1 when a is inside one of set[0..n), else 0. */
int realip_trusted(const struct realip_cidr *set, size_t n, const struct realip_addr *a);

/* The client address for a request whose connection comes from peer
 * (text), trusting set[0..n), from the values vals[0..nvals) of the
 * header `kind` in the order they came (X-Forwarded-For lines are one
 * list; for X-Real-IP the first line counts).  Returns 1 with the
 * client address (canonical text) in out[0..outlen) when the header
 * names it, 0 when the peer's address stands (the peer is not trusted,
 * or there is no such header), -1 when the header is malformed (an
 * element that is not an address, or an empty X-Real-IP): it is
 * ignored, the peer's address stands. */
int realip_client(const struct realip_cidr *set, size_t n, const char *peer,
		  enum realip_header kind, const struct slice *vals, size_t nvals, char *out,
		  size_t outlen);

#endif
