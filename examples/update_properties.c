/* Optimistic concurrency: Alice and Bob both read the session; Bob writes
   first; Alice's SynchronizedUpdate (If-Match: <her etag>) answers 412 with
   the latest session, and she re-applies her change to it and writes again.
   usage: update_properties [--trace] [host [port [session-name]]] */
#include "example_common.h"

static example_user alice, bob;

static xbl_mpsd_result read_session(example_user *u, const xbl_mpsd_session_reference *ref)
{
    xbl_mpsd_result rc = xbl_mpsd_session_init(&u->session, u->xuid, NULL, NULL, u->arena, sizeof u->arena);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_get_session_async(&u->client, ref, &u->op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&u->op);
    return xbl_mpsd_get_session_result(&u->op, &u->session);
}

static xbl_mpsd_result write_synchronized(example_user *u)
{
    xbl_mpsd_result rc = xbl_mpsd_write_session_async(&u->client, &u->session,
            XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE, &u->op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&u->op);
    return xbl_mpsd_write_session_result(&u->op, &u->session);
}

/* The change Alice wants, as a function so it can be applied again. */
static xbl_mpsd_result alice_change(xbl_mpsd_session *s)
{
    xbl_mpsd_result rc = xbl_mpsd_session_set_custom_property_json(s, "round", "2");
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_session_current_user_set_custom_property_json(s, "score", "150");
    return rc;
}

int main(int argc, char **argv)
{
    const char *host;
    uint16_t port;
    xbl_mpsd_session_reference ref;
    xbl_mpsd_result rc;
    int attempt;

    example_args(&argc, argv, &host, &port);
    if (example_user_init(&alice, "Alice", 2814600000000001ULL, host, port) != 0
        || example_user_init(&bob, "Bob", 2814600000000002ULL, host, port) != 0) return 1;
    ref = xbl_mpsd_session_reference_create(EXAMPLE_SCID, "quick", argc > 3 ? argv[3] : "demo-session");

    if ((rc = read_session(&alice, &ref)) != XBL_MPSD_OK) { example_fail("Alice's read", rc, &alice.op); return 1; }
    if ((rc = read_session(&bob, &ref)) != XBL_MPSD_OK) { example_fail("Bob's read", rc, &bob.op); return 1; }
    printf("Alice and Bob read the session at etag %s\n", xbl_mpsd_session_etag(&alice.session));

    rc = xbl_mpsd_session_set_custom_property_json(&bob.session, "map", "\"canyon\"");
    if (rc == XBL_MPSD_OK) rc = write_synchronized(&bob);
    if (rc != XBL_MPSD_OK) { example_fail("Bob's write", rc, &bob.op); return 1; }
    printf("Bob set map=\"canyon\": %s, etag now %s\n",
           xbl_mpsd_write_session_status_string(xbl_mpsd_session_write_status(&bob.session)), xbl_mpsd_session_etag(&bob.session));

    for (attempt = 1; attempt <= 5; attempt++) {
        if ((rc = alice_change(&alice.session)) != XBL_MPSD_OK) { example_fail("Alice's change", rc, NULL); return 1; }
        if ((rc = write_synchronized(&alice)) != XBL_MPSD_OK) { example_fail("Alice's write", rc, &alice.op); return 1; }
        if (xbl_mpsd_session_write_status(&alice.session) != XBL_MPSD_WRITE_SESSION_STATUS_OUT_OF_SYNC) break;
        /* 412: nothing was written and alice.session now holds the latest
           document and etag; a 412 without a body leaves no document. */
        printf("Alice's write #%d: OutOfSync (412), re-applying to etag %s\n", attempt,
               xbl_mpsd_session_has_document(&alice.session) ? xbl_mpsd_session_etag(&alice.session) : "(none)");
        if (!xbl_mpsd_session_has_document(&alice.session)
            && (rc = read_session(&alice, &ref)) != XBL_MPSD_OK) { example_fail("re-read", rc, &alice.op); return 1; }
    }
    printf("Alice's write #%d: %s, session custom properties %s\n", attempt,
           xbl_mpsd_write_session_status_string(xbl_mpsd_session_write_status(&alice.session)),
           xbl_mpsd_session_session_properties(&alice.session)->session_custom_properties_json);
    example_user_close(&alice);
    example_user_close(&bob);
    return xbl_mpsd_session_write_status(&alice.session) == XBL_MPSD_WRITE_SESSION_STATUS_UPDATED ? 0 : 1;
}
