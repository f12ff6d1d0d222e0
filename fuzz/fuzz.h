#ifndef FUZZ_H
#define FUZZ_H

/* Shared helpers for the harnesses in fuzz/.  Every harness defines
 * LLVMFuzzerTestOneInput(); it is linked either with libFuzzer
 * (clang -fsanitize=fuzzer) or with fuzz/replay.c, which supplies a main()
 * that replays files and, under afl-clang-fast, runs AFL++'s persistent
 * loop.  A violated oracle prints where and aborts, which both engines
 * record as a crash. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: oracle failed: %s\n",      \
				__FILE__, __LINE__, #cond);                \
			abort();                                           \
		}                                                          \
	} while (0)

/* A heap copy of exactly len bytes (at least one byte is allocated so
 * that an empty input is still a valid pointer), so that AddressSanitizer
 * traps any read past the end.  Caller frees. */
static inline char *fuzz_dup(const void *p, size_t len)
{
	char *q = malloc(len ? len : 1);

	if (q == NULL)
		abort();
	if (len)
		memcpy(q, p, len);
	else
		q[0] = '\0';
	return q;
}

/* malloc() that never returns NULL (and allocates at least one byte). */
static inline void *fuzz_alloc(size_t len)
{
	void *q = malloc(len ? len : 1);

	if (q == NULL)
		abort();
	return q;
}

/* 1 when the slice s lies inside buf[0..len) (an empty slice anywhere
 * inside or at the end, or NULL). */
static inline int fuzz_inside(const char *buf, size_t len, const char *p,
			      size_t n)
{
	if (n == 0)
		return p == NULL || (p >= buf && p <= buf + len);
	return p >= buf && p <= buf + len && n <= (size_t)(buf + len - p);
}

/* Offset of p in buf, or (size_t)-1 for NULL (so that slices of two
 * different buffers can be compared). */
static inline size_t fuzz_off(const char *buf, const char *p)
{
	return p == NULL ? (size_t)-1 : (size_t)(p - buf);
}

#endif
