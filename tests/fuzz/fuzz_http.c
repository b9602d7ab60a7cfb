/* libFuzzer harness 1: the HTTP/1.1 response parser (xbl_mpsd__hr_feed)
   fed in fuzzer-chosen splits through a window of fuzzer-chosen size.

   Input: [flags][k][k split bytes][response bytes...]
     flags bit 0: the exchange is a GET (which bodies are sessions);
     flags bits 1-2: window size: whole response + 1, 64, 512 or 4096 bytes.

   Properties:
   - no sanitizer report (the window is a heap block of exactly `cap`
     bytes, so any access past it is caught);
   - the parser ends with OK, HTTP_PROTOCOL, OUTOFMEMORY or, at EOF,
     CONNECTION_CLOSED, and its window bookkeeping stays inside the window;
   - split invariance: unless it ran out of window, the split run agrees
     with a one-shot run of the same bytes on the result, status, framing
     flags, ETag, Content-Location, Date, Retry-After, body size, token
     count and (when the body was kept) the body bytes;
   - needed size: a run that ran out of window, repeated with a window of
     the size the parser asked for, does not run out again. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "fuzz_util.h"

#define FZ_COMPARED_FLAGS (XBL_MPSD__HF_LENGTH | XBL_MPSD__HF_CHUNKED | XBL_MPSD__HF_HTTP10 \
    | XBL_MPSD__HF_TEXT | XBL_MPSD__HF_HAS_TYPE | XBL_MPSD__HF_LOCATION | XBL_MPSD__HF_LONG_LOC \
    | XBL_MPSD__HF_WANT_BODY | XBL_MPSD__HF_IS_GET | XBL_MPSD__HF_KEEP_ALIVE)

typedef struct fz_run {
    xbl_mpsd__http_response r;
    unsigned char          *win;
    size_t                  cap;
    fz_hr_outcome           o;
} fz_run;

static void run(fz_run *x, bool is_get, size_t cap, const uint8_t *data, size_t size, fz_split *split)
{
    x->cap = cap;
    x->win = (unsigned char *)malloc(cap);
    FZ_CHECK(x->win != NULL);
    xbl_mpsd__hr_init(&x->r, is_get);
    x->o = fz_hr_run(&x->r, x->win, cap, data, size, split);
}

static void same_outcome(const fz_run *a, const fz_run *b)
{
    FZ_CHECK(a->o.result == b->o.result);
    if (a->o.result != XBL_MPSD_OK) return;
    FZ_CHECK(a->r.status == b->r.status);
    FZ_CHECK((a->r.flags & FZ_COMPARED_FLAGS) == (b->r.flags & FZ_COMPARED_FLAGS));
    FZ_CHECK(a->r.etag_len == b->r.etag_len && memcmp(a->r.etag, b->r.etag, a->r.etag_len) == 0);
    FZ_CHECK(strcmp(a->r.location, b->r.location) == 0);
    FZ_CHECK(a->r.date == b->r.date && a->r.retry_after == b->r.retry_after);
    FZ_CHECK(a->r.body_total == b->r.body_total);
    if (!(b->r.flags & XBL_MPSD__HF_OVERFLOW)) {
        FZ_CHECK(a->r.body_len == b->r.body_len);
        FZ_CHECK(memcmp(a->win, b->win, a->r.body_len) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[4] = { 0, 64, 512, 4096 };
    fz_run whole, split_run, retry;
    fz_split one, sp, sp2;
    bool is_get;
    size_t k, cap;
    if (size < 2) return 0;
    is_get = (data[0] & 1) != 0;
    cap = caps[(data[0] >> 1) & 3];
    k = data[1];
    if (k > size - 2) k = size - 2;
    memset(&sp, 0, sizeof sp);
    sp.ctl = data + 2; sp.n = k; sp.dflt = 4096;
    sp2 = sp;
    data += 2 + k;
    size -= 2 + k;
    if (cap == 0) cap = size + 1;

    memset(&one, 0, sizeof one);
    one.dflt = (size_t)-1;
    run(&whole, is_get, size + 1, data, size, &one);
    run(&split_run, is_get, cap, data, size, &sp);
    if (split_run.o.result != XBL_MPSD_E_OUTOFMEMORY) {
        same_outcome(&whole, &split_run);
    } else {
        if (split_run.r.need > cap) {
            run(&retry, is_get, split_run.r.need, data, size, &sp2);
            FZ_CHECK(retry.o.result != XBL_MPSD_E_OUTOFMEMORY);
            same_outcome(&whole, &retry);
            free(retry.win);
        }
    }
    free(whole.win);
    free(split_run.win);
    return 0;
}
