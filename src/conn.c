/* Connections: accept, the per-connection state machine, reading,
 * writing, timeouts and closing.  Every read or write here follows a
 * poll() report for that descriptor (or an earlier EAGAIN-free pass in
 * the same readiness round). */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#define SENDFILE_MAX (1 << 20)

static void conn_event(struct loop *lp, int fd, short re, void *ctx);

/* Timeouts come from the routed location once known, else from the
 * default server of the listening address. */
const struct loc_conf *conn_conf(const struct conn *c)
{
	return c->loc != NULL ? c->loc : &c->ls->def->srv;
}

void conn_set_deadline(struct conn *c, uint64_t ms)
{
	c->deadline = ms ? c->sv->now_ms + ms : 0;
}

static void listeners_poll(struct server *sv, int on)
{
	if (sv->accepting == on)
		return;
	sv->accepting = on;
	for (size_t i = 0; i < sv->nls; i++)
		if (sv->ls[i].fd >= 0)
			loop_set(sv->lp, sv->ls[i].fd, on ? POLLIN : 0);
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
	/* One line per burst: reclaims less than a second apart are one. */
	if (sv->last_reclaim == 0 || sv->now_ms - sv->last_reclaim >= 1000)
		log_error("max_connections (%zu) reached: closing idle keep-alive connections",
			  sv->max_conns);
	sv->last_reclaim = sv->now_ms ? sv->now_ms : 1;
	conn_close(old);
	return 1;
}

void conn_accept(struct loop *lp, int fd, short re, void *ctx)
{
	struct listener *ls = ctx;
	struct server *sv = ls->sv;

	(void)re;
	for (int reclaimed = 0;;) {
		struct sockaddr_in sa, la;
		socklen_t sl = sizeof(sa), ll = sizeof(la);
		struct conn *c;
		int cfd, one = 1;

		/* At the cap, make room for the client poll() reported, once
		 * per report: no idle connection is closed for a client that
		 * may not be there. */
		if (sv->nconns >= sv->max_conns && !sv->stopping) {
			if (reclaimed)
				return;
			reclaimed = reclaim_idle(sv);
		}
		if (sv->nconns >= sv->max_conns || sv->stopping) {
			/* Over the cap: leave the rest in the kernel backlog. */
			listeners_poll(sv, 0);
			return;
		}
		cfd = accept4(fd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				log_error("accept: %s (pausing accepts)", strerror(errno));
				listeners_poll(sv, 0);
			}
			return; /* EAGAIN: drained */
		}
		c = calloc(1, sizeof(*c));
		if (c != NULL)
			c->in = malloc(IN_BUF_INIT);
		if (c == NULL || c->in == NULL || loop_add(lp, cfd, POLLIN, conn_event, c) < 0) {
			if (c != NULL)
				free(c->in);
			free(c);
			close(cfd);
			log_error("accept: out of memory or descriptors, connection dropped");
			continue;
		}
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->sv = sv;
		c->ls = ls;
		c->fd = cfd;
		c->in_cap = IN_BUF_INIT;
		c->file_fd = -1;
		c->state = CONN_READ_HEAD;
		inet_ntop(AF_INET, &sa.sin_addr, c->peer, sizeof(c->peer));
		c->peer_port = ntohs(sa.sin_port);
		if (getsockname(cfd, (struct sockaddr *)&la, &ll) == 0) {
			c->laddr = ntohl(la.sin_addr.s_addr);
			c->lport = ntohs(la.sin_port);
		} else {
			c->laddr = ls->addr;
			c->lport = ls->port;
		}
		c->next = sv->conns;
		if (sv->conns)
			sv->conns->prev = c;
		sv->conns = c;
		sv->nconns++;
		conn_set_deadline(c, conn_conf(c)->header_timeout_ms);
	}
}

void conn_close(struct conn *c)
{
	struct server *sv = c->sv;

	if (c->state == CONN_CLOSE)
		return;
	if (c->state == CONN_READ_BODY && !c->body_done && c->sink && c->sink->abort)
		c->sink->abort(c);
	http_reset(c);
	c->state = CONN_CLOSE;
	loop_del(sv->lp, c->fd);
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
		listeners_poll(sv, 1);
}

void conn_update(struct conn *c)
{
	short ev = 0;

	switch (c->state) {
	case CONN_READ_HEAD:
	case CONN_READ_BODY:
	case CONN_LINGER:
		ev = POLLIN;
		break;
	case CONN_WRITE:
		/* While a CGI is silent, watch for the client leaving (once its
		 * FIN was seen, only a reset is left to report: POLLERR and
		 * POLLHUP come unasked). */
		ev = c->wait_cgi ? (c->rd_eof ? 0 : POLLRDHUP) : POLLOUT;
		break;
	case CONN_CGI:
		ev = c->rd_eof ? 0 : POLLRDHUP;
		break;
	case CONN_CLOSE:
		ev = 0;
		break;
	}
	if (c->state != CONN_CLOSE)
		loop_set(c->sv->lp, c->fd, ev);
}

/* Starts the lingering close: our side is done; drop what the client
 * still sends for a while so it can read the response before a reset. */
static void linger(struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
	c->state = CONN_LINGER;
	c->in_len = c->pos = 0;
	conn_set_deadline(c, LINGER_MS);
}

/* The response is out: log it, clean up, then keep the connection for the
 * next request or close it. */
static void finish_response(struct conn *c)
{
	uint64_t idle;
	size_t left;

	log_access(c);
	http_reset(c);
	c->nreq++;
	c->in_error_page = 0;
	c->head_only = 0;
	c->allow[0] = '\0';
	c->log_line[0] = c->log_ref[0] = c->log_ua[0] = '\0';
	c->status = 0;
	if (!c->keep_alive || c->sv->stopping) {
		/* Unread request bytes would make our close a reset. */
		if (!c->body_done || c->in_len > c->pos)
			linger(c);
		else
			conn_close(c);
		return;
	}
	/* The idle limit is the one of the location just served. */
	idle = conn_conf(c)->keepalive_timeout_ms;
	left = c->in_len - c->pos;
	if (left)
		memmove(c->in, c->in + c->pos, left);
	c->in_len = left;
	c->pos = 0;
	c->head_len = 0;
	c->loc = NULL;
	c->srv = NULL;
	c->state = CONN_READ_HEAD;
	c->idle_since = c->sv->now_ms;
	conn_set_deadline(c, left ? conn_conf(c)->header_timeout_ms : idle);
	/* Accepts paused at the cap may go on: this one can be reclaimed. */
	if (!left && !c->sv->accepting && c->sv->nconns >= c->sv->max_conns)
		listeners_poll(c->sv, 1);
}

/* Feeds the body bytes in in[pos..in_len) to the sink.  Returns 1 when the
 * body is complete, 0 when more is needed, -1 when the exchange ended
 * (an error response is under way). */
static int feed_body(struct conn *c)
{
	char *p = c->in + c->pos;
	size_t n = c->in_len - c->pos;
	uint64_t max = c->loc ? c->loc->max_body : 0;
	int done = 0, st;

	if (c->req.framing == FRAMING_LENGTH) {
		if (n > c->body_left)
			n = (size_t)c->body_left;
		c->body_left -= n;
		done = c->body_left == 0;
		c->pos += n;
	} else {
		size_t len = n;
		ssize_t r = chunked_decode(&c->chunk, p, &len);

		if (r == -1) {
			c->keep_alive = 0;
			if (c->sink && c->sink->abort)
				c->sink->abort(c);
			c->sink = NULL;
			c->body_done = 1; /* framing is lost: close after the answer */
			http_error(c, 400);
			return -1;
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
	if (max && (c->body_total > max ||
		    (c->req.framing == FRAMING_CHUNKED &&
		     chunked_pending(&c->chunk) > max - c->body_total))) {
		if (c->sink && c->sink->abort)
			c->sink->abort(c);
		c->sink = NULL;
		c->keep_alive = 0;
		http_error(c, 413);
		return -1;
	}
	if (n && c->sink && (st = c->sink->data(c, p, n)) != 0) {
		if (c->sink->abort)
			c->sink->abort(c);
		c->sink = NULL;
		c->keep_alive = 0;
		http_error(c, st);
		return -1;
	}
	if (!done) {
		/* Everything was consumed: the buffer shrinks back to the head. */
		c->in_len = c->pos = c->head_len;
		conn_set_deadline(c, conn_conf(c)->body_timeout_ms);
		return 0;
	}
	c->body_done = 1;
	return 1;
}

/* Writes what is pending.  Returns 1 when the response is complete, 0
 * when waiting (socket full or CGI pipe empty), -1 when the connection
 * was closed. */
static int flush_out(struct conn *c)
{
	for (;;) {
		ssize_t n;

		if (c->out_off < c->out.len) {
			if (!c->can_write)
				return 0; /* wait for poll() to report POLLOUT */
			n = write(c->fd, c->out.p + c->out_off, c->out.len - c->out_off);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					return 0;
				conn_close(c);
				return -1;
			}
			c->out_off += (size_t)n;
			c->sent += (uint64_t)n;
			conn_set_deadline(c, conn_conf(c)->send_timeout_ms);
			/* A short write means the socket is full: come back on the
			 * next POLLOUT. */
			if (c->out_off < c->out.len) {
				c->can_write = 0;
				return 0;
			}
			continue;
		}
		if (c->file_fd >= 0 && c->file_off < c->file_end) {
			off_t left = c->file_end - c->file_off;
			size_t chunk = left > SENDFILE_MAX ? SENDFILE_MAX : (size_t)left;

			if (!c->can_write)
				return 0;
			n = sendfile(c->fd, c->file_fd, &c->file_off, chunk);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					return 0;
				conn_close(c);
				return -1;
			}
			if (n == 0) { /* the file shrank under us: framing is broken */
				conn_close(c);
				return -1;
			}
			c->sent += (uint64_t)n;
			conn_set_deadline(c, conn_conf(c)->send_timeout_ms);
			if (c->file_off < c->file_end) {
				c->can_write = 0; /* one sendfile() per readiness report */
				return 0;
			}
			return 1;
		}
		/* A 100 Continue is not the script's response: a CGI sink is
		 * not running yet and has nothing to stream. */
		if (c->cgi != NULL && !c->interim) {
			int r;

			c->out.len = c->out_off = 0;
			r = cgi_fill(c);
			if (r > 0)
				continue;
			if (r == 0) {
				c->wait_cgi = 1;
				return 0;
			}
			if (c->state == CONN_CLOSE)
				return -1;
			if (c->out.len)
				continue; /* final chunk queued */
		}
		return 1;
	}
}

/* For the access log of a request rejected while parsing: its first
 * line as received (escaped when logged). */
static void log_first_line(struct conn *c)
{
	size_t i = 0, n = 0;

	while (i < c->in_len && (c->in[i] == '\r' || c->in[i] == '\n'))
		i++;
	while (i + n < c->in_len && c->in[i + n] != '\r' && c->in[i + n] != '\n' &&
	       n < sizeof(c->log_line) - 1)
		n++;
	memcpy(c->log_line, c->in + i, n);
	c->log_line[n] = '\0';
}

/* Drives the state machine until it has to wait for the network. */
void conn_wake(struct conn *c)
{
	for (;;) {
		int r;

		switch (c->state) {
		case CONN_READ_HEAD:
			if (c->in_len == 0)
				goto wait;
			/* Only the bytes new since the last read are scanned. */
			r = request_parse_resume(&c->scan, c->in, c->in_len, &c->req);
			if (r == -2)
				goto wait;
			if (r == -1) {
				c->keep_alive = 0;
				c->body_done = 0;
				/* A HEAD gets no content, even in an error. */
				c->head_only = c->req.method_id == METHOD_HEAD;
				log_first_line(c);
				http_error(c, c->req.status);
				continue;
			}
			c->head_len = c->pos = (size_t)r;
			c->start = c->sv->now;
			http_handle_head(c);
			continue;
		case CONN_READ_BODY:
			if (c->interim) /* 100 Continue is being written */
				goto wait;
			if (c->pos == c->in_len && !(c->req.framing == FRAMING_LENGTH && c->body_left == 0))
				goto wait;
			r = feed_body(c);
			if (r == 0)
				goto wait;
			if (r == 1) {
				if (c->sink && c->sink->end)
					c->sink->end(c);
				else
					http_dispatch(c);
			}
			continue;
		case CONN_WRITE:
			r = flush_out(c);
			if (r <= 0)
				goto wait;
			if (c->interim) {
				c->interim = 0;
				c->out.len = c->out_off = 0;
				c->state = CONN_READ_BODY;
				conn_set_deadline(c, conn_conf(c)->body_timeout_ms);
				continue;
			}
			finish_response(c);
			continue;
		case CONN_CGI:
		case CONN_LINGER:
			goto wait;
		case CONN_CLOSE:
			return;
		}
	}
wait:
	conn_update(c);
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

/* Reads what the socket has.  Returns 1 if bytes arrived, 0 if none,
 * -1 if the connection ended. */
static int fill_in(struct conn *c)
{
	ssize_t n;

	if (c->in_len == c->in_cap ||
	    (c->state == CONN_READ_BODY && c->in_cap - c->in_len < 16384)) {
		/* Heads grow by doubling; a body gets the full buffer at once. */
		size_t ncap = c->state == CONN_READ_BODY ? IN_BUF_MAX : c->in_cap * 2;
		char *p;

		if (ncap > IN_BUF_MAX)
			ncap = IN_BUF_MAX;
		if (ncap == c->in_cap && c->in_len == c->in_cap)
			return 0; /* full: the parser has already answered 431 */
		/* Not realloc(): the parsed head's slices point into the old
		 * buffer and are moved over while it is still valid. */
		p = malloc(ncap);
		if (p == NULL) {
			conn_close(c);
			return -1;
		}
		memcpy(p, c->in, c->in_len);
		rebase(&c->req, c->in, p);
		free(c->in);
		c->in = p;
		c->in_cap = ncap;
	}
	n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
	if (n > 0) {
		/* The first byte of a request starts its head timeout. */
		if (c->state == CONN_READ_HEAD && c->in_len == 0)
			conn_set_deadline(c, conn_conf(c)->header_timeout_ms);
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
		if (re & (POLLIN | POLLHUP | POLLERR)) {
			if (fill_in(c) < 0)
				return;
		}
		break;
	case CONN_LINGER: {
		char drop[4096];
		ssize_t n = read(c->fd, drop, sizeof(drop));

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			conn_close(c);
		return;
	}
	case CONN_WRITE:
	case CONN_CGI:
		/* A reset means the client left: the script is killed with the
		 * connection.  A FIN alone is a half-close, not an abort (RFC
		 * 9112 9.6): the request is complete, so it is still answered;
		 * a client that really left shows when a write fails. */
		if ((re & POLLERR) || ((c->state == CONN_CGI || c->wait_cgi) && (re & POLLHUP))) {
			conn_close(c);
			return;
		}
		if (re & POLLRDHUP)
			c->rd_eof = 1;
		break;
	case CONN_CLOSE:
		return;
	}
	conn_wake(c);
	c->can_write = 0;
}

static void on_timeout(struct conn *c)
{
	switch (c->state) {
	case CONN_READ_HEAD:
		if (c->in_len == 0) { /* idle: close silently */
			conn_close(c);
			return;
		}
		c->keep_alive = 0;
		c->body_done = 0;
		c->head_only = 0; /* nothing of this request was understood */
		log_first_line(c);
		http_error(c, 408);
		break;
	case CONN_READ_BODY:
		if (c->sink && c->sink->abort)
			c->sink->abort(c);
		c->sink = NULL;
		c->keep_alive = 0;
		http_error(c, 408);
		break;
	case CONN_CGI:
		if (cgi_waiting(c)) {
			/* No CGI slot came free within cgi_timeout. */
			char secs[24];

			snprintf(secs, sizeof(secs), "%llu",
				 (unsigned long long)(conn_conf(c)->cgi_timeout_ms + 999) / 1000);
			cgi_free(c);
			c->keep_alive = 0;
			http_page(c, 503, "Retry-After", secs);
			break;
		}
		/* The script said nothing for cgi_timeout. */
		cgi_free(c);
		c->keep_alive = 0;
		http_error(c, 504);
		break;
	case CONN_WRITE:
	case CONN_LINGER:
	case CONN_CLOSE:
		conn_close(c);
		return;
	}
	conn_wake(c);
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
