# libFuzzer harnesses (tests/fuzz/): `make fuzz [FUZZ_SECONDS=N]`.
.PHONY: fuzz

FUZZ_SECONDS ?= 30
FUZZ := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1

$(BUILD)/fuzz_response: tests/fuzz/fuzz_response.c $(HDRS) | $(BUILD)
	$(CLANG) $(STRICT) $(FUZZ) -I. -o $@ $<

# Runs the harness for FUZZ_SECONDS on a scratch copy of the seed corpus.
fuzz: $(BUILD)/fuzz_response
	rm -rf $(BUILD)/fuzz_corpus && mkdir -p $(BUILD)/fuzz_corpus && cp tests/fuzz/corpus/* $(BUILD)/fuzz_corpus/
	./$(BUILD)/fuzz_response -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 \
	  -artifact_prefix=$(BUILD)/ $(BUILD)/fuzz_corpus 2>&1 | grep -E 'stat::number_of_executed_units|stat::peak_rss|Done|ERROR|SUMMARY' ; \
	  test $$(ls $(BUILD)/crash-* $(BUILD)/leak-* $(BUILD)/timeout-* 2>/dev/null | wc -l) -eq 0

