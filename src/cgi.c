/* CGI/1.1 children inside the event loop: script lookup, the request
 * body spooled then written to the child's stdin pipe, the response head
 * parsed, and the body streamed to the client with back-pressure. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cgi_env.h"
#include "cgi_head.h"
#include "route.h"
#include "uri.h"

#define SPOOL_MEM_MAX (1u << 20) /* request body kept in memory up to this */
#define CGI_REDIRECTS_MAX 10
#define CGI_ENVBUF_SIZE (REQUEST_HEAD_MAX + 16384)
#define CGI_ENVP_MAX (REQUEST_FIELDS_MAX + 32)

struct cgi_proc {
	pid_t pid;                /* 0 once reaped or never started */
	pid_t pgid;               /* the script's process group, kept after the reap */
	int slot;                 /* counted in sv->cgi_running */
	uint64_t ticket;          /* waiting for a slot: its place in line, else 0 */
	int in_fd;                /* our end of the child's stdin, -1 when done */
	int out_fd;               /* our end of the child's stdout, -1 when done */
	const char *interp;
	char script[PATH_BUF];    /* file-system path of the script */
	char script_name[PATH_BUF]; /* URI path of the script */
	char path_info[PATH_BUF];

	/* Request body spool: memory, then an unlinked temporary file. */
	char *mem;
	size_t mem_len;
	int spool_fd;
	uint64_t spool_len;
	uint64_t fed;             /* bytes written to the child */
	char wbuf[16384];
	size_t wlen, woff;

	/* Response. */
	char head[CGI_HEAD_MAX];
	size_t head_len;
	int head_done;
	int chunked;              /* we add chunked framing */
	int has_length;
	uint64_t length_left;     /* with a script Content-Length */
	int finished;             /* EOF seen and the end queued */
	int readable;             /* poll() reported POLLIN on out_fd */
};

static void out_event(struct loop *lp, int fd, short re, void *ctx);
static void in_event(struct loop *lp, int fd, short re, void *ctx);

static struct slice cstr(const char *s)
{
	return (struct slice){ s, strlen(s) };
}

/* Finds the script: the first path segment that ends in a configured
 * extension and is a regular file; what follows is PATH_INFO. */
int cgi_match(struct conn *c)
{
	const struct loc_conf *lc = c->loc;
	size_t plen = strlen(c->path);
	struct stat st;

	if (c->cgi != NULL)
		return 1;
	if (lc == NULL || lc->ncgi == 0)
		return 0;
	for (size_t i = 1; i <= plen; i++) {
		char fs[PATH_BUF];

		if (i < plen && c->path[i] != '/')
			continue;
		if (route_cgi(lc, c->path, i) == NULL)
			continue;
		if (route_fs_path(lc, c->path, i, fs, sizeof(fs)) < 0)
			return 0;
		if (stat(fs, &st) < 0)
			return 0;
		if (S_ISDIR(st.st_mode))
			continue;
		if (!S_ISREG(st.st_mode))
			return 0;
		c->cgi = calloc(1, sizeof(*c->cgi));
		if (c->cgi == NULL)
			return 0;
		c->cgi->in_fd = c->cgi->out_fd = c->cgi->spool_fd = -1;
		c->cgi->interp = route_cgi(lc, c->path, i);
		memcpy(c->cgi->script, fs, strlen(fs) + 1);
		memcpy(c->cgi->script_name, c->path, i);
		c->cgi->script_name[i] = '\0';
		memcpy(c->cgi->path_info, c->path + i, plen - i + 1);
		return 1;
	}
	return 0;
}

static int spool_data(struct conn *c, const char *p, size_t n)
{
	struct cgi_proc *cg = c->cgi;

	if (cg->spool_fd < 0 && cg->mem_len + n <= SPOOL_MEM_MAX) {
		char *m = realloc(cg->mem, cg->mem_len + n);

		if (m == NULL)
			return 500;
		cg->mem = m;
		memcpy(cg->mem + cg->mem_len, p, n);
		cg->mem_len += n;
		cg->spool_len += n;
		return 0;
	}
	if (cg->spool_fd < 0) {
		char tmp[] = "/tmp/webserv-body-XXXXXX";

		cg->spool_fd = mkostemp(tmp, O_CLOEXEC);
		if (cg->spool_fd < 0)
			return errno == ENOSPC ? 507 : 500;
		unlink(tmp);
		if (cg->mem_len && write(cg->spool_fd, cg->mem, cg->mem_len) != (ssize_t)cg->mem_len)
			return 507;
		free(cg->mem);
		cg->mem = NULL;
		cg->mem_len = 0;
	}
	while (n > 0) {
		ssize_t w = write(cg->spool_fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == ENOSPC ? 507 : 500;
		}
		p += w;
		n -= (size_t)w;
		cg->spool_len += (uint64_t)w;
	}
	return 0;
}

static void close_in(struct conn *c)
{
	struct cgi_proc *cg = c->cgi;

	if (cg->in_fd >= 0) {
		loop_del(c->sv->lp, cg->in_fd);
		close(cg->in_fd);
		cg->in_fd = -1;
	}
}

static void close_out(struct conn *c)
{
	struct cgi_proc *cg = c->cgi;

	if (cg->out_fd >= 0) {
		loop_del(c->sv->lp, cg->out_fd);
		close(cg->out_fd);
		cg->out_fd = -1;
	}
}

void cgi_free(struct conn *c)
{
	struct cgi_proc *cg = c->cgi;

	if (cg == NULL)
		return;
	close_in(c);
	close_out(c);
	/* The whole process group, even after the leader was reaped: a
	 * child the script left in the background ends with it. */
	if (cg->pgid > 0)
		kill(-cg->pgid, SIGKILL);
	if (cg->pid > 0)
		kill(cg->pid, SIGKILL);
	if (cg->slot) {
		c->sv->cgi_running--;
		c->sv->cgi_freed = 1;
	}
	if (cg->spool_fd >= 0)
		close(cg->spool_fd);
	free(cg->mem);
	free(cg);
	c->cgi = NULL;
}

/* Reaps every exited child; forgets the pid of the ones still attached. */
void cgi_reap(struct server *sv)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (struct conn *c = sv->conns; c != NULL; c = c->next)
			if (c->cgi != NULL && c->cgi->pid == pid) {
				c->cgi->pid = 0;
				break;
			}
	}
}

/* Child side: never returns. */
static void child(struct conn *c, int in_r, int out_w, char **envp)
{
	struct cgi_proc *cg = c->cgi;
	char *argv[3];
	char dir[PATH_BUF];
	char *slash;
	struct sigaction sa = { 0 };
	sigset_t set;

	setpgid(0, 0);
	if (dup2(in_r, 0) < 0 || dup2(out_w, 1) < 0)
		_exit(127);
	/* The script's stderr goes to the error log. */
	if (c->sv->error_fd > 2 && dup2(c->sv->error_fd, 2) < 0)
		_exit(127);
	/* Signal dispositions ignored here would survive exec. */
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < 32; s++)
		sigaction(s, &sa, NULL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	snprintf(dir, sizeof(dir), "%s", cg->script);
	slash = strrchr(dir, '/');
	if (slash != NULL) {
		*slash = '\0';
		if (chdir(dir[0] ? dir : "/") < 0)
			_exit(127);
	}
	argv[0] = (char *)cg->interp;
	argv[1] = cg->script;
	argv[2] = NULL;
	execve(cg->interp, argv, envp);
	_exit(127);
}

/* Builds the environment and forks the child.  Returns 0 or a status. */
static int launch(struct conn *c)
{
	struct cgi_proc *cg = c->cgi;
	struct cgi_env_req rq = { 0 };
	static char envbuf[CGI_ENVBUF_SIZE];
	char *envp[CGI_ENVP_MAX];
	char translated[PATH_BUF];
	const struct header_field *ct = request_field(&c->req, "Content-Type");
	int in_p[2] = { -1, -1 }, out_p[2] = { -1, -1 };
	pid_t pid;
	const char *sname = c->srv->nnames ? c->srv->names[0] : NULL;
	char hostbuf[256];

	if (access(cg->interp, X_OK) < 0) {
		log_error("cgi: interpreter %s: %s", cg->interp, strerror(errno));
		return 502;
	}
	/* PATH_TRANSLATED: PATH_INFO mapped like a URI of this location. */
	translated[0] = '\0';
	if (cg->path_info[0]) {
		size_t pl = strlen(cg->path_info);
		const struct loc_conf *plc = route_location(c->srv, cg->path_info, pl);

		if (route_fs_path(plc, cg->path_info, pl, translated, sizeof(translated)) < 0)
			translated[0] = '\0';
	}
	if (sname == NULL || sname[0] == '\0') {
		size_t hl = c->req.host.len;
		const char *colon = hl ? memchr(c->req.host.p, ':', hl) : NULL;

		if (colon && c->req.host.p[0] != '[')
			hl = (size_t)(colon - c->req.host.p);
		if (hl >= sizeof(hostbuf))
			hl = sizeof(hostbuf) - 1;
		if (hl)
			memcpy(hostbuf, c->req.host.p, hl);
		hostbuf[hl] = '\0';
		if (hostbuf[0] == '\0') /* no name at all: the address we were reached on */
			inet_ntop(AF_INET, &(struct in_addr){ htonl(c->laddr) }, hostbuf, sizeof(hostbuf));
		sname = hostbuf;
	}
	rq.method = c->req.method;
	rq.request_uri = c->req.target;
	rq.script_name = cstr(cg->script_name);
	rq.script_filename = cstr(cg->script);
	rq.path_info = cstr(cg->path_info);
	rq.path_translated = cstr(translated);
	rq.query = cstr(c->query);
	rq.content_type = ct ? ct->value : (struct slice){ 0 };
	rq.content_length = c->req.framing != FRAMING_NONE ? (long long)cg->spool_len : -1;
	rq.server_name = cstr(sname);
	rq.server_port = c->lport;
	rq.remote_addr = cstr(c->peer);
	rq.remote_port = c->peer_port;
	rq.server_protocol = cstr(c->req.minor == 0 ? "HTTP/1.0" : "HTTP/1.1");
	rq.headers = c->req.fields;
	rq.nheaders = c->req.nfields;
	/* The child gets a copy of envbuf at fork; it is reused afterwards. */
	if (cgi_env_build(&rq, envbuf, sizeof(envbuf), envp, CGI_ENVP_MAX) < 0)
		return 431;

	if (pipe2(in_p, O_CLOEXEC) < 0 || pipe2(out_p, O_CLOEXEC) < 0)
		goto fail;
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0)
		child(c, in_p[0], out_p[1], envp);
	setpgid(pid, pid);
	close(in_p[0]);
	close(out_p[1]);
	cg->pid = pid;
	cg->pgid = pid;
	cg->slot = 1;
	c->sv->cgi_running++;
	cg->in_fd = in_p[1];
	cg->out_fd = out_p[0];
	fcntl(cg->in_fd, F_SETFL, O_NONBLOCK);
	fcntl(cg->out_fd, F_SETFL, O_NONBLOCK);
	if (loop_add(c->sv->lp, cg->out_fd, POLLIN, out_event, c) < 0) {
		close(cg->in_fd);
		cg->in_fd = -1;
		close(cg->out_fd);
		cg->out_fd = -1;
		return 503;
	}
	if (cg->spool_len == 0 || loop_add(c->sv->lp, cg->in_fd, POLLOUT, in_event, c) < 0) {
		close(cg->in_fd);
		cg->in_fd = -1;
	}
	if (cg->spool_fd >= 0)
		lseek(cg->spool_fd, 0, SEEK_SET);
	return 0;
fail:
	log_error("cgi: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		if (in_p[i] >= 0)
			close(in_p[i]);
		if (out_p[i] >= 0)
			close(out_p[i]);
	}
	return 500;
}

/* Starts the script of a request whose body is complete. */
static void start(struct conn *c)
{
	int st = launch(c);

	if (st != 0) {
		http_error(c, st);
		return;
	}
	c->state = CONN_CGI;
	conn_set_deadline(c, c->loc->cgi_timeout_ms);
	conn_update(c);
}

/* With cgi_max_processes scripts running, the request waits in line (in
 * CONN_CGI, so a client that resets is closed as usual) until a slot
 * ends or cgi_timeout passes (then 503, see cgi_waiting). */
static int client_gone(const struct conn *c);

static void sink_end(struct conn *c)
{
	struct server *sv = c->sv;

	if (client_gone(c)) {
		conn_close(c); /* reset or closed both ways: no script for nobody */
		return;
	}
	if (sv->cgi_running < sv->cgi_max) {
		start(c);
		return;
	}
	c->cgi->ticket = ++sv->cgi_ticket;
	c->state = CONN_CGI;
	conn_set_deadline(c, c->loc->cgi_timeout_ms);
	conn_update(c);
}

int cgi_waiting(const struct conn *c)
{
	return c->cgi != NULL && c->cgi->ticket != 0;
}

/* Has the client gone for good (reset, or both directions closed)? */
static int client_gone(const struct conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLRDHUP };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

void cgi_start_waiting(struct server *sv)
{
	sv->cgi_freed = 0;
	while (sv->cgi_running < sv->cgi_max) {
		struct conn *first = NULL;

		for (struct conn *c = sv->conns; c != NULL; c = c->next)
			if (c->state == CONN_CGI && cgi_waiting(c) &&
			    (first == NULL || c->cgi->ticket < first->cgi->ticket))
				first = c;
		if (first == NULL)
			return;
		first->cgi->ticket = 0;
		if (client_gone(first)) {
			conn_close(first); /* never start a script for nobody */
			continue;
		}
		start(first);
		if (first->state != CONN_CGI)
			conn_wake(first); /* the error response */
	}
}

static void sink_abort(struct conn *c)
{
	cgi_free(c);
}

static const struct body_sink cgi_sink = { spool_data, sink_end, sink_abort };

int cgi_begin(struct conn *c)
{
	if (c->cgi == NULL && !cgi_match(c))
		return 404;
	c->sink = &cgi_sink;
	return 0;
}

/* Feeds the spooled body to the child's stdin as the pipe takes it. */
static void in_event(struct loop *lp, int fd, short re, void *ctx)
{
	struct conn *c = ctx;
	struct cgi_proc *cg = c->cgi;

	(void)lp;
	(void)fd;
	if (cg == NULL)
		return;
	if (re & (POLLERR | POLLHUP | POLLNVAL)) {
		close_in(c); /* the script stopped reading: fine */
		return;
	}
	for (;;) {
		ssize_t w;

		if (cg->woff == cg->wlen) {
			uint64_t left = cg->spool_len - cg->fed;

			if (left == 0) {
				close_in(c);
				return;
			}
			if (cg->spool_fd < 0) {
				size_t n = left > sizeof(cg->wbuf) ? sizeof(cg->wbuf) : (size_t)left;

				memcpy(cg->wbuf, cg->mem + cg->fed, n);
				cg->wlen = n;
			} else {
				ssize_t r = pread(cg->spool_fd, cg->wbuf, sizeof(cg->wbuf), (off_t)cg->fed);

				if (r <= 0) {
					close_in(c);
					return;
				}
				cg->wlen = (size_t)r;
			}
			cg->woff = 0;
		}
		w = write(cg->in_fd, cg->wbuf + cg->woff, cg->wlen - cg->woff);
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR)
				close_in(c);
			return;
		}
		cg->woff += (size_t)w;
		cg->fed += (uint64_t)w;
		if (cg->woff < cg->wlen)
			return; /* pipe full: wait for the next POLLOUT */
	}
}

static int skip_header(struct slice name)
{
	static const char *const hop[] = { "Connection", "Keep-Alive", "Transfer-Encoding",
					   "Content-Length", "Date", "Server", "Proxy-Connection",
					   "Upgrade", "TE", "Trailer" };

	for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
		if (slice_ieq(name, hop[i]))
			return 1;
	return 0;
}

/* RFC 3875 6.2.2: a local redirect is answered as a GET of that path. */
static void local_redirect(struct conn *c, struct slice loc)
{
	struct slice q = { 0 };
	char target[PATH_BUF];
	size_t plen;
	int st;

	/* loc points into the CGI head buffer, freed with the child. */
	if (loc.len >= sizeof(target)) {
		cgi_free(c);
		http_error(c, 500);
		return;
	}
	memcpy(target, loc.p, loc.len);
	loc.p = target;
	cgi_free(c);
	if (++c->redirects > CGI_REDIRECTS_MAX) {
		log_error("cgi: more than %d internal redirects", CGI_REDIRECTS_MAX);
		http_error(c, 500);
		return;
	}
	st = uri_normalize(loc, c->path, sizeof(c->path), &plen, &q);
	if (st != 0 || q.len >= sizeof(c->query)) {
		http_error(c, 500);
		return;
	}
	if (q.len)
		memcpy(c->query, q.p, q.len);
	c->query[q.len] = '\0';
	if ((st = http_route(c, plen)) != 0) {
		http_error(c, st);
		return;
	}
	if (c->req.method_id != METHOD_HEAD) {
		c->req.method_id = METHOD_GET;
		c->req.method = SLICE_LIT("GET");
	}
	c->req.framing = FRAMING_NONE; /* the body was for the script */
	if (c->loc->ret_code || !(c->loc->methods & M_GET)) {
		http_error(c, c->loc->ret_code ? 500 : 405);
		return;
	}
	http_dispatch(c);
}

/* Turns a complete CGI head into our response head. */
static void start_response(struct conn *c, const struct cgi_head *h, size_t hlen)
{
	struct cgi_proc *cg = c->cgi;
	enum cgi_kind kind = cgi_head_kind(h);
	int status = h->status ? h->status : (kind == CGI_CLIENT_REDIRECT ? 302 : 200);
	size_t extra = cg->head_len - hlen;
	char first[CGI_HEAD_MAX];

	if (kind == CGI_LOCAL_REDIRECT) {
		local_redirect(c, h->location);
		return;
	}
	if (status < 200) {
		/* A 1xx would read as an interim response: not a valid answer. */
		log_error("cgi: %s: Status %d is not a final status", cg->script, status);
		cgi_free(c);
		http_error(c, 502);
		return;
	}
	memcpy(first, cg->head + hlen, extra);
	http_begin(c, status);
	if (c->state == CONN_CLOSE)
		return;
	if (h->location.len)
		obuf_printf(&c->out, "Location: %.*s\r\n", (int)h->location.len, h->location.p);
	for (size_t i = 0; i < h->nfields; i++) {
		if (skip_header(h->fields[i].name))
			continue;
		obuf_printf(&c->out, "%.*s: %.*s\r\n", (int)h->fields[i].name.len, h->fields[i].name.p,
			    (int)h->fields[i].value.len, h->fields[i].value.p);
	}
	if (h->content_type.len)
		obuf_printf(&c->out, "Content-Type: %.*s\r\n", (int)h->content_type.len, h->content_type.p);
	cg->has_length = h->has_content_length;
	cg->length_left = h->content_length;
	if (c->head_only || status == 204 || status == 304) {
		http_end_head(c, NULL, h->has_content_length ? (int64_t)h->content_length : -1);
		cgi_free(c);
		return;
	}
	if (cg->has_length) {
		http_end_head(c, NULL, (int64_t)h->content_length);
	} else if (c->req.minor >= 1) {
		cg->chunked = 1;
		obuf_str(&c->out, "Transfer-Encoding: chunked\r\n");
		http_end_head(c, NULL, -1);
	} else {
		c->keep_alive = 0; /* HTTP/1.0: the end of the body is the close */
		http_end_head(c, NULL, -1);
	}
	if (c->state == CONN_CLOSE)
		return;
	/* Body bytes that came with the head. */
	if (extra) {
		if (cg->has_length && extra > cg->length_left)
			extra = (size_t)cg->length_left;
		if (cg->chunked)
			obuf_printf(&c->out, "%zx\r\n", extra);
		obuf_add(&c->out, first, extra);
		if (cg->chunked)
			obuf_str(&c->out, "\r\n");
		if (cg->has_length)
			cg->length_left -= extra;
	}
	cg->head_len = 0;
	cg->head_done = 1;
	loop_set(c->sv->lp, cg->out_fd, 0); /* read again when the client took this */
}

/* Called with an empty c->out while streaming: reads the next piece of
 * the script's output.  Returns 1 with data in c->out, 0 when the pipe
 * is empty (POLLIN re-armed), -1 at the end (c->out may hold the last
 * chunk) or when the connection had to be closed. */
int cgi_fill(struct conn *c)
{
	struct cgi_proc *cg = c->cgi;
	size_t room = c->out.cap - 16;
	ssize_t n;

	if (cg->finished)
		return -1;
	if (cg->has_length && cg->length_left < room)
		room = (size_t)cg->length_left;
	if (room == 0) {
		n = 0; /* everything announced has been sent */
	} else if (!cg->readable) {
		/* Read only after poll() reported the pipe readable. */
		loop_set(c->sv->lp, cg->out_fd, POLLIN);
		conn_set_deadline(c, c->loc->cgi_timeout_ms);
		return 0;
	} else {
		cg->readable = 0;
		n = read(cg->out_fd, c->out.p + 10, room);
	}
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR) {
			loop_set(c->sv->lp, cg->out_fd, POLLIN);
			conn_set_deadline(c, c->loc->cgi_timeout_ms);
			return 0;
		}
		n = 0;
	}
	if (n == 0) {
		cg->finished = 1;
		close_out(c);
		if (cg->has_length && cg->length_left > 0) {
			/* Short body: the client must see a broken message. */
			conn_close(c);
			return -1;
		}
		if (cg->chunked) {
			memcpy(c->out.p, "0\r\n\r\n", 5);
			c->out.len = 5;
		}
		return -1;
	}
	if (cg->has_length)
		cg->length_left -= (uint64_t)n;
	if (cg->chunked) {
		char hex[12];
		int hl = snprintf(hex, sizeof(hex), "%zx\r\n", (size_t)n);

		memcpy(c->out.p + 10 - hl, hex, (size_t)hl);
		c->out_off = (size_t)(10 - hl);
		memcpy(c->out.p + 10 + n, "\r\n", 2);
		c->out.len = 10 + (size_t)n + 2;
	} else {
		c->out_off = 10;
		c->out.len = 10 + (size_t)n;
	}
	return 1;
}

static void out_event(struct loop *lp, int fd, short re, void *ctx)
{
	struct conn *c = ctx;
	struct cgi_proc *cg = c->cgi;
	struct cgi_head h;
	ssize_t n;
	int r;

	(void)lp;
	(void)fd;
	(void)re;
	if (cg == NULL)
		return;
	if (cg->head_done) {
		/* Streaming: the pipe has data for the drained client buffer. */
		loop_set(c->sv->lp, cg->out_fd, 0);
		cg->readable = 1;
		c->wait_cgi = 0;
		conn_wake(c);
		return;
	}
	n = read(cg->out_fd, cg->head + cg->head_len, sizeof(cg->head) - cg->head_len);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		n = 0;
	}
	if (n == 0) {
		/* EOF before a complete head. */
		cgi_free(c);
		http_error(c, 502);
		conn_wake(c);
		return;
	}
	cg->head_len += (size_t)n;
	conn_set_deadline(c, c->loc->cgi_timeout_ms);
	r = cgi_head_parse(cg->head, cg->head_len, &h);
	if (r == -2)
		return;
	if (r < 0) {
		log_error("cgi: %s: malformed response header", cg->script);
		cgi_free(c);
		http_error(c, 502);
		conn_wake(c);
		return;
	}
	start_response(c, &h, (size_t)r);
	if (c->state != CONN_CLOSE)
		conn_wake(c);
}
