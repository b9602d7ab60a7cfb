/* session_util.h - shared helpers for the session contract tests
   (tests/test_session_*.c). Include after xbl_mpsd.h (with
   XBL_MPSD_IMPLEMENTATION), json_eq.h and cmocka.h. */
#ifndef SESSION_UTIL_H
#define SESSION_UTIL_H

#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "golden_bodies.h"

#define XUID1 GOLDEN_XUID1
#define XUID1_STR GOLDEN_XUID1_STR

#define SCID GOLDEN_SCID
#define TMPL GOLDEN_TMPL
#define SNAME GOLDEN_SNAME

#define ARENA_SIZE 65536

/* Arenas: aligned, static, one per role. */
typedef union su_arena { unsigned char b[ARENA_SIZE]; uint64_t align_u64; void *align_p; long double align_ld; } su_arena;
#define SU_UNUSED __attribute__((unused))
static su_arena g_arena1 SU_UNUSED, g_arena2 SU_UNUSED, g_arena3 SU_UNUSED;

#define su_ordered golden_ordered

/* Body of the next write, NUL-terminated, in a static buffer. Also checks
   the size protocol of xbl_mpsd__session_write_body: too small a buffer
   gives OUTOFMEMORY with the needed size. */
static char su_body_buf[65536] SU_UNUSED;
static inline const char *su_body(const xbl_mpsd_session *s)
{
    size_t len = 0, need = 0;
    char one[1];
    xbl_mpsd_result r;
    r = xbl_mpsd__session_write_body(s, su_body_buf, sizeof su_body_buf - 1, &len);
    assert_int_equal(r, XBL_MPSD_OK);
    assert_true(len < sizeof su_body_buf);
    su_body_buf[len] = '\0';
    r = xbl_mpsd__session_write_body(s, one, 0, &need);
    assert_int_equal(r, XBL_MPSD_E_OUTOFMEMORY);
    assert_true(need >= len);
    return su_body_buf;
}

#define assert_body(s, expected) \
    assert_true(json_eq_paths((expected), su_body(s), su_ordered))

#define assert_json(expected, actual) \
    assert_true(json_eq_paths((expected), (actual), su_ordered))

#define assert_json_ordered(expected, actual) \
    assert_true(json_eq_ordered((expected), (actual)))

static inline xbl_mpsd_session_reference su_ref(void)
{
    return xbl_mpsd_session_reference_create(SCID, TMPL, SNAME);
}

/* A fresh local session without init args in arena 1. */
static inline void su_init(xbl_mpsd_session *s)
{
    xbl_mpsd_session_reference ref = su_ref();
    memset(s, 0, sizeof *s);
    assert_int_equal(xbl_mpsd_session_init(s, XUID1, &ref, NULL, g_arena1.b, sizeof g_arena1.b), XBL_MPSD_OK);
}

static inline void su_init_joined(xbl_mpsd_session *s)
{
    su_init(s);
    assert_int_equal(xbl_mpsd_session_join(s, NULL, false, false), XBL_MPSD_OK);
}

/* Snapshot of the session struct and the used part of its arena. */
typedef struct su_snap {
    unsigned char sess[sizeof(xbl_mpsd_session)];
    unsigned char arena[ARENA_SIZE];
    size_t used;
    const unsigned char *base;
} su_snap;
static su_snap su_snap_a SU_UNUSED;

static inline void su_take(su_snap *sn, const xbl_mpsd_session *s)
{
    memcpy(sn->sess, s, sizeof *s);
    sn->base = s->arena.base;
    sn->used = s->arena.used;
    assert_true(sn->used <= ARENA_SIZE);
    if (sn->base && sn->used) memcpy(sn->arena, sn->base, sn->used);
}

static inline bool su_same(const su_snap *sn, const xbl_mpsd_session *s)
{
    if (memcmp(sn->sess, s, sizeof *s) != 0) {
        fprintf(stderr, "session struct changed by a failing call\n");
        return false;
    }
    if (sn->base && sn->used && memcmp(sn->arena, sn->base, sn->used) != 0) {
        fprintf(stderr, "used arena changed by a failing call\n");
        return false;
    }
    return true;
}

/* Calls `call`, expects `code`, and expects the session byte-identical. */
#define EXPECT_FAIL_UNCHANGED(s, code, call) do {                     \
        xbl_mpsd_result su_r_;                                        \
        su_take(&su_snap_a, (s));                                     \
        su_r_ = (call);                                               \
        if (su_r_ != (code))                                          \
            fprintf(stderr, "%s:%d: %s returned %s, expected %s\n",   \
                    __FILE__, __LINE__, #call,                        \
                    xbl_mpsd_result_string(su_r_),                    \
                    xbl_mpsd_result_string(code));                    \
        assert_int_equal(su_r_, (code));                              \
        assert_true(su_same(&su_snap_a, (s)));                        \
    } while (0)

#define EXPECT_OK(call) do {                                          \
        xbl_mpsd_result su_r_ = (call);                               \
        if (su_r_ != XBL_MPSD_OK)                                     \
            fprintf(stderr, "%s:%d: %s returned %s\n", __FILE__,      \
                    __LINE__, #call, xbl_mpsd_result_string(su_r_));  \
        assert_int_equal(su_r_, XBL_MPSD_OK);                         \
    } while (0)

static inline bool su_is_guid(const char *g)
{
    size_t i;
    if (strlen(g) != 36) return false;
    for (i = 0; i < 36; i++) {
        char c = g[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) { if (c != '-') return false; }
        else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
    }
    return true;
}

/* The subscription id in the current body (members.me.properties.system.subscription.id). */
static inline void su_sub_id(const xbl_mpsd_session *s, char out[64])
{
    assert_true(json_eq_get(su_body(s), "members.me.properties.system.subscription.id", out, 64));
    assert_true(su_is_guid(out));
}

/* Builds golden case `build` (golden_bodies.h) in arena 1 and checks its body. */
static inline void su_golden(xbl_mpsd_session *s, xbl_mpsd_result (*build)(xbl_mpsd_session *, void *, size_t))
{
    size_t i;
    for (i = 0; i < GOLDEN_BODY_COUNT && golden_bodies[i].build != build; i++) {}
    assert_true(i < GOLDEN_BODY_COUNT);
    EXPECT_OK(build(s, g_arena1.b, sizeof g_arena1.b));
    assert_body(s, golden_bodies[i].body);
}

static union { unsigned char b[16384]; uint64_t u; void *p; } su_scratch SU_UNUSED;   /* the reader's scratch space */

/* Turns s (with an arena) into a service session from body, for user xuid. */
static inline void su_load_service(xbl_mpsd_session *s, void *arena, size_t arena_size, const char *body, uint64_t xuid)
{
    xbl_mpsd__response_meta meta;
    xbl_mpsd_session_reference ref = su_ref();
    size_t needed = 0;
    memset(s, 0, sizeof *s);
    EXPECT_OK(xbl_mpsd_session_init(s, xuid, &ref, NULL, arena, arena_size));
    memset(&meta, 0, sizeof meta);
    meta.xuid = xuid;
    meta.reference = &ref;
    meta.etag = "\"e1\"";
    meta.etag_len = 4;
    meta.write_status = XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN;
    EXPECT_OK(xbl_mpsd__session_load(s, body, strlen(body), &meta, su_scratch.b, sizeof su_scratch.b, &needed, NULL));
}

#endif /* SESSION_UTIL_H */
