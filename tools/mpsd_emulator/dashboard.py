"""The live dashboard: what every session is, how it got there, who asked.

Fed by two hooks and nothing else:
  - Emulator.observers (commit events with the session before and after);
  - the server's request hooks (one call per answered request, from the
    send path: method, path, status, latency, If-Match, the writer).
A commit is announced by the thread that handles the request, inside it,
so the commits a thread saw are joined to the request that thread answers
next: that is the request that caused them (timer commits included: a
request's read fires the timers it finds due).

Served by the emulator's HTTP server:
  GET /                          the page (dashboard.html, self-contained)
  GET /_emu/dashboard/state      the whole picture as JSON
  GET /_emu/dashboard/events     Server-Sent Events: "snapshot" first, then
                                 "request" and "session" as things happen
"""

import collections
import json
import os
import re
import socket
import threading
import time

from .common import parse_identity
from .session import member_status, render

HISTORY_LIMIT = 500        # changes and refusals kept per session
REQUEST_LIMIT = 2000       # request log lines kept
SESSION_LIMIT = 1000       # sessions kept; the oldest ended ones go first
EVENT_LIMIT = 1000         # SSE events kept for slow readers
KEEPALIVE_S = 15.0         # an SSE comment this often finds closed readers

SESSION_PATH = re.compile(
    r'^/serviceconfigs/([^/]+)/sessiontemplates/([^/]+)/sessions/([^/?]+)', re.I)
HANDLE_PATH = re.compile(r'^/handles/([^/?]+)/session', re.I)
PAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'dashboard.html')


# --------------------------------------------------------------------------- diff

def diff(before, after, path=''):
    """The changes from before to after as a list of
    {"op": "add"|"remove"|"change", "path": "a/b", "old": x, "new": y}.

    Objects are compared key by key; anything else (lists included) is one
    value. A subtree that appears or goes is one entry, not one per leaf.
    """
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for k in sorted(set(before) | set(after), key=str):
            p = '%s/%s' % (path, k) if path else str(k)
            if k not in before:
                out.append({'op': 'add', 'path': p, 'new': after[k]})
            elif k not in after:
                out.append({'op': 'remove', 'path': p, 'old': before[k]})
            else:
                out.extend(diff(before[k], after[k], p))
        return out
    if before == after and type(before) is type(after):
        return []
    return [{'op': 'change', 'path': path, 'old': before, 'new': after}]


# Fields that change on every write and are shown elsewhere (the change number).
NOISE = ('changeNumber',)


def doc_diff(before, after):
    """diff() of two rendered session documents (None = no session)."""
    if before is None and after is None:
        return []
    if before is None:
        return [d for d in diff({}, after) if d['path'] not in NOISE]
    if after is None:
        return [{'op': 'remove', 'path': '', 'old': 'session deleted'}]
    return [d for d in diff(before, after) if d['path'] not in NOISE]


# --------------------------------------------------------------------------- views

def key_name(key):
    return '/'.join(key)


def member_view(idx, m):
    """One member as the page lists it."""
    ps = m['properties']['system']
    return {'index': idx, 'xuid': m['xuid'], 'gamertag': m.get('gamertag') or '',
            'status': member_status(m), 'reserved': bool(m['reserved']),
            'active': bool(ps.get('active')), 'ready': bool(ps.get('ready')),
            'properties': m['properties']['custom'], 'constants': m['constants'].get('custom', {}),
            'roles': m.get('roles') or {}, 'device': m.get('device') or ''}


def session_view(s):
    """The parts of a stored session the page shows, plus the document."""
    if s is None:
        return None
    return {'changeNumber': s['changeNumber'], 'etag': s['etag'],
            'constants': s['constants'], 'properties': s['properties'],
            'members': [member_view(i, m) for i, m in sorted(s['members'].items())],
            'servers': s['servers'], 'document': render(s, None, 107)}


def header(handler, name):
    v = handler.headers.get(name) if handler.headers is not None else None
    return v.strip() if v else None


# --------------------------------------------------------------------------- store

class Dashboard:
    """History store, request log and SSE fan-out for one emulator."""

    def __init__(self, emu):
        self.emu = emu
        self.cond = threading.Condition()
        self.seq = 0                       # last published event
        self.events = collections.deque(maxlen=EVENT_LIMIT)
        self.pending = {}                  # thread id -> commits awaiting their request
        self.readers = 0                   # open SSE streams: without one, nothing is queued
        self.closed = False
        self.request_counter = 0
        self.clear()
        emu.observers.append(self.on_commit)

    def clear(self):
        with self.cond:
            self.sessions = {}             # key name -> session record
            self.requests = collections.deque(maxlen=REQUEST_LIMIT)
            self.handles_of = {}           # key name -> [public handle]

    def close(self):
        """Ends every SSE stream (their threads return within a wake-up)."""
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    # ------------------------------------------------------------------ hooks

    def on_commit(self, event):
        """Emulator observer: runs in the request's thread, session lock held."""
        entry = {'kind': 'change', 'cause': event['cause'],
                 'changeNumber': event['after']['changeNumber'] if event['after'] else None,
                 'etag': event['after']['etag'] if event['after'] else None,
                 'created': event['before'] is None, 'deleted': event['after'] is None,
                 'diff': doc_diff(render(event['before'], None, 107) if event['before'] else None,
                                  render(event['after'], None, 107) if event['after'] else None),
                 '_key': event['key'], '_view': session_view(event['after'])}
        with self.cond:
            self.pending.setdefault(threading.get_ident(), []).append(entry)

    def on_request(self, handler, method, resp, fault):
        """Server request hook, called from the send path before the reply
        goes out (an injected delay is added to the latency, not slept)."""
        path = handler.path.partition('?')[0]
        ident = parse_identity(header(handler, 'Authorization'))
        latency = (time.monotonic() - getattr(handler, 'started', time.monotonic())) * 1000.0
        latency += fault.get('delay', 0) if fault else 0
        key = self.session_of(path)
        reason = ''
        ctype = next((v for k, v in resp.headers if k.lower() == 'content-type'), '')
        if resp.status >= 400 and resp.body and ctype.startswith('text/plain'):
            reason = resp.body.decode('utf-8', 'replace').strip()[:300]
        if resp.status == 412:
            reason = reason or ('If-Match did not match the session\'s etag' if header(handler, 'If-Match')
                                else 'If-None-Match: the session exists')
        with self.emu.lock:
            handles = [self.emu.public_handle(h) for h in self.emu.handles.values()]
        with self.cond:
            self.request_counter += 1
            rec = {'id': header(handler, 'X-Request-Id') or header(handler, 'MS-CV')
                   or 'e%d' % self.request_counter,
                   'time': time.time(), 'method': method, 'path': path, 'status': resp.status,
                   'latencyMs': round(latency, 2), 'ifMatch': header(handler, 'If-Match'),
                   'ifNoneMatch': header(handler, 'If-None-Match'),
                   'xuid': ident.xuid if ident else None,
                   'gamertag': ident.gamertag if ident else None,
                   'session': key_name(key) if key else None,
                   'fault': ','.join('%s=%s' % kv for kv in sorted(fault.items())) if fault else '',
                   'reason': reason}
            self.requests.append(rec)
            self.publish('request', rec)
            touched = self.attach(rec, self.pending.pop(threading.get_ident(), []))
            if key and resp.status >= 400:
                touched.setdefault(key_name(key), []).append(self.refusal(rec, key))
            touched.update(self.update_handles(handles, touched))
            for name, new in sorted(touched.items()):
                if self.readers:
                    self.publish('session', self.session_event(name, new))
                else:
                    self.seq += 1
            if path.lower().rstrip('/') == '/_emu/reset' and resp.status == 200:
                self.sessions, self.handles_of = {}, {}
                self.publish('snapshot', self.snapshot_locked())

    def session_of(self, path):
        """The session key a request path names (directly or by handle)."""
        m = SESSION_PATH.match(path)
        if m:
            return tuple(p.lower() for p in m.groups())
        m = HANDLE_PATH.match(path)
        if m:
            with self.emu.lock:
                h = self.emu.handles.get(m.group(1).lower())
            if h is not None:
                return h['_key']
        return None

    # ------------------------------------------------------------------ store (cond held)

    def record(self, name, key):
        r = self.sessions.get(name)
        if r is None:
            self.make_room()
            r = self.sessions[name] = {
                'key': name, 'ref': {'scid': key[0], 'templateName': key[1], 'name': key[2]},
                'current': None, 'last': None,
                'history': collections.deque(maxlen=HISTORY_LIMIT)}
        return r

    def make_room(self):
        """Forgets one session when the store is full: the oldest ended one,
        else the oldest (dicts keep insertion order)."""
        if len(self.sessions) < SESSION_LIMIT:
            return
        victim = next((k for k, r in self.sessions.items() if r['current'] is None),
                      next(iter(self.sessions)))
        del self.sessions[victim]

    def attach(self, rec, entries):
        """Joins the commits to the request that caused them."""
        touched = {}
        for e in entries:
            key, view = e.pop('_key'), e.pop('_view')
            e.update({'requestId': rec['id'], 'method': rec['method'], 'path': rec['path'],
                      'ifMatch': rec['ifMatch'], 'ifNoneMatch': rec['ifNoneMatch'],
                      'status': rec['status'], 'writer': rec['xuid'], 'gamertag': rec['gamertag'],
                      'time': rec['time']})
            r = self.record(key_name(key), key)
            r['current'] = view
            r['last'] = view or r['last']     # a deleted session shows how it ended
            r['history'].append(e)
            touched.setdefault(r['key'], []).append(e)
        return touched

    def refusal(self, rec, key):
        r = self.record(key_name(key), key)
        e = {'kind': 'refusal', 'requestId': rec['id'], 'method': rec['method'], 'path': rec['path'],
             'ifMatch': rec['ifMatch'], 'ifNoneMatch': rec['ifNoneMatch'], 'status': rec['status'],
             'writer': rec['xuid'], 'gamertag': rec['gamertag'], 'time': rec['time'],
             'reason': rec['reason'],
             'changeNumber': r['current']['changeNumber'] if r['current'] else None}
        r['history'].append(e)
        return e

    def update_handles(self, handles, touched):
        """Sessions whose list of handles changed: {name: []}."""
        now = {}
        for h in handles:
            r = h.get('sessionRef') or {}
            name = '/'.join(str(r.get(k, '')).lower() for k in ('scid', 'templateName', 'name'))
            now.setdefault(name, []).append(h)
        changed = {}
        for name in set(now) | set(self.handles_of):
            if now.get(name, []) != self.handles_of.get(name, []) and name in self.sessions \
                    and name not in touched:
                changed[name] = []
        self.handles_of = now
        return changed

    def session_state(self, r):
        return {'key': r['key'], 'ref': r['ref'], 'current': r['current'], 'last': r['last'],
                'handles': self.handles_of.get(r['key'], []), 'history': list(r['history'])}

    def session_event(self, name, new):
        r = self.sessions[name]
        return {'key': name, 'ref': r['ref'], 'current': r['current'], 'last': r['last'],
                'handles': self.handles_of.get(name, []), 'entries': new}

    def snapshot_locked(self):
        return {'seq': self.seq,
                'sessions': [self.session_state(r) for _, r in sorted(self.sessions.items())],
                'requests': list(self.requests)}

    def snapshot(self):
        with self.cond:
            return self.snapshot_locked()

    def publish(self, kind, data):
        """Queues an event for the open streams (cond held). data is never
        changed afterwards, so a stream serializes it outside the lock."""
        self.seq += 1
        if self.readers:
            self.events.append((self.seq, kind, data))
            self.cond.notify_all()

    # ------------------------------------------------------------------ serving

    def serve(self, handler, method, path):
        """Answers the dashboard's own requests; False for anything else."""
        low = path.lower().rstrip('/') or '/'
        if method != 'GET' or low not in ('/', '/_emu/dashboard', '/_emu/dashboard/state',
                                           '/_emu/dashboard/events'):
            return False
        if low == '/_emu/dashboard/events':
            self.stream(handler)
        elif low == '/_emu/dashboard/state':
            self.reply(handler, 'application/json', json.dumps(self.snapshot(), sort_keys=True).encode())
        else:
            with open(PAGE, 'rb') as f:
                self.reply(handler, 'text/html; charset=utf-8', f.read())
        return True

    @staticmethod
    def reply(handler, ctype, body):
        handler.send_response(200)
        handler.send_header('Content-Type', ctype)
        handler.send_header('Content-Length', str(len(body)))
        handler.send_header('Cache-Control', 'no-store')
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()

    def stream(self, handler):
        """One SSE reader until it goes away or the dashboard closes."""
        handler.close_connection = True
        handler.send_response(200)
        handler.send_header('Content-Type', 'text/event-stream')
        handler.send_header('Cache-Control', 'no-store')
        handler.send_header('Connection', 'close')
        handler.end_headers()
        with self.cond:
            self.readers += 1
            snap, last = self.snapshot_locked(), self.seq
        try:
            write_event(handler.wfile, last, 'snapshot', snap)
            while True:
                with self.cond:
                    self.cond.wait_for(lambda: self.seq > last or self.closed, KEEPALIVE_S)
                    if self.closed:
                        return
                    oldest = self.events[0][0] if self.events else self.seq + 1
                    if last + 1 < oldest:      # fell behind the kept events: start over
                        batch = [(self.seq, 'snapshot', self.snapshot_locked())]
                    else:
                        batch = [e for e in self.events if e[0] > last]
                if not batch:
                    handler.wfile.write(b': keepalive\n\n')
                    handler.wfile.flush()
                for seq, kind, data in batch:
                    write_event(handler.wfile, seq, kind, data)
                    last = seq
        except (BrokenPipeError, ConnectionResetError, socket.timeout, OSError):
            return
        finally:
            with self.cond:
                self.readers -= 1
                if not self.readers:
                    self.events.clear()


def write_event(wfile, seq, kind, data):
    text = json.dumps(data, sort_keys=True)
    wfile.write(('id: %d\nevent: %s\ndata: %s\n\n' % (seq, kind, text)).encode('utf-8'))
    wfile.flush()
