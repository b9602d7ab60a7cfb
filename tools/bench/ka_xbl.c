/* Part 3, xbl_mpsd side: kept-alive writes against canned_server.py over
   the POSIX port. One write = set a member custom property, write with
   SYNCHRONIZED_UPDATE (If-Match), poll to completion, apply the reply to
   the session (the whole 2-member document is read into the session).
   Between polls that return PENDING the program waits for the socket to
   become readable (poll(2), as an event loop would) instead of sleeping.
   usage: ka_xbl PORT writes N      N measured writes after 5 warm-up writes
          ka_xbl PORT needed DOCN   async buffer and arena a GET of the
                                     DOCN-member document needs */
#include "bench_common.h"   /* first: it sets _GNU_SOURCE */
#define XBL_MPSD_IMPLEMENTATION
#define XBL_MPSD_PORT_POSIX_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "port/xbl_mpsd_port_posix.h"
#include <poll.h>

#define XUID_ME UINT64_C(2814600000000001)

static char g_token[1300];                     /* an XSTS-sized token */
static xbl_mpsd_port_posix g_tcp;
static xbl_mpsd_port g_port;
static xbl_mpsd_client g_client;
static xbl_mpsd_async g_op;
static unsigned char g_work[1u << 22];
static unsigned char g_arena[1u << 22];
static xbl_mpsd_session g_s;

static xbl_mpsd_result auth(void *user, const char *method, const char *path, const uint8_t *body,
        size_t body_len, char *authorization, size_t authorization_cap, char *signature, size_t signature_cap)
{
    int n = snprintf(authorization, authorization_cap, "XBL3.0 x=2814600000000001;%s", g_token);
    (void)user; (void)method; (void)path; (void)body; (void)body_len;
    if (signature_cap) signature[0] = '\0';
    return n > 0 && (size_t)n < authorization_cap ? XBL_MPSD_OK : XBL_MPSD_E_OUTOFMEMORY;
}

static xbl_mpsd_result wait_done(void)
{
    xbl_mpsd_result rc;
    while ((rc = xbl_mpsd_async_poll(&g_op)) == XBL_MPSD_PENDING) {
        struct pollfd p;
        p.fd = g_tcp.fd;   /* private member, read only to wait like an event loop */
        p.events = POLLIN;
        p.revents = 0;
        poll(&p, 1, 50);
    }
    return rc;
}

static int one_write(int i, xbl_mpsd_session_write_mode mode)
{
    char v[16];
    snprintf(v, sizeof v, "%d", i);
    if (mode != XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW &&
        xbl_mpsd_session_current_user_set_custom_property_json(&g_s, "score", v) != XBL_MPSD_OK) return -1;
    if (xbl_mpsd_write_session_async(&g_client, &g_s, mode, &g_op) != XBL_MPSD_OK) return -1;
    if (wait_done() != XBL_MPSD_OK) return -1;
    return xbl_mpsd_write_session_result(&g_op, &g_s) == XBL_MPSD_OK ? 0 : -1;
}

static int needed(const char *docn)
{
    static unsigned char arena[1u << 23];
    xbl_mpsd_session_reference ref;
    char name[32];
    size_t size = 256;
    int tries;
    snprintf(name, sizeof name, "doc-%s", docn);
    ref = xbl_mpsd_session_reference_create("00000000-0000-0000-0000-00000000cafe", "ctf", name);
    for (tries = 0; tries < 6; tries++) {
        xbl_mpsd_result rc;
        if (xbl_mpsd_async_init(&g_op, g_work, size) != XBL_MPSD_OK) return 1;
        if (xbl_mpsd_get_session_async(&g_client, &ref, &g_op) == XBL_MPSD_OK) {
            wait_done();
            if (xbl_mpsd_session_init(&g_s, XUID_ME, NULL, NULL, arena, sizeof arena) != XBL_MPSD_OK) return 1;
            rc = xbl_mpsd_get_session_result(&g_op, &g_s);
            if (rc == XBL_MPSD_OK) {
                printf("members=%s async_bytes=%zu arena_bytes=%zu\n", docn, size, g_s.arena.used);
                return 0;
            }
        } else {
            rc = XBL_MPSD_E_OUTOFMEMORY;
        }
        if (rc != XBL_MPSD_E_OUTOFMEMORY || xbl_mpsd_async_needed_bytes(&g_op) <= size) {
            fprintf(stderr, "needed: %s (needed %zu)\n", xbl_mpsd_result_string(rc), xbl_mpsd_async_needed_bytes(&g_op));
            return 1;
        }
        size = xbl_mpsd_async_needed_bytes(&g_op);
        if (size > sizeof g_work) return 1;
    }
    return 1;
}

int main(int argc, char **argv)
{
    xbl_mpsd_client_config cfg;
    xbl_mpsd_session_reference ref;
    bench_heap_stats *h;
    int i, n;
    if (argc < 4) { fprintf(stderr, "usage: ka_xbl PORT writes N | ka_xbl PORT needed DOCN\n"); return 2; }
    memset(g_token, 'k', sizeof g_token - 1);
    memset(&cfg, 0, sizeof cfg);
    if (xbl_mpsd_port_posix_init(&g_tcp, &g_port) != XBL_MPSD_OK) return 1;
    cfg.port = &g_port;
    cfg.xuid = XUID_ME;
    cfg.auth = auth;
    cfg.host = "127.0.0.1";
    cfg.port_number = (uint16_t)atoi(argv[1]);
    cfg.timeout_ms = 60000;
    if (xbl_mpsd_client_init(&g_client, &cfg) != XBL_MPSD_OK) return 1;
    if (!strcmp(argv[2], "needed")) return needed(argv[3]);

    n = atoi(argv[3]);
    if (xbl_mpsd_async_init(&g_op, g_work, 65536) != XBL_MPSD_OK) return 1;
    ref = xbl_mpsd_session_reference_create("00000000-0000-0000-0000-00000000cafe", "ctf", "bench-session");
    if (xbl_mpsd_session_init(&g_s, XUID_ME, &ref, NULL, g_arena, 65536) != XBL_MPSD_OK ||
        xbl_mpsd_session_join(&g_s, NULL, false, true) != XBL_MPSD_OK ||
        one_write(0, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW) != 0) { fprintf(stderr, "create failed\n"); return 1; }
    for (i = 1; i <= 5; i++)
        if (one_write(i, XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE) != 0) { fprintf(stderr, "write failed\n"); return 1; }
    bench_heap_reset();
    BENCH_COLLECT_ON();
    for (i = 0; i < n; i++)
        if (one_write(100 + i, XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE) != 0) break;
    BENCH_COLLECT_OFF();
    if (i < n) { fprintf(stderr, "write %d failed\n", i); return 1; }
    h = bench_heap();
    printf("impl=xbl writes=%d heap_allocs=%s%lu heap_peak=%zu\n", n, h ? "" : "n/a:", h ? h->allocs : 0UL,
           h ? h->peak : (size_t)0);
    xbl_mpsd_client_close(&g_client);
    return 0;
}
