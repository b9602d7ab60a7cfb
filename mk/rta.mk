# The RTA object against the emulator's RTA endpoint (tests/rta_integration/):
#   make rta-test   Bob watches a session over his WebSocket while Alice changes
#                   it, reconnects after the emulator drops the socket, the
#                   emulator's RTA fault modes, resync, the subscription gone
#                   with the member; over plain TCP, then over TLS with the
#                   mbedTLS port (about 25 s: a make check stage)
#   make rta-sanitize  the same under ASan+UBSan (clang)

DEB_PKGS     += libcmocka-dev libmbedtls-dev openssl python3 clang
CHECK_STAGES += rta-test rta-sanitize
.PHONY: rta-test rta-sanitize

RTA_IT_DIR  := $(BUILD)/rta_integration
RTA_IT_DEPS := tests/rta_integration/it_rta.c $(HDRS) port/xbl_mpsd_port_posix.h port/xbl_mpsd_port_mbedtls.h

$(RTA_IT_DIR):
	mkdir -p $@

$(RTA_IT_DIR)/it_rta: $(RTA_IT_DEPS) | $(RTA_IT_DIR)
	$(CC) $(STRICT) $(CFLAGS) -I. -o $@ $< -lcmocka

$(RTA_IT_DIR)/it_rta_tls: $(RTA_IT_DEPS) | $(RTA_IT_DIR)
	$(CC) $(STRICT) $(CFLAGS) -DIT_TLS -I. -o $@ $< -lmbedtls -lmbedx509 -lmbedcrypto -lcmocka

rta-test: $(RTA_IT_DIR)/it_rta $(RTA_IT_DIR)/it_rta_tls
	bash tests/rta_integration/run.sh $(RTA_IT_DIR)

$(RTA_IT_DIR)/it_rta_asan: $(RTA_IT_DEPS) | $(RTA_IT_DIR)
	$(CLANG) $(STRICT) -O1 -g $(SAN) -I. -o $@ $< -lcmocka

$(RTA_IT_DIR)/it_rta_tls_asan: $(RTA_IT_DEPS) | $(RTA_IT_DIR)
	$(CLANG) $(STRICT) -O1 -g $(SAN) -DIT_TLS -I. -o $@ $< -lmbedtls -lmbedx509 -lmbedcrypto -lcmocka

rta-sanitize: $(RTA_IT_DIR)/it_rta_asan $(RTA_IT_DIR)/it_rta_tls_asan
	ASAN_OPTIONS=detect_leaks=1 bash tests/rta_integration/run.sh $(RTA_IT_DIR) _asan
