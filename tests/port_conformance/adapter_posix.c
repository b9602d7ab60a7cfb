/* Conformance adapter for the shipped POSIX port (port/xbl_mpsd_port_posix.h).
   The smallest possible adapter: a port with no pump, reached at the
   address the suite was given. */
#define _POSIX_C_SOURCE 200809L
#define XBL_MPSD_PORT_POSIX_IMPLEMENTATION
#include "port/xbl_mpsd_port_posix.h"
#include "conformance.h"

static xbl_mpsd_port_posix tcp;

int conformance_port_setup(const conformance_env *env, conformance_adapter *out)
{
    (void)env;
    out->name = "posix";
    return xbl_mpsd_port_posix_init(&tcp, &out->port) == XBL_MPSD_OK ? 0 : 1;
}
