/* Differential test of the response reader: the header's one-pass reader
   against the reader it replaced (tests/reader_oracle.h, the code as it was
   before issue 15). Both read the same bodies with the same meta and the
   results must agree: the same result code, and on success the same session
   through every field a getter reads (dumped to text and compared).
   Bodies: the bench documents (tools/bench/gen_doc.py, 2/16/100/1000
   members), every file of tests/fuzz/corpus_reader/, and every body the
   reader unit tests load (tests/test_reader.c is compiled in with its loads
   routed through the comparison; its own assertions run too).

   Documented differences (counted, printed, never silent), only in bodies
   where some object holds a key twice (RFC 8259: names SHOULD be unique):
   - the one-pass reader checks every occurrence of a known key (the old one
     only the last), so it may refuse what the old one read;
   - a later occurrence overrides only what it gives: an object given twice
     reads as the two merged, where the old reader took the last one whole.
   Every other body must give the same code and the same session. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L   /* popen, opendir */
#endif
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "reader_oracle.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIFF_ARENA (4u << 20)
#define DIFF_SCRATCH (1u << 22)

typedef union diff_mem { unsigned char b[DIFF_ARENA]; uint64_t u; void *p; } diff_mem;
static diff_mem g_arena_old, g_arena_new;
static union { unsigned char b[DIFF_SCRATCH]; uint64_t u; void *p; } g_diff_scratch;
static jsmntok_t g_oracle_tok[1u << 18];
static char g_dump_old[1u << 22], g_dump_new[1u << 22];

static struct { unsigned compared, ok, failed, dup_keys, mismatches, one_walk, copies; } g_stats;

/* ------------------------------------------------------------ session dump */

typedef struct dump { char *b; size_t n, cap; } dump;

static void dp(dump *d, const char *fmt, ...)
{
    va_list ap;
    int k;
    va_start(ap, fmt);
    k = vsnprintf(d->b + d->n, d->cap - d->n, fmt, ap);
    va_end(ap);
    if (k > 0) d->n += (size_t)k < d->cap - d->n ? (size_t)k : d->cap - d->n - 1;
}

static void ds(dump *d, const char *name, const char *s)
{
    if (s == NULL) dp(d, "%s=NULL\n", name);
    else dp(d, "%s='%s'\n", name, s);
}

static void dstrs(dump *d, const char *name, const char *const *v, size_t n)
{
    size_t i;
    dp(d, "%s[%zu]:", name, n);
    for (i = 0; i < n; i++) dp(d, " '%s'", v[i]);
    dp(d, "\n");
}

static void du32s(dump *d, const char *name, const uint32_t *v, size_t n)
{
    size_t i;
    dp(d, "%s[%zu]:", name, n);
    for (i = 0; i < n; i++) dp(d, " %u", (unsigned)v[i]);
    dp(d, "\n");
}

static void du64s(dump *d, const char *name, const uint64_t *v, size_t n)
{
    size_t i;
    dp(d, "%s[%zu]:", name, n);
    for (i = 0; i < n && v; i++) dp(d, " %llu", (unsigned long long)v[i]);
    if (n && !v) dp(d, " (null array)");
    dp(d, "\n");
}

static void dump_member(dump *d, const xbl_mpsd_session_member *m)
{
    size_t j;
    dp(d, "member id=%u xuid=%llu status=%d turn=%d current=%d init=%d nat=%d title=%u episode=%u join=%lld fail=%d\n",
       (unsigned)m->member_id, (unsigned long long)m->xuid, (int)m->status, m->is_turn_available,
       m->is_current_user, m->initialize_requested, (int)m->nat, (unsigned)m->active_title_id,
       (unsigned)m->initialization_episode, (long long)m->join_time, (int)m->initialization_failure_cause);
    ds(d, " initial_team", m->initial_team);
    ds(d, " custom_constants", m->custom_constants_json);
    ds(d, " sda", m->secure_device_base_address64);
    ds(d, " custom_properties", m->custom_properties_json);
    ds(d, " gamertag", m->gamertag);
    ds(d, " mm_server_measurements", m->matchmaking_result_server_measurements_json);
    ds(d, " server_measurements", m->server_measurements_json);
    ds(d, " qos", m->qos_measurements_json);
    ds(d, " device_token", m->device_token.value);
    du32s(d, " group_ids", m->members_in_group_ids, m->members_in_group_count);
    dstrs(d, " groups", m->groups, m->groups_count);
    dstrs(d, " encounters", m->encounters, m->encounters_count);
    dp(d, " roles[%zu]:", m->roles_count);
    for (j = 0; j < m->roles_count; j++) dp(d, " '%s'='%s'", m->roles[j].role_type_name, m->roles[j].role_name);
    dp(d, "\n");
}

static void dump_constants(dump *d, const xbl_mpsd_session *s)
{
    const xbl_mpsd_session_constants *c = &s->constants;
    const xbl_mpsd_session_capabilities *k = &c->session_capabilities;
    dp(d, "constants max=%u vis=%d timeouts=%llu,%llu,%llu,%llu metrics=%d%d%d%d cmm=%d\n",
       (unsigned)c->max_members_in_session, (int)c->visibility,
       (unsigned long long)c->member_reserved_timeout, (unsigned long long)c->member_inactive_timeout,
       (unsigned long long)c->member_ready_timeout, (unsigned long long)c->session_empty_timeout,
       c->enable_metrics_latency, c->enable_metrics_bandwidth_down, c->enable_metrics_bandwidth_up,
       c->enable_metrics_custom, c->client_matchmaking_capable);
    du64s(d, " initiators", c->initiator_xuids, c->initiator_xuids_count);
    ds(d, " custom", c->custom_json);
    ds(d, " cloud", c->session_cloud_compute_package_constants_json);
    ds(d, " msa", c->measurement_server_addresses_json);
    if (c->member_initialization == NULL) dp(d, " member_init=NULL\n");
    else dp(d, " member_init=%s %llu,%llu,%llu ext=%d need=%u\n",
            c->member_initialization == &s->member_initialization ? "self" : "ELSEWHERE",
            (unsigned long long)c->member_initialization->join_timeout,
            (unsigned long long)c->member_initialization->measurement_timeout,
            (unsigned long long)c->member_initialization->evaluation_timeout,
            c->member_initialization->external_evaluation,
            (unsigned)c->member_initialization->members_needed_to_start);
    dp(d, " p2p=%llu,%llu p2h=%llu,%llu,%llu,%d\n",
       (unsigned long long)c->peer_to_peer_requirements.latency_maximum,
       (unsigned long long)c->peer_to_peer_requirements.bandwidth_minimum_in_kbps,
       (unsigned long long)c->peer_to_host_requirements.latency_maximum,
       (unsigned long long)c->peer_to_host_requirements.bandwidth_down_minimum_in_kbps,
       (unsigned long long)c->peer_to_host_requirements.bandwidth_up_minimum_in_kbps,
       (int)c->peer_to_host_requirements.host_selection_metric);
    dp(d, " caps=%d%d%d%d%d%d%d%d%d\n", k->connectivity, k->suppress_presence_activity_check, k->gameplay,
       k->large, k->connection_required_for_active_members, k->user_authorization_style, k->crossplay,
       k->searchable, k->has_owners);
}

static void dump_properties(dump *d, const xbl_mpsd_session_properties *p)
{
    dp(d, "properties join=%d read=%d closed=%d locked=%d cloud=%d resubmit=%d\n", (int)p->join_restriction,
       (int)p->read_restriction, p->closed, p->locked, p->allocate_cloud_compute, p->matchmaking_resubmit);
    dstrs(d, " keywords", p->keywords, p->keyword_count);
    du32s(d, " turn", p->turn_collection, p->turn_collection_count);
    ds(d, " mm_target", p->matchmaking_target_session_constants_json);
    ds(d, " custom", p->session_custom_properties_json);
    ds(d, " mm_conn", p->matchmaking_server_connection_string);
    dstrs(d, " candidates", p->server_connection_string_candidates, p->server_connection_string_candidates_count);
    du32s(d, " owners", p->session_owner_member_ids, p->session_owner_member_ids_count);
    ds(d, " host", p->host_device_token.value);
}

static void dump_roles(dump *d, const xbl_mpsd_session *s)
{
    size_t i, j;
    for (i = 0; i < s->role_types_count; i++) {
        const xbl_mpsd_role_type *t = &s->role_types[i];
        dp(d, "role_type '%s' owner=%d mutable=%u roles=%zu\n", t->name, t->owner_managed,
           (unsigned)t->mutable_role_settings, t->role_count);
        for (j = 0; j < t->role_count; j++) {
            const xbl_mpsd_role *r = &t->roles[j];
            dp(d, " role '%s' back=%d count=%u target=%u max=%u\n", r->name, r->role_type == t,
               (unsigned)r->member_count, (unsigned)r->target_count, (unsigned)r->max_member_count);
            du64s(d, "  xuids", r->member_xuids, r->member_xuids ? r->member_count : 0);
        }
    }
}

/* Every field of the session a getter can read, as text. */
static const char *dump_session(char *buf, size_t cap, const xbl_mpsd_session *s)
{
    dump d;
    const xbl_mpsd_session_info *in = &s->info;
    const xbl_mpsd_matchmaking_server *ms = &s->matchmaking_server;
    size_t i;
    d.b = buf; d.n = 0; d.cap = cap; buf[0] = '\0';
    dp(&d, "state=%u dirty=%u me_dirty=%u counter=%u xuid=%llu ws=%d tos=%lld\n", (unsigned)s->state,
       (unsigned)s->dirty, (unsigned)s->me_dirty, (unsigned)s->random_counter, (unsigned long long)s->xuid,
       (int)s->write_status, (long long)s->time_of_session);
    ds(&d, "etag", s->etag);
    dp(&d, "ref '%s' '%s' '%s'\n", s->reference.scid, s->reference.session_template_name, s->reference.session_name);
    dp(&d, "info cv=%u branch='%s' cn=%llu corr='%s' start=%lld next=%lld search='%s'\n",
       (unsigned)in->contract_version, in->branch, (unsigned long long)in->change_number, in->correlation_id,
       (long long)in->start_time, (long long)in->next_timer, in->search_handle_id);
    dp(&d, "init stage=%d start=%lld episode=%u ok=%d\n", (int)s->initialization.stage,
       (long long)s->initialization.stage_start_time, (unsigned)s->initialization.episode,
       s->initialization_succeeded);
    dump_constants(&d, s);
    dump_properties(&d, &s->properties);
    dp(&d, "mm_server has=%d status=%d wait=%u ref '%s' '%s' '%s'\n", s->has_matchmaking_server, (int)ms->status,
       (unsigned)ms->typical_wait_in_seconds, ms->target_session_ref.scid,
       ms->target_session_ref.session_template_name, ms->target_session_ref.session_name);
    ds(&d, " details", ms->status_details);
    dp(&d, "host_candidates[%zu]:", s->host_candidates_count);
    for (i = 0; i < s->host_candidates_count; i++) dp(&d, " '%s'", s->host_candidates[i].value);
    dp(&d, "\n");
    dump_roles(&d, s);
    ds(&d, "servers", s->raw_servers_json);
    dp(&d, "accepted=%u members=%zu doc_members=%zu joined=%zu sub=%u sub_id_len=%zu\n", (unsigned)s->members_accepted,
       s->members_count, s->document_members_count, s->joined_index, (unsigned)s->subscription_change_types,
       strlen(s->subscription_id));   /* the id itself is random (session address, counter) */
    for (i = 0; i < s->members_count; i++) dump_member(&d, &s->members[i]);
    return buf;
}

/* ------------------------------------------------------------ comparison */

/* Whether any object of the (well-formed) text holds a key twice. */
static bool has_duplicate_key(const char *js, size_t n)
{
    jsmn_parser p;
    int count, i;
    jsmn_init(&p);
    count = jsmn_parse(&p, js, n, g_oracle_tok, (unsigned)(sizeof g_oracle_tok / sizeof g_oracle_tok[0]));
    for (i = 0; i < count; i++) {
        int a, b;
        if (g_oracle_tok[i].type != JSMN_STRING || g_oracle_tok[i].size != 1) continue;
        for (a = i, b = i + 1; b < count && g_oracle_tok[b].start < g_oracle_tok[g_oracle_tok[a].parent].end; b++) {
            const jsmntok_t *x = &g_oracle_tok[a], *y = &g_oracle_tok[b];
            if (y->parent == x->parent && y->type == JSMN_STRING && y->size == 1 && y->end - y->start == x->end - x->start
                    && memcmp(js + x->start, js + y->start, (size_t)(x->end - x->start)) == 0) return true;
        }
    }
    return false;
}

static const char *g_label = "";

/* Whether the last roomy load took the one walk: it poisons the scratch
   block it read into (builds without NDEBUG), which starts past the walker
   state where out's arena base falls modulo the alignment. */
static bool took_one_walk(const xbl_mpsd_session *b)
{
    size_t at = sizeof(xbl_mpsd__rd);
    while (((uintptr_t)(g_diff_scratch.b + at) - (uintptr_t)b->arena.base) & (XBL_MPSD__ALIGN - 1)) at++;
    return g_diff_scratch.b[at] == 0xDB && g_diff_scratch.b[at + 1] == 0xDB;
}

/* A copy of s (read into from, dumped in g_dump_old) must hold every
   field on its own: with from scribbled over, the copy still dumps alike.
   The copy and the one walk's move go by one list of the session's arena
   pointers (xbl_mpsd__session_pointers); this is the copy's half. */
static void compare_copy(const xbl_mpsd_session *s, unsigned char *from)
{
    static diff_mem arena_copy;
    xbl_mpsd_session d;
    memset(&d, 0, sizeof d);
    xbl_mpsd__session_reset(&d, arena_copy.b, sizeof arena_copy.b);
    if (xbl_mpsd_session_copy(&d, s) != XBL_MPSD_OK) {
        g_stats.mismatches++;
        fprintf(stderr, "COPY (%s): copy failed\n", g_label);
        return;
    }
    memset(from, 0xDB, s->arena.used);
    g_stats.copies++;
    dump_session(g_dump_new, sizeof g_dump_new, &d);
    if (strcmp(g_dump_old, g_dump_new) != 0) {
        g_stats.mismatches++;
        fprintf(stderr, "COPY (%s): the copy differs from its source\n", g_label);
    }
}

/* The new reader's two ways must agree: b was read with room to spare in
   the scratch (the one walk when the document allows it); read again with
   scratch for the walker state only (always the two walks), the result
   and every field must be the same. */
static void compare_walks(const char *body, size_t n, const xbl_mpsd__response_meta *meta,
        const xbl_mpsd_session *b, xbl_mpsd_result rb, size_t arena_size, uint32_t counter)
{
    static diff_mem arena_two;
    xbl_mpsd_session c;
    size_t need = 0;
    xbl_mpsd_result rc;
    memset(&c, 0, sizeof c);
    xbl_mpsd__session_reset(&c, arena_two.b, arena_size);
    c.random_counter = counter;
    rc = xbl_mpsd__session_load(&c, body, n, meta, g_diff_scratch.b, sizeof(xbl_mpsd__rd), &need, NULL);
    if (rc != rb) {
        g_stats.mismatches++;
        fprintf(stderr, "ONE/TWO WALKS (%s): roomy %d, tight %d\n", g_label, (int)rb, (int)rc);
        return;
    }
    if (rc != XBL_MPSD_OK) return;
    dump_session(g_dump_old, sizeof g_dump_old, b);
    dump_session(g_dump_new, sizeof g_dump_new, &c);
    if (b->arena.used != c.arena.used || strcmp(g_dump_old, g_dump_new) != 0) {
        g_stats.mismatches++;
        fprintf(stderr, "ONE/TWO WALKS (%s): sessions differ\n", g_label);
    }
    compare_copy(&c, arena_two.b);
}

/* Loads body with both readers into sessions that start alike (same arena
   size, same random counter) and compares. */
static void compare_body(const char *body, size_t n, const xbl_mpsd__response_meta *meta,
        const xbl_mpsd_session *like, size_t arena_size)
{
    xbl_mpsd_session a, b;
    size_t need_a = 0, need_b = 0;
    xbl_mpsd_result ra, rb;
    bool dup;
    if (arena_size > DIFF_ARENA) arena_size = DIFF_ARENA;
    memset(&a, 0, sizeof a);
    xbl_mpsd__session_reset(&a, g_arena_old.b, arena_size);
    a.random_counter = like ? like->random_counter : 0;
    b = a;
    b.arena.base = g_arena_new.b;
    ra = xbl_mpsd_oracle__session_load(&a, body, n, meta, g_oracle_tok,
            sizeof g_oracle_tok / sizeof g_oracle_tok[0], &need_a);
    memset(g_diff_scratch.b, 0, sizeof g_diff_scratch.b);
    rb = xbl_mpsd__session_load(&b, body, n, meta, g_diff_scratch.b, sizeof g_diff_scratch.b, &need_b, NULL);
    if (rb == XBL_MPSD_OK && took_one_walk(&b)) g_stats.one_walk++;
    compare_walks(body, n, meta, &b, rb, arena_size, like ? like->random_counter : 0);
    g_stats.compared++;
    if (ra == XBL_MPSD_OK) g_stats.ok++; else g_stats.failed++;
    if (ra == rb && ra != XBL_MPSD_OK) return;
    if (ra == XBL_MPSD_OK && rb == XBL_MPSD_OK && strstr(g_label, "gen_doc"))
        printf("%s: arena bytes old %zu new %zu\n", g_label, a.arena.used, b.arena.used);
    if (ra == rb) {
        dump_session(g_dump_old, sizeof g_dump_old, &a);
        dump_session(g_dump_new, sizeof g_dump_new, &b);
        if (strcmp(g_dump_old, g_dump_new) == 0) return;
    }
    dup = ((ra == XBL_MPSD_OK && rb == XBL_MPSD_E_INVALID_JSON_STRING) || (ra == rb && ra == XBL_MPSD_OK))
        && has_duplicate_key(body, n);
    if (dup) {
        g_stats.dup_keys++;
        printf("duplicate key, documented difference (%s, old %d new %d)\n", g_label, (int)ra, (int)rb);
        return;
    }
    g_stats.mismatches++;
    fprintf(stderr, "MISMATCH (%s): old %d new %d, body %zu bytes: %.*s\n", g_label, (int)ra, (int)rb, n,
            (int)(n > 600 ? 600 : n), body);
    if (ra == rb && getenv("DIFF_DUMP")) {   /* DIFF_DUMP=prefix: both dumps of the last mismatch */
        char name[256];
        FILE *f;
        snprintf(name, sizeof name, "%s.old", getenv("DIFF_DUMP"));
        if ((f = fopen(name, "w")) != NULL) { fputs(g_dump_old, f); fclose(f); }
        snprintf(name, sizeof name, "%s.new", getenv("DIFF_DUMP"));
        if ((f = fopen(name, "w")) != NULL) { fputs(g_dump_new, f); fclose(f); }
    }
    if (ra == rb) {
        size_t i = 0;
        while (g_dump_old[i] && g_dump_old[i] == g_dump_new[i]) i++;
        while (i > 0 && g_dump_old[i - 1] != '\n') i--;
        fprintf(stderr, "  old: %.*s\n  new: %.*s\n", (int)strcspn(g_dump_old + i, "\n"), g_dump_old + i,
                (int)strcspn(g_dump_new + i, "\n"), g_dump_new + i);
    }
}

/* The unit tests' loads go through here: compared, then the new reader
   answers the test with its own arguments. */
static xbl_mpsd_result diff_load(xbl_mpsd_session *out, const char *body, size_t body_len,
        const xbl_mpsd__response_meta *meta, void *scratch, size_t scratch_size, size_t *scratch_needed, size_t *arena_needed)
{
    if (out != NULL && meta != NULL && (body != NULL || body_len == 0)) {
        g_label = "test_reader.c";
        compare_body(body, body_len, meta, out, DIFF_ARENA);   /* the arena tests size it for the new reader */
    }
    return xbl_mpsd__session_load(out, body, body_len, meta, scratch, scratch_size, scratch_needed, arena_needed);
}

#define xbl_mpsd__session_load diff_load
#define main reader_unit_tests
#include "test_reader.c"
#undef main
#undef xbl_mpsd__session_load

/* ------------------------------------------------------------ bodies */

static char g_body[1u << 21];

static size_t read_all(FILE *f)
{
    size_t n = fread(g_body, 1, sizeof g_body, f);
    return n;
}

static void compare_both_users(const char *body, size_t n)
{
    static const uint64_t xuids[2] = { UINT64_C(2814600000000001), UINT64_C(1234) };
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create("scid", "tmpl", "name");
    xbl_mpsd__response_meta meta;
    unsigned k;
    for (k = 0; k < 2; k++) {
        memset(&meta, 0, sizeof meta);
        meta.xuid = xuids[k];
        meta.etag = k ? "\"e1\"" : "";
        meta.etag_len = strlen(meta.etag);
        meta.reference = &ref;
        meta.date = (time_t)1700000000;
        compare_body(body, n, &meta, NULL, DIFF_ARENA);
    }
}

static void bench_documents(void)
{
    static const int sizes[4] = { 2, 16, 100, 1000 };
    char cmd[128];
    unsigned k;
    for (k = 0; k < 4; k++) {
        FILE *f;
        size_t n;
        snprintf(cmd, sizeof cmd, "python3 tools/bench/gen_doc.py %d", sizes[k]);
        f = popen(cmd, "r");
        assert_non_null(f);
        n = read_all(f);
        assert_int_equal(pclose(f), 0);
        assert_true(n > 1000 && n < sizeof g_body);
        g_label = cmd;
        compare_both_users(g_body, n);
    }
}

/* The fuzz corpus: each file is [meta byte][body]; meta bit 0 picks the
   XUID as tests/fuzz/fuzz_reader.c does. Both users are compared anyway. */
static void fuzz_corpus(void)
{
    const char *dir = "tests/fuzz/corpus_reader";
    DIR *d = opendir(dir);
    struct dirent *e;
    unsigned files = 0;
    char path[512];
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        FILE *f;
        size_t n;
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        f = fopen(path, "rb");
        assert_non_null(f);
        n = read_all(f);
        fclose(f);
        files++;
        g_label = path;
        if (n >= 1) compare_both_users(g_body + 1, n - 1);
    }
    closedir(d);
    assert_true(files > 100);
}


/* ------------------------------------------------------------ edge bodies */

/* Bodies aimed at the one-pass reader's own paths (escaped keys, the
   members chain out of document order, depth, nulls, wrong types, cut and
   overlong strings, malformed text in every construct it parses itself).
   ' stands for ". Each is compared with the oracle and its result is
   asserted too. */
#define MIN_C "'constants':{'system':{}}"
#define MIN_P "'properties':{'system':{}}"
#define MIN MIN_C "," MIN_P
#define M(i, next, extra) "'" #i "':{'next':" #next ",'constants':{'system':{'xuid':'1" #i "'}},'properties':{'system':{}}" extra "}"
static const struct { const char *body; xbl_mpsd_result want; } g_edges[] = {
    { "{" MIN "}", XBL_MPSD_OK },
    { " {" MIN "} ", XBL_MPSD_OK },
    { "{" MIN "} x", XBL_MPSD_E_INVALID_JSON_STRING },
    { "[1]", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN " 'x':1}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'x' 1}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'x':}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",x:1}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'x':[1,2,{'a':[true,false,null,-1.5e3,'s\\u00e9']}]}", XBL_MPSD_OK },
    { "{" MIN ",'x':[1 2]}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{'con\\u0073tants':{'system':{'maxMembersCount':5}}," MIN_P "}", XBL_MPSD_OK },
    { "{'\\u0063onstantsXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX':1," MIN "}", XBL_MPSD_OK },
    { "{'a\\u0000':1," MIN "}", XBL_MPSD_OK },
    { MIN_C "}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN_C "}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{'constants':null," MIN_P "}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'branch':'0123456789012345678901234567890123456789'}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'branch':'012345678901234567890123456789012345678'}", XBL_MPSD_OK },
    { "{" MIN ",'branch':'\\u0041\\u0042'}", XBL_MPSD_OK },
    { "{" MIN ",'branch':'a\\u0000b'}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'branch':null,'contractVersion':7}", XBL_MPSD_OK },
    { "{" MIN ",'contractVersion':null}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'contractVersion':-1}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'contractVersion':4294967296}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'contractVersion':1.0}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'contractVersion':'1'}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'contractVersion':01}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'changeNumber':18446744073709551615}", XBL_MPSD_OK },
    { "{" MIN ",'startTime':'2024-03-01T10:00:00Z'}", XBL_MPSD_OK },
    { "{" MIN ",'startTime':'2024-03-01T10:00:00\\u005a'}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'startTime':null}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'initializing':{'stage':'MEASURING','episode':2}}", XBL_MPSD_OK },
    { "{" MIN ",'initializing':{'stage':'somethingelsethatisverylongindeed!!'}}", XBL_MPSD_OK },
    { "{" MIN ",'initializing':{'stage':7}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'initializing':{'stage':'a\\u0000'}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'initializing':null}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'hostCandidates':['ab','c\\u0064']}", XBL_MPSD_OK },
    { "{" MIN ",'hostCandidates':[]}", XBL_MPSD_OK },
    { "{" MIN ",'hostCandidates':['0123456789012345678901234567890123456789']}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'hostCandidates':[1]}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'hostCandidates':['a',]}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'hostCandidates':null}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{'constants':{'system':{'initiators':['1','2'],'reservedRemovalTimeout':null,'metrics':{'latency':true},"
      "'memberInitialization':null,'peerToPeerRequirements':{'latencyMaximum':5},'peerToHostRequirements':null,"
      "'capabilities':{'large':false,'crossPlay':true},'measurementServerAddresses':null},'custom':'x'}," MIN_P "}",
      XBL_MPSD_OK },
    { "{'constants':{'system':{'initiators':['x']}}," MIN_P "}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{'constants':{'system':{'initiators':[1]}}," MIN_P "}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{'constants':{'system':{'initiators':['123456789012345678901234567890']}}," MIN_P "}",
      XBL_MPSD_E_INVALID_JSON_STRING },
    { "{'constants':{'system':{'metrics':{'latency':1}}}," MIN_P "}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{'constants':{'system':{'measurementServerAddresses':[]}}," MIN_P "}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN_C ",'properties':{'system':{'keywords':['a','b\\n'],'turn':[1,2],'owners':[],"
      "'matchmaking':{'serverConnectionString':null,'targetSessionConstants':{}},'host':null}}}", XBL_MPSD_OK },
    { "{" MIN_C ",'properties':{'system':{'keywords':[1]}}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN_C ",'properties':{'system':{'turn':['1']}}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN_C ",'properties':{'system':{'turn':[1,]}}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN_C ",'properties':{'system':{'keywords':null}}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN_C ",'properties':{'system':{'matchmaking':{'serverConnectionString':5}}}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'roleTypes':{'t':{'ownerManaged':true,'mutableRoleSettings':['max','x'],'roles':{"
      "'r':{'count':1,'target':2,'max':3,'memberXuids':['5']},'s':{}}}}}", XBL_MPSD_OK },
    { "{" MIN ",'roleTypes':{}}", XBL_MPSD_OK },
    { "{" MIN ",'roleTypes':{'t':{'roles':{}}}}", XBL_MPSD_OK },
    { "{" MIN ",'roleTypes':{'t':1}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'roleTypes':{'t':{'roles':{'r':1}}}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'roleTypes':{'t':{'roles':{'r':{'count':1}}}}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'roleTypes':{'t':{'roles':{'r':{'count':2,'memberXuids':['5']}}}}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'roleTypes':{'t':{'mutableRoleSettings':[1]}}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'roleTypes':{'t':{'roles':{'r':{'memberXuids':null}}}}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'roleTypes':null}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'servers':{'matchmaking':{'properties':{'system':{'status':'found','statusDetails':'d',"
      "'typicalWait':3,'targetSessionRef':{'scid':'s','templateName':'t','name':'n'}}}}}}", XBL_MPSD_OK },
    { "{" MIN ",'servers':{'matchmaking':null,'other':[1]}}", XBL_MPSD_OK },
    { "{" MIN ",'servers':{'matchmaking':{'properties':{'system':{'targetSessionRef':{'name':5}}}}}}",
      XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'servers':[]}", XBL_MPSD_E_INVALID_JSON_STRING },
    /* members: in chain order, out of order, duplicates, loops, orphans */
    { "{" MIN ",'membersInfo':{'first':0,'next':2,'accepted':2},'members':{" M(0, 1, "") "," M(1, 2, "") "}}", XBL_MPSD_OK },
    { "{" MIN ",'members':{" M(0, 1, "") "," M(1, 2, "") "},'membersInfo':{'first':0,'next':2}}", XBL_MPSD_OK },
    { "{" MIN ",'membersInfo':{'first':0,'next':2},'members':{" M(1, 2, "") "," M(0, 1, "") "}}", XBL_MPSD_OK },
    { "{" MIN ",'membersInfo':{'first':3,'next':1},'members':{" M(3, 0, "") "," M(0, 1, "") "}}", XBL_MPSD_OK },
    { "{" MIN ",'membersInfo':{'first':0,'next':1},'members':{" M(0, 1, "") "," M(0, 1, ",'gamertag':'dup'") "}}", XBL_MPSD_OK },
    { "{" MIN ",'membersInfo':{'first':0,'next':1},'members':{" M(0, 1, "") ",'7':{'bad':1},'me':5,'x':[]}}", XBL_MPSD_OK },
    { "{" MIN ",'membersInfo':{'first':0,'next':2},'members':{" M(0, 1, "") "," M(1, 0, "") "}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'membersInfo':{'first':0,'next':2},'members':{" M(0, 1, "") "}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'membersInfo':{'first':0,'next':2},'members':{" M(0, 1, "") ",'1':5}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'membersInfo':{'first':0,'next':1},'members':{'0':{'next':'1'," MIN "}}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'membersInfo':{'first':0,'next':1},'members':{'0':{'next':1," MIN_C "}}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'membersInfo':{'first':0,'next':1},'members':{'\\u0030':{'next':1," MIN "}}}", XBL_MPSD_OK },
    { "{" MIN ",'membersInfo':{'first':0,'next':0},'members':{}}", XBL_MPSD_OK },
    { "{" MIN ",'membersInfo':{'first':0,'next':1}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'membersInfo':{'first':0}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'membersInfo':{'first':'0','next':0}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'membersInfo':null}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'members':null}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'members':{'0':{}},'members':{}}", XBL_MPSD_OK },
    { "{" MIN ",'members':{'0':{} '1':{}}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'members':{'0':{},}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'members':{'0' {}}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'membersInfo':{'first':4,'next':5},'members':{'me':{'next':5,"
      "'constants':{'system':{'xuid':'2814600000000001'},'custom':{'matchmakingResult':{'initialTeam':'red'}}},"
      "'properties':{'system':{'active':true,'subscription':{'changeTypes':['host','everything']}}},"
      "'roles':{'t':'r'}}}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{'constants':{'system':{'capabilities':{'large':true}}}," MIN_P ",'membersInfo':{'first':4,'next':5},"
      "'members':{'me':{'next':5,'constants':{'system':{'xuid':'2814600000000001'},"
      "'custom':{'matchmakingResult':{'initialTeam':'red'},'matchmakingResult':{'initialTeam':5}}},"
      "'properties':{'system':{'active':true,'ready':false,'subscription':{'changeTypes':['host','everything']}}},"
      "'roles':{'t':'r','u':'s'}}}}", XBL_MPSD_OK },
    { "{'constants':{'system':{'capabilities':{'large':true}}}," MIN_P ",'membersInfo':{'first':4,'next':5},'members':{}}",
      XBL_MPSD_OK },
    { "{'constants':{'system':{'capabilities':{'large':true}}}," MIN_P ",'membersInfo':{'first':4,'next':5},'members':{'me':1}}",
      XBL_MPSD_E_INVALID_JSON_STRING },
    { "{'constants':{'system':{'capabilities':{'large':true}}}," MIN_P ",'membersInfo':{'first':4,'next':5},'members':{'me':{}}}",
      XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'membersInfo':{'first':0,'next':1},'members':{" M(0, 1, ",'roles':{'t':1}") "}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'membersInfo':{'first':0,'next':1},'members':{" M(0, 1, ",'roles':{'t':'r',}") "}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'membersInfo':{'first':0,'next':1},'members':{" M(0, 1, ",'roles':{'t':'r' 'u':'s'}") "}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'membersInfo':{'first':0,'next':1},'members':{" M(0, 1, ",'roles':null,'gamertag':'\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9x'") "}}", XBL_MPSD_OK },
    { "{" MIN ",'membersInfo':{'first':0,'next':1},'members':{" M(0, 1, ",'gamertag':'\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9x'") "}}", XBL_MPSD_OK },
    { "{" MIN ",'membersInfo':{'first':0,'next':1},'members':{" M(0, 1, ",'activeTitleId':'4294967296'") "}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'membersInfo':{'first':0,'next':1},'members':{" M(0, 1, ",'activeTitleId':'12','nat':'Strict','initializationFailure':'group'") "}}", XBL_MPSD_OK },
    { "{" MIN ",'membersInfo':{'first':0,'next':1},'members':{" M(0, 1, ",'reserved':1") "}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'membersInfo':{'first':0,'next':1},'members':{'0':{'next':1,'constants':{'system':{},'custom':null},"
      "'properties':{'system':{'subscription':{'changeTypes':5}}}}}}", XBL_MPSD_E_INVALID_JSON_STRING },
    { "{" MIN ",'membersInfo':{'first':0,'next':1},'members':{'0':{'next':1,'constants':{'system':{},'custom':[1]},"
      "'properties':{'system':{'groups':['g'],'initializationGroup':[1],'reserved':true},'custom':{'k':1}}}}}", XBL_MPSD_OK },
    /* nesting: known objects, arrays and skipped values all count */
    { "{" MIN ",'x':[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", XBL_MPSD_OK },
    { "{" MIN ",'x':[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", XBL_MPSD_E_INVALID_JSON_STRING },
};

static void test_edge_bodies(void **state)
{
    static char buf[4096];
    size_t k;
    (void)state;
    for (k = 0; k < sizeof g_edges / sizeof g_edges[0]; k++) {
        xbl_mpsd_session s;
        size_t need = 0;
        unsigned mism = g_stats.mismatches;
        xbl_mpsd__response_meta m;
        xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create("scid", "tmpl", "name");
        size_t i;
        for (i = 0; g_edges[k].body[i]; i++) buf[i] = g_edges[k].body[i] == '\'' ? '"' : g_edges[k].body[i];
        buf[i] = '\0';
        g_label = buf;
        compare_both_users(buf, i);
        memset(&m, 0, sizeof m);
        m.xuid = UINT64_C(2814600000000001);
        m.reference = &ref;
        memset(&s, 0, sizeof s);
        xbl_mpsd__session_reset(&s, g_arena_new.b, DIFF_ARENA);
        if (xbl_mpsd__session_load(&s, buf, i, &m, g_diff_scratch.b, sizeof g_diff_scratch.b, &need, NULL) != g_edges[k].want)
            fprintf(stderr, "edge body #%zu: want %d: %s\n", k, (int)g_edges[k].want, buf);
        assert_int_equal(xbl_mpsd__session_load(&s, buf, i, &m, g_diff_scratch.b, sizeof g_diff_scratch.b, &need, NULL),
                         g_edges[k].want);
        assert_int_equal(g_stats.mismatches, mism);
    }
}

/* DOC_FULL with its members first and in chain order, the rest after
   them: the plain shape the one walk reads, with arrays and strings on
   both sides of the members. */
static size_t plain_full_doc(char *buf)
{
    const char *m = strstr(DOC_FULL_3, "'3': {"), *m0 = strstr(DOC_FULL_3, "'0': {");
    const char *close = strstr(DOC_FULL_3, " 'membersInfo'");
    const char *m3_end = m0, *m0_end = close;
    while (*--m3_end != ',') {}
    while (*--m0_end != '}') {}
    while (*--m0_end != '}') {}
    buf[0] = '\0';
    strcat(buf, "{ 'members': { ");
    strncat(buf, m0, (size_t)(m0_end + 1 - m0));
    strcat(buf, ", ");
    strncat(buf, m, (size_t)(m3_end - m));
    strcat(buf, " },");
    strcat(buf, DOC_FULL_1 + 1);
    strcat(buf, DOC_FULL_2);
    strcat(buf, close);
    q_into(buf, buf);
    return strlen(buf);
}

/* The one walk, at every alignment of out's arena: it is taken for plain
   documents (members in chain order; DOC_FULL's are not), lays the arena
   out byte for byte as the two walks do (same use, same fields), and with
   one byte too few leaves out as it was and reports the size it then
   fills. */
static void test_one_walk_layout(void **state)
{
    static diff_mem two, before;
    static char doc[1u << 16];
    xbl_mpsd__response_meta m;
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create("scid", "tmpl", "name");
    size_t docs[3], k, off;
    (void)state;
    memset(&m, 0, sizeof m);
    m.xuid = XUID1;
    m.reference = &ref;
    docs[0] = strlen(q_into(doc, DOC_FULL));
    docs[1] = plain_full_doc(doc + docs[0] + 1);
    docs[2] = strlen(q_into(doc + docs[0] + docs[1] + 2, DOC_MPSD_EXAMPLE));
    for (k = 0, off = 0; k < 3; off += docs[k] + 1, k++) {
        const char *body = doc + off;
        size_t a;
        for (a = 0; a < XBL_MPSD__ALIGN; a++) {
            xbl_mpsd_session one, tight;
            size_t need = 0, arena_need = 0, used;
            memset(&one, 0, sizeof one);
            memset(&tight, 0, sizeof tight);
            memset(g_diff_scratch.b, 0, sizeof g_diff_scratch.b);
            xbl_mpsd__session_reset(&one, g_arena_new.b + a, DIFF_ARENA - a);
            assert_int_equal(xbl_mpsd__session_load(&one, body, docs[k], &m, g_diff_scratch.b,
                    sizeof g_diff_scratch.b, &need, NULL), XBL_MPSD_OK);
            assert_true(took_one_walk(&one) == (k != 0));
            xbl_mpsd__session_reset(&tight, two.b + a, DIFF_ARENA - a);
            assert_int_equal(xbl_mpsd__session_load(&tight, body, docs[k], &m, g_diff_scratch.b,
                    sizeof(xbl_mpsd__rd), &need, NULL), XBL_MPSD_OK);
            used = one.arena.used;
            assert_int_equal(used, tight.arena.used);
            dump_session(g_dump_old, sizeof g_dump_old, &one);
            dump_session(g_dump_new, sizeof g_dump_new, &tight);
            assert_string_equal(g_dump_old, g_dump_new);
            if (k == 1) assert_string_equal(xbl_mpsd_session_get_member(&one, 0)->gamertag, "PlayerOne");

            memset(&one, 0, sizeof one);
            memset(g_arena_new.b, 0xA5, used + 64);
            xbl_mpsd__session_reset(&one, g_arena_new.b + a, used - 1);
            memcpy(before.b, &one, sizeof one);
            assert_int_equal(xbl_mpsd__session_load(&one, body, docs[k], &m, g_diff_scratch.b,
                    sizeof g_diff_scratch.b, &need, &arena_need), XBL_MPSD_E_OUTOFMEMORY);
            assert_int_equal(arena_need, used);
            assert_memory_equal(before.b, &one, sizeof one);
            for (need = 0; need < used + 64; need++) assert_int_equal(g_arena_new.b[need], 0xA5);
        }
    }
}

static void test_differential(void **state)
{
    (void)state;
    bench_documents();
    fuzz_corpus();
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_differential), cmocka_unit_test(test_edge_bodies),
                                         cmocka_unit_test(test_one_walk_layout) };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    failed += reader_unit_tests();
    printf("reader diff: %u bodies compared (%u read, %u of them in one walk, %u copied; %u refused by both), "
           "%u duplicate-key differences, %u mismatches\n",
           g_stats.compared, g_stats.ok, g_stats.one_walk, g_stats.copies, g_stats.failed, g_stats.dup_keys,
           g_stats.mismatches);
    return failed || g_stats.mismatches ? 1 : 0;
}
