/* Error log (stderr or a file) and access log (combined format). */
#include "server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

void log_access(struct conn *c)
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	const struct server_conf *srv = c->srv ? c->srv : c->ls->def;
	struct server *sv = c->sv;
	char line[2048], rl[600], ref[300], ua[300], when[64];
	struct tm tm;
	long off;
	int fd, n;
	uint64_t body = c->sent > c->head_bytes ? c->sent - c->head_bytes : 0;

	fd = sv->access_fd[srv - sv->cf->servers];
	if (fd < 0)
		return;
	localtime_r(&sv->now, &tm);
	off = tm.tm_gmtoff / 60;
	snprintf(when, sizeof(when), "%02d/%s/%04d:%02d:%02d:%02d %c%02ld%02ld", tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
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
