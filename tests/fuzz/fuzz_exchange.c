/* libFuzzer harness 5: whole exchanges (write, get, by handle; then
   optionally a second one on the same client, reusing a kept connection)
   through a scripted port whose every answer comes from the fuzzer, then
   the result call into a session.

   Input: [op][k][k control bytes][recv stream...]
     op bits 0-1: write, get, get by handle, write by handle;
     op bits 2-3: async buffer 64 KB, 2 KB, 700 or 300 bytes;
     op bit 4: the written session carries many changes (a larger body);
     op bit 5: a second exchange (a get) follows on the same client;
     op bit 6: the result call goes into a session with a 600-byte arena.
   Control bytes, one per call in call order (defaults once they run out):
     connect: OK, PENDING, WOULD_BLOCK, E_CONNECT, E_IO   (default OK)
     send:    0 WOULD_BLOCK, 255 E_IO, 254 E_TLS, else up to 4*b bytes
              (default: everything)
     now_ms:  b < 128: +b ms; < 240: +(b-128) s; else a jump of
              2^31 ms or to just before the deadline (default +7 ms)
     auth:    PENDING, E_FAIL, OUTOFMEMORY, else OK   (default OK)
   Recv stream: [len][bytes]... len 0 = WOULD_BLOCK, 255 = E_IO, 254 =
   E_TLS; the end of the stream is EOF.

   Properties (besides no sanitizer report; buffers and arenas are heap
   blocks of exactly their size):
   - every poll loop ends (the 30 s deadline runs on the scripted clock);
   - the final result is a documented code; OUTOFMEMORY comes with a
     needed_bytes larger than the buffer that was too small;
   - what was sent starts with the request line;
   - a failed result call leaves `out` byte-identical (struct and used
     arena), and a loaded `out` is a valid session whose next write body is
     valid JSON;
   - the client is free again after every result call. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "fuzz_util.h"

typedef struct script {
    const uint8_t *ctl;
    size_t ctl_n, ctl_at;
    const uint8_t *rx;
    size_t rx_n, rx_at;
    uint32_t now;
    char sent[8];
    size_t sent_len;
} script;

static bool next_ctl(script *s, uint8_t *b)
{
    if (s->ctl_at >= s->ctl_n) return false;
    *b = s->ctl[s->ctl_at++];
    return true;
}

static xbl_mpsd_result s_connect(void *c, const char *h, uint16_t p)
{
    static const xbl_mpsd_result answers[5] = {
        XBL_MPSD_OK, XBL_MPSD_PENDING, XBL_MPSD_E_WOULD_BLOCK, XBL_MPSD_E_CONNECT, XBL_MPSD_E_IO
    };
    uint8_t b;
    FZ_CHECK(h != NULL && h[0] != '\0' && p != 0);
    return next_ctl((script *)c, &b) ? answers[b % 5] : XBL_MPSD_OK;
}

static int32_t s_send(void *c, const uint8_t *d, size_t n)
{
    script *s = (script *)c;
    uint8_t b;
    size_t take = n;
    FZ_CHECK(n > 0);
    if (next_ctl(s, &b)) {
        if (b == 0) return XBL_MPSD_E_WOULD_BLOCK;
        if (b == 255) return XBL_MPSD_E_IO;
        if (b == 254) return XBL_MPSD_E_TLS;
        if ((size_t)b * 4 < take) take = (size_t)b * 4;
    }
    if (s->sent_len < sizeof s->sent) {
        size_t k = sizeof s->sent - s->sent_len;
        memcpy(s->sent + s->sent_len, d, k < take ? k : take);
        s->sent_len += k < take ? k : take;
    }
    return (int32_t)take;
}

static void s_close(void *c) { (void)c; }

static uint32_t s_now(void *c)
{
    script *s = (script *)c;
    uint8_t b;
    if (!next_ctl(s, &b)) s->now += 7;
    else if (b < 128) s->now += b;
    else if (b < 240) s->now += (uint32_t)(b - 128) * 1000u;
    else if (b & 1) s->now += UINT32_C(0x80000000);
    else s->now += 29999;
    return s->now;
}

static int32_t s_recv(void *c, uint8_t *buf, size_t cap)
{
    script *s = (script *)c;
    size_t len, take;
    FZ_CHECK(cap > 0);
    if (s->rx_at >= s->rx_n) return XBL_MPSD_E_EOF;
    len = s->rx[s->rx_at++];
    if (len == 0) return XBL_MPSD_E_WOULD_BLOCK;
    if (len == 255) return XBL_MPSD_E_IO;
    if (len == 254) return XBL_MPSD_E_TLS;
    if (len > s->rx_n - s->rx_at) len = s->rx_n - s->rx_at;
    if (len == 0) return XBL_MPSD_E_EOF;
    take = len < cap ? len : cap;
    memcpy(buf, s->rx + s->rx_at, take);
    s->rx_at += len;   /* what did not fit is lost, like a cut connection */
    return (int32_t)take;
}

static xbl_mpsd_result s_auth(void *u, const char *m, const char *p, const uint8_t *b, size_t bl,
        char *a, size_t ac, char *sig, size_t sc)
{
    static const xbl_mpsd_result answers[4] = { XBL_MPSD_PENDING, XBL_MPSD_E_FAIL, XBL_MPSD_E_OUTOFMEMORY, XBL_MPSD_OK };
    uint8_t x;
    xbl_mpsd_result r = XBL_MPSD_OK;
    (void)b; (void)bl;
    FZ_CHECK(m != NULL && p != NULL && p[0] == '/');
    if (next_ctl((script *)u, &x)) r = answers[x < 3 ? x : 3];
    if (r != XBL_MPSD_OK) return r;
    if (ac < 32 || sc < 1) return XBL_MPSD_E_OUTOFMEMORY;
    memcpy(a, "XBL3.0 x=1;token-for-the-fuzzer", 32);
    sig[0] = '\0';
    return XBL_MPSD_OK;
}

static bool result_is_documented(xbl_mpsd_result r)
{
    uint32_t bits = (uint32_t)r;
    if ((bits & UINT32_C(0xFFFF0000)) == UINT32_C(0x80190000)) return true;   /* HTTP status */
    if (bits >= UINT32_C(0xA4D50001) && bits <= UINT32_C(0xA4D5000B)) return true;   /* transport */
    return r == XBL_MPSD_OK || r == XBL_MPSD_E_FAIL || r == XBL_MPSD_E_OUTOFMEMORY
        || r == XBL_MPSD_E_INVALIDARG || r == XBL_MPSD_E_INVALID_JSON_STRING
        || r == XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND || r == XBL_MPSD_E_UNEXPECTED;
}

static void local_session(xbl_mpsd_session *s, unsigned char *arena, size_t size, bool many)
{
    static const char *const kw[2] = { "alpha", "\xce\xb2" };
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create("scid", "tmpl", "name");
    FZ_CHECK(xbl_mpsd_session_init(s, 2814600000000001u, &ref, NULL, arena, size) == XBL_MPSD_OK);
    FZ_CHECK(xbl_mpsd_session_join(s, many ? "{\"c\":[1,2,3]}" : NULL, false, true) == XBL_MPSD_OK);
    if (!many) return;
    FZ_CHECK(xbl_mpsd_session_properties_set_keywords(s, kw, 2) == XBL_MPSD_OK);
    FZ_CHECK(xbl_mpsd_session_set_custom_property_json(s, "map", "{\"id\":7,\"tags\":[\"a\",\"b\"]}") == XBL_MPSD_OK);
    FZ_CHECK(xbl_mpsd_session_current_user_set_custom_property_json(s, "skill", "17") == XBL_MPSD_OK);
    FZ_CHECK(xbl_mpsd_session_add_member_reservation(s, 2814600000000002u, "{}", true) == XBL_MPSD_OK);
}

/* Runs the result call into `out` and checks what it promises. */
static void take_result(xbl_mpsd_async *op, unsigned op_kind, xbl_mpsd_result polled, xbl_mpsd_session *out)
{
    static xbl_mpsd_session before;
    static char body[1 << 16];
    unsigned char *snap = (unsigned char *)malloc(out->arena.used ? out->arena.used : 1);
    xbl_mpsd_result rc;
    size_t len = 0, start, vlen;
    FZ_CHECK(snap != NULL);
    memcpy(&before, out, sizeof *out);
    if (out->arena.used) memcpy(snap, out->arena.base, out->arena.used);
    switch (op_kind) {
    case 0: rc = xbl_mpsd_write_session_result(op, out); break;
    case 1: rc = xbl_mpsd_get_session_result(op, out); break;
    case 2: rc = xbl_mpsd_get_session_by_handle_result(op, out); break;
    default: rc = xbl_mpsd_write_session_by_handle_result(op, out); break;
    }
    FZ_CHECK(result_is_documented(rc));
    if (polled != XBL_MPSD_OK) FZ_CHECK(rc == polled);
    if (rc != XBL_MPSD_OK && rc != XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND) {
        FZ_CHECK(memcmp(&before, out, sizeof *out) == 0);
        FZ_CHECK(before.arena.used == 0 || memcmp(snap, out->arena.base, before.arena.used) == 0);
    } else if (xbl_mpsd_session_has_document(out)) {
        FZ_CHECK(xbl_mpsd__session_write_body(out, body, sizeof body, &len) == XBL_MPSD_OK);
        FZ_CHECK(xbl_mpsd__json_check(body, len, &start, &vlen));
        FZ_CHECK(out->arena.used <= out->arena.size);
    }
    free(snap);
}

/* Polls to the end; returns the final result. */
static xbl_mpsd_result drive(xbl_mpsd_async *op)
{
    xbl_mpsd_result rc;
    long polls = 0;
    while ((rc = xbl_mpsd_async_poll(op)) == XBL_MPSD_PENDING)
        FZ_CHECK(++polls < 2000000);
    FZ_CHECK(result_is_documented(rc));
    if (rc == XBL_MPSD_E_OUTOFMEMORY) FZ_CHECK(xbl_mpsd_async_needed_bytes(op) > op->buffer_size);
    FZ_CHECK(xbl_mpsd_async_poll(op) == rc);   /* the final value stays */
    return rc;
}

static xbl_mpsd_result start(xbl_mpsd_client *client, unsigned kind, const xbl_mpsd_session *s,
        const xbl_mpsd_session_reference *ref, xbl_mpsd_async *op)
{
    switch (kind) {
    case 0: return xbl_mpsd_write_session_async(client, s, XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE, op);
    case 1: return xbl_mpsd_get_session_async(client, ref, op);
    case 2: return xbl_mpsd_get_session_by_handle_async(client, "h1", op);
    default: return xbl_mpsd_write_session_by_handle_async(client, s, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, "h1", op);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t buffers[4] = { 65536, 2048, 700, 300 };
    script sc;
    xbl_mpsd_port port;
    xbl_mpsd_client client;
    xbl_mpsd_client_config cfg;
    xbl_mpsd_async op;
    xbl_mpsd_session s, out;
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create("scid", "tmpl", "name");
    unsigned char *arena, *out_arena, *work;
    size_t k, work_size, out_size;
    unsigned kind, round;
    uint8_t opsel;
    xbl_mpsd_result rc;

    if (size < 2) return 0;
    opsel = data[0];
    k = data[1];
    if (k > size - 2) k = size - 2;
    memset(&sc, 0, sizeof sc);
    sc.ctl = data + 2; sc.ctl_n = k;
    sc.rx = data + 2 + k; sc.rx_n = size - 2 - k;
    sc.now = 0xFFFFF000u;   /* near the wrap */
    work_size = buffers[(opsel >> 2) & 3];
    out_size = (opsel & 0x40) ? 600 : 65536;
    arena = (unsigned char *)malloc(8192);
    out_arena = (unsigned char *)malloc(out_size);
    work = (unsigned char *)malloc(work_size);
    FZ_CHECK(arena && out_arena && work);

    port.ctx = &sc; port.connect = s_connect; port.send = s_send; port.recv = s_recv;
    port.close = s_close; port.now_ms = s_now;
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &port; cfg.xuid = 2814600000000001u; cfg.auth = s_auth; cfg.auth_user = &sc; cfg.host = "h";
    FZ_CHECK(xbl_mpsd_client_init(&client, &cfg) == XBL_MPSD_OK);
    local_session(&s, arena, 8192, (opsel & 0x10) != 0);
    FZ_CHECK(xbl_mpsd_session_init(&out, cfg.xuid, NULL, NULL, out_arena, out_size) == XBL_MPSD_OK);
    FZ_CHECK(xbl_mpsd_async_init(&op, work, work_size) == XBL_MPSD_OK);

    kind = opsel & 3;
    for (round = 0; round < ((opsel & 0x20) ? 2u : 1u); round++) {
        sc.sent_len = 0;
        rc = start(&client, kind, &s, &ref, &op);
        if (rc == XBL_MPSD_E_OUTOFMEMORY) {
            FZ_CHECK(xbl_mpsd_async_needed_bytes(&op) > work_size);
            break;
        }
        FZ_CHECK(rc == XBL_MPSD_OK);
        FZ_CHECK(client.active == &op);
        rc = drive(&op);
        if (sc.sent_len >= 4)
            FZ_CHECK(memcmp(sc.sent, (kind == 0 || kind == 3) ? "PUT " : "GET ", 4) == 0);
        take_result(&op, kind, rc, &out);
        if (!(op.flags & XBL_MPSD__AF_TAKEN)) {
            /* out's arena was short: the result waits for another try; give it up */
            xbl_mpsd_result again = (kind == 0 || kind == 3) ? xbl_mpsd_write_session_result(&op, NULL)
                                                             : xbl_mpsd_get_session_result(&op, NULL);
            FZ_CHECK(again == rc);
        }
        FZ_CHECK(client.active == NULL);
        kind = 1;
    }
    xbl_mpsd_client_close(&client);
    free(arena);
    free(out_arena);
    free(work);
    return 0;
}
