// The public part of the SDK and its ports as a C++ caller sees it: every
// macro a caller expands, under g++ -Wold-style-cast (make build-check).
#include "xbl_mpsd.h"
#include "port/xbl_mpsd_port_posix.h"
#include "port/xbl_mpsd_port_mbedtls.h"
#include "port/xbl_mpsd_port_lwip.h"
#include "port/xbl_mpsd_port_template.h"

static const xbl_mpsd_result k_codes[] = {
    XBL_MPSD_OK, XBL_MPSD_PENDING, XBL_MPSD_E_FAIL, XBL_MPSD_E_UNEXPECTED, XBL_MPSD_E_OUTOFMEMORY,
    XBL_MPSD_E_INVALIDARG, XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND, XBL_MPSD_E_INVALID_JSON_STRING,
    XBL_MPSD_E_RUNTIME_ERROR, XBL_MPSD_E_HTTP_STATUS(404), XBL_MPSD_E_HTTP_STATUS(412u),
    XBL_MPSD_RESULT_FROM_BITS(0x80004005u), XBL_MPSD_E_WOULD_BLOCK, XBL_MPSD_E_EOF, XBL_MPSD_E_IO,
    XBL_MPSD_E_CONNECT, XBL_MPSD_E_TIMEOUT, XBL_MPSD_E_TLS, XBL_MPSD_E_TLS_VERIFY, XBL_MPSD_E_HTTP_PROTOCOL,
    XBL_MPSD_E_CONNECTION_CLOSED, XBL_MPSD_E_CANCELED, XBL_MPSD_E_BUSY
};

int cxx_public_count_failures(void);
int cxx_public_count_failures(void)
{
    int n = 0;
    for (xbl_mpsd_result r : k_codes) {
        if (XBL_MPSD_FAILED(r)) n++;
        if (XBL_MPSD_SUCCEEDED(r)) n--;
    }
    return n + static_cast<int>(XBL_MPSD_MEMBER_ID_NONE & 1u) + static_cast<int>(XBL_MPSD_TIMEOUT_INFINITE & 1u)
        + XBL_MPSD_SESSION_REFERENCE_URI_MAX_LENGTH;
}
