/* watch: one line per change of a session until ^C. By default it follows
   the session through RTA shoulder taps, which needs the user to be an
   active member with a change subscription and the connection ID (the SDK
   stamps the ID on the write that sets the member active; a non-member has
   nowhere to receive taps). --poll reads the session every --interval
   instead, and is also the fallback when RTA cannot be reached. */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CLI_NAP_MS       10u
#define CLI_RTA_CLOSE_MS 3000u   /* bound on the graceful end of the WebSocket */

static cli_rta cli_the_rta;

/* What watch holds. The latest copy is cli_sessions[cur]; reads and writes
   land in the other slot, so the two can be compared. */
typedef struct cli_watch {
    cli_conn          *c;
    const cli_request *r;
    cli_rta           *rt;
    size_t             cur;
    bool               have;          /* cli_sessions[cur] holds a document */
    bool               member;        /* the user is in it with watch's subscription */
    bool               joined;        /* watch added the member: it leaves at the end */
    bool               want_read;     /* a newer tap or a resync */
    bool               want_rewrite;  /* a new connection ID to write */
} cli_watch;

typedef enum cli_watch_write_kind { CLI_WRITE_ENTER, CLI_WRITE_REWRITE, CLI_WRITE_QUIT } cli_watch_write_kind;

static cli_session *cli_latest(cli_watch *w) { return &cli_sessions[w->cur]; }
static cli_session *cli_spare(cli_watch *w) { return &cli_sessions[1 - w->cur]; }

static void cli_sleep_ms(uint32_t ms)
{
    struct timespec slice = { 0, (long)CLI_NAP_MS * 1000000L };
    uint32_t slept;
    for (slept = 0; slept < ms && !cli_stop; slept += CLI_NAP_MS) nanosleep(&slice, NULL);
}

/* The spare slot holds a new copy: print what changed and keep it, or keep
   the older copy when the change number did not move. */
static void cli_watch_took(cli_watch *w)
{
    const xbl_mpsd_session *now = &cli_spare(w)->session, *before = &cli_latest(w)->session;
    if (!w->have)
        cli_print_change(cli_spare(w), XBL_MPSD_SESSION_CHANGE_TYPES_EVERYTHING, w->c->options->json);
    else if (xbl_mpsd_session_get_info(now)->change_number != xbl_mpsd_session_get_info(before)->change_number)
        cli_print_change(cli_spare(w), xbl_mpsd_session_compare(now, before), w->c->options->json);
    else
        return;
    w->have = true;
    w->cur = 1 - w->cur;
}

/* Reads the session and prints a line when it changed or went away. */
static int cli_watch_read(cli_watch *w)
{
    bool started;
    xbl_mpsd_result rc = cli_read(w->c, w->r, cli_spare(w), &started);
    if (cli_stop) return CLI_EXIT_OK;
    if (rc == XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND) {
        if (w->have) puts(w->c->options->json ? "{\"deleted\":true}" : "deleted: the session is gone");
        fflush(stdout);
        w->have = false;
        return CLI_EXIT_OK;
    }
    if (rc != XBL_MPSD_OK)
        return started ? cli_fail(w->r->command, "read", rc, &w->c->op) : cli_start_failed(w->r, "read", rc);
    cli_watch_took(w);
    return CLI_EXIT_OK;
}

static int cli_watch_poll(cli_watch *w)
{
    int ex = CLI_EXIT_OK;
    fprintf(stderr, "xbl-mpsd watch: reading %s/%s/%s every %u ms until ^C\n", w->r->scid, w->r->template_name,
            w->r->name, (unsigned)w->r->interval_ms);
    while (!cli_stop && ex == CLI_EXIT_OK) {
        ex = cli_watch_read(w);
        if (ex == CLI_EXIT_OK) cli_sleep_ms(w->r->interval_ms);
    }
    return ex;
}

/* ---- RTA events ---------------------------------------------------------- */

static const char *cli_rta_state_name(xbl_mpsd_real_time_activity_connection_state s)
{
    if (s == XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED) return "connected";
    if (s == XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING) return "connecting";
    return "disconnected";
}

static void cli_print_state(const xbl_mpsd_rta_event *ev)
{
    fprintf(stderr, "xbl-mpsd watch: RTA %s", cli_rta_state_name(ev->connection_state));
    if (ev->result != XBL_MPSD_OK) fprintf(stderr, " (%s", xbl_mpsd_result_string(ev->result));
    if (ev->close_code != 0)
        fprintf(stderr, "%sclose code %u", ev->result != XBL_MPSD_OK ? ", " : " (", (unsigned)ev->close_code);
    fputs(ev->result != XBL_MPSD_OK || ev->close_code != 0 ? ")\n" : "\n", stderr);
}

/* A tap for this session that is newer than the copy held. */
static bool cli_tap_is_new(cli_watch *w, const xbl_mpsd_session_change_event_args *tap)
{
    const xbl_mpsd_session_reference *ref = &tap->session_reference;
    const xbl_mpsd_session_info *have;
    if (strcasecmp(ref->scid, w->r->scid) != 0 || strcasecmp(ref->session_template_name, w->r->template_name) != 0
        || strcasecmp(ref->session_name, w->r->name) != 0) return false;
    if (!w->have) return true;
    have = xbl_mpsd_session_get_info(&cli_latest(w)->session);
    return strcasecmp(have->branch, tap->branch) != 0 || tap->change_number > have->change_number;
}

static void cli_watch_event(cli_watch *w, const xbl_mpsd_rta_event *ev)
{
    switch (ev->type) {
    case XBL_MPSD_RTA_EVENT_CONNECTION_STATE_CHANGED:
        cli_print_state(ev);
        break;
    case XBL_MPSD_RTA_EVENT_CONNECTION_ID_CHANGED:
        fprintf(stderr, "xbl-mpsd watch: RTA connection ID %s\n", ev->connection_id);
        w->want_rewrite = w->member;   /* the service must learn the new ID */
        break;
    case XBL_MPSD_RTA_EVENT_SESSION_CHANGED:
        if (cli_tap_is_new(w, &ev->session_change)) w->want_read = true;
        break;
    case XBL_MPSD_RTA_EVENT_RESYNC:
        fprintf(stderr, "xbl-mpsd watch: RTA resync: reading the session again\n");
        w->want_read = true;
        break;
    case XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST:
        if (ev->result != XBL_MPSD_OK)
            fprintf(stderr, "xbl-mpsd watch: RTA subscription lost: %s; the SDK keeps reconnecting\n",
                    xbl_mpsd_result_string(ev->result));
        break;
    default:
        break;
    }
}

static void cli_watch_pump(cli_watch *w)
{
    xbl_mpsd_rta_event ev;
    while (xbl_mpsd_rta_poll(&w->rt->rta, &ev) == XBL_MPSD_OK) cli_watch_event(w, &ev);
}

/* Polls the RTA object for ms, a nap apart. */
static void cli_watch_idle(cli_watch *w, uint32_t ms)
{
    struct timespec slice = { 0, (long)CLI_NAP_MS * 1000000L };
    uint32_t slept;
    for (slept = 0; slept < ms && !cli_stop; slept += CLI_NAP_MS) {
        cli_watch_pump(w);
        nanosleep(&slice, NULL);
    }
}

/* Until the connection ID is known. False on ^C or when RTA cannot be
   reached, with the cause in *why: the subscription was refused or lost, or,
   on the first connection (the last result is sticky), an attempt failed. */
static bool cli_watch_connect(cli_watch *w, bool first, xbl_mpsd_result *why)
{
    struct timespec slice = { 0, (long)CLI_NAP_MS * 1000000L };
    xbl_mpsd_rta_event ev;
    *why = XBL_MPSD_OK;
    while (!cli_stop) {
        while (xbl_mpsd_rta_poll(&w->rt->rta, &ev) == XBL_MPSD_OK) {
            cli_watch_event(w, &ev);
            if (ev.type == XBL_MPSD_RTA_EVENT_CONNECTION_ID_CHANGED) return true;
            if (ev.type == XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST) { *why = ev.result; return false; }
        }
        if (first && (*why = xbl_mpsd_rta_last_result(&w->rt->rta)) != XBL_MPSD_OK) return false;
        nanosleep(&slice, NULL);
    }
    return false;
}

/* Disables subscriptions, lets the WebSocket close (bounded), and frees it. */
static void cli_watch_end_rta(cli_watch *w)
{
    uint32_t waited;
    if (!w->rt->live) return;
    (void)xbl_mpsd_set_subscriptions_enabled(&w->c->client, false);
    for (waited = 0; waited < CLI_RTA_CLOSE_MS; waited += CLI_NAP_MS) {
        struct timespec slice = { 0, (long)CLI_NAP_MS * 1000000L };
        cli_watch_pump(w);
        if (xbl_mpsd_rta_connection_state(&w->rt->rta) == XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED)
            break;
        nanosleep(&slice, NULL);
    }
    cli_rta_close(w->rt);
}

/* ---- the member watch writes ------------------------------------------- */

static xbl_mpsd_result cli_watch_change(cli_watch *w, xbl_mpsd_session *s, cli_watch_write_kind kind)
{
    xbl_mpsd_result rc;
    if (kind == CLI_WRITE_REWRITE)
        return xbl_mpsd_session_current_user_set_status(s, XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE);
    if (kind == CLI_WRITE_QUIT)
        return w->joined ? xbl_mpsd_session_leave(s)
                         : xbl_mpsd_session_set_session_change_subscription(s, XBL_MPSD_SESSION_CHANGE_TYPES_NONE);
    w->joined = xbl_mpsd_session_current_user(s) == NULL;
    rc = w->joined ? xbl_mpsd_session_join(s, NULL, false, true)
                   : xbl_mpsd_session_current_user_set_status(s, XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE);
    if (rc == XBL_MPSD_OK)
        rc = xbl_mpsd_session_set_session_change_subscription(s, XBL_MPSD_SESSION_CHANGE_TYPES_EVERYTHING);
    return rc;
}

/* Writes the latest copy with one change of watch's own member, into the
   spare slot (If-Match: *). *sent tells whether a request went out. ^C
   cancels only a rewrite: a join it cut short might still land, and the
   member it made must leave. */
static xbl_mpsd_result cli_watch_write(cli_watch *w, cli_watch_write_kind kind, bool *sent)
{
    cli_session *next = cli_spare(w);
    xbl_mpsd_write_session_status status;
    xbl_mpsd_result rc = xbl_mpsd_session_init(&next->session, w->c->options->xuid, NULL, NULL, next->arena,
                                               sizeof next->arena);
    *sent = false;
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_session_copy(&next->session, &cli_latest(w)->session);
    if (rc == XBL_MPSD_OK) rc = cli_watch_change(w, &next->session, kind);
    if (rc == XBL_MPSD_OK)
        rc = xbl_mpsd_write_session_async(&w->c->client, &next->session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING,
                                          &w->c->op);
    if (rc != XBL_MPSD_OK) return rc;
    *sent = true;
    (void)cli_wait(&w->c->op, kind == CLI_WRITE_REWRITE ? &cli_stop : NULL);
    rc = xbl_mpsd_write_session_result(&w->c->op, &next->session);
    status = xbl_mpsd_session_write_status(&next->session);
    if (rc == XBL_MPSD_OK && status != XBL_MPSD_WRITE_SESSION_STATUS_UPDATED
        && status != XBL_MPSD_WRITE_SESSION_STATUS_SESSION_DELETED) rc = XBL_MPSD_E_HTTP_STATUS(412);
    return rc;
}

/* A write that went wrong: say why, stop being tapped, go on by reading. */
static void cli_watch_give_up(cli_watch *w, const char *what, xbl_mpsd_result rc, bool sent)
{
    (void)cli_fail(w->r->command, what, rc, sent ? &w->c->op : NULL);
    fprintf(stderr, "xbl-mpsd watch: no taps without a member; reading the session every %u ms instead\n",
            (unsigned)w->r->interval_ms);
    w->member = false;
}

/* Becomes the member the service taps. The connection may drop between the
   ID and the write (XBL_MPSD_E_RTA_NO_CONNECTION_ID, nothing sent): wait for
   the next ID and write again. */
static void cli_watch_enter(cli_watch *w)
{
    xbl_mpsd_result rc, why;
    bool sent;
    while ((rc = cli_watch_write(w, CLI_WRITE_ENTER, &sent)) == XBL_MPSD_E_RTA_NO_CONNECTION_ID)
        if (!cli_watch_connect(w, false, &why)) break;
    if (rc != XBL_MPSD_OK) {
        if (!cli_stop) cli_watch_give_up(w, "join", rc, sent);
        return;
    }
    w->member = true;
    fprintf(stderr, "xbl-mpsd watch: %s member #%u (active, subscribed to every change, connection %s); %s on ^C\n",
            w->joined ? "joined as" : "already in the session: set active",
            (unsigned)xbl_mpsd_session_current_user(&cli_spare(w)->session)->member_id,
            xbl_mpsd_rta_connection_id(&w->rt->rta), w->joined ? "leaves" : "ends the subscription");
    cli_watch_took(w);
}

/* A new connection ID: the active status again, so the service learns it. */
static void cli_watch_rewrite(cli_watch *w)
{
    bool sent;
    xbl_mpsd_result rc = cli_watch_write(w, CLI_WRITE_REWRITE, &sent);
    w->want_rewrite = false;
    if (rc == XBL_MPSD_E_RTA_NO_CONNECTION_ID || cli_stop) return;   /* the next ID asks again */
    if (rc != XBL_MPSD_OK) { cli_watch_give_up(w, "rewrite of the active status", rc, sent); return; }
    cli_watch_took(w);
}

static void cli_watch_quit(cli_watch *w)
{
    bool sent;
    xbl_mpsd_result rc = cli_watch_write(w, CLI_WRITE_QUIT, &sent);
    w->member = false;
    if (rc != XBL_MPSD_OK) {
        (void)cli_fail(w->r->command, w->joined ? "leave" : "end of the subscription", rc, sent ? &w->c->op : NULL);
        return;
    }
    fprintf(stderr, "xbl-mpsd watch: %s\n", w->joined ? "left the session" : "ended the subscription");
}

/* ---- following the session through taps -------------------------------- */

/* A tap's read; a copy without the user means no more taps. */
static int cli_watch_reread(cli_watch *w)
{
    int ex;
    w->want_read = false;
    ex = cli_watch_read(w);
    if (ex != CLI_EXIT_OK || cli_stop) return ex;
    if (w->have && xbl_mpsd_session_current_user(&cli_latest(w)->session) != NULL) return CLI_EXIT_OK;
    fprintf(stderr, "xbl-mpsd watch: %s: no more taps; reading the session every %u ms instead\n",
            w->have ? "the user is no longer a member" : "the session is gone", (unsigned)w->r->interval_ms);
    w->member = false;
    return CLI_EXIT_OK;
}

static int cli_watch_follow(cli_watch *w)
{
    int ex = CLI_EXIT_OK;
    while (!cli_stop && ex == CLI_EXIT_OK && w->member) {
        cli_watch_pump(w);
        if (w->want_rewrite) cli_watch_rewrite(w);
        if (w->want_read && w->member) ex = cli_watch_reread(w);
        if (ex == CLI_EXIT_OK && w->member) cli_sleep_ms(CLI_NAP_MS);
    }
    return ex;
}

/* Connects, reads the session (waiting for it to exist), becomes a member.
   w->member tells whether taps will come. */
static int cli_watch_start(cli_watch *w)
{
    const cli_options *o = w->c->options;
    xbl_mpsd_result why;
    bool said = false;
    int ex = cli_rta_open(w->rt, w->c, w->r);
    if (ex != CLI_EXIT_OK) return ex;
    fprintf(stderr, "xbl-mpsd watch: following %s/%s/%s through RTA (%s://%s:%u/connect) until ^C\n", w->r->scid,
            w->r->template_name, w->r->name, o->tls ? "wss" : "ws", w->r->rta_host != NULL ? w->r->rta_host : o->host,
            (unsigned)(w->r->rta_port != 0 ? w->r->rta_port : o->port));
    if (!cli_watch_connect(w, true, &why)) {
        if (!cli_stop)
            fprintf(stderr, "xbl-mpsd watch: RTA cannot be reached (%s); reading the session instead\n",
                    xbl_mpsd_result_string(why));
        return CLI_EXIT_OK;
    }
    while (ex == CLI_EXIT_OK && !cli_stop && !w->have) {
        ex = cli_watch_read(w);
        if (ex != CLI_EXIT_OK || w->have || cli_stop) break;
        if (!said) fprintf(stderr, "xbl-mpsd watch: no such session yet; reading it every %u ms until it exists\n",
                           (unsigned)w->r->interval_ms);
        said = true;
        cli_watch_idle(w, w->r->interval_ms);
    }
    if (ex == CLI_EXIT_OK && !cli_stop) cli_watch_enter(w);
    return ex;
}

int cli_cmd_watch(cli_conn *c, const cli_request *r)
{
    cli_watch w;
    int ex = CLI_EXIT_OK;
    memset(&w, 0, sizeof w);
    w.c = c;
    w.r = r;
    w.rt = &cli_the_rta;
    if (!r->poll) ex = cli_watch_start(&w);
    if (ex == CLI_EXIT_OK) ex = cli_watch_follow(&w);
    if (w.member) cli_watch_quit(&w);
    cli_watch_end_rta(&w);
    if (ex == CLI_EXIT_OK && !cli_stop) ex = cli_watch_poll(&w);
    if (ex == CLI_EXIT_OK) fprintf(stderr, "xbl-mpsd watch: stopped\n");
    return ex;
}
