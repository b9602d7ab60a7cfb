/* cmsdk_timer.h - a millisecond (and microsecond) clock from a CMSDK APB
   timer of the AN386 (timer 0 at 0x40000000, timer 1 at 0x40001000): the
   32-bit down-counter runs free at the 25 MHz peripheral clock and is read
   into a 64-bit tick count, so it must be read more often than its 171 s
   wrap (every poll does). State lives in the caller's cmsdk_timer. */
#ifndef CMSDK_TIMER_H
#define CMSDK_TIMER_H

#include <stdint.h>

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

#endif
