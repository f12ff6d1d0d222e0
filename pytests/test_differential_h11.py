"""A third opinion on the differential harness (fuzz/differential.md).

The inputs of fuzz/corpus/differential (the first LIMIT by name) and every
finding kept in fuzz/regressions/differential are read message by message
by webserv's parser (the differential harness's dump mode, which also
reports http_parser's view and the allow-list rule applied) and by h11,
Debian's python3-h11, an independent pure-Python HTTP/1.1 implementation.

Checked:
  - when webserv and h11 both accept a message they agree on where it ends,
    on the method, the target and the decoded body (never an allowed
    difference, as for http_parser);
  - h11 rejects a message webserv accepts only where h11 is stricter than
    RFC 9112 asks (h11_stricter(): an empty line before the request-line,
    framing fields in the trailer section, BWS before a chunk extension);
  - for the rules that blame a defect of http_parser (D22, D28, D29, D30)
    h11 sides with webserv: it gives webserv's verdict.
The tally of (webserv, http_parser, h11) verdicts per rule is printed
(pytest -s) to settle the other differences by majority.

The harness binary is build/fuzz/replay/fuzz_differential (gcc, ASan); the
test builds it with make when it is missing or stale.
"""

import collections
import os
import re
import shutil
import subprocess

import h11
import pytest

from conftest import REPO

LIMIT = 1500
HARNESS = REPO / "build" / "fuzz" / "replay" / "fuzz_differential"
CORPUS = REPO / "fuzz" / "corpus" / "differential"
FINDINGS = REPO / "fuzz" / "regressions" / "differential"
HP_DEFECTS = ("D22 ", "D28 ", "D29 ", "D30 ")


@pytest.fixture(scope="module")
def harness():
	r = subprocess.run(["make", "-s", "-C", str(REPO), str(HARNESS.relative_to(REPO))],
			   capture_output=True, text=True, timeout=300)
	assert r.returncode == 0, r.stdout + r.stderr
	return HARNESS


def inputs():
	files = sorted(CORPUS.iterdir())[:LIMIT]
	if FINDINGS.is_dir():
		files += sorted(FINDINGS.iterdir())
	return [f for f in files if f.is_file()]


def h11_view(data, off):
	"""h11's reading of the message starting at data[off]."""
	conn = h11.Connection(h11.SERVER)
	conn.receive_data(bytes(data[off:]))
	view = {"verdict": "more"}
	body = b""
	try:
		while True:
			ev = conn.next_event()
			if ev is h11.NEED_DATA or ev is h11.PAUSED:
				return view
			if isinstance(ev, h11.Request):
				view.update(method=bytes(ev.method), target=bytes(ev.target))
			elif isinstance(ev, h11.Data):
				body += bytes(ev.data)
			elif isinstance(ev, h11.EndOfMessage):
				rest, _closed = conn.trailing_data
				view.update(verdict="accept", end=len(data) - len(rest), body=body)
				return view
			else:
				return view
	except h11.RemoteProtocolError as e:
		view.update(verdict="reject", why=str(e))
		return view


def unhex(s):
	return b"" if s == "-" else bytes.fromhex(s)


def run_harness(harness, files, tmp_path):
	"""Runs the harness once over copies named in order; returns one record
	per input: {"views": {(msg, side): fields}, "rules": {msg: rule}}."""
	d = tmp_path / "in"
	d.mkdir()
	for i, f in enumerate(files):
		shutil.copyfile(f, d / ("%06d" % i))
	env = dict(os.environ, FUZZ_DIFF_DUMP="1", ASAN_OPTIONS="detect_leaks=0")
	r = subprocess.run([str(harness), str(d)], env=env, capture_output=True,
			   text=True, errors="replace", timeout=300)
	assert r.returncode == 0, r.stderr[-3000:]
	recs = []
	for line in r.stdout.splitlines():
		f = line.split("\t")
		if f[0] == "input":
			recs.append({"size": int(f[1]), "views": {}, "rules": {}})
		elif f[0] == "view":
			v = {"off": int(f[3]), "verdict": f[4], "method": unhex(f[6]),
			     "target": unhex(f[7]), "frame": f[10], "end": int(f[12]),
			     "body": unhex(f[14])}
			recs[-1]["views"][(int(f[2]), f[1])] = v
		elif f[0] == "rule":
			recs[-1]["rules"][int(f[1])] = f[2]
	assert len(recs) == len(files)
	for f, rec in zip(files, recs):
		assert rec["size"] == f.stat().st_size, f
	return recs


def h11_stricter(data, off, why, ws, rule):
	"""Why h11 may reject a message webserv accepts, or None."""
	if why == "no request line received" and data[off:off + 1] in (b"\r", b"\n"):
		# RFC 9112 2.2: a server SHOULD ignore at least one empty line
		# before the request-line; h11 does not.
		return "empty line before the request-line"
	if "Transfer-Encoding" in why and ws["frame"] == "chunked" and \
	   re.search(rb"(?im)^Transfer-Encoding:[ \t]*(,[ \t]*)+chunked|"
	             rb"^Transfer-Encoding:[ \t]*chunked[ \t]*(,[ \t]*)+\r?$",
	             data[off:ws["end"]]):
		# RFC 9110 5.6.1.2: a recipient ignores empty list elements;
		# h11 takes only the exact value "chunked" (D31).
		return "empty elements in the Transfer-Encoding list"
	if ("Transfer-Encoding" in why or "Content-Length" in why) and \
	   ws["frame"] == "chunked":
		# h11 checks Transfer-Encoding and Content-Length in the trailer
		# section as in the head (webserv accepted chunked framing, so
		# the head had no Content-Length); webserv discards trailer
		# fields (RFC 9110 6.5.1).
		return "framing field in the trailer section"
	if why.startswith("illegal chunk header") and \
	   re.search(rb"(?m)^[0-9A-Fa-f]+[ \t]+;", data[off:ws["end"]]):
		# RFC 9112 7.1.1: chunk-ext = *( BWS ";" ... ); h11 refuses the
		# white space before ";".
		return "white space before a chunk extension"
	return None


@pytest.fixture(scope="module")
def readings(harness, tmp_path_factory):
	files = inputs()
	recs = run_harness(harness, files, tmp_path_factory.mktemp("h11"))
	out = []
	for f, rec in zip(files, recs):
		data = f.read_bytes()
		for (msg, side), ws in sorted(rec["views"].items()):
			if side != "webserv":
				continue
			hp = rec["views"][(msg, "http_parser")]
			out.append((f, data, msg, ws, hp, h11_view(data, ws["off"]),
				    rec["rules"].get(msg, "")))
	return out


def test_enough_inputs(readings):
	files = {r[0] for r in readings}
	assert len(files) >= min(LIMIT, len(list(CORPUS.iterdir())))
	assert sum(1 for r in readings if r[3]["verdict"] == "accept") >= 100


def test_both_accept_same_message(readings):
	bad = []
	for f, data, msg, ws, hp, hv, rule in readings:
		if ws["verdict"] != "accept" or hv["verdict"] != "accept":
			continue
		if (ws["end"], ws["method"], ws["target"], ws["body"]) != \
		   (hv["end"], hv["method"], hv["target"], hv["body"]):
			bad.append((f.name, msg, ws["end"], hv["end"], ws["method"],
				    hv["method"], ws["target"][:40], hv["target"][:40]))
	assert not bad, bad[:5]


def test_h11_rejects_only_where_stricter(readings):
	bad = []
	for f, data, msg, ws, hp, hv, rule in readings:
		if ws["verdict"] == "accept" and hv["verdict"] == "reject" and \
		   h11_stricter(data, ws["off"], hv["why"], ws, rule) is None:
			bad.append((f.name, msg, hv["why"][:80], data[ws["off"]:ws["off"] + 80]))
	assert not bad, "\n".join(repr(b) for b in bad[:8])


def test_h11_sides_with_webserv_on_http_parser_defects(readings):
	seen = 0
	bad = []
	for f, data, msg, ws, hp, hv, rule in readings:
		if not rule.startswith(HP_DEFECTS):
			continue
		if hv["verdict"] == "reject" and \
		   h11_stricter(data, ws["off"], hv["why"], ws, rule) is not None:
			continue
		seen += 1
		if hv["verdict"] != ws["verdict"]:
			bad.append((f.name, rule, ws["verdict"], hv["verdict"]))
	assert not bad, bad[:5]
	assert seen > 0, "no input exercises an http_parser defect rule"


def test_tally(readings, capsys):
	tally = collections.Counter()
	for f, data, msg, ws, hp, hv, rule in readings:
		if rule:
			tally[(rule, ws["verdict"], hp["verdict"], hv["verdict"])] += 1
	with capsys.disabled():
		print("\nrule: webserv / http_parser / h11 verdicts")
		for (rule, a, b, c), n in sorted(tally.items()):
			print(f"  {rule:40s} {a:7s} {b:7s} {c:7s} {n:6d}")
	assert tally
