"""The connection cap (`max_connections`, an extension): past it, idle
keep-alive connections are closed to make room (test_hostile.py); when
every connection has a request in progress, new connections wait in the
kernel backlog and are served once a slot frees; the server never runs
out of descriptors and never crashes."""

import time

import pytest

import wsh
from wsh import req

CONF = """
max_connections 4;
server {
    listen 127.0.0.1:{port};
    root {root};
    keepalive_timeout 30s;
}
"""


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, files={"a.txt": b"alpha"})


def test_cap_queues_then_serves(srv):
	held = [wsh.Conn(srv.port, timeout=10) for _ in range(4)]
	try:
		# Each held connection has been accepted: it answers a request and
		# stays open (keep-alive) with the next request begun, so it is
		# never reclaimed as idle.
		for c in held:
			c.send(req("GET", "/a.txt"))
			assert c.read_response().body == b"alpha"
			c.send(b"GET /a.txt HTTP/1.1\r\n")
		time.sleep(0.3)  # the begun requests are read before the next accept
		extra = wsh.Conn(srv.port, timeout=10)
		extra.send(req("GET", "/a.txt", {"Connection": "close"}))
		# Over the cap: no answer while the four are held.
		with pytest.raises(wsh.ResponseTimeout):
			extra.read_response(timeout=1.0)
		held.pop().close()
		r = extra.read_response(timeout=wsh.T(5))
		assert (r.status, r.body) == (200, b"alpha")
		extra.close()
	finally:
		for c in held:
			c.close()


def test_cap_recovers_after_burst(srv):
	conns = [wsh.Conn(srv.port, timeout=10) for _ in range(40)]
	for c in conns:
		c.close()
	time.sleep(0.2)
	r = wsh.exchange(srv.port, req("GET", "/a.txt", {"Connection": "close"}))
	assert (r.status, r.body) == (200, b"alpha")


def test_bad_max_connections_is_a_config_error(make_env, run_bin):
	env = make_env("max_connections 0;\nserver { listen 127.0.0.1:{port}; root {root}; }\n")
	r = run_bin("-t", env.conf_path)
	assert r.returncode == 1
	assert r.stderr.startswith("webserv: %s:1: " % env.conf_path), r.stderr
