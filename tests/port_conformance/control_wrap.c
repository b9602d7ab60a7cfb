/* Control, not broken: the POSIX port with a clock that starts 1.5 s before
   32-bit wrap, so it wraps past 0xFFFFFFFF to 0 during the run. The contract
   allows that (the SDK compares wrap-safely), so every rule must PASS: this
   proves the suite's own clock arithmetic is wrap-safe.
   EXPECT-FAIL: */
#include "broken_common.h"

static uint32_t offset;

static uint32_t wrapping_now_ms(void *ctx)
{
    return pass_now_ms(ctx) + offset;
}

int conformance_port_setup(const conformance_env *env, conformance_adapter *out)
{
    (void)env;
    if (broken_setup(out, "control: clock wraps during the run") != 0) return 1;
    offset = UINT32_C(0xFFFFFFFF) - 1500u - pass_now_ms(NULL);
    out->port.now_ms = wrapping_now_ms;
    return 0;
}
