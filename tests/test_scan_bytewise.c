/* The coverage edge cases again on the SDK's portable string scans: no
   little-endian count-trailing-zeros shortcut, as a big-endian target or a
   compiler without GNU builtins builds them (XBL_MPSD__PLAIN_BYTES is 0). */
#undef __BYTE_ORDER__
#include "test_coverage_sdk.c"
