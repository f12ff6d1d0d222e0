/* The PROXY protocol header, versions 1 (text) and 2 (binary): a pure
 * parser (proxy.h).  The rules cited are those of HAProxy's
 * doc/proxy-protocol.txt. */
#include "proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#define V2_FIXED 16            /* signature, ver_cmd, fam, len */
#define V1_FIELD_MAX 39        /* the longest address text (IPv6) */

static const uint8_t v1_sig[6] = { 'P', 'R', 'O', 'X', 'Y', ' ' };
static const uint8_t v2_sig[12] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
				    0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };

/* A decimal number of 1..maxdig digits, no leading zero (2.1: "heading
 * zeroes are not permitted"), at most max.  0 or -1. */
static int dec(const uint8_t *p, size_t n, unsigned max, unsigned *v)
{
	unsigned x = 0;

	if (n == 0 || n > 5 || (p[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		x = x * 10 + (unsigned)(p[i] - '0');
	}
	if (x > max)
		return -1;
	*v = x;
	return 0;
}

/* Dotted quad: exactly four numbers 0..255, single dots. */
static int ipv4(const uint8_t *p, size_t n, uint8_t out[4])
{
	size_t i = 0;

	for (int k = 0; k < 4; k++) {
		size_t j = i;
		unsigned v;

		while (j < n && p[j] != '.')
			j++;
		if (dec(p + i, j - i, 255, &v) < 0 || (k < 3) != (j < n))
			return -1;
		out[k] = (uint8_t)v;
		i = j + 1;
	}
	return 0;
}

/* Hex groups with colons (one "::" at most), and a dotted IPv4 tail as
 * HAProxy writes an IPv4-mapped source (::ffff:192.0.2.7): inet_pton
 * checks the rest. */
static int ipv6(const uint8_t *p, size_t n, uint8_t out[16])
{
	char text[V1_FIELD_MAX + 1];

	if (n == 0 || n > V1_FIELD_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = p[i];

		if (!(ch == ':' || ch == '.' || (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		      (ch >= 'A' && ch <= 'F')))
			return -1;
	}
	memcpy(text, p, n);
	text[n] = '\0';
	return inet_pton(AF_INET6, text, out) == 1 ? 0 : -1;
}

/* The line buf[0..n) (without CRLF, "PROXY " checked). */
static int v1_line(const uint8_t *buf, size_t n, struct proxy_hdr *out)
{
	const uint8_t *f[6];
	size_t fl[6], nf = 0, i = sizeof(v1_sig);
	unsigned sp, dp;

	/* Fields separated by exactly one space. */
	while (nf < 6) {
		size_t j = i;

		while (j < n && buf[j] != ' ')
			j++;
		f[nf] = buf + i;
		fl[nf++] = j - i;
		if (j == n)
			break;
		i = j + 1;
		if (nf == 1 && fl[0] == 7 && memcmp(f[0], "UNKNOWN", 7) == 0)
			break; /* "the receiver must ignore anything presented before the CRLF" */
	}
	if (fl[0] == 7 && memcmp(f[0], "UNKNOWN", 7) == 0) {
		out->family = PROXY_UNSPEC;
		return 0;
	}
	if (nf != 5 || fl[0] != 4 || memcmp(f[0], "TCP", 3) != 0 || (f[0][3] != '4' && f[0][3] != '6'))
		return -1;
	if (f[0][3] == '4') {
		out->family = PROXY_INET;
		if (ipv4(f[1], fl[1], out->src) < 0 || ipv4(f[2], fl[2], out->dst) < 0)
			return -1;
	} else {
		out->family = PROXY_INET6;
		if (ipv6(f[1], fl[1], out->src) < 0 || ipv6(f[2], fl[2], out->dst) < 0)
			return -1;
	}
	if (dec(f[3], fl[3], 65535, &sp) < 0 || dec(f[4], fl[4], 65535, &dp) < 0)
		return -1;
	out->src_port = (uint16_t)sp;
	out->dst_port = (uint16_t)dp;
	return 0;
}

static int parse_v1(const uint8_t *buf, size_t len, struct proxy_hdr *out)
{
	size_t n = len < PROXY_V1_MAX ? len : PROXY_V1_MAX;

	if (memcmp(buf, v1_sig, n < sizeof(v1_sig) ? n : sizeof(v1_sig)) != 0)
		return PROXY_ERROR;
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\r') {
			/* "must not tolerate a single CR or LF character" */
			if (i + 1 == n)
				return n == PROXY_V1_MAX ? PROXY_ERROR : PROXY_AGAIN;
			if (buf[i + 1] != '\n' || i < sizeof(v1_sig))
				return PROXY_ERROR;
			memset(out, 0, sizeof(*out));
			out->version = 1;
			return v1_line(buf, i, out) < 0 ? PROXY_ERROR : (int)(i + 2);
		}
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return PROXY_ERROR; /* an LF alone, a control or non-ASCII byte */
	}
	/* "If the CRLF sequence is not found in the first 107 characters,
	 * the receiver should declare the line invalid." */
	return n == PROXY_V1_MAX ? PROXY_ERROR : PROXY_AGAIN;
}

static int parse_v2(const uint8_t *buf, size_t len, struct proxy_hdr *out)
{
	size_t total, need = 0, p;
	unsigned cmd = 0, af = 0, tp = 0;

	if (memcmp(buf, v2_sig, len < sizeof(v2_sig) ? len : sizeof(v2_sig)) != 0)
		return PROXY_ERROR;
	if (len > 12) {
		/* Version 2 only; commands LOCAL and PROXY only. */
		if (buf[12] >> 4 != 2 || (cmd = buf[12] & 15) > 1)
			return PROXY_ERROR;
	}
	if (len > 13) {
		/* Families UNSPEC, INET, INET6, UNIX; transports UNSPEC,
		 * STREAM, DGRAM: "other values ... must be rejected". */
		af = buf[13] >> 4;
		tp = buf[13] & 15;
		if (af > 3 || tp > 2)
			return PROXY_ERROR;
	}
	if (len < V2_FIXED)
		return PROXY_AGAIN;
	total = V2_FIXED + ((size_t)buf[14] << 8 | buf[15]);
	if (total > PROXY_V2_MAX)
		return PROXY_ERROR;
	if (cmd == 1)
		need = af == 1 ? 12 : af == 2 ? 36 : af == 3 ? 216 : 0;
	if (total - V2_FIXED < need)
		return PROXY_ERROR; /* the addresses do not fit */
	if (len < total)
		return PROXY_AGAIN;
	/* TLVs after the addresses: type, 16-bit length, value; each must
	 * end within the header.  LOCAL and UNSPEC say nothing of where
	 * the addresses end, so their block is skipped whole. */
	for (p = V2_FIXED + need; cmd == 1 && af != 0 && p < total;) {
		if (total - p < 3)
			return PROXY_ERROR;
		p += 3 + ((size_t)buf[p + 1] << 8 | buf[p + 2]);
		if (p > total)
			return PROXY_ERROR;
	}
	memset(out, 0, sizeof(*out));
	out->version = 2;
	out->local = cmd == 0;
	out->family = PROXY_UNSPEC;
	/* Only TCP over IPv4/IPv6 is carried; UNIX and UDP fall back to
	 * the connection's own addresses (the spec allows that). */
	if (cmd == 1 && tp == 1 && (af == 1 || af == 2)) {
		size_t al = af == 1 ? 4 : 16;
		const uint8_t *a = buf + V2_FIXED;

		out->family = af == 1 ? PROXY_INET : PROXY_INET6;
		memcpy(out->src, a, al);
		memcpy(out->dst, a + al, al);
		out->src_port = (uint16_t)(a[2 * al] << 8 | a[2 * al + 1]);
		out->dst_port = (uint16_t)(a[2 * al + 2] << 8 | a[2 * al + 3]);
	}
	return (int)total;
}

int proxy_parse(const uint8_t *buf, size_t len, struct proxy_hdr *out)
{
	if (len == 0)
		return PROXY_AGAIN;
	if (buf[0] == v1_sig[0])
		return parse_v1(buf, len, out);
	if (buf[0] == v2_sig[0])
		return parse_v2(buf, len, out);
	return PROXY_ERROR;
}

/* An IPv4-mapped IPv6 source (::ffff:a.b.c.d, an IPv4 client of a
 * dual-stack balancer) is shown as IPv4, as src/addr.c shows the peers of
 * a dual-stack listener. */
int proxy_src_text(const struct proxy_hdr *h, char *out, size_t n)
{
	const uint8_t *a = h->src;
	int af = h->family == PROXY_INET ? AF_INET : AF_INET6;
	struct in6_addr a6;

	if (h->family == PROXY_UNSPEC || n > 0xffff)
		return -1;
	memcpy(&a6, h->src, sizeof(a6)); /* h->src need not be aligned */
	if (af == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a6)) {
		af = AF_INET;
		a += 12; /* the IPv4 address is the last 4 bytes */
	}
	return inet_ntop(af, a, out, (socklen_t)n) != NULL ? 0 : -1;
}
