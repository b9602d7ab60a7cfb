/* WebSocket client chapter (RFC 6455 subset) driven through the scripted mock
   port: handshake bytes and checks, every frame type, every split of the
   server stream, fragmentation limits, close paths, protocol errors with
   the close frame the client sent, ping/pong, partial sends. The random
   source is a counter, so keys and masks are known; every client frame is
   also decoded with the mask read from the wire. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "mock_port.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#define KEY    "AAECAwQFBgcICQoLDA0ODw=="       /* base64 of bytes 0..15: the first draw */
#define ACCEPT "Bz3qJYTGdOe8gUSpLosEdiLKDrk="   /* its accept value (python hashlib) */
#define SUBP   "rta.xboxlive.com.V2"
#define BUF_SIZE 4096
#define CANARY 0xA5

/* ------------------------------------------------------------------ fixture */

typedef struct auth_state {
    int pending, calls;
    bool fill_cap;   /* an authorization of exactly authorization_cap - 1 bytes */
    xbl_mpsd_result fail;
    const char *token, *signature;
    char last_method[8], last_path[64];
    const uint8_t *last_body;
    size_t last_body_len;
} auth_state;

static mock_port       g_mock;
static xbl_mpsd_port   g_port;
static auth_state      g_auth;
static xbl_mpsd_client g_client;
static xbl_mpsd_ws     g_ws;
static xbl_mpsd_ws_config g_cfg;
static unsigned char   g_mem[BUF_SIZE + 64];   /* buffer + canary tail */
static unsigned        g_rand;

static xbl_mpsd_result auth_cb(void *user, const char *method, const char *path, const uint8_t *body,
        size_t body_len, char *authorization, size_t authorization_cap, char *signature, size_t signature_cap)
{
    auth_state *a = (auth_state *)user;
    a->calls++;
    snprintf(a->last_method, sizeof a->last_method, "%s", method);
    snprintf(a->last_path, sizeof a->last_path, "%s", path);
    a->last_body = body;
    a->last_body_len = body_len;
    if (a->pending > 0) { a->pending--; return XBL_MPSD_PENDING; }
    if (a->fail != 0) return a->fail;
    if (a->fill_cap) {
        memset(authorization, 'A', authorization_cap - 1);
        authorization[authorization_cap - 1] = '\0';
        strcpy(signature, a->signature);
        return XBL_MPSD_OK;
    }
    if (strlen(a->token) >= authorization_cap || strlen(a->signature) >= signature_cap) return XBL_MPSD_E_OUTOFMEMORY;
    strcpy(authorization, a->token);
    strcpy(signature, a->signature);
    return XBL_MPSD_OK;
}

static void counter_random(void *user, uint8_t *out, size_t len)
{
    size_t i;
    (void)user;
    for (i = 0; i < len; i++) out[i] = (uint8_t)(g_rand++);
}

static void setup_cfg(void)
{
    xbl_mpsd_client_config cc;
    mock_init(&g_mock, &g_port);
    memset(&g_auth, 0, sizeof g_auth);
    g_auth.token = "XBL3.0 x=1;tok";
    g_auth.signature = "";
    memset(&cc, 0, sizeof cc);
    cc.port = &g_port;
    cc.xuid = 2814639011617876ULL;
    cc.auth = auth_cb;
    cc.auth_user = &g_auth;
    assert_int_equal(xbl_mpsd_client_init(&g_client, &cc), XBL_MPSD_OK);
    memset(&g_cfg, 0, sizeof g_cfg);
    g_cfg.port = &g_port;
    g_cfg.client = &g_client;
    g_cfg.host = "127.0.0.1";
    g_cfg.port_number = 8080;
    g_cfg.path = "/connect";
    g_cfg.subprotocol = SUBP;
    g_cfg.random = counter_random;
    g_rand = 0;
    memset(g_mem, CANARY, sizeof g_mem);
}

static void init_ws(void)
{
    assert_int_equal(xbl_mpsd_ws_init(&g_ws, &g_cfg, g_mem, BUF_SIZE), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_ws_connect(&g_ws), XBL_MPSD_OK);
}

static int setup(void **state)
{
    (void)state;
    setup_cfg();
    return 0;
}

static void canary_intact(void)
{
    size_t i;
    for (i = BUF_SIZE; i < sizeof g_mem; i++) assert_int_equal(g_mem[i], CANARY);
}

/* Polls until an event (or `limit` polls). Returns its type. */
static xbl_mpsd_ws_event_type next_event(xbl_mpsd_ws_event *ev, int limit)
{
    int i;
    for (i = 0; i < limit; i++) {
        xbl_mpsd_result r = xbl_mpsd_ws_poll(&g_ws, ev);
        if (r == XBL_MPSD_OK) { assert_int_not_equal(ev->type, XBL_MPSD_WS_EVENT_NONE); return ev->type; }
        assert_int_equal(r, XBL_MPSD_PENDING);
        assert_int_equal(ev->type, XBL_MPSD_WS_EVENT_NONE);
    }
    return XBL_MPSD_WS_EVENT_NONE;
}

static const char *g_head_ok =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: " ACCEPT "\r\nSec-WebSocket-Protocol: " SUBP "\r\n\r\n";

/* Up to the OPENED event; the recording then starts empty. */
static void open_ws(void)
{
    xbl_mpsd_ws_event ev;
    init_ws();
    mock_add_bytes(&g_mock, g_head_ok, strlen(g_head_ok));
    assert_int_equal(next_event(&ev, 10), XBL_MPSD_WS_EVENT_OPENED);
    assert_true(xbl_mpsd_ws_is_open(&g_ws));
    g_mock.sent_len = 0;
}

/* One client frame decoded: every rule of what the client sends is checked. */
typedef struct cframe {
    unsigned opcode;
    uint8_t  mask[4];
    uint8_t  payload[512];
    size_t   len;
} cframe;

static size_t decode_client_frames(const uint8_t *p, size_t n, cframe *out, size_t max)
{
    size_t at = 0, count = 0, i;
    while (at < n) {
        size_t len, h = 2;
        assert_true(count < max);
        assert_true(n - at >= 2);
        assert_int_equal(p[at] & 0xF0, 0x80);             /* FIN, no RSV */
        assert_int_equal(p[at + 1] & 0x80, 0x80);         /* masked */
        len = p[at + 1] & 0x7F;
        assert_true(len != 127);
        if (len == 126) { len = ((size_t)p[at + 2] << 8) | p[at + 3]; h = 4; assert_true(len >= 126); }
        assert_true(n - at >= h + 4 + len);
        out[count].opcode = p[at] & 0x0F;
        memcpy(out[count].mask, p + at + h, 4);
        for (i = 0; i < len; i++) out[count].payload[i] = (uint8_t)(p[at + h + 4 + i] ^ out[count].mask[i & 3]);
        out[count].len = len;
        count++;
        at += h + 4 + len;
    }
    return count;
}

/* Exactly one close frame was sent (and nothing else), carrying `code`. */
static void assert_sent_only_close(unsigned code)
{
    cframe f[4];
    size_t n = decode_client_frames(g_mock.sent, g_mock.sent_len, f, 4);
    assert_int_equal(n, 1);
    assert_int_equal(f[0].opcode, 8);
    if (code == 0) { assert_int_equal(f[0].len, 0); return; }
    assert_int_equal(f[0].len, 2);
    assert_int_equal(((unsigned)f[0].payload[0] << 8) | f[0].payload[1], code);
}

/* ------------------------------------------------------------------ SHA-1, base64 */

static void hex_of(const unsigned char *d, size_t n, char *out)
{
    size_t i;
    for (i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

static void sha1_hex(const void *data, size_t n, char out[41])
{
    unsigned char d[20];
    xbl_mpsd__sha1((const unsigned char *)data, n, d);
    hex_of(d, 20, out);
}

static void sha1_known_vectors(void **state)
{
    static unsigned char big[1000000];
    static const struct { size_t n; const char *hex; } py[] = {   /* bytes (i*7+1)&255, python hashlib */
        { 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709" }, { 3, "29c4bb974bf7a401e2e225f0f9d7ab5e498cc742" },
        { 55, "04bb34aef4880b625e6b1564a014abd25fc02bfe" }, { 56, "83b9fcb6d3e3b20f376ab989a1b6353bcc6c0f44" },
        { 63, "ab15090e8dbe512f3733350f9623ab11f9b5165b" }, { 64, "54305ee7e4c7bc5a96afc6d1994fc52d9bcb665f" },
        { 65, "5985422a25357371ebd2a7f6ecd7eebed43db42c" }, { 119, "6839d6c27f22ed884ac43ae6bd3bfcee9e04b938" },
        { 120, "8c40517a14ab8b78fd4b8958f4e31254a34c3fb0" }, { 1000, "f50d11c8ae2b20fe2598e99a6a2cb859e302615c" }
    };
    char hex[41];
    size_t i, k;
    (void)state;
    /* FIPS 180-2 appendix A */
    sha1_hex("abc", 3, hex);
    assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
    assert_string_equal(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    memset(big, 'a', sizeof big);
    sha1_hex(big, sizeof big, hex);
    assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    for (k = 0; k < sizeof py / sizeof py[0]; k++) {
        for (i = 0; i < py[k].n; i++) big[i] = (unsigned char)((i * 7 + 1) & 255);
        sha1_hex(big, py[k].n, hex);
        assert_string_equal(hex, py[k].hex);
    }
}

static void accept_matches_rfc_example(void **state)
{
    (void)state;
    memcpy(g_ws.key, "dGhlIHNhbXBsZSBub25jZQ==", 25);
    assert_true(xbl_mpsd__ws_accept_ok(&g_ws, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", 28));
    assert_false(xbl_mpsd__ws_accept_ok(&g_ws, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo", 27));
    assert_false(xbl_mpsd__ws_accept_ok(&g_ws, "S3pPLMBiTxaQ9kYGzzhZRbK+xOo=", 28));
}

static void base64_padding(void **state)
{
    char out[16];
    (void)state;
    assert_int_equal(xbl_mpsd__base64((const unsigned char *)"f", 1, out), 4);
    assert_memory_equal(out, "Zg==", 4);
    assert_int_equal(xbl_mpsd__base64((const unsigned char *)"fo", 2, out), 4);
    assert_memory_equal(out, "Zm8=", 4);
    assert_int_equal(xbl_mpsd__base64((const unsigned char *)"foobar", 6, out), 8);
    assert_memory_equal(out, "Zm9vYmFy", 8);
}

/* ------------------------------------------------------------------ init */

static void init_checks_arguments(void **state)
{
    xbl_mpsd_ws_config c;
    xbl_mpsd_port bad_port;
    (void)state;
    assert_int_equal(xbl_mpsd_ws_init(NULL, &g_cfg, g_mem, BUF_SIZE), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_ws_init(&g_ws, NULL, g_mem, BUF_SIZE), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_ws_init(&g_ws, &g_cfg, NULL, BUF_SIZE), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_ws_init(&g_ws, &g_cfg, g_mem, XBL_MPSD_WS_MIN_BUFFER_SIZE - 1), XBL_MPSD_E_INVALIDARG);
    c = g_cfg; c.port = NULL;
    assert_int_equal(xbl_mpsd_ws_init(&g_ws, &c, g_mem, BUF_SIZE), XBL_MPSD_E_INVALIDARG);
    bad_port = g_port; bad_port.now_ms = NULL;
    c = g_cfg; c.port = &bad_port;
    assert_int_equal(xbl_mpsd_ws_init(&g_ws, &c, g_mem, BUF_SIZE), XBL_MPSD_E_INVALIDARG);
    c = g_cfg; c.client = NULL;
    assert_int_equal(xbl_mpsd_ws_init(&g_ws, &c, g_mem, BUF_SIZE), XBL_MPSD_E_INVALIDARG);
    c = g_cfg; c.host = "";
    assert_int_equal(xbl_mpsd_ws_init(&g_ws, &c, g_mem, BUF_SIZE), XBL_MPSD_E_INVALIDARG);
    c = g_cfg; c.host = "a b";
    assert_int_equal(xbl_mpsd_ws_init(&g_ws, &c, g_mem, BUF_SIZE), XBL_MPSD_E_INVALIDARG);
    c = g_cfg; c.path = "connect";
    assert_int_equal(xbl_mpsd_ws_init(&g_ws, &c, g_mem, BUF_SIZE), XBL_MPSD_E_INVALIDARG);
    c = g_cfg; c.path = "/x\r\nEvil: 1";
    assert_int_equal(xbl_mpsd_ws_init(&g_ws, &c, g_mem, BUF_SIZE), XBL_MPSD_E_INVALIDARG);
    c = g_cfg; c.subprotocol = "";
    assert_int_equal(xbl_mpsd_ws_init(&g_ws, &c, g_mem, BUF_SIZE), XBL_MPSD_E_INVALIDARG);
    c = g_cfg; c.max_message_bytes = BUF_SIZE - XBL_MPSD_RTA_BUFFER_RESERVE + 1;
    assert_int_equal(xbl_mpsd_ws_init(&g_ws, &c, g_mem, BUF_SIZE), XBL_MPSD_E_INVALIDARG);
    c.max_message_bytes--;
    assert_int_equal(xbl_mpsd_ws_init(&g_ws, &c, g_mem, BUF_SIZE), XBL_MPSD_OK);
    assert_int_equal(g_mock.connects + g_mock.sends + g_mock.recvs, 0);
    /* calls on an idle object */
    assert_int_equal(xbl_mpsd_ws_send_text(&g_ws, "x", 1), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_ws_close(&g_ws, 1000), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_ws_poll(&g_ws, NULL), XBL_MPSD_E_INVALIDARG);
    assert_false(xbl_mpsd_ws_is_open(&g_ws));
    assert_false(xbl_mpsd_ws_is_open(NULL));
    assert_int_equal(xbl_mpsd_ws_needed_bytes(NULL), 0);
    xbl_mpsd_ws_abort(NULL);
    xbl_mpsd_ws_abort(&g_ws);
    assert_int_equal(xbl_mpsd_ws_connect(&g_ws), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_ws_connect(&g_ws), XBL_MPSD_E_UNEXPECTED);
}

/* ------------------------------------------------------------------ handshake */

static void handshake_exact_bytes(void **state)
{
    static const char want[] =
        "GET /connect HTTP/1.1\r\n"
        "Host: 127.0.0.1:8080\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Key: " KEY "\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: " SUBP "\r\n"
        "User-Agent: xbl_mpsd/" XBL_MPSD_VERSION_STRING "\r\n"
        "Accept-Language: en-US\r\n"
        "Authorization: XBL3.0 x=1;tok\r\n"
        "Signature: sig==\r\n"
        "\r\n";
    xbl_mpsd_ws_event ev;
    size_t i;
    (void)state;
    g_client.config.accept_language = "en-US";
    g_auth.signature = "sig==";
    g_auth.pending = 2;
    init_ws();
    /* PENDING from the auth callback: asked again on each poll */
    assert_int_equal(xbl_mpsd_ws_poll(&g_ws, &ev), XBL_MPSD_PENDING);
    assert_int_equal(xbl_mpsd_ws_poll(&g_ws, &ev), XBL_MPSD_PENDING);
    assert_int_equal(g_mock.connects, 0);
    mock_add_bytes(&g_mock, g_head_ok, strlen(g_head_ok));
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_OPENED);
    assert_int_equal(g_auth.calls, 3);
    assert_string_equal(g_auth.last_method, "GET");
    assert_string_equal(g_auth.last_path, "/connect");
    assert_null(g_auth.last_body);
    assert_int_equal(g_auth.last_body_len, 0);
    assert_string_equal(g_mock.last_host, "127.0.0.1");
    assert_int_equal(g_mock.last_port, 8080);
    assert_int_equal(g_mock.sent_len, strlen(want));
    assert_memory_equal(g_mock.sent, want, strlen(want));
    /* the tokens are wiped from the buffer once sent */
    for (i = 0; i + 6 < BUF_SIZE; i++) assert_false(memcmp(g_mem + i, ";tok", 4) == 0 || memcmp(g_mem + i, "sig==", 5) == 0);
    canary_intact();
}

/* A token that fills its room pushes the head's end into the area the
   signature was first written to: wiping that area must spare the head
   (the token writer is shared with MPSD requests, checked here too). */
static void longest_token_keeps_the_head_whole(void **state)
{
    static const char tail[] = "\r\nSignature: sig==\r\n\r\n";
    static unsigned char work[4096];
    xbl_mpsd_session_reference ref;
    xbl_mpsd_async op;
    xbl_mpsd_ws_event ev;
    (void)state;
    g_auth.fill_cap = true;
    g_auth.signature = "sig==";
    init_ws();
    assert_int_equal(next_event(&ev, 2), XBL_MPSD_WS_EVENT_NONE);
    assert_true(g_mock.sent_len > 3000);
    assert_memory_equal(g_mock.sent + g_mock.sent_len - strlen(tail), tail, strlen(tail));
    /* the same for an MPSD GET */
    g_mock.sent_len = 0;
    ref = xbl_mpsd_session_reference_create("00000000-0000-0000-0000-000000000000", "t", "s");
    assert_int_equal(xbl_mpsd_async_init(&op, work, sizeof work), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_session_async(&g_client, &ref, &op), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_poll(&op), XBL_MPSD_PENDING);
    assert_true(g_mock.sent_len > 3000);
    assert_memory_equal(g_mock.sent + g_mock.sent_len - strlen(tail), tail, strlen(tail));
    xbl_mpsd_async_cancel(&op);
}

/* Without a random source: keys still differ per attempt and are base64 of 16 bytes. */
static void builtin_random_and_a_head_too_long(void **state)
{
    static char path[2100];
    char first[25];
    xbl_mpsd_ws_event ev;
    (void)state;
    g_cfg.random = NULL;
    init_ws();
    memcpy(first, g_ws.key, 25);
    assert_int_equal(strlen(first), 24);
    assert_memory_equal(first + 22, "==", 2);
    xbl_mpsd_ws_abort(&g_ws);
    assert_int_equal(xbl_mpsd_ws_connect(&g_ws), XBL_MPSD_OK);
    assert_string_not_equal(g_ws.key, first);
    /* a request line that cannot fit the buffer even without tokens */
    setup_cfg();
    path[0] = '/';
    memset(path + 1, 'p', sizeof path - 2);
    path[sizeof path - 1] = '\0';
    g_cfg.path = path;
    assert_int_equal(xbl_mpsd_ws_init(&g_ws, &g_cfg, g_mem, XBL_MPSD_WS_MIN_BUFFER_SIZE), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_ws_connect(&g_ws), XBL_MPSD_OK);
    assert_int_equal(next_event(&ev, 2), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_OUTOFMEMORY);
    assert_true(xbl_mpsd_ws_needed_bytes(&g_ws) > sizeof path + XBL_MPSD_AUTH_RESERVE);
    assert_int_equal(g_auth.calls, 0);
    assert_int_equal(g_mock.sent_len, 0);
}

static void handshake_port_443_and_no_subprotocol(void **state)
{
    static const char want[] =
        "GET /rta HTTP/1.1\r\nHost: rta.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n"
        "User-Agent: xbl_mpsd/" XBL_MPSD_VERSION_STRING "\r\nAuthorization: XBL3.0 x=1;tok\r\n\r\n";
    static const char head[] =
        "HTTP/1.1 101 OK\r\nupgrade:  WebSocket \r\nCONNECTION: keep-alive, upgrade\r\n"
        "sec-websocket-accept: " ACCEPT "\r\nSec-WebSocket-Extensions:\r\n\r\n";
    xbl_mpsd_ws_event ev;
    (void)state;
    g_cfg.host = "rta.example";
    g_cfg.port_number = 0;
    g_cfg.path = "/rta";
    g_cfg.subprotocol = NULL;
    init_ws();
    mock_add_bytes(&g_mock, head, strlen(head));
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_OPENED);
    assert_int_equal(g_mock.last_port, 443);
    assert_int_equal(g_mock.sent_len, strlen(want));
    assert_memory_equal(g_mock.sent, want, strlen(want));
}

/* The head arrives one byte per recv, and the first frame in the same bytes. */
static void handshake_one_byte_reads_and_coalesced_frame(void **state)
{
    static uint8_t stream[512];
    size_t n = strlen(g_head_ok), i;
    xbl_mpsd_ws_event ev;
    (void)state;
    memcpy(stream, g_head_ok, n);
    memcpy(stream + n, "\x81\x02hi", 4);
    init_ws();
    for (i = 0; i < n + 4; i++) mock_add_bytes(&g_mock, stream + i, 1);
    assert_int_equal(next_event(&ev, 2000), XBL_MPSD_WS_EVENT_OPENED);
    assert_int_equal(next_event(&ev, 50), XBL_MPSD_WS_EVENT_MESSAGE);
    assert_int_equal(ev.len, 2);
    assert_memory_equal(ev.data, "hi", 2);
    /* head and frame in one recv */
    setup_cfg();
    init_ws();
    mock_add_bytes(&g_mock, stream, n + 4);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_OPENED);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_MESSAGE);
    assert_memory_equal(ev.data, "hi", 2);
}

typedef struct head_case {
    const char     *head;
    xbl_mpsd_result want;
} head_case;

#define H101 "HTTP/1.1 101 Switching Protocols\r\n"
#define HUP  "Upgrade: websocket\r\n"
#define HCO  "Connection: Upgrade\r\n"
#define HAC  "Sec-WebSocket-Accept: " ACCEPT "\r\n"

static void handshake_checks_fail_in_order(void **state)
{
    static const head_case cases[] = {
        { H101 HUP HCO HAC "\r\n", XBL_MPSD_OK },                                      /* protocol may be absent */
        { H101 HUP HCO HAC "Sec-WebSocket-Protocol: " SUBP "\r\n\r\n", XBL_MPSD_OK },
        { H101 HUP HCO "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", XBL_MPSD_E_WS_HANDSHAKE },
        { H101 HUP HCO "\r\n", XBL_MPSD_E_WS_HANDSHAKE },                               /* no accept */
        { H101 HUP HCO HAC HAC "\r\n", XBL_MPSD_E_WS_HANDSHAKE },                       /* two accepts */
        { H101 HCO HAC "\r\n", XBL_MPSD_E_WS_HANDSHAKE },                               /* no Upgrade */
        { H101 "Upgrade: websocket2\r\n" HCO HAC "\r\n", XBL_MPSD_E_WS_HANDSHAKE },
        { H101 HUP HAC "\r\n", XBL_MPSD_E_WS_HANDSHAKE },                               /* no Connection */
        { H101 HUP "Connection: keep-alive\r\n" HAC "\r\n", XBL_MPSD_E_WS_HANDSHAKE },
        { H101 HUP HCO HAC "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n", XBL_MPSD_E_WS_HANDSHAKE },
        { H101 HUP HCO HAC "Sec-WebSocket-Protocol: other\r\n\r\n", XBL_MPSD_E_WS_HANDSHAKE },
        { H101 HUP HCO HAC "Sec-WebSocket-Protocol: RTA.XBOXLIVE.COM.V2\r\n\r\n", XBL_MPSD_E_WS_HANDSHAKE },
        { H101 HUP HCO HAC "Sec-WebSocket-Protocol: " SUBP "\r\nSec-WebSocket-Protocol: " SUBP "\r\n\r\n",
          XBL_MPSD_E_WS_HANDSHAKE },
        { "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", XBL_MPSD_E_HTTP_STATUS(200) },
        { "HTTP/1.1 100 Continue\r\n\r\n", XBL_MPSD_E_HTTP_STATUS(100) },
        { "HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n", XBL_MPSD_E_HTTP_STATUS(302) },
        { "HTTP/1.1 401 Unauthorized\r\n" HUP HCO HAC "\r\n", XBL_MPSD_E_HTTP_STATUS(401) },
        { "HTTP/1.0 101 Switching Protocols\r\n" HUP HCO HAC "\r\n", XBL_MPSD_E_HTTP_PROTOCOL },
        { "HTTP/2 101 x\r\n\r\n", XBL_MPSD_E_HTTP_PROTOCOL },
        { H101 "Upgrade: websocket\n" HCO HAC "\r\n", XBL_MPSD_E_HTTP_PROTOCOL },       /* bare LF */
        { H101 HUP " folded\r\n" HCO HAC "\r\n", XBL_MPSD_E_HTTP_PROTOCOL },            /* obs-fold */
        { H101 "Upgrade : websocket\r\n" HCO HAC "\r\n", XBL_MPSD_E_HTTP_PROTOCOL },
    };
    size_t k;
    (void)state;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        xbl_mpsd_ws_event ev;
        setup_cfg();
        init_ws();
        mock_add_bytes(&g_mock, cases[k].head, strlen(cases[k].head));
        if (cases[k].want == XBL_MPSD_OK) {
            assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_OPENED);
            continue;
        }
        assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_CLOSED);
        if (ev.result != cases[k].want) fail_msg("case %zu: %s", k, xbl_mpsd_result_string(ev.result));
        assert_int_equal(ev.close_code, 0);
        assert_int_equal(g_mock.closes, 1);
        assert_false(g_mock.open);
        assert_false(xbl_mpsd_ws_is_open(&g_ws));
        assert_int_equal(xbl_mpsd_ws_poll(&g_ws, &ev), XBL_MPSD_PENDING);   /* no second event */
    }
}

static void handshake_retry_after_and_attempt_failures(void **state)
{
    static const char h429[] = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n";
    xbl_mpsd_ws_event ev;
    (void)state;
    init_ws();
    mock_add_bytes(&g_mock, h429, strlen(h429));
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_HTTP_STATUS(429));
    assert_int_equal(ev.retry_after, 7);
    /* the port's connect error */
    setup_cfg();
    g_mock.connect_default = XBL_MPSD_E_CONNECT;
    init_ws();
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_CONNECT);
    assert_int_equal(g_mock.closes, 1);
    /* the auth callback's failure: nothing connected */
    setup_cfg();
    g_auth.fail = XBL_MPSD_E_FAIL;
    init_ws();
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_FAIL);
    assert_int_equal(g_mock.connects, 0);
    /* a token with a line break */
    setup_cfg();
    g_auth.token = "XBL3.0 x=1;tok\r\nEvil: 1";
    init_ws();
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_INVALIDARG);
    assert_int_equal(g_mock.sent_len, 0);
    /* EOF before the head is complete */
    setup_cfg();
    init_ws();
    mock_add_bytes(&g_mock, "HTTP/1.1 101 ", 13);
    mock_add_code(&g_mock, XBL_MPSD_E_EOF);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_CONNECTION_CLOSED);
    assert_int_equal(ev.close_code, 0);
    /* the attempt's deadline, on the port clock, across a wrap */
    setup_cfg();
    g_mock.now = UINT32_MAX - 100;
    g_cfg.timeout_ms = 1000;
    init_ws();
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_NONE);
    g_mock.now += 999;
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_NONE);
    g_mock.now += 1;
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_TIMEOUT);
    assert_int_equal(g_mock.closes, 1);
}

static void handshake_buffer_limits(void **state)
{
    static char head[12000];
    xbl_mpsd_ws_event ev;
    size_t n;
    (void)state;
    /* a header line longer than the buffer */
    n = (size_t)sprintf(head, H101 "X-Long: ");
    memset(head + n, 'a', 2100); n += 2100;
    n += (size_t)sprintf(head + n, "\r\n" HUP HCO HAC "\r\n");
    assert_int_equal(xbl_mpsd_ws_init(&g_ws, &g_cfg, g_mem, XBL_MPSD_WS_MIN_BUFFER_SIZE), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_ws_connect(&g_ws), XBL_MPSD_OK);
    mock_add_bytes(&g_mock, head, n);
    assert_int_equal(next_event(&ev, 50), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_OUTOFMEMORY);
    assert_true(xbl_mpsd_ws_needed_bytes(&g_ws) > 2100 + 40);
    for (n = XBL_MPSD_WS_MIN_BUFFER_SIZE; n < sizeof g_mem; n++) assert_int_equal(g_mem[n], CANARY);
    /* many short lines: fine in a small buffer, until the head limit */
    setup_cfg();
    n = (size_t)sprintf(head, H101 HUP HCO HAC);
    while (n < XBL_MPSD_HTTP_MAX_HEADER_BYTES - 100) n += (size_t)sprintf(head + n, "X-Pad: 0123456789\r\n");
    memcpy(head + n, "\r\n", 2);
    assert_int_equal(xbl_mpsd_ws_init(&g_ws, &g_cfg, g_mem, XBL_MPSD_WS_MIN_BUFFER_SIZE), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_ws_connect(&g_ws), XBL_MPSD_OK);
    mock_add_bytes(&g_mock, head, n + 2);
    assert_int_equal(next_event(&ev, 100), XBL_MPSD_WS_EVENT_OPENED);
    setup_cfg();
    while (n < XBL_MPSD_HTTP_MAX_HEADER_BYTES + 10) n += (size_t)sprintf(head + n, "X-Pad: 0123456789\r\n");
    memcpy(head + n, "\r\n", 2);
    init_ws();
    mock_add_bytes(&g_mock, head, n + 2);
    assert_int_equal(next_event(&ev, 100), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_HTTP_PROTOCOL);
    /* the auth token does not fit */
    setup_cfg();
    g_auth.fail = XBL_MPSD_E_OUTOFMEMORY;
    init_ws();
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_OUTOFMEMORY);
    assert_true(xbl_mpsd_ws_needed_bytes(&g_ws) > BUF_SIZE);
}

/* ------------------------------------------------------------------ frames in */

static void frame_types(void **state)
{
    static const uint8_t in[] = {
        0x81, 0x05, 'h', 'e', 'l', 'l', 'o',           /* text */
        0x82, 0x03, 0x00, 0xFF, 0x10,                  /* binary */
        0x81, 0x00,                                    /* empty text */
        0x8A, 0x01, 'x',                               /* unsolicited pong: ignored */
        0x01, 0x02, 'a', 'b',                          /* text fragment */
        0x89, 0x02, 'h', 'b',                          /* ping between fragments */
        0x00, 0x00,                                    /* empty continuation */
        0x80, 0x03, 'c', 'd', 'e',                     /* last fragment */
    };
    xbl_mpsd_ws_event ev;
    cframe f[4];
    (void)state;
    open_ws();
    mock_add_bytes(&g_mock, in, sizeof in);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_MESSAGE);
    assert_false(ev.binary);
    assert_int_equal(ev.len, 5);
    assert_memory_equal(ev.data, "hello", 5);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_MESSAGE);
    assert_true(ev.binary);
    assert_int_equal(ev.len, 3);
    assert_memory_equal(ev.data, "\x00\xFF\x10", 3);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_MESSAGE);
    assert_int_equal(ev.len, 0);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_MESSAGE);
    assert_false(ev.binary);
    assert_int_equal(ev.len, 5);
    assert_memory_equal(ev.data, "abcde", 5);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_NONE);
    /* the ping was answered; nothing else was sent */
    assert_int_equal(decode_client_frames(g_mock.sent, g_mock.sent_len, f, 4), 1);
    assert_int_equal(f[0].opcode, 0xA);
    assert_int_equal(f[0].len, 2);
    assert_memory_equal(f[0].payload, "hb", 2);
    canary_intact();
}

static void lengths_16_and_64_bit(void **state)
{
    static uint8_t in[8 + 70000];
    xbl_mpsd_ws_event ev;
    size_t i;
    (void)state;
    g_cfg.max_message_bytes = 0;
    setup_cfg();
    assert_int_equal(xbl_mpsd_ws_init(&g_ws, &g_cfg, g_mem, BUF_SIZE), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_ws_connect(&g_ws), XBL_MPSD_OK);
    mock_add_bytes(&g_mock, g_head_ok, strlen(g_head_ok));
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_OPENED);
    in[0] = 0x82; in[1] = 126; in[2] = 0x0B; in[3] = 0xB8;   /* 3000 bytes */
    for (i = 0; i < 3000; i++) in[4 + i] = (uint8_t)i;
    mock_add_bytes(&g_mock, in, 4 + 3000);
    assert_int_equal(next_event(&ev, 50), XBL_MPSD_WS_EVENT_MESSAGE);
    assert_int_equal(ev.len, 3000);
    assert_memory_equal(ev.data, in + 4, 3000);
    /* the 64-bit form needs more than 65535 bytes: refused by the limit first */
    memset(in, 0, 10);
    in[0] = 0x82; in[1] = 127; in[7] = 0x01; in[8] = 0x00; in[9] = 0x00;   /* 65536 */
    mock_add_bytes(&g_mock, in, 10);
    assert_int_equal(next_event(&ev, 50), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_WS_MESSAGE_TOO_BIG);
    assert_int_equal(ev.close_code, 1009);
    assert_int_equal(xbl_mpsd_ws_needed_bytes(&g_ws), 65536 + XBL_MPSD_RTA_BUFFER_RESERVE);
    canary_intact();
}

/* A stream with every frame kind, fed at every split and byte by byte: the
   same events and the same client bytes every time. */
static size_t build_stream(uint8_t *s)
{
    size_t n = strlen(g_head_ok), i;
    memcpy(s, g_head_ok, n);
    memcpy(s + n, "\x81\x05hello", 7); n += 7;
    memcpy(s + n, "\x02\x02\x01\x02", 4); n += 4;                 /* binary fragment */
    memcpy(s + n, "\x89\x03p1!", 5); n += 5;                       /* ping */
    memcpy(s + n, "\x80\x01\x03", 3); n += 3;                      /* last fragment */
    s[n++] = 0x81; s[n++] = 126; s[n++] = 0; s[n++] = 200;         /* 200-byte text */
    for (i = 0; i < 200; i++) s[n++] = (uint8_t)('a' + i % 26);
    memcpy(s + n, "\x81\x04\xC3\xA9\xE2\x82", 6); n += 6;          /* "é" + cut char: invalid */
    return n;
}

static size_t build_stream_closing(uint8_t *s)
{
    size_t n = build_stream(s) - 6;
    memcpy(s + n, "\x8A\x00", 2); n += 2;                          /* pong */
    memcpy(s + n, "\x88\x05\x03\xE9" "bye", 7); n += 7;            /* close 1001 "bye" */
    memcpy(s + n, "\x81\x01z", 3); n += 3;                         /* after close: ignored */
    return n;
}

static void run_stream(const uint8_t *s, size_t n, size_t split, bool bytewise, char *log, size_t cap,
                       uint8_t *sent, size_t *sent_len)
{
    xbl_mpsd_ws_event ev;
    size_t i, at = 0;
    int guard;
    setup_cfg();
    init_ws();
    if (bytewise) for (i = 0; i < n; i++) mock_add_bytes(&g_mock, s + i, 1);
    else {
        if (split > 0) mock_add_bytes(&g_mock, s, split);
        if (split < n) mock_add_bytes(&g_mock, s + split, n - split);
    }
    mock_add_code(&g_mock, XBL_MPSD_E_EOF);
    log[0] = '\0';
    for (guard = 0; guard < 100000; guard++) {
        xbl_mpsd_result r = xbl_mpsd_ws_poll(&g_ws, &ev);
        if (r == XBL_MPSD_PENDING) continue;
        assert_int_equal(r, XBL_MPSD_OK);
        if (ev.type == XBL_MPSD_WS_EVENT_OPENED) at += (size_t)snprintf(log + at, cap - at, "O|");
        else if (ev.type == XBL_MPSD_WS_EVENT_MESSAGE) {
            at += (size_t)snprintf(log + at, cap - at, "%c%zu:", ev.binary ? 'B' : 'T', ev.len);
            for (i = 0; i < ev.len && at < cap - 4; i++) at += (size_t)snprintf(log + at, cap - at, "%02x", ev.data[i]);
            at += (size_t)snprintf(log + at, cap - at, "|");
        } else {
            at += (size_t)snprintf(log + at, cap - at, "C:%s:%u", xbl_mpsd_result_string(ev.result), ev.close_code);
            break;
        }
    }
    assert_true(guard < 100000);
    memcpy(sent, g_mock.sent, g_mock.sent_len);
    *sent_len = g_mock.sent_len;
    canary_intact();
}

static void every_split_gives_the_same_result(void **state)
{
    static uint8_t s[1024], ref_sent[4096], sent[4096];
    static char ref[8192], log[8192];
    size_t builders, n, k, ref_len, len;
    (void)state;
    for (builders = 0; builders < 2; builders++) {
        cframe f[8];
        size_t nf, base;
        n = builders == 0 ? build_stream(s) : build_stream_closing(s);
        run_stream(s, n, 0, true, ref, sizeof ref, ref_sent, &ref_len);
        for (k = 0; k <= n; k++) {
            run_stream(s, n, k, false, log, sizeof log, sent, &len);
            assert_string_equal(log, ref);
            if (len != ref_len) fail_msg("builder %zu split %zu: %zu bytes sent, %zu bytewise", builders, k, len, ref_len);
            assert_memory_equal(sent, ref_sent, len);
        }
        assert_non_null(strstr(ref, "O|T5:68656c6c6f|B3:010203|T200:6162"));
        base = 0;
        while (base < ref_len && !(ref_sent[base] == '\r' && ref_sent[base + 1] == '\n' && ref_sent[base + 2] == '\r'
               && ref_sent[base + 3] == '\n')) base++;
        base += 4;
        nf = decode_client_frames(ref_sent + base, ref_len - base, f, 8);
        assert_int_equal(f[0].opcode, 0xA);
        assert_int_equal(f[0].len, 3);
        assert_memory_equal(f[0].payload, "p1!", 3);
        assert_int_equal(nf, 2);
        assert_int_equal(f[1].opcode, 8);
        if (builders == 0) {
            assert_non_null(strstr(ref, "|C:XBL_MPSD_E_WS_PROTOCOL:1007"));
            assert_int_equal(f[1].len, 2);
            assert_memory_equal(f[1].payload, "\x03\xEF", 2);   /* 1007 */
        } else {
            assert_non_null(strstr(ref, "|C:XBL_MPSD_E_WS_CLOSED:1001"));
            assert_null(strstr(ref, "T1:7a"));
            assert_int_equal(f[1].len, 2);
            assert_memory_equal(f[1].payload, "\x03\xE9", 2);   /* the server's code echoed */
        }
    }
}

/* ------------------------------------------------------------------ limits */

static void fragmentation_limit(void **state)
{
    static const uint8_t exact[] = { 0x01, 0x06, '1', '2', '3', '4', '5', '6', 0x80, 0x04, '7', '8', '9', '0' };
    static const uint8_t over[] = { 0x01, 0x06, '1', '2', '3', '4', '5', '6', 0x89, 0x00, 0x80, 0x05, 'a', 'b', 'c', 'd', 'e' };
    static const uint8_t single[] = { 0x82, 0x0B, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
    xbl_mpsd_ws_event ev;
    size_t i;
    (void)state;
    g_cfg.max_message_bytes = 10;
    open_ws();
    memset(g_mem + 10, CANARY, BUF_SIZE - XBL_MPSD_RTA_BUFFER_RESERVE - 10);
    mock_add_bytes(&g_mock, exact, sizeof exact);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_MESSAGE);
    assert_int_equal(ev.len, 10);
    assert_memory_equal(ev.data, "1234567890", 10);
    mock_add_bytes(&g_mock, over, sizeof over);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_WS_MESSAGE_TOO_BIG);
    assert_int_equal(ev.close_code, 1009);
    assert_int_equal(xbl_mpsd_ws_needed_bytes(&g_ws), 6 + 5 + XBL_MPSD_RTA_BUFFER_RESERVE);
    /* the ping that came before the failure is answered before the close */
    {
        cframe f[4];
        assert_int_equal(decode_client_frames(g_mock.sent, g_mock.sent_len, f, 4), 2);
        assert_int_equal(f[0].opcode, 0xA);
        assert_int_equal(f[0].len, 0);
        assert_int_equal(f[1].opcode, 8);
        assert_memory_equal(f[1].payload, "\x03\xF1", 2);
    }
    assert_int_equal(g_mock.closes, 1);
    for (i = 10; i < BUF_SIZE - XBL_MPSD_RTA_BUFFER_RESERVE; i++) assert_int_equal(g_mem[i], CANARY);
    canary_intact();
    /* a single frame over the limit: decided before its payload */
    setup_cfg();
    g_cfg.max_message_bytes = 10;
    open_ws();
    memset(g_mem + 10, CANARY, BUF_SIZE - XBL_MPSD_RTA_BUFFER_RESERVE - 10);
    mock_add_bytes(&g_mock, single, 2);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_WS_MESSAGE_TOO_BIG);
    assert_int_equal(xbl_mpsd_ws_needed_bytes(&g_ws), 11 + XBL_MPSD_RTA_BUFFER_RESERVE);
    assert_int_equal(g_mock.recv_i, g_mock.recv_n);
    assert_sent_only_close(1009);
    for (i = 10; i < BUF_SIZE - XBL_MPSD_RTA_BUFFER_RESERVE; i++) assert_int_equal(g_mem[i], CANARY);
}

/* ------------------------------------------------------------------ protocol errors */

typedef struct proto_case {
    const char *bytes;
    size_t      len;
    unsigned    code;
} proto_case;

#define PC(s, code) { s, sizeof s - 1, code }

static void protocol_errors_send_their_close_code(void **state)
{
    static const proto_case cases[] = {
        PC("\xC1\x00", 1002), PC("\xA1\x00", 1002), PC("\x91\x00", 1002),          /* RSV1, RSV2, RSV3 */
        PC("\x83\x00", 1002), PC("\x87\x00", 1002), PC("\x8B\x00", 1002), PC("\x8F\x00", 1002),   /* reserved opcodes */
        PC("\x81\x81\x00\x00\x00\x00x", 1002),                                      /* masked */
        PC("\x82\x7F\x80\x00\x00\x00\x00\x00\x00\x01", 1002),                       /* 64-bit top bit */
        PC("\x81\x7E\x00\x05hello", 1002),                                          /* 16-bit form for 5 */
        PC("\x82\x7F\x00\x00\x00\x00\x00\x00\x01\x00", 1002),                       /* 64-bit form for 256 */
        PC("\x09\x00", 1002), PC("\x08\x00", 1002), PC("\x0A\x00", 1002),           /* control without FIN */
        PC("\x89\x7E\x00\x7E", 1002), PC("\x88\x7E\x00\x80", 1002),                 /* control over 125 */
        PC("\x80\x01x", 1002), PC("\x00\x01x", 1002),                               /* orphan continuation */
        PC("\x01\x01x\x81\x01y", 1002), PC("\x01\x01x\x82\x01y", 1002),             /* new message inside one */
        PC("\x81\x01\xC3", 1007), PC("\x81\x02\xC0\x80", 1007),                     /* bad UTF-8, overlong */
        PC("\x81\x03\xED\xA0\x80", 1007), PC("\x81\x04\xF4\x90\x80\x80", 1007),     /* surrogate, > U+10FFFF */
        PC("\x01\x01\xC3\x80\x01\x28", 1007),                                       /* fragments join to bad UTF-8 */
        PC("\x88\x01\x03", 1002),                                                   /* 1-byte close */
        PC("\x88\x02\x03\xED", 1002), PC("\x88\x02\x03\xEE", 1002),                 /* 1005, 1006 */
        PC("\x88\x02\x03\xEC", 1002), PC("\x88\x02\x03\xF7", 1002),                 /* 1004, 1015 */
        PC("\x88\x02\x03\xE7", 1002), PC("\x88\x02\x03\xF8", 1002),                 /* 999, 1016 */
        PC("\x88\x02\x0B\xB7", 1002), PC("\x88\x02\x13\x88", 1002),                 /* 2999, 5000 */
        PC("\x88\x04\x03\xE8\xC3\x28", 1007),                                       /* reason not UTF-8 */
    };
    size_t k;
    (void)state;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        xbl_mpsd_ws_event ev;
        setup_cfg();
        open_ws();
        mock_add_bytes(&g_mock, cases[k].bytes, cases[k].len);
        mock_add_bytes(&g_mock, "\x81\x01z", 3);   /* never read */
        assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_CLOSED);
        if (ev.close_code != cases[k].code) fail_msg("case %zu: close code %u", k, ev.close_code);
        assert_int_equal(ev.result, XBL_MPSD_E_WS_PROTOCOL);
        assert_sent_only_close(cases[k].code);
        assert_int_equal(g_mock.closes, 1);
        assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_NONE);
    }
}

static void valid_close_codes_and_split_utf8(void **state)
{
    static const char *const codes[] = { "\x03\xE8", "\x03\xEB", "\x03\xEF", "\x03\xF6", "\x0B\xB8", "\x13\x87" };
    static const uint8_t split_utf8[] = { 0x01, 0x01, 0xC3, 0x80, 0x01, 0xA9 };   /* "é" across fragments */
    xbl_mpsd_ws_event ev;
    size_t k;
    (void)state;
    for (k = 0; k < sizeof codes / sizeof codes[0]; k++) {
        uint8_t frame[4] = { 0x88, 0x02, 0, 0 };
        unsigned code = ((unsigned)(uint8_t)codes[k][0] << 8) | (uint8_t)codes[k][1];
        memcpy(frame + 2, codes[k], 2);
        setup_cfg();
        open_ws();
        mock_add_bytes(&g_mock, frame, 4);
        mock_add_code(&g_mock, XBL_MPSD_E_EOF);
        assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_CLOSED);
        assert_int_equal(ev.result, XBL_MPSD_E_WS_CLOSED);
        assert_int_equal(ev.close_code, code);
        assert_sent_only_close(code);
    }
    setup_cfg();
    open_ws();
    mock_add_bytes(&g_mock, split_utf8, sizeof split_utf8);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_MESSAGE);
    assert_int_equal(ev.len, 2);
    assert_memory_equal(ev.data, "\xC3\xA9", 2);
}

/* ------------------------------------------------------------------ close paths */

static void server_close_is_echoed_then_eof(void **state)
{
    xbl_mpsd_ws_event ev;
    (void)state;
    open_ws();
    mock_add_bytes(&g_mock, "\x88\x05\x03\xE9" "bye", 7);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_NONE);   /* waits for TCP's end */
    assert_sent_only_close(1001);
    assert_int_equal(g_mock.closes, 0);
    assert_false(xbl_mpsd_ws_is_open(&g_ws));
    assert_int_equal(xbl_mpsd_ws_send_text(&g_ws, "x", 1), XBL_MPSD_E_UNEXPECTED);
    mock_add_bytes(&g_mock, "\x81\x01z", 3);   /* after the close: dropped */
    mock_add_code(&g_mock, XBL_MPSD_E_EOF);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_WS_CLOSED);
    assert_int_equal(ev.close_code, 1001);
    assert_int_equal(g_mock.closes, 1);
    assert_sent_only_close(1001);
    /* an empty close: an empty echo, code 1005 reported */
    setup_cfg();
    open_ws();
    mock_add_bytes(&g_mock, "\x88\x00", 2);
    mock_add_code(&g_mock, XBL_MPSD_E_IO);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_WS_CLOSED);
    assert_int_equal(ev.close_code, 1005);
    assert_sent_only_close(0);
}

static void server_close_without_eof_times_out(void **state)
{
    xbl_mpsd_ws_event ev;
    (void)state;
    g_cfg.close_timeout_ms = 0;   /* the default */
    open_ws();
    g_mock.now = 5000;
    mock_add_bytes(&g_mock, "\x88\x02\x03\xE8", 4);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_NONE);
    g_mock.now += XBL_MPSD_RTA_CLOSE_TIMEOUT_MS - 1;
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_NONE);
    assert_int_equal(g_mock.closes, 0);
    g_mock.now += 1;
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_WS_CLOSED);
    assert_int_equal(ev.close_code, 1000);
    assert_int_equal(g_mock.closes, 1);
}

static void client_close_handshake(void **state)
{
    xbl_mpsd_ws_event ev;
    (void)state;
    open_ws();
    assert_int_equal(xbl_mpsd_ws_close(&g_ws, 999), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_ws_close(&g_ws, 1005), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_ws_close(&g_ws, 1000), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_ws_close(&g_ws, 1000), XBL_MPSD_E_UNEXPECTED);
    assert_false(xbl_mpsd_ws_is_open(&g_ws));
    /* meanwhile: data discarded, pings unanswered */
    mock_add_bytes(&g_mock, "\x81\x02hi\x89\x01p\x01\x01x\x80\x01y", 13);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_NONE);
    assert_sent_only_close(1000);
    mock_add_bytes(&g_mock, "\x88\x02\x03\xE8", 4);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_NONE);
    assert_int_equal(g_mock.closes, 0);
    mock_add_code(&g_mock, XBL_MPSD_E_EOF);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_OK);
    assert_int_equal(ev.close_code, 1000);
    assert_int_equal(g_mock.closes, 1);
    assert_sent_only_close(1000);
    /* the server never answers: the close wait ends it */
    setup_cfg();
    g_cfg.close_timeout_ms = 300;
    open_ws();
    assert_int_equal(xbl_mpsd_ws_close(&g_ws, 4000), XBL_MPSD_OK);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_NONE);
    g_mock.now += 300;
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_OK);
    assert_int_equal(ev.close_code, 4000);
    assert_sent_only_close(4000);
    /* a broken frame while closing: our close was the last frame sent */
    setup_cfg();
    open_ws();
    assert_int_equal(xbl_mpsd_ws_close(&g_ws, 1000), XBL_MPSD_OK);
    mock_add_bytes(&g_mock, "\xC1\x00", 2);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_WS_PROTOCOL);
    assert_int_equal(ev.close_code, 1000);
    assert_sent_only_close(1000);
}

static void connection_loss_and_abort(void **state)
{
    xbl_mpsd_ws_event ev;
    (void)state;
    open_ws();
    mock_add_bytes(&g_mock, "\x81\x02", 2);   /* half a frame */
    mock_add_code(&g_mock, XBL_MPSD_E_EOF);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_CONNECTION_CLOSED);
    assert_int_equal(ev.close_code, 1006);
    assert_int_equal(g_mock.sent_len, 0);
    assert_int_equal(g_mock.closes, 1);
    /* a port error */
    setup_cfg();
    open_ws();
    mock_add_code(&g_mock, XBL_MPSD_E_IO);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_IO);
    assert_int_equal(ev.close_code, 1006);
    /* a send error */
    setup_cfg();
    open_ws();
    mock_add_send(&g_mock, XBL_MPSD_E_TLS);
    assert_int_equal(xbl_mpsd_ws_send_text(&g_ws, "x", 1), XBL_MPSD_OK);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_TLS);
    assert_int_equal(ev.close_code, 1006);
    /* abort: one try at a close frame, the port closed, no event */
    setup_cfg();
    open_ws();
    xbl_mpsd_ws_abort(&g_ws);
    assert_sent_only_close(1000);
    assert_int_equal(g_mock.closes, 1);
    assert_int_equal(xbl_mpsd_ws_poll(&g_ws, &ev), XBL_MPSD_PENDING);
    assert_int_equal(ev.type, XBL_MPSD_WS_EVENT_NONE);
    /* abort mid-frame: nothing more is sent */
    setup_cfg();
    open_ws();
    mock_add_send(&g_mock, 3);
    mock_add_send(&g_mock, XBL_MPSD_E_WOULD_BLOCK);
    assert_int_equal(xbl_mpsd_ws_send_text(&g_ws, "hello", 5), XBL_MPSD_OK);
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_NONE);
    assert_int_equal(g_mock.sent_len, 3);
    xbl_mpsd_ws_abort(&g_ws);
    assert_int_equal(g_mock.sent_len, 3);
    assert_int_equal(g_mock.closes, 1);
    /* and the object can connect again, with a new key */
    mock_reset_traffic(&g_mock);
    mock_add_bytes(&g_mock, g_head_ok, strlen(g_head_ok));
    assert_int_equal(xbl_mpsd_ws_connect(&g_ws), XBL_MPSD_OK);
    assert_string_not_equal(g_ws.key, KEY);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_WS_HANDSHAKE);   /* our accept belongs to the old key */
}

/* ------------------------------------------------------------------ ping / pong */

static void ping_pong_exact_bytes(void **state)
{
    uint8_t want[8] = { 0x8A, 0x82, 0, 0, 0, 0, 0, 0 };
    xbl_mpsd_ws_event ev;
    unsigned m;
    cframe f[2];
    (void)state;
    open_ws();
    m = g_rand;   /* the pong's mask is the next draw */
    mock_add_bytes(&g_mock, "\x89\x02hb", 4);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_NONE);
    want[2] = (uint8_t)m; want[3] = (uint8_t)(m + 1); want[4] = (uint8_t)(m + 2); want[5] = (uint8_t)(m + 3);
    want[6] = (uint8_t)('h' ^ want[2]);
    want[7] = (uint8_t)('b' ^ want[3]);
    assert_int_equal(g_mock.sent_len, 8);
    assert_memory_equal(g_mock.sent, want, 8);
    /* two pings before the send side is free: the latest one is answered */
    g_mock.sent_len = 0;
    mock_add_bytes(&g_mock, "\x89\x01" "1" "\x89\x00" "\x89\x03" "333", 10);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_NONE);
    assert_int_equal(decode_client_frames(g_mock.sent, g_mock.sent_len, f, 2), 1);
    assert_int_equal(f[0].opcode, 0xA);
    assert_int_equal(f[0].len, 3);
    assert_memory_equal(f[0].payload, "333", 3);
    /* a 125-byte ping is echoed whole */
    {
        uint8_t ping[127];
        size_t i;
        ping[0] = 0x89; ping[1] = 125;
        for (i = 0; i < 125; i++) ping[2 + i] = (uint8_t)(i * 3);
        g_mock.sent_len = 0;
        mock_add_bytes(&g_mock, ping, sizeof ping);
        assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_NONE);
        assert_int_equal(decode_client_frames(g_mock.sent, g_mock.sent_len, f, 2), 1);
        assert_int_equal(f[0].len, 125);
        assert_memory_equal(f[0].payload, ping + 2, 125);
    }
}

static void keepalive_ping_and_timeout(void **state)
{
    xbl_mpsd_ws_event ev;
    cframe f[2];
    (void)state;
    g_cfg.ping_interval_ms = 1000;
    open_ws();
    assert_int_equal(next_event(&ev, 2), XBL_MPSD_WS_EVENT_NONE);
    assert_int_equal(g_mock.sent_len, 0);
    g_mock.now += 1000;
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_NONE);
    assert_int_equal(decode_client_frames(g_mock.sent, g_mock.sent_len, f, 2), 1);
    assert_int_equal(f[0].opcode, 9);
    assert_int_equal(f[0].len, 4);
    /* the pong (any frame) resets it */
    mock_add_bytes(&g_mock, "\x8A\x04", 2);
    mock_add_bytes(&g_mock, f[0].payload, 4);
    g_mock.now += 500;
    assert_int_equal(next_event(&ev, 2), XBL_MPSD_WS_EVENT_NONE);
    g_mock.now += 999;
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_NONE);
    assert_int_equal(decode_client_frames(g_mock.sent, g_mock.sent_len, f, 2), 1);
    g_mock.now += 1;
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_NONE);
    assert_int_equal(decode_client_frames(g_mock.sent, g_mock.sent_len, f, 2), 2);
    /* no answer to the second ping: timed out, no close frame */
    g_mock.now += 1000;
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_TIMEOUT);
    assert_int_equal(ev.close_code, 1006);
    assert_int_equal(decode_client_frames(g_mock.sent, g_mock.sent_len, f, 2), 2);
    assert_int_equal(g_mock.closes, 1);
}

/* ------------------------------------------------------------------ frames out */

static void send_text_frames(void **state)
{
    static char big[XBL_MPSD_WS_MAX_SEND_BYTES + 1];
    uint8_t want[11] = { 0x81, 0x85, 0, 0, 0, 0, 'h', 'e', 'l', 'l', 'o' };
    xbl_mpsd_ws_event ev;
    cframe f[2];
    unsigned m, i;
    (void)state;
    open_ws();
    m = g_rand;
    assert_int_equal(xbl_mpsd_ws_send_text(&g_ws, "hello", 5), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_ws_send_text(&g_ws, "again", 5), XBL_MPSD_E_BUSY);
    for (i = 0; i < 4; i++) want[2 + i] = (uint8_t)(m + i);
    for (i = 0; i < 5; i++) want[6 + i] = (uint8_t)(want[6 + i] ^ want[2 + (i & 3)]);
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_NONE);
    assert_int_equal(g_mock.sent_len, 11);
    assert_memory_equal(g_mock.sent, want, 11);
    /* the 16-bit length form from 126 bytes on, up to the slot size */
    memset(big, 'q', sizeof big);
    assert_int_equal(xbl_mpsd_ws_send_text(&g_ws, big, sizeof big), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_ws_send_text(&g_ws, "\xC3", 1), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_ws_send_text(NULL, "x", 1), XBL_MPSD_E_INVALIDARG);
    g_mock.sent_len = 0;
    assert_int_equal(xbl_mpsd_ws_send_text(&g_ws, big, 126), XBL_MPSD_OK);
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_NONE);
    assert_int_equal(g_mock.sent[1], 0x80 | 126);
    assert_int_equal(decode_client_frames(g_mock.sent, g_mock.sent_len, f, 2), 1);
    assert_int_equal(f[0].len, 126);
    g_mock.sent_len = 0;
    assert_int_equal(xbl_mpsd_ws_send_text(&g_ws, big, XBL_MPSD_WS_MAX_SEND_BYTES), XBL_MPSD_OK);
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_NONE);
    assert_int_equal(decode_client_frames(g_mock.sent, g_mock.sent_len, f, 2), 1);
    assert_int_equal(f[0].len, XBL_MPSD_WS_MAX_SEND_BYTES);
    assert_memory_equal(f[0].payload, big, XBL_MPSD_WS_MAX_SEND_BYTES);
    /* every frame has its own mask */
    g_mock.sent_len = 0;
    assert_int_equal(xbl_mpsd_ws_send_text(&g_ws, "a", 1), XBL_MPSD_OK);
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_NONE);
    assert_int_equal(xbl_mpsd_ws_send_text(&g_ws, "a", 1), XBL_MPSD_OK);
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_NONE);
    assert_int_equal(decode_client_frames(g_mock.sent, g_mock.sent_len, f, 2), 2);
    assert_memory_not_equal(f[0].mask, f[1].mask, 4);
    /* empty text */
    g_mock.sent_len = 0;
    assert_int_equal(xbl_mpsd_ws_send_text(&g_ws, NULL, 0), XBL_MPSD_OK);
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_NONE);
    assert_int_equal(g_mock.sent_len, 6);
    assert_int_equal(g_mock.sent[1], 0x80);
}

static void partial_sends(void **state)
{
    static const char *head_part = "GET /connect HTTP/1.1\r\n";
    xbl_mpsd_ws_event ev;
    cframe f[4];
    size_t i;
    int polls;
    (void)state;
    /* the handshake, one byte per send, with would-blocks between */
    init_ws();
    for (i = 0; i < 2000; i++) { mock_add_send(&g_mock, 1); mock_add_send(&g_mock, XBL_MPSD_E_WOULD_BLOCK); }
    for (polls = 0; polls < 4000 && g_mock.sent_len < strlen(head_part); polls++)
        assert_int_equal(xbl_mpsd_ws_poll(&g_ws, &ev), XBL_MPSD_PENDING);
    assert_memory_equal(g_mock.sent, head_part, strlen(head_part));
    mock_add_bytes(&g_mock, g_head_ok, strlen(g_head_ok));
    assert_int_equal(next_event(&ev, 4000), XBL_MPSD_WS_EVENT_OPENED);
    /* a text frame half sent when a ping arrives: the pong goes after it */
    g_mock.sent_len = 0;
    g_mock.send_n = g_mock.send_i = 0;
    mock_add_send(&g_mock, 4);
    mock_add_send(&g_mock, XBL_MPSD_E_WOULD_BLOCK);
    assert_int_equal(xbl_mpsd_ws_send_text(&g_ws, "message", 7), XBL_MPSD_OK);
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_NONE);
    assert_int_equal(g_mock.sent_len, 4);
    mock_add_send(&g_mock, 2);
    mock_add_send(&g_mock, XBL_MPSD_E_WOULD_BLOCK);
    mock_add_send(&g_mock, XBL_MPSD_E_WOULD_BLOCK);
    mock_add_bytes(&g_mock, "\x89\x02pp", 4);
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_NONE);
    assert_int_equal(xbl_mpsd_ws_send_text(&g_ws, "next", 4), XBL_MPSD_E_BUSY);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_NONE);
    assert_int_equal(xbl_mpsd_ws_send_text(&g_ws, "next", 4), XBL_MPSD_OK);   /* the pong went first */
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_NONE);
    assert_int_equal(decode_client_frames(g_mock.sent, g_mock.sent_len, f, 4), 3);
    assert_int_equal(f[0].opcode, 1);
    assert_memory_equal(f[0].payload, "message", 7);
    assert_int_equal(f[1].opcode, 0xA);
    assert_memory_equal(f[1].payload, "pp", 2);
    assert_int_equal(f[2].opcode, 1);
    assert_memory_equal(f[2].payload, "next", 4);
    /* a failure while a frame is half out: the frame is finished, then the close */
    g_mock.sent_len = 0;
    mock_add_send(&g_mock, 3);
    mock_add_send(&g_mock, XBL_MPSD_E_WOULD_BLOCK);
    assert_int_equal(xbl_mpsd_ws_send_text(&g_ws, "abcdef", 6), XBL_MPSD_OK);
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_NONE);
    mock_add_bytes(&g_mock, "\xC1\x00", 2);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.result, XBL_MPSD_E_WS_PROTOCOL);
    assert_int_equal(decode_client_frames(g_mock.sent, g_mock.sent_len, f, 4), 2);
    assert_memory_equal(f[0].payload, "abcdef", 6);
    assert_int_equal(f[1].opcode, 8);
    assert_memory_equal(f[1].payload, "\x03\xEA", 2);
    /* a port that never takes the failure close: given up after the close wait */
    setup_cfg();
    g_cfg.close_timeout_ms = 100;
    open_ws();
    g_mock.send_default_cap = XBL_MPSD_E_WOULD_BLOCK;
    mock_add_bytes(&g_mock, "\xC1\x00", 2);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_WS_EVENT_NONE);
    g_mock.now += 100;
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_WS_EVENT_CLOSED);
    assert_int_equal(ev.close_code, 1002);
    assert_int_equal(g_mock.closes, 1);
}

static void poll_is_bounded(void **state)
{
    static uint8_t many[4000];
    xbl_mpsd_ws_event ev;
    size_t i;
    unsigned before;
    (void)state;
    open_ws();
    for (i = 0; i < sizeof many; i += 2) { many[i] = 0x8A; many[i + 1] = 0; }   /* empty pongs */
    for (i = 0; i < sizeof many; i += 8) mock_add_bytes(&g_mock, many + i, 8);
    before = g_mock.recvs + g_mock.sends;
    assert_int_equal(xbl_mpsd_ws_poll(&g_ws, &ev), XBL_MPSD_PENDING);
    assert_true(g_mock.recvs + g_mock.sends - before <= 16);
    /* an idle object costs nothing but time */
    for (i = 0; i < 10000; i++) assert_int_equal(xbl_mpsd_ws_poll(&g_ws, &ev), XBL_MPSD_PENDING);
    assert_int_equal(g_mock.sent_len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha1_known_vectors),
        cmocka_unit_test(accept_matches_rfc_example),
        cmocka_unit_test(base64_padding),
        cmocka_unit_test_setup(init_checks_arguments, setup),
        cmocka_unit_test_setup(handshake_exact_bytes, setup),
        cmocka_unit_test_setup(longest_token_keeps_the_head_whole, setup),
        cmocka_unit_test_setup(builtin_random_and_a_head_too_long, setup),
        cmocka_unit_test_setup(handshake_port_443_and_no_subprotocol, setup),
        cmocka_unit_test_setup(handshake_one_byte_reads_and_coalesced_frame, setup),
        cmocka_unit_test_setup(handshake_checks_fail_in_order, setup),
        cmocka_unit_test_setup(handshake_retry_after_and_attempt_failures, setup),
        cmocka_unit_test_setup(handshake_buffer_limits, setup),
        cmocka_unit_test_setup(frame_types, setup),
        cmocka_unit_test_setup(lengths_16_and_64_bit, setup),
        cmocka_unit_test_setup(every_split_gives_the_same_result, setup),
        cmocka_unit_test_setup(fragmentation_limit, setup),
        cmocka_unit_test_setup(protocol_errors_send_their_close_code, setup),
        cmocka_unit_test_setup(valid_close_codes_and_split_utf8, setup),
        cmocka_unit_test_setup(server_close_is_echoed_then_eof, setup),
        cmocka_unit_test_setup(server_close_without_eof_times_out, setup),
        cmocka_unit_test_setup(client_close_handshake, setup),
        cmocka_unit_test_setup(connection_loss_and_abort, setup),
        cmocka_unit_test_setup(ping_pong_exact_bytes, setup),
        cmocka_unit_test_setup(keepalive_ping_and_timeout, setup),
        cmocka_unit_test_setup(send_text_frames, setup),
        cmocka_unit_test_setup(partial_sends, setup),
        cmocka_unit_test_setup(poll_is_bounded, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
