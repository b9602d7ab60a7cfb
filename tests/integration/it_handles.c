/* The handles family against the local emulator, one test per example
   flow: set activity, find it (for users, for a social group), join by its
   handle, clear it; invites in order, the invitee joins; a transfer handle
   from a lobby to a match; WithProperties results; and the emulator's
   faults on each call (tests/FAULTS.md). A fault meant for the second
   exchange of a multi-exchange call is armed from the trace hook when the
   first exchange's response arrives, so the emulator has already answered
   the first request and the fault (count 1) lands on the next one.
   Run by tests/integration/run.sh, which starts the emulator (MPSD_PORT). */
#include "sdk_common.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>

/* A SCID and users of their own: the other integration programs share the
   emulator, and activities are one per user per SCID. */
#define H_SCID   "00000000-0000-0000-0000-0000000017e0"
#define ALICE    UINT64_C(2814600000017001)
#define BOB      UINT64_C(2814600000017002)
#define CAROL    UINT64_C(2814600000017003)

/* Arms an emulator fault when the client's first response arrives. */
typedef struct arm_on_response {
    const char *fault_json;   /* NULL: disarmed */
    int         armed;
} arm_on_response;

static arm_on_response g_arm;
static it_user alice, bob, carol;
static int g_serial;

static void arm_trace(void *user, xbl_mpsd_trace_kind kind, const uint8_t *data, size_t len)
{
    arm_on_response *a = (arm_on_response *)user;
    (void)data; (void)len;
    if (kind != XBL_MPSD_TRACE_RESPONSE || a->fault_json == NULL || a->armed) return;
    a->armed = 1;
    if (it_admin("/_emu/faults", a->fault_json) != 0) fprintf(stderr, "arming %s failed\n", a->fault_json);
}

static void arm_after_first_response(const char *fault_json)
{
    g_arm.fault_json = fault_json;
    g_arm.armed = 0;
}

static void clear_faults(void)
{
    g_arm.fault_json = NULL;
    assert_int_equal(it_admin("/_emu/faults", "{\"fault\": \"\"}"), 0);
}

static int setup(void **state)
{
    (void)state;
    if (it_user_init_with(&alice, ALICE, NULL, arm_trace, &g_arm) != 0 || it_user_init(&bob, BOB) != 0
        || it_user_init(&carol, CAROL) != 0) return -1;
    return 0;
}

static int teardown_test(void **state)
{
    (void)state;
    g_arm.fault_json = NULL;
    return it_admin("/_emu/faults", "{\"fault\": \"\"}") == 0 ? 0 : -1;
}

static xbl_mpsd_session_reference fresh_ref(const char *prefix)
{
    char name[64];
    snprintf(name, sizeof name, "%s-%ld-%d", prefix, (long)time(NULL), ++g_serial);
    return xbl_mpsd_session_reference_create(H_SCID, "quick", name);
}

/* u creates or joins ref, with the session custom property map (or none). */
static void join(it_user *u, const xbl_mpsd_session_reference *ref, const char *map_json)
{
    assert_int_equal(it_local_join(u, ref), XBL_MPSD_OK);
    if (map_json != NULL)
        assert_int_equal(xbl_mpsd_session_set_custom_property_json(&u->session, "map", map_json), XBL_MPSD_OK);
    assert_int_equal(it_write(u, &u->session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_OR_CREATE_NEW, &u->session), XBL_MPSD_OK);
    assert_true(xbl_mpsd_session_has_document(&u->session));
}

static xbl_mpsd_result set_activity(it_user *u, const xbl_mpsd_session_reference *ref)
{
    xbl_mpsd_result rc = xbl_mpsd_set_activity_async(&u->client, ref, &u->op);
    return rc != XBL_MPSD_OK ? rc : it_wait(&u->op);
}

static xbl_mpsd_result clear_activity(it_user *u)
{
    xbl_mpsd_result rc = xbl_mpsd_clear_activity_async(&u->client, H_SCID, &u->op);
    return rc != XBL_MPSD_OK ? rc : it_wait(&u->op);
}

/* who's plain activity query for xuids; *n the count, out[0..n-1] filled. */
static xbl_mpsd_result activities_for_users(it_user *who, const uint64_t *xuids, size_t count,
        xbl_mpsd_activity_details *out, size_t cap, size_t *n)
{
    xbl_mpsd_result rc = xbl_mpsd_get_activities_for_users_async(&who->client, H_SCID, xuids, count, &who->op);
    if (rc != XBL_MPSD_OK) return rc;
    rc = it_wait(&who->op);
    if (rc != XBL_MPSD_OK) {
        assert_int_equal(xbl_mpsd_get_activities_for_users_result_count(&who->op, n), rc);   /* consumed */
        return rc;
    }
    assert_int_equal(xbl_mpsd_get_activities_for_users_result_count(&who->op, n), XBL_MPSD_OK);
    assert_true(*n <= cap);
    return xbl_mpsd_get_activities_for_users_result(&who->op, cap, out);
}

static size_t activity_count_of(it_user *who, uint64_t xuid)
{
    xbl_mpsd_activity_details d[2];
    size_t n = 99;
    assert_int_equal(activities_for_users(who, &xuid, 1, d, 2, &n), XBL_MPSD_OK);
    return n;
}

/* One activity as the emulator reports it for a session of `members`
   members with no title claim in the owner's token. */
static void assert_activity(const xbl_mpsd_activity_details *d, const xbl_mpsd_session_reference *ref,
        uint64_t owner, uint32_t members)
{
    assert_string_equal(d->session_reference.scid, H_SCID);
    assert_string_equal(d->session_reference.session_template_name, "quick");
    assert_string_equal(d->session_reference.session_name, ref->session_name);
    assert_int_equal(strlen(d->handle_id), 36);   /* the emulator's IDs are GUIDs */
    assert_true(d->owner_xuid == owner);
    assert_int_equal(d->title_id, 0);
    assert_int_equal(d->visibility, XBL_MPSD_SESSION_VISIBILITY_OPEN);
    assert_false(d->closed);
    assert_int_equal(d->max_members_count, 8);
    assert_int_equal(d->members_count, members);
    assert_null(d->custom_session_properties_json);
}

/* u joins through a handle; the service names the session. */
static xbl_mpsd_result join_by_handle(it_user *u, const char *handle_id)
{
    xbl_mpsd_result rc = it_local_join(u, NULL);
    if (rc != XBL_MPSD_OK) return rc;
    rc = xbl_mpsd_write_session_by_handle_async(&u->client, &u->session,
            XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, handle_id, &u->op);
    if (rc != XBL_MPSD_OK) return rc;
    it_wait(&u->op);
    return xbl_mpsd_write_session_by_handle_result(&u->op, &u->session);
}

static void assert_members(const xbl_mpsd_session *s, const uint64_t *xuids, size_t n)
{
    const xbl_mpsd_session_member *m;
    size_t count, i;
    assert_int_equal(xbl_mpsd_session_members(s, &m, &count), XBL_MPSD_OK);
    assert_int_equal(count, n);
    for (i = 0; i < n; i++) assert_true(m[i].xuid == xuids[i]);
}

/* A number computed from the emulator's state dump: `expr` is a Python
   expression over the dump `s` and the string `arg`; -1 when it failed. */
static long long state_number(const char *expr, const char *arg)
{
    char cmd[768];
    long long x = -1;
    FILE *p;
    snprintf(cmd, sizeof cmd, "python3 -c \"import json,sys,urllib.request;s=json.load(urllib.request.urlopen("
             "'http://127.0.0.1:%u/_emu/state'));arg=sys.argv[1];print(%s)\" %s", (unsigned)it_port(), expr, arg);
    p = popen(cmd, "r");
    assert_non_null(p);
    if (fscanf(p, "%lld", &x) != 1) x = -1;
    pclose(p);
    return x;
}

/* The invitedXuid of the invite handle `id`. */
static uint64_t invited_xuid_of(const char *id)
{
    long long x = state_number("next(h['invitedXuid'] for h in s['handles'] if h['id']==arg)", id);
    return x < 0 ? 0 : (uint64_t)x;
}

/* The number of invite handles the emulator holds for the session `name`. */
static long long invites_of_session(const char *name)
{
    return state_number("sum(1 for h in s['handles'] if h['type']=='invite' and h['sessionRef']['name']==arg)", name);
}

/* ---- activity: set, for users, for a social group, join by it, clear ---- */

static void activity_set_find_join_clear(void **state)
{
    xbl_mpsd_session_reference ref = fresh_ref("act");
    xbl_mpsd_activity_details d[3];
    uint64_t owners[3] = { BOB, ALICE, CAROL };
    const uint64_t both[2] = { ALICE, BOB };
    char handle[XBL_MPSD_GUID_LENGTH];
    size_t n = 0;
    (void)state;
    join(&alice, &ref, NULL);
    assert_int_equal(set_activity(&alice, &ref), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&alice.op), 201);

    /* Bob asks for three users: only Alice has an activity in this SCID */
    memset(d, 0xA5, sizeof d);
    assert_int_equal(activities_for_users(&bob, owners, 3, d, 3, &n), XBL_MPSD_OK);
    assert_int_equal(n, 1);
    assert_activity(&d[0], &ref, ALICE, 1);
    assert_int_equal(d[0].join_restriction, XBL_MPSD_SESSION_RESTRICTION_NONE);
    {   /* entries past the count are not written */
        unsigned char untouched[sizeof d[1]];
        memset(untouched, 0xA5, sizeof untouched);
        assert_memory_equal(&d[1], untouched, sizeof untouched);
    }
    snprintf(handle, sizeof handle, "%s", d[0].handle_id);

    /* the same activity through Bob's "people" group (set in the emulator) */
    assert_int_equal(it_admin("/_emu/social", "{\"xuid\": \"2814600000017002\", \"moniker\": \"people\","
                                              " \"xuids\": [\"2814600000017001\", \"2814600000017003\"]}"), 0);
    assert_int_equal(xbl_mpsd_get_activities_for_social_group_async(&bob.client, H_SCID, BOB, "people", &bob.op), XBL_MPSD_OK);
    assert_int_equal(it_wait(&bob.op), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_activities_for_social_group_result_count(&bob.op, &n), XBL_MPSD_OK);
    assert_int_equal(n, 1);
    memset(d, 0, sizeof d);
    assert_int_equal(xbl_mpsd_get_activities_for_social_group_result(&bob.op, 1, d), XBL_MPSD_OK);
    assert_activity(&d[0], &ref, ALICE, 1);
    assert_string_equal(d[0].handle_id, handle);
    /* a group nobody configured is empty */
    assert_int_equal(xbl_mpsd_get_activities_for_social_group_async(&bob.client, H_SCID, BOB, "favorites", &bob.op), XBL_MPSD_OK);
    assert_int_equal(it_wait(&bob.op), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_activities_for_social_group_result_count(&bob.op, &n), XBL_MPSD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(xbl_mpsd_get_activities_for_social_group_result(&bob.op, 0, NULL), XBL_MPSD_OK);

    /* Bob joins by the handle; the activity's counts follow the session */
    assert_int_equal(join_by_handle(&bob, handle), XBL_MPSD_OK);
    assert_string_equal(xbl_mpsd_session_session_reference(&bob.session)->session_name, ref.session_name);
    assert_int_equal(xbl_mpsd_session_write_status(&bob.session), XBL_MPSD_WRITE_SESSION_STATUS_UPDATED);
    assert_members(&bob.session, both, 2);
    assert_int_equal(set_activity(&bob, &ref), XBL_MPSD_OK);
    assert_int_equal(activities_for_users(&carol, both, 2, d, 3, &n), XBL_MPSD_OK);
    assert_int_equal(n, 2);   /* in owner order */
    assert_activity(&d[0], &ref, ALICE, 2);
    assert_activity(&d[1], &ref, BOB, 2);
    assert_string_equal(d[0].handle_id, handle);
    assert_string_not_equal(d[1].handle_id, handle);

    /* Alice clears hers: query, then DELETE; the query then finds only Bob's */
    assert_int_equal(clear_activity(&alice), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&alice.op), 204);
    assert_int_equal(activities_for_users(&carol, both, 2, d, 3, &n), XBL_MPSD_OK);
    assert_int_equal(n, 1);
    assert_true(d[0].owner_xuid == BOB);
    assert_int_equal(activity_count_of(&carol, ALICE), 0);
    /* clearing again: the query finds none, no DELETE is sent */
    assert_int_equal(clear_activity(&alice), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_async_http_status(&alice.op), 200);
    assert_int_equal(clear_activity(&bob), XBL_MPSD_OK);
    assert_int_equal(activity_count_of(&carol, BOB), 0);
}

/* ---- WithProperties: the sessions' custom properties ride along ---- */

static void activities_with_properties(void **state)
{
    xbl_mpsd_session_reference ref = fresh_ref("props"), bare = fresh_ref("bare");
    const uint64_t owners[2] = { ALICE, BOB };
    uint64_t buf[256];
    xbl_mpsd_activity_details *arr = NULL;
    size_t size = 0, count = 0, used = 0;
    (void)state;
    join(&alice, &ref, "\"harbor\"");
    join(&bob, &bare, NULL);
    assert_int_equal(set_activity(&alice, &ref), XBL_MPSD_OK);
    assert_int_equal(set_activity(&bob, &bare), XBL_MPSD_OK);

    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_users_async(&carol.client, H_SCID, owners, 2, &carol.op), XBL_MPSD_OK);
    assert_int_equal(it_wait(&carol.op), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_users_result_size(&carol.op, &size), XBL_MPSD_OK);
    assert_true(size >= 2 * sizeof(xbl_mpsd_activity_details) && size <= sizeof buf);
    /* one byte short: OUTOFMEMORY, the need reported, not consumed */
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_users_result(&carol.op, size - 1, buf, &arr, &count, &used),
                     XBL_MPSD_E_OUTOFMEMORY);
    assert_int_equal(used, size);
    assert_null(arr);
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_users_result(&carol.op, size, buf, &arr, &count, &used),
                     XBL_MPSD_OK);
    assert_int_equal(count, 2);
    assert_true(used <= size);
    assert_non_null(arr);
    assert_true(arr[0].owner_xuid == ALICE);
    assert_string_equal(arr[0].session_reference.session_name, ref.session_name);
    assert_string_equal(arr[0].custom_session_properties_json, "{\"map\":\"harbor\"}");
    assert_true(arr[1].owner_xuid == BOB);
    assert_string_equal(arr[1].session_reference.session_name, bare.session_name);
    assert_string_equal(arr[1].custom_session_properties_json, "{}");
    assert_int_equal(arr[1].members_count, 1);

    /* the social-group form carries the same texts */
    assert_int_equal(it_admin("/_emu/social", "{\"xuid\": \"2814600000017003\", \"moniker\": \"people\","
                                              " \"xuids\": [\"2814600000017001\"]}"), 0);
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_social_group_async(&carol.client, H_SCID, CAROL, "people",
                     &carol.op), XBL_MPSD_OK);
    assert_int_equal(it_wait(&carol.op), XBL_MPSD_OK);
    /* the plain result call refuses a WithProperties operation */
    assert_int_equal(xbl_mpsd_get_activities_for_social_group_result(&carol.op, 0, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_activities_with_properties_for_social_group_result(&carol.op, sizeof buf, buf, &arr,
                     &count, NULL), XBL_MPSD_OK);
    assert_int_equal(count, 1);
    assert_true(arr[0].owner_xuid == ALICE);
    assert_string_equal(arr[0].custom_session_properties_json, "{\"map\":\"harbor\"}");
    assert_int_equal(clear_activity(&alice), XBL_MPSD_OK);
    assert_int_equal(clear_activity(&bob), XBL_MPSD_OK);
}

/* ---- invites: in order, the invitee joins through its handle ---- */

static xbl_mpsd_result send_invites(const xbl_mpsd_session_reference *ref, const uint64_t *xuids, size_t n)
{
    xbl_mpsd_result rc = xbl_mpsd_send_invites_async(&alice.client, ref, xuids, n, 1872345603u, "///joinMe",
                                                     "seat=2", &alice.op);
    return rc != XBL_MPSD_OK ? rc : it_wait(&alice.op);
}

static void invites_in_order_invitee_joins(void **state)
{
    xbl_mpsd_session_reference ref = fresh_ref("inv");
    const uint64_t invited[2] = { CAROL, BOB };
    const uint64_t all[3] = { ALICE, CAROL, BOB };
    xbl_mpsd_invite_handle h[3];
    size_t n = 0;
    (void)state;
    join(&alice, &ref, NULL);
    assert_int_equal(send_invites(&ref, invited, 2), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&alice.op), 201);
    assert_int_equal(xbl_mpsd_send_invites_result_count(&alice.op, &n), XBL_MPSD_OK);
    assert_int_equal(n, 2);
    assert_int_equal(xbl_mpsd_send_invites_result(&alice.op, 1, h), XBL_MPSD_E_OUTOFMEMORY);   /* not consumed */
    memset(h, 0x5A, sizeof h);
    assert_int_equal(xbl_mpsd_send_invites_result(&alice.op, 3, h), XBL_MPSD_OK);
    assert_int_equal(strlen(h[0].data), 36);
    assert_int_equal(strlen(h[1].data), 36);
    assert_string_not_equal(h[0].data, h[1].data);
    assert_int_equal((unsigned char)h[2].data[0], 0x5A);   /* past the count: not written */
    /* h[i] answers invited[i] */
    assert_true(invited_xuid_of(h[0].data) == CAROL);
    assert_true(invited_xuid_of(h[1].data) == BOB);
    assert_int_equal(xbl_mpsd_send_invites_result(&alice.op, 3, h), XBL_MPSD_E_UNEXPECTED);   /* consumed */

    assert_int_equal(join_by_handle(&carol, h[0].data), XBL_MPSD_OK);
    assert_string_equal(xbl_mpsd_session_session_reference(&carol.session)->session_name, ref.session_name);
    assert_int_equal(join_by_handle(&bob, h[1].data), XBL_MPSD_OK);
    assert_members(&bob.session, all, 3);
}

/* ---- transfer: lobby members move to the match ---- */

static void transfer_lobby_to_match(void **state)
{
    xbl_mpsd_session_reference lobby = fresh_ref("lobby"), match = fresh_ref("match");
    const uint64_t moved[2] = { ALICE, BOB };
    xbl_mpsd_session_handle_id id;
    (void)state;
    join(&alice, &lobby, NULL);
    join(&bob, &lobby, NULL);
    join(&alice, &match, NULL);
    assert_int_equal(xbl_mpsd_set_transfer_handle_async(&alice.client, match, lobby, &alice.op), XBL_MPSD_OK);
    assert_int_equal(it_wait(&alice.op), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&alice.op), 201);
    memset(&id, 0, sizeof id);
    assert_int_equal(xbl_mpsd_set_transfer_handle_result(&alice.op, &id), XBL_MPSD_OK);
    assert_int_equal(strlen(id.value), 36);

    assert_int_equal(join_by_handle(&bob, id.value), XBL_MPSD_OK);
    assert_string_equal(xbl_mpsd_session_session_reference(&bob.session)->session_name, match.session_name);
    assert_members(&bob.session, moved, 2);
    /* Carol, in neither session, may not create one */
    assert_int_equal(xbl_mpsd_set_transfer_handle_async(&carol.client, match, lobby, &carol.op), XBL_MPSD_OK);
    assert_int_equal(it_wait(&carol.op), XBL_MPSD_E_HTTP_STATUS(403));
    assert_int_equal(xbl_mpsd_set_transfer_handle_result(&carol.op, &id), XBL_MPSD_E_HTTP_STATUS(403));
    assert_int_equal(strlen(id.value), 36);   /* untouched by the failure */
}

/* ---- faults (tests/FAULTS.md §2) ---- */

static void fault_503_on_second_invite(void **state)
{
    xbl_mpsd_session_reference ref = fresh_ref("inv503");
    const uint64_t invited[2] = { CAROL, BOB };
    xbl_mpsd_invite_handle h[2];
    (void)state;
    join(&alice, &ref, NULL);
    arm_after_first_response("{\"fault\": \"503\", \"count\": 1}");
    assert_int_equal(send_invites(&ref, invited, 2), XBL_MPSD_OK);   /* one went through */
    assert_int_equal(g_arm.armed, 1);
    assert_int_equal(xbl_mpsd_async_http_status(&alice.op), 503);      /* the last exchange */
    assert_string_equal(xbl_mpsd_async_error_text(&alice.op), "service unavailable (injected)");
    assert_int_equal(xbl_mpsd_send_invites_result(&alice.op, 2, h), XBL_MPSD_OK);
    assert_int_equal(strlen(h[0].data), 36);
    assert_string_equal(h[1].data, "");
    assert_true(invited_xuid_of(h[0].data) == CAROL);
    clear_faults();
    assert_int_equal(join_by_handle(&carol, h[0].data), XBL_MPSD_OK);
}

static void fault_503_on_every_invite(void **state)
{
    xbl_mpsd_session_reference ref = fresh_ref("inv503all");
    const uint64_t invited[2] = { CAROL, BOB };
    xbl_mpsd_invite_handle h[2];
    size_t n = 7;
    (void)state;
    join(&alice, &ref, NULL);
    assert_int_equal(it_admin("/_emu/faults", "{\"fault\": \"503\", \"count\": 2}"), 0);
    assert_int_equal(send_invites(&ref, invited, 2), XBL_MPSD_E_HTTP_STATUS(503));   /* the first's code */
    memset(h, 0x11, sizeof h);
    assert_int_equal(xbl_mpsd_send_invites_result_count(&alice.op, &n), XBL_MPSD_E_HTTP_STATUS(503));
    assert_int_equal(n, 7);
    assert_int_equal(xbl_mpsd_send_invites_result(&alice.op, 2, h), XBL_MPSD_E_UNEXPECTED);   /* consumed */
    assert_int_equal((unsigned char)h[0].data[0], 0x11);
}

static void fault_503_on_set_activity_stores_nothing(void **state)
{
    xbl_mpsd_session_reference ref = fresh_ref("set503");
    (void)state;
    join(&alice, &ref, NULL);
    assert_int_equal(it_admin("/_emu/faults", "{\"fault\": \"503\", \"count\": 1}"), 0);
    assert_int_equal(set_activity(&alice, &ref), XBL_MPSD_E_HTTP_STATUS(503));
    assert_int_equal(activity_count_of(&bob, ALICE), 0);
    assert_int_equal(set_activity(&alice, &ref), XBL_MPSD_OK);   /* the async is free again */
    assert_int_equal(activity_count_of(&bob, ALICE), 1);
    assert_int_equal(clear_activity(&alice), XBL_MPSD_OK);
}

static void fault_503_on_clear_query_sends_no_delete(void **state)
{
    xbl_mpsd_session_reference ref = fresh_ref("clr503");
    (void)state;
    join(&alice, &ref, NULL);
    assert_int_equal(set_activity(&alice, &ref), XBL_MPSD_OK);
    assert_int_equal(it_admin("/_emu/faults", "{\"fault\": \"503\", \"count\": 1}"), 0);
    assert_int_equal(clear_activity(&alice), XBL_MPSD_E_HTTP_STATUS(503));
    assert_int_equal(activity_count_of(&bob, ALICE), 1);   /* still there */
    assert_int_equal(clear_activity(&alice), XBL_MPSD_OK);
    assert_int_equal(activity_count_of(&bob, ALICE), 0);
}

static void fault_dropped_connection_on_clear_delete(void **state)
{
    xbl_mpsd_session_reference ref = fresh_ref("clrdrop");
    (void)state;
    join(&alice, &ref, NULL);
    assert_int_equal(set_activity(&alice, &ref), XBL_MPSD_OK);
    /* the DELETE's answer is cut after 12 bytes and the connection closed */
    arm_after_first_response("{\"fault\": \"close=12\", \"count\": 1}");
    assert_int_equal(clear_activity(&alice), XBL_MPSD_E_CONNECTION_CLOSED);
    assert_int_equal(g_arm.armed, 1);
    /* the service had done it: the handle is gone, and Alice reconnects */
    assert_int_equal(activity_count_of(&bob, ALICE), 0);
    assert_int_equal(set_activity(&alice, &ref), XBL_MPSD_OK);
    assert_int_equal(clear_activity(&alice), XBL_MPSD_OK);
}

static void fault_chunked_activity_query_same_fields(void **state)
{
    xbl_mpsd_session_reference ref = fresh_ref("chunk");
    xbl_mpsd_activity_details d[1];
    uint64_t owner = ALICE;
    size_t n = 0;
    (void)state;
    join(&alice, &ref, NULL);
    assert_int_equal(set_activity(&alice, &ref), XBL_MPSD_OK);
    assert_int_equal(it_admin("/_emu/faults", "{\"fault\": \"chunked=3\", \"count\": 1}"), 0);
    assert_int_equal(activities_for_users(&bob, &owner, 1, d, 1, &n), XBL_MPSD_OK);
    assert_int_equal(n, 1);
    assert_activity(&d[0], &ref, ALICE, 1);
    assert_int_equal(clear_activity(&alice), XBL_MPSD_OK);
}

static void fault_503_on_transfer(void **state)
{
    xbl_mpsd_session_reference lobby = fresh_ref("tlobby"), match = fresh_ref("tmatch");
    xbl_mpsd_session_handle_id id;
    (void)state;
    join(&alice, &lobby, NULL);
    join(&alice, &match, NULL);
    assert_int_equal(it_admin("/_emu/faults", "{\"fault\": \"503\", \"count\": 1}"), 0);
    assert_int_equal(xbl_mpsd_set_transfer_handle_async(&alice.client, match, lobby, &alice.op), XBL_MPSD_OK);
    assert_int_equal(it_wait(&alice.op), XBL_MPSD_E_HTTP_STATUS(503));
    memset(&id, 0x22, sizeof id);
    assert_int_equal(xbl_mpsd_set_transfer_handle_result(&alice.op, &id), XBL_MPSD_E_HTTP_STATUS(503));
    assert_int_equal((unsigned char)id.value[0], 0x22);
    assert_int_equal(xbl_mpsd_set_transfer_handle_result(&alice.op, &id), XBL_MPSD_E_UNEXPECTED);
}


/* close=0: the service applied the DELETE, then the connection died
   before a byte of the answer. The kept connection's death before any
   byte makes the SDK send the request once more on a new connection,
   which finds the handle gone: 404, although the activity was cleared. */
static void fault_close0_on_clear_delete_resent_404(void **state)
{
    xbl_mpsd_session_reference ref = fresh_ref("clr0");
    (void)state;
    join(&alice, &ref, NULL);
    assert_int_equal(set_activity(&alice, &ref), XBL_MPSD_OK);
    arm_after_first_response("{\"fault\": \"close=0\", \"count\": 1}");
    assert_int_equal(clear_activity(&alice), XBL_MPSD_E_HTTP_STATUS(404));
    assert_int_equal(xbl_mpsd_async_http_status(&alice.op), 404);
    assert_string_equal(xbl_mpsd_async_error_text(&alice.op), "handle not found");
    assert_int_equal(activity_count_of(&bob, ALICE), 0);
}

/* KNOWN BUG (run with IT_KNOWN_BUGS=1, `make handles-known-bugs`; fails
   today): the same resend applies to POST /handles, which is not
   idempotent. close=0 on the second invite: the service stored the
   invite, the SDK posts it again, and Bob holds two invites to one
   session. No request whose effect cannot be repeated should be resent
   once the service may have applied it (RFC 9110 section 9.2.2). */
static void known_bug_invite_post_resent_duplicates(void **state)
{
    xbl_mpsd_session_reference ref = fresh_ref("inv0");
    const uint64_t invited[2] = { CAROL, BOB };
    (void)state;
    if (getenv("IT_KNOWN_BUGS") == NULL) { skip(); return; }
    join(&alice, &ref, NULL);
    arm_after_first_response("{\"fault\": \"close=0\", \"count\": 1}");
    (void)send_invites(&ref, invited, 2);
    assert_int_equal(xbl_mpsd_send_invites_result(&alice.op, 0, NULL), XBL_MPSD_OK);
    assert_int_equal(invites_of_session(ref.session_name), 2);   /* today: 3 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(activity_set_find_join_clear, teardown_test),
        cmocka_unit_test_teardown(activities_with_properties, teardown_test),
        cmocka_unit_test_teardown(invites_in_order_invitee_joins, teardown_test),
        cmocka_unit_test_teardown(transfer_lobby_to_match, teardown_test),
        cmocka_unit_test_teardown(fault_503_on_second_invite, teardown_test),
        cmocka_unit_test_teardown(fault_503_on_every_invite, teardown_test),
        cmocka_unit_test_teardown(fault_503_on_set_activity_stores_nothing, teardown_test),
        cmocka_unit_test_teardown(fault_503_on_clear_query_sends_no_delete, teardown_test),
        cmocka_unit_test_teardown(fault_dropped_connection_on_clear_delete, teardown_test),
        cmocka_unit_test_teardown(fault_chunked_activity_query_same_fields, teardown_test),
        cmocka_unit_test_teardown(fault_503_on_transfer, teardown_test),
        cmocka_unit_test_teardown(fault_close0_on_clear_delete_resent_404, teardown_test),
        cmocka_unit_test_teardown(known_bug_invite_post_resent_duplicates, teardown_test),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
