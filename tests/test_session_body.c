/* Contract tests: the request body each setter produces (API.md §5.2, §5.4-
   §5.7; MPSD.md §3). Bodies are compared structurally with json_eq; key order
   is checked where MPSD §3.1 / API.md §1.5 make it matter. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "json_eq.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "session_util.h"

/* The golden bodies themselves live in golden_bodies.h (shared with the
   on-target test, tests/arm/); su_golden runs one case and checks it. */
#define EMPTY_CONSTANTS GOLDEN_EMPTY_CONSTANTS
#define CONST_BODY GOLDEN_CONST_BODY
#define ME_JOIN_CONSTANTS GOLDEN_ME_JOIN_CONSTANTS
#define ME_BODY GOLDEN_ME_BODY
#define PROPS_BODY GOLDEN_PROPS_BODY

/* Every case of the shared table, on the host. */
static void test_golden_bodies_table(void **state)
{
    xbl_mpsd_session s;
    size_t i;
    (void)state;
    for (i = 0; i < GOLDEN_BODY_COUNT; i++) {
        EXPECT_OK(golden_bodies[i].build(&s, g_arena1.b, sizeof g_arena1.b));
        if (!json_eq_paths(golden_bodies[i].body, su_body(&s), su_ordered))
            fail_msg("golden case '%s'", golden_bodies[i].name);
    }
}

/* ---------------------------------------------------------------- init */

static void test_init_without_args_writes_empty_object(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_init(&s);
    assert_body(&s, "{}");
}

static void test_init_with_null_reference_writes_empty_object(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    memset(&s, 0, sizeof s);
    EXPECT_OK(xbl_mpsd_session_init(&s, XUID1, NULL, NULL, g_arena1.b, sizeof g_arena1.b));
    assert_body(&s, "{}");
}

static void test_init_with_zero_args_marks_constants(void **state)
{
    xbl_mpsd_session s;
    xbl_mpsd_session_init_args args;
    xbl_mpsd_session_reference ref = su_ref();
    (void)state;
    memset(&args, 0, sizeof args);
    memset(&s, 0, sizeof s);
    EXPECT_OK(xbl_mpsd_session_init(&s, XUID1, &ref, &args, g_arena1.b, sizeof g_arena1.b));
    assert_body(&s, EMPTY_CONSTANTS);
}

static void test_init_with_args_example_a_constants(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_golden(&s, gb_init_example_a);
    assert_int_equal(xbl_mpsd_session_session_constants(&s)->max_members_in_session, 8);
}

static void test_init_args_initiators_sorted_and_visibilities(void **state)
{
    static const uint64_t initiators[] = { UINT64_C(2814600000000009), UINT64_C(2814600000000003), UINT64_C(17) };
    xbl_mpsd_session s;
    xbl_mpsd_session_init_args args;
    (void)state;
    su_golden(&s, gb_initiators);
    memset(&args, 0, sizeof args);
    assert_int_equal(xbl_mpsd_session_session_constants(&s)->initiator_xuids_count, 3);

    /* VISIBLE, FULL are written; ANY and UNKNOWN are not (API.md §3.1) */
    args.initiator_xuids = NULL;
    args.initiator_xuids_count = 0;
    args.custom_json = NULL;
    args.visibility = XBL_MPSD_SESSION_VISIBILITY_VISIBLE;
    EXPECT_OK(xbl_mpsd_session_init(&s, XUID1, NULL, &args, g_arena1.b, sizeof g_arena1.b));
    assert_body(&s, CONST_BODY("\"visibility\":\"visible\""));
    args.visibility = XBL_MPSD_SESSION_VISIBILITY_FULL;
    EXPECT_OK(xbl_mpsd_session_init(&s, XUID1, NULL, &args, g_arena1.b, sizeof g_arena1.b));
    assert_body(&s, CONST_BODY("\"visibility\":\"full\""));
    args.visibility = XBL_MPSD_SESSION_VISIBILITY_ANY;
    EXPECT_OK(xbl_mpsd_session_init(&s, XUID1, NULL, &args, g_arena1.b, sizeof g_arena1.b));
    assert_body(&s, EMPTY_CONSTANTS);
    /* initiators ignored when the count is 0, even with a non-NULL pointer */
    args.visibility = XBL_MPSD_SESSION_VISIBILITY_UNKNOWN;
    args.initiator_xuids = initiators;
    args.initiator_xuids_count = 0;
    EXPECT_OK(xbl_mpsd_session_init(&s, XUID1, NULL, &args, g_arena1.b, sizeof g_arena1.b));
    assert_body(&s, EMPTY_CONSTANTS);
}

static void test_reinit_clears_marks(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_init_joined(&s);
    EXPECT_OK(xbl_mpsd_session_set_closed(&s, true));
    su_init(&s);
    assert_body(&s, "{}");
    /* and the join state is gone too */
    EXPECT_OK(xbl_mpsd_session_join(&s, NULL, false, false));
}

/* ----------------------------------------------------- constants setters */

static void test_set_max_members(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_constants_set_max_members_in_session(&s, 12));
    assert_body(&s, CONST_BODY("\"maxMembersCount\":12"));
    assert_int_equal(xbl_mpsd_session_session_constants(&s)->max_members_in_session, 12);
    EXPECT_OK(xbl_mpsd_session_constants_set_max_members_in_session(&s, 0));
    assert_body(&s, EMPTY_CONSTANTS);
}

static void test_set_visibility(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_constants_set_visibility(&s, XBL_MPSD_SESSION_VISIBILITY_OPEN));
    assert_body(&s, CONST_BODY("\"visibility\":\"open\""));
    assert_int_equal(xbl_mpsd_session_session_constants(&s)->visibility, XBL_MPSD_SESSION_VISIBILITY_OPEN);
    EXPECT_OK(xbl_mpsd_session_constants_set_visibility(&s, XBL_MPSD_SESSION_VISIBILITY_PRIVATE_SESSION));
    assert_body(&s, CONST_BODY("\"visibility\":\"private\""));
    EXPECT_OK(xbl_mpsd_session_constants_set_visibility(&s, XBL_MPSD_SESSION_VISIBILITY_UNKNOWN));
    assert_body(&s, EMPTY_CONSTANTS);
    EXPECT_OK(xbl_mpsd_session_constants_set_visibility(&s, XBL_MPSD_SESSION_VISIBILITY_ANY));
    assert_body(&s, EMPTY_CONSTANTS);
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG,
        xbl_mpsd_session_constants_set_visibility(&s, (xbl_mpsd_session_visibility)6));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG,
        xbl_mpsd_session_constants_set_visibility(&s, (xbl_mpsd_session_visibility)-1));
}

static void test_set_timeouts_example_g(void **state)
{
    xbl_mpsd_session s;
    const xbl_mpsd_session_constants *c;
    (void)state;
    su_golden(&s, gb_timeouts_example_g);
    c = xbl_mpsd_session_session_constants(&s);
    assert_non_null(c);
    assert_true(c->member_reserved_timeout == 30000);
    assert_true(c->member_inactive_timeout == 0);
    assert_true(c->member_ready_timeout == 180000);
    assert_true(c->session_empty_timeout == XBL_MPSD_TIMEOUT_INFINITE);
    /* the 2^52 boundary */
    su_golden(&s, gb_timeouts_2_52);
}

static void test_set_qos_metrics(void **state)
{
    xbl_mpsd_session s;
    const xbl_mpsd_session_constants *c;
    (void)state;
    su_golden(&s, gb_qos_metrics);
    c = xbl_mpsd_session_session_constants(&s);
    assert_true(c->enable_metrics_latency);
    assert_false(c->enable_metrics_bandwidth_down);
    assert_true(c->enable_metrics_bandwidth_up);
    assert_false(c->enable_metrics_custom);
    EXPECT_OK(xbl_mpsd_session_constants_set_qos_connectivity_metrics(&s, false, false, false, false));
    assert_body(&s, CONST_BODY("\"metrics\":{\"latency\":false,\"bandwidthDown\":false,\"bandwidthUp\":false,\"custom\":false}"));
}

static void test_set_member_initialization(void **state)
{
    xbl_mpsd_session s;
    xbl_mpsd_member_initialization mi;
    const xbl_mpsd_session_constants *c;
    (void)state;
    su_init(&s);
    assert_null(xbl_mpsd_session_session_constants(&s)->member_initialization);
    su_golden(&s, gb_member_initialization);
    mi = golden_member_initialization();
    c = xbl_mpsd_session_session_constants(&s);
    assert_non_null(c->member_initialization);
    assert_true(c->member_initialization->join_timeout == 1000);
    assert_int_equal(c->member_initialization->members_needed_to_start, 2);

    mi.external_evaluation = true;
    mi.join_timeout = XBL_MPSD_TIMEOUT_INFINITE;
    mi.evaluation_timeout = UINT64_C(1) << 52;
    EXPECT_OK(xbl_mpsd_session_constants_set_member_initialization(&s, mi));
    assert_body(&s, CONST_BODY("\"memberInitialization\":{\"joinTimeout\":null,\"measurementTimeout\":2000,"
                               "\"evaluationTimeout\":null,\"externalEvaluation\":true,\"membersNeededToStart\":2}"));
}

static void test_set_peer_to_peer(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_golden(&s, gb_peer_to_peer);
    assert_true(xbl_mpsd_session_session_constants(&s)->peer_to_peer_requirements.bandwidth_minimum_in_kbps == 10000);
}

static void test_set_peer_to_host(void **state)
{
    static const struct { xbl_mpsd_metrics m; const char *wire; } metrics[] = {
        { XBL_MPSD_METRICS_UNKNOWN, "unknown" },
        { XBL_MPSD_METRICS_BANDWIDTH_UP, "bandwidthUp" },
        { XBL_MPSD_METRICS_BANDWIDTH_DOWN, "bandwidthDown" },
        { XBL_MPSD_METRICS_BANDWIDTH, "bandwidth" },
        { XBL_MPSD_METRICS_LATENCY, "latency" },
    };
    xbl_mpsd_session s;
    xbl_mpsd_peer_to_host_requirements p;
    char expected[512];
    size_t i;
    (void)state;
    su_init(&s);
    for (i = 0; i < sizeof metrics / sizeof metrics[0]; i++) {
        p.latency_maximum = 100;
        p.bandwidth_down_minimum_in_kbps = 2000;
        p.bandwidth_up_minimum_in_kbps = 1000;
        p.host_selection_metric = metrics[i].m;
        EXPECT_OK(xbl_mpsd_session_constants_set_peer_to_host_requirements(&s, p));
        snprintf(expected, sizeof expected,
                 CONST_BODY("\"peerToHostRequirements\":{\"latencyMaximum\":100,\"bandwidthDownMinimum\":2000,"
                            "\"bandwidthUpMinimum\":1000,\"hostSelectionMetric\":\"%s\"}"), metrics[i].wire);
        assert_body(&s, expected);
        assert_int_equal(xbl_mpsd_session_session_constants(&s)->peer_to_host_requirements.host_selection_metric, metrics[i].m);
    }
    p.host_selection_metric = (xbl_mpsd_metrics)5;
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_constants_set_peer_to_host_requirements(&s, p));
}

static void test_set_measurement_server_addresses(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_golden(&s, gb_measurement_servers);
    assert_json("{\"server.example\":{\"secureDeviceAddress\":\"AQID\"}}",
                xbl_mpsd_session_session_constants(&s)->measurement_server_addresses_json);
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_constants_set_measurement_server_addresses_json(&s, NULL));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_constants_set_measurement_server_addresses_json(&s, "{"));
}

static void test_set_capabilities(void **state)
{
    xbl_mpsd_session s;
    xbl_mpsd_session_capabilities caps;
    (void)state;
    su_golden(&s, gb_capabilities);
    assert_true(xbl_mpsd_session_session_constants(&s)->session_capabilities.crossplay);
    memset(&caps, 0, sizeof caps);
    caps.crossplay = true;
    caps.searchable = true;
    EXPECT_OK(xbl_mpsd_session_constants_set_capabilities(&s, caps));
    assert_body(&s, CONST_BODY("\"capabilities\":{\"crossPlay\":true,\"searchable\":true}"));
    memset(&caps, 0, sizeof caps);
    EXPECT_OK(xbl_mpsd_session_constants_set_capabilities(&s, caps));
    assert_body(&s, EMPTY_CONSTANTS);
}

static void test_set_cloud_compute_package(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_golden(&s, gb_cloud_compute);
    assert_json("{\"crossSandbox\":true,\"titleId\":\"4567\"}",
                xbl_mpsd_session_session_constants(&s)->session_cloud_compute_package_constants_json);
    EXPECT_OK(xbl_mpsd_session_constants_set_cloud_compute_package_json(&s, ""));
    assert_body(&s, EMPTY_CONSTANTS);
    assert_string_equal(xbl_mpsd_session_session_constants(&s)->session_cloud_compute_package_constants_json, "");
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_constants_set_cloud_compute_package_json(&s, NULL));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_constants_set_cloud_compute_package_json(&s, "{]"));
}

static void test_constants_setters_keep_init_custom(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_golden(&s, gb_constants_keep_init_custom);
    assert_json("{\"mode\":\"coop\"}", xbl_mpsd_session_session_constants(&s)->custom_json);
}

/* ------------------------------------------------ session property setters */

static void test_set_keywords(void **state)
{
    static const char *const *const kw = golden_keywords;
    static const char *const bad[] = { "coop", NULL };
    xbl_mpsd_session s;
    const xbl_mpsd_session_properties *p;
    (void)state;
    su_golden(&s, gb_keywords);
    p = xbl_mpsd_session_session_properties(&s);
    assert_int_equal(p->keyword_count, 3);
    assert_string_equal(p->keywords[1], "harbor");
    assert_string_equal(p->keywords[2], "caf\xc3\xa9");
    assert_ptr_not_equal(p->keywords[0], kw[0]);  /* copied (§1.2) */
    EXPECT_OK(xbl_mpsd_session_properties_set_keywords(&s, kw, 0));
    assert_body(&s, PROPS_BODY("\"keywords\":[]"));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_properties_set_keywords(&s, NULL, 0));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_properties_set_keywords(&s, NULL, 2));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_properties_set_keywords(&s, bad, 2));
}

static void test_set_restrictions(void **state)
{
    static const char *const wire[] = { NULL, "none", "local", "followed" };
    xbl_mpsd_session s;
    char expected[256];
    int v;
    (void)state;
    for (v = 1; v <= 3; v++) {
        su_init(&s);
        EXPECT_OK(xbl_mpsd_session_properties_set_join_restriction(&s, (xbl_mpsd_session_restriction)v));
        snprintf(expected, sizeof expected, PROPS_BODY("\"joinRestriction\":\"%s\""), wire[v]);
        assert_body(&s, expected);
        assert_int_equal(xbl_mpsd_session_session_properties(&s)->join_restriction, v);
        su_init(&s);
        EXPECT_OK(xbl_mpsd_session_properties_set_read_restriction(&s, (xbl_mpsd_session_restriction)v));
        snprintf(expected, sizeof expected, PROPS_BODY("\"readRestriction\":\"%s\""), wire[v]);
        assert_body(&s, expected);
        assert_int_equal(xbl_mpsd_session_session_properties(&s)->read_restriction, v);
    }
    /* UNKNOWN is stored but never written */
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_properties_set_join_restriction(&s, XBL_MPSD_SESSION_RESTRICTION_LOCAL));
    EXPECT_OK(xbl_mpsd_session_properties_set_join_restriction(&s, XBL_MPSD_SESSION_RESTRICTION_UNKNOWN));
    EXPECT_OK(xbl_mpsd_session_properties_set_read_restriction(&s, XBL_MPSD_SESSION_RESTRICTION_UNKNOWN));
    assert_int_equal(xbl_mpsd_session_session_properties(&s)->join_restriction, XBL_MPSD_SESSION_RESTRICTION_UNKNOWN);
    assert_body(&s, "{}");
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG,
        xbl_mpsd_session_properties_set_join_restriction(&s, (xbl_mpsd_session_restriction)4));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG,
        xbl_mpsd_session_properties_set_read_restriction(&s, (xbl_mpsd_session_restriction)4));
}

static void test_set_turn_collection(void **state)
{
    static const uint32_t *const ids = golden_turn;
    xbl_mpsd_session s;
    const xbl_mpsd_session_properties *p;
    (void)state;
    su_golden(&s, gb_turn);
    p = xbl_mpsd_session_session_properties(&s);
    assert_int_equal(p->turn_collection_count, 3);
    assert_int_equal(p->turn_collection[2], 5);
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_properties_set_turn_collection(&s, ids, 0));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_properties_set_turn_collection(&s, NULL, 0));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_properties_set_turn_collection(&s, NULL, 2));
}

static void test_set_mutable_role_settings_local_fails(void **state)
{
    xbl_mpsd_session s;
    uint32_t max = 3, target = 2;
    (void)state;
    su_init(&s);
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_mutable_role_settings(&s, "lfg", "tank", &max, &target));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_mutable_role_settings(&s, "lfg", "tank", NULL, NULL));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_mutable_role_settings(&s, NULL, "tank", &max, NULL));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_mutable_role_settings(&s, "lfg", NULL, &max, NULL));
    assert_body(&s, "{}");
}

static void test_set_raw_servers_json(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_golden(&s, gb_raw_servers);
    assert_json(GOLDEN_SERVERS, xbl_mpsd_session_raw_servers_json(&s));
    /* an object only: the service answers 400 to anything else */
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_set_raw_servers_json(&s, "42"));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_set_raw_servers_json(&s, "null"));
    EXPECT_OK(xbl_mpsd_session_set_raw_servers_json(&s, "{\"game\":null}"));
    assert_body(&s, "{\"servers\":{\"game\":null}}");
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_raw_servers_json(&s, NULL));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_set_raw_servers_json(&s, "{\"a\":1}}"));
}

static void test_set_initialization_succeeded(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_set_initialization_succeeded(&s, true));
    assert_body(&s, PROPS_BODY("\"initializationSucceeded\":true"));
    EXPECT_OK(xbl_mpsd_session_set_initialization_succeeded(&s, false));
    assert_body(&s, PROPS_BODY("\"initializationSucceeded\":false"));
}

static void test_set_host_device_token_example_f(void **state)
{
    xbl_mpsd_session s;
    xbl_mpsd_device_token t;
    (void)state;
    su_golden(&s, gb_host_token_example_f);
    assert_string_equal(xbl_mpsd_session_session_properties(&s)->host_device_token.value, "7d3e1f20");
    memset(&t, 0, sizeof t);
    EXPECT_OK(xbl_mpsd_session_set_host_device_token(&s, t));
    assert_body(&s, PROPS_BODY("\"host\":\"\""));
    /* 39 characters fit */
    memset(t.value, 'a', sizeof t.value - 1);
    t.value[sizeof t.value - 1] = '\0';
    EXPECT_OK(xbl_mpsd_session_set_host_device_token(&s, t));
    /* no NUL inside 40 bytes */
    memset(t.value, 'b', sizeof t.value);
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_host_device_token(&s, t));
}

static void test_set_matchmaking_server_connection_path(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_set_matchmaking_server_connection_path(&s, "game-01.example:3074"));
    assert_body(&s, PROPS_BODY("\"matchmaking\":{\"serverConnectionString\":\"game-01.example:3074\"}"));
    assert_string_equal(xbl_mpsd_session_session_properties(&s)->matchmaking_server_connection_string, "game-01.example:3074");
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_matchmaking_server_connection_path(&s, NULL));
}

static void test_set_matchmaking_target_session_constants(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_set_matchmaking_target_session_constants_json(&s, "{\"system\":{\"maxMembersCount\":4}}"));
    assert_body(&s, PROPS_BODY("\"matchmaking\":{\"targetSessionConstants\":{\"system\":{\"maxMembersCount\":4}}}"));
    assert_json("{\"system\":{\"maxMembersCount\":4}}",
                xbl_mpsd_session_session_properties(&s)->matchmaking_target_session_constants_json);
    /* both matchmaking sub-keys together */
    su_golden(&s, gb_matchmaking);
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_matchmaking_target_session_constants_json(&s, NULL));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_set_matchmaking_target_session_constants_json(&s, "{\"a\" 1}"));
}

static void test_set_bool_properties(void **state)
{
    xbl_mpsd_session s;
    const xbl_mpsd_session_properties *p;
    (void)state;
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_set_closed(&s, true));
    assert_body(&s, PROPS_BODY("\"closed\":true"));
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_set_locked(&s, true));   /* no local closed check */
    assert_body(&s, PROPS_BODY("\"locked\":true"));
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_set_allocate_cloud_compute(&s, true));
    assert_body(&s, PROPS_BODY("\"allocateCloudCompute\":true"));
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_set_matchmaking_resubmit(&s, false));
    assert_body(&s, PROPS_BODY("\"matchmakingResubmit\":false"));
    su_golden(&s, gb_bools);
    EXPECT_OK(xbl_mpsd_session_set_closed(&s, true));
    EXPECT_OK(xbl_mpsd_session_set_locked(&s, true));
    EXPECT_OK(xbl_mpsd_session_set_allocate_cloud_compute(&s, true));
    p = xbl_mpsd_session_session_properties(&s);
    assert_true(p->closed);
    assert_true(p->locked);
    assert_true(p->allocate_cloud_compute);
    assert_true(p->matchmaking_resubmit);
}

static void test_set_server_connection_string_candidates(void **state)
{
    static const char *const *const c = golden_candidates;
    static const char *const bad[] = { NULL };
    xbl_mpsd_session s;
    const xbl_mpsd_session_properties *p;
    (void)state;
    su_golden(&s, gb_candidates);
    p = xbl_mpsd_session_session_properties(&s);
    assert_int_equal(p->server_connection_string_candidates_count, 2);
    assert_string_equal(p->server_connection_string_candidates[0], "srv-b");
    EXPECT_OK(xbl_mpsd_session_set_server_connection_string_candidates(&s, c, 0));
    assert_body(&s, PROPS_BODY("\"serverConnectionStringCandidates\":[]"));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_server_connection_string_candidates(&s, NULL, 0));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_server_connection_string_candidates(&s, bad, 1));
}

static void test_session_custom_properties_example_c_order(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_set_custom_property_json(&s, "map", "\"harbor\""));
    EXPECT_OK(xbl_mpsd_session_set_custom_property_json(&s, "round", "2"));
    assert_body(&s, "{\"properties\":{\"custom\":{\"map\":\"harbor\",\"round\":2}}}");
    /* example C: round = 3, delete map */
    su_golden(&s, gb_custom_example_c);
    assert_json_ordered("{\"map\":null,\"round\":3}", xbl_mpsd_session_session_properties(&s)->session_custom_properties_json);
    /* set replaces in place; new keys append at the end */
    EXPECT_OK(xbl_mpsd_session_set_custom_property_json(&s, "z", "{\"deep\":[1,{\"x\":null}]}"));
    EXPECT_OK(xbl_mpsd_session_set_custom_property_json(&s, "map", " \"fjord\" "));
    EXPECT_OK(xbl_mpsd_session_delete_custom_property_json(&s, "never-set"));
    assert_body(&s, "{\"properties\":{\"custom\":{\"map\":\"fjord\",\"round\":3,\"z\":{\"deep\":[1,{\"x\":null}]},\"never-set\":null}}}");
    assert_json_ordered("{\"map\":\"fjord\",\"round\":3,\"z\":{\"deep\":[1,{\"x\":null}]},\"never-set\":null}",
                        xbl_mpsd_session_session_properties(&s)->session_custom_properties_json);
    /* scalars and escaped names */
    su_golden(&s, gb_custom_replace_append);
}

static void test_properties_and_constants_together_key_order(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_golden(&s, gb_key_order);
}

/* ------------------------------------------------------------ membership */

static void test_join_plain(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_golden(&s, golden_init_joined);
}

static void test_join_active_with_constants_and_initialize(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_golden(&s, gb_join_active_initialize);
}

static void test_example_a_create_and_join(void **state)
{
    xbl_mpsd_session s;
    xbl_mpsd_session_init_args args;
    xbl_mpsd_session_reference ref = su_ref();
    char id[64], expected[2048];
    (void)state;
    memset(&args, 0, sizeof args);
    args.max_members_in_session = 8;
    args.visibility = XBL_MPSD_SESSION_VISIBILITY_OPEN;
    args.custom_json = "{ \"mode\": \"coop\", \"map\": \"harbor\" }";
    memset(&s, 0, sizeof s);
    EXPECT_OK(xbl_mpsd_session_init(&s, XUID1, &ref, &args, g_arena1.b, sizeof g_arena1.b));
    EXPECT_OK(xbl_mpsd_session_join(&s, "{ \"team\": \"red\" }", false, true));
    EXPECT_OK(xbl_mpsd_session_set_session_change_subscription(&s,
        XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_LIST_CHANGE | XBL_MPSD_SESSION_CHANGE_TYPES_HOST_DEVICE_TOKEN_CHANGE));
    EXPECT_OK(xbl_mpsd_session_current_user_set_secure_device_address_base64(&s, "AQIDBAUG"));
    su_sub_id(&s, id);
    /* no "connection" (API.md §5.7, D15); changeTypes in ascending bit order (§5.7) */
    snprintf(expected, sizeof expected,
        "{\"constants\":{\"system\":{\"version\":1,\"maxMembersCount\":8,\"visibility\":\"open\"},"
        "\"custom\":{\"mode\":\"coop\",\"map\":\"harbor\"}},"
        "\"members\":{\"me\":{\"constants\":{\"system\":{\"xuid\":\"2814600000000001\"},\"custom\":{\"team\":\"red\"}},"
        "\"properties\":{\"system\":{\"active\":true,"
        "\"subscription\":{\"id\":\"%s\",\"changeTypes\":[\"host\",\"membersList\"]},"
        "\"secureDeviceAddress\":\"AQIDBAUG\"}}}}}", id);
    assert_body(&s, expected);
}

static void test_leave_example_d(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_golden(&s, gb_leave_example_d);
    EXPECT_OK(xbl_mpsd_session_leave(&s));   /* again: allowed, nothing more */
    assert_body(&s, "{\"members\":{\"me\":null}}");
}

static void test_reservations_example_e(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_golden(&s, gb_reservations_example_e);
}

static void test_reservations_with_join_order_and_no_dedup(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_add_member_reservation(&s, UINT64_C(7), NULL, false));
    EXPECT_OK(xbl_mpsd_session_join(&s, NULL, false, false));
    EXPECT_OK(xbl_mpsd_session_add_member_reservation(&s, XUID1, NULL, false));  /* no de-duplication */
    EXPECT_OK(xbl_mpsd_session_add_member_reservation(&s, UINT64_C(7), NULL, false));
    /* MPSD §3.1: members in request order. The join entry is written as "me";
       the contract does not fix where "me" goes among the reserve_k keys, so
       compare without member-key order here but check reserve order. */
    assert_true(json_eq(
        "{\"members\":{\"reserve_0\":{\"constants\":{\"system\":{\"xuid\":\"7\"}}},"
        "\"me\":{" ME_JOIN_CONSTANTS "},"
        "\"reserve_1\":{\"constants\":{\"system\":{\"xuid\":\"" XUID1_STR "\"}}},"
        "\"reserve_2\":{\"constants\":{\"system\":{\"xuid\":\"7\"}}}}}", su_body(&s)));
    {
        const char *b = su_body(&s);
        const char *r0 = strstr(b, "\"reserve_0\""), *r1 = strstr(b, "\"reserve_1\""), *r2 = strstr(b, "\"reserve_2\"");
        assert_non_null(r0);
        assert_non_null(r1);
        assert_non_null(r2);
        assert_true(r0 < r1 && r1 < r2);
    }
}

/* ---------------------------------------------------- current-user setters */

static void test_subscription(void **state)
{
    xbl_mpsd_session s;
    char id[64], id2[64], expected[1024];
    (void)state;
    su_init_joined(&s);
    EXPECT_OK(xbl_mpsd_session_set_session_change_subscription(&s, 0x1FF));
    su_sub_id(&s, id);
    snprintf(expected, sizeof expected, ME_BODY("\"subscription\":{\"id\":\"%s\",\"changeTypes\":["
        "\"everything\",\"host\",\"initialization\",\"matchmakingStatus\",\"membersList\",\"membersStatus\","
        "\"joinability\",\"customProperty\",\"membersCustomProperty\"]}"), id);
    assert_body(&s, expected);
    assert_int_equal(xbl_mpsd_session_subscribed_change_types(&s), 0x1FF);
    /* NONE: empty list, same id (drawn at init) */
    EXPECT_OK(xbl_mpsd_session_set_session_change_subscription(&s, XBL_MPSD_SESSION_CHANGE_TYPES_NONE));
    su_sub_id(&s, id2);
    assert_string_equal(id, id2);
    snprintf(expected, sizeof expected, ME_BODY("\"subscription\":{\"id\":\"%s\",\"changeTypes\":[]}"), id);
    assert_body(&s, expected);
    assert_int_equal(xbl_mpsd_session_subscribed_change_types(&s), 0);
    EXPECT_OK(xbl_mpsd_session_set_session_change_subscription(&s, XBL_MPSD_SESSION_CHANGE_TYPES_CUSTOM_PROPERTY_CHANGE
                                                                   | XBL_MPSD_SESSION_CHANGE_TYPES_EVERYTHING));
    snprintf(expected, sizeof expected, ME_BODY("\"subscription\":{\"id\":\"%s\",\"changeTypes\":[\"everything\",\"customProperty\"]}"), id);
    assert_body(&s, expected);
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_session_change_subscription(&s, 0x200));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_session_change_subscription(&s, 0x400 | 0x1));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_set_session_change_subscription(&s, 0x80000000u));
    assert_null(strstr(su_body(&s), "connection"));
}

static void test_set_status(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_init_joined(&s);
    EXPECT_OK(xbl_mpsd_session_current_user_set_status(&s, XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE));
    assert_body(&s, ME_BODY("\"active\":true"));
    assert_int_equal(xbl_mpsd_session_current_user(&s)->status, XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE);
    EXPECT_OK(xbl_mpsd_session_current_user_set_status(&s, XBL_MPSD_SESSION_MEMBER_STATUS_INACTIVE));
    assert_body(&s, ME_BODY("\"active\":false,\"ready\":false"));
    assert_int_equal(xbl_mpsd_session_current_user(&s)->status, XBL_MPSD_SESSION_MEMBER_STATUS_INACTIVE);
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_set_status(&s, XBL_MPSD_SESSION_MEMBER_STATUS_READY));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_UNEXPECTED, xbl_mpsd_session_current_user_set_status(&s, XBL_MPSD_SESSION_MEMBER_STATUS_RESERVED));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_status(&s, (xbl_mpsd_session_member_status)4));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_status(&s, (xbl_mpsd_session_member_status)-1));
    /* join active, then inactive */
    su_golden(&s, gb_status_inactive);
}

static void test_set_secure_device_address(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_init_joined(&s);
    EXPECT_OK(xbl_mpsd_session_current_user_set_secure_device_address_base64(&s, "AQIDBAUG"));
    assert_body(&s, ME_BODY("\"secureDeviceAddress\":\"AQIDBAUG\""));
    assert_string_equal(xbl_mpsd_session_current_user(&s)->secure_device_base_address64, "AQIDBAUG");
    EXPECT_OK(xbl_mpsd_session_current_user_set_secure_device_address_base64(&s, "not base64 at all!"));
    EXPECT_OK(xbl_mpsd_session_current_user_set_secure_device_address_base64(&s, ""));
    assert_body(&s, ME_BODY("\"secureDeviceAddress\":\"\""));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_secure_device_address_base64(&s, NULL));
}

static void test_set_roles(void **state)
{
    xbl_mpsd_session s;
    xbl_mpsd_session_member_role roles[2];
    const xbl_mpsd_session_member *me;
    (void)state;
    su_init_joined(&s);
    roles[0].role_type_name = "lfg";
    roles[0].role_name = "tank";
    roles[1].role_type_name = "squad";
    roles[1].role_name = "leader";
    EXPECT_OK(xbl_mpsd_session_current_user_set_roles(&s, roles, 2));
    /* roles sit between constants and properties (MPSD §3.1), member-level */
    assert_body(&s, "{\"members\":{\"me\":{" ME_JOIN_CONSTANTS ",\"roles\":{\"lfg\":\"tank\",\"squad\":\"leader\"}}}}");
    me = xbl_mpsd_session_current_user(&s);
    assert_int_equal(me->roles_count, 2);
    assert_string_equal(me->roles[1].role_type_name, "squad");
    assert_string_equal(me->roles[1].role_name, "leader");
    su_golden(&s, gb_roles_and_address);
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_roles(&s, NULL, 0));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_roles(&s, NULL, 1));
    roles[1].role_name = NULL;
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_roles(&s, roles, 2));
    roles[1].role_name = "leader";
    roles[0].role_type_name = NULL;
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_roles(&s, roles, 2));
}

static void test_set_members_in_group(void **state)
{
    static const uint32_t *const ids = golden_group_ids;
    xbl_mpsd_session s;
    const xbl_mpsd_session_member *me;
    (void)state;
    su_golden(&s, gb_members_in_group);
    me = xbl_mpsd_session_current_user(&s);
    assert_int_equal(me->members_in_group_count, 2);
    assert_int_equal(me->members_in_group_ids[0], 3);
    EXPECT_OK(xbl_mpsd_session_current_user_set_members_in_group(&s, ids, 0));
    assert_body(&s, ME_BODY("\"initializationGroup\":[]"));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_members_in_group(&s, NULL, 0));
}

static void test_set_groups_and_encounters(void **state)
{
    static const char *const bad[] = { "x", NULL };
    xbl_mpsd_session s;
    const xbl_mpsd_session_member *me;
    (void)state;
    su_init_joined(&s);
    EXPECT_OK(xbl_mpsd_session_current_user_set_groups(&s, golden_groups, 2));
    assert_body(&s, ME_BODY("\"groups\":[\"guild-1\",\"friends\"]"));
    su_golden(&s, gb_groups_encounters);
    me = xbl_mpsd_session_current_user(&s);
    assert_int_equal(me->groups_count, 2);
    assert_string_equal(me->groups[1], "friends");
    assert_int_equal(me->encounters_count, 1);
    assert_string_equal(me->encounters[0], "lobby-7");
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_groups(&s, NULL, 0));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_encounters(&s, NULL, 0));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_groups(&s, bad, 2));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_encounters(&s, bad, 2));
}

static void test_set_qos_measurements(void **state)
{
    xbl_mpsd_session s;
    const xbl_mpsd_session_member *me;
    (void)state;
    su_init_joined(&s);
    EXPECT_OK(xbl_mpsd_session_current_user_set_qos_measurements(&s, GOLDEN_QOS));
    assert_body(&s, ME_BODY("\"measurements\":" GOLDEN_QOS));
    su_golden(&s, gb_qos_measurements);
    me = xbl_mpsd_session_current_user(&s);
    assert_json(GOLDEN_QOS, me->qos_measurements_json);
    assert_json(GOLDEN_SERVER_QOS, me->server_measurements_json);
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_qos_measurements(&s, NULL));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALIDARG, xbl_mpsd_session_current_user_set_server_qos_measurements(&s, NULL));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_current_user_set_qos_measurements(&s, "{} {}"));
    EXPECT_FAIL_UNCHANGED(&s, XBL_MPSD_E_INVALID_JSON_STRING, xbl_mpsd_session_current_user_set_server_qos_measurements(&s, ""));
}

static void test_member_custom_properties_example_b(void **state)
{
    xbl_mpsd_session s;
    const xbl_mpsd_session_member *me;
    (void)state;
    memset(&s, 0, sizeof s);
    EXPECT_OK(xbl_mpsd_session_init(&s, UINT64_C(2814600000000002), NULL, NULL, g_arena1.b, sizeof g_arena1.b));
    EXPECT_OK(xbl_mpsd_session_join(&s, NULL, false, true));
    me = xbl_mpsd_session_current_user(&s);
    assert_non_null(me);
    assert_string_equal(me->custom_properties_json, "{}");
    su_golden(&s, gb_member_custom_example_b);
    /* replace in place, append, delete stores null */
    su_golden(&s, gb_member_custom_edits);
    assert_json_ordered("{\"ready_check\":false,\"b\":null,\"gone\":null}",
                        xbl_mpsd_session_current_user(&s)->custom_properties_json);
    /* the session object is unaffected */
    assert_string_equal(xbl_mpsd_session_session_properties(&s)->session_custom_properties_json, "{}");
}

static void test_all_current_user_fields_together(void **state)
{
    static const uint32_t ids[] = { 0 };
    static const char *const g[] = { "g" };
    xbl_mpsd_session s;
    xbl_mpsd_session_member_role role;
    char id[64], expected[2048];
    (void)state;
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_join(&s, "{\"c\":1}", true, false));
    EXPECT_OK(xbl_mpsd_session_current_user_set_custom_property_json(&s, "p", "1"));
    EXPECT_OK(xbl_mpsd_session_current_user_set_server_qos_measurements(&s, "{}"));
    EXPECT_OK(xbl_mpsd_session_current_user_set_qos_measurements(&s, "{}"));
    EXPECT_OK(xbl_mpsd_session_current_user_set_encounters(&s, g, 1));
    EXPECT_OK(xbl_mpsd_session_current_user_set_groups(&s, g, 1));
    EXPECT_OK(xbl_mpsd_session_current_user_set_members_in_group(&s, ids, 1));
    role.role_type_name = "t";
    role.role_name = "r";
    EXPECT_OK(xbl_mpsd_session_current_user_set_roles(&s, &role, 1));
    EXPECT_OK(xbl_mpsd_session_current_user_set_secure_device_address_base64(&s, "AA=="));
    EXPECT_OK(xbl_mpsd_session_set_session_change_subscription(&s, XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_STATUS_CHANGE));
    EXPECT_OK(xbl_mpsd_session_current_user_set_status(&s, XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE));
    su_sub_id(&s, id);
    snprintf(expected, sizeof expected,
        "{\"members\":{\"me\":{\"constants\":{\"system\":{\"xuid\":\"" XUID1_STR "\",\"initialize\":true},\"custom\":{\"c\":1}},"
        "\"roles\":{\"t\":\"r\"},"
        "\"properties\":{\"system\":{\"active\":true,\"subscription\":{\"id\":\"%s\",\"changeTypes\":[\"membersStatus\"]},"
        "\"secureDeviceAddress\":\"AA==\",\"initializationGroup\":[0],\"groups\":[\"g\"],\"encounters\":[\"g\"],"
        "\"measurements\":{},\"serverMeasurements\":{}},\"custom\":{\"p\":1}}}}}", id);
    assert_body(&s, expected);
}

static void test_writing_body_does_not_clear_marks(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_set_closed(&s, true));
    assert_body(&s, PROPS_BODY("\"closed\":true"));
    assert_body(&s, PROPS_BODY("\"closed\":true"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_bodies_table),
        cmocka_unit_test(test_init_without_args_writes_empty_object),
        cmocka_unit_test(test_init_with_null_reference_writes_empty_object),
        cmocka_unit_test(test_init_with_zero_args_marks_constants),
        cmocka_unit_test(test_init_with_args_example_a_constants),
        cmocka_unit_test(test_init_args_initiators_sorted_and_visibilities),
        cmocka_unit_test(test_reinit_clears_marks),
        cmocka_unit_test(test_set_max_members),
        cmocka_unit_test(test_set_visibility),
        cmocka_unit_test(test_set_timeouts_example_g),
        cmocka_unit_test(test_set_qos_metrics),
        cmocka_unit_test(test_set_member_initialization),
        cmocka_unit_test(test_set_peer_to_peer),
        cmocka_unit_test(test_set_peer_to_host),
        cmocka_unit_test(test_set_measurement_server_addresses),
        cmocka_unit_test(test_set_capabilities),
        cmocka_unit_test(test_set_cloud_compute_package),
        cmocka_unit_test(test_constants_setters_keep_init_custom),
        cmocka_unit_test(test_set_keywords),
        cmocka_unit_test(test_set_restrictions),
        cmocka_unit_test(test_set_turn_collection),
        cmocka_unit_test(test_set_mutable_role_settings_local_fails),
        cmocka_unit_test(test_set_raw_servers_json),
        cmocka_unit_test(test_set_initialization_succeeded),
        cmocka_unit_test(test_set_host_device_token_example_f),
        cmocka_unit_test(test_set_matchmaking_server_connection_path),
        cmocka_unit_test(test_set_matchmaking_target_session_constants),
        cmocka_unit_test(test_set_bool_properties),
        cmocka_unit_test(test_set_server_connection_string_candidates),
        cmocka_unit_test(test_session_custom_properties_example_c_order),
        cmocka_unit_test(test_properties_and_constants_together_key_order),
        cmocka_unit_test(test_join_plain),
        cmocka_unit_test(test_join_active_with_constants_and_initialize),
        cmocka_unit_test(test_example_a_create_and_join),
        cmocka_unit_test(test_leave_example_d),
        cmocka_unit_test(test_reservations_example_e),
        cmocka_unit_test(test_reservations_with_join_order_and_no_dedup),
        cmocka_unit_test(test_subscription),
        cmocka_unit_test(test_set_status),
        cmocka_unit_test(test_set_secure_device_address),
        cmocka_unit_test(test_set_roles),
        cmocka_unit_test(test_set_members_in_group),
        cmocka_unit_test(test_set_groups_and_encounters),
        cmocka_unit_test(test_set_qos_measurements),
        cmocka_unit_test(test_member_custom_properties_example_b),
        cmocka_unit_test(test_all_current_user_fields_together),
        cmocka_unit_test(test_writing_body_does_not_clear_marks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
