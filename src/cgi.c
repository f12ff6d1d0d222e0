/* CGI/1.1 children inside the event loop: script lookup, the request
 * body spooled then written to the child's stdin pipe, the slot queue
 * (cgi_max_processes), the response head parsed into our reply, and the
 * output as a body source pulled by the connection with back-pressure.
 * The stdout pipe's readiness only marks the script readable and asks
 * the connection to step. */
#include "cgi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "addr.h"
#include "cgi_env.h"
#include "cgi_head.h"
#include "conn.h"
#include "log.h"
#include "priv.h"
#include "reply.h"
#include "route.h"
#include "server.h"
#include "uri.h"

#define SPOOL_MEM_MAX (1u << 20) /* request body kept in memory up to this */
#define CGI_REDIRECTS_MAX 10
#define CGI_ENVBUF_SIZE (REQUEST_HEAD_MAX + 16384)
#define CGI_ENVP_MAX (REQUEST_FIELDS_MAX + 32)
#define CGI_HOST_MAX 256       /* bytes of a SERVER_NAME taken from Host */
#define CGI_WBUF 16384          /* bytes of the body moved to the child per write */
#define CGI_FRAME_ROOM 10       /* room before the data for a chunk-size line */
#define CGI_FRAME_TAIL 16       /* room kept after it for CRLF and the last chunk */
#define CGI_SIGNALS 32          /* signals reset to their default in the child */

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
	char wbuf[CGI_WBUF];
	size_t wlen, woff;

	/* Response. */
	char head[CGI_HEAD_MAX];
	size_t head_len;
	int head_done;
	int chunked;              /* we add chunked framing */
	int has_length;
	uint64_t length_left;     /* with a script Content-Length */
	int finished;             /* EOF seen and the end queued */
	int readable;             /* the loop reported an event on out_fd */
};

static void out_event(struct loop *lp, int fd, short re, void *ctx);
static void in_event(struct loop *lp, int fd, short re, void *ctx);
static const struct handler_wait cgi_wait;

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

/* Stops watching and closes one of our pipe ends. */
static void close_pipe(struct conn *c, int *fd)
{
	if (*fd >= 0) {
		loop_del(c->sv->lp, *fd);
		close(*fd);
		*fd = -1;
	}
}

static void close_in(struct conn *c)
{
	close_pipe(c, &c->cgi->in_fd);
}

static void close_out(struct conn *c)
{
	close_pipe(c, &c->cgi->out_fd);
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
	for (int s = 1; s < CGI_SIGNALS; s++)
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

/* SERVER_NAME: the server's first name, else the Host without its
 * port, else the address we were reached on. */
static const char *server_name(struct conn *c, char *buf, size_t n)
{
	const char *sname = c->srv->nnames ? c->srv->names[0] : NULL;
	size_t hl = c->req->host.len;
	const char *colon = hl ? memchr(c->req->host.p, ':', hl) : NULL;

	if (sname != NULL && sname[0] != '\0')
		return sname;
	if (hl && c->req->host.p[0] == '[') {
		/* An IP-literal keeps its brackets (RFC 3875 4.1.14), not the port. */
		const char *rb = memchr(c->req->host.p, ']', hl);

		if (rb)
			hl = (size_t)(rb - c->req->host.p) + 1;
	} else if (colon) {
		hl = (size_t)(colon - c->req->host.p);
	}
	if (hl >= n)
		hl = n - 1;
	if (hl)
		memcpy(buf, c->req->host.p, hl);
	buf[hl] = '\0';
	if (buf[0] == '\0') {
		const struct listen_addr *la = conn_laddr(c);
		char ip[ADDR_TEXT_MAX];

		addr_format(la, 0, ip, sizeof(ip));
		/* RFC 3875 4.1.14: an IPv6 address in brackets. */
		snprintf(buf, n, la->v6 ? "[%s]" : "%s", ip);
	}
	return buf;
}

/* path with the longest leading part that exists resolved by
 * realpath() (no ".", "..", "//" or symbolic link left in it: a root
 * written as "conf/../www" reads "/srv/www"), the rest appended as it is
 * (it comes from a normalised URI path).  Into out[0..n); path itself
 * when nothing resolves or the result does not fit. */
static void canon_path(const char *path, char *out, size_t n)
{
	char head[PATH_BUF], res[PATH_MAX];
	size_t len = strlen(path);
	char *cut;

	snprintf(out, n, "%s", path);
	if (path[0] != '/' || len >= sizeof(head))
		return;
	memcpy(head, path, len + 1);
	while ((cut = strrchr(head, '/')) != NULL) {
		const char *tail = path + (cut - head);
		int w;

		*cut = '\0';
		if (realpath(head[0] ? head : "/", res) == NULL)
			continue;
		w = snprintf(out, n, "%s%s", strcmp(res, "/") == 0 ? "" : res, tail);
		if (w < 0 || (size_t)w >= n)
			snprintf(out, n, "%s", path);
		return;
	}
}

/* Builds the script's environment into envbuf/envp.  Returns 0 or 431. */
static int build_env(struct conn *c, char *envbuf, size_t envlen, char **envp)
{
	struct cgi_proc *cg = c->cgi;
	struct cgi_env_req rq = { 0 };
	const struct header_field *ct = request_field(c->req, "Content-Type");
	char translated[PATH_BUF], mapped[PATH_BUF], filename[PATH_BUF], hostbuf[CGI_HOST_MAX];
	char server_addr[ADDR_TEXT_MAX];

	/* PATH_TRANSLATED: PATH_INFO mapped like a URI of this location. */
	translated[0] = '\0';
	if (cg->path_info[0]) {
		size_t pl = strlen(cg->path_info);
		const struct loc_conf *plc = route_location(c->srv, cg->path_info, pl);

		if (route_fs_path(plc, cg->path_info, pl, mapped, sizeof(mapped)) == 0)
			canon_path(mapped, translated, sizeof(translated));
	}
	canon_path(cg->script, filename, sizeof(filename));
	rq.method = c->req->method;
	rq.request_uri = c->req->target;
	rq.script_name = cstr(cg->script_name);
	rq.script_filename = cstr(filename);
	rq.path_info = cstr(cg->path_info);
	rq.path_translated = cstr(translated);
	rq.query = cstr(c->query);
	rq.content_type = ct ? ct->value : (struct slice){ 0 };
	rq.content_length = c->req->framing != FRAMING_NONE ? (long long)cg->spool_len : -1;
	rq.server_name = cstr(server_name(c, hostbuf, sizeof(hostbuf)));
	rq.server_port = c->laddr.port;
	addr_format(conn_laddr(c), 0, server_addr, sizeof(server_addr));
	rq.server_addr = cstr(server_addr);
	rq.remote_addr = cstr(c->peer);
	rq.remote_port = c->peer_port;
	rq.server_protocol = cstr(c->req->minor == 0 ? "HTTP/1.0" : "HTTP/1.1");
	rq.headers = c->req->fields;
	rq.nheaders = c->req->nfields;
	return cgi_env_build(&rq, envbuf, envlen, envp, CGI_ENVP_MAX) < 0 ? 431 : 0;
}

/* Our ends of the child's pipes, non-blocking and watched. */
static int watch_pipes(struct conn *c, int in_fd, int out_fd)
{
	struct cgi_proc *cg = c->cgi;

	cg->in_fd = in_fd;
	cg->out_fd = out_fd;
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
}

/* Builds the environment and forks the child.  Returns 0 or a status. */
static int launch(struct conn *c)
{
	struct cgi_proc *cg = c->cgi;
	static char envbuf[CGI_ENVBUF_SIZE];
	char *envp[CGI_ENVP_MAX];
	int in_p[2] = { -1, -1 }, out_p[2] = { -1, -1 }, st;
	pid_t pid;

	if (access(cg->interp, X_OK) < 0) {
		log_error("cgi: interpreter %s: %s", cg->interp, strerror(errno));
		return 502;
	}
	/* The child gets a copy of envbuf at fork; it is reused afterwards. */
	if ((st = build_env(c, envbuf, sizeof(envbuf), envp)) != 0)
		return st;
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
	return watch_pipes(c, in_p[1], out_p[0]);
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

/* Has the client gone for good (reset, or both directions closed)? */
static int client_gone(const struct conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLRDHUP };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

/* Starts the script of a request whose body is complete. */
static int start(struct conn *c)
{
	int st = launch(c);

	return st != 0 ? st : HANDLER_WAIT;
}

/* The body is in.  With cgi_max_processes scripts running, the request
 * waits in line (in CONN_WAIT, so a client that resets is closed as
 * usual) until a slot ends or cgi_timeout passes (then 503). */
static int sink_end(struct conn *c)
{
	struct server *sv = c->sv;

	c->wait = &cgi_wait;
	if (client_gone(c))
		return HANDLER_CLOSE; /* reset or closed both ways: no script for nobody */
	if (sv->cgi_running < sv->cgi_max)
		return start(c);
	c->cgi->ticket = ++sv->cgi_ticket;
	return HANDLER_WAIT;
}

void cgi_start_waiting(struct server *sv)
{
	sv->cgi_freed = 0;
	while (sv->cgi_running < sv->cgi_max) {
		struct conn *first = NULL;

		for (struct conn *c = sv->conns; c != NULL; c = c->next)
			if (c->cgi != NULL && c->cgi->ticket != 0 &&
			    (first == NULL || c->cgi->ticket < first->cgi->ticket))
				first = c;
		if (first == NULL)
			return;
		/* Its slot: the connection steps and the script starts. */
		first->cgi->ticket = 0;
		conn_ready(first);
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
	/* Scripts never run as root unless the configuration says so. */
	if (!priv_cgi_allowed(c->gen->cf)) {
		log_error("cgi: %s: refused to run as root (set \"user\", or "
			  "\"cgi_allow_root on;\")", c->cgi->script);
		return 500;
	}
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

/* RFC 3875 6.2.2: a local Location is answered as a GET of that path:
 * it is set in c->path and c->query for http.c to route. */
static int local_redirect(struct conn *c, struct slice loc)
{
	struct slice q = { 0 };
	char target[PATH_BUF];
	size_t plen;

	/* loc points into the CGI head buffer, freed with the child. */
	if (loc.len >= sizeof(target))
		return 500;
	memcpy(target, loc.p, loc.len);
	loc.p = target;
	cgi_free(c);
	if (++c->redirects > CGI_REDIRECTS_MAX) {
		log_error("cgi: more than %d internal redirects", CGI_REDIRECTS_MAX);
		return 500;
	}
	if (uri_normalize(loc, c->path, PATH_BUF, &plen, &q) != 0 || q.len >= PATH_BUF)
		return 500;
	if (q.len)
		memcpy(c->query, q.p, q.len);
	c->query[q.len] = '\0';
	return HANDLER_REDIRECT;
}

/* The script's header lines we pass on (hop-by-hop and framing ones are
 * ours). */
static void copy_headers(struct conn *c, const struct cgi_head *h)
{
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
}

/* Queues body bytes p[0..n) that came with the head, framed. */
static void first_bytes(struct conn *c, const char *p, size_t n)
{
	struct cgi_proc *cg = c->cgi;

	if (n == 0)
		return;
	if (cg->has_length && n > cg->length_left)
		n = (size_t)cg->length_left;
	if (cg->chunked)
		obuf_printf(&c->out, "%zx\r\n", n);
	obuf_add(&c->out, p, n);
	if (cg->chunked)
		obuf_str(&c->out, "\r\n");
	if (cg->has_length)
		cg->length_left -= n;
}

static const struct body_source cgi_source;

/* Turns a complete CGI head (hlen bytes of cg->head) into our response
 * head; the rest of the output becomes the body source. */
static int start_response(struct conn *c, const struct cgi_head *h, size_t hlen)
{
	struct cgi_proc *cg = c->cgi;
	enum cgi_kind kind = cgi_head_kind(h);
	int status = h->status ? h->status : (kind == CGI_CLIENT_REDIRECT ? 302 : 200);
	size_t extra = cg->head_len - hlen;
	char first[CGI_HEAD_MAX];

	if (kind == CGI_LOCAL_REDIRECT)
		return local_redirect(c, h->location);
	if (status < 200) {
		/* A 1xx would read as an interim response: not a valid answer. */
		log_error("cgi: %s: Status %d is not a final status", cg->script, status);
		return 502;
	}
	memcpy(first, cg->head + hlen, extra);
	if (reply_begin(c, status) < 0)
		return HANDLER_CLOSE;
	copy_headers(c, h);
	cg->has_length = h->has_content_length;
	cg->length_left = h->content_length;
	if (c->head_only || status == 204 || status == 304) {
		reply_end_head(c, NULL, h->has_content_length ? (int64_t)h->content_length : -1);
		cgi_free(c);
		return HANDLER_DONE;
	}
	if (!cg->has_length && c->req->minor >= 1) {
		cg->chunked = 1;
		obuf_str(&c->out, "Transfer-Encoding: chunked\r\n");
	} else if (!cg->has_length) {
		c->keep_alive = 0; /* HTTP/1.0: the end of the body is the close */
	}
	reply_end_head(c, NULL, cg->has_length ? (int64_t)h->content_length : -1);
	first_bytes(c, first, extra);
	cg->head_len = 0;
	cg->head_done = 1;
	loop_set(c->sv->lp, cg->out_fd, 0); /* read again when the client took this */
	c->src = &cgi_source;
	return HANDLER_DONE;
}

/* Reads the script's head as its pipe becomes readable. */
static int read_head(struct conn *c)
{
	struct cgi_proc *cg = c->cgi;
	struct cgi_head h;
	ssize_t n;
	int r;

	if (!cg->readable) {
		loop_set(c->sv->lp, cg->out_fd, POLLIN);
		return HANDLER_WAIT;
	}
	cg->readable = 0;
	n = read(cg->out_fd, cg->head + cg->head_len, sizeof(cg->head) - cg->head_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		loop_set(c->sv->lp, cg->out_fd, POLLIN);
		return HANDLER_WAIT;
	}
	if (n <= 0)
		return 502; /* EOF before a complete head */
	cg->head_len += (size_t)n;
	r = cgi_head_parse(cg->head, cg->head_len, &h);
	if (r == -2) {
		loop_set(c->sv->lp, cg->out_fd, POLLIN);
		return HANDLER_WAIT;
	}
	if (r < 0) {
		log_error("cgi: %s: malformed response header", cg->script);
		return 502;
	}
	return start_response(c, &h, (size_t)r);
}

/* The connection stepped while waiting: a slot came free, or the
 * script's output is readable. */
static int resume(struct conn *c)
{
	struct cgi_proc *cg = c->cgi;

	if (cg == NULL)
		return 502;
	if (!cg->slot) {
		if (cg->ticket)
			return HANDLER_WAIT;
		if (client_gone(c))
			return HANDLER_CLOSE; /* never start a script for nobody */
		return start(c);
	}
	return read_head(c);
}

/* cgi_timeout passed: in line for a slot (503), or the script said
 * nothing (504). */
static int expire(struct conn *c)
{
	char secs[24];

	c->keep_alive = 0;
	if (c->cgi == NULL || c->cgi->ticket == 0) {
		cgi_free(c);
		return 504;
	}
	snprintf(secs, sizeof(secs), "%llu", (unsigned long long)(c->loc->cgi_timeout_ms + 999) / 1000);
	cgi_free(c);
	return reply_page(c, 503, "Retry-After", secs) < 0 ? HANDLER_CLOSE : HANDLER_DONE;
}

static const struct handler_wait cgi_wait = { resume, expire };

/* Frames the n bytes read at c->out.p + CGI_FRAME_ROOM as one chunk
 * (chunk-size line before, CRLF after) or leaves them bare. */
static void frame(struct conn *c, size_t n)
{
	if (c->cgi->chunked) {
		char hex[CGI_FRAME_ROOM + 2];
		int hl = snprintf(hex, sizeof(hex), "%zx\r\n", n);

		memcpy(c->out.p + CGI_FRAME_ROOM - hl, hex, (size_t)hl);
		c->out_off = (size_t)(CGI_FRAME_ROOM - hl);
		memcpy(c->out.p + CGI_FRAME_ROOM + n, "\r\n", 2);
		c->out.len = CGI_FRAME_ROOM + n + 2;
	} else {
		c->out_off = CGI_FRAME_ROOM;
		c->out.len = CGI_FRAME_ROOM + n;
	}
}

/* The body source: the next piece of the script's output into the
 * drained c->out, read only after the loop reported the pipe. */
static enum source_result cgi_pull(struct conn *c)
{
	struct cgi_proc *cg = c->cgi;
	size_t room = c->out.cap - CGI_FRAME_TAIL;
	ssize_t n = 0;

	if (cg == NULL || cg->finished)
		return SOURCE_END;
	if (cg->has_length && cg->length_left < room)
		room = (size_t)cg->length_left;
	if (room > 0 && !cg->readable) {
		loop_set(c->sv->lp, cg->out_fd, POLLIN);
		return SOURCE_WAIT;
	}
	if (room > 0) { /* else everything announced has been sent */
		cg->readable = 0;
		n = read(cg->out_fd, c->out.p + CGI_FRAME_ROOM, room);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			loop_set(c->sv->lp, cg->out_fd, POLLIN);
			return SOURCE_WAIT;
		}
	}
	if (n <= 0) {
		cg->finished = 1;
		close_out(c);
		if (cg->has_length && cg->length_left > 0)
			return SOURCE_FAIL; /* short body: the client must see a broken message */
		if (cg->chunked)
			obuf_str(&c->out, "0\r\n\r\n");
		return SOURCE_END;
	}
	if (cg->has_length)
		cg->length_left -= (uint64_t)n;
	frame(c, (size_t)n);
	return SOURCE_MORE;
}

static const struct body_source cgi_source = { cgi_pull, cgi_free };

/* The stdout pipe is readable (or at EOF): mark it and let the
 * connection step; the head or the body source reads it. */
static void out_event(struct loop *lp, int fd, short re, void *ctx)
{
	struct conn *c = ctx;

	(void)re;
	if (c->cgi == NULL)
		return;
	loop_set(lp, fd, 0);
	c->cgi->readable = 1;
	conn_ready(c);
}
