"""The request line: METHOD SP TARGET SP HTTP/D.D, versions, methods,
target forms, length limit."""

import os
import pytest

import wsh
from mixed import mex
from wsh import req, get, assert_error_response

CONF = """
server {
    listen 127.0.0.1:{port};
    root {root};
    location /post { allow_methods GET POST; }
}
"""

FILES = {
	"index.html": b"<html>index</html>",
	"a.txt": b"alpha",
	"hello world.txt": b"spaced",
	"\u00e9t\u00e9.txt": b"summer",
	"post/p.txt": b"post dir",
}


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, files=FILES)


def send(srv, data, method="GET"):
	return wsh.exchange(srv.port, data, method)


def test_simple_get(srv):
	r = send(srv, get("/a.txt"))
	assert r.status == 200 and r.body == b"alpha"
	assert r.version == "HTTP/1.1"


@pytest.mark.rfc("9112", "3.2", "MUST")
def test_http10_without_host(srv):
	r = send(srv, b"GET /a.txt HTTP/1.0\r\n\r\n")
	assert r.status == 200 and r.body == b"alpha"


@pytest.mark.rfc("9110", "6.2", "SHOULD")
@pytest.mark.parametrize("minor", ["2", "9"])
def test_higher_minor_served_as_11(srv, minor):
	r = send(srv, req("GET", "/a.txt", version="HTTP/1.%s" % minor))
	assert r.status == 200 and r.body == b"alpha"
	assert r.version == "HTTP/1.1"


@pytest.mark.rfc("9110", "15.6.6", "MAY")
@pytest.mark.parametrize("version", ["HTTP/2.0", "HTTP/3.0", "HTTP/9.9", "HTTP/0.9"])
def test_other_major_505(srv, version):
	r = send(srv, req("GET", "/a.txt", version=version))
	assert_error_response(r, 505)


@pytest.mark.parametrize("version", [
	"HTTP/3", "HTTP/10.0", "HTTP/1.11", "http/1.1", "HTTP/1.", "HTTP/1",
	"HTTP/a.b", "HTTP/1.1x", "HTTPS/1.1", "HTTP /1.1", "HTTP/-1.1", "HTTP/1,1",
	"HTTP/01.1", "HTTP/1.1.1"])
def test_malformed_version_400(srv, version):
	r = send(srv, req("GET", "/a.txt", version=version))
	assert_error_response(r, 400)


@pytest.mark.parametrize("line", [
	b"GET  /a.txt HTTP/1.1",      # two spaces
	b"GET /a.txt  HTTP/1.1",
	b"GET /a.txt HTTP/1.1 ",      # trailing space
	b" GET /a.txt HTTP/1.1",      # leading space
	b"GET\t/a.txt\tHTTP/1.1",     # tabs
	b"GET /a.txt",                # HTTP/0.9 simple request
	b"GET",
	b"/a.txt HTTP/1.1",
	b" /a.txt HTTP/1.1",
	b"GET /a b.txt HTTP/1.1",     # space inside the target
	b"GET a.txt HTTP/1.1",        # target not origin-form
	b"GET /a\x01.txt HTTP/1.1",   # control character in the target
	b"GET /a\x7f.txt HTTP/1.1",
	b"GET /a\x00.txt HTTP/1.1",
	b"GET /a.txt HTTP/1.1\rX",    # bare CR
])
def test_malformed_request_line_400(srv, line):
	r = send(srv, line + b"\r\nHost: localhost\r\n\r\n")
	assert_error_response(r, 400)


@pytest.mark.rfc("9112", "2.2", "SHOULD")
def test_leading_empty_line_ignored(srv):
	r = send(srv, b"\r\nGET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
	assert r.status == 200 and r.body == b"alpha"


def test_malformed_line_closes_connection(srv):
	with srv.conn() as c:
		c.send(b"GET  /a.txt HTTP/1.1\r\nHost: x\r\n\r\n" + get("/a.txt"))
		r = c.read_response()
		assert r.status == 400
		wsh.assert_closed_after(c, "a 400")


@pytest.mark.rfc("9110", "9.1", "MUST")
def test_method_is_case_sensitive(srv):
	"""`get` is not GET: an unknown method -> 501."""
	r = send(srv, req("get", "/a.txt"))
	assert_error_response(r, 501)


@pytest.mark.rfc("9110", "15.6.2", "SHOULD")
@pytest.mark.parametrize("method", ["FOO", "BREW", "PROPFIND", "MKCOL", "X-CUSTOM", "GETT"])
def test_unknown_method_501(srv, method):
	r = send(srv, req(method, "/a.txt"))
	assert_error_response(r, 501)


@pytest.mark.rfc("9110", "15.5.6", "MUST")
@pytest.mark.parametrize("method", ["TRACE", "PATCH", "POST", "PUT", "DELETE"])
def test_known_disallowed_method_405_with_allow(srv, method):
	r = send(srv, req(method, "/a.txt", headers={"Content-Length": "0"}))
	assert_error_response(r, 405)
	allow = [m.strip() for m in (r.header("Allow") or "").split(",")]
	assert set(allow) == {"GET", "HEAD"}, r.header("Allow")


def test_connect_is_refused(srv):
	r = send(srv, req("CONNECT", "127.0.0.1:%d" % srv.port))
	assert r.status in (400, 405), r
	assert r.content_type == "text/html"


def test_method_not_a_token_400(srv):
	r = send(srv, b"G(T /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
	assert r.status in (400, 501)
	assert r.content_type == "text/html"


@pytest.mark.rfc("9112", "3.2.2", "MUST")
def test_absolute_form_accepted(srv):
	r = send(srv, req("GET", "http://127.0.0.1:%d/a.txt" % srv.port))
	assert r.status == 200 and r.body == b"alpha"


def test_query_string_ignored_for_files(srv):
	r = send(srv, get("/a.txt?x=1&y=%2e%2e"))
	assert r.status == 200 and r.body == b"alpha"


def test_percent_decoded_path(srv):
	assert send(srv, get("/hello%20world.txt")).body == b"spaced"
	assert send(srv, get("/%61.txt")).body == b"alpha"
	assert send(srv, get("/%C3%A9t%C3%A9.txt")).body == b"summer"


@pytest.mark.parametrize("target", ["/a%zz.txt", "/a%2.txt", "/a.txt%", "/a.txt%4"])
def test_bad_percent_encoding_400(srv, target):
	r = send(srv, get(target))
	assert_error_response(r, 400)


def test_dot_segments_normalised(srv):
	assert send(srv, get("/post/../a.txt")).body == b"alpha"
	assert send(srv, get("/./a.txt")).body == b"alpha"
	assert send(srv, get("//a.txt")).body == b"alpha"
	assert send(srv, get("/post/./p.txt")).body == b"post dir"


def test_request_line_under_8k_ok(srv):
	target = "/a.txt?" + "q" * 8000
	r = send(srv, get(target))
	assert r.status == 200


def test_request_line_over_8k_414(srv):
	target = "/" + "a" * 9000
	r = send(srv, get(target))
	assert_error_response(r, 414)


def test_request_line_over_8k_no_crlf_yet_414(srv):
	"""414 as soon as the line is too long, without waiting for its end."""
	with srv.conn() as c:
		c.send(b"GET /" + b"a" * 20000)
		r = c.read_response()
		assert_error_response(r, 414)


def test_huge_request_line_414(srv):
	with srv.conn() as c:
		c.send(b"GET /" + b"a" * (1 << 20) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
		r = c.read_response()
		assert r.status == 414


# -- the request-target: printable ASCII, no fragment (RFC 9112 3.2) -------------

@pytest.mark.rfc("9112", "3.2", "SHOULD")
@pytest.mark.parametrize("target", [b"/#frag", b"/a.txt#frag", b"/a.txt?x=1#f", b"/a.txt#",
                                    b"http://localhost/a.txt#f"])
def test_fragment_in_target_400(srv, target):
	"""A fragment is never sent in a request-target: 400, not the file."""
	with srv.conn() as c:
		c.send(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n" + get("/a.txt"))
		r = c.read_response()
		assert_error_response(r, 400)
		wsh.assert_closed_after(c, "after a target with a fragment")


@pytest.mark.rfc("9112", "3.2", "SHOULD")
@pytest.mark.parametrize("target", [b"/\xc3\xa9t\xc3\xa9.txt", b"/caf\xc3\xa9", b"/\xc0\xaf",
                                    b"/a.txt?q=\xff", b"/a\x7f.txt", b"/\x80"])
def test_non_ascii_target_400(srv, target):
	"""Raw bytes outside printable ASCII: 400 (the same name percent-encoded
	is served, see test_percent_decoded_path)."""
	r = send(srv, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
	assert_error_response(r, 400)


# -- the method token: at most 32 bytes -------------------------------------------

def test_method_of_32_bytes_is_a_method(srv):
	r = send(srv, req("M" * 32, "/a.txt"))
	assert_error_response(r, 501)


@pytest.mark.parametrize("n", [33, 100, 9000])
def test_method_over_32_bytes_400(srv, n):
	"""400: the request line is bad; 414 is about the target."""
	r = send(srv, req("M" * n, "/a.txt"))
	assert_error_response(r, 400)


def test_method_over_32_bytes_400_before_line_end(srv):
	"""The 33rd byte of a method decides: no waiting for the line's end."""
	with srv.conn(timeout=5) as c:
		c.send(b"X" * 33)
		r = c.read_response()
		assert_error_response(r, 400)
		wsh.assert_closed_after(c, "after an over-long method")


def test_method_of_100k_400(srv):
	with srv.conn() as c:
		c.send(b"A" * 100000 + b" /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
		r = c.read_response()
		assert_error_response(r, 400)


def test_server_still_serving(srv):
	r = srv.get("/a.txt")
	assert r.status_code == 200 and r.content == b"alpha"


# -- targets: encoded controls, absolute-form, asterisk-form (on the mixed server) ----

@pytest.mark.rfc("9110", "5.5", "MUST")
@pytest.mark.parametrize("path", ["/a.txt%0d%0aX-Injected:%20yes", "/a%0a.txt", "/a%0D.txt",
                                  "/%00", "/a.txt%00.html", "/up/x%0d%0aSet-Cookie:%20a=b",
                                  "/auto/%7f"])
def test_percent_encoded_controls_refused(mixed_srv, path):
	for method in ("GET", "PUT"):
		headers = {"Content-Length": "1"} if method == "PUT" else None
		r = mex(mixed_srv, req(method, path, headers, b"z" if method == "PUT" else b""))
		assert r.status in (400, 404, 405), (method, path, r)
		assert not r.has("X-Injected") and not r.has("Set-Cookie")
	assert not any("\r" in n or "\n" in n or "Set-Cookie" in n for n in os.listdir(mixed_srv.store))


@pytest.mark.rfc("9112", "3.2.2", "MUST")
@pytest.mark.parametrize("target,body", [
	("http://other.example/a.txt", b"alpha"),
	("http://other.example:8080/a.txt?q=1", b"alpha"),
	("HTTP://OTHER.EXAMPLE/a.txt", b"alpha"),
	("http://user@other.example/a.txt", b"alpha"),
	("http://other.example", b"<p>root</p>"),
	("http://other.example/%2e%2e/a.txt", None),
])
def test_absolute_form_other_host(mixed_srv, target, body):
	"""An origin server answers an absolute-form target from its own
	files whatever host it names (the default server): never as a proxy."""
	r = mex(mixed_srv, req("GET", target, host="localhost"))
	if body is None:
		assert r.status in (400, 403, 404)
	else:
		assert r.status == 200 and r.body == body


def test_asterisk_form_with_other_method_400(mixed_srv):
	assert mex(mixed_srv, get("*")).status == 400
