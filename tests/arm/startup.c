/* startup.c - reset, vector table and C runtime set-up for the AN386
   (Cortex-M4) image that QEMU's mps2-an386 machine boots: copy .data from
   ROM, zero .bss, run main, hand its status to the host by semihosting.
   picolibc's stdout and stderr go through semihosting too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "semihost.h"

#define SYS_WRITE0                 0x04
#define SYS_EXIT_EXTENDED          0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
int main(void);

static int semihost_call(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void semihost_write0(const char *text)
{
    (void)semihost_call(SYS_WRITE0, text);
}

void semihost_exit(int status)
{
    uint32_t block[2];
    block[0] = ADP_STOPPED_APPLICATION_EXIT;
    block[1] = (uint32_t)status;
    (void)semihost_call(SYS_EXIT_EXTENDED, block);
    for (;;) {}
}

/* abort() (a failed assert, the scripted port out of steps) ends the run;
   there are no signals to raise. */
void abort(void)
{
    semihost_write0("FAIL abort: the program aborted\n");
    semihost_exit(134);
}

void _exit(int status)
{
    semihost_exit(status);
}

/* picolibc stdio: a line buffer flushed with one SYS_WRITE0 per line. */
static char g_line[256];
static unsigned g_line_len;

static int semihost_putc(char c, FILE *f)
{
    (void)f;
    g_line[g_line_len++] = c;
    if (c == '\n' || g_line_len == sizeof g_line - 1) {
        g_line[g_line_len] = '\0';
        semihost_write0(g_line);
        g_line_len = 0;
    }
    return (unsigned char)c;
}

static FILE g_semihost_out = FDEV_SETUP_STREAM(semihost_putc, NULL, NULL, _FDEV_SETUP_WRITE);
FILE *const stdout = &g_semihost_out;
FILE *const stderr = &g_semihost_out;

void reset_handler(void) __attribute__((noreturn));
void reset_handler(void)
{
    uint32_t *src = __data_load, *dst = __data_start;
    while (dst < __data_end) *dst++ = *src++;
    for (dst = __bss_start; dst < __bss_end; dst++) *dst = 0;
    semihost_exit(main());
}

/* Any fault ends the run with a status no test result uses. */
static void fault_handler(void)
{
    semihost_write0("FAIL fault: the CPU took an exception\n");
    semihost_exit(99);
}

typedef void (*vector)(void);

__attribute__((section(".vectors"), used))
static const vector g_vectors[16] = {
    (vector)(uintptr_t)__stack_top, reset_handler,
    fault_handler,   /* NMI */
    fault_handler,   /* HardFault */
    fault_handler,   /* MemManage */
    fault_handler,   /* BusFault */
    fault_handler,   /* UsageFault */
    0, 0, 0, 0,
    fault_handler,   /* SVCall */
    fault_handler,   /* DebugMonitor */
    0,
    fault_handler,   /* PendSV */
    fault_handler,   /* SysTick */
};
