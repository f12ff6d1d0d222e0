/* CGI response head parser (pure, RFC 3875 6): Status, Location,
 * Content-Type and the other header fields of a script's output. */
#include <string.h>

#include "cgi_head.h"
#include "ascii.h"

/* Fields seen so far (bits of a mask). */
enum {
	S_STATUS = 1,
	S_TYPE = 2,
	S_LOCATION = 4,
	S_LENGTH = 8,
};

/* tchar (RFC 9110 5.6.2). */
/* Status: 3DIGIT [ SP reason-phrase ] (RFC 3875 6.3.3), code 100..599.
 * Returns 0 or -1. */
static int parse_status(struct slice v, struct cgi_head *out)
{
	const char *p = v.p;
	size_t i;

	if (v.len < 3 || !ascii_digit((unsigned char)p[0]) ||
	    !ascii_digit((unsigned char)p[1]) || !ascii_digit((unsigned char)p[2]))
		return -1;
	out->status = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	if (out->status < 100 || out->status > 599)
		return -1;
	if (v.len == 3) {
		out->reason = (struct slice){ NULL, 0 };
		return 0;
	}
	if (!ascii_ows((unsigned char)p[3]))
		return -1;
	/* The value is trimmed, so the reason never ends in white space. */
	for (i = 4; i < v.len && ascii_ows((unsigned char)p[i]); i++)
		;
	out->reason = (struct slice){ p + i, v.len - i };
	return 0;
}

/* Content-Length: 1*DIGIT, no sign, no overflow.  Returns 0 or -1. */
static int parse_length(struct slice v, unsigned long long *out)
{
	unsigned long long n = 0;

	if (v.len == 0)
		return -1;
	for (size_t i = 0; i < v.len; i++) {
		int d = (unsigned char)v.p[i] - '0';

		if (d < 0 || d > 9)
			return -1;
		if (n > (~0ULL - (unsigned long long)d) / 10)
			return -1;
		n = n * 10 + (unsigned long long)d;
	}
	*out = n;
	return 0;
}

/* Takes one field line; value is trimmed.  *seen collects the S_ bits
 * of the fields met so far.  Returns 0 or -1. */
static int add_field(struct cgi_head *out, struct slice name,
		     struct slice value, unsigned *seen)
{
	if (slice_ieq(name, "Status")) {
		if (*seen & S_STATUS)
			return -1;
		*seen |= S_STATUS;
		return parse_status(value, out);
	}
	if (slice_ieq(name, "Content-Type")) {
		if ((*seen & S_TYPE) || value.len == 0)
			return -1;
		*seen |= S_TYPE;
		out->content_type = value;
		return 0;
	}
	if (slice_ieq(name, "Location")) {
		if ((*seen & S_LOCATION) || value.len == 0)
			return -1;
		*seen |= S_LOCATION;
		out->location = value;
		return 0;
	}
	if (slice_ieq(name, "Content-Length")) {
		/* Two lengths could disagree; one is enough. */
		if ((*seen & S_LENGTH) ||
		    parse_length(value, &out->content_length) < 0)
			return -1;
		*seen |= S_LENGTH;
		out->has_content_length = 1;
		/* It stays in fields[] as well: only Status, Content-Type
		 * and Location are kept out. */
	}
	if (out->nfields == CGI_FIELDS_MAX)
		return -1;
	out->fields[out->nfields].name = name;
	out->fields[out->nfields].value = value;
	out->nfields++;
	return 0;
}

int cgi_head_parse(const char *buf, size_t len, struct cgi_head *out)
{
	size_t limit = len < CGI_HEAD_MAX ? len : CGI_HEAD_MAX;
	size_t pos = 0;
	unsigned seen = 0;

	memset(out, 0, sizeof(*out));
	for (;;) {
		const char *line = buf + pos;
		const char *lf = limit > pos ? memchr(line, '\n', limit - pos) : NULL;
		const char *eol, *colon, *v, *vend;
		struct slice name;

		if (lf == NULL)
			/* No end within the limit: wait, unless it can
			 * never fit. */
			return len >= CGI_HEAD_MAX ? -1 : -2;
		eol = lf;
		if (eol > line && eol[-1] == '\r')
			eol--;
		pos = (size_t)(lf - buf) + 1;
		if (eol == line)
			break; /* the empty line */

		colon = memchr(line, ':', (size_t)(eol - line));
		if (colon == NULL || colon == line)
			return -1;
		for (const char *q = line; q < colon; q++)
			if (!ascii_tchar((unsigned char)*q))
				return -1;
		name = (struct slice){ line, (size_t)(colon - line) };
		v = colon + 1;
		while (v < eol && ascii_ows((unsigned char)*v))
			v++;
		vend = eol;
		while (vend > v && ascii_ows((unsigned char)vend[-1]))
			vend--;
		/* Field values hold no control characters but HTAB (RFC
		 * 9110 5.5); a stray CR would end up in the response. */
		for (const char *q = v; q < vend; q++) {
			int c = (unsigned char)*q;

			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return -1;
		}
		if (add_field(out, name, (struct slice){ vend > v ? v : NULL,
							 (size_t)(vend - v) },
			      &seen) < 0)
			return -1;
	}
	/* RFC 3875 6.2: a response needs at least one of these. */
	if (!(seen & (S_STATUS | S_TYPE | S_LOCATION)))
		return -1;
	return (int)pos;
}

enum cgi_kind cgi_head_kind(const struct cgi_head *h)
{
	const char *p = h->location.p;
	size_t n = h->location.len, i;

	if (n == 0)
		return CGI_DOCUMENT;
	/* local-Location = abs-path [ "?" query ] (RFC 3875 6.2.2); "//x"
	 * would name another host, so it is not local. */
	if (p[0] == '/')
		return (h->status == 0 && (n == 1 || p[1] != '/')) ?
			CGI_LOCAL_REDIRECT : CGI_DOCUMENT;
	/* absoluteURI: scheme ":" ... (RFC 3986 3.1). */
	if (!ascii_alpha((unsigned char)p[0]))
		return CGI_DOCUMENT;
	for (i = 1; i < n; i++) {
		int c = (unsigned char)p[i];

		if (!ascii_alpha(c) && !ascii_digit(c) && c != '+' && c != '-' &&
		    c != '.')
			break;
	}
	return (i < n && p[i] == ':') ? CGI_CLIENT_REDIRECT : CGI_DOCUMENT;
}
