/* CGI/1.1 environment (pure, RFC 3875 4.1): the meta-variables and
 * HTTP_* headers of a request built into a caller buffer. */
#include <stdio.h>
#include <string.h>

#include "cgi_env.h"
#include "ascii.h"

/* Packs "NAME=value\0" strings into a bounded buffer. */
struct env_out {
	char *buf;
	size_t cap, len;
	char **envp;
	size_t max, n;
	size_t start; /* offset of the variable being written */
	int err;      /* set once something did not fit */
};

static void put(struct env_out *o, const char *p, size_t n)
{
	if (o->err)
		return;
	if (n > o->cap - o->len) {
		o->err = 1;
		return;
	}
	if (n)
		memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void put_str(struct env_out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void var_begin(struct env_out *o, const char *name)
{
	o->start = o->len;
	put_str(o, name);
	put(o, "=", 1);
}

static void var_end(struct env_out *o)
{
	put(o, "", 1);
	if (o->err)
		return;
	/* One slot stays free for the closing NULL. */
	if (o->n + 1 >= o->max) {
		o->err = 1;
		return;
	}
	o->envp[o->n++] = o->buf + o->start;
}

static int has_nul(struct slice s)
{
	return s.len != 0 && memchr(s.p, '\0', s.len) != NULL;
}

static void var_slice(struct env_out *o, const char *name, struct slice v)
{
	if (has_nul(v)) {
		o->err = 1;
		return;
	}
	var_begin(o, name);
	put(o, v.p, v.len);
	var_end(o);
}

static void var_num(struct env_out *o, const char *name, unsigned long long v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%llu", v);

	var_slice(o, name, (struct slice){ num, (size_t)n });
}

/* Case-insensitive equality of two slices. */
static int slice_ieq2(struct slice a, struct slice b)
{
	return a.len == b.len && ascii_ieqn(a.p, b.p, a.len);
}

/* A header passed as HTTP_*: a name of letters, digits and '-' only, not
 * one of those that have their own variable or must never be passed. */
static int header_passed(const struct header_field *f)
{
	if (f->name.len == 0 || has_nul(f->value))
		return 0;
	for (size_t i = 0; i < f->name.len; i++) {
		int c = (unsigned char)f->name.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	/* httpoxy: HTTP_PROXY would be read as the proxy setting. */
	return !slice_ieq(f->name, "Proxy") &&
	       !slice_ieq(f->name, "Content-Type") &&
	       !slice_ieq(f->name, "Content-Length");
}

static void var_header(struct env_out *o, const struct header_field *h,
		       size_t nh, size_t first)
{
	const struct slice name = h[first].name;
	const char *sep = slice_ieq(name, "Cookie") ? "; " : ", ";

	o->start = o->len;
	put(o, "HTTP_", 5);
	for (size_t i = 0; i < name.len; i++) {
		char c = name.p[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		else if (c == '-')
			c = '_';
		put(o, &c, 1);
	}
	put(o, "=", 1);
	put(o, h[first].value.p, h[first].value.len);
	for (size_t j = first + 1; j < nh; j++) {
		if (!header_passed(&h[j]) || !slice_ieq2(h[j].name, name))
			continue;
		put_str(o, sep);
		put(o, h[j].value.p, h[j].value.len);
	}
	var_end(o);
}

int cgi_env_build(const struct cgi_env_req *req, char *buf, size_t bufsize,
		  char **envp, size_t envmax)
{
	struct env_out o = { buf, bufsize, 0, envp, envmax, 0, 0, 0 };

	var_slice(&o, "GATEWAY_INTERFACE", SLICE_LIT("CGI/1.1"));
	var_slice(&o, "SERVER_SOFTWARE", SLICE_LIT(CGI_ENV_SOFTWARE));
	var_slice(&o, "SERVER_PROTOCOL", req->server_protocol);
	var_slice(&o, "SERVER_NAME", req->server_name);
	var_num(&o, "SERVER_PORT", req->server_port);
	if (req->server_addr.len)
		var_slice(&o, "SERVER_ADDR", req->server_addr);
	var_slice(&o, "REQUEST_METHOD", req->method);
	var_slice(&o, "REQUEST_URI", req->request_uri);
	var_slice(&o, "SCRIPT_NAME", req->script_name);
	var_slice(&o, "SCRIPT_FILENAME", req->script_filename);
	var_slice(&o, "PATH_INFO", req->path_info);
	if (req->path_translated.len)
		var_slice(&o, "PATH_TRANSLATED", req->path_translated);
	var_slice(&o, "QUERY_STRING", req->query);
	if (req->content_type.len)
		var_slice(&o, "CONTENT_TYPE", req->content_type);
	if (req->content_length >= 0)
		var_num(&o, "CONTENT_LENGTH",
			(unsigned long long)req->content_length);
	var_slice(&o, "REMOTE_ADDR", req->remote_addr);
	var_num(&o, "REMOTE_PORT", req->remote_port);
	/* php-cgi refuses to run without it (cgi.force_redirect). */
	var_slice(&o, "REDIRECT_STATUS", SLICE_LIT("200"));
	var_slice(&o, "PATH", SLICE_LIT(CGI_ENV_PATH));

	for (size_t i = 0; i < req->nheaders; i++) {
		const struct header_field *h = req->headers;
		size_t j;

		if (!header_passed(&h[i]))
			continue;
		/* A repeated name was written with its first occurrence. */
		for (j = 0; j < i; j++)
			if (header_passed(&h[j]) && slice_ieq2(h[j].name, h[i].name))
				break;
		if (j < i)
			continue;
		var_header(&o, h, req->nheaders, i);
	}
	if (o.err || o.n >= o.max)
		return -1;
	envp[o.n] = NULL;
	return (int)o.n;
}
