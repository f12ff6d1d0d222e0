#ifndef SLICE_H
#define SLICE_H

#include <stddef.h>
#include <string.h>

/* A view of len bytes at p, owned by someone else (never NUL-terminated
 * by contract). */
struct slice {
	const char *p; /* first byte, or NULL when len == 0 */
	size_t len;    /* number of bytes */
};

#define SLICE_LIT(s) ((struct slice){ (s), sizeof(s) - 1 })

/* Case-insensitive ASCII comparison of a slice with a C string. */
int slice_ieq(struct slice a, const char *s);
/* Exact comparison of a slice with a C string. */
int slice_eq(struct slice a, const char *s);

#endif
