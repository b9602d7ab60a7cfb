/* Alice, a member of the session, invites two users: one POST per invited
   XUID, every one attempted. The result has one entry per XUID in the
   order she gave them: the invite handle's ID, or "" for an invite that
   failed (the demo makes the emulator refuse the first with a 503). Carol
   receives her invite's ID (a real title gets it from the platform's
   invite notification), joins through it, and leaves again.
   usage: invite_friend [--trace] [host [port [session-name]]] */
#include "example_common.h"

#define EXAMPLE_TITLE_ID 1872345603u   /* goes to the invitee as inviteAttributes.titleId */

static example_user alice, carol;

/* Alice's invites; handles[i] answers xuids[i]. The operation succeeds
   when at least one invite went through. */
static xbl_mpsd_result send_invites(const xbl_mpsd_session_reference *ref, const uint64_t *xuids, size_t n,
        xbl_mpsd_invite_handle *handles)
{
    size_t count = 0, i;
    xbl_mpsd_result rc = xbl_mpsd_send_invites_async(&alice.client, ref, xuids, n, EXAMPLE_TITLE_ID,
            NULL /* no custom invite string */, "seat=2" /* handed to the invitee's title */, &alice.op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&alice.op);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_send_invites_result_count(&alice.op, &count);   /* == n */
    if (rc == XBL_MPSD_OK && count > n) rc = XBL_MPSD_E_OUTOFMEMORY;
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_send_invites_result(&alice.op, n, handles);
    if (rc != XBL_MPSD_OK) { example_fail("send invites", rc, &alice.op); return rc; }
    for (i = 0; i < n; i++)
        printf("invite to %llu: %s\n", (unsigned long long)xuids[i],
               handles[i].data[0] != '\0' ? handles[i].data : "failed (no handle)");
    return XBL_MPSD_OK;
}

/* u joins (or, with leave, leaves) through a handle or a reference. */
static xbl_mpsd_result write_as(example_user *u, const char *handle_id, const xbl_mpsd_session_reference *ref, bool leave)
{
    xbl_mpsd_result rc = xbl_mpsd_session_init(&u->session, u->xuid, ref, NULL, u->arena, sizeof u->arena);
    if (rc == XBL_MPSD_OK) rc = leave ? xbl_mpsd_session_leave(&u->session) : xbl_mpsd_session_join(&u->session, NULL, false, true);
    if (rc != XBL_MPSD_OK) { example_fail("building the session", rc, NULL); return rc; }
    rc = handle_id != NULL
        ? xbl_mpsd_write_session_by_handle_async(&u->client, &u->session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, handle_id, &u->op)
        : xbl_mpsd_write_session_async(&u->client, &u->session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &u->op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&u->op);
    rc = xbl_mpsd_write_session_result(&u->op, &u->session);
    if (rc != XBL_MPSD_OK) example_fail(leave ? "leave" : "join by invite", rc, &u->op);
    return rc;
}

int main(int argc, char **argv)
{
    const char *host;
    uint16_t port;
    xbl_mpsd_session_reference ref;
    /* Dave first: the demo arms a one-request 503, so his invite fails */
    const uint64_t invited[2] = { 2814600000000004ULL, 2814600000000003ULL /* Carol */ };
    xbl_mpsd_invite_handle handles[2];
    const xbl_mpsd_session_member *members;
    size_t count, i;

    example_args(&argc, argv, &host, &port);
    if (example_user_init(&alice, "Alice", 2814600000000001ULL, host, port) != 0
        || example_user_init(&carol, "Carol", invited[1], host, port) != 0) return 1;
    ref = xbl_mpsd_session_reference_create(EXAMPLE_SCID, "quick", argc > 3 ? argv[3] : "demo-session");

    if (send_invites(&ref, invited, 2, handles) != XBL_MPSD_OK) return 1;
    if (handles[1].data[0] == '\0') { fprintf(stderr, "Carol's invite failed\n"); return 1; }

    if (write_as(&carol, handles[1].data, NULL, false) != XBL_MPSD_OK) return 1;
    xbl_mpsd_session_members(&carol.session, &members, &count);
    printf("Carol joined %s through her invite, members:", xbl_mpsd_session_session_reference(&carol.session)->session_name);
    for (i = 0; i < count; i++) printf(" %u:%s", (unsigned)members[i].member_id, members[i].gamertag);
    printf("\n");

    if (write_as(&carol, NULL, &ref, true) != XBL_MPSD_OK) return 1;
    printf("Carol said hello and left: %s\n",
           xbl_mpsd_write_session_status_string(xbl_mpsd_session_write_status(&carol.session)));
    example_user_close(&alice);
    example_user_close(&carol);
    return 0;
}
