"""Message framing: Content-Length, Transfer-Encoding: chunked, request
smuggling defences (RFC 9112 section 6), body size limits (413)."""

import os
import uuid

import pytest

import wsh
from mixed import mixed_temp_files, assert_second_ok
from wsh import req, get, chunked, assert_error_response

CONF = """
server {
    listen 127.0.0.1:{port};
    root {root};
    location /up {
        allow_methods GET HEAD POST PUT DELETE;
        upload_store {tmp}/store;
        alias {tmp}/store;
    }
    location /small {
        allow_methods GET POST;
        upload_store {tmp}/small;
        alias {tmp}/small;
        client_max_body_size 10;
    }
    location /nolimit {
        allow_methods GET POST;
        upload_store {tmp}/big;
        alias {tmp}/big;
        client_max_body_size 0;
    }
    location /deflimit {
        allow_methods GET POST;
        upload_store {tmp}/def;
        alias {tmp}/def;
    }
}
"""

FILES = {"a.txt": b"alpha", "b.txt": b"beta"}
STORED_OK = (200, 201, 204)


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, files=FILES, dirs=["store", "small", "big", "def"])


def uname(ext=".txt"):
	return "f-" + uuid.uuid4().hex[:12] + ext


def stored(srv, store, name):
	"""Contents of the file stored for `name` (the exact name, or a unique
	variant of it when the server renames)."""
	d = srv.tmp / store
	p = d / name
	if p.exists():
		return p.read_bytes()
	stem = name.rsplit(".", 1)[0]
	cands = [f for f in os.listdir(d) if stem in f]
	assert len(cands) == 1, "no stored file for %s in %s: %r" % (name, d, os.listdir(d))
	return (d / cands[0]).read_bytes()


def no_file_like(srv, store, name):
	stem = name.rsplit(".", 1)[0]
	return [f for f in os.listdir(srv.tmp / store) if stem in f] == []


def pipelined_then_beta(c, first_status=None):
	"""After a first response, the pipelined GET /b.txt must be answered
	correctly (or the connection closed, never a desynchronised reply)."""
	try:
		r2 = c.read_response()
	except wsh.ConnectionClosed:
		return None
	assert r2.status == 200 and r2.body == b"beta", "desync: %r %r" % (r2, r2.body[:100])
	return r2


def bad_request_and_close(srv, data, code=400):
	"""data gets `code` and the connection is closed; nothing else follows
	(a smuggled request in the same bytes is never answered)."""
	with srv.conn() as c:
		c.send(data)
		r = c.read_response()
		assert_error_response(r, code)
		wsh.assert_closed_after(c, "after a %d" % code)
		return r


# -- Content-Length -----------------------------------------------------------

@pytest.mark.rfc("9112", "6.3", "MUST")
def test_cl_body_on_get_is_framed(srv):
	with srv.conn() as c:
		c.send(req("GET", "/a.txt", {"Content-Length": "5"}, b"hello") + get("/b.txt"))
		r1, r2 = c.read_responses(2)
		assert (r1.status, r1.body) == (200, b"alpha")
		assert (r2.status, r2.body) == (200, b"beta")


@pytest.mark.rfc("9112", "6.3", "MUST")
def test_no_cl_no_te_means_no_body(srv):
	"""A request with neither header has no body: what follows is the next
	request."""
	with srv.conn() as c:
		c.send(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n" + get("/b.txt"))
		r1, r2 = c.read_responses(2)
		assert r1.body == b"alpha" and r2.body == b"beta"


@pytest.mark.rfc("9112", "6.3", "MUST")
def test_post_without_length_has_no_body(srv):
	with srv.conn() as c:
		c.send(b"POST /a.txt HTTP/1.1\r\nHost: x\r\n\r\n" + get("/b.txt"))
		r1 = c.read_response()
		assert r1.status == 405
		pipelined_then_beta(c)


def test_post_cl_stored(srv):
	name = uname()
	body = b"content-length body \x00\x01\xff"
	with srv.conn() as c:
		c.send(req("POST", "/up/" + name, {"Content-Length": str(len(body)),
		                                   "Content-Type": "application/octet-stream"}, body))
		r = c.read_response()
	assert r.status in STORED_OK, r
	assert stored(srv, "store", name) == body


def test_cl_body_split_in_many_writes(srv):
	name = uname()
	body = bytes(range(256)) * 2
	with srv.conn() as c:
		data = req("POST", "/up/" + name, {"Content-Length": str(len(body))}, body)
		c.send_slowly(data, chunk=7, delay=0.001)
		r = c.read_response()
	assert r.status in STORED_OK, r
	assert stored(srv, "store", name) == body


def test_cl_zero(srv):
	with srv.conn() as c:
		c.send(req("GET", "/a.txt", {"Content-Length": "0"}) + get("/b.txt"))
		r1, r2 = c.read_responses(2)
		assert r1.body == b"alpha" and r2.body == b"beta"


@pytest.mark.rfc("9112", "6.3", "MUST")
@pytest.mark.parametrize("value", ["-1", "abc", "5a", "0x5", "+5", "", "5 5", "5.0", "1e3",
                                   "-0"])
def test_invalid_content_length_400_close(srv, value):
	data = (b"POST /up/x.txt HTTP/1.1\r\nHost: x\r\nContent-Length: " + value.encode()
	        + b"\r\n\r\nhello" + get("/b.txt"))
	bad_request_and_close(srv, data)


@pytest.mark.rfc("9112", "6.3", "MUST")
@pytest.mark.parametrize("lines", [
	["Content-Length: 5", "Content-Length: 6"],
	["Content-Length: 5, 6"],
	["Content-Length: 6", "Content-Length: 5"],
	["Content-Length: 5", "Content-Length: 5, 7"],
])
def test_conflicting_content_length_400_close(srv, lines):
	data = ("POST /up/x.txt HTTP/1.1\r\nHost: x\r\n" + "".join(l + "\r\n" for l in lines)
	        + "\r\nhello!").encode() + get("/b.txt")
	bad_request_and_close(srv, data)


@pytest.mark.rfc("9112", "6.3", "MAY")
@pytest.mark.parametrize("lines", [["Content-Length: 5", "Content-Length: 5"],
                                   ["Content-Length: 5, 5"]])
def test_duplicate_equal_content_length_no_desync(srv, lines):
	"""Either rejected (400 + close) or taken as one length: never a desync."""
	data = ("GET /a.txt HTTP/1.1\r\nHost: x\r\n" + "".join(l + "\r\n" for l in lines)
	        + "\r\nhello").encode() + get("/b.txt")
	with srv.conn() as c:
		c.send(data)
		r = c.read_response()
		if r.status == 400:
			assert_error_response(r, 400)
			wsh.assert_closed_after(c, "after a 400")
		else:
			assert (r.status, r.body) == (200, b"alpha")
			pipelined_then_beta(c)


def test_huge_content_length(srv):
	with srv.conn() as c:
		c.send(b"POST /up/x.txt HTTP/1.1\r\nHost: x\r\n"
		       b"Content-Length: 99999999999999999999999999999\r\n\r\nhello")
		r = c.read_response()
		assert r.status in (400, 413), r
		assert r.content_type == "text/html"
		assert c.is_closed()


# -- both headers, Transfer-Encoding ------------------------------------------

@pytest.mark.rfc("9112", "6.1", "MUST")
@pytest.mark.parametrize("order", ["cl_first", "te_first"])
def test_cl_and_te_400_close(srv, order):
	hs = ["Content-Length: 4", "Transfer-Encoding: chunked"]
	if order == "te_first":
		hs.reverse()
	data = ("POST /up/x.txt HTTP/1.1\r\nHost: x\r\n" + "".join(h + "\r\n" for h in hs)
	        + "\r\n0\r\n\r\n").encode() + get("/b.txt")
	bad_request_and_close(srv, data)


@pytest.mark.rfc("9112", "6.1", "MUST")
def test_cl_te_smuggled_request_never_answered(srv):
	smuggled = b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"
	body = b"0\r\n\r\n" + smuggled
	data = (b"POST /up/x.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	        b"Content-Length: %d\r\n\r\n" % len(body)) + body
	with srv.conn() as c:
		c.send(data)
		r = c.read_response()
		assert r.status == 400
		closed, extra = c.wait_closed()
		assert closed and b"alpha" not in extra and extra == b""


@pytest.mark.rfc("9112", "6.1", "MUST")
def test_chunked_in_http10_400_close(srv):
	data = (b"POST /up/x.txt HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
	        + chunked(b"hello"))
	bad_request_and_close(srv, data)


@pytest.mark.rfc("9112", "6.1", "MUST")
def test_chunked_in_http10_get_400_close(srv):
	data = b"GET /a.txt HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
	bad_request_and_close(srv, data)


@pytest.mark.rfc("9112", "6.3", "MUST")
@pytest.mark.parametrize("te", ["chunked, gzip", "gzip", "identity", "foo", "chunked, identity",
                                "deflate"])
def test_te_last_not_chunked_400_close(srv, te):
	data = ("POST /up/x.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: %s\r\n\r\n" % te
	        ).encode() + chunked(b"hello") + get("/b.txt")
	bad_request_and_close(srv, data)


@pytest.mark.rfc("9112", "6.3", "MUST")
def test_te_last_not_chunked_on_get_400_close(srv):
	data = b"GET /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nxxxx" + get("/b.txt")
	bad_request_and_close(srv, data)


@pytest.mark.rfc("9112", "6.1", "SHOULD")
@pytest.mark.parametrize("lines", [["Transfer-Encoding: gzip, chunked"],
                                   ["Transfer-Encoding: gzip", "Transfer-Encoding: chunked"],
                                   ["Transfer-Encoding: x-custom, chunked"]])
def test_unknown_coding_before_chunked_501(srv, lines):
	data = ("POST /up/x.txt HTTP/1.1\r\nHost: x\r\n" + "".join(l + "\r\n" for l in lines)
	        + "\r\n").encode() + chunked(b"hello")
	with srv.conn() as c:
		c.send(data)
		r = c.read_response()
		assert_error_response(r, 501)


@pytest.mark.rfc("9112", "6.1", "MUST")
def test_chunked_twice(srv):
	data = (b"POST /up/x.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"
	        + chunked(b"hello") + get("/b.txt"))
	with srv.conn() as c:
		c.send(data)
		r = c.read_response()
		assert r.status in (400, 501), r
		if r.status == 400:
			wsh.assert_closed_after(c, "after a 400")


@pytest.mark.rfc("9112", "7", "MUST")
@pytest.mark.parametrize("te", ["Chunked", "CHUNKED", " chunked ", "chunked\t"])
def test_te_chunked_case_and_whitespace(srv, te):
	with srv.conn() as c:
		c.send(("GET /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:%s\r\n\r\n" % te).encode()
		       + chunked(b"hello") + get("/b.txt"))
		r1, r2 = c.read_responses(2)
		assert (r1.status, r1.body) == (200, b"alpha")
		assert (r2.status, r2.body) == (200, b"beta")


# -- chunked bodies --------------------------------------------------------------

@pytest.mark.rfc("9112", "7.1", "MUST")
def test_chunked_body_on_get_is_framed(srv):
	with srv.conn() as c:
		c.send(req("GET", "/a.txt", {"Transfer-Encoding": "chunked"}, chunked(b"hel", b"lo"))
		       + get("/b.txt"))
		r1, r2 = c.read_responses(2)
		assert r1.body == b"alpha" and r2.body == b"beta"


@pytest.mark.rfc("9112", "7.1.1", "MUST")
def test_chunk_extensions_and_trailers_framed(srv):
	body = (b"5;name=value;flag\r\nhello\r\n"
	        b"6 ; quoted=\"a;b\\\"c\"\r\n world\r\n"
	        b"0;last=1\r\n"
	        b"X-Trailer: one\r\nX-Other: two\r\n\r\n")
	with srv.conn() as c:
		c.send(req("GET", "/a.txt", {"Transfer-Encoding": "chunked"}, body) + get("/b.txt"))
		r1, r2 = c.read_responses(2)
		assert r1.body == b"alpha" and r2.body == b"beta"


@pytest.mark.rfc("9112", "7.1", "MUST")
def test_chunked_post_stored_dechunked(srv):
	name = uname()
	body = (b"A\r\n0123456789\r\n"          # upper-case hex
	        b"0005;ext=1\r\nabcde\r\n"       # leading zeros, extension
	        b"1;a=\"q\"\r\n!\r\n"
	        b"0\r\nX-Sum: 16\r\n\r\n")
	with srv.conn() as c:
		c.send(req("POST", "/up/" + name, {"Transfer-Encoding": "chunked"}, body))
		r = c.read_response()
	assert r.status in STORED_OK, r
	assert stored(srv, "store", name) == b"0123456789abcde!"


def test_chunked_body_byte_by_byte(srv):
	name = uname()
	data = req("POST", "/up/" + name, {"Transfer-Encoding": "chunked"},
	           chunked(b"first-", b"second-", b"third"))
	with srv.conn() as c:
		c.send_slowly(data, chunk=1, delay=0.001)
		r = c.read_response()
	assert r.status in STORED_OK, r
	assert stored(srv, "store", name) == b"first-second-third"


def test_chunked_then_pipelined_get(srv):
	name = uname()
	with srv.conn() as c:
		c.send(req("POST", "/up/" + name, {"Transfer-Encoding": "chunked"},
		           chunked(b"pipelined")) + get("/b.txt"))
		r1 = c.read_response()
		assert r1.status in STORED_OK
		r2 = c.read_response()
		assert r2.body == b"beta"
	assert stored(srv, "store", name) == b"pipelined"


def test_chunked_large(srv):
	name = uname(".bin")
	parts = [os.urandom(n) for n in (1, 4096, 65536, 100000, 3)]
	with srv.conn() as c:
		c.send(req("POST", "/up/" + name, {"Transfer-Encoding": "chunked"}, chunked(*parts)))
		r = c.read_response(timeout=20)
	assert r.status in STORED_OK
	assert stored(srv, "store", name) == b"".join(parts)


@pytest.mark.rfc("9112", "7.1", "MUST")
@pytest.mark.parametrize("size_line", [b"zz", b"-5", b"0x5", b"", b"5 5", b"g",
                                       b"ffffffffffffffffffffffffffffffff"])
def test_bad_chunk_size_400_close(srv, size_line):
	data = (b"POST /up/x.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	        + size_line + b"\r\nhello\r\n0\r\n\r\n" + get("/b.txt"))
	with srv.conn() as c:
		c.send(data)
		r = c.read_response()
		if size_line.startswith(b"fffff"):
			assert r.status in (400, 413), r
		else:
			assert_error_response(r, 400)
		wsh.assert_closed_after(c, "after a bad chunk size")


@pytest.mark.rfc("9112", "7.1.1", "SHOULD")
@pytest.mark.parametrize("size_line", [b"5 ", b"5\t", b"5;", b"5; ", b"5;=x", b"5;;a", b"5;a ",
                                       b"5;a b", b"5;a=", b"5;a=b ", b"5;a==b", b'5;a="x',
                                       b'5;a="x\\', b'5;a="x"y', b'5;a="x" ', b"5;a\x80",
                                       b'5;a="\x01"', b"5;a=@"])
def test_chunk_line_off_grammar_400_close(srv, size_line):
	"""chunk-size [ chunk-ext ] CRLF exactly (RFC 9112 7.1.1): white space
	only around ";" and "=", a token name, a token or quoted-string value.
	Anything else: 400 and close, the pipelined request never answered."""
	data = (b"POST /up/x.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	        + size_line + b"\r\nhello\r\n0\r\n\r\n" + get("/b.txt"))
	bad_request_and_close(srv, data)


@pytest.mark.rfc("9112", "7.1.1", "MUST")
def test_chunk_line_grammar_accepted(srv):
	"""Every form the grammar allows is read and its extensions ignored."""
	name = uname()
	body = (b"2 ;a\r\nab\r\n"
	        b"2\t; a \t= \tb\r\ncd\r\n"
	        b'2;a="";b="q;\\"x\\\\" ;c=d\r\nef\r\n'
	        b"2;!#$%&'*+-.^_`|~=x\r\ngh\r\n"
	        b'0;last="\x80"\r\n\r\n')
	with srv.conn() as c:
		c.send(req("POST", "/up/" + name, {"Transfer-Encoding": "chunked"}, body) + get("/b.txt"))
		r1 = c.read_response()
		assert r1.status in STORED_OK, r1
		pipelined_then_beta(c)
	assert stored(srv, "store", name) == b"abcdefgh"


@pytest.mark.rfc("9112", "7.1", "MUST")
@pytest.mark.parametrize("tail", [b"helloXX0\r\n\r\n", b"hellohello\r\n0\r\n\r\n"])
def test_chunk_data_without_crlf_400_close(srv, tail):
	data = (b"POST /up/x.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	        b"5\r\n" + tail + get("/b.txt"))
	bad_request_and_close(srv, data)


def test_chunked_without_crlf_on_get_400_close(srv):
	data = (b"GET /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	        b"3\r\nabcXY0\r\n\r\n" + get("/b.txt"))
	bad_request_and_close(srv, data)


def test_bad_chunked_leaves_no_file(srv):
	name = uname()
	data = (("POST /up/%s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" % name
	         ).encode() + b"5\r\nhello\r\nzz\r\nmore\r\n0\r\n\r\n")
	bad_request_and_close(srv, data)
	assert no_file_like(srv, "store", name)


# -- PUT framing ---------------------------------------------------------------------

def test_put_chunked_created_then_replaced(srv):
	name = uname()
	with srv.conn() as c:
		c.send(req("PUT", "/up/" + name, {"Transfer-Encoding": "chunked"}, chunked(b"v1")))
		r1 = c.read_response()
		c.send(req("PUT", "/up/" + name, {"Content-Length": "2"}, b"v2"))
		r2 = c.read_response()
	assert r1.status == 201, r1
	assert r1.has("Location")
	assert r2.status == 204, r2
	assert (srv.tmp / "store" / name).read_bytes() == b"v2"


# -- body size limits -------------------------------------------------------------------

def test_cl_over_limit_413_without_body(srv):
	"""413 at once, before (and without) the body."""
	with srv.conn() as c:
		c.send(b"POST /small/x.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
		r = c.read_response()
		assert_error_response(r, 413)


def test_cl_at_limit_accepted(srv):
	name = uname()
	with srv.conn() as c:
		c.send(req("POST", "/small/" + name, {"Content-Length": "10"}, b"0123456789"))
		r = c.read_response()
	assert r.status in STORED_OK, r
	assert stored(srv, "small", name) == b"0123456789"


def test_chunked_over_limit_413(srv):
	name = uname()
	data = req("POST", "/small/" + name, {"Transfer-Encoding": "chunked"},
	           chunked(b"12345678", b"12345678", b"12345678"))
	with srv.conn() as c:
		c.send(data)
		r = c.read_response()
		assert_error_response(r, 413)
	assert no_file_like(srv, "small", name)


def test_chunked_over_limit_413_stream(srv):
	"""The limit applies while the chunked body streams in."""
	name = uname()
	with srv.conn() as c:
		c.send(req("POST", "/small/" + name, {"Transfer-Encoding": "chunked"}))
		c.send(b"8\r\n12345678\r\n")
		c.send(b"8\r\n12345678\r\n")  # 16 > 10: no final chunk is ever sent
		r = c.read_response()
		assert_error_response(r, 413)
	assert no_file_like(srv, "small", name)


def test_chunk_over_limit_413_at_its_size_line(srv):
	"""A chunk whose size alone passes the limit: 413 as soon as its size
	line is read, without its data (the body timeout is 60 s)."""
	name = uname()
	with srv.conn(timeout=5) as c:
		c.send(req("POST", "/small/" + name, {"Transfer-Encoding": "chunked"}) + b"100000\r\n")
		r = c.read_response()
		assert_error_response(r, 413)
	assert no_file_like(srv, "small", name)


def test_chunk_over_what_the_limit_leaves_413(srv):
	"""8 bytes taken, then a 3-byte chunk: 11 > 10 before the 3 bytes."""
	name = uname()
	with srv.conn(timeout=5) as c:
		c.send(req("POST", "/small/" + name, {"Transfer-Encoding": "chunked"}) + b"8\r\n12345678\r\n")
		c.send(b"3;ext=1\r\n")
		r = c.read_response()
		assert_error_response(r, 413)
	assert no_file_like(srv, "small", name)


def test_chunk_up_to_the_limit_accepted(srv):
	name = uname()
	with srv.conn() as c:
		c.send(req("POST", "/small/" + name, {"Transfer-Encoding": "chunked"},
		           b"8\r\n12345678\r\n2\r\n90\r\n0\r\n\r\n"))
		r = c.read_response()
	assert r.status in STORED_OK, r
	assert stored(srv, "small", name) == b"1234567890"


def test_default_limit_is_1m(srv):
	with srv.conn() as c:
		c.send(b"POST /deflimit/x.bin HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
		       % (1024 * 1024 + 1))
		r = c.read_response()
		assert_error_response(r, 413)
	name = uname(".bin")
	body = os.urandom(1024 * 1024)
	with srv.conn() as c:
		c.send(req("POST", "/deflimit/" + name, {"Content-Length": str(len(body))}, body))
		r = c.read_response(timeout=20)
	assert r.status in STORED_OK, r
	assert stored(srv, "def", name) == body


def test_zero_means_no_limit(srv):
	name = uname(".bin")
	body = os.urandom(3 * 1024 * 1024)
	with srv.conn() as c:
		c.send(req("POST", "/nolimit/" + name, {"Content-Length": str(len(body))}, body))
		r = c.read_response(timeout=30)
	assert r.status in STORED_OK, r
	assert stored(srv, "big", name) == body


def test_server_still_serving(srv):
	assert srv.get("/a.txt").content == b"alpha"


# -- chunk counts and chunk metadata (on the mixed server) -------------------

@pytest.mark.rfc("9112", "7.1", "MUST")
def test_huge_number_of_tiny_chunks(mixed_srv):
	n = 20000 if wsh.ASAN else 100000
	body = b"".join(b"1\r\n%c\r\n" % (65 + i % 26) for i in range(n)) + b"0\r\n\r\n"
	want = bytes(65 + i % 26 for i in range(n))
	with mixed_srv.conn(timeout=60) as c:
		c.send(req("PUT", "/up/tiny.bin", {"Transfer-Encoding": "chunked"}) + body
		       + get("/a.txt"))
		r1 = c.read_response(timeout=60)
		r2 = c.read_response()
	assert r1.status in (201, 204)
	assert_second_ok(r2)
	assert (mixed_srv.store / "tiny.bin").read_bytes() == want


@pytest.mark.rfc("9112", "7.1.1", "MUST")
def test_many_small_chunk_extensions_ignored(mixed_srv):
	parts = [b"%x;name%d=\"v;a,l\";flag\r\n%s\r\n" % (3, i, b"xyz") for i in range(2000)]
	with mixed_srv.conn() as c:
		c.send(req("PUT", "/up/ext.bin", {"Transfer-Encoding": "chunked"}) + b"".join(parts)
		       + b"0;last=1\r\n\r\n" + get("/a.txt"))
		r1 = c.read_response()
		r2 = c.read_response()
	assert r1.status in (201, 204)
	assert_second_ok(r2)
	assert (mixed_srv.store / "ext.bin").read_bytes() == b"xyz" * 2000


@pytest.mark.rfc("9112", "7.1.1", "MUST")
@pytest.mark.parametrize("what", ["ext", "trailer", "trailers"])
def test_oversized_chunk_metadata_4xx_and_nothing_stored(mixed_srv, what):
	"""A server limits chunk extensions and trailers and answers 4xx when
	they are exceeded (RFC 9112 7.1.1); nothing is stored."""
	name = "meta-%s.bin" % what
	if what == "ext":
		body = b"3;" + b"e" * 100000 + b"\r\nabc\r\n0\r\n\r\n"
	elif what == "trailer":
		body = b"3\r\nabc\r\n0\r\nX-T: " + b"v" * 100000 + b"\r\n\r\n"
	else:
		body = b"3\r\nabc\r\n0\r\n" + b"".join(b"X-T%d: v\r\n" % i for i in range(20000)) + b"\r\n"
	with mixed_srv.conn() as c:
		c.send(req("PUT", "/up/" + name, {"Transfer-Encoding": "chunked"}) + body)
		r = c.read_response()
		assert 400 <= r.status < 500 and r.status != 404, r
		assert c.is_closed()
	assert not (mixed_srv.store / name).exists()
	assert mixed_temp_files(mixed_srv) == []
