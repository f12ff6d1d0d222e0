# Fuzzing (fuzz/README.md).  Included by the top-level Makefile; every
# variable here starts with FUZZ_ (or AFL_) so nothing clashes with it.
#
#   make fuzz-build                 libFuzzer + replay binaries (build/fuzz/)
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_MODE=fast] [FUZZ_ARGS=-fork=N]
#                                   every libFuzzer harness in turn
#   make fuzz-smoke                 the same, FUZZ_SMOKE_SECONDS (20) each, full oracles
#   make fuzz-replay                corpora + regressions, no libFuzzer (make test)
#   make fuzz-afl HARNESS=request [AFL_SECONDS=600] [JOBS=N] [FUZZ_MODE=fast]
#                                   AFL++: one main (-M) and N-1 secondaries (-S)
#   make fuzz-cmin                  minimise fuzz/corpus/* with -merge=1
#   make oss-fuzz-check             fuzz/oss-fuzz/build.sh as OSS-Fuzz runs it, each fuzzer briefly

FUZZ_HARNESSES := request request_portable chunked uri range cgi_head multipart config route \
	differential proxy

# Sources of each harness (src/slice.c is added to all).
FUZZ_SRC_request   := src/request.c
# The same parser without SSE4.2: fuzz_request_portable.c includes it.
FUZZ_SRC_request_portable :=
FUZZ_PORTABLE_DEPS := src/request.c fuzz/fuzz_request.c
FUZZ_SRC_chunked   := src/chunked.c
FUZZ_SRC_uri       := src/uri.c
FUZZ_SRC_range     := src/range.c
FUZZ_SRC_cgi_head  := src/cgi_head.c
FUZZ_SRC_multipart := src/multipart.c
FUZZ_SRC_config    := src/config.c src/realip.c src/addr.c
FUZZ_SRC_route     := src/route.c src/config.c src/uri.c src/realip.c src/addr.c
FUZZ_SRC_differential := src/request.c src/chunked.c src/uri.c
FUZZ_SRC_proxy     := src/proxy.c

# Libraries linked into one harness only (never into webserv): the
# differential harness's second parser, Debian's libhttp-parser-dev.
FUZZ_LIBS_differential := -lhttp_parser

# Per-harness libFuzzer options: longer inputs where the limits are large.
FUZZ_OPT_request   := -max_len=36000
FUZZ_OPT_request_portable := -max_len=36000
FUZZ_OPT_cgi_head  := -max_len=20000
FUZZ_OPT_multipart := -max_len=12000
FUZZ_OPT_differential := -max_len=36000
FUZZ_OPT_proxy     := -max_len=4200

FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_CC            ?= clang
FUZZ_REPLAY_CC     ?= gcc
FUZZ_AFL_CC        ?= afl-clang-fast
FUZZ_EXTRA_CFLAGS  ?=
FUZZ_ARGS          ?=
AFL_SECONDS        ?= 600
HARNESS            ?= request
JOBS               ?= 1
# full: every oracle (smoke, replay); fast: the prefix and split oracles
# of request, chunked, cgi_head and multipart try one input-chosen point.
FUZZ_MODE          ?= full
OSS_FUZZ_SECONDS   ?= 5

FUZZ_OUT   := build/fuzz
FUZZ_WARN  := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
FUZZ_BASE  := -std=c17 -D_GNU_SOURCE $(FUZZ_WARN) -g -O1 -fno-omit-frame-pointer \
	-Iinclude -Ifuzz $(FUZZ_EXTRA_CFLAGS)
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_SUFFIX      := $(if $(filter fast,$(FUZZ_MODE)),-fast,)
FUZZ_LF_BINS     := $(FUZZ_HARNESSES:%=$(FUZZ_OUT)/libfuzzer/fuzz_%)
FUZZ_RUN_BINS    := $(FUZZ_HARNESSES:%=$(FUZZ_OUT)/libfuzzer$(FUZZ_SUFFIX)/fuzz_%)
FUZZ_REPLAY_BINS := $(FUZZ_HARNESSES:%=$(FUZZ_OUT)/replay/fuzz_%)
FUZZ_DEPS  := fuzz/fuzz.h fuzz/fuzz.mk $(wildcard include/*.h)

# The prerequisites name each harness's sources: $$(FUZZ_SRC_$$*).
.SECONDEXPANSION:

.PHONY: fuzz fuzz-build fuzz-replay fuzz-replay-build fuzz-smoke fuzz-afl \
	fuzz-cmin fuzz-clean fuzz-deps fuzz-list oss-fuzz-check

$(FUZZ_OUT)/libfuzzer/fuzz_%: fuzz/fuzz_%.c $(FUZZ_DEPS) src/slice.c $$(FUZZ_SRC_$$*)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_BASE) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ \
		$< $(FUZZ_SRC_$*) src/slice.c $(FUZZ_LIBS_$*)

$(FUZZ_OUT)/libfuzzer-fast/fuzz_%: fuzz/fuzz_%.c $(FUZZ_DEPS) src/slice.c $$(FUZZ_SRC_$$*)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_BASE) -DFUZZ_FAST -fsanitize=fuzzer $(FUZZ_SAN) -o $@ \
		$< $(FUZZ_SRC_$*) src/slice.c $(FUZZ_LIBS_$*)

$(FUZZ_OUT)/replay/fuzz_%: fuzz/fuzz_%.c fuzz/replay.c $(FUZZ_DEPS) src/slice.c $$(FUZZ_SRC_$$*)
	@mkdir -p $(@D)
	$(FUZZ_REPLAY_CC) $(FUZZ_BASE) $(FUZZ_SAN) -o $@ \
		$< fuzz/replay.c $(FUZZ_SRC_$*) src/slice.c $(FUZZ_LIBS_$*)

# AFL++ persistent mode through fuzz/replay.c's __AFL_LOOP, with ASan.
$(FUZZ_OUT)/afl/fuzz_%: fuzz/fuzz_%.c fuzz/replay.c $(FUZZ_DEPS) src/slice.c $$(FUZZ_SRC_$$*)
	@mkdir -p $(@D)
	AFL_USE_ASAN=1 AFL_USE_UBSAN=1 AFL_QUIET=1 $(FUZZ_AFL_CC) $(FUZZ_BASE) \
		-o $@ $< fuzz/replay.c $(FUZZ_SRC_$*) src/slice.c $(FUZZ_LIBS_$*)

$(FUZZ_OUT)/afl-fast/fuzz_%: fuzz/fuzz_%.c fuzz/replay.c $(FUZZ_DEPS) src/slice.c $$(FUZZ_SRC_$$*)
	@mkdir -p $(@D)
	AFL_USE_ASAN=1 AFL_USE_UBSAN=1 AFL_QUIET=1 $(FUZZ_AFL_CC) $(FUZZ_BASE) \
		-DFUZZ_FAST -o $@ $< fuzz/replay.c $(FUZZ_SRC_$*) src/slice.c \
		$(FUZZ_LIBS_$*)

fuzz-build: $(FUZZ_LF_BINS) $(FUZZ_REPLAY_BINS)

fuzz-replay-build: $(FUZZ_REPLAY_BINS)

# What `make test` runs: every committed input through the sanitised
# replay binaries; fails on any oracle or sanitizer report.
fuzz-replay: $(FUZZ_REPLAY_BINS)
	@fail=0; for h in $(FUZZ_HARNESSES); do \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(FUZZ_OUT)/replay/fuzz_$$h fuzz/corpus/$$h \
			fuzz/regressions/$$h || fail=1; \
	done; exit $$fail

# One harness for $(2) seconds: new inputs go to build/fuzz/work/H
# (fuzz/corpus/H is read only), crashes to build/fuzz/artifacts/H-*, the
# log to build/fuzz/logs/H.log; then its summary line.  One shell line.
FUZZ_RUN_ONE = mkdir -p $(FUZZ_OUT)/work/$(1) fuzz/corpus/$(1); \
	echo "== fuzz_$(1): $(2) s $(3)"; \
	$(FUZZ_OUT)/libfuzzer$(3)/fuzz_$(1) -max_total_time=$(2) -timeout=25 \
		-dict=fuzz/http.dict -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_OUT)/artifacts/$(1)- $(FUZZ_OPT_$(1)) \
		$(FUZZ_ARGS) $(FUZZ_OUT)/work/$(1) fuzz/corpus/$(1) \
		$(wildcard fuzz/regressions/$(1)) \
		> $(FUZZ_OUT)/logs/$(1).log 2>&1 || fail=1; \
	sh fuzz/summary.sh $(1) $(FUZZ_OUT)/logs/$(1).log;

FUZZ_RUN_ALL = @mkdir -p $(FUZZ_OUT)/logs $(FUZZ_OUT)/artifacts; fail=0; \
	$(foreach h,$(FUZZ_HARNESSES),$(call FUZZ_RUN_ONE,$(h),$(1),$(2))) \
	echo "logs: $(FUZZ_OUT)/logs/  crashes: $(FUZZ_OUT)/artifacts/"; \
	exit $$fail

fuzz: fuzz-deps
	$(MAKE) $(FUZZ_RUN_BINS)
	$(call FUZZ_RUN_ALL,$(FUZZ_SECONDS),$(FUZZ_SUFFIX))

# The smoke always runs the full oracles.
fuzz-smoke: fuzz-deps
	$(MAKE) $(FUZZ_LF_BINS)
	$(call FUZZ_RUN_ALL,$(FUZZ_SMOKE_SECONDS),)

# clang and libFuzzer's runtime (ci/deps.sh adds libhttp-parser-dev).
fuzz-deps:
	@WEBSERV_EXTRA_PKGS="clang libclang-rt-14-dev" bash ci/deps.sh

# AFL++ needs the afl++ package (ci/deps.sh installs it when root).
# JOBS=N: one main instance (-M main) and N-1 secondaries (-S sK) on the
# same output directory, each bounded by -V AFL_SECONDS (fuzz/afl.sh).
fuzz-afl:
	WEBSERV_EXTRA_PKGS=afl++ bash ci/deps.sh
	$(MAKE) $(FUZZ_OUT)/afl$(FUZZ_SUFFIX)/fuzz_$(HARNESS)
	sh fuzz/afl.sh $(HARNESS) $(FUZZ_OUT)/afl$(FUZZ_SUFFIX)/fuzz_$(HARNESS) \
		$(FUZZ_OUT)/afl-out/$(HARNESS) $(AFL_SECONDS) $(JOBS)

# Merges fuzz/corpus/H and build/fuzz/work/H into a minimal fuzz/corpus/H.
fuzz-cmin: $(FUZZ_LF_BINS)
	@set -e; for h in $(FUZZ_HARNESSES); do \
		rm -rf $(FUZZ_OUT)/cmin/$$h; mkdir -p $(FUZZ_OUT)/cmin/$$h \
			$(FUZZ_OUT)/work/$$h fuzz/corpus/$$h; \
		$(FUZZ_OUT)/libfuzzer/fuzz_$$h -merge=1 \
			-max_len=40000 $(FUZZ_OUT)/cmin/$$h \
			fuzz/corpus/$$h $(FUZZ_OUT)/work/$$h \
			> $(FUZZ_OUT)/cmin/$$h.log 2>&1 || \
			{ tail -5 $(FUZZ_OUT)/cmin/$$h.log; exit 1; }; \
		rm -f fuzz/corpus/$$h/*; cp $(FUZZ_OUT)/cmin/$$h/* fuzz/corpus/$$h/; \
		echo "fuzz_$$h: $$(ls fuzz/corpus/$$h | wc -l) inputs"; \
	done

fuzz-clean:
	rm -rf $(FUZZ_OUT)

# OSS-Fuzz's build contract run locally: build.sh with $$CC, $$CFLAGS,
# $$LIB_FUZZING_ENGINE, $$SRC and $$OUT set as the base-builder image sets
# them for libFuzzer + ASan, then each fuzzer in $$OUT for
# OSS_FUZZ_SECONDS on its seed corpus.
oss-fuzz-check: fuzz-deps
	sh fuzz/oss-fuzz/check.sh $(FUZZ_OUT)/oss-fuzz $(OSS_FUZZ_SECONDS)

# One line per harness: name, libFuzzer max_len (- for the default) and
# its sources; read by fuzz/oss-fuzz/build.sh.
fuzz-list:
	@$(foreach h,$(FUZZ_HARNESSES),echo "$(h) $(or $(patsubst -max_len=%,%,$(FUZZ_OPT_$(h))),-) $(FUZZ_SRC_$(h)) src/slice.c";)

# fuzz_request_portable.c includes these, so they are its prerequisites.
$(foreach d,libfuzzer libfuzzer-fast replay afl,$(FUZZ_OUT)/$(d)/fuzz_request_portable): \
	$(FUZZ_PORTABLE_DEPS)
