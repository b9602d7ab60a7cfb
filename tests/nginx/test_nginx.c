/* The SDK through the POSIX port (and the mbedTLS port for TLS) against a
   real nginx in front of the emulator: plain proxying, an IPv6 literal,
   name-based virtual hosts, keepalive_requests and keepalive_timeout
   closes, nginx's own chunked framing, its error pages, TLS terminated by
   OpenSSL. Run by tests/nginx/run.sh, which starts both servers and passes
   their ports (NGINX_PORT_*), the access log and the test CA. */
#include "tests/integration/sdk_common.h"
#define XBL_MPSD_PORT_MBEDTLS_IMPLEMENTATION
#include "port/xbl_mpsd_port_mbedtls.h"
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#define LOG_CAP 128
#define SEEN_CAP 4096

/* A port in front of the real one: every call that did something, one
   letter each, a run of equal letters kept once (how many polls a connect
   or a response took is the machine's business, not the test's):
     c connect started or in progress   C connect answered OK (connected, or
                                          the idle connection is alive)
     F connect failed                   s send accepted bytes
     S send failed                      r recv delivered bytes
     e recv EOF                         E recv failed     x close
   Would-block answers are not logged. The first bytes received since the
   last reset are kept. */
typedef struct spy_port {
    const xbl_mpsd_port *lower;
    char    log[LOG_CAP];
    size_t  log_len;
    uint8_t seen[SEEN_CAP];
    size_t  seen_len;
} spy_port;

static void spy_log(spy_port *s, char c)
{
    if (s->log_len > 0 && s->log[s->log_len - 1] == c) return;
    if (s->log_len + 1 < LOG_CAP) s->log[s->log_len++] = c;
    s->log[s->log_len] = '\0';
}

static void spy_reset(spy_port *s)
{
    s->log_len = 0;
    s->log[0] = '\0';
    s->seen_len = 0;
}

static xbl_mpsd_result spy_connect(void *ctx, const char *host, uint16_t port)
{
    spy_port *s = (spy_port *)ctx;
    xbl_mpsd_result r = s->lower->connect(s->lower->ctx, host, port);
    spy_log(s, r == XBL_MPSD_OK ? 'C' : r == XBL_MPSD_PENDING ? 'c' : 'F');
    return r;
}

static int32_t spy_send(void *ctx, const uint8_t *data, size_t len)
{
    spy_port *s = (spy_port *)ctx;
    int32_t n = s->lower->send(s->lower->ctx, data, len);
    if (n != XBL_MPSD_E_WOULD_BLOCK) spy_log(s, n > 0 ? 's' : 'S');
    return n;
}

static int32_t spy_recv(void *ctx, uint8_t *buf, size_t cap)
{
    spy_port *s = (spy_port *)ctx;
    int32_t n = s->lower->recv(s->lower->ctx, buf, cap);
    if (n > 0) {
        size_t k = (size_t)n < SEEN_CAP - s->seen_len ? (size_t)n : SEEN_CAP - s->seen_len;
        memcpy(s->seen + s->seen_len, buf, k);
        s->seen_len += k;
        spy_log(s, 'r');
    } else if (n != XBL_MPSD_E_WOULD_BLOCK) {
        spy_log(s, n == XBL_MPSD_E_EOF ? 'e' : 'E');
    }
    return n;
}

static void spy_close(void *ctx)
{
    spy_port *s = (spy_port *)ctx;
    s->lower->close(s->lower->ctx);
    spy_log(s, 'x');
}

static uint32_t spy_now(void *ctx)
{
    spy_port *s = (spy_port *)ctx;
    return s->lower->now_ms(s->lower->ctx);
}

/* An integration user (its POSIX port is it.port) with the TLS port over
   that, and the spy in front of whichever the client uses. */
typedef struct user {
    it_user                it;
    xbl_mpsd_port_mbedtls  tls;
    xbl_mpsd_port          tls_port;
    bool                   tls_on;
    spy_port               spy;
    xbl_mpsd_port          port;
} user;

static user alice, bob;
static char g_ca[8192];
static int g_serial;
static uint8_t g_before[sizeof(xbl_mpsd_session)];

/* A token of 1200 bytes: more than nginx's 1 KB header buffers hold. */
static xbl_mpsd_result long_auth(void *u, const char *method, const char *path, const uint8_t *body,
        size_t body_len, char *authorization, size_t authorization_cap, char *signature, size_t signature_cap)
{
    (void)u; (void)method; (void)path; (void)body; (void)body_len;
    if (authorization_cap <= 1200 || signature_cap == 0) return XBL_MPSD_E_OUTOFMEMORY;
    memset(authorization, 'a', 1200);
    authorization[1200] = '\0';
    signature[0] = '\0';
    return XBL_MPSD_OK;
}

static uint16_t env_port(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL) { fprintf(stderr, "%s is not set: run through tests/nginx/run.sh\n", name); exit(2); }
    return (uint16_t)atoi(v);
}

static void load_ca(void)
{
    const char *path = getenv("NGINX_CA");
    FILE *f = path ? fopen(path, "rb") : NULL;
    size_t n;
    if (f == NULL) { fprintf(stderr, "NGINX_CA is not readable: run through tests/nginx/run.sh\n"); exit(2); }
    n = fread(g_ca, 1, sizeof g_ca - 1, f);
    g_ca[n] = '\0';
    fclose(f);
}

/* Drops whatever u had, then a client for host:port whose Host names
   host_header (NULL: host), over TLS when tls, its tokens from auth. */
static void user_init_auth(user *u, uint64_t xuid, const char *host, uint16_t port, const char *host_header,
                           bool tls, xbl_mpsd_auth_fn auth)
{
    xbl_mpsd_client_config cfg;
    xbl_mpsd_port_mbedtls_config tc;
    if (u->it.xuid != 0) xbl_mpsd_client_close(&u->it.client);
    if (u->tls_on) xbl_mpsd_port_mbedtls_free(&u->tls);
    u->tls_on = false;
    u->it.xuid = xuid;
    snprintf(u->it.token, sizeof u->it.token, "xuid=%llu,gt=P%llu", (unsigned long long)xuid,
             (unsigned long long)(xuid % 100000));
    assert_int_equal(xbl_mpsd_port_posix_init(&u->it.tcp, &u->it.port), XBL_MPSD_OK);
    u->spy.lower = &u->it.port;
    if (tls) {
        memset(&tc, 0, sizeof tc);
        tc.lower = &u->it.port;
        tc.server_name = "localhost";
        tc.ca_pem = g_ca;
        assert_int_equal(xbl_mpsd_port_mbedtls_init(&u->tls, &tc, &u->tls_port), XBL_MPSD_OK);
        u->tls_on = true;
        u->spy.lower = &u->tls_port;
    }
    spy_reset(&u->spy);
    u->port.ctx = &u->spy;
    u->port.connect = spy_connect;
    u->port.send = spy_send;
    u->port.recv = spy_recv;
    u->port.close = spy_close;
    u->port.now_ms = spy_now;
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &u->port;
    cfg.xuid = xuid;
    cfg.auth = auth;
    cfg.auth_user = &u->it;
    cfg.host = host;
    cfg.port_number = port;
    cfg.host_header = host_header;
    cfg.timeout_ms = 20000;
    assert_int_equal(xbl_mpsd_client_init(&u->it.client, &cfg), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_init(&u->it.op, u->it.work, sizeof u->it.work), XBL_MPSD_OK);
}

static void user_init(user *u, uint64_t xuid, const char *host, uint16_t port, const char *host_header, bool tls)
{
    user_init_auth(u, xuid, host, port, host_header, tls, it_auth);
}

/* One write or get of u's session, the spy's record starting with it. */
static xbl_mpsd_result do_write(user *u, xbl_mpsd_session_write_mode mode)
{
    spy_reset(&u->spy);
    return it_write(&u->it, &u->it.session, mode, &u->it.session);
}

static xbl_mpsd_result do_get(user *u, const xbl_mpsd_session_reference *ref)
{
    spy_reset(&u->spy);
    return it_get(&u->it, ref, &u->it.session);
}

static xbl_mpsd_session_reference fresh_ref(void)
{
    return it_fresh_ref("nginx", &g_serial);
}

static void local_join(user *u, const xbl_mpsd_session_reference *ref)
{
    assert_int_equal(it_local_join(&u->it, ref), XBL_MPSD_OK);
}

static void empty_session(user *u)
{
    assert_int_equal(xbl_mpsd_session_init(&u->it.session, u->it.xuid, NULL, NULL, u->it.arena, sizeof u->it.arena),
                     XBL_MPSD_OK);
}

/* A fresh client for u that creates ref on a new connection. */
static void create_fresh(user *u, uint64_t xuid, uint16_t port, const char *host_header, bool tls,
                         const xbl_mpsd_session_reference *ref)
{
    user_init(u, xuid, "127.0.0.1", port, host_header, tls);
    local_join(u, ref);
    assert_int_equal(do_write(u, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&u->it.op), 201);
    assert_int_equal(xbl_mpsd_session_write_status(&u->it.session), XBL_MPSD_WRITE_SESSION_STATUS_CREATED);
    assert_string_equal(u->spy.log, "cCsr");
}

/* ------------------------------------------------------------ access log */

/* One access log line: "$server_port $server_name $host $connection
   $connection_requests $status $request_method $uri". */
typedef struct log_line {
    unsigned port;
    char     server[64];
    char     host[64];
    unsigned long conn;
    unsigned reqs;
    unsigned status;
    char     method[8];
    char     uri[300];
} log_line;

/* The access log lines of ref's session, in order, into out (up to cap).
   nginx logs a request after its response went out, so the last line may
   come a moment after the response: this waits (up to 5 s) until there
   are at least `want` lines. Returns how many there are. */
static size_t log_lines(const xbl_mpsd_session_reference *ref, log_line *out, size_t cap, size_t want)
{
    char suffix[160];
    size_t k, n = 0;
    int tries;
    snprintf(suffix, sizeof suffix, "/sessions/%s", ref->session_name);
    k = strlen(suffix);
    for (tries = 0; tries < 500; tries++) {
        struct timespec t = { 0, 10000000 };
        FILE *f = fopen(getenv("NGINX_ACCESS_LOG"), "r");
        char line[512];
        assert_non_null(f);
        n = 0;
        while (fgets(line, sizeof line, f) != NULL) {
            log_line l;
            size_t u;
            if (sscanf(line, "%u %63s %63s %lu %u %u %7s %299s", &l.port, l.server, l.host, &l.conn, &l.reqs,
                       &l.status, l.method, l.uri) != 8) continue;
            u = strlen(l.uri);
            if (u < k || strcmp(l.uri + u - k, suffix) != 0) continue;
            if (n < cap) out[n] = l;
            n++;
        }
        fclose(f);
        if (n >= want) break;
        nanosleep(&t, NULL);
    }
    return n;
}

/* ----------------------------------------------------------------- cases */

/* create, join, get, 412, leave: through the vhost, Host naming it while the
   connection goes to the address. */
static void proxied_session_story(void **state)
{
    uint16_t port = env_port("NGINX_PORT_VHOST");
    xbl_mpsd_session_reference ref = fresh_ref();
    char stale[128];
    const xbl_mpsd_session_member *m;
    size_t n;
    log_line l[8];
    (void)state;
    create_fresh(&alice, 2814600000000201ULL, port, "mpsd.test", false, &ref);
    user_init(&bob, 2814600000000202ULL, "127.0.0.1", port, "mpsd.test", false);
    snprintf(stale, sizeof stale, "%s", xbl_mpsd_session_etag(&alice.it.session));

    local_join(&bob, &ref);
    assert_int_equal(do_write(&bob, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_write_status(&bob.it.session), XBL_MPSD_WRITE_SESSION_STATUS_UPDATED);
    assert_int_equal(xbl_mpsd_session_members(&bob.it.session, &m, &n), XBL_MPSD_OK);
    assert_int_equal(n, 2);
    assert_int_equal(m[1].xuid, bob.it.xuid);

    /* alice's copy is stale: her synchronized write gets the 412 and the
       current document */
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&alice.it.session, "round", "1"), XBL_MPSD_OK);
    assert_int_equal(do_write(&alice, XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&alice.it.op), 412);
    assert_int_equal(xbl_mpsd_session_write_status(&alice.it.session), XBL_MPSD_WRITE_SESSION_STATUS_OUT_OF_SYNC);
    assert_string_equal(xbl_mpsd_session_etag(&alice.it.session), xbl_mpsd_session_etag(&bob.it.session));
    assert_string_not_equal(xbl_mpsd_session_etag(&alice.it.session), stale);
    assert_string_equal(alice.spy.log, "Csr");   /* the kept connection, checked alive */

    empty_session(&alice);
    assert_int_equal(do_get(&alice, &ref), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&alice.it.op), 200);
    assert_int_equal(xbl_mpsd_session_members(&alice.it.session, &m, &n), XBL_MPSD_OK);
    assert_int_equal(n, 2);

    assert_int_equal(xbl_mpsd_session_leave(&bob.it.session), XBL_MPSD_OK);
    assert_int_equal(do_write(&bob, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_write_status(&bob.it.session), XBL_MPSD_WRITE_SESSION_STATUS_UPDATED);
    assert_int_equal(xbl_mpsd_session_members(&bob.it.session, &m, &n), XBL_MPSD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(m[0].xuid, alice.it.xuid);
    assert_null(xbl_mpsd_session_current_user(&bob.it.session));

    /* nginx saw five requests, all for the vhost named by Host */
    assert_int_equal(log_lines(&ref, l, 8, 5), 5);
    for (n = 0; n < 5; n++) {
        assert_string_equal(l[n].server, "mpsd.test");
        assert_string_equal(l[n].host, "mpsd.test");
    }
    assert_int_equal(l[0].status, 201);
    assert_int_equal(l[2].status, 412);
    assert_string_equal(l[3].method, "GET");
    assert_int_equal(l[3].reqs, 3);   /* alice's third request, her connection's third */
    assert_true(l[3].conn == l[0].conn && l[4].conn == l[1].conn && l[0].conn != l[1].conn);
}

/* The address alone as Host: nginx's default server answers 421, the
   result names it; host_header = the vhost's name reaches the emulator. */
static void name_based_virtual_hosts(void **state)
{
    uint16_t port = env_port("NGINX_PORT_VHOST");
    xbl_mpsd_session_reference ref = fresh_ref();
    log_line l[2];
    (void)state;
    user_init(&alice, 2814600000000203ULL, "127.0.0.1", port, NULL, false);
    local_join(&alice, &ref);
    memcpy(g_before, &alice.it.session, sizeof g_before);
    assert_int_equal(do_write(&alice, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW), XBL_MPSD_E_HTTP_STATUS(421));
    assert_int_equal(xbl_mpsd_async_http_status(&alice.it.op), 421);
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(421)), "HTTP 421");
    assert_memory_equal(g_before, &alice.it.session, sizeof g_before);   /* a failed write changes nothing */
    create_fresh(&alice, 2814600000000203ULL, port, "mpsd.test", false, &ref);
    assert_int_equal(log_lines(&ref, l, 2, 2), 2);
    assert_string_equal(l[0].server, "_");
    assert_string_equal(l[0].host, "127.0.0.1");
    assert_int_equal(l[0].status, 421);
    assert_string_equal(l[1].server, "mpsd.test");
    assert_string_equal(l[1].host, "mpsd.test");
    assert_int_equal(l[1].status, 201);
}

/* An IPv6 literal connect address: Host is "[::1]:port" (unbracketed,
   nginx answers 400). */
static void ipv6_literal_host(void **state)
{
    uint16_t port = env_port("NGINX_PORT_KA_REQ");
    xbl_mpsd_session_reference ref = fresh_ref();
    const char *v6 = getenv("NGINX_V6");
    log_line l;
    (void)state;
    if (v6 == NULL || strcmp(v6, "1") != 0) {
        print_message("SKIPPED: ::1 cannot be bound on this machine (IPv6 loopback off)\n");
        skip();
        return;
    }
    user_init(&alice, 2814600000000204ULL, "::1", port, NULL, false);
    local_join(&alice, &ref);
    assert_int_equal(do_write(&alice, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_write_status(&alice.it.session), XBL_MPSD_WRITE_SESSION_STATUS_CREATED);
    assert_int_equal(log_lines(&ref, &l, 1, 1), 1);
    assert_int_equal(l.port, port);
    assert_string_equal(l.host, "[::1]");   /* $host: Host without its port */
    assert_int_equal(l.status, 201);
    empty_session(&alice);
    assert_int_equal(do_get(&alice, &ref), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&alice.it.op), 200);

    /* and the vhost name over IPv6 */
    user_init(&alice, 2814600000000204ULL, "::1", env_port("NGINX_PORT_VHOST"), "mpsd.test", false);
    empty_session(&alice);
    assert_int_equal(do_get(&alice, &ref), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&alice.it.op), 200);
}

/* keepalive_requests 3: the third response says Connection: close, the SDK
   drops the connection and the fourth request goes out on a new one: no
   failed send or receive anywhere. */
static void keepalive_requests_close(void **state)
{
    uint16_t port = env_port("NGINX_PORT_KA_REQ");
    xbl_mpsd_session_reference ref = fresh_ref();
    static const char *const expect[5] = { "cCsr", "Csr", "Csrx", "cCsr", "Csr" };   /* [0]: create_fresh */
    size_t i;
    log_line l[5];
    (void)state;
    create_fresh(&alice, 2814600000000205ULL, port, "mpsd.test", false, &ref);
    for (i = 1; i < 5; i++) {
        empty_session(&alice);
        assert_int_equal(do_get(&alice, &ref), XBL_MPSD_OK);
        assert_int_equal(xbl_mpsd_async_http_status(&alice.it.op), 200);
        assert_string_equal(alice.spy.log, expect[i]);
    }
    assert_int_equal(log_lines(&ref, l, 5, 5), 5);
    for (i = 0; i < 5; i++) assert_int_equal(l[i].reqs, i < 3 ? i + 1 : i - 2);
    assert_true(l[0].conn == l[1].conn && l[1].conn == l[2].conn);
    assert_true(l[3].conn == l[4].conn && l[3].conn != l[0].conn);
}

/* Waits (up to 10 s) until the idle connection under u has something to
   read: here, nginx's FIN after keepalive_timeout. Not a timed assertion:
   it waits for the event. */
static void wait_peer_close(user *u)
{
    struct pollfd p;
    p.fd = u->it.tcp.fd;
    p.events = POLLIN;
    p.revents = 0;
    assert_int_equal(poll(&p, 1, 10000), 1);
}

/* keepalive_timeout 1s: nginx closes the idle connection without a word.
   The next request's liveness check finds it closed and connects afresh:
   no send on the dead connection, no resend (nginx logs one request). */
static void keepalive_timeout_close_costs_no_send(void **state)
{
    uint16_t port = env_port("NGINX_PORT_KA_IDLE");
    xbl_mpsd_session_reference ref = fresh_ref();
    log_line l[3];
    (void)state;
    create_fresh(&alice, 2814600000000206ULL, port, "mpsd.test", false, &ref);
    wait_peer_close(&alice);
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&alice.it.session, "k", "2"), XBL_MPSD_OK);
    assert_int_equal(do_write(&alice, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_write_status(&alice.it.session), XBL_MPSD_WRITE_SESSION_STATUS_UPDATED);
    /* the check ('c': found closed, a new connection started), then one
       send of the request and its response */
    assert_string_equal(alice.spy.log, "cCsr");
    assert_int_equal(log_lines(&ref, l, 3, 2), 2);
    assert_true(l[1].conn != l[0].conn);
    assert_int_equal(l[1].reqs, 1);
    assert_int_equal(l[1].status, 200);
}

static bool seen_contains(const spy_port *s, const char *needle)
{
    size_t k = strlen(needle), i;
    for (i = 0; i + k <= s->seen_len; i++)
        if (memcmp(s->seen + i, needle, k) == 0) return true;
    return false;
}

/* proxy_buffering off: the emulator's 5-byte chunks go through nginx's own
   chunked encoder; the document arrives whole. */
static void nginx_chunked_framing(void **state)
{
    uint16_t port = env_port("NGINX_PORT_VHOST");
    xbl_mpsd_session_reference ref = fresh_ref();
    const xbl_mpsd_session_member *m;
    size_t n;
    char etag[128];
    (void)state;
    user_init(&alice, 2814600000000207ULL, "127.0.0.1", port, "chunked.test", false);
    local_join(&alice, &ref);
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&alice.it.session, "map", "\"harbour\""), XBL_MPSD_OK);
    assert_int_equal(do_write(&alice, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW), XBL_MPSD_OK);
    assert_true(seen_contains(&alice.spy, "\r\nTransfer-Encoding: chunked\r\n"));
    assert_false(seen_contains(&alice.spy, "Content-Length:"));
    assert_int_equal(xbl_mpsd_session_write_status(&alice.it.session), XBL_MPSD_WRITE_SESSION_STATUS_CREATED);
    snprintf(etag, sizeof etag, "%s", xbl_mpsd_session_etag(&alice.it.session));
    assert_true(etag[0] != '\0');
    empty_session(&alice);
    assert_int_equal(do_get(&alice, &ref), XBL_MPSD_OK);
    assert_true(seen_contains(&alice.spy, "\r\nTransfer-Encoding: chunked\r\n"));
    assert_string_equal(alice.spy.log, "Csr");   /* chunked framing ends the response: kept */
    assert_string_equal(xbl_mpsd_session_etag(&alice.it.session), etag);
    assert_string_equal(xbl_mpsd_session_session_properties(&alice.it.session)->session_custom_properties_json,
                        "{\"map\":\"harbour\"}");
    assert_int_equal(xbl_mpsd_session_members(&alice.it.session, &m, &n), XBL_MPSD_OK);
    assert_int_equal(n, 1);
    assert_string_equal(m[0].gamertag, "P207");
}

/* nginx's own error pages: status and result exact, the HTML body not
   taken as the service's error text, the session untouched. */
static void error_page(const char *vhost, uint16_t port, bool write, uint32_t status, const char *log)
{
    xbl_mpsd_session_reference ref = fresh_ref();
    xbl_mpsd_result expect = XBL_MPSD_E_HTTP_STATUS(status);
    user_init(&alice, 2814600000000208ULL, "127.0.0.1", port, vhost, false);
    local_join(&alice, &ref);
    memcpy(g_before, &alice.it.session, sizeof g_before);
    if (write) assert_int_equal(do_write(&alice, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW), expect);
    else assert_int_equal(do_get(&alice, &ref), expect);
    assert_int_equal(xbl_mpsd_async_http_status(&alice.it.op), status);
    assert_string_equal(xbl_mpsd_async_error_text(&alice.it.op), "");
    assert_memory_equal(g_before, &alice.it.session, sizeof g_before);
    assert_string_equal(alice.spy.log, log);
}

static void nginx_error_pages(void **state)
{
    uint16_t vhost = env_port("NGINX_PORT_VHOST");
    char name[32];
    (void)state;
    /* upstream down */
    error_page("down.test", vhost, false, 502, "cCsr");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(502)), "HTTP 502");
    /* body over client_max_body_size: nginx answers and closes */
    error_page("small.test", vhost, true, 413, "cCsrx");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(413)), "HTTP 413");
    /* nothing at that path in the static root */
    error_page("static.test", vhost, false, 404, "cCsr");
    /* a redirect is not followed: its status, named */
    error_page("moved.test", vhost, false, 301, "cCsr");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(301)), "HTTP 301");
    /* the Authorization line does not fit nginx's header buffers: 400,
       and nginx closes */
    user_init_auth(&alice, 2814600000000208ULL, "127.0.0.1", env_port("NGINX_PORT_SMALL"), "mpsd.test", false,
                   long_auth);
    {
        xbl_mpsd_session_reference ref = fresh_ref();
        local_join(&alice, &ref);
        assert_int_equal(do_write(&alice, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW), XBL_MPSD_E_HTTP_STATUS(400));
    }
    assert_int_equal(xbl_mpsd_async_http_status(&alice.it.op), 400);
    assert_string_equal(xbl_mpsd_async_error_text(&alice.it.op), "");
    assert_string_equal(alice.spy.log, "cCsrx");
    snprintf(name, sizeof name, "%s", xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(400)));
    assert_string_equal(name, "HTTP 400");
}

/* TLS terminated by nginx (OpenSSL) in front of the emulator, the mbedTLS
   port in the client: connect to the address, server_name and Host both
   the certificate's name. The address as Host lands on the default
   server's 421 although the handshake named localhost. */
static void tls_termination(void **state)
{
    uint16_t port = env_port("NGINX_PORT_TLS");
    xbl_mpsd_session_reference ref = fresh_ref();
    log_line l[3];
    (void)state;
    create_fresh(&alice, 2814600000000209ULL, port, "localhost", true, &ref);
    empty_session(&alice);
    assert_int_equal(do_get(&alice, &ref), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&alice.it.op), 200);
    assert_string_equal(alice.spy.log, "Csr");   /* one handshake, the session kept */
    assert_int_equal(log_lines(&ref, l, 3, 2), 2);
    assert_string_equal(l[0].server, "localhost");
    assert_true(l[1].conn == l[0].conn);

    user_init(&alice, 2814600000000209ULL, "127.0.0.1", port, NULL, true);
    empty_session(&alice);
    assert_int_equal(do_get(&alice, &ref), XBL_MPSD_E_HTTP_STATUS(421));
    assert_int_equal(xbl_mpsd_async_http_status(&alice.it.op), 421);
    assert_int_equal(log_lines(&ref, l, 3, 3), 3);
    assert_string_equal(l[2].server, "_");
    assert_int_equal(l[2].status, 421);
    xbl_mpsd_client_close(&alice.it.client);
    xbl_mpsd_port_mbedtls_free(&alice.tls);
    alice.tls_on = false;
    alice.it.xuid = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(proxied_session_story),
        cmocka_unit_test(name_based_virtual_hosts),
        cmocka_unit_test(ipv6_literal_host),
        cmocka_unit_test(keepalive_requests_close),
        cmocka_unit_test(keepalive_timeout_close_costs_no_send),
        cmocka_unit_test(nginx_chunked_framing),
        cmocka_unit_test(nginx_error_pages),
        cmocka_unit_test(tls_termination),
    };
    load_ca();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
