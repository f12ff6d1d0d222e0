#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "multipart.h"

/* Inputs are fed from heap copies of exact size so that ASan traps any
 * read past the end. */
static char *dup_exact(const char *p, size_t n)
{
	char *d = malloc(n ? n : 1);

	assert_non_null(d);
	if (n)
		memcpy(d, p, n);
	return d;
}

/* ---- multipart_boundary ---- */

struct boundary_case {
	int line;
	const char *ctype;
	int ret;
	const char *boundary; /* expected when ret == 0 */
};

#define B70 "0123456789012345678901234567890123456789012345678901234567890123456789"

static const struct boundary_case boundary_cases[] = {
	{ __LINE__, "multipart/form-data; boundary=abc", 0, "abc" },
	{ __LINE__, "Multipart/Form-Data; BOUNDARY=abc", 0, "abc" },
	{ __LINE__, "MULTIPART/FORM-DATA; Boundary=AbC", 0, "AbC" },
	{ __LINE__, "multipart/form-data;boundary=abc", 0, "abc" },
	{ __LINE__, "multipart/form-data \t;\t boundary=abc", 0, "abc" },
	{ __LINE__, "multipart/form-data; boundary = abc", 0, "abc" },
	{ __LINE__, " multipart/form-data; boundary=abc  ", 0, "abc" },
	{ __LINE__, "multipart/form-data; charset=utf-8; boundary=abc", 0, "abc" },
	{ __LINE__, "multipart/form-data; boundary=abc; charset=utf-8", 0, "abc" },
	{ __LINE__, "multipart/form-data; boundary=abc;", 0, "abc" },
	{ __LINE__, "multipart/form-data;; boundary=abc", 0, "abc" },
	{ __LINE__, "multipart/form-data; boundary=\"abc\"", 0, "abc" },
	{ __LINE__, "multipart/form-data; boundary=\"a b:c\"", 0, "a b:c" },
	{ __LINE__, "multipart/form-data; boundary=\"a\\bc\"", 0, "abc" },
	{ __LINE__, "multipart/form-data; boundary=\"'()+_,-./:=? x\"", 0,
	  "'()+_,-./:=? x" },
	{ __LINE__, "multipart/form-data; boundary=a/b=c", 0, "a/b=c" },
	{ __LINE__, "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
	  0, "----WebKitFormBoundary7MA4YWxkTrZu0gW" },
	{ __LINE__, "multipart/form-data; x=\"a;boundary=evil\"; boundary=good",
	  0, "good" },
	{ __LINE__, "multipart/form-data; boundary=" B70, 0, B70 },
	{ __LINE__, "multipart/form-data; boundary=\"" B70 "\"", 0, B70 },
	{ __LINE__, "multipart/form-data; boundary=" B70 "x", -1, NULL },
	{ __LINE__, "multipart/form-data; boundary=\"" B70 "x\"", -1, NULL },
	{ __LINE__, "", -1, NULL },
	{ __LINE__, "multipart/form-data", -1, NULL },
	{ __LINE__, "multipart/form-data;", -1, NULL },
	{ __LINE__, "multipart/form-data; charset=utf-8", -1, NULL },
	{ __LINE__, "multipart/mixed; boundary=abc", -1, NULL },
	{ __LINE__, "text/plain; boundary=abc", -1, NULL },
	{ __LINE__, "multipart/form-datax; boundary=abc", -1, NULL },
	{ __LINE__, "multipart/; boundary=abc", -1, NULL },
	{ __LINE__, "multipart; boundary=abc", -1, NULL },
	{ __LINE__, "multipart /form-data; boundary=abc", -1, NULL },
	{ __LINE__, "multipart/form-data boundary=abc", -1, NULL },
	{ __LINE__, "multipart/form-data; boundary=", -1, NULL },
	{ __LINE__, "multipart/form-data; boundary=\"\"", -1, NULL },
	{ __LINE__, "multipart/form-data; boundary=\"abc \"", -1, NULL },
	{ __LINE__, "multipart/form-data; boundary=\"abc", -1, NULL },
	{ __LINE__, "multipart/form-data; boundary=\"abc\\", -1, NULL },
	{ __LINE__, "multipart/form-data; boundary=a@b", -1, NULL },
	{ __LINE__, "multipart/form-data; boundary=\"a;b\"", -1, NULL },
	{ __LINE__, "multipart/form-data; boundary=\"a\\\"b\"", -1, NULL },
	{ __LINE__, "multipart/form-data; boundary=abc def", -1, NULL },
	{ __LINE__, "multipart/form-data; boundary=\"abc\"x", -1, NULL },
	{ __LINE__, "multipart/form-data; boundary=a; boundary=a", -1, NULL },
	{ __LINE__, "multipart/form-data; boundary", -1, NULL },
	{ __LINE__, "multipart/form-data; =abc", -1, NULL },
	{ __LINE__, "multipart/form-data; x=\"unterminated; boundary=abc", -1, NULL },
	{ __LINE__, "multipart/form-data; boundary=\"a\tb\"", -1, NULL },
};

static void test_boundary(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(boundary_cases) / sizeof(boundary_cases[0]); i++) {
		const struct boundary_case *c = &boundary_cases[i];
		size_t n = strlen(c->ctype);
		char *in = dup_exact(c->ctype, n);
		char *out = malloc(MULTIPART_BOUNDARY_MAX + 1);
		int r;

		assert_non_null(out);
		r = multipart_boundary((struct slice){ n ? in : NULL, n }, out);
		if (r != c->ret)
			fail_msg("line %d: ret %d, want %d", c->line, r, c->ret);
		if (c->ret == 0 && strcmp(out, c->boundary) != 0)
			fail_msg("line %d: boundary '%s', want '%s'", c->line,
				 out, c->boundary);
		free(in);
		free(out);
	}
}

/* A control character inside a quoted boundary is refused. */
static void test_boundary_ctl(void **state)
{
	static const char ct[] = "multipart/form-data; boundary=\"a\0b\"";
	char *in = dup_exact(ct, sizeof(ct) - 1);
	char out[MULTIPART_BOUNDARY_MAX + 1];

	(void)state;
	assert_int_equal(multipart_boundary((struct slice){ in, sizeof(ct) - 1 }, out), -1);
	free(in);
}

/* ---- the body parser ---- */

/* Records the events as one string:
 *   "<N:name[ F:filename][ T:type]>" for part_begin (F only when
 *   has_filename), the data bytes as they are, "</>" for part_end. */
struct rec {
	char log[1 << 16];
	size_t len;
	int nevents;
	int abort_at; /* event number (1-based) that returns -1, 0 = never */
};

static void rec_add(struct rec *r, const char *p, size_t n)
{
	assert_true(r->len + n <= sizeof(r->log));
	memcpy(r->log + r->len, p, n);
	r->len += n;
}

static void rec_str(struct rec *r, const char *s)
{
	rec_add(r, s, strlen(s));
}

static int rec_event(struct rec *r)
{
	r->nevents++;
	return r->abort_at == r->nevents ? -1 : 0;
}

static int on_begin(void *ctx, const struct multipart_part *part)
{
	struct rec *r = ctx;

	rec_str(r, "<N:");
	rec_str(r, part->name);
	if (part->has_filename) {
		rec_str(r, " F:");
		rec_str(r, part->filename);
	} else {
		assert_string_equal(part->filename, "");
	}
	if (part->content_type[0]) {
		rec_str(r, " T:");
		rec_str(r, part->content_type);
	}
	rec_str(r, ">");
	return rec_event(r);
}

static int on_data(void *ctx, const char *data, size_t len)
{
	struct rec *r = ctx;

	assert_true(len > 0);
	rec_add(r, data, len);
	return rec_event(r);
}

static int on_end(void *ctx)
{
	struct rec *r = ctx;

	rec_str(r, "</>");
	return rec_event(r);
}

struct mp_case {
	int line;
	const char *boundary;
	const char *body;
	size_t len;
	int ret;          /* last multipart_feed: 1 complete, 0 incomplete, -1 error */
	const char *log;  /* expected events */
	size_t loglen;
	const char *err;  /* expected mp.err when ret != 1 */
};

#define BODY(s) (s), sizeof(s) - 1
#define LOG(s) (s), sizeof(s) - 1

#define CD "Content-Disposition: form-data; "
#define MISSING "missing close delimiter"
#define BADAFTER "bad bytes after a boundary delimiter"

static const struct mp_case mp_cases[] = {
	/* Shapes. */
	{ __LINE__, "B", BODY("--B\r\n" CD "name=\"a\"\r\n\r\nhello\r\n--B--\r\n"),
	  1, LOG("<N:a>hello</>"), NULL },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=\"a\"\r\n\r\nhello\r\n--B--"),
	  1, LOG("<N:a>hello</>"), NULL },
	{ __LINE__, "BOUNDARY",
	  BODY("--BOUNDARY\r\n" CD "name=\"text\"\r\n\r\nvalue one\r\n"
	       "--BOUNDARY\r\n" CD "name=\"file\"; filename=\"a.txt\"\r\n"
	       "Content-Type: text/plain\r\n\r\nfile\r\nbody\r\n"
	       "--BOUNDARY\r\n" CD "name=\"empty\"; filename=\"\"\r\n"
	       "Content-Type: application/octet-stream\r\n\r\n\r\n"
	       "--BOUNDARY--\r\n"),
	  1, LOG("<N:text>value one</>"
		 "<N:file F:a.txt T:text/plain>file\r\nbody</>"
		 "<N:empty F: T:application/octet-stream></>"), NULL },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=f; filename=e.bin\r\n\r\n\r\n--B--"),
	  1, LOG("<N:f F:e.bin></>"), NULL },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\r\n\r\nx\r\n--B\r\n" CD "name=b\r\n\r\ny\r\n--B--"),
	  1, LOG("<N:a>x</><N:b>y</>"), NULL },
	/* No parts at all. */
	{ __LINE__, "B", BODY("--B--"), 1, LOG(""), NULL },
	{ __LINE__, "B", BODY("--B--\r\n"), 1, LOG(""), NULL },
	{ __LINE__, "B", BODY("preamble\r\n--B--\r\n"), 1, LOG(""), NULL },
	/* Preamble and epilogue. */
	{ __LINE__, "B",
	  BODY("This is the preamble.\r\nIt has --B in it, and\r\n-B and \r\n--C.\r\n"
	       "--B\r\n" CD "name=a\r\n\r\ndata\r\n--B--\r\n"
	       "epilogue\r\n--B\r\nnot a part\r\n--Bxx"),
	  1, LOG("<N:a>data</>"), NULL },
	{ __LINE__, "B", BODY("\r\n--B\r\n" CD "name=a\r\n\r\nd\r\n--B--"),
	  1, LOG("<N:a>d</>"), NULL },
	{ __LINE__, "B", BODY("\r\n\r\n--B\r\n" CD "name=a\r\n\r\nd\r\n--B--"),
	  1, LOG("<N:a>d</>"), NULL },
	{ __LINE__, "B", BODY("x--B\r\n--B\r\n" CD "name=a\r\n\r\nd\r\n--B--"),
	  1, LOG("<N:a>d</>"), NULL },
	{ __LINE__, "B", BODY("\r\r\n--B\r\n" CD "name=a\r\n\r\nd\r\n--B--"),
	  1, LOG("<N:a>d</>"), NULL },
	{ __LINE__, "B", BODY("-\r\n--B\r\n" CD "name=a\r\n\r\nd\r\n--B--"),
	  1, LOG("<N:a>d</>"), NULL },
	/* Transport padding after delimiters. */
	{ __LINE__, "B",
	  BODY("--B \t \r\n" CD "name=a\r\n\r\nd\r\n--B\t\r\n" CD "name=b\r\n\r\ne\r\n--B--  junk"),
	  1, LOG("<N:a>d</><N:b>e</>"), NULL },
	/* Delimiter look-alikes and CR/LF runs are data. */
	{ __LINE__, "BOUNDARY",
	  BODY("--BOUNDARY\r\n" CD "name=a\r\n\r\n"
	       "\r\n--BOUNDAR\r\n--BOUNDARx\r\n-\r\n--\r\r\n--BOUND\n--BOUNDARY"
	       "x--BOUNDARY--\r\n\r\n\r\n--BO\r\r\r\n\n\n\r"
	       "\r\n--BOUNDARY--"),
	  1, LOG("<N:a>"
		 "\r\n--BOUNDAR\r\n--BOUNDARx\r\n-\r\n--\r\r\n--BOUND\n--BOUNDARY"
		 "x--BOUNDARY--\r\n\r\n\r\n--BO\r\r\r\n\n\n\r"
		 "</>"), NULL },
	{ __LINE__, "BOUNDARY",
	  BODY("--BOUNDARY\r\n" CD "name=a\r\n\r\n\r\n\r\n--BO\r\n--BOUNDARY--"),
	  1, LOG("<N:a>\r\n\r\n--BO</>"), NULL },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\r\n\r\nline\r\n\r\n--B--"),
	  1, LOG("<N:a>line\r\n</>"), NULL },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\r\n\r\n\r\r\n--B--"),
	  1, LOG("<N:a>\r</>"), NULL },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\r\n\r\n--B\r\n--B--"),
	  1, LOG("<N:a>--B</>"), NULL },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\r\n\r\n\r\n-\r\n--B--"),
	  1, LOG("<N:a>\r\n-</>"), NULL },
	{ __LINE__, "-", BODY("---\r\n" CD "name=a\r\n\r\n-\r\n-\r\n--\r\n---\r\n" CD "name=b\r\n\r\n\r\n-----"),
	  1, LOG("<N:a>-\r\n-\r\n--</><N:b></>"), NULL },
	{ __LINE__, "--", BODY("----\r\n" CD "name=a\r\n\r\n\r\n---\r\n------"),
	  1, LOG("<N:a>\r\n---</>"), NULL },
	{ __LINE__, "a b", BODY("--a b\r\n" CD "name=a\r\n\r\n\r\n--a c\r\n--a b--"),
	  1, LOG("<N:a>\r\n--a c</>"), NULL },
	{ __LINE__, "'()+_,-./:=? x",
	  BODY("--'()+_,-./:=? x\r\n" CD "name=a\r\n\r\nq\r\n--'()+_,-./:=? x--"),
	  1, LOG("<N:a>q</>"), NULL },
	/* NUL and high bytes in data. */
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\r\n\r\n\0\xff\r\0\n\r\n\0--B\r\n--B--"),
	  1, LOG("<N:a>\0\xff\r\0\n\r\n\0--B</>"), NULL },
	/* Names and file names. */
	{ __LINE__, "B",
	  BODY("--B\r\ncontent-disposition: FORM-DATA; NAME=\"x\"; FileName=\"y.txt\"\r\n"
	       "CONTENT-TYPE:  image/png  \r\n\r\nd\r\n--B--"),
	  1, LOG("<N:x F:y.txt T:image/png>d</>"), NULL },
	{ __LINE__, "B",
	  BODY("--B\r\nContent-Disposition:form-data;name=x;filename=y\r\n\r\nd\r\n--B--"),
	  1, LOG("<N:x F:y>d</>"), NULL },
	{ __LINE__, "B",
	  BODY("--B\r\nContent-Disposition: form-data ; name = \"x\" ; filename = y ;\r\n\r\nd\r\n--B--"),
	  1, LOG("<N:x F:y>d</>"), NULL },
	{ __LINE__, "B",
	  BODY("--B\r\n" CD "name=\"a\\\"b\"; filename=\"q\\\"uo\\\\te.txt\"\r\n\r\nd\r\n--B--"),
	  1, LOG("<N:a\"b F:q\"uo\\te.txt>d</>"), NULL },
	{ __LINE__, "B",
	  BODY("--B\r\n" CD "name=f; filename=\"C:\\dir\\x.txt\"\r\n\r\nd\r\n--B--"),
	  1, LOG("<N:f F:C:\\dir\\x.txt>d</>"), NULL },
	{ __LINE__, "B",
	  BODY("--B\r\n" CD "name=\"a b;c=d\"; filename=\"caf\xc3\xa9 %22.txt\"\r\n\r\nd\r\n--B--"),
	  1, LOG("<N:a b;c=d F:caf\xc3\xa9 %22.txt>d</>"), NULL },
	{ __LINE__, "B",
	  BODY("--B\r\n" CD "name=f; filename=\"a.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt\r\n\r\nd\r\n--B--"),
	  1, LOG("<N:f F:\xe2\x82\xac rates.txt>d</>"), NULL },
	{ __LINE__, "B",
	  BODY("--B\r\n" CD "filename*=utf-8'en'x%2fy.txt; name=f; filename=\"a.txt\"\r\n\r\nd\r\n--B--"),
	  1, LOG("<N:f F:x/y.txt>d</>"), NULL },
	{ __LINE__, "B",
	  BODY("--B\r\n" CD "name=f; filename*=iso-8859-1''%E9t%e9.txt\r\n\r\nd\r\n--B--"),
	  1, LOG("<N:f F:\xc3\xa9t\xc3\xa9.txt>d</>"), NULL },
	{ __LINE__, "B",
	  BODY("--B\r\n" CD "name=f; filename*=\"UTF-8''a%20b\"\r\n\r\nd\r\n--B--"),
	  1, LOG("<N:f F:a b>d</>"), NULL },
	{ __LINE__, "B", BODY("--B\r\n" CD "filename=only\r\n\r\nd\r\n--B--"),
	  1, LOG("<N: F:only>d</>"), NULL },
	{ __LINE__, "B", BODY("--B\r\nContent-Disposition: form-data\r\n\r\nd\r\n--B--"),
	  1, LOG("<N:>d</>"), NULL },
	{ __LINE__, "B",
	  BODY("--B\r\n" CD "name=a; size=123; creation-date=\"Wed, 12 Feb 1997 16:29:51 -0500\"\r\n"
	       "Content-Transfer-Encoding: 8bit\r\nX-Other:\r\n\r\nd\r\n--B--"),
	  1, LOG("<N:a>d</>"), NULL },
	/* Incomplete bodies. */
	{ __LINE__, "B", BODY(""), 0, LOG(""), MISSING },
	{ __LINE__, "B", BODY("just a preamble"), 0, LOG(""), MISSING },
	{ __LINE__, "B", BODY("--B"), 0, LOG(""), MISSING },
	{ __LINE__, "B", BODY("--B-"), 0, LOG(""), MISSING },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a"), 0, LOG(""), MISSING },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\r\n\r\nhello"),
	  0, LOG("<N:a>hello"), MISSING },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\r\n\r\nhello\r\n--"),
	  0, LOG("<N:a>hello"), MISSING },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\r\n\r\nhello\r\n--B"),
	  0, LOG("<N:a>hello"), MISSING },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\r\n\r\nhello\r\n--B\r\n"),
	  0, LOG("<N:a>hello</>"), MISSING },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\r\n\r\nhello\r\n--B -"),
	  -1, LOG("<N:a>hello"), BADAFTER },
	/* Bad bytes after a delimiter. */
	{ __LINE__, "B", BODY("--Bx"), -1, LOG(""), BADAFTER },
	{ __LINE__, "B", BODY("--B-x"), -1, LOG(""), BADAFTER },
	{ __LINE__, "B", BODY("--B \tx\r\n"), -1, LOG(""), BADAFTER },
	{ __LINE__, "B", BODY("--B\rx"), -1, LOG(""), BADAFTER },
	{ __LINE__, "B", BODY("--B\n"), -1, LOG(""), BADAFTER },
	{ __LINE__, "B", BODY("--B\r\r\n"), -1, LOG(""), BADAFTER },
	{ __LINE__, "BOUNDARY",
	  BODY("--BOUNDARY\r\n" CD "name=a\r\n\r\nab\r\n--BOUNDARYX\r\n--BOUNDARY--"),
	  -1, LOG("<N:a>ab"), BADAFTER },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\r\n\r\nab\r\n--B -- \r\n"),
	  -1, LOG("<N:a>ab"), BADAFTER },
	/* Part header errors. */
	{ __LINE__, "B", BODY("--B\r\nContent-Disposition form-data\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "part header line without colon" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\r\ngarbage\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "part header line without colon" },
	{ __LINE__, "B", BODY("--B\r\nContent-Disposition : form-data; name=a\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad part header name" },
	{ __LINE__, "B", BODY("--B\r\n: form-data; name=a\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad part header name" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\r\n folded\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "part header line without colon" },
	{ __LINE__, "B", BODY("--B\r\nContent-Type: text/plain\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "part without Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "part without Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad line ending in part header" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\r\n\n"),
	  -1, LOG(""), "bad line ending in part header" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\rx: y\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad line ending in part header" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=\"a\0b\"\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "control character in part header" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\x7f\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "control character in part header" },
	{ __LINE__, "B", BODY("--B\r\nContent-Disposition: attachment; name=a\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\nContent-Disposition: form-data-x; name=a\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\nContent-Disposition: \r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\r\n" CD "name=b\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a; name=b\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a; filename=x; FILENAME=y\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=\"a\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a b\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a, filename=b\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=\"a\"x\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a; filename*=UTF-8''%G1\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a; filename*=UTF-8''ab%2\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a; filename*=UTF-8''a%00b\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a; filename*=KOI8-R''abc\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a; filename*=abc\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a; filename*=UTF-8'abc\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad Content-Disposition" },
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\r\nContent-Type: a\r\ncontent-type: b\r\n\r\nd\r\n--B--"),
	  -1, LOG(""), "bad part Content-Type" },
	/* An error in the second part comes after the first is complete. */
	{ __LINE__, "B", BODY("--B\r\n" CD "name=a\r\n\r\nd\r\n--B\r\nX: y\r\n\r\ne\r\n--B--"),
	  -1, LOG("<N:a>d</>"), "part without Content-Disposition" },
};

struct run_result {
	struct rec *rec;
	int ret;
	int fin;
	const char *err;
};

static const struct multipart_cb rec_cb_proto = { on_begin, on_data, on_end, NULL };

/* Feeds body[0..len) in pieces of the given sizes (the last piece takes
 * the rest), each from an exact-size heap copy. */
static struct run_result run_pieces(const char *boundary, const char *body,
				    size_t len, const size_t *cuts, size_t ncuts,
				    int abort_at)
{
	struct run_result res = { 0 };
	struct multipart *mp = malloc(sizeof(*mp));
	struct multipart_cb cb = rec_cb_proto;
	size_t off = 0;

	assert_non_null(mp);
	res.rec = calloc(1, sizeof(*res.rec));
	assert_non_null(res.rec);
	res.rec->abort_at = abort_at;
	cb.ctx = res.rec;
	multipart_init(mp, boundary);
	res.ret = 0;
	for (size_t k = 0; k <= ncuts; k++) {
		size_t n = k < ncuts ? cuts[k] : len - off;
		char *piece = dup_exact(body + off, n);

		res.ret = multipart_feed(mp, piece, n, &cb);
		free(piece);
		off += n;
	}
	/* An empty feed changes nothing. */
	assert_int_equal(multipart_feed(mp, body, 0, &cb), res.ret);
	res.fin = multipart_finish(mp);
	res.err = mp->err;
	free(mp);
	return res;
}

static void check_same(const struct run_result *a, const struct run_result *b,
		       int line, const char *how, size_t at)
{
	if (a->ret != b->ret || a->fin != b->fin || a->rec->len != b->rec->len ||
	    memcmp(a->rec->log, b->rec->log, a->rec->len) != 0 ||
	    (a->err == NULL) != (b->err == NULL) ||
	    (a->err != NULL && strcmp(a->err, b->err) != 0))
		fail_msg("line %d: %s at %zu differs from a whole feed "
			 "(ret %d/%d, log '%.*s' vs '%.*s')", line, how, at,
			 b->ret, a->ret, (int)b->rec->len, b->rec->log,
			 (int)a->rec->len, a->rec->log);
}

/* The split-feed property: whole, every two-piece split, byte by byte. */
static void check_splits(const char *boundary, const char *body, size_t len,
			 const struct run_result *whole, int line)
{
	size_t *ones = malloc((len ? len : 1) * sizeof(*ones));

	assert_non_null(ones);
	for (size_t k = 0; k <= len; k++) {
		struct run_result r = run_pieces(boundary, body, len, &k, 1, 0);

		check_same(whole, &r, line, "split", k);
		free(r.rec);
	}
	for (size_t k = 0; k < len; k++)
		ones[k] = 1;
	if (len > 0) {
		struct run_result r = run_pieces(boundary, body, len, ones, len - 1, 0);

		check_same(whole, &r, line, "byte by byte", 0);
		free(r.rec);
	}
	free(ones);
}

static void check_case(const struct mp_case *c)
{
	struct run_result w = run_pieces(c->boundary, c->body, c->len, NULL, 0, 0);

	if (w.ret != c->ret)
		fail_msg("line %d: ret %d, want %d (err %s)", c->line, w.ret,
			 c->ret, w.err ? w.err : "none");
	if (w.rec->len != c->loglen || memcmp(w.rec->log, c->log, c->loglen) != 0)
		fail_msg("line %d: log '%.*s', want '%.*s'", c->line,
			 (int)w.rec->len, w.rec->log, (int)c->loglen, c->log);
	if (c->ret == 1) {
		assert_int_equal(w.fin, 0);
		assert_null(w.err);
	} else {
		assert_int_equal(w.fin, -1);
		if (w.err == NULL || strcmp(w.err, c->err) != 0)
			fail_msg("line %d: err '%s', want '%s'", c->line,
				 w.err ? w.err : "(null)", c->err);
	}
	check_splits(c->boundary, c->body, c->len, &w, c->line);
	free(w.rec);
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(mp_cases) / sizeof(mp_cases[0]); i++)
		check_case(&mp_cases[i]);
}

/* Builds "--B\r\n" + head + "\r\n\r\n" + data + "\r\n--B--" in buf. */
static size_t build(char *buf, size_t cap, const char *head, size_t hlen,
		    const char *data, size_t dlen)
{
	size_t n = 0;

	assert_true(hlen + dlen + 32 <= cap);
	memcpy(buf + n, "--B\r\n", 5);
	n += 5;
	memcpy(buf + n, head, hlen);
	n += hlen;
	memcpy(buf + n, "\r\n\r\n", 4);
	n += 4;
	memcpy(buf + n, data, dlen);
	n += dlen;
	memcpy(buf + n, "\r\n--B--", 7);
	return n + 7;
}

/* Every byte value, in several arrangements, passes through unchanged. */
static void test_all_bytes(void **state)
{
	static const char head[] = CD "name=\"bin\"; filename=\"all.bin\"";
	char data[512];
	char *body = malloc(2048);
	char expect[1024];
	size_t n, elen;

	(void)state;
	assert_non_null(body);
	for (int round = 0; round < 3; round++) {
		size_t dlen;

		for (int i = 0; i < 256; i++)
			data[i] = (char)(round == 1 ? 255 - i : i);
		dlen = 256;
		if (round == 2) {
			/* With a delimiter-like tail glued on. */
			memcpy(data + dlen, "\r\n--\r\n--B", 9);
			dlen += 8; /* stops short of the full boundary */
		}
		n = build(body, 2048, head, sizeof(head) - 1, data, dlen);
		elen = (size_t)snprintf(expect, sizeof(expect), "<N:bin F:all.bin>");
		memcpy(expect + elen, data, dlen);
		elen += dlen;
		memcpy(expect + elen, "</>", 3);
		elen += 3;
		{
			struct mp_case c = { __LINE__, "B", body, n, 1, expect, elen, NULL };

			check_case(&c);
		}
	}
	free(body);
}

/* Limits of the part header section and of the part fields. */
static void test_limits(void **state)
{
	char *head = malloc(MULTIPART_PART_HEAD_MAX + 64);
	char *body = malloc(MULTIPART_PART_HEAD_MAX + 256);
	char *expect = malloc(2048);
	static const char cd[] = CD "name=a\r\nX-Pad: ";

	(void)state;
	assert_non_null(head);
	assert_non_null(body);
	assert_non_null(expect);
	/* Header section of exactly the maximum (with its empty line), then
	 * one byte more. */
	for (int extra = 0; extra <= 1; extra++) {
		size_t hlen = MULTIPART_PART_HEAD_MAX - 4 + (size_t)extra;
		size_t n;

		memcpy(head, cd, sizeof(cd) - 1);
		memset(head + sizeof(cd) - 1, 'p', hlen - (sizeof(cd) - 1));
		n = build(body, MULTIPART_PART_HEAD_MAX + 256, head, hlen, "d", 1);
		{
			struct mp_case c = { __LINE__, "B", body, n,
					     extra ? -1 : 1,
					     extra ? "" : "<N:a>d</>",
					     extra ? 0 : 9,
					     extra ? "part header section too long" : NULL };

			check_case(&c);
		}
	}
	/* name 255 / 256, filename 1023 / 1024, Content-Type 255 / 256. */
	static const struct {
		int line;
		const char *pre, *post;
		size_t len;
		const char *tag;
		const char *err;
	} fields[] = {
		{ __LINE__, CD "name=\"", "\"", 255, "<N:", NULL },
		{ __LINE__, CD "name=\"", "\"", 256, NULL, "bad Content-Disposition" },
		{ __LINE__, CD "name=", "", 256, NULL, "bad Content-Disposition" },
		{ __LINE__, CD "name=a; filename=\"", "\"", 1023, "<N:a F:", NULL },
		{ __LINE__, CD "name=a; filename=\"", "\"", 1024, NULL, "bad Content-Disposition" },
		{ __LINE__, CD "name=a; filename*=UTF-8''", "", 1023, "<N:a F:", NULL },
		{ __LINE__, CD "name=a; filename*=UTF-8''", "", 1024, NULL, "bad Content-Disposition" },
		{ __LINE__, CD "name=a\r\nContent-Type: ", "", 255, "<N:a T:", NULL },
		{ __LINE__, CD "name=a\r\nContent-Type: ", "", 256, NULL, "bad part Content-Type" },
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		size_t hlen = 0, n, elen = 0;

		memcpy(head, fields[i].pre, strlen(fields[i].pre));
		hlen += strlen(fields[i].pre);
		memset(head + hlen, 'v', fields[i].len);
		hlen += fields[i].len;
		memcpy(head + hlen, fields[i].post, strlen(fields[i].post));
		hlen += strlen(fields[i].post);
		n = build(body, MULTIPART_PART_HEAD_MAX + 256, head, hlen, "d", 1);
		if (fields[i].tag != NULL) {
			elen = strlen(fields[i].tag);
			memcpy(expect, fields[i].tag, elen);
			memset(expect + elen, 'v', fields[i].len);
			elen += fields[i].len;
			memcpy(expect + elen, ">d</>", 5);
			elen += 5;
		}
		{
			struct mp_case c = { fields[i].line, "B", body, n,
					     fields[i].tag ? 1 : -1, expect, elen,
					     fields[i].err };

			check_case(&c);
		}
	}
	free(head);
	free(body);
	free(expect);
}

/* A long part goes through without being buffered: data arrives in
 * pieces while the input is fed. */
static void test_streaming(void **state)
{
	size_t dlen = 60000;
	char *body = malloc(dlen + 128);
	char *data = malloc(dlen);
	struct multipart *mp = malloc(sizeof(*mp));
	struct rec *r = calloc(1, sizeof(*r));
	struct multipart_cb cb = rec_cb_proto;
	static const char head[] = "--bnd\r\n" CD "name=big\r\n\r\n";
	size_t n = 0, fed = 0;

	(void)state;
	assert_non_null(body);
	assert_non_null(data);
	assert_non_null(mp);
	assert_non_null(r);
	for (size_t i = 0; i < dlen; i++)
		data[i] = (char)("\r\n-bnd"[i % 6]);
	memcpy(body, head, sizeof(head) - 1);
	n = sizeof(head) - 1;
	memcpy(body + n, data, dlen);
	n += dlen;
	memcpy(body + n, "\r\n--bnd--", 9);
	n += 9;
	cb.ctx = r;
	multipart_init(mp, "bnd");
	while (fed < n) {
		size_t k = n - fed < 4096 ? n - fed : 4096;
		int ret = multipart_feed(mp, body + fed, k, &cb);

		fed += k;
		assert_int_equal(ret, fed == n ? 1 : 0);
		/* All but a held-back delimiter prefix ("\r\n--bnd" is 7
		 * bytes) has been passed on after each feed. */
		if (fed < n) {
			size_t seen = r->len - strlen("<N:big>");

			assert_true(seen + 7 >= fed - (sizeof(head) - 1));
		}
	}
	assert_int_equal(multipart_finish(mp), 0);
	assert_int_equal(r->len, strlen("<N:big>") + dlen + 3);
	assert_memory_equal(r->log + 7, data, dlen);
	free(body);
	free(data);
	free(mp);
	free(r);
}

/* A callback's -1 stops the parse with err "aborted", and it stays
 * stopped. */
static void test_abort(void **state)
{
	static const char body[] = "--B\r\n" CD "name=a\r\n\r\nhello\r\n--B\r\n"
				   CD "name=b\r\n\r\nworld\r\n--B--";
	static const struct {
		int line;
		int abort_at;
		const char *log;
	} cases[] = {
		{ __LINE__, 1, "<N:a>" },
		{ __LINE__, 2, "<N:a>hello" },
		{ __LINE__, 3, "<N:a>hello</>" },
		{ __LINE__, 4, "<N:a>hello</><N:b>" },
		{ __LINE__, 5, "<N:a>hello</><N:b>world" },
		{ __LINE__, 6, "<N:a>hello</><N:b>world</>" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run_result r = run_pieces("B", body, sizeof(body) - 1,
						 NULL, 0, cases[i].abort_at);

		if (r.ret != -1 || r.fin != -1 || strcmp(r.err, "aborted") != 0 ||
		    r.rec->len != strlen(cases[i].log) ||
		    memcmp(r.rec->log, cases[i].log, r.rec->len) != 0)
			fail_msg("line %d: ret %d log '%.*s'", cases[i].line,
				 r.ret, (int)r.rec->len, r.rec->log);
		free(r.rec);
	}
}

/* Without callbacks the parser still checks the body. */
static void test_no_callbacks(void **state)
{
	static const char ok[] = "--B\r\n" CD "name=a\r\n\r\nhello\r\n--B--";
	static const char bad[] = "--B\r\n" CD "name=a\r\n\r\nhello\r\n--Bx";
	struct multipart mp;
	struct multipart_cb none = { NULL, NULL, NULL, NULL };

	(void)state;
	multipart_init(&mp, "B");
	assert_int_equal(multipart_feed(&mp, ok, sizeof(ok) - 1, &none), 1);
	assert_int_equal(multipart_finish(&mp), 0);
	multipart_init(&mp, "B");
	assert_int_equal(multipart_feed(&mp, ok, sizeof(ok) - 1, NULL), 1);
	multipart_init(&mp, "B");
	assert_int_equal(multipart_feed(&mp, bad, sizeof(bad) - 1, &none), -1);
	assert_int_equal(multipart_feed(&mp, ok, sizeof(ok) - 1, &none), -1);
	assert_int_equal(multipart_finish(&mp), -1);
	assert_string_equal(mp.err, BADAFTER);
}

/* A boundary the parser cannot use leaves it failed. */
static void test_init_bad(void **state)
{
	struct multipart mp;

	(void)state;
	multipart_init(&mp, "");
	assert_int_equal(multipart_feed(&mp, "--", 2, NULL), -1);
	multipart_init(&mp, B70 "x");
	assert_int_equal(multipart_feed(&mp, "--", 2, NULL), -1);
	assert_int_equal(multipart_finish(&mp), -1);
	multipart_init(&mp, B70);
	assert_int_equal(multipart_feed(&mp, "--" B70 "--", 74, NULL), 1);
}

/* A round trip with a boundary from multipart_boundary. */
static void test_boundary_roundtrip(void **state)
{
	static const char ct[] = "multipart/form-data; boundary=\"a b'c\"";
	static const char body[] = "--a b'c\r\n" CD "name=x\r\n\r\n1\r\n--a b'c--";
	char b[MULTIPART_BOUNDARY_MAX + 1];
	struct run_result r;

	(void)state;
	assert_int_equal(multipart_boundary(SLICE_LIT(ct), b), 0);
	r = run_pieces(b, body, sizeof(body) - 1, NULL, 0, 0);
	assert_int_equal(r.ret, 1);
	assert_int_equal(r.rec->len, strlen("<N:x>1</>"));
	assert_memory_equal(r.rec->log, "<N:x>1</>", r.rec->len);
	free(r.rec);
}

/* ---- data as maximal slices of the input ---- */

/* Counts part_data calls and checks where their bytes lie: inside the
 * piece just fed, or (held-back delimiter bytes) inside the parser. */
struct slices {
	const char *piece;
	size_t piece_len;
	const struct multipart *mp;
	int calls, from_state;
	size_t bytes;
};

static int sl_data(void *ctx, const char *data, size_t len)
{
	struct slices *s = ctx;
	const char *m = (const char *)s->mp;

	if (data >= s->piece && data + len <= s->piece + s->piece_len) {
		s->calls++;
	} else {
		assert_true(data >= m && data + len <= m + sizeof(*s->mp));
		s->from_state++;
	}
	s->bytes += len;
	return 0;
}

struct slice_case {
	int line;
	const char *data;  /* one part's data */
	size_t cut;        /* feed in two pieces at this offset of the body, 0: whole */
	int calls;         /* part_data calls with bytes of the input */
	int from_state;    /* part_data calls with held-back bytes */
};

static const struct slice_case slice_cases[] = {
	/* Fed whole: one slice, however many CRs and delimiter look-alikes. */
	{ __LINE__, "abc", 0, 1, 0 },
	{ __LINE__, "a\rb\rc\r\nd\r\n-e\r\n--X\r\n--BOUNDAR\r\r\r", 0, 1, 0 },
	{ __LINE__, "\r\r\r\r\r\r\r\r\r\r\r\r\r\r\r\r\r\r\r\r", 0, 1, 0 },
	/* Cut inside the data: one slice per piece. */
	{ __LINE__, "0123456789\r\n--BOUNDAR\rxyz", 71, 2, 0 },
	/* Cut inside a candidate that fails in the second piece: the held
	 * bytes come once from the parser, the rest as one slice. */
	{ __LINE__, "0123456789\r\n--BOUNDARxyz\r\r", 81, 2, 1 },
	/* Cut inside the real delimiter: nothing held is data. */
	{ __LINE__, "0123456789", 81, 1, 0 },
};

static void test_slices(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(slice_cases) / sizeof(slice_cases[0]); k++) {
		const struct slice_case *sc = &slice_cases[k];
		struct multipart *mp = malloc(sizeof(*mp));
		struct slices s = { .mp = mp };
		struct multipart_cb cb = { NULL, sl_data, NULL, &s };
		char body[512];
		int n = snprintf(body, sizeof(body), "--BOUNDARY\r\n" CD "name=f; filename=x\r\n\r\n"
				 "%s\r\n--BOUNDARY--\r\n", sc->data);
		size_t cut = sc->cut ? sc->cut : (size_t)n, from = 0;
		int ret = 0;

		assert_non_null(mp);
		assert_true(n > 0 && (size_t)n < sizeof(body) && cut <= (size_t)n);
		multipart_init(mp, "BOUNDARY");
		for (size_t to = cut; from < (size_t)n; to = (size_t)n) {
			char *piece = dup_exact(body + from, to - from);

			s.piece = piece;
			s.piece_len = to - from;
			ret = multipart_feed(mp, piece, to - from, &cb);
			free(piece);
			from = to;
		}
		if (ret != 1 || s.calls != sc->calls || s.from_state != sc->from_state ||
		    s.bytes != strlen(sc->data))
			fail_msg("line %d: ret %d, %d slices + %d held (want %d + %d), %zu bytes",
				 sc->line, ret, s.calls, s.from_state, sc->calls, sc->from_state, s.bytes);
		free(mp);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundary),
		cmocka_unit_test(test_boundary_ctl),
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_all_bytes),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_streaming),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_no_callbacks),
		cmocka_unit_test(test_init_bad),
		cmocka_unit_test(test_boundary_roundtrip),
		cmocka_unit_test(test_slices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
