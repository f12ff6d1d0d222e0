#ifndef SERVER_H
#define SERVER_H

/* The I/O shell: listeners, connections and their state machine.  Only
 * these modules (conn, http, file, upload, cgi, main, log) touch
 * descriptors; the parsers they call are pure. */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "chunked.h"
#include "config.h"
#include "loop.h"
#include "request.h"
#include "response.h"

#define IN_BUF_INIT 4096
#define IN_BUF_MAX (REQUEST_HEAD_MAX + 65536) /* a head plus room for body reads */
#define OUT_BUF_SIZE (64 * 1024)             /* response head + small bodies + streamed data */
#define PATH_BUF (REQUEST_LINE_MAX + 256) /* a path or query from the longest request line */
#define LINGER_MS 2000

struct server;
struct conn;

struct listener {
	int fd;
	uint32_t addr; /* host byte order */
	uint16_t port;
	const struct server_conf *def; /* default server: timeouts before routing */
	struct server *sv;
};

enum conn_state {
	CONN_READ_HEAD,  /* waiting for / parsing a request head */
	CONN_READ_BODY,  /* reading the request body into a sink */
	CONN_CGI,        /* waiting for the CGI's header section */
	CONN_WRITE,      /* writing a response (head, buffer, file, CGI stream) */
	CONN_LINGER,     /* response sent, reading and dropping until EOF or timeout */
	CONN_CLOSE,      /* to be closed at the end of this iteration */
};

/* Where the request body goes.  data() returns 0, or an HTTP status that
 * ends the request (413, 400, 507, 500); end() is called once the whole
 * body arrived and must produce the response; abort() undoes everything
 * (partial files, child processes) when the exchange fails. */
struct body_sink {
	int (*data)(struct conn *c, const char *p, size_t n);
	void (*end)(struct conn *c);
	void (*abort)(struct conn *c);
};

struct upload;   /* upload.c */
struct cgi_proc; /* cgi.c */

struct conn {
	struct server *sv;
	struct listener *ls;
	int fd;
	enum conn_state state;
	char peer[48];            /* remote address text */
	uint16_t peer_port;
	uint32_t laddr;           /* local address the client connected to (host order) */
	uint16_t lport;
	struct conn *prev, *next; /* all connections, for the timeout sweep */
	struct conn *next_free;   /* closed, freed after the iteration */

	/* Input: head (and body bytes) of the current request. */
	char *in;
	size_t in_len, in_cap;
	size_t head_len;          /* bytes of the parsed head */
	size_t pos;               /* first unconsumed input byte (body or next request) */
	int nreq;                 /* requests served on this connection */
	struct request_head req;
	struct request_scan scan; /* how much of a partial head is checked */

	/* Routing results of the current request. */
	const struct server_conf *srv;
	const struct loc_conf *loc;
	char path[PATH_BUF];      /* normalised, decoded URI path */
	char query[PATH_BUF];     /* raw query, without '?' */
	char fspath[PATH_BUF];    /* file-system path */
	int head_only;            /* HEAD: no body bytes */
	int keep_alive;           /* connection persists after this response */
	int in_error_page;        /* serving an error_page: no recursion */
	int redirects;            /* CGI internal redirects followed */
	char allow[64];           /* Allow value of a 405 served as an error_page */

	/* Body. */
	uint64_t body_left;       /* FRAMING_LENGTH: bytes still to read */
	uint64_t body_total;      /* body bytes received (decoded) */
	struct chunked chunk;
	const struct body_sink *sink; /* NULL: drop the body */
	int body_error;           /* status from sink->data, body still drained */
	int interim;              /* out holds a 100 Continue; the body follows it */
	int body_done;            /* the whole request body has been read */

	/* Output. */
	struct obuf out;          /* head and buffered body bytes */
	size_t out_off;           /* bytes of out already written */
	int file_fd;              /* file body, -1 if none */
	off_t file_off, file_end;
	int status;               /* response status, for the log */
	uint64_t body_sent;       /* body bytes, for the log */
	uint64_t head_bytes;      /* bytes of the response head, for body_sent */
	uint64_t sent;            /* bytes written for this response */
	int wait_cgi;             /* CONN_WRITE paused until the CGI pipe has data */
	int can_write;            /* poll() reported POLLOUT in this dispatch */
	int rd_eof;               /* the client shut down its sending side */

	struct upload *up;
	struct cgi_proc *cgi;

	/* Deadline (monotonic ms, 0 = none). */
	uint64_t deadline;

	/* Access-log copies (the input buffer moves between requests). */
	char log_line[512];
	char log_ref[256];
	char log_ua[256];
	time_t start;

	uint64_t idle_since;      /* monotonic ms when it became an idle keep-alive one */
};

struct server {
	struct config *cf;
	struct loop *lp;
	struct listener *ls;
	size_t nls;
	struct conn *conns;       /* list head */
	size_t nconns;
	size_t max_conns;
	int accepting;            /* listeners polled for POLLIN */
	volatile int stopping;
	uint64_t now_ms;          /* monotonic clock, updated every iteration */
	time_t now;               /* wall clock */
	int *access_fd;           /* per server_conf index: fd or -1 */
	int error_fd;
	struct conn *closing;     /* connections to free after dispatch */
	uint64_t last_sweep;
	uint64_t stop_at;         /* shutdown deadline */
	uint64_t last_reclaim;    /* when an idle connection was last closed at the cap */
	size_t cgi_running;       /* CGI process groups started and not yet ended */
	size_t cgi_max;           /* cgi_max_processes in force */
	uint64_t cgi_ticket;      /* order of requests waiting for a CGI slot */
	int cgi_freed;            /* a slot ended: start waiting requests */
};

/* main.c / conn.c */
uint64_t clock_ms(void);
int server_listen(struct server *sv, char *err, size_t errlen);
void server_run(struct server *sv);

/* conn.c */
void conn_accept(struct loop *lp, int fd, short re, void *ctx);
void conn_update(struct conn *c);          /* recompute poll interest */
void conn_close(struct conn *c);
void conn_set_deadline(struct conn *c, uint64_t ms);
/* Settings in force for c: the routed location once known, else the
 * default server of the listening address (timeouts before routing). */
const struct loc_conf *conn_conf(const struct conn *c);
void conn_sweep(struct server *sv);
void conn_wake(struct conn *c);            /* continue the state machine */

/* http.c */
void http_handle_head(struct conn *c);     /* a complete head is in c->req */
void http_error(struct conn *c, int status);          /* error response */
/* http_begin starts a response head (status line, Date, Server); the
 * caller may append header lines to c->out; http_end_head adds
 * Content-Type, Content-Length (length >= 0), Connection and the blank
 * line, and switches the connection to writing. */
void http_begin(struct conn *c, int status);
void http_end_head(struct conn *c, const char *ctype, int64_t length);
void http_simple(struct conn *c, int status, const char *ctype, const char *body, size_t n);
void http_redirect(struct conn *c, int status, const char *location);
/* The built-in HTML page for status, with one extra header line when
 * extra_hdr is not NULL (no error_page lookup). */
void http_page(struct conn *c, int status, const char *extra_hdr, const char *extra_val);
void http_dispatch(struct conn *c);
/* Picks c->loc for c->path (plen bytes) and maps c->fspath.  Returns 0,
 * or 404 for a URI that would leave an alias/upload directory, 414 when
 * the file-system path does not fit. */
int http_route(struct conn *c, size_t plen);        /* route c->path and act (after body) */
void http_reset(struct conn *c);           /* per-request cleanup */
size_t http_allow(const struct conn *c, char *out, size_t n);

/* file.c */
void file_serve(struct conn *c, int status);     /* c->fspath, c->path */
void file_delete(struct conn *c);
/* RFC 9110 13.2.2 for the resource described by st (NULL: it does not
 * exist): If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since.
 * Returns 0 (go on), 304 (GET/HEAD not modified) or 412. */
struct stat;
int file_preconditions(struct conn *c, const struct stat *st);

/* upload.c */
int upload_begin(struct conn *c);          /* POST/PUT to upload_store; 0 or status */
void upload_free(struct conn *c);
/* At start-up: removes the named temporary files (`.upload-*`) a crash
 * left in every upload_store (where O_TMPFILE was refused). */
void upload_sweep(const struct config *cf);

/* cgi.c */
int cgi_match(struct conn *c);             /* 1 when c->path names a CGI script */
int cgi_begin(struct conn *c);             /* sink setup; 0 or status */
void cgi_free(struct conn *c);             /* kill + release */
void cgi_reap(struct server *sv);          /* SIGCHLD */
int cgi_fill(struct conn *c);              /* more streamed output into c->out */
void cgi_start_waiting(struct server *sv); /* start queued scripts while slots are free */
int cgi_waiting(const struct conn *c);     /* 1 while c waits for a CGI slot */

/* beneath.c: resolution below a configured directory that follows no
 * symbolic link (ELOOP when one is met; EXDEV for a ".." segment). */
/* Opens directory rel[0..len) ("" = dirfd itself) below dirfd.  Returns
 * a descriptor (caller closes) or -1 with errno. */
int beneath_open_dir(int dirfd, const char *rel, size_t len);
/* Opens the directory that holds rel below the directory base and points
 * *leaf at rel's last segment.  Returns a descriptor or -1 with errno. */
int beneath_parent(const char *base, const char *rel, const char **leaf);
/* 0 when no segment of rel below base is a symbolic link (or the path
 * does not exist), -1 with errno ELOOP (or another error) otherwise. */
int beneath_check(const char *base, const char *rel);

/* log.c */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_set_error_fd(int fd);
void log_access(struct conn *c);

#endif
