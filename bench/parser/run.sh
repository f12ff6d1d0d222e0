#!/usr/bin/env bash
# Parser benchmark: instructions per parse under callgrind (the primary
# figure: stable on a loaded machine) and wall time (best of 5), webserv's
# request_parse() with SSE4.2 scans and with the portable table scans,
# next to http_parser built with the same flags.
#   run.sh BIN_SSE42 BIN_PORTABLE [N_WALL] [N_CALLGRIND]   -> Markdown on stdout
set -eu
sse=$1
portable=$2
nwall=${3:-200000}
ncg=${4:-2000}
here=$(dirname "$0")
echo "## Request parser (bench/parser/)"
echo
echo "picohttpparser's bench request (long, 703 bytes) and a short GET (35 bytes);"
echo "http_parser $(dpkg-query -W -f='${Version}' libhttp-parser-dev 2>/dev/null || echo '?')"
echo "(Debian libhttp-parser-dev) with on_url/on_header_field/on_header_value"
echo "callbacks keeping the pieces, as request_parse gives them.  Instructions per parse"
echo "(callgrind) are for the portable table scans: valgrind does not emulate the"
echo "SSE4.2 string instructions; wall time is the fastest of 25 batches, the two parsers alternating."
echo
echo "| request | webserv (portable) Ir | http_parser Ir | ratio |"
echo "|---|---|---|---|"
"$here/callgrind.sh" "$portable" "$ncg"
echo
echo "Wall time, SSE4.2 build (the default where the CPU has it):"
echo
"$sse" "$nwall"
echo
echo "Wall time, portable build:"
echo
"$portable" "$nwall"
