/* Zero heap: the allocator is interposed at link time (-Wl,--wrap=...) and
   every call made from this program's own code is counted; full session
   work and a whole write through a scripted port must make none. cmocka's
   own allocations happen inside libcmocka and are not wrapped. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

static int g_allocs;
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
void *__wrap_malloc(size_t n) { g_allocs++; return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { g_allocs++; return __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { g_allocs++; return __real_realloc(p, n); }
void __wrap_free(void *p) { if (p) g_allocs++; __real_free(p); }

/* A port that accepts every byte and answers with one canned response. */
typedef struct canned { const char *reply; size_t len, at; uint32_t now; } canned;
static xbl_mpsd_result canned_connect(void *c, const char *h, uint16_t p) { (void)c; (void)h; (void)p; return XBL_MPSD_OK; }
static int32_t canned_send(void *c, const uint8_t *d, size_t n) { (void)c; (void)d; return (int32_t)n; }
static int32_t canned_recv(void *ctx, uint8_t *buf, size_t cap)
{
    canned *c = (canned *)ctx;
    size_t n = c->len - c->at < cap ? c->len - c->at : cap;
    if (n == 0) return XBL_MPSD_E_EOF;
    memcpy(buf, c->reply + c->at, n);
    c->at += n;
    return (int32_t)n;
}
static void canned_close(void *c) { (void)c; }
static uint32_t canned_now(void *ctx) { return ((canned *)ctx)->now++; }
static xbl_mpsd_result token(void *u, const char *m, const char *p, const uint8_t *b, size_t bl,
        char *a, size_t ac, char *s, size_t sc)
{
    (void)u; (void)m; (void)p; (void)b; (void)bl; (void)sc;
    if (ac < 32) return XBL_MPSD_E_OUTOFMEMORY;
    strcpy(a, "XBL3.0 x=-;xuid=1,gt=A");
    s[0] = '\0';
    return XBL_MPSD_OK;
}

#define DOC "{\"contractVersion\":107,\"branch\":\"b\",\"changeNumber\":1,\"correlationId\":\"c\"," \
    "\"startTime\":\"2024-03-01T10:00:00.0000000Z\",\"constants\":{\"system\":{\"version\":1,\"maxMembersCount\":8," \
    "\"visibility\":\"open\"},\"custom\":{}},\"properties\":{\"system\":{\"turn\":[]},\"custom\":{\"a\":1}}," \
    "\"members\":{\"0\":{\"constants\":{\"system\":{\"xuid\":\"1\"},\"custom\":{}},\"properties\":{\"system\":" \
    "{\"active\":true},\"custom\":{}},\"gamertag\":\"A\",\"next\":1}},\"membersInfo\":{\"first\":0,\"next\":1," \
    "\"count\":1,\"accepted\":1},\"servers\":{}}"

static void full_write_makes_no_allocation(void **state)
{
    static uint8_t arena[16384], arena2[16384], work[16384];
    static const char reply[] = "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nETag: e1\r\n"
        "Content-Length: 471\r\n\r\n" DOC;
    canned c;
    xbl_mpsd_port port;
    xbl_mpsd_client client;
    xbl_mpsd_client_config cfg;
    xbl_mpsd_async op;
    xbl_mpsd_session s, copy;
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create("scid", "quick", "name");
    const char *kw[] = { "a", "b" };
    xbl_mpsd_result rc;
    int polls = 0;
    (void)state;
    assert_int_equal(sizeof DOC - 1, 471);
    memset(&c, 0, sizeof c);
    c.reply = reply;
    c.len = sizeof reply - 1;
    port.ctx = &c; port.connect = canned_connect; port.send = canned_send; port.recv = canned_recv;
    port.close = canned_close; port.now_ms = canned_now;
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &port; cfg.xuid = 1; cfg.auth = token; cfg.host = "127.0.0.1"; cfg.port_number = 80;

    g_allocs = 0;
    assert_int_equal(xbl_mpsd_client_init(&client, &cfg), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_init(&s, 1, &ref, NULL, arena, sizeof arena), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_join(&s, "{\"x\":1}", true, true), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&s, "k", "[1,2,{\"z\":null}]"), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_properties_set_keywords(&s, kw, 2), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_current_user_set_custom_property_json(&s, "m", "true"), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_init(&op, work, sizeof work), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_write_session_async(&client, &s, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &op), XBL_MPSD_OK);
    while ((rc = xbl_mpsd_async_poll(&op)) == XBL_MPSD_PENDING && polls < 1000) polls++;
    assert_int_equal(rc, XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_write_session_result(&op, &s), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_write_status(&s), XBL_MPSD_WRITE_SESSION_STATUS_CREATED);
    assert_string_equal(xbl_mpsd_session_etag(&s), "e1");
    assert_int_equal(xbl_mpsd_session_init(&copy, 2, NULL, NULL, arena2, sizeof arena2), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_copy(&copy, &s), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_compare(&copy, &s), XBL_MPSD_SESSION_CHANGE_TYPES_NONE);
    xbl_mpsd_client_close(&client);
    assert_int_equal(g_allocs, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(full_write_makes_no_allocation) };
    return cmocka_run_group_tests_name("zero heap", tests, NULL, NULL);
}
