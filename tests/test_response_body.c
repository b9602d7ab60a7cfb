/* xbl_mpsd_async_response_body: the body exactly as it arrived (chunked
   framing removed), kept after the result call; NULL and 0 otherwise. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "mock_port.h"
#include "test_auth.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#define SCID "00000000-0000-0000-0000-000000000000"
#define XUID 2814639011617876ULL
#define DOC  "{\"constants\":{\"system\":{\"visibility\":\"open\",\"maxMembersCount\":4}}," \
             "\"properties\":{\"system\":{},\"custom\":{\"map\":\"canyon\"}}}"

static mock_port        g_mock;
static xbl_mpsd_port    g_port;
static xbl_mpsd_client  g_client;
static xbl_mpsd_async   g_async;
static xbl_mpsd_session g_session;
static unsigned char    g_arena[16384];
static unsigned char    g_work[65536];

static int setup(void **state)
{
    xbl_mpsd_client_config cfg;
    (void)state;
    (void)mock_add_code; (void)mock_add_send; (void)mock_reset_traffic;   /* shared helpers unused here */
    mock_init(&g_mock, &g_port);
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &g_port;
    cfg.xuid = XUID;
    cfg.auth = test_auth;
    assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_init(&g_async, g_work, sizeof g_work), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_init(&g_session, XUID, NULL, NULL, g_arena, sizeof g_arena), XBL_MPSD_OK);
    return 0;
}

static xbl_mpsd_result get_with_reply(const char *reply)
{
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(SCID, "quick", "s1");
    xbl_mpsd_result rc;
    int guard = 0;
    mock_add_bytes(&g_mock, reply, strlen(reply));
    assert_int_equal(xbl_mpsd_get_session_async(&g_client, &ref, &g_async), XBL_MPSD_OK);
    while ((rc = xbl_mpsd_async_poll(&g_async)) == XBL_MPSD_PENDING) assert_true(++guard < 100000);
    return rc;
}

static void test_none_before_completion(void **state)
{
    size_t len = 7;
    (void)state;
    assert_null(xbl_mpsd_async_response_body(NULL, &len));
    assert_int_equal(len, 0);
    len = 7;
    assert_null(xbl_mpsd_async_response_body(&g_async, &len));   /* never started */
    assert_int_equal(len, 0);
}

static void test_content_length_body_kept_after_the_result(void **state)
{
    size_t len = 0;
    const char *body;
    (void)state;
    assert_int_equal(get_with_reply("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: \"e1\"\r\n"
                                    "Content-Length: 119\r\n\r\n" DOC), XBL_MPSD_OK);
    assert_int_equal(strlen(DOC), 119);
    body = xbl_mpsd_async_response_body(&g_async, &len);
    assert_non_null(body);
    assert_int_equal(len, strlen(DOC));
    assert_memory_equal(body, DOC, len);
    assert_int_equal(xbl_mpsd_get_session_result(&g_async, &g_session), XBL_MPSD_OK);
    assert_string_equal(xbl_mpsd_session_session_properties(&g_session)->session_custom_properties_json,
                        "{\"map\":\"canyon\"}");
    body = xbl_mpsd_async_response_body(&g_async, &len);      /* the result call left it alone */
    assert_int_equal(len, strlen(DOC));
    assert_memory_equal(body, DOC, len);
    assert_non_null(xbl_mpsd_async_response_body(&g_async, NULL));
}

static void test_chunked_body_without_framing(void **state)
{
    size_t len = 0;
    const char *body;
    (void)state;
    assert_int_equal(get_with_reply("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: \"e1\"\r\n"
                                    "Transfer-Encoding: chunked\r\n\r\n"
                                    "10\r\n{\"constants\":{\"s\r\n67\r\nystem\":{\"visibility\":\"open\",\"maxMembersCount\":4}},"
                                    "\"properties\":{\"system\":{},\"custom\":{\"map\":\"canyon\"}}}\r\n0\r\n\r\n"), XBL_MPSD_OK);
    body = xbl_mpsd_async_response_body(&g_async, &len);
    assert_int_equal(len, strlen(DOC));
    assert_memory_equal(body, DOC, len);
}

static void test_no_body_is_null(void **state)
{
    size_t len = 7;
    (void)state;
    assert_int_equal(get_with_reply("HTTP/1.1 204 No Content\r\n\r\n"), XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND);
    assert_null(xbl_mpsd_async_response_body(&g_async, &len));
    assert_int_equal(len, 0);
}

static void test_error_text_body(void **state)
{
    size_t len = 0;
    const char *body;
    (void)state;
    assert_int_equal(get_with_reply("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
                                    "Content-Length: 15\r\n\r\nno such thing\r\n"), XBL_MPSD_E_HTTP_STATUS(404));
    body = xbl_mpsd_async_response_body(&g_async, &len);
    assert_int_equal(len, 15);
    assert_memory_equal(body, "no such thing\r\n", 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_none_before_completion, setup),
        cmocka_unit_test_setup(test_content_length_body_kept_after_the_result, setup),
        cmocka_unit_test_setup(test_chunked_body_without_framing, setup),
        cmocka_unit_test_setup(test_no_body_is_null, setup),
        cmocka_unit_test_setup(test_error_text_body, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
