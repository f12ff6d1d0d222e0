"""IPv6: `listen [::1]:PORT`, `listen [::]:PORT` with `ipv6only=on|off`,
`default_server`; IPv6 peers in REMOTE_ADDR and the access log, SERVER_ADDR
and SERVER_NAME in CGI, bracketed Host literals matched against
server_name.

Needs the IPv6 loopback (::1); without it every test here is skipped,
saying so."""

import json
import os
import re
import signal
import socket
import time

import pytest

import wsh


pytestmark = pytest.mark.skipif(not wsh.can_bind_v6("::1"),
                                reason="no IPv6 loopback: ::1 cannot be bound here "
                                "(see `ip -6 addr show lo`)")


def get6(port, target="/", host=None, addr="::1"):
	"""One GET over a fresh connection to addr:port."""
	if host is None:
		host = "[%s]:%d" % (addr, port) if ":" in addr else "%s:%d" % (addr, port)
	return wsh.exchange(port, wsh.get(target, host=host), host=addr)


def cgi_env(port, host=None, addr="::1"):
	r = get6(port, "/cgi/envdump.py", host=host, addr=addr)
	assert r.status == 200, r.text
	return json.loads(r.body)["env"]


def wait_for(pred, timeout=5.0):
	deadline = time.monotonic() + wsh.T(timeout)
	while not pred():
		if time.monotonic() > deadline:
			return False
		time.sleep(0.05)
	return True


CGI_CONF = """
server {
    listen [::1]:{port};
    root {root};
    location /cgi/ {
        cgi .py /usr/bin/python3;
    }
}
"""


def test_serves_on_v6_loopback_and_logs_the_peer(server, cgi_scripts):
	files = {"index.html": "six\n", "d/x.txt": "x"}
	files.update(cgi_scripts("envdump.py"))
	srv = server(CGI_CONF, files=files)
	r = get6(srv.port)
	assert r.status == 200 and r.body == b"six\n"
	# Only ::1 is bound.
	with pytest.raises(OSError):
		socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
	assert wait_for(lambda: re.search(r'(?m)^::1 - - \[[^]]+\] "GET / HTTP/1.1" 200 ',
	                                 srv.stdout_text())), srv.stdout_text()


def test_cgi_sees_ipv6_addresses(server, cgi_scripts):
	srv = server(CGI_CONF, files=cgi_scripts("envdump.py"))
	with wsh.Conn(srv.port, host="::1") as c:
		c.send(wsh.get("/cgi/envdump.py", host="[::1]:%d" % srv.port))
		r = c.read_response()
		cport = c.sock.getsockname()[1]
	assert r.status == 200, r.text
	e = json.loads(r.body)["env"]
	assert e["REMOTE_ADDR"] == "::1"
	assert e["REMOTE_PORT"] == str(cport)
	assert e["SERVER_ADDR"] == "::1"
	assert e["SERVER_PORT"] == str(srv.port)
	# RFC 3875 4.1.14: SERVER_NAME from the Host, brackets kept, port gone.
	assert e["SERVER_NAME"] == "[::1]"
	assert e["HTTP_HOST"] == "[::1]:%d" % srv.port
	# No Host (HTTP/1.0): the address reached, in brackets.
	r = wsh.exchange(srv.port, wsh.get("/cgi/envdump.py", host=None, version="HTTP/1.0"),
	                 host="::1")
	assert json.loads(r.body)["env"]["SERVER_NAME"] == "[::1]"


def test_host_literal_selects_the_server(server):
	srv = server("""
server {
    listen [::1]:{port};
    return 200 "default\\n";
}
server {
    listen [::1]:{port};
    server_name [::1] six.example;
    return 200 "by name\\n";
}
""")
	assert get6(srv.port, host="[::1]:%d" % srv.port).body == b"by name\n"
	assert get6(srv.port, host="[::1]").body == b"by name\n"
	assert get6(srv.port, host="[0:0::1]").body == b"default\n"
	assert get6(srv.port, host="SIX.example:1").body == b"by name\n"
	assert get6(srv.port, host="other").body == b"default\n"
	for bad in ("[::1", "[::g]:80", "[::1]x", "::1", "[::::]", "[fe80::1%25lo]"):
		r = get6(srv.port, host=bad)
		assert r.status == 400, bad


def test_default_server_flag(server):
	srv = server("""
server {
    listen [::1]:{port};
    listen 127.0.0.1:{port};
    return 200 "first\\n";
}
server {
    listen [::1]:{port} default_server;
    server_name named.example;
    return 200 "flagged\\n";
}
""")
	assert get6(srv.port, host="unknown").body == b"flagged\n"
	assert get6(srv.port, host="named.example").body == b"flagged\n"
	# default_server is per address: 127.0.0.1 keeps the first.
	assert get6(srv.port, host="unknown", addr="127.0.0.1").body == b"first\n"


def test_v4_and_v6_wildcards_side_by_side(server):
	"""0.0.0.0:P and [::]:P (ipv6only=on, the default) are two sockets."""
	srv = server("""
server {
    listen 0.0.0.0:{port};
    return 200 "four\\n";
}
server {
    listen [::]:{port};
    return 200 "six\\n";
}
""")
	assert get6(srv.port, addr="127.0.0.1").body == b"four\n"
	assert get6(srv.port, addr="::1").body == b"six\n"


def test_ipv6only_off_takes_ipv4_clients(server, cgi_scripts):
	srv = server("""
server {
    listen [::]:{port} ipv6only=off;
    root {root};
    location /cgi/ {
        cgi .py /usr/bin/python3;
    }
}
""", files=cgi_scripts("envdump.py"))
	e4 = cgi_env(srv.port, addr="127.0.0.1")
	# An IPv4 client of the dual-stack socket shows as IPv4, not ::ffff:.
	assert e4["REMOTE_ADDR"] == "127.0.0.1"
	assert e4["SERVER_ADDR"] == "127.0.0.1"
	e6 = cgi_env(srv.port, addr="::1")
	assert e6["REMOTE_ADDR"] == "::1"
	assert wait_for(lambda: re.search(r"(?m)^127\.0\.0\.1 - - ", srv.stdout_text()))
	assert "::ffff:" not in srv.stdout_text()


def test_ipv6only_off_and_v4_wildcard_conflict(run_bin, make_env):
	env = make_env("""
server {
    listen [::]:{port} ipv6only=off;
}
server {
    listen 0.0.0.0:{port};
}
""")
	r = run_bin(env.conf_path, timeout=10)
	assert r.returncode == 1
	assert re.search(r"webserv: cannot listen on (\[::\]|0\.0\.0\.0):%d: Address already in use"
	                 % env.port, r.stderr), r.stderr


def test_directory_redirect_is_relative(server):
	srv = server("server {\n    listen [::1]:{port};\n    root {root};\n}\n",
	             files={"d/x.txt": "x"})
	r = get6(srv.port, "/d?q=1")
	assert r.status == 301
	assert r.header("Location") == "/d/?q=1"


def test_t_reports_malformed_listen(run_bin, make_env):
	for arg, msg in [
		("[::1:{port}", 'missing "]" in "[::1:%d"'),
		("[::g]:{port}", 'invalid IPv6 address in "[::g]:%d"'),
		("[::1]:99999", 'invalid port in "[::1]:99999"'),
		("::1:{port}", 'invalid host in "::1:%d" (an IPv6 address goes in brackets: '
		               '"[ADDRESS]:PORT")'),
	]:
		env = make_env("error_log stderr;\nserver {\n    listen %s;\n}\n" % arg)
		r = run_bin("-t", env.conf_path)
		assert r.returncode == 1
		want = "webserv: %s:3: %s" % (env.conf_path, msg % env.port if "%d" in msg else msg)
		assert r.stderr.strip().splitlines()[-1] == want, r.stderr


def test_reload_adds_an_ipv6_listener(server):
	srv = server("server {\n    listen 127.0.0.1:{port};\n    return 200 \"ok\\n\";\n}\n")
	with pytest.raises(OSError):
		socket.create_connection(("::1", srv.port), timeout=2).close()
	text = srv.conf_path.read_text().replace(
		"listen 127.0.0.1:%d;" % srv.port,
		"listen 127.0.0.1:%d;\n    listen [::1]:%d;" % (srv.port, srv.port))
	srv.conf_path.write_text(text)
	os.kill(srv.pid, signal.SIGHUP)
	assert wait_for(lambda: "configuration reloaded" in srv.stderr_text()), srv.stderr_text()
	assert get6(srv.port).body == b"ok\n"
	assert get6(srv.port, addr="127.0.0.1").body == b"ok\n"
