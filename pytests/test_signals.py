"""Signals: SIGTERM/SIGINT end the server with status 0 within 5 seconds,
whatever the clients are doing; SIGPIPE never kills it."""

import os
import signal
import socket
import time
import uuid

import pytest

import wsh
from procs import pid_alive, wait_for
from wsh import req, get

HUGE = 32 * 1024 * 1024
HUGE_CGI_TESTS = 64 * 1024 * 1024
LIMIT = 5.0


def stop_in_time(srv, sig):
	"""Send sig (None: already sent) and require exit 0 within LIMIT."""
	t0 = time.monotonic()
	problems = srv.stop(sig=sig, timeout=wsh.T(LIMIT) if wsh.ASAN else LIMIT)
	dt = time.monotonic() - t0
	assert not problems, "\n".join(problems)
	assert srv.exit_code == 0
	return dt


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_signal_idle_exit_0(store_server, sig):
	srv = store_server()
	assert srv.get("/a.txt").content == b"alpha"
	stop_in_time(srv, sig)
	with pytest.raises(OSError):
		socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_signal_with_open_connections(store_server, sig):
	srv = store_server()
	keep = srv.conn()
	keep.send(get("/a.txt"))
	assert keep.read_response().body == b"alpha"
	partial = srv.conn()
	partial.send(b"GET /a.txt HTTP/1.1\r\nHo")
	silent = srv.conn()
	try:
		stop_in_time(srv, sig)
		for c in (keep, partial, silent):
			assert c.is_closed(2), "a connection outlived the server"
	finally:
		for c in (keep, partial, silent):
			c.close()


def test_sigterm_during_stalled_transfer(store_server):
	"""A client that stopped reading a huge response cannot hold the
	shutdown past 5 seconds."""
	srv = store_server(huge=HUGE)
	c = wsh.Conn(srv.port, rcvbuf=4096)
	try:
		c.send(get("/huge.bin"))
		time.sleep(0.3)
		stop_in_time(srv, signal.SIGTERM)
	finally:
		c.close()


def test_sigterm_during_upload_leaves_no_partial_file(store_server):
	srv = store_server()
	c = srv.conn()
	try:
		c.send(req("POST", "/up/partial.bin", {"Content-Length": str(10 * 1024 * 1024)},
		           b"p" * 100000))
		time.sleep(0.3)
		stop_in_time(srv, signal.SIGTERM)
	finally:
		c.close()
	assert os.listdir(srv.tmp / "store") == []


def test_sigterm_twice(store_server):
	srv = store_server()
	os.kill(srv.pid, signal.SIGTERM)
	try:
		os.kill(srv.pid, signal.SIGTERM)
	except ProcessLookupError:
		pass
	stop_in_time(srv, None)


def test_sigterm_while_busy(store_server):
	"""Many requests in flight at the moment of SIGTERM."""
	srv = store_server()
	conns = []
	try:
		for _ in range(20):
			c = srv.conn()
			c.send(get("/a.txt") * 20)
			conns.append(c)
		stop_in_time(srv, signal.SIGTERM)
	finally:
		for c in conns:
			c.close()


def test_sigpipe_from_reset_clients(store_server):
	srv = store_server(huge=HUGE)
	for i in range(30):
		c = srv.conn()
		c.send(get("/huge.bin"))
		if i % 3 == 0:
			c.recv_all(timeout=0.05)
		c.abort()
	assert srv.alive()
	for _ in range(5):
		assert srv.get("/a.txt").content == b"alpha"
	assert srv.alive()


def test_sigpipe_from_closed_reader(store_server):
	"""The client closes (FIN) after reading part of the response: further
	writes get EPIPE."""
	srv = store_server(huge=HUGE)
	for _ in range(10):
		c = srv.conn()
		c.send(get("/huge.bin") + get("/huge.bin"))
		c.sock.recv(1000)
		c.close()
	time.sleep(0.3)
	assert srv.alive()
	assert srv.get("/a.txt").content == b"alpha"


def test_sigpipe_signal_ignored(store_server):
	srv = store_server()
	os.kill(srv.pid, signal.SIGPIPE)
	time.sleep(0.3)
	assert srv.alive(), "SIGPIPE killed the server"
	assert srv.get("/a.txt").content == b"alpha"


# -- SIGTERM in the middle of uploads ----------------------------------------

def test_sigterm_during_multipart_after_first_file(store_server):
	"""The first file of a multipart POST is complete, the second is half
	sent: SIGTERM.  Exit 0 in time, and nothing of the request stays."""
	srv = store_server()
	b = b"XyZbOuNdArY"
	head = (b"--" + b + b"\r\nContent-Disposition: form-data; name=\"a\"; filename=\"one.txt\"\r\n\r\n"
	        + b"1" * 5000 + b"\r\n--" + b
	        + b"\r\nContent-Disposition: form-data; name=\"b\"; filename=\"two.txt\"\r\n\r\n"
	        + b"2" * 70000)
	c = srv.conn()
	try:
		c.send(req("POST", "/up/", {"Content-Type": "multipart/form-data; boundary=" + b.decode(),
		                            "Content-Length": len(head) + 1000000}, head))
		time.sleep(wsh.T(0.5))
		stop_in_time(srv, signal.SIGTERM)
	finally:
		c.close()
	assert os.listdir(srv.tmp / "store") == []


def test_sigterm_during_put_replacing_a_file(store_server):
	srv = store_server()
	(srv.tmp / "store" / "keep.txt").write_bytes(b"old content")
	c = srv.conn()
	try:
		c.send(req("PUT", "/up/keep.txt", {"Transfer-Encoding": "chunked"})
		       + b"10000\r\n" + b"n" * 40000)
		time.sleep(wsh.T(0.5))
		stop_in_time(srv, signal.SIGTERM)
	finally:
		c.close()
	assert os.listdir(srv.tmp / "store") == ["keep.txt"]
	assert (srv.tmp / "store" / "keep.txt").read_bytes() == b"old content"


# -- SIGINT during downloads, uploads and scripts ----------------------------

def test_sigint_during_slow_download(store_server):
	"""A client reading a 64 MiB file slowly: exit 0 within 5 seconds
	(SIGTERM: test_sigterm_during_stalled_transfer)."""
	sig = signal.SIGINT
	srv = store_server(scripts=["multi.py"], huge=HUGE_CGI_TESTS)
	c = wsh.Conn(srv.port, rcvbuf=8192, timeout=10)
	try:
		c.send(get("/huge.bin"))
		c.sock.recv(4096)
		time.sleep(0.2)
		dt = stop_in_time(srv, sig)
		assert dt <= wsh.T(5)
	finally:
		c.close()


@pytest.mark.parametrize("kind", ["multipart", "chunked_put"])
def test_sigint_during_upload_leaves_nothing(store_server, kind):
	srv = store_server(scripts=["multi.py"], huge=HUGE_CGI_TESTS)
	bnd = "SigBoundary"
	if kind == "multipart":
		head = (b"--" + bnd.encode() + b'\r\nContent-Disposition: form-data; name="a"; '
		        b'filename="done.txt"\r\n\r\n' + b"d" * 3000 + b"\r\n--" + bnd.encode()
		        + b'\r\nContent-Disposition: form-data; name="b"; filename="half.txt"\r\n\r\n'
		        + b"h" * 200000)
		data = req("POST", "/up/", {"Content-Type": "multipart/form-data; boundary=" + bnd,
		                            "Content-Length": str(len(head) + 500000)}, head)
	elif kind == "chunked_put":
		data = req("PUT", "/up/put.bin", {"Transfer-Encoding": "chunked"}) \
			+ b"100000\r\n" + b"p" * 300000
	else:
		raise AssertionError(kind)
	c = srv.conn()
	try:
		c.send(data)
		time.sleep(wsh.T(0.4))
		stop_in_time(srv, signal.SIGINT)
	finally:
		c.close()
	assert os.listdir(srv.tmp / "store") == []


def test_sigint_kills_cgi_and_its_children(store_server):
	"""A running script that started a child of its own: after SIGINT the
	server exits 0 and neither process is left."""
	sig = signal.SIGINT
	srv = store_server(scripts=["multi.py"], huge=HUGE_CGI_TESTS)
	tag = "g-%s" % uuid.uuid4().hex[:8]
	c = srv.conn(timeout=10)
	try:
		c.send(get("/cgi/multi.py?grandchild=" + tag))
		p = srv.root / "cgi" / "pids" / (tag + ".pid")
		assert wait_for(p.exists, wsh.T(5)), "the script did not start"
		pid, kid = (int(x) for x in p.read_text().split())
		assert pid_alive(pid) and pid_alive(kid)
		stop_in_time(srv, sig)
	finally:
		c.close()
	assert wait_for(lambda: not pid_alive(pid), wsh.T(3)), "script survived the shutdown"
	alive = wait_for(lambda: not pid_alive(kid), wsh.T(3))
	if not alive:
		os.kill(kid, signal.SIGKILL)
	assert alive, "the script's own child survived the shutdown"


def test_sigterm_with_cgi_streaming_output(store_server):
	"""A script in the middle of a slow chunked answer: exit 0 in time; the
	client sees either the whole answer or a connection closed before
	the final chunk (never a complete-looking truncated body)."""
	srv = store_server(scripts=["multi.py"], huge=HUGE_CGI_TESTS)
	c = srv.conn(timeout=10)
	try:
		c.send(get("/cgi/multi.py?slowbody"))
		time.sleep(0.5)
		stop_in_time(srv, signal.SIGTERM)
		try:
			r = c.read_response(timeout=5)
		except (wsh.ConnectionClosed, wsh.ProtocolError):
			return
		assert r.body == b"x" * 100000
	finally:
		c.close()
