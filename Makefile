# webserv — plain Makefile with -MMD dependency files.
NAME     := webserv
CC       ?= cc
CSTD     := -std=c17 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS   ?= -O2 -g
ALLFLAGS := $(CSTD) $(WARN) $(CFLAGS) -Iinclude -MMD -MP
ASANFLAGS := $(CSTD) $(WARN) -O1 -g -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined -Iinclude -MMD -MP
PYTEST   ?= /usr/bin/python3 -m pytest
PYTEST_ARGS ?= -q

SRCS     := $(sort $(wildcard src/*.c))
LIBSRCS  := $(filter-out src/main.c,$(SRCS))
UNITSRCS := $(sort $(wildcard unit/test_*.c))

OBJS      := $(SRCS:src/%.c=build/rel/%.o)
LIBOBJS   := $(LIBSRCS:src/%.c=build/rel/%.o)
AOBJS     := $(SRCS:src/%.c=build/asan/%.o)
ALIBOBJS  := $(LIBSRCS:src/%.c=build/asan/%.o)
UNITBINS  := $(UNITSRCS:unit/%.c=build/rel/unit/%)
AUNITBINS := $(UNITSRCS:unit/%.c=build/asan/unit/%)

.PHONY: all ci clean fclean re run test deps unit pytest asan asan-unit asan-pytest \
	unit-build fuzz fuzz-build fuzz-replay fuzz-afl oss-fuzz-check conformance \
	conformance-compare postman pytest-poll install uninstall cluster-test

all: $(NAME)

$(NAME): $(OBJS)
	$(CC) $(ALLFLAGS) -o $@ $(OBJS)

build/rel/%.o: src/%.c | build/rel
	$(CC) $(ALLFLAGS) -c -o $@ $<

build/asan/%.o: src/%.c | build/asan
	$(CC) $(ASANFLAGS) -c -o $@ $<

build/rel build/asan build/rel/unit build/asan/unit:
	mkdir -p $@

build/rel/libws.a: $(LIBOBJS)
	ar rcs $@ $^

build/asan/libws.a: $(ALIBOBJS)
	ar rcs $@ $^

build/rel/unit/%: unit/%.c build/rel/libws.a | build/rel/unit
	$(CC) $(ALLFLAGS) -Wno-missing-prototypes -Iunit -o $@ $< build/rel/libws.a -lcmocka

build/asan/unit/%: unit/%.c build/asan/libws.a | build/asan/unit
	$(CC) $(ASANFLAGS) -Wno-missing-prototypes -Iunit -o $@ $< build/asan/libws.a -lcmocka

$(NAME)-asan: $(AOBJS)
	$(CC) $(ASANFLAGS) -o $@ $(AOBJS)

deps:
	@bash ci/deps.sh

unit-build: $(UNITBINS)

unit: $(UNITBINS)
	@set -e; for t in $(UNITBINS); do echo "== $$t"; ./$$t; done

asan: $(NAME)-asan $(AUNITBINS)

asan-unit: $(AUNITBINS)
	@set -e; for t in $(AUNITBINS); do echo "== $$t"; \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ./$$t; done

pytest: $(NAME)
	WEBSERV_BIN=$(CURDIR)/$(NAME) $(PYTEST) $(PYTEST_ARGS) pytests

# The same suite on the poll() backend: every configuration the fixtures
# write gets `events poll;` (pytests/conftest.py, WEBSERV_EVENTS).
pytest-poll: $(NAME)
	WEBSERV_EVENTS=poll WEBSERV_BIN=$(CURDIR)/$(NAME) $(PYTEST) $(PYTEST_ARGS) pytests

asan-pytest: $(NAME)-asan
	WEBSERV_BIN=$(CURDIR)/$(NAME)-asan WEBSERV_ASAN=1 \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=23 \
		$(PYTEST) $(PYTEST_ARGS) pytests

# Three instances behind Debian's HAProxy (deploy/haproxy/haproxy.cfg):
# pytests/test_cluster.py with a 20 s load, then the black-box
# conformance suite through the balancer (pytests/cluster_conformance.py,
# allowed differences in deploy/haproxy/conformance.md), figures printed.
# test_cluster.py also runs, with a 6 s load, in every pytest pass of
# `make test` (ci/deps.sh installs haproxy).
CLUSTER_LOAD_SECONDS ?= 20
cluster-test: $(NAME)
	@WEBSERV_EXTRA_PKGS=haproxy bash ci/deps.sh
	WEBSERV_BIN=$(CURDIR)/$(NAME) WEBSERV_CLUSTER_LOAD_SECONDS=$(CLUSTER_LOAD_SECONDS) \
		$(PYTEST) $(PYTEST_ARGS) -s pytests/test_cluster.py pytests/cluster_conformance.py

# Everything: unit tests, the end-to-end suite on the default event
# backend (epoll on Linux) and on poll(), unit tests and suite again under
# ASan+UBSan, and the fuzz corpora and regressions replayed.
test: deps
	$(MAKE) all unit
	$(MAKE) pytest
	$(MAKE) pytest-poll
	$(MAKE) asan-unit
	$(MAKE) asan-pytest
	$(MAKE) fuzz-replay

# What CI runs: the above plus a short libFuzzer smoke per harness, the
# OSS-Fuzz build checked locally, three instances behind HAProxy with the
# conformance suite through it, the conformance report, webserv against
# nginx, lighttpd and h2o, the GitHub workflow and action validated, the
# action's script tested, and the Postman collection.
ci: test
	WEBSERV_EXTRA_PKGS="clang libclang-rt-14-dev" bash ci/deps.sh
	$(MAKE) fuzz-smoke
	$(MAKE) oss-fuzz-check
	$(MAKE) cluster-test
	$(MAKE) conformance
	$(MAKE) conformance-compare
	$(MAKE) action-validate
	$(MAKE) action-test
	$(MAKE) postman

run: $(NAME)
	./$(NAME) conf/default.conf

clean:
	rm -rf build

fclean: clean
	rm -f $(NAME) $(NAME)-asan

re: fclean
	$(MAKE) all

-include $(OBJS:.o=.d) $(AOBJS:.o=.d) $(UNITBINS:=.d) $(AUNITBINS:=.d)
-include fuzz/fuzz.mk
-include conformance/Makefile.inc
-include dist/install.mk
-include bench/bench.mk
