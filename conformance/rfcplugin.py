"""pytest plugin: record every test's `rfc` markers and outcome as JSON.

Load it with `-p rfcplugin` (PYTHONPATH holding this directory):

  --rfc-results PATH   where to write the JSON (default: env
                       CONFORMANCE_RESULTS, else conformance-results.json)
  --rfc-suite NAME     a label stored with every test (e.g. pytests, blackbox)
  --rfc-skip-all WHY   skip every collected test with this reason (the
                       tests are still recorded, as skipped)

Marker: @pytest.mark.rfc("9112", "6.1", "MUST") — RFC number, section,
requirement level. A test may carry several. The JSON holds, per test:
nodeid, file, name (function name without parameters), outcome (passed,
failed, error, skipped, xfailed, xpassed), markers, message, duration.

Marker: @pytest.mark.sends(data, rule[, expect]) — a request smuggling or
desync case: the exact bytes it sends (HOST stands for the target's
authority), the rule it checks and the accepted outcomes; recorded as
sends, rule and expect.
"""

import json
import os
import time

import pytest

LEVELS = ("MUST", "SHOULD", "MAY")


def pytest_addoption(parser):
	g = parser.getgroup("rfc", "RFC conformance results")
	g.addoption("--rfc-results", default=None, help="write test outcomes and rfc markers here")
	g.addoption("--rfc-suite", default="", help="label of this run")
	g.addoption("--rfc-skip-all", default=None, metavar="REASON",
	            help="skip (and record as skipped) every collected test")


def pytest_configure(config):
	config.addinivalue_line("markers", "rfc(rfc, section, level): the protocol rule the test checks")
	config._rfc_recorder = Recorder(config)
	config.pluginmanager.register(config._rfc_recorder, "rfc-recorder")


def _marker_args(m):
	args = list(m.args) + [None] * 3
	rfc = str(m.kwargs.get("rfc", args[0]) or "")
	section = str(m.kwargs.get("section", args[1]) or "")
	level = str(m.kwargs.get("level", args[2]) or "").upper()
	return {"rfc": rfc, "section": section, "level": level}


class Recorder:
	def __init__(self, config):
		self.config = config
		self.items = {}
		self.order = []
		self.started = time.time()

	@pytest.hookimpl(trylast=True)
	def pytest_collection_modifyitems(self, session, config, items):
		why = config.getoption("--rfc-skip-all")
		for item in items:
			if why:
				item.add_marker(pytest.mark.skip(reason=why))
			marks = [_marker_args(m) for m in item.iter_markers("rfc")]
			sends = item.get_closest_marker("sends")
			path = str(getattr(item, "path", item.fspath))
			try:
				rel = os.path.relpath(path, str(config.rootpath))
			except ValueError:
				rel = path
			self.items[item.nodeid] = {
				"nodeid": item.nodeid,
				"file": os.path.basename(path),
				"path": rel,
				"name": getattr(item, "originalname", None) or item.name.split("[")[0],
				"markers": marks,
				"outcome": None,
				"message": "",
				"duration": 0.0,
			}
			if sends is not None and len(sends.args) >= 2:
				data = sends.args[0]
				if isinstance(data, bytes):
					data = data.decode("latin-1")
				self.items[item.nodeid]["sends"] = data
				self.items[item.nodeid]["rule"] = str(sends.args[1])
				if len(sends.args) > 2:
					self.items[item.nodeid]["expect"] = str(sends.args[2])
			self.order.append(item.nodeid)

	def pytest_runtest_logreport(self, report):
		rec = self.items.get(report.nodeid)
		if rec is None:
			return
		rec["duration"] += getattr(report, "duration", 0.0) or 0.0
		xfail = hasattr(report, "wasxfail")
		if report.when == "call":
			if xfail:
				rec["outcome"] = "xfailed" if report.skipped else "xpassed"
			elif report.passed:
				rec["outcome"] = rec["outcome"] or "passed"
			elif report.failed:
				rec["outcome"] = "failed"
			elif report.skipped:
				rec["outcome"] = "skipped"
		elif report.failed:
			# an error in setup or teardown (a fixture, or the server's health
			# check after the test) fails the test
			if rec["outcome"] in (None, "passed"):
				rec["outcome"] = "error" if report.when == "setup" else "failed"
		elif report.skipped and report.when == "setup":
			rec["outcome"] = "xfailed" if xfail else "skipped"
		if report.failed or (report.skipped and not rec["message"]):
			rec["message"] = _short(report)

	def pytest_sessionfinish(self, session, exitstatus):
		path = (self.config.getoption("--rfc-results") or os.environ.get("CONFORMANCE_RESULTS")
		        or "conformance-results.json")
		tests = []
		for nodeid in self.order:
			rec = self.items[nodeid]
			if rec["outcome"] is None:
				rec["outcome"] = "notrun"
			rec["suite"] = self.config.getoption("--rfc-suite")
			tests.append(rec)
		out = {
			"suite": self.config.getoption("--rfc-suite"),
			"target": os.environ.get("CONFORMANCE_TARGET", ""),
			"server": os.environ.get("CONFORMANCE_SERVER", ""),
			"started": self.started,
			"duration": time.time() - self.started,
			"exitstatus": int(exitstatus),
			"tests": tests,
		}
		d = os.path.dirname(os.path.abspath(path))
		os.makedirs(d, exist_ok=True)
		tmp = path + ".tmp"
		with open(tmp, "w", encoding="utf-8") as f:
			json.dump(out, f, indent=1)
		os.replace(tmp, path)


def _short(report):
	"""A one-paragraph reason: the skip reason or the failure's last line(s)."""
	lr = report.longrepr
	if lr is None:
		return ""
	if isinstance(lr, tuple) and len(lr) == 3:  # skip: (file, line, reason)
		msg = str(lr[2])
		return msg[len("Skipped: "):] if msg.startswith("Skipped: ") else msg
	crash = getattr(lr, "reprcrash", None)
	if crash is not None and getattr(crash, "message", None):
		return crash.message[:600]
	text = str(lr).strip().splitlines()
	return "\n".join(text[-3:])[:600]
