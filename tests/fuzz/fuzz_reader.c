/* libFuzzer harness 3: the session document reader (xbl_mpsd__session_load,
   the code behind every *_result call) on arbitrary response bodies.

   Input: [meta][body bytes...]; meta bit 0 picks the client's XUID (one that
   the seeds use as a member, or another), bits 1-2 the ETag shape.

   Properties (besides no sanitizer report; the body, scratch buffer and arena
   are heap blocks of exactly their size):
   - a failed load returns INVALID_JSON_STRING, OUTOFMEMORY (scratch, with
     the bytes needed) or nothing else, and leaves the session byte-identical
     (struct and used arena);
   - a loaded session keeps every pointer inside its arena (or on a string
     literal of the SDK), its arrays are as long as their counts say, and
     every getter is safe to walk;
   - the measure is exact: the same body loads into an arena of exactly
     `used` bytes, and fails cleanly with OUTOFMEMORY in one byte less;
   - a scratch buffer one byte short of what it needs fails with OUTOFMEMORY,
     and one of exactly that size (the two walks) reads the same session
     into the same arena use as the roomy one (the one walk, when taken);
   - the loaded session copies (xbl_mpsd_session_copy) into an arena of the
     same used size, the copy reads the same through the getters, and the
     next write body of both is the same valid JSON (own validator and jsmn). */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "fuzz_util.h"

#define FZ_ARENA 65536
#define FZ_SCRATCH 8192   /* bytes: the reader's walker state */

static const uint64_t fz_xuids[2] = { UINT64_C(2814600000000001), UINT64_C(1234) };

typedef struct fz_snap {
    xbl_mpsd_session s;
    unsigned char    arena[FZ_ARENA];
} fz_snap;

static fz_snap g_snap;
static char g_body1[1 << 17], g_body2[1 << 17];
static jsmntok_t g_check_tok[16384];

static void snap_take(const xbl_mpsd_session *s)
{
    memcpy(&g_snap.s, s, sizeof *s);
    if (s->arena.used) memcpy(g_snap.arena, s->arena.base, s->arena.used);
}

static void snap_same(const xbl_mpsd_session *s)
{
    FZ_CHECK(memcmp(&g_snap.s, s, sizeof *s) == 0);
    FZ_CHECK(s->arena.used == 0 || memcmp(g_snap.arena, s->arena.base, s->arena.used) == 0);
}

/* A stored string: in the arena, or "" / "{}" literals of the SDK. */
static void check_str(const xbl_mpsd_session *s, const char *p)
{
    size_t n;
    if (p == NULL) return;
    if (!fz_inside(p, 1, s->arena.base, s->arena.used)) {
        FZ_CHECK(strcmp(p, "") == 0 || strcmp(p, "{}") == 0);
        return;
    }
    n = xbl_mpsd__strnlen(p, (size_t)(s->arena.base + s->arena.used - (const unsigned char *)p));
    FZ_CHECK(fz_inside(p, n + 1, s->arena.base, s->arena.used));
}

static void check_array(const xbl_mpsd_session *s, const void *p, size_t count, size_t elem)
{
    if (count == 0) return;
    FZ_CHECK(p != NULL && fz_inside(p, count * elem, s->arena.base, s->arena.used));
}

static void check_strs(const xbl_mpsd_session *s, const char *const *v, size_t n)
{
    size_t i;
    check_array(s, v, n, sizeof *v);
    for (i = 0; i < n; i++) check_str(s, v[i]);
}

static void check_member(const xbl_mpsd_session *s, const xbl_mpsd_session_member *m)
{
    size_t i;
    check_str(s, m->initial_team);
    check_str(s, m->custom_constants_json);
    check_str(s, m->secure_device_base_address64);
    check_str(s, m->custom_properties_json);
    check_str(s, m->matchmaking_result_server_measurements_json);
    check_str(s, m->server_measurements_json);
    check_str(s, m->qos_measurements_json);
    check_array(s, m->roles, m->roles_count, sizeof *m->roles);
    for (i = 0; i < m->roles_count; i++) {
        check_str(s, m->roles[i].role_type_name);
        check_str(s, m->roles[i].role_name);
    }
    check_array(s, m->members_in_group_ids, m->members_in_group_count, sizeof(uint32_t));
    check_strs(s, m->groups, m->groups_count);
    check_strs(s, m->encounters, m->encounters_count);
    FZ_CHECK(memchr(m->gamertag, 0, sizeof m->gamertag) != NULL);
    FZ_CHECK(memchr(m->device_token.value, 0, sizeof m->device_token.value) != NULL);
}

static void check_session(const xbl_mpsd_session *s)
{
    const xbl_mpsd_session_constants *c = xbl_mpsd_session_session_constants(s);
    const xbl_mpsd_session_properties *p = xbl_mpsd_session_session_properties(s);
    const xbl_mpsd_role_type *types;
    const xbl_mpsd_session_member *members;
    size_t nt, nm, i, j;
    FZ_CHECK(xbl_mpsd_session_has_document(s) && c != NULL && p != NULL);
    FZ_CHECK(s->arena.used <= s->arena.size);
    check_str(s, s->etag);
    check_str(s, s->raw_servers_json);
    check_str(s, c->custom_json);
    check_str(s, c->session_cloud_compute_package_constants_json);
    check_str(s, c->measurement_server_addresses_json);
    check_array(s, c->initiator_xuids, c->initiator_xuids_count, sizeof(uint64_t));
    FZ_CHECK(c->member_initialization == NULL || c->member_initialization == &s->member_initialization);
    check_strs(s, p->keywords, p->keyword_count);
    check_array(s, p->turn_collection, p->turn_collection_count, sizeof(uint32_t));
    check_str(s, p->matchmaking_target_session_constants_json);
    check_str(s, p->session_custom_properties_json);
    check_str(s, p->matchmaking_server_connection_string);
    check_strs(s, p->server_connection_string_candidates, p->server_connection_string_candidates_count);
    check_array(s, p->session_owner_member_ids, p->session_owner_member_ids_count, sizeof(uint32_t));
    FZ_CHECK(memchr(p->host_device_token.value, 0, sizeof p->host_device_token.value) != NULL);
    check_str(s, s->matchmaking_server.status_details);
    check_array(s, s->host_candidates, s->host_candidates_count, sizeof *s->host_candidates);
    FZ_CHECK(xbl_mpsd_session_role_types(s, &types, &nt) == XBL_MPSD_OK);
    check_array(s, types, nt, sizeof *types);
    for (i = 0; i < nt; i++) {
        check_str(s, types[i].name);
        check_array(s, types[i].roles, types[i].role_count, sizeof *types[i].roles);
        for (j = 0; j < types[i].role_count; j++) {
            FZ_CHECK(types[i].roles[j].role_type == &types[i]);
            check_str(s, types[i].roles[j].name);
            check_array(s, types[i].roles[j].member_xuids, types[i].roles[j].member_count, sizeof(uint64_t));
        }
    }
    FZ_CHECK(xbl_mpsd_session_members(s, &members, &nm) == XBL_MPSD_OK);
    FZ_CHECK(s->document_members_count == nm);
    check_array(s, members, nm, sizeof *members);
    for (i = 0; i < nm; i++) check_member(s, &members[i]);
    FZ_CHECK(strlen(s->subscription_id) == 36);
}

static void same_strs(const char *const *a, size_t na, const char *const *b, size_t nb)
{
    size_t i;
    FZ_CHECK(na == nb);
    for (i = 0; i < na; i++) FZ_CHECK(strcmp(a[i], b[i]) == 0);
}

static void same_opt(const char *a, const char *b)
{
    FZ_CHECK((a == NULL) == (b == NULL));
    if (a) FZ_CHECK(strcmp(a, b) == 0);
}

/* The copy reads the same as the original through the public getters. */
static void same_reading(const xbl_mpsd_session *a, const xbl_mpsd_session *b)
{
    const xbl_mpsd_session_member *ma, *mb;
    const xbl_mpsd_role_type *ta, *tb;
    size_t na, nb, i, j;
    FZ_CHECK(strcmp(xbl_mpsd_session_etag(a), xbl_mpsd_session_etag(b)) == 0);
    FZ_CHECK(strcmp(xbl_mpsd_session_raw_servers_json(a), xbl_mpsd_session_raw_servers_json(b)) == 0);
    FZ_CHECK(memcmp(xbl_mpsd_session_get_info(a), xbl_mpsd_session_get_info(b), sizeof(xbl_mpsd_session_info)) == 0);
    FZ_CHECK(strcmp(a->constants.custom_json, b->constants.custom_json) == 0);
    FZ_CHECK(strcmp(a->properties.session_custom_properties_json, b->properties.session_custom_properties_json) == 0);
    same_strs(a->properties.keywords, a->properties.keyword_count, b->properties.keywords, b->properties.keyword_count);
    FZ_CHECK(xbl_mpsd_session_members_accepted(a) == xbl_mpsd_session_members_accepted(b));
    FZ_CHECK(xbl_mpsd_session_subscribed_change_types(a) == xbl_mpsd_session_subscribed_change_types(b));
    FZ_CHECK((xbl_mpsd_session_current_user(a) == NULL) == (xbl_mpsd_session_current_user(b) == NULL));
    FZ_CHECK(xbl_mpsd_session_compare(a, b) == xbl_mpsd_session_compare(a, a));   /* duplicate XUIDs compare by first match */
    FZ_CHECK(xbl_mpsd_session_role_types(a, &ta, &na) == XBL_MPSD_OK);
    FZ_CHECK(xbl_mpsd_session_role_types(b, &tb, &nb) == XBL_MPSD_OK);
    FZ_CHECK(na == nb);
    for (i = 0; i < na; i++) {
        FZ_CHECK(strcmp(ta[i].name, tb[i].name) == 0 && ta[i].role_count == tb[i].role_count);
        for (j = 0; j < ta[i].role_count; j++) {
            FZ_CHECK(strcmp(ta[i].roles[j].name, tb[i].roles[j].name) == 0);
            FZ_CHECK(ta[i].roles[j].member_count == tb[i].roles[j].member_count);
        }
    }
    FZ_CHECK(xbl_mpsd_session_members(a, &ma, &na) == XBL_MPSD_OK);
    FZ_CHECK(xbl_mpsd_session_members(b, &mb, &nb) == XBL_MPSD_OK);
    FZ_CHECK(na == nb);
    for (i = 0; i < na; i++) {
        FZ_CHECK(ma[i].member_id == mb[i].member_id && ma[i].xuid == mb[i].xuid);
        FZ_CHECK(ma[i].status == mb[i].status && ma[i].is_current_user == mb[i].is_current_user);
        same_opt(ma[i].custom_constants_json, mb[i].custom_constants_json);
        same_opt(ma[i].custom_properties_json, mb[i].custom_properties_json);
        same_opt(ma[i].initial_team, mb[i].initial_team);
        FZ_CHECK(ma[i].roles_count == mb[i].roles_count);
        for (j = 0; j < ma[i].roles_count; j++)
            FZ_CHECK(strcmp(ma[i].roles[j].role_name, mb[i].roles[j].role_name) == 0);
        same_strs(ma[i].groups, ma[i].groups_count, mb[i].groups, mb[i].groups_count);
        FZ_CHECK(strcmp(ma[i].gamertag, mb[i].gamertag) == 0);
    }
}

static void check_body(const xbl_mpsd_session *s, char *out, size_t *len)
{
    size_t start, vlen;
    FZ_CHECK(xbl_mpsd__session_write_body(s, out, sizeof g_body1, len) == XBL_MPSD_OK);
    FZ_CHECK(xbl_mpsd__json_check(out, *len, &start, &vlen));
    FZ_CHECK(fz_jsmn_ok(out, *len, g_check_tok, 16384));
}

static xbl_mpsd_result load(xbl_mpsd_session *s, const char *body, size_t n, const xbl_mpsd__response_meta *meta,
        size_t scratch_size, size_t *needed)
{
    void *scratch = scratch_size ? malloc(scratch_size) : NULL;
    xbl_mpsd_result r = xbl_mpsd__session_load(s, body, n, meta, scratch, scratch_size, needed, NULL);
    free(scratch);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const etags[4] = { "", "\"e1\"", "W/\"0123456789abcdef\"", "x" };
    xbl_mpsd_session s, tight, copy;
    xbl_mpsd__response_meta meta;
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create("scid", "tmpl", "name");
    unsigned char *arena, *arena2, *arena3;
    char *body;
    size_t needed = 0, used, len1, len2;
    xbl_mpsd_result r;
    if (size < 1) return 0;
    memset(&meta, 0, sizeof meta);
    meta.xuid = fz_xuids[data[0] & 1];
    meta.etag = etags[(data[0] >> 1) & 3];
    meta.etag_len = strlen(meta.etag);
    meta.reference = &ref;
    meta.date = (time_t)1700000000;
    body = (char *)malloc(size - 1 ? size - 1 : 1);
    arena = (unsigned char *)malloc(FZ_ARENA);
    FZ_CHECK(body && arena);
    memcpy(body, data + 1, size - 1);

    FZ_CHECK(xbl_mpsd_session_init(&s, meta.xuid, NULL, NULL, arena, FZ_ARENA) == XBL_MPSD_OK);
    snap_take(&s);
    r = load(&s, body, size - 1, &meta, FZ_SCRATCH, &needed);
    if (r != XBL_MPSD_OK) {
        FZ_CHECK(r == XBL_MPSD_E_INVALID_JSON_STRING || r == XBL_MPSD_E_OUTOFMEMORY);
        if (r == XBL_MPSD_E_OUTOFMEMORY) FZ_CHECK(needed > FZ_SCRATCH || needed == 0);
        snap_same(&s);
        free(body);
        free(arena);
        return 0;
    }
    FZ_CHECK(needed > 0 && needed <= FZ_SCRATCH);
    check_session(&s);
    used = s.arena.used;

    /* exact measure: `used` bytes suffice, one less does not */
    arena2 = (unsigned char *)malloc(used ? used : 1);
    FZ_CHECK(arena2 != NULL);
    FZ_CHECK(xbl_mpsd_session_init(&tight, meta.xuid, NULL, NULL, arena2, used) == XBL_MPSD_OK);
    if (used > 0) {
        tight.arena.size = used - 1;
        snap_take(&tight);
        FZ_CHECK(load(&tight, body, size - 1, &meta, FZ_SCRATCH, &needed) == XBL_MPSD_E_OUTOFMEMORY);
        snap_same(&tight);
        tight.arena.size = used;
    }
    FZ_CHECK(load(&tight, body, size - 1, &meta, FZ_SCRATCH, &needed) == XBL_MPSD_OK);
    FZ_CHECK(tight.arena.used == used);
    /* one scratch byte short */
    snap_take(&tight);
    FZ_CHECK(load(&tight, body, size - 1, &meta, needed - 1, &needed) == XBL_MPSD_E_OUTOFMEMORY);
    snap_same(&tight);
    /* scratch for the walker state only (the two walks, where the roomy
       loads took one when they could): the same arena use and reading */
    FZ_CHECK(load(&tight, body, size - 1, &meta, needed, &needed) == XBL_MPSD_OK);
    FZ_CHECK(tight.arena.used == used);
    same_reading(&s, &tight);

    /* copy: a roomy arena first, then the measure of the copy is exact too
       (a copy lays its data out in its own order, so its size may differ
       from the loaded session's by padding and empty strings) */
    arena3 = (unsigned char *)malloc(FZ_ARENA);
    FZ_CHECK(arena3 != NULL);
    FZ_CHECK(xbl_mpsd_session_init(&copy, meta.xuid, NULL, NULL, arena3, FZ_ARENA) == XBL_MPSD_OK);
    FZ_CHECK(xbl_mpsd_session_copy(&copy, &s) == XBL_MPSD_OK);
    used = copy.arena.used;
    if (used > 0) {
        FZ_CHECK(xbl_mpsd_session_init(&copy, meta.xuid, NULL, NULL, arena3, used - 1) == XBL_MPSD_OK);
        snap_take(&copy);
        FZ_CHECK(xbl_mpsd_session_copy(&copy, &s) == XBL_MPSD_E_OUTOFMEMORY);
        snap_same(&copy);
    }
    FZ_CHECK(xbl_mpsd_session_init(&copy, meta.xuid, NULL, NULL, arena3, used) == XBL_MPSD_OK);
    FZ_CHECK(xbl_mpsd_session_copy(&copy, &s) == XBL_MPSD_OK);
    FZ_CHECK(copy.arena.used == used);
    check_session(&copy);
    same_reading(&s, &copy);
    check_body(&s, g_body1, &len1);
    check_body(&copy, g_body2, &len2);
    FZ_CHECK(len1 == len2 && memcmp(g_body1, g_body2, len1) == 0);

    free(arena3);
    free(arena2);
    free(body);
    free(arena);
    return 0;
}
