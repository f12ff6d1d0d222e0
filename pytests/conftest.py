"""Harness for the webserv end-to-end tests.

Fixtures:
  webserv_bin   path of the binary (env WEBSERV_BIN, default <repo>/webserv;
                built once with `make -C <repo> webserv` if missing)
  server        factory: server(conf_text, files={...}, tmpfiles={...},
                dirs=[...]) starts the binary on a fresh temp dir and returns
                a Server; every server is stopped (SIGTERM, exit 0 within
                5 s) at teardown
  make_env      factory: the same temp-dir/config preparation without
                starting anything (for `-t` and failure tests)
  run_bin       run the binary with arguments, returning CompletedProcess
  cgi_scripts   cgi_scripts(*names, under="cgi/") -> a `files` dict holding
                the named scripts of cgi_fixtures/ (each one says what it
                does in its opening comment)
  store_server  factory: a server with an upload store at /up and CGI at
                /cgi/ (STORE_CONF), for tests that stop or restart it
  module_store_server  the same configuration, one server per test file
  mixed_srv     one server per test file whose configuration reaches many
                features at once (MIXED_CONF: error pages, autoindex with
                odd names, an upload store, the edge.py script, `return`)

Placeholders in configuration text: {port} {port2} {port3} (free TCP ports),
{root} (<tmp>/www, the docroot that `files` fill) and {tmp}.

WEBSERV_EVENTS=poll|epoll puts `events X;` in front of every main
configuration that names no `events` itself (on its first line, so line
numbers in error messages stay put): `make test` runs the suite on both
event backends this way.
"""

import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mixed  # noqa: E402
import wsh  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CGI_FIXTURES = Path(__file__).resolve().parent / "cgi_fixtures"
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")
STOP_WAIT = 8.0 if wsh.ASAN else 5.0

# 1000+ simultaneous connections need file descriptors on both ends; the
# server inherits this limit.
try:
	_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
	_want = 8192 if _hard == resource.RLIM_INFINITY else min(_hard, 8192)
	if _soft < _want:
		resource.setrlimit(resource.RLIMIT_NOFILE, (_want, _hard))
except (ValueError, OSError):
	pass


def pytest_report_header(config):
	return "webserv event backend: %s" % (
		EVENTS + " (WEBSERV_EVENTS)" if EVENTS else "as configured (default epoll on Linux)")


def pytest_configure(config):
	config.addinivalue_line(
		"markers",
		"rfc(rfc, section, level): the test checks a protocol rule of RFC "
		"`rfc` section `section` at requirement level `level` (MUST, SHOULD, MAY)")
	config.addinivalue_line("markers", "slow: takes more than a few seconds")


# -- binary ----------------------------------------------------------------

_bin_cache = {}


def _find_bin():
	if "bin" in _bin_cache:
		return _bin_cache["bin"]
	path = os.environ.get("WEBSERV_BIN") or str(REPO / "webserv")
	path = os.path.abspath(path)
	if not os.path.exists(path):
		r = subprocess.run(["make", "-C", str(REPO), "webserv"],
		                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
		if r.returncode != 0 or not os.path.exists(path):
			_bin_cache["bin"] = None
			_bin_cache["err"] = r.stdout.decode(errors="replace")[-3000:]
			return None
	_bin_cache["bin"] = path
	return path


@pytest.fixture(scope="session")
def webserv_bin():
	path = _find_bin()
	if path is None:
		pytest.fail("webserv binary missing and `make webserv` failed:\n"
		            + _bin_cache.get("err", ""), pytrace=False)
	return path


@pytest.fixture
def run_bin(webserv_bin):
	"""run_bin(*args, cwd=None, timeout=10) -> CompletedProcess (text)."""
	def run(*args, cwd=None, timeout=10):
		return subprocess.run([webserv_bin] + [str(a) for a in args], cwd=cwd,
		                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
		                      timeout=wsh.T(timeout), text=True, errors="replace")
	return run


# -- environment (temp dir + config) --------------------------------------

EVENTS = os.environ.get("WEBSERV_EVENTS", "")
if EVENTS not in ("", "poll", "epoll"):
	raise SystemExit("WEBSERV_EVENTS must be poll or epoll, not %r" % EVENTS)


def with_events(text):
	"""text with `events WEBSERV_EVENTS;` in front of its first line."""
	if not EVENTS or re.search(r"(?m)(^|[;{}])\s*events\s+[^\s;]+\s*;", text):
		return text
	return "events %s; " % EVENTS + text


# The suite runs as root on the test machines, and webserv refuses CGI as
# root unless told otherwise: every main configuration that sets neither
# `user` nor `cgi_allow_root` gets `cgi_allow_root on;` in front of its
# first line when the suite runs as root (pytests/test_user.py checks the
# refusal itself with configurations that set one).
AS_ROOT = os.geteuid() == 0


def with_cgi_root(text):
	"""text allowing CGI as root (see AS_ROOT), line numbers kept."""
	if not AS_ROOT or re.search(r"(?m)(^|[;{}])\s*(user|cgi_allow_root)\s", text):
		return text
	return "cgi_allow_root on; " + text


class Env:
	"""A temp dir holding www/ (the docroot), the configuration file and
	whatever else a test asks for, with free ports picked."""

	def __init__(self, tmp, conf, files=None, tmpfiles=None, dirs=None,
	             conf_name="webserv.conf"):
		self.tmp = Path(tmp)
		self.root = self.tmp / "www"
		self.root.mkdir(parents=True, exist_ok=True)
		self.ports = {}
		for name in ("port", "port2", "port3", "port4"):
			if "{" + name + "}" in conf or any(
				isinstance(v, str) and "{" + name + "}" in v
				for v in (tmpfiles or {}).values()):
				self.ports[name] = wsh.free_port()
		self.port = self.ports.get("port")
		self.port2 = self.ports.get("port2")
		self.port3 = self.ports.get("port3")
		for d in dirs or ():
			(self.tmp / d).mkdir(parents=True, exist_ok=True)
		for rel, data in (files or {}).items():
			self._write(self.root / rel, data)
		self.extra_confs = []
		for rel, data in (tmpfiles or {}).items():
			if isinstance(data, str):
				data = self.subst(data)
				self.extra_confs.append(data)
			self._write(self.tmp / rel, data)
		self.conf_text = with_cgi_root(with_events(self.subst(conf)))
		self.conf_path = self.tmp / conf_name
		self.conf_path.parent.mkdir(parents=True, exist_ok=True)
		self.conf_path.write_text(self.conf_text)

	@staticmethod
	def _write(path, data):
		path.parent.mkdir(parents=True, exist_ok=True)
		if data is None:  # a directory
			path.mkdir(parents=True, exist_ok=True)
			return
		if isinstance(data, str):
			data = data.encode()
		path.write_bytes(data)

	def subst(self, text):
		text = text.replace("{root}", str(self.root)).replace("{tmp}", str(self.tmp))
		for name, p in self.ports.items():
			text = text.replace("{" + name + "}", str(p))
		return text

	def listen_addrs(self):
		"""(host, port) pairs to probe for readiness, from the listen lines."""
		out = []
		for text in [self.conf_text] + self.extra_confs:
			for m in re.finditer(r"(?m)^[^#\n]*?\blisten\s+([^;\s]+)[^;\n]*;", text):
				spec = m.group(1)
				host, _, port = spec.rpartition(":")
				if not port.isdigit():
					continue
				host = host.strip("[]")
				if host in ("", "0.0.0.0", "*", "localhost"):
					host = "127.0.0.1"
				if host == "::":
					host = "::1"
				out.append((host, int(port)))
		return out


class Server:
	def __init__(self, env, bin_path, args=None):
		self.env = env
		self.tmp = env.tmp
		self.root = env.root
		self.port = env.port
		self.port2 = env.port2
		self.port3 = env.port3
		self.ports = env.ports
		self.conf_path = env.conf_path
		self.url = "http://127.0.0.1:%d" % self.port if self.port else None
		self.argv = [bin_path] + (args if args is not None else [str(env.conf_path)])
		self.generation = 0
		self._spawn()
		self.stopped = False
		self.exit_code = None
		self.reported = False
		self.session = requests.Session()
		self.session.trust_env = False

	def _spawn(self):
		sfx = "" if self.generation == 0 else ".%d" % self.generation
		self.stdout_path = self.tmp / ("stdout%s.log" % sfx)
		self.stderr_path = self.tmp / ("stderr%s.log" % sfx)
		self._out = open(self.stdout_path, "wb")
		self._err = open(self.stderr_path, "wb")
		self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
		                             stdout=self._out, stderr=self._err,
		                             cwd=str(self.tmp))
		self.pid = self.proc.pid

	def restart(self):
		"""Start the binary again on the same config and ports (after a
		crash), so that one crash does not fail every later test that shares
		this server."""
		if self.proc.poll() is None:
			os.kill(self.pid, signal.SIGKILL)
			self.proc.wait()
		for f in (self._out, self._err):
			f.close()
		self.generation += 1
		self._spawn()
		self.wait_ready()

	# -- introspection
	def stderr_text(self):
		try:
			return self.stderr_path.read_text(errors="replace")
		except OSError:
			return ""

	def stdout_text(self):
		try:
			return self.stdout_path.read_text(errors="replace")
		except OSError:
			return ""

	def alive(self):
		return self.proc.poll() is None

	def wait_ready(self, timeout=10.0):
		addrs = self.env.listen_addrs()
		deadline = time.monotonic() + wsh.T(timeout)
		pending = list(addrs)
		while pending:
			if self.proc.poll() is not None:
				raise ServerStartError(
					"webserv exited with status %s before it was ready; stderr:\n%s"
					% (self.proc.returncode, self.stderr_text()[-4000:]))
			host, port = pending[0]
			try:
				s = socket.create_connection((host, port), timeout=0.5)
				s.close()
				pending.pop(0)
				continue
			except OSError:
				pass
			if time.monotonic() > deadline:
				self.kill()
				raise ServerStartError("webserv not accepting on %s:%d within %.0fs; "
				                       "stderr:\n%s" % (host, port, timeout,
				                                        self.stderr_text()[-4000:]))
			time.sleep(0.02)

	# -- requests helpers
	def http(self, method, path, **kw):
		kw.setdefault("timeout", wsh.T(5))
		kw.setdefault("allow_redirects", False)
		return self.session.request(method, self.url + path, **kw)

	def get(self, path, **kw):
		return self.http("GET", path, **kw)

	def head(self, path, **kw):
		return self.http("HEAD", path, **kw)

	def post(self, path, **kw):
		return self.http("POST", path, **kw)

	def conn(self, **kw):
		return wsh.Conn(self.port, **kw)

	def exchange(self, data, method="GET", **kw):
		return wsh.exchange(self.port, data, method, **kw)

	# -- stopping
	def send_signal(self, sig):
		if self.proc.poll() is None:
			os.kill(self.pid, sig)

	def kill(self):
		if self.proc.poll() is None:
			os.kill(self.pid, signal.SIGKILL)
			self.proc.wait()
		self._close_files()

	def prune(self, limit=1 << 20):
		"""Delete big files from the temp dir (keeps disk use low across runs;
		configs and logs stay for inspection)."""
		for dirpath, _dirs, files in os.walk(self.tmp):
			for f in files:
				p = os.path.join(dirpath, f)
				try:
					if os.path.getsize(p) > limit and not f.endswith(".log"):
						os.remove(p)
				except OSError:
					pass

	def _close_files(self):
		self.session.close()
		for f in (self._out, self._err):
			try:
				f.close()
			except OSError:
				pass

	def stop(self, sig=signal.SIGTERM, timeout=STOP_WAIT):
		"""Send sig by PID (none if sig is None: the caller already did) and
		wait for the exit. Returns a list of problems (empty when the server
		exited 0 in time with no sanitizer report)."""
		if self.stopped:
			return []
		self.stopped = True
		problems = []
		what = signal.Signals(sig).name if sig else "the signal"
		if sig is not None and self.proc.poll() is not None:
			problems.append("webserv had already exited with status %s before it "
			                "was stopped" % self.proc.returncode)
		else:
			if sig is not None:
				os.kill(self.pid, sig)
			t0 = time.monotonic()
			try:
				self.proc.wait(timeout=timeout)
			except subprocess.TimeoutExpired:
				os.kill(self.pid, signal.SIGKILL)
				self.proc.wait()
				problems.append("webserv did not exit within %.0fs of %s" % (timeout, what))
			else:
				self.stop_seconds = time.monotonic() - t0
				if self.proc.returncode != 0:
					problems.append("webserv exited with status %s after %s"
					                % (self.proc.returncode, what))
		self.exit_code = self.proc.returncode
		self._close_files()
		err = self.stderr_text()
		for mark in SANITIZER_MARKS:
			if mark in err:
				problems.append("sanitizer report (%s) in stderr" % mark)
				break
		if problems:
			problems.append("stderr tail:\n" + err[-4000:])
		return problems

	def stop_check(self, **kw):
		problems = self.stop(**kw)
		if problems:
			pytest.fail("\n".join(problems), pytrace=False)


class ServerStartError(Exception):
	pass


_live_servers = []


def launch(bin_path, tmp, conf, files=None, tmpfiles=None, dirs=None,
           args=None, wait=True, conf_name="webserv.conf"):
	env = Env(tmp, conf, files=files, tmpfiles=tmpfiles, dirs=dirs,
	          conf_name=conf_name)
	srv = Server(env, bin_path, args=args)
	_live_servers.append(srv)
	if wait:
		try:
			srv.wait_ready()
		except ServerStartError as e:
			srv.kill()
			srv.stopped = True
			pytest.fail(str(e), pytrace=False)
	return srv


@pytest.fixture
def server(webserv_bin, tmp_path_factory):
	"""Factory: server(conf, files=None, tmpfiles=None, dirs=None) -> Server."""
	started = []

	def start(conf, **kw):
		tmp = tmp_path_factory.mktemp("ws")
		srv = launch(webserv_bin, tmp, conf, **kw)
		started.append(srv)
		return srv

	yield start
	problems = []
	for srv in started:
		problems += srv.stop()
		srv.prune()
	for srv in started:
		if srv in _live_servers:
			_live_servers.remove(srv)
	if problems:
		pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(scope="module")
def module_server(webserv_bin, tmp_path_factory, request):
	"""Module-scoped factory, same signature as `server`."""
	started = []

	def start(conf, **kw):
		tmp = tmp_path_factory.mktemp("wsm")
		srv = launch(webserv_bin, tmp, conf, **kw)
		started.append(srv)
		return srv

	yield start
	problems = []
	for srv in started:
		problems += srv.stop()
		srv.prune()
		if srv in _live_servers:
			_live_servers.remove(srv)
	if problems:
		pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def make_env(tmp_path_factory):
	"""Factory: make_env(conf, files=..., tmpfiles=..., dirs=...) -> Env."""
	def make(conf, **kw):
		return Env(tmp_path_factory.mktemp("wsc"), conf, **kw)
	return make


@pytest.fixture(autouse=True)
def _servers_still_healthy():
	"""After every test: any server still meant to be running must be alive
	and free of sanitizer reports, so a crash is blamed on the test that
	caused it."""
	yield
	for srv in list(_live_servers):
		if srv.stopped or srv.reported:
			continue
		err = srv.stderr_text()
		if srv.proc.poll() is not None:
			msg = ("webserv died during this test (status %s); stderr tail:\n%s"
			       % (srv.proc.returncode, err[-4000:]))
			try:
				srv.restart()
			except Exception as e:  # noqa: BLE001 - reported with the death
				srv.reported = True
				msg += "\n(restart failed: %s)" % e
			pytest.fail(msg, pytrace=False)
		for mark in SANITIZER_MARKS:
			if mark in err:
				srv.reported = True
				pytest.fail("sanitizer report in webserv stderr:\n" + err[-4000:],
				            pytrace=False)


# -- shared CGI scripts and configurations ------------------------------------

def cgi_source(name):
	"""The source of cgi_fixtures/NAME."""
	return (CGI_FIXTURES / name).read_bytes()


@pytest.fixture(scope="session")
def cgi_scripts():
	"""cgi_scripts(*names, under="cgi/") -> {under + name: source}."""
	def pick(*names, under="cgi/"):
		return {under + n: cgi_source(n) for n in names}
	return pick


# One server: a.txt, an upload store at /up (every method, no body limit,
# stored in {tmp}/store) and Python CGI under /cgi/.
STORE_CONF = """
server {
    listen 127.0.0.1:{port};
    root {root};
    location /cgi/ {
        allow_methods GET HEAD POST;
        cgi .py /usr/bin/python3;
        client_max_body_size 0;
    }
    location /up {
        allow_methods GET HEAD POST PUT DELETE;
        upload_store {tmp}/store;
        alias {tmp}/store;
        client_max_body_size 0;
    }
}
"""


def _store_files(cgi_scripts, scripts, files, huge):
	out = {"a.txt": b"alpha"}
	out.update(cgi_scripts(*scripts))
	out.update(files or {})
	return out


def _add_huge(srv, huge):
	if huge:
		with open(srv.root / "huge.bin", "wb") as f:
			f.truncate(huge)  # sparse: reads as zero bytes
	return srv


@pytest.fixture
def store_server(server, cgi_scripts):
	"""Factory: store_server(scripts=(), files=None, huge=0) -> a Server on
	STORE_CONF with the named cgi_fixtures scripts under /cgi/ and, when
	huge > 0, a www/huge.bin of that many bytes; srv.store is the store."""
	def start(scripts=(), files=None, huge=0):
		srv = server(STORE_CONF, files=_store_files(cgi_scripts, scripts, files, huge),
		             dirs=["store"])
		srv.store = srv.tmp / "store"
		return _add_huge(srv, huge)
	return start


@pytest.fixture(scope="module")
def module_store_server(module_server, cgi_scripts):
	"""Module-scoped store_server."""
	def start(scripts=(), files=None, huge=0):
		srv = module_server(STORE_CONF,
		                    files=_store_files(cgi_scripts, scripts, files, huge),
		                    dirs=["store"])
		srv.store = srv.tmp / "store"
		return _add_huge(srv, huge)
	return start


# A server whose configuration reaches many features at once: custom error
# pages (one a directory, one a script), autoindex over hostile names, an
# index that is a directory, an upload store, CGI with edge.py, `return`.
MIXED_CONF = """
server {
    listen 127.0.0.1:{port};
    root {root};
    error_page 404 /errs/404.html;
    error_page 403 /errs/adir;
    error_page 405 /errs/405.html;
    location /auto { autoindex on; }
    location /idxdir { index sub; }
    location /dyn404 { error_page 404 /cgi/edge.py; }
    location /up {
        upload_store {tmp}/store;
        alias {tmp}/store;
        allow_methods GET POST PUT DELETE;
        client_max_body_size 0;
    }
    location /cgi/ {
        allow_methods GET HEAD POST;
        cgi .py /usr/bin/python3;
        client_max_body_size 0;
    }
    location = /r204 { return 204; }
    location = /r204t { return 204 "no body allowed"; }
    location = /r200t { return 200 "plain text"; }
}
"""

def _mixed_files():
	files = {
		"index.html": b"<p>root</p>",
		"a.txt": b"alpha",
		"r.txt": mixed.MIXED_RANGE,
		"empty.txt": b"",
		"errs/404.html": b"<p>custom 404</p>",
		"errs/405.html": b"<p>custom 405</p>",
		"errs/adir/inside.txt": b"a directory, not a page",
		"idxdir/sub/x.txt": b"x",
		"noidx/x.txt": b"x",
		"cgi/edge.py": cgi_source("edge.py"),
		"outside-target/secret.txt": b"not for deleting",
	}
	for n in mixed.AUTO_NAMES:
		files["auto/" + n] = ("content of " + n).encode()
	files["auto/<i>d&/f.txt"] = b"in odd dir"
	return files


@pytest.fixture(scope="module")
def mixed_srv(module_server):
	"""One MIXED_CONF server per test file; srv.store is its upload store."""
	srv = module_server(MIXED_CONF, files=_mixed_files(), dirs=["store"])
	srv.store = srv.tmp / "store"
	return srv
