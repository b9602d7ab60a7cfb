/* Find a game: Alice creates a searchable session and makes it findable
   with a search handle carrying tags ("casual", "voicechat") and attributes
   (number minlevel = 12, string map = "harbor"). Bob, who knows nobody in
   it, asks for open games matching a filter, picks the first one and joins
   it by its session reference. Search names are matched in lower case by
   the service, so the filter compares tolower() of the tags.
   usage: find_game [--trace] [host [port [session-name]]] */
#include "example_common.h"

static example_user alice, bob;

/* The caller's storage for search results: zero heap, so a title sizes
   it once (the size call tells what a result needs). */
static xbl_mpsd_search_handle found[8];
static uint64_t found_buffer[4096 / 8];

/* Alice creates the session with the searchable capability (a constant:
   only the creating write sets it) and joins it. */
static xbl_mpsd_result create_searchable(const xbl_mpsd_session_reference *ref)
{
    xbl_mpsd_session_capabilities caps;
    xbl_mpsd_result rc = xbl_mpsd_session_init(&alice.session, alice.xuid, ref, NULL, alice.arena, sizeof alice.arena);
    memset(&caps, 0, sizeof caps);
    caps.searchable = true;
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_session_constants_set_capabilities(&alice.session, caps);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_session_join(&alice.session, NULL, false, true);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_write_session_async(&alice.client, &alice.session,
            XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &alice.op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&alice.op);
    rc = xbl_mpsd_write_session_result(&alice.op, &alice.session);
    if (rc != XBL_MPSD_OK) example_fail("create the session", rc, &alice.op);
    return rc;
}

/* Alice publishes the search handle. The result is copied into a buffer
   of hers; she only prints its ID, so a small one is enough. */
static xbl_mpsd_result publish_search_handle(const xbl_mpsd_session_reference *ref)
{
    static const xbl_mpsd_session_tag tags[2] = { { "casual" }, { "voicechat" } };
    static const xbl_mpsd_session_number_attribute numbers[1] = { { "minlevel", 12 } };
    static const xbl_mpsd_session_string_attribute strings[1] = { { "map", "harbor" } };
    xbl_mpsd_search_handle handle;
    uint64_t buffer[1024 / 8];
    const char *id = "";
    xbl_mpsd_result rc = xbl_mpsd_create_search_handle_async(&alice.client, ref, tags, 2, numbers, 1, strings, 1,
                                                             &alice.op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&alice.op);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_create_search_handle_result(&alice.op, &handle, buffer, sizeof buffer, NULL);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_search_handle_get_id(&handle, &id);
    if (rc != XBL_MPSD_OK) { example_fail("create search handle", rc, &alice.op); return rc; }
    printf("Alice made %s findable: search handle %s (tags casual, voicechat; minlevel 12; map harbor)\n",
           ref->session_name, id);
    return XBL_MPSD_OK;
}

/* Bob's query: casual games for his level, the highest minlevel first.
   On OK *count handles sit in found[], their data in found_buffer. */
static xbl_mpsd_result search(size_t *count)
{
    static const char filter[] = "numbers/minlevel le 20 and tags/any(d:tolower(d) eq 'casual')";
    size_t size = 0;
    xbl_mpsd_result rc = xbl_mpsd_get_search_handles_async(&bob.client, EXAMPLE_SCID, "quick",
            "minlevel", false /* descending */, filter, NULL /* anyone's games, not only friends' */, &bob.op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&bob.op);
    /* count and size do not consume: check the storage, then take the result */
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_get_search_handles_result_count(&bob.op, count);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_get_search_handles_result_size(&bob.op, &size);
    if (rc == XBL_MPSD_OK && (*count > sizeof found / sizeof found[0] || size > sizeof found_buffer)) {
        fprintf(stderr, "%u games need %u bytes: more than this example keeps\n", (unsigned)*count, (unsigned)size);
        rc = XBL_MPSD_E_OUTOFMEMORY;
    }
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_get_search_handles_result(&bob.op, found, sizeof found / sizeof found[0],
                                                                   found_buffer, sizeof found_buffer, NULL);
    if (rc != XBL_MPSD_OK) example_fail("search", rc, &bob.op);
    return rc;
}

/* What Bob sees of one game before choosing it. */
static void show_game(const xbl_mpsd_search_handle *h)
{
    xbl_mpsd_session_reference ref;
    const xbl_mpsd_session_tag *tags;
    size_t tags_count = 0, max_members = 0, members = 0, i;
    xbl_mpsd_search_handle_get_session_reference(h, &ref);
    xbl_mpsd_search_handle_get_tags(h, &tags, &tags_count);
    xbl_mpsd_search_handle_get_member_counts(h, &max_members, &members);
    printf("  %s: %u of %u players, tags", ref.session_name, (unsigned)members, (unsigned)max_members);
    for (i = 0; i < tags_count; i++) printf(" %s", tags[i].value);
    printf("\n");
}

/* Bob joins the chosen game by its reference (a search handle is not a
   handle to write through: it only tells which session to join). */
static xbl_mpsd_result join(const xbl_mpsd_search_handle *h)
{
    xbl_mpsd_session_reference ref;
    xbl_mpsd_result rc = xbl_mpsd_search_handle_get_session_reference(h, &ref);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_session_init(&bob.session, bob.xuid, &ref, NULL, bob.arena, sizeof bob.arena);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_session_join(&bob.session, NULL, false, true);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_write_session_async(&bob.client, &bob.session,
            XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &bob.op);
    if (rc == XBL_MPSD_OK) rc = example_wait(&bob.op);
    rc = xbl_mpsd_write_session_result(&bob.op, &bob.session);
    if (rc != XBL_MPSD_OK) example_fail("join", rc, &bob.op);
    return rc;
}

int main(int argc, char **argv)
{
    const char *host;
    uint16_t port;
    xbl_mpsd_session_reference ref;
    const xbl_mpsd_session_member *members;
    size_t count = 0, n, i;

    example_args(&argc, argv, &host, &port);
    if (example_user_init(&alice, "Alice", 2814600000000001ULL, host, port) != 0
        || example_user_init(&bob, "Bob", 2814600000000002ULL, host, port) != 0) return 1;
    ref = xbl_mpsd_session_reference_create(EXAMPLE_SCID, "quick", argc > 3 ? argv[3] : "find-me");

    if (create_searchable(&ref) != XBL_MPSD_OK || publish_search_handle(&ref) != XBL_MPSD_OK) return 1;
    if (search(&count) != XBL_MPSD_OK) return 1;
    printf("Bob's search found %u game(s):\n", (unsigned)count);
    for (i = 0; i < count; i++) show_game(&found[i]);
    if (count == 0) return 1;

    if (join(&found[0]) != XBL_MPSD_OK) return 1;
    xbl_mpsd_session_members(&bob.session, &members, &n);
    printf("Bob joined %s: %s, members:", xbl_mpsd_session_session_reference(&bob.session)->session_name,
           xbl_mpsd_write_session_status_string(xbl_mpsd_session_write_status(&bob.session)));
    for (i = 0; i < n; i++) printf(" %u:%s", (unsigned)members[i].member_id, members[i].gamertag);
    printf("\n");
    /* found[] views found_buffer: forget both together */
    for (i = 0; i < count; i++) xbl_mpsd_search_handle_clear(&found[i]);
    example_user_close(&alice);
    example_user_close(&bob);
    return 0;
}
