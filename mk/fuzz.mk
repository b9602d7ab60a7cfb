# libFuzzer harnesses (tests/fuzz/fuzz_*.c): `make fuzz [FUZZ_SECONDS=N]`
# runs each for N seconds (default 60) on a scratch copy of its checked-in
# seed corpus (tests/fuzz/corpus_<harness>/) and fails when any crash, leak,
# timeout or out-of-memory artifact appears. Harnesses: http (parser in
# splits), chunked (decoding vs a reference), reader (session documents),
# serializer (setter sequences, round trip), exchange (whole exchanges
# through a scripted port). The long campaign: `make fuzz-long` (10 million
# runs per harness, one after the other).
.PHONY: fuzz fuzz-build fuzz-long

FUZZ_SECONDS ?= 60
FUZZ_RUNS    ?= 10000000
FUZZ_HARNESSES := http chunked reader serializer exchange
FUZZ := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1
FUZZ_BIN := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_HARNESSES))
FUZZ_OPTS := -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

$(BUILD)/fuzz:
	mkdir -p $@

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h $(HDRS) | $(BUILD)/fuzz
	$(CLANG) $(STRICT) $(FUZZ) -I. -o $@ $<

fuzz-build: $(FUZZ_BIN)

# $(1): harness, $(2): libFuzzer limit option. Artifacts go to a fresh
# directory; the target fails if the run fails or leaves any.
define fuzz_run
	@d=$(BUILD)/fuzz/run_$(1); rm -rf $$d && mkdir -p $$d/corpus $$d/artifacts && \
	cp tests/fuzz/corpus_$(1)/* $$d/corpus/ && \
	echo "== fuzz_$(1) ($(2))" && \
	start=$$(date +%s); \
	./$(BUILD)/fuzz/fuzz_$(1) $(2) $(FUZZ_OPTS) -artifact_prefix=$$d/artifacts/ $$d/corpus > $$d/log.txt 2>&1; rc=$$?; \
	grep -E 'stat::number_of_executed_units|stat::peak_rss_mb|ERROR|SUMMARY|property failed' $$d/log.txt; \
	echo "   seconds: $$(( $$(date +%s) - start )), corpus: $$(ls $$d/corpus | wc -l) files"; \
	if [ $$rc -ne 0 ] || [ -n "$$(ls $$d/artifacts)" ]; then \
	  echo "fuzz_$(1): FAILED (exit $$rc), artifacts in $$d/artifacts:"; ls $$d/artifacts; tail -n 40 $$d/log.txt; exit 1; fi
endef

fuzz: $(FUZZ_BIN)
	$(foreach h,$(FUZZ_HARNESSES),$(call fuzz_run,$(h),-max_total_time=$(FUZZ_SECONDS))
	)
	@echo "fuzz: $(words $(FUZZ_HARNESSES)) harnesses, $(FUZZ_SECONDS) s each, no artifacts"

fuzz-long: $(FUZZ_BIN)
	$(foreach h,$(FUZZ_HARNESSES),$(call fuzz_run,$(h),-runs=$(FUZZ_RUNS) -jobs=1)
	)
