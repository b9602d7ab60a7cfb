/* HTTP/1.1 client, async state machine and the write/get calls, driven
   through the scripted mock port. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "mock_port.h"
#include "golden_bodies.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#define SCID  "00000000-0000-0000-0000-000000000000"
#define TNAME "quick"
#define SNAME "8d7a1b2c-0000-4000-8000-000000000001"
#define XUID  2814639011617876ULL
#define XUID_S "2814639011617876"
#define REF_PATH "/serviceconfigs/" SCID "/sessionTemplates/" TNAME "/sessions/" SNAME
#define HANDLE "6f6a1f7e-1111-4222-8333-444455556666"

#define DOC GOLDEN_HTTP_DOC
#define JOIN_BODY "{\"members\":{\"me\":{\"constants\":{\"system\":{\"xuid\":\"" XUID_S "\"}}," \
                  "\"properties\":{\"system\":{\"active\":true}}}}}"

/* ------------------------------------------------------------------ fixture */

typedef struct auth_state {
    int         pending;     /* answer PENDING this many times first */
    int         calls;
    xbl_mpsd_result fail;    /* non-zero: return this */
    const char *token;
    const char *signature;
    char        last_method[8];
    char        last_path[300];
    size_t      last_body_len;
} auth_state;

static mock_port     g_mock;
static xbl_mpsd_port g_port;
static auth_state    g_auth;
static xbl_mpsd_client g_client;
static xbl_mpsd_async  g_async;
static xbl_mpsd_session g_session;
static unsigned char g_arena[16384];
static unsigned char g_work[131072];

static xbl_mpsd_result test_auth(void *user, const char *method, const char *path,
        const uint8_t *body, size_t body_len, char *authorization, size_t authorization_cap,
        char *signature, size_t signature_cap)
{
    auth_state *a = (auth_state *)user;
    (void)body;
    a->calls++;
    snprintf(a->last_method, sizeof a->last_method, "%s", method);
    snprintf(a->last_path, sizeof a->last_path, "%s", path);
    a->last_body_len = body_len;
    if (a->pending > 0) { a->pending--; return XBL_MPSD_PENDING; }
    if (a->fail != 0) return a->fail;
    if (strlen(a->token) >= authorization_cap || strlen(a->signature) >= signature_cap) return XBL_MPSD_E_OUTOFMEMORY;
    strcpy(authorization, a->token);
    strcpy(signature, a->signature);
    return XBL_MPSD_OK;
}

static xbl_mpsd_client_config base_config(void)
{
    xbl_mpsd_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &g_port;
    cfg.xuid = XUID;
    cfg.auth = test_auth;
    cfg.auth_user = &g_auth;
    return cfg;
}

static void setup_with(size_t work_size)
{
    xbl_mpsd_client_config cfg;
    assert_true(work_size <= sizeof g_work);
    mock_init(&g_mock, &g_port);
    memset(&g_auth, 0, sizeof g_auth);
    g_auth.token = "XBL3.0 x=1;tok";
    g_auth.signature = "sig";
    cfg = base_config();
    assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_init(&g_async, g_work, work_size), XBL_MPSD_OK);
}

static void setup(void) { setup_with(sizeof g_work); }

static void make_session(xbl_mpsd_session *s, unsigned char *arena, size_t n)
{
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(SCID, TNAME, SNAME);
    assert_int_equal(xbl_mpsd_session_init(s, XUID, &ref, NULL, arena, n), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_join(s, NULL, false, true), XBL_MPSD_OK);
}

/* Polls to completion; every poll may make at most one port call that
   would wait. */
static xbl_mpsd_result drive(xbl_mpsd_async *a, int max_polls)
{
    xbl_mpsd_result r = XBL_MPSD_PENDING;
    int i;
    for (i = 0; i < max_polls && r == XBL_MPSD_PENDING; i++) {
        unsigned before = g_mock.would_blocks;
        r = xbl_mpsd_async_poll(a);
        assert_true(g_mock.would_blocks - before <= 1);
    }
    return r;
}

/* A session snapshot: struct plus the used part of its arena. */
typedef struct snapshot {
    xbl_mpsd_session s;
    unsigned char arena[sizeof g_arena];
    size_t used;
} snapshot;

static snapshot g_snap;

static void snap(const xbl_mpsd_session *s)
{
    memcpy(&g_snap.s, s, sizeof *s);
    g_snap.used = s->arena.used;
    memcpy(g_snap.arena, s->arena.base, s->arena.used);
}

static void assert_unchanged(const xbl_mpsd_session *s)
{
    assert_memory_equal(&g_snap.s, s, sizeof *s);
    assert_memory_equal(g_snap.arena, s->arena.base, g_snap.used);
}

/* ----------------------------------------------------------- the responses */

static char g_resp[8][12288];

static const char *resp_cl(int slot, const char *status_line, const char *headers, const char *body)
{
    snprintf(g_resp[slot], sizeof g_resp[slot], "%s\r\n%sContent-Length: %u\r\n\r\n%s",
             status_line, headers, (unsigned)strlen(body), body);
    return g_resp[slot];
}

/* Scripts one Content-Length response, whole. */
static void add_cl(const char *status_line, const char *headers, const char *body)
{
    resp_cl(0, status_line, headers, body);
    mock_add_bytes(&g_mock, g_resp[0], strlen(g_resp[0]));
}

#define DATE_H "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
#define DATE_T ((time_t)784111777)

/* ------------------------------------------------------------- one exchange */

typedef struct outcome {
    xbl_mpsd_result poll;
    xbl_mpsd_result result;
    uint32_t status;
    char error_text[256];
    bool has_doc;
    int write_status;
    char etag[128];
    time_t date;
    char ref_name[100];
    size_t needed;
} outcome;

enum { DELIVER_WHOLE, DELIVER_SPLIT, DELIVER_DRIP };
enum { OP_WRITE, OP_WRITE_HANDLE, OP_WRITE_HANDLE_NOREF, OP_GET, OP_GET_HANDLE };

static void script_response(const char *resp, size_t len, int how, size_t k)
{
    size_t i;
    if (how == DELIVER_WHOLE) mock_add_bytes(&g_mock, resp, len);
    else if (how == DELIVER_SPLIT) { mock_add_bytes(&g_mock, resp, k); mock_add_bytes(&g_mock, resp + k, len - k); }
    else for (i = 0; i < len; i++) { mock_add_bytes(&g_mock, resp + i, 1); mock_add_code(&g_mock, XBL_MPSD_E_WOULD_BLOCK); }
}

static xbl_mpsd_result start_op(int op, xbl_mpsd_session *s, xbl_mpsd_session_write_mode mode)
{
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(SCID, TNAME, SNAME);
    switch (op) {
    case OP_WRITE: return xbl_mpsd_write_session_async(&g_client, s, mode, &g_async);
    case OP_WRITE_HANDLE: case OP_WRITE_HANDLE_NOREF:
        return xbl_mpsd_write_session_by_handle_async(&g_client, s, mode, HANDLE, &g_async);
    case OP_GET: return xbl_mpsd_get_session_async(&g_client, &ref, &g_async);
    default: return xbl_mpsd_get_session_by_handle_async(&g_client, HANDLE, &g_async);
    }
}

static xbl_mpsd_result take(int op, xbl_mpsd_session *out)
{
    return (op == OP_GET || op == OP_GET_HANDLE) ? xbl_mpsd_get_session_result(&g_async, out)
                                                 : xbl_mpsd_write_session_result(&g_async, out);
}

static void make_op_session(int op)
{
    if (op == OP_WRITE_HANDLE_NOREF) {
        assert_int_equal(xbl_mpsd_session_init(&g_session, XUID, NULL, NULL, g_arena, sizeof g_arena), XBL_MPSD_OK);
        assert_int_equal(xbl_mpsd_session_join(&g_session, NULL, false, true), XBL_MPSD_OK);
    } else {
        make_session(&g_session, g_arena, sizeof g_arena);
    }
}

static outcome run(int op, const char *resp, int how, size_t k)
{
    outcome o;
    size_t len = strlen(resp);
    memset(&o, 0, sizeof o);
    setup();
    make_op_session(op);
    script_response(resp, len, how, k);
    assert_int_equal(start_op(op, &g_session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING), XBL_MPSD_OK);
    o.poll = drive(&g_async, 100000);
    o.status = xbl_mpsd_async_http_status(&g_async);
    snprintf(o.error_text, sizeof o.error_text, "%s", xbl_mpsd_async_error_text(&g_async));
    o.needed = xbl_mpsd_async_needed_bytes(&g_async);
    snap(&g_session);
    o.result = take(op, &g_session);
    if (o.result < 0 && o.result != XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND) assert_unchanged(&g_session);
    o.has_doc = xbl_mpsd_session_has_document(&g_session);
    o.write_status = (int)xbl_mpsd_session_write_status(&g_session);
    if (o.has_doc) {
        snprintf(o.etag, sizeof o.etag, "%s", xbl_mpsd_session_etag(&g_session));
        o.date = xbl_mpsd_session_time_of_session(&g_session);
        snprintf(o.ref_name, sizeof o.ref_name, "%s", xbl_mpsd_session_session_reference(&g_session)->session_name);
    }
    /* consumed */
    assert_int_equal(take(op, &g_session), XBL_MPSD_E_UNEXPECTED);
    return o;
}

static void assert_same(const outcome *a, const outcome *b)
{
    assert_int_equal(a->poll, b->poll);
    assert_int_equal(a->result, b->result);
    assert_int_equal(a->status, b->status);
    assert_string_equal(a->error_text, b->error_text);
    assert_int_equal(a->has_doc, b->has_doc);
    assert_int_equal(a->write_status, b->write_status);
    assert_string_equal(a->etag, b->etag);
    assert_true(a->date == b->date);
    assert_string_equal(a->ref_name, b->ref_name);
}

/* Runs whole, then split at every byte, then one byte per poll: same outcome. */
static outcome run_all_ways(int op, const char *resp)
{
    outcome whole = run(op, resp, DELIVER_WHOLE, 0), other;
    size_t k, len = strlen(resp);
    for (k = 1; k < len; k++) {
        other = run(op, resp, DELIVER_SPLIT, k);
        assert_same(&whole, &other);
    }
    other = run(op, resp, DELIVER_DRIP, 0);
    assert_same(&whole, &other);
    return whole;
}

/* ------------------------------------------------------------ request bytes */

static void expect_request(const char *method, const char *path, const char *precondition, const char *body)
{
    char expected[4096];
    char length[64] = "";
    if (strcmp(method, "PUT") == 0) snprintf(length, sizeof length, "Content-Length: %u\r\n", (unsigned)strlen(body));
    snprintf(expected, sizeof expected,
             "%s %s HTTP/1.1\r\n"
             "Host: sessiondirectory.xboxlive.com\r\n"
             "x-xbl-contract-version: 107\r\n"
             "Content-Type: application/json; charset=utf-8\r\n"
             "%s"
             "User-Agent: xbl_mpsd/" XBL_MPSD_VERSION_STRING "\r\n"
             "%s"
             "Authorization: XBL3.0 x=1;tok\r\n"
             "Signature: sig\r\n"
             "\r\n%s", method, path, length, precondition, body);
    assert_int_equal(g_mock.sent_len, strlen(expected));
    assert_memory_equal(g_mock.sent, expected, strlen(expected));
}

static void write_with_mode(xbl_mpsd_session *s, xbl_mpsd_session_write_mode mode)
{
    add_cl("HTTP/1.1 200 OK", "ETag: e200\r\n", DOC);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, s, mode, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_OK);
}

static void test_request_create_new(void **state)
{
    (void)state;
    setup();
    make_session(&g_session, g_arena, sizeof g_arena);
    write_with_mode(&g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW);
    expect_request("PUT", REF_PATH, "If-None-Match: *\r\n", JOIN_BODY);
    assert_string_equal(g_auth.last_method, "PUT");
    assert_string_equal(g_auth.last_path, REF_PATH);
    assert_int_equal(g_auth.last_body_len, strlen(JOIN_BODY));
    assert_string_equal(g_mock.last_host, "sessiondirectory.xboxlive.com");
    assert_int_equal(g_mock.last_port, 443);
}

static void test_request_update_or_create(void **state)
{
    (void)state;
    setup();
    make_session(&g_session, g_arena, sizeof g_arena);
    write_with_mode(&g_session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_OR_CREATE_NEW);
    expect_request("PUT", REF_PATH, "", JOIN_BODY);
}

static void test_request_update_existing(void **state)
{
    (void)state;
    setup();
    make_session(&g_session, g_arena, sizeof g_arena);
    write_with_mode(&g_session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING);
    expect_request("PUT", REF_PATH, "If-Match: *\r\n", JOIN_BODY);
}

static void test_request_synchronized_without_etag(void **state)
{
    (void)state;
    setup();
    make_session(&g_session, g_arena, sizeof g_arena);
    write_with_mode(&g_session, XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE);
    expect_request("PUT", REF_PATH, "If-None-Match: *\r\n", JOIN_BODY);
}

static void test_request_synchronized_with_etag(void **state)
{
    (void)state;
    setup();
    make_session(&g_session, g_arena, sizeof g_arena);
    write_with_mode(&g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
    assert_string_equal(xbl_mpsd_session_etag(&g_session), "e200");
    mock_reset_traffic(&g_mock);
    write_with_mode(&g_session, XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE);
    expect_request("PUT", REF_PATH, "If-Match: e200\r\n", "{}");
    assert_string_equal(g_mock.calls, "Csr");   /* kept alive: the liveness check answered OK */
}

static void test_request_by_handle(void **state)
{
    (void)state;
    setup();
    assert_int_equal(xbl_mpsd_session_init(&g_session, XUID, NULL, NULL, g_arena, sizeof g_arena), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_join(&g_session, NULL, false, true), XBL_MPSD_OK);
    add_cl("HTTP/1.1 200 OK", "Content-Location: " REF_PATH "\r\n", DOC);
    assert_int_equal(xbl_mpsd_write_session_by_handle_async(&g_client, &g_session,
                     XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, HANDLE, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_OK);
    expect_request("PUT", "/handles/" HANDLE "/session", "If-Match: *\r\n", JOIN_BODY);
}

static void test_request_get(void **state)
{
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(SCID, TNAME, SNAME);
    (void)state;
    setup();
    add_cl("HTTP/1.1 200 OK", "", DOC);
    assert_int_equal(xbl_mpsd_get_session_async(&g_client, &ref, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_OK);
    expect_request("GET", REF_PATH, "", "");
    assert_string_equal(g_auth.last_method, "GET");
    assert_int_equal(g_auth.last_body_len, 0);
}

static void test_request_get_by_handle(void **state)
{
    (void)state;
    setup();
    add_cl("HTTP/1.1 200 OK", "Content-Location: " REF_PATH "\r\n", DOC);
    assert_int_equal(xbl_mpsd_get_session_by_handle_async(&g_client, HANDLE, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_OK);
    expect_request("GET", "/handles/" HANDLE "/session", "", "");
}

static void test_request_optional_headers(void **state)
{
    xbl_mpsd_client_config cfg;
    const char *expect =
        "GET /handles/" HANDLE "/session HTTP/1.1\r\n"
        "Host: 127.0.0.1:8910\r\n"
        "x-xbl-contract-version: 107\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        "User-Agent: game/1.0\r\n"
        "Accept-Language: en-US\r\n"
        "Authorization: XBL3.0 x=1;tok\r\n"
        "\r\n";
    (void)state;
    setup();
    cfg = base_config();
    cfg.host = "127.0.0.1"; cfg.port_number = 8910; cfg.user_agent = "game/1.0"; cfg.accept_language = "en-US";
    assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_OK);
    g_auth.signature = "";   /* no Signature header */
    add_cl("HTTP/1.1 204 No Content", "", "");
    assert_int_equal(xbl_mpsd_get_session_by_handle_async(&g_client, HANDLE, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND);
    assert_int_equal(g_mock.sent_len, strlen(expect));
    assert_memory_equal(g_mock.sent, expect, strlen(expect));
    assert_string_equal(g_mock.last_host, "127.0.0.1");
    assert_int_equal(g_mock.last_port, 8910);
}

/* The Host value for a host (and host_header) and port: exact bytes. */
static void expect_host(const char *host, const char *host_header, uint16_t port_number, const char *expect)
{
    xbl_mpsd_client_config cfg;
    char line[300];
    setup();
    cfg = base_config();
    cfg.host = host; cfg.host_header = host_header; cfg.port_number = port_number;
    assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_OK);
    add_cl("HTTP/1.1 204 No Content", "", "");
    assert_int_equal(xbl_mpsd_get_session_by_handle_async(&g_client, HANDLE, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND);
    snprintf(line, sizeof line, "GET /handles/" HANDLE "/session HTTP/1.1\r\nHost: %s\r\nx-xbl", expect);
    assert_true(g_mock.sent_len > strlen(line));
    assert_memory_equal(g_mock.sent, line, strlen(line));
    /* the connect address is host, whatever Host says */
    assert_string_equal(g_mock.last_host, host != NULL ? host : "sessiondirectory.xboxlive.com");
    assert_int_equal(g_mock.last_port, port_number != 0 ? port_number : 443);
}

/* RFC 9110 §7.2: Host is the authority, an IPv6 literal in brackets; it
   names the service (host_header) independently of the connect address. */
static void test_request_host_header(void **state)
{
    (void)state;
    expect_host("::1", NULL, 36297, "[::1]:36297");
    expect_host("::1", NULL, 443, "[::1]");
    expect_host("[::1]", NULL, 8910, "[::1]:8910");   /* already bracketed: as given */
    expect_host("fe80::1%eth0", NULL, 8910, "[fe80::1]:8910");   /* RFC 6874 §4: no zone */
    expect_host("2001:db8::7", NULL, 0, "[2001:db8::7]");
    expect_host("127.0.0.1", NULL, 8910, "127.0.0.1:8910");
    expect_host("127.0.0.1", "mpsd.test", 8910, "mpsd.test:8910");
    expect_host("10.1.2.3", "sessiondirectory.xboxlive.com", 443, "sessiondirectory.xboxlive.com");
    expect_host(NULL, "front.test", 0, "front.test");
    expect_host("127.0.0.1", "::1", 8080, "[::1]:8080");
    expect_host("localhost", "[2001:db8::1]", 8080, "[2001:db8::1]:8080");
}

/* The token lives in the buffer only while it is sent. */
static bool contains(const uint8_t *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle), i;
    for (i = 0; i + k <= n; i++) if (memcmp(hay + i, needle, k) == 0) return true;
    return false;
}

static void test_request_token_wiped(void **state)
{
    size_t i;
    (void)state;
    setup();
    make_session(&g_session, g_arena, sizeof g_arena);
    g_auth.token = "XBL3.0 x=1;SECRETSECRET";
    g_auth.signature = "SIGSIGSIG";
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_PENDING);   /* sent, waiting for the response */
    assert_true(contains(g_mock.sent, g_mock.sent_len, "SECRETSECRET"));
    for (i = 0; i + 12 <= sizeof g_work; i++) assert_true(memcmp(g_work + i, "SECRETSECRET", 12) != 0);
    for (i = 0; i + 9 <= sizeof g_work; i++) assert_true(memcmp(g_work + i, "SIGSIGSIG", 9) != 0);
    xbl_mpsd_async_cancel(&g_async);
}

static void test_auth_pending_then_ok(void **state)
{
    (void)state;
    setup();
    make_session(&g_session, g_arena, sizeof g_arena);
    g_auth.pending = 3;
    add_cl("HTTP/1.1 201 Created", "ETag: e1\r\n", DOC);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_PENDING);
    assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_PENDING);
    assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_PENDING);
    assert_int_equal(g_mock.connects, 0);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_OK);
    assert_int_equal(g_auth.calls, 4);
}

static void test_auth_failure_ends(void **state)
{
    (void)state;
    setup();
    make_session(&g_session, g_arena, sizeof g_arena);
    g_auth.fail = XBL_MPSD_E_FAIL;
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 10), XBL_MPSD_E_FAIL);
    assert_int_equal(g_mock.sent_len, 0);
    g_auth.fail = 0;
    g_auth.token = "bad\r\nX-Injected: 1";
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, NULL), XBL_MPSD_E_FAIL);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 10), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(g_mock.sent_len, 0);
}

/* ------------------------------------------------------------ result cases */

static void test_result_200(void **state)
{
    outcome o;
    (void)state;
    o = run_all_ways(OP_WRITE, resp_cl(1, "HTTP/1.1 200 OK", "ETag: e200\r\n" DATE_H "Content-Type: application/json\r\n", DOC));
    assert_int_equal(o.poll, XBL_MPSD_OK);
    assert_int_equal(o.result, XBL_MPSD_OK);
    assert_int_equal(o.status, 200);
    assert_true(o.has_doc);
    assert_int_equal(o.write_status, XBL_MPSD_WRITE_SESSION_STATUS_UPDATED);
    assert_string_equal(o.etag, "e200");
    assert_true(o.date == DATE_T);
    assert_string_equal(o.ref_name, SNAME);
    assert_string_equal(o.error_text, "");
}

#define CHUNKED_201 GOLDEN_CHUNKED_201

static void test_result_201_chunked(void **state)
{
    outcome o;
    (void)state;
    o = run_all_ways(OP_WRITE, CHUNKED_201);
    assert_int_equal(o.result, XBL_MPSD_OK);
    assert_int_equal(o.status, 201);
    assert_int_equal(o.write_status, XBL_MPSD_WRITE_SESSION_STATUS_CREATED);
    assert_string_equal(o.etag, "\"e201\"");
}

static void test_result_412_with_body(void **state)
{
    outcome o;
    (void)state;
    o = run_all_ways(OP_WRITE, resp_cl(1, "HTTP/1.1 412 Precondition Failed", "ETag: latest\r\n", DOC));
    assert_int_equal(o.result, XBL_MPSD_OK);
    assert_int_equal(o.status, 412);
    assert_true(o.has_doc);
    assert_int_equal(o.write_status, XBL_MPSD_WRITE_SESSION_STATUS_OUT_OF_SYNC);
    assert_string_equal(o.etag, "latest");
}

static void test_result_412_no_body(void **state)
{
    outcome o;
    (void)state;
    o = run_all_ways(OP_WRITE, resp_cl(1, "HTTP/1.1 412 Precondition Failed", "", ""));
    assert_int_equal(o.result, XBL_MPSD_OK);
    assert_false(o.has_doc);
    assert_int_equal(o.write_status, XBL_MPSD_WRITE_SESSION_STATUS_OUT_OF_SYNC);
}

static void test_result_200_empty_body(void **state)
{
    outcome o;
    (void)state;
    o = run(OP_WRITE, resp_cl(1, "HTTP/1.1 201 Created", "", ""), DELIVER_WHOLE, 0);
    assert_int_equal(o.result, XBL_MPSD_OK);
    assert_false(o.has_doc);
    assert_int_equal(o.write_status, XBL_MPSD_WRITE_SESSION_STATUS_CREATED);
    o = run(OP_GET, resp_cl(1, "HTTP/1.1 200 OK", "", ""), DELIVER_WHOLE, 0);
    assert_int_equal(o.poll, XBL_MPSD_E_INVALID_JSON_STRING);
    assert_int_equal(o.result, XBL_MPSD_E_INVALID_JSON_STRING);
    assert_true(o.has_doc);   /* untouched: still the local session */
}

static void test_result_invalid_body(void **state)
{
    outcome o;
    (void)state;
    o = run_all_ways(OP_WRITE, resp_cl(1, "HTTP/1.1 200 OK", "", "{\"constants\":"));
    assert_int_equal(o.result, XBL_MPSD_E_INVALID_JSON_STRING);
    o = run(OP_WRITE, resp_cl(1, "HTTP/1.1 200 OK", "", "{\"constants\":{}}"), DELIVER_WHOLE, 0);
    assert_int_equal(o.result, XBL_MPSD_E_INVALID_JSON_STRING);   /* schema: no constants.system */
}

static void test_result_204(void **state)
{
    outcome o;
    (void)state;
    o = run_all_ways(OP_WRITE, "HTTP/1.1 204 No Content\r\n\r\n");
    assert_int_equal(o.result, XBL_MPSD_OK);
    assert_int_equal(o.status, 204);
    assert_false(o.has_doc);
    assert_int_equal(o.write_status, XBL_MPSD_WRITE_SESSION_STATUS_SESSION_DELETED);
    o = run_all_ways(OP_GET, "HTTP/1.1 204 No Content\r\n\r\n");
    assert_int_equal(o.poll, XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND);
    assert_int_equal(o.result, XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND);
    assert_false(o.has_doc);
    assert_int_equal(o.write_status, XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN);
}

static void check_error(int op, const char *resp, uint32_t status, const char *text)
{
    outcome o = run_all_ways(op, resp);
    assert_int_equal(o.poll, XBL_MPSD_E_HTTP_STATUS(status));
    assert_int_equal(o.result, XBL_MPSD_E_HTTP_STATUS(status));
    assert_int_equal(o.status, status);
    assert_string_equal(o.error_text, text);
    assert_true(o.has_doc);   /* untouched */
}

static void test_result_http_errors(void **state)
{
    (void)state;
    check_error(OP_WRITE, resp_cl(1, "HTTP/1.1 400 Bad Request", "Content-Type: text/plain\r\n",
                "Members can't be both ready and active."), 400, "Members can't be both ready and active.");
    check_error(OP_WRITE, resp_cl(1, "HTTP/1.1 401 Unauthorized", "", ""), 401, "");
    check_error(OP_WRITE, resp_cl(1, "HTTP/1.1 404 Not Found", "Content-Type: text/plain; charset=utf-8\r\n",
                "Unknown template."), 404, "Unknown template.");
    check_error(OP_GET, resp_cl(1, "HTTP/1.1 409 Conflict", "Content-Type: text/plain\r\n", "Constants differ."),
                409, "Constants differ.");
    /* the reason without the line end the service puts after it */
    check_error(OP_GET, resp_cl(1, "HTTP/1.1 409 Conflict", "Content-Type: text/plain\r\n", "Constants differ.\r\n"),
                409, "Constants differ.");
    check_error(OP_GET, resp_cl(1, "HTTP/1.1 400 Bad Request", "Content-Type: text/plain\r\n", "Bad.\n"), 400, "Bad.");
    check_error(OP_WRITE, resp_cl(1, "HTTP/1.1 503 Service Unavailable", "Retry-After: 7\r\n", ""), 503, "");
    check_error(OP_GET, resp_cl(1, "HTTP/1.1 403 Forbidden", "Content-Type: application/json\r\n", DOC), 403, "");
}

static void test_result_429_retry_after(void **state)
{
    (void)state;
    check_error(OP_WRITE, resp_cl(1, "HTTP/1.1 429 Too Many Requests",
                "Retry-After: 30\r\nContent-Type: application/json\r\n", "{\"maxRequests\":10}"), 429, "");
    assert_int_equal(g_async.response.retry_after, 30);
}

static void test_result_error_text_truncated(void **state)
{
    char body[1000];
    outcome o;
    (void)state;
    memset(body, 'x', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    o = run(OP_WRITE, resp_cl(1, "HTTP/1.1 400 Bad Request", "Content-Type: text/plain\r\n", body), DELIVER_WHOLE, 0);
    assert_int_equal(o.result, XBL_MPSD_E_HTTP_STATUS(400));
    assert_int_equal(strlen(o.error_text), 255);
}

static void test_result_by_handle_location(void **state)
{
    outcome o;
    (void)state;
    o = run_all_ways(OP_WRITE_HANDLE_NOREF, resp_cl(1, "HTTP/1.1 200 OK", "Content-Location: " REF_PATH "\r\n", DOC));
    assert_int_equal(o.result, XBL_MPSD_OK);
    assert_string_equal(o.ref_name, SNAME);
    o = run(OP_WRITE_HANDLE_NOREF, resp_cl(1, "HTTP/1.1 200 OK", "", DOC), DELIVER_WHOLE, 0);
    assert_int_equal(o.result, XBL_MPSD_E_FAIL);
    o = run(OP_WRITE_HANDLE_NOREF, resp_cl(1, "HTTP/1.1 200 OK", "Content-Location: /a/b\r\n", DOC), DELIVER_WHOLE, 0);
    assert_int_equal(o.result, XBL_MPSD_E_FAIL);
    /* the written session had a reference: Content-Location is not needed */
    o = run(OP_WRITE_HANDLE, resp_cl(1, "HTTP/1.1 200 OK", "", DOC), DELIVER_WHOLE, 0);
    assert_int_equal(o.result, XBL_MPSD_OK);
    assert_string_equal(o.ref_name, SNAME);
    o = run_all_ways(OP_GET_HANDLE, resp_cl(1, "HTTP/1.1 200 OK", "Content-Location: /serviceconfigs/" SCID
                     "/sessiontemplates/t2/sessions/other\r\n", DOC));
    assert_int_equal(o.result, XBL_MPSD_OK);
    assert_string_equal(o.ref_name, "other");
    assert_int_equal(o.write_status, XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN);
    o = run(OP_GET_HANDLE, resp_cl(1, "HTTP/1.1 200 OK", "", DOC), DELIVER_WHOLE, 0);
    assert_int_equal(o.result, XBL_MPSD_E_INVALIDARG);   /* consumed: run() checked */
}

static void test_result_get_200(void **state)
{
    outcome o;
    (void)state;
    o = run_all_ways(OP_GET, resp_cl(1, "HTTP/1.1 200 OK", "ETag: g1\r\n" DATE_H, DOC));
    assert_int_equal(o.result, XBL_MPSD_OK);
    assert_int_equal(o.write_status, XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN);
    assert_string_equal(o.etag, "g1");
    assert_string_equal(o.ref_name, SNAME);
}

static void test_result_interim_100(void **state)
{
    outcome o;
    (void)state;
    snprintf(g_resp[2], sizeof g_resp[2], "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\n%s",
             resp_cl(1, "HTTP/1.1 200 OK", "ETag: e\r\n", DOC));
    o = run_all_ways(OP_WRITE, g_resp[2]);
    assert_int_equal(o.result, XBL_MPSD_OK);
    assert_int_equal(o.status, 200);
    assert_string_equal(o.etag, "e");
}

static void test_result_close_delimited(void **state)
{
    outcome o;
    (void)state;
    snprintf(g_resp[2], sizeof g_resp[2], "HTTP/1.0 200 OK\r\nETag: c\r\n\r\n%s", DOC);
    setup();
    make_session(&g_session, g_arena, sizeof g_arena);
    mock_add_bytes(&g_mock, g_resp[2], strlen(g_resp[2]));
    mock_add_code(&g_mock, XBL_MPSD_E_EOF);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
    assert_string_equal(xbl_mpsd_session_etag(&g_session), "c");
    assert_false(g_client.connected);
    (void)o;
}

static void test_result_rules(void **state)
{
    xbl_mpsd_session other;
    (void)state;
    setup();
    make_session(&g_session, g_arena, sizeof g_arena);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, NULL), XBL_MPSD_E_UNEXPECTED);   /* nothing started */
    add_cl("HTTP/1.1 200 OK", "ETag: e\r\n", DOC);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_PENDING);
    assert_int_equal(xbl_mpsd_get_session_result(&g_async, &g_session), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_session_by_handle_result(&g_async, &g_session), XBL_MPSD_E_INVALIDARG);
    memset(&other, 0, sizeof other);   /* cleared: no arena */
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &other), XBL_MPSD_E_INVALIDARG);
    /* out's arena too small: not consumed */
    {
        static unsigned char tiny[1];
        xbl_mpsd_session small;
        xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(SCID, TNAME, SNAME);
        assert_int_equal(xbl_mpsd_session_init(&small, XUID, &ref, NULL, tiny, sizeof tiny), XBL_MPSD_OK);
        snap(&small);
        assert_int_equal(xbl_mpsd_write_session_by_handle_result(&g_async, &small), XBL_MPSD_E_OUTOFMEMORY);
        assert_unchanged(&small);
    }
    assert_int_equal(xbl_mpsd_write_session_by_handle_result(&g_async, &g_session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&g_async), 200);
}

/* ------------------------------------------------------------------- faults */

static xbl_mpsd_result write_once(void)
{
    setup();
    make_session(&g_session, g_arena, sizeof g_arena);
    return xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async);
}

static void finish_failed(xbl_mpsd_result expected)
{
    assert_int_equal(drive(&g_async, 100000), expected);
    snap(&g_session);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), expected);
    assert_unchanged(&g_session);
    assert_false(g_client.connected);
    assert_null(g_client.active);
}

static void test_fault_connect_refused(void **state)
{
    (void)state;
    assert_int_equal(write_once(), XBL_MPSD_OK);
    g_mock.connect_script[0] = XBL_MPSD_PENDING;
    g_mock.connect_script[1] = XBL_MPSD_E_CONNECT;
    g_mock.connect_n = 2;
    finish_failed(XBL_MPSD_E_CONNECT);
    assert_int_equal(xbl_mpsd_async_http_status(&g_async), 0);
}

static void test_fault_connect_timeout(void **state)
{
    int polls = 0;
    xbl_mpsd_result r = XBL_MPSD_PENDING;
    (void)state;
    assert_int_equal(write_once(), XBL_MPSD_OK);
    g_mock.connect_default = XBL_MPSD_PENDING;
    while (r == XBL_MPSD_PENDING) {
        g_mock.now += 1000;
        r = xbl_mpsd_async_poll(&g_async);
        polls++;
    }
    assert_int_equal(r, XBL_MPSD_E_TIMEOUT);
    assert_int_equal(polls, 30);   /* 30000 ms default, 1000 ms per poll */
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, NULL), XBL_MPSD_E_TIMEOUT);
}

static void eof_after(const char *prefix, int32_t code, xbl_mpsd_result expected)
{
    assert_int_equal(write_once(), XBL_MPSD_OK);
    if (prefix[0] != '\0') mock_add_bytes(&g_mock, prefix, strlen(prefix));
    mock_add_code(&g_mock, code);
    finish_failed(expected);
}

static void test_fault_eof_mid_response(void **state)
{
    (void)state;
    eof_after("HTTP/1.1 20", XBL_MPSD_E_EOF, XBL_MPSD_E_CONNECTION_CLOSED);
    eof_after("HTTP/1.1 200 OK\r\nETag: x\r\n", XBL_MPSD_E_EOF, XBL_MPSD_E_CONNECTION_CLOSED);
    eof_after("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"con", XBL_MPSD_E_EOF, XBL_MPSD_E_CONNECTION_CLOSED);
    eof_after("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"con", XBL_MPSD_E_EOF, XBL_MPSD_E_CONNECTION_CLOSED);
    eof_after("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n", XBL_MPSD_E_EOF, XBL_MPSD_E_CONNECTION_CLOSED);
    eof_after("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"con", XBL_MPSD_E_IO, XBL_MPSD_E_IO);
    eof_after("", XBL_MPSD_E_TLS, XBL_MPSD_E_TLS);   /* fresh connection: no resend */
    assert_int_equal(g_mock.connects, 1);
}

static void test_fault_partial_sends(void **state)
{
    size_t i;
    (void)state;
    assert_int_equal(write_once(), XBL_MPSD_OK);
    g_mock.send_default_cap = 1;
    for (i = 0; i < 40; i++) { mock_add_send(&g_mock, XBL_MPSD_E_WOULD_BLOCK); mock_add_send(&g_mock, 1); }
    add_cl("HTTP/1.1 200 OK", "", DOC);
    assert_int_equal(drive(&g_async, 100000), XBL_MPSD_OK);
    expect_request("PUT", REF_PATH, "If-None-Match: *\r\n", JOIN_BODY);
    assert_int_equal(g_mock.sends, g_mock.sent_len + 40);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
}

/* Head and body leave in one send when the body fits again after the head;
   the bytes are the same either way. */
static void test_one_send_per_request(void **state)
{
    (void)state;
    assert_int_equal(write_once(), XBL_MPSD_OK);
    add_cl("HTTP/1.1 200 OK", "", DOC);
    assert_int_equal(drive(&g_async, 100000), XBL_MPSD_OK);
    expect_request("PUT", REF_PATH, "If-None-Match: *\r\n", JOIN_BODY);
    assert_int_equal(g_mock.sends, 1);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
}

static void test_fault_send_error(void **state)
{
    (void)state;
    assert_int_equal(write_once(), XBL_MPSD_OK);
    mock_add_send(&g_mock, 5);
    mock_add_send(&g_mock, XBL_MPSD_E_IO);
    finish_failed(XBL_MPSD_E_IO);
}

static void test_fault_would_block_storm(void **state)
{
    int i;
    (void)state;
    assert_int_equal(write_once(), XBL_MPSD_OK);
    g_mock.connect_script[0] = XBL_MPSD_PENDING; g_mock.connect_n = 1;
    for (i = 0; i < 500; i++) mock_add_send(&g_mock, XBL_MPSD_E_WOULD_BLOCK);
    for (i = 0; i < 500; i++) mock_add_code(&g_mock, XBL_MPSD_E_WOULD_BLOCK);
    add_cl("HTTP/1.1 201 Created", "", DOC);
    for (i = 0; i < 1001; i++) assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_PENDING);
    assert_int_equal(drive(&g_async, 10), XBL_MPSD_OK);
}

/* An idle operation costs nothing but polls, and times out exactly at the deadline. */
static void test_idle_polls_timeout_at_deadline(void **state)
{
    int i;
    xbl_mpsd_client_config cfg;
    (void)state;
    setup();
    cfg = base_config();
    cfg.timeout_ms = 10000;
    assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_OK);
    make_session(&g_session, g_arena, sizeof g_arena);
    g_mock.now = 5;
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_OK);
    for (i = 0; i < 9999; i++) {
        unsigned before = g_mock.would_blocks;
        g_mock.now++;
        assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_PENDING);
        assert_true(g_mock.would_blocks - before <= 1);
    }
    g_mock.now++;   /* now == start + 10000 */
    assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_E_TIMEOUT);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_E_TIMEOUT);
}

static void test_clock_wraparound(void **state)
{
    int polls = 0;
    xbl_mpsd_result r = XBL_MPSD_PENDING;
    (void)state;
    setup();
    make_session(&g_session, g_arena, sizeof g_arena);
    g_mock.now = UINT32_MAX - 1000;
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_OK);
    g_mock.auto_step = 100;
    while (r == XBL_MPSD_PENDING && polls < 10000) { r = xbl_mpsd_async_poll(&g_async); polls++; }
    assert_int_equal(r, XBL_MPSD_E_TIMEOUT);
    assert_true(g_mock.now < 40000);   /* wrapped, and did not stop at the wrap */
    assert_true(polls >= 299);
    /* a response that arrives across the wrap completes normally */
    setup();
    make_session(&g_session, g_arena, sizeof g_arena);
    g_mock.now = UINT32_MAX - 10;
    g_mock.auto_step = 3;
    resp_cl(0, "HTTP/1.1 200 OK", "", DOC);
    script_response(g_resp[0], strlen(g_resp[0]), DELIVER_DRIP, 0);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 100000), XBL_MPSD_OK);
}

static void test_cancel_mid_flight(void **state)
{
    (void)state;
    assert_int_equal(write_once(), XBL_MPSD_OK);
    mock_add_bytes(&g_mock, "HTTP/1.1 200 OK\r\nCont", 21);
    assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_PENDING);
    snap(&g_session);
    xbl_mpsd_async_cancel(&g_async);
    assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_E_CANCELED);
    assert_false(g_client.connected);
    assert_int_equal(g_mock.closes, 1);
    assert_null(g_client.active);
    /* reusable at once, without taking the result */
    mock_reset_traffic(&g_mock);
    add_cl("HTTP/1.1 200 OK", "", DOC);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_OK);
    assert_int_equal(g_mock.connects, 2);
    /* cancel after completion changes nothing */
    xbl_mpsd_async_cancel(&g_async);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
}

static void test_busy_rules(void **state)
{
    xbl_mpsd_async second;
    static unsigned char work2[8192];
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(SCID, TNAME, SNAME);
    (void)state;
    assert_int_equal(write_once(), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_init(&second, work2, sizeof work2), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_session_async(&g_client, &ref, &second), XBL_MPSD_E_BUSY);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async),
                     XBL_MPSD_E_UNEXPECTED);
    add_cl("HTTP/1.1 200 OK", "", DOC);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_OK);
    /* done, result not taken: the async is still not free, the client is */
    assert_int_equal(xbl_mpsd_get_session_async(&g_client, &ref, &g_async), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_get_session_async(&g_client, &ref, &second), XBL_MPSD_OK);
    xbl_mpsd_async_cancel(&second);
}

static void test_argument_checks(void **state)
{
    xbl_mpsd_session cleared, bad;
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(SCID, TNAME, SNAME);
    xbl_mpsd_session_reference badref = ref;   /* built by hand: create would empty the field */
    xbl_mpsd_session_reference empty = xbl_mpsd_session_reference_create(SCID, "", SNAME);
    static unsigned char arena2[4096];
    (void)state;
    memcpy(badref.session_template_name, "qu ick", 7);
    setup();
    make_session(&g_session, g_arena, sizeof g_arena);
    memset(&cleared, 0, sizeof cleared);
    assert_int_equal(xbl_mpsd_write_session_async(NULL, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, NULL, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &cleared, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, (xbl_mpsd_session_write_mode)4, &g_async), XBL_MPSD_E_INVALIDARG);
    /* one validity rule: init refuses what a write would refuse */
    assert_int_equal(xbl_mpsd_session_init(&bad, XUID, &empty, NULL, arena2, sizeof arena2), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_session_init(&bad, XUID, &badref, NULL, arena2, sizeof arena2), XBL_MPSD_E_INVALIDARG);
    /* a session without a reference is written by handle only */
    assert_int_equal(xbl_mpsd_session_init(&bad, XUID, NULL, NULL, arena2, sizeof arena2), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &bad, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_E_RUNTIME_ERROR);
    assert_int_equal(xbl_mpsd_write_session_by_handle_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, "", &g_async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_write_session_by_handle_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, NULL, &g_async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_write_session_by_handle_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, "a\r\nb", &g_async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_session_by_handle_async(&g_client, "a/b", &g_async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_session_by_handle_async(&g_client, NULL, &g_async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_session_async(&g_client, NULL, &g_async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_session_async(&g_client, &badref, &g_async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_session_async(&g_client, &empty, &g_async), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_get_session_async(&g_client, &ref, NULL), XBL_MPSD_E_INVALIDARG);
    assert_null(g_client.active);
    assert_int_equal(g_mock.connects, 0);
    assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_E_UNEXPECTED);
    assert_int_equal(xbl_mpsd_async_poll(NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_async_init(NULL, g_work, 1), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_async_init(&g_async, NULL, 1), XBL_MPSD_E_INVALIDARG);
}

static void test_client_init_checks(void **state)
{
    xbl_mpsd_client_config cfg;
    xbl_mpsd_port broken;
    (void)state;
    setup();
    assert_int_equal(xbl_mpsd_client_init(NULL, NULL), XBL_MPSD_E_INVALIDARG);
    cfg = base_config(); assert_int_equal(xbl_mpsd_client_init(&g_client, NULL), XBL_MPSD_E_INVALIDARG);
    cfg = base_config(); cfg.port = NULL; assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_E_INVALIDARG);
    cfg = base_config(); cfg.auth = NULL; assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_E_INVALIDARG);
    cfg = base_config(); cfg.xuid = 0; assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_E_INVALIDARG);
    cfg = base_config(); cfg.host = "a\r\nX: y"; assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_E_INVALIDARG);
    cfg = base_config(); cfg.host = ""; assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_E_INVALIDARG);
    cfg = base_config(); cfg.host_header = "a\r\nX: y"; assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_E_INVALIDARG);
    cfg = base_config(); cfg.host_header = "name\n"; assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_E_INVALIDARG);
    cfg = base_config(); cfg.host_header = ""; assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_E_INVALIDARG);
    cfg = base_config(); cfg.user_agent = "ua\n"; assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_E_INVALIDARG);
    cfg = base_config(); cfg.accept_language = "en\r"; assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_E_INVALIDARG);
    broken = g_port; broken.connect = NULL;
    cfg = base_config(); cfg.port = &broken; assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_E_INVALIDARG);
    broken = g_port; broken.send = NULL; assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_E_INVALIDARG);
    broken = g_port; broken.recv = NULL; assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_E_INVALIDARG);
    broken = g_port; broken.close = NULL; assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_E_INVALIDARG);
    broken = g_port; broken.now_ms = NULL; assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_E_INVALIDARG);
    broken = g_port; assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_OK);
    memset(&broken, 0, sizeof broken);   /* the config (and port) were copied */
    assert_non_null(g_client.port.connect);
    xbl_mpsd_client_close(&g_client);
    xbl_mpsd_client_close(NULL);
}

/* --------------------------------------------------------------- keep-alive */

/* A client whose first write went through: its connection is kept, the
   port's script and recording start afresh. */
static void kept_connection(void)
{
    setup();
    make_session(&g_session, g_arena, sizeof g_arena);
    write_with_mode(&g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
    assert_true(g_client.connected);
    mock_reset_traffic(&g_mock);
}

static void test_keep_alive_reuse_and_close(void **state)
{
    (void)state;
    kept_connection();
    add_cl("HTTP/1.1 200 OK", "Connection: close\r\n", DOC);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_OK);
    assert_string_equal(g_mock.calls, "Csrx");   /* checked, reused, closed as asked */
    assert_false(g_client.connected);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
    mock_reset_traffic(&g_mock);
    write_with_mode(&g_session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING);
    assert_string_equal(g_mock.calls, "csr");   /* a new connection */
    assert_int_equal(g_mock.connects, 3);
    /* an HTTP error response leaves the connection usable */
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
    mock_reset_traffic(&g_mock);
    add_cl("HTTP/1.1 409 Conflict", "Content-Type: text/plain\r\n", "no");
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_E_HTTP_STATUS(409));
    assert_true(g_client.connected);
    xbl_mpsd_client_close(&g_client);
    assert_false(g_client.connected);
}

static void stale_connection(int32_t first_failure, bool fail_again)
{
    kept_connection();
    mock_add_code(&g_mock, first_failure);
    if (fail_again) mock_add_code(&g_mock, XBL_MPSD_E_EOF);
    else add_cl("HTTP/1.1 200 OK", "ETag: again\r\n", DOC);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &g_async), XBL_MPSD_OK);
}

static void test_stale_keep_alive_resent_once(void **state)
{
    size_t half;
    (void)state;
    stale_connection(XBL_MPSD_E_EOF, false);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_OK);
    assert_string_equal(g_mock.calls, "Csrxcsr");   /* dead after the check: resent once */
    assert_int_equal(g_auth.calls, 3);   /* the token is asked for again */
    half = g_mock.sent_len / 2;
    assert_memory_equal(g_mock.sent, g_mock.sent + half, half);   /* the same request twice */
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
    assert_string_equal(xbl_mpsd_session_etag(&g_session), "again");

    stale_connection(XBL_MPSD_E_IO, false);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_OK);
    assert_string_equal(g_mock.calls, "Csrxcsr");
}

static void test_stale_keep_alive_never_twice(void **state)
{
    (void)state;
    stale_connection(XBL_MPSD_E_EOF, true);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_E_CONNECTION_CLOSED);
    assert_string_equal(g_mock.calls, "Csrxcsrx");
    /* send failure on the kept connection: resent; fails again: ends */
    kept_connection();
    mock_add_send(&g_mock, XBL_MPSD_E_IO);
    mock_add_send(&g_mock, XBL_MPSD_E_IO);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_E_IO);
    assert_string_equal(g_mock.calls, "Csxcsx");
    /* after a response byte: no resend */
    kept_connection();
    mock_add_bytes(&g_mock, "H", 1);
    mock_add_code(&g_mock, XBL_MPSD_E_EOF);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_E_CONNECTION_CLOSED);
    assert_string_equal(g_mock.calls, "Csrrx");
}

/* The server closed the kept connection while it sat idle: the liveness
   check (connect on the open connection) finds it dead and the port starts
   a fresh one, so the request is sent once, on the new connection, and
   nothing is sent on the dead one. */
static void test_dead_idle_connection_costs_no_send(void **state)
{
    (void)state;
    kept_connection();
    g_mock.connect_script[0] = XBL_MPSD_PENDING;   /* found dead: connecting afresh */
    g_mock.connect_script[1] = XBL_MPSD_OK;
    g_mock.connect_n = 2;
    add_cl("HTTP/1.1 200 OK", "ETag: fresh\r\n", DOC);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_OK);
    assert_string_equal(g_mock.calls, "ccsr");
    assert_int_equal(g_auth.calls, 2);   /* no second token: nothing was resent */
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
    assert_string_equal(xbl_mpsd_session_etag(&g_session), "fresh");

    /* the fresh connection is not a kept one: EOF before any byte ends the
       operation instead of a resend */
    mock_reset_traffic(&g_mock);
    g_mock.connect_script[2] = XBL_MPSD_PENDING;
    g_mock.connect_script[3] = XBL_MPSD_OK;
    g_mock.connect_n = 4;
    mock_add_code(&g_mock, XBL_MPSD_E_EOF);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_E_CONNECTION_CLOSED);
    assert_string_equal(g_mock.calls, "ccsrx");
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_E_CONNECTION_CLOSED);

    /* the liveness check fails outright: the port's code, nothing sent */
    g_mock.connect_script[4] = XBL_MPSD_OK;
    g_mock.connect_n = 5;
    write_with_mode(&g_session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
    mock_reset_traffic(&g_mock);
    g_mock.connect_script[5] = XBL_MPSD_E_CONNECT;
    g_mock.connect_n = 6;
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_E_CONNECT);
    assert_string_equal(g_mock.calls, "cx");
    assert_false(g_client.connected);
}

/* ----------------------------------------------------------- buffer sizing */

static char g_big_doc[6000];

static const char *big_doc(void)
{
    size_t n;
    strcpy(g_big_doc, "{\"constants\":{\"system\":{\"visibility\":\"open\"},\"custom\":{\"pad\":[");
    n = strlen(g_big_doc);
    while (n < 5000) { memcpy(g_big_doc + n, "1,2,", 4); n += 4; }
    strcpy(g_big_doc + n, "3]}},\"properties\":{\"system\":{}}}");
    return g_big_doc;
}

static xbl_mpsd_result sized_write(size_t work, const char *resp, bool chunked_drip)
{
    setup_with(work);
    make_session(&g_session, g_arena, sizeof g_arena);
    if (chunked_drip) script_response(resp, strlen(resp), DELIVER_DRIP, 0);
    else mock_add_bytes(&g_mock, resp, strlen(resp));
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_OK);
    return drive(&g_async, 100000);
}

static void oversized_then_fits(const char *resp, bool drip)
{
    size_t needed;
    assert_int_equal(sized_write(2048, resp, drip), XBL_MPSD_E_OUTOFMEMORY);
    needed = xbl_mpsd_async_needed_bytes(&g_async);
    assert_true(needed > 2048);
    snap(&g_session);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_E_OUTOFMEMORY);
    assert_unchanged(&g_session);
    assert_true(g_client.connected);   /* the response was read to its end */
    assert_int_equal(sized_write(needed, resp, drip), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_session_constants(&g_session)->visibility, XBL_MPSD_SESSION_VISIBILITY_OPEN);
    /* a byte less does not */
    assert_int_equal(sized_write(needed - 1, resp, drip), XBL_MPSD_E_OUTOFMEMORY);
}

static void test_oversized_body(void **state)
{
    static char chunked[8000];
    const char *doc;
    (void)state;
    doc = big_doc();
    oversized_then_fits(resp_cl(3, "HTTP/1.1 200 OK", "ETag: big\r\n", doc), false);
    snprintf(chunked, sizeof chunked, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n",
             (unsigned)strlen(doc), doc);
    oversized_then_fits(chunked, false);
    oversized_then_fits(chunked, true);
}

static void test_request_does_not_fit(void **state)
{
    size_t needed;
    (void)state;
    setup_with(100);
    make_session(&g_session, g_arena, sizeof g_arena);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async),
                     XBL_MPSD_E_OUTOFMEMORY);
    assert_null(g_client.active);
    assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_E_UNEXPECTED);   /* nothing started */
    needed = xbl_mpsd_async_needed_bytes(&g_async);
    assert_true(needed > 100);
    setup_with(needed);
    make_session(&g_session, g_arena, sizeof g_arena);
    add_cl("HTTP/1.1 201 Created", "", "");
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_OK);
    /* the token itself does not fit: the auth callback says so */
    setup_with(600);
    make_session(&g_session, g_arena, sizeof g_arena);
    {
        static char long_token[3000];
        memset(long_token, 't', sizeof long_token - 1);
        g_auth.token = long_token;
    }
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(&g_async, 100), XBL_MPSD_E_OUTOFMEMORY);
    assert_true(xbl_mpsd_async_needed_bytes(&g_async) > 600);
    assert_int_equal(g_mock.sent_len, 0);
}

/* --------------------------------------------------------- parser rejects */

static void expect_protocol_error(const char *resp)
{
    outcome o = run(OP_WRITE, resp, DELIVER_WHOLE, 0);
    assert_int_equal(o.poll, XBL_MPSD_E_HTTP_PROTOCOL);
    assert_int_equal(o.result, XBL_MPSD_E_HTTP_PROTOCOL);
    assert_false(g_client.connected);
    o = run(OP_WRITE, resp, DELIVER_DRIP, 0);
    assert_int_equal(o.poll, XBL_MPSD_E_HTTP_PROTOCOL);
}

static void test_parser_rejects(void **state)
{
    static char huge[XBL_MPSD_HTTP_MAX_HEADER_BYTES + 200];
    size_t n;
    (void)state;
    expect_protocol_error("HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\n{}");
    expect_protocol_error("HTTP/1.1 2x0 OK\r\n\r\n");
    expect_protocol_error("HTTPS/1.1 200 OK\r\n\r\n");
    expect_protocol_error("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
    expect_protocol_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}");
    expect_protocol_error("HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\n{}");
    expect_protocol_error("HTTP/1.1 200 OK\r\nContent-Length: 2 2\r\n\r\n{}");
    expect_protocol_error("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n{}");
    expect_protocol_error("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}");
    expect_protocol_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
    expect_protocol_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");
    expect_protocol_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-2\r\n{}\r\n0\r\n\r\n");
    expect_protocol_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n{}\r\n0\r\n\r\n");
    expect_protocol_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n");
    expect_protocol_error("HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\n{}");          /* bare LF */
    expect_protocol_error("HTTP/1.1 200 OK\r\nX: a\rContent-Length: 2\r\n\r\n{}");  /* bare CR */
    expect_protocol_error("HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\n{}");       /* space before colon */
    expect_protocol_error("HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 2\r\n\r\n{}");   /* folded */
    expect_protocol_error("HTTP/1.1 101 Switching Protocols\r\n\r\n");
    {
        static const char nul[] = "HTTP/1.1 200 OK\r\nX: a\0b\r\nContent-Length: 2\r\n\r\n{}";
        setup();
        make_session(&g_session, g_arena, sizeof g_arena);
        mock_add_bytes(&g_mock, nul, sizeof nul - 1);
        assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_OK);
        assert_int_equal(drive(&g_async, 100), XBL_MPSD_E_HTTP_PROTOCOL);
    }
    /* oversized header block */
    n = (size_t)snprintf(huge, sizeof huge, "HTTP/1.1 200 OK\r\nX-Big: ");
    memset(huge + n, 'a', XBL_MPSD_HTTP_MAX_HEADER_BYTES);
    strcpy(huge + n + XBL_MPSD_HTTP_MAX_HEADER_BYTES, "\r\nContent-Length: 2\r\n\r\n{}");
    expect_protocol_error(huge);
    /* many small headers adding up past the limit */
    n = (size_t)snprintf(huge, sizeof huge, "HTTP/1.1 200 OK\r\n");
    while (n < XBL_MPSD_HTTP_MAX_HEADER_BYTES) n += (size_t)snprintf(huge + n, sizeof huge - n, "X-A: 12345678\r\n");
    strcpy(huge + n, "Content-Length: 2\r\n\r\n{}");
    expect_protocol_error(huge);
}

static void test_parser_units(void **state)
{
    xbl_mpsd__http_response r;
    unsigned char win[256];
    const char *resp = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    (void)state;
    xbl_mpsd__hr_init(&r, true);
    memcpy(win, resp, strlen(resp));
    r.raw_len = strlen(resp);
    assert_int_equal(xbl_mpsd__hr_feed(&r, win, sizeof win), XBL_MPSD_OK);
    assert_int_equal(r.body_len, 5);
    assert_memory_equal(win, "abcde", 5);   /* decoded in place */
    assert_true(xbl_mpsd__parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT", 29) == 0);
    assert_true(xbl_mpsd__parse_http_date("Sat, 29 Feb 2020 23:59:59 GMT", 29) == (time_t)1583020799);
    assert_true(xbl_mpsd__parse_http_date("Sat, 29 Feb 2020 23:59:59 UTC", 29) == 0);
    assert_true(xbl_mpsd__parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", 30) == 0);
    assert_true(xbl_mpsd__has_token("keep-alive, Close", 17, "close"));
    assert_false(xbl_mpsd__has_token("closed", 6, "close"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_create_new),
        cmocka_unit_test(test_request_update_or_create),
        cmocka_unit_test(test_request_update_existing),
        cmocka_unit_test(test_request_synchronized_without_etag),
        cmocka_unit_test(test_request_synchronized_with_etag),
        cmocka_unit_test(test_request_by_handle),
        cmocka_unit_test(test_request_get),
        cmocka_unit_test(test_request_get_by_handle),
        cmocka_unit_test(test_request_optional_headers),
        cmocka_unit_test(test_request_host_header),
        cmocka_unit_test(test_request_token_wiped),
        cmocka_unit_test(test_auth_pending_then_ok),
        cmocka_unit_test(test_auth_failure_ends),
        cmocka_unit_test(test_result_200),
        cmocka_unit_test(test_result_201_chunked),
        cmocka_unit_test(test_result_412_with_body),
        cmocka_unit_test(test_result_412_no_body),
        cmocka_unit_test(test_result_200_empty_body),
        cmocka_unit_test(test_result_invalid_body),
        cmocka_unit_test(test_result_204),
        cmocka_unit_test(test_result_http_errors),
        cmocka_unit_test(test_result_429_retry_after),
        cmocka_unit_test(test_result_error_text_truncated),
        cmocka_unit_test(test_result_by_handle_location),
        cmocka_unit_test(test_result_get_200),
        cmocka_unit_test(test_result_interim_100),
        cmocka_unit_test(test_result_close_delimited),
        cmocka_unit_test(test_result_rules),
        cmocka_unit_test(test_fault_connect_refused),
        cmocka_unit_test(test_fault_connect_timeout),
        cmocka_unit_test(test_fault_eof_mid_response),
        cmocka_unit_test(test_fault_partial_sends),
        cmocka_unit_test(test_one_send_per_request),
        cmocka_unit_test(test_fault_send_error),
        cmocka_unit_test(test_fault_would_block_storm),
        cmocka_unit_test(test_idle_polls_timeout_at_deadline),
        cmocka_unit_test(test_clock_wraparound),
        cmocka_unit_test(test_cancel_mid_flight),
        cmocka_unit_test(test_busy_rules),
        cmocka_unit_test(test_argument_checks),
        cmocka_unit_test(test_client_init_checks),
        cmocka_unit_test(test_keep_alive_reuse_and_close),
        cmocka_unit_test(test_dead_idle_connection_costs_no_send),
        cmocka_unit_test(test_stale_keep_alive_resent_once),
        cmocka_unit_test(test_stale_keep_alive_never_twice),
        cmocka_unit_test(test_oversized_body),
        cmocka_unit_test(test_request_does_not_fit),
        cmocka_unit_test(test_parser_rejects),
        cmocka_unit_test(test_parser_units),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
