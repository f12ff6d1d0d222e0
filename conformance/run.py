#!/usr/bin/env python3
"""Drive the conformance runs (called by conformance/Makefile.inc).

  run.py conformance [--target URL] [--bin ./webserv] [--out DIR]
      Without --target: start webserv on a temporary copy of
      conf/default.conf (free ports), run the black-box tests against it
      (demo tests included), stop it, run the pytest suite (pytests/), and
      write DIR/REPORT.md, DIR/report.html and DIR/results.json.
      With --target: run only the black-box tests against that server; the
      tests needing webserv's own configuration (the demo tests and the
      whole pytests/ suite) are recorded as skipped.

  run.py nginx [--bin ./webserv] [--out DIR]
      Install Debian's nginx if it is missing (as root), start it on
      loopback with a configuration equivalent to the demo site, run the
      black-box tests against nginx and against webserv, stop both by PID
      and write DIR/COMPARISON.md.

Exit status: 0 when the report was written (failing tests are part of the
report; set CONFORMANCE_STRICT=1 to exit 1 when a MUST requirement fails),
2 when a run could not be completed.
"""

import argparse
import grp
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import demo  # noqa: E402
import report  # noqa: E402

PY = sys.executable or "/usr/bin/python3"


def say(msg):
	sys.stderr.write("conformance: %s\n" % msg)
	sys.stderr.flush()


def pytest(paths, results, suite, env_extra=None, args=()):
	env = dict(os.environ)
	env["PYTHONPATH"] = os.pathsep.join([str(HERE)] + [p for p in
	                                     env.get("PYTHONPATH", "").split(os.pathsep) if p])
	env.update(env_extra or {})
	cmd = [PY, "-m", "pytest", "-p", "rfcplugin", "--rfc-results", str(results),
	       "--rfc-suite", suite] + list(args) + [str(p) for p in paths]
	extra = os.environ.get("CONFORMANCE_PYTEST_ARGS", "-q").split()
	say("running %s (%s)" % (suite, " ".join(str(p) for p in paths)))
	rc = subprocess.call(cmd + extra, cwd=str(REPO), env=env)
	if rc not in (0, 1, 5) or not Path(results).exists():
		say("pytest %s ended with status %d" % (suite, rc))
		return False
	return True


def blackbox(url, results, demo_on, server_label):
	return pytest([HERE / "blackbox"], results, "blackbox", {
		"CONFORMANCE_TARGET": url,
		"CONFORMANCE_DEMO": "1" if demo_on else "0",
		"CONFORMANCE_SERVER": server_label,
	})


def webserv_label(binary):
	try:
		out = subprocess.run([binary, "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
		                     timeout=5, text=True).stdout.strip()
		return out.splitlines()[0] if out else "webserv"
	except (OSError, subprocess.SubprocessError):
		return "webserv"


def run_blackbox_on_webserv(binary, results):
	srv = demo.Webserv(binary)
	srv.start()
	say("webserv pid %d on %s (demo configuration)" % (srv.proc.pid, srv.url))
	try:
		ok = blackbox(srv.url, results, True, webserv_label(srv.binary) + " (conf/default.conf)")
	finally:
		status = srv.stop()
		say("webserv stopped, exit status %s" % status)
	return ok


def strict_check(reqs):
	if os.environ.get("CONFORMANCE_STRICT") == "1":
		t = report.totals(reqs)
		if t["MUST"]["fail"]:
			say("CONFORMANCE_STRICT: %d MUST requirements fail" % t["MUST"]["fail"])
			return 1
	return 0


def cmd_conformance(a):
	out = Path(a.out or (REPO / "build" / "conformance-target" if a.target else HERE))
	out.mkdir(parents=True, exist_ok=True)
	tmp = Path(tempfile.mkdtemp(prefix="conformance-"))
	bb, wb = tmp / "blackbox.json", tmp / "pytests.json"
	ok = True
	try:
		if a.target:
			ok &= blackbox(a.target, bb, False, a.target)
			ok &= pytest([REPO / "pytests"], wb, "pytests", args=[
				"--rfc-skip-all", "needs webserv's own configuration (black-box mode)"])
			title = "RFC conformance report: %s" % a.target
		else:
			ok &= run_blackbox_on_webserv(a.bin, bb)
			ok &= pytest([REPO / "pytests"], wb, "pytests",
			             {"WEBSERV_BIN": str(Path(a.bin).resolve())})
			title = "webserv RFC conformance report"
		files = [str(p) for p in (bb, wb) if p.exists()]
		if not files:
			say("no results to report")
			return 2
		report.main(["report", "--results"] + files + [
			"--md", str(out / "REPORT.md"), "--html", str(out / "report.html"),
			"--merged", str(out / "results.json"), "--title", title])
		say("wrote %s and %s" % (out / "REPORT.md", out / "report.html"))
		reqs = report.load_requirements(str(HERE / "requirements.tsv"))
		report.assign(reqs, report.load_results(files)[1])
		rc = strict_check(reqs)
	finally:
		shutil.rmtree(tmp, ignore_errors=True)
	return rc if ok else 2


# -- nginx ------------------------------------------------------------------------

def find_nginx():
	return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
	                                      if os.access(p, os.X_OK)), None)


def install_nginx():
	if os.geteuid() != 0:
		raise SystemExit("conformance: nginx is not installed; as root run: "
		                 "apt-get update && apt-get install -y --no-install-recommends nginx")
	say("installing Debian's nginx")
	env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
	# keep the package from starting its own service on port 80
	guard = Path("/usr/sbin/policy-rc.d")
	made = False
	if not guard.exists():
		guard.write_text("#!/bin/sh\nexit 101\n")
		guard.chmod(0o755)
		made = True
	try:
		subprocess.check_call(["apt-get", "update", "-qq"], env=env)
		subprocess.check_call(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
		                       "nginx"], env=env)
	finally:
		if made:
			guard.unlink()
	path = find_nginx()
	if not path:
		raise SystemExit("conformance: nginx still missing after apt-get install")
	return path


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


class Nginx:
	def __init__(self, binary):
		self.binary = binary
		self.tmp = Path(tempfile.mkdtemp(prefix="conformance-nginx-"))
		self.proc = None

	def start(self):
		t = self.tmp
		shutil.copytree(REPO / "www", t / "www", ignore=shutil.ignore_patterns("uploads"))
		for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
			(t / d).mkdir()
		self.port = demo.free_port()
		user = ""
		if os.geteuid() == 0:
			user = "user %s %s;" % (pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name)
		conf = (HERE / "nginx.conf.in").read_text()
		conf = conf.replace("@TMP@", str(t)).replace("@PORT@", str(self.port)).replace("@USER@", user)
		if not Path("/etc/nginx/mime.types").exists():  # not Debian's layout: use ours
			conf = conf.replace("/etc/nginx/mime.types", str(REPO / "conf" / "mime.types"))
		(t / "nginx.conf").write_text(conf)
		self.url = "http://127.0.0.1:%d" % self.port
		self.log = open(t / "stderr.log", "wb")
		self.proc = subprocess.Popen([self.binary, "-p", str(t), "-c", str(t / "nginx.conf"),
		                              "-e", str(t / "error.log")], cwd=str(t),
		                             stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
		demo.wait_ready([self.port], self.proc, 10.0, self.errors)
		return self

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
		return r.stdout.strip().replace("nginx version: ", "")

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


def cmd_nginx(a):
	out = Path(a.out or HERE)
	out.mkdir(parents=True, exist_ok=True)
	binary = find_nginx() or install_nginx()
	tmp = Path(tempfile.mkdtemp(prefix="conformance-"))
	ng_res, ws_res = tmp / "nginx.json", tmp / "webserv.json"
	ok = True
	try:
		ng = Nginx(binary)
		ng.start()
		say("nginx pid %d on %s" % (ng.proc.pid, ng.url))
		try:
			ok &= blackbox(ng.url, ng_res, False, "%s (conformance/nginx.conf.in)" % ng.version())
		finally:
			status = ng.stop()
			say("nginx stopped, exit status %s" % status)
		ok &= run_blackbox_on_webserv(a.bin, ws_res)
		if not (ng_res.exists() and ws_res.exists()):
			return 2
		report.main(["compare", "--side", "webserv=%s" % ws_res, "--side", "nginx=%s" % ng_res,
		             "--md", str(out / "COMPARISON.md")])
		for name, res in (("webserv", ws_res), ("nginx", ng_res)):
			reqs = report.load_requirements(str(HERE / "requirements.tsv"))
			report.assign(reqs, report.load_results([str(res)])[1])
			for lvl, c in report.totals(reqs).items():
				say("%s black-box: %s" % (name, report.total_line(lvl, c)))
	finally:
		shutil.rmtree(tmp, ignore_errors=True)
	return 0 if ok else 2


def main(argv=None):
	ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
	ap.add_argument("command", choices=["conformance", "nginx"])
	ap.add_argument("--target", default=os.environ.get("TARGET") or None)
	ap.add_argument("--bin", default=os.environ.get("WEBSERV_BIN") or str(REPO / "webserv"))
	ap.add_argument("--out", default=None, help="where the report files go")
	a = ap.parse_args(argv)
	if a.target:
		a.target = a.target.rstrip("/")
	return cmd_conformance(a) if a.command == "conformance" else cmd_nginx(a)


if __name__ == "__main__":
	sys.exit(main())
