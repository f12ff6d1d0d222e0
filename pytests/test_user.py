"""`user NAME [GROUP];`: giving up root after start-up, and CGI never as
root unless `cgi_allow_root on;`.

The privilege tests need root (the suite runs as root on the test machines
and in CI); without it they are skipped, saying so. Their files live in a
temp dir that the user `nobody` may enter (pytest's own temp dirs are
private to root)."""

import os
import pwd
import grp
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path

import pytest

import conftest
import wsh

ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="dropping privileges needs webserv started "
                                "as root; this suite runs as uid %d" % os.geteuid())

NOBODY = pwd.getpwnam("nobody")
NOGROUP = grp.getgrnam("nogroup").gr_gid
SETPRIV = shutil.which("setpriv") or "/usr/bin/setpriv"

ID_PY = b"""import os, sys
sys.stdout.write("Content-Type: text/plain\\r\\n\\r\\n")
sys.stdout.write("uid=%d euid=%d gid=%d egid=%d\\n" % (os.getuid(), os.geteuid(), os.getgid(), os.getegid()))
"""

SITE = {"index.html": "home page\n", "cgi/id.py": ID_PY}

CONF = """
{head}
pid {tmp}/webserv.pid;
server {
    listen 127.0.0.1:{port};
    root {root};
    location /cgi/ {
        allow_methods GET HEAD POST;
        cgi .py /usr/bin/python3;
    }
    location /up/ {
        allow_methods GET PUT POST DELETE;
        upload_store {tmp}/store;
        alias {tmp}/store/;
    }
}
"""


def conf(head):
	return CONF.replace("{head}", head)


@pytest.fixture
def open_tmp():
	"""Factory: a fresh temp dir that `nobody` may enter and read."""
	made = []

	def make():
		d = Path(tempfile.mkdtemp(prefix="webserv-user-"))
		d.chmod(0o755)
		made.append(d)
		return d

	yield make
	for d in made:
		shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def user_server(webserv_bin, open_tmp):
	"""Factory: user_server(conf, files=..., user=None) starts webserv on
	an open temp dir (as root, or as `user` when given) and stops it at
	teardown; the upload store {tmp}/store belongs to nobody."""
	started = []

	def start(text, files=SITE, user=None, wait=True, dirs=None, log=None):
		tmp = open_tmp()
		store = tmp / "store"
		store.mkdir()
		os.chown(store, NOBODY.pw_uid, NOGROUP)
		old = os.umask(0o022)
		try:
			env = conftest.Env(tmp, text, files=files, dirs=dirs)
		finally:
			os.umask(old)
		if user is not None:
			os.chown(tmp, user, -1)
		if user is None:
			srv = conftest.Server(env, webserv_bin)
		else:
			# setpriv execs webserv in its own process: the pid stays.
			srv = conftest.Server(env, SETPRIV, args=[
				"--reuid=%d" % user, "--regid=%d" % NOGROUP, "--clear-groups",
				webserv_bin, str(env.conf_path)])
		started.append(srv)
		if wait:
			srv.wait_ready()
			# The switch comes after the bind: the loop's first line.
			assert wait_log(srv, "ready, ", path=log and tmp / log), srv.stderr_text()
		return srv

	yield start
	problems = []
	for srv in started:
		problems += srv.stop()
	if problems:
		pytest.fail("\n".join(problems), pytrace=False)


def status_ids(pid):
	"""The Uid, Gid and Groups lines of /proc/PID/status."""
	out = {}
	for line in Path("/proc/%d/status" % pid).read_text().splitlines():
		key, _, val = line.partition(":")
		if key in ("Uid", "Gid", "Groups"):
			out[key] = [int(x) for x in val.split()]
	return out


def read(path):
	try:
		return Path(path).read_text(errors="replace")
	except OSError:
		return ""


def wait_log(srv, text, timeout=5.0, path=None):
	"""Wait for text in the server's stderr (or in the file at path)."""
	deadline = time.monotonic() + wsh.T(timeout)
	while text not in (read(path) if path else srv.stderr_text()):
		if time.monotonic() > deadline:
			return False
		time.sleep(0.05)
	return True


@needs_root
def test_drops_to_nobody_after_binding(user_server):
	srv = user_server(conf("user nobody nogroup;"))
	ids = status_ids(srv.pid)
	assert ids["Uid"] == [NOBODY.pw_uid] * 4, ids
	assert ids["Gid"] == [NOGROUP] * 4, ids
	assert set(ids["Groups"]) <= {NOGROUP}, ids
	r = srv.get("/")
	assert r.status_code == 200 and r.text == "home page\n"
	# The pid file was written before the switch.
	assert (srv.tmp / "webserv.pid").read_text().strip() == str(srv.pid)
	# The store belongs to nobody: nothing to warn about.
	assert "not writable" not in srv.stderr_text()


@needs_root
def test_start_warns_about_what_the_user_cannot_write(user_server):
	srv = user_server(conf("user nobody nogroup;"))
	assert "not writable" not in srv.stderr_text()
	srv2 = user_server(conf("user nobody nogroup;").replace("upload_store {tmp}/store;",
	                                                         "upload_store {tmp};"))
	assert 'warning: upload_store "%s" is not writable by user "nobody": Permission denied' \
		% srv2.tmp in srv2.stderr_text()
	r = srv2.http("PUT", "/up/a.txt", data=b"x")
	assert r.status_code in (403, 500), r.status_code


@needs_root
def test_logs_are_handed_to_the_user_and_reopened(user_server):
	text = conf("user nobody nogroup;\nerror_log {tmp}/logs/error.log;\n"
	            "access_log {tmp}/logs/access.log;")
	srv = user_server(text, dirs=["logs"], log="logs/error.log")
	logs = srv.tmp / "logs"
	for name in ("error.log", "access.log"):
		assert os.stat(logs / name).st_uid == NOBODY.pw_uid, name
	# The directory is root's: a start warns nothing (the files exist), and
	# a reopen in place works.
	assert "not writable" not in read(logs / "error.log")
	assert srv.get("/").status_code == 200
	os.kill(srv.pid, signal.SIGUSR1)
	assert wait_log(srv, "logs reopened", path=logs / "error.log")
	assert "cannot reopen" not in read(logs / "error.log")
	# Rotated away: a new file needs a directory the user may write.
	os.chown(logs, NOBODY.pw_uid, -1)
	(logs / "access.log").rename(logs / "access.log.1")
	os.kill(srv.pid, signal.SIGUSR1)
	assert wait_log(srv, "logs reopened", path=logs / "error.log")
	assert srv.get("/").status_code == 200
	assert wait_log(srv, '"GET / HTTP/1.1" 200', path=logs / "access.log")
	assert os.stat(logs / "access.log").st_uid == NOBODY.pw_uid


@needs_root
def test_logs_planted_as_links_are_not_handed_over(webserv_bin, open_tmp):
	"""Only a plain root-owned file is given to the user: a symbolic or
	hard link in the log directory keeps its target's owner."""
	other = open_tmp()
	secret = other / "secret"
	secret.write_text("root's\n")
	hard = other / "hard"
	hard.write_text("root's too\n")
	tmp = open_tmp()
	(tmp / "store").mkdir()
	env = conftest.Env(tmp, conf("user nobody nogroup;\nerror_log {tmp}/logs/error.log;\n"
	                             "access_log {tmp}/logs/access.log;"),
	                   files=SITE, dirs=["logs"])
	(tmp / "logs" / "access.log").symlink_to(secret)
	os.link(hard, tmp / "logs" / "error.log")
	srv = conftest.Server(env, webserv_bin)
	try:
		srv.wait_ready()
		assert wait_log(srv, "ready, ", path=tmp / "logs" / "error.log")
		assert status_ids(srv.pid)["Uid"] == [NOBODY.pw_uid] * 4
	finally:
		problems = srv.stop()
	assert not problems, problems
	assert os.stat(secret).st_uid == 0
	assert os.stat(hard).st_uid == 0


@needs_root
def test_t_warns_about_what_the_user_cannot_write(run_bin, open_tmp):
	tmp = open_tmp()
	(tmp / "store").mkdir()
	(tmp / "logs").mkdir()
	path = tmp / "t.conf"
	path.write_text("user nobody nogroup;\nerror_log logs/error.log;\nserver {\n"
	                " listen 127.0.0.1:%d;\n root %s;\n location /up/ {\n"
	                "  upload_store store;\n }\n}\n" % (wsh.free_port(), tmp))
	r = run_bin("-t", path)
	assert r.returncode == 0, r.stderr
	assert 'webserv: warning: upload_store "%s/store" is not writable by user "nobody": ' \
	       'Permission denied' % tmp in r.stderr
	assert r.stderr.strip().endswith("syntax is ok")
	# The log -t created is the user's, as a start leaves it.
	assert os.stat(tmp / "logs" / "error.log").st_uid == NOBODY.pw_uid
	os.chown(tmp / "store", NOBODY.pw_uid, -1)
	r = run_bin("-t", path)
	assert r.returncode == 0 and "warning" not in r.stderr, r.stderr


@needs_root
def test_group_defaults_to_the_users_primary_group(user_server):
	srv = user_server(conf("user nobody;"))
	ids = status_ids(srv.pid)
	assert ids["Uid"] == [NOBODY.pw_uid] * 4, ids
	assert ids["Gid"] == [NOBODY.pw_gid] * 4, ids


@needs_root
def test_cgi_runs_as_the_user(user_server):
	srv = user_server(conf("user nobody nogroup;"))
	r = srv.get("/cgi/id.py")
	assert r.status_code == 200, r.text
	assert r.text.strip() == "uid=%d euid=%d gid=%d egid=%d" % (
		NOBODY.pw_uid, NOBODY.pw_uid, NOGROUP, NOGROUP)


@needs_root
def test_uploads_work_after_the_switch(user_server):
	"""Stores are written by the user (and through /proc/self/fd, which a
	set-id process must still be allowed to use)."""
	srv = user_server(conf("user nobody nogroup;"))
	r = srv.http("PUT", "/up/a.txt", data=b"stored by nobody\n")
	assert r.status_code == 201, r.text
	st = os.stat(srv.tmp / "store" / "a.txt")
	assert st.st_uid == NOBODY.pw_uid
	assert srv.get("/up/a.txt").content == b"stored by nobody\n"


@needs_root
def test_cgi_refused_as_root_without_user(user_server):
	srv = user_server(conf("cgi_allow_root off;"))
	assert "CGI requests are refused" in srv.stderr_text()
	r = srv.get("/cgi/id.py")
	assert r.status_code == 500
	assert "<html" in r.text.lower()
	assert wait_log(srv, "refused to run as root")
	# Everything else is served.
	assert srv.get("/").status_code == 200
	# A body is not fed to anything either.
	r = srv.post("/cgi/id.py", data=b"x" * 1000)
	assert r.status_code == 500


@needs_root
def test_cgi_as_root_when_allowed(user_server):
	srv = user_server(conf("cgi_allow_root on;"))
	r = srv.get("/cgi/id.py")
	assert r.status_code == 200, r.text
	assert r.text.startswith("uid=0 euid=0 ")


@needs_root
def test_reload_cannot_bind_a_privileged_port_after_the_switch(user_server):
	srv = user_server(conf("user nobody nogroup;"))
	low = None
	for p in range(1000, 1020):
		s = socket.socket()
		try:
			s.bind(("127.0.0.1", p))
			low = p
			break
		except OSError:
			continue
		finally:
			s.close()
	if low is None:
		pytest.skip("no free port below 1024 to try")
	text = srv.conf_path.read_text().replace(
		"listen 127.0.0.1:%d;" % srv.port,
		"listen 127.0.0.1:%d;\n    listen 127.0.0.1:%d;" % (srv.port, low))
	srv.conf_path.write_text(text)
	os.kill(srv.pid, signal.SIGHUP)
	assert wait_log(srv, "reload failed, configuration kept: cannot listen on 127.0.0.1:%d: "
	                "Permission denied" % low), srv.stderr_text()
	assert srv.get("/").status_code == 200
	with pytest.raises(OSError):
		socket.create_connection(("127.0.0.1", low), timeout=1).close()


@needs_root
def test_reload_keeps_the_user(user_server):
	srv = user_server(conf("user nobody nogroup;"))
	srv.conf_path.write_text(srv.conf_path.read_text().replace(
		"user nobody nogroup;", "user root;"))
	os.kill(srv.pid, signal.SIGHUP)
	assert wait_log(srv, "configuration reloaded")
	assert "takes effect only at start-up" in srv.stderr_text()
	assert status_ids(srv.pid)["Uid"] == [NOBODY.pw_uid] * 4


@needs_root
@pytest.mark.skipif(not os.path.exists(SETPRIV), reason="needs setpriv (util-linux) to "
                    "start webserv as another user")
def test_user_ignored_when_not_started_as_root(user_server):
	"""Started as nobody: `user` is a warning, not an error (nginx)."""
	srv = user_server(conf("user daemon;"), user=NOBODY.pw_uid)
	assert status_ids(srv.pid)["Uid"] == [NOBODY.pw_uid] * 4
	assert 'the "user" directive makes sense only when started as root, ignored in ' \
	       '%s:2' % srv.conf_path in srv.stderr_text()
	assert srv.get("/").status_code == 200
	# Not root: CGI needs no permission.
	r = srv.get("/cgi/id.py")
	assert r.status_code == 200 and r.text.startswith("uid=%d " % NOBODY.pw_uid)


@pytest.mark.parametrize("line,word,what", [
	("user nosuchuser-4711;", "nosuchuser-4711", "user"),
	("user nobody nosuchgroup-4711;", "nosuchgroup-4711", "group"),
])
def test_t_names_the_unknown_user_or_group(run_bin, make_env, line, word, what):
	env = make_env("error_log stderr;\n%s\nserver {\n listen 127.0.0.1:{port};\n}\n" % line)
	r = run_bin("-t", env.conf_path)
	assert r.returncode == 1
	lineno = env.conf_text.splitlines().index(line) + 1
	assert r.stderr.strip().splitlines()[-1] == 'webserv: %s:%d: unknown %s "%s"' % (
		env.conf_path, lineno, what, word), r.stderr


@pytest.mark.parametrize("text,msg", [
	("user;", 'invalid number of arguments in "user" directive'),
	("user a b c;", 'invalid number of arguments in "user" directive'),
	("user \"\";", 'invalid value "" in "user" directive'),
	("cgi_allow_root yes;", 'invalid value "yes" in "cgi_allow_root" directive, '
	                       'it must be "on" or "off"'),
	("server { user nobody; }", '"user" directive is not allowed here'),
	("user nobody;\nuser nobody;", '"user" directive is duplicate'),
])
def test_bad_user_lines(run_bin, make_env, text, msg):
	env = make_env(text + "\nserver {\n listen 127.0.0.1:{port};\n}\n")
	r = run_bin("-t", env.conf_path)
	assert r.returncode == 1
	assert r.stderr.strip().endswith(msg), r.stderr
	assert "webserv: %s:" % env.conf_path in r.stderr


def test_t_accepts_a_known_user(run_bin, make_env):
	env = make_env("user nobody nogroup;\nserver {\n listen 127.0.0.1:{port};\n}\n")
	r = run_bin("-t", env.conf_path)
	assert r.returncode == 0, r.stderr
	assert r.stderr.strip().endswith("syntax is ok")
