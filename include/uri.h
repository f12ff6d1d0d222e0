#ifndef URI_H
#define URI_H

/* Pure request-target handling: split path / query, percent-decode,
 * remove dot segments (RFC 3986 5.2.4). */

#include <stddef.h>
#include "request.h"
#include "slice.h"

/* Bytes for a path or query from the longest request line, or a file-
 * system path made from one. */
#define PATH_BUF (REQUEST_LINE_MAX + 256)

/* Removes dot segments from the NUL-free path in[0..len) exactly as
 * RFC 3986 5.2.4 (a ".." above the top is dropped, as the RFC says).
 * Writes to out (room for len + 1 bytes; NUL-terminated).  Returns the
 * output length. */
size_t uri_remove_dots(const char *in, size_t len, char *out);

/* Turns a request-target (origin-form "/p?q" or absolute-form
 * "http://host/p?q") into a safe path:
 *   - the query (without '?') is returned in *query as a slice of target;
 *   - the path is percent-decoded (%2F becomes '/'), runs of '/' collapse
 *     to one, "." and ".." segments are resolved;
 *   - a ".." that would climb above "/" is an error, as is %00, a bad
 *     %-escape, a control character, or a path not starting with '/'.
 * out has room for outlen bytes; the result is NUL-terminated and always
 * starts with '/'.  A trailing '/' of the input is kept.  Returns 0, or an
 * HTTP status (400, or 414 when out is too small). */
int uri_normalize(struct slice target, char *out, size_t outlen, size_t *olen,
		  struct slice *query);

/* Percent-encodes a path for use in a Location header or HTML href
 * (unreserved characters and '/' are kept).  Returns the length written
 * (NUL-terminated), or (size_t)-1 if it does not fit. */
size_t uri_encode_path(const char *in, size_t len, char *out, size_t outlen);

#endif
