"""Static files: GET/HEAD, Content-Type, Content-Length, Last-Modified,
ETag, conditional requests (304), ranges (206/416), index, autoindex and
the trailing-slash redirect."""

import calendar
import hashlib
import os
import re
import time
from urllib.parse import urlsplit, unquote, urljoin

import pytest

import wsh
from mixed import MIXED_RANGE, AUTO_NAMES, mex, mixed_etag, pipelined_then_get, assert_second_ok
from wsh import req, get, assert_error_response

CONF = """
server {
    listen 127.0.0.1:{port};
    root {root};
    location /auto { autoindex on; }
    location /multi { index nope.html alt.htm; }
}
server {
    listen 127.0.0.1:{port2};
    root {root};
    types {
        application/x-webserv-test wst;
        text/x-custom cst txtx;
    }
}
"""

BIG = os.urandom(5 * 1024 * 1024 + 3)
RANGE = b"0123456789abcdefghij"
FIXED_TS = calendar.timegm((2020, 1, 2, 3, 4, 5, 0, 0, 0))
FIXED_DATE = "Thu, 02 Jan 2020 03:04:05 GMT"

FILES = {
	"index.html": b"<html>root index</html>",
	"a.txt": b"alpha",
	"page.html": b"<p>page</p>",
	"style.css": b"p { color: red }",
	"script.js": b"var x = 1;",
	"img.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 32,
	"data.json": b'{"a": 1}',
	"noext": b"raw bytes",
	"f.unknownext": b"unknown",
	"file.wst": b"custom type",
	"two.cst": b"custom 2",
	"dir/index.html": b"<p>dir index</p>",
	"my dir/index.html": b"<p>my dir</p>",
	"noindex/x.txt": b"x",
	"auto/one.txt": b"one",
	"auto/two.html": b"<p>two</p>",
	"auto/sub/three.txt": b"three",
	"auto/<b>x.txt": b"tag name",
	"auto/space name.txt": b"spaced",
	"multi/alt.htm": b"<p>alt</p>",
	"range.txt": RANGE,
	"big.bin": BIG,
	"fixed.txt": b"fixed mtime",
	"mutable.txt": b"version one",
	"hello world.txt": b"spaced",
	"empty.txt": b"",
}


@pytest.fixture(scope="module")
def srv(module_server):
	s = module_server(CONF, files=FILES)
	os.utime(s.root / "fixed.txt", (FIXED_TS, FIXED_TS))
	return s


def send(srv, data, method="GET", port=None):
	return wsh.exchange(port or srv.port, data, method)


# -- content and metadata -----------------------------------------------------

def test_get_file(srv):
	r = srv.get("/a.txt")
	assert r.status_code == 200
	assert r.content == b"alpha"
	assert r.headers["Content-Length"] == "5"


@pytest.mark.parametrize("path,ctype", [
	("/a.txt", "text/plain"),
	("/page.html", "text/html"),
	("/index.html", "text/html"),
	("/style.css", "text/css"),
	("/img.png", "image/png"),
	("/data.json", "application/json"),
])
def test_content_type_from_extension(srv, path, ctype):
	r = srv.get(path)
	assert r.status_code == 200
	assert r.headers["Content-Type"].split(";")[0].strip().lower() == ctype


def test_content_type_js(srv):
	r = srv.get("/script.js")
	assert r.headers["Content-Type"].split(";")[0].strip() in (
		"application/javascript", "text/javascript", "application/x-javascript")


@pytest.mark.parametrize("path", ["/f.unknownext", "/noext"])
def test_unknown_extension_octet_stream(srv, path):
	r = srv.get(path)
	assert r.status_code == 200
	assert r.headers["Content-Type"] == "application/octet-stream"


def test_types_block(srv):
	r = wsh.exchange(srv.port2, get("/file.wst"))
	assert r.status == 200 and r.body == b"custom type"
	assert r.content_type == "application/x-webserv-test"
	r = wsh.exchange(srv.port2, get("/two.cst"))
	assert r.content_type == "text/x-custom"
	r = wsh.exchange(srv.port2, get("/f.unknownext"))
	assert r.content_type == "application/octet-stream"


def test_big_file(srv):
	r = srv.get("/big.bin", timeout=wsh.T(30))
	assert r.status_code == 200
	assert int(r.headers["Content-Length"]) == len(BIG)
	assert hashlib.sha256(r.content).digest() == hashlib.sha256(BIG).digest()


def test_big_file_slow_reader(srv):
	"""A client reading slowly still gets every byte."""
	with wsh.Conn(srv.port, rcvbuf=8192, timeout=30) as c:
		c.send(get("/big.bin"))
		time.sleep(0.5)
		r = c.read_response()
	assert r.body == BIG


def test_empty_file(srv):
	r = send(srv, get("/empty.txt"))
	assert r.status == 200 and r.body == b""
	assert r.header("Content-Length") == "0"


def test_percent_encoded_names(srv):
	assert srv.get("/hello%20world.txt").content == b"spaced"
	assert send(srv, get("/auto/space%20name.txt")).body == b"spaced"


@pytest.mark.rfc("9110", "8.8.2", "SHOULD")
def test_last_modified(srv):
	r = srv.get("/fixed.txt")
	assert r.headers["Last-Modified"] == FIXED_DATE


@pytest.mark.rfc("9110", "8.8.3", "MUST")
def test_etag_syntax(srv):
	r = srv.get("/a.txt")
	etag = r.headers.get("ETag")
	assert etag is not None
	assert re.match(r'^(W/)?"[\x21\x23-\x7e\x80-\xff]*"$', etag), etag


def test_etag_stable(srv):
	assert srv.get("/a.txt").headers["ETag"] == srv.get("/a.txt").headers["ETag"]


@pytest.mark.rfc("9110", "8.8.3", "MUST")
def test_etag_changes_with_content(srv):
	p = srv.root / "mutable.txt"
	e1 = srv.get("/mutable.txt").headers["ETag"]
	st = p.stat()
	p.write_bytes(b"version two, longer")
	os.utime(p, (st.st_mtime + 10, st.st_mtime + 10))
	# A change on disk is seen once the open-file cache's entry has
	# expired (1 s by default; test_fcache.py covers the cache itself).
	time.sleep(1.2)
	r = srv.get("/mutable.txt")
	assert r.content == b"version two, longer"
	assert r.headers["ETag"] != e1


def test_different_files_different_etags(srv):
	assert srv.get("/a.txt").headers["ETag"] != srv.get("/page.html").headers["ETag"]


# -- HEAD ------------------------------------------------------------------------

@pytest.mark.rfc("9110", "9.3.2", "MUST")
def test_head_same_headers_no_body(srv):
	g = send(srv, get("/range.txt"))
	with srv.conn() as c:
		c.send(req("HEAD", "/range.txt") + get("/a.txt"))
		h = c.read_response("HEAD")
		nxt = c.read_response()
	assert h.status == 200 and h.body == b""
	for name in ("Content-Type", "Content-Length", "ETag", "Last-Modified"):
		assert h.header(name) == g.header(name), name
	assert nxt.body == b"alpha", "HEAD response carried a body"


@pytest.mark.rfc("9110", "9.3.2", "MUST")
def test_head_error_has_no_body(srv):
	with srv.conn() as c:
		c.send(req("HEAD", "/missing.txt") + get("/a.txt"))
		h = c.read_response("HEAD")
		nxt = c.read_response()
	assert h.status == 404
	assert nxt.status == 200 and nxt.body == b"alpha"


def test_head_big_file(srv):
	with srv.conn() as c:
		c.send(req("HEAD", "/big.bin") + get("/a.txt"))
		h = c.read_response("HEAD")
		nxt = c.read_response()
	assert h.header("Content-Length") == str(len(BIG))
	assert nxt.body == b"alpha"


# -- conditional requests ---------------------------------------------------------

def cond(srv, headers, path="/fixed.txt", method="GET"):
	"""Send a conditional request followed by a pipelined GET /a.txt; check
	that a 304 carries no body. Returns the first response."""
	with srv.conn() as c:
		c.send(req(method, path, headers) + get("/a.txt"))
		r = c.read_response(method)
		nxt = c.read_response()
	assert nxt.body == b"alpha", "a body followed the %d" % r.status
	return r


def etag_of(srv, path="/fixed.txt"):
	return srv.get(path).headers["ETag"]


@pytest.mark.rfc("9110", "13.1.2", "MUST")
def test_if_none_match_304(srv):
	etag = etag_of(srv)
	r = cond(srv, {"If-None-Match": etag})
	assert r.status == 304
	assert r.header("ETag") == etag
	assert r.has("Date")


@pytest.mark.rfc("9110", "13.1.2", "MUST")
def test_if_none_match_head_304(srv):
	r = cond(srv, {"If-None-Match": etag_of(srv)}, method="HEAD")
	assert r.status == 304


@pytest.mark.rfc("9110", "13.1.2", "MUST")
def test_if_none_match_star_304(srv):
	assert cond(srv, {"If-None-Match": "*"}).status == 304


@pytest.mark.rfc("9110", "13.1.2", "MUST")
def test_if_none_match_list_304(srv):
	r = cond(srv, {"If-None-Match": '"nope", %s, "other"' % etag_of(srv)})
	assert r.status == 304


@pytest.mark.rfc("9110", "13.1.2", "MUST")
def test_if_none_match_weak_comparison(srv):
	etag = etag_of(srv)
	other = etag[2:] if etag.startswith("W/") else "W/" + etag
	assert cond(srv, {"If-None-Match": other}).status == 304


@pytest.mark.rfc("9110", "13.1.2", "MUST")
def test_if_none_match_mismatch_200(srv):
	r = cond(srv, {"If-None-Match": '"definitely-not-it"'})
	assert r.status == 200 and r.body == b"fixed mtime"


@pytest.mark.rfc("9110", "13.1.3", "MUST")
def test_if_modified_since_equal_304(srv):
	r = cond(srv, {"If-Modified-Since": FIXED_DATE})
	assert r.status == 304


@pytest.mark.rfc("9110", "13.1.3", "MUST")
def test_if_modified_since_later_304(srv):
	r = cond(srv, {"If-Modified-Since": wsh.imf_date(FIXED_TS + 86400)})
	assert r.status == 304


@pytest.mark.rfc("9110", "13.1.3", "SHOULD")
@pytest.mark.parametrize("ahead", [86400, 365 * 86400, 75 * 365 * 86400])
def test_if_modified_since_in_the_future_ignored(srv, ahead):
	"""Later than the server's clock: not a date this server sent, ignored
	(a file modified before it would otherwise be 304)."""
	r = cond(srv, {"If-Modified-Since": wsh.imf_date(time.time() + ahead)})
	assert r.status == 200 and r.body == b"fixed mtime"


def test_if_modified_since_now_still_304(srv):
	r = cond(srv, {"If-Modified-Since": wsh.imf_date(time.time() - 2)})
	assert r.status == 304


@pytest.mark.rfc("9110", "13.1.3", "MUST")
def test_if_modified_since_earlier_200(srv):
	r = cond(srv, {"If-Modified-Since": wsh.imf_date(FIXED_TS - 1)})
	assert r.status == 200 and r.body == b"fixed mtime"


@pytest.mark.rfc("9110", "13.1.3", "MUST")
@pytest.mark.parametrize("value", ["yesterday", "Thu, 02 Jan 2020", "0", ""])
def test_if_modified_since_invalid_ignored(srv, value):
	r = cond(srv, {"If-Modified-Since": value})
	assert r.status == 200


@pytest.mark.rfc("9110", "5.6.7", "MUST")
@pytest.mark.parametrize("value", ["Thursday, 02-Jan-20 03:04:05 GMT",
                                   "Thu Jan  2 03:04:05 2020"])
def test_if_modified_since_obsolete_formats(srv, value):
	"""Recipients MUST accept all three HTTP-date formats."""
	assert cond(srv, {"If-Modified-Since": value}).status == 304


@pytest.mark.rfc("9110", "13.1.3", "MUST")
def test_if_none_match_beats_if_modified_since(srv):
	r = cond(srv, {"If-None-Match": '"not-it"', "If-Modified-Since": FIXED_DATE})
	assert r.status == 200


def test_conditional_on_missing_file_404(srv):
	r = cond(srv, {"If-None-Match": "*"}, path="/missing.txt")
	assert r.status == 404


# -- ranges ----------------------------------------------------------------------------

@pytest.mark.rfc("9110", "14.1.2", "MUST")
@pytest.mark.parametrize("spec,first,last", [
	("0-4", 0, 4), ("5-", 5, 19), ("-5", 15, 19), ("0-0", 0, 0), ("10-999", 10, 19),
	("-100", 0, 19), ("19-19", 19, 19), ("0-19", 0, 19), ("3-3", 3, 3),
])
def test_range_206(srv, spec, first, last):
	r = send(srv, req("GET", "/range.txt", {"Range": "bytes=" + spec}))
	assert r.status == 206, r
	assert r.body == RANGE[first:last + 1]
	assert r.header("Content-Range") == "bytes %d-%d/%d" % (first, last, len(RANGE))
	assert r.header("Content-Length") == str(last - first + 1)


def test_range_in_big_file(srv):
	r = send(srv, req("GET", "/big.bin", {"Range": "bytes=1000000-1000099"}))
	assert r.status == 206 and r.body == BIG[1000000:1000100]


@pytest.mark.rfc("9110", "15.5.17", "SHOULD")
@pytest.mark.parametrize("spec", ["20-", "25-30", "100-"])
def test_range_unsatisfiable_416(srv, spec):
	r = send(srv, req("GET", "/range.txt", {"Range": "bytes=" + spec}))
	assert_error_response(r, 416)
	assert r.header("Content-Range") == "bytes */20"


@pytest.mark.rfc("9110", "14.2", "MUST")
def test_range_unknown_unit_ignored(srv):
	r = send(srv, req("GET", "/range.txt", {"Range": "items=0-4"}))
	assert r.status == 200 and r.body == RANGE


@pytest.mark.rfc("9110", "14.2", "MAY")
@pytest.mark.parametrize("spec", ["bytes=5-1", "bytes=abc", "bytes=", "bytes=--1", "bytes=1-2-3"])
def test_range_invalid_ignored_or_416(srv, spec):
	r = send(srv, req("GET", "/range.txt", {"Range": spec}))
	assert r.status in (200, 416), r
	if r.status == 200:
		assert r.body == RANGE


@pytest.mark.rfc("9110", "14.2", "MAY")
def test_multiple_ranges(srv):
	r = send(srv, req("GET", "/range.txt", {"Range": "bytes=0-1,5-6"}))
	assert r.status in (200, 206), r
	if r.status == 200:
		assert r.body == RANGE
	else:
		assert b"01" in r.body and b"56" in r.body


def test_range_head(srv):
	with srv.conn() as c:
		c.send(req("HEAD", "/range.txt", {"Range": "bytes=0-4"}) + get("/a.txt"))
		h = c.read_response("HEAD")
		assert h.status in (200, 206)
		assert c.read_response().body == b"alpha"


# -- index, autoindex, redirects --------------------------------------------------------

def test_index_root(srv):
	r = srv.get("/")
	assert r.status_code == 200 and r.content == b"<html>root index</html>"
	assert r.headers["Content-Type"].startswith("text/html")


def test_index_subdir(srv):
	assert srv.get("/dir/").content == b"<p>dir index</p>"


def test_index_list_tried_in_order(srv):
	assert srv.get("/multi/").content == b"<p>alt</p>"


def test_no_index_no_autoindex_403(srv):
	r = send(srv, get("/noindex/"))
	assert_error_response(r, 403)


@pytest.mark.parametrize("path", ["/dir", "/noindex", "/auto", "/auto/sub"])
def test_directory_without_slash_301(srv, path):
	r = send(srv, get(path))
	assert r.status == 301, r
	loc = r.header("Location")
	assert loc is not None
	assert urlsplit(loc).path == path + "/", loc


def test_directory_redirect_head(srv):
	r = send(srv, req("HEAD", "/dir"), "HEAD")
	assert r.status == 301
	assert urlsplit(r.header("Location")).path == "/dir/"


@pytest.mark.rfc("9110", "10.2.2", "MUST")
def test_directory_redirect_location_is_encoded(srv):
	r = send(srv, get("/my%20dir"))
	assert r.status == 301
	loc = r.header("Location")
	assert " " not in loc, "Location is not a valid URI reference: %r" % loc
	assert unquote(urlsplit(loc).path) == "/my dir/"
	assert srv.get(urlsplit(loc).path).content == b"<p>my dir</p>"


def test_autoindex_lists_entries(srv):
	r = srv.get("/auto/")
	assert r.status_code == 200
	assert r.headers["Content-Type"].startswith("text/html")
	body = r.text
	for name in ("one.txt", "two.html", "sub"):
		assert name in body, name


def test_autoindex_links_work(srv):
	body = srv.get("/auto/").text
	hrefs = re.findall(r'href\s*=\s*"([^"]*)"', body) + re.findall(r"href\s*=\s*'([^']*)'", body)
	assert hrefs, body
	targets = {}
	for h in hrefs:
		h = h.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
		path = urlsplit(urljoin("/auto/", h)).path
		if not path.startswith("/auto/") or path == "/auto/":
			continue
		targets[unquote(path)] = path
	want = {"/auto/one.txt": b"one", "/auto/two.html": b"<p>two</p>",
	        "/auto/space name.txt": b"spaced", "/auto/<b>x.txt": b"tag name"}
	for decoded, body_want in want.items():
		assert decoded in targets, "no link to %s in %r" % (decoded, list(targets))
		r = send(srv, get(targets[decoded]))
		assert r.status == 200 and r.body == body_want, decoded
	assert "/auto/sub/" in targets or "/auto/sub" in targets


def test_autoindex_escapes_html(srv):
	body = srv.get("/auto/").text
	assert "<b>x.txt" not in body, "file name inserted into the listing unescaped"


def test_autoindex_subdir(srv):
	r = srv.get("/auto/sub/")
	assert r.status_code == 200 and "three.txt" in r.text


def test_index_beats_autoindex(srv):
	r = srv.get("/dir/")
	assert r.content == b"<p>dir index</p>"


# -- misses ---------------------------------------------------------------------

def test_missing_404(srv):
	r = send(srv, get("/no/such/file.txt"))
	assert_error_response(r, 404)


def test_file_with_trailing_slash(srv):
	r = send(srv, get("/a.txt/"))
	assert r.status in (404, 403)
	assert r.content_type == "text/html"


def test_file_as_directory(srv):
	r = send(srv, get("/a.txt/x"))
	assert r.status in (404, 403)


# -- HEAD, conditionals, ranges, index and autoindex at their edges (on the mixed server) ----

@pytest.mark.rfc("9110", "9.3.2", "MUST")
def test_head_everywhere_no_body_keepalive(mixed_srv):
	"""HEAD of every kind of response, pipelined: none carries a body
	(otherwise the following responses would be misread)."""
	targets = ["/auto/", "/cgi/edge.py", "/r200t", "/missing", "/noidx/", "/auto",
	           "/errs/adir/", "/r.txt"]
	with mixed_srv.conn() as c:
		c.send(b"".join(req("HEAD", t) for t in targets) + get("/a.txt"))
		rs = [c.read_response("HEAD") for _ in targets]
		last = c.read_response()
	for t, r in zip(targets, rs):
		assert r.body == b"", t
		assert r.has("Date") and r.has("Server"), t
	assert [r.status for r in rs] == [200, 200, 200, 404, 403, 301, 403, 200]
	assert_second_ok(last)


def test_head_length_matches_get(mixed_srv):
	for t in ["/auto/", "/missing", "/r.txt", "/r200t"]:
		g = mex(mixed_srv, get(t))
		h = mex(mixed_srv, req("HEAD", t), "HEAD")
		assert g.status == h.status, t
		assert h.header("Content-Length") in (None, str(len(g.body))), t


@pytest.mark.rfc("9110", "13.1.2", "MUST")
def test_if_none_match_split_over_two_field_lines(mixed_srv):
	"""Field lines with the same name form one list (RFC 9110 5.3); one
	of the listed tags matches, so the answer is 304."""
	et = mixed_etag(mixed_srv)
	r = mex(mixed_srv, req("GET", "/r.txt", [("If-None-Match", '"zzz"'), ("If-None-Match", et)]))
	assert r.status == 304


@pytest.mark.rfc("9110", "13.1.2", "MUST")
@pytest.mark.parametrize("fmt", ['%s', 'W/%s', '"a",%s', '"a" , W/%s ,"b"', ',,%s,'])
def test_if_none_match_list_forms(mixed_srv, fmt):
	et = mixed_etag(mixed_srv)
	r = mex(mixed_srv, req("GET", "/r.txt", {"If-None-Match": fmt % et}))
	assert r.status == 304 and r.body == b""
	assert r.header("ETag") == et


@pytest.mark.rfc("9110", "13.1.2", "MUST")
def test_if_none_match_unquoted_tag_does_not_match(mixed_srv):
	et = mixed_etag(mixed_srv)
	assert mex(mixed_srv, req("GET", "/r.txt", {"If-None-Match": et.strip('"')})).status == 200


@pytest.mark.rfc("9110", "13.1.3", "MUST")
@pytest.mark.parametrize("value", ["yesterday", "Thu, 32 Jan 2099 00:00:00 GMT",
                                   "Thu, 01 Jan 2099 25:00:00 GMT", "",
                                   "Thu, 01 Jan 2099 00:00:00 GMT, Fri, 02 Jan 2099 00:00:00 GMT",
                                   "Thu, 01 Jan 2099 00:00:00 GMTjunk", "0", "-1",
                                   "99999999999999999999"])
def test_if_modified_since_malformed_ignored(mixed_srv, value):
	"""A value that is not one HTTP-date MUST be ignored: 200."""
	r = mex(mixed_srv, req("GET", "/r.txt", {"If-Modified-Since": value}))
	assert r.status == 200 and r.body == MIXED_RANGE


def test_if_modified_since_in_the_future(mixed_srv):
	"""A date later than the server's clock cannot be one it sent: the
	field is ignored and the file served (200), cleanly."""
	future = {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}
	r1, r2 = pipelined_then_get(mixed_srv, req("GET", "/r.txt", future))
	assert r1.status == 200
	assert r1.body == MIXED_RANGE
	assert_second_ok(r2)


@pytest.mark.rfc("9110", "13.1.2", "MUST")
def test_if_none_match_ignored_on_error(mixed_srv):
	"""Conditionals apply to the selected representation; a 404 stays a
	404 even with If-None-Match: * (RFC 9110 13.2.1)."""
	r = mex(mixed_srv, req("GET", "/nope.txt", {"If-None-Match": "*"}))
	assert r.status == 404


@pytest.mark.rfc("9110", "14.2", "MUST")
def test_if_range(mixed_srv):
	"""If-Range uses the strong comparison (RFC 9110 13.1.5): a weak tag
	never matches; a mismatch means the whole representation."""
	et = mixed_etag(mixed_srv)
	lm = mex(mixed_srv, req("HEAD", "/r.txt"), "HEAD").header("Last-Modified")
	rng = {"Range": "bytes=2-4"}
	r = mex(mixed_srv, req("GET", "/r.txt", dict(rng, **{"If-Range": et})))
	assert r.status == 206 and r.body == b"234"
	r = mex(mixed_srv, req("GET", "/r.txt", dict(rng, **{"If-Range": "W/" + et})))
	assert r.status == 200 and r.body == MIXED_RANGE
	r = mex(mixed_srv, req("GET", "/r.txt", dict(rng, **{"If-Range": '"other"'})))
	assert r.status == 200 and r.body == MIXED_RANGE
	r = mex(mixed_srv, req("GET", "/r.txt", dict(rng, **{"If-Range": lm})))
	assert r.status in (200, 206)
	assert r.body == (b"234" if r.status == 206 else MIXED_RANGE)


@pytest.mark.rfc("9110", "14.1.2", "MUST")
@pytest.mark.parametrize("spec,want", [
	("bytes=0-0", (0, 0)),
	("bytes=9-", (9, 9)),
	("bytes=9-9", (9, 9)),
	("bytes=-1", (9, 9)),
	("bytes=-20", (0, 9)),
	("bytes=3-100", (3, 9)),
	("bytes= 2-3", (2, 3)),
	("bytes=2-3 ", (2, 3)),
])
def test_range_satisfiable_edges(mixed_srv, spec, want):
	r = mex(mixed_srv, req("GET", "/r.txt", {"Range": spec}))
	if r.status == 200:  # a server MAY ignore Range (RFC 9110 14.2)
		assert r.body == MIXED_RANGE
		return
	a, b = want
	assert r.status == 206, r
	assert r.header("Content-Range") == "bytes %d-%d/10" % (a, b)
	assert r.body == MIXED_RANGE[a:b + 1]
	assert r.header("Content-Length") == str(b - a + 1)


@pytest.mark.rfc("9110", "15.5.17", "SHOULD")
@pytest.mark.parametrize("path,spec,size", [
	("/r.txt", "bytes=10-", 10),
	("/r.txt", "bytes=10-20", 10),
	("/r.txt", "bytes=-0", 10),
	("/empty.txt", "bytes=0-", 0),
	("/empty.txt", "bytes=-5", 0),
])
def test_range_unsatisfiable_edges(mixed_srv, path, spec, size):
	r1, r2 = pipelined_then_get(mixed_srv, req("GET", path, {"Range": spec}))
	if r1.status == 416:
		assert r1.header("Content-Range") == "bytes */%d" % size
	else:
		assert r1.status == 200
	assert_second_ok(r2)


@pytest.mark.rfc("9110", "14.2", "MUST")
@pytest.mark.parametrize("spec", ["bytes=1-0", "bytes=-", "bytes=--1", "bytes=0x1-2",
                                  "bytes=a-b", "bytes=1-2-3", "pages=1-2", "bytes",
                                  "bytes=0-99999999999999999999999",
                                  "bytes=99999999999999999999-"])
def test_range_invalid_or_huge_never_breaks(mixed_srv, spec):
	"""Invalid ranges are ignored (200) or refused (416); huge numbers
	never overflow into a wrong slice."""
	r1, r2 = pipelined_then_get(mixed_srv, req("GET", "/r.txt", {"Range": spec}))
	assert r1.status in (200, 206, 416), r1
	if r1.status == 200:
		assert r1.body == MIXED_RANGE
	if r1.status == 206:
		assert spec == "bytes=0-99999999999999999999999"
		assert r1.body == MIXED_RANGE and r1.header("Content-Range") == "bytes 0-9/10"
	assert_second_ok(r2)


def test_index_that_is_a_directory_is_not_served(mixed_srv):
	"""`index sub;` where sub is a directory: not an index file, so with
	autoindex off the answer is 403 (never a listing of sub)."""
	r = mex(mixed_srv, get("/idxdir/"))
	assert r.status == 403
	assert b"x.txt" not in r.body


def _hrefs(body):
	return re.findall(r'href\s*=\s*"([^"]*)"', body) + re.findall(r"href\s*=\s*'([^']*)'", body)


def _unescape(h):
	return (h.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
	        .replace("&#39;", "'").replace("&#x27;", "'").replace("&amp;", "&"))


def test_autoindex_odd_names_escaped_and_linked(mixed_srv):
	r = mex(mixed_srv, get("/auto/"))
	assert r.status == 200
	body = r.body.decode("utf-8")
	assert "<script>" not in body, "file name inserted unescaped"
	found = {}
	for h in _hrefs(body):
		path = urlsplit(urljoin("/auto/", _unescape(h))).path
		if path.startswith("/auto/") and path != "/auto/":
			found[unquote(path, errors="strict")] = path
	for name in AUTO_NAMES:
		want = "/auto/" + name
		assert want in found, "no working link to %r in %r" % (name, sorted(found))
		g = mex(mixed_srv, get(found[want]))
		assert g.status == 200 and g.body == ("content of " + name).encode(), name


def test_autoindex_many_long_names_needing_escapes(mixed_srv):
	d = mixed_srv.root / "auto" / "quotes"
	d.mkdir(exist_ok=True)
	for i in range(80):
		(d / ('"' * 245 + "%05d.txt" % i)).write_bytes(b"q")
	r = mex(mixed_srv, get("/auto/quotes/"))
	assert r.status == 200
	assert r.body.count(b"%05d.txt" % 79) >= 1


def test_autoindex_odd_directory_name_in_title_escaped(mixed_srv):
	r = mex(mixed_srv, get("/auto/%3Ci%3Ed%26/"))
	assert r.status == 200
	assert b"<i>" not in r.body
	assert b"f.txt" in r.body


def test_very_long_name_get_404(mixed_srv):
	r = mex(mixed_srv, get("/" + "n" * 300 + ".txt"))
	assert_error_response(r, 404)


def test_special_files_never_hang(mixed_srv):
	"""A FIFO, a symlink loop and a dangling symlink in the docroot: a
	quick 403/404, never a hang; a listing of their directory works."""
	d = mixed_srv.root / "auto" / "special"
	d.mkdir(exist_ok=True)
	if not (d / "fifo").exists():
		os.mkfifo(d / "fifo")
	for name, target in (("loop", "loop"), ("dangling", "no-such-file")):
		if not os.path.lexists(d / name):
			os.symlink(target, d / name)
	for name in ("fifo", "loop", "dangling"):
		r = mex(mixed_srv, get("/auto/special/" + name))
		assert r.status in (403, 404), (name, r)
	r = mex(mixed_srv, get("/auto/special/"))
	assert r.status == 200 and b"fifo" in r.body
