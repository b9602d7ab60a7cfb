/* tests/test_custom_writes.c with XSAPI's whole-object custom writes. */
#define XBL_MPSD_WRITE_WHOLE_CUSTOM 1
#include "test_custom_writes.c"
