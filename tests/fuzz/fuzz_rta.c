/* libFuzzer harness: the RTA message reader (xbl_mpsd__rta_message) and the
   hand-out of what it produced, on an object whose connection is open.

   Input: [state][message bytes...]
     state bits 0-1: the subscription is SUBSCRIBING (SEQ 1), ACTIVE (SEQ 1,
                     SUBID 42), UNSUBSCRIBING (SEQ 1) or NONE;
     state bit 2: subscriptions are disabled (the object only activated);
     state bit 3: the connection has been open for more than 5 minutes.

   Properties:
   - no sanitizer report (the message sits at the start of a heap buffer of
     exactly the object's buffer size);
   - every event handed out is a known type; a SESSION_CHANGED has three
     non-empty NUL-terminated reference parts without '~' and a branch that
     fits; a CONNECTION_ID_CHANGED carries 1-63 printable ASCII bytes equal
     to the object's ID; taps come only for an ACTIVE subscription with
     subscriptions enabled;
   - the hand-out ends: at most one tap per array element. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "fuzz_util.h"

#define FZ_BUF 8192

static xbl_mpsd_result fz_connect(void *c, const char *h, uint16_t p) { (void)c; (void)h; (void)p; return XBL_MPSD_OK; }
static int32_t fz_send(void *c, const uint8_t *d, size_t n) { (void)c; (void)d; return (int32_t)n; }
static int32_t fz_recv(void *c, uint8_t *b, size_t n) { (void)c; (void)b; (void)n; return XBL_MPSD_E_WOULD_BLOCK; }
static void fz_close(void *c) { (void)c; }
static uint32_t fz_clock;
static uint32_t fz_now(void *c) { (void)c; return fz_clock; }
static xbl_mpsd_result fz_auth(void *u, const char *m, const char *p, const uint8_t *b, size_t bl,
        char *a, size_t ac, char *s, size_t sc)
{
    (void)u; (void)m; (void)p; (void)b; (void)bl; (void)ac; (void)sc;
    a[0] = 'x'; a[1] = '\0'; s[0] = '\0';
    return XBL_MPSD_OK;
}

static void check_part(const char *s, size_t cap)
{
    size_t n = xbl_mpsd__strnlen(s, cap);
    FZ_CHECK(n > 0 && n < cap && strchr(s, '~') == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t subs[4] = { XBL_MPSD__SUB_SUBSCRIBING, XBL_MPSD__SUB_ACTIVE, XBL_MPSD__SUB_UNSUBSCRIBING,
                                      XBL_MPSD__SUB_NONE };
    static xbl_mpsd_client client;
    static xbl_mpsd_rta rta;
    xbl_mpsd_client_config cc;
    xbl_mpsd_rta_config rc;
    xbl_mpsd_port port;
    xbl_mpsd_rta_event ev;
    unsigned char *buf;
    unsigned flags;
    size_t taps_max, events = 0, i;
    bool taps_allowed;
    if (size < 1 || size - 1 > FZ_BUF - XBL_MPSD_RTA_BUFFER_RESERVE) return 0;
    flags = data[0];
    data++; size--;
    buf = (unsigned char *)malloc(FZ_BUF);
    FZ_CHECK(buf != NULL);
    port.ctx = NULL; port.connect = fz_connect; port.send = fz_send; port.recv = fz_recv; port.close = fz_close;
    port.now_ms = fz_now;
    fz_clock = 1000;
    memset(&cc, 0, sizeof cc);
    cc.port = &port; cc.xuid = 1; cc.auth = fz_auth;
    FZ_CHECK(xbl_mpsd_client_init(&client, &cc) == XBL_MPSD_OK);
    memset(&rc, 0, sizeof rc);
    rc.port = &port;
    FZ_CHECK(xbl_mpsd_rta_init(&rta, &client, &rc, buf, FZ_BUF) == XBL_MPSD_OK);
    rta.flags |= (flags & 4) ? XBL_MPSD__RF_ACTIVATED : XBL_MPSD__RF_ENABLED;
    rta.phase = XBL_MPSD__RTA_OPEN;
    rta.state = XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED;
    rta.open_ms = 1000;
    rta.sub_state = subs[flags & 3];
    rta.seq = 1;
    rta.subid = 42;
    if (rta.sub_state == XBL_MPSD__SUB_ACTIVE) memcpy(rta.connection_id, "id", 3);
    if (flags & 8) fz_clock += 300000;
    taps_allowed = rta.sub_state == XBL_MPSD__SUB_ACTIVE && (rta.flags & XBL_MPSD__RF_ENABLED);
    memcpy(buf, data, size);
    xbl_mpsd__rta_message(&rta, (const char *)buf, size);
    for (taps_max = 0, i = 0; i < size; i++) taps_max += buf[i] == '{';
    while (xbl_mpsd__rta_hand_out(&rta, &ev)) {
        FZ_CHECK(++events <= taps_max + XBL_MPSD__RTA_QUEUE);
        switch (ev.type) {
        case XBL_MPSD_RTA_EVENT_SESSION_CHANGED:
            FZ_CHECK(taps_allowed);
            check_part(ev.session_change.session_reference.scid, sizeof ev.session_change.session_reference.scid);
            check_part(ev.session_change.session_reference.session_template_name,
                       sizeof ev.session_change.session_reference.session_template_name);
            check_part(ev.session_change.session_reference.session_name,
                       sizeof ev.session_change.session_reference.session_name);
            FZ_CHECK(xbl_mpsd__strnlen(ev.session_change.branch, sizeof ev.session_change.branch) < sizeof ev.session_change.branch);
            break;
        case XBL_MPSD_RTA_EVENT_CONNECTION_ID_CHANGED: {
            size_t n = xbl_mpsd__strnlen(ev.connection_id, sizeof ev.connection_id);
            FZ_CHECK(n > 0 && n < sizeof ev.connection_id && strcmp(ev.connection_id, rta.connection_id) == 0);
            for (i = 0; i < n; i++) FZ_CHECK(ev.connection_id[i] >= 0x21 && ev.connection_id[i] <= 0x7E);
            break;
        }
        case XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST:
            FZ_CHECK(ev.result != XBL_MPSD_OK);
            break;
        case XBL_MPSD_RTA_EVENT_RESYNC:
            FZ_CHECK(flags & 8);
            break;
        default:
            FZ_CHECK(0);
        }
    }
    xbl_mpsd_rta_close(&rta);
    free(buf);
    return 0;
}
