/* Bob joins through a handle (an invite or activity handle's ID, as a title
   receives it on activation). His local session has no reference: the
   service names the session in Content-Location.
   usage: join_by_handle [--trace] host port handle-id */
#include "example_common.h"

static example_user bob;

int main(int argc, char **argv)
{
    const char *host;
    uint16_t port;
    const xbl_mpsd_session_reference *ref;
    const xbl_mpsd_session_member *members;
    size_t count, i;
    xbl_mpsd_result rc;

    example_args(&argc, argv, &host, &port);
    if (argc < 4) { fprintf(stderr, "usage: %s [--trace] host port handle-id\n", argv[0]); return 2; }
    if (example_user_init(&bob, "Bob", 2814600000000002ULL, host, port) != 0) return 1;

    rc = xbl_mpsd_session_init(&bob.session, bob.xuid, NULL, NULL, bob.arena, sizeof bob.arena);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_session_join(&bob.session, NULL, false, true);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_session_current_user_set_custom_property_json(&bob.session, "ready", "true");
    if (rc != XBL_MPSD_OK) { example_fail("building the session", rc, NULL); return 1; }

    rc = xbl_mpsd_write_session_by_handle_async(&bob.client, &bob.session,
            XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, argv[3], &bob.op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&bob.op);
    rc = xbl_mpsd_write_session_by_handle_result(&bob.op, &bob.session);
    if (rc != XBL_MPSD_OK) { example_fail("join by handle", rc, &bob.op); return 1; }

    ref = xbl_mpsd_session_session_reference(&bob.session);
    xbl_mpsd_session_members(&bob.session, &members, &count);
    printf("Bob joined %s through handle %s: %s, members:", ref->session_name, argv[3],
           xbl_mpsd_write_session_status_string(xbl_mpsd_session_write_status(&bob.session)));
    for (i = 0; i < count; i++) printf(" %u:%s", (unsigned)members[i].member_id, members[i].gamertag);
    printf("\n");
    example_user_close(&bob);
    return 0;
}
