/* webserv: the command line, configuration loading and start-up (logs,
 * descriptor limit, connection and CGI caps); server.c runs it. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "addr.h"
#include "log.h"
#include "master.h"
#include "priv.h"
#include "upload.h"
#include "version.h"

#define FD_LIMIT_WANTED 65536  /* descriptor limit asked for when the hard limit allows */
#define FD_LIMIT_DEFAULT 1024  /* assumed when the limit cannot be read */
#define PID_TEXT_MAX 32        /* a pid file holds one number */

/* The files a load read, in order (for -T). */
struct read_list {
	char **path;
	size_t n;
	int keep;               /* record them */
};

/* What the command line asked for. */
struct opts {
	const char *path;       /* configuration file */
	int test;               /* -t */
	int dump;               /* -T */
	int version;            /* -v */
	const char *signal;     /* -s NAME */
};

static int io_read_file(void *ctx, const char *path, char **data, size_t *len)
{
	struct read_list *rl = ctx;
	FILE *f;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	struct stat st;

	if (stat(path, &st) < 0)
		return errno;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (!S_ISREG(st.st_mode))
		return EINVAL;
	f = fopen(path, "rb");
	if (f == NULL)
		return errno;
	for (;;) {
		size_t r;

		if (n == cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if (cap > (64u << 20) || (nb = realloc(buf, cap)) == NULL) {
				free(buf);
				fclose(f);
				return cap > (64u << 20) ? EFBIG : ENOMEM;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno ? errno : EIO;

		fclose(f);
		free(buf);
		return e;
	}
	fclose(f);
	if (rl != NULL && rl->keep) {
		char **np = realloc(rl->path, (rl->n + 1) * sizeof(*np));

		if (np != NULL) {
			rl->path = np;
			if ((np[rl->n] = strdup(path)) != NULL)
				rl->n++;
		}
	}
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
	fprintf(f, "usage: webserv [-t] [-T] [-h] [-v] [-s SIGNAL] [CONFIG]\n"
		   "  -t         check the configuration and exit\n"
		   "  -T         check it and print it, included files too\n"
		   "  -h         show this help\n"
		   "  -v         show the version (with -t or -T, check too)\n"
		   "  -s SIGNAL  send reload, reopen, quit or stop to the running server\n"
		   "             (named by the configuration's pid file)\n"
		   "  CONFIG     configuration file (default: conf/default.conf)\n");
}

/* Reads the command line.  Returns -1 to go on, else the exit status
 * (help, version, a usage error). */
static int parse_args(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-t") == 0) {
			o->test = 1;
		} else if (strcmp(argv[i], "-T") == 0) {
			o->test = o->dump = 1;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--version") == 0) {
			o->version = 1;
		} else if (strcmp(argv[i], "-s") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "webserv: option \"-s\" requires a signal name\n");
				return 1;
			}
			o->signal = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "webserv: unknown option \"%s\"\n", argv[i]);
			usage(stderr);
			return 1;
		} else if (i == argc - 1) {
			o->path = argv[i];
		} else {
			fprintf(stderr, "webserv: too many arguments\n");
			usage(stderr);
			return 1;
		}
	}
	if (o->version) {
		printf("%s\n", WEBSERV_SOFTWARE);
		if (!o->test && o->signal == NULL)
			return 0;
		fflush(stdout);
	}
	return -1;
}

/* Loads the configuration at path (NULL with the error in err).  An
 * absolute configuration path makes every root absolute, which CGI
 * scripts (run in their own directory) need.  rl (may be NULL) collects
 * the files read. */
static struct config *load_into(const char *path, struct read_list *rl, char *err, size_t errlen)
{
	struct config_io io = { io_read_file, io_is_dir, rl, NULL, priv_user_exists,
				priv_group_exists };
	char *abspath = realpath(path, NULL);
	struct config *cf;

	if (abspath != NULL) {
		char *slash = strrchr(abspath, '/');

		if (slash == abspath)
			slash[1] = '\0';
		else
			*slash = '\0';
		io.base_dir = abspath;
	}
	cf = config_load(path, &io, err, errlen);
	free(abspath);
	return cf;
}

/* `user NAME [GROUP]` the process switched to at start-up, if it did. */
static char running_as[512];

/* The reload path: same load, nothing recorded.  The user cannot change
 * once root is given up: a new `user` line is reported and ignored. */
static struct config *load(const char *path, char *err, size_t errlen)
{
	struct config *cf = load_into(path, NULL, err, errlen);
	char want[sizeof(running_as)];

	if (cf != NULL && running_as[0] != '\0') {
		snprintf(want, sizeof(want), "%s %s", cf->user ? cf->user : "",
			 cf->group ? cf->group : "");
		if (strcmp(want, running_as) != 0)
			log_error("warning: the \"user\" directive takes effect only at start-up; "
				  "still running as \"%s\"", running_as);
	}
	return cf;
}

/* One "webserv: ..." line on stderr (-t). */
__attribute__((format(printf, 1, 2)))
static void warn_stderr(const char *fmt, ...)
{
	va_list ap;

	fputs("webserv: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Any `cgi` mapping in cf? */
static int has_cgi(const struct config *cf)
{
	for (size_t k = 0; k < cf->nservers; k++) {
		const struct server_conf *s = &cf->servers[k];

		for (size_t m = 0; m <= s->nlocs; m++)
			if ((m < s->nlocs ? &s->locs[m] : &s->srv)->ncgi)
				return 1;
	}
	return 0;
}

/* Gives up root for `user` (after everything that needs it).  0, or -1
 * printed. */
static int drop_root(const struct config *cf)
{
	char err[CONFIG_ERR_MAX];

	switch (priv_drop(cf, err, sizeof(err))) {
	case PRIV_FAILED:
		fprintf(stderr, "webserv: %s\n", err);
		return -1;
	case PRIV_IGNORED:
		log_error("warning: the \"user\" directive makes sense only when started as "
			  "root, ignored in %s", cf->user_at);
		break;
	case PRIV_DROPPED:
		snprintf(running_as, sizeof(running_as), "%s %s", cf->user,
			 cf->group ? cf->group : "");
		priv_check_writable(cf, log_error);
		break;
	case PRIV_NONE:
		if (!priv_cgi_allowed(cf) && has_cgi(cf))
			log_error("warning: running as root without \"user\": CGI requests are "
				  "refused (500) unless \"cgi_allow_root on;\"");
		break;
	}
	return 0;
}

/* Can a log at path be opened for appending (it is created if needed,
 * as at start-up)?  0, or -1 with the error printed. */
static int check_log(const char *what, const char *path)
{
	int fd;

	if (path == NULL)
		return 0;
	fd = server_open_log(path);
	if (fd < 0) {
		fprintf(stderr, "webserv: cannot open %s \"%s\": %s\n", what, path, strerror(errno));
		return -1;
	}
	if (fd > 2)
		close(fd);
	return 0;
}

/* Is dir writable (a file can be created in it)?  0, or -1 printed. */
static int check_store(const char *dir)
{
	char probe[4200];
	int fd;

	snprintf(probe, sizeof(probe), "%s/.webserv-check-XXXXXX", dir);
	fd = mkostemp(probe, O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "webserv: upload_store \"%s\" is not writable: %s\n", dir,
			strerror(errno));
		return -1;
	}
	close(fd);
	unlink(probe);
	return 0;
}

static int shares_listen(const struct server_conf *a, const struct server_conf *b,
			 struct listen_addr *out)
{
	for (size_t i = 0; i < a->nlistens; i++)
		for (size_t j = 0; j < b->nlistens; j++)
			if (addr_eq(&a->listens[i], &b->listens[j])) {
				*out = a->listens[i];
				return 1;
			}
	return 0;
}

/* Two servers with the same listen address and server_name: the second
 * never gets a request by that name (a warning, as nginx gives). */
static void warn_conflicts(const struct config *cf)
{
	for (size_t i = 0; i < cf->nservers; i++)
		for (size_t j = i + 1; j < cf->nservers; j++) {
			struct listen_addr la;
			char at[ADDR_TEXT_MAX];

			if (!shares_listen(&cf->servers[i], &cf->servers[j], &la))
				continue;
			addr_format(&la, 1, at, sizeof(at));
			for (size_t a = 0; a < cf->servers[i].nnames; a++)
				for (size_t b = 0; b < cf->servers[j].nnames; b++)
					if (strcmp(cf->servers[i].names[a], cf->servers[j].names[b]) == 0)
						fprintf(stderr,
							"webserv: warning: conflicting server name \"%s\" on "
							"%s, ignored\n",
							cf->servers[i].names[a], at);
		}
}

/* What -t checks beyond the syntax: the files start-up will open.
 * 0 or -1 (printed). */
static int check_files(const struct config *cf)
{
	int rc = check_log("error log", cf->error_log);

	for (size_t k = 0; k < cf->nservers; k++) {
		const struct server_conf *s = &cf->servers[k];

		rc |= check_log("access log", s->access_log);
		for (size_t m = 0; m <= s->nlocs; m++) {
			const struct loc_conf *lc = m < s->nlocs ? &s->locs[m] : &s->srv;

			if (lc->upload_store != NULL)
				rc |= check_store(lc->upload_store);
		}
	}
	return rc;
}

/* -T: every file the configuration read, each after a header line, on
 * stdout (nginx -T). */
static void dump(const struct read_list *rl)
{
	for (size_t i = 0; i < rl->n; i++) {
		char *data = NULL;
		size_t len = 0;

		printf("# configuration file %s:\n", rl->path[i]);
		if (io_read_file(NULL, rl->path[i], &data, &len) == 0) {
			fwrite(data, 1, len, stdout);
			if (len == 0 || data[len - 1] != '\n')
				putchar('\n');
			free(data);
		}
		putchar('\n');
	}
	fflush(stdout);
}

/* -s NAME: signals the process named by the pid file.  Exit status. */
static int send_signal(const struct config *cf, const char *name)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {
		{ "reload", SIGHUP }, { "reopen", SIGUSR1 }, { "quit", SIGQUIT }, { "stop", SIGTERM },
	};
	char text[PID_TEXT_MAX + 1], *end;
	int sig = 0, fd;
	ssize_t n;
	long pid;

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strcmp(name, sigs[i].name) == 0)
			sig = sigs[i].sig;
	if (sig == 0) {
		fprintf(stderr, "webserv: invalid signal \"%s\" (reload, reopen, quit or stop)\n", name);
		return 1;
	}
	if (cf->pid == NULL) {
		fprintf(stderr, "webserv: no \"pid\" directive in \"%s\"\n", cf->path);
		return 1;
	}
	fd = open(cf->pid, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "webserv: cannot open pid file \"%s\": %s\n", cf->pid, strerror(errno));
		return 1;
	}
	n = read(fd, text, PID_TEXT_MAX);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	errno = 0;
	pid = strtol(text, &end, 10);
	if (n <= 0 || errno != 0 || pid <= 0 || (*end != '\n' && *end != '\0')) {
		fprintf(stderr, "webserv: invalid pid in \"%s\"\n", cf->pid);
		return 1;
	}
	if (kill((pid_t)pid, sig) < 0) {
		fprintf(stderr, "webserv: kill(%ld, %s): %s\n", pid, name, strerror(errno));
		return 1;
	}
	return 0;
}

/* Writes our pid to path (atomically: a reader never sees half).  0 or
 * -1 printed. */
static int write_pid(const char *path)
{
	char tmp[4200], text[PID_TEXT_MAX];
	int fd, len;

	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	len = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 || write(fd, text, (size_t)len) != len || fchmod(fd, 0644) < 0 ||
	    rename(tmp, path) < 0) {
		fprintf(stderr, "webserv: cannot write pid file \"%s\": %s\n", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return -1;
	}
	close(fd);
	return 0;
}

/* Raises the descriptor limit.  Returns the descriptors the loop may
 * watch. */
static size_t raise_limit(void)
{
	struct rlimit rl;

	/* Room for every connection, its files, CGI pipes and listeners. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max > FD_LIMIT_WANTED ? FD_LIMIT_WANTED : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (size_t)rl.rlim_cur : FD_LIMIT_DEFAULT;
}

int main(int argc, char **argv)
{
	struct opts o = { .path = "conf/default.conf" };
	struct read_list rl = { NULL, 0, 0 };
	struct server sv = { .error_fd = 2 };
	char err[CONFIG_ERR_MAX];
	struct config *cf;
	int status = parse_args(argc, argv, &o), pid_written = 0;

	if (status >= 0)
		return status;
	status = 1;
	rl.keep = o.dump;
	cf = load_into(o.path, &rl, err, sizeof(err));
	if (cf == NULL) {
		fprintf(stderr, "webserv: %s\n", err);
		goto out_list;
	}
	if (o.signal != NULL) {
		status = send_signal(cf, o.signal);
		config_free(cf);
		goto out_list;
	}
	warn_conflicts(cf);
	if (o.test) {
		if (cf->user != NULL && geteuid() != 0)
			fprintf(stderr, "webserv: warning: the \"user\" directive makes sense only "
					"when started as root, ignored in %s\n", cf->user_at);
		if (check_files(cf) == 0) {
			/* After check_files: the logs exist now, as at a start. */
			priv_check_writable_as_user(cf, warn_stderr);
			fprintf(stderr, "webserv: %s: syntax is ok\n", o.path);
			if (o.dump)
				dump(&rl);
			status = 0;
		}
		config_free(cf);
		goto out_list;
	}
	if (server_signals() < 0) {
		fprintf(stderr, "webserv: pipe: %s\n", strerror(errno));
		config_free(cf);
		goto out;
	}
	sv.conf_path = o.path;
	sv.load = load;
	if (server_set_config(&sv, cf, err, sizeof(err)) < 0) {
		fprintf(stderr, "webserv: %s\n", err);
		goto out;
	}
	sv.fd_budget = raise_limit();
	server_caps(&sv);
	upload_sweep(sv.cf);
	/* The backend is chosen once: a reload keeps the running loop. */
	sv.lp = loop_new(sv.fd_budget, sv.cf->events);
	if (sv.lp == NULL) {
		fprintf(stderr, "webserv: out of memory\n");
		goto out;
	}
	if (server_listen(&sv, err, sizeof(err)) < 0) {
		fprintf(stderr, "webserv: %s\n", err);
		goto out;
	}
	if (sv.cf->pid != NULL) {
		if (write_pid(sv.cf->pid) < 0)
			goto out;
		pid_written = 1;
	}
	if (drop_root(sv.cf) < 0)
		goto out;
	/* worker_processes > 1: a master and its workers (master.c). */
	if (master_workers(sv.cf) > 1)
		master_run(&sv, sv.cf->events);
	else
		server_run(&sv);
	status = 0;
out:
	/* The pid file named at start-up is the one removed. */
	if (pid_written && sv.cf != NULL)
		unlink(sv.cf->pid);
	server_free(&sv);
out_list:
	for (size_t i = 0; i < rl.n; i++)
		free(rl.path[i]);
	free(rl.path);
	return status;
}
