"""Expect: 100-continue (RFC 9110 10.1.1) with every kind of body sink:
a CGI script, a multipart or raw upload and a PUT; bodies by length and
chunked; a client that waits for the 100 and one that does not; any case
of the expectation; and the next request pipelined behind the body.

Whatever the combination, the sink receives exactly the body and the next
request on the connection is answered."""

import hashlib
import json

import pytest

import wsh

from wsh import req, get, chunked

ECHO = b"""#!/usr/bin/env python3
import hashlib, os, sys
data = sys.stdin.buffer.read()
out = ("%d %s %s" % (len(data), hashlib.sha256(data).hexdigest(),
       os.environ.get("CONTENT_LENGTH", "-"))).encode()
sys.stdout.buffer.write(b"Content-Type: text/plain\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(out) + out)
"""

CONF = """
server {
    listen 127.0.0.1:{port};
    server_name localhost;
    root {root};
    location /cgi/ {
        allow_methods GET HEAD POST;
        cgi .py /usr/bin/python3;
    }
    location /up/ {
        allow_methods GET HEAD POST PUT DELETE;
        alias {tmp}/store;
        upload_store {tmp}/store;
    }
}
"""

BODY = b"hello, world!"  # 13 bytes, the example


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, files={"cgi/echo.py": ECHO, "a.txt": b"alpha\n"},
	                     dirs=["store"])


def framed(body, how):
	"""(extra headers, encoded body) for a body sent by length or chunked."""
	if how == "length":
		return [("Content-Length", str(len(body)))], body
	half = len(body) // 2
	return [("Transfer-Encoding", "chunked")], chunked(body[:half], body[half:])


def multipart(name, data, boundary="XyZzY"):
	return (b"--" + boundary.encode() + b"\r\n"
	        b'Content-Disposition: form-data; name="f"; filename="' + name.encode() + b'"\r\n'
	        b"Content-Type: application/octet-stream\r\n\r\n" + data +
	        b"\r\n--" + boundary.encode() + b"--\r\n")


def sink_request(srv, sink, how, expect, tag):
	"""The request head, its encoded body, and a check of the final response."""
	if sink == "cgi":
		hdrs, body = framed(BODY, how)
		head = req("POST", "/cgi/echo.py", hdrs + [("Expect", expect)])

		def check(r):
			assert r.status == 200, r
			n, digest, cl = r.body.decode().split()
			assert int(n) == len(BODY) and digest == hashlib.sha256(BODY).hexdigest(), r.body
			assert cl == str(len(BODY))
		return head, body, check
	if sink == "multipart":
		name = "mp-%s.bin" % tag
		hdrs, body = framed(multipart(name, BODY), how)
		head = req("POST", "/up/", hdrs + [("Expect", expect),
		                                 ("Content-Type", "multipart/form-data; boundary=XyZzY")])
	elif sink == "raw":
		name = "raw-%s.bin" % tag
		hdrs, body = framed(BODY, how)
		head = req("POST", "/up/" + name, hdrs + [("Expect", expect)])
	else:
		name = "put-%s.bin" % tag
		hdrs, body = framed(BODY, how)
		head = req("PUT", "/up/" + name, hdrs + [("Expect", expect)])

	def check_file(r):
		assert r.status == 201, r
		assert (srv.env.tmp / "store" / name).read_bytes() == BODY
	return head, body, check_file


SINKS = ["cgi", "multipart", "raw", "put"]
FRAMINGS = ["length", "chunked"]
EXPECTS = ["100-continue", "100-CONTINUE", "100-Continue"]


@pytest.mark.rfc("9110", "10.1.1", "MUST")
@pytest.mark.parametrize("expect", EXPECTS)
@pytest.mark.parametrize("how", FRAMINGS)
@pytest.mark.parametrize("sink", SINKS)
def test_waits_for_100_then_sends_body(srv, sink, how, expect):
	tag = "w-%s-%s" % (how, expect)
	head, body, check = sink_request(srv, sink, how, expect, tag)
	with wsh.Conn(srv.port) as c:
		c.send(head)
		r = c.read_response()
		assert r.status == 100, r
		c.send(body)
		check(c.read_response())
		# The connection goes on.
		c.send(get("/a.txt"))
		r = c.read_response()
		assert r.status == 200 and r.body == b"alpha\n"


@pytest.mark.parametrize("how", FRAMINGS)
@pytest.mark.parametrize("sink", SINKS)
def test_body_sent_without_waiting(srv, sink, how):
	"""A client may send the body at once (RFC 9110 10.1.1): a 100 before
	the final response is fine, the body is still exactly the body."""
	head, body, check = sink_request(srv, sink, how, "100-continue", "nw-" + how)
	with wsh.Conn(srv.port) as c:
		c.send(head + body)
		r = c.read_response()
		if r.status == 100:
			r = c.read_response()
		check(r)
		c.send(get("/a.txt"))
		assert c.read_response().status == 200


@pytest.mark.parametrize("how", FRAMINGS)
@pytest.mark.parametrize("sink", SINKS)
def test_next_request_pipelined_behind_body(srv, sink, how):
	"""The 100, then the body and the next request in one write: both
	requests are answered, in order."""
	head, body, check = sink_request(srv, sink, how, "100-continue", "pl-" + how)
	with wsh.Conn(srv.port) as c:
		c.send(head)
		assert c.read_response().status == 100
		c.send(body + get("/a.txt"))
		check(c.read_response())
		r = c.read_response()
		assert r.status == 200 and r.body == b"alpha\n"


@pytest.mark.parametrize("how", FRAMINGS)
def test_cgi_body_in_pieces_after_100(srv, how):
	"""The body trickles in after the 100: the script still gets all of it."""
	hdrs, body = framed(BODY * 50, how)
	with wsh.Conn(srv.port) as c:
		c.send(req("POST", "/cgi/echo.py", hdrs + [("Expect", "100-continue")]))
		assert c.read_response().status == 100
		c.send_slowly(body, chunk=97, delay=0.01)
		r = c.read_response()
		assert r.status == 200
		n, digest, _ = r.body.decode().split()
		assert int(n) == len(BODY) * 50
		assert digest == hashlib.sha256(BODY * 50).hexdigest()


def test_cgi_pipelined_cgi_requests(srv):
	"""Two CGI POSTs with Expect back to back on one connection."""
	with wsh.Conn(srv.port) as c:
		for _ in range(2):
			c.send(req("POST", "/cgi/echo.py", [("Content-Length", "13"),
			                                   ("Expect", "100-continue")]))
			assert c.read_response().status == 100
			c.send(BODY)
			r = c.read_response()
			assert r.status == 200 and r.body.startswith(b"13 ")


# -- HTTP/1.0 and Expect (on the mixed server) -------------------------------

@pytest.mark.rfc("9110", "10.1.1", "MUST")
def test_expect_100_http10_body_sent_anyway(mixed_srv):
	"""HTTP/1.0 + Expect: 100-continue is ignored: no interim response,
	the body that follows is read normally."""
	with mixed_srv.conn() as c:
		c.send(b"PUT /up/e10.txt HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc")
		r = c.read_response()
	assert r.status == 201
	assert (mixed_srv.store / "e10.txt").read_bytes() == b"abc"
