# Porting kit (port/README.md): the template port and the port conformance
# suite (tests/port_conformance/).
#   make port-conformance        the template builds strictly; the suite passes on
#                                every shipped port (POSIX, mbedTLS over POSIX,
#                                lwIP) and fails exactly the expected rules on
#                                each deliberately broken port
#   make port-check PORT=my_adapter.c [PORT_TLS=1] [PORT_NO_PEER=1] [PORT_CFLAGS=..]
#                   [PORT_LIBS=..] [PORT_ARGS=..]  the suite on your port (port/README.md)

DEB_PKGS    += python3 openssl clang libmbedtls-dev liblwip-dev
CHECK_STAGES += port-conformance
.PHONY: port-conformance port-template-check port-check

PC_DIR    := $(BUILD)/port_conformance
PC_SRC    := tests/port_conformance
PC_CERTS  := $(PC_DIR)/certs
PC_DEPS   := $(PC_SRC)/conformance.c $(PC_SRC)/conformance.h $(HDRS)
PC_CXX    := -x c++ -Wall -Wextra -Wpedantic -Wshadow -Werror
# Deliberately broken ports (and the wrapping-clock control): each lists
# the rules it must fail in its EXPECT-FAIL line.
PC_BROKEN := $(sort $(basename $(notdir $(wildcard $(PC_SRC)/broken_*.c $(PC_SRC)/control_*.c))))
PC_BINS   := $(addprefix $(PC_DIR)/,adapter_posix adapter_mbedtls_posix adapter_lwip $(PC_BROKEN))
# Per-call limit in make check: a loaded CI machine can pause any call for
# tens of ms, and the broken ports under test wait 1 s or more. port-check
# keeps the suite's own default, 50 ms.
PC_CALL_MS ?= 200
PC_RUN    := bash $(PC_SRC)/run.sh
PC_TLS_PEER = --tls-cert $(PC_CERTS)/server.pem --tls-key $(PC_CERTS)/server.key
PC_TLS_ARGS = --ca $(PC_CERTS)/ca.pem --server-name localhost
LWIP_FLAGS = $(shell pkg-config --cflags lwip 2>/dev/null || echo -I/usr/include/lwip)
LWIP_LIBS  = $(shell pkg-config --libs lwip 2>/dev/null || echo -llwip)

$(PC_DIR):
	mkdir -p $@

$(PC_CERTS)/server.pem: $(PC_SRC)/mint_certs.sh | $(PC_DIR)
	bash $(PC_SRC)/mint_certs.sh $(PC_CERTS)

# The template, as C99 with gcc and clang and as C++, included twice; the
# suite itself as C++ too (porters may build it with a C++ toolchain).
port-template-check: port/xbl_mpsd_port_template.h $(PC_DEPS) | $(PC_DIR)
	printf '#define XBL_MPSD_PORT_TEMPLATE_IMPLEMENTATION\n#include "port/xbl_mpsd_port_template.h"\n#include "port/xbl_mpsd_port_template.h"\n' > $(PC_DIR)/template.c
	$(CC) $(STRICT) -I. -c $(PC_DIR)/template.c -o $(PC_DIR)/template.gcc.o
	$(CLANG) $(STRICT) -I. -c $(PC_DIR)/template.c -o $(PC_DIR)/template.clang.o
	$(CXX) $(PC_CXX) -I. -c $(PC_DIR)/template.c -o $(PC_DIR)/template.cxx.o
	$(CLANG) $(STRICT) -I. -I$(PC_SRC) -c $(PC_SRC)/conformance.c -o $(PC_DIR)/conformance.clang.o
	$(CXX) $(PC_CXX) -I. -I$(PC_SRC) -c $(PC_SRC)/conformance.c -o $(PC_DIR)/conformance.cxx.o
	@echo "port-template-check: the template port and the suite build warning-free (gcc, clang, g++)"

$(PC_DIR)/adapter_posix: $(PC_SRC)/adapter_posix.c $(PC_DEPS) | $(PC_DIR)
	$(CC) $(STRICT) $(CFLAGS) -I. -I$(PC_SRC) -o $@ $(PC_SRC)/conformance.c $<

$(PC_DIR)/adapter_mbedtls_posix: $(PC_SRC)/adapter_mbedtls_posix.c $(PC_DEPS) | $(PC_DIR)
	$(CC) $(STRICT) $(CFLAGS) -I. -I$(PC_SRC) -o $@ $(PC_SRC)/conformance.c $< -lmbedtls -lmbedx509 -lmbedcrypto

$(PC_DIR)/adapter_lwip: $(PC_SRC)/adapter_lwip.c $(PC_SRC)/peer_lwip.h tests/lwip/lwip_host.h $(PC_DEPS) | $(PC_DIR)
	$(CC) $(STRICT) $(CFLAGS) -I. -I$(PC_SRC) -Itests/lwip $(LWIP_FLAGS) -o $@ \
	  $(PC_SRC)/conformance.c $< $(LWIP_LIBS)

$(PC_DIR)/broken_%: $(PC_SRC)/broken_%.c $(PC_SRC)/broken_common.h $(PC_DEPS) | $(PC_DIR)
	$(CC) $(STRICT) $(CFLAGS) -I. -I$(PC_SRC) -o $@ $(PC_SRC)/conformance.c $<
$(PC_DIR)/control_%: $(PC_SRC)/control_%.c $(PC_SRC)/broken_common.h $(PC_DEPS) | $(PC_DIR)
	$(CC) $(STRICT) $(CFLAGS) -I. -I$(PC_SRC) -o $@ $(PC_SRC)/conformance.c $<

# Every run starts its own peer; a failing run prints its whole report.
port-conformance: port-template-check $(PC_BINS) $(PC_CERTS)/server.pem
	@fail=0; lim="--max-call-ms $(PC_CALL_MS)"; \
	$(PC_RUN) expect $(PC_DIR)/adapter_posix "" -- $$lim || fail=1; \
	$(PC_RUN) expect $(PC_DIR)/adapter_mbedtls_posix "" $(PC_TLS_PEER) -- $(PC_TLS_ARGS) $$lim || fail=1; \
	$(PC_RUN) expect $(PC_DIR)/adapter_lwip "" --no-peer -- $$lim || fail=1; \
	for b in $(PC_BROKEN); do $(PC_RUN) expect-src $(PC_DIR)/$$b $(PC_SRC)/$$b.c -- $$lim || fail=1; done; \
	if [ $$fail = 0 ]; then echo "port-conformance: shipped ports pass every rule; each broken port fails exactly its rules"; fi; \
	exit $$fail

# The suite on a porter's adapter file (conformance.h). PORT_TLS=1 wraps
# every peer scenario in TLS and passes the test CA (--ca) to the suite;
# PORT_NO_PEER=1 starts no peer.py (the adapter brings its own, like lwIP's).
PORT_WARNINGS ?= $(STRICT)
PORT_CFLAGS   ?=
PORT_LIBS     ?=
PORT_ARGS     ?=
port-check: | $(PC_DIR)
	@test -n "$(PORT)" || { echo "usage: make port-check PORT=my_adapter.c [PORT_TLS=1] [PORT_NO_PEER=1] [PORT_CFLAGS=...] [PORT_LIBS=...] [PORT_ARGS=...]"; exit 2; }
	$(if $(PORT_TLS),bash $(PC_SRC)/mint_certs.sh $(PC_CERTS))
	$(CC) $(PORT_WARNINGS) $(CFLAGS) $(PORT_CFLAGS) -I. -I$(PC_SRC) -o $(PC_DIR)/port_check $(PC_SRC)/conformance.c $(PORT) $(PORT_LIBS)
	$(PC_RUN) report $(PC_DIR)/port_check $(if $(PORT_NO_PEER),--no-peer) $(if $(PORT_TLS),$(PC_TLS_PEER)) \
	  -- $(if $(PORT_TLS),$(PC_TLS_ARGS)) $(PORT_ARGS)

# Coverage (mk/coverage.mk): the suite's runs on the POSIX and mbedTLS ports
# count too; they reach error paths of the sockets the unit tests do not.
ifdef COV_DIR
$(COV_DIR)/pc/adapter_%: $(PC_SRC)/adapter_%.c $(PC_DEPS)
	mkdir -p $(dir $@)
	$(CC) $(STRICT) $(COV_CFLAGS) -I. -I$(PC_SRC) -o $@ $(PC_SRC)/conformance.c $< -lmbedtls -lmbedx509 -lmbedcrypto

.PHONY: port-coverage-run
port-coverage-run: coverage-run $(COV_DIR)/pc/adapter_posix $(COV_DIR)/pc/adapter_mbedtls_posix $(PC_CERTS)/server.pem
	@{ $(PC_RUN) expect $(COV_DIR)/pc/adapter_posix "" -- --max-call-ms $(PC_CALL_MS) && \
	   $(PC_RUN) expect $(COV_DIR)/pc/adapter_mbedtls_posix "" $(PC_TLS_PEER) -- $(PC_TLS_ARGS) --max-call-ms $(PC_CALL_MS); } \
	  >>$(COV_DIR)/run.log 2>&1 || { cat $(COV_DIR)/run.log; echo "coverage: port conformance failed"; exit 1; }

coverage: port-coverage-run
endif
