#!/usr/bin/env python3
"""mpsd_emulator: a local Xbox Live Multiplayer Session Directory (MPSD) for tests.

Python 3 standard library only. Implements the session write path of
spec/MPSD.md (sections 1-4, 6, 7, 11): templates, create/join/update/leave,
reservations, merge rules, write-once constants, admission, ETag and
changeNumber, If-Match/If-None-Match, 412 with the latest session, 204 for an
emptied session, handles, Content-Location, plain-text errors, lazy timers on
an injectable clock, optional TLS, HTTP/1.1 keep-alive and fault injection.

USAGE
    python3 tools/mpsd_emulator.py [--host 127.0.0.1] [--port 8910]
                                   [--templates tools/templates.json]
                                   [--tls-cert FILE --tls-key FILE]

  --port 0 picks a free port. The first line on stdout is always
  "listening on HOST:PORT". One log line per request goes to stderr.
  SIGTERM / SIGINT stop the server cleanly (exit status 0).

MPSD ENDPOINTS (literal segments matched case-insensitively)
  GET|PUT  /serviceconfigs/{scid}/sessiontemplates/{t}/sessions/{name}
  PUT      .../sessions/{name}/properties      (body = property bag; 404 if missing)
  DELETE   .../sessions/{name}/members/me       (same as PUT {"members":{"me":null}})
  DELETE   .../sessions/{name}/members/{index}  (server principal only)
  DELETE   .../sessions/{name}/servers/{server} (server principal only)
  POST     /handles                             (activity | invite | transfer)
  GET|DELETE /handles/{id}
  GET|PUT  /handles/{id}/session
  Every MPSD request needs
    Authorization: XBL3.0 x=<userhash>;xuid=<n>[,gt=<name>][,dev=<id>][,title=<id>][,server]
      ("server" marks a server principal; it may omit xuid)   missing/bad -> 401
    x-xbl-contract-version: >= 104 (echoed as contractVersion)  missing/<104 -> 400
  ?nocommit=true on a PUT computes the result without storing it.

EXAMPLE (create session "game1" from template "quick" and join it as active)
  curl -i -X PUT -H 'If-None-Match: *' -H 'x-xbl-contract-version: 107' \
    -H 'Authorization: XBL3.0 x=1;xuid=2814600000000001,gt=PlayerOne,dev=d1,title=1234' \
    -d '{"members":{"me":{"constants":{"system":{"xuid":"2814600000000001"}},
         "properties":{"system":{"active":true}}}}}' \
    http://127.0.0.1:8910/serviceconfigs/00000000-0000-0000-0000-000000000001/sessiontemplates/quick/sessions/game1

TEMPLATES FILE
  {"templates": {"<name>": {"contractVersion": 107,
                            "constants": {"system": {...}, "custom": {...}},
                            "roleTypes": {...}}}}
  Any SCID is accepted; templates are looked up by name, case-insensitively.

ADMIN API (no authentication; JSON in, JSON out; never subject to faults)
  GET  /_emu/health                      -> {"ok": true}
  GET  /_emu/state                       -> dump of sessions, handles, clock, options, faults
  POST /_emu/reset                       -> forget sessions, handles, correlation ids;
                                            clock offset, faults and options back to defaults
  GET  /_emu/clock                       -> {"nowMs": n, "now": "<iso>", "frozen": bool}
  POST /_emu/clock {"advanceMs": n}      -> move the emulator clock forward n ms
                   {"freeze": true|false} (frozen = time stands still between advances)
  POST /_emu/faults {"fault": "<spec>", "count": n}
                                         -> global fault for the next n MPSD requests
                                            (omit count = until cleared); {"fault": ""} clears
  GET  /_emu/faults                      -> current global fault
  POST /_emu/options {"missingSessionStatus": 412|404}
                                         -> status for If-Match on a missing session (default 412)
  POST /_emu/handles {handle JSON as for POST /handles, optional "id", "ownerXuid",
                      "senderXuid"}     -> 201 + handle JSON (no auth, no membership checks)
  POST /_emu/member {"scid","templateName","name", "xuid"|"index",
                     "active": bool, "ready": bool, "remove": bool}
                                         -> set a member's presence flags (test hook); returns
                                            the session as a server sees it
  POST /_emu/templates {"name": "<t>", "template": {...}} -> add/replace a template

FAULT MODES
  Per request with header  x-emu-fault: <spec>   (overrides the global fault)
  <spec> is a comma-separated list of:
    chunked[=N]   Transfer-Encoding: chunked reply, N-byte chunks (default 7)
    drip[=MS]     send the whole response one byte at a time, MS ms apart
                  (default 2, max 1000; dripping stops after 20 s and sends the rest)
    close=N       send only the first N bytes of the response, then close the connection
    delay=MS      wait MS ms (max 30000) before responding
    429[=S]       answer 429 with Retry-After: S (default 1) and a JSON throttle body;
                  the request is not processed
    503[=S]       answer 503 with Retry-After: S (default 1), text/plain; not processed
  e.g. "x-emu-fault: delay=200,chunked=3". An empty header value disables the global
  fault for that request. Admin (/_emu/) requests are never faulted.

CLOCK
  Timers (reserved/inactive/ready removal, sessionEmptyTimeout) fire lazily when a
  request touches the session, using the emulator clock; Date, Expires, startTime,
  joinTime and nextTimer all use that clock. Timeout 0 fires at the next touch.

DEVICE TOKENS
  deviceToken = first 16 hex digits of SHA-256 of the decoded secureDeviceAddress.
  nat = "moderate" if the first decoded byte is 0x02, "strict" if 0x03, else "open".
"""

import argparse
import base64
import binascii
import copy
import email.utils
import hashlib
import json
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_PORT = 8910
LARGE_MAX = 1000
MAX_BODY = 1 << 20
NAME_RE = re.compile(r'^[A-Za-z0-9._-]{1,99}$')
SCID_RE = re.compile(r'^[A-Za-z0-9._-]{1,39}$')
XUID_RE = re.compile(r'^[0-9]{1,20}$')

DEFAULT_CONSTANTS = {
    'maxMembersCount': 100,
    'visibility': 'open',
    'reservedRemovalTimeout': 30000,
    'inactiveRemovalTimeout': 0,
    'readyRemovalTimeout': 180000,
    'sessionEmptyTimeout': 0,
}
CONST_ORDER = ['version', 'maxMembersCount', 'visibility', 'initiators', 'inviteProtocol',
               'reservedRemovalTimeout', 'inactiveRemovalTimeout', 'readyRemovalTimeout',
               'sessionEmptyTimeout', 'capabilities', 'metrics', 'memberInitialization',
               'peerToPeerRequirements', 'peerToHostRequirements', 'measurementServerAddresses',
               'cloudComputePackage', 'arbitration', 'broadcastViewerTitleIds',
               'ownershipPolicies', 'timeouts', 'managedInitialization']
TIMEOUT_KEYS = ('reservedRemovalTimeout', 'inactiveRemovalTimeout', 'readyRemovalTimeout',
                'sessionEmptyTimeout')
CAPABILITIES = {'connectivity', 'suppressPresenceActivityCheck', 'gameplay', 'large',
                'userAuthorizationStyle', 'connectionRequiredForActiveMembers', 'crossPlay',
                'searchable', 'hasOwners', 'autoPopulateServerCandidates', 'broadcast', 'team',
                'arbitration', 'cloudCompute', 'clientMatchmaking'}
VISIBILITIES = ('private', 'visible', 'open')
RESTRICTIONS = {'none': 0, 'followed': 1, 'local': 2}   # lower = more permissive
CHANGE_TYPES = {'everything', 'host', 'initialization', 'matchmakingstatus', 'memberslist',
                'membersstatus', 'joinability', 'customproperty', 'memberscustomproperty'}
HOST_METRICS = {'bandwidthup', 'bandwidthdown', 'bandwidth', 'latency'}
PROP_ORDER = ['keywords', 'turn', 'joinRestriction', 'readRestriction', 'closed', 'locked',
              'allocateCloudCompute', 'matchmaking', 'matchmakingResubmit', 'host',
              'serverConnectionStringCandidates', 'owners']
MEMBER_SYS_ORDER = ['active', 'ready', 'connection', 'subscription', 'subscriptions',
                    'secureDeviceAddress', 'initializationGroup', 'groups', 'measurements',
                    'serverMeasurements', 'rolePreference']
MEMBER_SYS_KEYS = {'active', 'ready', 'connection', 'subscription', 'subscriptions',
                   'secureDeviceAddress', 'initializationGroup', 'groups', 'encounters',
                   'measurements', 'serverMeasurements', 'rolePreference'}
REASONS = {200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified',
           400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
           405: 'Method Not Allowed', 409: 'Conflict', 412: 'Precondition Failed',
           413: 'Payload Too Large', 429: 'Too Many Requests', 500: 'Internal Server Error',
           503: 'Service Unavailable'}
MISSING = object()


class HttpError(Exception):
    def __init__(self, status, message):
        Exception.__init__(self, message)
        self.status = status
        self.message = message


def bad(msg):
    raise HttpError(400, msg)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def iso(ms):
    dt = datetime.fromtimestamp(ms // 1000, timezone.utc)
    return dt.strftime('%Y-%m-%dT%H:%M:%S.') + '%03d0000Z' % (ms % 1000)


def http_date(ms):
    return email.utils.formatdate(ms / 1000.0, usegmt=True)


class Response:
    def __init__(self, status, body=b'', ctype=None, headers=None):
        self.status = status
        self.body = body
        self.headers = list(headers or [])
        if ctype:
            self.headers.append(('Content-Type', ctype))


def text(status, msg, headers=None):
    return Response(status, (msg + '\n').encode(), 'text/plain', headers)


def jsonresp(status, obj, headers=None):
    return Response(status, json.dumps(obj, separators=(',', ':')).encode(), 'application/json', headers)


# --------------------------------------------------------------------------- clock

class Clock:
    """Wall clock plus an offset; advance() moves it; freeze() stops it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.offset = 0
        self.frozen_at = None

    def now(self):
        with self.lock:
            if self.frozen_at is not None:
                return self.frozen_at
            return int(time.time() * 1000) + self.offset

    def advance(self, ms):
        with self.lock:
            if self.frozen_at is not None:
                self.frozen_at += ms
            else:
                self.offset += ms

    def freeze(self, on):
        with self.lock:
            real = int(time.time() * 1000)
            if on and self.frozen_at is None:
                self.frozen_at = real + self.offset
            elif not on and self.frozen_at is not None:
                self.offset = self.frozen_at - real
                self.frozen_at = None

    def reset(self):
        with self.lock:
            self.offset = 0
            self.frozen_at = None


# --------------------------------------------------------------------------- identity

class Identity:
    def __init__(self, xuid, gamertag, device, title, server):
        self.xuid = xuid
        self.gamertag = gamertag
        self.device = device
        self.title = title
        self.server = server


def parse_identity(header):
    """XBL3.0 x=<userhash>;xuid=<n>,gt=<name>[,dev=<id>][,title=<id>][,server]."""
    if not header:
        return None
    m = re.match(r'^XBL3\.0\s+x=([^;]*);(.+)$', header.strip())
    if not m:
        return None
    fields = {}
    server = False
    for item in m.group(2).split(','):
        item = item.strip()
        if item == 'server':
            server = True
            continue
        k, sep, v = item.partition('=')
        if not sep or not k or not v:
            return None
        fields[k.strip()] = v.strip()
    xuid = fields.get('xuid')
    if xuid is not None and (not XUID_RE.match(xuid) or int(xuid) == 0 or int(xuid) >= 1 << 64):
        return None
    if xuid is None and not server:
        return None
    title = fields.get('title')
    if title is not None and not title.isdigit():
        return None
    return Identity(str(int(xuid)) if xuid else None, fields.get('gt'), fields.get('dev'),
                    title, server)


# --------------------------------------------------------------------------- session model
#
# A stored session is a plain dict that is never mutated after it is committed:
# every write works on a deep copy and commits by replacing the dict.

def member_status(m):
    if m['reserved']:
        return 'reserved'
    ps = m['properties']['system']
    if ps.get('active'):
        return 'active'
    if ps.get('ready'):
        return 'ready'
    return 'inactive'


def find_member(s, xuid):
    if xuid is None:
        return None, None
    for idx, m in s['members'].items():
        if m['xuid'] == xuid:
            return idx, m
    return None, None


def is_large(s):
    return bool(s['constants']['system'].get('capabilities', {}).get('large'))


def member_expiry(s, m):
    cs = s['constants']['system']
    key = {'reserved': 'reservedRemovalTimeout', 'inactive': 'inactiveRemovalTimeout',
           'ready': 'readyRemovalTimeout'}.get(member_status(m))
    if key is None:
        return None
    t = cs.get(key)
    return None if t is None else m['since'] + t


def next_timer(s):
    times = [t for t in (member_expiry(s, m) for m in s['members'].values()) if t is not None]
    t = s['constants']['system'].get('sessionEmptyTimeout')
    if not s['members'] and s['emptySince'] is not None and t is not None:
        times.append(s['emptySince'] + t)
    return min(times) if times else None


def remove_member(s, idx, when):
    m = s['members'].pop(idx)
    if not m['reserved'] and m['xuid'] not in s['former']:
        s['former'].append(m['xuid'])
    turn = s['properties']['system'].get('turn')
    if turn and idx in turn:
        s['properties']['system']['turn'] = [i for i in turn if i != idx]
    if not s['members'] and s['emptySince'] is None:
        s['emptySince'] = when
    return m


def set_status(m, active, ready, now):
    """Set the active/ready flags (false = absent); restart the status timer on change."""
    before = member_status(m)
    ps = m['properties']['system']
    for k, v in (('active', active), ('ready', ready)):
        if v:
            ps[k] = True
        else:
            ps.pop(k, None)
    if member_status(m) != before:
        m['since'] = now


def catch_up(s, now):
    """Apply every expired timer (6.10). Returns (changed, deleted, removed_xuids)."""
    changed = False
    removed = []
    for idx in sorted(s['members']):
        m = s['members'][idx]
        exp = member_expiry(s, m)
        if exp is None or now < exp:
            continue
        changed = True
        if member_status(m) == 'ready':
            m['properties']['system'].pop('ready', None)
            m['since'] = exp
            m.pop('activeTitleId', None)
        else:
            removed.append(remove_member(s, idx, exp)['xuid'])
    t = s['constants']['system'].get('sessionEmptyTimeout')
    if not s['members'] and s['emptySince'] is not None and t is not None \
            and now >= s['emptySince'] + t:
        return True, True, removed
    return changed, False, removed


def state_signature(s):
    core = {k: v for k, v in s.items() if k not in ('branch', 'changeNumber', 'etag')}
    return json.dumps(core, sort_keys=True, default=str)


def render(s, ident, contract):
    cs = s['constants']['system']
    large = is_large(s)
    doc = {'contractVersion': contract, 'branch': s['branch'], 'changeNumber': s['changeNumber'],
           'correlationId': s['correlationId']}
    if s.get('searchHandle'):
        doc['searchHandle'] = s['searchHandle']
    doc['startTime'] = iso(s['startTime'])
    nt = next_timer(s)
    if nt is not None:
        doc['nextTimer'] = iso(nt)
    if s.get('roleTypes'):
        doc['roleTypes'] = render_role_types(s)
    csys = {}
    for k in CONST_ORDER + sorted(set(cs) - set(CONST_ORDER)):
        if k in cs and cs[k] is not None:
            csys[k] = cs[k]
    doc['constants'] = {'system': csys, 'custom': s['constants']['custom']}
    ps = s['properties']['system']
    psys = {k: ps[k] for k in PROP_ORDER + sorted(set(ps) - set(PROP_ORDER)) if k in ps}
    doc['properties'] = {'system': psys, 'custom': s['properties']['custom']}
    members = {}
    order = sorted(s['members'])
    turn = set(ps.get('turn') or [])
    for pos, idx in enumerate(order):
        m = s['members'][idx]
        if large and (ident is None or m['xuid'] != ident.xuid):
            continue
        nxt = order[pos + 1] if pos + 1 < len(order) else s['next']
        members['me' if large else str(idx)] = render_member(m, idx, nxt, idx in turn)
    doc['members'] = members
    accepted = sum(1 for m in s['members'].values() if not m['reserved'])
    doc['membersInfo'] = {'first': order[0] if order else s['next'], 'next': s['next'],
                          'count': len(order), 'accepted': accepted}
    doc['servers'] = s['servers']
    return doc


def render_member(m, idx, nxt, turn):
    ps = m['properties']['system']
    psys = {k: ps[k] for k in MEMBER_SYS_ORDER if k in ps}
    out = {'constants': m['constants'],
           'properties': {'system': psys, 'custom': m['properties']['custom']}}
    if m.get('roles'):
        out['roles'] = m['roles']
    if not m['reserved'] and m.get('gamertag'):
        out['gamertag'] = m['gamertag']
    for k in ('deviceToken', 'nat'):
        if m.get(k):
            out[k] = m[k]
    if m['reserved']:
        out['reserved'] = True
    if m.get('activeTitleId'):
        out['activeTitleId'] = m['activeTitleId']
    out['joinTime'] = iso(m['joinTime'])
    if turn:
        out['turn'] = True
    out['next'] = nxt
    return out


def render_role_types(s):
    out = {}
    for tname, t in s['roleTypes'].items():
        rt = {}
        if 'ownerManaged' in t:
            rt['ownerManaged'] = t['ownerManaged']
        if 'mutableRoleSettings' in t:
            rt['mutableRoleSettings'] = t['mutableRoleSettings']
        roles = {}
        for rname, r in t.get('roles', {}).items():
            xuids = [m['xuid'] for _, m in sorted(s['members'].items())
                     if (m.get('roles') or {}).get(tname) == rname]
            ro = {'count': len(xuids)}
            for k in ('target', 'max'):
                if k in r:
                    ro[k] = r[k]
            ro['memberXuids'] = xuids
            roles[rname] = ro
        rt['roles'] = roles
        out[tname] = rt
    return out


# --------------------------------------------------------------------------- validation

def check_obj(v, what):
    if not isinstance(v, dict):
        bad('%s must be a JSON object' % what)
    return v


def check_bag(v, what):
    check_obj(v, what)
    for k in v:
        if k not in ('system', 'custom'):
            bad("%s: unknown key '%s'" % (what, k))
    if 'system' in v:
        check_obj(v['system'], what + '.system')
    if 'custom' in v:
        check_obj(v['custom'], what + '.custom')
    return v.get('system', {}), v.get('custom', {})


def check_str_list(v, what):
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        bad('%s must be an array of strings' % what)
    return v


def check_int_list(v, what):
    if not isinstance(v, list) or not all(is_int(x) and x >= 0 for x in v):
        bad('%s must be an array of non-negative integers' % what)
    return v


def check_bool(v, what):
    if not isinstance(v, bool):
        bad('%s must be a boolean' % what)
    return v


def norm_enum(v, allowed, what):
    if not isinstance(v, str) or v.lower() not in allowed:
        bad("%s: invalid value %s" % (what, json.dumps(v)))
    return v.lower()


def norm_const(k, v):
    """Type-check and normalize one constants.system value."""
    what = 'constants.system.' + k
    if k in TIMEOUT_KEYS:
        if v is not None and not (is_int(v) and v >= 0):
            bad('%s must be a non-negative integer or null' % what)
        return v
    if v is None:
        bad('%s must not be null' % what)
    if k == 'version':
        if not is_int(v) or v < 1:
            bad('%s must be a positive integer' % what)
    elif k == 'maxMembersCount':
        if not is_int(v) or v < 1:
            bad('%s must be a positive integer' % what)
    elif k == 'visibility':
        if isinstance(v, str) and v.lower() in ('full', 'any', 'unknown'):
            bad("%s: '%s' is not a settable visibility" % (what, v))
        return norm_enum(v, VISIBILITIES, what)
    elif k == 'initiators':
        check_str_list(v, what)
        if not all(XUID_RE.match(x) for x in v):
            bad('%s must hold decimal XUID strings' % what)
    elif k == 'inviteProtocol':
        if not isinstance(v, str):
            bad('%s must be a string' % what)
    elif k == 'broadcastViewerTitleIds':
        check_str_list(v, what)
    elif k == 'capabilities':
        check_obj(v, what)
        for c, b in v.items():
            if c not in CAPABILITIES:
                bad("%s: unknown capability '%s'" % (what, c))
            check_bool(b, '%s.%s' % (what, c))
    elif k == 'metrics':
        check_obj(v, what)
        for c, b in v.items():
            if c not in ('latency', 'bandwidthDown', 'bandwidthUp', 'custom'):
                bad("%s: unknown metric '%s'" % (what, c))
            check_bool(b, '%s.%s' % (what, c))
    elif k == 'memberInitialization':
        check_obj(v, what)
        v = dict(v)
        for f in v:
            if f not in ('joinTimeout', 'measurementTimeout', 'evaluationTimeout',
                         'externalEvaluation', 'membersNeededToStart'):
                bad("%s: unknown key '%s'" % (what, f))
        for f in ('joinTimeout', 'measurementTimeout', 'evaluationTimeout',
                  'membersNeededToStart'):
            if f in v and not (is_int(v[f]) and v[f] >= 0):
                bad('%s.%s must be a non-negative integer' % (what, f))
        if 'externalEvaluation' in v:
            check_bool(v['externalEvaluation'], what + '.externalEvaluation')
        if 'evaluationTimeout' in v and not v.get('externalEvaluation'):
            bad('%s.evaluationTimeout requires externalEvaluation' % what)
    elif k == 'peerToPeerRequirements':
        check_obj(v, what)
        for f, x in v.items():
            if f not in ('latencyMaximum', 'bandwidthMinimum') or not (is_int(x) and x >= 0):
                bad('%s.%s is not valid' % (what, f))
    elif k == 'peerToHostRequirements':
        check_obj(v, what)
        for f, x in v.items():
            if f == 'hostSelectionMetric':
                norm_enum(x, HOST_METRICS | {'unknown'}, what + '.hostSelectionMetric')
            elif f not in ('latencyMaximum', 'bandwidthDownMinimum', 'bandwidthUpMinimum') \
                    or not (is_int(x) and x >= 0):
                bad('%s.%s is not valid' % (what, f))
    elif k in ('measurementServerAddresses', 'cloudComputePackage', 'arbitration',
               'ownershipPolicies', 'timeouts', 'managedInitialization'):
        check_obj(v, what)
    else:
        bad("unknown key '%s'" % what)
    return v


def validate_constants(cs, ident):
    caps = cs.get('capabilities', {})
    large = caps.get('large')
    mx = cs['maxMembersCount']
    if mx > 100 and not large:
        bad('maxMembersCount above 100 requires the large capability')
    if mx > LARGE_MAX:
        bad('maxMembersCount must be at most %d' % LARGE_MAX)
    if large:
        for c in ('connectivity', 'autoPopulateServerCandidates', 'userAuthorizationStyle'):
            if caps.get(c):
                bad("capability '%s' is not allowed with 'large'" % c)
        for f in ('memberInitialization', 'measurementServerAddresses'):
            if f in cs:
                bad('%s is not allowed on large sessions' % f)
    if caps.get('broadcast') and not large:
        bad("capability 'broadcast' requires 'large'")
    if caps.get('arbitration') and (large or not caps.get('gameplay')):
        bad("capability 'arbitration' requires 'gameplay' and not 'large'")
    if caps.get('searchable') and caps.get('userAuthorizationStyle') and not caps.get('hasOwners'):
        bad("'searchable' with 'userAuthorizationStyle' requires 'hasOwners'")
    if 'metrics' in cs and not caps.get('connectivity'):
        bad("metrics require the 'connectivity' capability")
    if 'ownershipPolicies' in cs and not caps.get('hasOwners'):
        bad("ownershipPolicies require the 'hasOwners' capability")
    mi = cs.get('memberInitialization')
    if mi is not None:
        mi.setdefault('joinTimeout', 10000)
        mi.setdefault('measurementTimeout', 30000)
        mi.setdefault('externalEvaluation', False)
        if mi['externalEvaluation']:
            mi.setdefault('evaluationTimeout', 5000)
        mi.setdefault('membersNeededToStart', 1)
        if mi['membersNeededToStart'] > mx:
            bad('memberInitialization.membersNeededToStart exceeds maxMembersCount')
    if 'initiators' in cs and ident is not None and not ident.server \
            and ident.xuid not in cs['initiators']:
        bad('the creator must be listed in initiators')


def validate_role_types(rts, caps, what='roleTypes'):
    check_obj(rts, what)
    for tname, t in rts.items():
        if not re.match(r'^[a-z0-9]{1,100}$', tname):
            bad('%s: bad role type name %s' % (what, json.dumps(tname)))
        check_obj(t, '%s.%s' % (what, tname))
        for f in t:
            if f not in ('ownerManaged', 'mutableRoleSettings', 'roles'):
                bad("%s.%s: unknown key '%s'" % (what, tname, f))
        if 'ownerManaged' in t:
            check_bool(t['ownerManaged'], '%s.%s.ownerManaged' % (what, tname))
            if t['ownerManaged'] and not caps.get('hasOwners'):
                bad('ownerManaged role types require the hasOwners capability')
        if 'mutableRoleSettings' in t:
            check_str_list(t['mutableRoleSettings'], '%s.%s.mutableRoleSettings' % (what, tname))
            if not set(t['mutableRoleSettings']) <= {'max', 'target'}:
                bad('%s.%s.mutableRoleSettings: only max and target' % (what, tname))
        for rname, r in check_obj(t.get('roles', {}), '%s.%s.roles' % (what, tname)).items():
            if not re.match(r'^[a-z0-9]{1,100}$', rname):
                bad('%s: bad role name %s' % (what, json.dumps(rname)))
            check_obj(r, 'role %s' % rname)
            for f, x in r.items():
                if f not in ('max', 'target') or not (is_int(x) and x > 0):
                    bad('role %s: %s must be a positive integer' % (rname, f))
            if 'target' in r and 'max' in r and r['target'] > r['max']:
                bad('role %s: target exceeds max' % rname)


def device_token(address):
    raw = base64.b64decode(address, validate=True)
    nat = {2: 'moderate', 3: 'strict'}.get(raw[0] if raw else 0, 'open')
    return hashlib.sha256(raw).hexdigest()[:16], nat


def merge_custom(dst, src):
    for k, v in src.items():
        if v is None:
            dst.pop(k, None)
        else:
            dst[k] = copy.deepcopy(v)


# --------------------------------------------------------------------------- write context

class Ctx:
    def __init__(self, ident, now, grant, creating):
        self.ident = ident
        self.now = now
        self.grant = grant
        self.creating = creating
        self.removed = []         # xuids removed by this write


class Emulator:
    def __init__(self, templates):
        self.templates = {}
        for name, t in templates.items():
            self.add_template(name, t)
        self.clock = Clock()
        self.lock = threading.Lock()
        self.key_locks = {}
        self.reset()

    def reset(self):
        with self.lock:
            self.sessions = {}
            self.correlations = {}
            self.handles = {}
            self.options = {'missingSessionStatus': 412}
            self.fault = {'spec': '', 'count': None}
        self.clock.reset()

    def add_template(self, name, t):
        check_obj(t, 'template')
        bag = t.get('constants', {})
        sysc, cust = check_bag(bag, 'template constants')
        norm = {k: norm_const(k, v) for k, v in sysc.items()}
        if 'roleTypes' in t:
            validate_role_types(t['roleTypes'], norm.get('capabilities', {}))
        self.templates[name.lower()] = {'name': name, 'system': norm, 'custom': dict(cust),
                                        'roleTypes': t.get('roleTypes'),
                                        'contractVersion': t.get('contractVersion', 107)}

    def lock_for(self, key):
        with self.lock:
            lk = self.key_locks.get(key)
            if lk is None:
                lk = self.key_locks[key] = threading.Lock()
            return lk

    def new_etag(self):
        return uuid.uuid4().hex

    # ------------------------------------------------------------------ handles

    def drop_activity_handles(self, key, xuids):
        if not xuids:
            return
        with self.lock:
            for hid in [h for h, v in self.handles.items()
                        if v['type'] == 'activity' and v['_key'] == key
                        and v.get('ownerXuid') in xuids]:
                del self.handles[hid]

    def make_handle(self, body, ident, admin):
        check_obj(body, 'handle')
        if body.get('version') != 1:
            bad('handle version must be 1')
        htype = body.get('type')
        if htype not in ('activity', 'invite', 'transfer'):
            bad('handle type must be activity, invite or transfer')
        ref = self.parse_ref(body.get('sessionRef'), 'sessionRef', allow_no_name=True)
        if not admin and ref[1].lower() not in self.templates:
            raise HttpError(404, 'unknown session template')
        h = {'version': 1, 'type': htype,
             'id': str(body['id']) if admin and body.get('id') else str(uuid.uuid4()),
             'sessionRef': {'scid': ref[0], 'templateName': ref[1], 'name': ref[2]}}
        owner = body.get('ownerXuid') if admin else (ident.xuid if ident else None)
        if htype == 'activity':
            if owner:
                h['ownerXuid'] = str(owner)
            if ident is not None and ident.title:
                h['titleId'] = ident.title
        elif htype == 'invite':
            inv = body.get('invitedXuid')
            if not isinstance(inv, str) or not XUID_RE.match(inv):
                bad('invitedXuid must be a decimal XUID string')
            h['invitedXuid'] = inv
            sender = body.get('senderXuid') if admin else owner
            if sender:
                h['senderXuid'] = str(sender)
            if 'inviteAttributes' in body:
                h['inviteAttributes'] = check_obj(body['inviteAttributes'], 'inviteAttributes')
            h['expiration'] = iso(self.clock.now() + 24 * 3600 * 1000)
        else:
            o = self.parse_ref(body.get('originSessionRef'), 'originSessionRef')
            h['originSessionRef'] = {'scid': o[0], 'templateName': o[1], 'name': o[2]}
            if not admin:
                origin = self.sessions.get(self.key(o))
                if ident.xuid is None or origin is None or \
                        find_member(origin, ident.xuid)[1] is None:
                    raise HttpError(403, 'caller is not a member of the origin session')
        h['_key'] = self.key(ref)
        with self.lock:
            if htype == 'activity' and owner:
                for hid in [k for k, v in self.handles.items()
                            if v['type'] == 'activity' and v.get('ownerXuid') == str(owner)]:
                    del self.handles[hid]
            self.handles[h['id'].lower()] = h
        return h

    @staticmethod
    def public_handle(h):
        return {k: v for k, v in h.items() if not k.startswith('_')}

    def parse_ref(self, r, what, allow_no_name=False):
        check_obj(r, what)
        scid, tmpl, name = r.get('scid'), r.get('templateName'), r.get('name')
        if allow_no_name and name is None:
            name = str(uuid.uuid4())
        for v, rx in ((scid, SCID_RE), (tmpl, NAME_RE), (name, NAME_RE)):
            if not isinstance(v, str) or not rx.match(v):
                bad('%s must hold scid, templateName and name' % what)
        return (scid, tmpl, name)

    @staticmethod
    def key(ref):
        return tuple(p.lower() for p in ref)

    def handle_grant(self, h, ident):
        if h is None or ident is None or ident.xuid is None:
            return None
        if h['type'] == 'invite' and h.get('invitedXuid') == ident.xuid:
            return 'invite'
        if h['type'] == 'transfer':
            o = h['originSessionRef']
            origin = self.sessions.get(self.key((o['scid'], o['templateName'], o['name'])))
            if origin is not None:
                _, m = find_member(origin, ident.xuid)
                if m is not None and not m['reserved']:
                    return 'transfer'
        return None

    # ------------------------------------------------------------------ load / timers

    def load(self, key, now):
        """Return the committed session with expired timers applied (committed if changed)."""
        s = self.sessions.get(key)
        if s is None:
            return None
        w = copy.deepcopy(s)
        changed, deleted, removed = catch_up(w, now)
        self.drop_activity_handles(key, removed)
        if deleted:
            del self.sessions[key]
            return None
        if changed:
            w['changeNumber'] += 1
            w['etag'] = self.new_etag()
            self.sessions[key] = w
            return w
        return s

    # ------------------------------------------------------------------ access

    def device_match(self, s, ident):
        return bool(ident.device) and any(
            m.get('device') == ident.device and member_status(m) == 'active'
            for m in s['members'].values())

    def can_read(self, s, ident, grant):
        if ident.server or find_member(s, ident.xuid)[1] is not None or grant == 'transfer':
            return True
        if s['constants']['system']['visibility'] == 'private':
            return False
        if grant == 'invite':
            return True
        rr = s['properties']['system'].get('readRestriction', 'none')
        return rr == 'none' or self.device_match(s, ident)

    def session_headers(self, s, path):
        h = [('Content-Location', path)]
        if s is not None:
            h.append(('ETag', s['etag']))
            nt = next_timer(s)
            if nt is not None:
                h.append(('Expires', http_date(nt)))
        return h

    # ------------------------------------------------------------------ GET

    def get_session(self, ref, path, hdrs, ident, contract, grant):
        if ref[1].lower() not in self.templates:
            raise HttpError(404, 'unknown session template')
        key = self.key(ref)
        with self.lock_for(key):
            s = self.load(key, self.clock.now())
            if s is None:
                return Response(204, headers=[('Content-Location', path)])
            if not self.can_read(s, ident, grant):
                raise HttpError(403, 'the session can only be read by its members')
            inm = hdrs.get('If-None-Match')
            if inm is not None and etag_matches(inm, s['etag']):
                return Response(304, headers=self.session_headers(s, path))
            return jsonresp(200, render(s, ident, contract), self.session_headers(s, path))

    # ------------------------------------------------------------------ PUT

    def put_session(self, ref, path, hdrs, body, ident, contract, grant,
                    properties_only=False, nocommit=False):
        tmpl = self.templates.get(ref[1].lower())
        if tmpl is None:
            raise HttpError(404, 'unknown session template')
        key = self.key(ref)
        with self.lock_for(key):
            now = self.clock.now()
            cur = self.load(key, now)
            im, inm = hdrs.get('If-Match'), hdrs.get('If-None-Match')
            if im is not None:
                if cur is None:
                    if im.strip() == '*' and self.options['missingSessionStatus'] == 404:
                        raise HttpError(404, 'session not found')
                    return Response(412, headers=[('Content-Location', path)])
                if not etag_matches(im, cur['etag']):
                    return jsonresp(412, render(cur, ident, contract),
                                    self.session_headers(cur, path))
            if inm is not None and cur is not None and \
                    (inm.strip() == '*' or etag_matches(inm, cur['etag'])):
                return Response(412, headers=[('Content-Location', path)])
            if properties_only and cur is None:
                raise HttpError(404, 'session not found')
            creating = cur is None
            ctx = Ctx(ident, now, grant, creating)
            if creating:
                w = self.new_session(ref, tmpl, body, ctx)
            else:
                w = copy.deepcopy(cur)
                self.apply(w, body, ctx, tmpl)
            if nocommit:
                h = self.session_headers(cur if cur else None, path)
                return jsonresp(201 if creating else 200, render(w, ident, contract), h)
            if not w['members'] and w['constants']['system'].get('sessionEmptyTimeout') == 0:
                self.sessions.pop(key, None)
                self.drop_activity_handles(key, ctx.removed)
                return Response(204, headers=[('Content-Location', path)])
            self.drop_activity_handles(key, ctx.removed)
            if creating:
                self.sessions[key] = w
                return jsonresp(201, render(w, ident, contract), self.session_headers(w, path))
            if state_signature(w) != state_signature(cur):
                w['changeNumber'] = cur['changeNumber'] + 1
                w['etag'] = self.new_etag()
                self.sessions[key] = w
            else:
                w = cur
            return jsonresp(200, render(w, ident, contract), self.session_headers(w, path))

    def new_session(self, ref, tmpl, body, ctx):
        check_obj(body, 'request body')
        for k in body:
            if k not in ('constants', 'properties', 'members', 'servers', 'roleTypes'):
                bad("unknown top-level member '%s'" % k)
        rsys, rcust = check_bag(body.get('constants', {}), 'constants')
        cs = dict(tmpl['system'])
        for k, v in rsys.items():
            v = norm_const(k, v)
            if k in tmpl['system']:
                if tmpl['system'][k] != v:
                    raise HttpError(409, "constants.system.%s differs from the template" % k)
            else:
                cs[k] = v
        cs.setdefault('version', 1)
        for k, v in DEFAULT_CONSTANTS.items():
            cs.setdefault(k, v)
        cust = dict(tmpl['custom'])
        for k, v in rcust.items():
            if k in cust and cust[k] != v:
                raise HttpError(409, "constants.custom.%s differs from the template" % k)
            cust[k] = v
        validate_constants(cs, ctx.ident)
        caps = cs.get('capabilities', {})
        key = self.key(ref)
        with self.lock:
            corr = self.correlations.setdefault(key, str(uuid.uuid4()))
        props = {'joinRestriction': 'local' if caps.get('userAuthorizationStyle') else 'none'}
        if not caps.get('large'):
            props = {'turn': [], 'joinRestriction': props['joinRestriction']}
        w = {'scid': ref[0], 'templateName': ref[1], 'name': ref[2],
             'branch': str(uuid.uuid4()), 'changeNumber': 1, 'correlationId': corr,
             'etag': self.new_etag(), 'startTime': ctx.now,
             'constants': {'system': cs, 'custom': cust},
             'roleTypes': copy.deepcopy(tmpl['roleTypes']) if tmpl['roleTypes'] else None,
             'properties': {'system': props, 'custom': {}},
             'members': {}, 'next': 0, 'servers': {}, 'emptySince': None, 'former': []}
        body = {k: v for k, v in body.items() if k != 'constants'}
        if 'roleTypes' in body and not w['roleTypes']:
            validate_role_types(body['roleTypes'], caps)
            w['roleTypes'] = copy.deepcopy(body.pop('roleTypes'))
        self.apply(w, body, ctx, tmpl)
        return w

    def apply(self, w, body, ctx, tmpl):
        check_obj(body, 'request body')
        for k in body:
            if k not in ('constants', 'properties', 'members', 'servers', 'roleTypes'):
                bad("unknown top-level member '%s'" % k)
        ident = ctx.ident
        members = check_obj(body.get('members', {}), 'members')
        caller = find_member(w, ident.xuid)[1]
        if not ident.server and not ctx.creating and caller is None and 'me' not in members:
            raise HttpError(403, 'the caller is not a member of the session; join via members.me')
        if 'constants' in body:
            self.check_constants_unchanged(w, body['constants'])
        if 'roleTypes' in body:
            self.apply_role_types(w, body['roleTypes'])
        for mk, mv in members.items():
            if mk == 'me':
                self.apply_me(w, mv, ctx)
            elif re.match(r'^reserve_[0-9]+$', mk):
                self.apply_reservation(w, mk, mv, ctx)
            elif re.match(r'^[0-9]+$', mk):
                if is_large(w):
                    raise HttpError(409, 'large sessions do not allow references to other members')
                if not ident.server:
                    raise HttpError(403, 'existing member references require a server principal')
                if mv is not None:
                    bad('members.%s: only null (remove) is supported' % mk)
                if int(mk) in w['members']:
                    ctx.removed.append(remove_member(w, int(mk), ctx.now)['xuid'])
            else:
                bad("members: unknown key '%s'" % mk)
        writes_other = 'properties' in body or 'roleTypes' in body or \
            any(k.startswith('reserve_') for k in members)
        if writes_other and not ident.server and find_member(w, ident.xuid)[1] is None \
                and not ctx.creating:
            raise HttpError(403, 'only members may write the session')
        if 'properties' in body:
            self.apply_properties(w, body['properties'], ctx)
        if 'servers' in body:
            if not ident.server:
                raise HttpError(403, 'servers require a server principal')
            self.apply_servers(w, body['servers'])
        self.post_validate(w, ctx)

    def check_constants_unchanged(self, w, bag):
        rsys, rcust = check_bag(bag, 'constants')
        cs = w['constants']['system']
        for k, v in rsys.items():
            if cs.get(k, MISSING) != norm_const(k, v):
                raise HttpError(409, 'constants.system.%s cannot change after creation' % k)
        for k, v in rcust.items():
            if w['constants']['custom'].get(k, MISSING) != v:
                raise HttpError(409, 'constants.custom.%s cannot change after creation' % k)

    def apply_role_types(self, w, rts):
        check_obj(rts, 'roleTypes')
        have = w.get('roleTypes') or {}
        for tname, t in rts.items():
            if tname not in have:
                bad("roleTypes: unknown role type '%s'" % tname)
            check_obj(t, 'roleTypes.' + tname)
            if set(t) - {'roles'}:
                bad('roleTypes.%s: only role settings can change' % tname)
            mutable = set(have[tname].get('mutableRoleSettings', []))
            for rname, r in check_obj(t.get('roles', {}), 'roles').items():
                if rname not in have[tname].get('roles', {}):
                    bad("roleTypes: unknown role '%s'" % rname)
                for f, x in check_obj(r, 'role').items():
                    if f not in ('max', 'target') or not (is_int(x) and x > 0):
                        bad('role %s: %s must be a positive integer' % (rname, f))
                    if f not in mutable:
                        bad('role %s: %s is not a mutable role setting' % (rname, f))
                    have[tname]['roles'][rname][f] = x

    def admit(self, w, ctx):
        """Admission checks for a user adding themselves (6.7)."""
        ident = ctx.ident
        if ctx.creating or ident.server or ctx.grant == 'transfer':
            return
        ps = w['properties']['system']
        vis = w['constants']['system']['visibility']
        if vis != 'open':
            raise HttpError(403, 'the session is %s: joining requires a reservation' % vis)
        if ps.get('locked'):
            if ident.xuid not in w['former']:
                raise HttpError(403, 'the session is locked: only previous members may rejoin')
        elif ps.get('closed'):
            raise HttpError(403, 'the session is closed: joining requires a reservation')
        jr = ps.get('joinRestriction', 'none')
        if jr != 'none' and ctx.grant != 'invite' and not self.device_match(w, ident):
            raise HttpError(403, 'joinRestriction %s: the caller may not join' % jr)

    def apply_me(self, w, mv, ctx):
        ident = ctx.ident
        if ident.xuid is None:
            raise HttpError(403, 'members.me needs a caller with a XUID claim')
        idx, m = find_member(w, ident.xuid)
        if mv is None:
            if m is not None:
                ctx.removed.append(remove_member(w, idx, ctx.now)['xuid'])
            return
        check_obj(mv, 'members.me')
        for k in mv:
            if k not in ('constants', 'roles', 'properties'):
                bad("members.me: unknown key '%s'" % k)
        csys, ccust = check_bag(mv.get('constants', {}), 'members.me.constants')
        for k, v in csys.items():
            if k == 'xuid':
                if not isinstance(v, str) or not XUID_RE.match(v):
                    bad('members.me.constants.system.xuid must be a decimal string')
                if str(int(v)) != ident.xuid:
                    bad('members.me.constants.system.xuid does not match the caller')
            elif k == 'initialize':
                check_bool(v, 'members.me.constants.system.initialize')
            else:
                bad("members.me.constants.system: unknown key '%s'" % k)
        if m is None:
            self.admit(w, ctx)
            idx = w['next']
            w['next'] += 1
            sysc = {'xuid': ident.xuid}
            if csys.get('initialize'):
                sysc['initialize'] = True
            m = {'xuid': ident.xuid, 'constants': {'system': sysc, 'custom': copy.deepcopy(ccust)},
                 'properties': {'system': {}, 'custom': {}}, 'roles': None,
                 'reserved': False, 'joinTime': ctx.now, 'since': ctx.now}
            w['members'][idx] = m
        else:
            stored = m['constants']
            for k, v in csys.items():
                if k == 'xuid':
                    continue
                if stored['system'].get(k, False if k == 'initialize' else MISSING) != v:
                    raise HttpError(409, 'member constants cannot change (%s)' % k)
            for k, v in ccust.items():
                if stored['custom'].get(k, MISSING) != v:
                    raise HttpError(409, 'member constants cannot change (custom.%s)' % k)
            if m['reserved']:
                m['reserved'] = False
                m['since'] = ctx.now
        if ident.gamertag:
            m['gamertag'] = ident.gamertag
        if ident.device:
            m['device'] = ident.device
        if 'roles' in mv:
            self.apply_roles(w, m, mv['roles'])
        psys, pcust = check_bag(mv.get('properties', {}), 'members.me.properties')
        self.apply_member_system(w, idx, m, psys, ctx)
        merge_custom(m['properties']['custom'], pcust)
        if member_status(m) == 'active' and ident.title:
            m['activeTitleId'] = ident.title
        elif member_status(m) != 'active':
            m.pop('activeTitleId', None)

    def apply_roles(self, w, m, roles):
        if roles is None:
            m['roles'] = None
            return
        check_obj(roles, 'members.me.roles')
        rts = w.get('roleTypes') or {}
        cur = dict(m.get('roles') or {})
        for tname, rname in roles.items():
            if tname not in rts:
                bad("roles: unknown role type '%s'" % tname)
            if rname is None:
                cur.pop(tname, None)
                continue
            if not isinstance(rname, str) or rname not in rts[tname].get('roles', {}):
                bad("roles: unknown role %s" % json.dumps(rname))
            if cur.get(tname) == rname:
                continue
            mx = rts[tname]['roles'][rname].get('max')
            taken = sum(1 for o in w['members'].values()
                        if o is not m and (o.get('roles') or {}).get(tname) == rname)
            if mx is not None and taken >= mx:
                raise HttpError(409, "role '%s' is full" % rname)
            cur[tname] = rname
        m['roles'] = cur or None

    def apply_member_system(self, w, idx, m, psys, ctx):
        ps = m['properties']['system']
        large = is_large(w)
        active = ps.get('active', False)
        ready = ps.get('ready', False)
        for k, v in psys.items():
            what = 'members.me.properties.system.' + k
            if k not in MEMBER_SYS_KEYS:
                bad("members.me.properties.system: unknown key '%s'" % k)
            if k in ('active', 'ready'):
                check_bool(v, what)
            elif k == 'connection':
                if not isinstance(v, str):
                    bad(what + ' must be a string')
                ps[k] = v
            elif k == 'subscription':
                if large:
                    bad('subscriptions are not available on large sessions')
                check_obj(v, what)
                for f in v:
                    if f not in ('id', 'changeTypes'):
                        bad("%s: unknown key '%s'" % (what, f))
                if 'id' in v and not isinstance(v['id'], str):
                    bad(what + '.id must be a string')
                ct = check_str_list(v.get('changeTypes', []), what + '.changeTypes')
                for c in ct:
                    norm_enum(c, CHANGE_TYPES, what + '.changeTypes')
                if ct:
                    ps[k] = copy.deepcopy(v)
                else:
                    ps.pop(k, None)
            elif k == 'subscriptions':
                if large:
                    bad('subscriptions are not available on large sessions')
                subs = dict(ps.get(k, {}))
                for sid, sv in check_obj(v, what).items():
                    if sv is None:
                        subs.pop(sid, None)
                    else:
                        subs[sid] = copy.deepcopy(check_obj(sv, what + '.' + sid))
                if subs:
                    ps[k] = subs
                else:
                    ps.pop(k, None)
            elif k == 'secureDeviceAddress':
                if not isinstance(v, str):
                    bad(what + ' must be a string')
                if not w['constants']['system'].get('capabilities', {}).get('connectivity'):
                    bad("secureDeviceAddress requires the 'connectivity' capability")
                if v == '':
                    ps.pop(k, None)
                    m.pop('deviceToken', None)
                    m.pop('nat', None)
                    continue
                try:
                    m['deviceToken'], m['nat'] = device_token(v)
                except (binascii.Error, ValueError):
                    bad(what + ' must be base64')
                ps[k] = v
            elif k == 'initializationGroup':
                if large:
                    bad('initializationGroup is not available on large sessions')
                check_int_list(v, what)
                if any(n >= w['next'] for n in v):
                    bad(what + ': index out of range')
                ps[k] = list(v) + ([idx] if idx not in v else [])
            elif k in ('groups', 'encounters'):
                check_str_list(v, what)
                if k == 'groups':
                    ps[k] = list(v)
            elif k in ('measurements', 'serverMeasurements', 'rolePreference'):
                ps[k] = copy.deepcopy(check_obj(v, what))
        if psys.get('active') is True and psys.get('ready') is True:
            bad('ready and active cannot both be true')
        if 'active' in psys:
            active = psys['active']
            if active:
                ready = False
        if 'ready' in psys:
            ready = psys['ready']
            if ready:
                active = False
        set_status(m, active, ready, ctx.now)
        tok = (m.get('deviceToken') or '').lower()
        if tok and any(t.lower() == tok for t in ps.get('measurements', {})):
            bad("measurements must not include the member's own device token")

    def apply_reservation(self, w, mk, mv, ctx):
        if is_large(w):
            raise HttpError(409, 'large sessions do not allow reservations')
        check_obj(mv, 'members.' + mk)
        for k in mv:
            if k != 'constants':
                bad("members.%s: only constants may be sent" % mk)
        csys, ccust = check_bag(mv.get('constants', {}), 'members.%s.constants' % mk)
        xuid = csys.get('xuid')
        if not isinstance(xuid, str) or not XUID_RE.match(xuid) or int(xuid) == 0:
            bad('members.%s.constants.system.xuid must be a decimal XUID string' % mk)
        for k, v in csys.items():
            if k == 'initialize':
                check_bool(v, 'members.%s.constants.system.initialize' % mk)
            elif k != 'xuid':
                bad("members.%s.constants.system: unknown key '%s'" % (mk, k))
        xuid = str(int(xuid))
        if find_member(w, xuid)[1] is not None:
            return
        sysc = {'xuid': xuid}
        if csys.get('initialize'):
            sysc['initialize'] = True
        w['members'][w['next']] = {
            'xuid': xuid, 'constants': {'system': sysc, 'custom': copy.deepcopy(ccust)},
            'properties': {'system': {}, 'custom': {}}, 'roles': None,
            'reserved': True, 'joinTime': ctx.now, 'since': ctx.now}
        w['next'] += 1

    def apply_properties(self, w, bag, ctx):
        psys, pcust = check_bag(bag, 'properties')
        ps = w['properties']['system']
        large = is_large(w)
        for k, v in psys.items():
            what = 'properties.system.' + k
            if k == 'keywords':
                check_str_list(v, what)
                if w['constants']['system']['visibility'] == 'private':
                    bad('keywords are not allowed on private sessions')
                ps[k] = list(v)
            elif k == 'turn':
                if large:
                    bad('turn is not available on large sessions')
                check_int_list(v, what)
                if any(i not in w['members'] for i in v):
                    bad('turn: every index must be a member')
                ps[k] = list(v)
            elif k in ('joinRestriction', 'readRestriction'):
                ps[k] = norm_enum(v, RESTRICTIONS, what)
                if large and k == 'joinRestriction' and ps[k] != 'none':
                    bad('large sessions accept only joinRestriction none')
            elif k in ('closed', 'locked', 'allocateCloudCompute', 'matchmakingResubmit'):
                ps[k] = check_bool(v, what)
            elif k == 'matchmaking':
                check_obj(v, what)
                mm = dict(ps.get(k, {}))
                for f, x in v.items():
                    if f == 'targetSessionConstants':
                        check_obj(x, what + '.' + f)
                    elif f == 'serverConnectionString':
                        if not isinstance(x, str):
                            bad(what + '.serverConnectionString must be a string')
                    else:
                        bad("%s: unknown key '%s'" % (what, f))
                    mm[f] = copy.deepcopy(x)
                ps[k] = mm
            elif k == 'initializationSucceeded':
                check_bool(v, what)
                bad('initializationSucceeded is only valid while initializing.stage is evaluating')
            elif k == 'host':
                if not isinstance(v, str):
                    bad(what + ' must be a string')
                if large:
                    bad('host is not available on large sessions')
                if any((m.get('deviceToken') or '').lower() == v.lower() and v
                       for m in w['members'].values()):
                    ps[k] = v
                # otherwise silently dropped (6.9)
            elif k == 'serverConnectionStringCandidates':
                ps[k] = list(check_str_list(v, what))
            else:
                bad("properties.system: unknown key '%s'" % k)
        merge_custom(w['properties']['custom'], pcust)

    def apply_servers(self, w, servers):
        check_obj(servers, 'servers')
        for name, sv in servers.items():
            if sv is None:
                w['servers'].pop(name, None)
                continue
            check_obj(sv, 'servers.' + name)
            for k in sv:
                if k not in ('constants', 'properties'):
                    bad("servers.%s: unknown key '%s'" % (name, k))
            entry = w['servers'].setdefault(
                name, {'constants': {'system': {}, 'custom': {}},
                       'properties': {'system': {}, 'custom': {}}})
            csys, ccust = check_bag(sv.get('constants', {}), 'servers.%s.constants' % name)
            for part, val in (('system', csys), ('custom', ccust)):
                for k, v in val.items():
                    if v is None and part == 'system':
                        bad('servers.%s.constants.system.%s must not be null' % (name, k))
                    old = entry['constants'][part].get(k, MISSING)
                    if old is not MISSING and old != v:
                        raise HttpError(409, 'server constants cannot change')
                    entry['constants'][part][k] = copy.deepcopy(v)
            psys, pcust = check_bag(sv.get('properties', {}), 'servers.%s.properties' % name)
            for k, v in psys.items():
                if v is None:
                    entry['properties']['system'].pop(k, None)
                else:
                    entry['properties']['system'][k] = copy.deepcopy(v)
            merge_custom(entry['properties']['custom'], pcust)

    def post_validate(self, w, ctx):
        cs = w['constants']['system']
        ps = w['properties']['system']
        if len(w['members']) > cs['maxMembersCount']:
            bad('the session is full (maxMembersCount %d)' % cs['maxMembersCount'])
        if ps.get('locked') and not ps.get('closed'):
            bad('locked requires closed')
        jr = RESTRICTIONS[ps.get('joinRestriction', 'none')]
        rr = RESTRICTIONS[ps.get('readRestriction', 'none')]
        if rr > jr:
            bad('readRestriction must be at least as permissive as joinRestriction')
        host = ps.get('host')
        if host and not any((m.get('deviceToken') or '').lower() == host.lower()
                            for m in w['members'].values()):
            ps.pop('host')
        if not w['members']:
            if w['emptySince'] is None:
                w['emptySince'] = ctx.now
        else:
            w['emptySince'] = None

    # ------------------------------------------------------------------ admin member hook

    def admin_member(self, body):
        ref = self.parse_ref(body, 'member hook')
        key = self.key(ref)
        with self.lock_for(key):
            now = self.clock.now()
            s = self.load(key, now)
            if s is None:
                raise HttpError(404, 'session not found')
            w = copy.deepcopy(s)
            if 'index' in body:
                idx, m = body['index'], w['members'].get(body['index'])
            else:
                idx, m = find_member(w, str(body.get('xuid')))
            if m is None:
                raise HttpError(404, 'member not found')
            ps = m['properties']['system']
            if body.get('remove'):
                remove_member(w, idx, now)
                self.drop_activity_handles(key, [m['xuid']])
            else:
                set_status(m, body.get('active', ps.get('active', False)),
                           body.get('ready', ps.get('ready', False)), now)
                if m['reserved'] and (ps.get('active') or ps.get('ready')):
                    m['reserved'] = False
            if not w['members'] and w['constants']['system'].get('sessionEmptyTimeout') == 0:
                del self.sessions[key]
                return Response(204)
            if not w['members'] and w['emptySince'] is None:
                w['emptySince'] = now
            if state_signature(w) != state_signature(s):
                w['changeNumber'] += 1
                w['etag'] = self.new_etag()
                self.sessions[key] = w
            return jsonresp(200, render(w, None, 107), [('ETag', w['etag'])])

    def dump(self):
        with self.lock:
            snapshot = dict(self.sessions)
            sessions = {'~'.join(k): copy.deepcopy(v) for k, v in snapshot.items()}
            for v in sessions.values():
                v['members'] = {str(i): m for i, m in v['members'].items()}
            return {'nowMs': self.clock.now(), 'options': dict(self.options),
                    'fault': dict(self.fault), 'sessions': sessions,
                    'handles': [self.public_handle(h) for h in self.handles.values()],
                    'templates': sorted(t['name'] for t in self.templates.values())}


def etag_matches(header, etag):
    for part in header.split(','):
        p = part.strip()
        if p.startswith('W/'):
            p = p[2:]
        if len(p) >= 2 and p[0] == '"' and p[-1] == '"':
            p = p[1:-1]
        if p == '*' or p == etag:
            return True
    return False


# --------------------------------------------------------------------------- faults

def parse_fault(spec):
    """Parse a fault spec into a dict; raises ValueError on nonsense."""
    f = {}
    for item in (spec or '').split(','):
        item = item.strip().lower()
        if not item:
            continue
        name, _, arg = item.partition('=')
        if arg and not arg.isdigit():
            raise ValueError('bad fault argument: ' + item)
        n = int(arg) if arg else None
        if name == 'chunked':
            f['chunked'] = max(1, n or 7)
        elif name == 'drip':
            f['drip'] = min(1000, 2 if n is None else n)
        elif name == 'close':
            if n is None:
                raise ValueError('close needs a byte count: close=N')
            f['close'] = n
        elif name == 'delay':
            f['delay'] = min(30000, n or 0)
        elif name in ('429', '503'):
            f['status'] = int(name)
            f['retry'] = 1 if n is None else min(n, 3600)
        else:
            raise ValueError('unknown fault: ' + name)
    return f


# --------------------------------------------------------------------------- HTTP

def split_path(path):
    return [p for p in path.split('/') if p]


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'mpsd-emulator/1.0'
    timeout = 120
    error_content_type = 'text/plain'
    error_message_format = '%(code)d %(message)s\n'

    def log_message(self, fmt, *args):
        sys.stderr.write('%s %s\n' % (self.address_string(), fmt % args))

    def do_GET(self):
        self.dispatch('GET')

    def do_PUT(self):
        self.dispatch('PUT')

    def do_POST(self):
        self.dispatch('POST')

    def do_DELETE(self):
        self.dispatch('DELETE')

    def read_body(self):
        te = (self.headers.get('Transfer-Encoding') or '').lower()
        if 'chunked' in te:
            out = b''
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b'\r\n', b'\n', b''):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline(8)
                if len(out) > MAX_BODY:
                    raise HttpError(413, 'request body too large')
        n = int(self.headers.get('Content-Length') or 0)
        if n < 0 or n > MAX_BODY:
            raise HttpError(413, 'request body too large')
        return self.rfile.read(n) if n else b''

    def dispatch(self, method):
        emu = self.server.emu
        fault = {}
        try:
            try:
                body = self.read_body()
            except ValueError:
                self.close_connection = True
                raise HttpError(400, 'malformed request body framing')
            path, _, query = self.path.partition('?')
            if path.lower() == '/_emu' or path.lower().startswith('/_emu/'):
                resp = self.admin(method, path.lower(), body)
            else:
                hdr = self.headers.get('x-emu-fault')
                try:
                    if hdr is not None:
                        fault = parse_fault(hdr)
                    else:
                        with emu.lock:
                            g = emu.fault
                            if g['spec'] and g['count'] != 0:
                                fault = parse_fault(g['spec'])
                                if g['count'] is not None:
                                    g['count'] -= 1
                except ValueError as e:
                    raise HttpError(400, 'x-emu-fault: %s' % e)
                if 'status' in fault:
                    resp = self.fault_status(fault)
                else:
                    resp = self.mpsd(method, path, query, body)
        except HttpError as e:
            resp = text(e.status, e.message)
        except Exception as e:  # keep the server alive, report the bug
            traceback.print_exc()
            resp = text(500, 'internal emulator error: %s' % e)
        self.send(resp, fault, method)

    def fault_status(self, fault):
        hdrs = [('Retry-After', str(fault['retry']))]
        if fault['status'] == 429:
            return jsonresp(429, {'version': 1, 'currentRequests': 31, 'maxRequests': 30,
                                  'periodInSeconds': 15, 'limitType': 'rate'}, hdrs)
        return text(503, 'service unavailable (injected)', hdrs)

    # ------------------------------------------------------------------ sending

    def send(self, resp, fault, method):
        emu = self.server.emu
        if fault.get('delay'):
            time.sleep(fault['delay'] / 1000.0)
        status = resp.status
        no_body = status in (204, 304)
        body = b'' if no_body else resp.body
        head = ['HTTP/1.1 %d %s' % (status, REASONS.get(status, 'Status'))]
        head.append('Date: ' + http_date(emu.clock.now()))
        head.append('Server: ' + self.server_version)
        for k, v in resp.headers:
            head.append('%s: %s' % (k, v))
        chunked = fault.get('chunked') if not no_body else None
        if chunked:
            head.append('Transfer-Encoding: chunked')
            payload = b''
            for i in range(0, len(body), chunked):
                piece = body[i:i + chunked]
                payload += b'%x\r\n' % len(piece) + piece + b'\r\n'
            payload += b'0\r\n\r\n'
        else:
            head.append('Content-Length: %d' % len(body))
            payload = body
        if self.close_connection or 'close' in fault:
            head.append('Connection: close')
            self.close_connection = True
        data = ('\r\n'.join(head) + '\r\n\r\n').encode('latin-1') + payload
        note = ''
        if fault:
            note = ' fault=' + ','.join('%s=%s' % kv for kv in sorted(fault.items()))
        sys.stderr.write('%s "%s" %d %d%s\n' % (self.client_address[0], self.requestline,
                                                status, len(body), note))
        try:
            if 'close' in fault:
                data = data[:fault['close']]
            if 'drip' in fault:
                deadline = time.time() + 20.0
                for i in range(len(data)):
                    if time.time() > deadline:
                        self.wfile.write(data[i:])
                        break
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()
                    if fault['drip']:
                        time.sleep(fault['drip'] / 1000.0)
            else:
                self.wfile.write(data)
            self.wfile.flush()
            if 'close' in fault:
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True

    # ------------------------------------------------------------------ admin

    def admin(self, method, path, body):
        emu = self.server.emu
        try:
            data = json.loads(body.decode('utf-8')) if body.strip() else {}
        except (ValueError, UnicodeDecodeError):
            raise HttpError(400, 'admin body must be JSON')
        route = (method, path.rstrip('/'))
        if route == ('GET', '/_emu/health'):
            return jsonresp(200, {'ok': True})
        if route == ('GET', '/_emu/state'):
            return jsonresp(200, emu.dump())
        if route == ('POST', '/_emu/reset'):
            emu.reset()
            return jsonresp(200, {'ok': True})
        if route[1] == '/_emu/clock' and method in ('GET', 'POST'):
            if method == 'POST':
                check_obj(data, 'clock')
                if 'freeze' in data:
                    emu.clock.freeze(bool(data['freeze']))
                adv = data.get('advanceMs', 0)
                if not is_int(adv) or adv < 0:
                    bad('advanceMs must be a non-negative integer')
                emu.clock.advance(adv)
            now = emu.clock.now()
            return jsonresp(200, {'nowMs': now, 'now': iso(now),
                                  'frozen': emu.clock.frozen_at is not None})
        if route[1] == '/_emu/faults' and method in ('GET', 'POST'):
            if method == 'POST':
                check_obj(data, 'faults')
                spec = data.get('fault') or ''
                count = data.get('count')
                if count is not None and (not is_int(count) or count < 0):
                    bad('count must be a non-negative integer')
                try:
                    parse_fault(spec)
                except ValueError as e:
                    bad(str(e))
                with emu.lock:
                    emu.fault = {'spec': spec, 'count': count}
            with emu.lock:
                return jsonresp(200, dict(emu.fault))
        if route == ('POST', '/_emu/options'):
            check_obj(data, 'options')
            if 'missingSessionStatus' in data:
                if data['missingSessionStatus'] not in (404, 412):
                    bad('missingSessionStatus must be 404 or 412')
                emu.options['missingSessionStatus'] = data['missingSessionStatus']
            return jsonresp(200, dict(emu.options))
        if route == ('POST', '/_emu/handles'):
            h = emu.make_handle(data, None, admin=True)
            return jsonresp(201, emu.public_handle(h))
        if route == ('POST', '/_emu/member'):
            return emu.admin_member(check_obj(data, 'member hook'))
        if route == ('POST', '/_emu/templates'):
            check_obj(data, 'templates')
            if not isinstance(data.get('name'), str) or not NAME_RE.match(data['name']):
                bad('name must be a template name')
            emu.add_template(data['name'], data.get('template'))
            return jsonresp(200, {'ok': True})
        raise HttpError(404, 'unknown admin endpoint')

    # ------------------------------------------------------------------ MPSD

    def mpsd(self, method, path, query, body):
        emu = self.server.emu
        segs = split_path(path)
        low = [s.lower() for s in segs]
        handle = None
        sub = []
        if len(segs) >= 6 and low[0] == 'serviceconfigs' and low[2] == 'sessiontemplates' \
                and low[4] == 'sessions':
            ref = (segs[1], segs[3], segs[5])
            sub = low[6:]
            if not SCID_RE.match(ref[0]) or not NAME_RE.match(ref[1]) \
                    or not NAME_RE.match(ref[2]):
                raise HttpError(404, 'malformed session URI')
            kind = 'session'
        elif low[:1] == ['handles']:
            kind = 'handles'
            ref = None
        else:
            raise HttpError(404, 'no such resource')
        allowed = {(): ('GET', 'PUT'), ('properties',): ('PUT',),
                   ('members', 'me'): ('DELETE',)}
        if kind == 'session':
            st = tuple(sub)
            if len(st) == 2 and st[0] in ('members', 'servers'):
                methods = ('DELETE',)
            else:
                methods = allowed.get(st)
            if methods is None:
                raise HttpError(404, 'no such resource')
        elif len(segs) == 1:
            methods = ('POST',)
        elif len(segs) == 2:
            methods = ('GET', 'DELETE')
        elif len(segs) == 3 and low[2] == 'session':
            methods = ('GET', 'PUT')
        else:
            raise HttpError(404, 'no such resource')
        if method not in methods:
            return text(405, 'method not allowed', [('Allow', ', '.join(methods))])
        if kind == 'handles' and len(segs) >= 2:
            with emu.lock:
                handle = emu.handles.get(segs[1].lower())
            if handle is None:
                raise HttpError(404, 'handle not found')
        ident = parse_identity(self.headers.get('Authorization'))
        if ident is None:
            raise HttpError(401, 'missing or invalid Authorization')
        if kind == 'session' and ref[1].lower() not in emu.templates:
            raise HttpError(404, 'unknown session template')
        cv = (self.headers.get('x-xbl-contract-version') or '').strip()
        if not cv.isdigit() or int(cv) < 104:
            raise HttpError(400, 'x-xbl-contract-version must be 104 or later')
        contract = int(cv)
        if kind == 'handles':
            if len(segs) == 1:
                h = emu.make_handle(self.parse_json(body), ident, admin=False)
                return jsonresp(201, emu.public_handle(h))
            if len(segs) == 2:
                if method == 'GET':
                    return jsonresp(200, emu.public_handle(handle))
                with emu.lock:
                    emu.handles.pop(segs[1].lower(), None)
                return Response(204)
            r = handle['sessionRef']
            ref = (r['scid'], r['templateName'], r['name'])
        loc = '/serviceconfigs/%s/sessiontemplates/%s/sessions/%s' % ref
        grant = emu.handle_grant(handle, ident)
        try:
            if method == 'GET':
                return emu.get_session(ref, loc, self.headers, ident, contract, grant)
            nocommit = 'nocommit=true' in query.lower().split('&')
            props_only = False
            if method == 'DELETE':
                if sub[0] == 'members':
                    data = {'members': {'me' if sub[1] == 'me' else sub[1]: None}}
                else:
                    data = {'servers': {segs[7]: None}}
            elif sub == ['properties']:
                data = {'properties': self.parse_json(body)}
                props_only = True
            else:
                data = self.parse_json(body)
            return emu.put_session(ref, loc, self.headers, data, ident, contract, grant,
                                   properties_only=props_only, nocommit=nocommit)
        except HttpError as e:
            return text(e.status, e.message, [('Content-Location', loc)])

    @staticmethod
    def parse_json(body):
        def no_const(c):
            raise ValueError('invalid JSON constant ' + c)
        try:
            data = json.loads(body.decode('utf-8'), parse_constant=no_const)
        except (ValueError, UnicodeDecodeError) as e:
            raise HttpError(400, 'malformed JSON: %s' % e)
        if not isinstance(data, dict):
            raise HttpError(400, 'the request body must be a JSON object')
        return data


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def load_templates(path):
    with open(path, 'r', encoding='utf-8') as f:
        data = json.load(f)
    if not isinstance(data, dict) or not isinstance(data.get('templates'), dict):
        raise ValueError('%s: expected {"templates": {...}}' % path)
    return data['templates']


def make_server(host='127.0.0.1', port=0, templates_path=None, tls_cert=None, tls_key=None):
    """Build a ready server (not yet serving). Usable in-process from tests."""
    if templates_path is None:
        templates_path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                      'templates.json')
    emu = Emulator(load_templates(templates_path))
    srv = Server((host, port), Handler)
    srv.emu = emu
    if tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls_cert, tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
    return srv


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog='mpsd_emulator.py',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=__doc__.split('USAGE', 1)[0].strip(),
        epilog=__doc__.split('MPSD ENDPOINTS', 1)[1].join(['MPSD ENDPOINTS', '']))
    ap.add_argument('--host', default='127.0.0.1', help='address to bind (default 127.0.0.1)')
    ap.add_argument('--port', type=int, default=DEFAULT_PORT,
                    help='port to bind; 0 picks a free one (default %d)' % DEFAULT_PORT)
    ap.add_argument('--templates', default=None,
                    help='template config JSON (default: templates.json next to this script)')
    ap.add_argument('--tls-cert', default=None, help='PEM certificate: serve HTTPS')
    ap.add_argument('--tls-key', default=None, help='PEM private key for --tls-cert')
    args = ap.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error('--tls-cert and --tls-key go together')
    try:
        srv = make_server(args.host, args.port, args.templates, args.tls_cert, args.tls_key)
    except (OSError, ValueError, HttpError, ssl.SSLError) as e:
        sys.stderr.write('mpsd_emulator: %s\n' % e)
        return 1
    host, port = srv.server_address[:2]

    def stop(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    # Before the listening line: a script may signal as soon as it reads it.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stdout.write('listening on %s:%d\n' % (host, port))
    sys.stdout.flush()
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
    sys.stderr.write('mpsd_emulator: stopped\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
