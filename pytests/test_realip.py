"""set_real_ip_from / real_ip_header (nginx realip, real_ip_recursive on):
a trusted peer's X-Forwarded-For or X-Real-IP names the client for CGI
and the access log; from anyone else it is ignored; a malformed one is
logged and ignored, never a 500."""

import wsh
from procs import wait_for

ENV_SH = b"""#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\nREMOTE_ADDR=%s\\nREMOTE_PORT=%s\\n' "$REMOTE_ADDR" "$REMOTE_PORT"
"""

CONF = """
{realip}
server {
    listen 127.0.0.1:{port};
    listen 127.0.0.1:{port2} proxy_protocol;
    root {root};
    access_log {tmp}/access.log;
    location /cgi/ {
        cgi .sh /bin/sh;
    }
}
"""


def start(server, realip):
	return server(CONF.replace("{realip}", realip), files={"cgi/env.sh": ENV_SH})


def req(headers=()):
	h = "".join("%s: %s\r\n" % kv for kv in headers)
	return ("GET /cgi/env.sh HTTP/1.1\r\nHost: a\r\n%s\r\n" % h).encode()


def env_of(r):
	assert r.status == 200, r.status
	return dict(line.split("=", 1) for line in r.body.decode().split())


def ask(port, data):
	c = wsh.Conn(port)
	try:
		c.send(data)
		return env_of(c.read_response())
	finally:
		c.close()


XFF_CONF = "set_real_ip_from 127.0.0.1;\nset_real_ip_from 10.0.0.0/8;\n" \
	"real_ip_header X-Forwarded-For;"


def test_xff_right_most_untrusted(server):
	srv = start(server, XFF_CONF)
	e = ask(srv.port, req([("X-Forwarded-For", "198.51.100.1, 203.0.113.7, 10.2.3.4")]))
	assert e == {"REMOTE_ADDR": "203.0.113.7", "REMOTE_PORT": "0"}
	log = srv.tmp / "access.log"
	assert wait_for(lambda: log.exists() and log.read_text().startswith("203.0.113.7 - - ["),
	                wsh.T(5)), log.read_text() if log.exists() else ""
	# Several lines are one list.
	e = ask(srv.port, req([("X-Forwarded-For", "198.51.100.1"), ("X-Forwarded-For", "10.9.9.9")]))
	assert e["REMOTE_ADDR"] == "198.51.100.1"
	# A forged trusted address on the left changes nothing.
	e = ask(srv.port, req([("X-Forwarded-For", "10.0.0.5, 203.0.113.8")]))
	assert e["REMOTE_ADDR"] == "203.0.113.8"


def test_each_request_on_a_connection_stands_alone(server):
	srv = start(server, XFF_CONF)
	c = wsh.Conn(srv.port)
	try:
		c.send(req([("X-Forwarded-For", "203.0.113.7")]))
		assert env_of(c.read_response())["REMOTE_ADDR"] == "203.0.113.7"
		c.send(req())
		assert env_of(c.read_response())["REMOTE_ADDR"] == "127.0.0.1"
		c.send(req([("X-Forwarded-For", "2001:db8::9")]))
		assert env_of(c.read_response())["REMOTE_ADDR"] == "2001:db8::9"
	finally:
		c.close()


def test_malformed_is_logged_and_ignored(server):
	srv = start(server, XFF_CONF)
	for bad in ("bogus", "203.0.113.7, 10.0.0.300", "203.0.113.7:80", "[::1]", "unknown",
	            "1.2.3.4 5.6.7.8", "x" * 4000):
		e = ask(srv.port, req([("X-Forwarded-For", bad)]))
		assert e["REMOTE_ADDR"] == "127.0.0.1", bad
	assert wait_for(lambda: srv.stderr_text().count("invalid X-Forwarded-For header ignored") >= 7,
	                wsh.T(5)), srv.stderr_text()


def test_untrusted_peer_is_not_believed(server):
	srv = start(server, "set_real_ip_from 10.0.0.0/8;\nset_real_ip_from ::1;\n"
	            "real_ip_header X-Forwarded-For;")
	e = ask(srv.port, req([("X-Forwarded-For", "203.0.113.7")]))
	assert e["REMOTE_ADDR"] == "127.0.0.1"
	assert "ignored" not in srv.stderr_text()


def test_x_real_ip_is_the_default_header(server):
	srv = start(server, "set_real_ip_from 127.0.0.0/8;")
	e = ask(srv.port, req([("X-Real-IP", " 203.0.113.7 "), ("X-Forwarded-For", "198.51.100.1")]))
	assert e["REMOTE_ADDR"] == "203.0.113.7"
	e = ask(srv.port, req([("X-Forwarded-For", "198.51.100.1")]))
	assert e["REMOTE_ADDR"] == "127.0.0.1"
	e = ask(srv.port, req([("X-Real-IP", "203.0.113.7, 1.2.3.4")]))
	assert e["REMOTE_ADDR"] == "127.0.0.1"
	assert "invalid X-Real-IP header ignored" in srv.stderr_text()


def test_trust_is_checked_on_the_proxy_protocol_address(server):
	"""Behind a PROXY header the peer is the header's source: trusted
	only when that address is."""
	srv = start(server, XFF_CONF)
	hdr = b"PROXY TCP4 10.1.1.1 10.0.0.2 5555 80\r\n"
	e = ask(srv.port2, hdr + req([("X-Forwarded-For", "203.0.113.9")]))
	assert e["REMOTE_ADDR"] == "203.0.113.9"
	hdr = b"PROXY TCP4 198.51.100.4 10.0.0.2 5555 80\r\n"
	e = ask(srv.port2, hdr + req([("X-Forwarded-For", "203.0.113.9")]))
	assert e == {"REMOTE_ADDR": "198.51.100.4", "REMOTE_PORT": "5555"}
