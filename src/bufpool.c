/* Buffer pool: a free list per buffer size, bounded in length. */
#include "bufpool.h"

#include <stdlib.h>

struct link {
	struct link *next;
};

static struct bufpool_class *find(const struct bufpool *bp, size_t size)
{
	for (size_t i = 0; i < BUFPOOL_CLASSES; i++)
		if (bp->cls[i].size == size)
			return (struct bufpool_class *)&bp->cls[i];
	return NULL;
}

void *bufpool_get(struct bufpool *bp, size_t size)
{
	struct bufpool_class *k;
	void *p;

	if (size == 0)
		return NULL;
	k = find(bp, size);
	if (k != NULL && k->free != NULL) {
		struct link *l = k->free;

		k->free = l->next;
		k->nfree--;
		bp->out++;
		return l;
	}
	p = malloc(size);
	if (p != NULL)
		bp->out++;
	return p;
}

void bufpool_put(struct bufpool *bp, void *p, size_t size)
{
	size_t keep = bp->keep ? bp->keep : BUFPOOL_KEEP;
	struct bufpool_class *k;

	if (p == NULL)
		return;
	if (bp->out > 0)
		bp->out--;
	k = size >= sizeof(struct link) ? find(bp, size) : NULL;
	/* A size seen for the first time takes a free slot. */
	if (k == NULL && size >= sizeof(struct link))
		k = find(bp, 0);
	if (size > 0 && keep > BUFPOOL_KEEP_BYTES / size)
		keep = BUFPOOL_KEEP_BYTES / size ? BUFPOOL_KEEP_BYTES / size : 1;
	if (k == NULL || k->nfree >= keep) {
		free(p);
		return;
	}
	k->size = size;
	((struct link *)p)->next = k->free;
	k->free = p;
	k->nfree++;
}

size_t bufpool_kept(const struct bufpool *bp, size_t size)
{
	const struct bufpool_class *k = size ? find(bp, size) : NULL;

	return k != NULL ? k->nfree : 0;
}

void bufpool_clear(struct bufpool *bp)
{
	for (size_t i = 0; i < BUFPOOL_CLASSES; i++) {
		struct bufpool_class *k = &bp->cls[i];

		while (k->free != NULL) {
			struct link *l = k->free;

			k->free = l->next;
			free(l);
		}
		k->nfree = 0;
		k->size = 0;
	}
}
