/* xbl_mpsd_port_template.h - skeleton of an xbl_mpsd port, to copy and fill in.

   Copy this file to xbl_mpsd_port_<yours>.h, replace "template" with your
   port's name everywhere, then fill in every TODO. Until then it compiles
   warning-free and every call fails with XBL_MPSD_PORT_TEMPLATE_E_NOTIMPL
   (the bits of the HRESULT E_NOTIMPL, 0x80004001), so a client built on the
   unfilled template ends its first operation with that code instead of
   hanging. The contract and the guide are port/README.md;
   port/xbl_mpsd_port_posix.h is a complete port to read side by side.
   When it is filled in, prove it with the conformance suite:

       make port-check PORT=my_adapter.c     (port/README.md, "Checking a port")

   1. USE
   ------
   Exactly one translation unit instantiates the implementation:

       #define XBL_MPSD_PORT_TEMPLATE_IMPLEMENTATION
       #include "port/xbl_mpsd_port_template.h"

       xbl_mpsd_port_template net;  xbl_mpsd_port port;
       xbl_mpsd_port_template_init(&net, &port);   -> port is ready for the client

   The header includes "xbl_mpsd.h" itself (the SDK root must be on the
   include path) and may be included with the SDK and other ports in any
   order: the implementation section is emitted once.

   2. WHAT EACH FUNCTION MUST DO (short form of the contract)
   -------------------------------------------------------
   connect  Never waits. First call starts the connection and returns
            XBL_MPSD_PENDING (or XBL_MPSD_OK if it completed at once); later
            calls report progress: PENDING, OK, or a negative code
            (XBL_MPSD_E_CONNECT when refused / unreachable / not resolved).
            Name lookup must not wait either: accept numeric addresses, or
            run the lookup asynchronously and answer PENDING meanwhile.
            Already connected to the same host and port: XBL_MPSD_OK, or,
            when the peer closed the idle connection, a fresh attempt
            (PENDING): the SDK calls connect before every request on a kept
            connection as its liveness check.
   send     Bytes accepted (1..len; fewer than len is normal and is NOT an
            error), XBL_MPSD_E_WOULD_BLOCK when the stack has no room, or a
            negative code. Never 0 when len > 0.
   recv     Bytes read (1..cap), XBL_MPSD_E_WOULD_BLOCK when nothing is
            buffered, XBL_MPSD_E_EOF when the peer closed cleanly (and on
            every later call), or a negative code (reset: XBL_MPSD_E_IO).
            Never 0.
   close    Drop the connection; safe when not connected and when called
            twice. Afterwards connect starts afresh.
   now_ms   Monotonic milliseconds (never backwards; may wrap at 2^32).

   3. MEMORY
   ---------
   No heap and no global state: everything lives in xbl_mpsd_port_template,
   which the caller owns and which must outlive every use of the port.
*/
#ifndef XBL_MPSD_PORT_TEMPLATE_H
#define XBL_MPSD_PORT_TEMPLATE_H

#include "xbl_mpsd.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What every unfilled call returns: the HRESULT E_NOTIMPL bits. */
#define XBL_MPSD_PORT_TEMPLATE_E_NOTIMPL XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x80004001))

#define XBL_MPSD_PORT_TEMPLATE_MAX_HOST 255   /* longest host name kept, without the NUL */

typedef struct xbl_mpsd_port_template {
    /* private: use only through the xbl_mpsd_port that init fills */
    /* TODO(port): your stack's connection handle, e.g. `int sock;` or
       `struct tcp_pcb *pcb;`, and whatever an asynchronous name lookup
       needs. Keep it fixed-size: no heap. */
    int      handle;
    uint8_t  state;        /* xbl_mpsd__template_state; 0 (IDLE) in a zeroed struct */
    uint16_t port;         /* the host and port of the current connection, */
    char     host[XBL_MPSD_PORT_TEMPLATE_MAX_HOST + 1];   /* for "connect while connected" */
} xbl_mpsd_port_template;

/* Reset p (no connection) and fill out_port with its functions and ctx = p.
   XBL_MPSD_E_INVALIDARG when either pointer is NULL. */
xbl_mpsd_result xbl_mpsd_port_template_init(xbl_mpsd_port_template *p, xbl_mpsd_port *out_port);

#ifdef __cplusplus
}
#endif
#endif /* XBL_MPSD_PORT_TEMPLATE_H */

/* ######################################################################## */
/*                             IMPLEMENTATION                               */
/* ######################################################################## */
#if defined(XBL_MPSD_PORT_TEMPLATE_IMPLEMENTATION) && !defined(XBL_MPSD_PORT_TEMPLATE__IMPLEMENTED)
#define XBL_MPSD_PORT_TEMPLATE__IMPLEMENTED

#include <string.h>
/* TODO(port): your stack's headers. */

#ifdef __cplusplus
extern "C" {
#endif

/* The states a real port needs; the unfilled template never leaves IDLE. */
enum xbl_mpsd__template_state {
    XBL_MPSD__TEMPLATE_IDLE = 0,      /* no connection: connect starts one */
    XBL_MPSD__TEMPLATE_RESOLVING,     /* an asynchronous name lookup runs */
    XBL_MPSD__TEMPLATE_CONNECTING,    /* handshake in progress */
    XBL_MPSD__TEMPLATE_CONNECTED,
    XBL_MPSD__TEMPLATE_EOF,           /* peer closed cleanly: recv keeps answering EOF */
    XBL_MPSD__TEMPLATE_BROKEN         /* reset or error seen: send/recv answer XBL_MPSD_E_IO */
};

static void xbl_mpsd__template_close(void *ctx)
{
    xbl_mpsd_port_template *p = (xbl_mpsd_port_template *)ctx;
    if (p == NULL) return;
    if (p->state != XBL_MPSD__TEMPLATE_IDLE) {
        /* TODO(port): abort the connection or the pending connect and free the
           handle. Never wait for the peer here (no lingering close): close is
           also how the SDK abandons a connection that stopped answering. */
    }
    /* Back to IDLE unconditionally, so a second close does nothing and the
       next connect starts afresh. */
    p->handle = -1;
    p->state = XBL_MPSD__TEMPLATE_IDLE;
}

static xbl_mpsd_result xbl_mpsd__template_connect(void *ctx, const char *host, uint16_t port)
{
    xbl_mpsd_port_template *p = (xbl_mpsd_port_template *)ctx;
    if (p == NULL || host == NULL || host[0] == '\0' || port == 0) return XBL_MPSD_E_INVALIDARG;
    /* TODO(port), in this order:
       1. Same host and port as the current attempt or connection:
            CONNECTED  -> return XBL_MPSD_OK (keep the connection; if your
                          stack can tell it was closed meanwhile, drop it and
                          fall through to 3 instead)
            RESOLVING  -> ask the lookup again: PENDING while it runs; on an
                          answer start the TCP connect (3b); on failure close
                          and return XBL_MPSD_E_CONNECT
            CONNECTING -> check the handshake without waiting (poll/select
                          with timeout 0, a connected flag set by a callback):
                          PENDING, OK, or close + XBL_MPSD_E_CONNECT
       2. Anything else: xbl_mpsd__template_close(p) first.
       3. Store host and port (strlen(host) > XBL_MPSD_PORT_TEMPLATE_MAX_HOST:
          return XBL_MPSD_E_CONNECT), then
          a. a numeric address needs no lookup; a name needs an asynchronous
             lookup (state RESOLVING, return PENDING). A blocking lookup here
             stalls the game's frame for as long as DNS takes;
          b. create a NON-BLOCKING socket and start connecting: state
             CONNECTING, return PENDING (or CONNECTED + OK if it completed at
             once, or close + XBL_MPSD_E_CONNECT if it failed at once). */
    return XBL_MPSD_PORT_TEMPLATE_E_NOTIMPL;
}

static int32_t xbl_mpsd__template_send(void *ctx, const uint8_t *data, size_t len)
{
    xbl_mpsd_port_template *p = (xbl_mpsd_port_template *)ctx;
    if (p == NULL || (data == NULL && len != 0)) return XBL_MPSD_E_INVALIDARG;
    /* TODO(port):
         not CONNECTED             -> return XBL_MPSD_E_IO
         len > INT32_MAX           -> len = INT32_MAX (the result is an int32)
         call the stack's non-blocking send; then map:
           n > 0                   -> return (int32_t)n    (n < len is normal)
           no room (EAGAIN, ERR_MEM, a full window)
                                   -> return XBL_MPSD_E_WOULD_BLOCK  (never 0)
           interrupted (EINTR)     -> retry the call
           anything else           -> state BROKEN, return XBL_MPSD_E_IO
       Make sure a send on a closed socket cannot raise a signal (SIGPIPE). */
    (void)p;
    return XBL_MPSD_PORT_TEMPLATE_E_NOTIMPL;
}

static int32_t xbl_mpsd__template_recv(void *ctx, uint8_t *buf, size_t cap)
{
    xbl_mpsd_port_template *p = (xbl_mpsd_port_template *)ctx;
    if (p == NULL || buf == NULL || cap == 0) return XBL_MPSD_E_INVALIDARG;
    /* TODO(port):
         state EOF                 -> return XBL_MPSD_E_EOF    (EOF is sticky)
         not CONNECTED             -> return XBL_MPSD_E_IO
         cap > INT32_MAX           -> cap = INT32_MAX
         call the stack's non-blocking receive; then map:
           n > 0                   -> return (int32_t)n
           nothing buffered (EAGAIN)
                                   -> return XBL_MPSD_E_WOULD_BLOCK
           orderly close (BSD recv() returning 0, a NULL pbuf in lwIP)
                                   -> state EOF, return XBL_MPSD_E_EOF  (NEVER 0)
           interrupted (EINTR)     -> retry the call
           reset or other error    -> state BROKEN, return XBL_MPSD_E_IO
                                      (not EOF: EOF means the data is complete) */
    (void)p;
    return XBL_MPSD_PORT_TEMPLATE_E_NOTIMPL;
}

static uint32_t xbl_mpsd__template_now_ms(void *ctx)
{
    (void)ctx;
    /* TODO(port): a MONOTONIC millisecond clock truncated to 32 bits (it may
       wrap; the SDK compares wrap-safely). Not the wall clock (NTP and the
       user move it backwards: every running operation then times out at
       once), and in milliseconds, not ticks. Fill this in first: returning 0
       means the SDK's timeouts never fire. */
    return 0;
}

xbl_mpsd_result xbl_mpsd_port_template_init(xbl_mpsd_port_template *p, xbl_mpsd_port *out_port)
{
    if (p == NULL || out_port == NULL) return XBL_MPSD_E_INVALIDARG;
    memset(p, 0, sizeof *p);
    p->handle = -1;
    p->state = XBL_MPSD__TEMPLATE_IDLE;
    memset(out_port, 0, sizeof *out_port);
    out_port->ctx = p;
    out_port->connect = xbl_mpsd__template_connect;
    out_port->send = xbl_mpsd__template_send;
    out_port->recv = xbl_mpsd__template_recv;
    out_port->close = xbl_mpsd__template_close;
    out_port->now_ms = xbl_mpsd__template_now_ms;
    return XBL_MPSD_OK;
}

#ifdef __cplusplus
}
#endif
#endif /* XBL_MPSD_PORT_TEMPLATE_IMPLEMENTATION */

/* xbl_mpsd_port_template.h is part of xbl_mpsd. MIT License: see the LICENSE
   file at the root of the SDK. */
