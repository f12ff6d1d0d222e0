"""Message framing and request smuggling defences (RFC 9112 sections 6
and 7), Expect (RFC 9110 section 10.1.1) and the body size limit.

The targets are static files: a request body sent with a GET must be read
(or discarded) exactly as framed, so the pipelined request that follows it
gets the right answer."""

import pytest

import wsh

rfc = pytest.mark.rfc


def two_responses(t, first, static, bt=None):
	"""first + a pipelined GET of the static file: both answered in order.
	bt: the body_target the first request was sent to."""
	with t.conn() as c:
		c.send(first + t.req("GET", static.path))
		r1 = c.read_response()
		assert bt.ok(r1) if bt else r1.status == 200, r1
		r2 = c.read_response()
		assert r2.status == 200 and r2.body == static.body, \
			"desynchronised: %r %r" % (r2, r2.body[:100])
	return r1


def rejected_and_closed(t, data, codes=(400,), follow="/no-such-smuggled.html"):
	"""data is answered with one of codes (or not at all), the connection is
	closed, and the request smuggled after it is never answered."""
	with t.conn() as c:
		c.send(data + t.req("GET", follow))
		try:
			r = c.read_response()
		except wsh.ConnectionClosed:
			return None
		assert r.status in codes, "expected %s, got %r" % (codes, r)
		closed, extra = c.wait_closed(3.0)
		assert extra == b"", "the smuggled request was answered: %r" % extra[:200]
		assert closed, "connection left open after a %d" % r.status
		return r


# -- Content-Length -------------------------------------------------------------

@rfc("9112", "6.3", "MUST")
def test_content_length_frames_body(t, static, body_target):
	bt = body_target
	two_responses(t, t.req(bt.method, bt.path, [("Content-Length", "11")], b"hello world"), static,
	              bt)


@rfc("9112", "6.3", "MUST")
def test_no_length_means_no_body(t, static):
	two_responses(t, t.req("GET", static.path), static)


@rfc("9112", "6.3", "MUST")
@pytest.mark.parametrize("value", ["abc", "-1", "1.0", "0x10", "+5", "5 5"])
def test_invalid_content_length_400_close(t, value, static):
	rejected_and_closed(t, t.req("GET", static.path, [("Content-Length", value)], b"hello"))


@rfc("9112", "6.3", "MUST")
@pytest.mark.parametrize("values", [("5", "6"), ("5, 6",)])
def test_conflicting_content_length_400_close(t, values, static):
	rejected_and_closed(t, t.req("GET", static.path, [("Content-Length", v) for v in values],
	                             b"hello!"))


# -- Transfer-Encoding --------------------------------------------------------------

@rfc("9112", "6.1", "MUST")
@pytest.mark.parametrize("order", ["cl-te", "te-cl"])
def test_cl_and_te_closed_after_response(t, order, static):
	"""Both headers: reject, or use the chunked framing; either way the
	connection is closed after the response (the smuggled GET is never
	answered)."""
	hdrs = [("Content-Length", "40"), ("Transfer-Encoding", "chunked")]
	if order == "te-cl":
		hdrs.reverse()
	body = wsh.chunked("hello")
	smuggled = t.req("GET", "/no-such-smuggled.html")
	data = t.req("GET", static.path, hdrs, body + smuggled)
	with t.conn() as c:
		c.send(data)
		try:
			r = c.read_response()
		except wsh.ConnectionClosed:
			return
		assert r.status in (200, 400), r
		closed, extra = c.wait_closed(3.0)
		assert extra == b"", "the smuggled request was answered: %r" % extra[:200]
		assert closed, "connection left open after a request with CL and TE"


@rfc("9112", "6.1", "MUST")
def test_te_in_http10_closes(t, static):
	data = t.req("GET", static.path, [("Transfer-Encoding", "chunked"),
	                                    ("Connection", "keep-alive")],
	             wsh.chunked("hello"), version="HTTP/1.0")
	with t.conn() as c:
		c.send(data + t.req("GET", "/no-such-smuggled.html", version="HTTP/1.0"))
		try:
			c.read_response()
		except wsh.ConnectionClosed:
			return
		closed, extra = c.wait_closed(3.0)
		assert extra == b"", "a request after a TE HTTP/1.0 message was answered"
		assert closed, "connection left open after a TE HTTP/1.0 message"


@rfc("9112", "6.3", "MUST")
@pytest.mark.parametrize("te", ["chunked, identity", "gzip", "identity"])
def test_final_coding_not_chunked_400_close(t, te, static):
	"""400 and close; 501 (an unknown coding, section 6.1) is accepted too,
	as long as the connection is closed."""
	rejected_and_closed(t, t.req("GET", static.path, [("Transfer-Encoding", te)],
	                             b"5\r\nhello\r\n0\r\n\r\n"), codes=(400, 501))


@rfc("9112", "6.1", "SHOULD")
def test_unknown_coding_501(t, static):
	data = t.req("GET", static.path, [("Transfer-Encoding", "x-unknown, chunked")],
	             wsh.chunked("hello"))
	r = t.exchange(data)
	assert r.status == 501, r


@rfc("9112", "7.1", "MUST")
def test_chunked_body_framed(t, static, body_target):
	two_responses(t, t.req(body_target.method, body_target.path, [("Transfer-Encoding", "chunked")],
	                       wsh.chunked("hello", " ", "world" * 100)), static, body_target)


@rfc("9112", "7", "MUST")
def test_transfer_coding_name_case_insensitive(t, static, body_target):
	two_responses(t, t.req(body_target.method, body_target.path, [("Transfer-Encoding", "Chunked")],
	                       wsh.chunked("hello")), static, body_target)


@rfc("9112", "7.1.1", "MUST")
def test_chunk_extensions_ignored(t, static, body_target):
	body = b"5;name=value;flag\r\nhello\r\n6 ; q=\"quoted;str\"\r\n world\r\n0;end\r\n\r\n"
	bt = body_target
	two_responses(t, t.req(bt.method, bt.path, [("Transfer-Encoding", "chunked")], body), static, bt)


@rfc("9112", "7.1.2", "MUST")
def test_chunked_trailer_section_consumed(t, static, body_target):
	body = wsh.chunked("hello", trailers=[("X-Trailer", "one"), ("X-Other", "two")])
	bt = body_target
	two_responses(t, t.req(bt.method, bt.path, [("Transfer-Encoding", "chunked"),
	                                      ("Trailer", "X-Trailer")], body), static, bt)


@rfc("9112", "7.1", "MUST")
@pytest.mark.parametrize("size", [b"zz", b"-5", b"0x5", b""])
def test_bad_chunk_size_rejected(t, size, static):
	rejected_and_closed(t, t.req("GET", static.path, [("Transfer-Encoding", "chunked")],
	                             size + b"\r\nhello\r\n0\r\n\r\n"))


@rfc("9112", "7.1", "MUST")
def test_chunk_size_overflow_rejected(t, static):
	"""A huge hexadecimal size must not wrap around to a small number."""
	rejected_and_closed(t, t.req("GET", static.path, [("Transfer-Encoding", "chunked")],
	                             b"10000000000000005\r\nhello\r\n0\r\n\r\n"), codes=(400, 413))


@rfc("9112", "7.1.1", "SHOULD")
@pytest.mark.parametrize("line", [b"5 ", b"5;", b"5;=x", b"5;a ", b"5;a=", b'5;a="x', b'5;a="x"y'])
def test_chunk_line_off_grammar_rejected(t, line):
	"""chunk-size [ chunk-ext ] CRLF, BWS only around ";" and "=" (RFC 9112
	7.1.1): a line two parsers could read differently is refused."""
	rejected_and_closed(t, t.req("GET", "/index.html", [("Transfer-Encoding", "chunked")],
	                             line + b"\r\nhello\r\n0\r\n\r\n"))


@rfc("9112", "7.1", "MUST")
def test_chunk_without_crlf_rejected(t, static):
	rejected_and_closed(t, t.req("GET", static.path, [("Transfer-Encoding", "chunked")],
	                             b"5\r\nhelloXX0\r\n\r\n"))


# -- Expect and limits ---------------------------------------------------------------------

@rfc("9110", "10.1.1", "MUST")
def test_expect_100_immediate_answer(t, static):
	"""With `Expect: 100-continue` the server answers (100 or a final status)
	without waiting for the body."""
	data = t.req("POST", static.path, [("Content-Length", "5"), ("Expect", "100-continue")])
	with t.conn() as c:
		c.send(data)
		r = c.read_response(timeout=2.0)
		assert r.status == 100 or r.status >= 400, r
		if r.status == 100:
			c.send(b"hello")
			final = c.read_response()
			assert final.status >= 200, final


@rfc("9110", "10.1.1", "MAY")
def test_unknown_expectation_417(t, static):
	r = t.exchange(t.req("GET", static.path, [("Expect", "something-else")]))
	assert r.status == 417, r


@rfc("9110", "15.5.14", "MAY")
@pytest.mark.demo
def test_body_over_limit_413(t):
	"""The demo limit is 16 MiB: a larger declared body is refused without
	being read."""
	data = t.req("POST", "/cgi/form.py", [("Content-Length", str(17 << 20)),
	                                      ("Content-Type", "application/octet-stream")])
	with t.conn() as c:
		c.send(data + b"x" * 1024)
		r = c.read_response()
	assert r.status == 413, r
