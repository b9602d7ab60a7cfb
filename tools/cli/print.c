/* Output: the readable summary, the exact document (--json), watch lines. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

const char *cli_status_name(xbl_mpsd_write_session_status s)
{
    static const char *const names[] = { "UNKNOWN", "ACCESS_DENIED", "CREATED", "CONFLICT",
        "HANDLE_NOT_FOUND", "OUT_OF_SYNC", "SESSION_DELETED", "UPDATED" };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

const char *cli_visibility_name(xbl_mpsd_session_visibility v)
{
    static const char *const names[] = { "unknown", "any", "private", "visible", "full", "open" };
    return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "?";
}

static const char *cli_member_status_name(xbl_mpsd_session_member_status s)
{
    static const char *const names[] = { "reserved", "inactive", "ready", "active" };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

static const char *cli_or(const char *json, const char *fallback)
{
    return json != NULL && json[0] != '\0' ? json : fallback;
}

static void cli_print_members(const xbl_mpsd_session *s)
{
    const xbl_mpsd_session_member *m = NULL;
    size_t n = 0, i;
    if (xbl_mpsd_session_members(s, &m, &n) != XBL_MPSD_OK) n = 0;
    printf("members     %zu\n", n);
    for (i = 0; i < n; i++) {
        printf("  #%-3u %-20llu %-16s %-9s properties %s\n", (unsigned)m[i].member_id,
               (unsigned long long)m[i].xuid, m[i].gamertag[0] != '\0' ? m[i].gamertag : "-",
               cli_member_status_name(m[i].status), cli_or(m[i].custom_properties_json, "{}"));
    }
}

static void cli_print_summary(const xbl_mpsd_session *s)
{
    const xbl_mpsd_session_reference *ref = xbl_mpsd_session_session_reference(s);
    const xbl_mpsd_session_constants *k = xbl_mpsd_session_session_constants(s);
    const xbl_mpsd_session_properties *p = xbl_mpsd_session_session_properties(s);
    const xbl_mpsd_session_info *info = xbl_mpsd_session_get_info(s);
    printf("session     %s / %s / %s\n", ref->scid, ref->session_template_name, ref->session_name);
    printf("etag        %s\n", xbl_mpsd_session_etag(s));
    printf("change      %llu\n", (unsigned long long)info->change_number);
    printf("visibility  %s, max members %u\n", cli_visibility_name(k->visibility),
           (unsigned)k->max_members_in_session);
    printf("constants   %s\n", cli_or(k->custom_json, "{}"));
    printf("properties  %s\n", cli_or(p->session_custom_properties_json, "{}"));
    cli_print_members(s);
    if (xbl_mpsd_session_raw_servers_json(s)[0] != '\0')
        printf("servers     %s\n", xbl_mpsd_session_raw_servers_json(s));
}

void cli_print_session(const cli_session *cs, const xbl_mpsd_async *op, bool json)
{
    size_t len = 0;
    const char *body = op != NULL ? xbl_mpsd_async_response_body(op, &len) : NULL;
    if (!xbl_mpsd_session_has_document(&cs->session)) {
        cli_print_deleted(json);
        return;
    }
    if (json && body != NULL) printf("%.*s\n", (int)len, body);
    else cli_print_summary(&cs->session);
    fflush(stdout);
}

void cli_print_deleted(bool json)
{
    if (json) printf("null\n");
    else printf("session     (none: deleted, or never created)\n");
    fflush(stdout);
}

static const struct { xbl_mpsd_session_change_types bit; const char *name; } cli_change_names[] = {
    { XBL_MPSD_SESSION_CHANGE_TYPES_EVERYTHING, "EVERYTHING" },
    { XBL_MPSD_SESSION_CHANGE_TYPES_HOST_DEVICE_TOKEN_CHANGE, "HOST_DEVICE_TOKEN_CHANGE" },
    { XBL_MPSD_SESSION_CHANGE_TYPES_INITIALIZATION_STATE_CHANGE, "INITIALIZATION_STATE_CHANGE" },
    { XBL_MPSD_SESSION_CHANGE_TYPES_MATCHMAKING_STATUS_CHANGE, "MATCHMAKING_STATUS_CHANGE" },
    { XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_LIST_CHANGE, "MEMBER_LIST_CHANGE" },
    { XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_STATUS_CHANGE, "MEMBER_STATUS_CHANGE" },
    { XBL_MPSD_SESSION_CHANGE_TYPES_SESSION_JOINABILITY_CHANGE, "SESSION_JOINABILITY_CHANGE" },
    { XBL_MPSD_SESSION_CHANGE_TYPES_CUSTOM_PROPERTY_CHANGE, "CUSTOM_PROPERTY_CHANGE" },
    { XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_CUSTOM_PROPERTY_CHANGE, "MEMBER_CUSTOM_PROPERTY_CHANGE" }
};

static size_t cli_members_count(const xbl_mpsd_session *s)
{
    const xbl_mpsd_session_member *m = NULL;
    size_t n = 0;
    return xbl_mpsd_session_members(s, &m, &n) == XBL_MPSD_OK ? n : 0;
}

static void cli_print_json_string(const char *v)
{
    putchar('"');
    for (; *v != '\0'; v++) {
        if (*v == '"' || *v == '\\') printf("\\%c", *v);
        else if ((unsigned char)*v < 0x20) printf("\\u%04x", (unsigned)(unsigned char)*v);
        else putchar(*v);
    }
    putchar('"');
}

/* "change 4: MEMBER_LIST_CHANGE MEMBER_STATUS_CHANGE", or one JSON line. */
void cli_print_change(const cli_session *now, xbl_mpsd_session_change_types types, bool json)
{
    const xbl_mpsd_session *s = &now->session;
    unsigned long long change = (unsigned long long)xbl_mpsd_session_get_info(s)->change_number;
    size_t i, shown = 0;
    if (json) {
        printf("{\"changeNumber\":%llu,\"etag\":", change);
        cli_print_json_string(xbl_mpsd_session_etag(s));
        printf(",\"members\":%zu,\"changeTypes\":[", cli_members_count(s));
    } else {
        printf("change %llu:", change);
    }
    for (i = 0; i < sizeof cli_change_names / sizeof cli_change_names[0]; i++) {
        if (!(types & cli_change_names[i].bit)) continue;
        if (json) printf("%s\"%s\"", shown > 0 ? "," : "", cli_change_names[i].name);
        else printf(" %s", cli_change_names[i].name);
        shown++;
    }
    if (json) printf("]}\n");
    else printf("%s (%zu member%s)\n", shown == 0 ? " no change type (a timer or a system property)" : "",
                cli_members_count(s), cli_members_count(s) == 1 ? "" : "s");
    fflush(stdout);
}
