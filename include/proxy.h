#ifndef PROXY_H
#define PROXY_H

/* The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1
 * and 2) that a load balancer puts in front of the bytes it relays, to
 * tell the server the client's address.  A pure parser: bytes in, the
 * header's length and addresses out; no I/O, no allocation.
 *
 *   v1  "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n": one text
 *       line of at most 107 bytes with its CRLF; "PROXY UNKNOWN ...\r\n"
 *       (anything up to the CRLF ignored).  Numbers without leading
 *       zeros, single spaces, a CR alone or an LF alone never ends it.
 *   v2  the 12-byte signature, version 2 with command LOCAL (0) or
 *       PROXY (1), a family/transport byte from the spec's list, a
 *       16-bit length of what follows (addresses, then TLVs that are
 *       checked for framing and skipped).  At most PROXY_V2_MAX bytes in
 *       all. */

#include <stddef.h>
#include <stdint.h>

#define PROXY_V1_MAX 107   /* v1 line with its CRLF (the spec's worst case) */
#define PROXY_V2_MAX 4096  /* v2 header with its addresses and TLVs */
#define PROXY_AGAIN (-2)   /* a prefix of a possible header: read more */
#define PROXY_ERROR (-1)   /* not a valid header */

enum proxy_family {
	PROXY_UNSPEC, /* LOCAL, UNKNOWN or a family not carried (UNIX, UDP):
		       * the connection's own addresses stand */
	PROXY_INET,   /* IPv4: src/dst hold 4 bytes */
	PROXY_INET6,  /* IPv6: src/dst hold 16 bytes */
};

struct proxy_hdr {
	int version;              /* 1 or 2 */
	int local;                /* v2 LOCAL command (a balancer's own check) */
	enum proxy_family family;
	uint8_t src[16], dst[16]; /* addresses, network byte order */
	uint16_t src_port, dst_port; /* host byte order */
};

/* Parses the header at the start of buf[0..len).  Returns its length
 * (> 0; the request follows it) with *out filled, PROXY_AGAIN when
 * buf is a proper prefix of a header that may still be valid (read
 * more; never once PROXY_V1_MAX/PROXY_V2_MAX bytes are there), or
 * PROXY_ERROR as soon as the bytes cannot start a valid header.  The
 * result depends only on the bytes of the header: any longer buffer
 * holding the same header gives the same length and *out. */
int proxy_parse(const uint8_t *buf, size_t len, struct proxy_hdr *out);

/* The source address of h as text (inet_ntop form) into out[0..n):
 * 0, or -1 when h carries none (PROXY_UNSPEC) or n is too small. */
int proxy_src_text(const struct proxy_hdr *h, char *out, size_t n);

#endif
