"""Names for tests on the MIXED_CONF server (the `mixed_srv` fixture of
conftest.py): its files and a few exchanges that several test files use."""

import os

import wsh
from wsh import req, get

MIXED_RANGE = b"0123456789"  # www/r.txt
AUTO_NAMES = ["a b.txt", "100%.txt", 'q"uote.txt', "q'single.txt", "\u00fc.txt",
              "<script>alert(1).txt", "a&b.txt", "hash#.txt", "q?.txt",
              "semi;colon.txt", "plus+sign.txt", "L" * 250]


def mex(srv, data, method="GET"):
	"""One exchange on a fresh connection."""
	return wsh.exchange(srv.port, data, method)


def mixed_temp_files(srv):
	"""Temporary upload files left in the store (there must be none)."""
	return [n for n in os.listdir(srv.store) if n.startswith(".upload-")]


def mixed_etag(srv, path="/r.txt"):
	r = mex(srv, req("HEAD", path), "HEAD")
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
