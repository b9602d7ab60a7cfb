/* No lost update under load: N clients (threads, each with its own port,
   client, session and buffers) each increment one shared custom counter M
   times with SynchronizedUpdate, re-applying on 412. The final value must
   be exactly N*M and no request may fail for any other reason.
   usage: load_counter [clients [increments]]   (MPSD_PORT selects the emulator) */
#include "sdk_common.h"
#include <pthread.h>

typedef struct worker {
    it_user  user;
    int      increments;
    long     requests, conflicts, failures;
    unsigned seed;
} worker;

/* Jittered backoff after a 412, as a real title would do: without it all
   clients retry in lockstep and most requests are wasted conflicts. */
static void backoff(worker *w, int streak)
{
    struct timespec t;
    long cap_us = 500L << (streak < 5 ? streak : 5);
    w->seed = w->seed * 1103515245u + 12345u;
    t.tv_sec = 0;
    t.tv_nsec = (long)((w->seed >> 8) % (unsigned long)cap_us) * 1000L;
    nanosleep(&t, NULL);
}

static xbl_mpsd_session_reference g_ref;

static long counter_of(const xbl_mpsd_session *s)
{
    const char *p = strstr(xbl_mpsd_session_session_properties(s)->session_custom_properties_json, "\"counter\":");
    return p ? strtol(p + 10, NULL, 10) : 0;
}

/* One increment, retried until it lands; returns 0 or -1 on a real failure. */
static int increment(worker *w)
{
    it_user *u = &w->user;
    int streak = 0;
    for (;;) {
        char value[32];
        xbl_mpsd_result rc;
        if (!xbl_mpsd_session_has_document(&u->session)) {
            w->requests++;
            if (it_get(u, &g_ref, &u->session) != XBL_MPSD_OK) return -1;
        }
        snprintf(value, sizeof value, "%ld", counter_of(&u->session) + 1);
        if (xbl_mpsd_session_set_custom_property_json(&u->session, "counter", value) != XBL_MPSD_OK) return -1;
        w->requests++;
        rc = it_write(u, &u->session, XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE, &u->session);
        if (rc != XBL_MPSD_OK) {
            fprintf(stderr, "write: %s %s\n", xbl_mpsd_result_string(rc), xbl_mpsd_async_error_text(&u->op));
            return -1;
        }
        if (xbl_mpsd_session_write_status(&u->session) == XBL_MPSD_WRITE_SESSION_STATUS_UPDATED) return 0;
        if (xbl_mpsd_session_write_status(&u->session) != XBL_MPSD_WRITE_SESSION_STATUS_OUT_OF_SYNC) return -1;
        w->conflicts++;
        backoff(w, streak++);
    }
}

static void *run(void *arg)
{
    worker *w = (worker *)arg;
    it_user *u = &w->user;
    int i;
    if (xbl_mpsd_session_init(&u->session, u->xuid, &g_ref, NULL, u->arena, sizeof u->arena) != XBL_MPSD_OK
        || xbl_mpsd_session_join(&u->session, NULL, false, true) != XBL_MPSD_OK) { w->failures++; return NULL; }
    w->requests++;
    if (it_write(u, &u->session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &u->session) != XBL_MPSD_OK
        || !xbl_mpsd_session_has_document(&u->session)) { w->failures++; return NULL; }
    for (i = 0; i < w->increments; i++)
        if (increment(w) != 0) { w->failures++; return NULL; }
    xbl_mpsd_client_close(&u->client);
    return NULL;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int clients = argc > 1 ? atoi(argv[1]) : 32, increments = argc > 2 ? atoi(argv[2]) : 25, i;
    static worker workers[64];
    pthread_t threads[64];
    static it_user owner;
    long requests = 0, conflicts = 0, failures = 0, final;
    double t0;
    char name[64];

    if (clients < 1 || clients > 64) return 2;
    snprintf(name, sizeof name, "counter-%ld", (long)time(NULL));
    g_ref = xbl_mpsd_session_reference_create(IT_SCID, "counter", name);
    /* The owner keeps the session alive (and non-empty) for the whole run. */
    if (it_user_init(&owner, 2814700000000000ULL) != 0
        || xbl_mpsd_session_init(&owner.session, owner.xuid, &g_ref, NULL, owner.arena, sizeof owner.arena) != XBL_MPSD_OK
        || xbl_mpsd_session_join(&owner.session, NULL, false, true) != XBL_MPSD_OK
        || xbl_mpsd_session_set_custom_property_json(&owner.session, "counter", "0") != XBL_MPSD_OK
        || it_write(&owner, &owner.session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &owner.session) != XBL_MPSD_OK) {
        fprintf(stderr, "could not create the counter session: %s\n", xbl_mpsd_async_error_text(&owner.op));
        return 1;
    }
    t0 = now_s();
    for (i = 0; i < clients; i++) {
        workers[i].increments = increments;
        workers[i].seed = 2654435761u * (unsigned)(i + 1);
        if (it_user_init(&workers[i].user, (uint64_t)2814700000000001ULL + (uint64_t)i) != 0) return 1;
        pthread_create(&threads[i], NULL, run, &workers[i]);
    }
    for (i = 0; i < clients; i++) {
        pthread_join(threads[i], NULL);
        requests += workers[i].requests;
        conflicts += workers[i].conflicts;
        failures += workers[i].failures;
    }
    if (it_get(&owner, &g_ref, &owner.session) != XBL_MPSD_OK) return 1;
    final = counter_of(&owner.session);
    printf("load: %d clients x %d increments: counter %ld (expected %d), %ld requests, %ld 412s, %ld failures, %.2f s\n",
           clients, increments, final, clients * increments, requests, conflicts, failures, now_s() - t0);
    return final == (long)clients * increments && failures == 0 ? 0 : 1;
}
