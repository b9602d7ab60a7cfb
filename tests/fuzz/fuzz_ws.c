/* libFuzzer harness: the WebSocket client's frame parser (and, with flag
   bit 0 clear, its handshake reader), through a scripted port that hands
   the server's bytes over in fuzzer-chosen splits and ends with EOF.

   Input: [flags][k][k split bytes][server bytes...]
     flags bit 0: a valid 101 head for the client's key comes first, so the
                  fuzz bytes are frames;
     flags bits 1-2: max_message_bytes 0 (buffer - reserve), 1, 16 or 200;
     flags bit 3: the port takes one byte per send;
     flags bit 4: on OPENED, the client sends a text message;
     flags bit 5: on OPENED, the client starts the close handshake.

   Properties:
   - no sanitizer report (the buffer is a heap block of exactly its size);
   - a message lies inside the message area, is at most max_message_bytes
     long, and a text message is valid UTF-8;
   - every run ends with exactly one CLOSED event (the EOF at the end of
     the bytes guarantees it), and nothing follows it;
   - everything the client sent after the handshake is well-formed client
     frames (FIN, no RSV, masked, shortest length), with at most one close
     frame, last; a WS_PROTOCOL or MESSAGE_TOO_BIG ending carries the code
     of that close frame (1002, 1007 or 1009);
   - split invariance: the events, and the frames sent other than pongs
     (opcode and unmasked payload), are the same as with the whole stream
     in as few recvs as possible. Pongs are left out: two pings read in one
     recv earn one pong, read apart two, as RFC 6455 §5.5.3 allows. */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "fuzz_util.h"

#define FZ_BUF 4096
#define FZ_LOG 65536
#define FZ_SENT 65536

typedef struct fz_port {
    const uint8_t *data;
    size_t         size, at;
    fz_split       split;
    bool           one_byte_sends;
    uint8_t        sent[FZ_SENT];
    size_t         sent_len;
    unsigned       rand;
} fz_port;

static xbl_mpsd_result fz_connect(void *ctx, const char *host, uint16_t port)
{
    (void)ctx; (void)host; (void)port;
    return XBL_MPSD_OK;
}

static int32_t fz_send(void *ctx, const uint8_t *data, size_t len)
{
    fz_port *p = (fz_port *)ctx;
    size_t n = p->one_byte_sends ? 1 : len;
    FZ_CHECK(len > 0);
    if (p->sent_len + n <= FZ_SENT) memcpy(p->sent + p->sent_len, data, n);
    p->sent_len += n;
    return (int32_t)n;
}

static int32_t fz_recv(void *ctx, uint8_t *buf, size_t cap)
{
    fz_port *p = (fz_port *)ctx;
    size_t n;
    if (p->at >= p->size) return XBL_MPSD_E_EOF;
    n = fz_split_next(&p->split);
    if (n > cap) n = cap;
    if (n > p->size - p->at) n = p->size - p->at;
    memcpy(buf, p->data + p->at, n);
    p->at += n;
    return (int32_t)n;
}

static void fz_close(void *ctx) { (void)ctx; }
static uint32_t fz_now(void *ctx) { (void)ctx; return 0; }

static void fz_random(void *user, uint8_t *out, size_t len)
{
    fz_port *p = (fz_port *)user;
    size_t i;
    for (i = 0; i < len; i++) out[i] = (uint8_t)(p->rand++ * 37u + 11u);
}

static xbl_mpsd_result fz_auth(void *user, const char *method, const char *path, const uint8_t *body,
        size_t body_len, char *authorization, size_t authorization_cap, char *signature, size_t signature_cap)
{
    (void)user; (void)method; (void)path; (void)body; (void)body_len; (void)signature_cap;
    if (authorization_cap < 8) return XBL_MPSD_E_OUTOFMEMORY;
    strcpy(authorization, "XBL3.0 x");
    signature[0] = '\0';
    return XBL_MPSD_OK;
}

typedef struct fz_result {
    char   frames[FZ_LOG];   /* frames sent other than pongs: opcode, unmasked payload */
    size_t frames_len;
    char   log[FZ_LOG];
    size_t log_len;
    fz_port port;
    xbl_mpsd_result end;
    uint16_t end_code;
    size_t head_sent;   /* bytes of the upgrade request */
} fz_result;

static void fz_logf(fz_result *x, const char *fmt, unsigned long a, unsigned long b)
{
    if (x->log_len < FZ_LOG - 64) x->log_len += (size_t)snprintf(x->log + x->log_len, 64, fmt, a, b);
}

/* The 101 head that accepts the key the client will draw first. */
static size_t fz_head(char *out)
{
    fz_port tmp;
    unsigned char nonce[16], in[60], digest[20];
    char key[24], acc[28];
    memset(&tmp, 0, sizeof tmp);
    fz_random(&tmp, nonce, 16);
    xbl_mpsd__base64(nonce, 16, key);
    memcpy(in, key, 24);
    memcpy(in + 24, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", 36);
    xbl_mpsd__sha1(in, 60, digest);
    xbl_mpsd__base64(digest, 20, acc);
    return (size_t)sprintf(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Accept: %.28s\r\n\r\n", acc);
}

static void run(fz_result *x, unsigned flags, const uint8_t *data, size_t size, const uint8_t *ctl, size_t k,
                size_t dflt)
{
    static const size_t limits[4] = { 0, 1, 16, 200 };
    xbl_mpsd_client client;
    xbl_mpsd_client_config cc;
    xbl_mpsd_ws_config wc;
    xbl_mpsd_ws ws;
    xbl_mpsd_port port;
    unsigned char *buf = (unsigned char *)malloc(FZ_BUF);
    size_t limit, polls, max_polls = 64 * size + 4096;
    bool closed = false;
    FZ_CHECK(buf != NULL);
    memset(x, 0, sizeof *x);
    x->port.data = data;
    x->port.size = size;
    x->port.split.ctl = ctl;
    x->port.split.n = k;
    x->port.split.dflt = dflt;
    x->port.one_byte_sends = (flags & 8) != 0;
    port.ctx = &x->port;
    port.connect = fz_connect; port.send = fz_send; port.recv = fz_recv; port.close = fz_close; port.now_ms = fz_now;
    memset(&cc, 0, sizeof cc);
    cc.port = &port; cc.xuid = 1; cc.auth = fz_auth;
    FZ_CHECK(xbl_mpsd_client_init(&client, &cc) == XBL_MPSD_OK);
    memset(&wc, 0, sizeof wc);
    wc.port = &port; wc.client = &client; wc.host = "h"; wc.path = "/c";
    wc.max_message_bytes = limits[(flags >> 1) & 3];
    wc.random = fz_random; wc.random_user = &x->port;
    FZ_CHECK(xbl_mpsd_ws_init(&ws, &wc, buf, FZ_BUF) == XBL_MPSD_OK);
    limit = ws.config.max_message_bytes;
    FZ_CHECK(xbl_mpsd_ws_connect(&ws) == XBL_MPSD_OK);
    for (polls = 0; polls < max_polls; polls++) {
        xbl_mpsd_ws_event ev;
        xbl_mpsd_result r = xbl_mpsd_ws_poll(&ws, &ev);
        if (r == XBL_MPSD_PENDING) {
            FZ_CHECK(ev.type == XBL_MPSD_WS_EVENT_NONE);
            if (closed) break;
            continue;
        }
        FZ_CHECK(r == XBL_MPSD_OK && !closed);
        switch (ev.type) {
        case XBL_MPSD_WS_EVENT_OPENED:
            fz_logf(x, "O%lu%lu|", 0, 0);
            x->head_sent = x->port.sent_len;
            FZ_CHECK(xbl_mpsd_ws_is_open(&ws));
            if (flags & 16) FZ_CHECK(xbl_mpsd_ws_send_text(&ws, "[1,1,\"x\"]", 9) == XBL_MPSD_OK);
            if (flags & 32) FZ_CHECK(xbl_mpsd_ws_close(&ws, 1000) == XBL_MPSD_OK);
            break;
        case XBL_MPSD_WS_EVENT_MESSAGE:
            FZ_CHECK(ev.len <= limit);
            FZ_CHECK(ev.data == buf);
            if (!ev.binary) FZ_CHECK(xbl_mpsd__utf8_valid((const char *)ev.data, ev.len));
            fz_logf(x, "M%lu:%lu|", (unsigned long)ev.binary, (unsigned long)ev.len);
            if (ev.len > 0) fz_logf(x, "%lx%lx|", ev.data[0], ev.data[ev.len - 1]);
            break;
        case XBL_MPSD_WS_EVENT_CLOSED:
            closed = true;
            x->end = ev.result;
            x->end_code = ev.close_code;
            fz_logf(x, "C%lx:%lu|", (unsigned long)(uint32_t)ev.result, ev.close_code);
            break;
        default:
            FZ_CHECK(0);
        }
    }
    FZ_CHECK(closed);
    free(buf);
}

/* The client's frames after the handshake: well-formed, one close at most, last. */
static void check_client_frames(fz_result *x)
{
    const uint8_t *p = x->port.sent + x->head_sent;
    size_t n = x->port.sent_len - x->head_sent, at = 0;
    unsigned close_code = 0;
    bool saw_close = false;
    if (x->head_sent == 0 || x->port.sent_len > FZ_SENT) return;
    while (at < n) {
        size_t len, h = 2;
        FZ_CHECK(!saw_close);
        FZ_CHECK(n - at >= 6);
        FZ_CHECK((p[at] & 0xF0) == 0x80 && (p[at + 1] & 0x80) == 0x80);
        len = p[at + 1] & 0x7F;
        FZ_CHECK(len != 127);
        if (len == 126) { len = ((size_t)p[at + 2] << 8) | p[at + 3]; h = 4; FZ_CHECK(len >= 126); }
        FZ_CHECK(n - at >= h + 4 + len);
        if ((p[at] & 0x0F) != 0xA && x->frames_len + len + 2 <= FZ_LOG) {
            size_t i;
            x->frames[x->frames_len++] = (char)(p[at] & 0x0F);
            x->frames[x->frames_len++] = (char)len;
            for (i = 0; i < len; i++) x->frames[x->frames_len++] = (char)(p[at + h + 4 + i] ^ p[at + h + (i & 3)]);
        }
        if ((p[at] & 0x0F) == 8) {
            saw_close = true;
            if (len >= 2) {
                const uint8_t *m = p + at + h;
                close_code = ((unsigned)(p[at + h + 4] ^ m[0]) << 8) | (unsigned)(p[at + h + 5] ^ m[1]);
            }
        } else {
            FZ_CHECK((p[at] & 0x0F) == 1 || (p[at] & 0x0F) == 9 || (p[at] & 0x0F) == 0xA);
        }
        at += h + 4 + len;
    }
    if (x->end == XBL_MPSD_E_WS_MESSAGE_TOO_BIG) FZ_CHECK(x->end_code == 1009 && close_code == 1009);
    if (x->end == XBL_MPSD_E_WS_PROTOCOL) {
        FZ_CHECK(saw_close && x->end_code == close_code);
        FZ_CHECK(close_code == 1002 || close_code == 1007 || close_code == 1000);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fz_result whole, split_run;
    static uint8_t stream[16384 + 256];
    unsigned flags;
    size_t k, n = 0;
    const uint8_t *ctl;
    if (size < 2 || size > 16384) return 0;
    flags = data[0];
    k = data[1];
    if (k > size - 2) k = size - 2;
    ctl = data + 2;
    data += 2 + k;
    size -= 2 + k;
    if (flags & 1) n = fz_head((char *)stream);
    memcpy(stream + n, data, size);
    n += size;
    run(&whole, flags, stream, n, NULL, 0, (size_t)-1);
    run(&split_run, flags, stream, n, ctl, k, 4096);
    check_client_frames(&whole);
    check_client_frames(&split_run);
    FZ_CHECK(whole.log_len == split_run.log_len && memcmp(whole.log, split_run.log, whole.log_len) == 0);
    FZ_CHECK(whole.head_sent == split_run.head_sent);
    FZ_CHECK(whole.frames_len == split_run.frames_len && memcmp(whole.frames, split_run.frames, whole.frames_len) == 0);
    return 0;
}
