/* Scripted mock port for unit tests: canned connect/send/recv results, every
   sent byte recorded, a clock the test drives (manual or auto-advancing, any
   start value, so wrap-around can be tested). Include after xbl_mpsd.h. */
#ifndef MOCK_PORT_H
#define MOCK_PORT_H

#include <stdlib.h>
#include <string.h>

/* Script and recording capacity; a small target (tests/arm/) sets less. */
#ifndef MOCK_MAX_STEPS
#define MOCK_MAX_STEPS 40000
#endif
#ifndef MOCK_SENT_CAP
#define MOCK_SENT_CAP  65536
#endif
#ifndef MOCK_CALLS_CAP
#define MOCK_CALLS_CAP 255
#endif

typedef struct mock_recv_step {
    const uint8_t *data;   /* bytes to deliver, or NULL for `code` */
    size_t         len;
    int32_t        code;   /* XBL_MPSD_E_WOULD_BLOCK, XBL_MPSD_E_EOF, other error */
} mock_recv_step;

typedef struct mock_port {
    /* connect: script of results, then connect_default */
    xbl_mpsd_result connect_script[16];
    size_t          connect_n, connect_i;
    xbl_mpsd_result connect_default;
    /* send: script of caps (> 0: accept at most that many; <= 0: that code),
       then send_default_cap (0 = accept everything) */
    int32_t send_script[MOCK_MAX_STEPS];
    size_t  send_n, send_i;
    int32_t send_default_cap;
    /* recv: script; when exhausted, recv_default (WOULD_BLOCK unless set) */
    mock_recv_step recv_script[MOCK_MAX_STEPS];
    size_t         recv_n, recv_i, recv_off;
    int32_t        recv_default;
    /* recording */
    uint8_t  sent[MOCK_SENT_CAP];
    size_t   sent_len;
    unsigned connects, closes, sends, recvs, would_blocks, now_calls;
    bool     open;
    /* clock */
    uint32_t now;
    uint32_t auto_step;   /* added after every now_ms call */
    char     last_host[256];
    uint16_t last_port;
    /* every port call in order, one letter each: c connect (C when it
       answered OK on an open connection: the liveness check), s send,
       r recv, x close; cut at MOCK_CALLS_CAP */
    char     calls[MOCK_CALLS_CAP + 1];
    size_t   calls_len;
} mock_port;

static void mock_log(mock_port *m, char call)
{
    if (m->calls_len < MOCK_CALLS_CAP) m->calls[m->calls_len++] = call;
    m->calls[m->calls_len] = '\0';
}

static xbl_mpsd_result mock_connect(void *ctx, const char *host, uint16_t port)
{
    mock_port *m = (mock_port *)ctx;
    xbl_mpsd_result r = m->connect_i < m->connect_n ? m->connect_script[m->connect_i++] : m->connect_default;
    size_t n = strlen(host);
    if (n >= sizeof m->last_host) n = sizeof m->last_host - 1;
    memcpy(m->last_host, host, n);
    m->last_host[n] = '\0';
    m->last_port = port;
    m->connects++;
    mock_log(m, r == XBL_MPSD_OK && m->open ? 'C' : 'c');
    if (r == XBL_MPSD_PENDING) m->would_blocks++;
    m->open = r == XBL_MPSD_OK;   /* PENDING: a fresh attempt; negative: closed */
    return r;
}

static int32_t mock_send(void *ctx, const uint8_t *data, size_t len)
{
    mock_port *m = (mock_port *)ctx;
    int32_t cap = m->send_i < m->send_n ? m->send_script[m->send_i++] : m->send_default_cap;
    size_t n = len;
    m->sends++;
    mock_log(m, 's');
    if (cap < 0) {
        if (cap == XBL_MPSD_E_WOULD_BLOCK) m->would_blocks++;
        return cap;
    }
    if (cap > 0 && (size_t)cap < n) n = (size_t)cap;
    if (m->sent_len + n <= MOCK_SENT_CAP) {
        memcpy(m->sent + m->sent_len, data, n);
        m->sent_len += n;
    }
    return (int32_t)n;
}

static int32_t mock_recv(void *ctx, uint8_t *buf, size_t cap)
{
    mock_port *m = (mock_port *)ctx;
    mock_recv_step *s;
    size_t n;
    m->recvs++;
    mock_log(m, 'r');
    if (m->recv_i >= m->recv_n) {
        if (m->recv_default == XBL_MPSD_E_WOULD_BLOCK) m->would_blocks++;
        return m->recv_default;
    }
    s = &m->recv_script[m->recv_i];
    if (s->data == NULL) {
        m->recv_i++;
        if (s->code == XBL_MPSD_E_WOULD_BLOCK) m->would_blocks++;
        return s->code;
    }
    n = s->len - m->recv_off;
    if (n > cap) n = cap;
    memcpy(buf, s->data + m->recv_off, n);
    m->recv_off += n;
    if (m->recv_off == s->len) { m->recv_i++; m->recv_off = 0; }
    return (int32_t)n;
}

static void mock_close(void *ctx)
{
    mock_port *m = (mock_port *)ctx;
    m->closes++;
    mock_log(m, 'x');
    m->open = false;
}

static uint32_t mock_now(void *ctx)
{
    mock_port *m = (mock_port *)ctx;
    uint32_t t = m->now;
    m->now += m->auto_step;
    m->now_calls++;
    return t;
}

static void mock_init(mock_port *m, xbl_mpsd_port *port)
{
    memset(m, 0, sizeof *m);
    m->connect_default = XBL_MPSD_OK;
    m->recv_default = XBL_MPSD_E_WOULD_BLOCK;
    port->ctx = m;
    port->connect = mock_connect;
    port->send = mock_send;
    port->recv = mock_recv;
    port->close = mock_close;
    port->now_ms = mock_now;
}

static void mock_add_bytes(mock_port *m, const void *data, size_t len)
{
    if (m->recv_n >= MOCK_MAX_STEPS || len == 0) abort();
    m->recv_script[m->recv_n].data = (const uint8_t *)data;
    m->recv_script[m->recv_n].len = len;
    m->recv_script[m->recv_n].code = 0;
    m->recv_n++;
}

static void mock_add_code(mock_port *m, int32_t code)
{
    if (m->recv_n >= MOCK_MAX_STEPS) abort();
    m->recv_script[m->recv_n].data = NULL;
    m->recv_script[m->recv_n].len = 0;
    m->recv_script[m->recv_n].code = code;
    m->recv_n++;
}

static void mock_add_send(mock_port *m, int32_t cap_or_code)
{
    if (m->send_n >= MOCK_MAX_STEPS) abort();
    m->send_script[m->send_n++] = cap_or_code;
}

/* Drops the recv script and recording: the next exchange on the same port. */
static void mock_reset_traffic(mock_port *m)
{
    m->recv_n = m->recv_i = m->recv_off = 0;
    m->send_n = m->send_i = 0;
    m->sent_len = 0;
    m->calls_len = 0;
    m->calls[0] = '\0';
}

#endif /* MOCK_PORT_H */
