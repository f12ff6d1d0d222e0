/* Range header (RFC 9110 14.1.2, 14.2): one byte range at most. */

#include "range.h"
#include "ascii.h"

static void skip_ows(const char *p, size_t n, size_t *i)
{
	while (*i < n && ascii_ows((unsigned char)p[*i]))
		(*i)++;
}

/* OWS ch OWS at p[*i]: 1 and *i past them, or 0. */
static int expect(const char *p, size_t n, size_t *i, char ch)
{
	skip_ows(p, n, i);
	if (*i >= n || p[*i] != ch)
		return 0;
	(*i)++;
	skip_ows(p, n, i);
	return 1;
}

/* Reads 1*DIGIT at p[*i].  Returns 1 with the number, 0 if there is no
 * digit, -1 on overflow. */
static int parse_num(const char *p, size_t n, size_t *i, uint64_t *out)
{
	uint64_t v = 0;
	size_t s = *i;

	for (; *i < n && ascii_digit((unsigned char)p[*i]); (*i)++) {
		unsigned d = (unsigned)(p[*i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return *i > s;
}

int range_parse(struct slice value, uint64_t size, uint64_t *first,
		uint64_t *last)
{
	const char *p = value.p;
	size_t n = value.len, i = 0;
	uint64_t a = 0, b = 0;
	int has_a, has_b;

	/* ranges-specifier = range-unit "=" range-set; the unit is
	 * case-insensitive (14.1). */
	skip_ows(p, n, &i);
	if (n - i < 5 || !ascii_ieqn(p + i, "bytes", 5))
		return 0;
	i += 5;
	if (!expect(p, n, &i, '='))
		return 0;
	/* int-range = first-pos "-" [ last-pos ]; suffix-range = "-" length.
	 * A comma (several ranges) leaves junk after the first one. */
	if ((has_a = parse_num(p, n, &i, &a)) < 0 || !expect(p, n, &i, '-'))
		return 0;
	if ((has_b = parse_num(p, n, &i, &b)) < 0)
		return 0;
	skip_ows(p, n, &i);
	if (i != n || (!has_a && !has_b))
		return 0;

	if (has_a) {
		if (has_b && a > b)
			return 0;
		if (a >= size)
			return -1;
		*first = a;
		*last = has_b && b < size - 1 ? b : size - 1;
		return 1;
	}
	if (b == 0 || size == 0)
		return -1;
	*first = b >= size ? 0 : size - b;
	*last = size - 1;
	return 1;
}
