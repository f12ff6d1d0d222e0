#ifndef ROUTE_H
#define ROUTE_H

/* Router: listening address + Host + normalised path -> server ->
 * location -> file-system path.  Pure: reads the config tree only. */

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "slice.h"

/* Picks the server for a request that arrived on the local address and
 * port `local` with Host header `host` (may be empty; may carry ":port",
 * which is stripped; an IPv6 literal keeps its brackets: "[::1]";
 * compared case-insensitively).  Servers listening on exactly that
 * address take precedence over those on a wildcard that takes it
 * (0.0.0.0, or [::] for IPv6 and with ipv6only=off for IPv4 too); among
 * the candidates a server_name match wins, else the candidate whose
 * listen says default_server, else the first in file order (the default
 * server).  Returns NULL only when no server listens on that port for
 * that address at all. */
const struct server_conf *route_server(const struct config *cf, const struct listen_addr *local,
				       struct slice host);

/* 1 when some server of cf listens on lport at a specific address (not
 * 0.0.0.0 or [::]): then a connection to a wildcard listener on lport
 * needs its local address to be routed. */
int route_port_has_addr(const struct config *cf, uint16_t lport);

/* Picks the location for a normalised path (starts with '/'): an exact
 * `location = path` first, else the longest matching prefix (plain
 * character prefix: "/img" matches "/images"), else the server's own
 * settings (&srv->srv). Never NULL. */
const struct loc_conf *route_location(const struct server_conf *srv,
				      const char *path, size_t len);

/* Maps the normalised path to a file-system path for location lc:
 * root semantics (root + path) or alias semantics (alias + path with the
 * location prefix removed).  Writes a NUL-terminated string to out.
 * Returns 0, -1 when it does not fit (caller answers 414), or -2 (alias
 * only) when the path is not under the location's prefix at a segment
 * boundary ("/img../x" for `location /img`), so nothing inside the alias
 * directory is named (caller answers 404). */
int route_fs_path(const struct loc_conf *lc, const char *path, size_t len,
		  char *out, size_t outlen);

/* Returns the interpreter configured for the extension of `name`
 * (the part from its last '.' in the last segment), or NULL. */
const char *route_cgi(const struct loc_conf *lc, const char *name, size_t len);

/* Returns the error_page URI for code, or NULL. */
const char *route_error_page(const struct loc_conf *lc, int code);

/* M_* bit for a method name, 0 for any other. */
unsigned route_method_bit(struct slice method);

/* The methods lc really serves: its allow_methods, less PUT without an
 * upload_store and POST with neither a store nor a script (the Allow of
 * a 405 and of OPTIONS). */
unsigned route_allow_mask(const struct loc_conf *lc);
/* The same for a server as a whole (OPTIONS *): its own settings and
 * every location that is not a `return`. */
unsigned route_allow_server(const struct server_conf *s);
/* Formats the Allow value for the M_* bits m, plus OPTIONS when options
 * is set ("GET, HEAD, POST"), into out; whole names only.  Returns its
 * length. */
#define ROUTE_ALLOW_MAX 64 /* room for every method */
size_t route_allow_format(unsigned m, int options, char *out, size_t outlen);

/* route_allow_format of lc->methods as configured. */
size_t route_allow(const struct loc_conf *lc, char *out, size_t outlen);

#endif
