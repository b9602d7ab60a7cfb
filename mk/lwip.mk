# lwIP port (issue 6): port/xbl_mpsd_port_lwip.h, tested in-process on the
# host against Debian's liblwip (tests/lwip/). Stages, in make check order:
#   lwip-build-check  the port header as C99 (gcc, clang) and C++ (g++), alone
#                     and in one translation unit with the SDK and the POSIX
#                     port (every implementation macro on, any order); also
#                     against a bare-metal NO_SYS 1 lwipopts.h
#                     (tests/lwip/nosys/, compile only)
#   lwip-heap-check   the compiled port references no allocator
#   lwip-test         tests/lwip/test_lwip_port.c (gcc), then
#                     tests/lwip/test_lwip_tls.c: the mbedTLS port over the
#                     lwIP port (certificates minted by tests/tls/mint_certs.sh
#                     into $(BUILD)/lwip/certs)
#   lwip-sanitize     both under ASan+UBSan (clang)
#   lwip-valgrind     both under valgrind
# Debian's lwIP headers need _POSIX_C_SOURCE under -std=c99 (arch.h and
# SSIZE_MAX), hence the define in every translation unit below.

DEB_PKGS += liblwip-dev libmbedtls-dev openssl libcmocka-dev valgrind clang

LWIP_INC    ?= /usr/include/lwip
LWIP_LIBS   ?= -llwip
LWIP_CPPFLAGS := -I. -Itests/lwip -I$(LWIP_INC)
LWIP_DIR    := $(BUILD)/lwip
LWIP_TEST_DEPS := tests/lwip/test_lwip_port.c tests/lwip/lwip_host.h tests/lwip/lwip_sdk_fixture.h $(HDRS)
LWIP_TLS_DEPS  := tests/lwip/test_lwip_tls.c tests/lwip/lwip_host.h tests/lwip/lwip_sdk_fixture.h $(HDRS)
LWIP_TLS_LIBS  := -lmbedtls -lmbedx509 -lmbedcrypto
LWIP_CERTS     := $(LWIP_DIR)/certs

.PHONY: lwip lwip-certs lwip-check-installed lwip-build-check lwip-heap-check lwip-test lwip-sanitize lwip-valgrind

lwip: lwip-build-check lwip-heap-check lwip-test lwip-sanitize lwip-valgrind

$(LWIP_DIR):
	mkdir -p $@

lwip-check-installed:
	@test -f $(LWIP_INC)/lwip/tcp.h || { echo "lwip: $(LWIP_INC)/lwip/tcp.h missing: install liblwip-dev (make deps)"; exit 1; }

lwip-build-check: port/xbl_mpsd_port_lwip.h xbl_mpsd.h port/xbl_mpsd_port_posix.h tests/lwip/nosys/lwipopts.h lwip-check-installed | $(LWIP_DIR)
	printf '#define _POSIX_C_SOURCE 200809L\n#define XBL_MPSD_PORT_LWIP_IMPLEMENTATION\n#include "port/xbl_mpsd_port_lwip.h"\n' > $(LWIP_DIR)/port_lwip.c
	printf '#define _POSIX_C_SOURCE 200809L\n#define XBL_MPSD_PORT_LWIP_IMPLEMENTATION\n#define XBL_MPSD_PORT_POSIX_IMPLEMENTATION\n#define XBL_MPSD_IMPLEMENTATION\n#include "port/xbl_mpsd_port_lwip.h"\n#include "xbl_mpsd.h"\n#include "port/xbl_mpsd_port_posix.h"\n#include "port/xbl_mpsd_port_lwip.h"\n#include "xbl_mpsd.h"\n' > $(LWIP_DIR)/all_in_one.c
	$(CC) $(STRICT) $(LWIP_CPPFLAGS) -c $(LWIP_DIR)/port_lwip.c -o $(LWIP_DIR)/port_lwip.gcc.o
	$(CLANG) $(STRICT) $(LWIP_CPPFLAGS) -c $(LWIP_DIR)/port_lwip.c -o $(LWIP_DIR)/port_lwip.clang.o
	$(CXX) -x c++ -Wall -Wextra -Wpedantic -Wshadow -Werror $(LWIP_CPPFLAGS) -c $(LWIP_DIR)/port_lwip.c -o $(LWIP_DIR)/port_lwip.cxx.o
	$(CC) $(STRICT) $(LWIP_CPPFLAGS) -c $(LWIP_DIR)/all_in_one.c -o $(LWIP_DIR)/all_in_one.gcc.o
	$(CXX) -x c++ -Wall -Wextra -Wpedantic -Wshadow -Werror $(LWIP_CPPFLAGS) -c $(LWIP_DIR)/all_in_one.c -o $(LWIP_DIR)/all_in_one.cxx.o
	$(CC) $(STRICT) -I. -Itests/lwip/nosys -I$(LWIP_INC) -c $(LWIP_DIR)/port_lwip.c -o $(LWIP_DIR)/port_lwip_nosys.gcc.o
	$(CLANG) $(STRICT) -I. -Itests/lwip/nosys -I$(LWIP_INC) -c $(LWIP_DIR)/port_lwip.c -o $(LWIP_DIR)/port_lwip_nosys.clang.o
	$(CXX) -x c++ -Wall -Wextra -Wpedantic -Wshadow -Werror -I. -Itests/lwip/nosys -I$(LWIP_INC) -c $(LWIP_DIR)/port_lwip.c -o $(LWIP_DIR)/port_lwip_nosys.cxx.o
	@echo "lwip-build-check: gcc, clang and g++ builds of the lwIP port are warning-free"

# The port's object may call lwIP (which allocates pcbs and pbufs in its own
# pools), never the C allocator itself.
lwip-heap-check: lwip-build-check
	@if nm -u $(LWIP_DIR)/port_lwip.gcc.o $(LWIP_DIR)/port_lwip_nosys.gcc.o | grep -E ' (malloc|calloc|realloc|free|strdup|mem_malloc|mem_calloc)$$'; then \
	  echo "lwip-heap-check: FAILED, the lwIP port references an allocator"; exit 1; fi
	@echo "lwip-heap-check: no allocator symbol referenced"

$(LWIP_DIR)/test_lwip_port: $(LWIP_TEST_DEPS) | $(LWIP_DIR) lwip-check-installed
	$(CC) $(STRICT) $(CFLAGS) $(LWIP_CPPFLAGS) -o $@ $< -lcmocka $(LWIP_LIBS)

$(LWIP_DIR)/test_lwip_port.asan: $(LWIP_TEST_DEPS) | $(LWIP_DIR) lwip-check-installed
	$(CLANG) $(STRICT) -O1 -g $(SAN) $(LWIP_CPPFLAGS) -o $@ $< -lcmocka $(LWIP_LIBS)

$(LWIP_DIR)/test_lwip_tls: $(LWIP_TLS_DEPS) | $(LWIP_DIR) lwip-check-installed
	$(CC) $(STRICT) $(CFLAGS) $(LWIP_CPPFLAGS) -o $@ $< -lcmocka $(LWIP_LIBS) $(LWIP_TLS_LIBS)

$(LWIP_DIR)/test_lwip_tls.asan: $(LWIP_TLS_DEPS) | $(LWIP_DIR) lwip-check-installed
	$(CLANG) $(STRICT) -O1 -g $(SAN) $(LWIP_CPPFLAGS) -o $@ $< -lcmocka $(LWIP_LIBS) $(LWIP_TLS_LIBS)

lwip-certs:
	@bash tests/tls/mint_certs.sh $(LWIP_CERTS)

lwip-test: $(LWIP_DIR)/test_lwip_port $(LWIP_DIR)/test_lwip_tls lwip-certs
	./$(LWIP_DIR)/test_lwip_port
	LWIP_TLS_CERTS=$(LWIP_CERTS) ./$(LWIP_DIR)/test_lwip_tls

lwip-sanitize: $(LWIP_DIR)/test_lwip_port.asan $(LWIP_DIR)/test_lwip_tls.asan lwip-certs
	ASAN_OPTIONS=detect_leaks=1 ./$(LWIP_DIR)/test_lwip_port.asan
	ASAN_OPTIONS=detect_leaks=1 LWIP_TLS_CERTS=$(LWIP_CERTS) ./$(LWIP_DIR)/test_lwip_tls.asan

# lwIP's tcpip thread stack shows as "possibly lost" at exit: only definite
# leaks fail.
LWIP_VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full --show-possibly-lost=no --errors-for-leak-kinds=definite

lwip-valgrind: $(LWIP_DIR)/test_lwip_port $(LWIP_DIR)/test_lwip_tls lwip-certs
	$(LWIP_VALGRIND) ./$(LWIP_DIR)/test_lwip_port >/dev/null
	LWIP_TLS_CERTS=$(LWIP_CERTS) $(LWIP_VALGRIND) ./$(LWIP_DIR)/test_lwip_tls >/dev/null
	@echo "lwip-valgrind: clean"

CHECK_STAGES += lwip-build-check lwip-heap-check lwip-test lwip-sanitize lwip-valgrind

# Coverage (mk/coverage.mk gates every port/*.h, so this header must be
# executed there too): the lwIP test runs instrumented after coverage-run
# has zeroed the counters and before coverage captures them.
ifdef COV_DIR
$(COV_DIR)/lwip/test_lwip_port: $(LWIP_TEST_DEPS) | lwip-check-installed
	mkdir -p $(dir $@)
	$(CC) $(STRICT) $(COV_CFLAGS) $(LWIP_CPPFLAGS) -o $@ $< -lcmocka $(LWIP_LIBS)

.PHONY: lwip-coverage-run
lwip-coverage-run: coverage-run $(COV_DIR)/lwip/test_lwip_port
	@./$(COV_DIR)/lwip/test_lwip_port >>$(COV_DIR)/run.log 2>&1 || \
	  { cat $(COV_DIR)/run.log; echo "coverage: lwip test failed"; exit 1; }

coverage: lwip-coverage-run
endif
