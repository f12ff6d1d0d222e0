#!/usr/bin/env python3
"""Conformance report generator (standard library only).

  report.py report --results R.json [R2.json ...] [--md REPORT.md]
                   [--html report.html] [--merged results.json] [--title T]
      one row per requirement of requirements.tsv: section, paraphrase,
      level, the tests that check it, the result (pass, fail, skipped,
      no test = gap); totals per level first.

  report.py compare --side NAME=R.json [--side NAME2=R2.json ...] --md OUT.md
      side-by-side table (one column per server) for the requirements that
      have a black-box test.

R.json files are written by the rfcplugin pytest plugin.
"""

import argparse
import datetime
import fnmatch
import html
import json
import os
import sys
from collections import OrderedDict

HERE = os.path.dirname(os.path.abspath(__file__))
LEVELS = ("MUST", "SHOULD", "MAY")
PASSED = ("passed", "xpassed")
FAILED = ("failed", "error", "xfailed")
SKIPPED = ("skipped", "notrun")
ICON = {"pass": "pass", "fail": "FAIL", "skipped": "skipped", "gap": "no test"}


def load_requirements(path):
	reqs = []
	with open(path, encoding="utf-8") as f:
		for n, line in enumerate(f, 1):
			line = line.rstrip("\n")
			if not line.strip() or line.startswith("#"):
				continue
			cols = line.split("\t")
			if cols[0] == "id":
				continue
			if len(cols) != 6:
				raise SystemExit("%s:%d: expected 6 tab-separated columns, got %d"
				                 % (path, n, len(cols)))
			rid, rfc, section, level, tests, text = (c.strip() for c in cols)
			if level not in LEVELS:
				raise SystemExit("%s:%d: level %r is not MUST, SHOULD or MAY" % (path, n, level))
			pats = [] if tests in ("", "-") else [p.strip() for p in tests.split(",") if p.strip()]
			reqs.append({"id": rid, "rfc": rfc, "section": section, "level": level,
			             "patterns": pats, "text": text, "tests": []})
	ids = [r["id"] for r in reqs]
	dup = {i for i in ids if ids.count(i) > 1}
	if dup:
		raise SystemExit("%s: duplicate ids %s" % (path, ", ".join(sorted(dup))))
	return reqs


def load_results(paths):
	runs, tests = [], []
	for p in paths:
		with open(p, encoding="utf-8") as f:
			d = json.load(f)
		runs.append({k: v for k, v in d.items() if k != "tests"})
		runs[-1]["count"] = len(d["tests"])
		tests.extend(d["tests"])
	return runs, tests


def key(m):
	return (str(m["rfc"]), str(m["section"]), str(m["level"]).upper())


def assign(reqs, tests):
	"""Attach tests to requirements. Returns the (test, marker) pairs that
	name no listed requirement."""
	by_key = {}
	for r in reqs:
		r["tests"] = []
		by_key.setdefault((r["rfc"], r["section"], r["level"]), []).append(r)
	unclaimed = []
	for t in tests:
		for m in t.get("markers", []):
			rows = by_key.get(key(m), [])
			hit = [r for r in rows if r["patterns"] and any(
				fnmatch.fnmatchcase(t["name"], p) for p in r["patterns"])]
			if not hit:
				hit = [r for r in rows if not r["patterns"]]
			if not hit:
				unclaimed.append((t, m))
			for r in hit:
				if t not in r["tests"]:
					r["tests"].append(t)
	return unclaimed


def result(tests):
	if not tests:
		return "gap"
	outs = [t["outcome"] for t in tests]
	if any(o in FAILED for o in outs):
		return "fail"
	if any(o in PASSED for o in outs):
		return "pass"
	return "skipped"


def totals(reqs):
	out = OrderedDict()
	for lvl in LEVELS:
		rows = [r for r in reqs if r["level"] == lvl]
		c = {"claimed": len(rows), "pass": 0, "fail": 0, "skipped": 0, "gap": 0}
		for r in rows:
			c[result(r["tests"])] += 1
		out[lvl] = c
	return out


def test_groups(tests):
	"""[(label, passed, ran, failed, skipped)] per test function."""
	groups = OrderedDict()
	for t in tests:
		label = "%s::%s" % (os.path.splitext(t["file"])[0], t["name"])
		g = groups.setdefault(label, {"passed": 0, "failed": 0, "skipped": 0, "n": 0})
		g["n"] += 1
		if t["outcome"] in PASSED:
			g["passed"] += 1
		elif t["outcome"] in FAILED:
			g["failed"] += 1
		else:
			g["skipped"] += 1
	return groups


def group_text(label, g):
	if g["n"] == 1:
		tail = {1: ""}.get(g["passed"], " (failed)" if g["failed"] else " (skipped)")
		return label + tail
	s = "%s %d/%d" % (label, g["passed"], g["n"])
	if g["skipped"] and not g["failed"]:
		s += " (%d skipped)" % g["skipped"]
	return s


def sort_key(r):
	def num(s):
		return [int(x) if x.isdigit() else 0 for x in s.split(".")]
	order = {"9112": 0, "9110": 1, "6585": 2, "3875": 3, "7578": 4, "2046": 5}
	return (order.get(r["rfc"], 9), r["rfc"], num(r["section"]), LEVELS.index(r["level"]))


def run_summary(runs, tests):
	lines = []
	for run in runs:
		mine = [t for t in tests if t.get("suite") == run.get("suite")]
		c = {k: 0 for k in ("passed", "failed", "skipped")}
		for t in mine:
			c["passed" if t["outcome"] in PASSED else "failed" if t["outcome"] in FAILED
			  else "skipped"] += 1
		lines.append("%s: %d tests, %d passed, %d failed, %d skipped (%.0f s%s)" % (
			run.get("suite") or "tests", len(mine), c["passed"], c["failed"], c["skipped"],
			run.get("duration", 0), ", against " + (run.get("server") or run["target"])
			if run.get("target") else ""))
	return lines


def md_escape(s):
	return s.replace("|", "\\|").replace("\n", " ")


def total_line(lvl, c):
	extra = []
	for k, word in (("fail", "failed"), ("skipped", "skipped"), ("gap", "without a test")):
		if c[k]:
			extra.append("%d %s" % (c[k], word))
	return "%s %d/%d passed%s" % (lvl, c["pass"], c["claimed"],
	                               " (" + ", ".join(extra) + ")" if extra else "")


def write_md(path, title, reqs, runs, tests, unclaimed, when):
	tot = totals(reqs)
	out = ["# %s" % title, ""]
	out.append("Generated %s by `conformance/report.py` from `conformance/requirements.tsv`." % when)
	out.append("")
	out.append("## Totals")
	out.append("")
	out.append("| level | passed / claimed | failed | skipped | no test |")
	out.append("|---|---|---|---|---|")
	for lvl, c in tot.items():
		out.append("| %s | **%d / %d** | %d | %d | %d |" % (lvl, c["pass"], c["claimed"], c["fail"],
		                                                      c["skipped"], c["gap"]))
	out.append("")
	for line in run_summary(runs, tests):
		out.append("- " + line)
	out.append("")
	out.append("Result: **pass** = every test that ran passed; **FAIL** = at least one test "
	           "failed; **skipped** = all its tests were skipped (e.g. they need webserv's own "
	           "configuration); **no test** = a claimed requirement nothing checks yet (a gap).")
	out.append("")
	out.append("## Requirements")
	out.append("")
	out.append("| RFC | section | requirement | level | tests | result |")
	out.append("|---|---|---|---|---|---|")
	for r in sorted(reqs, key=sort_key):
		res = result(r["tests"])
		groups = test_groups(r["tests"])
		cell = "<br>".join("`%s`" % md_escape(group_text(k, g)) for k, g in groups.items()) or "—"
		out.append("| %s | %s | %s | %s | %s | %s |" % (
			r["rfc"], r["section"], md_escape(r["text"]), r["level"], cell,
			"**FAIL**" if res == "fail" else ICON[res]))
	fails = [t for t in tests if t["outcome"] in FAILED and t.get("markers")]
	if fails:
		out += ["", "## Failed tests", ""]
		for t in fails:
			out.append("- `%s` (%s): %s" % (t["nodeid"], ", ".join(
				"RFC %s §%s %s" % key(m) for m in t["markers"]), md_escape(t["message"][:300])))
	if unclaimed:
		out += ["", "## Markers without a listed requirement", "",
		        "These tests carry an `rfc` marker that matches no row of "
		        "`requirements.tsv`: add a row (or fix the marker).", ""]
		for t, m in unclaimed:
			out.append("- `%s`: RFC %s §%s %s" % ((t["nodeid"],) + key(m)))
	with open(path, "w", encoding="utf-8") as f:
		f.write("\n".join(out) + "\n")


CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1200px;
padding:0 1em;color:#222}
h1{font-size:1.6em}table{border-collapse:collapse;width:100%;margin:1em 0}
th,td{border:1px solid #ccc;padding:.35em .5em;vertical-align:top;text-align:left}
th{background:#f0f0f0;position:sticky;top:0}code{font-size:.85em}
.pass{background:#e3f6e3}.fail{background:#fbdede;font-weight:bold}.skipped{background:#f3f3f3;color:#666}
.gap{background:#fff4cc}.lvl-MUST{font-weight:bold}
.totals td{font-size:1.1em}.note{color:#555}
"""


def write_html(path, title, reqs, runs, tests, unclaimed, when):
	e = html.escape
	tot = totals(reqs)
	h = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
	     "<title>%s</title><style>%s</style></head><body>" % (e(title), CSS),
	     "<h1>%s</h1>" % e(title),
	     '<p class="note">Generated %s from <code>conformance/requirements.tsv</code>.</p>' % e(when),
	     '<table class="totals"><tr><th>level</th><th>passed / claimed</th><th>failed</th>'
	     "<th>skipped</th><th>no test</th></tr>"]
	for lvl, c in tot.items():
		h.append("<tr><td>%s</td><td><b>%d / %d</b></td><td>%d</td><td>%d</td><td>%d</td></tr>"
		         % (lvl, c["pass"], c["claimed"], c["fail"], c["skipped"], c["gap"]))
	h.append("</table><ul>")
	for line in run_summary(runs, tests):
		h.append("<li>%s</li>" % e(line))
	h.append("</ul><table><tr><th>RFC</th><th>section</th><th>requirement</th><th>level</th>"
	         "<th>tests</th><th>result</th></tr>")
	for r in sorted(reqs, key=sort_key):
		res = result(r["tests"])
		cells = []
		for k, g in test_groups(r["tests"]).items():
			msg = ""
			failed = [t for t in r["tests"] if t["outcome"] in FAILED and
			          "%s::%s" % (os.path.splitext(t["file"])[0], t["name"]) == k]
			if failed:
				msg = ' title="%s"' % e(failed[0]["message"][:500])
			cells.append("<code%s>%s</code>" % (msg, e(group_text(k, g))))
		h.append('<tr class="%s"><td>%s</td><td>%s</td><td>%s</td><td class="lvl-%s">%s</td>'
		         "<td>%s</td><td>%s</td></tr>" % (res, e(r["rfc"]), e(r["section"]), e(r["text"]),
		                                         r["level"], r["level"], "<br>".join(cells) or "—",
		                                         ICON[res]))
	h.append("</table>")
	fails = [t for t in tests if t["outcome"] in FAILED and t.get("markers")]
	if fails:
		h.append("<h2>Failed tests</h2><ul>")
		for t in fails:
			h.append("<li><code>%s</code><pre>%s</pre></li>" % (e(t["nodeid"]), e(t["message"][:800])))
		h.append("</ul>")
	if unclaimed:
		h.append("<h2>Markers without a listed requirement</h2><ul>")
		for t, m in unclaimed:
			h.append("<li><code>%s</code>: RFC %s §%s %s</li>" % ((e(t["nodeid"]),) + key(m)))
		h.append("</ul>")
	h.append("</body></html>")
	with open(path, "w", encoding="utf-8") as f:
		f.write("\n".join(h) + "\n")


def cmd_report(a):
	reqs = load_requirements(a.requirements)
	runs, tests = load_results(a.results)
	unclaimed = assign(reqs, tests)
	when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
	if a.merged:
		with open(a.merged, "w", encoding="utf-8") as f:
			json.dump({"runs": runs, "tests": tests}, f, indent=1)
	if a.md:
		write_md(a.md, a.title, reqs, runs, tests, unclaimed, when)
	if a.html:
		write_html(a.html, a.title, reqs, runs, tests, unclaimed, when)
	for lvl, c in totals(reqs).items():
		print("conformance: " + total_line(lvl, c))
	if unclaimed:
		print("conformance: %d rfc markers name no listed requirement (see the report)"
		      % len(unclaimed))
	return 0


def cmd_compare(a):
	sides = []
	for spec in a.side:
		name, _, path = spec.partition("=")
		reqs = load_requirements(a.requirements)
		runs, tests = load_results([path])
		assign(reqs, tests)
		sides.append((name, {r["id"]: r for r in reqs}, runs))
	base = load_requirements(a.requirements)
	rows = [r for r in sorted(base, key=sort_key)
	        if any(s[1][r["id"]]["tests"] for s in sides)]
	names = [s[0] for s in sides]
	when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
	out = ["# %s" % a.title, "",
	       "Generated %s by `make conformance-nginx`: the black-box tests "
	       "(`conformance/blackbox/`) run against each server on loopback, both serving a "
	       "copy of `www/` with the demo's locations (see `conformance/README.md`)." % when, ""]
	for name, byid, runs in sides:
		for run in runs:
			if run.get("server"):
				out.append("- %s: %s" % (name, run["server"]))
	out += ["", "## Totals (requirements with a black-box test)", "",
	        "| level | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
	for lvl in LEVELS:
		cells = []
		for name, byid, runs in sides:
			rs = [byid[r["id"]] for r in rows if r["level"] == lvl]
			c = {"pass": 0, "fail": 0, "skipped": 0, "gap": 0}
			for r in rs:
				c[result(r["tests"])] += 1
			cells.append("%d/%d passed (%d failed, %d skipped)" % (c["pass"], len(rs), c["fail"],
			                                                        c["skipped"] + c["gap"]))
		out.append("| %s | %s |" % (lvl, " | ".join(cells)))
	out += ["", "Skipped = the tests need webserv's demo configuration (uploads, CGI, virtual "
	        "hosts) that the other server does not have.", "",
	        "On the requirements every server was tested on:", "",
	        "| level | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
	for lvl in LEVELS:
		common = [r for r in rows if r["level"] == lvl and all(
			result(s[1][r["id"]]["tests"]) in ("pass", "fail") for s in sides)]
		cells = ["**%d/%d**" % (sum(result(s[1][r["id"]]["tests"]) == "pass" for r in common),
		                         len(common)) for s in sides]
		out.append("| %s | %s |" % (lvl, " | ".join(cells)))
	out += ["",
	        "## Requirements", "",
	        "| RFC | section | requirement | level | " + " | ".join(names) + " |",
	        "|---|---|---|---|" + "---|" * len(names)]
	diffs = 0
	for r in rows:
		cells = []
		for name, byid, runs in sides:
			rr = byid[r["id"]]
			res = result(rr["tests"])
			groups = test_groups(rr["tests"])
			failed = [k for k, g in groups.items() if g["failed"]]
			cell = "**FAIL**" if res == "fail" else ICON[res]
			if failed:
				cell += " (" + ", ".join("`%s`" % k.split("::")[1] for k in failed) + ")"
			cells.append(cell)
		ran = [c.split(" ")[0] for c in cells if c.split(" ")[0] in ("pass", "**FAIL**")]
		if len(ran) == len(cells) and len(set(ran)) > 1:
			diffs += 1
		out.append("| %s | %s | %s | %s | %s |" % (r["rfc"], r["section"], md_escape(r["text"]),
		                                           r["level"], " | ".join(cells)))
	out += ["", "%d requirements tested on every server have different results." % diffs]
	with open(a.md, "w", encoding="utf-8") as f:
		f.write("\n".join(out) + "\n")
	print("conformance: wrote %s (%d requirements, %d differ)" % (a.md, len(rows), diffs))
	return 0


def main(argv=None):
	ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
	ap.add_argument("--requirements", default=os.path.join(HERE, "requirements.tsv"))
	sub = ap.add_subparsers(dest="cmd", required=True)
	r = sub.add_parser("report")
	r.add_argument("--results", nargs="+", required=True)
	r.add_argument("--md")
	r.add_argument("--html")
	r.add_argument("--merged")
	r.add_argument("--title", default="webserv RFC conformance report")
	c = sub.add_parser("compare")
	c.add_argument("--side", action="append", required=True, metavar="NAME=RESULTS.json")
	c.add_argument("--md", required=True)
	c.add_argument("--title", default="webserv vs nginx: black-box conformance")
	a = ap.parse_args(argv)
	return cmd_report(a) if a.cmd == "report" else cmd_compare(a)


if __name__ == "__main__":
	sys.exit(main())
