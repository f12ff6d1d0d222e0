/* The open-file cache: a hash table of entries keyed by (path, policy)
 * with a recency list for LRU eviction and a validity time per entry
 * (nginx ngx_open_file_cache.c: valid=, max=, inactive LRU).  Entries a
 * response still holds are detached when dropped and freed on their last
 * release, so a descriptor is never closed under a sendfile(). */
#include "fcache.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "response.h"

struct fcache {
	struct fcache_entry **tab;  /* hash buckets */
	size_t nbuckets;            /* a power of two */
	struct fcache_entry *head;  /* most recently used */
	struct fcache_entry *tail;  /* least recently used: dropped first */
	size_t count, max;
	uint64_t valid_ms;
	size_t body_bytes;          /* bytes of copies held by entries in the table */
};

/* FNV-1a over the path and the policy. */
static uint32_t key_hash(const char *path, size_t n, unsigned policy)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)path[i]) * 16777619u;
	for (int i = 0; i < 4; i++, policy >>= 8)
		h = (h ^ (policy & 0xff)) * 16777619u;
	return h;
}

struct fcache *fcache_new(size_t max, uint64_t valid_ms)
{
	struct fcache *fc = calloc(1, sizeof(*fc));
	size_t nb = 16;

	if (fc == NULL || max == 0) {
		free(fc);
		return NULL;
	}
	while (nb < max && nb < ((size_t)1 << 20))
		nb <<= 1;
	fc->tab = calloc(nb, sizeof(*fc->tab));
	if (fc->tab == NULL) {
		free(fc);
		return NULL;
	}
	fc->nbuckets = nb;
	fc->max = max;
	fc->valid_ms = valid_ms;
	return fc;
}

static void destroy(struct fcache_entry *e)
{
	if (e->fd >= 0)
		close(e->fd);
	free(e->body);
	free(e->key);
	free(e);
}

/* Takes e out of the table and the recency list; frees it unless a
 * response holds it (then its last release does). */
static void drop(struct fcache *fc, struct fcache_entry *e)
{
	struct fcache_entry **pp = &fc->tab[e->hash & (fc->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->prev)
		e->prev->next = e->next;
	else
		fc->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		fc->tail = e->prev;
	e->hnext = e->prev = e->next = NULL;
	fc->count--;
	if (e->body)
		fc->body_bytes -= (size_t)e->size;
	if (e->refs)
		e->detached = 1;
	else
		destroy(e);
}

void fcache_clear(struct fcache *fc)
{
	if (fc == NULL)
		return;
	while (fc->head)
		drop(fc, fc->head);
}

void fcache_free(struct fcache *fc)
{
	if (fc == NULL)
		return;
	fcache_clear(fc);
	free(fc->tab);
	free(fc);
}

static void to_front(struct fcache *fc, struct fcache_entry *e)
{
	if (fc->head == e)
		return;
	/* unlink (e is not the head, so it has a prev) */
	e->prev->next = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		fc->tail = e->prev;
	e->prev = NULL;
	e->next = fc->head;
	fc->head->prev = e;
	fc->head = e;
}

static struct fcache_entry *find(const struct fcache *fc, const char *path, size_t n,
				 unsigned policy, uint32_t h)
{
	for (struct fcache_entry *e = fc->tab[h & (fc->nbuckets - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && e->klen == n && e->policy == policy && memcmp(e->key, path, n) == 0)
			return e;
	return NULL;
}

struct fcache_entry *fcache_get(struct fcache *fc, const char *path, unsigned policy,
				uint64_t now_ms)
{
	size_t n = strlen(path);
	struct fcache_entry *e;

	if (fc == NULL)
		return NULL;
	e = find(fc, path, n, policy, key_hash(path, n, policy));
	if (e == NULL)
		return NULL;
	if (now_ms >= e->expires) {
		drop(fc, e);
		return NULL;
	}
	to_front(fc, e);
	return e;
}

int fcache_wants_body(const struct fcache *fc, uint64_t size)
{
	return fc != NULL && size <= FCACHE_BODY_MAX && fc->body_bytes + size <= FCACHE_BODY_BUDGET;
}

struct fcache_entry *fcache_put(struct fcache *fc, const char *path, unsigned policy, int fd,
				uint64_t size, time_t mtime, char *body, uint64_t now_ms)
{
	size_t n = strlen(path);
	uint32_t h = key_hash(path, n, policy);
	struct fcache_entry *e, *old;

	if (fc == NULL || (body != NULL && !fcache_wants_body(fc, size)))
		return NULL;
	e = calloc(1, sizeof(*e));
	if (e == NULL || (e->key = malloc(n + 1)) == NULL) {
		free(e);
		return NULL;
	}
	memcpy(e->key, path, n + 1);
	e->klen = n;
	e->policy = policy;
	e->hash = h;
	e->size = size;
	e->mtime = mtime;
	e->expires = now_ms + fc->valid_ms;
	cond_etag(mtime, size, e->etag, sizeof(e->etag));
	response_date(mtime, e->lm);
	if ((old = find(fc, path, n, policy, h)) != NULL)
		drop(fc, old);
	while (fc->count >= fc->max)
		drop(fc, fc->tail);
	e->body = body;
	if (body != NULL) {
		close(fd);
		e->fd = -1;
		fc->body_bytes += (size_t)size;
	} else {
		e->fd = fd;
	}
	e->hnext = fc->tab[h & (fc->nbuckets - 1)];
	fc->tab[h & (fc->nbuckets - 1)] = e;
	e->next = fc->head;
	if (fc->head)
		fc->head->prev = e;
	fc->head = e;
	if (fc->tail == NULL)
		fc->tail = e;
	fc->count++;
	return e;
}

struct fcache_entry *fcache_put_status(struct fcache *fc, const char *path, unsigned policy,
				       int status, uint64_t now_ms)
{
	struct fcache_entry *e = fcache_put(fc, path, policy, -1, 0, 0, NULL, now_ms);

	if (e != NULL)
		e->status = status;
	return e;
}

void fcache_forget(struct fcache *fc, const char *path)
{
	size_t n;

	if (fc == NULL)
		return;
	n = strlen(path);
	for (struct fcache_entry *e = fc->head, *next; e != NULL; e = next) {
		next = e->next;
		if (e->klen == n && memcmp(e->key, path, n) == 0)
			drop(fc, e);
	}
}

void fcache_hold(struct fcache_entry *e)
{
	e->refs++;
}

void fcache_release(struct fcache_entry *e)
{
	if (--e->refs == 0 && e->detached)
		destroy(e);
}

size_t fcache_count(const struct fcache *fc)
{
	return fc != NULL ? fc->count : 0;
}
