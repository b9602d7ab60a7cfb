/* libFuzzer harness: the handles family's activity-list and handle-ID
   readers on arbitrary 2xx bodies, through the public calls (a port that
   answers every request with "200 OK" and the fuzzer's body, in fuzzer-
   chosen receive splits).

   Input: [op][split][body...]; op bit 0: WithProperties (else plain),
   bit 1: a transfer handle (the handle-ID reader) instead,
   bit 2: clear activity (query, then a DELETE when one activity came back).

   Properties (besides no sanitizer report; the async buffer and the result
   storage are heap blocks of exactly their size):
   - the operation ends with OK, INVALID_JSON_STRING, OUTOFMEMORY or (clear
     activity) INVALIDARG, and every body it accepted is one JSON value
     (jsmn agrees);
   - the count call and the result call agree; a result array one entry
     short fails with OUTOFMEMORY and stays byte-identical;
   - the WithProperties size is exact at the worst alignment: size - 1 fails
     at every address and writes only *buffer_used, size fits at every
     address, and every text lies inside the buffer and is one JSON value;
   - an accepted handle ID is 1-39 bytes. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "fuzz_util.h"

#include "fuzz_body_port.h"

static jsmntok_t g_tok[8192];
static char g_wrap[1 << 15];

static void check_texts(const xbl_mpsd_activity_details *arr, size_t n, const unsigned char *buf, size_t used)
{
    for (size_t i = 0; i < n; i++) {
        const char *t = arr[i].custom_session_properties_json;
        size_t len;
        FZ_CHECK(t != NULL && fz_inside(t, 1, buf, used));
        len = strlen(t);
        FZ_CHECK(fz_inside(t, len + 1, buf, used));
        /* in brackets: fz_jsmn_ok judges containers (jsmn's string token ends before its quote) */
        FZ_CHECK(len + 3 <= sizeof g_wrap);
        g_wrap[0] = '[';
        memcpy(g_wrap + 1, t, len);
        g_wrap[len + 1] = ']';
        FZ_CHECK(fz_jsmn_ok(g_wrap, len + 2, g_tok, sizeof g_tok / sizeof g_tok[0]));
        FZ_CHECK(arr[i].handle_id[0] != '\0');
    }
}

static void check_props(xbl_mpsd_async *a, size_t count)
{
    size_t size = 0, used, got = 0, at;
    xbl_mpsd_activity_details *arr = NULL;
    unsigned char *buf;
    FZ_CHECK(xbl_mpsd_get_activities_with_properties_for_users_result_size(a, &size) == XBL_MPSD_OK);
    FZ_CHECK((size == 0) == (count == 0));
    if (size == 0) return;
    buf = (unsigned char *)malloc(size + XBL_MPSD__ALIGN);
    for (at = 0; at < XBL_MPSD__ALIGN; at++) {
        used = 0;
        memset(buf, 0x5A, size + XBL_MPSD__ALIGN);
        FZ_CHECK(xbl_mpsd_get_activities_with_properties_for_users_result(a, size - 1, buf + at, &arr, &got, &used)
                 == XBL_MPSD_E_OUTOFMEMORY);
        FZ_CHECK(used == size && buf[at] == 0x5A);
    }
    at = (size_t)(buf[0] ^ (unsigned char)count) % XBL_MPSD__ALIGN;
    FZ_CHECK(xbl_mpsd_get_activities_with_properties_for_users_result(a, size, buf + at, &arr, &got, &used)
             == XBL_MPSD_OK);
    FZ_CHECK(got == count && used <= size && (unsigned char *)arr >= buf + at);
    check_texts(arr, got, buf + at, used);
    free(buf);
}

static void check_plain(xbl_mpsd_async *a, size_t count)
{
    xbl_mpsd_activity_details *arr = (xbl_mpsd_activity_details *)malloc((count + 1) * sizeof *arr);
    memset(arr, 0x5A, (count + 1) * sizeof *arr);
    if (count > 0) {
        FZ_CHECK(xbl_mpsd_get_activities_for_users_result(a, count - 1, arr) == XBL_MPSD_E_OUTOFMEMORY);
        FZ_CHECK(((unsigned char *)arr)[0] == 0x5A);
    }
    FZ_CHECK(xbl_mpsd_get_activities_for_users_result(a, count, arr) == XBL_MPSD_OK);
    for (size_t i = 0; i < count; i++) {
        FZ_CHECK(arr[i].handle_id[0] != '\0' && arr[i].custom_session_properties_json == NULL);
        FZ_CHECK(strlen(arr[i].handle_id) < XBL_MPSD_GUID_LENGTH);
    }
    free(arr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t xuid = 2814600000000002ULL;
    fz_rig g;
    xbl_mpsd_result rc;
    size_t count = 0;
    int guard = 0;
    uint8_t op;
    if (size < 2) return 0;
    op = data[0];
#ifdef FZ_HANDLE_ID_ONLY
    op = 2;   /* fuzz_handle_id: the handle-ID reader alone */
#endif
    fz_rig_start(&g, data, size);
    if (op & 2) {
        xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create("scid", "t", "n");
        FZ_CHECK(xbl_mpsd_set_transfer_handle_async(&g.client, ref, ref, &g.a) == XBL_MPSD_OK);
    } else if (op & 4) {
        FZ_CHECK(xbl_mpsd_clear_activity_async(&g.client, "scid", &g.a) == XBL_MPSD_OK);
    } else if (op & 1) {
        FZ_CHECK(xbl_mpsd_get_activities_with_properties_for_users_async(&g.client, "scid", &xuid, 1, &g.a) == XBL_MPSD_OK);
    } else {
        FZ_CHECK(xbl_mpsd_get_activities_for_users_async(&g.client, "scid", &xuid, 1, &g.a) == XBL_MPSD_OK);
    }
    while ((rc = xbl_mpsd_async_poll(&g.a)) == XBL_MPSD_PENDING) FZ_CHECK(++guard < 1000000);
    FZ_CHECK(rc == XBL_MPSD_OK || rc == XBL_MPSD_E_INVALID_JSON_STRING || rc == XBL_MPSD_E_OUTOFMEMORY
             || ((op & 6) == 4 && rc == XBL_MPSD_E_INVALIDARG));
    if (rc == XBL_MPSD_OK && !(op & 6)) FZ_CHECK(fz_jsmn_ok((const char *)g.p.body, g.p.body_n, g_tok, 8192) || g.p.body_n > 16384);
    if (rc == XBL_MPSD_OK && (op & 2)) {
        xbl_mpsd_session_handle_id id;
        FZ_CHECK(xbl_mpsd_set_transfer_handle_result(&g.a, &id) == XBL_MPSD_OK);
        FZ_CHECK(id.value[0] != '\0' && strlen(id.value) < sizeof id.value);
    } else if (rc == XBL_MPSD_OK && !(op & 4)) {
        if (op & 1) {
            FZ_CHECK(xbl_mpsd_get_activities_with_properties_for_users_result_size(&g.a, &count) == XBL_MPSD_OK);
            count = g.a.h.count;
            check_props(&g.a, count);
        } else {
            FZ_CHECK(xbl_mpsd_get_activities_for_users_result_count(&g.a, &count) == XBL_MPSD_OK);
            check_plain(&g.a, count);
        }
    }
    free(g.work);
    return 0;
}
