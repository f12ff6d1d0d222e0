"""Persistent connections, pipelining, Connection: close, HTTP/1.0."""

import hashlib
import os

import pytest

import wsh
from mixed import assert_second_ok
from wsh import req, get, chunked

CONF = """
server {
    listen 127.0.0.1:{port};
    root {root};
}
"""

BIG = os.urandom(1024 * 1024 + 17)
FILES = {
	"a.txt": b"alpha",
	"b.txt": b"beta",
	"c.txt": b"gamma",
	"big.bin": BIG,
	"empty.txt": b"",
}


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, files=FILES)


@pytest.mark.rfc("9112", "9.3", "MUST")
def test_http11_persistent_by_default(srv):
	with srv.conn() as c:
		for _ in range(3):
			c.send(get("/a.txt"))
			r = c.read_response()
			assert (r.status, r.body) == (200, b"alpha")
			assert "close" not in r.connection_tokens()
		assert c.still_open(0.3)


@pytest.mark.rfc("9112", "9.3.2", "MUST")
def test_pipelined_responses_in_order(srv):
	names = ["a", "b", "c", "b", "a"]
	with srv.conn() as c:
		c.send(b"".join(get("/%s.txt" % n) for n in names))
		rs = c.read_responses(len(names))
	want = {"a": b"alpha", "b": b"beta", "c": b"gamma"}
	assert [r.body for r in rs] == [want[n] for n in names]
	assert all(r.status == 200 for r in rs)


@pytest.mark.rfc("9112", "9.3.2", "MUST")
def test_pipelined_mixed_methods_and_errors(srv):
	data = (get("/a.txt") + req("HEAD", "/big.bin") + get("/missing.txt")
	        + req("HEAD", "/nope") + req("DELETE", "/a.txt") + get("/empty.txt")
	        + get("/c.txt"))
	with srv.conn() as c:
		c.send(data)
		rs = c.read_responses(["GET", "HEAD", "GET", "HEAD", "DELETE", "GET", "GET"])
	assert [r.status for r in rs] == [200, 200, 404, 404, 405, 200, 200]
	assert rs[0].body == b"alpha"
	assert rs[1].body == b"" and rs[1].header("Content-Length") == str(len(BIG))
	assert rs[5].body == b""
	assert rs[6].body == b"gamma"


def test_pipelined_large_responses(srv):
	with srv.conn() as c:
		c.send(get("/big.bin") * 3 + get("/a.txt"))
		rs = c.read_responses(4, timeout=30)
	for r in rs[:3]:
		assert r.status == 200
		assert hashlib.sha256(r.body).digest() == hashlib.sha256(BIG).digest()
	assert rs[3].body == b"alpha"


def test_many_pipelined(srv):
	n = 100
	with srv.conn() as c:
		c.send(b"".join(get("/%s.txt" % "abc"[i % 3]) for i in range(n)))
		rs = c.read_responses(n, timeout=20)
	want = [b"alpha", b"beta", b"gamma"]
	assert [r.body for r in rs] == [want[i % 3] for i in range(n)]


def test_pipelined_split_at_odd_places(srv):
	data = get("/a.txt") + get("/b.txt") + get("/c.txt")
	with srv.conn() as c:
		c.send_slowly(data, chunk=5, delay=0.002)
		rs = c.read_responses(3)
	assert [r.body for r in rs] == [b"alpha", b"beta", b"gamma"]


@pytest.mark.rfc("9112", "9.6", "MUST")
@pytest.mark.parametrize("value", ["close", "Close", "CLOSE", "keep-alive, close", "close, foo"])
def test_connection_close(srv, value):
	with srv.conn() as c:
		c.send(req("GET", "/a.txt", {"Connection": value}))
		r = c.read_response()
		assert r.body == b"alpha"
		assert "close" in r.connection_tokens(), r.headers
		wsh.assert_closed_after(c, "Connection: close")


@pytest.mark.rfc("9112", "9.6", "MUST")
def test_connection_close_ignores_following_pipelined(srv):
	with srv.conn() as c:
		c.send(req("GET", "/a.txt", {"Connection": "close"}) + get("/b.txt"))
		r = c.read_response()
		assert r.body == b"alpha"
		closed, extra = c.wait_closed()
		assert closed and extra == b"", extra[:200]


def test_connection_close_on_error_response(srv):
	with srv.conn() as c:
		c.send(req("GET", "/missing", {"Connection": "close"}))
		r = c.read_response()
		assert r.status == 404
		assert "close" in r.connection_tokens()
		wsh.assert_closed_after(c)


def test_error_keeps_connection(srv):
	"""A 404 or 405 does not end a persistent connection."""
	with srv.conn() as c:
		c.send(get("/missing"))
		assert c.read_response().status == 404
		c.send(req("POST", "/a.txt", {"Content-Length": "0"}))
		assert c.read_response().status == 405
		c.send(get("/a.txt"))
		assert c.read_response().body == b"alpha"


@pytest.mark.rfc("9112", "9.3", "MUST")
def test_http10_closes_by_default(srv):
	with srv.conn() as c:
		c.send(b"GET /a.txt HTTP/1.0\r\n\r\n")
		r = c.read_response()
		assert r.body == b"alpha"
		assert "keep-alive" not in r.connection_tokens()
		wsh.assert_closed_after(c, "an HTTP/1.0 request")


@pytest.mark.rfc("9110", "2.5", "SHOULD")
def test_http10_response_version_11(srv):
	r = wsh.exchange(srv.port, b"GET /a.txt HTTP/1.0\r\n\r\n")
	assert r.version == "HTTP/1.1"


@pytest.mark.rfc("9112", "9.3", "MAY")
def test_http10_keep_alive(srv):
	"""Keep-alive for HTTP/1.0 is optional; if the server says keep-alive the
	connection must work for another request, otherwise it must close."""
	with srv.conn() as c:
		c.send(b"GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		r = c.read_response()
		assert r.body == b"alpha"
		if "keep-alive" in r.connection_tokens():
			c.send(b"GET /b.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
			assert c.read_response().body == b"beta"
		else:
			wsh.assert_closed_after(c)


def test_http10_and_11_on_one_connection(srv):
	with srv.conn() as c:
		c.send(get("/a.txt") + b"GET /b.txt HTTP/1.0\r\n\r\n" + get("/c.txt"))
		r1 = c.read_response()
		r2 = c.read_response()
		assert (r1.body, r2.body) == (b"alpha", b"beta")
		closed, extra = c.wait_closed()
		assert closed and extra == b""


def test_response_has_content_length_on_keepalive(srv):
	"""Every response on a persistent connection is self-delimited."""
	with srv.conn() as c:
		for path in ("/a.txt", "/missing", "/empty.txt"):
			c.send(get(path))
			r = c.read_response()
			assert r.framing in ("length", "chunked"), (path, r.headers)


def test_sequential_connections(srv):
	for i in range(50):
		r = wsh.exchange(srv.port, req("GET", "/a.txt", {"Connection": "close"}))
		assert r.body == b"alpha"


def test_requests_session_reuse(srv):
	for _ in range(10):
		r = srv.get("/b.txt")
		assert r.status_code == 200 and r.content == b"beta"


# -- pipelined bodies and errors (on the mixed server) -----------------------

@pytest.mark.rfc("9112", "9.3.2", "MUST")
def test_pipelined_bodies_mixed_framing(mixed_srv):
	b1, b2 = b"first-body", b"second"
	data = (req("PUT", "/up/pipe1.txt", {"Content-Length": len(b1)}, b1)
	        + req("PUT", "/up/pipe2.txt", {"Transfer-Encoding": "chunked"}) + chunked(b"sec", b"ond")
	        + get("/up/pipe1.txt")
	        + req("POST", "/cgi/edge.py?echo", {"Content-Length": 3}, b"xyz")
	        + req("DELETE", "/up/pipe1.txt", {"Content-Length": 2}, b"zz")
	        + get("/up/pipe2.txt")
	        + get("/up/pipe1.txt"))
	with mixed_srv.conn() as c:
		c.send(data)
		rs = c.read_responses(7)
	assert [r.status for r in rs] == [201, 201, 200, 200, 204, 200, 404], rs
	assert rs[2].body == b1 and rs[3].body == b"xyz" and rs[5].body == b2


@pytest.mark.rfc("9112", "9.3.2", "MUST")
@pytest.mark.parametrize("first", [
	req("POST", "/a.txt", {"Content-Length": 5}, b"GET /"),
	req("PATCH", "/a.txt", {"Transfer-Encoding": "chunked"}) + chunked(b"GET /r.txt HTTP/1.1\r\n\r\n"),
	req("FOO", "/a.txt", {"Content-Length": 5}, b"abcde"),
	req("PUT", "/up/", {"Content-Length": 4}, b"GET "),
])
def test_error_with_body_then_pipelined(mixed_srv, first):
	"""An error answered before the body was read: the connection either
	closes or goes on with the right next request; the body is never
	taken for a request."""
	with mixed_srv.conn() as c:
		c.send(first + get("/a.txt"))
		r1 = c.read_response()
		assert 400 <= r1.status < 600
		try:
			r2 = c.read_response(timeout=3)
		except wsh.ConnectionClosed:
			assert "close" in r1.connection_tokens(), r1.headers
			return
	assert_second_ok(r2)
