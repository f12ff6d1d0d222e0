#!/usr/bin/env python3
"""Start webserv on a temporary copy of conf/default.conf.

The copy listens on free loopback ports instead of 8080/8081, every
relative path in it is made absolute (against conf/), and the upload store
points into the temporary directory, so a run never writes into www/.

As a command:

  demo.py run [--bin ./webserv] [--conf conf/default.conf] -- CMD ARG...
      start the server, run CMD with every `{url}` in its arguments
      replaced by http://127.0.0.1:PORT (also exported as WEBSERV_URL),
      stop the server by PID, exit with CMD's status.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PATH_DIRECTIVES = ("root", "alias", "upload_store", "include", "error_log", "access_log")
NOT_PATHS = ("stdout", "stderr", "off")


def free_port():
	s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	s.bind(("127.0.0.1", 0))
	port = s.getsockname()[1]
	s.close()
	return port


def demo_conf(src, tmp):
	"""Write tmp/webserv.conf from src. Returns (path, {old port: new port},
	uploads dir)."""
	src = Path(src).resolve()
	base = src.parent
	text = src.read_text()
	uploads = Path(tmp) / "uploads"
	uploads.mkdir(parents=True, exist_ok=True)
	real_uploads = (REPO / "www" / "uploads").resolve()
	ports = {}

	def listen(m):
		host, port = m.group(2), m.group(3)
		if port not in ports:
			ports[port] = str(free_port())
		return "%s127.0.0.1:%s;" % (m.group(1), ports[port])

	text = re.sub(r"(?m)^(\s*listen\s+)(?:([^\s;]*):)?(\d+)\s*;", listen, text)

	def path(m):
		directive, value = m.group(2), m.group(3)
		if directive in ("error_log", "access_log") and value in NOT_PATHS:
			return m.group(0)
		quoted = value.startswith('"') and value.endswith('"')
		v = value[1:-1] if quoted else value
		p = Path(v) if os.path.isabs(v) else base / v
		slash = "/" if v.endswith("/") else ""
		p = Path(os.path.normpath(p))
		if directive in ("upload_store", "alias") and p == real_uploads:
			p = uploads
		if directive == "include" and not p.exists():
			sys.stderr.write("demo.py: %s: include %s: missing, left out\n" % (src, v))
			return "%s# include %s (missing);" % (m.group(1), v)
		if directive in ("error_log", "access_log"):
			return m.group(0)  # the logs go to the run's stdout/stderr files
		return '%s%s "%s%s";' % (m.group(1), directive, p, slash)

	text = re.sub(r"(?m)^(\s*)(%s)\s+(\S+?)\s*;" % "|".join(PATH_DIRECTIVES), path, text)
	out = Path(tmp) / "webserv.conf"
	out.write_text(text)
	return out, ports, uploads


class Webserv:
	"""webserv on the demo configuration; use as a context manager."""

	def __init__(self, binary=None, conf=None):
		self.binary = str(Path(binary or REPO / "webserv").resolve())
		self.conf = conf or REPO / "conf" / "default.conf"
		self.tmp = tempfile.mkdtemp(prefix="webserv-demo-")
		self.proc = None

	def start(self, timeout=10.0):
		if not os.access(self.binary, os.X_OK):
			raise SystemExit("demo.py: %s is missing (make webserv)" % self.binary)
		self.conf_path, self.ports, self.uploads = demo_conf(self.conf, self.tmp)
		main = self.ports.get("8080") or next(iter(self.ports.values()))
		self.port = int(main)
		self.url = "http://127.0.0.1:%d" % self.port
		self.out = open(os.path.join(self.tmp, "stdout.log"), "wb")
		self.err = open(os.path.join(self.tmp, "stderr.log"), "wb")
		self.proc = subprocess.Popen([self.binary, str(self.conf_path)], cwd=self.tmp,
		                             stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.err)
		wait_ready([int(p) for p in self.ports.values()], self.proc, timeout, self.stderr)
		return self

	def stderr(self):
		try:
			return Path(self.tmp, "stderr.log").read_text(errors="replace")
		except OSError:
			return ""

	def stop(self):
		"""SIGTERM by PID, SIGKILL after 5 s. Returns the exit status."""
		status = None
		if self.proc is not None:
			status = stop_pid(self.proc)
			self.proc = None
			self.out.close()
			self.err.close()
		if os.environ.get("CONFORMANCE_KEEP_TMP") != "1":
			shutil.rmtree(self.tmp, ignore_errors=True)
		return status

	def __enter__(self):
		return self.start()

	def __exit__(self, *exc):
		self.stop()


def wait_ready(ports, proc, timeout, stderr=lambda: ""):
	deadline = time.monotonic() + timeout
	for port in ports:
		while True:
			if proc.poll() is not None:
				raise SystemExit("server exited with status %s before it was ready:\n%s"
				                 % (proc.returncode, stderr()[-3000:]))
			try:
				socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
				break
			except OSError:
				pass
			if time.monotonic() > deadline:
				stop_pid(proc)
				raise SystemExit("server not accepting on port %d after %.0fs:\n%s"
				                 % (port, timeout, stderr()[-3000:]))
			time.sleep(0.05)


def stop_pid(proc, grace=5.0):
	if proc.poll() is None:
		os.kill(proc.pid, signal.SIGTERM)
		try:
			proc.wait(timeout=grace)
		except subprocess.TimeoutExpired:
			os.kill(proc.pid, signal.SIGKILL)
			proc.wait()
	return proc.returncode


def main(argv=None):
	ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
	ap.add_argument("command", choices=["run", "conf"])
	ap.add_argument("--bin", default=os.environ.get("WEBSERV_BIN") or str(REPO / "webserv"))
	ap.add_argument("--conf", default=str(REPO / "conf" / "default.conf"))
	argv = list(sys.argv[1:] if argv is None else argv)
	cmd = []
	if "--" in argv:
		i = argv.index("--")
		argv, cmd = argv[:i], argv[i + 1:]
	a = ap.parse_args(argv)
	if a.command == "conf":
		tmp = tempfile.mkdtemp(prefix="webserv-demo-")
		path, ports, _ = demo_conf(a.conf, tmp)
		print(path)
		return 0
	if not cmd:
		ap.error("run: give a command after --")
	srv = Webserv(a.bin, a.conf)
	srv.start()
	sys.stderr.write("demo.py: webserv pid %d on %s\n" % (srv.proc.pid, srv.url))
	status = 1
	try:
		env = dict(os.environ, WEBSERV_URL=srv.url)
		status = subprocess.call([c.replace("{url}", srv.url) for c in cmd], env=env)
	finally:
		code = srv.stop()
		sys.stderr.write("demo.py: webserv stopped (exit status %s)\n" % code)
	if code not in (0, None) and status == 0:
		sys.stderr.write("demo.py: webserv did not exit cleanly\n")
		status = 1
	return status


if __name__ == "__main__":
	sys.exit(main())
