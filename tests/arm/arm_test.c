/* arm_test.c - the SDK on a Cortex-M4 (QEMU mps2-an386), default
   configuration, no heap. Every exchange runs through the scripted
   in-memory port of the host suite (tests/mock_port.h) with the response
   delivered one byte per recv; the expected request bodies and the read-back
   document are the host suite's golden data (tests/golden_bodies.h).

   Output: one line per failed check, then a `stack peak <entry> <bytes>`
   line per public entry point (measured by painting the stack), then
   `N passed, M failed`. The exit status (semihosting) is 0 only if every
   case passed. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"

#define JSON_EQ_MAX_TOKENS 1024
#include "json_eq.h"
/* every response here is under 5 KB: two script steps a byte */
#define MOCK_MAX_STEPS 12000
#define MOCK_SENT_CAP  8192
#include "mock_port.h"
#include "test_auth.h"
#include "golden_bodies.h"
#include "semihost.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------- harness */

static unsigned g_passed, g_failed, g_case_failures;
static const char *g_case = "";

static void case_begin(const char *name)
{
    g_case = name;
    g_case_failures = 0;
}

static void case_end(void)
{
    if (g_case_failures == 0) g_passed++;
    else g_failed++;
}

static bool check_at(bool ok, int line, const char *what)
{
    if (!ok) {
        printf("FAIL %s: line %d: %s\n", g_case, line, what);
        g_case_failures++;
    }
    return ok;
}

#define CHECK(cond) check_at((cond), __LINE__, #cond)
#define CHECK_RESULT(call, expected) check_result_at((call), (expected), __LINE__, #call)

static bool check_result_at(xbl_mpsd_result got, xbl_mpsd_result expected, int line, const char *what)
{
    if (got != expected) {
        printf("FAIL %s: line %d: %s returned %s, expected %s\n", g_case, line, what,
               xbl_mpsd_result_string(got), xbl_mpsd_result_string(expected));
        g_case_failures++;
        return false;
    }
    return true;
}

/* ----------------------------------------------------------------- rig */

#define REF_PATH "/serviceconfigs/" GOLDEN_SCID "/sessionTemplates/" GOLDEN_TMPL "/sessions/" GOLDEN_SNAME
#define HANDLE   "6f6a1f7e-1111-4222-8333-444455556666"
#define ARENA_BYTES 16384
#define WORK_BYTES  32768

typedef union arena_mem { unsigned char b[ARENA_BYTES]; uint64_t align_u64; void *align_p; } arena_mem;

static mock_port        g_mock;
static xbl_mpsd_port    g_port;
static xbl_mpsd_client  g_client;
static xbl_mpsd_async   g_op;
static xbl_mpsd_session g_sess, g_other;
static arena_mem        g_arena, g_arena2;
static uint64_t         g_work_mem[WORK_BYTES / 8];

static void rig_setup(uint64_t xuid, size_t work_bytes)
{
    xbl_mpsd_client_config cfg;
    mock_init(&g_mock, &g_port);
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &g_port;
    cfg.xuid = xuid;
    cfg.auth = test_auth;
    CHECK_RESULT(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_OK);
    CHECK_RESULT(xbl_mpsd_async_init(&g_op, g_work_mem, work_bytes), XBL_MPSD_OK);
}

/* Every byte its own recv, a WOULD_BLOCK between two bytes. */
static void script_drip(const char *resp, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        mock_add_bytes(&g_mock, resp + i, 1);
        mock_add_code(&g_mock, XBL_MPSD_E_WOULD_BLOCK);
    }
}

static char g_resp[4][8192];

/* A Content-Length response in slot `slot`. */
static const char *resp_cl(int slot, const char *status_line, const char *headers, const char *body)
{
    snprintf(g_resp[slot], sizeof g_resp[slot], "%s\r\n%sContent-Length: %u\r\n\r\n%s",
             status_line, headers, (unsigned)strlen(body), body);
    return g_resp[slot];
}

/* The same as chunked transfer coding, 100-byte chunks. */
static const char *resp_chunked(int slot, const char *status_line, const char *headers, const char *body)
{
    size_t n = strlen(body), at = 0, len;
    len = (size_t)snprintf(g_resp[slot], sizeof g_resp[slot], "%s\r\n%sTransfer-Encoding: chunked\r\n\r\n",
                           status_line, headers);
    while (at < n) {
        size_t k = n - at < 100 ? n - at : 100;
        len += (size_t)snprintf(g_resp[slot] + len, sizeof g_resp[slot] - len, "%x\r\n%.*s\r\n",
                                (unsigned)k, (int)k, body + at);
        at += k;
    }
    snprintf(g_resp[slot] + len, sizeof g_resp[slot] - len, "0\r\n\r\n");
    return g_resp[slot];
}

static void script_response(const char *resp)
{
    script_drip(resp, strlen(resp));
}

static xbl_mpsd_result drive(void)
{
    xbl_mpsd_result r = XBL_MPSD_PENDING;
    long polls;
    for (polls = 0; polls < 200000 && r == XBL_MPSD_PENDING; polls++) r = xbl_mpsd_async_poll(&g_op);
    return r;
}

/* The request on the wire: exact request line, Content-Length of the body
   actually sent, the precondition and Authorization lines, and a body equal
   to the golden one (structurally, key order where it matters). */
static char g_sent[MOCK_SENT_CAP + 1];

static void check_request(const char *method, const char *path, const char *precondition, const char *body)
{
    char line[400];
    const char *head_end, *sent_body;
    memcpy(g_sent, g_mock.sent, g_mock.sent_len);
    g_sent[g_mock.sent_len] = '\0';
    snprintf(line, sizeof line, "%s %s HTTP/1.1\r\n", method, path);
    CHECK(strncmp(g_sent, line, strlen(line)) == 0);
    head_end = strstr(g_sent, "\r\n\r\n");
    if (!CHECK(head_end != NULL)) return;
    sent_body = head_end + 4;
    CHECK(strstr(g_sent, "\r\nAuthorization: XBL3.0 x=1;tok\r\n") != NULL);
    CHECK(strstr(g_sent, "\r\nx-xbl-contract-version: 107\r\n") != NULL);
    if (precondition) {
        snprintf(line, sizeof line, "\r\n%s\r\n", precondition);
        CHECK(strstr(g_sent, line) != NULL && strstr(g_sent, line) < head_end);
    }
    if (body) {
        snprintf(line, sizeof line, "\r\nContent-Length: %u\r\n", (unsigned)strlen(sent_body));
        CHECK(strstr(g_sent, line) != NULL);
        if (!json_eq_paths(body, sent_body, golden_ordered)) CHECK(!"request body differs from the golden body");
    } else {
        CHECK(*sent_body == '\0');
    }
}

/* A snapshot of a session: the struct and the used part of its arena. */
static struct { xbl_mpsd_session s; unsigned char arena[ARENA_BYTES]; size_t used; } g_snap;

static void snap(const xbl_mpsd_session *s)
{
    memcpy(&g_snap.s, s, sizeof *s);
    g_snap.used = s->arena.used;
    if (g_snap.used <= ARENA_BYTES && s->arena.base) memcpy(g_snap.arena, s->arena.base, g_snap.used);
}

static bool unchanged(const xbl_mpsd_session *s)
{
    return memcmp(&g_snap.s, s, sizeof *s) == 0 &&
           (g_snap.used == 0 || memcmp(g_snap.arena, s->arena.base, g_snap.used) == 0);
}

static xbl_mpsd_result init_session(xbl_mpsd_session *s, uint64_t xuid, void *arena, size_t size)
{
    return golden_init_user(s, xuid, NULL, arena, size);
}

/* A joined local session, written with `mode`; the response scripted. */
static void start_write(const char *resp, xbl_mpsd_session_write_mode mode)
{
    rig_setup(GOLDEN_XUID1, WORK_BYTES);
    CHECK_RESULT(init_session(&g_sess, GOLDEN_XUID1, g_arena.b, sizeof g_arena.b), XBL_MPSD_OK);
    CHECK_RESULT(xbl_mpsd_session_join(&g_sess, NULL, false, true), XBL_MPSD_OK);
    script_response(resp);
    CHECK_RESULT(xbl_mpsd_write_session_async(&g_client, &g_sess, mode, &g_op), XBL_MPSD_OK);
}

static void start_get(const char *resp, size_t work_bytes)
{
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(GOLDEN_SCID, GOLDEN_TMPL, GOLDEN_SNAME);
    rig_setup(GOLDEN_XUID1, work_bytes);
    CHECK_RESULT(init_session(&g_sess, GOLDEN_XUID1, g_arena.b, sizeof g_arena.b), XBL_MPSD_OK);
    script_response(resp);
    CHECK_RESULT(xbl_mpsd_get_session_async(&g_client, &ref, &g_op), XBL_MPSD_OK);
}

/* ------------------------------------------------------ the session model */

/* Writes g_sess (the response scripted already) and checks the request on
   the wire and what the result call made of the answer. */
static void write_checked(xbl_mpsd_session_write_mode mode, const char *precondition, const char *body,
                          xbl_mpsd_write_session_status status, const char *etag)
{
    CHECK_RESULT(xbl_mpsd_write_session_async(&g_client, &g_sess, mode, &g_op), XBL_MPSD_OK);
    CHECK_RESULT(drive(), XBL_MPSD_OK);
    check_request("PUT", REF_PATH, precondition, body);
    CHECK_RESULT(xbl_mpsd_write_session_result(&g_op, &g_sess), XBL_MPSD_OK);
    CHECK(xbl_mpsd_session_write_status(&g_sess) == status);
    CHECK(strcmp(xbl_mpsd_session_etag(&g_sess), etag) == 0);
}

/* Each golden body, built on the target and sent in a whole write exchange. */
static void test_golden_body(const golden_body *g)
{
    char name[120];
    snprintf(name, sizeof name, "body: %s", g->name);
    case_begin(name);
    rig_setup(GOLDEN_XUID1, WORK_BYTES);
    CHECK_RESULT(g->build(&g_sess, g_arena.b, sizeof g_arena.b), XBL_MPSD_OK);
    script_response(resp_cl(0, "HTTP/1.1 200 OK", "ETag: e200\r\n", GOLDEN_HTTP_DOC));
    write_checked(XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, "If-Match: *", g->body,
                  XBL_MPSD_WRITE_SESSION_STATUS_UPDATED, "e200");
    case_end();
}

/* Reads golden_doc_410 (chunked) into g_sess for `xuid`. */
static void get_doc_410(uint64_t xuid)
{
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(GOLDEN_SCID, GOLDEN_TMPL, GOLDEN_SNAME);
    rig_setup(xuid, WORK_BYTES);
    CHECK_RESULT(init_session(&g_sess, xuid, g_arena.b, sizeof g_arena.b), XBL_MPSD_OK);
    script_response(resp_chunked(0, "HTTP/1.1 200 OK", "ETag: \"e410\"\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
                                 golden_doc_410));
    CHECK_RESULT(xbl_mpsd_get_session_async(&g_client, &ref, &g_op), XBL_MPSD_OK);
    CHECK_RESULT(drive(), XBL_MPSD_OK);
    check_request("GET", REF_PATH, NULL, NULL);
    CHECK(xbl_mpsd_async_http_status(&g_op) == 200);
    CHECK_RESULT(xbl_mpsd_get_session_result(&g_op, &g_sess), XBL_MPSD_OK);
}

/* Each golden read-back case: GET the document, edit, write; the service
   answers 412 with the document again. */
static void test_golden_doc(const golden_doc_case *g)
{
    char name[120];
    snprintf(name, sizeof name, "read-back: %s", g->name);
    case_begin(name);
    get_doc_410(g->xuid);
    CHECK_RESULT(g->build(&g_sess), XBL_MPSD_OK);
    rig_setup(g->xuid, WORK_BYTES);
    script_response(resp_cl(0, "HTTP/1.1 412 Precondition Failed", "ETag: latest\r\n", golden_doc_410));
    write_checked(XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE, "If-Match: \"e410\"", g->body,
                  XBL_MPSD_WRITE_SESSION_STATUS_OUT_OF_SYNC, "latest");
    case_end();
}

static void check_doc_410_getters(const xbl_mpsd_session *s)
{
    const xbl_mpsd_session_member *m = NULL;
    const xbl_mpsd_session_constants *c = xbl_mpsd_session_session_constants(s);
    const xbl_mpsd_session_properties *p = xbl_mpsd_session_session_properties(s);
    size_t n = 0;
    CHECK(xbl_mpsd_session_has_document(s));
    if (!CHECK(c != NULL && p != NULL)) return;
    CHECK(c->max_members_in_session == 8);
    CHECK(c->visibility == XBL_MPSD_SESSION_VISIBILITY_OPEN);
    CHECK(c->member_reserved_timeout == 30000 && c->member_ready_timeout == 180000);
    CHECK(c->session_capabilities.connectivity && c->session_capabilities.gameplay && !c->session_capabilities.large);
    CHECK(json_eq("{\"mode\":\"coop\",\"map\":\"harbor\"}", c->custom_json));
    CHECK(p->join_restriction == XBL_MPSD_SESSION_RESTRICTION_NONE);
    CHECK(strcmp(p->host_device_token.value, "7d3e1f20") == 0);
    CHECK(json_eq("{\"map\":\"harbor\",\"round\":2}", p->session_custom_properties_json));
    CHECK_RESULT(xbl_mpsd_session_members(s, &m, &n), XBL_MPSD_OK);
    if (!CHECK(n == 2 && m != NULL)) return;
    CHECK(m[0].member_id == 0 && m[0].xuid == GOLDEN_XUID1 && m[0].is_current_user);
    CHECK(strcmp(m[0].gamertag, "PlayerOne") == 0);
    CHECK(m[0].status == XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE);
    CHECK(json_eq("{\"k\":1}", m[0].custom_properties_json));
    CHECK(m[1].member_id == 2 && m[1].xuid == UINT64_C(2814600000000003) && !m[1].is_current_user);
    CHECK(m[1].status == XBL_MPSD_SESSION_MEMBER_STATUS_RESERVED);
    CHECK(xbl_mpsd_session_current_user(s) == &m[0]);
    CHECK(xbl_mpsd_session_get_member(s, 2) == &m[1]);
    CHECK(xbl_mpsd_session_members_accepted(s) == 1);
    CHECK(strcmp(xbl_mpsd_session_session_reference(s)->session_name, GOLDEN_SNAME) == 0);
}

static void test_doc_410_getters(void)
{
    case_begin("read-back: golden document 4.10, every getter");
    get_doc_410(GOLDEN_XUID1);
    check_doc_410_getters(&g_sess);
    /* the session holds nothing of the async buffer or the port's bytes */
    memset(g_work_mem, 0xEE, sizeof g_work_mem);
    mock_init(&g_mock, &g_port);
    check_doc_410_getters(&g_sess);
    CHECK(strcmp(xbl_mpsd_session_etag(&g_sess), "\"e410\"") == 0);
    CHECK(xbl_mpsd_session_time_of_session(&g_sess) == (time_t)784111777);
    case_end();
}

static bool in_arena(const void *p, const arena_mem *a)
{
    const unsigned char *c = (const unsigned char *)p;
    return c >= a->b && c < a->b + sizeof a->b;
}

static void test_copy_and_clear(void)
{
    const xbl_mpsd_session_member *m = NULL;
    size_t n = 0;
    case_begin("copy: deep, independent; clear");
    get_doc_410(GOLDEN_XUID1);
    CHECK_RESULT(init_session(&g_other, UINT64_C(99), g_arena2.b, sizeof g_arena2.b), XBL_MPSD_OK);
    CHECK_RESULT(xbl_mpsd_session_copy(&g_other, &g_sess), XBL_MPSD_OK);
    check_doc_410_getters(&g_other);
    CHECK(in_arena(xbl_mpsd_session_session_properties(&g_other)->session_custom_properties_json, &g_arena2));
    CHECK_RESULT(xbl_mpsd_session_members(&g_other, &m, &n), XBL_MPSD_OK);
    CHECK(n == 2 && in_arena(m[0].custom_properties_json, &g_arena2));
    /* edits to the source do not show in the copy, clearing it neither */
    CHECK_RESULT(xbl_mpsd_session_set_custom_property_json(&g_sess, "round", "9"), XBL_MPSD_OK);
    xbl_mpsd_session_clear(&g_sess);
    CHECK(!xbl_mpsd_session_has_document(&g_sess));
    memset(g_arena.b, 0xEE, sizeof g_arena.b);
    check_doc_410_getters(&g_other);
    /* a copy into a cleared session (no arena) is refused */
    snap(&g_sess);
    CHECK_RESULT(xbl_mpsd_session_copy(&g_sess, &g_other), XBL_MPSD_E_INVALIDARG);
    CHECK(unchanged(&g_sess));
    case_end();
}

/* ------------------------------------------------------ write/get exchanges */

typedef struct status_case {
    const char *name;
    bool get;                       /* a GET (else a write) */
    const char *status_line, *headers, *body;
    bool chunked;
    xbl_mpsd_result poll, result;
    uint32_t status;
    xbl_mpsd_write_session_status write_status;   /* writes with a result OK */
    bool has_doc;
    const char *etag, *error_text;
} status_case;

static const status_case k_status[] = {
    { "write 200, Content-Length", false, "HTTP/1.1 200 OK", "ETag: e200\r\nContent-Type: application/json\r\n",
      GOLDEN_HTTP_DOC, false, XBL_MPSD_OK, XBL_MPSD_OK, 200, XBL_MPSD_WRITE_SESSION_STATUS_UPDATED, true, "e200", "" },
    { "write 201, chunked", false, "HTTP/1.1 201 Created", "ETag: \"e201\"\r\n",
      GOLDEN_HTTP_DOC, true, XBL_MPSD_OK, XBL_MPSD_OK, 201, XBL_MPSD_WRITE_SESSION_STATUS_CREATED, true, "\"e201\"", "" },
    { "write 204 (session deleted)", false, "HTTP/1.1 204 No Content", "", NULL, false,
      XBL_MPSD_OK, XBL_MPSD_OK, 204, XBL_MPSD_WRITE_SESSION_STATUS_SESSION_DELETED, false, NULL, "" },
    { "write 412 with the latest document", false, "HTTP/1.1 412 Precondition Failed", "ETag: latest\r\n",
      GOLDEN_HTTP_DOC, true, XBL_MPSD_OK, XBL_MPSD_OK, 412, XBL_MPSD_WRITE_SESSION_STATUS_OUT_OF_SYNC, true, "latest", "" },
    { "write 412 without a body", false, "HTTP/1.1 412 Precondition Failed", "", "", false,
      XBL_MPSD_OK, XBL_MPSD_OK, 412, XBL_MPSD_WRITE_SESSION_STATUS_OUT_OF_SYNC, false, NULL, "" },
    { "get 200, chunked", true, "HTTP/1.1 200 OK", "ETag: g1\r\n", GOLDEN_HTTP_DOC, true,
      XBL_MPSD_OK, XBL_MPSD_OK, 200, XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN, true, "g1", "" },
    { "get 204 (no such session)", true, "HTTP/1.1 204 No Content", "", NULL, false,
      XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND, XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND, 204,
      XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN, false, NULL, "" },
    { "write 400 with the service's reason", false, "HTTP/1.1 400 Bad Request", "Content-Type: text/plain\r\n",
      "Members can't be both ready and active.", false, XBL_MPSD_E_HTTP_STATUS(400), XBL_MPSD_E_HTTP_STATUS(400), 400,
      XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN, true, NULL, "Members can't be both ready and active." },
    { "write 401", false, "HTTP/1.1 401 Unauthorized", "", "", false,
      XBL_MPSD_E_HTTP_STATUS(401), XBL_MPSD_E_HTTP_STATUS(401), 401, XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN, true, NULL, "" },
    { "get 404, chunked reason", true, "HTTP/1.1 404 Not Found", "Content-Type: text/plain; charset=utf-8\r\n",
      "Unknown template.", true, XBL_MPSD_E_HTTP_STATUS(404), XBL_MPSD_E_HTTP_STATUS(404), 404,
      XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN, true, NULL, "Unknown template." },
    { "get 409", true, "HTTP/1.1 409 Conflict", "Content-Type: text/plain\r\n", "Constants differ.", false,
      XBL_MPSD_E_HTTP_STATUS(409), XBL_MPSD_E_HTTP_STATUS(409), 409, XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN, true, NULL,
      "Constants differ." },
    { "write 429 with Retry-After", false, "HTTP/1.1 429 Too Many Requests",
      "Retry-After: 30\r\nContent-Type: application/json\r\n", "{\"maxRequests\":10}", false,
      XBL_MPSD_E_HTTP_STATUS(429), XBL_MPSD_E_HTTP_STATUS(429), 429, XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN, true, NULL, "" },
    { "write 503", false, "HTTP/1.1 503 Service Unavailable", "Retry-After: 7\r\n", "", false,
      XBL_MPSD_E_HTTP_STATUS(503), XBL_MPSD_E_HTTP_STATUS(503), 503, XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN, true, NULL, "" },
};

static void test_status(const status_case *c)
{
    char name[120];
    const char *resp;
    xbl_mpsd_result r;
    snprintf(name, sizeof name, "exchange: %s", c->name);
    case_begin(name);
    if (c->body == NULL) {
        snprintf(g_resp[1], sizeof g_resp[1], "%s\r\n%s\r\n", c->status_line, c->headers);
        resp = g_resp[1];
    } else {
        resp = c->chunked ? resp_chunked(1, c->status_line, c->headers, c->body)
                          : resp_cl(1, c->status_line, c->headers, c->body);
    }
    if (c->get) start_get(resp, WORK_BYTES);
    else start_write(resp, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING);
    CHECK_RESULT(drive(), c->poll);
    CHECK(xbl_mpsd_async_http_status(&g_op) == c->status);
    CHECK(strcmp(xbl_mpsd_async_error_text(&g_op), c->error_text) == 0);
    snap(&g_sess);
    r = c->get ? xbl_mpsd_get_session_result(&g_op, &g_sess) : xbl_mpsd_write_session_result(&g_op, &g_sess);
    CHECK_RESULT(r, c->result);
    if (c->result < 0 && c->result != XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND) CHECK(unchanged(&g_sess));
    CHECK(xbl_mpsd_session_has_document(&g_sess) == c->has_doc);
    CHECK(xbl_mpsd_session_write_status(&g_sess) == c->write_status);
    if (c->etag) CHECK(strcmp(xbl_mpsd_session_etag(&g_sess), c->etag) == 0);
    if (c->result == XBL_MPSD_OK && c->has_doc)
        CHECK(xbl_mpsd_session_session_constants(&g_sess)->max_members_in_session == 4);
    /* the result is taken once */
    r = c->get ? xbl_mpsd_get_session_result(&g_op, &g_sess) : xbl_mpsd_write_session_result(&g_op, &g_sess);
    CHECK_RESULT(r, XBL_MPSD_E_UNEXPECTED);
    case_end();
}

static void test_interim_100(void)
{
    static char resp[512];
    case_begin("exchange: 100 Continue, then 200");
    snprintf(resp, sizeof resp, "HTTP/1.1 100 Continue\r\n\r\n%s",
             resp_cl(0, "HTTP/1.1 200 OK", "ETag: e\r\n", GOLDEN_HTTP_DOC));
    start_write(resp, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW);
    CHECK_RESULT(drive(), XBL_MPSD_OK);
    CHECK(xbl_mpsd_async_http_status(&g_op) == 200);
    check_request("PUT", REF_PATH, "If-None-Match: *",
                  GOLDEN_ME_BODY("\"active\":true"));
    CHECK_RESULT(xbl_mpsd_write_session_result(&g_op, &g_sess), XBL_MPSD_OK);
    case_end();
}

static void test_partial_sends(void)
{
    int i;
    case_begin("exchange: request sent one byte per send");
    start_write(resp_cl(0, "HTTP/1.1 200 OK", "", GOLDEN_HTTP_DOC), XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW);
    g_mock.send_default_cap = 1;
    for (i = 0; i < 40; i++) {
        mock_add_send(&g_mock, XBL_MPSD_E_WOULD_BLOCK);
        mock_add_send(&g_mock, 1);
    }
    CHECK_RESULT(drive(), XBL_MPSD_OK);
    check_request("PUT", REF_PATH, "If-None-Match: *", GOLDEN_ME_BODY("\"active\":true"));
    CHECK(g_mock.sends == g_mock.sent_len + 40);
    CHECK_RESULT(xbl_mpsd_write_session_result(&g_op, &g_sess), XBL_MPSD_OK);
    case_end();
}

static void test_by_handle(void)
{
    case_begin("exchange: write and get by handle");
    rig_setup(GOLDEN_XUID1, WORK_BYTES);
    CHECK_RESULT(init_session(&g_sess, GOLDEN_XUID1, g_arena.b, sizeof g_arena.b), XBL_MPSD_OK);
    CHECK_RESULT(xbl_mpsd_session_join(&g_sess, NULL, false, true), XBL_MPSD_OK);
    script_response(resp_cl(0, "HTTP/1.1 200 OK", "Content-Location: " REF_PATH "\r\nETag: h1\r\n", GOLDEN_HTTP_DOC));
    CHECK_RESULT(xbl_mpsd_write_session_by_handle_async(&g_client, &g_sess, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING,
                                                        HANDLE, &g_op), XBL_MPSD_OK);
    CHECK_RESULT(drive(), XBL_MPSD_OK);
    check_request("PUT", "/handles/" HANDLE "/session", "If-Match: *", GOLDEN_ME_BODY("\"active\":true"));
    CHECK_RESULT(xbl_mpsd_write_session_by_handle_result(&g_op, &g_sess), XBL_MPSD_OK);
    CHECK(strcmp(xbl_mpsd_session_etag(&g_sess), "h1") == 0);
    CHECK(strcmp(xbl_mpsd_session_session_reference(&g_sess)->session_name, GOLDEN_SNAME) == 0);
    /* the next exchange reuses the kept-alive connection */
    mock_reset_traffic(&g_mock);
    script_response(resp_chunked(0, "HTTP/1.1 200 OK", "Content-Location: " REF_PATH "\r\nETag: h2\r\n", golden_doc_410));
    CHECK_RESULT(xbl_mpsd_get_session_by_handle_async(&g_client, HANDLE, &g_op), XBL_MPSD_OK);
    CHECK_RESULT(drive(), XBL_MPSD_OK);
    /* the liveness check, then the same connection: no new connect, no close */
    CHECK(strncmp(g_mock.calls, "Cs", 2) == 0 && strchr(g_mock.calls, 'c') == NULL && strchr(g_mock.calls, 'x') == NULL);
    check_request("GET", "/handles/" HANDLE "/session", NULL, NULL);
    CHECK_RESULT(xbl_mpsd_get_session_by_handle_result(&g_op, &g_sess), XBL_MPSD_OK);
    check_doc_410_getters(&g_sess);
    case_end();
}

/* ---------------------------------------------------------------- bad input */

#define SMALL_ARENA 256
#define SMALL_WORK  1024

static void test_arena_too_small(void)
{
    static union { unsigned char b[SMALL_ARENA]; uint64_t align_u64; void *align_p; } small;
    static char big_value[3000];
    case_begin("bad input: arena too small for the document, then for a setter");
    /* the document 4.10 needs more arena than that: refused, unchanged */
    rig_setup(GOLDEN_XUID1, WORK_BYTES);
    CHECK_RESULT(init_session(&g_other, GOLDEN_XUID1, small.b, sizeof small.b), XBL_MPSD_OK);
    script_response(resp_cl(0, "HTTP/1.1 200 OK", "ETag: a\r\n", golden_doc_410));
    {
        xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(GOLDEN_SCID, GOLDEN_TMPL, GOLDEN_SNAME);
        CHECK_RESULT(xbl_mpsd_get_session_async(&g_client, &ref, &g_op), XBL_MPSD_OK);
    }
    CHECK_RESULT(drive(), XBL_MPSD_OK);
    snap(&g_other);
    CHECK_RESULT(xbl_mpsd_get_session_result(&g_op, &g_other), XBL_MPSD_E_OUTOFMEMORY);
    CHECK(unchanged(&g_other));
    CHECK(xbl_mpsd_session_members(&g_other, NULL, NULL) == XBL_MPSD_E_INVALIDARG);
    /* a value larger than the arena left */
    memset(big_value, 'x', sizeof big_value - 1);
    big_value[0] = '"';
    big_value[sizeof big_value - 2] = '"';
    snap(&g_other);
    CHECK_RESULT(xbl_mpsd_session_set_custom_property_json(&g_other, "big", big_value), XBL_MPSD_E_OUTOFMEMORY);
    CHECK(unchanged(&g_other));
    CHECK_RESULT(xbl_mpsd_session_set_custom_property_json(&g_other, "small", "1"), XBL_MPSD_OK);
    case_end();
}

static void test_async_too_small(void)
{
    size_t needed;
    const char *resp = resp_chunked(2, "HTTP/1.1 200 OK", "ETag: n\r\n", golden_doc_410);
    case_begin("bad input: async buffer too small, exact size reported");
    start_get(resp, SMALL_WORK);
    CHECK_RESULT(drive(), XBL_MPSD_E_OUTOFMEMORY);
    needed = xbl_mpsd_async_needed_bytes(&g_op);
    CHECK(needed > SMALL_WORK && needed <= WORK_BYTES);
    snap(&g_sess);
    CHECK_RESULT(xbl_mpsd_get_session_result(&g_op, &g_sess), XBL_MPSD_E_OUTOFMEMORY);
    CHECK(unchanged(&g_sess));
    if (needed > SMALL_WORK && needed <= WORK_BYTES) {
        /* exactly that size works and one byte less does not: the reader's
           alignment padding is counted from the buffer's real address */
        start_get(resp, needed);
        CHECK_RESULT(drive(), XBL_MPSD_OK);
        CHECK_RESULT(xbl_mpsd_get_session_result(&g_op, &g_sess), XBL_MPSD_OK);
        check_doc_410_getters(&g_sess);
        start_get(resp, needed - 1);
        CHECK_RESULT(drive(), XBL_MPSD_E_OUTOFMEMORY);
        CHECK(xbl_mpsd_async_needed_bytes(&g_op) == needed);
    }
    /* a request that does not fit is refused before anything is sent */
    rig_setup(GOLDEN_XUID1, 100);
    CHECK_RESULT(init_session(&g_sess, GOLDEN_XUID1, g_arena.b, sizeof g_arena.b), XBL_MPSD_OK);
    CHECK_RESULT(xbl_mpsd_session_join(&g_sess, NULL, false, true), XBL_MPSD_OK);
    CHECK_RESULT(xbl_mpsd_write_session_async(&g_client, &g_sess, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_op),
                 XBL_MPSD_E_OUTOFMEMORY);
    CHECK(xbl_mpsd_async_needed_bytes(&g_op) > 100);
    CHECK(g_mock.sent_len == 0 && g_mock.connects == 0);
    case_end();
}

static void test_malformed_json(void)
{
    static const char *const bad[] = { "{", "{\"a\" 1}", "[1,]", "\"\\x\"", "{} {}", "", "tru", "\"\xc3\"" };
    size_t i;
    case_begin("bad input: malformed JSON in setters and in a response");
    CHECK_RESULT(init_session(&g_sess, GOLDEN_XUID1, g_arena.b, sizeof g_arena.b), XBL_MPSD_OK);
    CHECK_RESULT(xbl_mpsd_session_join(&g_sess, NULL, false, true), XBL_MPSD_OK);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snap(&g_sess);
        CHECK_RESULT(xbl_mpsd_session_set_custom_property_json(&g_sess, "k", bad[i]), XBL_MPSD_E_INVALID_JSON_STRING);
        CHECK_RESULT(xbl_mpsd_session_current_user_set_custom_property_json(&g_sess, "k", bad[i]),
                     XBL_MPSD_E_INVALID_JSON_STRING);
        CHECK_RESULT(xbl_mpsd_session_set_raw_servers_json(&g_sess, bad[i]), XBL_MPSD_E_INVALID_JSON_STRING);
        CHECK(unchanged(&g_sess));
    }
    /* a response body that is not JSON, then one that is JSON but not a
       session document: the poll reports the transport outcome, the result
       call (which reads the body) says so */
    start_write(resp_cl(0, "HTTP/1.1 200 OK", "", "{\"constants\":"), XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING);
    CHECK_RESULT(drive(), XBL_MPSD_OK);
    snap(&g_sess);
    CHECK_RESULT(xbl_mpsd_write_session_result(&g_op, &g_sess), XBL_MPSD_E_INVALID_JSON_STRING);
    CHECK(unchanged(&g_sess));
    start_write(resp_chunked(0, "HTTP/1.1 200 OK", "", "{\"constants\":{}}"), XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING);
    CHECK_RESULT(drive(), XBL_MPSD_OK);
    snap(&g_sess);
    CHECK_RESULT(xbl_mpsd_write_session_result(&g_op, &g_sess), XBL_MPSD_E_INVALID_JSON_STRING);
    CHECK(unchanged(&g_sess));
    case_end();
}

static void test_dropped_connection(void)
{
    static const char *const prefixes[] = {
        "HTTP/1.1 20",
        "HTTP/1.1 200 OK\r\nETag: x\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"con",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"con",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n",
    };
    size_t i;
    case_begin("bad input: connection dropped mid-response");
    for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        start_write(prefixes[i], XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW);
        mock_add_code(&g_mock, XBL_MPSD_E_EOF);
        CHECK_RESULT(drive(), XBL_MPSD_E_CONNECTION_CLOSED);
        snap(&g_sess);
        CHECK_RESULT(xbl_mpsd_write_session_result(&g_op, &g_sess), XBL_MPSD_E_CONNECTION_CLOSED);
        CHECK(unchanged(&g_sess));
        CHECK(!g_mock.open);
    }
    /* a transport error is passed through */
    start_write("HTTP/1.1 200 OK\r\n", XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW);
    mock_add_code(&g_mock, XBL_MPSD_E_IO);
    CHECK_RESULT(drive(), XBL_MPSD_E_IO);
    snap(&g_sess);
    CHECK_RESULT(xbl_mpsd_write_session_result(&g_op, &g_sess), XBL_MPSD_E_IO);
    CHECK(unchanged(&g_sess));
    case_end();
}

/* ------------------------------------------------------------ stack peaks */

#define STACK_PAINT 0xC5A5C5A5u

static uintptr_t stack_pointer(void)
{
    uintptr_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
}

/* Paints from the stack limit up to just below this function's frame. */
__attribute__((noinline)) static void stack_paint(void)
{
    uint32_t *p = __stack_limit, *end = (uint32_t *)(stack_pointer() - 64);
    while (p < end) *p++ = STACK_PAINT;
}

/* Bytes below `sp` that were written since the last stack_paint. */
static size_t stack_used_below(uintptr_t sp)
{
    const uint32_t *p = __stack_limit;
    while ((uintptr_t)p < sp && *p == STACK_PAINT) p++;
    return (uintptr_t)p < sp ? sp - (uintptr_t)p : 0;
}

typedef struct stack_peak { const char *entry; size_t bytes; } stack_peak;
static stack_peak g_peaks[40];
static size_t g_npeaks;

static void peak_note(const char *entry, size_t bytes)
{
    size_t i;
    for (i = 0; i < g_npeaks && strcmp(g_peaks[i].entry, entry) != 0; i++) {}
    if (i == g_npeaks) {
        if (g_npeaks == sizeof g_peaks / sizeof g_peaks[0]) return;
        g_peaks[g_npeaks].entry = entry;
        g_peaks[g_npeaks++].bytes = 0;
    }
    if (bytes > g_peaks[i].bytes) g_peaks[i].bytes = bytes;
}

/* Runs `call` on a freshly painted stack and notes its peak. The stack
   pointer is read in the same frame the call is made from. */
#define MEASURE(entry, result_var, call) do {                          \
        uintptr_t sp_;                                                 \
        stack_paint();                                                 \
        sp_ = stack_pointer();                                         \
        (result_var) = (call);                                         \
        peak_note((entry), stack_used_below(sp_));                     \
    } while (0)

/* Polls to completion: the peak over every poll of the exchange. */
__attribute__((noinline)) static xbl_mpsd_result measured_drive(void)
{
    xbl_mpsd_result r = XBL_MPSD_PENDING;
    uintptr_t sp;
    long polls;
    stack_paint();
    sp = stack_pointer();
    for (polls = 0; polls < 200000 && r == XBL_MPSD_PENDING; polls++) r = xbl_mpsd_async_poll(&g_op);
    peak_note("xbl_mpsd_async_poll", stack_used_below(sp));
    return r;
}

/* The deepest JSON a setter or a document may hold: depth 32 in all. */
static char g_deep[200];

static const char *deep_value(unsigned depth)
{
    unsigned i;
    for (i = 0; i < depth; i++) g_deep[i] = '[';
    g_deep[depth] = '1';
    for (i = 0; i < depth; i++) g_deep[depth + 1 + i] = ']';
    g_deep[2 * depth + 1] = '\0';
    return g_deep;
}

static char g_deep_doc[4096];

/* golden_doc_410 with a session custom property nested to the limit. */
static const char *deep_doc(void)
{
    const char *at = strstr(golden_doc_410, "\"custom\":{\"map\"");
    size_t head = at ? (size_t)(at - golden_doc_410) + strlen("\"custom\":{") : 0;
    snprintf(g_deep_doc, sizeof g_deep_doc, "%.*s\"deep\":%s,%s", (int)head, golden_doc_410,
             deep_value(XBL_MPSD_JSON_MAX_DEPTH - 3), golden_doc_410 + head);
    return g_deep_doc;
}

static void measure_write(bool by_handle, const char *resp)
{
    xbl_mpsd_result r;
    rig_setup(GOLDEN_XUID1, WORK_BYTES);
    CHECK_RESULT(golden_init_joined(&g_sess, g_arena.b, sizeof g_arena.b), XBL_MPSD_OK);
    CHECK_RESULT(xbl_mpsd_session_current_user_set_custom_property_json(&g_sess, "deep", deep_value(XBL_MPSD_JSON_MAX_DEPTH - 4)),
                 XBL_MPSD_OK);
    script_response(resp);
    if (by_handle) {
        MEASURE("xbl_mpsd_write_session_by_handle_async", r,
                xbl_mpsd_write_session_by_handle_async(&g_client, &g_sess, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING,
                                                       HANDLE, &g_op));
    } else {
        MEASURE("xbl_mpsd_write_session_async", r,
                xbl_mpsd_write_session_async(&g_client, &g_sess, XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &g_op));
    }
    CHECK_RESULT(r, XBL_MPSD_OK);
    CHECK_RESULT(measured_drive(), XBL_MPSD_OK);
    if (by_handle) MEASURE("xbl_mpsd_write_session_by_handle_result", r, xbl_mpsd_write_session_by_handle_result(&g_op, &g_sess));
    else MEASURE("xbl_mpsd_write_session_result", r, xbl_mpsd_write_session_result(&g_op, &g_sess));
    CHECK_RESULT(r, XBL_MPSD_OK);
}

static void measure_get(bool by_handle, const char *resp)
{
    xbl_mpsd_result r;
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(GOLDEN_SCID, GOLDEN_TMPL, GOLDEN_SNAME);
    rig_setup(GOLDEN_XUID1, WORK_BYTES);
    CHECK_RESULT(init_session(&g_sess, GOLDEN_XUID1, g_arena.b, sizeof g_arena.b), XBL_MPSD_OK);
    script_response(resp);
    if (by_handle) MEASURE("xbl_mpsd_get_session_by_handle_async", r, xbl_mpsd_get_session_by_handle_async(&g_client, HANDLE, &g_op));
    else MEASURE("xbl_mpsd_get_session_async", r, xbl_mpsd_get_session_async(&g_client, &ref, &g_op));
    CHECK_RESULT(r, XBL_MPSD_OK);
    CHECK_RESULT(measured_drive(), XBL_MPSD_OK);
    if (by_handle) MEASURE("xbl_mpsd_get_session_by_handle_result", r, xbl_mpsd_get_session_by_handle_result(&g_op, &g_sess));
    else MEASURE("xbl_mpsd_get_session_result", r, xbl_mpsd_get_session_result(&g_op, &g_sess));
    CHECK_RESULT(r, XBL_MPSD_OK);
}

/* The setters that take one JSON object, by name. */
static const struct {
    const char *name;
    xbl_mpsd_result (*set)(xbl_mpsd_session *s, const char *json);
} k_json_setters[] = {
#define JSON_SETTER(f) { #f, f }
    JSON_SETTER(xbl_mpsd_session_set_raw_servers_json),
    JSON_SETTER(xbl_mpsd_session_constants_set_measurement_server_addresses_json),
    JSON_SETTER(xbl_mpsd_session_constants_set_cloud_compute_package_json),
    JSON_SETTER(xbl_mpsd_session_set_matchmaking_target_session_constants_json),
    JSON_SETTER(xbl_mpsd_session_current_user_set_qos_measurements),
    JSON_SETTER(xbl_mpsd_session_current_user_set_server_qos_measurements),
#undef JSON_SETTER
};

/* The setters that take JSON, each with a value at the nesting limit. */
static void measure_json_setters(void)
{
    xbl_mpsd_result r;
    size_t i;
    xbl_mpsd_session_init_args args;
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(GOLDEN_SCID, GOLDEN_TMPL, GOLDEN_SNAME);
    char deep[200], deep_obj[200];
    unsigned depth = XBL_MPSD_JSON_MAX_DEPTH + 1;
    /* the deepest value a setter accepts: the limit itself */
    CHECK_RESULT(golden_init(&g_sess, g_arena.b, sizeof g_arena.b), XBL_MPSD_OK);
    CHECK_RESULT(xbl_mpsd_session_set_custom_property_json(&g_sess, "k", deep_value(depth)), XBL_MPSD_E_INVALID_JSON_STRING);
    while (depth > 1 && xbl_mpsd_session_set_custom_property_json(&g_sess, "k", deep_value(depth)) != XBL_MPSD_OK) depth--;
    CHECK(depth == XBL_MPSD_JSON_MAX_DEPTH);
    snprintf(deep, sizeof deep, "%s", deep_value(depth));
    snprintf(deep_obj, sizeof deep_obj, "{\"d\":%s}", deep_value(depth - 1));
    memset(&args, 0, sizeof args);
    args.custom_json = deep_obj;
    MEASURE("xbl_mpsd_session_init", r, xbl_mpsd_session_init(&g_sess, GOLDEN_XUID1, &ref, &args, g_arena.b, sizeof g_arena.b));
    CHECK_RESULT(r, XBL_MPSD_OK);
    CHECK_RESULT(golden_init(&g_sess, g_arena.b, sizeof g_arena.b), XBL_MPSD_OK);
    MEASURE("xbl_mpsd_session_join", r, xbl_mpsd_session_join(&g_sess, deep_obj, false, true));
    CHECK_RESULT(r, XBL_MPSD_OK);
    MEASURE("xbl_mpsd_session_add_member_reservation", r, xbl_mpsd_session_add_member_reservation(&g_sess, 7, deep_obj, false));
    CHECK_RESULT(r, XBL_MPSD_OK);
    MEASURE("xbl_mpsd_session_set_custom_property_json", r, xbl_mpsd_session_set_custom_property_json(&g_sess, "k", deep));
    CHECK_RESULT(r, XBL_MPSD_OK);
    MEASURE("xbl_mpsd_session_current_user_set_custom_property_json", r,
            xbl_mpsd_session_current_user_set_custom_property_json(&g_sess, "k", deep));
    CHECK_RESULT(r, XBL_MPSD_OK);
    for (i = 0; i < sizeof k_json_setters / sizeof k_json_setters[0]; i++) {
        MEASURE(k_json_setters[i].name, r, k_json_setters[i].set(&g_sess, deep_obj));
        CHECK_RESULT(r, XBL_MPSD_OK);
    }
    /* copy of that session, then of a read one */
    CHECK_RESULT(init_session(&g_other, GOLDEN_XUID1, g_arena2.b, sizeof g_arena2.b), XBL_MPSD_OK);
    MEASURE("xbl_mpsd_session_copy", r, xbl_mpsd_session_copy(&g_other, &g_sess));
    CHECK_RESULT(r, XBL_MPSD_OK);
}

static void test_stack_peaks(void)
{
    size_t i;
    case_begin("stack: every entry point measured");
    measure_json_setters();
    measure_write(false, resp_chunked(0, "HTTP/1.1 200 OK", "ETag: s\r\n", deep_doc()));
    measure_write(true, resp_cl(0, "HTTP/1.1 200 OK", "Content-Location: " REF_PATH "\r\n", deep_doc()));
    measure_get(false, resp_chunked(0, "HTTP/1.1 200 OK", "ETag: s\r\n", deep_doc()));
    measure_get(true, resp_cl(0, "HTTP/1.1 200 OK", "Content-Location: " REF_PATH "\r\n", deep_doc()));
    {
        xbl_mpsd_result r;
        CHECK_RESULT(init_session(&g_other, GOLDEN_XUID1, g_arena2.b, sizeof g_arena2.b), XBL_MPSD_OK);
        MEASURE("xbl_mpsd_session_copy", r, xbl_mpsd_session_copy(&g_other, &g_sess));
        CHECK_RESULT(r, XBL_MPSD_OK);
    }
    for (i = 0; i < g_npeaks; i++) {
        CHECK(g_peaks[i].bytes > 0);
        printf("stack peak %s %u\n", g_peaks[i].entry, (unsigned)g_peaks[i].bytes);
    }
    case_end();
}

int main(void)
{
    size_t i;
    for (i = 0; i < GOLDEN_BODY_COUNT; i++) test_golden_body(&golden_bodies[i]);
    test_doc_410_getters();
    for (i = 0; i < GOLDEN_DOC_CASE_COUNT; i++) test_golden_doc(&golden_doc_cases[i]);
    test_copy_and_clear();
    for (i = 0; i < sizeof k_status / sizeof k_status[0]; i++) test_status(&k_status[i]);
    test_interim_100();
    test_partial_sends();
    test_by_handle();
    test_arena_too_small();
    test_async_too_small();
    test_malformed_json();
    test_dropped_connection();
    test_stack_peaks();
    printf("%u passed, %u failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
