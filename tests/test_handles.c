/* The handles family's activity, transfer and invite share, against the
   scripted port: exact request bytes, every outcome, the result rules
   (pending, consumed, other kind, storage too small), and the multi-exchange
   operations (clear activity, invites) exchange by exchange. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "mock_port.h"
#include "test_auth.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "handles_fixture.h"

#define REF_JSON "{\"scid\":\"" HF_SCID "\",\"templateName\":\"coop-lobby\",\"name\":\"night-raid-0042\"}"
#define ID1 "9a3f51d0-64c2-4e8b-b7a1-0d2c3e4f5a6b"
#define ID2 "5d0e4c21-7b3a-4f19-a2c8-9e61f0b3d4a7"
#define QUERY_LINE "POST /handles/query?include=relatedInfo,customProperties HTTP/1.1\r\n"

static xbl_mpsd_session_reference lobby(void)
{
    return xbl_mpsd_session_reference_create(HF_SCID, "coop-lobby", "night-raid-0042");
}

static char g_expect[16384];

/* The request a POST with `body` is, on the wire. */
static const char *post(const char *line, const char *body)
{
    snprintf(g_expect, sizeof g_expect, "%s" HF_HEAD "Content-Length: %zu\r\n" HF_TAIL "%s", line, strlen(body), body);
    return g_expect;
}

/* ---- set activity ---- */

static void test_set_activity_request_bytes_and_outcome(void **state)
{
    xbl_mpsd_session_reference ref = lobby();
    const char *body = "{\"type\":\"activity\",\"sessionRef\":" REF_JSON ",\"version\":1}";
    (void)state;
    hf_reply("201 Created", "");
    assert_int_equal(xbl_mpsd_set_activity_async(&hf.client, &ref, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    assert_string_equal(hf_sent(), post("POST /handles HTTP/1.1\r\n", body));
    assert_int_equal(xbl_mpsd_async_http_status(&hf.async), 201);
    /* no result call: the async is free again at once */
    hf_reply("200 OK", "{\"id\":\"" ID1 "\"}");
    assert_int_equal(xbl_mpsd_set_activity_async(&hf.client, &ref, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
}

static void test_set_activity_refusals(void **state)
{
    xbl_mpsd_session_reference ref = lobby(), bad = lobby();
    xbl_mpsd_async other;
    unsigned char small[64];
    (void)state;
    bad.session_name[0] = '\0';
    assert_int_equal(xbl_mpsd_set_activity_async(NULL, &ref, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_set_activity_async(&hf.client, NULL, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_set_activity_async(&hf.client, &bad, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_set_activity_async(&hf.client, &ref, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(hf.mock.sent_len, 0);
    /* a buffer too small: nothing started, a size to give */
    assert_int_equal(xbl_mpsd_async_init(&other, small, sizeof small), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_set_activity_async(&hf.client, &ref, &other), XBL_MPSD_E_OUTOFMEMORY);
    assert_true(xbl_mpsd_async_needed_bytes(&other) > sizeof small);
    assert_int_equal(xbl_mpsd_async_poll(&other), XBL_MPSD_E_UNEXPECTED);
    /* busy client, busy async */
    assert_int_equal(xbl_mpsd_set_activity_async(&hf.client, &ref, &hf.async), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_init(&other, hf.work + 60000, 5000), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_set_activity_async(&hf.client, &ref, &other), XBL_MPSD_E_BUSY);
    assert_int_equal(xbl_mpsd_set_activity_async(&hf.client, &ref, &hf.async), XBL_MPSD_E_UNEXPECTED);
    xbl_mpsd_async_cancel(&hf.async);
}

static void test_set_activity_http_error_keeps_reason(void **state)
{
    xbl_mpsd_session_reference ref = lobby();
    static const char reply[] = "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nnot a member";
    (void)state;
    mock_add_bytes(&hf.mock, reply, sizeof reply - 1);
    assert_int_equal(xbl_mpsd_set_activity_async(&hf.client, &ref, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_E_HTTP_STATUS(403));
    assert_string_equal(xbl_mpsd_async_error_text(&hf.async), "not a member");
}

/* ---- clear activity ---- */

#define OWN_QUERY "{\"type\":\"activity\",\"scid\":\"" HF_SCID "\",\"owners\":{\"xuids\":[\"2814600000000001\"]}}"
#define ACT(id) "{\"id\":\"" id "\",\"type\":\"activity\",\"version\":1,\"sessionRef\":" REF_JSON \
                ",\"titleId\":\"1872345603\",\"ownerXuid\":\"2814600000000001\"}"

static void test_clear_activity_queries_then_deletes(void **state)
{
    char expect[16384];
    (void)state;
    hf_reply("200 OK", "{\"results\":[" ACT(ID1) "]}");
    hf_reply("204 No Content", "");
    assert_int_equal(xbl_mpsd_clear_activity_async(&hf.client, HF_SCID, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    snprintf(expect, sizeof expect, "%sDELETE /handles/" ID1 " HTTP/1.1\r\n" HF_HEAD HF_TAIL,
             post(QUERY_LINE, OWN_QUERY));
    assert_string_equal(hf_sent(), expect);
    assert_string_equal(hf.mock.calls, "csrCsr");    /* the DELETE went on the kept connection */
    assert_int_equal(xbl_mpsd_async_http_status(&hf.async), 204);
}

static void test_clear_activity_none_or_several_sends_no_delete(void **state)
{
    (void)state;
    hf_reply("200 OK", "{\"results\":[]}");
    assert_int_equal(xbl_mpsd_clear_activity_async(&hf.client, HF_SCID, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_E_INVALIDARG);
    assert_string_equal(hf_sent(), post(QUERY_LINE, OWN_QUERY));
    mock_reset_traffic(&hf.mock);
    hf_reply("200 OK", "{\"results\":[" ACT(ID1) "," ACT(ID2) "]}");
    assert_int_equal(xbl_mpsd_clear_activity_async(&hf.client, HF_SCID, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_E_INVALIDARG);
    assert_string_equal(hf_sent(), post(QUERY_LINE, OWN_QUERY));
}

static void test_clear_activity_failures(void **state)
{
    (void)state;
    /* an ID that is no path segment */
    hf_reply("200 OK", "{\"results\":[" ACT("a/b") "]}");
    assert_int_equal(xbl_mpsd_clear_activity_async(&hf.client, HF_SCID, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_E_INVALID_JSON_STRING);
    /* the query refused */
    mock_reset_traffic(&hf.mock);
    hf_reply("500 Internal Server Error", "");
    assert_int_equal(xbl_mpsd_clear_activity_async(&hf.client, HF_SCID, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_E_HTTP_STATUS(500));
    assert_string_equal(hf_sent(), post(QUERY_LINE, OWN_QUERY));
    /* the DELETE refused */
    mock_reset_traffic(&hf.mock);
    hf_reply("200 OK", "{\"results\":[" ACT(ID1) "]}");
    hf_reply("403 Forbidden", "");
    assert_int_equal(xbl_mpsd_clear_activity_async(&hf.client, HF_SCID, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_E_HTTP_STATUS(403));
    assert_int_equal(xbl_mpsd_async_http_status(&hf.async), 403);
    /* arguments */
    assert_int_equal(xbl_mpsd_clear_activity_async(&hf.client, "", &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_clear_activity_async(&hf.client, NULL, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_clear_activity_async(&hf.client, "0123456789012345678901234567890123456789",
                                                   &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_clear_activity_async(NULL, HF_SCID, &hf.async), XBL_MPSD_E_INVALIDARG);
}

static void test_clear_activity_each_exchange_has_its_own_deadline(void **state)
{
    (void)state;
    hf_reply("200 OK", "{\"results\":[" ACT(ID1) "]}");
    assert_int_equal(xbl_mpsd_clear_activity_async(&hf.client, HF_SCID, &hf.async), XBL_MPSD_OK);
    hf.mock.now = 29000;   /* the query took 29 s of the 30 s */
    while (hf.mock.recv_i < 1) assert_int_equal(xbl_mpsd_async_poll(&hf.async), XBL_MPSD_PENDING);
    assert_int_equal(xbl_mpsd_async_poll(&hf.async), XBL_MPSD_PENDING);   /* the DELETE started */
    hf.mock.now = 29000 + 29999;
    assert_int_equal(xbl_mpsd_async_poll(&hf.async), XBL_MPSD_PENDING);
    hf.mock.now = 29000 + 30000;
    assert_int_equal(xbl_mpsd_async_poll(&hf.async), XBL_MPSD_E_TIMEOUT);
}

/* ---- transfer handles ---- */

static void test_transfer_handle_bytes_and_result(void **state)
{
    xbl_mpsd_session_reference target = xbl_mpsd_session_reference_create(HF_SCID, "arena-4v4", "match-77");
    xbl_mpsd_session_handle_id id;
    const char *body = "{\"type\":\"transfer\",\"sessionRef\":{\"scid\":\"" HF_SCID "\",\"templateName\":\"arena-4v4\","
                       "\"name\":\"match-77\"},\"version\":1,\"originSessionRef\":" REF_JSON "}";
    (void)state;
    hf_reply("201 Created", "{\"id\":\"" ID2 "\",\"version\":1,\"type\":\"transfer\",\"sessionRef\":" REF_JSON "}");
    assert_int_equal(xbl_mpsd_set_transfer_handle_async(&hf.client, target, lobby(), &hf.async), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_set_transfer_handle_result(&hf.async, &id), XBL_MPSD_PENDING);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    assert_string_equal(hf_sent(), post("POST /handles HTTP/1.1\r\n", body));
    assert_int_equal(xbl_mpsd_set_transfer_handle_result(&hf.async, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_set_transfer_handle_result(&hf.async, &id), XBL_MPSD_OK);
    assert_string_equal(id.value, ID2);
    assert_int_equal(xbl_mpsd_set_transfer_handle_result(&hf.async, &id), XBL_MPSD_E_UNEXPECTED);
}

static xbl_mpsd_result transfer_with_body(const char *body)
{
    xbl_mpsd_session_reference ref = lobby();
    mock_reset_traffic(&hf.mock);
    hf_reply("200 OK", body);
    assert_int_equal(xbl_mpsd_set_transfer_handle_async(&hf.client, ref, ref, &hf.async), XBL_MPSD_OK);
    return hf_run();
}

static void test_transfer_handle_bodies(void **state)
{
    static const char *const invalid[] = {
        "", "{}", "{\"id\":\"\"}", "{\"id\":null}", "{\"id\":7}", "[\"id\"]", "{\"id\":\"" ID1 "\"} x",
        "{\"id\":\"0123456789012345678901234567890123456789\"}", "{\"id\":\"" ID1 "\"", "not json"
    };
    xbl_mpsd_session_handle_id id;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        memset(&id, 0x5A, sizeof id);
        assert_int_equal(transfer_with_body(invalid[i]), XBL_MPSD_E_INVALID_JSON_STRING);
        assert_int_equal(xbl_mpsd_set_transfer_handle_result(&hf.async, &id), XBL_MPSD_E_INVALID_JSON_STRING);
        assert_int_equal(id.value[0], 0x5A);   /* outputs unchanged */
        assert_int_equal(xbl_mpsd_set_transfer_handle_result(&hf.async, &id), XBL_MPSD_E_UNEXPECTED);
    }
    /* 39 bytes, escapes, unknown keys: fine */
    assert_int_equal(transfer_with_body("{\"x\":[1,{\"id\":2}],\"id\":\"012345678901234567890123456789012345678\"}"),
                     XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_set_transfer_handle_result(&hf.async, &id), XBL_MPSD_OK);
    assert_string_equal(id.value, "012345678901234567890123456789012345678");
    assert_int_equal(transfer_with_body("{\"i\\u0064\":\"a\\u0062c\"}"), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_set_transfer_handle_result(&hf.async, &id), XBL_MPSD_OK);
    assert_string_equal(id.value, "abc");
}

static void test_result_calls_refuse_other_kinds(void **state)
{
    xbl_mpsd_session_reference ref = lobby();
    xbl_mpsd_session_handle_id id;
    xbl_mpsd_session s;
    size_t n = 99;
    (void)state;
    assert_int_equal(xbl_mpsd_set_transfer_handle_result(&hf.async, &id), XBL_MPSD_E_UNEXPECTED);   /* idle */
    assert_int_equal(xbl_mpsd_set_transfer_handle_result(NULL, &id), XBL_MPSD_E_INVALIDARG);
    hf_reply("201 Created", "");
    assert_int_equal(xbl_mpsd_set_activity_async(&hf.client, &ref, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_set_transfer_handle_result(&hf.async, &id), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_send_invites_result_count(&hf.async, &n), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_for_users_result_count(&hf.async, &n), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(n, 99);
    /* and the session result calls refuse a handles operation */
    memset(&s, 0, sizeof s);
    assert_int_equal(xbl_mpsd_get_session_result(&hf.async, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_write_session_result(&hf.async, NULL), XBL_MPSD_E_INVALIDARG);
}

/* ---- invites ---- */

static const char *invite_body(const char *xuid)
{
    static char b[1024];
    snprintf(b, sizeof b, "{\"type\":\"invite\",\"sessionRef\":" REF_JSON ",\"version\":1,\"invitedXuid\":\"%s\","
             "\"inviteAttributes\":{\"titleId\":\"1872345603\",\"contextString\":\"///raidInvite\","
             "\"context\":\"slot=3\"}}", xuid);
    return b;
}

static void test_invites_one_post_per_xuid_in_order(void **state)
{
    static const uint64_t xuids[3] = { 2814600000000007ULL, 42ULL, 18446744073709551615ULL };
    xbl_mpsd_session_reference ref = lobby();
    xbl_mpsd_invite_handle h[4];
    char expect[16384];
    size_t n = 0;
    (void)state;
    hf_reply("201 Created", "{\"id\":\"" ID1 "\",\"type\":\"invite\"}");
    hf_reply("500 Internal Server Error", "");
    hf_reply("201 Created", "{\"id\":\"" ID2 "\"}");
    assert_int_equal(xbl_mpsd_send_invites_async(&hf.client, &ref, xuids, 3, 1872345603u, "///raidInvite", "slot=3",
                                                 &hf.async), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_send_invites_result_count(&hf.async, &n), XBL_MPSD_PENDING);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    strcpy(expect, post("POST /handles HTTP/1.1\r\n", invite_body("2814600000000007")));
    strcat(expect, post("POST /handles HTTP/1.1\r\n", invite_body("42")));
    strcat(expect, post("POST /handles HTTP/1.1\r\n", invite_body("18446744073709551615")));
    assert_string_equal(hf_sent(), expect);
    assert_int_equal(xbl_mpsd_send_invites_result_count(&hf.async, &n), XBL_MPSD_OK);
    assert_int_equal(n, 3);
    memset(h, 0x5A, sizeof h);
    assert_int_equal(xbl_mpsd_send_invites_result(&hf.async, 2, h), XBL_MPSD_E_OUTOFMEMORY);
    assert_int_equal((unsigned char)h[0].data[0], 0x5A);
    assert_int_equal(xbl_mpsd_send_invites_result(&hf.async, 4, h), XBL_MPSD_OK);
    assert_string_equal(h[0].data, ID1);
    assert_string_equal(h[1].data, "");
    assert_string_equal(h[2].data, ID2);
    assert_int_equal((unsigned char)h[3].data[0], 0x5A);   /* past the count: not written */
    assert_int_equal(xbl_mpsd_send_invites_result(&hf.async, 4, h), XBL_MPSD_E_UNEXPECTED);
}

static void test_invites_optional_attributes_left_out(void **state)
{
    static const uint64_t one = 2814600000000002ULL;
    xbl_mpsd_session_reference ref = lobby();
    const char *body = "{\"type\":\"invite\",\"sessionRef\":" REF_JSON ",\"version\":1,\"invitedXuid\":"
                       "\"2814600000000002\",\"inviteAttributes\":{\"titleId\":\"0\"}}";
    (void)state;
    hf_reply("201 Created", "{\"id\":\"" ID1 "\"}");
    assert_int_equal(xbl_mpsd_send_invites_async(&hf.client, &ref, &one, 1, 0, NULL, "", &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    assert_string_equal(hf_sent(), post("POST /handles HTTP/1.1\r\n", body));
    assert_int_equal(xbl_mpsd_send_invites_result(&hf.async, 0, NULL), XBL_MPSD_OK);   /* discarded */
    assert_int_equal(xbl_mpsd_send_invites_result(&hf.async, 0, NULL), XBL_MPSD_E_UNEXPECTED);
}

static void test_invites_all_failed_gives_the_first_failure(void **state)
{
    static const uint64_t xuids[3] = { 11, 12, 13 };
    xbl_mpsd_session_reference ref = lobby();
    xbl_mpsd_invite_handle h[3];
    (void)state;
    hf_reply("404 Not Found", "");
    hf_reply("200 OK", "{\"noid\":1}");
    mock_add_code(&hf.mock, XBL_MPSD_E_IO);   /* on the kept connection: an invite is never sent twice */
    assert_int_equal(xbl_mpsd_send_invites_async(&hf.client, &ref, xuids, 3, 1, NULL, NULL, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_E_HTTP_STATUS(404));
    memset(h, 0x5A, sizeof h);
    assert_int_equal(xbl_mpsd_send_invites_result(&hf.async, 3, h), XBL_MPSD_E_HTTP_STATUS(404));
    assert_int_equal((unsigned char)h[0].data[0], 0x5A);
    assert_int_equal(hf.mock.sends, 3);   /* every invite was attempted, each once */
}

/* A kept connection found dead after the request went out, before any
   answer: a query is sent again on a new connection, a POST that creates
   is not (the service may have made the invite). */
static void test_creating_posts_are_never_resent(void **state)
{
    static const uint64_t xuids[2] = { 11, 12 };
    xbl_mpsd_session_reference ref = lobby();
    xbl_mpsd_invite_handle h[2];
    size_t n;
    (void)state;
    hf_reply("201 Created", "{\"id\":\"" ID1 "\"}");
    mock_add_code(&hf.mock, XBL_MPSD_E_EOF);
    assert_int_equal(xbl_mpsd_send_invites_async(&hf.client, &ref, xuids, 2, 1, NULL, NULL, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    assert_int_equal(hf.mock.sends, 2);
    assert_int_equal(xbl_mpsd_send_invites_result(&hf.async, 2, h), XBL_MPSD_OK);
    assert_string_equal(h[0].data, ID1);
    assert_string_equal(h[1].data, "");
    /* the activity query is resent once on a fresh connection */
    mock_reset_traffic(&hf.mock);
    hf_reply("200 OK", "{\"results\":[]}");
    assert_int_equal(xbl_mpsd_get_activities_for_users_async(&hf.client, HF_SCID, xuids, 1, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);   /* on a new connection: the old one was closed */
    assert_int_equal(xbl_mpsd_get_activities_for_users_result(&hf.async, 0, NULL), XBL_MPSD_OK);
    mock_reset_traffic(&hf.mock);
    mock_add_code(&hf.mock, XBL_MPSD_E_EOF);
    hf_reply("200 OK", "{\"results\":[]}");
    n = hf.mock.sends;
    assert_int_equal(xbl_mpsd_get_activities_for_users_async(&hf.client, HF_SCID, xuids, 1, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    assert_int_equal(hf.mock.sends - n, 2);
    assert_string_equal(hf.mock.calls, "Csrxcsr");   /* kept, dead; a new connection, sent again */
    assert_int_equal(xbl_mpsd_get_activities_for_users_result_count(&hf.async, &n), XBL_MPSD_OK);
    assert_int_equal(n, 0);
}

/* The DELETE of clear activity resent after a dead connection finds the
   handle gone (404): the first one deleted it, so the call succeeds. */
static void test_clear_activity_resent_delete_404_is_success(void **state)
{
    (void)state;
    hf_reply("200 OK", "{\"results\":[" ACT(ID1) "]}");
    mock_add_code(&hf.mock, XBL_MPSD_E_EOF);
    hf_reply("404 Not Found", "");
    assert_int_equal(xbl_mpsd_clear_activity_async(&hf.client, HF_SCID, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    assert_int_equal(hf.mock.sends, 3);
    /* without the resend a 404 is a 404 */
    mock_reset_traffic(&hf.mock);
    hf_reply("200 OK", "{\"results\":[" ACT(ID1) "]}");
    hf_reply("404 Not Found", "");   /* without the resend a 404 is a 404 */
    assert_int_equal(xbl_mpsd_clear_activity_async(&hf.client, HF_SCID, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_E_HTTP_STATUS(404));
}

static void test_invites_arguments_and_buffer_need(void **state)
{
    static const uint64_t xuids[2] = { 11, 0 };
    xbl_mpsd_session_reference ref = lobby();
    static unsigned char buf[2048];
    uint64_t many[30];
    size_t i, need;
    (void)state;
    assert_int_equal(xbl_mpsd_send_invites_async(&hf.client, &ref, xuids, 2, 1, NULL, NULL, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_send_invites_async(&hf.client, &ref, NULL, 1, 1, NULL, NULL, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_send_invites_async(&hf.client, &ref, xuids, 0, 1, NULL, NULL, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_send_invites_async(&hf.client, &ref, xuids, 1, 1, "\xff", NULL, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_send_invites_async(&hf.client, NULL, xuids, 1, 1, NULL, NULL, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(hf.mock.sent_len, 0);
    /* 30 XUIDs need 30 * 48 bytes on top of one exchange */
    for (i = 0; i < 30; i++) many[i] = 2814600000000100ULL + i;
    assert_int_equal(xbl_mpsd_async_init(&hf.async, buf, 1000), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_send_invites_async(&hf.client, &ref, many, 30, 1, NULL, NULL, &hf.async),
                     XBL_MPSD_E_OUTOFMEMORY);
    need = xbl_mpsd_async_needed_bytes(&hf.async);
    assert_true(need >= 1000 + 30 * 48 - 1000);
    assert_int_equal(xbl_mpsd_async_init(&hf.async, buf, 1200), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_send_invites_async(&hf.client, &ref, many, 2, 1, NULL, NULL, &hf.async), XBL_MPSD_OK);
    xbl_mpsd_async_cancel(&hf.async);
}

/* ---- activity queries ---- */

#define FULL_ACT "{\"id\":\"" ID1 "\",\"type\":\"Activity\",\"version\":1,\"sessionRef\":" REF_JSON \
    ",\"titleId\":\"1872345603\",\"ownerXuid\":\"2814600000000002\",\"relatedInfo\":{\"visibility\":\"open\"," \
    "\"joinRestriction\":\"followed\",\"closed\":true,\"maxMembersCount\":4,\"membersCount\":3}," \
    "\"customProperties\":{\"stage\":\"boss\",\"difficulty\":2}}"
#define BARE_ACT "{\"type\":\"activity\",\"id\":\"" ID2 "\",\"sessionRef\":null,\"relatedInfo\":null}"
#define TWO_ACTS "{\"results\":[" FULL_ACT "," BARE_ACT "]}"

static void test_activities_for_users_request_and_plain_result(void **state)
{
    static const uint64_t xuids[3] = { 2814600000000002ULL, 2814600000000005ULL, 2814600000000002ULL };
    const char *body = "{\"type\":\"activity\",\"scid\":\"" HF_SCID "\",\"owners\":{\"xuids\":[\"2814600000000002\","
                       "\"2814600000000005\",\"2814600000000002\"]}}";
    xbl_mpsd_activity_details a[3];
    size_t n = 0;
    (void)state;
    hf_reply("200 OK", TWO_ACTS);
    assert_int_equal(xbl_mpsd_get_activities_for_users_async(&hf.client, HF_SCID, xuids, 3, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    assert_string_equal(hf_sent(), post(QUERY_LINE, body));
    /* the social-group calls of the same flavour take it too */
    assert_int_equal(xbl_mpsd_get_activities_for_social_group_result_count(&hf.async, &n), XBL_MPSD_OK);
    assert_int_equal(n, 2);
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_users_result_size(&hf.async, &n), XBL_MPSD_E_INVALIDARG);
    memset(a, 0x5A, sizeof a);
    assert_int_equal(xbl_mpsd_get_activities_for_users_result(&hf.async, 1, a), XBL_MPSD_E_OUTOFMEMORY);
    assert_int_equal(((unsigned char *)a)[0], 0x5A);
    assert_int_equal(xbl_mpsd_get_activities_for_users_result(&hf.async, 3, a), XBL_MPSD_OK);
    assert_string_equal(a[0].handle_id, ID1);
    assert_string_equal(a[0].session_reference.scid, HF_SCID);
    assert_string_equal(a[0].session_reference.session_template_name, "coop-lobby");
    assert_string_equal(a[0].session_reference.session_name, "night-raid-0042");
    assert_int_equal(a[0].title_id, 1872345603u);
    assert_true(a[0].owner_xuid == 2814600000000002ULL);
    assert_int_equal(a[0].visibility, XBL_MPSD_SESSION_VISIBILITY_OPEN);
    assert_int_equal(a[0].join_restriction, XBL_MPSD_SESSION_RESTRICTION_FOLLOWED);
    assert_true(a[0].closed);
    assert_int_equal(a[0].max_members_count, 4);
    assert_int_equal(a[0].members_count, 3);
    assert_null(a[0].custom_session_properties_json);
    assert_string_equal(a[1].handle_id, ID2);
    assert_string_equal(a[1].session_reference.scid, "");
    assert_int_equal(a[1].visibility, XBL_MPSD_SESSION_VISIBILITY_UNKNOWN);
    assert_int_equal(a[1].title_id, 0);
    assert_false(a[1].closed);
    assert_null(a[1].custom_session_properties_json);
    assert_int_equal(((unsigned char *)&a[2])[0], 0x5A);
    assert_int_equal(xbl_mpsd_get_activities_for_users_result(&hf.async, 3, a), XBL_MPSD_E_UNEXPECTED);
}

static void test_activities_with_properties_layout(void **state)
{
    const char *body = "{\"type\":\"activity\",\"scid\":\"" HF_SCID "\",\"owners\":{\"people\":{\"moniker\":\"favorites\","
                       "\"monikerXuid\":\"2814600000000002\"}}}";
    static unsigned char buf[4096];
    xbl_mpsd_activity_details *arr = NULL;
    size_t size = 0, count = 9, used = 7, at;
    (void)state;
    hf_reply("200 OK", TWO_ACTS);
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_social_group_async(&hf.client, HF_SCID,
                     2814600000000002ULL, "favorites", &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    assert_string_equal(hf_sent(), post(QUERY_LINE, body));
    assert_int_equal(xbl_mpsd_get_activities_for_social_group_result_count(&hf.async, &count), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_users_result_size(&hf.async, &size), XBL_MPSD_OK);
    assert_int_equal(size, XBL_MPSD__ALIGN - 1 + 2 * sizeof(xbl_mpsd_activity_details)
                           + strlen("{\"stage\":\"boss\",\"difficulty\":2}") + 1 + 5);
    /* every alignment: size - 1 is short, size fits */
    for (at = 0; at < XBL_MPSD__ALIGN; at++) {
        memset(buf, 0x5A, sizeof buf);
        used = 7;
        assert_int_equal(xbl_mpsd_get_activities_with_properties_for_social_group_result(&hf.async, size - 1,
                         buf + at, &arr, &count, &used), XBL_MPSD_E_OUTOFMEMORY);
        assert_int_equal(used, size);
        assert_int_equal(buf[at], 0x5A);
        assert_int_equal(xbl_mpsd_get_activities_with_properties_for_social_group_result_size(&hf.async, &used),
                         XBL_MPSD_OK);
    }
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_social_group_result(&hf.async, size, buf + 3,
                     &arr, &count, &used), XBL_MPSD_OK);
    assert_int_equal(count, 2);
    assert_true((unsigned char *)arr >= buf + 3 && (unsigned char *)arr < buf + 3 + XBL_MPSD__ALIGN);
    assert_true(used <= size);
    assert_string_equal(arr[0].custom_session_properties_json, "{\"stage\":\"boss\",\"difficulty\":2}");
    assert_string_equal(arr[1].custom_session_properties_json, "null");
    assert_true((const unsigned char *)arr[1].custom_session_properties_json + 5 == buf + 3 + used);
    assert_int_equal(buf[3 + used], 0x5A);   /* nothing past buffer_used */
    assert_string_equal(arr[0].handle_id, ID1);
}

static void test_activities_for_social_group_plain(void **state)
{
    xbl_mpsd_activity_details a[2], *arr = NULL;
    size_t n = 0;
    (void)state;
    hf_reply("200 OK", TWO_ACTS);
    assert_int_equal(xbl_mpsd_get_activities_for_social_group_async(&hf.client, HF_SCID, 2814600000000002ULL, "people",
                     &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_activities_for_users_result_count(&hf.async, &n), XBL_MPSD_OK);
    assert_int_equal(n, 2);
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_social_group_result(&hf.async, 0, NULL,
                     &arr, &n, NULL), XBL_MPSD_E_INVALIDARG);   /* a plain operation */
    assert_int_equal(xbl_mpsd_get_activities_for_social_group_result(&hf.async, 2, a), XBL_MPSD_OK);
    assert_string_equal(a[0].handle_id, ID1);
    assert_string_equal(a[1].handle_id, ID2);
    assert_null(a[1].custom_session_properties_json);
}

static void test_activities_with_properties_discard_and_empty(void **state)
{
    static const uint64_t one = 7;
    xbl_mpsd_activity_details *arr = (xbl_mpsd_activity_details *)(void *)&one;
    size_t count = 9, used = 9, size = 9;
    unsigned char b[8];
    (void)state;
    hf_reply("200 OK", TWO_ACTS);
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_users_async(&hf.client, HF_SCID, &one, 1, &hf.async),
                     XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_users_result(&hf.async, 0, NULL, NULL, &count, NULL),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_users_result(&hf.async, 4, NULL, &arr, &count, NULL),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_users_result(&hf.async, 0, NULL, &arr, &count, &used),
                     XBL_MPSD_OK);
    assert_null(arr);
    assert_int_equal(count, 0);
    assert_int_equal(used, 0);
    mock_reset_traffic(&hf.mock);
    hf_reply("200 OK", "{\"results\":[]}");
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_users_async(&hf.client, HF_SCID, &one, 1, &hf.async),
                     XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_users_result_size(&hf.async, &size), XBL_MPSD_OK);
    assert_int_equal(size, 0);
    count = 9;
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_users_result(&hf.async, sizeof b, b, &arr, &count,
                     &used), XBL_MPSD_OK);
    assert_null(arr);
    assert_int_equal(count, 0);
}

static xbl_mpsd_result activities_with_body(const char *body)
{
    static const uint64_t one = 7;
    mock_reset_traffic(&hf.mock);
    hf_reply("200 OK", body);
    assert_int_equal(xbl_mpsd_get_activities_for_users_async(&hf.client, HF_SCID, &one, 1, &hf.async), XBL_MPSD_OK);
    return hf_run();
}

static void test_activity_list_bodies(void **state)
{
    static const char *const invalid[] = {
        "", "{}", "{\"results\":{}}", "{\"results\":null}", "{\"results\":[1]}", "{\"results\":[]} []",
        "{\"results\":[],\"results\":[]}",
        "{\"results\":[{\"id\":\"" ID1 "\"}]}",                                  /* no type */
        "{\"results\":[{\"type\":\"search\",\"id\":\"" ID1 "\"}]}",               /* another type */
        "{\"results\":[{\"type\":null,\"id\":\"" ID1 "\"}]}",
        "{\"results\":[{\"type\":\"activity\"}]}",                               /* no id */
        "{\"results\":[{\"type\":\"activity\",\"id\":\"\"}]}",
        "{\"results\":[{\"type\":\"activity\",\"id\":\"0123456789012345678901234567890123456789\"}]}",
        "{\"results\":[{\"type\":\"activity\",\"id\":\"a\",\"relatedInfo\":{\"closed\":\"yes\"}}]}",
        "{\"results\":[{\"type\":\"activity\",\"id\":\"a\",\"relatedInfo\":{\"membersCount\":1.5}}]}",
        "{\"results\":[{\"type\":\"activity\",\"id\":\"a\",\"relatedInfo\":[]}]}",
        "{\"results\":[{\"type\":\"activity\",\"id\":\"a\",\"titleId\":\"-1\"}]}",
        "{\"results\":[{\"type\":\"activity\",\"id\":\"a\",\"titleId\":\"4294967296\"}]}",
        "{\"results\":[{\"type\":\"activity\",\"id\":\"a\",\"ownerXuid\":2814600000000002}]}",
        ("{\"results\":[{\"type\":\"activity\",\"id\":\"a\",\"sessionRef\":{\"scid\":"
         "\"0123456789012345678901234567890123456789\"}}]}"),
        "{\"results\":[{\"type\":\"activity\",\"id\":\"a\",\"customProperties\":{]}]}",
        "{\"results\":[{\"type\":\"activity\",\"id\":\"a\"},]}"
    };
    xbl_mpsd_activity_details a;
    size_t i, n;
    (void)state;
    for (i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        assert_int_equal(activities_with_body(invalid[i]), XBL_MPSD_E_INVALID_JSON_STRING);
        assert_int_equal(xbl_mpsd_get_activities_for_users_result_count(&hf.async, &n), XBL_MPSD_E_INVALID_JSON_STRING);
        assert_int_equal(xbl_mpsd_get_activities_for_users_result_count(&hf.async, &n), XBL_MPSD_E_UNEXPECTED);
    }
    assert_int_equal(activities_with_body("{\"results\":[{\"type\":\"ACTIVITY\",\"id\":\"a\",\"extra\":[{}],"
                     "\"relatedInfo\":{\"visibility\":\"Nonsense\"},\"sessionRef\":{\"scid\":null}}],\"more\":1}"),
                     XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_activities_for_users_result(&hf.async, 1, &a), XBL_MPSD_OK);
    assert_string_equal(a.handle_id, "a");
    assert_int_equal(a.visibility, XBL_MPSD_SESSION_VISIBILITY_UNKNOWN);
}

/* A response split at every byte reads the same. */
static void test_activities_split_at_every_byte(void **state)
{
    static const uint64_t one = 7;
    static char reply[4096];
    xbl_mpsd_activity_details a[2];
    size_t len, cut;
    (void)state;
    snprintf(reply, sizeof reply, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s", strlen(TWO_ACTS), TWO_ACTS);
    len = strlen(reply);
    for (cut = 1; cut < len; cut++) {
        mock_reset_traffic(&hf.mock);
        mock_add_bytes(&hf.mock, reply, cut);
        mock_add_bytes(&hf.mock, reply + cut, len - cut);
        assert_int_equal(xbl_mpsd_get_activities_for_users_async(&hf.client, HF_SCID, &one, 1, &hf.async), XBL_MPSD_OK);
        assert_int_equal(hf_run(), XBL_MPSD_OK);
        assert_int_equal(xbl_mpsd_get_activities_for_users_result(&hf.async, 2, a), XBL_MPSD_OK);
        assert_string_equal(a[0].handle_id, ID1);
        assert_int_equal(a[0].members_count, 3);
        assert_string_equal(a[1].handle_id, ID2);
    }
}

static void test_activities_arguments(void **state)
{
    static const uint64_t one = 7, zero = 0;
    (void)state;
    assert_int_equal(xbl_mpsd_get_activities_for_users_async(&hf.client, "", &one, 1, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_for_users_async(&hf.client, HF_SCID, &zero, 1, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_for_users_async(&hf.client, HF_SCID, NULL, 1, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_for_social_group_async(&hf.client, HF_SCID, 0, "people", &hf.async),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_for_social_group_async(&hf.client, HF_SCID, 7, "", &hf.async),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_for_social_group_async(&hf.client, HF_SCID, 7, NULL, &hf.async),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_social_group_async(&hf.client, "\xc3", 7, "people",
                     &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(hf.mock.sent_len, 0);
}

/* The response does not fit: a failure, with the exact size. */
static void test_activities_response_too_big_for_the_buffer(void **state)
{
    static const uint64_t one = 7;
    static unsigned char buf[65536];
    size_t need, n;
    (void)state;
    hf_reply("200 OK", TWO_ACTS);
    assert_int_equal(xbl_mpsd_async_init(&hf.async, buf, 700), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_activities_for_users_async(&hf.client, HF_SCID, &one, 1, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_E_OUTOFMEMORY);
    assert_int_equal(xbl_mpsd_get_activities_for_users_result_count(&hf.async, &n), XBL_MPSD_E_OUTOFMEMORY);
    need = xbl_mpsd_async_needed_bytes(&hf.async);
    mock_reset_traffic(&hf.mock);
    hf_reply("200 OK", TWO_ACTS);
    assert_int_equal(xbl_mpsd_async_init(&hf.async, buf, need - 1), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_activities_for_users_async(&hf.client, HF_SCID, &one, 1, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_E_OUTOFMEMORY);
    mock_reset_traffic(&hf.mock);
    hf_reply("200 OK", TWO_ACTS);
    assert_int_equal(xbl_mpsd_async_init(&hf.async, buf, need), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_activities_for_users_async(&hf.client, HF_SCID, &one, 1, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
}

/* Every NULL and every busy async, call by call: the refusal comes first
   and nothing is sent. */
static void test_every_call_refuses_null_and_busy(void **state)
{
    static const uint64_t one = 7;
    xbl_mpsd_session_reference ref = lobby();
    xbl_mpsd_activity_details a, *arr = NULL;
    size_t n = 0;
    (void)state;
    assert_int_equal(xbl_mpsd_get_activities_for_users_async(NULL, HF_SCID, &one, 1, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_for_users_async(&hf.client, HF_SCID, &one, 1, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_for_social_group_async(NULL, HF_SCID, 7, "people", &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_for_social_group_async(&hf.client, HF_SCID, 7, "people", NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_for_social_group_async(&hf.client, "", 7, "people", &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_for_social_group_async(&hf.client, HF_SCID, 7, "\xff", &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_set_transfer_handle_async(NULL, ref, ref, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_set_transfer_handle_async(&hf.client, ref, ref, NULL), XBL_MPSD_E_INVALIDARG);
    ref.scid[0] = '\0';
    assert_int_equal(xbl_mpsd_set_transfer_handle_async(&hf.client, ref, lobby(), &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_set_transfer_handle_async(&hf.client, lobby(), ref, &hf.async), XBL_MPSD_E_INVALIDARG);
    ref = lobby();
    assert_int_equal(xbl_mpsd_send_invites_async(NULL, &ref, &one, 1, 1, NULL, NULL, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_send_invites_async(&hf.client, &ref, &one, 1, 1, NULL, NULL, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_send_invites_async(&hf.client, &ref, &one, 1, 1, NULL, "\xff", &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_send_invites_result_count(NULL, &n), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_send_invites_result_count(&hf.async, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_send_invites_result(NULL, 0, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_for_users_result_count(NULL, &n), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_for_users_result_count(&hf.async, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_for_users_result(NULL, 1, &a), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_users_result_size(NULL, &n), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_users_result_size(&hf.async, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_users_result(NULL, 0, NULL, &arr, &n, NULL),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_users_result(&hf.async, 0, NULL, &arr, NULL, NULL),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(hf.mock.sent_len, 0);
    /* the async busy: each call answers E_UNEXPECTED */
    assert_int_equal(xbl_mpsd_set_activity_async(&hf.client, &ref, &hf.async), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_activities_for_users_async(&hf.client, HF_SCID, &one, 1, &hf.async), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_get_activities_for_social_group_async(&hf.client, HF_SCID, 7, "people", &hf.async),
                     XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_set_transfer_handle_async(&hf.client, ref, ref, &hf.async), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_send_invites_async(&hf.client, &ref, &one, 1, 1, NULL, NULL, &hf.async), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_clear_activity_async(&hf.client, HF_SCID, &hf.async), XBL_MPSD_E_UNEXPECTED);
    xbl_mpsd_async_cancel(&hf.async);
}

/* Handle IDs that would change the DELETE's path are refused. */
static void test_clear_activity_refuses_unsafe_ids(void **state)
{
    static const char *const ids[] = { "a?b", "a#b", "a%b", "a~b", "a b", "a\\u00e9b", "a\\u007fb" };
    size_t i;
    char body[512];
    (void)state;
    for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        mock_reset_traffic(&hf.mock);
        snprintf(body, sizeof body, "{\"results\":[{\"type\":\"activity\",\"id\":\"%s\"}]}", ids[i]);
        hf_reply("200 OK", body);
        assert_int_equal(xbl_mpsd_clear_activity_async(&hf.client, HF_SCID, &hf.async), XBL_MPSD_OK);
        assert_int_equal(hf_run(), XBL_MPSD_E_INVALID_JSON_STRING);
        assert_null(strstr(hf_sent(), "DELETE"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_set_activity_request_bytes_and_outcome, hf_setup),
        cmocka_unit_test_setup(test_set_activity_refusals, hf_setup),
        cmocka_unit_test_setup(test_set_activity_http_error_keeps_reason, hf_setup),
        cmocka_unit_test_setup(test_clear_activity_queries_then_deletes, hf_setup),
        cmocka_unit_test_setup(test_clear_activity_none_or_several_sends_no_delete, hf_setup),
        cmocka_unit_test_setup(test_clear_activity_failures, hf_setup),
        cmocka_unit_test_setup(test_clear_activity_each_exchange_has_its_own_deadline, hf_setup),
        cmocka_unit_test_setup(test_transfer_handle_bytes_and_result, hf_setup),
        cmocka_unit_test_setup(test_transfer_handle_bodies, hf_setup),
        cmocka_unit_test_setup(test_result_calls_refuse_other_kinds, hf_setup),
        cmocka_unit_test_setup(test_invites_one_post_per_xuid_in_order, hf_setup),
        cmocka_unit_test_setup(test_invites_optional_attributes_left_out, hf_setup),
        cmocka_unit_test_setup(test_invites_all_failed_gives_the_first_failure, hf_setup),
        cmocka_unit_test_setup(test_creating_posts_are_never_resent, hf_setup),
        cmocka_unit_test_setup(test_clear_activity_resent_delete_404_is_success, hf_setup),
        cmocka_unit_test_setup(test_invites_arguments_and_buffer_need, hf_setup),
        cmocka_unit_test_setup(test_activities_for_users_request_and_plain_result, hf_setup),
        cmocka_unit_test_setup(test_activities_with_properties_layout, hf_setup),
        cmocka_unit_test_setup(test_activities_for_social_group_plain, hf_setup),
        cmocka_unit_test_setup(test_activities_with_properties_discard_and_empty, hf_setup),
        cmocka_unit_test_setup(test_activity_list_bodies, hf_setup),
        cmocka_unit_test_setup(test_activities_split_at_every_byte, hf_setup),
        cmocka_unit_test_setup(test_activities_arguments, hf_setup),
        cmocka_unit_test_setup(test_activities_response_too_big_for_the_buffer, hf_setup),
        cmocka_unit_test_setup(test_every_call_refuses_null_and_busy, hf_setup),
        cmocka_unit_test_setup(test_clear_activity_refuses_unsafe_ids, hf_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
