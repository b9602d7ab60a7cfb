/* The RTA object's and its WebSocket's less travelled paths, through the
   public API on the scripted mock port and the injected clock: subscriptions
   turned off while the connection is still being made, subscribe replies
   without a SUBID or with an unusable connection ID, replies after the
   subscription stopped being wanted, messages that must be ignored, taps
   with unusable resources, requests held back while a pong is owed, a full
   event queue, 503 and out-of-range Retry-After answers, a series that
   gives up without a loss and backs off up to a minute, a close that turns
   into a reconnect, port failures and a port breaking its contract, closed
   and re-initialised objects, the WebSocket calls' argument checks, the
   keepalive ping, refused 101 answers, an endless head line. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "mock_port.h"
#include "test_auth.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>
#include "rta_fixture.h"

#define SUB2 "[1,2,\"https://sessiondirectory.xboxlive.com/connections/\"]"

/* Frames in one read: the client parses all of them before it sends. */
static void srv_chunk(const char *a, size_t an, const char *b, size_t bn)
{
    uint8_t raw[256];
    assert_true(an + bn <= sizeof raw);
    memcpy(raw, a, an);
    memcpy(raw + an, b, bn);
    mock_add_bytes(&g_mock, pool(raw, an + bn), an + bn);
}

static void expect_event(xbl_mpsd_rta_event_type type, xbl_mpsd_result result)
{
    xbl_mpsd_rta_event ev;
    assert_int_equal(next_event(&ev, 10), type);
    if (ev.result != result) fail_msg("event %d result %s", (int)type, xbl_mpsd_result_string(ev.result));
}

static void expect_client_frame(unsigned opcode, const char *want)
{
    char got[512];
    unsigned op = 0;
    assert_true(next_client_text(got, sizeof got, &op));
    assert_int_equal(op, opcode);
    assert_string_equal(got, want);
}

/* A keepalive ping: four payload bytes from the random source. */
static void expect_client_ping(void)
{
    char got[8];
    unsigned op = 0;
    assert_true(g_mock.sent_len - g_seen == 10 && g_mock.sent[g_seen + 1] == (0x80 | 4));
    assert_true(next_client_text(got, sizeof got, &op));
    assert_int_equal(op, 9);
}

/* The server echoes the client's close 1000 and ends the stream. */
static void echo_close(void)
{
    expect_client_close(1000);
    srv_frame(0x88, "\x03\xE8", 2);
    mock_add_code(&g_mock, XBL_MPSD_E_EOF);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED, XBL_MPSD_OK, 1000);
}

/* A port that breaks its contract once: a send or recv answering 0 bytes
   or more than it was offered. Otherwise it is the mock port. */
static int     g_lie_send, g_lie_recv;   /* 0 none, 1 answer 0, 2 answer one more than offered */
static xbl_mpsd_port g_lie_port;

static int32_t lie_send(void *ctx, const uint8_t *data, size_t len)
{
    int lie = g_lie_send;
    g_lie_send = 0;
    if (lie == 0) return mock_send(ctx, data, len);
    return lie == 1 ? 0 : (int32_t)len + 1;
}

static int32_t lie_recv(void *ctx, uint8_t *buf, size_t cap)
{
    int lie = g_lie_recv;
    g_lie_recv = 0;
    if (lie == 0) return mock_recv(ctx, buf, cap);
    return lie == 1 ? 0 : (int32_t)cap + 1;
}

static void use_lying_port(void)
{
    g_lie_port = g_port;
    g_lie_port.send = lie_send;
    g_lie_port.recv = lie_recv;
    g_lie_send = g_lie_recv = 0;
    g_cfg.port = &g_lie_port;
}

/* A fresh object with subscriptions on: the series has started. */
static void enable_connecting(void)
{
    init_rta();
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_OK, 0);
}

/* The subscribe fails: nothing wants the connection, the close 1000 is out. */
static void close_after_a_failed_subscribe(void)
{
    xbl_mpsd_rta_event ev;
    open_subscribing();
    srv_text("[1,1,0]");
    expect_event(XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST, XBL_MPSD_E_RTA_PROTOCOL);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_RTA_EVENT_NONE);
    expect_client_close(1000);
}

/* A WebSocket of its own on the mock port, no subprotocol. */
static void ws_config(xbl_mpsd_ws_config *wc)
{
    memset(wc, 0, sizeof *wc);
    wc->port = &g_port;
    wc->client = &g_client;
    wc->host = "127.0.0.1";
    wc->port_number = 8080;
    wc->path = "/ws";
    wc->random = counter_random;
}

/* One failed attempt from its first poll; the back-off it chose. */
static uint32_t failed_attempt(xbl_mpsd_result want)
{
    xbl_mpsd_rta_event ev;
    assert_int_equal(next_event(&ev, 10), XBL_MPSD_RTA_EVENT_NONE);
    if (xbl_mpsd_rta_last_result(&g_rta) != want)
        fail_msg("attempt ended with %s", xbl_mpsd_result_string(xbl_mpsd_rta_last_result(&g_rta)));
    assert_int_equal(g_rta.phase, XBL_MPSD__RTA_WAIT);
    return g_rta.wait_ms;
}

/* ------------------------------------------------------------------ tests */

static void disabled_before_and_during_the_attempt(void **state)
{
    xbl_mpsd_rta_event ev;
    (void)state;
    init_rta();
    /* still waiting to start the attempt: back to DISCONNECTED, nothing dialled */
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_OK, 0);
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, false), XBL_MPSD_OK);
    expect_event(XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST, XBL_MPSD_OK);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED, XBL_MPSD_OK, 0);
    assert_int_equal(g_mock.connects, 0);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_NONE);
    /* the attempt is on its way (upgrade request out, no answer yet): dropped, port closed */
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_OK, 0);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_RTA_EVENT_NONE);
    assert_int_equal(g_rta.ws.phase, XBL_MPSD__WS_HS_RECV);
    assert_int_equal(g_mock.connects, 1);
    assert_true(g_mock.sent_len > 0 && memcmp(g_mock.sent, "GET /connect HTTP/1.1\r\n", 23) == 0);
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, false), XBL_MPSD_OK);
    expect_event(XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST, XBL_MPSD_OK);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED, XBL_MPSD_OK, 0);
    assert_int_equal(g_mock.closes, 1);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_NONE);
    assert_int_equal(g_mock.connects, 1);
}

/* A success without a usable SUBID or connection ID is a protocol failure;
   with a SUBID the subscription is removed again. */
static void subscribe_reply_without_subid_or_id(void **state)
{
    static const struct { const char *reply; bool unsub; } cases[] = {
        { "[1,1,0]", false },
        { "[1,1,0,\"42\",{\"ConnectionId\":\"c\"}]", false },
        { "[1,1,0,42]", true },
        { "[1,1,0,42,\"c\"]", true },
        { "[1,1,0,42,{\"ConnectionId\":5}]", true },
        { "[1,1,0,42,{\"ConnectionId\":42}]", true },
        { "[1,1,0,42,{\"ConnectionId\":\"\"}]", true },
        { "[1,1,0,42,{\"ConnectionId\":\"caf\\u00e9\"}]", true },
        { "[1,1,0,42,{\"ConnectionId\":\"0123456789012345678901234567890123456789012345678901234567890123\"}]", true },
    };
    size_t k;
    (void)state;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++)
        subscribe_fails(k, cases[k].reply, XBL_MPSD_E_RTA_PROTOCOL, cases[k].unsub);
}

/* Disabled while the subscribe is in flight: the one SUBSCRIPTION_LOST was
   the disable's; whatever the reply, nothing more is reported, and a SUBID
   it carries is unsubscribed. */
static void reply_after_disable_while_subscribing(void **state)
{
    static const struct { const char *reply; bool unsub; } cases[] = {
        { "[1,1,1001]", false },
        { "[1,1,2]", false },
        { "[1,1,0]", false },
        { "[1,1,0,42,{\"ConnectionId\":\"" CID "\"}]", true },
    };
    size_t k;
    (void)state;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        xbl_mpsd_rta_event ev;
        setup(NULL);
        open_subscribing();
        assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, false), XBL_MPSD_OK);
        expect_event(XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST, XBL_MPSD_OK);
        assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_NONE);   /* the reply is awaited */
        assert_int_equal(g_mock.sent_len, g_seen);
        srv_text(cases[k].reply);
        if (cases[k].unsub) {
            expect_client_text("[2,1,42]");
            srv_text("[2,1,0]");
        }
        assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_NONE);
        assert_string_equal(xbl_mpsd_rta_connection_id(&g_rta), "");
        echo_close();
        xbl_mpsd_rta_close(&g_rta);
    }
}

/* Messages that do not fit the state are ignored: no event, nothing sent. */
static void out_of_place_messages_are_ignored(void **state)
{
    static const char *const subscribing[] = {
        "[]", "[\"1\",1,0]", "[1,1]", "[1,\"1\",0]", "[1,1,\"0\"]", "[2,1,0]", "[3,1,{}]", "[2,9,0]",
    };
    static const char *const active[] = {
        "[1,1,0,43,{\"ConnectionId\":\"other\"}]", "[2,1,0]", "[3,42,5]", "[3,42,{}]",
        "[3,42,{\"shoulderTaps\":5}]", "[3,42,{\"shoulderTaps\":[]}]",
    };
    xbl_mpsd_rta_event ev;
    size_t k;
    (void)state;
    open_subscribing();
    for (k = 0; k < sizeof subscribing / sizeof subscribing[0]; k++) srv_text(subscribing[k]);
    assert_int_equal(next_event(&ev, 20), XBL_MPSD_RTA_EVENT_NONE);
    assert_int_equal(g_rta.sub_state, XBL_MPSD__SUB_SUBSCRIBING);
    srv_text("[1,1,0,42,{\"ConnectionId\":\"" CID "\"}]");
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_CONNECTION_ID_CHANGED);
    for (k = 0; k < sizeof active / sizeof active[0]; k++) srv_text(active[k]);
    assert_int_equal(next_event(&ev, 20), XBL_MPSD_RTA_EVENT_NONE);
    assert_string_equal(xbl_mpsd_rta_connection_id(&g_rta), CID);
    assert_int_equal(g_mock.sent_len, g_seen);
    /* while unsubscribing: a reply for another SEQ and a late resync change nothing */
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, false), XBL_MPSD_OK);
    expect_event(XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST, XBL_MPSD_OK);
    expect_client_text("[2,1,42]");
    g_mock.now += 300000;
    srv_text("[2,2,0]");
    srv_text("[4]");
    assert_int_equal(next_event(&ev, 10), XBL_MPSD_RTA_EVENT_NONE);
    assert_int_equal(g_mock.sent_len, g_seen);
    srv_text("[2,1,0]");
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_NONE);
    echo_close();
}

/* A resource is "{scid}~{template}~{name}" with three non-empty parts that
   fit; every other tap is skipped and the next one handed out. */
static void taps_with_unusable_resources_are_skipped(void **state)
{
    static char msg[2048];
    static const char *const bad[] = {
        "abc", "a~bc", "a~b~c~d", "~b~c", "a~~c", "a~b~",
    };
    xbl_mpsd_rta_event ev;
    char longpart[XBL_MPSD_SESSION_REFERENCE_URI_MAX_LENGTH];
    size_t k, n;
    (void)state;
    open_active();
    n = (size_t)sprintf(msg, "[3,42,{\"shoulderTaps\":[{\"resource\":5},{\"resource\":true},{\"changeNumber\":1},");
    for (k = 0; k < sizeof bad / sizeof bad[0]; k++) n += (size_t)sprintf(msg + n, "{\"resource\":\"%s\"},", bad[k]);
    memset(longpart, 's', 40);   /* each part one too long for its field, in turn */
    longpart[40] = '\0';
    n += (size_t)sprintf(msg + n, "{\"resource\":\"%s~t~n\"},", longpart);
    memset(longpart, 't', 100); longpart[100] = '\0';
    n += (size_t)sprintf(msg + n, "{\"resource\":\"s~%s~n\"},", longpart);
    memset(longpart, 'n', 100); longpart[100] = '\0';
    n += (size_t)sprintf(msg + n, "{\"resource\":\"s~t~%s\"},", longpart);
    n += (size_t)sprintf(msg + n, "{\"resource\":\"%s~%s~%s\"},", longpart, longpart, longpart);   /* over the URI limit */
    n += (size_t)sprintf(msg + n, "{\"resource\":\"s~t~n\",\"changeNumber\":\"9\",\"branch\":\"b\"}]}]");
    assert_true(n < sizeof msg);
    srv_text(msg);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_SESSION_CHANGED);
    assert_string_equal(ev.session_change.session_reference.scid, "s");
    assert_string_equal(ev.session_change.session_reference.session_template_name, "t");
    assert_string_equal(ev.session_change.session_reference.session_name, "n");
    assert_string_equal(ev.session_change.branch, "b");
    assert_int_equal(ev.session_change.change_number, 0);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_RTA_EVENT_NONE);
}

/* A ping read together with a message leaves a pong owed: the subscribe
   and the unsubscribe wait for it, the pong goes out first. */
static void requests_wait_for_an_owed_pong(void **state)
{
    static const char ping[] = "\x89\x01p";
    static const char throttled[] = "\x81\x0a[1,1,1001]";
    static const char other[] = "\x81\x04[99]";
    xbl_mpsd_rta_event ev;
    (void)state;
    open_subscribing();
    srv_chunk(ping, 3, throttled, 12);   /* retried at once (the first throttle waits 0 s) */
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_NONE);
    expect_client_frame(0xA, "p");
    expect_client_frame(1, SUB1);
    srv_text("[1,1,0,42,{\"ConnectionId\":\"" CID "\"}]");
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_CONNECTION_ID_CHANGED);
    srv_chunk(ping, 3, other, 6);
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_RTA_EVENT_NONE);
    assert_int_equal(g_mock.sent_len, g_seen);   /* the pong is owed, not sent yet */
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, false), XBL_MPSD_OK);
    expect_event(XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST, XBL_MPSD_OK);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_NONE);
    expect_client_frame(0xA, "p");
    expect_client_frame(1, "[2,1,42]");
    srv_text("[2,1,0]");
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_NONE);
    echo_close();
    /* re-enabled while the unsubscribe still waits behind a pong, then the
       connection drops: the next connection subscribes anew */
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_OK, 0);
    serve_handshake();
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED, XBL_MPSD_OK, 0);
    expect_client_text(SUB2);
    srv_chunk(ping, 3, "\x81\x0a[1,2,0,42]", 12);
    expect_event(XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST, XBL_MPSD_E_RTA_PROTOCOL);
    assert_int_equal(g_rta.sub_state, XBL_MPSD__SUB_UNSUB_SEND);
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
    mock_add_code(&g_mock, XBL_MPSD_E_EOF);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_E_CONNECTION_CLOSED, 1006);
    expect_client_frame(0xA, "p");
    assert_int_equal(g_mock.sent_len, g_seen);   /* the unsubscribe never went out */
    serve_handshake();
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED, XBL_MPSD_OK, 0);
    expect_client_text("[1,3,\"https://sessiondirectory.xboxlive.com/connections/\"]");
}

/* Enabled again before the reply to a subscribe made while disabled: the
   reply counts; disabled while a throttled subscribe waits: nothing goes
   out; disabled again while unsubscribing: one unsubscribe only. */
static void toggles_between_request_and_reply(void **state)
{
    xbl_mpsd_rta_event ev;
    (void)state;
    open_subscribing();
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, false), XBL_MPSD_OK);
    expect_event(XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST, XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
    srv_text("[1,1,0,42,{\"ConnectionId\":\"" CID "\"}]");
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_CONNECTION_ID_CHANGED);
    assert_string_equal(ev.connection_id, CID);
    assert_int_equal(g_mock.sent_len, g_seen);
    /* off, on, off while the unsubscribe is answered */
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, false), XBL_MPSD_OK);
    expect_event(XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST, XBL_MPSD_OK);
    expect_client_text("[2,1,42]");
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, false), XBL_MPSD_OK);
    expect_event(XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST, XBL_MPSD_OK);
    srv_text("[2,1,0]");
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_NONE);
    echo_close();
    /* throttled twice (the second waits 1 s), then disabled: no subscribe */
    setup(NULL);
    xbl_mpsd_rta_close(&g_rta);
    open_subscribing();
    srv_text("[1,1,1001]");
    expect_client_text(SUB1);
    srv_text("[1,1,1002]");
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_NONE);
    assert_int_equal(g_rta.sub_state, XBL_MPSD__SUB_RETRY);
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, false), XBL_MPSD_OK);
    expect_event(XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST, XBL_MPSD_OK);
    g_mock.now += 1000;
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_NONE);
    echo_close();
}

/* Every disable between two polls queues its loss; the queue keeps eight. */
static void a_full_queue_drops_further_losses(void **state)
{
    xbl_mpsd_rta_event ev;
    int i;
    (void)state;
    init_rta();
    for (i = 0; i < XBL_MPSD__RTA_QUEUE + 1; i++) {
        assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
        assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, false), XBL_MPSD_OK);
    }
    for (i = 0; i < XBL_MPSD__RTA_QUEUE; i++) expect_event(XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST, XBL_MPSD_OK);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_NONE);
    assert_int_equal(g_mock.connects, 0);
}

/* 503 honours Retry-After like 429; one over a day, one shorter than the
   back-off, or one that is not a number leaves the back-off (1 s). */
static void retry_after_bounds(void **state)
{
    static const struct { const char *head; xbl_mpsd_result result; uint32_t wait; } cases[] = {
        { "HTTP/1.1 503 Busy\r\nRetry-After: 5\r\n\r\n", XBL_MPSD_E_HTTP_STATUS(503), 5000 },
        { "HTTP/1.1 503 Busy\r\nRetry-After: 86401\r\n\r\n", XBL_MPSD_E_HTTP_STATUS(503), 1000 },
        { "HTTP/1.1 429 Slow\r\nRetry-After: 0\r\n\r\n", XBL_MPSD_E_HTTP_STATUS(429), 1000 },
        { "HTTP/1.1 429 Slow\r\nRetry-After: soon\r\n\r\n", XBL_MPSD_E_HTTP_STATUS(429), 1000 },
        { "HTTP/1.1 500 Oops\r\nRetry-After: 30\r\n\r\n", XBL_MPSD_E_HTTP_STATUS(500), 1000 },
    };
    size_t k;
    (void)state;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        setup(NULL);
        enable_connecting();
        mock_add_bytes(&g_mock, cases[k].head, strlen(cases[k].head));
        if (failed_attempt(cases[k].result) != cases[k].wait) fail_msg("case %zu: waits %u ms", k, (unsigned)g_rta.wait_ms);
        xbl_mpsd_rta_close(&g_rta);
    }
}

/* Activated without subscriptions: a series that gives up reports
   DISCONNECTED only, no SUBSCRIPTION_LOST, and goes on at most a minute
   apart. */
static void activated_series_gives_up_without_a_loss(void **state)
{
    xbl_mpsd_rta_event ev;
    int k;
    (void)state;
    init_rta();
    g_mock.connect_default = XBL_MPSD_E_CONNECT;
    assert_int_equal(xbl_mpsd_real_time_activity_activate(&g_client), XBL_MPSD_OK);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_OK, 0);
    for (k = 1; k <= 3; k++) {
        assert_int_equal(failed_attempt(XBL_MPSD_E_CONNECT), (uint32_t)(k * k * 1000));
        g_mock.now += g_rta.wait_ms;
    }
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED, XBL_MPSD_E_CONNECT, 0);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_NONE);
    assert_int_equal(g_mock.connects, 4);
    /* it keeps trying, k * k seconds apart up to a minute */
    assert_int_equal(g_rta.wait_ms, 16000);
    for (k = 5; k <= 9; k++) {   /* CONNECTING while each runs, DISCONNECTED while waiting */
        g_mock.now += g_rta.wait_ms;
        expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_E_CONNECT, 0);
        expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED, XBL_MPSD_E_CONNECT, 0);
        assert_int_equal(g_rta.wait_ms, (uint32_t)(k < 8 ? k * k * 1000 : 60000));
    }
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_NONE);
    assert_int_equal(g_mock.connects, 9);
}

/* A message read while closing is dropped; enabled again while closing,
   the close ends in a new series instead of DISCONNECTED. */
static void closing_then_wanted_again(void **state)
{
    (void)state;
    close_after_a_failed_subscribe();
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
    srv_text("[1,1,0,42,{\"ConnectionId\":\"late\"}]");
    srv_frame(0x88, "\x03\xE8", 2);
    mock_add_code(&g_mock, XBL_MPSD_E_EOF);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_OK, 1000);
    serve_handshake();
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED, XBL_MPSD_OK, 0);
    expect_client_text(SUB2);
}

/* Port answers that break the contract, or fail, end the attempt or the
   connection with their code. */
static void port_failures_end_the_attempt(void **state)
{
    (void)state;
    /* connect: would-block is pending, a positive non-OK answer a connect failure */
    g_mock.connect_script[0] = XBL_MPSD_E_WOULD_BLOCK;
    g_mock.connect_script[1] = (xbl_mpsd_result)5;
    g_mock.connect_n = 2;
    enable_connecting();
    assert_int_equal(failed_attempt(XBL_MPSD_E_CONNECT), 1000);
    assert_int_equal(g_mock.connects, 2);
    xbl_mpsd_rta_close(&g_rta);
    /* the upgrade request: a send error */
    setup(NULL);
    mock_add_send(&g_mock, XBL_MPSD_E_IO);
    enable_connecting();
    assert_int_equal(failed_attempt(XBL_MPSD_E_IO), 1000);
    xbl_mpsd_rta_close(&g_rta);
    /* the 101: a recv error */
    setup(NULL);
    mock_add_code(&g_mock, XBL_MPSD_E_IO);
    enable_connecting();
    assert_int_equal(failed_attempt(XBL_MPSD_E_IO), 1000);
    xbl_mpsd_rta_close(&g_rta);
}

static void port_breaking_its_contract(void **state)
{
    int lie, where;
    (void)state;
    for (where = 0; where < 4; where++) {
        for (lie = 1; lie <= 2; lie++) {
            setup(NULL);
            use_lying_port();
            enable_connecting();
            if (where < 2) {   /* the upgrade request, the 101 */
                if (where == 0) g_lie_send = lie; else g_lie_recv = lie;
                assert_int_equal(failed_attempt(XBL_MPSD_E_IO), 1000);
            } else {   /* the subscribe, the first frame read */
                serve_handshake();
                expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED, XBL_MPSD_OK, 0);
                if (where == 2) g_lie_send = lie; else { expect_client_text(SUB1); g_lie_recv = lie; }
                expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_E_IO, 1006);
            }
            xbl_mpsd_rta_close(&g_rta);
        }
    }
}

/* Arguments and objects the calls must refuse or see through. */
static void api_checks_on_closed_and_moved_objects(void **state)
{
    xbl_mpsd_client_config cc;
    xbl_mpsd_client other;
    xbl_mpsd_rta second;
    xbl_mpsd_rta_event ev;
    (void)state;
    init_rta();
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_rta_poll(&g_rta, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(g_rta.phase, XBL_MPSD__RTA_IDLE);   /* nothing happened */
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_OK, 0);
    xbl_mpsd_rta_close(&g_rta);
    /* a closed object reads as a fresh one */
    assert_int_equal(xbl_mpsd_rta_connection_state(&g_rta), XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED);
    assert_string_equal(xbl_mpsd_rta_connection_id(&g_rta), "");
    assert_int_equal(xbl_mpsd_rta_last_result(&g_rta), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_rta_needed_bytes(&g_rta), 0);
    /* the RTA object initialised again for another client: the first client
       no longer reaches it once it is closed */
    memset(&cc, 0, sizeof cc);
    cc.port = &g_port;
    cc.xuid = 2814639011617877ULL;
    cc.auth = test_auth;
    assert_int_equal(xbl_mpsd_client_init(&other, &cc), XBL_MPSD_OK);
    init_rta();
    assert_int_equal(xbl_mpsd_rta_init(&g_rta, &other, &g_cfg, g_buf, sizeof g_buf), XBL_MPSD_OK);
    xbl_mpsd_rta_close(&g_rta);
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_real_time_activity_activate(&g_client), XBL_MPSD_E_UNEXPECTED);
    assert_false(xbl_mpsd_subscriptions_enabled(&g_client));
    /* the client initialised again while its RTA object lives: closing that
       object leaves the one attached since alone */
    assert_int_equal(xbl_mpsd_client_init(&g_client, &cc), XBL_MPSD_OK);
    init_rta();
    assert_int_equal(xbl_mpsd_client_init(&g_client, &cc), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_rta_init(&second, &g_client, &g_cfg, g_buf, sizeof g_buf), XBL_MPSD_OK);
    xbl_mpsd_rta_close(&g_rta);
    assert_ptr_equal(g_client.rta, &second);
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
    assert_true(xbl_mpsd_subscriptions_enabled(&g_client));
    assert_int_equal(xbl_mpsd_rta_poll(&second, &ev), XBL_MPSD_OK);
    assert_int_equal(ev.type, XBL_MPSD_RTA_EVENT_CONNECTION_STATE_CHANGED);
    xbl_mpsd_rta_close(&second);
}

/* No host given: the service's own; a head longer than the buffer names
   the size it needs. */
static void default_host_and_needed_bytes(void **state)
{
    static char head[2300];
    size_t n;
    (void)state;
    g_cfg.host = NULL;
    assert_int_equal(xbl_mpsd_rta_init(&g_rta, &g_client, &g_cfg, g_buf, XBL_MPSD_RTA_MIN_BUFFER_SIZE), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_OK, 0);
    n = (size_t)sprintf(head, "HTTP/1.1 101 Switching Protocols\r\nX-Long: ");
    memset(head + n, 'a', 2100);
    n += 2100;
    memcpy(head + n, "\r\n\r\n", 4);
    mock_add_bytes(&g_mock, head, n + 4);
    assert_int_equal(failed_attempt(XBL_MPSD_E_OUTOFMEMORY), 1000);
    assert_string_equal(g_mock.last_host, XBL_MPSD_RTA_DEFAULT_HOST);
    assert_int_equal(g_mock.last_port, 8080);
    assert_true(g_mock.sent_len > 52 && memcmp(g_mock.sent, "GET /connect HTTP/1.1\r\nHost: rta.xboxlive.com:8080\r\n", 52) == 0);
    assert_true(xbl_mpsd_rta_needed_bytes(&g_rta) > 2100 + 40);
    assert_int_equal(xbl_mpsd_rta_needed_bytes(&g_rta), xbl_mpsd_ws_needed_bytes(&g_rta.ws));
}

/* The WebSocket calls refuse bad arguments and change nothing. */
static void websocket_argument_checks(void **state)
{
    xbl_mpsd_ws ws, zero;
    xbl_mpsd_ws_config wc, c;
    xbl_mpsd_port p;
    xbl_mpsd_client bare;
    xbl_mpsd_ws_event ev;
    int k;
    (void)state;
    ws_config(&wc);
    wc.subprotocol = "rta.xboxlive.com.V2";
    memset(&bare, 0, sizeof bare);
    memset(&zero, 0, sizeof zero);
    for (k = 0; k < 15; k++) {
        c = wc;
        p = g_port;
        c.port = &p;
        switch (k) {
        case 0: p.connect = NULL; break;
        case 1: p.send = NULL; break;
        case 2: p.recv = NULL; break;
        case 3: p.close = NULL; break;
        case 4: p.now_ms = NULL; break;
        case 5: c.client = NULL; break;
        case 6: c.client = &bare; break;   /* no auth callback */
        case 7: c.host = ""; break;
        case 8: c.host = "a\r\nX: 1"; break;
        case 9: c.path = ""; break;
        case 13: c.host = NULL; break;
        case 14: c.path = NULL; break;
        case 10: c.subprotocol = ""; break;
        case 11: c.subprotocol = "v2\r\nX: 1"; break;
        case 12: c.port = NULL; break;
        }
        memset(&ws, 0x5A, sizeof ws);
        if (xbl_mpsd_ws_init(&ws, &c, g_buf, sizeof g_buf) != XBL_MPSD_E_INVALIDARG) fail_msg("case %d accepted", k);
        assert_int_equal(((unsigned char *)&ws)[0], 0x5A);
        assert_int_equal(((unsigned char *)&ws)[sizeof ws - 1], 0x5A);
    }
    assert_int_equal(xbl_mpsd_ws_connect(NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_ws_connect(&zero), XBL_MPSD_E_INVALIDARG);   /* never initialised */
    assert_int_equal(xbl_mpsd_ws_init(&ws, &wc, g_buf, sizeof g_buf), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_ws_send_text(NULL, "x", 1), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_ws_send_text(&ws, NULL, 1), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_ws_send_text(&ws, NULL, 0), XBL_MPSD_E_UNEXPECTED);   /* valid, but not open */
    assert_int_equal(xbl_mpsd_ws_close(NULL, 1000), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_ws_poll(&ws, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_ws_poll(NULL, &ev), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_ws_poll(&ws, &ev), XBL_MPSD_PENDING);
    assert_int_equal(ev.type, XBL_MPSD_WS_EVENT_NONE);
    assert_int_equal(g_mock.connects + g_mock.sends + g_mock.recvs, 0);
}

/* Quiet for one millisecond less than the interval: nothing; then a ping. */
static void ping_after_a_quiet_second(void)
{
    xbl_mpsd_rta_event ev;
    g_mock.now += 999;
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_RTA_EVENT_NONE);
    assert_int_equal(g_mock.sent_len, g_seen);
    g_mock.now += 1;
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_RTA_EVENT_NONE);
    expect_client_ping();
}

/* A keepalive ping once the connection was quiet for the interval, one at
   a time; anything read restarts the wait. */
static void keepalive_ping_one_at_a_time(void **state)
{
    xbl_mpsd_rta_event ev;
    (void)state;
    g_cfg.ping_interval_ms = 1000;
    open_active();
    g_seen = g_mock.sent_len;
    ping_after_a_quiet_second();
    g_mock.now += 500;
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_RTA_EVENT_NONE);
    assert_int_equal(g_mock.sent_len, g_seen);   /* the ping is out: no second one */
    srv_frame(0x8A, "", 0);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_RTA_EVENT_NONE);
    ping_after_a_quiet_second();
}

/* A ping read after the client's close frame went out is not answered. */
static void no_pong_after_the_close_frame(void **state)
{
    (void)state;
    close_after_a_failed_subscribe();
    srv_frame(0x89, "p", 1);
    srv_frame(0x88, "\x03\xE8", 2);
    mock_add_code(&g_mock, XBL_MPSD_E_EOF);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED, XBL_MPSD_OK, 1000);
    assert_int_equal(g_mock.sent_len, g_seen);
    assert_int_equal(g_mock.closes, 1);
}

/* A protocol error while the subscribe is still stuck in the port: the
   subscribe is finished first, then the close frame, then the loss. */
static void protocol_error_behind_a_blocked_frame(void **state)
{
    (void)state;
    mock_add_send(&g_mock, 0);   /* the upgrade request */
    mock_add_send(&g_mock, XBL_MPSD_E_WOULD_BLOCK);
    mock_add_send(&g_mock, XBL_MPSD_E_WOULD_BLOCK);
    enable_connecting();
    serve_handshake();
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED, XBL_MPSD_OK, 0);
    srv_frame(0x83, "", 0);   /* a reserved opcode */
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_E_WS_PROTOCOL, 1002);
    assert_int_equal(g_mock.send_i, 3);
    expect_client_frame(1, SUB1);
    expect_client_close(1002);
    assert_int_equal(g_mock.sent_len, g_seen);
}

/* The 101's subprotocol must be the one asked for, once; header lines
   that continue a previous one are refused; a pending connect is retried. */
static void handshake_answers_refused(void **state)
{
    static const char *const lines[] = {
        "Sec-WebSocket-Protocol: rta.xboxlive.com.V2\r\nSec-WebSocket-Protocol: rta.xboxlive.com.V2\r\n",
        "Sec-WebSocket-Protocol: rta.xboxlive.com.V3\r\n",
        "Sec-WebSocket-Protocol: rta.xboxlive.com\r\n",
        "Sec-WebSocket-Protocol: rta.xboxlive.com.V2\r\nX-A: 1\r\n\tcontinued\r\n",
    };
    size_t k;
    (void)state;
    for (k = 0; k < sizeof lines / sizeof lines[0]; k++) {
        setup(NULL);
        if (k == 0) {
            g_mock.connect_script[0] = XBL_MPSD_PENDING;
            g_mock.connect_n = 1;
        }
        enable_connecting();
        serve_handshake_with(lines[k]);
        assert_int_equal(g_mock.connects, k == 0 ? 2 : 1);
        assert_int_equal(failed_attempt(k == 3 ? XBL_MPSD_E_HTTP_PROTOCOL : XBL_MPSD_E_WS_HANDSHAKE), 1000);
        assert_int_equal(g_mock.closes, 1);
        xbl_mpsd_rta_close(&g_rta);
    }
}

/* Without a subprotocol asked for, a 101 naming one is refused; one that
   names none is accepted. */
static void no_subprotocol_asked_for(void **state)
{
    xbl_mpsd_ws ws;
    xbl_mpsd_ws_config wc;
    xbl_mpsd_ws_event ev;
    int k, i;
    (void)state;
    ws_config(&wc);
    for (k = 0; k < 2; k++) {
        assert_int_equal(xbl_mpsd_ws_init(&ws, &wc, g_buf, sizeof g_buf), XBL_MPSD_OK);
        assert_int_equal(xbl_mpsd_ws_connect(&ws), XBL_MPSD_OK);
        for (i = 0; i < 10 && ws.phase != XBL_MPSD__WS_HS_RECV; i++)
            assert_int_equal(xbl_mpsd_ws_poll(&ws, &ev), XBL_MPSD_PENDING);
        assert_null(strstr((const char *)g_mock.sent, "Sec-WebSocket-Protocol"));
        serve_101(ws.key, k == 0 ? "Sec-WebSocket-Protocol: rta.xboxlive.com.V2\r\n" : "");
        for (i = 0; i < 10 && xbl_mpsd_ws_poll(&ws, &ev) == XBL_MPSD_PENDING; i++) {}
        if (k == 0) {
            assert_int_equal(ev.type, XBL_MPSD_WS_EVENT_CLOSED);
            assert_int_equal(ev.result, XBL_MPSD_E_WS_HANDSHAKE);
        } else {
            assert_int_equal(ev.type, XBL_MPSD_WS_EVENT_OPENED);
        }
        xbl_mpsd_ws_abort(&ws);
        mock_reset_traffic(&g_mock);
    }
}

/* A head line that never ends is refused at the head limit, however big
   the buffer. */
static void endless_head_line(void **state)
{
    static unsigned char big[XBL_MPSD_HTTP_MAX_HEADER_BYTES + 4096];
    static char head[XBL_MPSD_HTTP_MAX_HEADER_BYTES + 2048];
    size_t n;
    (void)state;
    assert_int_equal(xbl_mpsd_rta_init(&g_rta, &g_client, &g_cfg, big, sizeof big), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_OK, 0);
    n = (size_t)sprintf(head, "HTTP/1.1 101 Switching Protocols\r\nX-Long: ");
    memset(head + n, 'a', sizeof head - n);
    mock_add_bytes(&g_mock, head, sizeof head);
    assert_int_equal(failed_attempt(XBL_MPSD_E_HTTP_PROTOCOL), 1000);
    assert_int_equal(g_mock.recv_i, 0);   /* refused within one read of the limit, the rest unread */
    assert_true(g_mock.recv_off + 1 > XBL_MPSD_HTTP_MAX_HEADER_BYTES - XBL_MPSD_RTA_BUFFER_RESERVE);
    assert_true(g_mock.recv_off < XBL_MPSD_HTTP_MAX_HEADER_BYTES + XBL_MPSD_RTA_BUFFER_RESERVE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(disabled_before_and_during_the_attempt, setup, teardown),
        cmocka_unit_test_setup_teardown(subscribe_reply_without_subid_or_id, setup, teardown),
        cmocka_unit_test_setup_teardown(reply_after_disable_while_subscribing, setup, teardown),
        cmocka_unit_test_setup_teardown(out_of_place_messages_are_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(taps_with_unusable_resources_are_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(requests_wait_for_an_owed_pong, setup, teardown),
        cmocka_unit_test_setup_teardown(toggles_between_request_and_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(a_full_queue_drops_further_losses, setup, teardown),
        cmocka_unit_test_setup_teardown(retry_after_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(activated_series_gives_up_without_a_loss, setup, teardown),
        cmocka_unit_test_setup_teardown(closing_then_wanted_again, setup, teardown),
        cmocka_unit_test_setup_teardown(port_failures_end_the_attempt, setup, teardown),
        cmocka_unit_test_setup_teardown(port_breaking_its_contract, setup, teardown),
        cmocka_unit_test_setup_teardown(api_checks_on_closed_and_moved_objects, setup, teardown),
        cmocka_unit_test_setup_teardown(default_host_and_needed_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(websocket_argument_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(keepalive_ping_one_at_a_time, setup, teardown),
        cmocka_unit_test_setup_teardown(no_pong_after_the_close_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(protocol_error_behind_a_blocked_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(handshake_answers_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(no_subprotocol_asked_for, setup, teardown),
        cmocka_unit_test_setup_teardown(endless_head_line, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
