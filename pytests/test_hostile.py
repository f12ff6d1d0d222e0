"""Robustness under hostile load: the connection cap reclaims idle
keep-alive connections, CGI processes are bounded and their process
groups always killed, no quadratic work a client can trigger, crash-safe
uploads, no write through a symlink, stored files kept inert.

A "normal request during the attack" is checked with a generous bound: it
tests behaviour, not speed.
"""

import os
import signal
import socket
import threading
import time

import pytest

import wsh
from wsh import req, get

PY = "/usr/bin/python3"
PROMPT = wsh.T(8)  # generous bound for "answered promptly"


def _get_ok(srv, path="/index.html", timeout=PROMPT):
	t0 = time.monotonic()
	with wsh.Conn(srv.port, timeout=timeout) as c:
		c.send(get(path))
		r = c.read_response()
	return r, time.monotonic() - t0


# -- 1. the connection cap ---------------------------------------------------

CAP_CONF = """
max_connections 8;
server {
    listen 127.0.0.1:{port};
    root {root};
    keepalive_timeout 60s;
    client_header_timeout 60s;
}
"""


def test_idle_keepalive_reclaimed_at_cap(server):
	srv = server(CAP_CONF, files={"index.html": "hello\n"})
	idle = []
	try:
		# One connection with a request begun (never reclaimed), the
		# others each served one request and now idle on keep-alive.
		busy = wsh.Conn(srv.port)
		busy.send(b"GET /index.html HTTP/1.1\r\nHost: x\r\n")
		for _ in range(7):
			c = wsh.Conn(srv.port)
			c.send(get("/index.html"))
			assert c.read_response().status == 200
			idle.append(c)
		# Three more clients, each beyond the cap: answered at once.
		for _ in range(3):
			r, dt = _get_ok(srv)
			assert r.status == 200 and r.body == b"hello\n"
			assert dt < PROMPT
		# The connection with a request in progress was kept.
		busy.send(b"\r\n")
		r = busy.read_response()
		assert r.status == 200
		busy.close()
		# The oldest idle ones went first.
		assert idle[0].is_closed(2.0)
		log = srv.stderr_text()
		assert log.count("max_connections (8) reached") == 1, log
	finally:
		for c in idle:
			c.close()


def test_cap_without_idle_connections_waits(server):
	"""Connections with a request begun are never closed to make room: a
	new client waits in the backlog until one ends."""
	srv = server(CAP_CONF.replace("max_connections 8", "max_connections 2"),
	             files={"index.html": "hello\n"})
	a = wsh.Conn(srv.port)
	b = wsh.Conn(srv.port)
	a.send(b"GET /index.html HTTP/1.1\r\nHost: x\r\n")
	b.send(b"GET /index.html HTTP/1.1\r\nHost: x\r\n")
	time.sleep(0.3)
	n = wsh.Conn(srv.port)
	n.send(get("/index.html"))
	with pytest.raises(wsh.ResponseTimeout):
		n.read_response(timeout=1.0)
	a.send(b"Connection: close\r\n\r\n")
	assert a.read_response().status == 200
	assert n.read_response().status == 200
	b.send(b"\r\n")
	assert b.read_response().status == 200
	for c in (a, b, n):
		c.close()


# -- 3. CGI processes are bounded / 5. the process group is killed ---------

CGI_CONF = """
cgi_max_processes 2;
server {
    listen 127.0.0.1:{port};
    root {root};
    location /cgi/ {
        allow_methods GET POST;
        cgi .py /usr/bin/python3;
        cgi_timeout 10s;
    }
    location /q/ {
        allow_methods GET POST;
        cgi .py /usr/bin/python3;
        cgi_timeout 1s;
    }
}
"""

COUNT_PY = r"""
import os, sys, time
d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "running")
os.makedirs(d, exist_ok=True)
me = os.path.join(d, str(os.getpid()))
open(me, "w").close()
n = len(os.listdir(d))
time.sleep(0.8)
os.unlink(me)
sys.stdout.write("Content-Type: text/plain\r\n\r\n%d\n" % n)
"""

# Holds its slot for about 2.5 s while talking (so no cgi_timeout).
STREAM_PY = r"""
import sys, time
sys.stdout.write("Content-Type: text/plain\r\n\r\n")
sys.stdout.flush()
for i in range(10):
    sys.stdout.write("%d\n" % i)
    sys.stdout.flush()
    time.sleep(0.25)
"""

MARK_PY = r"""
import os, sys
q = os.environ.get("QUERY_STRING", "x")
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "mark-" + q), "w").close()
sys.stdout.write("Content-Type: text/plain\r\n\r\nmarked\n")
"""

BG_PY = r"""
import os, subprocess, sys
p = subprocess.Popen(["sleep", "300"], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
sys.stdout.write("Content-Type: text/plain\r\n\r\n%d\n" % p.pid)
"""


# The background child keeps the script's stdout open: the script is
# reaped long before its output ends (at cgi_timeout).
BG_HOLD_PY = r"""
import os, subprocess, sys
p = subprocess.Popen(["sleep", "300"], stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
d = os.path.dirname(os.path.abspath(__file__))
open(os.path.join(d, "bgpid"), "w").write(str(p.pid))
sys.stdout.write("Content-Type: text/plain\r\n\r\nstarted\n")
"""


def _cgi_server(server, conf=CGI_CONF):
	return server(conf, files={"index.html": "hello\n", "cgi/count.py": COUNT_PY,
	                           "cgi/stream.py": STREAM_PY, "q/stream.py": STREAM_PY,
	                           "q/mark.py": MARK_PY, "cgi/mark.py": MARK_PY,
	                           "cgi/bg.py": BG_PY, "q/bghold.py": BG_HOLD_PY})


def test_cgi_processes_bounded(server):
	srv = _cgi_server(server)
	results = []

	def one():
		with wsh.Conn(srv.port, timeout=20) as c:
			c.send(get("/cgi/count.py"))
			results.append(c.read_response())

	threads = [threading.Thread(target=one) for _ in range(6)]
	for t in threads:
		t.start()
	# A static request is not held up by the queue.
	r, dt = _get_ok(srv)
	assert r.status == 200
	for t in threads:
		t.join(wsh.T(30))
	assert len(results) == 6
	assert all(r.status == 200 for r in results), [r.status for r in results]
	seen = [int(r.body) for r in results]
	assert max(seen) <= 2, seen


def test_cgi_queue_503_after_timeout(server):
	srv = _cgi_server(server, CGI_CONF.replace("cgi_max_processes 2", "cgi_max_processes 1"))
	a = wsh.Conn(srv.port, timeout=10)
	a.send(get("/q/stream.py"))
	time.sleep(0.3)
	t0 = time.monotonic()
	with wsh.Conn(srv.port, timeout=10) as b:
		b.send(get("/q/mark.py?late"))
		r = b.read_response()
	assert r.status == 503
	assert r.header("Retry-After") == "1"
	assert b"<html" in r.body.lower()
	assert time.monotonic() - t0 >= 0.8
	assert a.read_response().status == 200
	a.close()
	assert not (srv.root / "q" / "mark-late").exists()


def test_cgi_waiting_client_gone_never_starts(server):
	srv = _cgi_server(server, CGI_CONF.replace("cgi_max_processes 2", "cgi_max_processes 1"))
	a = wsh.Conn(srv.port, timeout=10)
	a.send(get("/cgi/stream.py"))
	time.sleep(0.3)
	b = wsh.Conn(srv.port)
	b.send(get("/cgi/mark.py?gone"))
	time.sleep(0.2)
	b.abort()
	assert a.read_response().status == 200
	a.close()
	# The slot is free again: the next request runs its script.
	r, _ = _get_ok(srv, "/cgi/mark.py?next")
	assert r.status == 200
	assert (srv.root / "cgi" / "mark-next").exists()
	assert not (srv.root / "cgi" / "mark-gone").exists()


def test_cgi_never_started_for_client_gone(server):
	"""A client that leaves before its body is complete, or resets right
	after sending it, never starts a script."""
	srv = _cgi_server(server, CGI_CONF.replace("cgi_max_processes 2;", ""))
	c = wsh.Conn(srv.port)
	c.send(req("POST", "/cgi/mark.py?partial", {"Content-Length": "100"}, b"x" * 10))
	time.sleep(0.2)
	c.close()
	c = wsh.Conn(srv.port)
	c.send(req("POST", "/cgi/mark.py?reset", {"Content-Length": "3"}, b"abc"))
	c.abort()
	time.sleep(0.5)
	r, _ = _get_ok(srv, "/cgi/mark.py?after")
	assert r.status == 200
	assert (srv.root / "cgi" / "mark-after").exists()
	assert not (srv.root / "cgi" / "mark-partial").exists()
	assert not (srv.root / "cgi" / "mark-reset").exists()


def _gone(pid):
	try:
		with open("/proc/%d/stat" % pid) as f:
			return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
	except OSError:
		return True


def test_cgi_background_child_killed(server):
	srv = _cgi_server(server, CGI_CONF.replace("cgi_max_processes 2;", ""))
	with wsh.Conn(srv.port) as c:
		c.send(get("/cgi/bg.py"))
		r = c.read_response()
		assert r.status == 200
		pid = int(r.body)
		# Let the server reap the script before the exchange ends.
		time.sleep(0.5)
		c.send(get("/index.html"))
		assert c.read_response().status == 200
	try:
		deadline = time.monotonic() + wsh.T(5)
		while not _gone(pid) and time.monotonic() < deadline:
			time.sleep(0.05)
		assert _gone(pid), "the script's background child survived"
	finally:
		if not _gone(pid):
			os.kill(pid, signal.SIGKILL)


# -- 2. a crash leaves no partial upload behind ------------------------------

STORE_CONF = """
server {
    listen 127.0.0.1:{port};
    root {root};
    location /up/ {
        allow_methods GET HEAD POST PUT DELETE;
        upload_store {tmp}/store;
        alias {tmp}/store/;
        autoindex on;
        client_max_body_size 0;
    }
}
"""


def test_sigkill_mid_put_leaves_no_debris(server):
	srv = server(STORE_CONF, files={"index.html": "hello\n"}, dirs=["store"])
	store = srv.tmp / "store"
	c = wsh.Conn(srv.port)
	c.send(req("PUT", "/up/big.bin", {"Content-Length": str(100 << 20)}))
	sent = 0
	chunk = b"x" * (1 << 16)
	while sent < (8 << 20):
		c.send(chunk)
		sent += len(chunk)
	time.sleep(0.3)
	os.kill(srv.pid, signal.SIGKILL)
	srv.proc.wait()
	c.close()
	# A leftover from a server that could only use named files.
	(store / ".upload-AbC123").write_bytes(b"partial")
	srv.restart()
	assert sorted(os.listdir(store)) == []
	assert "stale temporary file" in srv.stderr_text()
	# The store still works after the restart.
	r = srv.http("PUT", "/up/ok.txt", data=b"fine")
	assert r.status_code == 201
	assert sorted(os.listdir(store)) == ["ok.txt"]


def test_temp_files_never_served_listed_or_deleted(server):
	srv = server(STORE_CONF, files={"index.html": "hello\n"}, dirs=["store"])
	store = srv.tmp / "store"
	(store / ".upload-XyZ789").write_bytes(b"secret partial")
	(store / ".hidden").write_bytes(b"dot")
	(store / "a.txt").write_bytes(b"a")
	for path in ("/up/.upload-XyZ789", "/up/.hidden"):
		assert srv.get(path).status_code == 404
		assert srv.http("DELETE", path).status_code == 404
		assert srv.http("PUT", path, data=b"over").status_code == 404
	r = srv.get("/up/")
	assert r.status_code == 200 and "a.txt" in r.text and ".upload" not in r.text
	assert (store / ".upload-XyZ789").read_bytes() == b"secret partial"
	assert (store / ".hidden").read_bytes() == b"dot"


# -- 4. no quadratic work ----------------------------------------------------

def _multipart(names, boundary="XyZbOuNdArY"):
	out = []
	for n in names:
		out.append(("--%s\r\nContent-Disposition: form-data; name=\"f\"; filename=\"%s\"\r\n"
		            "Content-Type: text/plain\r\n\r\nx\r\n" % (boundary, n)).encode())
	out.append(("--%s--\r\n" % boundary).encode())
	return b"".join(out), "multipart/form-data; boundary=%s" % boundary


def test_many_parts_same_name_linear(server):
	srv = server(STORE_CONF.replace("client_max_body_size 0;",
	                                "client_max_body_size 0;\n        upload_max_files 5000;"),
	             files={"index.html": "hello\n"}, dirs=["store"])
	store = srv.tmp / "store"
	(store / "a.txt").write_bytes(b"old")
	(store / "a-1.txt").write_bytes(b"old")
	body, ctype = _multipart(["a.txt"] * 4000)
	result = {}

	def attack():
		with wsh.Conn(srv.port, timeout=60) as c:
			c.send(req("POST", "/up/", {"Content-Type": ctype,
			                             "Content-Length": str(len(body)),
			                             "Accept": "application/json"}, body))
			result["r"] = c.read_response(timeout=60)

	t = threading.Thread(target=attack)
	t.start()
	time.sleep(0.05)
	r, dt = _get_ok(srv)
	assert r.status == 200 and dt < PROMPT
	t.join(wsh.T(60))
	r = result["r"]
	assert r.status == 201
	names = set(os.listdir(store))
	assert len(names) == 4002
	assert "a-4001.txt" in names and "a-4002.txt" not in names
	assert (store / "a.txt").read_bytes() == b"old"
	# The reply is whole JSON and counts what it could not list.
	import json
	doc = json.loads(r.body)
	assert len(doc["files"]) + doc.get("more_files", 0) == 4000
	assert doc["files"][0]["name"] == "a-2.txt"


def test_upload_reply_never_cut(server):
	srv = server(STORE_CONF, files={"index.html": "hello\n"}, dirs=["store"])
	names = ["%s-%03d.txt" % ("n" * 200, i) for i in range(300)]
	body, ctype = _multipart(names)
	r = srv.post("/up/", data=body, headers={"Content-Type": ctype})
	assert r.status_code == 201
	assert r.text.rstrip().endswith("</html>")
	shown = r.text.count("<li>")
	import re
	m = re.search(r"and (\d+) more files", r.text)
	assert m, r.text[-300:]
	assert shown - 1 + int(m.group(1)) == 300
	assert len(os.listdir(srv.tmp / "store")) == 300


def test_upload_max_files_413(server):
	srv = server(STORE_CONF.replace("client_max_body_size 0;",
	                                "client_max_body_size 0;\n        upload_max_files 3;"),
	             files={"index.html": "hello\n"}, dirs=["store"])
	body, ctype = _multipart(["a.txt", "b.txt", "c.txt"])
	r = srv.post("/up/", data=body, headers={"Content-Type": ctype})
	assert r.status_code == 201
	body, ctype = _multipart(["d.txt", "e.txt", "f.txt", "g.txt"])
	r = srv.post("/up/", data=body, headers={"Content-Type": ctype})
	assert r.status_code == 413
	assert sorted(os.listdir(srv.tmp / "store")) == ["a.txt", "b.txt", "c.txt"]


def test_huge_autoindex_bounded(server):
	srv = server(STORE_CONF, files={"index.html": "hello\n"}, dirs=["store"])
	store = srv.tmp / "store"
	for i in range(3000):
		(store / ("%05d-%s" % (i, "&" * 200))).write_bytes(b"")
	clients = []
	try:
		# Clients that ask for the listing and never read it.
		for _ in range(10):
			c = wsh.Conn(srv.port, rcvbuf=4096)
			c.send(get("/up/"))
			clients.append(c)
		r, dt = _get_ok(srv)
		assert r.status == 200 and dt < PROMPT
		with wsh.Conn(srv.port, timeout=30) as c:
			c.send(get("/up/"))
			r = c.read_response(timeout=30)
		assert r.status == 200
		assert len(r.body) <= (1 << 20) + 4096
		assert r.body.rstrip().endswith(b"</html>")
		import re
		m = re.search(rb"(\d+) more entries not listed", r.body)
		assert m
		assert r.body.count(b"<a href=\"0") + int(m.group(1)) == 3000
	finally:
		for c in clients:
			c.close()


# -- 6. no write outside through a symlinked directory -----------------------

def test_symlinked_dir_in_store_writes_refused(server):
	srv = server(STORE_CONF, files={"index.html": "hello\n"}, dirs=["store", "outside", "store/sub"])
	store, outside = srv.tmp / "store", srv.tmp / "outside"
	os.symlink(str(outside), str(store / "linkdir"))
	(outside / "victim.txt").write_bytes(b"keep")
	r = srv.http("PUT", "/up/linkdir/new.txt", data=b"evil")
	assert r.status_code in (403, 404, 409)
	assert not (outside / "new.txt").exists()
	r = srv.http("PUT", "/up/linkdir/victim.txt", data=b"evil")
	assert r.status_code in (403, 404, 409)
	assert srv.http("DELETE", "/up/linkdir/victim.txt").status_code in (403, 404, 409)
	assert (outside / "victim.txt").read_bytes() == b"keep"
	# A real subdirectory still works.
	assert srv.http("PUT", "/up/sub/ok.txt", data=b"ok").status_code == 201
	assert srv.http("DELETE", "/up/sub/ok.txt").status_code == 204
	# Reads follow the operator's symlinks (disable_symlinks off).
	r = srv.get("/up/linkdir/victim.txt")
	assert r.status_code == 200 and r.content == b"keep"


def test_symlink_file_delete_removes_link_only(server):
	srv = server(STORE_CONF, files={"index.html": "hello\n"}, dirs=["store", "outside"])
	store, outside = srv.tmp / "store", srv.tmp / "outside"
	(outside / "t.txt").write_bytes(b"keep")
	os.symlink(str(outside / "t.txt"), str(store / "l.txt"))
	assert srv.http("DELETE", "/up/l.txt").status_code == 204
	assert not os.path.lexists(store / "l.txt")
	assert (outside / "t.txt").read_bytes() == b"keep"


def test_disable_symlinks_refuses_reads(server):
	conf = STORE_CONF.replace("autoindex on;", "autoindex on;\n        disable_symlinks on;")
	conf = conf.replace("    root {root};\n", "    root {root};\n    location /www/ {\n"
	                    "        alias {root}/;\n        disable_symlinks on;\n    }\n", 1)
	srv = server(conf, files={"index.html": "hello\n", "real/f.txt": "real\n"},
	             dirs=["store", "outside"])
	outside = srv.tmp / "outside"
	(outside / "f.txt").write_bytes(b"out")
	os.symlink(str(outside), str(srv.tmp / "store" / "linkdir"))
	os.symlink(str(srv.root / "real"), str(srv.root / "lnk"))
	os.symlink(str(srv.root / "index.html"), str(srv.root / "idx.html"))
	assert srv.get("/up/linkdir/f.txt").status_code == 403
	assert srv.get("/www/lnk/f.txt").status_code == 403
	assert srv.get("/www/idx.html").status_code == 403
	assert srv.get("/www/real/f.txt").status_code == 200
	# The same links are followed where disable_symlinks is off.
	assert srv.get("/lnk/f.txt").status_code == 200
	assert srv.get("/idx.html").status_code == 200


# -- 7. stored files stay inert ---------------------------------------------

def test_stored_active_types_are_attachments(server):
	conf = "types {\n    application/xhtml+xml xhtml;\n    text/html html;\n" \
	       "    image/svg+xml svg;\n    text/javascript js;\n    text/plain txt;\n}\n" + STORE_CONF
	srv = server(conf, files={"index.html": "<p>site</p>\n"}, dirs=["store"])
	for name, body in (("x.html", b"<script>alert(1)</script>"),
	                   ("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
	                   ("x.js", b"alert(1)"), ("x.xhtml", b"<html/>"), ("x.txt", b"text")):
		assert srv.http("PUT", "/up/" + name, data=body).status_code == 201
		r = srv.get("/up/" + name)
		assert r.status_code == 200 and r.content == body
		assert r.headers.get("X-Content-Type-Options") == "nosniff"
		if name == "x.txt":
			assert "Content-Disposition" not in r.headers
		else:
			assert r.headers.get("Content-Disposition") == "attachment", name
	# The site's own pages are not touched.
	r = srv.get("/index.html")
	assert "Content-Disposition" not in r.headers and "X-Content-Type-Options" not in r.headers


def test_upload_active_inline_on(server):
	conf = STORE_CONF.replace("autoindex on;", "autoindex on;\n        upload_active_inline on;")
	srv = server(conf, files={"index.html": "hello\n"}, dirs=["store"])
	assert srv.http("PUT", "/up/p.html", data=b"<p>hi</p>").status_code == 201
	r = srv.get("/up/p.html")
	assert r.headers.get("X-Content-Type-Options") == "nosniff"
	assert "Content-Disposition" not in r.headers


def test_cgi_background_child_killed_after_reap(server):
	srv = _cgi_server(server, CGI_CONF.replace("cgi_max_processes 2;", ""))
	with wsh.Conn(srv.port, timeout=10) as c:
		c.send(get("/q/bghold.py"))
		head = c._read_until(b"\r\n\r\n", time.monotonic() + wsh.T(5))
		assert b"200" in head.split(b"\r\n")[0]
		pid = int((srv.root / "q" / "bgpid").read_text())
		# The output never ends: at cgi_timeout the exchange is cut.
		assert c.is_closed(wsh.T(5))
	try:
		deadline = time.monotonic() + wsh.T(5)
		while not _gone(pid) and time.monotonic() < deadline:
			time.sleep(0.05)
		assert _gone(pid), "the script's background child survived the timeout"
	finally:
		if not _gone(pid):
			os.kill(pid, signal.SIGKILL)
