/* See tls_heap.h. Single-threaded, like the tests. */
#include "tls_heap.h"
#include <stdint.h>
#include <string.h>

void *__real_calloc(size_t n, size_t size);
void __real_free(void *ptr);
void *__wrap_calloc(size_t n, size_t size);
void __wrap_free(void *ptr);

#define TAG ((size_t)16)   /* block tag; keeps every block 16-byte aligned */

static size_t g_limit, g_live, g_blocks, g_peak_req, g_failures;

static void note_alloc(size_t req)
{
    g_live += req;
    g_blocks++;
    if (g_live > g_peak_req) g_peak_req = g_live;
}

static size_t request_size(size_t n, size_t size)
{
    if (size != 0 && n > (SIZE_MAX - 2 * TAG) / size) return SIZE_MAX;
    return n * size == 0 ? 1 : n * size;   /* calloc(0) still gets a unique block */
}

#ifndef TLS_HEAP_REAL
/* Blocks from region start to g_top: {size incl. tag, requested (0 = free)}. */
typedef struct block { size_t size; size_t req; } block;
static union { long double align; unsigned char b[TLS_HEAP_REGION_BYTES]; } g_region;
static size_t g_top, g_peak_region;

static block *at(size_t off) { return (block *)(void *)(g_region.b + off); }

int tls_heap_fixed_region(void) { return 1; }

/* First fit, merging runs of free blocks on the way; a free run that ends
   at the top gives its space back to the top. */
static void *region_alloc(size_t req)
{
    size_t need = ((req + TAG - 1) & ~(TAG - 1)) + TAG, off = 0;
    size_t limit = g_limit ? g_limit : TLS_HEAP_REGION_BYTES;
    block *b;
    while (off < g_top) {
        b = at(off);
        if (b->req == 0) {
            while (off + b->size < g_top && at(off + b->size)->req == 0) b->size += at(off + b->size)->size;
            if (off + b->size == g_top) { g_top = off; break; }
            if (b->size >= need) {
                if (b->size - need >= 2 * TAG) {
                    block *rest = at(off + need);
                    rest->size = b->size - need;
                    rest->req = 0;
                    b->size = need;
                }
                b->req = req;
                return g_region.b + off + TAG;
            }
        }
        off += b->size;
    }
    if (need > limit || g_top > limit - need) return NULL;
    off = g_top;
    b = at(off);
    b->size = need;
    b->req = req;
    g_top += need;
    if (g_top > g_peak_region) g_peak_region = g_top;
    return g_region.b + off + TAG;
}

void *__wrap_calloc(size_t n, size_t size)
{
    size_t req = request_size(n, size);
    unsigned char *p = req == SIZE_MAX ? NULL : (unsigned char *)region_alloc(req);
    if (p == NULL) { g_failures++; return NULL; }
    memset(p, 0, req);
    note_alloc(req);
    return p;
}

void __wrap_free(void *ptr)
{
    unsigned char *p = (unsigned char *)ptr;
    block *b;
    if (p == NULL) return;
    if (p < g_region.b + TAG || p >= g_region.b + TLS_HEAP_REGION_BYTES) { __real_free(ptr); return; }
    b = (block *)(void *)(p - TAG);
    g_live -= b->req;
    g_blocks--;
    memset(p, 0xA5, b->size - TAG);   /* a use after free reads garbage, not old keys */
    b->req = 0;
}

size_t tls_heap_peak_region(void) { return g_peak_region; }

void tls_heap_reset_peaks(void)
{
    if (g_blocks == 0) g_top = 0;
    g_peak_req = g_live;
    g_peak_region = g_top;
    g_failures = 0;
}
#else
int tls_heap_fixed_region(void) { return 0; }

void *__wrap_calloc(size_t n, size_t size)
{
    size_t req = request_size(n, size);
    unsigned char *p;
    if (req == SIZE_MAX || (g_limit != 0 && (req > g_limit || g_live > g_limit - req))) { g_failures++; return NULL; }
    p = (unsigned char *)__real_calloc(1, req + TAG);
    if (p == NULL) { g_failures++; return NULL; }
    memcpy(p, &req, sizeof req);
    note_alloc(req);
    return p + TAG;
}

void __wrap_free(void *ptr)
{
    unsigned char *p = (unsigned char *)ptr;
    size_t req;
    if (p == NULL) return;
    memcpy(&req, p - TAG, sizeof req);
    g_live -= req;
    g_blocks--;
    __real_free(p - TAG);
}

size_t tls_heap_peak_region(void) { return g_peak_req; }

void tls_heap_reset_peaks(void)
{
    g_peak_req = g_live;
    g_failures = 0;
}
#endif

void tls_heap_set_limit(size_t bytes) { g_limit = bytes; }
size_t tls_heap_live(void) { return g_live; }
size_t tls_heap_live_blocks(void) { return g_blocks; }
size_t tls_heap_peak_requested(void) { return g_peak_req; }
size_t tls_heap_failures(void) { return g_failures; }
