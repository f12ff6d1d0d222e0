"""The black-box conformance suite (conformance/blackbox) through HAProxy.

Three webserv instances serve the demo site (conf/default.conf, its main
listener switched to `proxy_protocol` and a `/health` location added)
behind deploy/haproxy/haproxy.cfg; the suite runs against HAProxy's port.
Every test passes except those listed in deploy/haproxy/conformance.md,
each with what HAProxy does and why the pair stays safe; none of those may
be a desync (a smuggled request answered, a body read as a request).

Not collected by the ordinary pytest passes (its name does not start with
test_): `make cluster-test` runs it after pytests/test_cluster.py."""

import importlib.util
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import wsh
from procs import wait_for
from test_cluster import Balancer, access_log

REPO = Path(__file__).resolve().parent.parent
ALLOW = REPO / "deploy" / "haproxy" / "conformance.md"
HEALTH = '\tlocation = /health {\n\t\treturn 200 "ok";\n\t}\n'
# Failure messages of the smuggling cases that mean a desync: never allowed.
DESYNC = ("the smuggled request was answered", "the body was parsed as a request")


def _demo_module():
	spec = importlib.util.spec_from_file_location("conformance_demo", REPO / "conformance" / "demo.py")
	mod = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(mod)
	return mod


def instance_conf(tmp):
	"""conf/default.conf with absolute paths, its 8080 listener behind
	HAProxy ({port}, proxy_protocol), the 8081 one on {port2}, a /health
	location and the access log in the instance's directory."""
	path, ports, _ = _demo_module().demo_conf(REPO / "conf" / "default.conf", tmp)
	text = path.read_text()
	text = text.replace("listen 127.0.0.1:%s;" % ports["8080"], "listen 127.0.0.1:{port} proxy_protocol;")
	text = text.replace("listen 127.0.0.1:%s;" % ports["8081"], "listen 127.0.0.1:{port2};")
	text = text.replace("access_log stdout;", "access_log {tmp}/access.log;")
	text, n = re.subn(r"(?m)^(\tclient_max_body_size 16m;\n)", lambda m: m.group(1) + HEALTH, text, 1)
	assert n == 1, "the demo's first server has no `client_max_body_size 16m;` line"
	assert "{port}" in text and "{port2}" in text, text
	return text


def allowed():
	"""{pattern: reason} from the table in deploy/haproxy/conformance.md."""
	out = {}
	for line in ALLOW.read_text().splitlines():
		m = re.match(r"^\| `([^`]+)` \| (.+?) \|", line)
		if m:
			out[m.group(1)] = m.group(2)
	assert out, "no entries in %s" % ALLOW
	return out


def junit_results(path):
	"""{file.py::test[param]: (outcome, message)} from a JUnit XML file."""
	out = {}
	for case in ET.parse(path).getroot().iter("testcase"):
		mod = case.get("classname", "").rsplit(".", 1)[-1]
		key = "%s.py::%s" % (mod, case.get("name"))
		outcome, message = "passed", ""
		for tag in ("failure", "error", "skipped"):
			el = case.find(tag)
			if el is not None:
				outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
				# The assertion's own text, not the traceback (which
				# quotes the test's source).
				message = el.get("message") or el.text or ""
				break
		out[key] = (outcome, message)
	return out


def matches(key, pattern):
	"""An entry names one test, or with `[*]` every parameter of one."""
	if pattern.endswith("[*]"):
		return key.startswith(pattern[:-2])
	return key == pattern


@pytest.fixture
def demo_cluster(server, tmp_path_factory):
	tmp = tmp_path_factory.mktemp("demo")
	conf = instance_conf(tmp)
	insts = [server(conf) for _ in range(3)]
	lb = Balancer(tmp, [s.port for s in insts])
	try:
		assert wait_for(lambda: all("/health" in access_log(s) for s in insts), wsh.T(15)), \
			"health checks never reached every instance"
		yield lb, insts, tmp
	finally:
		lb.stop()


def test_conformance_through_balancer(demo_cluster):
	lb, insts, tmp = demo_cluster
	xml = tmp / "blackbox.xml"
	env = dict(os.environ, CONFORMANCE_TARGET="http://127.0.0.1:%d" % lb.port)
	env.pop("CONFORMANCE_DEMO", None)
	run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
	                      "--junitxml", str(xml), str(REPO / "conformance" / "blackbox")],
	                     cwd=str(REPO), env=env, stdout=subprocess.PIPE,
	                     stderr=subprocess.STDOUT, timeout=wsh.T(900))
	tail = run.stdout.decode(errors="replace")[-3000:]
	assert xml.exists(), tail
	results = junit_results(xml)
	allow = allowed()
	counts = {}
	for outcome, _ in results.values():
		counts[outcome] = counts.get(outcome, 0) + 1
	bad, desync, used = [], [], set()
	for key, (outcome, message) in sorted(results.items()):
		if outcome not in ("failed", "error"):
			continue
		hits = [p for p in allow if matches(key, p)]
		if not hits or outcome == "error":
			bad.append("%s: %s" % (key, message.strip().splitlines()[0] if message.strip() else outcome))
		used.update(hits)
		if any(d in message for d in DESYNC):
			desync.append(key)
	print("\ncluster conformance: %s; %d failures, all on deploy/haproxy/conformance.md (%d of %d entries)"
	      % (", ".join("%s %d" % kv for kv in sorted(counts.items())),
	         counts.get("failed", 0), len(used), len(allow)))
	unused = sorted(set(allow) - used)
	if unused:
		print("entries of deploy/haproxy/conformance.md that did not fail here: %s" % unused)
	assert not desync, "desync through the balancer: %s" % desync
	assert not bad, "failures through the balancer not in deploy/haproxy/conformance.md:\n" + \
		"\n".join(bad) + "\n" + tail
	# The run was real: most of the suite ran and passed, and every
	# instance answered part of it.
	assert counts.get("passed", 0) > 150, counts
	for s in insts:
		assert len(access_log(s).splitlines()) > 20, "instance %d served almost nothing" % s.port
