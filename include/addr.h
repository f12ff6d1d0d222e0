#ifndef ADDR_H
#define ADDR_H

/* Listening and local addresses (struct listen_addr, config.h): IPv4 and
 * IPv6 compared, matched against wildcards, formatted, and converted
 * from and to socket addresses.  Pure: no I/O. */

#include <stddef.h>
#include <sys/socket.h>
#include "config.h"

/* Longest text addr_format writes: "[" IPv6 "]:65535" and a NUL. */
#define ADDR_TEXT_MAX 56

/* Same family, address and port?  (Flags such as ipv6only do not
 * count.) */
int addr_eq(const struct listen_addr *a, const struct listen_addr *b);

/* The wildcard address of its family (0.0.0.0 or [::])? */
int addr_is_any(const struct listen_addr *a);

/* Does the wildcard listen w take connections to a (a wildcard too, on
 * the same port, for a's family: 0.0.0.0 for IPv4, [::] for IPv6 and,
 * with ipv6only=off, for IPv4 too)? */
int addr_covers(const struct listen_addr *w, const struct listen_addr *a);

/* Writes a's address as text: "127.0.0.1", "::1" (no brackets), and
 * with with_port "127.0.0.1:8080", "[::1]:8080".  Returns its length
 * (out is NUL-terminated; ADDR_TEXT_MAX bytes hold any). */
size_t addr_format(const struct listen_addr *a, int with_port, char *out, size_t outlen);

/* The address and port of a socket address (AF_INET or AF_INET6; an
 * IPv4-mapped IPv6 address becomes the IPv4 one).  0, or -1 for another
 * family. */
int addr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct listen_addr *out);

/* The socket address for a (AF_INET or AF_INET6) into ss.  Returns its
 * length. */
socklen_t addr_to_sockaddr(const struct listen_addr *a, struct sockaddr_storage *ss);

#endif
