"""Persistent connections, pipelining and Connection: close (RFC 9112
section 9)."""

import pytest


rfc = pytest.mark.rfc


@rfc("9112", "9.3", "MUST")
def test_http11_persists(t, www):
	with t.conn() as c:
		for target in ("/index.html", "/files/readme.txt", "/no-such-file.html"):
			c.send(t.req("GET", target))
			r = c.read_response()
			assert "close" not in r.tokens("Connection"), r
		assert c.still_open(), "HTTP/1.1 connection closed without Connection: close"


@rfc("9112", "9.3.2", "MUST")
def test_pipelined_in_order(t, www):
	targets = ["/files/readme.txt", "/index.html", "/no-such-file.html", "/files/data.json",
	           "/files/readme.txt"]
	with t.conn() as c:
		c.send(b"".join(t.req("GET", x) for x in targets))
		rs = c.read_responses(len(targets))
	for target, r in zip(targets, rs):
		if target.startswith("/no-such"):
			assert r.status == 404, r
		else:
			assert r.status == 200 and r.body == (www / target[1:]).read_bytes(), (target, r)


@rfc("9112", "9.3.2", "MUST")
def test_pipelined_head_and_get(t, www):
	with t.conn() as c:
		c.send(t.req("HEAD", "/index.html") + t.req("GET", "/files/readme.txt")
		       + t.req("HEAD", "/files/readme.txt"))
		r1, r2, r3 = c.read_responses(["HEAD", "GET", "HEAD"])
	assert r1.status == 200 and r3.status == 200
	assert r2.body == (www / "files/readme.txt").read_bytes()


@rfc("9112", "9.6", "MUST")
def test_connection_close_closes(t):
	with t.conn() as c:
		c.send(t.req("GET", "/index.html", [("Connection", "close")])
		       + t.req("GET", "/no-such-pipelined.html"))
		r = c.read_response()
		assert r.status == 200
		closed, extra = c.wait_closed(3.0)
	assert extra == b"", "a request after Connection: close was answered: %r" % extra[:200]
	assert closed, "connection still open after Connection: close"


@rfc("9112", "9.6", "SHOULD")
def test_connection_close_echoed(t):
	r, closed, _ = t.exchange_close(t.req("GET", "/index.html", [("Connection", "close")]))
	assert "close" in r.tokens("Connection"), r.headers


@rfc("9112", "9.3", "MUST")
def test_http10_closes_by_default(t):
	r, closed, extra = t.exchange_close(t.req("GET", "/index.html", version="HTTP/1.0"))
	assert r.status == 200 and closed and extra == b""


@rfc("9112", "9.3", "MAY")
def test_http10_keep_alive(t, www):
	with t.conn() as c:
		for _ in range(2):
			c.send(t.req("GET", "/files/readme.txt", [("Connection", "keep-alive")],
			             version="HTTP/1.0"))
			r = c.read_response()
			assert r.status == 200 and r.body == (www / "files/readme.txt").read_bytes()
			assert "keep-alive" in r.tokens("Connection"), r.headers


@rfc("9112", "9.3", "MUST")
def test_persists_after_404(t):
	with t.conn() as c:
		c.send(t.req("GET", "/no-such-file.html"))
		assert c.read_response().status == 404
		c.send(t.req("GET", "/index.html"))
		assert c.read_response().status == 200
