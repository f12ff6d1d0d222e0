"""Fixtures of the black-box conformance tests.

CONFORMANCE_TARGET=http://HOST:PORT names the server under test; without it
every test is skipped. The paths the tests need on that server come from
the environment (run.py sets them from its --get-path, --listing-path,
--redirect-path and --post-path options; the defaults are the demo site's):

  CONFORMANCE_GET_PATH       a static file answered 200 with a body
  CONFORMANCE_LISTING_PATH   a directory (ending in /) answered 200 with a
                             listing; without its slash it redirects
  CONFORMANCE_REDIRECT_PATH  a path answered 3xx with a Location
  CONFORMANCE_POST_PATH      a path that accepts a POST body (2xx)

An empty value or `none` means the server has no such path: the tests
that need it are skipped with a reason starting with "fixture:" (the
report counts them as *skipped (fixture)*, never as failures).

Tests marked `demo` need webserv's own demo configuration (uploads, CGI,
virtual hosts, the demo's files): they run only when CONFORMANCE_DEMO=1
(set by `make conformance` when it starts webserv on conf/default.conf
itself) and are deselected against any other server.
"""

import os
import sys
from pathlib import Path

import pytest

# The raw client is the one of the pytest suite (pytests/wsh.py): only the
# standard library, so this suite still runs against any server.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "pytests"))
import wsh  # noqa: E402

WWW = Path(os.environ.get("CONFORMANCE_WWW") or Path(__file__).resolve().parents[2] / "www")

DEFAULTS = {
	"get": "/files/readme.txt",
	"listing": "/files/",
	"redirect": "/old-page",
	"post": "/cgi/form.py",
}


def fixture_path(kind):
	"""The configured path of that kind, or None when the server has none."""
	v = os.environ.get("CONFORMANCE_%s_PATH" % kind.upper(), DEFAULTS[kind]).strip()
	return None if v in ("", "none", "-") else v


def pytest_configure(config):
	config.addinivalue_line("markers", "rfc(rfc, section, level): the protocol rule the test checks")
	config.addinivalue_line("markers", "demo: needs webserv's demo configuration (conf/default.conf)")
	config.addinivalue_line("markers",
	                        "sends(data, rule, expect): the bytes a desync case sends, its rule")


def pytest_collection_modifyitems(config, items):
	"""Without CONFORMANCE_DEMO=1 the demo tests are deselected: against
	another server they are not listed at all (run.py collects them
	separately to show which rows only webserv's configuration checks)."""
	target = os.environ.get("CONFORMANCE_TARGET")
	demo = os.environ.get("CONFORMANCE_DEMO") == "1"
	if target and not demo and not config.getoption("collectonly"):
		gone = [i for i in items if i.get_closest_marker("demo")]
		if gone:
			config.hook.pytest_deselected(items=gone)
			items[:] = [i for i in items if not i.get_closest_marker("demo")]
	for item in items:
		if not target:
			item.add_marker(pytest.mark.skip(reason="CONFORMANCE_TARGET is not set"))


@pytest.fixture(scope="session")
def t():
	"""The server under test (a wsh.Target)."""
	return wsh.Target(os.environ["CONFORMANCE_TARGET"],
	                  timeout=float(os.environ.get("CONFORMANCE_TIMEOUT", "5")))


@pytest.fixture(scope="session")
def www():
	"""The local copy of the demo's content (the repository's www/); only
	for `demo` tests."""
	return WWW


def _need(kind, what):
	p = fixture_path(kind)
	if p is None:
		pytest.skip("fixture: no %s path (--%s-path)" % (what, kind))
	return p


@pytest.fixture(scope="session")
def get_path():
	"""A static file on the target (--get-path)."""
	return _need("get", "static file")


@pytest.fixture(scope="session")
def get_body(t, get_path):
	"""The body of a plain GET of get_path: what a correctly framed
	response to it holds."""
	r = t.exchange(t.req("GET", get_path))
	if r.status != 200 or not r.body:
		pytest.skip("fixture: GET %s answered %r" % (get_path, r))
	return r.body


@pytest.fixture(scope="session")
def listing_path():
	"""A directory with a listing, ending in / (--listing-path)."""
	p = _need("listing", "directory listing")
	return p if p.endswith("/") else p + "/"


@pytest.fixture(scope="session")
def redirect_path():
	"""A path answered with a redirect (--redirect-path)."""
	return _need("redirect", "redirect")


@pytest.fixture(scope="session")
def post_path():
	"""A path that takes a POST body (--post-path)."""
	return _need("post", "POST body sink")


class Static:
	def __init__(self, path, body):
		self.path = path
		self.body = body


@pytest.fixture(scope="session")
def static(get_path, get_body):
	"""get_path and its body together."""
	return Static(get_path, get_body)


class BodyTarget:
	"""Where a request with content goes: GET of the static file (framing is
	independent of the method, RFC 9112 section 6), or, for a server that
	refuses content in GET requests (RFC 9110 section 9.3.1 allows that),
	POST to the --post-path."""

	def __init__(self, method, path, static):
		self.method = method
		self.path = path
		self.static = static

	def ok(self, r):
		"""r is the successful answer to such a request."""
		if self.method == "GET":
			return r.status == 200 and r.body == self.static.body
		return 200 <= r.status < 300


@pytest.fixture(scope="session")
def body_target(t, static):
	try:
		r = t.exchange(t.req("GET", static.path, [("Content-Length", "5")], b"hello"))
		refused = r.status >= 400
	except AssertionError:
		refused = True
	if not refused:
		return BodyTarget("GET", static.path, static)
	post = fixture_path("post")
	if post is None:
		pytest.skip("the server refuses content in a GET request (RFC 9110 9.3.1 allows it) "
		            "and has no --post-path to send it to")
	return BodyTarget("POST", post, static)
