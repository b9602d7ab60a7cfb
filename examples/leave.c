/* Bob leaves, then Alice leaves: her write empties the session, the
   service deletes it (sessionEmptyTimeout 0) and answers 204, which the
   SDK reports as success with write status SESSION_DELETED and no document.
   Before leaving, each clears the activity they published (join_activity):
   a title clears its activity when the player leaves, so friends stop
   seeing a game they can no longer join. Clearing is one call; the SDK
   looks the user's activity up and deletes that handle.
   usage: leave [--trace] [host [port [session-name]]] */
#include "example_common.h"

static example_user alice, bob;

/* Deletes u's activity in our SCID. No result call: the poll's value is
   the outcome (E_INVALIDARG when u published none). */
static xbl_mpsd_result clear_activity(example_user *u)
{
    xbl_mpsd_result rc = xbl_mpsd_clear_activity_async(&u->client, EXAMPLE_SCID, &u->op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&u->op);
    if (rc != XBL_MPSD_OK) { example_fail("clear activity", rc, &u->op); return rc; }
    printf("%s cleared the activity\n", u->gamertag);
    return XBL_MPSD_OK;
}

/* How many activities the users of xuids have in our SCID. */
static xbl_mpsd_result count_activities(example_user *who, const uint64_t *xuids, size_t n, size_t *count)
{
    xbl_mpsd_result rc = xbl_mpsd_get_activities_for_users_async(&who->client, EXAMPLE_SCID, xuids, n, &who->op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&who->op);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_get_activities_for_users_result_count(&who->op, count);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_get_activities_for_users_result(&who->op, 0, NULL);   /* done with it */
    if (rc != XBL_MPSD_OK) example_fail("activities for users", rc, &who->op);
    return rc;
}

static xbl_mpsd_result leave(example_user *u, const xbl_mpsd_session_reference *ref)
{
    xbl_mpsd_result rc = clear_activity(u);
    if (rc != XBL_MPSD_OK) return rc;
    rc = xbl_mpsd_session_init(&u->session, u->xuid, ref, NULL, u->arena, sizeof u->arena);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_session_leave(&u->session);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_write_session_async(&u->client, &u->session,
            XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &u->op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&u->op);
    rc = xbl_mpsd_write_session_result(&u->op, &u->session);
    if (rc != XBL_MPSD_OK) { example_fail("leave", rc, &u->op); return rc; }
    printf("%s left: %s, %s\n", u->gamertag, xbl_mpsd_write_session_status_string(xbl_mpsd_session_write_status(&u->session)),
           xbl_mpsd_session_has_document(&u->session) ? "the session goes on" : "no session document any more");
    return XBL_MPSD_OK;
}

int main(int argc, char **argv)
{
    const char *host;
    uint16_t port;
    xbl_mpsd_session_reference ref;
    uint64_t both[2];
    size_t left_over = 0;
    xbl_mpsd_result rc;

    example_args(&argc, argv, &host, &port);
    if (example_user_init(&alice, "Alice", 2814600000000001ULL, host, port) != 0
        || example_user_init(&bob, "Bob", 2814600000000002ULL, host, port) != 0) return 1;
    ref = xbl_mpsd_session_reference_create(EXAMPLE_SCID, "quick", argc > 3 ? argv[3] : "demo-session");
    if (leave(&bob, &ref) != XBL_MPSD_OK || leave(&alice, &ref) != XBL_MPSD_OK) return 1;

    both[0] = alice.xuid;
    both[1] = bob.xuid;
    if (count_activities(&alice, both, 2, &left_over) != XBL_MPSD_OK) return 1;
    printf("activities of Alice and Bob now: %u\n", (unsigned)left_over);

    /* A read now finds nothing: 204 on GET is "no such session". */
    xbl_mpsd_session_init(&alice.session, alice.xuid, NULL, NULL, alice.arena, sizeof alice.arena);
    rc = xbl_mpsd_get_session_async(&alice.client, &ref, &alice.op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&alice.op);
    rc = xbl_mpsd_get_session_result(&alice.op, &alice.session);
    printf("reading it again: %s\n", xbl_mpsd_result_string(rc));
    example_user_close(&alice);
    example_user_close(&bob);
    return rc == XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND && left_over == 0 ? 0 : 1;
}
