/* Part 1, document reading: one parser over one session document.
   usage: read_bench PARSER FILE MODE
     PARSER  jsmn   jsmn tokenization alone (the floor: xbl_mpsd's reader
                    walked tokens with jsmn until issue 15, configured as
                    the SDK did)
             xbl    xbl_mpsd reading the document into a session (the
                    reader behind every *_result call) with roomy scratch
                    space: one walk that checks and fills, then a copy
             xbl2   the same with scratch space of exactly the size the
                    reader asks for: a checking and measuring walk, then a
                    filling walk (what a GET with an async buffer of
                    exactly xbl_mpsd_async_needed_bytes runs)
             cjson  cJSON_ParseWithLength + cJSON_Delete
     MODE    count  one warm-up, then ITER parses between callgrind toggles
             time   best of 5 wall-clock batches of >= 60 ms
             mem    bytes the parser needs (token array or reader scratch, arena, heap peak
                    when heapcount.so is preloaded)
   Prints key=value pairs on one line. */
#include "bench_common.h"   /* first: it sets _GNU_SOURCE */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include <cjson/cJSON.h>

#define XUID0 UINT64_C(2814600000000001)   /* member 0 of gen_doc.py's documents */

static unsigned char g_arena[16u << 20];
static jsmntok_t g_tok[400000];
static xbl_mpsd_session g_s;

static const char *g_doc;
static size_t g_len;
static size_t g_tokens_used, g_arena_used, g_scratch_used;

static int parse_jsmn(void)
{
    jsmn_parser p;
    int n;
    jsmn_init(&p);
    n = jsmn_parse(&p, g_doc, g_len, g_tok, (unsigned)(sizeof g_tok / sizeof g_tok[0]));
    g_tokens_used = n > 0 ? (size_t)n : 0;
    return n > 0 ? 0 : -1;
}

static size_t g_scratch_size = sizeof g_tok;

static int parse_xbl(void)
{
    static const xbl_mpsd_session_reference ref = {
        "00000000-0000-0000-0000-00000000cafe", "ctf", "bench-session" };
    xbl_mpsd__response_meta m;
    size_t need = 0;
    xbl_mpsd_result r;
    memset(&m, 0, sizeof m);
    m.xuid = XUID0;
    m.reference = &ref;
    m.etag = "\"0x8DC3A1B2C3D4E5F\"";
    m.etag_len = strlen(m.etag);
    m.date = (time_t)1709290000;
    m.write_status = XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN;
    r = xbl_mpsd__session_load(&g_s, g_doc, g_len, &m, g_tok, g_scratch_size, &need, NULL);
    g_scratch_used = need;
    g_arena_used = g_s.arena.used;
    return r == XBL_MPSD_OK ? 0 : -1;
}

/* The exact scratch the reader asks for: too small for the one walk. */
static int parse_xbl_two_walks(void)
{
    g_scratch_size = sizeof(xbl_mpsd__rd) + (size_t)((XBL_MPSD__ALIGN - ((uintptr_t)g_tok & (XBL_MPSD__ALIGN - 1)))
                                                     & (XBL_MPSD__ALIGN - 1));
    return parse_xbl();
}

static int parse_cjson(void)
{
    cJSON *root = cJSON_ParseWithLength(g_doc, g_len);
    if (!root) return -1;
    cJSON_Delete(root);
    return 0;
}

static int run(int (*fn)(void), int iters)
{
    int i, bad = 0;
    for (i = 0; i < iters; i++) bad |= fn();
    return bad;
}

int main(int argc, char **argv)
{
    int (*fn)(void);
    const char *parser, *mode;
    int iters;
    if (argc < 4) { fprintf(stderr, "usage: read_bench jsmn|xbl|xbl2|cjson FILE count|time|mem\n"); return 2; }
    parser = argv[1];
    mode = argv[3];
    g_doc = bench_read_file(argv[2], &g_len);
    if (xbl_mpsd_session_init(&g_s, XUID0, NULL, NULL, g_arena, sizeof g_arena) != XBL_MPSD_OK) return 3;
    fn = !strcmp(parser, "jsmn") ? parse_jsmn : !strcmp(parser, "xbl") ? parse_xbl
       : !strcmp(parser, "xbl2") ? parse_xbl_two_walks
       : !strcmp(parser, "cjson") ? parse_cjson : NULL;
    if (!fn) { fprintf(stderr, "unknown parser %s\n", parser); return 2; }
    if (fn() != 0) { fprintf(stderr, "%s: parse failed\n", parser); return 1; }
    iters = (int)(400000 / g_len);
    if (iters < 1) iters = 1;
    if (iters > 100) iters = 100;
    if (!strcmp(mode, "count")) {
        int bad;
        BENCH_COLLECT_ON();
        bad = run(fn, iters);
        BENCH_COLLECT_OFF();
        printf("parser=%s bytes=%zu iters=%d\n", parser, g_len, iters);
        return bad;
    }
    if (!strcmp(mode, "time")) {
        double best = 1e30;
        int b;
        for (b = 0; b < 5; b++) {
            double t0 = bench_now(), dt;
            int n = 0;
            do { run(fn, iters); n += iters; dt = bench_now() - t0; } while (dt < 0.06);
            if (dt / n < best) best = dt / n;
        }
        printf("parser=%s bytes=%zu sec_per_parse=%.9f mb_per_s=%.1f\n", parser, g_len, best,
               (double)g_len / best / 1e6);
        return 0;
    }
    if (!strcmp(mode, "mem")) {
        bench_heap_stats *h = bench_heap();
        size_t heap_peak = 0;
        unsigned long allocs = 0;
        if (h) {
            size_t base = h->live;
            bench_heap_reset();
            if (!strcmp(parser, "cjson")) {   /* peak while the tree is alive */
                cJSON *root = cJSON_ParseWithLength(g_doc, g_len);
                heap_peak = h->peak - base;
                allocs = h->allocs;
                cJSON_Delete(root);
            } else {
                fn();
                heap_peak = h->peak - base;
                allocs = h->allocs;
            }
        }
        printf("parser=%s bytes=%zu tokens=%zu token_bytes=%zu scratch=%zu arena=%zu heap_peak=%zu heap_allocs=%lu "
               "heap=%s\n", parser, g_len, g_tokens_used, g_tokens_used * sizeof(jsmntok_t), g_scratch_used,
               g_arena_used, heap_peak, allocs, h ? "counted" : "none");
        return 0;
    }
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
