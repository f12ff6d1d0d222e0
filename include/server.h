#ifndef SERVER_H
#define SERVER_H

/* The server (server.c): listening sockets, signals and the loop driver
 * (poll, deadline sweeps, CGI reaping, shutdown).  The I/O shell beneath
 * it: conn (connections) -> http (requests) -> file, upload, cgi
 * (handlers) -> reply -> the pure modules. */

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "config.h"
#include "loop.h"

struct conn;

struct listener {
	int fd;
	uint32_t addr; /* host byte order */
	uint16_t port;
	const struct server_conf *def; /* default server: timeouts before routing */
	struct server *sv;
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

/* Monotonic milliseconds. */
uint64_t clock_ms(void);
/* Installs the SIGINT/SIGTERM/SIGCHLD handlers (they set a flag and
 * wake poll() through a self-pipe) and ignores SIGPIPE.  0 or -1. */
int server_signals(void);
/* Binds one listening socket per distinct HOST:PORT of sv->cf.  Returns
 * 0, or -1 with a message in err. */
int server_listen(struct server *sv, char *err, size_t errlen);
/* Watches the listeners and runs the loop until a stop signal and the
 * end of the in-flight exchanges (or the grace period). */
void server_run(struct server *sv);

#endif
