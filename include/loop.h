#ifndef LOOP_H
#define LOOP_H

/* The single poll() loop: owns the pollfd array and a parallel table of
 * {handler, ctx}.  Slots are kept in place between iterations; a removed
 * slot is marked (fd -1, ignored by poll) and compacted after dispatch,
 * so handlers may add or remove any descriptor while events are being
 * dispatched. */

#include <poll.h>
#include <stddef.h>

struct loop;
typedef void (*loop_fn)(struct loop *lp, int fd, short revents, void *ctx);

/* Creates a loop for up to maxfds descriptors.  NULL on allocation failure. */
struct loop *loop_new(size_t maxfds);
void loop_free(struct loop *lp);

/* Watches fd for events (POLLIN/POLLOUT, may be 0) calling fn(ctx).
 * Returns 0, or -1 when the table is full or fd is out of range. */
int loop_add(struct loop *lp, int fd, short events, loop_fn fn, void *ctx);
/* Changes the events watched for fd (no-op for an unknown fd). */
void loop_set(struct loop *lp, int fd, short events);
/* Stops watching fd (does not close it). */
void loop_del(struct loop *lp, int fd);
/* Number of descriptors watched. */
size_t loop_count(const struct loop *lp);

/* One poll() of at most timeout_ms, then dispatch of every ready slot.
 * Returns the number of ready descriptors, 0 on timeout or EINTR. */
int loop_once(struct loop *lp, int timeout_ms);

#endif
