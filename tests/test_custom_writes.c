/* Custom-property writes: by default only the keys changed since the
   session was read are sent (the service merges custom objects key by key);
   with XBL_MPSD_WRITE_WHOLE_CUSTOM 1 (tests/test_custom_writes_whole.c
   includes this file) the whole local object, as XSAPI sends it. Bodies are
   compared byte for byte. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "json_eq.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "session_util.h"

#if XBL_MPSD_WRITE_WHOLE_CUSTOM
#define WHOLE_OR(whole, changed) whole
#else
#define WHOLE_OR(whole, changed) changed
#endif

static const char DOC[] =
"{\"contractVersion\":107,\"correlationId\":\"7c9e1b2a-44f0-4a1c-9d3e-0f1e2d3c4b5a\","
"\"constants\":{\"system\":{\"version\":1,\"maxMembersCount\":8,\"visibility\":\"open\"},\"custom\":{}},"
"\"properties\":{\"system\":{\"joinRestriction\":\"none\"},\"custom\":{\"mode\":\"coop\",\"map\":\"harbor\"}},"
"\"members\":{\"0\":{\"constants\":{\"system\":{\"xuid\":\"2814600000000001\"},\"custom\":{}},"
"\"properties\":{\"system\":{\"active\":true},\"custom\":{\"k\":1,\"team\":\"red\"}},"
"\"gamertag\":\"PlayerOne\",\"joinTime\":\"2024-03-01T10:00:00.0000000Z\",\"next\":1}},"
"\"membersInfo\":{\"first\":0,\"next\":1,\"count\":1,\"accepted\":1},\"servers\":{}}";

static void load(xbl_mpsd_session *s, void *arena, size_t arena_size)
{
    su_load_service(s, arena, arena_size, DOC, XUID1);
}

static void test_session_custom_sends_changed_keys(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    load(&s, g_arena1.b, sizeof g_arena1.b);
    assert_string_equal(su_body(&s), "{}");
    EXPECT_OK(xbl_mpsd_session_set_custom_property_json(&s, "map", "\"dock\""));
    assert_string_equal(su_body(&s), WHOLE_OR("{\"properties\":{\"custom\":{\"mode\":\"coop\",\"map\":\"dock\"}}}",
                                              "{\"properties\":{\"custom\":{\"map\":\"dock\"}}}"));
    EXPECT_OK(xbl_mpsd_session_delete_custom_property_json(&s, "gone"));
    EXPECT_OK(xbl_mpsd_session_set_custom_property_json(&s, "map", "{\"n\":null}"));
    assert_string_equal(su_body(&s),
        WHOLE_OR("{\"properties\":{\"custom\":{\"mode\":\"coop\",\"map\":{\"n\":null},\"gone\":null}}}",
                 "{\"properties\":{\"custom\":{\"map\":{\"n\":null},\"gone\":null}}}"));
    /* the getter shows the whole local object in both modes */
    assert_string_equal(xbl_mpsd_session_session_properties(&s)->session_custom_properties_json,
                        "{\"mode\":\"coop\",\"map\":{\"n\":null},\"gone\":null}");
}

static void test_member_custom_sends_changed_keys(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    load(&s, g_arena1.b, sizeof g_arena1.b);
    EXPECT_OK(xbl_mpsd_session_current_user_set_custom_property_json(&s, "ready", "true"));
    EXPECT_OK(xbl_mpsd_session_current_user_delete_custom_property_json(&s, "k"));
    assert_string_equal(su_body(&s),
        WHOLE_OR("{\"members\":{\"me\":{\"properties\":{\"custom\":{\"k\":null,\"team\":\"red\",\"ready\":true}}}}}",
                 "{\"members\":{\"me\":{\"properties\":{\"custom\":{\"ready\":true,\"k\":null}}}}}"));
}

static void test_changes_survive_copy_and_end_with_a_new_document(void **state)
{
    xbl_mpsd_session s, c;
    (void)state;
    load(&s, g_arena1.b, sizeof g_arena1.b);
    EXPECT_OK(xbl_mpsd_session_set_custom_property_json(&s, "map", "\"dock\""));
    EXPECT_OK(xbl_mpsd_session_current_user_set_custom_property_json(&s, "ready", "true"));
    memset(&c, 0, sizeof c);
    EXPECT_OK(xbl_mpsd_session_init(&c, XUID1, NULL, NULL, g_arena2.b, sizeof g_arena2.b));
    EXPECT_OK(xbl_mpsd_session_copy(&c, &s));
    assert_string_equal(su_body(&c),
        WHOLE_OR("{\"properties\":{\"custom\":{\"mode\":\"coop\",\"map\":\"dock\"}},"
                 "\"members\":{\"me\":{\"properties\":{\"custom\":{\"k\":1,\"team\":\"red\",\"ready\":true}}}}}",
                 "{\"properties\":{\"custom\":{\"map\":\"dock\"}},"
                 "\"members\":{\"me\":{\"properties\":{\"custom\":{\"ready\":true}}}}}"));
    /* a document read into the session starts a new change set */
    load(&s, g_arena1.b, sizeof g_arena1.b);
    assert_string_equal(su_body(&s), "{}");
}

static void test_join_starts_with_no_member_changes(void **state)
{
    xbl_mpsd_session s;
    (void)state;
    su_init(&s);
    EXPECT_OK(xbl_mpsd_session_join(&s, NULL, false, false));
    EXPECT_OK(xbl_mpsd_session_current_user_set_custom_property_json(&s, "slot", "2"));
    assert_string_equal(su_body(&s), "{\"members\":{\"me\":{\"constants\":{\"system\":{\"xuid\":\"" XUID1_STR "\"}},"
                                     "\"properties\":{\"custom\":{\"slot\":2}}}}}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_custom_sends_changed_keys),
        cmocka_unit_test(test_member_custom_sends_changed_keys),
        cmocka_unit_test(test_changes_survive_copy_and_end_with_a_new_document),
        cmocka_unit_test(test_join_starts_with_no_member_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
