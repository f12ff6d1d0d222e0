/* Conditional requests (pure): entity tags, the RFC 9110 13.2.2
 * precondition order and If-Range.  Owns no state. */
#include "cond.h"

#include <stdio.h>
#include <string.h>
#include "response.h"

size_t cond_etag(time_t mtime, uint64_t size, char *out, size_t n)
{
	int r = snprintf(out, n, "\"%llx-%llx\"", (unsigned long long)mtime, (unsigned long long)size);

	return r < 0 ? 0 : (size_t)r < n ? (size_t)r : n - 1;
}

/* Next member of a comma list from *i: its bounds, white space trimmed. */
static int next_member(struct slice list, size_t *i, size_t *st, size_t *e)
{
	while (*i < list.len && (list.p[*i] == ' ' || list.p[*i] == '\t' || list.p[*i] == ','))
		(*i)++;
	if (*i >= list.len)
		return 0;
	*st = *i;
	while (*i < list.len && list.p[*i] != ',')
		(*i)++;
	*e = *i;
	while (*e > *st && (list.p[*e - 1] == ' ' || list.p[*e - 1] == '\t'))
		(*e)--;
	return 1;
}

/* Does any member of the comma lists in every `name` field match tag?
 * "*" matches when the resource exists.  weak: W/ tags compare by their
 * opaque part (RFC 9110 8.8.3.2); strong: a W/ tag never matches.
 * Returns 1 on a match, 0 when the field is present without a match, -1
 * when there is no such field. */
static int tag_list(const struct request_head *rq, const char *name, const struct cond_res *r,
		    int weak)
{
	size_t tl = strlen(r->etag);
	int seen = 0;

	for (size_t k = 0; k < rq->nfields; k++) {
		struct slice list = rq->fields[k].value;
		size_t i = 0, st, e;

		if (!slice_ieq(rq->fields[k].name, name))
			continue;
		seen = 1;
		while (next_member(list, &i, &st, &e)) {
			if (e - st == 1 && list.p[st] == '*') {
				if (r->exists)
					return 1;
				continue;
			}
			if (e - st > 2 && list.p[st] == 'W' && list.p[st + 1] == '/') {
				if (!weak)
					continue;
				st += 2;
			}
			if (r->exists && e - st == tl && memcmp(list.p + st, r->etag, tl) == 0)
				return 1;
		}
	}
	return seen ? 0 : -1;
}

static int date_field(const struct request_head *rq, const char *name, time_t *t)
{
	const struct header_field *f = request_field(rq, name);

	return f != NULL && response_parse_date(f->value.p, f->value.len, t) == 0;
}

int cond_check(const struct request_head *rq, const struct cond_res *r, time_t now)
{
	int safe = rq->method_id == METHOD_GET || rq->method_id == METHOD_HEAD;
	time_t t;
	int m;

	/* Step 1 (If-Match), else step 2 (If-Unmodified-Since). */
	m = tag_list(rq, "If-Match", r, 0);
	if (m == 0)
		return 412;
	if (m < 0 && r->exists && date_field(rq, "If-Unmodified-Since", &t) && r->mtime > t)
		return 412;
	/* Step 3 (If-None-Match), else step 4 (If-Modified-Since). */
	m = tag_list(rq, "If-None-Match", r, 1);
	if (m == 1)
		return safe ? 304 : 412;
	/* A date later than our clock cannot come from this server: such an
	 * If-Modified-Since is ignored (RFC 9110 13.1.3). */
	if (m < 0 && safe && r->exists && date_field(rq, "If-Modified-Since", &t) && t <= now &&
	    r->mtime <= t)
		return 304;
	return 0;
}

int cond_if_range(const struct request_head *rq, const char *etag, const char *lm)
{
	const struct header_field *f = request_field(rq, "If-Range");
	const char *want;

	if (f == NULL)
		return 1;
	want = f->value.len && f->value.p[0] == '"' ? etag : lm;
	return f->value.len == strlen(want) && memcmp(f->value.p, want, f->value.len) == 0;
}

int cond_check_stat(const struct request_head *rq, const struct stat *st, time_t now)
{
	char etag[COND_ETAG_MAX] = "";
	struct cond_res r = { st != NULL, 0, etag };

	if (st != NULL) {
		cond_etag(st->st_mtime, (uint64_t)st->st_size, etag, sizeof(etag));
		r.mtime = st->st_mtime;
	}
	return cond_check(rq, &r, now);
}
