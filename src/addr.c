/* Listening and local addresses: IPv4 in host byte order in addr,
 * IPv6 in network byte order in addr6 (see struct listen_addr). */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int addr_eq(const struct listen_addr *a, const struct listen_addr *b)
{
	if (a->v6 != b->v6 || a->port != b->port)
		return 0;
	return a->v6 ? memcmp(a->addr6, b->addr6, 16) == 0 : a->addr == b->addr;
}

int addr_is_any(const struct listen_addr *a)
{
	static const uint8_t zero[16];

	return a->v6 ? memcmp(a->addr6, zero, 16) == 0 : a->addr == 0;
}

int addr_covers(const struct listen_addr *w, const struct listen_addr *a)
{
	if (w->port != a->port || !addr_is_any(w))
		return 0;
	if (w->v6)
		return a->v6 || !w->ipv6only;
	return !a->v6;
}

size_t addr_format(const struct listen_addr *a, int with_port, char *out, size_t outlen)
{
	char ip[INET6_ADDRSTRLEN];
	int n;

	if (a->v6) {
		inet_ntop(AF_INET6, a->addr6, ip, sizeof(ip));
	} else {
		struct in_addr in = { htonl(a->addr) };

		inet_ntop(AF_INET, &in, ip, sizeof(ip));
	}
	if (!with_port)
		n = snprintf(out, outlen, "%s", ip);
	else
		n = snprintf(out, outlen, a->v6 ? "[%s]:%u" : "%s:%u", ip, (unsigned)a->port);
	if (n < 0)
		n = 0;
	return (size_t)n < outlen ? (size_t)n : (outlen ? outlen - 1 : 0);
}

int addr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct listen_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;

		out->addr = ntohl(s4->sin_addr.s_addr);
		out->port = ntohs(s4->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		const uint8_t *b = s6->sin6_addr.s6_addr;

		out->port = ntohs(s6->sin6_port);
		/* A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d. */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			out->addr = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
				    (uint32_t)b[14] << 8 | b[15];
			return 0;
		}
		out->v6 = 1;
		memcpy(out->addr6, b, 16);
		return 0;
	}
	return -1;
}

socklen_t addr_to_sockaddr(const struct listen_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(s6->sin6_addr.s6_addr, a->addr6, 16);
		return sizeof(*s6);
	}
	{
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		s4->sin_addr.s_addr = htonl(a->addr);
		return sizeof(*s4);
	}
}
