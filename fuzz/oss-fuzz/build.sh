#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script for webserv's fuzz targets.
#
# Follows the OSS-Fuzz build contract: compiles with $CC and $CFLAGS,
# links with $CXX $CXXFLAGS $LIB_FUZZING_ENGINE, and writes to $OUT one
# binary per harness (fuzz_H), its seed corpus (fuzz_H_seed_corpus.zip:
# fuzz/corpus/H plus fuzz/regressions/H), its dictionary (fuzz_H.dict)
# and its options (fuzz_H.options).  Run from the checkout (the
# Dockerfile's WORKDIR); `make oss-fuzz-check` runs it locally.
#
# The harness list and each harness's sources come from fuzz/fuzz.mk
# (`make -s fuzz-list`), so this script never goes out of date.
#
# The differential harness needs http_parser 2.9.4: built from
# $SRC/http-parser when the Dockerfile cloned it there (instrumented,
# with HTTP_PARSER_STRICT=0 as Debian's libhttp-parser-dev is built),
# otherwise Debian's static libhttp_parser.a.

: "${CC:?}" "${CXX:?}" "${CFLAGS:?}" "${CXXFLAGS:?}" "${LIB_FUZZING_ENGINE:?}" "${OUT:?}"
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$OUT" "$WORK"

flags="$CFLAGS -std=c17 -D_GNU_SOURCE -Iinclude -Ifuzz"

hp_lib="-l:libhttp_parser.a"
if [ -f "${SRC:-/nonexistent}/http-parser/http_parser.c" ]; then
	$CC $CFLAGS -DHTTP_PARSER_STRICT=0 -I"$SRC/http-parser" \
		-c "$SRC/http-parser/http_parser.c" -o "$WORK/http_parser.o"
	hp_lib="$WORK/http_parser.o"
	flags="$flags -I$SRC/http-parser"
fi

make -s fuzz-list > "$WORK/list"
while read -r h maxlen srcs; do
	objs=()
	for f in fuzz/fuzz_$h.c $srcs; do
		o="$WORK/${h}_$(basename "$f" .c).o"
		$CC $flags -c "$f" -o "$o"
		objs+=("$o")
	done
	libs=""
	[ "$h" = differential ] && libs=$hp_lib
	$CXX $CXXFLAGS $LIB_FUZZING_ENGINE "${objs[@]}" $libs -o "$OUT/fuzz_$h"

	rm -f "$OUT/fuzz_${h}_seed_corpus.zip"
	find -L "fuzz/corpus/$h" "fuzz/regressions/$h" -type f 2>/dev/null |
		zip -q -j -@ "$OUT/fuzz_${h}_seed_corpus.zip"
	cp fuzz/http.dict "$OUT/fuzz_$h.dict"
	{
		echo "[libfuzzer]"
		echo "dict = fuzz_$h.dict"
		[ "$maxlen" = - ] || echo "max_len = $maxlen"
	} > "$OUT/fuzz_$h.options"
done < "$WORK/list"
