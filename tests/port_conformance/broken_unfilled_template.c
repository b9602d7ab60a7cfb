/* The template port (port/xbl_mpsd_port_template.h) as copied, nothing
   filled in: every call fails with E_NOTIMPL and the clock stands still.
   What a porter sees on the first `make port-check`; each TODO filled in
   turns some of these into PASS.
   EXPECT-FAIL: clock.rate connect.echo connect.again-same close.twice connect.after-close connect.after-failure connect.no-answer connect.silent-peer recv.would-block recv.delayed recv.eof recv.eof-sticky recv.reset send.after-reset send.backpressure transfer.large */
#define XBL_MPSD_PORT_TEMPLATE_IMPLEMENTATION
#include "port/xbl_mpsd_port_template.h"
#include "conformance.h"

static xbl_mpsd_port_template net;

int conformance_port_setup(const conformance_env *env, conformance_adapter *out)
{
    (void)env;
    out->name = "template, unfilled";
    return xbl_mpsd_port_template_init(&net, &out->port) == XBL_MPSD_OK ? 0 : 1;
}
