"""Timeouts: client_header_timeout (408, or a silent close of a connection
that never sent anything), client_body_timeout (408), keepalive_timeout
(silent close), send_timeout (close)."""

import os
import select
import time
import uuid

import pytest

import wsh
from procs import pid_alive, read_pid, wait_for
from wsh import req, get, assert_error_response

CONF = """
client_header_timeout 1s;
client_body_timeout 1s;
keepalive_timeout 1s;
send_timeout 1s;

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

server {
    listen 127.0.0.1:{port2};
    root {root};
    client_header_timeout 4s;
    keepalive_timeout 4s;
}
"""

HUGE_SIZE = 48 * 1024 * 1024
FILES = {"a.txt": b"alpha"}

# How early a timer may fire (clock granularity) and how late (event loop
# granularity, slow sanitizer builds): generous, the behaviour is what counts.
EARLY = 0.5
LATE = wsh.T(4.0)


@pytest.fixture(scope="module")
def srv(module_server):
	s = module_server(CONF, files=FILES, dirs=["store"])
	with open(s.root / "huge.bin", "wb") as f:
		f.write(b"h" * HUGE_SIZE)
	return s


def assert_no_partial(srv):
	"""Nothing but completed uploads (named slow-*) may be in the store."""
	deadline = time.monotonic() + wsh.T(3)
	while True:
		left = [f for f in os.listdir(srv.tmp / "store") if not f.startswith("slow-")]
		if not left or time.monotonic() > deadline:
			break
		time.sleep(0.1)
	assert left == [], "partial upload left behind: %r" % left


def timed_response(c, timeout):
	t0 = time.monotonic()
	r = c.read_response(timeout=timeout)
	return r, time.monotonic() - t0


def timed_close(c, timeout):
	t0 = time.monotonic()
	closed, extra = c.wait_closed(timeout)
	return closed, extra, time.monotonic() - t0


# -- client_header_timeout ------------------------------------------------------------

@pytest.mark.parametrize("partial", [
	b"GET /a.txt HTTP/1.1\r\nHost: x\r\n",
	b"GET /a.txt HTTP/1.1\r\n",
	b"GE",
	b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Partial: ab",
])
def test_header_timeout_408(srv, partial):
	with srv.conn(timeout=10) as c:
		c.send(partial)
		r, dt = timed_response(c, 1 + LATE)
		assert_error_response(r, 408)
		assert dt >= 1 - EARLY, "408 after only %.2fs with a 1s timeout" % dt
		wsh.assert_closed_after(c, "a 408")


def test_header_timeout_counts_whole_head(srv):
	"""Bytes trickling in do not restart the header timer."""
	head = b"GET /a.txt HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"s" * 200
	with srv.conn(timeout=10) as c:
		t0 = time.monotonic()
		got = False
		for i in range(len(head)):
			if not c.send(head[i:i + 1]):
				break
			rl, _, _ = select.select([c.sock], [], [], 0.2)
			if rl:
				got = True
				break
			if time.monotonic() - t0 > 1 + LATE + 1:
				break
		assert got, "no response although the head took %.1fs (timeout 1s)" % (
			time.monotonic() - t0)
		r = c.read_response()
		assert r.status == 408
		assert time.monotonic() - t0 < 1 + LATE


def test_idle_new_connection_closed_silently(srv):
	with srv.conn(timeout=10) as c:
		closed, extra, dt = timed_close(c, 1 + LATE)
	assert closed, "an idle new connection was not closed"
	assert extra == b"", "bytes sent on an idle new connection: %r" % extra[:200]
	assert dt >= 1 - EARLY


def test_header_timer_per_server_block(srv):
	"""port2's server has client_header_timeout 4s: not closed after 1.5s."""
	with wsh.Conn(srv.port2, timeout=10) as c:
		c.send(b"GET /a.txt HTTP/1.1\r\n")
		assert c.still_open(1.5)
		c.send(b"Host: x\r\n\r\n")
		assert c.read_response().body == b"alpha"


# -- keepalive_timeout ----------------------------------------------------------------

def test_keepalive_timeout_closes_silently(srv):
	with srv.conn(timeout=10) as c:
		c.send(get("/a.txt"))
		assert c.read_response().body == b"alpha"
		closed, extra, dt = timed_close(c, 1 + LATE)
	assert closed, "idle keep-alive connection not closed"
	assert extra == b"", "bytes sent on keep-alive timeout: %r" % extra[:200]
	assert dt >= 1 - EARLY


def test_keepalive_not_closed_early(srv):
	with wsh.Conn(srv.port2, timeout=10) as c:
		c.send(get("/a.txt"))
		assert c.read_response().body == b"alpha"
		time.sleep(1.5)
		c.send(get("/a.txt"))
		assert c.read_response().body == b"alpha"


def test_keepalive_after_several_requests(srv):
	with srv.conn(timeout=10) as c:
		for _ in range(3):
			c.send(get("/a.txt"))
			assert c.read_response().body == b"alpha"
			time.sleep(0.2)
		closed, extra, _ = timed_close(c, 1 + LATE)
	assert closed and extra == b""


# -- client_body_timeout ---------------------------------------------------------------

def test_body_timeout_408_content_length(srv):
	name = "bt-" + uuid.uuid4().hex[:10] + ".txt"
	with srv.conn(timeout=10) as c:
		c.send(req("POST", "/up/" + name, {"Content-Length": "100"}, b"0123456789"))
		r, dt = timed_response(c, 1 + LATE)
		assert_error_response(r, 408)
		assert dt >= 1 - EARLY
		wsh.assert_closed_after(c, "a body 408")
	assert_no_partial(srv)


def test_body_timeout_408_chunked(srv):
	name = "bt-" + uuid.uuid4().hex[:10] + ".txt"
	with srv.conn(timeout=10) as c:
		c.send(req("POST", "/up/" + name, {"Transfer-Encoding": "chunked"}, b"5\r\nhel"))
		r, _ = timed_response(c, 1 + LATE)
		assert_error_response(r, 408)
		assert c.is_closed()
	assert_no_partial(srv)


def test_body_timeout_waits_for_no_data(srv):
	"""Body bytes every 0.3s keep a body alive past the 1s timeout."""
	name = "slow-" + uuid.uuid4().hex[:10] + ".txt"
	body = b"012345"
	with srv.conn(timeout=10) as c:
		c.send(req("POST", "/up/" + name, {"Content-Length": str(len(body))}))
		for i in range(len(body)):
			time.sleep(0.3)
			assert c.send(body[i:i + 1])
		r = c.read_response()
	assert r.status in (200, 201, 204), r
	assert (srv.tmp / "store" / name).read_bytes() == body


# -- send_timeout ---------------------------------------------------------------------

def test_send_timeout_closes(srv):
	with wsh.Conn(srv.port, rcvbuf=4096, timeout=20) as c:
		c.send(get("/huge.bin"))
		# others are served while this client does not read
		t0 = time.monotonic()
		assert srv.get("/a.txt").content == b"alpha"
		# send_timeout is 1s: 3.5s of not reading is well past it
		time.sleep(max(0.0, 3.5 - (time.monotonic() - t0)))
		closed, data = c.wait_closed(timeout=20)
	assert closed
	assert len(data) < HUGE_SIZE, "the whole response arrived: send_timeout not applied"
	assert srv.get("/a.txt").content == b"alpha"


def test_server_still_serving(srv):
	assert srv.get("/a.txt").content == b"alpha"


# -- a 408 after a HEAD ------------------------------------------------------

@pytest.mark.rfc("9112", "6.3", "MUST")
def test_408_after_head_on_same_connection_has_its_body(server):
	s = server("client_header_timeout 1s;\nserver { listen 127.0.0.1:{port}; root {root}; }",
	           files={"a.txt": b"alpha"})
	with s.conn() as c:
		c.send(req("HEAD", "/a.txt") + b"GET /a.txt HTTP/1.1\r\nHost: x\r\n")
		assert c.read_response("HEAD").status == 200
		r = c.read_response("GET", timeout=10)
	assert_error_response(r, 408)


# -- timeouts set at the top, server and location levels ---------------------

# Tells a 500 ms timer from a 1 s one (the two levels of TIME_CONF).
EARLY_FINE = 0.3

TIME_CONF = """
client_header_timeout 500ms;
cgi_timeout 1s;
keepalive_timeout 1m;
send_timeout 2h;
server {
    listen 127.0.0.1:{port};
    root {root};
    location /cgi/ { cgi .py /usr/bin/python3; }
    location /up {
        allow_methods PUT;
        upload_store {tmp}/store;
        alias {tmp}/store;
        client_body_timeout 1s;
    }
    location /upslow {
        allow_methods PUT;
        upload_store {tmp}/store;
        alias {tmp}/store;
    }
}
server {
    listen 127.0.0.1:{port2};
    root {root};
    client_header_timeout 1s;
    client_body_timeout 1s;
    keepalive_timeout 1s;
    send_timeout 1s;
    location /up {
        allow_methods PUT;
        upload_store {tmp}/store;
        alias {tmp}/store;
    }
}
"""


@pytest.fixture(scope="module")
def tsrv(module_server, cgi_scripts):
	files = {"a.txt": b"alpha"}
	files.update(cgi_scripts("hang.py"))
	s = module_server(TIME_CONF, files=files, dirs=["store"])
	with open(s.root / "huge.bin", "wb") as f:
		f.truncate(64 << 20)
	return s


def test_top_level_header_timeout_500ms(tsrv):
	with tsrv.conn(timeout=10) as c:
		c.send(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n")
		t0 = time.monotonic()
		r = c.read_response(timeout=LATE)
		dt = time.monotonic() - t0
		assert_error_response(r, 408)
		assert dt >= 0.5 - EARLY_FINE
		assert c.is_closed()


def test_server_header_timeout_overrides_top(tsrv):
	with wsh.Conn(tsrv.port2, timeout=10) as c:
		c.send(b"GET /a.txt HTTP/1.1\r\n")
		t0 = time.monotonic()
		r = c.read_response(timeout=LATE)
		dt = time.monotonic() - t0
	assert_error_response(r, 408)
	assert dt >= 1.0 - EARLY_FINE, "the top-level 500ms applied instead of the server's 1s"


def test_keepalive_one_minute_is_not_one_millisecond(tsrv):
	with tsrv.conn(timeout=10) as c:
		c.send(get("/a.txt"))
		assert c.read_response().body == b"alpha"
		assert c.still_open(1.5)
		c.send(get("/a.txt"))
		assert c.read_response().body == b"alpha"


def test_server_keepalive_1s_closes_silently(tsrv):
	with wsh.Conn(tsrv.port2, timeout=10) as c:
		c.send(get("/a.txt"))
		assert c.read_response().body == b"alpha"
		closed, extra = c.wait_closed(1 + LATE)
	assert closed and extra == b""


@pytest.mark.parametrize("port_name,path", [("port", "/up/"), ("port2", "/up/")],
                         ids=["location", "server"])
def test_body_timeout_at_location_and_server_level(tsrv, port_name, path):
	name = "bt-%s.txt" % uuid.uuid4().hex[:8]
	with wsh.Conn(tsrv.ports[port_name], timeout=10) as c:
		c.send(req("PUT", path + name, {"Content-Length": "100"}, b"0123456789"))
		t0 = time.monotonic()
		r = c.read_response(timeout=1 + LATE)
		dt = time.monotonic() - t0
		assert_error_response(r, 408)
		assert dt >= 1 - EARLY_FINE
		assert c.is_closed()
	assert not (tsrv.tmp / "store" / name).exists()
	assert [n for n in os.listdir(tsrv.tmp / "store") if n.startswith(".")] == []


def test_body_timeout_default_elsewhere(tsrv):
	"""/upslow has no client_body_timeout: the default (60s) applies, so a
	pause of 1.5s in the body is fine."""
	name = "slow-%s.txt" % uuid.uuid4().hex[:8]
	with tsrv.conn(timeout=10) as c:
		c.send(req("PUT", "/upslow/" + name, {"Content-Length": "6"}, b"abc"))
		time.sleep(1.5)
		c.send(b"def")
		r = c.read_response()
	assert r.status == 201
	assert (tsrv.tmp / "store" / name).read_bytes() == b"abcdef"


def test_server_send_timeout(tsrv):
	with wsh.Conn(tsrv.port2, rcvbuf=4096, timeout=20) as c:
		c.send(get("/huge.bin"))
		time.sleep(3.0)
		closed, data = c.wait_closed(timeout=20)
	assert closed
	assert len(data) < (64 << 20), "the whole response arrived: send_timeout not applied"


def test_top_level_cgi_timeout(tsrv):
	tag = "t-%s" % uuid.uuid4().hex[:8]
	with tsrv.conn(timeout=15) as c:
		c.send(get("/cgi/hang.py?" + tag))
		t0 = time.monotonic()
		r = c.read_response(timeout=15)
		dt = time.monotonic() - t0
	assert_error_response(r, 504)
	assert dt < 1 + wsh.T(4)
	pid = read_pid(tsrv.root / "cgi" / "pids" / (tag + ".pid"))
	assert wait_for(lambda: not pid_alive(pid), wsh.T(3))
