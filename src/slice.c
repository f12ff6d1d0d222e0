/* Slices: comparisons of borrowed byte ranges with C strings. */
#include "slice.h"
#include "ascii.h"

int slice_ieq(struct slice a, const char *s)
{
	size_t n = strlen(s);

	return n == a.len && ascii_ieqn(a.p, s, n);
}

int slice_eq(struct slice a, const char *s)
{
	size_t n = strlen(s);

	return n == a.len && (n == 0 || memcmp(a.p, s, n) == 0);
}
