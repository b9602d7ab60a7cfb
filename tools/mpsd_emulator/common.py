"""Constants, HTTP error and response helpers, the clock and caller identities."""

import email.utils
import json
import re
import threading
import time
from datetime import datetime
from datetime import timezone


DEFAULT_PORT = 8910
LARGE_MAX = 1000
MAX_BODY = 1 << 20
NAME_RE = re.compile(r'^[A-Za-z0-9._-]{1,99}$')
SCID_RE = re.compile(r'^[A-Za-z0-9._-]{1,39}$')
GUID_RE = re.compile(r'^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$')
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
           413: 'Payload Too Large', 426: 'Upgrade Required', 429: 'Too Many Requests',
           500: 'Internal Server Error', 503: 'Service Unavailable'}
MISSING = object()


class HttpError(Exception):
    def __init__(self, status, message):
        Exception.__init__(self, message)
        self.status = status
        self.message = message


def fault_items(spec):
    """(item, name, argument) of each item of a comma-separated fault spec, lower case."""
    for item in (spec or '').split(','):
        item = item.strip().lower()
        if item:
            name, _, arg = item.partition('=')
            yield item, name, arg


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
