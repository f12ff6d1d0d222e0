"""Several webserv instances behind a real HAProxy (Debian's haproxy,
installed by ci/deps.sh) with deploy/haproxy/haproxy.cfg: PROXY v2 to
the instances, HTTP health checks, retries and redispatch.

Three instances (two of them a master with two workers) share a CGI
session directory and an upload store.  Checked through the balancer: every instance serves; a
CGI script and the access logs see the client's address (the client
connects from 127.0.0.5, HAProxy from 127.0.0.1); a session started on
one instance goes on on the others; an upload is readable through every
instance; under a bounded load one instance is killed (SIGKILL) and
another stopped (SIGTERM) and every GET still succeeds, with nothing
half-written left in the store.  Everything is stopped by PID.

`make cluster-test` runs this file alone and prints the figures."""

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

import wsh
from procs import children_of, pid_alive, wait_for

REPO = Path(__file__).resolve().parent.parent
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
CLIENT_IP = "127.0.0.5"
# `make cluster-test` runs the load for 20 s; the pytest passes of
# `make test` for 6.
LOAD_SECONDS = float(os.environ.get("WEBSERV_CLUSTER_LOAD_SECONDS", "6"))
LOAD_THREADS = 6

ENV_SH = b"""#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\nREMOTE_ADDR=%s\\nREMOTE_PORT=%s\\n' "$REMOTE_ADDR" "$REMOTE_PORT"
"""

INSTANCE_CONF = """
worker_processes {workers};
server {
    listen 127.0.0.1:{port} proxy_protocol;
    root {root};
    access_log {tmp}/access.log;
    location = /health {
        return 200 "ok";
    }
    location /up/ {
        alias {shared}/store/;
        upload_store {shared}/store;
        allow_methods GET HEAD PUT POST DELETE;
    }
    location /cgi/ {
        allow_methods GET HEAD POST;
        cgi .py /usr/bin/python3;
        cgi .sh /bin/sh;
    }
}
"""


def haproxy_cfg(port, backends):
	"""deploy/haproxy/haproxy.cfg with the test's ports."""
	text = (REPO / "deploy" / "haproxy" / "haproxy.cfg").read_text()
	text, n = re.subn(r"(?m)^(\s*bind )\S+$", r"\g<1>127.0.0.1:%d" % port, text)
	assert n == 1, "bind line not found in deploy/haproxy/haproxy.cfg"
	servers = re.findall(r"(?m)^\s*server \S+ \S+$", text)
	assert len(servers) == len(backends), servers
	for line, bport in zip(servers, backends):
		text = text.replace(line, re.sub(r"\S+$", "127.0.0.1:%d" % bport, line), 1)
	return text


class Balancer:
	"""HAProxy in front of backends, from deploy/haproxy/haproxy.cfg or
	from template (its {port} replaced by the one HAProxy listens on)."""

	def __init__(self, tmp, backends, template=None):
		assert os.access(HAPROXY, os.X_OK), \
			"haproxy missing (%s): run ci/deps.sh as root (make cluster-test does)" % HAPROXY
		self.port = wsh.free_port()
		self.cfg = tmp / "haproxy.cfg"
		self.cfg.write_text(template.replace("{port}", str(self.port)) if template
		                    else haproxy_cfg(self.port, backends))
		self.log = open(tmp / "haproxy.log", "wb")
		self.proc = subprocess.Popen([HAPROXY, "-db", "-f", str(self.cfg)],
		                             stdin=subprocess.DEVNULL, stdout=self.log,
		                             stderr=subprocess.STDOUT)

	def marked_down(self, name):
		"""True once HAProxy logged server `name` (web1, web2, ...) DOWN."""
		p = self.cfg.parent / "haproxy.log"
		return ("Server webserv/%s is DOWN" % name) in p.read_text(errors="replace")

	def stop(self):
		if self.proc.poll() is None:
			os.kill(self.proc.pid, signal.SIGTERM)
			try:
				self.proc.wait(timeout=wsh.T(5))
			except subprocess.TimeoutExpired:
				os.kill(self.proc.pid, signal.SIGKILL)
				self.proc.wait()
		self.log.close()


def client_conn(port, timeout=10.0):
	"""A wsh.Conn to HAProxy from CLIENT_IP."""
	c = wsh.Conn.__new__(wsh.Conn)
	c.timeout = wsh.T(timeout)
	c.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
	c.sock.bind((CLIENT_IP, 0))
	c.sock.settimeout(wsh.T(timeout))
	c.sock.connect(("127.0.0.1", port))
	c.buf = b""
	c.eof = False
	c.reset = False
	return c


def fetch(port, method, path, headers=None, body=b""):
	c = client_conn(port)
	try:
		h = {"Connection": "close"}
		if body:
			h["Content-Length"] = str(len(body))
		h.update(headers or {})
		c.send(wsh.req(method, path, h, body, host="cluster.test"))
		return c.read_response(), c.sock.getsockname()[1]
	finally:
		c.close()


@pytest.fixture
def cluster(server, tmp_path_factory):
	shared = tmp_path_factory.mktemp("shared")
	(shared / "store").mkdir()
	(shared / "sessions").mkdir()
	session_py = (REPO / "cgi" / "session.py").read_bytes()
	insts = []
	for k in range(3):
		# The first two run a master and two workers each.
		conf = INSTANCE_CONF.replace("{shared}", str(shared)).replace(
			"{workers}", "2" if k < 2 else "1")
		srv = server(conf, files={"cgi/session.py": session_py, "cgi/env.sh": ENV_SH,
		                          "a.txt": b"alpha" * 200})
		os.symlink(shared / "sessions", srv.root / "cgi" / "sessions")
		insts.append(srv)
	lb = Balancer(shared, [s.port for s in insts])
	try:
		# Ready when HAProxy answers and every instance passed a check.
		assert wait_for(lambda: all(_health_seen(s) for s in insts), wsh.T(15)), \
			"health checks never reached every instance"
		assert wait_for(lambda: _get_ok(lb.port), wsh.T(10)), \
			(shared / "haproxy.log").read_text()[-3000:]
		yield lb, insts, shared
	finally:
		lb.stop()


def _health_seen(srv):
	p = srv.tmp / "access.log"
	return p.exists() and "/health" in p.read_text()


def _get_ok(port):
	try:
		return fetch(port, "GET", "/a.txt")[0].status == 200
	except (OSError, AssertionError):
		return False


def access_log(srv):
	p = srv.tmp / "access.log"
	return p.read_text() if p.exists() else ""


def test_cluster(cluster):
	lb, insts, shared = cluster
	figures = {}

	# Every instance serves (round robin), and each sees the client.
	for _ in range(6):
		r, sport = fetch(lb.port, "GET", "/cgi/env.sh")
		assert r.status == 200
		env = dict(l.split("=", 1) for l in r.body.decode().split())
		assert env == {"REMOTE_ADDR": CLIENT_IP, "REMOTE_PORT": str(sport)}
	for s in insts:
		lines = [l for l in access_log(s).splitlines() if "/cgi/env.sh" in l]
		assert lines, "instance on %d served nothing" % s.port
		assert all(l.startswith(CLIENT_IP + " - - [") for l in lines), lines

	# A session started on one instance goes on on the others.
	r, _ = fetch(lb.port, "POST", "/cgi/session.py",
	             {"Content-Type": "application/x-www-form-urlencoded"}, b"action=login&name=ada")
	assert r.status == 303  # Post/Redirect/Get: the cookie comes with the 303
	sid = re.search(r"SID=([0-9a-f]{32})", r.header("Set-Cookie") or "").group(1)
	for visit in range(1, 7):
		r, _ = fetch(lb.port, "GET", "/cgi/session.py", {"Cookie": "SID=" + sid})
		assert r.status == 200
		assert ('<strong id="visits">%d</strong>' % visit).encode() in r.body
		assert b'<strong id="name">ada</strong>' in r.body
	served = [s.port for s in insts if "/cgi/session.py" in access_log(s)]
	assert len(served) == 3, "the session was served by %r only" % served
	assert os.listdir(shared / "sessions") == [sid + ".json"]

	# An upload through the balancer is readable through every instance.
	body = os.urandom(200000)
	r, _ = fetch(lb.port, "PUT", "/up/shared.bin", {"Content-Length": str(len(body))}, body)
	assert r.status == 201
	for s in insts:
		c = wsh.Conn(s.port)
		try:
			c.send(b"PROXY TCP4 192.0.2.1 127.0.0.1 1 80\r\n" + wsh.get("/up/shared.bin"))
			got = c.read_response()
			assert got.status == 200 and got.body == body
		finally:
			c.close()

	# Load: LOAD_THREADS clients, one GET per connection, for
	# LOAD_SECONDS; one instance is killed, another stopped.
	results = {"ok": 0, "failed": [], "latency": []}
	lock = threading.Lock()
	stop = threading.Event()

	def load():
		while not stop.is_set():
			t = time.monotonic()
			try:
				r, _ = fetch(lb.port, "GET", "/a.txt")
				good = r.status == 200 and r.body == b"alpha" * 200
				what = r.status
			except (OSError, AssertionError) as e:
				good, what = False, repr(e)
			with lock:
				results["latency"].append((time.monotonic() - t, t))
				if good:
					results["ok"] += 1
				else:
					results["failed"].append(what)

	workers = [p for s in insts[:2] for p, st in children_of(s.pid) if st != "Z"]
	assert len(workers) == 4, workers
	threads = [threading.Thread(target=load) for _ in range(LOAD_THREADS)]
	t0 = time.monotonic()
	for t in threads:
		t.start()
	try:
		time.sleep(LOAD_SECONDS / 3)
		# Failover: from the signal to HAProxy taking the instance out
		# (two failed health checks, 1 s apart); requests meanwhile are
		# retried on the others.
		t_kill = time.monotonic()
		os.kill(insts[0].pid, signal.SIGKILL)
		insts[0].proc.wait()
		insts[0].stopped = True
		insts[0]._close_files()
		assert wait_for(lambda: lb.marked_down("web1"), wsh.T(10), step=0.02), \
			"HAProxy never took the killed instance out"
		figures["failover_kill_s"] = "%.2f" % (time.monotonic() - t_kill)
		time.sleep(max(0.0, t_kill + LOAD_SECONDS / 3 - time.monotonic()))
		t_term = time.monotonic()
		insts[1].send_signal(signal.SIGTERM)
		assert wait_for(lambda: lb.marked_down("web2"), wsh.T(10), step=0.02), \
			"HAProxy never took the stopped instance out"
		figures["failover_term_s"] = "%.2f" % (time.monotonic() - t_term)
		time.sleep(max(0.0, t_term + LOAD_SECONDS / 3 - time.monotonic()))
	finally:
		stop.set()
		for t in threads:
			t.join(wsh.T(30))
	elapsed = time.monotonic() - t0
	problems = insts[1].stop(sig=None, timeout=wsh.T(5))
	assert not problems, "\n".join(problems)
	# Every process is gone: the stopped master's workers, and those of
	# the killed master too (they stop gracefully when it dies).
	assert wait_for(lambda: not any(os.path.exists("/proc/%d" % p) and pid_alive(p)
	                                for p in workers), wsh.T(10)), workers
	total = results["ok"] + len(results["failed"])
	lat = sorted(results["latency"]) or [(0.0, t0)]
	figures.update(max_latency_ms="%.0f" % (1000 * lat[-1][0]),
	               p99_latency_ms="%.0f" % (1000 * lat[int(0.99 * (len(lat) - 1))][0]))
	# When the slow requests (over 0.5 s) started, against the kill and
	# the stop: seconds from the start of the load.
	figures["slow_over_500ms_at_s"] = [round(s - t0, 1) for d, s in lat if d > 0.5]
	figures.update(kill_at_s=round(t_kill - t0, 1), term_at_s=round(t_term - t0, 1))
	figures.update(requests=total, failed=len(results["failed"]),
	               availability="%.2f %%" % (100.0 * results["ok"] / max(total, 1)),
	               seconds="%.1f" % elapsed, rps="%.0f" % (total / elapsed))
	print("\ncluster-test figures: " + ", ".join("%s %s" % kv for kv in figures.items()))
	(shared / "figures.txt").write_text(repr(figures))
	assert results["failed"] == [], "%d of %d requests failed: %r" % (
		len(results["failed"]), total, results["failed"][:10])
	assert results["ok"] > 50

	# The one left still serves everything; the store holds no temporary.
	r, _ = fetch(lb.port, "GET", "/up/shared.bin")
	assert r.status == 200 and r.body == body
	assert sorted(os.listdir(shared / "store")) == ["shared.bin"]


V1_DUAL_STACK_CFG = """
global
    maxconn 100
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend www
    bind :::{port} v4v6
    default_backend one
backend one
    server web1 127.0.0.1:{backend} send-proxy
"""


@pytest.mark.skipif(not wsh.can_bind_v6("::"), reason="no IPv6 here: [::] cannot be bound")
def test_haproxy_v1_from_a_dual_stack_bind(server, tmp_path):
	"""HAProxy listening on [::] with v4v6 sees an IPv4 client as
	::ffff:a.b.c.d and writes it in a v1 header with a dotted tail
	(`PROXY TCP6 ::ffff:127.0.0.5 ...`): webserv takes it and shows the
	client as IPv4."""
	(tmp_path / "store").mkdir()
	srv = server(INSTANCE_CONF.replace("{workers}", "1").replace("{shared}", str(tmp_path)),
	             files={"cgi/env.sh": ENV_SH})
	lb = Balancer(tmp_path, [srv.port], V1_DUAL_STACK_CFG.replace("{backend}", str(srv.port)))
	got = []
	try:
		def ask():
			try:
				got[:] = [fetch(lb.port, "GET", "/cgi/env.sh")]
				return True
			except (OSError, AssertionError):
				return False
		assert wait_for(ask, wsh.T(10)), (tmp_path / "haproxy.log").read_text()
		r, sport = got[0]
		assert r.status == 200, (r.status, srv.stderr_text()[-2000:])
		env = dict(l.split("=", 1) for l in r.body.decode().split())
		assert env == {"REMOTE_ADDR": CLIENT_IP, "REMOTE_PORT": str(sport)}
		assert "invalid PROXY protocol header" not in srv.stderr_text()
	finally:
		lb.stop()
