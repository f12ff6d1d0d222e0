"""Message syntax: request line, HTTP version, Host, field lines, limits,
Date (RFC 9112 sections 2-5, RFC 9110 sections 2.5, 5, 6.6.1, 9.1)."""

import pytest

import wsh

rfc = pytest.mark.rfc


def assert_400_closed(t, data, codes=(400,)):
	"""data is rejected with one of codes, and a request smuggled after it
	is never answered."""
	with t.conn() as c:
		c.send(data + t.req("GET", "/no-such-smuggled.html"))
		try:
			r = c.read_response()
		except wsh.ConnectionClosed:
			return None  # closing without an answer is a rejection too
		assert r.status in codes, "expected %s, got %r" % (codes, r)
		try:
			r2 = c.read_response()
		except (wsh.ConnectionClosed, wsh.ResponseTimeout):
			return r
		pytest.fail("a request after the rejected one was answered: %r" % r2)


# -- request line ---------------------------------------------------------------

@rfc("9112", "3", "MUST")
def test_simple_get(t, static):
	r = t.exchange(t.req("GET", static.path))
	assert r.status == 200
	assert r.body == static.body


@rfc("9112", "4", "MUST")
def test_status_line_syntax(t, static):
	for target in (static.path, "/no-such-file.html"):
		r = t.exchange(t.req("GET", target))
		first = r.raw_head.split(b"\r\n", 1)[0]
		assert first.startswith(b"HTTP/1.1 %d " % r.status), first


@rfc("9112", "2.2", "SHOULD")
def test_leading_empty_line_ignored(t, static):
	r = t.exchange(b"\r\n" + t.req("GET", static.path))
	assert r.status == 200


@rfc("9112", "2.2", "MUST")
def test_whitespace_before_first_field_rejected(t):
	"""A field line starting with white space right after the request line
	is rejected, or ignored (and then the Host it holds is missing)."""
	data = ("GET /index.html HTTP/1.1\r\n Host: %s\r\n\r\n" % t.authority).encode()
	assert_400_closed(t, data)


@rfc("9112", "3", "SHOULD")
@pytest.mark.parametrize("line", [
	"GET /index.html",
	"/index.html HTTP/1.1",
	"GET /index.html HTTP/1.1 extra",
	"GET",
])
def test_invalid_request_line_400(t, line):
	"""(Several SP or HTAB between the parts MAY be accepted, RFC 9112
	section 3, so those are not tested.)"""
	data = ("%s\r\nHost: %s\r\n\r\n" % (line, t.authority)).encode()
	assert_400_closed(t, data, codes=(400, 505))


@rfc("9112", "2.3", "MUST")
@pytest.mark.parametrize("version", ["http/1.1", "HTTP/1.11", "HTTP/10.0", "HTTP/1", "HTTPS/1.1"])
def test_malformed_version_rejected(t, version, static):
	"""HTTP-version is case-sensitive DIGIT.DIGIT: anything else is not HTTP/1.1."""
	r = t.exchange(t.req("GET", static.path, version=version))
	assert r.status in (400, 505), r


@rfc("9110", "6.2", "SHOULD")
def test_http10_answered_with_11(t, static):
	r = t.exchange(t.req("GET", static.path, version="HTTP/1.0"))
	assert r.status == 200 and r.version == "HTTP/1.1", r


@rfc("9110", "2.5", "SHOULD")
def test_higher_minor_version_served(t, static):
	r = t.exchange(t.req("GET", static.path, version="HTTP/1.9"))
	assert r.status == 200 and r.version == "HTTP/1.1", r


@rfc("9110", "15.6.6", "MAY")
def test_major_version_2_505(t, static):
	r = t.exchange(t.req("GET", static.path, version="HTTP/2.0"))
	assert r.status == 505, r


@rfc("9110", "9.1", "MUST")
def test_method_case_sensitive(t, static):
	r = t.exchange(t.req("get", static.path))
	assert r.status in (400, 405, 501), "lower-case `get` served as GET: %r" % r


@rfc("9110", "15.6.2", "SHOULD")
def test_unknown_method_501(t, static):
	r = t.exchange(t.req("FROBNICATE", static.path))
	assert r.status == 501, r


@rfc("9112", "3", "MUST")
def test_long_target_414(t):
	r = t.exchange(t.req("GET", "/" + "a" * 70000))
	assert r.status == 414, r


@rfc("9112", "3", "SHOULD")
def test_8000_octet_request_line_supported(t, static):
	"""A long query keeps the path short: only the line length matters."""
	r = t.exchange(t.req("GET", static.path + "?q=" + "b" * 7900))
	assert r.status == 200, r


@rfc("9112", "3.2.1", "MUST")
def test_origin_form_with_query(t, static):
	r = t.exchange(t.req("GET", static.path + "?x=1&y=2"))
	assert r.status == 200 and r.body == static.body


@rfc("9112", "3.2.2", "MUST")
def test_absolute_form_accepted(t, static):
	r = t.exchange(t.req("GET", "http://%s%s" % (t.authority, static.path)))
	assert r.status == 200 and r.body == static.body


@rfc("9112", "3.2.3", "MUST")
def test_authority_form_not_served(t):
	"""authority-form belongs to CONNECT; an origin server refuses it."""
	r = t.exchange(t.req("CONNECT", "%s:443" % t.host))
	assert r.status in (400, 405, 501), r
	r = t.exchange(t.req("GET", "%s:443" % t.host))
	assert r.status == 400, r


@rfc("9110", "4.2.3", "MUST")
def test_percent_encoded_unreserved_equivalent(t, static):
	"""%7E-style encodings of unreserved characters name the same resource."""
	i = max(i for i, ch in enumerate(static.path) if ch.isalnum())
	target = static.path[:i] + "%%%02X" % ord(static.path[i]) + static.path[i + 1:]
	r = t.exchange(t.req("GET", target))
	assert r.status == 200 and r.body == static.body


# -- Host ---------------------------------------------------------------------------

@rfc("9112", "3.2", "MUST")
def test_missing_host_400(t, static):
	r = t.exchange(t.req("GET", static.path, host=None))
	assert r.status == 400, r


@rfc("9112", "3.2", "MUST")
def test_two_hosts_400(t, static):
	r = t.exchange(t.req("GET", static.path, headers=[("Host", t.authority)]))
	assert r.status == 400, r


@rfc("9112", "3.2", "MUST")
@pytest.mark.parametrize("value", ["a b", "exa mple.org", "[::1", "host/path"])
def test_invalid_host_400(t, value, static):
	r = t.exchange(t.req("GET", static.path, host=value))
	assert r.status == 400, r


@rfc("9110", "7.2", "MUST")
@pytest.mark.parametrize("value", ["", ":80"])
def test_empty_host_400(t, value):
	"""An http URI always has a host (RFC 9110 4.2.1): an empty one is invalid."""
	r = t.exchange(t.req("GET", "/index.html", host=value))
	assert r.status == 400, r


@rfc("9112", "3.2", "SHOULD")
@pytest.mark.parametrize("target", ["/index.html#frag", "/#frag"])
def test_fragment_in_target_400(t, target):
	"""origin-form is an absolute path and an optional query: no fragment."""
	r = t.exchange(t.req("GET", target))
	assert r.status == 400, r


@rfc("9112", "3.2", "SHOULD")
@pytest.mark.parametrize("target", [b"/caf\xc3\xa9", b"/\xc0\xaf"])
def test_non_ascii_target_400(t, target):
	"""A request-target is ASCII; non-ASCII is sent percent-encoded."""
	r = t.exchange(b"GET " + target + b" HTTP/1.1\r\nHost: " + t.authority.encode()
	               + b"\r\n\r\n")
	assert r.status == 400, r


@rfc("9112", "3.2", "MUST")
def test_http10_without_host_served(t, static):
	r = t.exchange(t.req("GET", static.path, version="HTTP/1.0", host=None))
	assert r.status == 200, r


# -- field lines ----------------------------------------------------------------------

@rfc("9110", "5.1", "MUST")
def test_field_names_case_insensitive(t, static):
	data = ("GET %s HTTP/1.1\r\nhOsT: %s\r\ncONNECTION: close\r\n\r\n"
	        % (static.path, t.authority)).encode()
	r, closed, _ = t.exchange_close(data)
	assert r.status == 200 and closed


@rfc("9112", "5.1", "MUST")
def test_whitespace_before_colon_400(t, static):
	data = t.req("GET", static.path, headers=[("X-Test ", "1")])
	assert_400_closed(t, data)


@rfc("9112", "5.1", "MUST")
def test_field_value_ows_trimmed(t, static):
	etag = t.exchange(t.req("GET", static.path)).header("ETag")
	if not etag:
		pytest.skip("fixture: GET %s has no ETag to test with" % static.path)
	data = ("GET %s HTTP/1.1\r\nHost: %s\r\nIf-None-Match: \t %s \t \r\n\r\n"
	        % (static.path, t.authority, etag)).encode()
	assert t.exchange(data).status == 304


@rfc("9112", "5.2", "MUST")
def test_obs_fold_rejected_or_replaced(t, static):
	data = ("GET %s HTTP/1.1\r\nHost: %s\r\nX-Folded: a\r\n  b\r\n\r\n"
	        % (static.path, t.authority)).encode()
	r = t.exchange(data)
	assert r.status in (400, 200), r


@rfc("9112", "2.2", "SHOULD")
def test_field_line_without_colon_400(t, static):
	assert_400_closed(t, t.req("GET", static.path, headers=[("X-No-Colon-Here", "")])
	                  .replace(b"X-No-Colon-Here: ", b"X-No-Colon-Here"))


@rfc("9110", "5.5", "MUST")
@pytest.mark.parametrize("ch", ["\x00", "\r"])
def test_nul_or_cr_in_value_rejected_or_replaced(t, ch, static):
	data = t.req("GET", static.path, headers=[("X-Bad", "a%sb" % ch)])
	with t.conn() as c:
		c.send(data)
		try:
			r = c.read_response()
		except wsh.ConnectionClosed:
			return
		assert r.status in (400, 200), r


@rfc("6585", "5", "MAY")
def test_huge_header_section_431(t, static):
	headers = [("X-Fill-%d" % i, "v" * 1000) for i in range(70)]
	with t.conn() as c:
		c.send(t.req("GET", static.path, headers=headers))
		r = c.read_response()
	assert r.status == 431, r


@rfc("9110", "15.5", "SHOULD")
@pytest.mark.parametrize("data", [
	b"GET /no-such-file.html HTTP/1.1\r\nHost: h\r\n\r\n",
	b"GET / HTTP/1.1\r\n\r\n",
])
def test_error_has_explanation(t, data):
	r = t.exchange(data)
	assert 400 <= r.status < 500 and len(r.body) > 0, r


# -- Date and Server ----------------------------------------------------------------------

@rfc("9110", "6.6.1", "MUST")
@pytest.mark.parametrize("kind", ["2xx", "4xx", "400"])
def test_date_on_2xx_3xx_4xx(t, static, kind):
	target = {"2xx": static.path, "4xx": "/no-such-file.html", "400": static.path}[kind]
	r = t.exchange(t.req("GET", target, host=None if kind == "400" else True))
	assert 200 <= r.status < 500
	assert r.has("Date"), r.headers


@rfc("9110", "5.6.7", "MUST")
def test_date_on_3xx(t, redirect_path):
	r = t.exchange(t.req("GET", redirect_path))
	assert 300 <= r.status < 400 and r.has("Date"), r


@rfc("9110", "5.6.7", "MUST")
def test_date_is_imf_fixdate(t, static):
	import time
	r = t.exchange(t.req("GET", static.path))
	ts = wsh.parse_imf_date(r.header("Date"))
	assert ts is not None, "Date %r is not an IMF-fixdate" % r.header("Date")
	assert abs(ts - time.time()) < 60, "Date is off by %ds" % (ts - time.time())
	assert wsh.parse_imf_date(r.header("Last-Modified")) is not None, r.header("Last-Modified")


@rfc("9110", "10.2.4", "MAY")
def test_server_header(t, static):
	assert t.exchange(t.req("GET", static.path)).header("Server")
