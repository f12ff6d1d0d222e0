/* Privileges: dropping root for the `user` directive, and the CGI root
 * guard.  The order is the usual one (nginx ngx_worker_process_init,
 * lighttpd server.c): supplementary groups, then the group, then the
 * user, since after setuid() the group calls are no longer allowed. */
#include "priv.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

int priv_user_exists(void *ctx, const char *name)
{
	(void)ctx;
	return getpwnam(name) != NULL;
}

int priv_group_exists(void *ctx, const char *name)
{
	(void)ctx;
	return getgrnam(name) != NULL;
}

/* Are the real, effective and saved ids all uid / gid? */
static int ids_are(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return 0;
	return ru == uid && eu == uid && su == uid && rg == gid && eg == gid && sg == gid;
}

/* Hands the log at path to uid when root owns it (as when webserv
 * created it): opened without following a symbolic link, and only a
 * regular file with one link, so that a link planted in a log directory
 * never hands a system file over.  Else nothing: priv_check_writable
 * warns if the user cannot write it. */
static void give_log(const char *path, uid_t uid)
{
	struct stat st;
	int fd;

	if (path == NULL || strcmp(path, "stdout") == 0 || strcmp(path, "stderr") == 0)
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 && st.st_uid == 0 &&
	    fchown(fd, uid, (gid_t)-1) < 0) {
		/* reported by priv_check_writable */
	}
	close(fd);
}

/* The logs are opened as root at start-up; handing them to the user (the
 * owner only, the group kept, as nginx does when it reopens them) lets
 * it reopen them on SIGUSR1. */
static void give_logs(const struct config *cf, uid_t uid)
{
	give_log(cf->error_log, uid);
	for (size_t k = 0; k < cf->nservers; k++)
		give_log(cf->servers[k].access_log, uid);
}

enum priv_result priv_drop(const struct config *cf, char *err, size_t errlen)
{
	const struct passwd *pw;
	uid_t uid;
	gid_t gid;

	if (cf->user == NULL)
		return PRIV_NONE;
	if (geteuid() != 0)
		return PRIV_IGNORED;
	errno = 0;
	pw = getpwnam(cf->user);
	if (pw == NULL) {
		snprintf(err, errlen, "%s: unknown user \"%s\"", cf->user_at, cf->user);
		return PRIV_FAILED;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (cf->group != NULL) {
		const struct group *gr = getgrnam(cf->group);

		if (gr == NULL) {
			snprintf(err, errlen, "%s: unknown group \"%s\"", cf->user_at, cf->group);
			return PRIV_FAILED;
		}
		gid = gr->gr_gid;
	}
	give_logs(cf, uid);
	if (initgroups(cf->user, gid) < 0) {
		snprintf(err, errlen, "initgroups(\"%s\", %u): %s", cf->user, (unsigned)gid,
			 strerror(errno));
		return PRIV_FAILED;
	}
	if (setresgid(gid, gid, gid) < 0) {
		snprintf(err, errlen, "setgid(%u): %s", (unsigned)gid, strerror(errno));
		return PRIV_FAILED;
	}
	if (setresuid(uid, uid, uid) < 0) {
		snprintf(err, errlen, "setuid(%u): %s", (unsigned)uid, strerror(errno));
		return PRIV_FAILED;
	}
	/* Trust nothing: the ids must be the user's everywhere, and root
	 * must be out of reach (a user that is uid 0 is root itself). */
	if (!ids_are(uid, gid) || (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) ||
	    (uid != 0 && gid != 0 && setgid(0) == 0)) {
		snprintf(err, errlen, "switching to user \"%s\" did not hold", cf->user);
		return PRIV_FAILED;
	}
#ifdef __linux__
	/* A set-id change makes the process non-dumpable, which hands
	 * /proc/self to root: upload.c links its temporaries through
	 * /proc/self/fd (nginx sets the flag back too). */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
		return PRIV_FAILED;
	}
#endif
	return PRIV_DROPPED;
}

int priv_cgi_allowed(const struct config *cf)
{
	return geteuid() != 0 || cf->cgi_allow_root;
}

/* Can the user reopen the log at path: write the file, or create it
 * when it is missing (logrotate moved it away without `create`)? */
static void check_log(const struct config *cf, const char *path, priv_warn_fn warn)
{
	char dir[4200];
	const char *slash;
	size_t dl;

	if (path == NULL || strcmp(path, "stdout") == 0 || strcmp(path, "stderr") == 0 ||
	    access(path, W_OK) == 0)
		return;
	if (errno != ENOENT) {
		warn("warning: log \"%s\" is not writable by user \"%s\" (SIGUSR1 cannot reopen "
		     "it): %s", path, cf->user, strerror(errno));
		return;
	}
	slash = strrchr(path, '/');
	if (slash == NULL)
		return;
	dl = slash == path ? 1 : (size_t)(slash - path);
	if (dl >= sizeof(dir))
		return;
	memcpy(dir, path, dl);
	dir[dl] = '\0';
	if (access(dir, W_OK | X_OK) < 0)
		warn("warning: log directory \"%s\" is not writable by user \"%s\" (the log "
		     "cannot be created): %s", dir, cf->user, strerror(errno));
}

void priv_check_writable(const struct config *cf, priv_warn_fn warn)
{
	check_log(cf, cf->error_log, warn);
	for (size_t k = 0; k < cf->nservers; k++) {
		const struct server_conf *s = &cf->servers[k];
		int seen = 0;

		for (size_t j = 0; j < k && s->access_log; j++)
			seen |= cf->servers[j].access_log && strcmp(cf->servers[j].access_log,
								    s->access_log) == 0;
		if (!seen)
			check_log(cf, s->access_log, warn);
		for (size_t m = 0; m <= s->nlocs; m++) {
			const char *dir = (m < s->nlocs ? &s->locs[m] : &s->srv)->upload_store;

			if (dir != NULL && access(dir, W_OK | X_OK) < 0)
				warn("warning: upload_store \"%s\" is not writable by user \"%s\": %s",
				     dir, cf->user, strerror(errno));
		}
	}
}

void priv_check_writable_as_user(const struct config *cf, priv_warn_fn warn)
{
	pid_t pid;
	int status;

	if (cf->user == NULL || geteuid() != 0)
		return;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		char err[512];

		if (priv_drop(cf, err, sizeof(err)) != PRIV_DROPPED)
			warn("warning: %s", err);
		else
			priv_check_writable(cf, warn);
		fflush(stderr);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}
