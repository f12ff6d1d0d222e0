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
import threading
import time
from pathlib import Path

import pytest

import wsh
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
                 "sleep1.py"]
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


def children_of(pid):
	"""[(child pid, state letter)] of the processes whose parent is pid."""
	out = []
	for d in os.listdir("/proc"):
		if not d.isdigit():
			continue
		try:
			with open("/proc/%s/stat" % d) as f:
				st = f.read()
		except OSError:
			continue
		rest = st[st.rfind(")") + 2:].split()
		if len(rest) >= 2 and int(rest[1]) == pid:
			out.append((int(d), rest[0]))
	return out


def pid_alive(pid):
	"""True while pid exists and is not a zombie."""
	try:
		with open("/proc/%d/stat" % pid) as f:
			st = f.read()
	except OSError:
		return False
	return st[st.rfind(")") + 2:].split()[0] != "Z"


def wait_for(pred, timeout, step=0.05):
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		if pred():
			return True
		time.sleep(step)
	return pred()


def read_pid(path, timeout=5.0):
	assert wait_for(path.exists, wsh.T(timeout)), "script never wrote %s" % path
	return int(path.read_text())


def vm_hwm_kib(pid):
	with open("/proc/%d/status" % pid) as f:
		for line in f:
			if line.startswith("VmHWM:"):
				return int(line.split()[1])
	raise AssertionError("no VmHWM in /proc/%d/status" % pid)


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


def static_ok(srv, limit=1.0):
	"""GET /static.txt must be answered promptly; returns the elapsed time."""
	t0 = time.monotonic()
	r = wsh.exchange(srv.port, get("/static.txt"), timeout=5)
	dt = time.monotonic() - t0
	assert r.status == 200 and r.body == b"static\n", r
	assert dt < wsh.T(limit), "static GET took %.2fs while a CGI was busy" % dt
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
		static_ok(srv, limit=1.0)
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

def test_twenty_sleepy_scripts_in_parallel(srv):
	results = [None] * 20
	barrier = threading.Barrier(21)

	def one(i):
		barrier.wait()
		try:
			r, _ = call(srv, "/cgi/sleep1.py", timeout=30)
			results[i] = r.status, r.body
		except Exception as e:  # noqa: BLE001 - reported below
			results[i] = e

	ths = [threading.Thread(target=one, args=(i,)) for i in range(20)]
	for t in ths:
		t.start()
	barrier.wait()
	t0 = time.monotonic()
	time.sleep(0.7)  # the interpreters have started and sleep (2-CPU boxes are slow)
	static_dt = static_ok(srv, limit=1.0)
	for t in ths:
		t.join(wsh.T(30))
	total = time.monotonic() - t0
	print("\n20 x sleep(1) CGI requests: %.2fs in total; static GET meanwhile %.3fs"
	      % (total, static_dt))
	bad = [r for r in results if not (isinstance(r, tuple) and r[0] == 200)]
	assert not bad, bad[:3]
	assert len({r[1] for r in results}) == 20, "20 distinct script processes"
	assert total < 10.0, "20 one-second scripts took %.1fs" % total


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
	if not os.access(php, os.X_OK):
		pytest.skip("php-cgi not installed (%s missing): .php CGI not tested" % php)
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
	r = srv.post("/cgi/form.py", data={"name": "Bob & <Co>", "message": "hi there"})
	assert r.status_code == 200
	assert "Bob &amp; &lt;Co&gt;" in r.text and "hi there" in r.text


def test_demo_upload(srv):
	a = os.urandom(70000) + b"\r\n--not-the-boundary\r\n"
	b = b"second file\n"
	r = srv.post("/cgi/upload.py", timeout=wsh.T(20),
	             files=[("file", ("../../evil name.bin", a)),
	                    ("file", ("b.txt", b)), ("note", (None, "a field"))])
	assert r.status_code == 201, r.text[:500]
	up = srv.root / "cgi" / "uploads"
	assert (up / "evil name.bin").read_bytes() == a
	assert (up / "b.txt").read_bytes() == b
	assert "evil name.bin" in r.text
	assert not (srv.root / "evil name.bin").exists()
	r = srv.post("/cgi/upload.py", files=[("file", ("b.txt", b"again"))])
	assert r.status_code == 201
	assert (up / "b-1.txt").read_bytes() == b"again"
	assert (up / "b.txt").read_bytes() == b
	assert srv.get("/cgi/upload.py").status_code == 200


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
