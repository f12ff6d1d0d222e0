#!/usr/bin/env python3
"""Drive the conformance runs (called by conformance/Makefile.inc).

  run.py webserv [--bin ./webserv] [--out DIR]
      Start webserv on a temporary copy of conf/default.conf (free ports),
      check the fixtures, run the black-box tests against it (demo tests
      included), stop it, run the pytest suite (pytests/), and write
      DIR/REPORT.md, DIR/report.html and DIR/results.json
      (default DIR: build/conformance).

  run.py target --target URL [--get-path P] [--listing-path P]
                [--redirect-path P] [--post-path P] [--out DIR]
      Any server: a preflight first (the server answers; each fixture path
      exists with the expected kind), then only the black-box tests; the
      report lists only them (default DIR: build/conformance-target).
      A path given as `none` is absent: its tests are skipped (fixture).
      The target defaults to the environment's CONFORMANCE_TARGET.

  run.py compare [--bin ./webserv] [--servers webserv,nginx,lighttpd,h2o]
                 [--out DIR]
      The black-box tests against webserv and each other server installed
      (each started on loopback with conformance/servers/NAME.conf.in, the
      demo site's equivalent), stopped by PID; writes DIR/COMPARISON.md and
      DIR/comparison.html (default DIR: build/conformance-compare).

  run.py samples [--bin ./webserv]
      Both of the above for webserv, written over the committed sample
      reports in conformance/ (REPORT.md, report.html, COMPARISON.md,
      comparison.html).

Exit status: 0 when the report was written (failing tests are part of the
report; with --fail-on LEVELS, e.g. MUST,SHOULD, or CONFORMANCE_STRICT=1
for MUST, 1 when a requirement of those levels fails), 2 when the run
could not be done: the preflight found the target or a fixture missing
(the message names it), or a test run did not complete.
"""

import argparse
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "pytests"))
import wsh  # noqa: E402
import demo  # noqa: E402
import report  # noqa: E402

PY = os.environ.get("PYTHON") or "/usr/bin/python3"
if not os.access(PY, os.X_OK):
	PY = sys.executable
DEMO_PATHS = {"get": "/files/readme.txt", "listing": "/files/", "redirect": "/old-page",
              "post": "/cgi/form.py"}
# suites that only show which rows webserv's own tests check (target mode)
HIDDEN = ("pytests", "demo")
# The per-server pytest run is bounded (the whole comparison too).
RUN_TIMEOUT = float(os.environ.get("CONFORMANCE_RUN_TIMEOUT", "600"))


def say(msg):
	sys.stderr.write("conformance: %s\n" % msg)
	sys.stderr.flush()


class Unusable(Exception):
	"""The run cannot be done (exit status 2); the message says why."""


# -- running pytest ----------------------------------------------------------------

def pytest(paths, results, suite, env_extra=None, args=()):
	env = dict(os.environ)
	env["PYTHONPATH"] = os.pathsep.join([str(HERE)] + [p for p in
	                                     env.get("PYTHONPATH", "").split(os.pathsep) if p])
	env.update(env_extra or {})
	cmd = [PY, "-m", "pytest", "-p", "rfcplugin", "--rfc-results", str(results),
	       "--rfc-suite", suite] + list(args) + [str(p) for p in paths]
	extra = os.environ.get("CONFORMANCE_PYTEST_ARGS", "-q").split()
	say("running %s (%s)" % (suite, " ".join(str(p) for p in paths)))
	try:
		rc = subprocess.call(cmd + extra, cwd=str(REPO), env=env, timeout=RUN_TIMEOUT,
		                     stdout=None if "--collect-only" not in args else subprocess.DEVNULL)
	except subprocess.TimeoutExpired:
		say("pytest %s did not finish within %.0f s" % (suite, RUN_TIMEOUT))
		return False
	if rc not in (0, 1, 5) or not Path(results).exists():
		say("pytest %s ended with status %d" % (suite, rc))
		return False
	return True


def fixture_env(paths):
	return {"CONFORMANCE_%s_PATH" % k.upper(): (v or "none") for k, v in paths.items()}


def blackbox(url, results, demo_on, label, paths):
	env = {"CONFORMANCE_TARGET": url, "CONFORMANCE_DEMO": "1" if demo_on else "0",
	       "CONFORMANCE_SERVER": label}
	env.update(fixture_env(paths))
	return pytest([HERE / "blackbox"], results, "blackbox", env)


# -- preflight ------------------------------------------------------------------------

def _get(t, method, path, body=b""):
	hdrs = [("Content-Length", str(len(body)))] if method == "POST" else []
	if method == "POST":
		hdrs.append(("Content-Type", "application/x-www-form-urlencoded"))
	return t.exchange(t.req(method, path, hdrs, body), method)


def preflight(url, paths):
	"""Check that the target answers and that each fixture path has the
	expected kind. Returns (server label, problems)."""
	try:
		t = wsh.Target(url)
	except ValueError as e:
		return "", [str(e)]
	try:
		socket.create_connection((t.host, t.port), timeout=5).close()
	except OSError as e:
		return "", ["nothing accepts connections at %s (%s)" % (t.url, e.strerror or e)]
	try:
		r = _get(t, "GET", "/")
	except (AssertionError, OSError) as e:
		return "", ["%s accepts connections but does not answer `GET /` with an HTTP/1.x "
		            "response: %s" % (t.url, e)]
	label = r.header("Server") or t.url
	problems = []

	def check(kind, ok, what):
		p = paths.get(kind)
		if not p:
			return
		try:
			res = ok(p)
		except (AssertionError, OSError) as e:
			res = "no valid response (%s)" % e
		if res is not True:
			problems.append("--%s-path %s: expected %s, got %s" % (kind, p, what, res))

	def is_file(p):
		r = _get(t, "GET", p)
		return True if r.status == 200 and r.body else "%d with %d body bytes" % (r.status, len(r.body))

	def is_listing(p):
		if not p.endswith("/"):
			return "a path that does not end in /"
		r = _get(t, "GET", p)
		if r.status != 200 or "html" not in r.content_type:
			return "%d %s" % (r.status, r.content_type or "(no Content-Type)")
		r = _get(t, "GET", p.rstrip("/"))
		if not (300 <= r.status < 400 and r.header("Location")):
			return "%d for %s (the directory without its slash should redirect)" % (
				r.status, p.rstrip("/"))
		return True

	def is_redirect(p):
		r = _get(t, "GET", p)
		return True if 300 <= r.status < 400 and r.header("Location") else \
			"%d%s" % (r.status, "" if r.header("Location") else " without Location")

	def is_sink(p):
		r = _get(t, "POST", p, b"name=preflight&value=1")
		# 303 See Other: the body was taken (Post/Redirect/Get).
		return True if 200 <= r.status < 300 or r.status == 303 else "%d" % r.status

	if not paths.get("get"):
		problems.append("--get-path is required: a static file the server answers with 200 and "
		                "a body (most tests read it)")
	check("get", is_file, "a static file: 200 with a body")
	check("listing", is_listing, "a directory listing: 200 text/html, and a redirect without "
	      "the trailing slash")
	check("redirect", is_redirect, "a redirect: 3xx with Location")
	check("post", is_sink, "a path that takes a POST body: 2xx or 303")
	return label, problems


def preflight_or_raise(url, paths):
	label, problems = preflight(url, paths)
	if problems:
		hint = ""
		if any(p.startswith("--") for p in problems):
			hint = ("Give the paths the server has (--get-path, --listing-path, "
			        "--redirect-path, --post-path; `none` for a kind it lacks: those tests "
			        "are then skipped as fixtures).\n")
		raise Unusable("the target %s is not usable as configured:\n  - %s\n%s"
		               "No report was written." % (url, "\n  - ".join(problems), hint))
	say("preflight: %s answers; fixtures %s" % (url, ", ".join(
		"%s=%s" % (k, v or "none") for k, v in paths.items())))
	return label


# -- servers -------------------------------------------------------------------------

def webserv_label(binary):
	try:
		out = subprocess.run([binary, "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
		                     timeout=5, text=True).stdout.strip()
		return out.splitlines()[0] if out else "webserv"
	except (OSError, subprocess.SubprocessError):
		return "webserv"


class WebservDemo:
	name = "webserv"
	conf_name = "conf/default.conf"
	paths = dict(DEMO_PATHS)

	def __init__(self, binary):
		self.binary = binary
		self.srv = demo.Webserv(binary)

	@staticmethod
	def find(_binary=None):
		return True

	def start(self):
		self.srv.start()
		self.url = self.srv.url
		self.pid = self.srv.proc.pid

	def stop(self):
		return self.srv.stop()

	def label(self):
		return webserv_label(self.srv.binary) + " (conf/default.conf)"


def children_of(pid):
	kids = []
	for d in os.listdir("/proc"):
		if not d.isdigit():
			continue
		try:
			with open("/proc/%s/stat" % d) as f:
				fields = f.read().rsplit(")", 1)[1].split()
			if int(fields[1]) == pid:
				kids.append(int(d))
		except (OSError, IndexError, ValueError):
			pass
	return kids


def which(*names):
	for n in names:
		p = shutil.which(n)
		if p:
			return p
		for d in ("/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"):
			if os.access(os.path.join(d, n), os.X_OK):
				return os.path.join(d, n)
	return None


class Other:
	"""Another server started on loopback with conformance/servers/NAME.conf.in:
	@TMP@, @PORT@, @USER@, @MIME@ and @MIMEMAP@ are filled in."""
	name = ""
	binaries = ()
	paths = {"get": "/files/readme.txt", "listing": "/files/", "redirect": "/old-page",
	         "post": None}

	def __init__(self, binary):
		self.binary = binary
		self.tmp = Path(tempfile.mkdtemp(prefix="conformance-%s-" % self.name))
		self.proc = None

	@classmethod
	def find(cls):
		return which(*cls.binaries)

	def fill(self, text):
		user = group = ""
		if os.geteuid() == 0:
			user = pwd.getpwuid(os.getuid()).pw_name
			group = grp.getgrgid(os.getgid()).gr_name
		mime = "/etc/nginx/mime.types"
		if not Path(mime).exists():
			mime = str(REPO / "conf" / "mime.types")
		return (text.replace("@TMP@", str(self.tmp)).replace("@PORT@", str(self.port))
		        .replace("@NGINXUSER@", "user %s %s;" % (user, group) if user else "")
		        .replace("@USER@", user).replace("@GROUP@", group).replace("@MIME@", mime)
		        .replace("@MIMEMAP@", self.mimemap()))

	def mimemap(self):
		return ""

	def argv(self, conf):
		raise NotImplementedError

	def start(self):
		t = self.tmp
		os.chmod(t, 0o755)
		shutil.copytree(REPO / "www", t / "www", ignore=shutil.ignore_patterns("uploads"))
		for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
			(t / d).mkdir()
		self.port = demo.free_port()
		conf = t / ("%s.conf" % self.name)
		conf.write_text(self.fill((HERE / "servers" / ("%s.conf.in" % self.name)).read_text()))
		self.url = "http://127.0.0.1:%d" % self.port
		self.log = open(t / "stderr.log", "wb")
		self.proc = subprocess.Popen(self.argv(conf), cwd=str(t), stdin=subprocess.DEVNULL,
		                             stdout=self.log, stderr=self.log, start_new_session=True)
		self.pid = self.proc.pid
		demo.wait_ready([self.port], self.proc, 15.0, self.errors)

	def errors(self):
		text = ""
		for name in ("stderr.log", "error.log"):
			try:
				text += (self.tmp / name).read_text(errors="replace")
			except OSError:
				pass
		return text

	def version(self):
		r = subprocess.run([self.binary, "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
		                   text=True)
		return r.stdout.strip().splitlines()[0] if r.stdout.strip() else self.name

	def label(self):
		return "%s (conformance/servers/%s.conf.in)" % (self.version(), self.name)

	def stop(self):
		if self.proc is None:
			return None
		workers = children_of(self.proc.pid)
		status = demo.stop_pid(self.proc)
		for pid in workers:  # normally gone with the master already
			try:
				os.kill(pid, signal.SIGKILL)
			except ProcessLookupError:
				pass
		self.proc = None
		self.log.close()
		if os.environ.get("CONFORMANCE_KEEP_TMP") != "1":
			shutil.rmtree(self.tmp, ignore_errors=True)
		return status


class Nginx(Other):
	name = "nginx"
	binaries = ("nginx",)

	def argv(self, conf):
		return [self.binary, "-p", str(self.tmp), "-c", str(conf), "-e", str(self.tmp / "error.log")]

	def version(self):
		return super().version().replace("nginx version: ", "")


class Lighttpd(Other):
	name = "lighttpd"
	binaries = ("lighttpd",)

	def mimemap(self):
		"""mimetype.assign from conf/mime.types (nginx format)."""
		text = (REPO / "conf" / "mime.types").read_text()
		body = text[text.index("{") + 1:text.rindex("}")]
		pairs = []
		for stmt in body.split(";"):
			words = stmt.split()
			if len(words) >= 2 and not words[0].startswith("#"):
				for ext in words[1:]:
					pairs.append('  ".%s" => "%s"' % (ext, words[0]))
		return "mimetype.assign = (\n%s\n)" % ",\n".join(pairs)

	def argv(self, conf):
		return [self.binary, "-D", "-f", str(conf)]

	def version(self):
		return super().version().split(" - ")[0]


class H2o(Other):
	name = "h2o"
	binaries = ("h2o",)

	def fill(self, text):
		if os.geteuid() != 0:
			text = text.replace('user: "@USER@"\n', "")
		return super().fill(text)

	def argv(self, conf):
		return [self.binary, "-c", str(conf)]

	def version(self):
		r = subprocess.run([self.binary, "--version"], stdout=subprocess.PIPE,
		                   stderr=subprocess.STDOUT, text=True)
		return r.stdout.strip().splitlines()[0] if r.stdout.strip() else "h2o"


SERVERS = {"webserv": WebservDemo, "nginx": Nginx, "lighttpd": Lighttpd, "h2o": H2o}


# -- commands --------------------------------------------------------------------------

def fail_on_check(reqs, levels, hidden=(), deviations=False):
	bad = []
	for lvl, c in report.totals(reqs, hidden, deviations).items():
		if lvl in levels and c["fail"]:
			bad.append("%d %s" % (c["fail"], lvl))
	if bad:
		say("failing requirements: %s (--fail-on %s)" % (", ".join(bad), ",".join(levels)))
		return 1
	return 0


def levels_of(a):
	lv = [x.strip().upper() for x in (a.fail_on or "").split(",") if x.strip()]
	if not lv and os.environ.get("CONFORMANCE_STRICT") == "1":
		lv = ["MUST"]
	for x in lv:
		if x not in report.LEVELS:
			raise Unusable("--fail-on: %r is not MUST, SHOULD or MAY" % x)
	return lv


def write_report(out, files, title, hidden=(), deviations=False):
	args = ["report", "--results"] + [str(f) for f in files] + [
		"--md", str(out / "REPORT.md"), "--html", str(out / "report.html"),
		"--merged", str(out / "results.json"), "--title", title]
	for h in hidden:
		args += ["--hide-suite", h]
	if deviations:
		args.append("--deviations")
	report.main(args)
	say("wrote %s and %s" % (out / "REPORT.md", out / "report.html"))


def run_webserv(binary, out, tmp):
	bb, wb = tmp / "blackbox.json", tmp / "pytests.json"
	srv = WebservDemo(binary)
	srv.start()
	say("webserv pid %d on %s (demo configuration)" % (srv.pid, srv.url))
	try:
		preflight_or_raise(srv.url, srv.paths)
		ok = blackbox(srv.url, bb, True, srv.label(), srv.paths)
	finally:
		say("webserv stopped, exit status %s" % srv.stop())
	ok &= pytest([REPO / "pytests"], wb, "pytests", {"WEBSERV_BIN": str(Path(binary).resolve())})
	if not ok:
		raise Unusable("a test run did not complete")
	write_report(out, [bb, wb], "webserv RFC conformance report", deviations=True)
	return [bb, wb]


def cmd_webserv(a):
	out = Path(a.out or REPO / "build" / "conformance")
	out.mkdir(parents=True, exist_ok=True)
	tmp = Path(tempfile.mkdtemp(prefix="conformance-"))
	try:
		levels = levels_of(a)
		files = run_webserv(a.bin, out, tmp)
		reqs = report.load_requirements(str(HERE / "requirements.tsv"))
		report.assign(reqs, report.load_results([str(f) for f in files])[1])
		return fail_on_check(reqs, levels, deviations=True)
	finally:
		shutil.rmtree(tmp, ignore_errors=True)


def target_paths(a):
	paths = {}
	for k in DEMO_PATHS:
		v = getattr(a, "%s_path" % k)
		if v is None:
			v = os.environ.get("CONFORMANCE_%s_PATH" % k.upper(), DEMO_PATHS[k])
		v = v.strip()
		paths[k] = None if v.lower() in ("", "none", "-") else v
	return paths


def cmd_target(a):
	if not a.target:
		raise Unusable("no target: give --target http://HOST:PORT (or CONFORMANCE_TARGET)")
	url = a.target.rstrip("/")
	levels = levels_of(a)
	paths = target_paths(a)
	label = preflight_or_raise(url, paths)
	out = Path(a.out or REPO / "build" / "conformance-target")
	out.mkdir(parents=True, exist_ok=True)
	tmp = Path(tempfile.mkdtemp(prefix="conformance-"))
	try:
		bb, wb = tmp / "blackbox.json", tmp / "pytests.json"
		if not blackbox(url, bb, False, "%s (%s)" % (url, label), paths):
			raise Unusable("the black-box run did not complete")
		# collected only, to know which rows only webserv's own tests check
		dm = tmp / "demo.json"
		pytest([REPO / "pytests"], wb, "pytests", args=["--collect-only", "-q"])
		pytest([HERE / "blackbox"], dm, "demo", {"CONFORMANCE_TARGET": url},
		       args=["--collect-only", "-q", "-m", "demo"])
		files = [bb] + [f for f in (wb, dm) if f.exists()]
		write_report(out, files, "RFC conformance report: %s (%s)" % (url, label),
		             hidden=HIDDEN)
		reqs = report.load_requirements(str(HERE / "requirements.tsv"))
		report.assign(reqs, report.load_results([str(f) for f in files])[1])
		rc = fail_on_check(reqs, levels, hidden=HIDDEN)
		if a.summary:
			write_summary(Path(a.summary), reqs, url, label, out)
		return rc
	finally:
		shutil.rmtree(tmp, ignore_errors=True)


def write_summary(path, reqs, url, label, out):
	"""A short Markdown summary (for a CI job summary)."""
	lines = ["### RFC conformance: %s" % url, "", "Server: `%s`" % label, "",
	         "| level | pass | FAIL | skipped | skipped (fixture) | claimed | enumerated |",
	         "|---|---|---|---|---|---|---|"]
	for lvl, c in report.totals(reqs, HIDDEN).items():
		lines.append("| %s | %d | %d | %d | %d | %d | %d |" % (
			lvl, c["pass"], c["fail"], c["skipped"], c["fixture"], c["claimed"], c["enumerated"]))
	fails = [r for r in sorted(reqs, key=report.sort_key)
	         if report.result(r, ("pytests",)) == "fail"]
	if fails:
		lines += ["", "Failing requirements:", ""]
		for r in fails:
			lines.append("- RFC %s §%s %s `%s`" % (r["rfc"], r["section"], r["level"], r["id"]))
	lines += ["", "Full report: `%s`" % (out / "report.html")]
	with open(path, "a", encoding="utf-8") as f:
		f.write("\n".join(lines) + "\n")


def run_compare(binary, names, out, tmp):
	sides = []
	for name in names:
		cls = SERVERS[name]
		if name == "webserv":
			srv = WebservDemo(binary)
		else:
			b = cls.find()
			if not b:
				say("%s is not installed: left out" % name)
				continue
			srv = cls(b)
		res = tmp / ("%s.json" % name)
		srv.start()
		say("%s pid %d on %s" % (name, srv.pid, srv.url))
		try:
			preflight_or_raise(srv.url, srv.paths)
			if not blackbox(srv.url, res, False, srv.label(), srv.paths):
				say("%s: the black-box run did not complete" % name)
		finally:
			say("%s stopped, exit status %s" % (name, srv.stop()))
		sides.append((name, res))
	if not sides:
		raise Unusable("no server to compare")
	args = ["compare", "--md", str(out / "COMPARISON.md"), "--html", str(out / "comparison.html"),
	        "--deviations", "webserv"]
	for name, res in sides:
		args += ["--side", "%s=%s" % (name, res)]
	report.main(args)
	say("wrote %s and %s" % (out / "COMPARISON.md", out / "comparison.html"))


def cmd_compare(a):
	out = Path(a.out or REPO / "build" / "conformance-compare")
	out.mkdir(parents=True, exist_ok=True)
	tmp = Path(tempfile.mkdtemp(prefix="conformance-"))
	names = [n.strip() for n in a.servers.split(",") if n.strip()]
	for n in names:
		if n not in SERVERS:
			raise Unusable("unknown server %r (known: %s)" % (n, ", ".join(SERVERS)))
	try:
		run_compare(a.bin, names, out, tmp)
	finally:
		shutil.rmtree(tmp, ignore_errors=True)
	return 0


def cmd_samples(a):
	tmp = Path(tempfile.mkdtemp(prefix="conformance-"))
	try:
		run_webserv(a.bin, HERE, tmp)
		(HERE / "results.json").unlink(missing_ok=True)
		run_compare(a.bin, [n.strip() for n in a.servers.split(",")], HERE, tmp)
	finally:
		shutil.rmtree(tmp, ignore_errors=True)
	return 0


def main(argv=None):
	ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
	ap.add_argument("command", choices=["webserv", "target", "compare", "samples"])
	ap.add_argument("--target", default=os.environ.get("CONFORMANCE_TARGET") or None)
	ap.add_argument("--bin", default=os.environ.get("WEBSERV_BIN") or str(REPO / "webserv"))
	ap.add_argument("--out", default=None, help="where the report files go")
	for k in DEMO_PATHS:
		ap.add_argument("--%s-path" % k, default=None,
		                help="default %s (the demo site); `none` if the server has none"
		                % DEMO_PATHS[k])
	ap.add_argument("--fail-on", default=os.environ.get("CONFORMANCE_FAIL_ON", ""),
	                help="comma-separated levels whose failures make the exit status 1")
	ap.add_argument("--summary", default=None, help="append a Markdown summary to this file")
	ap.add_argument("--servers", default=os.environ.get("CONFORMANCE_SERVERS",
	                                                    "webserv,nginx,lighttpd,h2o"))
	a = ap.parse_args(argv)
	try:
		return {"webserv": cmd_webserv, "target": cmd_target, "compare": cmd_compare,
		        "samples": cmd_samples}[a.command](a)
	except Unusable as e:
		say(str(e))
		return 2
	except SystemExit as e:  # a server that would not start (demo.wait_ready)
		if isinstance(e.code, str):
			say(e.code)
			return 2
		raise


if __name__ == "__main__":
	sys.exit(main())
