/* Shared plumbing for the examples: one instantiation of the SDK and the
   POSIX port, a token callback for the local emulator, and a poll loop.
   A real title gets its token from the platform's token service instead. */
#ifndef EXAMPLE_COMMON_H
#define EXAMPLE_COMMON_H

#define _POSIX_C_SOURCE 200809L
#define XBL_MPSD_IMPLEMENTATION
#define XBL_MPSD_PORT_POSIX_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "port/xbl_mpsd_port_posix.h"

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
    xbl_mpsd_client      client;
    xbl_mpsd_async       op;
    uint8_t              work[65536];
    xbl_mpsd_session     session;
    uint8_t              arena[65536];
} example_user;

/* The emulator reads identity from the token part (MPSD §11). */
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

static int example_user_init(example_user *u, const char *gamertag, uint64_t xuid, const char *host, uint16_t port)
{
    xbl_mpsd_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    u->gamertag = gamertag;
    u->xuid = xuid;
    if (xbl_mpsd_port_posix_init(&u->tcp, &u->port) != XBL_MPSD_OK) return -1;
    cfg.port = &u->port;
    cfg.xuid = xuid;
    cfg.auth = example_auth;
    cfg.auth_user = u;
    cfg.host = host;
    cfg.port_number = port;
    cfg.timeout_ms = 10000;
    if (xbl_mpsd_client_init(&u->client, &cfg) != XBL_MPSD_OK) return -1;
    return xbl_mpsd_async_init(&u->op, u->work, sizeof u->work) == XBL_MPSD_OK ? 0 : -1;
}

/* Stands in for a game's frame loop: poll once per "frame". */
static xbl_mpsd_result example_wait(xbl_mpsd_async *op)
{
    xbl_mpsd_result rc;
    struct timespec frame = { 0, 1000000 };
    while ((rc = xbl_mpsd_async_poll(op)) == XBL_MPSD_PENDING) nanosleep(&frame, NULL);
    return rc;
}

static const char *example_status_name(xbl_mpsd_write_session_status s)
{
    static const char *const names[] = { "UNKNOWN", "ACCESS_DENIED", "CREATED", "CONFLICT",
        "HANDLE_NOT_FOUND", "OUT_OF_SYNC", "SESSION_DELETED", "UPDATED" };
    return (unsigned)s < 8u ? names[s] : "?";
}

static void example_fail(const char *what, xbl_mpsd_result rc, const xbl_mpsd_async *op)
{
    fprintf(stderr, "%s failed: %s (HTTP %u) %s\n", what, xbl_mpsd_result_string(rc),
            op ? (unsigned)xbl_mpsd_async_http_status(op) : 0u, op ? xbl_mpsd_async_error_text(op) : "");
}

/* host [port] from the command line; the emulator's defaults otherwise */
static void example_args(int argc, char **argv, const char **host, uint16_t *port)
{
    *host = argc > 1 ? argv[1] : "127.0.0.1";
    *port = (uint16_t)(argc > 2 ? atoi(argv[2]) : 8910);
}

#endif
