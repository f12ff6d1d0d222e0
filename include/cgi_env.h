#ifndef CGI_ENV_H
#define CGI_ENV_H

/* Pure builder of the CGI/1.1 environment (RFC 3875 4.1).  Facts in,
 * "NAME=value" strings out, into caller buffers; no allocation, no I/O. */

#include <stddef.h>
#include "request.h"
#include "slice.h"
#include "version.h"

#define CGI_ENV_SOFTWARE WEBSERV_SOFTWARE
#define CGI_ENV_PATH "/usr/local/bin:/usr/bin:/bin"

/* The request facts.  Slices are read only during cgi_env_build. */
struct cgi_env_req {
	struct slice method;          /* REQUEST_METHOD, e.g. "POST" */
	struct slice request_uri;     /* REQUEST_URI: request-target as sent */
	struct slice script_name;     /* SCRIPT_NAME: URI path of the script */
	struct slice script_filename; /* SCRIPT_FILENAME: file system path */
	struct slice path_info;       /* PATH_INFO: always set, may be empty */
	struct slice path_translated; /* PATH_TRANSLATED: omitted when empty */
	struct slice query;           /* QUERY_STRING without '?': always set */
	struct slice content_type;    /* CONTENT_TYPE: omitted when empty */
	long long content_length;     /* CONTENT_LENGTH: omitted when < 0 */
	struct slice server_name;     /* SERVER_NAME */
	unsigned server_port;         /* SERVER_PORT */
	struct slice server_addr;     /* SERVER_ADDR, numeric ("::1", no brackets):
				       * omitted when empty */
	struct slice remote_addr;     /* REMOTE_ADDR, numeric */
	unsigned remote_port;         /* REMOTE_PORT */
	struct slice server_protocol; /* SERVER_PROTOCOL, e.g. "HTTP/1.1" */
	const struct header_field *headers; /* request header fields, in order */
	size_t nheaders;
};

/* Writes the environment for req: GATEWAY_INTERFACE=CGI/1.1,
 * SERVER_SOFTWARE=webserv/1.0, REDIRECT_STATUS=200, PATH=CGI_ENV_PATH,
 * the variables named in struct cgi_env_req, and HTTP_<NAME> for each
 * request header (name upper-cased, '-' turned into '_').  A header is
 * not passed when its name holds anything but letters, digits and '-'
 * (so "X_Y" can never pose as "X-Y" or another variable), when it is
 * Proxy (httpoxy), Content-Type or Content-Length (those are
 * CONTENT_TYPE and CONTENT_LENGTH), or when its value holds a NUL.
 * Repeated headers become one variable, values joined with ", " (with
 * "; " for Cookie, RFC 6265 5.4), in the order of their first
 * appearance.
 * The strings are NUL-terminated and packed into buf[0..bufsize); envp
 * receives pointers to them followed by a NULL (room for envmax
 * pointers including the NULL), ready for execve.
 * Returns the number of variables, or -1 when they do not fit or a
 * fixed value holds a NUL. */
int cgi_env_build(const struct cgi_env_req *req, char *buf, size_t bufsize,
		  char **envp, size_t envmax);

#endif
