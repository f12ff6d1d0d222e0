#ifndef CGI_HEAD_H
#define CGI_HEAD_H

/* Pure parser for a CGI response's header section (RFC 3875 6.2-6.3). */

#include <stddef.h>
#include "slice.h"

#define CGI_HEAD_MAX 16384
#define CGI_FIELDS_MAX 64

struct cgi_field {
	struct slice name;
	struct slice value; /* trimmed */
};

struct cgi_head {
	int status;               /* from Status: (e.g. 404), 0 if absent */
	struct slice reason;      /* reason phrase from Status:, may be empty */
	struct slice content_type;/* empty if absent */
	struct slice location;    /* empty if absent */
	int has_content_length;
	unsigned long long content_length;
	/* Every other field, in order (Set-Cookie may repeat).  Status,
	 * Content-Type, Location are not repeated here. */
	struct cgi_field fields[CGI_FIELDS_MAX];
	size_t nfields;
};

/* Parses buf[0..len).  Lines may end in LF or CRLF; the section ends at
 * an empty line.  Returns the number of bytes of the header section
 * (including the empty line) when complete, -2 when more bytes are
 * needed (and len < CGI_HEAD_MAX), -1 when malformed: a line without a
 * colon, an invalid field name, a bad Status, a bad Content-Length, too
 * many fields, no Content-Type/Location/Status at all, or an over-long
 * section. */
int cgi_head_parse(const char *buf, size_t len, struct cgi_head *out);

/* Classification of a parsed head (RFC 3875 6.2). */
enum cgi_kind {
	CGI_DOCUMENT,       /* normal response */
	CGI_LOCAL_REDIRECT, /* Location: /path, no Status -> internal GET */
	CGI_CLIENT_REDIRECT,/* Location: absolute URL -> 302 unless Status given */
};
enum cgi_kind cgi_head_kind(const struct cgi_head *h);

#endif
