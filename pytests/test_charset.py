"""What the browser is told about text: every page the server generates
(error pages, autoindex, the upload reply) is `text/html; charset=utf-8`;
`charset NAME|off;` (top, server, location; default off) adds
`; charset=NAME` to static files of a text type whose type from `types`
names no charset of its own; and the HTML upload reply links to each
stored file and back to the store."""

import re
import uuid

import pytest

import wsh
from wsh import get, req

CONF = """
types {
    text/html html;
    text/plain txt;
    text/css css;
    text/javascript js;
    application/javascript mjs;
    application/json json;
    image/png png;
    "text/plain; charset=iso-8859-1" latin;
}
server {
    listen 127.0.0.1:{port};
    server_name localhost;
    root {root};
    error_page 404 /errors/404.html;
    location /plain/ {
        autoindex on;
    }
    location = /said {
        return 200 "caf\u00e9";
    }
    location /up/ {
        allow_methods GET HEAD POST DELETE;
        upload_store {tmp}/store;
        alias {tmp}/store/;
        autoindex on;
    }
}
server {
    listen 127.0.0.1:{port2};
    server_name localhost;
    root {root};
    error_page 404 /errors/404.html;
    charset utf-8;
    location /off/ {
        charset off;
    }
    location /koi/ {
        charset KOI8-R;
    }
    location = /said {
        return 200 "caf\u00e9";
    }
    location /up/ {
        allow_methods GET HEAD POST DELETE;
        upload_store {tmp}/store;
        alias {tmp}/store/;
    }
}
"""

FILES = {
	"a.txt": "caf\u00e9\n",
	"a.html": "<!DOCTYPE html><p>caf\u00e9</p>\n",
	"a.css": "body { color: red }\n",
	"a.js": "let x = 1;\n",
	"a.mjs": "export default 1;\n",
	"a.json": "{}\n",
	"a.png": b"\x89PNG\r\n\x1a\n",
	"a.latin": b"caf\xe9\n",
	"errors/404.html": "<!DOCTYPE html><h1>not here</h1>\n",
	"plain/x.txt": "x\n",
	"off/a.txt": "off\n",
	"koi/a.txt": "koi\n",
	"noindex/a.txt": "n\n",
}
HTML = "text/html; charset=utf-8"


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, files=FILES, dirs=["store"])


def post(path, body, headers=None):
	h = dict(headers or {})
	h["Content-Length"] = str(len(body))
	return req("POST", path, headers=h, body=body)


def ctype(port, path, method="GET", headers=None, body=b""):
	r = wsh.exchange(port, req(method, path, headers=headers, body=body), method)
	return r, r.header("Content-Type")


@pytest.mark.parametrize("method,path,status", [
	("GET", "/plain/", 200),          # autoindex
	("GET", "/up/", 200),             # autoindex of a store
	("GET", "/noindex/", 403),        # built-in error page
	("GET", "/plain", 301),           # slash redirect page
	("DELETE", "/a.txt", 405),
	("GET", "/%zz", 400),
])
def test_generated_pages_say_utf8(srv, method, path, status):
	r, ct = ctype(srv.port, path, method)
	assert r.status == status, r
	assert ct == HTML, (path, ct)


def test_error_page_file_follows_charset_directive(srv):
	# A custom error page is a static file: off by default, utf-8 where the
	# configuration says so.
	r, ct = ctype(srv.port, "/missing")
	assert r.status == 404 and b"not here" in r.body and ct == "text/html"
	r, ct = ctype(srv.port2, "/missing")
	assert r.status == 404 and b"not here" in r.body and ct == HTML


@pytest.mark.parametrize("path,off,on", [
	("/a.txt", "text/plain", "text/plain; charset=utf-8"),
	("/a.html", "text/html", "text/html; charset=utf-8"),
	("/a.css", "text/css", "text/css; charset=utf-8"),
	("/a.js", "text/javascript", "text/javascript; charset=utf-8"),
	("/a.mjs", "application/javascript", "application/javascript; charset=utf-8"),
	# not text types
	("/a.json", "application/json", "application/json"),
	("/a.png", "image/png", "image/png"),
	# a type that names its charset keeps it
	("/a.latin", "text/plain; charset=iso-8859-1", "text/plain; charset=iso-8859-1"),
	# location level: off, and another name
	("/off/a.txt", "text/plain", "text/plain"),
	("/koi/a.txt", "text/plain", "text/plain; charset=KOI8-R"),
])
def test_charset_directive(srv, path, off, on):
	r, ct = ctype(srv.port, path)
	assert r.status == 200 and ct == off, (path, ct)
	r, ct = ctype(srv.port2, path)
	assert r.status == 200 and ct == on, (path, ct)
	# HEAD, 206 and 304 agree with GET.
	r, ct = ctype(srv.port2, path, "HEAD")
	assert ct == on
	r = wsh.exchange(srv.port2, req("GET", path, headers={"Range": "bytes=0-0"}))
	assert r.status == 206 and r.header("Content-Type") == on


def test_return_text_follows_charset_directive(srv):
	r, ct = ctype(srv.port, "/said")
	assert r.status == 200 and r.body == "caf\u00e9".encode() and ct == "text/plain"
	r, ct = ctype(srv.port2, "/said")
	assert r.status == 200 and r.body == "caf\u00e9".encode() and ct == "text/plain; charset=utf-8"


def test_stored_text_file_gets_charset(srv):
	name = "n-%s.txt" % uuid.uuid4().hex[:8]
	r = wsh.exchange(srv.port2, post("/up/" + name, b"t\xc3\xa9\n"))
	assert r.status == 201
	r, ct = ctype(srv.port2, "/up/" + name)
	assert r.status == 200 and ct == "text/plain; charset=utf-8"
	assert r.header("X-Content-Type-Options") == "nosniff"
	r, ct = ctype(srv.port, "/up/" + name)
	assert r.status == 200 and ct == "text/plain"


BND = "----charsetBoundary7MA4YWxk"


def multipart(parts):
	out = b""
	for head, data in parts:
		out += b"--" + BND.encode() + b"\r\n" + head + b"\r\n\r\n" + data + b"\r\n"
	return out + b"--" + BND.encode() + b"--\r\n"


def test_upload_reply_page_links_each_file_and_back(srv):
	tag = uuid.uuid4().hex[:6]
	names = ["r\u00e9sum\u00e9 \u00fc %s.txt" % tag, "a&b <%s>.txt" % tag]
	parts = [(('Content-Disposition: form-data; name="files"; filename="%s"' % n).encode("utf-8")
	          + b"\r\nContent-Type: text/plain", ("data of %s" % n).encode("utf-8")) for n in names]
	parts.append((b'Content-Disposition: form-data; name="note"', b"hi"))
	r = wsh.exchange(srv.port, post("/up/", multipart(parts), {
		"Content-Type": "multipart/form-data; boundary=" + BND, "Accept": "text/html"}))
	assert r.status == 201, r
	assert r.header("Content-Type") == HTML
	page = r.body.decode("utf-8")
	assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
	links = re.findall(r'<li><a href="([^"]+)">([^<]*)</a> \((\d+) bytes\)</li>', page)
	assert [t for _h, t, _s in links] == [
		"r\u00e9sum\u00e9 \u00fc %s.txt" % tag, "a&amp;b &lt;%s&gt;.txt" % tag], page
	assert links[0][0] == "/up/r%C3%A9sum%C3%A9%20%C3%BC%20" + tag + ".txt"
	assert r.header("Location") == links[0][0]
	# Each link serves the file it names.
	for (href, _t, size), n in zip(links, names):
		g = wsh.exchange(srv.port, get(href))
		assert g.status == 200 and g.body == ("data of %s" % n).encode("utf-8")
		assert int(size) == len(g.body)
	# The text field is listed, not linked; the page links back to the store.
	assert "<li>note (2 bytes)</li>" in page
	assert '<a href="/up/">Back to /up/</a>' in page and '<a href="/">Home</a>' in page
	for href, _t, _s in links:
		assert wsh.exchange(srv.port, req("DELETE", href)).status == 204


def test_upload_reply_json_unchanged(srv):
	name = "j-%s.txt" % uuid.uuid4().hex[:6]
	body = multipart([(('Content-Disposition: form-data; name="f"; filename="%s"' % name).encode(),
	                   b"abc")])
	r = wsh.exchange(srv.port, post("/up/", body, {
		"Content-Type": "multipart/form-data; boundary=" + BND, "Accept": "application/json"}))
	assert r.status == 201 and r.header("Content-Type") == "application/json"
	assert ('"name":"%s","size":3' % name).encode() in r.body
	assert wsh.exchange(srv.port, req("DELETE", "/up/" + name)).status == 204
