"""PROXY protocol (HAProxy's send-proxy / send-proxy-v2) on a
`listen ... proxy_protocol;` address: the header comes first, its source
address is the client's for CGI and the access log; anything else on
that address closes the connection (logged); a header on a plain
address is just a bad request."""

import socket
import struct
import time

import wsh
from procs import wait_for

SIG = b"\r\n\r\n\x00\r\nQUIT\n"

ENV_SH = b"""#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\nREMOTE_ADDR=%s\\nREMOTE_PORT=%s\\n' "$REMOTE_ADDR" "$REMOTE_PORT"
"""

CONF = """
server {
    listen 127.0.0.1:{port} proxy_protocol;
    listen 127.0.0.1:{port2};
    root {root};
    access_log {tmp}/access.log;
    client_header_timeout 2s;
    location /cgi/ {
        cgi .sh /bin/sh;
    }
}
"""

REQ = b"GET /cgi/env.sh HTTP/1.1\r\nHost: a\r\n\r\n"


def v2(cmd=0x21, fam=0x11, addr=b"", tlv=b""):
	body = addr + tlv
	return SIG + bytes([cmd, fam]) + struct.pack("!H", len(body)) + body


def v2_inet(src, dst, sport, dport, tlv=b""):
	a = socket.inet_pton(socket.AF_INET, src) + socket.inet_pton(socket.AF_INET, dst)
	return v2(0x21, 0x11, a + struct.pack("!HH", sport, dport), tlv)


def v2_inet6(src, dst, sport, dport):
	a = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
	return v2(0x21, 0x21, a + struct.pack("!HH", sport, dport))


def start(server):
	return server(CONF, files={"cgi/env.sh": ENV_SH, "a.txt": b"alpha"})


def env_of(resp):
	assert resp.status == 200, resp.status
	return dict(line.split("=", 1) for line in resp.body.decode().split())


def ask(srv, data, port=None):
	c = wsh.Conn(port or srv.port)
	try:
		c.send(data)
		return c.read_response()
	finally:
		c.close()


def closed_silently(srv, data, timeout=5.0):
	"""data sent on the proxy address: the server closes without a byte."""
	s = socket.create_connection(("127.0.0.1", srv.port), timeout=wsh.T(timeout))
	try:
		s.sendall(data)
		got = b""
		while True:
			try:
				chunk = s.recv(4096)
			except ConnectionResetError:
				break
			if not chunk:
				break
			got += chunk
		return got
	finally:
		s.close()


def access_lines(srv):
	p = srv.tmp / "access.log"
	return p.read_text().splitlines() if p.exists() else []


def test_v1_tcp4_is_the_client(server):
	srv = start(server)
	r = ask(srv, b"PROXY TCP4 203.0.113.7 192.0.2.1 4242 80\r\n" + REQ)
	assert env_of(r) == {"REMOTE_ADDR": "203.0.113.7", "REMOTE_PORT": "4242"}
	assert wait_for(lambda: any(l.startswith("203.0.113.7 - - [") and "/cgi/env.sh" in l
	                            for l in access_lines(srv)), wsh.T(5)), access_lines(srv)


def test_v1_tcp6(server):
	srv = start(server)
	r = ask(srv, b"PROXY TCP6 2001:db8::7 2001:db8::1 65535 443\r\n" + REQ)
	assert env_of(r) == {"REMOTE_ADDR": "2001:db8::7", "REMOTE_PORT": "65535"}


def test_v1_unknown_keeps_the_connection_address(server):
	srv = start(server)
	r = ask(srv, b"PROXY UNKNOWN\r\n" + REQ)
	assert env_of(r)["REMOTE_ADDR"] == "127.0.0.1"


def test_v2_inet_and_tlvs(server):
	srv = start(server)
	r = ask(srv, v2_inet("198.51.100.9", "192.0.2.1", 50123, 80,
	                     tlv=b"\x04\x00\x03abc" + b"\x02\x00\x04host") + REQ)
	assert env_of(r) == {"REMOTE_ADDR": "198.51.100.9", "REMOTE_PORT": "50123"}


def test_v2_inet6(server):
	srv = start(server)
	r = ask(srv, v2_inet6("2001:db8:1::2", "2001:db8::1", 1, 80) + REQ)
	assert env_of(r) == {"REMOTE_ADDR": "2001:db8:1::2", "REMOTE_PORT": "1"}


def test_ipv4_mapped_source_is_shown_as_ipv4(server):
	"""An IPv4 client of a balancer listening on IPv6 arrives as
	::ffff:a.b.c.d in a TCP6 / AF_INET6 header: the access log and CGI show
	it as IPv4, as webserv shows the peers of its own dual-stack listeners."""
	srv = start(server)
	r = ask(srv, v2_inet6("::ffff:203.0.113.8", "::1", 40000, 80) + REQ)
	assert env_of(r) == {"REMOTE_ADDR": "203.0.113.8", "REMOTE_PORT": "40000"}
	r = ask(srv, b"PROXY TCP6 ::ffff:cb00:7109 ::1 40001 80\r\n" + REQ)
	assert env_of(r) == {"REMOTE_ADDR": "203.0.113.9", "REMOTE_PORT": "40001"}
	assert wait_for(lambda: sum(l.startswith(("203.0.113.8 - - [", "203.0.113.9 - - ["))
	                            for l in access_lines(srv)) == 2, wsh.T(5)), access_lines(srv)


def test_v2_local_is_a_health_check(server):
	srv = start(server)
	r = ask(srv, v2(0x20, 0x00) + b"GET /a.txt HTTP/1.1\r\nHost: a\r\n\r\n")
	assert r.status == 200 and r.body == b"alpha"
	r = ask(srv, v2(0x20, 0x00) + REQ)
	assert env_of(r)["REMOTE_ADDR"] == "127.0.0.1"


def test_split_header_over_reads(server):
	srv = start(server)
	for data in (b"PROXY TCP4 203.0.113.8 192.0.2.1 7 80\r\n",
	             v2_inet("203.0.113.8", "192.0.2.1", 7, 80)):
		c = wsh.Conn(srv.port)
		try:
			# A byte at a time for the first bytes, then the rest with the request.
			for i in range(6):
				c.send(data[i:i + 1])
				time.sleep(0.03)
			c.send(data[6:-1])
			time.sleep(0.1)
			c.send(data[-1:] + REQ[:10])
			time.sleep(0.1)
			c.send(REQ[10:])
			assert env_of(c.read_response()) == {"REMOTE_ADDR": "203.0.113.8", "REMOTE_PORT": "7"}
			# The address holds for the whole connection; a second header
			# is not one: it is a bad request.
			c.send(REQ)
			assert env_of(c.read_response())["REMOTE_ADDR"] == "203.0.113.8"
			c.send(data + REQ)
			r = c.read_response()
			assert r.status == 400
		finally:
			c.close()


def test_garbage_closes_and_logs(server):
	srv = start(server)
	for bad in (b"GET /a.txt HTTP/1.1\r\nHost: a\r\n\r\n",
	            b"PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n" + REQ,
	            b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n" + REQ,
	            b"PROXY " + b"x" * 200,
	            SIG + b"\x22\x11\x00\x0c" + b"\x00" * 12 + REQ,
	            SIG + b"\x21\x11\xff\xff"):
		assert closed_silently(srv, bad) == b"", bad
	assert wait_for(lambda: srv.stderr_text().count("invalid PROXY protocol header") >= 6,
	                wsh.T(5)), srv.stderr_text()
	assert "GET /a.txt" not in "\n".join(access_lines(srv))
	# The server goes on.
	r = ask(srv, b"PROXY TCP4 203.0.113.7 192.0.2.1 4242 80\r\n" + REQ)
	assert env_of(r)["REMOTE_ADDR"] == "203.0.113.7"


def test_incomplete_header_times_out(server):
	srv = start(server)
	t0 = time.monotonic()
	assert closed_silently(srv, b"PROXY TCP4 1.2.3", timeout=10) == b""
	assert time.monotonic() - t0 >= 1.5  # client_header_timeout 2s
	assert wait_for(lambda: "no complete PROXY protocol header in time" in srv.stderr_text(),
	                wsh.T(5))


def test_header_on_a_plain_listener_is_a_bad_request(server):
	srv = start(server)
	r = ask(srv, b"PROXY TCP4 203.0.113.7 192.0.2.1 4242 80\r\n" + REQ, port=srv.port2)
	assert r.status == 400
	r = ask(srv, REQ, port=srv.port2)
	assert env_of(r)["REMOTE_ADDR"] == "127.0.0.1"
