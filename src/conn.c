/* Connections: accept, the per-connection state machine (the only code
 * that moves c->state, recomputing poll interest in one place after each
 * step), reading heads and bodies, writing the output buffer and the body
 * source, deadlines, lingering close and closing.  Every read or write
 * here follows the loop's report for that descriptor. */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "addr.h"
#include "bufpool.h"
#include "conn_proxy.h"
#include "http.h"
#include "log.h"
#include "reply.h"
#include "route.h"
#include "server.h"

#define LINGER_MS 2000        /* lingering close: how long the client's bytes are dropped */
#define RECLAIM_LOG_MS 1000   /* reclaims closer than this log one line */
#define DROP_BUF 4096         /* bytes dropped per read while lingering */

static void conn_event(struct loop *lp, int fd, short re, void *ctx);
static void step(struct conn *c);

/* Gives an input or output buffer of cap bytes back: the pooled sizes
 * to the pool, others (a head that grew, a large listing) to free(). */
static void put_buf(struct conn *c, void *p, size_t cap)
{
	if (cap == IN_BUF_INIT || cap == BODY_BUF_SIZE || cap == OUT_BUF_SIZE)
		bufpool_put(&c->sv->pool, p, cap);
	else
		free(p);
}

/* Points c's per-request names at the workspace x (or at nothing). */
static void set_x(struct conn *c, struct conn_x *x)
{
	c->x = x;
	c->req = x ? &x->req : NULL;
	c->scan = x ? &x->scan : NULL;
	c->path = x ? x->path : NULL;
	c->query = x ? x->query : NULL;
	c->fspath = x ? x->fspath : NULL;
	c->allow = x ? x->allow : NULL;
	c->log_line = x ? x->log_line : NULL;
	c->log_ref = x ? x->log_ref : NULL;
	c->log_ua = x ? x->log_ua : NULL;
}

/* A request begins: the workspace and an input buffer from the pool.
 * 0, or -1 without memory. */
static int take_bufs(struct conn *c)
{
	if (c->x == NULL) {
		struct conn_x *x = bufpool_get(&c->sv->pool, sizeof(*x));

		if (x == NULL)
			return -1;
		memset(&x->req, 0, sizeof(x->req));
		memset(&x->scan, 0, sizeof(x->scan));
		x->path[0] = x->query[0] = x->fspath[0] = x->allow[0] = '\0';
		x->log_line[0] = x->log_ref[0] = x->log_ua[0] = '\0';
		set_x(c, x);
	}
	if (c->in == NULL) {
		c->in = bufpool_get(&c->sv->pool, IN_BUF_INIT);
		if (c->in == NULL)
			return -1;
		c->in_cap = IN_BUF_INIT;
		c->in_len = c->pos = c->head_len = 0;
	}
	return 0;
}

/* c is idle with no request byte pending (or ends): its buffers and
 * workspace go back to the pool, so an idle connection holds only
 * struct conn. */
static void drop_bufs(struct conn *c)
{
	if (c->in != NULL)
		put_buf(c, c->in, c->in_cap);
	c->in = NULL;
	c->in_len = c->in_cap = c->pos = c->head_len = 0;
	if (c->out.p != NULL)
		put_buf(c, c->out.p, c->out.cap);
	c->out = (struct obuf){ 0 };
	c->out_off = 0;
	if (c->x != NULL)
		bufpool_put(&c->sv->pool, c->x, sizeof(*c->x));
	set_x(c, NULL);
}

/* Timeouts come from the routed location once known, else from the
 * default server of the listening address. */
const struct loc_conf *conn_conf(const struct conn *c)
{
	return c->loc != NULL ? c->loc : &c->def->srv;
}

static void set_deadline(struct conn *c, uint64_t ms)
{
	c->deadline = ms ? c->sv->now_ms + ms : 0;
}

void conn_listen(struct server *sv, int on)
{
	if (sv->accepting == on)
		return;
	sv->accepting = on;
	for (size_t i = 0; i < sv->nls; i++)
		if (sv->ls[i].fd >= 0)
			loop_set(sv->lp, sv->ls[i].fd, on ? POLLIN : 0);
}

/* Moves c over to the configuration in force after a reload.  0, or
 * -1 when no server of it listens on c's address any more. */
static int adopt(struct conn *c)
{
	struct server *sv = c->sv;
	const struct server_conf *def;

	if (c->gen == sv->gen)
		return 0;
	def = route_server(sv->gen->cf, conn_route_addr(c, sv->gen->cf), (struct slice){ "", 0 });
	if (def == NULL)
		return -1;
	server_gen_put(sv, c->gen);
	c->gen = server_gen_get(sv);
	c->def = def;
	return 0;
}

/* Moves c to state s with the deadline that state runs under. */
static void enter(struct conn *c, enum conn_state s)
{
	const struct loc_conf *lc = conn_conf(c);

	c->state = s;
	switch (s) {
	case CONN_READ_HEAD:
		set_deadline(c, c->in_len ? lc->header_timeout_ms : lc->keepalive_timeout_ms);
		break;
	case CONN_READ_BODY:
		set_deadline(c, lc->body_timeout_ms);
		break;
	case CONN_WAIT:
		set_deadline(c, lc->cgi_timeout_ms);
		break;
	case CONN_WRITE:
		/* A 100 Continue still runs under the body's timeout. */
		set_deadline(c, c->interim ? lc->body_timeout_ms : lc->send_timeout_ms);
		break;
	case CONN_LINGER:
		set_deadline(c, LINGER_MS);
		break;
	case CONN_CLOSE:
		break;
	}
}

/* POLLIN/POLLOUT from the state: the one place poll interest is set. */
static void interest(struct conn *c)
{
	short ev = 0;

	switch (c->state) {
	case CONN_READ_HEAD:
	case CONN_READ_BODY:
	case CONN_LINGER:
		ev = POLLIN;
		break;
	case CONN_WRITE:
		/* While the source waits, watch for the client leaving (once its
		 * FIN was seen, only a reset is left to report: POLLERR and
		 * POLLHUP come unasked). */
		ev = c->src_wait ? (c->rd_eof ? 0 : POLLRDHUP) : POLLOUT;
		break;
	case CONN_WAIT:
		ev = c->rd_eof ? 0 : POLLRDHUP;
		break;
	case CONN_CLOSE:
		return;
	}
	loop_set(c->sv->lp, c->fd, ev);
}

const struct listen_addr *conn_laddr(struct conn *c)
{
	struct sockaddr_storage la;
	socklen_t ll = sizeof(la);
	struct listen_addr got;

	if (!c->laddr_known && c->fd >= 0) {
		if (getsockname(c->fd, (struct sockaddr *)&la, &ll) == 0 &&
		    addr_from_sockaddr((const struct sockaddr *)&la, ll, &got) == 0)
			c->laddr = got;
		c->laddr_known = 1;
	}
	return &c->laddr;
}

const struct listen_addr *conn_route_addr(struct conn *c, const struct config *cf)
{
	if (c->laddr_known || !route_port_has_addr(cf, c->laddr.port))
		return &c->laddr;
	return conn_laddr(c);
}

/* At the connection cap: closes the connection that has been idle on
 * keep-alive the longest (never one with a request begun), as nginx does
 * when it runs out of connections.  Returns 1 when one was closed. */
static int reclaim_idle(struct server *sv)
{
	struct conn *old = NULL;

	for (struct conn *c = sv->conns; c != NULL; c = c->next)
		if (c->state == CONN_READ_HEAD && c->in_len == 0 && c->nreq > 0 &&
		    (old == NULL || c->idle_since <= old->idle_since))
			old = c;
	if (old == NULL)
		return 0;
	/* One line per burst. */
	if (sv->last_reclaim == 0 || sv->now_ms - sv->last_reclaim >= RECLAIM_LOG_MS)
		log_error("max_connections (%zu) reached: closing idle keep-alive connections",
			  sv->max_conns);
	sv->last_reclaim = sv->now_ms ? sv->now_ms : 1;
	conn_close(old);
	return 1;
}

/* A new connection for the accepted socket cfd.  Returns 0 or -1 (the
 * socket is closed). */
static int conn_new(struct listener *ls, int cfd, const struct sockaddr_storage *sa,
		    socklen_t sl)
{
	struct server *sv = ls->sv;
	struct listen_addr peer;
	/* Small (no buffers: they come from the pool when the first request
	 * bytes do), so malloc reuses freed ones without growing the heap. */
	struct conn *c = calloc(1, sizeof(*c));
	int one = 1;

	/* Tracked: on epoll, registered once (edge-triggered) and interest
	 * changes cost no system call; a short read and an EAGAIN say so
	 * with loop_unready(). */
	if (c == NULL || loop_add_tracked(sv->lp, cfd, POLLIN, conn_event, c) < 0) {
		free(c);
		close(cfd);
		return -1;
	}
	setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->sv = sv;
	c->gen = server_gen_get(sv);
	c->def = ls->def;
	c->fd = cfd;
	/* Text without brackets (REMOTE_ADDR, the access log); an IPv4
	 * client of a dual-stack socket shows as IPv4. */
	if (addr_from_sockaddr((const struct sockaddr *)sa, sl, &peer) < 0)
		memset(&peer, 0, sizeof(peer));
	addr_format(&peer, 0, c->peer, sizeof(c->peer));
	c->peer_port = peer.port;
	c->proxy_wait = ls->proxy_protocol;
	/* The listener's address, unless it is the wildcard: then the
	 * kernel is asked when (and if) the address is needed. */
	c->laddr = ls->la;
	c->laddr_known = !addr_is_any(&ls->la);
	c->next = sv->conns;
	if (sv->conns)
		sv->conns->prev = c;
	sv->conns = c;
	sv->nconns++;
	enter(c, CONN_READ_HEAD);
	/* A new client gets the head timeout even before its first byte. */
	set_deadline(c, conn_conf(c)->header_timeout_ms);
	return 0;
}

void conn_accept(struct loop *lp, int fd, short re, void *ctx)
{
	struct listener *ls = ctx;
	struct server *sv = ls->sv;

	(void)lp;
	(void)re;
	for (int reclaimed = 0;;) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof(sa);
		int cfd;

		/* At the cap, make room for the client the loop reported, once
		 * per report: no idle connection is closed for a client that
		 * may not be there. */
		if (sv->nconns >= sv->max_conns && !sv->stopping) {
			if (reclaimed)
				return;
			reclaimed = reclaim_idle(sv);
		}
		if (sv->nconns >= sv->max_conns || sv->stopping) {
			/* Over the cap: leave the rest in the kernel backlog. */
			conn_listen(sv, 0);
			return;
		}
		cfd = accept4(fd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				log_error("accept: %s (pausing accepts)", strerror(errno));
				conn_listen(sv, 0);
			}
			return; /* EAGAIN: drained */
		}
		if (conn_new(ls, cfd, &sa, sl) < 0)
			log_error("accept: out of memory or descriptors, connection dropped");
	}
}

/* The end of a request, whatever happened: what its handlers hold is
 * released and the per-request fields start afresh (h2o init_request). */
static void request_reset(struct conn *c)
{
	http_request_free(c);
	conn_real_ip_reset(c);
	c->src_wait = 0;
	c->interim = 0;
	c->head_only = 0;
	if (c->x != NULL) {
		c->allow[0] = '\0';
		c->log_line[0] = c->log_ref[0] = c->log_ua[0] = '\0';
	}
	c->status = 0;
	if (c->out.cap > OUT_BUF_SIZE) {
		/* A large autoindex page grew the buffer: give it back. */
		free(c->out.p);
		c->out = (struct obuf){ 0 };
	}
}

/* The start of a request whose head of hlen bytes is parsed in c->req:
 * the framing of its body, nothing routed yet. */
static void request_start(struct conn *c, size_t hlen)
{
	const struct request_head *rq = c->req;

	c->head_len = c->pos = hlen;
	c->keep_alive = rq->keep_alive;
	/* A request that began after a reload runs under the new
	 * configuration; on an address no longer served it is the last. */
	if (adopt(c) < 0)
		c->keep_alive = 0;
	conn_real_ip(c);
	c->head_only = rq->method_id == METHOD_HEAD;
	c->body_left = rq->framing == FRAMING_LENGTH ? rq->content_length : 0;
	c->body_done = rq->framing == FRAMING_NONE ||
		       (rq->framing == FRAMING_LENGTH && rq->content_length == 0);
	c->body_total = 0;
	memset(&c->chunk, 0, sizeof(c->chunk));
	c->sink = NULL;
	c->redirects = 0;
	c->srv = NULL;
	c->loc = NULL;
	log_keep_request(c);
}

void conn_free(struct conn *c)
{
	struct server *sv = c->sv;

	server_gen_put(sv, c->gen);
	c->gen = NULL;
	drop_bufs(c); /* the buffers go back to the pool */
	free(c);
}

void conn_close(struct conn *c)
{
	struct server *sv = c->sv;

	if (c->state == CONN_CLOSE)
		return;
	if (c->state == CONN_READ_BODY && !c->body_done && c->sink && c->sink->abort)
		c->sink->abort(c);
	request_reset(c);
	c->state = CONN_CLOSE;
	loop_del_closing(sv->lp, c->fd);
	close(c->fd);
	c->fd = -1;
	if (c->prev)
		c->prev->next = c->next;
	else
		sv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	sv->nconns--;
	/* Freed after the dispatch pass: callers up the stack may still look
	 * at c->state. */
	c->next_free = sv->closing;
	sv->closing = c;
	if (!sv->stopping && sv->nconns < sv->max_conns)
		conn_listen(sv, 1);
}

/* Applies what http.c said: the state the connection goes on in. */
static void apply(struct conn *c, int r)
{
	switch (r) {
	case HANDLER_DONE:
		c->src_wait = 0;
		c->interim = 0;
		enter(c, CONN_WRITE);
		break;
	case HANDLER_WAIT:
		enter(c, CONN_WAIT);
		break;
	case HANDLER_BODY:
		if (c->req->expect_continue && c->req->minor >= 1) {
			/* RFC 9110 10.1.1: tell the client to send the body. */
			if (reply_continue(c) < 0) {
				conn_close(c);
				break;
			}
			c->interim = 1;
			enter(c, CONN_WRITE);
		} else {
			enter(c, CONN_READ_BODY);
		}
		break;
	default:
		conn_close(c);
		break;
	}
}

/* Starts the lingering close: our side is done; drop what the client
 * still sends for a while so it can read the response before a reset. */
static void linger(struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
	drop_bufs(c); /* what comes now is read into a stack buffer and dropped */
	enter(c, CONN_LINGER);
}

/* The response is out: log it, clean up, then keep the connection for the
 * next request or close it. */
static void finish_response(struct conn *c)
{
	uint64_t idle = conn_conf(c)->keepalive_timeout_ms;
	size_t left;

	log_access(c);
	request_reset(c);
	c->nreq++;
	/* The next request runs under the configuration now in force. */
	if (c->keep_alive && !c->sv->stopping && adopt(c) < 0)
		c->keep_alive = 0;
	if (!c->keep_alive || c->sv->stopping) {
		/* Unread request bytes would make our close a reset. */
		if (!c->body_done || c->in_len > c->pos)
			linger(c);
		else
			conn_close(c);
		return;
	}
	left = c->in_len - c->pos;
	if (left)
		memmove(c->in, c->in + c->pos, left);
	c->in_len = left;
	c->pos = 0;
	c->head_len = 0;
	/* Idle: the buffers go back to the pool.  Pipelined bytes already
	 * read keep the input buffer (and the workspace) for their request. */
	if (!left)
		drop_bufs(c);
	c->idle_since = c->sv->now_ms;
	c->loc = NULL;
	c->srv = NULL;
	enter(c, CONN_READ_HEAD);
	if (!left) /* the idle limit is the one of the location just served */
		set_deadline(c, idle);
	/* Accepts paused at the cap may go on: this one can be reclaimed. */
	if (!left && !c->sv->accepting && c->sv->nconns >= c->sv->max_conns)
		conn_listen(c->sv, 1);
}

/* Ends the body phase on an error: the sink undoes its work. */
static int body_failed(struct conn *c, int status)
{
	if (c->sink && c->sink->abort)
		c->sink->abort(c);
	c->sink = NULL;
	c->keep_alive = 0;
	return status;
}

/* Feeds the body bytes in in[pos..in_len) to the sink.  Returns 1 when the
 * body is complete, 0 when more is needed, or an error status (the sink
 * has been aborted). */
static int feed_body(struct conn *c)
{
	char *p = c->in + c->pos;
	size_t n = c->in_len - c->pos;
	uint64_t max = c->loc ? c->loc->max_body : 0;
	int done = 0, st;

	if (c->req->framing == FRAMING_LENGTH) {
		if (n > c->body_left)
			n = (size_t)c->body_left;
		c->body_left -= n;
		done = c->body_left == 0;
		c->pos += n;
	} else {
		size_t len = n;
		ssize_t r = chunked_decode(&c->chunk, p, &len);

		if (r == -1) {
			c->body_done = 1; /* framing is lost: close after the answer */
			return body_failed(c, 400);
		}
		n = len;
		if (r >= 0) {
			done = 1;
			c->pos += len;
			c->in_len = c->pos + (size_t)r;
		}
	}
	c->body_total += n;
	/* A chunk-size line already tells how much more the body holds:
	 * refuse it then, not once that much data has come in. */
	if (max && (c->body_total > max || (c->req->framing == FRAMING_CHUNKED &&
					    chunked_pending(&c->chunk) > max - c->body_total)))
		return body_failed(c, 413);
	if (n && c->sink && (st = c->sink->data(c, p, n)) != 0)
		return body_failed(c, st);
	if (!done) {
		/* Everything was consumed: the buffer shrinks back to the head. */
		c->in_len = c->pos = c->head_len;
		set_deadline(c, conn_conf(c)->body_timeout_ms);
		return 0;
	}
	c->body_done = 1;
	return 1;
}

/* Writes what c->out holds.  Returns 1 when it is all out, 0 when the
 * socket is full, -1 on a write error. */
static int write_out(struct conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n;

		if (!c->can_write)
			return 0; /* wait for the loop to report POLLOUT */
		n = write(c->fd, c->out.p + c->out_off, c->out.len - c->out_off);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return -1;
			if (errno != EINTR)
				loop_unready(c->sv->lp, c->fd, POLLOUT);
			c->can_write = 0;
			return 0;
		}
		c->out_off += (size_t)n;
		c->sent += (uint64_t)n;
		set_deadline(c, conn_conf(c)->send_timeout_ms);
		/* Short: usually the socket is full, but a signal can cut a
		 * write short too, and then no edge would follow.  Only
		 * EAGAIN takes the readiness back; this waits for the next
		 * pass, which tries again. */
		if (c->out_off < c->out.len) {
			c->can_write = 0;
			return 0;
		}
	}
	return 1;
}

/* Writes the response: c->out, then what the body source gives.
 * Returns 1 when the response is complete, 0 when waiting (socket full
 * or source waiting), -1 when the connection must end. */
static int flush_out(struct conn *c)
{
	for (;;) {
		uint64_t sent;
		int r = write_out(c);

		if (r <= 0)
			return r;
		if (c->src == NULL || c->src_end)
			return 1;
		c->out.len = c->out_off = 0;
		sent = c->sent;
		switch (c->src->pull(c)) {
		case SOURCE_MORE:
			if (c->sent != sent) /* the source wrote to the socket */
				set_deadline(c, conn_conf(c)->send_timeout_ms);
			break;
		case SOURCE_BLOCKED:
			return 0;
		case SOURCE_WAIT:
			c->src_wait = 1;
			set_deadline(c, conn_conf(c)->cgi_timeout_ms);
			return 0;
		case SOURCE_END:
			c->src_end = 1;
			break;
		case SOURCE_FAIL:
			return -1;
		}
	}
}

/* Parses what input there is.  Returns 0 when more is needed, 1 when
 * the connection moved on. */
static int read_head(struct conn *c)
{
	int r;

	if (c->in_len == 0)
		return 0;
	if (c->proxy_wait && (r = conn_proxy_header(c)) <= 0)
		return r < 0; /* more needed, or closed */
	if (c->in_len == 0)
		return 0;
	/* Only the bytes new since the last read are scanned. */
	r = request_parse_resume(c->scan, c->in, c->in_len, c->req);
	if (r == -2)
		return 0;
	if (r == -1) {
		c->keep_alive = 0;
		c->body_done = 0;
		/* A HEAD gets no content, even in an error. */
		c->head_only = c->req->method_id == METHOD_HEAD;
		log_keep_first_line(c);
		apply(c, http_error(c, c->req->status));
		return 1;
	}
	request_start(c, (size_t)r);
	apply(c, http_head(c));
	return 1;
}

/* Drives the state machine until it has to wait for an event. */
static void step(struct conn *c)
{
	for (;;) {
		int r;

		switch (c->state) {
		case CONN_READ_HEAD:
			if (!read_head(c))
				goto wait;
			continue;
		case CONN_READ_BODY:
			if (c->pos == c->in_len && !(c->req->framing == FRAMING_LENGTH && c->body_left == 0))
				goto wait;
			r = feed_body(c);
			if (r == 0)
				goto wait;
			apply(c, r == 1 ? http_body_end(c) : http_error(c, r));
			continue;
		case CONN_WRITE:
			r = flush_out(c);
			if (r == 0)
				goto wait;
			if (r < 0) {
				conn_close(c);
				return;
			}
			if (c->interim) {
				c->interim = 0;
				c->out.len = c->out_off = 0;
				enter(c, CONN_READ_BODY);
				continue;
			}
			finish_response(c);
			continue;
		case CONN_WAIT:
		case CONN_LINGER:
			goto wait;
		case CONN_CLOSE:
			return;
		}
	}
wait:
	interest(c);
}

void conn_ready(struct conn *c)
{
	if (c->state == CONN_WAIT) {
		apply(c, http_resume(c));
	} else if (c->state == CONN_WRITE) {
		c->src_wait = 0;
	}
	step(c);
}

static void rebase_slice(struct slice *sl, const char *old, char *new)
{
	if (sl->p != NULL)
		sl->p = new + (sl->p - old);
}

/* Points the slices of a parsed head at the same bytes in a new buffer. */
static void rebase(struct request_head *h, const char *old, char *new)
{
	rebase_slice(&h->method, old, new);
	rebase_slice(&h->target, old, new);
	rebase_slice(&h->host, old, new);
	for (size_t i = 0; i < h->nfields; i++) {
		rebase_slice(&h->fields[i].name, old, new);
		rebase_slice(&h->fields[i].value, old, new);
	}
}

/* Makes room in the input buffer: taken from the pool when the first
 * byte of a request is due, heads grow by doubling up to IN_BUF_MAX, a
 * body is read into a BODY_BUF_SIZE buffer from the pool (large reads,
 * handed to the sink as they are; feed_body empties it after each).
 * Returns 1 with room, 0 when the buffer is full at its cap, -1 without
 * memory. */
static int grow_in(struct conn *c)
{
	int body = c->state == CONN_READ_BODY;
	size_t ncap = body ? BODY_BUF_SIZE : c->in_cap * 2;
	char *p;

	if (c->in == NULL || c->x == NULL) /* fill_in takes them first */
		return take_bufs(c) < 0 ? -1 : 1;
	if (c->in_len < c->in_cap && !(body && c->in_cap < BODY_BUF_SIZE))
		return 1;
	if (!body && ncap > IN_BUF_MAX)
		ncap = IN_BUF_MAX;
	if (ncap <= c->in_cap)
		return c->in_len < c->in_cap; /* full: the parser has already answered 431 */
	/* Not realloc(): the parsed head's slices point into the old buffer
	 * and are moved over while it is still valid. */
	p = ncap == BODY_BUF_SIZE ? bufpool_get(&c->sv->pool, ncap) : malloc(ncap);
	if (p == NULL)
		return -1;
	memcpy(p, c->in, c->in_len);
	rebase(c->req, c->in, p);
	put_buf(c, c->in, c->in_cap);
	c->in = p;
	c->in_cap = ncap;
	return 1;
}

/* Reads what the socket has.  Returns 1 if bytes arrived, 0 if none,
 * -1 if the connection ended. */
static int fill_in(struct conn *c)
{
	char first[IN_BUF_INIT];
	int idle = c->in == NULL;
	size_t room;
	ssize_t n;
	int r;

	if (idle) {
		/* Idle: the first bytes land on the stack and the buffers are
		 * taken only when there are some, so a client that just closes
		 * (a thousand at once, say) costs no buffer. */
		room = sizeof(first);
		n = read(c->fd, first, room);
	} else {
		if ((r = grow_in(c)) <= 0) {
			if (r < 0)
				conn_close(c);
			return r;
		}
		room = c->in_cap - c->in_len;
		n = read(c->fd, c->in + c->in_len, room);
	}
	/* A short read took all there was (stream socket); the next bytes
	 * are reported anew. */
	if ((n >= 0 && (size_t)n < room) || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)))
		loop_unready(c->sv->lp, c->fd, POLLIN);
	if (n > 0) {
		if (idle) {
			if (take_bufs(c) < 0) {
				conn_close(c);
				return -1;
			}
			memcpy(c->in, first, (size_t)n);
		}
		/* The first byte of a request starts its head timeout. */
		if (c->state == CONN_READ_HEAD && c->in_len == 0)
			set_deadline(c, conn_conf(c)->header_timeout_ms);
		c->in_len += (size_t)n;
		return 1;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	conn_close(c); /* EOF or error: the client is gone */
	return -1;
}

static void conn_event(struct loop *lp, int fd, short re, void *ctx)
{
	struct conn *c = ctx;

	(void)lp;
	(void)fd;
	if (re & POLLNVAL) {
		conn_close(c);
		return;
	}
	/* Writes happen only inside the handling of a POLLOUT report. */
	c->can_write = (re & POLLOUT) != 0;
	switch (c->state) {
	case CONN_READ_HEAD:
	case CONN_READ_BODY:
		if ((re & (POLLIN | POLLHUP | POLLERR)) && fill_in(c) < 0)
			return;
		break;
	case CONN_LINGER: {
		char drop[DROP_BUF];
		ssize_t n = read(c->fd, drop, sizeof(drop));

		if ((n > 0 && (size_t)n < sizeof(drop)) || (n < 0 && errno == EAGAIN))
			loop_unready(c->sv->lp, c->fd, POLLIN);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			conn_close(c);
		return;
	}
	case CONN_WRITE:
	case CONN_WAIT:
		/* A reset means the client left: the script is killed with the
		 * connection.  A FIN alone is a half-close, not an abort (RFC
		 * 9112 9.6): the request is complete, so it is still answered;
		 * a client that really left shows when a write fails. */
		if ((re & POLLERR) || ((c->state == CONN_WAIT || c->src_wait) && (re & POLLHUP))) {
			conn_close(c);
			return;
		}
		if (re & POLLRDHUP)
			c->rd_eof = 1;
		break;
	case CONN_CLOSE:
		return;
	}
	step(c);
	c->can_write = 0;
}

static void on_timeout(struct conn *c)
{
	switch (c->state) {
	case CONN_READ_HEAD:
		if (c->proxy_wait) {
			conn_proxy_timeout(c);
			return;
		}
		if (c->in_len == 0) { /* idle: close silently */
			conn_close(c);
			return;
		}
		c->keep_alive = 0;
		c->body_done = 0;
		c->head_only = 0; /* nothing of this request was understood */
		log_keep_first_line(c);
		apply(c, http_error(c, 408));
		break;
	case CONN_READ_BODY:
		apply(c, http_error(c, body_failed(c, 408)));
		break;
	case CONN_WAIT:
		apply(c, http_expire(c));
		break;
	case CONN_WRITE:
	case CONN_LINGER:
	case CONN_CLOSE:
		conn_close(c);
		return;
	}
	step(c);
}

void conn_sweep(struct server *sv)
{
	struct conn *c, *next;

	for (c = sv->conns; c != NULL; c = next) {
		next = c->next;
		if (sv->stopping && c->state == CONN_READ_HEAD && c->in_len == 0) {
			conn_close(c);
			continue;
		}
		if (c->deadline && sv->now_ms >= c->deadline)
			on_timeout(c);
	}
}
