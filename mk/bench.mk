# Benchmarks and footprint (tools/bench/, BENCHMARKS.md): `make bench`.
# Not part of make test or make check: it measures, it does not pass or fail on numbers.
# Its packages are installed by bench-deps, not by deps.

BENCH_PKGS := gcc-arm-none-eabi libnewlib-arm-none-eabi libcjson-dev rapidjson-dev libcurl4-openssl-dev \
              valgrind strace python3 g++
BENCH_DIR  := $(BUILD)/bench
BENCH_OPT  := -O2 -DNDEBUG
BENCH_HDRS := tools/bench/bench_common.h $(HDRS)
BENCH_BINS := $(BENCH_DIR)/read_bench $(BENCH_DIR)/read_bench_rapidjson $(BENCH_DIR)/write_bench \
              $(BENCH_DIR)/ka_xbl $(BENCH_DIR)/ka_curl $(BENCH_DIR)/heapcount.so

.PHONY: bench bench-deps bench-bins

bench-deps:
	@missing=""; for p in $(BENCH_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "missing Debian packages; run: sudo apt-get install -y$$missing"; exit 1; fi

$(BENCH_DIR):
	mkdir -p $@

$(BENCH_DIR)/read_bench: tools/bench/read_bench.c $(BENCH_HDRS) | $(BENCH_DIR)
	$(CC) $(STRICT) $(BENCH_OPT) -I. -o $@ $< -lcjson

$(BENCH_DIR)/write_bench: tools/bench/write_bench.c $(BENCH_HDRS) | $(BENCH_DIR)
	$(CC) $(STRICT) $(BENCH_OPT) -I. -o $@ $< -lcjson

$(BENCH_DIR)/ka_xbl: tools/bench/ka_xbl.c $(BENCH_HDRS) | $(BENCH_DIR)
	$(CC) $(STRICT) $(BENCH_OPT) -I. -o $@ $<

$(BENCH_DIR)/read_bench_rapidjson: tools/bench/read_bench_rapidjson.cpp tools/bench/bench_common.h | $(BENCH_DIR)
	$(CXX) -std=c++11 -Wall -Wextra -Werror $(BENCH_OPT) -o $@ $<

$(BENCH_DIR)/ka_curl: tools/bench/ka_curl.cpp tools/bench/bench_common.h | $(BENCH_DIR)
	$(CXX) -std=c++11 -Wall -Wextra -Werror $(BENCH_OPT) -o $@ $< -lcurl

# LD_PRELOAD allocator counter; glibc-specific, so not held to STRICT's -std=c99
$(BENCH_DIR)/heapcount.so: tools/bench/heapcount.c tools/bench/bench_common.h | $(BENCH_DIR)
	$(CC) -O2 -Wall -Wextra -Werror -shared -fPIC -o $@ $<

bench-bins: $(BENCH_BINS)

# make bench BENCH_UPDATE=1 also rewrites BENCHMARKS.md's headline and tables
bench: deps bench-deps
	@$(MAKE) --no-print-directory bench-bins
	nice $(PYTHON) tools/bench/run.py $(BENCH_DIR) $(if $(BENCH_UPDATE),--update BENCHMARKS.md)

# Syscalls per kept-alive write against the MPSD emulator (tools/bench/syscalls.sh).
$(BENCH_DIR)/keepalive_writes: tools/bench/keepalive_writes.c tests/integration/sdk_common.h $(HDRS) | $(BENCH_DIR)
	$(CC) $(STRICT) -O2 -I. -o $@ $<
