/* Configuration parser: nginx-like text -> struct config.
 *
 * Layout (nginx ngx_conf_file.c in spirit): lex() turns the text into
 * words and the punctuation ';' '{' '}'; read_stmt() gathers one
 * statement (its words up to ';' or '{'); the directive table says where
 * each directive may stand, how many arguments it takes and which setter
 * stores it.  Blocks recurse through parse_stmts().  Each level is filled
 * with "unset" markers and the values flow inward in finish() (top ->
 * server -> location, nginx's merge step), so a top-level directive that
 * comes after the server blocks still applies to them.
 *
 * Memory: the whole tree lives in one arena owned by the config, so
 * inherited strings and arrays are shared, an error anywhere frees
 * everything at once, and config_free() is one walk over the chunks.
 * Tokens live in a second arena that dies when parsing ends.
 *
 * Paths: a relative path (root, alias, upload_store, include, access_log,
 * error_log, and a cgi interpreter that contains a '/') is taken relative
 * to the directory of the MAIN configuration file, also when it is written
 * in an included file (like nginx's prefix).  Paths are normalised:
 * repeated '/' collapse, "." segments go, a trailing '/' is stripped ("/"
 * stays).  ".." is kept: resolving it needs the file system.  When the
 * main file was named by a relative path the results are relative too.
 *
 * Lexer: words are separated by white space; ';' '{' '}' stand alone;
 * '#' at the start of a word comments to the end of the line; "double
 * quoted" words may hold anything (escapes \" \\ \n \t \r); a NUL byte,
 * a quote inside a bare word and a word glued to a closing quote are
 * errors.  Error lines: the line where the offending word starts;
 * for a missing ';' the line of the word found in its place, for a
 * missing '}' (or an unterminated quote) the line holding the file's
 * last byte.
 *
 * include: the included file's statements are parsed as if they stood in
 * place of the include directive, in the same block (so duplicates are
 * caught across files).  The included file must be balanced by itself: a
 * block opened in it is closed in it (nginx does the same), so every
 * error points into the file that holds it. */

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "addr.h"

#define INCLUDE_DEPTH_MAX 16     /* nested include levels */
#define INCLUDE_FILES_MAX 1024   /* included files in one parse (fan-out bound) */
#define ARGS_MAX 4096            /* words in one statement */
#define ARGS_ANY ARGS_MAX
#define SHOW_BUF 72              /* a word quoted in a message, cut after its start */
#define PATH_SHOW 4104           /* a path in a message: whole up to PATH_MAX
				  * (4096), else "..." and its end */
#ifndef CHUNK_SIZE
#define CHUNK_SIZE 16384        /* arena chunk (unit tests shrink it) */
#endif
#define TIME_MAX_MS 1000000000000ULL /* ~31 years; keeps now + timeout safe */
#define UNSET UINT64_MAX

#define DEF_MAX_BODY (1ULL << 20)
#define DEF_MAX_CONN 1024
#define DEF_FCACHE_MAX 1000         /* open_file_cache: entries by default */
#define DEF_FCACHE_VALID_MS 1000    /* open_file_cache: validity by default */
#define FCACHE_MAX 1000000
#define FCACHE_VALID_MAX_MS 3600000
#define DEF_MAX_FILES 1000
#define COUNT_MAX 1000000 /* bound of every count directive (max_connections, ...) */

/* Where a directive may stand. */
enum {
	CTX_MAIN = 1 << 0,
	CTX_SRV = 1 << 1,
	CTX_LOC = 1 << 2,
	CTX_TYPES = 1 << 3,
};
#define CTX_HTTP (CTX_MAIN | CTX_SRV | CTX_LOC)

/* Token kinds. */
enum { T_EOF, T_WORD, T_SEMI, T_LBRACE, T_RBRACE };

/* Directive flags. */
enum {
	D_BLOCK = 1 << 0, /* takes a { } body */
	D_MULTI = 1 << 1, /* may repeat in one block */
	D_TIME = 1 << 2,  /* set_amount: a time, not a size */
};

/* ---- arena ---- */

struct chunk {
	struct chunk *next;
	size_t used, cap;        /* bytes of data */
	max_align_t data[];
};

struct arena {
	struct chunk *head;
};

static void arena_free(struct arena *a)
{
	struct chunk *c = a->head, *next;

	while (c) {
		next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
}

/* Returns n bytes aligned for any type, or NULL when out of memory. */
static void *amalloc(struct arena *a, size_t n)
{
	const size_t al = _Alignof(max_align_t);
	struct chunk *c = a->head;
	size_t cap;

	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + al - 1) / al * al;
	if (n == 0)
		n = al;
	if (c && c->cap - c->used >= n) {
		void *p = (char *)c->data + c->used;

		c->used += n;
		return p;
	}
	cap = n > CHUNK_SIZE / 4 ? n : CHUNK_SIZE;
	c = malloc(sizeof(*c) + cap);
	if (!c)
		return NULL;
	c->used = n;
	c->cap = cap;
	if (cap == n && a->head) {
		/* A big block gets its own chunk; keep filling the current one. */
		c->next = a->head->next;
		a->head->next = c;
	} else {
		c->next = a->head;
		a->head = c;
	}
	return c->data;
}

static char *astrndup(struct arena *a, const char *s, size_t n)
{
	char *p = amalloc(a, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static char *astrdup(struct arena *a, const char *s)
{
	return astrndup(a, s, strlen(s));
}

/* Room for element n of an array that only ever grows by one through this
 * function: its capacity is implied by n (4, 8, 16, ...).  Returns the
 * possibly moved array, or NULL when out of memory (old one intact). */
static void *agrow(struct arena *a, void *v, size_t n, size_t size)
{
	size_t cap;
	void *nv;

	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return v;
	cap = n < 4 ? 4 : n * 2;
	if (cap > SIZE_MAX / 2 / size)
		return NULL;
	nv = amalloc(a, cap * size);
	if (nv && n)
		memcpy(nv, v, n * size);
	return nv;
}

/* ---- parser state ---- */

/* The config as allocated: the public tree plus its arena.  config_free()
 * gets a pointer to the first member and converts it back. */
struct config_full {
	struct config cf;
	struct arena mem;
};

struct tok {
	char *s;             /* the word, NUL-terminated (tmp arena) */
	size_t len;          /* strlen(s): words never hold a NUL */
	unsigned long line;  /* line where it starts */
	int quoted;          /* 1 when written "in quotes" */
};

struct lexer {
	const char *file;        /* name used in messages */
	const char *p, *end;
	unsigned long line;      /* current line */
	unsigned long last_line; /* line holding the last byte: "end of file" */
};

struct stmt {
	struct tok *v;           /* v[0] is the directive name */
	size_t n, cap;
};

struct block {
	int ctx;                 /* CTX_* */
	struct loc_conf *lc;     /* the level being filled (not for CTX_TYPES) */
	struct server_conf *srv; /* enclosing server, NULL at top */
	struct mime_table *types; /* CTX_TYPES: the table being filled */
	uint64_t seen;           /* bit per directive-table index seen here */
};

struct parser {
	const struct config_io *io;
	char *err;
	size_t errlen;
	int failed;
	struct arena *mem;       /* the tree's */
	struct arena tmp;        /* tokens */
	struct config *cf;
	char *confdir;           /* directory of the main file (tree arena) */
	struct block top;
	struct loc_conf top_lc;  /* top-level settings, defaults for servers */
	char *top_alog;          /* top-level access_log */
	uint64_t *srv_seen;      /* parallel to cf->servers: their seen masks */
	unsigned depth;          /* include nesting */
	unsigned nfiles;         /* included files so far */
};

struct directive;
typedef int (*setter)(struct parser *P, struct lexer *lx, struct block *b,
		      const struct directive *d, const struct tok *v, size_t n);

struct directive {
	const char *name;
	int ctx;                 /* CTX_* bits where allowed */
	size_t min, max;         /* argument count */
	int flags;               /* D_* */
	setter set;
	size_t off;              /* the field set: in struct loc_conf, or struct config (main) */
};

static int parse_stmts(struct parser *P, struct lexer *lx, struct block *b, int inner);
static const struct directive *find_directive(const char *name);
static uint64_t dir_bit(const char *name);

/* ---- messages ---- */

/* Copies s for a message: control bytes become '?', long words are cut
 * with "...". */
static const char *show(char *buf, size_t size, const char *s)
{
	size_t i, n = 0;

	for (i = 0; s[i] && n + 4 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (s[i]) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

#define SHOW(buf, s) show(buf, sizeof(buf), s)

/* Copies the path s for a message: control bytes become '?'.  A path too
 * long for buf keeps its end, after "...": the end names the file or
 * directory, the start is only where it lies. */
static const char *show_path(char *buf, size_t size, const char *s)
{
	size_t len = strlen(s), from = 0, n = 0;

	if (len + 1 > size) {
		memcpy(buf, "...", 3);
		n = 3;
		from = len - (size - 4);
	}
	for (size_t i = from; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	buf[n] = '\0';
	return buf;
}

#define SHOW_PATH(buf, s) show_path(buf, sizeof(buf), s)

/* Records the first error as "FILE:LINE: message" (no FILE:LINE when file
 * is NULL).  Returns -1 so callers can `return error_at(...)`. */
__attribute__((format(printf, 4, 5)))
static int error_at(struct parser *P, const char *file, unsigned long line,
		    const char *fmt, ...)
{
	char fb[PATH_SHOW];
	va_list ap;
	int k = 0;

	if (P->failed)
		return -1;
	P->failed = 1;
	if (!P->err || P->errlen == 0)
		return -1;
	if (file)
		k = snprintf(P->err, P->errlen, "%s:%lu: ", SHOW_PATH(fb, file), line);
	if (k < 0) {
		P->err[0] = '\0';
		return -1;
	}
	if ((size_t)k < P->errlen) {
		va_start(ap, fmt);
		vsnprintf(P->err + k, P->errlen - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int oom(struct parser *P, const struct lexer *lx, unsigned long line)
{
	return error_at(P, lx ? lx->file : NULL, line, "out of memory");
}

/* ---- lexer ---- */

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static int is_delim(int c)
{
	return is_space(c) || c == ';' || c == '{' || c == '}';
}

static void lexer_init(struct lexer *lx, const char *file, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *q;
	unsigned long nl = 0;

	lx->file = file;
	lx->p = text;
	lx->end = end;
	lx->line = 1;
	while (p < end && (q = memchr(p, '\n', (size_t)(end - p)))) {
		nl++;
		p = q + 1;
	}
	/* The line of the last byte: a final '\n' ends that line, it does
	 * not start another one. */
	lx->last_line = (len > 0 && text[len - 1] == '\n') ? nl : nl + 1;
}

/* The character a backslash escape stands for inside quotes, 0 if c
 * does not start one (the backslash is then kept as written).  Like
 * nginx: \" \\ \n \t \r. */
static char unescape(char c)
{
	switch (c) {
	case '"': return '"';
	case '\\': return '\\';
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	default: return 0;
	}
}

/* A "double quoted" word with escapes (see unescape); it may span
 * lines. */
static int lex_quoted(struct parser *P, struct lexer *lx, struct tok *t)
{
	const char *q = lx->p + 1, *s;
	size_t n = 0;
	char *w;

	for (;;) {
		if (q >= lx->end)
			return error_at(P, lx->file, lx->last_line,
					"unexpected end of file, unterminated string");
		if (*q == '"')
			break;
		if (*q == '\0')
			return error_at(P, lx->file, lx->line, "unexpected NUL byte");
		if (*q == '\\' && q + 1 < lx->end && unescape(q[1])) {
			q += 2;
			n++;
			continue;
		}
		if (*q == '\n')
			lx->line++;
		q++;
		n++;
	}
	w = amalloc(&P->tmp, n + 1);
	if (!w)
		return oom(P, lx, t->line);
	t->s = w;
	t->len = n;
	t->quoted = 1;
	for (s = lx->p + 1; s < q; s++) {
		if (*s == '\\' && s + 1 < q && unescape(s[1]))
			*w++ = unescape(*++s);
		else
			*w++ = *s;
	}
	*w = '\0';
	lx->p = q + 1;
	if (lx->p < lx->end && !is_delim((unsigned char)*lx->p) && *lx->p != '#')
		return error_at(P, lx->file, lx->line,
				"unexpected character after quoted string");
	return T_WORD;
}

/* Reads the next token into *t.  Returns its kind (T_*) or -1 on error. */
static int lex(struct parser *P, struct lexer *lx, struct tok *t)
{
	const char *start;

	memset(t, 0, sizeof(*t));
	for (;;) {
		while (lx->p < lx->end && is_space((unsigned char)*lx->p)) {
			if (*lx->p == '\n')
				lx->line++;
			lx->p++;
		}
		if (lx->p < lx->end && *lx->p == '#') {
			const char *q = memchr(lx->p, '\n', (size_t)(lx->end - lx->p));

			lx->p = q ? q : lx->end;
			continue;
		}
		break;
	}
	t->line = lx->line;
	if (lx->p >= lx->end)
		return T_EOF;
	switch (*lx->p) {
	case ';':
		lx->p++;
		return T_SEMI;
	case '{':
		lx->p++;
		return T_LBRACE;
	case '}':
		lx->p++;
		return T_RBRACE;
	case '"':
		return lex_quoted(P, lx, t);
	}
	start = lx->p;
	while (lx->p < lx->end && !is_delim((unsigned char)*lx->p)) {
		if (*lx->p == '"')
			return error_at(P, lx->file, lx->line, "unexpected quote");
		if (*lx->p == '\0')
			return error_at(P, lx->file, lx->line, "unexpected NUL byte");
		lx->p++;
	}
	t->len = (size_t)(lx->p - start);
	t->s = astrndup(&P->tmp, start, t->len);
	if (!t->s)
		return oom(P, lx, t->line);
	return T_WORD;
}

/* ---- statements ---- */

static int stmt_push(struct parser *P, struct lexer *lx, struct stmt *st,
		     const struct tok *t)
{
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 8;
		struct tok *v = amalloc(&P->tmp, cap * sizeof(*v));

		if (!v)
			return oom(P, lx, t->line);
		if (st->n)
			memcpy(v, st->v, st->n * sizeof(*v));
		st->v = v;
		st->cap = cap;
	}
	st->v[st->n++] = *t;
	return 0;
}

/* Reads one statement: a name and its words up to ';' or '{' (the
 * terminator goes to *term, its line to *term_line).  Returns 1 for a
 * statement, 0 at the end of the block (the '}' when inner, the end of
 * the file otherwise), -1 on error. */
static int read_stmt(struct parser *P, struct lexer *lx, int inner,
		     struct stmt *st, int *term, unsigned long *term_line)
{
	struct tok t;
	int k;

	st->n = 0;
	k = lex(P, lx, &t);
	if (k < 0)
		return -1;
	if (k == T_EOF) {
		if (inner)
			return error_at(P, lx->file, lx->last_line,
					"unexpected end of file, expecting \"}\"");
		return 0;
	}
	if (k == T_RBRACE) {
		if (inner)
			return 0;
		return error_at(P, lx->file, t.line, "unexpected \"}\"");
	}
	if (k == T_SEMI)
		return error_at(P, lx->file, t.line, "unexpected \";\"");
	if (k == T_LBRACE)
		return error_at(P, lx->file, t.line, "unexpected \"{\"");
	if (stmt_push(P, lx, st, &t) < 0)
		return -1;
	for (;;) {
		k = lex(P, lx, &t);
		if (k < 0)
			return -1;
		switch (k) {
		case T_WORD:
			if (st->n > ARGS_MAX)
				return error_at(P, lx->file, t.line, "too many arguments");
			if (stmt_push(P, lx, st, &t) < 0)
				return -1;
			break;
		case T_EOF:
			return error_at(P, lx->file, lx->last_line,
					"unexpected end of file, expecting \";\" or \"}\"");
		case T_RBRACE:
			/* A directive cut short by '}': its ';' is missing. */
			return error_at(P, lx->file, t.line, "unexpected \"}\"");
		default:
			*term = k;
			*term_line = t.line;
			return 1;
		}
	}
}

/* A directive without its ';' swallows the next statement.  An argument
 * that starts a new line and is either one too many or the name of a
 * directive is taken as the place where the terminator was expected. */
static int missing_term(struct parser *P, struct lexer *lx,
			const struct directive *d, const struct stmt *st)
{
	char tb[SHOW_BUF];

	for (size_t i = 1; i < st->n; i++) {
		const struct tok *t = &st->v[i];

		if (t->line == st->v[i - 1].line)
			continue;
		if (i > d->max || (!t->quoted && find_directive(t->s)))
			return error_at(P, lx->file, t->line,
					"unexpected \"%s\", expecting \"%s\"",
					SHOW(tb, t->s), (d->flags & D_BLOCK) ? "{" : ";");
	}
	return 0;
}

/* `MIME EXT ...;` inside types { }. */
static int type_entry(struct parser *P, struct lexer *lx, struct block *b,
		      const struct stmt *st, int term, unsigned long term_line)
{
	char tb[SHOW_BUF];
	struct mime_table *t = b->types;
	char *type;

	if (term != T_SEMI)
		return error_at(P, lx->file, term_line, "unexpected \"{\"");
	if (st->n < 2)
		return error_at(P, lx->file, st->v[0].line,
				"invalid number of arguments in \"%s\" directive",
				SHOW(tb, st->v[0].s));
	type = astrdup(P->mem, st->v[0].s);
	if (!type)
		return oom(P, lx, st->v[0].line);
	for (size_t i = 1; i < st->n; i++) {
		const struct tok *e = &st->v[i];
		struct mime_type *v;
		char *ext;

		if (e->len == 0 || strchr(e->s, '/')) {
			if (e->line != st->v[i - 1].line)
				return error_at(P, lx->file, e->line,
						"unexpected \"%s\", expecting \";\"",
						SHOW(tb, e->s));
			return error_at(P, lx->file, e->line, "invalid extension \"%s\"",
					SHOW(tb, e->s));
		}
		ext = astrdup(P->mem, e->s);
		v = agrow(P->mem, t->v, t->n, sizeof(*t->v));
		if (!ext || !v)
			return oom(P, lx, e->line);
		for (char *c = ext; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		t->v = v;
		t->v[t->n].ext = ext;
		t->v[t->n].type = type;
		t->n++;
	}
	return 0;
}

/* Runs one statement in block b. */
static int run_stmt(struct parser *P, struct lexer *lx, struct block *b,
		    const struct stmt *st, int term, unsigned long term_line)
{
	char nb[SHOW_BUF];
	const struct tok *name = &st->v[0];
	const struct directive *d;
	uint64_t bit;

	if (b->ctx == CTX_TYPES && strcmp(name->s, "include") != 0)
		return type_entry(P, lx, b, st, term, term_line);
	d = find_directive(name->s);
	if (!d)
		return error_at(P, lx->file, name->line, "unknown directive \"%s\"",
				SHOW(nb, name->s));
	if (!(d->ctx & b->ctx))
		return error_at(P, lx->file, name->line,
				"\"%s\" directive is not allowed here", d->name);
	if (missing_term(P, lx, d, st) < 0)
		return -1;
	if ((d->flags & D_BLOCK) && term != T_LBRACE)
		return error_at(P, lx->file, term_line,
				"directive \"%s\" has no opening \"{\"", d->name);
	if (!(d->flags & D_BLOCK) && term != T_SEMI)
		return error_at(P, lx->file, term_line,
				"directive \"%s\" is not terminated by \";\"", d->name);
	bit = dir_bit(d->name);
	if (!(d->flags & D_MULTI) && (b->seen & bit))
		return error_at(P, lx->file, name->line, "\"%s\" directive is duplicate",
				d->name);
	if (st->n - 1 < d->min || st->n - 1 > d->max)
		return error_at(P, lx->file, name->line,
				"invalid number of arguments in \"%s\" directive", d->name);
	b->seen |= bit;
	return d->set(P, lx, b, d, st->v, st->n);
}

/* Parses statements into block b until its end: the closing '}' when
 * inner, else the end of the file. */
static int parse_stmts(struct parser *P, struct lexer *lx, struct block *b, int inner)
{
	struct stmt st = { 0 };
	unsigned long term_line = 0;
	int term = 0;

	for (;;) {
		int k = read_stmt(P, lx, inner, &st, &term, &term_line);

		if (k <= 0)
			return k;
		if (run_stmt(P, lx, b, &st, term, term_line) < 0)
			return -1;
	}
}

/* ---- values ---- */

/* Collapses repeated '/', drops "." segments and a trailing '/', in
 * place.  An empty relative result becomes ".", an absolute one "/". */
static void path_normalise(char *s)
{
	const int abs = s[0] == '/';
	char *w = s + abs, *r = s;

	while (*r) {
		const char *seg;
		size_t n;

		while (*r == '/')
			r++;
		seg = r;
		while (*r && *r != '/')
			r++;
		n = (size_t)(r - seg);
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (w > s + abs)
			*w++ = '/';
		memmove(w, seg, n);
		w += n;
	}
	if (w == s)
		*w++ = '.';
	*w = '\0';
}

/* Resolves a path against the main file's directory (see the top of the
 * file).  Returns the normalised path in the tree arena, NULL on OOM. */
static char *resolve(struct parser *P, const char *s)
{
	size_t dl = strlen(P->confdir), sl = strlen(s);
	char *r;

	if (s[0] == '/') {
		r = astrndup(P->mem, s, sl);
	} else {
		r = amalloc(P->mem, dl + 1 + sl + 1);
		if (r) {
			memcpy(r, P->confdir, dl);
			r[dl] = '/';
			memcpy(r + dl + 1, s, sl + 1);
		}
	}
	if (r)
		path_normalise(r);
	return r;
}

/* Reports that the path r, resolved from the word v, is missing, as
 * "HEAD \"PATH\" TAIL": the whole path, and for a relative one the word
 * as written, so that the user sees what was looked for and why there. */
static int path_error(struct parser *P, struct lexer *lx, const struct tok *v,
		      const char *r, const char *head, const char *tail)
{
	char rb[PATH_SHOW], wb[PATH_SHOW];

	if (v->s[0] == '/')
		return error_at(P, lx->file, v->line, "%s \"%s\"%s", head,
				SHOW_PATH(rb, r), tail);
	return error_at(P, lx->file, v->line, "%s \"%s\" (given as \"%s\")%s", head,
			SHOW_PATH(rb, r), SHOW_PATH(wb, v->s), tail);
}

/* Resolves the path argument v of directive d; with check, it must be an
 * existing directory (what says which one in the message). */
static char *path_arg(struct parser *P, struct lexer *lx, const struct tok *v,
		      const struct directive *d, int check)
{
	char head[64];
	char *r;

	if (v->len == 0) {
		error_at(P, lx->file, v->line, "invalid value \"\" in \"%s\" directive",
			 d->name);
		return NULL;
	}
	r = resolve(P, v->s);
	if (!r) {
		oom(P, lx, v->line);
		return NULL;
	}
	if (check && P->io && P->io->is_dir && !P->io->is_dir(P->io->ctx, r)) {
		snprintf(head, sizeof(head), "%s directory", d->name);
		path_error(P, lx, v, r, head, " does not exist");
		return NULL;
	}
	return r;
}

/* Decimal digits only, at least one, no overflow. */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* SIZE: digits with an optional k/m/g suffix (1024-based, any case). */
static int parse_size(const char *s, uint64_t *out)
{
	size_t n = strlen(s);
	unsigned shift = 0;
	uint64_t v;

	if (n > 0) {
		switch (s[n - 1]) {
		case 'k': case 'K': shift = 10; n--; break;
		case 'm': case 'M': shift = 20; n--; break;
		case 'g': case 'G': shift = 30; n--; break;
		}
	}
	/* UINT64_MAX itself is the "unset" marker, so it is not a size. */
	if (parse_u64(s, n, &v) < 0 || v > (UINT64_MAX >> shift) || (v << shift) == UNSET)
		return -1;
	*out = v << shift;
	return 0;
}

/* TIME: a bare number of seconds, or one or more NUMBER UNIT parts with
 * units ms, s, m, h ("1m30s", nginx style).  Result in milliseconds. */
static int parse_time(const char *s, uint64_t *out)
{
	uint64_t total = 0;
	const char *p = s;

	if (*p == '\0')
		return -1;
	while (*p) {
		const char *q = p;
		uint64_t v, mul;

		while (*q >= '0' && *q <= '9')
			q++;
		if (parse_u64(p, (size_t)(q - p), &v) < 0)
			return -1;
		if (q[0] == 'm' && q[1] == 's') {
			mul = 1;
			q += 2;
		} else if (q[0] == 's') {
			mul = 1000;
			q++;
		} else if (q[0] == 'm') {
			mul = 60000;
			q++;
		} else if (q[0] == 'h') {
			mul = 3600000;
			q++;
		} else if (q[0] == '\0' && p == s) {
			mul = 1000;
		} else {
			return -1;
		}
		if (v > TIME_MAX_MS / mul || v * mul > TIME_MAX_MS - total)
			return -1;
		total += v * mul;
		p = q;
	}
	*out = total;
	return 0;
}

/* Dotted-quad IPv4, decimal octets; host byte order. */
static int parse_ipv4(const char *s, size_t n, uint32_t *out)
{
	uint32_t a = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t st = i;
		uint64_t v;

		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i - st > 3 || parse_u64(s + st, i - st, &v) < 0 || v > 255)
			return -1;
		a = a << 8 | (uint32_t)v;
		if (part < 3) {
			if (i >= n || s[i] != '.')
				return -1;
			i++;
		}
	}
	if (i != n)
		return -1;
	*out = a;
	return 0;
}

/* ---- setters ---- */

static void lc_init(struct loc_conf *lc)
{
	memset(lc, 0, sizeof(*lc));
	lc->autoindex = -1;
	lc->max_body = UNSET;
	lc->cgi_timeout_ms = UNSET;
	lc->header_timeout_ms = UNSET;
	lc->body_timeout_ms = UNSET;
	lc->keepalive_timeout_ms = UNSET;
	lc->send_timeout_ms = UNSET;
	lc->upload_max_files = UNSET;
	lc->disable_symlinks = -1;
	lc->upload_active_inline = -1;
}

static int set_server(struct parser *P, struct lexer *lx, struct block *b,
		      const struct directive *d, const struct tok *v, size_t n)
{
	struct config *cf = P->cf;
	struct server_conf s;
	struct block nb;
	struct server_conf *sv;
	uint64_t *seen;

	(void)b;
	(void)d;
	(void)n;
	memset(&s, 0, sizeof(s));
	lc_init(&s.srv);
	s.srv.prefix = astrdup(P->mem, "");
	if (!s.srv.prefix)
		return oom(P, lx, v[0].line);
	memset(&nb, 0, sizeof(nb));
	nb.ctx = CTX_SRV;
	nb.lc = &s.srv;
	nb.srv = &s;
	if (parse_stmts(P, lx, &nb, 1) < 0)
		return -1;
	if (s.nlistens == 0) {
		/* No listen: the default address, as nginx (0.0.0.0:80). */
		s.listens = amalloc(P->mem, sizeof(*s.listens));
		if (!s.listens)
			return oom(P, lx, v[0].line);
		memset(&s.listens[0], 0, sizeof(s.listens[0]));
		s.listens[0].port = 80;
		s.listens[0].proxy_protocol = 0;
		s.nlistens = 1;
	}
	sv = agrow(P->mem, cf->servers, cf->nservers, sizeof(*sv));
	if (!sv)
		return oom(P, lx, v[0].line);
	cf->servers = sv;
	seen = agrow(P->mem, P->srv_seen, cf->nservers, sizeof(*seen));
	if (!seen)
		return oom(P, lx, v[0].line);
	P->srv_seen = seen;
	P->srv_seen[cf->nservers] = nb.seen;
	cf->servers[cf->nservers++] = s;
	return 0;
}

static int set_location(struct parser *P, struct lexer *lx, struct block *b,
			const struct directive *d, const struct tok *v, size_t n)
{
	char tb[SHOW_BUF], pb[PATH_SHOW];
	struct server_conf *srv = b->srv;
	const struct tok *pt = &v[n - 1];
	const char *pre = pt->s;
	int exact = 0;
	struct loc_conf l, *locs;
	struct block nb;

	(void)d;
	if (n == 3) {
		const char *mod = v[1].s;

		if (strcmp(mod, "=") == 0)
			exact = 1;
		else if (!strcmp(mod, "~") || !strcmp(mod, "~*") || !strcmp(mod, "^~"))
			return error_at(P, lx->file, v[1].line,
					"unsupported location modifier \"%s\"", mod);
		else
			return error_at(P, lx->file, v[1].line,
					"invalid location modifier \"%s\"", SHOW(tb, mod));
	} else if (pre[0] == '=' && pre[1] != '\0') {
		/* `location =/x`, as nginx accepts */
		exact = 1;
		pre++;
	} else if (pre[0] == '~' || (pre[0] == '^' && pre[1] == '~')) {
		const char *mod = pre[0] == '~' ? (pre[1] == '*' ? "~*" : "~") : "^~";

		return error_at(P, lx->file, pt->line,
				"unsupported location modifier \"%s\"", mod);
	}
	if (pre[0] != '/')
		return error_at(P, lx->file, pt->line, "location \"%s\" must start with \"/\"",
				SHOW_PATH(pb, pre));
	for (size_t i = 0; i < srv->nlocs; i++)
		if (srv->locs[i].exact == exact && strcmp(srv->locs[i].prefix, pre) == 0)
			return error_at(P, lx->file, pt->line, "duplicate location \"%s\"",
					SHOW_PATH(pb, pre));
	lc_init(&l);
	l.exact = exact;
	l.prefix = astrdup(P->mem, pre);
	if (!l.prefix)
		return oom(P, lx, pt->line);
	memset(&nb, 0, sizeof(nb));
	nb.ctx = CTX_LOC;
	nb.lc = &l;
	nb.srv = srv;
	if (parse_stmts(P, lx, &nb, 1) < 0)
		return -1;
	locs = agrow(P->mem, srv->locs, srv->nlocs, sizeof(*locs));
	if (!locs)
		return oom(P, lx, pt->line);
	srv->locs = locs;
	srv->locs[srv->nlocs++] = l;
	return 0;
}

static int set_types(struct parser *P, struct lexer *lx, struct block *b,
		     const struct directive *d, const struct tok *v, size_t n)
{
	struct block nb;

	(void)d;
	(void)v;
	(void)n;
	memset(&nb, 0, sizeof(nb));
	nb.ctx = CTX_TYPES;
	nb.srv = b->srv;
	/* A server's own table replaces the top one (nginx); several types
	 * blocks at one level add up. */
	nb.types = b->srv ? &b->srv->own_types : &P->cf->types;
	return parse_stmts(P, lx, &nb, 1);
}

static int set_include(struct parser *P, struct lexer *lx, struct block *b,
		       const struct directive *d, const struct tok *v, size_t n)
{
	struct lexer inc;
	char *path, *data = NULL;
	size_t len = 0;
	int rc;

	(void)n;
	if (P->depth >= INCLUDE_DEPTH_MAX)
		return error_at(P, lx->file, v[0].line, "include nesting too deep");
	if (P->nfiles >= INCLUDE_FILES_MAX)
		return error_at(P, lx->file, v[0].line, "too many included files");
	P->nfiles++;
	path = path_arg(P, lx, &v[1], d, 0);
	if (!path)
		return -1;
	if (!P->io || !P->io->read_file)
		return path_error(P, lx, &v[1], path, "cannot open", "");
	rc = P->io->read_file(P->io->ctx, path, &data, &len);
	if (rc != 0) {
		char why[128];

		/* The reason, when the reader knows it (an errno). */
		why[0] = '\0';
		if (rc > 0)
			snprintf(why, sizeof(why), ": %s", strerror(rc));
		return path_error(P, lx, &v[1], path, "cannot open", why);
	}
	if (!data)
		len = 0;
	lexer_init(&inc, path, data ? data : "", len);
	P->depth++;
	rc = parse_stmts(P, &inc, b, 0);
	P->depth--;
	free(data);
	return rc;
}

/* The HOST of `listen HOST:PORT` (hl bytes at s) into la: an IPv4
 * address, `*`, `localhost`, or an IPv6 address in brackets.  0, or -1
 * with the error reported about the whole word w. */
static int listen_host(struct parser *P, struct lexer *lx, const struct tok *w,
		       const char *s, size_t hl, struct listen_addr *la)
{
	char tb[SHOW_BUF], ip[64];

	if (hl == 1 && s[0] == '*')
		return 0;
	if (hl == 9 && strncasecmp(s, "localhost", 9) == 0) {
		la->addr = 0x7f000001;
		return 0;
	}
	if (s[0] == '[') {
		/* RFC 3986 IP-literal, without a zone. */
		if (hl < 3 || hl - 2 >= sizeof(ip))
			return error_at(P, lx->file, w->line, "invalid IPv6 address in \"%s\"",
					SHOW(tb, w->s));
		memcpy(ip, s + 1, hl - 2);
		ip[hl - 2] = '\0';
		if (strchr(ip, ':') == NULL || inet_pton(AF_INET6, ip, la->addr6) != 1)
			return error_at(P, lx->file, w->line, "invalid IPv6 address in \"%s\"",
					SHOW(tb, w->s));
		/* Connections to it are seen as IPv4 (addr.c): ask for that. */
		if (memcmp(la->addr6, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
			return error_at(P, lx->file, w->line,
					"IPv4-mapped address in \"%s\": listen on the IPv4 address",
					SHOW(tb, w->s));
		la->v6 = 1;
		la->ipv6only = 1;
		return 0;
	}
	if (parse_ipv4(s, hl, &la->addr) == 0)
		return 0;
	if (memchr(s, ':', hl) != NULL)
		return error_at(P, lx->file, w->line,
				"invalid host in \"%s\" (an IPv6 address goes in brackets: "
				"\"[ADDRESS]:PORT\")", SHOW(tb, w->s));
	return error_at(P, lx->file, w->line, "invalid host in \"%s\"", SHOW(tb, w->s));
}

/* `listen [HOST:]PORT [default_server] [ipv6only=on|off];` */
static int set_listen(struct parser *P, struct lexer *lx, struct block *b,
		      const struct directive *d, const struct tok *v, size_t n)
{
	char tb[SHOW_BUF], at[ADDR_TEXT_MAX];
	struct server_conf *srv = b->srv;
	const char *s = v[1].s, *colon, *port;
	struct listen_addr la, *ls;
	int v6only = -1;
	uint64_t p;

	(void)d;
	memset(&la, 0, sizeof(la));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL)
			return error_at(P, lx->file, v[1].line, "missing \"]\" in \"%s\"",
					SHOW(tb, s));
		colon = rb[1] == ':' ? rb + 1 : NULL;
		if (colon == NULL)
			return error_at(P, lx->file, v[1].line, "invalid port in \"%s\"", SHOW(tb, s));
	} else {
		colon = strrchr(s, ':');
	}
	port = colon ? colon + 1 : s;
	if (parse_u64(port, strlen(port), &p) < 0 || p < 1 || p > 65535)
		return error_at(P, lx->file, v[1].line, "invalid port in \"%s\"", SHOW(tb, s));
	la.port = (uint16_t)p;
	if (colon && listen_host(P, lx, &v[1], s, (size_t)(colon - s), &la) < 0)
		return -1;
	addr_format(&la, 1, at, sizeof(at));
	for (size_t i = 2; i < n; i++) {
		const char *f = v[i].s;

		if (strcmp(f, "default_server") == 0) {
			la.default_server = 1;
		} else if (strcmp(f, "proxy_protocol") == 0) {
			/* nginx's listen ... proxy_protocol */
			la.proxy_protocol = 1;
		} else if (strcmp(f, "ipv6only=on") == 0 || strcmp(f, "ipv6only=off") == 0) {
			if (!la.v6)
				return error_at(P, lx->file, v[i].line,
						"\"ipv6only\" applies only to IPv6 addresses, "
						"not to %s", at);
			v6only = f[10] == 'n';
		} else {
			return error_at(P, lx->file, v[i].line,
					"invalid parameter \"%s\" in \"listen\" directive",
					SHOW(tb, f));
		}
	}
	if (v6only >= 0)
		la.ipv6only = (uint8_t)v6only;
	for (size_t i = 0; i < srv->nlistens; i++)
		if (addr_eq(&srv->listens[i], &la))
			return error_at(P, lx->file, v[1].line, "duplicate listen %s", at);
	/* One socket per address: its options must agree across servers. */
	for (size_t k = 0; k < P->cf->nservers; k++)
		for (size_t i = 0; i < P->cf->servers[k].nlistens; i++) {
			const struct listen_addr *o = &P->cf->servers[k].listens[i];

			if (!addr_eq(o, &la))
				continue;
			if (o->default_server && la.default_server)
				return error_at(P, lx->file, v[1].line,
						"a duplicate default server for %s", at);
			if (o->ipv6only != la.ipv6only)
				return error_at(P, lx->file, v[1].line,
						"conflicting \"ipv6only\" for %s (\"%s\" before)", at,
						o->ipv6only ? "on" : "off");
		}
	ls = agrow(P->mem, srv->listens, srv->nlistens, sizeof(*ls));
	if (!ls)
		return oom(P, lx, v[1].line);
	srv->listens = ls;
	srv->listens[srv->nlistens++] = la;
	return 0;
}

static int set_server_name(struct parser *P, struct lexer *lx, struct block *b,
			   const struct directive *d, const struct tok *v, size_t n)
{
	struct server_conf *srv = b->srv;

	(void)d;
	for (size_t i = 1; i < n; i++) {
		char *s = astrdup(P->mem, v[i].s);
		char **names = agrow(P->mem, srv->names, srv->nnames, sizeof(*names));

		if (!s || !names)
			return oom(P, lx, v[i].line);
		for (char *c = s; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		srv->names = names;
		srv->names[srv->nnames++] = s;
	}
	return 0;
}

/* `root`, `alias` and `upload_store`: a directory into the field at
 * d->off; root and alias exclude each other in a location. */
static int set_dir(struct parser *P, struct lexer *lx, struct block *b,
		   const struct directive *d, const struct tok *v, size_t n)
{
	char **dst = (char **)(void *)((char *)b->lc + d->off);
	const char *other = d->off == offsetof(struct loc_conf, root)    ? b->lc->alias
			    : d->off == offsetof(struct loc_conf, alias) ? b->lc->root
									 : NULL;

	(void)n;
	if (other != NULL)
		return error_at(P, lx->file, v[0].line,
				"\"alias\" and \"root\" in the same location");
	*dst = path_arg(P, lx, &v[1], d, 1);
	return *dst ? 0 : -1;
}

static int set_methods(struct parser *P, struct lexer *lx, struct block *b,
		       const struct directive *d, const struct tok *v, size_t n)
{
	static const struct { const char *name; unsigned bits; } tab[] = {
		{ "GET", M_GET | M_HEAD },
		{ "HEAD", M_HEAD },
		{ "POST", M_POST },
		{ "PUT", M_PUT },
		{ "DELETE", M_DELETE },
	};
	char tb[SHOW_BUF];
	unsigned m = 0;

	(void)d;
	for (size_t i = 1; i < n; i++) {
		size_t k;

		for (k = 0; k < sizeof(tab) / sizeof(tab[0]); k++)
			if (strcmp(v[i].s, tab[k].name) == 0)
				break;
		if (k == sizeof(tab) / sizeof(tab[0]))
			return error_at(P, lx->file, v[i].line, "invalid method \"%s\"",
					SHOW(tb, v[i].s));
		m |= tab[k].bits;
	}
	b->lc->methods = m;
	return 0;
}

static int set_index(struct parser *P, struct lexer *lx, struct block *b,
		     const struct directive *d, const struct tok *v, size_t n)
{
	char **idx = amalloc(P->mem, (n - 1) * sizeof(*idx));

	if (!idx)
		return oom(P, lx, v[0].line);
	for (size_t i = 1; i < n; i++) {
		if (v[i].len == 0)
			return error_at(P, lx->file, v[i].line,
					"invalid value \"\" in \"%s\" directive", d->name);
		idx[i - 1] = astrdup(P->mem, v[i].s);
		if (!idx[i - 1])
			return oom(P, lx, v[i].line);
	}
	b->lc->index = idx;
	b->lc->nindex = n - 1;
	return 0;
}

/* The on|off in v[1] into *f.  0, or -1 with the error reported. */
static int flag_arg(struct parser *P, struct lexer *lx, const struct directive *d,
		    const struct tok *v, int *f)
{
	char tb[SHOW_BUF];

	if (strcasecmp(v[1].s, "on") == 0)
		*f = 1;
	else if (strcasecmp(v[1].s, "off") == 0)
		*f = 0;
	else
		return error_at(P, lx->file, v[1].line,
				"invalid value \"%s\" in \"%s\" directive, "
				"it must be \"on\" or \"off\"",
				SHOW(tb, v[1].s), d->name);
	return 0;
}

/* `NAME on|off;` into the int field at d->off of the block's settings. */
static int set_flag(struct parser *P, struct lexer *lx, struct block *b,
		    const struct directive *d, const struct tok *v, size_t n)
{
	(void)n;
	return flag_arg(P, lx, d, v, (int *)(void *)((char *)b->lc + d->off));
}

/* `charset NAME|off;`: the charset added to text types (nginx's
 * `charset`).  "off" is kept as "" so that it overrides an outer NAME.
 * NAME is an RFC 9110 token of at most CHARSET_MAX bytes. */
static int set_charset(struct parser *P, struct lexer *lx, struct block *b,
		       const struct directive *d, const struct tok *v, size_t n)
{
	char tb[SHOW_BUF];
	size_t len = v[1].len;

	(void)n;
	if (strcasecmp(v[1].s, "off") == 0) {
		b->lc->charset = astrdup(P->mem, "");
		return b->lc->charset ? 0 : oom(P, lx, v[1].line);
	}
	if (len == 0 || len > CHARSET_MAX || strlen(v[1].s) != len)
		goto bad;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)v[1].s[i]) && !strchr("!#$%&'*+-.^_`|~", v[1].s[i]))
			goto bad;
	b->lc->charset = astrdup(P->mem, v[1].s);
	return b->lc->charset ? 0 : oom(P, lx, v[1].line);
bad:
	return error_at(P, lx->file, v[1].line, "invalid value \"%s\" in \"%s\" directive",
			SHOW(tb, v[1].s), d->name);
}

/* The count in v[1], from 1 to max, into *x.  0, or -1 with the error
 * reported. */
static int count_arg(struct parser *P, struct lexer *lx, const struct directive *d,
		     const struct tok *v, uint64_t max, uint64_t *x)
{
	char tb[SHOW_BUF];

	if (parse_u64(v[1].s, v[1].len, x) < 0 || *x < 1 || *x > max)
		return error_at(P, lx->file, v[1].line, "invalid value \"%s\" in \"%s\" directive",
				SHOW(tb, v[1].s), d->name);
	return 0;
}

/* `upload_max_files N;`: a count from 1 to COUNT_MAX. */
static int set_max_files(struct parser *P, struct lexer *lx, struct block *b,
			 const struct directive *d, const struct tok *v, size_t n)
{
	uint64_t x;

	(void)n;
	if (count_arg(P, lx, d, v, COUNT_MAX, &x) < 0)
		return -1;
	b->lc->upload_max_files = x;
	return 0;
}

static int set_error_page(struct parser *P, struct lexer *lx, struct block *b,
			  const struct directive *d, const struct tok *v, size_t n)
{
	char tb[SHOW_BUF], pb[PATH_SHOW];
	struct loc_conf *lc = b->lc;
	const struct tok *u = &v[n - 1];
	char *uri;

	if (u->s[0] != '/')
		return error_at(P, lx->file, u->line, "invalid uri \"%s\" in \"%s\" directive",
				SHOW_PATH(pb, u->s), d->name);
	uri = astrdup(P->mem, u->s);
	if (!uri)
		return oom(P, lx, u->line);
	for (size_t i = 1; i < n - 1; i++) {
		struct error_page *ep;
		uint64_t code;
		size_t k;

		if (parse_u64(v[i].s, v[i].len, &code) < 0 || code < 300 || code > 599)
			return error_at(P, lx->file, v[i].line,
					"value \"%s\" must be between 300 and 599",
					SHOW(tb, v[i].s));
		/* A code given again at this level takes the later page. */
		for (k = 0; k < lc->nerror_pages; k++)
			if (lc->error_pages[k].code == (int)code)
				break;
		if (k < lc->nerror_pages) {
			lc->error_pages[k].uri = uri;
			continue;
		}
		ep = agrow(P->mem, lc->error_pages, lc->nerror_pages, sizeof(*ep));
		if (!ep)
			return oom(P, lx, v[i].line);
		lc->error_pages = ep;
		lc->error_pages[lc->nerror_pages].code = (int)code;
		lc->error_pages[lc->nerror_pages].uri = uri;
		lc->nerror_pages++;
	}
	return 0;
}

static int set_return(struct parser *P, struct lexer *lx, struct block *b,
		      const struct directive *d, const struct tok *v, size_t n)
{
	char tb[SHOW_BUF];
	uint64_t code;

	(void)d;
	if (n == 2 && (strncmp(v[1].s, "http://", 7) == 0 ||
		       strncmp(v[1].s, "https://", 8) == 0)) {
		/* `return URL;` is a 302, as in nginx. */
		b->lc->ret_code = 302;
		b->lc->ret_arg = astrdup(P->mem, v[1].s);
		return b->lc->ret_arg ? 0 : oom(P, lx, v[1].line);
	}
	if (parse_u64(v[1].s, v[1].len, &code) < 0 || code < 100 || code > 599)
		return error_at(P, lx->file, v[1].line, "invalid return code \"%s\"",
				SHOW(tb, v[1].s));
	b->lc->ret_code = (int)code;
	b->lc->ret_arg = NULL;
	if (n == 3) {
		b->lc->ret_arg = astrdup(P->mem, v[2].s);
		if (!b->lc->ret_arg)
			return oom(P, lx, v[2].line);
	}
	return 0;
}

static int set_cgi(struct parser *P, struct lexer *lx, struct block *b,
		   const struct directive *d, const struct tok *v, size_t n)
{
	char tb[SHOW_BUF];
	struct loc_conf *lc = b->lc;
	const char *ext = v[1].s;
	char *e, *interp;
	struct cgi_map *m;
	size_t k;

	(void)n;
	if (ext[0] != '.' || ext[1] == '\0' || strchr(ext, '/'))
		return error_at(P, lx->file, v[1].line,
				"invalid extension \"%s\" in \"%s\" directive",
				SHOW(tb, ext), d->name);
	if (v[2].len == 0)
		return error_at(P, lx->file, v[2].line, "invalid value \"\" in \"%s\" directive",
				d->name);
	/* "python3" is looked up in PATH by the caller; "./x" is a path. */
	if (v[2].s[0] != '/' && strchr(v[2].s, '/'))
		interp = resolve(P, v[2].s);
	else
		interp = astrdup(P->mem, v[2].s);
	e = astrdup(P->mem, ext);
	if (!interp || !e)
		return oom(P, lx, v[1].line);
	for (k = 0; k < lc->ncgi; k++)
		if (strcmp(lc->cgi[k].ext, ext) == 0)
			break;
	if (k == lc->ncgi) {
		m = agrow(P->mem, lc->cgi, lc->ncgi, sizeof(*m));
		if (!m)
			return oom(P, lx, v[1].line);
		lc->cgi = m;
		lc->ncgi++;
	}
	lc->cgi[k].ext = e;
	lc->cgi[k].interp = interp;
	return 0;
}

/* A size (client_max_body_size) or, with D_TIME, a time in ms (the
 * timeouts), into the uint64_t at d->off. */
static int set_amount(struct parser *P, struct lexer *lx, struct block *b,
		      const struct directive *d, const struct tok *v, size_t n)
{
	char tb[SHOW_BUF];
	int time = d->flags & D_TIME;
	uint64_t x;

	(void)n;
	if ((time ? parse_time(v[1].s, &x) : parse_size(v[1].s, &x)) < 0)
		return error_at(P, lx->file, v[1].line, "invalid %s \"%s\"",
				time ? "time" : "size", SHOW(tb, v[1].s));
	memcpy((char *)b->lc + d->off, &x, sizeof(x));
	return 0;
}

static int set_access_log(struct parser *P, struct lexer *lx, struct block *b,
			  const struct directive *d, const struct tok *v, size_t n)
{
	char *s = NULL;

	(void)n;
	if (strcmp(v[1].s, "off") == 0) {
		s = NULL;
	} else if (strcmp(v[1].s, "stdout") == 0) {
		s = astrdup(P->mem, "stdout");
		if (!s)
			return oom(P, lx, v[1].line);
	} else {
		s = path_arg(P, lx, &v[1], d, 0);
		if (!s)
			return -1;
	}
	if (b->srv)
		b->srv->access_log = s;
	else
		P->top_alog = s;
	return 0;
}

static int set_error_log(struct parser *P, struct lexer *lx, struct block *b,
			 const struct directive *d, const struct tok *v, size_t n)
{
	(void)b;
	(void)n;
	if (strcmp(v[1].s, "stderr") == 0)
		P->cf->error_log = astrdup(P->mem, "stderr");
	else
		P->cf->error_log = path_arg(P, lx, &v[1], d, 0);
	if (!P->cf->error_log)
		return P->failed ? -1 : oom(P, lx, v[1].line);
	return 0;
}

static int set_pid(struct parser *P, struct lexer *lx, struct block *b,
		   const struct directive *d, const struct tok *v, size_t n)
{
	(void)b;
	(void)n;
	P->cf->pid = path_arg(P, lx, &v[1], d, 0);
	return P->cf->pid ? 0 : -1;
}

/* `user NAME [GROUP];`: checked against the system's users and groups
 * when the caller gives the lookups (as `-t` and a start do). */
static int set_user(struct parser *P, struct lexer *lx, struct block *b,
		    const struct directive *d, const struct tok *v, size_t n)
{
	char tb[SHOW_BUF], fb[PATH_SHOW], at[PATH_SHOW + 32];
	const struct config_io *io = P->io;

	(void)b;
	for (size_t i = 1; i < n; i++)
		if (v[i].len == 0)
			return error_at(P, lx->file, v[i].line,
					"invalid value \"\" in \"%s\" directive", d->name);
	if (io && io->lookup_user && !io->lookup_user(io->ctx, v[1].s))
		return error_at(P, lx->file, v[1].line, "unknown user \"%s\"", SHOW(tb, v[1].s));
	if (n == 3 && io && io->lookup_group && !io->lookup_group(io->ctx, v[2].s))
		return error_at(P, lx->file, v[2].line, "unknown group \"%s\"", SHOW(tb, v[2].s));
	snprintf(at, sizeof(at), "%s:%lu", SHOW_PATH(fb, lx->file), v[0].line);
	P->cf->user = astrdup(P->mem, v[1].s);
	P->cf->group = n == 3 ? astrdup(P->mem, v[2].s) : NULL;
	P->cf->user_at = astrdup(P->mem, at);
	if (!P->cf->user || (n == 3 && !P->cf->group) || !P->cf->user_at)
		return oom(P, lx, v[0].line);
	return 0;
}

/* `NAME on|off;` of the main context: the int field at d->off in
 * struct config (cgi_allow_root). */
static int set_main_flag(struct parser *P, struct lexer *lx, struct block *b,
			 const struct directive *d, const struct tok *v, size_t n)
{
	(void)b;
	(void)n;
	return flag_arg(P, lx, d, v, (int *)(void *)((char *)P->cf + d->off));
}

/* A count of the main context (max_connections, cgi_max_processes):
 * the unsigned field at d->off in struct config. */
static int set_main_count(struct parser *P, struct lexer *lx, struct block *b,
			  const struct directive *d, const struct tok *v, size_t n)
{
	uint64_t x;

	(void)b;
	(void)n;
	if (count_arg(P, lx, d, v, COUNT_MAX, &x) < 0)
		return -1;
	*(unsigned *)(void *)((char *)P->cf + d->off) = (unsigned)x;
	return 0;
}

/* `events poll|epoll;`: the readiness backend of the event loop. */
static int set_events(struct parser *P, struct lexer *lx, struct block *b,
		      const struct directive *d, const struct tok *v, size_t n)
{
	char tb[SHOW_BUF];
	enum loop_backend be;

	(void)b;
	(void)n;
	if (strcmp(v[1].s, "poll") == 0)
		be = LOOP_POLL;
	else if (strcmp(v[1].s, "epoll") == 0)
		be = LOOP_EPOLL;
	else
		return error_at(P, lx->file, v[1].line,
				"invalid value \"%s\" in \"%s\" directive, "
				"it must be \"poll\" or \"epoll\"",
				SHOW(tb, v[1].s), d->name);
#ifndef __linux__
	if (be == LOOP_EPOLL) /* loop.c builds it on Linux only */
		return error_at(P, lx->file, v[1].line,
				"\"epoll\" is not available on this system");
#endif
	P->cf->events = be;
	return 0;
}

/* `worker_processes N|auto;`: processes serving the listeners (master.c);
 * auto is stored as 0 and resolved to the online cores by the server
 * (the parser asks nothing of the system). */
static int set_workers(struct parser *P, struct lexer *lx, struct block *b,
		       const struct directive *d, const struct tok *v, size_t n)
{
	uint64_t x;

	(void)b;
	(void)n;
	if (strcmp(v[1].s, "auto") == 0) {
		P->cf->worker_processes = 0;
		return 0;
	}
	if (count_arg(P, lx, d, v, WORKERS_MAX, &x) < 0)
		return -1;
	P->cf->worker_processes = (unsigned)x;
	return 0;
}

/* `set_real_ip_from CIDR;`: a network whose forwarding headers are
 * believed (realip.c). */
static int set_real_ip_from(struct parser *P, struct lexer *lx, struct block *b,
			    const struct directive *d, const struct tok *v, size_t n)
{
	char tb[SHOW_BUF];
	struct realip_cidr net, *set;

	(void)b;
	(void)n;
	if (realip_cidr_parse(v[1].s, v[1].len, &net) < 0)
		return error_at(P, lx->file, v[1].line,
				"invalid address or network \"%s\" in \"%s\" directive",
				SHOW(tb, v[1].s), d->name);
	set = agrow(P->mem, P->cf->real_ip_from, P->cf->nreal_ip_from, sizeof(*set));
	if (!set)
		return oom(P, lx, v[1].line);
	P->cf->real_ip_from = set;
	set[P->cf->nreal_ip_from++] = net;
	return 0;
}

/* `real_ip_header X-Real-IP|X-Forwarded-For;` */
static int set_real_ip_header(struct parser *P, struct lexer *lx, struct block *b,
			      const struct directive *d, const struct tok *v, size_t n)
{
	char tb[SHOW_BUF];

	(void)b;
	(void)n;
	if (strcasecmp(v[1].s, "X-Real-IP") == 0)
		P->cf->real_ip_header = REALIP_X_REAL_IP;
	else if (strcasecmp(v[1].s, "X-Forwarded-For") == 0)
		P->cf->real_ip_header = REALIP_X_FORWARDED_FOR;
	else
		return error_at(P, lx->file, v[1].line,
				"invalid value \"%s\" in \"%s\" directive, "
				"it must be \"X-Real-IP\" or \"X-Forwarded-For\"",
				SHOW(tb, v[1].s), d->name);
	return 0;
}

/* `open_file_cache off;` or `open_file_cache max=N [valid=TIME];`: the
 * open-file cache of static files (nginx's names).  valid defaults to
 * DEF_FCACHE_VALID_MS and may be 0 (nothing is kept). */
static int set_open_file_cache(struct parser *P, struct lexer *lx, struct block *b,
			       const struct directive *d, const struct tok *v, size_t n)
{
	char tb[SHOW_BUF];
	uint64_t max = 0, valid = DEF_FCACHE_VALID_MS;

	(void)b;
	if (n == 2 && strcmp(v[1].s, "off") == 0) {
		P->cf->fcache_max = 0;
		P->cf->fcache_valid_ms = 0;
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if (strncmp(v[i].s, "max=", 4) == 0 && max == 0 &&
		    parse_u64(v[i].s + 4, v[i].len - 4, &max) == 0 && max >= 1 && max <= FCACHE_MAX)
			continue;
		if (strncmp(v[i].s, "valid=", 6) == 0 && parse_time(v[i].s + 6, &valid) == 0 &&
		    valid <= FCACHE_VALID_MAX_MS)
			continue;
		return error_at(P, lx->file, v[i].line,
				"invalid parameter \"%s\" in \"%s\" directive, it must be "
				"\"off\", \"max=N\" (1 to %u) or \"valid=TIME\" (at most 1h)",
				SHOW(tb, v[i].s), d->name, FCACHE_MAX);
	}
	if (max == 0)
		return error_at(P, lx->file, v[1].line, "\"%s\" needs \"max=N\" or \"off\"",
				d->name);
	P->cf->fcache_max = (unsigned)max;
	P->cf->fcache_valid_ms = valid;
	return 0;
}

/* The directive table (nginx ngx_command_t): name, where, arity, flags,
 * setter.  At most 64 entries: the index is a bit in block.seen. */
static const struct directive directives[] = {
	{ "server", CTX_MAIN, 0, 0, D_BLOCK | D_MULTI, set_server, 0 },
	{ "location", CTX_SRV, 1, 2, D_BLOCK | D_MULTI, set_location, 0 },
	{ "types", CTX_MAIN | CTX_SRV, 0, 0, D_BLOCK | D_MULTI, set_types, 0 },
	{ "include", CTX_HTTP | CTX_TYPES, 1, 1, D_MULTI, set_include, 0 },
	{ "listen", CTX_SRV, 1, 4, D_MULTI, set_listen, 0 },
	{ "server_name", CTX_SRV, 1, ARGS_ANY, D_MULTI, set_server_name, 0 },
	{ "root", CTX_HTTP, 1, 1, 0, set_dir, offsetof(struct loc_conf, root) },
	{ "alias", CTX_LOC, 1, 1, 0, set_dir, offsetof(struct loc_conf, alias) },
	{ "allow_methods", CTX_HTTP, 1, ARGS_ANY, 0, set_methods, 0 },
	{ "index", CTX_HTTP, 1, ARGS_ANY, 0, set_index, 0 },
	{ "autoindex", CTX_HTTP, 1, 1, 0, set_flag, offsetof(struct loc_conf, autoindex) },
	{ "charset", CTX_HTTP, 1, 1, 0, set_charset, 0 },
	{ "error_page", CTX_HTTP, 2, ARGS_ANY, D_MULTI, set_error_page, 0 },
	{ "client_max_body_size", CTX_HTTP, 1, 1, 0, set_amount,
	  offsetof(struct loc_conf, max_body) },
	{ "return", CTX_SRV | CTX_LOC, 1, 2, 0, set_return, 0 },
	{ "upload_store", CTX_LOC, 1, 1, 0, set_dir,
	  offsetof(struct loc_conf, upload_store) },
	{ "cgi", CTX_HTTP, 2, 2, D_MULTI, set_cgi, 0 },
	{ "cgi_timeout", CTX_HTTP, 1, 1, D_TIME, set_amount,
	  offsetof(struct loc_conf, cgi_timeout_ms) },
	{ "client_header_timeout", CTX_HTTP, 1, 1, D_TIME, set_amount,
	  offsetof(struct loc_conf, header_timeout_ms) },
	{ "client_body_timeout", CTX_HTTP, 1, 1, D_TIME, set_amount,
	  offsetof(struct loc_conf, body_timeout_ms) },
	{ "keepalive_timeout", CTX_HTTP, 1, 1, D_TIME, set_amount,
	  offsetof(struct loc_conf, keepalive_timeout_ms) },
	{ "send_timeout", CTX_HTTP, 1, 1, D_TIME, set_amount,
	  offsetof(struct loc_conf, send_timeout_ms) },
	{ "access_log", CTX_MAIN | CTX_SRV, 1, 1, 0, set_access_log, 0 },
	{ "error_log", CTX_MAIN, 1, 1, 0, set_error_log, 0 },
	{ "pid", CTX_MAIN, 1, 1, 0, set_pid, 0 },
	{ "max_connections", CTX_MAIN, 1, 1, 0, set_main_count,
	  offsetof(struct config, max_connections) },
	{ "cgi_max_processes", CTX_MAIN, 1, 1, 0, set_main_count,
	  offsetof(struct config, cgi_max_processes) },
	{ "events", CTX_MAIN, 1, 1, 0, set_events, 0 },
	{ "worker_processes", CTX_MAIN, 1, 1, 0, set_workers, 0 },
	{ "set_real_ip_from", CTX_MAIN, 1, 1, D_MULTI, set_real_ip_from, 0 },
	{ "real_ip_header", CTX_MAIN, 1, 1, 0, set_real_ip_header, 0 },
	{ "open_file_cache", CTX_MAIN, 1, 2, 0, set_open_file_cache, 0 },
	{ "user", CTX_MAIN, 1, 2, 0, set_user, 0 },
	{ "cgi_allow_root", CTX_MAIN, 1, 1, 0, set_main_flag,
	  offsetof(struct config, cgi_allow_root) },
	{ "upload_max_files", CTX_HTTP, 1, 1, 0, set_max_files, 0 },
	{ "disable_symlinks", CTX_HTTP, 1, 1, 0, set_flag,
	  offsetof(struct loc_conf, disable_symlinks) },
	{ "upload_active_inline", CTX_HTTP, 1, 1, 0, set_flag,
	  offsetof(struct loc_conf, upload_active_inline) },
};

#define NDIRECTIVES (sizeof(directives) / sizeof(directives[0]))
_Static_assert(NDIRECTIVES <= 64, "block.seen has 64 bits");

static const struct directive *find_directive(const char *name)
{
	for (size_t i = 0; i < NDIRECTIVES; i++)
		if (strcmp(directives[i].name, name) == 0)
			return &directives[i];
	return NULL;
}

static uint64_t dir_bit(const char *name)
{
	const struct directive *d = find_directive(name);

	return d ? (uint64_t)1 << (d - directives) : 0;
}

/* ---- merge ---- */

/* Fills what child left unset from parent (shared, arena-owned). */
static void inherit(struct loc_conf *c, const struct loc_conf *p)
{
	if (!c->root)
		c->root = p->root;
	if (!c->methods)
		c->methods = p->methods;
	if (!c->nindex) {
		c->index = p->index;
		c->nindex = p->nindex;
	}
	if (c->autoindex < 0)
		c->autoindex = p->autoindex;
	if (!c->charset)
		c->charset = p->charset;
	if (!c->nerror_pages) {
		c->error_pages = p->error_pages;
		c->nerror_pages = p->nerror_pages;
	}
	if (c->max_body == UNSET)
		c->max_body = p->max_body;
	if (!c->ncgi) {
		c->cgi = p->cgi;
		c->ncgi = p->ncgi;
	}
	if (c->cgi_timeout_ms == UNSET)
		c->cgi_timeout_ms = p->cgi_timeout_ms;
	if (c->header_timeout_ms == UNSET)
		c->header_timeout_ms = p->header_timeout_ms;
	if (c->body_timeout_ms == UNSET)
		c->body_timeout_ms = p->body_timeout_ms;
	if (c->keepalive_timeout_ms == UNSET)
		c->keepalive_timeout_ms = p->keepalive_timeout_ms;
	if (c->send_timeout_ms == UNSET)
		c->send_timeout_ms = p->send_timeout_ms;
	if (c->upload_max_files == UNSET)
		c->upload_max_files = p->upload_max_files;
	if (c->disable_symlinks < 0)
		c->disable_symlinks = p->disable_symlinks;
	if (c->upload_active_inline < 0)
		c->upload_active_inline = p->upload_active_inline;
}

/* Defaults into the top level, then top -> server -> location. */
static int finish(struct parser *P, const struct lexer *lx)
{
	static const struct loc_conf defs = {
		.methods = M_GET | M_HEAD,
		.autoindex = 0,
		.max_body = DEF_MAX_BODY,
		.cgi_timeout_ms = 30000,
		.header_timeout_ms = 60000,
		.body_timeout_ms = 60000,
		.keepalive_timeout_ms = 75000,
		.send_timeout_ms = 60000,
		.upload_max_files = DEF_MAX_FILES,
		.disable_symlinks = 0,
		.upload_active_inline = 0,
	};
	struct config *cf = P->cf;
	struct loc_conf d = defs;
	const uint64_t alog = dir_bit("access_log"), types = dir_bit("types");

	/* The default root is not checked: only a root that was written
	 * must exist. */
	d.root = resolve(P, "html");
	d.index = amalloc(P->mem, sizeof(*d.index));
	if (!d.root || !d.index || !(d.index[0] = astrdup(P->mem, "index.html")))
		return oom(P, lx, lx->last_line);
	d.nindex = 1;
	inherit(&P->top_lc, &d);
	if (!(P->top.seen & alog) && !(P->top_alog = astrdup(P->mem, "stdout")))
		return oom(P, lx, lx->last_line);
	if (!cf->error_log && !(cf->error_log = astrdup(P->mem, "stderr")))
		return oom(P, lx, lx->last_line);
	if (!cf->max_connections)
		cf->max_connections = DEF_MAX_CONN;
	if (!(P->top.seen & dir_bit("events")))
		cf->events = LOOP_DEFAULT;
	if (!(P->top.seen & dir_bit("worker_processes")))
		cf->worker_processes = 1;
	if (!(P->top.seen & dir_bit("open_file_cache"))) {
		cf->fcache_max = DEF_FCACHE_MAX;
		cf->fcache_valid_ms = DEF_FCACHE_VALID_MS;
	}
	if (cf->nservers == 0)
		return error_at(P, lx->file, lx->last_line, "no server block");
	for (size_t i = 0; i < cf->nservers; i++) {
		struct server_conf *s = &cf->servers[i];

		inherit(&s->srv, &P->top_lc);
		if (!(P->srv_seen[i] & alog))
			s->access_log = P->top_alog;
		s->types = (P->srv_seen[i] & types) ? &s->own_types : &cf->types;
		for (size_t k = 0; k < s->nlocs; k++) {
			struct loc_conf *l = &s->locs[k];

			inherit(l, &s->srv);
			if (!l->ret_code) {
				l->ret_code = s->srv.ret_code;
				l->ret_arg = s->srv.ret_arg;
			}
		}
	}
	return 0;
}

/* ---- entry points ---- */

struct config *config_parse(const char *path, const char *text, size_t len,
			    const struct config_io *io, char *err, size_t errlen)
{
	struct config_full *full = NULL;
	struct parser P;
	struct arena mem = { NULL };
	struct lexer lx;
	const char *slash;

	memset(&P, 0, sizeof(P));
	P.io = io;
	P.err = err;
	P.errlen = errlen;
	P.mem = &mem;
	if (err && errlen)
		err[0] = '\0';
	if (!path)
		path = "";
	lexer_init(&lx, path, text ? text : "", text ? len : 0);

	full = amalloc(&mem, sizeof(*full));
	if (!full) {
		oom(&P, NULL, 0);
		goto out;
	}
	memset(full, 0, sizeof(*full));
	P.cf = &full->cf;
	P.cf->path = astrdup(&mem, path);
	/* Relative paths resolve against the main file's directory. */
	slash = strrchr(path, '/');
	if (io && io->base_dir && io->base_dir[0])
		P.confdir = astrdup(&mem, io->base_dir);
	else if (!slash)
		P.confdir = astrdup(&mem, ".");
	else if (slash == path)
		P.confdir = astrdup(&mem, "/");
	else
		P.confdir = astrndup(&mem, path, (size_t)(slash - path));
	if (!P.cf->path || !P.confdir) {
		oom(&P, NULL, 0);
		goto out;
	}
	path_normalise(P.confdir);

	lc_init(&P.top_lc);
	P.top.ctx = CTX_MAIN;
	P.top.lc = &P.top_lc;
	if (parse_stmts(&P, &lx, &P.top, 0) < 0 || finish(&P, &lx) < 0)
		goto out;
	arena_free(&P.tmp);
	full->mem = mem;
	return &full->cf;
out:
	arena_free(&P.tmp);
	arena_free(&mem);
	return NULL;
}

struct config *config_load(const char *path, const struct config_io *io,
			   char *err, size_t errlen)
{
	char fb[PATH_SHOW];
	struct config *cf;
	char *data = NULL;
	size_t len = 0;

	int rc = -1;

	if (path && io && io->read_file)
		rc = io->read_file(io->ctx, path, &data, &len);
	if (rc != 0) {
		if (err && errlen)
			snprintf(err, errlen, "cannot open \"%s\"%s%s", SHOW_PATH(fb, path ? path : ""),
				 rc > 0 ? ": " : "", rc > 0 ? strerror(rc) : "");
		return NULL;
	}
	cf = config_parse(path, data ? data : "", data ? len : 0, io, err, errlen);
	free(data);
	return cf;
}

void config_free(struct config *cf)
{
	struct config_full *full = (struct config_full *)cf;
	struct arena mem;

	if (!cf)
		return;
	/* The struct itself lives in its arena: copy the arena out first. */
	mem = full->mem;
	arena_free(&mem);
}

/* ---- MIME ---- */

static const struct {
	const char *ext, *type;
} builtin_types[] = {
	{ "html", "text/html" },
	{ "htm", "text/html" },
	{ "css", "text/css" },
	{ "js", "text/javascript" },
	{ "mjs", "text/javascript" },
	{ "json", "application/json" },
	{ "txt", "text/plain" },
	{ "xml", "application/xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "svg", "image/svg+xml" },
	{ "ico", "image/x-icon" },
	{ "webp", "image/webp" },
	{ "pdf", "application/pdf" },
	{ "wasm", "application/wasm" },
	{ "mp4", "video/mp4" },
	{ "mp3", "audio/mpeg" },
	{ "zip", "application/zip" },
	{ "gz", "application/gzip" },
	{ "tar", "application/x-tar" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
};

const char *config_mime(const struct mime_table *t, const char *name)
{
	const char *ext = NULL;

	if (name) {
		for (const char *p = name; *p; p++) {
			if (*p == '/')
				ext = NULL;
			else if (*p == '.')
				ext = p + 1;
		}
	}
	if (!ext || !*ext)
		return "application/octet-stream";
	/* The later entry wins for an extension listed twice (nginx). */
	if (t)
		for (size_t i = t->n; i-- > 0;)
			if (strcasecmp(t->v[i].ext, ext) == 0)
				return t->v[i].type;
	for (size_t i = 0; i < sizeof(builtin_types) / sizeof(builtin_types[0]); i++)
		if (strcasecmp(builtin_types[i].ext, ext) == 0)
			return builtin_types[i].type;
	return "application/octet-stream";
}
