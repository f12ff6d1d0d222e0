"""POST uploads into an upload_store: multipart/form-data (RFC 7578,
RFC 2046 section 5.1) and raw bodies, streamed to disk.

Round trips (upload, GET back, compare sha256) for an empty file, all 256
byte values, boundary look-alikes, several files per request and a 256 MiB
chunked upload (with the server's VmHWM growth checked); failures
(malformed multipart, 413, client gone) leave nothing in the store;
filename attacks; 10 clients at once.

Collision policy under test (the server's documented choice): an existing
file is never overwritten by POST; the new one is stored as "name-1.ext",
"name-2.ext", ... (the first free N), and Location names it.
"""

import hashlib
import json
import os
import subprocess
import threading
import time
import uuid
from urllib.parse import quote, unquote, urljoin, urlsplit

import pytest

import wsh
from mixed import mex, mixed_temp_files
from procs import vm_hwm_kib
from wsh import req, get, assert_error_response

CONF = """
server {
    listen 127.0.0.1:{port};
    root {root};
    location /up {
        allow_methods GET HEAD POST PUT DELETE;
        upload_store {tmp}/store;
        alias {tmp}/store;
        client_max_body_size 0;
    }
    location /lim {
        allow_methods GET HEAD POST PUT;
        upload_store {tmp}/lim;
        alias {tmp}/lim;
        client_max_body_size 1k;
    }
}
"""
DIRS = ["store", "lim"]
BOUNDARY = "----wsTestBoundary7MA4YWxkTrZu0gW"


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, dirs=DIRS)


@pytest.fixture
def fresh(server):
	"""A server of its own, for tests that look at the whole store."""
	return server(CONF, dirs=DIRS)


# -- helpers -------------------------------------------------------------------

def uname(ext=".bin"):
	return "u-" + uuid.uuid4().hex[:12] + ext


def sha(b):
	return hashlib.sha256(b).hexdigest()


def part(name, filename=None, data=b"", ctype=None, extra=()):
	"""One part: (headers bytes, data bytes)."""
	if isinstance(data, str):
		data = data.encode()
	cd = 'form-data; name="%s"' % name
	if filename is not None:
		if isinstance(filename, bytes):
			filename = filename.decode("latin-1")
		cd += '; filename="%s"' % filename
	lines = ["Content-Disposition: " + cd]
	if ctype is None and filename is not None:
		ctype = "application/octet-stream"
	if ctype:
		lines.append("Content-Type: " + ctype)
	lines += list(extra)
	return ("\r\n".join(lines)).encode("latin-1"), data


def multipart(parts, boundary=BOUNDARY, preamble=b"", epilogue=b"", close=True):
	b = boundary.encode("latin-1")
	out = preamble
	for head, data in parts:
		out += b"--" + b + b"\r\n" + head + b"\r\n\r\n" + data + b"\r\n"
	if close:
		out += b"--" + b + b"--\r\n" + epilogue
	return out


def mp_headers(body, boundary=BOUNDARY, extra=None, quoted=False):
	bval = '"%s"' % boundary if quoted else boundary
	h = [("Content-Type", "multipart/form-data; boundary=" + bval),
	     ("Content-Length", str(len(body)))]
	return h + list(extra or [])


def send(srv, method, target, headers, body, timeout=10):
	with wsh.Conn(srv.port, timeout=timeout) as c:
		c.send(req(method, target, headers, body))
		return c.read_response(method)


def post_mp(srv, parts, target="/up/", boundary=BOUNDARY, accept=None, **kw):
	body = multipart(parts, boundary, **kw)
	extra = [("Accept", accept)] if accept else None
	return send(srv, "POST", target, mp_headers(body, boundary, extra), body)


def location_path(r):
	loc = r.header("Location")
	assert loc, "201 without Location: %r" % r.headers
	return urlsplit(loc).path


def fetch(srv, path):
	r = srv.get(path, timeout=wsh.T(30))
	assert r.status_code == 200, "GET %s -> %d" % (path, r.status_code)
	return r.content


def store_listing(srv, store="store"):
	return sorted(os.listdir(srv.tmp / store))


def assert_store_empty(srv, store="store", wait=3.0):
	"""Nothing at all in the store, hidden temporary files included (a short
	poll lets the server notice a disconnect)."""
	deadline = time.monotonic() + wsh.T(wait)
	while store_listing(srv, store) and time.monotonic() < deadline:
		time.sleep(0.05)
	left = store_listing(srv, store)
	assert left == [], "left behind in %s: %r" % (store, left)


def roundtrip(srv, data, filename=None, boundary=BOUNDARY):
	name = filename or uname()
	r = post_mp(srv, [part("file", name, data)], boundary=boundary)
	assert r.status == 201, (r, r.body[:300])
	path = location_path(r)
	assert path == "/up/" + quote(name), path
	got = fetch(srv, path)
	assert len(got) == len(data)
	assert sha(got) == sha(data)
	assert (srv.tmp / "store" / name).read_bytes() == data
	return r


# -- round trips -----------------------------------------------------------------

@pytest.mark.rfc("7578", "4.2", "MUST")
def test_roundtrip_empty_file(srv):
	roundtrip(srv, b"")


@pytest.mark.rfc("7578", "4.2", "MUST")
def test_roundtrip_all_byte_values(srv):
	roundtrip(srv, bytes(range(256)) * 4 + bytes(reversed(range(256))))


@pytest.mark.rfc("2046", "5.1.1", "MUST")
def test_roundtrip_boundary_lookalikes(srv):
	b = BOUNDARY.encode()
	data = b"".join([
		b"start\r\n--" + b[:-1] + b"\r\n",        # a boundary prefix
		b"\r\n--" + b[:-1] + b"X--\r\n",           # last character differs
		b"\n--" + b + b"\r\n",                     # LF only, not CRLF
		b"\r--" + b + b"--\r\n",                   # CR only
		b"x--" + b + b"--",                        # no line break before
		b"\r\n-" + b + b"\r\n",                    # one dash
		b"\r\n\r\n\r\n\x00\x00\r\r\n\n--\r\n--",   # CR/LF/NUL runs
		b"\r\n--" + b[:20],                        # ends with a prefix
	])
	roundtrip(srv, data)


@pytest.mark.rfc("2046", "5.1.1", "MUST")
def test_lookalikes_split_across_reads(srv):
	"""The same content sent in 7-byte pieces: every delimiter candidate is
	split across reads somewhere."""
	b = BOUNDARY.encode()
	data = (b"\r\n--" + b[:-3] + b"\r\n\r\n-" + os.urandom(50)) * 30
	name = uname()
	body = multipart([part("file", name, data)])
	with srv.conn(timeout=30) as c:
		c.send_slowly(req("POST", "/up/", mp_headers(body), body), chunk=7)
		r = c.read_response()
	assert r.status == 201
	assert sha(fetch(srv, location_path(r))) == sha(data)


def test_roundtrip_random_megabytes(srv):
	roundtrip(srv, os.urandom(3 << 20))


@pytest.mark.rfc("7578", "4.3", "MUST")
def test_several_files_one_request(srv):
	files = [(uname(".txt"), b"first file\n"), (uname(".bin"), os.urandom(100000)),
	         (uname(".dat"), b""), (uname(), bytes(range(256)))]
	parts = [part("f%d" % i, n, d) for i, (n, d) in enumerate(files)]
	parts.insert(1, part("comment", None, b"a text field"))
	r = post_mp(srv, parts, accept="application/json")
	assert r.status == 201, (r, r.body[:300])
	assert location_path(r) == "/up/" + files[0][0]
	for n, d in files:
		assert sha(fetch(srv, "/up/" + n)) == sha(d), n
	j = json.loads(r.body)
	assert [(f["name"], f["size"]) for f in j["files"]] == [(n, len(d)) for n, d in files]
	assert [(f["name"], f["size"]) for f in j["fields"]] == [("comment", 12)]


def test_same_field_name_several_files(srv):
	"""<input type=file multiple>: one field name, several files."""
	files = [(uname(".a"), b"A" * 10), (uname(".b"), b"B" * 20)]
	r = post_mp(srv, [part("files", n, d) for n, d in files])
	assert r.status == 201
	for n, d in files:
		assert fetch(srv, "/up/" + n) == d


def test_html_listing_by_default(srv):
	name = uname(".txt")
	r = post_mp(srv, [part("file", name, b"hello")])
	assert r.status == 201
	assert r.content_type == "text/html"
	assert name.encode() in r.body


def test_json_listing(srv):
	name = uname(".txt")
	r = post_mp(srv, [part("file", name, b"hello"), part("who", None, b"me")],
	            accept="application/json")
	assert r.status == 201
	assert r.content_type == "application/json"
	j = json.loads(r.body)
	assert j["files"] == [{"name": name, "size": 5}] or \
		[(f["name"], f["size"]) for f in j["files"]] == [(name, 5)]
	assert [(f["name"], f["size"]) for f in j["fields"]] == [("who", 2)]


def test_fields_only_200(fresh):
	r = post_mp(fresh, [part("a", None, b"1"), part("b", None, b"two")])
	assert r.status == 200, r
	assert_store_empty(fresh)


def test_location_percent_encoded(srv):
	name = "sp ace%-" + uuid.uuid4().hex[:6] + ".txt"
	r = post_mp(srv, [part("file", name, b"spaced")])
	assert r.status == 201
	path = location_path(r)
	assert path == "/up/" + quote(name), path
	assert fetch(srv, path) == b"spaced"


@pytest.mark.rfc("2046", "5.1.1", "MUST")
def test_preamble_and_epilogue_ignored(srv):
	name = uname()
	r = post_mp(srv, [part("file", name, b"body")], preamble=b"This is the preamble.\r\n",
	            epilogue=b"This is the epilogue.\r\n")
	assert r.status == 201
	assert fetch(srv, "/up/" + name) == b"body"


@pytest.mark.rfc("2046", "5.1.1", "MUST")
def test_quoted_boundary_with_space(srv):
	bnd = "quoted boundary:with=specials"
	name = uname()
	body = multipart([part("file", name, b"q")], bnd)
	r = send(srv, "POST", "/up/", mp_headers(body, bnd, quoted=True), body)
	assert r.status == 201
	assert fetch(srv, "/up/" + name) == b"q"


@pytest.mark.rfc("2046", "5.1.1", "MUST")
def test_boundary_70_chars(srv):
	bnd = "b" * 70
	name = uname()
	r = post_mp(srv, [part("file", name, b"seventy")], boundary=bnd)
	assert r.status == 201
	assert fetch(srv, "/up/" + name) == b"seventy"


def test_multipart_chunked_request(srv):
	name = uname()
	data = os.urandom(300000)
	body = multipart([part("file", name, data)])
	pieces = [body[i:i + 4099] for i in range(0, len(body), 4099)]
	h = [("Content-Type", "multipart/form-data; boundary=" + BOUNDARY),
	     ("Transfer-Encoding", "chunked")]
	r = send(srv, "POST", "/up/", h, wsh.chunked(*pieces))
	assert r.status == 201
	assert sha(fetch(srv, "/up/" + name)) == sha(data)


# -- collision policy and raw bodies -----------------------------------------------

def test_collision_gets_unique_name(srv):
	stem = "c-" + uuid.uuid4().hex[:8]
	name = stem + ".txt"
	paths = []
	for i in range(3):
		r = post_mp(srv, [part("file", name, b"version %d" % i)])
		assert r.status == 201
		paths.append(location_path(r))
	assert paths == ["/up/%s.txt" % stem, "/up/%s-1.txt" % stem, "/up/%s-2.txt" % stem]
	for i, p in enumerate(paths):
		assert fetch(srv, p) == b"version %d" % i, "a file was overwritten"


def test_collision_within_one_request(srv):
	name = uname(".txt")
	r = post_mp(srv, [part("a", name, b"one"), part("b", name, b"two")],
	            accept="application/json")
	assert r.status == 201
	stem = name[:-4]
	names = [f["name"] for f in json.loads(r.body)["files"]]
	assert names == [name, stem + "-1.txt"]
	assert fetch(srv, "/up/" + name) == b"one"
	assert fetch(srv, "/up/" + stem + "-1.txt") == b"two"


def test_raw_post_named(srv):
	stem = "raw-" + uuid.uuid4().hex[:8]
	data = os.urandom(5000)
	r = send(srv, "POST", "/up/%s.txt" % stem,
	         [("Content-Length", str(len(data))), ("Content-Type", "text/plain")], data)
	assert r.status == 201
	assert location_path(r) == "/up/%s.txt" % stem
	assert fetch(srv, "/up/%s.txt" % stem) == data
	r = send(srv, "POST", "/up/%s.txt" % stem, [("Content-Length", "3")], b"new")
	assert r.status == 201
	assert location_path(r) == "/up/%s-1.txt" % stem
	assert fetch(srv, "/up/%s.txt" % stem) == data
	assert fetch(srv, "/up/%s-1.txt" % stem) == b"new"


def test_raw_post_chunked(srv):
	name = uname()
	data = os.urandom(200000)
	r = send(srv, "POST", "/up/" + name, [("Transfer-Encoding", "chunked")],
	         wsh.chunked(data[:1], data[1:70000], data[70000:]))
	assert r.status == 201
	assert sha(fetch(srv, "/up/" + name)) == sha(data)


def test_raw_post_without_name_is_upload_bin(fresh):
	r = send(fresh, "POST", "/up/", [("Content-Length", "4")], b"raw!")
	assert r.status == 201
	assert location_path(r) == "/up/upload.bin"
	assert (fresh.tmp / "store" / "upload.bin").read_bytes() == b"raw!"


# -- failures leave nothing -------------------------------------------------------

def _malformed_cases():
	b = BOUNDARY.encode()
	ok = multipart([part("file", "ok.bin", b"complete part")])
	return {
		"no_close_delimiter": (BOUNDARY, ok[:ok.rindex(b"--" + b + b"--")]),
		"close_delimiter_cut": (BOUNDARY, ok[:ok.rindex(b"--\r\n")]),
		"no_delimiter_at_all": (BOUNDARY, b"just some bytes\r\n\r\nno parts here"),
		"no_content_disposition": (BOUNDARY, b"--" + b + b"\r\nContent-Type: text/plain"
		                           b"\r\n\r\ndata\r\n--" + b + b"--\r\n"),
		"header_without_colon": (BOUNDARY, b"--" + b + b"\r\nContent-Disposition form-data;"
		                         b' name="f"; filename="x.bin"\r\n\r\ndata\r\n--' + b + b"--\r\n"),
		"head_unterminated": (BOUNDARY, b"--" + b + b'\r\nContent-Disposition: form-data; '
		                      b'name="f"; filename="x.bin"\r\n'),
		"second_part_bad": (BOUNDARY, ok[:ok.rindex(b"--" + b + b"--")] + b"--" + b +
		                    b"\r\nX-No-Disposition: 1\r\n\r\nmore\r\n--" + b + b"--\r\n"),
		"second_part_unclosed": (BOUNDARY, ok[:ok.rindex(b"--" + b + b"--")] +
		                         multipart([part("g", "two.bin", b"x" * 5000)], close=False)
		                         [:-2]),
		"no_boundary_param": ("", ok),
		"boundary_71_chars": ("b" * 71, multipart([part("file", "ok.bin", b"x")], "b" * 71)),
		"empty_boundary": ('""', ok),
	}


MALFORMED = _malformed_cases()


@pytest.mark.rfc("2046", "5.1.1", "MUST")
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_multipart_400_nothing_stored(fresh, case):
	bnd, body = MALFORMED[case]
	ctype = "multipart/form-data" + ("; boundary=" + bnd if bnd else "")
	r = send(fresh, "POST", "/up/", [("Content-Type", ctype),
	                                  ("Content-Length", str(len(body)))], body)
	assert_error_response(r, 400)
	assert_store_empty(fresh)


def test_malformed_large_first_part_nothing_stored(fresh):
	"""A complete 2 MiB first part (already renamed into place, perhaps)
	followed by garbage: the whole request fails, nothing stays."""
	b = BOUNDARY.encode()
	body = multipart([part("file", "big.bin", os.urandom(2 << 20))], close=False)
	body += b"--" + b + b"\r\nno colon here\r\n\r\nx\r\n--" + b + b"--\r\n"
	r = send(fresh, "POST", "/up/", mp_headers(body), body, timeout=30)
	assert_error_response(r, 400)
	assert_store_empty(fresh)


@pytest.mark.rfc("9110", "15.5.14", "MUST")
def test_over_limit_content_length_413(fresh):
	body = multipart([part("file", "big.bin", b"x" * 2000)])
	r = send(fresh, "POST", "/lim/", mp_headers(body), body)
	assert_error_response(r, 413)
	assert_store_empty(fresh, "lim")


def test_over_limit_chunked_413(fresh):
	"""The limit is crossed in the middle of a chunked body, after a first
	part may already have been written."""
	body = multipart([part("a", "a.bin", b"a" * 300), part("b", "b.bin", b"b" * 2000)])
	pieces = [body[i:i + 100] for i in range(0, len(body), 100)]
	h = [("Content-Type", "multipart/form-data; boundary=" + BOUNDARY),
	     ("Transfer-Encoding", "chunked")]
	with fresh.conn() as c:
		c.send(req("POST", "/lim/", h))
		for p in pieces:
			if not c.send(b"%x\r\n%s\r\n" % (len(p), p)):
				break
		c.send(b"0\r\n\r\n")
		r = c.read_response()
	assert_error_response(r, 413)
	assert_store_empty(fresh, "lim")


def test_over_limit_raw_413(fresh):
	r = send(fresh, "POST", "/lim/raw.bin", [("Content-Length", "1025")], b"r" * 1025)
	assert_error_response(r, 413)
	assert_store_empty(fresh, "lim")


def test_at_limit_accepted(fresh):
	r = send(fresh, "POST", "/lim/raw.bin", [("Content-Length", "1024")], b"r" * 1024)
	assert r.status == 201
	assert (fresh.tmp / "lim" / "raw.bin").read_bytes() == b"r" * 1024


@pytest.mark.parametrize("how", ["multipart_length", "multipart_chunked", "raw_length",
                                 "raw_chunked", "after_first_part"])
@pytest.mark.parametrize("close", ["fin", "rst"])
def test_client_disconnect_mid_upload_no_file(fresh, how, close):
	data = os.urandom(1 << 20)
	if how.startswith("multipart") or how == "after_first_part":
		parts = [part("file", "gone.bin", data)]
		if how == "after_first_part":
			parts = [part("a", "first.bin", b"complete"), part("b", "second.bin", data)]
		body = multipart(parts)
		h = [("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)]
		target = "/up/"
	else:
		body = data
		h = []
		target = "/up/gone.bin"
	c = fresh.conn()
	if how.endswith("chunked"):
		c.send(req("POST", target, h + [("Transfer-Encoding", "chunked")]))
		half = body[:len(body) // 2]
		c.send(b"%x\r\n%s\r\n" % (len(half), half))
	else:
		c.send(req("POST", target, h + [("Content-Length", str(len(body)))]))
		c.send(body[:len(body) // 2])
	time.sleep(0.2)
	if close == "rst":
		c.abort()
	else:
		c.close()
	assert_store_empty(fresh)
	assert wsh.exchange(fresh.port, get("/up/"), timeout=5).status in (403, 404, 200)


# -- filename attacks ---------------------------------------------------------------

STORED_AS = [("../x", "x"), ("../../../../x", "x"), ("/etc/passwd", "passwd"),
             ("a/b", "b"), ("a\\b", "b"), ("..\\..\\win.ini", "win.ini"),
             ("C:\\Users\\me\\photo.jpg", "photo.jpg"), ("./dot", "dot"),
             ("....//x2", "x2"), (".hidden", ".hidden")]


@pytest.mark.rfc("7578", "4.2", "MUST")
@pytest.mark.parametrize("filename,stored", STORED_AS)
def test_filename_path_stripped(fresh, filename, stored):
	passwd = open("/etc/passwd", "rb").read()
	r = post_mp(fresh, [part("file", filename, b"payload")])
	assert r.status == 201, (r, r.body[:200])
	assert store_listing(fresh) == [stored]
	assert (fresh.tmp / "store" / stored).read_bytes() == b"payload"
	assert location_path(r) == "/up/" + quote(stored)
	assert not (fresh.tmp / "x").exists() and not (fresh.tmp.parent / "x").exists()
	assert open("/etc/passwd", "rb").read() == passwd


# filename="" is not here: such a part is an empty file input, skipped
# whatever it carries (test_upload_form.py).
REJECTED = [".", "..", "a/..", "a/.", "x/", "a\\", "a\x00b", "nul\x00", "a\x01b",
            "esc\x1b[31m", "new\nline", "cr\rname", "tab\tname", "del\x7f", "\x1f"]


@pytest.mark.rfc("7578", "4.2", "MUST")
@pytest.mark.parametrize("filename", REJECTED, ids=[repr(f) for f in REJECTED])
def test_filename_rejected_400(fresh, filename):
	r = post_mp(fresh, [part("file", "ok-first.bin", b"ok"), part("file2", filename, b"bad")])
	assert_error_response(r, 400)
	assert_store_empty(fresh)


# -- concurrency ----------------------------------------------------------------------

def test_ten_clients_at_once(srv):
	n = 10
	size = (1 << 20) if wsh.ASAN else (4 << 20)
	datas = [os.urandom(size) for _ in range(n)]
	names = [uname() for _ in range(n)]
	results = [None] * n
	barrier = threading.Barrier(n)

	def one(i):
		body = multipart([part("file", names[i], datas[i]), part("i", None, b"%d" % i)])
		barrier.wait()
		try:
			with wsh.Conn(srv.port, timeout=60) as c:
				head = req("POST", "/up/", mp_headers(body))
				c.send(head)
				for k in range(0, len(body), 65536):  # interleave with the others
					c.send(body[k:k + 65536])
				results[i] = c.read_response().status
		except Exception as e:  # noqa: BLE001 - reported below
			results[i] = e

	ths = [threading.Thread(target=one, args=(i,)) for i in range(n)]
	for t in ths:
		t.start()
	for t in ths:
		t.join(wsh.T(60))
	assert results == [201] * n, results
	for name, data in zip(names, datas):
		assert sha(fetch(srv, "/up/" + name)) == sha(data), name


# -- 256 MiB ------------------------------------------------------------------------

@pytest.mark.slow
def test_256mib_chunked_upload_memory_bounded(fresh):
	"""256 MiB of multipart sent chunked, generated on the fly: the file
	arrives intact and the server's peak RSS grows by less than 16 MiB."""
	total = 256 << 20
	blk = 1 << 20
	base = bytearray(os.urandom(blk))
	name = "big-256.bin"
	b = BOUNDARY.encode()
	head_part = (b"--" + b + b'\r\nContent-Disposition: form-data; name="file"; '
	             b'filename="' + name.encode() + b'"\r\nContent-Type: application/octet-stream'
	             b"\r\n\r\n")
	tail = b"\r\n--" + b + b"--\r\n"
	wsh.exchange(fresh.port, get("/"), timeout=5)
	before = vm_hwm_kib(fresh.pid)
	h = hashlib.sha256()
	t0 = time.monotonic()
	with wsh.Conn(fresh.port, timeout=120) as c:
		c.send(req("POST", "/up/", [("Content-Type", "multipart/form-data; boundary=" + BOUNDARY),
		                            ("Transfer-Encoding", "chunked")]))
		c.send(b"%x\r\n%s\r\n" % (len(head_part), head_part))
		for i in range(total // blk):
			base[0:8] = i.to_bytes(8, "big")  # every block differs
			h.update(base)
			assert c.send(b"%x\r\n" % blk), "server closed during the upload"
			c.send(base)
			c.send(b"\r\n")
		c.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(tail), tail))
		r = c.read_response(timeout=120)
	up_dt = time.monotonic() - t0
	after = vm_hwm_kib(fresh.pid)
	assert r.status == 201, (r, r.body[:300])
	path = fresh.tmp / "store" / name
	assert path.stat().st_size == total
	g = fresh.get("/up/" + name, stream=True, timeout=wsh.T(120))
	assert g.status_code == 200
	h2 = hashlib.sha256()
	n = 0
	for chunk in g.iter_content(1 << 20):
		h2.update(chunk)
		n += len(chunk)
	assert n == total and h2.hexdigest() == h.hexdigest()
	growth = (after - before) / 1024.0
	print("\n256 MiB chunked multipart upload: %.1fs, server VmHWM %d -> %d KiB (+%.1f MiB)"
	      % (up_dt, before, after, growth))
	if wsh.ASAN:
		return  # ASan's shadow memory and quarantine make the figure meaningless
	assert growth < 16, "VmHWM grew by %.1f MiB during a 256 MiB upload" % growth


# -- names and collisions (on the mixed server) ------------------------------

def test_post_collision_on_longest_name(mixed_srv):
	name = "m" * 251 + ".txt"
	r1 = mex(mixed_srv, req("POST", "/up/" + name, {"Content-Length": "3"}, b"one"))
	assert r1.status == 201
	r2 = mex(mixed_srv, req("POST", "/up/" + name, {"Content-Length": "3"}, b"two"))
	assert r2.status in (201, 409), r2
	assert (mixed_srv.store / name).read_bytes() == b"one"
	assert mixed_temp_files(mixed_srv) == []


@pytest.mark.rfc("9110", "10.2.2", "MUST")
@pytest.mark.parametrize("subdir_exists", [True, False])
def test_raw_post_in_subpath_location_names_the_stored_file(mixed_srv, subdir_exists):
	sub = "sub1" if subdir_exists else "nosuchdir"
	if subdir_exists:
		(mixed_srv.store / sub).mkdir(exist_ok=True)
	target = "/up/%s/deep-%s.txt" % (sub, sub)
	r = mex(mixed_srv, req("POST", target, {"Content-Length": "4"}, b"deep"))
	assert r.status == 201
	loc = r.header("Location")
	g = mex(mixed_srv, get(urlsplit(urljoin("/up/%s/" % sub, loc)).path))
	assert g.status == 200 and g.body == b"deep", loc


def test_same_name_posts_concurrently_never_clobber(mixed_srv):
	n = 24
	datas = [(b"%03d" % i) * 3000 for i in range(n)]
	res = [None] * n
	bar = threading.Barrier(n)

	def one(i):
		bar.wait()
		try:
			res[i] = mex(mixed_srv, req("POST", "/up/same.bin", {"Content-Length": len(datas[i])},
			                            datas[i]))
		except Exception as e:  # noqa: BLE001 - reported below
			res[i] = e

	ths = [threading.Thread(target=one, args=(i,)) for i in range(n)]
	for t in ths:
		t.start()
	for t in ths:
		t.join(wsh.T(30))
	assert all(isinstance(r, wsh.Response) and r.status == 201 for r in res), res
	locs = {r.header("Location") for r in res}
	assert len(locs) == n, locs
	stored = sorted(p for p in os.listdir(mixed_srv.store) if p.startswith("same"))
	assert len(stored) == n, stored
	contents = sorted((mixed_srv.store / p).read_bytes() for p in stored)
	assert contents == sorted(datas)
	assert mixed_temp_files(mixed_srv) == []


def test_mixed_still_serving_nothing_left(mixed_srv):
	assert mex(mixed_srv, get("/a.txt")).body == b"alpha"
	assert mixed_temp_files(mixed_srv) == []


# -- uploads as common clients send them (curl, browsers, Postman) -----------

@pytest.fixture(scope="module")
def usrv(module_store_server):
	"""The shared STORE_CONF server: /up stores in {tmp}/store, no body limit."""
	return module_store_server()


def temp_left(srv):
	return [n for n in os.listdir(srv.store) if n.startswith(".")]


def curl(srv, *args, timeout=30):
	if not os.access("/usr/bin/curl", os.X_OK):
		pytest.skip("curl not installed")
	cmd = ["/usr/bin/curl", "-sS", "--noproxy", "*", "-o", "-", "-w", "\n%{http_code}", "-v"]
	cmd += list(args)
	p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
	                   timeout=wsh.T(timeout))
	out, _, code = p.stdout.rpartition(b"\n")
	return int(code or 0), out, p.stderr.decode("latin-1")


def raw_part(headers, data):
	return headers.encode("utf-8") + b"\r\n\r\n" + data


def raw_multipart(boundary, parts, preamble=b""):
	b = boundary.encode()
	out = preamble
	for p in parts:
		out += b"--" + b + b"\r\n" + p + b"\r\n"
	return out + b"--" + b + b"--\r\n"


def post_raw_mp(srv, boundary, body, extra=(), ctype_boundary=None):
	h = [("Content-Type", "multipart/form-data; boundary=" + (ctype_boundary or boundary)),
	     ("Content-Length", str(len(body)))] + list(extra)
	with srv.conn(timeout=30) as c:
		c.send(req("POST", "/up/", h, body))
		return c.read_response(timeout=30)


def test_curl_form_upload_with_expect(usrv, tmp_path):
	"""`curl -F` of a 2 MiB file and a text field: curl sends
	Expect: 100-continue; the server answers 100 and stores the file."""
	name = "curl-%s.bin" % uuid.uuid4().hex[:8]
	data = os.urandom(2 << 20)
	(tmp_path / name).write_bytes(data)
	code, out, err = curl(usrv, "-F", "file=@%s" % (tmp_path / name), "-F", "note=hello",
	                      usrv.url + "/up/")
	assert code == 201, (code, out[:300], err[-1500:])
	assert "Expect: 100-continue" in err
	assert "HTTP/1.1 100 Continue" in err, err[-1500:]
	assert (usrv.store / name).read_bytes() == data


def test_curl_form_upload_chunked(usrv, tmp_path):
	name = "curlch-%s.txt" % uuid.uuid4().hex[:8]
	(tmp_path / name).write_bytes(b"chunked by curl\n" * 1000)
	code, out, err = curl(usrv, "-H", "Transfer-Encoding: chunked",
	                      "-F", "file=@%s;type=text/plain" % (tmp_path / name),
	                      usrv.url + "/up/")
	assert code == 201, (code, err[-1500:])
	assert (usrv.store / name).read_bytes() == b"chunked by curl\n" * 1000


def test_curl_put_then_range_get_and_delete_twice(usrv, tmp_path):
	name = "put-%s.bin" % uuid.uuid4().hex[:8]
	data = os.urandom(3 << 20)
	(tmp_path / "src").write_bytes(data)
	code, _, err = curl(usrv, "-T", str(tmp_path / "src"), usrv.url + "/up/" + name)
	assert code == 201, err[-1500:]
	r = wsh.exchange(usrv.port, get("/up/" + name, headers={"Range": "bytes=1000000-1000099"}))
	assert r.status == 206 and r.body == data[1000000:1000100]
	assert r.header("Content-Range") == "bytes 1000000-1000099/%d" % len(data)
	r = wsh.exchange(usrv.port, get("/up/" + name, headers={"Range": "bytes=-7"}))
	assert r.status == 206 and r.body == data[-7:]
	r = wsh.exchange(usrv.port, get("/up/" + name), timeout=20)
	assert r.status == 200 and r.body == data
	r = wsh.exchange(usrv.port, req("DELETE", "/up/" + name))
	assert r.status == 204 and r.body == b""
	r = wsh.exchange(usrv.port, req("DELETE", "/up/" + name))
	assert_error_response(r, 404)
	assert wsh.exchange(usrv.port, get("/up/" + name)).status == 404


@pytest.mark.rfc("7578", "4.2", "MUST")
def test_browser_empty_file_input_is_skipped(usrv):
	"""A browser form whose file input was left empty sends a part with
	filename="" and no data.  The contract: that part is skipped (with or
	without data), not an error; with no other file the answer is 200 and nothing is stored."""
	bnd = "----WebKitFormBoundaryAbC123xyZ"
	body = raw_multipart(bnd, [
		raw_part('Content-Disposition: form-data; name="title"', b"hello"),
		raw_part('Content-Disposition: form-data; name="file"; filename=""\r\n'
		         'Content-Type: application/octet-stream', b""),
	])
	before = set(os.listdir(usrv.store))
	r = post_raw_mp(usrv, bnd, body)
	assert r.status == 200, r
	assert not r.has("Location")
	assert set(os.listdir(usrv.store)) == before


def test_postman_style_parts(usrv):
	"""Lower/upper-case part header names, a Content-Type per part,
	parameters without spaces and in any order, text fields around files."""
	bnd = "--------------------------" + "1234567890" * 2
	n1, n2 = "pm1-%s.png" % uuid.uuid4().hex[:6], "pm2-%s.json" % uuid.uuid4().hex[:6]
	d1, d2 = b"\x89PNG\r\n\x1a\n" + os.urandom(5000), b'{"k": [1, 2]}'
	body = raw_multipart(bnd, [
		raw_part('content-disposition: form-data; name="text"\r\ncontent-type: text/plain',
		         b"value"),
		raw_part('CONTENT-DISPOSITION: form-data;filename="%s";name="img"\r\n'
		         'Content-Type: image/png' % n1, d1),
		raw_part('Content-Disposition: form-data; name="meta"; filename="%s"\r\n'
		         'Content-Type: application/json; charset=utf-8' % n2, d2),
		raw_part('Content-Disposition: form-data; name="after"', b"x"),
	], preamble=b"preamble --" + bnd.encode() + b"X not a delimiter\r\n")
	r = post_raw_mp(usrv, bnd, body)
	assert r.status == 201, (r, r.body[:300])
	assert urlsplit(r.header("Location")).path == "/up/" + n1
	assert (usrv.store / n1).read_bytes() == d1
	assert (usrv.store / n2).read_bytes() == d2


@pytest.mark.rfc("7578", "4.2", "MUST")
@pytest.mark.parametrize("fname", ["two  spaces .txt", "r\u00e9sum\u00e9 \u00fc\u6f22.txt",
                                   "it's (1) [a] {b} ; = & + %.txt"])
def test_multipart_odd_filenames_stored_and_served(usrv, fname):
	"""Browsers send file names as raw UTF-8: stored under that name,
	Location is a valid URI that serves it."""
	tag = uuid.uuid4().hex[:6]
	name = tag + "-" + fname
	bnd = "BnD" + tag
	body = raw_multipart(bnd, [raw_part('Content-Disposition: form-data; name="f"; filename="%s"'
	                                    % name, b"odd name")])
	r = post_raw_mp(usrv, bnd, body)
	assert r.status == 201, (r, r.body[:300])
	assert (usrv.store / name).read_bytes() == b"odd name"
	loc = r.header("Location")
	assert all(0x21 <= ord(ch) < 0x7f for ch in loc), loc
	path = urlsplit(loc).path
	assert unquote(path) == "/up/" + name
	assert wsh.exchange(usrv.port, get(path)).body == b"odd name"


def test_multipart_filename_with_escaped_quote(usrv):
	"""RFC 7578 4.2 / curl: a quote inside the quoted file name.  Either the
	name is understood (a"b.txt, or the browser form a%22b.txt) or the
	request is refused; nothing lands outside the store and nothing half
	parsed is left."""
	tag = uuid.uuid4().hex[:6]
	bnd = "Q" + tag
	before = set(os.listdir(usrv.store))
	body = raw_multipart(bnd, [raw_part('Content-Disposition: form-data; name="f"; '
	                                    'filename="%s-a\\"b.txt"' % tag, b"quoted")])
	r = post_raw_mp(usrv, bnd, body)
	new = set(os.listdir(usrv.store)) - before
	if r.status == 201:
		assert len(new) == 1, new
		assert new.pop() in ('%s-a"b.txt' % tag, "%s-a%%22b.txt" % tag, 'b.txt', '"b.txt'), new
	else:
		assert r.status == 400 and not new


@pytest.mark.rfc("2046", "5.1.1", "MUST")
def test_multipart_data_ending_like_close_delimiter(usrv):
	tag = uuid.uuid4().hex[:6]
	bnd = "edgeB" + tag
	name = "cd-%s.bin" % tag
	data = b"line\r\ntail--" + bnd.encode() + b"--\r\nafter--" + bnd.encode() + b"--"
	body = raw_multipart(bnd, [raw_part('Content-Disposition: form-data; name="f"; filename="%s"'
	                                    % name, data)])
	r = post_raw_mp(usrv, bnd, body)
	assert r.status == 201
	assert (usrv.store / name).read_bytes() == data


def test_five_hundred_small_files_in_one_request(usrv):
	tag = uuid.uuid4().hex[:6]
	bnd = "many" + tag
	names = ["m%s-%03d.txt" % (tag, i) for i in range(500)]
	body = raw_multipart(bnd, [raw_part('Content-Disposition: form-data; name="f%d"; filename="%s"\r\n'
	                                    'Content-Type: text/plain' % (i, n), b"%010d" % i)
	                     for i, n in enumerate(names)])
	r = post_raw_mp(usrv, bnd, body, extra=[("Accept", "application/json")])
	assert r.status == 201, (r, r.body[:300])
	assert urlsplit(r.header("Location")).path == "/up/" + names[0]
	for i, n in enumerate(names):
		assert (usrv.store / n).read_bytes() == b"%010d" % i, n
	assert temp_left(usrv) == []


def test_zz_upload_store_clean(usrv):
	assert temp_left(usrv) == []
