#!/usr/bin/env bash
# Runs the conformance suite image (tests/arm/conformance_uart.c) on QEMU's
# mps2-an386 with UART0 connected to the peer's echo scenario. Called by
# tests/port_conformance/run.sh like a suite binary: --base PORT [...].
set -euo pipefail
base=""
while [ $# -gt 0 ]; do
  case "$1" in --base) base=$2; shift 2 ;; *) shift ;; esac
done
[ -n "$base" ] || { echo "usage: qemu_conformance.sh --base PORT"; exit 2; }
exec timeout 300 qemu-system-arm -M mps2-an386 -nographic -monitor none \
  -semihosting-config enable=on,target=native \
  -chardev socket,id=uart0,host=127.0.0.1,port="$base" -serial chardev:uart0 \
  -kernel "${ARM_CONFORMANCE_ELF:-build/arm-test/conformance_uart.elf}"
