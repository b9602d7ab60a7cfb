/* fuzz_util.h - shared by the libFuzzer harnesses in tests/fuzz/. Include
   after xbl_mpsd.h (with XBL_MPSD_IMPLEMENTATION).

   - fz_split: a split-size source steered by fuzzer bytes;
   - fz_hr_run: drives the SDK's incremental HTTP response parser the way
     xbl_mpsd__step_recv does (append what the window can take, feed, EOF
     at the end), in fuzzer-chosen splits;
   - fz_jsmn_ok: an independent JSON check (jsmn in strict mode, one value);
   - FZ_CHECK: a failed property aborts with a message, which libFuzzer
     records as a crash. */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_CHECK(cond) do {                                                   \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* Split sizes: each byte of `ctl` gives one split (1..256 bytes, small
   splits more likely); when the bytes run out every split is `dflt`. */
typedef struct fz_split {
    const uint8_t *ctl;
    size_t         n, at, dflt;
} fz_split;

static inline size_t fz_split_next(fz_split *s)
{
    uint8_t b;
    if (s->at >= s->n) return s->dflt;
    b = s->ctl[s->at++];
    return b < 128 ? (size_t)(b % 8) + 1 : (size_t)b + 1;
}

/* The outcome of one response parse. */
typedef struct fz_hr_outcome {
    xbl_mpsd_result result;      /* OK, HTTP_PROTOCOL, OUTOFMEMORY or CONNECTION_CLOSED */
    size_t          delivered;   /* bytes handed to the parser */
} fz_hr_outcome;

/* Feeds data into r through a window of `cap` bytes at `win`, in splits.
   Mirrors step_recv: a full window is OUTOFMEMORY, the end of the data is
   EOF (which completes only a close-delimited body). */
static inline fz_hr_outcome fz_hr_run(xbl_mpsd__http_response *r, unsigned char *win, size_t cap,
        const uint8_t *data, size_t size, fz_split *split)
{
    fz_hr_outcome o;
    size_t at = 0;
    o.delivered = 0;
    for (;;) {
        size_t used = r->body_len + r->raw_len, n;
        xbl_mpsd_result res;
        FZ_CHECK(used <= cap);
        if (used >= cap) { o.result = XBL_MPSD_E_OUTOFMEMORY; break; }
        if (at >= size) {
            o.result = xbl_mpsd__hr_eof(r) == XBL_MPSD_OK ? XBL_MPSD_OK : XBL_MPSD_E_CONNECTION_CLOSED;
            break;
        }
        n = fz_split_next(split);
        if (n > size - at) n = size - at;
        if (n > cap - used) n = cap - used;
        memcpy(win + used, data + at, n);
        at += n;
        r->raw_len += n;
        res = xbl_mpsd__hr_feed(r, win, cap);
        FZ_CHECK(r->body_len + r->raw_len <= cap);
        if (res == XBL_MPSD_PENDING) continue;
        FZ_CHECK(res == XBL_MPSD_OK || res == XBL_MPSD_E_HTTP_PROTOCOL || res == XBL_MPSD_E_OUTOFMEMORY);
        o.result = res;
        break;
    }
    o.delivered = at;
    if (o.result == XBL_MPSD_OK) FZ_CHECK(r->state == XBL_MPSD__HR_DONE);
    return o;
}

/* jsmn, strict, as an independent judge: exactly one top-level value that
   spans the text (surrounding whitespace allowed). */
static inline bool fz_jsmn_ok(const char *text, size_t len, jsmntok_t *tok, unsigned cap)
{
    jsmn_parser p;
    int n;
    size_t i;
    jsmn_init(&p);
    n = jsmn_parse(&p, text, len, tok, cap);
    if (n < 1) return false;
    for (i = (size_t)tok[0].end; i < len; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r') return false;
    /* jsmn leaves a second top-level value as another root token */
    {
        int k;
        for (k = 1; k < n; k++) if (tok[k].parent < 0) return false;
    }
    return true;
}

/* The bytes [p, p+n) lie inside [base, base+size). */
static inline bool fz_inside(const void *p, size_t n, const void *base, size_t size)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;
    return a >= b && n <= size && a - b <= size - n;
}

#endif /* FUZZ_UTIL_H */
