"""Error responses: error_page, default HTML bodies for every status the
core emits, 405 + Allow, 501, 413, 414, 417, 431, 505, Expect: 100-continue."""

import os
import uuid

import pytest

import wsh
from mixed import mex
from wsh import req, get, chunked, assert_error_response

CONF = """
client_header_timeout 1s;
client_body_timeout 1s;

server {
    listen 127.0.0.1:{port};
    root {root};
    error_page 404 /errors/404.html;
    error_page 403 405 /errors/multi.html;
    error_page 413 /errors/413.html;
    location /up {
        allow_methods GET POST PUT;
        upload_store {tmp}/store;
        alias {tmp}/store;
        client_max_body_size 100;
    }
    location /locerr { error_page 404 /errors/loc404.html; }
    location /missingpage { error_page 404 /errors/does-not-exist.html; }
}

server {
    listen 127.0.0.1:{port2};
    root {root};
    location /up {
        allow_methods GET POST;
        upload_store {tmp}/store2;
        alias {tmp}/store2;
        client_max_body_size 100;
    }
}
"""

FILES = {
	"a.txt": b"alpha",
	"noidx/x.txt": b"x",
	"locerr/here.txt": b"here",
	"errors/404.html": b"<html>custom 404</html>",
	"errors/multi.html": b"<html>custom multi</html>",
	"errors/413.html": b"<html>custom 413</html>",
	"errors/loc404.html": b"<html>location 404</html>",
}

STORED_OK = (200, 201, 204)


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, files=FILES, dirs=["store", "store2"])


def ex(port, data, method="GET"):
	return wsh.exchange(port, data, method)


# -- error_page ----------------------------------------------------------------------

def test_custom_404(srv):
	r = ex(srv.port, get("/missing.txt"))
	assert r.status == 404
	assert r.body == b"<html>custom 404</html>"
	assert r.content_type == "text/html"


def test_custom_page_for_several_codes(srv):
	r = ex(srv.port, get("/noidx/"))
	assert r.status == 403 and r.body == b"<html>custom multi</html>"
	r = ex(srv.port, req("DELETE", "/a.txt"))
	assert r.status == 405 and r.body == b"<html>custom multi</html>"
	assert r.has("Allow")


def test_custom_413(srv):
	r = ex(srv.port, b"POST /up/x.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
	assert r.status == 413 and r.body == b"<html>custom 413</html>"


def test_location_error_page_overrides(srv):
	r = ex(srv.port, get("/locerr/missing.txt"))
	assert r.status == 404 and r.body == b"<html>location 404</html>"
	assert ex(srv.port, get("/locerr/here.txt")).body == b"here"


def test_missing_error_page_falls_back(srv):
	r = ex(srv.port, get("/missingpage/nope.txt"))
	assert r.status == 404
	assert r.content_type == "text/html" and r.body


def test_custom_error_head_has_no_body(srv):
	with srv.conn() as c:
		c.send(req("HEAD", "/missing.txt") + get("/a.txt"))
		h = c.read_response("HEAD")
		nxt = c.read_response()
	assert h.status == 404 and nxt.body == b"alpha"


def test_custom_error_keeps_connection(srv):
	with srv.conn() as c:
		c.send(get("/missing.txt") + get("/a.txt"))
		r1, r2 = c.read_responses(2)
	assert r1.status == 404 and r1.body == b"<html>custom 404</html>"
	assert r2.body == b"alpha"


def test_top_level_error_page_inherited(server):
	srv = server("""
error_page 404 /e/top.html;
server { listen 127.0.0.1:{port}; root {root}; }
server { listen 127.0.0.1:{port2}; root {root}; error_page 404 /e/own.html; }
""", files={"e/top.html": b"<p>top</p>", "e/own.html": b"<p>own</p>"})
	r = ex(srv.port, get("/nope"))
	assert (r.status, r.body) == (404, b"<p>top</p>")
	r = ex(srv.port2, get("/nope"))
	assert (r.status, r.body) == (404, b"<p>own</p>")


def test_error_page_for_a_400(server):
	srv = server("""
server { listen 127.0.0.1:{port}; root {root}; error_page 400 /e/400.html; }
""", files={"e/400.html": b"<p>bad</p>"})
	r = ex(srv.port, b"GET /a.txt HTTP/1.1\r\n\r\n")
	assert r.status == 400
	assert r.body == b"<p>bad</p>"


# -- default bodies for every status ---------------------------------------------------

COVERAGE = [
	("400", b"GARBAGE\r\n\r\n", 400),
	("400_no_host", b"GET /a.txt HTTP/1.1\r\n\r\n", 400),
	("403", get("/noidx/"), 403),
	("404", get("/missing.txt"), 404),
	("405", req("DELETE", "/a.txt"), 405),
	("413", b"POST /up/x.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", 413),
	("414", get("/" + "u" * 9000), 414),
	("416", req("GET", "/a.txt", {"Range": "bytes=100-"}), 416),
	("417", req("GET", "/a.txt", {"Expect": "something-else"}), 417),
	("431", req("GET", "/a.txt", [("X-%d" % i, "v") for i in range(200)]), 431),
	("501", req("FOO", "/a.txt"), 501),
	("505", req("GET", "/a.txt", version="HTTP/2.0"), 505),
]


@pytest.mark.parametrize("data,code", [c[1:] for c in COVERAGE], ids=[c[0] for c in COVERAGE])
def test_default_error_body_is_html(srv, data, code):
	r = ex(srv.port2, data)
	assert_error_response(r, code)
	assert r.header("Content-Length") == str(len(r.body))


def test_default_408_is_html(srv):
	with wsh.Conn(srv.port2) as c:
		c.send(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n")
		r = c.read_response(timeout=6)
		assert_error_response(r, 408)
		assert c.is_closed()


@pytest.mark.rfc("9110", "15.5.6", "MUST")
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "TRACE", "PATCH"])
def test_405_allow(srv, method):
	r = ex(srv.port2, req(method, "/a.txt", {"Content-Length": "0"}))
	assert_error_response(r, 405)
	assert {m.strip() for m in r.header("Allow", "").split(",")} == {"GET", "HEAD"}


def test_405_allow_location(srv):
	r = ex(srv.port2, req("PUT", "/up/x.txt", {"Content-Length": "1"}, b"x"))
	assert r.status == 405
	assert {m.strip() for m in r.header("Allow", "").split(",")} == {"GET", "HEAD", "POST"}


def test_413_without_reading_body(srv):
	"""The 413 comes before the body is sent."""
	with wsh.Conn(srv.port2) as c:
		c.send(b"POST /up/x.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n")
		r = c.read_response()
		assert_error_response(r, 413)


# -- Expect -------------------------------------------------------------------------

def uname():
	return "e-" + uuid.uuid4().hex[:12] + ".txt"


@pytest.mark.rfc("9110", "10.1.1", "SHOULD")
def test_100_continue(srv):
	name = uname()
	with wsh.Conn(srv.port2) as c:
		c.send(req("POST", "/up/" + name, {"Content-Length": "5", "Expect": "100-continue"}))
		r = c.read_response()
		assert r.status == 100, r
		assert r.body == b""
		c.send(b"hello")
		r = c.read_response()
		assert r.status in STORED_OK, r
		# the connection stays usable
		c.send(get("/a.txt"))
		assert c.read_response().body == b"alpha"
	assert (srv.tmp / "store2" / name).read_bytes() == b"hello"


@pytest.mark.rfc("9110", "10.1.1", "MUST")
def test_100_continue_case_insensitive(srv):
	name = uname()
	with wsh.Conn(srv.port2) as c:
		c.send(req("POST", "/up/" + name, {"Content-Length": "2", "Expect": "100-Continue"}))
		assert c.read_response().status == 100
		c.send(b"hi")
		assert c.read_response().status in STORED_OK


def test_100_continue_chunked(srv):
	name = uname()
	with wsh.Conn(srv.port2) as c:
		c.send(req("POST", "/up/" + name, {"Transfer-Encoding": "chunked",
		                                   "Expect": "100-continue"}))
		assert c.read_response().status == 100
		c.send(chunked(b"chunk", b"ed"))
		assert c.read_response().status in STORED_OK
	assert (srv.tmp / "store2" / name).read_bytes() == b"chunked"


def test_expect_with_too_large_body_413_at_once(srv):
	with wsh.Conn(srv.port2) as c:
		c.send(req("POST", "/up/x.txt", {"Content-Length": "1000", "Expect": "100-continue"}))
		r = c.read_response()
		assert_error_response(r, 413)


def test_expect_with_disallowed_method_405_at_once(srv):
	with wsh.Conn(srv.port2) as c:
		c.send(req("POST", "/a.txt", {"Content-Length": "10", "Expect": "100-continue"}))
		r = c.read_response()
		assert_error_response(r, 405)


@pytest.mark.rfc("9110", "10.1.1", "MUST")
def test_expect_100_ignored_for_http10(srv):
	name = uname()
	with wsh.Conn(srv.port2) as c:
		c.send(b"POST /up/%s HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc"
		       % name.encode())
		r = c.read_response()
		assert r.status != 100, "100 Continue sent to an HTTP/1.0 client"
		assert r.status in STORED_OK


@pytest.mark.rfc("9110", "10.1.1", "MAY")
@pytest.mark.parametrize("value", ["something-else", "100-continue-please", "200-ok"])
def test_other_expectation_417(srv, value):
	r = ex(srv.port2, req("POST", "/up/x.txt", {"Content-Length": "0", "Expect": value}))
	assert_error_response(r, 417)


# -- errors after HEAD, error pages that cannot be served (on the mixed server) ----

@pytest.mark.rfc("9112", "6.3", "MUST")
def test_error_after_head_on_same_connection_has_its_body(mixed_srv):
	with mixed_srv.conn() as c:
		c.send(req("HEAD", "/a.txt") + b"GET /a.txt HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
		r1 = c.read_response("HEAD")
		assert r1.status == 200
		r2 = c.read_response("GET")
	assert_error_response(r2, 400)


@pytest.mark.rfc("9112", "6.3", "MUST")
def test_rejected_head_request_gets_no_content(mixed_srv):
	for bad in (b"HEAD /a.txt HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
	            b"HEAD /a.txt HTTP/1.1\r\nHost: x\r\nExpect: nothing\r\n\r\n"):
		with mixed_srv.conn() as c:
			c.send(bad)
			r = c.read_response("HEAD")
			assert r.status in (400, 417)
			closed, extra = c.wait_closed()
			assert extra == b"", "content after a response to HEAD: %r" % extra[:80]


def test_error_page_that_is_a_directory_falls_back(mixed_srv):
	"""error_page 403 names a directory: the built-in 403 page is sent,
	with the original status."""
	r = mex(mixed_srv, get("/noidx/"))
	assert_error_response(r, 403)
	assert b"a directory, not a page" not in r.body


def test_error_page_naming_a_script_never_shows_its_source(mixed_srv):
	"""`error_page 404 /cgi/edge.py;`: the script runs (nginx does an
	internal redirect) or the built-in page is sent; its source never is."""
	r = mex(mixed_srv, get("/dyn404/missing"))
	assert r.status == 404
	assert b"QUERY_STRING" not in r.body, "CGI source disclosed: %r" % r.body[:80]


@pytest.mark.rfc("9110", "15.5.6", "MUST")
def test_custom_405_page_keeps_the_targets_allow(mixed_srv):
	r = mex(mixed_srv, req("PATCH", "/up/x.txt"))
	assert r.status == 405 and r.body == b"<p>custom 405</p>"
	allow = {m.strip() for m in r.header("Allow", "").split(",")}
	assert {"GET", "PUT", "DELETE"} <= allow, r.header("Allow")


@pytest.mark.rfc("9110", "15.5.6", "MUST")
def test_custom_405_page_allow_present(mixed_srv):
	r = mex(mixed_srv, req("DELETE", "/a.txt"))
	assert r.status == 405 and r.body == b"<p>custom 405</p>"
	assert r.has("Allow")
