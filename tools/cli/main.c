/* xbl-mpsd: look at and change Multiplayer Session Directory sessions from
   a shell. This file reads the command line and prints the help. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char cli_help_main[] =
"usage: xbl-mpsd [--host H] [--port N] [--tls --ca FILE [--server-name NAME]]\n"
"                [--xuid X] [--token T] [--json] COMMAND ...\n"
"\n"
"Look at and change Xbox Live multiplayer sessions (MPSD) with the xbl_mpsd SDK.\n"
"\n"
"commands (xbl-mpsd COMMAND --help for each):\n"
"  get SCID TEMPLATE NAME | get --handle ID     print the session\n"
"  create SCID TEMPLATE NAME [--max-members N] [--visibility V] [--prop KEY=JSON]...\n"
"  join SCID TEMPLATE NAME [--if-match]         join as an active member\n"
"  leave SCID TEMPLATE NAME [--if-match]        leave the session\n"
"  set-prop SCID TEMPLATE NAME KEY=JSON... [--if-match]         custom session properties\n"
"  set-member-prop SCID TEMPLATE NAME KEY=JSON... [--if-match]  your member's properties\n"
"  watch SCID TEMPLATE NAME [--poll | --interval MS]  print each change until ^C\n"
"\n"
"options (anywhere on the line):\n"
"  --host H            service host (default " CLI_DEFAULT_HOST ")\n"
"  --port N            service port (default 8910: the local emulator, e.g. `make demo KEEP=1`)\n"
"  --tls               talk HTTPS (mbedTLS port); needs --ca\n"
"  --ca FILE           PEM file of the trusted roots\n"
"  --server-name NAME  name the certificate must carry (default: the host)\n"
"  --xuid X            the user acting (default 2814600000000100)\n"
"  --token T           the whole Authorization header value (default, for the emulator:\n"
"                      \"XBL3.0 x=-;xuid=X,gt=cliNNNN\"); a real service needs an XSTS token\n"
"  --json              print the session document exactly as the service sent it\n"
"  --help              this text\n"
"\n"
"Output: a readable summary (reference, etag, change number, members with status and\n"
"properties, custom properties) on stdout; progress and errors on stderr. An error line\n"
"names the SDK code, the HTTP status and the service's error text.\n"
"Exit status: 0 success, 1 service or transport error (including a 412), 2 usage error.\n";

static const char cli_help_get[] =
"usage: xbl-mpsd [options] get SCID TEMPLATE NAME\n"
"       xbl-mpsd [options] get --handle ID\n"
"\n"
"Read the session and print it: a summary, or with --json the document as sent.\n"
"--handle ID reads the session an activity, invite or transfer handle points at\n"
"(GET /handles/ID/session). A session that does not exist is an error\n"
"(XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND, HTTP 204), exit 1.\n";

static const char cli_help_create[] =
"usage: xbl-mpsd [options] create SCID TEMPLATE NAME [--max-members N]\n"
"                [--visibility private|visible|open] [--prop KEY=JSON]...\n"
"\n"
"Create the session (If-None-Match: *) from TEMPLATE and join it as an active member\n"
"(a template with sessionEmptyTimeout 0 would delete a session without members at once).\n"
"--prop sets a custom session property: KEY=JSON, e.g. --prop 'map=\"canyon\"' --prop round=1.\n"
"A session that already exists is refused: CONFLICT is HTTP 412, exit 1.\n";

static const char cli_help_join[] =
"usage: xbl-mpsd [options] join SCID TEMPLATE NAME [--if-match]\n"
"\n"
"Read the session, then join it as an active member (the user of --xuid / --token).\n"
"--if-match writes with If-Match: <the etag read> (SynchronizedUpdate): if someone wrote\n"
"in between, the service answers 412, nothing is written, and xbl-mpsd prints\n"
"OUT_OF_SYNC and the latest session and exits 1. Without it, the write is\n"
"If-Match: * (UpdateExisting).\n";

static const char cli_help_leave[] =
"usage: xbl-mpsd [options] leave SCID TEMPLATE NAME [--if-match]\n"
"\n"
"Read the session, then leave it. When the last member leaves, the service may\n"
"delete the session (HTTP 204, SESSION_DELETED). --if-match as for join.\n";

static const char cli_help_set_prop[] =
"usage: xbl-mpsd [options] set-prop SCID TEMPLATE NAME KEY=JSON... [--if-match]\n"
"\n"
"Read the session, set custom session properties (properties.custom.KEY = JSON) and\n"
"write them (If-Match: *); the service merges the keys into the custom object.\n"
"--if-match writes with If-Match: <the etag read> instead: if anyone wrote since the\n"
"read, the service answers 412, nothing is written, and xbl-mpsd prints OUT_OF_SYNC and\n"
"the latest session and exits 1. JSON that does not parse is a usage error (exit 2).\n";

static const char cli_help_set_member_prop[] =
"usage: xbl-mpsd [options] set-member-prop SCID TEMPLATE NAME KEY=JSON... [--if-match]\n"
"\n"
"Read the session, set custom properties of your own member (members.me.properties.custom)\n"
"and write it back. You must be a member (see join). --if-match as for set-prop.\n";

static const char cli_help_watch[] =
"usage: xbl-mpsd [options] watch SCID TEMPLATE NAME [--poll | --interval MS]\n"
"                [--rta-host H] [--rta-port N]\n"
"\n"
"Print one line per change until ^C (exit 0): the change number and what changed,\n"
"from xbl_mpsd_session_compare (MEMBER_LIST_CHANGE, CUSTOM_PROPERTY_CHANGE, ...).\n"
"The first line is the session as first read (EVERYTHING). With --json each line is\n"
"{\"changeNumber\":N,\"etag\":\"...\",\"members\":N,\"changeTypes\":[...]}; a deleted session\n"
"prints a summary line (or null) and watching goes on.\n"
"\n"
"By default watch follows the session through RTA change notifications: it opens a\n"
"WebSocket to the RTA service (GET /connect on --rta-host:--rta-port, default the\n"
"--host and --port, which is where the emulator serves it; wss with --tls), learns its\n"
"connection ID, and then CHANGES THE SESSION so that the service taps it: the user\n"
"joins as an active member (or, already a member, sets itself active) with a change\n"
"subscription to every change type and the connection ID in properties.system. That\n"
"write is printed like any other change. On each newer shoulder tap watch reads the\n"
"session and prints what changed (changes that land between a tap and its read make\n"
"one line). The SDK reconnects a lost connection by itself (a line on stderr for each\n"
"connection event) and watch then rewrites its active status with the new connection\n"
"ID. On ^C watch leaves the session if it joined it (the session may then be deleted),\n"
"or else ends its subscription, and exits 0. If the user is removed or the session\n"
"deleted, taps end and watch goes on by reading.\n"
"\n"
"--poll reads the session every --interval MS (default 1000, 100 to 60000) instead\n"
"and compares change numbers; it changes nothing. --interval implies --poll. watch\n"
"falls back to reading by itself (and says so on stderr) when RTA cannot be reached\n"
"or the session does not let the user join.\n";

static const struct { const char *name; const char *help; int positionals; } cli_commands[] = {
    { "get", cli_help_get, 3 }, { "create", cli_help_create, 3 }, { "join", cli_help_join, 3 },
    { "leave", cli_help_leave, 3 }, { "set-prop", cli_help_set_prop, -1 },
    { "set-member-prop", cli_help_set_member_prop, -1 }, { "watch", cli_help_watch, 3 }
};
#define CLI_COMMANDS (sizeof cli_commands / sizeof cli_commands[0])

/* The command line as it is walked: argv, the index, the parsed results. */
typedef struct cli_args {
    int          argc;
    char       **argv;
    int          i;
    int          command;        /* index in cli_commands, -1 before it */
    const char  *positional[3];
    int          positional_count;
    bool         help;
    cli_options *o;
    cli_request *r;
} cli_args;

static const char *cli_command_name(const cli_args *a)
{
    return a->command >= 0 ? cli_commands[a->command].name : NULL;
}

static int cli_find_command(const char *name)
{
    size_t i;
    for (i = 0; i < CLI_COMMANDS; i++)
        if (strcmp(cli_commands[i].name, name) == 0) return (int)i;
    return -1;
}

/* The value of --opt V or --opt=V; NULL (and a usage message) when missing. */
static const char *cli_value(cli_args *a, const char *arg, const char *name)
{
    size_t n = strlen(name);
    if (arg[n] == '=') return arg + n + 1;
    if (a->i + 1 < a->argc) return a->argv[++a->i];
    cli_usage_error(cli_command_name(a), "%s needs a value", name);
    return NULL;
}

static bool cli_is_option(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

static bool cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;
    if (s[0] < '0' || s[0] > '9') return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) return false;
    *out = (uint64_t)v;
    return true;
}

static bool cli_parse_visibility(const char *s, xbl_mpsd_session_visibility *v)
{
    if (strcmp(s, "private") == 0) *v = XBL_MPSD_SESSION_VISIBILITY_PRIVATE_SESSION;
    else if (strcmp(s, "visible") == 0) *v = XBL_MPSD_SESSION_VISIBILITY_VISIBLE;
    else if (strcmp(s, "open") == 0) *v = XBL_MPSD_SESSION_VISIBILITY_OPEN;
    else return false;
    return true;
}

/* A numeric option into out; exit status 2 with a message when bad. */
static int cli_number(cli_args *a, const char *arg, const char *name, uint64_t min, uint64_t max, uint64_t *out)
{
    const char *v = cli_value(a, arg, name);
    if (v == NULL) return CLI_EXIT_USAGE;
    if (!cli_parse_u64(v, min, max, out)) return cli_usage_error(cli_command_name(a), "bad number for %s", name);
    return CLI_EXIT_OK;
}

/* --name V into *out; exit status 2 with a message when V is missing. */
static int cli_text(cli_args *a, const char *arg, const char *name, const char **out)
{
    const char *v = cli_value(a, arg, name);
    if (v == NULL) return CLI_EXIT_USAGE;
    *out = v;
    return CLI_EXIT_OK;
}

static int cli_global_option(cli_args *a, const char *arg, bool *matched)
{
    uint64_t n = 0;
    int ex = CLI_EXIT_OK;
    *matched = true;
    if (cli_is_option(arg, "--host")) ex = cli_text(a, arg, "--host", &a->o->host);
    else if (cli_is_option(arg, "--token")) ex = cli_text(a, arg, "--token", &a->o->token);
    else if (cli_is_option(arg, "--ca")) ex = cli_text(a, arg, "--ca", &a->o->ca_file);
    else if (cli_is_option(arg, "--server-name")) ex = cli_text(a, arg, "--server-name", &a->o->server_name);
    else if (cli_is_option(arg, "--port")) {
        ex = cli_number(a, arg, "--port", 1, 65535, &n);
        a->o->port = ex == CLI_EXIT_OK ? (uint16_t)n : a->o->port;
    } else if (cli_is_option(arg, "--xuid")) {
        ex = cli_number(a, arg, "--xuid", 1, UINT64_MAX, &n);
        a->o->xuid = ex == CLI_EXIT_OK ? n : a->o->xuid;
    } else if (strcmp(arg, "--tls") == 0) a->o->tls = true;
    else if (strcmp(arg, "--json") == 0) a->o->json = true;
    else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) a->help = true;
    else *matched = false;
    return ex;
}

static int cli_add_prop(cli_args *a, const char *kv)
{
    if (a->r->props_count == CLI_MAX_PROPS) return cli_usage_error(cli_command_name(a), "at most 32 properties (%s)", kv);
    if (strchr(kv, '=') == NULL || kv[0] == '=') return cli_usage_error(cli_command_name(a), "expected KEY=JSON, got \"%s\"", kv);
    a->r->props[a->r->props_count++] = kv;
    return CLI_EXIT_OK;
}

static int cli_command_option(cli_args *a, const char *arg)
{
    const char *cmd = cli_command_name(a);
    uint64_t n = 0;
    const char *v;
    if (cmd != NULL && strcmp(cmd, "get") == 0 && cli_is_option(arg, "--handle")) {
        if ((v = cli_value(a, arg, "--handle")) == NULL) return CLI_EXIT_USAGE;
        a->r->handle_id = v;
    } else if (cmd != NULL && strcmp(cmd, "create") == 0 && cli_is_option(arg, "--max-members")) {
        if (cli_number(a, arg, "--max-members", 1, 1000, &n)) return CLI_EXIT_USAGE;
        a->r->max_members = (uint32_t)n;
    } else if (cmd != NULL && strcmp(cmd, "create") == 0 && cli_is_option(arg, "--visibility")) {
        if ((v = cli_value(a, arg, "--visibility")) == NULL) return CLI_EXIT_USAGE;
        if (!cli_parse_visibility(v, &a->r->visibility)) return cli_usage_error(cmd, "--visibility must be private, visible or open, not \"%s\"", v);
    } else if (cmd != NULL && strcmp(cmd, "create") == 0 && cli_is_option(arg, "--prop")) {
        if ((v = cli_value(a, arg, "--prop")) == NULL) return CLI_EXIT_USAGE;
        return cli_add_prop(a, v);
    } else if (cmd != NULL && strcmp(cmd, "watch") == 0 && cli_is_option(arg, "--interval")) {
        if (cli_number(a, arg, "--interval", 100, 60000, &n)) return CLI_EXIT_USAGE;
        a->r->interval_ms = (uint32_t)n;
        a->r->poll = true;
    } else if (cmd != NULL && strcmp(cmd, "watch") == 0 && strcmp(arg, "--poll") == 0) {
        a->r->poll = true;
    } else if (cmd != NULL && strcmp(cmd, "watch") == 0 && cli_is_option(arg, "--rta-host")) {
        if ((v = cli_value(a, arg, "--rta-host")) == NULL) return CLI_EXIT_USAGE;
        a->r->rta_host = v;
    } else if (cmd != NULL && strcmp(cmd, "watch") == 0 && cli_is_option(arg, "--rta-port")) {
        if (cli_number(a, arg, "--rta-port", 1, 65535, &n)) return CLI_EXIT_USAGE;
        a->r->rta_port = (uint16_t)n;
    } else if (cmd != NULL && strcmp(arg, "--if-match") == 0 && strcmp(cmd, "get") != 0
               && strcmp(cmd, "create") != 0 && strcmp(cmd, "watch") != 0) {
        a->r->if_match = true;
    } else {
        return cli_usage_error(cmd, "unknown option %s", arg);
    }
    return CLI_EXIT_OK;
}

static int cli_positional(cli_args *a, const char *arg)
{
    if (a->command < 0) {
        a->command = cli_find_command(arg);
        a->r->command = arg;
        return a->command >= 0 ? CLI_EXIT_OK : cli_usage_error(NULL, "unknown command \"%s\"", arg);
    }
    if (a->positional_count < 3) { a->positional[a->positional_count++] = arg; return CLI_EXIT_OK; }
    if (cli_commands[a->command].positionals < 0) return cli_add_prop(a, arg);
    return cli_usage_error(cli_command_name(a), "unexpected argument \"%s\"", arg);
}

static int cli_walk(cli_args *a)
{
    int ex = CLI_EXIT_OK;
    bool matched;
    for (a->i = 1; a->i < a->argc && ex == CLI_EXIT_OK; a->i++) {
        const char *arg = a->argv[a->i];
        if (strncmp(arg, "--", 2) == 0 || strcmp(arg, "-h") == 0) {
            ex = cli_global_option(a, arg, &matched);
            if (ex == CLI_EXIT_OK && !matched) ex = cli_command_option(a, arg);
        } else {
            ex = cli_positional(a, arg);
        }
    }
    return ex;
}

/* What the command needs beyond the words: names, values, option pairs. */
static int cli_check(cli_args *a)
{
    const char *cmd = cli_command_name(a);
    cli_request *r = a->r;
    xbl_mpsd_session_reference ref;
    bool by_handle = r->handle_id != NULL;
    if (a->command < 0) return cli_usage_error(NULL, "no command given%s", "");
    if (by_handle && a->positional_count != 0) return cli_usage_error(cmd, "give either --handle ID or SCID TEMPLATE NAME%s", "");
    if (!by_handle && a->positional_count != 3) return cli_usage_error(cmd, "needs SCID TEMPLATE NAME%s", "");
    if (cli_commands[a->command].positionals < 0 && r->props_count == 0) return cli_usage_error(cmd, "needs at least one KEY=JSON%s", "");
    if (a->o->tls != (a->o->ca_file != NULL)) return cli_usage_error(cmd, "--tls and --ca FILE go together%s", "");
    if (by_handle) return CLI_EXIT_OK;
    r->scid = a->positional[0];
    r->template_name = a->positional[1];
    r->name = a->positional[2];
    ref = xbl_mpsd_session_reference_create(r->scid, r->template_name, r->name);
    if (strlen(r->scid) >= sizeof ref.scid || strlen(r->template_name) >= sizeof ref.session_template_name
        || strlen(r->name) >= sizeof ref.session_name || !xbl_mpsd_session_reference_is_valid(&ref))
        return cli_usage_error(cmd, "%s: SCID, TEMPLATE or NAME is empty, too long or holds a character outside [A-Za-z0-9._-]",
                               xbl_mpsd_result_string(XBL_MPSD_E_INVALIDARG));
    return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
    static cli_options options;
    static cli_request request;
    cli_args a;
    int ex;
    options.host = CLI_DEFAULT_HOST;
    options.port = CLI_DEFAULT_PORT;
    options.xuid = CLI_DEFAULT_XUID;
    request.interval_ms = 1000;
    memset(&a, 0, sizeof a);
    a.argc = argc;
    a.argv = argv;
    a.command = -1;
    a.o = &options;
    a.r = &request;
    ex = cli_walk(&a);
    if (ex != CLI_EXIT_OK) return ex;
    if (a.help) {
        fputs(a.command >= 0 ? cli_commands[a.command].help : cli_help_main, stdout);
        return CLI_EXIT_OK;
    }
    if (argc == 1) { fputs(cli_help_main, stderr); return CLI_EXIT_USAGE; }
    ex = cli_check(&a);
    return ex != CLI_EXIT_OK ? ex : cli_run(&options, &request);
}
