/* Privileges: dropping root for the `user` directive, and the CGI root
 * guard.  The order is the usual one (nginx ngx_worker_process_init,
 * lighttpd server.c): supplementary groups, then the group, then the
 * user, since after setuid() the group calls are no longer allowed. */
#include "priv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
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
