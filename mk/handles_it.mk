# Handles family: the examples' flows against the emulator (issue 17).
#   tests/integration/it_handles.c runs inside `make integration`
#   (tests/integration/run.sh): activities, invites, transfer handles and
#   their injected faults. The demo arms its refused invite with curl.
DEB_PKGS += curl

# Examples written ahead of the functions they need (none held now: the
# search-handle functions find_game.c uses are in the header).
EXAMPLES_HELD :=

$(BUILD)/integration/it_handles: tests/integration/it_handles.c tests/integration/sdk_common.h $(HDRS) | $(BUILD)/integration
	$(CC) $(STRICT) $(CFLAGS) -I. -o $@ $< -lcmocka

# built before tests/integration/run.sh runs it
integration: $(BUILD)/integration/it_handles

# make coverage runs tests/integration/run.sh on instrumented binaries
$(COV_DIR)/integration/it_handles: tests/integration/it_handles.c tests/integration/sdk_common.h $(HDRS) | $(COV_DIR)/integration
	$(CC) $(STRICT) $(COV_CFLAGS) -I. -o $@ $< -lcmocka
coverage-run: $(COV_DIR)/integration/it_handles
