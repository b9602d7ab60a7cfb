/* Fault-matrix holes (tests/FAULTS.md): port results that break the port
   contract, the result call's protocol (twice, wrong kind, too early, idle,
   no arena), GET 204, the out arena too small for the delivered document
   and the retry that follows, a wrong-state keep-alive. Driven through the
   scripted mock port. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "mock_port.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#define SCID  "00000000-0000-0000-0000-000000000000"
#define TNAME "quick"
#define SNAME "fault-session"
#define XUID  2814639011617876ULL
#define DOC "{\"constants\":{\"system\":{\"visibility\":\"open\",\"maxMembersCount\":4}},\"properties\":{\"system\":{}}}"
/* a custom object of about 100 bytes: more than a 64-byte arena holds */
#define DOC_BIG "{\"constants\":{\"system\":{\"maxMembersCount\":4}},\"properties\":{\"system\":{}," \
    "\"custom\":{\"note\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}}}"

static mock_port        g_mock;
static xbl_mpsd_port    g_port;
static xbl_mpsd_client  g_client;
static xbl_mpsd_async   g_async;
static xbl_mpsd_session g_session;
static unsigned char    g_arena[16384];
static unsigned char    g_work[65536];
static char             g_resp[4096];

#include "test_auth.h"

static void setup(void)
{
    xbl_mpsd_client_config cfg;
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(SCID, TNAME, SNAME);
    mock_init(&g_mock, &g_port);
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &g_port;
    cfg.xuid = XUID;
    cfg.auth = test_auth;
    assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_init(&g_async, g_work, sizeof g_work), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_init(&g_session, XUID, &ref, NULL, g_arena, sizeof g_arena), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_join(&g_session, NULL, false, true), XBL_MPSD_OK);
}

static xbl_mpsd_result drive(int max_polls)
{
    xbl_mpsd_result r = XBL_MPSD_PENDING;
    int i;
    for (i = 0; i < max_polls && r == XBL_MPSD_PENDING; i++) r = xbl_mpsd_async_poll(&g_async);
    return r;
}

static void add_response(const char *status_line, const char *body)
{
    snprintf(g_resp, sizeof g_resp, "%s\r\nContent-Length: %u\r\nETag: \"e1\"\r\n\r\n%s",
             status_line, (unsigned)strlen(body), body);
    mock_add_bytes(&g_mock, g_resp, strlen(g_resp));
}

static xbl_mpsd_result start_write(void)
{
    return xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async);
}

static xbl_mpsd_result start_get(void)
{
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(SCID, TNAME, SNAME);
    return xbl_mpsd_get_session_async(&g_client, &ref, &g_async);
}

/* ------------------------------------------------- port contract breaches */

/* recv claiming more bytes than the buffer had room for, or 0 bytes, is a
   broken port: E_IO, and the connection is dropped. */
static void recv_breaking_the_contract_is_io(void **state)
{
    static const int32_t answers[] = { 0, 70000 };
    size_t i;
    (void)state;
    for (i = 0; i < 2; i++) {
        setup();
        g_mock.recv_default = answers[i];
        assert_int_equal(start_write(), XBL_MPSD_OK);
        assert_int_equal(drive(50), XBL_MPSD_E_IO);
        assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_E_IO);
        assert_false(g_mock.open && g_mock.closes == 0);
        assert_true(g_mock.closes >= 1);
    }
}

static int32_t send_too_much(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx; (void)data;
    return (int32_t)len + 1;
}

static int32_t send_nothing(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx; (void)data; (void)len;
    return 0;
}

static void send_breaking_the_contract_is_io(void **state)
{
    (void)state;
    setup();
    g_client.port.send = send_too_much;
    assert_int_equal(start_write(), XBL_MPSD_OK);
    assert_int_equal(drive(50), XBL_MPSD_E_IO);
    setup();
    g_client.port.send = send_nothing;
    assert_int_equal(start_write(), XBL_MPSD_OK);
    assert_int_equal(drive(50), XBL_MPSD_E_IO);
    assert_int_equal(g_mock.sent_len, 0);
}

/* connect answering a positive value (not a result code) is E_CONNECT;
   E_WOULD_BLOCK from connect means "in progress" like PENDING. */
static void connect_odd_answers(void **state)
{
    (void)state;
    setup();
    g_mock.connect_default = 5;
    assert_int_equal(start_write(), XBL_MPSD_OK);
    assert_int_equal(drive(50), XBL_MPSD_E_CONNECT);
    setup();
    g_mock.connect_script[0] = XBL_MPSD_E_WOULD_BLOCK;
    g_mock.connect_script[1] = XBL_MPSD_OK;
    g_mock.connect_n = 2;
    add_response("HTTP/1.1 201 Created", DOC);
    assert_int_equal(start_write(), XBL_MPSD_OK);
    assert_int_equal(drive(50), XBL_MPSD_OK);
    assert_int_equal(g_mock.connects, 2);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_write_status(&g_session), XBL_MPSD_WRITE_SESSION_STATUS_CREATED);
}

/* ------------------------------------------------- the result call protocol */

static void result_call_protocol(void **state)
{
    xbl_mpsd_session no_arena;
    (void)state;
    setup();
    /* idle: nothing to take */
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_write_session_result(NULL, &g_session), XBL_MPSD_E_INVALIDARG);
    add_response("HTTP/1.1 201 Created", DOC);
    assert_int_equal(start_write(), XBL_MPSD_OK);
    /* too early: still pending, nothing consumed */
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_PENDING);
    assert_int_equal(drive(50), XBL_MPSD_OK);
    /* the wrong kind of result call, and an out without an arena */
    assert_int_equal(xbl_mpsd_get_session_result(&g_async, &g_session), XBL_MPSD_E_INVALIDARG);
    memset(&no_arena, 0, sizeof no_arena);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &no_arena), XBL_MPSD_E_INVALIDARG);
    /* taken once, then never again */
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
    assert_string_equal(xbl_mpsd_session_etag(&g_session), "\"e1\"");
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_E_UNEXPECTED);
    /* out == NULL takes the result without a session */
    add_response("HTTP/1.1 200 OK", DOC);
    assert_int_equal(start_write(), XBL_MPSD_OK);
    assert_int_equal(drive(50), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, NULL), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, NULL), XBL_MPSD_E_UNEXPECTED);
}

/* GET answered 204: RESOURCE_DATA_NOT_FOUND, out keeps its arena but has no document. */
static void get_204_is_not_found(void **state)
{
    (void)state;
    setup();
    mock_add_bytes(&g_mock, "HTTP/1.1 204 No Content\r\n\r\n", 27);
    assert_int_equal(start_get(), XBL_MPSD_OK);
    assert_int_equal(drive(50), XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND);
    assert_true(xbl_mpsd_session_has_document(&g_session));
    assert_int_equal(xbl_mpsd_get_session_result(&g_async, &g_session), XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND);
    assert_false(xbl_mpsd_session_has_document(&g_session));
    assert_true(g_session.arena.base == g_arena);
    assert_int_equal(xbl_mpsd_get_session_result(&g_async, &g_session), XBL_MPSD_E_UNEXPECTED);
}

/* The delivered document does not fit out's arena: OUTOFMEMORY, out and
   the response untouched, and the same result can be taken again into a
   larger session. */
static void out_arena_too_small_then_retry(void **state)
{
    static unsigned char tiny[64], big[16384];
    xbl_mpsd_session small, large;
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(SCID, TNAME, SNAME);
    unsigned char before[sizeof small];
    (void)state;
    setup();
    assert_int_equal(xbl_mpsd_session_init(&small, XUID, &ref, NULL, tiny, sizeof tiny), XBL_MPSD_OK);
    add_response("HTTP/1.1 200 OK", DOC_BIG);
    assert_int_equal(start_get(), XBL_MPSD_OK);
    assert_int_equal(drive(50), XBL_MPSD_OK);
    memcpy(before, &small, sizeof small);
    assert_int_equal(xbl_mpsd_get_session_result(&g_async, &small), XBL_MPSD_E_OUTOFMEMORY);
    assert_memory_equal(before, &small, sizeof small);
    assert_int_equal(xbl_mpsd_session_init(&large, XUID, &ref, NULL, big, sizeof big), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_session_result(&g_async, &large), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_session_constants(&large)->max_members_in_session, 4);
    assert_int_equal(xbl_mpsd_get_session_result(&g_async, &large), XBL_MPSD_E_UNEXPECTED);
}

/* Closing the client cancels the operation it runs; closing twice is harmless. */
static void client_close_cancels_the_running_operation(void **state)
{
    (void)state;
    setup();
    assert_int_equal(start_write(), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_PENDING);
    xbl_mpsd_client_close(&g_client);
    assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_E_CANCELED);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_E_CANCELED);
    assert_true(g_mock.closes >= 1);
    xbl_mpsd_client_close(&g_client);
}

/* Partial sends, WOULD_BLOCK on both directions, then a second exchange on
   the kept-alive connection: only the liveness check, identical request bytes. */
static void partial_io_then_keep_alive_reuse(void **state)
{
    static uint8_t first[8192];
    size_t first_len;
    (void)state;
    setup();
    mock_add_send(&g_mock, 10);
    mock_add_send(&g_mock, XBL_MPSD_E_WOULD_BLOCK);
    mock_add_send(&g_mock, 1);
    mock_add_code(&g_mock, XBL_MPSD_E_WOULD_BLOCK);
    add_response("HTTP/1.1 200 OK", DOC);
    assert_int_equal(start_get(), XBL_MPSD_OK);
    assert_int_equal(drive(50), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_session_result(&g_async, &g_session), XBL_MPSD_OK);
    first_len = g_mock.sent_len;
    memcpy(first, g_mock.sent, first_len);
    mock_reset_traffic(&g_mock);
    add_response("HTTP/1.1 200 OK", DOC);
    assert_int_equal(start_get(), XBL_MPSD_OK);
    assert_int_equal(drive(50), XBL_MPSD_OK);
    assert_int_equal(g_mock.connects, 2);   /* the first, then the liveness check */
    assert_int_equal(g_mock.calls[0], 'C');
    assert_int_equal(g_mock.sent_len, first_len);
    assert_memory_equal(g_mock.sent, first, first_len);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recv_breaking_the_contract_is_io),
        cmocka_unit_test(send_breaking_the_contract_is_io),
        cmocka_unit_test(connect_odd_answers),
        cmocka_unit_test(result_call_protocol),
        cmocka_unit_test(get_204_is_not_found),
        cmocka_unit_test(out_arena_too_small_then_retry),
        cmocka_unit_test(client_close_cancels_the_running_operation),
        cmocka_unit_test(partial_io_then_keep_alive_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
