"""PUT and DELETE (RFC 9110 sections 9.3.4, 9.3.5) on an upload_store
location: 201 for a new file, 204 when replaced, atomic replacement,
409 for directories, 405 where not allowed, 404 for missing files, and
nothing ever written or deleted outside the root."""

import hashlib
import os
import re
import threading
import time
import uuid
from urllib.parse import quote, urljoin, urlsplit

import pytest

import wsh
from mixed import mex, mixed_temp_files
from wsh import req, get, assert_error_response

CONF = """
server {
    listen 127.0.0.1:{port};
    root {root};
    location /up {
        allow_methods GET HEAD POST PUT DELETE;
        upload_store {tmp}/store;
        alias {tmp}/store;
        client_max_body_size 20m;
    }
    location /lim {
        allow_methods GET HEAD PUT DELETE;
        upload_store {tmp}/lim;
        alias {tmp}/lim;
        client_max_body_size 1k;
    }
    location /noup {
        allow_methods GET HEAD PUT DELETE;
        alias {tmp}/noup;
    }
    location /ro {
        allow_methods GET HEAD;
        alias {tmp}/ro;
    }
}
"""
DIRS = ["store", "store/sub", "lim", "noup", "ro"]
FILES = {"secret.txt": b"root secret\n", "index.html": b"<p>home</p>\n"}
TMPFILES = {"ro/keep.txt": b"read only\n", "outside.txt": b"outside\n",
            "noup/there.txt": b"there\n"}


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, files=FILES, tmpfiles=TMPFILES, dirs=DIRS)


@pytest.fixture
def fresh(server):
	return server(CONF, files=FILES, tmpfiles=TMPFILES, dirs=DIRS)


def uname(ext=".bin"):
	return "p-" + uuid.uuid4().hex[:12] + ext


def sha(b):
	return hashlib.sha256(b).hexdigest()


def send(srv, method, target, headers=None, body=b"", timeout=10):
	with wsh.Conn(srv.port, timeout=timeout) as c:
		c.send(req(method, target, headers, body))
		return c.read_response(method)


def put(srv, target, body, extra=()):
	return send(srv, "PUT", target, [("Content-Length", str(len(body)))] + list(extra), body)


def listing(srv, store="store"):
	return sorted(f for f in os.listdir(srv.tmp / store) if f != "sub")


def assert_store_is(srv, expected, store="store", wait=3.0):
	deadline = time.monotonic() + wsh.T(wait)
	while listing(srv, store) != sorted(expected) and time.monotonic() < deadline:
		time.sleep(0.05)
	assert listing(srv, store) == sorted(expected)


def allow_set(r):
	return {m.strip().upper() for m in (r.header("Allow") or "").split(",") if m.strip()}


# -- PUT -------------------------------------------------------------------------------

@pytest.mark.rfc("9110", "9.3.4", "MUST")
def test_put_1kb_new_201_then_replace_204(srv):
	name = uname(".txt")
	a, b = os.urandom(1000), os.urandom(1024)
	r = put(srv, "/up/" + name, a)
	assert r.status == 201, r
	assert urlsplit(r.header("Location") or "").path == "/up/" + name
	assert srv.get("/up/" + name).content == a
	r = put(srv, "/up/" + name, b)
	assert r.status == 204, r
	assert r.body == b""
	assert srv.get("/up/" + name).content == b
	assert (srv.tmp / "store" / name).read_bytes() == b


def test_put_10mb_with_requests(srv):
	"""The upload flow of a common client (requests, like curl -T)."""
	name = uname()
	data = os.urandom(10 * 1000 * 1000)
	r = srv.http("PUT", "/up/" + name, data=data, timeout=wsh.T(30))
	assert r.status_code == 201
	g = srv.get("/up/" + name, timeout=wsh.T(30))
	assert g.status_code == 200 and sha(g.content) == sha(data)
	data2 = os.urandom(10 << 20)
	r = srv.http("PUT", "/up/" + name, data=data2, timeout=wsh.T(30))
	assert r.status_code == 204
	assert sha(srv.get("/up/" + name, timeout=wsh.T(30)).content) == sha(data2)


def test_put_chunked(srv):
	name = uname()
	data = os.urandom(300000)
	r = send(srv, "PUT", "/up/" + name, [("Transfer-Encoding", "chunked")],
	         wsh.chunked(data[:10], data[10:150000], data[150000:]))
	assert r.status == 201
	assert sha(srv.get("/up/" + name).content) == sha(data)
	r = send(srv, "PUT", "/up/" + name, [("Transfer-Encoding", "chunked")],
	         wsh.chunked(b"replaced"))
	assert r.status == 204
	assert srv.get("/up/" + name).content == b"replaced"


def test_put_chunked_via_requests_generator(srv):
	name = uname()
	blocks = [os.urandom(65536) for _ in range(20)]
	r = srv.http("PUT", "/up/" + name, data=iter(blocks), timeout=wsh.T(30))
	assert r.status_code == 201
	assert srv.get("/up/" + name).content == b"".join(blocks)


def test_put_empty_body(srv):
	name = uname()
	r = put(srv, "/up/" + name, b"")
	assert r.status == 201
	assert (srv.tmp / "store" / name).read_bytes() == b""
	assert srv.get("/up/" + name).content == b""


def test_put_percent_encoded_name(srv):
	name = "sp ace-" + uuid.uuid4().hex[:6] + ".txt"
	r = put(srv, "/up/" + name.replace(" ", "%20"), b"spaced")
	assert r.status == 201
	assert (srv.tmp / "store" / name).read_bytes() == b"spaced"


def test_put_binary_all_bytes(srv):
	name = uname()
	data = bytes(range(256)) * 64
	assert put(srv, "/up/" + name, data).status == 201
	assert srv.get("/up/" + name).content == data


@pytest.mark.rfc("9110", "9.3.4", "SHOULD")
@pytest.mark.parametrize("target", ["/up/", "/up/sub", "/up/sub/"])
def test_put_to_directory_409(srv, target):
	r = put(srv, target, b"not a file")
	assert_error_response(r, 409)
	assert (srv.tmp / "store" / "sub").is_dir()


@pytest.mark.rfc("9110", "15.5.6", "MUST")
def test_put_without_upload_store_405(srv):
	r = put(srv, "/noup/new.txt", b"data")
	assert_error_response(r, 405)
	assert r.has("Allow")
	assert not (srv.tmp / "noup" / "new.txt").exists()
	r = put(srv, "/noup/there.txt", b"overwrite")
	assert r.status == 405
	assert (srv.tmp / "noup" / "there.txt").read_bytes() == b"there\n"


@pytest.mark.rfc("9110", "15.5.6", "MUST")
def test_put_not_allowed_405_with_allow(srv):
	r = put(srv, "/ro/keep.txt", b"overwrite")
	assert_error_response(r, 405)
	assert "GET" in allow_set(r) and "PUT" not in allow_set(r)
	assert (srv.tmp / "ro" / "keep.txt").read_bytes() == b"read only\n"


@pytest.mark.parametrize("target", ["/up/../evil.txt", "/up/%2e%2e/evil.txt",
                                    "/up/..%2fevil.txt", "/up/%2e%2e%2f%2e%2e/evil.txt",
                                    "/up/sub/../../evil.txt", "/up/../../../../tmp/evil.txt"])
def test_put_never_outside_the_root(srv, target):
	r = put(srv, target, b"evil")
	assert r.status in (400, 403, 404, 405, 409), r
	for p in (srv.tmp / "evil.txt", srv.root / "evil.txt", srv.tmp.parent / "evil.txt"):
		assert not p.exists(), "PUT %s wrote %s" % (target, p)


def test_put_over_limit_413_nothing_stored(fresh):
	r = put(fresh, "/lim/new.bin", b"x" * 1025)
	assert_error_response(r, 413)
	assert_store_is(fresh, [], "lim")


def test_put_over_limit_chunked_keeps_old_file(fresh):
	assert put(fresh, "/lim/keep.bin", b"old").status == 201
	body = wsh.chunked(*([b"y" * 100] * 20))
	r = send(fresh, "PUT", "/lim/keep.bin", [("Transfer-Encoding", "chunked")], body)
	assert_error_response(r, 413)
	assert_store_is(fresh, ["keep.bin"], "lim")
	assert (fresh.tmp / "lim" / "keep.bin").read_bytes() == b"old"


@pytest.mark.parametrize("chunked", [False, True])
def test_put_disconnect_keeps_old_file(fresh, chunked):
	"""Atomic replacement: a PUT that never completes changes nothing."""
	old = os.urandom(5000)
	assert put(fresh, "/up/f.bin", old).status == 201
	new = os.urandom(1 << 20)
	c = fresh.conn()
	if chunked:
		c.send(req("PUT", "/up/f.bin", [("Transfer-Encoding", "chunked")]))
		c.send(b"%x\r\n%s\r\n" % (len(new) // 2, new[:len(new) // 2]))
	else:
		c.send(req("PUT", "/up/f.bin", [("Content-Length", str(len(new)))]))
		c.send(new[:len(new) // 2])
	time.sleep(0.2)
	c.abort()
	assert_store_is(fresh, ["f.bin"])
	assert (fresh.tmp / "store" / "f.bin").read_bytes() == old


def test_put_disconnect_new_file_leaves_nothing(fresh):
	c = fresh.conn()
	c.send(req("PUT", "/up/new.bin", [("Content-Length", "100000")]) + b"z" * 5000)
	time.sleep(0.2)
	c.close()
	assert_store_is(fresh, [])


def test_put_replacement_is_atomic_for_readers(fresh):
	"""While a 4 MiB replacement is half sent, readers still get the whole
	old file; afterwards the whole new one."""
	old = os.urandom(1 << 20)
	new = os.urandom(4 << 20)
	assert put(fresh, "/up/atomic.bin", old).status == 201
	with fresh.conn(timeout=30) as c:
		c.send(req("PUT", "/up/atomic.bin", [("Content-Length", str(len(new)))]))
		c.send(new[:len(new) // 2])
		time.sleep(0.2)
		mid = fresh.get("/up/atomic.bin", timeout=wsh.T(10))
		assert mid.status_code == 200 and sha(mid.content) == sha(old)
		c.send(new[len(new) // 2:])
		r = c.read_response()
	assert r.status == 204
	assert sha(fresh.get("/up/atomic.bin", timeout=wsh.T(10)).content) == sha(new)
	assert_store_is(fresh, ["atomic.bin"])


def test_concurrent_puts_distinct_files(srv):
	names = [uname() for _ in range(8)]
	datas = [os.urandom(512 << 10) for _ in names]
	res = [None] * len(names)

	def one(i):
		try:
			res[i] = srv.http("PUT", "/up/" + names[i], data=datas[i],
			                  timeout=wsh.T(30)).status_code
		except Exception as e:  # noqa: BLE001 - reported below
			res[i] = e

	ths = [threading.Thread(target=one, args=(i,)) for i in range(len(names))]
	for t in ths:
		t.start()
	for t in ths:
		t.join(wsh.T(30))
	assert res == [201] * len(names)
	for n, d in zip(names, datas):
		assert sha(srv.get("/up/" + n).content) == sha(d)


# -- DELETE ----------------------------------------------------------------------------

@pytest.mark.rfc("9110", "9.3.5", "MUST")
def test_delete_then_get_404(srv):
	name = uname(".txt")
	assert put(srv, "/up/" + name, b"to delete").status == 201
	r = send(srv, "DELETE", "/up/" + name)
	assert r.status == 204, r
	assert r.body == b""
	assert not (srv.tmp / "store" / name).exists()
	assert srv.get("/up/" + name).status_code == 404
	assert srv.head("/up/" + name).status_code == 404
	r = send(srv, "DELETE", "/up/" + name)
	assert_error_response(r, 404)


def test_delete_posted_upload(srv):
	name = uname(".txt")
	r = send(srv, "POST", "/up/" + name, [("Content-Length", "6")], b"posted")
	assert r.status == 201
	path = urlsplit(r.header("Location")).path
	assert send(srv, "DELETE", path).status == 204
	assert srv.get(path).status_code == 404


def test_delete_missing_404(srv):
	r = send(srv, "DELETE", "/up/" + uname())
	assert_error_response(r, 404)


@pytest.mark.parametrize("target", ["/up/sub", "/up/sub/"])
def test_delete_directory_409(srv, target):
	r = send(srv, "DELETE", target)
	assert_error_response(r, 409)
	assert (srv.tmp / "store" / "sub").is_dir()


def test_delete_store_itself_refused(srv):
	r = send(srv, "DELETE", "/up/")
	assert r.status in (403, 405, 409), r
	assert (srv.tmp / "store").is_dir()


@pytest.mark.rfc("9110", "15.5.6", "MUST")
def test_delete_not_allowed_405_with_allow(srv):
	r = send(srv, "DELETE", "/ro/keep.txt")
	assert_error_response(r, 405)
	allow = allow_set(r)
	assert "GET" in allow and "DELETE" not in allow
	assert (srv.tmp / "ro" / "keep.txt").read_bytes() == b"read only\n"
	r = send(srv, "DELETE", "/secret.txt")
	assert_error_response(r, 405)
	assert (srv.root / "secret.txt").exists()


@pytest.mark.parametrize("target", ["/up/../secret.txt", "/up/%2e%2e/secret.txt",
                                    "/up/..%2fsecret.txt", "/up/%2e%2e/%2e%2e/outside.txt",
                                    "/up/sub/..%2f..%2foutside.txt",
                                    "/up/../../outside.txt", "/up/%2E%2E%5Coutside.txt"])
def test_delete_never_outside_the_root(srv, target):
	r = send(srv, "DELETE", target)
	assert r.status in (400, 403, 404, 405, 409), r
	assert (srv.root / "secret.txt").read_bytes() == b"root secret\n"
	assert (srv.tmp / "outside.txt").read_bytes() == b"outside\n"


def test_put_delete_keepalive(srv):
	name = uname()
	with srv.conn() as c:
		c.send(req("PUT", "/up/" + name, {"Content-Length": "3"}, b"abc")
		       + req("DELETE", "/up/" + name) + get("/up/" + name))
		r1, r2, r3 = c.read_responses(["PUT", "DELETE", "GET"])
	assert (r1.status, r2.status, r3.status) == (201, 204, 404)


# -- preconditions, odd names, symlinks (on the mixed server) ----------------

@pytest.mark.rfc("9110", "13.1.2", "MUST")
def test_put_if_none_match_star_does_not_overwrite(mixed_srv):
	(mixed_srv.store / "inm.txt").write_bytes(b"original")
	h = {"If-None-Match": "*", "Content-Length": "3"}
	r = mex(mixed_srv, req("PUT", "/up/inm.txt", h, b"new"))
	assert r.status == 412, r
	assert (mixed_srv.store / "inm.txt").read_bytes() == b"original"


def test_put_if_none_match_star_creates_a_new_file(mixed_srv):
	h = {"If-None-Match": "*", "Content-Length": "3"}
	r = mex(mixed_srv, req("PUT", "/up/inm-new.txt", h, b"new"))
	assert r.status == 201
	assert (mixed_srv.store / "inm-new.txt").read_bytes() == b"new"


@pytest.mark.rfc("9110", "13.1.1", "MUST")
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_if_match_mismatch_412(mixed_srv, method):
	(mixed_srv.store / "im.txt").write_bytes(b"original")
	body = b"new" if method == "PUT" else b""
	r = mex(mixed_srv, req(method, "/up/im.txt",
	                       {"If-Match": '"no-such-tag"', "Content-Length": str(len(body))}, body))
	assert r.status == 412, r
	assert (mixed_srv.store / "im.txt").read_bytes() == b"original"


def test_put_very_long_name_is_a_client_error(mixed_srv):
	r = mex(mixed_srv, req("PUT", "/up/" + "n" * 300, {"Content-Length": "3"}, b"abc"))
	assert 400 <= r.status < 500, r
	assert mixed_temp_files(mixed_srv) == []


@pytest.mark.rfc("9110", "10.2.2", "MUST")
@pytest.mark.parametrize("name", ["sp ace.txt", "\u00fcml\u00e4ut.txt", "q?x.txt", "h#sh.txt",
                                  "pct%.txt"])
def test_put_odd_name_location_is_a_uri(mixed_srv, name):
	enc = quote(name, safe="")
	r = mex(mixed_srv, req("PUT", "/up/" + enc, {"Content-Length": "4"}, b"data"))
	assert r.status == 201
	assert (mixed_srv.store / name).read_bytes() == b"data"
	loc = r.header("Location")
	assert loc and re.match(r"^[!#$%&'()*+,\-./0-9:;=?@A-Z_a-z~\[\]]+$", loc), loc
	g = mex(mixed_srv, get(urlsplit(urljoin("/up/", loc)).path))
	assert g.status == 200 and g.body == b"data", loc


@pytest.mark.parametrize("name", ["sp ace2.txt", "\u00fcml\u00e4ut2.txt", "pct2%.txt"])
def test_put_odd_name_stored_and_served(mixed_srv, name):
	enc = quote(name, safe="")
	r = mex(mixed_srv, req("PUT", "/up/" + enc, {"Content-Length": "4"}, b"data"))
	assert r.status == 201
	assert (mixed_srv.store / name).read_bytes() == b"data"
	assert mex(mixed_srv, get("/up/" + enc)).body == b"data"
	r = mex(mixed_srv, req("PUT", "/up/" + enc, {"Content-Length": "5"}, b"data2"))
	assert r.status == 204 and not r.has("Content-Length")
	assert mex(mixed_srv, req("DELETE", "/up/" + enc)).status == 204
	assert not (mixed_srv.store / name).exists()


@pytest.mark.parametrize("target", ["/up/", "/up", "/up/.", "/up/sub/..", "/up//"])
def test_delete_upload_store_root_refused(mixed_srv, target):
	r = mex(mixed_srv, req("DELETE", target))
	assert r.status in (403, 405, 409), (target, r)
	assert mixed_srv.store.is_dir()


def test_symlink_writes_never_go_through(mixed_srv):
	"""A symlink in the store that points outside: DELETE removes the
	link, PUT replaces it; the outside file is never touched.  (Reads
	follow symlinks the operator placed, like nginx's default; the
	contract's "never outside the root" holds for what a request can
	name.)"""
	target = mixed_srv.root / "outside-target" / "secret.txt"
	for name in ("ln-del", "ln-put"):
		p = mixed_srv.store / name
		if p.is_symlink() or p.exists():
			p.unlink()
		os.symlink(target, p)
	assert mex(mixed_srv, req("DELETE", "/up/ln-del")).status == 204
	assert not os.path.lexists(mixed_srv.store / "ln-del")
	r = mex(mixed_srv, req("PUT", "/up/ln-put", {"Content-Length": "3"}, b"new"))
	assert r.status in (201, 204)
	assert not (mixed_srv.store / "ln-put").is_symlink()
	assert (mixed_srv.store / "ln-put").read_bytes() == b"new"
	assert target.read_bytes() == b"not for deleting"


def test_mixed_still_serving_nothing_left(mixed_srv):
	assert mex(mixed_srv, get("/a.txt")).body == b"alpha"
	assert mixed_temp_files(mixed_srv) == []
