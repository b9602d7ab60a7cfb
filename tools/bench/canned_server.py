#!/usr/bin/env python3
"""Minimal canned-response MPSD server for the kept-alive write benchmark.

Every PUT gets 200 with the same 2-member session document (what a write of
one member custom property returns), ETag, Content-Location and Date, on a
kept-alive HTTP/1.1 connection. GET .../sessions/doc-N returns DOCDIR/doc_N.json
(used to measure the async buffer a document needs). No validation: the
server costs the clients nothing beyond the bytes it sends.

usage: canned_server.py DOCDIR [--dump FILE]   prints the port, then serves
"""
import os
import re
import socket
import sys
import threading

DOCDIR = sys.argv[1]
DUMP = sys.argv[sys.argv.index('--dump') + 1] if '--dump' in sys.argv else None
REPLY_DOC = open(os.path.join(DOCDIR, 'doc_2.json'), 'rb').read()


def response(status, body, path):
    head = ('HTTP/1.1 %s\r\n'
            'Content-Type: application/json; charset=utf-8\r\n'
            'ETag: "0x8DC3A1B2C3D4E5F"\r\n'
            'Content-Location: %s\r\n'
            'Date: Fri, 01 Mar 2024 10:00:30 GMT\r\n'
            'X-Content-Type-Options: nosniff\r\n'
            'Content-Length: %d\r\n\r\n' % (status, path, len(body)))
    return head.encode() + body


def serve(conn):
    buf = b''
    count = 0
    with conn:
        while True:
            while b'\r\n\r\n' not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            head, _, buf = buf.partition(b'\r\n\r\n')
            m = re.search(rb'(?i)\r\ncontent-length:\s*(\d+)', head)
            n = int(m.group(1)) if m else 0
            while len(buf) < n:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            body, buf = buf[:n], buf[n:]
            method, path = head.split(b' ')[0:2]
            count += 1
            if DUMP and count <= 2:   # the create and the first update of each connection
                with open(DUMP, 'ab') as f:
                    f.write(head + b'\r\n\r\n' + body + b'\n----\n')
            path = path.decode()
            g = re.search(r'/sessions/doc-(\d+)$', path)
            if method == b'GET' and g:
                conn.sendall(response('200 OK', open(os.path.join(DOCDIR, 'doc_%s.json' % g.group(1)), 'rb').read(),
                                      path))
            else:
                conn.sendall(response('200 OK', REPLY_DOC, path))


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', 0))
    s.listen(16)
    print(s.getsockname()[1], flush=True)
    while True:
        c, _ = s.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == '__main__':
    main()
