/* Harness for range_parse() (src/range.c).
 *
 * Input: a Range header value, parsed against a fixed set of
 * representation sizes (0, 1, small, 2^31/2^32/2^63 boundaries and
 * UINT64_MAX) and one size taken from the input's last bytes.  Oracles:
 * the result is -1, 0 or 1; for 1, first <= last < size; a size of 0 is
 * never satisfiable; the same input and size always give the same
 * result; whether the header is ignored (0) does not depend on the size
 * (it is syntax); and a range with a first byte keeps that first byte
 * as the size grows. */

#include "fuzz.h"
#include "range.h"

static const uint64_t sizes[] = {
	0, 1, 2, 9, 10, 11, 100, 1000,
	UINT64_C(2147483647), UINT64_C(2147483648), UINT64_C(4294967296),
	UINT64_C(9223372036854775807), UINT64_C(9223372036854775808),
	UINT64_MAX - 1, UINT64_MAX,
};

static int parse(const char *v, size_t n, uint64_t size, uint64_t *first,
		 uint64_t *last)
{
	int r;

	*first = 0x1111;
	*last = 0x2222;
	r = range_parse((struct slice){ n ? v : NULL, n }, size, first, last);
	FUZZ_CHECK(r == -1 || r == 0 || r == 1);
	if (r == 1) {
		FUZZ_CHECK(*first <= *last);
		FUZZ_CHECK(*last < size);
	}
	if (size == 0)
		FUZZ_CHECK(r != 1);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v = fuzz_dup(data, size);
	uint64_t f, l, f2, l2, own = 0;
	size_t i, k;
	int r, r2, prev_sat = 0;
	uint64_t prev_first = 0;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		r = parse(v, size, sizes[i], &f, &l);
		r2 = parse(v, size, sizes[i], &f2, &l2);
		FUZZ_CHECK(r == r2);
		if (r == 1)
			FUZZ_CHECK(f == f2 && l == l2);
		/* Syntax does not depend on the size: a header ignored for
		 * one size (0) is ignored for every size. */
		if (i > 0)
			FUZZ_CHECK((r == 0) == (prev_sat == 0));
		/* A non-suffix range keeps its first byte as the size grows. */
		if (r == 1 && prev_sat == 1 && memchr(v, '-', size) != NULL) {
			const char *eq = memchr(v, '=', size);

			if (eq != NULL && (size_t)(eq - v) + 1 < size &&
			    eq[1] >= '0' && eq[1] <= '9')
				FUZZ_CHECK(f == prev_first);
		}
		prev_sat = r == 1 ? 1 : r == 0 ? 0 : -1;
		prev_first = f;
	}
	for (k = 0; k < 8 && k < size; k++)
		own = own << 8 | data[size - 1 - k];
	parse(v, size, own, &f, &l);
	free(v);
	return 0;
}
