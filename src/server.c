/* The server: listening sockets, signals (a flag and a self-pipe) and
 * the loop driver: poll, deadline sweeps, CGI reaping and slot hand-out,
 * graceful shutdown, and freeing closed connections after dispatch. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "cgi.h"
#include "conn.h"
#include "log.h"

#define STOP_GRACE_MS 3000  /* in-flight exchanges get this long at shutdown */
#define LISTEN_BACKLOG 511
#define POLL_IDLE_MS 1000   /* poll() wait with nothing to time out */
#define SWEEP_MS 100        /* deadline sweep period (and poll() wait with clients) */

static volatile sig_atomic_t got_stop;
static volatile sig_atomic_t got_chld;
static int wake_pipe[2] = { -1, -1 };

uint64_t clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Signal handlers only set a flag and poke the self-pipe so poll() wakes. */
static void on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_stop = 1;
	if (wake_pipe[1] >= 0 && write(wake_pipe[1], "x", 1) < 0) {
		/* full pipe: poll() wakes anyway */
	}
	errno = saved;
}

static void on_wake(struct loop *lp, int fd, short re, void *ctx)
{
	char buf[64];

	(void)lp;
	(void)re;
	(void)ctx;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

int server_signals(void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if (pipe2(wake_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	return 0;
}

/* Is the listen address la covered by a wildcard one on its port, or
 * already planned? */
static int covered(const struct server *sv, const struct listen_addr *la)
{
	const struct config *cf = sv->cf;

	for (size_t k = 0; k < cf->nservers && la->addr != 0; k++)
		for (size_t m = 0; m < cf->servers[k].nlistens; m++)
			if (cf->servers[k].listens[m].port == la->port && cf->servers[k].listens[m].addr == 0)
				return 1;
	for (size_t k = 0; k < sv->nls; k++)
		if (sv->ls[k].addr == la->addr && sv->ls[k].port == la->port)
			return 1;
	return 0;
}

/* Binds one listener.  Returns 0, or -1 with a message in err. */
static int bind_one(struct listener *l, char *err, size_t errlen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(l->addr);
	sa.sin_port = htons(l->port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &sa.sin_addr, a, sizeof(a));
		snprintf(err, errlen, "cannot listen on %s:%u: %s", a, l->port, strerror(errno));
		close(fd);
		return -1;
	}
	l->fd = fd;
	return 0;
}

/* One listening socket per distinct HOST:PORT; a wildcard address on a
 * port covers the specific ones (the accepted socket's local address
 * still selects the server).  The default server of a wildcard listener
 * is the first server on that port, whatever its address. */
int server_listen(struct server *sv, char *err, size_t errlen)
{
	const struct config *cf = sv->cf;
	size_t total = 0;

	for (size_t i = 0; i < cf->nservers; i++)
		total += cf->servers[i].nlistens;
	sv->ls = calloc(total ? total : 1, sizeof(*sv->ls));
	if (sv->ls == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < cf->nservers; i++)
		for (size_t j = 0; j < cf->servers[i].nlistens; j++) {
			const struct listen_addr *la = &cf->servers[i].listens[j];

			if (covered(sv, la))
				continue;
			sv->ls[sv->nls++] = (struct listener){ .fd = -1, .addr = la->addr, .port = la->port,
							       .def = &cf->servers[i], .sv = sv };
		}
	for (size_t k = 0; k < sv->nls; k++)
		if (bind_one(&sv->ls[k], err, errlen) < 0)
			return -1;
	return 0;
}

static void free_conns(struct server *sv)
{
	while (sv->closing) {
		struct conn *c = sv->closing;

		sv->closing = c->next_free;
		free(c->in);
		free(c->out.p);
		free(c);
	}
}

/* Starts the shutdown: no more accepts, idle connections closed. */
static void begin_stop(struct server *sv)
{
	sv->stopping = 1;
	sv->stop_at = sv->now_ms + STOP_GRACE_MS;
	for (size_t i = 0; i < sv->nls; i++) {
		loop_del(sv->lp, sv->ls[i].fd);
		close(sv->ls[i].fd);
		sv->ls[i].fd = -1;
	}
	conn_sweep(sv); /* closes idle connections at once */
}

static void tick(struct server *sv)
{
	sv->now_ms = clock_ms();
	sv->now = time(NULL);
}

void server_run(struct server *sv)
{
	for (size_t k = 0; k < sv->nls; k++)
		loop_add(sv->lp, sv->ls[k].fd, POLLIN, conn_accept, &sv->ls[k]);
	loop_add(sv->lp, wake_pipe[0], POLLIN, on_wake, NULL);
	sv->accepting = 1;
	log_error("ready, %zu listening socket(s)", sv->nls);
	for (;;) {
		int timeout = POLL_IDLE_MS;

		tick(sv);
		if (got_stop && !sv->stopping)
			begin_stop(sv);
		if (got_chld) {
			got_chld = 0;
			cgi_reap(sv);
		}
		if (sv->stopping) {
			if (sv->nconns == 0)
				break;
			if (sv->now_ms >= sv->stop_at) {
				while (sv->conns)
					conn_close(sv->conns);
				break;
			}
			timeout = SWEEP_MS;
		}
		if (sv->now_ms - sv->last_sweep >= SWEEP_MS) {
			sv->last_sweep = sv->now_ms;
			conn_sweep(sv);
			/* Accepts paused on EMFILE: try again. */
			if (!sv->stopping && sv->nconns < sv->max_conns)
				conn_listen(sv, 1);
		}
		free_conns(sv);
		if (sv->nconns)
			timeout = timeout > SWEEP_MS ? SWEEP_MS : timeout;
		loop_once(sv->lp, timeout);
		tick(sv);
		if (sv->cgi_freed && !sv->stopping)
			cgi_start_waiting(sv);
		free_conns(sv);
	}
	free_conns(sv);
	cgi_reap(sv);
}
