/* Arena and async-buffer torture (issue 7): for representative sessions -
   a fresh local session with a few setters applied, a 2-member service
   document, a larger document with many members and custom properties -
   every arena size from 0 to the size an operation needs, for loading a
   document (through the real get/result calls), copying a session and each
   setter that allocates; and every async buffer size from 0 to the size a
   write needs. Each short size must fail with XBL_MPSD_E_OUTOFMEMORY and
   leave the session byte-identical (struct and used arena bytes: the
   contract of the header's chapter 4), and the needed size must succeed.
   Arenas and buffers are heap blocks of exactly the size under test, so
   the sanitizer and valgrind builds catch any access past them. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "mock_port.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#define XUID_ME   UINT64_C(2814600000000001)
#define XUID_ME_S "2814600000000001"
#define SCID      "00000000-0000-0000-0000-00007a3b5c4d"
#define BIG       (1u << 18)

/* ------------------------------------------------------------ documents */

/* Two members (the current user first), roles, servers with matchmaking,
   initialization, host candidates, custom properties everywhere. */
static const char DOC2[] =
    "{\"contractVersion\":107,\"branch\":\"9759b28a-d89b-4e74-a219-5787c2290cd6\",\"changeNumber\":3,"
    "\"correlationId\":\"388b7c5c-bcba-497e-8370-3b6517ef458c\",\"startTime\":\"2026-11-21T12:28:19.665Z\","
    "\"nextTimer\":\"2026-11-21T12:30:00.000Z\",\"searchHandle\":\"b1d0e0c4-0000-4000-8000-000000000001\","
    "\"initializing\":{\"stage\":\"measuring\",\"stageStartTime\":\"2026-11-21T12:28:20.000Z\",\"episode\":1},"
    "\"hostCandidates\":[\"fbbcdb6cecaef32f\",\"0123456789abcdef\"],"
    "\"roleTypes\":{\"lfg\":{\"ownerManaged\":false,\"mutableRoleSettings\":[\"max\",\"target\"],\"roles\":{"
    "\"confirmed\":{\"count\":1,\"target\":4,\"max\":8,\"memberXuids\":[\"" XUID_ME_S "\"]},"
    "\"pending\":{\"count\":1,\"max\":8,\"memberXuids\":[\"2814600000000002\"]}}}},"
    "\"constants\":{\"system\":{\"version\":1,\"maxMembersCount\":8,\"visibility\":\"open\","
    "\"initiators\":[\"" XUID_ME_S "\"],\"reservedRemovalTimeout\":30000,\"inactiveRemovalTimeout\":0,"
    "\"readyRemovalTimeout\":180000,\"sessionEmptyTimeout\":0,\"capabilities\":{\"connectivity\":true,"
    "\"gameplay\":true},\"memberInitialization\":{\"joinTimeout\":2000,\"measurementTimeout\":2000,"
    "\"membersNeededToStart\":2,\"externalEvaluation\":false},\"peerToHostRequirements\":{\"latencyMaximum\":250,"
    "\"bandwidthDownMinimum\":10000,\"bandwidthUpMinimum\":1000,\"hostSelectionMetric\":\"bandwidthUp\"},"
    "\"measurementServerAddresses\":{\"east\":{\"secureDeviceAddress\":\"AAAA\"}}},"
    "\"custom\":{\"mode\":\"ctf\",\"map\":{\"id\":7,\"tags\":[\"a\",\"b\"]}}},"
    "\"properties\":{\"system\":{\"keywords\":[\"alpha\",\"beta\"],\"turn\":[0],\"joinRestriction\":\"followed\","
    "\"readRestriction\":\"followed\",\"host\":\"fbbcdb6cecaef32f\",\"serverConnectionStringCandidates\":[\"x\",\"y\"],"
    "\"matchmaking\":{\"targetSessionConstants\":{\"a\":1},\"serverConnectionString\":\"conn\"}},"
    "\"custom\":{\"score\":12500,\"list\":[true,false,null],\"nested\":{\"deep\":{\"er\":\"st\"}}}},"
    "\"members\":{\"0\":{\"next\":1,\"constants\":{\"system\":{\"xuid\":\"" XUID_ME_S "\",\"initialize\":true},"
    "\"custom\":{\"skill\":17,\"name\":\"caf\\u00e9\"}},\"properties\":{\"system\":{\"active\":true,"
    "\"secureDeviceAddress\":\"AAAAAGRldmljZQ==\",\"subscription\":{\"id\":\"6D3B3B3C-1B29-4E2A-9A57-5C1A7E0E6A11\","
    "\"changeTypes\":[\"everything\",\"host\"]},\"initializationGroup\":[0,1],\"groups\":[\"g\"],"
    "\"encounters\":[\"e\"],\"measurements\":{\"fbbcdb6cecaef32f\":{\"latency\":5}}},\"custom\":{\"ready\":true}},"
    "\"roles\":{\"lfg\":\"confirmed\"},\"gamertag\":\"Player1\",\"deviceToken\":\"fbbcdb6cecaef32f\",\"nat\":\"open\","
    "\"activeTitleId\":\"1234\",\"joinTime\":\"2026-11-21T12:28:19.665Z\",\"turn\":true},"
    "\"1\":{\"next\":2,\"constants\":{\"system\":{\"xuid\":\"2814600000000002\"},\"custom\":{}},"
    "\"properties\":{\"system\":{\"ready\":true},\"custom\":{\"n\":2}},\"roles\":{\"lfg\":\"pending\"},"
    "\"gamertag\":\"Player2\",\"deviceToken\":\"0123456789abcdef\",\"nat\":\"strict\",\"activeTitleId\":\"1234\","
    "\"joinTime\":\"2026-11-21T12:28:20.665Z\"}},"
    "\"membersInfo\":{\"first\":0,\"next\":2,\"count\":2,\"accepted\":2},"
    "\"servers\":{\"matchmaking\":{\"properties\":{\"system\":{\"status\":\"searching\",\"typicalWait\":10,"
    "\"targetSessionRef\":{\"scid\":\"" SCID "\",\"templateName\":\"quick\",\"name\":\"x\"}}}}}}";

#define DOCN_MEMBERS 12
static char g_docn[32768];

/* Many members, each with constants, roles, groups and custom properties;
   a session custom object with many keys. */
static const char *docn(void)
{
    size_t n = 0, i;
    if (g_docn[0]) return g_docn;
    n += (size_t)snprintf(g_docn + n, sizeof g_docn - n,
        "{\"contractVersion\":107,\"constants\":{\"system\":{\"maxMembersCount\":40,\"visibility\":\"open\"},"
        "\"custom\":{\"mode\":\"big\"}},\"properties\":{\"system\":{\"keywords\":[\"k1\",\"k2\",\"k3\"]},\"custom\":{");
    for (i = 0; i < 24; i++)
        n += (size_t)snprintf(g_docn + n, sizeof g_docn - n, "%s\"prop%zu\":{\"v\":%zu,\"s\":\"text %zu\"}",
                              i ? "," : "", i, i * 7, i);
    n += (size_t)snprintf(g_docn + n, sizeof g_docn - n, "}},\"roleTypes\":{\"team\":{\"roles\":{"
        "\"red\":{\"max\":20},\"blue\":{\"max\":20}}}},\"members\":{");
    for (i = 0; i < DOCN_MEMBERS; i++)
        n += (size_t)snprintf(g_docn + n, sizeof g_docn - n,
            "%s\"%zu\":{\"next\":%zu,\"constants\":{\"system\":{\"xuid\":\"%llu\"},\"custom\":{\"rank\":%zu}},"
            "\"properties\":{\"system\":{\"active\":true,\"groups\":[\"g%zu\"]},\"custom\":{\"score\":%zu,\"tag\":\"m%zu\"}},"
            "\"roles\":{\"team\":\"%s\"},\"gamertag\":\"Player%zu\"}",
            i ? "," : "", i, i + 1, (unsigned long long)(XUID_ME + i), i, i, i * 100, i, (i & 1) ? "red" : "blue", i);
    n += (size_t)snprintf(g_docn + n, sizeof g_docn - n,
        "},\"membersInfo\":{\"first\":0,\"next\":%d,\"count\":%d,\"accepted\":%d}}",
        DOCN_MEMBERS, DOCN_MEMBERS, DOCN_MEMBERS);
    assert_true(n < sizeof g_docn - 1);
    return g_docn;
}

/* ------------------------------------------------------------ snapshots */

typedef struct snap {
    xbl_mpsd_session s;
    unsigned char   *arena;
    size_t           used;
} snap;

static void snap_take(snap *sn, const xbl_mpsd_session *s)
{
    sn->s = *s;
    sn->used = s->arena.used;
    sn->arena = (unsigned char *)malloc(sn->used ? sn->used : 1);
    assert_non_null(sn->arena);
    if (sn->used) memcpy(sn->arena, s->arena.base, sn->used);
}

/* Byte-identical, then the snapshot is released. */
static void snap_same(snap *sn, const xbl_mpsd_session *s)
{
    assert_memory_equal(&sn->s, s, sizeof *s);
    if (sn->used) assert_memory_equal(sn->arena, s->arena.base, sn->used);
    free(sn->arena);
}

/* A heap block of exactly n bytes (at least 1, so the pointer is valid),
   filled with a pattern: alignment padding the arena skips then compares
   as defined bytes under valgrind. */
static unsigned char *block(size_t n)
{
    unsigned char *p = (unsigned char *)malloc(n ? n : 1);
    assert_non_null(p);
    memset(p, 0xA5, n ? n : 1);
    return p;
}

/* ------------------------------------------------------------ sessions */

static xbl_mpsd_session_reference ref_of(void)
{
    return xbl_mpsd_session_reference_create(SCID, "quick", "torture");
}

/* The fresh local session: a few setters applied. */
static void build_local(xbl_mpsd_session *s, unsigned char *arena, size_t size)
{
    static const char *const kw[2] = { "alpha", "beta" };
    xbl_mpsd_session_reference ref = ref_of();
    assert_int_equal(xbl_mpsd_session_init(s, XUID_ME, &ref, NULL, arena, size), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_constants_set_max_members_in_session(s, 8), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_join(s, "{\"skill\":17}", true, true), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_properties_set_keywords(s, kw, 2), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(s, "map", "{\"id\":7}"), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_current_user_set_custom_property_json(s, "ready", "true"), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_add_member_reservation(s, XUID_ME + 1, "{}", false), XBL_MPSD_OK);
}

static union { unsigned char b[16384]; uint64_t u; void *p; } g_scratch;   /* the reader's scratch space */

static xbl_mpsd_result load(xbl_mpsd_session *s, const char *doc)
{
    xbl_mpsd__response_meta meta;
    xbl_mpsd_session_reference ref = ref_of();
    size_t needed = 0;
    memset(&meta, 0, sizeof meta);
    meta.xuid = XUID_ME;
    meta.reference = &ref;
    meta.etag = "\"etag-1\"";
    meta.etag_len = 8;
    return xbl_mpsd__session_load(s, doc, strlen(doc), &meta, g_scratch.b, sizeof g_scratch.b, &needed, NULL);
}

static void build_doc(xbl_mpsd_session *s, unsigned char *arena, size_t size, const char *doc)
{
    assert_int_equal(xbl_mpsd_session_init(s, XUID_ME, NULL, NULL, arena, size), XBL_MPSD_OK);
    assert_int_equal(load(s, doc), XBL_MPSD_OK);
}

enum { BASE_LOCAL, BASE_DOC2, BASE_DOCN, BASE_COUNT };

static void build_base(xbl_mpsd_session *s, unsigned char *arena, size_t size, int which)
{
    if (which == BASE_LOCAL) build_local(s, arena, size);
    else build_doc(s, arena, size, which == BASE_DOC2 ? DOC2 : docn());
}

/* Bytes a copy of src takes. */
static size_t copy_size(const xbl_mpsd_session *src)
{
    xbl_mpsd_session d;
    unsigned char *a = block(BIG);
    size_t used;
    assert_int_equal(xbl_mpsd_session_init(&d, 1, NULL, NULL, a, BIG), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_copy(&d, src), XBL_MPSD_OK);
    used = d.arena.used;
    free(a);
    return used;
}

/* ------------------------------------------------------------ mock exchange */

static mock_port       g_mock;
static xbl_mpsd_port   g_port;
static xbl_mpsd_client g_client;
static char            g_response[40000];
static size_t          g_response_len;

#include "test_auth.h"

static void make_response(int status, const char *doc)
{
    g_response_len = (size_t)snprintf(g_response, sizeof g_response,
        "HTTP/1.1 %d OK\r\nContent-Type: application/json\r\nETag: \"etag-2\"\r\n"
        "Content-Length: %zu\r\n\r\n%s", status, strlen(doc), doc);
    assert_true(g_response_len < sizeof g_response);
}

/* A fresh client whose port will answer with g_response in 700-byte reads. */
static void new_client(void)
{
    xbl_mpsd_client_config cfg;
    size_t off;
    mock_init(&g_mock, &g_port);
    for (off = 0; off < g_response_len; off += 700)
        mock_add_bytes(&g_mock, g_response + off, g_response_len - off < 700 ? g_response_len - off : 700);
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &g_port;
    cfg.xuid = XUID_ME;
    cfg.auth = test_auth;
    cfg.host = "127.0.0.1";
    assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_OK);
}

static xbl_mpsd_result drive(xbl_mpsd_async *op)
{
    xbl_mpsd_result r;
    int polls = 0;
    while ((r = xbl_mpsd_async_poll(op)) == XBL_MPSD_PENDING) assert_true(++polls < 100000);
    return r;
}

/* What the torture covered, printed at the end. */
static unsigned g_load_runs, g_copy_runs, g_setter_runs, g_write_runs;
static size_t g_write_min, g_write_max_reported;

/* ------------------------------------------------------------ load */

/* A GET completes once; then the result call is tried into `out` with every
   arena size up to the needed one. Below it: OUTOFMEMORY, `out` unchanged
   and the result kept for another try; at it: OK and exactly that much used.
   `out` holds the local session where it fits (a result replaces an old
   document, it does not need room for old + new). */
static void load_every_size(const char *doc)
{
    static unsigned char work[1 << 17];
    xbl_mpsd_session_reference ref = ref_of();
    xbl_mpsd_session out, probe;
    xbl_mpsd_async op;
    unsigned char *big = block(BIG);
    size_t needed, size, local_used;
    build_doc(&probe, big, BIG, doc);
    needed = probe.arena.used;
    build_local(&probe, big, BIG);
    local_used = probe.arena.used;
    free(big);

    make_response(200, doc);
    new_client();
    assert_int_equal(xbl_mpsd_async_init(&op, work, sizeof work), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_session_async(&g_client, &ref, &op), XBL_MPSD_OK);
    assert_int_equal(drive(&op), XBL_MPSD_OK);
    for (size = 0; size <= needed; size++) {
        unsigned char *arena = block(size);
        snap sn;
        xbl_mpsd_result r;
        g_load_runs++;
        if (size >= local_used) build_local(&out, arena, size);
        else assert_int_equal(xbl_mpsd_session_init(&out, XUID_ME, NULL, NULL, arena, size), XBL_MPSD_OK);
        snap_take(&sn, &out);
        r = xbl_mpsd_get_session_result(&op, &out);
        if (size < needed) {
            assert_int_equal(r, XBL_MPSD_E_OUTOFMEMORY);
            snap_same(&sn, &out);
        } else {
            free(sn.arena);
            assert_int_equal(r, XBL_MPSD_OK);
            assert_int_equal(out.arena.used, needed);
            assert_string_equal(xbl_mpsd_session_etag(&out), "\"etag-2\"");
        }
        free(arena);
    }
    /* the result was taken by the successful call */
    assert_int_equal(xbl_mpsd_get_session_result(&op, &probe), XBL_MPSD_E_UNEXPECTED);
    xbl_mpsd_client_close(&g_client);
}

static void test_load_doc2_every_arena_size(void **state) { (void)state; load_every_size(DOC2); }
static void test_load_docn_every_arena_size(void **state) { (void)state; load_every_size(docn()); }

/* ------------------------------------------------------------ copy */

static void copy_every_size(int which)
{
    xbl_mpsd_session src, dst;
    unsigned char *src_arena = block(BIG);
    size_t needed, size;
    build_base(&src, src_arena, BIG, which);
    needed = copy_size(&src);
    for (size = 0; size <= needed; size++) {
        unsigned char *arena = block(size);
        snap sn;
        xbl_mpsd_result r;
        g_copy_runs++;
        assert_int_equal(xbl_mpsd_session_init(&dst, 5, NULL, NULL, arena, size), XBL_MPSD_OK);
        assert_int_equal(xbl_mpsd_session_set_closed(&dst, true), XBL_MPSD_OK);   /* state of its own */
        snap_take(&sn, &dst);
        r = xbl_mpsd_session_copy(&dst, &src);
        if (size < needed) {
            assert_int_equal(r, XBL_MPSD_E_OUTOFMEMORY);
            snap_same(&sn, &dst);
        } else {
            free(sn.arena);
            assert_int_equal(r, XBL_MPSD_OK);
            assert_int_equal(dst.arena.used, needed);
            assert_int_equal(xbl_mpsd_session_compare(&dst, &src), XBL_MPSD_SESSION_CHANGE_TYPES_NONE);
        }
        free(arena);
    }
    free(src_arena);
}

static void test_copy_local_every_arena_size(void **state) { (void)state; copy_every_size(BASE_LOCAL); }
static void test_copy_doc2_every_arena_size(void **state) { (void)state; copy_every_size(BASE_DOC2); }
static void test_copy_docn_every_arena_size(void **state) { (void)state; copy_every_size(BASE_DOCN); }

/* ------------------------------------------------------------ setters */

#define SETTER_COUNT 25

static const char *setter_name(int i)
{
    static const char *const names[SETTER_COUNT] = {
        "keywords", "turn_collection", "raw_servers_json", "mm_target_constants_json", "mm_connection_path",
        "connection_candidates", "custom_property_new", "custom_property_replace", "custom_property_delete",
        "join", "add_member_reservation", "secure_device_address", "roles", "members_in_group", "groups",
        "encounters", "qos_measurements", "server_qos_measurements", "me_custom_property_set",
        "me_custom_property_delete", "measurement_server_addresses", "cloud_compute_package",
        "session_change_subscription", "host_device_token", "mutable_role_settings"
    };
    return names[i];
}

static xbl_mpsd_result apply_setter(xbl_mpsd_session *s, int i)
{
    static const char *const kw[3] = { "gamma", "delta", "a longer keyword \xce\xb2" };
    static const uint32_t ids[3] = { 0, 1, 2 };
    static const xbl_mpsd_session_member_role roles[2] = { { "lfg", "confirmed" }, { "team", "red" } };
    xbl_mpsd_device_token tok;
    uint32_t max = 6;
    switch (i) {
    case 0: return xbl_mpsd_session_properties_set_keywords(s, kw, 3);
    case 1: return xbl_mpsd_session_properties_set_turn_collection(s, ids, 3);
    case 2: return xbl_mpsd_session_set_raw_servers_json(s, "{\"gameServer\":{\"constants\":{\"system\":{}}}}");
    case 3: return xbl_mpsd_session_set_matchmaking_target_session_constants_json(s, " {\"t\": [1, 2]} ");
    case 4: return xbl_mpsd_session_set_matchmaking_server_connection_path(s, "server/connection/path");
    case 5: return xbl_mpsd_session_set_server_connection_string_candidates(s, kw, 2);
    case 6: return xbl_mpsd_session_set_custom_property_json(s, "brand_new", "{\"x\":[1,2,3]}");
    case 7: return xbl_mpsd_session_set_custom_property_json(s, "map", "{\"id\":8,\"name\":\"other\"}");
    case 8: return xbl_mpsd_session_delete_custom_property_json(s, "map");
    case 9: return xbl_mpsd_session_join(s, "{\"skill\":99,\"class\":\"mage\"}", true, true);
    case 10: return xbl_mpsd_session_add_member_reservation(s, XUID_ME + 77, "{\"invited\":true}", true);
    case 11: return xbl_mpsd_session_current_user_set_secure_device_address_base64(s, "AAAAAGRldmljZTI=");
    case 12: return xbl_mpsd_session_current_user_set_roles(s, roles, 2);
    case 13: return xbl_mpsd_session_current_user_set_members_in_group(s, ids, 3);
    case 14: return xbl_mpsd_session_current_user_set_groups(s, kw, 3);
    case 15: return xbl_mpsd_session_current_user_set_encounters(s, kw, 2);
    case 16: return xbl_mpsd_session_current_user_set_qos_measurements(s, "{\"peer\":{\"latency\":5}}");
    case 17: return xbl_mpsd_session_current_user_set_server_qos_measurements(s, "{\"east\":{\"latency\":9}}");
    case 18: return xbl_mpsd_session_current_user_set_custom_property_json(s, "loadout", "[1,2,{\"k\":null}]");
    case 19: return xbl_mpsd_session_current_user_delete_custom_property_json(s, "ready");
    case 20: return xbl_mpsd_session_constants_set_measurement_server_addresses_json(s, "{\"west\":{}}");
    case 21: return xbl_mpsd_session_constants_set_cloud_compute_package_json(s, "{\"crossSandbox\":true}");
    case 22: return xbl_mpsd_session_set_session_change_subscription(s, XBL_MPSD_SESSION_CHANGE_TYPES_EVERYTHING);
    case 23:
        memset(&tok, 0, sizeof tok);
        strcpy(tok.value, "0123456789abcdef");
        return xbl_mpsd_session_set_host_device_token(s, tok);
    default: return xbl_mpsd_session_set_mutable_role_settings(s, "lfg", "confirmed", &max, NULL);
    }
}

/* Setter i on a copy of base in an arena of exactly base-copy + extra bytes. */
static xbl_mpsd_result setter_at(const xbl_mpsd_session *base, size_t base_used, int i, size_t extra,
        size_t *used_after, bool expect_oom)
{
    xbl_mpsd_session s;
    unsigned char *arena = block(base_used + extra);
    snap sn;
    xbl_mpsd_result r;
    assert_int_equal(xbl_mpsd_session_init(&s, 5, NULL, NULL, arena, base_used + extra), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_copy(&s, base), XBL_MPSD_OK);
    assert_int_equal(s.arena.used, base_used);
    snap_take(&sn, &s);
    r = apply_setter(&s, i);
    if (expect_oom) {
        if (r != XBL_MPSD_E_OUTOFMEMORY)
            fprintf(stderr, "setter %s, %zu extra bytes: %s\n", setter_name(i), extra, xbl_mpsd_result_string(r));
        assert_int_equal(r, XBL_MPSD_E_OUTOFMEMORY);
        snap_same(&sn, &s);
    } else {
        free(sn.arena);
    }
    *used_after = s.arena.used;
    free(arena);
    return r;
}


static void setters_every_size(int which)
{
    xbl_mpsd_session base;
    unsigned char *base_arena = block(BIG);
    size_t base_used;
    int i, applicable = 0;
    build_base(&base, base_arena, BIG, which);
    base_used = copy_size(&base);
    for (i = 0; i < SETTER_COUNT; i++) {
        size_t used = 0, extra, k;
        /* a roomy arena first: does the setter apply here, and how much does it take? */
        xbl_mpsd_result r = setter_at(&base, base_used, i, BIG / 2, &used, false);
        if (r != XBL_MPSD_OK) {
            /* constants of a service session, roles of a local one: refused before any allocation */
            assert_true(r == XBL_MPSD_E_UNEXPECTED || r == XBL_MPSD_E_INVALIDARG);
            assert_int_equal(setter_at(&base, base_used, i, 0, &used, false), r);
            continue;
        }
        applicable++;
        extra = used - base_used;
        for (k = 0; k < extra; k++) {
            (void)setter_at(&base, base_used, i, k, &used, true);
            g_setter_runs++;
        }
        assert_int_equal(setter_at(&base, base_used, i, extra, &used, false), XBL_MPSD_OK);
        assert_int_equal(used, base_used + extra);
    }
    assert_true(applicable >= 18);
    free(base_arena);
}

static void test_setters_local_every_arena_size(void **state) { (void)state; setters_every_size(BASE_LOCAL); }
static void test_setters_doc2_every_arena_size(void **state) { (void)state; setters_every_size(BASE_DOC2); }
static void test_setters_docn_every_arena_size(void **state) { (void)state; setters_every_size(BASE_DOCN); }

/* ------------------------------------------------------------ async buffer */

/* One write of the local session with a buffer of `size` bytes; the result
   goes into `out` (a copy of the written session). Returns the final result
   and the needed_bytes the SDK reported. */
static xbl_mpsd_result write_with(size_t size, const xbl_mpsd_session *s, size_t *needed)
{
    xbl_mpsd_session out;
    xbl_mpsd_async op;
    unsigned char *work = block(size), *out_arena = block(8192);
    snap sn;
    xbl_mpsd_result r;
    g_write_runs++;
    new_client();
    assert_int_equal(xbl_mpsd_session_init(&out, 5, NULL, NULL, out_arena, 8192), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_copy(&out, s), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_init(&op, work, size), XBL_MPSD_OK);
    r = xbl_mpsd_write_session_async(&g_client, s, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &op);
    if (r == XBL_MPSD_OK) {
        assert_ptr_equal(g_client.active, &op);
        r = drive(&op);
        snap_take(&sn, &out);
        assert_int_equal(xbl_mpsd_write_session_result(&op, &out), r);
        if (r == XBL_MPSD_OK) {
            free(sn.arena);
            assert_int_equal(xbl_mpsd_session_write_status(&out), XBL_MPSD_WRITE_SESSION_STATUS_CREATED);
            assert_string_equal(xbl_mpsd_session_etag(&out), "\"etag-2\"");
        } else {
            snap_same(&sn, &out);
        }
    } else {
        assert_int_equal(g_mock.connects, 0);   /* refused before any I/O */
    }
    assert_null(g_client.active);
    *needed = xbl_mpsd_async_needed_bytes(&op);
    xbl_mpsd_client_close(&g_client);
    free(work);
    free(out_arena);
    return r;
}

static void test_write_every_async_buffer_size(void **state)
{
    xbl_mpsd_session s;
    unsigned char *arena = block(8192);
    size_t size, needed = 0, min_ok = 0, reported, max_reported = 0;
    (void)state;
    build_local(&s, arena, 8192);
    make_response(201, DOC2);
    /* the smallest buffer that works, found from below */
    for (size = 0; size < (1u << 16); size++) {
        xbl_mpsd_result r = write_with(size, &s, &reported);
        if (r == XBL_MPSD_OK) { min_ok = size; break; }
        assert_int_equal(r, XBL_MPSD_E_OUTOFMEMORY);
        /* what the SDK asks for is always more than it had, and never
           more than a few KB past the true need (the token reserve) */
        assert_true(reported > size);
        if (reported > max_reported) max_reported = reported;
    }
    assert_true(min_ok > 0);
    assert_true(max_reported >= min_ok);
    assert_true(max_reported <= min_ok + XBL_MPSD_AUTH_RESERVE + 1024);
    g_write_min = min_ok;
    g_write_max_reported = max_reported;
    /* the reported size is enough: follow it from nothing */
    size = 0;
    for (needed = 0; needed < 4; needed++) {
        if (write_with(size, &s, &reported) == XBL_MPSD_OK) break;
        size = reported;
    }
    assert_true(needed < 4);
    /* and every size above the minimum works too */
    for (size = min_ok; size < min_ok + 64; size++)
        assert_int_equal(write_with(size, &s, &reported), XBL_MPSD_OK);
    free(arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_doc2_every_arena_size),
        cmocka_unit_test(test_load_docn_every_arena_size),
        cmocka_unit_test(test_copy_local_every_arena_size),
        cmocka_unit_test(test_copy_doc2_every_arena_size),
        cmocka_unit_test(test_copy_docn_every_arena_size),
        cmocka_unit_test(test_setters_local_every_arena_size),
        cmocka_unit_test(test_setters_doc2_every_arena_size),
        cmocka_unit_test(test_setters_docn_every_arena_size),
        cmocka_unit_test(test_write_every_async_buffer_size),
    };
    int failed;
    (void)mock_add_code; (void)mock_add_send; (void)mock_reset_traffic;   /* mock_port.h helpers not needed here */
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    fprintf(stderr, "arena torture: %u result calls, %u copies, %u setter calls with a short arena; "
            "%u writes (smallest async buffer %zu bytes, largest needed_bytes reported %zu)\n",
            g_load_runs, g_copy_runs, g_setter_runs, g_write_runs, g_write_min, g_write_max_reported);
    return failed;
}
