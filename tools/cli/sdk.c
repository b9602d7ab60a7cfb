/* The one translation unit that instantiates the SDK and the ports. */
#define _POSIX_C_SOURCE 200809L
#define XBL_MPSD_IMPLEMENTATION
#define XBL_MPSD_PORT_POSIX_IMPLEMENTATION
#define XBL_MPSD_PORT_MBEDTLS_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "port/xbl_mpsd_port_posix.h"
#include "port/xbl_mpsd_port_mbedtls.h"
