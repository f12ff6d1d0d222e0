#!/usr/bin/env python3
"""CGI demo: cookies and a server-side session.

- No valid session: a login form (a name only).
- POST action=login: a new session (random id) is stored as a JSON file and
  the id is sent in the cookie `SID` (HttpOnly, SameSite=Lax, Path=/).
- Every page view with a valid session increments its visit counter.
- POST action=logout: the session file is removed and the cookie expired.
- Both POSTs follow Post/Redirect/Get: they answer 303 See Other to this
  page (the cookie set or expired on the 303), so what the browser shows is
  a GET and a refresh never posts again. The visit counter counts those
  GETs: the first page after the login shows 1.

Session directory: $SESSION_DIR if set; else `sessions/` next to this
script if that directory exists (the test suite creates one, since a CGI
cannot be given extra environment variables by the server); else
/tmp/webserv-sessions (created on first use).
"""

import html
import json
import os
import re
import secrets
import sys
import time
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, quote

HERE = os.path.dirname(os.path.abspath(__file__))
SID_RE = re.compile(r"^[0-9a-f]{32}$")
MAX_BODY = 64 << 10


def session_dir():
	d = os.environ.get("SESSION_DIR")
	if not d:
		d = os.path.join(HERE, "sessions")
		if not os.path.isdir(d):
			d = "/tmp/webserv-sessions"
	os.makedirs(d, mode=0o700, exist_ok=True)
	return d


DIR = session_dir()


def path_of(sid):
	return os.path.join(DIR, sid + ".json")


def load(sid):
	if not sid or not SID_RE.match(sid):
		return None
	try:
		with open(path_of(sid), encoding="utf-8") as f:
			data = json.load(f)
	except (OSError, ValueError):
		return None
	return data if isinstance(data, dict) else None


def save(sid, data):
	tmp = path_of(sid) + ".tmp"
	with open(tmp, "w", encoding="utf-8") as f:
		json.dump(data, f)
	os.replace(tmp, path_of(sid))


def cookie_sid():
	c = SimpleCookie()
	try:
		c.load(os.environ.get("HTTP_COOKIE", ""))
	except Exception:
		return None
	return c["SID"].value if "SID" in c else None


def form():
	if os.environ.get("REQUEST_METHOD") != "POST":
		return {}
	try:
		n = int(os.environ.get("CONTENT_LENGTH") or 0)
	except ValueError:
		n = 0
	body = sys.stdin.buffer.read(max(0, min(n, MAX_BODY))) if n > 0 else b""
	return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def respond(body_html, cookies=()):
	script = html.escape(os.environ.get("SCRIPT_NAME", "session.py"), quote=True)
	page = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Session demo</title><link rel="stylesheet" href="/style.css"></head>
<body>
<h1>Session demo</h1>
%s
<p><a href="/">Back to the home page</a></p>
</body>
</html>
""" % body_html.replace("@SCRIPT@", script)
	data = page.encode("utf-8")
	head = "Content-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n"
	for c in cookies:
		head += "Set-Cookie: %s\r\n" % c
	head += "Content-Length: %d\r\n\r\n" % len(data)
	sys.stdout.buffer.write(head.encode("latin-1") + data)


def see_other(query, cookies):
	"""303 See Other to this page (Post/Redirect/Get)."""
	loc = quote(os.environ.get("SCRIPT_NAME", "session.py")) + query
	head = "Status: 303 See Other\r\nLocation: %s\r\nCache-Control: no-store\r\n" % loc
	for c in cookies:
		head += "Set-Cookie: %s\r\n" % c
	head += "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 0\r\n\r\n"
	sys.stdout.buffer.write(head.encode("latin-1"))


EXPIRED = ("SID=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; "
           "HttpOnly; SameSite=Lax")

LOGIN = """<p>You are not logged in.</p>
<form method="post" action="@SCRIPT@">
<input type="hidden" name="action" value="login">
<label>Name <input name="name" required></label>
<button type="submit">Log in</button>
</form>"""


def welcome(data):
	return """<p>Logged in as <strong id="name">%s</strong>.</p>
<p>Visits in this session: <strong id="visits">%d</strong></p>
<p><a href="@SCRIPT@">Reload</a></p>
<form method="post" action="@SCRIPT@">
<input type="hidden" name="action" value="logout">
<button type="submit">Log out</button>
</form>""" % (html.escape(data["name"]), data["visits"])


def main():
	fields = form()
	action = fields.get("action")
	sid = cookie_sid()
	data = load(sid)
	if action == "login":
		name = fields.get("name", "").strip()[:100]
		if not name:
			respond("<p>Please give a name.</p>" + LOGIN)
			return
		if data is not None:
			os.unlink(path_of(sid))
		sid = secrets.token_hex(16)
		data = {"name": name, "visits": 0, "created": int(time.time())}
		save(sid, data)
		see_other("", ["SID=%s; Path=/; HttpOnly; SameSite=Lax" % sid])
		return
	if action == "logout":
		if data is not None:
			try:
				os.unlink(path_of(sid))
			except OSError:
				pass
		see_other("?out=1", [EXPIRED])
		return
	if os.environ.get("REQUEST_METHOD") == "POST":
		see_other("", [])  # an unknown action: nothing to do
		return
	if data is None:
		bye = "<p>You have been logged out.</p>" if os.environ.get("QUERY_STRING") == "out=1" else ""
		# An unknown or forged id: forget it on the client too.
		respond(bye + LOGIN, [EXPIRED] if sid else [])
		return
	data["visits"] = int(data.get("visits", 0)) + 1
	save(sid, data)
	respond(welcome(data))


main()
