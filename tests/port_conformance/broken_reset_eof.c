/* Broken port: a reset (or any error) is reported as XBL_MPSD_E_EOF. EOF
   means "the peer closed cleanly": the SDK then takes a close-delimited
   response cut by the reset as complete.
   EXPECT-FAIL: recv.reset */
#include "broken_common.h"

static int32_t error_as_eof_recv(void *ctx, uint8_t *buf, size_t cap)
{
    int32_t n = pass_recv(ctx, buf, cap);
    return n < 0 && n != XBL_MPSD_E_WOULD_BLOCK ? XBL_MPSD_E_EOF : n;
}

int conformance_port_setup(const conformance_env *env, conformance_adapter *out)
{
    (void)env;
    if (broken_setup(out, "broken: reset reported as EOF") != 0) return 1;
    out->port.recv = error_as_eof_recv;
    return 0;
}
