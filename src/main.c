/* webserv: command line, configuration loading, listeners, signals and
 * the main loop. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VERSION "1.0"
#define STOP_GRACE_MS 3000

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

static int io_read_file(void *ctx, const char *path, char **data, size_t *len)
{
	FILE *f;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	struct stat st;

	(void)ctx;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	for (;;) {
		size_t r;

		if (n == cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if (cap > (64u << 20) || (nb = realloc(buf, cap)) == NULL) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	*data = buf;
	*len = n;
	return 0;
}

static int io_is_dir(void *ctx, const char *path)
{
	struct stat st;

	(void)ctx;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: webserv [-t] [-h] [-v] [CONFIG]\n"
		   "  -t      check the configuration and exit\n"
		   "  -h      show this help\n"
		   "  -v      show the version\n"
		   "  CONFIG  configuration file (default: conf/default.conf)\n");
}

/* One listening socket per distinct HOST:PORT; a wildcard address on a
 * port covers the specific ones (the accepted socket's local address
 * still selects the server). */
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
	for (size_t i = 0; i < cf->nservers; i++) {
		for (size_t j = 0; j < cf->servers[i].nlistens; j++) {
			const struct listen_addr *la = &cf->servers[i].listens[j];
			int dup = 0, wild = 0;

			for (size_t k = 0; k < cf->nservers; k++)
				for (size_t m = 0; m < cf->servers[k].nlistens; m++)
					if (cf->servers[k].listens[m].port == la->port &&
					    cf->servers[k].listens[m].addr == 0)
						wild = 1;
			if (wild && la->addr != 0)
				continue;
			for (size_t k = 0; k < sv->nls; k++)
				if (sv->ls[k].addr == la->addr && sv->ls[k].port == la->port)
					dup = 1;
			if (dup)
				continue;
			sv->ls[sv->nls] = (struct listener){ .fd = -1, .addr = la->addr, .port = la->port,
							     .def = &cf->servers[i], .sv = sv };
			sv->nls++;
		}
	}
	/* The default server of a wildcard listener is the first server on
	 * that port, whatever its address. */
	for (size_t k = 0; k < sv->nls; k++) {
		struct listener *l = &sv->ls[k];
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
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 511) < 0) {
			char a[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &sa.sin_addr, a, sizeof(a));
			snprintf(err, errlen, "cannot listen on %s:%u: %s", a, l->port, strerror(errno));
			close(fd);
			return -1;
		}
		l->fd = fd;
	}
	return 0;
}

static int open_log(const char *path)
{
	if (path == NULL)
		return -1;
	if (strcmp(path, "stdout") == 0)
		return 1;
	if (strcmp(path, "stderr") == 0)
		return 2;
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
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

void server_run(struct server *sv)
{
	for (;;) {
		int timeout = 1000;

		sv->now_ms = clock_ms();
		sv->now = time(NULL);
		if (got_stop && !sv->stopping) {
			sv->stopping = 1;
			sv->stop_at = sv->now_ms + STOP_GRACE_MS;
			for (size_t i = 0; i < sv->nls; i++) {
				loop_del(sv->lp, sv->ls[i].fd);
				close(sv->ls[i].fd);
				sv->ls[i].fd = -1;
			}
			conn_sweep(sv); /* closes idle connections at once */
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
			timeout = 100;
		}
		if (sv->now_ms - sv->last_sweep >= 100) {
			sv->last_sweep = sv->now_ms;
			conn_sweep(sv);
			if (!sv->stopping && !sv->accepting && sv->nconns < sv->max_conns) {
				/* Accepts paused on EMFILE: try again. */
				for (size_t i = 0; i < sv->nls; i++)
					loop_set(sv->lp, sv->ls[i].fd, POLLIN);
				sv->accepting = 1;
			}
		}
		free_conns(sv);
		if (sv->nconns)
			timeout = timeout > 100 ? 100 : timeout;
		loop_once(sv->lp, timeout);
		sv->now_ms = clock_ms();
		sv->now = time(NULL);
		if (sv->cgi_freed && !sv->stopping)
			cgi_start_waiting(sv);
		free_conns(sv);
	}
	free_conns(sv);
	cgi_reap(sv);
}

int main(int argc, char **argv)
{
	const char *path = "conf/default.conf";
	char *abspath;
	struct config_io io = { io_read_file, io_is_dir, NULL, NULL };
	struct server sv = { 0 };
	struct sigaction sa = { 0 };
	struct rlimit rl;
	char err[CONFIG_ERR_MAX];
	int test = 0, i, status = 1;
	size_t maxfds;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-t") == 0)
			test = 1;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("webserv/%s\n", VERSION);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "webserv: unknown option \"%s\"\n", argv[i]);
			usage(stderr);
			return 1;
		} else if (i == argc - 1) {
			path = argv[i];
		} else {
			fprintf(stderr, "webserv: too many arguments\n");
			usage(stderr);
			return 1;
		}
	}

	/* An absolute configuration path makes every root absolute, which CGI
	 * scripts (run in their own directory) need. */
	abspath = realpath(path, NULL);
	if (abspath != NULL) {
		char *slash = strrchr(abspath, '/');

		if (slash == abspath)
			slash[1] = '\0';
		else
			*slash = '\0';
		io.base_dir = abspath;
	}
	sv.cf = config_load(path, &io, err, sizeof(err));
	free(abspath);
	if (sv.cf == NULL) {
		fprintf(stderr, "webserv: %s\n", err);
		return 1;
	}
	if (test) {
		fprintf(stderr, "webserv: %s: syntax is ok\n", path);
		config_free(sv.cf);
		return 0;
	}

	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if (pipe2(wake_pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		fprintf(stderr, "webserv: pipe: %s\n", strerror(errno));
		goto out;
	}
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);

	sv.error_fd = open_log(sv.cf->error_log);
	if (sv.error_fd < 0) {
		fprintf(stderr, "webserv: cannot open error log \"%s\": %s\n", sv.cf->error_log,
			strerror(errno));
		goto out;
	}
	log_set_error_fd(sv.error_fd);
	sv.access_fd = calloc(sv.cf->nservers, sizeof(int));
	if (sv.access_fd == NULL)
		goto out;
	for (size_t k = 0; k < sv.cf->nservers; k++) {
		const char *al = sv.cf->servers[k].access_log;

		sv.access_fd[k] = -1;
		for (size_t j = 0; j < k && al != NULL; j++)
			if (sv.cf->servers[j].access_log && strcmp(sv.cf->servers[j].access_log, al) == 0)
				sv.access_fd[k] = sv.access_fd[j];
		if (al != NULL && sv.access_fd[k] < 0 && (sv.access_fd[k] = open_log(al)) < 0) {
			fprintf(stderr, "webserv: cannot open access log \"%s\": %s\n", al, strerror(errno));
			goto out;
		}
	}

	/* Room for every connection, its files, CGI pipes and listeners. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	maxfds = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (size_t)rl.rlim_cur : 1024;
	upload_sweep(sv.cf);
	sv.max_conns = sv.cf->max_connections;
	/* cgi_max_processes: 16 per online core unless configured. */
	if (sv.cf->cgi_max_processes) {
		sv.cgi_max = sv.cf->cgi_max_processes;
	} else {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		sv.cgi_max = 16 * (size_t)(ncpu > 0 ? ncpu : 1);
	}
	/* Each connection may hold a socket, a file and two CGI pipes. */
	if (sv.max_conns > (maxfds - 32) / 4)
		sv.max_conns = (maxfds - 32) / 4;
	sv.lp = loop_new(maxfds);
	if (sv.lp == NULL) {
		fprintf(stderr, "webserv: out of memory\n");
		goto out;
	}
	if (server_listen(&sv, err, sizeof(err)) < 0) {
		fprintf(stderr, "webserv: %s\n", err);
		goto out;
	}
	for (size_t k = 0; k < sv.nls; k++)
		loop_add(sv.lp, sv.ls[k].fd, POLLIN, conn_accept, &sv.ls[k]);
	loop_add(sv.lp, wake_pipe[0], POLLIN, on_wake, NULL);
	sv.accepting = 1;
	log_error("ready, %zu listening socket(s)", sv.nls);
	server_run(&sv);
	status = 0;
out:
	if (sv.ls != NULL)
		for (size_t k = 0; k < sv.nls; k++)
			if (sv.ls[k].fd >= 0)
				close(sv.ls[k].fd);
	if (sv.access_fd != NULL)
		for (size_t k = 0; k < sv.cf->nservers; k++) {
			int fd = sv.access_fd[k];
			int shared = 0;

			for (size_t j = 0; j < k; j++)
				shared |= sv.access_fd[j] == fd;
			if (fd > 2 && !shared)
				close(fd);
		}
	if (sv.error_fd > 2)
		close(sv.error_fd);
	free(sv.access_fd);
	free(sv.ls);
	loop_free(sv.lp);
	config_free(sv.cf);
	return status;
}
