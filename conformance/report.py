#!/usr/bin/env python3
"""Conformance report generator (standard library only).

  report.py report --results R.json [R2.json ...] [--md REPORT.md]
                   [--html report.html] [--merged results.json] [--title T]
                   [--hide-suite pytests] [--deviations]
      one row per requirement of requirements.tsv: RFC, section, the RFC's
      sentence, level, the tests that check it and the result; the totals
      per level and per RFC first (enumerated vs claimed), the smuggling and
      desync cases after the rows.

  report.py compare --side NAME=R.json [--side NAME2=R2.json ...]
                    [--md OUT.md] [--html OUT.html] [--deviations NAME]
      one table, rows = requirements with a black-box test, columns =
      servers, totals per level for each server; the desync cases side by
      side.

R.json files are written by the rfcplugin pytest plugin.

requirements.tsv columns: id, rfc, section, level, tests, requirement and
an optional note. `tests` is `-` (every test with the row's marker that no
pattern row took), comma-separated fnmatch patterns of test function
names, `none` (nothing checks it: *no test*) or `n/a: WHY` (*not
applicable*, with the reason). A note starting with `deviation:` marks a
known failure of webserv, shown with its reason.
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
# result -> label
LABEL = OrderedDict([
	("pass", "pass"),
	("fail", "FAIL"),
	("known", "FAIL (known deviation)"),
	("skipped", "skipped"),
	("fixture", "skipped (fixture)"),
	("webserv", "webserv-only test"),
	("gap", "no test"),
	("na", "not applicable"),
])
RFC_NAMES = OrderedDict([
	("9112", "RFC 9112 HTTP/1.1"),
	("9110", "RFC 9110 HTTP Semantics"),
	("6585", "RFC 6585 Additional Status Codes"),
	("3875", "RFC 3875 CGI/1.1"),
	("7578", "RFC 7578 multipart/form-data"),
	("2046", "RFC 2046 MIME media types"),
])


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
			if len(cols) not in (6, 7):
				raise SystemExit("%s:%d: expected 6 or 7 tab-separated columns, got %d"
				                 % (path, n, len(cols)))
			cols = [c.strip() for c in cols] + [""] * (7 - len(cols))
			rid, rfc, section, level, tests, text, note = cols
			if level not in LEVELS:
				raise SystemExit("%s:%d: level %r is not MUST, SHOULD or MAY" % (path, n, level))
			status, why, pats = "tests", "", []
			if tests.lower() == "none":
				status = "none"
			elif tests.lower().startswith("n/a"):
				status, why = "na", tests[3:].lstrip(" :").strip()
				if not why:
					raise SystemExit("%s:%d: `n/a` needs a reason (n/a: WHY)" % (path, n))
			elif tests not in ("", "-"):
				pats = [p.strip() for p in tests.split(",") if p.strip()]
			reqs.append({"id": rid, "rfc": rfc, "section": section, "level": level,
			             "patterns": pats, "status": status, "why": why, "text": text,
			             "note": note, "tests": []})
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
			rows = [r for r in by_key.get(key(m), []) if r["status"] == "tests"]
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


def is_fixture_skip(t):
	return t["outcome"] in SKIPPED and (t.get("message") or "").startswith("fixture:")


def result(r, hidden=(), deviations=False):
	"""The row's result key (see LABEL). hidden: suites whose tests only
	show that the row is checked elsewhere (webserv-only)."""
	if r["status"] == "na":
		return "na"
	if r["status"] == "none":
		return "gap"
	tests = r["tests"]
	if not tests:
		return "gap"
	shown = [t for t in tests if t.get("suite") not in hidden]
	if not shown:
		return "webserv"
	outs = [t["outcome"] for t in shown]
	if any(o in FAILED for o in outs):
		return "known" if deviations and r["note"].lower().startswith("deviation") else "fail"
	if any(o in PASSED for o in outs):
		return "pass"
	if all(is_fixture_skip(t) for t in shown):
		return "fixture"
	return "skipped"


def totals(reqs, hidden=(), deviations=False):
	out = OrderedDict()
	for lvl in LEVELS:
		rows = [r for r in reqs if r["level"] == lvl]
		c = OrderedDict((k, 0) for k in LABEL)
		c["enumerated"] = len(rows)
		c["claimed"] = sum(1 for r in rows if r["status"] == "tests")
		for r in rows:
			c[result(r, hidden, deviations)] += 1
		out[lvl] = c
	return out


def rfc_totals(reqs, hidden=(), deviations=False):
	out = OrderedDict()
	for rfc in sorted({r["rfc"] for r in reqs}, key=lambda x: list(RFC_NAMES).index(x)
	                  if x in RFC_NAMES else 99):
		rows = [r for r in reqs if r["rfc"] == rfc]
		c = OrderedDict((k, 0) for k in LABEL)
		c["enumerated"] = len(rows)
		c["claimed"] = sum(1 for r in rows if r["status"] == "tests")
		for r in rows:
			c[result(r, hidden, deviations)] += 1
		out[rfc] = c
	return out


def test_groups(tests):
	"""{label: counts} per test function."""
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
	order = list(RFC_NAMES)
	return (order.index(r["rfc"]) if r["rfc"] in order else 9, r["rfc"], num(r["section"]),
	        LEVELS.index(r["level"]))


def run_summary(runs, tests, hidden=()):
	lines = []
	for run in runs:
		if run.get("suite") in hidden:
			continue
		mine = [t for t in tests if t.get("suite") == run.get("suite")]
		c = {k: 0 for k in ("passed", "failed", "skipped", "fixture")}
		for t in mine:
			if t["outcome"] in PASSED:
				c["passed"] += 1
			elif t["outcome"] in FAILED:
				c["failed"] += 1
			elif is_fixture_skip(t):
				c["fixture"] += 1
			else:
				c["skipped"] += 1
		lines.append("%s: %d tests, %d passed, %d failed, %d skipped, %d skipped for a missing "
		             "fixture (%.0f s%s)" % (
		                 run.get("suite") or "tests", len(mine), c["passed"], c["failed"],
		                 c["skipped"], c["fixture"], run.get("duration", 0),
		                 ", against " + (run.get("server") or run["target"])
		                 if run.get("target") else ""))
	return lines


def md_escape(s):
	return s.replace("|", "\\|").replace("\n", " ")


def total_line(lvl, c):
	extra = []
	for k in ("fail", "known", "skipped", "fixture", "webserv", "gap", "na"):
		if c[k]:
			extra.append("%d %s" % (c[k], LABEL[k]))
	return "%s %d/%d claimed passed, %d enumerated%s" % (
		lvl, c["pass"], c["claimed"], c["enumerated"], " (" + ", ".join(extra) + ")" if extra else "")


def show_bytes(data):
	"""Printable form of a case's bytes: CR, LF, TAB and others escaped, a
	line break after each LF."""
	out = []
	for ch in data:
		o = ord(ch)
		if ch == "\r":
			out.append("\\r")
		elif ch == "\n":
			out.append("\\n\n")
		elif ch == "\t":
			out.append("\\t")
		elif o < 0x20 or o >= 0x7f:
			out.append("\\x%02x" % o)
		else:
			out.append(ch)
	return "".join(out).rstrip("\n")


def cases(tests):
	return [t for t in tests if t.get("sends") is not None]


def case_result(t):
	if t["outcome"] in PASSED:
		return "pass"
	if t["outcome"] in FAILED:
		return "fail"
	return "fixture" if is_fixture_skip(t) else "skipped"


def row_cell_md(r):
	groups = test_groups(r["tests"])
	return "<br>".join("`%s`" % md_escape(group_text(k, g)) for k, g in groups.items())


def row_detail(r):
	if r["status"] == "na":
		return "not applicable: " + r["why"]
	if r["status"] == "none":
		return "no test"
	return ""


def write_md(path, title, reqs, runs, tests, unclaimed, when, hidden=(), deviations=False):
	tot = totals(reqs, hidden, deviations)
	out = ["# %s" % title, ""]
	out.append("Generated %s by `conformance/report.py` from `conformance/requirements.tsv`." % when)
	out.append("")
	for line in run_summary(runs, tests, hidden):
		out.append("- " + line)
	if hidden:
		out.append("- webserv's own tests (the pytest suite and the black-box tests that need its "
		           "demo configuration) are not run against another server: rows only they "
		           "check are counted as *webserv-only test*.")
	out += ["", "## Totals per level", "",
	        "*Enumerated*: every requirement of RFC 9112 that binds a server, and those of RFC "
	        "9110 for what webserv implements, plus the CGI, multipart and 431 claims. "
	        "*Claimed*: the enumerated rows that have tests.", "",
	        "| level | enumerated | claimed | pass | FAIL | known deviation | skipped | "
	        "skipped (fixture) | webserv-only | no test | not applicable |",
	        "|---|---|---|---|---|---|---|---|---|---|---|"]
	for lvl, c in tot.items():
		out.append("| %s | %d | %d | **%d** | %d | %d | %d | %d | %d | %d | %d |" % (
			lvl, c["enumerated"], c["claimed"], c["pass"], c["fail"], c["known"], c["skipped"],
			c["fixture"], c["webserv"], c["gap"], c["na"]))
	out += ["", "## Totals per RFC", "",
	        "| RFC | enumerated | claimed (tests) | pass | FAIL | no test | not applicable |",
	        "|---|---|---|---|---|---|---|"]
	for rfc, c in rfc_totals(reqs, hidden, deviations).items():
		out.append("| %s | %d | %d | %d | %d | %d | %d |" % (
			RFC_NAMES.get(rfc, "RFC " + rfc), c["enumerated"], c["claimed"], c["pass"],
			c["fail"] + c["known"], c["gap"], c["na"]))
	out += ["", "Result: **pass** = every test that ran passed; **FAIL** = a test failed "
	        "(*known deviation*: a documented choice of webserv, reason in the row); "
	        "**skipped** = all its tests were skipped (e.g. they need webserv's own "
	        "configuration); **skipped (fixture)** = the server has no path of the kind the "
	        "tests need (see `--get-path` and the others); **no test** = nothing checks it yet; "
	        "**not applicable** = the requirement binds a role or feature webserv does not have "
	        "(the reason is given).", "", "## Requirements", "",
	        "| id | RFC | section | requirement (the RFC's words) | level | tests | result |",
	        "|---|---|---|---|---|---|---|"]
	for r in sorted(reqs, key=sort_key):
		res = result(r, hidden, deviations)
		cell = row_cell_md(r) if r["status"] == "tests" else md_escape(row_detail(r))
		label = LABEL[res]
		if res in ("fail", "known"):
			label = "**%s**" % label
		if r["note"]:
			label += " — " + md_escape(r["note"])
		out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
			r["id"], r["rfc"], r["section"], md_escape(r["text"]), r["level"], cell or "—", label))
	cs = [t for t in cases(tests) if t.get("suite") not in hidden]
	if cs:
		out += ["", "## Request smuggling and desync", "",
		        "Each case sends the bytes shown (PATH = the static file, HOST = the target's "
		        "authority) on a fresh connection; the expectations are explained in "
		        "`conformance/blackbox/test_bb_smuggling.py`.", "",
		        "| case | rule | expected | bytes sent | result |", "|---|---|---|---|---|"]
		for t in cs:
			res = case_result(t)
			out.append("| `%s` | %s | %s | `%s` | %s |" % (
				t["name"].replace("test_smuggle_", ""), md_escape(t.get("rule", "")),
				t.get("expect", ""), md_escape(show_bytes(t["sends"]).replace("\n", "")),
				"**FAIL**: " + md_escape(t["message"][:200]) if res == "fail" else LABEL[res]))
	fails = [t for t in tests if t["outcome"] in FAILED and t.get("suite") not in hidden]
	if fails:
		out += ["", "## Failed tests", ""]
		for t in fails:
			out.append("- `%s` (%s): %s" % (t["nodeid"], ", ".join(
				"RFC %s §%s %s" % key(m) for m in t["markers"]) or "no marker",
				md_escape(t["message"][:300])))
	if unclaimed:
		out += ["", "## Markers without a listed requirement", "",
		        "These tests carry an `rfc` marker that matches no row of "
		        "`requirements.tsv`: add a row (or fix the marker).", ""]
		for t, m in unclaimed:
			out.append("- `%s`: RFC %s §%s %s" % ((t["nodeid"],) + key(m)))
	with open(path, "w", encoding="utf-8") as f:
		f.write("\n".join(out) + "\n")


CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d1d1d;
background:#fff}
main{max-width:1280px;margin:0 auto;padding:1em 1.5em 3em}
h1{font-size:1.5em;margin:.6em 0 .2em}h2{font-size:1.2em;margin:1.6em 0 .4em}
table{border-collapse:collapse;width:100%;margin:.6em 0}
th,td{border:1px solid #d4d4d4;padding:.3em .5em;vertical-align:top;text-align:left}
thead th{background:#eef0f3;position:sticky;top:0;z-index:1;box-shadow:0 1px 0 #bbb}
code,pre{font:12px/1.35 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{margin:0;white-space:pre-wrap;word-break:break-all}
.r-pass{background:#e6f5e6}.r-fail{background:#fbdcdc}.r-known{background:#fde9d2}
.r-skipped,.r-fixture,.r-webserv{background:#f3f3f3;color:#555}.r-gap{background:#fff6cc}
.r-na{background:#eef2fb;color:#555}
td.res{white-space:nowrap;font-weight:600}
.lvl-MUST{font-weight:700}
.bar{display:flex;height:14px;width:260px;border:1px solid #bbb;border-radius:3px;overflow:hidden}
.bar span{display:block;height:100%}
.b-pass{background:#3c9d3c}.b-fail{background:#d33}.b-known{background:#e98b2a}
.b-skipped,.b-fixture,.b-webserv{background:#aaa}.b-gap{background:#e8c93a}.b-na{background:#9bb0d8}
.filters{position:sticky;top:0;background:#fff;padding:.5em 0;z-index:2;
border-bottom:1px solid #ddd}
.filters label{margin-right:1.2em}
.note{color:#555}.legend span{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 .8em;
vertical-align:-1px;border:1px solid #999}
"""

JS = """
function applyFilters(){
  var res=document.getElementById('f-result').value, lvl=document.getElementById('f-level').value,
      q=document.getElementById('f-text').value.toLowerCase();
  var rows=document.querySelectorAll('tr[data-result]'), shown=0;
  for(var i=0;i<rows.length;i++){
    var r=rows[i], ok=(!res||r.getAttribute('data-result')===res)
      &&(!lvl||r.getAttribute('data-level')===lvl)
      &&(!q||r.textContent.toLowerCase().indexOf(q)>=0);
    r.style.display=ok?'':'none'; if(ok) shown++;
  }
  document.getElementById('f-count').textContent=shown+' rows';
}
"""


def bar(c, keys=tuple(LABEL)):
	total = sum(c[k] for k in keys) or 1
	parts = []
	for k in keys:
		if c[k]:
			parts.append('<span class="b-%s" style="width:%.2f%%" title="%s: %d"></span>'
			             % (k, 100.0 * c[k] / total, LABEL[k], c[k]))
	return '<div class="bar">%s</div>' % "".join(parts)


def html_head(title):
	e = html.escape
	return ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
	        '<meta name="viewport" content="width=device-width, initial-scale=1">',
	        "<title>%s</title><style>%s</style><script>%s</script></head><body><main>"
	        % (e(title), CSS, JS), "<h1>%s</h1>" % e(title)]


def filters(results, extra=""):
	opts = "".join('<option value="%s">%s</option>' % (k, html.escape(LABEL[k])) for k in results)
	return ('<div class="filters"><label>result <select id="f-result" onchange="applyFilters()">'
	        '<option value="">all</option>%s</select></label>'
	        '<label>level <select id="f-level" onchange="applyFilters()"><option value="">all'
	        '</option><option>MUST</option><option>SHOULD</option><option>MAY</option></select>'
	        '</label><label>text <input id="f-text" oninput="applyFilters()" size="24"></label>'
	        '%s<span id="f-count" class="note"></span></div>' % (opts, extra))


def write_html(path, title, reqs, runs, tests, unclaimed, when, hidden=(), deviations=False):
	e = html.escape
	tot = totals(reqs, hidden, deviations)
	h = html_head(title)
	h.append('<p class="note">Generated %s from <code>conformance/requirements.tsv</code>.</p><ul>'
	         % e(when))
	for line in run_summary(runs, tests, hidden):
		h.append("<li>%s</li>" % e(line))
	if hidden:
		h.append("<li>webserv's own tests (the pytest suite and the black-box tests that need its "
		         "demo configuration) are not run against another server: rows only they check "
		         "are counted as <i>webserv-only test</i>.</li>")
	h.append("</ul><h2>Totals per level</h2><table><thead><tr><th>level</th><th>enumerated</th>"
	         "<th>claimed</th><th>pass</th><th>FAIL</th><th>known deviation</th><th>skipped</th>"
	         "<th>skipped (fixture)</th><th>webserv-only</th><th>no test</th>"
	         "<th>not applicable</th><th></th></tr></thead>")
	for lvl, c in tot.items():
		h.append("<tr><td class=\"lvl-%s\">%s</td><td>%d</td><td>%d</td><td><b>%d</b></td><td>%d</td>"
		         "<td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%s</td></tr>"
		         % (lvl, lvl, c["enumerated"], c["claimed"], c["pass"], c["fail"], c["known"],
		            c["skipped"], c["fixture"], c["webserv"], c["gap"], c["na"], bar(c)))
	h.append('</table><p class="legend note">')
	for k in LABEL:
		h.append('<span class="b-%s"></span>%s' % (k, e(LABEL[k])))
	h.append("</p><h2>Totals per RFC</h2><table><thead><tr><th>RFC</th><th>enumerated</th>"
	         "<th>claimed (tests)</th><th>pass</th><th>FAIL</th><th>no test</th>"
	         "<th>not applicable</th></tr></thead>")
	for rfc, c in rfc_totals(reqs, hidden, deviations).items():
		h.append("<tr><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td>"
		         "</tr>" % (e(RFC_NAMES.get(rfc, "RFC " + rfc)), c["enumerated"], c["claimed"],
		                    c["pass"], c["fail"] + c["known"], c["gap"], c["na"]))
	h.append("</table><h2>Requirements</h2>")
	h.append(filters(list(LABEL)))
	h.append("<table><thead><tr><th>id</th><th>RFC</th><th>section</th>"
	         "<th>requirement (the RFC's words)</th><th>level</th><th>tests</th><th>result</th>"
	         "</tr></thead><tbody>")
	for r in sorted(reqs, key=sort_key):
		res = result(r, hidden, deviations)
		cells = []
		if r["status"] == "tests":
			for k, g in test_groups([t for t in r["tests"] if t.get("suite") not in hidden]).items():
				failed = [t for t in r["tests"] if t["outcome"] in FAILED and
				          "%s::%s" % (os.path.splitext(t["file"])[0], t["name"]) == k]
				msg = ' title="%s"' % e(failed[0]["message"][:500]) if failed else ""
				cells.append("<code%s>%s</code>" % (msg, e(group_text(k, g))))
			if not cells and r["tests"]:
				cells.append('<span class="note">%d webserv pytest(s)</span>' % len(r["tests"]))
		else:
			cells.append(e(row_detail(r)))
		label = e(LABEL[res])
		if r["note"]:
			label += '<div class="note" style="font-weight:400;white-space:normal">%s</div>' % e(
				r["note"])
		h.append('<tr class="r-%s" data-result="%s" data-level="%s"><td><code>%s</code></td>'
		         "<td>%s</td><td>%s</td><td>%s</td><td class=\"lvl-%s\">%s</td><td>%s</td>"
		         '<td class="res">%s</td></tr>' % (
		             res, res, r["level"], e(r["id"]), e(r["rfc"]), e(r["section"]), e(r["text"]),
		             r["level"], r["level"], "<br>".join(cells) or "—", label))
	h.append("</tbody></table>")
	cs = [t for t in cases(tests) if t.get("suite") not in hidden]
	if cs:
		h.append("<h2>Request smuggling and desync</h2><p class=\"note\">Each case sends the bytes "
		         "shown (PATH = the static file, HOST = the target's authority) on a fresh "
		         "connection.</p><table><thead><tr><th>case</th><th>rule</th><th>expected</th>"
		         "<th>bytes sent</th><th>result</th></tr></thead>")
		for t in cs:
			res = case_result(t)
			h.append('<tr class="r-%s"><td><code>%s</code></td><td>%s</td><td>%s</td>'
			         '<td><pre>%s</pre></td><td class="res"%s>%s</td></tr>' % (
			             res, e(t["name"].replace("test_smuggle_", "")), e(t.get("rule", "")),
			             e(t.get("expect", "")), e(show_bytes(t["sends"])),
			             ' title="%s"' % e(t["message"][:500]) if res == "fail" else "",
			             e(LABEL[res])))
		h.append("</table>")
	fails = [t for t in tests if t["outcome"] in FAILED and t.get("suite") not in hidden]
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
	h.append("<script>applyFilters()</script></main></body></html>")
	with open(path, "w", encoding="utf-8") as f:
		f.write("\n".join(h) + "\n")


def now():
	return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def cmd_report(a):
	reqs = load_requirements(a.requirements)
	runs, tests = load_results(a.results)
	unclaimed = assign(reqs, tests)
	hidden = tuple(a.hide_suite or ())
	unclaimed = [(t, m) for t, m in unclaimed if t.get("suite") not in hidden]
	when = now()
	if a.merged:
		with open(a.merged, "w", encoding="utf-8") as f:
			json.dump({"runs": runs, "tests": tests}, f, indent=1)
	if a.md:
		write_md(a.md, a.title, reqs, runs, tests, unclaimed, when, hidden, a.deviations)
	if a.html:
		write_html(a.html, a.title, reqs, runs, tests, unclaimed, when, hidden, a.deviations)
	for lvl, c in totals(reqs, hidden, a.deviations).items():
		print("conformance: " + total_line(lvl, c))
	if unclaimed:
		print("conformance: %d rfc markers name no listed requirement (see the report)"
		      % len(unclaimed))
	return 0


# -- comparison ------------------------------------------------------------------------

def load_side(spec, requirements, deviations):
	name, _, path = spec.partition("=")
	reqs = load_requirements(requirements)
	if os.path.exists(path):
		runs, tests = load_results([path])
	else:
		runs, tests = [{"server": "(no results: the run did not complete)"}], []
	assign(reqs, tests)
	return {"name": name, "byid": {r["id"]: r for r in reqs}, "runs": runs, "tests": tests,
	        "dev": name in deviations, "ok": bool(tests)}


def side_result(s, rid):
	return result(s["byid"][rid], (), s["dev"])


def compare_data(a):
	sides = [load_side(spec, a.requirements, a.deviations or ()) for spec in a.side]
	base = load_requirements(a.requirements)
	rows = [r for r in sorted(base, key=sort_key)
	        if any(s["byid"][r["id"]]["tests"] for s in sides)]
	tot = []
	for s in sides:
		t = OrderedDict()
		for lvl in LEVELS:
			c = OrderedDict((k, 0) for k in LABEL)
			lr = [r for r in rows if r["level"] == lvl]
			c["rows"] = len(lr)
			for r in lr:
				c[side_result(s, r["id"])] += 1
			t[lvl] = c
		tot.append(t)
	common = OrderedDict()
	for lvl in LEVELS:
		rr = [r for r in rows if r["level"] == lvl and all(
			side_result(s, r["id"]) in ("pass", "fail", "known") for s in sides)]
		common[lvl] = (len(rr), [sum(side_result(s, r["id"]) == "pass" for r in rr) for s in sides])
	stricter = []
	if sides and sides[0]["name"] == "webserv" and len(sides) > 1:
		for r in rows:
			if side_result(sides[0], r["id"]) != "pass":
				continue
			others = [side_result(s, r["id"]) for s in sides[1:] if s["ok"]]
			if others and all(o in ("fail", "known") for o in others):
				stricter.append(r)
	weaker = OrderedDict()  # other server -> rows webserv passes and it fails
	if sides and sides[0]["name"] == "webserv":
		for s in sides[1:]:
			if s["ok"]:
				weaker[s["name"]] = [r for r in rows if side_result(sides[0], r["id"]) == "pass"
				                     and side_result(s, r["id"]) in ("fail", "known")]
	case_names = []
	for s in sides:
		for t in cases(s["tests"]):
			if t["name"] not in case_names:
				case_names.append(t["name"])
	return sides, rows, tot, common, stricter, case_names, weaker


def side_cell(s, rid):
	r = s["byid"][rid]
	res = side_result(s, rid)
	failed = [k.split("::")[1] for k, g in test_groups(r["tests"]).items() if g["failed"]]
	return res, failed


def case_of(s, name):
	for t in cases(s["tests"]):
		if t["name"] == name:
			return t
	return None


def write_compare_md(path, title, when, data):
	sides, rows, tot, common, stricter, case_names, weaker = data
	names = [s["name"] for s in sides]
	out = ["# %s" % title, "",
	       "Generated %s by `make conformance-compare`: the black-box tests "
	       "(`conformance/blackbox/`) against each server on loopback, each serving a copy of "
	       "`www/` with the demo site's equivalent configuration (`conformance/servers/`)." % when,
	       ""]
	for s in sides:
		for run in s["runs"]:
			out.append("- %s: %s" % (s["name"], run.get("server") or run.get("target", "")))
	out += ["", "## Totals per level (requirements with a black-box test)", "",
	        "| level | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
	for lvl in LEVELS:
		cells = []
		for t in tot:
			c = t[lvl]
			cells.append("%d/%d pass, %d FAIL%s, %d skipped" % (
				c["pass"], c["rows"], c["fail"] + c["known"],
				" (%d known)" % c["known"] if c["known"] else "",
				c["skipped"] + c["fixture"] + c["gap"]))
		out.append("| %s | %s |" % (lvl, " | ".join(cells)))
	out += ["", "On the requirements every server was tested on (no skip on any side):", "",
	        "| level | rows | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
	for lvl, (n, passes) in common.items():
		out.append("| %s | %d | %s |" % (lvl, n, " | ".join("**%d**" % p for p in passes)))
	if stricter:
		out += ["", "## Where webserv is stricter than every other server", "",
		        "Rows webserv passes and every other server that ran fails:", ""]
		for r in stricter:
			out.append("- %s §%s %s `%s`: %s" % (r["rfc"], r["section"], r["level"], r["id"],
			                                   md_escape(r["text"])))
	if weaker:
		out += ["", "## Rows webserv passes and another server fails", ""]
		for name, rs in weaker.items():
			out.append("- **%s** (%d): %s" % (name, len(rs), ", ".join(
				"`%s`" % r["id"] for r in rs) or "none"))
	out += ["", "## Requirements", "",
	        "| id | RFC | section | level | " + " | ".join(names) + " |",
	        "|---|---|---|---|" + "---|" * len(names)]
	for r in rows:
		cells = []
		for s in sides:
			res, failed = side_cell(s, r["id"])
			cell = "**%s**" % LABEL[res] if res in ("fail", "known") else LABEL[res]
			if failed:
				cell += " (" + ", ".join("`%s`" % f for f in failed) + ")"
			cells.append(cell)
		out.append("| %s | %s | %s | %s | %s |" % (r["id"], r["rfc"], r["section"], r["level"],
		                                           " | ".join(cells)))
	if case_names:
		out += ["", "## Request smuggling and desync cases", "",
		        "| case | expected | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
		for name in case_names:
			cells, exp = [], ""
			for s in sides:
				t = case_of(s, name)
				exp = exp or (t or {}).get("expect", "")
				res = case_result(t) if t else "gap"
				cells.append("**FAIL**" if res == "fail" else LABEL[res])
			out.append("| `%s` | %s | %s |" % (name.replace("test_smuggle_", ""), exp,
			                                    " | ".join(cells)))
	with open(path, "w", encoding="utf-8") as f:
		f.write("\n".join(out) + "\n")


def write_compare_html(path, title, when, data):
	e = html.escape
	sides, rows, tot, common, stricter, case_names, weaker = data
	names = [s["name"] for s in sides]
	h = html_head(title)
	h.append('<p class="note">Generated %s by <code>make conformance-compare</code>: the black-box '
	         "tests against each server on loopback with the demo site's equivalent "
	         "configuration.</p><ul>" % e(when))
	for s in sides:
		for run in s["runs"]:
			h.append("<li><b>%s</b>: %s</li>" % (e(s["name"]), e(run.get("server") or
			                                                   run.get("target", ""))))
	h.append("</ul><h2>Totals per level</h2><table><thead><tr><th>server</th><th>level</th>"
	         "<th>rows</th><th>pass</th><th>FAIL</th><th>skipped</th><th></th></tr></thead>")
	for s, t in zip(sides, tot):
		for lvl in LEVELS:
			c = t[lvl]
			h.append("<tr><td>%s</td><td class=\"lvl-%s\">%s</td><td>%d</td><td><b>%d</b></td>"
			         "<td>%d</td><td>%d</td><td>%s</td></tr>" % (
			             e(s["name"]), lvl, lvl, c["rows"], c["pass"], c["fail"] + c["known"],
			             c["skipped"] + c["fixture"] + c["gap"], bar(c)))
	h.append("</table><p class=\"note\">On the requirements every server was tested on: ")
	h.append("; ".join("%s: %s of %d" % (lvl, ", ".join("%s %d" % (n, p) for n, p in
	                                                        zip(names, passes)), n)
	                   for lvl, (n, passes) in common.items()))
	h.append("</p>")
	if stricter:
		h.append("<h2>Where webserv is stricter than every other server</h2><ul>")
		for r in stricter:
			h.append("<li>%s §%s %s <code>%s</code>: %s</li>" % (e(r["rfc"]), e(r["section"]),
			                                                   r["level"], e(r["id"]), e(r["text"])))
		h.append("</ul>")
	if weaker:
		h.append("<h2>Rows webserv passes and another server fails</h2><ul>")
		for name, rs in weaker.items():
			h.append("<li><b>%s</b> (%d): %s</li>" % (e(name), len(rs), ", ".join(
				"<code>%s</code>" % e(r["id"]) for r in rs) or "none"))
		h.append("</ul>")
	h.append("<h2>Requirements</h2>")
	h.append(filters([k for k in LABEL if k not in ("webserv", "na")]))
	h.append("<table><thead><tr><th>id</th><th>RFC</th><th>section</th><th>requirement</th>"
	         "<th>level</th>%s</tr></thead><tbody>" % "".join("<th>%s</th>" % e(n) for n in names))
	for r in rows:
		cells, results = [], []
		for s in sides:
			res, failed = side_cell(s, r["id"])
			results.append(res)
			msg = ""
			if failed:
				ft = [t for t in s["byid"][r["id"]]["tests"] if t["outcome"] in FAILED]
				msg = ' title="%s"' % e(ft[0]["message"][:400]) if ft else ""
			cells.append('<td class="r-%s res"%s>%s%s</td>' % (
				res, msg, e(LABEL[res]), "<br><code>%s</code>" % e(", ".join(failed)) if failed else ""))
		# filter on the first column's result (webserv)
		h.append('<tr data-result="%s" data-level="%s"><td><code>%s</code></td><td>%s</td><td>%s</td>'
		         "<td>%s</td><td class=\"lvl-%s\">%s</td>%s</tr>" % (
		             results[0], r["level"], e(r["id"]), e(r["rfc"]), e(r["section"]), e(r["text"]),
		             r["level"], r["level"], "".join(cells)))
	h.append("</tbody></table>")
	if case_names:
		h.append("<h2>Request smuggling and desync cases</h2><table><thead><tr><th>case</th>"
		         "<th>rule</th><th>bytes sent</th>%s</tr></thead>" % "".join(
		             "<th>%s</th>" % e(n) for n in names))
		for name in case_names:
			first = next((case_of(s, name) for s in sides if case_of(s, name)), {})
			cells = []
			for s in sides:
				t = case_of(s, name)
				res = case_result(t) if t else "gap"
				msg = ' title="%s"' % e(t["message"][:400]) if t and res == "fail" else ""
				cells.append('<td class="r-%s res"%s>%s</td>' % (res, msg, e(LABEL[res])))
			h.append("<tr><td><code>%s</code></td><td>%s<br><i>%s</i></td><td><pre>%s</pre></td>%s"
			         "</tr>" % (e(name.replace("test_smuggle_", "")), e(first.get("rule", "")),
			                    e(first.get("expect", "")), e(show_bytes(first.get("sends", ""))),
			                    "".join(cells)))
		h.append("</table>")
	h.append("<script>applyFilters()</script></main></body></html>")
	with open(path, "w", encoding="utf-8") as f:
		f.write("\n".join(h) + "\n")


def cmd_compare(a):
	data = compare_data(a)
	when = now()
	if a.md:
		write_compare_md(a.md, a.title, when, data)
	if a.html:
		write_compare_html(a.html, a.title, when, data)
	sides, rows, tot, common, stricter, _, weaker = data
	for s, t in zip(sides, tot):
		print("conformance: %s: %s" % (s["name"], "; ".join(
			"%s %d/%d" % (lvl, c["pass"], c["rows"]) for lvl, c in t.items())))
	print("conformance: %d requirements compared, webserv stricter than all others on %d"
	      % (len(rows), len(stricter)))
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
	r.add_argument("--hide-suite", action="append", metavar="SUITE",
	               help="tests of this suite only mark rows as webserv-only")
	r.add_argument("--deviations", action="store_true",
	               help="the server is webserv: failures of `deviation:` rows are known")
	c = sub.add_parser("compare")
	c.add_argument("--side", action="append", required=True, metavar="NAME=RESULTS.json")
	c.add_argument("--md")
	c.add_argument("--html")
	c.add_argument("--deviations", action="append", metavar="NAME",
	               help="the side that is webserv (its `deviation:` rows are known)")
	c.add_argument("--title", default="webserv, nginx, lighttpd and h2o: black-box conformance")
	a = ap.parse_args(argv)
	return cmd_report(a) if a.cmd == "report" else cmd_compare(a)


if __name__ == "__main__":
	sys.exit(main())
