/* Harness for config_parse() and config_free() (src/config.c).
 *
 * Input: the main configuration file "/fz/main.conf", optionally followed
 * by a NUL byte and the text of "/fz/a.conf".  The fake config_io serves
 * those two and two fixed files ("/fz/types.inc", a types list, and
 * "/fz/srv.conf", a server block) from memory, each as an exact-size heap
 * copy; every other path cannot be read, and every path is a directory.
 * Oracles:
 *   - no crash, no leak (the tree is freed with config_free());
 *   - on error the message is one line "FILE:LINE: message" where FILE is
 *     a file that was read, LINE is 1 .. its line count + 1 and the
 *     message is not empty;
 *   - on success the resolved tree keeps the header's promises: at least
 *     one listen per server, absolute roots without a trailing '/',
 *     HEAD allowed wherever GET is, lower-case server names and MIME
 *     extensions, arrays present when counted; config_mime() answers.
 *     (An extension written with a leading dot, "types { a/b .x; }", is
 *     kept as ".x", as nginx does; it never matches, so it is allowed.) */

#include <ctype.h>
#include "fuzz.h"
#include "config.h"

struct file {
	const char *path;
	const char *text;
	size_t len;
};

struct fs {
	struct file f[4];
};

static const char types_inc[] = "text/html html htm;\nimage/png png;\n"
				"application/x-thing THING;\n";
static const char srv_conf[] =
	"server {\n\tlisten 127.0.0.1:8080;\n\tserver_name Inc.Example;\n"
	"\troot /srv/www;\n\tlocation /x {\n\t\tautoindex on;\n\t}\n}\n";

static int fake_read(void *ctx, const char *path, char **data, size_t *len)
{
	const struct fs *fs = ctx;
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcmp(fs->f[i].path, path) != 0)
			continue;
		*data = fuzz_dup(fs->f[i].text, fs->f[i].len);
		*len = fs->f[i].len;
		return 0;
	}
	return -1;
}

static int fake_is_dir(void *ctx, const char *path)
{
	(void)ctx;
	(void)path;
	return 1;
}

static size_t count_lines(const char *s, size_t n)
{
	size_t i, k = 1;

	for (i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

static void check_error(const struct fs *fs, const char *err, size_t errlen)
{
	size_t i, n = strnlen(err, errlen);
	unsigned long line = 0;
	const char *p = NULL;

	FUZZ_CHECK(n < errlen);
	FUZZ_CHECK(memchr(err, '\n', n) == NULL);
	for (i = 0; i < 4; i++) {
		size_t k = strlen(fs->f[i].path);

		if (n > k && memcmp(err, fs->f[i].path, k) == 0 && err[k] == ':') {
			p = err + k + 1;
			break;
		}
	}
	if (p == NULL)
		fprintf(stderr, "config error without FILE: \"%s\"\n", err);
	FUZZ_CHECK(p != NULL);
	FUZZ_CHECK(*p >= '1' && *p <= '9');
	while (*p >= '0' && *p <= '9')
		line = line * 10 + (unsigned long)(*p++ - '0');
	FUZZ_CHECK(line <= count_lines(fs->f[i].text, fs->f[i].len) + 1);
	FUZZ_CHECK(p[0] == ':' && p[1] == ' ' && p[2] != '\0');
}

static int lower(const char *s)
{
	for (; *s; s++)
		if (isupper((unsigned char)*s))
			return 0;
	return 1;
}

static void check_path(const char *p)
{
	size_t n;

	FUZZ_CHECK(p != NULL && p[0] == '/');
	n = strlen(p);
	FUZZ_CHECK(n == 1 || p[n - 1] != '/');
}

static void check_loc(const struct loc_conf *lc)
{
	size_t i;

	FUZZ_CHECK(lc->prefix != NULL);
	check_path(lc->root);
	if (lc->alias)
		FUZZ_CHECK(lc->alias[0] == '/');
	if (lc->upload_store)
		FUZZ_CHECK(lc->upload_store[0] == '/');
	if (lc->methods & M_GET)
		FUZZ_CHECK(lc->methods & M_HEAD);
	FUZZ_CHECK(lc->nindex == 0 || lc->index != NULL);
	for (i = 0; i < lc->nindex; i++)
		FUZZ_CHECK(lc->index[i] != NULL);
	FUZZ_CHECK(lc->nerror_pages == 0 || lc->error_pages != NULL);
	for (i = 0; i < lc->nerror_pages; i++)
		FUZZ_CHECK(lc->error_pages[i].uri != NULL);
	FUZZ_CHECK(lc->ncgi == 0 || lc->cgi != NULL);
	for (i = 0; i < lc->ncgi; i++)
		FUZZ_CHECK(lc->cgi[i].ext != NULL && lc->cgi[i].interp != NULL);
	FUZZ_CHECK(lc->autoindex == 0 || lc->autoindex == 1);
	FUZZ_CHECK(lc->charset == NULL || strlen(lc->charset) <= CHARSET_MAX);
}

static void check_types(const struct mime_table *t)
{
	size_t i;

	FUZZ_CHECK(t->n == 0 || t->v != NULL);
	for (i = 0; i < t->n; i++) {
		FUZZ_CHECK(t->v[i].ext != NULL && t->v[i].type != NULL);
		FUZZ_CHECK(lower(t->v[i].ext));
	}
	FUZZ_CHECK(config_mime(t, "/a/b.html") != NULL);
	FUZZ_CHECK(config_mime(t, "noext") != NULL);
	FUZZ_CHECK(config_mime(t, "x.THING") != NULL);
}

static void check_tree(const struct config *cf)
{
	size_t i, j;

	FUZZ_CHECK(cf->nservers == 0 || cf->servers != NULL);
	check_types(&cf->types);
	for (i = 0; i < cf->nservers; i++) {
		const struct server_conf *s = &cf->servers[i];

		FUZZ_CHECK(s->nlistens >= 1 && s->listens != NULL);
		FUZZ_CHECK(s->nnames == 0 || s->names != NULL);
		for (j = 0; j < s->nnames; j++)
			FUZZ_CHECK(s->names[j] != NULL && lower(s->names[j]));
		check_loc(&s->srv);
		FUZZ_CHECK(s->nlocs == 0 || s->locs != NULL);
		for (j = 0; j < s->nlocs; j++)
			check_loc(&s->locs[j]);
		FUZZ_CHECK(s->types != NULL);
		check_types(s->types);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	const char *nul = memchr(in, '\0', size);
	size_t alen = nul ? (size_t)(nul - in) : size;
	struct fs fs = { {
		{ "/fz/main.conf", in, alen },
		{ "/fz/a.conf", nul ? nul + 1 : "", nul ? size - alen - 1 : 0 },
		{ "/fz/types.inc", types_inc, sizeof(types_inc) - 1 },
		{ "/fz/srv.conf", srv_conf, sizeof(srv_conf) - 1 },
	} };
	struct config_io io = { .read_file = fake_read, .is_dir = fake_is_dir, .ctx = &fs };
	char *text = fuzz_dup(in, alen);
	char *err = fuzz_alloc(256);
	struct config *cf;

	memset(err, 'Z', 256);
	cf = config_parse("/fz/main.conf", text, alen, &io, err, 256);
	/* The tree must not point into the text. */
	free(text);
	if (cf == NULL) {
		check_error(&fs, err, 256);
	} else {
		check_tree(cf);
		config_free(cf);
	}
	free(err);
	return 0;
}
