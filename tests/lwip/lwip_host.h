/* lwip_host.h - run lwIP in-process on the host for tests: no root, no tap
   device, no network. Test code only (it uses lwIP's sys_arch, i.e. the
   C library's malloc and pthreads, through Debian's liblwip).

   Include it in exactly one translation unit of a test program (everything
   is static; the API functions are static inline so that a program may use
   any part of it without unused-function warnings); build with `pkg-config --cflags --libs lwip` and, under
   -std=c99, -D_POSIX_C_SOURCE=200809L (lwIP's arch.h needs SSIZE_MAX).

   THE STACK
   Debian's liblwip is built with NO_SYS 0 and LWIP_TCPIP_CORE_LOCKING 1:
   lwIP runs its own tcpip thread (timers, loopback input, all callbacks).
   lwip_host_init() starts it (tcpip_init) and adds one netif, "lh",
   127.0.0.1/8, up, default. Debian builds LWIP_NETIF_LOOPBACK 1 with
   LWIP_HAVE_LOOPIF 0, so every packet to 127.x.x.x (or to the netif's own
   address) goes through lwIP's loopback queue on that netif: a client and
   a server in the same stack talk TCP to each other. Packets to any other
   address are dropped by the netif (counted in lwip_host_dropped()).
   The test thread is the only other thread. It may call lwIP's raw API
   only between lwip_host_lock() and lwip_host_unlock() (the library
   aborts with "Function called without core lock" otherwise); ports under
   test take that lock themselves, so never call a port while holding it.

   PUMPING
   lwip_host_pump() is one step of the world: it runs every server's step
   on the tcpip thread (the next piece of a reply, a pending close/abort),
   then waits until lwIP has processed everything queued before it
   (loopback packets, callbacks), so what a server sent in that step has
   reached the client's pcb when pump returns. Timers (delayed ACKs,
   retransmissions, TIME_WAIT) run on lwIP's own clock in its thread.
   A test loop is: call the code under test, lwip_host_pump(), repeat,
   with a deadline (lwip_host_run_until).

   THE SCRIPTED SERVER
   lwip_host_server_start(&s, port) listens on 0.0.0.0:port. It accepts
   connections one at a time (a new one closes the previous one), logs
   every byte it receives in s.rx (in order, all connections; LWIP_HOST_RX_CAP
   bytes kept, the rest counted in s.rx_total), and splits the log into
   HTTP/1.1 requests (header block, then Content-Length body bytes).
   Replies:
     lwip_host_server_reply(&s, data, len, piece, end)
         queues a reply sent when the next complete request has arrived;
     lwip_host_server_push(&s, data, len, piece, end)
         starts sending now (unsolicited bytes, e.g. a response before the
         request was read).
   data is not copied (keep it alive). It goes out `piece` bytes per pump
   step (0: as much as the send buffer takes), each piece its own
   tcp_write + tcp_output, hence its own TCP segment: the client sees the
   response split across that many deliveries. After the last byte, the
   `end` action: LWIP_HOST_KEEP (keep-alive), LWIP_HOST_CLOSE (FIN: an
   orderly close, e.g. mid-body when len is cut short) or LWIP_HOST_ABORT
   (tcp_abort: RST). lwip_host_server_end_now() does an end action at once.
   lwip_host_server_pause(&s, true) stops consuming: received bytes are
   still logged but not acknowledged to the window (no tcp_recved), so the
   peer's window closes after TCP_WND bytes and its send buffer fills up;
   pause(false) reopens the window, first skipping `skip` logged bytes
   (e.g. filler sent only to fill the pipe) before request parsing resumes.
   Counters: accepts, fins (peer closed), resets (error callback on the
   connection), requests (complete requests seen). Read any field of the
   server under lwip_host_lock(), or through the helpers below.
   Custom peers (e.g. a TLS server, see tests/lwip/test_lwip_tls.c): under
   lwip_host_lock(), read what arrived from s.rx[0..rx_len) (keep your own
   offset) and write with tcp_write(s.conn, ..., TCP_WRITE_FLAG_COPY) +
   tcp_output(s.conn); s.conn is NULL once the connection is gone. Queue no
   replies then: request parsing only counts.
   A connect to a port nobody listens on is answered by lwIP with a RST:
   that is the "closed port" case; no server needed.

   API
     void     lwip_host_init(void);                  idempotent, once per process
     void     lwip_host_lock(void), lwip_host_unlock(void);
     void     lwip_host_pump(void);
     bool     lwip_host_run_until(bool (*done)(void *), void *arg, uint32_t timeout_ms);
                  pumps until done(arg) (called under the lock) or timeout
     uint32_t lwip_host_dropped(void);
     void     lwip_host_set_link(bool up);            down: no route except loopback
     void     lwip_host_server_start(lwip_host_server *, uint16_t port);
     void     lwip_host_server_stop(lwip_host_server *);   aborts its connection
     void     lwip_host_server_reply / _push (see above)
     void     lwip_host_server_end_now(lwip_host_server *, lwip_host_end);
     void     lwip_host_server_pause(lwip_host_server *, bool paused, size_t skip);
     size_t   lwip_host_server_rx(lwip_host_server *, char *out, size_t cap);  copy of the log
     unsigned lwip_host_server_count(lwip_host_server *, lwip_host_counter);
     bool     lwip_host_server_wait(lwip_host_server *, lwip_host_counter, unsigned at_least, uint32_t timeout_ms);
*/
#ifndef LWIP_HOST_H
#define LWIP_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/opt.h"
#include "lwip/init.h"
#include "lwip/tcpip.h"
#include "lwip/tcp.h"
#include "lwip/netif.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"

#ifndef LWIP_HOST_RX_CAP
#define LWIP_HOST_RX_CAP (256u * 1024u)
#endif
#define LWIP_HOST_MAX_SERVERS 8
#define LWIP_HOST_MAX_REPLIES 8

typedef enum lwip_host_end { LWIP_HOST_KEEP = 0, LWIP_HOST_CLOSE, LWIP_HOST_ABORT } lwip_host_end;
typedef enum lwip_host_counter {
    LWIP_HOST_ACCEPTS, LWIP_HOST_FINS, LWIP_HOST_RESETS, LWIP_HOST_REQUESTS
} lwip_host_counter;

typedef struct lwip_host_reply {
    const char   *data;
    size_t        len;
    size_t        piece;
    lwip_host_end end;
} lwip_host_reply;

typedef struct lwip_host_server {
    struct tcp_pcb *listener;
    struct tcp_pcb *conn;          /* the current connection, NULL when none */
    uint16_t        port;
    lwip_host_reply queue[LWIP_HOST_MAX_REPLIES];   /* replies waiting for requests */
    size_t          queued, next;
    lwip_host_reply out;           /* being sent */
    size_t          out_sent;
    bool            sending;
    bool            end_pending;   /* out fully written, end action not done yet */
    bool            paused;
    size_t          unacked;       /* bytes received while paused, not yet tcp_recved */
    char            rx[LWIP_HOST_RX_CAP];
    size_t          rx_len;        /* bytes kept in rx */
    size_t          rx_total;      /* bytes received (rx_total > rx_len: log overflowed) */
    size_t          req_start;     /* where the request being parsed starts in rx */
    unsigned        accepts, fins, resets, requests;
} lwip_host_server;

static struct netif      lwip_host__netif;
static bool              lwip_host__ready;
static sys_sem_t         lwip_host__sem;
static uint32_t          lwip_host__drops;
static lwip_host_server *lwip_host__servers[LWIP_HOST_MAX_SERVERS];

static inline void lwip_host__die(const char *what)
{
    fprintf(stderr, "lwip_host: %s\n", what);
    abort();
}

/* ------------------------------------------------------------- the stack */

static err_t lwip_host__drop4(struct netif *n, struct pbuf *p, const ip4_addr_t *dst)
{
    (void)n; (void)p; (void)dst;
    lwip_host__drops++;
    return ERR_OK;   /* lost on the "wire", like an unreachable host */
}

#if LWIP_IPV6
static err_t lwip_host__drop6(struct netif *n, struct pbuf *p, const ip6_addr_t *dst)
{
    (void)n; (void)p; (void)dst;
    lwip_host__drops++;
    return ERR_OK;
}
#endif

static err_t lwip_host__netif_init(struct netif *n)
{
    n->name[0] = 'l';
    n->name[1] = 'h';
    n->mtu = 1500;
    n->output = lwip_host__drop4;   /* loopback traffic never gets here */
#if LWIP_IPV6
    n->output_ip6 = lwip_host__drop6;
#endif
    return ERR_OK;
}

static inline void lwip_host_lock(void) { LOCK_TCPIP_CORE(); }
static inline void lwip_host_unlock(void) { UNLOCK_TCPIP_CORE(); }

static inline void lwip_host_init(void)
{
    ip4_addr_t ip, mask, gw;
    if (lwip_host__ready) return;
    tcpip_init(NULL, NULL);
    if (sys_sem_new(&lwip_host__sem, 0) != ERR_OK) lwip_host__die("sys_sem_new");
    IP4_ADDR(&ip, 127, 0, 0, 1);
    IP4_ADDR(&mask, 255, 0, 0, 0);
    IP4_ADDR(&gw, 0, 0, 0, 0);
    lwip_host_lock();
    if (netif_add(&lwip_host__netif, &ip, &mask, &gw, NULL, lwip_host__netif_init, tcpip_input) == NULL)
        lwip_host__die("netif_add");
    netif_set_default(&lwip_host__netif);
    netif_set_link_up(&lwip_host__netif);
    netif_set_up(&lwip_host__netif);
    lwip_host_unlock();
    lwip_host__ready = true;
}

/* Link down: only loopback traffic is routed; anything else has no route
   (tcp_connect fails with ERR_RTE). */
static inline void lwip_host_set_link(bool up)
{
    lwip_host_lock();
    if (up) netif_set_link_up(&lwip_host__netif);
    else netif_set_link_down(&lwip_host__netif);
    lwip_host_unlock();
}

static inline uint32_t lwip_host_dropped(void)
{
    uint32_t n;
    lwip_host_lock();
    n = lwip_host__drops;
    lwip_host_unlock();
    return n;
}

/* ------------------------------------------------------ the server: input */

static inline bool lwip_host__ieq_prefix(const char *s, const char *prefix)
{
    for (; *prefix != '\0'; s++, prefix++) {
        char a = *s, b = *prefix;
        if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
        if (a != b) return false;
    }
    return true;
}

/* Content-Length of the header block rx[from, end), 0 when absent. */
static inline size_t lwip_host__content_length(const char *h, size_t n)
{
    size_t i, v = 0;
    for (i = 0; i + 16 <= n; i++) {
        if ((i == 0 || h[i - 1] == '\n') && lwip_host__ieq_prefix(h + i, "content-length:")) {
            i += 15;
            while (i < n && h[i] == ' ') i++;
            while (i < n && h[i] >= '0' && h[i] <= '9') v = v * 10u + (size_t)(h[i++] - '0');
            return v;
        }
    }
    return 0;
}

static inline void lwip_host__start_out(lwip_host_server *s, const lwip_host_reply *r)
{
    s->out = *r;
    s->out_sent = 0;
    s->sending = true;
    s->end_pending = false;
}

/* Core lock held. Counts the complete requests in the log and answers
   them with queued replies, in order. */
static inline void lwip_host__parse(lwip_host_server *s)
{
    for (;;) {
        const char *h = s->rx + s->req_start;
        size_t avail = s->rx_len - s->req_start, i, end = 0;
        for (i = 0; i + 4 <= avail; i++)
            if (memcmp(h + i, "\r\n\r\n", 4) == 0) { end = i + 4; break; }
        if (end == 0) return;
        end += lwip_host__content_length(h, end);
        if (end > avail) return;
        s->req_start += end;
        s->requests++;
        if (s->next < s->queued && !s->sending) lwip_host__start_out(s, &s->queue[s->next++]);
    }
}

static inline void lwip_host__log(lwip_host_server *s, const struct pbuf *p)
{
    size_t room = LWIP_HOST_RX_CAP - s->rx_len;
    size_t n = p->tot_len < room ? p->tot_len : room;
    (void)pbuf_copy_partial(p, s->rx + s->rx_len, (u16_t)n, 0);
    s->rx_len += n;
    s->rx_total += p->tot_len;
}

static inline void lwip_host__detach(struct tcp_pcb *pcb)
{
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_err(pcb, NULL);
}

static err_t lwip_host__on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    lwip_host_server *s = (lwip_host_server *)arg;
    (void)err;
    if (p == NULL) {   /* the client closed: close our side too, like an HTTP server */
        s->fins++;
        lwip_host__detach(pcb);
        if (tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
        if (s->conn == pcb) { s->conn = NULL; s->sending = false; s->end_pending = false; }
        return ERR_OK;
    }
    lwip_host__log(s, p);
    if (s->paused) s->unacked += p->tot_len;
    else tcp_recved(pcb, p->tot_len);
    (void)pbuf_free(p);
    if (!s->paused) lwip_host__parse(s);
    return ERR_OK;
}

static inline void lwip_host__on_err(void *arg, err_t err)
{
    lwip_host_server *s = (lwip_host_server *)arg;
    (void)err;
    s->resets++;
    s->conn = NULL;
    s->sending = false;
    s->end_pending = false;
}

static err_t lwip_host__on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    lwip_host_server *s = (lwip_host_server *)arg;
    if (err != ERR_OK || pcb == NULL) return ERR_VAL;
    if (s->conn != NULL) {   /* one connection at a time: the newest wins */
        lwip_host__detach(s->conn);
        if (tcp_close(s->conn) != ERR_OK) tcp_abort(s->conn);
    }
    s->conn = pcb;
    s->accepts++;
    s->sending = false;
    s->end_pending = false;
    s->req_start = s->rx_len;
    tcp_arg(pcb, s);
    tcp_recv(pcb, lwip_host__on_recv);
    tcp_err(pcb, lwip_host__on_err);
    tcp_nagle_disable(pcb);   /* every piece leaves at once */
    return ERR_OK;
}

/* ----------------------------------------------------- the server: output */

/* Core lock held. */
static inline void lwip_host__end(lwip_host_server *s, lwip_host_end how)
{
    struct tcp_pcb *pcb = s->conn;
    s->sending = false;
    s->end_pending = false;
    if (pcb == NULL || how == LWIP_HOST_KEEP) return;
    lwip_host__detach(pcb);
    s->conn = NULL;
    if (how == LWIP_HOST_ABORT || tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
}

/* Core lock held (tcpip thread). One piece of the reply, or its end. */
static inline void lwip_host__step(lwip_host_server *s)
{
    size_t n;
    if (s->conn == NULL) { s->sending = false; return; }
    if (s->end_pending) {
        if (s->conn->unsent == NULL) lwip_host__end(s, s->out.end);   /* data out first */
        return;
    }
    if (!s->sending) return;
    n = s->out.len - s->out_sent;
    if (s->out.piece != 0 && n > s->out.piece) n = s->out.piece;
    if (n > tcp_sndbuf(s->conn)) n = tcp_sndbuf(s->conn);
    if (n > 0 && tcp_write(s->conn, s->out.data + s->out_sent, (u16_t)n, TCP_WRITE_FLAG_COPY) == ERR_OK) {
        s->out_sent += n;
        (void)tcp_output(s->conn);
    }
    if (s->out_sent == s->out.len) {
        s->sending = false;
        s->end_pending = true;
    }
}

static inline void lwip_host__tick(void *arg)
{
    int i;
    (void)arg;
    for (i = 0; i < LWIP_HOST_MAX_SERVERS; i++)
        if (lwip_host__servers[i] != NULL) lwip_host__step(lwip_host__servers[i]);
    sys_sem_signal(&lwip_host__sem);
}

static inline void lwip_host__barrier_fn(void *arg)
{
    (void)arg;
    sys_sem_signal(&lwip_host__sem);
}

/* Runs fn on the tcpip thread behind everything already queued there. */
static inline void lwip_host__barrier(tcpip_callback_fn fn)
{
    if (tcpip_callback(fn, NULL) != ERR_OK) lwip_host__die("tcpip_callback");
    (void)sys_arch_sem_wait(&lwip_host__sem, 0);
}

static inline void lwip_host_pump(void)
{
    lwip_host__barrier(lwip_host__tick);
    lwip_host__barrier(lwip_host__barrier_fn);
}

static inline bool lwip_host_run_until(bool (*done)(void *), void *arg, uint32_t timeout_ms)
{
    uint32_t start = sys_now();
    for (;;) {
        bool ok;
        lwip_host_lock();
        ok = done(arg);
        lwip_host_unlock();
        if (ok) return true;
        if ((uint32_t)(sys_now() - start) > timeout_ms) return false;
        lwip_host_pump();
    }
}

/* ------------------------------------------------------ the server: API */

static inline void lwip_host_server_start(lwip_host_server *s, uint16_t port)
{
    struct tcp_pcb *pcb, *l;
    err_t err = ERR_OK;
    int i;
    memset(s, 0, sizeof *s);
    s->port = port;
    lwip_host_lock();
    pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (pcb == NULL) lwip_host__die("tcp_new");
    ip_set_option(pcb, SOF_REUSEADDR);
    if (tcp_bind(pcb, IP4_ADDR_ANY, port) != ERR_OK) lwip_host__die("tcp_bind");
    l = tcp_listen_with_backlog_and_err(pcb, 4, &err);
    if (l == NULL) lwip_host__die("tcp_listen");
    s->listener = l;
    tcp_arg(l, s);
    tcp_accept(l, lwip_host__on_accept);
    for (i = 0; i < LWIP_HOST_MAX_SERVERS && lwip_host__servers[i] != NULL; i++) {}
    if (i == LWIP_HOST_MAX_SERVERS) lwip_host__die("too many servers");
    lwip_host__servers[i] = s;
    lwip_host_unlock();
}

static inline void lwip_host_server_stop(lwip_host_server *s)
{
    int i;
    lwip_host_lock();
    for (i = 0; i < LWIP_HOST_MAX_SERVERS; i++)
        if (lwip_host__servers[i] == s) lwip_host__servers[i] = NULL;
    if (s->conn != NULL) lwip_host__end(s, LWIP_HOST_ABORT);
    if (s->listener != NULL) {
        tcp_arg(s->listener, NULL);
        tcp_accept(s->listener, NULL);
        if (tcp_close(s->listener) != ERR_OK) lwip_host__die("tcp_close(listener)");
        s->listener = NULL;
    }
    lwip_host_unlock();
}

static inline void lwip_host_server_reply(lwip_host_server *s, const char *data, size_t len, size_t piece, lwip_host_end end)
{
    lwip_host_reply r;
    r.data = data; r.len = len; r.piece = piece; r.end = end;
    lwip_host_lock();
    if (s->queued == LWIP_HOST_MAX_REPLIES) lwip_host__die("too many replies");
    s->queue[s->queued++] = r;
    lwip_host__parse(s);   /* the request may already be there */
    lwip_host_unlock();
}

static inline void lwip_host_server_push(lwip_host_server *s, const char *data, size_t len, size_t piece, lwip_host_end end)
{
    lwip_host_reply r;
    r.data = data; r.len = len; r.piece = piece; r.end = end;
    lwip_host_lock();
    lwip_host__start_out(s, &r);
    lwip_host_unlock();
}

static inline void lwip_host_server_end_now(lwip_host_server *s, lwip_host_end how)
{
    lwip_host_lock();
    lwip_host__end(s, how);
    lwip_host_unlock();
}

static inline void lwip_host_server_pause(lwip_host_server *s, bool paused, size_t skip)
{
    lwip_host_lock();
    s->paused = paused;
    if (!paused) {
        s->req_start += skip;
        if (s->req_start > s->rx_len) s->req_start = s->rx_len;
        while (s->conn != NULL && s->unacked > 0) {
            u16_t n = (u16_t)(s->unacked > 0xFFFFu ? 0xFFFFu : s->unacked);
            tcp_recved(s->conn, n);
            s->unacked -= n;
        }
        s->unacked = 0;
        lwip_host__parse(s);
    }
    lwip_host_unlock();
}

static inline size_t lwip_host_server_rx(lwip_host_server *s, char *out, size_t cap)
{
    size_t n;
    lwip_host_lock();
    n = s->rx_len < cap ? s->rx_len : cap;
    memcpy(out, s->rx, n);
    lwip_host_unlock();
    return n;
}

static inline unsigned lwip_host__counter(const lwip_host_server *s, lwip_host_counter c)
{
    switch (c) {
    case LWIP_HOST_ACCEPTS: return s->accepts;
    case LWIP_HOST_FINS: return s->fins;
    case LWIP_HOST_RESETS: return s->resets;
    default: return s->requests;
    }
}

static inline unsigned lwip_host_server_count(lwip_host_server *s, lwip_host_counter c)
{
    unsigned n;
    lwip_host_lock();
    n = lwip_host__counter(s, c);
    lwip_host_unlock();
    return n;
}

typedef struct lwip_host__wait_arg {
    lwip_host_server *s;
    lwip_host_counter c;
    unsigned at_least;
} lwip_host__wait_arg;

static inline bool lwip_host__count_reached(void *arg)
{
    const lwip_host__wait_arg *w = (const lwip_host__wait_arg *)arg;
    return lwip_host__counter(w->s, w->c) >= w->at_least;
}

static inline bool lwip_host_server_wait(lwip_host_server *s, lwip_host_counter c, unsigned at_least, uint32_t timeout_ms)
{
    lwip_host__wait_arg w;
    w.s = s; w.c = c; w.at_least = at_least;
    return lwip_host_run_until(lwip_host__count_reached, &w, timeout_ms);
}

#endif /* LWIP_HOST_H */
