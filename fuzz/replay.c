/* main() for the harnesses when they are not linked with libFuzzer.
 *
 * Replay (gcc or clang, with sanitizers): every argument is a file or a
 * directory whose regular files are run once each through
 * LLVMFuzzerTestOneInput, in name order, from a heap copy of exactly the
 * file's size.  Prints how many inputs ran; a failed oracle aborts.
 *
 * AFL++ (afl-clang-fast defines __AFL_FUZZ_TESTCASE_LEN): persistent mode
 * with shared-memory test cases; arguments, if any, are replayed as above
 * instead, which is how afl-tmin/afl-cmin and crash triage run it. */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fuzz.h"

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

static long ran;
static const char *current; /* the file being run, for crash reports */

/* Names the input that failed, from a SIGABRT handler (failed oracle or
 * UBSan) or the sanitizers' death callback (ASan). */
static void name_input(void)
{
	static const char pre[] = "replay: failing input: ";

	if (current == NULL)
		return;
	if (write(2, pre, sizeof(pre) - 1) < 0 ||
	    write(2, current, strlen(current)) < 0 || write(2, "\n", 1) < 0)
		return;
}

static void on_abort(int sig)
{
	name_input();
	signal(sig, SIG_DFL);
	raise(sig);
}

void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

/* Reads the file at path into an exact-size heap buffer and runs it.
 * Returns 0, or -1 when the file cannot be read. */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = -1;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		char *nb;
		size_t n;

		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (nb == NULL)
				goto out;
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		goto out;
	}
	{
		/* Exact size, so that an over-read is caught. */
		uint8_t *exact = (uint8_t *)fuzz_dup(buf, len);

		current = path;
		LLVMFuzzerTestOneInput(exact, len);
		current = NULL;
		free(exact);
	}
	ran++;
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs path, or every regular file directly inside it when it is a
 * directory (a missing directory is an empty corpus). */
static int run_path(const char *path)
{
	struct stat sb;
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0;

	if (stat(path, &sb) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(sb.st_mode))
		return S_ISREG(sb.st_mode) ? run_file(path) : 0;
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char *full;

		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&full, "%s/%s", path, e->d_name) < 0)
			abort();
		if (stat(full, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			free(full);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (names == NULL)
				abort();
		}
		names[n++] = full;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		if (run_file(names[i]) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int i, rc = 0;

#ifdef __AFL_FUZZ_TESTCASE_LEN
	if (argc < 2) {
		const unsigned char *shm;

		__AFL_INIT();
		shm = __AFL_FUZZ_TESTCASE_BUF;
		while (__AFL_LOOP(10000)) {
			size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;
			/* The shared buffer is larger than the input:
			 * copy so that over-reads are still caught. */
			uint8_t *exact = (uint8_t *)fuzz_dup(shm, len);

			LLVMFuzzerTestOneInput(exact, len);
			free(exact);
		}
		return 0;
	}
#endif
	signal(SIGABRT, on_abort);
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(name_input);
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		if (run_path(argv[i]) != 0)
			rc = 1;
	printf("%s: %ld inputs ok\n", argv[0], ran);
	return rc;
}
