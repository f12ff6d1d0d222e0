"""Multipart uploads as browsers send them: a part with filename="" (an
optional file input left empty) is skipped, data and all, not an error; and the
Location of a stored file is a URL that serves it (the store location's
path joined with the stored name), whatever path below the location the
form was posted to."""

import json
import os
import uuid
from urllib.parse import urlsplit

import pytest

import wsh
from wsh import req, get

CONF = """
server {
    listen 127.0.0.1:{port};
    server_name localhost;
    root {root};
    location /uploads {
        allow_methods GET HEAD POST DELETE;
        upload_store {tmp}/store;
        alias {tmp}/store;
    }
    location /files/ {
        allow_methods GET HEAD POST;
        upload_store {tmp}/store2;
        alias {tmp}/store2/;
    }
    location /small/ {
        allow_methods POST;
        upload_store {tmp}/store3;
        client_max_body_size 4096;
    }
}
"""
BND = "----WebKitFormBoundaryQ3sT9kLm"


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, dirs=["store", "store2", "store3", "store/sub"])


def fpart(name, filename, data=b"", ctype="application/octet-stream"):
	head = 'Content-Disposition: form-data; name="%s"; filename="%s"' % (name, filename)
	if ctype:
		head += "\r\nContent-Type: " + ctype
	return head.encode(), data


def field(name, value):
	return ('Content-Disposition: form-data; name="%s"' % name).encode(), value


def body_of(parts):
	b = BND.encode()
	out = b""
	for head, data in parts:
		out += b"--" + b + b"\r\n" + head + b"\r\n\r\n" + data + b"\r\n"
	return out + b"--" + b + b"--\r\n"


def post(srv, parts, target="/uploads/", json_reply=False):
	body = body_of(parts)
	hdrs = [("Content-Type", "multipart/form-data; boundary=" + BND),
	        ("Content-Length", str(len(body)))]
	if json_reply:
		hdrs.append(("Accept", "application/json"))
	return wsh.exchange(srv.port, req("POST", target, hdrs, body))


def listing(srv, store="store"):
	return {n for n in os.listdir(srv.env.tmp / store)}


def test_only_empty_file_input_200_nothing_stored(srv):
	before = listing(srv)
	r = post(srv, [fpart("file", "")], json_reply=True)
	assert r.status == 200, r
	assert not r.has("Location")
	assert json.loads(r.body)["files"] == []
	assert listing(srv) == before


def test_several_empty_inputs_and_a_field(srv):
	before = listing(srv)
	r = post(srv, [fpart("a", ""), field("title", b"hi"), fpart("b", "", ctype=None)],
	         json_reply=True)
	assert r.status == 200, r
	reply = json.loads(r.body)
	assert reply["files"] == []
	assert [f["name"] for f in reply["fields"]] == ["title"]
	assert listing(srv) == before


def test_empty_input_beside_a_real_file(srv):
	"""The empty input is skipped; the real file is stored and listed
	alone, and Location names it."""
	name = "real-%s.txt" % uuid.uuid4().hex[:8]
	before = listing(srv)
	r = post(srv, [fpart("first", ""), fpart("second", name, b"content\n"), fpart("third", "")],
	         json_reply=True)
	assert r.status == 201, r
	assert [f["name"] for f in json.loads(r.body)["files"]] == [name]
	assert listing(srv) - before == {name}
	assert urlsplit(r.header("Location")).path == "/uploads/" + name


def test_empty_input_html_reply_lists_nothing(srv):
	r = post(srv, [fpart("file", "")])
	assert r.status == 200 and r.content_type == "text/html"
	assert b"<li>" not in r.body


def test_empty_input_chunked(srv):
	body = body_of([fpart("file", ""), field("x", b"1")])
	hdrs = [("Content-Type", "multipart/form-data; boundary=" + BND),
	        ("Transfer-Encoding", "chunked")]
	with wsh.Conn(srv.port) as c:
		c.send(req("POST", "/uploads/", hdrs, wsh.chunked(body[:7], body[7:])) + get("/uploads/"))
		assert c.read_response().status == 200
		assert c.read_response().status in (200, 403)  # the connection goes on


def test_empty_name_with_data_is_skipped(srv):
	"""filename="" is an optional file input left empty, whatever it
	carries: the part is skipped and its data discarded; the other file
	of the request is stored and listed alone."""
	name = "keep-%s.txt" % uuid.uuid4().hex[:8]
	before = listing(srv)
	r = post(srv, [fpart("ok", name, b"fine"), fpart("file", "", b"data\r\n--not-a-delimiter" * 500)],
	         json_reply=True)
	assert r.status == 201, r
	assert [(f["name"], f["size"]) for f in json.loads(r.body)["files"]] == [(name, 4)]
	assert listing(srv) - before == {name}
	assert (srv.env.tmp / "store" / name).read_bytes() == b"fine"


def test_only_empty_name_with_data_200(srv):
	before = listing(srv)
	r = post(srv, [fpart("file", "", os.urandom(20000))], json_reply=True)
	assert r.status == 200, r
	assert json.loads(r.body)["files"] == [] and not r.has("Location")
	assert listing(srv) == before


def test_skipped_data_counts_against_the_body_limit(srv):
	"""The discarded bytes of a filename="" part are still body bytes:
	past client_max_body_size the request gets 413 and nothing stays."""
	name = "lim-%s.txt" % uuid.uuid4().hex[:8]
	ok = post(srv, [fpart("file", "", b"x" * 1000), fpart("f", name, b"y")], target="/small/")
	assert ok.status == 201, ok
	assert listing(srv, "store3") == {name}
	r = post(srv, [fpart("f", "b" + name, b"y"), fpart("file", "", b"x" * 8000)], target="/small/")
	assert r.status == 413, r
	assert listing(srv, "store3") == {name}


def test_a_name_that_reduces_to_nothing_is_still_400(srv):
	"""Only filename="" is an empty input; "dir/" names no file → 400."""
	before = listing(srv)
	r = post(srv, [fpart("file", "dir/", b"data")])
	assert r.status == 400
	assert listing(srv) == before


@pytest.mark.parametrize("target", ["/uploads/", "/uploads", "/uploads/sub/",
                                    "/uploads/sub/deeper/x", "/uploads/sub"])
def test_location_serves_the_file(srv, target):
	name = "loc-%s.txt" % uuid.uuid4().hex[:8]
	data = b"stored through " + target.encode()
	r = post(srv, [fpart("f", name, data)], target=target)
	assert r.status == 201, r
	path = urlsplit(r.header("Location")).path
	assert path == "/uploads/" + name, path
	got = wsh.exchange(srv.port, get(path))
	assert got.status == 200 and got.body == data


def test_location_serves_renamed_file(srv):
	"""A name that collides gets name-1.ext: Location says so and serves it."""
	name = "dup-%s.txt" % uuid.uuid4().hex[:8]
	assert post(srv, [fpart("f", name, b"one")], target="/uploads/sub/").status == 201
	r = post(srv, [fpart("f", name, b"two")], target="/uploads/sub/")
	assert r.status == 201
	path = urlsplit(r.header("Location")).path
	assert path == "/uploads/" + name.replace(".txt", "-1.txt")
	assert wsh.exchange(srv.port, get(path)).body == b"two"


def test_location_percent_encoded(srv):
	name = "sp ace-%s.txt" % uuid.uuid4().hex[:8]
	r = post(srv, [fpart("f", name, b"x")], target="/files/a/b/")
	assert r.status == 201
	loc = urlsplit(r.header("Location")).path
	assert loc == "/files/" + name.replace(" ", "%20")
	assert wsh.exchange(srv.port, get(loc)).body == b"x"
