/* Broken port: recv waits up to 1 s for data (a blocking socket with a
   receive timeout) instead of returning XBL_MPSD_E_WOULD_BLOCK at once.
   Every poll while the service thinks stalls the frame.
   EXPECT-FAIL: connect.silent-peer recv.would-block recv.delayed timing.calls */
#include "broken_common.h"

static int32_t waiting_recv(void *ctx, uint8_t *buf, size_t cap)
{
    int32_t n = pass_recv(ctx, buf, cap);
    long waited = 0;
    while (n == XBL_MPSD_E_WOULD_BLOCK && waited < 1000) {
        broken_sleep_ms(1);
        waited++;
        n = pass_recv(ctx, buf, cap);
    }
    return n;
}

int conformance_port_setup(const conformance_env *env, conformance_adapter *out)
{
    (void)env;
    if (broken_setup(out, "broken: recv waits for data") != 0) return 1;
    out->port.recv = waiting_recv;
    return 0;
}
