"""CGI/1.1 (RFC 3875) inside the event loop: meta-variables, request bodies
by length and chunked, the script's response header section (Status,
Location both kinds, several Set-Cookie), large outputs with back-pressure,
failures (502 / 504), concurrency, no zombie children, and the demo scripts
of cgi/.

Fixture scripts live in pytests/cgi_fixtures/ and are copied into the
server's docroot under /cgi/ (and /short/, a location with cgi_timeout 1s).
"""

import hashlib
import json
import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest

import wsh
from mixed import mex, pipelined_then_get, assert_second_ok
from procs import children_of, pid_alive, read_pid, vm_hwm_kib, wait_for
from wsh import req, get, chunked, assert_error_response

HERE = Path(__file__).resolve().parent
FIXT = HERE / "cgi_fixtures"
DEMO = HERE.parent / "cgi"
PY = "/usr/bin/python3"

CONF = """
server {
    listen 127.0.0.1:{port};
    server_name cgi.test alt.test;
    root {root};
    location /cgi/ {
        allow_methods GET HEAD POST;
        cgi .py /usr/bin/python3;
        cgi .sh /bin/sh;
        client_max_body_size 0;
    }
    location /short/ {
        allow_methods GET HEAD POST;
        cgi .py /usr/bin/python3;
        cgi_timeout 1s;
    }
    location /badinterp/ {
        cgi .py /nonexistent/bin/python9;
    }
}
server {
    listen 127.0.0.1:{port2};
    root {root};
    location /cgi/ {
        cgi .py /usr/bin/python3;
    }
}
"""

FIXTURE_NAMES = ["envdump.py", "status.py", "cookies.py", "redir_local.py",
                 "redir_abs.py", "redir_loop.py", "bigout.py", "nohdr.py",
                 "garbage.py", "exit_early.py", "hang.py", "hang_after_head.py",
                 "gate.py"]
DEMO_NAMES = ["hello.py", "env.py", "form.py", "upload.py", "hello.sh"]
TARGET = b"the redirect target\n"


def cgi_files():
	files = {"target.txt": TARGET, "static.txt": b"static\n",
	         "cgi/static.txt": b"not a script\n",
	         "cgi/dir.py/inner.txt": b"inner\n",
	         "outside.py": (FIXT / "envdump.py").read_bytes()}
	for n in FIXTURE_NAMES:
		files["cgi/" + n] = (FIXT / n).read_bytes()
	for n in ("hang.py", "hang_after_head.py", "envdump.py"):
		files["short/" + n] = (FIXT / n).read_bytes()
	files["badinterp/envdump.py"] = (FIXT / "envdump.py").read_bytes()
	for n in DEMO_NAMES:
		files["cgi/" + n] = (DEMO / n).read_bytes()
	return files


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, files=cgi_files())


# -- helpers -------------------------------------------------------------------

def call(srv, target, method="GET", headers=None, body=b"", version="HTTP/1.1",
         host="cgi.test", port=None, timeout=10):
	"""One request on a fresh raw connection. Returns (response, conn port)."""
	with wsh.Conn(port or srv.port, timeout=timeout) as c:
		c.send(req(method, target, headers, body, version=version, host=host))
		r = c.read_response(method)
		return r, c.sock.getsockname()[1]


def env_of(srv, target="/cgi/envdump.py", **kw):
	"""The JSON report of envdump.py (env, argv, cwd, body digest)."""
	r, cport = call(srv, target, **kw)
	assert r.status == 200, (r, r.body[:300])
	assert r.content_type == "application/json", r.headers
	d = json.loads(r.body)
	d["client_port"] = cport
	return d


def env(srv, target="/cgi/envdump.py", **kw):
	return env_of(srv, target, **kw)["env"]


def pattern_sha256(n):
	"""sha256 of the first n bytes of bigout.py's pattern."""
	base = bytes(range(256)) * 256
	h = hashlib.sha256()
	k = 0
	while n > 0:
		r = k % 256
		blk = (base[r:] + base[:r])[:n]
		h.update(blk)
		n -= len(blk)
		k += 1
	return h.hexdigest()


def stream_sha256(resp):
	h = hashlib.sha256()
	n = 0
	for blk in resp.iter_content(1 << 20):
		h.update(blk)
		n += len(blk)
	return n, h.hexdigest()


# "Answered while a script is busy" allows a generous time: what counts is
# that the answer comes at all while the script still runs (see the callers).
PROMPT = 8.0


def static_ok(srv):
	"""GET /static.txt is answered (within PROMPT seconds, scaled)."""
	t0 = time.monotonic()
	r = wsh.exchange(srv.port, get("/static.txt"), timeout=PROMPT)
	dt = time.monotonic() - t0
	assert r.status == 200 and r.body == b"static\n", r
	assert dt < wsh.T(PROMPT), "static GET took %.2fs while a CGI was busy" % dt
	return dt


# -- meta-variables (RFC 3875 section 4.1) --------------------------------------

@pytest.mark.rfc("3875", "4.1.4", "MUST")
def test_gateway_interface(srv):
	assert env(srv)["GATEWAY_INTERFACE"] == "CGI/1.1"


@pytest.mark.rfc("3875", "4.1.16", "MUST")
def test_server_protocol_11(srv):
	assert env(srv)["SERVER_PROTOCOL"] == "HTTP/1.1"


@pytest.mark.rfc("3875", "4.1.16", "MUST")
def test_server_protocol_10(srv):
	r, _ = call(srv, "/cgi/envdump.py", version="HTTP/1.0")
	assert r.status == 200
	assert json.loads(r.body)["env"]["SERVER_PROTOCOL"] == "HTTP/1.0"


@pytest.mark.rfc("3875", "4.1.17", "MUST")
def test_server_software(srv):
	v = env(srv)["SERVER_SOFTWARE"]
	assert v.strip() and re.match(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+", v), v


@pytest.mark.rfc("3875", "4.1.14", "MUST")
def test_server_name_first_server_name(srv):
	assert env(srv, host="alt.test")["SERVER_NAME"] == "cgi.test"


@pytest.mark.rfc("3875", "4.1.14", "MUST")
def test_server_name_from_host_without_port(srv):
	e = env(srv, port=srv.port2, host="Example.Test:%d" % srv.port2)
	assert e["SERVER_NAME"].lower() == "example.test"


@pytest.mark.rfc("3875", "4.1.15", "MUST")
def test_server_port(srv):
	assert env(srv)["SERVER_PORT"] == str(srv.port)
	assert env(srv, port=srv.port2, host="x")["SERVER_PORT"] == str(srv.port2)


@pytest.mark.rfc("3875", "4.1.12", "MUST")
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_request_method(srv, method):
	kw = {"headers": {"Content-Length": "0"}} if method == "POST" else {}
	assert env(srv, method=method, **kw)["REQUEST_METHOD"] == method


@pytest.mark.rfc("3875", "4.1.12", "MUST")
def test_head_runs_script_without_body(srv):
	r, _ = call(srv, "/cgi/envdump.py", method="HEAD")
	assert r.status == 200 and r.body == b""
	assert r.content_type == "application/json"


def test_request_uri_as_sent(srv):
	target = "/cgi/envdump.py/x%20y/z?a=1&b=%20c&&d"
	assert env(srv, target)["REQUEST_URI"] == target


@pytest.mark.rfc("3875", "4.1.13", "MUST")
def test_script_name(srv):
	assert env(srv, "/cgi/envdump.py")["SCRIPT_NAME"] == "/cgi/envdump.py"
	assert env(srv, "/cgi/envdump.py/extra/path?q")["SCRIPT_NAME"] == "/cgi/envdump.py"


def test_script_filename(srv):
	e = env(srv, "/cgi/envdump.py/more")
	assert os.path.isabs(e["SCRIPT_FILENAME"]), e["SCRIPT_FILENAME"]
	assert os.path.samefile(e["SCRIPT_FILENAME"], srv.root / "cgi" / "envdump.py")


@pytest.mark.rfc("3875", "4.1.5", "MUST")
def test_path_info(srv):
	assert env(srv, "/cgi/envdump.py/extra/path")["PATH_INFO"] == "/extra/path"


@pytest.mark.rfc("3875", "4.1.5", "MUST")
def test_path_info_is_decoded(srv):
	assert env(srv, "/cgi/envdump.py/a%20b/c%2Bd?x=%20")["PATH_INFO"] == "/a b/c+d"


@pytest.mark.rfc("3875", "4.1.5", "MUST")
def test_path_info_empty_without_extra_path(srv):
	assert env(srv, "/cgi/envdump.py?q=1").get("PATH_INFO", "") == ""


@pytest.mark.rfc("3875", "4.1.6", "MAY")
def test_path_translated(srv):
	e = env(srv, "/cgi/envdump.py/extra/path")
	assert e["PATH_TRANSLATED"] == str(srv.root) + "/extra/path"


@pytest.mark.rfc("3875", "4.1.6", "MUST")
def test_path_translated_unset_without_path_info(srv):
	assert env(srv, "/cgi/envdump.py").get("PATH_TRANSLATED", "") == ""


@pytest.mark.rfc("3875", "4.1.7", "MUST")
def test_query_string_not_decoded(srv):
	assert env(srv, "/cgi/envdump.py?a=1&b=%20c+d&e")["QUERY_STRING"] == "a=1&b=%20c+d&e"


@pytest.mark.rfc("3875", "4.1.7", "MUST")
def test_query_string_empty_string_when_absent(srv):
	e = env(srv, "/cgi/envdump.py")
	assert "QUERY_STRING" in e and e["QUERY_STRING"] == ""


@pytest.mark.rfc("3875", "4.1.2", "MUST")
def test_content_length_absent_without_body(srv):
	assert env(srv).get("CONTENT_LENGTH", "") == ""


@pytest.mark.rfc("3875", "4.1.3", "MUST")
def test_content_type(srv):
	e = env(srv, method="POST", headers={"Content-Type": "text/x-thing; charset=utf-8",
	                                     "Content-Length": "3"}, body=b"abc")
	assert e["CONTENT_TYPE"] == "text/x-thing; charset=utf-8"


@pytest.mark.rfc("3875", "4.1.8", "MUST")
def test_remote_addr_and_port(srv):
	d = env_of(srv)
	assert d["env"]["REMOTE_ADDR"] == "127.0.0.1"
	assert d["env"]["REMOTE_PORT"] == str(d["client_port"])


def test_redirect_status(srv):
	assert env(srv)["REDIRECT_STATUS"] == "200"


@pytest.mark.rfc("3875", "4.1.18", "MUST")
def test_http_headers_passed(srv):
	e = env(srv, headers={"X-Custom-Thing": "some value", "User-Agent": "pytest-cgi/1",
	                      "Accept": "*/*"})
	assert e["HTTP_X_CUSTOM_THING"] == "some value"
	assert e["HTTP_USER_AGENT"] == "pytest-cgi/1"
	assert e["HTTP_ACCEPT"] == "*/*"
	assert e["HTTP_HOST"] == "cgi.test"


@pytest.mark.rfc("3875", "4.1.18", "MUST")
def test_repeated_header_combined(srv):
	e = env(srv, headers=[("X-Multi", "a"), ("X-Multi", "b")])
	assert re.sub(r"\s+", "", e["HTTP_X_MULTI"]) == "a,b", e["HTTP_X_MULTI"]


@pytest.mark.parametrize("name", ["Proxy", "proxy", "PROXY"])
def test_proxy_header_never_http_proxy(srv, name):
	"""httpoxy: a Proxy request header must not become HTTP_PROXY, which
	HTTP client libraries read as their proxy setting."""
	e = env(srv, headers={name: "http://evil.example:8080/"})
	assert "HTTP_PROXY" not in e, e.get("HTTP_PROXY")
	assert "http://evil.example:8080/" not in e.values()


def test_underscore_headers_not_passed(srv):
	e = env(srv, headers={"X_Under": "1", "Content_Type": "evil/x",
	                      "Path_Info": "/evil", "X-Ok": "2"})
	assert e["HTTP_X_OK"] == "2"
	assert "HTTP_X_UNDER" not in e
	assert "HTTP_CONTENT_TYPE" not in e and e.get("CONTENT_TYPE", "") != "evil/x"
	assert "HTTP_PATH_INFO" not in e and e.get("PATH_INFO", "") != "/evil"


@pytest.mark.rfc("3875", "7.2", "SHOULD")
def test_argv_and_cwd(srv):
	d = env_of(srv, "/cgi/envdump.py/p")
	assert os.path.samefile(d["cwd"], srv.root / "cgi")
	assert d["cmdline"][0] == PY, d["cmdline"]
	assert len(d["cmdline"]) == 2, d["cmdline"]
	assert os.path.samefile(d["cmdline"][1], srv.root / "cgi" / "envdump.py")


# -- request bodies ---------------------------------------------------------------

@pytest.mark.rfc("3875", "4.2", "MUST")
def test_body_by_content_length(srv):
	body = os.urandom(200_000)
	d = env_of(srv, method="POST", headers={"Content-Length": str(len(body)),
	                                        "Content-Type": "application/octet-stream"},
	           body=body)
	assert d["env"]["CONTENT_LENGTH"] == str(len(body))
	assert d["body_len"] == len(body)
	assert d["body_sha256"] == hashlib.sha256(body).hexdigest()


@pytest.mark.rfc("3875", "4.2", "MUST")
@pytest.mark.parametrize("size", [0, 1, 5000, 3 << 20])
def test_body_chunked_gets_exact_content_length(srv, size):
	"""A chunked body is de-chunked and CONTENT_LENGTH is its real length
	(3 MiB goes beyond the in-memory spool)."""
	body = os.urandom(size)
	pieces = [body[i:i + 70001] for i in range(0, len(body), 70001)]
	d = env_of(srv, method="POST", headers={"Transfer-Encoding": "chunked",
	                                        "Content-Type": "application/octet-stream"},
	           body=chunked(*pieces), timeout=30)
	assert d["env"].get("CONTENT_LENGTH", "0" if size == 0 else None) == str(size)
	assert d["body_len"] == size
	assert d["body_sha256"] == hashlib.sha256(body).hexdigest()


def test_body_large_by_length_streamed(srv):
	body = os.urandom(8 << 20)
	r = srv.post("/cgi/envdump.py", data=body, timeout=wsh.T(30),
	             headers={"Content-Type": "application/octet-stream"})
	assert r.status_code == 200
	d = r.json()
	assert d["body_len"] == len(body)
	assert d["body_sha256"] == hashlib.sha256(body).hexdigest()


# -- the script's response ----------------------------------------------------------

@pytest.mark.rfc("3875", "6.3.3", "MUST")
@pytest.mark.parametrize("code", [201, 404, 418, 503])
def test_status_header(srv, code):
	r, _ = call(srv, "/cgi/status.py?code=%d" % code)
	assert r.status == code
	assert r.body == b"status body %d\n" % code, "the script's own body is sent"
	assert r.content_type == "text/plain"
	assert r.has("Date") and r.has("Server")
	assert not r.has("Status"), "the Status field is not an HTTP header"


@pytest.mark.rfc("3875", "6.3.4", "MUST")
def test_several_set_cookie_and_other_headers(srv):
	r, _ = call(srv, "/cgi/cookies.py")
	assert r.status == 200 and r.body == b"cookies\n"
	assert r.headers_all("Set-Cookie") == ["a=1; Path=/", "b=2; Path=/; HttpOnly",
	                                       "c=3, with comma; Path=/"]
	assert r.header("X-Script") == "yes"


@pytest.mark.rfc("3875", "6.2.2", "MUST")
def test_local_redirect_to_static_file(srv):
	r, _ = call(srv, "/cgi/redir_local.py")
	assert r.status == 200, r
	assert r.body == TARGET
	assert not r.has("Location")


@pytest.mark.rfc("3875", "6.2.2", "MUST")
def test_local_redirect_to_cgi_with_query(srv):
	r, _ = call(srv, "/cgi/redir_local.py?to=/cgi/envdump.py%3Ffrom%3Dredir")
	assert r.status == 200, r
	e = json.loads(r.body)["env"]
	assert e["QUERY_STRING"] == "from=redir"
	assert e["SCRIPT_NAME"] == "/cgi/envdump.py"
	assert e["REQUEST_METHOD"] == "GET"


@pytest.mark.rfc("3875", "6.2.2", "MUST")
def test_local_redirect_after_post_is_get(srv):
	r, _ = call(srv, "/cgi/redir_local.py?to=/cgi/envdump.py", method="POST",
	            headers={"Content-Length": "5"}, body=b"hello")
	assert r.status == 200, r
	d = json.loads(r.body)
	assert d["env"]["REQUEST_METHOD"] == "GET"
	assert d["body_len"] == 0
	assert d["env"].get("CONTENT_LENGTH", "") == ""


@pytest.mark.rfc("3875", "6.2.3", "MUST")
def test_client_redirect_absolute_url_302(srv):
	r, _ = call(srv, "/cgi/redir_abs.py")
	assert r.status == 302
	assert r.header("Location") == "http://example.com/elsewhere?x=1"


@pytest.mark.rfc("3875", "6.2.4", "MUST")
def test_client_redirect_with_status(srv):
	r, _ = call(srv, "/cgi/redir_abs.py?301")
	assert r.status == 301
	assert r.header("Location") == "http://example.com/elsewhere?x=1"
	assert r.body == b"moved\n"


def test_local_redirect_loop_500(srv):
	r, _ = call(srv, "/cgi/redir_loop.py", timeout=20)
	assert_error_response(r, 500)


def test_script_content_length_passed(srv):
	r, _ = call(srv, "/cgi/bigout.py?n=100000&cl=1")
	assert r.status == 200 and r.framing == "length"
	assert r.header("Content-Length") == "100000"
	assert hashlib.sha256(r.body).hexdigest() == pattern_sha256(100000)


@pytest.mark.rfc("9112", "7.1", "MUST")
def test_output_without_length_chunked_http11(srv):
	r, _ = call(srv, "/cgi/bigout.py?n=300000")
	assert r.status == 200 and r.framing == "chunked"
	assert not r.has("Content-Length")
	assert hashlib.sha256(r.body).hexdigest() == pattern_sha256(300000)


@pytest.mark.rfc("9112", "6.3", "MUST")
def test_output_without_length_close_delimited_http10(srv):
	with wsh.Conn(srv.port) as c:
		c.send(req("GET", "/cgi/bigout.py?n=300000", version="HTTP/1.0"))
		r = c.read_response()
	assert r.status == 200
	assert r.framing == "close", "HTTP/1.0 must not get chunked: %r" % r.headers
	assert hashlib.sha256(r.body).hexdigest() == pattern_sha256(300000)


def test_keepalive_after_cgi(srv):
	with srv.conn() as c:
		c.send(get("/cgi/envdump.py", host="cgi.test"))
		r1 = c.read_response()
		c.send(get("/cgi/bigout.py?n=1000", host="cgi.test"))
		r2 = c.read_response()
		c.send(get("/static.txt") + get("/cgi/status.py?code=201"))
		r3, r4 = c.read_responses(2)
	assert r1.status == 200 and json.loads(r1.body)["env"]["GATEWAY_INTERFACE"]
	assert r2.status == 200 and len(r2.body) == 1000 and r2.framing == "chunked"
	assert r3.body == b"static\n"
	assert r4.status == 201


def test_fifty_mib_output_byte_exact(srv):
	n = 50 << 20
	r = srv.get("/cgi/bigout.py?n=%d" % n, stream=True, timeout=wsh.T(60))
	assert r.status_code == 200
	assert r.headers.get("Transfer-Encoding") == "chunked"
	got, digest = stream_sha256(r)
	assert got == n
	assert digest == pattern_sha256(n)


def test_shell_interpreter(srv):
	r = srv.get("/cgi/hello.sh?x=1")
	assert r.status_code == 200
	assert r.headers["Content-Type"].startswith("text/plain")
	assert "Hello from /bin/sh CGI" in r.text and "Query: x=1" in r.text


def test_non_script_in_cgi_location_is_static(srv):
	r = srv.get("/cgi/static.txt")
	assert r.status_code == 200 and r.content == b"not a script\n"


def test_directory_with_script_extension_not_run(srv):
	r = srv.get("/cgi/dir.py/inner.txt")
	assert r.status_code == 200 and r.content == b"inner\n"


def test_missing_script_404(srv):
	r = srv.get("/cgi/nope.py")
	assert r.status_code == 404


@pytest.mark.parametrize("target", ["/cgi/../outside.py", "/cgi/%2e%2e/outside.py",
                                    "/cgi/..%2foutside.py", "/cgi/../../x.py"])
def test_no_script_outside_location(srv, target):
	"""outside.py is under the root but not under /cgi/: normalisation routes
	it to the server's own settings, where .py is not CGI."""
	r, _ = call(srv, target)
	assert r.status != 200 or r.content_type != "application/json", \
		"script outside the CGI location ran for %s" % target


# -- failures ------------------------------------------------------------------------

@pytest.mark.rfc("3875", "6.1", "MUST")
@pytest.mark.parametrize("script", ["nohdr.py", "garbage.py", "exit_early.py"])
def test_bad_script_502(srv, script):
	r, _ = call(srv, "/cgi/" + script)
	assert_error_response(r, 502)
	static_ok(srv)


def test_nonexistent_interpreter_502(srv):
	r, _ = call(srv, "/badinterp/envdump.py")
	assert_error_response(r, 502)
	static_ok(srv)


def test_silent_script_504_and_others_served(srv):
	tag = "t504-%d" % os.getpid()
	res = {}

	def hung():
		t0 = time.monotonic()
		r, _ = call(srv, "/short/hang.py?" + tag, timeout=20)
		res["r"], res["dt"] = r, time.monotonic() - t0

	th = threading.Thread(target=hung)
	th.start()
	pid = read_pid(srv.root / "short" / "pids" / (tag + ".pid"))
	for _ in range(3):
		static_ok(srv)
	r2, _ = call(srv, "/cgi/envdump.py")
	assert r2.status == 200
	th.join(wsh.T(15))
	assert "r" in res, "no response to the silent script"
	assert_error_response(res["r"], 504)
	assert res["dt"] < wsh.T(6), "504 after %.1fs with cgi_timeout 1s" % res["dt"]
	assert wait_for(lambda: not pid_alive(pid), wsh.T(3)), "timed-out script still running"


def test_silent_after_head_closes_connection(srv):
	with wsh.Conn(srv.port, timeout=15) as c:
		c.send(get("/short/hang_after_head.py"))
		t0 = time.monotonic()
		closed, data = c.wait_closed(timeout=15)
		dt = time.monotonic() - t0
	assert closed, "connection still open after the script went silent"
	assert dt < wsh.T(8)
	assert data.startswith(b"HTTP/1.1 200"), data[:100]
	assert b"partial body" in data
	assert not data.endswith(b"\r\n0\r\n\r\n"), "an incomplete body was sent as complete"


def test_client_gone_script_killed(srv):
	"""A reset says the client is gone (a FIN alone is a half-close, which
	is still answered: see test_half_close.py)."""
	tag = "gone-%d" % os.getpid()
	c = wsh.Conn(srv.port)
	c.send(get("/cgi/hang.py?" + tag, host="cgi.test"))
	pid = read_pid(srv.root / "cgi" / "pids" / (tag + ".pid"))
	c.abort()
	assert wait_for(lambda: not pid_alive(pid), wsh.T(5)), \
		"the script outlived its client by 5s"
	static_ok(srv)


# -- concurrency and memory ---------------------------------------------------------

def test_twenty_sleepy_scripts_in_parallel(server):
	"""Twenty scripts that cannot answer until they are released all run at
	once, and a static GET is answered meanwhile: a waiting script blocks
	neither the loop nor the other scripts.  Shown by order, not by a clock:
	every script has started and none has answered when the static answer
	comes; then all twenty answer, from twenty processes."""
	n = 20
	s = server("cgi_max_processes %d;\n" % n + CONF, files=cgi_files())
	tag = "par-%d" % os.getpid()
	results = [None] * n

	def one(i):
		try:
			r, _ = call(s, "/cgi/gate.py?%s-%d" % (tag, i), timeout=60)
			results[i] = r.status, r.body
		except Exception as e:  # noqa: BLE001 - reported below
			results[i] = e

	ths = [threading.Thread(target=one, args=(i,)) for i in range(n)]
	for t in ths:
		t.start()
	try:
		pids = [read_pid(s.root / "cgi" / "pids" / ("%s-%d.pid" % (tag, i)), timeout=30)
		        for i in range(n)]
		assert all(pid_alive(p) for p in pids), "a script ended before it was released"
		static_ok(s)
		assert results == [None] * n, "a script answered before it was released: %r" % results
	finally:
		(s.root / "cgi" / "open").write_bytes(b"")
		for t in ths:
			t.join(wsh.T(60))
	bad = [r for r in results if not (isinstance(r, tuple) and r[0] == 200)]
	assert not bad, bad[:3]
	assert sorted(int(r[1].split()[1]) for r in results) == sorted(pids)
	assert len(set(pids)) == n, "20 distinct script processes"


@pytest.mark.slow
def test_slow_reader_large_output_memory_bounded(server):
	s = server(CONF, files=cgi_files())
	wsh.exchange(s.port, get("/cgi/bigout.py?n=100000"), timeout=10)
	before = vm_hwm_kib(s.pid)
	n = 64 << 20
	r = s.get("/cgi/bigout.py?n=%d" % n, stream=True, timeout=wsh.T(60))
	assert r.status_code == 200
	time.sleep(2.0)  # the script could write all 64 MiB by now: back-pressure
	static_ok(s)
	got, digest = stream_sha256(r)
	after = vm_hwm_kib(s.pid)
	growth = (after - before) / 1024.0
	print("\nslow reader, 64 MiB CGI output: server VmHWM %d -> %d KiB (+%.1f MiB)"
	      % (before, after, growth))
	assert got == n and digest == pattern_sha256(n)
	if wsh.ASAN:
		return  # ASan's allocator makes the figure meaningless
	assert growth < 16, "VmHWM grew by %.1f MiB for a slow reader" % growth


def test_sigterm_kills_running_scripts(server):
	s = server(CONF, files=cgi_files())
	tag = "term-%d" % os.getpid()
	c = wsh.Conn(s.port)
	c.send(get("/cgi/hang.py?" + tag, host="cgi.test"))
	pid = read_pid(s.root / "cgi" / "pids" / (tag + ".pid"))
	problems = s.stop()
	c.close()
	assert not problems, problems
	assert wait_for(lambda: not pid_alive(pid), wsh.T(3)), \
		"a running script survived the server's SIGTERM"


# -- other interpreters ------------------------------------------------------------

def test_php_cgi(server):
	php = "/usr/bin/php-cgi"
	# ci/deps.sh installs php-cgi for `make test`: its absence is a failure.
	assert os.access(php, os.X_OK), "php-cgi missing (%s): run ci/deps.sh as root" % php
	conf = CONF.replace("cgi .sh /bin/sh;", "cgi .sh /bin/sh;\n        cgi .php %s;" % php)
	files = cgi_files()
	files["cgi/info.php"] = b"<?php header('X-Php: 1'); echo 'php says ' . (6 * 7);"
	s = server(conf, files=files)
	r = s.get("/cgi/info.php")
	assert r.status_code == 200
	assert r.headers.get("X-Php") == "1"
	assert r.text == "php says 42"


# -- the demo scripts of cgi/ ---------------------------------------------------------

def test_demo_hello(srv):
	r = srv.get("/cgi/hello.py")
	assert r.status_code == 200
	assert r.headers["Content-Type"].startswith("text/html")
	assert 'href="/"' in r.text and "Hello" in r.text


def test_demo_env_escapes(srv):
	r = srv.get("/cgi/env.py?x=<b>", headers={"X-Evil": "<script>alert(1)</script>"})
	assert r.status_code == 200
	assert "HTTP_X_EVIL" in r.text and "GATEWAY_INTERFACE" in r.text
	assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
	assert "<script>" not in r.text and "<b>" not in r.text


def test_demo_form_get_and_post(srv):
	r = srv.get("/cgi/form.py")
	assert r.status_code == 200 and "<form" in r.text
	r = srv.get("/cgi/form.py?name=Ann&colour=%3Ci%3Ered")
	assert "Ann" in r.text and "&lt;i&gt;red" in r.text and "<i>red" not in r.text
	# Post/Redirect/Get: the POST answers 303 to the GET page showing it.
	r = srv.post("/cgi/form.py", data={"name": "Bob & <Co>", "message": "hi there"})
	assert r.status_code == 303 and r.text == ""
	loc = r.headers["Location"]
	assert loc.startswith("/cgi/form.py?") and "sent=post" in loc
	r = srv.get(loc)
	assert r.status_code == 200 and "Submitted by POST" in r.text
	assert "Bob &amp; &lt;Co&gt;" in r.text and "hi there" in r.text


def test_demo_upload(srv):
	a = os.urandom(70000) + b"\r\n--not-the-boundary\r\n"
	b = b"second file\n"
	r = srv.post("/cgi/upload.py", timeout=wsh.T(20),
	             files=[("file", ("../../evil name.bin", a)),
	                    ("file", ("b.txt", b)), ("note", (None, "a field"))])
	# Post/Redirect/Get: 303 to the page listing what was stored.
	assert r.status_code == 303, r.text[:500]
	assert r.headers["Location"] == "/cgi/upload.py?stored=evil+name.bin&stored=b.txt"
	up = srv.root / "cgi" / "uploads"
	assert (up / "evil name.bin").read_bytes() == a
	assert (up / "b.txt").read_bytes() == b
	r = srv.get(r.headers["Location"])
	assert r.status_code == 200 and "<code>evil name.bin</code>" in r.text
	assert not (srv.root / "evil name.bin").exists()
	r = srv.post("/cgi/upload.py", files=[("file", ("b.txt", b"again"))])
	assert r.status_code == 303 and r.headers["Location"].endswith("?stored=b-1.txt")
	assert (up / "b-1.txt").read_bytes() == b"again"
	assert (up / "b.txt").read_bytes() == b
	r = srv.get("/cgi/upload.py")
	assert r.status_code == 200 and "/cgi/upload.py?file=b-1.txt" in r.text
	r = srv.get("/cgi/upload.py?file=b-1.txt")
	assert r.status_code == 200 and r.content == b"again"
	assert srv.get("/cgi/upload.py?file=..%2Fupload.py").status_code == 404


# -- last: nothing left behind ---------------------------------------------------------

def test_zz_no_zombie_children(srv):
	"""After everything above, the module server has no zombie children."""
	assert srv.alive()
	ok = wait_for(lambda: not [p for p, st in children_of(srv.pid) if st == "Z"],
	              wsh.T(3))
	assert ok, "zombie children of the server: %r" % children_of(srv.pid)


def test_zz_no_script_left_running(srv):
	"""... and, once the hanging scripts were killed (timeout, client gone),
	no children at all."""
	wait_for(lambda: not children_of(srv.pid), wsh.T(5))
	left = children_of(srv.pid)
	assert not left, "children still running after the suite: %r" % left


# -- script Status codes and output framing (on the mixed server) ------------

@pytest.mark.rfc("9110", "8.6", "MUST")
def test_cgi_status_204_no_content_length(mixed_srv):
	r1, r2 = pipelined_then_get(mixed_srv, get("/cgi/edge.py?s204cl"))
	assert r1.status == 204
	assert not r1.has("Content-Length"), r1.headers
	assert_second_ok(r2)


@pytest.mark.rfc("3875", "6.3", "MUST")
def test_cgi_status_204_body_dropped(mixed_srv):
	r1, r2 = pipelined_then_get(mixed_srv, get("/cgi/edge.py?s204body"))
	assert r1.status == 204
	assert not r1.has("Transfer-Encoding") and not r1.has("Content-Length"), r1.headers
	assert_second_ok(r2)


@pytest.mark.rfc("9110", "15.4.5", "MUST")
def test_cgi_status_304_no_body(mixed_srv):
	r1, r2 = pipelined_then_get(mixed_srv, get("/cgi/edge.py?s304"))
	assert r1.status == 304
	assert not r1.has("Transfer-Encoding"), r1.headers
	assert_second_ok(r2)


@pytest.mark.rfc("3875", "6.1", "MUST")
@pytest.mark.parametrize("q", ["s100", "s101"])
def test_cgi_status_1xx_is_not_a_final_response(mixed_srv, q):
	"""1xx responses are interim and have no content (RFC 9110 15.2); a
	script that asks for one has produced an invalid response: 502."""
	with mixed_srv.conn() as c:
		c.send(get("/cgi/edge.py?" + q) + get("/a.txt", headers={"Connection": "close"}))
		r1 = c.read_response()
		assert not (100 <= r1.status < 200), "CGI Status %d sent as a response" % r1.status
		assert r1.status == 502
		r2 = c.read_response()
	assert_second_ok(r2)


@pytest.mark.rfc("3875", "6.3", "MUST")
def test_cgi_headers_only_http11_empty_chunked(mixed_srv):
	r1, r2 = pipelined_then_get(mixed_srv, get("/cgi/edge.py?hdronly"))
	assert r1.status == 200 and r1.body == b""
	assert r1.framing in ("chunked", "length"), r1.framing
	assert_second_ok(r2)


@pytest.mark.rfc("3875", "6.3", "MUST")
def test_cgi_headers_only_http10(mixed_srv):
	with mixed_srv.conn() as c:
		c.send(get("/cgi/edge.py?hdronly", version="HTTP/1.0"))
		r = c.read_response()
	assert r.status == 200 and r.body == b""
	assert r.framing in ("close", "length"), r.framing


@pytest.mark.rfc("3875", "6.3", "MUST")
@pytest.mark.parametrize("q,body,hdr", [("lf", b"lf-body", ("X-Lf", "yes")),
                                        ("mixed", b"mixed-body", ("X-B", "2"))])
def test_cgi_lf_line_ends(mixed_srv, q, body, hdr):
	"""RFC 3875 6.3: the script's header lines may end in LF (NL)."""
	r1, r2 = pipelined_then_get(mixed_srv, get("/cgi/edge.py?" + q))
	assert r1.status == 200 and r1.body == body
	assert r1.header(hdr[0]) == hdr[1]
	assert b"\n\n" not in r1.raw_head and b"\r\n\n" not in r1.raw_head
	assert_second_ok(r2)


def test_cgi_huge_header_line(mixed_srv):
	"""A 20 KB header line from a script: refused with 502 or passed on
	intact; either way correctly framed."""
	r1, r2 = pipelined_then_get(mixed_srv, get("/cgi/edge.py?bighdr"))
	if r1.status == 502:
		assert_error_response(r1, 502)
	else:
		assert r1.status == 200 and r1.header("X-Big") == "a" * 20000
		assert r1.body == b"body"
	assert_second_ok(r2)


@pytest.mark.rfc("9110", "8.6", "MUST")
def test_cgi_output_longer_than_its_content_length(mixed_srv):
	"""The response carries exactly the announced length; the extra
	bytes never reach the client as a next response."""
	r1, r2 = pipelined_then_get(mixed_srv, get("/cgi/edge.py?over"))
	assert r1.status == 200 and r1.header("Content-Length") == "5" and r1.body == b"01234"
	assert_second_ok(r2)


@pytest.mark.rfc("9112", "8", "MUST")
def test_cgi_output_shorter_than_its_content_length_closes(mixed_srv):
	with mixed_srv.conn() as c:
		c.send(get("/cgi/edge.py?under"))
		with pytest.raises(wsh.ConnectionClosed):
			c.read_response()


@pytest.mark.rfc("3875", "4.1.5", "MUST")
def test_cgi_path_info_with_encoded_slash(mixed_srv):
	"""PATH_INFO is decoded; the README documents %2F as a '/'."""
	r = mex(mixed_srv, get("/cgi/edge.py/a%2Fb/c%20d?pi"))
	assert r.status == 200 and r.body == b"/a/b/c d"


@pytest.mark.rfc("9112", "9.3.2", "MUST")
def test_next_request_sent_while_cgi_runs(mixed_srv):
	"""A pipelined request that arrives while a script is still working is
	answered after it, in order."""
	with mixed_srv.conn(timeout=10) as c:
		c.send(get("/cgi/edge.py?slow"))
		time.sleep(0.3)
		c.send(get("/a.txt"))
		time.sleep(0.1)
		body = b"posted-while-running"
		c.send(req("POST", "/cgi/edge.py?echo", {"Content-Length": len(body)}, body))
		r1, r2, r3 = c.read_responses(3)
	assert (r1.status, r1.body) == (200, b"slow-done")
	assert_second_ok(r2)
	assert (r3.status, r3.body) == (200, body)


@pytest.mark.rfc("9112", "9.3.2", "MUST")
def test_chunked_post_to_cgi_then_pipelined_get(mixed_srv):
	first = (req("POST", "/cgi/edge.py?echo", {"Transfer-Encoding": "chunked"})
	         + b"2;x=y\r\nab\r\n1\r\nc\r\n0\r\nT: v\r\n\r\n")
	r1, r2 = pipelined_then_get(mixed_srv, first)
	assert r1.status == 200 and r1.body == b"abc"
	assert_second_ok(r2)


# -- a second server: meta-variables in full, descriptors, interpreters, framing, redirects ----

CGI_CONF = """
error_log {tmp}/error.log;
server {
    listen {port};
    server_name edge2.test;
    root {root};
    location /cgi/ {
        allow_methods GET HEAD POST;
        cgi .py /usr/bin/python3;
        client_max_body_size 0;
    }
    location /plain/ { }
    location /idx/ {
        cgi .py /usr/bin/python3;
        index app.py;
    }
    location /ni1/ { cgi .py {tmp}/not-executable; }
    location /ni2/ { cgi .py {tmp}; }
}
server {
    listen {port2};
    root {root};
    location /cgi/ {
        cgi .py /usr/bin/python3;
    }
}
"""


@pytest.fixture(scope="module")
def csrv(module_server, cgi_scripts):
	"""The server of CGI_CONF; env.py and app.py are cgi_fixtures/envdump.py."""
	env = cgi_scripts("envdump.py")["cgi/envdump.py"]
	files = {"a.txt": b"alpha", "cgi/env.py": env, "cgi/sub/app.py": env, "plain/app.py": env,
	         "idx/app.py": env, "ni1/env.py": env, "ni2/env.py": env}
	files.update(cgi_scripts("multi.py"))
	s = module_server(CGI_CONF, files=files,
	                  tmpfiles={"not-executable": b"#!/bin/sh\necho hi\n"})
	os.chmod(s.tmp / "not-executable", 0o644)
	return s


def cgi_json(r):
	assert r.status == 200, (r, r.body[:300])
	assert r.content_type == "application/json", r.headers
	return json.loads(r.body)


@pytest.mark.rfc("3875", "4.1", "MUST")
def test_cgi_every_meta_variable(csrv):
	"""One POST with a query, PATH_INFO, a body and custom headers under a
	nested directory: every meta-variable has its exact value."""
	body = b"hello=world&x=%41"
	target = "/cgi/sub/app.py/x/y%20z/other.py?a=1&b=%41+c"
	with csrv.conn() as c:
		c.send(req("POST", target, [("Content-Type", "application/x-www-form-urlencoded"),
		                            ("Content-Length", str(len(body))),
		                            ("X-Custom", "v1"), ("X-Custom", "v2"),
		                            ("X_Drop", "dropped"), ("Proxy", "http://evil/"),
		                            ("Accept-Language", "fr;q=0.5")],
		           body, host="Edge2.Test:%d" % csrv.port))
		cport = c.sock.getsockname()[1]
		d = cgi_json(c.read_response())
	e = d["env"]
	want = {
		"GATEWAY_INTERFACE": "CGI/1.1",
		"SERVER_PROTOCOL": "HTTP/1.1",
		"SERVER_NAME": "edge2.test",
		"SERVER_PORT": str(csrv.port),
		"REQUEST_METHOD": "POST",
		"REQUEST_URI": target,
		"SCRIPT_NAME": "/cgi/sub/app.py",
		"PATH_INFO": "/x/y z/other.py",
		"PATH_TRANSLATED": str(csrv.root) + "/x/y z/other.py",
		"QUERY_STRING": "a=1&b=%41+c",
		"CONTENT_TYPE": "application/x-www-form-urlencoded",
		"CONTENT_LENGTH": str(len(body)),
		"REMOTE_ADDR": "127.0.0.1",
		"REMOTE_PORT": str(cport),
		"REDIRECT_STATUS": "200",
		"HTTP_ACCEPT_LANGUAGE": "fr;q=0.5",
		"HTTP_HOST": "Edge2.Test:%d" % csrv.port,
	}
	got = {k: e.get(k) for k in want}
	assert got == want
	assert e["SERVER_SOFTWARE"].strip()
	assert os.path.samefile(e["SCRIPT_FILENAME"], csrv.root / "cgi" / "sub" / "app.py")
	assert os.path.samefile(d["cwd"], csrv.root / "cgi" / "sub")
	assert re.sub(r"\s+", "", e["HTTP_X_CUSTOM"]) == "v1,v2"
	assert "HTTP_X_DROP" not in e and "X_DROP" not in e
	assert "HTTP_PROXY" not in e
	assert "dropped" not in e.values() and "http://evil/" not in e.values()
	assert d["body_len"] == len(body)
	assert d["body_sha256"] == hashlib.sha256(body).hexdigest()


@pytest.mark.rfc("3875", "4.1.14", "MUST")
def test_cgi_server_name_without_server_name_or_host(csrv):
	"""No server_name and an HTTP/1.0 request without Host: SERVER_NAME is
	still the server's own name or address (the one the client connected
	to), never the client's."""
	s = socket.socket()
	s.bind(("127.0.0.3", 0))
	s.settimeout(wsh.T(5))
	s.connect(("127.0.0.2", csrv.port2))
	c = wsh.Conn.__new__(wsh.Conn)
	c.sock, c.buf, c.eof, c.reset, c.timeout = s, b"", False, False, wsh.T(5)
	with c:
		c.send(b"GET /cgi/env.py HTTP/1.0\r\n\r\n")
		e = cgi_json(c.read_response())["env"]
	assert e["REMOTE_ADDR"] == "127.0.0.3"
	assert e["SERVER_PORT"] == str(csrv.port2)
	assert e.get("SERVER_NAME"), "SERVER_NAME missing or empty"
	assert e["SERVER_NAME"] != "127.0.0.3", "SERVER_NAME is the client's address"


def test_cgi_inherits_no_server_descriptors(csrv):
	"""The script sees its stdin, stdout and stderr: no listening or client
	socket, no other pipe, no log or upload file of the server."""
	d = cgi_json(wsh.exchange(csrv.port, get("/cgi/env.py")))
	extra = {fd: t for fd, t in d["fds"].items()
	         if int(fd) > 2 and not t.startswith("/proc/")}
	assert not extra, "descriptors leaked into the script: %r" % extra
	assert not d["fds"]["0"].startswith("socket:") and not d["fds"]["1"].startswith("socket:")


def test_cgi_py_outside_cgi_location_is_served_as_file(csrv):
	r = wsh.exchange(csrv.port, get("/plain/app.py"))
	assert r.status == 200 and r.body == (csrv.root / "plain" / "app.py").read_bytes()
	assert not (r.content_type == "application/json")


def test_cgi_index_script_runs(csrv):
	d = cgi_json(wsh.exchange(csrv.port, get("/idx/?q=1")))
	assert d["env"]["QUERY_STRING"] == "q=1"
	assert os.path.samefile(d["env"]["SCRIPT_FILENAME"], csrv.root / "idx" / "app.py")


@pytest.mark.parametrize("loc", ["/ni1/", "/ni2/"], ids=["not_executable", "directory"])
def test_cgi_unusable_interpreter_502(csrv, loc):
	r = wsh.exchange(csrv.port, get(loc + "env.py"))
	assert_error_response(r, 502)
	assert wsh.exchange(csrv.port, get("/a.txt")).body == b"alpha"


def test_cgi_lots_of_stderr_does_not_block(csrv):
	"""1 MiB on stderr (more than any pipe holds) before the answer."""
	r = wsh.exchange(csrv.port, get("/cgi/multi.py?stderr"), timeout=20)
	assert r.status == 200 and r.body == b"survived stderr"


def test_cgi_stderr_goes_to_error_log(csrv):
	wsh.exchange(csrv.port, get("/cgi/multi.py?stderr"), timeout=20)
	log = csrv.tmp / "error.log"
	assert wait_for(lambda: log.exists() and b"STDERR-MARKER" in log.read_bytes(), wsh.T(3)), \
		"the script's stderr did not reach the error_log file"


@pytest.mark.rfc("9112", "9.3", "MUST")
def test_cgi_chunked_keepalive_three_then_static(csrv):
	with csrv.conn(timeout=10) as c:
		for i in range(3):
			c.send(get("/cgi/multi.py?chunks"))
			r = c.read_response()
			assert r.status == 200 and r.body == b"piece0;piece1;piece2;piece3;piece4;"
			assert r.framing in ("chunked", "length"), r.framing
		c.send(get("/a.txt"))
		r = c.read_response()
		assert r.body == b"alpha"
		# and pipelined: two CGI answers and a file in one write
		c.send(get("/cgi/multi.py?chunks") + get("/cgi/env.py") + get("/a.txt"))
		r1, r2, r3 = c.read_responses(3)
	assert r1.body == b"piece0;piece1;piece2;piece3;piece4;"
	assert cgi_json(r2)["env"]["GATEWAY_INTERFACE"] == "CGI/1.1"
	assert r3.body == b"alpha"


@pytest.mark.rfc("9112", "6.3", "MUST")
def test_cgi_http10_keepalive_client_gets_unambiguous_framing(csrv):
	"""An HTTP/1.0 client asking for keep-alive and a CGI without
	Content-Length: never chunked; either a Content-Length (then the
	connection may stay) or close-delimited (then it must close)."""
	with csrv.conn(timeout=10) as c:
		c.send(get("/cgi/multi.py?chunks", version="HTTP/1.0",
		           headers={"Connection": "keep-alive"}))
		r = c.read_response()
		assert not r.has("Transfer-Encoding"), r.headers
		assert r.body == b"piece0;piece1;piece2;piece3;piece4;"
		if r.framing == "length":
			c.send(get("/a.txt", version="HTTP/1.0", headers={"Connection": "keep-alive"}))
			assert c.read_response().body == b"alpha"
		else:
			assert r.framing == "close"


def test_cgi_reads_part_of_large_body(csrv):
	"""The script reads 10 bytes of a 4 MiB body and answers; the answer
	arrives, and the connection either goes on or is closed as announced."""
	n = 4 << 20
	with csrv.conn(timeout=30) as c:
		c.send(req("POST", "/cgi/multi.py?partial", {"Content-Length": str(n)},
		           b"0123456789" + b"y" * (n - 10)) + get("/a.txt"))
		r = c.read_response(timeout=30)
		assert r.status == 200 and r.body == b"read 0123456789"
		try:
			r2 = c.read_response()
		except wsh.ConnectionClosed:
			assert "close" in r.connection_tokens(), r.headers
			return
	assert r2.body == b"alpha"


def test_cgi_reads_part_of_chunked_body(csrv):
	body = [b"0123456789", b"z" * 300000, b"z" * 300000]
	with csrv.conn(timeout=30) as c:
		c.send(req("POST", "/cgi/multi.py?partial", {"Transfer-Encoding": "chunked"})
		       + chunked(*body) + get("/a.txt"))
		r = c.read_response(timeout=30)
		assert r.status == 200 and r.body == b"read 0123456789"
		try:
			r2 = c.read_response()
		except wsh.ConnectionClosed:
			assert "close" in r.connection_tokens(), r.headers
			return
	assert r2.body == b"alpha"


@pytest.mark.rfc("3875", "6.2.4", "MUST")
def test_cgi_status_302_with_local_location_is_a_client_redirect(csrv):
	r = wsh.exchange(csrv.port, get("/cgi/multi.py?s302local"))
	assert r.status == 302 and r.header("Location") == "/a.txt"
	assert r.body == b"found"


@pytest.mark.rfc("3875", "6.2.4", "MUST")
def test_cgi_status_303_absolute_kept(csrv):
	r1, r2 = None, None
	with csrv.conn() as c:
		c.send(get("/cgi/multi.py?s303") + get("/a.txt"))
		r1, r2 = c.read_responses(2)
	assert r1.status == 303 and r1.header("Location") == "http://example.com/other"
	assert r2.body == b"alpha"


@pytest.mark.rfc("3875", "6.2.2", "MUST")
def test_cgi_internal_redirect_to_missing_path_404(csrv):
	r = wsh.exchange(csrv.port, get("/cgi/multi.py?redir_missing"))
	assert_error_response(r, 404)


@pytest.mark.rfc("3875", "6.2.2", "MUST")
def test_cgi_internal_redirect_head(csrv):
	with csrv.conn() as c:
		c.send(req("HEAD", "/cgi/multi.py?redir_static") + get("/a.txt"))
		r1 = c.read_response("HEAD")
		r2 = c.read_response()
	assert r1.status == 200 and r1.body == b""
	assert r1.header("Content-Length") in (None, "5")
	assert r2.body == b"alpha"
