"""Methods, status codes, representation metadata, conditional and range
requests (RFC 9110 sections 8, 9, 10, 13, 14, 15)."""

import time

import pytest

import wsh

rfc = pytest.mark.rfc


def get(t, target, headers=(), method="GET"):
	return t.exchange(t.req(method, target, headers), method)


# -- GET / HEAD ------------------------------------------------------------------------

@rfc("9110", "9.3.1", "MUST")
@pytest.mark.demo
@pytest.mark.parametrize("path", ["index.html", "files/readme.txt", "files/data.json", "style.css"])
def test_get_transfers_representation(t, www, path):
	r = get(t, "/" + path)
	assert r.status == 200 and r.body == (www / path).read_bytes()


@rfc("9110", "9.3.1", "MUST")
def test_get_same_representation_twice(t, static):
	"""Two GETs of an unchanged file transfer the same bytes."""
	r = get(t, static.path)
	assert r.status == 200 and r.body == static.body


@rfc("9110", "8.3", "SHOULD")
@pytest.mark.demo
@pytest.mark.parametrize("path,ctype", [("index.html", "text/html"),
                                        ("files/readme.txt", "text/plain"),
                                        ("files/data.json", "application/json"),
                                        ("style.css", "text/css")])
def test_content_type(t, path, ctype):
	assert get(t, "/" + path).content_type == ctype


@rfc("9110", "8.3", "SHOULD")
def test_content_type_present(t, static):
	assert get(t, static.path).content_type, "no Content-Type on a file with content"


@rfc("9110", "9.3.2", "MUST")
@pytest.mark.parametrize("kind", ["file", "404", "listing"])
def test_head_has_no_body(t, static, kind, request):
	"""Nothing follows a HEAD response's header section: the next pipelined
	response starts right after it."""
	target = {"file": static.path, "404": "/no-such-file.html"}.get(kind)
	if kind == "listing":
		target = request.getfixturevalue("listing_path")
	with t.conn() as c:
		c.send(t.req("HEAD", target) + t.req("GET", static.path))
		h = c.read_response("HEAD")
		r = c.read_response()
	assert h.status in (200, 404)
	assert r.status == 200 and r.body == static.body, "HEAD sent a body"


@rfc("9110", "9.3.2", "SHOULD")
def test_head_same_fields_as_get(t, static):
	g = get(t, static.path)
	h = get(t, static.path, method="HEAD")
	for name in ("Content-Type", "Content-Length", "Last-Modified", "ETag"):
		assert h.header(name) == g.header(name), name


@rfc("9110", "8.6", "MUST")
def test_head_content_length_matches_get(t, static):
	h = get(t, static.path, method="HEAD")
	if h.has("Content-Length"):
		assert int(h.header("Content-Length")) == len(static.body)


# -- methods and status codes -----------------------------------------------------------------

@rfc("9110", "15.5.6", "MUST")
@pytest.mark.parametrize("method", ["DELETE", "PUT", "POST"])
def test_405_has_allow(t, method, static):
	r = t.exchange(t.req(method, static.path, [("Content-Length", "0")]))
	assert r.status == 405, r
	allow = [m.strip() for m in (r.header("Allow") or "").split(",")]
	assert "GET" in allow, "405 without an Allow listing GET: %r" % r.headers


@rfc("9110", "10.2.1", "MUST")
def test_allow_lists_valid_methods_only(t, static):
	r = t.exchange(t.req("DELETE", static.path))
	assert r.status == 405
	allow = [m.strip() for m in (r.header("Allow") or "").split(",") if m.strip()]
	assert allow and "DELETE" not in allow, allow


@rfc("9110", "15.5.5", "MAY")
def test_missing_404(t):
	r = get(t, "/no-such-file.html")
	assert r.status == 404 and r.body


@rfc("9110", "15.4.2", "SHOULD")
def test_301_has_location(t, redirect_path):
	r = get(t, redirect_path)
	assert 300 <= r.status < 400 and r.header("Location"), r


@rfc("9110", "10.2.2", "MUST")
@pytest.mark.demo
@pytest.mark.parametrize("target,expect", [("/old-page", "/"), ("/files/docs", "/files/docs/")])
def test_location_resolves_to_target(t, target, expect):
	from urllib.parse import urljoin, urlsplit
	r = get(t, target)
	assert r.status == 301
	loc = urljoin(t.url + target, r.header("Location"))
	assert urlsplit(loc).path == expect, loc


@rfc("9110", "10.2.2", "MUST")
def test_directory_redirect_location(t, listing_path):
	"""The directory without its slash is redirected to the directory."""
	from urllib.parse import urljoin, urlsplit
	target = listing_path.rstrip("/")
	r = get(t, target)
	assert r.status in (301, 302, 307, 308), r
	loc = urljoin(t.url + target, r.header("Location"))
	assert urlsplit(loc).path == listing_path, loc


@rfc("9110", "8.6", "MUST")
def test_no_content_length_on_304(t, static):
	etag = get(t, static.path).header("ETag")
	r = get(t, static.path, [("If-None-Match", etag)])
	assert r.status == 304
	cl = r.header("Content-Length")
	assert cl is None or int(cl) == len(get(t, static.path).body)


# -- validators ------------------------------------------------------------------------------

@rfc("9110", "8.8.3", "MUST")
def test_etag_syntax(t, static):
	import re
	etag = get(t, static.path).header("ETag")
	assert etag and re.match(r'^(W/)?"[\x21\x23-\x7e\x80-\xff]*"$', etag), etag


@rfc("9110", "8.8.2", "SHOULD")
def test_last_modified_not_in_future(t, static):
	r = get(t, static.path)
	lm = wsh.parse_imf_date(r.header("Last-Modified"))
	assert lm is not None and lm <= time.time() + 5, r.header("Last-Modified")


# -- conditional requests ---------------------------------------------------------------------

@rfc("9110", "13.1.2", "MUST")
def test_if_none_match_304(t, static):
	r0 = get(t, static.path)
	r = get(t, static.path, [("If-None-Match", r0.header("ETag"))])
	assert r.status == 304 and r.body == b""


@rfc("9110", "13.1.2", "MUST")
def test_if_none_match_list_and_weak(t, static):
	etag = get(t, static.path).header("ETag")
	weak = etag if etag.startswith("W/") else "W/" + etag
	r = get(t, static.path, [("If-None-Match", '"nope", %s' % weak)])
	assert r.status == 304, r


@rfc("9110", "13.1.2", "MUST")
def test_if_none_match_star(t, static):
	assert get(t, static.path, [("If-None-Match", "*")]).status == 304


@rfc("9110", "13.1.2", "MUST")
def test_if_none_match_mismatch_200(t, static):
	assert get(t, static.path, [("If-None-Match", '"no-such-etag"')]).status == 200


@rfc("9110", "15.4.5", "MUST")
def test_304_keeps_etag_and_date(t, static):
	etag = get(t, static.path).header("ETag")
	r = get(t, static.path, [("If-None-Match", etag)])
	assert r.status == 304 and r.header("ETag") == etag and r.has("Date"), r.headers


@rfc("9110", "13.1.3", "SHOULD")
def test_if_modified_since_304(t, static):
	r = get(t, static.path)
	lm = r.header("Last-Modified")
	assert get(t, static.path, [("If-Modified-Since", lm)]).status == 304
	# Later than Last-Modified, but not later than the server's clock (a
	# date from the future is ignored).
	later = wsh.imf_date(min(wsh.parse_imf_date(lm) + 3600, wsh.parse_imf_date(r.header("Date"))))
	assert get(t, static.path, [("If-Modified-Since", later)]).status == 304


@rfc("9110", "13.1.3", "SHOULD")
def test_if_modified_since_in_the_future_ignored(t, static):
	"""A date later than the server's clock cannot be one it sent: 200."""
	r = get(t, static.path)
	future = wsh.imf_date(wsh.parse_imf_date(r.header("Date")) + 365 * 86400)
	r = get(t, static.path, [("If-Modified-Since", future)])
	assert r.status == 200 and r.body


@rfc("9110", "13.1.3", "SHOULD")
def test_if_modified_since_earlier_200(t, static):
	lm = wsh.parse_imf_date(get(t, static.path).header("Last-Modified"))
	r = get(t, static.path, [("If-Modified-Since", wsh.imf_date(lm - 3600))])
	assert r.status == 200 and r.body


@rfc("9110", "13.1.3", "MUST")
def test_if_modified_since_ignored_with_if_none_match(t, static):
	lm = get(t, static.path).header("Last-Modified")
	r = get(t, static.path, [("If-None-Match", '"no-such-etag"'), ("If-Modified-Since", lm)])
	assert r.status == 200, r


@rfc("9110", "13.1.3", "MUST")
def test_if_modified_since_invalid_date_ignored(t, static):
	r = get(t, static.path, [("If-Modified-Since", "yesterday at noon")])
	assert r.status == 200, r


@rfc("9110", "13.2.2", "MUST")
def test_conditionals_ignored_on_error(t):
	r = get(t, "/no-such-file.html", [("If-None-Match", "*")])
	assert r.status == 404, r


# -- ranges ---------------------------------------------------------------------------------

def _whole(static):
	return static.body


@rfc("9110", "14.2", "MAY")
@pytest.mark.parametrize("spec,lo,hi", [("0-9", 0, 9), ("5-", 5, None), ("-6", None, None)])
def test_range_206(t, spec, lo, hi, static):
	data = _whole(static)
	n = len(data)
	if spec.startswith("-"):
		lo, hi = n - 6, n - 1
	elif hi is None:
		hi = n - 1
	r = get(t, static.path, [("Range", "bytes=" + spec)])
	assert r.status == 206, r
	assert r.body == data[lo:hi + 1]
	assert r.header("Content-Range") == "bytes %d-%d/%d" % (lo, hi, n)


@rfc("9110", "15.3.7", "MUST")
def test_206_has_content_range(t, static):
	r = get(t, static.path, [("Range", "bytes=1-3")])
	assert r.status == 206 and r.has("Content-Range"), r


@rfc("9110", "14.1.2", "MUST")
def test_range_end_beyond_length_clamped(t, static):
	data = _whole(static)
	r = get(t, static.path, [("Range", "bytes=10-99999")])
	assert r.status == 206 and r.body == data[10:]
	assert r.header("Content-Range") == "bytes 10-%d/%d" % (len(data) - 1, len(data))


@rfc("9110", "15.5.17", "SHOULD")
def test_unsatisfiable_416(t, static):
	r = get(t, static.path, [("Range", "bytes=99999-")])
	assert r.status == 416, r
	assert r.header("Content-Range") == "bytes */%d" % len(_whole(static)), r.headers


@rfc("9110", "14.2", "MUST")
@pytest.mark.parametrize("value", ["items=0-5", "bytes=abc", "bytes=5-1"])
def test_range_unknown_unit_or_invalid_ignored(t, value, static):
	r = get(t, static.path, [("Range", value)])
	assert r.status in (200, 416) if value != "items=0-5" else r.status == 200, r
	if r.status == 200:
		assert r.body == _whole(static)


@rfc("9110", "14.2", "MUST")
def test_range_ignored_for_post(t, static):
	r = t.exchange(t.req("POST", static.path, [("Range", "bytes=0-3"), ("Content-Length", "0")]))
	assert r.status != 206, r


@rfc("9110", "14.3", "MAY")
def test_accept_ranges_bytes(t, static):
	assert "bytes" in get(t, static.path).tokens("Accept-Ranges")
