"""`events poll|epoll;`: the event backend the server runs on, and the same
service on both while connections come, sit idle, reset and go in one
burst (descriptor numbers freed and reused by accept within one pass)."""

import os

import pytest

import wsh
from wsh import get

CONF = """{events}
server {
    listen 127.0.0.1:{port};
    root {root};
}
"""

FILES = {"a.txt": b"alpha", "k.bin": b"k" * 1024}


def epoll_fds(pid):
	"""How many epoll instances the process holds open."""
	n = 0
	for fd in os.listdir("/proc/%d/fd" % pid):
		try:
			n += os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "anon_inode:[eventpoll]"
		except OSError:
			pass
	return n


@pytest.mark.parametrize("backend", ["poll", "epoll"])
def test_backend_in_use(server, backend):
	srv = server(CONF.replace("{events}", "events %s;" % backend), files=FILES)
	assert srv.get("/a.txt").content == b"alpha"
	assert epoll_fds(srv.pid) == (1 if backend == "epoll" else 0)
	srv.stop_check()


def test_default_backend(server):
	"""Without the directive: epoll on Linux (unless the suite runs with
	WEBSERV_EVENTS, which writes the directive in)."""
	srv = server(CONF.replace("{events}", ""), files=FILES)
	want = os.environ.get("WEBSERV_EVENTS") or "epoll"
	assert srv.get("/a.txt").content == b"alpha"
	assert epoll_fds(srv.pid) == (1 if want == "epoll" else 0)
	srv.stop_check()


def _open(port, n):
	conns = []
	for _ in range(n):
		c = wsh.Conn(port)
		conns.append(c)
		c.send(get("/k.bin"))
	for c in conns:
		r = c.read_response()
		assert r.status == 200 and r.body == b"k" * 1024
	return conns


@pytest.mark.parametrize("backend", ["poll", "epoll"])
def test_idle_crowd_and_churn(server, backend):
	srv = server(CONF.replace("{events}", "events %s;" % backend), files=FILES)
	idle = _open(srv.port, 300)
	resets, fins, keep = idle[:100], idle[100:200], idle[200:]
	# In one burst: resets, closes and new clients (whose sockets take the
	# numbers just freed), each new one with a request in flight.
	fresh = []
	for i in range(100):
		resets[i].abort()
		fins[i].close()
		c = wsh.Conn(srv.port)
		c.send(get("/a.txt"))
		fresh.append(c)
	for c in fresh:
		r = c.read_response()
		assert r.status == 200 and r.body == b"alpha"
	# The idle ones that stayed are still served, on the same connection.
	for c in keep:
		c.send(get("/a.txt"))
	for c in keep:
		r = c.read_response()
		assert r.status == 200 and r.body == b"alpha"
	for c in keep + fresh:
		c.close()
	assert srv.get("/a.txt").content == b"alpha"
	srv.stop_check()
