"""A half-close is not an abort (RFC 9112 9.6): a client that sends a
complete request and then shuts down its sending side (`nc -N`, test
tools) still gets its answer, from a file or a CGI script, and every
request it pipelined before the FIN is answered.  The client counts as
gone only when a write fails or the connection is reset, and then a
running script is killed.  A FIN on an incomplete request still closes,
and idle connections whose client closed are still cleaned up."""

import os
import socket
import struct
import time
import uuid

import pytest

import wsh
from procs import pid_alive, read_pid, wait_for
from wsh import req, get, chunked

SLOW = b"""#!/usr/bin/env python3
import sys, time
time.sleep(float(__import__("os").environ.get("QUERY_STRING") or "0.5"))
sys.stdout.write("Content-Type: text/plain\\r\\n\\r\\nslow done\\n")
"""

ECHO = b"""#!/usr/bin/env python3
import sys
data = sys.stdin.buffer.read()
sys.stdout.buffer.write(b"Content-Type: text/plain\\r\\n\\r\\n" + b"got %d: " % len(data) + data)
"""

# Records its pid, then writes a line every 0.1 s for at most a minute.
STREAM = b"""#!/usr/bin/env python3
import os, sys, time
tag = os.environ.get("QUERY_STRING") or "stream"
os.makedirs("pids", exist_ok=True)
with open(os.path.join("pids", tag + ".tmp"), "w") as f:
    f.write(str(os.getpid()))
os.rename(os.path.join("pids", tag + ".tmp"), os.path.join("pids", tag + ".pid"))
sys.stdout.write("Content-Type: text/plain\\r\\n\\r\\n")
sys.stdout.flush()
for i in range(600):
    sys.stdout.write("line %d\\n" % i)
    sys.stdout.flush()
    time.sleep(0.1)
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
        allow_methods GET POST;
        alias {tmp}/store;
        upload_store {tmp}/store;
    }
}
"""


@pytest.fixture(scope="module")
def srv(module_server, cgi_scripts):
	files = {"a.txt": b"alpha\n", "big.bin": os.urandom(1 << 20),
	         "cgi/slow.py": SLOW, "cgi/echo.py": ECHO, "cgi/stream.py": STREAM}
	files.update(cgi_scripts("hang.py"))
	return module_server(CONF, files=files, dirs=["store"])


def half_closed(srv, data):
	c = wsh.Conn(srv.port, timeout=10)
	c.send(data)
	c.shutdown_write()
	return c


def open_sockets(pid):
	n = 0
	for fd in os.listdir("/proc/%d/fd" % pid):
		try:
			if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:"):
				n += 1
		except OSError:
			pass
	return n


@pytest.mark.rfc("9112", "9.6", "SHOULD")
def test_static_after_half_close(srv):
	with half_closed(srv, get("/a.txt")) as c:
		r = c.read_response()
		assert r.status == 200 and r.body == b"alpha\n"
		assert c.is_closed(), "the connection should end after the client's FIN"


def test_large_static_after_half_close(srv):
	with half_closed(srv, get("/big.bin")) as c:
		r = c.read_response(timeout=20)
		assert r.status == 200 and len(r.body) == 1 << 20


@pytest.mark.rfc("9112", "9.6", "SHOULD")
def test_cgi_after_half_close(srv):
	with half_closed(srv, get("/cgi/slow.py?0.5")) as c:
		r = c.read_response()
		assert r.status == 200 and r.body == b"slow done\n", r
		assert c.is_closed()


@pytest.mark.parametrize("how", ["length", "chunked"])
def test_cgi_post_after_half_close(srv, how):
	body = b"the whole body"
	if how == "length":
		data = req("POST", "/cgi/echo.py", {"Content-Length": str(len(body))}, body)
	else:
		data = req("POST", "/cgi/echo.py", {"Transfer-Encoding": "chunked"}, chunked(body[:5], body[5:]))
	with half_closed(srv, data) as c:
		r = c.read_response()
		assert r.status == 200 and r.body == b"got 14: the whole body", r


def test_cgi_http10_after_half_close(srv):
	with half_closed(srv, get("/cgi/slow.py?0.2", version="HTTP/1.0")) as c:
		r = c.read_response()
		assert r.status == 200 and r.body == b"slow done\n"


@pytest.mark.rfc("9112", "9.6", "SHOULD")
def test_pipelined_before_fin_all_answered(srv):
	data = (get("/cgi/slow.py?0.3") + get("/a.txt") +
	        req("POST", "/cgi/echo.py", {"Content-Length": "3"}, b"abc") + get("/cgi/slow.py?0"))
	with half_closed(srv, data) as c:
		r1, r2, r3, r4 = (c.read_response() for _ in range(4))
		assert (r1.status, r1.body) == (200, b"slow done\n")
		assert (r2.status, r2.body) == (200, b"alpha\n")
		assert (r3.status, r3.body) == (200, b"got 3: abc")
		assert (r4.status, r4.body) == (200, b"slow done\n")
		assert c.is_closed()


def test_upload_after_half_close(srv):
	name = "hc-%s.txt" % uuid.uuid4().hex[:8]
	with half_closed(srv, req("POST", "/up/" + name, {"Content-Length": "5"}, b"hello")) as c:
		r = c.read_response()
		assert r.status == 201
	assert (srv.env.tmp / "store" / name).read_bytes() == b"hello"


@pytest.mark.parametrize("data", [
	b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n",
	b"GET /cgi/slow.py HTT",
	req("POST", "/cgi/echo.py", {"Content-Length": "10"}, b"short"),
	req("POST", "/cgi/echo.py", {"Transfer-Encoding": "chunked"}, b"5\r\nhello\r\n"),
])
def test_fin_on_incomplete_request_closes(srv, data):
	with half_closed(srv, data) as c:
		closed, got = c.wait_closed(timeout=5)
		assert closed, "an incomplete request with a FIN must end the connection"
		assert b" 200 " not in got.split(b"\r\n", 1)[0]


def test_fin_on_incomplete_upload_stores_nothing(srv):
	name = "inc-%s.txt" % uuid.uuid4().hex[:8]
	with half_closed(srv, req("POST", "/up/" + name, {"Content-Length": "10"}, b"short")) as c:
		assert c.wait_closed(timeout=5)[0]
	assert not (srv.env.tmp / "store" / name).exists()


def test_pipelined_then_incomplete_answers_complete_ones(srv):
	with half_closed(srv, get("/a.txt") + b"GET /a.txt HTTP/1.1\r\nHo") as c:
		r = c.read_response()
		assert r.status == 200
		assert c.wait_closed(timeout=5)[0]


def test_idle_connections_closed_by_client_are_released(srv):
	"""Keep-alive connections whose client closed (after a response, or
	before sending anything) are released, not held."""
	# Let connections of earlier tests finish closing first.
	base, end = open_sockets(srv.pid), time.monotonic() + wsh.T(3)
	while time.monotonic() < end:
		time.sleep(0.3)
		now = open_sockets(srv.pid)
		if now == base:
			break
		base = now
	conns = []
	for i in range(10):
		c = wsh.Conn(srv.port)
		if i % 2 == 0:
			c.send(get("/a.txt"))
			assert c.read_response().status == 200
		conns.append(c)
	assert wait_for(lambda: open_sockets(srv.pid) >= base + 10, wsh.T(5))
	for c in conns:
		c.close()
	assert wait_for(lambda: open_sockets(srv.pid) <= base, wsh.T(5)), \
		"connections closed by their clients are still open in the server"


def test_reset_kills_script(srv):
	tag = "rst-%d" % os.getpid()
	c = wsh.Conn(srv.port)
	c.send(get("/cgi/hang.py?" + tag))
	pid = read_pid(srv.root / "cgi" / "pids" / (tag + ".pid"))
	c.abort()
	assert wait_for(lambda: not pid_alive(pid), wsh.T(5)), "the script outlived a reset"


def test_close_kills_streaming_script_when_write_fails(srv):
	"""A client that closed for good is noticed when a write fails: the
	streaming script is then killed."""
	tag = "fin-%d" % os.getpid()
	c = wsh.Conn(srv.port)
	c.send(get("/cgi/stream.py?" + tag))
	pid = read_pid(srv.root / "cgi" / "pids" / (tag + ".pid"))
	c.close()
	assert wait_for(lambda: not pid_alive(pid), wsh.T(8)), "the script outlived its client"


def test_half_close_keeps_silent_script(srv):
	"""A FIN alone is not an abort: a script that is still working after
	it is not killed, and its answer arrives."""
	tag = "half-%d" % os.getpid()
	with half_closed(srv, get("/cgi/slow.py?1.5")) as c:
		time.sleep(0.5)
		r = c.read_response()
		assert r.status == 200 and r.body == b"slow done\n"
	with half_closed(srv, get("/cgi/hang.py?" + tag)) as c:
		pid = read_pid(srv.root / "cgi" / "pids" / (tag + ".pid"))
		time.sleep(0.5)
		assert pid_alive(pid), "a half-close killed the script"
		c.abort()
	assert wait_for(lambda: not pid_alive(pid), wsh.T(5))


def test_server_still_serves(srv):
	assert wsh.exchange(srv.port, get("/a.txt")).status == 200
