"""The install kit: `make install DESTDIR=... PREFIX=/usr/local` lays out the
binary, the manual pages, the configuration, the default site, the systemd
unit and the logrotate snippet; the installed configuration checks and
serves; the manual pages render without warnings; the unit verifies;
`make uninstall` removes every file again."""

import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

import wsh

REPO = Path(__file__).resolve().parent.parent
PREFIX = "/usr/local"

# Every file `make install` puts under DESTDIR (PREFIX=/usr/local), with
# its mode.
FILES = {
	"usr/local/sbin/webserv": 0o755,
	"usr/local/share/man/man8/webserv.8": 0o644,
	"usr/local/share/man/man5/webserv.conf.5": 0o644,
	"usr/local/etc/webserv/webserv.conf": 0o644,
	"usr/local/etc/webserv/mime.types": 0o644,
	"usr/local/share/webserv/www/index.html": 0o644,
	"usr/local/share/webserv/www/style.css": 0o644,
	"usr/local/share/webserv/www/errors/404.html": 0o644,
	"usr/local/share/webserv/www/errors/50x.html": 0o644,
	"usr/local/lib/systemd/system/webserv.service": 0o644,
	"etc/logrotate.d/webserv": 0o644,
}
# Directories that belong to webserv alone (uninstall removes them).
OWN_DIRS = [
	"usr/local/etc/webserv",
	"usr/local/share/webserv",
	"usr/local/share/webserv/www",
	"usr/local/share/webserv/www/errors",
	"usr/local/var/log/webserv",
	"usr/local/var/lib/webserv",
	"usr/local/var/lib/webserv/uploads",
]
CONF = "usr/local/etc/webserv/webserv.conf"
UNIT = "usr/local/lib/systemd/system/webserv.service"
LOGROTATE = "etc/logrotate.d/webserv"
LOGDIR = "usr/local/var/log/webserv"


def _make(target, destdir, *extra):
	env = {k: v for k, v in os.environ.items()
	       if k not in ("PREFIX", "DESTDIR", "SBINDIR", "SYSCONFDIR", "DATADIR",
	                    "MANDIR", "LOCALSTATEDIR", "SYSTEMDUNITDIR", "LOGROTATEDIR",
	                    "LOGDIR", "STATEDIR", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
	return subprocess.run(["make", "-C", str(REPO), target, "DESTDIR=%s" % destdir,
	                       "PREFIX=%s" % PREFIX] + list(extra),
	                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
	                      env=env, text=True, timeout=300)


def _files_under(root):
	"""Every non-directory below root, as paths relative to it."""
	out = set()
	for dirpath, _dirs, files in os.walk(root):
		for f in files:
			out.add(os.path.relpath(os.path.join(dirpath, f), root))
	return out


def _install(destdir):
	r = _make("install", destdir)
	assert r.returncode == 0, "make install failed:\n" + r.stdout[-4000:]
	return r


@pytest.fixture(scope="module")
def dest():
	d = tempfile.mkdtemp(prefix="webserv-install-")
	try:
		_install(d)
		yield Path(d)
	finally:
		shutil.rmtree(d, ignore_errors=True)


# -- the tree ----------------------------------------------------------------

def test_install_lays_out_exactly_the_kit(dest):
	assert _files_under(dest) == set(FILES), \
		"installed files differ from the kit: extra %s, missing %s" % (
			sorted(_files_under(dest) - set(FILES)), sorted(set(FILES) - _files_under(dest)))
	for rel, mode in FILES.items():
		st = (dest / rel).stat()
		assert stat.S_ISREG(st.st_mode), rel
		assert stat.S_IMODE(st.st_mode) == mode, "%s: mode %o, expected %o" % (
			rel, stat.S_IMODE(st.st_mode), mode)
	for rel in OWN_DIRS:
		assert (dest / rel).is_dir(), "directory %s not created" % rel


def test_installed_binary_is_the_built_one(dest):
	assert (dest / "usr/local/sbin/webserv").read_bytes() == (REPO / "webserv").read_bytes()
	r = subprocess.run([str(dest / "usr/local/sbin/webserv"), "-v"],
	                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=10)
	assert r.returncode == 0 and r.stdout.startswith("webserv/"), (r.stdout, r.stderr)


def test_no_placeholder_left_and_paths_filled_in(dest):
	for rel in FILES:
		if rel.endswith("sbin/webserv"):
			continue
		text = (dest / rel).read_text()
		left = re.findall(r"@[A-Z_]+@", text)
		assert not left, "%s still holds %s" % (rel, left)
	page = (dest / "usr/local/share/man/man8/webserv.8").read_text()
	assert "/usr/local/etc/webserv/webserv.conf" in page
	assert "/usr/local/lib/systemd/system/webserv.service" in page
	assert str(dest) not in page, "DESTDIR leaked into an installed file"
	assert str(dest) not in (dest / UNIT).read_text()
	assert str(dest) not in (dest / CONF).read_text()


def test_mime_types_is_the_shipped_table(dest):
	assert (dest / "usr/local/etc/webserv/mime.types").read_bytes() == \
		(REPO / "conf/mime.types").read_bytes()


# -- the configuration ------------------------------------------------------

def test_installed_config_passes_t(dest):
	conf = dest / CONF
	r = subprocess.run([str(dest / "usr/local/sbin/webserv"), "-t", str(conf)],
	                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=10)
	assert r.returncode == 0, r.stderr
	assert r.stderr.strip() == "webserv: %s: syntax is ok" % conf


def test_installed_config_points_into_the_installed_layout(dest):
	text = (dest / CONF).read_text()
	directives = [ln.strip() for ln in text.splitlines()
	              if ln.strip() and not ln.strip().startswith("#")]
	assert "include mime.types;" in directives
	assert "root ../../share/webserv/www;" in directives
	assert "access_log ../../var/log/webserv/access.log;" in directives
	assert "error_log ../../var/log/webserv/error.log;" in directives


def test_commented_upload_location_is_valid_when_enabled(dest):
	"""The upload block shipped commented out checks once uncommented, and
	its store is the installed (empty) directory."""
	text = (dest / CONF).read_text()
	enabled = re.sub(r"(?m)^\t#(\t|location|})", r"\t\1", text)
	assert "upload_store ../../var/lib/webserv/uploads;" in enabled
	assert enabled != text
	probe = dest / "usr/local/etc/webserv/probe-uploads.conf"
	probe.write_text(enabled)
	try:
		r = subprocess.run([str(dest / "usr/local/sbin/webserv"), "-t", str(probe)],
		                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
		                   timeout=10)
		assert r.returncode == 0, r.stderr
	finally:
		probe.unlink()


def test_installed_site_serves_and_logs(dest):
	"""The installed configuration, on a free port instead of 80, serves the
	default page and the custom 404 page and writes the access log into the
	installed log directory."""
	port = wsh.free_port()
	text = (dest / CONF).read_text()
	assert "\tlisten 80;\n" in text
	conf = dest / "usr/local/etc/webserv/probe-serve.conf"
	conf.write_text(text.replace("\tlisten 80;\n", "\tlisten 127.0.0.1:%d;\n" % port))
	logdir = dest / LOGDIR
	proc = subprocess.Popen([str(dest / "usr/local/sbin/webserv"), str(conf)],
	                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
	                        stderr=subprocess.PIPE, cwd="/")
	try:
		deadline = time.monotonic() + wsh.T(10)
		while True:
			assert proc.poll() is None, "webserv exited: %s" % proc.stderr.read()
			try:
				socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
				break
			except OSError:
				assert time.monotonic() < deadline, "webserv not ready"
				time.sleep(0.05)
		s = requests.Session()
		s.trust_env = False
		r = s.get("http://127.0.0.1:%d/" % port, timeout=wsh.T(5))
		assert r.status_code == 200
		assert "webserv is running" in r.text
		assert r.headers["Content-Type"].startswith("text/html")
		r = s.get("http://127.0.0.1:%d/style.css" % port, timeout=wsh.T(5))
		assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/css")
		r = s.get("http://127.0.0.1:%d/no-such-page" % port, timeout=wsh.T(5))
		assert r.status_code == 404
		assert "nothing here" in r.text, "the installed 404 page was not used"
		s.close()
	finally:
		if proc.poll() is None:
			os.kill(proc.pid, signal.SIGTERM)
		try:
			rc = proc.wait(timeout=wsh.T(5))
		except subprocess.TimeoutExpired:
			os.kill(proc.pid, signal.SIGKILL)
			proc.wait()
			rc = None
		proc.stderr.close()
		conf.unlink()
	try:
		assert rc == 0, "webserv did not exit 0 after SIGTERM (%r)" % rc
		log = (logdir / "access.log").read_text()
		assert '"GET / HTTP/1.1" 200' in log
		assert '"GET /no-such-page HTTP/1.1" 404' in log
	finally:
		for f in logdir.iterdir():
			f.unlink()


# -- manual pages -----------------------------------------------------------

@pytest.mark.parametrize("rel,title", [
	("usr/local/share/man/man8/webserv.8", "WEBSERV(8)"),
	("usr/local/share/man/man5/webserv.conf.5", "WEBSERV.CONF(5)"),
])
def test_man_page_renders_without_warnings(dest, rel, title):
	page = dest / rel
	env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
	env.pop("MANPAGER", None)
	env.pop("PAGER", None)
	r = subprocess.run(["man", "--warnings", "-l", str(page)], stdout=subprocess.PIPE,
	                   stderr=subprocess.PIPE, env=env, text=True, timeout=60)
	assert r.returncode == 0, r.stderr
	assert r.stderr == "", "man reported:\n" + r.stderr
	out = r.stdout
	assert out.startswith(title), out[:200]
	for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "FILES", "SEE ALSO"):
		assert re.search(r"(?m)^%s$" % section, out), "no %s section" % section
	for line in out.splitlines():
		assert len(line) <= 80, "line wider than MANWIDTH: %r" % line
	r = subprocess.run(["groff", "-ww", "-man", "-z", str(page)], stdout=subprocess.PIPE,
	                   stderr=subprocess.PIPE, text=True, timeout=60)
	assert r.returncode == 0 and r.stderr == "", "groff reported:\n" + r.stderr


def test_man_pages_document_every_option_and_directive(dest):
	env = dict(os.environ, MANWIDTH="200", LC_ALL="C.UTF-8")
	def render(rel):
		return subprocess.run(["man", "-l", str(dest / rel)], stdout=subprocess.PIPE,
		                      env=env, text=True, timeout=60).stdout
	eight = render("usr/local/share/man/man8/webserv.8")
	for word in ("-t", "-h", "-v", "SIGINT", "SIGTERM", "SIGHUP", "SIGUSR1",
	             "EXIT STATUS"):
		assert word in eight, word
	five = render("usr/local/share/man/man5/webserv.conf.5")
	readme = (REPO / "README.md").read_text()
	ref = readme[readme.index("## Configuration reference"):readme.index("## HTTP behaviour")]
	names = set(re.findall(r"(?m)^\| `([a-z_]+)", ref))
	assert len(names) > 20, names
	for name in sorted(names):
		assert re.search(r"(?m)^\s+%s\b" % name, five), \
			"directive %s of the README is not described in webserv.conf(5)" % name


# -- systemd and logrotate --------------------------------------------------

def test_unit_has_the_service_settings(dest):
	lines = set((dest / UNIT).read_text().splitlines())
	for want in ("Type=simple",
	             "ExecStart=/usr/local/sbin/webserv /usr/local/etc/webserv/webserv.conf",
	             "ExecReload=/bin/kill -HUP $MAINPID",
	             "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
	             "ReadWritePaths=/usr/local/var/log/webserv /usr/local/var/lib/webserv"):
		assert want in lines, "unit lacks %r" % want


def test_unit_verifies():
	tool = shutil.which("systemd-analyze")
	if tool is None:
		pytest.skip("systemd-analyze is not installed (package systemd); "
		            "the unit's settings are still checked by test_unit_has_the_service_settings")
	d = tempfile.mkdtemp(prefix="webserv-unit-")
	try:
		_install(d)
		# The unit names the final binary path; verify a copy that points at
		# the staged binary, with the staged manual pages on MANPATH so the
		# Documentation= lines resolve too.
		unit = (Path(d) / UNIT).read_text()
		staged = Path(d) / "check"
		staged.mkdir()
		(staged / "webserv.service").write_text(
			unit.replace("/usr/local/sbin/webserv", "%s/usr/local/sbin/webserv" % d))
		env = dict(os.environ, MANPATH="%s/usr/local/share/man" % d)
		r = subprocess.run([tool, "verify", str(staged / "webserv.service")],
		                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
		                   text=True, timeout=120)
		assert r.returncode == 0 and r.stdout.strip() == "", \
			"systemd-analyze verify reported:\n" + r.stdout
	finally:
		shutil.rmtree(d, ignore_errors=True)


def test_logrotate_snippet_signals_usr1(dest):
	text = (dest / LOGROTATE).read_text()
	assert text.startswith("#") and "/usr/local/var/log/webserv/*.log {" in text
	post = text[text.index("postrotate"):text.index("endscript")]
	assert "kill -USR1" in post
	# The pid is checked before kill: `kill -USR1 0` would signal logrotate's
	# own process group.
	assert '"${pid:-0}" -gt 0' in post


# -- uninstall -------------------------------------------------------------

def test_uninstall_removes_every_installed_file():
	d = tempfile.mkdtemp(prefix="webserv-uninstall-")
	try:
		_install(d)
		assert _files_under(d) == set(FILES)
		r = _make("uninstall", d)
		assert r.returncode == 0, r.stdout[-4000:]
		assert _files_under(d) == set(), "left behind: %s" % sorted(_files_under(d))
		for rel in OWN_DIRS:
			assert not (Path(d) / rel).exists(), "directory %s left behind" % rel
		# A second uninstall finds nothing to do and does not fail.
		r = _make("uninstall", d)
		assert r.returncode == 0, r.stdout[-4000:]
	finally:
		shutil.rmtree(d, ignore_errors=True)


def test_edited_config_and_logs_survive_reinstall_and_uninstall():
	d = tempfile.mkdtemp(prefix="webserv-uninstall-")
	try:
		_install(d)
		conf = Path(d) / CONF
		edited = conf.read_text().replace("server_name localhost;", "server_name example.org;")
		conf.write_text(edited)
		log = Path(d) / LOGDIR / "access.log"
		log.write_text("a line\n")
		r = _install(d)
		assert "kept the existing" in r.stdout
		assert conf.read_text() == edited, "make install overwrote an edited configuration"
		r = _make("uninstall", d)
		assert r.returncode == 0, r.stdout[-4000:]
		assert _files_under(d) == {CONF, LOGDIR + "/access.log"}, sorted(_files_under(d))
		assert conf.read_text() == edited
		assert "kept %s/%s" % (d, CONF) in r.stdout
	finally:
		shutil.rmtree(d, ignore_errors=True)


def test_relative_prefix_is_refused():
	d = tempfile.mkdtemp(prefix="webserv-install-")
	try:
		r = _make("install", d, "LOCALSTATEDIR=var")
		assert r.returncode != 0
		assert "LOCALSTATEDIR must be an absolute path" in r.stdout
		assert _files_under(d) == set()
	finally:
		shutil.rmtree(d, ignore_errors=True)
