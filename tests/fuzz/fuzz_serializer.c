/* libFuzzer harness 4: serializer round trip. A fuzzer-chosen sequence of
   setters with fuzzer-chosen strings and JSON fragments runs on a local or
   a service session; then:
   - a setter that fails returns a documented code and leaves the session
     byte-identical (struct and used arena);
   - after every call the next write body (xbl_mpsd__session_write_body)
     is valid JSON for the SDK's own validator and for jsmn (strict), and
     its size protocol holds (a buffer one byte short: OUTOFMEMORY with the
     same size);
   - at the end the body reads back: it is turned into a session document
     (members.me becomes member 0, the objects the reader requires are added,
     values the reader's schema cannot hold are dropped - API.md lets
     servers, measurements and the like be any JSON value) and loaded with
     xbl_mpsd__session_load into a second session, whose getters must give
     what was set.

   Input: [start][op][args]...  start bit 0-1: fresh local session, local
   with init args, joined local session, service session (a fixed document
   with role types and the current user as member); bit 2: a small arena
   (1 KB), so OUTOFMEMORY happens. Each op consumes its arguments from the
   input: strings as [len][bytes] (len >= 0xE0 picks a stock JSON fragment
   or name instead), numbers as little-endian bytes. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "fuzz_util.h"

#define FZ_ARENA_BIG   65536
#define FZ_ARENA_SMALL 1024
#define FZ_BODY        (1 << 17)
#define FZ_DOC         (1 << 18)
#define FZ_MAX_LIST    6
#define XUID_ME        UINT64_C(2814600000000001)

/* ---- input reader ---- */

typedef struct fz_in {
    const uint8_t *d;
    size_t n, at;
    char strs[24][300];   /* a ring of decoded string arguments */
    unsigned next_str;
} fz_in;

static uint8_t in_u8(fz_in *in) { return in->at < in->n ? in->d[in->at++] : 0; }

static uint64_t in_u64(fz_in *in, unsigned bytes)
{
    uint64_t v = 0;
    unsigned i;
    for (i = 0; i < bytes; i++) v |= (uint64_t)in_u8(in) << (8 * i);
    return v;
}

static uint64_t in_timeout(fz_in *in)
{
    static const uint64_t stock[8] = { 0, 1, 30000, (UINT64_C(1) << 52) - 1, UINT64_C(1) << 52,
                                       XBL_MPSD_TIMEOUT_INFINITE, 4294967296u, 999 };
    uint8_t b = in_u8(in);
    return b < 8 ? stock[b] : in_u64(in, (unsigned)(b % 8) + 1);
}

static const char *const fz_stock[32] = {
    "{}", "[]", "null", "true", "0", "-1.5e+10", "\"s\"", "{\"a\":1}",
    " {\"a\" : [1, {\"b\": null}], \"c\": \"\\u00e9\\n\"} ", "[1,2,[3,[4]]]", "{\"a\":1,\"a\":2}",
    "\"\\ud83d\\ude00\"", "{\"k\":\"v\"}", "12345678901234567890", "{", "[1,]", "01", "\"\\x\"",
    "{\"a\":1}x", "nul", "\"\xff\"", "{\"deep\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
    "name", "caf\xc3\xa9", "with \"quotes\" and \\", "tab\there", "x\x01y", "ROLE", "confirmed", "lfg", "", "e"
};

/* A string argument: NUL-terminated (bytes after a NUL are cut). */
static const char *in_str(fz_in *in)
{
    char *s = in->strs[in->next_str++ % 24];
    uint8_t len = in_u8(in);
    size_t i;
    if (len >= 0xE0) return fz_stock[len - 0xE0];
    for (i = 0; i < len && in->at < in->n; i++) s[i] = (char)in->d[in->at++];
    s[i] = '\0';
    return s;
}

/* ---- session snapshot ---- */

static xbl_mpsd_session g_before;
static unsigned char g_before_arena[FZ_ARENA_BIG];

static void snap_take(const xbl_mpsd_session *s)
{
    memcpy(&g_before, s, sizeof *s);
    if (s->arena.used) memcpy(g_before_arena, s->arena.base, s->arena.used);
}

static void snap_same(const xbl_mpsd_session *s)
{
    FZ_CHECK(memcmp(&g_before, s, sizeof *s) == 0);
    FZ_CHECK(s->arena.used == 0 || memcmp(g_before_arena, s->arena.base, s->arena.used) == 0);
}

/* ---- the body: valid JSON, size protocol ---- */

static char g_body[FZ_BODY];
static jsmntok_t g_tok[32768];

/* After every call: the body is valid for the SDK's own validator. */
static size_t body_quick(const xbl_mpsd_session *s)
{
    size_t len = 0, start, vlen;
    FZ_CHECK(xbl_mpsd__session_write_body(s, g_body, FZ_BODY, &len) == XBL_MPSD_OK);
    FZ_CHECK(len > 0 && len < FZ_BODY);
    FZ_CHECK(xbl_mpsd__json_check(g_body, len, &start, &vlen) && start == 0 && vlen == len);
    g_body[len] = '\0';
    return len;
}

/* At the end: also jsmn's verdict and the size protocol (a buffer one
   byte short gives OUTOFMEMORY and the same size). */
static size_t body_of(const xbl_mpsd_session *s)
{
    size_t len = body_quick(s), len2 = 0;
    FZ_CHECK(fz_jsmn_ok(g_body, len, g_tok, 32768));
    FZ_CHECK(xbl_mpsd__session_write_body(s, g_body, len - 1, &len2) == XBL_MPSD_E_OUTOFMEMORY && len2 == len);
    FZ_CHECK(xbl_mpsd__session_write_body(s, g_body, FZ_BODY, &len2) == XBL_MPSD_OK && len2 == len);
    g_body[len] = '\0';
    return len;
}

/* ---- body -> session document ---- */

typedef struct fz_doc { char *p; size_t len; } fz_doc;
static char g_doc_buf[FZ_DOC];

static void put(fz_doc *d, const char *s, size_t n)
{
    FZ_CHECK(d->len + n < FZ_DOC);
    memcpy(d->p + d->len, s, n);
    d->len += n;
}

static void puts_(fz_doc *d, const char *s) { put(d, s, strlen(s)); }

static bool key_is(const char *js, const jsmntok_t *t, const char *key)
{
    size_t n = strlen(key);
    return (size_t)(t->end - t->start) == n && memcmp(js + t->start, key, n) == 0;
}

static int skip(int i, int ntok)
{
    int end = g_tok[i].end;
    i++;
    while (i < ntok && g_tok[i].start < end) i++;
    return i;
}

static void put_tok(fz_doc *d, const char *js, int i)
{
    int s = g_tok[i].start, e = g_tok[i].end;
    if (g_tok[i].type == JSMN_STRING) { s--; e++; }
    put(d, js + s, (size_t)(e - s));
}

/* Keys whose value the reader takes only as an object (or null). */
static bool object_only(const char *path)
{
    static const char *const paths[] = {
        ".servers", ".constants.system.measurementServerAddresses", ".constants.system.cloudComputePackage",
        ".properties.system.matchmaking.targetSessionConstants",
        ".members.0.properties.system.measurements", ".members.0.properties.system.serverMeasurements",
        NULL
    };
    size_t i;
    for (i = 0; paths[i]; i++) if (strcmp(path, paths[i]) == 0) return true;
    return false;
}

static void emit(fz_doc *d, const char *js, int i, int ntok, char *path);

/* Object members of token `obj`, filtered, plus what the reader requires. */
static void emit_object(fz_doc *d, const char *js, int obj, int ntok, char *path)
{
    int k = obj + 1, c, first = 1;
    size_t base = strlen(path);
    bool is_member = strcmp(path, ".members.0") == 0;
    bool has_system = false, has_constants = false, has_properties = false;
    puts_(d, "{");
    for (c = 0; c < g_tok[obj].size; c++) {
        int v = k + 1;
        FZ_CHECK(base + 1 + (size_t)(g_tok[k].end - g_tok[k].start) < 512);
        path[base] = '.';
        memcpy(path + base + 1, js + g_tok[k].start, (size_t)(g_tok[k].end - g_tok[k].start));
        path[base + 1 + (size_t)(g_tok[k].end - g_tok[k].start)] = '\0';
        if (key_is(js, &g_tok[k], "system")) has_system = true;
        if (key_is(js, &g_tok[k], "constants")) has_constants = true;
        if (key_is(js, &g_tok[k], "properties")) has_properties = true;
        if (!(object_only(path) && g_tok[v].type != JSMN_OBJECT)) {
            if (!first) puts_(d, ",");
            first = 0;
            put_tok(d, js, k);
            puts_(d, ":");
            emit(d, js, v, ntok, path);
        }
        path[base] = '\0';
        k = skip(v, ntok);
    }
    if ((strcmp(path, ".properties") == 0 || strcmp(path, ".members.0.properties") == 0 ||
         strcmp(path, ".members.0.constants") == 0) && !has_system) {
        puts_(d, first ? "\"system\":{}" : ",\"system\":{}");
        first = 0;
    }
    if (is_member) {
        if (!has_constants) puts_(d, first ? "\"constants\":{\"system\":{}}" : ",\"constants\":{\"system\":{}}"), first = 0;
        if (!has_properties) puts_(d, first ? "\"properties\":{\"system\":{}}" : ",\"properties\":{\"system\":{}}"), first = 0;
        puts_(d, first ? "\"next\":1" : ",\"next\":1");
    }
    puts_(d, "}");
}

/* Objects on the way to a filtered or completed key are rebuilt; anything
   else is copied byte for byte (raw JSON must come back exactly). */
static bool structural(const char *path)
{
    static const char *const paths[] = {
        ".constants", ".constants.system", ".properties", ".properties.system",
        ".properties.system.matchmaking", ".members.0", ".members.0.constants",
        ".members.0.properties", ".members.0.properties.system", NULL
    };
    size_t i;
    for (i = 0; paths[i]; i++) if (strcmp(path, paths[i]) == 0) return true;
    return false;
}

static void emit(fz_doc *d, const char *js, int i, int ntok, char *path)
{
    if (g_tok[i].type == JSMN_OBJECT && structural(path)) emit_object(d, js, i, ntok, path);
    else put_tok(d, js, i);
}

/* The body as a document: top-level keys other than members as they are
   (filtered), members.me as member 0, required objects added. */
static size_t make_doc(const char *js, size_t len, bool large)
{
    fz_doc d;
    jsmn_parser p;
    char path[512];
    int ntok, k, c, me = -1;
    bool has_constants = false, has_properties = false;
    d.p = g_doc_buf; d.len = 0;
    jsmn_init(&p);
    ntok = jsmn_parse(&p, js, len, g_tok, 32768);
    FZ_CHECK(ntok > 0 && g_tok[0].type == JSMN_OBJECT);
    puts_(&d, "{");
    for (c = 0, k = 1; c < g_tok[0].size; c++) {
        int v = k + 1;
        if (key_is(js, &g_tok[k], "members")) {
            int mk = v + 1, mc;
            for (mc = 0; mc < g_tok[v].size; mc++) {
                if (key_is(js, &g_tok[mk], "me") && g_tok[mk + 1].type == JSMN_OBJECT) me = mk + 1;
                mk = skip(mk + 1, ntok);
            }
        } else {
            if (key_is(js, &g_tok[k], "constants")) has_constants = true;
            if (key_is(js, &g_tok[k], "properties")) has_properties = true;
            snprintf(path, sizeof path, ".%.*s", g_tok[k].end - g_tok[k].start, js + g_tok[k].start);
            if (!(object_only(path) && g_tok[v].type != JSMN_OBJECT)) {
                if (d.len > 1) puts_(&d, ",");
                put_tok(&d, js, k);
                puts_(&d, ":");
                emit(&d, js, v, ntok, path);
            }
        }
        k = skip(v, ntok);
    }
    if (d.len > 1) puts_(&d, ",");
    if (!has_constants) puts_(&d, "\"constants\":{\"system\":{}},");
    if (!has_properties) puts_(&d, "\"properties\":{\"system\":{}},");
    if (me >= 0) {
        strcpy(path, ".members.0");
        puts_(&d, large ? "\"members\":{\"me\":" : "\"members\":{\"0\":");   /* large sessions show only me */
        emit(&d, js, me, ntok, path);
        puts_(&d, "},\"membersInfo\":{\"first\":0,\"next\":1}}");
    } else {
        puts_(&d, "\"membersInfo\":{\"first\":0,\"next\":0}}");
    }
    return d.len;
}

/* ---- comparison ---- */

static void same_str(const char *a, const char *b)
{
    FZ_CHECK(a != NULL && b != NULL);
    if (strcmp(a, b) != 0) {
        fprintf(stderr, "set: [%s]\nread back: [%s]\n", a, b);
        FZ_CHECK(strcmp(a, b) == 0);
    }
}

static void same_strs(const char *const *a, size_t na, const char *const *b, size_t nb)
{
    size_t i;
    FZ_CHECK(na == nb);
    for (i = 0; i < na; i++) same_str(a[i], b[i]);
}

static void same_u32s(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    FZ_CHECK(na == nb);
    FZ_CHECK(na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

/* Raw JSON that the reader keeps only as an object: what to expect back. */
static const char *obj_or(const char *set, const char *dflt)
{
    return set[0] == '{' ? set : dflt;
}

static uint64_t timeout_back(uint64_t v)
{
    return v >= (UINT64_C(1) << 52) ? XBL_MPSD_TIMEOUT_INFINITE : v;
}

static void compare_constants(const xbl_mpsd_session *a, const xbl_mpsd_session *b)
{
    const xbl_mpsd_session_constants *ca = &a->constants, *cb = &b->constants;
    uint32_t d = a->dirty;
    if (xbl_mpsd__is_service(a) || !(d & XBL_MPSD__DIRTY_CONSTANTS)) return;
    FZ_CHECK(cb->max_members_in_session == ca->max_members_in_session);
    FZ_CHECK(cb->visibility == (xbl_mpsd__visibility_name(ca->visibility) ? ca->visibility : XBL_MPSD_SESSION_VISIBILITY_UNKNOWN));
    FZ_CHECK(memcmp(&cb->session_capabilities, &ca->session_capabilities, sizeof ca->session_capabilities) == 0);
    FZ_CHECK(cb->initiator_xuids_count == ca->initiator_xuids_count);
    FZ_CHECK(ca->initiator_xuids_count == 0 || memcmp(cb->initiator_xuids, ca->initiator_xuids, ca->initiator_xuids_count * 8) == 0);
    if (d & XBL_MPSD__DIRTY_C_TIMEOUTS) {
        FZ_CHECK(cb->member_reserved_timeout == timeout_back(ca->member_reserved_timeout));
        FZ_CHECK(cb->member_inactive_timeout == timeout_back(ca->member_inactive_timeout));
        FZ_CHECK(cb->member_ready_timeout == timeout_back(ca->member_ready_timeout));
        FZ_CHECK(cb->session_empty_timeout == timeout_back(ca->session_empty_timeout));
    }
    if (d & XBL_MPSD__DIRTY_C_METRICS) {
        FZ_CHECK(cb->enable_metrics_latency == ca->enable_metrics_latency);
        FZ_CHECK(cb->enable_metrics_bandwidth_down == ca->enable_metrics_bandwidth_down);
        FZ_CHECK(cb->enable_metrics_bandwidth_up == ca->enable_metrics_bandwidth_up);
        FZ_CHECK(cb->enable_metrics_custom == ca->enable_metrics_custom);
    }
    if ((d & XBL_MPSD__DIRTY_C_MEMBER_INIT) && ca->member_initialization) {
        const xbl_mpsd_member_initialization *ma = ca->member_initialization, *mb = cb->member_initialization;
        FZ_CHECK(mb != NULL);
        FZ_CHECK(mb->join_timeout == timeout_back(ma->join_timeout));
        FZ_CHECK(mb->measurement_timeout == timeout_back(ma->measurement_timeout));
        FZ_CHECK(mb->evaluation_timeout == (ma->external_evaluation ? timeout_back(ma->evaluation_timeout) : 0));
        FZ_CHECK(mb->external_evaluation == ma->external_evaluation);
        FZ_CHECK(mb->members_needed_to_start == ma->members_needed_to_start);
    }
    if (d & XBL_MPSD__DIRTY_C_PEER_TO_PEER)
        FZ_CHECK(memcmp(&cb->peer_to_peer_requirements, &ca->peer_to_peer_requirements, sizeof ca->peer_to_peer_requirements) == 0);
    if (d & XBL_MPSD__DIRTY_C_PEER_TO_HOST) {
        FZ_CHECK(cb->peer_to_host_requirements.latency_maximum == ca->peer_to_host_requirements.latency_maximum);
        FZ_CHECK(cb->peer_to_host_requirements.bandwidth_down_minimum_in_kbps == ca->peer_to_host_requirements.bandwidth_down_minimum_in_kbps);
        FZ_CHECK(cb->peer_to_host_requirements.bandwidth_up_minimum_in_kbps == ca->peer_to_host_requirements.bandwidth_up_minimum_in_kbps);
        FZ_CHECK(cb->peer_to_host_requirements.host_selection_metric == ca->peer_to_host_requirements.host_selection_metric);
    }
    if (d & XBL_MPSD__DIRTY_C_MEASUREMENT)
        same_str(obj_or(ca->measurement_server_addresses_json, ""), cb->measurement_server_addresses_json);
    same_str(obj_or(ca->session_cloud_compute_package_constants_json, ""), cb->session_cloud_compute_package_constants_json);
    same_str(ca->custom_json[0] ? (strcmp(ca->custom_json, "null") == 0 ? "" : ca->custom_json) : "{}", cb->custom_json);
}

static void compare_role_types(const xbl_mpsd_session *a, const xbl_mpsd_session *b)
{
    size_t t, r;
    if (!(a->dirty & XBL_MPSD__DIRTY_ROLE_TYPES)) return;
    FZ_CHECK(b->role_types_count == a->role_types_count);
    for (t = 0; t < a->role_types_count; t++) {
        const xbl_mpsd_role_type *ta = &a->role_types[t], *tb = &b->role_types[t];
        same_str(ta->name, tb->name);
        FZ_CHECK(ta->role_count == tb->role_count);
        for (r = 0; r < ta->role_count; r++) {
            same_str(ta->roles[r].name, tb->roles[r].name);
            FZ_CHECK(tb->roles[r].max_member_count == ta->roles[r].max_member_count);
            FZ_CHECK(tb->roles[r].target_count == ta->roles[r].target_count);
        }
    }
}

static void compare_properties(const xbl_mpsd_session *a, const xbl_mpsd_session *b)
{
    const xbl_mpsd_session_properties *pa = &a->properties, *pb = &b->properties;
    uint32_t d = xbl_mpsd__system_output(a);
    if (d & XBL_MPSD__DIRTY_KEYWORDS) same_strs(pa->keywords, pa->keyword_count, pb->keywords, pb->keyword_count);
    else FZ_CHECK(pb->keyword_count == 0);
    if (d & XBL_MPSD__DIRTY_TURN) same_u32s(pa->turn_collection, pa->turn_collection_count, pb->turn_collection, pb->turn_collection_count);
    FZ_CHECK(pb->join_restriction == ((d & XBL_MPSD__DIRTY_JOIN_RESTRICTION) ? pa->join_restriction : XBL_MPSD_SESSION_RESTRICTION_UNKNOWN));
    FZ_CHECK(pb->read_restriction == ((d & XBL_MPSD__DIRTY_READ_RESTRICTION) ? pa->read_restriction : XBL_MPSD_SESSION_RESTRICTION_UNKNOWN));
    FZ_CHECK(pb->closed == ((d & XBL_MPSD__DIRTY_CLOSED) && pa->closed));
    FZ_CHECK(pb->locked == ((d & XBL_MPSD__DIRTY_LOCKED) && pa->locked));
    FZ_CHECK(pb->allocate_cloud_compute == ((d & XBL_MPSD__DIRTY_ALLOCATE_CLOUD) && pa->allocate_cloud_compute));
    FZ_CHECK(pb->matchmaking_resubmit == ((d & XBL_MPSD__DIRTY_MM_RESUBMIT) && pa->matchmaking_resubmit));
    same_str((d & XBL_MPSD__DIRTY_MM_TARGET_CONSTANTS) ? obj_or(pa->matchmaking_target_session_constants_json, "") : "",
             pb->matchmaking_target_session_constants_json);
    same_str((d & XBL_MPSD__DIRTY_MM_CONNECTION) ? pa->matchmaking_server_connection_string : "",
             pb->matchmaking_server_connection_string);
    same_str((d & XBL_MPSD__DIRTY_HOST) ? pa->host_device_token.value : "", pb->host_device_token.value);
    if (d & XBL_MPSD__DIRTY_CANDIDATES)
        same_strs(pa->server_connection_string_candidates, pa->server_connection_string_candidates_count,
                  pb->server_connection_string_candidates, pb->server_connection_string_candidates_count);
    same_str((a->dirty & XBL_MPSD__DIRTY_CUSTOM) ? xbl_mpsd__custom_output(a, NULL) : "{}",
             pb->session_custom_properties_json);
    same_str((a->dirty & XBL_MPSD__DIRTY_SERVERS) ? obj_or(a->raw_servers_json, "") : "", b->raw_servers_json);
}

static void compare_me(const xbl_mpsd_session *a, const xbl_mpsd_session *b)
{
    const xbl_mpsd_session_member *ma = xbl_mpsd__me_output(a), *mb;
    uint32_t d = a->me_dirty;
    bool joined = (a->state & XBL_MPSD__STATE_JOINED) != 0;
    if (ma == NULL || (a->state & XBL_MPSD__STATE_LEFT)) { FZ_CHECK(b->members_count == 0); return; }
    FZ_CHECK(b->members_count == 1);
    mb = &b->members[0];
    FZ_CHECK(mb->xuid == (joined ? ma->xuid : 0));
    FZ_CHECK(mb->initialize_requested == (joined && ma->initialize_requested));
    if (joined && ma->custom_constants_json && strcmp(ma->custom_constants_json, "null") != 0)
        same_str(ma->custom_constants_json, mb->custom_constants_json);
    else FZ_CHECK(mb->custom_constants_json == NULL);
    if (d & XBL_MPSD__ME_ROLES) {
        size_t i;
        FZ_CHECK(mb->roles_count == ma->roles_count);
        for (i = 0; i < ma->roles_count; i++) {
            same_str(ma->roles[i].role_type_name, mb->roles[i].role_type_name);
            same_str(ma->roles[i].role_name, mb->roles[i].role_name);
        }
    }
    FZ_CHECK(mb->status == (((d & XBL_MPSD__ME_STATUS) && ma->status == XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE)
            ? XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE : XBL_MPSD_SESSION_MEMBER_STATUS_INACTIVE));
    if (d & XBL_MPSD__ME_SECURE_DEVICE_ADDRESS)
        same_str(ma->secure_device_base_address64 ? ma->secure_device_base_address64 : "", mb->secure_device_base_address64);
    if (d & XBL_MPSD__ME_INITIALIZATION_GROUP)
        same_u32s(ma->members_in_group_ids, ma->members_in_group_count, mb->members_in_group_ids, mb->members_in_group_count);
    if (d & XBL_MPSD__ME_GROUPS) same_strs(ma->groups, ma->groups_count, mb->groups, mb->groups_count);
    if (d & XBL_MPSD__ME_ENCOUNTERS) same_strs(ma->encounters, ma->encounters_count, mb->encounters, mb->encounters_count);
    if ((d & XBL_MPSD__ME_MEASUREMENTS) && ma->qos_measurements_json[0] == '{')
        same_str(ma->qos_measurements_json, mb->qos_measurements_json);
    else FZ_CHECK(mb->qos_measurements_json == NULL);
    if ((d & XBL_MPSD__ME_SERVER_MEASUREMENTS) && ma->server_measurements_json[0] == '{')
        same_str(ma->server_measurements_json, mb->server_measurements_json);
    else FZ_CHECK(mb->server_measurements_json == NULL);
    if (d & XBL_MPSD__ME_CUSTOM)
        same_str(xbl_mpsd__custom_output(a, ma), mb->custom_properties_json);
    if ((d & XBL_MPSD__ME_SUBSCRIPTION) && joined)
        FZ_CHECK(b->subscription_change_types == a->subscription_change_types);
}

static union { unsigned char b[32768]; uint64_t u; void *p; } g_load_scratch;   /* the reader's scratch space */
static unsigned char g_arena_b[1 << 18];

static void round_trip(const xbl_mpsd_session *a)
{
    xbl_mpsd_session b;
    xbl_mpsd__response_meta meta;
    size_t len = body_of(a), dlen, needed = 0;
    xbl_mpsd_result rc;
    dlen = make_doc(g_body, len, !xbl_mpsd__is_service(a) && (a->dirty & XBL_MPSD__DIRTY_CONSTANTS)
                    && a->constants.session_capabilities.large);
    memset(&meta, 0, sizeof meta);
    meta.xuid = a->xuid;
    FZ_CHECK(xbl_mpsd_session_init(&b, a->xuid, NULL, NULL, g_arena_b, sizeof g_arena_b) == XBL_MPSD_OK);
    rc = xbl_mpsd__session_load(&b, g_doc_buf, dlen, &meta, g_load_scratch.b, sizeof g_load_scratch.b, &needed, NULL);
    if (getenv("FZ_DEBUG")) fprintf(stderr, "body: %s\ndoc: %.*s\n", g_body, (int)dlen, g_doc_buf);
    if (rc != XBL_MPSD_OK) {
        fprintf(stderr, "body: %s\ndoc: %.*s\nload: %s\n", g_body, (int)dlen, g_doc_buf, xbl_mpsd_result_string(rc));
        FZ_CHECK(rc == XBL_MPSD_OK);
    }
    compare_constants(a, &b);
    compare_role_types(a, &b);
    compare_properties(a, &b);
    compare_me(a, &b);
}

/* ---- setters ---- */

static const char *const *in_strs(fz_in *in, size_t *n, const char **store)
{
    size_t i;
    *n = in_u8(in) % (FZ_MAX_LIST + 1);
    for (i = 0; i < *n; i++) store[i] = in_str(in);
    return store;
}

static const uint32_t *in_u32s(fz_in *in, size_t *n, uint32_t *store)
{
    size_t i;
    *n = in_u8(in) % (FZ_MAX_LIST + 1);
    for (i = 0; i < *n; i++) store[i] = (uint32_t)in_u64(in, in_u8(in) % 5);
    return store;
}

static xbl_mpsd_result apply(xbl_mpsd_session *s, fz_in *in, uint8_t op)
{
    const char *list[FZ_MAX_LIST];
    uint32_t ids[FZ_MAX_LIST];
    size_t n;
    uint8_t b;
    switch (op % 43) {
    case 0: return xbl_mpsd_session_constants_set_max_members_in_session(s, (uint32_t)in_u64(in, in_u8(in) % 5));
    case 1: return xbl_mpsd_session_constants_set_visibility(s, (xbl_mpsd_session_visibility)((int)(in_u8(in) % 8) - 1));
    case 2: {
        uint64_t t1 = in_timeout(in), t2 = in_timeout(in), t3 = in_timeout(in), t4 = in_timeout(in);
        return xbl_mpsd_session_constants_set_timeouts(s, t1, t2, t3, t4);
    }
    case 3: b = in_u8(in);
        return xbl_mpsd_session_constants_set_qos_connectivity_metrics(s, b & 1, (b >> 1) & 1, (b >> 2) & 1, (b >> 3) & 1);
    case 4: {
        xbl_mpsd_member_initialization mi;
        mi.join_timeout = in_timeout(in);
        mi.measurement_timeout = in_timeout(in);
        mi.evaluation_timeout = in_timeout(in);
        mi.external_evaluation = in_u8(in) & 1;
        mi.members_needed_to_start = (uint32_t)in_u64(in, 2);
        return xbl_mpsd_session_constants_set_member_initialization(s, mi);
    }
    case 5: {
        xbl_mpsd_peer_to_peer_requirements r;
        r.latency_maximum = in_timeout(in);
        r.bandwidth_minimum_in_kbps = in_timeout(in);
        return xbl_mpsd_session_constants_set_peer_to_peer_requirements(s, r);
    }
    case 6: {
        xbl_mpsd_peer_to_host_requirements r;
        memset(&r, 0, sizeof r);
        r.latency_maximum = in_timeout(in);
        r.bandwidth_down_minimum_in_kbps = in_timeout(in);
        r.bandwidth_up_minimum_in_kbps = in_timeout(in);
        r.host_selection_metric = (xbl_mpsd_metrics)((int)(in_u8(in) % 7) - 1);
        return xbl_mpsd_session_constants_set_peer_to_host_requirements(s, r);
    }
    case 7: return xbl_mpsd_session_constants_set_measurement_server_addresses_json(s, in_str(in));
    case 8: {
        xbl_mpsd_session_capabilities c;
        uint16_t bits = (uint16_t)in_u64(in, 2);
        c.connectivity = bits & 1; c.suppress_presence_activity_check = (bits >> 1) & 1;
        c.gameplay = (bits >> 2) & 1; c.large = (bits >> 3) & 1;
        c.connection_required_for_active_members = (bits >> 4) & 1; c.user_authorization_style = (bits >> 5) & 1;
        c.crossplay = (bits >> 6) & 1; c.searchable = (bits >> 7) & 1; c.has_owners = (bits >> 8) & 1;
        return xbl_mpsd_session_constants_set_capabilities(s, c);
    }
    case 9: return xbl_mpsd_session_constants_set_cloud_compute_package_json(s, in_str(in));
    case 10: in_strs(in, &n, list); return xbl_mpsd_session_properties_set_keywords(s, list, n);
    case 11: return xbl_mpsd_session_properties_set_join_restriction(s, (xbl_mpsd_session_restriction)((int)(in_u8(in) % 6) - 1));
    case 12: return xbl_mpsd_session_properties_set_read_restriction(s, (xbl_mpsd_session_restriction)((int)(in_u8(in) % 6) - 1));
    case 13: in_u32s(in, &n, ids); return xbl_mpsd_session_properties_set_turn_collection(s, ids, n);
    case 14: {
        const char *type = in_str(in), *role = in_str(in);
        uint32_t mx, tg;
        b = in_u8(in);
        mx = (uint32_t)in_u64(in, 1);
        tg = (uint32_t)in_u64(in, 1);
        return xbl_mpsd_session_set_mutable_role_settings(s, type, role, (b & 1) ? &mx : NULL, (b & 2) ? &tg : NULL);
    }
    case 15: return xbl_mpsd_session_set_raw_servers_json(s, in_str(in));
    case 16: return xbl_mpsd_session_set_initialization_succeeded(s, in_u8(in) & 1);
    case 17: {
        xbl_mpsd_device_token t;
        size_t i;
        for (i = 0; i < sizeof t.value; i++) t.value[i] = (char)in_u8(in);
        if (t.value[0] & 1) t.value[sizeof t.value - 1] = '\0';
        return xbl_mpsd_session_set_host_device_token(s, t);
    }
    case 18: return xbl_mpsd_session_set_matchmaking_server_connection_path(s, in_str(in));
    case 19: return xbl_mpsd_session_set_closed(s, in_u8(in) & 1);
    case 20: return xbl_mpsd_session_set_locked(s, in_u8(in) & 1);
    case 21: return xbl_mpsd_session_set_allocate_cloud_compute(s, in_u8(in) & 1);
    case 22: return xbl_mpsd_session_set_matchmaking_resubmit(s, in_u8(in) & 1);
    case 23: in_strs(in, &n, list); return xbl_mpsd_session_set_server_connection_string_candidates(s, list, n);
    case 24: return xbl_mpsd_session_set_matchmaking_target_session_constants_json(s, in_str(in));
    case 25: { const char *k = in_str(in); return xbl_mpsd_session_set_custom_property_json(s, k, in_str(in)); }
    case 26: return xbl_mpsd_session_delete_custom_property_json(s, in_str(in));
    case 27: { const char *c = in_str(in); b = in_u8(in); return xbl_mpsd_session_join(s, (b & 4) ? c : NULL, b & 1, (b >> 1) & 1); }
    case 28: return xbl_mpsd_session_leave(s);
    case 29: { const char *c = in_str(in); b = in_u8(in);
        return xbl_mpsd_session_add_member_reservation(s, in_u64(in, 8), (b & 2) ? c : NULL, b & 1); }
    case 30: return xbl_mpsd_session_set_session_change_subscription(s, (uint32_t)in_u64(in, 2));
    case 31: return xbl_mpsd_session_current_user_set_status(s, (xbl_mpsd_session_member_status)((int)(in_u8(in) % 6) - 1));
    case 32: return xbl_mpsd_session_current_user_set_secure_device_address_base64(s, in_str(in));
    case 33: {
        xbl_mpsd_session_member_role roles[FZ_MAX_LIST];
        size_t i;
        n = in_u8(in) % (FZ_MAX_LIST + 1);
        for (i = 0; i < n; i++) { roles[i].role_type_name = in_str(in); roles[i].role_name = in_str(in); }
        return xbl_mpsd_session_current_user_set_roles(s, roles, n);
    }
    case 34: in_u32s(in, &n, ids); return xbl_mpsd_session_current_user_set_members_in_group(s, ids, n);
    case 35: in_strs(in, &n, list); return xbl_mpsd_session_current_user_set_groups(s, list, n);
    case 36: in_strs(in, &n, list); return xbl_mpsd_session_current_user_set_encounters(s, list, n);
    case 37: return xbl_mpsd_session_current_user_set_qos_measurements(s, in_str(in));
    case 38: return xbl_mpsd_session_current_user_set_server_qos_measurements(s, in_str(in));
    case 39: { const char *k = in_str(in); return xbl_mpsd_session_current_user_set_custom_property_json(s, k, in_str(in)); }
    case 40: return xbl_mpsd_session_current_user_delete_custom_property_json(s, in_str(in));
    case 41: return xbl_mpsd_session_set_custom_property_json(s, in_str(in), NULL);   /* NULL value: refused */
    default: return xbl_mpsd_session_properties_set_keywords(s, NULL, 1);             /* NULL array: refused */
    }
}

static const char fz_service_doc[] =
    "{\"contractVersion\":107,\"correlationId\":\"c\",\"constants\":{\"system\":{\"maxMembersCount\":8,"
    "\"visibility\":\"open\",\"capabilities\":{\"connectivity\":true}},\"custom\":{\"mode\":\"x\"}},"
    "\"properties\":{\"system\":{\"keywords\":[\"k\"],\"turn\":[0]},\"custom\":{\"a\":1,\"b\":{\"c\":[2]}}},"
    "\"roleTypes\":{\"lfg\":{\"mutableRoleSettings\":[\"max\",\"target\"],\"roles\":{\"confirmed\":{\"count\":1,"
    "\"max\":8,\"target\":4,\"memberXuids\":[\"2814600000000001\"]},\"pending\":{\"max\":8}}},"
    "\"fixed\":{\"roles\":{\"a\":{}}}},"
    "\"membersInfo\":{\"first\":0,\"next\":2,\"count\":2,\"accepted\":2},"
    "\"members\":{\"0\":{\"next\":1,\"constants\":{\"system\":{\"xuid\":\"2814600000000001\"},\"custom\":{\"k\":1}},"
    "\"properties\":{\"system\":{\"active\":true},\"custom\":{\"p\":\"q\"}},\"roles\":{\"lfg\":\"confirmed\"},"
    "\"gamertag\":\"One\"},\"1\":{\"next\":2,\"constants\":{\"system\":{\"xuid\":\"2814600000000002\"}},"
    "\"properties\":{\"system\":{}}}}}";

static void start_session(xbl_mpsd_session *s, unsigned char *arena, size_t size, uint8_t mode, fz_in *in)
{
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create("scid", "tmpl", "name");
    switch (mode & 3) {
    case 1: {
        xbl_mpsd_session_init_args args;
        uint64_t initiators[2] = { XUID_ME, in_u64(in, 8) };
        xbl_mpsd_result rc;
        memset(&args, 0, sizeof args);
        args.max_members_in_session = (uint32_t)in_u8(in);
        args.visibility = (xbl_mpsd_session_visibility)(in_u8(in) % 6);
        args.initiator_xuids = initiators;
        args.initiator_xuids_count = in_u8(in) % 3;
        args.custom_json = in_str(in);
        rc = xbl_mpsd_session_init(s, XUID_ME, &ref, &args, arena, size);
        if (rc == XBL_MPSD_OK) return;
        FZ_CHECK(rc == XBL_MPSD_E_INVALIDARG || rc == XBL_MPSD_E_INVALID_JSON_STRING || rc == XBL_MPSD_E_OUTOFMEMORY);
        FZ_CHECK(xbl_mpsd_session_init(s, XUID_ME, &ref, NULL, arena, size) == XBL_MPSD_OK);
        return;
    }
    case 3: {
        static union { unsigned char b[16384]; uint64_t u; void *p; } scratch;   /* the reader's scratch space */
        xbl_mpsd__response_meta meta;
        size_t needed = 0;
        memset(&meta, 0, sizeof meta);
        meta.xuid = XUID_ME;
        meta.reference = &ref;
        meta.etag = "\"e\"";
        meta.etag_len = 3;
        FZ_CHECK(xbl_mpsd_session_init(s, XUID_ME, NULL, NULL, arena, size) == XBL_MPSD_OK);
        if (xbl_mpsd__session_load(s, fz_service_doc, sizeof fz_service_doc - 1, &meta, scratch.b, sizeof scratch.b, &needed, NULL) == XBL_MPSD_OK)
            return;
        FZ_CHECK(size < FZ_ARENA_BIG);
        return;
    }
    default:
        FZ_CHECK(xbl_mpsd_session_init(s, XUID_ME, &ref, NULL, arena, size) == XBL_MPSD_OK);
        if ((mode & 3) == 2) FZ_CHECK(xbl_mpsd_session_join(s, NULL, false, true) == XBL_MPSD_OK);
        return;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fz_in in;
    xbl_mpsd_session s;
    unsigned char *arena;
    size_t arena_size;
    uint8_t mode;
    unsigned steps = 0;
    if (size < 1) return 0;
    in.d = data; in.n = size; in.at = 0; in.next_str = 0;
    mode = in_u8(&in);
    arena_size = (mode & 4) ? FZ_ARENA_SMALL : FZ_ARENA_BIG;
    arena = (unsigned char *)malloc(arena_size);
    FZ_CHECK(arena != NULL);
    start_session(&s, arena, arena_size, mode, &in);
    while (in.at < in.n && steps++ < 32) {
        xbl_mpsd_result rc;
        uint8_t op = in_u8(&in);
        snap_take(&s);
        rc = apply(&s, &in, op);
        if (rc != XBL_MPSD_OK) {
            FZ_CHECK(rc == XBL_MPSD_E_INVALIDARG || rc == XBL_MPSD_E_UNEXPECTED
                     || rc == XBL_MPSD_E_INVALID_JSON_STRING || rc == XBL_MPSD_E_OUTOFMEMORY);
            snap_same(&s);
        }
        FZ_CHECK(s.arena.used <= s.arena.size);
        if (rc == XBL_MPSD_OK) (void)body_quick(&s);   /* a refused call changed nothing */
    }
    round_trip(&s);
    free(arena);
    return 0;
}
