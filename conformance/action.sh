#!/usr/bin/env bash
# The script of the composite action (action.yml at the top of the
# repository); it runs by hand the same way:
#
#   CONFORMANCE_TARGET=http://127.0.0.1:8080 bash conformance/action.sh
#
# Inputs, from the environment: CONFORMANCE_TARGET (required),
# CONFORMANCE_GET_PATH, CONFORMANCE_LISTING_PATH, CONFORMANCE_REDIRECT_PATH,
# CONFORMANCE_POST_PATH (`none` for a kind the server lacks; unset: the demo
# site's), CONFORMANCE_FAIL_ON (levels that fail the run, default MUST;
# empty for none), CONFORMANCE_OUT (report directory, default
# ./conformance-report).
# It runs `conformance/run.py target` (the same run as `make conformance
# CONFORMANCE_TARGET=...`), appends a Markdown summary to
# $GITHUB_STEP_SUMMARY (or OUT/summary.md) and writes report-dir=OUT to
# $GITHUB_OUTPUT when that is set.
# Exit status: 0 passed, 1 a requirement of a failing level failed, 2 the
# target or a fixture is missing (nothing was reported).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

pick_python() {
	for py in "${PYTHON:-}" python3 /usr/bin/python3; do
		[ -n "$py" ] && "$py" -c 'import pytest' 2>/dev/null && { echo "$py"; return 0; }
	done
	return 1
}
PY=$(pick_python) || {
	echo "conformance: installing pytest" >&2
	if command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pytest >&2 ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pytest; } >&2
	elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
		sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pytest >&2
	else
		python3 -m pip install --user --quiet pytest >&2
	fi
	PY=$(pick_python) || { echo "conformance: no Python 3 with pytest" >&2; exit 2; }
}
export PYTHON="$PY"

[ -n "${CONFORMANCE_TARGET:-}" ] || { echo "conformance: CONFORMANCE_TARGET (the action's target) is empty" >&2; exit 2; }
out=${CONFORMANCE_OUT:-$PWD/conformance-report}
mkdir -p "$out"
summary=${GITHUB_STEP_SUMMARY:-$out/summary.md}
"$PY" "$here/run.py" target --target "$CONFORMANCE_TARGET" --out "$out" \
	--fail-on "${CONFORMANCE_FAIL_ON-MUST}" --summary "$summary"
rc=$?
if [ -n "${GITHUB_OUTPUT:-}" ] && [ -f "$out/REPORT.md" ]; then
	echo "report-dir=$out" >> "$GITHUB_OUTPUT"
fi
exit $rc
