/* Request-parser benchmark: webserv's request_parse() next to Node's
 * http_parser (Debian's libhttp-parser-dev), both built with the same
 * flags.  Bench only: http_parser is never linked into webserv.
 *
 *   bench_parser [N]                 wall time: 25 alternating batches of N/5
 *                                    parses of each request, fastest batch
 *   bench_parser PARSER REQ N        only that pair (for callgrind):
 *                                    PARSER webserv|http_parser, REQ long|short
 *
 * The long request is picohttpparser's bench.c request (703 bytes: a GET
 * with a long Cookie and User-Agent); the short one a minimal GET. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <http_parser.h>
#include "request.h"

static const char req_long[] =
	"GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n"
	"Host: www.kittyhell.com\r\n"
	"User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; ja-JP-mac; rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3 "
	"Pathtraq/0.9\r\n"
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
	"Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n"
	"Accept-Encoding: gzip,deflate\r\n"
	"Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n"
	"Keep-Alive: 115\r\n"
	"Connection: keep-alive\r\n"
	"Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; "
	"__utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; "
	"__utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|utmcct=/reader/|utmcmd=referral\r\n"
	"\r\n";

static const char req_short[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

/* What an http_parser user keeps: the pieces, as request_parse gives. */
struct hp_out {
	const char *url;
	size_t url_len, nfields;
	struct { const char *p; size_t len; } name[REQUEST_FIELDS_MAX], value[REQUEST_FIELDS_MAX];
	int done;
};

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct hp_out *o = p->data;

	o->url = at;
	o->url_len = len;
	return 0;
}

static int on_field(http_parser *p, const char *at, size_t len)
{
	struct hp_out *o = p->data;

	if (o->nfields < REQUEST_FIELDS_MAX) {
		o->name[o->nfields].p = at;
		o->name[o->nfields].len = len;
	}
	return 0;
}

static int on_value(http_parser *p, const char *at, size_t len)
{
	struct hp_out *o = p->data;

	if (o->nfields < REQUEST_FIELDS_MAX) {
		o->value[o->nfields].p = at;
		o->value[o->nfields].len = len;
		o->nfields++;
	}
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	((struct hp_out *)p->data)->done = 1;
	return 0;
}

static http_parser_settings settings = {
	.on_url = on_url,
	.on_header_field = on_field,
	.on_header_value = on_value,
	.on_headers_complete = on_headers_complete,
};

/* Each runner is its own non-inlined function so callgrind can count it
 * alone (--toggle-collect=run_*). */
__attribute__((noinline)) static long run_webserv(const char *req, size_t len, long n)
{
	static struct request_head h;
	long sum = 0;

	for (long i = 0; i < n; i++) {
		int r = request_parse(req, len, &h);

		if (r != (int)len) {
			fprintf(stderr, "webserv: parse failed (%d, status %d)\n", r, h.status);
			exit(1);
		}
		sum += (long)h.nfields;
	}
	return sum;
}

__attribute__((noinline)) static long run_http_parser(const char *req, size_t len, long n)
{
	static struct hp_out o;
	http_parser p;
	long sum = 0;

	for (long i = 0; i < n; i++) {
		http_parser_init(&p, HTTP_REQUEST);
		o.nfields = 0;
		o.done = 0;
		p.data = &o;
		if (http_parser_execute(&p, &settings, req, len) != len || !o.done) {
			fprintf(stderr, "http_parser: parse failed (%s)\n",
				http_errno_name(HTTP_PARSER_ERRNO(&p)));
			exit(1);
		}
		sum += (long)o.nfields;
	}
	return sum;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Times both parsers on one request in alternating batches (so load
 * from elsewhere falls on both alike) and keeps each one's fastest batch:
 * the least disturbed figure on a shared machine.  ns per parse. */
static void time_both(const char *req, size_t len, long n, double *ws, double *hp)
{
	long batch = n / 5 > 0 ? n / 5 : 1;

	*ws = *hp = 1e30;
	for (int k = 0; k < 25; k++) {
		double t = now();

		run_webserv(req, len, batch);
		t = now() - t;
		if (t < *ws)
			*ws = t;
		t = now();
		run_http_parser(req, len, batch);
		t = now() - t;
		if (t < *hp)
			*hp = t;
	}
	*ws = *ws / (double)batch * 1e9;
	*hp = *hp / (double)batch * 1e9;
}

int main(int argc, char **argv)
{
	static const struct { const char *name, *req; size_t len; } reqs[] = {
		{ "long", req_long, sizeof(req_long) - 1 },
		{ "short", req_short, sizeof(req_short) - 1 },
	};

	if (argc == 4) {
		long n = atol(argv[3]);
		int w = strcmp(argv[1], "webserv") == 0;

		for (size_t i = 0; i < 2; i++)
			if (strcmp(argv[2], reqs[i].name) == 0) {
				long s = w ? run_webserv(reqs[i].req, reqs[i].len, n)
					   : run_http_parser(reqs[i].req, reqs[i].len, n);
				printf("%ld\n", s);
				return 0;
			}
		fprintf(stderr, "usage: %s [N] | webserv|http_parser long|short N\n", argv[0]);
		return 2;
	}
	long n = argc > 1 ? atol(argv[1]) : 200000;

	printf("| request | bytes | webserv ns | http_parser ns | ratio |\n|---|---|---|---|---|\n");
	for (size_t i = 0; i < 2; i++) {
		double a, b;

		time_both(reqs[i].req, reqs[i].len, n, &a, &b);

		printf("| %s | %zu | %.1f | %.1f | %.3f |\n", reqs[i].name, reqs[i].len, a, b, a / b);
	}
	return 0;
}
