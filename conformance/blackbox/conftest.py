"""Fixtures of the black-box conformance tests.

CONFORMANCE_TARGET=http://HOST:PORT names the server under test; without it
every test is skipped. Tests marked `demo` need webserv's own demo
configuration (uploads, CGI, virtual hosts): they run only when
CONFORMANCE_DEMO=1 (set by `make conformance` when it starts webserv on
conf/default.conf itself) and are skipped, and counted as skipped, against
any other server.
"""

import os
import sys
from pathlib import Path

import pytest

# The raw client is the one of the pytest suite (pytests/wsh.py): only the
# standard library, so this suite still runs against any server.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "pytests"))
import wsh  # noqa: E402

WWW = Path(os.environ.get("CONFORMANCE_WWW") or Path(__file__).resolve().parents[2] / "www")


def pytest_configure(config):
	config.addinivalue_line("markers", "rfc(rfc, section, level): the protocol rule the test checks")
	config.addinivalue_line("markers", "demo: needs webserv's demo configuration (conf/default.conf)")


def pytest_collection_modifyitems(config, items):
	target = os.environ.get("CONFORMANCE_TARGET")
	demo = os.environ.get("CONFORMANCE_DEMO") == "1"
	for item in items:
		if not target:
			item.add_marker(pytest.mark.skip(reason="CONFORMANCE_TARGET is not set"))
		elif item.get_closest_marker("demo") and not demo:
			item.add_marker(pytest.mark.skip(reason="needs webserv's own configuration"))


@pytest.fixture(scope="session")
def t():
	"""The server under test (a wsh.Target)."""
	return wsh.Target(os.environ["CONFORMANCE_TARGET"],
	                  timeout=float(os.environ.get("CONFORMANCE_TIMEOUT", "5")))


@pytest.fixture(scope="session")
def www():
	"""The local copy of the served content (the repository's www/)."""
	return WWW
