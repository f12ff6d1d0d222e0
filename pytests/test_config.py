"""Configurations that are accepted: the grammar at its edges (comments,
quotes, escapes, includes inside blocks, types tables) and how values set
further out are inherited (body limits, list directives such as `cgi` and
`index`, timeouts of a location or of a name-based server)."""

import uuid

import pytest

import wsh
from wsh import req, get, assert_error_response

LATE = wsh.T(3.0)


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
	r = wsh.exchange(gsrv.port, get("/q"))
	assert r.status == 200 and r.body == b'a "q" #not-a-comment; {x}'


def test_commented_out_location_does_not_exist(gsrv):
	assert wsh.exchange(gsrv.port, get("/commented")).status == 404


def test_quoted_root_and_alias_with_spaces(gsrv):
	assert wsh.exchange(gsrv.port, get("/f.txt")).body == b"txt"
	assert wsh.exchange(gsrv.port, get("/al/x.txt")).body == b"aliased with a space"


def test_include_inside_location_applies(gsrv):
	r = wsh.exchange(gsrv.port, get("/inc/"))
	assert r.status == 200 and b"a.txt" in r.body


def test_upload_store_with_space(gsrv):
	r = wsh.exchange(gsrv.port, req("PUT", "/up/sp.txt", {"Content-Length": "3"}, b"abc"))
	assert r.status == 201
	assert (gsrv.tmp / "up store" / "sp.txt").read_bytes() == b"abc"


@pytest.mark.parametrize("path,ctype", [
	("/f.top", "text/x-top"), ("/f.both", "text/x-top"), ("/f.txt", "text/plain"),
	("/f.unknownext", "application/octet-stream"), ("/noext", "application/octet-stream"),
])
def test_top_level_types(gsrv, path, ctype):
	r = wsh.exchange(gsrv.port, get(path))
	assert r.status == 200 and r.content_type == ctype, r.headers


def test_server_types_override_top_level(gsrv):
	r = wsh.exchange(gsrv.port2, get("/f.both"))
	assert r.status == 200 and r.content_type == "text/x-server", r.headers
	r = wsh.exchange(gsrv.port2, get("/f.unknownext"))
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
	r = wsh.exchange(port, req("PUT", path + name, {"Content-Length": str(limit)}, b"x" * limit))
	assert r.status == 201, (path, limit, r)
	r = wsh.exchange(port, req("PUT", path + name + "b", {"Content-Length": str(limit + 1)},
	                           b"x" * (limit + 1)))
	assert_error_response(r, 413)
	assert not (gsrv.tmp / "up store" / (name + "b")).exists()


def test_body_size_zero_is_unlimited(gsrv):
	n = 3 << 20
	r = wsh.exchange(gsrv.port, req("PUT", "/up0/zero.bin", {"Content-Length": str(n)}, b"z" * n),
	                 timeout=20)
	assert r.status in (201, 204)
	assert (gsrv.tmp / "up store" / "zero.bin").stat().st_size == n


# -- inheritance of list-valued directives and per-route settings ------------

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
	r = wsh.exchange(isrv.port, get(path))
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
	r = wsh.exchange(isrv.port, req("PUT", "/up/" + name, {"Content-Length": str(len(body))}, body,
	                                host="small.test"))
	assert_error_response(r, 413)
	assert not (isrv.tmp / "store" / name).exists()
	r = wsh.exchange(isrv.port, req("PUT", "/up/" + name, {"Content-Length": str(len(body))}, body,
	                                host="other.test"))
	assert r.status == 201
	assert (isrv.tmp / "store" / name).read_bytes() == body
