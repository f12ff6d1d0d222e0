"""The demo site as conf/default.conf serves it (pytests/demo.py copies it
into a temp dir): every page uses the site's stylesheet, text is sent as
UTF-8 (`charset utf-8;`), the CGI demos follow Post/Redirect/Get, the PHP
page runs under php-cgi, and CGI scripts see normalised SCRIPT_FILENAME
and PATH_TRANSLATED (the configuration's `../` resolved)."""

import os
import re
import shutil

import pytest
import requests

import demosite as demo
import wsh

PHP_CGI = "/usr/bin/php-cgi"


@pytest.fixture(scope="module")
def srv(module_server):
	return demo.start(module_server)


def session():
	s = requests.Session()
	s.trust_env = False
	return s


@pytest.mark.parametrize("path", [
	"/", "/about.html", "/upload.html", "/missing.html",
	"/cgi/hello.py", "/cgi/env.py", "/cgi/form.py", "/cgi/upload.py", "/cgi/session.py",
	"/cgi/hello.php",
])
def test_pages_use_the_stylesheet_and_utf8(srv, path):
	r = srv.get(path)
	assert r.status_code == (404 if path == "/missing.html" else 200), path
	assert r.headers["Content-Type"].replace(" ", "").lower() == "text/html;charset=utf-8", (
		path, r.headers["Content-Type"])
	assert '<link rel="stylesheet" href="/style.css">' in r.text, path
	assert '<meta charset="utf-8">' in r.text


@pytest.mark.parametrize("path,ctype", [
	("/style.css", "text/css; charset=utf-8"),
	("/upload.js", "text/javascript; charset=utf-8"),
	("/files/readme.txt", "text/plain; charset=utf-8"),
	("/files/data.json", "application/json"),
	("/teapot", "text/plain; charset=utf-8"),  # return 418 TEXT
])
def test_static_types_carry_the_charset(srv, path, ctype):
	r = srv.get(path)
	assert r.status_code == (418 if path == "/teapot" else 200)
	assert r.headers["Content-Type"] == ctype


def test_generated_pages_are_utf8(srv):
	# An autoindex page, a custom 404 page (a file) and a built-in 405 page.
	for method, path, status in (("GET", "/files/", 200), ("GET", "/teapot/x", 404),
	                             ("PUT", "/small/x", 405)):
		r = srv.http(method, path, data=b"x" if method == "PUT" else None)
		assert r.status_code == status, path
		assert r.headers["Content-Type"] == "text/html; charset=utf-8", path


def test_cgi_paths_are_normalised(srv):
	r = srv.get("/cgi/env.py/extra//path/?x=1")
	assert r.status_code == 200
	env = dict(re.findall(r"<tr><th>([A-Z_]+)</th><td><code>([^<]*)</code></td></tr>", r.text))
	script, translated = env["SCRIPT_FILENAME"], env["PATH_TRANSLATED"]
	# conf/default.conf says `root ..;` and `root ../www;`: no ".." reaches
	# the script, nor "//" nor "/./".
	for value in (script, translated):
		assert os.path.isabs(value)
		assert "/../" not in value and "//" not in value and "/./" not in value, value
	assert script == os.path.realpath(srv.tmp / "cgi" / "env.py")
	assert translated == os.path.realpath(srv.root) + "/extra/path/"
	assert env["PATH_INFO"] == "/extra/path/"
	assert env["SCRIPT_NAME"] == "/cgi/env.py"


@pytest.mark.skipif(not os.access(PHP_CGI, os.X_OK), reason="php-cgi is installed by `make test`")
def test_php_page_under_php_cgi(srv):
	s = session()
	r = s.get(srv.url + "/cgi/hello.php", timeout=wsh.T(10))
	assert r.status_code == 200 and "Hello from PHP" in r.text
	assert "php-cgi" in r.text and 'id="greeting"' not in r.text
	# php-cgi found the script through SCRIPT_FILENAME (normalised).
	m = re.search(r'<code id="script">([^<]*)</code>', r.text)
	assert m and m.group(1) == os.path.realpath(srv.tmp / "cgi" / "hello.php")
	# Post/Redirect/Get: 303 to the GET page, which greets by name.
	r = s.post(srv.url + "/cgi/hello.php", data={"name": "Zoë <b>"}, timeout=wsh.T(10),
	           allow_redirects=False)
	assert r.status_code == 303
	assert r.headers["Location"] == "/cgi/hello.php?name=Zo%C3%AB%20%3Cb%3E"
	r = s.get(srv.url + r.headers["Location"], timeout=wsh.T(10))
	assert r.status_code == 200
	assert '<p id="greeting">Hello, <strong>Zoë &lt;b&gt;</strong>!</p>' in r.text


def test_php_cgi_is_installed_by_the_dependency_script():
	deps = (demo.REPO / "ci" / "deps.sh").read_text()
	assert re.search(r"(?m)^pkgs=\(.*\bphp-cgi\b", deps)
	if os.environ.get("CI") == "true":
		assert shutil.which("php-cgi"), "CI runs `make test`, which installs php-cgi"


def test_form_post_redirects_to_get(srv):
	s = session()
	r = s.post(srv.url + "/cgi/form.py", data={"name": "Ann", "message": "x & y"},
	           timeout=wsh.T(10))
	assert [h.status_code for h in r.history] == [303]
	assert r.request.method == "GET" and "sent=post" in r.url
	assert "Submitted by POST" in r.text and "x &amp; y" in r.text


def test_session_post_redirects_to_get(srv):
	s = session()
	r = s.post(srv.url + "/cgi/session.py", data={"action": "login", "name": "Ann"},
	           timeout=wsh.T(10))
	assert [h.status_code for h in r.history] == [303]
	assert re.search(r'id="visits">1<', r.text)
	# A refresh is a GET: it counts a visit, it does not log in again.
	sid = s.cookies.get("SID")
	r = s.get(r.url, timeout=wsh.T(10))
	assert re.search(r'id="visits">2<', r.text) and s.cookies.get("SID") == sid
	r = s.post(srv.url + "/cgi/session.py", data={"action": "logout"}, timeout=wsh.T(10))
	assert [h.status_code for h in r.history] == [303] and "logged out" in r.text
	assert "SID" not in s.cookies


def test_upload_page_script_and_store(srv):
	r = srv.get("/upload.html")
	assert '<script src="/upload.js" defer></script>' in r.text
	assert 'action="/uploads/"' in r.text and 'enctype="multipart/form-data"' in r.text
	# What the script relies on: the JSON reply, the listing, DELETE.
	r = srv.post("/uploads/", files=[("files", ("d\u00e9mo.txt", b"abc"))],
	             headers={"Accept": "application/json"})
	assert r.status_code == 201
	assert r.json()["files"] == [{"name": "d\u00e9mo.txt", "size": 3}]
	assert r.headers["Location"] == "/uploads/d%C3%A9mo.txt"
	assert 'href="d%C3%A9mo.txt"' in srv.get("/uploads/").text
	assert srv.http("DELETE", "/uploads/d%C3%A9mo.txt").status_code == 204
