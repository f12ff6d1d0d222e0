"""Persistent connections, pipelining and Connection: close (RFC 9112
section 9)."""

import pytest


rfc = pytest.mark.rfc


@rfc("9112", "9.3", "MUST")
def test_http11_persists(t, static):
	with t.conn() as c:
		for target in (static.path, static.path + "?x", "/no-such-file.html"):
			c.send(t.req("GET", target))
			r = c.read_response()
			assert "close" not in r.tokens("Connection"), r
		assert c.still_open(), "HTTP/1.1 connection closed without Connection: close"


@rfc("9112", "9.3.2", "MUST")
def test_pipelined_in_order(t, static):
	targets = [static.path, "/no-such-file.html", static.path + "?2", "/no-such-2.html",
	           static.path + "?3"]
	with t.conn() as c:
		c.send(b"".join(t.req("GET", x) for x in targets))
		rs = c.read_responses(len(targets))
	for target, r in zip(targets, rs):
		if target.startswith("/no-such"):
			assert r.status == 404, r
		else:
			assert r.status == 200 and r.body == static.body, (target, r)


@rfc("9112", "9.3.2", "MUST")
def test_pipelined_head_and_get(t, static):
	with t.conn() as c:
		c.send(t.req("HEAD", static.path) + t.req("GET", static.path)
		       + t.req("HEAD", static.path))
		r1, r2, r3 = c.read_responses(["HEAD", "GET", "HEAD"])
	assert r1.status == 200 and r3.status == 200
	assert r2.body == static.body


@rfc("9112", "9.6", "MUST")
def test_connection_close_closes(t, static):
	with t.conn() as c:
		c.send(t.req("GET", static.path, [("Connection", "close")])
		       + t.req("GET", "/no-such-pipelined.html"))
		r = c.read_response()
		assert r.status == 200
		closed, extra = c.wait_closed(3.0)
	assert extra == b"", "a request after Connection: close was answered: %r" % extra[:200]
	assert closed, "connection still open after Connection: close"


@rfc("9112", "9.6", "SHOULD")
def test_connection_close_echoed(t, static):
	r, closed, _ = t.exchange_close(t.req("GET", static.path, [("Connection", "close")]))
	assert "close" in r.tokens("Connection"), r.headers


@rfc("9112", "9.3", "MUST")
def test_http10_closes_by_default(t, static):
	r, closed, extra = t.exchange_close(t.req("GET", static.path, version="HTTP/1.0"))
	assert r.status == 200 and closed and extra == b""


@rfc("9112", "9.3", "MAY")
def test_http10_keep_alive(t, static):
	with t.conn() as c:
		for _ in range(2):
			c.send(t.req("GET", static.path, [("Connection", "keep-alive")],
			             version="HTTP/1.0"))
			r = c.read_response()
			assert r.status == 200 and r.body == static.body
			assert "keep-alive" in r.tokens("Connection"), r.headers


@rfc("9112", "9.3", "MUST")
def test_persists_after_404(t, static):
	with t.conn() as c:
		c.send(t.req("GET", "/no-such-file.html"))
		assert c.read_response().status == 404
		c.send(t.req("GET", static.path))
		assert c.read_response().status == 200
