/* libFuzzer harness: the search-handle and session-query readers on
   arbitrary 2xx bodies, through the public calls (a port that answers every
   request with "200 OK" and the fuzzer's body, in fuzzer-chosen receive
   splits).

   Input: [op][split][body...]; op bit 0: a search-handle query (a results
   list) instead of a create response; bit 1: a session query instead.

   Properties (besides no sanitizer report; the async buffer and the result
   storage are heap blocks of exactly their size):
   - the operation ends with OK, INVALID_JSON_STRING or OUTOFMEMORY, and
     every body it accepted is one JSON value (jsmn agrees);
   - the search size is exact at the worst alignment: size - 1 fails at
     every address and writes only *buffer_used (the size), size fits at
     every address; every array and text a getter returns lies inside the
     buffer and every fixed field holds its NUL; copy into a new buffer of
     the size it asks for gives the same fields;
   - a result array one entry short fails with OUTOFMEMORY and stays
     byte-identical. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "fuzz_util.h"

#include "fuzz_body_port.h"

static jsmntok_t g_tok[8192];

static bool fz_fixed(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

/* Every getter's output of h lies inside [buf, buf + used) or h itself. */
static void check_handle(const xbl_mpsd_search_handle *h, const unsigned char *buf, size_t used)
{
    const uint64_t *x;
    const xbl_mpsd_session_tag *t;
    const xbl_mpsd_session_string_attribute *s;
    const xbl_mpsd_session_number_attribute *nu;
    const xbl_mpsd_role_type *rt;
    const char *text;
    size_t n, i, k;
    FZ_CHECK(xbl_mpsd_search_handle_get_id(h, &text) == XBL_MPSD_OK && fz_fixed(text, XBL_MPSD_GUID_LENGTH));
    FZ_CHECK(xbl_mpsd_search_handle_get_session_owner_xuids(h, &x, &n) == XBL_MPSD_OK);
    FZ_CHECK(n == 0 || fz_inside(x, n * sizeof *x, buf, used));
    FZ_CHECK(xbl_mpsd_search_handle_get_tags(h, &t, &n) == XBL_MPSD_OK);
    FZ_CHECK(n == 0 || fz_inside(t, n * sizeof *t, buf, used));
    for (i = 0; i < n; i++) FZ_CHECK(fz_fixed(t[i].value, sizeof t[i].value));
    FZ_CHECK(xbl_mpsd_search_handle_get_string_attributes(h, &s, &n) == XBL_MPSD_OK);
    FZ_CHECK(n == 0 || fz_inside(s, n * sizeof *s, buf, used));
    for (i = 0; i < n; i++) FZ_CHECK(fz_fixed(s[i].name, sizeof s[i].name) && fz_fixed(s[i].value, sizeof s[i].value));
    FZ_CHECK(xbl_mpsd_search_handle_get_number_attributes(h, &nu, &n) == XBL_MPSD_OK);
    FZ_CHECK(n == 0 || fz_inside(nu, n * sizeof *nu, buf, used));
    for (i = 0; i < n; i++) FZ_CHECK(fz_fixed(nu[i].name, sizeof nu[i].name) && nu[i].value - nu[i].value == 0.0);
    FZ_CHECK(xbl_mpsd_search_handle_get_custom_session_properties_json(h, &text) == XBL_MPSD_OK);
    FZ_CHECK(text == NULL || (fz_inside(text, 1, buf, used) && fz_inside(text, strlen(text) + 1, buf, used)));
    FZ_CHECK(xbl_mpsd_search_handle_get_role_types(h, &rt, &n) == XBL_MPSD_OK);
    FZ_CHECK(n == 0 || fz_inside(rt, n * sizeof *rt, buf, used));
    for (i = 0; i < n; i++) {
        FZ_CHECK(fz_inside(rt[i].name, strlen(rt[i].name) + 1, buf, used));
        FZ_CHECK(rt[i].role_count == 0 || fz_inside(rt[i].roles, rt[i].role_count * sizeof *rt[i].roles, buf, used));
        for (k = 0; k < rt[i].role_count; k++)
            FZ_CHECK(rt[i].roles[k].role_type == &rt[i] && rt[i].roles[k].member_xuids == NULL);
    }
}

/* A copy into a buffer of the size copy asks for reads the same. */
static void check_copy(const xbl_mpsd_search_handle *h)
{
    xbl_mpsd_search_handle c;
    const char *a, *b;
    size_t need = 0, used = 0;
    unsigned char *buf;
    if (xbl_mpsd_search_handle_copy(&c, h, NULL, 0, &need) == XBL_MPSD_OK) { FZ_CHECK(h->data_len == 0); return; }
    buf = (unsigned char *)malloc(need);
    FZ_CHECK(xbl_mpsd_search_handle_copy(&c, h, buf, need, &used) == XBL_MPSD_OK && used <= need);
    check_handle(&c, buf, used);
    FZ_CHECK(xbl_mpsd_search_handle_get_id(&c, &a) == XBL_MPSD_OK && xbl_mpsd_search_handle_get_id(h, &b) == XBL_MPSD_OK);
    FZ_CHECK(strcmp(a, b) == 0);
    free(buf);
}

static void check_search(xbl_mpsd_async *a, bool list)
{
    size_t size = 0, count = 1, used, at;
    xbl_mpsd_search_handle *hs;
    unsigned char *buf;
    if (list) FZ_CHECK(xbl_mpsd_get_search_handles_result_count(a, &count) == XBL_MPSD_OK);
    FZ_CHECK((list ? xbl_mpsd_get_search_handles_result_size(a, &size)
                   : xbl_mpsd_create_search_handle_result_size(a, &size)) == XBL_MPSD_OK);
    hs = (xbl_mpsd_search_handle *)malloc((count + 1) * sizeof *hs);
    buf = (unsigned char *)malloc(size + XBL_MPSD__ALIGN);
    for (at = 0; size > 0 && at < XBL_MPSD__ALIGN; at++) {
        used = 0;
        memset(buf, 0x5A, size + XBL_MPSD__ALIGN);
        FZ_CHECK((list ? xbl_mpsd_get_search_handles_result(a, hs, count, buf + at, size - 1, &used)
                       : xbl_mpsd_create_search_handle_result(a, hs, buf + at, size - 1, &used))
                 == XBL_MPSD_E_OUTOFMEMORY);
        FZ_CHECK(used == size && buf[at] == 0x5A);
    }
    if (list && count > 0) {
        memset(hs, 0x5A, sizeof *hs);
        FZ_CHECK(xbl_mpsd_get_search_handles_result(a, hs, count - 1, buf, size + XBL_MPSD__ALIGN, &used)
                 == XBL_MPSD_E_OUTOFMEMORY);
        FZ_CHECK(((unsigned char *)hs)[0] == 0x5A && used == size);
    }
    at = (size_t)(count ^ size) % XBL_MPSD__ALIGN;
    FZ_CHECK((list ? xbl_mpsd_get_search_handles_result(a, hs, count, size ? buf + at : NULL, size, &used)
                   : xbl_mpsd_create_search_handle_result(a, hs, size ? buf + at : NULL, size, &used)) == XBL_MPSD_OK);
    FZ_CHECK(used <= size);
    for (size_t i = 0; i < count; i++) {
        check_handle(&hs[i], buf + at, used);
        check_copy(&hs[i]);
    }
    free(buf);
    free(hs);
}

static void check_queries(xbl_mpsd_async *a)
{
    size_t count = 0;
    xbl_mpsd_session_query_result *arr;
    FZ_CHECK(xbl_mpsd_query_sessions_result_count(a, &count) == XBL_MPSD_OK);
    arr = (xbl_mpsd_session_query_result *)malloc((count + 1) * sizeof *arr);
    memset(arr, 0x5A, (count + 1) * sizeof *arr);
    if (count > 0) {
        FZ_CHECK(xbl_mpsd_query_sessions_result(a, count - 1, arr) == XBL_MPSD_E_OUTOFMEMORY);
        FZ_CHECK(((unsigned char *)arr)[0] == 0x5A);
    }
    FZ_CHECK(xbl_mpsd_query_sessions_result(a, count, arr) == XBL_MPSD_OK);
    for (size_t i = 0; i < count; i++) {
        FZ_CHECK(fz_fixed(arr[i].session_reference.scid, sizeof arr[i].session_reference.scid));
        FZ_CHECK(fz_fixed(arr[i].session_reference.session_name, sizeof arr[i].session_reference.session_name));
        FZ_CHECK((unsigned)arr[i].status <= 3u && (unsigned)arr[i].visibility <= 5u);
    }
    free(arr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t xuid = 2814600000000002ULL;
    fz_rig g;
    xbl_mpsd_result rc;
    int guard = 0;
    uint8_t op;
    if (size < 2) return 0;
    op = data[0];
#ifdef FZ_QUERIES_ONLY
    op = 2;   /* fuzz_queries: the session-query reader alone */
#endif
    fz_rig_start(&g, data, size);
    if (op & 2) {
        xbl_mpsd_session_query q;
        memset(&q, 0, sizeof q);
        memcpy(q.scid, "scid", 5);
        q.xuid_filters = &xuid;
        q.xuid_filters_count = 1;
        q.visibility_filter = XBL_MPSD_SESSION_VISIBILITY_ANY;
        FZ_CHECK(xbl_mpsd_query_sessions_async(&g.client, &q, &g.a) == XBL_MPSD_OK);
    } else if (op & 1) {
        FZ_CHECK(xbl_mpsd_get_search_handles_async(&g.client, "scid", "t", NULL, false, NULL, NULL, &g.a) == XBL_MPSD_OK);
    } else {
        xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create("scid", "t", "n");
        FZ_CHECK(xbl_mpsd_create_search_handle_async(&g.client, &ref, NULL, 0, NULL, 0, NULL, 0, &g.a) == XBL_MPSD_OK);
    }
    while ((rc = xbl_mpsd_async_poll(&g.a)) == XBL_MPSD_PENDING) FZ_CHECK(++guard < 1000000);
    FZ_CHECK(rc == XBL_MPSD_OK || rc == XBL_MPSD_E_INVALID_JSON_STRING || rc == XBL_MPSD_E_OUTOFMEMORY);
    if (rc == XBL_MPSD_OK) FZ_CHECK(fz_jsmn_ok((const char *)g.p.body, g.p.body_n, g_tok, 8192) || g.p.body_n > 16384);
    if (rc == XBL_MPSD_OK && (op & 2)) check_queries(&g.a);
    else if (rc == XBL_MPSD_OK) check_search(&g.a, (op & 1) != 0);
    free(g.work);
    return 0;
}
