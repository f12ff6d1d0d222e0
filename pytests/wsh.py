"""The raw HTTP/1.x client of the webserv pytest suite and of the black-box
conformance suite (conformance/blackbox/, which imports this file).

Everything here speaks bytes over plain TCP so that tests can send exactly
what they mean (malformed framing, pipelined requests, partial heads) and
read back exactly what the server sent, parsed strictly enough to notice
framing errors (a wrong Content-Length shows up as a desynchronised next
response on the same connection).  Only the standard library.
"""

import calendar
import os
import re
import socket
import struct
import time
from urllib.parse import urlsplit

# The ASan build is roughly three times slower: every wait that is not itself
# the behaviour under test is scaled by SLOW.
ASAN = bool(os.environ.get("WEBSERV_ASAN"))
SLOW = 3.0 if ASAN else 1.0

DEFAULT_TIMEOUT = 5.0


def T(seconds):
	"""A wait of `seconds`, scaled for slow (sanitizer) builds."""
	return seconds * SLOW


class ResponseTimeout(AssertionError):
	"""The server did not send a complete response in time."""


class ConnectionClosed(AssertionError):
	"""The server closed the connection before a complete response."""


class ProtocolError(AssertionError):
	"""The server sent something that is not a valid HTTP/1.x response."""


class Response:
	"""A parsed response.

	headers is a list of (name, value) pairs in the order received; header()
	looks names up case-insensitively.
	"""

	def __init__(self, version, status, reason, headers, body, raw_head, framing):
		self.version = version
		self.status = status
		self.reason = reason
		self.headers = headers
		self.body = body
		self.raw_head = raw_head
		self.framing = framing  # "length", "chunked", "close" or "none"
		self.trailers = []

	def header(self, name, default=None):
		vals = self.headers_all(name)
		if not vals:
			return default
		return ", ".join(vals)

	def headers_all(self, name):
		n = name.lower()
		return [v for (k, v) in self.headers if k.lower() == n]

	def has(self, name):
		return bool(self.headers_all(name))

	@property
	def text(self):
		return self.body.decode("utf-8", "replace")

	@property
	def content_type(self):
		return (self.header("Content-Type") or "").split(";")[0].strip().lower()

	def tokens(self, name):
		"""The comma-separated values of a header, lower-cased."""
		v = self.header(name) or ""
		return [t.strip().lower() for t in v.split(",") if t.strip()]

	def connection_tokens(self):
		return self.tokens("Connection")

	def __repr__(self):
		return "<Response %s %d %r, %d body bytes>" % (
			self.version, self.status, self.reason, len(self.body))


STATUS_RE = re.compile(rb"^HTTP/(\d)\.(\d) (\d{3}) ([\t !-~\x80-\xff]*)$")
TOKEN_RE = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


class Conn:
	"""One client connection with a receive buffer, so that several pipelined
	responses can be read one after the other."""

	def __init__(self, port, host="127.0.0.1", timeout=DEFAULT_TIMEOUT,
	             rcvbuf=None, nodelay=True):
		self.timeout = T(timeout)
		family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
		self.sock = socket.socket(family, socket.SOCK_STREAM)
		if rcvbuf is not None:
			self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
		if nodelay:
			self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
		self.sock.settimeout(T(10))
		self.sock.connect((host, port))
		self.buf = b""
		self.eof = False
		self.reset = False

	# -- sending ---------------------------------------------------------

	def send(self, data):
		"""Send all of data. Returns False if the peer already closed."""
		if isinstance(data, str):
			data = data.encode("latin-1")
		try:
			self.sock.settimeout(self.timeout)
			self.sock.sendall(data)
			return True
		except (BrokenPipeError, ConnectionResetError):
			return False

	def send_slowly(self, data, chunk=1, delay=0.0):
		"""Send data in pieces of `chunk` bytes, pausing `delay` seconds."""
		if isinstance(data, str):
			data = data.encode("latin-1")
		for i in range(0, len(data), chunk):
			if not self.send(data[i:i + chunk]):
				return False
			if delay:
				time.sleep(delay)
		return True

	def shutdown_write(self):
		self.sock.shutdown(socket.SHUT_WR)

	def close(self):
		try:
			self.sock.close()
		except OSError:
			pass

	def abort(self):
		"""Close with an RST (SO_LINGER 0) instead of a FIN."""
		try:
			self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
			                     struct.pack("ii", 1, 0))
		except OSError:
			pass
		self.close()

	def __enter__(self):
		return self

	def __exit__(self, *exc):
		self.close()

	# -- receiving -------------------------------------------------------

	def _fill(self, deadline):
		"""Receive more bytes into buf. Returns False at EOF/reset."""
		if self.eof:
			return False
		remaining = deadline - time.monotonic()
		if remaining <= 0:
			raise socket.timeout()
		self.sock.settimeout(remaining)
		try:
			data = self.sock.recv(1 << 16)
		except ConnectionResetError:
			self.eof = True
			self.reset = True
			return False
		if not data:
			self.eof = True
			return False
		self.buf += data
		return True

	def _deadline(self, timeout):
		return time.monotonic() + (T(timeout) if timeout is not None else self.timeout)

	def _read_until(self, delim, deadline, limit=1 << 20):
		while True:
			i = self.buf.find(delim)
			if i >= 0:
				out = self.buf[:i + len(delim)]
				self.buf = self.buf[i + len(delim):]
				return out
			if len(self.buf) > limit:
				raise ProtocolError("no %r within %d bytes: %r" % (delim, limit, self.buf[:200]))
			if not self._fill(deadline):
				return None

	def _read_exact(self, n, deadline):
		while len(self.buf) < n:
			if not self._fill(deadline):
				raise ConnectionClosed("connection closed after %d of %d body bytes"
				                       % (len(self.buf), n))
		out = self.buf[:n]
		self.buf = self.buf[n:]
		return out

	def read_response(self, method="GET", timeout=None):
		"""Read one response (a 1xx interim response counts as one).

		method tells whether the response to a HEAD is expected (no body).
		Raises ResponseTimeout, ConnectionClosed or ProtocolError.
		"""
		deadline = self._deadline(timeout)
		try:
			return self._read_response(method, deadline)
		except socket.timeout:
			raise ResponseTimeout("no complete response in time; buffered: %r"
			                      % self.buf[:300]) from None

	def _read_response(self, method, deadline):
		head = self._read_until(b"\r\n\r\n", deadline, limit=1 << 17)
		if head is None:
			if self.buf:
				raise ConnectionClosed("connection closed inside a response head: %r"
				                       % self.buf[:300])
			raise ConnectionClosed("connection closed with no response%s"
			                       % (" (reset)" if self.reset else ""))
		lines = head[:-4].split(b"\r\n")
		m = STATUS_RE.match(lines[0])
		if not m:
			raise ProtocolError("bad status line %r" % lines[0])
		version = "HTTP/%s.%s" % (m.group(1).decode(), m.group(2).decode())
		status = int(m.group(3))
		reason = m.group(4).decode("latin-1")
		headers = []
		for ln in lines[1:]:
			if b":" not in ln:
				raise ProtocolError("bad header line %r" % ln)
			k, v = ln.split(b":", 1)
			if not TOKEN_RE.match(k):
				raise ProtocolError("bad header name %r" % k)
			headers.append((k.decode("latin-1"), v.strip(b" \t").decode("latin-1")))
		resp = Response(version, status, reason, headers, b"", head, "none")
		if 100 <= status < 200 or status in (204, 304) or method.upper() == "HEAD":
			return resp
		te = resp.header("Transfer-Encoding")
		cl = resp.headers_all("Content-Length")
		if te is not None:
			if te.strip().lower() != "chunked":
				raise ProtocolError("unexpected response Transfer-Encoding %r" % te)
			resp.framing = "chunked"
			resp.body, resp.trailers = self._read_chunked(deadline)
		elif cl:
			if len(set(cl)) != 1 or not re.match(r"^[0-9]+$", cl[0]):
				raise ProtocolError("bad response Content-Length %r" % cl)
			resp.framing = "length"
			resp.body = self._read_exact(int(cl[0]), deadline)
		else:
			resp.framing = "close"
			while self._fill(deadline):
				pass
			resp.body = self.buf
			self.buf = b""
		return resp

	def _read_chunked(self, deadline):
		body = b""
		while True:
			line = self._read_until(b"\r\n", deadline, limit=4096)
			if line is None:
				raise ConnectionClosed("connection closed inside a chunked body")
			size_s = line[:-2].split(b";", 1)[0].strip()
			if not re.match(rb"^[0-9A-Fa-f]+$", size_s):
				raise ProtocolError("bad chunk size line %r" % line)
			size = int(size_s, 16)
			if size == 0:
				break
			body += self._read_exact(size, deadline)
			if self._read_exact(2, deadline) != b"\r\n":
				raise ProtocolError("chunk data not followed by CRLF")
		trailers = []
		while True:
			line = self._read_until(b"\r\n", deadline, limit=1 << 16)
			if line is None:
				raise ConnectionClosed("connection closed inside trailers")
			if line == b"\r\n":
				return body, trailers
			k, _, v = line[:-2].partition(b":")
			trailers.append((k.decode("latin-1"), v.strip().decode("latin-1")))

	def read_responses(self, methods, timeout=None):
		"""Read len(methods) responses (methods: a list, or a count of GETs)."""
		if isinstance(methods, int):
			methods = ["GET"] * methods
		return [self.read_response(m, timeout) for m in methods]

	def wait_closed(self, timeout=3.0):
		"""Wait for the server to close. Returns (closed, extra_bytes):
		closed is True if EOF or a reset came within timeout."""
		deadline = self._deadline(timeout)
		extra = self.buf
		self.buf = b""
		try:
			while self._fill(deadline):
				extra += self.buf
				self.buf = b""
		except socket.timeout:
			return False, extra
		return True, extra

	def is_closed(self, timeout=3.0):
		"""True if the server closed the connection within timeout (any
		extra bytes it sent first are ignored)."""
		return self.wait_closed(timeout)[0]

	def still_open(self, wait=0.3):
		"""True if nothing (no EOF, no bytes) arrives within `wait` seconds."""
		deadline = time.monotonic() + wait
		try:
			self._fill(deadline)
		except socket.timeout:
			return True
		return False

	def recv_all(self, timeout=3.0):
		"""Everything the server sends until it closes or timeout passes."""
		closed, data = self.wait_closed(timeout)
		return data


# -- request builders ------------------------------------------------------

def req(method="GET", target="/", headers=None, body=b"", version="HTTP/1.1",
        host="localhost"):
	"""Build a request. headers: list of (name, value) or dict. host=None
	leaves Host out. Content-Length is NOT added automatically."""
	if isinstance(body, str):
		body = body.encode()
	out = "%s %s %s\r\n" % (method, target, version)
	if host is not None:
		out += "Host: %s\r\n" % host
	if headers:
		items = headers.items() if isinstance(headers, dict) else headers
		for k, v in items:
			out += "%s: %s\r\n" % (k, v)
	out += "\r\n"
	return out.encode("latin-1") + body


def get(target="/", host="localhost", headers=None, version="HTTP/1.1"):
	return req("GET", target, headers, version=version, host=host)


def chunked(*parts, ext="", trailers=()):
	"""Chunked encoding of the given byte strings, with a final 0 chunk;
	ext (";name=value") is added to every chunk size line, trailers is a
	list of (name, value)."""
	out = b""
	e = ext.encode("latin-1")
	for p in parts:
		if isinstance(p, str):
			p = p.encode()
		out += b"%x%s\r\n%s\r\n" % (len(p), e, p)
	out += b"0%s\r\n" % e
	for k, v in trailers:
		out += ("%s: %s\r\n" % (k, v)).encode("latin-1")
	return out + b"\r\n"


def exchange(port, data, method="GET", timeout=DEFAULT_TIMEOUT, host="127.0.0.1"):
	"""Open a connection, send data, read one response, close."""
	with Conn(port, host=host, timeout=timeout) as c:
		c.send(data)
		return c.read_response(method)


def exchange_close(port, data, method="GET", timeout=DEFAULT_TIMEOUT, close_wait=3.0):
	"""Send data, read one response, then report whether the server closed.
	Returns (response, closed)."""
	with Conn(port, timeout=timeout) as c:
		c.send(data)
		r = c.read_response(method)
		return r, c.is_closed(close_wait)


def raw_exchange(port, data, timeout=3.0):
	"""Send data and return every byte the server sends until it closes or
	timeout passes (for garbage input where any or no response is fine)."""
	with Conn(port) as c:
		c.send(data)
		return c.recv_all(timeout)


# -- a server given by URL (the black-box suite) ---------------------------

class Target:
	"""The server under test as http://HOST[:PORT]: its address, the Host
	header value to send, and exchanges with it."""

	def __init__(self, url, timeout=DEFAULT_TIMEOUT):
		u = urlsplit(url)
		if u.scheme != "http" or not u.hostname:
			raise ValueError("the target must be http://HOST:PORT, got %r" % url)
		self.host = u.hostname
		self.port = u.port or 80
		self.url = "http://%s:%d" % (self.host, self.port)
		self.authority = "%s:%d" % (self.host, self.port) if u.port else self.host
		self.timeout = timeout

	def conn(self, timeout=None):
		return Conn(self.port, host=self.host,
		            timeout=self.timeout if timeout is None else timeout)

	def exchange(self, data, method="GET", timeout=None):
		"""One request on a fresh connection, one response."""
		with self.conn(timeout) as c:
			c.send(data)
			return c.read_response(method)

	def exchange_close(self, data, method="GET", timeout=None, close_wait=3.0):
		"""(response, closed, extra bytes): whether the server closed the
		connection after its response, and anything it sent after it."""
		with self.conn(timeout) as c:
			c.send(data)
			r = c.read_response(method)
			closed, extra = c.wait_closed(close_wait)
			return r, closed, extra

	def req(self, method="GET", target="/", headers=None, body=b"",
	        version="HTTP/1.1", host=True):
		"""Request bytes. host=True sends this target's authority, a string
		sends that, None sends no Host. Content-Length is not added."""
		return req(method, target, headers, body, version,
		           self.authority if host is True else host)


# -- misc ------------------------------------------------------------------

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
           "Oct", "Nov", "Dec"]
_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
IMF_RE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) "
                    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                    r"(\d{4}) (\d\d):(\d\d):(\d\d) GMT$")


def parse_imf_date(s):
	"""Seconds since the epoch for an IMF-fixdate (RFC 9110 5.6.7), or None
	if s is not one (or names the wrong weekday)."""
	if s is None:
		return None
	m = IMF_RE.match(s)
	if not m:
		return None
	day, mon, year = int(m.group(2)), _MONTHS.index(m.group(3)) + 1, int(m.group(4))
	hh, mm, ss = int(m.group(5)), int(m.group(6)), int(m.group(7))
	try:
		ts = calendar.timegm((year, mon, day, hh, mm, ss, 0, 0, 0))
		wd = time.gmtime(ts).tm_wday
	except (ValueError, OverflowError):
		return None
	if _DAYS[wd] != m.group(1):
		return None
	return ts


def imf_date(ts):
	t = time.gmtime(ts)
	return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (
		_DAYS[t.tm_wday], t.tm_mday, _MONTHS[t.tm_mon - 1], t.tm_year,
		t.tm_hour, t.tm_min, t.tm_sec)


_used_ports = set()


def can_bind_v6(addr):
	"""Can an IPv6 TCP socket bind addr ("::1", "::") on this machine?"""
	try:
		s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
	except OSError:
		return False
	try:
		s.bind((addr, 0))
		return True
	except OSError:
		return False
	finally:
		s.close()


def free_port():
	"""A TCP port that was free on all addresses a moment ago (and was not
	handed out before in this run)."""
	for _ in range(100):
		s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		s.bind(("0.0.0.0", 0))
		p = s.getsockname()[1]
		s.close()
		if p not in _used_ports:
			_used_ports.add(p)
			return p
	raise RuntimeError("no free port")


def assert_error_response(r, code):
	"""An error response: the status, an HTML body, Date and Server."""
	assert r.status == code, "expected %d, got %r: %r" % (code, r, r.body[:200])
	assert r.content_type == "text/html", "error %d with Content-Type %r" % (
		code, r.header("Content-Type"))
	assert len(r.body) > 0, "error %d with an empty body" % code
	assert r.has("Date") and r.has("Server"), r.headers


def assert_closed_after(c, what="", timeout=3.0):
	closed, extra = c.wait_closed(timeout)
	assert closed, "connection still open %s" % what
	assert extra == b"", "unexpected bytes after the response %s: %r" % (what, extra[:200])
