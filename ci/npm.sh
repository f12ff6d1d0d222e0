#!/usr/bin/env bash
# Installs the Node.js devDependencies (newman, @action-validator/cli) into
# ./node_modules with `npm ci` (pinned by package-lock.json) when one of
# them is missing; installs Debian's nodejs and npm first when absent.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	# Debian's own Node.js (18 on Debian 12) is enough.
	WEBSERV_EXTRA_PKGS="nodejs npm" bash ci/deps.sh || exit 2
fi
for tool in node npm; do
	command -v "$tool" >/dev/null || { echo "npm.sh: $tool is not installed (Node.js 16+ with npm)" >&2; exit 2; }
done
for bin in newman action-validator; do
	if [ ! -x "node_modules/.bin/$bin" ]; then
		echo "npm.sh: installing the devDependencies into ./node_modules"
		if [ -f package-lock.json ]; then
			npm ci --no-audit --no-fund --loglevel=error
		else
			npm install --no-audit --no-fund --loglevel=error
		fi
		break
	fi
done
