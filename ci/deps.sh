#!/usr/bin/env bash
# Checks for the Debian packages the test suites need and installs the
# missing ones when run as root; otherwise prints the exact command.
set -u
pkgs=(python3-pytest python3-requests libcmocka-dev libhttp-parser-dev python3-h11 php-cgi man-db groff-base chromium chromium-driver python3-selenium ${WEBSERV_EXTRA_PKGS:-})
missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { echo "deps: all present (${pkgs[*]})"; exit 0; }
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing ${missing[*]}; run as root: apt-get update && $cmd" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Servers installed for the conformance comparison (nginx, lighttpd, h2o)
# must not start their own services: keep invoke-rc.d from starting any
# while installing, unless a policy is already in place.
guard=/usr/sbin/policy-rc.d
made_guard=0
if [ ! -e "$guard" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$guard" && chmod 755 "$guard" && made_guard=1
fi
drop_guard() { [ "$made_guard" = 1 ] && rm -f "$guard"; return 0; }
apt-get update -qq || { drop_guard; echo "deps: apt-get update failed" >&2; exit 1; }
$cmd || { drop_guard; echo "deps: '$cmd' failed" >&2; exit 1; }
drop_guard
