/* The commands: read a session, change it, write it back (watch: watch.c). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

/* Set by SIGINT/SIGTERM: watch ends cleanly, an operation is canceled. */
volatile sig_atomic_t cli_stop;

static cli_conn    cli_the_conn;
cli_session cli_sessions[2];

static void cli_on_signal(int sig)
{
    (void)sig;
    cli_stop = 1;
}

static void cli_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cli_on_signal;   /* no SA_RESTART: a sleep ends at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static xbl_mpsd_session_reference cli_reference(const cli_request *r)
{
    return xbl_mpsd_session_reference_create(r->scid, r->template_name, r->name);
}

/* A code that says the user's input was bad, not the service or the wire. */
static bool cli_is_input_error(xbl_mpsd_result rc)
{
    return rc == XBL_MPSD_E_INVALIDARG || rc == XBL_MPSD_E_INVALID_JSON_STRING;
}

int cli_start_failed(const cli_request *r, const char *what, xbl_mpsd_result rc)
{
    if (cli_is_input_error(rc))
        return cli_usage_error(r->command, "refused by the SDK: %s (check the names, IDs and JSON given)",
                               xbl_mpsd_result_string(rc));
    return cli_fail(r->command, what, rc, NULL);
}

/* GET by reference or by handle into out. */
xbl_mpsd_result cli_read(cli_conn *c, const cli_request *r, cli_session *out, bool *started)
{
    xbl_mpsd_session_reference ref = cli_reference(r);
    xbl_mpsd_result rc = xbl_mpsd_session_init(&out->session, c->options->xuid, NULL, NULL,
                                               out->arena, sizeof out->arena);
    *started = false;
    if (rc != XBL_MPSD_OK) return rc;
    rc = r->handle_id != NULL ? xbl_mpsd_get_session_by_handle_async(&c->client, r->handle_id, &c->op)
                              : xbl_mpsd_get_session_async(&c->client, &ref, &c->op);
    if (rc != XBL_MPSD_OK) return rc;
    *started = true;
    (void)cli_wait(&c->op, &cli_stop);
    return r->handle_id != NULL ? xbl_mpsd_get_session_by_handle_result(&c->op, &out->session)
                                : xbl_mpsd_get_session_result(&c->op, &out->session);
}

static int cli_read_or_fail(cli_conn *c, const cli_request *r, cli_session *out)
{
    bool started;
    xbl_mpsd_result rc = cli_read(c, r, out, &started);
    if (rc == XBL_MPSD_OK) return CLI_EXIT_OK;
    if (!started) return cli_start_failed(r, "read", rc);
    return cli_fail(r->command, "read", rc, &c->op);
}

static int cli_cmd_get(cli_conn *c, const cli_request *r)
{
    int ex = cli_read_or_fail(c, r, &cli_sessions[0]);
    if (ex == CLI_EXIT_OK) cli_print_session(&cli_sessions[0], &c->op, c->options->json);
    return ex;
}

/* KEY=JSON into its parts; key points into a caller buffer. */
static bool cli_split_prop(const char *kv, char *key, size_t key_cap, const char **json)
{
    const char *eq = strchr(kv, '=');
    size_t n = eq != NULL ? (size_t)(eq - kv) : 0;
    if (eq == NULL || n == 0 || n >= key_cap) return false;
    memcpy(key, kv, n);
    key[n] = '\0';
    *json = eq + 1;
    return true;
}

static xbl_mpsd_result cli_set_props(xbl_mpsd_session *s, const cli_request *r, bool member)
{
    char key[256];
    const char *json;
    size_t i;
    xbl_mpsd_result rc = XBL_MPSD_OK;
    for (i = 0; i < r->props_count && rc == XBL_MPSD_OK; i++) {
        if (!cli_split_prop(r->props[i], key, sizeof key, &json)) return XBL_MPSD_E_INVALIDARG;
        rc = member ? xbl_mpsd_session_current_user_set_custom_property_json(s, key, json)
                    : xbl_mpsd_session_set_custom_property_json(s, key, json);
    }
    return rc;
}

static xbl_mpsd_result cli_apply(xbl_mpsd_session *s, const cli_request *r)
{
    if (strcmp(r->command, "join") == 0) return xbl_mpsd_session_join(s, NULL, false, true);
    if (strcmp(r->command, "leave") == 0) return xbl_mpsd_session_leave(s);
    if (strcmp(r->command, "set-member-prop") == 0) return cli_set_props(s, r, true);
    return cli_set_props(s, r, false);
}

static int cli_change_failed(const cli_conn *c, const cli_request *r, xbl_mpsd_result rc)
{
    if (rc == XBL_MPSD_E_UNEXPECTED) {
        fprintf(stderr, "xbl-mpsd %s: the change does not apply to this session: %s "
                "(xuid %llu is %s member)\n", r->command, xbl_mpsd_result_string(rc),
                (unsigned long long)c->options->xuid,
                strcmp(r->command, "join") == 0 ? "already a" : "not a");
        return CLI_EXIT_FAILED;
    }
    return cli_start_failed(r, "change", rc);
}

/* A 412: the line names the code, the status and the service's text. */
static int cli_refused(const cli_conn *c, const cli_request *r, const char *why)
{
    const char *text = xbl_mpsd_async_error_text(&c->op);
    fprintf(stderr, "xbl-mpsd %s: write refused: %s: %s, HTTP status 412, service error: %s\n", r->command, why,
            xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(412)), text[0] != '\0' ? text : "none");
    return CLI_EXIT_FAILED;
}

/* Writes s with mode; reports the outcome; prints what the service answered. */
static int cli_write(cli_conn *c, const cli_request *r, cli_session *s, xbl_mpsd_session_write_mode mode)
{
    xbl_mpsd_result rc = xbl_mpsd_write_session_async(&c->client, &s->session, mode, &c->op);
    xbl_mpsd_write_session_status status;
    if (rc != XBL_MPSD_OK) return cli_start_failed(r, "write", rc);
    (void)cli_wait(&c->op, &cli_stop);
    rc = xbl_mpsd_write_session_result(&c->op, &s->session);
    if (rc != XBL_MPSD_OK) return cli_fail(r->command, "write", rc, &c->op);
    status = xbl_mpsd_session_write_status(&s->session);
    if (status == XBL_MPSD_WRITE_SESSION_STATUS_OUT_OF_SYNC && mode == XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW)
        return cli_refused(c, r, "the session already exists");
    if (status == XBL_MPSD_WRITE_SESSION_STATUS_OUT_OF_SYNC) {
        cli_refused(c, r, "OUT_OF_SYNC");
        fprintf(stderr, "xbl-mpsd %s: the session changed since it was read; nothing was written; "
                "the latest session follows\n", r->command);
        cli_print_session(s, &c->op, c->options->json);
        return CLI_EXIT_FAILED;
    }
    fprintf(stderr, "xbl-mpsd %s: %s (HTTP %u)\n", r->command, cli_status_name(status),
            (unsigned)xbl_mpsd_async_http_status(&c->op));
    cli_print_session(s, &c->op, c->options->json);
    return CLI_EXIT_OK;
}

static int cli_cmd_create(cli_conn *c, const cli_request *r)
{
    xbl_mpsd_session_reference ref = cli_reference(r);
    xbl_mpsd_session_init_args args;
    cli_session *s = &cli_sessions[0];
    xbl_mpsd_result rc;
    memset(&args, 0, sizeof args);
    args.max_members_in_session = r->max_members;
    args.visibility = r->visibility;
    rc = xbl_mpsd_session_init(&s->session, c->options->xuid, &ref, &args, s->arena, sizeof s->arena);
    if (rc == XBL_MPSD_OK) rc = cli_set_props(&s->session, r, false);
    /* the creator joins: a template with sessionEmptyTimeout 0 deletes an empty session at once */
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_session_join(&s->session, NULL, false, true);
    if (rc != XBL_MPSD_OK) return cli_start_failed(r, "create", rc);
    return cli_write(c, r, s, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW);
}

/* Read, change, write back. Custom properties are written whole, so even
   an unsynchronized change starts from the session as it is. */
static int cli_cmd_change(cli_conn *c, const cli_request *r)
{
    cli_session *s = &cli_sessions[0];
    xbl_mpsd_result rc;
    int ex = cli_read_or_fail(c, r, s);
    if (ex != CLI_EXIT_OK) return ex;
    if (r->if_match)
        fprintf(stderr, "xbl-mpsd %s: read change %llu, writing with If-Match: %s\n", r->command,
                (unsigned long long)xbl_mpsd_session_get_info(&s->session)->change_number,
                xbl_mpsd_session_etag(&s->session));
    rc = cli_apply(&s->session, r);
    if (rc != XBL_MPSD_OK) return cli_change_failed(c, r, rc);
    return cli_write(c, r, s, r->if_match ? XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE
                                          : XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING);
}

int cli_run(const cli_options *o, const cli_request *r)
{
    cli_conn *c = &cli_the_conn;
    int ex;
    cli_catch_signals();
    ex = cli_conn_open(c, o, r->command);
    if (ex != CLI_EXIT_OK) return ex;
    if (strcmp(r->command, "get") == 0) ex = cli_cmd_get(c, r);
    else if (strcmp(r->command, "create") == 0) ex = cli_cmd_create(c, r);
    else if (strcmp(r->command, "watch") == 0) ex = cli_cmd_watch(c, r);
    else ex = cli_cmd_change(c, r);
    cli_conn_close(c);
    return ex;
}
