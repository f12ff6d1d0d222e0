"""A bounded, seeded fuzz of the live server.

About 3000 requests (1000 under ASan) are made by mutating a corpus of valid
requests (byte flips, truncation, duplicated or dropped lines, injected
headers, random chunked framing, random methods / versions / targets,
overlong tokens, stray CR / LF / NUL) and sent over a mix of fresh,
keep-alive and pipelined connections (and a few clients that reset the
connection mid-exchange) from a few client threads, each with a short wait
for an answer.  Every response that comes back must start with
"HTTP/1.1 NNN ", carry Date and Server, use a status the contract allows,
and be framed so that it can be read to its end.  After every 100 requests a
plain GET must still get its 200 quickly; at the end the server is alive, no
temporary upload file is left, and (the harness checks this) it exits 0 on
SIGTERM with no sanitizer report.

The generator is random.Random(SEED + round) (FUZZ_SEED=N in the
environment picks another SEED); the interleaving of the client threads is
not fixed, the requests are.
"""

import os
import random
import re
import socket
import struct
import threading
import time

import pytest

import wsh
from wsh import req, get

SEED = int(os.environ.get("FUZZ_SEED", "20261125"))
TOTAL = 1000 if wsh.ASAN else 3000
ROUND = 100
THREADS = 12
FIRST_BYTE = 0.6 if wsh.ASAN else 0.25  # wait for an answer to start
FINISH = wsh.T(5)                       # a started response must end by then

CGI = r'''
import os, sys
n = int(os.environ.get("CONTENT_LENGTH") or 0)
data = sys.stdin.buffer.read(n) if n else b""
q = os.environ.get("QUERY_STRING", "")
out = sys.stdout.buffer
if q == "204":
    out.write(b"Status: 204 No Content\r\n\r\n")
elif q == "redir":
    out.write(b"Location: /a.txt\r\n\r\n")
elif q == "len":
    body = b"len=%d" % len(data)
    out.write(b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
else:
    out.write(b"Content-Type: text/plain\r\n\r\n" + os.environ.get("REQUEST_METHOD", "").encode()
              + b" " + str(len(data)).encode())
'''

CONF = """
client_header_timeout 3s;
client_body_timeout 3s;
keepalive_timeout 5s;
cgi_timeout 5s;
server {
    listen 127.0.0.1:{port};
    server_name fuzz.test;
    root {root};
    error_page 404 /errs/404.html;
    error_page 400 413 /errs/4xx.html;
    location /auto { autoindex on; }
    location /up {
        upload_store {tmp}/store;
        alias {tmp}/store;
        allow_methods GET POST PUT DELETE;
        client_max_body_size 64k;
    }
    location /cgi/ {
        allow_methods GET HEAD POST;
        cgi .py /usr/bin/python3;
        client_max_body_size 64k;
    }
    location = /old { return 301 /a.txt; }
    location = /text { return 200 "some text"; }
}
"""

FILES = {
	"index.html": b"<p>index</p>",
	"a.txt": b"alpha",
	"big.bin": bytes(range(256)) * 400,
	"errs/404.html": b"<p>custom 404</p>",
	"errs/4xx.html": b"<p>custom 4xx</p>",
	"auto/one.txt": b"one",
	"auto/two words.txt": b"two",
	"cgi/t.py": CGI,
}

# Statuses the contract can produce for arbitrary input on this config.
ALLOWED = {100, 200, 201, 204, 206, 301, 302, 304, 400, 403, 404, 405, 408, 409,
           411, 413, 414, 415, 416, 417, 431, 501, 502, 505}

STATUS_RE = re.compile(rb"^HTTP/1\.1 (\d{3}) ")


def _mp(name, data):
	b = b"fzB0undary"
	body = (b"--" + b + b"\r\nContent-Disposition: form-data; name=\"f\"; filename=\"" + name
	        + b"\"\r\nContent-Type: application/octet-stream\r\n\r\n" + data
	        + b"\r\n--" + b + b"\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nfield\r\n--"
	        + b + b"--\r\n")
	return req("POST", "/up/", {"Content-Type": "multipart/form-data; boundary=" + b.decode(),
	                            "Content-Length": len(body)}, body)


def corpus():
	cb = b"7\r\nchunked\r\n3;e=1\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n"
	return [
		get("/"), get("/a.txt"), get("/big.bin"), req("HEAD", "/a.txt"), get("/auto/"),
		get("/auto"), get("/auto/two%20words.txt"), get("/missing"), get("/old"), get("/text"),
		req("GET", "/big.bin", {"Range": "bytes=10-99"}),
		req("GET", "/a.txt", {"If-None-Match": '"x", W/"y"', "If-Modified-Since":
		                      "Thu, 01 Jan 2099 00:00:00 GMT"}),
		req("GET", "/a.txt", {"Accept": "*/*", "User-Agent": "fuzz/1.0", "Connection": "keep-alive"}),
		get("/a.txt", version="HTTP/1.0"),
		b"GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		req("GET", "http://fuzz.test/a.txt"),
		req("PUT", "/up/f.txt", {"Content-Length": 5}, b"hello"),
		req("PUT", "/up/c.txt", {"Transfer-Encoding": "chunked"}) + cb,
		req("POST", "/up/raw.bin", {"Content-Length": 7}, b"rawbody"),
		req("POST", "/up/e.txt", {"Content-Length": 3, "Expect": "100-continue"}, b"exp"),
		_mp(b"m.txt", b"multipart data"),
		req("DELETE", "/up/f.txt"),
		get("/up/"),
		get("/cgi/t.py?x=1"), req("HEAD", "/cgi/t.py"), get("/cgi/t.py?204"),
		get("/cgi/t.py?redir"), get("/cgi/t.py/path/info?len"),
		req("POST", "/cgi/t.py?len", {"Content-Length": 4}, b"data"),
		req("POST", "/cgi/t.py", {"Transfer-Encoding": "chunked"}) + cb,
		req("OPTIONS", "/a.txt"), req("BREW", "/pot"),
	]


METHODS = [b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"OPTIONS", b"TRACE", b"CONNECT",
           b"PATCH", b"FOO", b"get", b"G\x00T", b"", b"GET GET"]
VERSIONS = [b"HTTP/1.1", b"HTTP/1.0", b"HTTP/1.9", b"HTTP/2.0", b"HTTP/3", b"HTTP/1.11",
            b"http/1.1", b"HTTP/1", b"", b"HTTP/1.1 x", b"HTTP/0.9"]
TARGETS = [b"/", b"/a.txt", b"/auto/", b"/up/x.bin", b"/up/", b"/up", b"/cgi/t.py",
           b"/cgi/t.py/p/../q?a=b", b"/../a.txt", b"/%2e%2e/%2e%2e/etc/passwd", b"/%00",
           b"/%zz", b"/a.txt%0d%0aX: y", b"http://fuzz.test/a.txt", b"https://x:1/", b"*",
           b"fuzz.test:80", b"//a.txt", b"/a.txt?#", b"/auto/..", b"/up/%2e%2e/a.txt",
           b"/up/sub/", b"/old?x", b"/\xff\xfe", b""]
HEADERS = [b"Host", b"Content-Length", b"Transfer-Encoding", b"Connection", b"Expect",
           b"Range", b"If-None-Match", b"If-Modified-Since", b"If-Range", b"Content-Type",
           b"Cookie", b"X-Forwarded-For", b"Proxy", b"Accept", b"Upgrade", b"TE", b"Trailer"]
VALUES = [b"", b"0", b"-1", b"5", b"18446744073709551616", b"chunked", b"gzip, chunked",
          b"chunked, chunked", b"identity", b"close", b"keep-alive", b"100-continue",
          b"bytes=0-", b"bytes=-1,0-0", b"bytes=99999999999999999999-", b"*", b'W/"x"',
          b"multipart/form-data; boundary=", b"multipart/form-data; boundary=\"a b\"",
          b"fuzz.test", b"[::1]:80", b"a b", b"\t x \t", b"\x80\xff", b"x" * 300]


def chunkify(rng, body):
	"""Random chunked framing of body: random sizes, extensions, case,
	sometimes a wrong size or a missing last chunk."""
	out = b""
	i = 0
	while i < len(body):
		n = rng.randint(1, max(1, len(body) - i))
		size = b"%x" % n
		r = rng.random()
		if r < 0.1:
			size = size.upper()
		elif r < 0.15:
			size = b"0" * rng.randint(1, 5) + size
		elif r < 0.2:
			size = b"%x" % (n + rng.choice([-1, 1, 1000]))
		ext = b""
		if rng.random() < 0.2:
			ext = b";" + rng.choice([b"a", b"a=b", b'a="q;x"', b" ", b"\x01", b"a" * 5000])
		out += size + ext + b"\r\n" + body[i:i + n] + b"\r\n"
		i += n
	r = rng.random()
	if r < 0.8:
		out += b"0\r\n"
		if rng.random() < 0.3:
			out += b"X-T: v\r\n"
		out += b"\r\n"
	elif r < 0.9:
		out += b"0\r\n"  # no final CRLF: incomplete
	return out


def split_head(data):
	i = data.find(b"\r\n\r\n")
	if i < 0:
		return data, b""
	return data[:i + 2], data[i + 4:]


def mutate(rng, data):
	"""One to three random mutations of a request."""
	for _ in range(rng.choice([1, 1, 1, 2, 3])):
		k = rng.randrange(13)
		head, body = split_head(data)
		lines = head.split(b"\r\n")
		if lines and lines[-1] == b"":
			lines.pop()
		if k == 0 and data:  # byte flips
			b = bytearray(data)
			for _ in range(rng.randint(1, 4)):
				p = rng.randrange(len(b))
				b[p] = rng.choice([rng.randrange(256), b[p] ^ (1 << rng.randrange(8))])
			data = bytes(b)
		elif k == 1 and data:  # truncation
			data = data[:rng.randrange(len(data))]
		elif k == 2 and lines:  # duplicate a line
			i = rng.randrange(len(lines))
			lines.insert(i, lines[i])
			data = b"\r\n".join(lines) + b"\r\n\r\n" + body
		elif k == 3 and len(lines) > 1:  # drop a field line
			del lines[rng.randrange(1, len(lines))]
			data = b"\r\n".join(lines) + b"\r\n\r\n" + body
		elif k == 4:  # inject a header
			h = rng.choice(HEADERS) + rng.choice([b": ", b":", b" : ", b":\t"]) + rng.choice(VALUES)
			lines.insert(rng.randint(1, max(1, len(lines))), h)
			data = b"\r\n".join(lines) + b"\r\n\r\n" + body
		elif k == 5 and lines:  # random request line
			parts = [rng.choice(METHODS), rng.choice(TARGETS), rng.choice(VERSIONS)]
			if rng.random() < 0.2:
				parts = parts[:rng.randint(1, 3)]
			lines[0] = rng.choice([b" ", b"  ", b"\t"]).join(parts) if rng.random() < 0.2 \
				else b" ".join(parts)
			data = b"\r\n".join(lines) + b"\r\n\r\n" + body
		elif k == 6:  # chunked framing
			lines = [ln for ln in lines if not ln.lower().startswith(b"content-length")]
			lines.append(b"Transfer-Encoding: chunked")
			data = b"\r\n".join(lines) + b"\r\n\r\n" + chunkify(rng, body or b"xyz" * rng.randint(1, 50))
		elif k == 7:  # overlong token
			n = rng.choice([300, 9000, 40000, 70000])
			where = rng.randrange(4)
			if where == 0 and lines:
				lines[0] = b"G" * n + b" / HTTP/1.1"
			elif where == 1 and lines:
				lines[0] = b"GET /" + b"a" * n + b" HTTP/1.1"
			elif where == 2:
				lines.append(b"X-" + b"n" * n + b": v")
			else:
				lines.append(b"X-Long: " + b"v" * n)
			data = b"\r\n".join(lines) + b"\r\n\r\n" + body
		elif k == 8 and data:  # stray CR / LF / NUL / SP
			p = rng.randrange(len(data))
			data = data[:p] + rng.choice([b"\r", b"\n", b"\x00", b" ", b"\r\n", b"\t"]) + data[p:]
		elif k == 9:  # change Content-Length
			v = rng.choice([b"0", b"1", b"%d" % (len(body) + 1), b"%d" % max(0, len(body) - 1),
			                b"+5", b"5, 5", b"99999999999", b"0x10"])
			lines = [ln for ln in lines if not ln.lower().startswith(b"content-length")]
			lines.append(b"Content-Length: " + v)
			data = b"\r\n".join(lines) + b"\r\n\r\n" + body
		elif k == 10 and lines:  # line ends: bare LF / bare CR
			sep = rng.choice([b"\n", b"\r", b"\r\r\n"])
			data = sep.join(lines) + sep + sep + body
		elif k == 11:  # obs-fold / whitespace before colon
			lines.insert(rng.randint(1, max(1, len(lines))), rng.choice(
				[b" folded", b"\tfolded", b"Name : v", b"NoColon", b":empty-name"]))
			data = b"\r\n".join(lines) + b"\r\n\r\n" + body
		elif k == 12:  # leading empty lines / garbage before the request
			data = rng.choice([b"\r\n", b"\r\n" * 20, b"\x16\x03\x01\x00", b"PRI * HTTP/2.0\r\n"]) + data
	return data


# -- reading responses ----------------------------------------------------------------

class Reader:
	"""Reads responses from a socket with two deadlines: the first byte
	must come within FIRST_BYTE (else: no answer, fine), a started
	response must be complete within FINISH."""

	def __init__(self, sock):
		self.sock = sock
		self.buf = b""
		self.eof = False

	def fill(self, deadline):
		if self.eof:
			return False
		left = deadline - time.monotonic()
		if left <= 0:
			raise socket.timeout()
		self.sock.settimeout(left)
		try:
			d = self.sock.recv(65536)
		except (ConnectionResetError, BrokenPipeError):
			self.eof = True
			return False
		if not d:
			self.eof = True
			return False
		self.buf += d
		return True

	def until(self, delim, deadline):
		while delim not in self.buf:
			if not self.fill(deadline):
				return None
		i = self.buf.index(delim) + len(delim)
		out, self.buf = self.buf[:i], self.buf[i:]
		return out

	def exact(self, n, deadline):
		while len(self.buf) < n:
			if not self.fill(deadline):
				return None
		out, self.buf = self.buf[:n], self.buf[n:]
		return out


def read_one(rd, method, wait_first):
	"""Reads one response.  Returns None when nothing arrived (closed or
	timed out before a byte), else (status, headers dict, closed_after).
	Raises AssertionError on any protocol violation."""
	if not rd.buf:
		try:
			if not rd.fill(time.monotonic() + wait_first):
				return None
		except socket.timeout:
			return None
	deadline = time.monotonic() + FINISH
	start = rd.buf[:40]
	try:
		head = rd.until(b"\r\n\r\n", deadline)
	except socket.timeout:
		raise AssertionError("response head not completed: %r" % rd.buf[:200])
	if head is None:
		raise AssertionError("connection closed inside a response head: %r" % rd.buf[:200])
	m = STATUS_RE.match(head)
	assert m, "bad status line: %r" % start
	status = int(m.group(1))
	assert status in ALLOWED, "status %d not allowed: %r" % (status, head[:300])
	hdrs = {}
	for ln in head.split(b"\r\n")[1:-2]:
		assert b":" in ln, "bad header line %r" % ln
		k, v = ln.split(b":", 1)
		hdrs.setdefault(k.strip().lower(), []).append(v.strip())
	if status >= 200:
		assert b"date" in hdrs and b"server" in hdrs, head[:300]
	closes = any(b"close" in v.lower() for v in hdrs.get(b"connection", []))
	if method == b"HEAD" and status >= 400 and closes:
		# A request too broken for its method to be known (garbage
		# before it, say) may get the error page; since the connection
		# ends, either way is unambiguous: no content, or exactly the
		# announced length, then the close.
		try:
			while rd.fill(deadline):
				pass
		except socket.timeout:
			raise AssertionError("no close after %r" % head[:300])
		cl = hdrs.get(b"content-length", [b"0"])[0]
		assert rd.buf in (b"",) or len(rd.buf) == int(cl), (
			"%d bytes after a %d with Content-Length %s" % (len(rd.buf), status, cl))
		rd.buf = b""
		return status, hdrs, True
	if status < 200 or status in (204, 304) or method == b"HEAD":
		if status in (204, 304) or status < 200:
			assert b"content-length" not in hdrs or status == 304, head[:300]
			assert b"transfer-encoding" not in hdrs, head[:300]
		return status, hdrs, False
	try:
		if b"transfer-encoding" in hdrs:
			assert hdrs[b"transfer-encoding"] == [b"chunked"], head[:300]
			while True:
				line = rd.until(b"\r\n", deadline)
				assert line is not None, "closed inside a chunked body"
				size = line.split(b";")[0].strip()
				assert re.match(rb"^[0-9A-Fa-f]{1,16}$", size), "bad chunk size line %r" % line
				n = int(size, 16)
				if n == 0:
					while True:
						t = rd.until(b"\r\n", deadline)
						assert t is not None, "closed inside trailers"
						if t == b"\r\n":
							break
					break
				assert rd.exact(n, deadline) is not None, "closed inside a chunk"
				assert rd.exact(2, deadline) == b"\r\n", "chunk not followed by CRLF"
		elif b"content-length" in hdrs:
			assert len(hdrs[b"content-length"]) == 1, head[:300]
			n = int(hdrs[b"content-length"][0])
			got = rd.exact(n, deadline)
			assert got is not None, "closed %d bytes into a %d-byte body" % (
				len(rd.buf), n)
		else:
			# Close-delimited: allowed only when the server closes.
			while rd.fill(deadline):
				pass
			rd.buf = b""
			return status, hdrs, True
	except socket.timeout:
		raise AssertionError("response body not completed in %.1fs: %r" % (FINISH, head[:300]))
	return status, hdrs, closes


def first_method(data):
	d = data.lstrip(b"\r\n")
	return d.split(b" ", 1)[0]


class Client:
	"""One client thread's connection.  A connection is reused only after
	valid requests: once a mutated request went out on it, it is closed
	(what the server made of the rest of the bytes is unknown)."""

	def __init__(self, port, failures):
		self.port = port
		self.failures = failures
		self.sock = None
		self.rd = None

	def close(self):
		if self.sock is not None:
			try:
				self.sock.close()
			except OSError:
				pass
		self.sock = self.rd = None

	def connect(self):
		self.close()
		s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
		s.settimeout(wsh.T(5))
		s.connect(("127.0.0.1", self.port))
		self.sock, self.rd = s, Reader(s)

	def send(self, data, cuts):
		try:
			prev = 0
			for c in [c for c in cuts if 0 < c < len(data)] + [len(data)]:
				self.sock.sendall(data[prev:c])
				prev = c
			return True
		except (BrokenPipeError, ConnectionResetError, socket.timeout):
			return False

	def run(self, item):
		"""item: (mode, [(data, valid)], cuts).  mode: fresh|keep|pipe|abort;
		cuts: offsets where the bytes are split into several sends."""
		mode, reqs, cuts = item
		if mode == "fresh" or mode == "abort" or self.sock is None:
			self.connect()
		if mode == "abort":
			# Leave with a reset in the middle of the exchange.
			self.send(b"".join(d for d, _ in reqs), cuts[:1])
			try:
				if cuts and cuts[0] % 2:
					self.sock.recv(100)
				self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
			except OSError:
				pass
			self.close()
			return
		data_all = b"".join(d for d, _ in reqs)
		self.send(data_all, cuts)
		mutated = not all(valid for _, valid in reqs)
		suspect_head = any(b"HEAD" in d for d, valid in reqs if not valid)
		try:
			for data, valid in reqs:
				method = first_method(data)
				while True:
					got = read_one(self.rd, method, wsh.T(5) if valid else FIRST_BYTE)
					if got is None:
						assert not valid, "no answer to a valid request %r" % data[:100]
						self.close()
						return
					status, hdrs, closed = got
					if status >= 200:
						break
				if closed or self.rd.eof:
					self.close()
					return
			# Whatever else already arrived (a mutated request taken as
			# several) must be responses too.
			while self.rd.buf:
				got = read_one(self.rd, b"HEAD" if suspect_head else b"GET", 0.05)
				if got is None or got[2]:
					break
			if mode == "fresh" or mutated:
				self.close()
		except AssertionError as e:
			self.failures.append("%s\nrequest: %r" % (e, data_all[:400]))
			self.close()
		except Exception as e:  # noqa: BLE001 - every surprise is a finding
			self.failures.append("%r\nrequest: %r" % (e, data_all[:400]))
			self.close()


def make_round(rng, base):
	"""ROUND requests as items for the client threads."""
	items = []
	n = 0
	while n < ROUND:
		mode = rng.choices(["fresh", "keep", "pipe", "abort"], [4, 4, 2, 0.5])[0]
		if mode == "abort":
			reqs = [(rng.choice(base), True) for _ in range(rng.randint(1, 4))]
		elif mode == "pipe":
			reqs = [(rng.choice(base), True) for _ in range(rng.randint(1, 3))]
			reqs.append((mutate(rng, rng.choice(base)), False))
		elif rng.random() < (0.3 if mode == "keep" else 0.1):
			reqs = [(rng.choice(base), True)]
		else:
			reqs = [(mutate(rng, rng.choice(base)), False)]
		size = sum(len(d) for d, _ in reqs)
		cuts = sorted(rng.randrange(1, size) for _ in range(rng.choice([0, 0, 0, 1, 4]))) \
			if size > 1 else []
		items.append((mode, reqs, cuts))
		n += len(reqs)
	return items


def healthy(srv):
	r = wsh.exchange(srv.port, get("/a.txt", headers={"Connection": "close"}), timeout=2)
	return r.status == 200 and r.body == b"alpha"


@pytest.mark.slow
def test_live_fuzz(server):
	srv = server(CONF, files=FILES, dirs=["store"])
	base = corpus()
	failures = []
	t0 = time.monotonic()
	for rnd in range(TOTAL // ROUND):
		rng = random.Random(SEED + rnd)
		items = make_round(rng, base)
		clients = [Client(srv.port, failures) for _ in range(THREADS)]

		def work(k):
			for it in items[k::THREADS]:
				clients[k].run(it)
			clients[k].close()

		ths = [threading.Thread(target=work, args=(k,)) for k in range(THREADS)]
		for t in ths:
			t.start()
		for t in ths:
			t.join(wsh.T(120))
		assert not any(t.is_alive() for t in ths), "client thread stuck in round %d" % rnd
		assert srv.alive(), "webserv died in round %d (seed %d):\n%s" % (
			rnd, SEED + rnd, srv.stderr_text()[-3000:])
		assert healthy(srv), "plain GET failed after round %d" % rnd
		assert not failures, "round %d (seed %d): %d problems, first:\n%s" % (
			rnd, SEED + rnd, len(failures), "\n---\n".join(failures[:3]))
	assert srv.alive()
	# Aborted uploads are cleaned up when the server sees the close.
	deadline = time.monotonic() + wsh.T(5)
	while True:
		left = [n for n in os.listdir(srv.tmp / "store") if n.startswith(".upload-")]
		if not left or time.monotonic() > deadline:
			break
		time.sleep(0.1)
	assert left == [], "temporary upload files left: %r" % left
	assert healthy(srv)
	print("fuzz: %d requests in %.1fs" % (TOTAL, time.monotonic() - t0))
