"""The emulator's RTA WebSocket endpoint (GET /connect), in process.

The foreign client is Debian's python3-websockets (10.x, asyncio API); the
framing rules the library cannot break on purpose are checked with a raw
socket. Every wait is bounded; nothing asserts on elapsed time.
RTA_TEST_LOG=FILE keeps the emulator's log (default: discarded).
"""

import asyncio
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
import mpsd_emulator  # noqa: E402

try:
    import websockets
except ImportError:        # an interpreter outside Debian's (pyenv, venv): use Debian's copy
    sys.path.append('/usr/lib/python3/dist-packages')
    import websockets      # python3-websockets (make deps installs it)
from websockets.exceptions import (ConnectionClosed, InvalidHandshake,  # noqa: E402
                                   InvalidStatusCode)

SCID = '00000000-0000-0000-0000-00000000ABCD'
A, B = '2814600000000001', '2814600000000002'
SUB = 'rta.xboxlive.com.V2'
CONNECTIONS = 'https://sessiondirectory.xboxlive.com/connections/'
SUBSCRIBE = '[1,1,"%s"]' % CONNECTIONS
UUID4 = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$')
WAIT = 10.0


def auth(xuid):
    return 'XBL3.0 x=1;xuid=%s,gt=P%s,dev=d%s,title=1234' % (xuid, xuid[-1], xuid[-1])


def spath(name, template='quick'):
    return '/serviceconfigs/%s/sessionTemplates/%s/sessions/%s' % (SCID, template, name)


def member(xuid, connection=None, types=('everything',), active=True, **extra):
    ps = {}
    if active:
        ps['active'] = True
    if connection is not None:
        ps['connection'] = connection
    if types is not None:
        ps['subscription'] = {'id': 'SUB-' + xuid, 'changeTypes': list(types)}
    ps.update(extra)
    return {'members': {'me': {'constants': {'system': {'xuid': xuid}},
                               'properties': {'system': ps}}}}


def mask_frame(opcode, payload, fin=True, mask=b'\x11\x22\x33\x44', masked=True, form=None):
    """A client frame built here, independent of the emulator's encoder."""
    n = len(payload)
    b0 = (0x80 if fin else 0) | opcode
    mbit = 0x80 if masked else 0
    form = form or (7 if n <= 125 else 16 if n <= 0xFFFF else 64)
    head = bytes([b0, mbit | n]) if form == 7 else \
        bytes([b0, mbit | 126]) + struct.pack('!H', n) if form == 16 else \
        bytes([b0, mbit | 127]) + struct.pack('!Q', n)
    if not masked:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class Emu:
    """An emulator on a free port in this process, with small admin helpers."""

    def __init__(self, tls=None):
        self.srv = mpsd_emulator.make_server('127.0.0.1', 0, None, *(tls or (None, None)))
        self.port = self.srv.server_address[1]
        self.tls = tls
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()

    def http(self):
        if self.tls:
            return http.client.HTTPSConnection('127.0.0.1', self.port, timeout=WAIT,
                                               context=client_tls(self.tls[0]))
        return http.client.HTTPConnection('127.0.0.1', self.port, timeout=WAIT)

    def request(self, method, path, body=None, headers=None):
        c = self.http()
        c.request(method, path, None if body is None else json.dumps(body), headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, (json.loads(data) if data and
                          r.getheader('Content-Type') == 'application/json' else data)

    def admin(self, path, body=None):
        status, doc = self.request('GET' if body is None else 'POST', '/_emu/' + path, body)
        if status != 200:
            raise AssertionError('admin %s: %d %r' % (path, status, doc))
        return doc

    def put(self, xuid, name, body, template='quick'):
        return self.request('PUT', spath(name, template), body,
                            {'Authorization': auth(xuid), 'x-xbl-contract-version': '107',
                             'Content-Type': 'application/json'})

    def state(self):
        return self.admin('rta')

    def wait_for(self, what, pred):
        """Poll GET /_emu/rta until pred(state) is true; bounded."""
        deadline = time.monotonic() + WAIT
        while True:
            st = self.state()
            got = pred(st)
            if got:
                return got
            if time.monotonic() > deadline:
                raise AssertionError('timed out waiting for %s: %s' % (what, json.dumps(st)[:800]))
            time.sleep(0.01)

    def closed_entry(self, cid):
        return self.wait_for('closed connection %s' % cid,
                             lambda st: next((c for c in st['closed'] if c['id'] == cid), None))

    def url(self):
        return '%s://127.0.0.1:%d/connect' % ('wss' if self.tls else 'ws', self.port)


def client_tls(cert):
    ctx = ssl.create_default_context(cafile=cert)
    ctx.check_hostname = False
    return ctx


class RtaCase(unittest.TestCase):
    tls = None

    def setUp(self):
        log = os.environ.get('RTA_TEST_LOG', os.devnull)          # the emulator's log
        self.stderr, sys.stderr = sys.stderr, open(log, 'a')
        self.emu = Emu(self.tls)

    def tearDown(self):
        self.emu.stop()
        sys.stderr.close()
        sys.stderr = self.stderr

    # ------------------------------------------------------------------ helpers

    def run_async(self, coro):
        return asyncio.run(asyncio.wait_for(coro, 4 * WAIT))

    def connect(self, xuid=A, **kw):
        opts = dict(subprotocols=[SUB], extra_headers={'Authorization': auth(xuid)},
                    open_timeout=WAIT, ping_interval=None, close_timeout=WAIT, compression=None)
        if self.tls:
            opts['ssl'] = client_tls(self.tls[0])
        opts.update(kw)
        return websockets.connect(self.emu.url(), **opts)

    async def call(self, fn, *args):
        return await asyncio.to_thread(fn, *args)

    async def recv(self, ws):
        return await asyncio.wait_for(ws.recv(), WAIT)

    async def recv_json(self, ws):
        return json.loads(await self.recv(ws))

    async def tap_number(self, ws):
        """Receive one tap message; return its change number."""
        msg = await self.recv_json(ws)
        self.assertEqual((msg[0], len(msg[2]['shoulderTaps'])), (3, 1))
        return msg[2]['shoulderTaps'][0]['changeNumber']

    async def subscribe(self, ws, seq=1):
        await ws.send('[1,%d,"%s"]' % (seq, CONNECTIONS))
        reply = await self.recv_json(ws)
        self.assertEqual(reply[:3], [1, seq, 0])
        return reply[3], reply[4]['ConnectionId']

    async def expect_closed(self, ws):
        with self.assertRaises(ConnectionClosed) as cm:
            while True:
                await self.recv(ws)
        return cm.exception

    async def resync_then_next(self, ws, cid):
        """Ask for [4] and return the next message: proves nothing was queued before it."""
        await self.call(self.emu.admin, 'rta/resync', {'connection': cid})
        return await self.recv_json(ws)

    def raw(self):
        s = socket.create_connection(('127.0.0.1', self.emu.port), timeout=WAIT)
        if self.tls:
            s = client_tls(self.tls[0]).wrap_socket(s, server_hostname='localhost')
        return s

    def raw_handshake(self, extra=None, drop=(), key='dGhlIHNhbXBsZSBub25jZQ=='):
        """Send an upgrade request; return (socket, status, headers, bytes after the head)."""
        hdrs = {'Host': '127.0.0.1', 'Upgrade': 'websocket', 'Connection': 'Upgrade',
                'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13',
                'Sec-WebSocket-Protocol': SUB, 'Authorization': auth(A)}
        hdrs.update(extra or {})
        for d in drop:
            hdrs.pop(d)
        s = self.raw()
        s.sendall(('GET /connect HTTP/1.1\r\n' + ''.join('%s: %s\r\n' % kv for kv in hdrs.items())
                   + '\r\n').encode('latin-1'))
        data = b''
        while b'\r\n\r\n' not in data:
            got = s.recv(4096)
            if not got:
                break
            data += got
        head, _, rest = data.partition(b'\r\n\r\n')
        lines = head.decode('latin-1').split('\r\n')
        fields = {}
        for line in lines[1:]:
            k, _, v = line.partition(':')
            fields.setdefault(k.strip().lower(), []).append(v.strip())
        return s, int(lines[0].split()[1]), fields, rest

    @staticmethod
    def read_exact(s, n, have=b''):
        data = have
        while len(data) < n:
            got = s.recv(n - len(data))
            if not got:
                raise EOFError('EOF after %d of %d bytes' % (len(data), n))
            data += got
        return data

    def read_frame(self, s, have=b''):
        """One server frame: (fin, opcode, payload, leftover bytes). Server frames are unmasked."""
        head = self.read_exact(s, 2, have)
        self.assertEqual(head[1] & 0x80, 0, 'server frames are never masked')
        n, pos = head[1] & 0x7F, 2
        if n == 126:
            head = self.read_exact(s, 4, head)
            n, pos = struct.unpack('!H', head[2:4])[0], 4
        elif n == 127:
            head = self.read_exact(s, 10, head)
            n, pos = struct.unpack('!Q', head[2:10])[0], 10
        data = self.read_exact(s, pos + n, head)
        return bool(data[0] & 0x80), data[0] & 0xF, data[pos:pos + n], data[pos + n:]

    @staticmethod
    def recv_eof(s):
        """recv, with TLS's missing close_notify read as the plain EOF it stands for."""
        try:
            return s.recv(16)
        except ssl.SSLEOFError:
            return b''

    def read_close(self, s, have=b''):
        """Read frames until the close frame; then the server must end TCP. Returns the code."""
        while True:
            fin, op, payload, have = self.read_frame(s, have)
            if op == 0x8:
                break
        self.assertEqual(have, b'')
        self.assertEqual(self.recv_eof(s), b'', 'the server closes TCP after its close frame')
        return struct.unpack('!H', payload[:2])[0] if payload else None


# --------------------------------------------------------------------------- handshake

class HandshakeTest(RtaCase):
    def test_accept_key_subprotocol_and_no_extensions(self):
        s, status, h, rest = self.raw_handshake(
            {'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits',
             'Sec-WebSocket-Protocol': 'chat, ' + SUB})
        with s:
            self.assertEqual(status, 101)
            self.assertEqual(h['sec-websocket-accept'], ['s3pPLMBiTxaQ9kYGzzhZRbK+xOo='])
            self.assertEqual(h['sec-websocket-protocol'], [SUB])
            self.assertEqual(h['upgrade'], ['websocket'])
            self.assertEqual(h['connection'], ['Upgrade'])
            self.assertNotIn('sec-websocket-extensions', h)
            self.assertEqual(rest, b'')
            s.sendall(mask_frame(0x1, SUBSCRIBE.encode()))
            fin, op, payload, rest = self.read_frame(s)
            self.assertEqual((fin, op), (True, 0x1))
            self.assertEqual(json.loads(payload)[:3], [1, 1, 0])

    def test_refusals(self):
        cases = [({'Sec-WebSocket-Key': 'c2hvcnQ='}, (), 400),              # 5 bytes
                 ({'Sec-WebSocket-Key': 'not base64!!'}, (), 400),
                 ({}, ('Sec-WebSocket-Key',), 400),
                 ({'Sec-WebSocket-Version': '8'}, (), 426),
                 ({}, ('Sec-WebSocket-Version',), 426),
                 ({'Connection': 'keep-alive'}, (), 400),
                 ({}, ('Sec-WebSocket-Protocol',), 400),
                 ({'Sec-WebSocket-Protocol': 'rta.xboxlive.com.V1'}, (), 400),
                 ({}, ('Authorization',), 401),
                 ({'Authorization': 'Bearer x'}, (), 401),
                 ({}, ('Upgrade',), 426)]
        for extra, drop, want in cases:
            with self.subTest(extra=extra, drop=drop):
                s, status, h, rest = self.raw_handshake(extra, drop)
                s.close()
                self.assertEqual(status, want)
                self.assertEqual(h['content-type'], ['text/plain'])
                self.assertNotIn('sec-websocket-accept', h)
                if want == 426 and 'Upgrade' not in drop:
                    self.assertEqual(h['sec-websocket-version'], ['13'])
        self.assertEqual(self.emu.state()['connections'], [])

    def test_refusals_seen_by_the_foreign_client(self):
        async def go():
            for kw, want in (({'subprotocols': None}, 400),
                             ({'extra_headers': {'Authorization': 'XBL3.0 nonsense'}}, 401),
                             ({'extra_headers': {}}, 401)):
                with self.assertRaises(InvalidStatusCode) as cm:
                    async with self.connect(**kw):
                        pass
                self.assertEqual(cm.exception.status_code, want)
            # With the client's default offer of permessage-deflate, the answer declines it.
            async with self.connect(compression='deflate') as ws:
                self.assertEqual(ws.extensions, [])
                self.assertEqual(ws.subprotocol, SUB)
        self.run_async(go())


# --------------------------------------------------------------------------- RTA protocol

class ProtocolTest(RtaCase):
    def test_connection_id_subscription_ids_and_unsubscribe(self):
        async def go():
            async with self.connect(A) as one, self.connect(B) as two:
                await one.send(SUBSCRIBE)
                r1 = await self.recv_json(one)
                self.assertEqual(len(r1), 5)
                self.assertEqual(r1[:4], [1, 1, 0, 1])
                self.assertEqual(list(r1[4]), ['ConnectionId'])
                cid = r1[4]['ConnectionId']
                self.assertRegex(cid, UUID4)
                await one.send('[1,7,"%s"]' % CONNECTIONS)               # again: same SUBID and ID
                self.assertEqual(await self.recv_json(one), [1, 7, 0, 1, {'ConnectionId': cid}])
                await two.send(SUBSCRIBE)
                r2 = await self.recv_json(two)
                self.assertEqual(r2[:4], [1, 1, 0, 2])                 # one counter for all
                self.assertNotEqual(r2[4]['ConnectionId'], cid)
                await one.send('[1,2,"https://sessiondirectory.xboxlive.com/connections"]')
                self.assertEqual(await self.recv_json(one), [1, 2, 1])  # exact URI only
                st = await self.call(self.emu.state)
                mine = next(c for c in st['connections'] if c['id'] == cid)
                self.assertEqual(mine['xuid'], A)
                self.assertEqual(mine['subscriptions'],
                                 [{'seq': 7, 'subid': 1, 'uri': CONNECTIONS}])
                self.assertEqual(mine['messagesIn'][0], SUBSCRIBE)
                await one.send('[2,3,1]')
                self.assertEqual(await self.recv_json(one), [2, 3, 0])
                await one.send('[2,4,1]')
                self.assertEqual(await self.recv_json(one), [2, 4, 1])  # no longer known
                # Not understood: ignored, the connection stays; then a real request.
                for junk in ('{"a":1}', '[]', '["1",1,"x"]', '[1,-1,"x"]', '[1,1]', '[9,1]',
                             'not json'):
                    await one.send(junk)
                await one.send(SUBSCRIBE.encode())                     # binary: read as text
                self.assertEqual((await self.recv_json(one))[:4], [1, 1, 0, 3])
        self.run_async(go())

    def test_subscription_limit(self):
        self.emu.admin('options', {'maxSubscriptions': 0})

        async def go():
            async with self.connect() as ws:
                await ws.send(SUBSCRIBE)
                self.assertEqual(await self.recv_json(ws), [1, 1, 2])
        self.run_async(go())

    def test_resync_send_and_ping(self):
        async def go():
            async with self.connect(A) as one, self.connect(B) as two:
                _, c1 = await self.subscribe(one)
                _, c2 = await self.subscribe(two)
                got = await self.call(self.emu.admin, 'rta/resync', {'connection': c1})
                self.assertEqual(got, {'sent': [c1]})
                self.assertEqual(await self.recv_json(one), [4])
                got = await self.call(self.emu.admin, 'rta/resync', {'connection': '*'})
                self.assertEqual(sorted(got['sent']), sorted([c1, c2]))
                self.assertEqual(await self.recv_json(one), [4])
                self.assertEqual(await self.recv_json(two), [4])
                status, _ = await self.call(self.emu.request, 'POST', '/_emu/rta/resync',
                                            {'connection': 'nope'})
                self.assertEqual(status, 404)
                await self.call(self.emu.admin, 'rta/send', {'connection': c1, 'text': '[3,1,{}]'})
                self.assertEqual(await self.recv(one), '[3,1,{}]')
                await self.call(self.emu.admin, 'rta/send', {'connection': c1, 'hex': '8203010203'})
                self.assertEqual(await self.recv(one), b'\x01\x02\x03')
                pong = await one.ping(b'hb')
                await asyncio.wait_for(pong, WAIT)
                st = await self.call(self.emu.state)
                self.assertEqual(next(c for c in st['connections'] if c['id'] == c1)
                                 ['pingsAnswered'], 1)
        self.run_async(go())


# --------------------------------------------------------------------------- taps

class TapTest(RtaCase):
    def test_taps_filters_final_tap_and_deletion(self):
        async def go():
            async with self.connect(A) as wa, self.connect(B) as wb:
                sa, ca = await self.subscribe(wa)
                sb, cb = await self.subscribe(wb)
                st, doc = await self.call(self.emu.put, A, 'tap1', member(A, ca))
                self.assertEqual(st, 201)
                branch = doc['branch']
                tap = await self.recv_json(wa)                          # the writer too
                self.assertEqual(tap[:2], [3, sa])
                self.assertRegex(tap[2]['ncid'], UUID4)
                (t,) = tap[2]['shoulderTaps']
                self.assertEqual(t['resource'], SCID + '~quick~tap1')  # spelled as created
                self.assertEqual((t['branch'], t['changeNumber']), (branch, 1))
                self.assertEqual((t['subscription'], t['resourceType']),
                                 ('SUB-' + A, 'mpsd/session'))
                self.assertRegex(t['timestamp'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$')
                # B joins, subscribed to membersList only.
                st, doc = await self.call(self.emu.put, B, 'tap1', member(B, cb, ['membersList']))
                self.assertEqual((st, doc['changeNumber']), (200, 2))
                for ws, subid in ((wa, sa), (wb, sb)):
                    tap = await self.recv_json(ws)
                    self.assertEqual(tap[1], subid)
                    self.assertEqual(tap[2]['shoulderTaps'][0]['changeNumber'], 2)
                # A custom property change: A (everything) hears it, B (membersList) not.
                st, doc = await self.call(self.emu.put, A, 'tap1',
                                          {'properties': {'custom': {'map': 'x'}}})
                self.assertEqual(doc['changeNumber'], 3)
                self.assertEqual(await self.tap_number(wa), 3)
                self.assertEqual(await self.resync_then_next(wb, cb), [4])
                # A leaves: A gets its final tap, B a member-list tap.
                st, doc = await self.call(self.emu.put, A, 'tap1', {'members': {'me': None}})
                self.assertEqual(doc['changeNumber'], 4)
                self.assertEqual(await self.tap_number(wa), 4)
                self.assertEqual(await self.tap_number(wb), 4)
                # A's subscription is gone with its member entry: no more taps for A.
                st, doc = await self.call(self.emu.put, B, 'tap1',
                                          {'properties': {'custom': {'map': 'y'}}})
                self.assertEqual(doc['changeNumber'], 5)
                self.assertEqual(await self.resync_then_next(wa, ca), [4])
                # B leaves last: the session is deleted; B's tap names changeNumber + 1.
                st, _ = await self.call(self.emu.put, B, 'tap1', {'members': {'me': None}})
                self.assertEqual(st, 204)
                t = (await self.recv_json(wb))[2]['shoulderTaps'][0]
                self.assertEqual((t['branch'], t['changeNumber']), (branch, 6))
                st = await self.call(self.emu.state)
                self.assertEqual({c['id']: c['tapsSent'] for c in st['connections']},
                                 {ca: 4, cb: 3})
        self.run_async(go())

    def test_no_tap_without_a_live_subscribed_connection(self):
        async def go():
            async with self.connect(A) as wa:
                sa, ca = await self.subscribe(wa)
                await self.call(self.emu.put, A, 'tap2', member(A, 'not-a-connection'))
                self.assertEqual(await self.resync_then_next(wa, ca), [4])
                await wa.send('[2,1,%d]' % sa)                         # unsubscribe: taps stop
                self.assertEqual(await self.recv_json(wa), [2, 1, 0])
                await self.call(self.emu.put, A, 'tap2', member(A, ca))
                self.assertEqual(await self.resync_then_next(wa, ca), [4])
                st = await self.call(self.emu.state)
                self.assertEqual(st['tapsDropped'], 2)
        self.run_async(go())

    def test_tap_after_a_lazily_fired_timer(self):
        async def go():
            async with self.connect(A) as wa:
                _, ca = await self.subscribe(wa)
                await self.call(self.emu.put, A, 'tap4', member(A, ca, ['membersStatus']))
                await self.call(self.emu.put, B, 'tap4', member(B, None, None))
                self.assertEqual(await self.resync_then_next(wa, ca), [4])   # list changes only
                await self.call(self.emu.put, A, 'tap4',
                                member(A, ca, ['membersStatus', 'membersList']))
                # (changeNumber 3: a change no subscriber's change types cover: no tap)
                inactive = {'members': {'me': {'properties': {'system': {'active': False}}}}}
                await self.call(self.emu.put, B, 'tap4', inactive)
                self.assertEqual(await self.tap_number(wa), 4)          # B went inactive
                # inactiveRemovalTimeout 0: B is removed at the next touch (a GET by A).
                st, doc = await self.call(self.emu.request, 'GET', spath('tap4'), None,
                                          {'Authorization': auth(A),
                                           'x-xbl-contract-version': '107'})
                self.assertEqual((st, doc['changeNumber']), (200, 5))
                self.assertEqual(await self.tap_number(wa), 5)          # the timer's commit
        self.run_async(go())

    def test_admin_member_hook_removal_taps(self):
        async def go():
            async with self.connect(A) as wa:
                sa, ca = await self.subscribe(wa)
                await self.call(self.emu.put, A, 'tap3', member(A, ca))
                self.assertEqual((await self.recv_json(wa))[0], 3)
                await self.call(self.emu.put, B, 'tap3', member(B, None, None))
                self.assertEqual(await self.tap_number(wa), 2)
                await self.call(self.emu.admin, 'member', {'scid': SCID, 'templateName': 'quick',
                                                           'name': 'tap3', 'xuid': A,
                                                           'remove': True})
                self.assertEqual(await self.tap_number(wa), 3)
        self.run_async(go())


class DisconnectTest(RtaCase):
    def setUp(self):
        RtaCase.setUp(self)
        self.emu.admin('templates', {'name': 'rtareq', 'template': {'constants': {'system': {
            'version': 1, 'maxMembersCount': 4,
            'capabilities': {'connectionRequiredForActiveMembers': True}}}}})

    def test_member_goes_inactive_after_the_grace_time(self):
        self.emu.admin('clock', {'freeze': True})
        self.emu.admin('options', {'disconnectGraceMs': 5000})

        async def go():
            async with self.connect(B) as wb:
                sb, cb = await self.subscribe(wb)
                async with self.connect(A) as wa:
                    _, ca = await self.subscribe(wa)
                    await self.call(self.emu.put, A, 'dc', member(A, ca), 'rtareq')
                    await self.call(self.emu.put, B, 'dc', member(B, cb), 'rtareq')
                    await self.recv_json(wb)
                await self.call(self.emu.wait_for, 'the grace timer',
                                lambda st: st['pendingDisconnects'].get(ca))
                self.assertEqual(await self.resync_then_next(wb, cb), [4])   # nothing yet
                await self.call(self.emu.admin, 'clock', {'advanceMs': 5000})
                tap = await self.recv_json(wb)                          # no one touched it
                self.assertEqual(tap[2]['shoulderTaps'][0]['changeNumber'], 3)
                status, doc = await self.call(self.emu.request, 'GET', spath('dc', 'rtareq'), None,
                                              {'Authorization': auth(B),
                                               'x-xbl-contract-version': '107'})
                left = [m['constants']['system']['xuid'] for m in doc['members'].values()]
                self.assertEqual(left, [B])                             # inactiveRemovalTimeout 0
        self.run_async(go())

    def test_touch_applies_the_disconnect_and_a_new_connection_saves_the_member(self):
        self.emu.srv.rta.stopping.set()              # no background check: touches only
        self.emu.admin('clock', {'freeze': True})
        self.emu.admin('options', {'disconnectGraceMs': 1000})

        def xuids(name):
            st, doc = self.emu.request('GET', spath(name, 'rtareq'), None,
                                       {'Authorization': auth(B), 'x-xbl-contract-version': '107'})
            return {m['constants']['system']['xuid']: m['properties']['system'].get('active', False)
                    for m in doc['members'].values()}

        async def go():
            for name in ('gone', 'kept'):
                async with self.connect(A) as wa:
                    _, ca = await self.subscribe(wa)
                    await self.call(self.emu.put, A, name, member(A, ca), 'rtareq')
                    await self.call(self.emu.put, B, name, member(B, None, None), 'rtareq')
                await self.call(self.emu.wait_for, 'the grace timer',
                                lambda st: ca in st['pendingDisconnects'])
                if name == 'kept':                   # a new connection, written in time
                    async with self.connect(A) as wa:
                        _, ca2 = await self.subscribe(wa)
                        await self.call(self.emu.put, A, name, member(A, ca2), 'rtareq')
                        await self.call(self.emu.admin, 'clock', {'advanceMs': 1000})
                        self.assertEqual(await self.call(xuids, name), {A: True, B: True})
                else:
                    await self.call(self.emu.admin, 'clock', {'advanceMs': 1000})
                    self.assertEqual(await self.call(xuids, name), {B: True})
        self.run_async(go())

    def test_connection_required_strict(self):
        self.emu.admin('options', {'connectionRequiredStrict': True})

        async def go():
            async with self.connect(A) as wa, self.connect(B) as wb:
                _, ca = await self.subscribe(wa)
                _, cb = await self.subscribe(wb)
                for conn in (None, cb, 'made-up'):
                    st, body = await self.call(self.emu.put, A, 'strict', member(A, conn), 'rtareq')
                    self.assertEqual((st, body), (400, b'connection required for active members\n'))
                st, _ = await self.call(self.emu.put, A, 'strict', member(A, ca), 'rtareq')
                self.assertEqual(st, 201)
                st, _ = await self.call(self.emu.put, B, 'strict', member(B, cb), 'quick')
                self.assertEqual(st, 201)                             # no capability: no check
        self.run_async(go())


# --------------------------------------------------------------------------- close paths

class CloseTest(RtaCase):
    def test_client_close(self):
        async def go():
            async with self.connect() as ws:
                _, cid = await self.subscribe(ws)
                await ws.close(4000, 'bye')
                self.assertEqual(ws.close_code, 4000)                   # echoed
            return cid
        cid = self.run_async(go())
        entry = self.emu.closed_entry(cid)
        self.assertEqual((entry['closedBy'], entry['clientCloseCode'], entry['lastCloseCode']),
                         ('client', 4000, 4000))

    def test_server_close_reset_silent_and_emulator_reset(self):
        async def go():
            async with self.connect() as ws:
                _, cid = await self.subscribe(ws)
                got = await self.call(self.emu.admin, 'rta/drop',
                                      {'connection': cid, 'mode': 'close', 'code': 1001})
                self.assertEqual(got, {'dropped': [cid]})
                e = await self.expect_closed(ws)
                self.assertEqual((e.rcvd.code, ws.close_code), (1001, 1001))
            entry = await self.call(self.emu.closed_entry, cid)
            self.assertEqual((entry['closedBy'], entry['clientCloseCode']), ('server', 1001))
            async with self.connect() as ws:
                _, cid = await self.subscribe(ws)
                await self.call(self.emu.admin, 'rta/drop', {'connection': cid, 'mode': 'reset'})
                e = await self.expect_closed(ws)
                self.assertIsNone(e.rcvd)                               # no close frame
                self.assertEqual(ws.close_code, 1006)
            async with self.connect() as ws:
                _, cid = await self.subscribe(ws)
                await self.call(self.emu.admin, 'rta/drop', {'connection': cid, 'mode': 'silent'})
                pong = await ws.ping(b'anyone')
                await ws.send(SUBSCRIBE)
                await self.call(self.emu.admin, 'rta/drop', {'connection': cid, 'mode': 'reset'})
                e = await self.expect_closed(ws)                        # nothing came before it
                self.assertEqual(ws.close_code, 1006)
                with self.assertRaises(ConnectionClosed):
                    await pong
            entry = await self.call(self.emu.closed_entry, cid)
            self.assertEqual(entry['pingsAnswered'], 0)
            async with self.connect() as ws:                            # silent, then closed
                _, cid = await self.subscribe(ws)
                await self.call(self.emu.admin, 'rta/drop', {'connection': cid, 'mode': 'silent'})
                await ws.send(SUBSCRIBE)
                await self.call(self.emu.admin, 'rta/drop', {'connection': cid, 'code': 4001})
                e = await self.expect_closed(ws)
                self.assertEqual(e.rcvd.code, 4001)
            async with self.connect() as ws:
                await self.subscribe(ws)
                await self.call(self.emu.admin, 'reset', {})
                e = await self.expect_closed(ws)
                self.assertEqual(ws.close_code, 1001)
            st = await self.call(self.emu.state)
            self.assertEqual((st['connections'], st['nextSubscriptionId']), ([], 1))
        self.run_async(go())

    def test_raw_client_framing_errors(self):
        big = bytes([0x81, 0xFF]) + struct.pack('!Q', 64 * 1024 + 1) + b'\x00\x00\x00\x00'
        cases = [('unmasked', mask_frame(0x1, b'[4]', masked=False), 1002),
                 ('too big', big, 1009),
                 ('too big fragmented', mask_frame(0x1, b'x' * 40000, fin=False)
                  + mask_frame(0x0, b'x' * 30000), 1009),
                 ('reserved opcode', mask_frame(0x3, b''), 1002),
                 ('rsv bit', bytes([0xC1, 0x80]) + b'\0\0\0\0', 1002),
                 ('long control', mask_frame(0x9, b'p' * 126), 1002),
                 ('fragmented control', mask_frame(0x9, b'p', fin=False), 1002),
                 ('orphan continuation', mask_frame(0x0, b'x'), 1002),
                 ('nested data frame',
                  mask_frame(0x1, b'[', fin=False) + mask_frame(0x1, b'x'), 1002),
                 ('non-minimal length', mask_frame(0x1, b'[4]', form=16), 1002),
                 ('bad UTF-8', mask_frame(0x1, b'["\xc3"]'), 1007),
                 ('close with 1 byte', mask_frame(0x8, b'\x03'), 1002),
                 ('close code 1005', mask_frame(0x8, struct.pack('!H', 1005)), 1002),
                 ('close reason not UTF-8',
                  mask_frame(0x8, struct.pack('!H', 1000) + b'\xff'), 1007)]
        want = {}
        for what, data, code in cases:
            with self.subTest(what):
                s, status, _, rest = self.raw_handshake()
                with s:
                    self.assertEqual(status, 101)
                    want['127.0.0.1:%d' % s.getsockname()[1]] = code
                    s.sendall(data)
                    self.assertEqual(self.read_close(s, rest), code)
        closed = self.emu.wait_for('every connection ended',
                                   lambda st: len(st['closed']) == len(cases) and st['closed'])
        self.assertEqual({c['remote']: c['lastCloseCode'] for c in closed}, want)
        self.assertEqual({c['closedBy'] for c in closed}, {'fail'})

    def test_raw_fragments_control_in_between_and_close_echo(self):
        s, status, _, rest = self.raw_handshake()
        with s:
            msg = SUBSCRIBE.encode()
            s.sendall(mask_frame(0x1, msg[:5], fin=False) + mask_frame(0x9, b'mid')
                      + mask_frame(0x0, b'', fin=False) + mask_frame(0x0, msg[5:]))
            fin, op, payload, rest = self.read_frame(s, rest)
            self.assertEqual((op, payload), (0xA, b'mid'))
            fin, op, payload, rest = self.read_frame(s, rest)
            self.assertEqual(json.loads(payload)[:3], [1, 1, 0])
            s.sendall(mask_frame(0x8, b''))                            # close without a code
            fin, op, payload, rest = self.read_frame(s, rest)
            self.assertEqual((op, payload), (0x8, b''))                # echoed empty
            self.assertEqual(self.recv_eof(s), b'')


# --------------------------------------------------------------------------- faults

class FaultTest(RtaCase):
    def fault(self, spec, count=None):
        body = {'fault': spec}
        if count is not None:
            body['count'] = count
        return self.emu.admin('rta/fault', body)

    def test_fault_api(self):
        self.assertEqual(self.fault('throttle=2,noreply', 3),
                         {'spec': 'throttle=2,noreply', 'count': 3,
                          'left': {'throttle': 3, 'noreply': 3}})
        self.assertEqual(self.fault('throttle=2')['left'], {'throttle': 2})
        self.assertEqual(self.emu.admin('rta/fault')['spec'], 'throttle=2')
        for spec in ('nosuch', 'reject=200', 'fragment=0', 'badframe=nope', 'badframe=bigmsg',
                     'noreply=3', 'lifetime'):
            status, body = self.emu.request('POST', '/_emu/rta/fault', {'fault': spec})
            self.assertEqual(status, 400, spec)
        self.assertEqual(self.fault('')['left'], {})

    def test_reject(self):
        async def go():
            for st in (401, 403, 429, 503):
                await self.call(self.fault, 'reject=%d' % st, 1)
                with self.assertRaises(InvalidStatusCode) as cm:
                    async with self.connect():
                        pass
                self.assertEqual(cm.exception.status_code, st)
            async with self.connect() as ws:                            # count spent
                await self.subscribe(ws)
        self.run_async(go())
        self.fault('reject=429', 1)
        s, status, h, _ = self.raw_handshake()
        s.close()
        self.assertEqual((status, h['retry-after']), (429, ['1']))

    def test_broken_handshakes(self):
        async def go():
            for spec in ('badaccept', 'noupgrade', 'badprotocol', 'extensions'):
                await self.call(self.fault, spec, 1)
                with self.assertRaises(InvalidHandshake) as cm:
                    async with self.connect():
                        pass
                self.assertNotIsInstance(cm.exception, InvalidStatusCode)
        self.run_async(go())
        for spec, field, want in (
                ('badaccept', 'sec-websocket-accept', None),
                ('noupgrade', 'upgrade', None),
                ('badprotocol', 'sec-websocket-protocol', ['other']),
                ('extensions', 'sec-websocket-extensions', ['permessage-deflate'])):
            self.fault(spec, 1)
            s, status, h, _ = self.raw_handshake()
            s.close()
            self.assertEqual(status, 101)
            if want is None and field == 'upgrade':
                self.assertNotIn('upgrade', h)
            elif want is None:
                self.assertNotEqual(h[field], ['s3pPLMBiTxaQ9kYGzzhZRbK+xOo='])
            else:
                self.assertEqual(h[field], want)

    def test_fragment_drip_coalesce(self):
        self.fault('fragment=10', 1)
        s, status, _, rest = self.raw_handshake()
        with s:
            s.sendall(mask_frame(0x1, SUBSCRIBE.encode()))
            frames = []
            while not frames or not (frames[-1][0] and frames[-1][1] in (0x0, 0x1)):
                fin, op, payload, rest = self.read_frame(s, rest)
                frames.append((fin, op, payload))
            self.assertEqual(frames[0][:2], (False, 0x1))
            self.assertEqual(len(frames[0][2]), 10)
            self.assertEqual(frames[1], (True, 0x9, b'frag'))
            self.assertTrue(all(op == 0x0 for _, op, _ in frames[2:]))
            self.assertTrue(all(not fin for fin, _, _ in frames[2:-1]))
            text = b''.join(p for _, op, p in frames if op != 0x9)
            self.assertEqual(json.loads(text)[:3], [1, 1, 0])

        async def go():
            for spec in ('fragment=7', 'drip'):
                await self.call(self.fault, spec, 1)
                async with self.connect() as ws:
                    _, cid = await self.subscribe(ws)
                    await self.call(self.emu.admin, 'rta/resync', {'connection': cid})
                    self.assertEqual(await self.recv_json(ws), [4])
                    if spec.startswith('fragment'):
                        await self.call(self.emu.wait_for, 'the pong', lambda st: any(
                            c['id'] == cid and c['pongs']['matched'] == 1
                            for c in st['connections']))
        self.run_async(go())
        self.fault('coalesce', 1)
        s, status, _, rest = self.raw_handshake()
        with s:
            fin, op, payload, rest = self.read_frame(s, rest)
            self.assertEqual((status, fin, op, payload), (101, True, 0x9, b'coalesce'))
            s.sendall(mask_frame(0xA, b'coalesce'))
            self.emu.wait_for('the pong', lambda st: any(
                c['pongs'] == {'matched': 1, 'mismatched': 0} for c in st['connections']))

    def test_subscribe_reply_faults(self):
        async def go():
            async with self.connect() as ws:
                await self.call(self.fault, 'throttle=2')
                for seq in (1, 1):
                    await ws.send('[1,%d,"%s"]' % (seq, CONNECTIONS))
                    self.assertEqual(await self.recv_json(ws), [1, seq, 1001])
                _, cid = await self.subscribe(ws)
                for spec, want in (('subfail=3', [1, 1, 3]), ('subfail=2', [1, 1, 2])):
                    await self.call(self.fault, spec, 1)
                    await ws.send(SUBSCRIBE)
                    self.assertEqual(await self.recv_json(ws), want)
                await self.call(self.fault, 'noconnectionid', 1)
                await ws.send(SUBSCRIBE)
                self.assertEqual(await self.recv_json(ws), [1, 1, 0, 1, {}])
                await self.call(self.fault, 'noreply', 1)
                await ws.send('[1,5,"%s"]' % CONNECTIONS)
                await self.call(self.emu.wait_for, 'the subscribe',
                                lambda st: '[1,5' in st['connections'][0]['messagesIn'][-1])
                self.assertEqual(await self.resync_then_next(ws, cid), [4])
                await self.call(self.fault, 'subdelay=3000', 1)
                await ws.send('[1,6,"%s"]' % CONNECTIONS)
                await self.call(self.emu.wait_for, 'the subscribe',
                                lambda st: '[1,6' in st['connections'][0]['messagesIn'][-1])
                self.assertEqual(await self.resync_then_next(ws, cid), [4])
                self.assertEqual((await self.recv_json(ws))[:3], [1, 6, 0])    # late, but sent
                await self.call(self.fault, 'throttle=1,subfail=3')   # one fault per reply
                for want in ([1, 8, 1001], [1, 8, 3], [1, 8, 3]):
                    await ws.send('[1,8,"%s"]' % CONNECTIONS)
                    self.assertEqual(await self.recv_json(ws), want)
                left = (await self.call(self.emu.admin, 'rta/fault'))['left']
                self.assertEqual(left, {'throttle': 0, 'subfail': None})
        self.run_async(go())

    def test_bad_frames_fail_the_foreign_client(self):
        kinds = [('rsv', 1002), ('masked', 1002), ('opcode', 1002), ('ctrlfrag', 1002),
                 ('longctrl', 1002), ('badutf8', 1007), ('orphan', 1002), ('badclose', 1002),
                 ('code1005', 1002), ('bigmsg=5000', 1009)]

        async def go():
            for kind, code in kinds:
                with self.subTest(kind):
                    await self.call(self.fault, 'badframe=' + kind, 1)
                    async with self.connect(max_size=4096) as ws:
                        await ws.send(SUBSCRIBE)
                        await self.expect_closed(ws)
                    st = await self.call(self.emu.wait_for, 'the close', lambda st: st['closed'])
                    self.assertEqual(st[-1]['clientCloseCode'], code)
                    await self.call(self.emu.admin, 'reset', {})
        self.run_async(go())

    def test_bad_frame_bytes(self):
        for kind, want in (('nonminimal', bytes([0x81, 126, 0, 5]) + b'[4,0]'),
                           ('bigmsg=300', bytes([0x81, 126, 1, 44]) + b'["' + b'x' * 296 + b'"]')):
            self.fault('badframe=' + kind, 1)
            s, status, _, rest = self.raw_handshake()
            with s:
                s.sendall(mask_frame(0x1, SUBSCRIBE.encode()))
                self.assertEqual(self.read_exact(s, len(want), rest)[:len(want)], want)

    def test_badjson_unknowntype_lifetime_ping(self):
        async def go():
            await self.call(self.fault, 'badjson,unknowntype', 1)
            async with self.connect() as ws:
                await ws.send(SUBSCRIBE)
                self.assertEqual(await self.recv(ws), '[3,')
                self.assertEqual(await self.recv(ws), '[99,1]')
                self.assertEqual((await self.recv_json(ws))[:3], [1, 1, 0])
            await self.call(self.fault, 'lifetime=50', 1)
            async with self.connect() as ws:
                await self.expect_closed(ws)
                self.assertEqual(ws.close_code, 1001)
            await self.call(self.fault, 'ping=20', 1)
            async with self.connect() as ws:
                await self.call(self.emu.wait_for, 'two answered pings',
                                lambda st: st['connections'][0]['pongs']['matched'] >= 2)
                st = await self.call(self.emu.state)
                self.assertEqual(st['connections'][0]['pongs']['mismatched'], 0)
        self.run_async(go())


# --------------------------------------------------------------------------- TLS

@unittest.skipUnless(shutil.which('openssl'), 'openssl CLI not available')
class TlsTest(RtaCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cert, key = os.path.join(cls.dir, 'c.pem'), os.path.join(cls.dir, 'k.pem')
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key,
                        '-out', cert, '-days', '1', '-subj', '/CN=localhost'],
                       check=True, capture_output=True, timeout=60)
        cls.tls = (cert, key)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def test_wss_subscribe_tap_close(self):
        async def go():
            async with self.connect() as ws:
                sa, ca = await self.subscribe(ws)
                st, _ = await self.call(self.emu.put, A, 'tls1', member(A, ca))
                self.assertEqual(st, 201)
                self.assertEqual((await self.recv_json(ws))[:2], [3, sa])
                pong = await ws.ping(b'tls')
                await asyncio.wait_for(pong, WAIT)
            await self.call(self.fault, 'drip', 1)
            async with self.connect() as ws:
                await self.subscribe(ws)
                await ws.close(1000)
                self.assertEqual(ws.close_code, 1000)
        self.run_async(go())

    def fault(self, spec, count):
        return self.emu.admin('rta/fault', {'fault': spec, 'count': count})

    def test_wss_on_the_command_line_emulator(self):
        proc = subprocess.Popen([sys.executable, os.path.join(ROOT, 'tools', 'mpsd_emulator.py'),
                                 '--port', '0', '--tls-cert', self.tls[0], '--tls-key', self.tls[1]],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            line = proc.stdout.readline().strip()
            port = int(line.rsplit(':', 1)[1])

            async def go():
                async with websockets.connect('wss://127.0.0.1:%d/connect' % port,
                                              subprotocols=[SUB], ssl=client_tls(self.tls[0]),
                                              extra_headers={'Authorization': auth(A)},
                                              open_timeout=WAIT, ping_interval=None,
                                              compression=None) as ws:
                    await self.subscribe(ws)
                    proc.send_signal(signal.SIGTERM)             # with a WebSocket open
                    self.assertEqual(await asyncio.to_thread(proc.wait, WAIT), 0)
            self.run_async(go())
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()

    def test_wss_raw_unmasked_frame(self):
        s, status, _, rest = self.raw_handshake()
        with s:
            self.assertEqual(status, 101)
            s.sendall(mask_frame(0x1, b'[4]', masked=False))
            self.assertEqual(self.read_close(s, rest), 1002)


class HelpTest(unittest.TestCase):
    def test_help_documents_rta(self):
        out = subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'mpsd_emulator.py'),
                              '--help'], capture_output=True, text=True, timeout=30)
        for word in ('/connect', '/_emu/rta/fault', '/_emu/rta/drop', 'badframe=', 'throttle=',
                     'disconnectGraceMs', 'subdelay='):
            self.assertIn(word, out.stdout)


if __name__ == '__main__':
    unittest.main()
