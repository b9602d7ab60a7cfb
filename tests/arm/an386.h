/* an386.h - the AN386 board for the UART programs of tests/arm/: a
   millisecond (and microsecond) clock from a CMSDK APB timer (timer 0 at
   0x40000000, timer 1 at 0x40001000), and UART0 as an xbl_mpsd port with
   that clock. The timer's 32-bit down-counter runs free at the 25 MHz
   peripheral clock and is read into a 64-bit tick count, so it must be
   read more often than its 171 s wrap (every poll does). State lives in
   the caller's structs. Include after port/xbl_mpsd_port_cmsdk_uart.h. */
#ifndef AN386_H
#define AN386_H

#include <stdint.h>
#include <string.h>

#define CMSDK_PCLK_HZ 25000000u
#define CMSDK_TIMER0 ((uintptr_t)0x40000000u)
#define CMSDK_TIMER1 ((uintptr_t)0x40001000u)

typedef struct cmsdk_timer { uintptr_t base; uint32_t last; uint64_t ticks; } cmsdk_timer;

static volatile uint32_t *cmsdk_timer_reg(const cmsdk_timer *t, uint32_t offset)
{
    return (volatile uint32_t *)(t->base + offset);
}

static void cmsdk_timer_start(cmsdk_timer *t, uintptr_t base)
{
    t->base = base;
    *cmsdk_timer_reg(t, 0x8) = 0xFFFFFFFFu;   /* RELOAD */
    *cmsdk_timer_reg(t, 0x4) = 0xFFFFFFFFu;   /* VALUE */
    *cmsdk_timer_reg(t, 0x0) = 1u;            /* CTRL: enable */
    t->last = *cmsdk_timer_reg(t, 0x4);
    t->ticks = 0;
}

static uint64_t cmsdk_timer_ticks(cmsdk_timer *t)
{
    uint32_t now = *cmsdk_timer_reg(t, 0x4);
    t->ticks += (uint32_t)(t->last - now);   /* counts down; unsigned wrap is the delta */
    t->last = now;
    return t->ticks;
}

/* As an xbl_mpsd port clock: ctx is the cmsdk_timer. */
static uint32_t cmsdk_timer_now_ms(void *ctx)
{
    return (uint32_t)(cmsdk_timer_ticks((cmsdk_timer *)ctx) / (CMSDK_PCLK_HZ / 1000u));
}

/* UART0 at 115200 baud as *port, timer 0 (started here) its clock. */
static xbl_mpsd_result an386_uart0_port(xbl_mpsd_port_cmsdk_uart *uart, cmsdk_timer *clock, xbl_mpsd_port *port)
{
    xbl_mpsd_port_cmsdk_uart_config cfg;
    cmsdk_timer_start(clock, CMSDK_TIMER0);
    memset(&cfg, 0, sizeof cfg);
    cfg.base = XBL_MPSD_PORT_CMSDK_UART0_AN386;
    cfg.bauddiv = CMSDK_PCLK_HZ / 115200u;
    cfg.now_ms = cmsdk_timer_now_ms;
    cfg.clock_ctx = clock;
    return xbl_mpsd_port_cmsdk_uart_init(uart, &cfg, port);
}

#endif
