"""Routing: virtual hosts, default server, exact-address precedence,
locations (exact and longest prefix), root/alias, return, inheritance."""

import socket
from urllib.parse import urlsplit

import pytest

import wsh
from mixed import pipelined_then_get, assert_second_ok
from wsh import req, get, assert_error_response

CONF = """
root {tmp}/toproot;
index index.html;

server {
    listen 127.0.0.1:{port};
    server_name a.test;
    root {root}/a;
    location /img { root {tmp}/img1; }
    location /images { root {tmp}/img2; }
    location = /exact { return 200 "exact"; }
    location /exact { return 200 "prefix"; }
    location /al/ { alias {tmp}/aliased/; }
    location /al2 { alias {tmp}/aliased; }
    location /r301 { return 301 http://example.test/new; }
    location /r302 { return 302 http://example.test/302; }
    location /r303 { return 303 /local/path; }
    location /r307 { return 307 http://example.test/307; }
    location /r308 { return 308 http://example.test/308; }
    location /text { return 200 "hello text"; }
    location /forbidden { return 403 "go away"; }
    location /gone { return 410 gone; }
    location /bare404 { return 404; }
    location /methods { allow_methods GET DELETE; }
    location / { index index.html; }
}
server {
    listen 127.0.0.1:{port};
    server_name b.test www.b.test;
    root {root}/b;
}
server {
    listen 127.0.0.1:{port};
    server_name noroot.test;
    autoindex on;
    location /x { autoindex off; }
}
server {
    listen 127.0.0.1:{port2};
    server_name c.test;
    return 301 http://c.example.test/;
}
server {
    listen 127.0.0.1:{port3};
    server_name a.test;
    root {root}/p3;
}
"""

FILES = {
	"a/who.txt": b"A",
	"a/other.txt": b"server root",
	"a/index.html": b"a index",
	"a/methods/m.txt": b"methods",
	"b/who.txt": b"B",
	"p3/who.txt": b"P3",
}

TMPFILES = {
	"img1/img/x.txt": b"img1",
	"img1/imgfoo": b"img1 foo",
	"img2/images/x.txt": b"img2",
	"aliased/f.txt": b"aliased",
	"aliased/sub/g.txt": b"aliased sub",
	"toproot/top.txt": b"top",
	"toproot/x/file.txt": b"x",
	"toproot/y/file.txt": b"y",
}


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, files=FILES, tmpfiles=TMPFILES)


def fetch(srv, target, host="a.test", port=None, method="GET", addr="127.0.0.1"):
	return wsh.exchange(port or srv.port, req(method, target, host=host), method, host=addr)


# -- virtual hosts ----------------------------------------------------------------

@pytest.mark.parametrize("host,body", [
	("a.test", b"A"), ("b.test", b"B"), ("www.b.test", b"B"), ("WWW.B.TEST", b"B"),
	("b.test:12345", b"B"), ("unknown.test", b"A"), ("127.0.0.1", b"A"),
])
def test_server_name(srv, host, body):
	r = fetch(srv, "/who.txt", host=host)
	assert (r.status, r.body) == (200, body)


def test_http10_without_host_default_server(srv):
	r = wsh.exchange(srv.port, b"GET /who.txt HTTP/1.0\r\n\r\n")
	assert r.body == b"A"


@pytest.mark.rfc("9112", "3.2.2", "MUST")
def test_absolute_form_host_wins(srv):
	"""RFC 9112 3.2.2: the authority of an absolute-form target replaces Host."""
	r = wsh.exchange(srv.port, b"GET http://b.test/who.txt HTTP/1.1\r\nHost: a.test\r\n\r\n")
	assert r.status == 200 and r.body == b"B"


def test_ports_are_separate(srv):
	r = fetch(srv, "/who.txt", host="b.test", port=srv.port3)
	assert r.body == b"P3"
	r = fetch(srv, "/who.txt", host="a.test", port=srv.port3)
	assert r.body == b"P3"


def test_server_level_return(srv):
	for path in ("/", "/who.txt", "/deep/path?q=1"):
		r = fetch(srv, path, host="c.test", port=srv.port2)
		assert r.status == 301
		assert r.header("Location") == "http://c.example.test/"


def test_default_server_is_first(server):
	srv = server("""
server { listen 127.0.0.1:{port}; server_name b.test; root {root}/b; }
server { listen 127.0.0.1:{port}; server_name a.test; root {root}/a; }
""", files={"a/who.txt": b"A", "b/who.txt": b"B"})
	assert fetch(srv, "/who.txt", host="zzz.test").body == b"B"
	assert fetch(srv, "/who.txt", host="a.test").body == b"A"


def test_exact_address_beats_wildcard(server):
	srv = server("""
server { listen {port}; server_name w.test; root {root}/w; }
server { listen 127.0.0.1:{port}; server_name e.test; root {root}/e; }
""", files={"w/who.txt": b"W", "e/who.txt": b"E"})
	# to 127.0.0.1 only the servers bound to exactly that address count
	assert fetch(srv, "/who.txt", host="e.test").body == b"E"
	assert fetch(srv, "/who.txt", host="w.test").body == b"E"
	# to another local address only the wildcard servers count
	assert fetch(srv, "/who.txt", host="w.test", addr="127.0.0.2").body == b"W"
	assert fetch(srv, "/who.txt", host="e.test", addr="127.0.0.2").body == b"W"


def test_exact_address_wildcard_listed_second(server):
	srv = server("""
server { listen 127.0.0.1:{port}; server_name e.test; root {root}/e; }
server { listen 0.0.0.0:{port}; server_name w.test; root {root}/w; }
""", files={"w/who.txt": b"W", "e/who.txt": b"E"})
	assert fetch(srv, "/who.txt", host="w.test").body == b"E"
	assert fetch(srv, "/who.txt", host="e.test", addr="127.0.0.3").body == b"W"


def test_two_addresses_same_port(server):
	srv = server("""
server { listen 127.0.0.1:{port}; root {root}/one; }
server { listen 127.0.0.2:{port}; root {root}/two; }
""", files={"one/who.txt": b"1", "two/who.txt": b"2"})
	assert fetch(srv, "/who.txt", addr="127.0.0.1").body == b"1"
	assert fetch(srv, "/who.txt", addr="127.0.0.2").body == b"2"


def test_one_server_several_listens(server):
	srv = server("""
server { listen 127.0.0.1:{port}; listen 127.0.0.1:{port2}; root {root}; }
""", files={"who.txt": b"same"})
	assert fetch(srv, "/who.txt").body == b"same"
	assert fetch(srv, "/who.txt", port=srv.port2).body == b"same"


# -- locations ----------------------------------------------------------------------

@pytest.mark.parametrize("path,body", [
	("/img/x.txt", b"img1"),
	("/images/x.txt", b"img2"),
	("/imgfoo", b"img1 foo"),
	("/other.txt", b"server root"),
	("/methods/m.txt", b"methods"),
])
def test_longest_prefix(srv, path, body):
	r = fetch(srv, path)
	assert (r.status, r.body) == (200, body)


@pytest.mark.parametrize("path,body", [
	("/exact", b"exact"), ("/exact/", b"prefix"), ("/exactly", b"prefix"),
	("/exact/x", b"prefix"), ("/exact?q=1", b"exact"),
])
def test_exact_location(srv, path, body):
	r = fetch(srv, path)
	assert (r.status, r.body) == (200, body)


@pytest.mark.parametrize("path", ["/%69mg/x.txt", "/foo/../img/x.txt", "//img/x.txt",
                                  "/./img/x.txt", "/images/../img/x.txt", "/img//x.txt",
                                  "/img/./x.txt", "/img/sub/../x.txt"])
def test_routing_after_normalisation(srv, path):
	r = fetch(srv, path)
	assert (r.status, r.body) == (200, b"img1")


def test_exact_match_after_decoding(srv):
	assert fetch(srv, "/%65xact").body == b"exact"


@pytest.mark.parametrize("path,body", [
	("/al/f.txt", b"aliased"), ("/al/sub/g.txt", b"aliased sub"),
	("/al2/f.txt", b"aliased"), ("/al2/sub/g.txt", b"aliased sub"),
])
def test_alias(srv, path, body):
	r = fetch(srv, path)
	assert (r.status, r.body) == (200, body)


def test_alias_missing_404(srv):
	assert fetch(srv, "/al/nope.txt").status == 404


def test_top_level_root_inherited(srv):
	assert fetch(srv, "/top.txt", host="noroot.test").body == b"top"


def test_server_autoindex_inherited_and_overridden(srv):
	r = fetch(srv, "/y/", host="noroot.test")
	assert r.status == 200 and b"file.txt" in r.body
	r = fetch(srv, "/x/", host="noroot.test")
	assert_error_response(r, 403)


# -- return -------------------------------------------------------------------------

@pytest.mark.parametrize("path,code,loc", [
	("/r301", 301, "http://example.test/new"),
	("/r302", 302, "http://example.test/302"),
	("/r307", 307, "http://example.test/307"),
	("/r308", 308, "http://example.test/308"),
	("/r301/deeper", 301, "http://example.test/new"),
])
def test_return_redirect(srv, path, code, loc):
	r = fetch(srv, path)
	assert r.status == code
	assert r.header("Location") == loc


def test_return_redirect_relative(srv):
	r = fetch(srv, "/r303")
	assert r.status == 303
	assert urlsplit(r.header("Location")).path == "/local/path"


def test_return_redirect_head(srv):
	r = fetch(srv, "/r301", method="HEAD")
	assert r.status == 301 and r.header("Location") == "http://example.test/new"


@pytest.mark.parametrize("path,code,text", [
	("/text", 200, b"hello text"), ("/forbidden", 403, b"go away"), ("/gone", 410, b"gone"),
])
def test_return_text(srv, path, code, text):
	r = fetch(srv, path)
	assert r.status == code
	assert r.body == text
	assert r.content_type == "text/plain"
	assert r.header("Content-Length") == str(len(text))


def test_return_code_only_error_has_html(srv):
	r = fetch(srv, "/bare404")
	assert_error_response(r, 404)


# -- methods per location ---------------------------------------------------------------

@pytest.mark.rfc("9110", "15.5.6", "MUST")
def test_location_methods_allow_header(srv):
	r = wsh.exchange(srv.port, req("PUT", "/methods/m.txt", {"Content-Length": "1"}, b"x",
	                                host="a.test"))
	assert_error_response(r, 405)
	allow = {m.strip() for m in r.header("Allow").split(",")}
	assert allow == {"GET", "HEAD", "DELETE"}


def test_location_methods_get_still_ok(srv):
	assert fetch(srv, "/methods/m.txt").body == b"methods"
	r = fetch(srv, "/methods/m.txt", method="HEAD")
	assert r.status == 200


def test_head_allowed_with_get(server):
	srv = server("""
server { listen 127.0.0.1:{port}; root {root}; allow_methods GET; }
""", files={"a.txt": b"x"})
	r = wsh.exchange(srv.port, req("HEAD", "/a.txt"), "HEAD")
	assert r.status == 200
	r = wsh.exchange(srv.port, req("POST", "/a.txt", {"Content-Length": "0"}))
	assert r.status == 405
	assert {m.strip() for m in r.header("Allow").split(",")} == {"GET", "HEAD"}


def test_allow_methods_inherited_from_server(server):
	srv = server("""
allow_methods GET DELETE;
server {
    listen 127.0.0.1:{port};
    root {root};
    allow_methods GET;
    location /loc { }
    location /del { allow_methods DELETE; }
}
""", files={"loc/a.txt": b"x", "del/a.txt": b"y"})
	r = wsh.exchange(srv.port, req("DELETE", "/loc/a.txt"))
	assert r.status == 405
	assert {m.strip() for m in r.header("Allow").split(",")} == {"GET", "HEAD"}
	r = wsh.exchange(srv.port, req("GET", "/del/a.txt"))
	assert r.status == 405
	assert {m.strip() for m in r.header("Allow").split(",")} == {"DELETE"}


# -- `return` responses that have no content (on the mixed server) -----------

@pytest.mark.rfc("9110", "8.6", "MUST")
def test_return_204_has_no_content_length(mixed_srv):
	"""A server MUST NOT send Content-Length in a 204 (RFC 9110 8.6)."""
	r1, r2 = pipelined_then_get(mixed_srv, get("/r204"))
	assert r1.status == 204
	assert not r1.has("Content-Length"), r1.headers
	assert not r1.has("Transfer-Encoding"), r1.headers
	assert_second_ok(r2)


@pytest.mark.rfc("9112", "6.3", "MUST")
def test_return_204_with_text_sends_no_body(mixed_srv):
	"""A 204 ends at its empty line (RFC 9112 6.3 rule 1): any bytes after
	it are read as the start of the next response."""
	r1, r2 = pipelined_then_get(mixed_srv, get("/r204t"))
	assert r1.status == 204
	assert not r1.has("Content-Length"), r1.headers
	assert_second_ok(r2)


def test_return_text_head_has_length_no_body(mixed_srv):
	r1, r2 = pipelined_then_get(mixed_srv, req("HEAD", "/r200t"), "HEAD")
	assert r1.status == 200 and r1.header("Content-Length") == str(len("plain text"))
	assert r1.body == b""
	assert_second_ok(r2)


# -- listen forms and addresses ----------------------------------------------

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
		assert wsh.exchange(srv.port, get("/who", host=host)).body == b"E", host
	assert wsh.exchange(srv.port, get("/who", host="w2.test"), host="127.0.0.2").body == b"W2"
	assert wsh.exchange(srv.port, get("/who", host="e.test"), host="127.0.0.2").body == b"W1"
	assert wsh.exchange(srv.port, get("/who", host="zzz"), host="127.0.0.2").body == b"W1"
	assert wsh.exchange(srv.port2, get("/who")).body == b"M"
	assert wsh.exchange(srv.port3, get("/who"), host="127.0.0.5").body == b"M"
	with pytest.raises(OSError):
		socket.create_connection(("127.0.0.2", srv.port2), timeout=1).close()
