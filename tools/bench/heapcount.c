/* LD_PRELOAD allocator counter for the benchmarks: forwards to glibc's
   __libc_* entry points and counts calls and live/peak usable bytes. The
   benchmark finds the counters with dlsym("bench_heap_stats_get"). */
#define _GNU_SOURCE
#include <malloc.h>
#include <stddef.h>
#include <string.h>
#include <errno.h>
#include "bench_common.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void  __libc_free(void *);

static bench_heap_stats g_stats;

bench_heap_stats *bench_heap_stats_get(void);
bench_heap_stats *bench_heap_stats_get(void) { return &g_stats; }

static void *took(void *p)
{
    if (p) {
        __atomic_fetch_add(&g_stats.allocs, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&g_stats.live, malloc_usable_size(p), __ATOMIC_RELAXED);
        if (g_stats.live > g_stats.peak) g_stats.peak = g_stats.live;
    }
    return p;
}

static void gave(void *p)
{
    if (p) {
        __atomic_fetch_add(&g_stats.frees, 1, __ATOMIC_RELAXED);
        __atomic_fetch_sub(&g_stats.live, malloc_usable_size(p), __ATOMIC_RELAXED);
    }
}

void *malloc(size_t n) { return took(__libc_malloc(n)); }
void *calloc(size_t a, size_t b) { return took(__libc_calloc(a, b)); }
void free(void *p) { gave(p); __libc_free(p); }
void *realloc(void *p, size_t n)
{
    void *q;
    gave(p);
    q = __libc_realloc(p, n);
    if (!q && n && p) { took(p); return NULL; }   /* failed: p still live */
    if (p && q) __atomic_fetch_sub(&g_stats.frees, 1, __ATOMIC_RELAXED); /* a realloc is one call */
    return took(q);
}
void *memalign(size_t al, size_t n) { return took(__libc_memalign(al, n)); }
void *aligned_alloc(size_t al, size_t n) { return took(__libc_memalign(al, n)); }
int posix_memalign(void **out, size_t al, size_t n)
{
    void *p = took(__libc_memalign(al, n));
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
