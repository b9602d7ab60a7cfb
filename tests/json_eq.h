/* json_eq.h - structural JSON comparison for tests (jsmn based).

   Include after xbl_mpsd.h (with XBL_MPSD_IMPLEMENTATION) so the jsmn that
   the SDK already pulled in is reused; included alone it pulls in <jsmn.h>
   itself with JSMN_STATIC, JSMN_PARENT_LINKS and JSMN_STRICT.

   Rules:
   * objects compare as key sets (order-independent), except at the paths
     given in `ordered` (see json_eq_paths), where key order must match too;
   * arrays compare element by element, in order;
   * strings (values and keys) compare after unescaping;
   * numbers, true, false and null compare by their exact text.

   On a mismatch both texts and the path of the first difference are printed
   to stderr.

   Paths are dotted: "" is the top-level value, "members.me.properties.custom"
   a nested object, "turn[1]" an array element. In `ordered` patterns a "*"
   segment matches any one key ("members.*"). */
#ifndef JSON_EQ_H
#define JSON_EQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#ifndef JSMN_H
#define JSMN_STATIC
#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#include <jsmn.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
#elif !defined(JSMN_PARENT_LINKS)
#error "json_eq.h needs jsmn built with JSMN_PARENT_LINKS"
#endif

#ifndef JSON_EQ_MAX_TOKENS
#define JSON_EQ_MAX_TOKENS 8192
#endif
#define JSON_EQ_PATH_MAX 512

typedef struct json_eq__doc {
    const char *text;
    size_t      len;
    jsmntok_t   tok[JSON_EQ_MAX_TOKENS];
    int         ntok;
    int         root;
    char        buf[80000];
} json_eq__doc;

typedef struct json_eq__ctx {
    json_eq__doc        a, b;               /* a = expected, b = actual */
    const char *const  *ordered;
    char                path[JSON_EQ_PATH_MAX];
    char                why[256];
} json_eq__ctx;

static json_eq__ctx json_eq__g;

/* Parses text into d. Returns false (with a reason in why) if it is not one
   complete JSON value. The text is parsed wrapped in "[...]" because strict
   jsmn refuses a bare top-level scalar; d->root is the value's token. */
static inline bool json_eq__parse(json_eq__doc *d, const char *text, char *why, size_t why_cap, const char *which)
{
    jsmn_parser p;
    int r;
    size_t n = strlen(text);
    if (n + 3 > sizeof d->buf) {
        snprintf(why, why_cap, "%s text too long for json_eq", which);
        return false;
    }
    d->buf[0] = '[';
    memcpy(d->buf + 1, text, n);
    d->buf[n + 1] = ']';
    d->buf[n + 2] = '\0';
    d->text = d->buf;
    d->len = n + 2;
    jsmn_init(&p);
    r = jsmn_parse(&p, d->buf, d->len, d->tok, JSON_EQ_MAX_TOKENS);
    if (r <= 1 || d->tok[0].type != JSMN_ARRAY || d->tok[0].end != (int)d->len) {
        snprintf(why, why_cap, "%s text does not parse (jsmn %d)", which, r);
        return false;
    }
    if (d->tok[0].size != 1) {
        snprintf(why, why_cap, "%s text is not exactly one value (%d values / trailing garbage)", which, d->tok[0].size);
        return false;
    }
    d->ntok = r;
    d->root = 1;
    return true;
}

/* Index of the token after the subtree rooted at i. */
static inline int json_eq__skip(const json_eq__doc *d, int i)
{
    int end = d->tok[i].end, k = i + 1;
    while (k < d->ntok && d->tok[k].start < end) k++;
    return k;
}

static inline int json_eq__hex(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Unescapes a JSON string body into out (UTF-8). Returns the length, or
   (size_t)-1 on a bad escape or when out is too small. */
static inline size_t json_eq__unescape(const char *s, size_t n, char *out, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < n) {
        unsigned long cp;
        if (s[i] != '\\') {
            if (o >= cap) return (size_t)-1;
            out[o++] = s[i++];
            continue;
        }
        if (i + 1 >= n) return (size_t)-1;
        switch (s[i + 1]) {
        case '"': cp = '"'; break;
        case '\\': cp = '\\'; break;
        case '/': cp = '/'; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u': {
            int k, h;
            if (i + 6 > n) return (size_t)-1;
            cp = 0;
            for (k = 0; k < 4; k++) {
                h = json_eq__hex((unsigned char)s[i + 2 + (size_t)k]);
                if (h < 0) return (size_t)-1;
                cp = (cp << 4) | (unsigned long)h;
            }
            i += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u') {
                unsigned long lo = 0;
                for (k = 0; k < 4; k++) {
                    h = json_eq__hex((unsigned char)s[i + 2 + (size_t)k]);
                    if (h < 0) return (size_t)-1;
                    lo = (lo << 4) | (unsigned long)h;
                }
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            if (o + 4 > cap) return (size_t)-1;
            if (cp < 0x80) out[o++] = (char)cp;
            else if (cp < 0x800) {
                out[o++] = (char)(0xC0 | (cp >> 6));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                out[o++] = (char)(0xE0 | (cp >> 12));
                out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            } else {
                out[o++] = (char)(0xF0 | (cp >> 18));
                out[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
                out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            }
            continue;
        }
        default: return (size_t)-1;
        }
        if (o >= cap) return (size_t)-1;
        out[o++] = (char)cp;
        i += 2;
    }
    return o;
}

#define JSON_EQ__STRCAP 8192
static char json_eq__s1[JSON_EQ__STRCAP], json_eq__s2[JSON_EQ__STRCAP];

/* Compares two string tokens after unescaping. */
static inline bool json_eq__str_equal(const json_eq__doc *a, int i, const json_eq__doc *b, int j)
{
    size_t n1 = json_eq__unescape(a->text + a->tok[i].start, (size_t)(a->tok[i].end - a->tok[i].start), json_eq__s1, JSON_EQ__STRCAP);
    size_t n2 = json_eq__unescape(b->text + b->tok[j].start, (size_t)(b->tok[j].end - b->tok[j].start), json_eq__s2, JSON_EQ__STRCAP);
    if (n1 == (size_t)-1 || n2 == (size_t)-1) return false;
    return n1 == n2 && memcmp(json_eq__s1, json_eq__s2, n1) == 0;
}

/* Whether the current path matches one of the ordered patterns. */
static inline bool json_eq__is_ordered(const char *path, const char *const *patterns)
{
    size_t p;
    if (patterns == NULL) return false;
    for (p = 0; patterns[p] != NULL; p++) {
        const char *pat = patterns[p], *s = path;
        bool ok = true;
        if (strcmp(pat, "**") == 0) return true;
        while (*pat || *s) {
            if (pat[0] == '*' && (pat[1] == '.' || pat[1] == '\0')) {
                while (*s && *s != '.') s++;
                pat++;
                if (*pat == '.' && *s == '.') { pat++; s++; }
                else if (*pat != *s) { ok = false; break; }
                continue;
            }
            if (*pat != *s) { ok = false; break; }
            pat++; s++;
        }
        if (ok) return true;
    }
    return false;
}

static inline void json_eq__path_key(char *path, size_t base, const json_eq__doc *d, int k)
{
    size_t n = json_eq__unescape(d->text + d->tok[k].start, (size_t)(d->tok[k].end - d->tok[k].start), json_eq__s1, JSON_EQ__STRCAP);
    if (n == (size_t)-1) n = 0;
    if (base + n + 2 >= JSON_EQ_PATH_MAX) { path[base] = '\0'; return; }
    if (base) path[base++] = '.';
    memcpy(path + base, json_eq__s1, n);
    path[base + n] = '\0';
}

static inline bool json_eq__value(json_eq__ctx *c, int i, int j)
{
    const json_eq__doc *a = &c->a, *b = &c->b;
    const jsmntok_t *ta = &a->tok[i], *tb = &b->tok[j];
    size_t base = strlen(c->path);
    if (ta->type != tb->type) {
        snprintf(c->why, sizeof c->why, "different value types");
        return false;
    }
    switch (ta->type) {
    case JSMN_STRING:
        if (!json_eq__str_equal(a, i, b, j)) { snprintf(c->why, sizeof c->why, "different strings"); return false; }
        return true;
    case JSMN_PRIMITIVE:
        if (ta->end - ta->start != tb->end - tb->start
            || memcmp(a->text + ta->start, b->text + tb->start, (size_t)(ta->end - ta->start)) != 0) {
            snprintf(c->why, sizeof c->why, "different scalars: %.*s vs %.*s",
                     ta->end - ta->start, a->text + ta->start, tb->end - tb->start, b->text + tb->start);
            return false;
        }
        return true;
    case JSMN_ARRAY: {
        int n, ki = i + 1, kj = j + 1;
        if (ta->size != tb->size) {
            snprintf(c->why, sizeof c->why, "array lengths %d vs %d", ta->size, tb->size);
            return false;
        }
        for (n = 0; n < ta->size; n++) {
            snprintf(c->path + base, JSON_EQ_PATH_MAX - base, "[%d]", n);
            if (!json_eq__value(c, ki, kj)) return false;
            ki = json_eq__skip(a, ki);
            kj = json_eq__skip(b, kj);
        }
        c->path[base] = '\0';
        return true;
    }
    case JSMN_OBJECT: {
        bool ordered = json_eq__is_ordered(c->path, c->ordered);
        int n, m, ki = i + 1;
        if (ta->size != tb->size) {
            snprintf(c->why, sizeof c->why, "objects have %d vs %d keys", ta->size, tb->size);
            /* name a key missing on one side for a better message */
            for (n = 0; n < ta->size; n++) {
                int kj = j + 1;
                bool found = false;
                for (m = 0; m < tb->size; m++) {
                    if (json_eq__str_equal(a, ki, b, kj)) { found = true; break; }
                    kj = json_eq__skip(b, kj + 1);
                }
                if (!found) {
                    json_eq__path_key(c->path, base, a, ki);
                    snprintf(c->why, sizeof c->why, "key missing in actual");
                    return false;
                }
                ki = json_eq__skip(a, ki + 1);
            }
            {
                int kj = j + 1;
                for (m = 0; m < tb->size; m++) {
                    bool found = false;
                    ki = i + 1;
                    for (n = 0; n < ta->size; n++) {
                        if (json_eq__str_equal(a, ki, b, kj)) { found = true; break; }
                        ki = json_eq__skip(a, ki + 1);
                    }
                    if (!found) {
                        json_eq__path_key(c->path, base, b, kj);
                        snprintf(c->why, sizeof c->why, "unexpected key in actual");
                        return false;
                    }
                    kj = json_eq__skip(b, kj + 1);
                }
            }
            return false;
        }
        for (n = 0; n < ta->size; n++) {
            int kj = j + 1;
            bool found = false;
            for (m = 0; m < tb->size; m++) {
                if (json_eq__str_equal(a, ki, b, kj)) { found = true; break; }
                kj = json_eq__skip(b, kj + 1);
            }
            json_eq__path_key(c->path, base, a, ki);
            if (!found) { snprintf(c->why, sizeof c->why, "key missing in actual"); return false; }
            if (ordered && m != n) {
                snprintf(c->why, sizeof c->why, "key order differs: key is #%d in expected, #%d in actual", n, m);
                return false;
            }
            /* duplicate keys in actual */
            {
                int kk = json_eq__skip(b, kj + 1), mm;
                for (mm = m + 1; mm < tb->size; mm++) {
                    if (json_eq__str_equal(a, ki, b, kk)) { snprintf(c->why, sizeof c->why, "duplicate key in actual"); return false; }
                    kk = json_eq__skip(b, kk + 1);
                }
            }
            if (!json_eq__value(c, ki + 1, kj + 1)) return false;
            c->path[base] = '\0';
            ki = json_eq__skip(a, ki + 1);
        }
        return true;
    }
    default:
        snprintf(c->why, sizeof c->why, "unknown token type");
        return false;
    }
}

/* Compares expected and actual. `ordered` is a NULL-terminated list of path
   patterns whose objects must also have the same key order (NULL: none). */
static inline bool json_eq_paths(const char *expected, const char *actual, const char *const *ordered)
{
    json_eq__ctx *c = &json_eq__g;
    bool ok;
    c->path[0] = '\0';
    c->why[0] = '\0';
    c->ordered = ordered;
    if (expected == NULL || actual == NULL) {
        fprintf(stderr, "json_eq: %s is NULL\n", expected == NULL ? "expected" : "actual");
        return false;
    }
    ok = json_eq__parse(&c->a, expected, c->why, sizeof c->why, "expected")
      && json_eq__parse(&c->b, actual, c->why, sizeof c->why, "actual")
      && json_eq__value(c, c->a.root, c->b.root);
    if (!ok) {
        fprintf(stderr, "json_eq: mismatch at path '%s': %s\n  expected: %s\n  actual:   %s\n",
                c->path, c->why, expected, actual);
    }
    return ok;
}

/* Order-independent everywhere. */
static inline bool json_eq(const char *expected, const char *actual)
{
    return json_eq_paths(expected, actual, NULL);
}

/* Key order must match in every object. */
static inline bool json_eq_ordered(const char *expected, const char *actual)
{
    static const char *const all[] = { "**", NULL };
    return json_eq_paths(expected, actual, all);
}

/* Finds the value at a dotted path (object keys only; no arrays) and copies
   its raw text (strings: unescaped, without quotes) into out. False if absent. */
static inline bool json_eq_get(const char *text, const char *path, char *out, size_t cap)
{
    static json_eq__doc d;
    char why[128];
    int i;
    const char *p = path;
    if (!json_eq__parse(&d, text, why, sizeof why, "input")) return false;
    i = d.root;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t seg = dot ? (size_t)(dot - p) : strlen(p);
        int n, k;
        bool found = false;
        if (d.tok[i].type != JSMN_OBJECT) return false;
        k = i + 1;
        for (n = 0; n < d.tok[i].size; n++) {
            size_t len = json_eq__unescape(d.text + d.tok[k].start, (size_t)(d.tok[k].end - d.tok[k].start), json_eq__s1, JSON_EQ__STRCAP);
            if (len == seg && memcmp(json_eq__s1, p, seg) == 0) { found = true; break; }
            k = json_eq__skip(&d, k + 1);
        }
        if (!found) return false;
        i = k + 1;
        p += seg;
        if (*p == '.') p++;
    }
    {
        size_t n;
        if (d.tok[i].type == JSMN_STRING) {
            n = json_eq__unescape(d.text + d.tok[i].start, (size_t)(d.tok[i].end - d.tok[i].start), out, cap ? cap - 1 : 0);
            if (n == (size_t)-1) return false;
        } else {
            n = (size_t)(d.tok[i].end - d.tok[i].start);
            if (n + 1 > cap) return false;
            memcpy(out, d.text + d.tok[i].start, n);
        }
        out[n] = '\0';
    }
    return true;
}

#endif /* JSON_EQ_H */
