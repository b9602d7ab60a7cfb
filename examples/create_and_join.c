/* Alice creates a session from the "quick" template and joins it as active
   (CreateNew: If-None-Match: *, so it fails if the session already exists).
   usage: create_and_join [--trace] [host [port [session-name]]] */
#include "example_common.h"

static example_user alice;

int main(int argc, char **argv)
{
    const char *host;
    uint16_t port;
    xbl_mpsd_session_reference ref;
    xbl_mpsd_session_init_args args;
    const xbl_mpsd_session_member *members;
    size_t count;
    xbl_mpsd_result rc;

    example_args(&argc, argv, &host, &port);
    if (example_user_init(&alice, "Alice", 2814600000000001ULL, host, port) != 0) return 1;
    ref = xbl_mpsd_session_reference_create(EXAMPLE_SCID, "quick", argc > 3 ? argv[3] : "demo-session");

    /* Title-defined constants travel only on the creating write. */
    memset(&args, 0, sizeof args);
    args.custom_json = "{\"mode\":\"coop\",\"map\":\"harbor\"}";
    rc = xbl_mpsd_session_init(&alice.session, alice.xuid, &ref, &args, alice.arena, sizeof alice.arena);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_session_join(&alice.session, "{\"team\":\"red\"}", false, true);
    if (rc != XBL_MPSD_OK) { example_fail("building the session", rc, NULL); return 1; }

    rc = xbl_mpsd_write_session_async(&alice.client, &alice.session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &alice.op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&alice.op);
    /* The written session receives the service's document: the usual pattern. */
    rc = xbl_mpsd_write_session_result(&alice.op, &alice.session);
    if (rc != XBL_MPSD_OK) { example_fail("create", rc, &alice.op); return 1; }

    xbl_mpsd_session_members(&alice.session, &members, &count);
    printf("Alice created %s: %s, etag %s, %u member(s), Alice is member %u\n",
           ref.session_name, xbl_mpsd_write_session_status_string(xbl_mpsd_session_write_status(&alice.session)),
           xbl_mpsd_session_etag(&alice.session), (unsigned)count,
           (unsigned)xbl_mpsd_session_current_user(&alice.session)->member_id);
    example_user_close(&alice);
    return 0;
}
