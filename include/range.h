#ifndef RANGE_H
#define RANGE_H

/* Pure parser for a Range header (RFC 9110 14.2). */

#include <stdint.h>
#include "slice.h"

/* Parses `value` for a representation of `size` bytes.  Only a single
 * byte range is served:
 *   returns 1 and sets [*first, *last] (inclusive) for a satisfiable
 *      single range "bytes=a-b", "bytes=a-" or "bytes=-n";
 *   returns 0 when the header is to be ignored (syntax error, another
 *      unit, several ranges): the whole representation is served with 200;
 *   returns -1 when the range is unsatisfiable: 416 with
 *      "Content-Range: bytes * /size". */
int range_parse(struct slice value, uint64_t size, uint64_t *first, uint64_t *last);

#endif
