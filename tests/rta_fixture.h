/* The RTA test fixture shared by test_rta.c and test_rta_more.c: a client
   and an RTA object on the scripted mock port with an injected clock, the
   server's frames from a pool, the client's frames unmasked, the handshake
   answered for the key the client sent. Include after mock_port.h,
   test_auth.h and cmocka.h. */
#ifndef RTA_FIXTURE_H
#define RTA_FIXTURE_H

#define CID  "6a1d4c2e-93b7-4f05-8e21-5c7d90ab13f4"
#define SUB1 "[1,1,\"https://sessiondirectory.xboxlive.com/connections/\"]"

static mock_port       g_mock;
static xbl_mpsd_port   g_port;
static xbl_mpsd_client g_client;
static xbl_mpsd_rta    g_rta;
static xbl_mpsd_rta_config g_cfg;
static unsigned char   g_buf[8192];
static unsigned        g_rand;
static uint8_t         g_pool[65536];
static size_t          g_pool_len;
static size_t          g_seen;   /* client bytes already looked at */

static void counter_random(void *user, uint8_t *out, size_t len)
{
    size_t i;
    (void)user;
    for (i = 0; i < len; i++) out[i] = (uint8_t)(g_rand++);
}

static int setup(void **state)
{
    xbl_mpsd_client_config cc;
    (void)state;
    mock_init(&g_mock, &g_port);
    mock_reset_traffic(&g_mock);
    memset(&cc, 0, sizeof cc);
    cc.port = &g_port;
    cc.xuid = 2814639011617876ULL;
    cc.auth = test_auth;
    assert_int_equal(xbl_mpsd_client_init(&g_client, &cc), XBL_MPSD_OK);
    memset(&g_cfg, 0, sizeof g_cfg);
    g_cfg.port = &g_port;
    g_cfg.host = "127.0.0.1";
    g_cfg.port_number = 8080;
    g_cfg.random = counter_random;
    g_rand = 0;
    g_pool_len = 0;
    g_seen = 0;
    memset(&g_rta, 0, sizeof g_rta);
    g_mock.now = 1000;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    xbl_mpsd_rta_close(&g_rta);
    return 0;
}

/* Server bytes live in a pool: the mock keeps pointers. */
static const uint8_t *pool(const void *data, size_t n)
{
    uint8_t *p = g_pool + g_pool_len;
    assert_true(g_pool_len + n <= sizeof g_pool);
    memcpy(p, data, n);
    g_pool_len += n;
    return p;
}

static void srv_frame(unsigned b0, const char *payload, size_t n)
{
    uint8_t h[4];
    size_t hl = 2;
    h[0] = (uint8_t)b0;
    if (n < 126) h[1] = (uint8_t)n;
    else { h[1] = 126; h[2] = (uint8_t)(n >> 8); h[3] = (uint8_t)n; hl = 4; }
    mock_add_bytes(&g_mock, pool(h, hl), hl);
    if (n > 0) mock_add_bytes(&g_mock, pool(payload, n), n);
}

static void srv_text(const char *json)
{
    srv_frame(0x81, json, strlen(json));
}

static xbl_mpsd_rta_event_type next_event(xbl_mpsd_rta_event *ev, int limit)
{
    int i;
    for (i = 0; i < limit; i++) {
        xbl_mpsd_result r = xbl_mpsd_rta_poll(&g_rta, ev);
        if (r == XBL_MPSD_OK) return ev->type;
        assert_int_equal(r, XBL_MPSD_PENDING);
        assert_int_equal(ev->type, XBL_MPSD_RTA_EVENT_NONE);
    }
    return XBL_MPSD_RTA_EVENT_NONE;
}

static void expect_state(xbl_mpsd_real_time_activity_connection_state s, xbl_mpsd_result result, unsigned code)
{
    xbl_mpsd_rta_event ev;
    assert_int_equal(next_event(&ev, 20), XBL_MPSD_RTA_EVENT_CONNECTION_STATE_CHANGED);
    assert_int_equal(ev.connection_state, s);
    if (ev.result != result) fail_msg("state event result %s", xbl_mpsd_result_string(ev.result));
    assert_int_equal(ev.close_code, code);
    assert_int_equal(xbl_mpsd_rta_connection_state(&g_rta), s);
}

/* A 101 that accepts `key`, with the given Sec-WebSocket-Protocol lines
   (and anything else), as the server's next bytes. */
static void serve_101(const char *key, const char *protocol_lines)
{
    static char head[512];
    unsigned char in[60], digest[20];
    char acc[28];
    int i;
    memcpy(in, key, 24);
    memcpy(in + 24, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", 36);
    xbl_mpsd__sha1(in, 60, digest);
    xbl_mpsd__base64(digest, 20, acc);
    i = snprintf(head, sizeof head, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Accept: %.28s\r\n%s\r\n", acc, protocol_lines);
    assert_true(i > 0 && (size_t)i < sizeof head);
    mock_add_bytes(&g_mock, pool(head, (size_t)i), (size_t)i);
}

/* Once the client's upgrade request is out, the 101 for its key. */
static void serve_handshake_with(const char *protocol_lines)
{
    xbl_mpsd_rta_event ev;
    int i;
    if (g_rta.phase == XBL_MPSD__RTA_WAIT) g_mock.now += g_rta.wait_ms;   /* the back-off's jitter */
    for (i = 0; i < 20 && g_rta.ws.phase != XBL_MPSD__WS_HS_RECV; i++)
        assert_int_equal(xbl_mpsd_rta_poll(&g_rta, &ev), XBL_MPSD_PENDING);
    assert_int_equal(g_rta.ws.phase, XBL_MPSD__WS_HS_RECV);
    serve_101(g_rta.ws.key, protocol_lines);
    g_seen = g_mock.sent_len;
}

static void serve_handshake(void)
{
    serve_handshake_with("Sec-WebSocket-Protocol: rta.xboxlive.com.V2\r\n");
}

/* The next text frame the client sent after g_seen, unmasked, into out. */
static bool next_client_text(char *out, size_t cap, unsigned *opcode)
{
    const uint8_t *p = g_mock.sent + g_seen;
    size_t n = g_mock.sent_len - g_seen, len, h = 2, i;
    if (n < 6) return false;
    len = p[1] & 0x7F;
    if (len == 126) { len = ((size_t)p[2] << 8) | p[3]; h = 4; }
    assert_true(n >= h + 4 + len && len < cap);
    for (i = 0; i < len; i++) out[i] = (char)(p[h + 4 + i] ^ p[h + (i & 3)]);
    out[len] = '\0';
    *opcode = p[0] & 0x0F;
    g_seen += h + 4 + len;
    return true;
}

static void expect_client_text(const char *want)
{
    char got[512];
    unsigned op = 0;
    xbl_mpsd_rta_event ev;
    int i;
    for (i = 0; i < 5 && g_mock.sent_len - g_seen < 6; i++) (void)xbl_mpsd_rta_poll(&g_rta, &ev);
    if (g_mock.sent_len - g_seen < 6)
        fail_msg("no frame sent (sub state %u, throttle %u, retry %u ms, now %u, since %u)", (unsigned)g_rta.sub_state,
                 (unsigned)g_rta.throttle, (unsigned)g_rta.retry_ms, (unsigned)g_mock.now, (unsigned)g_rta.sub_ms);
    assert_true(next_client_text(got, sizeof got, &op));
    assert_int_equal(op, 1);
    assert_string_equal(got, want);
}

static void expect_client_close(unsigned code)
{
    char got[8];
    unsigned op = 0;
    assert_true(next_client_text(got, sizeof got, &op));
    assert_int_equal(op, 8);
    assert_int_equal(((unsigned)(uint8_t)got[0] << 8) | (uint8_t)got[1], code);
}

static void init_rta(void)
{
    assert_int_equal(xbl_mpsd_rta_init(&g_rta, &g_client, &g_cfg, g_buf, sizeof g_buf), XBL_MPSD_OK);
}

/* enable, connect, the subscribe goes out. */
static void open_subscribing(void)
{
    init_rta();
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&g_client, true), XBL_MPSD_OK);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, XBL_MPSD_OK, 0);
    serve_handshake();
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED, XBL_MPSD_OK, 0);
    expect_client_text(SUB1);
}

/* ... and the subscription becomes active with its connection ID. */
static void open_active(void)
{
    xbl_mpsd_rta_event ev;
    open_subscribing();
    srv_text("[1,1,0,42,{\"ConnectionId\":\"" CID "\"}]");
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_CONNECTION_ID_CHANGED);
    assert_string_equal(ev.connection_id, CID);
    assert_int_equal(ev.result, XBL_MPSD_OK);
    assert_string_equal(xbl_mpsd_rta_connection_id(&g_rta), CID);
}

/* From a fresh object: the subscribe is answered with `reply`, a failure:
   one SUBSCRIPTION_LOST with `want`, subscriptions off, the SUBID (when
   `unsub`) unsubscribed, then the connection closed as nothing wants it. */
static void subscribe_fails(size_t k, const char *reply, xbl_mpsd_result want, bool unsub)
{
    xbl_mpsd_rta_event ev;
    setup(NULL);
    open_subscribing();
    srv_text(reply);
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST);
    if (ev.result != want) fail_msg("case %zu: %s", k, xbl_mpsd_result_string(ev.result));
    assert_false(xbl_mpsd_subscriptions_enabled(&g_client));
    assert_string_equal(xbl_mpsd_rta_connection_id(&g_rta), "");
    if (unsub) {
        expect_client_text("[2,1,42]");
        srv_text("[2,1,0]");
    }
    assert_int_equal(next_event(&ev, 5), XBL_MPSD_RTA_EVENT_NONE);
    expect_client_close(1000);
    xbl_mpsd_rta_close(&g_rta);
}

#endif /* RTA_FIXTURE_H */
