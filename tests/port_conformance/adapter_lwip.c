/* Conformance adapter for the lwIP port (port/xbl_mpsd_port_lwip.h) on
   Debian's liblwip, run in-process by tests/lwip/lwip_host.h. The peer is
   peer_lwip.h inside the same stack (run.sh --no-peer): the suite's
   connections never leave lwIP. */
#define _POSIX_C_SOURCE 200809L
#define XBL_MPSD_PORT_LWIP_IMPLEMENTATION
#include "port/xbl_mpsd_port_lwip.h"
#include "lwip_host.h"
#include "peer_lwip.h"

static xbl_mpsd_port_lwip tcp;

static void pump(void *user)
{
    (void)user;
    lwip_host_pump();
}

int conformance_port_setup(const conformance_env *env, conformance_adapter *out)
{
    uint16_t base = env->base_port != 0 ? env->base_port : 7000;
    lwip_host_init();
    if (peer_lwip_start(base) != 0) {
        fprintf(stderr, "adapter_lwip: the in-lwIP peer could not listen on %u..\n", (unsigned)base);
        return 1;
    }
    if (xbl_mpsd_port_lwip_init(&tcp, &out->port) != XBL_MPSD_OK) return 1;
    out->name = "lwip (in-process, Debian liblwip)";
    out->host = "127.0.0.1";
    out->base_port = base;
    out->no_answer_host = "10.255.255.1";   /* lwip_host's netif drops it: the SYN goes unanswered */
    out->pump = pump;
    return 0;
}
