"""Edge cases seen from outside, second pass: configuration and command
line, CGI meta-variables and process handling, uploads as common clients
send them, timeouts at every level and shutdown in the middle of work.

Written from ../shared/CONTRACT.md and RFC 9110 / 9112 / 3875 / 7578 /
2046 only; where they allow several answers, all are accepted.
"""

import hashlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import time
import uuid
from urllib.parse import quote, urlsplit, unquote

import pytest

import wsh
from wsh import req, get, chunked, assert_error_response

PY = "/usr/bin/python3"
ERR_RE = re.compile(r"^webserv: (.+?):(\d+): (.+)$")


# -- helpers -------------------------------------------------------------------------

def one_line_error(r):
	"""The failure shape of the command line: status 1, one stderr line
	starting `webserv: `.  Returns the line."""
	assert r.returncode == 1, "status %s; stderr %r" % (r.returncode, r.stderr[:500])
	lines = r.stderr.strip("\n").splitlines()
	assert len(lines) == 1, "expected one stderr line: %r" % r.stderr[:1000]
	assert lines[0].startswith("webserv: "), lines[0][:300]
	return lines[0]


def file_line_error(r, conf_dir, file, line):
	"""A `webserv: FILE:LINE: message` error naming `file` and `line`."""
	text = one_line_error(r)
	m = ERR_RE.match(text)
	assert m, "not 'webserv: FILE:LINE: message': %r" % text
	got = os.path.realpath(os.path.join(str(conf_dir), m.group(1)))
	assert got == os.path.realpath(str(file)), "error names %r, expected %s" % (m.group(1), file)
	assert int(m.group(2)) == line, "error at line %s, expected %d: %r" % (m.group(2), line, text)
	return text


def wait_for(pred, timeout, step=0.05):
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		if pred():
			return True
		time.sleep(step)
	return pred()


def pid_alive(pid):
	try:
		with open("/proc/%d/stat" % pid) as f:
			st = f.read()
	except OSError:
		return False
	return st[st.rfind(")") + 2:].split()[0] != "Z"


def children_of(pid):
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
			out.append(int(d))
	return out


def ex(port, data, method="GET", timeout=5, host="127.0.0.1"):
	return wsh.exchange(port, data, method, timeout=timeout, host=host)


def stop_ok(srv, sig):
	"""Signal the server; it must exit 0 within 5 seconds (scaled for ASan)."""
	t0 = time.monotonic()
	problems = srv.stop(sig=sig, timeout=wsh.T(5) if wsh.ASAN else 5.0)
	assert not problems, "\n".join(problems)
	return time.monotonic() - t0


# =====================================================================================
# 1. Command line and configuration
# =====================================================================================

HEAD = ["server {", "    listen 127.0.0.1:{port};", "    root {root};"]


def L(*lines):
	return "\n".join(lines) + "\n"


# (id, config, line of the error)
WRONG = [
	("alias_top", L("alias {root};", *HEAD, "}"), 1),
	("location_in_location", L(*HEAD, "    location /a {", "        location /a/b { }",
	                           "    }", "}"), 5),
	("max_connections_in_server", L(*HEAD, "    max_connections 10;", "}"), 4),
	("error_log_in_location", L(*HEAD, "    location / {", "        error_log stderr;",
	                            "    }", "}"), 5),
	("return_no_arg_after_types", L(*HEAD, "    types {", "        text/plain txt;",
	                                "    }", "    return;", "}"), 7),
	("autoindex_no_arg", L(*HEAD, "    autoindex;", "}"), 4),
	("autoindex_two_args", L(*HEAD, "    autoindex on off;", "}"), 4),
	("cgi_one_arg", L(*HEAD, "    cgi .py;", "}"), 4),
	("return_no_arg", L(*HEAD, "    location /r {", "        return;", "    }", "}"), 5),
	("return_three_args", L(*HEAD, "    location /r {", "        return 301 /a /b;",
	                        "    }", "}"), 5),
	("error_page_no_uri", L(*HEAD, "    error_page 404;", "}"), 4),
	("size_two_args", L(*HEAD, "    client_max_body_size 1k 2k;", "}"), 4),
	("location_no_prefix", L(*HEAD, "    location {", "    }", "}"), 4),
	("location_eq_no_prefix", L(*HEAD, "    location = {", "    }", "}"), 4),
	("index_no_arg", L(*HEAD, "    index;", "}"), 4),
	("server_name_no_arg", L(*HEAD, "    server_name;", "}"), 4),
	("root_twice", L(*HEAD, "    root {root};", "}"), 4),
	("autoindex_twice", L(*HEAD, "    autoindex on;", "    autoindex off;", "}"), 5),
	("root_and_alias", L(*HEAD, "    location /a/ {", "        root {root};",
	                     "        alias {root}/;", "    }", "}"), 6),
	("dup_listen_port_vs_wildcard", L("server {", "    listen {port};",
	                                  "    listen 0.0.0.0:{port};", "    root {root};", "}"), 3),
	("dup_listen_star_vs_port", L("server {", "    listen *:{port};",
	                              "    listen {port};", "    root {root};", "}"), 3),
	("dup_listen_localhost", L("server {", "    listen localhost:{port};",
	                           "    listen 127.0.0.1:{port};", "    root {root};", "}"), 3),
	("listen_port_zero", L("server {", "    listen 127.0.0.1:0;", "    root {root};", "}"), 2),
	("listen_bad_host", L("server {", "    listen 300.1.1.1:{port};", "    root {root};", "}"), 2),
	("listen_hostname", L("server {", "    listen example.invalid:{port};",
	                      "    root {root};", "}"), 2),
	("time_suffix_upper_junk", L("keepalive_timeout 5 s;", *HEAD, "}"), 1),
	("time_ms_fraction", L("keepalive_timeout 1.5s;", *HEAD, "}"), 1),
	("method_lowercase", L(*HEAD, "    allow_methods get;", "}"), 4),
	("cgi_ext_without_dot", L(*HEAD, "    cgi py /usr/bin/python3;", "}"), 4),
]


@pytest.mark.parametrize("conf,line", [w[1:] for w in WRONG], ids=[w[0] for w in WRONG])
def test_config_error_names_line(run_bin, make_env, conf, line):
	env = make_env(conf)
	r = run_bin("-t", env.conf_path)
	file_line_error(r, env.tmp, env.conf_path, line)


def test_nested_include_error_names_innermost_file(run_bin, make_env):
	env = make_env(L("# main", "include {tmp}/a.conf;", *HEAD, "}"),
	               tmpfiles={"a.conf": L("# a", "", "include {tmp}/sub/b.conf;"),
	                         "sub/b.conf": L("# b", "keepalive_timeout 5s;",
	                                         "client_max_body_size 12q;")})
	r = run_bin("-t", env.conf_path)
	file_line_error(r, env.tmp, env.tmp / "sub" / "b.conf", 3)


def test_include_inside_location_error_names_included_file(run_bin, make_env):
	env = make_env(L(*HEAD, "    location /x {", "        include {tmp}/loc.conf;", "    }", "}"),
	               tmpfiles={"loc.conf": L("autoindex on;", "listen 127.0.0.1:1234;")})
	r = run_bin("-t", env.conf_path)
	file_line_error(r, env.tmp, env.tmp / "loc.conf", 2)


def test_include_depth_limit_is_an_error(run_bin, make_env):
	"""A chain of 20 nested includes (past the documented limit of 16):
	an error, not a hang or a crash."""
	files = {"inc%d.conf" % i: "include {tmp}/inc%d.conf;\n" % (i + 1) for i in range(20)}
	files["inc20.conf"] = "# end\n"
	env = make_env(L("include {tmp}/inc0.conf;", *HEAD, "}"), tmpfiles=files)
	r = run_bin("-t", env.conf_path, timeout=10)
	text = one_line_error(r)
	assert ERR_RE.match(text), text


@pytest.mark.parametrize("what", ["directory", "fifo"])
def test_include_of_a_non_file(run_bin, make_env, what):
	env = make_env(L("include {tmp}/thing;", *HEAD, "}"))
	p = env.tmp / "thing"
	if what == "directory":
		p.mkdir()
	else:
		os.mkfifo(p)
	r = run_bin("-t", env.conf_path, timeout=10)
	one_line_error(r)


def test_crlf_config_lines_counted(run_bin, make_env):
	"""A configuration saved with CRLF line ends: it parses, and line
	numbers still count lines."""
	env = make_env(L(*HEAD, "    autoindex on;", "}"))
	good = env.conf_text.replace("\n", "\r\n")
	env.conf_path.write_text(good)
	r = run_bin("-t", env.conf_path)
	assert r.returncode == 0, r.stderr
	bad = env.subst(L(*HEAD, "    autoindex on;", "    bogus 1;", "}")).replace("\n", "\r\n")
	env.conf_path.write_text(bad)
	r = run_bin("-t", env.conf_path)
	file_line_error(r, env.tmp, env.conf_path, 5)


@pytest.mark.parametrize("what", ["directory", "fifo", "devnull", "random_bytes", "nul_bytes",
                                  "utf16"])
def test_odd_config_files_one_line_error(run_bin, tmp_path, what):
	"""Whatever CONFIG names, the answer is one `webserv: ...` line and
	status 1, promptly."""
	p = tmp_path / "conf"
	if what == "directory":
		p.mkdir()
	elif what == "fifo":
		os.mkfifo(p)
	elif what == "devnull":
		p = "/dev/null"
	elif what == "random_bytes":
		p.write_bytes(random.Random(7).randbytes(8192))
	elif what == "nul_bytes":
		p.write_bytes(b"\0" * 4096)
	else:
		p.write_bytes("server { listen 1; }".encode("utf-16"))
	for args in (("-t", p), (p,)):
		r = run_bin(*args, timeout=10)
		one_line_error(r)


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
	conf = L(*HEAD, "}", "server {", "    listen {port2};", "    root {root};", "}")
	srv = server(conf, files={"a.txt": b"alpha"})
	r = run_bin("-t", srv.conf_path, timeout=10)
	assert r.returncode == 0, r.stderr
	assert r.stderr.strip() == "webserv: %s: syntax is ok" % srv.conf_path
	assert ex(srv.port, get("/a.txt")).body == b"alpha"
	assert ex(srv.port2, get("/a.txt")).body == b"alpha"
	# and starting for real reports the bind failure, exit 1
	r = run_bin(srv.conf_path, timeout=10)
	assert r.returncode == 1 and r.stderr.strip(), r.stderr
	assert ex(srv.port, get("/a.txt")).body == b"alpha"


# -- a server that exercises the grammar -----------------------------------------------

GRAMMAR_CONF = r"""# comment on the first line; with { braces } and "quotes"
client_max_body_size 1k;   # top level: inherited by every server
types {                    # top-level table
    text/x-top   top  both;
    text/plain   txt;
}
server {   # comment after a brace
    listen 127.0.0.1:{port};# comment glued to the semicolon
    root "{tmp}/doc root";
    # location /commented { return 200 "must not exist"; }
    location /q {
        return 200 "a \"q\" #not-a-comment; {x}";
    }
    location /inc/ {
        include "{tmp}/in loc.conf";
    }
    location /al/ { alias "{tmp}/al ias/"; }
    location /up {
        upload_store "{tmp}/up store";
        alias "{tmp}/up store";
        allow_methods GET PUT POST DELETE;
    }
    location /up0 {
        upload_store "{tmp}/up store";
        alias "{tmp}/up store";
        allow_methods PUT;
        client_max_body_size 0;
    }
    location /upK {
        upload_store "{tmp}/up store";
        alias "{tmp}/up store";
        allow_methods PUT;
        client_max_body_size 2K;
    }
    location /up10 {
        upload_store "{tmp}/up store";
        alias "{tmp}/up store";
        allow_methods PUT;
        client_max_body_size 10;
    }
}
server {
    listen 127.0.0.1:{port2};
    root "{tmp}/doc root";
    client_max_body_size 3k;
    types {
        text/x-server both;
    }
    location /up {
        upload_store "{tmp}/up store";
        alias "{tmp}/up store";
        allow_methods PUT;
    }
}
"""

GRAMMAR_TMPFILES = {
	"doc root/f.top": b"top",
	"doc root/f.both": b"both",
	"doc root/f.txt": b"txt",
	"doc root/f.unknownext": b"unknown",
	"doc root/noext": b"noext",
	"doc root/inc/a.txt": b"in inc",
	"al ias/x.txt": b"aliased with a space",
	"in loc.conf": "autoindex on;   # from an included file\n",
}


@pytest.fixture(scope="module")
def gsrv(module_server):
	return module_server(GRAMMAR_CONF, tmpfiles=GRAMMAR_TMPFILES, dirs=["up store"])


def test_quoted_return_text_with_escapes_and_hash(gsrv):
	r = ex(gsrv.port, get("/q"))
	assert r.status == 200 and r.body == b'a "q" #not-a-comment; {x}'


def test_commented_out_location_does_not_exist(gsrv):
	assert ex(gsrv.port, get("/commented")).status == 404


def test_quoted_root_and_alias_with_spaces(gsrv):
	assert ex(gsrv.port, get("/f.txt")).body == b"txt"
	assert ex(gsrv.port, get("/al/x.txt")).body == b"aliased with a space"


def test_include_inside_location_applies(gsrv):
	r = ex(gsrv.port, get("/inc/"))
	assert r.status == 200 and b"a.txt" in r.body


def test_upload_store_with_space(gsrv):
	r = ex(gsrv.port, req("PUT", "/up/sp.txt", {"Content-Length": "3"}, b"abc"))
	assert r.status == 201
	assert (gsrv.tmp / "up store" / "sp.txt").read_bytes() == b"abc"


@pytest.mark.parametrize("path,ctype", [
	("/f.top", "text/x-top"), ("/f.both", "text/x-top"), ("/f.txt", "text/plain"),
	("/f.unknownext", "application/octet-stream"), ("/noext", "application/octet-stream"),
])
def test_top_level_types(gsrv, path, ctype):
	r = ex(gsrv.port, get(path))
	assert r.status == 200 and r.content_type == ctype, r.headers


def test_server_types_override_top_level(gsrv):
	r = ex(gsrv.port2, get("/f.both"))
	assert r.status == 200 and r.content_type == "text/x-server", r.headers
	r = ex(gsrv.port2, get("/f.unknownext"))
	assert r.content_type == "application/octet-stream"


@pytest.mark.parametrize("port_name,path,limit", [
	("port", "/up/", 1024),     # top level 1k inherited by server and location
	("port", "/upK/", 2048),    # 2K, upper-case suffix
	("port", "/up10/", 10),     # a bare number is bytes
	("port2", "/up/", 3072),    # server level 3k overrides the top level
])
def test_body_size_limits_inherited(gsrv, port_name, path, limit):
	port = gsrv.ports[port_name]
	name = "lim-%s-%d" % (uuid.uuid4().hex[:6], limit)
	r = ex(port, req("PUT", path + name, {"Content-Length": str(limit)}, b"x" * limit))
	assert r.status == 201, (path, limit, r)
	r = ex(port, req("PUT", path + name + "b", {"Content-Length": str(limit + 1)},
	                 b"x" * (limit + 1)))
	assert_error_response(r, 413)
	assert not (gsrv.tmp / "up store" / (name + "b")).exists()


def test_body_size_zero_is_unlimited(gsrv):
	n = 3 << 20
	r = ex(gsrv.port, req("PUT", "/up0/zero.bin", {"Content-Length": str(n)}, b"z" * n),
	       timeout=20)
	assert r.status in (201, 204)
	assert (gsrv.tmp / "up store" / "zero.bin").stat().st_size == n


# -- inheritance of list-valued directives and per-route settings -------------------

INH_CONF = """
cgi .py /usr/bin/python3;
index top.html;
server {
    listen 127.0.0.1:{port};
    root {root};
    keepalive_timeout 1m;
    location /inh/ { }
    location /own/ {
        cgi .sh /bin/sh;
        index own.html;
    }
    location /ka1 { keepalive_timeout 1s; }
    location /up {
        allow_methods PUT;
        upload_store {tmp}/store;
        alias {tmp}/store;
    }
}
server {
    listen 127.0.0.1:{port};
    server_name small.test;
    root {root};
    client_max_body_size 1k;
    keepalive_timeout 1s;
    location /up {
        allow_methods PUT;
        upload_store {tmp}/store;
        alias {tmp}/store;
    }
}
"""

PY_RAN = b"import sys\nsys.stdout.write('Content-Type: text/plain\\r\\n\\r\\npy ran')\n"
SH_RAN = b"printf 'Content-Type: text/plain\\r\\n\\r\\nsh ran'\n"


@pytest.fixture(scope="module")
def isrv(module_server):
	files = {}
	for d in ("inh", "own"):
		files[d + "/s.py"] = PY_RAN
		files[d + "/s.sh"] = SH_RAN
		files[d + "/top.html"] = b"top index"
		files[d + "/own.html"] = b"own index"
		files[d + "/a.txt"] = b"alpha"
	files["ka1/a.txt"] = b"alpha"
	return module_server(INH_CONF, files=files, dirs=["store"])


@pytest.mark.parametrize("path,body", [
	("/inh/s.py", b"py ran"),          # top-level cgi inherited
	("/inh/s.sh", SH_RAN),             # not configured there: a file
	("/own/s.sh", b"sh ran"),          # the location's own list
	("/own/s.py", PY_RAN),             # ... replaces the inherited one
	("/inh/", b"top index"),
	("/own/", b"own index"),
])
def test_list_directives_inherited_only_without_own(isrv, path, body):
	r = ex(isrv.port, get(path))
	assert r.status == 200 and r.body == body, (path, r, r.body[:100])


def test_keepalive_timeout_of_matched_location(isrv):
	with isrv.conn(timeout=10) as c:
		c.send(get("/inh/a.txt"))
		assert c.read_response().body == b"alpha"
		assert c.still_open(1.5), "the server's 1m keepalive_timeout did not apply"
		c.send(get("/ka1/a.txt"))
		assert c.read_response().body == b"alpha"
		closed, extra = c.wait_closed(1 + LATE)
	assert closed and extra == b"", "the location's 1s keepalive_timeout did not apply"


def test_keepalive_timeout_of_name_based_server(isrv):
	with isrv.conn(timeout=10) as c:
		c.send(get("/inh/a.txt", host="small.test"))
		assert c.read_response().body == b"alpha"
		closed, extra = c.wait_closed(1 + LATE)
	assert closed and extra == b""


def test_body_limit_of_name_based_server(isrv):
	body = b"b" * 2000
	name = "vh-%s" % uuid.uuid4().hex[:8]
	r = ex(isrv.port, req("PUT", "/up/" + name, {"Content-Length": str(len(body))}, body,
	                      host="small.test"))
	assert_error_response(r, 413)
	assert not (isrv.tmp / "store" / name).exists()
	r = ex(isrv.port, req("PUT", "/up/" + name, {"Content-Length": str(len(body))}, body,
	                      host="other.test"))
	assert r.status == 201
	assert (isrv.tmp / "store" / name).read_bytes() == body


# -- listen forms and addresses ------------------------------------------------------

def test_listen_forms_and_exact_over_wildcard(server):
	"""`listen PORT`, `*:PORT` (wildcard) and `localhost:PORT` (exactly
	127.0.0.1) on one port: a connection to 127.0.0.1 is served only by
	the exact server, one to 127.0.0.2 only by the wildcard ones."""
	srv = server("""
server { listen {port}; server_name w1.test; root {root}/w1; }
server { listen *:{port}; server_name w2.test; root {root}/w2; }
server { listen localhost:{port}; server_name e.test; root {root}/e; }
server { listen localhost:{port2}; listen {port3}; server_name multi.test; root {root}/m; }
""", files={"w1/who": b"W1", "w2/who": b"W2", "e/who": b"E", "m/who": b"M"})
	for host in ("w1.test", "w2.test", "e.test", "other"):
		assert ex(srv.port, get("/who", host=host)).body == b"E", host
	assert ex(srv.port, get("/who", host="w2.test"), host="127.0.0.2").body == b"W2"
	assert ex(srv.port, get("/who", host="e.test"), host="127.0.0.2").body == b"W1"
	assert ex(srv.port, get("/who", host="zzz"), host="127.0.0.2").body == b"W1"
	assert ex(srv.port2, get("/who")).body == b"M"
	assert ex(srv.port3, get("/who"), host="127.0.0.5").body == b"M"
	with pytest.raises(OSError):
		socket.create_connection(("127.0.0.2", srv.port2), timeout=1).close()


# =====================================================================================
# 2. CGI
# =====================================================================================

ENV_CGI = r'''
import hashlib, json, os, sys
data = sys.stdin.buffer.read()
fds = {}
for fd in os.listdir("/proc/self/fd"):
    try:
        fds[fd] = os.readlink("/proc/self/fd/" + fd)
    except OSError:
        pass
out = json.dumps({"env": dict(os.environ), "len": len(data),
                  "sha": hashlib.sha256(data).hexdigest(), "cwd": os.getcwd(),
                  "fds": fds}).encode()
sys.stdout.buffer.write(b"Content-Type: application/json\r\n\r\n" + out)
'''

MULTI_CGI = r'''
import os, subprocess, sys, time
q = os.environ.get("QUERY_STRING", "")
out = sys.stdout.buffer
def emit(b):
    out.write(b)
    out.flush()
if q == "chunks":
    emit(b"Content-Type: text/plain\r\n\r\n")
    for i in range(5):
        emit(b"piece%d;" % i)
        time.sleep(0.02)
elif q == "stderr":
    err = sys.stderr.buffer
    for i in range(256):
        err.write(b"STDERR-MARKER-" + b"e" * 4080 + b"\n")
    err.flush()
    emit(b"Content-Type: text/plain\r\n\r\nsurvived stderr")
elif q == "partial":
    got = sys.stdin.buffer.read(10)
    emit(b"Content-Type: text/plain\r\n\r\nread " + got)
elif q == "s302local":
    emit(b"Status: 302 Found\r\nLocation: /a.txt\r\nContent-Type: text/plain\r\n\r\nfound")
elif q == "s303":
    emit(b"Status: 303 See Other\r\nLocation: http://example.com/other\r\n\r\n")
elif q == "redir_missing":
    emit(b"Location: /no/such/file.txt\r\n\r\n")
elif q == "redir_static":
    emit(b"Location: /a.txt\r\n\r\n")
elif q.startswith("grandchild"):
    tag = q.split("=", 1)[1]
    os.makedirs("pids", exist_ok=True)
    kid = subprocess.Popen(["/bin/sleep", "60"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open("pids/%s.tmp" % tag, "w") as f:
        f.write("%d %d" % (os.getpid(), kid.pid))
    os.rename("pids/%s.tmp" % tag, "pids/%s" % tag)
    time.sleep(60)
elif q.startswith("slowbody"):
    emit(b"Content-Type: text/plain\r\n\r\n")
    for i in range(100):
        emit(b"x" * 1000)
        time.sleep(0.05)
else:
    emit(b"Content-Type: text/plain\r\n\r\nmulti")
'''

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


def cgi_files():
	return {
		"a.txt": b"alpha",
		"cgi/env.py": ENV_CGI,
		"cgi/sub/app.py": ENV_CGI,
		"cgi/multi.py": MULTI_CGI,
		"plain/app.py": ENV_CGI,
		"idx/app.py": ENV_CGI,
		"ni1/env.py": ENV_CGI,
		"ni2/env.py": ENV_CGI,
	}


@pytest.fixture(scope="module")
def csrv(module_server):
	s = module_server(CGI_CONF, files=cgi_files(),
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
	assert d["len"] == len(body) and d["sha"] == hashlib.sha256(body).hexdigest()


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
	d = cgi_json(ex(csrv.port, get("/cgi/env.py")))
	extra = {fd: t for fd, t in d["fds"].items()
	         if int(fd) > 2 and not t.startswith("/proc/")}
	assert not extra, "descriptors leaked into the script: %r" % extra
	assert not d["fds"]["0"].startswith("socket:") and not d["fds"]["1"].startswith("socket:")


def test_cgi_py_outside_cgi_location_is_served_as_file(csrv):
	r = ex(csrv.port, get("/plain/app.py"))
	assert r.status == 200 and r.body == ENV_CGI.encode()
	assert not (r.content_type == "application/json")


def test_cgi_index_script_runs(csrv):
	d = cgi_json(ex(csrv.port, get("/idx/?q=1")))
	assert d["env"]["QUERY_STRING"] == "q=1"
	assert os.path.samefile(d["env"]["SCRIPT_FILENAME"], csrv.root / "idx" / "app.py")


@pytest.mark.parametrize("loc", ["/ni1/", "/ni2/"], ids=["not_executable", "directory"])
def test_cgi_unusable_interpreter_502(csrv, loc):
	r = ex(csrv.port, get(loc + "env.py"))
	assert_error_response(r, 502)
	assert ex(csrv.port, get("/a.txt")).body == b"alpha"


def test_cgi_lots_of_stderr_does_not_block(csrv):
	"""1 MiB on stderr (more than any pipe holds) before the answer."""
	r = ex(csrv.port, get("/cgi/multi.py?stderr"), timeout=20)
	assert r.status == 200 and r.body == b"survived stderr"


def test_cgi_stderr_goes_to_error_log(csrv):
	ex(csrv.port, get("/cgi/multi.py?stderr"), timeout=20)
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
	r = ex(csrv.port, get("/cgi/multi.py?s302local"))
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
	r = ex(csrv.port, get("/cgi/multi.py?redir_missing"))
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


# =====================================================================================
# 3. Uploads from common clients
# =====================================================================================

UP_CONF = """
server {
    listen 127.0.0.1:{port};
    root {root};
    location /up {
        allow_methods GET HEAD POST PUT DELETE;
        upload_store {tmp}/store;
        alias {tmp}/store;
        client_max_body_size 0;
    }
}
"""


@pytest.fixture(scope="module")
def usrv(module_server):
	return module_server(UP_CONF, dirs=["store"])


def store_of(srv):
	return srv.tmp / "store"


def temp_left(srv):
	return [n for n in os.listdir(store_of(srv)) if n.startswith(".")]


def curl(srv, *args, timeout=30):
	if not os.access("/usr/bin/curl", os.X_OK):
		pytest.skip("curl not installed")
	cmd = ["/usr/bin/curl", "-sS", "--noproxy", "*", "-o", "-", "-w", "\n%{http_code}", "-v"]
	cmd += list(args)
	p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
	                   timeout=wsh.T(timeout))
	out, _, code = p.stdout.rpartition(b"\n")
	return int(code or 0), out, p.stderr.decode("latin-1")


def mp_part(headers, data):
	return headers.encode("utf-8") + b"\r\n\r\n" + data


def mp_body(boundary, parts, preamble=b""):
	b = boundary.encode()
	out = preamble
	for p in parts:
		out += b"--" + b + b"\r\n" + p + b"\r\n"
	return out + b"--" + b + b"--\r\n"


def post_mp(srv, boundary, body, extra=(), ctype_boundary=None):
	h = [("Content-Type", "multipart/form-data; boundary=" + (ctype_boundary or boundary)),
	     ("Content-Length", str(len(body)))] + list(extra)
	with srv.conn(timeout=30) as c:
		c.send(req("POST", "/up/", h, body))
		return c.read_response(timeout=30)


def test_curl_form_upload_with_expect(usrv, tmp_path):
	"""`curl -F` of a 2 MiB file and a text field: curl sends
	Expect: 100-continue; the server answers 100 and stores the file."""
	name = "curl-%s.bin" % uuid.uuid4().hex[:8]
	data = os.urandom(2 << 20)
	(tmp_path / name).write_bytes(data)
	code, out, err = curl(usrv, "-F", "file=@%s" % (tmp_path / name), "-F", "note=hello",
	                      usrv.url + "/up/")
	assert code == 201, (code, out[:300], err[-1500:])
	assert "Expect: 100-continue" in err
	assert "HTTP/1.1 100 Continue" in err, err[-1500:]
	assert (store_of(usrv) / name).read_bytes() == data


def test_curl_form_upload_chunked(usrv, tmp_path):
	name = "curlch-%s.txt" % uuid.uuid4().hex[:8]
	(tmp_path / name).write_bytes(b"chunked by curl\n" * 1000)
	code, out, err = curl(usrv, "-H", "Transfer-Encoding: chunked",
	                      "-F", "file=@%s;type=text/plain" % (tmp_path / name),
	                      usrv.url + "/up/")
	assert code == 201, (code, err[-1500:])
	assert (store_of(usrv) / name).read_bytes() == b"chunked by curl\n" * 1000


def test_curl_put_then_range_get_and_delete_twice(usrv, tmp_path):
	name = "put-%s.bin" % uuid.uuid4().hex[:8]
	data = os.urandom(3 << 20)
	(tmp_path / "src").write_bytes(data)
	code, _, err = curl(usrv, "-T", str(tmp_path / "src"), usrv.url + "/up/" + name)
	assert code == 201, err[-1500:]
	r = ex(usrv.port, get("/up/" + name, headers={"Range": "bytes=1000000-1000099"}))
	assert r.status == 206 and r.body == data[1000000:1000100]
	assert r.header("Content-Range") == "bytes 1000000-1000099/%d" % len(data)
	r = ex(usrv.port, get("/up/" + name, headers={"Range": "bytes=-7"}))
	assert r.status == 206 and r.body == data[-7:]
	r = ex(usrv.port, get("/up/" + name), timeout=20)
	assert r.status == 200 and r.body == data
	r = ex(usrv.port, req("DELETE", "/up/" + name))
	assert r.status == 204 and r.body == b""
	r = ex(usrv.port, req("DELETE", "/up/" + name))
	assert_error_response(r, 404)
	assert ex(usrv.port, get("/up/" + name)).status == 404


@pytest.mark.rfc("7578", "4.2", "MUST")
def test_browser_empty_file_input_is_skipped(usrv):
	"""A browser form whose file input was left empty sends a part with
	filename="" and no data.  The contract: that part is skipped, not an
	error; with no other file the answer is 200 and nothing is stored."""
	bnd = "----WebKitFormBoundaryAbC123xyZ"
	body = mp_body(bnd, [
		mp_part('Content-Disposition: form-data; name="title"', b"hello"),
		mp_part('Content-Disposition: form-data; name="file"; filename=""\r\n'
		        'Content-Type: application/octet-stream', b""),
	])
	before = set(os.listdir(store_of(usrv)))
	r = post_mp(usrv, bnd, body)
	assert r.status == 200, r
	assert not r.has("Location")
	assert set(os.listdir(store_of(usrv))) == before


def test_postman_style_parts(usrv):
	"""Lower/upper-case part header names, a Content-Type per part,
	parameters without spaces and in any order, text fields around files."""
	bnd = "--------------------------" + "1234567890" * 2
	n1, n2 = "pm1-%s.png" % uuid.uuid4().hex[:6], "pm2-%s.json" % uuid.uuid4().hex[:6]
	d1, d2 = b"\x89PNG\r\n\x1a\n" + os.urandom(5000), b'{"k": [1, 2]}'
	body = mp_body(bnd, [
		mp_part('content-disposition: form-data; name="text"\r\ncontent-type: text/plain',
		        b"value"),
		mp_part('CONTENT-DISPOSITION: form-data;filename="%s";name="img"\r\n'
		        'Content-Type: image/png' % n1, d1),
		mp_part('Content-Disposition: form-data; name="meta"; filename="%s"\r\n'
		        'Content-Type: application/json; charset=utf-8' % n2, d2),
		mp_part('Content-Disposition: form-data; name="after"', b"x"),
	], preamble=b"preamble --" + bnd.encode() + b"X not a delimiter\r\n")
	r = post_mp(usrv, bnd, body)
	assert r.status == 201, (r, r.body[:300])
	assert urlsplit(r.header("Location")).path == "/up/" + n1
	assert (store_of(usrv) / n1).read_bytes() == d1
	assert (store_of(usrv) / n2).read_bytes() == d2


@pytest.mark.rfc("7578", "4.2", "MUST")
@pytest.mark.parametrize("fname", ["two  spaces .txt", "r\u00e9sum\u00e9 \u00fc\u6f22.txt",
                                   "it's (1) [a] {b} ; = & + %.txt"])
def test_multipart_odd_filenames_stored_and_served(usrv, fname):
	"""Browsers send file names as raw UTF-8: stored under that name,
	Location is a valid URI that serves it."""
	tag = uuid.uuid4().hex[:6]
	name = tag + "-" + fname
	bnd = "BnD" + tag
	body = mp_body(bnd, [mp_part('Content-Disposition: form-data; name="f"; filename="%s"'
	                             % name, b"odd name")])
	r = post_mp(usrv, bnd, body)
	assert r.status == 201, (r, r.body[:300])
	assert (store_of(usrv) / name).read_bytes() == b"odd name"
	loc = r.header("Location")
	assert all(0x21 <= ord(ch) < 0x7f for ch in loc), loc
	path = urlsplit(loc).path
	assert unquote(path) == "/up/" + name
	assert ex(usrv.port, get(path)).body == b"odd name"


def test_multipart_filename_with_escaped_quote(usrv):
	"""RFC 7578 4.2 / curl: a quote inside the quoted file name.  Either the
	name is understood (a"b.txt, or the browser form a%22b.txt) or the
	request is refused; nothing lands outside the store and nothing half
	parsed is left."""
	tag = uuid.uuid4().hex[:6]
	bnd = "Q" + tag
	before = set(os.listdir(store_of(usrv)))
	body = mp_body(bnd, [mp_part('Content-Disposition: form-data; name="f"; '
	                             'filename="%s-a\\"b.txt"' % tag, b"quoted")])
	r = post_mp(usrv, bnd, body)
	new = set(os.listdir(store_of(usrv))) - before
	if r.status == 201:
		assert len(new) == 1, new
		assert new.pop() in ('%s-a"b.txt' % tag, "%s-a%%22b.txt" % tag, 'b.txt', '"b.txt'), new
	else:
		assert r.status == 400 and not new


@pytest.mark.rfc("2046", "5.1.1", "MUST")
def test_multipart_data_ending_like_close_delimiter(usrv):
	tag = uuid.uuid4().hex[:6]
	bnd = "edgeB" + tag
	name = "cd-%s.bin" % tag
	data = b"line\r\ntail--" + bnd.encode() + b"--\r\nafter--" + bnd.encode() + b"--"
	body = mp_body(bnd, [mp_part('Content-Disposition: form-data; name="f"; filename="%s"'
	                             % name, data)])
	r = post_mp(usrv, bnd, body)
	assert r.status == 201
	assert (store_of(usrv) / name).read_bytes() == data


def test_five_hundred_small_files_in_one_request(usrv):
	tag = uuid.uuid4().hex[:6]
	bnd = "many" + tag
	names = ["m%s-%03d.txt" % (tag, i) for i in range(500)]
	body = mp_body(bnd, [mp_part('Content-Disposition: form-data; name="f%d"; filename="%s"\r\n'
	                             'Content-Type: text/plain' % (i, n), b"%010d" % i)
	                     for i, n in enumerate(names)])
	r = post_mp(usrv, bnd, body, extra=[("Accept", "application/json")])
	assert r.status == 201, (r, r.body[:300])
	assert urlsplit(r.header("Location")).path == "/up/" + names[0]
	for i, n in enumerate(names):
		assert (store_of(usrv) / n).read_bytes() == b"%010d" % i, n
	assert temp_left(usrv) == []


def test_zz_upload_store_clean(usrv):
	assert temp_left(usrv) == []


# =====================================================================================
# 4. Timeouts at each level, and shutdown
# =====================================================================================

TIME_CONF = """
client_header_timeout 500ms;
cgi_timeout 1s;
keepalive_timeout 1m;
send_timeout 2h;
server {
    listen 127.0.0.1:{port};
    root {root};
    location /cgi/ { cgi .py /usr/bin/python3; }
    location /up {
        allow_methods PUT;
        upload_store {tmp}/store;
        alias {tmp}/store;
        client_body_timeout 1s;
    }
    location /upslow {
        allow_methods PUT;
        upload_store {tmp}/store;
        alias {tmp}/store;
    }
}
server {
    listen 127.0.0.1:{port2};
    root {root};
    client_header_timeout 1s;
    client_body_timeout 1s;
    keepalive_timeout 1s;
    send_timeout 1s;
    location /up {
        allow_methods PUT;
        upload_store {tmp}/store;
        alias {tmp}/store;
    }
}
"""

HANG_CGI = r'''
import os, time
tag = os.environ.get("QUERY_STRING") or "hang"
os.makedirs("pids", exist_ok=True)
with open("pids/%s.tmp" % tag, "w") as f:
    f.write(str(os.getpid()))
os.rename("pids/%s.tmp" % tag, "pids/%s" % tag)
time.sleep(60)
'''

EARLY = 0.3
LATE = wsh.T(3.0)


@pytest.fixture(scope="module")
def tsrv(module_server):
	s = module_server(TIME_CONF, files={"a.txt": b"alpha", "cgi/hang.py": HANG_CGI},
	                  dirs=["store"])
	with open(s.root / "huge.bin", "wb") as f:
		f.truncate(64 << 20)
	return s


def test_top_level_header_timeout_500ms(tsrv):
	with tsrv.conn(timeout=10) as c:
		c.send(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n")
		t0 = time.monotonic()
		r = c.read_response(timeout=LATE)
		dt = time.monotonic() - t0
		assert_error_response(r, 408)
		assert dt >= 0.5 - EARLY
		assert c.is_closed()


def test_server_header_timeout_overrides_top(tsrv):
	with wsh.Conn(tsrv.port2, timeout=10) as c:
		c.send(b"GET /a.txt HTTP/1.1\r\n")
		t0 = time.monotonic()
		r = c.read_response(timeout=LATE)
		dt = time.monotonic() - t0
	assert_error_response(r, 408)
	assert dt >= 1.0 - EARLY, "the top-level 500ms applied instead of the server's 1s"


def test_keepalive_one_minute_is_not_one_millisecond(tsrv):
	with tsrv.conn(timeout=10) as c:
		c.send(get("/a.txt"))
		assert c.read_response().body == b"alpha"
		assert c.still_open(1.5)
		c.send(get("/a.txt"))
		assert c.read_response().body == b"alpha"


def test_server_keepalive_1s_closes_silently(tsrv):
	with wsh.Conn(tsrv.port2, timeout=10) as c:
		c.send(get("/a.txt"))
		assert c.read_response().body == b"alpha"
		closed, extra = c.wait_closed(1 + LATE)
	assert closed and extra == b""


@pytest.mark.parametrize("port_name,path", [("port", "/up/"), ("port2", "/up/")],
                         ids=["location", "server"])
def test_body_timeout_at_location_and_server_level(tsrv, port_name, path):
	name = "bt-%s.txt" % uuid.uuid4().hex[:8]
	with wsh.Conn(tsrv.ports[port_name], timeout=10) as c:
		c.send(req("PUT", path + name, {"Content-Length": "100"}, b"0123456789"))
		t0 = time.monotonic()
		r = c.read_response(timeout=1 + LATE)
		dt = time.monotonic() - t0
		assert_error_response(r, 408)
		assert dt >= 1 - EARLY
		assert c.is_closed()
	assert not (tsrv.tmp / "store" / name).exists()
	assert [n for n in os.listdir(tsrv.tmp / "store") if n.startswith(".")] == []


def test_body_timeout_default_elsewhere(tsrv):
	"""/upslow has no client_body_timeout: the default (60s) applies, so a
	pause of 1.5s in the body is fine."""
	name = "slow-%s.txt" % uuid.uuid4().hex[:8]
	with tsrv.conn(timeout=10) as c:
		c.send(req("PUT", "/upslow/" + name, {"Content-Length": "6"}, b"abc"))
		time.sleep(1.5)
		c.send(b"def")
		r = c.read_response()
	assert r.status == 201
	assert (tsrv.tmp / "store" / name).read_bytes() == b"abcdef"


def test_server_send_timeout(tsrv):
	with wsh.Conn(tsrv.port2, rcvbuf=4096, timeout=20) as c:
		c.send(get("/huge.bin"))
		time.sleep(3.0)
		closed, data = c.wait_closed(timeout=20)
	assert closed
	assert len(data) < (64 << 20), "the whole response arrived: send_timeout not applied"


def test_top_level_cgi_timeout(tsrv):
	tag = "t-%s" % uuid.uuid4().hex[:8]
	with tsrv.conn(timeout=15) as c:
		c.send(get("/cgi/hang.py?" + tag))
		t0 = time.monotonic()
		r = c.read_response(timeout=15)
		dt = time.monotonic() - t0
	assert_error_response(r, 504)
	assert dt < 1 + wsh.T(4)
	pid = int((tsrv.root / "cgi" / "pids" / tag).read_text())
	assert wait_for(lambda: not pid_alive(pid), wsh.T(3))


# -- shutdown ----------------------------------------------------------------------------

SIG_CONF = """
server {
    listen 127.0.0.1:{port};
    root {root};
    location /cgi/ { cgi .py /usr/bin/python3; allow_methods GET POST; }
    location /up {
        allow_methods GET POST PUT;
        upload_store {tmp}/store;
        alias {tmp}/store;
        client_max_body_size 0;
    }
}
"""


def sig_server(server):
	s = server(SIG_CONF, files={"a.txt": b"alpha", "cgi/multi.py": MULTI_CGI}, dirs=["store"])
	with open(s.root / "huge.bin", "wb") as f:
		f.truncate(64 << 20)
	return s


def test_sigint_during_slow_download(server):
	"""A client reading a 64 MiB file slowly: exit 0 within 5 seconds
	(SIGTERM: test_signals.py)."""
	sig = signal.SIGINT
	srv = sig_server(server)
	c = wsh.Conn(srv.port, rcvbuf=8192, timeout=10)
	try:
		c.send(get("/huge.bin"))
		c.sock.recv(4096)
		time.sleep(0.2)
		dt = stop_ok(srv, sig)
		assert dt <= wsh.T(5)
	finally:
		c.close()


@pytest.mark.parametrize("kind", ["multipart", "chunked_put"])
def test_sigint_during_upload_leaves_nothing(server, kind):
	srv = sig_server(server)
	bnd = "SigBoundary"
	if kind == "multipart":
		head = (b"--" + bnd.encode() + b'\r\nContent-Disposition: form-data; name="a"; '
		        b'filename="done.txt"\r\n\r\n' + b"d" * 3000 + b"\r\n--" + bnd.encode()
		        + b'\r\nContent-Disposition: form-data; name="b"; filename="half.txt"\r\n\r\n'
		        + b"h" * 200000)
		data = req("POST", "/up/", {"Content-Type": "multipart/form-data; boundary=" + bnd,
		                            "Content-Length": str(len(head) + 500000)}, head)
	elif kind == "chunked_put":
		data = req("PUT", "/up/put.bin", {"Transfer-Encoding": "chunked"}) \
			+ b"100000\r\n" + b"p" * 300000
	else:
		raise AssertionError(kind)
	c = srv.conn()
	try:
		c.send(data)
		time.sleep(wsh.T(0.4))
		stop_ok(srv, signal.SIGINT)
	finally:
		c.close()
	assert os.listdir(srv.tmp / "store") == []


def test_sigint_kills_cgi_and_its_children(server):
	"""A running script that started a child of its own: after SIGINT the
	server exits 0 and neither process is left."""
	sig = signal.SIGINT
	srv = sig_server(server)
	tag = "g-%s" % uuid.uuid4().hex[:8]
	c = srv.conn(timeout=10)
	try:
		c.send(get("/cgi/multi.py?grandchild=" + tag))
		p = srv.root / "cgi" / "pids" / tag
		assert wait_for(p.exists, wsh.T(5)), "the script did not start"
		pid, kid = (int(x) for x in p.read_text().split())
		assert pid_alive(pid) and pid_alive(kid)
		stop_ok(srv, sig)
	finally:
		c.close()
	assert wait_for(lambda: not pid_alive(pid), wsh.T(3)), "script survived the shutdown"
	alive = wait_for(lambda: not pid_alive(kid), wsh.T(3))
	if not alive:
		os.kill(kid, signal.SIGKILL)
	assert alive, "the script's own child survived the shutdown"


def test_sigterm_with_cgi_streaming_output(server):
	"""A script in the middle of a slow chunked answer: exit 0 in time; the
	client sees either the whole answer or a connection closed before
	the final chunk (never a complete-looking truncated body)."""
	srv = sig_server(server)
	c = srv.conn(timeout=10)
	try:
		c.send(get("/cgi/multi.py?slowbody"))
		time.sleep(0.5)
		stop_ok(srv, signal.SIGTERM)
		try:
			r = c.read_response(timeout=5)
		except (wsh.ConnectionClosed, wsh.ProtocolError):
			return
		assert r.body == b"x" * 100000
	finally:
		c.close()
