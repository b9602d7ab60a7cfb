/* tests/test_retry_trace.c with XBL_MPSD_NO_TRACE: the trace hook is compiled out. */
#define XBL_MPSD_NO_TRACE
#include "test_retry_trace.c"
