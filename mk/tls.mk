# TLS: port/xbl_mpsd_port_mbedtls.h and its tests (tests/tls/).
#   make tls-build-check  the port under gcc, clang and g++, plus its embedded paths
#   make tls-heap-check   no allocator symbol in the port's object
#   make tls-test         the port against the emulator over TLS (fixed-region heap)
#   make tls-sanitize     the same under ASan+UBSan
#   make tls-valgrind     the same under valgrind
#   make demo TLS=1       the demo story over TLS

DEB_PKGS    += libmbedtls-dev openssl python3 libcmocka-dev valgrind clang
CHECK_STAGES += tls-build-check tls-heap-check tls-test tls-sanitize tls-valgrind
.PHONY: tls-build-check tls-heap-check tls-test tls-sanitize tls-valgrind tls-certs

TLS_DIR   := $(BUILD)/tls
TLS_CERTS := $(TLS_DIR)/certs
TLS_HDRS  := $(HDRS) port/xbl_mpsd_port_mbedtls.h tests/tls/tls_common.h tests/tls/tls_heap.h tests/tls/tls_stack.h
TLS_CXX   := -x c++ -Wall -Wextra -Wpedantic -Wshadow -Werror
# mbedTLS linked statically, so --wrap reaches its calloc/free calls
TLS_WRAP  := -Wl,--wrap=calloc,--wrap=free
TLS_LIBS  := -Wl,-Bstatic -lmbedtls -lmbedx509 -lmbedcrypto -Wl,-Bdynamic -lcmocka
TLS_HEAPCFG := -DMBEDTLS_USER_CONFIG_FILE='"tests/tls/heap_user_config.h"'

$(TLS_DIR):
	mkdir -p $@

tls-build-check: $(TLS_HDRS) | $(TLS_DIR)
	$(CC) $(STRICT) -I. -c tests/tls/port_build.c -o $(TLS_DIR)/port_mbedtls.gcc.o
	$(CLANG) $(STRICT) -I. -c tests/tls/port_build.c -o $(TLS_DIR)/port_mbedtls.clang.o
	$(CXX) $(TLS_CXX) -I. -c tests/tls/port_build.c -o $(TLS_DIR)/port_mbedtls.cxx.o
	$(CC) $(STRICT) -I. $(TLS_HEAPCFG) -c tests/tls/port_build_heap.c -o $(TLS_DIR)/port_mbedtls_heap.gcc.o
	$(CLANG) $(STRICT) -I. $(TLS_HEAPCFG) -c tests/tls/port_build_heap.c -o $(TLS_DIR)/port_mbedtls_heap.clang.o
	$(CXX) $(TLS_CXX) -I. $(TLS_HEAPCFG) -c tests/tls/port_build_heap.c -o $(TLS_DIR)/port_mbedtls_heap.cxx.o
	@echo "tls-build-check: the mbedTLS port builds warning-free under gcc, clang and g++"

# The SDK, the POSIX port and the mbedTLS port in one object: mbedTLS's own
# calloc/free live in libmbedcrypto, never in our code.
tls-heap-check: tls-build-check
	@if nm -u $(TLS_DIR)/port_mbedtls.gcc.o $(TLS_DIR)/port_mbedtls_heap.gcc.o | grep -E ' (malloc|calloc|realloc|free|strdup|strndup|aligned_alloc|posix_memalign)$$'; then \
	  echo "tls-heap-check: FAILED, the port references the allocator"; exit 1; fi
	@echo "tls-heap-check: no allocator symbol referenced by the SDK and the mbedTLS port"

$(TLS_DIR)/test_tls: tests/tls/test_tls.c tests/tls/tls_heap.c tests/tls/tls_stack.c $(TLS_HDRS) | $(TLS_DIR)
	$(CC) $(STRICT) $(CFLAGS) -I. -Itests/tls -o $@ tests/tls/test_tls.c tests/tls/tls_heap.c tests/tls/tls_stack.c $(TLS_WRAP) $(TLS_LIBS)

$(TLS_DIR)/test_tls_asan: tests/tls/test_tls.c tests/tls/tls_heap.c tests/tls/tls_stack.c $(TLS_HDRS) | $(TLS_DIR)
	$(CLANG) $(STRICT) -O1 -g $(SAN) -DTLS_HEAP_REAL -I. -Itests/tls -o $@ tests/tls/test_tls.c tests/tls/tls_heap.c tests/tls/tls_stack.c $(TLS_WRAP) $(TLS_LIBS)

$(TLS_DIR)/test_tls_vg: tests/tls/test_tls.c tests/tls/tls_heap.c tests/tls/tls_stack.c $(TLS_HDRS) | $(TLS_DIR)
	$(CC) $(STRICT) $(CFLAGS) -DTLS_HEAP_REAL -I. -Itests/tls -o $@ tests/tls/test_tls.c tests/tls/tls_heap.c tests/tls/tls_stack.c $(TLS_WRAP) $(TLS_LIBS)

tls-certs:
	@bash tests/tls/mint_certs.sh $(TLS_CERTS)

tls-test: $(TLS_DIR)/test_tls
	bash tests/tls/run.sh $(TLS_CERTS) ./$(TLS_DIR)/test_tls

tls-sanitize: $(TLS_DIR)/test_tls_asan
	ASAN_OPTIONS=detect_leaks=1 bash tests/tls/run.sh $(TLS_CERTS) ./$(TLS_DIR)/test_tls_asan

tls-valgrind: $(TLS_DIR)/test_tls_vg
	bash tests/tls/run.sh $(TLS_CERTS) valgrind -q --error-exitcode=99 --leak-check=full \
	  --errors-for-leak-kinds=definite ./$(TLS_DIR)/test_tls_vg
	@echo "tls-valgrind: clean"

# `make demo TLS=1`: the examples built with the TLS port, and the certificates.
TLS_EXAMPLES := $(patsubst examples/%.c,$(TLS_DIR)/examples/%,$(filter-out $(EXAMPLES_HELD),$(wildcard examples/*.c)))

$(TLS_DIR)/examples:
	mkdir -p $@

$(TLS_DIR)/examples/%: examples/%.c examples/example_common.h $(HDRS) | $(TLS_DIR)/examples
	$(CC) $(STRICT) $(CFLAGS) -DEXAMPLE_TLS -I. -o $@ $< -lmbedtls -lmbedx509 -lmbedcrypto

ifeq ($(TLS),1)
demo: $(TLS_EXAMPLES)
endif

# Coverage (mk/coverage.mk): the TLS tests run instrumented after
# coverage-run has zeroed the counters and before coverage captures them.
ifdef COV_DIR
$(COV_DIR)/tls/test_tls: tests/tls/test_tls.c tests/tls/tls_heap.c tests/tls/tls_stack.c $(TLS_HDRS)
	mkdir -p $(dir $@)
	$(CC) $(STRICT) $(COV_CFLAGS) -I. -Itests/tls -o $@ tests/tls/test_tls.c tests/tls/tls_heap.c tests/tls/tls_stack.c $(TLS_WRAP) $(TLS_LIBS)

.PHONY: tls-coverage-run
tls-coverage-run: coverage-run $(COV_DIR)/tls/test_tls
	@bash tests/tls/run.sh $(TLS_CERTS) ./$(COV_DIR)/tls/test_tls >>$(COV_DIR)/run.log 2>&1 || \
	  { cat $(COV_DIR)/run.log; echo "coverage: tls test failed"; exit 1; }

coverage: tls-coverage-run
endif
