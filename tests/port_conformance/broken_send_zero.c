/* Broken port: send returns 0 ("nothing sent") when the socket buffer is
   full, instead of XBL_MPSD_E_WOULD_BLOCK. The SDK reads 0 as a broken port
   and ends the operation with XBL_MPSD_E_IO.
   EXPECT-FAIL: send.backpressure transfer.large values.send */
#include "broken_common.h"

static int32_t zero_when_full_send(void *ctx, const uint8_t *data, size_t len)
{
    int32_t n = pass_send(ctx, data, len);
    return n == XBL_MPSD_E_WOULD_BLOCK ? 0 : n;
}

int conformance_port_setup(const conformance_env *env, conformance_adapter *out)
{
    (void)env;
    if (broken_setup(out, "broken: send returns 0 when full") != 0) return 1;
    out->port.send = zero_when_full_send;
    return 0;
}
