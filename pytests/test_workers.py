"""worker_processes N: a master that binds, forks N workers sharing the
listeners, forwards signals and replaces a worker that dies.

Which worker served a request is read from a CGI script that prints its
parent's PID (the worker forked it); the workers are the master's
children in /proc."""

import os
import signal
import socket
import time

import pytest

import wsh
from procs import children_of, pid_alive, wait_for
from wsh import get

HUGE = 48 * 1024 * 1024

# A shell CGI: cheap to start, prints the PID of the process that forked it.
PPID_SH = b"""#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' "$PPID"
"""

CONF = """
worker_processes {workers};
pid {tmp}/webserv.pid;
server {
    listen 127.0.0.1:{port};
    root {root};
    location /cgi/ {
        cgi .sh /bin/sh;
    }
    location /v {
        return 200 "{text}";
    }
}
"""


def conf(workers=2, text="one"):
	return CONF.replace("{workers}", str(workers)).replace("{text}", text)


def start(server, workers=2, huge=0):
	srv = server(conf(workers), files={"cgi/ppid.sh": PPID_SH, "a.txt": b"alpha"})
	if huge:
		with open(srv.root / "huge.bin", "wb") as f:
			f.truncate(huge)
	return srv


def live_children(pid):
	return sorted(p for p, st in children_of(pid) if st != "Z")


def workers_of(srv, n=2, timeout=10.0):
	"""The master's n live children, waiting for them."""
	assert wait_for(lambda: len(live_children(srv.pid)) == n, wsh.T(timeout)), \
		"master has children %r, want %d" % (children_of(srv.pid), n)
	return live_children(srv.pid)


def served_by(port):
	"""The worker PID that answered one request on a new connection."""
	r = wsh.exchange(port, get("/cgi/ppid.sh", headers={"Connection": "close"}))
	assert r.status == 200, r.status
	return int(r.body.strip())


def serving_pids(port, want, tries=400):
	"""Distinct worker PIDs seen over at most `tries` connections, stopping
	once `want` distinct ones answered."""
	seen = set()
	for _ in range(tries):
		seen.add(served_by(port))
		if len(seen) >= want:
			break
	return seen


def test_default_is_one_process(server):
	srv = start(server, workers=1)
	assert served_by(srv.port) == srv.pid  # the CGI's parent is the server itself
	assert live_children(srv.pid) == []


def test_both_workers_serve(server):
	srv = start(server)
	workers = workers_of(srv)
	assert int((srv.tmp / "webserv.pid").read_text()) == srv.pid  # the master's PID
	seen = serving_pids(srv.port, 2)
	assert seen == set(workers), "served by %r, workers are %r" % (seen, workers)
	# The master itself never serves.
	assert srv.pid not in seen


def test_cgi_children_reaped_by_worker(server):
	srv = start(server)
	workers = workers_of(srv)
	serving_pids(srv.port, 2, tries=40)
	for w in workers:
		assert wait_for(lambda w=w: not any(st == "Z" for _, st in children_of(w)),
		                wsh.T(5)), "zombie CGI children of worker %d" % w
	assert live_children(srv.pid) == workers


def test_sigterm_stops_master_and_workers(server):
	srv = start(server)
	workers = workers_of(srv)
	assert srv.get("/a.txt").content == b"alpha"
	keep = srv.conn()
	keep.send(get("/a.txt"))
	assert keep.read_response().body == b"alpha"
	try:
		problems = srv.stop(sig=signal.SIGTERM, timeout=wsh.T(5))
		assert not problems, "\n".join(problems)
		assert keep.is_closed(2)
	finally:
		keep.close()
	for w in workers:
		assert not os.path.exists("/proc/%d" % w), "worker %d outlived the master" % w
	assert not (srv.tmp / "webserv.pid").exists()
	with pytest.raises(OSError):
		socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()


def test_sigquit_lets_download_finish(server):
	srv = start(server, huge=HUGE)
	workers = workers_of(srv)
	c = wsh.Conn(srv.port, rcvbuf=65536)
	try:
		c.send(get("/huge.bin"))
		head = c.sock.recv(65536)
		assert head.startswith(b"HTTP/1.1 200"), head[:100]
		time.sleep(0.2)
		srv.send_signal(signal.SIGQUIT)
		# New connections are refused once every copy of the listener closed.
		assert wait_for(lambda: _refused(srv.port), wsh.T(5)), "still accepting after SIGQUIT"
		# The download in flight goes on to its last byte.
		hdr_end = head.index(b"\r\n\r\n") + 4
		got = len(head) - hdr_end
		c.sock.settimeout(wsh.T(20))
		while got < HUGE:
			chunk = c.sock.recv(1 << 20)
			if not chunk:
				break
			got += len(chunk)
		assert got == HUGE, "download cut at %d of %d bytes" % (got, HUGE)
	finally:
		c.close()
	problems = srv.stop(sig=None, timeout=wsh.T(10))
	assert not problems, "\n".join(problems)
	for w in workers:
		assert not os.path.exists("/proc/%d" % w)


def _refused(port):
	try:
		socket.create_connection(("127.0.0.1", port), timeout=1).close()
	except OSError:
		return True
	return False


def test_killed_worker_is_replaced(server):
	srv = start(server)
	workers = workers_of(srv)
	os.kill(workers[0], signal.SIGKILL)
	assert wait_for(lambda: workers[0] not in live_children(srv.pid)
	                and len(live_children(srv.pid)) == 2, wsh.T(10)), children_of(srv.pid)
	now = live_children(srv.pid)
	assert workers[1] in now
	new = [p for p in now if p != workers[0] and p != workers[1]]
	assert len(new) == 1
	assert "killed by signal 9" in srv.stderr_text()
	seen = serving_pids(srv.port, 2)
	assert seen == set(now)


def test_sighup_reload_starts_new_workers(server):
	srv = start(server)
	old = workers_of(srv)
	assert srv.get("/v").text == "one"
	srv.conf_path.write_text(srv.env.subst(conf(3, "two")))
	srv.send_signal(signal.SIGHUP)
	assert wait_for(lambda: not any(pid_alive(p) for p in old)
	                and len(live_children(srv.pid)) == 3, wsh.T(10)), children_of(srv.pid)
	assert srv.get("/v").text == "two"
	new = live_children(srv.pid)
	assert not set(new) & set(old)
	# An invalid configuration changes nothing: same workers, same answers.
	srv.conf_path.write_text("worker_processes 0;\n" + srv.conf_path.read_text())
	srv.send_signal(signal.SIGHUP)
	assert wait_for(lambda: "reload failed" in srv.stderr_text(), wsh.T(5))
	time.sleep(0.3)
	assert live_children(srv.pid) == new
	assert srv.get("/v").text == "two"


def test_sigusr1_reopens_logs_in_workers(server):
	srv = server(conf(2).replace("server {", "access_log {tmp}/access.log;\nserver {", 1),
	             files={"a.txt": b"alpha"})
	workers_of(srv)
	log = srv.tmp / "access.log"
	assert srv.get("/a.txt").status_code == 200
	assert wait_for(lambda: log.exists() and "/a.txt" in log.read_text(), wsh.T(5))
	os.rename(log, srv.tmp / "access.log.1")
	srv.send_signal(signal.SIGUSR1)
	assert wait_for(lambda: log.exists(), wsh.T(5)), "master did not reopen"
	time.sleep(0.2)
	# Whichever worker answers writes to the new file.
	for i in range(20):
		assert srv.get("/a.txt?n=%d" % i, headers={"Connection": "close"}).status_code == 200
	assert wait_for(lambda: log.read_text().count("/a.txt?n=") == 20, wsh.T(5)), log.read_text()
	assert "/a.txt?n=" not in (srv.tmp / "access.log.1").read_text()
