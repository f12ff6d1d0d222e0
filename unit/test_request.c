/* Unit tests for src/request.c. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "request.h"

#define ALL (-100) /* expected return: the length of the whole input */
#define H "Host: a\r\n"

struct rcase {
	int line;
	const char *in;
	size_t len;
	int rc;              /* ALL, a length, -1 or -2 */
	int status;          /* when rc == -1 */
	enum method method;
	int minor;
	enum framing framing;
	uint64_t clen;
	int keep_alive;
	int expect;
	const char *host;    /* expected Host value; NULL: none */
};

#define GOOD(in, m, mi, fr, cl, ka, ex, host) \
	{ __LINE__, in, sizeof(in) - 1, ALL, 0, m, mi, fr, cl, ka, ex, host }
#define BAD(in, st) \
	{ __LINE__, in, sizeof(in) - 1, -1, st, 0, 0, 0, 0, 0, 0, NULL }
#define MORE(in) \
	{ __LINE__, in, sizeof(in) - 1, -2, 0, 0, 0, 0, 0, 0, 0, NULL }
/* A plain GET / HTTP/1.1 with Host a */
#define GET11(in) GOOD(in, METHOD_GET, 1, FRAMING_NONE, 0, 1, 0, "a")

static const struct rcase cases[] = {
	/* the request line */
	GOOD("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
	     METHOD_GET, 1, FRAMING_NONE, 0, 1, 0, "example.com"),
	GOOD("HEAD / HTTP/1.1\r\n" H "\r\n", METHOD_HEAD, 1, FRAMING_NONE, 0, 1, 0, "a"),
	GOOD("POST / HTTP/1.1\r\n" H "\r\n", METHOD_POST, 1, FRAMING_NONE, 0, 1, 0, "a"),
	GOOD("PUT / HTTP/1.1\r\n" H "\r\n", METHOD_PUT, 1, FRAMING_NONE, 0, 1, 0, "a"),
	GOOD("DELETE / HTTP/1.1\r\n" H "\r\n", METHOD_DELETE, 1, FRAMING_NONE, 0, 1, 0, "a"),
	GOOD("OPTIONS / HTTP/1.1\r\n" H "\r\n", METHOD_OPTIONS, 1, FRAMING_NONE, 0, 1, 0, "a"),
	GOOD("TRACE / HTTP/1.1\r\n" H "\r\n", METHOD_TRACE, 1, FRAMING_NONE, 0, 1, 0, "a"),
	GOOD("CONNECT a:80 HTTP/1.1\r\n" H "\r\n", METHOD_CONNECT, 1, FRAMING_NONE, 0, 1, 0, "a"),
	GOOD("PATCH / HTTP/1.1\r\n" H "\r\n", METHOD_PATCH, 1, FRAMING_NONE, 0, 1, 0, "a"),
	GOOD("get / HTTP/1.1\r\n" H "\r\n", METHOD_UNKNOWN, 1, FRAMING_NONE, 0, 1, 0, "a"),
	GOOD("FOO / HTTP/1.1\r\n" H "\r\n", METHOD_UNKNOWN, 1, FRAMING_NONE, 0, 1, 0, "a"),
	GOOD("M-SEARCH * HTTP/1.1\r\n" H "\r\n", METHOD_UNKNOWN, 1, FRAMING_NONE, 0, 1, 0, "a"),
	GOOD("!#$%&'*+-.^_`|~09azAZ / HTTP/1.1\r\n" H "\r\n",
	     METHOD_UNKNOWN, 1, FRAMING_NONE, 0, 1, 0, "a"),
	GOOD("GETS / HTTP/1.1\r\n" H "\r\n", METHOD_UNKNOWN, 1, FRAMING_NONE, 0, 1, 0, "a"),
	BAD("G@T / HTTP/1.1\r\n" H "\r\n", 400),
	BAD("G(T / HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET  / HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET /  HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET / HTTP/1.1 \r\n" H "\r\n", 400),
	BAD(" GET / HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET\t/ HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET /\tHTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET / x HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET /\r\n" H "\r\n", 400),
	BAD("GET / \r\n" H "\r\n", 400),
	BAD("GET\r\n" H "\r\n", 400),
	BAD("/ HTTP/1.1\r\n" H "\r\n", 400),
	BAD(" / HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET /\x7f HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET /\x01 HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET /\0 HTTP/1.1\r\n" H "\r\n", 400),
	BAD("G\0T / HTTP/1.1\r\n" H "\r\n", 400),
	GET11("GET http://a/b HTTP/1.1\r\n" H "\r\n"),
	GET11("GET /!$&'()*+,;=:@-._~%41?/? HTTP/1.1\r\n" H "\r\n"),

	/* the target is printable ASCII without a fragment (RFC 9112 3.2) */
	BAD("GET /\xff\x80 HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET /caf\xc3\xa9 HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET /\xc0\xaf HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET /\x80 HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET \xff HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET /a?\xe9 HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET /\x1b HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET /a?b=c#d HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET /#frag HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET /hello.txt#frag HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET /a# HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET # HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET http://a/b#c HTTP/1.1\r\n" H "\r\n", 400),
	BAD("GET /a?#\r\n" H "\r\n", 400),
	MORE("GET /a#b HTTP/1.1"),
	MORE("GET /\xff HTTP/1.1\r"),

	/* a method token of at most 32 bytes; a longer one is 400 as soon as
	 * its 33rd byte arrives */
	GOOD("ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.!01 / HTTP/1.1\r\n" H "\r\n",
	     METHOD_UNKNOWN, 1, FRAMING_NONE, 0, 1, 0, "a"),
	BAD("ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.!012 / HTTP/1.1\r\n" H "\r\n", 400),
	BAD("ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.!012", 400),
	BAD("\r\nABCDEFGHIJKLMNOPQRSTUVWXYZ-_.!012", 400),
	BAD("GETGETGETGETGETGETGETGETGETGETGET", 400),
	MORE("ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.!01"),
	MORE("\r\nABCDEFGHIJKLMNOPQRSTUVWXYZ-_.!01"),
	BAD("ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.!01@ / HTTP/1.1\r\n" H "\r\n", 400),
	MORE("ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.!01@"),

	/* the version */
	GOOD("GET / HTTP/1.0\r\n\r\n", METHOD_GET, 0, FRAMING_NONE, 0, 0, 0, NULL),
	GOOD("GET / HTTP/1.2\r\n" H "\r\n", METHOD_GET, 1, FRAMING_NONE, 0, 1, 0, "a"),
	GOOD("GET / HTTP/1.9\r\n" H "\r\n", METHOD_GET, 1, FRAMING_NONE, 0, 1, 0, "a"),
	BAD("GET / HTTP/2.0\r\n" H "\r\n", 505),
	BAD("GET / HTTP/2.0\r\n", 505),
	BAD("GET / HTTP/0.9\r\n" H "\r\n", 505),
	BAD("GET / HTTP/9.9\r\n" H "\r\n", 505),
	BAD("GET / HTTP/3\r\n" H "\r\n", 400),
	BAD("GET / HTTP/2\r\n" H "\r\n", 400),
	BAD("GET / HTTP/10.0\r\n" H "\r\n", 400),
	BAD("GET / HTTP/1.11\r\n" H "\r\n", 400),
	BAD("GET / HTTP/1.\r\n" H "\r\n", 400),
	BAD("GET / HTTP/1\r\n" H "\r\n", 400),
	BAD("GET / HTTP/1.x\r\n" H "\r\n", 400),
	BAD("GET / HTTP/a.1\r\n" H "\r\n", 400),
	BAD("GET / HTTP/1,1\r\n" H "\r\n", 400),
	BAD("GET / http/1.1\r\n" H "\r\n", 400),
	BAD("GET / Http/1.1\r\n" H "\r\n", 400),
	BAD("GET / HTTPS/1.1\r\n" H "\r\n", 400),
	BAD("GET / HTTP-1.1\r\n" H "\r\n", 400),
	BAD("GET / HTTP/1.1x\r\n" H "\r\n", 400),
	BAD("GET / HTTP/ 1.1\r\n" H "\r\n", 400),
	BAD("GET /\r\n\r\n", 400),

	/* line ends: CRLF, or bare LF (RFC 9112 2.2); bare CR is an error */
	GET11("GET / HTTP/1.1\nHost: a\n\n"),
	GET11("GET / HTTP/1.1\r\nHost: a\n\r\n"),
	GET11("GET / HTTP/1.1\nHost: a\r\n\n"),
	BAD("GET / HTTP/1.1\rHost: a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\r\n" H "\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H "\r\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H "\r\r\n\r\n", 400),
	BAD("GET /\r HTTP/1.1\r\n" H "\r\n", 400),
	BAD("\rGET / HTTP/1.1\r\n" H "\r\n", 400),
	BAD("\r\r\nGET / HTTP/1.1\r\n" H "\r\n", 400),

	/* leading empty lines: at most 8 */
	GET11("\r\nGET / HTTP/1.1\r\n" H "\r\n"),
	GET11("\nGET / HTTP/1.1\r\n" H "\r\n"),
	GET11("\r\n\n\r\n\nGET / HTTP/1.1\r\n" H "\r\n"),
	GET11("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n" H "\r\n"),
	BAD("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n" H "\r\n", 400),
	BAD("\n\n\n\n\n\n\n\n\n", 400),
	MORE("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"),
	MORE("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r"),

	/* incomplete heads */
	MORE(""),
	MORE("G"),
	MORE("GET / HTTP/1.1"),
	MORE("GET / HTTP/1.1\r"),
	MORE("GET / HTTP/1.1\r\n"),
	MORE("GET / HTTP/1.1\r\nHost: a"),
	MORE("GET / HTTP/1.1\r\nHost: a\r\n"),
	MORE("GET / HTTP/1.1\r\nHost: a\r\n\r"),
	MORE("GET / HTTP/1.1\r\nHost : a"),   /* bad, but the line is not complete */
	MORE("GET / HTTP/2.0"),
	MORE("GET\x01 / HTTP/1.1"),

	/* field lines */
	GET11("GET / HTTP/1.1\r\nHost:a\r\n\r\n"),
	GET11("GET / HTTP/1.1\r\nHost: \t a \t \r\n\r\n"),
	GET11("GET / HTTP/1.1\r\n" H "X:\r\n\r\n"),
	GET11("GET / HTTP/1.1\r\n" H "X:   \r\n\r\n"),
	GET11("GET / HTTP/1.1\r\n" H "X: a\tb\r\n\r\n"),
	GET11("GET / HTTP/1.1\r\n" H "X: \xff\x80\xc3\xa9\r\n\r\n"),
	GET11("GET / HTTP/1.1\r\n" H "X: a : b\r\n\r\n"),
	GET11("GET / HTTP/1.1\r\n" H "!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n"),
	GET11("GET / HTTP/1.1\r\n" H "X: \"quoted\" (comment) <>@,;\\/[]?={}\r\n\r\n"),
	BAD("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost : a\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H " folded\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H "\tfolded\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H "NoColon\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H ": empty name\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H "Fo o: x\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H "F(o): x\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H "F\xc3\xa9: x\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H "X: a\x01" "b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H "X: a\x7f" "b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H "X: a\0b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H "X: a\x1b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H "X: a\x0b" "b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H "X\0: a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\n" H "X: ok\r\nY: bad\x01\r\n", 400),

	/* Host */
	BAD("GET / HTTP/1.1\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nX: a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400),
	BAD("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a\tb\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a:b:c\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a?b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a#b\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: \xc3\xa9\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: []\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: [::1]:8x\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: [::::]\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: [1]:80\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: [1.2.3.4]\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: [1:2:3:4:5:6:7:8:9]\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: [fe80::1%25eth0]\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: [::1]]\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: [[::1]\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: [v1.]\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: [v.a]\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: [vg.a]\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: [v1.a%41]\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: a\"b\r\n\r\n", 400),
	BAD("GET / HTTP/1.0\r\nHost: a b\r\n\r\n", 400),
	/* an empty Host names no host: an http URI always has one (RFC 9110
	 * 4.2.1, 7.2) */
	BAD("GET / HTTP/1.1\r\nHost:\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: \r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: \t \r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: :80\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: :\r\n\r\n", 400),
	BAD("GET http://a/ HTTP/1.1\r\nHost:\r\n\r\n", 400),
	BAD("GET / HTTP/1.0\r\nHost:\r\n\r\n", 400),
	MORE("GET / HTTP/1.1\r\nHost:\r\n"),
	GOOD("GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n",
	     METHOD_GET, 1, FRAMING_NONE, 0, 1, 0, "example.com:8080"),
	GOOD("GET / HTTP/1.1\r\nHost: example.com:\r\n\r\n",
	     METHOD_GET, 1, FRAMING_NONE, 0, 1, 0, "example.com:"),
	GOOD("GET / HTTP/1.1\r\nHOST: 127.0.0.1:80\r\n\r\n",
	     METHOD_GET, 1, FRAMING_NONE, 0, 1, 0, "127.0.0.1:80"),
	GOOD("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
	     METHOD_GET, 1, FRAMING_NONE, 0, 1, 0, "[::1]:8080"),
	GOOD("GET / HTTP/1.1\r\nHost: [2001:db8::1.2.3.4]\r\n\r\n",
	     METHOD_GET, 1, FRAMING_NONE, 0, 1, 0, "[2001:db8::1.2.3.4]"),
	GOOD("GET / HTTP/1.1\r\nHost: [::]:80\r\n\r\n",
	     METHOD_GET, 1, FRAMING_NONE, 0, 1, 0, "[::]:80"),
	GOOD("GET / HTTP/1.1\r\nHost: [2001:DB8:0:0:0:0:0:1]\r\n\r\n",
	     METHOD_GET, 1, FRAMING_NONE, 0, 1, 0, "[2001:DB8:0:0:0:0:0:1]"),
	GOOD("GET / HTTP/1.1\r\nHost: [v1F.a-b:c!]:1\r\n\r\n",
	     METHOD_GET, 1, FRAMING_NONE, 0, 1, 0, "[v1F.a-b:c!]:1"),
	GOOD("GET / HTTP/1.1\r\nHost: xn--a-b_c~!$&'()*+,;=%41\r\n\r\n",
	     METHOD_GET, 1, FRAMING_NONE, 0, 1, 0, "xn--a-b_c~!$&'()*+,;=%41"),
	GOOD("GET / HTTP/1.0\r\nHost: a\r\n\r\n", METHOD_GET, 0, FRAMING_NONE, 0, 0, 0, "a"),
	GOOD("GET / HTTP/1.1\r\nX: 1\r\nHost: b\r\nY: 2\r\n\r\n",
	     METHOD_GET, 1, FRAMING_NONE, 0, 1, 0, "b"),

	/* Content-Length */
	GOOD("POST / HTTP/1.1\r\n" H "Content-Length: 10\r\n\r\n",
	     METHOD_POST, 1, FRAMING_LENGTH, 10, 1, 0, "a"),
	GOOD("POST / HTTP/1.1\r\n" H "content-length: 0\r\n\r\n",
	     METHOD_POST, 1, FRAMING_LENGTH, 0, 1, 0, "a"),
	GOOD("POST / HTTP/1.1\r\n" H "Content-Length:  00010 \t\r\n\r\n",
	     METHOD_POST, 1, FRAMING_LENGTH, 10, 1, 0, "a"),
	GOOD("POST / HTTP/1.1\r\n" H "Content-Length: 9223372036854775807\r\n\r\n",
	     METHOD_POST, 1, FRAMING_LENGTH, UINT64_C(9223372036854775807), 1, 0, "a"),
	GOOD("POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\n",
	     METHOD_POST, 0, FRAMING_LENGTH, 5, 0, 0, NULL),
	BAD("POST / HTTP/1.1\r\n" H "Content-Length: 9223372036854775808\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Content-Length: 18446744073709551616\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Content-Length: 99999999999999999999999\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Content-Length: +1\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Content-Length: -1\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Content-Length: 1 0\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Content-Length: 0x10\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Content-Length: 1e3\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Content-Length: \r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Content-Length: 10, 10\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Content-Length: 10,10\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Content-Length: 10\r\nContent-Length: 10\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Content-Length: 10\r\ncontent-length: 5\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Content-Length : 10\r\n\r\n", 400),

	/* Transfer-Encoding */
	GOOD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n",
	     METHOD_POST, 1, FRAMING_CHUNKED, 0, 1, 0, "a"),
	GOOD("POST / HTTP/1.1\r\n" H "transfer-encoding: Chunked\r\n\r\n",
	     METHOD_POST, 1, FRAMING_CHUNKED, 0, 1, 0, "a"),
	GOOD("POST / HTTP/1.1\r\n" H "Transfer-Encoding:  CHUNKED \r\n\r\n",
	     METHOD_POST, 1, FRAMING_CHUNKED, 0, 1, 0, "a"),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
	BAD("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: identity\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked, gzip\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip, chunked\r\n\r\n", 501),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip,chunked\r\n\r\n", 501),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: GZIP \t,\t chunked\r\n\r\n", 501),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip;q=1, chunked\r\n\r\n", 501),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked, chunked\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip, chunked, chunked\r\n\r\n", 400),
	/* empty list elements are ignored, a reasonable number of them
	 * (RFC 9110 5.6.1); a list of nothing but them has no chunked */
	GOOD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked,\r\n\r\n",
	     METHOD_POST, 1, FRAMING_CHUNKED, 0, 1, 0, "a"),
	GOOD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: , chunked ,\r\n\r\n",
	     METHOD_POST, 1, FRAMING_CHUNKED, 0, 1, 0, "a"),
	GOOD("POST / HTTP/1.1\r\n" H "Transfer-Encoding:\r\nTransfer-Encoding: chunked\r\n\r\n",
	     METHOD_POST, 1, FRAMING_CHUNKED, 0, 1, 0, "a"),
	GOOD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: ,,,,,,,,,,,,,,,,chunked\r\n\r\n",
	     METHOD_POST, 1, FRAMING_CHUNKED, 0, 1, 0, "a"),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: ,,,,,,,,,,,,,,,,,chunked\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip,,chunked\r\n\r\n", 501),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked,,gzip\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding:\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: , ,\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked;x=1\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: g@zip, chunked\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: \"chunked\"\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chun ked\r\n\r\n", 400),
	BAD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: xchunked\r\n\r\n", 400),

	/* a partial PUT (RFC 9110 9.3.4) */
	BAD("PUT /a HTTP/1.1\r\n" H "Content-Length: 5\r\nContent-Range: bytes 0-4/10\r\n\r\n", 400),
	BAD("PUT /a HTTP/1.1\r\n" H "content-range: bytes */10\r\n\r\n", 400),
	GOOD("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nContent-Range: bytes 0-4/10\r\n\r\n",
	     METHOD_POST, 1, FRAMING_CHUNKED, 0, 1, 0, "a"),

	/* Connection */
	GOOD("GET / HTTP/1.1\r\n" H "Connection: close\r\n\r\n",
	     METHOD_GET, 1, FRAMING_NONE, 0, 0, 0, "a"),
	GOOD("GET / HTTP/1.1\r\n" H "Connection: CLOSE\r\n\r\n",
	     METHOD_GET, 1, FRAMING_NONE, 0, 0, 0, "a"),
	GOOD("GET / HTTP/1.1\r\n" H "Connection: foo , close\r\n\r\n",
	     METHOD_GET, 1, FRAMING_NONE, 0, 0, 0, "a"),
	GOOD("GET / HTTP/1.1\r\n" H "Connection: keep-alive\r\nConnection: close\r\n\r\n",
	     METHOD_GET, 1, FRAMING_NONE, 0, 0, 0, "a"),
	GOOD("GET / HTTP/1.1\r\n" H "Connection: keep-alive\r\n\r\n",
	     METHOD_GET, 1, FRAMING_NONE, 0, 1, 0, "a"),
	GOOD("GET / HTTP/1.1\r\n" H "Connection: upgrade, ,\r\n\r\n",
	     METHOD_GET, 1, FRAMING_NONE, 0, 1, 0, "a"),
	GOOD("GET / HTTP/1.1\r\n" H "Connection: closed\r\n\r\n",
	     METHOD_GET, 1, FRAMING_NONE, 0, 1, 0, "a"),
	GOOD("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	     METHOD_GET, 0, FRAMING_NONE, 0, 1, 0, NULL),
	GOOD("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
	     METHOD_GET, 0, FRAMING_NONE, 0, 1, 0, NULL),
	GOOD("GET / HTTP/1.0\r\nConnection: te, keep-alive\r\n\r\n",
	     METHOD_GET, 0, FRAMING_NONE, 0, 1, 0, NULL),
	GOOD("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
	     METHOD_GET, 0, FRAMING_NONE, 0, 0, 0, NULL),
	GOOD("GET / HTTP/1.0\r\nConnection: foo\r\n\r\n",
	     METHOD_GET, 0, FRAMING_NONE, 0, 0, 0, NULL),

	/* Expect */
	GOOD("PUT / HTTP/1.1\r\n" H "Expect: 100-continue\r\nContent-Length: 3\r\n\r\n",
	     METHOD_PUT, 1, FRAMING_LENGTH, 3, 1, 1, "a"),
	GOOD("PUT / HTTP/1.1\r\n" H "expect:  100-Continue \r\n\r\n",
	     METHOD_PUT, 1, FRAMING_NONE, 0, 1, 1, "a"),
	BAD("PUT / HTTP/1.1\r\n" H "Expect: foo\r\n\r\n", 417),
	BAD("PUT / HTTP/1.1\r\n" H "Expect:\r\n\r\n", 417),
	BAD("PUT / HTTP/1.1\r\n" H "Expect: 100-continue, foo\r\n\r\n", 417),
	BAD("PUT / HTTP/1.1\r\n" H "Expect: 100-continue\r\nExpect: 200-ok\r\n\r\n", 417),
	MORE("PUT / HTTP/1.1\r\n" H "Expect: foo\r\n"),
};

static char *dup_exact(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	assert_non_null(p);
	if (n)
		memcpy(p, s, n);
	return p;
}

static long off(const char *base, struct slice s)
{
	return s.p ? (long)(s.p - base) : -1;
}

/* Compares two parses of the same bytes held at different addresses. */
static int same(const char *a, int ra, const struct request_head *ha,
		const char *b, int rb, const struct request_head *hb)
{
	if (ra != rb)
		return 0;
	if (ra == -1)
		return ha->status == hb->status;
	if (ra < 0)
		return 1;
	if (ha->method_id != hb->method_id || ha->major != hb->major ||
	    ha->minor != hb->minor || ha->framing != hb->framing ||
	    ha->content_length != hb->content_length ||
	    ha->keep_alive != hb->keep_alive ||
	    ha->expect_continue != hb->expect_continue ||
	    ha->nfields != hb->nfields ||
	    off(a, ha->method) != off(b, hb->method) || ha->method.len != hb->method.len ||
	    off(a, ha->target) != off(b, hb->target) || ha->target.len != hb->target.len ||
	    off(a, ha->host) != off(b, hb->host) || ha->host.len != hb->host.len)
		return 0;
	for (size_t i = 0; i < ha->nfields; i++) {
		const struct header_field *x = &ha->fields[i], *y = &hb->fields[i];

		if (off(a, x->name) != off(b, y->name) || x->name.len != y->name.len ||
		    off(a, x->value) != off(b, y->value) || x->value.len != y->value.len)
			return 0;
	}
	return 1;
}

/* Feeds growing prefixes of in[0..len) to one resumed scan, each prefix
 * from a heap block of its exact size (the buffer moves, as a growing
 * read buffer does), up to the first decisive result, and checks that it
 * is the whole input's.  cuts[0..ncuts) are the prefix lengths, in
 * ascending order; the whole input comes last. */
static void check_resumed(const char *in, size_t len, const size_t *cuts,
			  size_t ncuts, const char *whole, int rref,
			  const struct request_head *ref, struct request_head *h,
			  int line, const char *how)
{
	struct request_scan sc;
	int r = -2;

	memset(&sc, 0, sizeof(sc));
	for (size_t i = 0; i <= ncuts && r == -2; i++) {
		size_t k = i < ncuts ? cuts[i] : len;
		char *part = dup_exact(in, k);

		r = request_parse_resume(&sc, part, k, h);
		if (r != -2 && !same(part, r, h, whole, rref, ref)) {
			print_error("line %d: resumed (%s) at %zu gives %d (status %d), "
				    "whole gives %d (status %d)\n", line, how, k, r,
				    h->status, rref, ref->status);
			fail();
		}
		if (r != -2) {
			/* A decision leaves the scan state ready for a new head. */
			struct request_scan zero;

			memset(&zero, 0, sizeof(zero));
			assert_memory_equal(&sc, &zero, sizeof(sc));
		} else {
			assert_int_equal(h->nfields, 0);
			assert_null(h->method.p);
		}
		free(part);
	}
	if (r != rref) {
		print_error("line %d: resumed (%s) ends with %d, whole gives %d\n",
			    line, how, r, rref);
		fail();
	}
}

/* Every prefix (each in a heap block of its exact size, as when bytes
 * arrive one at a time) gives -2 or the final result, parsed afresh or
 * resumed; every two-part split, the second part landing in a fresh
 * buffer as a growing read buffer would, ends with the final result,
 * again afresh and resumed; so does a resumed feed byte by byte.  Large
 * inputs are sampled. */
static void check_feed(const char *in, size_t len, int line)
{
	struct request_head *ref = malloc(sizeof(*ref));
	struct request_head *h = malloc(sizeof(*h));
	char *whole = dup_exact(in, len);
	size_t *cuts = malloc((len + 1) * sizeof(*cuts)), ncuts = 0;
	int rref, r;

	assert_non_null(ref);
	assert_non_null(h);
	assert_non_null(cuts);
	rref = request_parse(whole, len, ref);
	for (size_t k = 0; k <= len; k++) {
		char *part, *again;

		if (len > 3000 && k > 300 && k + 300 < len && k % 97 != 0)
			continue;
		cuts[ncuts++] = k;
		part = dup_exact(in, k);
		r = request_parse(part, k, h);
		if (r != -2 && !same(part, r, h, whole, rref, ref)) {
			print_error("line %d: prefix %zu gives %d (status %d), whole gives %d (status %d)\n",
				    line, k, r, h->status, rref, ref->status);
			fail();
		}
		free(part);
		again = dup_exact(in, len);
		r = request_parse(again, len, h);
		if (!same(again, r, h, whole, rref, ref)) {
			print_error("line %d: split at %zu differs\n", line, k);
			fail();
		}
		free(again);
		check_resumed(in, len, &k, 1, whole, rref, ref, h, line, "split");
	}
	/* byte by byte (sampled for large inputs) */
	check_resumed(in, len, cuts, ncuts, whole, rref, ref, h, line, "bytewise");
	free(cuts);
	free(whole);
	free(ref);
	free(h);
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rcase *c = &cases[i];
		struct request_head *h = malloc(sizeof(*h));
		char *buf = dup_exact(c->in, c->len);
		int want = c->rc == ALL ? (int)c->len : c->rc;
		int r = request_parse(buf, c->len, h);

		if (r != want || (r == -1 && h->status != c->status)) {
			print_error("line %d: got %d (status %d), want %d (status %d)\n",
				    c->line, r, h->status, want, c->status);
			fail();
		}
		if (r >= 0) {
			if (h->method_id != c->method || h->major != 1 ||
			    h->minor != c->minor || h->framing != c->framing ||
			    (c->framing == FRAMING_LENGTH && h->content_length != c->clen) ||
			    h->keep_alive != c->keep_alive ||
			    h->expect_continue != c->expect) {
				print_error("line %d: method %d %d.%d framing %d cl %llu ka %d exp %d\n",
					    c->line, h->method_id, h->major, h->minor,
					    h->framing, (unsigned long long)h->content_length,
					    h->keep_alive, h->expect_continue);
				fail();
			}
			if (c->host == NULL ? h->host.len != 0 :
			    (h->host.len != strlen(c->host) ||
			     (h->host.len && memcmp(h->host.p, c->host, h->host.len)))) {
				print_error("line %d: host '%.*s'\n", c->line,
					    (int)h->host.len, h->host.p ? h->host.p : "");
				fail();
			}
			/* Slices point into the input. */
			assert_true(h->method.p >= buf && h->method.p < buf + c->len);
			assert_true(h->target.p > buf && h->target.p < buf + c->len);
			for (size_t f = 0; f < h->nfields; f++) {
				assert_true(h->fields[f].name.p >= buf &&
					    h->fields[f].name.p + h->fields[f].name.len <= buf + c->len);
				assert_true(h->fields[f].value.len == 0 ||
					    (h->fields[f].value.p >= buf &&
					     h->fields[f].value.p + h->fields[f].value.len <= buf + c->len));
			}
		}
		free(buf);
		free(h);
		check_feed(c->in, c->len, c->line);
	}
}

static void test_fields_content(void **state)
{
	static const char in[] = "POST /x?y HTTP/1.1\r\nHost: h\r\n"
				 "X-A:  one two \t\r\nx-b:\r\nX-A: three\r\n\r\n";
	struct request_head h;
	char *buf = dup_exact(in, sizeof(in) - 1);
	const struct header_field *f;

	(void)state;
	assert_int_equal(request_parse(buf, sizeof(in) - 1, &h), (int)sizeof(in) - 1);
	assert_true(slice_eq(h.method, "POST"));
	assert_true(slice_eq(h.target, "/x?y"));
	assert_int_equal(h.nfields, 4);
	assert_true(slice_eq(h.fields[0].name, "Host"));
	assert_true(slice_eq(h.fields[1].name, "X-A"));
	assert_true(slice_eq(h.fields[1].value, "one two"));
	assert_int_equal(h.fields[2].value.len, 0);
	f = request_field(&h, "x-a");
	assert_ptr_equal(f, &h.fields[1]);
	f = request_field(&h, "X-B");
	assert_ptr_equal(f, &h.fields[2]);
	assert_null(request_field(&h, "X-C"));
	assert_null(request_field(&h, "X-"));
	assert_true(slice_eq(request_field(&h, "HOST")->value, "h"));
	free(buf);
}

/* On errors the method and version are still reported once parsed. */
static void test_error_fields(void **state)
{
	static const char v2[] = "FOO / HTTP/2.0\r\n";
	static const char bad[] = "DELETE /x HTTP/1.0\r\nHost : a\r\n\r\n";
	struct request_head h;
	char *buf;

	(void)state;
	buf = dup_exact(v2, sizeof(v2) - 1);
	assert_int_equal(request_parse(buf, sizeof(v2) - 1, &h), -1);
	assert_int_equal(h.status, 505);
	assert_int_equal(h.major, 2);
	assert_int_equal(h.minor, 0);
	assert_int_equal(h.method_id, METHOD_UNKNOWN);
	free(buf);
	buf = dup_exact(bad, sizeof(bad) - 1);
	assert_int_equal(request_parse(buf, sizeof(bad) - 1, &h), -1);
	assert_int_equal(h.status, 400);
	assert_int_equal(h.method_id, METHOD_DELETE);
	assert_int_equal(h.major, 1);
	assert_int_equal(h.minor, 0);
	free(buf);
}

/* Pipelined requests: the length stops at the end of the first head. */
static void test_pipelined(void **state)
{
	static const struct {
		int line;
		const char *in;
		size_t len;
		size_t first;
	} t[] = {
#define P(a, b) { __LINE__, a b, sizeof(a b) - 1, sizeof(a) - 1 }
		P("GET /a HTTP/1.1\r\nHost: a\r\n\r\n", "GET /b HTTP/1.1\r\nHost: a\r\n\r\n"),
		P("GET /a HTTP/1.1\r\nHost: a\r\n\r\n", "GARBAGE\x01\r\n\r\n"),
		P("GET /a HTTP/1.1\r\nHost: a\r\n\r\n", "\r\n\r\n"),
		P("GET /a HTTP/1.1\nHost: a\n\n", "GET /b HTTP/1.1\n"),
		P("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
		  "helloGET /b HTTP/1.1\r\n\r\n"),
		P("GET /a HTTP/1.0\r\n\r\n", "GET /b HTTP/2.0\r\n\r\n"),
#undef P
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct request_head h;
		char *buf = dup_exact(t[i].in, t[i].len);
		int r = request_parse(buf, t[i].len, &h);

		if (r != (int)t[i].first) {
			print_error("line %d: got %d want %zu\n", t[i].line, r, t[i].first);
			fail();
		}
		free(buf);
		check_feed(t[i].in, t[i].len, t[i].line);
	}
}

/* Builds "GET /aaa... HTTP/1.1\r\n" whose line (without CRLF) is n bytes. */
static size_t put_request_line(char *p, size_t n)
{
	size_t t = n - strlen("GET  HTTP/1.1");

	memcpy(p, "GET /", 5);
	memset(p + 5, 'a', t - 1);
	memcpy(p + 4 + t, " HTTP/1.1\r\n", 11);
	return n + 2;
}

static void expect_parse(const char *in, size_t len, int want, int status, int line)
{
	struct request_head *h = malloc(sizeof(*h));
	char *buf = dup_exact(in, len);
	int r;

	assert_non_null(h);
	r = request_parse(buf, len, h);
	if (r != want || (r == -1 && h->status != status)) {
		print_error("line %d: len %zu got %d (status %d), want %d (status %d)\n",
			    line, len, r, h->status, want, status);
		fail();
	}
	free(buf);
	free(h);
}

static void test_request_line_limit(void **state)
{
	size_t cap = REQUEST_LINE_MAX + 64;
	char *p = malloc(cap);
	size_t n;

	(void)state;
	/* exactly REQUEST_LINE_MAX bytes: fine */
	n = put_request_line(p, REQUEST_LINE_MAX);
	memcpy(p + n, H "\r\n", 11);
	expect_parse(p, n + 11, (int)(n + 11), 0, __LINE__);
	expect_parse(p, REQUEST_LINE_MAX, -2, 0, __LINE__);
	expect_parse(p, REQUEST_LINE_MAX + 1, -2, 0, __LINE__); /* + CR */
	check_feed(p, n + 11, __LINE__);

	/* one more: 414, complete or not, with or without the rest */
	n = put_request_line(p, REQUEST_LINE_MAX + 1);
	memcpy(p + n, H "\r\n", 11);
	expect_parse(p, n + 11, -1, 414, __LINE__);
	expect_parse(p, n, -1, 414, __LINE__);
	expect_parse(p, n - 1, -1, 414, __LINE__);
	expect_parse(p, n - 2, -1, 414, __LINE__);
	expect_parse(p, n - 3, -2, 0, __LINE__);
	check_feed(p, n + 11, __LINE__);

	/* a line that never ends */
	memset(p, 'A', cap);
	memcpy(p, "GET /", 5);
	expect_parse(p, REQUEST_LINE_MAX, -2, 0, __LINE__);
	expect_parse(p, REQUEST_LINE_MAX + 1, -1, 414, __LINE__);
	expect_parse(p, cap, -1, 414, __LINE__);
	check_feed(p, cap, __LINE__);

	/* leading empty lines do not count toward the line */
	memcpy(p, "\r\n\n", 3);
	n = put_request_line(p + 3, REQUEST_LINE_MAX);
	memcpy(p + 3 + n, H "\r\n", 11);
	expect_parse(p, n + 14, (int)(n + 14), 0, __LINE__);
	free(p);
}

/* Builds a head of exactly `total` bytes with one big field. */
static size_t put_big_head(char *p, size_t total)
{
	static const char start[] = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
	size_t n = sizeof(start) - 1, pad = total - n - 4;

	memcpy(p, start, n);
	memset(p + n, 'v', pad);
	memcpy(p + n + pad, "\r\n\r\n", 4);
	return total;
}

static void test_head_limit(void **state)
{
	size_t cap = REQUEST_HEAD_MAX + 64;
	char *p = malloc(cap);
	size_t n;

	(void)state;
	n = put_big_head(p, REQUEST_HEAD_MAX);
	expect_parse(p, n, (int)n, 0, __LINE__);
	expect_parse(p, n - 1, -2, 0, __LINE__);
	check_feed(p, n, __LINE__);

	n = put_big_head(p, REQUEST_HEAD_MAX + 1);
	expect_parse(p, n, -1, 431, __LINE__);
	expect_parse(p, n - 1, -1, 431, __LINE__);
	expect_parse(p, REQUEST_HEAD_MAX, -1, 431, __LINE__);
	expect_parse(p, REQUEST_HEAD_MAX - 1, -2, 0, __LINE__);
	check_feed(p, n, __LINE__);

	/* with bare LF the same head is a byte shorter: fine again */
	n = put_big_head(p, REQUEST_HEAD_MAX + 1);
	memcpy(p + n - 3, "\n\n", 2);
	expect_parse(p, n - 1, (int)(n - 1), 0, __LINE__);

	/* a field line that never ends */
	n = put_big_head(p, cap);
	expect_parse(p, cap - 4, -1, 431, __LINE__);

	/* many small fields that overrun the head */
	n = 0;
	n += (size_t)sprintf(p, "GET / HTTP/1.1\r\nHost: a\r\n");
	while (n + 40 < cap)
		n += (size_t)sprintf(p + n, "X-Pad: %030d\r\n", 0);
	expect_parse(p, n, -1, 431, __LINE__);
	free(p);
}

static void test_field_count(void **state)
{
	char *p = malloc(8192);
	size_t n;

	(void)state;
	n = (size_t)sprintf(p, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 1; i < REQUEST_FIELDS_MAX; i++)
		n += (size_t)sprintf(p + n, "X%d: %d\r\n", i, i);
	memcpy(p + n, "\r\n", 2);
	expect_parse(p, n + 2, (int)(n + 2), 0, __LINE__);
	check_feed(p, n + 2, __LINE__);

	n += (size_t)sprintf(p + n, "Y: 101\r\n");
	memcpy(p + n, "\r\n", 2);
	expect_parse(p, n + 2, -1, 431, __LINE__);
	expect_parse(p, n, -1, 431, __LINE__);
	expect_parse(p, n - 1, -2, 0, __LINE__);
	check_feed(p, n + 2, __LINE__);
	free(p);
}

/* Random edits of the table inputs keep the split-feed property. */
static void test_mutations(void **state)
{
	static const char alphabet[] = "\r\n :\t,;aG/H.1\0\x7f\x80";
	uint32_t seed = 12345;
	char buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int m = 0; m < 30; m++) {
			size_t n = cases[i].len;

			if (n == 0 || n + 4 > sizeof(buf))
				continue;
			memcpy(buf, cases[i].in, n);
			for (int e = 0; e < 1 + m % 3; e++) {
				size_t at;
				char c;

				seed = seed * 1103515245u + 12345u;
				at = (seed >> 8) % n;
				c = alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
				if (seed & 1) {
					buf[at] = c;
				} else {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = c;
					n++;
				}
			}
			check_feed(buf, n, cases[i].line);
		}
	}
}

/* A resumed scan reads each byte once before the head is complete: the
 * lines it has checked can be overwritten between calls (against the
 * rule, to see it) and it still waits for more, while a parse from the
 * start trips over them.  Each call moves the place it resumes at to the
 * end of the input.  The complete head is then made from all of it. */
static void test_resume_new_bytes_only(void **state)
{
	static const char in[] = "\r\nPOST /a HTTP/1.1\r\nHost: a\r\nX-1: one\r\n"
				 "Content-Length: 3\r\n\r\nabc";
	size_t len = sizeof(in) - 1, head = len - 3;
	struct request_scan sc;
	struct request_head *h = malloc(sizeof(*h));
	char *buf = malloc(len);
	size_t poisoned = 0;

	(void)state;
	assert_non_null(h);
	assert_non_null(buf);
	memset(&sc, 0, sizeof(sc));
	for (size_t k = 1; k < head; k++) {
		buf[k - 1] = in[k - 1];
		assert_int_equal(request_parse_resume(&sc, buf, k, h), -2);
		assert_int_equal(sc.seek, k);
		assert_true(sc.line <= k);
		for (size_t i = 0; i < sc.line; i++) /* line ends kept */
			if (buf[i] != '\r' && buf[i] != '\n')
				buf[i] = '\x01';
		if (sc.line > 2) { /* past the empty line */
			assert_int_equal(request_parse(buf, k, h), -1);
			assert_int_equal(h->status, 400);
			poisoned++;
		}
	}
	assert_true(poisoned > 0);
	assert_int_equal(sc.nfields, 3);
	assert_int_equal(sc.in_fields, 1);
	assert_int_equal(sc.empty, 1);

	/* the complete head, its lines intact */
	memcpy(buf, in, len);
	assert_int_equal(request_parse_resume(&sc, buf, len, h), (int)head);
	assert_true(slice_eq(h->method, "POST"));
	assert_true(slice_eq(h->target, "/a"));
	assert_int_equal(h->nfields, 3);
	assert_int_equal(h->framing, FRAMING_LENGTH);
	assert_int_equal(h->content_length, 3);

	/* The decision reset the state: the next head starts at buf[0]. */
	memcpy(buf, "GET /b HTTP/1.0\r\n\r\n", 19);
	assert_int_equal(request_parse_resume(&sc, buf, 10, h), -2);
	assert_int_equal(request_parse_resume(&sc, buf, 19, h), 19);
	assert_true(slice_eq(h->target, "/b"));
	assert_int_equal(h->minor, 0);

	/* An error found in a later call still reports the method and
	 * version of the request line checked earlier. */
	{
		static const char bad[] = "DELETE /x HTTP/1.0\r\nHost : a\r\n";

		memcpy(buf, bad, sizeof(bad) - 1);
		assert_int_equal(request_parse_resume(&sc, buf, 20, h), -2);
		assert_int_equal(request_parse_resume(&sc, buf, sizeof(bad) - 1, h), -1);
		assert_int_equal(h->status, 400);
		assert_int_equal(h->method_id, METHOD_DELETE);
		assert_int_equal(h->major, 1);
		assert_int_equal(h->minor, 0);
	}

	/* A buffer shorter than what the state has checked starts over. */
	{
		static const char get[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

		memcpy(buf, get, sizeof(get) - 1);
		assert_int_equal(request_parse_resume(&sc, buf, 20, h), -2);
		assert_int_equal(sc.line, 16);
		assert_int_equal(request_parse_resume(&sc, buf, 5, h), -2);
		assert_int_equal(sc.line, 0);
		assert_int_equal(request_parse_resume(&sc, buf, sizeof(get) - 1, h),
				 (int)sizeof(get) - 1);
	}
	free(buf);
	free(h);
}

/* Every byte value at every position of a run long enough for the
 * 16-byte scans (and their tails): method, target, field name and field
 * value each accept exactly the bytes of their grammar, whichever path
 * (SSE4.2 or table) scans them.  The expectations are written out here
 * with comparisons, independently of the parser's tables. */
static int ref_tchar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

static void test_byte_classes(void **state)
{
	enum { RUN = 40 };
	/* Before the run, after it, its length. */
	static const struct { const char *pre, *post; int len; } at[] = {
		{ "", " / HTTP/1.1\r\nHost: a\r\n\r\n", REQUEST_METHOD_MAX },
		{ "GET /", " HTTP/1.1\r\nHost: a\r\n\r\n", RUN },
		{ "GET / HTTP/1.1\r\nHost: a\r\n", ": v\r\n\r\n", RUN },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX-Long: ", "\r\n\r\n", RUN },
	};
	char buf[256];
	struct request_head *h = malloc(sizeof(*h));

	(void)state;
	assert_non_null(h);
	for (int where = 0; where < 4; where++) {
		size_t pre = strlen(at[where].pre), post = strlen(at[where].post);
		int n = (int)(pre + (size_t)at[where].len + post);

		for (int k = 0; k < at[where].len; k++) {
			for (int b = 0; b < 256; b++) {
				int want, rc;

				memcpy(buf, at[where].pre, pre);
				memset(buf + pre, where == 3 ? 'v' : 'a', (size_t)at[where].len);
				buf[pre + (size_t)k] = (char)b;
				memcpy(buf + pre + (size_t)at[where].len, at[where].post, post);
				switch (where) {
				case 0: /* method: tchar; a LF first is a leading empty line */
					want = ref_tchar(b) || (k == 0 && b == '\n');
					break;
				case 1: /* target: printable ASCII but '#' */
					want = b > 0x20 && b < 0x7f && b != '#';
					break;
				case 2: /* field name: tchar (a colon only ends it early) */
					want = ref_tchar(b) || (b == ':' && k > 0);
					break;
				default: /* field value: VCHAR, SP, HTAB, obs-text */
					want = b == '\t' || (b >= 0x20 && b != 0x7f);
					break;
				}
				rc = request_parse(buf, (size_t)n, h);
				if (where == 2 && k == 0 && b == '\n') {
					/* an empty line: the head ends there */
					assert_int_equal(rc, (int)pre + 1);
					continue;
				}
				if (where == 3 && k == RUN - 1 && b == '\n') {
					/* the field ends there, then the empty line */
					assert_int_equal(rc, n - 2);
					continue;
				}
				if (want != (rc == n))
					fail_msg("where %d, byte 0x%02x at %d: rc %d status %d",
						 where, b, k, rc, h->status);
				if (!want && rc != -1)
					fail_msg("where %d, byte 0x%02x at %d: rc %d",
						 where, b, k, rc);
				if (!want) {
					assert_int_equal(rc, -1);
					assert_int_equal(h->status, 400);
				}
			}
		}
	}
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_fields_content),
		cmocka_unit_test(test_error_fields),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_request_line_limit),
		cmocka_unit_test(test_head_limit),
		cmocka_unit_test(test_field_count),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_resume_new_bytes_only),
		cmocka_unit_test(test_byte_classes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
