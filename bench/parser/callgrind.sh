#!/usr/bin/env bash
# Instructions per parse under callgrind (stable on a loaded machine):
#   callgrind.sh BINARY [N]  -> Markdown rows: request, webserv Ir, http_parser Ir, ratio
set -eu
bin=$1
n=${2:-2000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
ir() { # parser request
	valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
		--toggle-collect="run_$1" "$bin" "$1" "$2" "$n" >/dev/null 2>"$out/log" ||
		{ cat "$out/log" >&2; exit 1; }
	# "events: Ir" then "summary: N" / "totals: N"
	awk '/^(summary|totals):/ { print $2; exit }' "$out/cg"
}
for r in long short; do
	a=$(ir webserv "$r")
	b=$(ir http_parser "$r")
	awk -v r="$r" -v a="$a" -v b="$b" -v n="$n" \
		'BEGIN { printf "| %s | %.0f | %.0f | %.3f |\n", r, a / n, b / n, a / b }'
done
