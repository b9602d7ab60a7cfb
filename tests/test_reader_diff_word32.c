/* The differential reader test again with the string scans and the
   bracket counter stepping 4-byte words, as a 32-bit target builds them
   (XBL_MPSD__WORD is the target's size_t, 8 bytes on the host). */
#define _POSIX_C_SOURCE 200809L   /* popen, opendir: before any system header */
#include <stdint.h>
#define XBL_MPSD__WORD uint32_t
#include "test_reader_diff.c"
