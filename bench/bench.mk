# `make bench`: webserv side by side with nginx, lighttpd and h2o, and the
# request parser next to http_parser (bench/README.md).  Included by the
# top-level Makefile; every name here starts with BENCH_ or bench.
# Not part of `make test`: benchmarks have no thresholds.
#
#   make bench                 full run (bounded by BENCH_MAX_SECONDS, 1200)
#   make bench BENCH_QUICK=1   a few minutes
#   make bench-parser          the parser benchmark alone

BENCH_PKGS   := wrk nginx-light lighttpd h2o valgrind strace curl
BENCH_QUICK  ?= 0
BENCH_FLAGS  := -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Iinclude
BENCH_OUT    := build/bench
BENCH_PARSER_SRCS := bench/parser/bench_parser.c src/request.c src/slice.c
BENCH_PARSER_N    := $(if $(filter 1,$(BENCH_QUICK)),50000,200000)

.PHONY: bench bench-deps bench-parser

bench-deps:
	@WEBSERV_EXTRA_PKGS="$(BENCH_PKGS)" bash ci/deps.sh

# The same flags for webserv's parser and http_parser's library build
# (Debian's, -O2); http_parser is linked into this program only.
$(BENCH_OUT)/bench_parser: $(BENCH_PARSER_SRCS) include/request.h
	@mkdir -p $(BENCH_OUT)
	$(CC) $(BENCH_FLAGS) -o $@ $(BENCH_PARSER_SRCS) -lhttp_parser

$(BENCH_OUT)/bench_parser_portable: $(BENCH_PARSER_SRCS) include/request.h
	@mkdir -p $(BENCH_OUT)
	$(CC) $(BENCH_FLAGS) -DREQUEST_SCAN_PORTABLE -o $@ $(BENCH_PARSER_SRCS) -lhttp_parser

bench-parser: bench-deps $(BENCH_OUT)/bench_parser $(BENCH_OUT)/bench_parser_portable
	bash bench/parser/run.sh $(BENCH_OUT)/bench_parser $(BENCH_OUT)/bench_parser_portable \
		$(BENCH_PARSER_N) > $(BENCH_OUT)/parser.md
	@cat $(BENCH_OUT)/parser.md

bench: bench-deps
	$(MAKE) all
	$(MAKE) bench-parser
	BENCH_QUICK=$(BENCH_QUICK) /usr/bin/python3 bench/run.py
