/* Connecting: the POSIX port, optionally wrapped in TLS, a client whose
   auth callback hands out the --token value, and the poll loop. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static xbl_mpsd_result cli_auth(void *user, const char *method, const char *path,
        const uint8_t *body, size_t body_len, char *authorization, size_t authorization_cap,
        char *signature, size_t signature_cap)
{
    const cli_conn *c = (const cli_conn *)user;
    size_t n = strlen(c->authorization);
    (void)method; (void)path; (void)body; (void)body_len;
    if (n >= authorization_cap) return XBL_MPSD_E_OUTOFMEMORY;
    memcpy(authorization, c->authorization, n + 1);
    if (signature_cap > 0) signature[0] = '\0';
    return XBL_MPSD_OK;
}

/* The emulator reads the user from the token's claims; a real service
   needs a real XSTS token, given with --token. */
static int cli_make_authorization(cli_conn *c, const cli_options *o)
{
    int n;
    if (o->token != NULL)
        n = snprintf(c->authorization, sizeof c->authorization, "%s", o->token);
    else
        n = snprintf(c->authorization, sizeof c->authorization, "XBL3.0 x=-;xuid=%llu,gt=cli%llu",
                     (unsigned long long)o->xuid, (unsigned long long)(o->xuid % 10000u));
    return n > 0 && (size_t)n < sizeof c->authorization ? 0 : -1;
}

static int cli_read_ca(cli_conn *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (f == NULL) return -1;
    n = fread(c->ca_pem, 1, sizeof c->ca_pem - 1, f);
    fclose(f);
    c->ca_pem[n] = '\0';
    return n > 0 && n < sizeof c->ca_pem - 1 ? 0 : -1;
}

/* The POSIX port, wrapped in TLS (checked against server_name) when --tls. */
static int cli_link_open(cli_link *l, const cli_options *o, const char *ca_pem, const char *server_name,
                         const char *command)
{
    xbl_mpsd_port_mbedtls_config tc;
    xbl_mpsd_result rc;
    l->tls_ready = false;
    rc = xbl_mpsd_port_posix_init(&l->tcp, o->tls ? &l->tcp_port : &l->port);
    if (rc != XBL_MPSD_OK) return cli_fail(command, "socket port setup", rc, NULL);
    if (!o->tls) return CLI_EXIT_OK;
    memset(&tc, 0, sizeof tc);
    tc.lower = &l->tcp_port;
    tc.server_name = server_name;
    tc.ca_pem = ca_pem;
    rc = xbl_mpsd_port_mbedtls_init(&l->tls, &tc, &l->port);
    if (rc != XBL_MPSD_OK) return cli_fail(command, "TLS setup", rc, NULL);
    l->tls_ready = true;
    return CLI_EXIT_OK;
}

static void cli_link_close(cli_link *l)
{
    if (l->tls_ready) xbl_mpsd_port_mbedtls_free(&l->tls);
    l->tls_ready = false;
}

int cli_conn_open(cli_conn *c, const cli_options *o, const char *command)
{
    xbl_mpsd_client_config cfg;
    xbl_mpsd_result rc;
    int ex;
    c->options = o;
    c->link.tls_ready = false;
    if (cli_make_authorization(c, o) != 0) return cli_usage_error(command, "--token is too long%s", "");
    if (o->tls && cli_read_ca(c, o->ca_file) != 0)
        return cli_usage_error(command, "--ca %s: cannot read a PEM file of trusted roots", o->ca_file);
    ex = cli_link_open(&c->link, o, c->ca_pem, o->server_name != NULL ? o->server_name : o->host, command);
    if (ex != CLI_EXIT_OK) return ex;
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &c->link.port;
    cfg.xuid = o->xuid;
    cfg.auth = cli_auth;
    cfg.auth_user = c;
    cfg.host = o->host;
    cfg.port_number = o->port;
    cfg.timeout_ms = 10000;
    cfg.user_agent = "xbl-mpsd/" XBL_MPSD_VERSION_STRING;
    rc = xbl_mpsd_client_init(&c->client, &cfg);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_async_init(&c->op, c->work, sizeof c->work);
    if (rc != XBL_MPSD_OK) return cli_fail(command, "client setup", rc, NULL);
    return CLI_EXIT_OK;
}

void cli_conn_close(cli_conn *c)
{
    xbl_mpsd_client_close(&c->client);
    cli_link_close(&c->link);
}

/* WebSocket masking keys and handshake nonces from the system's source. */
static void cli_random(void *user, uint8_t *out, size_t len)
{
    FILE *f = fopen("/dev/urandom", "rb");
    size_t n = f != NULL ? fread(out, 1, len, f) : 0;
    (void)user;
    if (f != NULL) fclose(f);
    for (; n < len; n++) out[n] = (uint8_t)rand();   /* no /dev/urandom: a key all the same */
}

/* The RTA object on a link of its own, attached to c's client, with
   subscriptions wanted: it connects on the following polls. */
int cli_rta_open(cli_rta *rt, cli_conn *c, const cli_request *r)
{
    const cli_options *o = c->options;
    xbl_mpsd_rta_config cfg;
    xbl_mpsd_result rc;
    const char *name = r->rta_host != NULL ? r->rta_host : o->server_name != NULL ? o->server_name : o->host;
    int ex = cli_link_open(&rt->link, o, c->ca_pem, name, r->command);
    rt->live = false;
    if (ex != CLI_EXIT_OK) return ex;
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &rt->link.port;
    cfg.host = r->rta_host != NULL ? r->rta_host : o->host;
    cfg.port_number = r->rta_port != 0 ? r->rta_port : o->port;
    cfg.timeout_ms = 10000;
    cfg.ping_interval_ms = 30000;      /* a silent drop is noticed within a minute */
    cfg.random = cli_random;
    rc = xbl_mpsd_rta_init(&rt->rta, &c->client, &cfg, rt->buffer, sizeof rt->buffer);
    if (rc == XBL_MPSD_OK) rc = xbl_mpsd_set_subscriptions_enabled(&c->client, true);
    if (rc != XBL_MPSD_OK) {
        xbl_mpsd_rta_close(&rt->rta);
        cli_link_close(&rt->link);
        return cli_fail(r->command, "RTA setup", rc, NULL);
    }
    rt->live = true;
    return CLI_EXIT_OK;
}

void cli_rta_close(cli_rta *rt)
{
    if (!rt->live) return;
    xbl_mpsd_rta_close(&rt->rta);
    cli_link_close(&rt->link);
    rt->live = false;
}

/* Polls to completion, a millisecond apart; *stop set (^C) cancels. */
xbl_mpsd_result cli_wait(xbl_mpsd_async *op, const volatile sig_atomic_t *stop)
{
    struct timespec tick = { 0, 1000000 };
    xbl_mpsd_result rc;
    while ((rc = xbl_mpsd_async_poll(op)) == XBL_MPSD_PENDING) {
        if (stop != NULL && *stop) {
            xbl_mpsd_async_cancel(op);
            return xbl_mpsd_async_poll(op);
        }
        nanosleep(&tick, NULL);
    }
    return rc;
}

/* One line naming the code, the HTTP status and the service's error text. */
int cli_fail(const char *command, const char *what, xbl_mpsd_result rc, const xbl_mpsd_async *op)
{
    unsigned status = op != NULL ? (unsigned)xbl_mpsd_async_http_status(op) : 0u;
    const char *text = op != NULL ? xbl_mpsd_async_error_text(op) : "";
    char status_text[16];
    int text_len = (int)strlen(text);
    while (text_len > 0 && (text[text_len - 1] == '\n' || text[text_len - 1] == '\r' || text[text_len - 1] == ' '))
        text_len--;
    if (status != 0) snprintf(status_text, sizeof status_text, "%u", status);
    else snprintf(status_text, sizeof status_text, "none");
    fprintf(stderr, "xbl-mpsd %s: %s failed: %s, HTTP status %s, service error: %.*s\n", command, what,
            xbl_mpsd_result_string(rc), status_text, text_len > 0 ? text_len : 4, text_len > 0 ? text : "none");
    return CLI_EXIT_FAILED;
}

int cli_usage_error(const char *command, const char *fmt, const char *arg)
{
    fprintf(stderr, "xbl-mpsd%s%s: ", command != NULL ? " " : "", command != NULL ? command : "");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see: xbl-mpsd %s%s--help)\n", command != NULL ? command : "", command != NULL ? " " : "");
    return CLI_EXIT_USAGE;
}
