"""Request smuggling and desync cases (RFC 9112 sections 2.2, 5, 6, 7,
9.3 and RFC 9110 sections 5.5, 10.1.1).

Every case is one table row: the exact bytes sent (PATH is the static file
of --get-path, HOST the target's authority), the rule, and the outcomes
that are safe. Most cases end with a smuggled request

    GET /cf-smuggled-404 HTTP/1.1

placed where a correct parser sees it either inside the body or as the
next request; answering it when it is inside the body (or at all after a
message whose framing must be refused) is a desync.

Expectations:
  reject         a 4xx/5xx (or a close without an answer), then the
                 connection is closed; the smuggled request is never answered
  close          any answer to the first request, then the connection is
                 closed; the smuggled request is never answered
  no-smuggle     the smuggled request, which is inside the body, is never
                 answered
  in-sync        the message is valid: the first request is served (the
                 file's bytes) and the smuggled request, which follows it,
                 gets its own 404, in order
  strict-or-sync either of reject and in-sync (the grammar says invalid but
                 a recipient may be lenient; being lenient must not desync)
  body-or-close  the first request's body is read and the next request
                 answered (404), or the connection is closed after the first
                 answer; never the body parsed as a request
  no-interim     the first response is not a 1xx
"""

import pytest

import wsh

SMUGGLED = b"GET /cf-smuggled-404 HTTP/1.1\r\nHost: HOST\r\n\r\n"
S = SMUGGLED


def req(head, body=b"", method=b"GET", version=b"HTTP/1.1"):
	"""method PATH version, Host, the given field lines, the empty line, body."""
	return (method + b" PATH " + version + b"\r\nHost: HOST\r\n" + head + b"\r\n" + body)


# (name, rfc marker, expectation, rule, bytes)
CASES = [
	# -- CL.TE / TE.CL ------------------------------------------------------------
	("cl_te", ("9112", "6.1", "MUST"), "close",
	 "CL and TE: reject, or frame by chunked; either way close after the response (9112 6.1)",
	 req(b"Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n" + S)),
	("te_cl", ("9112", "6.1", "MUST"), "close",
	 "TE before a larger CL: chunked wins, the connection is closed after the response (9112 6.1)",
	 req(b"Transfer-Encoding: chunked\r\nContent-Length: 60\r\n", b"0\r\n\r\n" + S)),
	("te_http10", ("9112", "6.1", "MUST"), "close",
	 "HTTP/1.0 with Transfer-Encoding: faulty framing, close after the response (9112 6.1)",
	 req(b"Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n", b"0\r\n\r\n" + S,
	     version=b"HTTP/1.0")),
	("te_http10_with_cl", ("9112", "6.1", "MUST"), "close",
	 "HTTP/1.0 with Transfer-Encoding and Content-Length: faulty framing, close (9112 6.1)",
	 req(b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n",
	     b"0\r\n\r\n" + S, version=b"HTTP/1.0")),
	# -- TE.TE obfuscations ------------------------------------------------------------
	("te_not_last", ("9112", "6.3", "MUST"), "reject",
	 "chunked not the final coding: 400 and close (9112 6.3)",
	 req(b"Transfer-Encoding: chunked, identity\r\nContent-Length: 5\r\n", b"0\r\n\r\n" + S)),
	("te_dup_lines_not_last", ("9112", "6.3", "MUST"), "reject",
	 "two TE lines combine to `chunked, x-custom`: chunked not final, 400/501 and close (9112 6.3)",
	 req(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: x-custom\r\nContent-Length: 5\r\n",
	     b"0\r\n\r\n" + S)),
	("te_dup_lines_chunked_twice", ("9112", "6.1", "MUST"), "reject",
	 "two TE lines `chunked` = chunked applied twice: refused and closed (9112 6.1)",
	 req(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n" + S)),
	("te_space_before_colon", ("9112", "5.1", "MUST"), "reject",
	 "`Transfer-Encoding : chunked`: white space before the colon, 400 (9112 5.1)",
	 req(b"Transfer-Encoding : chunked\r\nContent-Length: 5\r\n", b"0\r\n\r\n" + S)),
	("te_tab_before_colon", ("9112", "5.1", "MUST"), "reject",
	 "`Transfer-Encoding\\t: chunked`: white space before the colon, 400 (9112 5.1)",
	 req(b"Transfer-Encoding\t: chunked\r\nContent-Length: 5\r\n", b"0\r\n\r\n" + S)),
	("te_tab_value", ("9112", "5.1", "MUST"), "in-sync",
	 "`Transfer-Encoding:\\tchunked`: HTAB is OWS, the value is `chunked` (9112 5.1)",
	 req(b"Transfer-Encoding:\tchunked\r\n", b"5\r\nhello\r\n0\r\n\r\n" + S)),
	("te_upper_case", ("9112", "7", "MUST"), "in-sync",
	 "`CHUNKED`: coding names are case-insensitive (9112 7)",
	 req(b"Transfer-Encoding: CHUNKED\r\n", b"5\r\nhello\r\n0\r\n\r\n" + S)),
	("te_lower_case_name", ("9110", "5.1", "MUST"), "in-sync",
	 "`transfer-encoding: chunked`: field names are case-insensitive (9110 5.1)",
	 req(b"transfer-encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n" + S)),
	("te_vertical_tab", ("9112", "6.1", "SHOULD"), "reject",
	 "`Transfer-Encoding: \\x0bchunked`: VT is not OWS, an unknown coding, 501/400 and close "
	 "(9112 6.1)",
	 req(b"Transfer-Encoding: \x0bchunked\r\nContent-Length: 5\r\n", b"0\r\n\r\n" + S)),
	("te_unknown_xchunked", ("9112", "6.1", "SHOULD"), "reject",
	 "`Transfer-Encoding: xchunked`: an unknown coding, 501 (or 400) and close (9112 6.1)",
	 req(b"Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n", b"0\r\n\r\n" + S)),
	("te_quoted", ("9112", "6.1", "SHOULD"), "reject",
	 "`Transfer-Encoding: \"chunked\"`: not the token chunked, 501/400 and close (9112 6.1)",
	 req(b"Transfer-Encoding: \"chunked\"\r\nContent-Length: 5\r\n", b"0\r\n\r\n" + S)),
	("te_obs_fold", ("9112", "5.2", "MUST"), "no-smuggle",
	 "TE value on an obs-fold line: 400, or the fold read as SP (chunked) and close (9112 5.2, 6.1)",
	 req(b"Content-Length: 5\r\nTransfer-Encoding:\r\n chunked\r\n", b"0\r\n\r\n" + S)),
	("te_empty_list_elements", ("9110", "5.6.1", "MUST"), "in-sync",
	 "`Transfer-Encoding: , chunked ,`: empty list elements are ignored (9110 5.6.1)",
	 req(b"Transfer-Encoding: , chunked ,\r\n", b"5\r\nhello\r\n0\r\n\r\n" + S)),
	# -- chunk-size and chunk-extension grammar -----------------------------------
	("te_chunked_param", ("9112", "7.1", "SHOULD"), "reject",
	 "`Transfer-Encoding: chunked;x=1`: chunked has no parameters, treated as an error (9112 7.1)",
	 req(b"Transfer-Encoding: chunked;x=1\r\n", b"5\r\nhello\r\n0\r\n\r\n" + S)),
	("chunk_size_plus", ("9112", "7.1", "MUST"), "reject",
	 "chunk-size `+5` is not 1*HEXDIG: 400 and close (9112 7.1)",
	 req(b"Transfer-Encoding: chunked\r\n", b"+5\r\nhello\r\n0\r\n\r\n" + S)),
	("chunk_size_0x", ("9112", "7.1", "MUST"), "reject",
	 "chunk-size `0x5` is not 1*HEXDIG: 400 and close (9112 7.1)",
	 req(b"Transfer-Encoding: chunked\r\n", b"0x5\r\nhello\r\n0\r\n\r\n" + S)),
	("chunk_size_overflow", ("9112", "7.1", "MUST"), "reject",
	 "chunk-size 2^68+5 must not wrap around to 5: refused and closed (9112 7.1)",
	 req(b"Transfer-Encoding: chunked\r\n", b"100000000000000005\r\nhello\r\n0\r\n\r\n" + S)),
	("chunk_size_trailing_space", ("9112", "7.1", "MUST"), "strict-or-sync",
	 "`5 ` before CRLF: BWS is only allowed before `;` (9112 7.1.1); refuse or read 5",
	 req(b"Transfer-Encoding: chunked\r\n", b"5 \r\nhello\r\n0\r\n\r\n" + S)),
	("chunk_lf_only", ("9112", "7.1", "MUST"), "reject",
	 "chunk lines ended by a bare LF: CRLF is required in the chunked body (9112 7.1)",
	 req(b"Transfer-Encoding: chunked\r\n", b"5\nhello\n0\n\n" + S)),
	("chunk_data_too_long", ("9112", "7.1", "MUST"), "reject",
	 "chunk-data longer than chunk-size (no CRLF after 5 octets): 400 and close (9112 7.1)",
	 req(b"Transfer-Encoding: chunked\r\n", b"5\r\nhelloXX\r\n0\r\n\r\n" + S)),
	("chunk_ext_ignored", ("9112", "7.1.1", "MUST"), "in-sync",
	 "unknown chunk extensions, quoted values with `;` and `\\\"` inside, are ignored (9112 7.1.1)",
	 req(b"Transfer-Encoding: chunked\r\n",
	     b"5;a=b;c=\"x;\\\"y\"\r\nhello\r\n0;z\r\n\r\n" + S)),
	("chunk_ext_bare_lf", ("9112", "7.1.1", "MUST"), "reject",
	 "a bare LF inside a chunk extension ends nothing: 400 and close (9112 7.1)",
	 req(b"Transfer-Encoding: chunked\r\n", b"5;a=\nb\r\nhello\r\n0\r\n\r\n" + S)),
	("last_chunk_zeros", ("9112", "7.1", "MUST"), "in-sync",
	 "last-chunk is 1*(\"0\"): `000` ends the body (9112 7.1)",
	 req(b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n000\r\n\r\n" + S)),
	("chunked_trailer", ("9112", "7.1.2", "MUST"), "in-sync",
	 "a trailer section after the last chunk is consumed (9112 7.1.2)",
	 req(b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\n" + S)),
	# -- bare CR / LF -----------------------------------------------------------------
	("bare_cr_in_value", ("9110", "5.5", "MUST"), "strict-or-sync",
	 "a bare CR in a field value: reject, or replace it with SP (9112 2.2, 9110 5.5)",
	 req(b"X-Value: a\rb\r\n") + S),
	("bare_cr_line_end", ("9112", "2.2", "MUST"), "strict-or-sync",
	 "a bare CR ending a field line: invalid, reject (or replace it with SP) (9112 2.2)",
	 req(b"X-A: 1\rContent-Length: 5\r\n") + S),
	("bare_lf_head", ("9112", "2.2", "MAY"), "strict-or-sync",
	 "field lines ended by a bare LF: a recipient MAY accept them (9112 2.2), never desync",
	 b"GET PATH HTTP/1.1\nHost: HOST\nX-A: 1\n\n" + S),
	# -- Content-Length lists and signs -------------------------------------------
	("cl_list_same", ("9112", "6.3", "MAY"), "strict-or-sync",
	 "`Content-Length: 5, 5`: may be read as 5, or refused (9112 6.3)",
	 req(b"Content-Length: 5, 5\r\n", b"hello" + S)),
	("cl_two_lines_same", ("9112", "6.3", "MAY"), "strict-or-sync",
	 "two `Content-Length: 5` lines: may be read as 5, or refused (9112 6.3)",
	 req(b"Content-Length: 5\r\nContent-Length: 5\r\n", b"hello" + S)),
	("cl_list_differ", ("9112", "6.3", "MUST"), "reject",
	 "`Content-Length: 5, 46`: invalid, 400 and close (9112 6.3)",
	 req(b"Content-Length: 5, 46\r\n", b"hello" + S)),
	("cl_plus", ("9112", "6.3", "MUST"), "reject",
	 "`Content-Length: +5`: not 1*DIGIT, 400 and close (9112 6.3)",
	 req(b"Content-Length: +5\r\n", b"hello" + S)),
	("cl_minus", ("9112", "6.3", "MUST"), "reject",
	 "`Content-Length: -5`: 400 and close (9112 6.3)",
	 req(b"Content-Length: -5\r\n", b"hello" + S)),
	("cl_huge", ("9110", "8.6", "MUST"), "reject",
	 "a 20-digit Content-Length must not overflow: refused (400/413) and closed (9110 8.6)",
	 req(b"Content-Length: 18446744073709551621\r\n", b"hello" + S)),
	("cl_ows", ("9112", "5.1", "MUST"), "in-sync",
	 "`Content-Length:  5 \\t`: OWS around the value is not part of it (9112 5.1)",
	 req(b"Content-Length:  5 \t\r\n", b"hello" + S)),
	("cl_leading_zeros", ("9112", "6.3", "MUST"), "strict-or-sync",
	 "`Content-Length: 005` is 1*DIGIT = 5 (9110 8.6); read 5 or refuse, never desync",
	 req(b"Content-Length: 005\r\n", b"hello" + S)),
	# -- pipelined request after a body -------------------------------------------
	("cl_body_then_pipelined", ("9112", "6.3", "MUST"), "in-sync",
	 "a Content-Length body on a GET is read, the next request follows it (9112 6.3)",
	 req(b"Content-Length: 5\r\n", b"hello" + S)),
	("chunked_body_then_pipelined", ("9112", "6.1", "MUST"), "in-sync",
	 "a chunked body on a GET is decoded, the next request follows it (9112 6.1, 7.1)",
	 req(b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n" + S)),
	("body_on_404", ("9112", "9.3", "MUST"), "body-or-close",
	 "a body sent to a missing resource is read (or the connection closed), "
	 "never parsed as the next request (9112 9.3)",
	 b"POST /cf-missing-404/x HTTP/1.1\r\nHost: HOST\r\nContent-Length: 44\r\n\r\n"
	 b"GET /cf-body-as-request HTTP/1.1\r\nX-A: 1\r\n\r\n" + S),
	("body_on_405", ("9112", "9.3", "MUST"), "body-or-close",
	 "a body sent with a refused method is read (or the connection closed), "
	 "never parsed as the next request (9112 9.3)",
	 req(b"Content-Length: 44\r\n", b"GET /cf-body-as-request HTTP/1.1\r\nX-A: 1\r\n\r\n" + S,
	     method=b"DELETE")),
	("http10_cl_keepalive", ("9112", "6.3", "MUST"), "in-sync",
	 "HTTP/1.0 keep-alive with a Content-Length body: the next request follows it (9112 6.3)",
	 req(b"Content-Length: 5\r\nConnection: keep-alive\r\n", b"hello", version=b"HTTP/1.0")
	 + b"GET /cf-smuggled-404 HTTP/1.0\r\nHost: HOST\r\n\r\n"),
	# -- Expect races ------------------------------------------------------------------
	("expect_body_sent_at_once", ("9110", "10.1.1", "MUST"), "in-sync",
	 "`Expect: 100-continue` with the body sent at once: 100 (optional) and one final "
	 "answer, then the next request (9110 10.1.1)",
	 req(b"Expect: 100-continue\r\nContent-Length: 5\r\n", b"hello" + S)),
	("expect_body_on_404", ("9110", "10.1.1", "MUST"), "body-or-close",
	 "`Expect: 100-continue` to a missing resource, body sent at once: the final status may "
	 "come first, but the body is then read or the connection closed (9110 10.1.1, 9112 9.3)",
	 b"POST /cf-missing-404/x HTTP/1.1\r\nHost: HOST\r\nExpect: 100-continue\r\n"
	 b"Content-Length: 44\r\n\r\nGET /cf-body-as-request HTTP/1.1\r\nX-A: 1\r\n\r\n" + S),
	("expect_http10_no_100", [("9110", "10.1.1", "MUST"), ("9110", "15.2", "MUST")], "no-interim",
	 "`Expect: 100-continue` in HTTP/1.0 is ignored: no 100 (9110 10.1.1, 15.2)",
	 req(b"Expect: 100-continue\r\nContent-Length: 5\r\n", b"hello", version=b"HTTP/1.0")),
]


def _fill(t, data, path):
	return data.replace(b"PATH", path.encode()).replace(b"HOST", t.authority.encode())


def _exchange(t, data, method="GET", wait=1.5):
	"""(responses, closed, extra): every response read, whether the server
	closed the connection, and bytes that are not a response."""
	out, closed, extra = [], False, b""
	with t.conn() as c:
		c.send(data)
		methods = [method, "GET", "GET", "GET"]
		while len([r for r in out if r.status >= 200]) < 3:
			i = len([r for r in out if r.status >= 200])
			try:
				r = c.read_response(methods[i], timeout=wsh.DEFAULT_TIMEOUT if not out else wait)
			except wsh.ConnectionClosed:
				closed = True
				extra = c.buf
				break
			except wsh.ResponseTimeout:
				extra = c.buf
				break
			out.append(r)
		if not closed:
			closed, more = c.wait_closed(0.5)
			extra += more
	return out, closed, extra


REJECT = (400, 411, 413, 414, 417, 431, 501, 505)


def _check(expect, t, data, static, method, ok=None):
	rs, closed, extra = _exchange(t, data, method)
	interim = [r for r in rs if r.status < 200]
	final = [r for r in rs if r.status >= 200]
	smuggled = [r for r in final[1:]]
	desc = "responses %r, closed=%s, extra=%r" % (rs, closed, extra[:80])

	def rejected():
		if not final:
			return closed and not extra
		return final[0].status in REJECT and not smuggled and closed and not extra

	def in_sync():
		first_ok = ok(final[0]) if ok else (final[0].status == 200 and final[0].body == static.body)
		return len(final) == 2 and first_ok and final[1].status == 404 and not extra

	if expect == "reject":
		assert rejected(), "not refused and closed: " + desc
	elif expect == "close":
		assert not smuggled and not extra, "the smuggled request was answered: " + desc
		assert closed, "connection left open: " + desc
	elif expect == "no-smuggle":
		assert not smuggled and not extra, "the smuggled request was answered: " + desc
	elif expect == "in-sync":
		assert in_sync(), "not served in sync: " + desc
	elif expect == "strict-or-sync":
		assert rejected() or in_sync(), "neither refused nor served in sync: " + desc
	elif expect == "body-or-close":
		assert final, "no answer: " + desc
		assert final[0].status >= 400, desc
		if len(final) > 1:
			assert len(final) == 2 and final[1].status == 404 and not extra, \
				"the body was parsed as a request: " + desc
		else:
			assert closed and not extra, "no answer to the next request and not closed: " + desc
	elif expect == "no-interim":
		assert not interim and final, "a 1xx to an HTTP/1.0 request: " + desc
	else:
		raise AssertionError("unknown expectation %r" % expect)


def _make(name, marker, expect, rule, data):
	method = data.split(b" ", 1)[0].decode()

	low = data.lower()
	has_body = b"\r\ncontent-length:" in low or b"\r\ntransfer-encoding:" in low

	@pytest.mark.sends(data, rule, expect)
	def test(t, static, request):
		d, m, ok = data, method, None
		if expect in ("in-sync", "strict-or-sync") and method == "GET" and has_body:
			bt = request.getfixturevalue("body_target")
			if bt.method != "GET":
				d, m, ok = b"POST " + bt.path.encode() + data[len(b"GET PATH"):], "POST", bt.ok
		_check(expect, t, _fill(t, d, static.path), static, m, ok)
	for m in (marker if isinstance(marker, list) else [marker]):
		test = pytest.mark.rfc(*m)(test)
	test.__name__ = "test_smuggle_" + name
	test.__doc__ = rule
	return test


for _case in CASES:
	_t = _make(*_case)
	globals()[_t.__name__] = _t
