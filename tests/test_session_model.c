/* Contract tests for the session model (API.md §1.4, §1.5, §5.1-§5.3,
   §5.6-§5.8): references, lifecycle, getters, NULL / no-document behaviour,
   local rules, error precedence, all-or-nothing, bad input, arena
   exhaustion, compare and the secure device address. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "json_eq.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "session_util.h"

/* ------------------------------------------------------------- helpers */

/* MPSD §4.10 example response, read for user XUID1. */
static const char DOC_410[] =
"{\"contractVersion\":107,\"branch\":\"1a6f0c3e-2b7d-4d51-8e90-3c4b5a6d7e8f\",\"changeNumber\":3,"
"\"correlationId\":\"7c9e1b2a-44f0-4a1c-9d3e-0f1e2d3c4b5a\",\"startTime\":\"2024-03-01T10:00:00.0000000Z\","
"\"nextTimer\":\"2024-03-01T10:01:40.0000000Z\","
"\"constants\":{\"system\":{\"version\":1,\"maxMembersCount\":8,\"visibility\":\"open\","
"\"reservedRemovalTimeout\":30000,\"inactiveRemovalTimeout\":0,\"readyRemovalTimeout\":180000,\"sessionEmptyTimeout\":0,"
"\"capabilities\":{\"connectivity\":true,\"gameplay\":true}},\"custom\":{\"mode\":\"coop\",\"map\":\"harbor\"}},"
"\"properties\":{\"system\":{\"turn\":[],\"joinRestriction\":\"none\",\"host\":\"7d3e1f20\"},\"custom\":{\"map\":\"harbor\",\"round\":2}},"
"\"members\":{"
"\"0\":{\"constants\":{\"system\":{\"xuid\":\"2814600000000001\"},\"custom\":{\"team\":\"red\"}},"
"\"properties\":{\"system\":{\"active\":true,\"secureDeviceAddress\":\"AQIDBAUG\"},\"custom\":{\"k\":1}},"
"\"gamertag\":\"PlayerOne\",\"deviceToken\":\"7d3e1f20\",\"nat\":\"open\",\"activeTitleId\":\"1234567890\","
"\"joinTime\":\"2024-03-01T10:00:00.0000000Z\",\"next\":2},"
"\"2\":{\"constants\":{\"system\":{\"xuid\":\"2814600000000003\",\"initialize\":true},\"custom\":{\"slot\":1}},"
"\"properties\":{\"system\":{},\"custom\":{}},\"reserved\":true,\"joinTime\":\"2024-03-01T10:01:10.0000000Z\",\"next\":3}},"
"\"membersInfo\":{\"first\":0,\"next\":3,\"count\":2,\"accepted\":1},\"servers\":{}}";

static union { unsigned char b[16384]; uint64_t u; void *p; } g_scratch;   /* the reader's scratch space */

/* Turns s (with an arena) into a service session from body, for user xuid. */
static void load_service(xbl_mpsd_session *s, void *arena, size_t arena_size, const char *body, uint64_t xuid)
{
    xbl_mpsd__response_meta meta;
    xbl_mpsd_session_reference ref = su_ref();
    size_t needed = 0;
    memset(s, 0, sizeof *s);
    EXPECT_OK(xbl_mpsd_session_init(s, xuid, &ref, NULL, arena, arena_size));
    memset(&meta, 0, sizeof meta);
    meta.xuid = xuid;
    meta.reference = &ref;
    meta.etag = "\"e1\"";
    meta.etag_len = 4;
    meta.write_status = XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN;
    EXPECT_OK(xbl_mpsd__session_load(s, body, strlen(body), &meta, g_scratch.b, sizeof g_scratch.b, &needed));
}

static bool in_arena(const void *p, const su_arena *a)
{
    const unsigned char *c = (const unsigned char *)p;
    return c >= a->b && c < a->b + sizeof a->b;
}

static void b64(const unsigned char *in, size_t n, char *out)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i, o = 0;
    for (i = 0; i + 2 < n; i += 3) {
        unsigned v = ((unsigned)in[i] << 16) | ((unsigned)in[i + 1] << 8) | in[i + 2];
        out[o++] = al[(v >> 18) & 63]; out[o++] = al[(v >> 12) & 63];
        out[o++] = al[(v >> 6) & 63]; out[o++] = al[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        out[o++] = al[(v >> 18) & 63]; out[o++] = al[(v >> 12) & 63]; out[o++] = '='; out[o++] = '=';
    } else if (n - i == 2) {
        unsigned v = ((unsigned)in[i] << 16) | ((unsigned)in[i + 1] << 8);
        out[o++] = al[(v >> 18) & 63]; out[o++] = al[(v >> 12) & 63]; out[o++] = al[(v >> 6) & 63]; out[o++] = '=';
    }
    out[o] = '\0';
}

/* ------------------------------------------------------ json_eq itself */

static void test_json_eq_helper_self_check(void **state)
{
    static const char *const ord[] = { "a", NULL };
    (void)state;
    assert_true(json_eq("{\"a\":1,\"b\":[1,2]}", " {\"b\":[1,2],\"a\":1} "));
    assert_true(json_eq("{\"s\":\"caf\\u00e9\\n\"}", "{\"s\":\"caf\xc3\xa9\\u000a\"}"));
    assert_true(json_eq("{\"\\u0061\":1}", "{\"a\":1}"));
    fprintf(stderr, "(the following json_eq mismatch reports are expected)\n");
    assert_false(json_eq("{\"a\":1}", "{\"a\":1.0}"));
    assert_false(json_eq("{\"a\":1}", "{\"a\":1,\"b\":2}"));
    assert_false(json_eq("{\"a\":1,\"c\":2}", "{\"a\":1,\"b\":2}"));
    assert_false(json_eq("[1,2]", "[2,1]"));
    assert_false(json_eq("{\"a\":1}", "{\"a\":1} x"));
    assert_false(json_eq("{\"a\":1}", "{\"a\":1}{}"));
    assert_false(json_eq("{\"a\":1,\"a\":1}", "{\"a\":1,\"a\":2}"));
    assert_false(json_eq("{\"a\":null}", "{\"a\":\"null\"}"));
    assert_false(json_eq_ordered("{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}"));
    assert_true(json_eq_paths("{\"x\":{\"b\":1,\"a\":2},\"a\":{\"c\":1,\"d\":2}}", "{\"a\":{\"c\":1,\"d\":2},\"x\":{\"a\":2,\"b\":1}}", ord));
    assert_false(json_eq_paths("{\"a\":{\"c\":1,\"d\":2}}", "{\"a\":{\"d\":2,\"c\":1}}", ord));
    assert_false(json_eq_paths("{\"members\":{\"me\":{\"constants\":1,\"properties\":2}}}",
                               "{\"members\":{\"me\":{\"properties\":2,\"constants\":1}}}", su_ordered));
    fprintf(stderr, "(end of expected mismatch reports)\n");
}

/* ------------------------------------------------------- §5.1 references */

static void test_reference_create(void **state)
{
    char scid40[41], t100[101];
    xbl_mpsd_session_reference r;
    (void)state;
    r = xbl_mpsd_session_reference_create(SCID, TMPL, SNAME);
    assert_string_equal(r.scid, SCID);
    assert_string_equal(r.session_template_name, TMPL);
    assert_string_equal(r.session_name, SNAME);
    r = xbl_mpsd_session_reference_create(NULL, NULL, NULL);
    assert_string_equal(r.scid, "");
    assert_string_equal(r.session_template_name, "");
    assert_string_equal(r.session_name, "");
    assert_false(xbl_mpsd_session_reference_is_valid(&r));
    /* strlen >= buffer size gives an empty field (D1) */
    memset(scid40, 'a', 40); scid40[40] = '\0';
    memset(t100, 'b', 100); t100[100] = '\0';
    r = xbl_mpsd_session_reference_create(scid40, t100, t100);
    assert_string_equal(r.scid, "");
    assert_string_equal(r.session_template_name, "");
    assert_string_equal(r.session_name, "");
    /* the largest that fit */
    scid40[39] = '\0';
    t100[99] = '\0';
    r = xbl_mpsd_session_reference_create(scid40, t100, t100);
    assert_string_equal(r.scid, scid40);
    assert_string_equal(r.session_template_name, t100);
    assert_string_equal(r.session_name, t100);
    assert_true(xbl_mpsd_session_reference_is_valid(&r));
    r = xbl_mpsd_session_reference_create(SCID, "", SNAME);
    assert_false(xbl_mpsd_session_reference_is_valid(&r));
}

static void test_reference_is_valid(void **state)
{
    xbl_mpsd_session_reference r = su_ref();
    (void)state;
    assert_true(xbl_mpsd_session_reference_is_valid(&r));
    assert_false(xbl_mpsd_session_reference_is_valid(NULL));
    r.session_name[0] = '\0';
    assert_false(xbl_mpsd_session_reference_is_valid(&r));
    r = su_ref();
    memset(r.scid, 'x', sizeof r.scid);           /* no NUL */
    assert_false(xbl_mpsd_session_reference_is_valid(&r));
    r = su_ref();
    memset(r.session_template_name, 'x', sizeof r.session_template_name);
    assert_false(xbl_mpsd_session_reference_is_valid(&r));
    r = su_ref();
    memset(r.session_name, 'x', sizeof r.session_name);
    assert_false(xbl_mpsd_session_reference_is_valid(&r));
}

static void test_reference_to_uri_path(void **state)
{
    xbl_mpsd_session_reference r = su_ref();
    xbl_mpsd_session_reference_uri u, before;
    char expected[400];
    (void)state;
    EXPECT_OK(xbl_mpsd_session_reference_to_uri_path(&r, &u));
    assert_string_equal(u.value, "/serviceconfigs/" SCID "/sessiontemplates/" TMPL "/sessions/" SNAME);
    r = xbl_mpsd_session_reference_create(NULL, "T", NULL);
    EXPECT_OK(xbl_mpsd_session_reference_to_uri_path(&r, &u));
    assert_string_equal(u.value, "/serviceconfigs//sessiontemplates/T/sessions/");
    /* longest fields still fit (39 + 99 + 99 + 44 < 284) */
    memset(&r, 0, sizeof r);
    memset(r.scid, 'S', 39);
    memset(r.session_template_name, 'T', 99);
    memset(r.session_name, 'N', 99);
    EXPECT_OK(xbl_mpsd_session_reference_to_uri_path(&r, &u));
    snprintf(expected, sizeof expected, "/serviceconfigs/%s/sessiontemplates/%s/sessions/%s",
             r.scid, r.session_template_name, r.session_name);
    assert_string_equal(u.value, expected);
    assert_int_equal(strlen(u.value), 281);
    /* case and odd characters are copied as they are, no escaping */
    r = xbl_mpsd_session_reference_create("AbC", "Te Mp%", "N~1");
    EXPECT_OK(xbl_mpsd_session_reference_to_uri_path(&r, &u));
    assert_string_equal(u.value, "/serviceconfigs/AbC/sessiontemplates/Te Mp%/sessions/N~1");
    /* errors */
    assert_int_equal(xbl_mpsd_session_reference_to_uri_path(NULL, &u), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_session_reference_to_uri_path(&r, NULL), XBL_MPSD_E_INVALIDARG);
    memset(r.session_name, 'z', sizeof r.session_name);
    memset(&before, 0x5A, sizeof before);
    u = before;
    assert_int_equal(xbl_mpsd_session_reference_to_uri_path(&r, &u), XBL_MPSD_E_INVALIDARG);
    r = su_ref();
    memset(r.scid, 'z', sizeof r.scid);
    assert_int_equal(xbl_mpsd_session_reference_to_uri_path(&r, &u), XBL_MPSD_E_INVALIDARG);
    r = su_ref();
    memset(r.session_template_name, 'z', sizeof r.session_template_name);
    assert_int_equal(xbl_mpsd_session_reference_to_uri_path(&r, &u), XBL_MPSD_E_INVALIDARG);
}

static void test_reference_parse(void **state)
{
    xbl_mpsd_session_reference r, marker;
    char path[600], s40[41], t100[101];
    (void)state;
    EXPECT_OK(xbl_mpsd_session_reference_parse_from_uri_path(
        "/serviceconfigs/" SCID "/sessiontemplates/" TMPL "/sessions/" SNAME, &r));
    assert_string_equal(r.scid, SCID);
    assert_string_equal(r.session_template_name, TMPL);
    assert_string_equal(r.session_name, SNAME);
    /* extra pieces ignored, doubled slashes dropped, 0/2/4 unchecked, no decoding, case kept */
    EXPECT_OK(xbl_mpsd_session_reference_parse_from_uri_path("//a//SCid///b/Tmpl/c/Na%20me/extra/more?x=1", &r));
    assert_string_equal(r.scid, "SCid");
    assert_string_equal(r.session_template_name, "Tmpl");
    assert_string_equal(r.session_name, "Na%20me");
    EXPECT_OK(xbl_mpsd_session_reference_parse_from_uri_path("x/1/y/2/z/3/", &r));
    assert_string_equal(r.scid, "1");
    assert_string_equal(r.session_template_name, "2");
    assert_string_equal(r.session_name, "3");
    /* errors leave the output unchanged */
    memset(&marker, 0x5A, sizeof marker);
    r = marker;
    assert_int_equal(xbl_mpsd_session_reference_parse_from_uri_path("/serviceconfigs/S/sessiontemplates/T/sessions", &r), XBL_MPSD_E_INVALIDARG);
    assert_memory_equal(&r, &marker, sizeof r);
    assert_int_equal(xbl_mpsd_session_reference_parse_from_uri_path("/serviceconfigs/S/sessiontemplates/T/sessions//", &r), XBL_MPSD_E_INVALIDARG);
    assert_memory_equal(&r, &marker, sizeof r);
    assert_int_equal(xbl_mpsd_session_reference_parse_from_uri_path("", &r), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_session_reference_parse_from_uri_path("//////", &r), XBL_MPSD_E_INVALIDARG);
    assert_memory_equal(&r, &marker, sizeof r);
    assert_int_equal(xbl_mpsd_session_reference_parse_from_uri_path(NULL, &r), XBL_MPSD_E_INVALIDARG);
    assert_memory_equal(&r, &marker, sizeof r);
    assert_int_equal(xbl_mpsd_session_reference_parse_from_uri_path("/a/b/c/d/e/f", NULL), XBL_MPSD_E_INVALIDARG);
    /* over-long pieces */
    memset(s40, 's', 40); s40[40] = '\0';
    memset(t100, 't', 100); t100[100] = '\0';
    snprintf(path, sizeof path, "/serviceconfigs/%s/sessiontemplates/T/sessions/N", s40);
    assert_int_equal(xbl_mpsd_session_reference_parse_from_uri_path(path, &r), XBL_MPSD_E_INVALIDARG);
    assert_memory_equal(&r, &marker, sizeof r);
    snprintf(path, sizeof path, "/serviceconfigs/S/sessiontemplates/%s/sessions/N", t100);
    assert_int_equal(xbl_mpsd_session_reference_parse_from_uri_path(path, &r), XBL_MPSD_E_INVALIDARG);
    assert_memory_equal(&r, &marker, sizeof r);
    snprintf(path, sizeof path, "/serviceconfigs/S/sessiontemplates/T/sessions/%s", t100);
    assert_int_equal(xbl_mpsd_session_reference_parse_from_uri_path(path, &r), XBL_MPSD_E_INVALIDARG);
    assert_memory_equal(&r, &marker, sizeof r);
    /* the longest pieces that fit */
    s40[39] = '\0';
    t100[99] = '\0';
    snprintf(path, sizeof path, "/serviceconfigs/%s/sessiontemplates/%s/sessions/%s", s40, t100, t100);
    EXPECT_OK(xbl_mpsd_session_reference_parse_from_uri_path(path, &r));
    assert_string_equal(r.scid, s40);
    assert_string_equal(r.session_name, t100);
    /* an over-long extra (ignored) piece is fine */
    snprintf(path, sizeof path, "/serviceconfigs/S/sessiontemplates/T/sessions/N/%s%s", t100, t100);
    EXPECT_OK(xbl_mpsd_session_reference_parse_from_uri_path(path, &r));
    assert_string_equal(r.session_name, "N");
    /* pieces 0/2/4 too long are not checked either */
    snprintf(path, sizeof path, "/%s%s/S/%s%s/T/%s/N", t100, t100, t100, t100, t100);
    EXPECT_OK(xbl_mpsd_session_reference_parse_from_uri_path(path, &r));
    assert_string_equal(r.scid, "S");
}

/* ------------------------------------------------------- §5.2 lifecycle */

static void expect_cleared(const xbl_mpsd_session *s)
{
    assert_false(xbl_mpsd_session_has_document(s));
    assert_null(xbl_mpsd_session_session_constants(s));
    assert_null(xbl_mpsd_session_session_properties(s));
    assert_null(xbl_mpsd_session_session_reference(s));
    assert_int_equal(xbl_mpsd_session_write_status(s), XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN);
}

static void test_init_errors_leave_session_cleared(void **state)
{
    static const uint64_t ini[] = { 1 };
    xbl_mpsd_session s;
    xbl_mpsd_session_reference ref;
    xbl_mpsd_session_init_args args;
    (void)state;
    assert_int_equal(xbl_mpsd_session_init(NULL, XUID1, NULL, NULL, g_arena1.b, sizeof g_arena1.b), XBL_MPSD_E_INVALIDARG);

    su_init(&s);
    assert_int_equal(xbl_mpsd_session_init(&s, XUID1, NULL, NULL, NULL, 1024), XBL_MPSD_E_INVALIDARG);
    expect_cleared(&s);

    su_init(&s);
    ref = su_ref();
    memset(ref.session_name, 'n', sizeof ref.session_name);
    assert_int_equal(xbl_mpsd_session_init(&s, XUID1, &ref, NULL, g_arena1.b, sizeof g_arena1.b), XBL_MPSD_E_INVALIDARG);
    expect_cleared(&s);
    su_init(&s);
    ref = su_ref();
    memset(ref.scid, 'n', sizeof ref.scid);
    assert_int_equal(xbl_mpsd_session_init(&s, XUID1, &ref, NULL, g_arena1.b, sizeof g_arena1.b), XBL_MPSD_E_INVALIDARG);
    expect_cleared(&s);
    su_init(&s);
    ref = su_ref();
    memset(ref.session_template_name, 'n', sizeof ref.session_template_name);
    assert_int_equal(xbl_mpsd_session_init(&s, XUID1, &ref, NULL, g_arena1.b, sizeof g_arena1.b), XBL_MPSD_E_INVALIDARG);
    expect_cleared(&s);

    memset(&args, 0, sizeof args);
    args.visibility = (xbl_mpsd_session_visibility)6;
    su_init(&s);
    assert_int_equal(xbl_mpsd_session_init(&s, XUID1, NULL, &args, g_arena1.b, sizeof g_arena1.b), XBL_MPSD_E_INVALIDARG);
    expect_cleared(&s);
    args.visibility = XBL_MPSD_SESSION_VISIBILITY_OPEN;
    args.initiator_xuids_count = 1;
    su_init(&s);
    assert_int_equal(xbl_mpsd_session_init(&s, XUID1, NULL, &args, g_arena1.b, sizeof g_arena1.b), XBL_MPSD_E_INVALIDARG);
    expect_cleared(&s);
    args.initiator_xuids_count = 0;
    args.custom_json = "{\"a\":";
    su_init(&s);
    assert_int_equal(xbl_mpsd_session_init(&s, XUID1, NULL, &args, g_arena1.b, sizeof g_arena1.b), XBL_MPSD_E_INVALID_JSON_STRING);
    expect_cleared(&s);
    /* precedence: INVALIDARG before INVALID_JSON_STRING before OUTOFMEMORY */
    args.visibility = (xbl_mpsd_session_visibility)9;
    assert_int_equal(xbl_mpsd_session_init(&s, XUID1, NULL, &args, g_arena1.b, sizeof g_arena1.b), XBL_MPSD_E_INVALIDARG);
    args.visibility = XBL_MPSD_SESSION_VISIBILITY_OPEN;
    assert_int_equal(xbl_mpsd_session_init(&s, XUID1, NULL, &args, g_arena1.b, 1), XBL_MPSD_E_INVALID_JSON_STRING);
    expect_cleared(&s);
    args.custom_json = "{\"a\":\"a long enough custom constant value to overflow\"}";
    su_init(&s);
    assert_int_equal(xbl_mpsd_session_init(&s, XUID1, NULL, &args, g_arena1.b, 8), XBL_MPSD_E_OUTOFMEMORY);
    expect_cleared(&s);
    args.initiator_xuids = ini;
    args.initiator_xuids_count = 1;
    args.custom_json = NULL;
    su_init(&s);
    assert_int_equal(xbl_mpsd_session_init(&s, XUID1, NULL, &args, g_arena1.b, 0), XBL_MPSD_E_OUTOFMEMORY);
    expect_cleared(&s);
    /* and the session is usable again afterwards */
    su_init(&s);
    assert_true(xbl_mpsd_session_has_document(&s));
}

static void test_init_accepts_any_alignment(void **state)
{
    xbl_mpsd_session s;
    xbl_mpsd_session_init_args args;
    size_t off;
    (void)state;
    memset(&args, 0, sizeof args);
    args.custom_json = "{\"x\":[1,2,3]}";
    for (off = 1; off < 8; off++) {
        memset(&s, 0, sizeof s);
        EXPECT_OK(xbl_mpsd_session_init(&s, XUID1, NULL, &args, g_arena1.b + off, 4096));
        EXPECT_OK(xbl_mpsd_session_join(&s, "{\"t\":1}", false, true));
        EXPECT_OK(xbl_mpsd_session_add_member_reservation(&s, 5, NULL, false));
        assert_non_null(xbl_mpsd_session_current_user(&s));
        assert_true(json_eq("{\"x\":[1,2,3]}", xbl_mpsd_session_session_constants(&s)->custom_json));
    }
}

static void build_rich_local(xbl_mpsd_session *s, void *arena, size_t size)
{
    static const char *const kw[] = { "alpha", "beta" };
    xbl_mpsd_session_init_args args;
    xbl_mpsd_session_reference ref = su_ref();
    memset(&args, 0, sizeof args);
    args.max_members_in_session = 8;
    args.visibility = XBL_MPSD_SESSION_VISIBILITY_OPEN;
    args.custom_json = "{\"mode\":\"coop\"}";
    memset(s, 0, sizeof *s);
    EXPECT_OK(xbl_mpsd_session_init(s, XUID1, &ref, &args, arena, size));
    EXPECT_OK(xbl_mpsd_session_join(s, "{\"team\":\"red\"}", true, true));
    EXPECT_OK(xbl_mpsd_session_set_custom_property_json(s, "round", "2"));
    EXPECT_OK(xbl_mpsd_session_properties_set_keywords(s, kw, 2));
    EXPECT_OK(xbl_mpsd_session_current_user_set_custom_property_json(s, "ready", "true"));
    EXPECT_OK(xbl_mpsd_session_add_member_reservation(s, 7, "{\"slot\":1}", false));
    EXPECT_OK(xbl_mpsd_session_set_session_change_subscription(s, XBL_MPSD_SESSION_CHANGE_TYPES_HOST_DEVICE_TOKEN_CHANGE));
}

static char g_body_copy[65536];

static void test_copy_deep_and_independent(void **state)
{
    xbl_mpsd_session src, dst;
    const xbl_mpsd_session_properties *p;
    const xbl_mpsd_session_member *m;
    size_t n = 0;
    char id1[64], id2[64];
    (void)state;
    build_rich_local(&src, g_arena1.b, sizeof g_arena1.b);
    memset(&dst, 0, sizeof dst);
    EXPECT_OK(xbl_mpsd_session_init(&dst, UINT64_C(99), NULL, NULL, g_arena2.b, sizeof g_arena2.b));
    EXPECT_OK(xbl_mpsd_session_copy(&dst, &src));
    strcpy(g_body_copy, su_body(&src));
    /* marks, subscription id and everything else come along */
    assert_true(json_eq_paths(g_body_copy, su_body(&dst), su_ordered));
    su_sub_id(&src, id1);
    su_sub_id(&dst, id2);
    assert_string_equal(id1, id2);
    assert_true(xbl_mpsd_session_has_document(&dst));
    assert_string_equal(xbl_mpsd_session_session_reference(&dst)->session_name, SNAME);
    /* pointers point into dst's own arena */
    p = xbl_mpsd_session_session_properties(&dst);
    assert_true(in_arena(p->session_custom_properties_json, &g_arena2));
    assert_true(in_arena(p->keywords[0], &g_arena2));
    assert_true(in_arena(xbl_mpsd_session_session_constants(&dst)->custom_json, &g_arena2));
    EXPECT_OK(xbl_mpsd_session_members(&dst, &m, &n));
    assert_int_equal(n, 2);
    assert_true(in_arena(m, &g_arena2) || (const void *)m >= (const void *)&dst);
    assert_true(m[0].is_current_user);
    assert_true(m[0].xuid == XUID1);            /* the XUID is copied */
    assert_true(in_arena(m[0].custom_properties_json, &g_arena2));
    assert_ptr_equal(xbl_mpsd_session_current_user(&dst), &m[0]);
    /* join state copied */
    EXPECT_FAIL_UNCHANGED(&dst, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_join(&dst, NULL, false, false));
    /* local kind copied: constants setters still work */
    EXPECT_OK(xbl_mpsd_session_constants_set_max_members_in_session(&dst, 3));
    /* independent: edits to src don't show in dst and vice versa */
    strcpy(g_body_copy, su_body(&dst));
    EXPECT_OK(xbl_mpsd_session_set_custom_property_json(&src, "round", "9"));
    EXPECT_OK(xbl_mpsd_session_current_user_set_custom_property_json(&src, "x", "1"));
    assert_true(json_eq_paths(g_body_copy, su_body(&dst), su_ordered));
    assert_true(json_eq("{\"round\":2}", xbl_mpsd_session_session_properties(&dst)->session_custom_properties_json));
    xbl_mpsd_session_clear(&src);
    memset(g_arena1.b, 0xEE, sizeof g_arena1.b);
    assert_true(json_eq_paths(g_body_copy, su_body(&dst), su_ordered));
    assert_string_equal(xbl_mpsd_session_session_properties(&dst)->keywords[1], "beta");
}

static void test_copy_errors(void **state)
{
    xbl_mpsd_session src, dst, cleared;
    (void)state;
    build_rich_local(&src, g_arena1.b, 32768);
    memset(&cleared, 0, sizeof cleared);
    /* dst == src is a no-op */
    EXPECT_FAIL_UNCHANGED(&src, XBL_MPSD_OK, xbl_mpsd_session_copy(&src, &src));
    /* NULL pointers */
    assert_int_equal(xbl_mpsd_session_copy(NULL, &src), XBL_MPSD_E_INVALIDARG);
    EXPECT_FAIL_UNCHANGED(&src, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_copy(&src, NULL));
    /* dst without an arena */
    EXPECT_FAIL_UNCHANGED(&cleared, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_copy(&cleared, &src));
    su_init(&dst);  /* (arena 1 is src's, so move dst elsewhere) */
    memset(&dst, 0, sizeof dst);
    EXPECT_OK(xbl_mpsd_session_init(&dst, 5, NULL, NULL, g_arena2.b, sizeof g_arena2.b));
    xbl_mpsd_session_clear(&dst);
    EXPECT_FAIL_UNCHANGED(&dst, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_copy(&dst, &src));
    /* src without a document */
    memset(&dst, 0, sizeof dst);
    EXPECT_OK(xbl_mpsd_session_init(&dst, 5, NULL, NULL, g_arena2.b, sizeof g_arena2.b));
    EXPECT_FAIL_UNCHANGED(&dst, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_copy(&dst, &cleared));
    /* overlapping arenas: dst's arena starts inside src's (past src's used part) */
    memset(&dst, 0, sizeof dst);
    EXPECT_OK(xbl_mpsd_session_init(&dst, 5, NULL, NULL, g_arena1.b + 30000, 16384));
    EXPECT_FAIL_UNCHANGED(&dst, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_copy(&dst, &src));
    /* dst's arena ends inside src's */
    {
        xbl_mpsd_session src2;
        build_rich_local(&src2, g_arena3.b + 16384, 16384);
        memset(&dst, 0, sizeof dst);
        EXPECT_OK(xbl_mpsd_session_init(&dst, 5, NULL, NULL, g_arena3.b, 16384 + 8));
        EXPECT_FAIL_UNCHANGED(&dst, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_copy(&dst, &src2));
        /* adjacent (not overlapping) is fine */
        memset(&dst, 0, sizeof dst);
        EXPECT_OK(xbl_mpsd_session_init(&dst, 5, NULL, NULL, g_arena3.b, 16384));
        EXPECT_OK(xbl_mpsd_session_copy(&dst, &src2));
    }
}

static void test_copy_oom_leaves_dst_unchanged(void **state)
{
    xbl_mpsd_session src, dst;
    size_t size;
    bool done = false;
    (void)state;
    build_rich_local(&src, g_arena1.b, sizeof g_arena1.b);
    for (size = 0; size < 8192 && !done; size++) {
        xbl_mpsd_result r;
        memset(&dst, 0, sizeof dst);
        if (xbl_mpsd_session_init(&dst, 5, NULL, NULL, g_arena2.b, size) != XBL_MPSD_OK) continue;
        EXPECT_OK(xbl_mpsd_session_set_closed(&dst, true));   /* give dst some state of its own */
        su_take(&su_snap_a, &dst);
        r = xbl_mpsd_session_copy(&dst, &src);
        if (r == XBL_MPSD_OK) {
            done = true;
            strcpy(g_body_copy, su_body(&src));
            assert_true(json_eq_paths(g_body_copy, su_body(&dst), su_ordered));
            break;
        }
        assert_int_equal(r, XBL_MPSD_E_OUTOFMEMORY);
        assert_true(su_same(&su_snap_a, &dst));
    }
    assert_true(done);
}

static void test_clear_and_has_document(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    memset(&s, 0, sizeof s);
    assert_false(xbl_mpsd_session_has_document(&s));   /* all-zero is cleared */
    assert_false(xbl_mpsd_session_has_document(NULL));
    su_init(&s);
    assert_true(xbl_mpsd_session_has_document(&s));
    xbl_mpsd_session_clear(&s);
    expect_cleared(&s);
    xbl_mpsd_session_clear(&s);   /* twice is fine */
    xbl_mpsd_session_clear(NULL); /* no-op */
    /* cleared: no arena, so copy into it fails */
    {
        xbl_mpsd_session src;
        memset(&src, 0, sizeof src);
        EXPECT_OK(xbl_mpsd_session_init(&src, XUID1, NULL, NULL, g_arena2.b, sizeof g_arena2.b));
        assert_int_equal(xbl_mpsd_session_copy(&s, &src), XBL_MPSD_E_INVALIDARG);
    }
    /* the arena can be reused by a new session after clear */
    memset(g_arena1.b, 0xAB, sizeof g_arena1.b);
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_join(&s, NULL, false, false));
    assert_non_null(xbl_mpsd_session_current_user(&s));
}

/* ------------------------------------------------------ §5.3 getters */

static void test_local_defaults(void **state)
{
    xbl_mpsd_session s;
    const xbl_mpsd_session_constants *c;
    const xbl_mpsd_session_properties *p;
    const xbl_mpsd_session_info *info;
    const xbl_mpsd_session_initialization_info *ii;
    const xbl_mpsd_device_token *tokens = NULL;
    const xbl_mpsd_role_type *rt = NULL;
    const xbl_mpsd_role *role = (const xbl_mpsd_role *)1;
    const xbl_mpsd_session_member *m = NULL;
    size_t n = 99;
    xbl_mpsd_session_capabilities nocaps;
    (void)state;
    su_init(&s);
    assert_true(xbl_mpsd_session_has_document(&s));
    assert_string_equal(xbl_mpsd_session_session_reference(&s)->scid, SCID);
    assert_string_equal(xbl_mpsd_session_session_reference(&s)->session_template_name, TMPL);
    assert_string_equal(xbl_mpsd_session_session_reference(&s)->session_name, SNAME);
    c = xbl_mpsd_session_session_constants(&s);
    assert_non_null(c);
    assert_int_equal(c->max_members_in_session, 0);
    assert_int_equal(c->visibility, XBL_MPSD_SESSION_VISIBILITY_UNKNOWN);
    assert_int_equal(c->initiator_xuids_count, 0);
    assert_string_equal(c->custom_json, "");
    assert_string_equal(c->session_cloud_compute_package_constants_json, "");
    assert_string_equal(c->measurement_server_addresses_json, "");
    assert_true(c->member_reserved_timeout == 0 && c->member_inactive_timeout == 0);
    assert_true(c->member_ready_timeout == 0 && c->session_empty_timeout == 0);
    assert_false(c->enable_metrics_latency || c->enable_metrics_bandwidth_down || c->enable_metrics_bandwidth_up || c->enable_metrics_custom);
    assert_null(c->member_initialization);
    assert_true(c->peer_to_peer_requirements.latency_maximum == 0 && c->peer_to_peer_requirements.bandwidth_minimum_in_kbps == 0);
    assert_true(c->peer_to_host_requirements.latency_maximum == 0);
    assert_int_equal(c->peer_to_host_requirements.host_selection_metric, 0);
    assert_false(c->client_matchmaking_capable);
    memset(&nocaps, 0, sizeof nocaps);
    assert_memory_equal(&c->session_capabilities, &nocaps, sizeof nocaps);
    p = xbl_mpsd_session_session_properties(&s);
    assert_non_null(p);
    assert_int_equal(p->keyword_count, 0);
    assert_int_equal(p->join_restriction, XBL_MPSD_SESSION_RESTRICTION_UNKNOWN);
    assert_int_equal(p->read_restriction, XBL_MPSD_SESSION_RESTRICTION_UNKNOWN);
    assert_int_equal(p->turn_collection_count, 0);
    assert_string_equal(p->matchmaking_target_session_constants_json, "");
    assert_string_equal(p->session_custom_properties_json, "{}");
    assert_string_equal(p->matchmaking_server_connection_string, "");
    assert_int_equal(p->server_connection_string_candidates_count, 0);
    assert_int_equal(p->session_owner_member_ids_count, 0);
    assert_string_equal(p->host_device_token.value, "");
    assert_false(p->closed || p->locked || p->allocate_cloud_compute || p->matchmaking_resubmit);
    info = xbl_mpsd_session_get_info(&s);
    assert_non_null(info);
    assert_int_equal(info->contract_version, 0);
    assert_string_equal(info->branch, "");
    assert_true(info->change_number == 0);
    assert_string_equal(info->correlation_id, "");
    assert_true(info->start_time == 0 && info->next_timer == 0);
    assert_string_equal(info->search_handle_id, "");
    ii = xbl_mpsd_session_get_initialization_info(&s);
    assert_non_null(ii);
    assert_int_equal(ii->stage, XBL_MPSD_INITIALIZATION_STAGE_UNKNOWN);
    assert_true(ii->stage_start_time == 0);
    assert_int_equal(ii->episode, 0);
    assert_int_equal(xbl_mpsd_session_subscribed_change_types(&s), XBL_MPSD_SESSION_CHANGE_TYPES_NONE);
    EXPECT_OK(xbl_mpsd_session_host_candidates(&s, &tokens, &n));
    assert_int_equal(n, 0);
    n = 99;
    EXPECT_OK(xbl_mpsd_session_role_types(&s, &rt, &n));
    assert_int_equal(n, 0);
    EXPECT_OK(xbl_mpsd_session_get_role_by_name(&s, "lfg", "tank", &role));
    assert_null(role);
    n = 99;
    EXPECT_OK(xbl_mpsd_session_members(&s, &m, &n));
    assert_int_equal(n, 0);
    assert_null(xbl_mpsd_session_get_member(&s, 0));
    assert_null(xbl_mpsd_session_get_member(&s, XBL_MPSD_MEMBER_ID_NONE));
    assert_null(xbl_mpsd_session_matchmaking_server(&s));
    assert_int_equal(xbl_mpsd_session_members_accepted(&s), 0);
    assert_string_equal(xbl_mpsd_session_raw_servers_json(&s), "");
    assert_string_equal(xbl_mpsd_session_etag(&s), "");
    assert_null(xbl_mpsd_session_current_user(&s));
    assert_int_equal(xbl_mpsd_session_write_status(&s), XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN);
    assert_true(xbl_mpsd_session_time_of_session(&s) == 0);
    /* required out pointers */
    assert_int_equal(xbl_mpsd_session_host_candidates(&s, NULL, &n), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_session_host_candidates(&s, &tokens, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_session_role_types(&s, NULL, &n), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_session_role_types(&s, &rt, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_session_members(&s, NULL, &n), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_session_members(&s, &m, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_session_get_role_by_name(&s, NULL, "a", &role), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_session_get_role_by_name(&s, "a", NULL, &role), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_session_get_role_by_name(&s, "a", "b", NULL), XBL_MPSD_E_INVALIDARG);
}

static void test_init_args_visible_in_getters(void **state)
{
    static const uint64_t ini[] = { 5, 3 };
    xbl_mpsd_session s;
    xbl_mpsd_session_init_args args;
    const xbl_mpsd_session_constants *c;
    (void)state;
    memset(&args, 0, sizeof args);
    args.max_members_in_session = 8;
    args.visibility = XBL_MPSD_SESSION_VISIBILITY_OPEN;
    args.initiator_xuids = ini;
    args.initiator_xuids_count = 2;
    args.custom_json = "{\"mode\":\"coop\",\"map\":\"harbor\"}";
    memset(&s, 0, sizeof s);
    EXPECT_OK(xbl_mpsd_session_init(&s, XUID1, NULL, &args, g_arena1.b, sizeof g_arena1.b));
    args.custom_json = "{\"overwritten\":1}";   /* input buffers are copied */
    c = xbl_mpsd_session_session_constants(&s);
    assert_int_equal(c->max_members_in_session, 8);
    assert_int_equal(c->visibility, XBL_MPSD_SESSION_VISIBILITY_OPEN);
    assert_int_equal(c->initiator_xuids_count, 2);
    assert_non_null(c->initiator_xuids);
    assert_true((c->initiator_xuids[0] == 3 && c->initiator_xuids[1] == 5) || (c->initiator_xuids[0] == 5 && c->initiator_xuids[1] == 3));
    assert_json_ordered("{\"mode\":\"coop\",\"map\":\"harbor\"}", c->custom_json);
    /* a NULL reference gives empty fields */
    assert_string_equal(xbl_mpsd_session_session_reference(&s)->scid, "");
    assert_string_equal(xbl_mpsd_session_session_reference(&s)->session_name, "");
}

static void test_members_order_and_local_entries(void **state)
{
    xbl_mpsd_session s;
    const xbl_mpsd_session_member *m = NULL, *me;
    size_t n = 0;
    (void)state;
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_add_member_reservation(&s, 7, "{\"slot\":1}", true));
    EXPECT_OK(xbl_mpsd_session_join(&s, NULL, false, false));
    EXPECT_OK(xbl_mpsd_session_add_member_reservation(&s, 8, NULL, false));
    EXPECT_OK(xbl_mpsd_session_members(&s, &m, &n));
    assert_int_equal(n, 3);
    assert_true(m[0].xuid == 7 && m[1].xuid == XUID1 && m[2].xuid == 8);
    assert_true(m[0].member_id == XBL_MPSD_MEMBER_ID_NONE);
    assert_true(m[1].member_id == XBL_MPSD_MEMBER_ID_NONE);
    assert_true(m[2].member_id == XBL_MPSD_MEMBER_ID_NONE);
    assert_int_equal(m[0].status, XBL_MPSD_SESSION_MEMBER_STATUS_RESERVED);
    assert_int_equal(m[1].status, XBL_MPSD_SESSION_MEMBER_STATUS_RESERVED);   /* joined, not active */
    assert_int_equal(m[2].status, XBL_MPSD_SESSION_MEMBER_STATUS_RESERVED);
    assert_false(m[0].is_current_user);
    assert_true(m[1].is_current_user);
    assert_false(m[2].is_current_user);
    assert_true(m[0].initialize_requested);
    assert_false(m[1].initialize_requested);
    assert_json("{\"slot\":1}", m[0].custom_constants_json);
    assert_null(m[2].custom_constants_json);          /* absent source: NULL (§4.14) */
    assert_null(m[1].custom_constants_json);
    assert_string_equal(m[1].custom_properties_json, "{}");
    assert_string_equal(m[1].gamertag, "");
    me = xbl_mpsd_session_current_user(&s);
    assert_ptr_equal(me, &m[1]);
    assert_null(xbl_mpsd_session_get_member(&s, XBL_MPSD_MEMBER_ID_NONE));
    assert_null(xbl_mpsd_session_get_member(&s, 0));
    /* join active */
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_join(&s, "{\"team\":\"blue\"}", true, true));
    me = xbl_mpsd_session_current_user(&s);
    assert_non_null(me);
    assert_int_equal(me->status, XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE);
    assert_true(me->is_current_user);
    assert_true(me->initialize_requested);
    assert_true(me->xuid == XUID1);
    assert_json("{\"team\":\"blue\"}", me->custom_constants_json);
    assert_string_equal(me->custom_properties_json, "{}");
    assert_int_equal(me->roles_count, 0);
}

/* Every public session function with a NULL session (§1.5). */
static void expect_null_like(xbl_mpsd_session *s, bool is_null)
{
    static const char *const strs[] = { "a" };
    static const uint32_t ids[] = { 1 };
    const xbl_mpsd_device_token *tokens;
    const xbl_mpsd_role_type *rt;
    const xbl_mpsd_role *role;
    const xbl_mpsd_session_member *m;
    size_t n;
    uint32_t u = 1;
    xbl_mpsd_device_token tok;
    xbl_mpsd_member_initialization mi;
    xbl_mpsd_peer_to_peer_requirements p2p;
    xbl_mpsd_peer_to_host_requirements p2h;
    xbl_mpsd_session_capabilities caps;
    xbl_mpsd_session_member_role mr;
    memset(&tok, 0, sizeof tok);
    memset(&mi, 0, sizeof mi);
    memset(&p2p, 0, sizeof p2p);
    memset(&p2h, 0, sizeof p2h);
    memset(&caps, 0, sizeof caps);
    mr.role_type_name = "a";
    mr.role_name = "b";
    assert_false(xbl_mpsd_session_has_document(s));
    assert_true(xbl_mpsd_session_time_of_session(s) == 0);
    assert_null(xbl_mpsd_session_get_initialization_info(s));
    assert_int_equal(xbl_mpsd_session_subscribed_change_types(s), 0);
    assert_int_equal(xbl_mpsd_session_host_candidates(s, &tokens, &n), XBL_MPSD_E_INVALIDARG);
    assert_null(xbl_mpsd_session_session_reference(s));
    assert_null(xbl_mpsd_session_session_constants(s));
    assert_null(xbl_mpsd_session_session_properties(s));
    assert_int_equal(xbl_mpsd_session_role_types(s, &rt, &n), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_session_get_role_by_name(s, "a", "b", &role), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_session_members(s, &m, &n), XBL_MPSD_E_INVALIDARG);
    assert_null(xbl_mpsd_session_get_member(s, 0));
    assert_null(xbl_mpsd_session_matchmaking_server(s));
    assert_int_equal(xbl_mpsd_session_members_accepted(s), 0);
    assert_null(xbl_mpsd_session_raw_servers_json(s));
    assert_null(xbl_mpsd_session_etag(s));
    assert_null(xbl_mpsd_session_current_user(s));
    assert_null(xbl_mpsd_session_get_info(s));
    assert_int_equal(xbl_mpsd_session_write_status(s), XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN);
    {
        xbl_mpsd_session other;
        su_init(&other);
        assert_int_equal(xbl_mpsd_session_compare(s, &other), XBL_MPSD_SESSION_CHANGE_TYPES_NONE);
        assert_int_equal(xbl_mpsd_session_compare(&other, s), XBL_MPSD_SESSION_CHANGE_TYPES_NONE);
        assert_int_equal(xbl_mpsd_session_compare(s, s), XBL_MPSD_SESSION_CHANGE_TYPES_NONE);
        /* copy from a session without document */
        assert_int_equal(xbl_mpsd_session_copy(&other, s), XBL_MPSD_E_INVALIDARG);
        if (is_null) assert_int_equal(xbl_mpsd_session_copy(s, &other), XBL_MPSD_E_INVALIDARG);
    }
#define NX(call) do { if (s) { EXPECT_FAIL_UNCHANGED(s, XBL_MPSD_E_INVALIDARG, call); } \
                      else assert_int_equal((call), XBL_MPSD_E_INVALIDARG); } while (0)
    NX(xbl_mpsd_session_constants_set_max_members_in_session(s, 4));
    NX(xbl_mpsd_session_constants_set_visibility(s, XBL_MPSD_SESSION_VISIBILITY_OPEN));
    NX(xbl_mpsd_session_constants_set_timeouts(s, 1, 2, 3, 4));
    NX(xbl_mpsd_session_constants_set_qos_connectivity_metrics(s, true, true, true, true));
    NX(xbl_mpsd_session_constants_set_member_initialization(s, mi));
    NX(xbl_mpsd_session_constants_set_peer_to_peer_requirements(s, p2p));
    NX(xbl_mpsd_session_constants_set_peer_to_host_requirements(s, p2h));
    NX(xbl_mpsd_session_constants_set_measurement_server_addresses_json(s, "{}"));
    NX(xbl_mpsd_session_constants_set_capabilities(s, caps));
    NX(xbl_mpsd_session_constants_set_cloud_compute_package_json(s, "{}"));
    NX(xbl_mpsd_session_properties_set_keywords(s, strs, 1));
    NX(xbl_mpsd_session_properties_set_join_restriction(s, XBL_MPSD_SESSION_RESTRICTION_NONE));
    NX(xbl_mpsd_session_properties_set_read_restriction(s, XBL_MPSD_SESSION_RESTRICTION_NONE));
    NX(xbl_mpsd_session_properties_set_turn_collection(s, ids, 1));
    NX(xbl_mpsd_session_set_mutable_role_settings(s, "a", "b", &u, &u));
    NX(xbl_mpsd_session_set_raw_servers_json(s, "{}"));
    NX(xbl_mpsd_session_set_initialization_succeeded(s, true));
    NX(xbl_mpsd_session_set_host_device_token(s, tok));
    NX(xbl_mpsd_session_set_matchmaking_server_connection_path(s, "x"));
    NX(xbl_mpsd_session_set_closed(s, true));
    NX(xbl_mpsd_session_set_locked(s, true));
    NX(xbl_mpsd_session_set_allocate_cloud_compute(s, true));
    NX(xbl_mpsd_session_set_matchmaking_resubmit(s, true));
    NX(xbl_mpsd_session_set_server_connection_string_candidates(s, strs, 1));
    NX(xbl_mpsd_session_set_matchmaking_target_session_constants_json(s, "{}"));
    NX(xbl_mpsd_session_set_custom_property_json(s, "a", "1"));
    NX(xbl_mpsd_session_delete_custom_property_json(s, "a"));
    NX(xbl_mpsd_session_join(s, NULL, false, false));
    NX(xbl_mpsd_session_leave(s));
    NX(xbl_mpsd_session_add_member_reservation(s, 5, NULL, false));
    NX(xbl_mpsd_session_set_session_change_subscription(s, 1));
    NX(xbl_mpsd_session_current_user_set_status(s, XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE));
    NX(xbl_mpsd_session_current_user_set_secure_device_address_base64(s, "AA=="));
    NX(xbl_mpsd_session_current_user_set_roles(s, &mr, 1));
    NX(xbl_mpsd_session_current_user_set_members_in_group(s, ids, 1));
    NX(xbl_mpsd_session_current_user_set_groups(s, strs, 1));
    NX(xbl_mpsd_session_current_user_set_encounters(s, strs, 1));
    NX(xbl_mpsd_session_current_user_set_qos_measurements(s, "{}"));
    NX(xbl_mpsd_session_current_user_set_server_qos_measurements(s, "{}"));
    NX(xbl_mpsd_session_current_user_set_custom_property_json(s, "a", "1"));
    NX(xbl_mpsd_session_current_user_delete_custom_property_json(s, "a"));
#undef NX
    xbl_mpsd_session_clear(s);
}

static void test_null_session_every_function(void **state)
{
    (void)state;
    expect_null_like(NULL, true);
    assert_int_equal(xbl_mpsd_session_init(NULL, 1, NULL, NULL, g_arena2.b, 100), XBL_MPSD_E_INVALIDARG);
}

static void test_no_document_every_function(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    memset(&s, 0, sizeof s);
    expect_null_like(&s, false);
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_join(&s, NULL, false, false));
    xbl_mpsd_session_clear(&s);
    expect_null_like(&s, false);
}

/* ------------------------------------------------------- local rules */

static void test_join_leave_rules(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    /* join twice */
    su_init_joined(&s);
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_join(&s, NULL, false, false));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_join(&s, "{\"a\":1}", true, true));
    /* leave after join */
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_leave(&s));
    /* join after leave */
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_leave(&s));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_join(&s, NULL, false, false));
    EXPECT_OK(xbl_mpsd_session_leave(&s));
    /* a join with bad constants does not count as a join (D6) */
    su_init(&s);
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_join(&s, "{\"a\":}", false, false));
    assert_null(xbl_mpsd_session_current_user(&s));
    EXPECT_OK(xbl_mpsd_session_join(&s, NULL, false, false));
    /* reservations are allowed any time */
    EXPECT_OK(xbl_mpsd_session_add_member_reservation(&s, XUID1, NULL, false));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_add_member_reservation(&s, 3, "[", false));
}

static void test_current_user_setters_need_current_user(void **state)
{
    static const uint32_t ids[] = { 1 };
    static const char *const strs[] = { "g" };
    xbl_mpsd_session s;
    xbl_mpsd_session_member_role mr;
    (void)state;
    mr.role_type_name = "a";
    mr.role_name = "b";
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_add_member_reservation(&s, XUID1, NULL, false));  /* a reservation is not a current user */
    assert_null(xbl_mpsd_session_current_user(&s));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_set_session_change_subscription(&s, 1));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_set_status(&s, XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_set_status(&s, XBL_MPSD_SESSION_MEMBER_STATUS_INACTIVE));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_set_secure_device_address_base64(&s, "AA=="));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_set_roles(&s, &mr, 1));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_set_members_in_group(&s, ids, 1));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_set_groups(&s, strs, 1));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_set_encounters(&s, strs, 1));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_set_qos_measurements(&s, "{}"));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_set_server_qos_measurements(&s, "{}"));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_set_custom_property_json(&s, "a", "1"));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_delete_custom_property_json(&s, "a"));
    /* after leave there is no current user either */
    EXPECT_OK(xbl_mpsd_session_leave(&s));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_set_custom_property_json(&s, "a", "1"));
}

static void test_error_precedence(void **state)
{
    xbl_mpsd_session s;
    size_t size;
    xbl_mpsd_peer_to_host_requirements p2h;
    (void)state;
    /* INVALIDARG (shape) before UNEXPECTED (state) */
    su_init(&s);
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_status(&s, (xbl_mpsd_session_member_status)7));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_set_status(&s, XBL_MPSD_SESSION_MEMBER_STATUS_READY));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_custom_property_json(&s, "", "1"));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_custom_property_json(&s, NULL, "1"));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_custom_property_json(&s, "a", NULL));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_delete_custom_property_json(&s, ""));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_qos_measurements(&s, NULL));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_roles(&s, NULL, 1));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_groups(&s, NULL, 0));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_secure_device_address_base64(&s, NULL));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_session_change_subscription(&s, 0x200));
    /* UNEXPECTED (state) before INVALID_JSON_STRING (content) */
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_set_custom_property_json(&s, "a", "{"));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_set_qos_measurements(&s, "nope"));
    EXPECT_OK(xbl_mpsd_session_join(&s, NULL, false, false));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_join(&s, "{", false, false));
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_leave(&s));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_join(&s, "{", false, false));
    /* INVALIDARG before INVALID_JSON_STRING */
    su_init(&s);
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_custom_property_json(&s, "", "{"));
    memset(&p2h, 0, sizeof p2h);
    p2h.host_selection_metric = (xbl_mpsd_metrics)99;
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_constants_set_peer_to_host_requirements(&s, p2h));
    /* INVALID_JSON_STRING before OUTOFMEMORY: find the smallest arena init accepts */
    for (size = 0; size < 4096; size++) {
        memset(&s, 0, sizeof s);
        if (xbl_mpsd_session_init(&s, XUID1, NULL, NULL, g_arena1.b, size) == XBL_MPSD_OK) break;
    }
    assert_true(size < 4096);
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_set_custom_property_json(&s, "k", "{\"a\":1,}"));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_OUTOFMEMORY, xbl_mpsd_session_set_custom_property_json(&s, "k", "{\"a\":\"some value that needs the arena\"}"));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_join(&s, "{\"a\" 1}", false, false));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_custom_property_json(&s, "", "{\"a\":\"some value that needs the arena\"}"));
}

static void test_enum_and_count_ranges(void **state)
{
    static const uint32_t ids[] = { 1 };
    xbl_mpsd_session s;
    (void)state;
    su_init_joined(&s);
    EXPECT_OK(xbl_mpsd_session_constants_set_visibility(&s, XBL_MPSD_SESSION_VISIBILITY_OPEN));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_constants_set_visibility(&s, (xbl_mpsd_session_visibility)6));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_properties_set_join_restriction(&s, (xbl_mpsd_session_restriction)4));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_properties_set_read_restriction(&s, (xbl_mpsd_session_restriction)-1));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_properties_set_turn_collection(&s, ids, 0));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_session_change_subscription(&s, 0x3FF));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_status(&s, (xbl_mpsd_session_member_status)4));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_set_status(&s, XBL_MPSD_SESSION_MEMBER_STATUS_READY));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_set_status(&s, XBL_MPSD_SESSION_MEMBER_STATUS_RESERVED));
}

/* ---------------------------------------------- service sessions (reader) */

static void test_service_constants_setters_unexpected(void **state)
{
    xbl_mpsd_session s;
    xbl_mpsd_member_initialization mi;
    xbl_mpsd_peer_to_peer_requirements p2p;
    xbl_mpsd_peer_to_host_requirements p2h;
    xbl_mpsd_session_capabilities caps;
    (void)state;
    memset(&mi, 0, sizeof mi);
    memset(&p2p, 0, sizeof p2p);
    memset(&p2h, 0, sizeof p2h);
    memset(&caps, 0, sizeof caps);
    load_service(&s, g_arena1.b, sizeof g_arena1.b, DOC_410, XUID1);
    assert_body(&s, "{}");
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_constants_set_max_members_in_session(&s, 4));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_constants_set_visibility(&s, XBL_MPSD_SESSION_VISIBILITY_OPEN));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_constants_set_timeouts(&s, 1, 2, 3, 4));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_constants_set_qos_connectivity_metrics(&s, true, false, false, false));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_constants_set_member_initialization(&s, mi));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_constants_set_peer_to_peer_requirements(&s, p2p));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_constants_set_peer_to_host_requirements(&s, p2h));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_constants_set_measurement_server_addresses_json(&s, "{}"));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_constants_set_capabilities(&s, caps));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_constants_set_cloud_compute_package_json(&s, "{}"));
    /* precedence on a service session */
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_constants_set_visibility(&s, (xbl_mpsd_session_visibility)8));
    p2h.host_selection_metric = (xbl_mpsd_metrics)5;
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_constants_set_peer_to_host_requirements(&s, p2h));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_constants_set_measurement_server_addresses_json(&s, NULL));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_constants_set_cloud_compute_package_json(&s, NULL));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_constants_set_measurement_server_addresses_json(&s, "{"));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_constants_set_cloud_compute_package_json(&s, "{"));
    assert_body(&s, "{}");
    /* copy keeps the kind */
    {
        xbl_mpsd_session d;
        memset(&d, 0, sizeof d);
        EXPECT_OK(xbl_mpsd_session_init(&d, 5, NULL, NULL, g_arena2.b, sizeof g_arena2.b));
        EXPECT_OK(xbl_mpsd_session_copy(&d, &s));
        EXPECT_FAIL_UNCHANGED(&d, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_constants_set_max_members_in_session(&d, 4));
        assert_string_equal(xbl_mpsd_session_etag(&d), "\"e1\"");
    }
}

static void test_service_current_user_from_document(void **state)
{
    xbl_mpsd_session s;
    const xbl_mpsd_session_member *m, *me;
    size_t n = 0;
    (void)state;
    load_service(&s, g_arena1.b, sizeof g_arena1.b, DOC_410, XUID1);
    EXPECT_OK(xbl_mpsd_session_members(&s, &m, &n));
    assert_int_equal(n, 2);
    assert_int_equal(m[0].member_id, 0);
    assert_int_equal(m[1].member_id, 2);
    me = xbl_mpsd_session_current_user(&s);
    assert_ptr_equal(me, &m[0]);
    assert_true(me->is_current_user);
    assert_false(m[1].is_current_user);
    assert_ptr_equal(xbl_mpsd_session_get_member(&s, 2), &m[1]);
    /* existing member: only the changed properties, never constants (§5.7) */
    EXPECT_OK(xbl_mpsd_session_current_user_set_secure_device_address_base64(&s, "AQID"));
    assert_body(&s, "{\"members\":{\"me\":{\"properties\":{\"system\":{\"secureDeviceAddress\":\"AQID\"}}}}}");
    /* member custom copy starts as the server's object */
    EXPECT_OK(xbl_mpsd_session_current_user_set_custom_property_json(&s, "z", "2"));
    assert_body(&s, "{\"members\":{\"me\":{\"properties\":{\"system\":{\"secureDeviceAddress\":\"AQID\"},\"custom\":{\"k\":1,\"z\":2}}}}}");
    /* reservations follow the document members */
    EXPECT_OK(xbl_mpsd_session_add_member_reservation(&s, 9, NULL, false));
    EXPECT_OK(xbl_mpsd_session_members(&s, &m, &n));
    assert_int_equal(n, 3);
    assert_true(m[0].xuid == XUID1 && m[1].member_id == 2 && m[2].xuid == 9);
    assert_true(m[2].member_id == XBL_MPSD_MEMBER_ID_NONE);
    /* a user that is not listed has no current user */
    load_service(&s, g_arena1.b, sizeof g_arena1.b, DOC_410, UINT64_C(2814600000000002));
    assert_null(xbl_mpsd_session_current_user(&s));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_set_custom_property_json(&s, "a", "1"));
    /* session custom copy starts as the server's object: example C exactly */
    EXPECT_OK(xbl_mpsd_session_set_custom_property_json(&s, "round", "3"));
    EXPECT_OK(xbl_mpsd_session_delete_custom_property_json(&s, "map"));
    assert_body(&s, "{ \"properties\": { \"custom\": { \"map\": null, \"round\": 3 } } }");
}

static void test_service_join_example_b_and_replace(void **state)
{
    xbl_mpsd_session s;
    const xbl_mpsd_session_member *m, *me;
    size_t n = 0;
    (void)state;
    /* example B: join an existing session as a new member */
    load_service(&s, g_arena1.b, sizeof g_arena1.b, DOC_410, UINT64_C(2814600000000002));
    EXPECT_OK(xbl_mpsd_session_join(&s, NULL, false, true));
    EXPECT_OK(xbl_mpsd_session_current_user_set_custom_property_json(&s, "ready_check", "true"));
    assert_body(&s, "{ \"members\": { \"me\": {"
        "\"constants\":  { \"system\": { \"xuid\": \"2814600000000002\" } },"
        "\"properties\": { \"system\": { \"active\": true }, \"custom\": { \"ready_check\": true } } } } }");
    EXPECT_OK(xbl_mpsd_session_members(&s, &m, &n));
    assert_int_equal(n, 3);
    assert_true(m[2].xuid == UINT64_C(2814600000000002));
    /* re-joining a listed user replaces the document entry (D6) */
    load_service(&s, g_arena1.b, sizeof g_arena1.b, DOC_410, XUID1);
    EXPECT_OK(xbl_mpsd_session_add_member_reservation(&s, 9, NULL, false));
    EXPECT_OK(xbl_mpsd_session_join(&s, NULL, false, false));
    EXPECT_OK(xbl_mpsd_session_members(&s, &m, &n));
    assert_int_equal(n, 3);
    assert_int_equal(m[0].member_id, 2);
    assert_true(m[1].xuid == 9);
    assert_true(m[2].xuid == XUID1);
    assert_true(m[2].member_id == XBL_MPSD_MEMBER_ID_NONE);
    me = xbl_mpsd_session_current_user(&s);
    assert_ptr_equal(me, &m[2]);
    assert_string_equal(me->custom_properties_json, "{}");
    assert_null(xbl_mpsd_session_get_member(&s, 0));
    /* leave on a service session with a listed user */
    load_service(&s, g_arena1.b, sizeof g_arena1.b, DOC_410, XUID1);
    EXPECT_OK(xbl_mpsd_session_leave(&s));
    assert_body(&s, "{\"members\":{\"me\":null}}");
    EXPECT_OK(xbl_mpsd_session_members(&s, &m, &n));
    assert_int_equal(n, 1);
    assert_null(xbl_mpsd_session_current_user(&s));
}

/* ----------------------------------------------------------- bad input */

static const char *const k_bad_json[] = {
    "", " ", "{", "}", "{\"a\":1} x", "1 2", "{\"a\":1}{}", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"",
    "[1,]", "{\"a\":1,}", "{,}", "01", "+1", "1.", ".5", "1e", "-", "nul", "True", "'a'", "{a:1}",
    "\"a\tb\"", "\"a\nb\"", "[1 2]", "{\"a\" 1}", "{\"a\":}", "[", "]", "\"\\\"", "NaN", "Infinity",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",   /* depth 33 */
    NULL
};

static const char *const k_good_json[] = {
    "42", "true", "false", "null", "\"text\"", "-0.5e+10", "0", "[]", "{}", " \t\r\n{\"a\":[1,2,{}]}\r\n\t ",
    "\"\\ud83d\\ude00 \\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u00e9\"", "\"caf\xc3\xa9\"", "1E5", "-0",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",    /* depth 32 */
    NULL
};

static void test_invalid_json_fragments(void **state)
{
    xbl_mpsd_session s, svc;
    xbl_mpsd_session_init_args args;
    size_t i;
    (void)state;
    su_init_joined(&s);
    for (i = 0; k_bad_json[i]; i++) {
        const char *j = k_bad_json[i];
        fprintf(stderr, "  bad JSON #%zu: %s\n", i, j);
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_set_custom_property_json(&s, "k", j));
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_current_user_set_custom_property_json(&s, "k", j));
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_constants_set_measurement_server_addresses_json(&s, j));
        if (j[0] != '\0')
            EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_constants_set_cloud_compute_package_json(&s, j));
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_set_raw_servers_json(&s, j));
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_set_matchmaking_target_session_constants_json(&s, j));
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_current_user_set_qos_measurements(&s, j));
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_current_user_set_server_qos_measurements(&s, j));
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_add_member_reservation(&s, 5, j, false));
        if (j[0] != '\0') {
            memset(&svc, 0, sizeof svc);
            EXPECT_OK(xbl_mpsd_session_init(&svc, XUID1, NULL, NULL, g_arena2.b, sizeof g_arena2.b));
            EXPECT_FAIL_UNCHANGED(&svc, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_join(&svc, j, false, false));
            memset(&args, 0, sizeof args);
            args.custom_json = j;
            assert_int_equal(xbl_mpsd_session_init(&svc, XUID1, NULL, &args, g_arena2.b, sizeof g_arena2.b), XBL_MPSD_E_INVALID_JSON_STRING);
            assert_false(xbl_mpsd_session_has_document(&svc));
        }
    }
}

static void test_valid_json_fragments_accepted(void **state)
{
    xbl_mpsd_session s;
    size_t i;
    char expected[512];
    (void)state;
    for (i = 0; k_good_json[i]; i++) {
        const char *j = k_good_json[i];
        su_init_joined(&s);
        fprintf(stderr, "  good JSON #%zu: %s\n", i, j);
        EXPECT_OK(xbl_mpsd_session_set_custom_property_json(&s, "k", j));
        EXPECT_OK(xbl_mpsd_session_current_user_set_custom_property_json(&s, "k", j));
        EXPECT_OK(xbl_mpsd_session_set_raw_servers_json(&s, j));
        EXPECT_OK(xbl_mpsd_session_set_matchmaking_target_session_constants_json(&s, j));
        EXPECT_OK(xbl_mpsd_session_current_user_set_qos_measurements(&s, j));
        EXPECT_OK(xbl_mpsd_session_current_user_set_server_qos_measurements(&s, j));
        EXPECT_OK(xbl_mpsd_session_constants_set_measurement_server_addresses_json(&s, j));
        EXPECT_OK(xbl_mpsd_session_constants_set_cloud_compute_package_json(&s, j));
        snprintf(expected, sizeof expected, "{\"k\":%s}", j);
        assert_json(expected, xbl_mpsd_session_session_properties(&s)->session_custom_properties_json);
        assert_json(expected, xbl_mpsd_session_current_user(&s)->custom_properties_json);
        assert_json(j, xbl_mpsd_session_raw_servers_json(&s));
        snprintf(expected, sizeof expected, "{\"properties\":{\"custom\":{\"k\":%s}}, \"servers\": %s}", j, j);
        /* whole body is still valid JSON and carries the value */
        assert_true(json_eq_get(su_body(&s), "properties.custom.k", g_body_copy, sizeof g_body_copy));
    }
}

static void test_invalid_utf8_and_names(void **state)
{
    static const char *const bad_utf8[] = { "\xff", "a\xc3\x28", "\xed\xa0\x80", "\xc0\xaf", "\xf5\x80\x80\x80", "abc\xe2\x82", NULL };
    xbl_mpsd_session s;
    xbl_mpsd_session_member_role mr;
    size_t i;
    (void)state;
    su_init_joined(&s);
    for (i = 0; bad_utf8[i]; i++) {
        const char *b = bad_utf8[i];
        const char *arr[2];
        arr[0] = "ok";
        arr[1] = b;
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_custom_property_json(&s, b, "1"));
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_delete_custom_property_json(&s, b));
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_custom_property_json(&s, b, "1"));
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_delete_custom_property_json(&s, b));
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_properties_set_keywords(&s, arr, 2));
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_server_connection_string_candidates(&s, arr, 2));
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_groups(&s, arr, 2));
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_encounters(&s, arr, 2));
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_matchmaking_server_connection_path(&s, b));
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_secure_device_address_base64(&s, b));
        mr.role_type_name = b;
        mr.role_name = "r";
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_roles(&s, &mr, 1));
        mr.role_type_name = "t";
        mr.role_name = b;
        EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_roles(&s, &mr, 1));
    }
    /* empty names */
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_custom_property_json(&s, "", "1"));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_delete_custom_property_json(&s, ""));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_custom_property_json(&s, "", "1"));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_delete_custom_property_json(&s, ""));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_custom_property_json(&s, NULL, "1"));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_custom_property_json(&s, "a", NULL));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_delete_custom_property_json(&s, NULL));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_delete_custom_property_json(&s, NULL));
    /* control characters in names are legal and must be escaped on the wire */
    EXPECT_OK(xbl_mpsd_session_set_custom_property_json(&s, "a\r\nb\t\"\\\x01", "1"));
    assert_json("{\"a\\r\\nb\\t\\\"\\\\\\u0001\":1}", xbl_mpsd_session_session_properties(&s)->session_custom_properties_json);
    EXPECT_OK(xbl_mpsd_session_current_user_set_secure_device_address_base64(&s, "x\ny"));
    {
        static const char *const kw[] = { "line\nbreak", "quote\"" };
        EXPECT_OK(xbl_mpsd_session_properties_set_keywords(&s, kw, 2));
    }
    assert_true(json_eq_paths("{\"properties\":{\"system\":{\"keywords\":[\"line\\nbreak\",\"quote\\\"\"]},"
                              "\"custom\":{\"a\\r\\nb\\t\\\"\\\\\\u0001\":1}},"
                              "\"members\":{\"me\":{\"constants\":{\"system\":{\"xuid\":\"" XUID1_STR "\"}},"
                              "\"properties\":{\"system\":{\"secureDeviceAddress\":\"x\\ny\"}}}}}", su_body(&s), su_ordered));
}

static void test_unterminated_fixed_arrays(void **state)
{
    xbl_mpsd_session s;
    xbl_mpsd_device_token t;
    xbl_mpsd_session_reference r;
    xbl_mpsd_session_reference_uri u;
    (void)state;
    su_init(&s);
    memset(t.value, '7', sizeof t.value);
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_host_device_token(&s, t));
    r = su_ref();
    memset(r.session_template_name, 'q', sizeof r.session_template_name);
    assert_int_equal(xbl_mpsd_session_reference_to_uri_path(&r, &u), XBL_MPSD_E_INVALIDARG);
    assert_false(xbl_mpsd_session_reference_is_valid(&r));
    assert_int_equal(xbl_mpsd_session_init(&s, XUID1, &r, NULL, g_arena1.b, sizeof g_arena1.b), XBL_MPSD_E_INVALIDARG);
    assert_false(xbl_mpsd_session_has_document(&s));
}

/* ----------------------------------------------------- arena exhaustion */

typedef xbl_mpsd_result (*step_fn)(xbl_mpsd_session *s);
static xbl_mpsd_result st_join(xbl_mpsd_session *s) { return xbl_mpsd_session_join(s, "{\"team\":\"red\",\"n\":[1,2,3]}", true, true); }
static xbl_mpsd_result st_custom1(xbl_mpsd_session *s) { return xbl_mpsd_session_set_custom_property_json(s, "round", "3"); }
static xbl_mpsd_result st_custom2(xbl_mpsd_session *s) { return xbl_mpsd_session_set_custom_property_json(s, "map", "{\"name\":\"harbor\"}"); }
static xbl_mpsd_result st_custom3(xbl_mpsd_session *s) { return xbl_mpsd_session_set_custom_property_json(s, "round", "4"); }
static xbl_mpsd_result st_delete(xbl_mpsd_session *s) { return xbl_mpsd_session_delete_custom_property_json(s, "gone"); }
static xbl_mpsd_result st_keywords(xbl_mpsd_session *s)
{
    static const char *const kw[] = { "coop", "harbor", "night" };
    return xbl_mpsd_session_properties_set_keywords(s, kw, 3);
}
static xbl_mpsd_result st_member_custom(xbl_mpsd_session *s) { return xbl_mpsd_session_current_user_set_custom_property_json(s, "ready", "true"); }
static xbl_mpsd_result st_member_custom2(xbl_mpsd_session *s) { return xbl_mpsd_session_current_user_set_custom_property_json(s, "ready", "false"); }
static xbl_mpsd_result st_reservation(xbl_mpsd_session *s) { return xbl_mpsd_session_add_member_reservation(s, 7, "{\"slot\":1}", true); }
static xbl_mpsd_result st_groups(xbl_mpsd_session *s)
{
    static const char *const g[] = { "guild" };
    return xbl_mpsd_session_current_user_set_groups(s, g, 1);
}
static xbl_mpsd_result st_timeouts(xbl_mpsd_session *s) { return xbl_mpsd_session_constants_set_timeouts(s, 1, 2, 3, 4); }
static xbl_mpsd_result st_servers(xbl_mpsd_session *s) { return xbl_mpsd_session_set_raw_servers_json(s, "{\"a\":{}}"); }

static void test_arena_exhaustion_every_size(void **state)
{
    static const step_fn steps[] = { st_join, st_custom1, st_custom2, st_keywords, st_member_custom, st_reservation,
                                     st_custom3, st_delete, st_member_custom2, st_groups, st_timeouts, st_servers };
    const size_t nsteps = sizeof steps / sizeof steps[0];
    xbl_mpsd_session s;
    xbl_mpsd_session_init_args args;
    xbl_mpsd_session_reference ref = su_ref();
    size_t size, fails_at_init = 0, fails_at_step[16];
    bool done = false;
    (void)state;
    memset(fails_at_step, 0, sizeof fails_at_step);
    memset(&args, 0, sizeof args);
    args.max_members_in_session = 8;
    args.visibility = XBL_MPSD_SESSION_VISIBILITY_OPEN;
    args.custom_json = "{\"mode\":\"coop\",\"map\":\"harbor\"}";
    for (size = 0; size <= ARENA_SIZE && !done; size++) {
        xbl_mpsd_result r;
        size_t k;
        memset(&s, 0, sizeof s);
        memset(g_arena1.b, 0, size);
        r = xbl_mpsd_session_init(&s, XUID1, &ref, &args, g_arena1.b, size);
        if (r != XBL_MPSD_OK) {
            assert_int_equal(r, XBL_MPSD_E_OUTOFMEMORY);
            assert_false(xbl_mpsd_session_has_document(&s));
            fails_at_init++;
            continue;
        }
        for (k = 0; k < nsteps; k++) {
            su_take(&su_snap_a, &s);
            r = steps[k](&s);
            if (r != XBL_MPSD_OK) {
                if (r != XBL_MPSD_E_OUTOFMEMORY)
                    fprintf(stderr, "arena %zu: step %zu returned %s\n", size, k, xbl_mpsd_result_string(r));
                assert_int_equal(r, XBL_MPSD_E_OUTOFMEMORY);
                if (!su_same(&su_snap_a, &s)) {
                    fprintf(stderr, "arena %zu: step %zu changed the session on OUTOFMEMORY\n", size, k);
                    fail();
                }
                /* still a healthy session: the body can be produced */
                (void)su_body(&s);
                fails_at_step[k]++;
                break;
            }
        }
        if (k == nsteps) done = true;
    }
    assert_true(done);
    fprintf(stderr, "  arena sweep: success from %zu bytes; failures: init %zu", size - 1, fails_at_init);
    {
        size_t k;
        for (k = 0; k < nsteps; k++) fprintf(stderr, ", step%zu %zu", k, fails_at_step[k]);
        fprintf(stderr, "\n");
    }
    assert_true(fails_at_init > 0);
    {
        char id[64];
        (void)id;
        assert_true(json_eq_paths(
            "{\"constants\":{\"system\":{\"version\":1,\"maxMembersCount\":8,\"visibility\":\"open\","
            "\"reservedRemovalTimeout\":1,\"inactiveRemovalTimeout\":2,\"readyRemovalTimeout\":3,\"sessionEmptyTimeout\":4},"
            "\"custom\":{\"mode\":\"coop\",\"map\":\"harbor\"}},"
            "\"properties\":{\"system\":{\"keywords\":[\"coop\",\"harbor\",\"night\"]},"
            "\"custom\":{\"round\":4,\"map\":{\"name\":\"harbor\"},\"gone\":null}},"
            "\"members\":{\"me\":{\"constants\":{\"system\":{\"xuid\":\"" XUID1_STR "\",\"initialize\":true},"
            "\"custom\":{\"team\":\"red\",\"n\":[1,2,3]}},"
            "\"properties\":{\"system\":{\"active\":true,\"groups\":[\"guild\"]},\"custom\":{\"ready\":false}}},"
            "\"reserve_0\":{\"constants\":{\"system\":{\"xuid\":\"7\",\"initialize\":true},\"custom\":{\"slot\":1}}}},"
            "\"servers\":{\"a\":{}}}", su_body(&s), su_ordered));
    }
}

/* ------------------------------------------------------------- §5.8 */

static void test_format_secure_device_address(void **state)
{
    static char id[4000], expected[4200];
    static unsigned char raw[4100];
    xbl_mpsd_formatted_secure_device_address a, marker;
    (void)state;
    EXPECT_OK(xbl_mpsd_format_secure_device_address("A1B2C3D4E5F6", &a));
    assert_string_equal(a.value, "QUFBQUFBQUFBMUIyQzNENEU1RjY=");
    EXPECT_OK(xbl_mpsd_format_secure_device_address("x", &a));
    assert_string_equal(a.value, "QUFBQUFBQUF4");
    EXPECT_OK(xbl_mpsd_format_secure_device_address("xy", &a));
    assert_string_equal(a.value, "QUFBQUFBQUF4eQ==");
    memset(&marker, 0x5A, sizeof marker);
    assert_int_equal(xbl_mpsd_format_secure_device_address(NULL, &a), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_format_secure_device_address("abc", NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_format_secure_device_address("", &a), XBL_MPSD_E_INVALIDARG);
    /* 3061 bytes fit exactly (4092 chars + NUL), 3062 do not */
    memset(id, 'z', 3061);
    id[3061] = '\0';
    EXPECT_OK(xbl_mpsd_format_secure_device_address(id, &a));
    memcpy(raw, "AAAAAAAA", 8);
    memcpy(raw + 8, id, 3061);
    b64(raw, 3069, expected);
    assert_int_equal(strlen(expected), 4092);
    assert_string_equal(a.value, expected);
    id[3061] = 'z';
    id[3062] = '\0';
    a = marker;
    assert_int_equal(xbl_mpsd_format_secure_device_address(id, &a), XBL_MPSD_E_INVALIDARG);
    memset(id, 'q', 3999);
    id[3999] = '\0';
    assert_int_equal(xbl_mpsd_format_secure_device_address(id, &a), XBL_MPSD_E_INVALIDARG);
    /* binary-ish but valid UTF-8 id */
    EXPECT_OK(xbl_mpsd_format_secure_device_address("\xc3\xa9", &a));
    memcpy(raw + 8, "\xc3\xa9", 2);
    b64(raw, 10, expected);
    assert_string_equal(a.value, expected);
}

/* ------------------------------------------------------------- §5.3 compare */

static void test_compare_local(void **state)
{
    xbl_mpsd_session a, b;
    xbl_mpsd_device_token t;
    (void)state;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    EXPECT_OK(xbl_mpsd_session_init(&a, XUID1, NULL, NULL, g_arena1.b, sizeof g_arena1.b));
    EXPECT_OK(xbl_mpsd_session_init(&b, XUID1, NULL, NULL, g_arena2.b, sizeof g_arena2.b));
    assert_int_equal(xbl_mpsd_session_compare(&a, &b), XBL_MPSD_SESSION_CHANGE_TYPES_NONE);
    assert_int_equal(xbl_mpsd_session_compare(&a, &a), XBL_MPSD_SESSION_CHANGE_TYPES_NONE);
    /* joinability: closed, locked, join restriction */
    EXPECT_OK(xbl_mpsd_session_set_closed(&a, true));
    assert_int_equal(xbl_mpsd_session_compare(&a, &b), XBL_MPSD_SESSION_CHANGE_TYPES_SESSION_JOINABILITY_CHANGE);
    assert_int_equal(xbl_mpsd_session_compare(&b, &a), XBL_MPSD_SESSION_CHANGE_TYPES_SESSION_JOINABILITY_CHANGE);
    EXPECT_OK(xbl_mpsd_session_set_closed(&a, false));
    EXPECT_OK(xbl_mpsd_session_set_locked(&b, true));
    assert_int_equal(xbl_mpsd_session_compare(&a, &b), XBL_MPSD_SESSION_CHANGE_TYPES_SESSION_JOINABILITY_CHANGE);
    EXPECT_OK(xbl_mpsd_session_set_locked(&b, false));
    EXPECT_OK(xbl_mpsd_session_properties_set_join_restriction(&a, XBL_MPSD_SESSION_RESTRICTION_LOCAL));
    assert_int_equal(xbl_mpsd_session_compare(&a, &b), XBL_MPSD_SESSION_CHANGE_TYPES_SESSION_JOINABILITY_CHANGE);
    EXPECT_OK(xbl_mpsd_session_properties_set_join_restriction(&b, XBL_MPSD_SESSION_RESTRICTION_LOCAL));
    assert_int_equal(xbl_mpsd_session_compare(&a, &b), XBL_MPSD_SESSION_CHANGE_TYPES_NONE);
    /* host token, ignoring case */
    memset(&t, 0, sizeof t);
    strcpy(t.value, "AbCd");
    EXPECT_OK(xbl_mpsd_session_set_host_device_token(&a, t));
    assert_int_equal(xbl_mpsd_session_compare(&a, &b), XBL_MPSD_SESSION_CHANGE_TYPES_HOST_DEVICE_TOKEN_CHANGE);
    strcpy(t.value, "aBcD");
    EXPECT_OK(xbl_mpsd_session_set_host_device_token(&b, t));
    assert_int_equal(xbl_mpsd_session_compare(&a, &b), XBL_MPSD_SESSION_CHANGE_TYPES_NONE);
    /* custom properties text, ignoring case */
    EXPECT_OK(xbl_mpsd_session_set_custom_property_json(&a, "Map", "\"Harbor\""));
    assert_int_equal(xbl_mpsd_session_compare(&a, &b), XBL_MPSD_SESSION_CHANGE_TYPES_CUSTOM_PROPERTY_CHANGE);
    EXPECT_OK(xbl_mpsd_session_set_custom_property_json(&b, "map", "\"harbor\""));
    assert_int_equal(xbl_mpsd_session_compare(&a, &b), XBL_MPSD_SESSION_CHANGE_TYPES_NONE);
    /* member list: counts differ */
    EXPECT_OK(xbl_mpsd_session_join(&a, NULL, false, false));
    assert_true((xbl_mpsd_session_compare(&a, &b) & XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_LIST_CHANGE) != 0);
    assert_true((xbl_mpsd_session_compare(&b, &a) & XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_LIST_CHANGE) != 0);
    /* same XUID on both sides, different status */
    EXPECT_OK(xbl_mpsd_session_join(&b, NULL, false, true));
    assert_int_equal(xbl_mpsd_session_compare(&a, &b), XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_STATUS_CHANGE);
    EXPECT_OK(xbl_mpsd_session_current_user_set_status(&a, XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE));
    assert_int_equal(xbl_mpsd_session_compare(&a, &b), XBL_MPSD_SESSION_CHANGE_TYPES_NONE);
    /* member custom properties, ignoring case */
    EXPECT_OK(xbl_mpsd_session_current_user_set_custom_property_json(&a, "R", "true"));
    assert_int_equal(xbl_mpsd_session_compare(&a, &b), XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_CUSTOM_PROPERTY_CHANGE);
    EXPECT_OK(xbl_mpsd_session_current_user_set_custom_property_json(&b, "r", "true"));
    assert_int_equal(xbl_mpsd_session_compare(&a, &b), XBL_MPSD_SESSION_CHANGE_TYPES_NONE);
    /* same count, different XUID */
    EXPECT_OK(xbl_mpsd_session_add_member_reservation(&a, 7, NULL, false));
    EXPECT_OK(xbl_mpsd_session_add_member_reservation(&b, 8, NULL, false));
    assert_true((xbl_mpsd_session_compare(&a, &b) & XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_LIST_CHANGE) != 0);
    /* "full" flips: a has max 3 == 3 members... on one side only */
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    EXPECT_OK(xbl_mpsd_session_init(&a, XUID1, NULL, NULL, g_arena1.b, sizeof g_arena1.b));
    EXPECT_OK(xbl_mpsd_session_init(&b, XUID1, NULL, NULL, g_arena2.b, sizeof g_arena2.b));
    EXPECT_OK(xbl_mpsd_session_constants_set_max_members_in_session(&a, 1));
    EXPECT_OK(xbl_mpsd_session_constants_set_max_members_in_session(&b, 2));
    EXPECT_OK(xbl_mpsd_session_add_member_reservation(&a, 7, NULL, false));
    EXPECT_OK(xbl_mpsd_session_add_member_reservation(&b, 7, NULL, false));
    assert_int_equal(xbl_mpsd_session_compare(&a, &b), XBL_MPSD_SESSION_CHANGE_TYPES_SESSION_JOINABILITY_CHANGE);
    /* never EVERYTHING */
    assert_int_equal(xbl_mpsd_session_compare(&a, &b) & XBL_MPSD_SESSION_CHANGE_TYPES_EVERYTHING, 0);
}

static void test_compare_service(void **state)
{
    xbl_mpsd_session a, b;
    (void)state;
    load_service(&a, g_arena1.b, sizeof g_arena1.b, DOC_410, XUID1);
    load_service(&b, g_arena2.b, sizeof g_arena2.b, DOC_410, XUID1);
    assert_int_equal(xbl_mpsd_session_compare(&a, &b), XBL_MPSD_SESSION_CHANGE_TYPES_NONE);
    EXPECT_OK(xbl_mpsd_session_current_user_set_status(&a, XBL_MPSD_SESSION_MEMBER_STATUS_INACTIVE));
    assert_int_equal(xbl_mpsd_session_compare(&a, &b), XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_STATUS_CHANGE);
    /* a local session vs a service one: the local has no members, stage differs */
    {
        xbl_mpsd_session l;
        memset(&l, 0, sizeof l);
        EXPECT_OK(xbl_mpsd_session_init(&l, XUID1, NULL, NULL, g_arena3.b, sizeof g_arena3.b));
        assert_true((xbl_mpsd_session_compare(&b, &l) & XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_LIST_CHANGE) != 0);
        assert_true((xbl_mpsd_session_compare(&b, &l) & XBL_MPSD_SESSION_CHANGE_TYPES_INITIALIZATION_STATE_CHANGE) != 0);
        assert_true((xbl_mpsd_session_compare(&b, &l) & XBL_MPSD_SESSION_CHANGE_TYPES_HOST_DEVICE_TOKEN_CHANGE) != 0);
        assert_true((xbl_mpsd_session_compare(&b, &l) & XBL_MPSD_SESSION_CHANGE_TYPES_CUSTOM_PROPERTY_CHANGE) != 0);
    }
}


/* ------------------------------------------- more service-session rules */

static const char DOC_ROLES[] =
"{\"constants\":{\"system\":{\"version\":1}},\"properties\":{\"system\":{},\"custom\":{\"caf\\u00e9\":1,\"x\":2}},"
"\"roleTypes\":{\"lfg\":{\"ownerManaged\":false,\"mutableRoleSettings\":[\"max\",\"target\"],"
"\"roles\":{\"tank\":{\"count\":0,\"target\":2,\"max\":3},\"healer\":{\"count\":0,\"max\":5}}},"
"\"maxonly\":{\"mutableRoleSettings\":[\"max\"],\"roles\":{\"m\":{\"count\":0,\"max\":2}}},"
"\"fixed\":{\"roles\":{\"x\":{\"count\":0,\"max\":1}}}},"
"\"members\":{"
"\"0\":{\"constants\":{\"system\":{\"xuid\":\"2814600000000001\"}},\"properties\":{\"system\":{},\"custom\":{\"n\":0}},\"next\":1},"
"\"1\":{\"constants\":{\"system\":{\"xuid\":\"5\"}},\"properties\":{\"system\":{}},\"next\":2},"
"\"2\":{\"constants\":{\"system\":{\"xuid\":\"2814600000000001\"}},\"properties\":{\"system\":{},\"custom\":{\"n\":2}},\"next\":3}},"
"\"membersInfo\":{\"first\":0,\"next\":3,\"count\":3,\"accepted\":3}}";

static void test_service_mutable_role_settings(void **state)
{
    xbl_mpsd_session s, d;
    const xbl_mpsd_role *role = NULL;
    uint32_t max = 4, target = 1;
    (void)state;
    load_service(&s, g_arena1.b, sizeof g_arena1.b, DOC_ROLES, XUID1);
    EXPECT_OK(xbl_mpsd_session_get_role_by_name(&s, "LFG", "Tank", &role));
    assert_non_null(role);
    assert_int_equal(role->max_member_count, 3);
    assert_int_equal(role->target_count, 2);
    assert_string_equal(role->role_type->name, "lfg");
    EXPECT_OK(xbl_mpsd_session_set_mutable_role_settings(&s, "LFG", "TANK", &max, NULL));
    assert_body(&s, "{\"roleTypes\":{\"lfg\":{\"roles\":{\"tank\":{\"max\":4,\"target\":2},\"healer\":{\"max\":5}}},"
                    "\"maxonly\":{\"roles\":{\"m\":{\"max\":2}}},\"fixed\":{\"roles\":{\"x\":{\"max\":1}}}}}");
    EXPECT_OK(xbl_mpsd_session_get_role_by_name(&s, "lfg", "tank", &role));
    assert_int_equal(role->max_member_count, 4);
    EXPECT_OK(xbl_mpsd_session_set_mutable_role_settings(&s, "lfg", "healer", NULL, &target));
    assert_body(&s, "{\"roleTypes\":{\"lfg\":{\"roles\":{\"tank\":{\"max\":4,\"target\":2},\"healer\":{\"max\":5,\"target\":1}}},"
                    "\"maxonly\":{\"roles\":{\"m\":{\"max\":2}}},\"fixed\":{\"roles\":{\"x\":{\"max\":1}}}}}");
    EXPECT_OK(xbl_mpsd_session_set_mutable_role_settings(&s, "maxonly", "m", &max, NULL));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_set_mutable_role_settings(&s, "maxonly", "m", NULL, &target));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_set_mutable_role_settings(&s, "fixed", "x", &max, NULL));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_mutable_role_settings(&s, "lfg", "nope", &max, NULL));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_mutable_role_settings(&s, "nope", "tank", &max, NULL));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_mutable_role_settings(&s, NULL, "tank", &max, NULL));
    /* copy: the role back pointers must point into the copy */
    memset(&d, 0, sizeof d);
    EXPECT_OK(xbl_mpsd_session_init(&d, 5, NULL, NULL, g_arena2.b, sizeof g_arena2.b));
    EXPECT_OK(xbl_mpsd_session_copy(&d, &s));
    xbl_mpsd_session_clear(&s);
    memset(g_arena1.b, 0xCD, sizeof g_arena1.b);
    EXPECT_OK(xbl_mpsd_session_get_role_by_name(&d, "lfg", "healer", &role));
    assert_non_null(role);
    assert_true(in_arena(role, &g_arena2));
    assert_true(in_arena(role->role_type, &g_arena2));
    assert_string_equal(role->role_type->name, "lfg");
    assert_int_equal(role->target_count, 1);
}

static void test_service_last_matching_member_is_current_user(void **state)
{
    xbl_mpsd_session s;
    const xbl_mpsd_session_member *me;
    (void)state;
    load_service(&s, g_arena1.b, sizeof g_arena1.b, DOC_ROLES, XUID1);
    me = xbl_mpsd_session_current_user(&s);
    assert_non_null(me);
    assert_int_equal(me->member_id, 2);
    assert_false(xbl_mpsd_session_get_member(&s, 0)->is_current_user);
    EXPECT_OK(xbl_mpsd_session_current_user_set_custom_property_json(&s, "z", "1"));
    assert_body(&s, "{\"members\":{\"me\":{\"properties\":{\"custom\":{\"n\":2,\"z\":1}}}}}");
}

static void test_service_custom_property_names_compare_decoded(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    load_service(&s, g_arena1.b, sizeof g_arena1.b, DOC_ROLES, XUID1);
    /* the server spelled the key with an escape; the same name replaces it in place */
    EXPECT_OK(xbl_mpsd_session_set_custom_property_json(&s, "caf\xc3\xa9", "3"));
    assert_json_ordered("{\"caf\xc3\xa9\":3,\"x\":2}", xbl_mpsd_session_session_properties(&s)->session_custom_properties_json);
    EXPECT_OK(xbl_mpsd_session_delete_custom_property_json(&s, "x"));
    EXPECT_OK(xbl_mpsd_session_set_custom_property_json(&s, "x", "[]"));
    assert_body(&s, "{\"properties\":{\"custom\":{\"caf\\u00e9\":3,\"x\":[]}}}");
    /* local: a name with escapes replaces in place too */
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_set_custom_property_json(&s, "q\"\n", "1"));
    EXPECT_OK(xbl_mpsd_session_set_custom_property_json(&s, "b", "1"));
    EXPECT_OK(xbl_mpsd_session_set_custom_property_json(&s, "q\"\n", "2"));
    assert_body(&s, "{\"properties\":{\"custom\":{\"q\\\"\\n\":2,\"b\":1}}}");
}

static void test_copy_member_initialization_pointer(void **state)
{
    xbl_mpsd_session src, dst;
    xbl_mpsd_member_initialization mi;
    const xbl_mpsd_session_constants *c;
    (void)state;
    memset(&mi, 0, sizeof mi);
    mi.join_timeout = 77;
    mi.members_needed_to_start = 3;
    su_init(&src);
    EXPECT_OK(xbl_mpsd_session_constants_set_member_initialization(&src, mi));
    memset(&dst, 0, sizeof dst);
    EXPECT_OK(xbl_mpsd_session_init(&dst, 5, NULL, NULL, g_arena2.b, sizeof g_arena2.b));
    EXPECT_OK(xbl_mpsd_session_copy(&dst, &src));
    c = xbl_mpsd_session_session_constants(&dst);
    assert_non_null(c->member_initialization);
    assert_ptr_not_equal(c->member_initialization, xbl_mpsd_session_session_constants(&src)->member_initialization);
    xbl_mpsd_session_clear(&src);
    memset(&src, 0xEE, sizeof src);
    assert_true(c->member_initialization->join_timeout == 77);
    assert_int_equal(c->member_initialization->members_needed_to_start, 3);
}

static void test_subscription_id_per_object(void **state)
{
    xbl_mpsd_session a, b;
    char ida[64], idb[64];
    (void)state;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    EXPECT_OK(xbl_mpsd_session_init(&a, XUID1, NULL, NULL, g_arena1.b, sizeof g_arena1.b));
    EXPECT_OK(xbl_mpsd_session_init(&b, XUID1, NULL, NULL, g_arena2.b, sizeof g_arena2.b));
    EXPECT_OK(xbl_mpsd_session_join(&a, NULL, false, false));
    EXPECT_OK(xbl_mpsd_session_join(&b, NULL, false, false));
    EXPECT_OK(xbl_mpsd_session_set_session_change_subscription(&a, 1));
    EXPECT_OK(xbl_mpsd_session_set_session_change_subscription(&b, 1));
    su_sub_id(&a, ida);
    su_sub_id(&b, idb);
    assert_string_not_equal(ida, idb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_eq_helper_self_check),
        cmocka_unit_test(test_reference_create),
        cmocka_unit_test(test_reference_is_valid),
        cmocka_unit_test(test_reference_to_uri_path),
        cmocka_unit_test(test_reference_parse),
        cmocka_unit_test(test_init_errors_leave_session_cleared),
        cmocka_unit_test(test_init_accepts_any_alignment),
        cmocka_unit_test(test_copy_deep_and_independent),
        cmocka_unit_test(test_copy_errors),
        cmocka_unit_test(test_copy_oom_leaves_dst_unchanged),
        cmocka_unit_test(test_clear_and_has_document),
        cmocka_unit_test(test_local_defaults),
        cmocka_unit_test(test_init_args_visible_in_getters),
        cmocka_unit_test(test_members_order_and_local_entries),
        cmocka_unit_test(test_null_session_every_function),
        cmocka_unit_test(test_no_document_every_function),
        cmocka_unit_test(test_join_leave_rules),
        cmocka_unit_test(test_current_user_setters_need_current_user),
        cmocka_unit_test(test_error_precedence),
        cmocka_unit_test(test_enum_and_count_ranges),
        cmocka_unit_test(test_service_constants_setters_unexpected),
        cmocka_unit_test(test_service_current_user_from_document),
        cmocka_unit_test(test_service_join_example_b_and_replace),
        cmocka_unit_test(test_invalid_json_fragments),
        cmocka_unit_test(test_valid_json_fragments_accepted),
        cmocka_unit_test(test_invalid_utf8_and_names),
        cmocka_unit_test(test_unterminated_fixed_arrays),
        cmocka_unit_test(test_arena_exhaustion_every_size),
        cmocka_unit_test(test_format_secure_device_address),
        cmocka_unit_test(test_compare_local),
        cmocka_unit_test(test_compare_service),
        cmocka_unit_test(test_service_mutable_role_settings),
        cmocka_unit_test(test_service_last_matching_member_is_current_user),
        cmocka_unit_test(test_service_custom_property_names_compare_decoded),
        cmocka_unit_test(test_copy_member_initialization_pointer),
        cmocka_unit_test(test_subscription_id_per_object),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
