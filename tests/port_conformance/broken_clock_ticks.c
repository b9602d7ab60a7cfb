/* Broken port: now_ms returns the system tick count (10 ms ticks here)
   instead of milliseconds. Every SDK timeout then lasts 10 times longer
   than configured.
   EXPECT-FAIL: clock.rate */
#include "broken_common.h"

static uint32_t ticks_now_ms(void *ctx)
{
    return pass_now_ms(ctx) / 10u;
}

int conformance_port_setup(const conformance_env *env, conformance_adapter *out)
{
    (void)env;
    if (broken_setup(out, "broken: clock in 10 ms ticks") != 0) return 1;
    out->port.now_ms = ticks_now_ms;
    return 0;
}
