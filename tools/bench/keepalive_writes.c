/* Syscalls per kept-alive write: creates a session, then makes N more
   SynchronizedUpdate writes on the same connection. Run under `strace -c -f`
   with two values of N; the difference divided by the extra writes is the
   per-write cost (see tools/bench/syscalls.sh).
   usage: keepalive_writes port N */
#include "../../tests/integration/sdk_common.h"

static it_user u;

int main(int argc, char **argv)
{
    int n = argc > 2 ? atoi(argv[2]) : 10, i;
    char name[64];
    xbl_mpsd_session_reference ref;
    if (argc > 1) setenv("MPSD_PORT", argv[1], 1);
    snprintf(name, sizeof name, "bench-%d-%ld", n, (long)time(NULL));
    ref = xbl_mpsd_session_reference_create(IT_SCID, "quick", name);
    if (it_user_init(&u, 2814600000000009ULL) != 0) return 1;
    xbl_mpsd_session_init(&u.session, u.xuid, &ref, NULL, u.arena, sizeof u.arena);
    xbl_mpsd_session_join(&u.session, NULL, false, true);
    if (it_write(&u, &u.session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &u.session) != XBL_MPSD_OK) return 1;
    for (i = 0; i < n; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        xbl_mpsd_session_current_user_set_custom_property_json(&u.session, "i", v);
        if (it_write(&u, &u.session, XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE, &u.session) != XBL_MPSD_OK) return 1;
    }
    xbl_mpsd_client_close(&u.client);
    return 0;
}
