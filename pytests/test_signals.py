"""Signals: SIGTERM/SIGINT end the server with status 0 within 5 seconds,
whatever the clients are doing; SIGPIPE never kills it."""

import os
import signal
import socket
import time

import pytest

import wsh
from wsh import req, get

CONF = """
server {
    listen 127.0.0.1:{port};
    root {root};
    location /up {
        allow_methods GET POST PUT;
        upload_store {tmp}/store;
        alias {tmp}/store;
        client_max_body_size 0;
    }
}
"""

HUGE = 32 * 1024 * 1024
LIMIT = 5.0


def start(server, huge=False):
	srv = server(CONF, files={"a.txt": b"alpha"}, dirs=["store"])
	if huge:
		with open(srv.root / "huge.bin", "wb") as f:
			f.write(b"h" * HUGE)
	return srv


def stop_in_time(srv, sig):
	"""Send sig (None: already sent) and require exit 0 within LIMIT."""
	t0 = time.monotonic()
	problems = srv.stop(sig=sig, timeout=wsh.T(LIMIT) if wsh.ASAN else LIMIT)
	dt = time.monotonic() - t0
	assert not problems, "\n".join(problems)
	assert srv.exit_code == 0
	return dt


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_signal_idle_exit_0(server, sig):
	srv = start(server)
	assert srv.get("/a.txt").content == b"alpha"
	stop_in_time(srv, sig)
	with pytest.raises(OSError):
		socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_signal_with_open_connections(server, sig):
	srv = start(server)
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


def test_sigterm_during_stalled_transfer(server):
	"""A client that stopped reading a huge response cannot hold the
	shutdown past 5 seconds."""
	srv = start(server, huge=True)
	c = wsh.Conn(srv.port, rcvbuf=4096)
	try:
		c.send(get("/huge.bin"))
		time.sleep(0.3)
		stop_in_time(srv, signal.SIGTERM)
	finally:
		c.close()


def test_sigterm_during_upload_leaves_no_partial_file(server):
	srv = start(server)
	c = srv.conn()
	try:
		c.send(req("POST", "/up/partial.bin", {"Content-Length": str(10 * 1024 * 1024)},
		           b"p" * 100000))
		time.sleep(0.3)
		stop_in_time(srv, signal.SIGTERM)
	finally:
		c.close()
	assert os.listdir(srv.tmp / "store") == []


def test_sigterm_twice(server):
	srv = start(server)
	os.kill(srv.pid, signal.SIGTERM)
	try:
		os.kill(srv.pid, signal.SIGTERM)
	except ProcessLookupError:
		pass
	stop_in_time(srv, None)


def test_sigterm_while_busy(server):
	"""Many requests in flight at the moment of SIGTERM."""
	srv = start(server)
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


def test_sigpipe_from_reset_clients(server):
	srv = start(server, huge=True)
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


def test_sigpipe_from_closed_reader(server):
	"""The client closes (FIN) after reading part of the response: further
	writes get EPIPE."""
	srv = start(server, huge=True)
	for _ in range(10):
		c = srv.conn()
		c.send(get("/huge.bin") + get("/huge.bin"))
		c.sock.recv(1000)
		c.close()
	time.sleep(0.3)
	assert srv.alive()
	assert srv.get("/a.txt").content == b"alpha"


def test_sigpipe_signal_ignored(server):
	srv = start(server)
	os.kill(srv.pid, signal.SIGPIPE)
	time.sleep(0.3)
	assert srv.alive(), "SIGPIPE killed the server"
	assert srv.get("/a.txt").content == b"alpha"
