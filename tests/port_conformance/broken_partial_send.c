/* Broken port: a send that the socket accepted only in part is reported as
   an error ("if (sent != len) fail"). The SDK ends the operation with that
   error as soon as a request meets a full socket buffer (large sessions,
   slow links), and the bytes that did go out are lost to it.
   EXPECT-FAIL: send.backpressure transfer.large */
#include "broken_common.h"

static int32_t all_or_error_send(void *ctx, const uint8_t *data, size_t len)
{
    int32_t n = pass_send(ctx, data, len);
    if (n > 0 && (size_t)n < len) return XBL_MPSD_E_IO;
    return n;
}

int conformance_port_setup(const conformance_env *env, conformance_adapter *out)
{
    (void)env;
    if (broken_setup(out, "broken: partial send is an error") != 0) return 1;
    out->port.send = all_or_error_send;
    return 0;
}
