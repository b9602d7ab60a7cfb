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

/* A client and an async over the port, answering with the fuzzer's body:
   data[1] is the receive split, data[2...] the body (data[0] is the
   harness's own). The async buffer is a heap block of exactly 64 KiB. */
typedef struct fz_rig {
    fz_port         p;
    xbl_mpsd_port   port;
    xbl_mpsd_client client;
    xbl_mpsd_async  a;
    unsigned char  *work;
} fz_rig;

static void fz_rig_start(fz_rig *g, const uint8_t *data, size_t size)
{
    xbl_mpsd_client_config cfg;
    memset(&g->p, 0, sizeof g->p);
    g->p.split = (size_t)data[1] + 1;
    g->p.body = data + 2;
    g->p.body_n = size - 2;
    g->p.head_n = (size_t)snprintf(g->p.head, sizeof g->p.head, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n",
                                   g->p.body_n);
    g->port.ctx = &g->p; g->port.connect = fz_connect; g->port.send = fz_send; g->port.recv = fz_recv;
    g->port.close = fz_close; g->port.now_ms = fz_now;
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &g->port; cfg.xuid = 2814600000000001ULL; cfg.auth = fz_auth;
    FZ_CHECK(xbl_mpsd_client_init(&g->client, &cfg) == XBL_MPSD_OK);
    g->work = (unsigned char *)malloc(65536);
    FZ_CHECK(xbl_mpsd_async_init(&g->a, g->work, 65536) == XBL_MPSD_OK);
}

#endif
