/* xbl_mpsd_port_cmsdk_uart.h - an xbl_mpsd port over one serial line: the
   ARM CMSDK APB UART of Cortex-M boards (MPS2 AN385/AN386/AN500, their QEMU
   models mps2-an385/-an386/-an500, and SoCs built from the CMSDK).

   The UART carries one byte stream to whatever sits at the other end of the
   wire, and that end decides where the bytes go: a host-side bridge that
   holds a TCP connection to the service, a modem in transparent mode, or
   QEMU's serial backend connected to a TCP socket:

       qemu-system-arm -M mps2-an386 ... \
           -chardev socket,id=u0,host=127.0.0.1,port=8910 -serial chardev:u0

   So this port does no connecting of its own: the client's host and port
   only name the service in the request (the Host header), and the port
   treats the line as connected while the UART is enabled. The stream has
   no end either: recv never answers XBL_MPSD_E_EOF, so a peer that stops
   mid-response ends the operation with the client's timeout, and the
   responses must be length-delimited (Content-Length or chunked), which
   MPSD's are. Use it over a bridge that keeps the HTTP connection open
   (HTTP/1.1 keep-alive) and re-opens it when the service drops it.

   1. USE
   ------
   Exactly one translation unit instantiates the implementation:

       #define XBL_MPSD_PORT_CMSDK_UART_IMPLEMENTATION
       #include "port/xbl_mpsd_port_cmsdk_uart.h"

       xbl_mpsd_port_cmsdk_uart_config cfg = {0};
       xbl_mpsd_port_cmsdk_uart uart;  xbl_mpsd_port port;
       cfg.base = XBL_MPSD_PORT_CMSDK_UART0_AN386;   UART0 of the AN385/AN386
       cfg.bauddiv = 217;                             25 MHz / 115200 baud
       cfg.now_ms = my_clock;  cfg.clock_ctx = &my_timer;
       xbl_mpsd_port_cmsdk_uart_init(&uart, &cfg, &port);   -> port is ready

   The UART has no clock, so the caller gives one (now_ms: monotonic
   milliseconds, may wrap; a SysTick counter or a CMSDK timer). The header
   includes "xbl_mpsd.h" itself and may be included with the SDK and other
   ports in any order.

   2. WHAT EACH FUNCTION DOES
   --------------------------
   connect  XBL_MPSD_OK (the line is up once init enabled the UART); host
            and port are not used. After close it drops stale received
            bytes first (what is in the receive buffer now).
   send     Writes bytes while the transmit buffer has room: the count
            written, or XBL_MPSD_E_WOULD_BLOCK when it is full.
   recv     Reads bytes while the receive buffer holds one: the count read,
            or XBL_MPSD_E_WOULD_BLOCK. A receive overrun (a byte lost
            because nobody read in time) is XBL_MPSD_E_IO: the stream has a
            hole and the exchange cannot be trusted.
   close    Marks the line closed; connect reopens it.
   now_ms   The caller's clock.
   No call waits: every register access is a status check or one byte.

   3. MEMORY
   ---------
   No heap and no global state: the UART's address and the clock live in
   xbl_mpsd_port_cmsdk_uart, which the caller owns.
*/
#ifndef XBL_MPSD_PORT_CMSDK_UART_H
#define XBL_MPSD_PORT_CMSDK_UART_H

#include "xbl_mpsd.h"

#ifdef __cplusplus
extern "C" {
#endif

/* UART0 of the MPS2 AN385 and AN386 images (and their QEMU models). */
#define XBL_MPSD_PORT_CMSDK_UART0_AN386 ((uintptr_t)0x40004000u)

typedef struct xbl_mpsd_port_cmsdk_uart_config {
    uintptr_t base;                    /* required: the UART's register block */
    uint32_t  bauddiv;                 /* required: PCLK / baud rate, at least 16 */
    uint32_t (*now_ms)(void *clock_ctx);   /* required: monotonic milliseconds */
    void     *clock_ctx;
} xbl_mpsd_port_cmsdk_uart_config;

typedef struct xbl_mpsd_port_cmsdk_uart {
    /* private: use only through the xbl_mpsd_port that init fills */
    uintptr_t base;
    uint32_t (*now_ms)(void *clock_ctx);
    void     *clock_ctx;
    bool      open;
} xbl_mpsd_port_cmsdk_uart;

/* Sets the baud divider, enables transmit and receive, and fills out_port
   with the port's functions and ctx = p. XBL_MPSD_E_INVALIDARG for a NULL
   pointer, a zero base, a divider under 16 or no clock. */
xbl_mpsd_result xbl_mpsd_port_cmsdk_uart_init(xbl_mpsd_port_cmsdk_uart *p,
        const xbl_mpsd_port_cmsdk_uart_config *config, xbl_mpsd_port *out_port);

#ifdef __cplusplus
}
#endif
#endif /* XBL_MPSD_PORT_CMSDK_UART_H */

/* ######################################################################## */
/*                             IMPLEMENTATION                               */
/* ######################################################################## */
#if defined(XBL_MPSD_PORT_CMSDK_UART_IMPLEMENTATION) && !defined(XBL_MPSD_PORT_CMSDK_UART__IMPLEMENTED)
#define XBL_MPSD_PORT_CMSDK_UART__IMPLEMENTED

#ifdef __cplusplus
extern "C" {
#endif

/* The CMSDK APB UART's registers (ARM DDI 0479) and their bits. */
#define XBL_MPSD__UART_DATA     0x00u
#define XBL_MPSD__UART_STATE    0x04u
#define XBL_MPSD__UART_CTRL     0x08u
#define XBL_MPSD__UART_BAUDDIV  0x10u
#define XBL_MPSD__UART_TX_FULL  0x1u   /* STATE */
#define XBL_MPSD__UART_RX_FULL  0x2u
#define XBL_MPSD__UART_RX_OVERRUN 0x8u
#define XBL_MPSD__UART_TX_EN    0x1u   /* CTRL */
#define XBL_MPSD__UART_RX_EN    0x2u

static volatile uint32_t *xbl_mpsd__uart_reg(const xbl_mpsd_port_cmsdk_uart *p, uint32_t offset)
{
    return (volatile uint32_t *)(p->base + offset);
}

static uint32_t xbl_mpsd__uart_state(const xbl_mpsd_port_cmsdk_uart *p)
{
    return *xbl_mpsd__uart_reg(p, XBL_MPSD__UART_STATE);
}

/* Empties the receive buffer: bytes of an abandoned exchange. */
static void xbl_mpsd__uart_drain(const xbl_mpsd_port_cmsdk_uart *p)
{
    while (xbl_mpsd__uart_state(p) & XBL_MPSD__UART_RX_FULL) (void)*xbl_mpsd__uart_reg(p, XBL_MPSD__UART_DATA);
    *xbl_mpsd__uart_reg(p, XBL_MPSD__UART_STATE) = XBL_MPSD__UART_RX_OVERRUN;   /* write 1 to clear */
}

static xbl_mpsd_result xbl_mpsd__uart_connect(void *ctx, const char *host, uint16_t port)
{
    xbl_mpsd_port_cmsdk_uart *p = (xbl_mpsd_port_cmsdk_uart *)ctx;
    (void)port;
    if (p == NULL || host == NULL) return XBL_MPSD_E_INVALIDARG;
    if (!p->open) {
        xbl_mpsd__uart_drain(p);
        p->open = true;
    }
    return XBL_MPSD_OK;
}

static int32_t xbl_mpsd__uart_send(void *ctx, const uint8_t *data, size_t len)
{
    xbl_mpsd_port_cmsdk_uart *p = (xbl_mpsd_port_cmsdk_uart *)ctx;
    int32_t n = 0;
    if (p == NULL || (data == NULL && len != 0)) return XBL_MPSD_E_INVALIDARG;
    if (!p->open) return XBL_MPSD_E_IO;
    if (len > INT32_MAX) len = INT32_MAX;
    while ((size_t)n < len && !(xbl_mpsd__uart_state(p) & XBL_MPSD__UART_TX_FULL))
        *xbl_mpsd__uart_reg(p, XBL_MPSD__UART_DATA) = data[n++];
    return n > 0 ? n : (len == 0 ? 0 : XBL_MPSD_E_WOULD_BLOCK);
}

static int32_t xbl_mpsd__uart_recv(void *ctx, uint8_t *buf, size_t cap)
{
    xbl_mpsd_port_cmsdk_uart *p = (xbl_mpsd_port_cmsdk_uart *)ctx;
    int32_t n = 0;
    uint32_t state;
    if (p == NULL || buf == NULL || cap == 0) return XBL_MPSD_E_INVALIDARG;
    if (!p->open) return XBL_MPSD_E_IO;
    if (cap > INT32_MAX) cap = INT32_MAX;
    while ((size_t)n < cap && ((state = xbl_mpsd__uart_state(p)) & XBL_MPSD__UART_RX_FULL)) {
        if (state & XBL_MPSD__UART_RX_OVERRUN) return XBL_MPSD_E_IO;
        buf[n++] = (uint8_t)(*xbl_mpsd__uart_reg(p, XBL_MPSD__UART_DATA) & 0xFFu);
    }
    if (n == 0 && (xbl_mpsd__uart_state(p) & XBL_MPSD__UART_RX_OVERRUN)) return XBL_MPSD_E_IO;
    return n > 0 ? n : XBL_MPSD_E_WOULD_BLOCK;
}

static void xbl_mpsd__uart_close(void *ctx)
{
    xbl_mpsd_port_cmsdk_uart *p = (xbl_mpsd_port_cmsdk_uart *)ctx;
    if (p != NULL) p->open = false;
}

static uint32_t xbl_mpsd__uart_now_ms(void *ctx)
{
    xbl_mpsd_port_cmsdk_uart *p = (xbl_mpsd_port_cmsdk_uart *)ctx;
    return p->now_ms(p->clock_ctx);
}

xbl_mpsd_result xbl_mpsd_port_cmsdk_uart_init(xbl_mpsd_port_cmsdk_uart *p,
        const xbl_mpsd_port_cmsdk_uart_config *config, xbl_mpsd_port *out_port)
{
    if (p == NULL || config == NULL || out_port == NULL || config->base == 0 || config->bauddiv < 16 ||
        config->now_ms == NULL)
        return XBL_MPSD_E_INVALIDARG;
    p->base = config->base;
    p->now_ms = config->now_ms;
    p->clock_ctx = config->clock_ctx;
    p->open = false;
    *xbl_mpsd__uart_reg(p, XBL_MPSD__UART_BAUDDIV) = config->bauddiv;
    *xbl_mpsd__uart_reg(p, XBL_MPSD__UART_CTRL) = XBL_MPSD__UART_TX_EN | XBL_MPSD__UART_RX_EN;
    out_port->ctx = p;
    out_port->connect = xbl_mpsd__uart_connect;
    out_port->send = xbl_mpsd__uart_send;
    out_port->recv = xbl_mpsd__uart_recv;
    out_port->close = xbl_mpsd__uart_close;
    out_port->now_ms = xbl_mpsd__uart_now_ms;
    return XBL_MPSD_OK;
}

#ifdef __cplusplus
}
#endif
#endif /* XBL_MPSD_PORT_CMSDK_UART_IMPLEMENTATION */
