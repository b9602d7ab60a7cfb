# xbl_mpsd: build, test, demo.
#   make demo   build, start the local MPSD emulator, run the example story
#   make test   the fast suite, after every change (TEST_STAGES: strict
#               builds, zero-heap check, unit, sanitizers, emulator tests,
#               integration); a few minutes from a fresh clone
#   make check  make test plus everything else (CHECK_STAGES: valgrind,
#               fuzz smoke, and what mk/*.mk adds: coverage gate, lint, TLS,
#               lwIP, port conformance, nginx); what CI runs (.ci/run)

CC       ?= cc
CLANG    ?= clang
CXX      ?= g++
PYTHON   ?= python3
STRICT   := -std=c99 -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wstrict-prototypes -Werror
CFLAGS   ?= -O1 -g
TESTFLAGS :=
BUILD    := build
DEB_PKGS := build-essential clang libclang-rt-14-dev valgrind python3 libjsmn-dev libcmocka-dev libmbedtls-dev openssl lcov strace
UNIT_SRC := $(sort $(wildcard tests/test_*.c))
UNIT_BIN := $(patsubst tests/%.c,$(BUILD)/%,$(UNIT_SRC))
ASAN_BIN := $(patsubst tests/%.c,$(BUILD)/asan/%,$(UNIT_SRC))
HDRS     := xbl_mpsd.h $(wildcard port/*.h) $(wildcard tests/*.h)
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# test_zero_heap interposes the allocator: every call it sees is a failure
WRAP     := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free

.PHONY: integration examples all test check deps build-check heap-check unit sanitize valgrind emulator-test demo clean

all: build-check unit

deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "missing Debian packages; run: sudo apt-get install -y$$missing"; exit 1; fi

$(BUILD) $(BUILD)/asan:
	mkdir -p $@

# The header alone, as C99 with gcc and clang and as C++, every section on.
build-check: $(HDRS) | $(BUILD)
	$(CC) $(STRICT) -I. -c xbl_mpsd.c -o $(BUILD)/xbl_mpsd.gcc.o
	$(CLANG) $(STRICT) -I. -c xbl_mpsd.c -o $(BUILD)/xbl_mpsd.clang.o
	$(CXX) -x c++ -Wall -Wextra -Wpedantic -Wshadow -Werror -I. -c xbl_mpsd.c -o $(BUILD)/xbl_mpsd.cxx.o
	printf '#define _POSIX_C_SOURCE 200809L\n#define XBL_MPSD_PORT_POSIX_IMPLEMENTATION\n#include "port/xbl_mpsd_port_posix.h"\n' > $(BUILD)/port_posix.c
	$(CC) $(STRICT) -I. -c $(BUILD)/port_posix.c -o $(BUILD)/port_posix.gcc.o
	$(CLANG) $(STRICT) -I. -c $(BUILD)/port_posix.c -o $(BUILD)/port_posix.clang.o
	$(CXX) -x c++ -Wall -Wextra -Wpedantic -Wshadow -Werror -I. -c $(BUILD)/port_posix.c -o $(BUILD)/port_posix.cxx.o
	$(CXX) -x c++ -Wall -Wextra -Wpedantic -Wshadow -Wold-style-cast -Werror -I. -c tests/cxx_public.cpp -o $(BUILD)/cxx_public.o
	@echo "build-check: gcc, clang and g++ builds are warning-free; the public part is clean under g++ -Wold-style-cast"

# No allocator symbol may be referenced by the compiled SDK.
heap-check: build-check
	@if nm -u $(BUILD)/xbl_mpsd.gcc.o $(BUILD)/port_posix.gcc.o | grep -E ' (malloc|calloc|realloc|free|strdup)$$'; then \
	  echo "heap-check: FAILED, the SDK references the allocator"; exit 1; fi
	@echo "heap-check: no allocator symbol referenced"

$(BUILD)/test_zero_heap: tests/test_zero_heap.c $(HDRS) | $(BUILD)
	$(CC) $(STRICT) $(TESTFLAGS) $(CFLAGS) -I. -Itests -o $@ $< $(WRAP) -lcmocka

$(BUILD)/test_%: tests/test_%.c $(HDRS) | $(BUILD)
	$(CC) $(STRICT) $(TESTFLAGS) $(CFLAGS) -I. -Itests -o $@ $< -lcmocka

$(BUILD)/asan/test_zero_heap: tests/test_zero_heap.c $(HDRS) | $(BUILD)/asan
	$(CLANG) $(STRICT) $(TESTFLAGS) -O1 -g $(SAN) -I. -Itests -o $@ $< $(WRAP) -lcmocka

$(BUILD)/asan/test_%: tests/test_%.c $(HDRS) | $(BUILD)/asan
	$(CLANG) $(STRICT) $(TESTFLAGS) -O1 -g $(SAN) -I. -Itests -o $@ $< -lcmocka

# Tests that include another test's source rebuild when it changes.
TEST_INCLUDES := test_custom_writes_whole:test_custom_writes test_reader_diff:test_reader \
                 test_trace_compiled_out:test_retry_trace test_scan_bytewise:test_coverage_sdk \
                 test_scan_word32:test_coverage_sdk test_reader_diff_word32:test_reader_diff \
                 test_reader_diff_word32:test_reader
$(foreach p,$(TEST_INCLUDES),$(eval $(BUILD)/$(word 1,$(subst :, ,$(p))) $(BUILD)/asan/$(word 1,$(subst :, ,$(p))) \
  $(BUILD)/cov/$(word 1,$(subst :, ,$(p))): tests/$(word 2,$(subst :, ,$(p))).c))

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; ./$$t; done

sanitize: $(ASAN_BIN)
	@set -e; for t in $(ASAN_BIN); do echo "== $$t (ASan+UBSan)"; ASAN_OPTIONS=detect_leaks=1 ./$$t; done

valgrind: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t (valgrind)"; \
	  valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite ./$$t >/dev/null; done
	@echo "valgrind: clean"

$(BUILD)/integration:
	mkdir -p $@

$(BUILD)/integration/it_sdk: tests/integration/it_sdk.c tests/integration/sdk_common.h $(HDRS) | $(BUILD)/integration
	$(CC) $(STRICT) $(CFLAGS) -I. -o $@ $< -lcmocka

$(BUILD)/integration/load_counter: tests/integration/load_counter.c tests/integration/sdk_common.h $(HDRS) | $(BUILD)/integration
	$(CC) $(STRICT) $(CFLAGS) -I. -o $@ $< -pthread

integration: $(BUILD)/integration/it_sdk $(BUILD)/integration/load_counter
	bash tests/integration/run.sh $(BUILD)/integration

emulator-test:
	$(PYTHON) -m unittest discover -s tests/emulator

# Each later part of the suite (TLS, lwIP, hardening, porting kit, nginx,
# benchmarks) lives in its own mk/*.mk: it appends its packages to DEB_PKGS,
# its stages to TEST_STAGES (fast and essential only: make test stays within
# 5 minutes on a 2-core machine) or, usually, CHECK_STAGES, and its phony
# targets to .PHONY.
TEST_STAGES  := deps build-check heap-check unit sanitize emulator-test integration
CHECK_STAGES := valgrind fuzz
-include $(sort $(wildcard mk/*.mk))

test: $(TEST_STAGES)
	@echo "make test: all stages passed"

# Stages run in list order (make -j1), the fast ones first.
check: $(TEST_STAGES) $(CHECK_STAGES)
	@echo "make check: all stages passed"

# EXAMPLES_HELD (mk/*.mk): examples written ahead of the functions they need
EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(filter-out $(EXAMPLES_HELD),$(wildcard examples/*.c)))

$(BUILD)/examples:
	mkdir -p $@

$(BUILD)/examples/%: examples/%.c examples/example_common.h $(HDRS) | $(BUILD)/examples
	$(CC) $(STRICT) $(CFLAGS) -I. -o $@ $<

examples: $(EXAMPLES)

demo: deps examples
	@bash tools/demo.sh

clean:
	rm -rf $(BUILD)
