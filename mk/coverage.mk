# Coverage gate (issue 7): `make coverage`.
# Every unit test (tests/test_*.c) and the integration programs are rebuilt
# with gcc --coverage under $(BUILD)/cov/, run (the integration ones against
# the emulator, through tests/integration/run.sh), and lcov merges what they
# executed of xbl_mpsd.h and port/*.h. mk/coverage_table.awk prints lines,
# branches and functions per file and fails the stage when a file falls
# below its gate.
#
# Gates: per file, "file=lines/branches/functions" minimum percentages, set
# at what the suite reaches (rounded down a little where a timing-dependent
# path of a socket port could flap). Raise them when coverage goes up; never
# lower one to let a change in. A port/*.h without a gate is printed with
# "(no gate yet)" and does not fail: give it a gate once its tests run here.
#
# Other parts add their instrumented runs (see mk/lwip.mk): build under
# $(COV_DIR)/<part>/ with $(COV_CFLAGS), append output to $(COV_DIR)/run.log,
# and hook in with
#   <part>-coverage-run: coverage-run <binaries>    (after counters are zeroed)
#   coverage: <part>-coverage-run                  (before they are captured)
COV_GATES ?= xbl_mpsd.h=99.6/95/100 \
             port/xbl_mpsd_port_posix.h=99/98/100 \
             port/xbl_mpsd_port_lwip.h=100/95/100 \
             port/xbl_mpsd_port_mbedtls.h=95/73/100 \
             port/xbl_mpsd_port_template.h=100/96/100

# lcov counts a branch for every assert() (the failing side of an invariant
# can never run); lines naming XBL_MPSD_ASSERT are left out of the branch
# count only, their lines still count. Nothing else is excluded.
COV_LCOV := lcov --quiet --rc lcov_branch_coverage=1 --rc 'lcov_excl_br_line=XBL_MPSD_ASSERT'
# atomic counters: load_counter runs its clients on threads.
COV_CFLAGS := -O0 -g --coverage -fprofile-update=atomic
COV_DIR := $(BUILD)/cov
COV_UNIT := $(patsubst tests/%.c,$(COV_DIR)/%,$(UNIT_SRC))
COV_PORT_HDRS := $(sort $(wildcard port/*.h))
# the ports' libraries, for unit tests that exercise them (unused ones are harmless)
COV_LIBS := -lcmocka
COV_MBEDTLS_LIBS := -lmbedtls -lmbedx509 -lmbedcrypto

.PHONY: coverage coverage-run

$(COV_DIR) $(COV_DIR)/integration:
	mkdir -p $@

$(COV_DIR)/test_zero_heap: tests/test_zero_heap.c $(HDRS) | $(COV_DIR)
	$(CC) $(STRICT) $(TESTFLAGS) $(COV_CFLAGS) -I. -Itests -o $@ $< $(WRAP) $(COV_LIBS)

$(COV_DIR)/test_%: tests/test_%.c $(HDRS) | $(COV_DIR)
	$(CC) $(STRICT) $(TESTFLAGS) $(COV_CFLAGS) -I. -Itests -o $@ $< $(COV_LIBS) $(COV_MBEDTLS_LIBS)

$(COV_DIR)/integration/it_sdk: tests/integration/it_sdk.c tests/integration/sdk_common.h $(HDRS) | $(COV_DIR)/integration
	$(CC) $(STRICT) $(COV_CFLAGS) -I. -o $@ $< -lcmocka

$(COV_DIR)/integration/load_counter: tests/integration/load_counter.c tests/integration/sdk_common.h $(HDRS) | $(COV_DIR)/integration
	$(CC) $(STRICT) $(COV_CFLAGS) -I. -o $@ $< -pthread

# Runs everything instrumented from zeroed counters; output of passing
# tests is kept in $(COV_DIR)/run.log (a failure prints it).
coverage-run: $(COV_UNIT) $(COV_DIR)/integration/it_sdk $(COV_DIR)/integration/load_counter
	@find $(COV_DIR) -name '*.gcda' -delete
	@rm -f $(COV_DIR)/run.log
	@set -e; for t in $(COV_UNIT); do echo "== $$t" >>$(COV_DIR)/run.log; \
	  ./$$t >>$(COV_DIR)/run.log 2>&1 || { cat $(COV_DIR)/run.log; echo "coverage: $$t failed"; exit 1; }; done
	@bash tests/integration/run.sh $(COV_DIR)/integration >>$(COV_DIR)/run.log 2>&1 || \
	  { cat $(COV_DIR)/run.log; echo "coverage: integration failed"; exit 1; }

coverage: coverage-run
	@$(COV_LCOV) --capture --directory $(COV_DIR) --output-file $(COV_DIR)/all.info >/dev/null 2>$(COV_DIR)/lcov.err || { cat $(COV_DIR)/lcov.err; exit 1; }
	@$(COV_LCOV) --extract $(COV_DIR)/all.info '$(CURDIR)/xbl_mpsd.h' $(foreach h,$(COV_PORT_HDRS),'$(CURDIR)/$(h)') \
	  --output-file $(COV_DIR)/sdk.info >/dev/null
	@awk -v root='$(CURDIR)/' -v gates='$(strip $(COV_GATES))' \
	  -v expect='xbl_mpsd.h $(COV_PORT_HDRS)' -f mk/coverage_table.awk $(COV_DIR)/sdk.info
	@echo "coverage: html report: genhtml --branch-coverage $(COV_DIR)/sdk.info -o $(COV_DIR)/html"

CHECK_STAGES += coverage
DEB_PKGS += lcov
