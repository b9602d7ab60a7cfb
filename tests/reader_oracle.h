/* reader_oracle.h - the response reader as it was before the one-pass
   engine (issue 15): a full grammar check, jsmn over the whole body, then a
   measuring walk and a filling walk that look every field up by key. Kept
   only as the oracle of tests/test_reader_diff.c; every symbol is renamed
   xbl_mpsd_oracle__ so it links beside the header's reader. Include after
   xbl_mpsd.h with XBL_MPSD_IMPLEMENTATION. Do not edit its walk: it is the
   reference. */
#ifndef XBL_MPSD_READER_ORACLE_H
#define XBL_MPSD_READER_ORACLE_H

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#endif

/* The JSON text and time helpers the old reader shared unchanged with the
   header are the header's own (the walk is what the oracle stands for). */
#define xbl_mpsd_oracle__json_ws xbl_mpsd__json_ws
#define xbl_mpsd_oracle__hex xbl_mpsd__hex
#define xbl_mpsd_oracle__hex4 xbl_mpsd__hex4
#define xbl_mpsd_oracle__utf8_encode xbl_mpsd__utf8_encode
#define xbl_mpsd_oracle__json_u_escape xbl_mpsd__json_u_escape
#define xbl_mpsd_oracle__json_short_escape xbl_mpsd__json_short_escape
#define xbl_mpsd_oracle__json_char xbl_mpsd__json_char
#define xbl_mpsd_oracle__json_decode xbl_mpsd__json_decode
#define xbl_mpsd_oracle__json_body_equals xbl_mpsd__json_body_equals
#define xbl_mpsd_oracle__json_digits xbl_mpsd__json_digits
#define xbl_mpsd_oracle__days_from_civil xbl_mpsd__days_from_civil
#define xbl_mpsd_oracle__time_fields xbl_mpsd__time_fields
#define xbl_mpsd_oracle__time_valid xbl_mpsd__time_valid
#define xbl_mpsd_oracle__parse_time xbl_mpsd__parse_time

/* Scans a string starting at the opening quote; *i ends after the closing one. */
static bool xbl_mpsd_oracle__json_scan_string(const char *s, size_t n, size_t *i)
{
    char ch[4];
    size_t k = *i + 1;
    if (*i >= n || s[*i] != '"') return false;
    while (k < n && s[k] != '"') {
        if (xbl_mpsd_oracle__json_char(s, n, &k, ch) == 0) return false;
    }
    if (k >= n) return false;
    *i = k + 1;
    return true;
}

/* RFC 8259 §6: -? int frac? exp?, each part checked in turn. */
static bool xbl_mpsd_oracle__json_scan_number(const char *s, size_t n, size_t *i)
{
    size_t k = *i, end;
    if (k < n && s[k] == '-') k++;
    if (k >= n || s[k] < '0' || s[k] > '9') return false;
    k = s[k] == '0' ? k + 1 : xbl_mpsd_oracle__json_digits(s, n, k);
    if (k < n && s[k] == '.') {
        end = xbl_mpsd_oracle__json_digits(s, n, k + 1);
        if (end == k + 1) return false;
        k = end;
    }
    if (k < n && (s[k] == 'e' || s[k] == 'E')) {
        k++;
        if (k < n && (s[k] == '+' || s[k] == '-')) k++;
        end = xbl_mpsd_oracle__json_digits(s, n, k);
        if (end == k) return false;
        k = end;
    }
    *i = k;
    return true;
}

static bool xbl_mpsd_oracle__json_scan_literal(const char *s, size_t n, size_t *i, const char *lit)
{
    size_t len = xbl_mpsd__strlen(lit);
    if (n - *i < len || XBL_MPSD_MEMCMP(s + *i, lit, len) != 0) return false;
    *i += len;
    return true;
}

static bool xbl_mpsd_oracle__json_scan_container(const char *s, size_t n, size_t *i, unsigned depth);

/* Scans one value at *i (no leading whitespace); *i ends right after it. */
/* NOLINTNEXTLINE(misc-no-recursion): nesting is bounded by XBL_MPSD_JSON_MAX_DEPTH */
static bool xbl_mpsd_oracle__json_scan_value(const char *s, size_t n, size_t *i, unsigned depth)
{
    if (*i >= n) return false;
    switch (s[*i]) {
    case '"': return xbl_mpsd_oracle__json_scan_string(s, n, i);
    case 't': return xbl_mpsd_oracle__json_scan_literal(s, n, i, "true");
    case 'f': return xbl_mpsd_oracle__json_scan_literal(s, n, i, "false");
    case 'n': return xbl_mpsd_oracle__json_scan_literal(s, n, i, "null");
    case '{': case '[': return xbl_mpsd_oracle__json_scan_container(s, n, i, depth);
    default: return xbl_mpsd_oracle__json_scan_number(s, n, i);
    }
}

/* An object member's `"key" :` at *i; *i ends at the value. */
static bool xbl_mpsd_oracle__json_scan_key(const char *s, size_t n, size_t *i)
{
    if (!xbl_mpsd_oracle__json_scan_string(s, n, i)) return false;
    *i = xbl_mpsd_oracle__json_ws(s, n, *i);
    if (*i >= n || s[*i] != ':') return false;
    *i = xbl_mpsd_oracle__json_ws(s, n, *i + 1);
    return true;
}

/* An object or array at *i, its elements one nesting level deeper. */
/* NOLINTNEXTLINE(misc-no-recursion): nesting is bounded by XBL_MPSD_JSON_MAX_DEPTH */
static bool xbl_mpsd_oracle__json_scan_container(const char *s, size_t n, size_t *i, unsigned depth)
{
    const char open = s[*i], close = open == '{' ? '}' : ']';
    if (depth >= XBL_MPSD_JSON_MAX_DEPTH) return false;
    *i = xbl_mpsd_oracle__json_ws(s, n, *i + 1);
    if (*i < n && s[*i] == close) { (*i)++; return true; }
    for (;;) {
        if (open == '{' && !xbl_mpsd_oracle__json_scan_key(s, n, i)) return false;
        if (!xbl_mpsd_oracle__json_scan_value(s, n, i, depth + 1)) return false;
        *i = xbl_mpsd_oracle__json_ws(s, n, *i);
        if (*i >= n) return false;
        if (s[*i] == close) { (*i)++; return true; }
        if (s[*i] != ',') return false;
        *i = xbl_mpsd_oracle__json_ws(s, n, *i + 1);
    }
}

/* Checks that text is exactly one JSON value with optional surrounding
   whitespace, and reports where the value itself starts and how long it is. */
static bool xbl_mpsd_oracle__json_check(const char *text, size_t n, size_t *start, size_t *len)
{
    size_t i = xbl_mpsd_oracle__json_ws(text, n, 0), b = i;
    if (!xbl_mpsd_oracle__json_scan_value(text, n, &i, 0)) return false;
    *start = b;
    *len = i - b;
    return xbl_mpsd_oracle__json_ws(text, n, i) == n;
}

/* Iterates the members of a JSON object text known to be valid. Start with
   *i = 0; each call yields the key body (without quotes) and the value. */
static bool xbl_mpsd_oracle__json_object_next(const char *s, size_t n, size_t *i,
        const char **key, size_t *key_len, const char **value, size_t *value_len)
{
    size_t k = xbl_mpsd_oracle__json_ws(s, n, *i), v;
    if (k < n && (s[k] == '{' || s[k] == ',')) k = xbl_mpsd_oracle__json_ws(s, n, k + 1);
    if (k >= n || s[k] != '"') return false;
    v = k;
    if (!xbl_mpsd_oracle__json_scan_string(s, n, &v)) return false;
    *key = s + k + 1;
    *key_len = v - k - 2;
    v = xbl_mpsd_oracle__json_ws(s, n, v);
    v = xbl_mpsd_oracle__json_ws(s, n, v + 1);   /* past ':' */
    k = v;
    if (!xbl_mpsd_oracle__json_scan_value(s, n, &v, 1)) return false;
    *value = s + k;
    *value_len = v - k;
    *i = xbl_mpsd_oracle__json_ws(s, n, v);
    return true;
}



typedef struct xbl_mpsd_oracle__rd {
    const char      *js;    /* the body */
    const jsmntok_t *t;     /* its tokens, in document order */
    int              n;     /* token count */
    xbl_mpsd__arena *a;     /* the arena of the session being filled */
    bool             bad;   /* sticky: the body is not a valid document */
    /* Member lookup by cursor (xbl_mpsd_oracle__rd_member_entry): while on, the
       search resumes at the entry after the one found last. */
    bool             members_unique;
    size_t           member_at;    /* ordinal of the entry at member_key */
    int              member_key;   /* its key token */
} xbl_mpsd_oracle__rd;

/* Value kinds of a token. */
enum {
    XBL_MPSD_ORACLE__RD_OBJECT,
    XBL_MPSD_ORACLE__RD_ARRAY,
    XBL_MPSD_ORACLE__RD_STRING,
    XBL_MPSD_ORACLE__RD_NUMBER,
    XBL_MPSD_ORACLE__RD_BOOL,
    XBL_MPSD_ORACLE__RD_NULL,
    XBL_MPSD_ORACLE__RD_ANY,
    XBL_MPSD_ORACLE__RD_NONE   /* no such token */
};

static int xbl_mpsd_oracle__rd_kind(const xbl_mpsd_oracle__rd *r, int i)
{
    char c;
    if (i < 0 || i >= r->n) return XBL_MPSD_ORACLE__RD_NONE;
    switch (r->t[i].type) {
    case JSMN_OBJECT: return XBL_MPSD_ORACLE__RD_OBJECT;
    case JSMN_ARRAY: return XBL_MPSD_ORACLE__RD_ARRAY;
    case JSMN_STRING: return XBL_MPSD_ORACLE__RD_STRING;
    case JSMN_PRIMITIVE: break;
    default: return XBL_MPSD_ORACLE__RD_NONE;
    }
    c = r->js[r->t[i].start];
    if (c == 't' || c == 'f') return XBL_MPSD_ORACLE__RD_BOOL;
    if (c == 'n') return XBL_MPSD_ORACLE__RD_NULL;
    return XBL_MPSD_ORACLE__RD_NUMBER;
}

static const char *xbl_mpsd_oracle__rd_text(const xbl_mpsd_oracle__rd *r, int i)
{
    return r->js + r->t[i].start;
}

static size_t xbl_mpsd_oracle__rd_len(const xbl_mpsd_oracle__rd *r, int i)
{
    return (size_t)(r->t[i].end - r->t[i].start);
}

/* Number of direct children (object: keys, array: elements). */
static size_t xbl_mpsd_oracle__rd_size(const xbl_mpsd_oracle__rd *r, int i)
{
    return (i >= 0 && i < r->n && r->t[i].size > 0) ? (size_t)r->t[i].size : 0;
}

/* Index of the token after the subtree of token i. Tokens are sorted by
   start offset and a subtree is contiguous, so the next sibling is the first
   token that starts at or after i's end: a binary search. */
static int xbl_mpsd_oracle__rd_skip(const xbl_mpsd_oracle__rd *r, int i)
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
static int xbl_mpsd_oracle__rd_find(const xbl_mpsd_oracle__rd *r, int obj, const char *key)
{
    size_t c, n;
    int k, found = -1;
    if (xbl_mpsd_oracle__rd_kind(r, obj) != XBL_MPSD_ORACLE__RD_OBJECT) return -1;
    n = xbl_mpsd_oracle__rd_size(r, obj);
    for (c = 0, k = obj + 1; c < n && k + 1 < r->n; c++, k = xbl_mpsd_oracle__rd_skip(r, k + 1))
        if (r->t[k].type == JSMN_STRING &&
                xbl_mpsd_oracle__json_body_equals(xbl_mpsd_oracle__rd_text(r, k), xbl_mpsd_oracle__rd_len(r, k), key))
            found = k + 1;
    return found;
}

/* obj[key] when it has the wanted kind; -1 when absent, or null and
   null_ok. Any other kind marks the body bad. */
static int xbl_mpsd_oracle__rd_get(xbl_mpsd_oracle__rd *r, int obj, const char *key, int kind, bool null_ok)
{
    int v = xbl_mpsd_oracle__rd_find(r, obj, key), k;
    if (v < 0) return -1;
    k = xbl_mpsd_oracle__rd_kind(r, v);
    if (k == XBL_MPSD_ORACLE__RD_NULL && null_ok) return -1;
    if (kind != XBL_MPSD_ORACLE__RD_ANY && k != kind) { r->bad = true; return -1; }
    return v;
}

/* A JSON integer token (no sign, fraction or exponent) <= max. */
static bool xbl_mpsd_oracle__rd_uint_tok(xbl_mpsd_oracle__rd *r, int v, uint64_t max, uint64_t *out)
{
    if (xbl_mpsd_oracle__rd_kind(r, v) != XBL_MPSD_ORACLE__RD_NUMBER ||
            !xbl_mpsd__parse_dec(xbl_mpsd_oracle__rd_text(r, v), xbl_mpsd_oracle__rd_len(r, v), max, out)) {
        r->bad = true;
        return false;
    }
    return true;
}

/* Decodes string token v into buf[cap] with a NUL. When the text does not
   fit: truncate cuts at a character boundary, else returns false. A
   malformed string (or a decoded NUL) marks the body bad. */
static bool xbl_mpsd_oracle__rd_fixed_tok(xbl_mpsd_oracle__rd *r, int v, char *buf, size_t cap, bool truncate)
{
    const char *s = xbl_mpsd_oracle__rd_text(r, v);
    size_t n = xbl_mpsd_oracle__rd_len(r, v), i = 0, len = 0;
    char ch[4];
    if (xbl_mpsd_oracle__json_decode(s, n, NULL) == SIZE_MAX) { r->bad = true; return false; }
    while (i < n) {
        size_t k = xbl_mpsd_oracle__json_char(s, n, &i, ch);
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
static const char *xbl_mpsd_oracle__rd_string(xbl_mpsd_oracle__rd *r, int v)
{
    const char *s = xbl_mpsd_oracle__rd_text(r, v);
    size_t n = xbl_mpsd_oracle__rd_len(r, v), len = xbl_mpsd_oracle__json_decode(s, n, NULL);
    char *d;
    if (len == SIZE_MAX) { r->bad = true; return ""; }
    d = (char *)xbl_mpsd__arena_alloc(r->a, len + 1, 1);
    if (d == NULL) return "";
    xbl_mpsd_oracle__json_decode(s, n, d);
    d[len] = '\0';
    return d;
}

/* Exact bytes of token v (a string keeps its quotes) in the arena. */
static const char *xbl_mpsd_oracle__rd_raw(xbl_mpsd_oracle__rd *r, int v)
{
    const char *s = xbl_mpsd_oracle__rd_text(r, v);
    size_t n = xbl_mpsd_oracle__rd_len(r, v);
    if (r->t[v].type == JSMN_STRING) { s--; n += 2; }
    return xbl_mpsd__arena_strn(r->a, s, n);
}

static void xbl_mpsd_oracle__rd_bool(xbl_mpsd_oracle__rd *r, int obj, const char *key, bool *out)
{
    int v = xbl_mpsd_oracle__rd_get(r, obj, key, XBL_MPSD_ORACLE__RD_BOOL, false);
    if (v >= 0) *out = r->js[r->t[v].start] == 't';
}

static void xbl_mpsd_oracle__rd_u64(xbl_mpsd_oracle__rd *r, int obj, const char *key, uint64_t *out)
{
    int v = xbl_mpsd_oracle__rd_get(r, obj, key, XBL_MPSD_ORACLE__RD_NUMBER, false);
    if (v >= 0) xbl_mpsd_oracle__rd_uint_tok(r, v, UINT64_MAX, out);
}

static void xbl_mpsd_oracle__rd_u32(xbl_mpsd_oracle__rd *r, int obj, const char *key, uint32_t *out)
{
    uint64_t x;
    int v = xbl_mpsd_oracle__rd_get(r, obj, key, XBL_MPSD_ORACLE__RD_NUMBER, false);
    if (v >= 0 && xbl_mpsd_oracle__rd_uint_tok(r, v, UINT32_MAX, &x)) *out = (uint32_t)x;
}

/* A timeout: absent keeps *out (0), null reads as infinite. */
static void xbl_mpsd_oracle__rd_timeout(xbl_mpsd_oracle__rd *r, int obj, const char *key, uint64_t *out)
{
    int v = xbl_mpsd_oracle__rd_get(r, obj, key, XBL_MPSD_ORACLE__RD_ANY, false);
    if (v < 0) return;
    if (xbl_mpsd_oracle__rd_kind(r, v) == XBL_MPSD_ORACLE__RD_NULL) *out = XBL_MPSD_TIMEOUT_INFINITE;
    else xbl_mpsd_oracle__rd_uint_tok(r, v, UINT64_MAX, out);
}

/* A plain string field: arena copy, NULL when absent or null. */
static const char *xbl_mpsd_oracle__rd_str(xbl_mpsd_oracle__rd *r, int obj, const char *key)
{
    int v = xbl_mpsd_oracle__rd_get(r, obj, key, XBL_MPSD_ORACLE__RD_STRING, true);
    return v < 0 ? NULL : xbl_mpsd_oracle__rd_string(r, v);
}

/* A string field into a fixed buffer; not fitting is an error (API.md §6.3). */
static void xbl_mpsd_oracle__rd_fixed(xbl_mpsd_oracle__rd *r, int obj, const char *key, char *buf, size_t cap)
{
    char tmp[XBL_MPSD_SESSION_TEMPLATE_NAME_MAX_LENGTH];
    int v = xbl_mpsd_oracle__rd_get(r, obj, key, XBL_MPSD_ORACLE__RD_STRING, true);
    XBL_MPSD_ASSERT(cap <= sizeof tmp);
    if (v < 0) return;
    if (!xbl_mpsd_oracle__rd_fixed_tok(r, v, tmp, cap, false)) { r->bad = true; return; }
    XBL_MPSD_MEMCPY(buf, tmp, xbl_mpsd__strlen(tmp) + 1);
}

/* A decimal-string integer (XUIDs, activeTitleId); null reads as absent. */
static bool xbl_mpsd_oracle__rd_dec_tok(xbl_mpsd_oracle__rd *r, int v, uint64_t max, uint64_t *out)
{
    char buf[24];
    if (xbl_mpsd_oracle__rd_kind(r, v) != XBL_MPSD_ORACLE__RD_STRING ||
            !xbl_mpsd_oracle__rd_fixed_tok(r, v, buf, sizeof buf, false) ||
            !xbl_mpsd__parse_dec(buf, xbl_mpsd__strlen(buf), max, out)) {
        r->bad = true;
        return false;
    }
    return true;
}

/* Index of the enum string obj[key] in names (case-insensitive); -1 when
   unknown, -2 when absent or null. */
static int xbl_mpsd_oracle__rd_enum_tok(xbl_mpsd_oracle__rd *r, int v, const char *const *names, int count)
{
    char buf[32];
    int i;
    if (!xbl_mpsd_oracle__rd_fixed_tok(r, v, buf, sizeof buf, false)) return -1;
    for (i = 0; i < count; i++)
        if (xbl_mpsd__ieq(buf, names[i])) return i;
    return -1;
}

static int xbl_mpsd_oracle__rd_enum(xbl_mpsd_oracle__rd *r, int obj, const char *key, const char *const *names, int count)
{
    int v = xbl_mpsd_oracle__rd_get(r, obj, key, XBL_MPSD_ORACLE__RD_STRING, true);
    return v < 0 ? -2 : xbl_mpsd_oracle__rd_enum_tok(r, v, names, count);
}

/* An enum field: absent keeps *out, known string i gives first + i, an
   unknown string gives unknown. */
#define XBL_MPSD_ORACLE__RD_ENUM(r, obj, key, names, out, type, first, unknown) do { \
        int e_ = xbl_mpsd_oracle__rd_enum((r), (obj), (key), (names), (int)(sizeof(names) / sizeof((names)[0]))); \
        if (e_ >= 0) *(out) = (type)((int)(first) + e_); \
        else if (e_ == -1) *(out) = (unknown); \
    } while (0)

/* Flags from an array of strings: bit (1 << i) for names[i], unknown ignored. */
static uint32_t xbl_mpsd_oracle__rd_flags(xbl_mpsd_oracle__rd *r, int arr, const char *const *names, int count)
{
    uint32_t flags = 0;
    size_t c, n = xbl_mpsd_oracle__rd_size(r, arr);
    int e;
    for (c = 0, e = arr + 1; c < n && e < r->n; c++, e = xbl_mpsd_oracle__rd_skip(r, e)) {
        int i;
        if (xbl_mpsd_oracle__rd_kind(r, e) != XBL_MPSD_ORACLE__RD_STRING) { r->bad = true; return 0; }
        i = xbl_mpsd_oracle__rd_enum_tok(r, e, names, count);
        if (i >= 0) flags |= (uint32_t)1 << i;
    }
    return flags;
}

/* A time field: a string (null is not allowed, MPSD §4.9 rule 1), read
   from its raw text: a time has no escapes. */
static void xbl_mpsd_oracle__rd_time(xbl_mpsd_oracle__rd *r, int obj, const char *key, time_t *out)
{
    int v = xbl_mpsd_oracle__rd_get(r, obj, key, XBL_MPSD_ORACLE__RD_STRING, false);
    if (v >= 0 && !xbl_mpsd_oracle__parse_time(xbl_mpsd_oracle__rd_text(r, v), xbl_mpsd_oracle__rd_len(r, v), out))
        r->bad = true;
}

/* Raw JSON text of an object field; NULL when absent or null. */
static const char *xbl_mpsd_oracle__rd_raw_obj(xbl_mpsd_oracle__rd *r, int obj, const char *key)
{
    int v = xbl_mpsd_oracle__rd_get(r, obj, key, XBL_MPSD_ORACLE__RD_OBJECT, true);
    return v < 0 ? NULL : xbl_mpsd_oracle__rd_raw(r, v);
}

/* ---- arrays ---- */

static void xbl_mpsd_oracle__rd_strings(xbl_mpsd_oracle__rd *r, int obj, const char *key,
        const char *const **out, size_t *count)
{
    int v = xbl_mpsd_oracle__rd_get(r, obj, key, XBL_MPSD_ORACLE__RD_ARRAY, false), e;
    size_t c, n = xbl_mpsd_oracle__rd_size(r, v);
    const char **arr;
    if (v < 0 || n == 0) return;
    arr = XBL_MPSD__ALLOC_ARRAY(r->a, const char *, n);
    for (c = 0, e = v + 1; c < n && e < r->n; c++, e = xbl_mpsd_oracle__rd_skip(r, e)) {
        const char *s;
        if (xbl_mpsd_oracle__rd_kind(r, e) != XBL_MPSD_ORACLE__RD_STRING) { r->bad = true; return; }
        s = xbl_mpsd_oracle__rd_string(r, e);
        if (arr) arr[c] = s;
    }
    *out = arr;
    *count = n;
}

static void xbl_mpsd_oracle__rd_u32s(xbl_mpsd_oracle__rd *r, int obj, const char *key, const uint32_t **out, size_t *count)
{
    int v = xbl_mpsd_oracle__rd_get(r, obj, key, XBL_MPSD_ORACLE__RD_ARRAY, false), e;
    size_t c, n = xbl_mpsd_oracle__rd_size(r, v);
    uint32_t *arr;
    if (v < 0 || n == 0) return;
    arr = XBL_MPSD__ALLOC_ARRAY(r->a, uint32_t, n);
    for (c = 0, e = v + 1; c < n && e < r->n; c++, e = xbl_mpsd_oracle__rd_skip(r, e)) {
        uint64_t x = 0;
        if (!xbl_mpsd_oracle__rd_uint_tok(r, e, UINT32_MAX, &x)) return;
        if (arr) arr[c] = (uint32_t)x;
    }
    *out = arr;
    *count = n;
}

/* Array token v of XUID strings. */
static const uint64_t *xbl_mpsd_oracle__rd_xuids(xbl_mpsd_oracle__rd *r, int v)
{
    size_t c, n = xbl_mpsd_oracle__rd_size(r, v);
    uint64_t *arr;
    int e;
    if (n == 0) return NULL;
    arr = XBL_MPSD__ALLOC_ARRAY(r->a, uint64_t, n);
    for (c = 0, e = v + 1; c < n && e < r->n; c++, e = xbl_mpsd_oracle__rd_skip(r, e)) {
        uint64_t x = 0;
        if (!xbl_mpsd_oracle__rd_dec_tok(r, e, UINT64_MAX, &x)) return NULL;
        if (arr) arr[c] = x;
    }
    return arr;
}

/* ---- enum string tables (wire order = enum order from the given first value) ---- */

static const char *const xbl_mpsd_oracle__rd_visibility[] = { "private", "visible", "full", "open" };
static const char *const xbl_mpsd_oracle__rd_metrics[] = { "bandwidthUp", "bandwidthDown", "bandwidth", "latency" };
static const char *const xbl_mpsd_oracle__rd_restriction[] = { "none", "local", "followed" };
static const char *const xbl_mpsd_oracle__rd_stage[] = { "joining", "measuring", "evaluating", "failed" };
static const char *const xbl_mpsd_oracle__rd_mm_status[] = { "searching", "expired", "found", "canceled" };
static const char *const xbl_mpsd_oracle__rd_nat[] = { "open", "moderate", "strict" };
static const char *const xbl_mpsd_oracle__rd_failure[] = {
    "timeout", "latency", "bandwidthUp", "bandwidthDown", "group", "network", "episode"
};
static const char *const xbl_mpsd_oracle__rd_change_types[] = {
    "everything", "host", "initialization", "matchmakingStatus", "membersList",
    "membersStatus", "joinability", "customProperty", "membersCustomProperty"
};
static const char *const xbl_mpsd_oracle__rd_role_settings[] = { "max", "target" };

/* ---- document parts ---- */

static void xbl_mpsd_oracle__rd_constants(xbl_mpsd_oracle__rd *r, int root, xbl_mpsd_session *s)
{
    xbl_mpsd_session_constants *c = &s->constants;
    int cn = xbl_mpsd_oracle__rd_get(r, root, "constants", XBL_MPSD_ORACLE__RD_OBJECT, false);
    int sys = xbl_mpsd_oracle__rd_get(r, cn, "system", XBL_MPSD_ORACLE__RD_OBJECT, false);
    int v;
    const char *raw;
    if (cn < 0 || sys < 0) { r->bad = true; return; }

    xbl_mpsd_oracle__rd_u32(r, sys, "maxMembersCount", &c->max_members_in_session);
    XBL_MPSD_ORACLE__RD_ENUM(r, sys, "visibility", xbl_mpsd_oracle__rd_visibility, &c->visibility,
            xbl_mpsd_session_visibility, XBL_MPSD_SESSION_VISIBILITY_PRIVATE_SESSION,
            XBL_MPSD_SESSION_VISIBILITY_UNKNOWN);
    v = xbl_mpsd_oracle__rd_get(r, sys, "initiators", XBL_MPSD_ORACLE__RD_ARRAY, false);
    if (v >= 0 && xbl_mpsd_oracle__rd_size(r, v) > 0) {
        c->initiator_xuids = xbl_mpsd_oracle__rd_xuids(r, v);
        c->initiator_xuids_count = xbl_mpsd_oracle__rd_size(r, v);
    }
    xbl_mpsd_oracle__rd_timeout(r, sys, "reservedRemovalTimeout", &c->member_reserved_timeout);
    xbl_mpsd_oracle__rd_timeout(r, sys, "inactiveRemovalTimeout", &c->member_inactive_timeout);
    xbl_mpsd_oracle__rd_timeout(r, sys, "readyRemovalTimeout", &c->member_ready_timeout);
    xbl_mpsd_oracle__rd_timeout(r, sys, "sessionEmptyTimeout", &c->session_empty_timeout);

    v = xbl_mpsd_oracle__rd_get(r, sys, "metrics", XBL_MPSD_ORACLE__RD_OBJECT, false);
    xbl_mpsd_oracle__rd_bool(r, v, "latency", &c->enable_metrics_latency);
    xbl_mpsd_oracle__rd_bool(r, v, "bandwidthDown", &c->enable_metrics_bandwidth_down);
    xbl_mpsd_oracle__rd_bool(r, v, "bandwidthUp", &c->enable_metrics_bandwidth_up);
    xbl_mpsd_oracle__rd_bool(r, v, "custom", &c->enable_metrics_custom);

    v = xbl_mpsd_oracle__rd_get(r, sys, "memberInitialization", XBL_MPSD_ORACLE__RD_OBJECT, true);
    if (v >= 0) {
        xbl_mpsd_member_initialization *mi = &s->member_initialization;
        xbl_mpsd_oracle__rd_timeout(r, v, "joinTimeout", &mi->join_timeout);
        xbl_mpsd_oracle__rd_timeout(r, v, "measurementTimeout", &mi->measurement_timeout);
        xbl_mpsd_oracle__rd_timeout(r, v, "evaluationTimeout", &mi->evaluation_timeout);
        xbl_mpsd_oracle__rd_bool(r, v, "externalEvaluation", &mi->external_evaluation);
        xbl_mpsd_oracle__rd_u32(r, v, "membersNeededToStart", &mi->members_needed_to_start);
        c->member_initialization = mi;   /* points into s; the caller fixes it after copying s */
    }

    v = xbl_mpsd_oracle__rd_get(r, sys, "peerToPeerRequirements", XBL_MPSD_ORACLE__RD_OBJECT, true);
    xbl_mpsd_oracle__rd_u64(r, v, "latencyMaximum", &c->peer_to_peer_requirements.latency_maximum);
    xbl_mpsd_oracle__rd_u64(r, v, "bandwidthMinimum", &c->peer_to_peer_requirements.bandwidth_minimum_in_kbps);

    /* D8: read from peerToHostRequirements; LATENCY when not given (also
       when the whole object is absent, as XSAPI always reports). */
    c->peer_to_host_requirements.host_selection_metric = XBL_MPSD_METRICS_LATENCY;
    v = xbl_mpsd_oracle__rd_get(r, sys, "peerToHostRequirements", XBL_MPSD_ORACLE__RD_OBJECT, true);
    xbl_mpsd_oracle__rd_u64(r, v, "latencyMaximum", &c->peer_to_host_requirements.latency_maximum);
    xbl_mpsd_oracle__rd_u64(r, v, "bandwidthDownMinimum", &c->peer_to_host_requirements.bandwidth_down_minimum_in_kbps);
    xbl_mpsd_oracle__rd_u64(r, v, "bandwidthUpMinimum", &c->peer_to_host_requirements.bandwidth_up_minimum_in_kbps);
    XBL_MPSD_ORACLE__RD_ENUM(r, v, "hostSelectionMetric", xbl_mpsd_oracle__rd_metrics,
            &c->peer_to_host_requirements.host_selection_metric, xbl_mpsd_metrics,
            XBL_MPSD_METRICS_BANDWIDTH_UP, XBL_MPSD_METRICS_UNKNOWN);

    raw = xbl_mpsd_oracle__rd_raw_obj(r, sys, "measurementServerAddresses");
    if (raw) c->measurement_server_addresses_json = raw;
    raw = xbl_mpsd_oracle__rd_raw_obj(r, sys, "cloudComputePackage");
    if (raw) c->session_cloud_compute_package_constants_json = raw;

    v = xbl_mpsd_oracle__rd_get(r, sys, "capabilities", XBL_MPSD_ORACLE__RD_OBJECT, false);
    xbl_mpsd_oracle__rd_bool(r, v, "connectivity", &c->session_capabilities.connectivity);
    xbl_mpsd_oracle__rd_bool(r, v, "suppressPresenceActivityCheck", &c->session_capabilities.suppress_presence_activity_check);
    xbl_mpsd_oracle__rd_bool(r, v, "gameplay", &c->session_capabilities.gameplay);
    xbl_mpsd_oracle__rd_bool(r, v, "large", &c->session_capabilities.large);
    xbl_mpsd_oracle__rd_bool(r, v, "connectionRequiredForActiveMembers",
            &c->session_capabilities.connection_required_for_active_members);
    xbl_mpsd_oracle__rd_bool(r, v, "userAuthorizationStyle", &c->session_capabilities.user_authorization_style);
    xbl_mpsd_oracle__rd_bool(r, v, "crossPlay", &c->session_capabilities.crossplay);
    xbl_mpsd_oracle__rd_bool(r, v, "searchable", &c->session_capabilities.searchable);
    xbl_mpsd_oracle__rd_bool(r, v, "hasOwners", &c->session_capabilities.has_owners);
    xbl_mpsd_oracle__rd_bool(r, v, "clientMatchmaking", &c->client_matchmaking_capable);

    /* constants.custom: title JSON of any type, kept verbatim; null = none */
    v = xbl_mpsd_oracle__rd_get(r, cn, "custom", XBL_MPSD_ORACLE__RD_ANY, true);
    if (v >= 0) c->custom_json = xbl_mpsd_oracle__rd_raw(r, v);
}

static void xbl_mpsd_oracle__rd_properties(xbl_mpsd_oracle__rd *r, int root, xbl_mpsd_session *s)
{
    xbl_mpsd_session_properties *p = &s->properties;
    int pr = xbl_mpsd_oracle__rd_get(r, root, "properties", XBL_MPSD_ORACLE__RD_OBJECT, false);
    int sys = xbl_mpsd_oracle__rd_get(r, pr, "system", XBL_MPSD_ORACLE__RD_OBJECT, false);
    int v;
    const char *str;
    if (pr < 0 || sys < 0) { r->bad = true; return; }

    xbl_mpsd_oracle__rd_strings(r, sys, "keywords", &p->keywords, &p->keyword_count);
    XBL_MPSD_ORACLE__RD_ENUM(r, sys, "joinRestriction", xbl_mpsd_oracle__rd_restriction, &p->join_restriction,
            xbl_mpsd_session_restriction, XBL_MPSD_SESSION_RESTRICTION_NONE, XBL_MPSD_SESSION_RESTRICTION_UNKNOWN);
    XBL_MPSD_ORACLE__RD_ENUM(r, sys, "readRestriction", xbl_mpsd_oracle__rd_restriction, &p->read_restriction,
            xbl_mpsd_session_restriction, XBL_MPSD_SESSION_RESTRICTION_NONE, XBL_MPSD_SESSION_RESTRICTION_UNKNOWN);
    xbl_mpsd_oracle__rd_u32s(r, sys, "turn", &p->turn_collection, &p->turn_collection_count);

    v = xbl_mpsd_oracle__rd_get(r, sys, "matchmaking", XBL_MPSD_ORACLE__RD_OBJECT, false);
    str = xbl_mpsd_oracle__rd_raw_obj(r, v, "targetSessionConstants");
    if (str) p->matchmaking_target_session_constants_json = str;
    str = xbl_mpsd_oracle__rd_str(r, v, "serverConnectionString");
    if (str) p->matchmaking_server_connection_string = str;

    xbl_mpsd_oracle__rd_strings(r, sys, "serverConnectionStringCandidates",
            &p->server_connection_string_candidates, &p->server_connection_string_candidates_count);
    xbl_mpsd_oracle__rd_u32s(r, sys, "owners", &p->session_owner_member_ids, &p->session_owner_member_ids_count);
    xbl_mpsd_oracle__rd_fixed(r, sys, "host", p->host_device_token.value, sizeof p->host_device_token.value);
    xbl_mpsd_oracle__rd_bool(r, sys, "closed", &p->closed);
    xbl_mpsd_oracle__rd_bool(r, sys, "locked", &p->locked);
    xbl_mpsd_oracle__rd_bool(r, sys, "allocateCloudCompute", &p->allocate_cloud_compute);
    xbl_mpsd_oracle__rd_bool(r, sys, "matchmakingResubmit", &p->matchmaking_resubmit);

    /* properties.custom: the local custom object (API.md §1.5), "{}" when none */
    str = xbl_mpsd_oracle__rd_raw_obj(r, pr, "custom");
    if (str) p->session_custom_properties_json = str;
}

/* One role (key token rk, object value after it) of the role type `owner`
   (NULL when measuring). false on a document error. */
static bool xbl_mpsd_oracle__rd_role(xbl_mpsd_oracle__rd *r, int rk, const xbl_mpsd_role_type *owner, xbl_mpsd_role *role)
{
    int rv = rk + 1, v;
    XBL_MPSD_MEMSET(role, 0, sizeof *role);
    if (xbl_mpsd_oracle__rd_kind(r, rv) != XBL_MPSD_ORACLE__RD_OBJECT) return false;
    role->role_type = owner;
    role->name = xbl_mpsd_oracle__rd_string(r, rk);
    xbl_mpsd_oracle__rd_u32(r, rv, "count", &role->member_count);
    xbl_mpsd_oracle__rd_u32(r, rv, "target", &role->target_count);
    xbl_mpsd_oracle__rd_u32(r, rv, "max", &role->max_member_count);
    /* memberXuids is required when count > 0 (MPSD §4.7) and its length is
       member_count (API.md §4.12) */
    v = xbl_mpsd_oracle__rd_get(r, rv, "memberXuids", XBL_MPSD_ORACLE__RD_ARRAY, false);
    if (v < 0) return role->member_count == 0;
    if (xbl_mpsd_oracle__rd_size(r, v) != role->member_count) return false;
    role->member_xuids = xbl_mpsd_oracle__rd_xuids(r, v);
    return true;
}

/* One role type (key token k, object value after it) into *type, its roles
   pointing back at `owner`. false on a document error. */
static bool xbl_mpsd_oracle__rd_role_type(xbl_mpsd_oracle__rd *r, int k, const xbl_mpsd_role_type *owner, xbl_mpsd_role_type *type)
{
    int tv = k + 1, rl, rk, v;
    size_t j, nr;
    xbl_mpsd_role *roles;
    XBL_MPSD_MEMSET(type, 0, sizeof *type);
    if (xbl_mpsd_oracle__rd_kind(r, tv) != XBL_MPSD_ORACLE__RD_OBJECT) return false;
    type->name = xbl_mpsd_oracle__rd_string(r, k);
    xbl_mpsd_oracle__rd_bool(r, tv, "ownerManaged", &type->owner_managed);
    v = xbl_mpsd_oracle__rd_get(r, tv, "mutableRoleSettings", XBL_MPSD_ORACLE__RD_ARRAY, false);
    if (v >= 0) type->mutable_role_settings = xbl_mpsd_oracle__rd_flags(r, v, xbl_mpsd_oracle__rd_role_settings, 2);
    rl = xbl_mpsd_oracle__rd_get(r, tv, "roles", XBL_MPSD_ORACLE__RD_OBJECT, false);
    nr = xbl_mpsd_oracle__rd_size(r, rl);
    if (nr == 0) return true;
    roles = XBL_MPSD__ALLOC_ARRAY(r->a, xbl_mpsd_role, nr);
    /* jsmn (strict) gives an object of size nr exactly nr key/value pairs */
    for (j = 0, rk = rl + 1; j < nr; j++, rk = xbl_mpsd_oracle__rd_skip(r, rk + 1)) {
        xbl_mpsd_role role;
        if (!xbl_mpsd_oracle__rd_role(r, rk, owner, &role)) return false;
        if (roles) roles[j] = role;
    }
    type->roles = roles;
    type->role_count = nr;
    return true;
}

static void xbl_mpsd_oracle__rd_role_types(xbl_mpsd_oracle__rd *r, int root, xbl_mpsd_session *s)
{
    int rt = xbl_mpsd_oracle__rd_get(r, root, "roleTypes", XBL_MPSD_ORACLE__RD_OBJECT, false), k;
    size_t c, nt = xbl_mpsd_oracle__rd_size(r, rt);
    xbl_mpsd_role_type *types;
    if (nt == 0) return;
    types = XBL_MPSD__ALLOC_ARRAY(r->a, xbl_mpsd_role_type, nt);
    for (c = 0, k = rt + 1; c < nt; c++, k = xbl_mpsd_oracle__rd_skip(r, k + 1)) {
        xbl_mpsd_role_type type;
        if (!xbl_mpsd_oracle__rd_role_type(r, k, types ? &types[c] : NULL, &type)) { r->bad = true; return; }
        if (types) types[c] = type;
    }
    s->role_types = types;
    s->role_types_count = nt;
}

/* A member's constants (object cn, its system object cs) into *m. */
static void xbl_mpsd_oracle__rd_member_constants(xbl_mpsd_oracle__rd *r, int cn, int cs, xbl_mpsd_session_member *m)
{
    int v, w;
    uint64_t x;
    v = xbl_mpsd_oracle__rd_get(r, cs, "xuid", XBL_MPSD_ORACLE__RD_STRING, true);
    if (v >= 0 && xbl_mpsd_oracle__rd_dec_tok(r, v, UINT64_MAX, &x)) m->xuid = x;
    xbl_mpsd_oracle__rd_bool(r, cs, "initialize", &m->initialize_requested);
    v = xbl_mpsd_oracle__rd_get(r, cs, "matchmakingResult", XBL_MPSD_ORACLE__RD_OBJECT, false);
    m->matchmaking_result_server_measurements_json = xbl_mpsd_oracle__rd_raw_obj(r, v, "serverMeasurements");
    v = xbl_mpsd_oracle__rd_get(r, cn, "custom", XBL_MPSD_ORACLE__RD_ANY, true);
    if (v < 0) return;
    m->custom_constants_json = xbl_mpsd_oracle__rd_raw(r, v);
    /* title JSON: only peek, ignore other shapes */
    w = xbl_mpsd_oracle__rd_find(r, xbl_mpsd_oracle__rd_find(r, v, "matchmakingResult"), "initialTeam");
    if (xbl_mpsd_oracle__rd_kind(r, w) == XBL_MPSD_ORACLE__RD_STRING) m->initial_team = xbl_mpsd_oracle__rd_string(r, w);
}

/* A member's properties (object pr, its system object ps) into *m, except
   active and ready; returns the subscription's change types. */
static xbl_mpsd_session_change_types xbl_mpsd_oracle__rd_member_properties(xbl_mpsd_oracle__rd *r, int pr, int ps,
        xbl_mpsd_session_member *m)
{
    int v;
    m->secure_device_base_address64 = xbl_mpsd_oracle__rd_str(r, ps, "secureDeviceAddress");
    xbl_mpsd_oracle__rd_u32s(r, ps, "initializationGroup", &m->members_in_group_ids, &m->members_in_group_count);
    xbl_mpsd_oracle__rd_strings(r, ps, "groups", &m->groups, &m->groups_count);
    xbl_mpsd_oracle__rd_strings(r, ps, "encounters", &m->encounters, &m->encounters_count);
    m->qos_measurements_json = xbl_mpsd_oracle__rd_raw_obj(r, ps, "measurements");
    m->server_measurements_json = xbl_mpsd_oracle__rd_raw_obj(r, ps, "serverMeasurements");
    m->custom_properties_json = xbl_mpsd_oracle__rd_raw_obj(r, pr, "custom");
    v = xbl_mpsd_oracle__rd_get(r, ps, "subscription", XBL_MPSD_ORACLE__RD_OBJECT, false);
    v = xbl_mpsd_oracle__rd_get(r, v, "changeTypes", XBL_MPSD_ORACLE__RD_ARRAY, false);
    if (v < 0) return XBL_MPSD_SESSION_CHANGE_TYPES_NONE;
    return xbl_mpsd_oracle__rd_flags(r, v, xbl_mpsd_oracle__rd_change_types, 9);
}

/* A member entry's roles: { "<type>": "<role>" } or null. false on a
   document error. */
static bool xbl_mpsd_oracle__rd_member_roles(xbl_mpsd_oracle__rd *r, int e, xbl_mpsd_session_member *m)
{
    int v = xbl_mpsd_oracle__rd_get(r, e, "roles", XBL_MPSD_ORACLE__RD_OBJECT, true), k;
    size_t c, n = xbl_mpsd_oracle__rd_size(r, v);
    xbl_mpsd_session_member_role *roles;
    if (n == 0) return true;
    roles = XBL_MPSD__ALLOC_ARRAY(r->a, xbl_mpsd_session_member_role, n);
    /* jsmn (strict) gives an object of size n exactly n key/value pairs */
    for (c = 0, k = v + 1; c < n; c++, k = xbl_mpsd_oracle__rd_skip(r, k + 1)) {
        xbl_mpsd_session_member_role role;
        if (xbl_mpsd_oracle__rd_kind(r, k + 1) != XBL_MPSD_ORACLE__RD_STRING) return false;
        role.role_type_name = xbl_mpsd_oracle__rd_string(r, k);
        role.role_name = xbl_mpsd_oracle__rd_string(r, k + 1);
        if (roles) roles[c] = role;
    }
    m->roles = roles;
    m->roles_count = n;
    return true;
}

/* One member entry (object token e) into *m. *sub gets the entry's
   subscription change types. */
static void xbl_mpsd_oracle__rd_member(xbl_mpsd_oracle__rd *r, int e, uint32_t id, xbl_mpsd_session_member *m,
        xbl_mpsd_session_change_types *sub)
{
    int cn = xbl_mpsd_oracle__rd_get(r, e, "constants", XBL_MPSD_ORACLE__RD_OBJECT, false);
    int pr = xbl_mpsd_oracle__rd_get(r, e, "properties", XBL_MPSD_ORACLE__RD_OBJECT, false);
    int cs = xbl_mpsd_oracle__rd_get(r, cn, "system", XBL_MPSD_ORACLE__RD_OBJECT, false);
    int ps = xbl_mpsd_oracle__rd_get(r, pr, "system", XBL_MPSD_ORACLE__RD_OBJECT, false);
    int v;
    uint64_t x;
    bool active = false, ready = false, reserved = false;
    XBL_MPSD_MEMSET(m, 0, sizeof *m);
    m->member_id = id;
    m->initialization_failure_cause = XBL_MPSD_MEASUREMENT_FAILURE_NONE;
    *sub = XBL_MPSD_SESSION_CHANGE_TYPES_NONE;
    if (cn < 0 || pr < 0 || cs < 0 || ps < 0) { r->bad = true; return; }

    xbl_mpsd_oracle__rd_member_constants(r, cn, cs, m);
    xbl_mpsd_oracle__rd_bool(r, ps, "active", &active);
    xbl_mpsd_oracle__rd_bool(r, ps, "ready", &ready);
    *sub = xbl_mpsd_oracle__rd_member_properties(r, pr, ps, m);
    if (!xbl_mpsd_oracle__rd_member_roles(r, e, m)) { r->bad = true; return; }

    /* entry level */
    v = xbl_mpsd_oracle__rd_get(r, e, "gamertag", XBL_MPSD_ORACLE__RD_STRING, true);
    if (v >= 0) xbl_mpsd_oracle__rd_fixed_tok(r, v, m->gamertag, sizeof m->gamertag, true);
    xbl_mpsd_oracle__rd_fixed(r, e, "deviceToken", m->device_token.value, sizeof m->device_token.value);
    XBL_MPSD_ORACLE__RD_ENUM(r, e, "nat", xbl_mpsd_oracle__rd_nat, &m->nat, xbl_mpsd_network_address_translation_setting,
            XBL_MPSD_NETWORK_ADDRESS_TRANSLATION_SETTING_OPEN, XBL_MPSD_NETWORK_ADDRESS_TRANSLATION_SETTING_UNKNOWN);
    xbl_mpsd_oracle__rd_bool(r, e, "reserved", &reserved);
    v = xbl_mpsd_oracle__rd_get(r, e, "activeTitleId", XBL_MPSD_ORACLE__RD_STRING, true);
    if (v >= 0 && xbl_mpsd_oracle__rd_dec_tok(r, v, UINT32_MAX, &x)) m->active_title_id = (uint32_t)x;
    xbl_mpsd_oracle__rd_time(r, e, "joinTime", &m->join_time);
    xbl_mpsd_oracle__rd_bool(r, e, "turn", &m->is_turn_available);
    XBL_MPSD_ORACLE__RD_ENUM(r, e, "initializationFailure", xbl_mpsd_oracle__rd_failure, &m->initialization_failure_cause,
            xbl_mpsd_measurement_failure, XBL_MPSD_MEASUREMENT_FAILURE_TIMEOUT, XBL_MPSD_MEASUREMENT_FAILURE_UNKNOWN);
    xbl_mpsd_oracle__rd_u32(r, e, "initializationEpisode", &m->initialization_episode);

    /* status rule, API.md §3.8 */
    m->status = active ? XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE
              : ready ? XBL_MPSD_SESSION_MEMBER_STATUS_READY
              : reserved ? XBL_MPSD_SESSION_MEMBER_STATUS_RESERVED
              : XBL_MPSD_SESSION_MEMBER_STATUS_INACTIVE;
}

/* members[key] for a member index. The general lookup scans every entry
   (the last occurrence wins), which makes a whole read quadratic in the
   member count. The service lists members in chain order, so while each key
   is known to be unique the search resumes after the entry found last and
   one step usually finds it. */
static int xbl_mpsd_oracle__rd_member_entry(xbl_mpsd_oracle__rd *r, int members, uint32_t index)
{
    char dec[21];
    size_t n = xbl_mpsd__u64_to_dec(index, dec), c, entries;
    dec[n] = '\0';
    if (!r->members_unique) return xbl_mpsd_oracle__rd_find(r, members, dec);
    entries = xbl_mpsd_oracle__rd_size(r, members);
    for (c = 0; c < entries; c++) {
        int k;
        if (r->member_at >= entries) {
            r->member_at = 0;
            r->member_key = members + 1;
        }
        k = r->member_key;
        r->member_at++;
        r->member_key = xbl_mpsd_oracle__rd_skip(r, k + 1);
        if (k + 1 < r->n && r->t[k].type == JSMN_STRING &&
                xbl_mpsd_oracle__json_body_equals(xbl_mpsd_oracle__rd_text(r, k), xbl_mpsd_oracle__rd_len(r, k), dec))
            return k + 1;
    }
    return -1;
}

/* Restarts the cursor lookup at the first entry. */
static void xbl_mpsd_oracle__rd_member_rewind(xbl_mpsd_oracle__rd *r, int members, bool unique)
{
    r->members_unique = unique;
    r->member_at = xbl_mpsd_oracle__rd_size(r, members);   /* the next lookup wraps to entry 0 */
    r->member_key = members + 1;
}

/* A large session's member list: only "me", with index `first`. */
static void xbl_mpsd_oracle__rd_large_members(xbl_mpsd_oracle__rd *r, int members, uint32_t first, xbl_mpsd_session *s,
        xbl_mpsd_session_change_types *sub)
{
    int me = xbl_mpsd_oracle__rd_get(r, members, "me", XBL_MPSD_ORACLE__RD_OBJECT, false);
    xbl_mpsd_session_member m, *arr;
    xbl_mpsd_session_change_types t;
    if (me < 0) return;
    arr = XBL_MPSD__ALLOC_ARRAY(r->a, xbl_mpsd_session_member, 1);
    xbl_mpsd_oracle__rd_member(r, me, first, &m, &t);
    if (arr) arr[0] = m;
    if (m.xuid == s->xuid) *sub = t;
    s->members = arr;
    s->members_count = s->document_members_count = 1;
}

/* Walks the member chain from first to next, checking each link; returns
   its length, or 0 with r->bad set when a link is missing or it loops.
   With the cursor lookup on, the indices must also rise (the service hands
   them out in join order): distinct indices are what make that lookup exact. */
static size_t xbl_mpsd_oracle__rd_chain_count(xbl_mpsd_oracle__rd *r, int members, uint64_t first, uint64_t next)
{
    size_t count = 0, entries = xbl_mpsd_oracle__rd_size(r, members);
    uint64_t cur;
    for (cur = first; cur != next; count++) {
        const uint64_t at = cur;
        int e;
        if (count >= entries) break;   /* more links than entries: a loop */
        e = xbl_mpsd_oracle__rd_member_entry(r, members, (uint32_t)cur);
        if (xbl_mpsd_oracle__rd_kind(r, e) != XBL_MPSD_ORACLE__RD_OBJECT) break;
        e = xbl_mpsd_oracle__rd_find(r, e, "next");
        if (e < 0 || !xbl_mpsd_oracle__rd_uint_tok(r, e, UINT32_MAX - 1, &cur)) break;
        if (r->members_unique && cur <= at) break;
    }
    if (cur == next) return count;
    r->bad = true;
    return 0;
}

/* The member list (MPSD §4.6): a linked list from membersInfo.first through
   each entry's next until membersInfo.next; large sessions show only "me". */
static void xbl_mpsd_oracle__rd_members(xbl_mpsd_oracle__rd *r, int root, xbl_mpsd_session *s, xbl_mpsd_session_change_types *sub)
{
    int info = xbl_mpsd_oracle__rd_get(r, root, "membersInfo", XBL_MPSD_ORACLE__RD_OBJECT, false);
    int members = xbl_mpsd_oracle__rd_get(r, root, "members", XBL_MPSD_ORACLE__RD_OBJECT, false);
    int f = xbl_mpsd_oracle__rd_find(r, info, "first"), nx = xbl_mpsd_oracle__rd_find(r, info, "next");
    uint64_t first = 0, next = 0, cur;
    size_t count, i;
    bool bad_before;
    xbl_mpsd_session_member *arr;
    if (info < 0) return;
    if (f < 0 || nx < 0 || !xbl_mpsd_oracle__rd_uint_tok(r, f, UINT32_MAX - 1, &first) ||
            !xbl_mpsd_oracle__rd_uint_tok(r, nx, UINT32_MAX - 1, &next)) {
        r->bad = true;
        return;
    }
    xbl_mpsd_oracle__rd_u32(r, info, "accepted", &s->members_accepted);
    if (r->bad) return;

    if (s->constants.session_capabilities.large) {
        xbl_mpsd_oracle__rd_large_members(r, members, (uint32_t)first, s, sub);
        return;
    }
    /* A chain visits distinct indices, so one that covers every entry proves
       each key unique and the cursor lookup exact. Anything else (duplicate
       or orphan entries, a broken chain) is decided by the general lookup. */
    bad_before = r->bad;
    xbl_mpsd_oracle__rd_member_rewind(r, members, true);
    count = xbl_mpsd_oracle__rd_chain_count(r, members, first, next);
    if (count != xbl_mpsd_oracle__rd_size(r, members)) {
        r->bad = bad_before;
        xbl_mpsd_oracle__rd_member_rewind(r, members, false);
        count = xbl_mpsd_oracle__rd_chain_count(r, members, first, next);
    }
    if (count == 0) return;

    /* pass 2: fill */
    xbl_mpsd_oracle__rd_member_rewind(r, members, r->members_unique);
    arr = XBL_MPSD__ALLOC_ARRAY(r->a, xbl_mpsd_session_member, count);
    for (i = 0, cur = first; i < count; i++) {
        int e = xbl_mpsd_oracle__rd_member_entry(r, members, (uint32_t)cur);
        xbl_mpsd_session_member m;
        xbl_mpsd_session_change_types t;
        uint64_t step = 0;
        xbl_mpsd_oracle__rd_member(r, e, (uint32_t)cur, &m, &t);
        if (r->bad) return;
        if (arr) arr[i] = m;
        if (m.xuid == s->xuid) *sub = t;   /* the last match is the current user (API.md §1.5) */
        xbl_mpsd_oracle__rd_uint_tok(r, xbl_mpsd_oracle__rd_find(r, e, "next"), UINT32_MAX - 1, &step);
        cur = step;
    }
    s->members = arr;
    s->members_count = s->document_members_count = count;
}

static void xbl_mpsd_oracle__rd_servers(xbl_mpsd_oracle__rd *r, int root, xbl_mpsd_session *s)
{
    xbl_mpsd_matchmaking_server *ms = &s->matchmaking_server;
    int sv = xbl_mpsd_oracle__rd_get(r, root, "servers", XBL_MPSD_ORACLE__RD_OBJECT, false), v, ref;
    const char *str;
    if (sv < 0) return;
    s->raw_servers_json = xbl_mpsd_oracle__rd_raw(r, sv);
    v = xbl_mpsd_oracle__rd_get(r, sv, "matchmaking", XBL_MPSD_ORACLE__RD_OBJECT, true);
    v = xbl_mpsd_oracle__rd_get(r, v, "properties", XBL_MPSD_ORACLE__RD_OBJECT, false);
    v = xbl_mpsd_oracle__rd_get(r, v, "system", XBL_MPSD_ORACLE__RD_OBJECT, false);
    if (v < 0) return;
    s->has_matchmaking_server = true;
    XBL_MPSD_ORACLE__RD_ENUM(r, v, "status", xbl_mpsd_oracle__rd_mm_status, &ms->status, xbl_mpsd_matchmaking_status,
            XBL_MPSD_MATCHMAKING_STATUS_SEARCHING, XBL_MPSD_MATCHMAKING_STATUS_UNKNOWN);
    str = xbl_mpsd_oracle__rd_str(r, v, "statusDetails");
    if (str) ms->status_details = str;
    xbl_mpsd_oracle__rd_u32(r, v, "typicalWait", &ms->typical_wait_in_seconds);
    ref = xbl_mpsd_oracle__rd_get(r, v, "targetSessionRef", XBL_MPSD_ORACLE__RD_OBJECT, false);
    xbl_mpsd_oracle__rd_fixed(r, ref, "scid", ms->target_session_ref.scid, sizeof ms->target_session_ref.scid);
    xbl_mpsd_oracle__rd_fixed(r, ref, "templateName", ms->target_session_ref.session_template_name,
            sizeof ms->target_session_ref.session_template_name);
    xbl_mpsd_oracle__rd_fixed(r, ref, "name", ms->target_session_ref.session_name,
            sizeof ms->target_session_ref.session_name);
}

/* initializing (API.md §4.17) */
static void xbl_mpsd_oracle__rd_initializing(xbl_mpsd_oracle__rd *r, int root, xbl_mpsd_session *s)
{
    int v = xbl_mpsd_oracle__rd_get(r, root, "initializing", XBL_MPSD_ORACLE__RD_OBJECT, false);
    s->initialization.stage = XBL_MPSD_INITIALIZATION_STAGE_NONE;
    if (v < 0) return;
    s->initialization.stage = XBL_MPSD_INITIALIZATION_STAGE_UNKNOWN;
    XBL_MPSD_ORACLE__RD_ENUM(r, v, "stage", xbl_mpsd_oracle__rd_stage, &s->initialization.stage,
            xbl_mpsd_initialization_stage, XBL_MPSD_INITIALIZATION_STAGE_JOINING,
            XBL_MPSD_INITIALIZATION_STAGE_UNKNOWN);
    xbl_mpsd_oracle__rd_time(r, v, "stageStartTime", &s->initialization.stage_start_time);
    xbl_mpsd_oracle__rd_u32(r, v, "episode", &s->initialization.episode);
}

/* hostCandidates: device tokens, each must fit */
static void xbl_mpsd_oracle__rd_host_candidates(xbl_mpsd_oracle__rd *r, int root, xbl_mpsd_session *s)
{
    int v = xbl_mpsd_oracle__rd_get(r, root, "hostCandidates", XBL_MPSD_ORACLE__RD_ARRAY, false), e;
    size_t c, n = xbl_mpsd_oracle__rd_size(r, v);
    xbl_mpsd_device_token *arr;
    if (n == 0) return;
    arr = XBL_MPSD__ALLOC_ARRAY(r->a, xbl_mpsd_device_token, n);
    /* jsmn gives an array of size n exactly n elements */
    for (c = 0, e = v + 1; c < n; c++, e = xbl_mpsd_oracle__rd_skip(r, e)) {
        xbl_mpsd_device_token tok;
        XBL_MPSD_MEMSET(&tok, 0, sizeof tok);
        if (xbl_mpsd_oracle__rd_kind(r, e) != XBL_MPSD_ORACLE__RD_STRING ||
                !xbl_mpsd_oracle__rd_fixed_tok(r, e, tok.value, sizeof tok.value, false)) {
            r->bad = true;
            return;
        }
        if (arr) arr[c] = tok;
    }
    s->host_candidates = arr;
    s->host_candidates_count = n;
}

/* Fills s (freshly reset, arena possibly in measure mode) from the tokens.
   r->bad tells a document error, s->arena.failed a short arena. */
static void xbl_mpsd_oracle__rd_fill(xbl_mpsd_oracle__rd *r, xbl_mpsd_session *s, const xbl_mpsd__response_meta *meta)
{
    const int root = 0;
    xbl_mpsd_session_change_types sub = XBL_MPSD_SESSION_CHANGE_TYPES_NONE;

    s->state = XBL_MPSD__STATE_DOCUMENT | XBL_MPSD__STATE_SERVICE;
    s->xuid = meta->xuid;
    if (meta->etag != NULL && meta->etag_len > 0) s->etag = xbl_mpsd__arena_strn(r->a, meta->etag, meta->etag_len);
    s->time_of_session = meta->date;
    if (meta->reference != NULL) s->reference = *meta->reference;
    s->write_status = meta->write_status;
    if (xbl_mpsd_oracle__rd_kind(r, root) != XBL_MPSD_ORACLE__RD_OBJECT) { r->bad = true; return; }

    /* info (API.md §4.16) */
    xbl_mpsd_oracle__rd_u32(r, root, "contractVersion", &s->info.contract_version);
    xbl_mpsd_oracle__rd_fixed(r, root, "branch", s->info.branch, sizeof s->info.branch);
    xbl_mpsd_oracle__rd_u64(r, root, "changeNumber", &s->info.change_number);
    xbl_mpsd_oracle__rd_fixed(r, root, "correlationId", s->info.correlation_id, sizeof s->info.correlation_id);
    xbl_mpsd_oracle__rd_time(r, root, "startTime", &s->info.start_time);
    xbl_mpsd_oracle__rd_time(r, root, "nextTimer", &s->info.next_timer);
    xbl_mpsd_oracle__rd_fixed(r, root, "searchHandle", s->info.search_handle_id, sizeof s->info.search_handle_id);

    xbl_mpsd_oracle__rd_constants(r, root, s);
    xbl_mpsd_oracle__rd_properties(r, root, s);
    xbl_mpsd_oracle__rd_initializing(r, root, s);
    xbl_mpsd_oracle__rd_host_candidates(r, root, s);
    if (r->bad) return;
    xbl_mpsd_oracle__rd_role_types(r, root, s);
    if (r->bad) return;
    xbl_mpsd_oracle__rd_members(r, root, s, &sub);
    if (r->bad) return;
    s->subscription_change_types = sub;
    xbl_mpsd_oracle__rd_servers(r, root, s);
}

static xbl_mpsd_result xbl_mpsd_oracle__session_load(xbl_mpsd_session *out,
        const char *body, size_t body_len, const xbl_mpsd__response_meta *meta,
        jsmntok_t *tokens, size_t token_cap, size_t *tokens_needed)
{
    xbl_mpsd_session tmp;
    xbl_mpsd_oracle__rd r;
    jsmn_parser p;
    size_t start, len;
    int n = JSMN_ERROR_NOMEM;
    uint32_t counter;

    if (tokens_needed) *tokens_needed = 0;
    if (out == NULL || meta == NULL || tokens_needed == NULL || (body == NULL && body_len > 0))
        return XBL_MPSD_E_INVALIDARG;
    /* the whole grammar first, so jsmn only tokenizes well-formed text */
    if (body_len == 0 || body_len > (size_t)0x7FFFFFFE ||
            !xbl_mpsd_oracle__json_check(body, body_len, &start, &len) || body[start] != '{')
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
    r.members_unique = false;
    r.member_at = 0;
    r.member_key = 0;
    xbl_mpsd_oracle__rd_fill(&r, &tmp, meta);
    if (r.bad) return XBL_MPSD_E_INVALID_JSON_STRING;
    if (tmp.arena.failed) {
        *tokens_needed = 0;
        return XBL_MPSD_E_OUTOFMEMORY;
    }

    /* real run: same walk, cannot fail now */
    counter = out->random_counter;
    xbl_mpsd__session_reset(&tmp, out->arena.base, out->arena.size);
    r.a = &tmp.arena;
    xbl_mpsd_oracle__rd_fill(&r, &tmp, meta);
    XBL_MPSD_ASSERT(!r.bad && !tmp.arena.failed);
    tmp.random_counter = counter;
    *out = tmp;
    if (out->constants.member_initialization) out->constants.member_initialization = &out->member_initialization;
    xbl_mpsd__session_mark_current_user(out);
    xbl_mpsd__session_new_subscription_id(out);
    return XBL_MPSD_OK;
}
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#endif /* XBL_MPSD_READER_ORACLE_H */
