#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_ws (tests/fuzz/corpus_ws/): one file per
server stream shape, in the harness's input format [flags][k][splits][bytes]
(see tests/fuzz/fuzz_ws.c); files named c_<sha1> are inputs a 10 M-run
campaign added (libFuzzer -merge=1). Flag bit 0 set: the harness puts a valid 101
head first, so the bytes here are frames."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
D = os.path.join(HERE, "corpus_ws")


def frame(op, payload=b"", fin=True, rsv=0, mask=None, ext=None):
    b0 = (0x80 if fin else 0) | rsv | op
    n = len(payload)
    if ext == 16 or (ext is None and 126 <= n <= 0xFFFF):
        head = bytes([b0, 126 | (0x80 if mask else 0)]) + struct.pack(">H", n)
    elif ext == 64 or (ext is None and n > 0xFFFF):
        head = bytes([b0, 127 | (0x80 if mask else 0)]) + struct.pack(">Q", n)
    else:
        head = bytes([b0, n | (0x80 if mask else 0)])
    if mask:
        payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
        head += bytes(mask)
    return head + payload


def seed(name, frames, flags=1, splits=b""):
    os.makedirs(D, exist_ok=True)
    with open(os.path.join(D, name), "wb") as f:
        f.write(bytes([flags, len(splits)]) + splits + frames)


seed("text", frame(1, b"hello"))
seed("binary", frame(2, b"\x00\x01\xff"))
seed("fragments", frame(1, b"ab", fin=False) + frame(9, b"hb") + frame(0, b"", fin=False) + frame(0, b"cd"))
seed("len16", frame(1, b"x" * 300), splits=b"\x01\x02\x03\x80")
seed("len64", frame(2, b"y" * 70000, ext=64)[:200])
seed("pings", frame(9, b"1") + frame(9, b"") + frame(9, b"333") + frame(10, b"u"), flags=1 | 8)
seed("close", frame(8, struct.pack(">H", 1001) + b"bye") + frame(1, b"after"))
seed("close_empty", frame(8))
seed("close_bad", frame(8, b"\x03"))
seed("close_reason_utf8", frame(8, struct.pack(">H", 1000) + b"\xc3("))
seed("rsv", frame(1, b"x", rsv=0x40))
seed("masked", frame(1, b"x", mask=b"\x01\x02\x03\x04"))
seed("opcode3", frame(3))
seed("ctrl_frag", frame(9, b"", fin=False))
seed("nonminimal", frame(1, b"hello", ext=16))
seed("bad_utf8", frame(1, b"\xc3"))
seed("orphan", frame(0, b"x"))
seed("too_big", frame(1, b"z" * 40), flags=1 | 4)
seed("client_text_close", frame(1, b"hi") + frame(8, struct.pack(">H", 1000)), flags=1 | 16 | 32)
seed("one_byte_sends", frame(9, b"p") + frame(1, b"q"), flags=1 | 8 | 16)
hs = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      b"Sec-WebSocket-Accept: bad\r\n\r\n")
seed("handshake_raw", hs, flags=0)
seed("handshake_429", b"HTTP/1.1 429 Too Many\r\nRetry-After: 3\r\n\r\n", flags=0)
