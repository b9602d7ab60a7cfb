/* Broken port: now_ms from a wall clock that gets stepped back (by NTP, by
   the user setting the time): here 1.5 s back every 5000 readings. The SDK
   measures its deadline as now - start; a step back makes that difference
   wrap to ~49 days, so the operation ends at once with XBL_MPSD_E_TIMEOUT.
   EXPECT-FAIL: clock.monotonic */
#include "broken_common.h"

static uint32_t readings, stepped_back;

static uint32_t stepped_now_ms(void *ctx)
{
    if (++readings % 5000u == 0) stepped_back += 1500u;
    return pass_now_ms(ctx) - stepped_back;
}

int conformance_port_setup(const conformance_env *env, conformance_adapter *out)
{
    (void)env;
    if (broken_setup(out, "broken: clock steps backwards") != 0) return 1;
    out->port.now_ms = stepped_now_ms;
    return 0;
}
