/* fuzz_body_port.h - a port for the handles-family harnesses: every
   request is answered with "200 OK" and the fuzzer's body, in fuzzer-chosen
   receive splits; the token callback gives a fixed token. Include after
   xbl_mpsd.h and fuzz_util.h. */
#ifndef FUZZ_BODY_PORT_H
#define FUZZ_BODY_PORT_H

typedef struct fz_port {
    const uint8_t *body;
    size_t body_n, at, split, head_n;
    char head[96];
    bool open;
} fz_port;

static xbl_mpsd_result fz_connect(void *ctx, const char *host, uint16_t port)
{
    fz_port *p = (fz_port *)ctx;
    (void)host; (void)port;
    if (!p->open) p->at = 0;
    p->open = true;
    return XBL_MPSD_OK;
}

static int32_t fz_send(void *ctx, const uint8_t *data, size_t len)
{
    fz_port *p = (fz_port *)ctx;
    (void)data;
    p->at = 0;   /* a new request: the answer starts again */
    return (int32_t)len;
}

static int32_t fz_recv(void *ctx, uint8_t *buf, size_t cap)
{
    fz_port *p = (fz_port *)ctx;
    size_t total = p->head_n + p->body_n, n;
    if (p->at >= total) return XBL_MPSD_E_WOULD_BLOCK;
    n = total - p->at;
    if (n > p->split) n = p->split;
    if (n > cap) n = cap;
    for (size_t i = 0; i < n; i++, p->at++)
        buf[i] = p->at < p->head_n ? (uint8_t)p->head[p->at] : p->body[p->at - p->head_n];
    return (int32_t)n;
}

static void fz_close(void *ctx) { ((fz_port *)ctx)->open = false; }
static uint32_t fz_now(void *ctx) { (void)ctx; return 0; }

static xbl_mpsd_result fz_auth(void *user, const char *method, const char *path, const uint8_t *body,
        size_t body_len, char *authorization, size_t authorization_cap, char *signature, size_t signature_cap)
{
    (void)user; (void)method; (void)path; (void)body; (void)body_len; (void)signature_cap;
    if (authorization_cap < 8) return XBL_MPSD_E_OUTOFMEMORY;
    memcpy(authorization, "XBL3.0", 7);
    signature[0] = '\0';
    return XBL_MPSD_OK;
}

#endif
