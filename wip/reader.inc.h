/* ===========================================================================
   JSON reader (token walker over jsmn) and response parser
   A response body is first checked against the full JSON grammar
   (xbl_mpsd__json_check: RFC 8259, escapes, UTF-8, depth), so jsmn, which is
   only a tokenizer, sees well-formed text and its tokens describe it
   exactly. The walker below then checks every field it reads against the
   schema of MPSD §4 (types, ranges, fixed-buffer lengths, the member list)
   and fills a session in one function used twice: a measuring dry run that
   validates and sizes the arena, then the real run, which cannot fail.
   Conventions: a field looked up by key takes the LAST occurrence of a
   duplicated key; map-like objects (roleTypes, roles, member roles) keep
   every entry in document order. Inside title-owned custom JSON the SDK only
   peeks (matchmakingResult.initialTeam) and ignores wrong types there.
   =========================================================================== */

typedef struct xbl_mpsd__rd {
    const char      *js;    /* the body */
    const jsmntok_t *t;     /* its tokens, in document order */
    int              n;     /* token count */
    xbl_mpsd__arena *a;     /* the arena of the session being filled */
    bool             bad;   /* sticky: the body is not a valid document */
} xbl_mpsd__rd;

/* Value kinds of a token. */
enum {
    XBL_MPSD__RD_OBJECT,
    XBL_MPSD__RD_ARRAY,
    XBL_MPSD__RD_STRING,
    XBL_MPSD__RD_NUMBER,
    XBL_MPSD__RD_BOOL,
    XBL_MPSD__RD_NULL,
    XBL_MPSD__RD_ANY,
    XBL_MPSD__RD_NONE   /* no such token */
};

static int xbl_mpsd__rd_kind(const xbl_mpsd__rd *r, int i)
{
    char c;
    if (i < 0 || i >= r->n) return XBL_MPSD__RD_NONE;
    switch (r->t[i].type) {
    case JSMN_OBJECT: return XBL_MPSD__RD_OBJECT;
    case JSMN_ARRAY: return XBL_MPSD__RD_ARRAY;
    case JSMN_STRING: return XBL_MPSD__RD_STRING;
    case JSMN_PRIMITIVE: break;
    default: return XBL_MPSD__RD_NONE;
    }
    c = r->js[r->t[i].start];
    if (c == 't' || c == 'f') return XBL_MPSD__RD_BOOL;
    if (c == 'n') return XBL_MPSD__RD_NULL;
    return XBL_MPSD__RD_NUMBER;
}

static const char *xbl_mpsd__rd_text(const xbl_mpsd__rd *r, int i)
{
    return r->js + r->t[i].start;
}

static size_t xbl_mpsd__rd_len(const xbl_mpsd__rd *r, int i)
{
    return (size_t)(r->t[i].end - r->t[i].start);
}

/* Number of direct children (object: keys, array: elements). */
static size_t xbl_mpsd__rd_size(const xbl_mpsd__rd *r, int i)
{
    return (i >= 0 && i < r->n && r->t[i].size > 0) ? (size_t)r->t[i].size : 0;
}

/* Index of the token after the subtree of token i. Tokens are sorted by
   start offset and a subtree is contiguous, so the next sibling is the first
   token that starts at or after i's end: a binary search. */
static int xbl_mpsd__rd_skip(const xbl_mpsd__rd *r, int i)
{
    int lo, hi, end;
    if (i < 0 || i >= r->n) return r->n;
    if (r->t[i].type != JSMN_OBJECT && r->t[i].type != JSMN_ARRAY) return i + 1;
    end = r->t[i].end;
    lo = i + 1;
    hi = r->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (r->t[mid].start < end) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The value token of obj[key] (key compared after unescaping), last
   occurrence wins; -1 when obj is no object or has no such key. */
static int xbl_mpsd__rd_find(const xbl_mpsd__rd *r, int obj, const char *key)
{
    size_t c, n;
    int k, found = -1;
    if (xbl_mpsd__rd_kind(r, obj) != XBL_MPSD__RD_OBJECT) return -1;
    n = xbl_mpsd__rd_size(r, obj);
    for (c = 0, k = obj + 1; c < n && k + 1 < r->n; c++, k = xbl_mpsd__rd_skip(r, k + 1))
        if (r->t[k].type == JSMN_STRING &&
                xbl_mpsd__json_body_equals(xbl_mpsd__rd_text(r, k), xbl_mpsd__rd_len(r, k), key))
            found = k + 1;
    return found;
}

/* obj[key] when it has the wanted kind; -1 when absent, or null and
   null_ok. Any other kind marks the body bad. */
static int xbl_mpsd__rd_get(xbl_mpsd__rd *r, int obj, const char *key, int kind, bool null_ok)
{
    int v = xbl_mpsd__rd_find(r, obj, key), k;
    if (v < 0) return -1;
    k = xbl_mpsd__rd_kind(r, v);
    if (k == XBL_MPSD__RD_NULL && null_ok) return -1;
    if (kind != XBL_MPSD__RD_ANY && k != kind) { r->bad = true; return -1; }
    return v;
}

/* Decimal digits only, at least one, value <= max. */
static bool xbl_mpsd__rd_digits(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    uint64_t x = 0;
    size_t i;
    if (n == 0) return false;
    for (i = 0; i < n; i++) {
        uint64_t d;
        if (s[i] < '0' || s[i] > '9') return false;
        d = (uint64_t)(s[i] - '0');
        if (x > (max - d) / 10) return false;
        x = x * 10 + d;
    }
    *out = x;
    return true;
}

/* A JSON integer token (no sign, fraction or exponent) <= max. */
static bool xbl_mpsd__rd_uint_tok(xbl_mpsd__rd *r, int v, uint64_t max, uint64_t *out)
{
    if (xbl_mpsd__rd_kind(r, v) != XBL_MPSD__RD_NUMBER ||
            !xbl_mpsd__rd_digits(xbl_mpsd__rd_text(r, v), xbl_mpsd__rd_len(r, v), max, out)) {
        r->bad = true;
        return false;
    }
    return true;
}

/* Decodes string token v into buf[cap] with a NUL. When the text does not
   fit: truncate cuts at a character boundary, else returns false. A
   malformed string (or a decoded NUL) marks the body bad. */
static bool xbl_mpsd__rd_fixed_tok(xbl_mpsd__rd *r, int v, char *buf, size_t cap, bool truncate)
{
    const char *s = xbl_mpsd__rd_text(r, v);
    size_t n = xbl_mpsd__rd_len(r, v), i = 0, len = 0;
    char ch[4];
    if (xbl_mpsd__json_decode(s, n, NULL) == SIZE_MAX) { r->bad = true; return false; }
    while (i < n) {
        size_t k = xbl_mpsd__json_char(s, n, &i, ch);
        if (len + k >= cap) {
            if (!truncate) return false;
            break;
        }
        XBL_MPSD_MEMCPY(buf + len, ch, k);
        len += k;
    }
    buf[len] = '\0';
    return true;
}

/* Decoded copy of string token v in the arena ("" in measure mode). */
static const char *xbl_mpsd__rd_string(xbl_mpsd__rd *r, int v)
{
    const char *s = xbl_mpsd__rd_text(r, v);
    size_t n = xbl_mpsd__rd_len(r, v), len = xbl_mpsd__json_decode(s, n, NULL);
    char *d;
    if (len == SIZE_MAX) { r->bad = true; return ""; }
    d = (char *)xbl_mpsd__arena_alloc(r->a, len + 1, 1);
    if (d == NULL) return "";
    xbl_mpsd__json_decode(s, n, d);
    d[len] = '\0';
    return d;
}

/* Exact bytes of token v (a string keeps its quotes) in the arena. */
static const char *xbl_mpsd__rd_raw(xbl_mpsd__rd *r, int v)
{
    const char *s = xbl_mpsd__rd_text(r, v);
    size_t n = xbl_mpsd__rd_len(r, v);
    if (r->t[v].type == JSMN_STRING) { s--; n += 2; }
    return xbl_mpsd__arena_strn(r->a, s, n);
}

static void xbl_mpsd__rd_bool(xbl_mpsd__rd *r, int obj, const char *key, bool *out)
{
    int v = xbl_mpsd__rd_get(r, obj, key, XBL_MPSD__RD_BOOL, false);
    if (v >= 0) *out = r->js[r->t[v].start] == 't';
}

static void xbl_mpsd__rd_u64(xbl_mpsd__rd *r, int obj, const char *key, uint64_t *out)
{
    int v = xbl_mpsd__rd_get(r, obj, key, XBL_MPSD__RD_NUMBER, false);
    if (v >= 0) xbl_mpsd__rd_uint_tok(r, v, UINT64_MAX, out);
}

static void xbl_mpsd__rd_u32(xbl_mpsd__rd *r, int obj, const char *key, uint32_t *out)
{
    uint64_t x;
    int v = xbl_mpsd__rd_get(r, obj, key, XBL_MPSD__RD_NUMBER, false);
    if (v >= 0 && xbl_mpsd__rd_uint_tok(r, v, UINT32_MAX, &x)) *out = (uint32_t)x;
}

/* A timeout: absent keeps *out (0), null reads as infinite. */
static void xbl_mpsd__rd_timeout(xbl_mpsd__rd *r, int obj, const char *key, uint64_t *out)
{
    int v = xbl_mpsd__rd_get(r, obj, key, XBL_MPSD__RD_ANY, false);
    if (v < 0) return;
    if (xbl_mpsd__rd_kind(r, v) == XBL_MPSD__RD_NULL) *out = XBL_MPSD_TIMEOUT_INFINITE;
    else xbl_mpsd__rd_uint_tok(r, v, UINT64_MAX, out);
}

/* A plain string field: arena copy, NULL when absent or null. */
static const char *xbl_mpsd__rd_str(xbl_mpsd__rd *r, int obj, const char *key)
{
    int v = xbl_mpsd__rd_get(r, obj, key, XBL_MPSD__RD_STRING, true);
    return v < 0 ? NULL : xbl_mpsd__rd_string(r, v);
}

/* A string field into a fixed buffer; not fitting is an error (API.md §6.3). */
static void xbl_mpsd__rd_fixed(xbl_mpsd__rd *r, int obj, const char *key, char *buf, size_t cap)
{
    char tmp[XBL_MPSD_SESSION_TEMPLATE_NAME_MAX_LENGTH];
    int v = xbl_mpsd__rd_get(r, obj, key, XBL_MPSD__RD_STRING, true);
    XBL_MPSD_ASSERT(cap <= sizeof tmp);
    if (v < 0) return;
    if (!xbl_mpsd__rd_fixed_tok(r, v, tmp, cap, false)) { r->bad = true; return; }
    XBL_MPSD_MEMCPY(buf, tmp, xbl_mpsd__strlen(tmp) + 1);
}

/* A decimal-string integer (XUIDs, activeTitleId); null reads as absent. */
static bool xbl_mpsd__rd_dec_tok(xbl_mpsd__rd *r, int v, uint64_t max, uint64_t *out)
{
    char buf[24];
    if (xbl_mpsd__rd_kind(r, v) != XBL_MPSD__RD_STRING ||
            !xbl_mpsd__rd_fixed_tok(r, v, buf, sizeof buf, false) ||
            !xbl_mpsd__rd_digits(buf, xbl_mpsd__strlen(buf), max, out)) {
        r->bad = true;
        return false;
    }
    return true;
}

/* Index of the enum string obj[key] in names (case-insensitive); -1 when
   unknown, -2 when absent or null. */
static int xbl_mpsd__rd_enum_tok(xbl_mpsd__rd *r, int v, const char *const *names, int count)
{
    char buf[32];
    int i;
    if (!xbl_mpsd__rd_fixed_tok(r, v, buf, sizeof buf, false)) return -1;
    for (i = 0; i < count; i++)
        if (xbl_mpsd__ieq(buf, names[i])) return i;
    return -1;
}

static int xbl_mpsd__rd_enum(xbl_mpsd__rd *r, int obj, const char *key, const char *const *names, int count)
{
    int v = xbl_mpsd__rd_get(r, obj, key, XBL_MPSD__RD_STRING, true);
    return v < 0 ? -2 : xbl_mpsd__rd_enum_tok(r, v, names, count);
}

/* An enum field: absent keeps *out, known string i gives first + i, an
   unknown string gives unknown. */
#define XBL_MPSD__RD_ENUM(r, obj, key, names, out, type, first, unknown) do { \
        int e_ = xbl_mpsd__rd_enum((r), (obj), (key), (names), (int)(sizeof(names) / sizeof((names)[0]))); \
        if (e_ >= 0) *(out) = (type)((int)(first) + e_); \
        else if (e_ == -1) *(out) = (unknown); \
    } while (0)

/* Flags from an array of strings: bit (1 << i) for names[i], unknown ignored. */
static uint32_t xbl_mpsd__rd_flags(xbl_mpsd__rd *r, int arr, const char *const *names, int count)
{
    uint32_t flags = 0;
    size_t c, n = xbl_mpsd__rd_size(r, arr);
    int e;
    for (c = 0, e = arr + 1; c < n && e < r->n; c++, e = xbl_mpsd__rd_skip(r, e)) {
        int i;
        if (xbl_mpsd__rd_kind(r, e) != XBL_MPSD__RD_STRING) { r->bad = true; return 0; }
        i = xbl_mpsd__rd_enum_tok(r, e, names, count);
        if (i >= 0) flags |= (uint32_t)1 << i;
    }
    return flags;
}

/* ISO-8601 UTC "YYYY-MM-DDTHH:MM:SS[.fff…]Z" → seconds since the epoch. */
static int64_t xbl_mpsd__days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t era, yoe, doy, doe;
    y -= m <= 2 ? 1 : 0;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool xbl_mpsd__parse_time(const char *s, size_t n, time_t *out)
{
    static const unsigned char mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    static const unsigned char at[6] = { 0, 5, 8, 11, 14, 17 };
    static const unsigned char width[6] = { 4, 2, 2, 2, 2, 2 };
    static const char sep[6] = { '-', '-', 'T', ':', ':', '\0' };
    int64_t f[6], secs;
    size_t i, k;
    bool leap;
    if (n < 20) return false;
    for (i = 0; i < 6; i++) {
        f[i] = 0;
        for (k = 0; k < width[i]; k++) {
            char c = s[at[i] + k];
            if (c < '0' || c > '9') return false;
            f[i] = f[i] * 10 + (c - '0');
        }
        if (sep[i] && s[at[i] + width[i]] != sep[i] && !(sep[i] == 'T' && s[at[i] + width[i]] == 't'))
            return false;
    }
    i = 19;
    if (s[i] == '.') {
        for (k = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++) {}
        if (i == k) return false;
    }
    if (i + 1 != n || (s[i] != 'Z' && s[i] != 'z')) return false;
    leap = (f[0] % 4 == 0 && f[0] % 100 != 0) || f[0] % 400 == 0;
    if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > mdays[f[1] - 1] || (f[1] == 2 && f[2] == 29 && !leap) ||
            f[3] > 23 || f[4] > 59 || f[5] > 60)
        return false;
    secs = xbl_mpsd__days_from_civil(f[0], f[1], f[2]) * 86400 + f[3] * 3600 + f[4] * 60 + f[5];
    if (sizeof(time_t) < sizeof(int64_t) && (secs > INT32_MAX || secs < INT32_MIN)) return false;
    *out = (time_t)secs;
    return true;
}

/* A time field: a string (null is not allowed, MPSD §4.9 rule 1), read
   from its raw text: a time has no escapes. */
static void xbl_mpsd__rd_time(xbl_mpsd__rd *r, int obj, const char *key, time_t *out)
{
    int v = xbl_mpsd__rd_get(r, obj, key, XBL_MPSD__RD_STRING, false);
    if (v >= 0 && !xbl_mpsd__parse_time(xbl_mpsd__rd_text(r, v), xbl_mpsd__rd_len(r, v), out))
        r->bad = true;
}

/* Raw JSON text of an object field; NULL when absent or null. */
static const char *xbl_mpsd__rd_raw_obj(xbl_mpsd__rd *r, int obj, const char *key)
{
    int v = xbl_mpsd__rd_get(r, obj, key, XBL_MPSD__RD_OBJECT, true);
    return v < 0 ? NULL : xbl_mpsd__rd_raw(r, v);
}

/* ---- arrays ---- */

static void xbl_mpsd__rd_strings(xbl_mpsd__rd *r, int obj, const char *key,
        const char *const **out, size_t *count)
{
    int v = xbl_mpsd__rd_get(r, obj, key, XBL_MPSD__RD_ARRAY, false), e;
    size_t c, n = xbl_mpsd__rd_size(r, v);
    const char **arr;
    if (v < 0 || n == 0) return;
    arr = XBL_MPSD__ALLOC_ARRAY(r->a, const char *, n);
    for (c = 0, e = v + 1; c < n && e < r->n; c++, e = xbl_mpsd__rd_skip(r, e)) {
        const char *s;
        if (xbl_mpsd__rd_kind(r, e) != XBL_MPSD__RD_STRING) { r->bad = true; return; }
        s = xbl_mpsd__rd_string(r, e);
        if (arr) arr[c] = s;
    }
    *out = arr;
    *count = n;
}

static void xbl_mpsd__rd_u32s(xbl_mpsd__rd *r, int obj, const char *key, const uint32_t **out, size_t *count)
{
    int v = xbl_mpsd__rd_get(r, obj, key, XBL_MPSD__RD_ARRAY, false), e;
    size_t c, n = xbl_mpsd__rd_size(r, v);
    uint32_t *arr;
    if (v < 0 || n == 0) return;
    arr = XBL_MPSD__ALLOC_ARRAY(r->a, uint32_t, n);
    for (c = 0, e = v + 1; c < n && e < r->n; c++, e = xbl_mpsd__rd_skip(r, e)) {
        uint64_t x = 0;
        if (!xbl_mpsd__rd_uint_tok(r, e, UINT32_MAX, &x)) return;
        if (arr) arr[c] = (uint32_t)x;
    }
    *out = arr;
    *count = n;
}

/* Array token v of XUID strings. */
static const uint64_t *xbl_mpsd__rd_xuids(xbl_mpsd__rd *r, int v)
{
    size_t c, n = xbl_mpsd__rd_size(r, v);
    uint64_t *arr;
    int e;
    if (n == 0) return NULL;
    arr = XBL_MPSD__ALLOC_ARRAY(r->a, uint64_t, n);
    for (c = 0, e = v + 1; c < n && e < r->n; c++, e = xbl_mpsd__rd_skip(r, e)) {
        uint64_t x = 0;
        if (!xbl_mpsd__rd_dec_tok(r, e, UINT64_MAX, &x)) return NULL;
        if (arr) arr[c] = x;
    }
    return arr;
}

/* ---- enum string tables (wire order = enum order from the given first value) ---- */

static const char *const xbl_mpsd__rd_visibility[] = { "private", "visible", "full", "open" };
static const char *const xbl_mpsd__rd_metrics[] = { "bandwidthUp", "bandwidthDown", "bandwidth", "latency" };
static const char *const xbl_mpsd__rd_restriction[] = { "none", "local", "followed" };
static const char *const xbl_mpsd__rd_stage[] = { "joining", "measuring", "evaluating", "failed" };
static const char *const xbl_mpsd__rd_mm_status[] = { "searching", "expired", "found", "canceled" };
static const char *const xbl_mpsd__rd_nat[] = { "open", "moderate", "strict" };
static const char *const xbl_mpsd__rd_failure[] = {
    "timeout", "latency", "bandwidthUp", "bandwidthDown", "group", "network", "episode"
};
static const char *const xbl_mpsd__rd_change_types[] = {
    "everything", "host", "initialization", "matchmakingStatus", "membersList",
    "membersStatus", "joinability", "customProperty", "membersCustomProperty"
};
static const char *const xbl_mpsd__rd_role_settings[] = { "max", "target" };

/* ---- document parts ---- */

static void xbl_mpsd__rd_constants(xbl_mpsd__rd *r, int root, xbl_mpsd_session *s)
{
    xbl_mpsd_session_constants *c = &s->constants;
    int cn = xbl_mpsd__rd_get(r, root, "constants", XBL_MPSD__RD_OBJECT, false);
    int sys = xbl_mpsd__rd_get(r, cn, "system", XBL_MPSD__RD_OBJECT, false);
    int v;
    const char *raw;
    if (cn < 0 || sys < 0) { r->bad = true; return; }

    xbl_mpsd__rd_u32(r, sys, "maxMembersCount", &c->max_members_in_session);
    XBL_MPSD__RD_ENUM(r, sys, "visibility", xbl_mpsd__rd_visibility, &c->visibility,
            xbl_mpsd_session_visibility, XBL_MPSD_SESSION_VISIBILITY_PRIVATE_SESSION,
            XBL_MPSD_SESSION_VISIBILITY_UNKNOWN);
    v = xbl_mpsd__rd_get(r, sys, "initiators", XBL_MPSD__RD_ARRAY, false);
    if (v >= 0 && xbl_mpsd__rd_size(r, v) > 0) {
        c->initiator_xuids = xbl_mpsd__rd_xuids(r, v);
        c->initiator_xuids_count = xbl_mpsd__rd_size(r, v);
    }
    xbl_mpsd__rd_timeout(r, sys, "reservedRemovalTimeout", &c->member_reserved_timeout);
    xbl_mpsd__rd_timeout(r, sys, "inactiveRemovalTimeout", &c->member_inactive_timeout);
    xbl_mpsd__rd_timeout(r, sys, "readyRemovalTimeout", &c->member_ready_timeout);
    xbl_mpsd__rd_timeout(r, sys, "sessionEmptyTimeout", &c->session_empty_timeout);

    v = xbl_mpsd__rd_get(r, sys, "metrics", XBL_MPSD__RD_OBJECT, false);
    xbl_mpsd__rd_bool(r, v, "latency", &c->enable_metrics_latency);
    xbl_mpsd__rd_bool(r, v, "bandwidthDown", &c->enable_metrics_bandwidth_down);
    xbl_mpsd__rd_bool(r, v, "bandwidthUp", &c->enable_metrics_bandwidth_up);
    xbl_mpsd__rd_bool(r, v, "custom", &c->enable_metrics_custom);

    v = xbl_mpsd__rd_get(r, sys, "memberInitialization", XBL_MPSD__RD_OBJECT, true);
    if (v >= 0) {
        xbl_mpsd_member_initialization *mi = &s->member_initialization;
        xbl_mpsd__rd_timeout(r, v, "joinTimeout", &mi->join_timeout);
        xbl_mpsd__rd_timeout(r, v, "measurementTimeout", &mi->measurement_timeout);
        xbl_mpsd__rd_timeout(r, v, "evaluationTimeout", &mi->evaluation_timeout);
        xbl_mpsd__rd_bool(r, v, "externalEvaluation", &mi->external_evaluation);
        xbl_mpsd__rd_u32(r, v, "membersNeededToStart", &mi->members_needed_to_start);
        c->member_initialization = mi;   /* points into s; the caller fixes it after copying s */
    }

    v = xbl_mpsd__rd_get(r, sys, "peerToPeerRequirements", XBL_MPSD__RD_OBJECT, true);
    xbl_mpsd__rd_u64(r, v, "latencyMaximum", &c->peer_to_peer_requirements.latency_maximum);
    xbl_mpsd__rd_u64(r, v, "bandwidthMinimum", &c->peer_to_peer_requirements.bandwidth_minimum_in_kbps);

    /* D8: read from peerToHostRequirements; LATENCY when not given (also
       when the whole object is absent, as XSAPI always reports). */
    c->peer_to_host_requirements.host_selection_metric = XBL_MPSD_METRICS_LATENCY;
    v = xbl_mpsd__rd_get(r, sys, "peerToHostRequirements", XBL_MPSD__RD_OBJECT, true);
    xbl_mpsd__rd_u64(r, v, "latencyMaximum", &c->peer_to_host_requirements.latency_maximum);
    xbl_mpsd__rd_u64(r, v, "bandwidthDownMinimum", &c->peer_to_host_requirements.bandwidth_down_minimum_in_kbps);
    xbl_mpsd__rd_u64(r, v, "bandwidthUpMinimum", &c->peer_to_host_requirements.bandwidth_up_minimum_in_kbps);
    XBL_MPSD__RD_ENUM(r, v, "hostSelectionMetric", xbl_mpsd__rd_metrics,
            &c->peer_to_host_requirements.host_selection_metric, xbl_mpsd_metrics,
            XBL_MPSD_METRICS_BANDWIDTH_UP, XBL_MPSD_METRICS_UNKNOWN);

    raw = xbl_mpsd__rd_raw_obj(r, sys, "measurementServerAddresses");
    if (raw) c->measurement_server_addresses_json = raw;
    raw = xbl_mpsd__rd_raw_obj(r, sys, "cloudComputePackage");
    if (raw) c->session_cloud_compute_package_constants_json = raw;

    v = xbl_mpsd__rd_get(r, sys, "capabilities", XBL_MPSD__RD_OBJECT, false);
    xbl_mpsd__rd_bool(r, v, "connectivity", &c->session_capabilities.connectivity);
    xbl_mpsd__rd_bool(r, v, "suppressPresenceActivityCheck", &c->session_capabilities.suppress_presence_activity_check);
    xbl_mpsd__rd_bool(r, v, "gameplay", &c->session_capabilities.gameplay);
    xbl_mpsd__rd_bool(r, v, "large", &c->session_capabilities.large);
    xbl_mpsd__rd_bool(r, v, "connectionRequiredForActiveMembers",
            &c->session_capabilities.connection_required_for_active_members);
    xbl_mpsd__rd_bool(r, v, "userAuthorizationStyle", &c->session_capabilities.user_authorization_style);
    xbl_mpsd__rd_bool(r, v, "crossPlay", &c->session_capabilities.crossplay);
    xbl_mpsd__rd_bool(r, v, "searchable", &c->session_capabilities.searchable);
    xbl_mpsd__rd_bool(r, v, "hasOwners", &c->session_capabilities.has_owners);
    xbl_mpsd__rd_bool(r, v, "clientMatchmaking", &c->client_matchmaking_capable);

    /* constants.custom: title JSON of any type, kept verbatim; null = none */
    v = xbl_mpsd__rd_get(r, cn, "custom", XBL_MPSD__RD_ANY, true);
    if (v >= 0) c->custom_json = xbl_mpsd__rd_raw(r, v);
}

static void xbl_mpsd__rd_properties(xbl_mpsd__rd *r, int root, xbl_mpsd_session *s)
{
    xbl_mpsd_session_properties *p = &s->properties;
    int pr = xbl_mpsd__rd_get(r, root, "properties", XBL_MPSD__RD_OBJECT, false);
    int sys = xbl_mpsd__rd_get(r, pr, "system", XBL_MPSD__RD_OBJECT, false);
    int v;
    const char *str;
    if (pr < 0 || sys < 0) { r->bad = true; return; }

    xbl_mpsd__rd_strings(r, sys, "keywords", &p->keywords, &p->keyword_count);
    XBL_MPSD__RD_ENUM(r, sys, "joinRestriction", xbl_mpsd__rd_restriction, &p->join_restriction,
            xbl_mpsd_session_restriction, XBL_MPSD_SESSION_RESTRICTION_NONE, XBL_MPSD_SESSION_RESTRICTION_UNKNOWN);
    XBL_MPSD__RD_ENUM(r, sys, "readRestriction", xbl_mpsd__rd_restriction, &p->read_restriction,
            xbl_mpsd_session_restriction, XBL_MPSD_SESSION_RESTRICTION_NONE, XBL_MPSD_SESSION_RESTRICTION_UNKNOWN);
    xbl_mpsd__rd_u32s(r, sys, "turn", &p->turn_collection, &p->turn_collection_count);

    v = xbl_mpsd__rd_get(r, sys, "matchmaking", XBL_MPSD__RD_OBJECT, false);
    str = xbl_mpsd__rd_raw_obj(r, v, "targetSessionConstants");
    if (str) p->matchmaking_target_session_constants_json = str;
    str = xbl_mpsd__rd_str(r, v, "serverConnectionString");
    if (str) p->matchmaking_server_connection_string = str;

    xbl_mpsd__rd_strings(r, sys, "serverConnectionStringCandidates",
            &p->server_connection_string_candidates, &p->server_connection_string_candidates_count);
    xbl_mpsd__rd_u32s(r, sys, "owners", &p->session_owner_member_ids, &p->session_owner_member_ids_count);
    xbl_mpsd__rd_fixed(r, sys, "host", p->host_device_token.value, sizeof p->host_device_token.value);
    xbl_mpsd__rd_bool(r, sys, "closed", &p->closed);
    xbl_mpsd__rd_bool(r, sys, "locked", &p->locked);
    xbl_mpsd__rd_bool(r, sys, "allocateCloudCompute", &p->allocate_cloud_compute);
    xbl_mpsd__rd_bool(r, sys, "matchmakingResubmit", &p->matchmaking_resubmit);

    /* properties.custom: the local custom object (API.md §1.5), "{}" when none */
    str = xbl_mpsd__rd_raw_obj(r, pr, "custom");
    if (str) p->session_custom_properties_json = str;
}

static void xbl_mpsd__rd_role_types(xbl_mpsd__rd *r, int root, xbl_mpsd_session *s)
{
    int rt = xbl_mpsd__rd_get(r, root, "roleTypes", XBL_MPSD__RD_OBJECT, false), k;
    size_t c, nt = xbl_mpsd__rd_size(r, rt);
    xbl_mpsd_role_type *types;
    if (rt < 0 || nt == 0) return;
    types = XBL_MPSD__ALLOC_ARRAY(r->a, xbl_mpsd_role_type, nt);
    for (c = 0, k = rt + 1; c < nt && k + 1 < r->n; c++, k = xbl_mpsd__rd_skip(r, k + 1)) {
        int tv = k + 1, rl, rk, v;
        size_t j, nr;
        xbl_mpsd_role_type type;
        xbl_mpsd_role *roles = NULL;
        XBL_MPSD_MEMSET(&type, 0, sizeof type);
        if (xbl_mpsd__rd_kind(r, tv) != XBL_MPSD__RD_OBJECT) { r->bad = true; return; }
        type.name = xbl_mpsd__rd_string(r, k);
        xbl_mpsd__rd_bool(r, tv, "ownerManaged", &type.owner_managed);
        v = xbl_mpsd__rd_get(r, tv, "mutableRoleSettings", XBL_MPSD__RD_ARRAY, false);
        if (v >= 0) type.mutable_role_settings = xbl_mpsd__rd_flags(r, v, xbl_mpsd__rd_role_settings, 2);
        rl = xbl_mpsd__rd_get(r, tv, "roles", XBL_MPSD__RD_OBJECT, false);
        nr = xbl_mpsd__rd_size(r, rl);
        if (rl >= 0 && nr > 0) roles = XBL_MPSD__ALLOC_ARRAY(r->a, xbl_mpsd_role, nr);
        for (j = 0, rk = rl + 1; rl >= 0 && j < nr && rk + 1 < r->n; j++, rk = xbl_mpsd__rd_skip(r, rk + 1)) {
            int rv = rk + 1;
            xbl_mpsd_role role;
            XBL_MPSD_MEMSET(&role, 0, sizeof role);
            if (xbl_mpsd__rd_kind(r, rv) != XBL_MPSD__RD_OBJECT) { r->bad = true; return; }
            role.role_type = types ? &types[c] : NULL;
            role.name = xbl_mpsd__rd_string(r, rk);
            xbl_mpsd__rd_u32(r, rv, "count", &role.member_count);
            xbl_mpsd__rd_u32(r, rv, "target", &role.target_count);
            xbl_mpsd__rd_u32(r, rv, "max", &role.max_member_count);
            /* memberXuids is required when count > 0 (MPSD §4.7) and its
               length is member_count (API.md §4.12) */
            v = xbl_mpsd__rd_get(r, rv, "memberXuids", XBL_MPSD__RD_ARRAY, false);
            if ((v < 0 && role.member_count > 0) ||
                    (v >= 0 && xbl_mpsd__rd_size(r, v) != role.member_count)) {
                r->bad = true;
                return;
            }
            if (v >= 0) role.member_xuids = xbl_mpsd__rd_xuids(r, v);
            if (roles) roles[j] = role;
        }
        type.roles = roles;
        type.role_count = rl >= 0 ? nr : 0;
        if (types) types[c] = type;
    }
    s->role_types = types;
    s->role_types_count = nt;
}

/* One member entry (object token e) into *m. *sub gets the entry's
   subscription change types. */
static void xbl_mpsd__rd_member(xbl_mpsd__rd *r, int e, uint32_t id, xbl_mpsd_session_member *m,
        xbl_mpsd_session_change_types *sub)
{
    int cn = xbl_mpsd__rd_get(r, e, "constants", XBL_MPSD__RD_OBJECT, false);
    int pr = xbl_mpsd__rd_get(r, e, "properties", XBL_MPSD__RD_OBJECT, false);
    int cs = xbl_mpsd__rd_get(r, cn, "system", XBL_MPSD__RD_OBJECT, false);
    int ps = xbl_mpsd__rd_get(r, pr, "system", XBL_MPSD__RD_OBJECT, false);
    int v, w;
    uint64_t x;
    bool active = false, ready = false, reserved = false;
    XBL_MPSD_MEMSET(m, 0, sizeof *m);
    m->member_id = id;
    m->initialization_failure_cause = XBL_MPSD_MEASUREMENT_FAILURE_NONE;
    *sub = XBL_MPSD_SESSION_CHANGE_TYPES_NONE;
    if (cn < 0 || pr < 0 || cs < 0 || ps < 0) { r->bad = true; return; }

    /* constants */
    v = xbl_mpsd__rd_get(r, cs, "xuid", XBL_MPSD__RD_STRING, true);
    if (v >= 0 && xbl_mpsd__rd_dec_tok(r, v, UINT64_MAX, &x)) m->xuid = x;
    xbl_mpsd__rd_bool(r, cs, "initialize", &m->initialize_requested);
    v = xbl_mpsd__rd_get(r, cs, "matchmakingResult", XBL_MPSD__RD_OBJECT, false);
    m->matchmaking_result_server_measurements_json = xbl_mpsd__rd_raw_obj(r, v, "serverMeasurements");
    v = xbl_mpsd__rd_get(r, cn, "custom", XBL_MPSD__RD_ANY, true);
    if (v >= 0) {
        m->custom_constants_json = xbl_mpsd__rd_raw(r, v);
        /* title JSON: only peek, ignore other shapes */
        w = xbl_mpsd__rd_find(r, xbl_mpsd__rd_find(r, v, "matchmakingResult"), "initialTeam");
        if (xbl_mpsd__rd_kind(r, w) == XBL_MPSD__RD_STRING) m->initial_team = xbl_mpsd__rd_string(r, w);
    }

    /* properties */
    xbl_mpsd__rd_bool(r, ps, "active", &active);
    xbl_mpsd__rd_bool(r, ps, "ready", &ready);
    m->secure_device_base_address64 = xbl_mpsd__rd_str(r, ps, "secureDeviceAddress");
    xbl_mpsd__rd_u32s(r, ps, "initializationGroup", &m->members_in_group_ids, &m->members_in_group_count);
    xbl_mpsd__rd_strings(r, ps, "groups", &m->groups, &m->groups_count);
    xbl_mpsd__rd_strings(r, ps, "encounters", &m->encounters, &m->encounters_count);
    m->qos_measurements_json = xbl_mpsd__rd_raw_obj(r, ps, "measurements");
    m->server_measurements_json = xbl_mpsd__rd_raw_obj(r, ps, "serverMeasurements");
    v = xbl_mpsd__rd_get(r, ps, "subscription", XBL_MPSD__RD_OBJECT, false);
    v = xbl_mpsd__rd_get(r, v, "changeTypes", XBL_MPSD__RD_ARRAY, false);
    if (v >= 0) *sub = xbl_mpsd__rd_flags(r, v, xbl_mpsd__rd_change_types, 9);
    m->custom_properties_json = xbl_mpsd__rd_raw_obj(r, pr, "custom");

    /* roles: { "<type>": "<role>" } or null */
    v = xbl_mpsd__rd_get(r, e, "roles", XBL_MPSD__RD_OBJECT, true);
    if (v >= 0 && xbl_mpsd__rd_size(r, v) > 0) {
        size_t c, n = xbl_mpsd__rd_size(r, v);
        xbl_mpsd_session_member_role *roles = XBL_MPSD__ALLOC_ARRAY(r->a, xbl_mpsd_session_member_role, n);
        int k;
        for (c = 0, k = v + 1; c < n && k + 1 < r->n; c++, k = xbl_mpsd__rd_skip(r, k + 1)) {
            xbl_mpsd_session_member_role role;
            if (xbl_mpsd__rd_kind(r, k + 1) != XBL_MPSD__RD_STRING) { r->bad = true; return; }
            role.role_type_name = xbl_mpsd__rd_string(r, k);
            role.role_name = xbl_mpsd__rd_string(r, k + 1);
            if (roles) roles[c] = role;
        }
        m->roles = roles;
        m->roles_count = n;
    }

    /* entry level */
    v = xbl_mpsd__rd_get(r, e, "gamertag", XBL_MPSD__RD_STRING, true);
    if (v >= 0) xbl_mpsd__rd_fixed_tok(r, v, m->gamertag, sizeof m->gamertag, true);
    xbl_mpsd__rd_fixed(r, e, "deviceToken", m->device_token.value, sizeof m->device_token.value);
    XBL_MPSD__RD_ENUM(r, e, "nat", xbl_mpsd__rd_nat, &m->nat, xbl_mpsd_network_address_translation_setting,
            XBL_MPSD_NETWORK_ADDRESS_TRANSLATION_SETTING_OPEN, XBL_MPSD_NETWORK_ADDRESS_TRANSLATION_SETTING_UNKNOWN);
    xbl_mpsd__rd_bool(r, e, "reserved", &reserved);
    v = xbl_mpsd__rd_get(r, e, "activeTitleId", XBL_MPSD__RD_STRING, true);
    if (v >= 0 && xbl_mpsd__rd_dec_tok(r, v, UINT32_MAX, &x)) m->active_title_id = (uint32_t)x;
    xbl_mpsd__rd_time(r, e, "joinTime", &m->join_time);
    xbl_mpsd__rd_bool(r, e, "turn", &m->is_turn_available);
    XBL_MPSD__RD_ENUM(r, e, "initializationFailure", xbl_mpsd__rd_failure, &m->initialization_failure_cause,
            xbl_mpsd_measurement_failure, XBL_MPSD_MEASUREMENT_FAILURE_TIMEOUT, XBL_MPSD_MEASUREMENT_FAILURE_UNKNOWN);
    xbl_mpsd__rd_u32(r, e, "initializationEpisode", &m->initialization_episode);

    /* status rule, API.md §3.8 */
    m->status = active ? XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE
              : ready ? XBL_MPSD_SESSION_MEMBER_STATUS_READY
              : reserved ? XBL_MPSD_SESSION_MEMBER_STATUS_RESERVED
              : XBL_MPSD_SESSION_MEMBER_STATUS_INACTIVE;
}

/* members[key] for a member index. */
static int xbl_mpsd__rd_member_entry(const xbl_mpsd__rd *r, int members, uint32_t index)
{
    char dec[21];
    size_t n = xbl_mpsd__u64_to_dec(index, dec);
    dec[n] = '\0';
    return xbl_mpsd__rd_find(r, members, dec);
}

/* The member list (MPSD §4.6): a linked list from membersInfo.first through
   each entry's next until membersInfo.next; large sessions show only "me". */
static void xbl_mpsd__rd_members(xbl_mpsd__rd *r, int root, xbl_mpsd_session *s, xbl_mpsd_session_change_types *sub)
{
    int info = xbl_mpsd__rd_get(r, root, "membersInfo", XBL_MPSD__RD_OBJECT, false);
    int members = xbl_mpsd__rd_get(r, root, "members", XBL_MPSD__RD_OBJECT, false);
    int f = xbl_mpsd__rd_find(r, info, "first"), nx = xbl_mpsd__rd_find(r, info, "next");
    uint64_t first = 0, next = 0, cur;
    size_t count = 0, entries = xbl_mpsd__rd_size(r, members), i;
    xbl_mpsd_session_member *arr;
    if (info < 0) return;
    if (f < 0 || nx < 0 || !xbl_mpsd__rd_uint_tok(r, f, UINT32_MAX - 1, &first) ||
            !xbl_mpsd__rd_uint_tok(r, nx, UINT32_MAX - 1, &next)) {
        r->bad = true;
        return;
    }
    xbl_mpsd__rd_u32(r, info, "accepted", &s->members_accepted);
    if (r->bad) return;

    if (s->constants.session_capabilities.large) {
        int me = xbl_mpsd__rd_get(r, members, "me", XBL_MPSD__RD_OBJECT, false);
        xbl_mpsd_session_member m;
        xbl_mpsd_session_change_types t;
        if (me < 0) return;
        arr = XBL_MPSD__ALLOC_ARRAY(r->a, xbl_mpsd_session_member, 1);
        xbl_mpsd__rd_member(r, me, (uint32_t)first, &m, &t);
        if (arr) arr[0] = m;
        if (m.xuid == s->xuid) *sub = t;
        s->members = arr;
        s->members_count = s->document_members_count = 1;
        return;
    }

    /* pass 1: check the chain and count it */
    for (cur = first; cur != next; count++) {
        int e;
        uint64_t step = 0;
        if (count >= entries) { r->bad = true; return; }   /* loop */
        e = xbl_mpsd__rd_member_entry(r, members, (uint32_t)cur);
        if (xbl_mpsd__rd_kind(r, e) != XBL_MPSD__RD_OBJECT) { r->bad = true; return; }
        e = xbl_mpsd__rd_find(r, e, "next");
        if (e < 0 || !xbl_mpsd__rd_uint_tok(r, e, UINT32_MAX - 1, &step)) { r->bad = true; return; }
        cur = step;
    }
    if (count == 0) return;

    /* pass 2: fill */
    arr = XBL_MPSD__ALLOC_ARRAY(r->a, xbl_mpsd_session_member, count);
    for (i = 0, cur = first; i < count; i++) {
        int e = xbl_mpsd__rd_member_entry(r, members, (uint32_t)cur);
        xbl_mpsd_session_member m;
        xbl_mpsd_session_change_types t;
        uint64_t step = 0;
        xbl_mpsd__rd_member(r, e, (uint32_t)cur, &m, &t);
        if (r->bad) return;
        if (arr) arr[i] = m;
        if (m.xuid == s->xuid) *sub = t;   /* the last match is the current user (API.md §1.5) */
        xbl_mpsd__rd_uint_tok(r, xbl_mpsd__rd_find(r, e, "next"), UINT32_MAX - 1, &step);
        cur = step;
    }
    s->members = arr;
    s->members_count = s->document_members_count = count;
}

static void xbl_mpsd__rd_servers(xbl_mpsd__rd *r, int root, xbl_mpsd_session *s)
{
    xbl_mpsd_matchmaking_server *ms = &s->matchmaking_server;
    int sv = xbl_mpsd__rd_get(r, root, "servers", XBL_MPSD__RD_OBJECT, false), v, ref;
    const char *str;
    if (sv < 0) return;
    s->raw_servers_json = xbl_mpsd__rd_raw(r, sv);
    v = xbl_mpsd__rd_get(r, sv, "matchmaking", XBL_MPSD__RD_OBJECT, true);
    v = xbl_mpsd__rd_get(r, v, "properties", XBL_MPSD__RD_OBJECT, false);
    v = xbl_mpsd__rd_get(r, v, "system", XBL_MPSD__RD_OBJECT, false);
    if (v < 0) return;
    s->has_matchmaking_server = true;
    XBL_MPSD__RD_ENUM(r, v, "status", xbl_mpsd__rd_mm_status, &ms->status, xbl_mpsd_matchmaking_status,
            XBL_MPSD_MATCHMAKING_STATUS_SEARCHING, XBL_MPSD_MATCHMAKING_STATUS_UNKNOWN);
    str = xbl_mpsd__rd_str(r, v, "statusDetails");
    if (str) ms->status_details = str;
    xbl_mpsd__rd_u32(r, v, "typicalWait", &ms->typical_wait_in_seconds);
    ref = xbl_mpsd__rd_get(r, v, "targetSessionRef", XBL_MPSD__RD_OBJECT, false);
    xbl_mpsd__rd_fixed(r, ref, "scid", ms->target_session_ref.scid, sizeof ms->target_session_ref.scid);
    xbl_mpsd__rd_fixed(r, ref, "templateName", ms->target_session_ref.session_template_name,
            sizeof ms->target_session_ref.session_template_name);
    xbl_mpsd__rd_fixed(r, ref, "name", ms->target_session_ref.session_name,
            sizeof ms->target_session_ref.session_name);
}

/* Fills s (freshly reset, arena possibly in measure mode) from the tokens.
   r->bad tells a document error, s->arena.failed a short arena. */
static void xbl_mpsd__rd_fill(xbl_mpsd__rd *r, xbl_mpsd_session *s, const xbl_mpsd__response_meta *meta)
{
    const int root = 0;
    xbl_mpsd_session_change_types sub = XBL_MPSD_SESSION_CHANGE_TYPES_NONE;
    int v;

    s->state = XBL_MPSD__STATE_DOCUMENT | XBL_MPSD__STATE_SERVICE;
    s->xuid = meta->xuid;
    if (meta->etag != NULL && meta->etag_len > 0) s->etag = xbl_mpsd__arena_strn(r->a, meta->etag, meta->etag_len);
    s->time_of_session = meta->date;
    if (meta->reference != NULL) s->reference = *meta->reference;
    s->write_status = meta->write_status;
    if (xbl_mpsd__rd_kind(r, root) != XBL_MPSD__RD_OBJECT) { r->bad = true; return; }

    /* info (API.md §4.16) */
    xbl_mpsd__rd_u32(r, root, "contractVersion", &s->info.contract_version);
    xbl_mpsd__rd_fixed(r, root, "branch", s->info.branch, sizeof s->info.branch);
    xbl_mpsd__rd_u64(r, root, "changeNumber", &s->info.change_number);
    xbl_mpsd__rd_fixed(r, root, "correlationId", s->info.correlation_id, sizeof s->info.correlation_id);
    xbl_mpsd__rd_time(r, root, "startTime", &s->info.start_time);
    xbl_mpsd__rd_time(r, root, "nextTimer", &s->info.next_timer);
    xbl_mpsd__rd_fixed(r, root, "searchHandle", s->info.search_handle_id, sizeof s->info.search_handle_id);

    xbl_mpsd__rd_constants(r, root, s);
    xbl_mpsd__rd_properties(r, root, s);

    /* initializing (API.md §4.17) */
    s->initialization.stage = XBL_MPSD_INITIALIZATION_STAGE_NONE;
    v = xbl_mpsd__rd_get(r, root, "initializing", XBL_MPSD__RD_OBJECT, false);
    if (v >= 0) {
        s->initialization.stage = XBL_MPSD_INITIALIZATION_STAGE_UNKNOWN;
        XBL_MPSD__RD_ENUM(r, v, "stage", xbl_mpsd__rd_stage, &s->initialization.stage,
                xbl_mpsd_initialization_stage, XBL_MPSD_INITIALIZATION_STAGE_JOINING,
                XBL_MPSD_INITIALIZATION_STAGE_UNKNOWN);
        xbl_mpsd__rd_time(r, v, "stageStartTime", &s->initialization.stage_start_time);
        xbl_mpsd__rd_u32(r, v, "episode", &s->initialization.episode);
    }

    /* hostCandidates: device tokens, each must fit */
    v = xbl_mpsd__rd_get(r, root, "hostCandidates", XBL_MPSD__RD_ARRAY, false);
    if (v >= 0 && xbl_mpsd__rd_size(r, v) > 0) {
        size_t c, n = xbl_mpsd__rd_size(r, v);
        xbl_mpsd_device_token *arr = XBL_MPSD__ALLOC_ARRAY(r->a, xbl_mpsd_device_token, n);
        int e;
        for (c = 0, e = v + 1; c < n && e < r->n; c++, e = xbl_mpsd__rd_skip(r, e)) {
            xbl_mpsd_device_token tok;
            XBL_MPSD_MEMSET(&tok, 0, sizeof tok);
            if (xbl_mpsd__rd_kind(r, e) != XBL_MPSD__RD_STRING ||
                    !xbl_mpsd__rd_fixed_tok(r, e, tok.value, sizeof tok.value, false)) {
                r->bad = true;
                return;
            }
            if (arr) arr[c] = tok;
        }
        s->host_candidates = arr;
        s->host_candidates_count = n;
    }

    xbl_mpsd__rd_role_types(r, root, s);
    if (r->bad) return;
    xbl_mpsd__rd_members(r, root, s, &sub);
    if (r->bad) return;
    s->subscription_change_types = sub;
    xbl_mpsd__rd_servers(r, root, s);
}

static xbl_mpsd_result xbl_mpsd__session_load(xbl_mpsd_session *out,
        const char *body, size_t body_len, const xbl_mpsd__response_meta *meta,
        jsmntok_t *tokens, size_t token_cap, size_t *tokens_needed)
{
    xbl_mpsd_session tmp;
    xbl_mpsd__rd r;
    jsmn_parser p;
    size_t start, len;
    int n = JSMN_ERROR_NOMEM;
    uint32_t counter;

    if (tokens_needed) *tokens_needed = 0;
    if (out == NULL || meta == NULL || tokens_needed == NULL || (body == NULL && body_len > 0))
        return XBL_MPSD_E_INVALIDARG;
    /* the whole grammar first, so jsmn only tokenizes well-formed text */
    if (body_len == 0 || body_len > (size_t)0x7FFFFFFE ||
            !xbl_mpsd__json_check(body, body_len, &start, &len) || body[start] != '{')
        return XBL_MPSD_E_INVALID_JSON_STRING;
    jsmn_init(&p);
    if (tokens != NULL && token_cap > 0)
        n = jsmn_parse(&p, body, body_len, tokens,
                (unsigned int)(token_cap > (size_t)0x7FFFFFFF ? (size_t)0x7FFFFFFF : token_cap));
    if (n == JSMN_ERROR_NOMEM) {
        jsmn_init(&p);
        n = jsmn_parse(&p, body, body_len, NULL, 0);
        if (n <= 0) return XBL_MPSD_E_INVALID_JSON_STRING;
        *tokens_needed = (size_t)n;
        return XBL_MPSD_E_OUTOFMEMORY;
    }
    if (n <= 0) return XBL_MPSD_E_INVALID_JSON_STRING;
    *tokens_needed = (size_t)n;

    r.js = body;
    r.t = tokens;
    r.n = n;

    /* dry run: validate and measure; out stays untouched */
    xbl_mpsd__session_reset(&tmp, out->arena.base, out->arena.size);
    tmp.arena.measure = true;
    r.a = &tmp.arena;
    r.bad = false;
    xbl_mpsd__rd_fill(&r, &tmp, meta);
    if (r.bad) return XBL_MPSD_E_INVALID_JSON_STRING;
    if (tmp.arena.failed) {
        *tokens_needed = 0;
        return XBL_MPSD_E_OUTOFMEMORY;
    }

    /* real run: same walk, cannot fail now */
    counter = out->random_counter;
    xbl_mpsd__session_reset(&tmp, out->arena.base, out->arena.size);
    r.a = &tmp.arena;
    xbl_mpsd__rd_fill(&r, &tmp, meta);
    XBL_MPSD_ASSERT(!r.bad && !tmp.arena.failed);
    tmp.random_counter = counter;
    *out = tmp;
    if (out->constants.member_initialization) out->constants.member_initialization = &out->member_initialization;
    xbl_mpsd__session_mark_current_user(out);
    xbl_mpsd__session_new_subscription_id(out);
    return XBL_MPSD_OK;
}
