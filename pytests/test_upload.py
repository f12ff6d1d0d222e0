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
import threading
import time
import uuid
from urllib.parse import quote, urlsplit

import pytest

import wsh
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


def vm_hwm_kib(pid):
	with open("/proc/%d/status" % pid) as f:
		for line in f:
			if line.startswith("VmHWM:"):
				return int(line.split()[1])
	raise AssertionError("no VmHWM")


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


REJECTED = ["", ".", "..", "a/..", "a/.", "x/", "a\\", "a\x00b", "nul\x00", "a\x01b",
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
