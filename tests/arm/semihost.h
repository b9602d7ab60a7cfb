/* semihost.h - the Arm semihosting calls the on-target test needs (output,
   exit status) and the stack bounds of tests/arm/mps2_an386.ld. QEMU runs
   them on the host with -semihosting-config enable=on,target=native. */
#ifndef ARM_SEMIHOST_H
#define ARM_SEMIHOST_H

#include <stdint.h>

/* Writes a NUL-terminated string to the host's stdout (SYS_WRITE0). */
void semihost_write0(const char *text);

/* Ends the emulation with `status` as QEMU's exit status (SYS_EXIT_EXTENDED). */
void semihost_exit(int status) __attribute__((noreturn));

/* The stack: __stack_limit (lowest address) up to __stack_top. */
extern uint32_t __stack_limit[], __stack_top[];

#endif
