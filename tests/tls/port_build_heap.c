/* Compile-only check of the port's embedded paths, which Debian's mbedTLS
   cannot link: the buffer allocator (heap_user_config.h turns it on), an
   entropy source added through XBL_MPSD_PORT_MBEDTLS_ADD_ENTROPY, and a
   requested maximum fragment length. */
#include <stddef.h>
static int console_rng_poll(void *data, unsigned char *out, size_t len, size_t *olen);
#define XBL_MPSD_PORT_MBEDTLS_ADD_ENTROPY(ctx) \
    mbedtls_entropy_add_source((ctx), console_rng_poll, NULL, 32, MBEDTLS_ENTROPY_SOURCE_STRONG)
#define XBL_MPSD_PORT_MBEDTLS_MAX_FRAG_LEN MBEDTLS_SSL_MAX_FRAG_LEN_4096
#define XBL_MPSD_PORT_MBEDTLS_IMPLEMENTATION
#include "port/xbl_mpsd_port_mbedtls.h"

#if XBL_MPSD_PORT_MBEDTLS_HEAP_SUPPORTED != 1
#error "heap_user_config.h did not reach mbedTLS's configuration"
#endif

/* stands in for a console's cryptographic RNG; never run */
static int console_rng_poll(void *data, unsigned char *out, size_t len, size_t *olen)
{
    (void)data;
    (void)out;
    *olen = len;
    return 0;
}
