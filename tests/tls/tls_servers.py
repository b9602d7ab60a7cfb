#!/usr/bin/env python3
"""The servers the TLS tests talk to, in one process on free loopback ports.

usage: tls_servers.py CERT_DIR

Prints one line, "ports good=N expired=N wrongname=N plain=N closer=N", then
serves until SIGTERM or SIGINT:
  good       the MPSD emulator over TLS with server.pem (test CA, 127.0.0.1 + localhost)
  expired    the emulator over TLS with expired.pem (same CA, expired in 2021)
  wrongname  the emulator over TLS with wrongname.pem (same CA, wrong.example only)
  plain      the emulator without TLS
  closer     reads the ClientHello, sends half a handshake record, closes
"""
import os
import signal
import socket
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools'))
import mpsd_emulator  # noqa: E402


def serve(srv):
    threading.Thread(target=srv.serve_forever, kwargs={'poll_interval': 0.2}, daemon=True).start()
    return srv.server_address[1]


def closer_loop(lsock):
    while True:
        try:
            conn, _ = lsock.accept()
        except OSError:
            return
        try:
            conn.settimeout(5)
            conn.recv(4096)                                # the ClientHello
            conn.sendall(b'\x16\x03\x03\x00\x40' + b'\x02' * 10)   # 10 of 64 promised bytes
        except OSError:
            pass
        finally:
            conn.close()


def main():
    certs = sys.argv[1]
    ports = {}
    for name, cert in (('good', 'server'), ('expired', 'expired'), ('wrongname', 'wrongname')):
        ports[name] = serve(mpsd_emulator.make_server(
            '127.0.0.1', 0, None, os.path.join(certs, cert + '.pem'), os.path.join(certs, cert + '.key')))
    ports['plain'] = serve(mpsd_emulator.make_server('127.0.0.1', 0))
    lsock = socket.socket()
    lsock.bind(('127.0.0.1', 0))
    lsock.listen(16)
    ports['closer'] = lsock.getsockname()[1]
    threading.Thread(target=closer_loop, args=(lsock,), daemon=True).start()

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    sys.stdout.write('ports ' + ' '.join('%s=%d' % kv for kv in ports.items()) + '\n')
    sys.stdout.flush()
    done.wait()


if __name__ == '__main__':
    main()
