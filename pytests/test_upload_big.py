"""Large uploads go to disk exact and in bounded memory: a PUT with
Content-Length, a chunked PUT and a multipart POST of 56 MiB are stored
byte for byte (sha256), the server's peak RSS does not grow with the
body, body limits still answer 413, and an upload cut off midway leaves
nothing behind (and an existing file untouched)."""

import hashlib
import os
import time

import pytest

import wsh
from procs import vm_hwm_kib
from wsh import req, get, assert_error_response

CONF = """
server {
    listen 127.0.0.1:{port};
    root {root};
    location /up {
        allow_methods GET HEAD PUT POST;
        upload_store {tmp}/store;
        alias {tmp}/store;
        client_max_body_size 0;
    }
    location /lim {
        allow_methods PUT POST;
        upload_store {tmp}/lim;
        client_max_body_size 8m;
    }
}
"""
BND = "----wsBigBoundaryZx81Qm"
SIZE = 56 << 20


@pytest.fixture
def srv(server):
	return server(CONF, dirs=["store", "lim"])


def big_data():
	"""Random bytes with CRs, CRLFs and near-delimiters sown through them
	(and one across every 1 MiB edge)."""
	b = bytearray(os.urandom(SIZE))
	look = b"\r\n--" + BND[:-1].encode() + b"#"  # one byte short of a delimiter
	for off in range(0, SIZE - 64, 1 << 20):
		at = max(0, off - len(look) // 2)
		b[at:at + len(look)] = look
		b[off + 5000:off + 5002] = b"\r\n"
	return bytes(b)


def send_all(c, data, piece=(1 << 20) + 7):
	for i in range(0, len(data), piece):
		assert c.send(data[i:i + piece]), "server closed during the upload"


def stored_sha(path):
	h = hashlib.sha256()
	with open(path, "rb") as f:
		while True:
			blk = f.read(1 << 20)
			if not blk:
				break
			h.update(blk)
	return h.hexdigest()


def store_names(srv, store="store"):
	return sorted(os.listdir(srv.env.tmp / store))


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["put_length", "put_chunked", "post_multipart"])
def test_big_upload_exact_and_flat(srv, kind):
	data = big_data()
	want = hashlib.sha256(data).hexdigest()
	name = "big-%s.bin" % kind
	wsh.exchange(srv.port, get("/"), timeout=5)
	before = vm_hwm_kib(srv.pid)
	with wsh.Conn(srv.port, timeout=120) as c:
		if kind == "put_length":
			c.send(req("PUT", "/up/" + name, [("Content-Length", str(SIZE))]))
			send_all(c, data)
		elif kind == "put_chunked":
			c.send(req("PUT", "/up/" + name, [("Transfer-Encoding", "chunked")]))
			piece = (1 << 20) + 333
			for i in range(0, SIZE, piece):
				blk = data[i:i + piece]
				assert c.send(b"%x\r\n" % len(blk) + blk + b"\r\n")
			c.send(b"0\r\n\r\n")
		else:
			head = ('--%s\r\nContent-Disposition: form-data; name="f"; filename="%s"\r\n'
			        'Content-Type: application/octet-stream\r\n\r\n' % (BND, name)).encode()
			tail = ("\r\n--%s--\r\n" % BND).encode()
			c.send(req("POST", "/up/", [("Content-Type", "multipart/form-data; boundary=" + BND),
			                            ("Content-Length", str(len(head) + SIZE + len(tail)))]))
			c.send(head)
			send_all(c, data)
			c.send(tail)
		r = c.read_response(timeout=120)
	assert r.status == 201, (r, r.body[:300])
	after = vm_hwm_kib(srv.pid)
	path = srv.env.tmp / "store" / name
	assert path.stat().st_size == SIZE
	assert stored_sha(path) == want
	assert store_names(srv) == [name]
	growth = (after - before) / 1024.0
	print("\n%s: server VmHWM +%.1f MiB" % (kind, growth))
	if not wsh.ASAN:
		assert growth < 8, "VmHWM grew by %.1f MiB during a %d MiB upload" % (growth, SIZE >> 20)


def test_413_length_over_the_limit(srv):
	r = wsh.exchange(srv.port, req("PUT", "/lim/x.bin", [("Content-Length", str(9 << 20))]))
	assert_error_response(r, 413)
	assert store_names(srv, "lim") == []


@pytest.mark.parametrize("kind", ["put_chunked", "post_multipart_chunked"])
def test_413_crossed_in_a_large_read(srv, kind):
	"""The limit is crossed inside a large read of a chunked body: 413, and
	the file (or part) begun is gone."""
	data = os.urandom(12 << 20)
	if kind == "put_chunked":
		target, h = "/lim/x.bin", []
	else:
		target = "/lim/"
		h = [("Content-Type", "multipart/form-data; boundary=" + BND)]
		data = (('--%s\r\nContent-Disposition: form-data; name="f"; filename="p.bin"\r\n\r\n'
		         % BND).encode() + data + ("\r\n--%s--\r\n" % BND).encode())
	with wsh.Conn(srv.port, timeout=30) as c:
		c.send(req("PUT" if kind == "put_chunked" else "POST", target,
		           h + [("Transfer-Encoding", "chunked")]))
		piece = 3 << 20
		for i in range(0, len(data), piece):
			blk = data[i:i + piece]
			if not c.send(b"%x\r\n" % len(blk) + blk + b"\r\n"):
				break
		c.send(b"0\r\n\r\n")
		r = c.read_response(timeout=30)
	assert_error_response(r, 413)
	assert store_names(srv, "lim") == []


@pytest.mark.parametrize("close", ["fin", "rst"])
def test_cut_off_big_put_leaves_nothing(srv, close):
	"""A 56 MiB PUT cut off after 20 MiB: no new file, no temporary file,
	and the file it would have replaced is untouched."""
	old = b"the old content\n"
	(srv.env.tmp / "store" / "keep.bin").write_bytes(old)
	c = wsh.Conn(srv.port, timeout=30)
	c.send(req("PUT", "/up/keep.bin", [("Content-Length", str(SIZE))]))
	send_all(c, os.urandom(20 << 20))
	time.sleep(0.2)
	if close == "rst":
		c.abort()
	else:
		c.close()
	deadline = time.monotonic() + 5
	while time.monotonic() < deadline and store_names(srv) != ["keep.bin"]:
		time.sleep(0.05)
	assert store_names(srv) == ["keep.bin"]
	assert (srv.env.tmp / "store" / "keep.bin").read_bytes() == old
	r = wsh.exchange(srv.port, get("/up/keep.bin"), timeout=5)
	assert r.status == 200 and r.body == old
