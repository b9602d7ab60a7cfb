/* ===========================================================================
   HTTP/1.1 request writer
   Buffer layout of an async while a request is out:
     [request body][token-free head][Authorization/Signature lines + "\r\n"]
   The body and the token-free head are written by the *_async call (the
   session may change afterwards); the token lines are added when the auth
   callback answers and wiped once sent. After the send, the region after the
   token-free head is the response window; the body and token-free head stay
   so that a request found dead on a kept connection can be sent again.
   =========================================================================== */

#ifndef XBL_MPSD_HTTP_MAX_HEADER_BYTES
#define XBL_MPSD_HTTP_MAX_HEADER_BYTES 8192   /* status line + headers of one response */
#endif
#ifndef XBL_MPSD_HTTP_MAX_CHUNK_LINE
#define XBL_MPSD_HTTP_MAX_CHUNK_LINE 256      /* chunk-size line incl. extensions */
#endif
/* Token room suggested by needed_bytes when the request head did not fit:
   XBL3.0 tokens are a few kilobytes. */
#ifndef XBL_MPSD_AUTH_RESERVE
#define XBL_MPSD_AUTH_RESERVE 4096
#endif
#define XBL_MPSD__SIGNATURE_CAP 1024
#define XBL_MPSD__POLL_STEPS    16     /* work items per poll: keeps a poll bounded */
#define XBL_MPSD__CONTINUE      ((xbl_mpsd_result)2)   /* internal: step made progress */

#define XBL_MPSD__OP_IDLE     0u
#define XBL_MPSD__OP_AUTH     1u
#define XBL_MPSD__OP_CONNECT  2u
#define XBL_MPSD__OP_SEND     3u
#define XBL_MPSD__OP_RECV     4u
#define XBL_MPSD__OP_DONE     5u

#define XBL_MPSD__KIND_WRITE            1u
#define XBL_MPSD__KIND_WRITE_BY_HANDLE  2u
#define XBL_MPSD__KIND_GET              3u
#define XBL_MPSD__KIND_GET_BY_HANDLE    4u

#define XBL_MPSD__AF_REUSED    0x1u   /* running on a kept connection */
#define XBL_MPSD__AF_RESENT    0x2u   /* the one resend was used */
#define XBL_MPSD__AF_GOT_BYTE  0x4u   /* a response byte arrived */
#define XBL_MPSD__AF_TAKEN     0x8u   /* a result call consumed the result */

static const char xbl_mpsd__auth_prefix[] = "Authorization: ";
static const char xbl_mpsd__sig_prefix[] = "\r\nSignature: ";

/* Bounded writer; counts past the end like snprintf so one pass sizes a head. */
typedef struct xbl_mpsd__hw {
    char  *buf;
    size_t cap;
    size_t len;
} xbl_mpsd__hw;

static void xbl_mpsd__hw_put(xbl_mpsd__hw *w, const char *s, size_t n)
{
    if (w->len < w->cap) {
        size_t room = w->cap - w->len;
        XBL_MPSD_MEMCPY(w->buf + w->len, s, n < room ? n : room);
    }
    w->len += n;
}

static void xbl_mpsd__hw_str(xbl_mpsd__hw *w, const char *s)
{
    xbl_mpsd__hw_put(w, s, xbl_mpsd__strlen(s));
}

static void xbl_mpsd__hw_u64(xbl_mpsd__hw *w, uint64_t v)
{
    char d[20];
    xbl_mpsd__hw_put(w, d, xbl_mpsd__u64_to_dec(v, d));
}

static void xbl_mpsd__hw_header(xbl_mpsd__hw *w, const char *name, const char *value)
{
    xbl_mpsd__hw_str(w, name);
    xbl_mpsd__hw_put(w, ": ", 2);
    xbl_mpsd__hw_str(w, value);
    xbl_mpsd__hw_put(w, "\r\n", 2);
}

/* A string that may go into a header value: CR or LF would end the header
   early and let a caller smuggle headers (the NUL ends the C string). */
static bool xbl_mpsd__header_safe(const char *s)
{
    for (; *s; s++)
        if (*s == '\r' || *s == '\n') return false;
    return true;
}

/* One path segment: MPSD §1.5 names are [A-Za-z0-9._-] in practice; anything
   that would change the request line or the path's shape is refused. */
static bool xbl_mpsd__segment_ok(const char *s, size_t cap)
{
    size_t n = xbl_mpsd__strnlen(s, cap), i;
    if (n == 0 || n >= cap) return false;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7F || c == '/' || c == '?' || c == '#' || c == '%' || c == '~')
            return false;
    }
    return true;
}

static bool xbl_mpsd__reference_path(const xbl_mpsd_session_reference *r, char *path, size_t cap)
{
    xbl_mpsd__hw w;
    if (!xbl_mpsd__segment_ok(r->scid, sizeof r->scid)
        || !xbl_mpsd__segment_ok(r->session_template_name, sizeof r->session_template_name)
        || !xbl_mpsd__segment_ok(r->session_name, sizeof r->session_name)) return false;
    w.buf = path; w.cap = cap; w.len = 0;
    xbl_mpsd__hw_str(&w, "/serviceconfigs/");
    xbl_mpsd__hw_str(&w, r->scid);
    xbl_mpsd__hw_str(&w, "/sessionTemplates/");   /* XSAPI's spelling (MPSD §1.2) */
    xbl_mpsd__hw_str(&w, r->session_template_name);
    xbl_mpsd__hw_str(&w, "/sessions/");
    xbl_mpsd__hw_str(&w, r->session_name);
    xbl_mpsd__hw_put(&w, "", 1);
    return w.len <= cap;
}

static bool xbl_mpsd__handle_path(const char *handle_id, char *path, size_t cap)
{
    xbl_mpsd__hw w;
    if (handle_id == NULL || !xbl_mpsd__segment_ok(handle_id, cap)) return false;
    w.buf = path; w.cap = cap; w.len = 0;
    xbl_mpsd__hw_str(&w, "/handles/");
    xbl_mpsd__hw_str(&w, handle_id);
    xbl_mpsd__hw_str(&w, "/session");
    xbl_mpsd__hw_put(&w, "", 1);
    return w.len <= cap;
}

static const char *xbl_mpsd__method(const xbl_mpsd_async *a)
{
    return (a->kind == XBL_MPSD__KIND_WRITE || a->kind == XBL_MPSD__KIND_WRITE_BY_HANDLE) ? "PUT" : "GET";
}

/* MPSD §2.2. SYNCHRONIZED_UPDATE without an ETag acts like CREATE_NEW, as in XSAPI. */
static void xbl_mpsd__hw_precondition(xbl_mpsd__hw *w, uint32_t mode, const char *etag)
{
    switch (mode) {
    case XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW: xbl_mpsd__hw_header(w, "If-None-Match", "*"); break;
    case XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING: xbl_mpsd__hw_header(w, "If-Match", "*"); break;
    case XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE:
        if (etag != NULL && etag[0] != '\0') xbl_mpsd__hw_header(w, "If-Match", etag);
        else xbl_mpsd__hw_header(w, "If-None-Match", "*");
        break;
    default: break;   /* UPDATE_OR_CREATE_NEW: no precondition */
    }
}

/* What the token-free head is made of. etag is NULL for reads. */
typedef struct xbl_mpsd__request {
    uint32_t    kind;
    uint32_t    write_mode;
    const char *path;
    size_t      body_len;
    const char *etag;
} xbl_mpsd__request;

/* Everything of the head except the token lines. */
static void xbl_mpsd__write_fixed_head(xbl_mpsd__hw *w, const xbl_mpsd__request *q, const xbl_mpsd_client *c)
{
    bool put = q->kind == XBL_MPSD__KIND_WRITE || q->kind == XBL_MPSD__KIND_WRITE_BY_HANDLE;
    xbl_mpsd__hw_str(w, put ? "PUT " : "GET ");
    xbl_mpsd__hw_str(w, q->path);
    xbl_mpsd__hw_put(w, " HTTP/1.1\r\nHost: ", 17);
    xbl_mpsd__hw_str(w, c->config.host);
    if (c->config.port_number != 443) {
        xbl_mpsd__hw_put(w, ":", 1);
        xbl_mpsd__hw_u64(w, c->config.port_number);
    }
    xbl_mpsd__hw_str(w, "\r\nx-xbl-contract-version: 107\r\n"
                        "Content-Type: application/json; charset=utf-8\r\n");
    if (put) {   /* RFC 9110 §8.6: no Content-Length on a GET without a body */
        xbl_mpsd__hw_str(w, "Content-Length: ");
        xbl_mpsd__hw_u64(w, q->body_len);
        xbl_mpsd__hw_put(w, "\r\n", 2);
    }
    xbl_mpsd__hw_header(w, "User-Agent", c->config.user_agent);
    if (c->config.accept_language != NULL) xbl_mpsd__hw_header(w, "Accept-Language", c->config.accept_language);
    if (put) xbl_mpsd__hw_precondition(w, q->write_mode, q->etag);
}

/* Bytes the token lines take besides the two token values themselves. */
static size_t xbl_mpsd__token_overhead(void)
{
    return (sizeof xbl_mpsd__auth_prefix - 1) + (sizeof xbl_mpsd__sig_prefix - 1) + 4;
}

/* Asks the auth callback and appends the token lines after the fixed head.
   The authorization value is written in place; the signature goes to the end
   of the buffer first, because the authorization's length is not known
   before the callback answers. */
static xbl_mpsd_result xbl_mpsd__add_tokens(xbl_mpsd_async *a)
{
    const xbl_mpsd_client *c = a->client;
    size_t start = a->body_len + a->fixed_len;
    size_t room = a->buffer_size - start - xbl_mpsd__token_overhead();
    size_t sig_cap = room / 4 < XBL_MPSD__SIGNATURE_CAP ? room / 4 : XBL_MPSD__SIGNATURE_CAP;
    size_t auth_cap = room - sig_cap;
    char *head = (char *)a->buffer + start;
    char *auth = head + (sizeof xbl_mpsd__auth_prefix - 1);
    char *sig = (char *)a->buffer + a->buffer_size - sig_cap;
    size_t auth_len, sig_len, at;
    xbl_mpsd_result r;
    auth[0] = '\0';
    sig[0] = '\0';
    r = c->config.auth(c->config.auth_user, xbl_mpsd__method(a), a->path,
                       a->buffer, a->body_len, auth, auth_cap, sig, sig_cap);
    if (r == XBL_MPSD_PENDING) return XBL_MPSD_PENDING;
    if (r == XBL_MPSD_E_OUTOFMEMORY) {
        /* the tokens did not fit: suggest twice the room they had */
        a->needed = a->buffer_size + (room > XBL_MPSD_AUTH_RESERVE ? room : XBL_MPSD_AUTH_RESERVE);
        return r;
    }
    if (r < 0) return r;
    auth_len = xbl_mpsd__strnlen(auth, auth_cap);
    sig_len = xbl_mpsd__strnlen(sig, sig_cap);
    if (r != XBL_MPSD_OK || auth_len >= auth_cap || sig_len >= sig_cap
        || !xbl_mpsd__header_safe(auth) || !xbl_mpsd__header_safe(sig)) return XBL_MPSD_E_INVALIDARG;
    XBL_MPSD_MEMCPY(head, xbl_mpsd__auth_prefix, sizeof xbl_mpsd__auth_prefix - 1);
    at = (sizeof xbl_mpsd__auth_prefix - 1) + auth_len;
    if (sig_len > 0) {
        XBL_MPSD_MEMCPY(head + at, xbl_mpsd__sig_prefix, sizeof xbl_mpsd__sig_prefix - 1);
        at += sizeof xbl_mpsd__sig_prefix - 1;
        XBL_MPSD_MEMMOVE(head + at, sig, sig_len);
        at += sig_len;
    }
    XBL_MPSD_MEMCPY(head + at, "\r\n\r\n", 4);
    a->head_len = a->fixed_len + at + 4;
    /* room that splits (below) into caps these tokens fit, whatever the split */
    a->head_need = start + xbl_mpsd__token_overhead() + auth_len + 1 + 4 * (sig_len + 1) + XBL_MPSD__SIGNATURE_CAP;
    XBL_MPSD_MEMSET(sig, 0, sig_cap);
    return XBL_MPSD_OK;
}

/* The tokens live only while they are on their way out (DESIGN.md §7). */
static void xbl_mpsd__wipe_tokens(xbl_mpsd_async *a)
{
    size_t start = a->body_len + a->fixed_len;
    XBL_MPSD_MEMSET(a->buffer + start, 0, a->buffer_size - start);
    a->head_len = a->fixed_len;
}

/* ===========================================================================
   HTTP/1.1 response parser
   Incremental: bytes arrive in a window [kept body][raw bytes]; complete
   lines are parsed and cut out, body bytes are kept in place (chunked bodies
   are therefore decoded in place). Whatever does not fit is still framed and
   counted, so the exchange completes and needed_bytes can be exact.
   =========================================================================== */

#define XBL_MPSD__HR_STATUS      0u
#define XBL_MPSD__HR_HEADER      1u
#define XBL_MPSD__HR_BODY_LENGTH 2u
#define XBL_MPSD__HR_BODY_CLOSE  3u
#define XBL_MPSD__HR_CHUNK_SIZE  4u
#define XBL_MPSD__HR_CHUNK_DATA  5u
#define XBL_MPSD__HR_CHUNK_END   6u
#define XBL_MPSD__HR_TRAILER     7u
#define XBL_MPSD__HR_DONE        8u

#define XBL_MPSD__HF_LENGTH      0x001u   /* Content-Length seen */
#define XBL_MPSD__HF_CHUNKED     0x002u
#define XBL_MPSD__HF_CLOSE       0x004u   /* the connection ends after this response */
#define XBL_MPSD__HF_KEEP_ALIVE  0x008u   /* Connection: keep-alive (HTTP/1.0) */
#define XBL_MPSD__HF_HTTP10      0x010u
#define XBL_MPSD__HF_OVERFLOW    0x020u   /* a body we need did not fit */
#define XBL_MPSD__HF_TEXT        0x040u   /* Content-Type text/plain */
#define XBL_MPSD__HF_HAS_TYPE    0x080u
#define XBL_MPSD__HF_LOCATION    0x100u   /* Content-Location kept */
#define XBL_MPSD__HF_LONG_LOC    0x200u   /* Content-Location did not fit */
#define XBL_MPSD__HF_WANT_BODY   0x400u   /* the body is a session to load */
#define XBL_MPSD__HF_IS_GET      0x800u

/* streaming token counter states */
#define XBL_MPSD__TK_OUT     0u
#define XBL_MPSD__TK_STRING  1u
#define XBL_MPSD__TK_ESCAPE  2u
#define XBL_MPSD__TK_PRIM    3u

static void xbl_mpsd__hr_init(xbl_mpsd__http_response *r, bool is_get)
{
    XBL_MPSD_MEMSET(r, 0, sizeof *r);
    if (is_get) r->flags = XBL_MPSD__HF_IS_GET;
}

static void xbl_mpsd__hr_need(xbl_mpsd__http_response *r, size_t n)
{
    if (n > r->need) r->need = n;
}

/* RFC 9110 §5.6.2 token characters: what a header name may contain. */
static bool xbl_mpsd__is_tchar(unsigned char c)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    size_t i;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    for (i = 0; i < sizeof extra - 1; i++)
        if ((unsigned char)extra[i] == c) return true;
    return false;
}

/* Decimal digits only, no sign, no overflow past max. */
static bool xbl_mpsd__parse_dec(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;
    if (n == 0) return false;
    for (i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9 || v > (max - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* xbl_mpsd__days_from_civil comes from the response-parser section. */
static bool xbl_mpsd__two_digits(const char *s, unsigned max, unsigned *out)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return false;
    *out = (unsigned)(s[0] - '0') * 10u + (unsigned)(s[1] - '0');
    return *out <= max;
}

/* IMF-fixdate, RFC 9110 §5.6.7: "Sun, 06 Nov 1994 08:49:37 GMT". 0 when malformed. */
static time_t xbl_mpsd__parse_http_date(const char *s, size_t n)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    unsigned day, mon, hh, mm, ss, i;
    uint64_t year;
    int64_t t;
    if (n != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' '
        || s[19] != ':' || s[22] != ':' || XBL_MPSD_MEMCMP(s + 25, " GMT", 4) != 0) return 0;
    for (mon = 0, i = 0; i < 12; i++)
        if (XBL_MPSD_MEMCMP(s + 8, months + 3 * i, 3) == 0) mon = i + 1;
    if (mon == 0 || !xbl_mpsd__two_digits(s + 5, 31, &day) || day == 0
        || !xbl_mpsd__parse_dec(s + 12, 4, 9999, &year) || !xbl_mpsd__two_digits(s + 17, 23, &hh)
        || !xbl_mpsd__two_digits(s + 20, 59, &mm) || !xbl_mpsd__two_digits(s + 23, 60, &ss)) return 0;
    t = xbl_mpsd__days_from_civil((int64_t)year, (int64_t)mon, (int64_t)day) * 86400 + (int64_t)(hh * 3600u + mm * 60u + ss);
    if ((time_t)-1 < 0 && sizeof(time_t) < 8 && (t > INT32_MAX || t < INT32_MIN)) return 0;
    return (time_t)t;
}

/* Does a comma-separated header value list the token (case-insensitive)? */
static bool xbl_mpsd__has_token(const char *v, size_t n, const char *token)
{
    size_t i = 0;
    while (i < n) {
        size_t b, e;
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
        b = i;
        while (i < n && v[i] != ',') i++;
        e = i;
        while (e > b && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
        if (e > b && xbl_mpsd__ieq_n(v + b, e - b, token)) return true;
    }
    return false;
}

static xbl_mpsd_result xbl_mpsd__hr_content_length(xbl_mpsd__http_response *r, const char *v, size_t n)
{
    uint64_t len;
    if (!xbl_mpsd__parse_dec(v, n, UINT64_MAX / 2, &len)) return XBL_MPSD_E_HTTP_PROTOCOL;
    /* repeated identical values are tolerated (RFC 9112 §6.3), differing ones are not */
    if ((r->flags & XBL_MPSD__HF_LENGTH) && r->remaining != len) return XBL_MPSD_E_HTTP_PROTOCOL;
    r->flags |= XBL_MPSD__HF_LENGTH;
    r->remaining = len;
    return XBL_MPSD_OK;
}

static void xbl_mpsd__hr_copy_value(char *dst, const char *v, size_t n)
{
    XBL_MPSD_MEMCPY(dst, v, n);
    dst[n] = '\0';
}

static xbl_mpsd_result xbl_mpsd__hr_header(xbl_mpsd__http_response *r,
        const char *name, size_t name_len, const char *v, size_t n)
{
    if (xbl_mpsd__ieq_n(name, name_len, "content-length")) return xbl_mpsd__hr_content_length(r, v, n);
    if (xbl_mpsd__ieq_n(name, name_len, "transfer-encoding")) {
        /* only "chunked" alone: any other coding would need a decoder we lack */
        if (!xbl_mpsd__ieq_n(v, n, "chunked") || (r->flags & XBL_MPSD__HF_CHUNKED)) return XBL_MPSD_E_HTTP_PROTOCOL;
        r->flags |= XBL_MPSD__HF_CHUNKED;
    } else if (xbl_mpsd__ieq_n(name, name_len, "connection")) {
        if (xbl_mpsd__has_token(v, n, "close")) r->flags |= XBL_MPSD__HF_CLOSE;
        if (xbl_mpsd__has_token(v, n, "keep-alive")) r->flags |= XBL_MPSD__HF_KEEP_ALIVE;
    } else if (xbl_mpsd__ieq_n(name, name_len, "etag")) {
        /* a cut ETag would make every later If-Match fail: refuse it */
        if (n >= XBL_MPSD__ETAG_CAP) return XBL_MPSD_E_HTTP_PROTOCOL;
        xbl_mpsd__hr_copy_value(r->etag, v, n);
        r->etag_len = n;
    } else if (xbl_mpsd__ieq_n(name, name_len, "content-location")) {
        if (n >= XBL_MPSD__LOCATION_CAP) r->flags |= XBL_MPSD__HF_LONG_LOC;
        else { xbl_mpsd__hr_copy_value(r->location, v, n); r->flags |= XBL_MPSD__HF_LOCATION; }
    } else if (xbl_mpsd__ieq_n(name, name_len, "date")) {
        r->date = xbl_mpsd__parse_http_date(v, n);
    } else if (xbl_mpsd__ieq_n(name, name_len, "retry-after")) {
        uint64_t s;
        r->retry_after = xbl_mpsd__parse_dec(v, n, UINT32_MAX, &s) ? (uint32_t)s : 0;
    } else if (xbl_mpsd__ieq_n(name, name_len, "content-type")) {
        r->flags |= XBL_MPSD__HF_HAS_TYPE;
        if (n >= 10 && xbl_mpsd__ieq_n(v, 10, "text/plain") && (n == 10 || v[10] == ';' || v[10] == ' '))
            r->flags |= XBL_MPSD__HF_TEXT;
    }
    return XBL_MPSD_OK;
}

/* "Name: value" with optional whitespace around the value. Whitespace before
   the colon and folded lines are refused (RFC 9112 §5.1, §5.2): both are
   request-smuggling tricks. */
static xbl_mpsd_result xbl_mpsd__hr_header_line(xbl_mpsd__http_response *r, const char *line, size_t n)
{
    size_t colon = 0, b, e, i;
    while (colon < n && line[colon] != ':') colon++;
    if (colon == 0 || colon == n) return XBL_MPSD_E_HTTP_PROTOCOL;
    for (i = 0; i < colon; i++)
        if (!xbl_mpsd__is_tchar((unsigned char)line[i])) return XBL_MPSD_E_HTTP_PROTOCOL;
    b = colon + 1;
    e = n;
    while (b < e && (line[b] == ' ' || line[b] == '\t')) b++;
    while (e > b && (line[e - 1] == ' ' || line[e - 1] == '\t')) e--;
    for (i = b; i < e; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < 0x20 && c != '\t') || c == 0x7F) return XBL_MPSD_E_HTTP_PROTOCOL;
    }
    return xbl_mpsd__hr_header(r, line, colon, line + b, e - b);
}

static xbl_mpsd_result xbl_mpsd__hr_status_line(xbl_mpsd__http_response *r, const char *line, size_t n)
{
    uint64_t code;
    /* "HTTP/1.x 200[ reason]": only HTTP/1.x is spoken here */
    if (n < 12 || XBL_MPSD_MEMCMP(line, "HTTP/1.", 7) != 0 || line[7] < '0' || line[7] > '9'
        || line[8] != ' ' || (n > 12 && line[12] != ' ')
        || !xbl_mpsd__parse_dec(line + 9, 3, 999, &code) || code < 100) return XBL_MPSD_E_HTTP_PROTOCOL;
    r->status = (uint32_t)code;
    if (line[7] == '0') r->flags |= XBL_MPSD__HF_HTTP10;
    return XBL_MPSD_OK;
}

/* Does this response carry a session document the result call will load? */
static bool xbl_mpsd__hr_wants_body(const xbl_mpsd__http_response *r)
{
    if (r->flags & XBL_MPSD__HF_IS_GET) return r->status == 200;
    return r->status == 200 || r->status == 201 || r->status == 412;
}

/* The blank line after the headers: choose how the body is framed. */
static xbl_mpsd_result xbl_mpsd__hr_headers_done(xbl_mpsd__http_response *r)
{
    uint32_t keep = r->flags & (XBL_MPSD__HF_IS_GET);
    if (r->status < 200) {
        /* 1xx (100 Continue and friends) is interim: the real response follows */
        if (r->status == 101 || (r->flags & (XBL_MPSD__HF_LENGTH | XBL_MPSD__HF_CHUNKED))) return XBL_MPSD_E_HTTP_PROTOCOL;
        r->flags = keep;
        r->status = 0;
        r->header_bytes = 0;
        r->etag_len = 0; r->etag[0] = '\0';
        r->location[0] = '\0';
        r->date = 0; r->retry_after = 0;
        r->state = XBL_MPSD__HR_STATUS;
        return XBL_MPSD_OK;
    }
    if ((r->flags & XBL_MPSD__HF_LENGTH) && (r->flags & XBL_MPSD__HF_CHUNKED)) return XBL_MPSD_E_HTTP_PROTOCOL;
    if ((r->flags & XBL_MPSD__HF_HTTP10) && !(r->flags & XBL_MPSD__HF_KEEP_ALIVE)) r->flags |= XBL_MPSD__HF_CLOSE;
    if (xbl_mpsd__hr_wants_body(r)) r->flags |= XBL_MPSD__HF_WANT_BODY;
    if (r->status == 204 || r->status == 304) { r->remaining = 0; r->state = XBL_MPSD__HR_DONE; }
    else if (r->flags & XBL_MPSD__HF_CHUNKED) r->state = XBL_MPSD__HR_CHUNK_SIZE;
    else if (r->flags & XBL_MPSD__HF_LENGTH) r->state = r->remaining ? XBL_MPSD__HR_BODY_LENGTH : XBL_MPSD__HR_DONE;
    else {
        r->state = XBL_MPSD__HR_BODY_CLOSE;
        r->flags |= XBL_MPSD__HF_CLOSE;
    }
    return XBL_MPSD_OK;
}

static bool xbl_mpsd__hex_digit(char c, unsigned *v)
{
    if (c >= '0' && c <= '9') { *v = (unsigned)(c - '0'); return true; }
    if (c >= 'a' && c <= 'f') { *v = (unsigned)(c - 'a' + 10); return true; }
    if (c >= 'A' && c <= 'F') { *v = (unsigned)(c - 'A' + 10); return true; }
    return false;
}

/* "1a2b[;ext]": hex digits, at most 15 of them so the size never overflows. */
static xbl_mpsd_result xbl_mpsd__hr_chunk_size(xbl_mpsd__http_response *r, const char *line, size_t n)
{
    uint64_t v = 0;
    size_t i = 0;
    unsigned d;
    while (i < n && xbl_mpsd__hex_digit(line[i], &d)) {
        if (i >= 15) return XBL_MPSD_E_HTTP_PROTOCOL;
        v = (v << 4) | d;
        i++;
    }
    if (i == 0) return XBL_MPSD_E_HTTP_PROTOCOL;
    while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
    if (i < n && line[i] != ';') return XBL_MPSD_E_HTTP_PROTOCOL;
    r->remaining = v;
    r->state = v ? XBL_MPSD__HR_CHUNK_DATA : XBL_MPSD__HR_TRAILER;
    return XBL_MPSD_OK;
}

static xbl_mpsd_result xbl_mpsd__hr_line(xbl_mpsd__http_response *r, const char *line, size_t n)
{
    switch (r->state) {
    case XBL_MPSD__HR_STATUS:
        r->state = XBL_MPSD__HR_HEADER;
        return xbl_mpsd__hr_status_line(r, line, n);
    case XBL_MPSD__HR_HEADER:
        if (n == 0) return xbl_mpsd__hr_headers_done(r);
        if (line[0] == ' ' || line[0] == '\t') return XBL_MPSD_E_HTTP_PROTOCOL;   /* obs-fold */
        return xbl_mpsd__hr_header_line(r, line, n);
    case XBL_MPSD__HR_CHUNK_SIZE:
        return xbl_mpsd__hr_chunk_size(r, line, n);
    case XBL_MPSD__HR_CHUNK_END:
        if (n != 0) return XBL_MPSD_E_HTTP_PROTOCOL;
        r->state = XBL_MPSD__HR_CHUNK_SIZE;
        return XBL_MPSD_OK;
    default:   /* trailer fields are read and ignored until the blank line */
        if (n == 0) r->state = XBL_MPSD__HR_DONE;
        return XBL_MPSD_OK;
    }
}

/* Counts the tokens jsmn will need for the body, byte by byte, so the count
   is known even for a body that did not fit. */
static void xbl_mpsd__count_tokens(xbl_mpsd__http_response *r, const unsigned char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (r->tok_state == XBL_MPSD__TK_STRING) {
            if (c == '\\') r->tok_state = XBL_MPSD__TK_ESCAPE;
            else if (c == '"') r->tok_state = XBL_MPSD__TK_OUT;
            continue;
        }
        if (r->tok_state == XBL_MPSD__TK_ESCAPE) { r->tok_state = XBL_MPSD__TK_STRING; continue; }
        if (r->tok_state == XBL_MPSD__TK_PRIM) {
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != ',' && c != ':' && c != ']' && c != '}') continue;
            r->tok_state = XBL_MPSD__TK_OUT;
        }
        switch (c) {
        case '{': case '[': r->tokens++; break;
        case '"': r->tokens++; r->tok_state = XBL_MPSD__TK_STRING; break;
        case ' ': case '\t': case '\r': case '\n': case ',': case ':': case ']': case '}': break;
        default: r->tokens++; r->tok_state = XBL_MPSD__TK_PRIM; break;
        }
    }
}

/* Takes n decoded body bytes from the front of the raw area. A session body
   is kept while it fits; an error body only as far as the error text goes. */
static void xbl_mpsd__hr_body(xbl_mpsd__http_response *r, unsigned char *win, size_t n)
{
    unsigned char *p = win + r->body_len;
    size_t limit = (r->flags & XBL_MPSD__HF_WANT_BODY) ? SIZE_MAX : XBL_MPSD__ERROR_TEXT_CAP - 1;
    size_t keep = 0;
    if (r->flags & XBL_MPSD__HF_WANT_BODY) xbl_mpsd__count_tokens(r, p, n);
    if (!(r->flags & XBL_MPSD__HF_OVERFLOW) && r->body_len < limit)
        keep = n < limit - r->body_len ? n : limit - r->body_len;
    if (keep < n) XBL_MPSD_MEMMOVE(p + keep, p + n, r->raw_len - n);
    r->body_len += keep;
    r->body_total += n;
    r->raw_len -= n;
    r->scanned = 0;
}

/* Removes n framing bytes from the front of the raw area. */
static void xbl_mpsd__hr_drop(xbl_mpsd__http_response *r, unsigned char *win, size_t n)
{
    unsigned char *p = win + r->body_len;
    XBL_MPSD_MEMMOVE(p, p + n, r->raw_len - n);
    r->raw_len -= n;
    r->scanned = 0;
}

static bool xbl_mpsd__hr_in_headers(const xbl_mpsd__http_response *r)
{
    return r->state == XBL_MPSD__HR_STATUS || r->state == XBL_MPSD__HR_HEADER;
}

/* Line limits: the header block as a whole, and each chunk or trailer line. */
static bool xbl_mpsd__hr_line_too_long(const xbl_mpsd__http_response *r, size_t line_bytes)
{
    if (xbl_mpsd__hr_in_headers(r)) return r->header_bytes + line_bytes > XBL_MPSD_HTTP_MAX_HEADER_BYTES;
    return line_bytes > XBL_MPSD_HTTP_MAX_CHUNK_LINE;
}

/* Finds the next complete line in the raw area. PENDING when it has not all
   arrived; lines end with CRLF only, and a CR, LF or NUL anywhere else is
   refused (bare CR/LF tricks split headers differently in different parsers). */
static xbl_mpsd_result xbl_mpsd__hr_find_line(xbl_mpsd__http_response *r, const unsigned char *p, size_t *len)
{
    size_t i;
    for (i = r->scanned; i < r->raw_len; i++) {
        unsigned char c = p[i];
        if (c == '\n') {
            if (i == 0 || p[i - 1] != '\r') return XBL_MPSD_E_HTTP_PROTOCOL;
            *len = i + 1;
            return XBL_MPSD_OK;
        }
        if (i > 0 && p[i - 1] == '\r') return XBL_MPSD_E_HTTP_PROTOCOL;
        if (c == 0) return XBL_MPSD_E_HTTP_PROTOCOL;
    }
    r->scanned = r->raw_len;
    if (xbl_mpsd__hr_line_too_long(r, r->raw_len)) return XBL_MPSD_E_HTTP_PROTOCOL;
    return XBL_MPSD_PENDING;
}

static xbl_mpsd_result xbl_mpsd__hr_take_line(xbl_mpsd__http_response *r, unsigned char *win)
{
    unsigned char *p = win + r->body_len;
    size_t len = 0;
    xbl_mpsd_result res = xbl_mpsd__hr_find_line(r, p, &len);
    if (res != XBL_MPSD_OK) return res;
    if (xbl_mpsd__hr_line_too_long(r, len)) return XBL_MPSD_E_HTTP_PROTOCOL;
    if (xbl_mpsd__hr_in_headers(r)) {
        r->header_bytes += len;
        xbl_mpsd__hr_need(r, len);
    } else {
        xbl_mpsd__hr_need(r, r->body_total + len);
    }
    res = xbl_mpsd__hr_line(r, (const char *)p, len - 2);
    xbl_mpsd__hr_drop(r, win, len);
    return res;
}

static void xbl_mpsd__hr_body_step(xbl_mpsd__http_response *r, unsigned char *win)
{
    size_t n = r->raw_len;
    if (r->state != XBL_MPSD__HR_BODY_CLOSE && r->remaining < n) n = (size_t)r->remaining;
    xbl_mpsd__hr_body(r, win, n);
    if (r->state == XBL_MPSD__HR_BODY_CLOSE) return;
    r->remaining -= n;
    if (r->remaining == 0)
        r->state = r->state == XBL_MPSD__HR_CHUNK_DATA ? XBL_MPSD__HR_CHUNK_END : XBL_MPSD__HR_DONE;
}

/* The window is full and the parser needs more: stop keeping the body (the
   response is still read to the end, to size needed_bytes and keep the
   connection usable). A line that fills an empty window cannot be parsed. */
static xbl_mpsd_result xbl_mpsd__hr_full(xbl_mpsd__http_response *r, unsigned char *win)
{
    if (r->body_len == 0) {
        xbl_mpsd__hr_need(r, xbl_mpsd__hr_in_headers(r) ? XBL_MPSD_HTTP_MAX_HEADER_BYTES
                                                       : r->body_total + XBL_MPSD_HTTP_MAX_CHUNK_LINE);
        return XBL_MPSD_E_OUTOFMEMORY;
    }
    XBL_MPSD_MEMMOVE(win, win + r->body_len, r->raw_len);
    r->body_len = 0;
    r->flags |= XBL_MPSD__HF_OVERFLOW;
    return XBL_MPSD_PENDING;
}

/* Parses what is in the raw area. PENDING: call again when more bytes were
   appended at win + body_len + raw_len (there is then room for at least one);
   OK: the response is complete; else the error that ends the exchange. */
static xbl_mpsd_result xbl_mpsd__hr_feed(xbl_mpsd__http_response *r, unsigned char *win, size_t cap)
{
    for (;;) {
        xbl_mpsd_result res = XBL_MPSD_OK;
        switch (r->state) {
        case XBL_MPSD__HR_DONE:
            if (r->raw_len > 0) r->flags |= XBL_MPSD__HF_CLOSE;   /* stray bytes: connection unusable */
            return XBL_MPSD_OK;
        case XBL_MPSD__HR_BODY_LENGTH: case XBL_MPSD__HR_BODY_CLOSE: case XBL_MPSD__HR_CHUNK_DATA:
            if (r->raw_len == 0) res = XBL_MPSD_PENDING;
            else xbl_mpsd__hr_body_step(r, win);
            if (r->state == XBL_MPSD__HR_BODY_CLOSE) xbl_mpsd__hr_need(r, r->body_total + 1);
            else xbl_mpsd__hr_need(r, r->body_total);
            break;
        default:
            res = xbl_mpsd__hr_take_line(r, win);
            break;
        }
        if (res == XBL_MPSD_PENDING) {
            if (r->body_len + r->raw_len < cap) return XBL_MPSD_PENDING;
            res = xbl_mpsd__hr_full(r, win);
            if (res == XBL_MPSD_PENDING) continue;
        }
        if (res != XBL_MPSD_OK) return res;
    }
}

/* The peer closed: that completes a close-delimited body and nothing else. */
static xbl_mpsd_result xbl_mpsd__hr_eof(xbl_mpsd__http_response *r)
{
    if (r->state != XBL_MPSD__HR_BODY_CLOSE) return XBL_MPSD_E_CONNECTION_CLOSED;
    r->state = XBL_MPSD__HR_DONE;
    return XBL_MPSD_OK;
}

/* ===========================================================================
   Client and async state machine
   AUTH (token callback, may stay PENDING) -> CONNECT (unless a kept
   connection is idle) -> SEND (head, then body; partial sends) -> RECV
   (parse as bytes come) -> DONE. A kept connection found dead before any
   response byte goes back to AUTH once, on a new connection.
   =========================================================================== */

static bool xbl_mpsd__is_write(const xbl_mpsd_async *a)
{
    return a->kind == XBL_MPSD__KIND_WRITE || a->kind == XBL_MPSD__KIND_WRITE_BY_HANDLE;
}

static size_t xbl_mpsd__window_start(const xbl_mpsd_async *a)
{
    return a->body_len + a->fixed_len;
}

static void xbl_mpsd__drop_connection(xbl_mpsd_client *c)
{
    c->port.close(c->port.ctx);
    c->connected = false;
}

/* Wrap-safe: unsigned difference is right for any timeout below 2^32 ms. */
static bool xbl_mpsd__deadline_passed(const xbl_mpsd_async *a)
{
    const xbl_mpsd_client *c = a->client;
    uint32_t now = c->port.now_ms(c->port.ctx);
    return (uint32_t)(now - a->start_ms) >= c->config.timeout_ms;
}

/* Ends the operation. A failure mid-exchange leaves the connection out of
   step with the server, so it is dropped; a fully framed response (HTTP
   error, body too big) leaves it usable, and a failure before anything was
   sent leaves a kept connection alone. */
static void xbl_mpsd__set_needed(xbl_mpsd_async *a, size_t window_need)
{
    size_t n = xbl_mpsd__window_start(a) + window_need;
    a->needed = n > a->head_need ? n : a->head_need;
}

static xbl_mpsd_result xbl_mpsd__end(xbl_mpsd_async *a, xbl_mpsd_result r)
{
    xbl_mpsd_client *c = a->client;
    if (r < 0 && a->state != XBL_MPSD__OP_AUTH && a->response.state != XBL_MPSD__HR_DONE) xbl_mpsd__drop_connection(c);
    if (c->active == a) c->active = NULL;
    if (a->state == XBL_MPSD__OP_AUTH || a->state == XBL_MPSD__OP_SEND) xbl_mpsd__wipe_tokens(a);
    a->state = XBL_MPSD__OP_DONE;
    a->result = r;
    return r;
}

static void xbl_mpsd__keep_error_text(xbl_mpsd_async *a)
{
    const xbl_mpsd__http_response *r = &a->response;
    const char *body = (const char *)a->buffer + xbl_mpsd__window_start(a);
    size_t n = r->body_len < XBL_MPSD__ERROR_TEXT_CAP - 1 ? r->body_len : XBL_MPSD__ERROR_TEXT_CAP - 1;
    if ((r->flags & XBL_MPSD__HF_HAS_TYPE) && !(r->flags & XBL_MPSD__HF_TEXT)) n = 0;
    n = xbl_mpsd__strnlen(body, n);
    XBL_MPSD_MEMCPY(a->error_text, body, n);
    a->error_text[n] = '\0';
}

/* Where the JSON tokens go: right after the kept body, aligned. */
static jsmntok_t *xbl_mpsd__tokens(const xbl_mpsd_async *a, size_t *cap)
{
    uintptr_t at = (uintptr_t)(a->buffer + xbl_mpsd__window_start(a) + a->response.body_len);
    uintptr_t end = (uintptr_t)(a->buffer + a->buffer_size);
    size_t align = sizeof(int);
    at = (at + (align - 1)) & ~(uintptr_t)(align - 1);
    *cap = at < end ? (size_t)(end - at) / sizeof(jsmntok_t) : 0;
    return (jsmntok_t *)at;
}

/* The body is a session to load: it must have fit, and so must its tokens. */
static xbl_mpsd_result xbl_mpsd__check_body(xbl_mpsd_async *a)
{
    const xbl_mpsd__http_response *r = &a->response;
    size_t tok_bytes = (r->tokens > (SIZE_MAX - r->body_total - sizeof(int)) / sizeof(jsmntok_t))
        ? SIZE_MAX : r->body_total + sizeof(int) - 1 + r->tokens * sizeof(jsmntok_t);
    size_t cap, need = tok_bytes > r->need ? tok_bytes : r->need;
    jsmntok_t *tokens = xbl_mpsd__tokens(a, &cap);
    jsmn_parser p;
    int n;
    if ((r->flags & XBL_MPSD__HF_OVERFLOW) || r->tokens > cap) {
        xbl_mpsd__set_needed(a, need);
        return XBL_MPSD_E_OUTOFMEMORY;
    }
    jsmn_init(&p);
    n = jsmn_parse(&p, (const char *)a->buffer + xbl_mpsd__window_start(a), r->body_len,
                   tokens, (unsigned)(cap > UINT32_MAX ? UINT32_MAX : cap));
    if (n == JSMN_ERROR_NOMEM) {   /* the streaming count fell short of jsmn's */
        a->needed = a->buffer_size * 2;
        return XBL_MPSD_E_OUTOFMEMORY;
    }
    return n < 1 ? XBL_MPSD_E_INVALID_JSON_STRING : XBL_MPSD_OK;
}

/* A by-handle exchange learns the session reference from Content-Location. */
static bool xbl_mpsd__location_reference(xbl_mpsd_async *a)
{
    const xbl_mpsd__http_response *r = &a->response;
    if ((r->flags & (XBL_MPSD__HF_LOCATION | XBL_MPSD__HF_LONG_LOC)) != XBL_MPSD__HF_LOCATION) return false;
    return xbl_mpsd_session_reference_parse_from_uri_path(r->location, &a->reference) == XBL_MPSD_OK;
}

/* API.md §6 on a complete response, as far as it can be told without `out`. */
static xbl_mpsd_result xbl_mpsd__outcome(xbl_mpsd_async *a)
{
    const xbl_mpsd__http_response *r = &a->response;
    bool body = r->body_total > 0;
    xbl_mpsd_result res;
    if (!(r->flags & XBL_MPSD__HF_WANT_BODY)) {
        if (r->status == 204) return xbl_mpsd__is_write(a) ? XBL_MPSD_OK : XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND;
        xbl_mpsd__keep_error_text(a);
        return XBL_MPSD_E_HTTP_STATUS(r->status);
    }
    if (!body) return xbl_mpsd__is_write(a) ? XBL_MPSD_OK : XBL_MPSD_E_INVALID_JSON_STRING;
    res = xbl_mpsd__check_body(a);
    if (res != XBL_MPSD_OK) return res;
    if (a->kind == XBL_MPSD__KIND_GET_BY_HANDLE && !xbl_mpsd__location_reference(a)) return XBL_MPSD_E_INVALIDARG;
    if (a->kind == XBL_MPSD__KIND_WRITE_BY_HANDLE && a->reference.scid[0] == '\0'
        && !xbl_mpsd__location_reference(a)) return XBL_MPSD_E_FAIL;
    return XBL_MPSD_OK;
}

static xbl_mpsd_result xbl_mpsd__complete(xbl_mpsd_async *a)
{
    xbl_mpsd_client *c = a->client;
    xbl_mpsd_result res = xbl_mpsd__outcome(a);
    if (a->response.flags & XBL_MPSD__HF_CLOSE) xbl_mpsd__drop_connection(c);
    return xbl_mpsd__end(a, res);
}

/* Back to AUTH on a fresh connection: the kept one was dead before any
   response byte, so the server cannot have acted on the request... or if it
   did, PUT is idempotent (DESIGN.md §5). Only ever once. */
static xbl_mpsd_result xbl_mpsd__resend_or(xbl_mpsd_async *a, xbl_mpsd_result r)
{
    if ((a->flags & (XBL_MPSD__AF_REUSED | XBL_MPSD__AF_RESENT | XBL_MPSD__AF_GOT_BYTE)) != XBL_MPSD__AF_REUSED)
        return r;
    xbl_mpsd__drop_connection(a->client);
    xbl_mpsd__wipe_tokens(a);
    a->flags = (a->flags & ~XBL_MPSD__AF_REUSED) | XBL_MPSD__AF_RESENT;
    a->sent = 0;
    xbl_mpsd__hr_init(&a->response, !xbl_mpsd__is_write(a));
    a->state = XBL_MPSD__OP_AUTH;
    return XBL_MPSD__CONTINUE;
}

static xbl_mpsd_result xbl_mpsd__step_auth(xbl_mpsd_async *a)
{
    xbl_mpsd_result r = xbl_mpsd__add_tokens(a);
    if (r != XBL_MPSD_OK) return r;
    if (a->client->connected) { a->flags |= XBL_MPSD__AF_REUSED; a->state = XBL_MPSD__OP_SEND; }
    else a->state = XBL_MPSD__OP_CONNECT;
    return XBL_MPSD__CONTINUE;
}

static xbl_mpsd_result xbl_mpsd__step_connect(xbl_mpsd_async *a)
{
    xbl_mpsd_client *c = a->client;
    xbl_mpsd_result r = c->port.connect(c->port.ctx, c->config.host, c->config.port_number);
    if (r == XBL_MPSD_PENDING || r == XBL_MPSD_E_WOULD_BLOCK) { c->connected = true; return XBL_MPSD_PENDING; }
    if (r != XBL_MPSD_OK) return r < 0 ? r : XBL_MPSD_E_CONNECT;
    c->connected = true;
    a->state = XBL_MPSD__OP_SEND;
    return XBL_MPSD__CONTINUE;
}

static xbl_mpsd_result xbl_mpsd__step_send(xbl_mpsd_async *a)
{
    xbl_mpsd_client *c = a->client;
    const uint8_t *data;
    size_t len;
    int32_t n;
    if (a->sent < a->head_len) {
        data = a->buffer + a->body_len + a->sent;
        len = a->head_len - a->sent;
    } else {
        data = a->buffer + (a->sent - a->head_len);
        len = a->head_len + a->body_len - a->sent;
    }
    n = c->port.send(c->port.ctx, data, len);
    if (n == XBL_MPSD_E_WOULD_BLOCK) return XBL_MPSD_PENDING;
    if (n < 0) return xbl_mpsd__resend_or(a, n);
    if (n == 0 || (size_t)n > len) return XBL_MPSD_E_IO;   /* the port broke its contract */
    a->sent += (size_t)n;
    if (a->sent == a->head_len + a->body_len) {
        xbl_mpsd__wipe_tokens(a);
        a->state = XBL_MPSD__OP_RECV;
    }
    return XBL_MPSD__CONTINUE;
}

static xbl_mpsd_result xbl_mpsd__step_recv(xbl_mpsd_async *a)
{
    xbl_mpsd_client *c = a->client;
    xbl_mpsd__http_response *r = &a->response;
    unsigned char *win = a->buffer + xbl_mpsd__window_start(a);
    size_t cap = a->buffer_size - xbl_mpsd__window_start(a);
    size_t used = r->body_len + r->raw_len;
    int32_t n;
    xbl_mpsd_result res;
    if (used >= cap) {   /* only a window too small for even one byte */
        xbl_mpsd__set_needed(a, XBL_MPSD_HTTP_MAX_HEADER_BYTES);
        return XBL_MPSD_E_OUTOFMEMORY;
    }
    n = c->port.recv(c->port.ctx, win + used, cap - used);
    if (n == XBL_MPSD_E_WOULD_BLOCK) return XBL_MPSD_PENDING;
    if (n == XBL_MPSD_E_EOF) {
        res = xbl_mpsd__resend_or(a, XBL_MPSD_E_CONNECTION_CLOSED);
        if (res != XBL_MPSD_E_CONNECTION_CLOSED) return res;
        if (xbl_mpsd__hr_eof(r) != XBL_MPSD_OK) return XBL_MPSD_E_CONNECTION_CLOSED;
        return xbl_mpsd__complete(a);
    }
    if (n < 0) return xbl_mpsd__resend_or(a, n);
    if (n == 0 || (size_t)n > cap - used) return XBL_MPSD_E_IO;
    a->flags |= XBL_MPSD__AF_GOT_BYTE;
    r->raw_len += (size_t)n;
    res = xbl_mpsd__hr_feed(r, win, cap);
    if (res == XBL_MPSD_PENDING) return XBL_MPSD__CONTINUE;
    if (res == XBL_MPSD_E_OUTOFMEMORY) xbl_mpsd__set_needed(a, r->need);
    if (res != XBL_MPSD_OK) return res;
    return xbl_mpsd__complete(a);
}

static xbl_mpsd_result xbl_mpsd__step(xbl_mpsd_async *a)
{
    switch (a->state) {
    case XBL_MPSD__OP_AUTH: return xbl_mpsd__step_auth(a);
    case XBL_MPSD__OP_CONNECT: return xbl_mpsd__step_connect(a);
    case XBL_MPSD__OP_SEND: return xbl_mpsd__step_send(a);
    default: return xbl_mpsd__step_recv(a);
    }
}

xbl_mpsd_result xbl_mpsd_async_poll(xbl_mpsd_async *a)
{
    int i;
    if (a == NULL) return XBL_MPSD_E_INVALIDARG;
    if (a->state == XBL_MPSD__OP_IDLE) return XBL_MPSD_E_UNEXPECTED;
    if (a->state == XBL_MPSD__OP_DONE) return a->result;
    if (xbl_mpsd__deadline_passed(a)) return xbl_mpsd__end(a, XBL_MPSD_E_TIMEOUT);
    /* Stops at the first port call that would wait, so a poll never blocks
       and never spins on a would-block answer. */
    for (i = 0; i < XBL_MPSD__POLL_STEPS; i++) {
        xbl_mpsd_result r = xbl_mpsd__step(a);
        if (a->state == XBL_MPSD__OP_DONE) return a->result;
        if (r == XBL_MPSD_PENDING) return XBL_MPSD_PENDING;
        if (r != XBL_MPSD__CONTINUE) return xbl_mpsd__end(a, r);
    }
    return XBL_MPSD_PENDING;
}

void xbl_mpsd_async_cancel(xbl_mpsd_async *a)
{
    if (a == NULL || a->state == XBL_MPSD__OP_IDLE || a->state == XBL_MPSD__OP_DONE) return;
    xbl_mpsd__end(a, XBL_MPSD_E_CANCELED);
}

xbl_mpsd_result xbl_mpsd_async_init(xbl_mpsd_async *a, void *buffer, size_t buffer_size)
{
    if (a == NULL || (buffer == NULL && buffer_size > 0)) return XBL_MPSD_E_INVALIDARG;
    XBL_MPSD_MEMSET(a, 0, sizeof *a);
    a->buffer = (unsigned char *)buffer;
    a->buffer_size = buffer_size;
    return XBL_MPSD_OK;
}

size_t xbl_mpsd_async_needed_bytes(const xbl_mpsd_async *a)
{
    return a == NULL ? 0 : a->needed;
}

uint32_t xbl_mpsd_async_http_status(const xbl_mpsd_async *a)
{
    return (a == NULL || a->state != XBL_MPSD__OP_DONE) ? 0 : a->response.status;
}

const char *xbl_mpsd_async_error_text(const xbl_mpsd_async *a)
{
    return (a == NULL || a->state != XBL_MPSD__OP_DONE) ? "" : a->error_text;
}

static bool xbl_mpsd__config_ok(const xbl_mpsd_client_config *cfg)
{
    const xbl_mpsd_port *p = cfg->port;
    if (p == NULL || p->connect == NULL || p->send == NULL || p->recv == NULL || p->close == NULL
        || p->now_ms == NULL || cfg->auth == NULL || cfg->xuid == 0) return false;
    if (cfg->host != NULL && (cfg->host[0] == '\0' || !xbl_mpsd__header_safe(cfg->host))) return false;
    if (cfg->user_agent != NULL && !xbl_mpsd__header_safe(cfg->user_agent)) return false;
    return cfg->accept_language == NULL || xbl_mpsd__header_safe(cfg->accept_language);
}

xbl_mpsd_result xbl_mpsd_client_init(xbl_mpsd_client *client, const xbl_mpsd_client_config *config)
{
    if (client == NULL || config == NULL || !xbl_mpsd__config_ok(config)) return XBL_MPSD_E_INVALIDARG;
    XBL_MPSD_MEMSET(client, 0, sizeof *client);
    client->port = *config->port;
    client->config = *config;
    client->config.port = &client->port;
    if (client->config.host == NULL) client->config.host = "sessiondirectory.xboxlive.com";
    if (client->config.port_number == 0) client->config.port_number = 443;
    if (client->config.timeout_ms == 0) client->config.timeout_ms = 30000;
    if (client->config.user_agent == NULL) client->config.user_agent = "xbl_mpsd/" XBL_MPSD_VERSION_STRING;
    return XBL_MPSD_OK;
}

void xbl_mpsd_client_close(xbl_mpsd_client *client)
{
    if (client == NULL) return;
    if (client->active != NULL) xbl_mpsd_async_cancel(client->active);
    xbl_mpsd__drop_connection(client);
}

/* ===========================================================================
   Public write and get calls
   =========================================================================== */

/* An async may start a new operation when it never ran one, or its last one
   was canceled or had its result taken (TRANSPORT.md §4). */
static bool xbl_mpsd__async_free(const xbl_mpsd_async *a)
{
    if (a->state == XBL_MPSD__OP_IDLE) return true;
    return a->state == XBL_MPSD__OP_DONE && ((a->flags & XBL_MPSD__AF_TAKEN) || a->result == XBL_MPSD_E_CANCELED);
}

static xbl_mpsd_result xbl_mpsd__can_start(xbl_mpsd_client *c, xbl_mpsd_async *a)
{
    if (!xbl_mpsd__async_free(a)) return XBL_MPSD_E_UNEXPECTED;
    if (c->active != NULL) return XBL_MPSD_E_BUSY;
    return XBL_MPSD_OK;
}

/* Starts an operation whose body is already at buffer[0]. Fails with
   nothing changed but needed_bytes when the request cannot fit with room
   for the tokens. */
static xbl_mpsd_result xbl_mpsd__start(xbl_mpsd_async *a, xbl_mpsd_client *c, const xbl_mpsd__request *q,
        const xbl_mpsd_session_reference *reference)
{
    xbl_mpsd__hw w;
    unsigned char *buffer = a->buffer;
    size_t size = a->buffer_size;
    size_t min_tokens = xbl_mpsd__token_overhead() + 8;
    w.buf = NULL; w.cap = 0; w.len = 0;
    xbl_mpsd__write_fixed_head(&w, q, c);   /* measure first: a failed start changes nothing */
    if (q->body_len > size || w.len > size - q->body_len || size - q->body_len - w.len < min_tokens) {
        a->needed = q->body_len + w.len + XBL_MPSD_AUTH_RESERVE;
        return XBL_MPSD_E_OUTOFMEMORY;
    }
    XBL_MPSD_MEMSET(a, 0, sizeof *a);
    a->buffer = buffer;
    a->buffer_size = size;
    a->client = c;
    a->kind = q->kind;
    a->write_mode = q->write_mode;
    a->xuid = c->config.xuid;
    a->body_len = q->body_len;
    if (reference != NULL) a->reference = *reference;
    XBL_MPSD_MEMCPY(a->path, q->path, xbl_mpsd__strlen(q->path) + 1);
    xbl_mpsd__hr_init(&a->response, !xbl_mpsd__is_write(a));
    w.buf = (char *)buffer + q->body_len; w.cap = size - q->body_len; w.len = 0;
    xbl_mpsd__write_fixed_head(&w, q, c);
    a->fixed_len = w.len;
    a->head_len = w.len;
    a->start_ms = c->port.now_ms(c->port.ctx);
    a->state = XBL_MPSD__OP_AUTH;
    c->active = a;
    return XBL_MPSD_OK;
}

static xbl_mpsd_result xbl_mpsd__write_async(xbl_mpsd_client *client, const xbl_mpsd_session *session,
        xbl_mpsd_session_write_mode mode, const char *handle_id, xbl_mpsd_async *a)
{
    char path[XBL_MPSD__PATH_CAP];
    xbl_mpsd__request q;
    size_t len = 0;
    xbl_mpsd_result r;
    if (client == NULL || session == NULL || a == NULL || !xbl_mpsd_session_has_document(session)
        || (uint32_t)mode > 3u) return XBL_MPSD_E_INVALIDARG;
    q.etag = xbl_mpsd_session_etag(session);
    if (q.etag == NULL) q.etag = "";
    if (handle_id == NULL && !xbl_mpsd_session_reference_is_valid(&session->reference)) return XBL_MPSD_E_RUNTIME_ERROR;
    if (!xbl_mpsd__header_safe(q.etag)
        || (handle_id ? !xbl_mpsd__handle_path(handle_id, path, sizeof path)
                      : !xbl_mpsd__reference_path(&session->reference, path, sizeof path))) return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__can_start(client, a);
    if (r != XBL_MPSD_OK) return r;
    /* the previous result was taken, so its body may be overwritten */
    r = xbl_mpsd__session_write_body(session, (char *)a->buffer, a->buffer_size, &len);
    if (r == XBL_MPSD_E_OUTOFMEMORY) a->needed = len + 1024 + XBL_MPSD_AUTH_RESERVE;   /* fixed heads are < 1 KB */
    if (r != XBL_MPSD_OK) return r;
    q.kind = handle_id ? XBL_MPSD__KIND_WRITE_BY_HANDLE : XBL_MPSD__KIND_WRITE;
    q.write_mode = (uint32_t)mode;
    q.path = path;
    q.body_len = len;
    return xbl_mpsd__start(a, client, &q, &session->reference);
}

xbl_mpsd_result xbl_mpsd_write_session_async(xbl_mpsd_client *client, const xbl_mpsd_session *session,
        xbl_mpsd_session_write_mode write_mode, xbl_mpsd_async *async)
{
    return xbl_mpsd__write_async(client, session, write_mode, NULL, async);
}

xbl_mpsd_result xbl_mpsd_write_session_by_handle_async(xbl_mpsd_client *client, const xbl_mpsd_session *session,
        xbl_mpsd_session_write_mode write_mode, const char *handle_id, xbl_mpsd_async *async)
{
    if (handle_id == NULL || handle_id[0] == '\0') return XBL_MPSD_E_INVALIDARG;
    return xbl_mpsd__write_async(client, session, write_mode, handle_id, async);
}

static xbl_mpsd_result xbl_mpsd__get_async(xbl_mpsd_client *client, const xbl_mpsd_session_reference *ref,
        const char *handle_id, xbl_mpsd_async *a)
{
    char path[XBL_MPSD__PATH_CAP];
    xbl_mpsd__request q;
    xbl_mpsd_result r;
    if (handle_id ? !xbl_mpsd__handle_path(handle_id, path, sizeof path)
                  : !xbl_mpsd__reference_path(ref, path, sizeof path)) return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__can_start(client, a);
    if (r != XBL_MPSD_OK) return r;
    q.kind = handle_id ? XBL_MPSD__KIND_GET_BY_HANDLE : XBL_MPSD__KIND_GET;
    q.write_mode = 0;
    q.path = path;
    q.body_len = 0;
    q.etag = NULL;
    return xbl_mpsd__start(a, client, &q, ref);
}

xbl_mpsd_result xbl_mpsd_get_session_async(xbl_mpsd_client *client,
        const xbl_mpsd_session_reference *session_reference, xbl_mpsd_async *async)
{
    if (client == NULL || async == NULL || !xbl_mpsd_session_reference_is_valid(session_reference))
        return XBL_MPSD_E_INVALIDARG;
    return xbl_mpsd__get_async(client, session_reference, NULL, async);
}

xbl_mpsd_result xbl_mpsd_get_session_by_handle_async(xbl_mpsd_client *client, const char *handle_id,
        xbl_mpsd_async *async)
{
    if (client == NULL || async == NULL || handle_id == NULL || handle_id[0] == '\0') return XBL_MPSD_E_INVALIDARG;
    return xbl_mpsd__get_async(client, NULL, handle_id, async);
}

static xbl_mpsd_write_session_status xbl_mpsd__write_status_of(uint32_t status)
{
    if (status == 201) return XBL_MPSD_WRITE_SESSION_STATUS_CREATED;
    if (status == 412) return XBL_MPSD_WRITE_SESSION_STATUS_OUT_OF_SYNC;
    if (status == 204) return XBL_MPSD_WRITE_SESSION_STATUS_SESSION_DELETED;
    return XBL_MPSD_WRITE_SESSION_STATUS_UPDATED;
}

/* Loads the response body into out (API.md §6). Arena exhaustion leaves the
   result for another try with a bigger arena. */
static xbl_mpsd_result xbl_mpsd__deliver(xbl_mpsd_async *a, xbl_mpsd_session *out)
{
    const xbl_mpsd__http_response *r = &a->response;
    bool write = xbl_mpsd__is_write(a);
    xbl_mpsd__response_meta meta;
    size_t cap, tokens_needed = 0;
    jsmntok_t *tokens;
    xbl_mpsd_result res;
    if (out == NULL) { a->flags |= XBL_MPSD__AF_TAKEN; return a->result; }
    if (r->status == 204 || r->body_len == 0) {
        xbl_mpsd__session_set_no_document(out, write ? xbl_mpsd__write_status_of(r->status)
                                                     : XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN);
        a->flags |= XBL_MPSD__AF_TAKEN;
        return a->result;
    }
    XBL_MPSD_MEMSET(&meta, 0, sizeof meta);
    meta.xuid = a->xuid;
    meta.reference = &a->reference;
    meta.etag = r->etag;
    meta.etag_len = r->etag_len;
    meta.date = r->date;
    meta.write_status = write ? xbl_mpsd__write_status_of(r->status) : XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN;
    tokens = xbl_mpsd__tokens(a, &cap);
    res = xbl_mpsd__session_load(out, (const char *)a->buffer + xbl_mpsd__window_start(a), r->body_len,
                                 &meta, tokens, cap, &tokens_needed);
    if (res == XBL_MPSD_E_OUTOFMEMORY && tokens_needed <= cap) return res;   /* out's arena: not consumed */
    if (res == XBL_MPSD_E_OUTOFMEMORY)
        a->needed = (size_t)((unsigned char *)(tokens + tokens_needed) - a->buffer);
    a->flags |= XBL_MPSD__AF_TAKEN;
    return res;
}

static xbl_mpsd_result xbl_mpsd__result(xbl_mpsd_async *a, xbl_mpsd_session *out, bool write)
{
    if (a == NULL || (out != NULL && out->arena.base == NULL)) return XBL_MPSD_E_INVALIDARG;
    if (a->state == XBL_MPSD__OP_IDLE) return XBL_MPSD_E_UNEXPECTED;
    if (xbl_mpsd__is_write(a) != write) return XBL_MPSD_E_INVALIDARG;
    if (a->state != XBL_MPSD__OP_DONE) return XBL_MPSD_PENDING;
    if (a->flags & XBL_MPSD__AF_TAKEN) return XBL_MPSD_E_UNEXPECTED;
    if (a->result == XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND) {
        /* GET 204: an error, yet out is told there is no document (API.md §6.2) */
        if (out != NULL) xbl_mpsd__session_set_no_document(out, XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN);
        a->flags |= XBL_MPSD__AF_TAKEN;
        return a->result;
    }
    if (a->result < 0) { a->flags |= XBL_MPSD__AF_TAKEN; return a->result; }
    return xbl_mpsd__deliver(a, out);
}

xbl_mpsd_result xbl_mpsd_write_session_result(xbl_mpsd_async *async, xbl_mpsd_session *out)
{
    return xbl_mpsd__result(async, out, true);
}

xbl_mpsd_result xbl_mpsd_write_session_by_handle_result(xbl_mpsd_async *async, xbl_mpsd_session *out)
{
    return xbl_mpsd__result(async, out, true);
}

xbl_mpsd_result xbl_mpsd_get_session_result(xbl_mpsd_async *async, xbl_mpsd_session *out)
{
    return xbl_mpsd__result(async, out, false);
}

xbl_mpsd_result xbl_mpsd_get_session_by_handle_result(xbl_mpsd_async *async, xbl_mpsd_session *out)
{
    return xbl_mpsd__result(async, out, false);
}
