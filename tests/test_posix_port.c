/* Tests of port/xbl_mpsd_port_posix.h against tests/http_server.py.
   Run from the repository root (the server is started as
   "python3 tests/http_server.py --port 0", python3 from PATH). Every wait is
   bounded: the port is polled with a 1 ms sleep between calls, 5 s at most. */
#define _POSIX_C_SOURCE 200809L
#define XBL_MPSD_IMPLEMENTATION
#define XBL_MPSD_PORT_POSIX_IMPLEMENTATION

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "xbl_mpsd.h"
#include "port/xbl_mpsd_port_posix.h"

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

extern char **environ;

#define WAIT_MS      5000u
#define FAST_CALL_MS 100u   /* a single port call must return well within this */

/* ------------------------------------------------------------------------ */
/* server process                                                           */
/* ------------------------------------------------------------------------ */

typedef struct server {
    pid_t pid;
    uint16_t port;
} server;

static server g_server;

static void server_stop(server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
    }
    s->pid = 0;
}

/* Start tests/http_server.py with the given --host; false if it did not
   come up (e.g. no IPv6). */
static bool server_start(server *s, const char *host)
{
    int fds[2];
    posix_spawn_file_actions_t fa;
    char *argv[7];
    char line[256];
    size_t n = 0;
    const char *colon;
    long port;
    uint32_t waited = 0;

    s->pid = 0;
    s->port = 0;
    if (pipe(fds) != 0) return false;
    argv[0] = (char *)"python3";
    argv[1] = (char *)"tests/http_server.py";
    argv[2] = (char *)"--port";
    argv[3] = (char *)"0";
    argv[4] = (char *)"--host";
    argv[5] = (char *)host;
    argv[6] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    if (posix_spawnp(&s->pid, "python3", &fa, NULL, argv, environ) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        close(fds[0]);
        close(fds[1]);
        s->pid = 0;
        return false;
    }
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    /* first line, bounded */
    while (n < sizeof line - 1 && waited < 10000u) {
        struct pollfd pfd;
        ssize_t r;
        pfd.fd = fds[0];
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (poll(&pfd, 1, 100) <= 0) { waited += 100u; continue; }
        r = read(fds[0], line + n, 1);
        if (r <= 0) break;
        if (line[n] == '\n') break;
        n++;
    }
    line[n] = '\0';
    close(fds[0]);   /* the server's later prints (none) would get EPIPE: fine */
    colon = strrchr(line, ':');
    if (strncmp(line, "listening on ", 13) != 0 || colon == NULL) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
        return false;
    }
    port = strtol(colon + 1, NULL, 10);
    if (port <= 0 || port > 65535) {
        server_stop(s);
        return false;
    }
    s->port = (uint16_t)port;
    return true;
}

static int group_setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_DFL);   /* a SIGPIPE would kill this process: proves none is raised */
    if (!server_start(&g_server, "127.0.0.1")) {
        fprintf(stderr, "cannot start python3 tests/http_server.py (run from the repository root)\n");
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    server_stop(&g_server);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* helpers                                                                  */
/* ------------------------------------------------------------------------ */

static void sleep_ms(unsigned ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1000u);
    ts.tv_nsec = (long)(ms % 1000u) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) { }
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

typedef struct fixture {
    xbl_mpsd_port_posix tcp;
    xbl_mpsd_port port;
} fixture;

static void fixture_init(fixture *f)
{
    assert_int_equal(xbl_mpsd_port_posix_init(&f->tcp, &f->port), XBL_MPSD_OK);
}

/* connect until not PENDING; every call must be fast. *first gets the
   result of the first call. */
static xbl_mpsd_result connect_wait(fixture *f, const char *host, uint16_t port, xbl_mpsd_result *first)
{
    uint64_t start = mono_ms();
    xbl_mpsd_result r;
    bool is_first = true;
    for (;;) {
        uint64_t t0 = mono_ms();
        r = f->port.connect(f->port.ctx, host, port);
        assert_true(mono_ms() - t0 < FAST_CALL_MS);
        if (is_first && first != NULL) *first = r;
        is_first = false;
        if (r != XBL_MPSD_PENDING || mono_ms() - start > WAIT_MS) return r;
        sleep_ms(1);
    }
}

static void connect_ok(fixture *f, uint16_t port)
{
    assert_int_equal(connect_wait(f, "127.0.0.1", port, NULL), XBL_MPSD_OK);
}

static void send_all(fixture *f, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    uint64_t start = mono_ms();
    while (len > 0) {
        int32_t n = f->port.send(f->port.ctx, p, len);
        if (n == XBL_MPSD_E_WOULD_BLOCK) {
            assert_true(mono_ms() - start < WAIT_MS);
            sleep_ms(1);
            continue;
        }
        assert_true(n > 0);
        assert_true((size_t)n <= len);
        p += n;
        len -= (size_t)n;
    }
}

static void send_str(fixture *f, const char *s)
{
    send_all(f, s, strlen(s));
}

/* Read until want bytes arrived (want 0: until a non-byte outcome). Returns
   the final non-byte outcome (or XBL_MPSD_OK when want was reached);
   *got = bytes read; *would_blocks counts WOULD_BLOCK answers. */
static xbl_mpsd_result recv_some(fixture *f, uint8_t *buf, size_t cap, size_t want,
                                 size_t *got, unsigned *would_blocks)
{
    uint64_t start = mono_ms();
    size_t n = 0;
    unsigned wb = 0;
    xbl_mpsd_result end = XBL_MPSD_OK;
    for (;;) {
        int32_t r;
        if (want > 0 && n >= want) break;
        if (n == cap) { end = XBL_MPSD_E_OUTOFMEMORY; break; }
        r = f->port.recv(f->port.ctx, buf + n, cap - n);
        assert_int_not_equal(r, 0);
        if (r > 0) {
            assert_true((size_t)r <= cap - n);
            n += (size_t)r;
            continue;
        }
        if (r == XBL_MPSD_E_WOULD_BLOCK) {
            wb++;
            if (mono_ms() - start > WAIT_MS) { end = XBL_MPSD_E_TIMEOUT; break; }
            sleep_ms(1);
            continue;
        }
        end = r;
        break;
    }
    *got = n;
    if (would_blocks != NULL) *would_blocks = wb;
    return end;
}

/* Length of the head (through the blank line) in buf[0..n), or 0. */
static size_t head_len(const uint8_t *buf, size_t n)
{
    size_t i;
    for (i = 0; i + 3 < n; ++i)
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0) return i + 4;
    return 0;
}

/* Value of a header in a head, as a number; -1 if absent. */
static long header_num(const uint8_t *buf, size_t hlen, const char *name)
{
    size_t nl = strlen(name), i;
    for (i = 0; i + nl + 1 < hlen; ++i) {
        if ((i == 0 || buf[i - 1] == '\n') && strncmp((const char *)buf + i, name, nl) == 0 &&
            buf[i + nl] == ':')
            return strtol((const char *)buf + i + nl + 1, NULL, 10);
    }
    return -1;
}

/* Read one Content-Length response. Returns total bytes; head size in *hl. */
static size_t read_response(fixture *f, uint8_t *buf, size_t cap, size_t *hl)
{
    size_t n = 0, got;
    long cl;
    uint64_t start = mono_ms();
    *hl = 0;
    while (*hl == 0) {
        xbl_mpsd_result r = recv_some(f, buf + n, cap - n, 1, &got, NULL);
        assert_int_equal(r, XBL_MPSD_OK);
        n += got;
        *hl = head_len(buf, n);
        assert_true(mono_ms() - start < WAIT_MS);
    }
    cl = header_num(buf, *hl, "Content-Length");
    assert_true(cl >= 0);
    if (n < *hl + (size_t)cl) {
        assert_int_equal(recv_some(f, buf + n, cap - n, *hl + (size_t)cl - n, &got, NULL), XBL_MPSD_OK);
        n += got;
    }
    assert_int_equal(n, *hl + (size_t)cl);
    return n;
}

static void pattern(uint8_t *out, size_t n)
{
    static const char pat[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    size_t i;
    for (i = 0; i < n; ++i) out[i] = (uint8_t)pat[i % (sizeof pat - 1)];
}

static uint8_t g_buf[65536];
static uint8_t g_expect[65536];

/* ------------------------------------------------------------------------ */
/* tests                                                                    */
/* ------------------------------------------------------------------------ */

static void test_init_and_idle_calls(void **state)
{
    fixture f;
    uint8_t b[4];
    (void)state;
    assert_int_equal(xbl_mpsd_port_posix_init(NULL, &f.port), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_port_posix_init(&f.tcp, NULL), XBL_MPSD_E_INVALIDARG);
    fixture_init(&f);
    assert_ptr_equal(f.port.ctx, &f.tcp);
    assert_non_null(f.port.connect);
    assert_non_null(f.port.send);
    assert_non_null(f.port.recv);
    assert_non_null(f.port.close);
    assert_non_null(f.port.now_ms);
    /* not connected */
    f.port.close(f.port.ctx);
    f.port.close(f.port.ctx);
    assert_int_equal(f.port.send(f.port.ctx, b, sizeof b), XBL_MPSD_E_IO);
    assert_int_equal(f.port.recv(f.port.ctx, b, sizeof b), XBL_MPSD_E_IO);
    assert_int_equal(f.port.recv(f.port.ctx, b, 0), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(f.port.connect(f.port.ctx, NULL, 80), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(f.port.connect(f.port.ctx, "", 80), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", 0), XBL_MPSD_E_INVALIDARG);
    /* a zeroed struct (init forgotten) must not close descriptor 0 */
    {
        xbl_mpsd_port_posix z;
        bool open_before = fcntl(0, F_GETFD) != -1;
        memset(&z, 0, sizeof z);
        f.port.close(&z);
        assert_true((fcntl(0, F_GETFD) != -1) == open_before);
    }
}

static void test_now_ms_monotonic(void **state)
{
    fixture f;
    uint32_t a, b, prev;
    int i;
    (void)state;
    fixture_init(&f);
    a = f.port.now_ms(f.port.ctx);
    sleep_ms(30);
    b = f.port.now_ms(f.port.ctx);
    assert_true((uint32_t)(b - a) >= 25u);     /* wrap-safe difference */
    assert_true((uint32_t)(b - a) < 2000u);
    prev = b;
    for (i = 0; i < 10000; ++i) {
        uint32_t t = f.port.now_ms(f.port.ctx);
        assert_true((uint32_t)(t - prev) < UINT32_C(0x80000000));
        prev = t;
    }
}

static void test_connect_pending_then_ok(void **state)
{
    fixture f;
    xbl_mpsd_result first = XBL_MPSD_E_FAIL;
    (void)state;
    fixture_init(&f);
    assert_int_equal(connect_wait(&f, "127.0.0.1", g_server.port, &first), XBL_MPSD_OK);
    /* loopback may complete at once; either way the first call never blocks */
    assert_true(first == XBL_MPSD_PENDING || first == XBL_MPSD_OK);
    /* connected to the same host: OK at once */
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_OK);
    f.port.close(f.port.ctx);
}

/* 192.0.2.1 (TEST-NET-1) never answers: connect must stay PENDING (or fail
   fast where there is no route), and every call must return at once. */
static void test_connect_never_blocks(void **state)
{
    fixture f;
    int i;
    (void)state;
    fixture_init(&f);
    for (i = 0; i < 50; ++i) {
        uint64_t t0 = mono_ms();
        xbl_mpsd_result r = f.port.connect(f.port.ctx, "192.0.2.1", 9);
        assert_true(mono_ms() - t0 < FAST_CALL_MS);
        if (r == XBL_MPSD_E_CONNECT) break;
        assert_int_equal(r, XBL_MPSD_PENDING);
        sleep_ms(1);
    }
    /* still connecting: send and recv say so without blocking */
    {
        uint8_t b[4] = { 0 };
        assert_int_equal(f.port.send(f.port.ctx, b, sizeof b), XBL_MPSD_E_IO);
    }
    f.port.close(f.port.ctx);
    f.port.close(f.port.ctx);
}

static void test_connect_refused(void **state)
{
    fixture f;
    int s;
    struct sockaddr_in sin;
    socklen_t len = (socklen_t)sizeof sin;
    uint16_t closed_port;
    uint8_t b[4];
    (void)state;
    /* a bound but not listening port: nobody else can take it meanwhile */
    s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)(void *)&sin, len), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)(void *)&sin, &len), 0);
    closed_port = ntohs(sin.sin_port);

    fixture_init(&f);
    assert_int_equal(connect_wait(&f, "127.0.0.1", closed_port, NULL), XBL_MPSD_E_CONNECT);
    /* the failed attempt left the port closed */
    assert_int_equal(f.port.send(f.port.ctx, b, sizeof b), XBL_MPSD_E_IO);
    /* and a new attempt starts afresh (and fails again) */
    assert_int_equal(connect_wait(&f, "127.0.0.1", closed_port, NULL), XBL_MPSD_E_CONNECT);
    /* the same port object then connects elsewhere */
    connect_ok(&f, g_server.port);
    f.port.close(f.port.ctx);
    close(s);
}

static void test_send_recv_request(void **state)
{
    fixture f;
    size_t n, hl;
    (void)state;
    fixture_init(&f);
    connect_ok(&f, g_server.port);
    send_str(&f, "GET /normal?len=1000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    n = read_response(&f, g_buf, sizeof g_buf, &hl);
    assert_memory_equal(g_buf, "HTTP/1.1 200 OK\r\n", 17);
    assert_int_equal(n - hl, 1000);
    pattern(g_expect, 1000);
    assert_memory_equal(g_buf + hl, g_expect, 1000);
    f.port.close(f.port.ctx);
}

static void test_echo_exact_request_bytes(void **state)
{
    static const char req[] =
        "POST /echo/x?y=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n{\"a\":[1,2]}";
    fixture f;
    size_t n, hl;
    (void)state;
    fixture_init(&f);
    connect_ok(&f, g_server.port);
    send_str(&f, req);
    n = read_response(&f, g_buf, sizeof g_buf, &hl);
    assert_int_equal(n - hl, strlen(req));
    assert_memory_equal(g_buf + hl, req, strlen(req));
    f.port.close(f.port.ctx);
}

static void test_keep_alive(void **state)
{
    fixture f;
    size_t hl;
    long conn1;
    (void)state;
    fixture_init(&f);
    connect_ok(&f, g_server.port);
    send_str(&f, "GET /normal HTTP/1.1\r\nHost: h\r\n\r\n");
    (void)read_response(&f, g_buf, sizeof g_buf, &hl);
    conn1 = header_num(g_buf, hl, "X-Conn-Id");
    assert_int_equal(header_num(g_buf, hl, "X-Request-Index"), 1);
    /* connect again: same host, still alive -> OK, same connection */
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_OK);
    send_str(&f, "GET /normal?len=3 HTTP/1.1\r\nHost: h\r\n\r\n");
    (void)read_response(&f, g_buf, sizeof g_buf, &hl);
    assert_int_equal(header_num(g_buf, hl, "X-Conn-Id"), conn1);
    assert_int_equal(header_num(g_buf, hl, "X-Request-Index"), 2);
    assert_memory_equal(g_buf + hl, "012", 3);
    f.port.close(f.port.ctx);
}

static void test_chunked_byte_exact(void **state)
{
    fixture f;
    size_t n = 0, got, hl = 0, i, e = 0;
    uint64_t start = mono_ms();
    (void)state;
    fixture_init(&f);
    connect_ok(&f, g_server.port);
    send_str(&f, "GET /chunked?len=100&chunk=7 HTTP/1.1\r\nHost: h\r\n\r\n");
    /* expected body framing */
    pattern(g_expect + 1000, 100);
    for (i = 0; i < 100; i += 7) {
        size_t c = 100 - i < 7 ? 100 - i : 7;
        e += (size_t)sprintf((char *)g_expect + e, "%x\r\n", (unsigned)c);
        memcpy(g_expect + e, g_expect + 1000 + i, c);
        e += c;
        memcpy(g_expect + e, "\r\n", 2);
        e += 2;
    }
    memcpy(g_expect + e, "0\r\n\r\n", 5);
    e += 5;
    while (hl == 0 || n < hl + e) {
        assert_int_equal(recv_some(&f, g_buf + n, sizeof g_buf - n, 1, &got, NULL), XBL_MPSD_OK);
        n += got;
        if (hl == 0) hl = head_len(g_buf, n);
        assert_true(mono_ms() - start < WAIT_MS);
    }
    assert_int_equal(n, hl + e);
    assert_memory_equal(g_buf + hl, g_expect, e);
    /* nothing more: would block, not EOF (keep-alive) */
    assert_int_equal(f.port.recv(f.port.ctx, g_buf, sizeof g_buf), XBL_MPSD_E_WOULD_BLOCK);
    f.port.close(f.port.ctx);
}

static void test_close_delimited_and_eof(void **state)
{
    fixture f;
    size_t got, hl;
    (void)state;
    fixture_init(&f);
    connect_ok(&f, g_server.port);
    /* nothing sent yet: WOULD_BLOCK, distinct from EOF */
    assert_int_equal(f.port.recv(f.port.ctx, g_buf, sizeof g_buf), XBL_MPSD_E_WOULD_BLOCK);
    send_str(&f, "GET /close?len=5000 HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(recv_some(&f, g_buf, sizeof g_buf, 0, &got, NULL), XBL_MPSD_E_EOF);
    hl = head_len(g_buf, got);
    assert_true(hl > 0);
    assert_int_equal(header_num(g_buf, hl, "Content-Length"), -1);
    assert_int_equal(got - hl, 5000);
    pattern(g_expect, 5000);
    assert_memory_equal(g_buf + hl, g_expect, 5000);
    /* EOF stays EOF */
    assert_int_equal(f.port.recv(f.port.ctx, g_buf, sizeof g_buf), XBL_MPSD_E_EOF);
    f.port.close(f.port.ctx);
}

static void test_drip(void **state)
{
    fixture f;
    size_t n, hl;
    (void)state;
    fixture_init(&f);
    connect_ok(&f, g_server.port);
    send_str(&f, "GET /drip?len=20&ms=3 HTTP/1.1\r\nHost: h\r\n\r\n");
    n = read_response(&f, g_buf, sizeof g_buf, &hl);
    assert_memory_equal(g_buf, "HTTP/1.1 200 OK\r\n", 17);
    assert_int_equal(n - hl, 20);
    pattern(g_expect, 20);
    assert_memory_equal(g_buf + hl, g_expect, 20);
    f.port.close(f.port.ctx);
}

static void test_drip_many_would_blocks(void **state)
{
    fixture f;
    size_t got;
    unsigned wb = 0;
    (void)state;
    fixture_init(&f);
    connect_ok(&f, g_server.port);
    send_str(&f, "GET /drip?len=5&ms=5&body=ABCDE HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    assert_int_equal(recv_some(&f, g_buf, sizeof g_buf, 0, &got, &wb), XBL_MPSD_E_EOF);
    assert_true(wb > 10);   /* bytes came one by one, WOULD_BLOCK in between */
    assert_memory_equal(g_buf + got - 5, "ABCDE", 5);
    f.port.close(f.port.ctx);
}

static void test_silence_then_eof(void **state)
{
    fixture f;
    size_t got;
    unsigned wb = 0;
    uint64_t t0;
    (void)state;
    fixture_init(&f);
    connect_ok(&f, g_server.port);
    send_str(&f, "GET /silence?ms=300 HTTP/1.1\r\nHost: h\r\n\r\n");
    t0 = mono_ms();
    assert_int_equal(recv_some(&f, g_buf, sizeof g_buf, 0, &got, &wb), XBL_MPSD_E_EOF);
    assert_int_equal(got, 0);
    assert_true(mono_ms() - t0 >= 250);
    assert_true(wb > 0);
    f.port.close(f.port.ctx);
}

static void test_hangup_eof(void **state)
{
    fixture f;
    size_t got;
    (void)state;
    fixture_init(&f);
    connect_ok(&f, g_server.port);
    send_str(&f, "GET /hangup HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(recv_some(&f, g_buf, sizeof g_buf, 0, &got, NULL), XBL_MPSD_E_EOF);
    assert_int_equal(got, 0);
    f.port.close(f.port.ctx);
}

static void test_reset_is_io_error(void **state)
{
    fixture f;
    size_t got;
    (void)state;
    fixture_init(&f);
    connect_ok(&f, g_server.port);
    send_str(&f, "GET /reset HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(recv_some(&f, g_buf, sizeof g_buf, 0, &got, NULL), XBL_MPSD_E_IO);
    assert_int_equal(got, 0);
    f.port.close(f.port.ctx);

    /* reset in the middle of a response: some bytes (at most the 10 sent), then E_IO */
    connect_ok(&f, g_server.port);
    send_str(&f, "GET /reset?partial=10 HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(recv_some(&f, g_buf, sizeof g_buf, 0, &got, NULL), XBL_MPSD_E_IO);
    assert_true(got <= 10);
    f.port.close(f.port.ctx);
}

/* Write after the peer closed: E_IO, and no SIGPIPE (SIG_DFL is installed
   in group_setup, so a SIGPIPE would kill the test program). */
static void test_no_sigpipe(void **state)
{
    fixture f;
    size_t got;
    int i;
    xbl_mpsd_result last = XBL_MPSD_OK;
    void (*old)(int);
    (void)state;
    old = signal(SIGPIPE, SIG_DFL);
    fixture_init(&f);
    connect_ok(&f, g_server.port);
    send_str(&f, "GET /hangup HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(recv_some(&f, g_buf, sizeof g_buf, 0, &got, NULL), XBL_MPSD_E_EOF);
    memset(g_expect, 'x', 4096);
    for (i = 0; i < 5000; ++i) {
        int32_t r = f.port.send(f.port.ctx, g_expect, 4096);
        assert_int_not_equal(r, 0);
        if (r < 0 && r != XBL_MPSD_E_WOULD_BLOCK) { last = r; break; }
        sleep_ms(1);
    }
    assert_int_equal(last, XBL_MPSD_E_IO);
    f.port.close(f.port.ctx);
    signal(SIGPIPE, old);
}

static void test_close_twice_and_reconnect(void **state)
{
    fixture f;
    size_t hl;
    long c1;
    (void)state;
    fixture_init(&f);
    connect_ok(&f, g_server.port);
    send_str(&f, "GET /normal HTTP/1.1\r\nHost: h\r\n\r\n");
    (void)read_response(&f, g_buf, sizeof g_buf, &hl);
    c1 = header_num(g_buf, hl, "X-Conn-Id");
    f.port.close(f.port.ctx);
    f.port.close(f.port.ctx);
    assert_int_equal(f.port.recv(f.port.ctx, g_buf, sizeof g_buf), XBL_MPSD_E_IO);
    connect_ok(&f, g_server.port);
    send_str(&f, "GET /normal HTTP/1.1\r\nHost: h\r\n\r\n");
    (void)read_response(&f, g_buf, sizeof g_buf, &hl);
    assert_true(header_num(g_buf, hl, "X-Conn-Id") != c1);
    assert_int_equal(header_num(g_buf, hl, "X-Request-Index"), 1);
    f.port.close(f.port.ctx);
}

/* The peer closed the idle kept-alive connection (unread FIN): connect to the
   same host starts a fresh connection instead of answering OK. */
static void test_stale_keep_alive_reconnects(void **state)
{
    fixture f;
    size_t hl;
    long c1;
    (void)state;
    fixture_init(&f);
    connect_ok(&f, g_server.port);
    send_str(&f, "GET /normal HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    (void)read_response(&f, g_buf, sizeof g_buf, &hl);
    c1 = header_num(g_buf, hl, "X-Conn-Id");
    sleep_ms(100);   /* let the FIN arrive; it stays unread */
    connect_ok(&f, g_server.port);
    send_str(&f, "GET /normal HTTP/1.1\r\nHost: h\r\n\r\n");
    (void)read_response(&f, g_buf, sizeof g_buf, &hl);
    assert_true(header_num(g_buf, hl, "X-Conn-Id") != c1);
    f.port.close(f.port.ctx);
}

/* Large upload to a peer that does not read: partial writes, then WOULD_BLOCK. */
static void test_partial_send_and_would_block(void **state)
{
    fixture f;
    size_t total = 0;
    bool blocked = false;
    uint64_t start;
    (void)state;
    fixture_init(&f);
    connect_ok(&f, g_server.port);
    send_str(&f, "POST /silence?ms=2000 HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000000\r\n\r\n");
    memset(g_buf, 'u', sizeof g_buf);
    start = mono_ms();
    while (total < (size_t)512 * 1024 * 1024 && mono_ms() - start < WAIT_MS) {
        int32_t r = f.port.send(f.port.ctx, g_buf, sizeof g_buf);
        if (r == XBL_MPSD_E_WOULD_BLOCK) { blocked = true; break; }
        assert_true(r > 0 && (size_t)r <= sizeof g_buf);
        total += (size_t)r;
    }
    assert_true(blocked);
    assert_true(total > 0);
    f.port.close(f.port.ctx);
}

static int g_resolver_calls;

static xbl_mpsd_result slow_resolver(void *user, const char *host,
        xbl_mpsd_port_posix_addr *out, size_t cap, size_t *count)
{
    int *calls = (int *)user;
    assert_true(cap >= 1);
    (*calls)++;
    if (strcmp(host, "fail.test") == 0) return XBL_MPSD_E_FAIL;
    if (*calls < 3) return XBL_MPSD_PENDING;
    memset(out, 0, sizeof *out);
    out->family = 4;
    out->bytes[0] = 127;
    out->bytes[3] = 1;
    *count = 1;
    return XBL_MPSD_OK;
}

static void test_resolver_and_localhost(void **state)
{
    fixture f;
    size_t hl;
    (void)state;
    fixture_init(&f);
    g_resolver_calls = 0;
    xbl_mpsd_port_posix_set_resolver(&f.tcp, slow_resolver, &g_resolver_calls);
    /* localhost needs no lookup */
    assert_int_equal(connect_wait(&f, "localhost", g_server.port, NULL), XBL_MPSD_OK);
    assert_int_equal(g_resolver_calls, 0);
    f.port.close(f.port.ctx);
    /* a name: the resolver answers PENDING twice, then 127.0.0.1 */
    assert_int_equal(f.port.connect(f.port.ctx, "game.test", g_server.port), XBL_MPSD_PENDING);
    assert_int_equal(f.port.connect(f.port.ctx, "game.test", g_server.port), XBL_MPSD_PENDING);
    assert_int_equal(connect_wait(&f, "game.test", g_server.port, NULL), XBL_MPSD_OK);
    assert_int_equal(g_resolver_calls, 3);
    send_str(&f, "GET /normal HTTP/1.1\r\nHost: game.test\r\n\r\n");
    (void)read_response(&f, g_buf, sizeof g_buf, &hl);
    assert_memory_equal(g_buf + hl, "hello, world", 12);
    f.port.close(f.port.ctx);
    /* resolver failure: E_CONNECT */
    assert_int_equal(f.port.connect(f.port.ctx, "fail.test", g_server.port), XBL_MPSD_E_CONNECT);
    /* too long a name: E_CONNECT, no call */
    {
        char longname[300];
        memset(longname, 'a', sizeof longname - 1);
        longname[sizeof longname - 1] = '\0';
        assert_int_equal(f.port.connect(f.port.ctx, longname, g_server.port), XBL_MPSD_E_CONNECT);
    }
    f.port.close(f.port.ctx);
}

static void test_ipv6_loopback(void **state)
{
    server s6;
    fixture f;
    size_t hl;
    (void)state;
    if (!server_start(&s6, "::1")) {
        skip();
        return;
    }
    fixture_init(&f);
    if (connect_wait(&f, "::1", s6.port, NULL) != XBL_MPSD_OK) {
        server_stop(&s6);
        skip();
        return;
    }
    send_str(&f, "GET /normal?len=7 HTTP/1.1\r\nHost: [::1]\r\n\r\n");
    (void)read_response(&f, g_buf, sizeof g_buf, &hl);
    assert_memory_equal(g_buf + hl, "0123456", 7);
    /* "[::1]" is the same address written as in a URL: a different host
       string, so a fresh connection */
    assert_int_equal(connect_wait(&f, "[::1]", s6.port, NULL), XBL_MPSD_OK);
    send_str(&f, "GET /normal HTTP/1.1\r\nHost: [::1]\r\n\r\n");
    (void)read_response(&f, g_buf, sizeof g_buf, &hl);
    assert_int_equal(header_num(g_buf, hl, "X-Request-Index"), 1);
    f.port.close(f.port.ctx);
    server_stop(&s6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_and_idle_calls),
        cmocka_unit_test(test_now_ms_monotonic),
        cmocka_unit_test(test_connect_pending_then_ok),
        cmocka_unit_test(test_connect_never_blocks),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_send_recv_request),
        cmocka_unit_test(test_echo_exact_request_bytes),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_chunked_byte_exact),
        cmocka_unit_test(test_close_delimited_and_eof),
        cmocka_unit_test(test_drip),
        cmocka_unit_test(test_drip_many_would_blocks),
        cmocka_unit_test(test_silence_then_eof),
        cmocka_unit_test(test_hangup_eof),
        cmocka_unit_test(test_reset_is_io_error),
        cmocka_unit_test(test_no_sigpipe),
        cmocka_unit_test(test_close_twice_and_reconnect),
        cmocka_unit_test(test_stale_keep_alive_reconnects),
        cmocka_unit_test(test_partial_send_and_would_block),
        cmocka_unit_test(test_resolver_and_localhost),
        cmocka_unit_test(test_ipv6_loopback),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
