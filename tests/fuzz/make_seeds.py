#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz harnesses from captured emulator
responses (tests/fuzz/capture_corpus.py) plus hand-made edge cases.

    python3 tests/fuzz/make_seeds.py CAPTURE_DIR

Writes tests/fuzz/corpus_{http,chunked,reader,exchange,serializer}/. The
input formats are described at the top of each harness. Files named
c_<sha1> in those directories are not made here: they are inputs the long
campaign found (minimised with libFuzzer's -merge=1, the smallest kept).
"""
import glob
import os

import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CAP = sys.argv[1]


def out(harness, name, data):
    d = os.path.join(HERE, 'corpus_' + harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def split_response(resp):
    head, _, rest = resp.partition(b'\r\n\r\n')
    return head + b'\r\n\r\n', rest


def dechunk(body):
    res, i = b'', 0
    while True:
        j = body.index(b'\r\n', i)
        n = int(body[i:j].split(b';')[0], 16)
        if n == 0:
            return res
        res += body[j + 2:j + 2 + n]
        i = j + 2 + n + 2


responses = {}
for path in sorted(glob.glob(os.path.join(CAP, '*.http'))):
    with open(path, 'rb') as f:
        responses[os.path.basename(path)[:-5]] = f.read()

HAND_HTTP = {
    'h_100_continue': b'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}',
    'h_http10_close': b'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"a":1}',
    'h_both_framings': b'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'h_dup_length': b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}',
    'h_fold': b'HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n',
    'h_bare_lf': b'HTTP/1.1 200 OK\nContent-Length: 0\n\n',
    'h_long_etag': b'HTTP/1.1 200 OK\r\nETag: "' + b'e' * 130 + b'"\r\nContent-Length: 0\r\n\r\n',
    'h_date_retry': b'HTTP/1.1 429 Too Many\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nRetry-After: 7\r\n'
                    b'Content-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\n\r\nslow',
    'h_204_keep': b'HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n',
    'h_trailer': b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\n{}\r\n0\r\nT: v\r\n\r\n',
    'h_chunk_ext_ws': b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 \t;e\r\n{}\r\n0\r\n\r\n',
    'h_chunk_max_hex': b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n',
    'h_status_999': b'HTTP/1.1 999\r\nContent-Length: 0\r\n\r\n',
    'h_location_long': b'HTTP/1.1 200 OK\r\nContent-Location: /' + b'a' * 320 + b'\r\nContent-Length: 0\r\n\r\n',
}

# --- harness 1: HTTP parser -------------------------------------------------
for name, resp in list(responses.items()) + list(HAND_HTTP.items()):
    get = 1 if ('get' in name or name.startswith('roles') or name.startswith('h_')) else 0
    out('http', name, bytes([get, 0]) + resp)
    out('http', name + '_s64', bytes([get | 2, 16]) + bytes(range(1, 17)) + resp)

# --- harness 2: chunked bodies ---------------------------------------------
for name, resp in responses.items():
    head, body = split_response(resp)
    if b'chunked' in head.lower():
        out('chunked', name, bytes([1, 0]) + body)
        out('chunked', name + '_w128', bytes([1 | 4, 8]) + bytes([3, 200, 1, 7, 130, 2, 5, 9]) + body)
for name, resp in HAND_HTTP.items():
    head, body = split_response(resp)
    if b'chunked' in head.lower():
        out('chunked', name, bytes([0, 0]) + body)
for name, body in {
    'c_empty': b'0\r\n\r\n',
    'c_two': b'3\r\n{"a\r\n4\r\n":1}\r\n0\r\n\r\n',
    'c_upper_hex': b'A\r\n{"k":"vv"}\r\n0\r\n\r\n',
    'c_bare_cr': b'2\r{}\r\n0\r\n\r\n',
    'c_long_ext': b'2;' + b'e' * 260 + b'\r\n{}\r\n0\r\n\r\n',
    'c_missing_crlf': b'2\r\n{}0\r\n\r\n',
    'c_16_digits': b'0000000000000002\r\n{}\r\n0\r\n\r\n',
    'c_cut': b'10\r\n{"a":',
}.items():
    out('chunked', name, bytes([1, 0]) + body)

# --- harness 3: session documents ------------------------------------------
docs = {}
for name, resp in responses.items():
    head, body = split_response(resp)
    if b'chunked' in head.lower():
        continue
    if body.startswith(b'{') and b'membersInfo' in body:
        docs[name] = body
for name, body in docs.items():
    out('reader', name, b'\x00' + body)
    out('reader', name + '_other', b'\x03' + body)
for name, body in {
    'd_minimal': b'{"constants":{"system":{}},"properties":{"system":{}}}',
    'd_large_me': b'{"constants":{"system":{"capabilities":{"large":true}}},"properties":{"system":{}},'
                  b'"membersInfo":{"first":3,"next":4},"members":{"me":{"constants":{"system":'
                  b'{"xuid":"2814600000000001"}},"properties":{"system":{"active":true}},"next":4}}}',
    'd_loop': b'{"constants":{"system":{}},"properties":{"system":{}},"membersInfo":{"first":0,"next":9},'
              b'"members":{"0":{"constants":{"system":{}},"properties":{"system":{}},"next":0}}}',
    'd_nulls': b'{"constants":{"system":{"memberInitialization":null,"reservedRemovalTimeout":null},'
               b'"custom":null},"properties":{"system":{"matchmaking":{"targetSessionConstants":null}},'
               b'"custom":null},"servers":{"matchmaking":null}}',
    'd_escapes': b'{"constants":{"system":{},"custom":{"k\\u00e9":"\\ud83d\\ude00\\n"}},'
                 b'"properties":{"system":{"keywords":["\\u0041","\\""]}},"correlationId":"\\u0063"}',
    'd_dup_keys': b'{"constants":{"system":{"maxMembersCount":1,"maxMembersCount":2}},'
                  b'"properties":{"system":{}},"properties":{"system":{"closed":true}}}',
    'd_roles': b'{"constants":{"system":{}},"properties":{"system":{}},"roleTypes":{"t":{"roles":'
               b'{"r":{"count":1,"memberXuids":["5"]},"q":{}}},"u":{"roles":{}}}}',
}.items():
    out('reader', name, b'\x00' + body)

# --- harness 5: whole exchanges ---------------------------------------------
def recv_stream(resp, step):
    s, i = b'', 0
    while i < len(resp):
        part = resp[i:i + step]
        s += bytes([len(part)]) + part
        i += step
    return s


for name, resp in responses.items():
    status = int(resp.split(b' ', 2)[1])
    if name.startswith('handle_put'):
        op = 3
    elif name.startswith('handle_get'):
        op = 2
    elif name.startswith(('get', 'roles', 'session')):
        op = 1
    else:
        op = 0
    op |= 0x80 if status == 200 and len(resp) > 4000 else 0
    out('exchange', name, bytes([op, 0]) + recv_stream(resp, 200))
    # every port call scripted: connect pending once, partial sends, clock jumps
    ctl = bytes([1, 0, 0x40, 9, 0, 0x85, 3, 250, 0x20, 0x20])
    out('exchange', name + '_ctl', bytes([op, len(ctl)]) + ctl + recv_stream(resp, 37))
for name, data in {
    'x_timeout': bytes([1, 4, 0xFF, 0xFF, 0xFF, 0xFF]) + b'\x00\x00\x00',
    'x_io_then_eof': bytes([0, 0]) + b'\xff',
    'x_wouldblock': bytes([1, 0]) + b'\x00' * 40,
}.items():
    out('exchange', name, data)

# --- harness 4: setter programs ---------------------------------------------
def s(text):
    b = text.encode()
    return bytes([len(b)]) + b


def stock(i):
    return bytes([0xE0 + i])


PROGRAMS = {
    'p_local_constants': bytes([0, 0, 4, 1, 0, 0, 0, 1, 5, 2, 1, 3, 4, 5, 3, 0x0F, 4, 2, 2, 9, 1, 0x20, 0,
                                5, 2, 3, 6, 2, 2, 2, 4, 7]) + stock(7) + bytes([8, 0xFF, 1, 9]) + stock(12),
    'p_local_properties': bytes([0, 10, 2]) + s('alpha') + s('b\u00fc') + bytes([11, 3, 12, 2, 13, 2, 1, 5, 2, 3, 0])
                          + bytes([15]) + stock(8) + bytes([16, 1, 17]) + b'dev1\x00' + b'\x00' * 35
                          + bytes([18]) + s('conn') + bytes([19, 1, 20, 1, 21, 1, 22, 1, 23, 2]) + s('x') + s('y')
                          + bytes([24]) + stock(9) + bytes([25]) + s('score') + stock(5)
                          + bytes([25]) + s('score') + stock(2) + bytes([26]) + s('gone'),
    'p_join_me': bytes([0, 27]) + stock(7) + bytes([7, 30, 0xFF, 0x01, 31, 4, 32]) + s('AAAAAGRldmljZQ==')
                 + bytes([33, 2]) + s('lfg') + s('confirmed') + s('t2') + s('r2') + bytes([34, 2, 1, 3, 1, 4])
                 + bytes([35, 1]) + s('g') + bytes([36, 1]) + s('e') + bytes([37]) + stock(8) + bytes([38]) + stock(0)
                 + bytes([39]) + s('k') + stock(6) + bytes([40]) + s('k') + bytes([29]) + stock(0) + bytes([3]) + b'\x02' * 8,
    'p_init_args': bytes([1, 40, 4, 2]) + b'\x07' * 8 + stock(8) + bytes([0, 1, 0, 27]) + stock(2) + bytes([3]),
    'p_service_roles': bytes([3, 14]) + stock(29) + stock(28) + bytes([3, 6, 2, 14]) + s('FIXED') + s('a')
                       + bytes([1, 1, 1, 25]) + s('a') + stock(2) + bytes([39]) + s('p') + stock(10) + bytes([28]),
    'p_small_arena': bytes([6, 10, 6]) + stock(21) * 6 + bytes([25]) + s('big') + stock(21) + bytes([7]) + stock(21),
    'p_leave': bytes([2, 28, 27]) + stock(0) + bytes([3, 41]) + s('x') + bytes([42]),
    'p_bad_inputs': bytes([0, 7]) + stock(14) + bytes([9]) + stock(15) + bytes([15]) + stock(16) + bytes([24])
                    + stock(18) + bytes([25]) + stock(20) + stock(0) + bytes([10, 1]) + stock(20) + bytes([1, 7, 11, 5]),
}
for name, prog in PROGRAMS.items():
    out('serializer', name, prog)
