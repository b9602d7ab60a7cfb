/* golden_bodies.h - the golden data of the session contract: request bodies
   the setters must produce and the read-back document they start from. One
   table, two runners: the host suite (tests/test_session_body.c,
   tests/test_session_model.c, under cmocka) and the on-target test
   (tests/arm/arm_test.c, on an emulated Cortex-M4). Include after xbl_mpsd.h.

   A case builds a session through the public API only and names the body
   the next write must send. Bodies are compared structurally (json_eq.h),
   with key order checked where it matters (golden_ordered). */
#ifndef GOLDEN_BODIES_H
#define GOLDEN_BODIES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define GOLDEN_UNUSED __attribute__((unused))
#else
#define GOLDEN_UNUSED
#endif

#define GOLDEN_XUID1 UINT64_C(2814600000000001)
#define GOLDEN_XUID1_STR "2814600000000001"
#define GOLDEN_XUID2 UINT64_C(2814600000000002)
#define GOLDEN_SCID "00000000-0000-0000-0000-00007a3b5c4d"
#define GOLDEN_TMPL "team-deathmatch"
#define GOLDEN_SNAME "session-49"

#define GOLDEN_EMPTY_CONSTANTS "{\"constants\":{\"system\":{\"version\":1},\"custom\":{}}}"
#define GOLDEN_CONST_BODY(sys) "{\"constants\":{\"system\":{\"version\":1," sys "},\"custom\":{}}}"
#define GOLDEN_ME_JOIN_CONSTANTS "\"constants\":{\"system\":{\"xuid\":\"" GOLDEN_XUID1_STR "\"}}"
#define GOLDEN_ME_BODY(props) "{\"members\":{\"me\":{" GOLDEN_ME_JOIN_CONSTANTS ",\"properties\":{\"system\":{" props "}}}}}"
#define GOLDEN_PROPS_BODY(sys) "{\"properties\":{\"system\":{" sys "}}}"

/* Key order that matters (MPSD §3.1 and API.md §1.5): top level, inside
   `members` (request order), inside each member (constants, roles,
   properties), custom objects (set replaces in place / appends). */
static const char *const golden_ordered[] GOLDEN_UNUSED = {
    "",
    "members",
    "members.*",
    "properties.custom",
    "members.*.properties.custom",
    NULL
};

/* MPSD §4.10 example response; read for GOLDEN_XUID1 it has a current user
   (member 0), for GOLDEN_XUID2 none. */
static const char golden_doc_410[] GOLDEN_UNUSED =
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

/* MPSD §3.4 examples B (a second user joins with a custom property) and C
   (round = 3, map deleted): the same body from a local and a read session. */
#define GOLDEN_EXAMPLE_B_BODY "{ \"members\": { \"me\": {" \
    "\"constants\":  { \"system\": { \"xuid\": \"2814600000000002\" } }," \
    "\"properties\": { \"system\": { \"active\": true }, \"custom\": { \"ready_check\": true } } } } }"
#define GOLDEN_EXAMPLE_C_BODY "{ \"properties\": { \"custom\": { \"map\": null, \"round\": 3 } } }"

/* The smallest document a write or get result accepts, and the same
   document as a 201 in three chunks (an extension, a trailer). */
#define GOLDEN_HTTP_DOC "{\"constants\":{\"system\":{\"visibility\":\"open\",\"maxMembersCount\":4}}," \
                        "\"properties\":{\"system\":{}}}"
static const char GOLDEN_CHUNKED_201[] GOLDEN_UNUSED =
    "HTTP/1.1 201 Created\r\nETag: \"e201\"\r\nTransfer-Encoding: chunked\r\n\r\n"
    "10\r\n{\"constants\":{\"s\r\n"
    "2;ext=1\r\nys\r\n"
    "4b\r\ntem\":{\"visibility\":\"open\",\"maxMembersCount\":4}},\"properties\":{\"system\":{}}}\r\n"
    "0\r\nX-Trailer: t\r\n\r\n";

#define GOLDEN_TRY(call) do { xbl_mpsd_result golden_r_ = (call); if (golden_r_ != XBL_MPSD_OK) return golden_r_; } while (0)

/* The usual start: a local session of GOLDEN_XUID1 with the golden
   reference and no init args. */
static xbl_mpsd_result golden_init_user(xbl_mpsd_session *s, uint64_t xuid, const xbl_mpsd_session_init_args *args,
                                        void *arena, size_t size)
{
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(GOLDEN_SCID, GOLDEN_TMPL, GOLDEN_SNAME);
    memset(s, 0, sizeof *s);
    return xbl_mpsd_session_init(s, xuid, &ref, args, arena, size);
}

static xbl_mpsd_result golden_init(xbl_mpsd_session *s, void *arena, size_t size)
{
    return golden_init_user(s, GOLDEN_XUID1, NULL, arena, size);
}

static xbl_mpsd_result golden_init_joined(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init(s, arena, size));
    return xbl_mpsd_session_join(s, NULL, false, false);
}

/* ---------------------------------------------------- local sessions */

static xbl_mpsd_result gb_init_example_a(xbl_mpsd_session *s, void *arena, size_t size)
{
    xbl_mpsd_session_init_args args;
    memset(&args, 0, sizeof args);
    args.max_members_in_session = 8;
    args.visibility = XBL_MPSD_SESSION_VISIBILITY_OPEN;
    args.custom_json = "{\"mode\":\"coop\",\"map\":\"harbor\"}";
    return golden_init_user(s, GOLDEN_XUID1, &args, arena, size);
}

static xbl_mpsd_result gb_initiators(xbl_mpsd_session *s, void *arena, size_t size)
{
    static const uint64_t initiators[] = { UINT64_C(2814600000000009), UINT64_C(2814600000000003), UINT64_C(17) };
    xbl_mpsd_session_init_args args;
    memset(&args, 0, sizeof args);
    args.visibility = XBL_MPSD_SESSION_VISIBILITY_PRIVATE_SESSION;
    args.initiator_xuids = initiators;
    args.initiator_xuids_count = 3;
    args.custom_json = "";
    return golden_init_user(s, GOLDEN_XUID1, &args, arena, size);
}

static xbl_mpsd_result gb_timeouts_example_g(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init(s, arena, size));
    return xbl_mpsd_session_constants_set_timeouts(s, 30000, 0, 180000, XBL_MPSD_TIMEOUT_INFINITE);
}

static xbl_mpsd_result gb_timeouts_2_52(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init(s, arena, size));
    return xbl_mpsd_session_constants_set_timeouts(s, (UINT64_C(1) << 52) - 1, UINT64_C(1) << 52, 1, 2);
}

static xbl_mpsd_result gb_qos_metrics(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init(s, arena, size));
    return xbl_mpsd_session_constants_set_qos_connectivity_metrics(s, true, false, true, false);
}

static xbl_mpsd_member_initialization golden_member_initialization(void)
{
    xbl_mpsd_member_initialization mi;
    memset(&mi, 0, sizeof mi);
    mi.join_timeout = 1000;
    mi.measurement_timeout = 2000;
    mi.evaluation_timeout = 3000;
    mi.external_evaluation = false;
    mi.members_needed_to_start = 2;
    return mi;
}

static xbl_mpsd_result gb_member_initialization(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init(s, arena, size));
    return xbl_mpsd_session_constants_set_member_initialization(s, golden_member_initialization());
}

static xbl_mpsd_result gb_peer_to_peer(xbl_mpsd_session *s, void *arena, size_t size)
{
    xbl_mpsd_peer_to_peer_requirements p;
    GOLDEN_TRY(golden_init(s, arena, size));
    p.latency_maximum = 250;
    p.bandwidth_minimum_in_kbps = 10000;
    return xbl_mpsd_session_constants_set_peer_to_peer_requirements(s, p);
}

static xbl_mpsd_result gb_measurement_servers(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init(s, arena, size));
    return xbl_mpsd_session_constants_set_measurement_server_addresses_json(s,
        " {\"server.example\": {\"secureDeviceAddress\": \"AQID\"}} \n");
}

static xbl_mpsd_result gb_capabilities(xbl_mpsd_session *s, void *arena, size_t size)
{
    xbl_mpsd_session_capabilities caps;
    GOLDEN_TRY(golden_init(s, arena, size));
    memset(&caps, 0, sizeof caps);
    caps.connectivity = true;
    caps.suppress_presence_activity_check = true;
    caps.gameplay = true;
    caps.large = true;
    caps.connection_required_for_active_members = true;
    caps.user_authorization_style = true;
    caps.crossplay = true;
    caps.searchable = true;
    caps.has_owners = true;
    return xbl_mpsd_session_constants_set_capabilities(s, caps);
}

static xbl_mpsd_result gb_cloud_compute(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init(s, arena, size));
    return xbl_mpsd_session_constants_set_cloud_compute_package_json(s, "{\"crossSandbox\":true,\"titleId\":\"4567\"}");
}

static xbl_mpsd_result gb_constants_keep_init_custom(xbl_mpsd_session *s, void *arena, size_t size)
{
    xbl_mpsd_session_init_args args;
    memset(&args, 0, sizeof args);
    args.max_members_in_session = 4;
    args.custom_json = "{\"mode\":\"coop\"}";
    GOLDEN_TRY(golden_init_user(s, GOLDEN_XUID1, &args, arena, size));
    GOLDEN_TRY(xbl_mpsd_session_constants_set_timeouts(s, 1, 2, 3, 4));
    return xbl_mpsd_session_constants_set_visibility(s, XBL_MPSD_SESSION_VISIBILITY_OPEN);
}

static const char *const golden_keywords[] GOLDEN_UNUSED = { "coop", "harbor", "caf\xc3\xa9" };

static xbl_mpsd_result gb_keywords(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init(s, arena, size));
    return xbl_mpsd_session_properties_set_keywords(s, golden_keywords, 3);
}

static const uint32_t golden_turn[] GOLDEN_UNUSED = { 2, 0, 5 };

static xbl_mpsd_result gb_turn(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init(s, arena, size));
    return xbl_mpsd_session_properties_set_turn_collection(s, golden_turn, 3);
}

#define GOLDEN_SERVERS "{\"game\":{\"constants\":{\"system\":{}},\"properties\":{\"custom\":{\"ip\":\"1.2.3.4\"}}}}"

static xbl_mpsd_result gb_raw_servers(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init(s, arena, size));
    return xbl_mpsd_session_set_raw_servers_json(s, GOLDEN_SERVERS);
}

static xbl_mpsd_result gb_host_token_example_f(xbl_mpsd_session *s, void *arena, size_t size)
{
    xbl_mpsd_device_token t;
    GOLDEN_TRY(golden_init(s, arena, size));
    memset(&t, 0, sizeof t);
    memcpy(t.value, "7d3e1f20", 9);
    return xbl_mpsd_session_set_host_device_token(s, t);
}

static xbl_mpsd_result gb_matchmaking(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init(s, arena, size));
    GOLDEN_TRY(xbl_mpsd_session_set_matchmaking_target_session_constants_json(s, "{\"system\":{\"maxMembersCount\":4}}"));
    return xbl_mpsd_session_set_matchmaking_server_connection_path(s, "srv");
}

static xbl_mpsd_result gb_bools(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init(s, arena, size));
    GOLDEN_TRY(xbl_mpsd_session_set_closed(s, false));
    GOLDEN_TRY(xbl_mpsd_session_set_locked(s, false));
    GOLDEN_TRY(xbl_mpsd_session_set_allocate_cloud_compute(s, false));
    return xbl_mpsd_session_set_matchmaking_resubmit(s, true);
}

static const char *const golden_candidates[] GOLDEN_UNUSED = { "srv-b", "srv-a" };

static xbl_mpsd_result gb_candidates(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init(s, arena, size));
    return xbl_mpsd_session_set_server_connection_string_candidates(s, golden_candidates, 2);
}

/* Example C on a local session: set map and round, then round = 3 and
   delete map. */
static xbl_mpsd_result gb_custom_example_c(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init(s, arena, size));
    GOLDEN_TRY(xbl_mpsd_session_set_custom_property_json(s, "map", "\"harbor\""));
    GOLDEN_TRY(xbl_mpsd_session_set_custom_property_json(s, "round", "2"));
    GOLDEN_TRY(xbl_mpsd_session_set_custom_property_json(s, "round", "3"));
    return xbl_mpsd_session_delete_custom_property_json(s, "map");
}

/* ...then set replaces in place, new keys append at the end. */
static xbl_mpsd_result gb_custom_replace_append(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(gb_custom_example_c(s, arena, size));
    GOLDEN_TRY(xbl_mpsd_session_set_custom_property_json(s, "z", "{\"deep\":[1,{\"x\":null}]}"));
    GOLDEN_TRY(xbl_mpsd_session_set_custom_property_json(s, "map", " \"fjord\" "));
    GOLDEN_TRY(xbl_mpsd_session_delete_custom_property_json(s, "never-set"));
    GOLDEN_TRY(xbl_mpsd_session_set_custom_property_json(s, "say \"hi\"", "\"text\""));
    return xbl_mpsd_session_set_custom_property_json(s, "t", "true");
}

static xbl_mpsd_result gb_key_order(xbl_mpsd_session *s, void *arena, size_t size)
{
    static const char *const kw[] = { "a" };
    GOLDEN_TRY(golden_init(s, arena, size));
    GOLDEN_TRY(xbl_mpsd_session_set_raw_servers_json(s, "{}"));
    GOLDEN_TRY(xbl_mpsd_session_join(s, NULL, false, false));
    GOLDEN_TRY(xbl_mpsd_session_properties_set_keywords(s, kw, 1));
    GOLDEN_TRY(xbl_mpsd_session_set_custom_property_json(s, "k", "1"));
    return xbl_mpsd_session_constants_set_max_members_in_session(s, 2);
}

static xbl_mpsd_result gb_join_active_initialize(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init(s, arena, size));
    return xbl_mpsd_session_join(s, "{\"team\":\"red\"}", true, true);
}

static xbl_mpsd_result gb_leave_example_d(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init(s, arena, size));
    return xbl_mpsd_session_leave(s);
}

static xbl_mpsd_result gb_reservations_example_e(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init(s, arena, size));
    GOLDEN_TRY(xbl_mpsd_session_add_member_reservation(s, UINT64_C(2814600000000003), "{ \"slot\": 1 }", true));
    return xbl_mpsd_session_add_member_reservation(s, UINT64_C(2814600000000004), NULL, false);
}

static xbl_mpsd_result gb_status_inactive(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init(s, arena, size));
    GOLDEN_TRY(xbl_mpsd_session_join(s, NULL, false, true));
    return xbl_mpsd_session_current_user_set_status(s, XBL_MPSD_SESSION_MEMBER_STATUS_INACTIVE);
}

static xbl_mpsd_result gb_roles_and_address(xbl_mpsd_session *s, void *arena, size_t size)
{
    xbl_mpsd_session_member_role roles[2];
    roles[0].role_type_name = "lfg";
    roles[0].role_name = "tank";
    roles[1].role_type_name = "squad";
    roles[1].role_name = "leader";
    GOLDEN_TRY(golden_init_joined(s, arena, size));
    GOLDEN_TRY(xbl_mpsd_session_current_user_set_roles(s, roles, 2));
    return xbl_mpsd_session_current_user_set_secure_device_address_base64(s, "AQ==");
}

static const uint32_t golden_group_ids[] GOLDEN_UNUSED = { 3, 1 };

static xbl_mpsd_result gb_members_in_group(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init_joined(s, arena, size));
    return xbl_mpsd_session_current_user_set_members_in_group(s, golden_group_ids, 2);
}

static const char *const golden_groups[] GOLDEN_UNUSED = { "guild-1", "friends" };
static const char *const golden_encounters[] GOLDEN_UNUSED = { "lobby-7" };

static xbl_mpsd_result gb_groups_encounters(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init_joined(s, arena, size));
    GOLDEN_TRY(xbl_mpsd_session_current_user_set_groups(s, golden_groups, 2));
    return xbl_mpsd_session_current_user_set_encounters(s, golden_encounters, 1);
}

#define GOLDEN_QOS "{\"e0f1\":{\"latency\":30,\"bandwidthDown\":900}}"
#define GOLDEN_SERVER_QOS "{\"srv\":{\"latency\":12}}"

static xbl_mpsd_result gb_qos_measurements(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init_joined(s, arena, size));
    GOLDEN_TRY(xbl_mpsd_session_current_user_set_qos_measurements(s, GOLDEN_QOS));
    return xbl_mpsd_session_current_user_set_server_qos_measurements(s, GOLDEN_SERVER_QOS);
}

/* Example B on a local session: a second user joins active with a custom
   property. */
static xbl_mpsd_result gb_member_custom_example_b(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(golden_init_user(s, GOLDEN_XUID2, NULL, arena, size));
    GOLDEN_TRY(xbl_mpsd_session_join(s, NULL, false, true));
    return xbl_mpsd_session_current_user_set_custom_property_json(s, "ready_check", "true");
}

/* ...then replace in place, append, and delete (stores null). */
static xbl_mpsd_result gb_member_custom_edits(xbl_mpsd_session *s, void *arena, size_t size)
{
    GOLDEN_TRY(gb_member_custom_example_b(s, arena, size));
    GOLDEN_TRY(xbl_mpsd_session_current_user_set_custom_property_json(s, "b", "[1,2]"));
    GOLDEN_TRY(xbl_mpsd_session_current_user_set_custom_property_json(s, "ready_check", "false"));
    GOLDEN_TRY(xbl_mpsd_session_current_user_delete_custom_property_json(s, "gone"));
    return xbl_mpsd_session_current_user_delete_custom_property_json(s, "b");
}

typedef struct golden_body {
    const char *name;
    xbl_mpsd_result (*build)(xbl_mpsd_session *s, void *arena, size_t arena_size);
    const char *body;   /* what the next write sends */
} golden_body;

static const golden_body golden_bodies[] GOLDEN_UNUSED = {
    { "init args (example A constants)", gb_init_example_a,
      "{\"constants\":{\"system\":{\"version\":1,\"maxMembersCount\":8,\"visibility\":\"open\"},"
      "\"custom\":{\"mode\":\"coop\",\"map\":\"harbor\"}}}" },
    /* MPSD §3.2: initiators as decimal strings, sorted ascending; "" custom = none */
    { "init args: initiators sorted", gb_initiators,
      GOLDEN_CONST_BODY("\"visibility\":\"private\",\"initiators\":[\"17\",\"2814600000000003\",\"2814600000000009\"]") },
    { "timeouts (example G)", gb_timeouts_example_g,
      "{ \"constants\": { \"system\": { \"version\": 1, \"reservedRemovalTimeout\": 30000, \"inactiveRemovalTimeout\": 0,"
      " \"readyRemovalTimeout\": 180000, \"sessionEmptyTimeout\": null }, \"custom\": {} } }" },
    { "timeouts at the 2^52 boundary", gb_timeouts_2_52,
      GOLDEN_CONST_BODY("\"reservedRemovalTimeout\":4503599627370495,\"inactiveRemovalTimeout\":null,"
                        "\"readyRemovalTimeout\":1,\"sessionEmptyTimeout\":2") },
    { "qos connectivity metrics", gb_qos_metrics,
      GOLDEN_CONST_BODY("\"metrics\":{\"latency\":true,\"bandwidthDown\":false,\"bandwidthUp\":true,\"custom\":false}") },
    { "member initialization", gb_member_initialization,
      GOLDEN_CONST_BODY("\"memberInitialization\":{\"joinTimeout\":1000,\"measurementTimeout\":2000,"
                        "\"externalEvaluation\":false,\"membersNeededToStart\":2}") },
    { "peer to peer requirements", gb_peer_to_peer,
      GOLDEN_CONST_BODY("\"peerToPeerRequirements\":{\"latencyMaximum\":250,\"bandwidthMinimum\":10000}") },
    { "measurement server addresses", gb_measurement_servers,
      GOLDEN_CONST_BODY("\"measurementServerAddresses\":{\"server.example\":{\"secureDeviceAddress\":\"AQID\"}}") },
    { "capabilities", gb_capabilities,
      GOLDEN_CONST_BODY("\"capabilities\":{\"connectivity\":true,\"suppressPresenceActivityCheck\":true,"
                        "\"gameplay\":true,\"large\":true,\"connectionRequiredForActiveMembers\":true,"
                        "\"userAuthorizationStyle\":true,\"crossPlay\":true,\"searchable\":true,\"hasOwners\":true}") },
    { "cloud compute package", gb_cloud_compute,
      GOLDEN_CONST_BODY("\"cloudComputePackage\":{\"crossSandbox\":true,\"titleId\":\"4567\"}") },
    { "constants setters keep the init custom", gb_constants_keep_init_custom,
      "{\"constants\":{\"system\":{\"version\":1,\"maxMembersCount\":4,\"visibility\":\"open\","
      "\"reservedRemovalTimeout\":1,\"inactiveRemovalTimeout\":2,\"readyRemovalTimeout\":3,"
      "\"sessionEmptyTimeout\":4},\"custom\":{\"mode\":\"coop\"}}}" },
    { "keywords", gb_keywords, GOLDEN_PROPS_BODY("\"keywords\":[\"coop\",\"harbor\",\"caf\\u00e9\"]") },
    { "turn collection", gb_turn, GOLDEN_PROPS_BODY("\"turn\":[2,0,5]") },
    { "raw servers", gb_raw_servers, "{\"servers\":" GOLDEN_SERVERS "}" },
    { "host device token (example F)", gb_host_token_example_f,
      "{ \"properties\": { \"system\": { \"host\": \"7d3e1f20\" } } }" },
    { "matchmaking target constants and connection path", gb_matchmaking,
      GOLDEN_PROPS_BODY("\"matchmaking\":{\"targetSessionConstants\":{\"system\":{\"maxMembersCount\":4}},"
                        "\"serverConnectionString\":\"srv\"}") },
    { "bool properties", gb_bools,
      GOLDEN_PROPS_BODY("\"closed\":false,\"locked\":false,\"allocateCloudCompute\":false,\"matchmakingResubmit\":true") },
    { "server connection string candidates", gb_candidates,
      GOLDEN_PROPS_BODY("\"serverConnectionStringCandidates\":[\"srv-b\",\"srv-a\"]") },
    { "session custom properties (example C)", gb_custom_example_c,
      GOLDEN_EXAMPLE_C_BODY },
    { "session custom: replace in place, append", gb_custom_replace_append,
      "{\"properties\":{\"custom\":{\"map\":\"fjord\",\"round\":3,\"z\":{\"deep\":[1,{\"x\":null}]},"
      "\"never-set\":null,\"say \\\"hi\\\"\":\"text\",\"t\":true}}}" },
    /* MPSD §3.1: constants, roleTypes, properties, members, servers */
    { "top-level key order", gb_key_order,
      "{\"constants\":{\"system\":{\"version\":1,\"maxMembersCount\":2},\"custom\":{}},"
      "\"properties\":{\"system\":{\"keywords\":[\"a\"]},\"custom\":{\"k\":1}},"
      "\"members\":{\"me\":{" GOLDEN_ME_JOIN_CONSTANTS "}},"
      "\"servers\":{}}" },
    { "join", golden_init_joined, "{\"members\":{\"me\":{" GOLDEN_ME_JOIN_CONSTANTS "}}}" },
    { "join active with constants and initialize", gb_join_active_initialize,
      "{\"members\":{\"me\":{\"constants\":{\"system\":{\"xuid\":\"" GOLDEN_XUID1_STR "\",\"initialize\":true},"
      "\"custom\":{\"team\":\"red\"}},\"properties\":{\"system\":{\"active\":true}}}}}" },
    { "leave (example D)", gb_leave_example_d, "{ \"members\": { \"me\": null } }" },
    { "reservations (example E)", gb_reservations_example_e,
      "{ \"members\": {"
      "\"reserve_0\": { \"constants\": { \"system\": { \"xuid\": \"2814600000000003\", \"initialize\": true }, \"custom\": { \"slot\": 1 } } },"
      "\"reserve_1\": { \"constants\": { \"system\": { \"xuid\": \"2814600000000004\" } } } } }" },
    { "join active, then inactive", gb_status_inactive, GOLDEN_ME_BODY("\"active\":false,\"ready\":false") },
    /* roles sit between constants and properties (MPSD §3.1), member-level */
    { "roles and secure device address", gb_roles_and_address,
      "{\"members\":{\"me\":{" GOLDEN_ME_JOIN_CONSTANTS ",\"roles\":{\"lfg\":\"tank\",\"squad\":\"leader\"},"
      "\"properties\":{\"system\":{\"secureDeviceAddress\":\"AQ==\"}}}}}" },
    { "members in group", gb_members_in_group, GOLDEN_ME_BODY("\"initializationGroup\":[3,1]") },
    { "groups and encounters", gb_groups_encounters,
      GOLDEN_ME_BODY("\"groups\":[\"guild-1\",\"friends\"],\"encounters\":[\"lobby-7\"]") },
    { "qos measurements", gb_qos_measurements,
      GOLDEN_ME_BODY("\"measurements\":" GOLDEN_QOS ",\"serverMeasurements\":" GOLDEN_SERVER_QOS) },
    { "member custom properties (example B)", gb_member_custom_example_b,
      GOLDEN_EXAMPLE_B_BODY },
    { "member custom: replace, append, delete", gb_member_custom_edits,
      "{\"members\":{\"me\":{\"constants\":{\"system\":{\"xuid\":\"2814600000000002\"}},"
      "\"properties\":{\"system\":{\"active\":true},\"custom\":{\"ready_check\":false,\"b\":null,\"gone\":null}}}}}" },
};

#define GOLDEN_BODY_COUNT (sizeof golden_bodies / sizeof golden_bodies[0])

/* ------------------------------------- sessions read from golden_doc_410 */

/* An existing member: only the changed properties, never constants (§5.7). */
static xbl_mpsd_result gd_current_user_address(xbl_mpsd_session *s)
{
    return xbl_mpsd_session_current_user_set_secure_device_address_base64(s, "AQID");
}

/* The member custom copy starts as the server's object; the write sends
   only the changed key. */
static xbl_mpsd_result gd_current_user_custom(xbl_mpsd_session *s)
{
    GOLDEN_TRY(gd_current_user_address(s));
    return xbl_mpsd_session_current_user_set_custom_property_json(s, "z", "2");
}

/* The session custom copy starts as the server's object (example C); the
   write sends the changed keys in call order. */
static xbl_mpsd_result gd_example_c(xbl_mpsd_session *s)
{
    GOLDEN_TRY(xbl_mpsd_session_set_custom_property_json(s, "round", "3"));
    return xbl_mpsd_session_delete_custom_property_json(s, "map");
}

/* Example B: join an existing session as a new member. */
static xbl_mpsd_result gd_example_b(xbl_mpsd_session *s)
{
    GOLDEN_TRY(xbl_mpsd_session_join(s, NULL, false, true));
    return xbl_mpsd_session_current_user_set_custom_property_json(s, "ready_check", "true");
}

typedef struct golden_doc_case {
    const char *name;
    uint64_t xuid;   /* the user the document is read for */
    xbl_mpsd_result (*build)(xbl_mpsd_session *s);
    const char *body;
} golden_doc_case;

static const golden_doc_case golden_doc_cases[] GOLDEN_UNUSED = {
    { "document: current user's address", GOLDEN_XUID1, gd_current_user_address,
      "{\"members\":{\"me\":{\"properties\":{\"system\":{\"secureDeviceAddress\":\"AQID\"}}}}}" },
    { "document: current user's custom property", GOLDEN_XUID1, gd_current_user_custom,
      "{\"members\":{\"me\":{\"properties\":{\"system\":{\"secureDeviceAddress\":\"AQID\"},\"custom\":{\"z\":2}}}}}" },
    { "document: example C", GOLDEN_XUID2, gd_example_c,
      "{ \"properties\": { \"custom\": { \"round\": 3, \"map\": null } } }" },
    { "document: example B", GOLDEN_XUID2, gd_example_b,
      GOLDEN_EXAMPLE_B_BODY },
    { "document: leave as a listed member", GOLDEN_XUID1, xbl_mpsd_session_leave, "{\"members\":{\"me\":null}}" },
};

#define GOLDEN_DOC_CASE_COUNT (sizeof golden_doc_cases / sizeof golden_doc_cases[0])

#endif /* GOLDEN_BODIES_H */
