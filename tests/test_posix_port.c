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

#include <netdb.h>
#include <sys/mman.h>

#include "xbl_mpsd.h"

/* ------------------------------------------------------------------------ */
/* fault injection                                                          */
/* ------------------------------------------------------------------------ */
/* The port's system calls go through these shims: the macros below are
   defined only around the port's implementation. Unarmed, a shim is the real
   call on the real socket. A test arms one to make the port see what Linux
   loopback never produces on demand (EINTR, a failing fcntl or poll, a
   connect that completes at once, a resolver answer with odd entries), and
   asserts the port's exact answer to it. */
enum shim_fn { SH_SOCKET, SH_FCNTL, SH_CONNECT, SH_POLL, SH_GETSOCKOPT, SH_SEND, SH_RECV,
               SH_GAI, SH_CLOCK, SH_COUNT };

typedef struct shim_fault {
    int   skip;      /* real calls to let through first */
    int   times;     /* then this many injected results */
    long  ret;       /* the injected return value */
    int   err;       /* errno set with it */
    short revents;   /* poll: what the injected answer reports */
} shim_fault;

static shim_fault g_fault[SH_COUNT];
static struct addrinfo *g_gai_list;   /* getaddrinfo's injected list */
static char g_gai_node[300];          /* host name of the last lookup */
static char g_gai_service[16];        /* service string of the last lookup */
static int g_gai_freed;               /* frees of g_gai_list */

static void shim_reset(void)
{
    memset(g_fault, 0, sizeof g_fault);
    g_gai_list = NULL;
    g_gai_node[0] = '\0';
    g_gai_service[0] = '\0';
    g_gai_freed = 0;
}

static void shim_arm(enum shim_fn fn, int skip, int times, long ret, int err)
{
    g_fault[fn].skip = skip;
    g_fault[fn].times = times;
    g_fault[fn].ret = ret;
    g_fault[fn].err = err;
    g_fault[fn].revents = 0;
}

/* true: inject this call (g_fault[fn].ret, errno = .err) */
static bool shim_hit(enum shim_fn fn)
{
    shim_fault *f = &g_fault[fn];
    if (f->times == 0) return false;
    if (f->skip > 0) { f->skip--; return false; }
    f->times--;
    return true;
}

static int shim_socket(int domain, int type, int proto)
{
    if (shim_hit(SH_SOCKET)) { errno = g_fault[SH_SOCKET].err; return (int)g_fault[SH_SOCKET].ret; }
    return socket(domain, type, proto);
}

static int shim_fcntl(int fd, int cmd, int arg)
{
    if (shim_hit(SH_FCNTL)) { errno = g_fault[SH_FCNTL].err; return (int)g_fault[SH_FCNTL].ret; }
    return fcntl(fd, cmd, arg);
}

/* Injected ret 0: a connect that completes before returning (as on some
   systems over loopback): the real connect, waited for. Injected -1: the
   real connect, which goes on asynchronously, reported with errno err. */
static int shim_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    int rc = connect(fd, sa, len);
    if (!shim_hit(SH_CONNECT)) return rc;
    if (g_fault[SH_CONNECT].ret == 0 && rc != 0) {
        struct pollfd pfd;
        pfd.fd = fd;
        pfd.events = POLLOUT;
        pfd.revents = 0;
        if (errno != EINPROGRESS || poll(&pfd, 1, 2000) != 1) return -1;
        return 0;
    }
    errno = g_fault[SH_CONNECT].err;
    return (int)g_fault[SH_CONNECT].ret;
}

static int shim_poll(struct pollfd *fds, nfds_t n, int timeout)
{
    if (shim_hit(SH_POLL)) {
        fds[0].revents = g_fault[SH_POLL].revents;
        errno = g_fault[SH_POLL].err;
        return (int)g_fault[SH_POLL].ret;
    }
    return poll(fds, n, timeout);
}

static int shim_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    if (shim_hit(SH_GETSOCKOPT)) { errno = g_fault[SH_GETSOCKOPT].err; return (int)g_fault[SH_GETSOCKOPT].ret; }
    return getsockopt(fd, level, name, val, len);
}

static ssize_t shim_send(int fd, const void *buf, size_t len, int flags)
{
    if (shim_hit(SH_SEND)) { errno = g_fault[SH_SEND].err; return (ssize_t)g_fault[SH_SEND].ret; }
    return send(fd, buf, len, flags);
}

static ssize_t shim_recv(int fd, void *buf, size_t len, int flags)
{
    if (shim_hit(SH_RECV)) { errno = g_fault[SH_RECV].err; return (ssize_t)g_fault[SH_RECV].ret; }
    return recv(fd, buf, len, flags);
}

/* Injected: *res = g_gai_list and ret as the result. */
static int shim_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                            struct addrinfo **res)
{
    snprintf(g_gai_node, sizeof g_gai_node, "%s", node);
    snprintf(g_gai_service, sizeof g_gai_service, "%s", service);
    if (shim_hit(SH_GAI)) { *res = g_gai_list; return (int)g_fault[SH_GAI].ret; }
    return getaddrinfo(node, service, hints, res);
}

static void shim_freeaddrinfo(struct addrinfo *ai)
{
    if (ai != NULL && ai == g_gai_list) { g_gai_freed++; return; }
    freeaddrinfo(ai);
}

static int shim_clock_gettime(clockid_t id, struct timespec *ts)
{
    if (shim_hit(SH_CLOCK)) { errno = g_fault[SH_CLOCK].err; return (int)g_fault[SH_CLOCK].ret; }
    return clock_gettime(id, ts);
}

#define socket(d, t, p)             shim_socket(d, t, p)
#define fcntl(fd, c, a)             shim_fcntl(fd, c, a)
#define connect(fd, sa, l)          shim_connect(fd, sa, l)
#define poll(f, n, t)               shim_poll(f, n, t)
#define getsockopt(fd, l, n, v, s)  shim_getsockopt(fd, l, n, v, s)
#define send(fd, b, l, f)           shim_send(fd, b, l, f)
#define recv(fd, b, l, f)           shim_recv(fd, b, l, f)
#define getaddrinfo(n, s, h, r)     shim_getaddrinfo(n, s, h, r)
#define freeaddrinfo(a)             shim_freeaddrinfo(a)
#define clock_gettime(c, t)         shim_clock_gettime(c, t)
#include "port/xbl_mpsd_port_posix.h"
#undef socket
#undef fcntl
#undef connect
#undef poll
#undef getsockopt
#undef send
#undef recv
#undef getaddrinfo
#undef freeaddrinfo
#undef clock_gettime

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
    shim_reset();
    assert_int_equal(xbl_mpsd_port_posix_init(&f->tcp, &f->port), XBL_MPSD_OK);
    /* every connect on an open connection checks it: the tests below look
       at what that check finds (test_fresh_window covers the window) */
    xbl_mpsd_port_posix_set_fresh_window(&f->tcp, 0);
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

/* GET /normal on the connection; returns X-Request-Index, *conn = X-Conn-Id. */
static long get_normal(fixture *f, long *conn)
{
    size_t hl;
    send_str(f, "GET /normal HTTP/1.1\r\nHost: h\r\n\r\n");
    (void)read_response(f, g_buf, sizeof g_buf, &hl);
    assert_memory_equal(g_buf + hl, "hello, world", 12);
    if (conn != NULL) *conn = header_num(g_buf, hl, "X-Conn-Id");
    return header_num(g_buf, hl, "X-Request-Index");
}

/* Wait (bounded) until the port's socket has something to read: data, a
   FIN or a reset. */
static void wait_readable(fixture *f)
{
    struct pollfd pfd;
    pfd.fd = f->tcp.fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    assert_int_equal(poll(&pfd, 1, (int)WAIT_MS), 1);
}

/* The descriptor the next open gets: unchanged when nothing leaked. */
static int lowest_free_fd(void)
{
    int fd = open("/dev/null", O_RDONLY);
    assert_true(fd >= 0);
    close(fd);
    return fd;
}

/* A TCP socket bound to 127.0.0.1:0, listening with backlog when
   backlog >= 0; *port gets its port. */
static int bound_socket(int backlog, uint16_t *port)
{
    struct sockaddr_in sin;
    socklen_t len = (socklen_t)sizeof sin;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)(void *)&sin, len), 0);
    if (backlog >= 0) assert_int_equal(listen(s, backlog), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)(void *)&sin, &len), 0);
    *port = ntohs(sin.sin_port);
    return s;
}

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
   in group_setup, so a SIGPIPE would kill the test program). The FIN stays
   unread, so the port still counts as connected and it is send() itself
   that fails (EPIPE or ECONNRESET once the peer's RST is back). */
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
    wait_readable(&f);
    assert_int_equal(f.tcp.state, XBL_MPSD__POSIX_CONNECTED);   /* nothing read yet */
    memset(g_expect, 'x', 4096);
    for (i = 0; i < 5000; ++i) {
        int32_t r = f.port.send(f.port.ctx, g_expect, 4096);
        assert_int_not_equal(r, 0);
        if (r < 0 && r != XBL_MPSD_E_WOULD_BLOCK) { last = r; break; }
        sleep_ms(1);
    }
    assert_int_equal(last, XBL_MPSD_E_IO);
    /* broken now: recv ends (EOF, or E_IO after the reset), never WOULD_BLOCK */
    {
        xbl_mpsd_result end = recv_some(&f, g_buf, sizeof g_buf, 0, &got, NULL);
        assert_true(end == XBL_MPSD_E_EOF || end == XBL_MPSD_E_IO);
        assert_int_equal(got, 0);
    }
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


static void test_null_arguments(void **state)
{
    fixture f;
    uint8_t b[4] = { 0 };
    int user = 0;
    (void)state;
    fixture_init(&f);
    assert_int_equal(f.port.connect(NULL, "127.0.0.1", g_server.port), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(f.port.send(NULL, b, sizeof b), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(f.port.send(f.port.ctx, NULL, 4), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(f.port.recv(NULL, b, sizeof b), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(f.port.recv(f.port.ctx, NULL, 4), XBL_MPSD_E_INVALIDARG);
    f.port.close(NULL);
    xbl_mpsd_port_posix_set_resolver(NULL, slow_resolver, &user);
    /* removing the resolver forgets its user pointer too */
    xbl_mpsd_port_posix_set_resolver(&f.tcp, slow_resolver, &user);
    assert_ptr_equal(f.tcp.resolve_user, &user);
    xbl_mpsd_port_posix_set_resolver(&f.tcp, NULL, &user);
    assert_null(f.tcp.resolve);
    assert_null(f.tcp.resolve_user);
    /* connected: nothing to send is 0 bytes sent, with or without a buffer */
    connect_ok(&f, g_server.port);
    assert_int_equal(f.port.send(f.port.ctx, NULL, 0), 0);
    assert_int_equal(f.port.send(f.port.ctx, b, 0), 0);
    assert_int_equal(get_normal(&f, NULL), 1);
    f.port.close(f.port.ctx);
}

/* Names that are neither numeric for inet_pton nor "localhost" go to
   getaddrinfo. "127.1" is such a name that resolves without any lookup. */
static void test_getaddrinfo_names(void **state)
{
    fixture f;
    char service[8];
    (void)state;
    fixture_init(&f);
    assert_int_equal(connect_wait(&f, "127.1", g_server.port, NULL), XBL_MPSD_OK);
    sprintf(service, "%u", (unsigned)g_server.port);
    assert_string_equal(g_gai_service, service);
    assert_int_equal(f.tcp.addr_count, 1);
    assert_int_equal(get_normal(&f, NULL), 1);
    /* connected under that name: OK at once, no new lookup */
    g_gai_service[0] = '\0';
    assert_int_equal(f.port.connect(f.port.ctx, "127.1", g_server.port), XBL_MPSD_OK);
    assert_string_equal(g_gai_service, "");
    assert_int_equal(get_normal(&f, NULL), 2);
    /* a name that does not resolve (no DNS query: glibc rejects the space
       before asking, and .invalid never exists): E_CONNECT, port closed */
    assert_int_equal(f.port.connect(f.port.ctx, "no such host.invalid", g_server.port), XBL_MPSD_E_CONNECT);
    assert_int_equal(f.port.send(f.port.ctx, g_buf, 1), XBL_MPSD_E_IO);
    f.port.close(f.port.ctx);
}

typedef struct fake_ai {
    struct addrinfo ai;
    struct sockaddr_storage sa;
} fake_ai;

static fake_ai g_fake[8];

/* Entry i of the fake getaddrinfo answer: family 4 or 6 (anything else is
   AF_UNIX), an address, addrlen (0: the family's full size). */
static void fake_entry(size_t i, int family, const char *ip, uint32_t scope, socklen_t addrlen)
{
    fake_ai *e = &g_fake[i];
    memset(e, 0, sizeof *e);
    e->ai.ai_socktype = SOCK_STREAM;
    e->ai.ai_addr = (struct sockaddr *)(void *)&e->sa;
    if (family == 4) {
        struct sockaddr_in sin;
        memset(&sin, 0, sizeof sin);
        sin.sin_family = AF_INET;
        sin.sin_port = htons(g_server.port);
        assert_int_equal(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
        memcpy(&e->sa, &sin, sizeof sin);
        e->ai.ai_family = AF_INET;
        e->ai.ai_addrlen = addrlen != 0 ? addrlen : (socklen_t)sizeof sin;
    } else if (family == 6) {
        struct sockaddr_in6 sin6;
        memset(&sin6, 0, sizeof sin6);
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(g_server.port);
        sin6.sin6_scope_id = scope;
        assert_int_equal(inet_pton(AF_INET6, ip, &sin6.sin6_addr), 1);
        memcpy(&e->sa, &sin6, sizeof sin6);
        e->ai.ai_family = AF_INET6;
        e->ai.ai_addrlen = addrlen != 0 ? addrlen : (socklen_t)sizeof sin6;
    } else {
        e->sa.ss_family = AF_UNIX;
        e->ai.ai_family = AF_UNIX;
        e->ai.ai_addrlen = (socklen_t)sizeof e->sa;
    }
}

/* Chain entries 0..n-1 and make the next getaddrinfo answer them. */
static void fake_answer(size_t n)
{
    size_t i;
    for (i = 0; i + 1 < n; ++i) g_fake[i].ai.ai_next = &g_fake[i + 1].ai;
    g_fake[n - 1].ai.ai_next = NULL;
    g_gai_list = &g_fake[0].ai;
    g_gai_freed = 0;
    shim_arm(SH_GAI, 0, 1, 0, 0);
}

static void test_getaddrinfo_answers(void **state)
{
    fixture f;
    (void)state;
    fixture_init(&f);
    /* the port number goes to getaddrinfo as a decimal service */
    shim_arm(SH_GAI, 0, 1, EAI_NONAME, 0);
    assert_int_equal(f.port.connect(f.port.ctx, "game.test", 65535), XBL_MPSD_E_CONNECT);
    assert_string_equal(g_gai_service, "65535");
    shim_arm(SH_GAI, 0, 1, EAI_AGAIN, 0);
    assert_int_equal(f.port.connect(f.port.ctx, "game.test", 1), XBL_MPSD_E_CONNECT);
    assert_string_equal(g_gai_service, "1");
    /* success without a list: nothing to try, nothing to free */
    g_gai_list = NULL;
    shim_arm(SH_GAI, 0, 1, 0, 0);
    assert_int_equal(f.port.connect(f.port.ctx, "game.test", 80), XBL_MPSD_E_CONNECT);
    assert_int_equal(g_gai_freed, 0);

    /* entries of other families or short lengths are skipped; the rest are
       tried in order: 224.0.0.1 fails in connect(), fe80::1 on an interface
       that does not exist fails too, 127.0.0.2 is refused, then the server */
    fake_entry(0, 0, NULL, 0, 0);
    fake_entry(1, 4, "127.0.0.1", 0, 4);
    fake_entry(2, 6, "::1", 0, 8);
    fake_entry(3, 4, "224.0.0.1", 0, 0);
    fake_entry(4, 6, "fe80::1", 2000000000u, 0);   /* no such interface */
    fake_entry(5, 4, "127.0.0.2", 0, 0);
    fake_entry(6, 4, "127.0.0.1", 0, 0);
    fake_answer(7);
    assert_int_equal(connect_wait(&f, "game.test", g_server.port, NULL), XBL_MPSD_OK);
    assert_int_equal(g_gai_freed, 1);
    assert_int_equal(f.tcp.addr_count, 4);
    assert_int_equal(f.tcp.addrs[0].family, 4);
    assert_memory_equal(f.tcp.addrs[0].bytes, "\xe0\0\0\1", 4);
    assert_int_equal(f.tcp.addrs[1].family, 6);
    assert_int_equal(f.tcp.addrs[1].bytes[0], 0xfe);
    assert_int_equal(f.tcp.addrs[1].bytes[15], 1);
    assert_int_equal(f.tcp.addrs[1].scope_id, 2000000000u);
    assert_int_equal(f.tcp.addr_next, 4);
    assert_int_equal(get_normal(&f, NULL), 1);
    f.port.close(f.port.ctx);

    /* at most XBL_MPSD_PORT_POSIX_MAX_ADDRS are kept: the server, fifth,
       is never tried */
    fake_entry(0, 4, "224.0.0.1", 0, 0);
    fake_entry(1, 4, "127.0.0.2", 0, 0);
    fake_entry(2, 4, "127.0.0.3", 0, 0);
    fake_entry(3, 4, "127.0.0.4", 0, 0);
    fake_entry(4, 4, "127.0.0.1", 0, 0);
    fake_answer(5);
    assert_int_equal(connect_wait(&f, "game.test", g_server.port, NULL), XBL_MPSD_E_CONNECT);
    assert_int_equal(g_gai_freed, 1);
    f.port.close(f.port.ctx);
}

/* A socket whose set-up fails is closed and the address skipped. */
static void test_socket_setup_failures(void **state)
{
    static const struct { enum shim_fn fn; int skip; int err; } cases[] = {
        { SH_SOCKET, 0, EMFILE },
        { SH_FCNTL, 0, EBADF },    /* F_GETFL */
        { SH_FCNTL, 1, EBADF },    /* F_GETFD */
        { SH_FCNTL, 2, EINVAL },   /* F_SETFL */
        { SH_FCNTL, 3, EINVAL },   /* F_SETFD */
    };
    fixture f;
    size_t i;
    int fd0;
    (void)state;
    fixture_init(&f);
    fd0 = lowest_free_fd();
    for (i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        shim_reset();
        shim_arm(cases[i].fn, cases[i].skip, 1, -1, cases[i].err);
        assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_E_CONNECT);
        assert_int_equal(g_fault[cases[i].fn].times, 0);   /* the fault was met */
        assert_int_equal(lowest_free_fd(), fd0);
        assert_int_equal(f.port.send(f.port.ctx, g_buf, 1), XBL_MPSD_E_IO);
    }
    /* the next address is tried after a failed set-up */
    shim_reset();
    fake_entry(0, 4, "127.0.0.1", 0, 0);
    fake_entry(1, 4, "127.0.0.1", 0, 0);
    fake_answer(2);
    shim_arm(SH_FCNTL, 2, 1, -1, EINVAL);
    assert_int_equal(connect_wait(&f, "game.test", g_server.port, NULL), XBL_MPSD_OK);
    assert_int_equal(f.tcp.addr_next, 2);
    assert_int_equal(get_normal(&f, NULL), 1);
    f.port.close(f.port.ctx);
    assert_int_equal(lowest_free_fd(), fd0);
}

static void test_connect_outcomes(void **state)
{
    fixture f;
    (void)state;
    fixture_init(&f);
    /* a system where connect completes before it returns: OK at once */
    shim_arm(SH_CONNECT, 0, 1, 0, 0);
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_OK);
    assert_int_equal(get_normal(&f, NULL), 1);
    f.port.close(f.port.ctx);
    /* EINTR and EAGAIN from connect: still in progress */
    shim_arm(SH_CONNECT, 0, 1, -1, EINTR);
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_PENDING);
    assert_int_equal(connect_wait(&f, "127.0.0.1", g_server.port, NULL), XBL_MPSD_OK);
    assert_int_equal(get_normal(&f, NULL), 1);
    f.port.close(f.port.ctx);
    shim_arm(SH_CONNECT, 0, 1, -1, EAGAIN);
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_PENDING);
    assert_int_equal(connect_wait(&f, "127.0.0.1", g_server.port, NULL), XBL_MPSD_OK);
    f.port.close(f.port.ctx);
    /* a multicast address fails inside connect() itself */
    assert_int_equal(f.port.connect(f.port.ctx, "224.0.0.1", g_server.port), XBL_MPSD_E_CONNECT);
    assert_int_equal(f.port.send(f.port.ctx, g_buf, 1), XBL_MPSD_E_IO);
}

/* What the progress check makes of poll and SO_ERROR answers. */
static void test_connect_progress_check(void **state)
{
    fixture f;
    int fd0;
    (void)state;
    fixture_init(&f);
    fd0 = lowest_free_fd();
    /* nothing yet, EINTR, EAGAIN: PENDING; then it connects */
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_PENDING);
    shim_arm(SH_POLL, 0, 1, 0, 0);
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_PENDING);
    shim_arm(SH_POLL, 0, 1, -1, EINTR);
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_PENDING);
    shim_arm(SH_POLL, 0, 1, -1, EAGAIN);
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_PENDING);
    assert_int_equal(connect_wait(&f, "127.0.0.1", g_server.port, NULL), XBL_MPSD_OK);
    f.port.close(f.port.ctx);
    /* closed while in progress: the socket is released */
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_PENDING);
    f.port.close(f.port.ctx);
    assert_int_equal(f.tcp.state, XBL_MPSD__POSIX_IDLE);
    assert_int_equal(lowest_free_fd(), fd0);
    /* poll failing otherwise, a hang-up without POLLOUT, POLLNVAL, and a
       failing getsockopt: the address failed (no other: E_CONNECT) */
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_PENDING);
    shim_arm(SH_POLL, 0, 1, -1, ENOMEM);
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_E_CONNECT);
    assert_int_equal(lowest_free_fd(), fd0);
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_PENDING);
    shim_arm(SH_POLL, 0, 1, 1, 0);
    g_fault[SH_POLL].revents = POLLHUP;
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_E_CONNECT);
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_PENDING);
    shim_arm(SH_POLL, 0, 1, 1, 0);
    g_fault[SH_POLL].revents = POLLNVAL;
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_E_CONNECT);
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_PENDING);
    shim_arm(SH_POLL, 0, 1, 1, 0);
    g_fault[SH_POLL].revents = POLLOUT;
    shim_arm(SH_GETSOCKOPT, 0, 1, -1, ENOBUFS);
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_E_CONNECT);
    assert_int_equal(g_fault[SH_GETSOCKOPT].times, 0);
    assert_int_equal(lowest_free_fd(), fd0);
    assert_int_equal(f.port.send(f.port.ctx, g_buf, 1), XBL_MPSD_E_IO);
}

/* A listener whose accept queue is full drops the SYN: the connection stays
   in progress, and close must release it. */
static void test_close_while_connecting(void **state)
{
    fixture f;
    uint16_t port;
    int l, fill[2], fd0, i;
    xbl_mpsd_result r;
    (void)state;
    fixture_init(&f);
    fd0 = lowest_free_fd();
    l = bound_socket(0, &port);
    for (i = 0; i < 2; ++i) {
        struct sockaddr_in sin;
        fill[i] = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fill[i] >= 0);
        assert_int_equal(fcntl(fill[i], F_SETFL, O_NONBLOCK), 0);
        memset(&sin, 0, sizeof sin);
        sin.sin_family = AF_INET;
        sin.sin_port = htons(port);
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        (void)connect(fill[i], (struct sockaddr *)(void *)&sin, (socklen_t)sizeof sin);
    }
    sleep_ms(20);
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", port), XBL_MPSD_PENDING);
    sleep_ms(20);
    r = f.port.connect(f.port.ctx, "127.0.0.1", port);
    f.port.close(f.port.ctx);
    close(fill[0]);
    close(fill[1]);
    close(l);
    assert_int_equal(lowest_free_fd(), fd0);
    if (r != XBL_MPSD_PENDING) {   /* a kernel that queued it after all */
        skip();
        return;
    }
    assert_int_equal(f.tcp.state, XBL_MPSD__POSIX_IDLE);
    assert_int_equal(f.port.send(f.port.ctx, g_buf, 1), XBL_MPSD_E_IO);
}

/* connect on an idle kept-alive connection: what the liveness check makes
   of what is waiting on it. */
static void test_idle_connection_checks(void **state)
{
    fixture f;
    long c1, c2;
    size_t hl;
    (void)state;
    fixture_init(&f);
    connect_ok(&f, g_server.port);
    assert_int_equal(get_normal(&f, &c1), 1);
    /* an unread response: alive, same connection */
    send_str(&f, "GET /normal?len=4 HTTP/1.1\r\nHost: h\r\n\r\n");
    wait_readable(&f);
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_OK);
    (void)read_response(&f, g_buf, sizeof g_buf, &hl);
    assert_int_equal(header_num(g_buf, hl, "X-Conn-Id"), c1);
    assert_int_equal(header_num(g_buf, hl, "X-Request-Index"), 2);
    assert_memory_equal(g_buf + hl, "0123", 4);
    /* readable but the peek finds nothing (EAGAIN), or is interrupted first:
       alive */
    shim_arm(SH_POLL, 0, 1, 1, 0);
    g_fault[SH_POLL].revents = POLLIN;
    shim_arm(SH_RECV, 0, 1, -1, EAGAIN);
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_OK);
    assert_int_equal(g_fault[SH_RECV].times, 0);
    shim_arm(SH_POLL, 0, 1, 1, 0);
    g_fault[SH_POLL].revents = POLLIN;
    shim_arm(SH_RECV, 0, 1, -1, EINTR);
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_OK);
    assert_int_equal(g_fault[SH_RECV].times, 0);
    assert_int_equal(get_normal(&f, &c2), 3);
    assert_int_equal(c2, c1);
    /* the peer reset it: a fresh connection */
    send_str(&f, "GET /reset HTTP/1.1\r\nHost: h\r\n\r\n");
    wait_readable(&f);
    connect_ok(&f, g_server.port);
    assert_int_equal(get_normal(&f, &c2), 1);
    assert_true(c2 != c1);
    /* after EOF was read (BROKEN): a fresh connection */
    send_str(&f, "GET /hangup HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(recv_some(&f, g_buf, sizeof g_buf, 0, &hl, NULL), XBL_MPSD_E_EOF);
    c1 = c2;
    connect_ok(&f, g_server.port);
    assert_int_equal(get_normal(&f, &c2), 1);
    assert_true(c2 != c1);
    f.port.close(f.port.ctx);
}

/* Data within the fresh window: connect answers OK without a poll(), even
   with a poll armed to report a hang-up; past the window (here 0) the same
   poll is asked and the dead connection replaced. */
static void test_fresh_window(void **state)
{
    fixture f;
    long c1, c2;
    (void)state;
    fixture_init(&f);
    assert_int_equal(f.tcp.fresh_ms, 0u);
    xbl_mpsd_port_posix_init(&f.tcp, &f.port);
    assert_int_equal(f.tcp.fresh_ms, (uint32_t)XBL_MPSD_PORT_POSIX_FRESH_MS);
    xbl_mpsd_port_posix_set_fresh_window(NULL, 5);   /* no crash */
    xbl_mpsd_port_posix_set_fresh_window(&f.tcp, 600000);
    /* a fresh connection has had no data yet: checked */
    connect_ok(&f, g_server.port);
    shim_arm(SH_POLL, 0, 1, 0, 0);
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_OK);
    assert_int_equal(g_fault[SH_POLL].times, 0);
    assert_int_equal(get_normal(&f, &c1), 1);
    /* data just arrived: no poll, though one is armed to say "hung up" */
    shim_arm(SH_POLL, 0, 1, 1, 0);
    g_fault[SH_POLL].revents = POLLHUP;
    assert_int_equal(f.port.connect(f.port.ctx, "127.0.0.1", g_server.port), XBL_MPSD_OK);
    assert_int_equal(g_fault[SH_POLL].times, 1);
    assert_int_equal(get_normal(&f, &c2), 2);
    assert_int_equal(c2, c1);
    /* window 0: the check runs, and the peer's close is seen */
    shim_reset();
    xbl_mpsd_port_posix_set_fresh_window(&f.tcp, 0);
    send_str(&f, "GET /hangup HTTP/1.1\r\nHost: h\r\n\r\n");
    wait_readable(&f);
    connect_ok(&f, g_server.port);
    assert_int_equal(get_normal(&f, &c2), 1);
    assert_true(c2 != c1);
    f.port.close(f.port.ctx);
}

/* connect to something else while connected drops the connection. */
static void test_connect_elsewhere_drops(void **state)
{
    fixture f;
    uint16_t closed;
    int s;
    char longname[XBL_MPSD_PORT_POSIX_MAX_HOST + 2];
    (void)state;
    fixture_init(&f);
    s = bound_socket(-1, &closed);
    connect_ok(&f, g_server.port);
    /* same host, another port (refused there) */
    assert_int_equal(connect_wait(&f, "127.0.0.1", closed, NULL), XBL_MPSD_E_CONNECT);
    assert_int_equal(f.port.send(f.port.ctx, g_buf, 1), XBL_MPSD_E_IO);
    /* a host name one byte too long */
    connect_ok(&f, g_server.port);
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(f.port.connect(f.port.ctx, longname, g_server.port), XBL_MPSD_E_CONNECT);
    assert_int_equal(f.port.send(f.port.ctx, g_buf, 1), XBL_MPSD_E_IO);
    /* the longest accepted name goes to getaddrinfo whole */
    longname[sizeof longname - 2] = '\0';
    shim_arm(SH_GAI, 0, 1, EAI_NONAME, 0);
    assert_int_equal(f.port.connect(f.port.ctx, longname, g_server.port), XBL_MPSD_E_CONNECT);
    assert_string_equal(g_gai_node, longname);
    close(s);
}

/* EINTR from send and recv is retried; send accepting 0 bytes of a
   non-empty buffer is an error. */
static void test_send_recv_interrupted(void **state)
{
    fixture f;
    size_t hl;
    long c1, c2;
    (void)state;
    fixture_init(&f);
    connect_ok(&f, g_server.port);
    shim_arm(SH_SEND, 0, 1, -1, EINTR);
    send_str(&f, "GET /normal?len=6 HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(g_fault[SH_SEND].times, 0);
    wait_readable(&f);
    shim_arm(SH_RECV, 0, 1, -1, EINTR);
    (void)read_response(&f, g_buf, sizeof g_buf, &hl);
    assert_int_equal(g_fault[SH_RECV].times, 0);
    assert_memory_equal(g_buf + hl, "012345", 6);
    c1 = header_num(g_buf, hl, "X-Conn-Id");
    shim_arm(SH_SEND, 0, 1, 0, 0);
    assert_int_equal(f.port.send(f.port.ctx, g_buf, 4), XBL_MPSD_E_IO);
    /* broken: later sends say so, and connect starts afresh */
    assert_int_equal(f.port.send(f.port.ctx, g_buf, 4), XBL_MPSD_E_IO);
    connect_ok(&f, g_server.port);
    assert_int_equal(get_normal(&f, &c2), 1);
    assert_true(c2 != c1);
    f.port.close(f.port.ctx);
}

/* len and cap beyond INT32_MAX are clamped: the results stay int32_t. The
   buffer is a read-only mapping of /dev/zero (no memory committed) whose
   first page is writable for what recv stores. */
static void test_huge_len_and_cap(void **state)
{
    fixture f;
    size_t big = (size_t)INT32_MAX + 4096u, hl;
    uint8_t *m;
    int32_t n;
    int zfd;
    long pg = sysconf(_SC_PAGESIZE);
    uint64_t start;
    (void)state;
    if ((size_t)INT32_MAX >= SIZE_MAX - 4096u) { skip(); return; }   /* 32-bit size_t */
    zfd = open("/dev/zero", O_RDWR);
    assert_true(zfd >= 0);
    m = (uint8_t *)mmap(NULL, big, PROT_READ, MAP_PRIVATE, zfd, 0);
    close(zfd);
    if (m == (uint8_t *)MAP_FAILED) { skip(); return; }
    assert_int_equal(mprotect(m, (size_t)pg, PROT_READ | PROT_WRITE), 0);
    fixture_init(&f);
    connect_ok(&f, g_server.port);
    /* a body the server does not read: the port sends what the socket
       buffer takes, a positive int32_t */
    send_str(&f, "POST /silence?ms=500 HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000000000\r\n\r\n");
    n = f.port.send(f.port.ctx, m, big);
    assert_true(n > 0);
    f.port.close(f.port.ctx);
    /* recv: whatever arrived, never more than what was sent */
    connect_ok(&f, g_server.port);
    send_str(&f, "GET /normal?len=10 HTTP/1.1\r\nHost: h\r\n\r\n");
    wait_readable(&f);
    start = mono_ms();
    do {
        n = f.port.recv(f.port.ctx, m, big);
        if (n == XBL_MPSD_E_WOULD_BLOCK) sleep_ms(1);
    } while (n == XBL_MPSD_E_WOULD_BLOCK && mono_ms() - start < WAIT_MS);
    assert_true(n > 0 && n < pg);
    assert_memory_equal(m, "HTTP/1.1 200 OK\r\n", 17);
    hl = head_len(m, (size_t)n);
    if (hl > 0 && (size_t)n == hl + 10) assert_memory_equal(m + hl, "0123456789", 10);
    f.port.close(f.port.ctx);
    assert_int_equal(munmap(m, big), 0);
}

static void test_now_ms_clock_failure(void **state)
{
    fixture f;
    (void)state;
    fixture_init(&f);
    shim_arm(SH_CLOCK, 0, 1, -1, EINVAL);
    assert_int_equal(f.port.now_ms(f.port.ctx), 0);
    assert_int_equal(g_fault[SH_CLOCK].times, 0);
}

typedef struct resolver_script {
    int calls;
    xbl_mpsd_result answer;
    size_t write;      /* addresses written */
    size_t count;      /* *count reported */
    xbl_mpsd_port_posix_addr addrs[XBL_MPSD_PORT_POSIX_MAX_ADDRS];
    char host[XBL_MPSD_PORT_POSIX_MAX_HOST + 1];
} resolver_script;

static xbl_mpsd_result scripted_resolver(void *user, const char *host,
        xbl_mpsd_port_posix_addr *out, size_t cap, size_t *count)
{
    resolver_script *s = (resolver_script *)user;
    assert_int_equal(cap, XBL_MPSD_PORT_POSIX_MAX_ADDRS);
    assert_true(s->write <= cap);
    s->calls++;
    snprintf(s->host, sizeof s->host, "%s", host);
    memcpy(out, s->addrs, s->write * sizeof *out);
    *count = s->count;
    return s->answer;
}

static void script_v4(xbl_mpsd_port_posix_addr *a, uint8_t last)
{
    memset(a, 0, sizeof *a);
    a->family = 4;
    a->bytes[0] = 127;
    a->bytes[3] = last;
}

static void test_resolver_answers(void **state)
{
    static const char *const names[] = { "x", "[::1", "[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]" };
    fixture f;
    resolver_script s;
    size_t i;
    (void)state;
    fixture_init(&f);
    memset(&s, 0, sizeof s);
    xbl_mpsd_port_posix_set_resolver(&f.tcp, scripted_resolver, &s);
    /* not addresses: these go to the resolver as they are */
    s.answer = XBL_MPSD_E_FAIL;
    for (i = 0; i < sizeof names / sizeof names[0]; ++i) {
        s.calls = 0;
        assert_int_equal(f.port.connect(f.port.ctx, names[i], g_server.port), XBL_MPSD_E_CONNECT);
        assert_int_equal(s.calls, 1);
        assert_string_equal(s.host, names[i]);
    }
    /* OK without an address: E_CONNECT */
    s.answer = XBL_MPSD_OK;
    s.count = 0;
    assert_int_equal(f.port.connect(f.port.ctx, "game.test", g_server.port), XBL_MPSD_E_CONNECT);
    /* removed while its lookup was pending: E_CONNECT */
    s.answer = XBL_MPSD_PENDING;
    assert_int_equal(f.port.connect(f.port.ctx, "game.test", g_server.port), XBL_MPSD_PENDING);
    xbl_mpsd_port_posix_set_resolver(&f.tcp, NULL, NULL);
    assert_int_equal(f.port.connect(f.port.ctx, "game.test", g_server.port), XBL_MPSD_E_CONNECT);
    assert_int_equal(f.port.send(f.port.ctx, g_buf, 1), XBL_MPSD_E_IO);
    /* a count beyond cap is cut to cap; an entry of unknown family is
       skipped, the refused 127.0.0.2 too, then the server */
    xbl_mpsd_port_posix_set_resolver(&f.tcp, scripted_resolver, &s);
    s.answer = XBL_MPSD_OK;
    memset(&s.addrs[0], 0, sizeof s.addrs[0]);
    s.addrs[0].family = 5;
    script_v4(&s.addrs[1], 2);
    script_v4(&s.addrs[2], 1);
    script_v4(&s.addrs[3], 1);
    s.write = 4;
    s.count = 9;
    assert_int_equal(connect_wait(&f, "game.test", g_server.port, NULL), XBL_MPSD_OK);
    assert_int_equal(f.tcp.addr_count, 4);
    assert_int_equal(f.tcp.addr_next, 3);
    assert_int_equal(get_normal(&f, NULL), 1);
    f.port.close(f.port.ctx);
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
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_getaddrinfo_names),
        cmocka_unit_test(test_getaddrinfo_answers),
        cmocka_unit_test(test_socket_setup_failures),
        cmocka_unit_test(test_connect_outcomes),
        cmocka_unit_test(test_connect_progress_check),
        cmocka_unit_test(test_close_while_connecting),
        cmocka_unit_test(test_idle_connection_checks),
        cmocka_unit_test(test_fresh_window),
        cmocka_unit_test(test_connect_elsewhere_drops),
        cmocka_unit_test(test_send_recv_interrupted),
        cmocka_unit_test(test_huge_len_and_cap),
        cmocka_unit_test(test_now_ms_clock_failure),
        cmocka_unit_test(test_resolver_answers),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
