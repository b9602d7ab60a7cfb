/* The mbedTLS port against the MPSD emulator in TLS mode and against
   misbehaving servers (tests/tls/tls_servers.py, started by run.sh), with
   mbedTLS's heap served by tls_heap.c. Run with tests/tls/run.sh. */
#include "tls_common.h"
#include "tls_stack.h"
#include <mbedtls/x509.h>

/* A whole TLS session write must fit this much mbedTLS heap: the fixed
   region's measured high-water mark (see budget_search) plus headroom for
   a larger certificate chain. */
#define TLS_STATED_BUDGET ((size_t)64 * 1024)

static tls_user alice, bob;

#ifdef __OPTIMIZE__
#define CFLAGS_NOTE "optimized"
#else
#define CFLAGS_NOTE "-O0"
#endif

/* Snapshot of a session and its arena, for "a failure leaves it untouched". */
static xbl_mpsd_session g_snap;
static uint8_t g_snap_arena[65536];

static void snapshot(const tls_user *u)
{
    memcpy(&g_snap, &u->session, sizeof g_snap);
    memcpy(g_snap_arena, u->arena, sizeof g_snap_arena);
}

static void assert_untouched(const tls_user *u)
{
    assert_memory_equal(&g_snap, &u->session, sizeof g_snap);
    assert_memory_equal(g_snap_arena, u->arena, sizeof g_snap_arena);
}

static xbl_mpsd_result init_good(tls_user *u, uint64_t xuid)
{
    return tls_user_init(u, xuid, tls_env_port("GOOD"), "localhost", tls_pem("ca.pem"));
}

/* ------------------------------------------------------------------ config */

static void init_rejects_bad_config(void **state)
{
    static xbl_mpsd_port_mbedtls p;
    xbl_mpsd_port_posix tcp;
    xbl_mpsd_port tcp_port, out, broken;
    xbl_mpsd_port_mbedtls_config c;
    char long_name[300];
    size_t live = tls_heap_live();
    (void)state;
    xbl_mpsd_port_posix_init(&tcp, &tcp_port);
    memset(&c, 0, sizeof c);
    c.lower = &tcp_port; c.server_name = "localhost"; c.ca_pem = tls_pem("ca.pem");
    assert_int_equal(xbl_mpsd_port_mbedtls_init(NULL, &c, &out), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_port_mbedtls_init(&p, NULL, &out), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_port_mbedtls_init(&p, &c, NULL), XBL_MPSD_E_INVALIDARG);
    c.lower = NULL;
    assert_int_equal(xbl_mpsd_port_mbedtls_init(&p, &c, &out), XBL_MPSD_E_INVALIDARG);
    broken = tcp_port; broken.now_ms = NULL; c.lower = &broken;
    assert_int_equal(xbl_mpsd_port_mbedtls_init(&p, &c, &out), XBL_MPSD_E_INVALIDARG);
    c.lower = &tcp_port; c.server_name = NULL;
    assert_int_equal(xbl_mpsd_port_mbedtls_init(&p, &c, &out), XBL_MPSD_E_INVALIDARG);
    c.server_name = "";
    assert_int_equal(xbl_mpsd_port_mbedtls_init(&p, &c, &out), XBL_MPSD_E_INVALIDARG);
    memset(long_name, 'a', sizeof long_name - 1); long_name[sizeof long_name - 1] = '\0';
    c.server_name = long_name;
    assert_int_equal(xbl_mpsd_port_mbedtls_init(&p, &c, &out), XBL_MPSD_E_INVALIDARG);
    c.server_name = "localhost"; c.ca_pem = NULL;
    assert_int_equal(xbl_mpsd_port_mbedtls_init(&p, &c, &out), XBL_MPSD_E_INVALIDARG);
    c.ca_pem = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n";
    assert_int_equal(xbl_mpsd_port_mbedtls_init(&p, &c, &out), XBL_MPSD_E_INVALIDARG);
    c.ca_pem = tls_pem("ca.pem"); c.heap = long_name; c.heap_size = 0;
    assert_int_equal(xbl_mpsd_port_mbedtls_init(&p, &c, &out), XBL_MPSD_E_INVALIDARG);
    /* every failed init gave back what mbedTLS had allocated */
    assert_int_equal(tls_heap_live(), live);

    c.heap = NULL;
    assert_int_equal(xbl_mpsd_port_mbedtls_init(&p, &c, &out), XBL_MPSD_OK);
    assert_ptr_equal(out.ctx, &p);
    assert_true(tls_heap_live() > live);
    assert_int_equal(out.connect(out.ctx, NULL, 1), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(out.connect(out.ctx, "127.0.0.1", 0), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(out.send(out.ctx, (const uint8_t *)"x", 1), XBL_MPSD_E_IO);   /* not connected */
    assert_int_equal(out.recv(out.ctx, (uint8_t *)long_name, 1), XBL_MPSD_E_IO);
    assert_int_equal(out.recv(out.ctx, (uint8_t *)long_name, 0), XBL_MPSD_E_INVALIDARG);
    out.close(out.ctx);
    xbl_mpsd_port_mbedtls_free(&p);
    assert_int_equal(tls_heap_live(), live);
    xbl_mpsd_port_mbedtls_free(&p);                     /* twice is harmless */
    assert_int_equal(out.connect(out.ctx, "127.0.0.1", 1), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_port_mbedtls_verify_flags(NULL), 0);
}

/* ------------------------------------------------------------- happy paths */

static void write_and_get(void **state)
{
    xbl_mpsd_session_reference ref = tls_fresh_ref();
    const xbl_mpsd_session_member *m;
    size_t n;
    (void)state;
    assert_int_equal(init_good(&alice, 2814600000000101ULL), XBL_MPSD_OK);
    assert_int_equal(init_good(&bob, 2814600000000102ULL), XBL_MPSD_OK);
    tls_local_join(&alice, &ref);
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&alice.session, "map", "\"harbor\""), XBL_MPSD_OK);
    assert_int_equal(tls_write(&alice, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&alice.op), 201);
    assert_int_equal(xbl_mpsd_session_write_status(&alice.session), XBL_MPSD_WRITE_SESSION_STATUS_CREATED);
    assert_int_equal(xbl_mpsd_port_mbedtls_verify_flags(&alice.tls), 0);

    assert_int_equal(xbl_mpsd_get_session_async(&bob.client, &ref, &bob.op), XBL_MPSD_OK);
    assert_int_equal(tls_wait(&bob.op), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_init(&bob.session, bob.xuid, NULL, NULL, bob.arena, sizeof bob.arena), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_session_result(&bob.op, &bob.session), XBL_MPSD_OK);
    assert_string_equal(xbl_mpsd_session_etag(&bob.session), xbl_mpsd_session_etag(&alice.session));
    assert_int_equal(xbl_mpsd_session_members(&bob.session, &m, &n), XBL_MPSD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(m[0].xuid, alice.xuid);
    assert_string_equal(xbl_mpsd_session_session_properties(&bob.session)->session_custom_properties_json, "{\"map\":\"harbor\"}");
    tls_user_free(&alice);
    tls_user_free(&bob);
}

/* Five writes, one TCP connection, one handshake; then connect on the idle
   session answers OK after one record read and no lower connect. */
static void keep_alive_across_writes(void **state)
{
    xbl_mpsd_session_reference ref = tls_fresh_ref();
    char value[16];
    int i;
    (void)state;
    assert_int_equal(init_good(&alice, 2814600000000103ULL), XBL_MPSD_OK);
    tls_local_join(&alice, &ref);
    assert_int_equal(tls_write(&alice, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW), XBL_MPSD_OK);
    for (i = 2; i <= 5; i++) {
        snprintf(value, sizeof value, "%d", i);
        assert_int_equal(xbl_mpsd_session_set_custom_property_json(&alice.session, "round", value), XBL_MPSD_OK);
        assert_int_equal(tls_write(&alice, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING), XBL_MPSD_OK);
        assert_int_equal(xbl_mpsd_session_write_status(&alice.session), XBL_MPSD_WRITE_SESSION_STATUS_UPDATED);
        assert_int_equal(xbl_mpsd_session_get_info(&alice.session)->change_number, (uint64_t)i);
    }
    assert_int_equal(alice.spy.connect_ok, 1);
    assert_int_equal(alice.spy.closes, 0);

    alice.spy.connects = alice.spy.recvs = alice.spy.sends = 0;
    assert_int_equal(alice.tls_port.connect(alice.tls_port.ctx, "127.0.0.1", alice.port_number), XBL_MPSD_OK);
    assert_int_equal(alice.spy.connects, 0);
    assert_int_equal(alice.spy.recvs, 1);
    assert_int_equal(alice.spy.sends, 0);
    tls_user_free(&alice);
    assert_int_equal(alice.spy.closes, 1);
}

/* The server ends the kept connection (Connection: close): the next write
   makes a new TCP connection and a full handshake on a reset session. */
static void reconnect_after_server_close(void **state)
{
    xbl_mpsd_session_reference ref = tls_fresh_ref();
    (void)state;
    assert_int_equal(init_good(&alice, 2814600000000104ULL), XBL_MPSD_OK);
    tls_local_join(&alice, &ref);
    assert_int_equal(tls_set_fault("close=100000"), 200);
    assert_int_equal(tls_write(&alice, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW), XBL_MPSD_OK);
    assert_int_equal(tls_set_fault(""), 200);
    assert_int_equal(xbl_mpsd_session_write_status(&alice.session), XBL_MPSD_WRITE_SESSION_STATUS_CREATED);
    assert_int_equal(alice.spy.connect_ok, 1);
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&alice.session, "k", "1"), XBL_MPSD_OK);
    assert_int_equal(tls_write(&alice, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_write_status(&alice.session), XBL_MPSD_WRITE_SESSION_STATUS_UPDATED);
    assert_int_equal(alice.spy.connect_ok, 2);
    tls_user_free(&alice);
}

/* Port level: a peer that closed an idle session is noticed by connect,
   which starts over (new TCP connection, new handshake). */
static void connect_notices_closed_idle_session(void **state)
{
    static char resp[4096];
    const char *req = "GET /_emu/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    uint16_t pn = tls_env_port("GOOD");
    xbl_mpsd_result r;
    int i;
    (void)state;
    assert_int_equal(init_good(&alice, 2814600000000105ULL), XBL_MPSD_OK);
    assert_int_equal(raw_exchange(&alice.tls_port, pn, req, resp, sizeof resp, NULL), 200);
    assert_non_null(strstr(resp, "\r\n\r\n{\"ok\":true}"));
    /* wait for the server's close to arrive, then ask for the same host */
    for (i = 0; i < 200; i++) {
        int32_t n = alice.tls_port.recv(alice.tls_port.ctx, (uint8_t *)resp, sizeof resp);
        if (n != XBL_MPSD_E_WOULD_BLOCK) { assert_int_equal(n, XBL_MPSD_E_EOF); break; }
        tls_nap();
    }
    assert_int_equal(alice.tls_port.recv(alice.tls_port.ctx, (uint8_t *)resp, sizeof resp), XBL_MPSD_E_EOF);
    assert_int_equal(alice.tls_port.send(alice.tls_port.ctx, (const uint8_t *)"x", 1), XBL_MPSD_E_IO);
    r = raw_connect(&alice.tls_port, pn);
    assert_int_equal(r, XBL_MPSD_OK);
    assert_int_equal(alice.spy.connect_ok, 2);
    assert_int_equal(raw_exchange(&alice.tls_port, pn, "GET /_emu/health HTTP/1.1\r\nHost: localhost\r\n\r\n",
                                  resp, sizeof resp, NULL), 200);
    tls_user_free(&alice);
}

/* Partial lower writes, one-byte lower reads and a would-block before every
   lower call: the handshake and a request still go through, and the
   interrupted record is finished by a retry with the same pointer and
   length. */
static void hostile_lower_port(void **state)
{
    static char resp[4096];
    const char *req = "GET /_emu/health HTTP/1.1\r\nHost: localhost\r\n\r\n";
    unsigned send_blocks = 0;
    (void)state;
    assert_int_equal(init_good(&alice, 2814600000000106ULL), XBL_MPSD_OK);
    alice.spy.max_send = 7;
    alice.spy.max_recv = 1;
    alice.spy.block_alternate = 1;
    assert_int_equal(raw_exchange(&alice.tls_port, tls_env_port("GOOD"), req, resp, sizeof resp, &send_blocks), 200);
    assert_non_null(strstr(resp, "Content-Length: 11\r\n"));
    assert_non_null(strstr(resp, "\r\n\r\n{\"ok\":true}"));
    assert_true(send_blocks > 0);   /* the pending-record path ran */
    /* a retry that shortens the pending write is refused, not misreported */
    alice.spy.toggle = 0;
    assert_int_equal(alice.tls_port.send(alice.tls_port.ctx, (const uint8_t *)req, 40), XBL_MPSD_E_WOULD_BLOCK);
    assert_int_equal(alice.tls_port.send(alice.tls_port.ctx, (const uint8_t *)req, 39), XBL_MPSD_E_INVALIDARG);
    tls_user_free(&alice);
}

/* Direct drive of connect: lower calls per connect call (one poll's worth),
   and every PENDING answer ends on a lower call that would block. */
static void handshake_calls_per_poll(void **state)
{
    unsigned polls = 0, max_calls = 0, total = 0;
    xbl_mpsd_result r;
    struct timespec t0, t1;
    double worst_ms = 0.0;
    (void)state;
    assert_int_equal(init_good(&alice, 2814600000000107ULL), XBL_MPSD_OK);
    do {
        alice.spy.round_calls = 0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = alice.tls_port.connect(alice.tls_port.ctx, "127.0.0.1", alice.port_number);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        polls++;
        total += alice.spy.round_calls;
        if (alice.spy.round_calls > max_calls) max_calls = alice.spy.round_calls;
        {
            double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
            if (ms > worst_ms) worst_ms = ms;
        }
        if (r == XBL_MPSD_PENDING)
            assert_true(alice.spy.last == XBL_MPSD_E_WOULD_BLOCK || alice.spy.last == XBL_MPSD_PENDING);
        else
            assert_int_equal(r, XBL_MPSD_OK);
        if (r == XBL_MPSD_PENDING) tls_nap();
    } while (r == XBL_MPSD_PENDING && polls < 100000);
    assert_int_equal(r, XBL_MPSD_OK);
    /* ClientHello, ClientKeyExchange, ChangeCipherSpec, Finished: one
       flush each. How many records one poll gets through depends on what
       has arrived, so the per-poll figure is reported, not pinned. */
    assert_int_equal(alice.spy.sends, 4);
    assert_true(alice.spy.connect_ok == 1 && max_calls >= 1 && total <= 64);
    printf("TLS_MEASURED handshake: %u connect calls (polls), %u lower calls in all, at most %u in one poll,"
           " longest poll %.1f ms (sends %u, recvs %u)\n",
           polls, total, max_calls, worst_ms, alice.spy.sends, alice.spy.recvs);
    printf("TLS_MEASURED negotiated %s %s\n", mbedtls_ssl_get_version(&alice.tls.ssl),
           mbedtls_ssl_get_ciphersuite(&alice.tls.ssl));
    assert_string_equal(mbedtls_ssl_get_version(&alice.tls.ssl), "TLSv1.2");
    tls_user_free(&alice);
}

/* ------------------------------------------------------------ fault modes */

static void faults_over_tls(void **state)
{
    static const char *const faults[] = { "chunked=5", "drip=0", "chunked=1,drip=0" };
    xbl_mpsd_session_reference ref = tls_fresh_ref();
    const xbl_mpsd_session_member *m;
    size_t i, n;
    char value[16];
    (void)state;
    assert_int_equal(init_good(&alice, 2814600000000108ULL), XBL_MPSD_OK);
    assert_int_equal(init_good(&bob, 2814600000000109ULL), XBL_MPSD_OK);
    tls_local_join(&alice, &ref);
    assert_int_equal(tls_write(&alice, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW), XBL_MPSD_OK);
    for (i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        assert_int_equal(tls_set_fault(faults[i]), 200);
        snprintf(value, sizeof value, "%u", (unsigned)i);
        tls_local_join(&bob, &ref);
        assert_int_equal(xbl_mpsd_session_current_user_set_custom_property_json(&bob.session, "i", value), XBL_MPSD_OK);
        assert_int_equal(tls_write(&bob, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING), XBL_MPSD_OK);
        assert_int_equal(xbl_mpsd_async_http_status(&bob.op), 200);
        assert_int_equal(xbl_mpsd_session_write_status(&bob.session), XBL_MPSD_WRITE_SESSION_STATUS_UPDATED);
        assert_int_equal(xbl_mpsd_session_members(&bob.session, &m, &n), XBL_MPSD_OK);
        assert_int_equal(n, 2);
        assert_int_equal(xbl_mpsd_session_get_info(&bob.session)->change_number, (uint64_t)(i + 2));
        assert_non_null(xbl_mpsd_session_current_user(&bob.session));
    }
    assert_int_equal(tls_set_fault(""), 200);
    assert_int_equal(bob.spy.connect_ok, 1);   /* every faulted response kept the session */
    tls_user_free(&alice);
    tls_user_free(&bob);
}

/* ---------------------------------------------------------------- negative */

typedef struct bad_case {
    const char     *what;
    const char     *server;       /* TLS_PORT_<server> */
    const char     *server_name;
    const char     *ca;
    xbl_mpsd_result expect;
    uint32_t        flag;         /* verify flag that must be set, 0: flags must be 0 */
} bad_case;

static const bad_case g_bad[] = {
    { "unrelated CA",         "GOOD",      "localhost",     "other_ca.pem", XBL_MPSD_E_TLS_VERIFY, MBEDTLS_X509_BADCERT_NOT_TRUSTED },
    { "wrong host name",      "GOOD",      "wrong.example", "ca.pem",       XBL_MPSD_E_TLS_VERIFY, MBEDTLS_X509_BADCERT_CN_MISMATCH },
    { "certificate for another name", "WRONGNAME", "localhost", "ca.pem",   XBL_MPSD_E_TLS_VERIFY, MBEDTLS_X509_BADCERT_CN_MISMATCH },
    /* mbedTLS 2.28 never matches IP address entries: the documented caveat */
    { "address as server_name", "GOOD",    "127.0.0.1",     "ca.pem",       XBL_MPSD_E_TLS_VERIFY, MBEDTLS_X509_BADCERT_CN_MISMATCH },
    { "expired certificate",  "EXPIRED",   "localhost",     "ca.pem",       XBL_MPSD_E_TLS_VERIFY, MBEDTLS_X509_BADCERT_EXPIRED },
    { "plaintext server",     "PLAIN",     "localhost",     "ca.pem",       XBL_MPSD_E_TLS,        0 },
    { "closes mid-handshake", "CLOSER",    "localhost",     "ca.pem",       XBL_MPSD_E_TLS,        0 },
};

/* Twice on the same port: the second attempt runs on a reset session, which
   must still check the name and the chain. */
static void negative_servers(void **state)
{
    size_t i;
    int attempt;
    (void)state;
    for (i = 0; i < sizeof g_bad / sizeof g_bad[0]; i++) {
        const bad_case *b = &g_bad[i];
        xbl_mpsd_session_reference ref = tls_fresh_ref();
        size_t live = tls_heap_live();
        print_message("negative: %s\n", b->what);
        assert_int_equal(tls_user_init(&alice, 2814600000000110ULL, tls_env_port(b->server), b->server_name,
                                       tls_pem(b->ca)), XBL_MPSD_OK);
        tls_local_join(&alice, &ref);
        snapshot(&alice);
        for (attempt = 0; attempt < 2; attempt++) {
            assert_int_equal(tls_write(&alice, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW), b->expect);
            assert_int_equal(xbl_mpsd_async_http_status(&alice.op), 0);
            assert_untouched(&alice);
            if (b->flag != 0) assert_true((xbl_mpsd_port_mbedtls_verify_flags(&alice.tls) & b->flag) != 0);
            else assert_int_equal(xbl_mpsd_port_mbedtls_verify_flags(&alice.tls), 0);
            assert_true(xbl_mpsd_port_mbedtls_last_error(&alice.tls) < 0);
        }
        assert_int_equal(alice.spy.connect_ok, 2);
        tls_user_free(&alice);
        assert_int_equal(tls_heap_live(), live);
        assert_int_equal(tls_heap_live_blocks(), 0);
    }
}

/* The lower port's own failures come through as they are. */
static void lower_failures_pass_through(void **state)
{
    xbl_mpsd_session_reference ref = tls_fresh_ref();
    (void)state;
    /* nothing listens on port 1 */
    assert_int_equal(tls_user_init(&alice, 2814600000000111ULL, 1, "localhost", tls_pem("ca.pem")), XBL_MPSD_OK);
    tls_local_join(&alice, &ref);
    snapshot(&alice);
    assert_int_equal(tls_write(&alice, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW), XBL_MPSD_E_CONNECT);
    assert_untouched(&alice);
    tls_user_free(&alice);

    /* the socket fails while the server's first flight is read */
    assert_int_equal(init_good(&alice, 2814600000000111ULL), XBL_MPSD_OK);
    tls_local_join(&alice, &ref);
    snapshot(&alice);
    alice.spy.fail_recv_at = 2;
    assert_int_equal(tls_write(&alice, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW), XBL_MPSD_E_IO);
    assert_untouched(&alice);
    assert_int_equal(xbl_mpsd_port_mbedtls_verify_flags(&alice.tls), 0);
    tls_user_free(&alice);
    assert_int_equal(tls_heap_live_blocks(), 0);
}

/* ------------------------------------------------------------------- heap */

/* One whole session write from init to free inside limit bytes of mbedTLS
   heap. The write's result (or the init's, if that failed already). */
static int g_last_mbedtls_error;
static uint32_t g_last_flags;
static size_t g_live_after_init, g_live_connected;   /* heap held by an idle port, and by one with a session up */

static xbl_mpsd_result write_within(size_t limit, unsigned char max_frag_code, uint32_t *out_frag)
{
    xbl_mpsd_session_reference ref = tls_fresh_ref();
    xbl_mpsd_result r;
    tls_heap_reset_peaks();
    tls_heap_set_limit(limit);
    r = init_good(&alice, 2814600000000112ULL);
    g_live_after_init = tls_heap_live();
    if (r == XBL_MPSD_OK) {
        /* what XBL_MPSD_PORT_MBEDTLS_MAX_FRAG_LEN does at init: the record
           buffers were sized by ssl_setup already, the code only goes into
           the ClientHello */
        if (max_frag_code != 0) assert_int_equal(mbedtls_ssl_conf_max_frag_len(&alice.tls.conf, max_frag_code), 0);
        tls_local_join(&alice, &ref);
        r = tls_write(&alice, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW);
        g_live_connected = tls_heap_live();
        if (out_frag != NULL) *out_frag = (uint32_t)mbedtls_ssl_get_output_max_frag_len(&alice.tls.ssl);
        g_last_mbedtls_error = xbl_mpsd_port_mbedtls_last_error(&alice.tls);
        g_last_flags = xbl_mpsd_port_mbedtls_verify_flags(&alice.tls);
        tls_user_free(&alice);
    }
    tls_heap_set_limit(0);
    assert_int_equal(tls_heap_live(), 0);
    assert_int_equal(tls_heap_live_blocks(), 0);
    return r;
}

static void write_fits_stated_budget(void **state)
{
    xbl_mpsd_result r;
    (void)state;
    assert_int_equal(tls_heap_live(), 0);
    r = write_within(TLS_STATED_BUDGET, 0, NULL);
    assert_int_equal(r, XBL_MPSD_OK);
    assert_int_equal(tls_heap_failures(), 0);
    printf("TLS_MEASURED %s: peak %zu bytes requested, high-water %zu (stated budget %zu)\n",
           tls_heap_fixed_region() ? "fixed region" : "real allocator",
           tls_heap_peak_requested(), tls_heap_peak_region(), TLS_STATED_BUDGET);
    printf("TLS_MEASURED held: %zu bytes after init, %zu with a session up\n", g_live_after_init, g_live_connected);
    assert_true(tls_heap_peak_region() <= TLS_STATED_BUDGET);

    /* far too little: the first allocation (the PEM decoding buffer) fails
       and init says so. (Later failures inside the certificate parser come
       out of mbedTLS as a malformed key, XBL_MPSD_E_INVALIDARG.) */
    assert_int_equal(write_within(256, 0, NULL), XBL_MPSD_E_OUTOFMEMORY);
    assert_true(tls_heap_failures() > 0);
}

/* Smallest limit that completes the write, by bisection. Every failure on
   the way must be clean (write_within checks the heap is empty again) and
   either OUTOFMEMORY or, where mbedTLS 2.28 turns a failed allocation inside
   certificate verification into "not trusted", TLS_VERIFY with exactly that
   flag; *oom_seen counts the OUTOFMEMORY ones. */
static size_t smallest_budget(unsigned char max_frag_code, unsigned *oom_seen)
{
    size_t lo = 1024, hi = TLS_STATED_BUDGET * 2;   /* lo fails, hi passes */
    assert_int_equal(write_within(hi, max_frag_code, NULL), XBL_MPSD_OK);
    while (hi - lo > 16) {
        size_t mid = lo + (hi - lo) / 2;
        xbl_mpsd_result r = write_within(mid, max_frag_code, NULL);
        if (r == XBL_MPSD_OK) { hi = mid; continue; }
        lo = mid;
        if (r == XBL_MPSD_E_OUTOFMEMORY) { (*oom_seen)++; continue; }
        print_message("limit %zu: %s, mbedTLS error -0x%04x, flags 0x%x\n", mid, xbl_mpsd_result_string(r),
                      (unsigned)-g_last_mbedtls_error, (unsigned)g_last_flags);
        assert_int_equal(r, XBL_MPSD_E_TLS_VERIFY);
        assert_int_equal(g_last_flags, MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    }
    return hi;
}

/* Budgets with 16 KB records and with 512-byte records negotiated through
   max_fragment_length. */
static void budget_search(void **state)
{
    unsigned oom = 0;
    size_t full, small, full_peak;
    uint32_t frag = 0;
    (void)state;
    if (!tls_heap_fixed_region()) { skip(); return; }
    full = smallest_budget(0, &oom);
    assert_int_equal(write_within(full, 0, &frag), XBL_MPSD_OK);
    assert_int_equal(frag, 16384);
    full_peak = tls_heap_peak_requested();
    small = smallest_budget(MBEDTLS_SSL_MAX_FRAG_LEN_4096, &oom);
    assert_int_equal(write_within(small, MBEDTLS_SSL_MAX_FRAG_LEN_4096, &frag), XBL_MPSD_OK);
    assert_int_equal(frag, 4096);   /* the server accepted the extension */
    printf("TLS_MEASURED 16 KB records: smallest fixed region %zu bytes, peak requested %zu\n", full, full_peak);
    printf("TLS_MEASURED 4 KB records (max_fragment_length): smallest fixed region %zu bytes, peak requested %zu\n",
           small, tls_heap_peak_requested());
    assert_true(oom > 0);
    assert_true(full <= TLS_STATED_BUDGET);
    /* mbedTLS 2.28 cannot take a handshake message split over records: a
       limit below the server's Certificate message breaks the handshake */
    assert_int_equal(write_within(TLS_STATED_BUDGET, MBEDTLS_SSL_MAX_FRAG_LEN_512, NULL), XBL_MPSD_E_TLS);
    assert_int_equal(g_last_mbedtls_error, MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE);
}

/* ------------------------------------------------------------------ stack */

typedef struct stack_job {
    xbl_mpsd_session_reference ref;
    xbl_mpsd_result init, write;
} stack_job;

/* Init, one session write (handshake included) and free, with no cmocka
   assertion inside: a failure must not longjmp off the borrowed stack. */
static void stack_job_run(void *arg)
{
    stack_job *j = (stack_job *)arg;
    j->init = init_good(&alice, 2814600000000113ULL);
    if (j->init != XBL_MPSD_OK) return;
    if (xbl_mpsd_session_init(&alice.session, alice.xuid, &j->ref, NULL, alice.arena, sizeof alice.arena) == XBL_MPSD_OK
        && xbl_mpsd_session_join(&alice.session, NULL, false, true) == XBL_MPSD_OK)
        j->write = tls_write(&alice, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW);
    tls_user_free(&alice);
}

/* The stack a whole TLS session write needs (SDK poll, port, mbedTLS
   handshake with RSA verify and ECDHE), measured on a painted stack. */
static void stack_depth(void **state)
{
    stack_job j;
    size_t used;
    (void)state;
    if (!tls_heap_fixed_region()) { skip(); return; }   /* ASan and valgrind dislike stack switching */
    memset(&j, 0, sizeof j);
    j.ref = tls_fresh_ref();
    j.write = XBL_MPSD_E_FAIL;
    used = tls_stack_measure(stack_job_run, &j);
    assert_int_equal(j.init, XBL_MPSD_OK);
    assert_int_equal(j.write, XBL_MPSD_OK);
    assert_true(used > 1024 && used < TLS_STACK_BYTES);
    printf("TLS_MEASURED stack: %zu bytes for init + session write + free (gcc %s)\n", used, CFLAGS_NOTE);
}

/* A failed test may leave a port up or a limit set: later tests start clean. */
static int teardown(void **state)
{
    (void)state;
    xbl_mpsd_port_mbedtls_free(&alice.tls);   /* harmless on a freed or never-set-up port */
    xbl_mpsd_port_mbedtls_free(&bob.tls);
    tls_heap_set_limit(0);
    return 0;
}

static int teardown_fault(void **state)
{
    teardown(state);
    return tls_set_fault("") == 200 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(init_rejects_bad_config, teardown),
        cmocka_unit_test_teardown(write_and_get, teardown),
        cmocka_unit_test_teardown(keep_alive_across_writes, teardown),
        cmocka_unit_test_teardown(reconnect_after_server_close, teardown_fault),
        cmocka_unit_test_teardown(connect_notices_closed_idle_session, teardown),
        cmocka_unit_test_teardown(hostile_lower_port, teardown),
        cmocka_unit_test_teardown(handshake_calls_per_poll, teardown),
        cmocka_unit_test_teardown(faults_over_tls, teardown_fault),
        cmocka_unit_test_teardown(negative_servers, teardown),
        cmocka_unit_test_teardown(lower_failures_pass_through, teardown),
        cmocka_unit_test_teardown(write_fits_stated_budget, teardown),
        cmocka_unit_test_teardown(budget_search, teardown),
        cmocka_unit_test_teardown(stack_depth, teardown),
    };
    if (tls_pem("ca.pem") == NULL || tls_pem("other_ca.pem") == NULL) {
        fprintf(stderr, "TLS_CERTS does not hold the minted certificates: run through tests/tls/run.sh\n");
        return 2;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
