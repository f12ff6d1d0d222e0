/* Pure response building: the capped output buffer, reason phrases,
 * HTTP dates both ways, status lines, error and autoindex pages. */
#include "response.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "uri.h"

void obuf_add(struct obuf *ob, const void *data, size_t n)
{
	if (n == 0)
		return;
	if (ob->overflow || n > ob->cap - ob->len) {
		ob->overflow = 1;
		return;
	}
	memcpy(ob->p + ob->len, data, n);
	ob->len += n;
}

void obuf_str(struct obuf *ob, const char *s)
{
	obuf_add(ob, s, strlen(s));
}

void obuf_printf(struct obuf *ob, const char *fmt, ...)
{
	va_list ap;
	int n;
	size_t room = ob->cap - ob->len;

	if (ob->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(ob->p + ob->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		ob->overflow = 1;
		return;
	}
	ob->len += (size_t)n;
}

void obuf_html(struct obuf *ob, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': obuf_str(ob, "&amp;"); break;
		case '<': obuf_str(ob, "&lt;"); break;
		case '>': obuf_str(ob, "&gt;"); break;
		case '"': obuf_str(ob, "&quot;"); break;
		case '\'': obuf_str(ob, "&#39;"); break;
		default: obuf_add(ob, s + i, 1);
		}
	}
}

const char *response_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 418: return "I'm a teapot";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	case 507: return "Insufficient Storage";
	default: return "Unknown";
	}
}

static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

void response_date(time_t t, char *out)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	/* The C locale is never changed, so %a and %b are English. */
	if (strftime(out, 32, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
		out[0] = '\0';
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), no timezone. */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

const char *response_month(int m)
{
	return m >= 0 && m < 12 ? months[m] : "???";
}

static int month_index(const char *s)
{
	for (int i = 0; i < 12; i++)
		if (memcmp(s, months[i], 3) == 0)
			return i;
	return -1;
}

int response_parse_date(const char *s, size_t n, time_t *t)
{
	char buf[64], mon[4] = { 0 }, wd[16];
	int d, y, hh, mm, ss, mi, k = 0;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
	if (sscanf(buf, "%3s, %2d %3s %4d %2d:%2d:%2d GMT%n", wd, &d, mon, &y, &hh, &mm, &ss, &k) == 7 &&
	    (size_t)k == n) {
		/* ok */
	} else if (sscanf(buf, "%15[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d GMT%n", wd, &d, mon, &y, &hh, &mm, &ss, &k) == 7 &&
		   (size_t)k == n) {
		y += y < 70 ? 2000 : 1900; /* RFC 850, two-digit year */
	} else if (sscanf(buf, "%3s %3s %2d %2d:%2d:%2d %4d%n", wd, mon, &d, &hh, &mm, &ss, &y, &k) == 7 &&
		   (size_t)k == n) {
		/* asctime */
	} else {
		return -1;
	}
	mi = month_index(mon);
	if (mi < 0 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 || y < 1970 || y > 9999)
		return -1;
	*t = (time_t)((days_from_civil(y, (unsigned)mi + 1, (unsigned)d) * 86400) + hh * 3600 + mm * 60 + ss);
	return 0;
}

void response_start(struct obuf *ob, int status, time_t now)
{
	char date[32];

	response_date(now, date);
	response_start_dated(ob, status, date);
}

void response_start_dated(struct obuf *ob, int status, const char *date)
{
	obuf_printf(ob, "HTTP/1.1 %d %s\r\nServer: " WEBSERV_SOFTWARE "\r\nDate: %s\r\n", status,
		    response_reason(status), date);
}

void response_error_body(struct obuf *ob, int status)
{
	const char *r = response_reason(status);

	obuf_printf(ob,
		    "<!DOCTYPE html>\n<html>\n<head><title>%d %s</title></head>\n"
		    "<body>\n<center><h1>%d %s</h1></center>\n<hr><center>" WEBSERV_SOFTWARE "</center>\n"
		    "</body>\n</html>\n",
		    status, r, status, r);
}

/* Types that take a charset besides text/...: scripts and XML read as
 * text (nginx's charset_types adds application/javascript and
 * application/rss+xml to its text types). */
static int charset_type(const char *t, size_t n)
{
	static const char *const extra[] = { "application/javascript", "application/xml",
					     "application/rss+xml", "application/atom+xml" };

	if (n > 5 && strncasecmp(t, "text/", 5) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (strlen(extra[i]) == n && strncasecmp(t, extra[i], n) == 0)
			return 1;
	return 0;
}

const char *response_content_type(const char *type, const char *charset, char *buf, size_t n)
{
	size_t tl = strcspn(type, "; \t");
	int w;

	if (charset == NULL || charset[0] == '\0' || !charset_type(type, tl))
		return type;
	for (const char *p = type + tl; *p; p++)
		if (strncasecmp(p, "charset=", 8) == 0)
			return type; /* the type names its own */
	w = snprintf(buf, n, "%s; charset=%s", type, charset);
	return w < 0 || (size_t)w >= n ? type : buf;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct dir_entry *x = a, *y = b;

	if (x->is_dir != y->is_dir)
		return y->is_dir - x->is_dir;
	return strcmp(x->name, y->name);
}

void response_sort_entries(struct dir_entry *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), entry_cmp);
}

void response_autoindex(struct obuf *ob, const char *uri, const struct dir_entry *v, size_t n,
			size_t more, int more_plus)
{
	char enc[1024 * 3 + 1];
	char date[32];

	obuf_str(ob, "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>Index of ");
	obuf_html(ob, uri, strlen(uri));
	obuf_str(ob, "</title></head>\n<body>\n<h1>Index of ");
	obuf_html(ob, uri, strlen(uri));
	obuf_str(ob, "</h1><hr><pre>\n");
	if (strcmp(uri, "/") != 0)
		obuf_str(ob, "<a href=\"../\">../</a>\n");
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(v[i].name);
		struct tm tm;
		time_t mt = v[i].mtime;

		if (uri_encode_path(v[i].name, len, enc, sizeof(enc)) == (size_t)-1)
			continue;
		gmtime_r(&mt, &tm);
		snprintf(date, sizeof(date), "%02d-%s-%04d %02d:%02d", tm.tm_mday,
			 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
		obuf_str(ob, "<a href=\"");
		obuf_html(ob, enc, strlen(enc));
		if (v[i].is_dir)
			obuf_str(ob, "/");
		obuf_str(ob, "\">");
		obuf_html(ob, v[i].name, len);
		if (v[i].is_dir)
			obuf_str(ob, "/");
		obuf_str(ob, "</a>");
		if (v[i].is_dir)
			obuf_printf(ob, "  %s  -\n", date);
		else
			obuf_printf(ob, "  %s  %llu\n", date, (unsigned long long)v[i].size);
	}
	obuf_str(ob, "</pre>");
	if (more)
		obuf_printf(ob, "<p>%zu%s more entries not listed.</p>", more, more_plus ? "+" : "");
	obuf_str(ob, "<hr>\n</body>\n</html>\n");
}
