"""The open-file cache (`open_file_cache max=N valid=TIME|off;`): a file
changed or deleted on disk is seen once the validity time has passed;
answers from a cached entry (validators, conditional and range requests,
HEAD) are those of the file as it was opened; the symbolic-link rule and
the dot-file rule hold on a cache hit; the server's own writes (PUT,
DELETE) are seen at once; the cache is bounded."""

import os
import time

import pytest

from wsh import req

# valid=1h: within a test every repeat request is a cache hit, so a file
# changed on disk behind the server's back shows that the answer came
# from the cache.
HIT_CONF = """
open_file_cache max=100 valid=1h;
server {
    listen 127.0.0.1:{port};
    root {root};
    location /safe/ {
        alias {root}/;
        disable_symlinks on;
    }
    location /up/ {
        allow_methods GET HEAD PUT DELETE;
        upload_store {tmp}/store;
        alias {tmp}/store/;
    }
}
"""

SHORT_MS = 300
SHORT_CONF = """
open_file_cache max=100 valid=%dms;
server {
    listen 127.0.0.1:{port};
    root {root};
}
""" % SHORT_MS

SMALL = b"small file, kept as a copy\n"
BIG = bytes(range(256)) * 200  # 51200 bytes: larger than a copy, sent from the descriptor


def files():
	return {"small.txt": SMALL, "big.bin": BIG, "a.txt": b"a-one", "b.txt": b"b-one",
	        "c.txt": b"c-one", "real/f.txt": b"real\n"}


def rewrite(path, data, shift=100):
	"""New content and a new mtime, in place (the same inode)."""
	st = path.stat()
	path.write_bytes(data)
	os.utime(path, (st.st_mtime + shift, st.st_mtime + shift))


def wait_validity(ms):
	time.sleep(ms / 1000.0 + 0.2)


@pytest.fixture(scope="module")
def hit(module_server):
	return module_server(HIT_CONF, files=files(), dirs=["store"])


# -- a cache hit answers for the file as it was opened ----------------------

def test_hit_serves_the_cached_file(hit):
	p = hit.root / "a.txt"
	r1 = hit.get("/a.txt")
	assert r1.status_code == 200 and r1.content == b"a-one"
	rewrite(p, b"a-two, longer")
	r2 = hit.get("/a.txt")
	assert r2.content == b"a-one"
	assert r2.headers["ETag"] == r1.headers["ETag"]
	assert r2.headers["Last-Modified"] == r1.headers["Last-Modified"]
	assert r2.headers["Content-Length"] == "5"


@pytest.mark.parametrize("path,body", [("/small.txt", SMALL), ("/big.bin", BIG)])
def test_hit_validators_conditionals_ranges_head(hit, path, body):
	r1 = hit.get(path)
	assert r1.status_code == 200 and r1.content == body
	etag, lm = r1.headers["ETag"], r1.headers["Last-Modified"]
	for _ in range(2):  # the second round is surely a hit
		r = hit.get(path)
		assert r.status_code == 200 and r.content == body
		assert (r.headers["ETag"], r.headers["Last-Modified"]) == (etag, lm)
		assert hit.get(path, headers={"If-None-Match": etag}).status_code == 304
		assert hit.get(path, headers={"If-Modified-Since": lm}).status_code == 304
		assert hit.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
		r = hit.get(path, headers={"Range": "bytes=3-9"})
		assert r.status_code == 206 and r.content == body[3:10]
		assert r.headers["Content-Range"] == "bytes 3-9/%d" % len(body)
		r = hit.get(path, headers={"Range": "bytes=-4"})
		assert r.status_code == 206 and r.content == body[-4:]
		r = hit.get(path, headers={"Range": "bytes=2-4", "If-Range": etag})
		assert r.status_code == 206 and r.content == body[2:5]
		r = hit.get(path, headers={"Range": "bytes=2-4", "If-Range": '"old"'})
		assert r.status_code == 200 and r.content == body
		r = hit.get(path, headers={"Range": "bytes=%d-" % (len(body) + 5)})
		assert r.status_code == 416
		h = hit.head(path)
		assert h.status_code == 200 and h.content == b""
		assert h.headers["Content-Length"] == str(len(body))
		assert h.headers["ETag"] == etag


def test_hit_head_then_get_on_one_connection(hit):
	"""HEAD leaves no body bytes behind on a keep-alive connection, from
	a cached entry as from a fresh open."""
	with hit.conn() as c:
		for _ in range(3):
			c.send(req("HEAD", "/small.txt") + req("GET", "/small.txt"))
			h = c.read_response("HEAD")
			g = c.read_response()
			assert h.status == 200 and h.body == b""
			assert g.status == 200 and g.body == SMALL


def test_symlink_rule_holds_on_a_hit(hit):
	"""The same file through a location that follows links (cached) and
	one with disable_symlinks on: the second is refused all the same."""
	if not (hit.root / "lnk").exists():
		os.symlink(str(hit.root / "real"), str(hit.root / "lnk"))
		os.symlink(str(hit.root / "small.txt"), str(hit.root / "sl.txt"))
	for _ in range(2):
		assert hit.get("/lnk/f.txt").content == b"real\n"
		assert hit.get("/sl.txt").content == SMALL
		assert hit.get("/safe/lnk/f.txt").status_code == 403
		assert hit.get("/safe/sl.txt").status_code == 403
		assert hit.get("/safe/real/f.txt").status_code == 200


def test_missing_file_remembered(hit):
	"""A 404 is cached too: a file created on disk behind the server's
	back is not seen while the entry is valid (1 h here)."""
	assert hit.get("/later.txt").status_code == 404
	(hit.root / "later.txt").write_bytes(b"now here")
	assert hit.get("/later.txt").status_code == 404
	assert hit.get("/later.txt/x").status_code == 404


def test_server_writes_are_seen_at_once(hit):
	assert hit.get("/up/w.txt").status_code == 404
	r = hit.http("PUT", "/up/w.txt", data=b"first")
	assert r.status_code in (201, 204)
	assert hit.get("/up/w.txt").content == b"first"
	assert hit.get("/up/w.txt").content == b"first"
	r = hit.http("PUT", "/up/w.txt", data=b"second version")
	assert r.status_code in (201, 204)
	assert hit.get("/up/w.txt").content == b"second version"
	assert hit.http("DELETE", "/up/w.txt").status_code == 204
	assert hit.get("/up/w.txt").status_code == 404


def test_stored_dot_file_never_served_from_cache(hit):
	(hit.tmp / "store" / ".tmp-x").write_bytes(b"secret")
	for _ in range(2):
		assert hit.get("/up/.tmp-x").status_code == 404


def test_bounded_lru(server):
	"""max=2: a third file pushes the least recently used one out, which
	is then opened afresh."""
	srv = server(HIT_CONF.replace("max=100", "max=2"), files=files(), dirs=["store"])
	assert srv.get("/a.txt").content == b"a-one"
	assert srv.get("/b.txt").content == b"b-one"
	rewrite(srv.root / "a.txt", b"a-two")
	rewrite(srv.root / "b.txt", b"b-two")
	assert srv.get("/b.txt").content == b"b-one"  # still cached, now the most recent
	assert srv.get("/c.txt").content == b"c-one"  # a.txt goes
	assert srv.get("/a.txt").content == b"a-two"  # b.txt goes
	rewrite(srv.root / "c.txt", b"c-two")
	assert srv.get("/c.txt").content == b"c-one"
	assert srv.get("/b.txt").content == b"b-two"


# -- the validity time ------------------------------------------------------

def test_modified_file_fresh_after_validity(server):
	srv = server(SHORT_CONF, files=files())
	for path, old, new in (("/small.txt", SMALL, b"changed small\n"),
	                       ("/big.bin", BIG, BIG[::-1] + b"!")):
		r1 = srv.get(path)
		assert r1.content == old
		srv.get(path)
		rewrite(srv.root / path[1:], new)
		wait_validity(SHORT_MS)
		r2 = srv.get(path)
		assert r2.status_code == 200 and r2.content == new
		assert r2.headers["ETag"] != r1.headers["ETag"]
		assert r2.headers["Content-Length"] == str(len(new))


def test_replaced_file_fresh_after_validity(server):
	srv = server(SHORT_CONF, files=files())
	assert srv.get("/a.txt").content == b"a-one"
	tmp = srv.root / ".new"
	tmp.write_bytes(b"replaced by rename")
	os.rename(tmp, srv.root / "a.txt")
	wait_validity(SHORT_MS)
	assert srv.get("/a.txt").content == b"replaced by rename"


def test_created_file_served_after_validity(server):
	srv = server(SHORT_CONF, files=files())
	assert srv.get("/new.txt").status_code == 404
	assert srv.get("/new.txt").status_code == 404
	(srv.root / "new.txt").write_bytes(b"created")
	wait_validity(SHORT_MS)
	r = srv.get("/new.txt")
	assert r.status_code == 200 and r.content == b"created"


def test_deleted_file_404_after_validity(server):
	srv = server(SHORT_CONF, files=files())
	for path in ("/small.txt", "/big.bin"):
		assert srv.get(path).status_code == 200
		assert srv.get(path).status_code == 200
		os.unlink(srv.root / path[1:])
		wait_validity(SHORT_MS)
		assert srv.get(path).status_code == 404


def test_cache_off_sees_changes_at_once(server):
	srv = server(SHORT_CONF.replace("max=100 valid=%dms" % SHORT_MS, "off"), files=files())
	for i in range(3):
		body = b"version %d" % i
		rewrite(srv.root / "a.txt", body, shift=10 * (i + 1))
		assert srv.get("/a.txt").content == body


def test_reload_drops_the_cache(server):
	srv = server(HIT_CONF, files=files(), dirs=["store"])
	assert srv.get("/a.txt").content == b"a-one"
	rewrite(srv.root / "a.txt", b"a-two")
	assert srv.get("/a.txt").content == b"a-one"
	srv.send_signal(__import__("signal").SIGHUP)
	deadline = time.time() + 10
	while time.time() < deadline and srv.get("/a.txt").content != b"a-two":
		time.sleep(0.1)
	assert srv.get("/a.txt").content == b"a-two"


# -- the directive -----------------------------------------------------------

@pytest.mark.parametrize("value", ["max=0", "max=x", "valid=1s", "max=5 bogus",
                                   "max=5 valid=2d", "on", "max=2000000"])
def test_directive_errors(run_bin, make_env, value):
	env = make_env("open_file_cache %s;\nserver {\n    listen 127.0.0.1:{port};\n"
	               "    root {root};\n}\n" % value)
	r = run_bin("-t", str(env.conf_path))
	assert r.returncode == 1
	assert "open_file_cache" in r.stderr or value.split()[-1] in r.stderr
	assert ":1: " in r.stderr, r.stderr


@pytest.mark.parametrize("value", ["off", "max=1", "max=10 valid=0", "max=10 valid=250ms",
                                   "valid=2s max=10"])
def test_directive_ok(run_bin, make_env, value):
	env = make_env("open_file_cache %s;\nserver {\n    listen 127.0.0.1:{port};\n"
	               "    root {root};\n}\n" % value)
	r = run_bin("-t", str(env.conf_path))
	assert r.returncode == 0, r.stderr
