/* The RTA object against the emulator's RTA endpoint, through the POSIX
   port (with -DIT_TLS through the mbedTLS port over it): Bob watches a
   session over his WebSocket while Alice changes it; the connection ID and
   the writes that stamp it, checked in the stored session; reconnects after
   the emulator drops the socket; throttled, refused, unanswered and ID-less
   subscribes; refused handshakes; odd and broken framing; server pings, a
   server lifetime, a keepalive that finds a silent server; resync; the
   subscription gone with the member; connectionRequiredStrict.
   Run by tests/rta_integration/run.sh, which starts the emulator
   (MPSD_PORT; MPSD_CA_FILE for TLS). The emulator's admin API is reached
   through tests/rta_integration/emu.py. The cases run in order and share
   Bob's connection.
   The RTA port's clock is the real one plus a skew the test moves (resync
   quiet time, back-off, reply timeout, keepalive); the random source is all
   zeros, so a reconnect has no jitter. No assertion depends on timing:
   every wait is a bounded loop. */
#define _POSIX_C_SOURCE 200809L
#define XBL_MPSD_IMPLEMENTATION
#define XBL_MPSD_PORT_POSIX_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "port/xbl_mpsd_port_posix.h"
#ifdef IT_TLS
#define XBL_MPSD_PORT_MBEDTLS_IMPLEMENTATION
#include "port/xbl_mpsd_port_mbedtls.h"
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#define SCID "00000000-0000-0000-0000-00000000cafe"
#define POLLS 20000   /* 1 ms apart: a bound, never a measure */

/* A port whose clock runs `skew` ms ahead of the lower port's. */
typedef struct skew_port {
    xbl_mpsd_port lower;
    uint32_t      skew;
} skew_port;

static xbl_mpsd_result sk_connect(void *c, const char *h, uint16_t p) { return ((skew_port *)c)->lower.connect(((skew_port *)c)->lower.ctx, h, p); }
static int32_t sk_send(void *c, const uint8_t *d, size_t n) { return ((skew_port *)c)->lower.send(((skew_port *)c)->lower.ctx, d, n); }
static int32_t sk_recv(void *c, uint8_t *b, size_t n) { return ((skew_port *)c)->lower.recv(((skew_port *)c)->lower.ctx, b, n); }
static void sk_close(void *c) { ((skew_port *)c)->lower.close(((skew_port *)c)->lower.ctx); }
static uint32_t sk_now(void *c) { return ((skew_port *)c)->lower.now_ms(((skew_port *)c)->lower.ctx) + ((skew_port *)c)->skew; }

/* One transport: TCP, and with IT_TLS TLS over it. */
typedef struct it_link {
    xbl_mpsd_port_posix   tcp;
    xbl_mpsd_port         tcp_port;
#ifdef IT_TLS
    xbl_mpsd_port_mbedtls tls;
#endif
    xbl_mpsd_port         port;
} it_link;

typedef struct it_user {
    uint64_t         xuid;
    const char      *gamertag;
    it_link          http;
    xbl_mpsd_client  client;
    xbl_mpsd_async   op;
    uint8_t          work[65536];
    xbl_mpsd_session session;          /* the cached copy */
    uint8_t          arena[65536];
    xbl_mpsd_session fresh;            /* a GET after a tap */
    uint8_t          fresh_arena[65536];
    /* Bob only */
    it_link          ws_link;
    skew_port        skew;
    xbl_mpsd_port    rta_port;
    xbl_mpsd_rta     rta;
    uint8_t          rta_buf[16384];
} it_user;

static it_user alice, bob;
static xbl_mpsd_session_reference g_ref;
#ifdef IT_TLS
static char g_ca[16384];
#endif
static int g_serial;

static xbl_mpsd_result auth_cb(void *user, const char *method, const char *path, const uint8_t *body,
        size_t body_len, char *authorization, size_t authorization_cap, char *signature, size_t signature_cap)
{
    const it_user *u = (const it_user *)user;
    int n = snprintf(authorization, authorization_cap, "XBL3.0 x=-;xuid=%llu,gt=%s",
                     (unsigned long long)u->xuid, u->gamertag);
    (void)method; (void)path; (void)body; (void)body_len;
    if (signature_cap) signature[0] = '\0';
    return n > 0 && (size_t)n < authorization_cap ? XBL_MPSD_OK : XBL_MPSD_E_OUTOFMEMORY;
}

static void zero_random(void *user, uint8_t *out, size_t len)
{
    (void)user;
    memset(out, 0, len);
}

static uint16_t emu_port(void)
{
    const char *p = getenv("MPSD_PORT");
    return (uint16_t)(p ? atoi(p) : 8910);
}

static void sleep_ms(long ms)
{
    struct timespec t;
    t.tv_sec = ms / 1000;
    t.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&t, NULL);
}

static void link_init(it_link *l)
{
    assert_int_equal(xbl_mpsd_port_posix_init(&l->tcp, &l->tcp_port), XBL_MPSD_OK);
#ifdef IT_TLS
    {
        xbl_mpsd_port_mbedtls_config tc;
        memset(&tc, 0, sizeof tc);
        tc.lower = &l->tcp_port;
        tc.server_name = "localhost";
        tc.ca_pem = g_ca;
        assert_int_equal(xbl_mpsd_port_mbedtls_init(&l->tls, &tc, &l->port), XBL_MPSD_OK);
    }
#else
    l->port = l->tcp_port;
#endif
}

static void link_free(it_link *l)
{
#ifdef IT_TLS
    xbl_mpsd_port_mbedtls_free(&l->tls);
#else
    (void)l;
#endif
}

static void user_init(it_user *u, uint64_t xuid, const char *gamertag)
{
    xbl_mpsd_client_config cfg;
    u->xuid = xuid;
    u->gamertag = gamertag;
    link_init(&u->http);
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &u->http.port;
    cfg.xuid = xuid;
    cfg.auth = auth_cb;
    cfg.auth_user = u;
    cfg.host = "127.0.0.1";
    cfg.port_number = emu_port();
    cfg.timeout_ms = 20000;
    assert_int_equal(xbl_mpsd_client_init(&u->client, &cfg), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_init(&u->op, u->work, sizeof u->work), XBL_MPSD_OK);
}

static void rta_init_with(it_user *u, uint32_t ping_interval_ms)
{
    xbl_mpsd_rta_config rc;
    link_init(&u->ws_link);
    u->skew.lower = u->ws_link.port;
    u->skew.skew = 0;
    u->rta_port.ctx = &u->skew;
    u->rta_port.connect = sk_connect;
    u->rta_port.send = sk_send;
    u->rta_port.recv = sk_recv;
    u->rta_port.close = sk_close;
    u->rta_port.now_ms = sk_now;
    memset(&rc, 0, sizeof rc);
    rc.port = &u->rta_port;
    rc.host = "127.0.0.1";
    rc.port_number = emu_port();
    rc.timeout_ms = 10000;
    rc.random = zero_random;
    rc.ping_interval_ms = ping_interval_ms;
    assert_int_equal(xbl_mpsd_rta_init(&u->rta, &u->client, &rc, u->rta_buf, sizeof u->rta_buf), XBL_MPSD_OK);
}

static void rta_init(it_user *u)
{
    rta_init_with(u, 0);
}

/* ---- the emulator's admin API ------------------------------------------ */

/* `s` in single quotes for the shell, into out (a quote becomes '\''). */
static void shell_quote(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    out[o++] = '\'';
    for (; *s && o + 5 < cap; s++) {
        if (*s == '\'') { memcpy(out + o, "'\\''", 4); o += 4; }
        else out[o++] = *s;
    }
    out[o++] = '\'';
    out[o] = '\0';
}

/* Runs emu.py and returns its first output line (without the newline). */
static const char *emu(char *out, size_t cap, const char *method, const char *path, const char *arg)
{
    char cmd[4096], q[2048];
    FILE *p;
    size_t n;
    shell_quote(q, sizeof q, arg ? arg : "");
    snprintf(cmd, sizeof cmd, "python3 tests/rta_integration/emu.py %s '%s' %s", method, path, arg ? q : "");
    p = popen(cmd, "r");
    assert_non_null(p);
    if (fgets(out, (int)cap, p) == NULL) out[0] = '\0';
    assert_int_equal(pclose(p), 0);
    n = strlen(out);
    if (n > 0 && out[n - 1] == '\n') out[n - 1] = '\0';
    return out;
}

static void emu_post(const char *path, const char *json)
{
    char out[4096];
    (void)emu(out, sizeof out, "POST", path, json);
}

/* A Python expression over GET path's answer `d`, as text. */
static const char *emu_get(char *out, size_t cap, const char *path, const char *expr)
{
    return emu(out, cap, "GET", path, expr);
}

/* Bob's member in the stored session: its properties.system.connection. */
static const char *stored_connection(char *out, size_t cap, uint64_t xuid)
{
    char expr[512];
    snprintf(expr, sizeof expr,
             "[m['properties']['system'].get('connection','') for k, s in d['sessions'].items() if k.lower().endswith('~%s')"
             " for m in s['members'].values() if str(m.get('xuid'))=='%llu'][0]",
             g_ref.session_name, (unsigned long long)xuid);
    return emu_get(out, cap, "/_emu/state", expr);
}

/* A field of the live RTA connection `id` in GET /_emu/rta. */
static long conn_field(const char *id, const char *field)
{
    char expr[512], out[64];
    snprintf(expr, sizeof expr, "[c['%s'] for c in d['connections'] if c['id']=='%s'][0]", field, id);
    return atol(emu_get(out, sizeof out, "/_emu/rta", expr));
}

static long rta_number(const char *field)
{
    char expr[128], out[64];
    snprintf(expr, sizeof expr, "d['%s']", field);
    return atol(emu_get(out, sizeof out, "/_emu/rta", expr));
}

/* ---- polling ------------------------------------------------------------- */

static xbl_mpsd_result wait_op(xbl_mpsd_async *op)
{
    xbl_mpsd_result rc;
    int i;
    for (i = 0; i < POLLS * 10; i++) {
        if ((rc = xbl_mpsd_async_poll(op)) != XBL_MPSD_PENDING) return rc;
        sleep_ms(0);
    }
    fail_msg("operation did not finish");
    return XBL_MPSD_E_TIMEOUT;
}

static xbl_mpsd_result write_session(it_user *u, xbl_mpsd_session_write_mode mode)
{
    xbl_mpsd_result rc = xbl_mpsd_write_session_async(&u->client, &u->session, mode, &u->op);
    if (rc != XBL_MPSD_OK) return rc;
    (void)wait_op(&u->op);
    return xbl_mpsd_write_session_result(&u->op, &u->session);
}

static xbl_mpsd_result get_fresh(it_user *u, const xbl_mpsd_session_reference *ref)
{
    xbl_mpsd_result rc = xbl_mpsd_session_init(&u->fresh, u->xuid, NULL, NULL, u->fresh_arena, sizeof u->fresh_arena);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_get_session_async(&u->client, ref, &u->op);
    if (rc != XBL_MPSD_OK) return rc;
    (void)wait_op(&u->op);
    return xbl_mpsd_get_session_result(&u->op, &u->fresh);
}

/* Bob's next event, polling at most POLLS times. */
static xbl_mpsd_rta_event next_event(void)
{
    xbl_mpsd_rta_event ev;
    int i;
    for (i = 0; i < POLLS; i++) {
        xbl_mpsd_result r = xbl_mpsd_rta_poll(&bob.rta, &ev);
        if (r == XBL_MPSD_OK) return ev;
        assert_int_equal(r, XBL_MPSD_PENDING);
        assert_int_equal(ev.type, XBL_MPSD_RTA_EVENT_NONE);
        sleep_ms(1);
    }
    fail_msg("no RTA event");
    return ev;
}

static xbl_mpsd_rta_event expect_event(xbl_mpsd_rta_event_type type)
{
    xbl_mpsd_rta_event ev = next_event();
    if (ev.type != type) fail_msg("RTA event %d (result %s), want %d", (int)ev.type, xbl_mpsd_result_string(ev.result), (int)type);
    return ev;
}

static void expect_state(xbl_mpsd_real_time_activity_connection_state state)
{
    xbl_mpsd_rta_event ev = expect_event(XBL_MPSD_RTA_EVENT_CONNECTION_STATE_CHANGED);
    assert_int_equal(ev.connection_state, state);
}

/* The connection was lost: CONNECTING with the cause and the close code. */
static void expect_connection_lost(xbl_mpsd_result result, uint16_t close_code)
{
    xbl_mpsd_rta_event ev = expect_event(XBL_MPSD_RTA_EVENT_CONNECTION_STATE_CHANGED);
    assert_int_equal(ev.connection_state, XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING);
    assert_int_equal(ev.result, result);
    assert_int_equal(ev.close_code, close_code);
}

/* A fresh connection: CONNECTING (from `result`), CONNECTED, the new ID. */
static void expect_reconnect(char *id_out)
{
    xbl_mpsd_rta_event ev;
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED);
    ev = expect_event(XBL_MPSD_RTA_EVENT_CONNECTION_ID_CHANGED);
    assert_int_equal(ev.result, XBL_MPSD_OK);
    assert_true(strlen(ev.connection_id) > 0);
    assert_string_equal(ev.connection_id, xbl_mpsd_rta_connection_id(&bob.rta));
    strcpy(id_out, ev.connection_id);
}

/* The tap for `change_number` of the watched session. */
static void expect_tap(uint64_t change_number)
{
    xbl_mpsd_rta_event ev = expect_event(XBL_MPSD_RTA_EVENT_SESSION_CHANGED);
    assert_int_equal(ev.result, XBL_MPSD_OK);
    assert_string_equal(ev.session_change.session_reference.scid, SCID);
    assert_string_equal(ev.session_change.session_reference.session_template_name, g_ref.session_template_name);
    assert_string_equal(ev.session_change.session_reference.session_name, g_ref.session_name);
    assert_string_equal(ev.session_change.branch, xbl_mpsd_session_get_info(&bob.session)->branch);
    assert_int_equal(ev.session_change.change_number, change_number);
}

/* The watch step: a tap newer than Bob's copy, a GET, compare; the copy advances. */
static xbl_mpsd_session_change_types tap_then_compare(void)
{
    xbl_mpsd_session_change_types what;
    uint64_t have = xbl_mpsd_session_get_info(&bob.session)->change_number;
    expect_tap(have + 1);
    assert_int_equal(get_fresh(&bob, &g_ref), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_get_info(&bob.fresh)->change_number, have + 1);
    what = xbl_mpsd_session_compare(&bob.fresh, &bob.session);
    assert_int_equal(xbl_mpsd_session_copy(&bob.session, &bob.fresh), XBL_MPSD_OK);
    return what;
}

static void alice_write(void)
{
    assert_int_equal(write_session(&alice, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&alice.op), 200);
}

/* Bob writes himself active again (stamping the current ID); his own tap follows. */
static void bob_restamp(void)
{
    assert_int_equal(xbl_mpsd_session_current_user_set_status(&bob.session, XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE), XBL_MPSD_OK);
    assert_int_equal(write_session(&bob, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&bob.op), 200);
}

static void new_session_ref_in(const char *template_name)
{
    char name[64];
    snprintf(name, sizeof name, "rta-%ld-%d", (long)time(NULL), ++g_serial);
    g_ref = xbl_mpsd_session_reference_create(SCID, template_name, name);
}

static void new_session_ref(void)
{
    new_session_ref_in("quick");
}

/* Bob creates the watched session: a member, active, subscribed to everything. */
static void bob_creates_in(const char *template_name)
{
    char out[128];
    new_session_ref_in(template_name);
    assert_int_equal(xbl_mpsd_session_init(&bob.session, bob.xuid, &g_ref, NULL, bob.arena, sizeof bob.arena), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_join(&bob.session, NULL, false, true), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_set_session_change_subscription(&bob.session, XBL_MPSD_SESSION_CHANGE_TYPES_EVERYTHING), XBL_MPSD_OK);
    assert_int_equal(write_session(&bob, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&bob.op), 201);
    assert_string_equal(stored_connection(out, sizeof out, bob.xuid), xbl_mpsd_rta_connection_id(&bob.rta));
    expect_tap(1);   /* the writer is tapped too: not newer than his copy */
}

static void bob_creates(void)
{
    bob_creates_in("quick");
}

static void alice_joins(void)
{
    assert_int_equal(xbl_mpsd_session_init(&alice.session, alice.xuid, &g_ref, NULL, alice.arena, sizeof alice.arena), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_join(&alice.session, NULL, false, true), XBL_MPSD_OK);
    alice_write();
}

/* ---- the tests ----------------------------------------------------------- */

static void connection_id_and_refused_write(void **state)
{
    xbl_mpsd_rta_event ev;
    char out[128];
    (void)state;
    new_session_ref();
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&bob.client, true), XBL_MPSD_OK);
    /* no ID yet: a write that sets the member active is refused, nothing sent */
    assert_int_equal(xbl_mpsd_session_init(&bob.session, bob.xuid, &g_ref, NULL, bob.arena, sizeof bob.arena), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_join(&bob.session, NULL, false, true), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_write_session_async(&bob.client, &bob.session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &bob.op),
                     XBL_MPSD_E_RTA_NO_CONNECTION_ID);

    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED);
    ev = expect_event(XBL_MPSD_RTA_EVENT_CONNECTION_ID_CHANGED);
    assert_string_equal(ev.connection_id, xbl_mpsd_rta_connection_id(&bob.rta));
    assert_int_equal(strlen(ev.connection_id), 36);   /* the emulator's uuid4 */
    assert_int_equal(xbl_mpsd_rta_connection_state(&bob.rta), XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED);
    assert_true(xbl_mpsd_subscriptions_enabled(&bob.client));
    /* the service side: Bob's connection, one connections subscription */
    assert_string_equal(emu_get(out, sizeof out, "/_emu/rta",
                                "[str(c['xuid'])+' '+c['subscriptions'][0]['uri'] for c in d['connections']][0]"),
                        "2814600000000002 https://sessiondirectory.xboxlive.com/connections/");
}

static void watch_join_property_leave(void **state)
{
    xbl_mpsd_session_change_types what;
    (void)state;
    bob_creates();

    alice_joins();
    what = tap_then_compare();
    assert_true(what & XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_LIST_CHANGE);
    assert_int_equal(xbl_mpsd_session_get_info(&bob.session)->change_number, 2);

    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&alice.session, "map", "\"canyon\""), XBL_MPSD_OK);
    alice_write();
    what = tap_then_compare();
    assert_int_equal(what, XBL_MPSD_SESSION_CHANGE_TYPES_CUSTOM_PROPERTY_CHANGE);

    assert_int_equal(xbl_mpsd_session_current_user_set_custom_property_json(&alice.session, "score", "7"), XBL_MPSD_OK);
    alice_write();
    what = tap_then_compare();
    assert_int_equal(what, XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_CUSTOM_PROPERTY_CHANGE);

    assert_int_equal(xbl_mpsd_session_leave(&alice.session), XBL_MPSD_OK);
    assert_int_equal(write_session(&alice, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING), XBL_MPSD_OK);
    what = tap_then_compare();
    assert_int_equal(what, XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_LIST_CHANGE);
    {
        const xbl_mpsd_session_member *members;
        size_t count;
        assert_int_equal(xbl_mpsd_session_members(&bob.session, &members, &count), XBL_MPSD_OK);
        assert_int_equal(count, 1);
        assert_string_equal(members[0].gamertag, "Bob");
    }
}

/* The emulator drops Bob's socket (`mode`); Bob reconnects at once (no
   jitter), gets a new ID, and a tap sent to the old ID in between is lost
   until he writes the new one. */
static void drop_and_reconnect(const char *mode, xbl_mpsd_result want_result, uint16_t want_code)
{
    char old_id[XBL_MPSD_RTA_CONNECTION_ID_MAX_LENGTH], new_id[XBL_MPSD_RTA_CONNECTION_ID_MAX_LENGTH];
    char body[256], out[128];
    long dropped;
    strcpy(old_id, xbl_mpsd_rta_connection_id(&bob.rta));
    snprintf(body, sizeof body, "{\"connection\": \"%s\", \"mode\": \"%s\", \"code\": 1001}", old_id, mode);
    emu_post("/_emu/rta/drop", body);
    expect_connection_lost(want_result, want_code);
    assert_int_equal(xbl_mpsd_rta_last_result(&bob.rta), want_result);
    /* between connections there is no ID: a write that does not set the
       member active goes out unstamped, one that does is refused unsent */
    assert_string_equal(xbl_mpsd_rta_connection_id(&bob.rta), "");
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&bob.session, "gap", "true"), XBL_MPSD_OK);
    assert_int_equal(write_session(&bob, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&bob.op), 200);
    assert_string_equal(stored_connection(out, sizeof out, bob.xuid), old_id);
    assert_int_equal(xbl_mpsd_session_current_user_set_status(&bob.session, XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_write_session_async(&bob.client, &bob.session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &bob.op),
                     XBL_MPSD_E_RTA_NO_CONNECTION_ID);
    expect_reconnect(new_id);
    assert_string_not_equal(new_id, old_id);
    assert_true(xbl_mpsd_subscriptions_enabled(&bob.client));
    assert_int_equal(conn_field(new_id, "framesIn") > 0, 1);

    /* MPSD still names the old connection: Alice's change is not heard */
    dropped = rta_number("tapsDropped");
    assert_string_equal(stored_connection(out, sizeof out, bob.xuid), old_id);
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&alice.session, "drop", "\"one\""), XBL_MPSD_OK);
    alice_write();
    assert_int_equal(rta_number("tapsDropped"), dropped + 1);
    assert_int_equal(conn_field(new_id, "tapsSent"), 0);

    /* the rewrite stamps the new ID; its answer shows what was missed */
    bob_restamp();
    assert_string_equal(stored_connection(out, sizeof out, bob.xuid), new_id);
    expect_tap(xbl_mpsd_session_get_info(&bob.session)->change_number);
    assert_int_equal(conn_field(new_id, "tapsSent"), 1);
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&alice.session, "drop", "\"two\""), XBL_MPSD_OK);
    alice_write();
    assert_int_equal(tap_then_compare(), XBL_MPSD_SESSION_CHANGE_TYPES_CUSTOM_PROPERTY_CHANGE);
}

static void reconnect_after_reset(void **state)
{
    (void)state;
    bob_creates();
    alice_joins();
    (void)tap_then_compare();
    drop_and_reconnect("reset", XBL_MPSD_E_IO, 1006);
}

static void reconnect_after_close(void **state)
{
    (void)state;
    drop_and_reconnect("close", XBL_MPSD_E_WS_CLOSED, 1001);
}

/* One subscribe answered 1001: retried at once (the first throttle waits 0 s). */
static void throttled_subscribe(void **state)
{
    char id[XBL_MPSD_RTA_CONNECTION_ID_MAX_LENGTH], body[256], out[256];
    (void)state;
    emu_post("/_emu/rta/fault", "{\"fault\": \"throttle\", \"count\": 1}");
    snprintf(body, sizeof body, "{\"connection\": \"%s\", \"mode\": \"reset\"}", xbl_mpsd_rta_connection_id(&bob.rta));
    emu_post("/_emu/rta/drop", body);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING);
    expect_reconnect(id);
    /* two subscribes, one text (the same SEQ): the throttled one and the retry */
    snprintf(body, sizeof body, "(lambda L: '%%d %%d' %% (len(L), len(set(L))))([m for c in d['connections']"
             " if c['id']=='%s' for m in c['messagesIn'] if m.startswith('[1,')])", id);
    assert_string_equal(emu_get(out, sizeof out, "/_emu/rta", body), "2 1");
    bob_restamp();
    expect_tap(xbl_mpsd_session_get_info(&bob.session)->change_number);
}

/* A subscribe refused with code 3: SUBSCRIPTION_LOST(ACCESS_DENIED),
   subscriptions off, the unwanted connection closed; writes no longer stamp. */
static void refused_subscribe(void **state)
{
    char body[256], out[128];
    xbl_mpsd_rta_event ev;
    (void)state;
    emu_post("/_emu/rta/fault", "{\"fault\": \"subfail=3\", \"count\": 1}");
    snprintf(body, sizeof body, "{\"connection\": \"%s\", \"mode\": \"reset\"}", xbl_mpsd_rta_connection_id(&bob.rta));
    emu_post("/_emu/rta/drop", body);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED);
    ev = expect_event(XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST);
    assert_int_equal(ev.result, XBL_MPSD_E_RTA_ACCESS_DENIED);
    assert_false(xbl_mpsd_subscriptions_enabled(&bob.client));
    assert_string_equal(xbl_mpsd_rta_connection_id(&bob.rta), "");
    ev = expect_event(XBL_MPSD_RTA_EVENT_CONNECTION_STATE_CHANGED);
    assert_int_equal(ev.connection_state, XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED);
    assert_int_equal(ev.close_code, 1000);
    assert_int_equal(rta_number("tapsDropped") >= 0, 1);
    assert_string_equal(emu_get(out, sizeof out, "/_emu/rta", "len(d['connections'])"), "0");

    /* subscriptions off: the active write goes out without a connection */
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&bob.session, "mode", "\"offline\""), XBL_MPSD_OK);
    bob_restamp();

    /* on again: a new connection, a new ID, stamped */
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&bob.client, true), XBL_MPSD_OK);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING);
    {
        char id[XBL_MPSD_RTA_CONNECTION_ID_MAX_LENGTH];
        expect_reconnect(id);
        bob_restamp();
        assert_string_equal(stored_connection(out, sizeof out, bob.xuid), id);
    }
    expect_tap(xbl_mpsd_session_get_info(&bob.session)->change_number);
}

/* [4] in the first five minutes of a connection is ignored, later it is a RESYNC. */
static void resync(void **state)
{
    char body[256];
    xbl_mpsd_rta_event ev;
    (void)state;
    snprintf(body, sizeof body, "{\"connection\": \"%s\"}", xbl_mpsd_rta_connection_id(&bob.rta));
    emu_post("/_emu/rta/resync", body);
    /* the next message after the ignored [4] is a tap: it comes out first */
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&alice.session, "resync", "1"), XBL_MPSD_OK);
    alice_write();
    (void)tap_then_compare();
    bob.skew.skew += 301000u;
    emu_post("/_emu/rta/resync", body);
    ev = expect_event(XBL_MPSD_RTA_EVENT_RESYNC);
    assert_int_equal(ev.result, XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_rta_connection_state(&bob.rta), XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED);
}

/* A removed member gets one final tap, then nothing: its subscription went with it. */
static void subscription_gone_after_removal(void **state)
{
    char body[512];
    long sent;
    const char *id;
    (void)state;
    id = xbl_mpsd_rta_connection_id(&bob.rta);
    snprintf(body, sizeof body, "{\"scid\": \"%s\", \"templateName\": \"quick\", \"name\": \"%s\", \"xuid\": \"%llu\", \"remove\": true}",
             SCID, g_ref.session_name, (unsigned long long)bob.xuid);
    emu_post("/_emu/member", body);
    (void)tap_then_compare();
    assert_null(xbl_mpsd_session_current_user(&bob.session));
    sent = conn_field(id, "tapsSent");
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&alice.session, "after", "1"), XBL_MPSD_OK);
    alice_write();
    assert_int_equal(conn_field(id, "tapsSent"), sent);
    /* the connection itself is fine: Bob's next own session is heard */
    bob_creates();
}

/* Bob leaves himself: the leave's own tap, then no more. */
static void subscription_gone_after_leave(void **state)
{
    long sent;
    const char *id;
    (void)state;
    alice_joins();
    (void)tap_then_compare();
    id = xbl_mpsd_rta_connection_id(&bob.rta);
    assert_int_equal(xbl_mpsd_session_leave(&bob.session), XBL_MPSD_OK);
    assert_int_equal(write_session(&bob, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING), XBL_MPSD_OK);
    sent = conn_field(id, "tapsSent");
    (void)expect_event(XBL_MPSD_RTA_EVENT_SESSION_CHANGED);   /* the final tap */
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&alice.session, "after", "2"), XBL_MPSD_OK);
    alice_write();
    assert_int_equal(conn_field(id, "tapsSent"), sent);
}

/* ---- the emulator's RTA fault modes ---------------------------------------- */

/* Arms `fault` (count 1) and resets Bob's socket: the next connection meets it. */
static void reconnect_into(const char *fault)
{
    char body[256];
    snprintf(body, sizeof body, "{\"fault\": \"%s\", \"count\": 1}", fault);
    emu_post("/_emu/rta/fault", body);
    snprintf(body, sizeof body, "{\"connection\": \"%s\", \"mode\": \"reset\"}", xbl_mpsd_rta_connection_id(&bob.rta));
    emu_post("/_emu/rta/drop", body);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING);
}

/* Connected again with a new ID: Bob stamps it; his own tap follows. */
static void connected_and_stamped(void)
{
    char id[XBL_MPSD_RTA_CONNECTION_ID_MAX_LENGTH];
    expect_reconnect(id);
    bob_restamp();
    expect_tap(xbl_mpsd_session_get_info(&bob.session)->change_number);
}

/* Alice changes a custom property; Bob hears it through the tap. */
static void alice_change_heard(const char *value)
{
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&alice.session, "fault", value), XBL_MPSD_OK);
    alice_write();
    assert_int_equal(tap_then_compare(), XBL_MPSD_SESSION_CHANGE_TYPES_CUSTOM_PROPERTY_CHANGE);
}

/* Odd but valid server framing: the 101 and a ping in one write, every
   message in 7-byte fragments with a ping between, every frame dripped. */
static void odd_framing_still_delivers(void **state)
{
    (void)state;
    bob_creates();
    alice_joins();
    (void)tap_then_compare();
    reconnect_into("coalesce");
    connected_and_stamped();
    alice_change_heard("1");
    reconnect_into("fragment=7");
    connected_and_stamped();
    alice_change_heard("2");
    reconnect_into("drip");
    connected_and_stamped();
    alice_change_heard("3");
}

/* A broken frame or an oversized message loses the connection with the
   close code Bob sent; he reconnects. Bad JSON and unknown types are ignored. */
static void broken_messages(void **state)
{
    char id[XBL_MPSD_RTA_CONNECTION_ID_MAX_LENGTH], out[64];
    xbl_mpsd_rta_event ev;
    (void)state;
    strcpy(id, xbl_mpsd_rta_connection_id(&bob.rta));
    emu_post("/_emu/rta/fault", "{\"fault\": \"badjson,unknowntype\", \"count\": 1}");
    alice_change_heard("4");   /* "[3," and "[99,1]" went first */
    assert_string_equal(xbl_mpsd_rta_connection_id(&bob.rta), id);

    emu_post("/_emu/rta/fault", "{\"fault\": \"badframe=rsv\", \"count\": 1}");
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&alice.session, "fault", "5"), XBL_MPSD_OK);
    alice_write();
    expect_connection_lost(XBL_MPSD_E_WS_PROTOCOL, 1002);
    assert_string_equal(emu_get(out, sizeof out, "/_emu/rta", "d['closed'][-1]['clientCloseCode']"), "1002");
    connected_and_stamped();

    emu_post("/_emu/rta/fault", "{\"fault\": \"badframe=bigmsg=20000\", \"count\": 1}");
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&alice.session, "fault", "6"), XBL_MPSD_OK);
    alice_write();
    ev = expect_event(XBL_MPSD_RTA_EVENT_CONNECTION_STATE_CHANGED);
    assert_int_equal(ev.result, XBL_MPSD_E_WS_MESSAGE_TOO_BIG);
    assert_int_equal(ev.close_code, 1009);
    assert_true(xbl_mpsd_rta_needed_bytes(&bob.rta) >= 20000);
    assert_string_equal(emu_get(out, sizeof out, "/_emu/rta", "d['closed'][-1]['clientCloseCode']"), "1009");
    connected_and_stamped();
}

/* Polls until an attempt has failed with `want` (no event: the state stays
   CONNECTING), then moves the RTA clock past the back-off (1 s, no jitter;
   Retry-After: 1 for a 503). */
static void attempt_fails_then_backoff(xbl_mpsd_result want)
{
    xbl_mpsd_rta_event ev;
    int i;
    for (i = 0; i < POLLS && xbl_mpsd_rta_last_result(&bob.rta) != want; i++) {
        assert_int_equal(xbl_mpsd_rta_poll(&bob.rta, &ev), XBL_MPSD_PENDING);
        sleep_ms(1);
    }
    assert_int_equal(xbl_mpsd_rta_last_result(&bob.rta), want);
    assert_int_equal(xbl_mpsd_rta_connection_state(&bob.rta), XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING);
    bob.skew.skew += 1000u;
}

/* Handshake refusals: the attempt fails silently, the next one waits the
   back-off and succeeds; last_result keeps the cause. */
static void refused_handshakes_retry(void **state)
{
    (void)state;
    reconnect_into("reject=503");
    attempt_fails_then_backoff(XBL_MPSD_E_HTTP_STATUS(503));
    connected_and_stamped();
    assert_int_equal(xbl_mpsd_rta_last_result(&bob.rta), XBL_MPSD_E_HTTP_STATUS(503));
    reconnect_into("badaccept");
    attempt_fails_then_backoff(XBL_MPSD_E_WS_HANDSHAKE);
    connected_and_stamped();
    reconnect_into("badprotocol");
    attempt_fails_then_backoff(XBL_MPSD_E_WS_HANDSHAKE);
    connected_and_stamped();
    reconnect_into("extensions");
    attempt_fails_then_backoff(XBL_MPSD_E_WS_HANDSHAKE);
    connected_and_stamped();
    reconnect_into("noupgrade");
    attempt_fails_then_backoff(XBL_MPSD_E_WS_HANDSHAKE);
    connected_and_stamped();
    alice_change_heard("7");
}

/* A subscribe never answered: after timeout_ms (moved on the RTA clock) the
   connection is dropped without a close frame and a new one subscribes. */
static void unanswered_subscribe_reconnects(void **state)
{
    xbl_mpsd_rta_event ev;
    (void)state;
    reconnect_into("noreply");
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED);
    assert_int_equal(xbl_mpsd_rta_poll(&bob.rta, &ev), XBL_MPSD_PENDING);   /* the subscribe goes out */
    bob.skew.skew += 10001u;
    expect_connection_lost(XBL_MPSD_E_TIMEOUT, 1006);
    connected_and_stamped();
    alice_change_heard("8");
}

/* A reply without a ConnectionId: SUBSCRIPTION_LOST(E_RTA_PROTOCOL), off. */
static void reply_without_connection_id(void **state)
{
    xbl_mpsd_rta_event ev;
    (void)state;
    reconnect_into("noconnectionid");
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED);
    ev = expect_event(XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST);
    assert_int_equal(ev.result, XBL_MPSD_E_RTA_PROTOCOL);
    assert_false(xbl_mpsd_subscriptions_enabled(&bob.client));
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED);
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&bob.client, true), XBL_MPSD_OK);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING);
    connected_and_stamped();
}

/* The server pings every 20 ms: every pong echoes its payload. */
static void server_pings_answered(void **state)
{
    char expr[256], out[64];
    const char *id;
    xbl_mpsd_rta_event ev;
    int i;
    (void)state;
    reconnect_into("ping=20");
    connected_and_stamped();
    id = xbl_mpsd_rta_connection_id(&bob.rta);
    snprintf(expr, sizeof expr, "[str(c['pongs']['matched'])+' '+str(c['pongs']['mismatched']) for c in d['connections'] if c['id']=='%s'][0]", id);
    for (i = 0; i < 200; i++) {
        int j;
        for (j = 0; j < 20; j++) {
            assert_int_equal(xbl_mpsd_rta_poll(&bob.rta, &ev), XBL_MPSD_PENDING);
            sleep_ms(1);
        }
        if (atol(emu_get(out, sizeof out, "/_emu/rta", expr)) >= 3) break;
    }
    assert_true(atol(out) >= 3);
    assert_non_null(strstr(out, " 0"));   /* none mismatched */
    alice_change_heard("9");
}

/* The server ends the connection after its lifetime (close 1001): reconnect. */
static void server_lifetime_close(void **state)
{
    (void)state;
    reconnect_into("lifetime=200");
    connected_and_stamped();
    expect_connection_lost(XBL_MPSD_E_WS_CLOSED, 1001);
    connected_and_stamped();
}

/* With a keepalive: a server gone silent (`drop` silent) is detected by the
   unanswered ping (the RTA clock moved past two intervals), and Bob reconnects. */
static void keepalive_detects_silent_server(void **state)
{
    char body[256];
    xbl_mpsd_rta_event ev;
    (void)state;
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&bob.client, false), XBL_MPSD_OK);
    (void)expect_event(XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED);
    xbl_mpsd_rta_close(&bob.rta);
    link_free(&bob.ws_link);
    rta_init_with(&bob, 60000);
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&bob.client, true), XBL_MPSD_OK);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING);
    connected_and_stamped();

    snprintf(body, sizeof body, "{\"connection\": \"%s\", \"mode\": \"silent\"}", xbl_mpsd_rta_connection_id(&bob.rta));
    emu_post("/_emu/rta/drop", body);
    bob.skew.skew += 60001u;
    assert_int_equal(xbl_mpsd_rta_poll(&bob.rta, &ev), XBL_MPSD_PENDING);   /* the keepalive ping goes out */
    assert_int_equal(xbl_mpsd_rta_poll(&bob.rta, &ev), XBL_MPSD_PENDING);
    bob.skew.skew += 60001u;
    expect_connection_lost(XBL_MPSD_E_TIMEOUT, 1006);
    connected_and_stamped();
    alice_change_heard("10");
}

/* connectionRequiredStrict: on a session with connectionRequiredForActiveMembers
   an active write must name a live connection of the writer. Bob's stamped
   writes pass; with subscriptions off (no stamp) the service refuses. */
static void connection_required_strict(void **state)
{
    xbl_mpsd_rta_event ev;
    (void)state;
    emu_post("/_emu/templates", "{\"name\": \"strict\", \"template\": {\"contractVersion\": 107, \"constants\": "
             "{\"system\": {\"version\": 1, \"maxMembersCount\": 8, \"inactiveRemovalTimeout\": 7200000, \"capabilities\": {\"connectionRequiredForActiveMembers\": true}}}}}");
    emu_post("/_emu/options", "{\"connectionRequiredStrict\": true}");
    bob_creates_in("strict");   /* stamped: accepted */

    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&bob.client, false), XBL_MPSD_OK);
    ev = expect_event(XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST);
    assert_int_equal(ev.result, XBL_MPSD_OK);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED);
    assert_int_equal(xbl_mpsd_session_current_user_set_status(&bob.session, XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE), XBL_MPSD_OK);
    assert_int_equal(write_session(&bob, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING), XBL_MPSD_E_HTTP_STATUS(400));
    assert_non_null(strstr(xbl_mpsd_async_error_text(&bob.op), "connection required for active members"));

    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&bob.client, true), XBL_MPSD_OK);
    expect_state(XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING);
    connected_and_stamped();
    emu_post("/_emu/options", "{\"connectionRequiredStrict\": false}");
}

/* connectionRequiredForActiveMembers: MPSD sets a member inactive the grace
   time after its connection ended, unless a write named a new one. Bob's
   rewrite after CONNECTION_ID_CHANGED keeps him active; without it he goes
   inactive (the emulator clock moved past the grace). */
static void disconnect_grace_needs_the_rewrite(void **state)
{
    char body[256];
    (void)state;
    snprintf(body, sizeof body, "{\"connection\": \"%s\", \"mode\": \"reset\"}", xbl_mpsd_rta_connection_id(&bob.rta));
    emu_post("/_emu/rta/drop", body);
    expect_connection_lost(XBL_MPSD_E_IO, 1006);
    connected_and_stamped();
    emu_post("/_emu/clock", "{\"advanceMs\": 30001}");
    assert_int_equal(get_fresh(&bob, &g_ref), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_current_user(&bob.fresh)->status, XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE);
    assert_int_equal(xbl_mpsd_session_compare(&bob.fresh, &bob.session), XBL_MPSD_SESSION_CHANGE_TYPES_NONE);

    snprintf(body, sizeof body, "{\"connection\": \"%s\", \"mode\": \"reset\"}", xbl_mpsd_rta_connection_id(&bob.rta));
    emu_post("/_emu/rta/drop", body);
    expect_connection_lost(XBL_MPSD_E_IO, 1006);
    {
        char id[XBL_MPSD_RTA_CONNECTION_ID_MAX_LENGTH];
        expect_reconnect(id);   /* no rewrite this time */
    }
    emu_post("/_emu/clock", "{\"advanceMs\": 30001}");
    assert_int_equal(get_fresh(&bob, &g_ref), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_current_user(&bob.fresh)->status, XBL_MPSD_SESSION_MEMBER_STATUS_INACTIVE);
    assert_int_equal(xbl_mpsd_session_compare(&bob.fresh, &bob.session), XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_STATUS_CHANGE);
    assert_int_equal(xbl_mpsd_session_copy(&bob.session, &bob.fresh), XBL_MPSD_OK);
    bob_restamp();   /* active again, on the new connection */
    assert_int_equal(xbl_mpsd_session_current_user(&bob.session)->status, XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE);
    expect_tap(xbl_mpsd_session_get_info(&bob.session)->change_number);
}

/* Disabled: SUBSCRIPTION_LOST(OK), the unsubscribe, a graceful close. */
static void disable_closes(void **state)
{
    xbl_mpsd_rta_event ev;
    char out[64];
    (void)state;
    assert_int_equal(xbl_mpsd_set_subscriptions_enabled(&bob.client, false), XBL_MPSD_OK);
    ev = expect_event(XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST);
    assert_int_equal(ev.result, XBL_MPSD_OK);
    ev = expect_event(XBL_MPSD_RTA_EVENT_CONNECTION_STATE_CHANGED);
    assert_int_equal(ev.connection_state, XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED);
    assert_int_equal(ev.close_code, 1000);
    assert_string_equal(emu_get(out, sizeof out, "/_emu/rta", "d['closed'][-1]['clientCloseCode']"), "1000");
}

static int setup(void **state)
{
#ifdef IT_TLS
    const char *ca = getenv("MPSD_CA_FILE");
    FILE *f = ca ? fopen(ca, "rb") : NULL;
    size_t n;
    if (f == NULL) return -1;
    n = fread(g_ca, 1, sizeof g_ca - 1, f);
    fclose(f);
    g_ca[n] = '\0';
#endif
    (void)state;
    user_init(&alice, 2814600000000001ULL, "Alice");
    user_init(&bob, 2814600000000002ULL, "Bob");
    rta_init(&bob);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    xbl_mpsd_rta_close(&bob.rta);
    xbl_mpsd_client_close(&alice.client);
    xbl_mpsd_client_close(&bob.client);
    link_free(&bob.ws_link);
    link_free(&alice.http);
    link_free(&bob.http);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(connection_id_and_refused_write),
        cmocka_unit_test(watch_join_property_leave),
        cmocka_unit_test(reconnect_after_reset),
        cmocka_unit_test(reconnect_after_close),
        cmocka_unit_test(throttled_subscribe),
        cmocka_unit_test(refused_subscribe),
        cmocka_unit_test(resync),
        cmocka_unit_test(subscription_gone_after_removal),
        cmocka_unit_test(subscription_gone_after_leave),
        cmocka_unit_test(odd_framing_still_delivers),
        cmocka_unit_test(broken_messages),
        cmocka_unit_test(refused_handshakes_retry),
        cmocka_unit_test(unanswered_subscribe_reconnects),
        cmocka_unit_test(reply_without_connection_id),
        cmocka_unit_test(server_pings_answered),
        cmocka_unit_test(server_lifetime_close),
        cmocka_unit_test(keepalive_detects_silent_server),
        cmocka_unit_test(connection_required_strict),
        cmocka_unit_test(disconnect_grace_needs_the_rewrite),
        cmocka_unit_test(disable_closes),
    };
#ifdef IT_TLS
    return cmocka_run_group_tests_name("rta integration (TLS)", tests, setup, teardown);
#else
    return cmocka_run_group_tests_name("rta integration", tests, setup, teardown);
#endif
}
