/* broken_common.h - the POSIX port behind pass-through wrappers, for the
   deliberately broken ports (broken_*.c). Each broken port replaces one
   wrapper with a copy of a real porting mistake and lists, in an
   "EXPECT-FAIL:" comment, exactly the rules the suite must fail for it
   (run.sh checks that list against the report). */
#ifndef BROKEN_COMMON_H
#define BROKEN_COMMON_H

#define _POSIX_C_SOURCE 200809L
#define XBL_MPSD_PORT_POSIX_IMPLEMENTATION
#include "port/xbl_mpsd_port_posix.h"
#include "conformance.h"

#include <time.h>

typedef struct broken {
    xbl_mpsd_port_posix tcp;
    xbl_mpsd_port inner;      /* the working port being broken */
} broken;

static broken B;

static xbl_mpsd_result pass_connect(void *ctx, const char *host, uint16_t port)
{
    (void)ctx;
    return B.inner.connect(B.inner.ctx, host, port);
}

static int32_t pass_send(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    return B.inner.send(B.inner.ctx, data, len);
}

static int32_t pass_recv(void *ctx, uint8_t *buf, size_t cap)
{
    (void)ctx;
    return B.inner.recv(B.inner.ctx, buf, cap);
}

static void pass_close(void *ctx)
{
    (void)ctx;
    B.inner.close(B.inner.ctx);
}

static uint32_t pass_now_ms(void *ctx)
{
    (void)ctx;
    return B.inner.now_ms(B.inner.ctx);
}

static inline void broken_sleep_ms(long ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* out->port: the pass-through port; the caller then swaps in its mistake. */
static int broken_setup(conformance_adapter *out, const char *name)
{
    if (xbl_mpsd_port_posix_init(&B.tcp, &B.inner) != XBL_MPSD_OK) return 1;
    out->name = name;
    out->port.ctx = &B;
    out->port.connect = pass_connect;
    out->port.send = pass_send;
    out->port.recv = pass_recv;
    out->port.close = pass_close;
    out->port.now_ms = pass_now_ms;
    return 0;
}

#endif /* BROKEN_COMMON_H */
