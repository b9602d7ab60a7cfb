/* conformance_uart.c - the port conformance suite (tests/port_conformance/)
   on the emulated Cortex-M4, run against port/xbl_mpsd_port_cmsdk_uart.h.
   QEMU connects UART0 to the peer's echo scenario (base port + 0), which is
   the only scenario a serial line can reach: the port does not connect
   anywhere itself, so every other scenario is skipped (skip_mask). Built
   with CONFORMANCE_HOST_HOOKS: the suite's own clock is CMSDK timer 1, the
   port's clock timer 0. `make arm-port-conformance`.

   Two rules fail on QEMU, and are expected to: QEMU's model of the UART
   hands every transmitted byte to its socket at once and never shows the
   transmit buffer full, so send never meets WOULD_BLOCK and the suite's
   echo transfer fills both directions until nothing moves, and a register
   write that meets a full socket stalls the emulated CPU (a send taking
   hundreds of ms). On silicon the TXFULL bit is the backpressure.
   EXPECT-FAIL: transfer.large timing.calls */
#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
#define XBL_MPSD_PORT_CMSDK_UART_IMPLEMENTATION
#include "port/xbl_mpsd_port_cmsdk_uart.h"
#include "conformance.h"
#include "an386.h"

#include <stdio.h>
#include <string.h>

static cmsdk_timer g_port_clock, g_host_clock;
static xbl_mpsd_port_cmsdk_uart g_uart;

uint64_t conformance_host_us(void)
{
    return cmsdk_timer_ticks(&g_host_clock) / (CMSDK_PCLK_HZ / 1000000u);
}

void conformance_host_sleep_us(uint32_t us)
{
    uint64_t end = conformance_host_us() + us;
    while (conformance_host_us() < end) {}
}

int conformance_port_setup(const conformance_env *env, conformance_adapter *out)
{
    (void)env;
    out->name = "cmsdk_uart (QEMU mps2-an386 UART0)";
    out->skip_mask = ~(1u << CONFORMANCE_ECHO);
    return an386_uart0_port(&g_uart, &g_port_clock, &out->port) == XBL_MPSD_OK ? 0 : 1;
}

/* The board has no files: --ca (a TLS option) cannot be read here, and
   picolibc's fopen would bring the heap in. */
FILE *fopen(const char *path, const char *mode)
{
    (void)path; (void)mode;
    return NULL;
}

size_t fread(void *buf, size_t size, size_t n, FILE *f)
{
    (void)buf; (void)size; (void)n; (void)f;
    return 0;
}

int fclose(FILE *f)
{
    (void)f;
    return EOF;
}

int conformance_main(int argc, char **argv);

/* No command line on the board: the suite's arguments are fixed here. The
   base port only has to be non-zero (the line goes where QEMU points it). */
int main(void)
{
    static char arg0[] = "conformance", base[] = "--base", base_v[] = "1",
                large[] = "--large-bytes", large_v[] = "262144";
    char *argv[] = { arg0, base, base_v, large, large_v, NULL };
    cmsdk_timer_start(&g_host_clock, CMSDK_TIMER1);
    return conformance_main(5, argv);
}
