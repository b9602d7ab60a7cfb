/* The RTA object over the WebSocket client, driven through the scripted
   mock port on an injected clock: subscribe, connection ID, shoulder taps,
   resync, disable and unsubscribe, subscription failures, throttling,
   connection loss, back-off with jitter, renewal, the reply timeout. */
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

/* ------------------------------------------------------------------ tests */

static void init_and_argument_checks(void **state)
{
    xbl_mpsd_rta other;
    xbl_mpsd_rta_config c;
    xbl_mpsd_rta_event ev;
    (void)state;
    assert_int_equal(xbl_mpsd_rta_init(NULL, &g_client, &g_cfg, g_buf, sizeof g_buf), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_rta_init(&g_rta, NULL, &g_cfg, g_buf, sizeof g_buf), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_rta_init(&g_rta, &g_client, NULL, g_buf, sizeof g_buf), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_rta_init(&g_rta, &g_client, &g_cfg, NULL, sizeof g_buf), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_rta_init(&g_rta, &g_client, &g_cfg, g_buf, XBL_MPSD_RTA_MIN_BUFFER_SIZE - 1),
                     XBL_MPSD_E_INVALIDARG);
    c = g_cfg; c.port = NULL;
    assert_int_equal(xbl_mpsd_rta_init(&g_rta, &g_client, &c, g_buf, sizeof g_buf), XBL_MPSD_E_INVALIDARG);
    c = g_cfg; c.host = "a b";
    assert_int_equal(xbl_mpsd_rta_init(&g_rta, &g_client, &c, g_buf, sizeof g_buf), XBL_MPSD_E_INVALIDARG);
    c = g_cfg; c.path = "connect";
    assert_int_equal(xbl_mpsd_rta_init(&g_rta, &g_client, &c, g_buf, sizeof g_buf), XBL_MPSD_E_INVALIDARG);
    c = g_cfg; c.max_message_bytes = sizeof g_buf;
    assert_int_equal(xbl_mpsd_rta_init(&g_rta, &g_client, &c, g_buf, sizeof g_buf), XBL_MPSD_E_INVALIDARG);
    /* no RTA object yet */
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(NULL, true), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_real_time_activity_activate(&g_client), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_real_time_activity_deactivate(NULL), XBL_MPSD_E_INVALIDARG);
    assert_false(xbl_mpsd_subscriptions_enabled(&g_client));
    assert_false(xbl_mpsd_subscriptions_enabled(NULL));
    assert_int_equal(xbl_mpsd_rta_poll(&g_rta, &ev), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_rta_poll(NULL, &ev), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_rta_connection_state(NULL), XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED);
    assert_string_equal(xbl_mpsd_rta_connection_id(NULL), "");
    assert_int_equal(xbl_mpsd_rta_last_result(NULL), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_rta_needed_bytes(NULL), 0);
    xbl_mpsd_rta_close(NULL);
    /* attached once only; nothing sent by init; idle polls do nothing */
    init_rta();
    assert_int_equal(xbl_mpsd_rta_init(&other, &g_client, &g_cfg, g_buf, sizeof g_buf), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_rta_connection_state(&g_rta), XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED);
    assert_int_equal(next_event(&ev, 100), XBL_MPSD_RTA_EVENT_NONE);
    assert_int_equal(g_mock.connects + g_mock.sends + g_mock.recvs, 0);
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, false), XBL_MPSD_OK);   /* no-op: no event */
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_RTA_EVENT_NONE);
    xbl_mpsd_rta_close(&g_rta);
    assert_int_equal(xbl_mpsd_rta_poll(&g_rta, &ev), XBL_MPSD_E_UNEXPECTED);
    xbl_mpsd_rta_close(&g_rta);
    init_rta();   /* detached by close: attachable again */
}

static void subscribe_taps_resync_and_disable(void **state)
{
    xbl_mpsd_rta_event ev;
    (void)state;
    open_active();
    assert_true(xbl_mpsd_subscriptions_enabled(&g_client));
    /* ignored: bad JSON, unknown type, not an array, unknown SUBID, a reply for another SEQ */
    srv_text("[3,");
    srv_text("[99,1]");
    srv_text("{\"a\":1}");
    srv_text("[3,7,{\"shoulderTaps\":[{\"resource\":\"a~b~c\"}]}]");
    srv_text("[1,9,0,5,{\"ConnectionId\":\"x\"}]");
    srv_text("[4]");   /* within 5 minutes of the connect: ignored */
    assert_int_equal(next_event(&ev, 10), XBL_MPSD_RTA_EVENT_NONE);
    /* one event per valid tap, in order; a bad resource is skipped */
    srv_text("[3,42,{\"ncid\":\"n\",\"shoulderTaps\":["
             "{\"timestamp\":\"t\",\"subscription\":\"S\",\"resourceType\":\"mpsd/session\","
             "\"resource\":\"00000000-0000-0000-0000-00007a3b9c11~lobby~evening-game\","
             "\"branch\":\"3e8f2b61-7c4d-4e9a-a0b5-91d2c6e7f804\",\"changeNumber\":7},"
             "{\"resource\":\"a~~b\",\"changeNumber\":8},"
             "{\"resource\":\"s~t~n\",\"changeNumber\":-1,\"branch\":5}]}]");
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_SESSION_CHANGED);
    assert_string_equal(ev.session_change.session_reference.scid, "00000000-0000-0000-0000-00007a3b9c11");
    assert_string_equal(ev.session_change.session_reference.session_template_name, "lobby");
    assert_string_equal(ev.session_change.session_reference.session_name, "evening-game");
    assert_string_equal(ev.session_change.branch, "3e8f2b61-7c4d-4e9a-a0b5-91d2c6e7f804");
    assert_int_equal(ev.session_change.change_number, 7);
    assert_int_equal(ev.result, XBL_MPSD_OK);
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_RTA_EVENT_SESSION_CHANGED);   /* no I/O needed */
    assert_string_equal(ev.session_change.session_reference.scid, "s");
    assert_string_equal(ev.session_change.branch, "");
    assert_int_equal(ev.session_change.change_number, 0);
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_RTA_EVENT_NONE);
    /* resync after the quiet window */
    g_mock.now += 300000;
    srv_text("[4]");
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_RESYNC);
    /* disable: lost at once, ID cleared, unsubscribe, then a graceful close */
    srv_text("[3,42,{\"shoulderTaps\":[{\"resource\":\"a~b~c\"},{\"resource\":\"d~e~f\"}]}]");
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_SESSION_CHANGED);
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, false), XBL_MPSD_OK);
    assert_false(xbl_mpsd_subscriptions_enabled(&g_client));
    assert_string_equal(xbl_mpsd_rta_connection_id(&g_rta), "");
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST);   /* the second tap is dropped */
    assert_int_equal(ev.result, XBL_MPSD_OK);
    expect_client_text("[2,1,42]");
    srv_text("[2,1,0]");
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_NONE);
    expect_client_close(1000);
    srv_frame(0x88, "\x03\xE8", 2);
    mock_add_code(&g_mock, XBL_MPSD_E_EOF);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED, XBL_MPSD_OK, 1000);
    assert_int_equal(g_mock.closes, 1);
    assert_int_equal(next_event(&ev, 20), XBL_MPSD_RTA_EVENT_NONE);
    /* enabling again starts over with a new SEQ */
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_OK, 0);
    serve_handshake();
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED, XBL_MPSD_OK, 0);
    expect_client_text("[1,2,\"https://sessiondirectory.xboxlive.com/connections/\"]");
}

static void subscription_failures(void **state)
{
    static const struct { const char *reply; xbl_mpsd_result want; } cases[] = {
        { "[1,1,1]", XBL_MPSD_E_RTA_GENERIC_ERROR },
        { "[1,1,2]", XBL_MPSD_E_RTA_SUBSCRIPTION_LIMIT_REACHED },
        { "[1,1,3]", XBL_MPSD_E_RTA_ACCESS_DENIED },
        { "[1,1,77]", XBL_MPSD_E_RTA_GENERIC_ERROR },
        { "[1,1,0,42,{}]", XBL_MPSD_E_RTA_PROTOCOL },
        { "[1,1,0,42,{\"ConnectionId\":\"has space\"}]", XBL_MPSD_E_RTA_PROTOCOL },
    };
    size_t k;
    (void)state;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++)   /* with a SUBID: unsubscribed */
        subscribe_fails(k, cases[k].reply, cases[k].want, cases[k].want == XBL_MPSD_E_RTA_PROTOCOL);
}

static void throttled_subscribe_backs_off(void **state)
{
    xbl_mpsd_rta_event ev;
    (void)state;
    open_subscribing();
    srv_text("[1,1,1001]");
    expect_client_text(SUB1);   /* j = 0: at once, same SEQ */
    srv_text("[1,1,1002]");
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_NONE);
    assert_int_equal(g_mock.sent_len, g_seen);
    g_mock.now += 999;
    assert_int_equal(next_event(&ev, 2), XBL_MPSD_RTA_EVENT_NONE);
    assert_int_equal(g_mock.sent_len, g_seen);
    g_mock.now += 1;   /* j = 1: 1 s */
    expect_client_text(SUB1);
    srv_text("[1,1,1001]");
    assert_int_equal(next_event(&ev, 3), XBL_MPSD_RTA_EVENT_NONE);   /* read at this time */
    g_mock.now += 3999;
    assert_int_equal(next_event(&ev, 2), XBL_MPSD_RTA_EVENT_NONE);
    assert_int_equal(g_mock.sent_len, g_seen);
    g_mock.now += 1;   /* j = 2: 4 s */
    expect_client_text(SUB1);
    srv_text("[1,1,0,43,{\"ConnectionId\":\"id2\"}]");
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_CONNECTION_ID_CHANGED);
    assert_string_equal(ev.connection_id, "id2");
}

static void connection_loss_reconnects_with_backoff(void **state)
{
    xbl_mpsd_rta_event ev;
    uint32_t jitter;
    int attempt;
    (void)state;
    open_active();
    mock_add_code(&g_mock, XBL_MPSD_E_EOF);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_E_CONNECTION_CLOSED, 1006);
    assert_string_equal(xbl_mpsd_rta_connection_id(&g_rta), "");
    assert_int_equal(xbl_mpsd_rta_last_result(&g_rta), XBL_MPSD_E_CONNECTION_CLOSED);
    /* attempt 0 waits for its jitter only (drawn from the random source) */
    jitter = g_rta.wait_ms;
    assert_true(jitter < 5000);
    assert_int_equal(jitter, ((((uint32_t)(uint8_t)(g_rand - 2)) << 8) | (uint8_t)(g_rand - 1)) % 5000u);
    g_mock.connect_default = XBL_MPSD_E_CONNECT;
    if (jitter > 0) {
        g_mock.now += jitter - 1;
        assert_int_equal(next_event(&ev, 3), XBL_MPSD_RTA_EVENT_NONE);
        assert_int_equal(g_mock.connects, 1);
        g_mock.now += 1;
    }
    /* four failed attempts: CONNECTING throughout, then DISCONNECTED and the loss */
    for (attempt = 0; attempt < 4; attempt++) {
        unsigned before = g_mock.connects;
        uint32_t wait;
        assert_int_equal(next_event(&ev, 3), attempt < 3 ? XBL_MPSD_RTA_EVENT_NONE
                                                         : XBL_MPSD_RTA_EVENT_CONNECTION_STATE_CHANGED);
        assert_int_equal(g_mock.connects, before + 1);
        if (attempt == 3) break;
        wait = g_rta.wait_ms;
        assert_true(wait >= (uint32_t)(attempt + 1) * (uint32_t)(attempt + 1) * 1000u);
        assert_true(wait < (uint32_t)(attempt + 1) * (uint32_t)(attempt + 1) * 1000u + 5000u);
        g_mock.now += wait - 1;
        assert_int_equal(next_event(&ev, 2), XBL_MPSD_RTA_EVENT_NONE);
        assert_int_equal(g_mock.connects, before + 1);
        g_mock.now += 1;
    }
    assert_int_equal(ev.connection_state, XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED);
    assert_int_equal(ev.result, XBL_MPSD_E_CONNECT);
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST);
    assert_int_equal(ev.result, XBL_MPSD_E_CONNECT);
    assert_true(xbl_mpsd_subscriptions_enabled(&g_client));   /* still wanted: attempts go on */
    /* the next attempt succeeds: CONNECTING, CONNECTED, resubscribed with the same SEQ */
    g_mock.connect_default = XBL_MPSD_OK;
    g_mock.now += g_rta.wait_ms;
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_E_CONNECT, 0);
    serve_handshake();
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED, XBL_MPSD_OK, 0);
    expect_client_text(SUB1);
    srv_text("[1,1,0,44,{\"ConnectionId\":\"new-id\"}]");
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_CONNECTION_ID_CHANGED);
    assert_string_equal(ev.connection_id, "new-id");
}

static void handshake_429_waits_for_retry_after(void **state)
{
    static const char h429[] = "HTTP/1.1 429 Too Many\r\nRetry-After: 30\r\n\r\n";
    xbl_mpsd_rta_event ev;
    (void)state;
    init_rta();
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_OK, 0);
    mock_add_bytes(&g_mock, h429, strlen(h429));
    assert_int_equal(next_event(&ev, 10), XBL_MPSD_RTA_EVENT_NONE);
    assert_int_equal(xbl_mpsd_rta_last_result(&g_rta), XBL_MPSD_E_HTTP_STATUS(429));
    assert_int_equal(g_rta.wait_ms, 30000);   /* not 1 s: Retry-After wins, no jitter before a first open */
}

static void renewal_and_reply_timeout(void **state)
{
    xbl_mpsd_rta_event ev;
    (void)state;
    g_cfg.max_connection_ms = 60000;
    g_cfg.timeout_ms = 5000;
    open_active();
    g_mock.now += 60000;
    assert_int_equal(next_event(&ev, 2), XBL_MPSD_RTA_EVENT_NONE);
    assert_string_equal(xbl_mpsd_rta_connection_id(&g_rta), "");
    expect_client_close(1000);
    srv_frame(0x88, "\x03\xE8", 2);
    mock_add_code(&g_mock, XBL_MPSD_E_EOF);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_OK, 1000);
    g_mock.now += g_rta.wait_ms;
    serve_handshake();
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED, XBL_MPSD_OK, 0);
    expect_client_text(SUB1);
    /* no reply within timeout_ms: the connection fails, no close frame */
    g_mock.now += 4999;
    assert_int_equal(next_event(&ev, 2), XBL_MPSD_RTA_EVENT_NONE);
    g_mock.now += 1;
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_E_TIMEOUT, 1006);
    assert_int_equal(g_mock.sent_len, g_seen);
}

static void activate_keeps_the_connection(void **state)
{
    xbl_mpsd_rta_event ev;
    (void)state;
    init_rta();
    mock_add_send(&g_mock, 5);   /* the upgrade request goes out in pieces */
    mock_add_send(&g_mock, XBL_MPSD_E_WOULD_BLOCK);
    assert_int_equal(xbl_mpsd_real_time_activity_activate(&g_client), XBL_MPSD_OK);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_OK, 0);
    serve_handshake();
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED, XBL_MPSD_OK, 0);
    assert_int_equal(next_event(&ev, 10), XBL_MPSD_RTA_EVENT_NONE);
    assert_int_equal(g_mock.sent_len, g_seen);   /* no subscription */
    assert_int_equal(xbl_mpsd_real_time_activity_deactivate(&g_client), XBL_MPSD_OK);
    assert_int_equal(next_event(&ev, 2), XBL_MPSD_RTA_EVENT_NONE);
    expect_client_close(1000);
    /* closing the object: at once, no events, detached */
    xbl_mpsd_rta_close(&g_rta);
    assert_int_equal(g_mock.closes, 1);
    assert_false(xbl_mpsd_subscriptions_enabled(&g_client));
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_E_UNEXPECTED);
}

/* Writes that set the member active carry the connection ID, or wait for it. */
static void writes_stamp_the_connection_id(void **state)
{
    static unsigned char arena[16384], work[32768];
    xbl_mpsd_session_reference ref;
    xbl_mpsd_session s;
    xbl_mpsd_async op;
    (void)state;
    ref = xbl_mpsd_session_reference_create("00000000-0000-0000-0000-000000000001", "lobby", "game");
    assert_int_equal(xbl_mpsd_session_init(&s, 2814639011617876ULL, &ref, NULL, arena, sizeof arena), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_join(&s, NULL, false, true), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_init(&op, work, sizeof work), XBL_MPSD_OK);
    init_rta();
    /* no RTA subscription: no connection written */
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &s, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &op), XBL_MPSD_OK);
    assert_null(strstr((const char *)work, "\"connection\""));
    xbl_mpsd_async_cancel(&op);
    /* enabled, no ID yet: refused, nothing changed, the async still usable */
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_init(&op, work, sizeof work), XBL_MPSD_OK);
    memset(work, 0, sizeof work);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &s, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &op),
                     XBL_MPSD_E_RTA_NO_CONNECTION_ID);
    assert_int_equal(work[0], 0);
    assert_int_equal(xbl_mpsd_async_poll(&op), XBL_MPSD_E_UNEXPECTED);   /* still idle */
    assert_int_equal(g_mock.sends, 0);
    /* a write by handle is refused the same way */
    assert_int_equal(xbl_mpsd_write_session_by_handle_async(&g_client, &s, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING,
                     "6f6a1f7e-1111-4222-8333-444455556666", &op), XBL_MPSD_E_RTA_NO_CONNECTION_ID);
    /* with the ID: stamped beside "active":true */
    memcpy(g_rta.connection_id, CID, sizeof CID);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &s, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &op), XBL_MPSD_OK);
    assert_non_null(strstr((const char *)work, "\"system\":{\"active\":true,\"connection\":\"" CID "\"}"));
    xbl_mpsd_async_cancel(&op);
    /* a body that does not set the member active is never refused nor stamped */
    g_rta.connection_id[0] = '\0';
    assert_int_equal(xbl_mpsd_session_current_user_set_status(&s, XBL_MPSD_SESSION_MEMBER_STATUS_INACTIVE), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &s, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &op), XBL_MPSD_OK);
    assert_non_null(strstr((const char *)work, "\"active\":false"));
    assert_null(strstr((const char *)work, "\"connection\""));
    xbl_mpsd_async_cancel(&op);
    /* subscriptions off again: no connection, no refusal */
    assert_int_equal(xbl_mpsd_session_current_user_set_status(&s, XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, false), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &s, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &op), XBL_MPSD_OK);
    assert_null(strstr((const char *)work, "\"connection\""));
    xbl_mpsd_async_cancel(&op);
}

/* Wanted again while the unsubscribe is on its way: the same SEQ once it is
   answered; a connection lost meanwhile makes it a new subscription. */
static void rewanted_while_unsubscribing(void **state)
{
    xbl_mpsd_rta_event ev;
    (void)state;
    open_active();
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, false), XBL_MPSD_OK);
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST);
    expect_client_text("[2,1,42]");
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
    srv_text("[2,1,0]");
    expect_client_text(SUB1);
    srv_text("[1,1,0,43,{\"ConnectionId\":\"again\"}]");
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_CONNECTION_ID_CHANGED);
    assert_string_equal(ev.connection_id, "again");
    /* again, but the connection drops before the unsubscribe is answered */
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, false), XBL_MPSD_OK);
    assert_int_equal(next_event(&ev, 1), XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST);
    expect_client_text("[2,1,43]");
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
    mock_add_code(&g_mock, XBL_MPSD_E_EOF);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_E_CONNECTION_CLOSED, 1006);
    serve_handshake();
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED, XBL_MPSD_OK, 0);
    expect_client_text("[1,2,\"https://sessiondirectory.xboxlive.com/connections/\"]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(init_and_argument_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(subscribe_taps_resync_and_disable, setup, teardown),
        cmocka_unit_test_setup_teardown(subscription_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(throttled_subscribe_backs_off, setup, teardown),
        cmocka_unit_test_setup_teardown(connection_loss_reconnects_with_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(handshake_429_waits_for_retry_after, setup, teardown),
        cmocka_unit_test_setup_teardown(renewal_and_reply_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(activate_keeps_the_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(writes_stamp_the_connection_id, setup, teardown),
        cmocka_unit_test_setup_teardown(rewanted_while_unsubscribing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
