/* Broken port: connect always starts a new connection, even when already
   connected to the same host and port. Bytes in flight on the old
   connection are lost, and a caller that checks "am I still connected?"
   with connect opens a new connection each time.
   EXPECT-FAIL: connect.again-same */
#include "broken_common.h"

static int connected;

static xbl_mpsd_result restarting_connect(void *ctx, const char *host, uint16_t port)
{
    xbl_mpsd_result r;
    if (connected) pass_close(ctx);
    r = pass_connect(ctx, host, port);
    connected = r == XBL_MPSD_OK;
    return r;
}

static void forgetting_close(void *ctx)
{
    connected = 0;
    pass_close(ctx);
}

int conformance_port_setup(const conformance_env *env, conformance_adapter *out)
{
    (void)env;
    if (broken_setup(out, "broken: connect restarts when connected") != 0) return 1;
    out->port.connect = restarting_connect;
    out->port.close = forgetting_close;
    return 0;
}
