/* xbl-mpsd, the SDK's command line: shared types of its translation units.
   Built only on the public API of xbl_mpsd.h and the shipped ports (POSIX
   sockets, mbedTLS for --tls). Exit status: 0 success, 1 a service or
   transport error, 2 a usage error. Data goes to stdout, progress and
   errors to stderr. */
#ifndef XBL_MPSD_CLI_H
#define XBL_MPSD_CLI_H

#define _POSIX_C_SOURCE 200809L
#include "xbl_mpsd.h"
#include "port/xbl_mpsd_port_posix.h"
#include "port/xbl_mpsd_port_mbedtls.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILED = 1, CLI_EXIT_USAGE = 2 };

#define CLI_DEFAULT_HOST "127.0.0.1"
#define CLI_DEFAULT_PORT 8910                 /* the emulator's default port */
#define CLI_DEFAULT_XUID UINT64_C(2814600000000100)
#define CLI_MAX_PROPS    32
#define CLI_ARENA_BYTES  (256u * 1024u)
#define CLI_WORK_BYTES   (1024u * 1024u)
#define CLI_CA_BYTES     (256u * 1024u)
#define CLI_RTA_BYTES    (16u * 1024u)        /* holds any burst of shoulder taps */

typedef struct cli_options {
    const char *host;
    uint16_t    port;
    bool        tls;
    const char *ca_file;
    const char *server_name;   /* NULL: the host */
    uint64_t    xuid;
    const char *token;         /* the whole Authorization value; NULL: emulator style */
    bool        json;
} cli_options;

/* What a command was asked to do, after the command line was read. */
typedef struct cli_request {
    const char *command;
    const char *scid, *template_name, *name;
    const char *handle_id;             /* get --handle */
    uint32_t    max_members;           /* create; 0 = the template's */
    xbl_mpsd_session_visibility visibility;
    bool        if_match;
    uint32_t    interval_ms;           /* watch --interval */
    bool        poll;                  /* watch --poll (or --interval): read, no RTA */
    const char *rta_host;              /* watch --rta-host; NULL: the --host */
    uint16_t    rta_port;              /* watch --rta-port; 0: the --port */
    const char *props[CLI_MAX_PROPS];  /* KEY=JSON */
    size_t      props_count;
} cli_request;

/* One transport: POSIX sockets, with TLS over them for --tls. */
typedef struct cli_link {
    xbl_mpsd_port_posix   tcp;
    xbl_mpsd_port         tcp_port;
    xbl_mpsd_port_mbedtls tls;          /* must not move once initialized */
    bool                  tls_ready;
    xbl_mpsd_port         port;         /* what the user of the link talks through */
} cli_link;

/* One user's connection: the ports, the client and the operation buffer. */
typedef struct cli_conn {
    const cli_options    *options;
    cli_link              link;
    xbl_mpsd_client       client;
    xbl_mpsd_async        op;
    char                  authorization[512];
    char                  ca_pem[CLI_CA_BYTES];
    uint8_t               work[CLI_WORK_BYTES];
} cli_conn;

/* The user's real-time connection (watch): a link of its own, attached to
   the cli_conn's client. */
typedef struct cli_rta {
    cli_link     link;
    xbl_mpsd_rta rta;
    bool         live;
    uint8_t      buffer[CLI_RTA_BYTES];
} cli_rta;

typedef struct cli_session {
    xbl_mpsd_session session;
    uint8_t          arena[CLI_ARENA_BYTES];
} cli_session;

/* net.c */
int  cli_conn_open(cli_conn *c, const cli_options *o, const char *command);
void cli_conn_close(cli_conn *c);
int  cli_rta_open(cli_rta *rt, cli_conn *c, const cli_request *r);
void cli_rta_close(cli_rta *rt);
xbl_mpsd_result cli_wait(xbl_mpsd_async *op, const volatile sig_atomic_t *stop);
int  cli_fail(const char *command, const char *what, xbl_mpsd_result rc, const xbl_mpsd_async *op);
int  cli_usage_error(const char *command, const char *fmt, const char *arg);

/* print.c */
const char *cli_status_name(xbl_mpsd_write_session_status s);
const char *cli_visibility_name(xbl_mpsd_session_visibility v);
void cli_print_session(const cli_session *s, const xbl_mpsd_async *op, bool json);
void cli_print_change(const cli_session *now, xbl_mpsd_session_change_types types, bool json);
void cli_print_deleted(bool json);

/* commands.c */
extern volatile sig_atomic_t cli_stop;   /* set by SIGINT/SIGTERM */
extern cli_session cli_sessions[2];
int cli_run(const cli_options *o, const cli_request *r);
xbl_mpsd_result cli_read(cli_conn *c, const cli_request *r, cli_session *out, bool *started);
int cli_start_failed(const cli_request *r, const char *what, xbl_mpsd_result rc);

/* watch.c */
int cli_cmd_watch(cli_conn *c, const cli_request *r);

#endif
