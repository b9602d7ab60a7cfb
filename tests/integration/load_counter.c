/* No lost update under load: N clients (threads, each with its own port,
   client, session and buffers) each increment one shared custom counter M
   times with SynchronizedUpdate, re-applying on 412. The final value must
   be exactly N*M and no request may fail for any other reason.
   usage: load_counter [clients [increments]]   (MPSD_PORT selects the emulator)
   LOAD_BACKOFF=0 turns the jittered back-off after a 412 off; LOAD_FAULTS=N
   has the emulator answer the N requests after the session's creation with
   503 (Retry-After: 0, nothing applied: a failure unless retried); LOAD_RETRY=1
   turns the SDK's retry policy on (429, 503, transport failures). The
   report counts requests on the wire (by the trace hook), SDK retries
   included, per successful increment. */
#include "sdk_common.h"
#include <pthread.h>

typedef struct worker {
    it_user  user;
    int      increments;
    long     requests, conflicts, failures, wire;
    unsigned seed;
} worker;

static int g_backoff = 1;
static int g_faults;   /* LOAD_FAULTS */

/* Counts requests on the wire: each request head starts with its method. */
static void count_request(void *user, xbl_mpsd_trace_kind kind, const uint8_t *data, size_t len)
{
    worker *w = (worker *)user;
    if (kind == XBL_MPSD_TRACE_REQUEST_HEAD && len >= 4 && (memcmp(data, "PUT ", 4) == 0 || memcmp(data, "GET ", 4) == 0))
        w->wire++;
}

/* The SDK's jitter source for LOAD_RETRY=1. */
static uint32_t next_random(void *user)
{
    worker *w = (worker *)user;
    w->seed = w->seed * 1103515245u + 12345u;
    return w->seed >> 8;
}

/* Jittered backoff after a 412, as a real title would do: without it all
   clients retry in lockstep and most requests are wasted conflicts. */
static long g_backoff_us = 2000;   /* LOAD_BACKOFF_US: the first cap (2 ms: 2.9 requests an increment, 500 us: 15) */

static void backoff(worker *w, int streak)
{
    struct timespec t;
    long cap_us = g_backoff_us << (streak < 5 ? streak : 5);
    w->seed = w->seed * 1103515245u + 12345u;
    t.tv_nsec = (long)((w->seed >> 8) % (unsigned long)cap_us) * 1000L;
    t.tv_sec = t.tv_nsec / 1000000000L;
    t.tv_nsec %= 1000000000L;
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
        if (g_backoff) backoff(w, streak++);
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
    long requests = 0, conflicts = 0, failures = 0, wire = 0, final;
    const char *env_backoff = getenv("LOAD_BACKOFF"), *env_retry = getenv("LOAD_RETRY");
    bool retry = env_retry != NULL && strcmp(env_retry, "1") == 0;
    xbl_mpsd_retry_policy policy;
    double t0;
    char name[64];

    if (clients < 1 || clients > 64) return 2;
    g_backoff = env_backoff == NULL || strcmp(env_backoff, "0") != 0;
    if (getenv("LOAD_BACKOFF_US") != NULL && atol(getenv("LOAD_BACKOFF_US")) > 0) g_backoff_us = atol(getenv("LOAD_BACKOFF_US"));
    snprintf(name, sizeof name, "counter-%ld", (long)time(NULL));
    g_ref = xbl_mpsd_session_reference_create(IT_SCID, "counter", name);
    memset(&policy, 0, sizeof policy);
    if (retry) { policy.max_attempts = 5; policy.base_delay_ms = 50; policy.max_delay_ms = 2000; }
    /* The owner keeps the session alive (and non-empty) for the whole run. */
    if (it_user_init_with(&owner, 2814700000000000ULL, &policy, NULL, NULL) != 0
        || xbl_mpsd_session_init(&owner.session, owner.xuid, &g_ref, NULL, owner.arena, sizeof owner.arena) != XBL_MPSD_OK
        || xbl_mpsd_session_join(&owner.session, NULL, false, true) != XBL_MPSD_OK
        || xbl_mpsd_session_set_custom_property_json(&owner.session, "counter", "0") != XBL_MPSD_OK
        || it_write(&owner, &owner.session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &owner.session) != XBL_MPSD_OK) {
        fprintf(stderr, "could not create the counter session: %s\n", xbl_mpsd_async_error_text(&owner.op));
        return 1;
    }
    g_faults = getenv("LOAD_FAULTS") != NULL && atoi(getenv("LOAD_FAULTS")) > 0 ? atoi(getenv("LOAD_FAULTS")) : 0;
    if (g_faults > 140) return 2;   /* the worst case must stay inside the timeout */
    if (getenv("LOAD_FAULTS") != NULL && atoi(getenv("LOAD_FAULTS")) > 0) {
        char fault[64];
        snprintf(fault, sizeof fault, "{\"fault\": \"503=0\", \"count\": %d}", atoi(getenv("LOAD_FAULTS")));
        if (it_admin("/_emu/faults", fault) != 0) return 1;
    }
    t0 = now_s();
    for (i = 0; i < clients; i++) {
        workers[i].increments = increments;
        workers[i].seed = 2654435761u * (unsigned)(i + 1);
        memset(&policy, 0, sizeof policy);
        if (retry) {
            /* more attempts than injected faults: even a client that meets
               every one of them in a row lands (the faults' spread over the
               clients depends on thread timing), and the 200 ms cap keeps
               that worst case (faults x 200 ms) inside the 30 s timeout */
            policy.max_attempts = g_faults + 1 > 5 ? (uint32_t)g_faults + 1 : 5;
            policy.base_delay_ms = 10;
            policy.max_delay_ms = 200;
            policy.random = next_random;
            policy.random_user = &workers[i];
        }
        if (it_user_init_with(&workers[i].user, (uint64_t)2814700000000001ULL + (uint64_t)i, &policy,
                              count_request, &workers[i]) != 0) return 1;
        pthread_create(&threads[i], NULL, run, &workers[i]);
    }
    for (i = 0; i < clients; i++) {
        pthread_join(threads[i], NULL);
        requests += workers[i].requests;
        conflicts += workers[i].conflicts;
        failures += workers[i].failures;
        wire += workers[i].wire;
    }
    if (getenv("LOAD_FAULTS") != NULL && it_admin("/_emu/faults", "{\"fault\": \"\"}") != 0) return 1;
    if (it_get(&owner, &g_ref, &owner.session) != XBL_MPSD_OK) return 1;
    final = counter_of(&owner.session);
    printf("load: %d clients x %d increments (412 back-off %s %ld us, SDK retries %s): counter %ld (expected %d), "
           "%ld requests (%ld on the wire, %.2f per increment), %ld 412s, %ld failures, %.2f s\n",
           clients, increments, g_backoff ? "on" : "off", g_backoff_us, retry ? "on" : "off", final, clients * increments,
           requests, wire, (double)wire / (double)(clients * increments), conflicts, failures, now_s() - t0);
    return final == (long)clients * increments && failures == 0 ? 0 : 1;
}
