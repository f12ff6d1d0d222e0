#!/usr/bin/env bash
# Runs the Postman collection headless with newman against a fresh webserv
# on a temporary copy of conf/default.conf (free ports, uploads in a temp
# dir). newman is a devDependency installed into ./node_modules (npm ci from
# package-lock.json) when missing. Exit status: newman's (non-zero when a
# request or a pm.test fails), or 1 when the server did not stop cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-/usr/bin/python3}
BIN=${WEBSERV_BIN:-./webserv}

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	# Debian's own Node.js (18 on Debian 12) is enough for newman.
	WEBSERV_EXTRA_PKGS="nodejs npm" bash ci/deps.sh || exit 2
fi
for tool in node npm; do
	command -v "$tool" >/dev/null || { echo "postman: $tool is not installed (Node.js 16+ with npm)" >&2; exit 2; }
done
if [ ! -x node_modules/.bin/newman ]; then
	echo "postman: installing newman into ./node_modules"
	if [ -f package-lock.json ]; then
		npm ci --no-audit --no-fund --loglevel=error
	else
		npm install --no-audit --no-fund --loglevel=error
	fi
fi
[ -x "$BIN" ] || { echo "postman: $BIN is missing (make webserv)" >&2; exit 2; }

exec "$PY" conformance/demo.py run --bin "$BIN" -- \
	node_modules/.bin/newman run postman/webserv.postman_collection.json \
	--environment postman/webserv.postman_environment.json \
	--env-var "baseUrl={url}" \
	--working-dir "$PWD" \
	--reporters cli \
	--color off \
	--timeout-request 15000 \
	"$@"
