/* arm_demo.c - `make demo ARM=1`: the newcomer's story run by an emulated
   Cortex-M4 (QEMU mps2-an386) against the MPSD emulator on the host, over
   the board's UART (port/xbl_mpsd_port_cmsdk_uart.h), whose other end QEMU
   connects to the emulator's loopback TCP port. Alice creates a session
   and joins it, a write from a stale copy gets 412 and is re-applied to the
   latest document, then she leaves and the emptied session is deleted.
   Output and exit status go through semihosting. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#define XBL_MPSD_PORT_CMSDK_UART_IMPLEMENTATION
#include "port/xbl_mpsd_port_cmsdk_uart.h"
#include "an386.h"

#include <stdio.h>
#include <string.h>

#define DEMO_SCID "00000000-0000-0000-0000-0000deadbeef"
#define ALICE_XUID UINT64_C(2814600000000001)

/* The emulator reads the identity from the token part. */
static xbl_mpsd_result alice_auth(void *user, const char *method, const char *path,
        const uint8_t *body, size_t body_len, char *authorization, size_t authorization_cap,
        char *signature, size_t signature_cap)
{
    static const char token[] = "XBL3.0 x=-;xuid=2814600000000001,gt=Alice";
    (void)user; (void)method; (void)path; (void)body; (void)body_len;
    if (authorization_cap < sizeof token || signature_cap < 1) return XBL_MPSD_E_OUTOFMEMORY;
    memcpy(authorization, token, sizeof token);
    signature[0] = '\0';
    return XBL_MPSD_OK;
}

static cmsdk_timer             g_clock;
static xbl_mpsd_port_cmsdk_uart g_uart;
static xbl_mpsd_port           g_port;
static xbl_mpsd_client         g_client;
static xbl_mpsd_async          g_op;
static uint64_t                g_work[8192 / 8];
static xbl_mpsd_session        g_session, g_stale;
static uint64_t                g_arena[8192 / 8], g_stale_arena[8192 / 8];

/* One write, polled to completion, its result applied to s. */
static xbl_mpsd_result write_session(xbl_mpsd_session *s, xbl_mpsd_session_write_mode mode)
{
    xbl_mpsd_result r = xbl_mpsd_write_session_async(&g_client, s, mode, &g_op);
    if (r == XBL_MPSD_OK) {
        do r = xbl_mpsd_async_poll(&g_op); while (r == XBL_MPSD_PENDING);
    }
    if (r != XBL_MPSD_OK) {
        printf("   failed: %s (HTTP %u) %s\n", xbl_mpsd_result_string(r),
               (unsigned)xbl_mpsd_async_http_status(&g_op), xbl_mpsd_async_error_text(&g_op));
        return r;
    }
    r = xbl_mpsd_write_session_result(&g_op, s);
    printf("   HTTP %u, write status %d, etag %s\n", (unsigned)xbl_mpsd_async_http_status(&g_op),
           (int)xbl_mpsd_session_write_status(s), xbl_mpsd_session_has_document(s) ? xbl_mpsd_session_etag(s) : "-");
    return r;
}

static int fail(const char *what)
{
    printf("arm demo: FAILED at %s\n", what);
    return 1;
}

int main(void)
{
    xbl_mpsd_client_config cfg;
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(DEMO_SCID, "quick", "arm-demo");
    const xbl_mpsd_session_member *members = NULL;
    size_t count = 0;

    memset(&cfg, 0, sizeof cfg);
    cfg.port = &g_port;
    cfg.xuid = ALICE_XUID;
    cfg.auth = alice_auth;
    cfg.host = "127.0.0.1";
    cfg.port_number = 80;
    cfg.timeout_ms = 10000;
    if (an386_uart0_port(&g_uart, &g_clock, &g_port) != XBL_MPSD_OK ||
        xbl_mpsd_client_init(&g_client, &cfg) != XBL_MPSD_OK ||
        xbl_mpsd_async_init(&g_op, g_work, sizeof g_work) != XBL_MPSD_OK)
        return fail("set-up");

    printf("== 1. Alice creates session arm-demo and joins it (CreateNew), from the Cortex-M4 over UART0\n");
    if (xbl_mpsd_session_init(&g_session, ALICE_XUID, &ref, NULL, g_arena, sizeof g_arena) != XBL_MPSD_OK ||
        xbl_mpsd_session_join(&g_session, NULL, false, true) != XBL_MPSD_OK ||
        write_session(&g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW) != XBL_MPSD_OK ||
        xbl_mpsd_session_write_status(&g_session) != XBL_MPSD_WRITE_SESSION_STATUS_CREATED)
        return fail("create");
    if (xbl_mpsd_session_members(&g_session, &members, &count) != XBL_MPSD_OK || count != 1)
        return fail("the member list");
    printf("   members: %u, first %s\n", (unsigned)count, members[0].gamertag);

    printf("== 2. A copy of that session is kept; the session sets round = 1 (SynchronizedUpdate)\n");
    if (xbl_mpsd_session_init(&g_stale, ALICE_XUID, &ref, NULL, g_stale_arena, sizeof g_stale_arena) != XBL_MPSD_OK ||
        xbl_mpsd_session_copy(&g_stale, &g_session) != XBL_MPSD_OK ||
        xbl_mpsd_session_set_custom_property_json(&g_session, "round", "1") != XBL_MPSD_OK ||
        write_session(&g_session, XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE) != XBL_MPSD_OK ||
        xbl_mpsd_session_write_status(&g_session) != XBL_MPSD_WRITE_SESSION_STATUS_UPDATED)
        return fail("the first update");

    printf("== 3. The stale copy writes round = 2 with its old ETag: 412, then re-applies on the latest\n");
    if (xbl_mpsd_session_set_custom_property_json(&g_stale, "round", "2") != XBL_MPSD_OK ||
        write_session(&g_stale, XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE) != XBL_MPSD_OK ||
        xbl_mpsd_async_http_status(&g_op) != 412 ||
        xbl_mpsd_session_write_status(&g_stale) != XBL_MPSD_WRITE_SESSION_STATUS_OUT_OF_SYNC)
        return fail("the conflict");
    printf("   latest round: %s\n", xbl_mpsd_session_session_properties(&g_stale)->session_custom_properties_json);
    if (xbl_mpsd_session_set_custom_property_json(&g_stale, "round", "2") != XBL_MPSD_OK ||
        write_session(&g_stale, XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE) != XBL_MPSD_OK ||
        xbl_mpsd_session_write_status(&g_stale) != XBL_MPSD_WRITE_SESSION_STATUS_UPDATED)
        return fail("the re-applied update");
    printf("   round now: %s\n", xbl_mpsd_session_session_properties(&g_stale)->session_custom_properties_json);

    printf("== 4. Alice leaves; the emptied session is deleted (204)\n");
    if (xbl_mpsd_session_leave(&g_stale) != XBL_MPSD_OK ||
        write_session(&g_stale, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING) != XBL_MPSD_OK ||
        xbl_mpsd_async_http_status(&g_op) != 204 ||
        xbl_mpsd_session_write_status(&g_stale) != XBL_MPSD_WRITE_SESSION_STATUS_SESSION_DELETED)
        return fail("leave");
    printf("arm demo: done\n");
    return 0;
}
