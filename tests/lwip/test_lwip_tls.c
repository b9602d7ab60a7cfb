/* TLS over lwIP: the SDK through port/xbl_mpsd_port_mbedtls.h over
   port/xbl_mpsd_port_lwip.h, against a TLS server inside the same lwIP
   stack. The server's TLS side is mbedTLS driven from the test thread: its
   records travel over the in-stack server of lwip_host.h (whose log is the
   server's receive side). Certificates: the directory in $LWIP_TLS_CERTS,
   minted by tests/tls/mint_certs.sh (ca.pem, server.pem/.key for
   127.0.0.1 and localhost, other_ca.pem). */
#define _POSIX_C_SOURCE 200809L
#define XBL_MPSD_IMPLEMENTATION
#define XBL_MPSD_PORT_LWIP_IMPLEMENTATION
#define XBL_MPSD_PORT_MBEDTLS_IMPLEMENTATION
#include "port/xbl_mpsd_port_lwip.h"
#include "port/xbl_mpsd_port_mbedtls.h"
#include "lwip_host.h"

#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>

#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#define TIMEOUT_MS 10000u
#include "lwip_sdk_fixture.h"

static char g_ca_pem[8192], g_other_ca_pem[8192];
static const char *g_certs;

/* ------------------------------------------ the server's TLS side */

typedef struct tls_peer {
    lwip_host_server        *srv;
    mbedtls_ssl_context      ssl;
    mbedtls_ssl_config       conf;
    mbedtls_x509_crt         cert;
    mbedtls_pk_context       key;
    mbedtls_entropy_context  entropy;
    mbedtls_ctr_drbg_context drbg;
    size_t      in_off;          /* TLS bytes of srv->rx consumed */
    bool        handshaken;
    int         failed;          /* mbedTLS error that ended the server side */
    char        req[4096];
    size_t      req_len;
    const char *resp;
    size_t      resp_sent;
} tls_peer;

static tls_peer g_peer;

static int peer_send(void *ctx, const unsigned char *buf, size_t len)
{
    tls_peer *t = (tls_peer *)ctx;
    size_t n;
    int r;
    lwip_host_lock();
    if (t->srv->conn == NULL) { lwip_host_unlock(); return MBEDTLS_ERR_NET_CONN_RESET; }
    n = tcp_sndbuf(t->srv->conn);
    if (n > len) n = len;
    if (n == 0 || tcp_write(t->srv->conn, buf, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK) {
        r = MBEDTLS_ERR_SSL_WANT_WRITE;
    } else {
        (void)tcp_output(t->srv->conn);
        r = (int)n;
    }
    lwip_host_unlock();
    return r;
}

static int peer_recv(void *ctx, unsigned char *buf, size_t len)
{
    tls_peer *t = (tls_peer *)ctx;
    size_t n;
    lwip_host_lock();
    n = t->srv->rx_len - t->in_off;
    if (n > len) n = len;
    memcpy(buf, t->srv->rx + t->in_off, n);
    t->in_off += n;
    lwip_host_unlock();
    return n == 0 ? MBEDTLS_ERR_SSL_WANT_READ : (int)n;
}

static void cert_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", g_certs, name);
}

static void peer_init(tls_peer *t, lwip_host_server *srv)
{
    char path[512];
    memset(t, 0, sizeof *t);
    t->srv = srv;
    mbedtls_ssl_init(&t->ssl);
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_x509_crt_init(&t->cert);
    mbedtls_pk_init(&t->key);
    mbedtls_entropy_init(&t->entropy);
    mbedtls_ctr_drbg_init(&t->drbg);
    assert_int_equal(mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
                                           (const unsigned char *)"lwip-tls-peer", 13), 0);
    cert_path(path, sizeof path, "server.pem");
    assert_int_equal(mbedtls_x509_crt_parse_file(&t->cert, path), 0);
    cert_path(path, sizeof path, "server.key");
    assert_int_equal(mbedtls_pk_parse_keyfile(&t->key, path, NULL), 0);
    assert_int_equal(mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_SERVER,
                     MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT), 0);
    mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
    assert_int_equal(mbedtls_ssl_conf_own_cert(&t->conf, &t->cert, &t->key), 0);
    assert_int_equal(mbedtls_ssl_setup(&t->ssl, &t->conf), 0);
    mbedtls_ssl_set_bio(&t->ssl, t, peer_send, peer_recv, NULL);
}

static void peer_free(tls_peer *t)
{
    mbedtls_ssl_free(&t->ssl);
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_x509_crt_free(&t->cert);
    mbedtls_pk_free(&t->key);
    mbedtls_ctr_drbg_free(&t->drbg);
    mbedtls_entropy_free(&t->entropy);
}

static bool want(int r) { return r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE; }

/* Complete when the header block and its Content-Length body are in. */
static bool request_complete(const tls_peer *t)
{
    const char *end, *cl;
    size_t body = 0;
    char head[4096];
    memcpy(head, t->req, t->req_len);
    head[t->req_len] = '\0';
    end = strstr(head, "\r\n\r\n");
    if (end == NULL) return false;
    cl = strstr(head, "Content-Length: ");
    if (cl != NULL && cl < end) body = (size_t)strtoul(cl + 16, NULL, 10);
    return t->req_len >= (size_t)(end + 4 - head) + body;
}

/* One bounded step of the server: handshake, read the request, answer. */
static void peer_step(tls_peer *t)
{
    int r;
    if (t->failed != 0) return;
    if (!t->handshaken) {
        r = mbedtls_ssl_handshake(&t->ssl);
        if (r == 0) t->handshaken = true;
        else if (!want(r)) t->failed = r;
        return;
    }
    if (!request_complete(t)) {
        r = mbedtls_ssl_read(&t->ssl, (unsigned char *)t->req + t->req_len, sizeof t->req - 1 - t->req_len);
        if (r > 0) t->req_len += (size_t)r;
        else if (!want(r)) t->failed = r;
        return;
    }
    if (t->resp != NULL && t->resp_sent < strlen(t->resp)) {
        r = mbedtls_ssl_write(&t->ssl, (const unsigned char *)t->resp + t->resp_sent, strlen(t->resp) - t->resp_sent);
        if (r > 0) t->resp_sent += (size_t)r;
        else if (!want(r)) t->failed = r;
    }
}

/* ------------------------------------------------------------- the SDK */

static xbl_mpsd_port_lwip    g_tcp;
static xbl_mpsd_port         g_tcp_port, g_tls_port;
static xbl_mpsd_port_mbedtls g_tls;
static lwip_host_server      g_srv;
static xbl_mpsd_client       g_client;
static xbl_mpsd_async        g_async;
static xbl_mpsd_session      g_session;
static unsigned char         g_arena[16384];
static unsigned char         g_work[65536];
static char                  g_resp[4096];


static bool load_file(const char *name, char *out, size_t cap)
{
    char path[512];
    FILE *f;
    size_t n;
    cert_path(path, sizeof path, name);
    f = fopen(path, "rb");
    if (f == NULL) { fprintf(stderr, "cannot open %s\n", path); return false; }
    n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
    return n > 0 && n < cap - 1;
}

static int group_setup(void **state)
{
    (void)state;
    g_certs = getenv("LWIP_TLS_CERTS");
    if (g_certs == NULL) { fprintf(stderr, "LWIP_TLS_CERTS is not set\n"); return -1; }
    if (!load_file("ca.pem", g_ca_pem, sizeof g_ca_pem) ||
        !load_file("other_ca.pem", g_other_ca_pem, sizeof g_other_ca_pem)) return -1;
    lwip_host_init();
    return 0;
}

static bool contains(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle), i;
    for (i = 0; i + k <= n; i++) if (memcmp(hay + i, needle, k) == 0) return true;
    return false;
}

static void setup_client(uint16_t port, const char *ca_pem)
{
    xbl_mpsd_port_mbedtls_config tc;
    xbl_mpsd_client_config cfg;
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(SCID, TNAME, SNAME);
    lwip_host_server_start(&g_srv, port);
    peer_init(&g_peer, &g_srv);
    assert_int_equal(xbl_mpsd_port_lwip_init(&g_tcp, &g_tcp_port), XBL_MPSD_OK);
    memset(&tc, 0, sizeof tc);
    tc.lower = &g_tcp_port;
    tc.server_name = "localhost";
    tc.ca_pem = ca_pem;
    assert_int_equal(xbl_mpsd_port_mbedtls_init(&g_tls, &tc, &g_tls_port), XBL_MPSD_OK);
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &g_tls_port;
    cfg.xuid = XUID;
    cfg.auth = test_auth;
    cfg.host = "127.0.0.1";
    cfg.port_number = port;
    assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_init(&g_async, g_work, sizeof g_work), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_init(&g_session, XUID, &ref, NULL, g_arena, sizeof g_arena), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_join(&g_session, NULL, false, true), XBL_MPSD_OK);
}

static int teardown(void **state)
{
    (void)state;
    xbl_mpsd_client_close(&g_client);
    xbl_mpsd_port_mbedtls_free(&g_tls);
    lwip_host_server_stop(&g_srv);
    peer_free(&g_peer);
    return 0;
}

static xbl_mpsd_result drive(void)
{
    uint32_t start = sys_now();
    xbl_mpsd_result r;
    for (;;) {
        r = xbl_mpsd_async_poll(&g_async);
        if (r != XBL_MPSD_PENDING || (uint32_t)(sys_now() - start) > TIMEOUT_MS) return r;
        peer_step(&g_peer);
        lwip_host_pump();
    }
}

static void test_tls_write_over_lwip(void **state)
{
    char want_req[4096];
    (void)state;
    setup_client(8301, g_ca_pem);
    snprintf(g_resp, sizeof g_resp, "HTTP/1.1 201 Created\r\nETag: t201\r\nContent-Length: %u\r\n\r\n%s",
             (unsigned)strlen(DOC), DOC);
    g_peer.resp = g_resp;
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session,
                     XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(), XBL_MPSD_OK);
    assert_int_equal(g_peer.failed, 0);
    assert_int_equal(xbl_mpsd_async_http_status(&g_async), 201);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_write_status(&g_session), XBL_MPSD_WRITE_SESSION_STATUS_CREATED);
    assert_string_equal(xbl_mpsd_session_etag(&g_session), "t201");
    /* the server decrypted exactly the request the SDK wrote */
    snprintf(want_req, sizeof want_req,
             "PUT " REF_PATH " HTTP/1.1\r\n"
             "Host: 127.0.0.1:8301\r\n"
             "x-xbl-contract-version: 107\r\n"
             "Content-Type: application/json; charset=utf-8\r\n"
             "Content-Length: %u\r\n"
             "User-Agent: xbl_mpsd/" XBL_MPSD_VERSION_STRING "\r\n"
             "If-None-Match: *\r\n"
             "Authorization: XBL3.0 x=1;tok\r\n"
             "Signature: sig\r\n"
             "\r\n" JOIN_BODY, (unsigned)strlen(JOIN_BODY));
    assert_int_equal(g_peer.req_len, strlen(want_req));
    assert_memory_equal(g_peer.req, want_req, g_peer.req_len);
    /* and nothing of it crossed lwIP in clear */
    lwip_host_lock();
    assert_true(g_srv.rx_len > g_peer.req_len);
    assert_false(contains(g_srv.rx, g_srv.rx_len, "Authorization"));
    lwip_host_unlock();
}

/* A certificate from a CA we do not trust: the SDK's write fails with
   XBL_MPSD_E_TLS_VERIFY and no request reaches the server. */
static void test_tls_untrusted_server(void **state)
{
    (void)state;
    setup_client(8302, g_other_ca_pem);
    g_peer.resp = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session,
                     XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(), XBL_MPSD_E_TLS_VERIFY);
    assert_int_equal(g_peer.req_len, 0);
    assert_false(g_peer.handshaken);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_tls_write_over_lwip, teardown),
        cmocka_unit_test_teardown(test_tls_untrusted_server, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
