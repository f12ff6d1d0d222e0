"""Edge cases seen from outside: an adversarial black-box pass over the
contract (../shared/CONTRACT.md) and RFC 9110 / 9112 / 3875 / 7578.

Each test states what the contract or the RFC requires; where either allows
several answers, all of them are accepted.  Areas: response framing that
could desynchronise a persistent connection (204/304/1xx, HEAD, CGI
lengths), conditional and range requests at their edges, error pages that
cannot be served, autoindex with hostile names, percent-encoded controls,
absolute-form targets, long names, upload names and collisions, symlinks,
huge numbers of chunks and oversized chunk metadata, CGI output oddities,
requests pipelined behind a running CGI, and SIGTERM in the middle of
uploads.
"""

import os
import re
import signal
import threading
import time
from urllib.parse import urlsplit, unquote, urljoin, quote

import pytest

import wsh
from wsh import req, get, chunked, assert_error_response

# One script, many behaviours (chosen by the query string).
EDGE_CGI = r'''
import os, sys, time
q = os.environ.get("QUERY_STRING", "")
out = sys.stdout.buffer
def emit(b):
    out.write(b)
    out.flush()
if q == "s100":
    emit(b"Status: 100 Continue\r\nContent-Type: text/plain\r\n\r\nhello")
elif q == "s101":
    emit(b"Status: 101 Switching Protocols\r\nContent-Type: text/plain\r\n\r\nhello")
elif q == "s204cl":
    emit(b"Status: 204 No Content\r\nContent-Length: 5\r\n\r\n")
elif q == "s204body":
    emit(b"Status: 204 No Content\r\nContent-Type: text/plain\r\n\r\nhello")
elif q == "s304":
    emit(b"Status: 304 Not Modified\r\nETag: \"x\"\r\n\r\n")
elif q == "hdronly":
    emit(b"Content-Type: text/plain\r\n\r\n")
elif q == "lf":
    emit(b"Content-Type: text/plain\nX-Lf: yes\n\nlf-body")
elif q == "mixed":
    emit(b"Content-Type: text/plain\r\nX-A: 1\nX-B: 2\r\n\nmixed-body")
elif q == "bighdr":
    emit(b"Content-Type: text/plain\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\nbody")
elif q == "over":
    emit(b"Content-Type: text/plain\r\nContent-Length: 5\r\n\r\n0123456789")
elif q == "under":
    emit(b"Content-Type: text/plain\r\nContent-Length: 50\r\n\r\n0123456789")
elif q == "slow":
    time.sleep(1)
    emit(b"Content-Type: text/plain\r\n\r\nslow-done")
elif q == "echo":
    data = sys.stdin.buffer.read()
    emit(b"Content-Type: application/octet-stream\r\n\r\n" + data)
elif q == "pi":
    emit(b"Content-Type: text/plain\r\n\r\n" + os.environ.get("PATH_INFO", "").encode("latin-1"))
else:
    emit(b"Content-Type: text/plain\r\n\r\nok")
'''

CONF = """
server {
    listen 127.0.0.1:{port};
    root {root};
    error_page 404 /errs/404.html;
    error_page 403 /errs/adir;
    error_page 405 /errs/405.html;
    location /auto { autoindex on; }
    location /idxdir { index sub; }
    location /dyn404 { error_page 404 /cgi/edge.py; }
    location /up {
        upload_store {tmp}/store;
        alias {tmp}/store;
        allow_methods GET POST PUT DELETE;
        client_max_body_size 0;
    }
    location /cgi/ {
        allow_methods GET HEAD POST;
        cgi .py /usr/bin/python3;
        client_max_body_size 0;
    }
    location = /r204 { return 204; }
    location = /r204t { return 204 "no body allowed"; }
    location = /r200t { return 200 "plain text"; }
}
"""

RANGE = b"0123456789"
AUTO_NAMES = ["a b.txt", "100%.txt", 'q"uote.txt', "q'single.txt", "\u00fc.txt",
              "<script>alert(1).txt", "a&b.txt", "hash#.txt", "q?.txt",
              "semi;colon.txt", "plus+sign.txt", "L" * 250]

FILES = {
	"index.html": b"<p>root</p>",
	"a.txt": b"alpha",
	"r.txt": RANGE,
	"empty.txt": b"",
	"errs/404.html": b"<p>custom 404</p>",
	"errs/405.html": b"<p>custom 405</p>",
	"errs/adir/inside.txt": b"a directory, not a page",
	"idxdir/sub/x.txt": b"x",
	"noidx/x.txt": b"x",
	"cgi/edge.py": EDGE_CGI,
	"outside-target/secret.txt": b"not for deleting",
}
for _n in AUTO_NAMES:
	FILES["auto/" + _n] = ("content of " + _n).encode()
FILES["auto/<i>d&/f.txt"] = b"in odd dir"


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, files=FILES, dirs=["store"])


def ex(srv, data, method="GET"):
	return wsh.exchange(srv.port, data, method)


def store(srv):
	return srv.tmp / "store"


def temp_files(srv):
	return [n for n in os.listdir(store(srv)) if n.startswith(".upload-")]


def etag_of(srv, path="/r.txt"):
	r = ex(srv, req("HEAD", path), "HEAD")
	assert r.status == 200 and r.header("ETag"), r
	return r.header("ETag")


def pipelined_then_get(srv, first, method="GET"):
	"""Sends `first` and a GET /a.txt in one write; returns both responses.
	The second one proves that the first was framed correctly."""
	with srv.conn() as c:
		c.send(first + get("/a.txt", headers={"Connection": "close"}))
		r1 = c.read_response(method)
		r2 = c.read_response()
	return r1, r2


def assert_second_ok(r2):
	assert r2.status == 200 and r2.body == b"alpha", (
		"the response after it was misread: %r %r" % (r2, r2.body[:80]))


# -- responses that must not have content ------------------------------------------

@pytest.mark.rfc("9110", "8.6", "MUST")
def test_return_204_has_no_content_length(srv):
	"""A server MUST NOT send Content-Length in a 204 (RFC 9110 8.6)."""
	r1, r2 = pipelined_then_get(srv, get("/r204"))
	assert r1.status == 204
	assert not r1.has("Content-Length"), r1.headers
	assert not r1.has("Transfer-Encoding"), r1.headers
	assert_second_ok(r2)


@pytest.mark.rfc("9112", "6.3", "MUST")
def test_return_204_with_text_sends_no_body(srv):
	"""A 204 ends at its empty line (RFC 9112 6.3 rule 1): any bytes after
	it are read as the start of the next response."""
	r1, r2 = pipelined_then_get(srv, get("/r204t"))
	assert r1.status == 204
	assert not r1.has("Content-Length"), r1.headers
	assert_second_ok(r2)


def test_return_text_head_has_length_no_body(srv):
	r1, r2 = pipelined_then_get(srv, req("HEAD", "/r200t"), "HEAD")
	assert r1.status == 200 and r1.header("Content-Length") == str(len("plain text"))
	assert r1.body == b""
	assert_second_ok(r2)


@pytest.mark.rfc("9110", "8.6", "MUST")
def test_cgi_status_204_no_content_length(srv):
	r1, r2 = pipelined_then_get(srv, get("/cgi/edge.py?s204cl"))
	assert r1.status == 204
	assert not r1.has("Content-Length"), r1.headers
	assert_second_ok(r2)


@pytest.mark.rfc("3875", "6.3", "MUST")
def test_cgi_status_204_body_dropped(srv):
	r1, r2 = pipelined_then_get(srv, get("/cgi/edge.py?s204body"))
	assert r1.status == 204
	assert not r1.has("Transfer-Encoding") and not r1.has("Content-Length"), r1.headers
	assert_second_ok(r2)


@pytest.mark.rfc("9110", "15.4.5", "MUST")
def test_cgi_status_304_no_body(srv):
	r1, r2 = pipelined_then_get(srv, get("/cgi/edge.py?s304"))
	assert r1.status == 304
	assert not r1.has("Transfer-Encoding"), r1.headers
	assert_second_ok(r2)


@pytest.mark.rfc("3875", "6.1", "MUST")
@pytest.mark.parametrize("q", ["s100", "s101"])
def test_cgi_status_1xx_is_not_a_final_response(srv, q):
	"""1xx responses are interim and have no content (RFC 9110 15.2); a
	script that asks for one has produced an invalid response: 502."""
	with srv.conn() as c:
		c.send(get("/cgi/edge.py?" + q) + get("/a.txt", headers={"Connection": "close"}))
		r1 = c.read_response()
		assert not (100 <= r1.status < 200), "CGI Status %d sent as a response" % r1.status
		assert r1.status == 502
		r2 = c.read_response()
	assert_second_ok(r2)


@pytest.mark.rfc("9112", "6.3", "MUST")
def test_error_after_head_on_same_connection_has_its_body(srv):
	with srv.conn() as c:
		c.send(req("HEAD", "/a.txt") + b"GET /a.txt HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
		r1 = c.read_response("HEAD")
		assert r1.status == 200
		r2 = c.read_response("GET")
	assert_error_response(r2, 400)


@pytest.mark.rfc("9112", "6.3", "MUST")
def test_408_after_head_on_same_connection_has_its_body(server):
	s = server("client_header_timeout 1s;\nserver { listen 127.0.0.1:{port}; root {root}; }",
	           files={"a.txt": b"alpha"})
	with s.conn() as c:
		c.send(req("HEAD", "/a.txt") + b"GET /a.txt HTTP/1.1\r\nHost: x\r\n")
		assert c.read_response("HEAD").status == 200
		r = c.read_response("GET", timeout=10)
	assert_error_response(r, 408)


@pytest.mark.rfc("9112", "6.3", "MUST")
def test_rejected_head_request_gets_no_content(srv):
	for bad in (b"HEAD /a.txt HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
	            b"HEAD /a.txt HTTP/1.1\r\nHost: x\r\nExpect: nothing\r\n\r\n"):
		with srv.conn() as c:
			c.send(bad)
			r = c.read_response("HEAD")
			assert r.status in (400, 417)
			closed, extra = c.wait_closed()
			assert extra == b"", "content after a response to HEAD: %r" % extra[:80]


# -- CGI output oddities --------------------------------------------------------------

@pytest.mark.rfc("3875", "6.3", "MUST")
def test_cgi_headers_only_http11_empty_chunked(srv):
	r1, r2 = pipelined_then_get(srv, get("/cgi/edge.py?hdronly"))
	assert r1.status == 200 and r1.body == b""
	assert r1.framing in ("chunked", "length"), r1.framing
	assert_second_ok(r2)


@pytest.mark.rfc("3875", "6.3", "MUST")
def test_cgi_headers_only_http10(srv):
	with srv.conn() as c:
		c.send(get("/cgi/edge.py?hdronly", version="HTTP/1.0"))
		r = c.read_response()
	assert r.status == 200 and r.body == b""
	assert r.framing in ("close", "length"), r.framing


@pytest.mark.rfc("3875", "6.3", "MUST")
@pytest.mark.parametrize("q,body,hdr", [("lf", b"lf-body", ("X-Lf", "yes")),
                                        ("mixed", b"mixed-body", ("X-B", "2"))])
def test_cgi_lf_line_ends(srv, q, body, hdr):
	"""RFC 3875 6.3: the script's header lines may end in LF (NL)."""
	r1, r2 = pipelined_then_get(srv, get("/cgi/edge.py?" + q))
	assert r1.status == 200 and r1.body == body
	assert r1.header(hdr[0]) == hdr[1]
	assert b"\n\n" not in r1.raw_head and b"\r\n\n" not in r1.raw_head
	assert_second_ok(r2)


def test_cgi_huge_header_line(srv):
	"""A 20 KB header line from a script: refused with 502 or passed on
	intact; either way correctly framed."""
	r1, r2 = pipelined_then_get(srv, get("/cgi/edge.py?bighdr"))
	if r1.status == 502:
		assert_error_response(r1, 502)
	else:
		assert r1.status == 200 and r1.header("X-Big") == "a" * 20000
		assert r1.body == b"body"
	assert_second_ok(r2)


@pytest.mark.rfc("9110", "8.6", "MUST")
def test_cgi_output_longer_than_its_content_length(srv):
	"""The response carries exactly the announced length; the extra
	bytes never reach the client as a next response."""
	r1, r2 = pipelined_then_get(srv, get("/cgi/edge.py?over"))
	assert r1.status == 200 and r1.header("Content-Length") == "5" and r1.body == b"01234"
	assert_second_ok(r2)


@pytest.mark.rfc("9112", "8", "MUST")
def test_cgi_output_shorter_than_its_content_length_closes(srv):
	with srv.conn() as c:
		c.send(get("/cgi/edge.py?under"))
		with pytest.raises(wsh.ConnectionClosed):
			c.read_response()


@pytest.mark.rfc("3875", "4.1.5", "MUST")
def test_cgi_path_info_with_encoded_slash(srv):
	"""PATH_INFO is decoded; the README documents %2F as a '/'."""
	r = ex(srv, get("/cgi/edge.py/a%2Fb/c%20d?pi"))
	assert r.status == 200 and r.body == b"/a/b/c d"


@pytest.mark.rfc("9112", "9.3.2", "MUST")
def test_next_request_sent_while_cgi_runs(srv):
	"""A pipelined request that arrives while a script is still working is
	answered after it, in order."""
	with srv.conn(timeout=10) as c:
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
def test_chunked_post_to_cgi_then_pipelined_get(srv):
	first = (req("POST", "/cgi/edge.py?echo", {"Transfer-Encoding": "chunked"})
	         + b"2;x=y\r\nab\r\n1\r\nc\r\n0\r\nT: v\r\n\r\n")
	r1, r2 = pipelined_then_get(srv, first)
	assert r1.status == 200 and r1.body == b"abc"
	assert_second_ok(r2)


# -- HEAD framing ----------------------------------------------------------------------

@pytest.mark.rfc("9110", "9.3.2", "MUST")
def test_head_everywhere_no_body_keepalive(srv):
	"""HEAD of every kind of response, pipelined: none carries a body
	(otherwise the following responses would be misread)."""
	targets = ["/auto/", "/cgi/edge.py", "/r200t", "/missing", "/noidx/", "/auto",
	           "/errs/adir/", "/r.txt"]
	with srv.conn() as c:
		c.send(b"".join(req("HEAD", t) for t in targets) + get("/a.txt"))
		rs = [c.read_response("HEAD") for _ in targets]
		last = c.read_response()
	for t, r in zip(targets, rs):
		assert r.body == b"", t
		assert r.has("Date") and r.has("Server"), t
	assert [r.status for r in rs] == [200, 200, 200, 404, 403, 301, 403, 200]
	assert_second_ok(last)


def test_head_length_matches_get(srv):
	for t in ["/auto/", "/missing", "/r.txt", "/r200t"]:
		g = ex(srv, get(t))
		h = ex(srv, req("HEAD", t), "HEAD")
		assert g.status == h.status, t
		assert h.header("Content-Length") in (None, str(len(g.body))), t


# -- conditional requests --------------------------------------------------------------

@pytest.mark.rfc("9110", "13.1.2", "MUST")
def test_if_none_match_split_over_two_field_lines(srv):
	"""Field lines with the same name form one list (RFC 9110 5.3); one
	of the listed tags matches, so the answer is 304."""
	et = etag_of(srv)
	r = ex(srv, req("GET", "/r.txt", [("If-None-Match", '"zzz"'), ("If-None-Match", et)]))
	assert r.status == 304


@pytest.mark.rfc("9110", "13.1.2", "MUST")
@pytest.mark.parametrize("fmt", ['%s', 'W/%s', '"a",%s', '"a" , W/%s ,"b"', ',,%s,'])
def test_if_none_match_list_forms(srv, fmt):
	et = etag_of(srv)
	r = ex(srv, req("GET", "/r.txt", {"If-None-Match": fmt % et}))
	assert r.status == 304 and r.body == b""
	assert r.header("ETag") == et


@pytest.mark.rfc("9110", "13.1.2", "MUST")
def test_if_none_match_unquoted_tag_does_not_match(srv):
	et = etag_of(srv)
	assert ex(srv, req("GET", "/r.txt", {"If-None-Match": et.strip('"')})).status == 200


@pytest.mark.rfc("9110", "13.1.2", "MUST")
def test_put_if_none_match_star_does_not_overwrite(srv):
	(store(srv) / "inm.txt").write_bytes(b"original")
	r = ex(srv, req("PUT", "/up/inm.txt", {"If-None-Match": "*", "Content-Length": "3"}, b"new"))
	assert r.status == 412, r
	assert (store(srv) / "inm.txt").read_bytes() == b"original"


def test_put_if_none_match_star_creates_a_new_file(srv):
	r = ex(srv, req("PUT", "/up/inm-new.txt", {"If-None-Match": "*", "Content-Length": "3"}, b"new"))
	assert r.status == 201
	assert (store(srv) / "inm-new.txt").read_bytes() == b"new"


@pytest.mark.rfc("9110", "13.1.1", "MUST")
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_if_match_mismatch_412(srv, method):
	(store(srv) / "im.txt").write_bytes(b"original")
	body = b"new" if method == "PUT" else b""
	r = ex(srv, req(method, "/up/im.txt", {"If-Match": '"no-such-tag"',
	                                       "Content-Length": str(len(body))}, body))
	assert r.status == 412, r
	assert (store(srv) / "im.txt").read_bytes() == b"original"


@pytest.mark.rfc("9110", "13.1.3", "MUST")
@pytest.mark.parametrize("value", ["yesterday", "Thu, 32 Jan 2099 00:00:00 GMT",
                                   "Thu, 01 Jan 2099 25:00:00 GMT", "",
                                   "Thu, 01 Jan 2099 00:00:00 GMT, Fri, 02 Jan 2099 00:00:00 GMT",
                                   "Thu, 01 Jan 2099 00:00:00 GMTjunk", "0", "-1",
                                   "99999999999999999999"])
def test_if_modified_since_malformed_ignored(srv, value):
	"""A value that is not one HTTP-date MUST be ignored: 200."""
	r = ex(srv, req("GET", "/r.txt", {"If-Modified-Since": value}))
	assert r.status == 200 and r.body == RANGE


def test_if_modified_since_in_the_future(srv):
	"""A date later than the server's clock cannot be one it sent: the
	field is ignored and the file served (200), cleanly."""
	r1, r2 = pipelined_then_get(srv, req("GET", "/r.txt",
	                                     {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}))
	assert r1.status == 200
	assert r1.body == RANGE
	assert_second_ok(r2)


@pytest.mark.rfc("9110", "13.1.2", "MUST")
def test_if_none_match_ignored_on_error(srv):
	"""Conditionals apply to the selected representation; a 404 stays a
	404 even with If-None-Match: * (RFC 9110 13.2.1)."""
	r = ex(srv, req("GET", "/nope.txt", {"If-None-Match": "*"}))
	assert r.status == 404


@pytest.mark.rfc("9110", "14.2", "MUST")
def test_if_range(srv):
	"""If-Range uses the strong comparison (RFC 9110 13.1.5): a weak tag
	never matches; a mismatch means the whole representation."""
	et = etag_of(srv)
	lm = ex(srv, req("HEAD", "/r.txt"), "HEAD").header("Last-Modified")
	rng = {"Range": "bytes=2-4"}
	r = ex(srv, req("GET", "/r.txt", dict(rng, **{"If-Range": et})))
	assert r.status == 206 and r.body == b"234"
	r = ex(srv, req("GET", "/r.txt", dict(rng, **{"If-Range": "W/" + et})))
	assert r.status == 200 and r.body == RANGE
	r = ex(srv, req("GET", "/r.txt", dict(rng, **{"If-Range": '"other"'})))
	assert r.status == 200 and r.body == RANGE
	r = ex(srv, req("GET", "/r.txt", dict(rng, **{"If-Range": lm})))
	assert r.status in (200, 206)
	assert r.body == (b"234" if r.status == 206 else RANGE)


# -- ranges ------------------------------------------------------------------------------

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
def test_range_satisfiable_edges(srv, spec, want):
	r = ex(srv, req("GET", "/r.txt", {"Range": spec}))
	if r.status == 200:  # a server MAY ignore Range (RFC 9110 14.2)
		assert r.body == RANGE
		return
	a, b = want
	assert r.status == 206, r
	assert r.header("Content-Range") == "bytes %d-%d/10" % (a, b)
	assert r.body == RANGE[a:b + 1]
	assert r.header("Content-Length") == str(b - a + 1)


@pytest.mark.rfc("9110", "15.5.17", "SHOULD")
@pytest.mark.parametrize("path,spec,size", [
	("/r.txt", "bytes=10-", 10),
	("/r.txt", "bytes=10-20", 10),
	("/r.txt", "bytes=-0", 10),
	("/empty.txt", "bytes=0-", 0),
	("/empty.txt", "bytes=-5", 0),
])
def test_range_unsatisfiable_edges(srv, path, spec, size):
	r1, r2 = pipelined_then_get(srv, req("GET", path, {"Range": spec}))
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
def test_range_invalid_or_huge_never_breaks(srv, spec):
	"""Invalid ranges are ignored (200) or refused (416); huge numbers
	never overflow into a wrong slice."""
	r1, r2 = pipelined_then_get(srv, req("GET", "/r.txt", {"Range": spec}))
	assert r1.status in (200, 206, 416), r1
	if r1.status == 200:
		assert r1.body == RANGE
	if r1.status == 206:
		assert spec == "bytes=0-99999999999999999999999"
		assert r1.body == RANGE and r1.header("Content-Range") == "bytes 0-9/10"
	assert_second_ok(r2)


# -- error pages and index -------------------------------------------------------------

def test_error_page_that_is_a_directory_falls_back(srv):
	"""error_page 403 names a directory: the built-in 403 page is sent,
	with the original status."""
	r = ex(srv, get("/noidx/"))
	assert_error_response(r, 403)
	assert b"a directory, not a page" not in r.body


def test_error_page_naming_a_script_never_shows_its_source(srv):
	"""`error_page 404 /cgi/edge.py;`: the script runs (nginx does an
	internal redirect) or the built-in page is sent; its source never is."""
	r = ex(srv, get("/dyn404/missing"))
	assert r.status == 404
	assert b"QUERY_STRING" not in r.body, "CGI source disclosed: %r" % r.body[:80]


@pytest.mark.rfc("9110", "15.5.6", "MUST")
def test_custom_405_page_keeps_the_targets_allow(srv):
	r = ex(srv, req("PATCH", "/up/x.txt"))
	assert r.status == 405 and r.body == b"<p>custom 405</p>"
	allow = {m.strip() for m in r.header("Allow", "").split(",")}
	assert {"GET", "PUT", "DELETE"} <= allow, r.header("Allow")


@pytest.mark.rfc("9110", "15.5.6", "MUST")
def test_custom_405_page_allow_present(srv):
	r = ex(srv, req("DELETE", "/a.txt"))
	assert r.status == 405 and r.body == b"<p>custom 405</p>"
	assert r.has("Allow")


def test_index_that_is_a_directory_is_not_served(srv):
	"""`index sub;` where sub is a directory: not an index file, so with
	autoindex off the answer is 403 (never a listing of sub)."""
	r = ex(srv, get("/idxdir/"))
	assert r.status == 403
	assert b"x.txt" not in r.body


# -- autoindex with odd names ------------------------------------------------------------

def _hrefs(body):
	return re.findall(r'href\s*=\s*"([^"]*)"', body) + re.findall(r"href\s*=\s*'([^']*)'", body)


def _unescape(h):
	return (h.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
	        .replace("&#39;", "'").replace("&#x27;", "'").replace("&amp;", "&"))


def test_autoindex_odd_names_escaped_and_linked(srv):
	r = ex(srv, get("/auto/"))
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
		g = ex(srv, get(found[want]))
		assert g.status == 200 and g.body == ("content of " + name).encode(), name


def test_autoindex_many_long_names_needing_escapes(srv):
	d = srv.root / "auto" / "quotes"
	d.mkdir(exist_ok=True)
	for i in range(80):
		(d / ('"' * 245 + "%05d.txt" % i)).write_bytes(b"q")
	r = ex(srv, get("/auto/quotes/"))
	assert r.status == 200
	assert r.body.count(b"%05d.txt" % 79) >= 1


def test_autoindex_odd_directory_name_in_title_escaped(srv):
	r = ex(srv, get("/auto/%3Ci%3Ed%26/"))
	assert r.status == 200
	assert b"<i>" not in r.body
	assert b"f.txt" in r.body


# -- paths ---------------------------------------------------------------------------------

@pytest.mark.rfc("9110", "5.5", "MUST")
@pytest.mark.parametrize("path", ["/a.txt%0d%0aX-Injected:%20yes", "/a%0a.txt", "/a%0D.txt",
                                  "/%00", "/a.txt%00.html", "/up/x%0d%0aSet-Cookie:%20a=b",
                                  "/auto/%7f"])
def test_percent_encoded_controls_refused(srv, path):
	for method in ("GET", "PUT"):
		headers = {"Content-Length": "1"} if method == "PUT" else None
		r = ex(srv, req(method, path, headers, b"z" if method == "PUT" else b""))
		assert r.status in (400, 404, 405), (method, path, r)
		assert not r.has("X-Injected") and not r.has("Set-Cookie")
	assert not any("\r" in n or "\n" in n or "Set-Cookie" in n for n in os.listdir(store(srv)))


@pytest.mark.rfc("9112", "3.2.2", "MUST")
@pytest.mark.parametrize("target,body", [
	("http://other.example/a.txt", b"alpha"),
	("http://other.example:8080/a.txt?q=1", b"alpha"),
	("HTTP://OTHER.EXAMPLE/a.txt", b"alpha"),
	("http://user@other.example/a.txt", b"alpha"),
	("http://other.example", b"<p>root</p>"),
	("http://other.example/%2e%2e/a.txt", None),
])
def test_absolute_form_other_host(srv, target, body):
	"""An origin server answers an absolute-form target from its own
	files whatever host it names (the default server): never as a proxy."""
	r = ex(srv, req("GET", target, host="localhost"))
	if body is None:
		assert r.status in (400, 403, 404)
	else:
		assert r.status == 200 and r.body == body


@pytest.mark.rfc("9110", "9.3.7", "SHOULD")
def test_options_asterisk(srv):
	"""OPTIONS * is answered for the server: 204 with Allow, OPTIONS in it."""
	r = ex(srv, req("OPTIONS", "*"))
	assert r.status == 204, r
	assert "OPTIONS" in {m.strip() for m in r.header("Allow", "").split(",")}


def test_asterisk_form_with_other_method_400(srv):
	assert ex(srv, get("*")).status == 400


def test_very_long_name_get_404(srv):
	r = ex(srv, get("/" + "n" * 300 + ".txt"))
	assert_error_response(r, 404)


def test_put_very_long_name_is_a_client_error(srv):
	r = ex(srv, req("PUT", "/up/" + "n" * 300, {"Content-Length": "3"}, b"abc"))
	assert 400 <= r.status < 500, r
	assert temp_files(srv) == []


def test_post_collision_on_longest_name(srv):
	name = "m" * 251 + ".txt"
	r1 = ex(srv, req("POST", "/up/" + name, {"Content-Length": "3"}, b"one"))
	assert r1.status == 201
	r2 = ex(srv, req("POST", "/up/" + name, {"Content-Length": "3"}, b"two"))
	assert r2.status in (201, 409), r2
	assert (store(srv) / name).read_bytes() == b"one"
	assert temp_files(srv) == []


# -- uploads -----------------------------------------------------------------------------

@pytest.mark.rfc("9110", "10.2.2", "MUST")
@pytest.mark.parametrize("name", ["sp ace.txt", "\u00fcml\u00e4ut.txt", "q?x.txt", "h#sh.txt",
                                  "pct%.txt"])
def test_put_odd_name_location_is_a_uri(srv, name):
	enc = quote(name, safe="")
	r = ex(srv, req("PUT", "/up/" + enc, {"Content-Length": "4"}, b"data"))
	assert r.status == 201
	assert (store(srv) / name).read_bytes() == b"data"
	loc = r.header("Location")
	assert loc and re.match(r"^[!#$%&'()*+,\-./0-9:;=?@A-Z_a-z~\[\]]+$", loc), loc
	g = ex(srv, get(urlsplit(urljoin("/up/", loc)).path))
	assert g.status == 200 and g.body == b"data", loc


@pytest.mark.parametrize("name", ["sp ace2.txt", "\u00fcml\u00e4ut2.txt", "pct2%.txt"])
def test_put_odd_name_stored_and_served(srv, name):
	enc = quote(name, safe="")
	r = ex(srv, req("PUT", "/up/" + enc, {"Content-Length": "4"}, b"data"))
	assert r.status == 201
	assert (store(srv) / name).read_bytes() == b"data"
	assert ex(srv, get("/up/" + enc)).body == b"data"
	r = ex(srv, req("PUT", "/up/" + enc, {"Content-Length": "5"}, b"data2"))
	assert r.status == 204 and not r.has("Content-Length")
	assert ex(srv, req("DELETE", "/up/" + enc)).status == 204
	assert not (store(srv) / name).exists()


@pytest.mark.rfc("9110", "10.2.2", "MUST")
@pytest.mark.parametrize("subdir_exists", [True, False])
def test_raw_post_in_subpath_location_names_the_stored_file(srv, subdir_exists):
	sub = "sub1" if subdir_exists else "nosuchdir"
	if subdir_exists:
		(store(srv) / sub).mkdir(exist_ok=True)
	r = ex(srv, req("POST", "/up/%s/deep-%s.txt" % (sub, sub), {"Content-Length": "4"}, b"deep"))
	assert r.status == 201
	loc = r.header("Location")
	g = ex(srv, get(urlsplit(urljoin("/up/%s/" % sub, loc)).path))
	assert g.status == 200 and g.body == b"deep", loc


@pytest.mark.parametrize("target", ["/up/", "/up", "/up/.", "/up/sub/..", "/up//"])
def test_delete_upload_store_root_refused(srv, target):
	r = ex(srv, req("DELETE", target))
	assert r.status in (403, 405, 409), (target, r)
	assert store(srv).is_dir()


def test_same_name_posts_concurrently_never_clobber(srv):
	n = 24
	datas = [(b"%03d" % i) * 3000 for i in range(n)]
	res = [None] * n
	bar = threading.Barrier(n)

	def one(i):
		bar.wait()
		try:
			res[i] = ex(srv, req("POST", "/up/same.bin", {"Content-Length": len(datas[i])},
			                     datas[i]))
		except Exception as e:  # noqa: BLE001 - reported below
			res[i] = e

	ths = [threading.Thread(target=one, args=(i,)) for i in range(n)]
	for t in ths:
		t.start()
	for t in ths:
		t.join(wsh.T(30))
	assert all(isinstance(r, wsh.Response) and r.status == 201 for r in res), res
	locs = {r.header("Location") for r in res}
	assert len(locs) == n, locs
	stored = sorted(p for p in os.listdir(store(srv)) if p.startswith("same"))
	assert len(stored) == n, stored
	contents = sorted((store(srv) / p).read_bytes() for p in stored)
	assert contents == sorted(datas)
	assert temp_files(srv) == []


def test_symlink_writes_never_go_through(srv):
	"""A symlink in the store that points outside: DELETE removes the
	link, PUT replaces it; the outside file is never touched.  (Reads
	follow symlinks the operator placed, like nginx's default; the
	contract's "never outside the root" holds for what a request can
	name.)"""
	target = srv.root / "outside-target" / "secret.txt"
	for name in ("ln-del", "ln-put"):
		p = store(srv) / name
		if p.is_symlink() or p.exists():
			p.unlink()
		os.symlink(target, p)
	assert ex(srv, req("DELETE", "/up/ln-del")).status == 204
	assert not os.path.lexists(store(srv) / "ln-del")
	r = ex(srv, req("PUT", "/up/ln-put", {"Content-Length": "3"}, b"new"))
	assert r.status in (201, 204)
	assert not (store(srv) / "ln-put").is_symlink()
	assert (store(srv) / "ln-put").read_bytes() == b"new"
	assert target.read_bytes() == b"not for deleting"


def test_special_files_never_hang(srv):
	"""A FIFO, a symlink loop and a dangling symlink in the docroot: a
	quick 403/404, never a hang; a listing of their directory works."""
	d = srv.root / "auto" / "special"
	d.mkdir(exist_ok=True)
	if not (d / "fifo").exists():
		os.mkfifo(d / "fifo")
	for name, target in (("loop", "loop"), ("dangling", "no-such-file")):
		if not os.path.lexists(d / name):
			os.symlink(target, d / name)
	for name in ("fifo", "loop", "dangling"):
		r = ex(srv, get("/auto/special/" + name))
		assert r.status in (403, 404), (name, r)
	r = ex(srv, get("/auto/special/"))
	assert r.status == 200 and b"fifo" in r.body


# -- chunked metadata --------------------------------------------------------------------

@pytest.mark.rfc("9112", "7.1", "MUST")
def test_huge_number_of_tiny_chunks(srv):
	n = 20000 if wsh.ASAN else 100000
	body = b"".join(b"1\r\n%c\r\n" % (65 + i % 26) for i in range(n)) + b"0\r\n\r\n"
	want = bytes(65 + i % 26 for i in range(n))
	with srv.conn(timeout=60) as c:
		c.send(req("PUT", "/up/tiny.bin", {"Transfer-Encoding": "chunked"}) + body
		       + get("/a.txt"))
		r1 = c.read_response(timeout=60)
		r2 = c.read_response()
	assert r1.status in (201, 204)
	assert_second_ok(r2)
	assert (store(srv) / "tiny.bin").read_bytes() == want


@pytest.mark.rfc("9112", "7.1.1", "MUST")
def test_many_small_chunk_extensions_ignored(srv):
	parts = [b"%x;name%d=\"v;a,l\";flag\r\n%s\r\n" % (3, i, b"xyz") for i in range(2000)]
	with srv.conn() as c:
		c.send(req("PUT", "/up/ext.bin", {"Transfer-Encoding": "chunked"}) + b"".join(parts)
		       + b"0;last=1\r\n\r\n" + get("/a.txt"))
		r1 = c.read_response()
		r2 = c.read_response()
	assert r1.status in (201, 204)
	assert_second_ok(r2)
	assert (store(srv) / "ext.bin").read_bytes() == b"xyz" * 2000


@pytest.mark.rfc("9112", "7.1.1", "MUST")
@pytest.mark.parametrize("what", ["ext", "trailer", "trailers"])
def test_oversized_chunk_metadata_4xx_and_nothing_stored(srv, what):
	"""A server limits chunk extensions and trailers and answers 4xx when
	they are exceeded (RFC 9112 7.1.1); nothing is stored."""
	name = "meta-%s.bin" % what
	if what == "ext":
		body = b"3;" + b"e" * 100000 + b"\r\nabc\r\n0\r\n\r\n"
	elif what == "trailer":
		body = b"3\r\nabc\r\n0\r\nX-T: " + b"v" * 100000 + b"\r\n\r\n"
	else:
		body = b"3\r\nabc\r\n0\r\n" + b"".join(b"X-T%d: v\r\n" % i for i in range(20000)) + b"\r\n"
	with srv.conn() as c:
		c.send(req("PUT", "/up/" + name, {"Transfer-Encoding": "chunked"}) + body)
		r = c.read_response()
		assert 400 <= r.status < 500 and r.status != 404, r
		assert c.is_closed()
	assert not (store(srv) / name).exists()
	assert temp_files(srv) == []


# -- pipelining with bodies and errors ---------------------------------------------------

@pytest.mark.rfc("9112", "9.3.2", "MUST")
def test_pipelined_bodies_mixed_framing(srv):
	b1, b2 = b"first-body", b"second"
	data = (req("PUT", "/up/pipe1.txt", {"Content-Length": len(b1)}, b1)
	        + req("PUT", "/up/pipe2.txt", {"Transfer-Encoding": "chunked"}) + chunked(b"sec", b"ond")
	        + get("/up/pipe1.txt")
	        + req("POST", "/cgi/edge.py?echo", {"Content-Length": 3}, b"xyz")
	        + req("DELETE", "/up/pipe1.txt", {"Content-Length": 2}, b"zz")
	        + get("/up/pipe2.txt")
	        + get("/up/pipe1.txt"))
	with srv.conn() as c:
		c.send(data)
		rs = c.read_responses(7)
	assert [r.status for r in rs] == [201, 201, 200, 200, 204, 200, 404], rs
	assert rs[2].body == b1 and rs[3].body == b"xyz" and rs[5].body == b2


@pytest.mark.rfc("9112", "9.3.2", "MUST")
@pytest.mark.parametrize("first", [
	req("POST", "/a.txt", {"Content-Length": 5}, b"GET /"),
	req("PATCH", "/a.txt", {"Transfer-Encoding": "chunked"}) + chunked(b"GET /r.txt HTTP/1.1\r\n\r\n"),
	req("FOO", "/a.txt", {"Content-Length": 5}, b"abcde"),
	req("PUT", "/up/", {"Content-Length": 4}, b"GET "),
])
def test_error_with_body_then_pipelined(srv, first):
	"""An error answered before the body was read: the connection either
	closes or goes on with the right next request; the body is never
	taken for a request."""
	with srv.conn() as c:
		c.send(first + get("/a.txt"))
		r1 = c.read_response()
		assert 400 <= r1.status < 600
		try:
			r2 = c.read_response(timeout=3)
		except wsh.ConnectionClosed:
			assert "close" in r1.connection_tokens(), r1.headers
			return
	assert_second_ok(r2)


@pytest.mark.rfc("9110", "10.1.1", "MUST")
def test_expect_100_http10_body_sent_anyway(srv):
	"""HTTP/1.0 + Expect: 100-continue is ignored: no interim response,
	the body that follows is read normally."""
	with srv.conn() as c:
		c.send(b"PUT /up/e10.txt HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc")
		r = c.read_response()
	assert r.status == 201
	assert (store(srv) / "e10.txt").read_bytes() == b"abc"


@pytest.mark.rfc("9110", "6.6.1", "MUST")
def test_dates_and_servers_on_odd_responses(srv):
	et = etag_of(srv)
	reqs = [req("GET", "/r.txt", {"If-None-Match": et}),
	        req("GET", "/r.txt", {"Range": "bytes=1-2"}),
	        req("GET", "/r.txt", {"Range": "bytes=50-"}),
	        req("PUT", "/up/dates.txt", {"Content-Length": 1}, b"d"),
	        req("DELETE", "/up/dates.txt"),
	        get("/cgi/edge.py"), get("/cgi/edge.py?s304"), get("/auto"),
	        req("PATCH", "/a.txt"), req("BREW", "/a.txt")]
	for q in reqs:
		r = ex(srv, q)
		assert r.has("Date") and wsh.parse_imf_date(r.header("Date")), q
		assert r.has("Server"), q


# -- SIGTERM in the middle of uploads ----------------------------------------------------

SIG_CONF = """
server {
    listen 127.0.0.1:{port};
    root {root};
    location /up {
        upload_store {tmp}/store;
        alias {tmp}/store;
        allow_methods GET POST PUT;
        client_max_body_size 0;
    }
}
"""


def _stop(srv):
	t0 = time.monotonic()
	problems = srv.stop(signal.SIGTERM)
	assert not problems, "\n".join(problems)
	assert time.monotonic() - t0 < wsh.T(5) + 1


def test_sigterm_during_multipart_after_first_file(server):
	"""The first file of a multipart POST is complete, the second is half
	sent: SIGTERM.  Exit 0 in time, and nothing of the request stays."""
	srv = server(SIG_CONF, dirs=["store"])
	b = b"XyZbOuNdArY"
	head = (b"--" + b + b"\r\nContent-Disposition: form-data; name=\"a\"; filename=\"one.txt\"\r\n\r\n"
	        + b"1" * 5000 + b"\r\n--" + b
	        + b"\r\nContent-Disposition: form-data; name=\"b\"; filename=\"two.txt\"\r\n\r\n"
	        + b"2" * 70000)
	c = srv.conn()
	try:
		c.send(req("POST", "/up/", {"Content-Type": "multipart/form-data; boundary=" + b.decode(),
		                            "Content-Length": len(head) + 1000000}, head))
		time.sleep(wsh.T(0.5))
		_stop(srv)
	finally:
		c.close()
	assert os.listdir(srv.tmp / "store") == []


def test_sigterm_during_put_replacing_a_file(server):
	srv = server(SIG_CONF, dirs=["store"])
	(srv.tmp / "store" / "keep.txt").write_bytes(b"old content")
	c = srv.conn()
	try:
		c.send(req("PUT", "/up/keep.txt", {"Transfer-Encoding": "chunked"})
		       + b"10000\r\n" + b"n" * 40000)
		time.sleep(wsh.T(0.5))
		_stop(srv)
	finally:
		c.close()
	assert os.listdir(srv.tmp / "store") == ["keep.txt"]
	assert (srv.tmp / "store" / "keep.txt").read_bytes() == b"old content"


def test_zz_still_serving(srv):
	assert ex(srv, get("/a.txt")).body == b"alpha"
	assert temp_files(srv) == []
