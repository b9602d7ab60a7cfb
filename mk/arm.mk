# The SDK on a microcontroller (tests/arm/): `make arm-test` builds the SDK
# in its default configuration at -Os for a Cortex-M4 with Debian's
# arm-none-eabi-gcc and picolibc, links it with our own startup code, vector
# table and linker script and no allocator at all, and runs the on-target
# test on QEMU's mps2-an386 (an AN386 Cortex-M4 board) with semihosting for
# output and exit status. A deliberate malloc must break that link.

DEB_PKGS     += gcc-arm-none-eabi picolibc-arm-none-eabi qemu-system-arm libjsmn-dev
CHECK_STAGES += arm-test
.PHONY: arm-test arm-build arm-no-heap-check arm-port-check arm-port-conformance

ARM_DIR   := $(BUILD)/arm-test
ARM_PC    := tests/port_conformance
# the suite prints timings with %f: the full printf for its image
ARM_PC_CFLAGS = $(filter-out -DPICOLIBC_INTEGER_PRINTF_SCANF,$(ARM_CFLAGS)) $(ARM_INC) -I$(ARM_PC) -DCONFORMANCE_HOST_HOOKS
ARM_CC    := arm-none-eabi-gcc
ARM_CPU   := -mcpu=cortex-m4 -mthumb
# jsmn.h alone on the include path: no host header may leak into the image
ARM_INC   := -I. -Itests -Itests/arm -I$(ARM_DIR)/include
ARM_CFLAGS := $(ARM_CPU) -Os -g $(STRICT) \
              -ffunction-sections -fdata-sections --specs=picolibc.specs -DPICOLIBC_INTEGER_PRINTF_SCANF
ARM_LDFLAGS := -nostartfiles -T tests/arm/mps2_an386.ld -Wl,--gc-sections
ARM_DEPS  := tests/arm/arm_test.c tests/arm/startup.c tests/arm/semihost.h tests/arm/mps2_an386.ld \
             tests/golden_bodies.h tests/json_eq.h tests/mock_port.h tests/test_auth.h xbl_mpsd.h
ARM_QEMU  := qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
             -semihosting-config enable=on,target=native
ARM_QEMU_TIMEOUT ?= 600

$(ARM_DIR)/include/jsmn.h:
	mkdir -p $(dir $@)
	cp /usr/include/jsmn.h $@

$(ARM_DIR)/arm_test.elf: $(ARM_DEPS) $(ARM_DIR)/include/jsmn.h
	$(ARM_CC) $(ARM_CFLAGS) $(ARM_INC) $(ARM_LDFLAGS) -Wl,-Map,$(ARM_DIR)/arm_test.map \
	  -o $@ tests/arm/arm_test.c tests/arm/startup.c
	arm-none-eabi-size $@

arm-build: deps $(ARM_DIR)/arm_test.elf

# The UART port as C99 with gcc and clang, as C++ and for the target.
arm-port-check: port/xbl_mpsd_port_cmsdk_uart.h xbl_mpsd.h | $(ARM_DIR)/include/jsmn.h
	printf '#define XBL_MPSD_PORT_CMSDK_UART_IMPLEMENTATION\n#include "port/xbl_mpsd_port_cmsdk_uart.h"\n#include "port/xbl_mpsd_port_cmsdk_uart.h"\n' > $(ARM_DIR)/port_uart.c
	$(CC) $(STRICT) -I. -c $(ARM_DIR)/port_uart.c -o $(ARM_DIR)/port_uart.gcc.o
	$(CLANG) $(STRICT) -I. -c $(ARM_DIR)/port_uart.c -o $(ARM_DIR)/port_uart.clang.o
	$(CXX) -x c++ -Wall -Wextra -Wpedantic -Wshadow -Werror -I. -c $(ARM_DIR)/port_uart.c -o $(ARM_DIR)/port_uart.cxx.o
	$(ARM_CC) $(ARM_CFLAGS) $(ARM_INC) -c $(ARM_DIR)/port_uart.c -o $(ARM_DIR)/port_uart.arm.o
	@echo "arm-port-check: the CMSDK UART port builds warning-free (gcc, clang, g++, arm-none-eabi-gcc)"

# The story of `make demo` on the Cortex-M4, over the UART port
# (tools/demo_arm.sh): `make demo ARM=1`.
$(ARM_DIR)/arm_demo.elf: tests/arm/arm_demo.c tests/arm/startup.c tests/arm/semihost.h tests/arm/mps2_an386.ld \
                         port/xbl_mpsd_port_cmsdk_uart.h tests/arm/an386.h xbl_mpsd.h $(ARM_DIR)/include/jsmn.h
	$(ARM_CC) $(ARM_CFLAGS) $(ARM_INC) $(ARM_LDFLAGS) -o $@ tests/arm/arm_demo.c tests/arm/startup.c
	arm-none-eabi-size $@

# The port conformance suite on the target against the UART port, with
# UART0 connected to the suite's peer (tests/arm/conformance_uart.c says
# which rules QEMU's UART model fails and why). About 20-40 s; its two expected
# failures depend on QEMU's timing, so it is not a make check stage.
$(ARM_DIR)/conformance.o: $(ARM_PC)/conformance.c $(ARM_PC)/conformance.h xbl_mpsd.h $(ARM_DIR)/include/jsmn.h
	$(ARM_CC) $(ARM_PC_CFLAGS) -Dmain=conformance_main -c $< -o $@

$(ARM_DIR)/conformance_uart.elf: tests/arm/conformance_uart.c $(ARM_DIR)/conformance.o tests/arm/startup.c \
                                 tests/arm/mps2_an386.ld port/xbl_mpsd_port_cmsdk_uart.h tests/arm/an386.h
	$(ARM_CC) $(ARM_PC_CFLAGS) $(ARM_LDFLAGS) -o $@ \
	  tests/arm/conformance_uart.c tests/arm/startup.c $(ARM_DIR)/conformance.o

arm-port-conformance: deps $(ARM_DIR)/conformance_uart.elf
	bash $(ARM_PC)/run.sh expect-src tests/arm/qemu_conformance.sh tests/arm/conformance_uart.c

ifeq ($(ARM),1)
demo: $(ARM_DIR)/arm_demo.elf
endif

# The negative test: the same link with one malloc call must fail, and fail
# on the no-heap assertion of the linker script.
arm-no-heap-check: $(ARM_DIR)/arm_test.elf tests/arm/no_heap_probe.c tests/arm/startup.c tests/arm/mps2_an386.ld
	@if $(ARM_CC) $(ARM_CFLAGS) $(ARM_INC) $(ARM_LDFLAGS) -o $(ARM_DIR)/no_heap_probe.elf \
	     tests/arm/no_heap_probe.c tests/arm/startup.c >$(ARM_DIR)/no_heap_probe.log 2>&1; then \
	  echo "arm-no-heap-check: FAILED, an image calling malloc linked"; exit 1; fi
	@grep -q "no heap: an allocator" $(ARM_DIR)/no_heap_probe.log || \
	  { cat $(ARM_DIR)/no_heap_probe.log; echo "arm-no-heap-check: FAILED, the link failed for another reason"; exit 1; }
	@if arm-none-eabi-nm $(ARM_DIR)/arm_test.elf | grep -E ' (malloc|free|calloc|realloc|_?sbrk)$$'; then \
	  echo "arm-no-heap-check: FAILED, the test image holds an allocator"; exit 1; fi
	@echo "arm-no-heap-check: the test image has no allocator; one malloc call breaks the link"

arm-test: arm-build arm-no-heap-check arm-port-check
	@st=0; timeout $(ARM_QEMU_TIMEOUT) $(ARM_QEMU) -kernel $(ARM_DIR)/arm_test.elf >$(ARM_DIR)/arm_test.log 2>&1 || st=$$?; \
	cat $(ARM_DIR)/arm_test.log; \
	if [ $$st = 0 ] && tail -n 1 $(ARM_DIR)/arm_test.log | grep -Eq '^[0-9]+ passed, 0 failed$$'; then \
	  echo "arm-test: passed on the emulated Cortex-M4"; \
	else echo "arm-test: FAILED (QEMU exit status $$st)"; exit 1; fi
