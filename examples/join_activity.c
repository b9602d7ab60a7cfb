/* Alice publishes "I play in this session" (an activity handle); Bob, who
   knows only her XUID, finds that activity and joins through its handle,
   then publishes his own activity so that his friends can follow him.
   This is how a title lets a friend join: the activity query returns the
   session reference and a handle ID, and a write by handle joins.
   usage: join_activity [--trace] [host [port [session-name]]]
   (Alice must already be a member of the session: create_and_join.) */
#include "example_common.h"

static example_user alice, bob;

/* Publishes u's activity for the session ref (u must be a member). */
static xbl_mpsd_result publish_activity(example_user *u, const xbl_mpsd_session_reference *ref)
{
    xbl_mpsd_result rc = xbl_mpsd_set_activity_async(&u->client, ref, &u->op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&u->op);   /* no result call: the poll's value is the outcome */
    if (rc != XBL_MPSD_OK) example_fail("set activity", rc, &u->op);
    else printf("%s published an activity for %s\n", u->gamertag, ref->session_name);
    return rc;
}

/* The activity of the user `xuid` in our SCID, as `who` sees it. A query
   for several friends works the same way: one XUID array, one result each. */
static xbl_mpsd_result find_activity(example_user *who, uint64_t xuid, xbl_mpsd_activity_details *found)
{
    size_t count = 0;
    xbl_mpsd_result rc = xbl_mpsd_get_activities_for_users_async(&who->client, EXAMPLE_SCID, &xuid, 1, &who->op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&who->op);
    /* the count call does not consume the result: ask, then copy */
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_get_activities_for_users_result_count(&who->op, &count);
    if (rc == XBL_MPSD_OK && count != 1) {
        fprintf(stderr, "expected one activity of %llu, found %u\n", (unsigned long long)xuid, (unsigned)count);
        xbl_mpsd_get_activities_for_users_result(&who->op, 0, NULL);   /* NULL: discard the result */
        return XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND;
    }
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_get_activities_for_users_result(&who->op, 1, found);
    if (rc != XBL_MPSD_OK) example_fail("activities for users", rc, &who->op);
    return rc;
}

/* Bob joins by handle: his local session has no reference, the service
   names the session in its answer. */
static xbl_mpsd_result join_by_handle(example_user *u, const char *handle_id)
{
    xbl_mpsd_result rc = xbl_mpsd_session_init(&u->session, u->xuid, NULL, NULL, u->arena, sizeof u->arena);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_session_join(&u->session, NULL, false, true);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_write_session_by_handle_async(&u->client, &u->session,
            XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, handle_id, &u->op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&u->op);
    rc = xbl_mpsd_write_session_by_handle_result(&u->op, &u->session);
    if (rc != XBL_MPSD_OK) example_fail("join by handle", rc, &u->op);
    return rc;
}

int main(int argc, char **argv)
{
    const char *host;
    uint16_t port;
    xbl_mpsd_session_reference ref;
    xbl_mpsd_activity_details act;
    const xbl_mpsd_session_member *members;
    size_t count, i;

    example_args(&argc, argv, &host, &port);
    if (example_user_init(&alice, "Alice", 2814600000000001ULL, host, port) != 0
        || example_user_init(&bob, "Bob", 2814600000000002ULL, host, port) != 0) return 1;
    ref = xbl_mpsd_session_reference_create(EXAMPLE_SCID, "quick", argc > 3 ? argv[3] : "demo-session");

    if (publish_activity(&alice, &ref) != XBL_MPSD_OK) return 1;
    if (find_activity(&bob, alice.xuid, &act) != XBL_MPSD_OK) return 1;
    printf("Bob found Alice's activity: session %s, handle %s, %u of %u members, %s\n",
           act.session_reference.session_name, act.handle_id, (unsigned)act.members_count,
           (unsigned)act.max_members_count, act.closed ? "closed" : "open to join");

    if (join_by_handle(&bob, act.handle_id) != XBL_MPSD_OK) return 1;
    xbl_mpsd_session_members(&bob.session, &members, &count);
    printf("Bob joined %s through the handle: %s, members:",
           xbl_mpsd_session_session_reference(&bob.session)->session_name,
           xbl_mpsd_write_session_status_string(xbl_mpsd_session_write_status(&bob.session)));
    for (i = 0; i < count; i++) printf(" %u:%s", (unsigned)members[i].member_id, members[i].gamertag);
    printf("\n");

    /* Now a member, Bob publishes his activity too (leave clears both). */
    if (publish_activity(&bob, xbl_mpsd_session_session_reference(&bob.session)) != XBL_MPSD_OK) return 1;
    example_user_close(&alice);
    example_user_close(&bob);
    return 0;
}
