# Static analysis (issue 7): `make lint` runs cppcheck, clang-tidy (checks in
# .clang-tidy) and the clang static analyzer over the SDK (xbl_mpsd.h with
# XBL_MPSD_IMPLEMENTATION) and over every port/*.h (each with its own
# XBL_MPSD_PORT_<NAME>_IMPLEMENTATION, derived from the file name), so a new
# port is linted as soon as it lands. Any finding fails the stage.
#
# clang-tidy and clang --analyze get each header as the main file (-x c):
# the analyzer only follows paths through functions of the main file, so
# linting a .c that merely includes the header would check almost nothing.

LINT_DIR   := $(BUILD)/lint
LINT_PORTS  = $(sort $(wildcard port/*.h))
# Debian's layout: lwIP's headers and its lwipopts.h live in /usr/include/lwip
# (pkg-config --cflags lwip); mbedTLS is in /usr/include. Harmless for the rest.
LINT_INC   := -I. -I/usr/include/lwip
# lwIP's arch.h needs SSIZE_MAX from <limits.h>, which -std=c99 hides
# without a POSIX feature macro (see port/xbl_mpsd_port_lwip.h, USE).
LINT_PORT_DEFS := -D_POSIX_C_SOURCE=200809L

# cppcheck: every check family (--enable=all) for C99, inconclusive ones
# too. Suppressed, and why:
#   missingIncludeSystem  system and library headers are not given to
#                         cppcheck (its manual's advice: it checks our code,
#                         and the libc/lwIP/mbedTLS configs would explode)
#   unusedFunction        a library's public API has no caller inside it
#   funcArgNamesDifferent definitions name the async object `a` and the
#                         reference `r` as every private helper does, while
#                         the declarations keep spec/API.md's parameter names
#   unmatchedSuppression  the list is shared by all headers
#   toomanyconfigs        informational: the -D options below pick the one
#                         configuration that is built
#   constParameter in the template port: its recv stub does not write buf,
#                         yet the signature is the port contract's
#   unusedStructMember in xbl_mpsd.h: public session fields the reader's key
#                         tables fill through offsetof, which cppcheck cannot follow
# Because system headers are not read, the macros the ports test with #error
# (POSIX visibility, the mbedTLS version) are given with Debian 12's values.
LINT_CPPCHECK := cppcheck --enable=all --inconclusive --std=c99 --language=c --library=posix \
  --error-exitcode=1 --quiet --inline-suppr \
  --suppress=missingIncludeSystem --suppress=unusedFunction --suppress=funcArgNamesDifferent \
  --suppress=unmatchedSuppression --suppress=toomanyconfigs \
  --suppress=constParameter:port/xbl_mpsd_port_template.h \
  --suppress=unusedStructMember:xbl_mpsd.h \
  -DCLOCK_MONOTONIC=1 -DAI_NUMERICSERV=0x0400 -DPOLLOUT=0x004 -DINET6_ADDRSTRLEN=46 -DTCP_NODELAY=1 -DMSG_NOSIGNAL=0x4000 \
  -DMBEDTLS_VERSION_NUMBER=0x021C0300 \
  --template='{file}:{line}: {severity}: {id}: {message}'

# clang --analyze: the default checkers plus the optional security and
# portability ones that fit C99 (the nullability and optin.performance ones
# do not apply to C); -analyzer-werror makes every report an error.
LINT_ANALYZE := $(CLANG) --analyze -std=c99 -Xanalyzer -analyzer-output=text \
  -Xanalyzer -analyzer-checker=security,optin.portability,valist -Xanalyzer -analyzer-werror

$(LINT_DIR):
	mkdir -p $@

.PHONY: lint lint-cppcheck lint-tidy lint-analyze

# One line per header: "<file> <defines>".
define lint_units
	echo "xbl_mpsd.h -DXBL_MPSD_IMPLEMENTATION"; \
	for h in $(LINT_PORTS); do \
	  echo "$$h $(LINT_PORT_DEFS) -D$$(basename $$h .h | tr a-z A-Z)_IMPLEMENTATION"; done
endef

lint-cppcheck: | $(LINT_DIR)
	@($(lint_units)) | { rc=0; while read -r h defs; do \
	  echo "== cppcheck $$h"; \
	  nice $(LINT_CPPCHECK) $(LINT_INC) $$defs --cppcheck-build-dir=$(LINT_DIR) $$h || rc=1; done; exit $$rc; }

lint-tidy: | $(LINT_DIR)
	@($(lint_units)) | { rc=0; while read -r h defs; do \
	  echo "== clang-tidy $$h"; \
	  nice clang-tidy --quiet $$h -- -x c -std=c99 $(LINT_INC) $$defs >$(LINT_DIR)/tidy.log 2>&1 \
	    || { grep -v 'warnings* generated\.$$' $(LINT_DIR)/tidy.log; rc=1; }; done; exit $$rc; }

lint-analyze: | $(LINT_DIR)
	@($(lint_units)) | { rc=0; while read -r h defs; do \
	  echo "== clang --analyze $$h"; \
	  nice $(LINT_ANALYZE) -x c $(LINT_INC) $$defs $$h -o /dev/null || rc=1; done; exit $$rc; }

lint: lint-cppcheck lint-tidy lint-analyze
	@echo "lint: cppcheck $$(cppcheck --version | cut -d' ' -f2), clang-tidy and clang --analyze $$($(CLANG) -dumpversion): no findings"

CHECK_STAGES += lint
DEB_PKGS += cppcheck clang-tidy clang-tools liblwip-dev
