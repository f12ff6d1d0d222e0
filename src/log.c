/* The error log (stderr or a file) and the access log (combined
 * format): the copies of a request's line, Referer and User-Agent it
 * needs, and the line itself. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conn.h"
#include "response.h"
#include "server.h"

static int error_fd = 2;

void log_set_error_fd(int fd)
{
	error_fd = fd;
}

void log_error(const char *fmt, ...)
{
	char line[1024];
	int n;
	va_list ap;

	n = snprintf(line, sizeof(line), "webserv: ");
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* Best effort: a log that cannot take the line loses it. */
	if (write(error_fd, line, (size_t)n) < 0)
		return;
}

/* Copies s into out escaping '"', '\\' and non-printable bytes as \xHH,
 * as nginx does for log fields. */
static void esc(char *out, size_t n, const char *s)
{
	size_t j = 0;

	for (; *s && j + 5 < n; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\' || ch < 0x20 || ch >= 0x7f)
			j += (size_t)snprintf(out + j, n - j, "\\x%02X", ch);
		else
			out[j++] = (char)ch;
	}
	out[j] = '\0';
}

/* Copies a header value (truncated) into out, "" when absent. */
static void copy_field(const struct conn *c, const char *name, char *out, size_t n)
{
	const struct header_field *f = request_field(c->req, name);
	size_t len = f ? f->value.len : 0;

	if (len > n - 1)
		len = n - 1;
	if (len)
		memcpy(out, f->value.p, len);
	out[len] = '\0';
}

/* Copies the line at p (at most max bytes, up to CR or LF). */
static void copy_line(struct conn *c, const char *p, size_t max)
{
	size_t n = 0;

	while (n < max && p[n] != '\r' && p[n] != '\n' && n < CONN_LOG_LINE_MAX - 1)
		n++;
	memcpy(c->log_line, p, n);
	c->log_line[n] = '\0';
}

void log_keep_request(struct conn *c)
{
	const char *p = c->req->method.p;

	copy_line(c, p, c->in_len - (size_t)(p - c->in));
	copy_field(c, "Referer", c->log_ref, CONN_LOG_FIELD_MAX);
	copy_field(c, "User-Agent", c->log_ua, CONN_LOG_FIELD_MAX);
}

void log_keep_first_line(struct conn *c)
{
	size_t i = 0;

	while (i < c->in_len && (c->in[i] == '\r' || c->in[i] == '\n'))
		i++;
	copy_line(c, c->in + i, c->in_len - i);
}

void log_access(struct conn *c)
{
	const struct server_conf *srv = c->srv ? c->srv : c->def;
	struct server *sv = c->sv;
	char line[2048], rl[600], ref[300], ua[300], when[64];
	struct tm tm;
	long off;
	int fd, n;
	uint64_t body = c->sent > c->head_bytes ? c->sent - c->head_bytes : 0;

	fd = c->gen->access_fd[srv - c->gen->cf->servers];
	if (fd < 0)
		return;
	localtime_r(&sv->now, &tm);
	off = tm.tm_gmtoff / 60;
	snprintf(when, sizeof(when), "%02d/%s/%04d:%02d:%02d:%02d %c%02ld%02ld", tm.tm_mday,
		 response_month(tm.tm_mon), tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
	esc(rl, sizeof(rl), c->log_line);
	esc(ref, sizeof(ref), c->log_ref[0] ? c->log_ref : "-");
	esc(ua, sizeof(ua), c->log_ua[0] ? c->log_ua : "-");
	n = snprintf(line, sizeof(line), "%s - - [%s] \"%s\" %d %llu \"%s\" \"%s\"\n", c->peer, when, rl,
		     c->status, (unsigned long long)body, ref, ua);
	if (n > (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 1;
	if (write(fd, line, (size_t)n) < 0)
		return;
}
