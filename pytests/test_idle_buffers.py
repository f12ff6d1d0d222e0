"""Idle keep-alive connections hold no buffers: the input and output
buffers and the per-request workspace go back to a pool once a response
is out and no request byte is pending, and are taken again when the
next request comes.  Pipelined bytes already read are never lost across
that release; and many idle connections cost little memory."""

import hashlib
import os
import socket

import pytest

import wsh
from procs import vm_hwm_kib, vm_rss_kib, wait_for
from wsh import req, get

CONF = """
max_connections 2000;
server {
    listen 127.0.0.1:{port};
    root {root};
    location /up {
        allow_methods GET HEAD PUT POST;
        upload_store {tmp}/store;
        alias {tmp}/store;
        client_max_body_size 0;
    }
}
"""
FILES = {"a.txt": b"alpha\n", "b.txt": b"bravo bravo\n", "big.bin": bytes(range(256)) * 1024}


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, files=FILES, dirs=["store"])


def answered(s, path):
	"""Sends GET path on s and reads until its file's content has come."""
	s.sendall(get(path))
	data = b""
	while not data.endswith(FILES[path.lstrip("/")]):
		chunk = s.recv(4096)
		assert chunk, "closed"
		data += chunk

def test_requests_after_idle_periods(srv):
	"""Each request after the connection went idle gets fresh buffers:
	every answer is right, on one connection."""
	with wsh.Conn(srv.port) as c:
		for name in ["a.txt", "b.txt", "big.bin", "a.txt", "nothing", "b.txt"] * 3:
			c.send(get("/" + name))
			r = c.read_response()
			if name in FILES:
				assert r.status == 200 and r.body == FILES[name], name
			else:
				assert r.status == 404
		assert c.still_open()


def test_pipelined_requests_in_one_write(srv):
	"""Requests sent at once: the ones read with the first stay in the
	input buffer while the first response goes out."""
	names = ["a.txt", "big.bin", "b.txt", "a.txt", "b.txt"] * 4
	with wsh.Conn(srv.port) as c:
		c.send(b"".join(get("/" + n) for n in names))
		for n in names:
			r = c.read_response()
			assert r.status == 200 and r.body == FILES[n], n


def test_next_head_split_around_the_release(srv):
	"""A head whose first bytes arrive with the previous request and the
	rest after its response: nothing of it is dropped."""
	nxt = get("/b.txt")
	for cut in (1, 5, len(nxt) // 2, len(nxt) - 1):
		with wsh.Conn(srv.port) as c:
			c.send(get("/a.txt") + nxt[:cut])
			r = c.read_response()
			assert r.status == 200 and r.body == FILES["a.txt"]
			c.send(nxt[cut:])
			r = c.read_response()
			assert r.status == 200 and r.body == FILES["b.txt"], cut


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_request_pipelined_after_a_large_body(srv, framing):
	"""A PUT whose body fills the large body buffer, with the next request
	in the same write: the file is exact and the GET is answered."""
	data = os.urandom((3 << 20) + 12345)
	name = "pipe-%s-%s.bin" % (framing, os.urandom(4).hex())
	if framing == "length":
		put = req("PUT", "/up/" + name, [("Content-Length", str(len(data)))], data)
	else:
		pieces = [data[i:i + 700001] for i in range(0, len(data), 700001)]
		put = req("PUT", "/up/" + name, [("Transfer-Encoding", "chunked")], wsh.chunked(*pieces))
	with wsh.Conn(srv.port, timeout=30) as c:
		c.send(put + get("/a.txt") + get("/up/" + name))
		r = c.read_response()
		assert r.status == 201, r
		r = c.read_response()
		assert r.status == 200 and r.body == FILES["a.txt"]
		r = c.read_response(timeout=30)
		assert r.status == 200
		assert hashlib.sha256(r.body).digest() == hashlib.sha256(data).digest()
	assert (srv.env.tmp / "store" / name).read_bytes() == data


def test_idle_connections_cost_little_memory(srv):
	"""300 keep-alive connections that each completed a request, then
	idle: the server grows by far less than a buffer each (a 64 KiB output
	buffer, a 4 KiB input buffer and the request workspace were kept per
	connection before)."""
	if wsh.ASAN:
		pytest.skip("ASan's allocator changes the figures")
	n = 300
	# Warm up: the pool holds a set of buffers before the measurement.
	wsh.exchange(srv.port, get("/big.bin"))
	socks = []
	before = vm_rss_kib(srv.pid)
	try:
		for _ in range(n):
			s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
			answered(s, "/a.txt")
			socks.append(s)
		after = vm_rss_kib(srv.pid)
		per_conn = (after - before) * 1024 / n
		print("\nRSS per idle connection: %.0f bytes" % per_conn)
		assert per_conn < 4096, "%.0f bytes of RSS per idle connection" % per_conn
		# They all still work.
		for s in socks[::50]:
			answered(s, "/b.txt")
	finally:
		for s in socks:
			s.close()


def test_idle_clients_leaving_at_once_take_no_buffers(srv):
	"""300 idle clients close together: reading their EOF takes no
	buffers, so the server's peak memory does not jump (a workspace and
	an input buffer each would be some 10 MB)."""
	if wsh.ASAN:
		pytest.skip("ASan's allocator changes the figures")
	n = 300
	socks = []
	for _ in range(n):
		s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
		answered(s, "/a.txt")
		socks.append(s)
	fds = len(os.listdir("/proc/%d/fd" % srv.pid))
	before = vm_hwm_kib(srv.pid)
	for s in socks:
		s.close()
	assert wait_for(lambda: len(os.listdir("/proc/%d/fd" % srv.pid)) <= fds - n, 10)
	grown = vm_hwm_kib(srv.pid) - before
	print("\nVmHWM grew by %d KiB while %d idle clients left" % (grown, n))
	assert grown < 2048, "VmHWM grew by %d KiB" % grown
