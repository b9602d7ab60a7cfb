/* libFuzzer harness 2: chunked transfer decoding, against an independent
   reference decoder written here from RFC 9112 §7.1 plus the SDK's
   documented limits (chunk-size at most 15 hex digits, chunk and trailer
   lines at most XBL_MPSD_HTTP_MAX_CHUNK_LINE bytes with their CRLF, CRLF
   line ends only, no NUL, no bare CR or LF).

   Input: [flags][k][k split bytes][chunked body bytes...], behind a fixed
   "HTTP/1.1 200 OK / Transfer-Encoding: chunked" head.
     flags bit 0: GET; bits 1-2: window: everything + 1, 24, 128 or 600 bytes.

   Properties (besides no sanitizer report):
   - the SDK accepts exactly what the reference accepts: OK <-> complete,
     HTTP_PROTOCOL <-> malformed, CONNECTION_CLOSED <-> cut short (unless
     the SDK ran out of window: OUTOFMEMORY is then allowed);
   - on OK the decoded size matches, and so do the bytes when they were
     kept (no overflow);
   - the streaming token count is never below jsmn's count for a body that
     is one valid JSON value (check_body relies on it). */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "fuzz_util.h"

static const char fz_head[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

enum { REF_OK, REF_BAD, REF_SHORT };

/* One CRLF line at *i: its content length in *n. */
static int ref_line(const uint8_t *d, size_t size, size_t *i, size_t *n)
{
    size_t k;
    for (k = *i; k < size; k++) {
        if (d[k] == '\n') {
            if (k == *i || d[k - 1] != '\r') return REF_BAD;
            if (k + 1 - *i > XBL_MPSD_HTTP_MAX_CHUNK_LINE) return REF_BAD;
            *n = k - 1 - *i;
            return REF_OK;
        }
        if (k > *i && d[k - 1] == '\r') return REF_BAD;
        if (d[k] == 0) return REF_BAD;
    }
    /* an unfinished line is at least one byte longer than what came */
    return size - *i + 1 > XBL_MPSD_HTTP_MAX_CHUNK_LINE ? REF_BAD : REF_SHORT;
}

static int ref_hex(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool ref_size(const uint8_t *s, size_t n, uint64_t *v)
{
    size_t i = 0;
    *v = 0;
    while (i < n && ref_hex(s[i]) >= 0) {
        if (i == 15) return false;
        *v = *v * 16 + (uint64_t)ref_hex(s[i]);
        i++;
    }
    if (i == 0) return false;
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    return i == n || s[i] == ';';
}

/* Decodes into out (at least size bytes). */
static int ref_decode(const uint8_t *d, size_t size, uint8_t *out, size_t *out_len)
{
    size_t i = 0, n;
    int r;
    *out_len = 0;
    for (;;) {
        uint64_t chunk;
        size_t start = i;
        if ((r = ref_line(d, size, &i, &n)) != REF_OK) return r;
        i += n + 2;
        if (!ref_size(d + start, n, &chunk)) return REF_BAD;
        if (chunk == 0) break;
        if (chunk > size - i) return REF_SHORT;
        memcpy(out + *out_len, d + i, (size_t)chunk);
        *out_len += (size_t)chunk;
        i += (size_t)chunk;
        if ((r = ref_line(d, size, &i, &n)) != REF_OK) return r;
        if (n != 0) return REF_BAD;
        i += 2;
    }
    for (;;) {   /* trailer section */
        if ((r = ref_line(d, size, &i, &n)) != REF_OK) return r;
        i += n + 2;
        if (n == 0) return REF_OK;
    }
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[4] = { 0, 24, 128, 600 };
    xbl_mpsd__http_response r;
    fz_split sp;
    fz_hr_outcome o;
    uint8_t *msg, *ref;
    unsigned char *win;
    size_t k, cap, hl = sizeof fz_head - 1, ref_len = 0;
    int want;
    bool is_get;
    if (size < 2) return 0;
    is_get = (data[0] & 1) != 0;
    cap = caps[(data[0] >> 1) & 3];
    k = data[1];
    if (k > size - 2) k = size - 2;
    memset(&sp, 0, sizeof sp);
    sp.ctl = data + 2; sp.n = k; sp.dflt = 4096;
    data += 2 + k;
    size -= 2 + k;
    if (cap == 0) cap = hl + size + 1;

    msg = (uint8_t *)malloc(hl + size + 1);
    ref = (uint8_t *)malloc(size + 1);
    win = (unsigned char *)malloc(cap);
    FZ_CHECK(msg && ref && win);
    memcpy(msg, fz_head, hl);
    if (size) memcpy(msg + hl, data, size);
    want = ref_decode(data, size, ref, &ref_len);

    xbl_mpsd__hr_init(&r, is_get);
    o = fz_hr_run(&r, win, cap, msg, hl + size, &sp);
    if (o.result != XBL_MPSD_E_OUTOFMEMORY) {
        if (want == REF_OK) FZ_CHECK(o.result == XBL_MPSD_OK);
        if (want == REF_BAD) FZ_CHECK(o.result == XBL_MPSD_E_HTTP_PROTOCOL);
        if (want == REF_SHORT) FZ_CHECK(o.result == XBL_MPSD_E_CONNECTION_CLOSED);
    } else {
        FZ_CHECK(cap < hl + size + 1);
    }
    if (o.result == XBL_MPSD_OK) {
        FZ_CHECK(r.status == 200 && (r.flags & XBL_MPSD__HF_CHUNKED));
        FZ_CHECK(r.body_total == ref_len);
        if (!(r.flags & XBL_MPSD__HF_OVERFLOW)) {
            FZ_CHECK(r.body_len == ref_len);
            FZ_CHECK(ref_len == 0 || memcmp(win, ref, ref_len) == 0);
        }
    }
    free(msg);
    free(ref);
    free(win);
    return 0;
}
