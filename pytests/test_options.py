"""OPTIONS (RFC 9110 9.3.7): `OPTIONS /path` gets 204 with an Allow that
lists what the location really serves (the same list as a 405's Allow)
plus OPTIONS; `OPTIONS *` the same for the server as a whole.  OPTIONS is
always allowed, and a body sent with it is read and dropped, never taken
for the next request."""

import pytest

import wsh
from mixed import mex
from wsh import req, get, chunked

CONF = """
server {
    listen 127.0.0.1:{port};
    server_name localhost;
    root {root};
    location / { allow_methods GET; }
    location /ro/ { allow_methods GET HEAD; }
    location /none/ { allow_methods DELETE; }
    location /up/ {
        allow_methods GET POST PUT DELETE;
        alias {tmp}/store;
        upload_store {tmp}/store;
    }
    location /cgi/ {
        allow_methods GET POST;
        cgi .py /usr/bin/python3;
    }
    location /plainpost/ { allow_methods GET POST PUT; }
    location /moved { return 301 /ro/; }
}
server {
    listen 127.0.0.1:{port2};
    root {root};
    allow_methods GET;
}
"""

SCRIPT = b"""#!/usr/bin/env python3
import sys
sys.stdout.write("Content-Type: text/plain\\r\\n\\r\\nran\\n")
"""


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, files={"a.txt": b"alpha\n", "ro/r.txt": b"r\n",
	                                  "cgi/s.py": SCRIPT, "none/n.txt": b"n\n",
	                                  "plainpost/p.txt": b"p\n"},
	                     dirs=["store"])


def allow_set(r):
	return {m.strip() for m in (r.header("Allow") or "").split(",") if m.strip()}


def options(srv, target, port=None, headers=None, body=b""):
	return wsh.exchange(port or srv.port, req("OPTIONS", target, headers, body))


@pytest.mark.rfc("9110", "9.3.7", "SHOULD")
@pytest.mark.parametrize("path,allow", [
	("/a.txt", {"GET", "HEAD"}),
	("/ro/r.txt", {"GET", "HEAD"}),
	("/ro/missing.txt", {"GET", "HEAD"}),
	("/none/n.txt", {"DELETE"}),
	("/up/", {"GET", "HEAD", "POST", "PUT", "DELETE"}),
	("/cgi/s.py", {"GET", "HEAD", "POST"}),
	# POST and PUT with nowhere to go are not offered (as in a 405).
	("/plainpost/x", {"GET", "HEAD"}),
])
def test_options_path_204_allow(srv, path, allow):
	r = options(srv, path)
	assert r.status == 204, r
	assert allow_set(r) == allow | {"OPTIONS"}, r.header("Allow")
	assert not r.has("Content-Length") and r.body == b""


@pytest.mark.rfc("9110", "9.3.7", "SHOULD")
@pytest.mark.parametrize("path,method", [("/ro/r.txt", "PUT"), ("/none/n.txt", "GET"),
                                         ("/plainpost/p.txt", "POST"), ("/a.txt", "DELETE")])
def test_options_allow_is_405_allow_plus_options(srv, path, method):
	"""The same computation as a 405's Allow, plus OPTIONS."""
	r405 = wsh.exchange(srv.port, req(method, path, {"Content-Length": "0"}))
	assert r405.status == 405
	r = options(srv, path)
	assert allow_set(r) == allow_set(r405) | {"OPTIONS"}


@pytest.mark.rfc("9110", "9.3.7", "SHOULD")
def test_options_asterisk_whole_server(srv):
	r = options(srv, "*")
	assert r.status == 204, r
	assert allow_set(r) == {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"}


def test_options_asterisk_other_server(srv):
	r = options(srv, "*", port=srv.port2)
	assert r.status == 204
	assert allow_set(r) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.rfc("9110", "9.3.7", "SHOULD")
def test_options_not_disabled_by_allow_methods(srv):
	"""/none/ allows only DELETE: OPTIONS is still answered."""
	r = options(srv, "/none/")
	assert r.status == 204
	assert "OPTIONS" in allow_set(r)


def test_options_does_not_run_script(srv):
	r = options(srv, "/cgi/s.py")
	assert r.status == 204 and b"ran" not in r.raw_head + r.body


def test_options_return_location(srv):
	"""A `return` answers every method, OPTIONS included."""
	r = options(srv, "/moved")
	assert r.status == 301


def test_options_keeps_connection(srv):
	with wsh.Conn(srv.port) as c:
		c.send(req("OPTIONS", "/a.txt") + req("OPTIONS", "*") + get("/a.txt"))
		assert c.read_response().status == 204
		assert c.read_response().status == 204
		r = c.read_response()
		assert r.status == 200 and r.body == b"alpha\n"


@pytest.mark.rfc("9110", "9.3.7", "MUST")
@pytest.mark.parametrize("target", ["/a.txt", "*"])
@pytest.mark.parametrize("how", ["length", "chunked"])
def test_options_body_is_not_a_request(srv, target, how):
	"""A body that looks like a request is dropped, not served: the
	connection answers the OPTIONS, then only the real next request."""
	smuggled = get("/ro/r.txt")
	if how == "length":
		hdrs, body = {"Content-Length": str(len(smuggled))}, smuggled
	else:
		hdrs, body = {"Transfer-Encoding": "chunked"}, chunked(smuggled)
	with wsh.Conn(srv.port) as c:
		c.send(req("OPTIONS", target, hdrs, body) + get("/a.txt"))
		r = c.read_response()
		assert r.status == 204
		r = c.read_response()
		assert r.status == 200 and r.body == b"alpha\n", r
		assert c.still_open() and c.buf == b"", "the body was answered as a request"


def test_options_body_with_expect(srv):
	with wsh.Conn(srv.port) as c:
		c.send(req("OPTIONS", "/a.txt", {"Content-Length": "5", "Expect": "100-continue"}))
		assert c.read_response().status == 100
		c.send(b"xxxxx" + get("/a.txt"))
		assert c.read_response().status == 204
		assert c.read_response().status == 200


def test_options_head_only_asterisk_for_options(srv):
	"""Asterisk-form with another method is still 400."""
	r = wsh.exchange(srv.port, get("*"))
	assert r.status == 400


# -- OPTIONS * on the mixed server -------------------------------------------

@pytest.mark.rfc("9110", "9.3.7", "SHOULD")
def test_options_asterisk(mixed_srv):
	"""OPTIONS * is answered for the server: 204 with Allow, OPTIONS in it."""
	r = mex(mixed_srv, req("OPTIONS", "*"))
	assert r.status == 204, r
	assert "OPTIONS" in {m.strip() for m in r.header("Allow", "").split(",")}
