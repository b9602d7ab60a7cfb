# xbl_mpsd: build, test, demo. `make test` is the whole suite; `make demo`
# runs the example session story against the local emulator.

CC      ?= cc
STRICT  := -std=c99 -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wstrict-prototypes -Werror
CFLAGS  ?= -O1 -g
BUILD   := build
UNIT_SRC := $(sort $(wildcard tests/test_*.c))
UNIT_BIN := $(patsubst tests/%.c,$(BUILD)/%,$(UNIT_SRC))

.PHONY: all test unit demo clean

all: unit

$(BUILD):
	mkdir -p $(BUILD)

$(BUILD)/test_%: tests/test_%.c xbl_mpsd.h $(wildcard wip/*.h) $(wildcard tests/*.h) $(wildcard port/*.h) | $(BUILD)
	$(CC) $(STRICT) $(CFLAGS) -I. -Itests -o $@ $< -lcmocka

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; ./$$t; done

test: unit

clean:
	rm -rf $(BUILD)
