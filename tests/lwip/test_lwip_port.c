/* The lwIP port (port/xbl_mpsd_port_lwip.h) inside an lwIP stack running
   in this process (tests/lwip/lwip_host.h): its calls one by one, then the
   SDK's write and get calls through it against a scripted in-stack server,
   with faults (reset, close mid-body, send buffer full, closed port). */
#define _POSIX_C_SOURCE 200809L
#define XBL_MPSD_IMPLEMENTATION
#define XBL_MPSD_PORT_LWIP_IMPLEMENTATION
#include "port/xbl_mpsd_port_lwip.h"
#include "lwip_host.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#define TIMEOUT_MS 5000u

static xbl_mpsd_port_lwip g_tcp;
static xbl_mpsd_port      g_port;
static lwip_host_server   g_srv, g_srv2;

/* ------------------------------------------------------------- helpers */

static xbl_mpsd_result connect_until(const char *host, uint16_t port)
{
    uint32_t start = sys_now();
    xbl_mpsd_result r;
    for (;;) {
        r = g_port.connect(g_port.ctx, host, port);
        if (r != XBL_MPSD_PENDING || (uint32_t)(sys_now() - start) > TIMEOUT_MS) return r;
        lwip_host_pump();
    }
}

/* Next recv result that is not WOULD_BLOCK (pumping in between). */
static int32_t recv_until(uint8_t *buf, size_t cap)
{
    uint32_t start = sys_now();
    int32_t n;
    for (;;) {
        n = g_port.recv(g_port.ctx, buf, cap);
        if (n != XBL_MPSD_E_WOULD_BLOCK || (uint32_t)(sys_now() - start) > TIMEOUT_MS) return n;
        lwip_host_pump();
    }
}

/* Reads exactly len bytes (any split), then expects `after`. */
static void expect_bytes_then(const char *want, size_t len, int32_t after)
{
    uint8_t buf[512];
    size_t got = 0;
    assert_true(len <= sizeof buf);
    while (got < len) {
        int32_t n = recv_until(buf + got, sizeof buf - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    assert_int_equal(got, len);
    assert_memory_equal(buf, want, len);
    assert_int_equal(recv_until(buf, sizeof buf), after);
}

static void send_all(const char *data, size_t len)
{
    size_t done = 0;
    uint32_t start = sys_now();
    while (done < len) {
        int32_t n = g_port.send(g_port.ctx, (const uint8_t *)data + done, len - done);
        if (n == XBL_MPSD_E_WOULD_BLOCK) {
            assert_true((uint32_t)(sys_now() - start) <= TIMEOUT_MS);
            lwip_host_pump();
            continue;
        }
        assert_true(n > 0 && (size_t)n <= len - done);
        done += (size_t)n;
    }
}

static void assert_rx(lwip_host_server *s, const char *want)
{
    static char got[LWIP_HOST_RX_CAP];
    size_t n = lwip_host_server_rx(s, got, sizeof got);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(got, want, n);
}

static void connected_to(lwip_host_server *s, uint16_t port)
{
    lwip_host_server_start(s, port);
    assert_int_equal(xbl_mpsd_port_lwip_init(&g_tcp, &g_port), XBL_MPSD_OK);
    assert_int_equal(g_port.connect(g_port.ctx, "127.0.0.1", port), XBL_MPSD_PENDING);
    assert_int_equal(connect_until("127.0.0.1", port), XBL_MPSD_OK);
    assert_true(lwip_host_server_wait(s, LWIP_HOST_ACCEPTS, 1, TIMEOUT_MS));
}

static int group_setup(void **state)
{
    (void)state;
    lwip_host_init();
    return 0;
}

/* After a failed assertion too: nothing of one test reaches the next. */
static int teardown(void **state)
{
    (void)state;
    if (g_port.close != NULL) g_port.close(g_port.ctx);
    lwip_host_server_stop(&g_srv);
    lwip_host_server_stop(&g_srv2);
    lwip_host_set_link(true);
    return 0;
}

/* ----------------------------------------------------- port, call level */

static void test_init_and_args(void **state)
{
    uint8_t b[4];
    char long_host[XBL_MPSD_PORT_LWIP_MAX_HOST + 2];
    (void)state;
    assert_int_equal(xbl_mpsd_port_lwip_init(NULL, &g_port), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_port_lwip_init(&g_tcp, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_port_lwip_init(&g_tcp, &g_port), XBL_MPSD_OK);
    assert_ptr_equal(g_port.ctx, &g_tcp);
    assert_int_equal(g_port.connect(g_port.ctx, NULL, 80), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(g_port.connect(g_port.ctx, "", 80), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(g_port.connect(g_port.ctx, "127.0.0.1", 0), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(g_port.connect(NULL, "127.0.0.1", 80), XBL_MPSD_E_INVALIDARG);
    memset(long_host, 'a', sizeof long_host - 1);
    long_host[sizeof long_host - 1] = '\0';
    assert_int_equal(g_port.connect(g_port.ctx, long_host, 80), XBL_MPSD_E_CONNECT);
    /* a name, no resolver: no lookup of any kind */
    assert_int_equal(g_port.connect(g_port.ctx, "sessiondirectory.xboxlive.com", 443), XBL_MPSD_E_CONNECT);
    assert_int_equal(g_port.send(g_port.ctx, (const uint8_t *)"x", 1), XBL_MPSD_E_IO);
    assert_int_equal(g_port.send(g_port.ctx, NULL, 1), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(g_port.send(NULL, (const uint8_t *)"x", 1), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(g_port.recv(g_port.ctx, b, sizeof b), XBL_MPSD_E_IO);
    assert_int_equal(g_port.recv(g_port.ctx, b, 0), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(g_port.recv(g_port.ctx, NULL, 4), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(g_port.recv(NULL, b, sizeof b), XBL_MPSD_E_INVALIDARG);
    g_port.close(g_port.ctx);
    g_port.close(g_port.ctx);
    g_port.close(NULL);
}

/* The numbers the header documents (chapter 4). */
static void test_sizes(void **state)
{
    (void)state;
    if (sizeof(void *) == 8) {
        assert_int_equal(sizeof(xbl_mpsd_port_lwip), 296);
        assert_int_equal(sizeof(struct tcp_pcb), 288);
    }
    print_message("sizeof(xbl_mpsd_port_lwip) %u, sizeof(struct tcp_pcb) %u, TCP_WND %u, TCP_SND_BUF %u\n",
                  (unsigned)sizeof(xbl_mpsd_port_lwip), (unsigned)sizeof(struct tcp_pcb),
                  (unsigned)TCP_WND, (unsigned)TCP_SND_BUF);
}

static void test_now_ms_is_lwip_clock(void **state)
{
    uint32_t a, b, c;
    struct timespec ts = {0, 30 * 1000 * 1000};
    (void)state;
    assert_int_equal(xbl_mpsd_port_lwip_init(&g_tcp, &g_port), XBL_MPSD_OK);
    a = g_port.now_ms(g_port.ctx);
    b = sys_now();
    assert_true(b - a <= 1u);
    nanosleep(&ts, NULL);
    c = g_port.now_ms(g_port.ctx);
    assert_true(c - a >= 30u && c - a < 1000u);
}

static void test_exchange_and_close(void **state)
{
    uint8_t b[16];
    (void)state;
    connected_to(&g_srv, 8101);
    /* connected, same host and port: OK at once, no second connection */
    assert_int_equal(g_port.connect(g_port.ctx, "127.0.0.1", 8101), XBL_MPSD_OK);
    assert_int_equal(g_port.recv(g_port.ctx, b, sizeof b), XBL_MPSD_E_WOULD_BLOCK);
    assert_int_equal(g_port.send(g_port.ctx, (const uint8_t *)"", 0), 0);
    assert_int_equal(g_port.send(g_port.ctx, (const uint8_t *)"hello", 5), 5);
    lwip_host_pump();
    assert_rx(&g_srv, "hello");
    lwip_host_server_push(&g_srv, "world", 5, 0, LWIP_HOST_KEEP);
    lwip_host_pump();
    assert_int_equal(g_port.recv(g_port.ctx, b, sizeof b), 5);
    assert_memory_equal(b, "world", 5);
    assert_int_equal(g_port.recv(g_port.ctx, b, sizeof b), XBL_MPSD_E_WOULD_BLOCK);
    assert_int_equal(lwip_host_server_count(&g_srv, LWIP_HOST_ACCEPTS), 1);
    g_port.close(g_port.ctx);
    g_port.close(g_port.ctx);
    assert_int_equal(g_port.send(g_port.ctx, (const uint8_t *)"x", 1), XBL_MPSD_E_IO);
    assert_int_equal(g_port.recv(g_port.ctx, b, sizeof b), XBL_MPSD_E_IO);
    assert_true(lwip_host_server_wait(&g_srv, LWIP_HOST_FINS, 1, TIMEOUT_MS));   /* FIN, not RST */
    assert_int_equal(lwip_host_server_count(&g_srv, LWIP_HOST_RESETS), 0);
    lwip_host_server_stop(&g_srv);
}

static void test_recv_small_cap_and_localhost(void **state)
{
    uint8_t b[4];
    int32_t n;
    (void)state;
    lwip_host_server_start(&g_srv, 8102);
    assert_int_equal(xbl_mpsd_port_lwip_init(&g_tcp, &g_port), XBL_MPSD_OK);
    assert_int_equal(connect_until("localhost", 8102), XBL_MPSD_OK);
    lwip_host_server_push(&g_srv, "0123456789", 10, 0, LWIP_HOST_KEEP);
    assert_int_equal(recv_until(b, 3), 3);
    assert_memory_equal(b, "012", 3);
    n = g_port.recv(g_port.ctx, b, 3);
    assert_int_equal(n, 3);
    assert_memory_equal(b, "345", 3);
    assert_int_equal(g_port.recv(g_port.ctx, b, 3), 3);
    assert_memory_equal(b, "678", 3);
    assert_int_equal(g_port.recv(g_port.ctx, b, 3), 1);
    assert_memory_equal(b, "9", 1);
    assert_int_equal(g_port.recv(g_port.ctx, b, 3), XBL_MPSD_E_WOULD_BLOCK);
    g_port.close(g_port.ctx);
    lwip_host_server_stop(&g_srv);
}

static void test_peer_close_gives_eof_then_reconnect(void **state)
{
    uint8_t b[8];
    (void)state;
    connected_to(&g_srv, 8103);
    lwip_host_server_push(&g_srv, "bye", 3, 0, LWIP_HOST_CLOSE);
    expect_bytes_then("bye", 3, XBL_MPSD_E_EOF);
    assert_int_equal(g_port.recv(g_port.ctx, b, sizeof b), XBL_MPSD_E_EOF);
    assert_int_equal(g_port.send(g_port.ctx, (const uint8_t *)"x", 1), XBL_MPSD_E_IO);
    /* same host and port after EOF: a fresh connection */
    assert_int_equal(g_port.connect(g_port.ctx, "127.0.0.1", 8103), XBL_MPSD_PENDING);
    assert_int_equal(connect_until("127.0.0.1", 8103), XBL_MPSD_OK);
    assert_true(lwip_host_server_wait(&g_srv, LWIP_HOST_ACCEPTS, 2, TIMEOUT_MS));
    assert_int_equal(g_port.send(g_port.ctx, (const uint8_t *)"again", 5), 5);
    lwip_host_pump();
    assert_rx(&g_srv, "again");
    g_port.close(g_port.ctx);
    lwip_host_server_stop(&g_srv);
}

static void test_idle_connection_closed_by_peer(void **state)
{
    (void)state;
    connected_to(&g_srv, 8104);
    lwip_host_server_end_now(&g_srv, LWIP_HOST_CLOSE);
    lwip_host_pump();
    /* nothing unread and the peer is gone: connect starts afresh */
    assert_int_equal(g_port.connect(g_port.ctx, "127.0.0.1", 8104), XBL_MPSD_PENDING);
    assert_int_equal(connect_until("127.0.0.1", 8104), XBL_MPSD_OK);
    assert_true(lwip_host_server_wait(&g_srv, LWIP_HOST_ACCEPTS, 2, TIMEOUT_MS));
    /* closed, but with unread data: still alive for connect (as the POSIX port) */
    lwip_host_server_push(&g_srv, "tail", 4, 0, LWIP_HOST_CLOSE);
    lwip_host_pump();
    lwip_host_pump();
    assert_int_equal(g_port.connect(g_port.ctx, "127.0.0.1", 8104), XBL_MPSD_OK);
    expect_bytes_then("tail", 4, XBL_MPSD_E_EOF);
    g_port.close(g_port.ctx);
    lwip_host_server_stop(&g_srv);
}

static void test_peer_reset(void **state)
{
    uint8_t b[8];
    (void)state;
    connected_to(&g_srv, 8105);
    lwip_host_server_push(&g_srv, "x", 1, 0, LWIP_HOST_ABORT);
    expect_bytes_then("x", 1, XBL_MPSD_E_IO);   /* bytes before the RST first */
    assert_int_equal(g_port.recv(g_port.ctx, b, sizeof b), XBL_MPSD_E_IO);
    assert_int_equal(g_port.send(g_port.ctx, (const uint8_t *)"x", 1), XBL_MPSD_E_IO);
    assert_int_equal(g_port.connect(g_port.ctx, "127.0.0.1", 8105), XBL_MPSD_PENDING);
    assert_int_equal(connect_until("127.0.0.1", 8105), XBL_MPSD_OK);
    g_port.close(g_port.ctx);
    g_port.close(g_port.ctx);
    lwip_host_server_stop(&g_srv);
}

static void test_reset_while_idle(void **state)
{
    (void)state;
    connected_to(&g_srv, 8106);
    lwip_host_server_end_now(&g_srv, LWIP_HOST_ABORT);
    lwip_host_pump();
    /* connect sees the reset: a fresh connection */
    assert_int_equal(g_port.connect(g_port.ctx, "127.0.0.1", 8106), XBL_MPSD_PENDING);
    assert_int_equal(connect_until("127.0.0.1", 8106), XBL_MPSD_OK);
    assert_true(lwip_host_server_wait(&g_srv, LWIP_HOST_ACCEPTS, 2, TIMEOUT_MS));
    /* so does send */
    lwip_host_server_end_now(&g_srv, LWIP_HOST_ABORT);
    lwip_host_pump();
    assert_int_equal(g_port.send(g_port.ctx, (const uint8_t *)"x", 1), XBL_MPSD_E_IO);
    assert_int_equal(g_port.send(g_port.ctx, (const uint8_t *)"x", 1), XBL_MPSD_E_IO);
    g_port.close(g_port.ctx);
    lwip_host_server_stop(&g_srv);
}

/* Closing with unread data still ends in order (FIN, not RST). */
static void test_close_with_unread_data(void **state)
{
    char longer[XBL_MPSD_PORT_LWIP_MAX_HOST + 2];
    (void)state;
    connected_to(&g_srv, 8112);
    lwip_host_server_push(&g_srv, "unread", 6, 0, LWIP_HOST_KEEP);
    lwip_host_pump();
    lwip_host_pump();
    g_port.close(g_port.ctx);
    assert_true(lwip_host_server_wait(&g_srv, LWIP_HOST_FINS, 1, TIMEOUT_MS));
    assert_int_equal(lwip_host_server_count(&g_srv, LWIP_HOST_RESETS), 0);
    /* a host too long, asked while connected: the connection goes too */
    assert_int_equal(connect_until("127.0.0.1", 8112), XBL_MPSD_OK);
    memset(longer, 'b', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(g_port.connect(g_port.ctx, longer, 8112), XBL_MPSD_E_CONNECT);
    assert_true(lwip_host_server_wait(&g_srv, LWIP_HOST_FINS, 2, TIMEOUT_MS));
    assert_int_equal(g_port.send(g_port.ctx, NULL, 0), XBL_MPSD_E_IO);
    lwip_host_server_stop(&g_srv);
}

/* No route (link down): tcp_connect fails at once, so does connect. */
static void test_connect_no_route(void **state)
{
    (void)state;
    assert_int_equal(xbl_mpsd_port_lwip_init(&g_tcp, &g_port), XBL_MPSD_OK);
    lwip_host_set_link(false);
    assert_int_equal(g_port.connect(g_port.ctx, "10.9.9.9", 80), XBL_MPSD_E_CONNECT);
    lwip_host_set_link(true);
    assert_int_equal(g_port.connect(g_port.ctx, "10.9.9.9", 80), XBL_MPSD_PENDING);
    g_port.close(g_port.ctx);
}

/* The receive queue is one pbuf chain, whose length is 16 bits: a pbuf
   that would overflow it is refused (lwIP keeps it and offers it again).
   Unreachable with Debian's TCP_WND of 65535, so the callback is fed
   directly. */
static void test_receive_queue_refuses_past_64k(void **state)
{
    struct pbuf *a, *b;
    (void)state;
    assert_int_equal(xbl_mpsd_port_lwip_init(&g_tcp, &g_port), XBL_MPSD_OK);
    lwip_host_lock();
    a = pbuf_alloc(PBUF_RAW, 40000, PBUF_RAM);
    b = pbuf_alloc(PBUF_RAW, 30000, PBUF_RAM);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(xbl_mpsd__lwip_on_recv(&g_tcp, NULL, a, ERR_OK), ERR_OK);
    assert_int_equal(xbl_mpsd__lwip_on_recv(&g_tcp, NULL, b, ERR_OK), ERR_MEM);
    assert_ptr_equal(g_tcp.rx, a);
    assert_int_equal(g_tcp.rx->tot_len, 40000);
    pbuf_realloc(b, 25535);   /* exactly fills the 16 bits */
    assert_int_equal(xbl_mpsd__lwip_on_recv(&g_tcp, NULL, b, ERR_OK), ERR_OK);
    assert_int_equal(g_tcp.rx->tot_len, 65535);
    (void)pbuf_free(g_tcp.rx);
    g_tcp.rx = NULL;
    lwip_host_unlock();
}

static void test_connect_to_closed_port(void **state)
{
    (void)state;
    assert_int_equal(xbl_mpsd_port_lwip_init(&g_tcp, &g_port), XBL_MPSD_OK);
    assert_int_equal(g_port.connect(g_port.ctx, "127.0.0.1", 8199), XBL_MPSD_PENDING);
    assert_int_equal(connect_until("127.0.0.1", 8199), XBL_MPSD_E_CONNECT);
    /* the failed attempt left the port closed: the next call starts afresh */
    assert_int_equal(g_port.connect(g_port.ctx, "127.0.0.1", 8199), XBL_MPSD_PENDING);
    assert_int_equal(connect_until("127.0.0.1", 8199), XBL_MPSD_E_CONNECT);
    g_port.close(g_port.ctx);
}

static void test_connect_unreachable_never_blocks(void **state)
{
    uint32_t drops = lwip_host_dropped(), start;
    int i;
    (void)state;
    assert_int_equal(xbl_mpsd_port_lwip_init(&g_tcp, &g_port), XBL_MPSD_OK);
    start = sys_now();
    for (i = 0; i < 50; i++) {
        assert_int_equal(g_port.connect(g_port.ctx, "10.9.9.9", 80), XBL_MPSD_PENDING);
        lwip_host_pump();
    }
    assert_true(sys_now() - start < 1000u);
    assert_true(lwip_host_dropped() > drops);   /* the SYN went to the "wire" */
    g_port.close(g_port.ctx);                   /* close while connecting */
    g_port.close(g_port.ctx);
}

static void test_other_host_or_port_drops_connection(void **state)
{
    (void)state;
    connected_to(&g_srv, 8107);
    lwip_host_server_start(&g_srv2, 8108);
    assert_int_equal(g_port.connect(g_port.ctx, "127.0.0.1", 8108), XBL_MPSD_PENDING);
    assert_int_equal(connect_until("127.0.0.1", 8108), XBL_MPSD_OK);
    assert_true(lwip_host_server_wait(&g_srv, LWIP_HOST_FINS, 1, TIMEOUT_MS));
    assert_true(lwip_host_server_wait(&g_srv2, LWIP_HOST_ACCEPTS, 1, TIMEOUT_MS));
    /* other spelling of the same address: a different host string, a new connection */
    assert_int_equal(g_port.connect(g_port.ctx, "localhost", 8108), XBL_MPSD_PENDING);
    assert_int_equal(connect_until("localhost", 8108), XBL_MPSD_OK);
    assert_true(lwip_host_server_wait(&g_srv2, LWIP_HOST_ACCEPTS, 2, TIMEOUT_MS));
    g_port.close(g_port.ctx);
    lwip_host_server_stop(&g_srv);
    lwip_host_server_stop(&g_srv2);
}

static size_t g_want_total;

static bool server_got_all(void *arg)
{
    (void)arg;
    return g_srv.rx_total == g_want_total;
}

/* Server not reading: the window closes, then our send buffer fills:
   WOULD_BLOCK, never 0. Once it reads again, sending goes on, and every
   byte arrives in order. */
static void test_send_buffer_full_then_progress(void **state)
{
    static uint8_t data[200000];
    static char got[LWIP_HOST_RX_CAP];
    size_t sent = 0, i;
    int32_t r = 0;
    int blocked = 0;
    (void)state;
    for (i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7u + i / 251u);
    connected_to(&g_srv, 8109);
    lwip_host_server_pause(&g_srv, true, 0);
    while (sent < sizeof data) {
        r = g_port.send(g_port.ctx, data + sent, sizeof data - sent);
        assert_int_not_equal(r, 0);
        if (r == XBL_MPSD_E_WOULD_BLOCK) {
            if (++blocked == 20) break;   /* stays blocked: nothing drains */
            lwip_host_pump();
            continue;
        }
        assert_true(r > 0);
        sent += (size_t)r;
        lwip_host_pump();
    }
    assert_int_equal(r, XBL_MPSD_E_WOULD_BLOCK);
    /* at least the peer's window plus some of our send buffer, at most both */
    assert_true(sent >= 65535u && sent <= 2u * 65535u + 1460u);
    lwip_host_server_pause(&g_srv, false, 0);
    send_all((const char *)data + sent, sizeof data - sent);
    g_want_total = sizeof data;
    assert_true(lwip_host_run_until(server_got_all, NULL, TIMEOUT_MS));
    assert_int_equal(lwip_host_server_rx(&g_srv, got, sizeof got), sizeof data);
    assert_memory_equal(got, data, sizeof data);
    g_port.close(g_port.ctx);
    lwip_host_server_stop(&g_srv);
}

/* More than the window flows through as the port reads. */
static void test_large_download(void **state)
{
    static char data[150000];
    static uint8_t got[sizeof data];
    size_t have = 0, i;
    (void)state;
    for (i = 0; i < sizeof data; i++) data[i] = (char)('a' + (i * 13u) % 26u);
    connected_to(&g_srv, 8110);
    lwip_host_server_push(&g_srv, data, sizeof data, 0, LWIP_HOST_CLOSE);
    while (have < sizeof data) {
        int32_t n = recv_until(got + have, 1000);
        assert_true(n > 0 && n <= 1000);
        have += (size_t)n;
    }
    assert_memory_equal(got, data, sizeof data);
    assert_int_equal(recv_until(got, 10), XBL_MPSD_E_EOF);
    g_port.close(g_port.ctx);
    lwip_host_server_stop(&g_srv);
}

typedef struct fake_resolver {
    int pending;     /* answer PENDING this many times first */
    xbl_mpsd_result answer;
    int calls;
    char last_host[64];
} fake_resolver;

static xbl_mpsd_result fake_resolve(void *user, const char *host, uint8_t ipv4[4])
{
    fake_resolver *f = (fake_resolver *)user;
    f->calls++;
    snprintf(f->last_host, sizeof f->last_host, "%s", host);
    if (f->pending > 0) { f->pending--; return XBL_MPSD_PENDING; }
    ipv4[0] = 127; ipv4[1] = 0; ipv4[2] = 0; ipv4[3] = 1;
    return f->answer;
}

static void test_resolver(void **state)
{
    fake_resolver f;
    (void)state;
    memset(&f, 0, sizeof f);
    f.pending = 2;
    f.answer = XBL_MPSD_OK;
    lwip_host_server_start(&g_srv, 8111);
    assert_int_equal(xbl_mpsd_port_lwip_init(&g_tcp, &g_port), XBL_MPSD_OK);
    xbl_mpsd_port_lwip_set_resolver(&g_tcp, fake_resolve, &f);
    assert_int_equal(g_port.connect(g_port.ctx, "mpsd.test", 8111), XBL_MPSD_PENDING);
    assert_int_equal(g_port.connect(g_port.ctx, "mpsd.test", 8111), XBL_MPSD_PENDING);
    assert_int_equal(f.calls, 2);
    assert_int_equal(g_port.connect(g_port.ctx, "mpsd.test", 8111), XBL_MPSD_PENDING);   /* answered: connecting */
    assert_int_equal(f.calls, 3);
    assert_int_equal(connect_until("mpsd.test", 8111), XBL_MPSD_OK);
    assert_int_equal(f.calls, 3);
    assert_string_equal(f.last_host, "mpsd.test");
    assert_true(lwip_host_server_wait(&g_srv, LWIP_HOST_ACCEPTS, 1, TIMEOUT_MS));
    /* numeric addresses never ask it */
    assert_int_equal(connect_until("127.0.0.1", 8111), XBL_MPSD_OK);
    assert_int_equal(f.calls, 3);
    g_port.close(g_port.ctx);

    f.answer = XBL_MPSD_E_FAIL;
    assert_int_equal(g_port.connect(g_port.ctx, "mpsd.test", 8111), XBL_MPSD_E_CONNECT);
    assert_int_equal(f.calls, 4);
    /* removed while a lookup is pending */
    f.pending = 1;
    assert_int_equal(g_port.connect(g_port.ctx, "mpsd.test", 8111), XBL_MPSD_PENDING);
    xbl_mpsd_port_lwip_set_resolver(&g_tcp, NULL, &f);
    assert_int_equal(g_port.connect(g_port.ctx, "mpsd.test", 8111), XBL_MPSD_E_CONNECT);
    assert_int_equal(f.calls, 5);
    g_port.close(g_port.ctx);
    xbl_mpsd_port_lwip_set_resolver(NULL, fake_resolve, &f);   /* ignored */
    lwip_host_server_stop(&g_srv);
}

/* ------------------------------------------------------------- the SDK */

#include "lwip_sdk_fixture.h"

static xbl_mpsd_client  g_client;
static xbl_mpsd_async   g_async;
static xbl_mpsd_session g_session;
static unsigned char    g_arena[16384];
static unsigned char    g_work[65536];
static char             g_resp[4096];

/* The client's port: the lwIP port, counting the recv calls that
   delivered bytes (how many pieces the SDK saw). */
static xbl_mpsd_port g_counted;
static unsigned      g_deliveries;

static int32_t counting_recv(void *ctx, uint8_t *buf, size_t cap)
{
    int32_t n = g_port.recv(ctx, buf, cap);
    if (n > 0) g_deliveries++;
    return n;
}


static void sdk_setup(uint16_t server_port)
{
    xbl_mpsd_client_config cfg;
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(SCID, TNAME, SNAME);
    assert_int_equal(xbl_mpsd_port_lwip_init(&g_tcp, &g_port), XBL_MPSD_OK);
    g_counted = g_port;
    g_counted.recv = counting_recv;
    g_deliveries = 0;
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &g_counted;
    cfg.xuid = XUID;
    cfg.auth = test_auth;
    cfg.host = "127.0.0.1";
    cfg.port_number = server_port;
    assert_int_equal(xbl_mpsd_client_init(&g_client, &cfg), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_init(&g_async, g_work, sizeof g_work), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_init(&g_session, XUID, &ref, NULL, g_arena, sizeof g_arena), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_join(&g_session, NULL, false, true), XBL_MPSD_OK);
}

static void sdk_teardown(void)
{
    xbl_mpsd_client_close(&g_client);
    lwip_host_server_stop(&g_srv);
}

static xbl_mpsd_result drive(void)
{
    uint32_t start = sys_now();
    xbl_mpsd_result r;
    for (;;) {
        r = xbl_mpsd_async_poll(&g_async);
        if (r != XBL_MPSD_PENDING || (uint32_t)(sys_now() - start) > TIMEOUT_MS) return r;
        lwip_host_pump();
    }
}

static const char *resp_cl(const char *status_line, const char *headers, const char *body)
{
    snprintf(g_resp, sizeof g_resp, "%s\r\n%sContent-Length: %u\r\n\r\n%s",
             status_line, headers, (unsigned)strlen(body), body);
    return g_resp;
}

static void expected_request(char *out, size_t cap, const char *method, uint16_t port,
                             const char *precondition, const char *body)
{
    char length[64] = "";
    if (strcmp(method, "PUT") == 0) snprintf(length, sizeof length, "Content-Length: %u\r\n", (unsigned)strlen(body));
    snprintf(out, cap,
             "%s %s HTTP/1.1\r\n"
             "Host: 127.0.0.1:%u\r\n"
             "x-xbl-contract-version: 107\r\n"
             "Content-Type: application/json; charset=utf-8\r\n"
             "%s"
             "User-Agent: xbl_mpsd/" XBL_MPSD_VERSION_STRING "\r\n"
             "%s"
             "Authorization: XBL3.0 x=1;tok\r\n"
             "Signature: sig\r\n"
             "\r\n%s", method, REF_PATH, (unsigned)port, length, precondition, body);
}

static void write_create_new(size_t piece, const char *resp)
{
    char want[4096];
    g_deliveries = 0;
    lwip_host_server_reply(&g_srv, resp, strlen(resp), piece, LWIP_HOST_KEEP);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session,
                     XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&g_async), 201);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_write_status(&g_session), XBL_MPSD_WRITE_SESSION_STATUS_CREATED);
    assert_string_equal(xbl_mpsd_session_etag(&g_session), "e201");
    assert_int_equal(xbl_mpsd_session_session_constants(&g_session)->max_members_in_session, 4);
    expected_request(want, sizeof want, "PUT", g_srv.port, "If-None-Match: *\r\n", JOIN_BODY);
    assert_rx(&g_srv, want);
}

static void test_sdk_write_content_length(void **state)
{
    (void)state;
    lwip_host_server_start(&g_srv, 8201);
    sdk_setup(8201);
    write_create_new(0, resp_cl("HTTP/1.1 201 Created", "ETag: e201\r\n", DOC));
    sdk_teardown();
}

/* One byte per TCP segment: as many deliveries as the response has bytes. */
static void test_sdk_write_one_byte_deliveries(void **state)
{
    (void)state;
    lwip_host_server_start(&g_srv, 8202);
    sdk_setup(8202);
    write_create_new(1, resp_cl("HTTP/1.1 201 Created", "ETag: e201\r\n", DOC));
    assert_int_equal(g_deliveries, strlen(g_resp));
    sdk_teardown();
}

static const char CHUNKED_200[] =
    "HTTP/1.1 200 OK\r\nETag: g1\r\nTransfer-Encoding: chunked\r\n\r\n"
    "10\r\n{\"constants\":{\"s\r\n"
    "2;ext=1\r\nys\r\n"
    "4b\r\ntem\":{\"visibility\":\"open\",\"maxMembersCount\":4}},\"properties\":{\"system\":{}}}\r\n"
    "0\r\n\r\n";

static void get_chunked(size_t piece)
{
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(SCID, TNAME, SNAME);
    char want[4096];
    lwip_host_server_reply(&g_srv, CHUNKED_200, strlen(CHUNKED_200), piece, LWIP_HOST_KEEP);
    assert_int_equal(xbl_mpsd_get_session_async(&g_client, &ref, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_http_status(&g_async), 200);
    assert_int_equal(xbl_mpsd_get_session_result(&g_async, &g_session), XBL_MPSD_OK);
    assert_string_equal(xbl_mpsd_session_etag(&g_session), "g1");
    assert_int_equal(xbl_mpsd_session_session_constants(&g_session)->max_members_in_session, 4);
    assert_int_equal(xbl_mpsd_session_session_constants(&g_session)->visibility, XBL_MPSD_SESSION_VISIBILITY_OPEN);
    expected_request(want, sizeof want, "GET", g_srv.port, "", "");
    assert_rx(&g_srv, want);
}

static void test_sdk_get_chunked_split(void **state)
{
    (void)state;
    lwip_host_server_start(&g_srv, 8203);
    sdk_setup(8203);
    get_chunked(7);
    assert_int_equal(g_deliveries, (sizeof CHUNKED_200 - 1 + 6) / 7);
    sdk_teardown();
    lwip_host_server_start(&g_srv, 8204);
    sdk_setup(8204);
    get_chunked(0);
    assert_int_equal(g_deliveries, 1);
    sdk_teardown();
}

/* Two exchanges over one kept-alive connection. */
static void test_sdk_keep_alive(void **state)
{
    (void)state;
    lwip_host_server_start(&g_srv, 8205);
    sdk_setup(8205);
    write_create_new(0, resp_cl("HTTP/1.1 201 Created", "ETag: e201\r\n", DOC));
    lwip_host_lock();
    g_srv.rx_len = 0;   /* compare the second request alone */
    g_srv.req_start = 0;
    lwip_host_unlock();
    get_chunked(5);
    assert_int_equal(lwip_host_server_count(&g_srv, LWIP_HOST_ACCEPTS), 1);
    assert_int_equal(lwip_host_server_count(&g_srv, LWIP_HOST_REQUESTS), 2);
    sdk_teardown();
}

/* The server closed the idle kept-alive connection: the SDK's request gets
   EOF before any byte and is sent again on a new connection. */
static void test_sdk_stale_keep_alive_reconnects(void **state)
{
    static char first[4096];
    (void)state;
    lwip_host_server_start(&g_srv, 8206);
    sdk_setup(8206);
    snprintf(first, sizeof first, "%s", resp_cl("HTTP/1.1 201 Created", "ETag: e201\r\n", DOC));
    lwip_host_server_reply(&g_srv, first, strlen(first), 0, LWIP_HOST_CLOSE);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session,
                     XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_OK);
    assert_true(lwip_host_server_wait(&g_srv, LWIP_HOST_REQUESTS, 1, TIMEOUT_MS));
    lwip_host_pump();
    lwip_host_pump();
    lwip_host_lock();
    g_srv.rx_len = 0;   /* compare the second request alone */
    g_srv.req_start = 0;
    lwip_host_unlock();
    get_chunked(0);
    assert_int_equal(lwip_host_server_count(&g_srv, LWIP_HOST_ACCEPTS), 2);
    assert_int_equal(lwip_host_server_count(&g_srv, LWIP_HOST_REQUESTS), 2);
    sdk_teardown();
}

static void test_sdk_peer_close_mid_body(void **state)
{
    const char *resp;
    (void)state;
    lwip_host_server_start(&g_srv, 8207);
    sdk_setup(8207);
    resp = resp_cl("HTTP/1.1 200 OK", "ETag: e\r\n", DOC);
    lwip_host_server_reply(&g_srv, resp, strlen(resp) - 20, 9, LWIP_HOST_CLOSE);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session,
                     XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(), XBL_MPSD_E_CONNECTION_CLOSED);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_E_CONNECTION_CLOSED);
    assert_int_equal(lwip_host_server_count(&g_srv, LWIP_HOST_ACCEPTS), 1);   /* no resend after a byte */
    sdk_teardown();
}

static void test_sdk_peer_reset_mid_body(void **state)
{
    const char *resp;
    (void)state;
    lwip_host_server_start(&g_srv, 8208);
    sdk_setup(8208);
    resp = resp_cl("HTTP/1.1 200 OK", "ETag: e\r\n", DOC);
    lwip_host_server_reply(&g_srv, resp, strlen(resp) - 20, 9, LWIP_HOST_ABORT);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session,
                     XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(), XBL_MPSD_E_IO);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_E_IO);
    assert_int_equal(lwip_host_server_count(&g_srv, LWIP_HOST_ACCEPTS), 1);
    sdk_teardown();
}

static void test_sdk_connect_to_closed_port(void **state)
{
    (void)state;
    sdk_setup(8299);
    assert_int_equal(xbl_mpsd_write_session_async(&g_client, &g_session,
                     XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &g_async), XBL_MPSD_OK);
    assert_int_equal(drive(), XBL_MPSD_E_CONNECT);
    assert_int_equal(xbl_mpsd_write_session_result(&g_async, &g_session), XBL_MPSD_E_CONNECT);
    xbl_mpsd_client_close(&g_client);
}

/* The kept-alive connection's send buffer is full (the server stopped
   reading): the next request stays PENDING without sending, then goes out
   and completes once the server reads again. */
static void test_sdk_send_buffer_full(void **state)
{
    static uint8_t filler[200000];
    char want[4096];
    static char got[LWIP_HOST_RX_CAP];
    size_t filled = 0, n;
    int32_t r;
    int i, blocked = 0;
    xbl_mpsd_session_reference ref = xbl_mpsd_session_reference_create(SCID, TNAME, SNAME);
    (void)state;
    memset(filler, 'F', sizeof filler);
    lwip_host_server_start(&g_srv, 8209);
    sdk_setup(8209);
    write_create_new(0, resp_cl("HTTP/1.1 201 Created", "ETag: e201\r\n", DOC));
    lwip_host_server_pause(&g_srv, true, 0);
    while (blocked < 10 && filled < sizeof filler) {
        r = g_port.send(g_port.ctx, filler + filled, sizeof filler - filled);
        if (r == XBL_MPSD_E_WOULD_BLOCK) blocked++;
        else { assert_true(r > 0); filled += (size_t)r; }
        lwip_host_pump();
    }
    assert_int_equal(blocked, 10);
    lwip_host_server_reply(&g_srv, CHUNKED_200, strlen(CHUNKED_200), 0, LWIP_HOST_KEEP);
    assert_int_equal(xbl_mpsd_get_session_async(&g_client, &ref, &g_async), XBL_MPSD_OK);
    for (i = 0; i < 20; i++) {
        assert_int_equal(xbl_mpsd_async_poll(&g_async), XBL_MPSD_PENDING);
        lwip_host_pump();
    }
    assert_int_equal(lwip_host_server_count(&g_srv, LWIP_HOST_REQUESTS), 1);
    lwip_host_server_pause(&g_srv, false, filled);
    assert_int_equal(drive(), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_get_session_result(&g_async, &g_session), XBL_MPSD_OK);
    assert_string_equal(xbl_mpsd_session_etag(&g_session), "g1");
    assert_int_equal(lwip_host_server_count(&g_srv, LWIP_HOST_REQUESTS), 2);
    assert_int_equal(lwip_host_server_count(&g_srv, LWIP_HOST_ACCEPTS), 1);
    /* the log: first request, the filler, then the second request exactly */
    expected_request(want, sizeof want, "GET", 8209, "", "");
    n = lwip_host_server_rx(&g_srv, got, sizeof got);
    assert_true(n > filled + strlen(want));
    assert_memory_equal(got + n - strlen(want), want, strlen(want));
    assert_int_equal(got[n - strlen(want) - 1], 'F');
    sdk_teardown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_init_and_args, teardown),
        cmocka_unit_test_teardown(test_sizes, teardown),
        cmocka_unit_test_teardown(test_now_ms_is_lwip_clock, teardown),
        cmocka_unit_test_teardown(test_exchange_and_close, teardown),
        cmocka_unit_test_teardown(test_recv_small_cap_and_localhost, teardown),
        cmocka_unit_test_teardown(test_peer_close_gives_eof_then_reconnect, teardown),
        cmocka_unit_test_teardown(test_idle_connection_closed_by_peer, teardown),
        cmocka_unit_test_teardown(test_peer_reset, teardown),
        cmocka_unit_test_teardown(test_reset_while_idle, teardown),
        cmocka_unit_test_teardown(test_close_with_unread_data, teardown),
        cmocka_unit_test_teardown(test_connect_no_route, teardown),
        cmocka_unit_test_teardown(test_receive_queue_refuses_past_64k, teardown),
        cmocka_unit_test_teardown(test_connect_to_closed_port, teardown),
        cmocka_unit_test_teardown(test_connect_unreachable_never_blocks, teardown),
        cmocka_unit_test_teardown(test_other_host_or_port_drops_connection, teardown),
        cmocka_unit_test_teardown(test_send_buffer_full_then_progress, teardown),
        cmocka_unit_test_teardown(test_large_download, teardown),
        cmocka_unit_test_teardown(test_resolver, teardown),
        cmocka_unit_test_teardown(test_sdk_write_content_length, teardown),
        cmocka_unit_test_teardown(test_sdk_write_one_byte_deliveries, teardown),
        cmocka_unit_test_teardown(test_sdk_get_chunked_split, teardown),
        cmocka_unit_test_teardown(test_sdk_keep_alive, teardown),
        cmocka_unit_test_teardown(test_sdk_stale_keep_alive_reconnects, teardown),
        cmocka_unit_test_teardown(test_sdk_peer_close_mid_body, teardown),
        cmocka_unit_test_teardown(test_sdk_peer_reset_mid_body, teardown),
        cmocka_unit_test_teardown(test_sdk_connect_to_closed_port, teardown),
        cmocka_unit_test_teardown(test_sdk_send_buffer_full, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
