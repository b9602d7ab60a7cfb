/* Real-time session notifications: Bob keeps an RTA WebSocket open and
   hears, as events, every change Alice makes to his session: her join, a
   property change, her leave. He reads the session only after a shoulder
   tap says it changed, and xbl_mpsd_session_compare tells him what changed.
   No GET runs in a loop.
   usage: watch_session [--trace] [host [port [session-name]]]
   (the emulator serves RTA on its own port, GET /connect) */
#include "example_common.h"

static example_user alice, bob;
static example_user bob_rta_link;   /* only its port: the RTA object needs a connection of its own */
static xbl_mpsd_rta rta;
static uint8_t      rta_buffer[16384];
static xbl_mpsd_session fresh;      /* the session as a GET after a tap returns it */
static uint8_t          fresh_arena[65536];

#define FRAMES 10000                /* 1 ms frames: the watcher gives up after about 10 s */

static void frame(void)
{
    struct timespec t = { 0, 1000000 };
    nanosleep(&t, NULL);
}

static void print_change_types(xbl_mpsd_session_change_types what)
{
    uint32_t bit;
    const char *sep = "";
    if (what == XBL_MPSD_SESSION_CHANGE_TYPES_NONE) printf("None");
    for (bit = 1; bit != 0 && bit <= what; bit <<= 1) {
        if (!(what & bit)) continue;
        printf("%s%s", sep, xbl_mpsd_session_change_type_string(bit));
        sep = ", ";
    }
}

static const char *state_name(xbl_mpsd_real_time_activity_connection_state s)
{
    return s == XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED ? "connected"
         : s == XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING ? "connecting" : "disconnected";
}

/* Branches are GUIDs: compared ignoring case. */
static bool same_branch(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if ((*a | 0x20) != (*b | 0x20)) return false;
    return *a == *b;
}

/* A tap newer than Bob's copy: one GET, compare, keep the new copy. */
static int on_session_changed(const xbl_mpsd_session_change_event_args *tap)
{
    const xbl_mpsd_session_info *have = xbl_mpsd_session_get_info(&bob.session);
    xbl_mpsd_session_change_types what;
    xbl_mpsd_result rc;
    if (same_branch(have->branch, tap->branch) && tap->change_number <= have->change_number) return 0;
    rc = xbl_mpsd_session_init(&fresh, bob.xuid, NULL, NULL, fresh_arena, sizeof fresh_arena);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_get_session_async(&bob.client, &tap->session_reference, &bob.op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&bob.op);
    if ((rc = xbl_mpsd_get_session_result(&bob.op, &fresh)) != XBL_MPSD_OK) { example_fail("Bob's read", rc, &bob.op); return -1; }
    what = xbl_mpsd_session_compare(&fresh, &bob.session);
    printf("Bob hears: session %s changed (change #%llu): ", tap->session_reference.session_name,
           (unsigned long long)tap->change_number);
    print_change_types(what);
    printf("\n");
    return xbl_mpsd_session_copy(&bob.session, &fresh) == XBL_MPSD_OK ? 1 : -1;
}

/* Bob's frame loop: polls the RTA object until `want` is handed out (for
   SESSION_CHANGED: one newer than his copy, read and compared). */
static int watch_until(xbl_mpsd_rta_event_type want)
{
    int i;
    for (i = 0; i < FRAMES; i++) {
        xbl_mpsd_rta_event ev;
        int r = 0;
        if (xbl_mpsd_rta_poll(&rta, &ev) != XBL_MPSD_OK) { frame(); continue; }
        switch (ev.type) {
        case XBL_MPSD_RTA_EVENT_CONNECTION_STATE_CHANGED:
            printf("Bob's RTA connection: %s%s%s\n", state_name(ev.connection_state),
                   ev.result != XBL_MPSD_OK ? " after " : "", ev.result != XBL_MPSD_OK ? xbl_mpsd_result_string(ev.result) : "");
            break;
        case XBL_MPSD_RTA_EVENT_CONNECTION_ID_CHANGED:
            printf("Bob's connection ID: %s (his writes that set him active carry it)\n", ev.connection_id);
            break;
        case XBL_MPSD_RTA_EVENT_SESSION_CHANGED:
            r = on_session_changed(&ev.session_change);
            if (r < 0) return -1;
            break;
        case XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST:
            if (ev.result != XBL_MPSD_OK) { fprintf(stderr, "subscription lost: %s\n", xbl_mpsd_result_string(ev.result)); return -1; }
            break;
        default:   /* RESYNC: a title rereads its sessions; this one reads after every tap anyway */
            break;
        }
        if (ev.type == want && (want != XBL_MPSD_RTA_EVENT_SESSION_CHANGED || r > 0)) return 0;
    }
    fprintf(stderr, "Bob heard nothing (RTA %s, last result %s)\n", state_name(xbl_mpsd_rta_connection_state(&rta)),
            xbl_mpsd_result_string(xbl_mpsd_rta_last_result(&rta)));
    return -1;
}

static xbl_mpsd_result write_session(example_user *u, xbl_mpsd_session_write_mode mode)
{
    xbl_mpsd_result rc = xbl_mpsd_write_session_async(&u->client, &u->session, mode, &u->op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&u->op);
    return xbl_mpsd_write_session_result(&u->op, &u->session);
}

static int bob_starts_watching(const char *host, uint16_t port, const xbl_mpsd_session_reference *ref)
{
    xbl_mpsd_rta_config cfg;
    xbl_mpsd_result rc;
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &bob_rta_link.port;
    cfg.host = host;              /* rta.xboxlive.com on the real service */
    cfg.port_number = port;
    cfg.timeout_ms = 10000;
    rc = xbl_mpsd_rta_init(&rta, &bob.client, &cfg, rta_buffer, sizeof rta_buffer);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_set_subscriptions_enabled(&bob.client, true);
    if (rc != XBL_MPSD_OK) { example_fail("Bob's RTA set-up", rc, NULL); return -1; }
    if (watch_until(XBL_MPSD_RTA_EVENT_CONNECTION_ID_CHANGED) != 0) return -1;

    /* his session: joined, active (the write stamps the connection ID), subscribed to every change */
    rc = xbl_mpsd_session_init(&bob.session, bob.xuid, ref, NULL, bob.arena, sizeof bob.arena);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_session_join(&bob.session, NULL, false, true);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_session_set_session_change_subscription(&bob.session, XBL_MPSD_SESSION_CHANGE_TYPES_EVERYTHING);
    if (rc == XBL_MPSD_OK) rc = write_session(&bob, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW);
    if (rc != XBL_MPSD_OK) { example_fail("Bob's create", rc, &bob.op); return -1; }
    printf("Bob created %s and subscribed to its changes\n", ref->session_name);
    return 0;
}

/* Alice acts; Bob's frame loop hears it. */
static int alice_then_bob_hears(const char *what, xbl_mpsd_result change)
{
    xbl_mpsd_result rc = change;
    if (rc == XBL_MPSD_OK) rc = write_session(&alice, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING);
    if (rc != XBL_MPSD_OK) { example_fail(what, rc, &alice.op); return -1; }
    printf("Alice: %s\n", what);
    return watch_until(XBL_MPSD_RTA_EVENT_SESSION_CHANGED);
}

static int bob_stops_watching(void)
{
    int i;
    xbl_mpsd_result rc = xbl_mpsd_session_leave(&bob.session);
    if (rc == XBL_MPSD_OK) rc = write_session(&bob, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING);
    if (rc != XBL_MPSD_OK) { example_fail("Bob's leave", rc, &bob.op); return -1; }
    /* graceful end: unsubscribe, close handshake, then DISCONNECTED */
    (void)xbl_mpsd_set_subscriptions_enabled(&bob.client, false);
    for (i = 0; i < FRAMES && xbl_mpsd_rta_connection_state(&rta) != XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED; i++) {
        xbl_mpsd_rta_event ev;
        if (xbl_mpsd_rta_poll(&rta, &ev) == XBL_MPSD_PENDING) frame();
    }
    printf("Bob left and closed his RTA connection: %s\n", state_name(xbl_mpsd_rta_connection_state(&rta)));
    xbl_mpsd_rta_close(&rta);
    return 0;
}

int main(int argc, char **argv)
{
    const char *host;
    uint16_t port;
    xbl_mpsd_session_reference ref;
    int ok;

    example_args(&argc, argv, &host, &port);
    if (example_user_init(&alice, "Alice", 2814600000000001ULL, host, port) != 0
        || example_user_init(&bob, "Bob", 2814600000000002ULL, host, port) != 0
        || example_user_init(&bob_rta_link, "Bob", 2814600000000002ULL, host, port) != 0) return 1;
    ref = xbl_mpsd_session_reference_create(EXAMPLE_SCID, "quick", argc > 3 ? argv[3] : "watch-session");

    ok = bob_starts_watching(host, port, &ref) == 0;
    if (ok) {
        xbl_mpsd_result rc = xbl_mpsd_session_init(&alice.session, alice.xuid, &ref, NULL, alice.arena, sizeof alice.arena);
        if (rc == XBL_MPSD_OK) rc = xbl_mpsd_session_join(&alice.session, NULL, false, true);
        ok = alice_then_bob_hears("joins", rc) == 0
          && alice_then_bob_hears("sets map=\"canyon\"", xbl_mpsd_session_set_custom_property_json(&alice.session, "map", "\"canyon\"")) == 0
          && alice_then_bob_hears("leaves", xbl_mpsd_session_leave(&alice.session)) == 0
          && bob_stops_watching() == 0;
    }
    example_user_close(&alice);
    example_user_close(&bob);
    example_user_close(&bob_rta_link);
    return ok ? 0 : 1;
}
