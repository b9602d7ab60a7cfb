/* peer_lwip.h - the conformance peer (peer.py's scenarios) inside an lwIP
   stack, for ports whose stack cannot reach the host's sockets: lwIP
   running in-process on tests/lwip/lwip_host.h, or a device that runs lwIP
   and the suite together.

   Include it in the one translation unit that includes lwip_host.h (it uses
   the raw API and runs in lwIP's tcpip thread through its callbacks and
   sys_timeout). peer_lwip_start(base) listens on base + offset for each
   scenario of conformance.h, on every address of the stack, with these
   differences from peer.py:
   - refused:   nothing listens; lwIP answers the SYN with a RST.
   - no-answer: lwIP cannot hold a handshake open (Debian builds it without
                TCP_LISTEN_BACKLOG), so the adapter sends that scenario to
                an address the test netif drops (conformance_adapter
                .no_answer_host); nothing listens here.
   - mute:      the same as silence (no TLS here).
   Every connection's outgoing bytes go through one ring of PEER_LWIP_RING
   bytes. Echoed bytes are acknowledged to the window (tcp_recved) only once
   they are written back, so a client that stops reading stops the peer
   reading too: backpressure, as with a real echo server.
*/
#ifndef PEER_LWIP_H
#define PEER_LWIP_H

#include "conformance.h"

#define PEER_LWIP_MAX_CONNS 16
#define PEER_LWIP_RING (128u * 1024u)   /* > TCP_WND: what the window lets in always fits */

#if TCP_WND > PEER_LWIP_RING
#error "peer_lwip.h: PEER_LWIP_RING must hold a whole TCP window"
#endif

typedef struct peer_lwip_conn {
    struct tcp_pcb *pcb;             /* NULL: slot free */
    int       scenario;
    uint8_t   ring[PEER_LWIP_RING];   /* bytes to send */
    size_t    head, used;
    size_t    owed;                  /* echoed bytes written out but not yet tcp_recved */
    bool      stalled;               /* stall: reading paused for now */
    bool      close_when_sent;       /* orderly close once the ring is empty */
    uint8_t   phase;                 /* delayed: parts sent so far */
    char      tag[9];                /* ident: "id%06d" */
} peer_lwip_conn;

typedef struct peer_lwip {
    struct tcp_pcb *listeners[CONFORMANCE_SCENARIOS];
    peer_lwip_conn  conns[PEER_LWIP_MAX_CONNS];
    unsigned        accepted;
    uint8_t         greeting[CONFORMANCE_GREETING_LEN];
} peer_lwip;

static peer_lwip peer_lwip_state;

/* ---------------------------------------------------------------- sending */

static void peer_lwip__put(peer_lwip_conn *c, const uint8_t *data, size_t len)
{
    while (len > 0 && c->used < PEER_LWIP_RING) {
        c->ring[(c->head + c->used) % PEER_LWIP_RING] = *data++;
        c->used++;
        len--;
    }
}

static void peer_lwip__forget(peer_lwip_conn *c);

/* Writes what the send buffer takes; echo bytes then reopen the window. */
static void peer_lwip__flush(peer_lwip_conn *c)
{
    bool wrote = false;
    while (c->pcb != NULL && c->used > 0 && !c->stalled) {
        size_t n = PEER_LWIP_RING - c->head;   /* contiguous part */
        size_t room = tcp_sndbuf(c->pcb);
        if (n > c->used) n = c->used;
        if (n > room) n = room;
        if (n > 0xFFFFu) n = 0xFFFFu;
        if (n == 0 || tcp_write(c->pcb, c->ring + c->head, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK) break;
        c->head = (c->head + n) % PEER_LWIP_RING;
        c->used -= n;
        wrote = true;
        if (c->scenario == CONFORMANCE_ECHO || c->scenario == CONFORMANCE_STALL) c->owed += n;
    }
    while (c->pcb != NULL && c->owed > 0) {
        u16_t k = (u16_t)(c->owed > 0xFFFFu ? 0xFFFFu : c->owed);
        tcp_recved(c->pcb, k);
        c->owed -= k;
    }
    if (wrote && c->pcb != NULL) (void)tcp_output(c->pcb);
    if (c->pcb != NULL && c->used == 0 && c->close_when_sent) {
        struct tcp_pcb *pcb = c->pcb;
        peer_lwip__forget(c);
        if (tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
    }
}

/* ------------------------------------------------------------- callbacks */

static void peer_lwip__timer(void *arg);

/* Detaches the slot from its pcb (which the caller closes or lwIP freed). */
static void peer_lwip__forget(peer_lwip_conn *c)
{
    sys_untimeout(peer_lwip__timer, c);
    if (c->pcb != NULL) {
        tcp_arg(c->pcb, NULL);
        tcp_recv(c->pcb, NULL);
        tcp_sent(c->pcb, NULL);
        tcp_err(c->pcb, NULL);
    }
    c->pcb = NULL;
}

static err_t peer_lwip__on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    peer_lwip_conn *c = (peer_lwip_conn *)arg;
    struct pbuf *q;
    (void)err;
    if (p == NULL) {   /* the client closed: close too */
        peer_lwip__forget(c);
        if (tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
        return ERR_OK;
    }
    switch (c->scenario) {
    case CONFORMANCE_ECHO:
    case CONFORMANCE_STALL:   /* acknowledged in flush, as the echo goes out */
        for (q = p; q != NULL; q = q->next) peer_lwip__put(c, (const uint8_t *)q->payload, q->len);
        break;
    case CONFORMANCE_IDENT: {
        u16_t i;
        for (i = 0; i < p->tot_len; i++) peer_lwip__put(c, (const uint8_t *)c->tag, 8);
        tcp_recved(pcb, p->tot_len);
        break;
    }
    default:   /* everything else reads and drops */
        tcp_recved(pcb, p->tot_len);
        break;
    }
    (void)pbuf_free(p);
    peer_lwip__flush(c);
    return ERR_OK;
}

static err_t peer_lwip__on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)pcb; (void)len;
    peer_lwip__flush((peer_lwip_conn *)arg);
    return ERR_OK;
}

static void peer_lwip__on_err(void *arg, err_t err)
{
    peer_lwip_conn *c = (peer_lwip_conn *)arg;
    (void)err;
    c->pcb = NULL;   /* lwIP freed it */
    sys_untimeout(peer_lwip__timer, c);
}

/* The timed steps: delayed's two parts, reset's abort, stall's end. */
static void peer_lwip__timer(void *arg)
{
    peer_lwip_conn *c = (peer_lwip_conn *)arg;
    struct tcp_pcb *pcb = c->pcb;
    if (pcb == NULL) return;
    switch (c->scenario) {
    case CONFORMANCE_DELAYED:
        if (c->phase++ == 0) {
            peer_lwip__put(c, (const uint8_t *)"part1-", 6);
            sys_timeout(200, peer_lwip__timer, c);
        } else {
            peer_lwip__put(c, (const uint8_t *)"part2", 5);
            c->close_when_sent = true;
        }
        peer_lwip__flush(c);
        break;
    case CONFORMANCE_RESET:
        peer_lwip__forget(c);
        tcp_abort(pcb);   /* RST */
        break;
    case CONFORMANCE_STALL:
        c->stalled = false;
        peer_lwip__flush(c);
        break;
    default:
        break;
    }
}

static err_t peer_lwip__on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    peer_lwip *pl = &peer_lwip_state;
    peer_lwip_conn *c = NULL;
    int i;
    if (err != ERR_OK || pcb == NULL) return ERR_VAL;
    for (i = 0; i < PEER_LWIP_MAX_CONNS && c == NULL; i++)
        if (pl->conns[i].pcb == NULL) c = &pl->conns[i];
    if (c == NULL) { tcp_abort(pcb); return ERR_ABRT; }
    c->head = c->used = c->owed = 0;
    c->phase = 0;
    c->stalled = false;
    c->close_when_sent = false;
    c->tag[0] = '\0';
    c->pcb = pcb;
    c->scenario = (int)(intptr_t)arg;
    pl->accepted++;
    tcp_arg(pcb, c);
    tcp_recv(pcb, peer_lwip__on_recv);
    tcp_sent(pcb, peer_lwip__on_sent);
    tcp_err(pcb, peer_lwip__on_err);
    tcp_nagle_disable(pcb);
    switch (c->scenario) {
    case CONFORMANCE_GREET:
        peer_lwip__put(c, pl->greeting, CONFORMANCE_GREETING_LEN);
        c->close_when_sent = true;
        peer_lwip__flush(c);
        break;
    case CONFORMANCE_DELAYED: sys_timeout(300, peer_lwip__timer, c); break;
    case CONFORMANCE_RESET: sys_timeout(200, peer_lwip__timer, c); break;
    case CONFORMANCE_STALL: c->stalled = true; sys_timeout(1000, peer_lwip__timer, c); break;
    case CONFORMANCE_IDENT: snprintf(c->tag, sizeof c->tag, "id%06u", pl->accepted % 1000000u); break;
    default: break;
    }
    return ERR_OK;
}

/* ------------------------------------------------------------------ start */

/* Listens on base + offset for every scenario it serves; 0 on success.
   lwip_host_init() must have run. */
static int peer_lwip_start(uint16_t base)
{
    peer_lwip *pl = &peer_lwip_state;
    int k, failed = 0;
    size_t i;
    for (i = 0; i < CONFORMANCE_GREETING_LEN; i++) pl->greeting[i] = CONFORMANCE_PATTERN(i);
    lwip_host_lock();
    for (k = 0; k < CONFORMANCE_SCENARIOS && !failed; k++) {
        struct tcp_pcb *pcb, *l;
        err_t err = ERR_OK;
        if (k == CONFORMANCE_REFUSED || k == CONFORMANCE_NO_ANSWER) continue;
        pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
        if (pcb == NULL || tcp_bind(pcb, IP4_ADDR_ANY, (u16_t)(base + k)) != ERR_OK) { failed = 1; break; }
        l = tcp_listen_with_backlog_and_err(pcb, 8, &err);
        if (l == NULL) { failed = 1; break; }
        pl->listeners[k] = l;
        tcp_arg(l, (void *)(intptr_t)k);
        tcp_accept(l, peer_lwip__on_accept);
    }
    lwip_host_unlock();
    return failed;
}

#endif /* PEER_LWIP_H */
