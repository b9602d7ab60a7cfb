/* libFuzzer: a whole write, get or by-handle read through a scripted port
   whose every recv result comes from the fuzzer, then the session document
   reader on the raw bytes. Checks: no crash or sanitizer report, the poll
   ends, and a failed result leaves `out` byte-identical.
   Input: [op][len][bytes]...  len 0 = WOULD_BLOCK, 255 = I/O error,
   end of input = EOF. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include <stdlib.h>

typedef struct script { const uint8_t *d; size_t n, at; uint32_t now; } script;

static xbl_mpsd_result s_connect(void *c, const char *h, uint16_t p) { (void)c; (void)h; (void)p; return XBL_MPSD_OK; }
static int32_t s_send(void *c, const uint8_t *d, size_t n) { (void)c; (void)d; return (int32_t)(n > 7 ? n / 2 : n); }
static void s_close(void *c) { (void)c; }
static uint32_t s_now(void *ctx) { return ((script *)ctx)->now += 7; }
static int32_t s_recv(void *ctx, uint8_t *buf, size_t cap)
{
    script *s = (script *)ctx;
    size_t len, take;
    if (s->at >= s->n) return XBL_MPSD_E_EOF;
    len = s->d[s->at++];
    if (len == 0) return XBL_MPSD_E_WOULD_BLOCK;
    if (len == 255) return XBL_MPSD_E_IO;
    if (len > s->n - s->at) len = s->n - s->at;
    if (len == 0) return XBL_MPSD_E_EOF;
    take = len < cap ? len : cap;
    memcpy(buf, s->d + s->at, take);
    s->at += take;
    return (int32_t)take;
}
static xbl_mpsd_result s_auth(void *u, const char *m, const char *p, const uint8_t *b, size_t bl,
        char *a, size_t ac, char *sig, size_t sc)
{
    (void)u; (void)m; (void)p; (void)b; (void)bl; (void)sc;
    if (ac < 8) return XBL_MPSD_E_OUTOFMEMORY;
    memcpy(a, "XBL3.0", 7);
    sig[0] = '\0';
    return XBL_MPSD_OK;
}

static uint8_t g_arena[32768], g_work[32768], g_snapshot_arena[32768];

static void run_exchange(const uint8_t *data, size_t size)
{
    script sc;
    xbl_mpsd_port port;
    xbl_mpsd_client client;
    xbl_mpsd_client_config cfg;
    xbl_mpsd_async op;
    xbl_mpsd_session s;
    xbl_mpsd_session before;
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create("scid", "t", "n");
    xbl_mpsd_result rc;
    uint8_t opsel = data[0];
    int polls = 0;

    memset(&sc, 0, sizeof sc);
    sc.d = data + 1; sc.n = size - 1;
    port.ctx = &sc; port.connect = s_connect; port.send = s_send; port.recv = s_recv;
    port.close = s_close; port.now_ms = s_now;
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &port; cfg.xuid = 1; cfg.auth = s_auth; cfg.host = "h";
    if (xbl_mpsd_client_init(&client, &cfg) != XBL_MPSD_OK) abort();
    xbl_mpsd_session_init(&s, 1, &ref, NULL, g_arena, sizeof g_arena);
    xbl_mpsd_session_join(&s, NULL, false, true);
    xbl_mpsd_async_init(&op, g_work, (size_t)(opsel & 0x80 ? 2048 : sizeof g_work));
    switch (opsel & 3) {
    case 0: rc = xbl_mpsd_write_session_async(&client, &s, XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE, &op); break;
    case 1: rc = xbl_mpsd_get_session_async(&client, &ref, &op); break;
    case 2: rc = xbl_mpsd_get_session_by_handle_async(&client, "h1", &op); break;
    default: rc = xbl_mpsd_write_session_by_handle_async(&client, &s, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, "h1", &op); break;
    }
    if (rc != XBL_MPSD_OK) abort();
    while ((rc = xbl_mpsd_async_poll(&op)) == XBL_MPSD_PENDING)
        if (++polls > 1000000) abort();   /* a poll loop must end: the deadline is 30 s of fake clock */
    memcpy(&before, &s, sizeof s);
    memcpy(g_snapshot_arena, g_arena, s.arena.used);
    rc = (opsel & 3) < 1 || (opsel & 3) == 3 ? xbl_mpsd_write_session_result(&op, &s) : xbl_mpsd_get_session_result(&op, &s);
    if (rc != XBL_MPSD_OK && rc != XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND) {
        if (memcmp(&before, &s, sizeof s) != 0 || memcmp(g_snapshot_arena, g_arena, before.arena.used) != 0) abort();
    }
    xbl_mpsd_client_close(&client);
}

static void run_reader(const uint8_t *data, size_t size)
{
    static jsmntok_t tokens[4096];
    xbl_mpsd_session s;
    xbl_mpsd__response_meta meta;
    size_t needed = 0;
    memset(&meta, 0, sizeof meta);
    meta.xuid = 1;
    meta.etag = "e";
    meta.etag_len = 1;
    xbl_mpsd_session_init(&s, 1, NULL, NULL, g_arena, sizeof g_arena);
    (void)xbl_mpsd__session_load(&s, (const char *)data, size, &meta, tokens, 4096, &needed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    run_exchange(data, size);
    run_reader(data + 1, size - 1);
    return 0;
}
