"""Header fields: Host rules, syntax errors, trimming, limits (431), and the
Date/Server headers of every response."""

import time

import pytest

import wsh
from mixed import mex, mixed_etag
from wsh import req, get, assert_error_response

CONF = """
server {
    listen 127.0.0.1:{port};
    server_name a.test;
    root {root}/a;
}
server {
    listen 127.0.0.1:{port};
    server_name b.test;
    root {root}/b;
}
"""

FILES = {"a/who.txt": b"A", "b/who.txt": b"B"}


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, files=FILES)


def raw(srv, head_lines, target="/who.txt", version="HTTP/1.1", method="GET"):
	"""A request whose header lines are given verbatim (bytes or str)."""
	out = ("%s %s %s\r\n" % (method, target, version)).encode()
	for ln in head_lines:
		out += (ln.encode("latin-1") if isinstance(ln, str) else ln) + b"\r\n"
	return wsh.exchange(srv.port, out + b"\r\n", method)


def who(srv, head_lines):
	r = raw(srv, head_lines)
	assert r.status == 200, r
	return r.body


@pytest.mark.rfc("9112", "3.2", "MUST")
def test_missing_host_11_is_400(srv):
	r = raw(srv, ["User-Agent: x"])
	assert_error_response(r, 400)


@pytest.mark.rfc("9112", "3.2", "MUST")
@pytest.mark.parametrize("hosts", [["a.test", "b.test"], ["a.test", "a.test"]])
def test_several_hosts_400(srv, hosts):
	r = raw(srv, ["Host: %s" % h for h in hosts])
	assert_error_response(r, 400)


@pytest.mark.rfc("9112", "3.2", "MUST")
@pytest.mark.parametrize("value", ["a/b", "a b", "a@b", "a.test:abc", "[::1", "a\\b",
                                   "a.test:80:80", "a?b"])
def test_invalid_host_400(srv, value):
	r = raw(srv, ["Host: " + value])
	assert_error_response(r, 400)


@pytest.mark.rfc("9110", "7.2", "MUST")
@pytest.mark.parametrize("line", ["Host:", "Host: ", "Host: \t ", "Host: :80"])
def test_empty_host_400(srv, line):
	"""An http URI always has a host (RFC 9110 4.2.1): an empty Host value
	is invalid, not a request for the default server."""
	r = raw(srv, [line])
	assert_error_response(r, 400)


@pytest.mark.rfc("9110", "7.2", "MUST")
def test_empty_host_http10_400(srv):
	r = raw(srv, ["Host:"], version="HTTP/1.0")
	assert_error_response(r, 400)


def test_host_routes(srv):
	assert who(srv, ["Host: a.test"]) == b"A"
	assert who(srv, ["Host: b.test"]) == b"B"


@pytest.mark.rfc("9112", "5.1", "MUST")
@pytest.mark.parametrize("line", ["Host:b.test", "Host:   b.test", "Host: b.test   ",
                                  "Host:\tb.test\t", "Host: \t b.test \t "])
def test_value_whitespace_trimmed(srv, line):
	assert who(srv, [line]) == b"B"


@pytest.mark.rfc("9110", "5.1", "MUST")
def test_field_name_case_insensitive(srv):
	assert who(srv, ["hOsT: b.test"]) == b"B"
	assert who(srv, ["HOST: b.test"]) == b"B"


@pytest.mark.rfc("9110", "4.2.3", "MUST")
def test_host_case_insensitive_and_port_stripped(srv):
	assert who(srv, ["Host: B.TEST"]) == b"B"
	assert who(srv, ["Host: b.test:%d" % srv.port]) == b"B"
	assert who(srv, ["Host: B.Test:%d" % srv.port]) == b"B"


def test_unknown_host_goes_to_default(srv):
	assert who(srv, ["Host: nowhere.test"]) == b"A"
	assert who(srv, ["Host: 127.0.0.1:%d" % srv.port]) == b"A"


@pytest.mark.rfc("9112", "5.1", "MUST")
@pytest.mark.parametrize("line", ["Host : b.test", "Host\t: b.test"])
def test_whitespace_before_colon_host_400(srv, line):
	r = raw(srv, [line])
	assert_error_response(r, 400)


@pytest.mark.rfc("9112", "5.1", "MUST")
def test_whitespace_before_colon_other_400(srv):
	r = raw(srv, ["Host: a.test", "X-Thing : 1"])
	assert_error_response(r, 400)


@pytest.mark.rfc("9112", "5.2", "MUST")
@pytest.mark.parametrize("fold", [" continued", "\tcontinued"])
def test_obs_fold_400(srv, fold):
	r = raw(srv, ["Host: a.test", "X-Long: first", fold])
	assert_error_response(r, 400)


def test_obs_fold_of_host_400(srv):
	r = raw(srv, ["Host: a.test", " b.test"])
	assert_error_response(r, 400)


@pytest.mark.parametrize("line", ["X-No-Colon", "X-No-Colon value", ": empty-name",
                                  "X(bad): 1", "X\x01: 1", "X Y: 1"])
def test_malformed_field_line_400(srv, line):
	r = raw(srv, ["Host: a.test", line])
	assert_error_response(r, 400)


@pytest.mark.rfc("9110", "5.5", "MUST")
@pytest.mark.parametrize("value", [b"a\x01b", b"a\x00b", b"a\x7fb", b"a\x1bb", b"a\rb",
                                   b"\x0c", b"a\x1fb"])
def test_control_char_in_value_400(srv, value):
	r = raw(srv, [b"Host: a.test", b"X-Ctl: " + value])
	assert_error_response(r, 400)


def test_control_char_in_host_400(srv):
	r = raw(srv, [b"Host: a.\x01test"])
	assert_error_response(r, 400)


def test_htab_in_value_ok(srv):
	assert who(srv, ["Host: b.test", "X-Tab: a\tb\tc"]) == b"B"


@pytest.mark.rfc("9110", "5.5", "MAY")
def test_obs_text_in_value_ok(srv):
	assert who(srv, [b"Host: b.test", b"X-Latin: caf\xe9"]) == b"B"


def test_empty_value_ok(srv):
	assert who(srv, ["Host: b.test", "X-Empty:", "X-Blank:   "]) == b"B"


def test_unknown_headers_ignored(srv):
	assert who(srv, ["Host: b.test", "X-Whatever: 1", "Foo-Bar: baz",
	                 "Accept: */*", "Cookie: a=b"]) == b"B"


def test_bad_header_closes_connection(srv):
	with srv.conn() as c:
		c.send(b"GET /who.txt HTTP/1.1\r\nHost: a.test\r\nBad Header: 1\r\n\r\n"
		       b"GET /who.txt HTTP/1.1\r\nHost: a.test\r\n\r\n")
		r = c.read_response()
		assert r.status == 400
		wsh.assert_closed_after(c, "a 400")


# -- limits -----------------------------------------------------------------

def fields(n, size=10):
	return ["X-F%d: %s" % (i, "v" * size) for i in range(n)]


def test_100_fields_ok(srv):
	assert who(srv, ["Host: b.test"] + fields(99)) == b"B"


def test_101_fields_431(srv):
	r = raw(srv, ["Host: b.test"] + fields(100))
	assert_error_response(r, 431)


def test_many_fields_431(srv):
	r = raw(srv, ["Host: b.test"] + fields(1000, size=2))
	assert_error_response(r, 431)


def test_header_section_just_under_32k_ok(srv):
	# 30 fields of ~1000 bytes: about 30 KiB
	assert who(srv, ["Host: b.test"] + fields(30, size=1000)) == b"B"


def test_header_section_over_32k_431(srv):
	r = raw(srv, ["Host: b.test"] + fields(40, size=1000))
	assert_error_response(r, 431)


def test_single_field_over_32k_431(srv):
	r = raw(srv, ["Host: b.test", "X-Big: " + "b" * 33000])
	assert_error_response(r, 431)


def test_long_field_line_over_8k_ok(srv):
	"""The 8 KiB limit is for the request line, not for field lines."""
	assert who(srv, ["Host: b.test", "Cookie: " + "c" * 16000]) == b"B"


def test_header_section_over_32k_without_end_431(srv):
	"""431 once the limit is passed, without waiting for the blank line."""
	with srv.conn() as c:
		c.send(b"GET /who.txt HTTP/1.1\r\nHost: b.test\r\n" + b"X-Pad: " + b"p" * 40000)
		r = c.read_response()
		assert_error_response(r, 431)
		assert c.is_closed()


def test_431_closes_connection(srv):
	with srv.conn() as c:
		c.send(("GET /who.txt HTTP/1.1\r\nHost: b.test\r\n" + "\r\n".join(fields(200))
		        + "\r\n\r\n").encode())
		r = c.read_response()
		assert r.status == 431
		assert c.is_closed()


# -- Date and Server ----------------------------------------------------------

@pytest.mark.rfc("9110", "6.6.1", "MUST")
@pytest.mark.parametrize("data,method", [
	(b"GET /who.txt HTTP/1.1\r\nHost: a.test\r\n\r\n", "GET"),
	(b"HEAD /who.txt HTTP/1.1\r\nHost: a.test\r\n\r\n", "HEAD"),
	(b"GET /missing HTTP/1.1\r\nHost: a.test\r\n\r\n", "GET"),
	(b"GET / HTTP/1.1\r\n\r\n", "GET"),
	(b"FOO / HTTP/1.1\r\nHost: a.test\r\n\r\n", "GET"),
	(b"GET / HTTP/2.0\r\nHost: a.test\r\n\r\n", "GET"),
	(b"GET /who.txt HTTP/1.0\r\n\r\n", "GET"),
])
def test_date_and_server_on_every_response(srv, data, method):
	r = wsh.exchange(srv.port, data, method)
	assert r.has("Server"), r.headers
	assert (r.header("Server") or "").strip() != ""
	assert len(r.headers_all("Date")) == 1, r.headers
	ts = wsh.parse_imf_date(r.header("Date"))
	assert ts is not None, "Date is not an IMF-fixdate: %r" % r.header("Date")
	assert abs(ts - time.time()) < 300


# -- Date and Server on unusual responses (on the mixed server) --------------

@pytest.mark.rfc("9110", "6.6.1", "MUST")
def test_dates_and_servers_on_odd_responses(mixed_srv):
	et = mixed_etag(mixed_srv)
	reqs = [req("GET", "/r.txt", {"If-None-Match": et}),
	        req("GET", "/r.txt", {"Range": "bytes=1-2"}),
	        req("GET", "/r.txt", {"Range": "bytes=50-"}),
	        req("PUT", "/up/dates.txt", {"Content-Length": 1}, b"d"),
	        req("DELETE", "/up/dates.txt"),
	        get("/cgi/edge.py"), get("/cgi/edge.py?s304"), get("/auto"),
	        req("PATCH", "/a.txt"), req("BREW", "/a.txt")]
	for q in reqs:
		r = mex(mixed_srv, q)
		assert r.has("Date") and wsh.parse_imf_date(r.header("Date")), q
		assert r.has("Server"), q
