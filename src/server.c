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
#include "addr.h"
#include "cgi.h"
#include "conn.h"
#include "fcache.h"
#include "log.h"

#define FD_RESERVED 32         /* listeners, logs, the self-pipe */
#define FD_PER_CONN 4          /* a socket, a file and two CGI pipes */
#define CGI_PER_CORE 16        /* default cgi_max_processes per online core */
#define STOP_GRACE_MS 3000  /* in-flight exchanges get this long at shutdown */
#define LISTEN_BACKLOG 511
#define POLL_IDLE_MS 1000   /* loop wait with nothing to time out */
#define SWEEP_MS 100        /* deadline sweep period (and loop wait with clients) */

static volatile sig_atomic_t got_stop;   /* SIGINT, SIGTERM */
static volatile sig_atomic_t got_quit;   /* SIGQUIT: graceful stop */
static volatile sig_atomic_t got_reload; /* SIGHUP */
static volatile sig_atomic_t got_reopen; /* SIGUSR1 */
static volatile sig_atomic_t got_chld;
static int wake_pipe[2] = { -1, -1 };

uint64_t clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Signal handlers only set a flag and poke the self-pipe so the loop wakes. */
static void on_signal(int sig)
{
	int saved = errno;

	switch (sig) {
	case SIGCHLD:
		got_chld = 1;
		break;
	case SIGQUIT:
		got_quit = 1;
		break;
	case SIGHUP:
		got_reload = 1;
		break;
	case SIGUSR1:
		got_reopen = 1;
		break;
	default:
		got_stop = 1;
		break;
	}
	if (wake_pipe[1] >= 0 && write(wake_pipe[1], "x", 1) < 0) {
		/* full pipe: the loop wakes anyway */
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
	/* Called again in a forked worker: a pipe and flags of its own. */
	if (wake_pipe[0] >= 0) {
		close(wake_pipe[0]);
		close(wake_pipe[1]);
		wake_pipe[0] = wake_pipe[1] = -1;
	}
	got_stop = got_quit = got_reload = got_reopen = got_chld = 0;
	if (pipe2(wake_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	return 0;
}

/* Is the listen address la covered by a wildcard one on its port (for
 * its family), or already among ls[0..n)? */
static int covered(const struct config *cf, const struct listener *ls, size_t n,
		   const struct listen_addr *la)
{
	for (size_t k = 0; k < cf->nservers && !addr_is_any(la); k++)
		for (size_t m = 0; m < cf->servers[k].nlistens; m++)
			if (addr_covers(&cf->servers[k].listens[m], la))
				return 1;
	for (size_t k = 0; k < n; k++)
		if (addr_eq(&ls[k].la, la))
			return 1;
	return 0;
}

/* Binds one listener.  Returns 0, or -1 with a message in err. */
static int bind_one(struct listener *l, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = addr_to_sockaddr(&l->la, &ss);
	int one = 1, v6only = l->la.ipv6only, fd;
	char a[ADDR_TEXT_MAX];

	addr_format(&l->la, 1, a, sizeof(a));
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot listen on %s: socket: %s", a, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Set either way: the system default (bindv6only) varies. */
	if (l->la.v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0) {
		snprintf(err, errlen, "cannot listen on %s: IPV6_V6ONLY: %s", a, strerror(errno));
		close(fd);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", a, strerror(errno));
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
static struct listener *plan(struct server *sv, const struct config *cf, size_t *n)
{
	size_t total = 0;
	struct listener *ls;

	for (size_t i = 0; i < cf->nservers; i++)
		total += cf->servers[i].nlistens;
	ls = calloc(total ? total : 1, sizeof(*ls));
	*n = 0;
	if (ls == NULL)
		return NULL;
	for (size_t i = 0; i < cf->nservers; i++)
		for (size_t j = 0; j < cf->servers[i].nlistens; j++) {
			const struct listen_addr *la = &cf->servers[i].listens[j];

			if (covered(cf, ls, *n, la))
				continue;
			ls[(*n)++] = (struct listener){ .fd = -1, .la = *la, .def = &cf->servers[i],
							.sv = sv };
		}
	/* A socket expects the PROXY header when any listen it serves says so. */
	for (size_t k = 0; k < *n; k++)
		for (size_t i = 0; i < cf->nservers; i++)
			for (size_t j = 0; j < cf->servers[i].nlistens; j++) {
				const struct listen_addr *la = &cf->servers[i].listens[j];

				if (addr_eq(&ls[k].la, la) || addr_covers(&ls[k].la, la))
					ls[k].proxy_protocol |= la->proxy_protocol;
			}
	return ls;
}

int server_listen(struct server *sv, char *err, size_t errlen)
{
	sv->ls = plan(sv, sv->cf, &sv->nls);
	if (sv->ls == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t k = 0; k < sv->nls; k++)
		if (bind_one(&sv->ls[k], err, errlen) < 0)
			return -1;
	return 0;
}

int server_open_log(const char *path)
{
	if (strcmp(path, "stdout") == 0)
		return 1;
	if (strcmp(path, "stderr") == 0)
		return 2;
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

/* Is access_fd[k] the first use of its descriptor in g? */
static int first_use(const struct conf_gen *g, size_t k)
{
	for (size_t j = 0; j < k; j++)
		if (g->access_fd[j] == g->access_fd[k])
			return 0;
	return 1;
}

static void gen_free(struct conf_gen *g)
{
	if (g->access_fd != NULL)
		for (size_t k = 0; k < g->cf->nservers; k++)
			if (g->access_fd[k] > 2 && first_use(g, k))
				close(g->access_fd[k]);
	free(g->access_fd);
	config_free(g->cf);
	free(g);
}

/* A generation for cf with every server's access log open (one
 * descriptor per distinct path).  Takes cf.  NULL with err set. */
static struct conf_gen *gen_new(struct config *cf, char *err, size_t errlen)
{
	struct conf_gen *g = calloc(1, sizeof(*g));

	if (g == NULL || (g->access_fd = calloc(cf->nservers, sizeof(int))) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(g);
		config_free(cf);
		return NULL;
	}
	g->cf = cf;
	for (size_t k = 0; k < cf->nservers; k++)
		g->access_fd[k] = -1;
	for (size_t k = 0; k < cf->nservers; k++) {
		const char *al = cf->servers[k].access_log;

		for (size_t j = 0; j < k && al != NULL; j++)
			if (cf->servers[j].access_log && strcmp(cf->servers[j].access_log, al) == 0)
				g->access_fd[k] = g->access_fd[j];
		if (al != NULL && g->access_fd[k] < 0 && (g->access_fd[k] = server_open_log(al)) < 0) {
			snprintf(err, errlen, "cannot open access log \"%s\": %s", al, strerror(errno));
			gen_free(g);
			return NULL;
		}
	}
	return g;
}

struct conf_gen *server_gen_get(struct server *sv)
{
	sv->gen->refs++;
	return sv->gen;
}

void server_gen_put(struct server *sv, struct conf_gen *g)
{
	struct conf_gen **pp;

	if (g == NULL || --g->refs > 0)
		return;
	for (pp = &sv->gens; *pp != NULL; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	gen_free(g);
}

int server_set_config(struct server *sv, struct config *cf, char *err, size_t errlen)
{
	struct conf_gen *g;
	int efd = -1;

	efd = server_open_log(cf->error_log);
	if (efd < 0) {
		snprintf(err, errlen, "cannot open error log \"%s\": %s", cf->error_log, strerror(errno));
		config_free(cf);
		return -1;
	}
	g = gen_new(cf, err, errlen);
	if (g == NULL) {
		if (efd > 2)
			close(efd);
		return -1;
	}
	if (sv->error_fd > 2 && sv->error_fd != efd)
		close(sv->error_fd);
	sv->error_fd = efd;
	log_set_error_fd(efd);
	g->refs = 1;
	g->next = sv->gens;
	sv->gens = g;
	if (sv->gen != NULL)
		server_gen_put(sv, sv->gen);
	sv->gen = g;
	sv->cf = cf;
	/* Open files are looked up afresh under the new configuration. */
	fcache_free(sv->fc);
	sv->fc = NULL;
	return 0;
}

void server_caps(struct server *sv)
{
	size_t budget = sv->fd_budget > FD_RESERVED ? sv->fd_budget - FD_RESERVED : 1;

	sv->max_conns = sv->cf->max_connections;
	/* cgi_max_processes: CGI_PER_CORE per online core unless configured. */
	if (sv->cf->cgi_max_processes) {
		sv->cgi_max = sv->cf->cgi_max_processes;
	} else {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		sv->cgi_max = CGI_PER_CORE * (size_t)(ncpu > 0 ? ncpu : 1);
	}
	/* Each connection may hold a socket, a file and two CGI pipes. */
	if (sv->max_conns > budget / FD_PER_CONN)
		sv->max_conns = budget / FD_PER_CONN;
}

/* Reopens path onto fd (for logrotate: the old file was moved away). */
static void reopen_onto(const char *path, int fd)
{
	int nfd = server_open_log(path);

	if (nfd < 0) {
		log_error("cannot reopen \"%s\": %s", path, strerror(errno));
		return;
	}
	if (nfd != fd) {
		if (dup3(nfd, fd, O_CLOEXEC) < 0)
			log_error("cannot reopen \"%s\": %s", path, strerror(errno));
		close(nfd);
	}
}

/* SIGUSR1: every log file of every live generation is opened again
 * under its name; descriptors keep their numbers. */
void server_reopen_logs(struct server *sv)
{
	if (sv->error_fd > 2)
		reopen_onto(sv->cf->error_log, sv->error_fd);
	for (struct conf_gen *g = sv->gens; g != NULL; g = g->next)
		for (size_t k = 0; k < g->cf->nservers; k++)
			if (g->access_fd[k] > 2 && first_use(g, k))
				reopen_onto(g->cf->servers[k].access_log, g->access_fd[k]);
	log_error("logs reopened");
}

/* SIGHUP: the configuration is read again.  An invalid one is logged and
 * the old one stays.  Else listeners on addresses that stay are kept
 * open (no refused connection), new ones are bound, removed ones are
 * closed; new exchanges run under the new configuration while those in
 * flight finish under the one they started with. */
int server_reload(struct server *sv)
{
	char err[CONFIG_ERR_MAX];
	struct config *cf = sv->load(sv->conf_path, err, sizeof(err));
	struct listener *ls = NULL;
	size_t n = 0;

	if (cf == NULL) {
		log_error("reload failed, configuration kept: %s", err);
		return -1;
	}
	ls = plan(sv, cf, &n);
	if (ls == NULL) {
		log_error("reload failed, configuration kept: out of memory");
		config_free(cf);
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < sv->nls && ls[k].fd < 0; i++)
			if (sv->ls[i].fd >= 0 && addr_eq(&sv->ls[i].la, &ls[k].la) &&
			    sv->ls[i].la.ipv6only == ls[k].la.ipv6only)
				ls[k].fd = sv->ls[i].fd;
		if (ls[k].fd < 0 && bind_one(&ls[k], err, sizeof(err)) < 0) {
			log_error("reload failed, configuration kept: %s", err);
			goto undo;
		}
	}
	if (server_set_config(sv, cf, err, sizeof(err)) < 0) {
		cf = NULL; /* freed */
		log_error("reload failed, configuration kept: %s", err);
		goto undo;
	}
	/* Commit: the old listeners leave the loop; those not kept close. */
	for (size_t i = 0; i < sv->nls; i++) {
		int kept = 0;

		if (sv->ls[i].fd < 0)
			continue;
		loop_del(sv->lp, sv->ls[i].fd);
		for (size_t k = 0; k < n; k++)
			kept |= ls[k].fd == sv->ls[i].fd;
		if (!kept)
			close(sv->ls[i].fd);
	}
	free(sv->ls);
	sv->ls = ls;
	sv->nls = n;
	for (size_t k = 0; k < n; k++)
		loop_add(sv->lp, ls[k].fd, sv->accepting ? POLLIN : 0, conn_accept, &ls[k]);
	server_caps(sv);
	log_error("configuration reloaded, %zu listening socket(s)", sv->nls);
	return 0;
undo:
	/* Close only what this attempt bound. */
	for (size_t k = 0; k < n; k++) {
		int old = 0;

		for (size_t i = 0; i < sv->nls; i++)
			old |= sv->ls[i].fd == ls[k].fd;
		if (ls[k].fd >= 0 && !old)
			close(ls[k].fd);
	}
	free(ls);
	config_free(cf);
	return -1;
}

void server_free(struct server *sv)
{
	if (sv->ls != NULL)
		for (size_t k = 0; k < sv->nls; k++)
			if (sv->ls[k].fd >= 0)
				close(sv->ls[k].fd);
	free(sv->ls);
	sv->ls = NULL;
	if (sv->gen != NULL)
		server_gen_put(sv, sv->gen);
	/* Connections are all freed by now; nothing else holds one. */
	while (sv->gens != NULL) {
		struct conf_gen *g = sv->gens;

		sv->gens = g->next;
		gen_free(g);
	}
	sv->gen = NULL;
	sv->cf = NULL;
	if (sv->error_fd > 2)
		close(sv->error_fd);
	sv->error_fd = 2;
	log_set_error_fd(2);
	loop_free(sv->lp);
	sv->lp = NULL;
	fcache_free(sv->fc);
	sv->fc = NULL;
	bufpool_clear(&sv->pool);
}

static void free_conns(struct server *sv)
{
	while (sv->closing) {
		struct conn *c = sv->closing;

		sv->closing = c->next_free;
		conn_free(c);
	}
}

/* Starts the shutdown: no more accepts, idle connections closed.  A
 * graceful one (SIGQUIT) has no deadline of its own: each exchange runs
 * under its usual timeouts. */
static void begin_stop(struct server *sv, int graceful)
{
	sv->stopping = 1;
	sv->stop_at = graceful ? UINT64_MAX : sv->now_ms + STOP_GRACE_MS;
	for (size_t i = 0; i < sv->nls; i++) {
		if (sv->ls[i].fd < 0)
			continue;
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
		/* SIGTERM after SIGQUIT turns the graceful stop into a quick one. */
		if (got_stop && (!sv->stopping || sv->stop_at == UINT64_MAX))
			begin_stop(sv, 0);
		else if (got_quit && !sv->stopping)
			begin_stop(sv, 1);
		if (got_reopen) {
			got_reopen = 0;
			server_reopen_logs(sv);
		}
		if (got_reload) {
			got_reload = 0;
			if (!sv->stopping)
				server_reload(sv);
		}
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
