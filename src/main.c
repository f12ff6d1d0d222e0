/* webserv: the command line, configuration loading and start-up (logs,
 * descriptor limit, connection and CGI caps); server.c runs it. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log.h"
#include "upload.h"
#include "version.h"

#define FD_LIMIT_WANTED 65536  /* descriptor limit asked for when the hard limit allows */
#define FD_LIMIT_DEFAULT 1024  /* assumed when the limit cannot be read */
#define FD_RESERVED 32         /* listeners, logs, the self-pipe */
#define FD_PER_CONN 4          /* a socket, a file and two CGI pipes */
#define CGI_PER_CORE 16        /* default cgi_max_processes per online core */

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

/* Reads the command line.  Returns -1 to go on, else the exit status
 * (help, version, a usage error). */
static int parse_args(int argc, char **argv, const char **path, int *test)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-t") == 0) {
			*test = 1;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("%s\n", WEBSERV_SOFTWARE);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "webserv: unknown option \"%s\"\n", argv[i]);
			usage(stderr);
			return 1;
		} else if (i == argc - 1) {
			*path = argv[i];
		} else {
			fprintf(stderr, "webserv: too many arguments\n");
			usage(stderr);
			return 1;
		}
	}
	return -1;
}

/* Loads the configuration at path (NULL with the error printed).  An
 * absolute configuration path makes every root absolute, which CGI
 * scripts (run in their own directory) need. */
static struct config *load(const char *path)
{
	struct config_io io = { io_read_file, io_is_dir, NULL, NULL };
	char err[CONFIG_ERR_MAX], *abspath = realpath(path, NULL);
	struct config *cf;

	if (abspath != NULL) {
		char *slash = strrchr(abspath, '/');

		if (slash == abspath)
			slash[1] = '\0';
		else
			*slash = '\0';
		io.base_dir = abspath;
	}
	cf = config_load(path, &io, err, sizeof(err));
	free(abspath);
	if (cf == NULL)
		fprintf(stderr, "webserv: %s\n", err);
	return cf;
}

/* Opens the error log and every server's access log (one descriptor
 * per distinct path).  0 or -1 with the error printed. */
static int open_logs(struct server *sv)
{
	sv->error_fd = open_log(sv->cf->error_log);
	if (sv->error_fd < 0) {
		fprintf(stderr, "webserv: cannot open error log \"%s\": %s\n", sv->cf->error_log,
			strerror(errno));
		return -1;
	}
	log_set_error_fd(sv->error_fd);
	sv->access_fd = calloc(sv->cf->nservers, sizeof(int));
	if (sv->access_fd == NULL)
		return -1;
	for (size_t k = 0; k < sv->cf->nservers; k++) {
		const char *al = sv->cf->servers[k].access_log;

		sv->access_fd[k] = -1;
		for (size_t j = 0; j < k && al != NULL; j++)
			if (sv->cf->servers[j].access_log && strcmp(sv->cf->servers[j].access_log, al) == 0)
				sv->access_fd[k] = sv->access_fd[j];
		if (al != NULL && sv->access_fd[k] < 0 && (sv->access_fd[k] = open_log(al)) < 0) {
			fprintf(stderr, "webserv: cannot open access log \"%s\": %s\n", al, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Raises the descriptor limit and sets the connection and CGI caps that
 * fit in it.  Returns the descriptors the loop may watch. */
static size_t set_limits(struct server *sv)
{
	struct rlimit rl;
	size_t maxfds;

	/* Room for every connection, its files, CGI pipes and listeners. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max > FD_LIMIT_WANTED ? FD_LIMIT_WANTED : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	maxfds = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (size_t)rl.rlim_cur : FD_LIMIT_DEFAULT;
	sv->max_conns = sv->cf->max_connections;
	/* cgi_max_processes: CGI_PER_CORE per online core unless configured. */
	if (sv->cf->cgi_max_processes) {
		sv->cgi_max = sv->cf->cgi_max_processes;
	} else {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		sv->cgi_max = CGI_PER_CORE * (size_t)(ncpu > 0 ? ncpu : 1);
	}
	/* Each connection may hold a socket, a file and two CGI pipes. */
	if (sv->max_conns > (maxfds - FD_RESERVED) / FD_PER_CONN)
		sv->max_conns = (maxfds - FD_RESERVED) / FD_PER_CONN;
	return maxfds;
}

/* Closes what start-up opened. */
static void release(struct server *sv)
{
	if (sv->ls != NULL)
		for (size_t k = 0; k < sv->nls; k++)
			if (sv->ls[k].fd >= 0)
				close(sv->ls[k].fd);
	if (sv->access_fd != NULL)
		for (size_t k = 0; k < sv->cf->nservers; k++) {
			int fd = sv->access_fd[k];
			int shared = 0;

			for (size_t j = 0; j < k; j++)
				shared |= sv->access_fd[j] == fd;
			if (fd > 2 && !shared)
				close(fd);
		}
	if (sv->error_fd > 2)
		close(sv->error_fd);
	free(sv->access_fd);
	free(sv->ls);
	loop_free(sv->lp);
	config_free(sv->cf);
}

int main(int argc, char **argv)
{
	const char *path = "conf/default.conf";
	struct server sv = { 0 };
	char err[CONFIG_ERR_MAX];
	int test = 0, status = parse_args(argc, argv, &path, &test);
	size_t maxfds;

	if (status >= 0)
		return status;
	status = 1;
	sv.cf = load(path);
	if (sv.cf == NULL)
		return 1;
	if (test) {
		fprintf(stderr, "webserv: %s: syntax is ok\n", path);
		config_free(sv.cf);
		return 0;
	}
	if (server_signals() < 0) {
		fprintf(stderr, "webserv: pipe: %s\n", strerror(errno));
		goto out;
	}
	if (open_logs(&sv) < 0)
		goto out;
	maxfds = set_limits(&sv);
	upload_sweep(sv.cf);
	sv.lp = loop_new(maxfds, sv.cf->events);
	if (sv.lp == NULL) {
		fprintf(stderr, "webserv: out of memory\n");
		goto out;
	}
	if (server_listen(&sv, err, sizeof(err)) < 0) {
		fprintf(stderr, "webserv: %s\n", err);
		goto out;
	}
	server_run(&sv);
	status = 0;
out:
	release(&sv);
	return status;
}
