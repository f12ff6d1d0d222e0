#!/bin/sh
# `make oss-fuzz-check`: runs fuzz/oss-fuzz/build.sh as OSS-Fuzz's
# base-builder would for libFuzzer + AddressSanitizer (the same variables,
# the same flags), then checks what it wrote to $OUT and runs every
# fuzzer for SECONDS on its unpacked seed corpus with its options.
#   check.sh DIR SECONDS
set -u
dir=$1 secs=$2
rm -rf "$dir"
mkdir -p "$dir/out" "$dir/work" "$dir/run"
san="-fsanitize=address -fsanitize-address-use-after-scope"
CC=clang CXX=clang++ \
CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only $san -fsanitize=fuzzer-no-link" \
CXXFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only $san -fsanitize=fuzzer-no-link" \
LIB_FUZZING_ENGINE=-fsanitize=fuzzer SANITIZER=address FUZZING_ENGINE=libfuzzer \
ARCHITECTURE=x86_64 FUZZING_LANGUAGE=c \
SRC=$(cd .. && pwd) OUT=$(pwd)/$dir/out WORK=$(pwd)/$dir/work \
	nice bash fuzz/oss-fuzz/build.sh > "$dir/build.log" 2>&1 ||
	{ tail -20 "$dir/build.log"; echo "oss-fuzz-check: build.sh failed"; exit 1; }

fail=0
n=0
for h in $(make -s fuzz-list | cut -d' ' -f1); do
	b=$dir/out/fuzz_$h
	for f in "$b" "${b}_seed_corpus.zip" "$b.dict" "$b.options"; do
		[ -s "$f" ] || { echo "oss-fuzz-check: $f missing"; fail=1; }
	done
	[ -x "$b" ] || continue
	c=$dir/run/$h
	mkdir -p "$c"
	unzip -q -o "${b}_seed_corpus.zip" -d "$c"
	maxlen=$(sed -n 's/^max_len = //p' "$b.options")
	log=$dir/run/$h.log
	if nice "$b" -max_total_time="$secs" -timeout=25 -dict="$b.dict" \
		${maxlen:+-max_len=$maxlen} -print_final_stats=1 \
		-artifact_prefix="$dir/run/$h-" "$c" > "$log" 2>&1; then
		sh fuzz/summary.sh "$h" "$log"
		n=$((n + 1))
	else
		echo "oss-fuzz-check: fuzz_$h failed"; tail -15 "$log"; fail=1
	fi
done
[ "$fail" -eq 0 ] && echo "oss-fuzz-check: $n fuzzers built by build.sh and run ${secs} s each"
exit $fail
