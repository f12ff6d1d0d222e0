#ifndef RESPONSE_H
#define RESPONSE_H

/* Pure response building: status lines, header lines, dates, default
 * HTML error pages, autoindex pages.  Writes into caller buffers. */

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "version.h"

/* A growable-but-capped output buffer owned by the caller. */
struct obuf {
	char *p;
	size_t len;
	size_t cap;
	int overflow; /* set when an append did not fit (content truncated) */
};

/* Appends n bytes / a C string / printf output.  On overflow nothing
 * partial is appended and ob->overflow is set. */
void obuf_add(struct obuf *ob, const void *data, size_t n);
void obuf_str(struct obuf *ob, const char *s);
void obuf_printf(struct obuf *ob, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s with &, <, >, ", ' escaped for HTML. */
void obuf_html(struct obuf *ob, const char *s, size_t n);

/* Reason phrase for a status code ("Unknown" for others). */
const char *response_reason(int status);

/* RFC 9110 5.6.7 IMF-fixdate of t into out (at least 32 bytes). */
void response_date(time_t t, char *out);
/* English abbreviation of month m (0 = "Jan"). */
const char *response_month(int m);
/* Parses an HTTP-date (IMF-fixdate, RFC 850 or asctime form).  Returns 0
 * and sets *t, or -1. */
int response_parse_date(const char *s, size_t n, time_t *t);

/* Appends the status line "HTTP/1.1 CODE REASON\r\n" and the Date and
 * Server lines. */
void response_start(struct obuf *ob, int status, time_t now);
/* The same with the Date value already formatted (response_date). */
void response_start_dated(struct obuf *ob, int status, const char *date);

/* Appends the default HTML page for an error status. */
void response_error_body(struct obuf *ob, int status);

/* Generated HTML pages (error pages, autoindex, upload replies) are
 * UTF-8 and say so. */
#define RESPONSE_HTML "text/html; charset=utf-8"

/* The Content-Type of a file of MIME type `type` under `charset NAME;`
 * (charset NULL or "" = off).  "TYPE; charset=NAME" is written into
 * buf[0..n) and returned when type is a text/... type, application/javascript,
 * application/xml, application/rss+xml or application/atom+xml and has
 * no charset parameter of its own; otherwise (or when it does not fit)
 * type itself is returned. */
const char *response_content_type(const char *type, const char *charset, char *buf, size_t n);

/* One directory entry for an autoindex page. */
struct dir_entry {
	const char *name;
	int is_dir;
	uint64_t size;
	time_t mtime;
};

/* Sorts entries (directories first, then by name, bytewise). */
void response_sort_entries(struct dir_entry *v, size_t n);
/* Appends the autoindex HTML for URI path `uri` (already decoded) with
 * the sorted entries; names are HTML-escaped and percent-encoded in links.
 * more > 0 adds a line saying that many entries were left out ("N+"
 * when more_plus: at least that many). */
void response_autoindex(struct obuf *ob, const char *uri, const struct dir_entry *v, size_t n,
			size_t more, int more_plus);

#endif
