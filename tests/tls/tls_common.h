/* TLS test plumbing: the SDK, the POSIX port and the mbedTLS port in one
   translation unit; a spy port between TCP and TLS that counts, clamps,
   delays and breaks the lower calls; users whose tokens the emulator
   understands; raw HTTP over a port; certificates and server ports from the
   environment tests/tls/run.sh sets up. */
#ifndef TLS_COMMON_H
#define TLS_COMMON_H
#define _POSIX_C_SOURCE 200809L
#define XBL_MPSD_IMPLEMENTATION
#define XBL_MPSD_PORT_POSIX_IMPLEMENTATION
#define XBL_MPSD_PORT_MBEDTLS_IMPLEMENTATION
#include "port/xbl_mpsd_port_posix.h"
#include "port/xbl_mpsd_port_mbedtls.h"
#include "tls_heap.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>

#define TLS_SCID "00000000-0000-0000-0000-00000000c0de"

/* ------------------------------------------------------------------ spy port */

typedef struct spy_port {
    xbl_mpsd_port inner;
    size_t   max_send, max_recv;    /* clamp each call (0: no clamp) */
    int      block_alternate;       /* every other send/recv answers WOULD_BLOCK first */
    unsigned fail_recv_at;          /* this recv call (1-based) and later answer E_IO; 0: never */
    unsigned connects, connect_ok, sends, recvs, closes, would_blocks;
    unsigned round_calls;           /* connect + send + recv calls since the count was zeroed */
    int32_t  last;                  /* last answer of connect, send or recv */
    int      toggle;
} spy_port;

static bool spy_block_now(spy_port *s)
{
    if (!s->block_alternate) return false;
    s->toggle = !s->toggle;
    if (s->toggle) s->would_blocks++;
    return s->toggle != 0;
}

static xbl_mpsd_result spy_connect(void *ctx, const char *host, uint16_t port)
{
    spy_port *s = (spy_port *)ctx;
    xbl_mpsd_result r = s->inner.connect(s->inner.ctx, host, port);
    s->connects++;
    s->round_calls++;
    if (r == XBL_MPSD_OK) s->connect_ok++;
    s->last = r;
    return r;
}

static int32_t spy_send(void *ctx, const uint8_t *data, size_t len)
{
    spy_port *s = (spy_port *)ctx;
    s->sends++;
    s->round_calls++;
    if (spy_block_now(s)) return s->last = XBL_MPSD_E_WOULD_BLOCK;
    if (s->max_send != 0 && len > s->max_send) len = s->max_send;
    s->last = s->inner.send(s->inner.ctx, data, len);
    if (s->last == XBL_MPSD_E_WOULD_BLOCK) s->would_blocks++;
    return s->last;
}

static int32_t spy_recv(void *ctx, uint8_t *buf, size_t cap)
{
    spy_port *s = (spy_port *)ctx;
    s->recvs++;
    s->round_calls++;
    if (s->fail_recv_at != 0 && s->recvs >= s->fail_recv_at) return s->last = XBL_MPSD_E_IO;
    if (spy_block_now(s)) return s->last = XBL_MPSD_E_WOULD_BLOCK;
    if (s->max_recv != 0 && cap > s->max_recv) cap = s->max_recv;
    s->last = s->inner.recv(s->inner.ctx, buf, cap);
    if (s->last == XBL_MPSD_E_WOULD_BLOCK) s->would_blocks++;
    return s->last;
}

static void spy_close(void *ctx)
{
    spy_port *s = (spy_port *)ctx;
    s->closes++;
    s->inner.close(s->inner.ctx);
}

static uint32_t spy_now_ms(void *ctx)
{
    spy_port *s = (spy_port *)ctx;
    return s->inner.now_ms(s->inner.ctx);
}

static void spy_init(spy_port *s, const xbl_mpsd_port *inner, xbl_mpsd_port *out)
{
    memset(s, 0, sizeof *s);
    s->inner = *inner;
    out->ctx = s;
    out->connect = spy_connect;
    out->send = spy_send;
    out->recv = spy_recv;
    out->close = spy_close;
    out->now_ms = spy_now_ms;
}

/* --------------------------------------------------------------- environment */

static uint16_t tls_env_port(const char *name)
{
    char var[64];
    const char *v;
    snprintf(var, sizeof var, "TLS_PORT_%s", name);
    v = getenv(var);
    if (v == NULL) { fprintf(stderr, "%s is not set: run through tests/tls/run.sh\n", var); exit(2); }
    return (uint16_t)atoi(v);
}

/* A PEM file of the minted set, kept in one of a few static slots. */
static const char *tls_pem(const char *file)
{
    static char slots[4][8192];
    static char names[4][32];
    char path[512];
    const char *dir = getenv("TLS_CERTS");
    FILE *f;
    size_t n, i;
    for (i = 0; i < 4 && names[i][0] != '\0'; i++)
        if (strcmp(names[i], file) == 0) return slots[i];
    if (i == 4 || dir == NULL) return NULL;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    f = fopen(path, "rb");
    if (f == NULL) return NULL;
    n = fread(slots[i], 1, sizeof slots[i] - 1, f);
    fclose(f);
    slots[i][n] = '\0';
    snprintf(names[i], sizeof names[i], "%s", file);
    return slots[i];
}

/* ---------------------------------------------------------------------- users */

typedef struct tls_user {
    char                  token[96];
    uint64_t              xuid;
    uint16_t              port_number;
    xbl_mpsd_port_posix   tcp;
    xbl_mpsd_port         tcp_port;
    spy_port              spy;
    xbl_mpsd_port         spy_port;
    xbl_mpsd_port_mbedtls tls;
    xbl_mpsd_port         tls_port;
    xbl_mpsd_client       client;
    xbl_mpsd_async        op;
    uint8_t               work[65536];
    xbl_mpsd_session      session;
    uint8_t               arena[65536];
} tls_user;

static xbl_mpsd_result tls_auth(void *user, const char *method, const char *path, const uint8_t *body,
        size_t body_len, char *authorization, size_t authorization_cap, char *signature, size_t signature_cap)
{
    const tls_user *u = (const tls_user *)user;
    int n = snprintf(authorization, authorization_cap, "XBL3.0 x=-;%s", u->token);
    (void)method; (void)path; (void)body; (void)body_len;
    if (signature_cap) signature[0] = '\0';
    return n > 0 && (size_t)n < authorization_cap ? XBL_MPSD_OK : XBL_MPSD_E_OUTOFMEMORY;
}

/* TCP, then the spy, then TLS, then the client. The TLS init's result. */
static xbl_mpsd_result tls_user_init(tls_user *u, uint64_t xuid, uint16_t port_number,
        const char *server_name, const char *ca_pem)
{
    xbl_mpsd_port_mbedtls_config tc;
    xbl_mpsd_client_config cfg;
    xbl_mpsd_result r;
    memset(&tc, 0, sizeof tc);
    memset(&cfg, 0, sizeof cfg);
    u->xuid = xuid;
    u->port_number = port_number;
    snprintf(u->token, sizeof u->token, "xuid=%llu,gt=T%llu", (unsigned long long)xuid,
             (unsigned long long)(xuid % 100000));
    if (xbl_mpsd_port_posix_init(&u->tcp, &u->tcp_port) != XBL_MPSD_OK) return XBL_MPSD_E_FAIL;
    spy_init(&u->spy, &u->tcp_port, &u->spy_port);
    tc.lower = &u->spy_port;
    tc.server_name = server_name;
    tc.ca_pem = ca_pem;
    r = xbl_mpsd_port_mbedtls_init(&u->tls, &tc, &u->tls_port);
    if (r != XBL_MPSD_OK) return r;
    cfg.port = &u->tls_port;
    cfg.xuid = xuid;
    cfg.auth = tls_auth;
    cfg.auth_user = u;
    cfg.host = "127.0.0.1";
    cfg.port_number = port_number;
    cfg.timeout_ms = 20000;
    if (xbl_mpsd_client_init(&u->client, &cfg) != XBL_MPSD_OK) return XBL_MPSD_E_FAIL;
    return xbl_mpsd_async_init(&u->op, u->work, sizeof u->work);
}

static void tls_user_free(tls_user *u)
{
    xbl_mpsd_client_close(&u->client);
    xbl_mpsd_port_mbedtls_free(&u->tls);
}

static void tls_nap(void)
{
    struct timespec t = { 0, 200000 };
    nanosleep(&t, NULL);
}

static xbl_mpsd_result tls_wait(xbl_mpsd_async *op)
{
    xbl_mpsd_result rc;
    while ((rc = xbl_mpsd_async_poll(op)) == XBL_MPSD_PENDING) tls_nap();
    return rc;
}

static xbl_mpsd_session_reference tls_fresh_ref(void)
{
    static int serial;
    char name[64];
    snprintf(name, sizeof name, "tls-%ld-%d", (long)time(NULL), ++serial);
    return xbl_mpsd_session_reference_create(TLS_SCID, "quick", name);
}

/* A local session the user joins as active (nothing sent yet). */
static void tls_local_join(tls_user *u, const xbl_mpsd_session_reference *ref)
{
    assert_int_equal(xbl_mpsd_session_init(&u->session, u->xuid, ref, NULL, u->arena, sizeof u->arena), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_join(&u->session, NULL, false, true), XBL_MPSD_OK);
}

static xbl_mpsd_result tls_write(tls_user *u, xbl_mpsd_session_write_mode mode)
{
    xbl_mpsd_result rc = xbl_mpsd_write_session_async(&u->client, &u->session, mode, &u->op);
    if (rc != XBL_MPSD_OK) return rc;
    tls_wait(&u->op);
    return xbl_mpsd_write_session_result(&u->op, &u->session);
}

/* ------------------------------------------------------------ raw HTTP/1.1 */

static xbl_mpsd_result raw_connect(const xbl_mpsd_port *p, uint16_t port_number)
{
    xbl_mpsd_result r;
    int i;
    for (i = 0; i < 50000; i++) {
        r = p->connect(p->ctx, "127.0.0.1", port_number);
        if (r != XBL_MPSD_PENDING) return r;
        tls_nap();
    }
    return XBL_MPSD_E_TIMEOUT;
}

/* All of data, retrying a would-block with the same pointer and length. */
static xbl_mpsd_result raw_send_all(const xbl_mpsd_port *p, const char *data, size_t len, unsigned *would_blocks)
{
    size_t off = 0;
    while (off < len) {
        int32_t n = p->send(p->ctx, (const uint8_t *)data + off, len - off);
        if (n == XBL_MPSD_E_WOULD_BLOCK) { if (would_blocks) (*would_blocks)++; tls_nap(); continue; }
        if (n <= 0) return n < 0 ? n : XBL_MPSD_E_IO;
        off += (size_t)n;
    }
    return XBL_MPSD_OK;
}

/* Reads one Content-Length response into resp (NUL-terminated). */
static xbl_mpsd_result raw_read_response(const xbl_mpsd_port *p, char *resp, size_t cap, size_t *out_len)
{
    size_t len = 0;
    for (;;) {
        const char *end = NULL, *cl;
        int32_t n;
        resp[len] = '\0';
        end = strstr(resp, "\r\n\r\n");
        cl = strstr(resp, "Content-Length: ");
        if (end != NULL && cl != NULL && len >= (size_t)(end + 4 - resp) + (size_t)atoi(cl + 16)) break;
        if (len + 1 >= cap) return XBL_MPSD_E_OUTOFMEMORY;
        n = p->recv(p->ctx, (uint8_t *)resp + len, cap - 1 - len);
        if (n == XBL_MPSD_E_WOULD_BLOCK) { tls_nap(); continue; }
        if (n <= 0) return n < 0 ? n : XBL_MPSD_E_IO;
        len += (size_t)n;
    }
    *out_len = len;
    return XBL_MPSD_OK;
}

/* One request on a connected (or connectable) port; the status code, or a
   negative result. */
static int raw_exchange(const xbl_mpsd_port *p, uint16_t port_number, const char *request,
                        char *resp, size_t cap, unsigned *send_would_blocks)
{
    size_t len = 0;
    xbl_mpsd_result r = raw_connect(p, port_number);
    if (r == XBL_MPSD_OK) r = raw_send_all(p, request, strlen(request), send_would_blocks);
    if (r == XBL_MPSD_OK) r = raw_read_response(p, resp, cap, &len);
    if (r != XBL_MPSD_OK) return r;
    return len > 12 && strncmp(resp, "HTTP/1.1 ", 9) == 0 ? atoi(resp + 9) : -1;
}

/* The emulator's global fault over TLS (POST /_emu/faults); the status code. */
static int tls_set_fault(const char *spec)
{
    static xbl_mpsd_port_posix tcp;
    static xbl_mpsd_port_mbedtls tls;
    static char req[512], resp[2048];
    xbl_mpsd_port tcp_port, tls_port;
    xbl_mpsd_port_mbedtls_config tc;
    char body[128];
    int status;
    memset(&tc, 0, sizeof tc);
    snprintf(body, sizeof body, "{\"fault\": \"%s\"}", spec);
    snprintf(req, sizeof req, "POST /_emu/faults HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
             "Content-Length: %u\r\n\r\n%s", (unsigned)strlen(body), body);
    xbl_mpsd_port_posix_init(&tcp, &tcp_port);
    tc.lower = &tcp_port;
    tc.server_name = "localhost";
    tc.ca_pem = tls_pem("ca.pem");
    if (xbl_mpsd_port_mbedtls_init(&tls, &tc, &tls_port) != XBL_MPSD_OK) return -1;
    status = raw_exchange(&tls_port, tls_env_port("GOOD"), req, resp, sizeof resp, NULL);
    xbl_mpsd_port_mbedtls_free(&tls);
    return status;
}
#endif
