#ifndef MASTER_H
#define MASTER_H

/* Several worker processes (`worker_processes N|auto;`).  The master
 * binds the listeners (server_listen), then forks N workers that inherit
 * them and each run their own event loop (server_run) on the same
 * listening sockets.  The master serves nothing: it supervises.
 *
 *   SIGTERM, SIGINT  every worker gets SIGTERM (quick stop); the master
 *                    exits when all have ended (those still alive after
 *                    MASTER_KILL_MS are killed).
 *   SIGQUIT          every worker gets SIGQUIT (graceful stop: no new
 *                    connection, every exchange in flight finishes); the
 *                    master exits after the last one.
 *   SIGHUP           the master reads and checks the configuration again
 *                    (server_reload: listeners kept, bound or closed); if
 *                    it is valid, new workers start with it and the old
 *                    ones get SIGQUIT; if not, it is logged and nothing
 *                    changes.
 *   SIGUSR1          the master reopens its logs and every worker its own.
 *   a worker ends    unasked (crash, kill): a new one is forked in its
 *                    place, at most MASTER_RESPAWN_BURST in
 *                    MASTER_RESPAWN_WINDOW_MS (later ones wait).
 *
 * CGI children are children of their worker, which reaps them. */

#include "server.h"

#define MASTER_RESPAWN_BURST 10         /* respawns allowed per window */
#define MASTER_RESPAWN_WINDOW_MS 10000  /* the window */
#define MASTER_KILL_MS 4500             /* quick stop: SIGKILL after this */

/* The number of workers cf asks for: worker_processes, auto (0) being
 * the online cores.  At least 1. */
unsigned master_workers(const struct config *cf);

/* Runs the master over sv (configuration loaded, listeners bound, pid
 * file written).  In the master it returns 0 once every worker has
 * ended after a stop signal.  A forked worker never returns from it: it
 * runs its loop on a fresh event backend be, frees what it holds and
 * exits. */
int master_run(struct server *sv, enum loop_backend be);

#endif
