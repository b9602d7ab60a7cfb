"""Real-Time Activity (RTA) over the WebSocket of websocket.py, and MPSD's taps.

GET /connect upgrades to a WebSocket that speaks RTA: subscribe, unsubscribe,
events and resync. Subscribing to MPSD's connections resource yields the
connection ID that members write into properties.system.connection; every
committed session change (Emulator.observers) then sends a shoulder tap to
each subscribed member's connection. The admin API and the fault modes are
described in the package's --help text.
"""

import collections
import json
import sys
import threading
import traceback
import uuid
from . import websocket
from .common import (HttpError, REASONS, bad, fault_items, is_int, iso, jsonresp, parse_identity)

CONNECT_PATH = '/connect'
SUBPROTOCOL = 'rta.xboxlive.com.V2'
CONNECTIONS_URI = 'https://sessiondirectory.xboxlive.com/connections/'
SUB_OK, SUB_UNKNOWN_RESOURCE, SUB_LIMIT, SUB_THROTTLED = 0, 1, 2, 1001
GRACE_CHECK_S = 0.25
KEEP_CLOSED = 32          # ended connections kept for GET /_emu/rta
KEEP_MESSAGES = 32        # RTA messages kept per connection and direction

# Fault names by the moment they act: the handshake of a new connection,
# a subscribe reply, or the next RTA message sent on any connection.
CONNECTION_FAULTS = ('reject', 'badaccept', 'noupgrade', 'badprotocol', 'extensions',
                     'fragment', 'drip', 'coalesce', 'lifetime', 'ping')
SUBSCRIBE_FAULTS = ('noreply', 'subdelay', 'throttle', 'subfail', 'noconnectionid')
MESSAGE_FAULTS = ('badframe', 'badjson', 'unknowntype')
NUMERIC_FAULTS = ('reject', 'fragment', 'lifetime', 'ping', 'subdelay', 'throttle', 'subfail')
BAD_FRAMES = {
    'rsv': websocket.frame(websocket.OP_TEXT, b'[4]', rsv=4),
    'masked': websocket.frame(websocket.OP_TEXT, b'[4]', mask=b'\x01\x02\x03\x04'),
    'opcode': websocket.frame(0x3, b'[4]'),
    'ctrlfrag': websocket.frame(websocket.OP_PING, b'hb', fin=False),
    'longctrl': websocket.frame(websocket.OP_PING, b'p' * 126),
    'badutf8': websocket.frame(websocket.OP_TEXT, b'["\xc3"]'),
    'orphan': websocket.frame(websocket.OP_CONT, b'[4]'),
    'badclose': websocket.frame(websocket.OP_CLOSE, b'\x03'),
    'code1005': websocket.frame(websocket.OP_CLOSE, b'\x03\xed'),
    'nonminimal': websocket.frame(websocket.OP_TEXT, b'[4,0]', length_form=16),
}


def parse_rta_fault(spec):
    """Parse an RTA fault spec into {name: argument}; raises ValueError on nonsense."""
    f = {}
    for _, name, arg in fault_items(spec):
        if name in NUMERIC_FAULTS:
            if name == 'throttle' and not arg:
                arg = '1'
            if not arg.isdigit():
                raise ValueError('%s needs a number: %s=N' % (name, name))
            n = int(arg)
            if name == 'reject' and not 400 <= n <= 599:
                raise ValueError('reject needs a 4xx or 5xx status')
            if name in ('fragment', 'lifetime', 'ping') and n == 0:
                raise ValueError('%s needs a positive number' % name)
            f[name] = n
        elif name == 'badframe':
            kind, _, size = arg.partition('=')
            if kind == 'bigmsg':
                if not size.isdigit():
                    raise ValueError('badframe=bigmsg needs a size: badframe=bigmsg=N')
                f[name] = ('bigmsg', int(size))
            elif kind in BAD_FRAMES and not size:
                f[name] = (kind, None)
            else:
                raise ValueError('unknown badframe kind: ' + arg)
        elif name in CONNECTION_FAULTS + SUBSCRIBE_FAULTS + MESSAGE_FAULTS:
            if arg:
                raise ValueError('%s takes no argument' % name)
            f[name] = True
        else:
            raise ValueError('unknown RTA fault: ' + name)
    return f


def bad_frame(kind, size):
    if kind == 'bigmsg':            # a JSON string of exactly size bytes (from 4 on)
        body = b'["' + b'x' * (size - 4) + b'"]' if size >= 4 else b'0' * size
        return websocket.frame(websocket.OP_TEXT, body)
    return BAD_FRAMES[kind]


class FaultState:
    """The armed RTA fault: each item counts its own uses down (None: until cleared)."""

    def __init__(self):
        self.set('', None)

    def set(self, spec, count):
        items = parse_rta_fault(spec)
        self.spec, self.count = spec, count
        self.left = {}
        for name, arg in items.items():
            self.left[name] = [arg, arg if name == 'throttle' and count is None else count]

    def take(self, name):
        """The item's argument if it is armed (one use is spent), else None."""
        got = self.left.get(name)
        if got is None or got[1] == 0:
            return None
        if got[1] is not None:
            got[1] -= 1
        return got[0]

    def dump(self):
        return {'spec': self.spec, 'count': self.count,
                'left': {k: v[1] for k, v in self.left.items()}}


# --------------------------------------------------------------------------- change types

def member_view(doc):
    if doc is None:
        return {}
    return {m['xuid']: m for m in doc['members'].values()}


def change_types(before, after):
    """The change types between two stored sessions, by the SDK's compare rules.

    A missing side counts as an empty session, so a creation or a deletion
    is at least a member list change."""
    def ps(doc):
        return doc['properties']['system'] if doc else {}

    def full(doc):
        if doc is None:
            return False
        return len(doc['members']) == doc['constants']['system'].get('maxMembersCount')

    def mm(doc):
        srv = (doc or {}).get('servers', {}).get('matchmaking')
        if srv is None:
            return None
        p = srv.get('properties', {}).get('system', {})
        return (p.get('status'), json.dumps(p.get('targetSessionRef'), sort_keys=True).lower())

    out = set()
    if (ps(before).get('host') or '').lower() != (ps(after).get('host') or '').lower():
        out.add('host')
    if ((before or {}).get('initializing') or {}).get('stage') != \
            ((after or {}).get('initializing') or {}).get('stage'):
        out.add('initialization')
    if mm(before) != mm(after):
        out.add('matchmakingstatus')
    old, new = member_view(before), member_view(after)
    if len(old) != len(new) or any(x not in old for x in new):
        out.add('memberslist')
    for x in set(old) & set(new):
        if status(old[x]) != status(new[x]):
            out.add('membersstatus')
        if custom_text(old[x]) != custom_text(new[x]):
            out.add('memberscustomproperty')
    if any(ps(before).get(k) != ps(after).get(k) for k in ('closed', 'locked', 'joinRestriction')) \
            or full(before) != full(after):
        out.add('joinability')
    if custom_text(before) != custom_text(after):
        out.add('customproperty')
    return out


def status(m):
    if m.get('reserved'):
        return 'reserved'
    p = m['properties']['system']
    return 'active' if p.get('active') else 'ready' if p.get('ready') else 'inactive'


def custom_text(node):
    if node is None:
        return '{}'
    return json.dumps(node['properties']['custom'], sort_keys=True).lower()


def member_subscriptions(m):
    """(subscription id, lower-case change types) of a member, in a fixed order."""
    p = m['properties']['system']
    subs = []
    one = p.get('subscription')
    if one and one.get('changeTypes'):
        subs.append((one.get('id', ''), {c.lower() for c in one['changeTypes']}))
    for sid, sv in sorted((p.get('subscriptions') or {}).items()):
        types = sv.get('changeTypes') if isinstance(sv, dict) else None
        if isinstance(types, list) and types:
            subs.append((sid, {str(c).lower() for c in types}))
    return subs


# --------------------------------------------------------------------------- connections

class Connection:
    """One RTA WebSocket and what the service knows about it."""

    def __init__(self, rta, ws, ident, remote, now):
        self.rta = rta
        self.ws = ws
        self.id = str(uuid.uuid4())
        self.xuid = ident.xuid
        self.remote = remote
        self.opened_ms = now
        self.generation = rta.generation
        self.subs = {}                              # SUBID -> {'seq', 'subid', 'uri'}
        self.taps_sent = 0
        self.messages_in = collections.deque(maxlen=KEEP_MESSAGES)
        self.messages_out = collections.deque(maxlen=KEEP_MESSAGES)
        self.ended_ms = None

    def connections_subid(self):
        for sub in list(self.subs.values()):
            if sub['uri'] == CONNECTIONS_URI:
                return sub['subid']
        return None

    def send(self, msg, wait=False):
        """Send one RTA message (a JSON value), after any armed broken message."""
        self.rta.message_faults(self)
        text = json.dumps(msg, separators=(',', ':'))
        self.messages_out.append(text)
        return self.ws.send_message(text, wait=wait)

    def dump(self):
        ws = self.ws
        return {'id': self.id, 'xuid': self.xuid, 'remote': self.remote,
                'openedAt': iso(self.opened_ms), 'openedAtMs': self.opened_ms,
                'endedAtMs': self.ended_ms, 'state': ws.state,
                'subscriptions': [dict(s) for s in self.subs.values()],
                'framesIn': ws.frames_in, 'framesOut': ws.frames_out,
                'pingsAnswered': ws.pings_answered, 'pingsSent': ws.pings_sent,
                'pongs': dict(ws.pongs), 'tapsSent': self.taps_sent,
                'lastCloseCode': ws.close_code, 'closedBy': ws.close_by,
                'clientCloseCode': ws.peer_close_code,
                'messagesIn': list(self.messages_in), 'messagesOut': list(self.messages_out)}


class Rta:
    """The RTA service of one emulator: connections, subscriptions, taps, faults."""

    def __init__(self, emu):
        self.emu = emu
        self.lock = threading.Lock()
        self.conns = {}
        self.closed = collections.deque(maxlen=KEEP_CLOSED)
        self.next_subid = 1
        self.generation = 0
        self.fault = FaultState()
        self.taps_dropped = 0
        self.stopping = threading.Event()
        emu.observers.append(self.on_commit)
        emu.connection_live = self.connection_live
        self.checker = threading.Thread(target=self.check_grace_loop, daemon=True)
        self.checker.start()

    def log(self, msg):
        sys.stderr.write('rta: %s\n' % msg)

    # ------------------------------------------------------------------ handshake

    @staticmethod
    def wants(handler):
        return handler.path.partition('?')[0].lower() == CONNECT_PATH

    def refusal(self, headers):
        if 'websocket' not in [t.lower() for t in websocket.header_tokens(headers, 'Upgrade')]:
            return 426, 'this endpoint speaks WebSocket only', [('Upgrade', 'websocket')]
        got = websocket.check_request(headers)
        if got:
            return got
        if SUBPROTOCOL not in websocket.header_tokens(headers, 'Sec-WebSocket-Protocol'):
            return 400, 'Sec-WebSocket-Protocol must offer ' + SUBPROTOCOL, []
        if parse_identity(headers.get('Authorization')) is None:
            return 401, 'missing or invalid Authorization', []
        return None

    def serve(self, h):
        """Answer GET /connect on handler h; on success serve the WebSocket until it ends."""
        h.close_connection = True
        hdrs = h.headers
        no = self.refusal(hdrs)
        with self.lock:
            faults = {} if no else {k: self.fault.take(k) for k in CONNECTION_FAULTS}
        faults = {k: v for k, v in faults.items() if v is not None}
        if no is None and 'reject' in faults:
            st = faults['reject']
            no = (st, 'handshake refused (injected)',
                  [('Retry-After', '1')] if st in (429, 503) else [])
        if no:
            status, msg, extra = no
            body = (msg + '\n').encode()
            head = ['HTTP/1.1 %d %s' % (status, REASONS.get(status, 'Status')),
                    'Content-Type: text/plain', 'Content-Length: %d' % len(body),
                    'Connection: close'] + ['%s: %s' % kv for kv in extra]
            self.log('%s handshake refused %d: %s' % (h.client_address[0], status, msg))
            h.wfile.write(('\r\n'.join(head) + '\r\n\r\n').encode('latin-1') + body)
            h.wfile.flush()
            return
        key = hdrs.get('Sec-WebSocket-Key').strip()
        accept = websocket.accept_key(key)
        if 'badaccept' in faults:
            accept = websocket.accept_key(key + '-')
        head = ['HTTP/1.1 101 Switching Protocols']
        if 'noupgrade' not in faults:
            head.append('Upgrade: websocket')
        head += ['Connection: Upgrade', 'Sec-WebSocket-Accept: ' + accept,
                 'Sec-WebSocket-Protocol: ' + ('other' if 'badprotocol' in faults else SUBPROTOCOL)]
        if 'extensions' in faults:
            head.append('Sec-WebSocket-Extensions: permessage-deflate')
        data = ('\r\n'.join(head) + '\r\n\r\n').encode('latin-1')
        if 'coalesce' in faults:
            data += websocket.frame(websocket.OP_PING, b'coalesce')
        h.wfile.write(data)
        h.wfile.flush()
        leftover = b''
        h.connection.setblocking(False)
        try:
            leftover = h.rfile.peek()
        except OSError:            # nothing buffered; the raw read would block
            pass
        if leftover:
            leftover = h.rfile.read(len(leftover))
        ws = websocket.WebSocket(h.connection, leftover, self.on_message, self.log)
        ws.fragment = faults.get('fragment', 0)
        ws.drip = 'drip' in faults
        conn = Connection(self, ws, parse_identity(hdrs.get('Authorization')),
                          '%s:%d' % h.client_address[:2], self.emu.clock.now())
        ws.rta_conn = conn
        if 'coalesce' in faults:
            ws.expect_pong(b'coalesce')
        with self.lock:
            self.conns[conn.id] = conn
        self.log('%s connection %s opened (xuid %s)%s' % (
            conn.remote, conn.id, conn.xuid,
            ' faults=' + ','.join(sorted(faults)) if faults else ''))
        if 'lifetime' in faults:
            ws.after(faults['lifetime'] / 1000.0, lambda: ws.close(1001))
        if 'ping' in faults:
            self.keep_pinging(conn, faults['ping'] / 1000.0)
        ws.run()
        self.ended(conn)

    def keep_pinging(self, conn, every):
        def tick():
            conn.ws.ping(('%d' % (conn.ws.pings_sent + 1)).encode())
            conn.ws.after(every, tick)
        conn.ws.after(every, tick)

    def ended(self, conn):
        conn.ended_ms = self.emu.clock.now()
        ws = conn.ws
        self.log('connection %s ended: %s %s' % (conn.id, ws.close_by, ws.close_code))
        with self.lock:
            if self.conns.get(conn.id) is conn:
                del self.conns[conn.id]
            current = conn.generation == self.generation
            if current:
                self.closed.append(conn.dump())
        if current:
            grace = self.emu.options['disconnectGraceMs']
            self.emu.connection_ended(conn.id, conn.ended_ms + grace)

    # ------------------------------------------------------------------ messages

    def on_message(self, ws, opcode, data):
        conn = ws.rta_conn
        text = data.decode('utf-8', 'replace')     # binary frames are read as text too
        conn.messages_in.append(text)
        try:
            msg = json.loads(text)
        except ValueError:
            self.log('connection %s: ignored, not JSON: %r' % (conn.id, text[:80]))
            return
        if not isinstance(msg, list) or not msg or not is_int(msg[0]):
            self.log('connection %s: ignored, not an RTA message: %r' % (conn.id, text[:80]))
            return
        if msg[0] == 1 and len(msg) >= 3 and is_uint32(msg[1]) and isinstance(msg[2], str):
            self.subscribe(conn, msg[1], msg[2])
        elif msg[0] == 2 and len(msg) >= 3 and is_uint32(msg[1]) and is_uint32(msg[2]):
            self.unsubscribe(conn, msg[1], msg[2])
        else:
            self.log('connection %s: ignored message %r' % (conn.id, text[:80]))

    def take(self, name):
        with self.lock:
            return self.fault.take(name)

    def subscribe(self, conn, seq, uri):
        # One fault decides the reply (in this order); only that one is spent.
        if self.take('noreply'):
            self.log('connection %s: subscribe %d left unanswered (injected)' % (conn.id, seq))
            return
        if self.take('throttle') is not None:
            reply = [1, seq, SUB_THROTTLED]
        else:
            code = self.take('subfail')
            if code is not None:
                reply = [1, seq, code]
            elif uri != CONNECTIONS_URI:
                reply = [1, seq, SUB_UNKNOWN_RESOURCE]
            else:
                reply = self.connections_reply(conn, seq)
        delay = self.take('subdelay')
        if delay:
            conn.ws.after(delay / 1000.0, lambda: conn.send(reply))
        else:
            conn.send(reply)

    def connections_reply(self, conn, seq):
        subid = conn.connections_subid()
        with self.lock:
            if subid is None:
                if len(conn.subs) >= self.emu.options['maxSubscriptions']:
                    return [1, seq, SUB_LIMIT]
                subid = self.next_subid
                self.next_subid += 1
            conn.subs[subid] = {'seq': seq, 'subid': subid, 'uri': CONNECTIONS_URI}
        data = {} if self.take('noconnectionid') else {'ConnectionId': conn.id}
        return [1, seq, SUB_OK, subid, data]

    def unsubscribe(self, conn, seq, subid):
        with self.lock:
            known = conn.subs.pop(subid, None) is not None
        conn.send([2, seq, SUB_OK if known else SUB_UNKNOWN_RESOURCE])

    def message_faults(self, conn):
        with self.lock:
            f = {k: self.fault.take(k) for k in MESSAGE_FAULTS}
        if f['badframe']:
            conn.ws.send_raw(bad_frame(*f['badframe']))
        if f['badjson']:
            conn.ws.send_message('[3,')
        if f['unknowntype']:
            conn.ws.send_message('[99,1]')

    # ------------------------------------------------------------------ taps

    def on_commit(self, event):
        """Emulator observer: one shoulder tap per subscribed member of the changed session."""
        before, after = event['before'], event['after']
        doc = after or before
        types = change_types(before, after)
        old, new = member_view(before), member_view(after)
        targets = [(m, False) for m in new.values()] + \
                  [(m, True) for x, m in old.items() if x not in new]
        for m, removed in targets:
            for sid, wanted in member_subscriptions(m):
                if removed or 'everything' in wanted or wanted & types:
                    self.tap(m, sid, doc, after is None, event['nowMs'])
                    break

    def tap(self, m, sid, doc, deleted, now):
        cid = m['properties']['system'].get('connection')
        with self.lock:
            conn = self.conns.get(cid) if cid else None
        subid = conn.connections_subid() if conn else None
        if subid is None:
            self.taps_dropped += 1
            self.log('tap for %s dropped: connection %s is not live and subscribed'
                     % (m['xuid'], cid))
            return
        conn.taps_sent += 1
        conn.send([3, subid, {'ncid': str(uuid.uuid4()), 'shoulderTaps': [{
            'timestamp': iso(now), 'subscription': sid, 'resourceType': 'mpsd/session',
            'resource': '%s~%s~%s' % (doc['scid'], doc['templateName'], doc['name']),
            'branch': doc['branch'],
            'changeNumber': doc['changeNumber'] + (1 if deleted else 0)}]}], wait=True)

    # ------------------------------------------------------------------ disconnects

    def connection_live(self, cid, xuid):
        """Does cid name a live connection of this user? (connectionRequiredStrict)"""
        with self.lock:
            conn = self.conns.get(cid)
        return conn is not None and conn.xuid == xuid

    def check_grace_loop(self):
        while not self.stopping.wait(GRACE_CHECK_S):
            self.check_grace()

    def check_grace(self):
        try:
            self.emu.expire_connections()
        except Exception:  # keep the checker alive, report the bug
            traceback.print_exc()

    # ------------------------------------------------------------------ admin

    def stop(self):
        self.stopping.set()
        self.reset()

    def reset(self):
        with self.lock:
            conns = list(self.conns.values())
            self.conns.clear()
            self.closed.clear()
            self.generation += 1
            self.next_subid = 1
            self.fault = FaultState()
            self.taps_dropped = 0
        for c in conns:
            c.ws.close(1001)

    def pending_disconnects(self):
        with self.emu.lock:
            return dict(self.emu.ended_connections)

    def pick(self, data):
        """The connections an admin body names: one ID, or "*" for all."""
        cid = data.get('connection')
        with self.lock:
            if cid == '*':
                return list(self.conns.values())
            if isinstance(cid, str) and cid in self.conns:
                return [self.conns[cid]]
        raise HttpError(404, 'no live connection %s' % json.dumps(cid))

    def admin(self, method, path, data):
        route = (method, path)
        if route == ('GET', '/_emu/rta'):
            with self.lock:
                live = [c.dump() for c in self.conns.values()]
                return jsonresp(200, {'connections': live, 'closed': list(self.closed),
                                      'fault': self.fault.dump(), 'tapsDropped': self.taps_dropped,
                                      'nextSubscriptionId': self.next_subid,
                                      'pendingDisconnects': self.pending_disconnects()})
        if route == ('POST', '/_emu/rta/resync'):
            conns = self.pick(data)
            for c in conns:
                c.send([4], wait=True)
            return jsonresp(200, {'sent': [c.id for c in conns]})
        if route == ('POST', '/_emu/rta/send'):
            (c,) = self.pick(data)
            if isinstance(data.get('text'), str):
                c.messages_out.append(data['text'])
                c.ws.send_message(data['text'], wait=True)
            elif isinstance(data.get('hex'), str):
                try:
                    raw = bytes.fromhex(data['hex'])
                except ValueError:
                    bad('hex must be hexadecimal digits')
                c.ws.send_raw(raw, wait=True)
            else:
                bad('send needs "text" or "hex"')
            return jsonresp(200, {'sent': [c.id]})
        if route == ('POST', '/_emu/rta/drop'):
            mode, code = data.get('mode', 'close'), data.get('code', 1000)
            if mode not in ('close', 'reset', 'silent'):
                bad('mode must be close, reset or silent')
            if not is_int(code) or not 0 <= code <= 0xFFFF:
                bad('code must be a 16-bit integer')
            conns = self.pick(data)
            for c in conns:
                {'close': lambda: c.ws.close(code), 'reset': c.ws.reset,
                 'silent': c.ws.silence}[mode]()
            return jsonresp(200, {'dropped': [c.id for c in conns]})
        if route[1] == '/_emu/rta/fault' and method in ('GET', 'POST'):
            if method == 'POST':
                spec, count = data.get('fault') or '', data.get('count')
                if not isinstance(spec, str):
                    bad('fault must be a string')
                if count is not None and (not is_int(count) or count < 0):
                    bad('count must be a non-negative integer')
                try:
                    with self.lock:
                        self.fault.set(spec, count)
                except ValueError as e:
                    bad(str(e))
            with self.lock:
                return jsonresp(200, self.fault.dump())
        raise HttpError(404, 'unknown admin endpoint')


def is_uint32(v):
    return is_int(v) and 0 <= v <= 0xFFFFFFFF

