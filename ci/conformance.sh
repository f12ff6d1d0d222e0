#!/usr/bin/env bash
# RFC conformance runs (see conformance/README.md).
#   ci/conformance.sh                   webserv: black-box tests on the demo
#                                       config + the pytest suite ->
#                                       conformance/REPORT.md, report.html
#   ci/conformance.sh --target URL      black-box tests against any server ->
#                                       build/conformance-target/REPORT.md
#   ci/conformance.sh --nginx           webserv vs Debian's nginx ->
#                                       conformance/COMPARISON.md
# Extra arguments go to conformance/run.py (--out DIR, --bin PATH).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-/usr/bin/python3}
"$PY" -c 'import pytest' 2>/dev/null || {
	echo "conformance: python3-pytest is missing (make deps, or apt-get install python3-pytest python3-requests)" >&2
	exit 2
}
if [ "${1:-}" = "--nginx" ]; then
	shift
	exec "$PY" conformance/run.py nginx "$@"
fi
exec "$PY" conformance/run.py conformance "$@"
