/* The C SDK with the POSIX port against the local emulator: every write
   mode, by handle, get, the 412 round trip, 204, service error texts.
   Run by tests/integration/run.sh, which starts the emulator (MPSD_PORT). */
#include "sdk_common.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>

static it_user alice, bob;
static int g_serial;

static xbl_mpsd_session_reference fresh_ref(void)
{
    return it_fresh_ref("it", &g_serial);
}

static void local_join(it_user *u, const xbl_mpsd_session_reference *ref)
{
    assert_int_equal(it_local_join(u, ref), XBL_MPSD_OK);
}

static int setup(void **state)
{
    (void)state;
    if (it_user_init(&alice, 2814600000000001ULL) != 0 || it_user_init(&bob, 2814600000000002ULL) != 0) return -1;
    return 0;
}

static void create_new_then_conflict(void **state)
{
    xbl_mpsd_session_reference ref = fresh_ref();
    const xbl_mpsd_session_member *me;
    (void)state;
    local_join(&alice, &ref);
    assert_int_equal(it_write(&alice, &alice.session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &alice.session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&alice.op), 201);
    assert_int_equal(xbl_mpsd_session_write_status(&alice.session), XBL_MPSD_WRITE_SESSION_STATUS_CREATED);
    assert_true(strlen(xbl_mpsd_session_etag(&alice.session)) > 0);
    me = xbl_mpsd_session_current_user(&alice.session);
    assert_non_null(me);
    assert_int_equal(me->member_id, 0);
    assert_int_equal(me->status, XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE);
    assert_string_equal(me->gamertag, "P1");
    assert_string_equal(xbl_mpsd_session_session_constants(&alice.session)->custom_json, "{}");
    assert_int_equal(xbl_mpsd_session_session_constants(&alice.session)->max_members_in_session, 8);
    assert_int_equal(xbl_mpsd_session_get_info(&alice.session)->change_number, 1);

    /* CreateNew on an existing session: 412 without a body */
    local_join(&bob, &ref);
    assert_int_equal(it_write(&bob, &bob.session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &bob.session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&bob.op), 412);
    assert_int_equal(xbl_mpsd_session_write_status(&bob.session), XBL_MPSD_WRITE_SESSION_STATUS_OUT_OF_SYNC);
    assert_false(xbl_mpsd_session_has_document(&bob.session));
    assert_string_equal(xbl_mpsd_session_etag(&bob.session), "");   /* never NULL */
}

static void update_existing_and_upsert(void **state)
{
    xbl_mpsd_session_reference ref = fresh_ref();
    (void)state;
    local_join(&alice, &ref);
    /* If-Match: * on a missing session: the emulator's default 412, no body */
    assert_int_equal(it_write(&alice, &alice.session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &alice.session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_write_status(&alice.session), XBL_MPSD_WRITE_SESSION_STATUS_OUT_OF_SYNC);
    assert_false(xbl_mpsd_session_has_document(&alice.session));

    local_join(&alice, &ref);
    assert_int_equal(it_write(&alice, &alice.session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_OR_CREATE_NEW, &alice.session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_write_status(&alice.session), XBL_MPSD_WRITE_SESSION_STATUS_CREATED);

    local_join(&bob, &ref);
    assert_int_equal(it_write(&bob, &bob.session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &bob.session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_write_status(&bob.session), XBL_MPSD_WRITE_SESSION_STATUS_UPDATED);
    {
        const xbl_mpsd_session_member *m;
        size_t n;
        assert_int_equal(xbl_mpsd_session_members(&bob.session, &m, &n), XBL_MPSD_OK);
        assert_int_equal(n, 2);
        assert_int_equal(m[0].xuid, alice.xuid);
        assert_int_equal(m[1].xuid, bob.xuid);
        assert_int_equal(m[1].member_id, 1);
        assert_true(m[1].is_current_user);
        assert_int_equal(xbl_mpsd_session_members_accepted(&bob.session), 2);
    }
}

static void synchronized_update_412_round_trip(void **state)
{
    xbl_mpsd_session_reference ref = fresh_ref();
    char stale_etag[128];
    (void)state;
    local_join(&alice, &ref);
    assert_int_equal(it_write(&alice, &alice.session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &alice.session), XBL_MPSD_OK);
    snprintf(stale_etag, sizeof stale_etag, "%s", xbl_mpsd_session_etag(&alice.session));

    assert_int_equal(xbl_mpsd_session_init(&bob.session, bob.xuid, NULL, NULL, bob.arena, sizeof bob.arena), XBL_MPSD_OK);
    assert_int_equal(it_get(&bob, &ref, &bob.session), XBL_MPSD_OK);
    assert_string_equal(xbl_mpsd_session_etag(&bob.session), stale_etag);
    assert_int_equal(xbl_mpsd_session_write_status(&bob.session), XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN);

    /* Alice moves the session on; Bob's copy is now stale */
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&alice.session, "round", "1"), XBL_MPSD_OK);
    assert_int_equal(it_write(&alice, &alice.session, XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE, &alice.session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_write_status(&alice.session), XBL_MPSD_WRITE_SESSION_STATUS_UPDATED);
    assert_string_not_equal(xbl_mpsd_session_etag(&alice.session), stale_etag);

    assert_int_equal(xbl_mpsd_session_set_closed(&bob.session, true), XBL_MPSD_OK);
    assert_int_equal(it_write(&bob, &bob.session, XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE, &bob.session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&bob.op), 412);
    assert_int_equal(xbl_mpsd_session_write_status(&bob.session), XBL_MPSD_WRITE_SESSION_STATUS_OUT_OF_SYNC);
    assert_true(xbl_mpsd_session_has_document(&bob.session));
    assert_string_equal(xbl_mpsd_session_etag(&bob.session), xbl_mpsd_session_etag(&alice.session));
    assert_string_equal(xbl_mpsd_session_session_properties(&bob.session)->session_custom_properties_json, "{\"round\":1}");
    assert_false(xbl_mpsd_session_session_properties(&bob.session)->closed);
}

/* A and B read; A writes mode=koth; B, from its stale copy, writes only
   map=dock: the service merges key by key, so both changes survive. */
static void two_writers_custom_merge(void **state)
{
    xbl_mpsd_session_reference ref = fresh_ref();
    (void)state;
    local_join(&alice, &ref);
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&alice.session, "mode", "\"coop\""), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&alice.session, "map", "\"harbor\""), XBL_MPSD_OK);
    assert_int_equal(it_write(&alice, &alice.session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &alice.session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_init(&bob.session, bob.xuid, NULL, NULL, bob.arena, sizeof bob.arena), XBL_MPSD_OK);
    assert_int_equal(it_get(&bob, &ref, &bob.session), XBL_MPSD_OK);

    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&alice.session, "mode", "\"koth\""), XBL_MPSD_OK);
    assert_int_equal(it_write(&alice, &alice.session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &alice.session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_write_status(&alice.session), XBL_MPSD_WRITE_SESSION_STATUS_UPDATED);

    assert_int_equal(xbl_mpsd_session_join(&bob.session, NULL, false, true), XBL_MPSD_OK);   /* members may write */
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&bob.session, "map", "\"dock\""), XBL_MPSD_OK);
    assert_int_equal(it_write(&bob, &bob.session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &bob.session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_write_status(&bob.session), XBL_MPSD_WRITE_SESSION_STATUS_UPDATED);
    assert_string_equal(xbl_mpsd_session_session_properties(&bob.session)->session_custom_properties_json,
                        "{\"mode\":\"koth\",\"map\":\"dock\"}");
}

static void by_handle_write_and_get(void **state)
{
    xbl_mpsd_session_reference ref = fresh_ref();
    char body[512];
    const xbl_mpsd_session_reference *got;
    (void)state;
    local_join(&alice, &ref);
    assert_int_equal(it_write(&alice, &alice.session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &alice.session), XBL_MPSD_OK);
    snprintf(body, sizeof body, "{\"id\":\"6f1e0c3a-0000-4000-8000-%012d\",\"version\":1,\"type\":\"activity\","
             "\"sessionRef\":{\"scid\":\"%s\",\"templateName\":\"quick\",\"name\":\"%s\"}}", g_serial, IT_SCID, ref.session_name);
    assert_int_equal(it_admin("/_emu/handles", body), 0);
    snprintf(body, sizeof body, "6f1e0c3a-0000-4000-8000-%012d", g_serial);

    local_join(&bob, NULL);
    assert_int_equal(xbl_mpsd_write_session_by_handle_async(&bob.client, &bob.session,
            XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, body, &bob.op), XBL_MPSD_OK);
    it_wait(&bob.op);
    assert_int_equal(xbl_mpsd_write_session_by_handle_result(&bob.op, &bob.session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_write_status(&bob.session), XBL_MPSD_WRITE_SESSION_STATUS_UPDATED);
    got = xbl_mpsd_session_session_reference(&bob.session);
    assert_string_equal(got->scid, IT_SCID);
    assert_string_equal(got->session_template_name, "quick");
    assert_string_equal(got->session_name, ref.session_name);

    assert_int_equal(xbl_mpsd_get_session_by_handle_async(&alice.client, body, &alice.op), XBL_MPSD_OK);
    it_wait(&alice.op);
    assert_int_equal(xbl_mpsd_get_session_by_handle_result(&alice.op, &alice.session), XBL_MPSD_OK);
    assert_string_equal(xbl_mpsd_session_session_reference(&alice.session)->session_name, ref.session_name);
    assert_string_equal(xbl_mpsd_session_etag(&alice.session), xbl_mpsd_session_etag(&bob.session));

    /* an unknown handle is the service's 404, with its text kept */
    assert_int_equal(xbl_mpsd_get_session_by_handle_async(&alice.client, "00000000-dead-4000-8000-000000000000", &alice.op), XBL_MPSD_OK);
    it_wait(&alice.op);
    assert_int_equal(xbl_mpsd_get_session_by_handle_result(&alice.op, &alice.session), XBL_MPSD_E_HTTP_STATUS(404));
    assert_true(strlen(xbl_mpsd_async_error_text(&alice.op)) > 0);
    assert_string_equal(xbl_mpsd_session_session_reference(&alice.session)->session_name, ref.session_name);
}

static void errors_keep_text_and_session(void **state)
{
    xbl_mpsd_session_reference ref = fresh_ref();
    xbl_mpsd_session_init_args args;
    uint8_t before[sizeof(xbl_mpsd_session)];
    (void)state;
    memset(&args, 0, sizeof args);
    args.max_members_in_session = 9;   /* the template fixes 8: constants conflict */
    assert_int_equal(xbl_mpsd_session_init(&alice.session, alice.xuid, &ref, &args, alice.arena, sizeof alice.arena), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_join(&alice.session, NULL, false, true), XBL_MPSD_OK);
    memcpy(before, &alice.session, sizeof before);
    assert_int_equal(it_write(&alice, &alice.session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &alice.session),
                     XBL_MPSD_E_HTTP_STATUS(409));
    assert_int_equal(xbl_mpsd_async_http_status(&alice.op), 409);
    assert_true(strlen(xbl_mpsd_async_error_text(&alice.op)) > 0);
    assert_null(strchr(xbl_mpsd_async_error_text(&alice.op), '\n'));   /* the emulator's line end is dropped */
    assert_memory_equal(before, &alice.session, sizeof before);

    /* a non-member writing without joining is refused (MPSD §10 #17) */
    local_join(&alice, &ref);
    assert_int_equal(it_write(&alice, &alice.session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &alice.session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_init(&bob.session, bob.xuid, &ref, NULL, bob.arena, sizeof bob.arena), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&bob.session, "x", "1"), XBL_MPSD_OK);
    assert_int_equal(it_write(&bob, &bob.session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &bob.session),
                     XBL_MPSD_E_HTTP_STATUS(403));
    assert_true(strlen(xbl_mpsd_async_error_text(&bob.op)) > 0);
}

static void last_leave_deletes_204(void **state)
{
    xbl_mpsd_session_reference ref = fresh_ref();
    (void)state;
    local_join(&alice, &ref);
    assert_int_equal(it_write(&alice, &alice.session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &alice.session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_leave(&alice.session), XBL_MPSD_OK);
    assert_int_equal(it_write(&alice, &alice.session, XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE, &alice.session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&alice.op), 204);
    assert_int_equal(xbl_mpsd_session_write_status(&alice.session), XBL_MPSD_WRITE_SESSION_STATUS_SESSION_DELETED);
    assert_false(xbl_mpsd_session_has_document(&alice.session));
    assert_int_equal(xbl_mpsd_session_init(&alice.session, alice.xuid, NULL, NULL, alice.arena, sizeof alice.arena), XBL_MPSD_OK);
    assert_int_equal(it_get(&alice, &ref, &alice.session), XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND);
    assert_false(xbl_mpsd_session_has_document(&alice.session));
}

static void keep_alive_across_writes(void **state)
{
    xbl_mpsd_session_reference ref = fresh_ref();
    int i;
    (void)state;
    local_join(&alice, &ref);
    assert_int_equal(it_write(&alice, &alice.session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &alice.session), XBL_MPSD_OK);
    for (i = 0; i < 20; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        assert_int_equal(xbl_mpsd_session_current_user_set_custom_property_json(&alice.session, "i", v), XBL_MPSD_OK);
        assert_int_equal(it_write(&alice, &alice.session, XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE, &alice.session), XBL_MPSD_OK);
        assert_int_equal(xbl_mpsd_session_write_status(&alice.session), XBL_MPSD_WRITE_SESSION_STATUS_UPDATED);
    }
    assert_string_equal(xbl_mpsd_session_current_user(&alice.session)->custom_properties_json, "{\"i\":19}");
    assert_int_equal(xbl_mpsd_session_get_info(&alice.session)->change_number, 21);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_new_then_conflict),
        cmocka_unit_test(update_existing_and_upsert),
        cmocka_unit_test(synchronized_update_412_round_trip),
        cmocka_unit_test(two_writers_custom_merge),
        cmocka_unit_test(by_handle_write_and_get),
        cmocka_unit_test(errors_keep_text_and_session),
        cmocka_unit_test(last_leave_deletes_204),
        cmocka_unit_test(keep_alive_across_writes),
    };
    return cmocka_run_group_tests_name("integration against the emulator", tests, setup, NULL);
}
