# WebSocket client chapter (RFC 6455 subset, the RTA object's transport).
#   make ws-build-check  the header with XBL_MPSD_NO_RTA (the family left out)
#                        under gcc, clang and g++; the default build is
#                        build-check's
#   make ws-test         the client against a WebSocket server nobody here
#                        wrote (Debian's python3-websockets), over plain TCP
#                        and over TLS with the mbedTLS port; SHA-1 against
#                        python's hashlib
# The unit tests (tests/test_ws.c) run with `make unit` and `make sanitize`.

DEB_PKGS     += python3-websockets python3 openssl libmbedtls-dev
TEST_STAGES  += ws-build-check
CHECK_STAGES += ws-test
.PHONY: ws-build-check ws-test

WS_DIR    := $(BUILD)/ws
# Debian's interpreter: the package installs its module there
WS_PYTHON ?= /usr/bin/python3
WS_LIBS   := -lmbedtls -lmbedx509 -lmbedcrypto

$(WS_DIR):
	mkdir -p $@

ws-build-check: $(HDRS) | $(WS_DIR)
	$(CC) $(STRICT) -DXBL_MPSD_NO_RTA -I. -c xbl_mpsd.c -o $(WS_DIR)/no_rta.gcc.o
	$(CLANG) $(STRICT) -DXBL_MPSD_NO_RTA -I. -c xbl_mpsd.c -o $(WS_DIR)/no_rta.clang.o
	$(CXX) -x c++ -Wall -Wextra -Wpedantic -Wshadow -Werror -DXBL_MPSD_NO_RTA -I. -c xbl_mpsd.c -o $(WS_DIR)/no_rta.cxx.o
	@if nm $(WS_DIR)/no_rta.gcc.o | grep -Eq ' T xbl_mpsd_(ws_|rta_|set_subscriptions|subscriptions_enabled|real_time_activity)'; then \
	  echo "ws-build-check: FAILED, XBL_MPSD_NO_RTA left WebSocket or RTA code in"; exit 1; fi
	@echo "ws-build-check: the header builds warning-free without the RTA family"

$(WS_DIR)/ws_peer: tests/ws/ws_peer.c $(HDRS) port/xbl_mpsd_port_mbedtls.h | $(WS_DIR)
	$(CC) $(STRICT) $(CFLAGS) -I. -o $@ $< $(WS_LIBS) -lcmocka

ws-test: $(WS_DIR)/ws_peer
	bash tests/ws/run.sh $(WS_DIR) $(WS_PYTHON)
