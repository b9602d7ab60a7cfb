/* Broken port: recv returns 0 when the peer closed, as BSD recv() does,
   instead of XBL_MPSD_E_EOF. The SDK reads 0 as a broken port
   (XBL_MPSD_E_IO), so a close-delimited response never completes and a
   stale kept-alive connection is not retried.
   EXPECT-FAIL: recv.eof recv.eof-sticky values.recv */
#include "broken_common.h"

static int32_t eof_as_zero_recv(void *ctx, uint8_t *buf, size_t cap)
{
    int32_t n = pass_recv(ctx, buf, cap);
    return n == XBL_MPSD_E_EOF ? 0 : n;
}

int conformance_port_setup(const conformance_env *env, conformance_adapter *out)
{
    (void)env;
    if (broken_setup(out, "broken: recv returns 0 on EOF") != 0) return 1;
    out->port.recv = eof_as_zero_recv;
    return 0;
}
