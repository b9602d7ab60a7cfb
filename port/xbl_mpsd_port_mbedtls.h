/* xbl_mpsd_port_mbedtls.h - TLS for xbl_mpsd over any other port, with mbedTLS 2.28.

   1. USE
   ------
   Exactly one translation unit instantiates the implementation:

       #define XBL_MPSD_IMPLEMENTATION                 (optional: the SDK itself)
       #define XBL_MPSD_PORT_MBEDTLS_IMPLEMENTATION
       #include "port/xbl_mpsd_port_mbedtls.h"

   Other files just include the header. It includes "xbl_mpsd.h" itself (the
   SDK root must be on the include path) and mbedTLS's ssl, x509, entropy and
   ctr_drbg headers (the declarations below hold mbedTLS contexts). Link with
   -lmbedtls -lmbedx509 -lmbedcrypto. The SDK and any ports may be included in
   any order and any number of times: each implementation is emitted once.

   The port wraps another port (the byte transport underneath: POSIX, lwIP,
   a console socket layer) and is itself an xbl_mpsd_port:

       static xbl_mpsd_port_posix tcp;  static xbl_mpsd_port tcp_port, tls_port;
       static xbl_mpsd_port_mbedtls tls;
       xbl_mpsd_port_mbedtls_config tc = {0};
       xbl_mpsd_port_posix_init(&tcp, &tcp_port);
       tc.lower = &tcp_port;
       tc.server_name = "sessiondirectory.xboxlive.com";
       tc.ca_pem = trusted_roots_pem;               NUL-terminated PEM bundle
       if (xbl_mpsd_port_mbedtls_init(&tls, &tc, &tls_port) != XBL_MPSD_OK) ...
       client_config.port = &tls_port;              then use the SDK as usual
       ...
       xbl_mpsd_port_mbedtls_free(&tls);            after the client is done

   2. MEMORY
   ---------
   The caller owns xbl_mpsd_port_mbedtls (40 712 bytes on x86-64 with
   Debian's mbedTLS, 36 880 of them the entropy context's HAVEGE state; about
   3.8 KB in a build without MBEDTLS_HAVEGE_C). The mbedTLS contexts inside it
   point at each other and at the struct itself, so THE STRUCT MUST NOT MOVE
   (no memcpy, no realloc of an array holding it) between init and free.
   The port has no heap calls and no global state of its own. mbedTLS
   allocates: the CA bundle and the record buffers at init (held until free),
   the handshake state, session and peer certificate per connection.

   Bounded memory. Where mbedTLS is built with MBEDTLS_PLATFORM_MEMORY and
   MBEDTLS_MEMORY_BUFFER_ALLOC_C (what embedded builds do), a non-NULL
   config heap/heap_size is handed to mbedtls_memory_buffer_alloc_init() at
   init, before anything is allocated, and released with
   mbedtls_memory_buffer_alloc_free() by xbl_mpsd_port_mbedtls_free: every
   mbedTLS allocation then stays inside that buffer. Where the library lacks
   either option (Debian's build) heap is ignored and mbedTLS uses the C
   library's calloc/free; XBL_MPSD_PORT_MBEDTLS_HEAP_SUPPORTED is 1 or 0 to
   tell the two apart at compile time.

   mbedTLS 2.28's buffer allocator is PROCESS-GLOBAL: there is one heap for
   the whole program, not one per port. With several TLS ports at once (two
   local players, each with a client):
   - give heap to exactly one port (the first one initialized) and NULL to
     the others: all of them, and any other mbedTLS user in the process,
     then allocate from that one buffer, so size it for all of them
     together (the sum of the per-port budgets below);
   - free the heap-owning port last: its free call ends the buffer, and any
     later mbedTLS allocation fails (calloc returns NULL) until a new one is
     installed;
   - a second non-NULL heap would replace the first while the first port's
     blocks live in it: undefined behaviour, do not do it.
   mbedTLS's buffer allocator is not thread-safe unless MBEDTLS_THREADING_C
   is on; the SDK polls from one thread, which is what it expects.

   Measured (tests/tls, Debian 12, mbedTLS 2.28.3, x86-64; the emulator's
   RSA-2048 certificate signed by an RSA-2048 test CA, TLS 1.2
   ECDHE-RSA-AES-256-GCM-SHA384). The tests serve mbedTLS's calloc/free
   from one fixed first-fit region (16-byte block tags) that fails past a
   limit, and search for the smallest limit with which init, one session
   write (handshake included) and free all succeed:
       smallest fixed region, 16 KB records            47 077 bytes
       peak live bytes mbedTLS asked for                45 928 bytes
       held by an idle port after init                  38 295 bytes
       held with a session up                           40 096 bytes
       smallest region with 4 KB records negotiated    47 077 bytes (same)
   So budget about 48 KB per port for a one-certificate chain, plus, as an
   estimate, the parsed copy of each further certificate the server sends
   (about 1.5 KB for RSA-2048), each extra root in ca_pem, and
   mbedtls_memory_buffer_alloc's own block headers (64 bytes each on 64-bit
   instead of 16); the tests check a whole write inside a stated 64 KB. When the heap runs
   out mbedTLS 2.28 does not always say so: connect then ends with
   XBL_MPSD_E_OUTOFMEMORY, or, when the allocation failed inside certificate
   verification, XBL_MPSD_E_TLS_VERIFY with only
   MBEDTLS_X509_BADCERT_NOT_TRUSTED set; init with a heap too small to parse
   ca_pem may say XBL_MPSD_E_INVALIDARG.
   Stack: 2 984 bytes for init, a whole session write and the final
   xbl_mpsd_port_mbedtls_free (SDK, port and mbedTLS, measured on a painted
   stack; mbedTLS keeps its big numbers on the heap).

   Reduced record sizes. The two record buffers (about 16.7 KB each, 33 KB of
   the budget) are sized by MBEDTLS_SSL_IN_CONTENT_LEN and
   MBEDTLS_SSL_OUT_CONTENT_LEN when mbedTLS is compiled: a custom build with
   4096 shrinks the budget by about 2 x 12 KB (computed, not measured: Debian's
   library fixes both at 16384). The only runtime knob, the
   max_fragment_length extension (XBL_MPSD_PORT_MBEDTLS_MAX_FRAG_LEN
   below), limits the records on the wire but does not shrink the buffers
   unless mbedTLS is built with MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH (Debian's
   is not): measured, the budget is the same with 4 KB records. Two more
   limits: mbedTLS 2.28 cannot reassemble a handshake message split over
   several records, so a fragment length below the server's Certificate
   message (512 with the test chain) breaks every handshake with
   XBL_MPSD_E_TLS (MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE); and a server that
   ignores the extension may send 16 KB records, so an input buffer below
   16 KB is only safe with a server known to honour it.

   3. BEHAVIOUR
   ------------
   init     Checks the config (lower with all five functions, server_name of
            1..255 bytes, ca_pem), seeds a CTR-DRBG from mbedtls_entropy
            (see 4.), parses ca_pem (a bundle may hold certificates mbedTLS
            cannot parse: init succeeds when at least one parsed), sets up a
            client configuration that cannot be weakened through this API:
            TLS 1.2 minimum, MBEDTLS_SSL_VERIFY_REQUIRED with the caller's
            roots, server_name always set for both SNI and the certificate
            name check, no renegotiation, no session tickets. mbedTLS 2.28
            matches server_name against the certificate's DNS names
            (subjectAltName dNSName, else the CN), never against an IP
            address entry: pass the DNS name. Returns
            XBL_MPSD_OK; XBL_MPSD_E_INVALIDARG for a bad config or a CA
            bundle with no usable certificate; XBL_MPSD_E_OUTOFMEMORY when
            mbedTLS could not allocate; XBL_MPSD_E_FAIL when the DRBG could
            not be seeded (no strong entropy source). A failed init leaves
            nothing allocated and the struct as after free.
   connect  Calls the lower connect with host and port until it answers
            XBL_MPSD_OK, then drives the TLS handshake (mbedtls_ssl_handshake)
            over the lower send/recv, stopping at the first would-block, and
            returns XBL_MPSD_PENDING until the handshake is done: it never
            blocks. OK once the peer is verified and the session keys are
            set. Failures end the attempt, close the lower port and leave the
            TLS port closed (the next call starts afresh):
              XBL_MPSD_E_TLS_VERIFY  the certificate chain does not lead to
                                     the caller's roots, is expired or not
                                     yet valid, is not for server_name, or
                                     has the wrong key usage: see
                                     xbl_mpsd_port_mbedtls_verify_flags
              XBL_MPSD_E_TLS         any other handshake failure: the peer
                                     speaks no TLS 1.2 (a plaintext server),
                                     sends a fatal alert, closes the
                                     connection mid-handshake, or breaks the
                                     protocol
              XBL_MPSD_E_OUTOFMEMORY mbedTLS could not allocate
              a lower code           the lower connect's own failure
                                     (XBL_MPSD_E_CONNECT), or its send/recv
                                     failure (XBL_MPSD_E_IO) mid-handshake.
            Called while connected to the same host and port it returns
            XBL_MPSD_OK at once, after one non-blocking record read that
            checks the idle connection is alive: when the peer has sent
            close_notify, closed or broken the connection (or send/recv
            reported EOF or an error on it), or sent data nobody asked for
            (an HTTP connection out of step), it drops that connection and
            starts a fresh TCP connection and handshake. A different host or
            port drops the current connection and starts a new one. A fresh
            connection resets the mbedTLS session (mbedtls_ssl_session_reset)
            and sets server_name again. NULL or empty host, or port 0:
            XBL_MPSD_E_INVALIDARG. host is what the lower port connects to
            (an address is fine); server_name from the config is what the
            certificate is checked against. With an address as the host,
            give the client the same name as host_header, so that the
            Host header names the service too.
   send     mbedtls_ssl_write: the bytes accepted (at most one record, 16 KB,
            or less with a negotiated maximum fragment length),
            XBL_MPSD_E_WOULD_BLOCK, or a terminal code (XBL_MPSD_E_TLS, or
            the lower port's own error such as XBL_MPSD_E_IO). After
            XBL_MPSD_E_WOULD_BLOCK the record is already encrypted inside
            mbedTLS: the next send must pass the same bytes again (len no
            shorter; the SDK retries with the same pointer and length) and
            mbedTLS finishes sending it. A shorter len then is
            XBL_MPSD_E_INVALIDARG. Not connected: XBL_MPSD_E_IO. len 0
            returns 0.
   recv     mbedtls_ssl_read: bytes read (> 0), XBL_MPSD_E_WOULD_BLOCK,
            XBL_MPSD_E_EOF when the peer sent close_notify or closed the
            connection (and on every later call), or a terminal code
            (XBL_MPSD_E_TLS for a bad record, or the lower port's error).
            An EOF without close_notify is reported as XBL_MPSD_E_EOF too:
            HTTP's own framing (Content-Length, chunked) tells a cut
            response apart, which is how the SDK reads it. Not connected:
            XBL_MPSD_E_IO. cap 0: XBL_MPSD_E_INVALIDARG. Never 0.
   close    Sends close_notify once when a session is up (best effort, no
            waiting), then closes the lower port. Safe when not connected;
            idempotent.
   now_ms   The lower port's clock.
   free     Closes, frees every mbedTLS context (and ends the heap buffer,
            see 2.). Safe on a port whose init failed, and twice.
   Each call of connect, send and recv does bounded work and stops at the
   first would-block, so it never spins. Measured over loopback, a
   handshake is 4 sends (ClientHello, ClientKeyExchange, ChangeCipherSpec,
   Finished) and 12 data-bearing recvs (header, then body, of each of the
   server's 6 records), spread over 4 to 21 connect calls (polls): the
   faster the caller polls, the more polls end on a would-block recv. At
   most 12 lower calls went into one poll natively (15 under valgrind,
   where more of the server's flight is waiting by then). The heaviest
   poll, certificate and ServerKeyExchange verification plus ECDHE, took
   1.6 to 4.5 ms on the test machine (x86-64), about 85 ms under valgrind.

   4. ENTROPY (what a console port must provide)
   ----------
   init seeds mbedtls_ctr_drbg (AES-256, reseeded from the entropy pool by
   mbedTLS as needed) from mbedtls_entropy_func with a personalization
   string. The pool needs at least one STRONG source, or init fails with
   XBL_MPSD_E_FAIL. On Linux, BSD, macOS and Windows mbedTLS's platform
   source (getrandom, /dev/urandom, BCryptGenRandom) is that source. A
   console or bare-metal build has none (it defines MBEDTLS_NO_PLATFORM_ENTROPY)
   and must add its hardware or OS cryptographic RNG, either
   - in mbedTLS: MBEDTLS_ENTROPY_HARDWARE_ALT and a mbedtls_hardware_poll()
     that fills the buffer from the platform's RNG; or
   - here: define XBL_MPSD_PORT_MBEDTLS_ADD_ENTROPY(ctx) before the
     implementation include; it is evaluated after mbedtls_entropy_init with
     ctx the mbedtls_entropy_context * and must yield 0 on success, e.g.
         #define XBL_MPSD_PORT_MBEDTLS_ADD_ENTROPY(ctx) \
             mbedtls_entropy_add_source((ctx), my_rng_poll, NULL, 32, MBEDTLS_ENTROPY_SOURCE_STRONG)
   The source must be a cryptographic RNG: a timer, a frame counter or
   rand() are not entropy, and TLS keys made from them can be recovered.
   For the same reason do not count on MBEDTLS_HAVEGE_C (Debian turns it on;
   it is a deprecated, timer-based source that mbedTLS nonetheless marks
   strong): leave it out of a console build, where it would hide a missing
   real source.

   5. OPTIONS (define before the implementation)
   ----------
   XBL_MPSD_PORT_MBEDTLS_ADD_ENTROPY(ctx)   see 4.
   XBL_MPSD_PORT_MBEDTLS_MAX_FRAG_LEN        a MBEDTLS_SSL_MAX_FRAG_LEN_*
                                             code (1: 512 ... 4: 4096) to ask
                                             the server for smaller records
                                             (RFC 6066); default none. See 2.
*/
#ifndef XBL_MPSD_PORT_MBEDTLS_H
#define XBL_MPSD_PORT_MBEDTLS_H

#include "xbl_mpsd.h"

#include <mbedtls/version.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ctr_drbg.h>

#if !defined(MBEDTLS_VERSION_NUMBER) || MBEDTLS_VERSION_NUMBER < 0x021C0000 || MBEDTLS_VERSION_NUMBER >= 0x03000000
#error "xbl_mpsd_port_mbedtls.h is written for mbedTLS 2.28 (Debian libmbedtls-dev 2.28.x)"
#endif

#if defined(MBEDTLS_PLATFORM_MEMORY) && defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C)
#define XBL_MPSD_PORT_MBEDTLS_HEAP_SUPPORTED 1
#else
#define XBL_MPSD_PORT_MBEDTLS_HEAP_SUPPORTED 0
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define XBL_MPSD_PORT_MBEDTLS_MAX_HOST 255   /* longest host or server name, without the NUL */

typedef struct xbl_mpsd_port_mbedtls_config {
    const xbl_mpsd_port *lower;       /* required: the byte transport underneath */
    const char *server_name;          /* required: verified against the certificate */
    const char *ca_pem;               /* required: trusted roots, PEM, NUL-terminated */
    void *heap; size_t heap_size;     /* optional: where mbedTLS is built with
                                         MBEDTLS_PLATFORM_MEMORY and
                                         MBEDTLS_MEMORY_BUFFER_ALLOC_C, all its
                                         allocations stay inside this buffer */
} xbl_mpsd_port_mbedtls_config;

typedef struct xbl_mpsd_port_mbedtls {
    /* private: use only through the xbl_mpsd_port that init fills, and do
       not move the struct between init and xbl_mpsd_port_mbedtls_free; see 2. */
    xbl_mpsd_port            lower;         /* copy of *config->lower */
    mbedtls_ssl_context      ssl;
    mbedtls_ssl_config       conf;
    mbedtls_x509_crt         ca;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_entropy_context  entropy;
    xbl_mpsd_result          lower_error;   /* the lower port's failure behind an mbedTLS error */
    int                      last_error;    /* last mbedTLS error code, 0 if none */
    uint32_t                 verify_flags;  /* MBEDTLS_X509_BADCERT_* of the last handshake */
    size_t                   pending_len;   /* len of a write that mbedTLS holds after WANT_WRITE */
    uint8_t                  state;         /* xbl_mpsd__tls_state; 0 before init and after free */
    uint8_t                  dirty;         /* a handshake has run since the last session reset */
    uint8_t                  owns_heap;
    uint16_t                 port;
    char                     host[XBL_MPSD_PORT_MBEDTLS_MAX_HOST + 1];
    char                     server_name[XBL_MPSD_PORT_MBEDTLS_MAX_HOST + 1];
} xbl_mpsd_port_mbedtls;

/* Set up p (see 3. init) and fill out_port with its functions and ctx = p.
   cfg is not kept (server_name is copied); ca_pem is parsed at once. The
   lower port's ctx must outlive p. Do not init a port that is set up: free
   it first. */
xbl_mpsd_result xbl_mpsd_port_mbedtls_init(xbl_mpsd_port_mbedtls *p,
        const xbl_mpsd_port_mbedtls_config *cfg, xbl_mpsd_port *out_port);

/* Close and release everything init set up. */
void xbl_mpsd_port_mbedtls_free(xbl_mpsd_port_mbedtls *p);

/* The MBEDTLS_X509_BADCERT_* / BADCRL_* flags of the last handshake that
   reached certificate verification (0 when it passed or none ran), e.g.
   MBEDTLS_X509_BADCERT_NOT_TRUSTED, _EXPIRED, _CN_MISMATCH. Turn them into
   text with mbedtls_x509_crt_verify_info(). */
uint32_t xbl_mpsd_port_mbedtls_verify_flags(const xbl_mpsd_port_mbedtls *p);

/* The last mbedTLS error code behind a failure (negative; 0 if none), for
   mbedtls_strerror() in logs. */
int xbl_mpsd_port_mbedtls_last_error(const xbl_mpsd_port_mbedtls *p);

#ifdef __cplusplus
}
#endif
#endif /* XBL_MPSD_PORT_MBEDTLS_H */

/* ######################################################################## */
/*                             IMPLEMENTATION                               */
/* ######################################################################## */
#if defined(XBL_MPSD_PORT_MBEDTLS_IMPLEMENTATION) && !defined(XBL_MPSD_PORT_MBEDTLS__IMPLEMENTED)
#define XBL_MPSD_PORT_MBEDTLS__IMPLEMENTED

#include <limits.h>
#include <string.h>
#include <mbedtls/error.h>
#include <mbedtls/bignum.h>
#include <mbedtls/asn1.h>
#include <mbedtls/pk.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pem.h>
#include <mbedtls/cipher.h>
#include <mbedtls/md.h>
#if XBL_MPSD_PORT_MBEDTLS_HEAP_SUPPORTED
#include <mbedtls/memory_buffer_alloc.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

enum xbl_mpsd__tls_state {
    XBL_MPSD__TLS_UNINIT = 0,   /* before init, after free */
    XBL_MPSD__TLS_IDLE,         /* no connection */
    XBL_MPSD__TLS_TCP,          /* lower connect in progress */
    XBL_MPSD__TLS_HANDSHAKE,
    XBL_MPSD__TLS_CONNECTED,
    XBL_MPSD__TLS_EOF,          /* the peer ended the session; recv keeps saying so */
    XBL_MPSD__TLS_BROKEN        /* a send or recv failed; the session is unusable */
};

/* Bytes written from a pointer given by mbedTLS: never more than asked. */
static int xbl_mpsd__tls_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    xbl_mpsd_port_mbedtls *p = (xbl_mpsd_port_mbedtls *)ctx;
    int32_t n = p->lower.send(p->lower.ctx, buf, len > (size_t)INT_MAX ? (size_t)INT_MAX : len);
    if (n > 0 && (size_t)n <= len) return (int)n;
    if (n == XBL_MPSD_E_WOULD_BLOCK) return MBEDTLS_ERR_SSL_WANT_WRITE;
    p->lower_error = n < 0 ? n : XBL_MPSD_E_IO;   /* 0 or too many: the lower port broke its contract */
    return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
}

/* 0 tells mbedTLS the transport reached EOF. */
static int xbl_mpsd__tls_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    xbl_mpsd_port_mbedtls *p = (xbl_mpsd_port_mbedtls *)ctx;
    int32_t n = p->lower.recv(p->lower.ctx, buf, len > (size_t)INT_MAX ? (size_t)INT_MAX : len);
    if (n > 0 && (size_t)n <= len) return (int)n;
    if (n == XBL_MPSD_E_WOULD_BLOCK) return MBEDTLS_ERR_SSL_WANT_READ;
    if (n == XBL_MPSD_E_EOF) return 0;
    p->lower_error = n < 0 ? n : XBL_MPSD_E_IO;
    return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
}

static bool xbl_mpsd__tls_would_block(int ret)
{
    return ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE;
}

static bool xbl_mpsd__tls_is_eof(int ret)
{
    return ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == MBEDTLS_ERR_SSL_CONN_EOF;
}

/* mbedTLS 2.28 error codes add a low-level code (bits 0..6) to a high-level
   one (bits 7..15); an allocation failure may sit in either half. */
static bool xbl_mpsd__tls_is_alloc_failure(int ret)
{
    int high, low;
    if (ret >= 0) return false;
    high = -((-ret) & 0xFF80);
    low = -((-ret) & 0x007F);
    return high == MBEDTLS_ERR_SSL_ALLOC_FAILED || high == MBEDTLS_ERR_X509_ALLOC_FAILED ||
           high == MBEDTLS_ERR_PK_ALLOC_FAILED || high == MBEDTLS_ERR_ECP_ALLOC_FAILED ||
           high == MBEDTLS_ERR_CIPHER_ALLOC_FAILED || high == MBEDTLS_ERR_MD_ALLOC_FAILED ||
           high == MBEDTLS_ERR_PEM_ALLOC_FAILED ||
           low == MBEDTLS_ERR_MPI_ALLOC_FAILED || low == MBEDTLS_ERR_ASN1_ALLOC_FAILED;
}

/* A terminal mbedTLS error as an SDK code; the lower port's own failure
   wins, since it is what actually went wrong. */
static xbl_mpsd_result xbl_mpsd__tls_error(xbl_mpsd_port_mbedtls *p, int ret)
{
    p->last_error = ret;
    if (p->lower_error < 0) return p->lower_error;
    if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) return XBL_MPSD_E_TLS_VERIFY;
    if (xbl_mpsd__tls_is_alloc_failure(ret)) return XBL_MPSD_E_OUTOFMEMORY;
    return XBL_MPSD_E_TLS;
}

/* Drops the lower connection; the mbedTLS session is reset lazily, when the
   next connection starts, so close never allocates. */
static void xbl_mpsd__tls_drop(xbl_mpsd_port_mbedtls *p)
{
    if (p->state != XBL_MPSD__TLS_IDLE) p->lower.close(p->lower.ctx);
    p->state = XBL_MPSD__TLS_IDLE;
    p->pending_len = 0;
    p->lower_error = 0;
}

static void xbl_mpsd__tls_close(void *ctx)
{
    xbl_mpsd_port_mbedtls *p = (xbl_mpsd_port_mbedtls *)ctx;
    if (p == NULL || p->state == XBL_MPSD__TLS_UNINIT) return;
    /* one try, no waiting: the peer learns the close was deliberate, and
       nothing depends on it arriving */
    if (p->state == XBL_MPSD__TLS_CONNECTED && p->pending_len == 0) (void)mbedtls_ssl_close_notify(&p->ssl);
    xbl_mpsd__tls_drop(p);
}

static xbl_mpsd_result xbl_mpsd__tls_handshake(xbl_mpsd_port_mbedtls *p)
{
    int ret = mbedtls_ssl_handshake(&p->ssl);
    xbl_mpsd_result r;
    if (ret == 0) {
        p->verify_flags = 0;
        p->state = XBL_MPSD__TLS_CONNECTED;
        return XBL_MPSD_OK;
    }
    if (xbl_mpsd__tls_would_block(ret)) return XBL_MPSD_PENDING;
    /* read before the next reset discards the session being negotiated */
    p->verify_flags = mbedtls_ssl_get_verify_result(&p->ssl);
    if (p->verify_flags == UINT32_MAX) p->verify_flags = 0;   /* no verification ran */
    r = xbl_mpsd__tls_error(p, ret);   /* an EOF mid-handshake is XBL_MPSD_E_TLS */
    xbl_mpsd__tls_drop(p);
    return r;
}

static xbl_mpsd_result xbl_mpsd__tls_lower_connect(xbl_mpsd_port_mbedtls *p)
{
    xbl_mpsd_result r = p->lower.connect(p->lower.ctx, p->host, p->port);
    if (r == XBL_MPSD_PENDING || r == XBL_MPSD_E_WOULD_BLOCK) return XBL_MPSD_PENDING;
    if (r != XBL_MPSD_OK) {
        xbl_mpsd__tls_drop(p);
        return r < 0 ? r : XBL_MPSD_E_CONNECT;
    }
    p->state = XBL_MPSD__TLS_HANDSHAKE;
    p->dirty = 1;
    return xbl_mpsd__tls_handshake(p);
}

/* A fresh mbedTLS session (server_name set again, so the name check can
   never be lost), then the lower connect. */
static xbl_mpsd_result xbl_mpsd__tls_start(xbl_mpsd_port_mbedtls *p, const char *host, size_t host_len, uint16_t port)
{
    xbl_mpsd__tls_drop(p);
    if (p->dirty) {
        int ret = mbedtls_ssl_session_reset(&p->ssl);
        if (ret == 0) ret = mbedtls_ssl_set_hostname(&p->ssl, p->server_name);
        if (ret != 0) return xbl_mpsd__tls_error(p, ret);
        p->dirty = 0;
    }
    memcpy(p->host, host, host_len + 1);
    p->port = port;
    p->last_error = 0;
    p->state = XBL_MPSD__TLS_TCP;
    return xbl_mpsd__tls_lower_connect(p);
}

/* An idle kept connection: only nothing-to-read means it is still usable. */
static bool xbl_mpsd__tls_alive(xbl_mpsd_port_mbedtls *p)
{
    unsigned char probe;
    int ret = mbedtls_ssl_read(&p->ssl, &probe, 1);
    p->lower_error = 0;
    return ret == MBEDTLS_ERR_SSL_WANT_READ;
}

static xbl_mpsd_result xbl_mpsd__tls_connect(void *ctx, const char *host, uint16_t port)
{
    xbl_mpsd_port_mbedtls *p = (xbl_mpsd_port_mbedtls *)ctx;
    size_t n;
    if (p == NULL || host == NULL || host[0] == '\0' || port == 0) return XBL_MPSD_E_INVALIDARG;
    if (p->state == XBL_MPSD__TLS_UNINIT) return XBL_MPSD_E_UNEXPECTED;
    n = strlen(host);
    if (n > XBL_MPSD_PORT_MBEDTLS_MAX_HOST) { xbl_mpsd__tls_drop(p); return XBL_MPSD_E_CONNECT; }
    if (p->state != XBL_MPSD__TLS_IDLE && p->port == port && strcmp(p->host, host) == 0) {
        switch (p->state) {
        case XBL_MPSD__TLS_TCP: return xbl_mpsd__tls_lower_connect(p);
        case XBL_MPSD__TLS_HANDSHAKE: return xbl_mpsd__tls_handshake(p);
        case XBL_MPSD__TLS_CONNECTED:
            if (p->pending_len != 0 || xbl_mpsd__tls_alive(p)) return XBL_MPSD_OK;
            break;
        default: break;
        }
    }
    return xbl_mpsd__tls_start(p, host, n, port);
}

static int32_t xbl_mpsd__tls_send(void *ctx, const uint8_t *data, size_t len)
{
    xbl_mpsd_port_mbedtls *p = (xbl_mpsd_port_mbedtls *)ctx;
    int ret;
    xbl_mpsd_result r;
    if (p == NULL || (data == NULL && len != 0)) return XBL_MPSD_E_INVALIDARG;
    if (p->state != XBL_MPSD__TLS_CONNECTED) return XBL_MPSD_E_IO;
    if (len == 0) return 0;
    if (p->pending_len != 0) {
        /* mbedTLS only flushes the record it holds and answers with the
           length it was first given: same length, same answer */
        if (len < p->pending_len) return XBL_MPSD_E_INVALIDARG;
        len = p->pending_len;
    }
    if (len > (size_t)INT32_MAX) len = (size_t)INT32_MAX;
    ret = mbedtls_ssl_write(&p->ssl, data, len);
    if (ret > 0) { p->pending_len = 0; return (int32_t)ret; }
    if (xbl_mpsd__tls_would_block(ret)) { p->pending_len = len; return XBL_MPSD_E_WOULD_BLOCK; }
    r = xbl_mpsd__tls_error(p, ret);
    p->state = XBL_MPSD__TLS_BROKEN;
    return r == XBL_MPSD_E_EOF ? XBL_MPSD_E_IO : r;
}

static int32_t xbl_mpsd__tls_recv(void *ctx, uint8_t *buf, size_t cap)
{
    xbl_mpsd_port_mbedtls *p = (xbl_mpsd_port_mbedtls *)ctx;
    int ret;
    if (p == NULL || buf == NULL || cap == 0) return XBL_MPSD_E_INVALIDARG;
    if (p->state == XBL_MPSD__TLS_EOF) return XBL_MPSD_E_EOF;
    if (p->state != XBL_MPSD__TLS_CONNECTED) return XBL_MPSD_E_IO;
    if (cap > (size_t)INT32_MAX) cap = (size_t)INT32_MAX;
    ret = mbedtls_ssl_read(&p->ssl, buf, cap);
    if (ret > 0) return (int32_t)ret;
    if (xbl_mpsd__tls_would_block(ret)) return XBL_MPSD_E_WOULD_BLOCK;
    if (p->lower_error == 0 && xbl_mpsd__tls_is_eof(ret)) {
        p->state = XBL_MPSD__TLS_EOF;
        return XBL_MPSD_E_EOF;
    }
    p->state = XBL_MPSD__TLS_BROKEN;
    return xbl_mpsd__tls_error(p, ret);
}

static uint32_t xbl_mpsd__tls_now_ms(void *ctx)
{
    xbl_mpsd_port_mbedtls *p = (xbl_mpsd_port_mbedtls *)ctx;
    return p->lower.now_ms(p->lower.ctx);
}

static bool xbl_mpsd__tls_config_ok(const xbl_mpsd_port_mbedtls_config *cfg)
{
    const xbl_mpsd_port *l = cfg->lower;
    size_t n;
    if (l == NULL || l->connect == NULL || l->send == NULL || l->recv == NULL || l->close == NULL ||
        l->now_ms == NULL || cfg->server_name == NULL || cfg->ca_pem == NULL) return false;
    if (cfg->heap != NULL && cfg->heap_size == 0) return false;
    n = strlen(cfg->server_name);
    return n > 0 && n <= XBL_MPSD_PORT_MBEDTLS_MAX_HOST;
}

/* Contexts first, so free is right after a failure at any later step. */
static void xbl_mpsd__tls_init_contexts(xbl_mpsd_port_mbedtls *p)
{
    mbedtls_ssl_init(&p->ssl);
    mbedtls_ssl_config_init(&p->conf);
    mbedtls_x509_crt_init(&p->ca);
    mbedtls_ctr_drbg_init(&p->drbg);
    mbedtls_entropy_init(&p->entropy);
}

static xbl_mpsd_result xbl_mpsd__tls_seed(xbl_mpsd_port_mbedtls *p)
{
    static const unsigned char personal[] = "xbl_mpsd tls port";
#ifdef XBL_MPSD_PORT_MBEDTLS_ADD_ENTROPY
    if ((XBL_MPSD_PORT_MBEDTLS_ADD_ENTROPY(&p->entropy)) != 0) return XBL_MPSD_E_FAIL;
#endif
    if (mbedtls_ctr_drbg_seed(&p->drbg, mbedtls_entropy_func, &p->entropy, personal, sizeof personal - 1) != 0)
        return XBL_MPSD_E_FAIL;
    return XBL_MPSD_OK;
}

static xbl_mpsd_result xbl_mpsd__tls_load_ca(xbl_mpsd_port_mbedtls *p, const char *pem)
{
    int ret = mbedtls_x509_crt_parse(&p->ca, (const unsigned char *)pem, strlen(pem) + 1);
    if (xbl_mpsd__tls_is_alloc_failure(ret)) return XBL_MPSD_E_OUTOFMEMORY;
    /* > 0: some certificates of the bundle were skipped, the rest count */
    if (ret < 0 || p->ca.version == 0) { p->last_error = ret; return XBL_MPSD_E_INVALIDARG; }
    return XBL_MPSD_OK;
}

static xbl_mpsd_result xbl_mpsd__tls_configure(xbl_mpsd_port_mbedtls *p)
{
    mbedtls_ssl_config *c = &p->conf;
    int ret = mbedtls_ssl_config_defaults(c, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) return xbl_mpsd__tls_error(p, ret);
    mbedtls_ssl_conf_authmode(c, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(c, &p->ca, NULL);
    mbedtls_ssl_conf_rng(c, mbedtls_ctr_drbg_random, &p->drbg);
    mbedtls_ssl_conf_min_version(c, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
#if defined(MBEDTLS_SSL_RENEGOTIATION)
    mbedtls_ssl_conf_renegotiation(c, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
#endif
#if defined(MBEDTLS_SSL_SESSION_TICKETS)
    /* the port never resumes a session, so a ticket would only cost memory */
    mbedtls_ssl_conf_session_tickets(c, MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
#endif
#if defined(XBL_MPSD_PORT_MBEDTLS_MAX_FRAG_LEN) && defined(MBEDTLS_SSL_MAX_FRAGMENT_LENGTH)
    ret = mbedtls_ssl_conf_max_frag_len(c, (unsigned char)(XBL_MPSD_PORT_MBEDTLS_MAX_FRAG_LEN));
    if (ret != 0) return XBL_MPSD_E_INVALIDARG;
#endif
    ret = mbedtls_ssl_setup(&p->ssl, c);
    if (ret == 0) ret = mbedtls_ssl_set_hostname(&p->ssl, p->server_name);
    if (ret != 0) return xbl_mpsd__tls_error(p, ret);
    mbedtls_ssl_set_bio(&p->ssl, p, xbl_mpsd__tls_bio_send, xbl_mpsd__tls_bio_recv, NULL);
    return XBL_MPSD_OK;
}

static void xbl_mpsd__tls_release(xbl_mpsd_port_mbedtls *p)
{
#if XBL_MPSD_PORT_MBEDTLS_HEAP_SUPPORTED
    bool heap = p->owns_heap != 0;
#endif
    mbedtls_ssl_free(&p->ssl);
    mbedtls_ssl_config_free(&p->conf);
    mbedtls_x509_crt_free(&p->ca);
    mbedtls_ctr_drbg_free(&p->drbg);
    mbedtls_entropy_free(&p->entropy);
#if XBL_MPSD_PORT_MBEDTLS_HEAP_SUPPORTED
    if (heap) mbedtls_memory_buffer_alloc_free();   /* last: the frees above went into it */
#endif
    memset(p, 0, sizeof *p);   /* state UNINIT: every later call is refused */
}

xbl_mpsd_result xbl_mpsd_port_mbedtls_init(xbl_mpsd_port_mbedtls *p,
        const xbl_mpsd_port_mbedtls_config *cfg, xbl_mpsd_port *out_port)
{
    xbl_mpsd_result r;
    if (p == NULL || cfg == NULL || out_port == NULL) return XBL_MPSD_E_INVALIDARG;
    memset(p, 0, sizeof *p);
    if (!xbl_mpsd__tls_config_ok(cfg)) return XBL_MPSD_E_INVALIDARG;
    p->lower = *cfg->lower;
    memcpy(p->server_name, cfg->server_name, strlen(cfg->server_name) + 1);
#if XBL_MPSD_PORT_MBEDTLS_HEAP_SUPPORTED
    if (cfg->heap != NULL) {
        mbedtls_memory_buffer_alloc_init((unsigned char *)cfg->heap, cfg->heap_size);
        p->owns_heap = 1;
    }
#endif
    xbl_mpsd__tls_init_contexts(p);
    r = xbl_mpsd__tls_seed(p);
    if (r == XBL_MPSD_OK) r = xbl_mpsd__tls_load_ca(p, cfg->ca_pem);
    if (r == XBL_MPSD_OK) r = xbl_mpsd__tls_configure(p);
    if (r != XBL_MPSD_OK) { xbl_mpsd__tls_release(p); return r; }
    p->state = XBL_MPSD__TLS_IDLE;
    memset(out_port, 0, sizeof *out_port);
    out_port->ctx = p;
    out_port->connect = xbl_mpsd__tls_connect;
    out_port->send = xbl_mpsd__tls_send;
    out_port->recv = xbl_mpsd__tls_recv;
    out_port->close = xbl_mpsd__tls_close;
    out_port->now_ms = xbl_mpsd__tls_now_ms;
    return XBL_MPSD_OK;
}

void xbl_mpsd_port_mbedtls_free(xbl_mpsd_port_mbedtls *p)
{
    if (p == NULL || p->state == XBL_MPSD__TLS_UNINIT) return;
    xbl_mpsd__tls_close(p);
    xbl_mpsd__tls_release(p);
}

uint32_t xbl_mpsd_port_mbedtls_verify_flags(const xbl_mpsd_port_mbedtls *p)
{
    return p == NULL ? 0u : p->verify_flags;
}

int xbl_mpsd_port_mbedtls_last_error(const xbl_mpsd_port_mbedtls *p)
{
    return p == NULL ? 0 : p->last_error;
}

#ifdef __cplusplus
}
#endif
#endif /* XBL_MPSD_PORT_MBEDTLS_IMPLEMENTATION */

/* xbl_mpsd_port_mbedtls.h is part of xbl_mpsd. MIT License: see the LICENSE
   file at the root of the SDK. */
