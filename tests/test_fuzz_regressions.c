/* Regression tests for what the fuzz harnesses (tests/fuzz/) found. Each
   test names the harness and the property that failed. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "mock_port.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#define XUID_ME UINT64_C(2814600000000001)

static mock_port       g_mock;
static xbl_mpsd_port   g_port;
static xbl_mpsd_client g_client;
static char            g_resp[20000];

#include "test_auth.h"

/* A GET whose port answers with `resp` in 512-byte reads, then EOF. */
static xbl_mpsd_result get_with(const char *resp, size_t buffer_size, size_t *needed)
{
    static unsigned char work[1 << 16];
    xbl_mpsd_client_config cfg;
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create("scid", "tmpl", "name");
    xbl_mpsd_async op;
    xbl_mpsd_result r;
    size_t len = strlen(resp), off;
    int polls = 0;
    assert_true(buffer_size <= sizeof work);
    mock_init(&g_mock, &g_port);
    for (off = 0; off < len; off += 512) mock_add_bytes(&g_mock, resp + off, len - off < 512 ? len - off : 512);
    g_mock.recv_default = XBL_MPSD_E_EOF;
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &g_port;
    cfg.xuid = XUID_ME;
    cfg.auth = test_auth;
    assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_init(&op, work, buffer_size), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_session_async(&g_client, &ref, &op), XBL_MPSD_OK);
    while ((r = xbl_mpsd_async_poll(&op)) == XBL_MPSD_PENDING) assert_true(++polls < 10000);
    *needed = xbl_mpsd_async_needed_bytes(&op);
    (void)xbl_mpsd_get_session_result(&op, NULL);
    xbl_mpsd_client_close(&g_client);
    return r;
}

/* fuzz_http, "needed size" property: a status line longer than the header
   limit, read through a small buffer, failed with OUTOFMEMORY; the buffer
   needed_bytes then asked for failed the same way again, forever (the line
   filled a window of exactly the limit without being judged too long). Now
   following needed_bytes ends in HTTP_PROTOCOL. */
static void test_overlong_header_line_with_the_needed_buffer(void **state)
{
    size_t n, needed = 0, size = 1024;
    xbl_mpsd_result r;
    int tries;
    (void)state;
    n = (size_t)snprintf(g_resp, sizeof g_resp, "HTTP/1.1 200 ");
    memset(g_resp + n, 'a', XBL_MPSD_HTTP_MAX_HEADER_BYTES + 100);
    strcpy(g_resp + n + XBL_MPSD_HTTP_MAX_HEADER_BYTES + 100, "\r\nContent-Length: 2\r\n\r\n{}");
    for (tries = 0; tries < 3; tries++) {
        r = get_with(g_resp, size, &needed);
        if (r != XBL_MPSD_E_OUTOFMEMORY) break;
        assert_true(needed > size);
        size = needed;
    }
    assert_int_equal(r, XBL_MPSD_E_HTTP_PROTOCOL);
    assert_int_equal(tries, 1);   /* one OUTOFMEMORY, then the verdict */
}

/* The same at the parser: a status line that fills a window of exactly the
   header limit is refused, not reported as a full window. */
static void test_line_filling_a_limit_sized_window(void **state)
{
    static unsigned char win[XBL_MPSD_HTTP_MAX_HEADER_BYTES];
    xbl_mpsd__http_response r;
    (void)state;
    xbl_mpsd__hr_init(&r, true);
    memcpy(win, "HTTP/1.1 200 ", 13);
    memset(win + 13, 'x', sizeof win - 13);
    r.raw_len = sizeof win;
    assert_int_equal(xbl_mpsd__hr_feed(&r, win, sizeof win), XBL_MPSD_E_HTTP_PROTOCOL);
    /* one byte short of the limit is still undecided: the CRLF may follow */
    xbl_mpsd__hr_init(&r, true);
    r.raw_len = sizeof win - 2;
    assert_int_equal(xbl_mpsd__hr_feed(&r, win, sizeof win), XBL_MPSD_PENDING);
    /* and a header block of exactly the limit is accepted */
    {
        static char resp[XBL_MPSD_HTTP_MAX_HEADER_BYTES + 64];
        size_t n = (size_t)snprintf(resp, sizeof resp, "HTTP/1.1 204 No Content\r\nX-Pad: ");
        size_t pad = XBL_MPSD_HTTP_MAX_HEADER_BYTES - n - 4;   /* the line's CRLF and the blank line */
        memset(resp + n, 'p', pad);
        memcpy(resp + n + pad, "\r\n\r\n", 4);
        xbl_mpsd__hr_init(&r, true);
        memcpy(win, resp, sizeof win);
        r.raw_len = sizeof win;
        assert_int_equal(xbl_mpsd__hr_feed(&r, win, sizeof win), XBL_MPSD_OK);
        assert_int_equal(r.status, 204);
    }
}

/* fuzz_chunked, same property for chunk lines: an unfinished chunk-size
   line of the full line limit is refused at once. */
static void test_chunk_line_at_the_limit(void **state)
{
    static unsigned char win[1024];
    static const char head[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    xbl_mpsd__http_response r;
    size_t hl = sizeof head - 1;
    (void)state;
    xbl_mpsd__hr_init(&r, true);
    memcpy(win, head, hl);
    win[hl] = '2';
    win[hl + 1] = ';';
    memset(win + hl + 2, 'e', XBL_MPSD_HTTP_MAX_CHUNK_LINE - 2);
    r.raw_len = hl + XBL_MPSD_HTTP_MAX_CHUNK_LINE;
    assert_int_equal(xbl_mpsd__hr_feed(&r, win, sizeof win), XBL_MPSD_E_HTTP_PROTOCOL);
    xbl_mpsd__hr_init(&r, true);
    r.raw_len = hl + XBL_MPSD_HTTP_MAX_CHUNK_LINE - 1;
    assert_int_equal(xbl_mpsd__hr_feed(&r, win, sizeof win), XBL_MPSD_PENDING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlong_header_line_with_the_needed_buffer),
        cmocka_unit_test(test_line_filling_a_limit_sized_window),
        cmocka_unit_test(test_chunk_line_at_the_limit),
    };
    (void)mock_add_code; (void)mock_add_send; (void)mock_reset_traffic;   /* mock_port.h helpers not needed here */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
