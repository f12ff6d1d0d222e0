#ifndef LOOP_H
#define LOOP_H

/* The event loop: a table of {handler, ctx} per watched descriptor and a
 * readiness backend behind it, chosen when the loop is made:
 *
 *   LOOP_POLL   poll() on an array of pollfd kept in place; each wait walks
 *               every watched descriptor (portable).
 *   LOOP_EPOLL  Linux epoll, level-triggered; a wait costs what is ready,
 *               not what is watched (the default on Linux).
 *
 * Both behave the same to handlers:
 * - Level-triggered: a descriptor that is still ready is reported again on
 *   the next loop_once(), whether or not the handler consumed everything.
 * - revents are what the kernel reported for the events watched when the
 *   wait began: a loop_set() during a dispatch pass takes effect at the
 *   next wait.  POLLHUP and POLLERR are reported even when not asked for
 *   (also with events 0); POLLRDHUP only when asked for.
 * - Within a pass, handlers are called in the order their descriptors were
 *   added (poll() walks its array in that order; epoll's events are sorted
 *   so): listening sockets added at start-up come before connections.
 * - Handlers may add or remove any descriptor while events are being
 *   dispatched.  A descriptor removed during the pass is never called
 *   again in that pass, even when its number is reused at once (closed,
 *   then returned by accept() and added): the new registration waits for
 *   the next wait, and the old ctx is never handed an event.
 * - POLLNVAL: poll() reports it for a watched descriptor that was closed
 *   without loop_del().  The kernel drops such a descriptor from an epoll
 *   set silently; the epoll backend reports POLLNVAL on the next pass when
 *   a loop_set() on it finds it gone.  Close only after loop_del().
 * The epoll event bits equal the poll bits on Linux (EPOLLIN == POLLIN,
 * EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDHUP likewise); the mapping is
 * written out in loop.c all the same. */

#include <poll.h>
#include <stddef.h>

#ifndef POLLRDHUP
#define POLLRDHUP 0x2000
#endif

enum loop_backend {
	LOOP_POLL,
	LOOP_EPOLL,
};

#ifdef __linux__
#define LOOP_DEFAULT LOOP_EPOLL
#else
#define LOOP_DEFAULT LOOP_POLL
#endif

struct loop;
typedef void (*loop_fn)(struct loop *lp, int fd, short revents, void *ctx);

/* 1 when the backend is built into this binary (epoll: Linux only). */
int loop_backend_available(enum loop_backend be);
/* "poll" or "epoll". */
const char *loop_backend_name(enum loop_backend be);

/* Creates a loop for descriptors 0..maxfds-1 on backend be.  NULL on
 * allocation failure, when epoll_create1() fails (errno kept) or when the
 * backend is not available (errno ENOSYS). */
struct loop *loop_new(size_t maxfds, enum loop_backend be);
void loop_free(struct loop *lp);

/* Watches fd for events (POLLIN/POLLOUT/POLLRDHUP, may be 0) calling
 * fn(ctx).  Returns 0, or -1 when fd is out of range or already watched,
 * or the kernel refuses it (epoll: a regular file, EPERM). */
int loop_add(struct loop *lp, int fd, short events, loop_fn fn, void *ctx);
/* loop_add for a descriptor whose handler says when a read or write came
 * up short (loop_unready).  epoll: registered once for POLLIN, POLLOUT and
 * POLLRDHUP, edge-triggered; the loop keeps what the kernel reported as
 * ready and calls the handler, pass after pass, with what is ready and
 * watched (POLLERR and POLLHUP unasked, POLLRDHUP only when asked), until
 * the handler takes it back with loop_unready(); a loop_set() is then
 * bookkeeping, no system call, and a descriptor known ready for what it
 * now watches is reported on the next pass (which does not block).  To
 * the handler this is level-triggered as above, provided it calls
 * loop_unready() whenever a read or write would block or moved fewer
 * bytes than asked.  poll: the same as loop_add(). */
int loop_add_tracked(struct loop *lp, int fd, short events, loop_fn fn, void *ctx);
/* A tracked descriptor is no longer ready for events (POLLIN and/or
 * POLLOUT): a read or write on it would block, or came up short.  POLLIN
 * stays once POLLRDHUP or POLLHUP came (the end of the stream is still to
 * be read).  No-op on other descriptors and on poll. */
void loop_unready(struct loop *lp, int fd, short events);
/* Changes the events watched for fd (no-op for an unknown fd or when the
 * events are unchanged). */
void loop_set(struct loop *lp, int fd, short events);
/* Stops watching fd (does not close it).  Call it before close(). */
void loop_del(struct loop *lp, int fd);
/* loop_del for a descriptor the caller closes right away: for a tracked
 * one on epoll no system call (the close takes it out of the set). */
void loop_del_closing(struct loop *lp, int fd);
/* Number of descriptors watched. */
size_t loop_count(const struct loop *lp);

/* One wait of at most timeout_ms, then dispatch of every ready
 * descriptor.  Returns the number of ready descriptors, 0 on timeout or
 * EINTR. */
int loop_once(struct loop *lp, int timeout_ms);

#endif
