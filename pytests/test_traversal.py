"""Path traversal: no request may read, list, write or delete anything
outside the root it is routed to. A secret file sits beside the docroot."""

import os

import pytest

import wsh
from wsh import req

SECRET = b"TOPSECRET-7d1f0c2e9b"
LISTING_MARK = "outside-marker-5c3a.txt"

CONF = """
server {
    listen 127.0.0.1:{port};
    root {root};
    location /list { autoindex on; }
    location /al { alias {tmp}/aliased/; }
    location /al2/ { alias {tmp}/aliased/; }
    location /up {
        allow_methods GET HEAD POST PUT DELETE;
        upload_store {tmp}/store;
        alias {tmp}/store;
    }
}
"""

FILES = {
	"a.txt": b"alpha",
	"sub/b.txt": b"beta",
	"list/one.txt": b"one",
}

TMPFILES = {
	"secret.txt": SECRET,
	LISTING_MARK: SECRET,
	"aliased/in.txt": b"aliased in",
	"store/keep.txt": b"stored",
}

ATTACKS = [
	"/../secret.txt",
	"/../../secret.txt",
	"/sub/../../secret.txt",
	"/%2e%2e/secret.txt",
	"/%2E%2e/secret.txt",
	"/%2E%2E/secret.txt",
	"/.%2e/secret.txt",
	"/%2e./secret.txt",
	"/%2e%2e%2fsecret.txt",
	"/%2e%2e%2Fsecret.txt",
	"/..%2fsecret.txt",
	"/..%2Fsecret.txt",
	"/sub/..%2f..%2fsecret.txt",
	"/sub%2f..%2f..%2fsecret.txt",
	"/%2f..%2fsecret.txt",
	"/..%5csecret.txt",
	"/..\\secret.txt",
	"/sub\\..\\..\\secret.txt",
	"/%5c..%5csecret.txt",
	"/secret.txt%00",
	"/..%00/secret.txt",
	"/a.txt%00/../../secret.txt",
	"/%00../secret.txt",
	"//../secret.txt",
	"///..//..//secret.txt",
	"/./../secret.txt",
	"/sub/./../../secret.txt",
	"/..;/secret.txt",
	"/%252e%252e/secret.txt",
	"/%25%32%65%25%32%65/secret.txt",
	"/....//secret.txt",
	"/..../secret.txt",
	"/..%c0%afsecret.txt",
	"/%c0%ae%c0%ae/secret.txt",
	"/%e0%80%ae%e0%80%ae/secret.txt",
	"/sub/../../../../../../../../secret.txt",
	"/..",
	"/../",
	"/%2e%2e",
	"/sub/../..",
	"/list/../../",
	"/list/%2e%2e/%2e%2e/",
	"/list/..%2f..%2f",
	"/al/../secret.txt",
	"/al/..%2fsecret.txt",
	"/al..%2fsecret.txt",
	"/al../secret.txt",
	"/al2/../secret.txt",
	"/al2/..%2f..%2fsecret.txt",
	"/up/../secret.txt",
	"/up/..%2fsecret.txt",
	"/up/%2e%2e/secret.txt",
	"/up..%2fsecret.txt",
	"../secret.txt",
	"..%2fsecret.txt",
	"secret.txt",
	"*",
]


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, files=FILES, tmpfiles=TMPFILES)


def check_no_leak(r, target):
	assert SECRET not in r.body, "secret leaked for %r (status %d)" % (target, r.status)
	assert LISTING_MARK.encode() not in r.body, "outside directory listed for %r" % target
	assert r.status in (400, 403, 404), "status %d for %r" % (r.status, target)


@pytest.mark.parametrize("target", ATTACKS)
def test_get_traversal(srv, target):
	r = wsh.exchange(srv.port, req("GET", target))
	check_no_leak(r, target)


@pytest.mark.parametrize("target", [a for a in ATTACKS if a.startswith("/")][:30])
def test_head_traversal(srv, target):
	r = wsh.exchange(srv.port, req("HEAD", target), "HEAD")
	assert r.status in (400, 403, 404), (target, r)


@pytest.mark.parametrize("prefix", ["http://127.0.0.1:{port}", "http://localhost",
                                    "http://a.test:80"])
@pytest.mark.parametrize("path", ["/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt",
                                  "/sub/../../secret.txt"])
def test_absolute_form_traversal(srv, prefix, path):
	target = prefix.replace("{port}", str(srv.port)) + path
	r = wsh.exchange(srv.port, req("GET", target))
	check_no_leak(r, target)


def test_host_header_traversal(srv):
	r = wsh.exchange(srv.port, req("GET", "/secret.txt", host="../.."))
	assert SECRET not in r.body
	r = wsh.exchange(srv.port, req("GET", "/secret.txt", host="..%2f.."))
	assert SECRET not in r.body


def test_inside_paths_still_work(srv):
	"""The normalisation that defeats traversal keeps legitimate paths."""
	assert wsh.exchange(srv.port, req("GET", "/sub/../a.txt")).body == b"alpha"
	assert wsh.exchange(srv.port, req("GET", "/sub/%2e%2e/a.txt")).body == b"alpha"
	assert wsh.exchange(srv.port, req("GET", "/al/in.txt")).body == b"aliased in"
	assert wsh.exchange(srv.port, req("GET", "/up/keep.txt")).body == b"stored"


def test_root_parent_of_docroot_not_listed(srv):
	for t in ("/list/../../", "/list/../../../"):
		r = wsh.exchange(srv.port, req("GET", t))
		check_no_leak(r, t)


# -- writes and deletes ------------------------------------------------------------------

WRITE_TARGETS = [
	"/up/../secret.txt",
	"/up/../../secret.txt",
	"/up/..%2fsecret.txt",
	"/up/%2e%2e/secret.txt",
	"/up/%2e%2e%2fsecret.txt",
	"/up/..%5csecret.txt",
	"/up/..\\secret.txt",
	"/up..%2fsecret.txt",
	"/up/%00secret.txt",
	"/up/../www/a.txt",
	"/up/../../www/a.txt",
]


def outside_state(srv):
	"""Everything in tmp outside store/: names and contents."""
	out = {}
	for dirpath, dirs, files in os.walk(srv.tmp):
		rel = os.path.relpath(dirpath, srv.tmp)
		if rel == "store" or rel.startswith("store" + os.sep):
			continue
		for f in files:
			if f in ("stdout.log", "stderr.log"):
				continue
			p = os.path.join(dirpath, f)
			with open(p, "rb") as fh:
				out[os.path.relpath(p, srv.tmp)] = fh.read()
	return out


def restore(srv, before, after):
	"""Put the files outside the store back as they were, so that one
	failure does not cascade into the next tests."""
	for rel, data in before.items():
		if after.get(rel) != data:
			p = srv.tmp / rel
			p.parent.mkdir(parents=True, exist_ok=True)
			p.write_bytes(data)
	for rel in set(after) - set(before):
		os.remove(srv.tmp / rel)


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
@pytest.mark.parametrize("target", WRITE_TARGETS)
def test_write_traversal(srv, method, target):
	before = outside_state(srv)
	body = b"OVERWRITTEN"
	headers = {"Content-Length": str(len(body))} if method != "DELETE" else {}
	r = wsh.exchange(srv.port, req(method, target, headers, body if method != "DELETE" else b""))
	after = outside_state(srv)
	if after != before:
		restore(srv, before, after)
	assert after == before, "%s %s changed files outside the store (status %d)" % (
		method, target, r.status)
	assert SECRET not in r.body


@pytest.mark.parametrize("fname", ["../secret.txt", "..\\secret.txt", "../../www/a.txt",
                                   "/etc/../secret.txt", "sub/../../secret.txt", "..",
                                   ".", "", "x\x01y.txt"])
def test_multipart_filename_traversal(srv, fname):
	before = outside_state(srv)
	boundary = "----wsboundary7MA4YWxk"
	body = ("--%s\r\nContent-Disposition: form-data; name=\"f\"; filename=\"%s\"\r\n"
	        "Content-Type: text/plain\r\n\r\nOVERWRITTEN\r\n--%s--\r\n" % (
	            boundary, fname, boundary)).encode()
	r = wsh.exchange(srv.port, req("POST", "/up/", {
		"Content-Type": "multipart/form-data; boundary=" + boundary,
		"Content-Length": str(len(body))}, body))
	after = outside_state(srv)
	if after != before:
		restore(srv, before, after)
	assert after == before, "multipart filename %r escaped (status %d)" % (fname, r.status)
	base = fname.replace("\\", "/").rsplit("/", 1)[-1]
	if fname == "":
		# filename="": an empty file input, skipped (contract "Uploads").
		assert r.status == 200, "filename \"\" gave %d" % r.status
	elif base in ("", ".", "..") or any(ord(ch) < 32 for ch in base):
		assert r.status == 400, "filename %r gave %d" % (fname, r.status)


def test_delete_outside_root_never(srv):
	(srv.tmp / "secret.txt").write_bytes(SECRET)
	for t in ("/up/../secret.txt", "/up/%2e%2e/secret.txt", "/../secret.txt",
	          "/up/..%2f..%2fsecret.txt"):
		wsh.exchange(srv.port, req("DELETE", t))
	assert (srv.tmp / "secret.txt").read_bytes() == SECRET
	assert (srv.root / "a.txt").read_bytes() == b"alpha"


def test_server_still_serving(srv):
	assert srv.get("/a.txt").content == b"alpha"
