/* Connecting: the POSIX port, optionally wrapped in TLS, a client whose
   auth callback hands out the --token value, and the poll loop. */
#include "cli.h"

#include <stdio.h>
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

static int cli_open_tls(cli_conn *c, const cli_options *o, const char *command)
{
    xbl_mpsd_port_mbedtls_config tc;
    xbl_mpsd_result rc;
    if (cli_read_ca(c, o->ca_file) != 0)
        return cli_usage_error(command, "--ca %s: cannot read a PEM file of trusted roots", o->ca_file);
    memset(&tc, 0, sizeof tc);
    tc.lower = &c->tcp_port;
    tc.server_name = o->server_name != NULL ? o->server_name : o->host;
    tc.ca_pem = c->ca_pem;
    rc = xbl_mpsd_port_mbedtls_init(&c->tls, &tc, &c->port);
    if (rc != XBL_MPSD_OK) return cli_fail(command, "TLS setup", rc, NULL);
    c->tls_ready = true;
    return CLI_EXIT_OK;
}

int cli_conn_open(cli_conn *c, const cli_options *o, const char *command)
{
    xbl_mpsd_client_config cfg;
    xbl_mpsd_result rc;
    int ex;
    c->options = o;
    c->tls_ready = false;
    if (cli_make_authorization(c, o) != 0) return cli_usage_error(command, "--token is too long%s", "");
    rc = xbl_mpsd_port_posix_init(&c->tcp, o->tls ? &c->tcp_port : &c->port);
    if (rc != XBL_MPSD_OK) return cli_fail(command, "socket port setup", rc, NULL);
    if (o->tls && (ex = cli_open_tls(c, o, command)) != CLI_EXIT_OK) return ex;
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &c->port;
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
    if (c->tls_ready) xbl_mpsd_port_mbedtls_free(&c->tls);
    c->tls_ready = false;
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
