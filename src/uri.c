/* Request-target handling (RFC 9112 3.2, RFC 3986). */

#include <string.h>
#include "uri.h"
#include "ascii.h"

static int prefix_ieq(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	if (n < k)
		return 0;
	return ascii_ieqn(p, s, k);
}

/* RFC 3986 5.2.4: drops the last segment and its preceding "/" from the
 * output buffer. */
static void drop_segment(const char *out, size_t *o)
{
	while (*o > 0 && out[*o - 1] != '/')
		(*o)--;
	if (*o > 0)
		(*o)--;
}

size_t uri_remove_dots(const char *in, size_t len, char *out)
{
	size_t i = 0, o = 0;

	while (i < len) {
		const char *p = in + i;
		size_t rest = len - i;

		if (rest >= 3 && memcmp(p, "../", 3) == 0) {
			i += 3;                         /* A */
		} else if (rest >= 2 && memcmp(p, "./", 2) == 0) {
			i += 2;                         /* A */
		} else if (rest >= 3 && memcmp(p, "/./", 3) == 0) {
			i += 2;                         /* B: "/./" -> "/" */
		} else if (rest == 2 && memcmp(p, "/.", 2) == 0) {
			out[o++] = '/';                 /* B: "/." -> "/", then E */
			i = len;
		} else if (rest >= 4 && memcmp(p, "/../", 4) == 0) {
			drop_segment(out, &o);          /* C: "/../" -> "/" */
			i += 3;
		} else if (rest == 3 && memcmp(p, "/..", 3) == 0) {
			drop_segment(out, &o);          /* C: "/.." -> "/", then E */
			out[o++] = '/';
			i = len;
		} else if ((rest == 1 && p[0] == '.') ||
			   (rest == 2 && memcmp(p, "..", 2) == 0)) {
			i = len;                        /* D */
		} else {
			size_t j = i + (p[0] == '/');   /* E */

			while (j < len && in[j] != '/')
				j++;
			memcpy(out + o, p, j - i);
			o += j - i;
			i = j;
		}
	}
	out[o] = '\0';
	return o;
}

/* Decodes path[0..n) into out, collapsing runs of '/'.  Returns 0 or a
 * status. */
static int decode_path(const char *path, size_t n, char *out, size_t outlen,
		       size_t *olen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				return 400;
			hi = ascii_hex((unsigned char)path[i + 1]);
			lo = ascii_hex((unsigned char)path[i + 2]);
			if (hi < 0 || lo < 0)
				return 400;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		/* NUL would cut the file name short; other controls have no
		 * business in a path. */
		if (c < 0x20 || c == 0x7f)
			return 400;
		if (c == '/' && o > 0 && out[o - 1] == '/')
			continue;
		if (o + 1 >= outlen)
			return 414;
		out[o++] = (char)c;
	}
	*olen = o;
	return 0;
}

/* Resolves "." and ".." in the decoded path out[0..*olen) (which starts
 * with '/' and has no "//"), in place: the output never outruns the
 * input.  Unlike RFC 3986 5.2.4, a ".." above the top is an error. */
static int resolve_dots(char *out, size_t *olen)
{
	size_t r = 0, w = 0, n = *olen;
	int slash = 0; /* the result must end in '/' */

	while (r < n) {
		size_t s = r + 1, e = s;

		while (e < n && out[e] != '/')
			e++;
		if (e - s == 0 || (e - s == 1 && out[s] == '.')) {
			slash = 1;
		} else if (e - s == 2 && out[s] == '.' && out[s + 1] == '.') {
			if (w == 0)
				return 400;
			while (out[w - 1] != '/')
				w--;
			w--;
			slash = 1;
		} else {
			memmove(out + w, out + r, e - r);
			w += e - r;
			slash = 0;
		}
		r = e;
	}
	if (slash || w == 0)
		out[w++] = '/';
	out[w] = '\0';
	*olen = w;
	return 0;
}

int uri_normalize(struct slice target, char *out, size_t outlen, size_t *olen,
		  struct slice *query)
{
	const char *p = target.p;
	size_t n = target.len, i = 0, pe, len = 0;
	int rc;

	*olen = 0;
	*query = (struct slice){ NULL, 0 };
	if (outlen > 0)
		out[0] = '\0';
	if (n == 0)
		return 400;

	/* origin-form starts with '/'; absolute-form (RFC 9112 3.2.2) has
	 * its path after the authority.  "*" (asterisk-form) and
	 * authority-form are not served. */
	if (p[0] != '/') {
		if (prefix_ieq(p, n, "http://"))
			i = 7;
		else if (prefix_ieq(p, n, "https://"))
			i = 8;
		else
			return 400;
		while (i < n && p[i] != '/' && p[i] != '?' && p[i] != '#')
			i++;
	}
	pe = i;
	while (pe < n && p[pe] != '?' && p[pe] != '#')
		pe++;
	if (pe < n && p[pe] == '?') {
		size_t qs = pe + 1, qe = qs;

		while (qe < n && p[qe] != '#')
			qe++;
		if (qe > qs)
			*query = (struct slice){ p + qs, qe - qs };
	}

	if (pe == i) {
		/* absolute-form with an empty path */
		if (outlen < 2)
			return 414;
		out[len++] = '/';
	} else if ((rc = decode_path(p + i, pe - i, out, outlen, &len)) != 0) {
		return rc;
	}
	if ((rc = resolve_dots(out, &len)) != 0) {
		out[0] = '\0';
		return rc;
	}
	*olen = len;
	return 0;
}

size_t uri_encode_path(const char *in, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		/* RFC 3986 2.3 unreserved, and the path separator. */
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~' || c == '/') {
			if (o + 1 >= outlen)
				return (size_t)-1;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= outlen)
				return (size_t)-1;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= outlen)
		return (size_t)-1;
	out[o] = '\0';
	return o;
}
