/* Search handles against the scripted port: exact request bytes of create,
   delete and query, every argument refusal, the result rules (idle, other
   kind, pending, consumed, failed, storage too small), the valid-body rules
   of a search handle document with a body that breaks each, exact parsed
   fields through the getters, copy and clear, and a response split at
   every byte. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "mock_port.h"
#include "test_auth.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "handles_fixture.h"

#define ID1 "e7b2a9c4-1f30-4d5e-8a6b-7c8d9e0f1a2b"
#define ID2 "0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e"
#define REF_JSON "{\"scid\":\"" HF_SCID "\",\"templateName\":\"arena-4v4\",\"name\":\"match-77\"}"
#define HANDLE(id) "{\"id\":\"" id "\",\"type\":\"search\",\"version\":1," \
    "\"createTime\":\"2025-04-02T18:30:00.0000000Z\",\"sessionRef\":" REF_JSON "," \
    "\"searchAttributes\":{\"tags\":[\"casual\",\"voicechat\"],\"numbers\":{\"minlevel\":12,\"ratio\":0.75}," \
    "\"strings\":{\"map\":\"harbor\"}},\"customProperties\":{\"round\":2}," \
    "\"relatedInfo\":{\"visibility\":\"open\",\"joinRestriction\":\"none\",\"closed\":false," \
    "\"maxMembersCount\":8,\"membersCount\":5,\"sessionOwners\":[\"2814600000000001\"]}," \
    "\"roleInfo\":{\"roleTypes\":{\"squad\":{\"roles\":{\"medic\":{\"count\":2,\"target\":2,\"max\":3," \
    "\"memberXuids\":[\"2814600000000003\"]}}}}}}"
#define QUERY_LINE "POST /handles/query?include=relatedInfo,roleInfo,customProperties HTTP/1.1\r\n"
#define T_2025_04_02_18_30_00 ((time_t)1743618600)

static char g_expect[16384];
static union { unsigned char b[16384]; uint64_t u; } g_buf, g_buf2;

static const char *post(const char *line, const char *body)
{
    snprintf(g_expect, sizeof g_expect, "%s" HF_HEAD "Content-Length: %zu\r\n" HF_TAIL "%s", line, strlen(body), body);
    return g_expect;
}

static xbl_mpsd_session_reference arena_ref(void)
{
    return xbl_mpsd_session_reference_create(HF_SCID, "arena-4v4", "match-77");
}

static xbl_mpsd_result create_with_body(const char *status, const char *body)
{
    xbl_mpsd_session_reference ref = arena_ref();
    mock_reset_traffic(&hf.mock);
    hf_reply(status, body);
    assert_int_equal(xbl_mpsd_create_search_handle_async(&hf.client, &ref, NULL, 0, NULL, 0, NULL, 0, &hf.async),
                     XBL_MPSD_OK);
    return hf_run();
}

static xbl_mpsd_result query_with_body(const char *body)
{
    size_t n;
    (void)xbl_mpsd_get_search_handles_result_count(&hf.async, &n);   /* takes a failure left over */
    mock_reset_traffic(&hf.mock);
    hf_reply("200 OK", body);
    assert_int_equal(xbl_mpsd_get_search_handles_async(&hf.client, HF_SCID, "arena-4v4", NULL, false, NULL, NULL,
                     &hf.async), XBL_MPSD_OK);
    return hf_run();
}

/* Every field of HANDLE(id) through the getters. */
static void check_handle(const xbl_mpsd_search_handle *h, const char *id)
{
    xbl_mpsd_session_reference ref;
    const char *s;
    const uint64_t *xuids;
    const xbl_mpsd_session_tag *tags;
    const xbl_mpsd_session_string_attribute *strs;
    const xbl_mpsd_session_number_attribute *nums;
    const xbl_mpsd_role_type *types;
    xbl_mpsd_session_visibility vis;
    xbl_mpsd_session_restriction jr;
    bool closed = true;
    size_t n, max, cur;
    time_t t;
    assert_int_equal(xbl_mpsd_search_handle_get_id(h, &s), XBL_MPSD_OK);
    assert_string_equal(s, id);
    assert_int_equal(xbl_mpsd_search_handle_get_session_reference(h, &ref), XBL_MPSD_OK);
    assert_string_equal(ref.scid, HF_SCID);
    assert_string_equal(ref.session_template_name, "arena-4v4");
    assert_string_equal(ref.session_name, "match-77");
    assert_int_equal(xbl_mpsd_search_handle_get_tags(h, &tags, &n), XBL_MPSD_OK);
    assert_int_equal(n, 2);
    assert_string_equal(tags[0].value, "casual");
    assert_string_equal(tags[1].value, "voicechat");
    assert_int_equal(xbl_mpsd_search_handle_get_number_attributes(h, &nums, &n), XBL_MPSD_OK);
    assert_int_equal(n, 2);
    assert_string_equal(nums[0].name, "minlevel");
    assert_true(nums[0].value == 12.0);
    assert_string_equal(nums[1].name, "ratio");
    assert_true(nums[1].value == 0.75);
    assert_int_equal(xbl_mpsd_search_handle_get_string_attributes(h, &strs, &n), XBL_MPSD_OK);
    assert_int_equal(n, 1);
    assert_string_equal(strs[0].name, "map");
    assert_string_equal(strs[0].value, "harbor");
    assert_int_equal(xbl_mpsd_search_handle_get_custom_session_properties_json(h, &s), XBL_MPSD_OK);
    assert_string_equal(s, "{\"round\":2}");
    assert_int_equal(xbl_mpsd_search_handle_get_visibility(h, &vis), XBL_MPSD_OK);
    assert_int_equal(vis, XBL_MPSD_SESSION_VISIBILITY_OPEN);
    assert_int_equal(xbl_mpsd_search_handle_get_join_restriction(h, &jr), XBL_MPSD_OK);
    assert_int_equal(jr, XBL_MPSD_SESSION_RESTRICTION_NONE);
    assert_int_equal(xbl_mpsd_search_handle_get_session_closed(h, &closed), XBL_MPSD_OK);
    assert_false(closed);
    assert_int_equal(xbl_mpsd_search_handle_get_member_counts(h, &max, &cur), XBL_MPSD_OK);
    assert_int_equal(max, 8);
    assert_int_equal(cur, 5);
    assert_int_equal(xbl_mpsd_search_handle_get_member_counts(h, NULL, NULL), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_search_handle_get_creation_time(h, &t), XBL_MPSD_OK);
    assert_int_equal(t, T_2025_04_02_18_30_00);
    assert_int_equal(xbl_mpsd_search_handle_get_session_owner_xuids(h, &xuids, &n), XBL_MPSD_OK);
    assert_int_equal(n, 1);
    assert_true(xuids[0] == 2814600000000001ULL);
    assert_int_equal(xbl_mpsd_search_handle_get_role_types(h, &types, &n), XBL_MPSD_OK);
    assert_int_equal(n, 1);
    assert_string_equal(types[0].name, "squad");
    assert_int_equal(types[0].role_count, 1);
    assert_string_equal(types[0].roles[0].name, "medic");
    assert_ptr_equal(types[0].roles[0].role_type, &types[0]);
    assert_int_equal(types[0].roles[0].member_count, 2);   /* fewer XUIDs than the count: accepted */
    assert_int_equal(types[0].roles[0].target_count, 2);
    assert_int_equal(types[0].roles[0].max_member_count, 3);
    assert_null(types[0].roles[0].member_xuids);
}

/* ---- create ---- */

static void test_create_request_bytes_and_result(void **state)
{
    xbl_mpsd_session_reference ref = arena_ref();
    xbl_mpsd_session_tag tags[2] = { { "casual" }, { "voice\"chat" } };
    xbl_mpsd_session_number_attribute nums[3] = { { "minlevel", 12 }, { "ratio", 0.75 }, { "neg", -1.5e-3 } };
    xbl_mpsd_session_string_attribute strs[1] = { { "map", "harbor" } };
    xbl_mpsd_search_handle h;
    size_t size = 0, used = 0;
    const char *body = "{\"type\":\"search\",\"version\":1,\"sessionRef\":" REF_JSON ",\"searchAttributes\":"
                       "{\"tags\":[\"casual\",\"voice\\\"chat\"],\"numbers\":{\"minlevel\":12,\"ratio\":0.75,"
                       "\"neg\":-0.0015},\"strings\":{\"map\":\"harbor\"}}}";
    (void)state;
    hf_reply("201 Created", HANDLE(ID1));
    assert_int_equal(xbl_mpsd_create_search_handle_async(&hf.client, &ref, tags, 2, nums, 3, strs, 1, &hf.async),
                     XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_create_search_handle_result_size(&hf.async, &size), XBL_MPSD_PENDING);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    assert_string_equal(hf_sent(), post("POST /handles HTTP/1.1\r\n", body));
    assert_int_equal(xbl_mpsd_create_search_handle_result_size(&hf.async, &size), XBL_MPSD_OK);
    assert_true(size > 0);
    memset(&h, 0x5A, sizeof h);
    assert_int_equal(xbl_mpsd_create_search_handle_result(&hf.async, &h, g_buf.b + 3, size, &used), XBL_MPSD_OK);
    assert_true(used <= size);
    check_handle(&h, ID1);
    assert_int_equal(xbl_mpsd_create_search_handle_result(&hf.async, &h, g_buf.b, size, &used), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_create_search_handle_result_size(&hf.async, &size), XBL_MPSD_E_UNEXPECTED);
}

static void test_create_no_attributes_sends_none(void **state)
{
    xbl_mpsd_session_reference ref = arena_ref();
    (void)state;
    hf_reply("201 Created", "{\"type\":\"search\"}");
    assert_int_equal(xbl_mpsd_create_search_handle_async(&hf.client, &ref, NULL, 0, NULL, 0, NULL, 0, &hf.async),
                     XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    assert_string_equal(hf_sent(), post("POST /handles HTTP/1.1\r\n",
                        "{\"type\":\"search\",\"version\":1,\"sessionRef\":" REF_JSON "}"));
}

static void test_create_refusals(void **state)
{
    xbl_mpsd_session_reference ref = arena_ref(), bad = arena_ref();
    xbl_mpsd_session_tag tag = { "casual" }, empty = { "" }, unterminated;
    xbl_mpsd_session_number_attribute nums[2] = { { "a", 1 }, { "a", 2 } }, inf = { "x", 0 };
    xbl_mpsd_session_string_attribute strs[2] = { { "m", "x" }, { "m", "y" } }, noname = { "", "v" };
    double zero = 0.0;
    (void)state;
    memset(unterminated.value, 'a', sizeof unterminated.value);
    inf.value = 1.0 / zero;
    bad.scid[0] = '\0';
#define CREATE(r, t, tn, n, nn, s, sn) xbl_mpsd_create_search_handle_async(&hf.client, r, t, tn, n, nn, s, sn, &hf.async)
    assert_int_equal(CREATE(&bad, NULL, 0, NULL, 0, NULL, 0), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(CREATE(NULL, NULL, 0, NULL, 0, NULL, 0), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(CREATE(&ref, NULL, 1, NULL, 0, NULL, 0), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(CREATE(&ref, NULL, 0, NULL, 1, NULL, 0), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(CREATE(&ref, NULL, 0, NULL, 0, NULL, 1), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(CREATE(&ref, &empty, 1, NULL, 0, NULL, 0), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(CREATE(&ref, &unterminated, 1, NULL, 0, NULL, 0), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(CREATE(&ref, &tag, 1, nums, 2, NULL, 0), XBL_MPSD_E_INVALIDARG);   /* duplicate name */
    assert_int_equal(CREATE(&ref, &tag, 1, &inf, 1, NULL, 0), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(CREATE(&ref, &tag, 1, NULL, 0, strs, 2), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(CREATE(&ref, &tag, 1, NULL, 0, &noname, 1), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_create_search_handle_async(NULL, &ref, NULL, 0, NULL, 0, NULL, 0, &hf.async),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_create_search_handle_async(&hf.client, &ref, NULL, 0, NULL, 0, NULL, 0, NULL),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(hf.mock.sent_len, 0);
    /* the first of a pair is fine alone */
    assert_int_equal(CREATE(&ref, &tag, 1, nums, 1, strs, 1), XBL_MPSD_OK);
    assert_int_equal(CREATE(&ref, &tag, 1, nums, 1, strs, 1), XBL_MPSD_E_UNEXPECTED);
    xbl_mpsd_async_cancel(&hf.async);
#undef CREATE
}

/* Numbers that are exact decimals are written as such; others read back. */
static void test_create_number_text(void **state)
{
    static const double v[] = { 0.0, 1.0, -7.0, 0.5, 123.456, 1e-5, 9007199254740991.0, 1e300, 1.0 / 3.0 };
    static const char *const text[] = { "0", "1", "-7", "0.5", "123.456", "0.00001", "9007199254740991", NULL, NULL };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        char out[32];
        double back = 0;
        size_t n = xbl_mpsd__double_text(v[i], out);
        out[n] = '\0';
        if (text[i]) assert_string_equal(out, text[i]);
        assert_true(xbl_mpsd__parse_double(out, n, &back));
        assert_true(back / v[i] > 1 - 1e-15 || v[i] == 0.0);
        assert_true(back / v[i] < 1 + 1e-15 || v[i] == 0.0);
    }
}

/* Every finite double reads back exactly through an independent reader
   (libc's strtod): the extremes, doubles with no short decimal form, and
   200,000 bit patterns. Where no decimal of at most 17 digits is exact the
   text is the 17 correctly rounded digits, trailing zeros dropped. */
static void test_number_text_round_trips(void **state)
{
    static const double v[] = { 4.9406564584124654e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
                                1.0 / 3.0, 1e23, -6.02214076e23, 123456789012345678.0, 9007199254740994.0 };
    static const char *const text[] = { "49406564584124654e-340", "22250738585072014e-324",
                                        "17976931348623157e292", "0.3333333333333333", "99999999999999992e6",
                                        "-60221407599999999e7", "12345678901234568e1", "9007199254740994" };
    uint64_t x = 88172645463325252ULL;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        char out[32];
        out[xbl_mpsd__double_text(v[i], out)] = '\0';
        assert_string_equal(out, text[i]);
        assert_true(strtod(out, NULL) == v[i]);
    }
    for (i = 0; i < 200000; i++) {
        char out[32];
        double d;
        size_t n;
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        memcpy(&d, &x, sizeof d);
        if (d != d || d - d != 0.0) continue;   /* NaN, infinities */
        n = xbl_mpsd__double_text(d, out);
        assert_true(n <= 24);
        out[n] = '\0';
        assert_true(strtod(out, NULL) == d);
    }
}

/* ---- result rules ---- */

static void test_result_rules(void **state)
{
    xbl_mpsd_search_handle h;
    size_t size = 7, used = 99, count = 5;
    xbl_mpsd_async idle;
    (void)state;
    assert_int_equal(xbl_mpsd_async_init(&idle, g_buf2.b, sizeof g_buf2.b), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_create_search_handle_result_size(NULL, &size), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_create_search_handle_result_size(&idle, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_create_search_handle_result_size(&idle, &size), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_get_search_handles_result_count(&idle, &count), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_get_search_handles_result(&idle, &h, 1, NULL, 5, &used), XBL_MPSD_E_INVALIDARG);
    /* another kind */
    assert_int_equal(create_with_body("201 Created", HANDLE(ID1)), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_search_handles_result_count(&hf.async, &count), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_search_handles_result_size(&hf.async, &size), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_query_sessions_result_count(&hf.async, &count), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(count, 5);
    /* too small: not consumed, need reported, outputs untouched */
    assert_int_equal(xbl_mpsd_create_search_handle_result_size(&hf.async, &size), XBL_MPSD_OK);
    memset(&h, 0x5A, sizeof h);
    memset(g_buf.b, 0xEE, sizeof g_buf.b);
    assert_int_equal(xbl_mpsd_create_search_handle_result(&hf.async, &h, g_buf.b, size - 1, &used),
                     XBL_MPSD_E_OUTOFMEMORY);
    assert_int_equal(used, size);
    {
        size_t i;
        const unsigned char *p = (const unsigned char *)&h;
        for (i = 0; i < sizeof h; i++) assert_int_equal(p[i], 0x5A);
        for (i = 0; i < sizeof g_buf.b; i++) assert_int_equal(g_buf.b[i], 0xEE);
    }
    assert_int_equal(xbl_mpsd_create_search_handle_result(&hf.async, &h, g_buf.b, size, &used), XBL_MPSD_OK);
    /* the size fits at every alignment; nothing past buffer_used is written */
    {
        size_t off;
        for (off = 0; off < 8; off++) {
            size_t i;
            memset(g_buf.b, 0xEE, sizeof g_buf.b);
            assert_int_equal(create_with_body("201 Created", HANDLE(ID1)), XBL_MPSD_OK);
            assert_int_equal(xbl_mpsd_create_search_handle_result(&hf.async, &h, g_buf.b + off, size, &used),
                             XBL_MPSD_OK);
            check_handle(&h, ID1);
            for (i = off + used; i < sizeof g_buf.b; i++) assert_int_equal(g_buf.b[i], 0xEE);
        }
    }
    /* NULL handle discards */
    assert_int_equal(create_with_body("201 Created", HANDLE(ID1)), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_create_search_handle_result(&hf.async, NULL, NULL, 0, NULL), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_create_search_handle_result(&hf.async, NULL, NULL, 0, NULL), XBL_MPSD_E_UNEXPECTED);
    /* a failure is returned once, then consumed */
    assert_int_equal(create_with_body("409 Conflict", ""), XBL_MPSD_E_HTTP_STATUS(409));
    assert_int_equal(xbl_mpsd_create_search_handle_result_size(&hf.async, &size), XBL_MPSD_E_HTTP_STATUS(409));
    assert_int_equal(xbl_mpsd_create_search_handle_result_size(&hf.async, &size), XBL_MPSD_E_UNEXPECTED);
}

/* ---- §C body rules ---- */

static void test_invalid_handle_bodies(void **state)
{
    static const char *const bad[] = {
        "", "[]", "{", "{\"type\":\"search\"} x", "{}", "{\"type\":null}", "{\"type\":5}", "{\"type\":\"activity\"}",
        "{\"type\":\"search\",\"id\":\"0123456789012345678901234567890123456789\"}",
        "{\"type\":\"search\",\"id\":5}",
        "{\"type\":\"search\",\"createTime\":\"2025-13-02T18:30:00Z\"}",
        "{\"type\":\"search\",\"sessionRef\":5}",
        "{\"type\":\"search\",\"sessionRef\":{\"scid\":\"0123456789012345678901234567890123456789\"}}",
        "{\"type\":\"search\",\"searchAttributes\":5}",
        "{\"type\":\"search\",\"searchAttributes\":{\"tags\":\"casual\"}}",
        "{\"type\":\"search\",\"searchAttributes\":{\"tags\":[5]}}",
        "{\"type\":\"search\",\"searchAttributes\":{\"strings\":{\"map\":5}}}",
        "{\"type\":\"search\",\"searchAttributes\":{\"strings\":[]}}",
        "{\"type\":\"search\",\"searchAttributes\":{\"numbers\":{\"n\":\"5\"}}}",
        "{\"type\":\"search\",\"searchAttributes\":{\"numbers\":{\"n\":1e999}}}",
        "{\"type\":\"search\",\"searchAttributes\":{\"numbers\":{\"n\":null}}}",
        "{\"type\":\"search\",\"relatedInfo\":{\"membersCount\":1}}",
        "{\"type\":\"search\",\"relatedInfo\":{\"maxMembersCount\":1}}",
        "{\"type\":\"search\",\"relatedInfo\":{\"membersCount\":1.5,\"maxMembersCount\":2}}",
        "{\"type\":\"search\",\"relatedInfo\":{\"membersCount\":-1,\"maxMembersCount\":2}}",
        "{\"type\":\"search\",\"relatedInfo\":{\"membersCount\":1,\"maxMembersCount\":2,\"closed\":\"no\"}}",
        "{\"type\":\"search\",\"relatedInfo\":{\"membersCount\":1,\"maxMembersCount\":2,\"sessionOwners\":[\"x\"]}}",
        "{\"type\":\"search\",\"roleInfo\":{\"roleTypes\":{\"t\":{\"roles\":{\"r\":{\"count\":1}}}}}}",
        "{\"type\":\"search\",\"roleInfo\":{\"roleTypes\":{\"t\":{\"roles\":{\"r\":{\"memberXuids\":[\"a\"]}}}}}}",
        "{\"type\":\"search\",\"roleInfo\":5}",
    };
    size_t i, size;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(create_with_body("200 OK", bad[i]), XBL_MPSD_E_INVALID_JSON_STRING);
        assert_int_equal(xbl_mpsd_create_search_handle_result_size(&hf.async, &size), XBL_MPSD_E_INVALID_JSON_STRING);
    }
}

static void test_valid_variants(void **state)
{
    xbl_mpsd_search_handle h;
    const char *s = "x", *id = NULL;
    const xbl_mpsd_session_tag *tags;
    size_t n = 9, size = 1, max = 7, cur = 7;
    xbl_mpsd_session_visibility vis = XBL_MPSD_SESSION_VISIBILITY_OPEN;
    (void)state;
    assert_int_equal(create_with_body("200 OK", "{\"type\":\"SEARCH\",\"id\":null,\"customProperties\":null,"
                     "\"searchAttributes\":{\"tags\":null,\"strings\":null,\"numbers\":null},\"sessionRef\":null,"
                     "\"relatedInfo\":null,\"roleInfo\":null,\"createTime\":null,\"extra\":[1,{\"a\":null}]}"),
                     XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_create_search_handle_result_size(&hf.async, &size), XBL_MPSD_OK);
    assert_int_equal(size, 0);
    assert_int_equal(xbl_mpsd_create_search_handle_result(&hf.async, &h, NULL, 0, &n), XBL_MPSD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(xbl_mpsd_search_handle_get_custom_session_properties_json(&h, &s), XBL_MPSD_OK);
    assert_null(s);
    assert_int_equal(xbl_mpsd_search_handle_get_id(&h, &id), XBL_MPSD_OK);
    assert_string_equal(id, "");
    assert_int_equal(xbl_mpsd_search_handle_get_tags(&h, &tags, &n), XBL_MPSD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(xbl_mpsd_search_handle_get_member_counts(&h, &max, &cur), XBL_MPSD_OK);
    assert_int_equal(max + cur, 0);
    assert_int_equal(xbl_mpsd_search_handle_get_visibility(&h, &vis), XBL_MPSD_OK);
    assert_int_equal(vis, XBL_MPSD_SESSION_VISIBILITY_UNKNOWN);
}

/* ---- getters, copy, clear ---- */

static void test_getters_refuse_cleared(void **state)
{
    xbl_mpsd_search_handle h;
    const char *s = "keep";
    size_t n = 3;
    bool b = true;
    (void)state;
    memset(&h, 0, sizeof h);
    assert_int_equal(xbl_mpsd_search_handle_get_id(&h, &s), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_get_id(NULL, &s), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_get_member_counts(&h, &n, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_get_session_closed(&h, &b), XBL_MPSD_E_INVALIDARG);
    assert_string_equal(s, "keep");
    assert_int_equal(n, 3);
    assert_true(b);
    assert_int_equal(create_with_body("201 Created", HANDLE(ID1)), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_create_search_handle_result(&hf.async, &h, g_buf.b, sizeof g_buf.b, NULL), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_search_handle_get_id(&h, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_get_tags(&h, NULL, &n), XBL_MPSD_E_INVALIDARG);
    xbl_mpsd_search_handle_clear(&h);
    xbl_mpsd_search_handle_clear(NULL);
    assert_int_equal(xbl_mpsd_search_handle_get_id(&h, &s), XBL_MPSD_E_INVALIDARG);
}

/* Each getter with a NULL output, and copy's remaining refusals. */
static void test_getters_and_copy_null_outputs(void **state)
{
    xbl_mpsd_search_handle h, d, empty;
    const xbl_mpsd_session_tag *tags;
    const xbl_mpsd_session_string_attribute *sa;
    const xbl_mpsd_session_number_attribute *na;
    const xbl_mpsd_role_type *rt;
    const uint64_t *x;
    size_t n = 0, used = 0;
    (void)state;
    assert_int_equal(create_with_body("201 Created", HANDLE(ID1)), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_create_search_handle_result(&hf.async, &h, g_buf.b, sizeof g_buf.b, NULL), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_search_handle_get_session_reference(&h, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_get_session_owner_xuids(&h, NULL, &n), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_get_session_owner_xuids(&h, &x, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_get_tags(&h, &tags, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_get_string_attributes(&h, NULL, &n), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_get_string_attributes(&h, &sa, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_get_number_attributes(&h, NULL, &n), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_get_number_attributes(&h, &na, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_get_role_types(&h, NULL, &n), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_get_role_types(&h, &rt, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_get_visibility(&h, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_get_join_restriction(&h, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_get_session_closed(&h, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_get_creation_time(&h, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_get_custom_session_properties_json(&h, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(n, 0);
    /* copy: no destination, a NULL buffer with a size, too small with and without buffer_used */
    assert_int_equal(xbl_mpsd_search_handle_copy(NULL, &h, g_buf2.b, sizeof g_buf2.b, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_copy(&d, &h, NULL, 8, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_copy(&d, &h, g_buf2.b, 4, NULL), XBL_MPSD_E_OUTOFMEMORY);
    assert_int_equal(xbl_mpsd_search_handle_copy(&d, &h, g_buf2.b, sizeof g_buf2.b, NULL), XBL_MPSD_OK);
    /* a handle with nothing of variable size copies without a buffer */
    assert_int_equal(create_with_body("201 Created", "{\"type\":\"search\",\"id\":\"" ID1 "\"}"), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_create_search_handle_result(&hf.async, &empty, NULL, 0, NULL), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_search_handle_copy(&d, &empty, NULL, 0, &used), XBL_MPSD_OK);
    assert_int_equal(used, 0);
}

/* The search query's arguments one by one; the social group is optional. */
static void test_search_query_arguments(void **state)
{
    xbl_mpsd_search_handle h;
    size_t n = 0;
    (void)state;
    assert_int_equal(xbl_mpsd_get_search_handles_async(NULL, HF_SCID, "t", NULL, false, NULL, NULL, &hf.async),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_search_handles_async(&hf.client, HF_SCID, "t", NULL, false, NULL, NULL, NULL),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_search_handles_async(&hf.client, "", "t", NULL, false, NULL, NULL, &hf.async),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_search_handles_async(&hf.client, HF_SCID, NULL, NULL, false, NULL, NULL, &hf.async),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_search_handles_async(&hf.client, HF_SCID, "", NULL, false, NULL, NULL, &hf.async),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_search_handles_async(&hf.client, HF_SCID, "\xff", NULL, false, NULL, NULL, &hf.async),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_search_handles_async(&hf.client, HF_SCID, "t", "\xff", false, NULL, NULL, &hf.async),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_search_handles_async(&hf.client, HF_SCID, "t", NULL, false, "\xff", NULL, &hf.async),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_search_handles_async(&hf.client, HF_SCID, "t", NULL, false, NULL, "\xff", &hf.async),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_delete_search_handle_async(NULL, ID1, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_delete_search_handle_async(&hf.client, ID1, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_search_handles_result(NULL, &h, 1, g_buf.b, 8, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_search_handles_result_count(NULL, &n), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(hf.mock.sent_len, 0);
    /* busy */
    assert_int_equal(xbl_mpsd_delete_search_handle_async(&hf.client, ID1, &hf.async), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_delete_search_handle_async(&hf.client, ID1, &hf.async), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_get_search_handles_async(&hf.client, HF_SCID, "t", NULL, false, NULL, NULL, &hf.async),
                     XBL_MPSD_E_UNEXPECTED);
    xbl_mpsd_async_cancel(&hf.async);
}

static void test_copy_rules(void **state)
{
    xbl_mpsd_search_handle h, c, keep;
    size_t size, used = 0, need = 0;
    (void)state;
    assert_int_equal(create_with_body("201 Created", HANDLE(ID1)), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_create_search_handle_result_size(&hf.async, &size), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_create_search_handle_result(&hf.async, &h, g_buf.b + 1, size, &used), XBL_MPSD_OK);
    /* too small: dst and buffer unchanged, a size enough anywhere */
    memset(&c, 0x33, sizeof c);
    keep = c;
    memset(g_buf2.b, 0xEE, sizeof g_buf2.b);
    assert_int_equal(xbl_mpsd_search_handle_copy(&c, &h, g_buf2.b, 8, &need), XBL_MPSD_E_OUTOFMEMORY);
    assert_memory_equal(&c, &keep, sizeof c);
    assert_int_equal(g_buf2.b[0], 0xEE);
    assert_true(need >= used - 7 && need <= size);
    /* the copy is independent of the first buffer */
    assert_int_equal(xbl_mpsd_search_handle_copy(&c, &h, g_buf2.b + 5, need, &used), XBL_MPSD_OK);
    memset(g_buf.b, 0, sizeof g_buf.b);
    check_handle(&c, ID1);
    /* refusals */
    assert_int_equal(xbl_mpsd_search_handle_copy(NULL, &c, g_buf.b, sizeof g_buf.b, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_copy(&h, NULL, g_buf.b, sizeof g_buf.b, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_copy(&h, &c, NULL, 5, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_search_handle_copy(&h, &c, g_buf2.b, sizeof g_buf2.b, NULL), XBL_MPSD_E_INVALIDARG);
    memset(&keep, 0, sizeof keep);
    assert_int_equal(xbl_mpsd_search_handle_copy(&h, &keep, g_buf.b, sizeof g_buf.b, NULL), XBL_MPSD_E_INVALIDARG);
    /* dst == src: the data moves */
    assert_int_equal(xbl_mpsd_search_handle_copy(&c, &c, g_buf.b + 3, sizeof g_buf.b - 3, NULL), XBL_MPSD_OK);
    memset(g_buf2.b, 0, sizeof g_buf2.b);
    check_handle(&c, ID1);
}

/* ---- delete ---- */

static void test_delete_request_and_refusals(void **state)
{
    size_t n;
    (void)state;
    hf_reply("204 No Content", "");
    assert_int_equal(xbl_mpsd_delete_search_handle_async(&hf.client, ID1, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    snprintf(g_expect, sizeof g_expect, "DELETE /handles/" ID1 " HTTP/1.1\r\n" HF_HEAD HF_TAIL);
    assert_string_equal(hf_sent(), g_expect);
    assert_int_equal(xbl_mpsd_create_search_handle_result_size(&hf.async, &n), XBL_MPSD_E_INVALIDARG);
    mock_reset_traffic(&hf.mock);
    assert_int_equal(xbl_mpsd_delete_search_handle_async(&hf.client, "", &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_delete_search_handle_async(&hf.client, "a/b", &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_delete_search_handle_async(&hf.client, "a b", &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_delete_search_handle_async(&hf.client, NULL, &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_delete_search_handle_async(&hf.client, "0123456789012345678901234567890123456789",
                     &hf.async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(hf.mock.sent_len, 0);
    hf_reply("404 Not Found", "");
    assert_int_equal(xbl_mpsd_delete_search_handle_async(&hf.client, ID1, &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_E_HTTP_STATUS(404));
}

/* ---- query ---- */

static void test_query_request_bytes(void **state)
{
    (void)state;
    hf_reply("200 OK", "{\"results\":[]}");
    assert_int_equal(xbl_mpsd_get_search_handles_async(&hf.client, HF_SCID, "arena-4v4", "minlevel", false,
                     "numbers/minlevel le 20 and tags/any(d:tolower(d) eq 'casual')", "favorites", &hf.async),
                     XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_search_handles_result(&hf.async, NULL, 0, NULL, 0, NULL), XBL_MPSD_OK);
    assert_string_equal(hf_sent(), post(QUERY_LINE, "{\"type\":\"search\",\"scid\":\"" HF_SCID "\",\"templateName\":"
        "\"arena-4v4\",\"global\":true,\"filter\":\"numbers/minlevel le 20 and tags/any(d:tolower(d) eq 'casual')\","
        "\"orderBy\":\"minlevel desc\",\"sessionMembers\":{\"people\":{\"moniker\":\"favorites\","
        "\"monikerXuid\":\"2814600000000001\"}}}"));
    mock_reset_traffic(&hf.mock);
    hf_reply("200 OK", "{\"results\":[]}");
    assert_int_equal(xbl_mpsd_get_search_handles_async(&hf.client, HF_SCID, "arena-4v4", "", true, "", NULL,
                     &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_search_handles_result(&hf.async, NULL, 0, NULL, 0, NULL), XBL_MPSD_OK);
    assert_string_equal(hf_sent(), post(QUERY_LINE, "{\"type\":\"search\",\"scid\":\"" HF_SCID "\",\"templateName\":"
        "\"arena-4v4\",\"global\":true}"));
    mock_reset_traffic(&hf.mock);
    hf_reply("200 OK", "{\"results\":[]}");
    assert_int_equal(xbl_mpsd_get_search_handles_async(&hf.client, HF_SCID, "arena-4v4", "map", true, NULL, NULL,
                     &hf.async), XBL_MPSD_OK);
    assert_int_equal(hf_run(), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_search_handles_result(&hf.async, NULL, 0, NULL, 0, NULL), XBL_MPSD_OK);
    assert_string_equal(hf_sent(), post(QUERY_LINE, "{\"type\":\"search\",\"scid\":\"" HF_SCID "\",\"templateName\":"
        "\"arena-4v4\",\"global\":true,\"orderBy\":\"map asc\"}"));
}

static void test_query_refusals(void **state)
{
    (void)state;
    assert_int_equal(xbl_mpsd_get_search_handles_async(&hf.client, "", "t", NULL, false, NULL, NULL, &hf.async),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_search_handles_async(&hf.client, NULL, "t", NULL, false, NULL, NULL, &hf.async),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_search_handles_async(&hf.client, HF_SCID, "", NULL, false, NULL, NULL, &hf.async),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_search_handles_async(&hf.client, HF_SCID, NULL, NULL, false, NULL, NULL, &hf.async),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_search_handles_async(&hf.client, HF_SCID, "t", "\xff", false, NULL, NULL, &hf.async),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_search_handles_async(NULL, HF_SCID, "t", NULL, false, NULL, NULL, &hf.async),
                     XBL_MPSD_E_INVALIDARG);
    assert_int_equal(hf.mock.sent_len, 0);
}

static void test_query_results_shared_buffer(void **state)
{
    xbl_mpsd_search_handle hs[3], keep[3];
    size_t count = 0, size = 0, used = 0;
    const char *id;
    (void)state;
    assert_int_equal(query_with_body("{\"results\":[" HANDLE(ID1) "," HANDLE(ID2) "]}"), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_search_handles_result_count(&hf.async, &count), XBL_MPSD_OK);
    assert_int_equal(count, 2);
    assert_int_equal(xbl_mpsd_get_search_handles_result_size(&hf.async, &size), XBL_MPSD_OK);
    memset(hs, 0x5A, sizeof hs);
    memcpy(keep, hs, sizeof hs);
    assert_int_equal(xbl_mpsd_get_search_handles_result(&hf.async, hs, 1, g_buf.b, size, &used), XBL_MPSD_E_OUTOFMEMORY);
    assert_int_equal(used, size);
    used = 0;
    assert_int_equal(xbl_mpsd_get_search_handles_result(&hf.async, hs, 3, g_buf.b, size - 1, &used),
                     XBL_MPSD_E_OUTOFMEMORY);
    assert_int_equal(used, size);
    assert_memory_equal(hs, keep, sizeof hs);
    assert_int_equal(xbl_mpsd_get_search_handles_result(&hf.async, hs, 3, g_buf.b + 7, size, &used), XBL_MPSD_OK);
    check_handle(&hs[0], ID1);
    check_handle(&hs[1], ID2);
    assert_memory_equal(&hs[2], &keep[2], sizeof hs[2]);   /* larger storage: the rest untouched */
    assert_int_equal(xbl_mpsd_search_handle_get_id(&hs[1], &id), XBL_MPSD_OK);
    /* an empty list, a NULL array discards */
    assert_int_equal(query_with_body("{\"results\":[]}"), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_search_handles_result_size(&hf.async, &size), XBL_MPSD_OK);
    assert_int_equal(size, 0);
    assert_int_equal(xbl_mpsd_get_search_handles_result(&hf.async, NULL, 0, NULL, 0, NULL), XBL_MPSD_OK);
    /* list rules */
    assert_int_equal(query_with_body("{}"), XBL_MPSD_E_INVALID_JSON_STRING);
    assert_int_equal(query_with_body("{\"results\":{}}"), XBL_MPSD_E_INVALID_JSON_STRING);
    assert_int_equal(query_with_body("{\"results\":null}"), XBL_MPSD_E_INVALID_JSON_STRING);
    assert_int_equal(query_with_body("{\"results\":[5]}"), XBL_MPSD_E_INVALID_JSON_STRING);
    assert_int_equal(query_with_body("{\"results\":[{\"type\":\"activity\"}]}"), XBL_MPSD_E_INVALID_JSON_STRING);
    assert_int_equal(query_with_body("{\"results\":[" HANDLE(ID1) "," HANDLE(ID2) "]"), XBL_MPSD_E_INVALID_JSON_STRING);
}

static void test_query_split_at_every_byte(void **state)
{
    static const char body[] = "{\"results\":[" HANDLE(ID1) "]}";
    xbl_mpsd_search_handle h;
    size_t len, cut;
    (void)state;
    len = hf_reply_split(body, 0);
    for (cut = 1; cut < len; cut++) {
        mock_reset_traffic(&hf.mock);
        hf_reply_split(body, cut);
        assert_int_equal(xbl_mpsd_get_search_handles_async(&hf.client, HF_SCID, "arena-4v4", NULL, false, NULL, NULL,
                         &hf.async), XBL_MPSD_OK);
        assert_int_equal(hf_run(), XBL_MPSD_OK);
        assert_int_equal(xbl_mpsd_get_search_handles_result(&hf.async, &h, 1, g_buf.b, sizeof g_buf.b, NULL),
                         XBL_MPSD_OK);
        check_handle(&h, ID1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_create_request_bytes_and_result, hf_setup),
        cmocka_unit_test_setup(test_create_no_attributes_sends_none, hf_setup),
        cmocka_unit_test_setup(test_create_refusals, hf_setup),
        cmocka_unit_test_setup(test_create_number_text, hf_setup),
        cmocka_unit_test_setup(test_number_text_round_trips, hf_setup),
        cmocka_unit_test_setup(test_result_rules, hf_setup),
        cmocka_unit_test_setup(test_invalid_handle_bodies, hf_setup),
        cmocka_unit_test_setup(test_valid_variants, hf_setup),
        cmocka_unit_test_setup(test_getters_refuse_cleared, hf_setup),
        cmocka_unit_test_setup(test_copy_rules, hf_setup),
        cmocka_unit_test_setup(test_getters_and_copy_null_outputs, hf_setup),
        cmocka_unit_test_setup(test_search_query_arguments, hf_setup),
        cmocka_unit_test_setup(test_delete_request_and_refusals, hf_setup),
        cmocka_unit_test_setup(test_query_request_bytes, hf_setup),
        cmocka_unit_test_setup(test_query_refusals, hf_setup),
        cmocka_unit_test_setup(test_query_results_shared_buffer, hf_setup),
        cmocka_unit_test_setup(test_query_split_at_every_byte, hf_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
