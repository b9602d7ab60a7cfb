/* A bounded heap for mbedTLS in the TLS tests. Linked with
   -Wl,--wrap=calloc,--wrap=free and the static mbedTLS libraries, it serves
   every calloc/free mbedTLS makes (Debian's build has no
   MBEDTLS_PLATFORM_MEMORY, so link-time wrapping is the only way in).

   Default: one fixed static region, first fit with 16-byte block tags; an
   allocation that would take the region's high-water mark past the limit
   fails (calloc returns NULL), which is what a fixed buffer on a console
   does. The high-water mark is the budget such a buffer needs.
   TLS_HEAP_REAL (the ASan and valgrind builds): the same accounting and the
   same limit on live requested bytes, but the blocks come from the real
   allocator so the tools can check mbedTLS's heap use. */
#ifndef TLS_HEAP_H
#define TLS_HEAP_H
#include <stddef.h>

#define TLS_HEAP_REGION_BYTES ((size_t)512 * 1024)

void   tls_heap_set_limit(size_t bytes);   /* 0: the whole region */
void   tls_heap_reset_peaks(void);         /* peaks start again from what is live now */
size_t tls_heap_live(void);                /* requested bytes now allocated */
size_t tls_heap_live_blocks(void);
size_t tls_heap_peak_requested(void);      /* most requested bytes live at once */
size_t tls_heap_peak_region(void);         /* fixed region: high-water mark; TLS_HEAP_REAL: peak_requested */
size_t tls_heap_failures(void);            /* allocations refused since the last reset */
int    tls_heap_fixed_region(void);        /* 1 without TLS_HEAP_REAL */
#endif
