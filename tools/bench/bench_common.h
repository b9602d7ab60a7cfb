/* Shared by the benchmark programs: file loading, a wall clock, callgrind
   collection toggles and the optional heap counter (heapcount.so). */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* dlsym(RTLD_DEFAULT), clock_gettime under -std=c99 */
#endif
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <valgrind/callgrind.h>

#define BENCH_FN static __attribute__((unused))

/* Counters kept by heapcount.so when it is preloaded (else absent). */
typedef struct bench_heap_stats {
    unsigned long allocs;   /* malloc, calloc, realloc, posix_memalign, ... calls */
    unsigned long frees;
    size_t        live;     /* usable bytes allocated and not freed */
    size_t        peak;     /* highest live since the last reset */
} bench_heap_stats;

/* NULL unless heapcount.so is preloaded: measurements then say "n/a". */
BENCH_FN bench_heap_stats *bench_heap(void)
{
    static bench_heap_stats *(*fn)(void);
    static int looked;
    if (!looked) {
        void *sym = dlsym(RTLD_DEFAULT, "bench_heap_stats_get");
        looked = 1;
        memcpy(&fn, &sym, sizeof fn);
    }
    return fn ? fn() : NULL;
}

BENCH_FN void bench_heap_reset(void)
{
    bench_heap_stats *h = bench_heap();
    if (h) { h->allocs = 0; h->frees = 0; h->peak = h->live; }
}

BENCH_FN double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Whole file, NUL-terminated; exits on failure. */
BENCH_FN char *bench_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    buf = (char *)malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "cannot read %s\n", path); exit(2); }
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Collected instructions are only those between the two toggles; the
   driver runs valgrind --tool=callgrind --collect-atstart=no. */
#define BENCH_COLLECT_ON()  CALLGRIND_TOGGLE_COLLECT
#define BENCH_COLLECT_OFF() CALLGRIND_TOGGLE_COLLECT
#endif
