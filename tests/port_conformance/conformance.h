/* conformance.h - what a port's adapter gives the xbl_mpsd port conformance
   suite (tests/port_conformance/conformance.c; guide: port/README.md).

   The porter writes one C file that defines conformance_port_setup() and
   builds the suite with it:

       make port-check PORT=my_adapter.c

   The suite then drives the port against a peer whose scenarios sit at
   fixed offsets from a base port (peer.py documents them) and prints one
   PASS/FAIL line per contract rule.
*/
#ifndef XBL_MPSD_CONFORMANCE_H
#define XBL_MPSD_CONFORMANCE_H

#include "xbl_mpsd.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Peer scenarios, as offsets from the base port (same table as peer.py). */
enum conformance_scenario {
    CONFORMANCE_ECHO = 0,      /* echoes every byte until the client closes */
    CONFORMANCE_GREET,         /* sends CONFORMANCE_GREETING_LEN pattern bytes, then an orderly close */
    CONFORMANCE_DELAYED,       /* 300 ms, "part1-", 200 ms, "part2", orderly close */
    CONFORMANCE_RESET,         /* 200 ms after accepting, resets the connection */
    CONFORMANCE_REFUSED,       /* nothing listens: connecting is refused */
    CONFORMANCE_SILENCE,       /* accepts (TLS: completes the handshake), never sends */
    CONFORMANCE_MUTE,          /* accepts at TCP level, never answers anything */
    CONFORMANCE_NO_ANSWER,     /* the TCP handshake is never answered */
    CONFORMANCE_STALL,         /* reads nothing for 1 s, then echoes */
    CONFORMANCE_IDENT,         /* answers each byte with "id%06d", numbering the peer's connections */
    CONFORMANCE_SCENARIOS
};

#define CONFORMANCE_GREETING_LEN 3000

/* The pattern byte at stream position i (peer.py: pattern_byte). */
#define CONFORMANCE_PATTERN(i) ((uint8_t)((((uint64_t)(i) * UINT64_C(2654435761)) >> 11) & 0xFFu))

/* What the suite knows from its command line. */
typedef struct conformance_env {
    const char *host;          /* --host, default "127.0.0.1" */
    uint16_t    base_port;     /* --base; 0 when not given */
    const char *ca_pem;        /* contents of --ca FILE (NUL-terminated), NULL without --ca */
    const char *server_name;   /* --server-name, default "localhost" */
} conformance_env;

/* What the adapter fills in. Zeroed by the suite before the call. */
typedef struct conformance_adapter {
    const char   *name;        /* shown in the report */
    xbl_mpsd_port port;        /* required: the port under test, ready to connect */
    const char   *host;        /* 0: env->host. The address the peer is reached at */
    uint16_t      base_port;   /* 0: env->base_port. For peers the adapter starts itself */
    /* 0: host. Where connect.no-answer goes, for peers that cannot hold a
       TCP handshake open: an address whose packets go nowhere. */
    const char   *no_answer_host;
    /* Optional: called between port calls and while the suite waits, for
       stacks whose timers and packets run on the caller's thread (lwIP
       NO_SYS). Must not block. */
    void        (*pump)(void *user);
    void         *user;
    /* Optional: bit (1u << scenario) set for each scenario the peer cannot
       offer; the rules that need it print SKIP. */
    unsigned      skip_mask;
} conformance_adapter;

/* Defined by the porter's adapter: fill *out (the suite zeroed it) and
   return 0, or print why and return nonzero. */
int conformance_port_setup(const conformance_env *env, conformance_adapter *out);

/* Hosts without POSIX clock_gettime/nanosleep: build the suite with
   -DCONFORMANCE_HOST_HOOKS and define these two in the adapter. */
#ifdef CONFORMANCE_HOST_HOOKS
uint64_t conformance_host_us(void);          /* monotonic microseconds */
void     conformance_host_sleep_us(uint32_t us);
#endif

#ifdef __cplusplus
}
#endif
#endif /* XBL_MPSD_CONFORMANCE_H */
