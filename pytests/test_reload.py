"""Deployment signals and checks: SIGHUP reloads the configuration,
SIGUSR1 reopens the logs, SIGQUIT stops gracefully, `webserv -s` sends
them through the `pid` file; `-t` / `-T` check what the start needs."""

import hashlib
import os
import re
import signal
import socket
import time

import pytest

import wsh
from procs import wait_for

BIG = 16 * 1024 * 1024  # well past what the socket buffers hold

CONF = """
pid {tmp}/webserv.pid;
server {
	listen 127.0.0.1:{port};
	root {root};
	access_log {tmp}/access.log;
	location /old { return 200 "old"; }
}
server {
	listen 127.0.0.1:{port2};
	root {root};
}
"""

CONF_NEW = """
pid {tmp}/webserv.pid;
server {
	listen 127.0.0.1:{port};
	root {root};
	access_log {tmp}/access.log;
	location /new { return 200 "new"; }
}
server {
	listen 127.0.0.1:{port3};
	root {root};
}
"""


def big_file():
	blk = hashlib.sha256(b"reload").digest() * 2048  # 64 KiB
	return blk * (BIG // len(blk))


def reloads(srv):
	return srv.stderr_text().count("configuration reloaded")


def reload_and_wait(srv, conf=None, sig=True):
	"""Rewrite the configuration (if given), send SIGHUP and wait for the
	log line of the outcome."""
	if conf is not None:
		srv.conf_path.write_text(srv.env.subst(conf))
	before = srv.stderr_text().count("configuration reloaded") + \
		srv.stderr_text().count("reload failed")
	if sig:
		os.kill(srv.pid, signal.SIGHUP)
	assert wait_for(lambda: srv.stderr_text().count("configuration reloaded")
	                + srv.stderr_text().count("reload failed") > before, wsh.T(5)), \
		"no reload outcome logged:\n" + srv.stderr_text()[-2000:]


def start_download(port, path="/big.bin"):
	# A small receive buffer (set before connecting) keeps most of the
	# file on the server's side while the test acts.
	s = socket.socket()
	s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
	s.settimeout(wsh.T(10))
	s.connect(("127.0.0.1", port))
	s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	got = b""
	while b"\r\n\r\n" not in got:
		d = s.recv(4096)
		assert d, "closed before the head"
		got += d
	head, _, body = got.partition(b"\r\n\r\n")
	assert head.startswith(b"HTTP/1.1 200"), head
	length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
	return s, length, body


def finish_download(s, length, body):
	while len(body) < length:
		d = s.recv(262144)
		if not d:
			break
		body += d
	s.close()
	return body


def refused(port):
	try:
		socket.create_connection(("127.0.0.1", port), timeout=1).close()
	except OSError:
		return True
	return False


# -- SIGHUP ------------------------------------------------------------------

def test_reload_to_changed_config(server):
	data = big_file()
	srv = server(CONF.replace("{port3}", "{port3}"), files={"big.bin": data, "a.txt": "A"},
	             tmpfiles={"unused": "{port3}"})
	assert srv.get("/old").text == "old"
	assert srv.get("/new").status_code == 404
	s, length, body = start_download(srv.port)
	assert length == len(data)
	keep = wsh.Conn(srv.port2)
	keep.send(wsh.get("/a.txt"))
	assert keep.read_response().body == b"A"
	reload_and_wait(srv, CONF_NEW)
	assert "configuration reloaded" in srv.stderr_text()
	# New requests run under the new configuration.
	assert srv.get("/new").text == "new"
	assert srv.get("/old").status_code == 404
	# The removed listener refuses; the added one answers.
	assert refused(srv.port2)
	r = wsh.exchange(srv.port3, wsh.get("/a.txt"))
	assert r.status == 200 and r.body == b"A"
	# A connection of the removed listener is closed, not served anew.
	try:
		keep.send(wsh.get("/a.txt"))
		r = keep.read_response(timeout=wsh.T(3))
		assert r.body == b"A" and (r.header("connection") or "").lower() == "close"
	except (wsh.ConnectionClosed, OSError):
		pass
	keep.close()
	# The download begun before the reload completes byte-exact.
	assert finish_download(s, length, body) == data


def test_reload_keeps_kept_listener_open(server):
	"""Connections made while reloads happen are never refused."""
	srv = server(CONF, files={"a.txt": "A"})
	for i in range(10):
		os.kill(srv.pid, signal.SIGHUP)
		r = wsh.exchange(srv.port, wsh.get("/a.txt"))
		assert r.status == 200 and r.body == b"A", i
	assert wait_for(lambda: reloads(srv) >= 1, wsh.T(5))


def test_reload_to_broken_config_keeps_old(server):
	srv = server(CONF, files={"a.txt": "A"})
	bad = srv.env.subst(CONF).replace("location /old {", "location /old {\n\tbogus on;")
	srv.conf_path.write_text(bad)
	reload_and_wait(srv, sig=True)
	err = srv.stderr_text()
	assert "reload failed" in err
	line = [i for i, l in enumerate(bad.splitlines(), 1) if l.startswith("\tbogus on;")][0]
	assert re.search(r"reload failed.*%s:%d: unknown directive \"bogus\""
	                 % (re.escape(str(srv.conf_path)), line), err), err[-1000:]
	assert srv.get("/old").text == "old"
	assert wsh.exchange(srv.port2, wsh.get("/a.txt")).body == b"A"


def test_reload_to_unbindable_listener_keeps_old(server):
	blocker = socket.socket()
	blocker.bind(("127.0.0.1", 0))
	blocker.listen(1)
	busy = blocker.getsockname()[1]
	try:
		srv = server(CONF, files={"a.txt": "A"})
		reload_and_wait(srv, CONF_NEW.replace("{port3}", str(busy)))
		assert "reload failed" in srv.stderr_text()
		assert srv.get("/old").text == "old"
		assert wsh.exchange(srv.port2, wsh.get("/a.txt")).body == b"A"
	finally:
		blocker.close()


def test_many_reloads_do_not_grow(server):
	"""200 reloads, each followed by a request: the server keeps answering,
	memory stays flat (RSS; under ASan the leak check at exit)."""
	srv = server(CONF, files={"a.txt": "A"})

	def rss():
		with open("/proc/%d/status" % srv.pid) as f:
			return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

	base = None
	for i in range(200):
		n = reloads(srv)
		os.kill(srv.pid, signal.SIGHUP)
		assert wait_for(lambda: reloads(srv) > n, wsh.T(5)), i
		assert srv.get("/old").text == "old"
		if i == 20:
			base = rss()
	grown = rss() - base
	if not wsh.ASAN:
		assert grown < 2048, "RSS grew by %d KiB over 180 reloads" % grown
	srv.stop_check()


# -- SIGUSR1 -----------------------------------------------------------------

def test_reopen_after_mv(server):
	conf = CONF.replace("pid {tmp}/webserv.pid;", "pid {tmp}/webserv.pid;\nerror_log {tmp}/error.log;")
	srv = server(conf, files={"a.txt": "A"})
	assert srv.get("/a.txt?one").status_code == 200
	acc, err = srv.tmp / "access.log", srv.tmp / "error.log"
	assert wait_for(lambda: b"?one" in acc.read_bytes(), wsh.T(3))
	os.rename(acc, srv.tmp / "access.log.1")
	os.rename(err, srv.tmp / "error.log.1")
	os.kill(srv.pid, signal.SIGUSR1)
	assert wait_for(acc.exists, wsh.T(3)), "access log not reopened"
	assert srv.get("/a.txt?two").status_code == 200
	assert wait_for(lambda: b"?two" in acc.read_bytes(), wsh.T(3))
	old = (srv.tmp / "access.log.1").read_bytes()
	assert b"?one" in old and b"?two" not in old
	assert err.exists() and "logs reopened" in err.read_text()


# -- SIGQUIT -----------------------------------------------------------------

def test_graceful_quit_finishes_download(server):
	data = big_file()
	srv = server(CONF, files={"big.bin": data})
	s, length, body = start_download(srv.port)
	os.kill(srv.pid, signal.SIGQUIT)
	assert wait_for(lambda: refused(srv.port), wsh.T(3)), "still accepting after SIGQUIT"
	# Longer than the SIGTERM grace period: the exchange is not cut.
	time.sleep(wsh.T(3.5))
	assert srv.alive()
	assert finish_download(s, length, body) == data
	srv.proc.wait(timeout=wsh.T(5))
	srv.stop_check(sig=None)
	assert srv.exit_code == 0


def test_quit_idle_exits_0(server):
	srv = server(CONF, files={"a.txt": "A"})
	keep = srv.conn()
	keep.send(wsh.get("/a.txt"))
	assert keep.read_response().body == b"A"
	srv.stop_check(sig=signal.SIGQUIT, timeout=wsh.T(5))
	keep.close()


# -- webserv -s --------------------------------------------------------------

def test_s_commands_through_pid_file(server, run_bin):
	srv = server(CONF, files={"a.txt": "A"})
	pidf = srv.tmp / "webserv.pid"
	assert pidf.read_text().strip() == str(srv.pid)
	srv.conf_path.write_text(srv.env.subst(CONF).replace("location /old", "location /other"))
	r = run_bin("-s", "reload", srv.conf_path)
	assert r.returncode == 0, r.stderr
	assert wait_for(lambda: reloads(srv) >= 1, wsh.T(5))
	assert srv.get("/other").text == "old"
	os.rename(srv.tmp / "access.log", srv.tmp / "access.old")
	r = run_bin("-s", "reopen", srv.conf_path)
	assert r.returncode == 0, r.stderr
	assert wait_for((srv.tmp / "access.log").exists, wsh.T(3))
	r = run_bin("-s", "quit", srv.conf_path)
	assert r.returncode == 0, r.stderr
	srv.proc.wait(timeout=wsh.T(5))
	srv.stop_check(sig=None)
	assert not pidf.exists(), "pid file left behind"


def test_s_stop(server, run_bin):
	srv = server(CONF, files={"a.txt": "A"})
	r = run_bin("-s", "stop", srv.conf_path)
	assert r.returncode == 0, r.stderr
	srv.proc.wait(timeout=wsh.T(5))
	srv.stop_check(sig=None)


@pytest.mark.parametrize("args,conf,want", [
	(["-s", "restart"], CONF, 'invalid signal "restart"'),
	(["-s", "reload"], CONF.replace("pid {tmp}/webserv.pid;", ""), 'no "pid" directive'),
	(["-s", "reload"], CONF, 'cannot open pid file "'),
	(["-s"], CONF, 'requires a signal name'),
], ids=["bad-name", "no-pid", "no-pid-file", "no-arg"])
def test_s_errors(make_env, run_bin, args, conf, want):
	env = make_env(conf)
	r = run_bin(*(args + [env.conf_path]) if args != ["-s"] else args)
	assert r.returncode == 1
	assert want in r.stderr, r.stderr
	if "pid file" in want:
		assert "No such file or directory" in r.stderr


# -- -t and -T ---------------------------------------------------------------

def test_t_missing_file_says_why(run_bin, tmp_path):
	r = run_bin("-t", tmp_path / "x.conf")
	assert r.returncode == 1
	assert r.stderr.strip() == 'webserv: cannot open "%s": No such file or directory' \
		% (tmp_path / "x.conf")


def test_t_config_is_a_directory(run_bin, tmp_path):
	r = run_bin("-t", tmp_path)
	assert r.returncode == 1
	assert "Is a directory" in r.stderr


def test_t_missing_include_says_why(make_env, run_bin):
	env = make_env("include /nonexistent/a.conf;\nserver { listen {port}; }\n")
	r = run_bin("-t", env.conf_path)
	assert r.returncode == 1
	assert r.stderr.strip() == 'webserv: %s:1: cannot open "/nonexistent/a.conf": ' \
		'No such file or directory' % env.conf_path


@pytest.mark.parametrize("directive,what", [
	("access_log /nonexistent/dir/a.log;", 'access log "/nonexistent/dir/a.log"'),
	("error_log /nonexistent/dir/e.log;", 'error log "/nonexistent/dir/e.log"'),
], ids=["access", "error"])
def test_t_log_not_openable(make_env, run_bin, directive, what):
	env = make_env(directive + "\nserver { listen {port}; }\n")
	r = run_bin("-t", env.conf_path)
	assert r.returncode == 1
	assert "cannot open %s: No such file or directory" % what in r.stderr, r.stderr
	assert "syntax is ok" not in r.stderr


def test_t_upload_store_not_writable(make_env, run_bin):
	# /proc refuses new files even to root.
	env = make_env("server { listen {port}; location /up { upload_store /proc; } }\n")
	r = run_bin("-t", env.conf_path)
	assert r.returncode == 1
	assert 'upload_store "/proc" is not writable: ' in r.stderr, r.stderr


def test_t_upload_store_writable_leaves_nothing(make_env, run_bin):
	env = make_env("server { listen {port}; location /up { upload_store store; } }\n",
	               dirs=["store"])
	r = run_bin("-t", env.conf_path)
	assert r.returncode == 0, r.stderr
	assert os.listdir(env.tmp / "store") == []


def test_t_conflicting_server_names_warn(make_env, run_bin):
	env = make_env("server { listen {port}; server_name a.test b.test; }\n"
	               "server { listen {port}; server_name B.test; }\n"
	               "server { listen {port2}; server_name a.test; }\n")
	r = run_bin("-t", env.conf_path)
	assert r.returncode == 0, r.stderr
	warns = [l for l in r.stderr.splitlines() if "warning" in l]
	assert warns == ['webserv: warning: conflicting server name "b.test" on 0.0.0.0:%d, ignored'
	                 % env.port], r.stderr
	assert "syntax is ok" in r.stderr


def test_T_dumps_with_includes(make_env, run_bin):
	env = make_env("include {tmp}/part.conf;\nserver { listen {port}; }\n",
	               tmpfiles={"part.conf": "max_connections 50;  # the part\n"})
	r = run_bin("-T", env.conf_path)
	assert r.returncode == 0, r.stderr
	assert "syntax is ok" in r.stderr
	out = r.stdout
	assert out.startswith("# configuration file %s:\n" % env.conf_path), out
	assert "# configuration file %s:\nmax_connections 50;  # the part\n" % (env.tmp / "part.conf") in out
	assert out.index("server { listen") < out.index("# configuration file %s" % (env.tmp / "part.conf"))


def test_T_broken_prints_nothing(make_env, run_bin):
	env = make_env("server { listen {port};\n")
	r = run_bin("-T", env.conf_path)
	assert r.returncode == 1 and r.stdout == ""


@pytest.mark.parametrize("good", [True, False], ids=["ok", "broken"])
def test_t_v_still_checks(make_env, run_bin, good):
	env = make_env("server { listen {port}; }\n" if good else "server { listen {port};\n")
	r = run_bin("-t", "-v", env.conf_path)
	assert r.stdout.startswith("webserv/")
	assert r.returncode == (0 if good else 1), r.stderr
	assert ("syntax is ok" in r.stderr) == good
