# libFuzzer harnesses (tests/fuzz/fuzz_*.c): `make fuzz [FUZZ_SECONDS=N]`
# runs each for N seconds (default 60) on a scratch copy of its checked-in
# seed corpus (tests/fuzz/corpus_<harness>/) and fails when any crash, leak,
# timeout or out-of-memory artifact appears. Harnesses: http (parser in
# splits), chunked (decoding vs a reference), reader (session documents),
# serializer (setter sequences, round trip), exchange (whole exchanges
# through a scripted port), ws (WebSocket frames and handshake), rta (RTA messages and taps). The long campaign: `make fuzz-long` (10 million
# runs per harness, one harness at a time, FUZZ_RUNS=N to change).
.PHONY: fuzz fuzz-build fuzz-long

FUZZ_SECONDS ?= 60
FUZZ_RUNS    ?= 10000000
FUZZ_HARNESSES := http chunked reader serializer exchange ws rta activities handle_id search queries
FUZZ := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1
FUZZ_BIN := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_HARNESSES))
FUZZ_NICE ?= nice -n 10
FUZZ_OPTS := -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

$(BUILD)/fuzz:
	mkdir -p $@

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h tests/fuzz/fuzz_body_port.h $(HDRS) | $(BUILD)/fuzz
	$(CLANG) $(STRICT) $(FUZZ) -I. -o $@ $<

fuzz-build: $(FUZZ_BIN)

# Runs every harness with libFuzzer limit $(1) on a scratch copy of its
# corpus, one after the other. Artifacts go to a fresh directory; a harness
# fails if libFuzzer fails or leaves any artifact.
define fuzz_all
	@set -e; for h in $(FUZZ_HARNESSES); do \
	  d=$(BUILD)/fuzz/run_$$h; rm -rf $$d; mkdir -p $$d/corpus $$d/artifacts; \
	  cp tests/fuzz/corpus_$$h/* $$d/corpus/; \
	  echo "== fuzz_$$h ($(1))"; start=$$(date +%s); rc=0; \
	  $(FUZZ_NICE) ./$(BUILD)/fuzz/fuzz_$$h $(1) $(FUZZ_OPTS) -artifact_prefix=$$d/artifacts/ $$d/corpus \
	    > $$d/log.txt 2>&1 || rc=$$?; \
	  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb|ERROR|property failed' $$d/log.txt || true; \
	  echo "   $$(( $$(date +%s) - start )) s, corpus now $$(ls $$d/corpus | wc -l) files"; \
	  if [ $$rc -ne 0 ] || [ -n "$$(ls $$d/artifacts)" ]; then \
	    echo "fuzz_$$h: FAILED (exit $$rc); artifacts in $$d/artifacts:"; ls $$d/artifacts; \
	    tail -n 40 $$d/log.txt; exit 1; fi; \
	done
endef

fuzz: $(FUZZ_BIN)
	$(call fuzz_all,-max_total_time=$(FUZZ_SECONDS))
	@echo "fuzz: $(words $(FUZZ_HARNESSES)) harnesses, $(FUZZ_SECONDS) s each, no artifacts"

fuzz-long: $(FUZZ_BIN)
	$(call fuzz_all,-runs=$(FUZZ_RUNS))

# fuzz_handle_id is fuzz_activities.c in one mode
$(BUILD)/fuzz/fuzz_handle_id: tests/fuzz/fuzz_activities.c
# fuzz_queries is fuzz_search.c in one mode
$(BUILD)/fuzz/fuzz_queries: tests/fuzz/fuzz_search.c
