/* Errors that say what happened: the original failure of a dead kept
   connection, Retry-After, the opt-in retry policy (back-off by the port
   clock, never blocking), and the trace hook (credentials masked). Driven
   through the scripted mock port. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "mock_port.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#define SCID  "00000000-0000-0000-0000-000000000000"
#define XUID  2814639011617876ULL
#define DOC   "{\"constants\":{\"system\":{\"visibility\":\"open\",\"maxMembersCount\":4}},\"properties\":{\"system\":{}}}"
#define OK_RESP(etag) "HTTP/1.1 200 OK\r\nETag: " etag "\r\nContent-Type: application/json\r\nContent-Length: 93\r\n\r\n" DOC

static mock_port        g_mock;
static xbl_mpsd_port    g_port;
static xbl_mpsd_client  g_client;
static xbl_mpsd_async   g_async;
static xbl_mpsd_session g_session;
static unsigned char    g_arena[16384];
static unsigned char    g_work[65536];

static xbl_mpsd_result token(void *user, const char *method, const char *path, const uint8_t *body,
        size_t body_len, char *authorization, size_t authorization_cap, char *signature, size_t signature_cap)
{
    (void)user; (void)method; (void)path; (void)body; (void)body_len;
    if (authorization_cap < 32 || signature_cap < 16) return XBL_MPSD_E_OUTOFMEMORY;
    strcpy(authorization, "XBL3.0 x=1;secret-token");
    strcpy(signature, "secret-sig");
    return XBL_MPSD_OK;
}

/* jitter source: the scripted values in turn */
static uint32_t g_random[8];
static int g_random_i;
static uint32_t scripted_random(void *user)
{
    (void)user;
    return g_random[g_random_i++];
}

/* trace sink: everything of each kind, concatenated */
static char g_trace[3][8192];
static size_t g_trace_len[3];
static int g_trace_calls;
static void trace_sink(void *user, xbl_mpsd_trace_kind kind, const uint8_t *data, size_t len)
{
    (void)user;
    assert_true((unsigned)kind < 3u && g_trace_len[kind] + len < sizeof g_trace[kind]);
    memcpy(g_trace[kind] + g_trace_len[kind], data, len);
    g_trace_len[kind] += len;
    g_trace[kind][g_trace_len[kind]] = '\0';
    g_trace_calls++;
}

static void setup_cfg(const xbl_mpsd_retry_policy *retry, bool trace)
{
    xbl_mpsd_client_config cfg;
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(SCID, "quick", "s-1");
    mock_init(&g_mock, &g_port);
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &g_port;
    cfg.xuid = XUID;
    cfg.auth = token;
    cfg.timeout_ms = 60000;
    if (retry) cfg.retry = *retry;
    if (trace) cfg.trace = trace_sink;
    memset(g_trace_len, 0, sizeof g_trace_len);
    g_trace_calls = 0;
    g_random_i = 0;
    assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_init(&g_async, g_work, sizeof g_work), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_init(&g_session, XUID, &ref, NULL, g_arena, sizeof g_arena), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_join(&g_session, NULL, false, true), XBL_MPSD_OK);
}

static void start_write(void)
{
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_OR_CREATE_NEW,
                                                  &g_async), XBL_MPSD_OK);
}

static xbl_mpsd_result drive(int max_polls)
{
    xbl_mpsd_result r = XBL_MPSD_PENDING;
    int i;
    for (i = 0; i < max_polls && r == XBL_MPSD_PENDING; i++) r = xbl_mpsd_async_poll(&g_async);
    return r;
}

/* One write that leaves the connection kept alive. */
static void first_write_keeps_connection(void)
{
    mock_add_bytes(&g_mock, OK_RESP("e1"), strlen(OK_RESP("e1")));
    start_write();
    assert_int_equal(drive(100), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
    assert_int_equal(g_mock.connects, 1);
    mock_reset_traffic(&g_mock);
}

/* ------------------------------------------------ resend after a dead kept connection */

/* The next two connects answer `first` (the liveness check of the kept
   connection) and `second` (the resend's new connection). */
static void expect_connects(xbl_mpsd_result first, xbl_mpsd_result second)
{
    g_mock.connect_script[0] = first;
    g_mock.connect_script[1] = second;
    g_mock.connect_n = 2;
    g_mock.connect_i = 0;
}

static void test_resend_that_cannot_connect_reports_the_close(void **state)
{
    (void)state;
    /* the kept connection passes the liveness check (connect answers OK),
       then dies mid-write; the resend's connect is refused */
    setup_cfg(NULL, false);
    first_write_keeps_connection();
    mock_add_send(&g_mock, XBL_MPSD_E_IO);
    expect_connects(XBL_MPSD_OK, XBL_MPSD_E_CONNECT);
    start_write();
    assert_int_equal(drive(100), XBL_MPSD_E_IO);
    assert_int_equal(g_mock.connects, 3);   /* first write, liveness check, refused resend */
    /* the server closed it before answering; the resend cannot connect */
    setup_cfg(NULL, false);
    first_write_keeps_connection();
    mock_add_code(&g_mock, XBL_MPSD_E_EOF);
    expect_connects(XBL_MPSD_OK, XBL_MPSD_E_CONNECT);
    start_write();
    assert_int_equal(drive(100), XBL_MPSD_E_CONNECTION_CLOSED);
    /* a fresh connection that cannot connect is what it is */
    setup_cfg(NULL, false);
    g_mock.connect_default = XBL_MPSD_E_CONNECT;
    start_write();
    assert_int_equal(drive(100), XBL_MPSD_E_CONNECT);
}

/* ------------------------------------------------------------------ Retry-After */

static void test_retry_after_exposed(void **state)
{
    static const char r429[] = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Length: 0\r\n\r\n";
    static const char r503[] = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Type: text/plain\r\n"
                               "Content-Length: 6\r\n\r\nbusy\r\n";
    (void)state;
    setup_cfg(NULL, false);
    assert_int_equal(xbl_mpsd_async_retry_after(NULL), 0);
    mock_add_bytes(&g_mock, r429, strlen(r429));
    start_write();
    assert_int_equal(xbl_mpsd_async_retry_after(&g_async), 0);   /* not done */
    assert_int_equal(drive(100), XBL_MPSD_E_HTTP_STATUS(429));
    assert_int_equal(xbl_mpsd_async_retry_after(&g_async), 30);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_E_HTTP_STATUS(429));
    mock_reset_traffic(&g_mock);
    mock_add_bytes(&g_mock, r503, strlen(r503));
    start_write();
    assert_int_equal(drive(100), XBL_MPSD_E_HTTP_STATUS(503));
    assert_int_equal(xbl_mpsd_async_retry_after(&g_async), 7);
    assert_string_equal(xbl_mpsd_async_error_text(&g_async), "busy");
    /* no retry policy: one attempt each, on one connection (the second
       connect is the liveness check before it was reused) */
    assert_int_equal(g_mock.connects, 2);
}

/* ------------------------------------------------------------------ retry policy */

/* Polls while the clock stands still: the operation waits without any port I/O. */
static void assert_waiting(int polls)
{
    unsigned sends = g_mock.sends, connects = g_mock.connects, recvs = g_mock.recvs;
    int i;
    for (i = 0; i < polls; i++) assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_PENDING);
    assert_int_equal(g_mock.sends, sends);
    assert_int_equal(g_mock.connects, connects);
    assert_int_equal(g_mock.recvs, recvs);
}

static void test_retry_honours_retry_after(void **state)
{
    static const char r503[] = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Length: 0\r\n\r\n";
    xbl_mpsd_retry_policy p = { 3, 100, 0, NULL, NULL };
    size_t one;
    (void)state;
    setup_cfg(&p, false);
    g_mock.now = 1000;
    mock_add_bytes(&g_mock, r503, strlen(r503));
    mock_add_bytes(&g_mock, OK_RESP("e2"), strlen(OK_RESP("e2")));
    start_write();
    assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_PENDING);   /* sent */
    assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_PENDING);   /* the 503 read: waiting */
    one = g_mock.sent_len;
    assert_true(one > 0);
    assert_waiting(5);
    g_mock.now = 1000 + 1999;
    assert_waiting(3);
    g_mock.now = 1000 + 2000;   /* Retry-After (2 s) beats the 100 ms back-off */
    assert_int_equal(drive(100), XBL_MPSD_OK);
    /* the 503 left the connection usable: the second connect is the
       liveness check before the resend, not a new connection */
    assert_int_equal(g_mock.connects, 2);
    assert_int_equal(g_mock.sent_len, 2 * one);
    assert_memory_equal(g_mock.sent, g_mock.sent + one, one);   /* the same request again */
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
    assert_string_equal(xbl_mpsd_session_etag(&g_session), "e2");
}

static void test_retry_backoff_exponential_capped_jittered(void **state)
{
    xbl_mpsd_retry_policy p = { 4, 1000, 1500, scripted_random, NULL };
    (void)state;
    setup_cfg(&p, false);
    g_random[0] = 250;    /* 1st: 250 % (1000 + 1) = 250 */
    g_random[1] = 3000;   /* 2nd: min(2000, 1500) = 1500: 3000 % 1501 = 1499 */
    g_mock.connect_script[0] = XBL_MPSD_E_CONNECT;
    g_mock.connect_script[1] = XBL_MPSD_E_CONNECT;
    g_mock.connect_n = 2;
    mock_add_bytes(&g_mock, OK_RESP("e3"), strlen(OK_RESP("e3")));
    g_mock.now = 50;
    start_write();
    assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_PENDING);
    assert_int_equal(g_mock.connects, 1);
    g_mock.now = 50 + 249;
    assert_waiting(2);
    g_mock.now = 50 + 250;
    assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_PENDING);
    assert_int_equal(g_mock.connects, 2);
    g_mock.now = 300 + 1498;
    assert_waiting(2);
    g_mock.now = 300 + 1499;
    assert_int_equal(drive(100), XBL_MPSD_OK);
    assert_int_equal(g_mock.connects, 3);
    assert_int_equal(g_random_i, 2);
}

static void test_retry_limits(void **state)
{
    static const char r429[] = "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n";
    static const char r412[] = "HTTP/1.1 412 Precondition Failed\r\nContent-Length: 0\r\n\r\n";
    xbl_mpsd_retry_policy p = { 2, 10, 0, NULL, NULL };
    (void)state;
    /* attempts exhausted: the last failure */
    setup_cfg(&p, false);
    mock_add_bytes(&g_mock, r429, strlen(r429));
    mock_add_bytes(&g_mock, r429, strlen(r429));
    g_mock.auto_step = 5;
    start_write();
    assert_int_equal(drive(1000), XBL_MPSD_E_HTTP_STATUS(429));
    assert_int_equal(g_mock.recv_i, 2);
    /* a 412 is the caller's to resolve */
    setup_cfg(&p, false);
    mock_add_bytes(&g_mock, r412, strlen(r412));
    start_write();
    assert_int_equal(drive(100), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_write_status(&g_session), XBL_MPSD_WRITE_SESSION_STATUS_OUT_OF_SYNC);
    /* after a response byte the service may have acted: no retry */
    setup_cfg(&p, false);
    mock_add_bytes(&g_mock, "HTTP/1.1 2", 10);
    mock_add_code(&g_mock, XBL_MPSD_E_EOF);
    start_write();
    assert_int_equal(drive(100), XBL_MPSD_E_CONNECTION_CLOSED);
    assert_int_equal(g_mock.connects, 1);
    /* a wait that would pass the timeout is not started */
    setup_cfg(&p, false);
    p.base_delay_ms = 60000;
    p.max_delay_ms = 60000;
    g_client.config.retry = p;
    g_mock.connect_default = XBL_MPSD_E_CONNECT;
    start_write();
    assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_E_CONNECT);
    assert_int_equal(g_mock.connects, 1);
}

/* ------------------------------------------------------------------ trace */

#ifdef XBL_MPSD_NO_TRACE
/* tests/test_trace_compiled_out.c: the hook is set but compiled out */
static void test_trace_compiled_out(void **state)
{
    (void)state;
    setup_cfg(NULL, true);
    mock_add_bytes(&g_mock, OK_RESP("e5"), strlen(OK_RESP("e5")));
    start_write();
    assert_int_equal(drive(100), XBL_MPSD_OK);
    assert_int_equal(g_trace_calls, 0);
}
#else

/* The wire bytes with the token values replaced by "***". */
static void masked(const char *wire, size_t n, char *out, size_t cap)
{
    static const char *const secrets[] = { "XBL3.0 x=1;secret-token", "secret-sig" };
    size_t i = 0, o = 0, k;
    while (i < n) {
        for (k = 0; k < 2; k++) {
            size_t sl = strlen(secrets[k]);
            if (n - i >= sl && memcmp(wire + i, secrets[k], sl) == 0) break;
        }
        assert_true(o + 4 < cap);
        if (k < 2) { memcpy(out + o, "***", 3); o += 3; i += strlen(secrets[k]); }
        else out[o++] = wire[i++];
    }
    out[o] = '\0';
}

static void test_trace_masks_credentials(void **state)
{
    static char expected[8192];
    static const char resp[] = OK_RESP("e4");
    const char *head_end;
    size_t head_len;
    (void)state;
    setup_cfg(NULL, true);
    mock_add_bytes(&g_mock, resp, 40);
    mock_add_code(&g_mock, XBL_MPSD_E_WOULD_BLOCK);
    mock_add_bytes(&g_mock, &resp[40], strlen(resp) - 40);
    g_mock.send_default_cap = 7;   /* partial sends: traced once all the same */
    start_write();
    assert_int_equal(drive(1000), XBL_MPSD_OK);
    g_mock.sent[g_mock.sent_len] = '\0';
    head_end = strstr((const char *)g_mock.sent, "\r\n\r\n");
    assert_non_null(head_end);
    head_len = (size_t)(head_end - (const char *)g_mock.sent) + 4;
    masked((const char *)g_mock.sent, head_len, expected, sizeof expected);
    assert_string_equal(g_trace[XBL_MPSD_TRACE_REQUEST_HEAD], expected);
    assert_non_null(strstr(g_trace[XBL_MPSD_TRACE_REQUEST_HEAD], "\r\nAuthorization: ***\r\nSignature: ***\r\n\r\n"));
    assert_null(strstr(g_trace[XBL_MPSD_TRACE_REQUEST_HEAD], "secret"));
    assert_int_equal(g_trace_len[XBL_MPSD_TRACE_REQUEST_BODY], g_mock.sent_len - head_len);
    assert_memory_equal(g_trace[XBL_MPSD_TRACE_REQUEST_BODY], g_mock.sent + head_len, g_mock.sent_len - head_len);
    assert_string_equal(g_trace[XBL_MPSD_TRACE_RESPONSE], OK_RESP("e4"));
}

static xbl_mpsd_result token_no_signature(void *user, const char *method, const char *path, const uint8_t *body,
        size_t body_len, char *authorization, size_t authorization_cap, char *signature, size_t signature_cap)
{
    (void)user; (void)method; (void)path; (void)body; (void)body_len; (void)signature_cap;
    if (authorization_cap < 32) return XBL_MPSD_E_OUTOFMEMORY;
    strcpy(authorization, "XBL3.0 x=1;secret-token");
    signature[0] = '\0';
    return XBL_MPSD_OK;
}

static void test_trace_without_signature_and_off(void **state)
{
    static const char r404[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    const char *h;
    (void)state;
    setup_cfg(NULL, true);
    g_client.config.auth = token_no_signature;
    mock_add_bytes(&g_mock, r404, strlen(r404));
    start_write();
    assert_int_equal(drive(100), XBL_MPSD_E_HTTP_STATUS(404));
    h = g_trace[XBL_MPSD_TRACE_REQUEST_HEAD];
    assert_string_equal(h + strlen(h) - strlen("\r\nAuthorization: ***\r\n\r\n"), "\r\nAuthorization: ***\r\n\r\n");
    assert_null(strstr(h, "Signature"));
    assert_string_equal(g_trace[XBL_MPSD_TRACE_RESPONSE], r404);
    /* off by default */
    setup_cfg(NULL, false);
    mock_add_bytes(&g_mock, r404, strlen(r404));
    start_write();
    assert_int_equal(drive(100), XBL_MPSD_E_HTTP_STATUS(404));
    assert_int_equal(g_trace_calls, 0);
}

#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resend_that_cannot_connect_reports_the_close),
        cmocka_unit_test(test_retry_after_exposed),
        cmocka_unit_test(test_retry_honours_retry_after),
        cmocka_unit_test(test_retry_backoff_exponential_capped_jittered),
        cmocka_unit_test(test_retry_limits),
#ifdef XBL_MPSD_NO_TRACE
        cmocka_unit_test(test_trace_compiled_out),
#else
        cmocka_unit_test(test_trace_masks_credentials),
        cmocka_unit_test(test_trace_without_signature_and_off),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
