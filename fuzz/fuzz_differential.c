/* Differential harness: webserv's request head and framing against
 * Node's http_parser 2.9 (Debian's libhttp-parser-dev), linked into this
 * harness only.
 *
 * The input is what a client sent on one connection.  Both parsers read
 * it message by message (at most MSG_MAX): webserv with request_parse(),
 * the target check the server applies next (uri_normalize(), or "*"),
 * and chunked_decode() or the Content-Length for the body; http_parser
 * with one http_parser_execute() per message, paused when the message is
 * complete.  Each side's view of a message is: more bytes needed, reject
 * or accept, and on accept the method, target, version, every field
 * (name as sent, value with OWS trimmed), the framing (none, length N,
 * chunked), the body and the offset where the message ends.
 *
 * When both accept, every part of the view must be equal; the end offset
 * never has an allowed difference.  When exactly one side rejects, the
 * difference must be explained by a rule of fuzz/differential.md (the
 * functions named rule_*() below, each citing the RFC clause that makes
 * webserv's answer the right one); an unexplained difference aborts.  A
 * side that needs more bytes gives no verdict, except that one side
 * ending a message while the other, having accepted the same head, still
 * waits for body bytes is a disagreement about where the message ends.
 *
 * FUZZ_DIFF_DUMP=1 in the environment prints both views (one line per
 * message and side) and the rules applied; the h11 pytest reads it. */

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <strings.h>
#include <http_parser.h>
#include "fuzz.h"
#include "request.h"
#include "chunked.h"
#include "uri.h"

#define MSG_MAX 4
#define FIELD_MAX 128
#define URI_OUT 8192

enum verdict { V_MORE = 0, V_REJECT, V_ACCEPT };
enum frame { FR_NONE = 0, FR_LENGTH, FR_CHUNKED };

struct text {
	char *p;
	size_t len, cap;
};

struct view {
	enum verdict verdict;
	int why;              /* webserv status, or http_parser errno */
	int head_done;        /* the head was accepted (body may be missing) */
	struct text method, target;
	int major, minor;
	size_t nfields;
	struct text name[FIELD_MAX], value[FIELD_MAX];
	int too_many;         /* http_parser: more fields than FIELD_MAX */
	enum frame frame;
	uint64_t length;
	struct text body;
	size_t head_end;      /* offset just past the head */
	size_t end;           /* offset just past the message */
	size_t stop;          /* http_parser: where it stopped */
	int keep_alive;
	int upgrade;          /* http_parser: the connection is handed over */
	int complete;
	int in_value;         /* http_parser callback bookkeeping */
	int trailers;
};

static int dump;
static int survey; /* FUZZ_DIFF_SURVEY=1: report findings, do not abort */
static int found;
static struct text current; /* the input, printed with a survey finding */

static void text_add(struct text *t, const char *p, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 64;
		char *q;

		while (cap < t->len + n + 1)
			cap *= 2;
		q = realloc(t->p, cap);
		if (q == NULL)
			abort();
		t->p = q;
		t->cap = cap;
	}
	if (n)
		memcpy(t->p + t->len, p, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void text_set(struct text *t, const char *p, size_t n)
{
	t->len = 0;
	text_add(t, p, n);
}

static int text_eq(const struct text *a, const struct text *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

static void view_reset(struct view *v)
{
	struct view keep = *v;
	size_t i;

	memset(v, 0, sizeof(*v));
	v->method = keep.method;
	v->target = keep.target;
	v->body = keep.body;
	v->method.len = v->target.len = v->body.len = 0;
	for (i = 0; i < FIELD_MAX; i++) {
		v->name[i] = keep.name[i];
		v->value[i] = keep.value[i];
		v->name[i].len = v->value[i].len = 0;
	}
}

static int is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* ---- webserv's side ---- */

/* The target check http.c's head() applies before routing. */
static int ws_target(struct slice t)
{
	static char out[URI_OUT];
	struct slice q;
	size_t olen;

	if (t.len == 1 && t.p[0] == '*')
		return 0;
	return uri_normalize(t, out, sizeof(out), &olen, &q);
}

static void ws_parse(const char *in, size_t len, size_t off, struct view *v)
{
	static struct request_head h;
	int ret, st;
	size_t i, rest;

	view_reset(v);
	ret = request_parse(in + off, len - off, &h);
	if (ret == -2)
		return;
	if (ret == -1) {
		v->verdict = V_REJECT;
		v->why = h.status;
		return;
	}
	text_set(&v->method, h.method.p, h.method.len);
	text_set(&v->target, h.target.p, h.target.len);
	v->major = h.major;
	v->minor = h.minor;
	v->nfields = h.nfields;
	for (i = 0; i < h.nfields; i++) {
		text_set(&v->name[i], h.fields[i].name.p, h.fields[i].name.len);
		text_set(&v->value[i], h.fields[i].value.p, h.fields[i].value.len);
	}
	v->keep_alive = h.keep_alive;
	v->head_end = off + (size_t)ret;
	v->head_done = 1;
	if (h.method_id == METHOD_UNKNOWN) {
		v->verdict = V_REJECT;
		v->why = 501;
		return;
	}
	if ((st = ws_target(h.target)) != 0) {
		v->verdict = V_REJECT;
		v->why = st;
		return;
	}
	rest = len - v->head_end;
	if (h.framing == FRAMING_LENGTH) {
		v->frame = FR_LENGTH;
		v->length = h.content_length;
		if (h.content_length > rest)
			return;
		text_set(&v->body, in + v->head_end, (size_t)h.content_length);
		v->end = v->head_end + (size_t)h.content_length;
	} else if (h.framing == FRAMING_CHUNKED) {
		struct chunked c;
		char *buf = fuzz_dup(in + v->head_end, rest);
		size_t n = rest;
		ssize_t left;

		v->frame = FR_CHUNKED;
		memset(&c, 0, sizeof(c));
		left = chunked_decode(&c, buf, &n);
		if (left == -1) {
			v->verdict = V_REJECT;
			v->why = 400;
		} else if (left >= 0) {
			text_set(&v->body, buf, n);
			v->end = len - (size_t)left;
		}
		free(buf);
		if (left < 0)
			return;
	} else {
		v->end = v->head_end;
	}
	v->verdict = V_ACCEPT;
	v->complete = 1;
}

/* ---- http_parser's side ---- */

static int hp_url(http_parser *p, const char *at, size_t n)
{
	text_add(&((struct view *)p->data)->target, at, n);
	return 0;
}

static int hp_field(http_parser *p, const char *at, size_t n)
{
	struct view *v = p->data;

	if (v->trailers)
		return 0;
	if (v->in_value || v->nfields == 0) {
		if (v->nfields == FIELD_MAX) {
			v->too_many = 1;
			return 0;
		}
		v->nfields++;
		v->in_value = 0;
	}
	text_add(&v->name[v->nfields - 1], at, n);
	return 0;
}

static int hp_value(http_parser *p, const char *at, size_t n)
{
	struct view *v = p->data;

	if (v->trailers || v->too_many)
		return 0;
	v->in_value = 1;
	text_add(&v->value[v->nfields - 1], at, n);
	return 0;
}

static int hp_headers(http_parser *p)
{
	struct view *v = p->data;

	v->head_done = 1;
	v->trailers = 1;
	v->major = p->http_major;
	v->minor = p->http_minor;
	text_set(&v->method, http_method_str((enum http_method)p->method),
		 strlen(http_method_str((enum http_method)p->method)));
	if (p->flags & F_CHUNKED) {
		v->frame = FR_CHUNKED;
	} else if (p->flags & F_CONTENTLENGTH) {
		v->frame = FR_LENGTH;
		v->length = p->content_length;
	}
	return 0;
}

static int hp_body(http_parser *p, const char *at, size_t n)
{
	text_add(&((struct view *)p->data)->body, at, n);
	return 0;
}

static int hp_done(http_parser *p)
{
	struct view *v = p->data;

	v->complete = 1;
	v->keep_alive = http_should_keep_alive(p);
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings hp_settings = {
	.on_url = hp_url,
	.on_header_field = hp_field,
	.on_header_value = hp_value,
	.on_headers_complete = hp_headers,
	.on_body = hp_body,
	.on_message_complete = hp_done,
};

/* The offset just past the head: the end of the first empty line after
 * the request line (http_parser does not say where its head ended). */
static size_t head_end_of(const char *in, size_t len, size_t off)
{
	size_t i = off;
	int seen = 0;

	/* Leading empty lines are not the end of the head. */
	while (i < len && (in[i] == '\r' || in[i] == '\n'))
		i++;
	for (; i < len; i++) {
		if (in[i] != '\n')
			continue;
		seen = 1;
		if (i + 1 < len && in[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && in[i + 1] == '\r' && in[i + 2] == '\n')
			return i + 3;
	}
	(void)seen;
	return len;
}

static void hp_parse(const char *in, size_t len, size_t off, struct view *v)
{
	http_parser p;
	size_t n, i;
	char *copy = fuzz_dup(in + off, len - off);

	view_reset(v);
	http_parser_init(&p, HTTP_REQUEST);
	p.data = v;
	n = http_parser_execute(&p, &hp_settings, copy, len - off);
	free(copy);
	v->stop = off + n;
	v->upgrade = p.upgrade;
	for (i = 0; i < v->nfields; i++) {
		struct text *t = &v->value[i];
		size_t s = 0, e = t->len;

		if (t->p == NULL)
			text_set(t, "", 0);
		while (s < e && is_ows((unsigned char)t->p[s]))
			s++;
		while (e > s && is_ows((unsigned char)t->p[e - 1]))
			e--;
		memmove(t->p, t->p + s, e - s);
		t->len = e - s;
		t->p[t->len] = '\0';
	}
	if (v->head_done)
		v->head_end = head_end_of(in, len, off);
	if (v->complete) {
		v->verdict = V_ACCEPT;
		v->end = off + n;
		return;
	}
	if (HTTP_PARSER_ERRNO(&p) != HPE_OK) {
		v->verdict = V_REJECT;
		v->why = (int)HTTP_PARSER_ERRNO(&p);
	}
}

/* ---- the allow-list (fuzz/differential.md) ---- */

enum rule {
	R_NONE = 0,
	R_501_METHOD,     /* D1 */
	R_505_VERSION,    /* D2 */
	R_LIMITS,         /* D3 */
	R_417_EXPECT,     /* D4 */
	R_OBS_FOLD,       /* D5 */
	R_BARE_CR,        /* D6 */
	R_LINE_SPACES,    /* D7 */
	R_EMPTY_LINES,    /* D8 */
	R_HTTP09,         /* D9 */
	R_HOST,           /* D10 */
	R_LENGTH_RANGE,   /* D11 */
	R_TE_HTTP10,      /* D12 */
	R_TE_LIST,        /* D13 */
	R_501_CODING,     /* D14 */
	R_TARGET,         /* D15 */
	R_CHUNK_LINE,     /* D16 */
	R_CHUNK_SIZE,     /* D17 */
	R_TRAILER,        /* D18 */
	R_HP_URL,         /* D19 */
	R_HP_CONNECT,     /* D20 */
	R_CLOSE_WINS,     /* D21 */
	R_HP_TE,          /* D22 */
	R_TRAILER_CONN,   /* D23 */
	R_NAME_TOKEN,     /* D24 */
	R_VALUE_CTL,      /* D25 */
	R_TARGET_BYTES,   /* D26 */
	R_CHUNK_CRLF,     /* D27 */
	R_HP_HEX,         /* D28 */
	R_HP_CONN,        /* D29 */
	R_HP_OWS,         /* D30 */
	R_TE_EMPTY,       /* D31 */
	R_COUNT
};

static const char *const rule_name[R_COUNT] = {
	"none", "D1 501 method", "D2 505 version", "D3 limits",
	"D4 417 expect", "D5 obs-fold", "D6 bare CR", "D7 request-line spaces",
	"D8 empty lines", "D9 HTTP/0.9", "D10 Host", "D11 length range",
	"D12 TE in HTTP/1.0", "D13 TE list", "D14 501 coding",
	"D15 target", "D16 chunk line", "D17 chunk size", "D18 trailer",
	"D19 http_parser URL", "D20 CONNECT", "D21 close wins",
	"D22 http_parser Transfer-Encoding", "D23 trailer Connection",
	"D24 field-name token", "D25 control in a field value",
	"D26 target bytes", "D27 chunk CRLF", "D28 http_parser hex digit",
	"D29 http_parser Connection list",
	"D30 http_parser HTAB in OWS",
	"D31 empty Transfer-Encoding list elements",
};

static int ieq(const struct text *t, const char *s)
{
	size_t i, n = strlen(s);

	if (t->len != n)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char a = (unsigned char)t->p[i], b = (unsigned char)s[i];

		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a + 32);
		if (a != b)
			return 0;
	}
	return 1;
}

static size_t count_fields(const struct view *v, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < v->nfields; i++)
		n += ieq(&v->name[i], name);
	return n;
}

static const struct text *field(const struct view *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->nfields; i++)
		if (ieq(&v->name[i], name))
			return &v->value[i];
	return NULL;
}

/* IP-literal = "[" ( IPv6address / IPvFuture ) "]" (RFC 3986 3.2.2),
 * p[0..n) inside the brackets; IPv6address by inet_pton (RFC 4291 2.2). */
static int ip_literal_ok(const char *p, size_t n)
{
	char a[64];
	unsigned char bin[16];
	size_t i = 1;

	if (n > 0 && (p[0] == 'v' || p[0] == 'V')) {
		while (i < n && isxdigit((unsigned char)p[i]))
			i++;
		if (i == 1 || i + 1 >= n || p[i] != '.')
			return 0;
		for (i++; i < n; i++) {
			unsigned char c = (unsigned char)p[i];

			if (!(isalnum(c) || (c && strchr("-._~!$&'()*+,;=:", c))))
				return 0;
		}
		return 1;
	}
	if (n == 0 || n >= sizeof(a) || memchr(p, 0, n))
		return 0;
	memcpy(a, p, n);
	a[n] = '\0';
	return inet_pton(AF_INET6, a, bin) == 1;
}

/* uri-host [ ":" port ] (RFC 9110 7.2, RFC 3986 3.2.2), written apart
 * from request.c's: reg-name / IPv4 characters, or an IP-literal. */
static int host_ok(const struct text *t)
{
	size_t i = 0;
	const char *p = t->p;

	if (t->len == 0)
		return 1;
	if (p[0] == '[') {
		const char *rb = memchr(p, ']', t->len);

		if (rb == NULL || !ip_literal_ok(p + 1, (size_t)(rb - p) - 1))
			return 0;
		i = (size_t)(rb - p) + 1;
	} else {
		for (; i < t->len; i++) {
			unsigned char c = (unsigned char)p[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') ||
			      (c && strchr("-._~!$&'()*+,;=%", c))))
				break;
		}
	}
	if (i == t->len)
		return 1;
	if (p[i] != ':')
		return 0;
	for (i++; i < t->len; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/* token = 1*tchar (RFC 9110 5.6.2). */
static int is_token(const struct text *t)
{
	size_t i;

	if (t->len == 0)
		return 0;
	for (i = 0; i < t->len; i++)
		if (!is_tchar((unsigned char)t->p[i]))
			return 0;
	return 1;
}

/* A control character other than HTAB (RFC 9110 5.5). */
static int has_ctl(const struct text *t)
{
	size_t i;

	for (i = 0; i < t->len; i++) {
		unsigned char c = (unsigned char)t->p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 1;
	}
	return 0;
}

/* Some byte of in[from..to) is a CR not followed by LF. */
static int has_bare_cr(const char *in, size_t from, size_t to, size_t len)
{
	size_t i;

	for (i = from; i < to; i++)
		if (in[i] == '\r' && (i + 1 >= len || in[i + 1] != '\n'))
			return 1;
	return 0;
}

/* A line inside in[from..to) begins with SP or HTAB (obs-fold, or white
 * space before the first field). */
static int has_fold(const char *in, size_t from, size_t to)
{
	size_t i;

	for (i = from; i + 1 < to; i++)
		if (in[i] == '\n' && is_ows((unsigned char)in[i + 1]))
			return 1;
	return 0;
}

/* The start of the request line after leading CR/LF bytes, and the
 * number of empty lines before it. */
static size_t line_start(const char *in, size_t len, size_t off, int *empty)
{
	size_t i = off;

	*empty = 0;
	while (i < len && (in[i] == '\r' || in[i] == '\n')) {
		if (in[i] == '\n')
			(*empty)++;
		i++;
	}
	return i;
}

/* The request line is exactly METHOD SP TARGET SP HTTP/D.D as http_parser
 * read it (RFC 9112 3). */
static int line_exact(const char *in, size_t len, size_t off,
		      const struct view *hp)
{
	int empty;
	size_t s = line_start(in, len, off, &empty), n;
	char ver[16];

	n = hp->method.len;
	if (s + n + 1 > len || memcmp(in + s, hp->method.p, n) != 0 ||
	    in[s + n] != ' ')
		return 0;
	s += n + 1;
	n = hp->target.len;
	if (s + n > len || memcmp(in + s, hp->target.p, n) != 0)
		return 0;
	s += n;
	snprintf(ver, sizeof(ver), " HTTP/%d.%d", hp->major % 10, hp->minor % 10);
	n = strlen(ver);
	if (s + n > len || memcmp(in + s, ver, n) != 0)
		return 0;
	s += n;
	return s < len && (in[s] == '\n' ||
			   (in[s] == '\r' && s + 1 < len && in[s + 1] == '\n'));
}

/* Transfer-Encoding as the one list RFC 9112 6.1 makes of every field:
 * each element a token (with parameters), one "chunked", last. */
static int te_list_ok(const struct view *v, int empty_ok)
{
	size_t i, k;
	int nchunked = 0, last = 0;

	for (i = 0; i < v->nfields; i++) {
		const struct text *t = &v->value[i];
		size_t s = 0;

		if (!ieq(&v->name[i], "transfer-encoding"))
			continue;
		while (s <= t->len) {
			size_t e = s, a, b;
			struct text el;

			while (e < t->len && t->p[e] != ',')
				e++;
			a = s;
			b = e;
			while (a < b && is_ows((unsigned char)t->p[a]))
				a++;
			while (b > a && is_ows((unsigned char)t->p[b - 1]))
				b--;
			if (a == b) {
				/* An empty element (RFC 9110 5.6.1.2). */
				if (!empty_ok)
					return 0;
				s = e + 1;
				continue;
			}
			el.p = t->p + a;
			el.len = b - a;
			if (ieq(&el, "chunked")) {
				nchunked++;
				last = 1;
			} else {
				/* token *( OWS ";" ... ) */
				for (k = a; k < b && is_tchar((unsigned char)t->p[k]); k++)
					;
				if (k == a)
					return 0;
				while (k < b && is_ows((unsigned char)t->p[k]))
					k++;
				if (k < b && t->p[k] != ';')
					return 0;
				last = 0;
			}
			s = e + 1;
		}
	}
	return last && nchunked == 1;
}

/* chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ) with
 * ext-val = token / quoted-string (RFC 9112 7.1.1), in in[i..e). */
static int chunk_ext_ok(const char *in, size_t i, size_t e)
{
	while (i < e) {
		while (i < e && is_ows((unsigned char)in[i]))
			i++;
		if (i == e || in[i] != ';')
			return 0;
		for (i++; i < e && is_ows((unsigned char)in[i]); i++)
			;
		if (i == e || !is_tchar((unsigned char)in[i]))
			return 0;
		while (i < e && is_tchar((unsigned char)in[i]))
			i++;
		{
			size_t j = i;

			while (j < e && is_ows((unsigned char)in[j]))
				j++;
			if (j == e || in[j] != '=')
				continue;
			for (i = j + 1; i < e && is_ows((unsigned char)in[i]); i++)
				;
		}
		if (i < e && in[i] == '"') {
			for (i++; i < e && in[i] != '"'; i++) {
				unsigned char c = (unsigned char)in[i];

				if (c == '\\') {
					if (++i == e)
						return 0;
					c = (unsigned char)in[i];
					if ((c < 0x20 && c != '\t') || c == 0x7f)
						return 0;
				} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
					return 0;
				}
			}
			if (i == e)
				return 0;
			i++;
		} else {
			if (i == e || !is_tchar((unsigned char)in[i]))
				return 0;
			while (i < e && is_tchar((unsigned char)in[i]))
				i++;
		}
	}
	return 1;
}

/* The trailer section in[i..) up to its empty line: every line a
 * field-line (token ":" value without controls), CRLF ended, at most
 * CHUNKED_TRAILER_MAX bytes.  Returns R_NONE when it is all valid. */
static enum rule trailer_rule(const char *in, size_t len, size_t i)
{
	size_t start = i;

	for (;;) {
		size_t s = i, k;

		while (i < len && in[i] != '\r' && in[i] != '\n')
			i++;
		if (i - start > CHUNKED_TRAILER_MAX)
			return R_LIMITS;
		if (i + 1 >= len || in[i] != '\r' || in[i + 1] != '\n')
			return R_TRAILER;
		if (i == s)
			return i + 2 - start > CHUNKED_TRAILER_MAX ? R_LIMITS : R_NONE;
		for (k = s; k < i && is_tchar((unsigned char)in[k]); k++)
			;
		if (k == s || k == i || in[k] != ':')
			return R_TRAILER;
		for (k++; k < i; k++) {
			unsigned char c = (unsigned char)in[k];

			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return R_TRAILER;
		}
		i += 2;
	}
}

/* webserv refused a chunked body that http_parser read.  Walks the chunk
 * lines of in[from..) by RFC 9112 7.1 and names the first departure from
 * the grammar: white space or an extension that is not chunk-ext (D16),
 * a size of more than 16 digits or above 2^63 - 1 (D17), a line or
 * chunk-data not ended by CRLF (D27), a trailer problem (D18).  A body
 * that is grammatical gets R_NONE: webserv was wrong to refuse it. */
static enum rule chunk_rule(const char *in, size_t len, size_t from)
{
	size_t i = from;

	while (i < len) {
		size_t s = i, e;
		unsigned digits = 0;
		uint64_t size = 0;
		int big = 0;

		while (i < len && in[i] && strchr("0123456789abcdefABCDEF", in[i])) {
			unsigned d = (unsigned)(in[i] <= '9' ? in[i] - '0' :
					      (in[i] | 32) - 'a' + 10);

			digits++;
			if (size > (UINT64_C(0x7fffffffffffffff) - d) / 16)
				big = 1;
			size = size * 16 + d;
			i++;
		}
		if (digits > 16 || big)
			return R_CHUNK_SIZE;
		if (i < len && (unsigned char)in[i] >= 0x80)
			return R_HP_HEX;
		if (i == s)
			return R_NONE;
		for (e = i; e < len && in[e] != '\r' && in[e] != '\n'; e++)
			;
		if (e == len)
			return R_NONE;
		if (!chunk_ext_ok(in, i, e))
			return R_CHUNK_LINE;
		if (e - s > CHUNKED_LINE_MAX)
			return R_LIMITS;
		if (e + 1 >= len || in[e] != '\r' || in[e + 1] != '\n')
			return R_CHUNK_CRLF;
		i = e + 2;
		if (size == 0)
			return trailer_rule(in, len, i);
		if (size > len - i)
			return R_NONE;
		i += (size_t)size;
		if (i + 1 >= len || in[i] != '\r' || in[i + 1] != '\n')
			return R_CHUNK_CRLF;
		i += 2;
	}
	return R_NONE;
}

/* The target is not one webserv can serve, checked apart from
 * uri_normalize(): neither origin-form nor absolute-form (RFC 9112 3.2),
 * a bad or NUL percent-escape (RFC 3986 2.1), a control character once
 * decoded, or a ".." segment that climbs above the root. */
static int target_bad(const struct text *t)
{
	size_t i = 0, n = t->len, seg = 0;
	long depth = 0;
	char cur[4];

	if (n > 8 && (strncasecmp(t->p, "https://", 8) == 0))
		i = 8;
	else if (n > 7 && strncasecmp(t->p, "http://", 7) == 0)
		i = 7;
	if (i) {
		while (i < n && t->p[i] != '/' && t->p[i] != '?' && t->p[i] != '#')
			i++;
		if (i == n || t->p[i] != '/')
			return 0; /* empty path: "/" */
	} else if (n == 0 || t->p[0] != '/') {
		return 1;
	}
	/* Walk the path's segments, decoded, up to '?'. */
	for (; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)t->p[i] : '/';

		if (c == '?' || c == '#')
			c = '/', n = i;
		if (c == '%') {
			int h = 0, k;

			if (i + 2 >= t->len)
				return 1;
			for (k = 1; k <= 2; k++) {
				unsigned char d = (unsigned char)t->p[i + k];

				if (!isxdigit(d))
					return 1;
				h = h * 16 + (d <= '9' ? d - '0' : (d | 32) - 'a' + 10);
			}
			i += 2;
			c = (unsigned char)h;
			if (c == 0)
				return 1;
		}
		if (c < 0x20 || c == 0x7f)
			return 1;
		if (c == '/') {
			if (seg == 2 && cur[0] == '.' && cur[1] == '.') {
				if (--depth < 0)
					return 1;
			} else if (seg > 0 && !(seg == 1 && cur[0] == '.')) {
				depth++;
			}
			seg = 0;
			continue;
		}
		if (seg < sizeof(cur))
			cur[seg] = (char)c;
		seg++;
	}
	return 0;
}

/* webserv rejected (or refused the body of) a message http_parser
 * accepted.  Returns the rule that explains it, or R_NONE. */
static enum rule explain_ws_reject(const char *in, size_t len, size_t off,
				   const struct view *ws, const struct view *hp)
{
	int empty;
	size_t s, i;
	const struct text *host;

	switch (ws->why) {
	case 501:
		/* An unknown method is refused once the head is read; a
		 * transfer coding other than chunked while it is parsed. */
		if (ws->head_done)
			return R_501_METHOD;
		return field(hp, "transfer-encoding") ? R_501_CODING : R_NONE;
	case 505:
		return hp->major != 1 ? R_505_VERSION : R_NONE;
	case 414:
	case 431:
		return R_LIMITS;
	case 417:
		return field(hp, "expect") ? R_417_EXPECT : R_NONE;
	default:
		break;
	}
	if (ws->head_done && ws->frame == FR_CHUNKED)
		return chunk_rule(in, len, ws->head_end);
	if (ws->head_done && ws->method.len == 7 &&
	    memcmp(ws->method.p, "CONNECT", 7) == 0)
		return R_HP_CONNECT;
	if (ws->head_done)
		return target_bad(&ws->target) ? R_TARGET : R_NONE;
	s = line_start(in, len, off, &empty);
	if (has_bare_cr(in, off, hp->head_end, len))
		return R_BARE_CR;
	if (empty > 8)
		return R_EMPTY_LINES;
	if (hp->major == 0 && hp->minor == 9)
		return R_HTTP09;
	for (i = 0; i < hp->target.len; i++) {
		unsigned char c = (unsigned char)hp->target.p[i];

		if (c <= 0x20 || c >= 0x7f || c == '#')
			return R_TARGET_BYTES;
	}
	if (!line_exact(in, len, off, hp))
		return R_LINE_SPACES;
	if (has_fold(in, s, hp->head_end))
		return R_OBS_FOLD;
	for (i = 0; i < hp->nfields; i++)
		if (!is_token(&hp->name[i]))
			return R_NAME_TOKEN;
	for (i = 0; i < hp->nfields; i++)
		if (has_ctl(&hp->value[i]))
			return R_VALUE_CTL;
	host = field(hp, "host");
	/* Host is required in HTTP/1.1, and an http URI never has an empty
	 * host (RFC 9110 4.2.1, 7.2): a Host field that is empty, or a port
	 * with no host before it, is invalid in any version. */
	if ((hp->major == 1 && hp->minor >= 1 && host == NULL) ||
	    (host && (host->len == 0 || host->p[0] == ':')) ||
	    count_fields(hp, "host") > 1 || (host && !host_ok(host)))
		return R_HOST;
	if (field(hp, "transfer-encoding")) {
		if (hp->minor == 0)
			return R_TE_HTTP10;
		if (!te_list_ok(hp, 0))
			return R_TE_LIST;
	}
	if (hp->frame == FR_LENGTH && hp->length > UINT64_C(0x7fffffffffffffff))
		return R_LENGTH_RANGE;
	return R_NONE;
}

/* 1*DIGIT with at most 18 digits (RFC 9110 8.6). */
static int digits_only(const struct text *t)
{
	size_t i;

	if (t == NULL || t->len == 0 || t->len > 18)
		return 0;
	for (i = 0; i < t->len; i++)
		if (t->p[i] < '0' || t->p[i] > '9')
			return 0;
	return 1;
}

/* A field's name is longer than name but begins with it. */
static int has_prefix_name(const struct view *v, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < v->nfields; i++) {
		struct text t = v->name[i];

		if (t.len <= n)
			continue;
		t.len = n;
		if (ieq(&t, name))
			return 1;
	}
	return 0;
}

/* http_parser rejected what webserv accepted. */
static enum rule explain_hp_reject(const char *in, const struct view *ws,
				   const struct view *hp)
{
	if (hp->why == HPE_INVALID_URL || hp->why == HPE_INVALID_PATH ||
	    hp->why == HPE_INVALID_QUERY_STRING ||
	    hp->why == HPE_INVALID_FRAGMENT || hp->why == HPE_INVALID_HOST)
		return ws->target.len ? R_HP_URL : R_NONE;
	/* Framing fields in the trailer section (D23). */
	if ((hp->why == HPE_INVALID_CONTENT_LENGTH ||
	     hp->why == HPE_UNEXPECTED_CONTENT_LENGTH ||
	     hp->why == HPE_INVALID_TRANSFER_ENCODING) &&
	    ws->frame == FR_CHUNKED && hp->stop > ws->head_end)
		return R_TRAILER_CONN;
	/* Grammatical chunk lines with HTAB as BWS. */
	if (hp->why == HPE_INVALID_CHUNK_SIZE && ws->frame == FR_CHUNKED &&
	    chunk_rule(in, ws->end, ws->head_end) == R_NONE &&
	    memchr(in + ws->head_end, '\t', ws->end - ws->head_end))
		return R_HP_OWS;
	if ((hp->why == HPE_INVALID_TRANSFER_ENCODING ||
	     hp->why == HPE_UNEXPECTED_CONTENT_LENGTH) &&
	    !field(ws, "transfer-encoding") &&
	    has_prefix_name(ws, "transfer-encoding"))
		return R_HP_TE;
	if (hp->why == HPE_INVALID_TRANSFER_ENCODING &&
	    ws->frame == FR_CHUNKED && te_list_ok(ws, 0))
		return R_HP_OWS;
	/* Empty elements around "chunked" (",chunked", "chunked,"). */
	if (hp->why == HPE_INVALID_TRANSFER_ENCODING &&
	    ws->frame == FR_CHUNKED && te_list_ok(ws, 1))
		return R_TE_EMPTY;
	if (hp->why == HPE_INVALID_CONTENT_LENGTH && ws->frame == FR_LENGTH &&
	    count_fields(ws, "content-length") == 1 &&
	    digits_only(field(ws, "content-length")))
		return R_HP_OWS;
	return R_NONE;
}

/* ---- comparison ---- */

static void print_text(const char *label, const struct text *t)
{
	size_t i;

	fprintf(stderr, " %s=\"", label);
	for (i = 0; i < t->len && i < 600; i++) {
		unsigned char c = (unsigned char)t->p[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fprintf(stderr, "%s\"", t->len > 600 ? "..." : "");
}

static void print_view(const char *side, size_t msg, const struct view *v)
{
	static const char *const vname[] = { "more", "reject", "accept" };
	static const char *const fname[] = { "none", "length", "chunked" };
	size_t i;

	fprintf(stderr, "diff: msg %zu %s: %s why=%d", msg, side,
		vname[v->verdict], v->why);
	if (v->head_done) {
		print_text("method", &v->method);
		print_text("target", &v->target);
		fprintf(stderr, " version=%d.%d frame=%s length=%llu head_end=%zu",
			v->major, v->minor, fname[v->frame],
			(unsigned long long)v->length, v->head_end);
		for (i = 0; i < v->nfields; i++) {
			print_text("name", &v->name[i]);
			print_text("value", &v->value[i]);
		}
	}
	if (v->complete) {
		fprintf(stderr, " end=%zu keep_alive=%d upgrade=%d", v->end,
			v->keep_alive, v->upgrade);
		print_text("body", &v->body);
	}
	fputc('\n', stderr);
}

static void print_hex(const struct text *t)
{
	size_t i;

	fputc('\t', stdout);
	for (i = 0; i < t->len; i++)
		printf("%02x", (unsigned char)t->p[i]);
	if (t->len == 0)
		fputc('-', stdout);
}

/* One machine-readable line per side and message on stdout, for
 * pytests/test_differential_h11.py:
 *   view SIDE MSG OFFSET VERDICT WHY METHOD TARGET MAJOR MINOR FRAME
 *        LENGTH END KEEP_ALIVE BODY
 * tab-separated, byte strings in hex ("-" when empty). */
static void dump_view(const char *side, size_t msg, size_t off,
		      const struct view *v)
{
	static const char *const vname[] = { "more", "reject", "accept" };
	static const char *const fname[] = { "none", "length", "chunked" };

	printf("view\t%s\t%zu\t%zu\t%s\t%d", side, msg, off,
	       vname[v->verdict], v->why);
	print_hex(&v->method);
	print_hex(&v->target);
	printf("\t%d\t%d\t%s\t%llu\t%zu\t%d", v->major, v->minor,
	       fname[v->frame], (unsigned long long)v->length,
	       v->complete ? v->end : 0, v->keep_alive);
	print_hex(&v->body);
	fputc('\n', stdout);
	fflush(stdout);
}

static void finding(const char *what, size_t msg, const struct view *ws,
		    const struct view *hp)
{
	fprintf(stderr, "diff: FINDING: %s (message %zu)\n", what, msg);
	print_view("webserv", msg, ws);
	print_view("http_parser", msg, hp);
	if (!survey)
		abort();
	print_text("input", &current);
	fputc('\n', stderr);
	found = 1;
}

/* A Connection field lists the option (RFC 9110 7.6.1, a list whose
 * empty elements are ignored, RFC 9110 5.6.1). */
static int has_option(const struct view *v, const char *option)
{
	size_t i;

	for (i = 0; i < v->nfields; i++) {
		const struct text *t = &v->value[i];
		size_t s = 0;

		if (!ieq(&v->name[i], "connection"))
			continue;
		while (s <= t->len) {
			size_t e = s, a, b;
			struct text el;

			while (e < t->len && t->p[e] != ',')
				e++;
			for (a = s; a < e && is_ows((unsigned char)t->p[a]); a++)
				;
			for (b = e; b > a && is_ows((unsigned char)t->p[b - 1]); b--)
				;
			el.p = t->p + a;
			el.len = b - a;
			if (ieq(&el, option))
				return 1;
			s = e + 1;
		}
	}
	return 0;
}

/* "close" is listed: RFC 9112 9.3, the connection does not persist,
 * whatever else is listed. */
static int has_close(const struct view *v)
{
	return has_option(v, "close");
}

static int has_keep_alive(const struct view *v)
{
	return has_option(v, "keep-alive");
}

/* Both accepted: the views must be equal.  Returns 1 to go on with the
 * next message. */
static int compare_accepted(size_t msg, const struct view *ws,
			    const struct view *hp)
{
	size_t i;
	int hminor = hp->minor > 1 && hp->major == 1 ? 1 : hp->minor;

	if (ws->end != hp->end)
		finding("message end", msg, ws, hp);
	if (!text_eq(&ws->method, &hp->method))
		finding("method", msg, ws, hp);
	if (!text_eq(&ws->target, &hp->target))
		finding("target", msg, ws, hp);
	if (ws->major != hp->major || ws->minor != hminor)
		finding("version", msg, ws, hp);
	if (ws->nfields != hp->nfields)
		finding("field count", msg, ws, hp);
	for (i = 0; i < ws->nfields; i++)
		if (!text_eq(&ws->name[i], &hp->name[i]) ||
		    !text_eq(&ws->value[i], &hp->value[i]))
			finding("field", msg, ws, hp);
	if (ws->frame != hp->frame ||
	    (ws->frame == FR_LENGTH && ws->length != hp->length))
		finding("framing", msg, ws, hp);
	if (!text_eq(&ws->body, &hp->body))
		finding("body", msg, ws, hp);
	if (ws->keep_alive != hp->keep_alive) {
		enum rule r = R_NONE;

		if (ws->keep_alive == 0 && has_close(ws))
			r = R_CLOSE_WINS;
		else if (ws->keep_alive == 1 && ws->frame == FR_CHUNKED &&
			 !has_close(ws))
			r = R_TRAILER_CONN;
		else if (ws->keep_alive == 1 && !has_close(ws) &&
			 (ws->minor == 1 || has_keep_alive(ws)))
			r = R_HP_CONN;
		if (r == R_NONE)
			finding("keep-alive", msg, ws, hp);
		else if (dump) {
			fprintf(stderr, "diff: msg %zu rule %s\n", msg,
				rule_name[r]);
			printf("rule\t%zu\t%s\n", msg, rule_name[r]);
		}
		return 0;
	}
	return ws->keep_alive && !hp->upgrade;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct view ws, hp;
	static int init;
	const char *in = (const char *)data;
	size_t off = 0, msg;

	if (!init) {
		const char *e = getenv("FUZZ_DIFF_DUMP");

		dump = e != NULL && e[0] == '1';
		e = getenv("FUZZ_DIFF_SURVEY");
		survey = e != NULL && e[0] == '1';
		init = 1;
	}
	found = 0;
	if (dump) {
		printf("input\t%zu\n", size);
		fflush(stdout);
	}
	if (survey)
		text_set(&current, in, size);
	for (msg = 0; msg < MSG_MAX && off < size && !found; msg++) {
		enum rule r = R_NONE;

		ws_parse(in, size, off, &ws);
		hp_parse(in, size, off, &hp);
		if (dump) {
			print_view("webserv", msg, &ws);
			print_view("http_parser", msg, &hp);
			dump_view("webserv", msg, off, &ws);
			dump_view("http_parser", msg, off, &hp);
		}
		if (ws.verdict == V_ACCEPT && hp.verdict == V_ACCEPT) {
			if (!compare_accepted(msg, &ws, &hp))
				break;
			off = ws.end;
			continue;
		}
		/* One ended the message, the other (same head accepted) still
		 * waits for body bytes: never allowed. */
		if ((ws.verdict == V_ACCEPT && hp.verdict == V_MORE &&
		     hp.head_done) ||
		    (hp.verdict == V_ACCEPT && ws.verdict == V_MORE &&
		     ws.head_done))
			finding("message end (one side waits for more)", msg,
				&ws, &hp);
		if (ws.verdict == V_REJECT && hp.verdict == V_ACCEPT)
			r = explain_ws_reject(in, size, off, &ws, &hp);
		else if (hp.verdict == V_REJECT && ws.verdict == V_ACCEPT)
			r = explain_hp_reject(in, &ws, &hp);
		else
			break; /* both reject, or one needs more bytes */
		if (r == R_NONE)
			finding(ws.verdict == V_REJECT ?
					"webserv rejects what http_parser accepts" :
					"http_parser rejects what webserv accepts",
				msg, &ws, &hp);
		if (dump) {
			fprintf(stderr, "diff: msg %zu rule %s\n", msg,
				rule_name[r]);
			printf("rule\t%zu\t%s\n", msg, rule_name[r]);
		}
		break;
	}
	return 0;
}
