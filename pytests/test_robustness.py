"""Robustness: slow clients, endless heads, many idle connections, garbage,
clients vanishing mid-exchange: the server keeps serving everyone else."""

import random
import select
import socket
import threading
import time

import pytest

import wsh
from wsh import req, get

CONF = """
server {
    listen 127.0.0.1:{port};
    root {root};
    client_header_timeout 2s;
    location /up {
        allow_methods GET POST;
        upload_store {tmp}/store;
        alias {tmp}/store;
        client_max_body_size 0;
    }
}
server {
    listen 127.0.0.1:{port2};
    root {root};
}
"""

BIG = b"B" * (1024 * 1024)
FILES = {"a.txt": b"alpha", "big.bin": BIG}


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, files=FILES, dirs=["store"])


def served(srv, port=None, timeout=5):
	"""A normal request on a fresh connection is answered in time."""
	r = wsh.exchange(port or srv.port, req("GET", "/a.txt", {"Connection": "close"}),
	                 timeout=timeout)
	assert (r.status, r.body) == (200, b"alpha")


def test_slowloris_one_byte_per_second(srv):
	head = b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"z" * 100
	conns = [srv.conn(timeout=15) for _ in range(10)]
	try:
		done = {}
		t0 = time.monotonic()
		i = 0
		while len(done) < len(conns) and time.monotonic() - t0 < 2 + wsh.T(5):
			for k, c in enumerate(conns):
				if k not in done:
					c.send(head[i:i + 1])
			i += 1
			served(srv)  # others are served meanwhile
			rl, _, _ = select.select([c.sock for k, c in enumerate(conns) if k not in done],
			                         [], [], 1.0)
			for s in rl:
				k = [c.sock for c in conns].index(s)
				done[k] = conns[k].read_response()
		assert len(done) == len(conns), "slow heads not timed out after %.1fs" % (
			time.monotonic() - t0)
		assert all(r.status == 408 for r in done.values()), [r.status for r in done.values()]
	finally:
		for c in conns:
			c.close()
	served(srv)


def test_head_that_never_ends_fields(srv):
	"""Endless valid field lines: 431 (too many fields / too large), then close."""
	with srv.conn(timeout=10) as c:
		c.send(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n")
		sent = 0
		while sent < 4 * 1024 * 1024:
			if not c.send(b"X-More: %d\r\n" % sent):
				break
			sent += 1
			if sent % 100 == 0:
				rl, _, _ = select.select([c.sock], [], [], 0)
				if rl:
					break
		r = c.read_response()
		assert r.status == 431, r
		assert c.is_closed()
	served(srv)


def test_head_that_never_ends_one_line(srv):
	with srv.conn(timeout=10) as c:
		c.send(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Endless: ")
		for _ in range(200):
			if not c.send(b"y" * 1024):
				break
			rl, _, _ = select.select([c.sock], [], [], 0)
			if rl:
				break
		r = c.read_response()
		assert r.status == 431, r
		assert c.is_closed()
	served(srv)


def test_endless_empty_lines(srv):
	"""Only CRLFs: ignored, rejected or timed out; never a hang of others."""
	with srv.conn(timeout=10) as c:
		for _ in range(100):
			if not c.send(b"\r\n" * 1000):
				break
		served(srv)
	served(srv)


@pytest.mark.slow
def test_head_dribbled_byte_by_byte(srv):
	"""A 32 KB head sent one byte per segment: each read scans only the
	bytes new since the last one (the head is not parsed again from its
	start), a normal request on another connection is answered promptly
	meanwhile, and the dribbled head is answered in full at the end."""
	head = (b"GET /a.txt HTTP/1.1\r\nHost: x\r\n"
	        + b"".join(b"X-Pad-%02d: %s\r\n" % (i, b"v" * 300) for i in range(98)) + b"\r\n")
	assert 30000 < len(head) <= 32768
	out = {}

	def dribble():
		with wsh.Conn(srv.port2, timeout=30) as c:
			for i in range(len(head)):
				if not c.send(head[i:i + 1]):
					out["error"] = "closed at byte %d" % i
					return
				time.sleep(0.00005)
			out["r"] = c.read_response()

	t = threading.Thread(target=dribble)
	t.start()
	try:
		checks = 0
		t0 = time.monotonic()
		while t.is_alive() and time.monotonic() - t0 < wsh.T(60):
			served(srv, srv.port2, timeout=5)
			checks += 1
			time.sleep(0.2)
	finally:
		t.join(wsh.T(60))
	assert not t.is_alive()
	assert "error" not in out, out
	assert checks > 0
	r = out["r"]
	assert (r.status, r.body) == (200, b"alpha"), r


@pytest.mark.slow
def test_1000_idle_connections(srv):
	conns = []
	try:
		for i in range(1000):
			c = wsh.Conn(srv.port2, timeout=10)
			kind = i % 4
			if kind == 1:
				c.send(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n")
			elif kind == 2:
				c.send(b"GE")
			elif kind == 3:
				c.send(get("/a.txt"))
			conns.append(c)
		t0 = time.monotonic()
		served(srv, port=srv.port2, timeout=5)
		served(srv, port=srv.port, timeout=5)
		dt = time.monotonic() - t0
		assert dt < wsh.T(5), "a request took %.1fs with 1000 idle connections" % dt
		# the keep-alive ones got their responses
		for c in conns[3::4][:50]:
			assert c.read_response().body == b"alpha"
	finally:
		for c in conns:
			c.close()
	served(srv, port=srv.port2)
	# and after they all left, plenty of new ones are fine
	for _ in range(20):
		served(srv, port=srv.port2)


RNG = random.Random(1234)
GARBAGE = [
	("random", bytes(RNG.getrandbits(8) for _ in range(4096))),
	("tls_client_hello", bytes.fromhex("16030100a5010000a10303") + bytes(RNG.getrandbits(8) for _ in range(160))),
	("nuls", b"\x00" * 2048),
	("high_bytes", b"\xff\xfe" * 1024 + b"\r\n\r\n"),
	("ssh_banner", b"SSH-2.0-OpenSSH_9.0\r\n"),
	("no_spaces_line", b"A" * 20000 + b"\r\n\r\n"),
	("only_spaces", b" " * 5000 + b"\r\n\r\n"),
	("header_garbage", b"GET / HTTP/1.1\r\n" + bytes(RNG.getrandbits(8) for _ in range(2000)) + b"\r\n\r\n"),
	("binary_method", b"\x01\x02\x03 / HTTP/1.1\r\nHost: x\r\n\r\n"),
	("utf8_method", "GËT / HTTP/1.1\r\nHost: x\r\n\r\n".encode()),
	("lf_only_junk", b"\n" * 5000),
	("cr_only", b"\r" * 5000),
	("http2_preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
]


@pytest.mark.parametrize("data", [g[1] for g in GARBAGE], ids=[g[0] for g in GARBAGE])
def test_garbage(srv, data):
	with srv.conn() as c:
		c.send(data)
		got = c.recv_all(timeout=1.0)
	if got:
		assert got.startswith(b"HTTP/1.1 "), got[:100]
		status = int(got[9:12])
		assert status in (400, 408, 414, 431, 501, 505), got[:200]
		assert b"\r\n\r\n" in got
	served(srv)


def test_client_vanishes_mid_head(srv):
	for _ in range(20):
		c = srv.conn()
		c.send(b"GET /a.txt HTTP/1.1\r\nHo")
		c.abort()
	served(srv)


def test_client_vanishes_mid_body(srv):
	for i in range(10):
		c = srv.conn()
		c.send(req("POST", "/up/vanish%d.bin" % i, {"Content-Length": "100000"}, b"x" * 5000))
		if i % 2:
			c.abort()
		else:
			c.close()
	served(srv)
	deadline = time.monotonic() + wsh.T(3)
	while True:
		left = [f.name for f in (srv.tmp / "store").iterdir()]
		if not left or time.monotonic() > deadline:
			break
		time.sleep(0.1)
	assert left == [], "partial uploads left behind: %r" % left


def test_client_vanishes_mid_response(srv):
	for i in range(20):
		c = srv.conn()
		c.send(get("/big.bin") * 3)
		if i % 2:
			time.sleep(0.01)
		c.abort()
	served(srv)


def test_client_that_never_reads(srv):
	"""A client that pipelines many big requests and never reads does not
	block anyone else."""
	c = wsh.Conn(srv.port, rcvbuf=4096)
	try:
		c.sock.setblocking(False)
		data = get("/big.bin") * 200
		try:
			c.sock.send(data)
		except (BlockingIOError, OSError):
			pass
		for _ in range(5):
			served(srv)
	finally:
		c.abort()
	served(srv)


def test_concurrent_clients(srv):
	errors = []

	def worker(n):
		try:
			with srv.conn(timeout=20) as c:
				for k in range(20):
					path = "/a.txt" if (n + k) % 4 else "/big.bin"
					c.send(get(path))
					r = c.read_response()
					want = b"alpha" if path == "/a.txt" else BIG
					if r.status != 200 or r.body != want:
						errors.append((n, k, r.status))
		except Exception as e:  # noqa: BLE001 - collected and reported below
			errors.append((n, repr(e)))

	threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
	for t in threads:
		t.start()
	for t in threads:
		t.join(wsh.T(60))
	assert errors == []


def test_many_short_connections(srv):
	for _ in range(200):
		s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
		s.close()
	for _ in range(100):
		served(srv)


def test_server_still_serving(srv):
	served(srv)
	served(srv, port=srv.port2)
