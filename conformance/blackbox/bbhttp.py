"""Raw HTTP/1.x client for the black-box conformance tests.

Only the standard library: the tests must run against any server given by
URL (env CONFORMANCE_TARGET=http://HOST:PORT), so every request is built
byte by byte and every response is parsed here, strictly enough to notice
framing errors (a wrong Content-Length shows up as a desynchronised next
response on the same connection).
"""

import calendar
import os
import re
import socket
import time
from urllib.parse import urlsplit

TIMEOUT = float(os.environ.get("CONFORMANCE_TIMEOUT", "5"))


class Target:
	"""host, port and the Host header value of the server under test."""

	def __init__(self, url):
		u = urlsplit(url)
		if u.scheme != "http" or not u.hostname:
			raise ValueError("CONFORMANCE_TARGET must be http://HOST:PORT, got %r" % url)
		self.url = "http://%s:%d" % (u.hostname, u.port or 80)
		self.host = u.hostname
		self.port = u.port or 80
		self.authority = "%s:%d" % (u.hostname, self.port) if u.port else u.hostname

	def conn(self, timeout=TIMEOUT):
		return Conn(self.host, self.port, timeout)

	def exchange(self, data, method="GET", timeout=TIMEOUT):
		"""One request on a fresh connection, one response."""
		with self.conn(timeout) as c:
			c.send(data)
			return c.read_response(method)

	def exchange_close(self, data, method="GET", timeout=TIMEOUT, close_wait=3.0):
		"""(response, closed, extra bytes): whether the server closed the
		connection after its response, and anything it sent after it."""
		with self.conn(timeout) as c:
			c.send(data)
			r = c.read_response(method)
			closed, extra = c.wait_closed(close_wait)
			return r, closed, extra

	def req(self, method="GET", target="/", headers=(), body=b"",
	        version="HTTP/1.1", host=True):
		"""Request bytes. host=True sends this target's authority, a string
		sends that, None sends no Host. Content-Length is not added."""
		if host is True:
			host = self.authority
		return build(method, target, headers, body, version, host)


def build(method, target, headers=(), body=b"", version="HTTP/1.1", host=None):
	if isinstance(body, str):
		body = body.encode()
	lines = ["%s %s %s" % (method, target, version)]
	if host is not None:
		lines.append("Host: %s" % host)
	items = headers.items() if isinstance(headers, dict) else headers
	for k, v in items:
		lines.append("%s: %s" % (k, v))
	return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(*parts, ext="", trailers=()):
	out = b""
	for p in parts:
		if isinstance(p, str):
			p = p.encode()
		out += b"%x%s\r\n%s\r\n" % (len(p), ext.encode(), p)
	out += b"0%s\r\n" % ext.encode()
	for k, v in trailers:
		out += ("%s: %s\r\n" % (k, v)).encode("latin-1")
	return out + b"\r\n"


class Closed(AssertionError):
	"""The server closed the connection before a complete response."""


class Timeout(AssertionError):
	"""No complete response in time."""


class Malformed(AssertionError):
	"""The bytes received are not a valid HTTP/1.x response."""


class Response:
	def __init__(self, version, status, reason, headers, raw_head):
		self.version = version
		self.status = status
		self.reason = reason
		self.headers = headers
		self.raw_head = raw_head
		self.body = b""
		self.framing = "none"
		self.trailers = []

	def all(self, name):
		n = name.lower()
		return [v for k, v in self.headers if k.lower() == n]

	def header(self, name, default=None):
		v = self.all(name)
		return ", ".join(v) if v else default

	def has(self, name):
		return bool(self.all(name))

	def tokens(self, name):
		return [t.strip().lower() for t in (self.header(name) or "").split(",") if t.strip()]

	@property
	def ctype(self):
		return (self.header("Content-Type") or "").split(";")[0].strip().lower()

	@property
	def text(self):
		return self.body.decode("utf-8", "replace")

	def __repr__(self):
		return "<%s %d %s, %d body bytes, %s>" % (self.version, self.status, self.reason,
		                                         len(self.body), self.framing)


STATUS_RE = re.compile(rb"^HTTP/(\d)\.(\d) (\d{3}) ([\t !-~\x80-\xff]*)$")
TOKEN_RE = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


class Conn:
	def __init__(self, host, port, timeout=TIMEOUT):
		self.timeout = timeout
		self.sock = socket.create_connection((host, port), timeout=timeout)
		self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
		self.buf = b""
		self.eof = False

	def __enter__(self):
		return self

	def __exit__(self, *exc):
		self.close()

	def close(self):
		try:
			self.sock.close()
		except OSError:
			pass

	def send(self, data):
		if isinstance(data, str):
			data = data.encode("latin-1")
		try:
			self.sock.settimeout(self.timeout)
			self.sock.sendall(data)
			return True
		except (BrokenPipeError, ConnectionResetError):
			return False

	def _fill(self, deadline):
		if self.eof:
			return False
		left = deadline - time.monotonic()
		if left <= 0:
			raise socket.timeout()
		self.sock.settimeout(left)
		try:
			data = self.sock.recv(65536)
		except ConnectionResetError:
			data = b""
		if not data:
			self.eof = True
			return False
		self.buf += data
		return True

	def _until(self, delim, deadline, limit):
		while True:
			i = self.buf.find(delim)
			if i >= 0:
				out, self.buf = self.buf[:i + len(delim)], self.buf[i + len(delim):]
				return out
			if len(self.buf) > limit:
				raise Malformed("no %r in the first %d bytes: %r" % (delim, limit, self.buf[:200]))
			if not self._fill(deadline):
				return None

	def _exact(self, n, deadline):
		while len(self.buf) < n:
			if not self._fill(deadline):
				raise Closed("connection closed after %d of %d body bytes" % (len(self.buf), n))
		out, self.buf = self.buf[:n], self.buf[n:]
		return out

	def read_response(self, method="GET", timeout=None):
		"""One response; a 1xx interim response counts as one. Raises Closed,
		Timeout or Malformed."""
		deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
		try:
			return self._read(method, deadline)
		except socket.timeout:
			raise Timeout("no complete response in time; got %r" % self.buf[:300]) from None

	def read_responses(self, methods):
		if isinstance(methods, int):
			methods = ["GET"] * methods
		return [self.read_response(m) for m in methods]

	def _read(self, method, deadline):
		head = self._until(b"\r\n\r\n", deadline, 1 << 17)
		if head is None:
			raise Closed("connection closed %s" % (
				"inside a response head: %r" % self.buf[:200] if self.buf else "with no response"))
		lines = head[:-4].split(b"\r\n")
		m = STATUS_RE.match(lines[0])
		if not m:
			raise Malformed("bad status line %r" % lines[0])
		headers = []
		for ln in lines[1:]:
			k, sep, v = ln.partition(b":")
			if not sep or not TOKEN_RE.match(k):
				raise Malformed("bad header line %r" % ln)
			headers.append((k.decode("latin-1"), v.strip(b" \t").decode("latin-1")))
		r = Response("HTTP/%s.%s" % (m.group(1).decode(), m.group(2).decode()),
		             int(m.group(3)), m.group(4).decode("latin-1"), headers, head)
		if r.status < 200 or r.status in (204, 304) or method.upper() == "HEAD":
			return r
		te = r.header("Transfer-Encoding")
		cl = r.all("Content-Length")
		if te is not None:
			if te.strip().lower() != "chunked":
				raise Malformed("response Transfer-Encoding %r" % te)
			r.framing = "chunked"
			r.body, r.trailers = self._chunked(deadline)
		elif cl:
			if len(set(cl)) != 1 or not re.match(r"^[0-9]+$", cl[0]):
				raise Malformed("response Content-Length %r" % cl)
			r.framing = "length"
			r.body = self._exact(int(cl[0]), deadline)
		else:
			r.framing = "close"
			while self._fill(deadline):
				pass
			r.body, self.buf = self.buf, b""
		return r

	def _chunked(self, deadline):
		body = b""
		while True:
			line = self._until(b"\r\n", deadline, 4096)
			if line is None:
				raise Closed("connection closed inside a chunked body")
			size = line[:-2].split(b";", 1)[0].strip()
			if not re.match(rb"^[0-9A-Fa-f]+$", size):
				raise Malformed("bad chunk size line %r" % line)
			n = int(size, 16)
			if n == 0:
				break
			body += self._exact(n, deadline)
			if self._exact(2, deadline) != b"\r\n":
				raise Malformed("chunk data not followed by CRLF")
		trailers = []
		while True:
			line = self._until(b"\r\n", deadline, 65536)
			if line is None:
				raise Closed("connection closed inside the trailer section")
			if line == b"\r\n":
				return body, trailers
			k, _, v = line[:-2].partition(b":")
			trailers.append((k.decode("latin-1"), v.strip().decode("latin-1")))

	def wait_closed(self, timeout=3.0):
		"""(closed, extra): closed is True when EOF or a reset arrived within
		timeout; extra holds whatever bytes came first."""
		deadline = time.monotonic() + timeout
		extra, self.buf = self.buf, b""
		try:
			while self._fill(deadline):
				extra += self.buf
				self.buf = b""
		except socket.timeout:
			return False, extra
		return True, extra

	def still_open(self, wait=0.3):
		try:
			self._fill(time.monotonic() + wait)
		except socket.timeout:
			return True
		return False


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
IMF_RE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) (Jan|Feb|Mar|Apr|May|Jun|Jul|"
                    r"Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d\d):(\d\d):(\d\d) GMT$")


def parse_imf(s):
	"""Seconds since the epoch for an IMF-fixdate with the right weekday, else None."""
	m = IMF_RE.match(s or "")
	if not m:
		return None
	try:
		ts = calendar.timegm((int(m.group(4)), MONTHS.index(m.group(3)) + 1, int(m.group(2)),
		                      int(m.group(5)), int(m.group(6)), int(m.group(7)), 0, 0, 0))
	except (ValueError, OverflowError):
		return None
	return ts if DAYS[time.gmtime(ts).tm_wday] == m.group(1) else None


def imf(ts):
	t = time.gmtime(ts)
	return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (
		DAYS[t.tm_wday], t.tm_mday, MONTHS[t.tm_mon - 1], t.tm_year, t.tm_hour, t.tm_min, t.tm_sec)
