"""The cookie + session demo (cgi/session.py) end to end through the
server, with a requests.Session cookie jar: login form, SID cookie
(HttpOnly, SameSite=Lax), a per-session visit counter stored server-side,
independent sessions, forged ids, logout.

The script is the demo file itself, copied into the test docroot together
with an empty `sessions/` directory next to it: session.py uses that
directory when it exists (a CGI cannot be handed SESSION_DIR by the
server), so the test sees exactly the session files it creates."""

import json
import re
from pathlib import Path

import pytest
import requests

import wsh

DEMO = Path(__file__).resolve().parent.parent / "cgi"

CONF = """
server {
    listen 127.0.0.1:{port};
    root {root};
    location /cgi/ {
        allow_methods GET HEAD POST;
        cgi .py /usr/bin/python3;
    }
}
"""


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, files={"cgi/session.py": (DEMO / "session.py").read_bytes(),
	                                  "cgi/sessions": None})


def jar_session():
	s = requests.Session()
	s.trust_env = False
	return s


def url(srv):
	return srv.url + "/cgi/session.py"


def visits(r):
	m = re.search(r'id="visits">(\d+)<', r.text)
	return int(m.group(1)) if m else None


def session_files(srv):
	return sorted(p.name for p in (srv.root / "cgi" / "sessions").iterdir())


def set_cookies(r):
	"""The raw Set-Cookie header lines (requests joins them)."""
	return r.raw.headers.getlist("Set-Cookie")


def test_session_flow_end_to_end(srv):
	s = jar_session()
	t = wsh.T(10)
	r = s.get(url(srv), timeout=t)
	assert r.status_code == 200
	assert 'name="name"' in r.text and "not logged in" in r.text
	assert "SID" not in s.cookies

	# Post/Redirect/Get: the login answers 303 (setting the cookie) to the
	# page, which the client then GETs.
	r = s.post(url(srv), data={"action": "login", "name": "Alice <admin>"}, timeout=t)
	assert r.status_code == 200 and [h.status_code for h in r.history] == [303]
	assert r.history[0].headers["Location"] == "/cgi/session.py"
	cookies = set_cookies(r.history[0])
	assert len(cookies) == 1, cookies
	attrs = [a.strip().lower() for a in cookies[0].split(";")]
	assert attrs[0].startswith("sid=") and len(attrs[0]) > 20
	assert "httponly" in attrs and "samesite=lax" in attrs, cookies
	sid = s.cookies.get("SID")
	assert sid and re.match(r"^[0-9a-f]{32}$", sid)
	assert "Alice &lt;admin&gt;" in r.text and "<admin>" not in r.text
	assert visits(r) == 1
	assert session_files(srv).count(sid + ".json") == 1

	for expected in (2, 3, 4):
		r = s.get(url(srv), timeout=t)
		assert r.status_code == 200
		assert visits(r) == expected
	stored = json.loads((srv.root / "cgi" / "sessions" / (sid + ".json")).read_text())
	assert stored["visits"] == 4 and stored["name"] == "Alice <admin>"

	# A second client has its own session and counter.
	other = jar_session()
	r = other.post(url(srv), data={"action": "login", "name": "Bob"}, timeout=t)
	assert visits(r) == 1 and "Bob" in r.text
	assert other.cookies.get("SID") != sid
	r = s.get(url(srv), timeout=t)
	assert visits(r) == 5 and "Alice" in r.text

	# Logout: the session is removed server-side and the cookie expired.
	r = s.post(url(srv), data={"action": "logout"}, timeout=t)
	assert r.status_code == 200 and [h.status_code for h in r.history] == [303]
	assert "logged out" in r.text
	exp = set_cookies(r.history[0])
	assert exp and exp[0].lower().startswith("sid=;") and "max-age=0" in exp[0].lower()
	assert "SID" not in s.cookies
	assert sid + ".json" not in session_files(srv)
	r = s.get(url(srv), timeout=t)
	assert "not logged in" in r.text and visits(r) is None

	# The old id replayed by hand is no longer a session.
	r = jar_session().get(url(srv), cookies={"SID": sid}, timeout=t)
	assert "not logged in" in r.text

	# Bob is unaffected.
	r = other.get(url(srv), timeout=t)
	assert visits(r) == 2


@pytest.mark.parametrize("sid", ["../../../../etc/passwd", "0" * 31, "g" * 32,
                                 "%2e%2e%2fsessions", ""])
def test_forged_session_id_is_no_session(srv, sid):
	before = session_files(srv)
	r = jar_session().get(url(srv), headers={"Cookie": "SID=" + sid},
	                      timeout=wsh.T(10))
	assert r.status_code == 200
	assert "not logged in" in r.text
	assert session_files(srv) == before


def test_login_requires_a_name(srv):
	s = jar_session()
	r = s.post(url(srv), data={"action": "login", "name": "  "}, timeout=wsh.T(10))
	assert r.status_code == 200
	assert "SID" not in s.cookies
	assert "Please give a name" in r.text
