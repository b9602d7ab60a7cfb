# The xbl-mpsd command line (tools/cli/): the SDK's own first user.
#   make tools     build/xbl-mpsd (POSIX sockets, mbedTLS for --tls)
#   make cli-test  its tests against the emulator (tests/cli/)

DEB_PKGS    += libmbedtls-dev libjsmn-dev python3
TEST_STAGES += cli-test
.PHONY: tools cli-test

CLI_SRC := $(wildcard tools/cli/*.c)

$(BUILD)/xbl-mpsd: $(CLI_SRC) tools/cli/cli.h xbl_mpsd.h $(wildcard port/*.h) | $(BUILD)
	$(CC) $(STRICT) $(CFLAGS) -I. -Itools/cli -o $@ $(CLI_SRC) -lmbedtls -lmbedx509 -lmbedcrypto

tools: $(BUILD)/xbl-mpsd

# make demo builds the command line too (its story ends by showing it)
demo: tools

cli-test: $(BUILD)/xbl-mpsd
	$(PYTHON) -m unittest discover -s tests/cli -v
