/* Shared plumbing for the examples: one instantiation of the SDK and the
   POSIX port, a token callback for the local emulator, and a poll loop.
   A real title gets its token from the platform's token service instead.
   Built with -DEXAMPLE_TLS (`make demo TLS=1`), every user talks HTTPS: the
   mbedTLS port wraps the POSIX port, trusting the PEM roots in the file
   named by MPSD_CA_FILE and checking the certificate against
   MPSD_SERVER_NAME (default "localhost"). */
#ifndef EXAMPLE_COMMON_H
#define EXAMPLE_COMMON_H

#define _POSIX_C_SOURCE 200809L
#define XBL_MPSD_IMPLEMENTATION
#define XBL_MPSD_PORT_POSIX_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "port/xbl_mpsd_port_posix.h"
#ifdef EXAMPLE_TLS
#define XBL_MPSD_PORT_MBEDTLS_IMPLEMENTATION
#include "port/xbl_mpsd_port_mbedtls.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXAMPLE_SCID "00000000-0000-0000-0000-0000deadbeef"

/* One user on one connection: everything a title keeps per local player. */
typedef struct example_user {
    const char          *gamertag;
    uint64_t             xuid;
    xbl_mpsd_port_posix  tcp;
    xbl_mpsd_port        port;
#ifdef EXAMPLE_TLS
    xbl_mpsd_port         tcp_port;   /* the TLS port's lower port; port is then TLS */
    xbl_mpsd_port_mbedtls tls;        /* must not move once initialized: users are static */
#endif
    xbl_mpsd_client      client;
    xbl_mpsd_async       op;
    uint8_t              work[65536];
    xbl_mpsd_session     session;
    uint8_t              arena[65536];
} example_user;

/* The emulator reads the identity from the token part: xuid=<n>,gt=<gamertag>. */
static xbl_mpsd_result example_auth(void *user, const char *method, const char *path,
        const uint8_t *body, size_t body_len, char *authorization, size_t authorization_cap,
        char *signature, size_t signature_cap)
{
    const example_user *u = (const example_user *)user;
    int n = snprintf(authorization, authorization_cap, "XBL3.0 x=-;xuid=%llu,gt=%s",
                     (unsigned long long)u->xuid, u->gamertag);
    (void)method; (void)path; (void)body; (void)body_len;
    if (signature_cap > 0) signature[0] = '\0';
    return (n > 0 && (size_t)n < authorization_cap) ? XBL_MPSD_OK : XBL_MPSD_E_OUTOFMEMORY;
}

#ifdef EXAMPLE_TLS
/* The trusted roots, read once from MPSD_CA_FILE. */
static const char *example_ca_pem(void)
{
    static char pem[65536];
    const char *path = getenv("MPSD_CA_FILE");
    FILE *f;
    size_t n;
    if (pem[0] != '\0') return pem;
    if (path == NULL || (f = fopen(path, "rb")) == NULL) {
        fprintf(stderr, "MPSD_CA_FILE must name a PEM file of trusted roots\n");
        return NULL;
    }
    n = fread(pem, 1, sizeof pem - 1, f);
    fclose(f);
    pem[n] = '\0';
    return pem;
}

/* The service's name: checked against its certificate and sent as Host,
   while the host connected to may be an address. */
static const char *example_server_name(void)
{
    const char *name = getenv("MPSD_SERVER_NAME");
    return name != NULL ? name : "localhost";
}

/* TLS over the POSIX port; u->port becomes the TLS port. */
static int example_tls_init(example_user *u)
{
    xbl_mpsd_port_mbedtls_config tc;
    xbl_mpsd_result rc;
    memset(&tc, 0, sizeof tc);
    tc.lower = &u->tcp_port;
    tc.server_name = example_server_name();
    tc.ca_pem = example_ca_pem();
    if (tc.ca_pem == NULL) return -1;
    rc = xbl_mpsd_port_mbedtls_init(&u->tls, &tc, &u->port);
    if (rc != XBL_MPSD_OK) fprintf(stderr, "TLS port: %s\n", xbl_mpsd_result_string(rc));
    return rc == XBL_MPSD_OK ? 0 : -1;
}
#endif

/* --trace: every request and response goes to stderr as it passes (the
   SDK masks the Authorization and Signature values). */
static bool example_trace_on;

static void example_trace(void *user, xbl_mpsd_trace_kind kind, const uint8_t *data, size_t len)
{
    static const char *const what[] = { "request", "request body", "response" };
    static int last = -1;   /* a head comes in pieces: label each run of one kind once */
    if ((int)kind != last) fprintf(stderr, "\n[trace %s: %s]\n", ((const example_user *)user)->gamertag, what[kind]);
    last = (int)kind;
    fwrite(data, 1, len, stderr);
}

static int example_user_init(example_user *u, const char *gamertag, uint64_t xuid, const char *host, uint16_t port)
{
    xbl_mpsd_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    u->gamertag = gamertag;
    u->xuid = xuid;
#ifdef EXAMPLE_TLS
    if (xbl_mpsd_port_posix_init(&u->tcp, &u->tcp_port) != XBL_MPSD_OK || example_tls_init(u) != 0) return -1;
#else
    if (xbl_mpsd_port_posix_init(&u->tcp, &u->port) != XBL_MPSD_OK) return -1;
#endif
    cfg.port = &u->port;
    cfg.xuid = xuid;
    cfg.auth = example_auth;
    cfg.auth_user = u;
    cfg.host = host;
    cfg.port_number = port;
#ifdef EXAMPLE_TLS
    cfg.host_header = example_server_name();
#endif
    cfg.timeout_ms = 10000;
    if (example_trace_on) { cfg.trace = example_trace; cfg.trace_user = u; }
    if (xbl_mpsd_client_init(&u->client, &cfg) != XBL_MPSD_OK) return -1;
    return xbl_mpsd_async_init(&u->op, u->work, sizeof u->work) == XBL_MPSD_OK ? 0 : -1;
}

/* Drops the user's connection (and with TLS frees the port). */
static void example_user_close(example_user *u)
{
    xbl_mpsd_client_close(&u->client);
#ifdef EXAMPLE_TLS
    xbl_mpsd_port_mbedtls_free(&u->tls);
#endif
}

/* Stands in for a game's frame loop: poll once per "frame". */
static xbl_mpsd_result example_wait(xbl_mpsd_async *op)
{
    xbl_mpsd_result rc;
    struct timespec frame = { 0, 1000000 };
    while ((rc = xbl_mpsd_async_poll(op)) == XBL_MPSD_PENDING) nanosleep(&frame, NULL);
    return rc;
}

static void example_fail(const char *what, xbl_mpsd_result rc, const xbl_mpsd_async *op)
{
    fprintf(stderr, "%s failed: %s (HTTP %u) %s\n", what, xbl_mpsd_result_string(rc),
            op ? (unsigned)xbl_mpsd_async_http_status(op) : 0u, op ? xbl_mpsd_async_error_text(op) : "");
}

/* [--trace] host [port] from the command line, the emulator's defaults
   otherwise; --trace (anywhere) is taken out of argv. */
static void example_args(int *argc, char **argv, const char **host, uint16_t *port)
{
    int i, o = 1;
    for (i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--trace") == 0) example_trace_on = true;
        else argv[o++] = argv[i];
    }
    *argc = o;
    argv[o] = NULL;
    *host = *argc > 1 ? argv[1] : "127.0.0.1";
    *port = (uint16_t)(*argc > 2 ? atoi(argv[2]) : 8910);
}

#endif
