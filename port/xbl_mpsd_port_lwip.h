/* xbl_mpsd_port_lwip.h - non-blocking TCP port for xbl_mpsd over lwIP 2.1.

   1. USE
   ------
   Exactly one translation unit instantiates the implementation:

       #define XBL_MPSD_IMPLEMENTATION            (optional: the SDK itself)
       #define XBL_MPSD_PORT_LWIP_IMPLEMENTATION
       #include "port/xbl_mpsd_port_lwip.h"

   Other files just include the header. It includes "xbl_mpsd.h" itself, so
   the SDK root directory must be on the include path (-I<sdk root>). The SDK
   and any ports may be included in any order and any number of times: each
   implementation section is emitted once. The declarations below need no
   lwIP header; the implementation includes lwip/opt.h, lwip/tcp.h,
   lwip/pbuf.h, lwip/ip_addr.h, lwip/sys.h (and lwip/tcpip.h when NO_SYS is
   0), so lwIP's include directory and your lwipopts.h must be on the include
   path. Debian: `pkg-config --cflags --libs lwip` (-I/usr/include/lwip
   -llwip); there, under -std=c99, also define _POSIX_C_SOURCE 200809L before
   the first #include, because lwIP's arch.h declares its own (wrong) ssize_t
   when <limits.h> hides SSIZE_MAX.

       xbl_mpsd_port_lwip tcp;  xbl_mpsd_port port;
       xbl_mpsd_port_lwip_init(&tcp, &port);    -> port is ready for the client

   lwIP itself must be initialised (lwip_init() with NO_SYS=1, tcpip_init()
   otherwise) and have a netif up before the first connect. Init and close
   touch no lwIP state when no connection exists.

   2. WHICH lwIP API, AND WHY
   --------------------------
   The raw TCP API (tcp_new, tcp_connect, tcp_write, tcp_recv callbacks).
   - It exists in every lwIP build, NO_SYS=1 (bare metal, the common case on
     small devices) as well as with an RTOS. The socket API needs NO_SYS=0
     and a tcpip thread, and per connection a netconn, a socket slot, a
     receive mailbox and its semaphores on top of the same pcb and pbufs,
     and every call goes through the netconn layer to reach that pcb.
   - altcp is not compiled into every build (Debian's liblwip has
     LWIP_ALTCP 0) and buys nothing here: TLS is the SDK's mbedTLS port
     layered on this one (7.).
   - Nothing is copied twice: received data stays in the pbufs lwIP
     delivered. The port keeps them as one chain (its receive queue) and
     recv copies straight from them into the SDK's buffer, then calls
     tcp_recved, so the peer's window reopens exactly as fast as the SDK
     reads: flow control, not a fixed-size ring that could overflow. Sent
     data is handed to tcp_write with TCP_WRITE_FLAG_COPY, so the SDK's
     buffer is free again as soon as send returns.
   Threading: with NO_SYS=1 the port calls lwIP directly; poll the SDK from
   the same loop that feeds lwIP (netif input, sys_check_timeouts). With
   NO_SYS=0 every port call takes the core lock (LOCK_TCPIP_CORE, so
   LWIP_TCPIP_CORE_LOCKING must be 1, lwIP's default) around its lwIP calls;
   lwIP's callbacks run in the tcpip thread under the same lock, so the
   port's fields are only ever touched under it. Taking the lock waits at
   most for the tcpip thread to finish its current packet or timer, never
   for the network. Do not poll the SDK from inside an lwIP callback or a
   tcpip_callback (the lock is not recursive).

   3. lwIP OPTIONS REQUIRED
   ------------------------
   LWIP_TCP 1, LWIP_IPV4 1, LWIP_CALLBACK_API 1 (all lwIP defaults); with
   NO_SYS 0 also LWIP_TCPIP_CORE_LOCKING 1 (default). Recommended:
   TCP_SND_BUF >= 2 * TCP_MSS and TCP_WND >= 2 * TCP_MSS (a request or
   response then needs few round trips); MEMP_NUM_TCP_PCB >= the number of
   ports in use + 1 (a closed connection stays in TIME_WAIT for 2 MSL).
   LWIP_DNS only if you plug in a resolver (6.). The implementation checks
   the required ones with #error.

   4. MEMORY
   ---------
   The caller owns xbl_mpsd_port_lwip (296 bytes on x86-64, measured; 276
   computed for 32-bit:
   a 256-byte host name plus pointers; static, stack or embedded in another
   struct) and it must outlive every use of the port. No heap calls and no
   global state of our own. What the port holds in lwIP while connected:
   - one tcp_pcb from MEMP_TCP_PCB (288 bytes in Debian's 2.1.3 x86-64
     build, IPv4+IPv6; less in an IPv4-only 32-bit build),
     kept for 2 * TCP_MSL after close in TIME_WAIT (lwIP's, not ours);
   - received, unread pbufs: at most TCP_WND bytes (the window closes when
     the SDK does not read), plus pbuf headers; freed as recv consumes them.
     The chain's length is 16 bits: with TCP_WND over 65535 (window
     scaling) a segment that would pass 65535 queued bytes is refused and
     lwIP offers it again later (from its fast timer);
   - sent, unacknowledged data: at most TCP_SND_BUF bytes in
     TCP_SND_QUEUELEN pbufs (tcp_write copies), freed as the peer ACKs.
   An SDK exchange is one request (~1-2 KB) and one response, so in practice
   a few KB. With the pools of a small NO_SYS build (PBUF_POOL) these come
   from lwIP's static pools, not the heap.

   5. BEHAVIOUR
   ------------
   connect  Parses host as a numeric IPv4 address (lwIP's ip4addr_aton;
            "localhost" is 127.0.0.1), creates a pcb (TCP_NODELAY), calls
            tcp_connect and returns XBL_MPSD_PENDING; each further call
            returns XBL_MPSD_OK once lwIP reported the connection
            established, XBL_MPSD_PENDING while the handshake runs,
            XBL_MPSD_E_CONNECT when it failed (refused: RST; SYN retries
            exhausted; no route; no pcb memory; a name with no resolver, or
            the resolver failed). A failed attempt leaves the port closed, so
            the next call starts afresh. No call waits for the network.
            Called while connected to the same host and port it returns
            XBL_MPSD_OK at once, unless the peer has reset the connection,
            or closed it with nothing left unread, or send/recv reported EOF
            or an error on it: then it drops that connection and starts a
            fresh one. A different host or port drops the current connection
            and starts a new one. NULL or empty host, or port 0:
            XBL_MPSD_E_INVALIDARG; a host over 255 bytes: XBL_MPSD_E_CONNECT.
   send     tcp_write (copy) of min(len, tcp_sndbuf, 65535) bytes, then
            tcp_output. Returns the bytes accepted (> 0), or
            XBL_MPSD_E_WOULD_BLOCK when the send buffer or segment queue is
            full (tcp_sndbuf 0, or tcp_write ERR_MEM; it clears as the peer
            ACKs). XBL_MPSD_E_IO after a reset or any other lwIP error, or
            when not connected. len 0 returns 0.
   recv     Bytes copied from the receive queue (> 0, at most cap), then
            tcp_recved for them. When the queue is empty:
            XBL_MPSD_E_EOF when the peer closed in order (FIN; and on every
            later call), XBL_MPSD_E_IO when it reset the connection or lwIP
            aborted it (bytes received before the reset are returned first),
            else XBL_MPSD_E_WOULD_BLOCK. XBL_MPSD_E_IO when not connected;
            cap 0 or buf NULL: XBL_MPSD_E_INVALIDARG. Never 0.
   close    Drops unread data (tcp_recved, so the close is a FIN, not a
            RST), detaches the callbacks and tcp_close()s the pcb
            (tcp_abort() if lwIP has no memory for the FIN). Safe when not
            connected; idempotent.
   now_ms   sys_now(): lwIP's millisecond clock (NO_SYS=1 builds provide it
            themselves). Wraps at 2^32; the SDK compares wrap-safely.

   6. NAME RESOLUTION (the poll must not stall)
   -------------------------------------------
   Numeric IPv4 and "localhost" need no lookup. For names, install a
   resolver with xbl_mpsd_port_lwip_set_resolver: connect asks it on every
   call until it answers XBL_MPSD_OK (the address in ipv4[0..3], network
   order: 127.0.0.1 is {127, 0, 0, 1}), XBL_MPSD_PENDING (asked again on the
   next connect call) or a negative code (connect returns
   XBL_MPSD_E_CONNECT). It must not block. It is called with the core lock
   held (NO_SYS=0), so it may call the raw DNS API directly. With LWIP_DNS 1:

       typedef struct my_dns { int state; ip_addr_t addr; } my_dns;   // 0 idle, 1 asking, 2 done, 3 failed
       static void my_found(const char *name, const ip_addr_t *a, void *arg)
       {   // lwIP context: same lock as the resolver below
           my_dns *d = (my_dns *)arg; (void)name;
           if (a != NULL && IP_IS_V4(a)) { d->addr = *a; d->state = 2; } else d->state = 3;
       }
       static xbl_mpsd_result my_resolve(void *user, const char *host, uint8_t ipv4[4])
       {
           my_dns *d = (my_dns *)user;
           if (d->state == 0) {
               err_t e = dns_gethostbyname(host, &d->addr, my_found, d);
               if (e == ERR_INPROGRESS) { d->state = 1; return XBL_MPSD_PENDING; }
               d->state = (e == ERR_OK && IP_IS_V4(&d->addr)) ? 2 : 3;
           }
           if (d->state == 1) return XBL_MPSD_PENDING;
           if (d->state == 3) { d->state = 0; return XBL_MPSD_E_CONNECT; }
           d->state = 0;   // next connection asks again (lwIP's DNS cache answers at once)
           memcpy(ipv4, &ip_2_ip4(&d->addr)->addr, 4);
           return XBL_MPSD_OK;
       }
       ...
       xbl_mpsd_port_lwip_set_resolver(&tcp, my_resolve, &my_dns_state);

   Without LWIP_DNS, resolve the name once at start-up by other means and
   pass the address as the client's host.

   7. TLS OVER lwIP
   ----------------
   port/xbl_mpsd_port_mbedtls.h runs over any xbl_mpsd_port: give it this
   one as its lower transport and hand the TLS port to the client.

       xbl_mpsd_port_lwip tcp;  xbl_mpsd_port tcp_port, tls_port;
       xbl_mpsd_port_mbedtls tls;  xbl_mpsd_port_mbedtls_config tc = {0};
       xbl_mpsd_port_lwip_init(&tcp, &tcp_port);
       tc.lower = &tcp_port; tc.server_name = "sessiondirectory.xboxlive.com";
       tc.ca_pem = roots_pem;
       xbl_mpsd_port_mbedtls_init(&tls, &tc, &tls_port);
       cfg.port = &tls_port;

   The host the client connects to must then be an address (or go through a
   resolver, 6.): the certificate is checked against server_name, not host.
*/
#ifndef XBL_MPSD_PORT_LWIP_H
#define XBL_MPSD_PORT_LWIP_H

#include "xbl_mpsd.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XBL_MPSD_PORT_LWIP_MAX_HOST 255   /* longest host name accepted, without the NUL */

struct tcp_pcb;
struct pbuf;

/* Optional non-blocking resolver, see 6. */
typedef xbl_mpsd_result (*xbl_mpsd_port_lwip_resolve_fn)(void *user, const char *host, uint8_t ipv4[4]);

typedef struct xbl_mpsd_port_lwip {
    /* private: use only through the xbl_mpsd_port that init fills */
    struct tcp_pcb *pcb;        /* NULL without a connection, or once lwIP freed it (error callback) */
    struct pbuf    *rx;         /* received, unread: lwIP's pbufs, one chain */
    xbl_mpsd_port_lwip_resolve_fn resolve;
    void    *resolve_user;
    uint16_t port;
    uint8_t  state;             /* xbl_mpsd__lwip_state; 0 (IDLE) in a zeroed struct */
    uint8_t  events;            /* XBL_MPSD__LWIP_EV_*, set by lwIP's callbacks */
    char     host[XBL_MPSD_PORT_LWIP_MAX_HOST + 1];
} xbl_mpsd_port_lwip;

/* Reset p (no connection) and fill out_port with its functions and ctx = p.
   XBL_MPSD_E_INVALIDARG when either pointer is NULL. Do not call on a port
   that holds a connection: close it first. Touches no lwIP state. */
xbl_mpsd_result xbl_mpsd_port_lwip_init(xbl_mpsd_port_lwip *p, xbl_mpsd_port *out_port);

/* Install (fn != NULL) or remove (fn == NULL) the resolver of 6. Call after
   init; takes effect at the next connection attempt. */
void xbl_mpsd_port_lwip_set_resolver(xbl_mpsd_port_lwip *p,
        xbl_mpsd_port_lwip_resolve_fn fn, void *user);

#ifdef __cplusplus
}
#endif
#endif /* XBL_MPSD_PORT_LWIP_H */

/* ######################################################################## */
/*                             IMPLEMENTATION                               */
/* ######################################################################## */
#if defined(XBL_MPSD_PORT_LWIP_IMPLEMENTATION) && !defined(XBL_MPSD_PORT_LWIP__IMPLEMENTED)
#define XBL_MPSD_PORT_LWIP__IMPLEMENTED

#include <string.h>

#include "lwip/opt.h"
#include "lwip/tcp.h"
#include "lwip/pbuf.h"
#include "lwip/ip_addr.h"
#include "lwip/sys.h"
#if !NO_SYS
#include "lwip/tcpip.h"
#endif

#if !LWIP_TCP || !LWIP_IPV4 || !LWIP_CALLBACK_API
#error "xbl_mpsd_port_lwip.h: needs LWIP_TCP 1, LWIP_IPV4 1 and LWIP_CALLBACK_API 1 in lwipopts.h"
#endif

#if NO_SYS
#define XBL_MPSD__LWIP_LOCK()   ((void)0)
#define XBL_MPSD__LWIP_UNLOCK() ((void)0)
#elif LWIP_TCPIP_CORE_LOCKING
#define XBL_MPSD__LWIP_LOCK()   LOCK_TCPIP_CORE()
#define XBL_MPSD__LWIP_UNLOCK() UNLOCK_TCPIP_CORE()
#else
#error "xbl_mpsd_port_lwip.h: with NO_SYS 0 the port calls the raw API under the core lock; set LWIP_TCPIP_CORE_LOCKING 1 in lwipopts.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

enum xbl_mpsd__lwip_state {
    XBL_MPSD__LWIP_IDLE = 0,     /* no pcb, nothing held */
    XBL_MPSD__LWIP_RESOLVING,    /* host and port set, waiting for the user resolver; no pcb */
    XBL_MPSD__LWIP_CONNECTING,   /* tcp_connect issued */
    XBL_MPSD__LWIP_CONNECTED,
    XBL_MPSD__LWIP_BROKEN        /* recv or send reported EOF or an error */
};

/* events: written by lwIP's callbacks (tcpip thread or the NO_SYS loop) */
#define XBL_MPSD__LWIP_EV_ESTABLISHED 0x01u   /* connected callback ran */
#define XBL_MPSD__LWIP_EV_FIN         0x02u   /* peer closed its side */
#define XBL_MPSD__LWIP_EV_ERROR       0x04u   /* error callback ran: the pcb is freed */

static err_t xbl_mpsd__lwip_on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    xbl_mpsd_port_lwip *p = (xbl_mpsd_port_lwip *)arg;
    (void)pcb; (void)err;   /* lwIP 2.1 always passes ERR_OK; failures go to the error callback */
    p->events |= XBL_MPSD__LWIP_EV_ESTABLISHED;
    return ERR_OK;
}

/* Keeps p for recv. A queue that would pass 65535 bytes (pbuf tot_len is
   16 bits) refuses it: lwIP keeps the data and offers it again later. */
static err_t xbl_mpsd__lwip_on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *pb, err_t err)
{
    xbl_mpsd_port_lwip *p = (xbl_mpsd_port_lwip *)arg;
    (void)pcb; (void)err;
    if (pb == NULL) {
        p->events |= XBL_MPSD__LWIP_EV_FIN;
        return ERR_OK;
    }
    if (p->rx == NULL) {
        p->rx = pb;
    } else {
        if ((uint32_t)p->rx->tot_len + pb->tot_len > 0xFFFFu) return ERR_MEM;
        pbuf_cat(p->rx, pb);
    }
    return ERR_OK;
}

/* lwIP has already freed the pcb (reset, abort, retries exhausted). */
static void xbl_mpsd__lwip_on_error(void *arg, err_t err)
{
    xbl_mpsd_port_lwip *p = (xbl_mpsd_port_lwip *)arg;
    (void)err;
    p->pcb = NULL;
    p->events |= XBL_MPSD__LWIP_EV_ERROR;
}

/* Core lock held. Lets go of the pcb so that no callback reaches p again. */
static void xbl_mpsd__lwip_release(xbl_mpsd_port_lwip *p)
{
    struct tcp_pcb *pcb = p->pcb;
    if (pcb != NULL) {
        tcp_arg(pcb, NULL);
        tcp_recv(pcb, NULL);
        tcp_err(pcb, NULL);
        if (p->rx != NULL) tcp_recved(pcb, p->rx->tot_len);   /* all read: FIN, not RST */
        if (tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
    }
    if (p->rx != NULL) (void)pbuf_free(p->rx);
    p->pcb = NULL;
    p->rx = NULL;
    p->events = 0;
    p->state = XBL_MPSD__LWIP_IDLE;
}

static void xbl_mpsd__lwip_close(void *ctx)
{
    xbl_mpsd_port_lwip *p = (xbl_mpsd_port_lwip *)ctx;
    if (p == NULL) return;
    /* IDLE and RESOLVING hold nothing lwIP could touch: no lock needed,
       so close works before lwIP is even initialised */
    if (p->state == XBL_MPSD__LWIP_IDLE || p->state == XBL_MPSD__LWIP_RESOLVING) {
        p->state = XBL_MPSD__LWIP_IDLE;
        return;
    }
    XBL_MPSD__LWIP_LOCK();
    xbl_mpsd__lwip_release(p);
    XBL_MPSD__LWIP_UNLOCK();
}

/* Core lock held. */
static xbl_mpsd_result xbl_mpsd__lwip_start(xbl_mpsd_port_lwip *p, const ip_addr_t *addr)
{
    struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (pcb == NULL) { xbl_mpsd__lwip_release(p); return XBL_MPSD_E_CONNECT; }
    tcp_arg(pcb, p);
    tcp_recv(pcb, xbl_mpsd__lwip_on_recv);
    tcp_err(pcb, xbl_mpsd__lwip_on_error);
    tcp_nagle_disable(pcb);
    p->pcb = pcb;
    p->events = 0;
    p->state = XBL_MPSD__LWIP_CONNECTING;
    if (tcp_connect(pcb, addr, p->port, xbl_mpsd__lwip_on_connected) != ERR_OK) {
        xbl_mpsd__lwip_release(p);   /* detaches first: the abort's error callback finds no arg */
        return XBL_MPSD_E_CONNECT;
    }
    return XBL_MPSD_PENDING;
}

/* Core lock held. Resolving: ask the user resolver (documentation, 6.). */
static xbl_mpsd_result xbl_mpsd__lwip_ask_resolver(xbl_mpsd_port_lwip *p)
{
    uint8_t b[4] = {0, 0, 0, 0};
    ip_addr_t addr;
    xbl_mpsd_result r;
    if (p->resolve == NULL) { xbl_mpsd__lwip_release(p); return XBL_MPSD_E_CONNECT; }   /* removed meanwhile */
    r = p->resolve(p->resolve_user, p->host, b);
    if (r == XBL_MPSD_PENDING) return XBL_MPSD_PENDING;
    if (r != XBL_MPSD_OK) { xbl_mpsd__lwip_release(p); return XBL_MPSD_E_CONNECT; }
    IP_ADDR4(&addr, b[0], b[1], b[2], b[3]);
    return xbl_mpsd__lwip_start(p, &addr);
}

/* Core lock held. Connecting: has lwIP reported the outcome? */
static xbl_mpsd_result xbl_mpsd__lwip_check(xbl_mpsd_port_lwip *p)
{
    if (p->events & XBL_MPSD__LWIP_EV_ERROR) { xbl_mpsd__lwip_release(p); return XBL_MPSD_E_CONNECT; }
    if ((p->events & XBL_MPSD__LWIP_EV_ESTABLISHED) == 0) return XBL_MPSD_PENDING;
    p->state = XBL_MPSD__LWIP_CONNECTED;
    return XBL_MPSD_OK;
}

/* Core lock held. Connected and idle: still usable? (Unread data counts
   as alive, like the POSIX port.) */
static bool xbl_mpsd__lwip_alive(const xbl_mpsd_port_lwip *p)
{
    if (p->events & XBL_MPSD__LWIP_EV_ERROR) return false;
    return p->rx != NULL || (p->events & XBL_MPSD__LWIP_EV_FIN) == 0;
}

/* Core lock held. A fresh connection to p->host:p->port. */
static xbl_mpsd_result xbl_mpsd__lwip_begin(xbl_mpsd_port_lwip *p)
{
    ip_addr_t addr;
    ip4_addr_t a4;
    if (strcmp(p->host, "localhost") == 0) {
        IP_ADDR4(&addr, 127, 0, 0, 1);
        return xbl_mpsd__lwip_start(p, &addr);
    }
    if (ip4addr_aton(p->host, &a4)) {
        ip_addr_copy_from_ip4(addr, a4);
        return xbl_mpsd__lwip_start(p, &addr);
    }
    if (p->resolve == NULL) { xbl_mpsd__lwip_release(p); return XBL_MPSD_E_CONNECT; }
    p->state = XBL_MPSD__LWIP_RESOLVING;
    return xbl_mpsd__lwip_ask_resolver(p);
}

/* Core lock held. */
static xbl_mpsd_result xbl_mpsd__lwip_connect_locked(xbl_mpsd_port_lwip *p, const char *host, size_t n, uint16_t port)
{
    bool same = p->state != XBL_MPSD__LWIP_IDLE && p->port == port &&
                n <= XBL_MPSD_PORT_LWIP_MAX_HOST && strcmp(p->host, host) == 0;
    if (same) {
        switch (p->state) {
        case XBL_MPSD__LWIP_CONNECTED:
            if (xbl_mpsd__lwip_alive(p)) return XBL_MPSD_OK;
            break;                                  /* drop it, start afresh */
        case XBL_MPSD__LWIP_CONNECTING:
            return xbl_mpsd__lwip_check(p);
        case XBL_MPSD__LWIP_RESOLVING:
            return xbl_mpsd__lwip_ask_resolver(p);
        default:
            break;
        }
    }
    xbl_mpsd__lwip_release(p);
    if (n > XBL_MPSD_PORT_LWIP_MAX_HOST) return XBL_MPSD_E_CONNECT;
    memcpy(p->host, host, n + 1);
    p->port = port;
    return xbl_mpsd__lwip_begin(p);
}

static xbl_mpsd_result xbl_mpsd__lwip_connect(void *ctx, const char *host, uint16_t port)
{
    xbl_mpsd_port_lwip *p = (xbl_mpsd_port_lwip *)ctx;
    xbl_mpsd_result r;
    if (p == NULL || host == NULL || host[0] == '\0' || port == 0) return XBL_MPSD_E_INVALIDARG;
    XBL_MPSD__LWIP_LOCK();
    r = xbl_mpsd__lwip_connect_locked(p, host, strlen(host), port);
    XBL_MPSD__LWIP_UNLOCK();
    return r;
}

/* Core lock held. */
static int32_t xbl_mpsd__lwip_send_locked(xbl_mpsd_port_lwip *p, const uint8_t *data, size_t len)
{
    size_t n;
    err_t e;
    if (p->events & XBL_MPSD__LWIP_EV_ERROR) {      /* the pcb is gone */
        p->state = XBL_MPSD__LWIP_BROKEN;
        return XBL_MPSD_E_IO;
    }
    if (len == 0) return 0;
    n = tcp_sndbuf(p->pcb);                         /* at most 65535 */
    if (n > len) n = len;
    if (n == 0) return XBL_MPSD_E_WOULD_BLOCK;
    e = tcp_write(p->pcb, data, (u16_t)n, TCP_WRITE_FLAG_COPY);
    if (e == ERR_MEM) return XBL_MPSD_E_WOULD_BLOCK;   /* segment queue full: ACKs free it */
    if (e != ERR_OK) { p->state = XBL_MPSD__LWIP_BROKEN; return XBL_MPSD_E_IO; }
    (void)tcp_output(p->pcb);   /* a failure here leaves the data queued for lwIP's timers */
    return (int32_t)n;
}

static int32_t xbl_mpsd__lwip_send(void *ctx, const uint8_t *data, size_t len)
{
    xbl_mpsd_port_lwip *p = (xbl_mpsd_port_lwip *)ctx;
    int32_t r;
    if (p == NULL || (data == NULL && len != 0)) return XBL_MPSD_E_INVALIDARG;
    if (p->state != XBL_MPSD__LWIP_CONNECTED) return XBL_MPSD_E_IO;   /* only the app thread sets state */
    XBL_MPSD__LWIP_LOCK();
    r = xbl_mpsd__lwip_send_locked(p, data, len);
    XBL_MPSD__LWIP_UNLOCK();
    return r;
}

/* Core lock held. */
static int32_t xbl_mpsd__lwip_recv_locked(xbl_mpsd_port_lwip *p, uint8_t *buf, size_t cap)
{
    if (p->rx != NULL) {   /* lwIP never delivers an empty pbuf: n >= 1 */
        u16_t n = p->rx->tot_len;
        if (cap < n) n = (u16_t)cap;
        n = pbuf_copy_partial(p->rx, buf, n, 0);
        p->rx = pbuf_free_header(p->rx, n);
        if (p->pcb != NULL) tcp_recved(p->pcb, n);   /* NULL after a reset */
        return (int32_t)n;
    }
    if (p->events & XBL_MPSD__LWIP_EV_ERROR) { p->state = XBL_MPSD__LWIP_BROKEN; return XBL_MPSD_E_IO; }
    if (p->events & XBL_MPSD__LWIP_EV_FIN) { p->state = XBL_MPSD__LWIP_BROKEN; return XBL_MPSD_E_EOF; }
    return XBL_MPSD_E_WOULD_BLOCK;
}

static int32_t xbl_mpsd__lwip_recv(void *ctx, uint8_t *buf, size_t cap)
{
    xbl_mpsd_port_lwip *p = (xbl_mpsd_port_lwip *)ctx;
    int32_t r;
    if (p == NULL || buf == NULL || cap == 0) return XBL_MPSD_E_INVALIDARG;
    if (p->state != XBL_MPSD__LWIP_CONNECTED && p->state != XBL_MPSD__LWIP_BROKEN) return XBL_MPSD_E_IO;
    XBL_MPSD__LWIP_LOCK();
    r = xbl_mpsd__lwip_recv_locked(p, buf, cap);
    XBL_MPSD__LWIP_UNLOCK();
    return r;
}

static uint32_t xbl_mpsd__lwip_now_ms(void *ctx)
{
    (void)ctx;
    return (uint32_t)sys_now();
}

xbl_mpsd_result xbl_mpsd_port_lwip_init(xbl_mpsd_port_lwip *p, xbl_mpsd_port *out_port)
{
    if (p == NULL || out_port == NULL) return XBL_MPSD_E_INVALIDARG;
    memset(p, 0, sizeof *p);
    p->state = XBL_MPSD__LWIP_IDLE;
    memset(out_port, 0, sizeof *out_port);
    out_port->ctx = p;
    out_port->connect = xbl_mpsd__lwip_connect;
    out_port->send = xbl_mpsd__lwip_send;
    out_port->recv = xbl_mpsd__lwip_recv;
    out_port->close = xbl_mpsd__lwip_close;
    out_port->now_ms = xbl_mpsd__lwip_now_ms;
    return XBL_MPSD_OK;
}

void xbl_mpsd_port_lwip_set_resolver(xbl_mpsd_port_lwip *p,
        xbl_mpsd_port_lwip_resolve_fn fn, void *user)
{
    if (p == NULL) return;
    p->resolve = fn;
    p->resolve_user = fn != NULL ? user : NULL;
}

#ifdef __cplusplus
}
#endif
#endif /* XBL_MPSD_PORT_LWIP_IMPLEMENTATION */

/* xbl_mpsd_port_lwip.h is part of xbl_mpsd. MIT License: see the LICENSE
   file at the root of the SDK. */
