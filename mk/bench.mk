# Benchmarks (tools/bench/): not part of make test.

$(BUILD)/bench:
	mkdir -p $@

$(BUILD)/bench/keepalive_writes: tools/bench/keepalive_writes.c tests/integration/sdk_common.h $(HDRS) | $(BUILD)/bench
	$(CC) $(STRICT) -O2 -I. -o $@ $<

