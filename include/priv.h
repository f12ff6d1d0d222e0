#ifndef PRIV_H
#define PRIV_H

/* Privileges: the `user` switch once start-up is over, and the guard
 * that keeps CGI scripts from running as root. */

#include <stddef.h>
#include "config.h"

/* config_io lookups: is there a user / a group of that name?  1 or 0
 * (ctx unused). */
int priv_user_exists(void *ctx, const char *name);
int priv_group_exists(void *ctx, const char *name);

/* What priv_drop did. */
enum priv_result {
	PRIV_NONE,    /* no `user` directive: nothing to do */
	PRIV_IGNORED, /* not started as root: `user` does not apply */
	PRIV_DROPPED, /* now running as the user, for good */
	PRIV_FAILED,  /* err says why; the process must not go on */
};

/* Switches the process to cf->user (and cf->group, else the user's
 * primary group) when it runs as root: supplementary groups from the
 * group database (initgroups), then the group, then the user; each step
 * checked, then checked again: real, effective and saved ids are the
 * user's and root cannot be regained.  Call it after everything that
 * needs root (listeners bound, logs and the pid file opened). */
enum priv_result priv_drop(const struct config *cf, char *err, size_t errlen);

/* Prints with a printf format (log_error, or a stderr printer). */
typedef void (*priv_warn_fn)(const char *fmt, ...);

/* Run as the user (after priv_drop): warns through warn about what that
 * user will not be able to write: an upload_store directory, or a log
 * file it would have to reopen after a rotation (the file, or for a
 * missing one its directory). */
void priv_check_writable(const struct config *cf, priv_warn_fn warn);

/* `-t` as root with `user`: the same check, in a child process that
 * switches to the user (a switch that fails is a warning too).  Does
 * nothing when not root or without `user`. */
void priv_check_writable_as_user(const struct config *cf, priv_warn_fn warn);

/* May a CGI script run under cf?  Not as root unless `cgi_allow_root
 * on;`. */
int priv_cgi_allowed(const struct config *cf);

#endif
