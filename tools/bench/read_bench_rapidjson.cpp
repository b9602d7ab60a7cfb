// Part 1, document reading with RapidJSON (the JSON engine inside XSAPI):
// a DOM parse into a fresh rapidjson::Document (default MemoryPoolAllocator),
// destroyed after each parse. Same command line as read_bench.c:
//   read_bench_rapidjson rapidjson FILE count|time|mem
#include "bench_common.h"
#include <rapidjson/document.h>

static const char *g_doc;
static size_t g_len;

static int parse_once()
{
    rapidjson::Document d;
    d.Parse(g_doc, g_len);
    return d.HasParseError() || !d.IsObject() ? -1 : 0;
}

static int run(int iters)
{
    int bad = 0;
    for (int i = 0; i < iters; i++) bad |= parse_once();
    return bad;
}

int main(int argc, char **argv)
{
    if (argc < 4) { fprintf(stderr, "usage: read_bench_rapidjson rapidjson FILE count|time|mem\n"); return 2; }
    const char *mode = argv[3];
    g_doc = bench_read_file(argv[2], &g_len);
    if (parse_once() != 0) { fprintf(stderr, "rapidjson: parse failed\n"); return 1; }
    int iters = (int)(400000 / g_len);
    if (iters < 1) iters = 1;
    if (iters > 100) iters = 100;
    if (!strcmp(mode, "count")) {
        BENCH_COLLECT_ON();
        int bad = run(iters);
        BENCH_COLLECT_OFF();
        printf("parser=rapidjson bytes=%zu iters=%d\n", g_len, iters);
        return bad;
    }
    if (!strcmp(mode, "time")) {
        double best = 1e30;
        for (int b = 0; b < 5; b++) {
            double t0 = bench_now(), dt;
            int n = 0;
            do { run(iters); n += iters; dt = bench_now() - t0; } while (dt < 0.06);
            if (dt / n < best) best = dt / n;
        }
        printf("parser=rapidjson bytes=%zu sec_per_parse=%.9f mb_per_s=%.1f\n", g_len, best, (double)g_len / best / 1e6);
        return 0;
    }
    if (!strcmp(mode, "mem")) {
        bench_heap_stats *h = bench_heap();
        size_t peak = 0;
        unsigned long allocs = 0;
        if (h) {
            size_t base = h->live;
            bench_heap_reset();
            {
                rapidjson::Document d;
                d.Parse(g_doc, g_len);
                peak = h->peak - base;
                allocs = h->allocs;
            }
        }
        printf("parser=rapidjson bytes=%zu tokens=0 token_bytes=0 arena=0 heap_peak=%zu heap_allocs=%lu heap=%s\n",
               g_len, peak, allocs, h ? "counted" : "none");
        return 0;
    }
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
