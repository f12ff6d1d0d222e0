#ifndef BENEATH_H
#define BENEATH_H

/* Resolution below a configured directory that follows no symbolic
 * link (ELOOP when one is met; EXDEV for a ".." segment). */

#include <stddef.h>

/* Opens directory rel[0..len) ("" = dirfd itself) below dirfd.  Returns
 * a descriptor (caller closes) or -1 with errno. */
int beneath_open_dir(int dirfd, const char *rel, size_t len);
/* Opens the directory that holds rel below the directory base and points
 * *leaf at rel's last segment.  Returns a descriptor or -1 with errno. */
int beneath_parent(const char *base, const char *rel, const char **leaf);
/* 0 when no segment of rel below base is a symbolic link (or the path
 * does not exist), -1 with errno ELOOP (or another error) otherwise. */
int beneath_check(const char *base, const char *rel);

#endif
