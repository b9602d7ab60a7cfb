/* Names a caller prints: result codes, every enum a log shows, and the
   string getters that must never hand back NULL. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

static void test_result_string_positive_is_not_pending(void **state)
{
    (void)state;
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_PENDING), "XBL_MPSD_PENDING");
    assert_string_equal(xbl_mpsd_result_string(2), "unknown positive value (not a result code)");
    assert_string_equal(xbl_mpsd_result_string(INT32_MAX), "unknown positive value (not a result code)");
}

static void test_write_status_names(void **state)
{
    (void)state;
    assert_string_equal(xbl_mpsd_write_session_status_string(XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN), "Unknown");
    assert_string_equal(xbl_mpsd_write_session_status_string(XBL_MPSD_WRITE_SESSION_STATUS_ACCESS_DENIED), "AccessDenied");
    assert_string_equal(xbl_mpsd_write_session_status_string(XBL_MPSD_WRITE_SESSION_STATUS_CREATED), "Created");
    assert_string_equal(xbl_mpsd_write_session_status_string(XBL_MPSD_WRITE_SESSION_STATUS_CONFLICT), "Conflict");
    assert_string_equal(xbl_mpsd_write_session_status_string(XBL_MPSD_WRITE_SESSION_STATUS_HANDLE_NOT_FOUND), "HandleNotFound");
    assert_string_equal(xbl_mpsd_write_session_status_string(XBL_MPSD_WRITE_SESSION_STATUS_OUT_OF_SYNC), "OutOfSync");
    assert_string_equal(xbl_mpsd_write_session_status_string(XBL_MPSD_WRITE_SESSION_STATUS_SESSION_DELETED), "SessionDeleted");
    assert_string_equal(xbl_mpsd_write_session_status_string(XBL_MPSD_WRITE_SESSION_STATUS_UPDATED), "Updated");
    assert_string_equal(xbl_mpsd_write_session_status_string((xbl_mpsd_write_session_status)8), "(invalid)");
    assert_string_equal(xbl_mpsd_write_session_status_string((xbl_mpsd_write_session_status)-1), "(invalid)");
}

static void test_member_status_visibility_restriction_names(void **state)
{
    (void)state;
    assert_string_equal(xbl_mpsd_session_member_status_string(XBL_MPSD_SESSION_MEMBER_STATUS_RESERVED), "Reserved");
    assert_string_equal(xbl_mpsd_session_member_status_string(XBL_MPSD_SESSION_MEMBER_STATUS_INACTIVE), "Inactive");
    assert_string_equal(xbl_mpsd_session_member_status_string(XBL_MPSD_SESSION_MEMBER_STATUS_READY), "Ready");
    assert_string_equal(xbl_mpsd_session_member_status_string(XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE), "Active");
    assert_string_equal(xbl_mpsd_session_member_status_string((xbl_mpsd_session_member_status)4), "(invalid)");
    assert_string_equal(xbl_mpsd_session_visibility_string(XBL_MPSD_SESSION_VISIBILITY_UNKNOWN), "Unknown");
    assert_string_equal(xbl_mpsd_session_visibility_string(XBL_MPSD_SESSION_VISIBILITY_ANY), "Any");
    assert_string_equal(xbl_mpsd_session_visibility_string(XBL_MPSD_SESSION_VISIBILITY_PRIVATE_SESSION), "PrivateSession");
    assert_string_equal(xbl_mpsd_session_visibility_string(XBL_MPSD_SESSION_VISIBILITY_VISIBLE), "Visible");
    assert_string_equal(xbl_mpsd_session_visibility_string(XBL_MPSD_SESSION_VISIBILITY_FULL), "Full");
    assert_string_equal(xbl_mpsd_session_visibility_string(XBL_MPSD_SESSION_VISIBILITY_OPEN), "Open");
    assert_string_equal(xbl_mpsd_session_visibility_string((xbl_mpsd_session_visibility)6), "(invalid)");
    assert_string_equal(xbl_mpsd_session_restriction_string(XBL_MPSD_SESSION_RESTRICTION_UNKNOWN), "Unknown");
    assert_string_equal(xbl_mpsd_session_restriction_string(XBL_MPSD_SESSION_RESTRICTION_NONE), "None");
    assert_string_equal(xbl_mpsd_session_restriction_string(XBL_MPSD_SESSION_RESTRICTION_LOCAL), "Local");
    assert_string_equal(xbl_mpsd_session_restriction_string(XBL_MPSD_SESSION_RESTRICTION_FOLLOWED), "Followed");
    assert_string_equal(xbl_mpsd_session_restriction_string((xbl_mpsd_session_restriction)4), "(invalid)");
}

static void test_change_type_names(void **state)
{
    (void)state;
    assert_string_equal(xbl_mpsd_session_change_type_string(XBL_MPSD_SESSION_CHANGE_TYPES_NONE), "None");
    assert_string_equal(xbl_mpsd_session_change_type_string(XBL_MPSD_SESSION_CHANGE_TYPES_EVERYTHING), "Everything");
    assert_string_equal(xbl_mpsd_session_change_type_string(XBL_MPSD_SESSION_CHANGE_TYPES_HOST_DEVICE_TOKEN_CHANGE), "HostDeviceTokenChange");
    assert_string_equal(xbl_mpsd_session_change_type_string(XBL_MPSD_SESSION_CHANGE_TYPES_INITIALIZATION_STATE_CHANGE), "InitializationStateChange");
    assert_string_equal(xbl_mpsd_session_change_type_string(XBL_MPSD_SESSION_CHANGE_TYPES_MATCHMAKING_STATUS_CHANGE), "MatchmakingStatusChange");
    assert_string_equal(xbl_mpsd_session_change_type_string(XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_LIST_CHANGE), "MemberListChange");
    assert_string_equal(xbl_mpsd_session_change_type_string(XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_STATUS_CHANGE), "MemberStatusChange");
    assert_string_equal(xbl_mpsd_session_change_type_string(XBL_MPSD_SESSION_CHANGE_TYPES_SESSION_JOINABILITY_CHANGE), "SessionJoinabilityChange");
    assert_string_equal(xbl_mpsd_session_change_type_string(XBL_MPSD_SESSION_CHANGE_TYPES_CUSTOM_PROPERTY_CHANGE), "CustomPropertyChange");
    assert_string_equal(xbl_mpsd_session_change_type_string(XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_CUSTOM_PROPERTY_CHANGE), "MemberCustomPropertyChange");
    assert_string_equal(xbl_mpsd_session_change_type_string(0x0200), "(invalid)");
    assert_string_equal(xbl_mpsd_session_change_type_string(0x0011), "(invalid)");
}

static void test_string_getters_never_null(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    memset(&s, 0, sizeof s);   /* cleared: what a 412 or 204 without a body leaves */
    assert_string_equal(xbl_mpsd_session_etag(&s), "");
    assert_string_equal(xbl_mpsd_session_raw_servers_json(&s), "");
    assert_string_equal(xbl_mpsd_session_etag(NULL), "");
    assert_string_equal(xbl_mpsd_session_raw_servers_json(NULL), "");
    assert_string_equal(xbl_mpsd_async_error_text(NULL), "");
}

/* Custom constants the service takes only as an object: refused locally,
   and the caller can learn which rule the text broke. */
static void test_custom_constants_must_be_objects(void **state)
{
    static unsigned char arena[8192];
    xbl_mpsd_session s;
    xbl_mpsd_session_init_args args;
    (void)state;
    memset(&args, 0, sizeof args);
    args.custom_json = "[\"mode\"]";
    assert_int_equal(xbl_mpsd_session_init(&s, 1, NULL, &args, arena, sizeof arena), XBL_MPSD_E_INVALID_JSON_STRING);
    assert_string_equal(xbl_mpsd_json_argument_error(args.custom_json, true),
                        "valid JSON but not an object; a JSON object ({...}) is required here");
    assert_int_equal(xbl_mpsd_session_init(&s, 1, NULL, NULL, arena, sizeof arena), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_join(&s, "\"red\"", false, false), XBL_MPSD_E_INVALID_JSON_STRING);
    assert_int_equal(xbl_mpsd_session_add_member_reservation(&s, 7, "3", false), XBL_MPSD_E_INVALID_JSON_STRING);
    assert_int_equal(xbl_mpsd_session_join(&s, " {\"team\":\"red\"} ", false, false), XBL_MPSD_OK);
    assert_string_equal(xbl_mpsd_json_argument_error(NULL, false), "NULL where JSON text is required");
    assert_null(xbl_mpsd_json_argument_error("\"red\"", false));
    assert_null(xbl_mpsd_json_argument_error(" {} ", true));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_result_string_positive_is_not_pending),
        cmocka_unit_test(test_write_status_names),
        cmocka_unit_test(test_member_status_visibility_restriction_names),
        cmocka_unit_test(test_change_type_names),
        cmocka_unit_test(test_string_getters_never_null),
        cmocka_unit_test(test_custom_constants_must_be_objects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
