/* See tls_stack.h. ucontext is gone from POSIX 2008 but glibc keeps it
   under _GNU_SOURCE; only this file needs it. */
#define _GNU_SOURCE
#include "tls_stack.h"
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

#define PAINT 0xA5

static unsigned char g_stack[TLS_STACK_BYTES];
static ucontext_t g_caller, g_callee;
static void (*g_fn)(void *);
static void *g_arg;

static void trampoline(void)
{
    g_fn(g_arg);
}

size_t tls_stack_measure(void (*fn)(void *arg), void *arg)
{
    size_t untouched = 0;
    memset(g_stack, PAINT, sizeof g_stack);
    g_fn = fn;
    g_arg = arg;
    if (getcontext(&g_callee) != 0) return 0;
    g_callee.uc_stack.ss_sp = g_stack;
    g_callee.uc_stack.ss_size = sizeof g_stack;
    g_callee.uc_link = &g_caller;
    makecontext(&g_callee, trampoline, 0);
    if (swapcontext(&g_caller, &g_callee) != 0) return 0;
    /* the stack grows down: paint left at the low end was never reached */
    while (untouched < sizeof g_stack && g_stack[untouched] == PAINT) untouched++;
    return sizeof g_stack - untouched;
}
