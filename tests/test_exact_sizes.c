/* Exact sizes and applied-but-did-not-fit: at every async buffer size from
   too small to fitting, xbl_mpsd_async_needed_bytes names the exact size
   that works (one byte less does not), an arena too small is answered with
   the exact arena size, and a write the service applied (2xx) says so with
   its ETag and reference although its document could not be kept, on a
   connection that stays usable. Driven through the scripted mock port. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "mock_port.h"
#include "golden_bodies.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#define REF_PATH "/serviceconfigs/" GOLDEN_SCID "/sessionTemplates/" GOLDEN_TMPL "/sessions/" GOLDEN_SNAME
#define HANDLE "6f6a1f7e-1111-4222-8333-444455556666"
#define MAX_WORK 16384

static mock_port        g_mock;
static xbl_mpsd_port    g_port;
static xbl_mpsd_client  g_client;
static xbl_mpsd_async   g_async;
static xbl_mpsd_session g_session;
static unsigned char    g_arena[16384];
static unsigned char    g_out_arena[16384];
/* the async buffer sits at an odd address so that padding is counted from the
   real address, not worst-case */
static unsigned char    g_work_store[MAX_WORK + 16];
static char             g_resp[16384];

#include "test_auth.h"

enum { OP_CREATE, OP_CREATE_HANDLE, OP_GET, OP_GET_HANDLE };

typedef struct exchange {
    int op;
    const char *status_line;
    const char *headers;
    const char *body;
} exchange;

static void setup_client(void)
{
    xbl_mpsd_client_config cfg;
    mock_init(&g_mock, &g_port);
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &g_port;
    cfg.xuid = GOLDEN_XUID1;
    cfg.auth = test_auth;
    assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_OK);
}

static void make_session(int op)
{
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(GOLDEN_SCID, GOLDEN_TMPL, GOLDEN_SNAME);
    assert_int_equal(xbl_mpsd_session_init(&g_session, GOLDEN_XUID1, op == OP_CREATE_HANDLE ? NULL : &ref, NULL,
                                           g_arena, sizeof g_arena), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_join(&g_session, NULL, false, true), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_set_custom_property_json(&g_session, "mode", "\"coop\""), XBL_MPSD_OK);
}

static xbl_mpsd_result drive(void)
{
    xbl_mpsd_result r = XBL_MPSD_PENDING;
    int i;
    for (i = 0; i < 100000 && r == XBL_MPSD_PENDING; i++) r = xbl_mpsd_async_poll(&g_async);
    return r;
}

/* Starts ex on a fresh async of `size` bytes (the response scripted whole). */
static xbl_mpsd_result start(const exchange *ex, size_t size, unsigned char *work)
{
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(GOLDEN_SCID, GOLDEN_TMPL, GOLDEN_SNAME);
    snprintf(g_resp, sizeof g_resp, "%s\r\n%sContent-Length: %u\r\n\r\n%s",
             ex->status_line, ex->headers, (unsigned)strlen(ex->body), ex->body);
    mock_reset_traffic(&g_mock);
    mock_add_bytes(&g_mock, g_resp, strlen(g_resp));
    assert_int_equal(xbl_mpsd_async_init(&g_async, work, size), XBL_MPSD_OK);
    make_session(ex->op);
    switch (ex->op) {
    case OP_CREATE:
        return xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async);
    case OP_CREATE_HANDLE:
        return xbl_mpsd_write_session_by_handle_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW,
                                                      HANDLE, &g_async);
    case OP_GET:
        return xbl_mpsd_get_session_async(&g_client, &ref, &g_async);
    default:
        return xbl_mpsd_get_session_by_handle_async(&g_client, HANDLE, &g_async);
    }
}

static xbl_mpsd_result take(const exchange *ex, xbl_mpsd_session *out)
{
    return ex->op >= OP_GET ? xbl_mpsd_get_session_result(&g_async, out)
                            : xbl_mpsd_write_session_result(&g_async, out);
}

/* One attempt: ex in an async buffer of `size` bytes at `work`, the result
   taken into a session with an arena of `arena` bytes. */
typedef struct attempt {
    xbl_mpsd_result start, poll, take;
    size_t needed, arena_needed;
    bool applied;
    char etag[XBL_MPSD__ETAG_CAP];
    char ref_name[sizeof ((xbl_mpsd_session_reference *)0)->session_name];
    char calls[MOCK_CALLS_CAP + 1];
} attempt;

static attempt run(const exchange *ex, unsigned char *work, size_t size, size_t arena)
{
    attempt at;
    const xbl_mpsd_session_reference *ref;
    memset(&at, 0, sizeof at);
    at.start = at.poll = at.take = start(ex, size, work);
    at.needed = xbl_mpsd_async_needed_bytes(&g_async);
    if (at.start != XBL_MPSD_OK) return at;
    at.poll = at.take = drive();
    snprintf(at.calls, sizeof at.calls, "%s", g_mock.calls);
    assert_int_equal(xbl_mpsd_session_init(&g_session, GOLDEN_XUID1, NULL, NULL, g_out_arena, arena), XBL_MPSD_OK);
    at.applied = xbl_mpsd_async_applied(&g_async);
    snprintf(at.etag, sizeof at.etag, "%s", xbl_mpsd_async_etag(&g_async));
    ref = xbl_mpsd_async_session_reference(&g_async);
    if (ref != NULL) snprintf(at.ref_name, sizeof at.ref_name, "%s", ref->session_name);
    at.take = take(ex, &g_session);
    at.needed = xbl_mpsd_async_needed_bytes(&g_async);
    at.arena_needed = xbl_mpsd_async_needed_arena_bytes(&g_async);
    return at;
}

/* The smallest buffer the whole exchange fits at `work`. */
static size_t fitting_size(const exchange *ex, unsigned char *work)
{
    size_t n;
    for (n = 64; n <= MAX_WORK; n++) {
        attempt at = run(ex, work, n, sizeof g_out_arena);
        if (at.take == XBL_MPSD_OK) return n;
    }
    fail_msg("no buffer up to %d fits", MAX_WORK);
    return 0;
}

/* The longest line of the response head, CRLF included. */
static size_t longest_line(const exchange *ex)
{
    size_t longest = strlen(ex->status_line) + 2;
    const char *p = ex->headers, *e;
    while ((e = strstr(p, "\r\n")) != NULL) {
        if ((size_t)(e - p) + 2 > longest) longest = (size_t)(e - p) + 2;
        p = e + 2;
    }
    return longest;
}

/* Every size from 64 B to fitting: whenever the request was sent, needed is
   the fitting size exactly; the service's verdict and ETag are never lost,
   and the connection stays usable for the next request. */
static void sweep_buffer(const exchange *ex, size_t offset, bool applied, const char *etag)
{
    unsigned char *work = g_work_store + offset;
    size_t fit, n, sent = 0, first_sent = 0;
    setup_client();
    fit = fitting_size(ex, work);
    for (n = 64; n < fit; n++) {
        attempt at = run(ex, work, n, sizeof g_out_arena);
        assert_int_equal(at.take, XBL_MPSD_E_OUTOFMEMORY);
        if (at.start == XBL_MPSD_E_OUTOFMEMORY || strchr(at.calls, 's') == NULL) {
            /* refused before anything was sent (by the *_async call, or the
               auth callback had no room for its tokens): the token size is
               not known, so this is a size to start with */
            assert_true(at.needed > n);
            continue;
        }
        if (strchr(at.calls, 'x') != NULL) {
            /* a response header line longer than the whole response window
               cannot be parsed: the exchange ends there, so no exact figure;
               needed is one that gets past it. Only for the few sizes whose
               window is shorter than that line (checked below). */
            assert_true(sent == 0);
            assert_true(at.needed >= fit);
            if (first_sent == 0) first_sent = n;
            continue;
        }
        if (sent == 0 && first_sent != 0) assert_true(n - first_sent <= longest_line(ex));
        sent++;
        if (at.needed != fit) fail_msg("buffer %zu at +%zu: needed %zu, fits at %zu", n, offset, at.needed, fit);
        assert_int_equal(at.applied, applied);
        assert_string_equal(at.etag, etag);
        assert_string_equal(at.ref_name, GOLDEN_SNAME);   /* by handle: from Content-Location */
        /* the body was drained: the next request reuses the connection */
        assert_true(g_client.connected);
        assert_true(strchr(at.calls, 'x') == NULL);
    }
    assert_true(sent > 100);
    {   /* a fresh client: the first exchange at the fitting size, then a reuse */
        attempt at;
        setup_client();
        at = run(ex, work, fit - 1, sizeof g_out_arena);
        assert_int_equal(at.take, XBL_MPSD_E_OUTOFMEMORY);
        assert_string_equal(at.calls, "csr");
        at = run(ex, work, fit, sizeof g_out_arena);
        assert_int_equal(at.take, XBL_MPSD_OK);
        assert_string_equal(at.calls, "Csr");   /* checked and reused, not reopened */
        assert_int_equal(at.applied, applied);
        assert_string_equal(at.etag, etag);
    }
}

/* Arena too small: the result call answers with the exact arena size, and
   leaves out untouched and the result in place; that size works, one byte
   less does not. */
static void sweep_arena(const exchange *ex, bool applied, const char *etag)
{
    unsigned char *work = g_work_store + 3;
    size_t fit, need = 0, a;
    setup_client();
    fit = fitting_size(ex, work);
    for (a = 64; a <= sizeof g_out_arena; a++) {
        attempt at = run(ex, work, fit, a);
        if (at.take == XBL_MPSD_OK) { assert_int_equal(at.arena_needed, 0); break; }
        assert_int_equal(at.take, XBL_MPSD_E_OUTOFMEMORY);
        assert_int_equal(at.needed, 0);
        assert_int_equal(at.applied, applied);
        assert_string_equal(at.etag, etag);
        if (need == 0) need = at.arena_needed;
        if (at.arena_needed != need) fail_msg("arena %zu: needed %zu, first said %zu", a, at.arena_needed, need);
    }
    assert_true(need > 64);
    assert_int_equal(a, need);   /* the first arena that fits is the one reported */
    {   /* the same async: too small keeps the result; then the reported size takes it */
        xbl_mpsd_session before;
        attempt at = run(ex, work, fit, need - 1);
        assert_int_equal(at.take, XBL_MPSD_E_OUTOFMEMORY);
        memcpy(&before, &g_session, sizeof before);
        assert_int_equal(take(ex, &g_session), XBL_MPSD_E_OUTOFMEMORY);
        assert_memory_equal(&before, &g_session, sizeof before);   /* out untouched */
        assert_int_equal(xbl_mpsd_session_init(&g_session, GOLDEN_XUID1, NULL, NULL, g_out_arena, need), XBL_MPSD_OK);
        assert_int_equal(take(ex, &g_session), XBL_MPSD_OK);
        assert_string_equal(xbl_mpsd_session_etag(&g_session), etag);
        assert_int_equal(xbl_mpsd_async_needed_arena_bytes(&g_async), 0);
    }
}

static const exchange k_create = { OP_CREATE, "HTTP/1.1 201 Created", "ETag: \"e201\"\r\n", golden_doc_410 };
static const exchange k_create_handle = { OP_CREATE_HANDLE, "HTTP/1.1 201 Created",
    "ETag: \"h201\"\r\nContent-Location: " REF_PATH "\r\n", golden_doc_410 };
static const exchange k_get = { OP_GET, "HTTP/1.1 200 OK", "ETag: \"g200\"\r\n", golden_doc_410 };
static const exchange k_get_handle = { OP_GET_HANDLE, "HTTP/1.1 200 OK",
    "ETag: \"g201\"\r\nContent-Location: " REF_PATH "\r\n", golden_doc_410 };
static const exchange k_412 = { OP_CREATE, "HTTP/1.1 412 Precondition Failed", "ETag: \"p412\"\r\n", golden_doc_410 };

static void silence(void) { (void)mock_add_code; (void)mock_add_send; }

static void test_create_exact_and_applied(void **state)
{
    (void)state;
    silence();
    sweep_buffer(&k_create, 1, true, "\"e201\"");
    sweep_buffer(&k_create, 0, true, "\"e201\"");
}

static void test_create_by_handle_names_the_session(void **state)
{
    (void)state;
    sweep_buffer(&k_create_handle, 5, true, "\"h201\"");
}

static void test_get_exact_never_applied(void **state)
{
    (void)state;
    sweep_buffer(&k_get, 1, false, "\"g200\"");
    sweep_buffer(&k_get, 0, false, "\"g200\"");
    sweep_buffer(&k_get_handle, 7, false, "\"g201\"");
}

static void test_412_exact_not_applied(void **state)
{
    (void)state;
    sweep_buffer(&k_412, 2, false, "\"p412\"");
}

static void test_arena_exact(void **state)
{
    (void)state;
    sweep_arena(&k_create, true, "\"e201\"");
    sweep_arena(&k_get, false, "\"g200\"");
    sweep_arena(&k_412, false, "\"p412\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_exact_and_applied),
        cmocka_unit_test(test_create_by_handle_names_the_session),
        cmocka_unit_test(test_get_exact_never_applied),
        cmocka_unit_test(test_412_exact_not_applied),
        cmocka_unit_test(test_arena_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
