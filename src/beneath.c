/* Path resolution that never follows a symbolic link below a directory
 * the configuration named: writes (PUT, POST, DELETE) and, with
 * `disable_symlinks on`, reads.  openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS) where the kernel has it, else one O_NOFOLLOW
 * openat() per component. */
#include "beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include "uri.h"
#include <sys/syscall.h>
#include <unistd.h>

static int no_openat2; /* the kernel said ENOSYS once */

/* One component at a time from dirfd, refusing symlinks (ELOOP). */
static int walk(int dirfd, const char *rel, size_t len)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t i = 0;

	while (fd >= 0 && i < len) {
		char comp[256];
		size_t n = 0;
		int next;

		while (i < len && rel[i] == '/')
			i++;
		while (i + n < len && rel[i + n] != '/')
			n++;
		if (n == 0)
			break;
		if (n >= sizeof(comp) || (n == 2 && rel[i] == '.' && rel[i + 1] == '.')) {
			close(fd);
			errno = n >= sizeof(comp) ? ENAMETOOLONG : EXDEV;
			return -1;
		}
		memcpy(comp, rel + i, n);
		comp[n] = '\0';
		i += n;
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	return fd;
}

int beneath_open_dir(int dirfd, const char *rel, size_t len)
{
	char path[PATH_BUF];

	while (len > 0 && rel[0] == '/') {
		rel++;
		len--;
	}
	if (len == 0)
		return openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (len >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!no_openat2) {
		struct open_how how = {
			.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
		};
		long fd;

		memcpy(path, rel, len);
		path[len] = '\0';
		fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS)
			return (int)fd;
		no_openat2 = 1;
	}
	return walk(dirfd, rel, len);
}

int beneath_parent(const char *base, const char *rel, const char **leaf)
{
	const char *slash = strrchr(rel, '/');
	int bfd, fd;

	*leaf = slash ? slash + 1 : rel;
	bfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bfd < 0)
		return -1;
	fd = beneath_open_dir(bfd, rel, slash ? (size_t)(slash - rel) : 0);
	close(bfd);
	return fd;
}

int beneath_check(const char *base, const char *rel)
{
	const char *leaf;
	struct stat st;
	int fd = beneath_parent(base, rel, &leaf), r = 0;

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1; /* nothing to follow */
	if (*leaf && fstatat(fd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
		errno = ELOOP;
		r = -1;
	}
	close(fd);
	return r;
}
