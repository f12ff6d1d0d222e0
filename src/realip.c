/* The client's address from a trusted proxy's forwarding header
 * (realip.h): a pure module. */
#include "realip.h"

#include <arpa/inet.h>
#include <string.h>

#define ADDR_TEXT_MAX 45 /* the longest address text ("ffff:...:255.255.255.255") */

int realip_addr_parse(const char *s, size_t len, struct realip_addr *out)
{
	char text[ADDR_TEXT_MAX + 1];

	if (len == 0 || len > ADDR_TEXT_MAX || memchr(s, '\0', len) != NULL)
		return -1;
	memcpy(text, s, len);
	text[len] = '\0';
	memset(out, 0, sizeof(*out));
	/* inet_pton: exactly a dotted quad (no leading zeros in glibc) or
	 * IPv6 text; nothing before or after. */
	if (inet_pton(AF_INET, text, out->a) == 1)
		return 0;
	if (inet_pton(AF_INET6, text, out->a) == 1) {
		out->v6 = 1;
		return 0;
	}
	return -1;
}

int realip_cidr_parse(const char *s, size_t len, struct realip_cidr *out)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	unsigned bits = 0, max;

	if (realip_addr_parse(s, alen, &out->net) < 0)
		return -1;
	max = out->net.v6 ? 128 : 32;
	if (slash == NULL) {
		bits = max;
	} else {
		size_t nd = len - alen - 1;

		if (nd == 0 || nd > 3)
			return -1;
		for (size_t i = 0; i < nd; i++) {
			char ch = slash[1 + i];

			if (ch < '0' || ch > '9')
				return -1;
			bits = bits * 10 + (unsigned)(ch - '0');
		}
		if (bits > max)
			return -1;
	}
	out->bits = bits;
	/* Clear the host bits. */
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * i : 0;

		out->net.a[i] &= (uint8_t)(0xff00u >> keep);
	}
	return 0;
}

int realip_trusted(const struct realip_cidr *set, size_t n, const struct realip_addr *a)
{
	for (size_t k = 0; k < n; k++) {
		const struct realip_cidr *c = &set[k];
		unsigned full = c->bits / 8, rest = c->bits % 8;

		if (c->net.v6 != a->v6)
			continue;
		if (memcmp(c->net.a, a->a, full) != 0)
			continue;
		if (rest && ((a->a[full] ^ c->net.a[full]) & (uint8_t)(0xff00u >> rest)) != 0)
			continue;
		return 1;
	}
	return 0;
}

static int is_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* s[0..len) without leading and trailing white space. */
static struct slice trim(const char *s, size_t len)
{
	while (len && is_ows(s[0])) {
		s++;
		len--;
	}
	while (len && is_ows(s[len - 1]))
		len--;
	return (struct slice){ len ? s : NULL, len };
}

static int to_text(const struct realip_addr *a, char *out, size_t outlen)
{
	if (outlen < REALIP_TEXT_MAX)
		return -1;
	return inet_ntop(a->v6 ? AF_INET6 : AF_INET, a->a, out, (socklen_t)outlen) ? 1 : -1;
}

int realip_client(const struct realip_cidr *set, size_t n, const char *peer,
		  enum realip_header kind, const struct slice *vals, size_t nvals, char *out,
		  size_t outlen)
{
	struct realip_addr pa, client;
	int found = 0;

	if (nvals == 0 || realip_addr_parse(peer, strlen(peer), &pa) < 0 ||
	    !realip_trusted(set, n, &pa))
		return 0;
	if (kind == REALIP_X_REAL_IP) {
		struct slice v = trim(vals[0].p, vals[0].len);

		if (realip_addr_parse(v.p, v.len, &client) < 0)
			return -1;
		return to_text(&client, out, outlen);
	}
	/* X-Forwarded-For: one list over every line, walked from the
	 * right; each trusted hop passes the question on to the address
	 * before it (real_ip_recursive on).  Empty elements are allowed in
	 * a list (RFC 9110 5.6.1) and skipped. */
	for (size_t k = nvals; k-- > 0;) {
		const char *p = vals[k].p;
		size_t end = vals[k].len;

		if (end == 0)
			continue;
		for (;;) {
			size_t start = end;
			struct slice el;

			while (start > 0 && p[start - 1] != ',')
				start--;
			el = trim(p + start, end - start);
			if (el.len > 0) {
				if (realip_addr_parse(el.p, el.len, &client) < 0)
					return -1;
				found = 1;
				if (!realip_trusted(set, n, &client))
					return to_text(&client, out, outlen);
			}
			if (start == 0)
				break;
			end = start - 1;
		}
	}
	/* Every hop trusted: the left-most one is the client. */
	return found ? to_text(&client, out, outlen) : 0;
}
