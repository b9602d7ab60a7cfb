/* conformance.c - checks any xbl_mpsd_port against the contract of
   spec/TRANSPORT.md §2, one PASS/FAIL line per rule (port/README.md).

   Build it with an adapter file that defines conformance_port_setup()
   (conformance.h), start a peer (peer.py), then:

       conformance --base N [--host 127.0.0.1] [--ca ca.pem]
                   [--server-name localhost] [--max-call-ms 50]
                   [--large-bytes 4194304]

   Exit status 0 when every rule passed (or was skipped), 1 on any FAIL,
   2 on a usage or setup error.
*/
#ifndef CONFORMANCE_HOST_HOOKS
#define _POSIX_C_SOURCE 200809L
#endif
#include "conformance.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef CONFORMANCE_HOST_HOOKS
#include <time.h>
#endif

#define MAX_NOTE 200
#define CHUNK (256u * 1024u)   /* send size in the transfer rules */
#define RECV_CAP 16384u
#define PUSH_LIMIT (64u * 1024u * 1024u)   /* no WOULD_BLOCK after this many bytes: a FAIL */

/* ------------------------------------------------------------------------ */
/* Host clock and sleep (not the port's: they measure the port)             */
/* ------------------------------------------------------------------------ */

#ifndef CONFORMANCE_HOST_HOOKS
static uint64_t host_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000) + (uint64_t)ts.tv_nsec / UINT64_C(1000);
}

static void host_sleep_us(uint32_t us)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(us / 1000000u);
    ts.tv_nsec = (long)(us % 1000000u) * 1000L;
    nanosleep(&ts, NULL);
}
#else
static uint64_t host_us(void) { return conformance_host_us(); }
static void host_sleep_us(uint32_t us) { conformance_host_sleep_us(us); }
#endif

static double ms_since(uint64_t t0) { return (double)(host_us() - t0) / 1000.0; }

/* ------------------------------------------------------------------------ */
/* Suite state                                                              */
/* ------------------------------------------------------------------------ */

typedef struct suite {
    conformance_adapter a;
    const char *host;
    uint16_t    base;
    uint32_t    max_call_us;
    size_t      large_bytes;
    const char *rule;              /* the rule running now, for the timing note */
    /* timing.calls */
    uint64_t    slowest_us;
    char        slowest[MAX_NOTE];
    uint64_t    rule_slowest_us;   /* slowest call since rule_begin */
    char        rule_slowest[MAX_NOTE];
    unsigned long calls;
    /* values.send / values.recv: the first contract breach seen */
    unsigned long send_calls, recv_calls, send_bad, recv_bad;
    char        send_note[MAX_NOTE], recv_note[MAX_NOTE];
    /* clock.monotonic: every now_ms sample of the run */
    unsigned long clock_samples, clock_wraps, clock_back;
    uint32_t    clock_last;
    int         clock_have;
    char        clock_note[MAX_NOTE];
    /* tally */
    int passed, failed, skipped;
} suite;

static suite S;
static uint8_t send_buf[CHUNK];
static uint8_t recv_buf[RECV_CAP];

static const char *code_name(int32_t r)
{
    static char other[32];
    switch (r) {
    case XBL_MPSD_OK: return "XBL_MPSD_OK";
    case XBL_MPSD_PENDING: return "XBL_MPSD_PENDING";
    case XBL_MPSD_E_WOULD_BLOCK: return "XBL_MPSD_E_WOULD_BLOCK";
    case XBL_MPSD_E_EOF: return "XBL_MPSD_E_EOF";
    case XBL_MPSD_E_IO: return "XBL_MPSD_E_IO";
    case XBL_MPSD_E_CONNECT: return "XBL_MPSD_E_CONNECT";
    case XBL_MPSD_E_TIMEOUT: return "XBL_MPSD_E_TIMEOUT";
    case XBL_MPSD_E_TLS: return "XBL_MPSD_E_TLS";
    case XBL_MPSD_E_TLS_VERIFY: return "XBL_MPSD_E_TLS_VERIFY";
    case XBL_MPSD_E_CONNECTION_CLOSED: return "XBL_MPSD_E_CONNECTION_CLOSED";
    case XBL_MPSD_E_FAIL: return "XBL_MPSD_E_FAIL";
    case XBL_MPSD_E_INVALIDARG: return "XBL_MPSD_E_INVALIDARG";
    case XBL_MPSD_E_OUTOFMEMORY: return "XBL_MPSD_E_OUTOFMEMORY";
    case XBL_MPSD_E_UNEXPECTED: return "XBL_MPSD_E_UNEXPECTED";
    case XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x80004001)): return "E_NOTIMPL (0x80004001)";
    default: break;
    }
    if (r > 0) snprintf(other, sizeof other, "%ld", (long)r);
    else snprintf(other, sizeof other, "0x%08lX", (unsigned long)(uint32_t)r);
    return other;
}

/* A send/recv result: a count, or a code. */
static const char *io_name(int32_t n)
{
    static char count[4][16];
    static unsigned next;
    char *out;
    if (n < 0) return code_name(n);
    out = count[next++ % 4u];
    snprintf(out, sizeof count[0], "%ld", (long)n);
    return out;
}

static void note(char *dst, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, MAX_NOTE, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------------ */
/* The port, measured                                                       */
/* ------------------------------------------------------------------------ */

static void pump(void)
{
    if (S.a.pump != NULL) S.a.pump(S.a.user);
}

/* Let the network move: the stack's pump, then a short host sleep. */
static void breathe(void)
{
    pump();
    host_sleep_us(200);
}

static void idle_ms(uint32_t ms)
{
    uint64_t end = host_us() + (uint64_t)ms * 1000u;
    while (host_us() < end) {
        pump();
        host_sleep_us(1000);
    }
}

/* is_count: r is a send/recv result (a count when >= 0) */
static void timed(uint64_t t0, const char *what, int32_t r, int is_count)
{
    uint64_t dt = host_us() - t0;
    S.calls++;
    if (dt > S.rule_slowest_us) {
        S.rule_slowest_us = dt;
        note(S.rule_slowest, "%s -> %s took %.1f ms", what, is_count ? io_name(r) : code_name(r), (double)dt / 1000.0);
    }
    if (dt > S.slowest_us) {
        S.slowest_us = dt;
        note(S.slowest, "%s -> %s took %.1f ms (in %s)", what, is_count ? io_name(r) : code_name(r), (double)dt / 1000.0, S.rule);
    }
}

static uint32_t c_now(void)
{
    uint64_t t0 = host_us();
    uint32_t now = S.a.port.now_ms(S.a.port.ctx);
    timed(t0, "now_ms", XBL_MPSD_OK, 0);
    if (S.clock_have) {
        uint32_t step = now - S.clock_last;
        if (step >= UINT32_C(0x80000000)) {
            if (S.clock_back++ == 0)
                note(S.clock_note, "went back %lu ms (from %lu to %lu) in %s", (unsigned long)(S.clock_last - now),
                     (unsigned long)S.clock_last, (unsigned long)now, S.rule);
        } else if (now < S.clock_last) {
            S.clock_wraps++;
        }
    }
    S.clock_last = now;
    S.clock_have = 1;
    S.clock_samples++;
    return now;
}

/* The no-answer scenario may live at another address (conformance.h). */
static const char *host_for(uint16_t offset)
{
    return offset == CONFORMANCE_NO_ANSWER && S.a.no_answer_host != NULL ? S.a.no_answer_host : S.host;
}

static int32_t c_connect(uint16_t offset)
{
    uint64_t t0 = host_us();
    int32_t r;
    pump();
    r = S.a.port.connect(S.a.port.ctx, host_for(offset), (uint16_t)(S.base + offset));
    timed(t0, "connect", r, 0);
    return r;
}

static int32_t c_send(const uint8_t *data, size_t len)
{
    uint64_t t0 = host_us();
    int32_t n;
    pump();
    n = S.a.port.send(S.a.port.ctx, data, len);
    timed(t0, "send", n, 1);
    S.send_calls++;
    if (len > 0 && (n == 0 || (n > 0 && (size_t)n > len))) {
        if (S.send_bad++ == 0) note(S.send_note, "send(len %lu) returned %ld in %s", (unsigned long)len, (long)n, S.rule);
    }
    return n;
}

static int32_t c_recv(uint8_t *buf, size_t cap)
{
    uint64_t t0 = host_us();
    int32_t n;
    pump();
    n = S.a.port.recv(S.a.port.ctx, buf, cap);
    timed(t0, "recv", n, 1);
    S.recv_calls++;
    if (n == 0 || (n > 0 && (size_t)n > cap)) {
        if (S.recv_bad++ == 0) note(S.recv_note, "recv(cap %lu) returned %ld in %s", (unsigned long)cap, (long)n, S.rule);
    }
    return n;
}

static void c_close(void)
{
    uint64_t t0 = host_us();
    pump();
    S.a.port.close(S.a.port.ctx);
    timed(t0, "close", XBL_MPSD_OK, 0);
}

/* ------------------------------------------------------------------------ */
/* Report                                                                   */
/* ------------------------------------------------------------------------ */

static void rule_begin(const char *id)
{
    S.rule = id;
    S.rule_slowest_us = 0;
    S.rule_slowest[0] = '\0';
    (void)c_now();   /* the clock is sampled all along the run */
}

/* Each rule in the words of the contract (spec/TRANSPORT.md §2). */
static const char *const rule_text[][2] = {
    {"clock.rate", "now_ms counts milliseconds: it keeps pace with real time (within 10%)"},
    {"close.unconnected", "close is safe before any connect and twice; send/recv without a connection return a negative code"},
    {"connect.echo", "connect never blocks: PENDING (or OK) at once, OK once connected"},
    {"connect.again-same", "connect to the host:port already connected (idle) returns OK and keeps that connection"},
    {"close.twice", "close on a connection, then close again, is safe"},
    {"connect.after-close", "after close, connect makes a fresh working connection (every time)"},
    {"connect.refused", "a refused connect ends in a negative code (XBL_MPSD_E_CONNECT), never OK, not endless PENDING"},
    {"connect.after-failure", "after a failed connect the port connects again (no stuck failed state)"},
    {"connect.no-answer", "while the TCP handshake gets no answer, connect returns PENDING at once; close abandons it"},
    {"connect.silent-peer", "a peer that accepts but never answers (TLS: no handshake) makes neither connect nor recv block"},
    {"recv.would-block", "recv with nothing buffered returns XBL_MPSD_E_WOULD_BLOCK at once (never 0, never waits)"},
    {"recv.delayed", "bytes that arrive later: WOULD_BLOCK first, then exactly the bytes sent, in order"},
    {"recv.eof", "after an orderly close recv returns every byte, then XBL_MPSD_E_EOF (never 0)"},
    {"recv.eof-sticky", "EOF is sticky: every later recv returns XBL_MPSD_E_EOF again"},
    {"recv.reset", "a reset connection gives a negative code other than WOULD_BLOCK and EOF (EOF means a clean close)"},
    {"send.after-reset", "send on a reset connection returns a negative code (not 0, not endless WOULD_BLOCK)"},
    {"send.backpressure", "send accepts 1..len bytes (partial is normal) and returns XBL_MPSD_E_WOULD_BLOCK when full; "
                          "never 0, no error on a healthy link"},
    {"transfer.large", "a large transfer is echoed byte-exact, sends meeting WOULD_BLOCK (the pipe is filled first)"},
    {"values.send", "send with len > 0 returns 1..len, WOULD_BLOCK or a negative code (never 0, never > len)"},
    {"values.recv", "recv returns 1..cap, WOULD_BLOCK, EOF or a negative code (never 0, never > cap)"},
    {"clock.monotonic", "now_ms never goes backwards (compared wrap-safely: 0xFFFFFFFF -> 0 is forward)"},
    {"timing.calls", "no port call takes longer than the call limit (none may wait)"}
};

static const char *rule_of(const char *id)
{
    size_t i;
    for (i = 0; i < sizeof rule_text / sizeof rule_text[0]; i++)
        if (strcmp(rule_text[i][0], id) == 0) return rule_text[i][1];
    return "?";
}

static void report(const char *id, int pass, const char *observed)
{
    printf("%s %-21s %s | rule: %s\n", pass ? "PASS" : "FAIL", id, observed, rule_of(id));
    fflush(stdout);
    if (pass) S.passed++; else S.failed++;
}

static const char *const scenario_name[CONFORMANCE_SCENARIOS] = {
    "echo", "greet", "delayed", "reset", "refused", "silence", "mute", "no-answer", "stall", "ident"
};

static void skip(const char *id, enum conformance_scenario sc)
{
    printf("SKIP %-21s the peer does not offer scenario %s\n", id, scenario_name[sc]);
    S.skipped++;
}

static int skipped(enum conformance_scenario sc)
{
    return (S.a.skip_mask & (1u << (unsigned)sc)) != 0;
}

/* A rule about not blocking also fails on its own slow calls. */
static int rule_was_slow(void) { return S.rule_slowest_us > S.max_call_us; }

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct attempt {
    int32_t first;
    unsigned calls;
    double ms;
} attempt;

/* Calls connect until it stops saying PENDING or timeout_ms pass. */
static int32_t connect_until(uint16_t offset, uint32_t timeout_ms, attempt *at)
{
    uint64_t t0 = host_us();
    int32_t r = c_connect(offset);
    at->first = r;
    at->calls = 1;
    while (r == XBL_MPSD_PENDING && ms_since(t0) < (double)timeout_ms) {
        breathe();
        r = c_connect(offset);
        at->calls++;
    }
    at->ms = ms_since(t0);
    return r;
}

/* connected, or a note saying how it went wrong */
static int connect_ok(uint16_t offset, char *why)
{
    attempt at;
    int32_t r = connect_until(offset, 3000, &at);
    if (r == XBL_MPSD_OK) return 1;
    note(why, "connect to the %s scenario ended with %s after %.0f ms (%u calls)", scenario_name[offset],
         code_name(r), at.ms, at.calls);
    return 0;
}

/* Sends all of data, retrying on WOULD_BLOCK, within timeout_ms. */
static int32_t send_all(const uint8_t *data, size_t len, uint32_t timeout_ms)
{
    uint64_t t0 = host_us();
    size_t done = 0;
    while (done < len) {
        int32_t n = c_send(data + done, len - done);
        if (n > 0) { done += (size_t)n; continue; }
        /* 0 breaks the contract (values.send reports it); here it only
           means no progress, so the rule being run still gets its bytes */
        if (n != XBL_MPSD_E_WOULD_BLOCK && n != 0) return n;
        if (ms_since(t0) > (double)timeout_ms) return XBL_MPSD_E_TIMEOUT;
        breathe();
    }
    return XBL_MPSD_OK;
}

/* Reads exactly len bytes into out within timeout_ms; the last recv result
   on failure (0 included), else the count. */
static int32_t recv_exact(uint8_t *out, size_t len, uint32_t timeout_ms)
{
    uint64_t t0 = host_us();
    size_t got = 0;
    while (got < len) {
        int32_t n = c_recv(out + got, len - got);
        if (n > 0) { got += (size_t)n; continue; }
        if (n != XBL_MPSD_E_WOULD_BLOCK) return n;
        if (ms_since(t0) > (double)timeout_ms) return XBL_MPSD_E_TIMEOUT;
        breathe();
    }
    return (int32_t)got;
}

/* Receives until something other than WOULD_BLOCK, or timeout_ms. */
static int32_t recv_next(uint8_t *buf, size_t cap, uint32_t timeout_ms, double *waited_ms)
{
    uint64_t t0 = host_us();
    int32_t n = c_recv(buf, cap);
    while (n == XBL_MPSD_E_WOULD_BLOCK && ms_since(t0) < (double)timeout_ms) {
        breathe();
        n = c_recv(buf, cap);
    }
    if (waited_ms != NULL) *waited_ms = ms_since(t0);
    return n;
}

/* One round trip on an echo connection. */
static int echo_round_trip(const char *msg, char *why)
{
    uint8_t back[64];
    size_t len = strlen(msg);
    int32_t r = send_all((const uint8_t *)msg, len, 3000);
    if (r != XBL_MPSD_OK) { note(why, "send of %lu bytes failed: %s", (unsigned long)len, code_name(r)); return 0; }
    r = recv_exact(back, len, 3000);
    if (r != (int32_t)len) { note(why, "echo of %lu bytes: recv gave %s", (unsigned long)len, io_name(r)); return 0; }
    if (memcmp(back, msg, len) != 0) { note(why, "echo came back different"); return 0; }
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Rules                                                                    */
/* ------------------------------------------------------------------------ */

static void rule_clock_rate(void)
{
    const char *id = "clock.rate";
    char obs[MAX_NOTE];
    uint64_t h0, h1;
    uint32_t p0, p1, dp;
    double dh;
    rule_begin(id);
    h0 = host_us(); p0 = c_now();
    idle_ms(500);
    h1 = host_us(); p1 = c_now();
    dp = p1 - p0;   /* wrap-safe */
    dh = (double)(h1 - h0) / 1000.0;
    note(obs, "now_ms advanced %lu ms over %.0f ms of host time", (unsigned long)dp, dh);
    report(id, (double)dp >= dh * 0.9 - 2.0 && (double)dp <= dh * 1.1 + 2.0, obs);
}

static void rule_clock_samples(void)
{
    unsigned i;
    rule_begin("clock.monotonic");
    for (i = 0; i < 200000u; i++) (void)c_now();
}

/* Reported last: it covers every now_ms sample of the run. */
static void report_clock_monotonic(void)
{
    char obs[MAX_NOTE];
    if (S.clock_back == 0)
        note(obs, "%lu samples, never backwards (%lu wrap%s past 0xFFFFFFFF)", S.clock_samples,
             S.clock_wraps, S.clock_wraps == 1 ? "" : "s");
    else
        note(obs, "%lu of %lu samples went backwards; first: %s", S.clock_back, S.clock_samples, S.clock_note);
    report("clock.monotonic", S.clock_back == 0, obs);
}

static void rule_close_unconnected(void)
{
    const char *id = "close.unconnected";
    char obs[MAX_NOTE];
    uint8_t b = 'x';
    int32_t s, r;
    rule_begin(id);
    c_close();
    c_close();
    s = c_send(&b, 1);
    r = c_recv(recv_buf, sizeof recv_buf);
    note(obs, "close x2 returned; then send -> %s, recv -> %s", io_name(s), io_name(r));
    report(id, s < 0 && r < 0, obs);
}

/* connect.echo and connect.again-same share one connection. */
static void rule_connect_echo(void)
{
    const char *id = "connect.echo";
    char obs[MAX_NOTE], why[MAX_NOTE];
    attempt at;
    int32_t r;
    int ok;
    rule_begin(id);
    if (skipped(CONFORMANCE_ECHO)) { skip(id, CONFORMANCE_ECHO); return; }
    r = connect_until(CONFORMANCE_ECHO, 3000, &at);
    if (at.first != XBL_MPSD_PENDING && at.first != XBL_MPSD_OK) {
        note(obs, "first connect call returned %s%s", code_name(at.first),
             at.first == XBL_MPSD_E_WOULD_BLOCK ? " (in progress is XBL_MPSD_PENDING; a negative code means failure)" : "");
        ok = 0;
    } else if (r != XBL_MPSD_OK) {
        note(obs, "first %s, then %s after %.0f ms (%u calls)", code_name(at.first), code_name(r), at.ms, at.calls);
        ok = 0;
    } else if (!echo_round_trip("conformance-ping", why)) {
        note(obs, "connected (first %s, %u calls, %.1f ms) but %s", code_name(at.first), at.calls, at.ms, why);
        ok = 0;
    } else {
        note(obs, "first %s, OK after %u call%s (%.1f ms), 16 bytes echoed", code_name(at.first), at.calls,
             at.calls == 1 ? "" : "s", at.ms);
        ok = !rule_was_slow();
        if (!ok) note(obs, "%s", S.rule_slowest);
    }
    report(id, ok, obs);
    c_close();
}

/* The IDENT peer's name for the connection in use, or a note why not. */
static int ask_ident(char id[9], char *why)
{
    int32_t r = send_all((const uint8_t *)"?", 1, 3000);
    if (r != XBL_MPSD_OK) { note(why, "send failed: %s", code_name(r)); return 0; }
    r = recv_exact((uint8_t *)id, 8, 3000);
    if (r != 8) { note(why, "recv gave %s", io_name(r)); return 0; }
    id[8] = '\0';
    return 1;
}

static void rule_connect_again_same(void)
{
    const char *id = "connect.again-same";
    char obs[MAX_NOTE], why[MAX_NOTE], before[9], after[9];
    int32_t r;
    rule_begin(id);
    if (skipped(CONFORMANCE_IDENT)) { skip(id, CONFORMANCE_IDENT); return; }
    if (!connect_ok(CONFORMANCE_IDENT, why) || !ask_ident(before, why)) { report(id, 0, why); c_close(); return; }
    r = c_connect(CONFORMANCE_IDENT);
    if (r != XBL_MPSD_OK) {
        note(obs, "connect while connected returned %s", code_name(r));
        report(id, 0, obs);
        c_close();
        return;
    }
    if (!ask_ident(after, why)) { note(obs, "OK, but then %s", why); report(id, 0, obs); c_close(); return; }
    if (strcmp(before, after) == 0) note(obs, "OK at once; the peer saw the same connection (%s)", after);
    else note(obs, "OK, but the peer saw a new connection (%s, before it %s): it was replaced", after, before);
    report(id, strcmp(before, after) == 0, obs);
    c_close();
}

static void rule_close_twice_and_reconnect(void)
{
    const char *id = "close.twice";
    const char *id2 = "connect.after-close";
    char obs[MAX_NOTE], why[MAX_NOTE];
    int round, ok = 1;
    rule_begin(id);
    if (skipped(CONFORMANCE_ECHO)) { skip(id, CONFORMANCE_ECHO); skip(id2, CONFORMANCE_ECHO); return; }
    if (!connect_ok(CONFORMANCE_ECHO, why)) {
        report(id, 0, why);
    } else {
        S.rule_slowest_us = 0;
        c_close();
        c_close();
        note(obs, "close x2 on a live connection returned (slowest: %s)", S.rule_slowest);
        report(id, 1, obs);
    }
    rule_begin(id2);
    for (round = 1; round <= 2 && ok; round++) {
        if (!connect_ok(CONFORMANCE_ECHO, why) || !echo_round_trip(round == 1 ? "again-1" : "again-22", why)) {
            note(obs, "round %d: %s", round, why);
            ok = 0;
        }
        c_close();
    }
    if (ok) note(obs, "close, connect, echo: worked twice");
    report(id2, ok, obs);
}

static void rule_connect_refused(void)
{
    const char *id = "connect.refused";
    const char *id2 = "connect.after-failure";
    char obs[MAX_NOTE], why[MAX_NOTE];
    attempt at;
    int32_t r;
    int ok;
    rule_begin(id);
    if (skipped(CONFORMANCE_REFUSED)) { skip(id, CONFORMANCE_REFUSED); skip(id2, CONFORMANCE_REFUSED); return; }
    r = connect_until(CONFORMANCE_REFUSED, 5000, &at);
    ok = r < 0 && r != XBL_MPSD_E_WOULD_BLOCK;
    if (r == XBL_MPSD_PENDING) note(obs, "still PENDING after %.0f ms (%u calls)", at.ms, at.calls);
    else note(obs, "first %s, ended with %s after %.1f ms (%u calls)", code_name(at.first), code_name(r), at.ms, at.calls);
    report(id, ok, obs);
    c_close();

    rule_begin(id2);
    if (skipped(CONFORMANCE_ECHO)) { skip(id2, CONFORMANCE_ECHO); return; }
    ok = connect_ok(CONFORMANCE_ECHO, why) && echo_round_trip("after-failure", why);
    report(id2, ok, ok ? "connect and echo to a live peer worked right after the refused attempt" : why);
    c_close();
}

static void rule_connect_no_answer(void)
{
    const char *id = "connect.no-answer";
    char obs[MAX_NOTE];
    attempt at;
    int32_t r;
    int ok;
    rule_begin(id);
    if (skipped(CONFORMANCE_NO_ANSWER)) { skip(id, CONFORMANCE_NO_ANSWER); return; }
    r = connect_until(CONFORMANCE_NO_ANSWER, 500, &at);
    c_close();
    ok = r == XBL_MPSD_PENDING && !rule_was_slow();   /* nothing answered: nothing can have failed yet */
    if (rule_was_slow()) note(obs, "%s", S.rule_slowest);
    else if (r == XBL_MPSD_PENDING) note(obs, "PENDING for %.0f ms over %u calls, each at most %.1f ms; close abandoned it",
                                         at.ms, at.calls, (double)S.rule_slowest_us / 1000.0);
    else note(obs, "first %s, then %s after %.0f ms", code_name(at.first), code_name(r), at.ms);
    report(id, ok, obs);
}

static void rule_connect_silent_peer(void)
{
    const char *id = "connect.silent-peer";
    char obs[MAX_NOTE];
    attempt at;
    int32_t r, n = XBL_MPSD_E_WOULD_BLOCK;
    uint64_t t0;
    unsigned reads = 0;
    int ok;
    rule_begin(id);
    if (skipped(CONFORMANCE_MUTE)) { skip(id, CONFORMANCE_MUTE); return; }
    r = connect_until(CONFORMANCE_MUTE, 500, &at);
    if (r == XBL_MPSD_OK) {
        t0 = host_us();
        while (n == XBL_MPSD_E_WOULD_BLOCK && ms_since(t0) < 200.0) {
            n = c_recv(recv_buf, sizeof recv_buf);
            reads++;
            breathe();
        }
    }
    c_close();
    ok = (r == XBL_MPSD_OK || r == XBL_MPSD_PENDING) && n == XBL_MPSD_E_WOULD_BLOCK && !rule_was_slow();
    if (rule_was_slow()) note(obs, "%s", S.rule_slowest);
    else if (r == XBL_MPSD_PENDING) note(obs, "connect PENDING for %.0f ms (%u calls): the handshake waits without blocking", at.ms, at.calls);
    else if (r == XBL_MPSD_OK) note(obs, "connect OK; recv -> %s over %u calls", io_name(n), reads);
    else note(obs, "connect ended with %s", code_name(r));
    report(id, ok, obs);
}

static void rule_recv_would_block(void)
{
    const char *id = "recv.would-block";
    char obs[MAX_NOTE], why[MAX_NOTE];
    int32_t n = XBL_MPSD_E_WOULD_BLOCK;
    unsigned reads = 0;
    uint64_t t0;
    int ok;
    rule_begin(id);
    if (skipped(CONFORMANCE_SILENCE)) { skip(id, CONFORMANCE_SILENCE); return; }
    if (!connect_ok(CONFORMANCE_SILENCE, why)) { report(id, 0, why); c_close(); return; }
    S.rule_slowest_us = 0;   /* judge the reads only */
    t0 = host_us();
    while (n == XBL_MPSD_E_WOULD_BLOCK && ms_since(t0) < 300.0) {
        n = c_recv(recv_buf, sizeof recv_buf);
        reads++;
        breathe();
    }
    c_close();
    ok = n == XBL_MPSD_E_WOULD_BLOCK && !rule_was_slow();
    if (rule_was_slow()) note(obs, "%s", S.rule_slowest);
    else if (ok) note(obs, "%u recv calls over 300 ms, all XBL_MPSD_E_WOULD_BLOCK, slowest %.2f ms", reads,
                      (double)S.rule_slowest_us / 1000.0);
    else note(obs, "recv returned %s on a silent connection (call %u)", io_name(n), reads);
    report(id, ok, obs);
}

static void rule_recv_delayed(void)
{
    const char *id = "recv.delayed";
    const char *want = "part1-part2";
    char obs[MAX_NOTE], why[MAX_NOTE];
    uint8_t got[16];
    size_t have = 0, len = strlen(want);
    int32_t first, n = 0;
    uint64_t t0;
    int ok;
    rule_begin(id);
    if (skipped(CONFORMANCE_DELAYED)) { skip(id, CONFORMANCE_DELAYED); return; }
    if (!connect_ok(CONFORMANCE_DELAYED, why)) { report(id, 0, why); c_close(); return; }
    t0 = host_us();
    first = c_recv(got, len);
    if (first > 0) have = (size_t)first;
    while (have < len && ms_since(t0) < 3000.0) {
        n = c_recv(got + have, len - have);
        if (n > 0) { have += (size_t)n; continue; }
        if (n != XBL_MPSD_E_WOULD_BLOCK) break;
        breathe();
    }
    c_close();
    ok = first == XBL_MPSD_E_WOULD_BLOCK && have == len && memcmp(got, want, len) == 0;
    if (first != XBL_MPSD_E_WOULD_BLOCK) note(obs, "first recv (data due in 300 ms) returned %s", io_name(first));
    else if (have != len) note(obs, "%lu of %lu bytes, then %s", (unsigned long)have, (unsigned long)len, io_name(n));
    else if (!ok) note(obs, "11 bytes arrived but differ from \"%s\"", want);
    else note(obs, "WOULD_BLOCK, then \"%s\" exactly after %.0f ms", want, ms_since(t0));
    report(id, ok, obs);
}

static int recv_eof_ok;

static void rule_recv_eof(void)
{
    const char *id = "recv.eof";
    char obs[MAX_NOTE], why[MAX_NOTE];
    size_t have = 0;
    int32_t n = 0;
    double waited;
    int ok;
    rule_begin(id);
    recv_eof_ok = 0;
    if (skipped(CONFORMANCE_GREET)) { skip(id, CONFORMANCE_GREET); return; }
    if (!connect_ok(CONFORMANCE_GREET, why)) { report(id, 0, why); return; }
    for (;;) {
        n = recv_next(recv_buf, 512, 3000, &waited);
        if (n <= 0) break;
        {
            int32_t k;
            for (k = 0; k < n; k++) {
                if (have + (size_t)k >= CONFORMANCE_GREETING_LEN || recv_buf[k] != CONFORMANCE_PATTERN(have + (size_t)k)) {
                    note(obs, "byte %lu is wrong or extra", (unsigned long)(have + (size_t)k));
                    report(id, 0, obs);
                    return;
                }
            }
        }
        have += (size_t)n;
    }
    ok = n == XBL_MPSD_E_EOF && have == CONFORMANCE_GREETING_LEN;
    recv_eof_ok = n == XBL_MPSD_E_EOF || n == 0;
    if (n == 0) note(obs, "%lu bytes, then recv returned 0 (0 is never a recv result: the SDK reads it as a broken port)",
                     (unsigned long)have);
    else note(obs, "%lu of %d bytes, then %s", (unsigned long)have, CONFORMANCE_GREETING_LEN, io_name(n));
    report(id, ok, obs);
}

static void rule_recv_eof_sticky(void)
{
    const char *id = "recv.eof-sticky";
    char obs[MAX_NOTE];
    int32_t r[3];
    int i, ok = 1;
    rule_begin(id);
    if (skipped(CONFORMANCE_GREET)) { skip(id, CONFORMANCE_GREET); return; }
    if (!recv_eof_ok) {
        report(id, 0, "not reached: recv.eof did not end the stream");
        c_close();
        return;
    }
    for (i = 0; i < 3; i++) {
        r[i] = c_recv(recv_buf, sizeof recv_buf);
        if (r[i] != XBL_MPSD_E_EOF) ok = 0;
    }
    c_close();
    note(obs, "3 more recv calls: %s, %s, %s", io_name(r[0]), io_name(r[1]), io_name(r[2]));
    report(id, ok, obs);
}

static void rule_reset(void)
{
    const char *id = "recv.reset";
    const char *id2 = "send.after-reset";
    char obs[MAX_NOTE], why[MAX_NOTE];
    uint8_t b = 'x';
    int32_t n, s = XBL_MPSD_E_WOULD_BLOCK;
    double waited;
    uint64_t t0;
    int ok;
    rule_begin(id);
    if (skipped(CONFORMANCE_RESET)) { skip(id, CONFORMANCE_RESET); skip(id2, CONFORMANCE_RESET); return; }
    if (!connect_ok(CONFORMANCE_RESET, why)) {
        report(id, 0, why);
        report(id2, 0, "not reached: no connection to reset");
        c_close();
        return;
    }
    n = recv_next(recv_buf, sizeof recv_buf, 3000, &waited);
    ok = n < 0 && n != XBL_MPSD_E_WOULD_BLOCK && n != XBL_MPSD_E_EOF;
    if (n == XBL_MPSD_E_EOF) note(obs, "recv returned XBL_MPSD_E_EOF: a reset reported as a clean close (a cut response would look complete)");
    else note(obs, "recv returned %s after %.0f ms", io_name(n), waited);
    report(id, ok, obs);

    rule_begin(id2);
    t0 = host_us();
    while (ms_since(t0) < 2000.0) {
        s = c_send(&b, 1);
        if (s != XBL_MPSD_E_WOULD_BLOCK && s <= 0) break;
        breathe();
    }
    c_close();
    note(obs, "send returned %s", io_name(s));
    report(id2, s < 0 && s != XBL_MPSD_E_WOULD_BLOCK, obs);
}

typedef struct pushed {
    size_t bytes;
    unsigned long sends, partial, zero;
    int32_t bad;       /* first result that is neither 1..len nor WOULD_BLOCK (when has_bad) */
    int has_bad, would_block;
} pushed;

/* Fills send_buf with the pattern from stream offset `at` (once per offset). */
static void fill_chunk(size_t at, size_t *filled_at)
{
    size_t k;
    if (*filled_at == at) return;
    for (k = 0; k < CHUNK; k++) send_buf[k] = CONFORMANCE_PATTERN(at + k);
    *filled_at = at;
}

/* Sends the pattern without reading until the port says WOULD_BLOCK. */
static void push_until_full(pushed *p, size_t *filled_at)
{
    memset(p, 0, sizeof *p);
    while (p->bytes < PUSH_LIMIT) {
        int32_t n;
        fill_chunk(p->bytes, filled_at);
        n = c_send(send_buf, CHUNK);
        p->sends++;
        if (n == XBL_MPSD_E_WOULD_BLOCK) { p->would_block = 1; return; }
        if (n <= 0 || (size_t)n > CHUNK) {
            if (n == 0) p->zero++;
            if (!p->has_bad) { p->has_bad = 1; p->bad = n; }
            if (n < 0 || p->zero > 1000) return;
            continue;
        }
        if ((size_t)n < CHUNK) p->partial++;
        p->bytes += (size_t)n;
    }
}

static void push_note(char *obs, const pushed *p)
{
    if (p->has_bad)
        note(obs, "after %lu bytes send(len %u) returned %s on a healthy connection%s", (unsigned long)p->bytes,
             CHUNK, io_name(p->bad), p->bad == 0 ? " (0 is never valid; full is XBL_MPSD_E_WOULD_BLOCK)" :
             p->partial == 0 ? " (a partial write treated as an error?)" : "");
    else if (!p->would_block)
        note(obs, "%lu bytes accepted without WOULD_BLOCK while the peer read nothing", (unsigned long)p->bytes);
    else
        note(obs, "%lu bytes in %lu sends (%lu partial), then XBL_MPSD_E_WOULD_BLOCK", (unsigned long)p->bytes,
             p->sends, p->partial);
}

static void rule_send_backpressure(void)
{
    const char *id = "send.backpressure";
    char obs[MAX_NOTE], why[MAX_NOTE];
    size_t filled_at = (size_t)-1;
    pushed p;
    rule_begin(id);
    if (skipped(CONFORMANCE_STALL)) { skip(id, CONFORMANCE_STALL); return; }
    if (!connect_ok(CONFORMANCE_STALL, why)) { report(id, 0, why); c_close(); return; }
    push_until_full(&p, &filled_at);
    c_close();
    push_note(obs, &p);
    report(id, !p.has_bad && p.would_block, obs);
}

typedef struct transfer {
    size_t sent, got, total, filled_at;
    unsigned long send_wb, recv_wb, partial;
} transfer;

/* One step of the echo transfer: 1 progress, 0 none, -1 failed (obs set). */
static int transfer_step(transfer *t, char *obs)
{
    int progress = 0;
    int32_t n;
    if (t->sent < t->total) {
        size_t len = t->total - t->sent < CHUNK ? t->total - t->sent : CHUNK;
        fill_chunk(t->sent, &t->filled_at);
        n = c_send(send_buf, len);
        if (n > 0 && (size_t)n <= len) { t->sent += (size_t)n; if ((size_t)n < len) t->partial++; progress = 1; }
        else if (n == XBL_MPSD_E_WOULD_BLOCK) t->send_wb++;
        else { note(obs, "send returned %s at byte %lu", io_name(n), (unsigned long)t->sent); return -1; }
    }
    n = c_recv(recv_buf, sizeof recv_buf);
    if (n > 0 && (size_t)n <= sizeof recv_buf) {
        int32_t k;
        if (t->got + (size_t)n > t->total) { note(obs, "%lu bytes came back, more than sent", (unsigned long)(t->got + (size_t)n)); return -1; }
        for (k = 0; k < n; k++) {
            if (recv_buf[k] != CONFORMANCE_PATTERN(t->got + (size_t)k)) {
                note(obs, "echoed byte %lu differs", (unsigned long)(t->got + (size_t)k));
                return -1;
            }
        }
        t->got += (size_t)n;
        progress = 1;
    } else if (n == XBL_MPSD_E_WOULD_BLOCK) {
        t->recv_wb++;
    } else {
        note(obs, "recv returned %s after %lu of %lu bytes", io_name(n), (unsigned long)t->got, (unsigned long)t->total);
        return -1;
    }
    return progress;
}

static void rule_transfer_large(void)
{
    const char *id = "transfer.large";
    char obs[MAX_NOTE], why[MAX_NOTE];
    transfer t;
    pushed p;
    uint64_t t0, last;
    int step = 0;
    rule_begin(id);
    if (skipped(CONFORMANCE_ECHO)) { skip(id, CONFORMANCE_ECHO); return; }
    if (!connect_ok(CONFORMANCE_ECHO, why)) { report(id, 0, why); c_close(); return; }
    memset(&t, 0, sizeof t);
    t.filled_at = (size_t)-1;
    t0 = last = host_us();
    /* first fill everything (the peer's echo stalls once we do not read) */
    push_until_full(&p, &t.filled_at);
    if (p.has_bad || !p.would_block) {
        push_note(obs, &p);
        c_close();
        report(id, 0, obs);
        return;
    }
    t.sent = p.bytes;
    t.partial = p.partial;
    t.total = p.bytes + S.large_bytes;   /* large_bytes more, streamed both ways */
    while (t.got < t.total) {
        step = transfer_step(&t, obs);
        if (step < 0) break;
        if (step > 0) { last = host_us(); continue; }
        if (ms_since(last) > 5000.0) {
            note(obs, "no progress for 5 s at %lu sent, %lu received", (unsigned long)t.sent, (unsigned long)t.got);
            step = -1;
            break;
        }
        breathe();
    }
    c_close();
    if (step >= 0)
        note(obs, "%lu bytes echoed byte-exact in %.0f ms (%lu pushed first; %lu partial sends, %lu send / %lu recv WOULD_BLOCK)",
             (unsigned long)t.total, ms_since(t0), (unsigned long)p.bytes, t.partial, t.send_wb, t.recv_wb);
    report(id, step >= 0, obs);
}

static void report_values(void)
{
    char obs[MAX_NOTE];
    rule_begin("values.send");
    if (S.send_bad == 0) note(obs, "%lu send calls, none returned 0 or more than len", S.send_calls);
    else note(obs, "%lu bad of %lu; first: %s", S.send_bad, S.send_calls, S.send_note);
    report("values.send", S.send_bad == 0, obs);
    rule_begin("values.recv");
    if (S.recv_bad == 0) note(obs, "%lu recv calls, none returned 0 or more than cap", S.recv_calls);
    else note(obs, "%lu bad of %lu; first: %s", S.recv_bad, S.recv_calls, S.recv_note);
    report("values.recv", S.recv_bad == 0, obs);
}

static void report_timing(void)
{
    char obs[MAX_NOTE];
    note(obs, "%lu calls, limit %lu ms; slowest: %s", S.calls, (unsigned long)(S.max_call_us / 1000u),
         S.slowest[0] != '\0' ? S.slowest : "none");
    report("timing.calls", S.slowest_us <= S.max_call_us, obs);
}

/* ------------------------------------------------------------------------ */
/* Main                                                                     */
/* ------------------------------------------------------------------------ */

static char ca_text[65536];

static int load_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (f == NULL) { fprintf(stderr, "conformance: cannot open %s\n", path); return 0; }
    n = fread(ca_text, 1, sizeof ca_text - 1, f);
    fclose(f);
    ca_text[n] = '\0';
    return n > 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: conformance --base PORT [--host ADDR] [--ca FILE] [--server-name NAME]\n"
                    "                   [--max-call-ms N] [--large-bytes N]\n");
    return 2;
}

static int parse_args(int argc, char **argv, conformance_env *env)
{
    int i;
    for (i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL) return 0;
        if (strcmp(argv[i], "--base") == 0) env->base_port = (uint16_t)strtoul(v, NULL, 10);
        else if (strcmp(argv[i], "--host") == 0) env->host = v;
        else if (strcmp(argv[i], "--ca") == 0) { if (!load_file(v)) return 0; env->ca_pem = ca_text; }
        else if (strcmp(argv[i], "--server-name") == 0) env->server_name = v;
        else if (strcmp(argv[i], "--max-call-ms") == 0) S.max_call_us = (uint32_t)strtoul(v, NULL, 10) * 1000u;
        else if (strcmp(argv[i], "--large-bytes") == 0) S.large_bytes = (size_t)strtoul(v, NULL, 10);
        else return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    conformance_env env;
    uint64_t t0 = host_us();
    memset(&env, 0, sizeof env);
    env.host = "127.0.0.1";
    env.server_name = "localhost";
    S.max_call_us = 50000u;
    S.large_bytes = 4u * 1024u * 1024u;
    S.rule = "setup";
    if (!parse_args(argc, argv, &env)) return usage();
    memset(&S.a, 0, sizeof S.a);
    if (conformance_port_setup(&env, &S.a) != 0) { fprintf(stderr, "conformance: adapter setup failed\n"); return 2; }
    S.host = S.a.host != NULL ? S.a.host : env.host;
    S.base = S.a.base_port != 0 ? S.a.base_port : env.base_port;
    if (S.base == 0 || S.a.port.connect == NULL || S.a.port.send == NULL || S.a.port.recv == NULL ||
        S.a.port.close == NULL || S.a.port.now_ms == NULL) {
        fprintf(stderr, "conformance: need --base and a port with all five functions\n");
        return 2;
    }
    printf("conformance: port \"%s\", peer %s:%u..%u, call limit %lu ms\n", S.a.name != NULL ? S.a.name : "?",
           S.host, (unsigned)S.base, (unsigned)(S.base + CONFORMANCE_SCENARIOS - 1), (unsigned long)(S.max_call_us / 1000u));
    rule_clock_rate();
    rule_clock_samples();
    rule_close_unconnected();
    rule_connect_echo();
    rule_connect_again_same();
    rule_close_twice_and_reconnect();
    rule_connect_refused();
    rule_connect_no_answer();
    rule_connect_silent_peer();
    rule_recv_would_block();
    rule_recv_delayed();
    rule_recv_eof();
    rule_recv_eof_sticky();
    rule_reset();
    rule_send_backpressure();
    rule_transfer_large();
    report_values();
    report_clock_monotonic();
    report_timing();
    printf("conformance: %d passed, %d failed, %d skipped in %.1f s\n", S.passed, S.failed, S.skipped, ms_since(t0) / 1000.0);
    return S.failed == 0 ? 0 : 1;
}
