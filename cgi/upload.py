#!/usr/bin/env python3
"""CGI demo: file upload handled by the script itself.

GET shows a form (multiple-file input) that posts multipart/form-data back
to this script; POST parses the body with a small multipart parser (the
stdlib `cgi` module is deprecated), stores every file part in the upload
directory under a sanitised name, and lists the directory.

Upload directory: $UPLOAD_DIR if set, else `uploads/` next to this script
(created on first use). An existing file is never overwritten: the new one
gets "name-1.ext", "name-2.ext", ...

A POST that stored files follows Post/Redirect/Get: it answers 303 See
Other to this page with the stored names in the query string
(?stored=NAME&...), so a refresh shows the result again without storing a
duplicate.
"""

import html
import os
import re
import sys
from urllib.parse import parse_qsl, quote, urlencode

MAX_BODY = 64 << 20
HERE = os.path.dirname(os.path.abspath(__file__))
UPLOAD_DIR = os.environ.get("UPLOAD_DIR") or os.path.join(HERE, "uploads")


class BadRequest(Exception):
	pass


def read_body():
	try:
		n = int(os.environ.get("CONTENT_LENGTH") or 0)
	except ValueError:
		raise BadRequest("bad CONTENT_LENGTH")
	if n < 0 or n > MAX_BODY:
		raise BadRequest("body too large (limit %d bytes)" % MAX_BODY)
	data = bytearray()
	while len(data) < n:
		chunk = sys.stdin.buffer.read(n - len(data))
		if not chunk:
			break
		data += chunk
	if len(data) != n:
		raise BadRequest("body shorter than CONTENT_LENGTH")
	return bytes(data)


def header_params(value):
	"""'form-data; name="a"; filename="b"' -> ('form-data', {name: a, ...})"""
	parts = []
	cur, quoted, i = "", False, 0
	while i < len(value):
		ch = value[i]
		if quoted and ch == "\\" and i + 1 < len(value):
			cur += value[i + 1]
			i += 2
			continue
		if ch == '"':
			quoted = not quoted
		elif ch == ";" and not quoted:
			parts.append(cur)
			cur = ""
		else:
			cur += ch
		i += 1
	parts.append(cur)
	params = {}
	for p in parts[1:]:
		k, eq, v = p.partition("=")
		if eq:
			params[k.strip().lower()] = v.strip()
	return parts[0].strip().lower(), params


def boundary_of(ctype):
	kind, params = header_params(ctype)
	b = params.get("boundary", "")
	if kind != "multipart/form-data" or not 1 <= len(b) <= 70:
		raise BadRequest("expected multipart/form-data with a boundary")
	return b.encode("latin-1")


def parse_multipart(body, boundary):
	"""Returns [(headers dict, content bytes)]; raises BadRequest."""
	delim = b"--" + boundary
	if body.startswith(delim):
		pos = len(delim)
	else:
		i = body.find(b"\r\n" + delim)
		if i < 0:
			raise BadRequest("no multipart delimiter")
		pos = i + 2 + len(delim)
	parts = []
	while True:
		if body[pos:pos + 2] == b"--":
			return parts
		eol = body.find(b"\r\n", pos)
		if eol < 0 or body[pos:eol].strip(b" \t"):
			raise BadRequest("bad delimiter line")
		end_head = body.find(b"\r\n\r\n", eol)
		if end_head < 0:
			raise BadRequest("unterminated part header")
		headers = {}
		for line in body[eol + 2:end_head].split(b"\r\n"):
			if not line:
				continue
			k, colon, v = line.partition(b":")
			if not colon:
				raise BadRequest("bad part header line")
			headers[k.strip().decode("latin-1").lower()] = v.strip().decode("utf-8", "replace")
		start = end_head + 4
		nxt = body.find(b"\r\n" + delim, start)
		if nxt < 0:
			raise BadRequest("missing closing delimiter")
		parts.append((headers, body[start:nxt]))
		pos = nxt + 2 + len(delim)


def safe_name(filename):
	name = re.split(r"[/\\]", filename)[-1]
	if name in ("", ".", "..") or any(ord(c) < 32 or ord(c) == 127 for c in name):
		return None
	return name[:200]


def unique_path(name):
	stem, ext = os.path.splitext(name)
	if not stem:  # ".bashrc": no extension, all stem
		stem, ext = name, ""
	cand, n = name, 0
	while True:
		path = os.path.join(UPLOAD_DIR, cand)
		try:
			fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
			return cand, fd
		except FileExistsError:
			n += 1
			cand = "%s-%d%s" % (stem, n, ext)


def store(parts):
	saved, skipped = [], []
	for headers, content in parts:
		kind, params = header_params(headers.get("content-disposition", ""))
		if kind != "form-data" or "filename" not in params:
			continue
		name = safe_name(params["filename"])
		if name is None:
			skipped.append(params["filename"])
			continue
		cand, fd = unique_path(name)
		with os.fdopen(fd, "wb") as f:
			f.write(content)
		saved.append((cand, len(content)))
	return saved, skipped


def page(status, message_html):
	script = html.escape(os.environ.get("SCRIPT_NAME", "upload.py"), quote=True)
	try:
		names = sorted(n for n in os.listdir(UPLOAD_DIR) if not n.startswith("."))
	except OSError:
		names = []
	items = "\n".join('<li><a href="%s">%s</a> (%d bytes)</li>' % (
		html.escape(quote(os.environ.get("SCRIPT_NAME", "upload.py")) + "?file=" + quote(n, safe=""),
		            quote=True), html.escape(n),
		os.path.getsize(os.path.join(UPLOAD_DIR, n)))
		for n in names if os.path.isfile(os.path.join(UPLOAD_DIR, n)))
	body = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Upload demo (CGI)</title><link rel="stylesheet" href="/style.css"></head>
<body>
<h1>Upload demo (CGI)</h1>
%s
<form method="post" action="%s" enctype="multipart/form-data">
<input type="file" name="file" multiple>
<button type="submit">Upload</button>
</form>
<h2>Stored files</h2>
<ul>
%s
</ul>
<p><a href="/">Back to the home page</a></p>
</body>
</html>
""" % (message_html, script, items or "<li>(none)</li>")
	data = body.encode("utf-8")
	sys.stdout.buffer.write(("Status: %s\r\nContent-Type: text/html; charset=utf-8\r\n"
	                         "Content-Length: %d\r\n\r\n" % (status, len(data))).encode()
	                        + data)


def see_other(saved, skipped):
	"""303 See Other to the GET page that lists what was stored."""
	loc = quote(os.environ.get("SCRIPT_NAME", "upload.py")) + "?" + urlencode(
		[("stored", n) for n, _size in saved[:20]] + [("refused", n) for n in skipped[:20]])
	sys.stdout.buffer.write(("Status: 303 See Other\r\nLocation: %s\r\n"
	                         "Content-Type: text/plain; charset=utf-8\r\n"
	                         "Content-Length: 0\r\n\r\n" % loc).encode("latin-1"))


def send_file(name):
	"""GET ?file=NAME: a stored file, as a download."""
	name = safe_name(name)
	path = os.path.join(UPLOAD_DIR, name) if name else None
	if not path or name.startswith(".") or not os.path.isfile(path):
		page("404 Not Found", "<p>No such file.</p>")
		return
	with open(path, "rb") as f:
		data = f.read()
	sys.stdout.buffer.write(("Status: 200 OK\r\nContent-Type: application/octet-stream\r\n"
	                         "X-Content-Type-Options: nosniff\r\n"
	                         "Content-Disposition: attachment; filename*=UTF-8''%s\r\n"
	                         "Content-Length: %d\r\n\r\n" % (quote(name, safe=""), len(data))
	                         ).encode("latin-1") + data)


def main():
	os.makedirs(UPLOAD_DIR, exist_ok=True)
	if os.environ.get("REQUEST_METHOD") != "POST":
		query = parse_qsl(os.environ.get("QUERY_STRING", ""), keep_blank_values=True)
		files = [v for k, v in query if k == "file"]
		if files:
			send_file(files[0])
			return
		stored = [v for k, v in query if k == "stored"]
		refused = [v for k, v in query if k == "refused"]
		msg = ""
		if stored:
			msg = "<p>Stored %d file(s):</p><ul id=\"stored\">%s</ul>" % (len(stored), "".join(
				"<li><code>%s</code></li>" % html.escape(n) for n in stored))
		if refused:
			msg += "<p>Refused unsafe names: %s</p>" % html.escape(
				", ".join(quote(n) for n in refused))
		page("200 OK", msg)
		return
	try:
		boundary = boundary_of(os.environ.get("CONTENT_TYPE", ""))
		saved, skipped = store(parse_multipart(read_body(), boundary))
	except BadRequest as e:
		page("400 Bad Request", "<p>Bad request: %s</p>" % html.escape(str(e)))
		return
	if saved:
		see_other(saved, skipped)
		return
	msg = "<p>No file stored.</p>"
	if skipped:
		msg += "<p>Refused unsafe names: %s</p>" % html.escape(
			", ".join(quote(s) for s in skipped))
	page("200 OK", msg)


main()
