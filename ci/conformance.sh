#!/usr/bin/env bash
# RFC conformance runs (see conformance/README.md).
#   ci/conformance.sh webserv [--bin ./webserv]    webserv's own report
#   ci/conformance.sh target --target URL [--get-path P --listing-path P
#                     --redirect-path P --post-path P] [--fail-on MUST]
#                                                  any server, black-box only
#   ci/conformance.sh compare [--servers LIST]     side by side
#   ci/conformance.sh samples                      refresh conformance/*.md
# The arguments go to conformance/run.py. Exit status 2: the run could not
# be done (missing pytest, a target or fixture that is not there).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-/usr/bin/python3}
"$PY" -c 'import pytest' 2>/dev/null || {
	echo "conformance: python3-pytest is missing (make deps, or apt-get install python3-pytest)" >&2
	exit 2
}
export PYTHON="$PY"
exec "$PY" conformance/run.py "$@"
