#!/usr/bin/env python3
"""CGI demo: a form handled by GET (query string) and POST
(application/x-www-form-urlencoded), echoing the fields HTML-escaped.

The POST follows Post/Redirect/Get: it answers 303 See Other to this
page with the fields (and sent=post) in the query string, so the page the
browser shows is a GET and a refresh never posts again."""

import html
import os
import sys
from urllib.parse import parse_qsl, quote, urlencode

MAX_BODY = 1 << 20


def read_body():
	try:
		n = int(os.environ.get("CONTENT_LENGTH") or 0)
	except ValueError:
		n = 0
	n = max(0, min(n, MAX_BODY))
	data = b""
	while len(data) < n:
		chunk = sys.stdin.buffer.read(n - len(data))
		if not chunk:
			break
		data += chunk
	return data


method = os.environ.get("REQUEST_METHOD", "GET")
script_name = os.environ.get("SCRIPT_NAME", "form.py")
fields = []
if method == "POST":
	ctype = os.environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
	body = read_body()
	if ctype == "application/x-www-form-urlencoded":
		fields = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
	# The fields travel in the redirect's URL: keep it short.
	fields = [(k[:50], v[:500]) for k, v in fields if k != "sent"][:10]
	loc = quote(script_name) + "?" + urlencode(fields + [("sent", "post")])
	sys.stdout.buffer.write(("Status: 303 See Other\r\nLocation: %s\r\n"
	                         "Content-Type: text/plain; charset=utf-8\r\n"
	                         "Content-Length: 0\r\n\r\n" % loc).encode("latin-1"))
	sys.exit(0)
if os.environ.get("QUERY_STRING"):
	fields = parse_qsl(os.environ["QUERY_STRING"], keep_blank_values=True)
if any(k == "sent" and v == "post" for k, v in fields):
	method = "POST"
	fields = [(k, v) for k, v in fields if k != "sent"]

script = html.escape(script_name, quote=True)
out = ["""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Form demo</title><link rel="stylesheet" href="/style.css"></head>
<body>
<h1>Form demo</h1>"""]
if fields:
	out.append('<h2 id="submitted">Submitted by %s</h2>\n<dl>' % html.escape(method))
	for k, v in fields:
		out.append("<dt>%s</dt><dd>%s</dd>" % (html.escape(k), html.escape(v)))
	out.append("</dl>")
out.append("""<h2>GET</h2>
<form method="get" action="%(s)s">
<label>Name <input name="name"></label>
<label>Colour <input name="colour"></label>
<button type="submit">Send by GET</button>
</form>
<h2>POST</h2>
<form method="post" action="%(s)s">
<label>Name <input name="name"></label>
<label>Message <textarea name="message"></textarea></label>
<button type="submit">Send by POST</button>
</form>
<p><a href="/">Back to the home page</a></p>
</body>
</html>
""" % {"s": script})
data = "\n".join(out).encode("utf-8")
sys.stdout.buffer.write(b"Content-Type: text/html; charset=utf-8\r\n"
                        b"Content-Length: %d\r\n\r\n" % len(data) + data)
