#!/usr/bin/env bash
# Runs the Postman collection headless with newman against a fresh webserv
# on a temporary copy of conf/default.conf (free ports, uploads in a temp
# dir). newman is a devDependency installed into ./node_modules by
# ci/npm.sh (npm ci from package-lock.json) when missing. Exit status: newman's (non-zero when a
# request or a pm.test fails), or 1 when the server did not stop cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-/usr/bin/python3}
BIN=${WEBSERV_BIN:-./webserv}

bash ci/npm.sh || exit 2
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
