#include "slice.h"

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

int slice_ieq(struct slice a, const char *s)
{
	size_t n = strlen(s);

	if (n != a.len)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)a.p[i]) != lower((unsigned char)s[i]))
			return 0;
	return 1;
}

int slice_eq(struct slice a, const char *s)
{
	size_t n = strlen(s);

	return n == a.len && (n == 0 || memcmp(a.p, s, n) == 0);
}
