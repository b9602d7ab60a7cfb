/* xbl_mpsd_port_posix.h - non-blocking TCP port for xbl_mpsd over POSIX sockets.

   1. USE
   ------
   Exactly one translation unit instantiates the implementation:

       #define _POSIX_C_SOURCE 200809L            <- before ANY #include of this file
       #define XBL_MPSD_IMPLEMENTATION            (optional: the SDK itself)
       #define XBL_MPSD_PORT_POSIX_IMPLEMENTATION
       #include "port/xbl_mpsd_port_posix.h"

   Other files just include the header. It includes "xbl_mpsd.h" itself, so
   the SDK root directory must be on the include path (-I<sdk root>). The SDK
   and any ports may be included in any order and any number of times: each
   implementation section is emitted once.

   _POSIX_C_SOURCE (or _XOPEN_SOURCE / _GNU_SOURCE / _DEFAULT_SOURCE) must be
   defined before the first system header of that translation unit, because
   under -std=c99 the C library hides sockets, poll, getaddrinfo and
   CLOCK_MONOTONIC otherwise. The implementation checks that the declarations
   it needs are visible and stops with an #error saying so when they are not.
   Only the implementation needs them: the declarations below compile in any
   C99 or C++ translation unit.

       xbl_mpsd_port_posix tcp;  xbl_mpsd_port port;
       xbl_mpsd_port_posix_init(&tcp, &port);   -> port is ready for the client

   2. MEMORY
   ---------
   The caller owns xbl_mpsd_port_posix (about 400 bytes; static, stack or
   embedded in another struct) and it must outlive every use of the port.
   No heap calls and no global state: the port keeps one socket descriptor
   and the resolved addresses in that struct. (getaddrinfo, used only for
   host names as described in 4., allocates inside the C library; the list is
   copied and freed before the call returns.)

   3. BEHAVIOUR
   ------------
   connect  Starts a non-blocking TCP connection (socket, O_NONBLOCK,
            FD_CLOEXEC, TCP_NODELAY, SO_NOSIGPIPE where it exists, connect)
            and returns XBL_MPSD_PENDING; each further call checks progress
            with poll(POLLOUT, timeout 0) and SO_ERROR, returning
            XBL_MPSD_OK once connected, XBL_MPSD_PENDING while in progress,
            XBL_MPSD_E_CONNECT when every resolved address failed (refused,
            unreachable, name not resolved). A failed attempt leaves the port
            closed, so the next call starts afresh.
            Called while connected to the same host and port it returns
            XBL_MPSD_OK at once, unless the peer has closed or broken the idle
            connection (or send/recv reported EOF or an error on it): then it
            drops that socket and starts a fresh connection. That liveness
            check costs one poll(); it is skipped while the connection is
            fresh, i.e. data arrived on it less than the fresh window ago
            (XBL_MPSD_PORT_POSIX_FRESH_MS, default 50 ms;
            xbl_mpsd_port_posix_set_fresh_window): no server times a
            keep-alive connection out that fast, and a close in that window
            costs only the SDK's one resend. So back-to-back requests cost
            one send and one recv each. A different host
            or port drops the current connection and starts a new one.
            NULL or empty host, or port 0: XBL_MPSD_E_INVALIDARG.
   send     send() with MSG_NOSIGNAL (or SO_NOSIGPIPE): SIGPIPE is never
            raised. Returns the bytes accepted (partial writes as they are;
            len is clamped to INT32_MAX), XBL_MPSD_E_WOULD_BLOCK when the
            socket buffer is full, XBL_MPSD_E_IO on any other error or when
            not connected. EINTR is retried. len 0 returns 0.
   recv     Bytes read (> 0, cap clamped to INT32_MAX), XBL_MPSD_E_EOF when
            the peer closed in order (and on every later call),
            XBL_MPSD_E_WOULD_BLOCK when nothing is buffered, XBL_MPSD_E_IO on
            a reset or other error or when not connected. EINTR is retried.
            cap 0 returns XBL_MPSD_E_INVALIDARG. Never 0.
   close    Closes the socket. Safe when not connected; idempotent.
   now_ms   clock_gettime(CLOCK_MONOTONIC) in milliseconds, truncated to
            32 bits (wraps every ~49.7 days; the SDK compares wrap-safely).

   4. NAME RESOLUTION (the poll must not stall)
   -------------------------------------------
   In order:
   a. Numeric IPv4 ("127.0.0.1") and IPv6 ("::1", "[::1]") addresses are
      parsed with inet_pton: no lookup.
   b. "localhost" is 127.0.0.1 without any lookup.
   c. If a resolver is set with xbl_mpsd_port_posix_set_resolver, it is
      asked for the name on every connect call until it answers: it returns
      XBL_MPSD_PENDING while its own (asynchronous) lookup runs, XBL_MPSD_OK
      with 1..XBL_MPSD_PORT_POSIX_MAX_ADDRS addresses, or a negative code
      (connect then returns XBL_MPSD_E_CONNECT). It must not block.
   d. Otherwise getaddrinfo(AI_NUMERICSERV, SOCK_STREAM, any family) is
      called once per connection attempt. getaddrinfo BLOCKS for as long as
      the system resolver takes (usually milliseconds with a warm cache, up
      to the resolver's timeouts, i.e. seconds, when DNS is unreachable).
      Applications with a frame loop should resolve names off the frame
      thread and pass an address as the host, or install a resolver (c.).
      With an address as the host, set the client's host_header to the
      service's name (the TLS server_name when there is one): the Host
      header then names the service, not the address, which name-based
      front ends (virtual hosts, CDNs) need to route the request.
      Define XBL_MPSD_PORT_POSIX_NO_GETADDRINFO to compile step d. out:
      names then need a resolver, otherwise connect returns
      XBL_MPSD_E_CONNECT.
   The addresses are tried in order; the next is tried when one fails.

   5. OPTIONS (define before the implementation)
   ----------
   XBL_MPSD_PORT_POSIX_NO_GETADDRINFO  see 4.d.
   XBL_MPSD_PORT_POSIX_SIGPIPE_IGNORED required only on a platform that has
                                       neither MSG_NOSIGNAL nor SO_NOSIGPIPE:
                                       the application promises SIGPIPE is
                                       ignored (signal(SIGPIPE, SIG_IGN)).
*/
#ifndef XBL_MPSD_PORT_POSIX_H
#define XBL_MPSD_PORT_POSIX_H

#include "xbl_mpsd.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XBL_MPSD_PORT_POSIX_MAX_ADDRS 4
#define XBL_MPSD_PORT_POSIX_MAX_HOST  255   /* longest host name accepted, without the NUL */
#ifndef XBL_MPSD_PORT_POSIX_FRESH_MS
#define XBL_MPSD_PORT_POSIX_FRESH_MS  50    /* default fresh window of the liveness check (3.) */
#endif

/* One resolved address, free of socket types so the declarations need no
   POSIX headers. family: 4 (bytes[0..3] hold the IPv4 address) or 6 (all 16
   bytes hold the IPv6 address); network byte order. scope_id: IPv6 link-local
   interface index, else 0. */
typedef struct xbl_mpsd_port_posix_addr {
    uint8_t  family;
    uint8_t  bytes[16];
    uint32_t scope_id;
} xbl_mpsd_port_posix_addr;

/* Optional non-blocking resolver, see 4.c. Write up to cap addresses to out
   and their number to *count, then return XBL_MPSD_OK; or return
   XBL_MPSD_PENDING (asked again on the next connect call) or a negative
   code. */
typedef xbl_mpsd_result (*xbl_mpsd_port_posix_resolve_fn)(void *user, const char *host,
        xbl_mpsd_port_posix_addr *out, size_t cap, size_t *count);

typedef struct xbl_mpsd_port_posix {
    /* private: use only through the xbl_mpsd_port that init fills */
    int      fd;            /* valid while state != IDLE */
    uint8_t  state;         /* xbl_mpsd__posix_state; 0 (IDLE) in a zeroed struct */
    uint8_t  addr_count;
    uint8_t  addr_next;     /* next address to try */
    uint16_t port;
    char     host[XBL_MPSD_PORT_POSIX_MAX_HOST + 1];
    xbl_mpsd_port_posix_addr addrs[XBL_MPSD_PORT_POSIX_MAX_ADDRS];
    xbl_mpsd_port_posix_resolve_fn resolve;
    void    *resolve_user;
    uint32_t fresh_ms;      /* fresh window of the liveness check; 0: always check */
    uint32_t data_ms;       /* when data last arrived, valid while data_seen */
    uint8_t  data_seen;     /* data arrived on the current connection */
} xbl_mpsd_port_posix;

/* Reset p (no connection) and fill out_port with its functions and ctx = p.
   XBL_MPSD_E_INVALIDARG when either pointer is NULL. Do not call on a port
   that holds a connection: close it first. */
xbl_mpsd_result xbl_mpsd_port_posix_init(xbl_mpsd_port_posix *p, xbl_mpsd_port *out_port);

/* Install (fn != NULL) or remove (fn == NULL) the resolver of 4.c. Call
   after init; takes effect at the next connection attempt. */
void xbl_mpsd_port_posix_set_resolver(xbl_mpsd_port_posix *p,
        xbl_mpsd_port_posix_resolve_fn fn, void *user);

/* The liveness check's fresh window in ms (3., connect): while data arrived
   on the connection less than this long ago, connect answers XBL_MPSD_OK
   without a poll(). 0 checks every time. Init sets
   XBL_MPSD_PORT_POSIX_FRESH_MS. NULL p: nothing happens. */
void xbl_mpsd_port_posix_set_fresh_window(xbl_mpsd_port_posix *p, uint32_t ms);

#ifdef __cplusplus
}
#endif
#endif /* XBL_MPSD_PORT_POSIX_H */

/* ######################################################################## */
/*                             IMPLEMENTATION                               */
/* ######################################################################## */
#if defined(XBL_MPSD_PORT_POSIX_IMPLEMENTATION) && !defined(XBL_MPSD_PORT_POSIX__IMPLEMENTED)
#define XBL_MPSD_PORT_POSIX__IMPLEMENTED

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>

#if defined(_POSIX_C_SOURCE) && (_POSIX_C_SOURCE + 0) < 200112L
#error "xbl_mpsd_port_posix.h: _POSIX_C_SOURCE is too old; define _POSIX_C_SOURCE 200809L before the first #include of this translation unit"
#endif
#if !defined(CLOCK_MONOTONIC) || !defined(AI_NUMERICSERV) || !defined(POLLOUT) || !defined(INET6_ADDRSTRLEN) || !defined(TCP_NODELAY)
#define XBL_MPSD__POSIX_MISSING
#error "xbl_mpsd_port_posix.h: POSIX declarations (CLOCK_MONOTONIC, getaddrinfo, poll, sockets) are not visible; define _POSIX_C_SOURCE 200809L before the first #include of this translation unit (under -std=c99 the C library hides them)"
#endif

#if defined(MSG_NOSIGNAL)
#define XBL_MPSD__POSIX_SEND_FLAGS MSG_NOSIGNAL
#elif defined(SO_NOSIGPIPE) || defined(XBL_MPSD_PORT_POSIX_SIGPIPE_IGNORED)
#define XBL_MPSD__POSIX_SEND_FLAGS 0
#else
#error "xbl_mpsd_port_posix.h: this platform has neither MSG_NOSIGNAL nor SO_NOSIGPIPE; ignore SIGPIPE in the application and define XBL_MPSD_PORT_POSIX_SIGPIPE_IGNORED"
#endif

#ifndef XBL_MPSD__POSIX_MISSING   /* one clear #error above instead of a cascade */
#ifdef __cplusplus
extern "C" {
#endif

enum xbl_mpsd__posix_state {
    XBL_MPSD__POSIX_IDLE = 0,     /* no socket */
    XBL_MPSD__POSIX_RESOLVING,    /* host and port set, waiting for the user resolver; no socket */
    XBL_MPSD__POSIX_CONNECTING,   /* socket open, connect in progress */
    XBL_MPSD__POSIX_CONNECTED,
    XBL_MPSD__POSIX_BROKEN        /* socket open, but EOF or an error was seen on it */
};

static void xbl_mpsd__posix_close(void *ctx)
{
    xbl_mpsd_port_posix *p = (xbl_mpsd_port_posix *)ctx;
    if (p == NULL) return;
    if (p->state == XBL_MPSD__POSIX_CONNECTING || p->state == XBL_MPSD__POSIX_CONNECTED ||
        p->state == XBL_MPSD__POSIX_BROKEN) {
        /* no retry on EINTR: POSIX leaves the descriptor state unspecified and
           Linux always frees it, so a retry could close someone else's fd */
        (void)close(p->fd);
    }
    p->fd = -1;
    p->state = XBL_MPSD__POSIX_IDLE;
    p->addr_count = 0;
    p->addr_next = 0;
    p->data_seen = 0;
}

/* Numeric IPv4/IPv6 ("[v6]" too) and "localhost"; false when host is a name. */
static bool xbl_mpsd__posix_parse_numeric(const char *host, xbl_mpsd_port_posix_addr *out)
{
    char buf[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(host);
    memset(out, 0, sizeof *out);
    if (strcmp(host, "localhost") == 0) {
        out->family = 4;
        out->bytes[0] = 127; out->bytes[3] = 1;
        return true;
    }
    if (inet_pton(AF_INET, host, out->bytes) == 1) { out->family = 4; return true; }
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof buf) {
        memcpy(buf, host + 1, n - 2);
        buf[n - 2] = '\0';
        host = buf;
    }
    if (inet_pton(AF_INET6, host, out->bytes) == 1) { out->family = 6; return true; }
    return false;
}

#ifndef XBL_MPSD_PORT_POSIX_NO_GETADDRINFO
/* Blocking lookup (see the documentation, 4.d). */
static void xbl_mpsd__posix_getaddrinfo(xbl_mpsd_port_posix *p)
{
    struct addrinfo hints, *res = NULL, *ai;
    char service[8];
    unsigned v = p->port;
    int i = 0, k;
    char tmp[8];
    /* port to decimal without snprintf (no locale, no formatted I/O); a
       uint16_t has at most 5 digits */
    do { tmp[i++] = (char)('0' + v % 10u); v /= 10u; } while (v != 0u);
    for (k = 0; k < i; ++k) service[k] = tmp[i - 1 - k];
    service[i] = '\0';

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    p->addr_count = 0;
    if (getaddrinfo(p->host, service, &hints, &res) != 0 || res == NULL) return;
    for (ai = res; ai != NULL && p->addr_count < XBL_MPSD_PORT_POSIX_MAX_ADDRS; ai = ai->ai_next) {
        xbl_mpsd_port_posix_addr *a = &p->addrs[p->addr_count];
        memset(a, 0, sizeof *a);
        if (ai->ai_family == AF_INET && ai->ai_addrlen >= (socklen_t)sizeof(struct sockaddr_in)) {
            struct sockaddr_in sin;
            memcpy(&sin, ai->ai_addr, sizeof sin);
            a->family = 4;
            memcpy(a->bytes, &sin.sin_addr, 4);
        } else if (ai->ai_family == AF_INET6 && ai->ai_addrlen >= (socklen_t)sizeof(struct sockaddr_in6)) {
            struct sockaddr_in6 sin6;
            memcpy(&sin6, ai->ai_addr, sizeof sin6);
            a->family = 6;
            memcpy(a->bytes, &sin6.sin6_addr, 16);
            a->scope_id = (uint32_t)sin6.sin6_scope_id;
        } else {
            continue;
        }
        p->addr_count++;
    }
    freeaddrinfo(res);
}
#endif

/* POSIX allows EWOULDBLOCK to differ from EAGAIN; where they are one value
   a second comparison would be dead code */
static bool xbl_mpsd__posix_would_block(int e)
{
#if EAGAIN == EWOULDBLOCK
    return e == EAGAIN;
#else
    return e == EAGAIN || e == EWOULDBLOCK;
#endif
}

static bool xbl_mpsd__posix_set_flags(int fd)
{
    int one = 1;
    int fl = fcntl(fd, F_GETFL, 0);
    int fdf = fcntl(fd, F_GETFD, 0);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return false;
    if (fdf < 0 || fcntl(fd, F_SETFD, fdf | FD_CLOEXEC) < 0) return false;
#if defined(SO_NOSIGPIPE)
    if (setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, (socklen_t)sizeof one) < 0) return false;
#endif
    /* best effort: a stack without Nagle control still works, only slower */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, (socklen_t)sizeof one);
    return true;
}

/* Start connecting to addrs[addr_next], moving on past addresses that fail at
   once. OK, PENDING or E_CONNECT (port closed). */
static xbl_mpsd_result xbl_mpsd__posix_start_next(xbl_mpsd_port_posix *p)
{
    while (p->addr_next < p->addr_count) {
        const xbl_mpsd_port_posix_addr *a = &p->addrs[p->addr_next++];
        struct sockaddr_in sin;
        struct sockaddr_in6 sin6;
        const struct sockaddr *sa;
        socklen_t salen;
        int fd, rc;
        if (a->family == 4) {
            memset(&sin, 0, sizeof sin);
            sin.sin_family = AF_INET;
            sin.sin_port = htons(p->port);
            memcpy(&sin.sin_addr, a->bytes, 4);
            sa = (const struct sockaddr *)(const void *)&sin;
            salen = (socklen_t)sizeof sin;
        } else if (a->family == 6) {
            memset(&sin6, 0, sizeof sin6);
            sin6.sin6_family = AF_INET6;
            sin6.sin6_port = htons(p->port);
            memcpy(&sin6.sin6_addr, a->bytes, 16);
            sin6.sin6_scope_id = a->scope_id;
            sa = (const struct sockaddr *)(const void *)&sin6;
            salen = (socklen_t)sizeof sin6;
        } else {
            continue;
        }
        fd = socket(sa->sa_family, SOCK_STREAM, 0);
        if (fd < 0) continue;
        if (!xbl_mpsd__posix_set_flags(fd)) { (void)close(fd); continue; }
        rc = connect(fd, sa, salen);
        if (rc == 0) {
            p->fd = fd;
            p->state = XBL_MPSD__POSIX_CONNECTED;
            return XBL_MPSD_OK;
        }
        /* EINTR: the connection still goes on asynchronously (POSIX) */
        if (errno == EINPROGRESS || errno == EINTR || errno == EAGAIN) {
            p->fd = fd;
            p->state = XBL_MPSD__POSIX_CONNECTING;
            return XBL_MPSD_PENDING;
        }
        (void)close(fd);
    }
    xbl_mpsd__posix_close(p);
    return XBL_MPSD_E_CONNECT;
}

/* Connecting: poll for writability, then SO_ERROR. */
static xbl_mpsd_result xbl_mpsd__posix_check(xbl_mpsd_port_posix *p)
{
    struct pollfd pfd;
    int err = 0, rc;
    socklen_t len = (socklen_t)sizeof err;
    pfd.fd = p->fd;
    pfd.events = POLLOUT;
    pfd.revents = 0;
    rc = poll(&pfd, 1, 0);
    if (rc == 0 || (rc < 0 && (errno == EINTR || errno == EAGAIN))) return XBL_MPSD_PENDING;
    /* with only POLLOUT asked, a ready descriptor without POLLOUT has
       POLLERR, POLLHUP or POLLNVAL: never going to connect */
    if (rc > 0 && (pfd.revents & POLLOUT) != 0 &&
        getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
        p->state = XBL_MPSD__POSIX_CONNECTED;
        return XBL_MPSD_OK;
    }
    /* this address failed: the next one, else E_CONNECT */
    (void)close(p->fd);
    p->fd = -1;
    p->state = XBL_MPSD__POSIX_IDLE;
    return xbl_mpsd__posix_start_next(p);
}

/* Connected and idle: has the peer closed or reset it meanwhile? */
static bool xbl_mpsd__posix_alive(xbl_mpsd_port_posix *p)
{
    struct pollfd pfd;
    unsigned char b;
    ssize_t n;
    int rc;
    pfd.fd = p->fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    rc = poll(&pfd, 1, 0);
    if (rc <= 0) return true;                       /* nothing to read, or EINTR: assume alive */
    /* readable, hung up or POLLNVAL: the peek tells (EBADF for POLLNVAL) */
    do {
        n = recv(p->fd, &b, 1, MSG_PEEK);
    } while (n < 0 && errno == EINTR);
    if (n > 0) return true;                         /* unread data: still a live connection */
    if (n < 0 && xbl_mpsd__posix_would_block(errno)) return true;
    return false;                                   /* EOF or error */
}

static uint32_t xbl_mpsd__posix_now_ms(void *ctx);

/* Data arrived within the fresh window: too recent for any server to have
   timed the connection out, so no poll() (documentation, 3. connect). */
static bool xbl_mpsd__posix_fresh(const xbl_mpsd_port_posix *p)
{
    return p->data_seen && (uint32_t)(xbl_mpsd__posix_now_ms(NULL) - p->data_ms) < p->fresh_ms;
}

/* Resolving: ask the user resolver (documentation, 4.c). */
static xbl_mpsd_result xbl_mpsd__posix_ask_resolver(xbl_mpsd_port_posix *p)
{
    size_t count = 0;
    xbl_mpsd_result r;
    if (p->resolve == NULL) { xbl_mpsd__posix_close(p); return XBL_MPSD_E_CONNECT; }   /* removed meanwhile */
    r = p->resolve(p->resolve_user, p->host, p->addrs, XBL_MPSD_PORT_POSIX_MAX_ADDRS, &count);
    if (r == XBL_MPSD_PENDING) return XBL_MPSD_PENDING;
    if (r != XBL_MPSD_OK || count == 0) { xbl_mpsd__posix_close(p); return XBL_MPSD_E_CONNECT; }
    p->state = XBL_MPSD__POSIX_IDLE;
    p->addr_count = (uint8_t)(count > XBL_MPSD_PORT_POSIX_MAX_ADDRS ? XBL_MPSD_PORT_POSIX_MAX_ADDRS : count);
    p->addr_next = 0;
    return xbl_mpsd__posix_start_next(p);
}

static xbl_mpsd_result xbl_mpsd__posix_connect(void *ctx, const char *host, uint16_t port)
{
    xbl_mpsd_port_posix *p = (xbl_mpsd_port_posix *)ctx;
    size_t n;
    bool same;
    if (p == NULL || host == NULL || host[0] == '\0' || port == 0) return XBL_MPSD_E_INVALIDARG;
    n = strlen(host);
    same = p->state != XBL_MPSD__POSIX_IDLE && p->port == port && n <= XBL_MPSD_PORT_POSIX_MAX_HOST &&
           strcmp(p->host, host) == 0;
    if (same) {
        switch (p->state) {
        case XBL_MPSD__POSIX_CONNECTED:
            if (xbl_mpsd__posix_fresh(p) || xbl_mpsd__posix_alive(p)) return XBL_MPSD_OK;
            break;                                  /* drop it, start afresh */
        case XBL_MPSD__POSIX_CONNECTING:
            return xbl_mpsd__posix_check(p);
        case XBL_MPSD__POSIX_RESOLVING:
            return xbl_mpsd__posix_ask_resolver(p);
        default:
            break;
        }
    }
    xbl_mpsd__posix_close(p);
    if (n > XBL_MPSD_PORT_POSIX_MAX_HOST) return XBL_MPSD_E_CONNECT;
    memcpy(p->host, host, n + 1);
    p->port = port;
    if (xbl_mpsd__posix_parse_numeric(host, &p->addrs[0])) {
        p->addr_count = 1;
        return xbl_mpsd__posix_start_next(p);
    }
    if (p->resolve != NULL) {
        p->state = XBL_MPSD__POSIX_RESOLVING;
        return xbl_mpsd__posix_ask_resolver(p);
    }
#ifndef XBL_MPSD_PORT_POSIX_NO_GETADDRINFO
    xbl_mpsd__posix_getaddrinfo(p);
    return xbl_mpsd__posix_start_next(p);
#else
    xbl_mpsd__posix_close(p);
    return XBL_MPSD_E_CONNECT;
#endif
}

static int32_t xbl_mpsd__posix_send(void *ctx, const uint8_t *data, size_t len)
{
    xbl_mpsd_port_posix *p = (xbl_mpsd_port_posix *)ctx;
    ssize_t n;
    if (p == NULL || (data == NULL && len != 0)) return XBL_MPSD_E_INVALIDARG;
    if (p->state != XBL_MPSD__POSIX_CONNECTED) return XBL_MPSD_E_IO;
    if (len == 0) return 0;
    if (len > (size_t)INT32_MAX) len = (size_t)INT32_MAX;
    do {
        n = send(p->fd, data, len, XBL_MPSD__POSIX_SEND_FLAGS);
    } while (n < 0 && errno == EINTR);
    if (n > 0) return (int32_t)n;                   /* n <= len <= INT32_MAX */
    if (n < 0 && xbl_mpsd__posix_would_block(errno)) return XBL_MPSD_E_WOULD_BLOCK;
    p->state = XBL_MPSD__POSIX_BROKEN;
    return XBL_MPSD_E_IO;
}

static int32_t xbl_mpsd__posix_recv(void *ctx, uint8_t *buf, size_t cap)
{
    xbl_mpsd_port_posix *p = (xbl_mpsd_port_posix *)ctx;
    ssize_t n;
    if (p == NULL || buf == NULL || cap == 0) return XBL_MPSD_E_INVALIDARG;
    if (p->state != XBL_MPSD__POSIX_CONNECTED && p->state != XBL_MPSD__POSIX_BROKEN) return XBL_MPSD_E_IO;
    if (cap > (size_t)INT32_MAX) cap = (size_t)INT32_MAX;
    do {
        n = recv(p->fd, buf, cap, 0);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        p->data_ms = xbl_mpsd__posix_now_ms(NULL);
        p->data_seen = 1;
        return (int32_t)n;                          /* n <= cap <= INT32_MAX */
    }
    if (n == 0) { p->state = XBL_MPSD__POSIX_BROKEN; return XBL_MPSD_E_EOF; }
    if (xbl_mpsd__posix_would_block(errno)) return XBL_MPSD_E_WOULD_BLOCK;
    p->state = XBL_MPSD__POSIX_BROKEN;
    return XBL_MPSD_E_IO;
}

static uint32_t xbl_mpsd__posix_now_ms(void *ctx)
{
    struct timespec ts;
    (void)ctx;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
    return (uint32_t)((uint64_t)ts.tv_sec * UINT64_C(1000) + (uint64_t)ts.tv_nsec / UINT64_C(1000000));
}

xbl_mpsd_result xbl_mpsd_port_posix_init(xbl_mpsd_port_posix *p, xbl_mpsd_port *out_port)
{
    if (p == NULL || out_port == NULL) return XBL_MPSD_E_INVALIDARG;
    memset(p, 0, sizeof *p);
    p->fd = -1;
    p->state = XBL_MPSD__POSIX_IDLE;
    p->fresh_ms = XBL_MPSD_PORT_POSIX_FRESH_MS;
    memset(out_port, 0, sizeof *out_port);
    out_port->ctx = p;
    out_port->connect = xbl_mpsd__posix_connect;
    out_port->send = xbl_mpsd__posix_send;
    out_port->recv = xbl_mpsd__posix_recv;
    out_port->close = xbl_mpsd__posix_close;
    out_port->now_ms = xbl_mpsd__posix_now_ms;
    return XBL_MPSD_OK;
}

void xbl_mpsd_port_posix_set_resolver(xbl_mpsd_port_posix *p,
        xbl_mpsd_port_posix_resolve_fn fn, void *user)
{
    if (p == NULL) return;
    p->resolve = fn;
    p->resolve_user = fn != NULL ? user : NULL;
}

void xbl_mpsd_port_posix_set_fresh_window(xbl_mpsd_port_posix *p, uint32_t ms)
{
    if (p == NULL) return;
    p->fresh_ms = ms;
}

#ifdef __cplusplus
}
#endif
#endif /* !XBL_MPSD__POSIX_MISSING */
#endif /* XBL_MPSD_PORT_POSIX_IMPLEMENTATION */

/* xbl_mpsd_port_posix.h is part of xbl_mpsd. MIT License: see the LICENSE
   file at the root of the SDK. */
