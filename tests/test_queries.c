/* Session queries against the scripted port: the GET and batch requests
   with every query parameter, the keyword's percent-encoding, every
   argument refusal, the result rules, the list's body rules with a body
   that breaks each, exact parsed fields, and a split at every byte. */
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

#define X2 2814600000000002ULL
#define X3 2814600000000003ULL
#define RESULT1 "{\"xuid\":\"2814600000000002\",\"startTime\":\"2025-04-02T18:02:11.5120000Z\"," \
    "\"sessionRef\":{\"scid\":\"" HF_SCID "\",\"templateName\":\"coop-lobby\",\"name\":\"night-raid-0042\"}," \
    "\"accepted\":3,\"status\":\"inactive\",\"visibility\":\"open\",\"joinRestriction\":\"followed\"," \
    "\"myTurn\":true,\"keywords\":[\"raid\",\"hard\"]}"
#define RESULT2 "{\"sessionRef\":{\"scid\":\"" HF_SCID "\",\"templateName\":\"t2\",\"name\":\"n2\"}," \
    "\"status\":\"RESERVED\",\"visibility\":\"Full\",\"joinRestriction\":\"local\",\"keywords\":5}"
#define T_2025_04_02_18_02_11 ((time_t)1743616931)

static char g_expect[16384];

static xbl_mpsd_session_query base_query(void)
{
    xbl_mpsd_session_query q;
    memset(&q, 0, sizeof q);
    strcpy(q.scid, HF_SCID);
    q.visibility_filter = XBL_MPSD_SESSION_VISIBILITY_ANY;
    return q;
}

static const char *get_req(const char *path)
{
    snprintf(g_expect, sizeof g_expect, "GET %s HTTP/1.1\r\n" HF_HEAD HF_TAIL, path);
    return g_expect;
}

static xbl_mpsd_result run_query(const xbl_mpsd_session_query *q, const char *body)
{
    size_t n;
    (void)xbl_mpsd_query_sessions_result_count(&hf.async, &n);   /* takes a failure left over */
    mock_reset_traffic(&hf.mock);
    hf_reply("200 OK", body);
    assert_int_equal(xbl_mpsd_query_sessions_async(&hf.client, q, &hf.async), XBL_MPSD_OK);
    return hf_run();
}

static void test_get_request_with_every_parameter(void **state)
{
    static const uint64_t one = X2;
    xbl_mpsd_session_query q = base_query();
    (void)state;
    strcpy(q.session_template_name_filter, "coop-lobby");
    q.xuid_filters = &one;
    q.xuid_filters_count = 1;
    q.keyword_filter = "a b&c=d+e/~x";
    q.visibility_filter = XBL_MPSD_SESSION_VISIBILITY_OPEN;
    q.contract_version_filter = 7;
    q.include_private_sessions = q.include_reservations = q.include_inactive_sessions = true;
    q.max_items = 20;
    assert_int_equal(run_query(&q, "{\"results\":[]}"), XBL_MPSD_OK);
    assert_string_equal(hf_sent(), get_req("/serviceconfigs/" HF_SCID "/sessiontemplates/coop-lobby/sessions"
        "?xuid=2814600000000002&keyword=a%20b%26c%3Dd%2Be%2F~x&visibility=open&version=7&private=true"
        "&reservations=true&inactive=true&take=20"));
    assert_int_equal(xbl_mpsd_query_sessions_result(&hf.async, 0, NULL), XBL_MPSD_OK);
    /* keyword only, at SCID level */
    q = base_query();
    q.keyword_filter = "raid";
    assert_int_equal(run_query(&q, "{\"results\":[]}"), XBL_MPSD_OK);
    assert_string_equal(hf_sent(), get_req("/serviceconfigs/" HF_SCID "/sessions?keyword=raid"));
    assert_int_equal(xbl_mpsd_query_sessions_result(&hf.async, 0, NULL), XBL_MPSD_OK);
}

static void test_batch_request(void **state)
{
    static const uint64_t two[2] = { X3, X2 };
    static const char body[] = "{\"xuids\":[\"2814600000000003\",\"2814600000000002\"]}";
    xbl_mpsd_session_query q = base_query();
    (void)state;
    strcpy(q.session_template_name_filter, "coop-lobby");
    q.xuid_filters = two;
    q.xuid_filters_count = 2;
    q.visibility_filter = XBL_MPSD_SESSION_VISIBILITY_PRIVATE_SESSION;
    assert_int_equal(run_query(&q, "{\"results\":[]}"), XBL_MPSD_OK);
    snprintf(g_expect, sizeof g_expect, "POST /serviceconfigs/" HF_SCID "/sessiontemplates/coop-lobby/batch"
             "?visibility=private HTTP/1.1\r\n" HF_HEAD "Content-Length: %zu\r\n" HF_TAIL "%s", strlen(body), body);
    assert_string_equal(hf_sent(), g_expect);
}

/* Every unreserved character passes unencoded (RFC 3986 section 2.3);
   upper-case hex for the rest. */
static void test_keyword_unreserved_characters(void **state)
{
    xbl_mpsd_session_query q = base_query();
    size_t n = 9;
    (void)state;
    q.keyword_filter = "AZaz09-._~\x01\xc3\xa9";
    assert_int_equal(run_query(&q, "{\"results\":[]}"), XBL_MPSD_OK);
    assert_string_equal(hf_sent(), get_req("/serviceconfigs/" HF_SCID "/sessions?keyword=AZaz09-._~%01%C3%A9"));
    assert_int_equal(xbl_mpsd_query_sessions_result_count(NULL, &n), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_query_sessions_result_count(&hf.async, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_query_sessions_result(NULL, 0, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_query_sessions_async(NULL, &q, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_query_sessions_async(&hf.client, NULL, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_query_sessions_async(&hf.client, &q, NULL), XBL_MPSD_E_INVALIDARG);
    /* the result not taken yet: the async is busy */
    assert_int_equal(xbl_mpsd_query_sessions_async(&hf.client, &q, &hf.async), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_query_sessions_result_count(&hf.async, &n), XBL_MPSD_OK);
    assert_int_equal(n, 0);
}

static void test_refusals(void **state)
{
    static const uint64_t zero = 0, one = X2;
    xbl_mpsd_session_query q;
    char long_keyword[600];
    (void)state;
#define REFUSED(edit) do { q = base_query(); q.keyword_filter = "k"; edit; \
        assert_int_equal(xbl_mpsd_query_sessions_async(&hf.client, &q, &hf.async), XBL_MPSD_E_INVALIDARG); } while (0)
    REFUSED(q.scid[0] = '\0');
    REFUSED(memset(q.scid, 'a', sizeof q.scid));
    REFUSED(strcpy(q.scid, "a/b"));
    REFUSED(strcpy(q.session_template_name_filter, "a b"));
    REFUSED(memset(q.session_template_name_filter, 'a', sizeof q.session_template_name_filter));
    REFUSED(q.xuid_filters_count = 1);
    REFUSED((q.xuid_filters = &zero, q.xuid_filters_count = 1));
    REFUSED(q.keyword_filter = NULL);
    REFUSED(q.keyword_filter = "");
    REFUSED(q.include_reservations = true);
    REFUSED(q.include_inactive_sessions = true);
    REFUSED(q.visibility_filter = XBL_MPSD_SESSION_VISIBILITY_UNKNOWN);
    REFUSED(q.visibility_filter = (xbl_mpsd_session_visibility)6);
    REFUSED(q.keyword_filter = "\xff");
    memset(long_keyword, '&', sizeof long_keyword - 1);
    long_keyword[sizeof long_keyword - 1] = '\0';
    REFUSED(q.keyword_filter = long_keyword);
#undef REFUSED
    q = base_query();
    q.xuid_filters = &one;
    q.xuid_filters_count = 1;
    assert_int_equal(xbl_mpsd_query_sessions_async(NULL, &q, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_query_sessions_async(&hf.client, NULL, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_query_sessions_async(&hf.client, &q, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(hf.mock.sent_len, 0);
    /* reservations with a XUID filter and no keyword are fine */
    q.include_reservations = true;
    assert_int_equal(run_query(&q, "{\"results\":[]}"), XBL_MPSD_OK);
}

static void test_results_parsed(void **state)
{
    static const uint64_t one = X2;
    xbl_mpsd_session_query q = base_query();
    xbl_mpsd_session_query_result r[3], keep[3];
    size_t count = 0;
    (void)state;
    q.xuid_filters = &one;
    q.xuid_filters_count = 1;
    assert_int_equal(run_query(&q, "{\"results\":[" RESULT1 "," RESULT2 "]}"), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_query_sessions_result_count(&hf.async, &count), XBL_MPSD_OK);
    assert_int_equal(count, 2);
    memset(r, 0x5A, sizeof r);
    memcpy(keep, r, sizeof r);
    assert_int_equal(xbl_mpsd_query_sessions_result(&hf.async, 1, r), XBL_MPSD_E_OUTOFMEMORY);
    assert_memory_equal(r, keep, sizeof r);
    assert_int_equal(xbl_mpsd_query_sessions_result(&hf.async, 3, r), XBL_MPSD_OK);
    assert_true(r[0].xuid == X2);
    assert_int_equal(r[0].start_time, T_2025_04_02_18_02_11);
    assert_string_equal(r[0].session_reference.scid, HF_SCID);
    assert_string_equal(r[0].session_reference.session_template_name, "coop-lobby");
    assert_string_equal(r[0].session_reference.session_name, "night-raid-0042");
    assert_int_equal(r[0].accepted_member_count, 3);
    assert_int_equal(r[0].status, XBL_MPSD_SESSION_STATUS_INACTIVE);
    assert_int_equal(r[0].visibility, XBL_MPSD_SESSION_VISIBILITY_OPEN);
    assert_int_equal(r[0].join_restriction, XBL_MPSD_SESSION_RESTRICTION_FOLLOWED);
    assert_true(r[0].is_my_turn);
    assert_true(r[1].xuid == 0);
    assert_int_equal(r[1].start_time, 0);
    assert_int_equal(r[1].accepted_member_count, 0);
    assert_int_equal(r[1].status, XBL_MPSD_SESSION_STATUS_RESERVED);
    assert_int_equal(r[1].visibility, XBL_MPSD_SESSION_VISIBILITY_FULL);
    assert_int_equal(r[1].join_restriction, XBL_MPSD_SESSION_RESTRICTION_LOCAL);
    assert_false(r[1].is_my_turn);
    assert_string_equal(r[1].session_reference.session_name, "n2");
    assert_memory_equal(&r[2], &keep[2], sizeof r[2]);
    assert_int_equal(xbl_mpsd_query_sessions_result(&hf.async, 3, r), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_query_sessions_result_count(&hf.async, &count), XBL_MPSD_E_UNEXPECTED);
    /* unknown and null strings read as absent */
    assert_int_equal(run_query(&q, "{\"results\":[{\"status\":\"away\",\"visibility\":null,\"xuid\":null,"
                     "\"startTime\":null,\"sessionRef\":null}],\"more\":{}}"), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_query_sessions_result(&hf.async, 1, r), XBL_MPSD_OK);
    assert_int_equal(r[0].status, XBL_MPSD_SESSION_STATUS_UNKNOWN);
    assert_int_equal(r[0].visibility, XBL_MPSD_SESSION_VISIBILITY_UNKNOWN);
    assert_string_equal(r[0].session_reference.scid, "");
}

static void test_invalid_lists(void **state)
{
    static const uint64_t one = X2;
    static const char *const bad[] = {
        "", "{}", "[]", "{\"results\":{}}", "{\"results\":null}", "{\"results\":[1]}", "{\"results\":[]} 1",
        "{\"results\":[],\"results\":[]}",
        "{\"results\":[{\"accepted\":\"3\"}]}", "{\"results\":[{\"accepted\":-3}]}",
        "{\"results\":[{\"accepted\":4294967296}]}", "{\"results\":[{\"myTurn\":\"true\"}]}",
        "{\"results\":[{\"myTurn\":null}]}", "{\"results\":[{\"xuid\":\"12a\"}]}", "{\"results\":[{\"xuid\":2}]}",
        "{\"results\":[{\"startTime\":\"yesterday\"}]}", "{\"results\":[{\"status\":5}]}",
        "{\"results\":[{\"sessionRef\":[]}]}",
        "{\"results\":[{\"sessionRef\":{\"name\":\"" "0123456789012345678901234567890123456789012345678901234567890123456789"
        "012345678901234567890123456789\"}}]}",
    };
    xbl_mpsd_session_query q = base_query();
    size_t i, n;
    (void)state;
    q.xuid_filters = &one;
    q.xuid_filters_count = 1;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(run_query(&q, bad[i]), XBL_MPSD_E_INVALID_JSON_STRING);
        assert_int_equal(xbl_mpsd_query_sessions_result_count(&hf.async, &n), XBL_MPSD_E_INVALID_JSON_STRING);
    }
    /* a failure status; another kind */
    (void)xbl_mpsd_query_sessions_result_count(&hf.async, &n);
    mock_reset_traffic(&hf.mock);
    hf_reply("403 Forbidden", "");
    assert_int_equal(xbl_mpsd_query_sessions_async(&hf.client, &q, &hf.async), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_query_sessions_result_count(&hf.async, &n), XBL_MPSD_PENDING);
    assert_int_equal(hf_run(), XBL_MPSD_E_HTTP_STATUS(403));
    assert_int_equal(xbl_mpsd_get_search_handles_result_count(&hf.async, &n), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_query_sessions_result(&hf.async, 0, NULL), XBL_MPSD_E_HTTP_STATUS(403));
    assert_int_equal(xbl_mpsd_query_sessions_result(&hf.async, 0, NULL), XBL_MPSD_E_UNEXPECTED);
}

static void test_split_at_every_byte(void **state)
{
    static const uint64_t one = X2;
    static const char body[] = "{\"results\":[" RESULT1 "," RESULT2 "]}";
    xbl_mpsd_session_query q = base_query();
    xbl_mpsd_session_query_result r[2];
    size_t len, cut;
    (void)state;
    q.xuid_filters = &one;
    q.xuid_filters_count = 1;
    len = hf_reply_split(body, 0);
    for (cut = 1; cut < len; cut++) {
        mock_reset_traffic(&hf.mock);
        hf_reply_split(body, cut);
        assert_int_equal(xbl_mpsd_query_sessions_async(&hf.client, &q, &hf.async), XBL_MPSD_OK);
        assert_int_equal(hf_run(), XBL_MPSD_OK);
        assert_int_equal(xbl_mpsd_query_sessions_result(&hf.async, 2, r), XBL_MPSD_OK);
        assert_int_equal(r[0].accepted_member_count, 3);
        assert_string_equal(r[1].session_reference.session_name, "n2");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_get_request_with_every_parameter, hf_setup),
        cmocka_unit_test_setup(test_batch_request, hf_setup),
        cmocka_unit_test_setup(test_keyword_unreserved_characters, hf_setup),
        cmocka_unit_test_setup(test_refusals, hf_setup),
        cmocka_unit_test_setup(test_results_parsed, hf_setup),
        cmocka_unit_test_setup(test_invalid_lists, hf_setup),
        cmocka_unit_test_setup(test_split_at_every_byte, hf_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
