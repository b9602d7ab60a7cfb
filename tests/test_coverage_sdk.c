/* Edge cases found by the coverage gate (mk/coverage.mk): result names, the
   UTF-8 and JSON scanners, the arena's overflow guards, the HTTP response
   parser's header, status and chunk rules, the date parsers. Private
   helpers are called directly where the public path cannot isolate a
   single rule; every case asserts the exact result. Rows of
   tests/FAULTS.md point here. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

/* ------------------------------------------------------------ result names */

static void result_strings_name_every_class(void **state)
{
    (void)state;
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_OK), "XBL_MPSD_OK");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_PENDING), "XBL_MPSD_PENDING");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_FAIL), "XBL_MPSD_E_FAIL");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_UNEXPECTED), "XBL_MPSD_E_UNEXPECTED");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_OUTOFMEMORY), "XBL_MPSD_E_OUTOFMEMORY");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_INVALIDARG), "XBL_MPSD_E_INVALIDARG");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND), "XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_INVALID_JSON_STRING), "XBL_MPSD_E_INVALID_JSON_STRING");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_RUNTIME_ERROR), "XBL_MPSD_E_RUNTIME_ERROR");
    /* both ends of the transport range */
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_WOULD_BLOCK), "XBL_MPSD_E_WOULD_BLOCK");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_TIMEOUT), "XBL_MPSD_E_TIMEOUT");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_BUSY), "XBL_MPSD_E_BUSY");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_WS_HANDSHAKE), "XBL_MPSD_E_WS_HANDSHAKE");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_RTA_PROTOCOL), "XBL_MPSD_E_RTA_PROTOCOL");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0xA4D50012))), "unknown error");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_RTA_GENERIC_ERROR), "XBL_MPSD_E_RTA_GENERIC_ERROR");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_RTA_SUBSCRIPTION_LIMIT_REACHED),
                        "XBL_MPSD_E_RTA_SUBSCRIPTION_LIMIT_REACHED");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_RTA_ACCESS_DENIED), "XBL_MPSD_E_RTA_ACCESS_DENIED");
    /* HTTP: the 3xx and 4xx tables' ends, the named 5xx, any other status */
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(300)), "HTTP 300");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(301)), "HTTP 301");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(304)), "HTTP 304");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(308)), "HTTP 308");
    {   /* every name of the packed 3xx/4xx block, at its stride */
        char want[24];
        int status;
        for (status = 300; status <= 431; status++) {
            if (status == 309) status = 400;
            snprintf(want, sizeof want, "HTTP %d", status);
            assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(status)), want);
        }
    }
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(299)), "HTTP error");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(309)), "HTTP error");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(400)), "HTTP 400");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(412)), "HTTP 412");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(431)), "HTTP 431");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(500)), "HTTP 500");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(502)), "HTTP 502");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(503)), "HTTP 503");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(504)), "HTTP 504");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(432)), "HTTP error");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(501)), "HTTP error");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_E_HTTP_STATUS(599)), "HTTP error");
    assert_string_equal(xbl_mpsd_result_string(7), "unknown positive value (not a result code)");
    assert_string_equal(xbl_mpsd_result_string(XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x80001234))), "unknown error");
}

static void version_matches_macros(void **state)
{
    char want[32];
    (void)state;
    snprintf(want, sizeof want, "%d.%d.%d", XBL_MPSD_VERSION_MAJOR, XBL_MPSD_VERSION_MINOR, XBL_MPSD_VERSION_PATCH);
    assert_string_equal(xbl_mpsd_version(), XBL_MPSD_VERSION_STRING);
    assert_string_equal(xbl_mpsd_version(), want);
}

/* ------------------------------------------------------------------- UTF-8 */

static bool utf8(const char *s) { return xbl_mpsd__utf8_valid(s, strlen(s)); }

static void utf8_validator_rules(void **state)
{
    (void)state;
    assert_true(utf8("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));  /* 1, 2, 3, 4 bytes */
    assert_true(utf8("\xF4\x8F\xBF\xBF"));                      /* U+10FFFF */
    assert_false(utf8("\xF4\x90\x80\x80"));                     /* above U+10FFFF */
    assert_false(utf8("\xF5\x80\x80\x80"));                     /* lead byte never valid */
    assert_false(utf8("\xED\xA0\x80"));                         /* surrogate D800 */
    assert_false(utf8("\xE0\x80\x80"));                         /* overlong 3-byte */
    assert_false(utf8("\xF0\x80\x80\x80"));                     /* overlong 4-byte */
    assert_false(utf8("\xC0\x80"));                             /* overlong NUL */
    assert_false(utf8("\xC3"));                                 /* truncated */
    assert_false(utf8("\xC3\x28"));                             /* bad continuation */
    assert_false(utf8("\x80"));                                 /* lone continuation */
}

/* ------------------------------------------------------------------- arena */

static void arena_overflow_guards(void **state)
{
    static unsigned char buf[256];
    xbl_mpsd__arena a;
    uint32_t v[2] = { 1, 2 };
    (void)state;
    memset(&a, 0, sizeof a);
    a.base = buf; a.size = sizeof buf;
    /* an element count whose byte size wraps cannot fit, and sticks */
    assert_null(xbl_mpsd__arena_alloc_array(&a, SIZE_MAX / 2, 4));
    assert_true(a.failed);
    assert_int_equal(a.used, 0);
    memset(&a, 0, sizeof a);
    a.base = buf; a.size = sizeof buf;
    assert_string_equal(xbl_mpsd__arena_strn(&a, "x", SIZE_MAX), "");
    assert_true(a.failed);
    memset(&a, 0, sizeof a);
    a.base = buf; a.size = sizeof buf;
    assert_null(xbl_mpsd__dup_u32s(&a, v, SIZE_MAX / 2));
    assert_true(a.failed);
    /* after a failure every allocation fails, even a tiny one */
    assert_null(xbl_mpsd__arena_alloc(&a, 1, 1));
    memset(&a, 0, sizeof a);
    a.base = buf; a.size = sizeof buf;
    {
        const uint32_t *d = xbl_mpsd__dup_u32s(&a, v, 2);
        assert_non_null(d);
        assert_int_equal(d[0], 1);
        assert_int_equal(d[1], 2);
        assert_int_equal(a.used, 8);
    }
}

/* ----------------------------------------------------------- JSON strings */

/* Decodes a string body; returns the decoded length or SIZE_MAX. */
static size_t dec(const char *body, char *out)
{
    size_t n = xbl_mpsd__json_decode(body, strlen(body), out);
    if (n != SIZE_MAX && out) out[n] = '\0';
    return n;
}

static void json_string_escapes(void **state)
{
    char out[64];
    (void)state;
    assert_int_equal(dec("\\b\\f\\/\\\"\\\\\\n\\r\\t", out), 8);
    assert_memory_equal(out, "\b\f/\"\\\n\r\t", 8);
    assert_int_equal(dec("\\u0041\\u00e9\\u20ac", out), 1 + 2 + 3);
    assert_string_equal(out, "A\xC3\xA9\xE2\x82\xAC");
    assert_int_equal(dec("\\ud83d\\ude00", out), 4);           /* surrogate pair */
    assert_string_equal(out, "\xF0\x9F\x98\x80");
    assert_int_equal(dec("\\uDBFF\\uDFFF", out), 4);            /* U+10FFFF, upper-case hex */
    assert_string_equal(out, "\xF4\x8F\xBF\xBF");
}

static void json_string_malformed(void **state)
{
    static const char *const bad[] = {
        "\\ud83d",               /* high surrogate at the end */
        "\\ud83dabcdef",         /* high surrogate, no escape after it */
        "\\ud83d\\n12345",       /* high surrogate, another escape */
        "\\ud83d\\u0041",        /* high surrogate, not a low one */
        "\\ud83d\\ud83d",        /* two high surrogates */
        "\\ud83d\\uzzzz",        /* bad hex in the low half */
        "\\ude00",               /* lone low surrogate */
        "\\u0000",               /* decodes to NUL */
        "\\u00g0",               /* bad hex */
        "\\u12",                 /* short */
        "\\x",                   /* unknown escape */
        "\\",                    /* escape cut */
        "\x01",                  /* raw control character */
        "a\"b",                  /* raw quote */
        "\xE2\x82",              /* UTF-8 cut */
        "\xFF",                  /* invalid UTF-8 */
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (dec(bad[i], NULL) != SIZE_MAX) fail_msg("accepted string body #%u", (unsigned)i);
    }
}

/* The word-at-a-time string scan against the byte rules: one byte of each
   class at every offset of strings 0..24 bytes long, so the special byte
   sits at every position of the first, second and third 8-byte word, and
   every unclosed length, so no scan reads past n (ASan in make sanitize). */
static void json_string_scan_every_offset(void **state)
{
    static const struct { const char *bytes; int ok; int escaped; } cls[] = {
        { "\"", 1, 0 },         /* the closing quote, early */
        { "\\n", 1, 1 },        /* an escape */
        { "\xC3\xA9", 1, 0 },   /* two-byte UTF-8 */
        { "\x7F", 1, 0 },       /* DEL: ASCII, allowed */
        { " ", 1, 0 },          /* 0x20: the first allowed byte */
        { "\x1F", 0, 0 },       /* the last control byte */
        { "\x01", 0, 0 },
        { "\x80", 0, 0 },       /* a lone continuation byte */
        { "\xFF", 0, 0 },
    };
    char buf[40];
    size_t c, len, at;
    (void)state;
    for (c = 0; c < sizeof cls / sizeof cls[0]; c++) {
        size_t w = strlen(cls[c].bytes);
        for (len = 0; len <= 24; len++) {
            for (at = 0; at <= len; at++) {
                size_t n = 0, want, got;
                bool esc = false;
                buf[n++] = '"';
                memset(buf + n, 'a', at);
                n += at;
                memcpy(buf + n, cls[c].bytes, w);
                n += w;
                memset(buf + n, 'b', len - at);
                n += len - at;
                buf[n++] = '"';
                want = !cls[c].ok ? SIZE_MAX : cls[c].bytes[0] == '"' ? at + 2 : n;
                got = xbl_mpsd__json_string_scan(buf, n, 0, &esc);
                if (got != want || esc != (cls[c].ok && cls[c].escaped))
                    fail_msg("class %u len %u at %u: %u escaped %d", (unsigned)c, (unsigned)len, (unsigned)at,
                             (unsigned)got, (int)esc);
                /* cut before the closing quote: never found, never read past n */
                if (cls[c].bytes[0] != '"')
                    assert_true(xbl_mpsd__json_string_scan(buf, n - 1, 0, &esc) == SIZE_MAX);
            }
        }
    }
}

static void json_body_equals_rules(void **state)
{
    (void)state;
    assert_true(xbl_mpsd__json_body_equals("ab\\u0063", 8, "abc"));
    assert_false(xbl_mpsd__json_body_equals("abcd", 4, "abc"));     /* body longer */
    assert_false(xbl_mpsd__json_body_equals("ab", 2, "abc"));       /* body shorter */
    assert_false(xbl_mpsd__json_body_equals("abd", 3, "abc"));
    assert_false(xbl_mpsd__json_body_equals("a\\q", 3, "a?"));      /* malformed body */
    assert_false(xbl_mpsd__json_body_equals("\\u00e9", 6, "\xC3"));  /* name ends inside a character */
}

/* ------------------------------------------------------------ JSON values */

static bool valid(const char *text)
{
    size_t start = 0, len = 0;
    return xbl_mpsd__json_check(text, strlen(text), &start, &len);
}

static void json_number_grammar(void **state)
{
    static const char *const good[] = { "0", "-0", "1", "-12", "1.5", "0.25", "1e5", "1E+5", "2e-3", "-1.5E+10" };
    static const char *const bad[] = { "-", "01", "1.", "1.e5", ".5", "1e", "1e+", "1E-", "+1", "--1", "-a", "0x10" };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!valid(good[i])) fail_msg("refused number %s", good[i]);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (valid(bad[i])) fail_msg("accepted number %s", bad[i]);
}

static void json_value_grammar(void **state)
{
    static const char *const good[] = { " {} ", "[]", "[1, \"a\", true, false, null, {\"k\": [ ]}]",
        "{\"a\":{\"b\":{}} , \"c\" : 1}" };
    static const char *const bad[] = { "", " ", "{", "[", "{\"a\"}", "{\"a\" 1}", "{\"a\":}", "{1:2}",
        "[1,]", "[1 2]", "{\"a\":1,}", "[1}", "tru", "nul", "falsy", "{} {}", "\"abc", "[\"\\x\"]" };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!valid(good[i])) fail_msg("refused %s", good[i]);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (valid(bad[i])) fail_msg("accepted %s", bad[i]);
}

static void json_depth_limit(void **state)
{
    char text[2 * XBL_MPSD_JSON_MAX_DEPTH + 3];
    size_t i, d;
    (void)state;
    /* exactly the limit passes, one more level is refused */
    for (d = XBL_MPSD_JSON_MAX_DEPTH; d <= XBL_MPSD_JSON_MAX_DEPTH + 1; d++) {
        for (i = 0; i < d; i++) { text[i] = '['; text[d + i] = ']'; }
        text[2 * d] = '\0';
        if (d == XBL_MPSD_JSON_MAX_DEPTH) assert_true(valid(text));
        else assert_false(valid(text));
    }
}

static void json_object_next_walks_members(void **state)
{
    const char *s = "{ \"a\" : 1 , \"b\":[2,3]}";
    size_t n = strlen(s), i = 0, kl = 0, vl = 0;
    const char *k = NULL, *v = NULL;
    (void)state;
    assert_true(xbl_mpsd__json_object_next(s, n, &i, &k, &kl, &v, &vl));
    assert_int_equal(kl, 1); assert_memory_equal(k, "a", 1);
    assert_int_equal(vl, 1); assert_memory_equal(v, "1", 1);
    assert_true(xbl_mpsd__json_object_next(s, n, &i, &k, &kl, &v, &vl));
    assert_int_equal(kl, 1); assert_memory_equal(k, "b", 1);
    assert_int_equal(vl, 5); assert_memory_equal(v, "[2,3]", 5);
    assert_false(xbl_mpsd__json_object_next(s, n, &i, &k, &kl, &v, &vl));   /* at '}' */
    i = 0;
    assert_false(xbl_mpsd__json_object_next("{}", 2, &i, &k, &kl, &v, &vl));
    i = 0;
    assert_false(xbl_mpsd__json_object_next("{\"a", 3, &i, &k, &kl, &v, &vl));
    i = 0;
    assert_false(xbl_mpsd__json_object_next("{\"a\":}", 6, &i, &k, &kl, &v, &vl));
    i = 0;
    assert_false(xbl_mpsd__json_object_next("", 0, &i, &k, &kl, &v, &vl));
}

static void json_writer_escapes_controls(void **state)
{
    char buf[64];
    xbl_mpsd__jw w;
    (void)state;
    xbl_mpsd__jw_init(&w, buf, sizeof buf);
    xbl_mpsd__jw_string(&w, "\b\f\x01\x1f\"\\/\n");
    assert_int_equal(w.len, strlen("\"\\b\\f\\u0001\\u001f\\\"\\\\/\\n\""));
    assert_memory_equal(buf, "\"\\b\\f\\u0001\\u001f\\\"\\\\/\\n\"", w.len);
}

/* ------------------------------------------------------------------ dates */

static time_t http_date(const char *s) { return xbl_mpsd__parse_http_date(s, strlen(s)); }

static void http_date_rules(void **state)
{
    static const char *const bad[] = {
        "Sun, 06 Nov 1994 08:49:37 GM",    /* length */
        "Sun; 06 Nov 1994 08:49:37 GMT", "Sun,_06 Nov 1994 08:49:37 GMT", "Sun, 06_Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov_1994 08:49:37 GMT", "Sun, 06 Nov 1994_08:49:37 GMT", "Sun, 06 Nov 1994 08_49:37 GMT",
        "Sun, 06 Nov 1994 08:49_37 GMT", "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 00 Nov 1994 08:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, x6 Nov 1994 08:49:37 GMT", "Sun, 0x Nov 1994 08:49:37 GMT", "Sun, 06 Nov 19x4 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:49:37 GMT", "Sun, 06 Nov 1994 08:60:37 GMT", "Sun, 06 Nov 1994 08:49:61 GMT",
    };
    size_t i;
    (void)state;
    assert_int_equal(http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
    assert_int_equal(http_date("Thu, 31 Dec 2099 23:59:60 GMT"), 4102444800);   /* leap second */
    assert_int_equal(http_date("Mon, 01 Jan 1970 00:00:00 GMT"), 0);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (http_date(bad[i]) != 0) fail_msg("accepted date %s", bad[i]);
}

static bool iso(const char *s, time_t *t) { return xbl_mpsd__parse_time(s, strlen(s), t); }

static void iso_time_rules(void **state)
{
    static const char *const bad[] = {
        "2024-02-29T12:00:00", "2024-02-29T12:00:00.Z", "2024-02-29T12:00:00Zx", "2024-02-29T12:00:00+00:00",
        "2023-02-29T12:00:00Z", "2100-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z",
        "2024-04-31T00:00:00Z", "2024-04-00T00:00:00Z", "2024-04-01T24:00:00Z", "2024-04-01T00:60:00Z",
        "2024-04-01T00:00:61Z", "2024/04-01T00:00:00Z", "2024-04-01 00:00:00Z", "2024-04-01T00.00:00Z",
        "2024-04-01T00:00.00Z", "2x24-04-01T00:00:00Z",
    };
    time_t t = 0;
    size_t i;
    (void)state;
    assert_true(iso("2024-02-29T12:00:00Z", &t));                    /* leap year */
    assert_int_equal(t, 1709208000);
    assert_true(iso("2000-02-29t12:00:00.123456z", &t));             /* 400-year leap, fraction, lower case */
    assert_int_equal(t, 951825600);
    assert_true(iso("0000-01-01T00:00:00Z", &t));                    /* year 0: the negative era */
    assert_int_equal((int64_t)t, INT64_C(-62167219200));
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (iso(bad[i], &t)) fail_msg("accepted time %s", bad[i]);
}

/* ----------------------------------------------------------- HTTP parser */

static unsigned char g_win[16384];

/* Feeds a whole response in one piece into a fresh parser. */
static xbl_mpsd_result feed(xbl_mpsd__http_response *r, const char *resp, bool is_get)
{
    size_t n = strlen(resp);
    xbl_mpsd__hr_init(r, is_get);
    memcpy(g_win, resp, n);
    r->raw_len = n;
    return xbl_mpsd__hr_feed(r, g_win, sizeof g_win);
}

#define OK200 "HTTP/1.1 200 OK\r\n"

static void http_header_field_rules(void **state)
{
    static const char *const bad[] = {
        OK200 "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",      /* differing lengths */
        OK200 "Content-Length: 2x\r\n\r\n{}",
        OK200 "Transfer-Encoding: gzip\r\n\r\n",
        OK200 "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        OK200 "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        OK200 "No-Colon\r\n\r\n",
        OK200 ": empty name\r\n\r\n",
        OK200 "Bad Name: x\r\n\r\n",                                  /* space in a field name */
        OK200 "Bad-Value: a\x01" "b\r\n\r\n",
        OK200 "Bad-Value: a\x7f" "b\r\n\r\n",
        OK200 "X: a\r\n folded\r\n\r\n",                              /* obs-fold */
        OK200 "X: a\r\n\tfolded\r\n\r\n",
        OK200 "X: a\n\r\n",                                           /* bare LF */
        OK200 "X: a\rb\r\n\r\n",                                      /* bare CR */
    };
    xbl_mpsd__http_response r;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        xbl_mpsd_result res = feed(&r, bad[i], false);
        if (res != XBL_MPSD_E_HTTP_PROTOCOL) fail_msg("header case #%u: %s", (unsigned)i, xbl_mpsd_result_string(res));
    }
    /* tolerated: a repeated identical length, tabs and spaces around values */
    assert_int_equal(feed(&r, OK200 "content-length: 2\r\nContent-Length:\t2 \r\nX-Empty:\r\nX-Tab: a\tb\r\n\r\n{}", false),
                     XBL_MPSD_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 2);
}

static void http_header_values_kept(void **state)
{
    char etag[140], loc[320], resp[1024];
    xbl_mpsd__http_response r;
    (void)state;
    /* ETag: 127 bytes fit, 128 are refused (a cut ETag would break If-Match) */
    memset(etag, 'e', 127); etag[127] = '\0';
    snprintf(resp, sizeof resp, OK200 "ETag: %s\r\nContent-Length: 0\r\n\r\n", etag);
    assert_int_equal(feed(&r, resp, false), XBL_MPSD_OK);
    assert_int_equal(r.etag_len, 127);
    assert_memory_equal(r.etag, etag, 127);
    memset(etag, 'e', 128); etag[128] = '\0';
    snprintf(resp, sizeof resp, OK200 "ETag: %s\r\nContent-Length: 0\r\n\r\n", etag);
    assert_int_equal(feed(&r, resp, false), XBL_MPSD_E_HTTP_PROTOCOL);
    /* Content-Location: kept when it fits, flagged when it does not */
    memset(loc, 'l', 300); loc[300] = '\0';
    snprintf(resp, sizeof resp, OK200 "Content-Location: %s\r\nContent-Length: 0\r\n\r\n", loc);
    assert_int_equal(feed(&r, resp, false), XBL_MPSD_OK);
    assert_true(r.flags & XBL_MPSD__HF_LONG_LOC);
    assert_false(r.flags & XBL_MPSD__HF_LOCATION);
    assert_int_equal(feed(&r, OK200 "Content-Location: /a/b\r\nContent-Length: 0\r\n\r\n", false), XBL_MPSD_OK);
    assert_true(r.flags & XBL_MPSD__HF_LOCATION);
    assert_string_equal(r.location, "/a/b");
    /* Retry-After: seconds only; an HTTP date gives 0 */
    assert_int_equal(feed(&r, "HTTP/1.1 429 x\r\nRetry-After: 120\r\nContent-Length: 0\r\n\r\n", false), XBL_MPSD_OK);
    assert_int_equal(r.retry_after, 120);
    assert_int_equal(feed(&r, "HTTP/1.1 429 x\r\nRetry-After: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 0\r\n\r\n",
                          false), XBL_MPSD_OK);
    assert_int_equal(r.retry_after, 0);
    assert_int_equal(feed(&r, "HTTP/1.1 429 x\r\nRetry-After: 4294967296\r\nContent-Length: 0\r\n\r\n", false), XBL_MPSD_OK);
    assert_int_equal(r.retry_after, 0);
    /* Date */
    assert_int_equal(feed(&r, OK200 "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 0\r\n\r\n", false), XBL_MPSD_OK);
    assert_int_equal(r.date, 784111777);
}

static void http_content_type_text(void **state)
{
    static const struct { const char *type; bool text; } cases[] = {
        { "text/plain", true }, { "Text/Plain; charset=utf-8", true }, { "text/plain ;q", true },
        { "text/plainx", false }, { "text/html", false }, { "text/", false }, { "application/json", false },
    };
    xbl_mpsd__http_response r;
    char resp[256];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(resp, sizeof resp, "HTTP/1.1 400 x\r\nContent-Type: %s\r\nContent-Length: 0\r\n\r\n", cases[i].type);
        assert_int_equal(feed(&r, resp, false), XBL_MPSD_OK);
        assert_true(r.flags & XBL_MPSD__HF_HAS_TYPE);
        if (!!(r.flags & XBL_MPSD__HF_TEXT) != cases[i].text) fail_msg("content type %s", cases[i].type);
    }
}

static void http_connection_tokens(void **state)
{
    xbl_mpsd__http_response r;
    (void)state;
    assert_true(xbl_mpsd__has_token("keep-alive, close", 17, "close"));
    assert_true(xbl_mpsd__has_token(" ,\tClose\t ,", 11, "close"));
    assert_false(xbl_mpsd__has_token("closed", 6, "close"));
    assert_false(xbl_mpsd__has_token(" , ,", 4, "close"));
    assert_false(xbl_mpsd__has_token("", 0, "close"));
    /* HTTP/1.0 closes unless it says keep-alive; 1.1 closes when told */
    assert_int_equal(feed(&r, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false), XBL_MPSD_OK);
    assert_true(r.flags & XBL_MPSD__HF_CLOSE);
    assert_int_equal(feed(&r, "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", false), XBL_MPSD_OK);
    assert_false(r.flags & XBL_MPSD__HF_CLOSE);
    assert_int_equal(feed(&r, OK200 "Connection: upgrade, close\r\nContent-Length: 0\r\n\r\n", false), XBL_MPSD_OK);
    assert_true(r.flags & XBL_MPSD__HF_CLOSE);
    assert_int_equal(feed(&r, OK200 "Connection: keep-alive\r\nContent-Length: 0\r\n\r\n", false), XBL_MPSD_OK);
    assert_false(r.flags & XBL_MPSD__HF_CLOSE);
    /* no length, not chunked: the body runs to the close */
    assert_int_equal(feed(&r, OK200 "\r\n{}", false), XBL_MPSD_PENDING);
    assert_int_equal(r.state, XBL_MPSD__HR_BODY_CLOSE);
    assert_true(r.flags & XBL_MPSD__HF_CLOSE);
    assert_int_equal(xbl_mpsd__hr_eof(&r), XBL_MPSD_OK);
    assert_int_equal(r.body_len, 2);
}

static void http_status_line_rules(void **state)
{
    static const char *const bad[] = {
        "HTTP/2.0 200 OK\r\n\r\n", "HTTP/1.x 200 OK\r\n\r\n", "HTTP/1.1  200 OK\r\n\r\n", "HTTP/1.1 200OK\r\n\r\n",
        "HTTP/1.1 099 Low\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1 20\r\n\r\n", "HTTPS/1.1 200 OK\r\n\r\n",
        "http/1.1 200 OK\r\n\r\n", "HTTP/1.1_200 OK\r\n\r\n",
    };
    xbl_mpsd__http_response r;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        xbl_mpsd_result res = feed(&r, bad[i], false);
        if (res != XBL_MPSD_E_HTTP_PROTOCOL) fail_msg("status case #%u: %s", (unsigned)i, xbl_mpsd_result_string(res));
    }
    /* no reason phrase at all */
    assert_int_equal(feed(&r, "HTTP/1.1 204\r\n\r\n", false), XBL_MPSD_OK);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.state, XBL_MPSD__HR_DONE);
    assert_int_equal(feed(&r, "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", true), XBL_MPSD_OK);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.body_len, 0);
    assert_int_equal(feed(&r, "HTTP/1.1 999 Whatever\r\nContent-Length: 0\r\n\r\n", false), XBL_MPSD_OK);
    assert_int_equal(r.status, 999);
}

static void http_interim_responses(void **state)
{
    xbl_mpsd__http_response r;
    (void)state;
    /* 1xx are skipped along with their fields, which do not leak into the final response */
    assert_int_equal(feed(&r, "HTTP/1.1 100 Continue\r\nETag: \"old\"\r\nRetry-After: 5\r\n\r\n"
                              "HTTP/1.1 102 Processing\r\n\r\n"
                              "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true), XBL_MPSD_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.etag_len, 0);
    assert_int_equal(r.retry_after, 0);
    assert_true(r.flags & XBL_MPSD__HF_IS_GET);
    assert_int_equal(feed(&r, "HTTP/1.1 101 Switching Protocols\r\n\r\n", false), XBL_MPSD_E_HTTP_PROTOCOL);
    assert_int_equal(feed(&r, "HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\n", false), XBL_MPSD_E_HTTP_PROTOCOL);
    assert_int_equal(feed(&r, "HTTP/1.1 100 Continue\r\nTransfer-Encoding: chunked\r\n\r\n", false), XBL_MPSD_E_HTTP_PROTOCOL);
}

static void http_chunk_rules(void **state)
{
    static const char *const bad[] = {
        OK200 "Transfer-Encoding: chunked\r\n\r\n2 x\r\n{}\r\n0\r\n\r\n",         /* junk after the size */
        OK200 "Transfer-Encoding: chunked\r\n\r\n\r\n",                          /* no digits */
        OK200 "Transfer-Encoding: chunked\r\n\r\n;ext\r\n",
        OK200 "Transfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",          /* 16 hex digits */
        OK200 "Transfer-Encoding: chunked\r\n\r\n2\r\n{}x\r\n0\r\n\r\n",         /* data longer than the size */
    };
    xbl_mpsd__http_response r;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        xbl_mpsd_result res = feed(&r, bad[i], true);
        if (res != XBL_MPSD_E_HTTP_PROTOCOL) fail_msg("chunk case #%u: %s", (unsigned)i, xbl_mpsd_result_string(res));
    }
    /* extensions, whitespace before them, upper-case hex, trailer fields */
    assert_int_equal(feed(&r, OK200 "Transfer-Encoding: Chunked\r\n\r\n"
                              "1 \t;name=value\r\n{\r\nA\r\n\"k\":\"0123\"\r\n1;x\r\n}\r\n0\r\nX-Trailer: 1\r\n\r\n", true),
                     XBL_MPSD_OK);
    assert_int_equal(r.body_len, 12);
    assert_memory_equal(g_win, "{\"k\":\"0123\"}", 12);
    assert_int_equal(r.state, XBL_MPSD__HR_DONE);
    /* bytes after the end of the response make the connection unusable */
    assert_int_equal(feed(&r, OK200 "Content-Length: 2\r\n\r\n{}HTTP", true), XBL_MPSD_OK);
    assert_true(r.flags & XBL_MPSD__HF_CLOSE);
}

/* ---------------------------------------------------------- async getters */

static void async_getters_tolerate_null_and_idle(void **state)
{
    xbl_mpsd_async a;
    unsigned char buf[64];
    (void)state;
    assert_int_equal(xbl_mpsd_async_needed_bytes(NULL), 0);
    assert_int_equal(xbl_mpsd_async_http_status(NULL), 0);
    assert_string_equal(xbl_mpsd_async_error_text(NULL), "");
    assert_int_equal(xbl_mpsd_async_poll(NULL), XBL_MPSD_E_INVALIDARG);
    xbl_mpsd_async_cancel(NULL);   /* no effect, no crash */
    assert_int_equal(xbl_mpsd_async_init(NULL, buf, sizeof buf), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_async_init(&a, NULL, 1), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_async_init(&a, NULL, 0), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_init(&a, buf, sizeof buf), XBL_MPSD_OK);
    /* before it is done: no status, no text; cancel of an idle operation changes nothing */
    assert_int_equal(xbl_mpsd_async_http_status(&a), 0);
    assert_string_equal(xbl_mpsd_async_error_text(&a), "");
    assert_int_equal(xbl_mpsd_async_needed_bytes(&a), 0);
    xbl_mpsd_async_cancel(&a);
    assert_int_equal(xbl_mpsd_async_http_status(&a), 0);
}

/* The loader's own argument checks (the result call never breaks them). */
static void session_load_argument_checks(void **state)
{
    static unsigned char arena[4096];
    jsmntok_t tokens[8];
    xbl_mpsd_session s;
    xbl_mpsd__response_meta meta;
    size_t need = 99;
    (void)state;
    memset(&meta, 0, sizeof meta);
    assert_int_equal(xbl_mpsd_session_init(&s, 1, NULL, NULL, arena, sizeof arena), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd__session_load(NULL, "{}", 2, &meta, tokens, 8, &need, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(need, 0);
    assert_int_equal(xbl_mpsd__session_load(&s, "{}", 2, NULL, tokens, 8, &need, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd__session_load(&s, "{}", 2, &meta, tokens, 8, NULL, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd__session_load(&s, NULL, 2, &meta, tokens, 8, &need, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd__session_load(&s, "", 0, &meta, tokens, 8, &need, NULL), XBL_MPSD_E_INVALID_JSON_STRING);
    assert_true(xbl_mpsd_session_has_document(&s));   /* untouched by every refusal */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(result_strings_name_every_class),
        cmocka_unit_test(version_matches_macros),
        cmocka_unit_test(utf8_validator_rules),
        cmocka_unit_test(arena_overflow_guards),
        cmocka_unit_test(json_string_escapes),
        cmocka_unit_test(json_string_malformed),
        cmocka_unit_test(json_string_scan_every_offset),
        cmocka_unit_test(json_body_equals_rules),
        cmocka_unit_test(json_number_grammar),
        cmocka_unit_test(json_value_grammar),
        cmocka_unit_test(json_depth_limit),
        cmocka_unit_test(json_object_next_walks_members),
        cmocka_unit_test(json_writer_escapes_controls),
        cmocka_unit_test(http_date_rules),
        cmocka_unit_test(iso_time_rules),
        cmocka_unit_test(http_header_field_rules),
        cmocka_unit_test(http_header_values_kept),
        cmocka_unit_test(http_content_type_text),
        cmocka_unit_test(http_connection_tokens),
        cmocka_unit_test(http_status_line_rules),
        cmocka_unit_test(http_interim_responses),
        cmocka_unit_test(http_chunk_rules),
        cmocka_unit_test(async_getters_tolerate_null_and_idle),
        cmocka_unit_test(session_load_argument_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
