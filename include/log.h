#ifndef LOG_H
#define LOG_H

/* The error log (stderr or a file) and the access log (combined format). */

struct conn;

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_set_error_fd(int fd);
/* Copies the request line, Referer and User-Agent of the parsed request
 * for the access line (the input buffer moves on before it is written). */
void log_keep_request(struct conn *c);
/* The same for a request rejected while parsing: its first line as
 * received. */
void log_keep_first_line(struct conn *c);
/* Writes the access line of the response c has just finished. */
void log_access(struct conn *c);

#endif
