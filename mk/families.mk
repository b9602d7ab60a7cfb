# Feature-family switches: `make families-check` builds the header with
# every combination of XBL_MPSD_NO_HANDLES, XBL_MPSD_NO_RTA and
# XBL_MPSD_NO_TRACE under gcc, clang and g++ (warnings are errors), and
# checks that a switched-off family leaves none of its functions in.
TEST_STAGES += families-check
.PHONY: families-check

FAM_DIR := $(BUILD)/families
FAM_SWITCHES := NO_HANDLES NO_RTA NO_TRACE
# the handles family's public functions all start with one of these
FAM_HANDLES_SYMS := xbl_mpsd_(set_activity|clear_activity|set_transfer_handle|send_invites|get_activities|search_handle|create_search_handle|delete_search_handle|get_search_handles|query_sessions)

$(FAM_DIR):
	mkdir -p $@

families-check: $(HDRS) | $(FAM_DIR)
	@set -e; n=0; for mask in 0 1 2 3 4 5 6 7; do \
	  defs=""; name="fam"; i=0; for s in $(FAM_SWITCHES); do \
	    if [ $$(( (mask >> i) & 1 )) = 1 ]; then defs="$$defs -DXBL_MPSD_$$s"; name="$$name-$$s"; fi; i=$$((i + 1)); done; \
	  $(CC) $(STRICT) $$defs -I. -c xbl_mpsd.c -o $(FAM_DIR)/$$name.gcc.o; \
	  $(CLANG) $(STRICT) $$defs -I. -c xbl_mpsd.c -o $(FAM_DIR)/$$name.clang.o; \
	  $(CXX) -x c++ -Wall -Wextra -Wpedantic -Wshadow -Werror $$defs -I. -c xbl_mpsd.c -o $(FAM_DIR)/$$name.cxx.o; \
	  if nm $(FAM_DIR)/$$name.gcc.o | grep -Eq ' T $(FAM_HANDLES_SYMS)'; then has=1; else has=0; fi; \
	  case "$$defs" in *NO_HANDLES*) want=0;; *) want=1;; esac; \
	  if [ $$has != $$want ]; then echo "families-check: FAILED,$$defs: handles functions present=$$has"; exit 1; fi; \
	  n=$$((n + 1)); done; \
	  echo "families-check: $$n switch combinations build warning-free under gcc, clang and g++; XBL_MPSD_NO_HANDLES leaves the handles family out"
