"""Features of webserv's demo site (conf/default.conf): PUT/DELETE and
uploads in /uploads/, CGI in /cgi/, the second virtual host. These tests
run only when CONFORMANCE_DEMO=1 (webserv started by `make conformance`)."""

import html
import re
import uuid

import pytest

import wsh

rfc = pytest.mark.rfc
pytestmark = pytest.mark.demo


def uname(ext=".txt"):
	return "cf-" + uuid.uuid4().hex[:12] + ext


def delete(t, path):
	return t.exchange(t.req("DELETE", path), "DELETE")


def cgi_env(t, target="/cgi/env.py", method="GET", headers=(), body=b"", version="HTTP/1.1"):
	hdrs = list(headers)
	if body:
		hdrs.append(("Content-Length", str(len(body))))
	r = t.exchange(t.req(method, target, hdrs, body, version=version))
	assert r.status == 200, r
	env = {}
	for k, v in re.findall(r"<tr><th>(.*?)</th><td><code>(.*?)</code></td></tr>", r.text, re.S):
		env[html.unescape(k)] = html.unescape(v)
	assert env, "no environment table in %r" % r.text[:300]
	return env


def multipart(parts, boundary="----cfBoundary7MA4YWxkTrZu0gW", preamble=b"", epilogue=b""):
	"""parts: (name, filename or None, content type or None, data)."""
	out = preamble
	for name, filename, ctype, data in parts:
		out += b"--%s\r\n" % boundary.encode()
		disp = 'form-data; name="%s"' % name
		if filename is not None:
			disp += '; filename="%s"' % filename
		out += b"Content-Disposition: %s\r\n" % disp.encode()
		if ctype:
			out += b"Content-Type: %s\r\n" % ctype.encode()
		out += b"\r\n" + data + b"\r\n"
	return out + b"--%s--\r\n" % boundary.encode() + epilogue


def post_multipart(t, body, boundary="----cfBoundary7MA4YWxkTrZu0gW", ctype_boundary=None):
	hdrs = [("Content-Type", "multipart/form-data; boundary=%s" % (ctype_boundary or boundary)),
	        ("Content-Length", str(len(body)))]
	return t.exchange(t.req("POST", "/uploads/", hdrs, body))


def fetch(t, path):
	return t.exchange(t.req("GET", path))


# -- fixed answers, virtual hosts -----------------------------------------------------

def test_teapot_return_text(t):
	r = fetch(t, "/teapot")
	assert r.status == 418 and r.content_type == "text/plain" and b"teapot" in r.body


@rfc("9112", "3.2.2", "MUST")
def test_absolute_form_host_wins(t, www):
	r = t.exchange(t.req("GET", "http://other.local/", host="localhost"))
	assert r.status == 200 and r.body == (www / "vhost/index.html").read_bytes()


@rfc("9110", "7.2", "MUST")
def test_host_selects_virtual_host(t, www):
	r = t.exchange(t.req("GET", "/", host="OTHER.local:%d" % t.port))
	assert r.status == 200 and r.body == (www / "vhost/index.html").read_bytes()


# -- PUT / DELETE -----------------------------------------------------------------------

@rfc("9110", "9.3.4", "MUST")
def test_put_created_then_replaced(t):
	name = uname()
	path = "/uploads/" + name
	r = t.exchange(t.req("PUT", path, [("Content-Length", "3")], b"one"))
	assert r.status == 201, r
	assert r.header("Location"), "201 without Location"
	r = t.exchange(t.req("PUT", path, [("Content-Length", "3")], b"two"))
	assert r.status in (200, 204), r
	assert fetch(t, path).body == b"two"
	delete(t, path)


@rfc("9110", "8.6", "MUST")
def test_204_has_no_content_length_nor_body(t):
	name = uname()
	path = "/uploads/" + name
	t.exchange(t.req("PUT", path, [("Content-Length", "3")], b"one"))
	with t.conn() as c:
		c.send(t.req("DELETE", path) + t.req("GET", "/files/readme.txt"))
		r = c.read_response("DELETE")
		r2 = c.read_response()
	assert r.status == 204, r
	assert not r.has("Content-Length"), r.headers
	assert r2.status == 200 and r2.body.startswith(b"Plain text"), "204 carried a body"


@rfc("9110", "9.3.5", "SHOULD")
def test_delete_then_gone(t):
	path = "/uploads/" + uname()
	t.exchange(t.req("PUT", path, [("Content-Length", "1")], b"x"))
	r = delete(t, path)
	assert r.status in (200, 202, 204), r
	assert fetch(t, path).status == 404
	assert delete(t, path).status == 404


@rfc("9110", "9.3.3", "SHOULD")
def test_post_raw_created_with_location(t):
	name = uname()
	r = t.exchange(t.req("POST", "/uploads/" + name, [("Content-Length", "5"),
	                                                   ("Content-Type", "text/plain")], b"hello"))
	assert r.status == 201 and r.header("Location"), r
	loc = r.header("Location")
	assert fetch(t, loc if loc.startswith("/") else "/uploads/" + name).body == b"hello"
	delete(t, "/uploads/" + loc.rsplit("/", 1)[-1])


# -- multipart/form-data (RFC 7578) ----------------------------------------------------

@rfc("7578", "4.2", "MUST")
def test_multipart_file_stored_under_its_name(t):
	name = uname()
	body = multipart([("files", name, "text/plain", b"multipart content\r\n--not a boundary")])
	r = post_multipart(t, body)
	assert r.status == 201, r
	assert r.header("Location", "").endswith("/" + name), r.headers
	assert fetch(t, "/uploads/" + name).body == b"multipart content\r\n--not a boundary"
	delete(t, "/uploads/" + name)


@rfc("7578", "4.3", "MUST")
def test_multipart_several_files_same_name(t):
	a, b = uname(), uname(".bin")
	body = multipart([("files", a, "text/plain", b"first"),
	                  ("note", None, None, b"a plain field"),
	                  ("files", b, "application/octet-stream", bytes(range(256)))])
	r = post_multipart(t, body)
	assert r.status == 201, r
	assert fetch(t, "/uploads/" + a).body == b"first"
	assert fetch(t, "/uploads/" + b).body == bytes(range(256))
	delete(t, "/uploads/" + a)
	delete(t, "/uploads/" + b)


@rfc("7578", "4.1", "MUST")
def test_multipart_preamble_epilogue_and_quoted_boundary(t):
	name = uname()
	boundary = "b'()+_,-./:=? q"
	body = multipart([("f", name, None, b"quoted")], boundary=boundary,
	                 preamble=b"This is a preamble.\r\n", epilogue=b"\r\nepilogue")
	r = post_multipart(t, body, boundary=boundary, ctype_boundary='"%s"' % boundary)
	assert r.status == 201, r
	assert fetch(t, "/uploads/" + name).body == b"quoted"
	delete(t, "/uploads/" + name)


@rfc("7578", "4.2", "SHOULD")
@pytest.mark.parametrize("prefix", ["../../", "C:\\Users\\x\\", "/etc/"])
def test_multipart_filename_path_dropped(t, prefix):
	name = uname()
	r = post_multipart(t, multipart([("f", prefix + name, "text/plain", b"pathless")]))
	assert r.status == 201, r
	assert fetch(t, "/uploads/" + name).body == b"pathless"
	delete(t, "/uploads/" + name)


@rfc("7578", "4.1", "MUST")
def test_multipart_unterminated_rejected(t):
	name = uname()
	body = multipart([("f", name, "text/plain", b"data")])[:-30]
	r = post_multipart(t, body)
	assert r.status == 400, r
	assert fetch(t, "/uploads/" + name).status == 404, "partial upload left behind"


# -- CGI (RFC 3875) ------------------------------------------------------------------------

@rfc("3875", "4.1.4", "MUST")
def test_cgi_gateway_interface(t):
	assert cgi_env(t)["GATEWAY_INTERFACE"] == "CGI/1.1"


@rfc("3875", "4.1.12", "MUST")
def test_cgi_request_method(t):
	assert cgi_env(t, method="POST", body=b"a=1")["REQUEST_METHOD"] == "POST"


@rfc("3875", "4.1.7", "MUST")
def test_cgi_query_string_not_decoded(t):
	assert cgi_env(t, "/cgi/env.py?x=1&y=%41+b")["QUERY_STRING"] == "x=1&y=%41+b"
	assert cgi_env(t).get("QUERY_STRING") == ""


@rfc("3875", "4.1.5", "MUST")
def test_cgi_path_info_and_script_name(t):
	env = cgi_env(t, "/cgi/env.py/extra/path?x=1")
	assert env["PATH_INFO"] == "/extra/path"
	assert env["SCRIPT_NAME"] == "/cgi/env.py"


@rfc("3875", "4.1.14", "MUST")
def test_cgi_server_variables(t):
	env = cgi_env(t)
	assert env["SERVER_NAME"] and env["SERVER_PORT"] == str(t.port)
	assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
	assert env["SERVER_SOFTWARE"]
	assert env["REMOTE_ADDR"]


@rfc("3875", "4.1.2", "MUST")
def test_cgi_content_length_and_type(t):
	env = cgi_env(t, method="POST", headers=[("Content-Type", "text/x-cf")], body=b"12345")
	assert env["CONTENT_LENGTH"] == "5" and env["CONTENT_TYPE"] == "text/x-cf"


@rfc("3875", "4.1.18", "MUST")
def test_cgi_http_variables(t):
	env = cgi_env(t, headers=[("X-Conformance-Test", "yes"), ("Accept-Language", "fr")])
	assert env.get("HTTP_X_CONFORMANCE_TEST") == "yes"
	assert env.get("HTTP_ACCEPT_LANGUAGE") == "fr"


@rfc("3875", "4.2", "MUST")
@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_cgi_request_body_on_stdin(t, framing):
	body = b"name=Ada+Lovelace&colour=%3Cgreen%3E"
	hdrs = [("Content-Type", "application/x-www-form-urlencoded")]
	if framing == "chunked":
		data = t.req("POST", "/cgi/form.py", hdrs + [("Transfer-Encoding", "chunked")],
		             wsh.chunked(body[:10], body[10:]))
	else:
		data = t.req("POST", "/cgi/form.py", hdrs + [("Content-Length", str(len(body)))], body)
	r = t.exchange(data)
	# The demo form follows Post/Redirect/Get: what the script read from
	# stdin comes back in the 303's Location.
	if r.status == 303:
		r = t.exchange(t.req("GET", r.header("Location") or "", []))
	assert r.status == 200, r
	assert "Ada Lovelace" in r.text and "&lt;green&gt;" in r.text, r.text[:500]


@rfc("3875", "6.3.4", "MUST")
def test_cgi_set_cookie_passed(t):
	body = b"action=login&name=conformance"
	r = t.exchange(t.req("POST", "/cgi/session.py", [
		("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", str(len(body)))],
		body))
	assert r.status in (200, 303), r  # 303: Post/Redirect/Get, the cookie comes with it
	cookie = r.header("Set-Cookie") or ""
	assert cookie.startswith("SID="), r.headers
	sid = cookie.split(";")[0]
	r2 = t.exchange(t.req("GET", "/cgi/session.py", [("Cookie", sid)]))
	# After a 303 (Post/Redirect/Get) the first page shown is visit 1.
	assert ('id="visits">%d<' % (1 if r.status == 303 else 2)) in r2.text, r2.text[:500]
	t.exchange(t.req("POST", "/cgi/session.py", [
		("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", "13"),
		("Cookie", sid)], b"action=logout"))


@rfc("9112", "6.1", "MUST")
def test_cgi_output_framed_for_http11_and_10(t):
	"""env.py sends no Content-Length: chunked (never with a Content-Length)
	for HTTP/1.1, close-delimited or length-framed for HTTP/1.0."""
	with t.conn() as c:
		c.send(t.req("GET", "/cgi/env.py") + t.req("GET", "/files/readme.txt"))
		r1, r2 = c.read_responses(2)
	assert r1.status == 200 and b"GATEWAY_INTERFACE" in r1.body
	assert not (r1.has("Transfer-Encoding") and r1.has("Content-Length")), r1.headers
	assert r2.status == 200
	r = t.exchange(t.req("GET", "/cgi/env.py", version="HTTP/1.0"))
	assert r.status == 200 and not r.has("Transfer-Encoding") and b"GATEWAY_INTERFACE" in r.body


@rfc("3875", "6.3", "MUST")
def test_cgi_response_has_server_fields(t):
	r = fetch(t, "/cgi/hello.py")
	assert r.status == 200 and r.content_type == "text/html" and r.has("Date"), r.headers
	assert b"Hello from CGI" in r.body


@rfc("9112", "6.3", "MUST")
def test_incomplete_body_not_processed(t):
	"""A PUT whose body ends early (the client shuts its side down) is not
	processed: no 2xx, no partial file."""
	import socket
	path = "/uploads/" + uname()
	with t.conn() as c:
		c.send(t.req("PUT", path, [("Content-Length", "100")], b"only ten b"))
		c.sock.shutdown(socket.SHUT_WR)
		try:
			r = c.read_response()
			assert not 200 <= r.status < 300, "incomplete PUT answered %r" % r
		except (wsh.ConnectionClosed, wsh.ResponseTimeout):
			pass
	assert fetch(t, path).status == 404, "a partial file was stored"


@rfc("9112", "6.1", "MUST")
def test_no_transfer_encoding_on_100_and_204(t):
	name = "/uploads/" + uname()
	with t.conn() as c:
		c.send(t.req("PUT", name, [("Content-Length", "5"), ("Expect", "100-continue")]))
		r = c.read_response("PUT")
		assert r.status == 100, r
		assert not r.has("Transfer-Encoding"), r.headers
		c.send(b"hello")
		assert c.read_response("PUT").status == 201
	r = delete(t, name)
	assert r.status == 204 and not r.has("Transfer-Encoding"), r.headers


@rfc("9112", "6.2", "MUST")
def test_no_content_length_with_transfer_encoding(t):
	"""CGI output without a length is sent chunked, without Content-Length."""
	r = t.exchange(t.req("GET", "/cgi/env.py"))
	assert r.status == 200
	if r.has("Transfer-Encoding"):
		assert not r.has("Content-Length"), r.headers
	else:
		pytest.skip("the CGI response was not chunked")


@rfc("9112", "7.1.2", "MUST")
def test_trailer_not_merged_into_header(t):
	"""A trailer field never reaches the CGI as a header field."""
	body = wsh.chunked("a=1", trailers=[("X-Cf-Trailer", "merged")])
	r = t.exchange(t.req("POST", "/cgi/env.py", [("Transfer-Encoding", "chunked"),
	                                             ("Content-Type", "text/plain")], body))
	assert r.status == 200, r
	assert "HTTP_X_CF_TRAILER" not in r.text and "merged" not in r.text, r.text[:300]


@rfc("9110", "9.3.4", "MUST")
def test_put_with_content_range_400(t):
	name = "/uploads/" + uname()
	r = t.exchange(t.req("PUT", name, [("Content-Length", "5"),
	                                   ("Content-Range", "bytes 0-4/10")], b"hello"), "PUT")
	assert r.status == 400, r
	assert fetch(t, name).status == 404, "a partial PUT was stored"


@rfc("9110", "9.3.4", "MUST")
def test_put_validator_matches_stored(t):
	"""A validator in a PUT response is the one of the stored bytes."""
	name = "/uploads/" + uname()
	r = t.exchange(t.req("PUT", name, [("Content-Length", "5")], b"hello"), "PUT")
	assert r.status == 201, r
	g = fetch(t, name)
	assert g.body == b"hello"
	if r.has("ETag"):
		assert r.header("ETag") == g.header("ETag"), (r.headers, g.headers)
	delete(t, name)
