"""Command line: -h, -v, -t, the default configuration path, bind failures,
relative paths, the access log."""

import os
import re
import socket
import subprocess
import time

import pytest

import wsh
from wsh import get

BASIC = """
server {
    listen 127.0.0.1:{port};
    root {root};
}
"""


def test_help_on_stdout_exit_0(run_bin):
	r = run_bin("-h")
	assert r.returncode == 0, r.stderr
	assert r.stdout.strip() != "", "-h printed nothing on stdout"


def test_version_on_stdout_exit_0(run_bin):
	r = run_bin("-v")
	assert r.returncode == 0, r.stderr
	assert r.stdout.strip() != "", "-v printed nothing on stdout"


def test_t_good_config_syntax_ok(run_bin, make_env):
	env = make_env(BASIC)
	r = run_bin("-t", env.conf_path)
	assert r.returncode == 0, r.stderr
	assert r.stderr.strip() == "webserv: %s: syntax is ok" % env.conf_path


def test_t_does_not_bind(run_bin, make_env):
	"""-t checks without binding: a port held by someone else is no error."""
	env = make_env(BASIC)
	holder = socket.socket()
	holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	holder.bind(("127.0.0.1", env.port))
	holder.listen(1)
	try:
		r = run_bin("-t", env.conf_path)
	finally:
		holder.close()
	assert r.returncode == 0, r.stderr
	assert "syntax is ok" in r.stderr


def test_t_does_not_serve(run_bin, make_env):
	env = make_env(BASIC)
	r = run_bin("-t", env.conf_path, timeout=10)
	assert r.returncode == 0
	with pytest.raises(OSError):
		socket.create_connection(("127.0.0.1", env.port), timeout=1).close()


def test_default_config_path(run_bin, make_env):
	"""Without CONFIG, conf/default.conf relative to the current directory."""
	env = make_env(BASIC)
	(env.tmp / "conf").mkdir()
	(env.tmp / "conf" / "default.conf").write_text(env.conf_text)
	r = run_bin("-t", cwd=env.tmp)
	assert r.returncode == 0, r.stderr
	line = r.stderr.strip()
	assert line.startswith("webserv: ") and line.endswith("conf/default.conf: syntax is ok"), line


def test_default_config_missing(run_bin, tmp_path):
	r = run_bin("-t", cwd=tmp_path)
	assert r.returncode == 1
	lines = r.stderr.strip().splitlines()
	assert len(lines) == 1 and lines[0].startswith("webserv: "), r.stderr


def test_missing_config_file(run_bin, tmp_path):
	missing = tmp_path / "nope.conf"
	r = run_bin(missing)
	assert r.returncode == 1
	lines = r.stderr.strip().splitlines()
	assert len(lines) == 1 and lines[0].startswith("webserv: "), r.stderr
	assert "nope.conf" in lines[0]


def test_config_error_without_t_exits_1(run_bin, make_env):
	env = make_env("server {\n    listen 127.0.0.1:{port};\n    bogus_directive 1;\n}\n")
	r = run_bin(env.conf_path)
	assert r.returncode == 1
	lines = r.stderr.strip().splitlines()
	assert len(lines) == 1, r.stderr
	assert re.match(r"^webserv: .*webserv\.conf:3: .+", lines[0]), lines[0]


def test_port_in_use_exits_1(run_bin, make_env):
	env = make_env(BASIC)
	holder = socket.socket()
	holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	holder.bind(("127.0.0.1", env.port))
	holder.listen(1)
	try:
		r = run_bin(env.conf_path, timeout=10)
	finally:
		holder.close()
	assert r.returncode == 1, "status %s; stderr %r" % (r.returncode, r.stderr)
	err = r.stderr.strip()
	assert err != "", "no message for a port that cannot be bound"
	assert str(env.port) in err or "in use" in err.lower(), err


def test_second_listen_port_in_use_exits_1(run_bin, make_env):
	"""One good port and one taken: still exit 1, nothing left listening."""
	env = make_env("""
server { listen 127.0.0.1:{port}; root {root}; }
server { listen 127.0.0.1:{port2}; root {root}; }
""")
	holder = socket.socket()
	holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	holder.bind(("127.0.0.1", env.port2))
	holder.listen(1)
	try:
		r = run_bin(env.conf_path, timeout=10)
	finally:
		holder.close()
	assert r.returncode == 1
	assert r.stderr.strip() != ""


def test_relative_paths_resolved_against_config_dir(server):
	"""`root www;` in <tmp>/webserv.conf means <tmp>/www, whatever the cwd."""
	srv = server("server { listen 127.0.0.1:{port}; root www; }",
	             files={"rel.txt": b"relative root works"})
	r = srv.get("/rel.txt")
	assert r.status_code == 200
	assert r.content == b"relative root works"


def test_relative_include(server):
	srv = server("include sub/servers.conf;\n",
	             tmpfiles={"sub/servers.conf":
	                       "server { listen 127.0.0.1:{port}; root {root}; }\n"},
	             files={"inc.txt": b"included"})
	assert srv.get("/inc.txt").content == b"included"


def _wait_for_text(path_or_fn, needle, timeout=5.0):
	deadline = time.monotonic() + wsh.T(timeout)
	text = ""
	while time.monotonic() < deadline:
		text = path_or_fn()
		if needle in text:
			return text
		time.sleep(0.05)
	return text


COMBINED_RE = re.compile(
	r'^\S+ \S+ \S+ \[[^\]]+\] "GET /logged\.txt\?q=1 HTTP/1\.1" 200 \d+ "[^"]*" "[^"]*"$',
	re.M)


def test_access_log_stdout_combined(server):
	srv = server(BASIC, files={"logged.txt": b"x"})
	r = srv.get("/logged.txt?q=1", headers={"User-Agent": "pytest-agent",
	                                        "Referer": "http://ref.test/"})
	assert r.status_code == 200
	problems = srv.stop()
	assert not problems, problems
	out = srv.stdout_text()
	assert COMBINED_RE.search(out), "no combined-format line in stdout: %r" % out[-2000:]
	line = COMBINED_RE.search(out).group(0)
	assert line.startswith("127.0.0.1 ")
	assert '"pytest-agent"' in line and '"http://ref.test/"' in line


def test_access_log_off(server):
	srv = server("""
access_log off;
server { listen 127.0.0.1:{port}; root {root}; }
""", files={"logged.txt": b"x"})
	assert srv.get("/logged.txt").status_code == 200
	assert not srv.stop()
	assert "logged.txt" not in srv.stdout_text()


def test_access_log_to_file(server):
	srv = server("""
server { listen 127.0.0.1:{port}; root {root}; access_log {tmp}/access.log; }
""", files={"logged.txt": b"x"})
	assert srv.get("/logged.txt").status_code == 200
	assert srv.get("/missing.txt").status_code == 404
	assert not srv.stop()
	text = (srv.tmp / "access.log").read_text()
	assert re.search(r'"GET /logged\.txt HTTP/1\.1" 200 ', text), text
	assert re.search(r'"GET /missing\.txt HTTP/1\.1" 404 ', text), text
	assert "logged.txt" not in srv.stdout_text()


def test_error_log_to_file(server):
	srv = server("""
error_log {tmp}/error.log;
server { listen 127.0.0.1:{port}; root {root}; }
""")
	assert srv.get("/").status_code in (403, 404)
	assert not srv.stop()


# -- options, and -t beside a running server ---------------------------------

def test_unknown_option_fails_cleanly(run_bin):
	"""Not in the contract's synopsis: a usage error (status > 0, a message
	on stderr), never a crash and never a server."""
	r = run_bin("-x", timeout=10)
	assert r.returncode > 0, r.returncode
	assert r.stderr.strip() != ""


@pytest.mark.parametrize("opt", ["-h", "-v"])
def test_help_version_stdout_only(run_bin, opt):
	"""-h and -v print on stdout and exit 0; stderr stays quiet."""
	r = run_bin(opt, timeout=10)
	assert r.returncode == 0 and r.stdout.strip() and r.stderr.strip() == "", (r.stdout, r.stderr)


def test_t_with_port_taken_by_another_server(run_bin, make_env, server):
	"""`-t` while a running webserv holds every port of the configuration:
	syntax is ok, exit 0, and the running server keeps serving."""
	conf = """
server {
    listen 127.0.0.1:{port};
    root {root};
}
server {
    listen {port2};
    root {root};
}
"""
	srv = server(conf, files={"a.txt": b"alpha"})
	r = run_bin("-t", srv.conf_path, timeout=10)
	assert r.returncode == 0, r.stderr
	assert r.stderr.strip() == "webserv: %s: syntax is ok" % srv.conf_path
	assert wsh.exchange(srv.port, get("/a.txt")).body == b"alpha"
	assert wsh.exchange(srv.port2, get("/a.txt")).body == b"alpha"
	# and starting for real reports the bind failure, exit 1
	r = run_bin(srv.conf_path, timeout=10)
	assert r.returncode == 1 and r.stderr.strip(), r.stderr
	assert wsh.exchange(srv.port, get("/a.txt")).body == b"alpha"
