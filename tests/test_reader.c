/* Response reader tests: xbl_mpsd__session_load (API.md §4, §6.3; MPSD.md
   §4). Every field is checked through the public getters. Documents are
   written with ' for " and converted at run time (q()). */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#define XUID1 UINT64_C(2814600000000001)
#define XUID2 UINT64_C(2814600000000002)
#define T_2024_03_01_10_00_00 ((time_t)1709287200)

#define ARENA_SIZE (1u << 20)
#define SCRATCH_CAP 16384   /* bytes: the reader's walker state */
#define TEXT_CAP (1u << 18)

typedef union rt_arena { unsigned char b[ARENA_SIZE]; uint64_t u; void *p; } rt_arena;
static rt_arena g_arena, g_snap_arena;
static union { unsigned char b[SCRATCH_CAP]; uint64_t u; void *p; } g_scratch_mem;
#define g_scratch g_scratch_mem.b
static char g_text[TEXT_CAP];
static char g_text2[TEXT_CAP];

static const xbl_mpsd_session_reference g_ref = {
    "00000000-0000-0000-0000-00007a3b5c4d", "team-deathmatch", "session-49"
};

/* ' → " (the documents below use no apostrophes) */
static const char *q_into(char *buf, const char *src)
{
    size_t i;
    for (i = 0; src[i]; i++) buf[i] = src[i] == '\'' ? '"' : src[i];
    buf[i] = '\0';
    return buf;
}
static const char *q(const char *src) { return q_into(g_text, src); }

static xbl_mpsd__response_meta meta_for(uint64_t xuid)
{
    xbl_mpsd__response_meta m;
    memset(&m, 0, sizeof m);
    m.xuid = xuid;
    m.reference = &g_ref;
    m.etag = "\"0x8D9-etag\"";
    m.etag_len = strlen(m.etag);
    m.date = (time_t)1709290000;
    m.write_status = XBL_MPSD_WRITE_SESSION_STATUS_UPDATED;
    return m;
}

static void new_session(xbl_mpsd_session *s, unsigned char *arena, size_t size)
{
    memset(s, 0, sizeof *s);
    xbl_mpsd__session_reset(s, arena, size);
    s->xuid = XUID1;
}

static xbl_mpsd_result load_as(xbl_mpsd_session *s, const char *body, uint64_t xuid)
{
    xbl_mpsd__response_meta m = meta_for(xuid);
    size_t need = 0;
    return xbl_mpsd__session_load(s, body, strlen(body), &m, g_scratch, SCRATCH_CAP, &need, NULL);
}

static xbl_mpsd_result load(xbl_mpsd_session *s, const char *body)
{
    return load_as(s, body, XUID1);
}

/* ------------------------------------------------------------ documents */

/* Two members (0 and 3), every field the reader knows. */
static const char DOC_FULL_1[] =
"{"
" 'contractVersion': 107,"
" 'branch': '1a6f0c3e-2b7d-4d51-8e90-3c4b5a6d7e8f',"
" 'changeNumber': 12,"
" 'correlationId': '7c9e1b2a-44f0-4a1c-9d3e-0f1e2d3c4b5a',"
" 'searchHandle': '5d2c9a10-0000-4000-8000-0000000000aa',"
" 'startTime': '2024-03-01T10:00:00.0000000Z',"
" 'nextTimer': '2024-03-01T10:01:40.123Z',"
" 'initializing': { 'stage': 'Measuring', 'stageStartTime': '2024-03-01T10:00:30Z', 'episode': 1 },"
" 'hostCandidates': [ 'ab90a362', '99582e67' ],"
" 'roleTypes': {"
"   'lfg': { 'ownerManaged': true, 'mutableRoleSettings': [ 'max', 'TARGET', 'bogus' ],"
"            'roles': { 'confirmed': { 'count': 2, 'target': 3, 'max': 4,"
"                                      'memberXuids': [ '2814600000000001', '2814600000000002' ] },"
"                       'waitlist': { 'count': 0, 'max': 10 } } },"
"   'class': { 'roles': { 'healer': { 'count': 1, 'max': 1, 'memberXuids': [ '2814600000000002' ] } } }"
" },";
static const char DOC_FULL_2[] =
" 'constants': {"
"   'system': { 'version': 1, 'maxMembersCount': 8, 'visibility': 'Open',"
"     'initiators': [ '2814600000000001', '18446744073709551615' ],"
"     'reservedRemovalTimeout': 30000, 'inactiveRemovalTimeout': null, 'readyRemovalTimeout': 180000,"
"     'metrics': { 'latency': true, 'bandwidthDown': false, 'bandwidthUp': true, 'custom': true },"
"     'memberInitialization': { 'joinTimeout': 10000, 'measurementTimeout': 30000, 'evaluationTimeout': 5000,"
"                               'externalEvaluation': true, 'membersNeededToStart': 2 },"
"     'peerToPeerRequirements': { 'latencyMaximum': 250, 'bandwidthMinimum': 10000 },"
"     'peerToHostRequirements': { 'latencyMaximum': 200, 'bandwidthDownMinimum': 100000,"
"                                 'bandwidthUpMinimum': 1000, 'hostSelectionMetric': 'bandwidthdown' },"
"     'measurementServerAddresses': { 'eastus.example.net': { 'secureDeviceAddress': 'AAEC' } },"
"     'cloudComputePackage': { 'titleId': '1234', 'gsiSet': 'x' },"
"     'capabilities': { 'connectivity': true, 'suppressPresenceActivityCheck': true, 'gameplay': true,"
"                       'large': false, 'connectionRequiredForActiveMembers': true,"
"                       'userAuthorizationStyle': true, 'crossPlay': true, 'searchable': true,"
"                       'hasOwners': true, 'clientMatchmaking': true, 'team': true },"
"     'inviteProtocol': 'game', 'someFutureKey': { 'x': [ null ] } },"
"   'custom': {'mode': 'coop',  'nested': [1, 2.5e3, {'k': 'v\\u00e9'}]}"
" },"
" 'properties': {"
"   'system': { 'keywords': [ 'fast', 'fun' ], 'turn': [ 0 ], 'joinRestriction': 'followed',"
"     'readRestriction': 'LOCAL',"
"     'matchmaking': { 'targetSessionConstants': {'system': {'maxMembersCount': 4}},"
"                      'serverConnectionString': 'server-1' },"
"     'serverConnectionStringCandidates': [ 'a.example', 'b.example' ],"
"     'owners': [ 0, 3 ], 'host': 'ab90a362', 'closed': true, 'locked': true,"
"     'allocateCloudCompute': true, 'matchmakingResubmit': true },"
"   'custom': {'round': 3, 'name': 'caf\\u00e9'}"
" },";
static const char DOC_FULL_3[] =
" 'members': {"
"   '3': {"
"     'constants': { 'system': { 'xuid': '2814600000000002' } },"
"     'properties': { 'system': { 'ready': true } },"
"     'roles': null,"
"     'gamertag': '\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9',"
"     'reserved': true, 'joinTime': '2024-03-01T10:01:10Z', 'nat': 'weird',"
"     'initializationFailure': 'meteor', 'next': 5"
"   },"
"   '0': {"
"     'constants': { 'system': { 'xuid': '2814600000000001', 'initialize': true,"
"                                'matchmakingResult': { 'serverMeasurements': {'east': {'latency': 20}} } },"
"                    'custom': {'matchmakingResult': {'initialTeam': 'red'}, 'slot': 1} },"
"     'properties': { 'system': { 'active': true, 'ready': true, 'secureDeviceAddress': 'AQIDBAUG',"
"                                 'initializationGroup': [ 0, 3 ], 'groups': [ 'g1' ],"
"                                 'encounters': [ 'e1', 'e2' ],"
"                                 'measurements': {'99582e67': {'latency': 10}},"
"                                 'serverMeasurements': {'east': {'latency': 30}},"
"                                 'subscription': { 'id': 'C0FFEE', 'changeTypes': [ 'host', 'MembersList',"
"                                                   'customProperty', 'unknownThing' ] } },"
"                     'custom': {'ready': 'yes'} },"
"     'roles': { 'lfg': 'confirmed', 'class': 'tank' },"
"     'gamertag': 'PlayerOne', 'deviceToken': 'ab90a362', 'nat': 'Moderate', 'activeTitleId': '1234567890',"
"     'joinTime': '2024-03-01T10:00:00Z', 'turn': true, 'initializationFailure': 'bandwidthdown',"
"     'initializationEpisode': 1, 'next': 3"
"   }"
" },"
" 'membersInfo': { 'first': 0, 'next': 5, 'count': 2, 'accepted': 1 },"
" 'servers': {'matchmaking': {'properties': {'system': {'status': 'Found', 'statusDetails': 'done',"
"   'typicalWait': 42, 'targetSessionRef': {'scid': '00000000-0000-0000-0000-00007a3b5c4d',"
"   'templateName': 'target-tmpl', 'name': 'target-name'}}}}, 'other': {'constants': {}}}"
"}";

/* the three parts joined (C99 caps string literals at 4095 bytes) */
static const char *full_doc(void)
{
    static char buf[sizeof DOC_FULL_1 + sizeof DOC_FULL_2 + sizeof DOC_FULL_3];
    strcpy(buf, DOC_FULL_1);
    strcat(buf, DOC_FULL_2);
    strcat(buf, DOC_FULL_3);
    return buf;
}
#define DOC_FULL full_doc()

/* MPSD.md §4.10, verbatim. */
static const char DOC_MPSD_EXAMPLE[] =
"{\n"
"  'contractVersion': 107,\n"
"  'branch': '1a6f0c3e-2b7d-4d51-8e90-3c4b5a6d7e8f',\n"
"  'changeNumber': 3,\n"
"  'correlationId': '7c9e1b2a-44f0-4a1c-9d3e-0f1e2d3c4b5a',\n"
"  'startTime': '2024-03-01T10:00:00.0000000Z',\n"
"  'nextTimer': '2024-03-01T10:01:40.0000000Z',\n"
"  'constants': {\n"
"    'system': { 'version': 1, 'maxMembersCount': 8, 'visibility': 'open',\n"
"                'reservedRemovalTimeout': 30000, 'inactiveRemovalTimeout': 0,\n"
"                'readyRemovalTimeout': 180000, 'sessionEmptyTimeout': 0,\n"
"                'capabilities': { 'connectivity': true, 'gameplay': true } },\n"
"    'custom': { 'mode': 'coop', 'map': 'harbor' }\n"
"  },\n"
"  'properties': {\n"
"    'system': { 'turn': [], 'joinRestriction': 'none', 'host': '7d3e1f20' },\n"
"    'custom': { 'round': 3 }\n"
"  },\n"
"  'members': {\n"
"    '0': {\n"
"      'constants':  { 'system': { 'xuid': '2814600000000001' }, 'custom': { 'team': 'red' } },\n"
"      'properties': { 'system': { 'active': true, 'secureDeviceAddress': 'AQIDBAUG' }, 'custom': {} },\n"
"      'gamertag': 'PlayerOne', 'deviceToken': '7d3e1f20', 'nat': 'open',\n"
"      'activeTitleId': '1234567890', 'joinTime': '2024-03-01T10:00:00.0000000Z', 'next': 2\n"
"    },\n"
"    '2': {\n"
"      'constants':  { 'system': { 'xuid': '2814600000000003', 'initialize': true }, 'custom': { 'slot': 1 } },\n"
"      'properties': { 'system': {}, 'custom': {} },\n"
"      'reserved': true, 'joinTime': '2024-03-01T10:01:10.0000000Z', 'next': 3\n"
"    }\n"
"  },\n"
"  'membersInfo': { 'first': 0, 'next': 3, 'count': 2, 'accepted': 1 },\n"
"  'servers': {}\n"
"}\n";

#define M_OK(n) "{'constants': {'system': {'xuid': '1'}}, 'properties': {'system': {}}, 'next': " #n "}"
#define DOC_M(members, first, next) "{'constants': {'system': {}}, 'properties': {'system': {}}, 'members': {" members "}, 'membersInfo': {'first': " #first ", 'next': " #next "}}"

static const char DOC_MIN[] = "{'constants':{'system':{}},'properties':{'system':{}}}";

/* ------------------------------------------------------------ helpers */

static void assert_raw(const char *actual, const char *expected_q)
{
    char buf[4096];
    assert_non_null(actual);
    assert_string_equal(actual, q_into(buf, expected_q));
}

/* Snapshot of a session and its arena's used bytes. */
typedef struct snap { xbl_mpsd_session s; size_t used; } snap;
static snap g_snap;

static void take_snap(const xbl_mpsd_session *s)
{
    memcpy(&g_snap.s, s, sizeof *s);
    g_snap.used = s->arena.used;
    memcpy(g_snap_arena.b, s->arena.base, s->arena.size);
}

static void assert_snap(const xbl_mpsd_session *s)
{
    assert_memory_equal(&g_snap.s, s, sizeof *s);
    assert_memory_equal(g_snap_arena.b, s->arena.base, s->arena.size);
}

/* ------------------------------------------------------------ full doc */

static void test_full_document(void **state)
{
    xbl_mpsd_session s;
    const xbl_mpsd_session_info *info;
    const xbl_mpsd_session_constants *c;
    const xbl_mpsd_session_properties *p;
    const xbl_mpsd_session_member *members, *m;
    const xbl_mpsd_role_type *types;
    const xbl_mpsd_role *role;
    const xbl_mpsd_device_token *hc;
    const xbl_mpsd_matchmaking_server *ms;
    const xbl_mpsd_session_initialization_info *ii;
    size_t n, i;
    (void)state;

    new_session(&s, g_arena.b, ARENA_SIZE);
    assert_int_equal(load(&s, q(DOC_FULL)), XBL_MPSD_OK);
    assert_true(xbl_mpsd_session_has_document(&s));
    assert_int_equal(s.state, XBL_MPSD__STATE_DOCUMENT | XBL_MPSD__STATE_SERVICE);
    assert_int_equal(s.dirty, 0);
    assert_int_equal(s.me_dirty, 0);
    assert_true(s.joined_index == SIZE_MAX);
    assert_int_equal(strlen(s.subscription_id), 36);
    print_message("arena bytes used by the 2-member document: %zu\n", s.arena.used);

    /* meta */
    assert_string_equal(xbl_mpsd_session_etag(&s), "\"0x8D9-etag\"");
    assert_true(xbl_mpsd_session_time_of_session(&s) == (time_t)1709290000);
    assert_int_equal(xbl_mpsd_session_write_status(&s), XBL_MPSD_WRITE_SESSION_STATUS_UPDATED);
    assert_string_equal(xbl_mpsd_session_session_reference(&s)->scid, g_ref.scid);
    assert_string_equal(xbl_mpsd_session_session_reference(&s)->session_template_name, "team-deathmatch");
    assert_string_equal(xbl_mpsd_session_session_reference(&s)->session_name, "session-49");

    /* info */
    info = xbl_mpsd_session_get_info(&s);
    assert_non_null(info);
    assert_int_equal(info->contract_version, 107);
    assert_string_equal(info->branch, "1a6f0c3e-2b7d-4d51-8e90-3c4b5a6d7e8f");
    assert_int_equal(info->change_number, 12);
    assert_string_equal(info->correlation_id, "7c9e1b2a-44f0-4a1c-9d3e-0f1e2d3c4b5a");
    assert_true(info->start_time == T_2024_03_01_10_00_00);
    assert_true(info->next_timer == T_2024_03_01_10_00_00 + 100);
    assert_string_equal(info->search_handle_id, "5d2c9a10-0000-4000-8000-0000000000aa");

    /* initialization */
    ii = xbl_mpsd_session_get_initialization_info(&s);
    assert_non_null(ii);
    assert_int_equal(ii->stage, XBL_MPSD_INITIALIZATION_STAGE_MEASURING);
    assert_true(ii->stage_start_time == T_2024_03_01_10_00_00 + 30);
    assert_int_equal(ii->episode, 1);

    /* host candidates */
    assert_int_equal(xbl_mpsd_session_host_candidates(&s, &hc, &n), XBL_MPSD_OK);
    assert_int_equal(n, 2);
    assert_string_equal(hc[0].value, "ab90a362");
    assert_string_equal(hc[1].value, "99582e67");

    /* constants */
    c = xbl_mpsd_session_session_constants(&s);
    assert_non_null(c);
    assert_int_equal(c->max_members_in_session, 8);
    assert_int_equal(c->visibility, XBL_MPSD_SESSION_VISIBILITY_OPEN);
    assert_int_equal(c->initiator_xuids_count, 2);
    assert_true(c->initiator_xuids[0] == XUID1);
    assert_true(c->initiator_xuids[1] == UINT64_MAX);
    assert_raw(c->custom_json, "{'mode': 'coop',  'nested': [1, 2.5e3, {'k': 'v\\u00e9'}]}");
    assert_raw(c->session_cloud_compute_package_constants_json, "{ 'titleId': '1234', 'gsiSet': 'x' }");
    assert_true(c->member_reserved_timeout == 30000);
    assert_true(c->member_inactive_timeout == XBL_MPSD_TIMEOUT_INFINITE);
    assert_true(c->member_ready_timeout == 180000);
    assert_true(c->session_empty_timeout == 0);
    assert_true(c->enable_metrics_latency);
    assert_false(c->enable_metrics_bandwidth_down);
    assert_true(c->enable_metrics_bandwidth_up);
    assert_true(c->enable_metrics_custom);
    assert_non_null(c->member_initialization);
    assert_ptr_equal(c->member_initialization, &s.member_initialization);
    assert_true(c->member_initialization->join_timeout == 10000);
    assert_true(c->member_initialization->measurement_timeout == 30000);
    assert_true(c->member_initialization->evaluation_timeout == 5000);
    assert_true(c->member_initialization->external_evaluation);
    assert_int_equal(c->member_initialization->members_needed_to_start, 2);
    assert_true(c->peer_to_peer_requirements.latency_maximum == 250);
    assert_true(c->peer_to_peer_requirements.bandwidth_minimum_in_kbps == 10000);
    assert_true(c->peer_to_host_requirements.latency_maximum == 200);
    assert_true(c->peer_to_host_requirements.bandwidth_down_minimum_in_kbps == 100000);
    assert_true(c->peer_to_host_requirements.bandwidth_up_minimum_in_kbps == 1000);
    assert_int_equal(c->peer_to_host_requirements.host_selection_metric, XBL_MPSD_METRICS_BANDWIDTH_DOWN);
    assert_raw(c->measurement_server_addresses_json, "{ 'eastus.example.net': { 'secureDeviceAddress': 'AAEC' } }");
    assert_true(c->client_matchmaking_capable);
    assert_true(c->session_capabilities.connectivity);
    assert_true(c->session_capabilities.suppress_presence_activity_check);
    assert_true(c->session_capabilities.gameplay);
    assert_false(c->session_capabilities.large);
    assert_true(c->session_capabilities.connection_required_for_active_members);
    assert_true(c->session_capabilities.user_authorization_style);
    assert_true(c->session_capabilities.crossplay);
    assert_true(c->session_capabilities.searchable);
    assert_true(c->session_capabilities.has_owners);

    /* properties */
    p = xbl_mpsd_session_session_properties(&s);
    assert_non_null(p);
    assert_int_equal(p->keyword_count, 2);
    assert_string_equal(p->keywords[0], "fast");
    assert_string_equal(p->keywords[1], "fun");
    assert_int_equal(p->join_restriction, XBL_MPSD_SESSION_RESTRICTION_FOLLOWED);
    assert_int_equal(p->read_restriction, XBL_MPSD_SESSION_RESTRICTION_LOCAL);
    assert_int_equal(p->turn_collection_count, 1);
    assert_int_equal(p->turn_collection[0], 0);
    assert_raw(p->matchmaking_target_session_constants_json, "{'system': {'maxMembersCount': 4}}");
    assert_raw(p->session_custom_properties_json, "{'round': 3, 'name': 'caf\\u00e9'}");
    assert_string_equal(p->matchmaking_server_connection_string, "server-1");
    assert_int_equal(p->server_connection_string_candidates_count, 2);
    assert_string_equal(p->server_connection_string_candidates[0], "a.example");
    assert_string_equal(p->server_connection_string_candidates[1], "b.example");
    assert_int_equal(p->session_owner_member_ids_count, 2);
    assert_int_equal(p->session_owner_member_ids[0], 0);
    assert_int_equal(p->session_owner_member_ids[1], 3);
    assert_string_equal(p->host_device_token.value, "ab90a362");
    assert_true(p->closed);
    assert_true(p->locked);
    assert_true(p->allocate_cloud_compute);
    assert_true(p->matchmaking_resubmit);

    /* role types */
    assert_int_equal(xbl_mpsd_session_role_types(&s, &types, &n), XBL_MPSD_OK);
    assert_int_equal(n, 2);
    assert_string_equal(types[0].name, "lfg");
    assert_true(types[0].owner_managed);
    assert_int_equal(types[0].mutable_role_settings,
            XBL_MPSD_MUTABLE_ROLE_SETTINGS_MAX | XBL_MPSD_MUTABLE_ROLE_SETTINGS_TARGET);
    assert_int_equal(types[0].role_count, 2);
    assert_string_equal(types[0].roles[0].name, "confirmed");
    assert_ptr_equal(types[0].roles[0].role_type, &types[0]);
    assert_int_equal(types[0].roles[0].member_count, 2);
    assert_int_equal(types[0].roles[0].target_count, 3);
    assert_int_equal(types[0].roles[0].max_member_count, 4);
    assert_true(types[0].roles[0].member_xuids[0] == XUID1);
    assert_true(types[0].roles[0].member_xuids[1] == XUID2);
    assert_string_equal(types[0].roles[1].name, "waitlist");
    assert_ptr_equal(types[0].roles[1].role_type, &types[0]);
    assert_int_equal(types[0].roles[1].member_count, 0);
    assert_null(types[0].roles[1].member_xuids);
    assert_int_equal(types[0].roles[1].target_count, 0);
    assert_int_equal(types[0].roles[1].max_member_count, 10);
    assert_string_equal(types[1].name, "class");
    assert_false(types[1].owner_managed);
    assert_int_equal(types[1].mutable_role_settings, XBL_MPSD_MUTABLE_ROLE_SETTINGS_NONE);
    assert_int_equal(types[1].role_count, 1);
    assert_ptr_equal(types[1].roles[0].role_type, &types[1]);
    assert_int_equal(xbl_mpsd_session_get_role_by_name(&s, "CLASS", "Healer", &role), XBL_MPSD_OK);
    assert_ptr_equal(role, &types[1].roles[0]);
    assert_int_equal(role->member_count, 1);
    assert_true(role->member_xuids[0] == XUID2);
    assert_int_equal(role->max_member_count, 1);

    /* members: linked-list order 0 → 3, not key order */
    assert_int_equal(xbl_mpsd_session_members(&s, &members, &n), XBL_MPSD_OK);
    assert_int_equal(n, 2);
    assert_int_equal(s.document_members_count, 2);
    assert_int_equal(xbl_mpsd_session_members_accepted(&s), 1);

    m = xbl_mpsd_session_get_member(&s, 0);
    assert_ptr_equal(m, &members[0]);
    assert_int_equal(m->member_id, 0);
    assert_string_equal(m->initial_team, "red");
    assert_true(m->xuid == XUID1);
    assert_raw(m->custom_constants_json, "{'matchmakingResult': {'initialTeam': 'red'}, 'slot': 1}");
    assert_string_equal(m->secure_device_base_address64, "AQIDBAUG");
    assert_int_equal(m->roles_count, 2);
    assert_string_equal(m->roles[0].role_type_name, "lfg");
    assert_string_equal(m->roles[0].role_name, "confirmed");
    assert_string_equal(m->roles[1].role_type_name, "class");
    assert_string_equal(m->roles[1].role_name, "tank");
    assert_raw(m->custom_properties_json, "{'ready': 'yes'}");
    assert_string_equal(m->gamertag, "PlayerOne");
    assert_int_equal(m->status, XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE);
    assert_true(m->is_turn_available);
    assert_true(m->is_current_user);
    assert_true(m->initialize_requested);
    assert_raw(m->matchmaking_result_server_measurements_json, "{'east': {'latency': 20}}");
    assert_raw(m->server_measurements_json, "{'east': {'latency': 30}}");
    assert_int_equal(m->members_in_group_count, 2);
    assert_int_equal(m->members_in_group_ids[0], 0);
    assert_int_equal(m->members_in_group_ids[1], 3);
    assert_raw(m->qos_measurements_json, "{'99582e67': {'latency': 10}}");
    assert_string_equal(m->device_token.value, "ab90a362");
    assert_int_equal(m->nat, XBL_MPSD_NETWORK_ADDRESS_TRANSLATION_SETTING_MODERATE);
    assert_int_equal(m->active_title_id, 1234567890u);
    assert_int_equal(m->initialization_episode, 1);
    assert_true(m->join_time == T_2024_03_01_10_00_00);
    assert_int_equal(m->initialization_failure_cause, XBL_MPSD_MEASUREMENT_FAILURE_BANDWIDTH_DOWN);
    assert_int_equal(m->groups_count, 1);
    assert_string_equal(m->groups[0], "g1");
    assert_int_equal(m->encounters_count, 2);
    assert_string_equal(m->encounters[0], "e1");
    assert_string_equal(m->encounters[1], "e2");

    m = xbl_mpsd_session_get_member(&s, 3);
    assert_ptr_equal(m, &members[1]);
    assert_int_equal(m->member_id, 3);
    assert_null(m->initial_team);
    assert_true(m->xuid == XUID2);
    assert_null(m->custom_constants_json);
    assert_null(m->secure_device_base_address64);
    assert_null(m->roles);
    assert_int_equal(m->roles_count, 0);
    assert_null(m->custom_properties_json);
    /* 25 × "é" (50 bytes) cut at a character boundary to fit 47 bytes: 23 × "é" */
    assert_int_equal(strlen(m->gamertag), 46);
    for (i = 0; i < 46; i += 2) {
        assert_int_equal((unsigned char)m->gamertag[i], 0xC3);
        assert_int_equal((unsigned char)m->gamertag[i + 1], 0xA9);
    }
    assert_int_equal(m->status, XBL_MPSD_SESSION_MEMBER_STATUS_READY);
    assert_false(m->is_turn_available);
    assert_false(m->is_current_user);
    assert_false(m->initialize_requested);
    assert_null(m->matchmaking_result_server_measurements_json);
    assert_null(m->server_measurements_json);
    assert_null(m->members_in_group_ids);
    assert_int_equal(m->members_in_group_count, 0);
    assert_null(m->qos_measurements_json);
    assert_string_equal(m->device_token.value, "");
    assert_int_equal(m->nat, XBL_MPSD_NETWORK_ADDRESS_TRANSLATION_SETTING_UNKNOWN);
    assert_int_equal(m->active_title_id, 0);
    assert_int_equal(m->initialization_episode, 0);
    assert_true(m->join_time == T_2024_03_01_10_00_00 + 70);
    assert_int_equal(m->initialization_failure_cause, XBL_MPSD_MEASUREMENT_FAILURE_UNKNOWN);
    assert_null(m->groups);
    assert_int_equal(m->groups_count, 0);
    assert_null(m->encounters);
    assert_int_equal(m->encounters_count, 0);
    assert_null(xbl_mpsd_session_get_member(&s, 5));
    assert_null(xbl_mpsd_session_get_member(&s, XBL_MPSD_MEMBER_ID_NONE));

    /* current user and subscription */
    assert_ptr_equal(xbl_mpsd_session_current_user(&s), &members[0]);
    assert_int_equal(xbl_mpsd_session_subscribed_change_types(&s),
            XBL_MPSD_SESSION_CHANGE_TYPES_HOST_DEVICE_TOKEN_CHANGE | XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_LIST_CHANGE |
            XBL_MPSD_SESSION_CHANGE_TYPES_CUSTOM_PROPERTY_CHANGE);

    /* servers */
    assert_raw(xbl_mpsd_session_raw_servers_json(&s),
            "{'matchmaking': {'properties': {'system': {'status': 'Found', 'statusDetails': 'done',"
            "   'typicalWait': 42, 'targetSessionRef': {'scid': '00000000-0000-0000-0000-00007a3b5c4d',"
            "   'templateName': 'target-tmpl', 'name': 'target-name'}}}}, 'other': {'constants': {}}}");
    ms = xbl_mpsd_session_matchmaking_server(&s);
    assert_non_null(ms);
    assert_int_equal(ms->status, XBL_MPSD_MATCHMAKING_STATUS_FOUND);
    assert_string_equal(ms->status_details, "done");
    assert_int_equal(ms->typical_wait_in_seconds, 42);
    assert_string_equal(ms->target_session_ref.scid, "00000000-0000-0000-0000-00007a3b5c4d");
    assert_string_equal(ms->target_session_ref.session_template_name, "target-tmpl");
    assert_string_equal(ms->target_session_ref.session_name, "target-name");
}

/* The current user is found by XUID: loading as member 3's user. */
static void test_full_document_other_user(void **state)
{
    xbl_mpsd_session s;
    const xbl_mpsd_session_member *cur;
    (void)state;
    new_session(&s, g_arena.b, ARENA_SIZE);
    assert_int_equal(load_as(&s, q(DOC_FULL), XUID2), XBL_MPSD_OK);
    cur = xbl_mpsd_session_current_user(&s);
    assert_non_null(cur);
    assert_int_equal(cur->member_id, 3);
    assert_true(cur->is_current_user);
    assert_false(xbl_mpsd_session_get_member(&s, 0)->is_current_user);
    assert_int_equal(xbl_mpsd_session_subscribed_change_types(&s), XBL_MPSD_SESSION_CHANGE_TYPES_NONE);
    /* a user who is no member */
    assert_int_equal(load_as(&s, q(DOC_FULL), 42), XBL_MPSD_OK);
    assert_null(xbl_mpsd_session_current_user(&s));
    assert_int_equal(xbl_mpsd_session_subscribed_change_types(&s), XBL_MPSD_SESSION_CHANGE_TYPES_NONE);
}

/* Each load draws a new subscription ID. */
static void test_new_subscription_id_each_load(void **state)
{
    xbl_mpsd_session s;
    char first[37];
    (void)state;
    new_session(&s, g_arena.b, ARENA_SIZE);
    assert_int_equal(load(&s, q(DOC_FULL)), XBL_MPSD_OK);
    memcpy(first, s.subscription_id, sizeof first);
    assert_int_equal(load(&s, q(DOC_FULL)), XBL_MPSD_OK);
    assert_string_not_equal(first, s.subscription_id);
    assert_int_equal(s.subscription_id[14], '4');
}

/* The session struct can be copied with xbl_mpsd_session_copy afterwards
   and member_initialization points into the struct that holds it. */
static void test_member_initialization_pointer_follows_struct(void **state)
{
    static rt_arena a2;
    xbl_mpsd_session s, d;
    (void)state;
    new_session(&s, g_arena.b, ARENA_SIZE);
    assert_int_equal(load(&s, q(DOC_FULL)), XBL_MPSD_OK);
    assert_ptr_equal(s.constants.member_initialization, &s.member_initialization);
    new_session(&d, a2.b, ARENA_SIZE);
    assert_int_equal(xbl_mpsd_session_copy(&d, &s), XBL_MPSD_OK);
    assert_ptr_equal(d.constants.member_initialization, &d.member_initialization);
}

/* ------------------------------------------------------------ MPSD §4.10 */

static void test_mpsd_example(void **state)
{
    xbl_mpsd_session s;
    const xbl_mpsd_session_info *info;
    const xbl_mpsd_session_constants *c;
    const xbl_mpsd_session_properties *p;
    const xbl_mpsd_session_member *members, *m;
    const xbl_mpsd_role_type *types;
    const xbl_mpsd_device_token *hc;
    size_t n;
    (void)state;

    new_session(&s, g_arena.b, ARENA_SIZE);
    assert_int_equal(load(&s, q(DOC_MPSD_EXAMPLE)), XBL_MPSD_OK);

    info = xbl_mpsd_session_get_info(&s);
    assert_int_equal(info->contract_version, 107);
    assert_string_equal(info->branch, "1a6f0c3e-2b7d-4d51-8e90-3c4b5a6d7e8f");
    assert_int_equal(info->change_number, 3);
    assert_string_equal(info->correlation_id, "7c9e1b2a-44f0-4a1c-9d3e-0f1e2d3c4b5a");
    assert_true(info->start_time == T_2024_03_01_10_00_00);
    assert_true(info->next_timer == T_2024_03_01_10_00_00 + 100);
    assert_string_equal(info->search_handle_id, "");
    assert_int_equal(xbl_mpsd_session_get_initialization_info(&s)->stage, XBL_MPSD_INITIALIZATION_STAGE_NONE);
    assert_true(xbl_mpsd_session_get_initialization_info(&s)->stage_start_time == 0);
    assert_int_equal(xbl_mpsd_session_get_initialization_info(&s)->episode, 0);
    assert_int_equal(xbl_mpsd_session_host_candidates(&s, &hc, &n), XBL_MPSD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(xbl_mpsd_session_role_types(&s, &types, &n), XBL_MPSD_OK);
    assert_int_equal(n, 0);

    c = xbl_mpsd_session_session_constants(&s);
    assert_int_equal(c->max_members_in_session, 8);
    assert_int_equal(c->visibility, XBL_MPSD_SESSION_VISIBILITY_OPEN);
    assert_null(c->initiator_xuids);
    assert_int_equal(c->initiator_xuids_count, 0);
    assert_raw(c->custom_json, "{ 'mode': 'coop', 'map': 'harbor' }");
    assert_string_equal(c->session_cloud_compute_package_constants_json, "");
    assert_true(c->member_reserved_timeout == 30000);
    assert_true(c->member_inactive_timeout == 0);
    assert_true(c->member_ready_timeout == 180000);
    assert_true(c->session_empty_timeout == 0);
    assert_false(c->enable_metrics_latency);
    assert_false(c->enable_metrics_bandwidth_down);
    assert_false(c->enable_metrics_bandwidth_up);
    assert_false(c->enable_metrics_custom);
    assert_null(c->member_initialization);
    assert_true(c->peer_to_peer_requirements.latency_maximum == 0);
    assert_true(c->peer_to_peer_requirements.bandwidth_minimum_in_kbps == 0);
    assert_true(c->peer_to_host_requirements.latency_maximum == 0);
    assert_true(c->peer_to_host_requirements.bandwidth_down_minimum_in_kbps == 0);
    assert_true(c->peer_to_host_requirements.bandwidth_up_minimum_in_kbps == 0);
    assert_int_equal(c->peer_to_host_requirements.host_selection_metric, XBL_MPSD_METRICS_LATENCY);
    assert_string_equal(c->measurement_server_addresses_json, "");
    assert_false(c->client_matchmaking_capable);
    assert_true(c->session_capabilities.connectivity);
    assert_false(c->session_capabilities.suppress_presence_activity_check);
    assert_true(c->session_capabilities.gameplay);
    assert_false(c->session_capabilities.large);
    assert_false(c->session_capabilities.connection_required_for_active_members);
    assert_false(c->session_capabilities.user_authorization_style);
    assert_false(c->session_capabilities.crossplay);
    assert_false(c->session_capabilities.searchable);
    assert_false(c->session_capabilities.has_owners);

    p = xbl_mpsd_session_session_properties(&s);
    assert_int_equal(p->keyword_count, 0);
    assert_null(p->keywords);
    assert_int_equal(p->join_restriction, XBL_MPSD_SESSION_RESTRICTION_NONE);
    assert_int_equal(p->read_restriction, XBL_MPSD_SESSION_RESTRICTION_UNKNOWN);
    assert_int_equal(p->turn_collection_count, 0);
    assert_string_equal(p->matchmaking_target_session_constants_json, "");
    assert_raw(p->session_custom_properties_json, "{ 'round': 3 }");
    assert_string_equal(p->matchmaking_server_connection_string, "");
    assert_int_equal(p->server_connection_string_candidates_count, 0);
    assert_int_equal(p->session_owner_member_ids_count, 0);
    assert_string_equal(p->host_device_token.value, "7d3e1f20");
    assert_false(p->closed);
    assert_false(p->locked);
    assert_false(p->allocate_cloud_compute);
    assert_false(p->matchmaking_resubmit);

    assert_int_equal(xbl_mpsd_session_members(&s, &members, &n), XBL_MPSD_OK);
    assert_int_equal(n, 2);
    assert_int_equal(xbl_mpsd_session_members_accepted(&s), 1);
    m = &members[0];
    assert_int_equal(m->member_id, 0);
    assert_true(m->xuid == XUID1);
    assert_null(m->initial_team);
    assert_raw(m->custom_constants_json, "{ 'team': 'red' }");
    assert_string_equal(m->secure_device_base_address64, "AQIDBAUG");
    assert_string_equal(m->custom_properties_json, "{}");
    assert_string_equal(m->gamertag, "PlayerOne");
    assert_int_equal(m->status, XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE);
    assert_string_equal(m->device_token.value, "7d3e1f20");
    assert_int_equal(m->nat, XBL_MPSD_NETWORK_ADDRESS_TRANSLATION_SETTING_OPEN);
    assert_int_equal(m->active_title_id, 1234567890u);
    assert_true(m->join_time == T_2024_03_01_10_00_00);
    assert_int_equal(m->initialization_failure_cause, XBL_MPSD_MEASUREMENT_FAILURE_NONE);
    assert_true(m->is_current_user);
    assert_false(m->initialize_requested);
    m = &members[1];
    assert_int_equal(m->member_id, 2);
    assert_true(m->xuid == UINT64_C(2814600000000003));
    assert_raw(m->custom_constants_json, "{ 'slot': 1 }");
    assert_null(m->secure_device_base_address64);
    assert_string_equal(m->custom_properties_json, "{}");
    assert_string_equal(m->gamertag, "");
    assert_int_equal(m->status, XBL_MPSD_SESSION_MEMBER_STATUS_RESERVED);
    assert_true(m->initialize_requested);
    assert_true(m->join_time == T_2024_03_01_10_00_00 + 70);
    assert_false(m->is_current_user);
    assert_ptr_equal(xbl_mpsd_session_current_user(&s), &members[0]);

    assert_string_equal(xbl_mpsd_session_raw_servers_json(&s), "{}");
    assert_null(xbl_mpsd_session_matchmaking_server(&s));
}

/* The smallest valid document: every default. */
static void test_minimal_document_defaults(void **state)
{
    xbl_mpsd_session s;
    const xbl_mpsd_session_member *members;
    size_t n;
    xbl_mpsd__response_meta m = meta_for(XUID1);
    size_t need = 0;
    (void)state;
    new_session(&s, g_arena.b, ARENA_SIZE);
    m.etag = NULL;
    m.etag_len = 0;
    m.reference = NULL;
    m.date = 0;
    m.write_status = XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN;
    q(DOC_MIN);
    assert_int_equal(xbl_mpsd__session_load(&s, g_text, strlen(g_text), &m, g_scratch, SCRATCH_CAP, &need, NULL), XBL_MPSD_OK);
    /* the reader's scratch: its walker state, whatever the document */
    assert_true(need >= sizeof(xbl_mpsd__rd) && need < sizeof(xbl_mpsd__rd) + XBL_MPSD__ALIGN);
    assert_int_equal(s.arena.used, 0);
    assert_string_equal(xbl_mpsd_session_etag(&s), "");
    assert_true(xbl_mpsd_session_time_of_session(&s) == 0);
    assert_int_equal(xbl_mpsd_session_write_status(&s), XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN);
    assert_string_equal(xbl_mpsd_session_session_reference(&s)->scid, "");
    assert_int_equal(xbl_mpsd_session_get_info(&s)->contract_version, 0);
    assert_int_equal(xbl_mpsd_session_get_initialization_info(&s)->stage, XBL_MPSD_INITIALIZATION_STAGE_NONE);
    assert_string_equal(xbl_mpsd_session_session_constants(&s)->custom_json, "");
    assert_int_equal(xbl_mpsd_session_session_constants(&s)->peer_to_host_requirements.host_selection_metric,
            XBL_MPSD_METRICS_LATENCY);
    assert_string_equal(xbl_mpsd_session_session_properties(&s)->session_custom_properties_json, "{}");
    assert_int_equal(xbl_mpsd_session_members(&s, &members, &n), XBL_MPSD_OK);
    assert_int_equal(n, 0);
    assert_null(xbl_mpsd_session_current_user(&s));
    assert_string_equal(xbl_mpsd_session_raw_servers_json(&s), "");
    assert_null(xbl_mpsd_session_matchmaking_server(&s));
}

/* Odd but valid shapes: nulls where MPSD §4.9 allows them, unknown enum
   strings, case-insensitive enums, duplicate keys (last wins), escapes. */
static void test_valid_variants(void **state)
{
    xbl_mpsd_session s;
    const xbl_mpsd_session_constants *c;
    const xbl_mpsd_session_properties *p;
    (void)state;
    new_session(&s, g_arena.b, ARENA_SIZE);
    assert_int_equal(load(&s, q(
        "{'branch': null, 'correlationId': 'a', 'correlationId': 'b\\/c',"
        " 'constants': {'system': {'visibility': 'PRIVATE', 'memberInitialization': null,"
        "   'peerToPeerRequirements': null, 'peerToHostRequirements': {'hostSelectionMetric': 'quantum'},"
        "   'sessionEmptyTimeout': null, 'maxMembersCount': 0}, 'custom': 'just a string'},"
        " 'properties': {'system': {'host': null, 'joinRestriction': 'nobody',"
        "   'matchmaking': {'serverConnectionString': null}}, 'custom': null},"
        " 'initializing': {'stage': 'FAILED', 'episode': 4294967295},"
        " 'servers': {'matchmaking': null},"
        " 'members': {}, 'membersInfo': {'first': 7, 'next': 7}}")), XBL_MPSD_OK);
    assert_string_equal(xbl_mpsd_session_get_info(&s)->branch, "");
    assert_string_equal(xbl_mpsd_session_get_info(&s)->correlation_id, "b/c");
    c = xbl_mpsd_session_session_constants(&s);
    assert_int_equal(c->visibility, XBL_MPSD_SESSION_VISIBILITY_PRIVATE_SESSION);
    assert_null(c->member_initialization);
    assert_int_equal(c->peer_to_host_requirements.host_selection_metric, XBL_MPSD_METRICS_UNKNOWN);
    assert_true(c->session_empty_timeout == XBL_MPSD_TIMEOUT_INFINITE);
    assert_raw(c->custom_json, "'just a string'");
    p = xbl_mpsd_session_session_properties(&s);
    assert_string_equal(p->host_device_token.value, "");
    assert_int_equal(p->join_restriction, XBL_MPSD_SESSION_RESTRICTION_UNKNOWN);
    assert_string_equal(p->matchmaking_server_connection_string, "");
    assert_string_equal(p->session_custom_properties_json, "{}");
    assert_int_equal(xbl_mpsd_session_get_initialization_info(&s)->stage, XBL_MPSD_INITIALIZATION_STAGE_FAILED);
    assert_int_equal(xbl_mpsd_session_get_initialization_info(&s)->episode, 4294967295u);
    assert_null(xbl_mpsd_session_matchmaking_server(&s));
    assert_raw(xbl_mpsd_session_raw_servers_json(&s), "{'matchmaking': null}");
    assert_int_equal(s.members_count, 0);

    /* matchmaking status failed → UNKNOWN; a missing status too */
    assert_int_equal(load(&s, q(
        "{'constants': {'system': {}}, 'properties': {'system': {}},"
        " 'servers': {'matchmaking': {'properties': {'system': {'status': 'failed'}}}}}")), XBL_MPSD_OK);
    assert_non_null(xbl_mpsd_session_matchmaking_server(&s));
    assert_int_equal(xbl_mpsd_session_matchmaking_server(&s)->status, XBL_MPSD_MATCHMAKING_STATUS_UNKNOWN);
    assert_string_equal(xbl_mpsd_session_matchmaking_server(&s)->status_details, "");
    assert_string_equal(xbl_mpsd_session_matchmaking_server(&s)->target_session_ref.scid, "");

    /* keys are compared after unescaping */
    assert_int_equal(load(&s, q("{'constants': {'system': {}}, 'properties': {'system': {}}, '\\u0063hangeNumber': 9}")),
            XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_get_info(&s)->change_number, 9);

    /* nesting up to XBL_MPSD_JSON_MAX_DEPTH levels (root = level 1) is fine, one more is not */
    {
        char doc[512];
        size_t o, k, depth;
        for (depth = XBL_MPSD_JSON_MAX_DEPTH - 2; depth <= XBL_MPSD_JSON_MAX_DEPTH - 1; depth++) {
            o = (size_t)snprintf(doc, sizeof doc, "{\"constants\": {\"system\": {}, \"custom\": ");
            for (k = 0; k < depth; k++) doc[o++] = '[';
            for (k = 0; k < depth; k++) doc[o++] = ']';
            o += (size_t)snprintf(doc + o, sizeof doc - o, "}, \"properties\": {\"system\": {}}}");
            assert_int_equal(load(&s, doc), depth == XBL_MPSD_JSON_MAX_DEPTH - 2 ? XBL_MPSD_OK
                                                                               : XBL_MPSD_E_INVALID_JSON_STRING);
        }
    }

    /* the member-list test documents are valid when the chain is right */
    assert_int_equal(load(&s, q(DOC_M("'0': " M_OK(3) ", '3': " M_OK(5) ", '9': 5", 0, 5))), XBL_MPSD_OK);
    assert_int_equal(s.members_count, 2);
    assert_int_equal(s.members[1].member_id, 3);
    assert_true(s.members[1].xuid == 1);

    /* duplicate member keys: the last occurrence wins, as for every key, even
       where the first one would also make a valid chain */
    assert_int_equal(load(&s, q(DOC_M("'0': " M_OK(3) ", '3': " M_OK(5) ","
            " '3': {'constants': {'system': {'xuid': '2'}}, 'properties': {'system': {}}, 'next': 5}", 0, 5))),
            XBL_MPSD_OK);
    assert_int_equal(s.members_count, 2);
    assert_true(s.members[1].xuid == 2);
    /* a chain whose indices fall is still followed link by link */
    assert_int_equal(load(&s, q(DOC_M("'4': " M_OK(2) ", '2': " M_OK(9), 4, 9))), XBL_MPSD_OK);
    assert_int_equal(s.members_count, 2);
    assert_int_equal(s.members[0].member_id, 4);
    assert_int_equal(s.members[1].member_id, 2);
    /* the first '1' links back to '0' (a loop); only the last makes a chain */
    assert_int_equal(load(&s, q(DOC_M("'0': " M_OK(1) ", '1': " M_OK(0) ", '1': " M_OK(6), 0, 6))), XBL_MPSD_OK);
    assert_int_equal(s.members_count, 2);
    assert_int_equal(s.members[1].member_id, 1);

    /* time formats: no fraction, leap day, before 1970, 32-bit boundary */
    assert_int_equal(load(&s, q(
        "{'constants': {'system': {}}, 'properties': {'system': {}},"
        " 'startTime': '2000-02-29T23:59:59Z',"
        " 'nextTimer': '1969-12-31T23:59:59.50000000000000000000000000000000000000000000000000000z'}")), XBL_MPSD_OK);
    assert_true(xbl_mpsd_session_get_info(&s)->start_time == (time_t)951868799);
    assert_true(xbl_mpsd_session_get_info(&s)->next_timer == (time_t)-1);
    if (sizeof(time_t) >= 8) {
        assert_int_equal(load(&s, q(
            "{'constants': {'system': {}}, 'properties': {'system': {}},"
            " 'startTime': '2100-03-01T00:00:00Z'}")), XBL_MPSD_OK);
        assert_true(xbl_mpsd_session_get_info(&s)->start_time == (time_t)4107542400LL);
    }
}

/* ------------------------------------------------------------ 100 members */

static size_t build_100(char *buf, size_t cap)
{
    size_t o = 0;
    int i;
    o += (size_t)snprintf(buf + o, cap - o,
        "{\"constants\":{\"system\":{\"maxMembersCount\":100}},\"properties\":{\"system\":{}},\"members\":{");
    /* keys in reverse order: the walk must follow the links, not the keys */
    for (i = 99; i >= 0; i--) {
        o += (size_t)snprintf(buf + o, cap - o,
            "%s\"%d\":{\"constants\":{\"system\":{\"xuid\":\"%llu\"},\"custom\":{\"i\":%d}},"
            "\"properties\":{\"system\":{\"active\":%s},\"custom\":{}},\"gamertag\":\"p%d\","
            "\"joinTime\":\"2024-03-01T10:00:%02dZ\",\"next\":%d}",
            i == 99 ? "" : ",", 2 * i, (unsigned long long)(1000 + i), i, i % 2 ? "true" : "false", i,
            i % 60, i == 99 ? 200 : 2 * (i + 1));
    }
    o += (size_t)snprintf(buf + o, cap - o,
        "},\"membersInfo\":{\"first\":0,\"next\":200,\"count\":100,\"accepted\":100}}");
    assert_true(o < cap);
    return o;
}

static void test_100_members(void **state)
{
    xbl_mpsd_session s;
    const xbl_mpsd_session_member *members;
    size_t n, i, len;
    xbl_mpsd__response_meta m = meta_for(1000 + 57);
    size_t need = 0;
    char expect[32];
    (void)state;
    len = build_100(g_text, TEXT_CAP);
    new_session(&s, g_arena.b, ARENA_SIZE);
    assert_int_equal(xbl_mpsd__session_load(&s, g_text, len, &m, g_scratch, SCRATCH_CAP, &need, NULL), XBL_MPSD_OK);
    print_message("arena bytes used by the 100-member document: %zu (%zu tokens)\n", s.arena.used, need);
    assert_int_equal(xbl_mpsd_session_members(&s, &members, &n), XBL_MPSD_OK);
    assert_int_equal(n, 100);
    assert_int_equal(s.document_members_count, 100);
    assert_int_equal(xbl_mpsd_session_members_accepted(&s), 100);
    for (i = 0; i < 100; i++) {
        assert_int_equal(members[i].member_id, 2 * i);
        assert_true(members[i].xuid == 1000 + i);
        snprintf(expect, sizeof expect, "p%u", (unsigned)i);
        assert_string_equal(members[i].gamertag, expect);
        snprintf(expect, sizeof expect, "{\"i\":%u}", (unsigned)i);
        assert_string_equal(members[i].custom_constants_json, expect);
        assert_string_equal(members[i].custom_properties_json, "{}");
        assert_int_equal(members[i].status,
                i % 2 ? XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE : XBL_MPSD_SESSION_MEMBER_STATUS_INACTIVE);
        assert_true(members[i].join_time == T_2024_03_01_10_00_00 + (time_t)(i % 60));
        assert_true(members[i].is_current_user == (i == 57));
        assert_ptr_equal(xbl_mpsd_session_get_member(&s, (uint32_t)(2 * i)), &members[i]);
        assert_null(xbl_mpsd_session_get_member(&s, (uint32_t)(2 * i + 1)));
    }
    assert_ptr_equal(xbl_mpsd_session_current_user(&s), &members[57]);
}

/* ------------------------------------------------------------ large */

static void test_large_session_me(void **state)
{
    xbl_mpsd_session s;
    const xbl_mpsd_session_member *members;
    size_t n;
    (void)state;
    new_session(&s, g_arena.b, ARENA_SIZE);
    assert_int_equal(load(&s, q(
        "{'constants': {'system': {'maxMembersCount': 1000, 'capabilities': {'large': true}}},"
        " 'properties': {'system': {}},"
        " 'members': {'me': {'constants': {'system': {'xuid': '2814600000000001'}},"
        "                    'properties': {'system': {'active': true, 'subscription': {'changeTypes': ['everything']}},"
        "                                   'custom': {'a': 1}},"
        "                    'gamertag': 'Big', 'joinTime': '2024-03-01T10:00:00Z'}},"
        " 'membersInfo': {'first': 57, 'next': 900, 'count': 800, 'accepted': 790}}")), XBL_MPSD_OK);
    assert_true(xbl_mpsd_session_session_constants(&s)->session_capabilities.large);
    assert_int_equal(xbl_mpsd_session_members(&s, &members, &n), XBL_MPSD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(members[0].member_id, 57);
    assert_true(members[0].xuid == XUID1);
    assert_string_equal(members[0].gamertag, "Big");
    assert_int_equal(members[0].status, XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE);
    assert_string_equal(members[0].custom_properties_json, "{\"a\": 1}");
    assert_true(members[0].is_current_user);
    assert_ptr_equal(xbl_mpsd_session_current_user(&s), &members[0]);
    assert_ptr_equal(xbl_mpsd_session_get_member(&s, 57), &members[0]);
    assert_int_equal(xbl_mpsd_session_members_accepted(&s), 790);
    assert_int_equal(xbl_mpsd_session_subscribed_change_types(&s), XBL_MPSD_SESSION_CHANGE_TYPES_EVERYTHING);

    /* large without "me": no members; numeric keys are not walked */
    assert_int_equal(load(&s, q(
        "{'constants': {'system': {'capabilities': {'large': true}}}, 'properties': {'system': {}},"
        " 'members': {'5': {}}, 'membersInfo': {'first': 5, 'next': 900}}")), XBL_MPSD_OK);
    assert_int_equal(s.members_count, 0);

    /* "me" must be a valid member entry */
    assert_int_equal(load(&s, q(
        "{'constants': {'system': {'capabilities': {'large': true}}}, 'properties': {'system': {}},"
        " 'members': {'me': {'constants': {'system': {}}}}, 'membersInfo': {'first': 5, 'next': 900}}")),
        XBL_MPSD_E_INVALID_JSON_STRING);
}

/* ------------------------------------------------------------ malformed */

static const char *const BAD_DOCS[] = {
    /* not a document */
    "", "   ", "[]", "null", "42", "'x'", "{}", "{} x", "{'constants':", "{'constants': {'system': {}}, 'properties': {'system': {}}}}",
    "{'constants': {'system': {}}, 'properties': {'system': {}},}",
    "{'constants': {'system': {}} 'properties': {'system': {}}}",
    "{'constants': {'system': {}}, 'properties': {'system': {}}, 'a': [1,,2]}",
    "{'constants': {'system': {}}, 'properties': {'system': {}}, 'a': tru}",
    "{'constants': {'system': {}}, 'properties': {'system': {}}, 'a': 01}",
    "{'constants': {'system': {}}, 'properties': {'system': {}}, 'a': 1.}",
    "{'constants': {'system': {}}, 'properties': {'system': {}}, 'a': NaN}",
    /* required objects */
    "{'properties': {'system': {}}}",
    "{'constants': {'system': {}}}",
    "{'constants': {}, 'properties': {'system': {}}}",
    "{'constants': {'system': {}}, 'properties': {}}",
    "{'constants': [], 'properties': {'system': {}}}",
    "{'constants': {'system': null}, 'properties': {'system': {}}}",
    "{'constants': {'system': {}}, 'properties': {'system': 'x'}}",
    "{'constants': null, 'properties': {'system': {}}}",
    /* deep nesting (> XBL_MPSD_JSON_MAX_DEPTH) inside custom */
    "{'constants': {'system': {}, 'custom': [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}, 'properties': {'system': {}}}",
    /* numbers */
    "{'contractVersion': '107', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'contractVersion': -1, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'contractVersion': 4294967296, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'contractVersion': 1.5, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'changeNumber': 18446744073709551616, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'changeNumber': 1e400, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'changeNumber': 1e3, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'changeNumber': -0, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'changeNumber': null, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'maxMembersCount': -1}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'maxMembersCount': true}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'reservedRemovalTimeout': '30000'}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'readyRemovalTimeout': -5}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'sessionEmptyTimeout': 18446744073709551616}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'memberInitialization': {'membersNeededToStart': 4294967296}}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'memberInitialization': {'externalEvaluation': 'yes'}}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'peerToPeerRequirements': {'latencyMaximum': 2.5}}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'peerToHostRequirements': {'hostSelectionMetric': 4}}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'peerToHostRequirements': []}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'memberInitialization': 5}}, 'properties': {'system': {}}}",
    /* wrong types and nulls where none is allowed */
    "{'branch': 5, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'startTime': null, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'startTime': 5, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'startTime': 'yesterday', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'startTime': '2024-03-01T10:00:00', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'startTime': '2024-02-30T10:00:00Z', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'startTime': '2023-02-29T10:00:00Z', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'startTime': '2024-13-01T10:00:00Z', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'startTime': '2024-03-01T24:00:00Z', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'startTime': '2024-03-01T10:00:00.Z', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'startTime': '2024-03-01T10:00:00Zx', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'nextTimer': '', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'visibility': 5}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'initiators': '2814600000000001'}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'initiators': [2814600000000001]}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'initiators': [null]}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'initiators': ['18446744073709551616']}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'initiators': ['-1']}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'initiators': ['']}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'capabilities': {'large': 'true'}}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'capabilities': null}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'metrics': null}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'metrics': {'latency': 1}}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'measurementServerAddresses': 'x'}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {'cloudComputePackage': []}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {}}, 'properties': {'system': {'keywords': [1]}}}",
    "{'constants': {'system': {}}, 'properties': {'system': {'keywords': 'a'}}}",
    "{'constants': {'system': {}}, 'properties': {'system': {'turn': [-1]}}}",
    "{'constants': {'system': {}}, 'properties': {'system': {'turn': ['0']}}}",
    "{'constants': {'system': {}}, 'properties': {'system': {'turn': null}}}",
    "{'constants': {'system': {}}, 'properties': {'system': {'owners': [4294967296]}}}",
    "{'constants': {'system': {}}, 'properties': {'system': {'host': 5}}}",
    "{'constants': {'system': {}}, 'properties': {'system': {'host': '0123456789012345678901234567890123456789'}}}",
    "{'constants': {'system': {}}, 'properties': {'system': {'closed': 1}}}",
    "{'constants': {'system': {}}, 'properties': {'system': {'locked': null}}}",
    "{'constants': {'system': {}}, 'properties': {'system': {'matchmaking': null}}}",
    "{'constants': {'system': {}}, 'properties': {'system': {'matchmaking': {'targetSessionConstants': 5}}}}",
    "{'constants': {'system': {}}, 'properties': {'system': {'matchmaking': {'serverConnectionString': 5}}}}",
    "{'constants': {'system': {}}, 'properties': {'system': {'joinRestriction': ['none']}}}",
    "{'constants': {'system': {}}, 'properties': {'system': {'serverConnectionStringCandidates': [null]}}}",
    "{'constants': {'system': {}}, 'properties': {'system': {}, 'custom': []}}",
    "{'constants': {'system': {}}, 'properties': {'system': {}, 'custom': 'x'}}",
    "{'branch': '0123456789012345678901234567890123456789', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'correlationId': '0123456789012345678901234567890123456789', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'searchHandle': '0123456789012345678901234567890123456789', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'initializing': null, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'initializing': {'episode': '1'}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'initializing': {'stage': 3}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'initializing': {'stageStartTime': null}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'hostCandidates': null, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'hostCandidates': [1], 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'hostCandidates': {}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'hostCandidates': ['0123456789012345678901234567890123456789'], 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'roleTypes': null, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'roleTypes': {'a': 1}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'roleTypes': {'a': {'roles': {'r': 1}}}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'roleTypes': {'a': {'roles': {'r': {'count': 1}}}}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'roleTypes': {'a': {'roles': {'r': {'count': 2, 'memberXuids': ['1']}}}}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'roleTypes': {'a': {'roles': {'r': {'count': 1, 'memberXuids': [1]}}}}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'roleTypes': {'a': {'roles': {'r': {'max': -1}}}}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'roleTypes': {'a': {'ownerManaged': 'no'}}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'roleTypes': {'a': {'mutableRoleSettings': [1]}}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'roleTypes': {'a': {'roles': null}}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'servers': null, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'servers': [], 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'servers': {'matchmaking': {'properties': 5}}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'servers': {'matchmaking': {'properties': {'system': {'typicalWait': -1}}}}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'servers': {'matchmaking': {'properties': {'system': {'status': 1}}}}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'servers': {'matchmaking': {'properties': {'system': {'targetSessionRef': null}}}}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'servers': {'matchmaking': {'properties': {'system': {'targetSessionRef': {'scid': '0123456789012345678901234567890123456789'}}}}}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'servers': {'matchmaking': {'properties': {'system': {'targetSessionRef': {'name': "
        "'0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789'}}}}}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    /* escapes and encoding in fields that are read */
    "{'branch': 'a\\xb', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'branch': 'a\\ud800', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'branch': 'a\\ud800\\u0041', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'branch': 'a\\udc00b', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'branch': 'a\\u00', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'branch': 'a\\u0000b', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'branch': 'a\xff', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'branch': 'a\xc0\xaf', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'branch': 'a\xed\xa0\x80', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'branch': 'a\tb', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'branch': 'a\xe2\x82', 'constants': {'system': {}}, 'properties': {'system': {}}}",
    /* ... and in parts only kept as raw text: the whole body must be JSON */
    "{'constants': {'system': {}, 'custom': {'x': 'a\\q'}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {}, 'custom': {'x': '\\udfff'}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {}, 'custom': {'x': '\xf8\x88\x80\x80\x80'}}, 'properties': {'system': {}}}",
    "{'constants': {'system': {}}, 'properties': {'system': {}}, 'unknown': '\xc3'}",
    "{'constants': {'system': {}}, 'properties': {'system': {}}, 'unknown': [1e400x]}",
    /* membersInfo and the member list */
    "{'membersInfo': null, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'membersInfo': {'next': 0}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'membersInfo': {'first': 0}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'membersInfo': {'first': '0', 'next': 0}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'membersInfo': {'first': 0, 'next': -1}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'membersInfo': {'first': 0, 'next': 0, 'accepted': -1}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'members': null, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'members': [], 'constants': {'system': {}}, 'properties': {'system': {}}}",
    /* first points at no entry */
    "{'members': {}, 'membersInfo': {'first': 0, 'next': 1}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    "{'membersInfo': {'first': 0, 'next': 1}, 'constants': {'system': {}}, 'properties': {'system': {}}}",
    /* next points at a missing index */
    DOC_M("'0': " M_OK(7) ", '3': " M_OK(5), 0, 5),
    /* a loop 0 → 3 → 0 */
    DOC_M("'0': " M_OK(3) ", '3': " M_OK(0), 0, 5),
    /* self loop */
    DOC_M("'0': " M_OK(0), 0, 5),
    /* entry without next, next of the wrong type */
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {}}}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {}}, 'next': '5'}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {}}, 'next': null}", 0, 5),
    /* entry not an object */
    DOC_M("'0': 5", 0, 5),
    DOC_M("'0': null", 0, 5),
    /* entry without constants.system / properties.system */
    DOC_M("'0': {'properties': {'system': {}}, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {}, 'properties': {'system': {}}, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': null}, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': []}, 'properties': {'system': {}}, 'next': 5}", 0, 5),
    /* the second member is the bad one */
    DOC_M("'0': " M_OK(3) ", '3': {'constants': {'system': {}}, 'next': 5}", 0, 5),
    /* member field types */
    DOC_M("'0': {'constants': {'system': {'xuid': 2814600000000001}}, 'properties': {'system': {}}, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {'xuid': '12a'}}, 'properties': {'system': {}}, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {'xuid': '18446744073709551616'}}, 'properties': {'system': {}}, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {'initialize': 'true'}}, 'properties': {'system': {}}, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {'matchmakingResult': 5}}, 'properties': {'system': {}}, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {'active': 1}}, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {'ready': null}}, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {'secureDeviceAddress': 5}}, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {'initializationGroup': [1.5]}}, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {'groups': [1]}}, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {'measurements': [1]}}, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {'subscription': {'changeTypes': 'host'}}}, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {'subscription': {'changeTypes': [7]}}}, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {}, 'custom': 5}, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {}}, 'roles': {'a': 1}, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {}}, 'roles': [], 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {}}, 'gamertag': 5, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {}}, 'gamertag': 'a\\ud800', 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {}}, 'deviceToken': '0123456789012345678901234567890123456789', 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {}}, 'nat': 1, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {}}, 'reserved': 'yes', 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {}}, 'activeTitleId': 1234, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {}}, 'activeTitleId': '4294967296', 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {}}, 'joinTime': 0, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {}}, 'turn': 'true', 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {}}, 'initializationFailure': 2, 'next': 5}", 0, 5),
    DOC_M("'0': {'constants': {'system': {}}, 'properties': {'system': {}}, 'initializationEpisode': -1, 'next': 5}", 0, 5),
    NULL
};

static void test_malformed_bodies_leave_out_untouched(void **state)
{
    xbl_mpsd_session s;
    size_t i;
    (void)state;
    new_session(&s, g_arena.b, ARENA_SIZE);
    assert_int_equal(load(&s, q(DOC_FULL)), XBL_MPSD_OK);
    take_snap(&s);
    for (i = 0; BAD_DOCS[i] != NULL; i++) {
        xbl_mpsd_result r = load(&s, q(BAD_DOCS[i]));
        if (r != XBL_MPSD_E_INVALID_JSON_STRING) print_message("accepted bad document #%zu: %s\n", i, g_text);
        assert_int_equal(r, XBL_MPSD_E_INVALID_JSON_STRING);
        assert_snap(&s);
    }
    print_message("%zu malformed documents rejected\n", i);
}

/* Every strict prefix of a valid document is rejected. */
static void test_truncated_bodies(void **state)
{
    xbl_mpsd_session s;
    xbl_mpsd__response_meta m = meta_for(XUID1);
    size_t len, cut, need;
    (void)state;
    new_session(&s, g_arena.b, ARENA_SIZE);
    assert_int_equal(load(&s, q(DOC_MPSD_EXAMPLE)), XBL_MPSD_OK);
    take_snap(&s);
    q_into(g_text2, DOC_FULL);
    len = strlen(g_text2);
    for (cut = 0; cut < len; cut++) {
        assert_int_equal(xbl_mpsd__session_load(&s, g_text2, cut, &m, g_scratch, SCRATCH_CAP, &need, NULL),
                XBL_MPSD_E_INVALID_JSON_STRING);
        assert_snap(&s);
    }
    /* a NUL inside the body */
    memcpy(g_text, g_text2, len + 1);
    g_text[len / 2] = '\0';
    assert_int_equal(xbl_mpsd__session_load(&s, g_text, len, &m, g_scratch, SCRATCH_CAP, &need, NULL),
            XBL_MPSD_E_INVALID_JSON_STRING);
    assert_snap(&s);
    /* NULL body */
    assert_int_equal(xbl_mpsd__session_load(&s, NULL, 0, &m, g_scratch, SCRATCH_CAP, &need, NULL),
            XBL_MPSD_E_INVALID_JSON_STRING);
    assert_snap(&s);
}


/* ------------------------------------------------------------ mutations */

/* Random byte edits of the full document: every result is OK or
   INVALID_JSON_STRING, and a rejected body leaves out untouched. */
static void test_mutated_bodies(void **state)
{
    xbl_mpsd_session s;
    xbl_mpsd__response_meta m = meta_for(XUID1);
    static const char alphabet[] = "{}[]\":,0123456789-.eE tfn\\u'abc\x80\xc3\xa9";
    uint32_t seed = 12345;
    size_t len, iter, need, ok = 0;
    (void)state;
    q_into(g_text2, DOC_FULL);
    len = strlen(g_text2);
    new_session(&s, g_arena.b, ARENA_SIZE);
    assert_int_equal(load(&s, q(DOC_MPSD_EXAMPLE)), XBL_MPSD_OK);
    for (iter = 0; iter < 4000; iter++) {
        size_t n = len, edits, k;
        xbl_mpsd_result r;
        memcpy(g_text, g_text2, len + 1);
        seed = seed * 1103515245u + 12345u;
        edits = 1 + (seed >> 16) % 3;
        for (k = 0; k < edits; k++) {
            size_t at;
            seed = seed * 1103515245u + 12345u;
            at = (seed >> 8) % n;
            seed = seed * 1103515245u + 12345u;
            switch ((seed >> 16) % 3) {
            case 0: g_text[at] = alphabet[(seed >> 4) % (sizeof alphabet - 1)]; break;
            case 1: memmove(g_text + at, g_text + at + 1, n - at); n--; break;
            default: memmove(g_text + at + 1, g_text + at, n - at + 1); n++;
                     g_text[at] = alphabet[(seed >> 4) % (sizeof alphabet - 1)]; break;
            }
        }
        take_snap(&s);
        r = xbl_mpsd__session_load(&s, g_text, n, &m, g_scratch, SCRATCH_CAP, &need, NULL);
        if (r == XBL_MPSD_OK) { ok++; continue; }
        assert_int_equal(r, XBL_MPSD_E_INVALID_JSON_STRING);
        assert_snap(&s);
    }
    print_message("%zu of 4000 mutated bodies still valid\n", ok);
}

/* ------------------------------------------------------------ arena */

static void test_arena_too_small_at_every_size(void **state)
{
    xbl_mpsd_session s;
    xbl_mpsd__response_meta m = meta_for(XUID1);
    size_t needed, size, need, len;
    (void)state;
    q(DOC_FULL);
    len = strlen(g_text);
    new_session(&s, g_arena.b, ARENA_SIZE);
    assert_int_equal(xbl_mpsd__session_load(&s, g_text, len, &m, g_scratch, SCRATCH_CAP, &need, NULL), XBL_MPSD_OK);
    needed = s.arena.used;
    assert_true(needed > 0);
    for (size = 0; size < needed; size++) {
        memset(g_arena.b, 0xA5, needed + 64);
        new_session(&s, g_arena.b, size);
        take_snap(&s);
        need = 12345;
        assert_int_equal(xbl_mpsd__session_load(&s, g_text, len, &m, g_scratch, SCRATCH_CAP, &need, NULL),
                XBL_MPSD_E_OUTOFMEMORY);
        assert_int_equal(need, 0);
        assert_snap(&s);
        {   /* nothing written anywhere in the block */
            size_t k;
            for (k = 0; k < needed + 64; k++) assert_int_equal(g_arena.b[k], 0xA5);
        }
    }
    new_session(&s, g_arena.b, needed);
    assert_int_equal(xbl_mpsd__session_load(&s, g_text, len, &m, g_scratch, SCRATCH_CAP, &need, NULL), XBL_MPSD_OK);
    assert_int_equal(s.arena.used, needed);
    assert_int_equal(xbl_mpsd_session_get_member(&s, 3)->xuid, XUID2);
    assert_int_equal(g_arena.b[needed], 0xA5);

    /* a session already holding a document keeps it on OUTOFMEMORY */
    new_session(&s, g_arena.b, needed - 1);
    assert_int_equal(load(&s, q(DOC_MPSD_EXAMPLE)), XBL_MPSD_OK);
    take_snap(&s);
    q(DOC_FULL);
    assert_int_equal(xbl_mpsd__session_load(&s, g_text, len, &m, g_scratch, SCRATCH_CAP, &need, NULL), XBL_MPSD_E_OUTOFMEMORY);
    assert_snap(&s);
}

/* ------------------------------------------------------------ scratch */

static void test_scratch_too_small(void **state)
{
    xbl_mpsd_session s;
    xbl_mpsd__response_meta m = meta_for(XUID1);
    size_t need = 0, exact, cap, len;
    (void)state;
    q(DOC_FULL);
    len = strlen(g_text);
    new_session(&s, g_arena.b, ARENA_SIZE);
    assert_int_equal(xbl_mpsd__session_load(&s, g_text, len, &m, g_scratch, SCRATCH_CAP, &need, NULL), XBL_MPSD_OK);
    exact = need;
    assert_true(exact > 100);
    assert_int_equal(load(&s, q(DOC_MPSD_EXAMPLE)), XBL_MPSD_OK);
    take_snap(&s);
    q(DOC_FULL);
    for (cap = 0; cap < exact; cap++) {
        need = 0;
        assert_int_equal(xbl_mpsd__session_load(&s, g_text, len, &m, g_scratch, cap, &need, NULL),
                XBL_MPSD_E_OUTOFMEMORY);
        assert_int_equal(need, exact);
        assert_snap(&s);
    }
    need = 0;
    assert_int_equal(xbl_mpsd__session_load(&s, g_text, len, &m, NULL, 0, &need, NULL), XBL_MPSD_E_OUTOFMEMORY);
    assert_int_equal(need, exact);
    assert_snap(&s);
    assert_int_equal(xbl_mpsd__session_load(&s, g_text, len, &m, g_scratch, exact, &need, NULL), XBL_MPSD_OK);
    assert_int_equal(need, exact);
    assert_int_equal(s.members_count, 2);

    /* 100 members: exact count too */
    len = build_100(g_text, TEXT_CAP);
    assert_int_equal(xbl_mpsd__session_load(&s, g_text, len, &m, g_scratch, 10, &need, NULL), XBL_MPSD_E_OUTOFMEMORY);
    exact = need;
    assert_int_equal(xbl_mpsd__session_load(&s, g_text, len, &m, g_scratch, exact - 1, &need, NULL), XBL_MPSD_E_OUTOFMEMORY);
    assert_int_equal(need, exact);
    assert_int_equal(xbl_mpsd__session_load(&s, g_text, len, &m, g_scratch, exact, &need, NULL), XBL_MPSD_OK);
    assert_int_equal(s.members_count, 100);
}

/* Invalid JSON wins over a short scratch buffer (API.md §1.4 precedence). */
static void test_invalid_json_before_scratch_shortage(void **state)
{
    xbl_mpsd_session s;
    xbl_mpsd__response_meta m = meta_for(XUID1);
    size_t need = 99;
    (void)state;
    new_session(&s, g_arena.b, ARENA_SIZE);
    q("{'constants': {'system': {}}, 'properties': {'system': {}}, 'x': [1 2]}");
    assert_int_equal(xbl_mpsd__session_load(&s, g_text, strlen(g_text), &m, g_scratch, 1, &need, NULL),
            XBL_MPSD_E_INVALID_JSON_STRING);
    assert_int_equal(need, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_document),
        cmocka_unit_test(test_full_document_other_user),
        cmocka_unit_test(test_new_subscription_id_each_load),
        cmocka_unit_test(test_member_initialization_pointer_follows_struct),
        cmocka_unit_test(test_mpsd_example),
        cmocka_unit_test(test_minimal_document_defaults),
        cmocka_unit_test(test_valid_variants),
        cmocka_unit_test(test_100_members),
        cmocka_unit_test(test_large_session_me),
        cmocka_unit_test(test_malformed_bodies_leave_out_untouched),
        cmocka_unit_test(test_truncated_bodies),
        cmocka_unit_test(test_mutated_bodies),
        cmocka_unit_test(test_arena_too_small_at_every_size),
        cmocka_unit_test(test_scratch_too_small),
        cmocka_unit_test(test_invalid_json_before_scratch_shortage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
