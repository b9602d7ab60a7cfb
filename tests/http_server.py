#!/usr/bin/env python3
"""Misbehaving HTTP/1.1 test server for the xbl_mpsd port and client tests.

Standard library only. A raw socket server, one thread per connection, so it
can misbehave precisely (http.server would not let it).

    python3 tests/http_server.py [--host 127.0.0.1] [--port 0]

The first stdout line is "listening on HOST:PORT" (flushed; with --host ::1
it reads "listening on ::1:PORT", so take the text after the last ':').
--port 0 picks a free port. If the socket cannot be bound the server prints
"error: ..." to stdout and exits with status 2 (tests skip on that). The
server exits on SIGTERM/SIGINT, and by itself when its parent process goes
away, so a crashed test never leaves it behind.

Requests
--------
The request head is read up to the blank line; the body (Content-Length or
chunked) is then read in full, except in the modes hangup, reset and
silence, which act right after the head (so a client can be stopped in the
middle of a large upload). The mode comes from, in order:
  1. the header  X-Test-Mode: <mode>
  2. the first path segment, e.g.  GET /chunked?len=100&chunk=7
  3. otherwise the next queued raw response (see _queue), else a 404.

Query parameters (all optional):
  status=N   status code (default 200)
  len=N      body = N bytes of "0123456789abcdefghijklmnopqrstuvwxyz" repeated
             (default: the 12 bytes "hello, world")
  body=TEXT  body = TEXT (URL-decoded); overrides len
  chunk=N    chunk size for chunked (default 7)
  ms=N       drip interval (default 10) / silence length (default 5000);
             every delay is bounded so a whole response takes at most 5 s
  partial=N  hangup/reset: first send the first N bytes of the normal response

Modes:
  normal   Content-Length response, connection kept alive (closed after the
           response when the request said "Connection: close"); status 1xx,
           204 and 304 go without body and Content-Length
  echo     body = the exact request bytes (head and body) as received
  chunked  Transfer-Encoding: chunked, chunks of `chunk` bytes, then 0\\r\\n\\r\\n
  close    close-delimited: no Content-Length, "Connection: close", body,
           then the server closes (FIN)
  drip     the whole normal response (head included) one byte every `ms` ms
  hangup   close at once (FIN) without a response
  reset    close with SO_LINGER 0 (RST) without a response
  silence  send nothing for `ms` ms (max 5000), then close

Every generated response carries "X-Conn-Id: <n>" (1-based connection
number, server-wide) and "X-Request-Index: <k>" (1-based request number on
that connection) so tests can tell whether a connection was reused.

Control paths (use a separate connection; they never consume a queue entry):
  POST /_queue?after=keep|close|reset   body = raw bytes sent verbatim as the
           reply to the next request whose mode is not selected by 1./2.;
           then the connection is kept (default), closed (FIN) or reset (RST).
           Replies 204.
  POST /_clear   empties the queue. Replies 204.
  GET  /_last    body = the exact bytes of the last non-control request.
"""

import argparse
import os
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse

PATTERN = b"0123456789abcdefghijklmnopqrstuvwxyz"
MAX_DELAY_S = 5.0
IDLE_TIMEOUT_S = 30.0
MAX_HEAD = 64 * 1024
MODES = ("normal", "echo", "chunked", "close", "drip", "hangup", "reset", "silence")
EARLY_MODES = ("hangup", "reset", "silence")
REASONS = {200: "OK", 201: "Created", 204: "No Content", 304: "Not Modified",
           400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 409: "Conflict", 412: "Precondition Failed",
           429: "Too Many Requests", 500: "Internal Server Error",
           503: "Service Unavailable"}

lock = threading.Lock()
queue = []            # list of (raw bytes, after)
last_request = b""
conn_counter = 0


class Closed(Exception):
    pass


class Conn:
    def __init__(self, sock, conn_id):
        self.sock = sock
        self.conn_id = conn_id
        self.buf = b""

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise Closed()
        self.buf += data

    def read_until(self, marker, limit):
        while marker not in self.buf:
            if len(self.buf) > limit:
                raise Closed()
            self.fill()
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_exact(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_body(self, headers):
        """Raw body bytes as received (chunked framing included)."""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            raw = b""
            while True:
                line = self.read_until(b"\r\n", MAX_HEAD)
                raw += line
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while True:  # trailers up to the empty line
                        t = self.read_until(b"\r\n", MAX_HEAD)
                        raw += t
                        if t == b"\r\n":
                            return raw
                raw += self.read_exact(size + 2)
        n = int(headers.get("content-length", "0") or "0")
        return self.read_exact(n)


def parse_head(head):
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    method = parts[0] if parts else ""
    target = parts[1] if len(parts) > 1 else "/"
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return method, target, headers


def make_body(q):
    if "body" in q:
        return q["body"].encode("latin-1")
    if "len" in q:
        n = int(q["len"])
        return (PATTERN * (n // len(PATTERN) + 1))[:n]
    return b"hello, world"


def head_bytes(status, extra, conn, index):
    reason = REASONS.get(status, "Status")
    h = "HTTP/1.1 %d %s\r\n" % (status, reason)
    h += "X-Conn-Id: %d\r\nX-Request-Index: %d\r\n" % (conn.conn_id, index)
    for k, v in extra:
        h += "%s: %s\r\n" % (k, v)
    return (h + "\r\n").encode("latin-1")


def normal_response(status, body, conn, index, close):
    if status < 200 or status in (204, 304):   # no body, no Content-Length (RFC 9110)
        extra = []
        body = b""
    else:
        extra = [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
    if close:
        extra.append(("Connection", "close"))
    return head_bytes(status, extra, conn, index) + body


def reset(sock):
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def finish(sock):
    try:
        sock.shutdown(socket.SHUT_WR)
        time.sleep(0.05)
    except OSError:
        pass
    sock.close()


def handle(sock, conn_id):
    global last_request
    conn = Conn(sock, conn_id)
    sock.settimeout(IDLE_TIMEOUT_S)
    index = 0
    try:
        while True:
            head = conn.read_until(b"\r\n\r\n", MAX_HEAD)
            index += 1
            method, target, headers = parse_head(head)
            url = urllib.parse.urlsplit(target)
            q = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            segment = url.path.lstrip("/").split("/")[0]
            mode = headers.get("x-test-mode", "").strip().lower()
            if not mode and segment in MODES:
                mode = segment
            status = int(q.get("status", "200"))
            client_close = headers.get("connection", "").lower() == "close"

            if mode in EARLY_MODES:
                with lock:
                    last_request = head
                partial = int(q.get("partial", "0"))
                if partial > 0:
                    full = normal_response(status, make_body(q), conn, index, False)
                    sock.sendall(full[:partial])
                if mode == "hangup":
                    finish(sock)
                elif mode == "reset":
                    reset(sock)
                else:
                    ms = float(q.get("ms", "5000"))
                    time.sleep(min(max(ms, 0.0) / 1000.0, MAX_DELAY_S))
                    finish(sock)
                return

            body_in = conn.read_body(headers)
            raw = head + body_in

            if segment.startswith("_"):
                if segment == "_queue" and method == "POST":
                    with lock:
                        queue.append((body_in, q.get("after", "keep")))
                    sock.sendall(normal_response(204, b"", conn, index, False))
                elif segment == "_clear":
                    with lock:
                        queue.clear()
                    sock.sendall(normal_response(204, b"", conn, index, False))
                elif segment == "_last":
                    with lock:
                        body = last_request
                    sock.sendall(normal_response(200, body, conn, index, False))
                else:
                    sock.sendall(normal_response(404, b"unknown control path", conn, index, False))
                continue

            with lock:
                last_request = raw

            if not mode:
                with lock:
                    item = queue.pop(0) if queue else None
                if item is None:
                    sock.sendall(normal_response(404, b"no route and nothing queued", conn, index, False))
                    continue
                data, after = item
                sock.sendall(data)
                if after == "close":
                    finish(sock)
                    return
                if after == "reset":
                    reset(sock)
                    return
                continue

            body = raw if mode == "echo" else make_body(q)
            if mode in ("normal", "echo"):
                sock.sendall(normal_response(status, body, conn, index, client_close))
                if client_close:
                    finish(sock)
                    return
            elif mode == "chunked":
                size = max(1, int(q.get("chunk", "7")))
                out = head_bytes(status, [("Content-Type", "text/plain"),
                                          ("Transfer-Encoding", "chunked")], conn, index)
                for i in range(0, len(body), size):
                    piece = body[i:i + size]
                    out += b"%x\r\n" % len(piece) + piece + b"\r\n"
                out += b"0\r\n\r\n"
                sock.sendall(out)
            elif mode == "close":
                sock.sendall(head_bytes(status, [("Content-Type", "text/plain"),
                                                 ("Connection", "close")], conn, index) + body)
                finish(sock)
                return
            elif mode == "drip":
                full = normal_response(status, body, conn, index, client_close)
                delay = max(float(q.get("ms", "10")), 0.0) / 1000.0
                if delay * len(full) > MAX_DELAY_S:
                    delay = MAX_DELAY_S / len(full)
                for i in range(len(full)):
                    sock.sendall(full[i:i + 1])
                    time.sleep(delay)
                if client_close:
                    finish(sock)
                    return
    except (Closed, OSError, ValueError):
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


def watch_parent(ppid):
    while True:
        time.sleep(0.5)
        if os.getppid() != ppid:
            os._exit(0)


def main():
    global conn_counter
    ap = argparse.ArgumentParser(description="misbehaving HTTP/1.1 test server")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    try:
        srv = socket.socket(family, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        srv.bind((args.host, args.port))
        srv.listen(64)
    except OSError as e:
        print("error: cannot listen on %s:%d: %s" % (args.host, args.port, e), flush=True)
        sys.exit(2)
    print("listening on %s:%d" % (args.host, srv.getsockname()[1]), flush=True)
    while True:
        sock, _ = srv.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with lock:
            conn_counter += 1
            cid = conn_counter
        threading.Thread(target=handle, args=(sock, cid), daemon=True).start()


if __name__ == "__main__":
    main()
