#!/usr/bin/env python3
"""Peer for the xbl_mpsd port conformance suite (tests/port_conformance/).

Standard library only. Binds one loopback port per scenario, at fixed
offsets from a base port, so any peer that implements the same offsets (this
one, or the in-lwIP peer in peer_lwip.c) can serve the suite:

    python3 tests/port_conformance/peer.py [--host 127.0.0.1] [--base 0]
            [--tls-cert CERT.pem --tls-key KEY.pem]

The first stdout line is "PEER_BASE <n>" (flushed) once every scenario
listens; --base 0 picks a free block of ports. The peer exits on
SIGTERM/SIGINT, after --lifetime seconds, or when its parent goes away.

With --tls-cert/--tls-key, every scenario that talks is wrapped in TLS
(the handshake completes before the scenario starts), so the same suite
checks a TLS port layered over a TCP port.

Offset  Scenario
  0  echo       every byte received is sent back, until the client closes
  1  greet      sends GREETING_LEN bytes of the pattern, then an orderly
                close (TLS close_notify, then FIN): recv must end in EOF
  2  delayed    waits DELAY1, sends "part1-", waits DELAY2, sends "part2",
                then an orderly close
  3  reset      waits RESET_DELAY, then resets the connection (SO_LINGER 0)
  4  refused    a bound socket that never listens: connecting is refused
  5  silence    accepts (and completes TLS), then never sends; reads and
                drops what arrives until the client closes
  6  mute       accepts at TCP level and never answers, not even a TLS
                handshake
  7  no-answer  a listener whose accept queue is full: the handshake never
                completes (SYNs are dropped), connect stays in progress
  8  stall      reads nothing for STALL seconds, then echoes like 0
  9  ident      answers every byte received with the 8 bytes "id%06d" %
                n, n numbering the connections this peer accepted (from 1):
                tells whether two exchanges used the same connection

The pattern byte at stream position i is pattern_byte(i) (same formula in
conformance.c).
"""

import argparse
import os
import signal
import socket
import ssl
import struct
import sys
import threading
import time

ECHO, GREET, DELAYED, RESET, REFUSED, SILENCE, MUTE, NO_ANSWER, STALL, IDENT = range(10)
SCENARIOS = 10
GREETING_LEN = 3000
DELAY1, DELAY2 = 0.3, 0.2
RESET_DELAY = 0.2
STALL_S = 1.0
IO_TIMEOUT = 10.0


def pattern_byte(i):
    return ((i * 2654435761) >> 11) & 0xFF


def greeting():
    return bytes(pattern_byte(i) for i in range(GREETING_LEN))


def drain_until_closed(conn):
    """Read and drop until the client closes (or the link fails)."""
    try:
        while conn.recv(65536):
            pass
    except (OSError, ValueError):
        pass


def orderly_close(conn):
    """TLS close_notify (when TLS), then FIN, then wait for the client."""
    try:
        if isinstance(conn, ssl.SSLSocket):
            conn.settimeout(1.0)
            try:
                conn = conn.unwrap()   # sends close_notify
            except (OSError, ValueError):
                pass
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(IO_TIMEOUT)
        drain_until_closed(conn)
    except OSError:
        pass


def echo(conn, stall=0.0):
    if stall:
        time.sleep(stall)
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)
    except (OSError, ValueError):
        pass


_ident_lock = threading.Lock()
_ident_next = [0]


def ident(conn):
    with _ident_lock:
        _ident_next[0] += 1
        tag = b"id%06d" % _ident_next[0]
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(tag * len(data))
    except (OSError, ValueError):
        pass


def serve(scenario, conn, tls):
    conn.settimeout(IO_TIMEOUT)
    try:
        if tls is not None and scenario != MUTE:
            conn = tls.wrap_socket(conn, server_side=True)
        if scenario == ECHO:
            echo(conn)
        elif scenario == STALL:
            echo(conn, STALL_S)
        elif scenario == IDENT:
            ident(conn)
        elif scenario == GREET:
            conn.sendall(greeting())
            orderly_close(conn)
        elif scenario == DELAYED:
            time.sleep(DELAY1)
            conn.sendall(b"part1-")
            time.sleep(DELAY2)
            conn.sendall(b"part2")
            orderly_close(conn)
        elif scenario == RESET:
            time.sleep(RESET_DELAY)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif scenario in (SILENCE, MUTE):
            drain_until_closed(conn)
    except (OSError, ValueError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def accept_loop(scenario, lsock, tls):
    while True:
        try:
            conn, _ = lsock.accept()
        except OSError:
            return
        threading.Thread(target=serve, args=(scenario, conn, tls), daemon=True).start()


def bind_block(host, base):
    """Bind all scenario sockets at base..base+SCENARIOS-1, or raise OSError."""
    socks = []
    try:
        for k in range(SCENARIOS):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.bind((host, base + k))
            if k == REFUSED:
                continue
            s.listen(0 if k == NO_ANSWER else 16)
        return socks
    except OSError:
        for s in socks:
            s.close()
        raise


def fill_accept_queue(host, port):
    """Connections nobody accepts, so the kernel drops further SYNs."""
    held = []
    for _ in range(3):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((host, port))
        held.append(s)
    time.sleep(0.05)
    return held


def pick_block(host, base):
    if base:
        return base, bind_block(host, base)
    for _ in range(50):
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        probe.bind((host, 0))
        candidate = probe.getsockname()[1]
        probe.close()
        if candidate + SCENARIOS > 65535:
            continue
        try:
            return candidate, bind_block(host, candidate)
        except OSError:
            continue
    raise OSError("no free block of %d ports" % SCENARIOS)


def watch_parent(lifetime):
    parent = os.getppid()
    end = time.monotonic() + lifetime
    while time.monotonic() < end and os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--base", type=int, default=0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--lifetime", type=float, default=600.0)
    args = ap.parse_args()
    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.minimum_version = ssl.TLSVersion.TLSv1_2
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    try:
        base, socks = pick_block(args.host, args.base)
    except OSError as e:
        print("error: %s" % e, flush=True)
        sys.exit(2)
    held = fill_accept_queue(args.host, base + NO_ANSWER)
    for k, s in enumerate(socks):
        if k not in (REFUSED, NO_ANSWER):
            threading.Thread(target=accept_loop, args=(k, s, tls), daemon=True).start()
    print("PEER_BASE %d" % base, flush=True)
    watch_parent(args.lifetime)
    del held


if __name__ == "__main__":
    main()
