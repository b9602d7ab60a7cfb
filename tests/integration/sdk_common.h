/* Integration plumbing: the SDK and the POSIX port in one translation unit,
   users whose tokens the emulator understands (MPSD §11), a poll loop. */
#ifndef SDK_COMMON_H
#define SDK_COMMON_H
#define _POSIX_C_SOURCE 200809L
#define XBL_MPSD_IMPLEMENTATION
#define XBL_MPSD_PORT_POSIX_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "port/xbl_mpsd_port_posix.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IT_SCID "00000000-0000-0000-0000-00000000cafe"

/* Not every program uses every helper. */
#if defined(__GNUC__)
#define IT_HELPER static __attribute__((unused))
#else
#define IT_HELPER static
#endif

typedef struct it_user {
    char                 token[96];
    uint64_t             xuid;
    xbl_mpsd_port_posix  tcp;
    xbl_mpsd_port        port;
    xbl_mpsd_client      client;
    xbl_mpsd_async       op;
    uint8_t              work[65536];
    xbl_mpsd_session     session;
    uint8_t              arena[65536];
} it_user;

IT_HELPER xbl_mpsd_result it_auth(void *user, const char *method, const char *path, const uint8_t *body,
        size_t body_len, char *authorization, size_t authorization_cap, char *signature, size_t signature_cap)
{
    const it_user *u = (const it_user *)user;
    int n = snprintf(authorization, authorization_cap, "XBL3.0 x=-;%s", u->token);
    (void)method; (void)path; (void)body; (void)body_len;
    if (signature_cap) signature[0] = '\0';
    return n > 0 && (size_t)n < authorization_cap ? XBL_MPSD_OK : XBL_MPSD_E_OUTOFMEMORY;
}

IT_HELPER uint16_t it_port(void)
{
    const char *p = getenv("MPSD_PORT");
    return (uint16_t)(p ? atoi(p) : 8910);
}

/* it_user_init with a retry policy and a trace hook (either may be NULL). */
IT_HELPER int it_user_init_with(it_user *u, uint64_t xuid, const xbl_mpsd_retry_policy *retry,
        xbl_mpsd_trace_fn trace, void *trace_user)
{
    xbl_mpsd_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    u->xuid = xuid;
    snprintf(u->token, sizeof u->token, "xuid=%llu,gt=P%llu", (unsigned long long)xuid,
             (unsigned long long)(xuid % 100000));
    if (xbl_mpsd_port_posix_init(&u->tcp, &u->port) != XBL_MPSD_OK) return -1;
    cfg.port = &u->port;
    cfg.xuid = xuid;
    cfg.auth = it_auth;
    cfg.auth_user = u;
    cfg.host = "127.0.0.1";
    cfg.port_number = it_port();
    cfg.timeout_ms = 20000;
    if (retry) cfg.retry = *retry;
    cfg.trace = trace;
    cfg.trace_user = trace_user;
    if (xbl_mpsd_client_init(&u->client, &cfg) != XBL_MPSD_OK) return -1;
    return xbl_mpsd_async_init(&u->op, u->work, sizeof u->work) == XBL_MPSD_OK ? 0 : -1;
}

IT_HELPER int it_user_init(it_user *u, uint64_t xuid)
{
    return it_user_init_with(u, xuid, NULL, NULL, NULL);
}

IT_HELPER xbl_mpsd_result it_wait(xbl_mpsd_async *op)
{
    xbl_mpsd_result rc;
    struct timespec t = { 0, 200000 };
    while ((rc = xbl_mpsd_async_poll(op)) == XBL_MPSD_PENDING) nanosleep(&t, NULL);
    return rc;
}

IT_HELPER xbl_mpsd_result it_write(it_user *u, xbl_mpsd_session *s, xbl_mpsd_session_write_mode mode, xbl_mpsd_session *out)
{
    xbl_mpsd_result rc = xbl_mpsd_write_session_async(&u->client, s, mode, &u->op);
    if (rc != XBL_MPSD_OK) return rc;
    it_wait(&u->op);
    return xbl_mpsd_write_session_result(&u->op, out);
}

IT_HELPER xbl_mpsd_result it_get(it_user *u, const xbl_mpsd_session_reference *ref, xbl_mpsd_session *out)
{
    xbl_mpsd_result rc = xbl_mpsd_get_session_async(&u->client, ref, &u->op);
    if (rc != XBL_MPSD_OK) return rc;
    it_wait(&u->op);
    return xbl_mpsd_get_session_result(&u->op, out);
}

/* A session name no earlier run used: prefix, the time, ++*serial. */
IT_HELPER xbl_mpsd_session_reference it_fresh_ref(const char *prefix, int *serial)
{
    char name[64];
    snprintf(name, sizeof name, "%s-%ld-%d", prefix, (long)time(NULL), ++*serial);
    return xbl_mpsd_session_reference_create(IT_SCID, "quick", name);
}

/* u's session made afresh (ref may be NULL) with u joined locally. */
IT_HELPER xbl_mpsd_result it_local_join(it_user *u, const xbl_mpsd_session_reference *ref)
{
    xbl_mpsd_result rc = xbl_mpsd_session_init(&u->session, u->xuid, ref, NULL, u->arena, sizeof u->arena);
    return rc != XBL_MPSD_OK ? rc : xbl_mpsd_session_join(&u->session, NULL, false, true);
}

/* POST to the emulator's admin API (plain HTTP over the same port). */
IT_HELPER int it_admin(const char *path, const char *json)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "python3 -c \"import urllib.request,sys;urllib.request.urlopen(urllib.request.Request("
             "'http://127.0.0.1:%u%s',data=sys.argv[1].encode(),method='POST'))\" '%s'",
             (unsigned)it_port(), path, json);
    return system(cmd);
}
#endif
