/* Conformance adapter for TLS over TCP: the mbedTLS port
   (port/xbl_mpsd_port_mbedtls.h) layered over the POSIX port. Run against
   peer.py with --tls-cert/--tls-key; the suite needs --ca (the root that
   signed the peer's certificate) and --server-name (default localhost). */
#define _POSIX_C_SOURCE 200809L
#define XBL_MPSD_PORT_POSIX_IMPLEMENTATION
#define XBL_MPSD_PORT_MBEDTLS_IMPLEMENTATION
#include "port/xbl_mpsd_port_posix.h"
#include "port/xbl_mpsd_port_mbedtls.h"
#include "conformance.h"

#include <stdio.h>

static xbl_mpsd_port_posix tcp;
static xbl_mpsd_port tcp_port;
static xbl_mpsd_port_mbedtls tls;   /* must not move once initialized */

int conformance_port_setup(const conformance_env *env, conformance_adapter *out)
{
    xbl_mpsd_port_mbedtls_config cfg;
    xbl_mpsd_result r;
    if (env->ca_pem == NULL) {
        fprintf(stderr, "adapter_mbedtls_posix: give the peer's CA with --ca FILE\n");
        return 1;
    }
    if (xbl_mpsd_port_posix_init(&tcp, &tcp_port) != XBL_MPSD_OK) return 1;
    memset(&cfg, 0, sizeof cfg);
    cfg.lower = &tcp_port;
    cfg.server_name = env->server_name;
    cfg.ca_pem = env->ca_pem;
    r = xbl_mpsd_port_mbedtls_init(&tls, &cfg, &out->port);
    if (r != XBL_MPSD_OK) {
        fprintf(stderr, "adapter_mbedtls_posix: xbl_mpsd_port_mbedtls_init failed: 0x%08lX\n",
                (unsigned long)(uint32_t)r);
        return 1;
    }
    out->name = "mbedtls over posix";
    return 0;
}
