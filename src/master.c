/* The master process of `worker_processes N`: forks the workers over the
 * inherited listeners, forwards signals, replaces a worker that dies and
 * runs a reload as new workers plus a graceful stop of the old ones
 * (master.h). */
#include "master.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include "log.h"

#define MASTER_WAIT_MS 1000 /* longest sigtimedwait(): a stop deadline is checked this often */

/* One forked worker. */
struct worker {
	pid_t pid;
	unsigned gen;      /* configuration generation it started with */
	int told;          /* it was sent a stop signal: its end is expected */
};

struct master {
	struct server *sv;
	enum loop_backend be;    /* every worker's event backend (chosen once) */
	sigset_t sigs;           /* the signals the master waits for */
	sigset_t old_mask;       /* the mask workers go back to */
	struct worker *w;
	size_t nw, cap;
	unsigned gen;            /* generation of the current workers */
	unsigned want;           /* workers wanted in that generation */
	uint64_t respawn[MASTER_RESPAWN_BURST]; /* times of the last respawns (ring) */
	size_t next_respawn;     /* ring index of the oldest */
	int stopping;            /* 0, 1 graceful (SIGQUIT), 2 quick (SIGTERM) */
	uint64_t kill_at;        /* quick stop: survivors are killed then */
};

unsigned master_workers(const struct config *cf)
{
	long n;

	if (cf->worker_processes > 0)
		return cf->worker_processes;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > WORKERS_MAX ? WORKERS_MAX : (unsigned)n;
}

/* The child side of a fork: signals of its own, a fresh event backend
 * (an epoll instance would be shared with the master and every sibling
 * otherwise), then the loop.  Never returns. */
static void worker_main(struct master *m)
{
	struct server *sv = m->sv;
	int status = 0;

	free(m->w);
	m->w = NULL;
#ifdef __linux__
	/* A master that is killed outright leaves no worker serving on its
	 * own: they stop gracefully. */
	prctl(PR_SET_PDEATHSIG, SIGQUIT);
	if (getppid() == 1)
		raise(SIGQUIT);
#endif
	if (server_signals() < 0) {
		log_error("worker %ld: pipe: %s", (long)getpid(), strerror(errno));
		status = 1;
	}
	sigprocmask(SIG_SETMASK, &m->old_mask, NULL);
	loop_free(sv->lp);
	sv->lp = status == 0 ? loop_new(sv->fd_budget, m->be) : NULL;
	if (sv->lp == NULL) {
		log_error("worker %ld: cannot create the event loop: %s", (long)getpid(),
			  strerror(errno));
		status = 1;
	}
	if (status == 0)
		server_run(sv);
	server_free(sv);
	exit(status);
}

/* Forks one worker of the current generation.  0, or -1 (logged). */
static int spawn(struct master *m)
{
	pid_t pid;

	if (m->nw == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		struct worker *nw = realloc(m->w, cap * sizeof(*nw));

		if (nw == NULL) {
			log_error("cannot start a worker: out of memory");
			return -1;
		}
		m->w = nw;
		m->cap = cap;
	}
	pid = fork();
	if (pid < 0) {
		log_error("cannot start a worker: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		worker_main(m);
	m->w[m->nw++] = (struct worker){ .pid = pid, .gen = m->gen };
	return 0;
}

static void tell_all(struct master *m, int sig)
{
	for (size_t i = 0; i < m->nw; i++) {
		m->w[i].told = 1;
		kill(m->w[i].pid, sig);
	}
}

/* Collects every ended worker; logs those that ended unasked. */
static void reap(struct master *m)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (size_t i = 0; i < m->nw; i++) {
			if (m->w[i].pid != pid)
				continue;
			if (!m->w[i].told && !m->stopping) {
				if (WIFSIGNALED(st))
					log_error("worker %ld killed by signal %d", (long)pid,
						  WTERMSIG(st));
				else
					log_error("worker %ld exited with status %d", (long)pid,
						  WEXITSTATUS(st));
			}
			m->w[i] = m->w[--m->nw];
			break;
		}
	}
}

/* Starts what the current generation lacks, respawns bounded by the
 * rate.  Returns the milliseconds until a delayed respawn may run, or
 * -1 when none waits. */
static long fill(struct master *m)
{
	size_t have = 0;

	for (size_t i = 0; i < m->nw; i++)
		have += m->w[i].gen == m->gen && !m->w[i].told;
	while (have < m->want) {
		uint64_t now = clock_ms(), oldest = m->respawn[m->next_respawn];

		if (oldest != 0 && now - oldest < MASTER_RESPAWN_WINDOW_MS)
			return (long)(MASTER_RESPAWN_WINDOW_MS - (now - oldest));
		m->respawn[m->next_respawn] = now;
		m->next_respawn = (m->next_respawn + 1) % MASTER_RESPAWN_BURST;
		if (spawn(m) < 0)
			continue; /* counted: a failing fork is retried at the same rate */
		log_error("worker %ld started in place of one that ended", (long)m->w[m->nw - 1].pid);
		have++;
	}
	return -1;
}

/* A stop: the master's copies of the listening sockets close with the
 * workers' ones, so that the address refuses connections (a balancer
 * sees it down at once) instead of queueing them for nobody. */
static void close_listeners(struct server *sv)
{
	for (size_t k = 0; k < sv->nls; k++)
		if (sv->ls[k].fd >= 0) {
			close(sv->ls[k].fd);
			sv->ls[k].fd = -1;
		}
}

/* SIGHUP: a new configuration, new workers, the old ones drained. */
static void reload(struct master *m)
{
	if (server_reload(m->sv) < 0)
		return; /* logged; the workers keep the old configuration */
	for (size_t i = 0; i < m->nw; i++)
		if (m->w[i].gen == m->gen && !m->w[i].told) {
			m->w[i].told = 1;
			kill(m->w[i].pid, SIGQUIT);
		}
	m->gen++;
	m->want = master_workers(m->sv->cf);
	for (unsigned k = 0; k < m->want; k++)
		if (spawn(m) < 0)
			break; /* fill() retries */
	log_error("%zu worker(s) started with the new configuration", m->nw);
}

/* Waits for one signal for at most ms.  The signal, or 0. */
static int wait_signal(struct master *m, long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
	int sig = sigtimedwait(&m->sigs, NULL, &ts);

	return sig > 0 ? sig : 0;
}

int master_run(struct server *sv, enum loop_backend be)
{
	static const int caught[] = { SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGUSR1, SIGCHLD };
	struct master m = { .sv = sv, .be = be };

	sigemptyset(&m.sigs);
	for (size_t i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		sigaddset(&m.sigs, caught[i]);
	/* Blocked, the signals wait for sigtimedwait(): no handler runs in
	 * the master, and a worker unblocks them once its own are set. */
	sigprocmask(SIG_BLOCK, &m.sigs, &m.old_mask);
	m.want = master_workers(sv->cf);
	for (unsigned k = 0; k < m.want; k++)
		if (spawn(&m) < 0)
			break;
	log_error("master %ld, %zu worker(s)", (long)getpid(), m.nw);
	for (;;) {
		long wait_ms = MASTER_WAIT_MS, retry;
		int sig;

		reap(&m);
		if (m.stopping && m.nw == 0)
			break;
		if (m.stopping == 2 && clock_ms() >= m.kill_at) {
			log_error("killing %zu worker(s) still running", m.nw);
			tell_all(&m, SIGKILL);
			m.kill_at = UINT64_MAX;
		}
		if (!m.stopping && (retry = fill(&m)) >= 0 && retry < wait_ms)
			wait_ms = retry;
		sig = wait_signal(&m, wait_ms);
		switch (sig) {
		case SIGINT:
		case SIGTERM:
			if (m.stopping != 2) {
				m.stopping = 2;
				m.kill_at = clock_ms() + MASTER_KILL_MS;
				tell_all(&m, SIGTERM);
				close_listeners(sv);
			}
			break;
		case SIGQUIT:
			if (!m.stopping) {
				m.stopping = 1;
				tell_all(&m, SIGQUIT);
				close_listeners(sv);
			}
			break;
		case SIGHUP:
			if (!m.stopping)
				reload(&m);
			break;
		case SIGUSR1:
			server_reopen_logs(sv);
			for (size_t i = 0; i < m.nw; i++)
				kill(m.w[i].pid, SIGUSR1);
			break;
		default: /* SIGCHLD or the time-out: reaped above */
			break;
		}
	}
	log_error("master %ld: every worker has ended", (long)getpid());
	free(m.w);
	sigprocmask(SIG_SETMASK, &m.old_mask, NULL);
	return 0;
}
