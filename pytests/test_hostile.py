"""Robustness under hostile load: the connection cap reclaims idle
keep-alive connections, CGI processes are bounded and their process
groups always killed, no quadratic work a client can trigger, crash-safe
uploads, no write through a symlink, stored files kept inert.

A "normal request during the attack" is checked with a generous bound: it
tests behaviour, not speed.
"""

import os
import signal
import socket
import threading
import time

import pytest

import wsh
from wsh import req, get

PY = "/usr/bin/python3"
PROMPT = wsh.T(8)  # generous bound for "answered promptly"


def _get_ok(srv, path="/index.html", timeout=PROMPT):
	t0 = time.monotonic()
	with wsh.Conn(srv.port, timeout=timeout) as c:
		c.send(get(path))
		r = c.read_response()
	return r, time.monotonic() - t0


# -- 1. the connection cap ---------------------------------------------------

CAP_CONF = """
max_connections 8;
server {
    listen 127.0.0.1:{port};
    root {root};
    keepalive_timeout 60s;
    client_header_timeout 60s;
}
"""


def test_idle_keepalive_reclaimed_at_cap(server):
	srv = server(CAP_CONF, files={"index.html": "hello\n"})
	idle = []
	try:
		# One connection with a request begun (never reclaimed), the
		# others each served one request and now idle on keep-alive.
		busy = wsh.Conn(srv.port)
		busy.send(b"GET /index.html HTTP/1.1\r\nHost: x\r\n")
		for _ in range(7):
			c = wsh.Conn(srv.port)
			c.send(get("/index.html"))
			assert c.read_response().status == 200
			idle.append(c)
		# Three more clients, each beyond the cap: answered at once.
		for _ in range(3):
			r, dt = _get_ok(srv)
			assert r.status == 200 and r.body == b"hello\n"
			assert dt < PROMPT
		# The connection with a request in progress was kept.
		busy.send(b"\r\n")
		r = busy.read_response()
		assert r.status == 200
		busy.close()
		# The oldest idle ones went first.
		assert idle[0].is_closed(2.0)
		log = srv.stderr_text()
		assert log.count("max_connections (8) reached") == 1, log
	finally:
		for c in idle:
			c.close()


def test_cap_without_idle_connections_waits(server):
	"""Connections with a request begun are never closed to make room: a
	new client waits in the backlog until one ends."""
	srv = server(CAP_CONF.replace("max_connections 8", "max_connections 2"),
	             files={"index.html": "hello\n"})
	a = wsh.Conn(srv.port)
	b = wsh.Conn(srv.port)
	a.send(b"GET /index.html HTTP/1.1\r\nHost: x\r\n")
	b.send(b"GET /index.html HTTP/1.1\r\nHost: x\r\n")
	time.sleep(0.3)
	n = wsh.Conn(srv.port)
	n.send(get("/index.html"))
	with pytest.raises(wsh.ResponseTimeout):
		n.read_response(timeout=1.0)
	a.send(b"Connection: close\r\n\r\n")
	assert a.read_response().status == 200
	assert n.read_response().status == 200
	b.send(b"\r\n")
	assert b.read_response().status == 200
	for c in (a, b, n):
		c.close()


# -- 3. CGI processes are bounded / 5. the process group is killed ---------

CGI_CONF = """
cgi_max_processes 2;
server {
    listen 127.0.0.1:{port};
    root {root};
    location /cgi/ {
        allow_methods GET POST;
        cgi .py /usr/bin/python3;
        cgi_timeout 10s;
    }
    location /q/ {
        allow_methods GET POST;
        cgi .py /usr/bin/python3;
        cgi_timeout 1s;
    }
}
"""

COUNT_PY = r"""
import os, sys, time
d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "running")
os.makedirs(d, exist_ok=True)
me = os.path.join(d, str(os.getpid()))
open(me, "w").close()
n = len(os.listdir(d))
time.sleep(0.8)
os.unlink(me)
sys.stdout.write("Content-Type: text/plain\r\n\r\n%d\n" % n)
"""

# Holds its slot for about 2.5 s while talking (so no cgi_timeout).
STREAM_PY = r"""
import sys, time
sys.stdout.write("Content-Type: text/plain\r\n\r\n")
sys.stdout.flush()
for i in range(10):
    sys.stdout.write("%d\n" % i)
    sys.stdout.flush()
    time.sleep(0.25)
"""

MARK_PY = r"""
import os, sys
q = os.environ.get("QUERY_STRING", "x")
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "mark-" + q), "w").close()
sys.stdout.write("Content-Type: text/plain\r\n\r\nmarked\n")
"""

BG_PY = r"""
import os, subprocess, sys
p = subprocess.Popen(["sleep", "300"], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
sys.stdout.write("Content-Type: text/plain\r\n\r\n%d\n" % p.pid)
"""


def _cgi_server(server, conf=CGI_CONF):
	return server(conf, files={"index.html": "hello\n", "cgi/count.py": COUNT_PY,
	                           "cgi/stream.py": STREAM_PY, "q/stream.py": STREAM_PY,
	                           "q/mark.py": MARK_PY, "cgi/mark.py": MARK_PY,
	                           "cgi/bg.py": BG_PY})


def test_cgi_processes_bounded(server):
	srv = _cgi_server(server)
	results = []

	def one():
		with wsh.Conn(srv.port, timeout=20) as c:
			c.send(get("/cgi/count.py"))
			results.append(c.read_response())

	threads = [threading.Thread(target=one) for _ in range(6)]
	for t in threads:
		t.start()
	# A static request is not held up by the queue.
	r, dt = _get_ok(srv)
	assert r.status == 200
	for t in threads:
		t.join(wsh.T(30))
	assert len(results) == 6
	assert all(r.status == 200 for r in results), [r.status for r in results]
	seen = [int(r.body) for r in results]
	assert max(seen) <= 2, seen


def test_cgi_queue_503_after_timeout(server):
	srv = _cgi_server(server, CGI_CONF.replace("cgi_max_processes 2", "cgi_max_processes 1"))
	a = wsh.Conn(srv.port, timeout=10)
	a.send(get("/q/stream.py"))
	time.sleep(0.3)
	t0 = time.monotonic()
	with wsh.Conn(srv.port, timeout=10) as b:
		b.send(get("/q/mark.py?late"))
		r = b.read_response()
	assert r.status == 503
	assert r.header("Retry-After") == "1"
	assert b"<html" in r.body.lower()
	assert time.monotonic() - t0 >= 0.8
	assert a.read_response().status == 200
	a.close()
	assert not (srv.root / "q" / "mark-late").exists()


def test_cgi_waiting_client_gone_never_starts(server):
	srv = _cgi_server(server, CGI_CONF.replace("cgi_max_processes 2", "cgi_max_processes 1"))
	a = wsh.Conn(srv.port, timeout=10)
	a.send(get("/cgi/stream.py"))
	time.sleep(0.3)
	b = wsh.Conn(srv.port)
	b.send(get("/cgi/mark.py?gone"))
	time.sleep(0.2)
	b.abort()
	assert a.read_response().status == 200
	a.close()
	# The slot is free again: the next request runs its script.
	r, _ = _get_ok(srv, "/cgi/mark.py?next")
	assert r.status == 200
	assert (srv.root / "cgi" / "mark-next").exists()
	assert not (srv.root / "cgi" / "mark-gone").exists()


def _gone(pid):
	try:
		with open("/proc/%d/stat" % pid) as f:
			return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
	except OSError:
		return True


def test_cgi_background_child_killed(server):
	srv = _cgi_server(server, CGI_CONF.replace("cgi_max_processes 2;", ""))
	with wsh.Conn(srv.port) as c:
		c.send(get("/cgi/bg.py"))
		r = c.read_response()
		assert r.status == 200
		pid = int(r.body)
		# Let the server reap the script before the exchange ends.
		time.sleep(0.5)
		c.send(get("/index.html"))
		assert c.read_response().status == 200
	try:
		deadline = time.monotonic() + wsh.T(5)
		while not _gone(pid) and time.monotonic() < deadline:
			time.sleep(0.05)
		assert _gone(pid), "the script's background child survived"
	finally:
		if not _gone(pid):
			os.kill(pid, signal.SIGKILL)
