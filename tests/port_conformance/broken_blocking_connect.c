/* Broken port: connect waits for the TCP handshake to finish (here up to
   2 s, like a blocking connect() with a timeout). On a network that is slow
   to answer the game's frame stalls in xbl_mpsd_async_poll, and the SDK's
   own timeout cannot fire while it waits.
   EXPECT-FAIL: connect.no-answer timing.calls */
#include "broken_common.h"

static xbl_mpsd_result waiting_connect(void *ctx, const char *host, uint16_t port)
{
    xbl_mpsd_result r = pass_connect(ctx, host, port);
    long waited = 0;
    while (r == XBL_MPSD_PENDING && waited < 2000) {
        broken_sleep_ms(1);
        waited++;
        r = pass_connect(ctx, host, port);
    }
    return r;
}

int conformance_port_setup(const conformance_env *env, conformance_adapter *out)
{
    (void)env;
    if (broken_setup(out, "broken: connect blocks until connected") != 0) return 1;
    out->port.connect = waiting_connect;
    return 0;
}
