#!/usr/bin/env bash
# `make demo ARM=1`: the example story run by an emulated Cortex-M4. QEMU's
# mps2-an386 runs build/arm-test/arm_demo.elf (tests/arm/arm_demo.c); the
# board's UART0 is a QEMU socket chardev connected to the MPSD emulator's
# loopback port, so the SDK's requests travel over the serial line
# (port/xbl_mpsd_port_cmsdk_uart.h). Output and exit status: semihosting.
set -euo pipefail
cd "$(dirname "$0")/.."
ELF=build/arm-test/arm_demo.elf
. tools/emulator.sh
start_emulator
echo "== MPSD emulator listening on 127.0.0.1:$MPSD_PORT; QEMU mps2-an386 connects its UART0 to it"
timeout 120 qemu-system-arm -M mps2-an386 -nographic -monitor none \
  -semihosting-config enable=on,target=native \
  -chardev socket,id=uart0,host=127.0.0.1,port="$MPSD_PORT" -serial chardev:uart0 \
  -kernel "$ELF"
echo
echo "== what the emulator saw (one line per request)"
sed -n '1,40p' "$EMULATOR_LOG"
echo
echo "demo ARM=1: done"
