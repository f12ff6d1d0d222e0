#ifndef CONN_H
#define CONN_H

/* A client connection: its state machine (conn.c is the only module that
 * moves it), the per-request data the handlers read and fill, and the
 * interfaces through which bodies flow: a request body is pushed into a
 * body_sink, a response body is pulled from a body_source. */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "chunked.h"
#include "config.h"
#include "loop.h"
#include "request.h"
#include "response.h"
#include "uri.h"

#define IN_BUF_INIT 4096
#define IN_BUF_MAX (REQUEST_HEAD_MAX + 65536) /* a head plus room for a pipelined one */
#define BODY_BUF_SIZE (512 * 1024)           /* input while a body is read: large reads */
#define OUT_BUF_SIZE (64 * 1024)             /* response head + small bodies + streamed data */

struct conn;
struct server;
struct listener;
struct conf_gen;

enum conn_state {
	CONN_READ_HEAD,  /* waiting for / parsing a request head */
	CONN_READ_BODY,  /* reading the request body into a sink */
	CONN_WAIT,       /* a handler waits for its own descriptor (a CGI's head) */
	CONN_WRITE,      /* writing a response (head, buffer, body source) */
	CONN_LINGER,     /* response sent, reading and dropping until EOF or timeout */
	CONN_CLOSE,      /* to be closed at the end of this iteration */
};

/* What a handler did (lighttpd's handler_t).  A positive value is an
 * HTTP error status, which http.c turns into a page. */
enum handler_result {
	HANDLER_DONE = 0,      /* a reply is queued in c->out (and c->src) */
	HANDLER_WAIT = -1,     /* waiting for an event on a descriptor it owns (c->wait) */
	HANDLER_AGAIN = -2,    /* internal redirect: c->path and c->fspath were set */
	HANDLER_REDIRECT = -3, /* local redirect: c->path and c->query set, to route as a GET */
	HANDLER_BODY = -4,     /* the request body is to be read into c->sink first */
	HANDLER_CLOSE = -5,    /* the connection must end (client gone, no memory) */
};

/* Where the request body goes.  data() returns 0, or an HTTP status that
 * ends the request (413, 400, 507, 500); end() is called once the whole
 * body arrived and returns a handler result; abort() undoes everything
 * (partial files, child processes) when the exchange fails. */
struct body_sink {
	int (*data)(struct conn *c, const char *p, size_t n);
	int (*end)(struct conn *c);
	void (*abort)(struct conn *c);
};

/* What a body source's pull() did. */
enum source_result {
	SOURCE_MORE,    /* bytes were queued in c->out, or sent: call again */
	SOURCE_BLOCKED, /* the socket takes no more until POLLOUT */
	SOURCE_WAIT,    /* the source waits for its own descriptor (conn_ready follows) */
	SOURCE_END,     /* the body is complete (c->out may hold its last bytes) */
	SOURCE_FAIL,    /* the body cannot be completed: the connection ends */
};

/* A response body after the head (h2o's generator): a file sent by
 * sendfile(), a CGI's output (chunk-framed or not).  A body that fits
 * in memory rides in c->out and needs none.  pull() is called with
 * c->out drained; free() releases what the source holds. */
struct body_source {
	enum source_result (*pull)(struct conn *c);
	void (*free)(struct conn *c);
};

/* A handler waiting for an event on a descriptor it owns (CONN_WAIT):
 * resume() when it came (conn_ready), expire() when the wait timed out;
 * both return a handler result. */
struct handler_wait {
	int (*resume)(struct conn *c);
	int (*expire)(struct conn *c);
};

struct upload;   /* upload.c */
struct fcache_entry; /* fcache.c */
struct cgi_proc; /* cgi.c */

/* What a connection needs only while it has a request: taken from the
 * server's buffer pool with the input buffer when request bytes come,
 * given back when it goes idle with nothing pending.  struct conn
 * points at its members under their own names (c->req, c->path, ...). */
struct conn_x {
	struct request_head req;
	struct request_scan scan; /* how much of a partial head is checked */
	char path[PATH_BUF];      /* normalised, decoded URI path */
	char query[PATH_BUF];     /* raw query, without '?' */
	char fspath[PATH_BUF];    /* file-system path */
	char allow[64];           /* Allow value of a 405 served as an error_page */
	/* Access-log copies (the input buffer moves between requests). */
	char log_line[512];
	char log_ref[256];
	char log_ua[256];
};

/* Sizes of the strings in struct conn_x (c->path etc. are pointers). */
#define CONN_ALLOW_MAX sizeof(((struct conn_x *)0)->allow)
#define CONN_LOG_LINE_MAX sizeof(((struct conn_x *)0)->log_line)
#define CONN_LOG_FIELD_MAX sizeof(((struct conn_x *)0)->log_ref)

struct conn {
	struct server *sv;
	struct conf_gen *gen;     /* configuration its exchange runs under (a reference) */
	const struct server_conf *def; /* default server of its address in gen */
	int fd;
	enum conn_state state;
	char peer[48];            /* remote address text ("192.0.2.1", "2001:db8::1") */
	uint16_t peer_port;
	int proxy_wait;           /* a PROXY protocol header must come first (conn_proxy.c) */
	int peer_saved;           /* peer_own holds the connection's own peer (set_real_ip_from) */
	char peer_own[48];        /* peer before a forwarding header named the request's client */
	uint16_t peer_own_port;
	struct listen_addr laddr; /* local address and port the client connected to;
				   * read it with conn_laddr() (a wildcard listener's
				   * address is asked from the kernel on first use) */
	int laddr_known;          /* laddr is the real one */
	struct conn *prev, *next; /* all connections, for the timeout sweep */
	struct conn *next_free;   /* closed, freed after the iteration */

	/* Input: head (and body bytes) of the current request.  NULL (and
	 * x with it) while idle. */
	char *in;
	size_t in_len, in_cap;
	size_t head_len;          /* bytes of the parsed head */
	size_t pos;               /* first unconsumed input byte (body or next request) */
	int nreq;                 /* requests served on this connection */
	struct conn_x *x;         /* per-request workspace, NULL while idle */
	struct request_head *req; /* &x->req */
	struct request_scan *scan; /* &x->scan */

	/* Routing results of the current request. */
	const struct server_conf *srv;
	const struct loc_conf *loc;
	char *path;               /* x->path (PATH_BUF bytes) */
	char *query;              /* x->query (PATH_BUF bytes) */
	char *fspath;             /* x->fspath (PATH_BUF bytes) */
	int head_only;            /* HEAD or a bodiless status: no body bytes */
	int keep_alive;           /* connection persists after this response */
	int redirects;            /* CGI internal redirects followed */
	char *allow;              /* x->allow (CONN_ALLOW_MAX bytes) */

	/* Body. */
	uint64_t body_left;       /* FRAMING_LENGTH: bytes still to read */
	uint64_t body_total;      /* body bytes received (decoded) */
	struct chunked chunk;
	const struct body_sink *sink; /* NULL: drop the body */
	int interim;              /* out holds a 100 Continue; the body follows it */
	int body_done;            /* the whole request body has been read */

	/* Handler state. */
	const struct handler_wait *wait; /* CONN_WAIT: who waits */
	struct upload *up;
	struct cgi_proc *cgi;

	/* Output. */
	struct obuf out;          /* head and buffered body bytes */
	size_t out_off;           /* bytes of out already written */
	const struct body_source *src; /* body after c->out, NULL if none */
	struct {
		int fd;
		off_t off, end;
		struct fcache_entry *ce; /* the cache entry fd belongs to (held), or NULL */
	} file;                   /* the file source's range of fd (file.c) */
	int src_wait;             /* CONN_WRITE paused until the source's descriptor is ready */
	int src_end;              /* the source said SOURCE_END */
	int status;               /* response status, for the log */
	uint64_t head_bytes;      /* bytes of the response head, for the log's body size */
	uint64_t sent;            /* bytes written for this response */
	int can_write;            /* the loop reported POLLOUT in this dispatch */
	int rd_eof;               /* the client shut down its sending side */

	/* Deadline (monotonic ms, 0 = none). */
	uint64_t deadline;

	/* Access-log copies in x (CONN_LOG_LINE_MAX, CONN_LOG_FIELD_MAX). */
	char *log_line;
	char *log_ref;
	char *log_ua;

	uint64_t idle_since;      /* monotonic ms when it became an idle keep-alive one */
};

/* The listener's loop handler: accepts every pending client. */
void conn_accept(struct loop *lp, int fd, short re, void *ctx);
/* Ends c (its request is aborted); freed after the loop iteration. */
void conn_close(struct conn *c);
/* Frees a closed connection (after the iteration): its buffers go back
 * to the pool. */
void conn_free(struct conn *c);
/* Watches (on) or ignores (off) the listening sockets: accepts pause
 * at the connection cap or when descriptors run out. */
void conn_listen(struct server *sv, int on);
/* Times out what is overdue; at shutdown closes idle connections. */
void conn_sweep(struct server *sv);
/* An event a handler or a source of c waited for came (its descriptor
 * is ready, or a CGI slot is free): steps c, and its wait timeout
 * starts again. */
void conn_ready(struct conn *c);
/* The local address and port c's client connected to, asked with
 * getsockname() once when the listener is a wildcard one (an IPv4
 * client of a dual-stack socket gets its IPv4 address). */
const struct listen_addr *conn_laddr(struct conn *c);
/* The local address as routing needs it: the wildcard (0.0.0.0 or [::])
 * stands for it on a wildcard listener when no server listens on c's
 * port at a specific address, so no system call is made. */
const struct listen_addr *conn_route_addr(struct conn *c, const struct config *cf);
/* Settings in force for c: the routed location once known, else the
 * default server of the listening address (timeouts before routing). */
const struct loc_conf *conn_conf(const struct conn *c);

#endif
