#ifndef UPNAME_H
#define UPNAME_H

/* Names of stored uploads (pure): the candidate "base-N.ext" for the
 * N-th try at a wanted name, and a per-request memory of the next free
 * suffix for each wanted name, so that many parts with one file name
 * cost one try each instead of N^2/2. */

#include <stddef.h>

#define UPNAME_MAX 255 /* bytes of a file name */

/* Writes the try-th candidate for name into out (outsz bytes): try 0 is
 * name itself, try N is "base-N.ext" (ext from the last dot that is not
 * the first byte), base shortened so the result stays within
 * UPNAME_MAX.  Returns its length, or -1 when no base is left or out is
 * too small. */
int upname_candidate(const char *name, unsigned try, char *out, size_t outsz);

/* The contract's rule for a client-given file name: keep what follows
 * the last '/' or '\\'; refuse an empty name, ".", "..", one longer
 * than UPNAME_MAX and one with a control character.  Copies it into out
 * (UPNAME_MAX + 1 bytes).  Returns 0 or 400. */
int upname_clean(const char *in, char *out);

struct upname_ent {
	char *name;    /* owned; NULL for an empty slot */
	unsigned next; /* next try to make for this name */
};

/* Zero it to start; upname_free releases it. */
struct upname_memo {
	struct upname_ent *v;
	size_t n, cap; /* cap is 0 or a power of two */
};

/* The counter of the next try for name (0 for a name not seen), inserted
 * when new.  Returns NULL when memory runs out.  The pointer stays valid
 * until the next upname_next or upname_free. */
unsigned *upname_next(struct upname_memo *m, const char *name);
void upname_free(struct upname_memo *m);

#endif
