/* Bob leaves, then Alice leaves: her write empties the session, the
   service deletes it (sessionEmptyTimeout 0) and answers 204, which the
   SDK reports as success with write status SESSION_DELETED and no document.
   usage: leave [--trace] [host [port [session-name]]] */
#include "example_common.h"

static example_user alice, bob;

static xbl_mpsd_result leave(example_user *u, const xbl_mpsd_session_reference *ref)
{
    xbl_mpsd_result rc = xbl_mpsd_session_init(&u->session, u->xuid, ref, NULL, u->arena, sizeof u->arena);
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
    xbl_mpsd_result rc;

    example_args(&argc, argv, &host, &port);
    if (example_user_init(&alice, "Alice", 2814600000000001ULL, host, port) != 0
        || example_user_init(&bob, "Bob", 2814600000000002ULL, host, port) != 0) return 1;
    ref = xbl_mpsd_session_reference_create(EXAMPLE_SCID, "quick", argc > 3 ? argv[3] : "demo-session");
    if (leave(&bob, &ref) != XBL_MPSD_OK || leave(&alice, &ref) != XBL_MPSD_OK) return 1;

    /* A read now finds nothing: 204 on GET is "no such session". */
    xbl_mpsd_session_init(&alice.session, alice.xuid, NULL, NULL, alice.arena, sizeof alice.arena);
    rc = xbl_mpsd_get_session_async(&alice.client, &ref, &alice.op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&alice.op);
    rc = xbl_mpsd_get_session_result(&alice.op, &alice.session);
    printf("reading it again: %s\n", xbl_mpsd_result_string(rc));
    example_user_close(&alice);
    example_user_close(&bob);
    return rc == XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND ? 0 : 1;
}
