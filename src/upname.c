/* Stored upload names: candidates and the next-free-suffix memory. */
#include "upname.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int upname_candidate(const char *name, unsigned try, char *out, size_t outsz)
{
	const char *dot = strrchr(name, '.');
	size_t len = strlen(name);
	size_t base = dot && dot != name ? (size_t)(dot - name) : len;
	char num[16];
	size_t nl, keep = base, total;

	if (try == 0) {
		if (len + 1 > outsz)
			return -1;
		memcpy(out, name, len + 1);
		return (int)len;
	}
	nl = (size_t)snprintf(num, sizeof(num), "-%u", try);
	/* Shorten the base so "base-N.ext" stays a valid file name. */
	if (len + nl > UPNAME_MAX) {
		size_t over = len + nl - UPNAME_MAX;

		keep = over < base ? base - over : 0;
	}
	if (keep == 0)
		return -1;
	total = keep + nl + (len - base);
	if (total + 1 > outsz)
		return -1;
	memcpy(out, name, keep);
	memcpy(out + keep, num, nl);
	memcpy(out + keep + nl, name + base, len - base + 1);
	return (int)total;
}

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

/* Open addressing, linear probing, kept at most half full. */
static struct upname_ent *slot(struct upname_ent *v, size_t cap, const char *name)
{
	size_t i = (size_t)hash(name) & (cap - 1);

	while (v[i].name != NULL && strcmp(v[i].name, name) != 0)
		i = (i + 1) & (cap - 1);
	return &v[i];
}

static int grow(struct upname_memo *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 16;
	struct upname_ent *nv = calloc(ncap, sizeof(*nv));

	if (nv == NULL)
		return -1;
	for (size_t i = 0; i < m->cap; i++)
		if (m->v[i].name != NULL)
			*slot(nv, ncap, m->v[i].name) = m->v[i];
	free(m->v);
	m->v = nv;
	m->cap = ncap;
	return 0;
}

unsigned *upname_next(struct upname_memo *m, const char *name)
{
	struct upname_ent *e;

	if ((m->n + 1) * 2 > m->cap && grow(m) < 0)
		return NULL;
	e = slot(m->v, m->cap, name);
	if (e->name == NULL) {
		e->name = strdup(name);
		if (e->name == NULL)
			return NULL;
		e->next = 0;
		m->n++;
	}
	return &e->next;
}

void upname_free(struct upname_memo *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->v[i].name);
	free(m->v);
	*m = (struct upname_memo){ 0 };
}

int upname_clean(const char *in, char *out)
{
	const char *s = in;
	size_t n;

	for (const char *p = in; *p; p++)
		if (*p == '/' || *p == '\\')
			s = p + 1;
	n = strlen(s);
	if (n == 0 || n > UPNAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 400;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 400;
	memcpy(out, s, n + 1);
	return 0;
}
