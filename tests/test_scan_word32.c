/* The coverage edge cases again with the string scans stepping 4-byte
   words, as a 32-bit target builds them (XBL_MPSD__WORD is the target's
   size_t, 8 bytes on the host): the special byte at every position of the
   first words, every unclosed length. */
#include <stdint.h>
#define XBL_MPSD__WORD uint32_t
#include "test_coverage_sdk.c"
