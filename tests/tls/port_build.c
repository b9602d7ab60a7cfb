/* Strict build check of the mbedTLS port: instantiated beside the SDK and
   the POSIX port, the header included twice, in any order. */
#define _POSIX_C_SOURCE 200809L
#define XBL_MPSD_IMPLEMENTATION
#define XBL_MPSD_PORT_POSIX_IMPLEMENTATION
#define XBL_MPSD_PORT_MBEDTLS_IMPLEMENTATION
#include "port/xbl_mpsd_port_mbedtls.h"
#include "port/xbl_mpsd_port_posix.h"
#include "port/xbl_mpsd_port_mbedtls.h"
