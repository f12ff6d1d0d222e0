#ifndef SERVER_H
#define SERVER_H

/* The server (server.c): listening sockets, signals and the loop driver
 * (poll, deadline sweeps, CGI reaping, shutdown).  The I/O shell beneath
 * it: conn (connections) -> http (requests) -> file, upload, cgi
 * (handlers) -> reply -> the pure modules. */

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "bufpool.h"
#include "config.h"
#include "loop.h"

struct conn;
struct fcache;

/* One loaded configuration and the access logs it opened.  The current
 * one is held by the server; every connection holds the one its
 * exchange runs under, so a reload never pulls a configuration from
 * under a request in flight (nginx's cycles). */
struct conf_gen {
	struct config *cf;
	int *access_fd;          /* per server_conf index: fd or -1 (one fd per distinct path) */
	size_t refs;             /* connections holding it, +1 while it is the current one */
	struct conf_gen *next;   /* all live generations */
};

/* Loads and checks the configuration file at path.  Returns the tree
 * (caller owns it) or NULL with one line in err. */
typedef struct config *(*server_load_fn)(const char *path, char *err, size_t errlen);

struct listener {
	int fd;
	struct listen_addr la; /* address, port and socket options */
	int proxy_protocol;            /* a PROXY protocol header comes first on its connections */
	const struct server_conf *def; /* default server: timeouts before routing */
	struct server *sv;
};

struct server {
	struct config *cf;        /* the current configuration (gen->cf) */
	struct conf_gen *gen;     /* the current generation */
	struct conf_gen *gens;    /* every live generation (current and draining) */
	const char *conf_path;    /* what a reload reads */
	server_load_fn load;      /* how a reload reads it */
	size_t fd_budget;         /* descriptors the loop may watch (caps connections) */
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
	int error_fd;             /* error log: 2 or an opened file */
	struct conn *closing;     /* connections to free after dispatch */
	uint64_t last_sweep;
	uint64_t stop_at;         /* shutdown deadline */
	uint64_t last_reclaim;    /* when an idle connection was last closed at the cap */
	size_t cgi_running;       /* CGI process groups started and not yet ended */
	size_t cgi_max;           /* cgi_max_processes in force */
	uint64_t cgi_ticket;      /* order of requests waiting for a CGI slot */
	int cgi_freed;            /* a slot ended: start waiting requests */
	struct bufpool pool;      /* connection buffers and workspaces (conn.c) */
	struct fcache *fc;        /* open-file cache (file.c makes it on first use), or NULL */
};

/* Monotonic milliseconds. */
uint64_t clock_ms(void);
/* Installs the handlers of SIGINT/SIGTERM (stop), SIGQUIT (graceful
 * stop), SIGHUP (reload), SIGUSR1 (reopen the logs) and SIGCHLD (they
 * set a flag and wake the loop through a self-pipe) and ignores SIGPIPE.
 * Called again (in a forked worker) it makes a new self-pipe and clears
 * the flags.  0 or -1. */
int server_signals(void);
/* Opens the error log of cf (path, "stderr" or "stdout").  The
 * descriptor, or -1 with errno set. */
int server_open_log(const char *path);
/* Makes cf the current configuration: opens its access logs and the
 * error log.  Takes ownership of cf (freed on failure too).  0, or -1
 * with a message in err. */
int server_set_config(struct server *sv, struct config *cf, char *err, size_t errlen);
/* Sets the connection and CGI caps from sv->cf and sv->fd_budget. */
void server_caps(struct server *sv);
/* Takes a reference on the current generation (for a connection). */
struct conf_gen *server_gen_get(struct server *sv);
/* Drops a reference; the last one frees the generation. */
void server_gen_put(struct server *sv, struct conf_gen *g);
/* Releases everything the server holds (listeners, generations, logs,
 * the loop). */
void server_free(struct server *sv);
/* Binds one listening socket per distinct HOST:PORT of sv->cf.  Returns
 * 0, or -1 with a message in err. */
int server_listen(struct server *sv, char *err, size_t errlen);
/* The configuration read again (sv->load on sv->conf_path): an invalid
 * one is logged and the old one stays (-1); else listeners on addresses
 * that stay are kept, new ones bound, removed ones closed, and the new
 * configuration becomes current (0). */
int server_reload(struct server *sv);
/* Every log file of every live generation opened again under its name
 * (logrotate); descriptors keep their numbers. */
void server_reopen_logs(struct server *sv);
/* Watches the listeners and runs the loop until a stop signal and the
 * end of the in-flight exchanges (SIGINT/SIGTERM: within a grace
 * period; SIGQUIT: bounded by the usual timeouts only).  SIGHUP
 * reloads the configuration (sv->load on sv->conf_path); SIGUSR1
 * reopens the log files. */
void server_run(struct server *sv);

#endif
