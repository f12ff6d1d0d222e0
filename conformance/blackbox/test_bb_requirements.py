"""Requirements added when RFC 9112 was enumerated section by section, and
the RFC 9110 rows for fields, validators, conditionals and ranges that
had no black-box test yet."""

import time

import pytest

import wsh

rfc = pytest.mark.rfc


def get(t, target, headers=(), method="GET", version="HTTP/1.1"):
	return t.exchange(t.req(method, target, headers, version=version), method)


# -- RFC 9112 --------------------------------------------------------------------------

@rfc("9112", "2.2", "MUST")
def test_octets_not_characters(t, static):
	"""0xC0 0x8A (an overlong UTF-8 form of LF) inside a field value is two
	opaque octets, not a line break: the request is served (or refused),
	and nothing after it is read as a new field or request."""
	data = (b"GET " + static.path.encode() + b" HTTP/1.1\r\nHost: " + t.authority.encode()
	        + b"\r\nX-Octets: a\xc0\x8aContent-Length: 40\r\n\r\n"
	        + t.req("GET", "/cf-smuggled-404"))
	with t.conn() as c:
		c.send(data)
		r = c.read_response()
		assert r.status in (200, 400), r
		if r.status == 200:
			assert r.body == static.body
			r2 = c.read_response()
			assert r2.status == 404, "the next request was not read in sync: %r" % r2


@rfc("9112", "3", "SHOULD")
def test_long_method_501(t, static):
	"""A method longer than any the server implements: 501."""
	r = get(t, static.path, method="X" * 40)
	assert r.status == 501, r


@rfc("9112", "3.2", "SHOULD")
def test_space_in_target_not_autocorrected(t, static):
	"""A request-target holding a raw SP is an invalid request line: 400
	(or a 301 to the encoded form), never served as if corrected."""
	i = static.path.rfind("/") + 1
	target = static.path[:i] + " " + static.path[i:]
	data = ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, t.authority)).encode()
	with t.conn() as c:
		c.send(data)
		try:
			r = c.read_response()
		except wsh.ConnectionClosed:
			return
	assert r.status in (400, 301), r


@rfc("9112", "5.2", "MUST")
def test_no_folding_in_responses(t, static):
	for target in (static.path, "/no-such-file.html"):
		r = get(t, target)
		for line in r.raw_head.split(b"\r\n")[1:]:
			assert not line[:1] in (b" ", b"\t"), "folded header line %r" % line


@rfc("9112", "6.3", "SHOULD")
def test_responses_length_delimited(t, static):
	"""Responses are framed by Content-Length or chunked, not by closing."""
	for target in (static.path, "/no-such-file.html"):
		r = get(t, target)
		assert r.framing in ("length", "chunked"), (target, r)


@rfc("9112", "9.6", "MUST")
def test_server_close_honoured(t, static):
	"""A response that carries `Connection: close` is the last one: the
	connection ends and nothing after it is processed."""
	with t.conn() as c:
		c.send(t.req("GET", static.path, version="HTTP/1.0") + t.req("GET", "/cf-smuggled-404"))
		r = c.read_response()
		assert r.status == 200
		if "close" not in r.tokens("Connection"):
			pytest.skip("the response does not announce `Connection: close`")
		closed, extra = c.wait_closed(3.0)
	assert extra == b"", "a request after `Connection: close` was answered: %r" % extra[:200]
	assert closed


# -- RFC 9110 fields -----------------------------------------------------------------

@rfc("9110", "5.3", "MUST")
def test_whole_header_section_before_applying(t, static):
	"""No answer before the header section is complete (a later line may
	be a precondition): the request is applied only after the empty line."""
	etag = get(t, static.path).header("ETag")
	if not etag:
		pytest.skip("fixture: GET %s has no ETag to test with" % static.path)
	with t.conn() as c:
		c.send(("GET %s HTTP/1.1\r\nHost: %s\r\n" % (static.path, t.authority)).encode())
		assert c.still_open(0.5), "answered or closed before the header section ended"
		assert c.buf == b"", "answered before the header section ended: %r" % c.buf[:100]
		c.send(("If-None-Match: %s\r\n\r\n" % etag).encode())
		r = c.read_response()
	assert r.status == 304, r


@rfc("9110", "5.4", "MUST")
def test_field_too_large_4xx(t, static):
	"""One field line of 100 000 octets: an appropriate 4xx."""
	with t.conn() as c:
		c.send(t.req("GET", static.path, [("X-Large", "v" * 100000)]))
		try:
			r = c.read_response()
		except wsh.ConnectionClosed:
			pytest.fail("closed without a 4xx")
	assert 400 <= r.status < 500, r


@rfc("9110", "5.6.1", "MUST")
def test_empty_list_elements_ignored(t, static):
	etag = get(t, static.path).header("ETag")
	if not etag:
		pytest.skip("fixture: GET %s has no ETag to test with" % static.path)
	r = get(t, static.path, [("If-None-Match", ", ,%s, ," % etag)])
	assert r.status == 304, r


@rfc("9110", "5.6.7", "MUST")
@pytest.mark.parametrize("fmt", ["rfc850", "asctime"])
def test_date_formats_accepted(t, static, fmt):
	"""If-Modified-Since in the two obsolete formats, naming the file's own
	Last-Modified (an exact match, so servers comparing for equality only
	answer 304 too)."""
	lm = wsh.parse_imf_date(get(t, static.path).header("Last-Modified"))
	if lm is None:
		pytest.skip("fixture: GET %s has no Last-Modified" % static.path)
	g = time.gmtime(lm)
	days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
	if fmt == "rfc850":
		value = "%s, %02d-%s-%02d %02d:%02d:%02d GMT" % (
			days[g.tm_wday], g.tm_mday, wsh._MONTHS[g.tm_mon - 1], g.tm_year % 100,
			g.tm_hour, g.tm_min, g.tm_sec)
	else:
		value = "%s %s %2d %02d:%02d:%02d %d" % (
			wsh._DAYS[g.tm_wday], wsh._MONTHS[g.tm_mon - 1], g.tm_mday, g.tm_hour, g.tm_min,
			g.tm_sec, g.tm_year)
	r = get(t, static.path, [("If-Modified-Since", value)])
	assert r.status == 304, (value, r)


@rfc("9110", "6.2", "MUST")
@pytest.mark.parametrize("version", ["HTTP/1.0", "HTTP/1.1"])
def test_response_version_conformant(t, static, version):
	"""The response's version is one the server conforms to: HTTP/1.x."""
	r = get(t, static.path, version=version)
	assert r.version in ("HTTP/1.0", "HTTP/1.1"), r


def _5xx(t, static):
	"""A 5xx from the server: an unknown method (501) or HTTP/2.0 in an
	HTTP/1 request line (505)."""
	for method, version in (("FROBNICATE", "HTTP/1.1"), ("GET", "HTTP/2.0")):
		r = get(t, static.path, method=method, version=version)
		if r.status >= 500:
			return r
	pytest.skip("the server answers neither an unknown method nor HTTP/2.0 with a 5xx")


@rfc("9110", "6.6.1", "MAY")
def test_date_on_5xx(t, static):
	assert _5xx(t, static).has("Date")


@rfc("9110", "7.8", "MAY")
def test_upgrade_ignored(t, static):
	r = get(t, static.path, [("Connection", "Upgrade"), ("Upgrade", "cf-unknown/1")])
	assert r.status == 200 and r.body == static.body, r


@rfc("9110", "8.6", "SHOULD")
def test_static_has_content_length(t, static):
	r = get(t, static.path)
	assert r.header("Content-Length") == str(len(static.body)), r.headers


@rfc("9110", "8.8.2", "MUST")
def test_last_modified_not_after_date(t, static):
	r = get(t, static.path)
	lm, date = wsh.parse_imf_date(r.header("Last-Modified")), wsh.parse_imf_date(r.header("Date"))
	if lm is None:
		pytest.skip("fixture: no Last-Modified")
	assert date is not None and lm <= date, (r.header("Last-Modified"), r.header("Date"))


@rfc("9110", "8.8.2", "SHOULD")
def test_last_modified_sent(t, static):
	assert wsh.parse_imf_date(get(t, static.path).header("Last-Modified")) is not None


@rfc("9110", "8.8.3", "SHOULD")
def test_etag_sent(t, static):
	assert get(t, static.path).header("ETag")


# -- RFC 9110 methods --------------------------------------------------------------------

@rfc("9110", "9.1", "MUST")
def test_get_and_head_supported(t, static):
	assert get(t, static.path).status == 200
	assert get(t, static.path, method="HEAD").status == 200


@rfc("9110", "9.1", "SHOULD")
def test_known_method_not_allowed_405(t, static):
	r = t.exchange(t.req("PUT", static.path, [("Content-Length", "2")], b"hi"))
	assert r.status == 405, r


# -- conditionals and ranges ---------------------------------------------------------------

def _lm(t, static):
	lm = wsh.parse_imf_date(get(t, static.path).header("Last-Modified"))
	if lm is None:
		pytest.skip("fixture: GET %s has no Last-Modified" % static.path)
	return lm


@rfc("9110", "13.1.4", "MUST")
def test_if_unmodified_since_412(t, static):
	lm = _lm(t, static)
	r = get(t, static.path, [("If-Unmodified-Since", wsh.imf_date(lm - 86400))])
	assert r.status == 412, r
	r = get(t, static.path, [("If-Unmodified-Since", wsh.imf_date(lm))])
	assert r.status == 200, r


@rfc("9110", "13.1.4", "MUST")
def test_if_unmodified_since_invalid_ignored(t, static):
	r = get(t, static.path, [("If-Unmodified-Since", "not a date")])
	assert r.status == 200, r


def _etag(t, static):
	etag = get(t, static.path).header("ETag")
	if not etag or etag.startswith("W/"):
		pytest.skip("fixture: GET %s has no strong ETag" % static.path)
	return etag


@rfc("9110", "13.1.5", "MUST")
def test_if_range_mismatch_full(t, static):
	_etag(t, static)
	r = get(t, static.path, [("Range", "bytes=0-3"), ("If-Range", '"cf-other-etag"')])
	assert r.status == 200 and r.body == static.body, r


@rfc("9110", "13.1.5", "MUST")
def test_if_range_without_range_ignored(t, static):
	r = get(t, static.path, [("If-Range", '"cf-other-etag"')])
	assert r.status == 200 and r.body == static.body, r


@rfc("9110", "13.1.5", "SHOULD")
def test_if_range_match_partial(t, static):
	etag = _etag(t, static)
	r = get(t, static.path, [("Range", "bytes=0-3"), ("If-Range", etag)])
	assert r.status == 206 and r.body == static.body[:4], r


@rfc("9110", "15.3.7", "MUST")
def test_206_keeps_date_and_etag(t, static):
	full = get(t, static.path)
	r = get(t, static.path, [("Range", "bytes=0-3")])
	assert r.status == 206, r
	assert r.has("Date")
	if full.has("ETag"):
		assert r.header("ETag") == full.header("ETag"), r.headers


@rfc("9110", "15.3.7", "MUST")
def test_single_range_not_multipart(t, static):
	r = get(t, static.path, [("Range", "bytes=1-2")])
	assert r.status == 206 and not r.content_type.startswith("multipart/"), r


@rfc("9110", "15.6", "SHOULD")
def test_5xx_has_explanation(t, static):
	r = _5xx(t, static)
	assert len(r.body) > 0, r
