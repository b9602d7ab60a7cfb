/* The SDK's WebSocket client (and the RTA object on it) against a server nobody here wrote: Debian's
   python3-websockets (tests/ws/server.py), through the POSIX port, or with
   WS_TLS=1 through the mbedTLS port over it. tests/ws/run.sh starts the
   server and sets WS_PORT (and WS_CA for TLS).
   `ws_peer sha1` instead reads hex lines from stdin and prints the SDK's
   SHA-1 of each, for tests/ws/sha1_check.py to compare with hashlib. */
#define _POSIX_C_SOURCE 200809L
#define XBL_MPSD_IMPLEMENTATION
#define XBL_MPSD_PORT_POSIX_IMPLEMENTATION
#define XBL_MPSD_PORT_MBEDTLS_IMPLEMENTATION
#include "port/xbl_mpsd_port_posix.h"
#include "port/xbl_mpsd_port_mbedtls.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#define SUBP "rta.xboxlive.com.V2"

static xbl_mpsd_port_posix   g_tcp;
static xbl_mpsd_port         g_tcp_port, g_port;
static xbl_mpsd_port_mbedtls g_tls;
static bool                  g_use_tls;
static char                  g_ca[16384];
static uint16_t              g_server_port;
static xbl_mpsd_client       g_client;
static xbl_mpsd_ws           g_ws;
static unsigned char         g_buf[8192];
static char                  g_hello[512];

static xbl_mpsd_result auth_cb(void *user, const char *method, const char *path, const uint8_t *body,
        size_t body_len, char *authorization, size_t authorization_cap, char *signature, size_t signature_cap)
{
    (void)user; (void)body; (void)body_len;
    if (strcmp(method, "GET") != 0 || authorization_cap < 64 || signature_cap < 16) return XBL_MPSD_E_FAIL;
    snprintf(authorization, authorization_cap, "XBL3.0 x=42;token-for-%s", path);
    strcpy(signature, "c2ln");
    return XBL_MPSD_OK;
}

static void sleep_ms(long ms)
{
    struct timespec t;
    t.tv_sec = ms / 1000;
    t.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&t, NULL);
}

static void make_ports(void)
{
    assert_int_equal(xbl_mpsd_port_posix_init(&g_tcp, &g_tcp_port), XBL_MPSD_OK);
    if (g_use_tls) {
        xbl_mpsd_port_mbedtls_config tc;
        memset(&tc, 0, sizeof tc);
        tc.lower = &g_tcp_port;
        tc.server_name = "localhost";
        tc.ca_pem = g_ca;
        assert_int_equal(xbl_mpsd_port_mbedtls_init(&g_tls, &tc, &g_port), XBL_MPSD_OK);
    } else {
        g_port = g_tcp_port;
    }
}

static void free_ports(void)
{
    if (g_use_tls) xbl_mpsd_port_mbedtls_free(&g_tls);
}

/* A connection to `path` with the given message limit and keepalive. */
static void ws_start(const char *path, size_t max_message, uint32_t ping_ms)
{
    xbl_mpsd_client_config cc;
    xbl_mpsd_ws_config wc;
    make_ports();
    memset(&cc, 0, sizeof cc);
    cc.port = &g_port;
    cc.xuid = 42;
    cc.auth = auth_cb;
    cc.user_agent = "ws_peer/1";
    assert_int_equal(xbl_mpsd_client_init(&g_client, &cc), XBL_MPSD_OK);
    memset(&wc, 0, sizeof wc);
    wc.port = &g_port;
    wc.client = &g_client;
    wc.host = "127.0.0.1";
    wc.port_number = g_server_port;
    wc.path = path;
    wc.subprotocol = SUBP;
    wc.timeout_ms = 10000;
    wc.max_message_bytes = max_message;
    wc.ping_interval_ms = ping_ms;
    assert_int_equal(xbl_mpsd_ws_init(&g_ws, &wc, g_buf, sizeof g_buf), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_ws_connect(&g_ws), XBL_MPSD_OK);
}

/* The next event, polling with short sleeps for at most 15 s. */
static xbl_mpsd_ws_event_type wait_event(xbl_mpsd_ws_event *ev)
{
    int i;
    for (i = 0; i < 15000; i++) {
        xbl_mpsd_result r = xbl_mpsd_ws_poll(&g_ws, ev);
        if (r == XBL_MPSD_OK) return ev->type;
        assert_int_equal(r, XBL_MPSD_PENDING);
        sleep_ms(1);
    }
    fail_msg("no event within 15 s");
    return XBL_MPSD_WS_EVENT_NONE;
}

static void expect_text(const char *want)
{
    xbl_mpsd_ws_event ev;
    assert_int_equal(wait_event(&ev), XBL_MPSD_WS_EVENT_MESSAGE);
    assert_false(ev.binary);
    if (ev.len != strlen(want) || memcmp(ev.data, want, ev.len) != 0)
        fail_msg("got \"%.*s\", want \"%s\"", (int)ev.len, (const char *)ev.data, want);
}

static void send_text(const char *text)
{
    xbl_mpsd_ws_event ev;
    int i;
    for (i = 0; i < 1000; i++) {
        xbl_mpsd_result r = xbl_mpsd_ws_send_text(&g_ws, text, strlen(text));
        if (r == XBL_MPSD_OK) return;
        assert_int_equal(r, XBL_MPSD_E_BUSY);
        assert_int_equal(xbl_mpsd_ws_poll(&g_ws, &ev), XBL_MPSD_PENDING);
        sleep_ms(1);
    }
    fail_msg("send side stayed busy");
}

/* Opens `path` and reads the hello; returns the server's connection number. */
static int ws_open(const char *path, size_t max_message, uint32_t ping_ms)
{
    xbl_mpsd_ws_event ev;
    int n = 0;
    ws_start(path, max_message, ping_ms);
    assert_int_equal(wait_event(&ev), XBL_MPSD_WS_EVENT_OPENED);
    assert_int_equal(wait_event(&ev), XBL_MPSD_WS_EVENT_MESSAGE);
    assert_true(ev.len < sizeof g_hello);
    memcpy(g_hello, ev.data, ev.len);
    g_hello[ev.len] = '\0';
    assert_int_equal(sscanf(g_hello, "hello n=%d", &n), 1);
    return n;
}

static void expect_closed(xbl_mpsd_result result, unsigned code)
{
    xbl_mpsd_ws_event ev;
    assert_int_equal(wait_event(&ev), XBL_MPSD_WS_EVENT_CLOSED);
    if (ev.result != result) fail_msg("closed with %s", xbl_mpsd_result_string(ev.result));
    assert_int_equal(ev.close_code, code);
    free_ports();
}

/* The close code the server received on connection n, asked on a new one. */
static void expect_server_saw(int n, const char *code)
{
    char q[32];
    ws_open("/", 0, 0);
    snprintf(q, sizeof q, "last:%d", n);
    send_text(q);
    expect_text(code);
    assert_int_equal(xbl_mpsd_ws_close(&g_ws, 1000), XBL_MPSD_OK);
    expect_closed(XBL_MPSD_OK, 1000);
}

/* ------------------------------------------------------------------ tests */

static void handshake_with_subprotocol_and_auth(void **state)
{
    (void)state;
    ws_open("/connect", 0, 0);
    assert_string_equal(strchr(g_hello + 6, ' ') + 1, "sub=" SUBP " auth=XBL3.0 x=42;token-for-/connect sig=c2ln ua=ws_peer/1 ext=None");
    assert_true(xbl_mpsd_ws_is_open(&g_ws));
    assert_int_equal(xbl_mpsd_ws_close(&g_ws, 1000), XBL_MPSD_OK);
    expect_closed(XBL_MPSD_OK, 1000);
}

static void text_and_binary(void **state)
{
    xbl_mpsd_ws_event ev;
    (void)state;
    ws_open("/", 0, 0);
    send_text("text:h\xC3\xA9llo");
    expect_text("h\xC3\xA9llo");
    send_text("bin:\x01\x7F");
    assert_int_equal(wait_event(&ev), XBL_MPSD_WS_EVENT_MESSAGE);
    assert_true(ev.binary);
    assert_int_equal(ev.len, 2);
    assert_memory_equal(ev.data, "\x01\x7F", 2);
    send_text("big:3000");   /* a 16-bit length, several recvs */
    assert_int_equal(wait_event(&ev), XBL_MPSD_WS_EVENT_MESSAGE);
    assert_int_equal(ev.len, 3000);
    assert_int_equal(ev.data[0], 'x');
    assert_int_equal(ev.data[2999], 'x');
    assert_int_equal(xbl_mpsd_ws_close(&g_ws, 1000), XBL_MPSD_OK);
    expect_closed(XBL_MPSD_OK, 1000);
}

static void fragmented_messages(void **state)
{
    xbl_mpsd_ws_event ev;
    (void)state;
    ws_open("/", 0, 0);
    send_text("frag");
    expect_text("frag-ment-ed");
    assert_int_equal(wait_event(&ev), XBL_MPSD_WS_EVENT_MESSAGE);
    assert_true(ev.binary);
    assert_int_equal(ev.len, 3);
    assert_memory_equal(ev.data, "\x01\x02\x03", 3);
    assert_int_equal(xbl_mpsd_ws_close(&g_ws, 1000), XBL_MPSD_OK);
    expect_closed(XBL_MPSD_OK, 1000);
}

static void server_ping_is_answered(void **state)
{
    (void)state;
    ws_open("/", 0, 0);
    send_text("ping");
    expect_text("pong-ok");   /* the server's waiter resolves only on the matching pong */
    assert_int_equal(xbl_mpsd_ws_close(&g_ws, 1000), XBL_MPSD_OK);
    expect_closed(XBL_MPSD_OK, 1000);
}

/* Keepalive: the client pings after an idle interval; the server's pong
   clears it (white box: the ping-outstanding flag). */
static void client_ping_is_answered(void **state)
{
    xbl_mpsd_ws_event ev;
    int i, saw_ping = 0, answered = 0;
    (void)state;
    ws_open("/", 0, 2000);
    for (i = 0; i < 15000 && !answered; i++) {
        assert_int_equal(xbl_mpsd_ws_poll(&g_ws, &ev), XBL_MPSD_PENDING);
        if (g_ws.flags & XBL_MPSD__WF_PING_OUT) saw_ping = 1;
        else if (saw_ping) answered = 1;
        sleep_ms(1);
    }
    assert_true(saw_ping);
    assert_true(answered);
    send_text("text:still here");
    expect_text("still here");
    assert_int_equal(xbl_mpsd_ws_close(&g_ws, 1000), XBL_MPSD_OK);
    expect_closed(XBL_MPSD_OK, 1000);
}

static void close_initiated_by_client(void **state)
{
    int n;
    (void)state;
    n = ws_open("/", 0, 0);
    assert_int_equal(xbl_mpsd_ws_close(&g_ws, 4321), XBL_MPSD_OK);
    expect_closed(XBL_MPSD_OK, 4321);
    expect_server_saw(n, "4321");
}

static void close_initiated_by_server(void **state)
{
    int n;
    (void)state;
    n = ws_open("/", 0, 0);
    send_text("close");
    expect_closed(XBL_MPSD_E_WS_CLOSED, 4001);
    expect_server_saw(n, "4001");   /* our echo */
}

static void server_drops_tcp(void **state)
{
    xbl_mpsd_ws_event ev;
    (void)state;
    ws_open("/", 0, 0);
    send_text("drop");
    expect_text("dropping");
    assert_int_equal(wait_event(&ev), XBL_MPSD_WS_EVENT_CLOSED);
    if (ev.result != XBL_MPSD_E_CONNECTION_CLOSED && ev.result != XBL_MPSD_E_IO && ev.result != XBL_MPSD_E_TLS)
        fail_msg("dropped with %s", xbl_mpsd_result_string(ev.result));
    assert_int_equal(ev.close_code, 1006);
    free_ports();
}

static void message_at_and_over_the_limit(void **state)
{
    xbl_mpsd_ws_event ev;
    int n;
    (void)state;
    n = ws_open("/", 1000, 0);
    send_text("big:1000");
    assert_int_equal(wait_event(&ev), XBL_MPSD_WS_EVENT_MESSAGE);
    assert_int_equal(ev.len, 1000);
    send_text("big:1001");
    expect_closed(XBL_MPSD_E_WS_MESSAGE_TOO_BIG, 1009);
    assert_int_equal(xbl_mpsd_ws_needed_bytes(&g_ws), 1001 + XBL_MPSD_RTA_BUFFER_RESERVE);
    expect_server_saw(n, "1009");
}

/* The RTA object over the same ports against the server's /rta responder:
   subscribe, connection ID, a tap, disable, unsubscribe, graceful close. */
static xbl_mpsd_rta_event_type wait_rta(xbl_mpsd_rta *rta, xbl_mpsd_rta_event *ev)
{
    int i;
    for (i = 0; i < 15000; i++) {
        xbl_mpsd_result r = xbl_mpsd_rta_poll(rta, ev);
        if (r == XBL_MPSD_OK) return ev->type;
        assert_int_equal(r, XBL_MPSD_PENDING);
        sleep_ms(1);
    }
    fail_msg("no RTA event within 15 s (phase %u, ws phase %u, sub %u, last %s)", (unsigned)rta->phase, (unsigned)rta->ws.phase, (unsigned)rta->sub_state, xbl_mpsd_result_string(rta->last_result));
    return XBL_MPSD_RTA_EVENT_NONE;
}

static void rta_object_end_to_end(void **state)
{
    static xbl_mpsd_rta rta;
    xbl_mpsd_client_config cc;
    xbl_mpsd_rta_config rc;
    xbl_mpsd_rta_event ev;
    (void)state;
    make_ports();
    memset(&cc, 0, sizeof cc);
    cc.port = &g_tcp_port;   /* the client's own port is never used here */
    cc.xuid = 42;
    cc.auth = auth_cb;
    assert_int_equal(xbl_mpsd_client_init(&g_client, &cc), XBL_MPSD_OK);
    memset(&rc, 0, sizeof rc);
    rc.port = &g_port;
    rc.host = "127.0.0.1";
    rc.port_number = g_server_port;
    rc.path = "/rta";
    assert_int_equal(xbl_mpsd_rta_init(&rta, &g_client, &rc, g_buf, sizeof g_buf), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
    assert_int_equal(wait_rta(&rta, &ev), XBL_MPSD_RTA_EVENT_CONNECTION_STATE_CHANGED);
    assert_int_equal(ev.connection_state, XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING);
    assert_int_equal(wait_rta(&rta, &ev), XBL_MPSD_RTA_EVENT_CONNECTION_STATE_CHANGED);
    assert_int_equal(ev.connection_state, XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED);
    assert_int_equal(wait_rta(&rta, &ev), XBL_MPSD_RTA_EVENT_CONNECTION_ID_CHANGED);
    assert_string_equal(ev.connection_id, "peer-conn-1");
    assert_int_equal(wait_rta(&rta, &ev), XBL_MPSD_RTA_EVENT_SESSION_CHANGED);
    assert_string_equal(ev.session_change.session_reference.scid, "scid-1");
    assert_string_equal(ev.session_change.session_reference.session_template_name, "tmpl");
    assert_string_equal(ev.session_change.session_reference.session_name, "game");
    assert_string_equal(ev.session_change.branch, "br-1");
    assert_int_equal(ev.session_change.change_number, 3);
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, false), XBL_MPSD_OK);
    assert_int_equal(wait_rta(&rta, &ev), XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST);
    assert_int_equal(ev.result, XBL_MPSD_OK);
    assert_int_equal(wait_rta(&rta, &ev), XBL_MPSD_RTA_EVENT_CONNECTION_STATE_CHANGED);
    assert_int_equal(ev.connection_state, XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED);
    assert_int_equal(ev.result, XBL_MPSD_OK);
    assert_int_equal(ev.close_code, 1000);
    xbl_mpsd_rta_close(&rta);
    free_ports();
}

/* ------------------------------------------------------------------ sha1 mode */

static int sha1_mode(void)
{
    static unsigned char data[65536];
    static char line[2 * sizeof data + 4];
    while (fgets(line, sizeof line, stdin) != NULL) {
        size_t n = strcspn(line, "\r\n") / 2, i;
        unsigned char d[20];
        for (i = 0; i < n; i++) {
            unsigned v;
            if (sscanf(line + 2 * i, "%2x", &v) != 1) return 2;
            data[i] = (unsigned char)v;
        }
        xbl_mpsd__sha1(data, n, d);
        for (i = 0; i < 20; i++) printf("%02x", d[i]);
        printf("\n");
    }
    return 0;
}

static bool read_file(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (f == NULL) return false;
    n = fread(out, 1, cap - 1, f);
    fclose(f);
    out[n] = '\0';
    return n > 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(handshake_with_subprotocol_and_auth),
        cmocka_unit_test(text_and_binary),
        cmocka_unit_test(fragmented_messages),
        cmocka_unit_test(server_ping_is_answered),
        cmocka_unit_test(client_ping_is_answered),
        cmocka_unit_test(close_initiated_by_client),
        cmocka_unit_test(close_initiated_by_server),
        cmocka_unit_test(server_drops_tcp),
        cmocka_unit_test(message_at_and_over_the_limit),
        cmocka_unit_test(rta_object_end_to_end),
    };
    const char *port = getenv("WS_PORT"), *tls = getenv("WS_TLS");
    if (argc > 1 && strcmp(argv[1], "sha1") == 0) return sha1_mode();
    if (port == NULL) { fprintf(stderr, "ws_peer: run through tests/ws/run.sh (WS_PORT unset)\n"); return 2; }
    g_server_port = (uint16_t)atoi(port);
    g_use_tls = tls != NULL && strcmp(tls, "1") == 0;
    if (g_use_tls && !read_file(getenv("WS_CA") ? getenv("WS_CA") : "", g_ca, sizeof g_ca)) {
        fprintf(stderr, "ws_peer: WS_CA must name the test CA's PEM file\n");
        return 2;
    }
    return cmocka_run_group_tests_name(g_use_tls ? "ws_peer over TLS" : "ws_peer over TCP", tests, NULL, NULL);
}
