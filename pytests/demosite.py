"""The demo site as `make run` serves it, copied into a test's temp dir:
conf/default.conf (its listen ports swapped for free ones), conf/mime.types,
www/ and cgi/, in the same layout, so the configuration's relative paths
(`root ../www;`, `root ..;`) work unchanged and every upload, session and
CGI store lands in the temp dir, never in the checkout.

    srv = demo.start(module_server)
"""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _tree(top, skip=()):
	out = {}
	for p in sorted((REPO / top).rglob("*")):
		rel = p.relative_to(REPO / top).as_posix()
		if p.is_file() and not any(rel.startswith(s) for s in skip):
			out[rel] = p.read_bytes()
	return out


def conf_text():
	"""conf/default.conf with {port} and {port2} for its two addresses."""
	text = (REPO / "conf" / "default.conf").read_text()
	assert "127.0.0.1:8080" in text and "127.0.0.1:8081" in text
	return text.replace("127.0.0.1:8080", "127.0.0.1:{port}").replace(
		"127.0.0.1:8081", "127.0.0.1:{port2}")


def kwargs():
	"""Keyword arguments for the `server`/`module_server` factories
	(conftest): the files of www/ as the docroot, cgi/ and mime.types
	beside it, and an empty cgi/sessions/ (session.py keeps its sessions
	there when it exists)."""
	tmpfiles = {"conf/mime.types": (REPO / "conf" / "mime.types").read_bytes()}
	for rel, data in _tree("cgi", skip=("sessions", "uploads")).items():
		tmpfiles["cgi/" + rel] = data
	files = _tree("www", skip=("uploads/",))
	return {"files": files, "tmpfiles": tmpfiles, "dirs": ["cgi/sessions", "www/uploads"],
	        "conf_name": "conf/default.conf"}


def start(factory):
	"""The demo server from a `server`/`module_server` factory."""
	return factory(conf_text(), **kwargs())
