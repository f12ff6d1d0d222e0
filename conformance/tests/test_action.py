"""The composite action's script (conformance/action.sh) run directly,
against webserv on the demo site and against nginx with the equivalent
configuration: exit status, report files, job summary, output, and the
same totals as `make conformance CONFORMANCE_TARGET=...` (run.py target).

Run by `make action-test` (part of `make ci`); nginx comes from
`make conformance-deps`.
"""

import json
import os
import subprocess
import sys
from pathlib import Path


HERE = Path(__file__).resolve().parents[1]
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "pytests"))
import demo  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402

PY = "/usr/bin/python3"
BIN = os.environ.get("WEBSERV_BIN") or str(REPO / "webserv")
NGINX_PATHS = {"get": "/files/readme.txt", "listing": "/files/", "redirect": "/old-page",
               "post": "none"}


def action(tmp, url, paths=None, fail_on="MUST"):
	env = dict(os.environ, CONFORMANCE_TARGET=url, CONFORMANCE_OUT=str(tmp / "report"),
	           GITHUB_OUTPUT=str(tmp / "github_output"),
	           GITHUB_STEP_SUMMARY=str(tmp / "summary.md"), CONFORMANCE_FAIL_ON=fail_on,
	           PYTHON=PY)
	for k, v in (paths or {}).items():
		env["CONFORMANCE_%s_PATH" % k.upper()] = v
	p = subprocess.run(["bash", str(HERE / "action.sh")], env=env, cwd=str(tmp),
	                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
	return p.returncode, p.stdout


def make_target(tmp, url, paths=None):
	"""What `make conformance CONFORMANCE_TARGET=url CONFORMANCE_ARGS=...` runs."""
	args = ["--%s-path %s" % (k, v) for k, v in (paths or {}).items()]
	p = subprocess.run(["make", "-s", "conformance", "CONFORMANCE_TARGET=" + url,
	                    "CONFORMANCE_OUT=" + str(tmp / "make"),
	                    "CONFORMANCE_ARGS=" + " ".join(args)],
	                   cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
	                   timeout=900)
	assert p.returncode == 0, p.stdout[-3000:]
	return tmp / "make"


def totals(out):
	with open(out / "results.json", encoding="utf-8") as f:
		tests = json.load(f)["tests"]
	reqs = report.load_requirements(str(HERE / "requirements.tsv"))
	report.assign(reqs, tests)
	return report.totals(reqs, run.HIDDEN)


def check_outputs(tmp):
	rep = tmp / "report"
	for name in ("REPORT.md", "report.html", "results.json"):
		assert (rep / name).is_file(), name
	assert (tmp / "github_output").read_text().strip() == "report-dir=%s" % rep
	summary = (tmp / "summary.md").read_text()
	assert "| MUST |" in summary and "### RFC conformance" in summary
	return summary


def test_action_against_webserv(tmp_path):
	with demo.Webserv(BIN) as srv:
		rc, log = action(tmp_path, srv.url)
		assert rc == 0, log[-3000:]
		check_outputs(tmp_path)
		made = make_target(tmp_path, srv.url)
	assert totals(tmp_path / "report") == totals(made)


def test_action_against_nginx(tmp_path):
	binary = run.Nginx.find()
	assert binary, "nginx is not installed (make conformance-deps)"
	srv = run.Nginx(binary)
	srv.start()
	try:
		rc, log = action(tmp_path, srv.url, NGINX_PATHS)
		made = make_target(tmp_path, srv.url, NGINX_PATHS)
	finally:
		srv.stop()
	assert rc == 1, "nginx fails MUST rows, the action must fail the job:\n" + log[-3000:]
	summary = check_outputs(tmp_path)
	assert "Failing requirements:" in summary
	assert totals(tmp_path / "report") == totals(made)
	t = totals(made)
	assert t["MUST"]["fail"] > 0 and t["MUST"]["pass"] > 0


def test_action_dead_port_exits_2(tmp_path):
	port = demo.free_port()
	rc, log = action(tmp_path, "http://127.0.0.1:%d" % port)
	assert rc == 2, log
	assert "nothing accepts connections" in log
	assert not (tmp_path / "report" / "REPORT.md").exists()
	assert not (tmp_path / "github_output").exists()


def test_action_missing_fixture_exits_2(tmp_path):
	with demo.Webserv(BIN) as srv:
		rc, log = action(tmp_path, srv.url, {"get": "/no-such-fixture.txt"})
	assert rc == 2, log
	assert "--get-path /no-such-fixture.txt" in log
	assert not (tmp_path / "report" / "REPORT.md").exists()
