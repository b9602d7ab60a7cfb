"""The handle store: activity, invite, transfer and search handles.

Handles live in Emulator.handles (lower-case ID -> dict); keys starting with
'_' are private: '_key' the session the handle points at, '_origin' a
transfer's origin session, '_creator' the XUID that made a search handle,
'_seq' the creation order. Every lifetime rule runs in on_session_commit,
one of Emulator.observers: a deleted session takes its handles with it, and
an activity handle goes when its owner leaves or goes inactive.

Lock order: a session's lock_for(key), then Emulator.lock; never the other
way, and never two session locks at once.
"""

import copy
import itertools
import json
import math
import re
import urllib.parse
import uuid
from .common import (HttpError, Response, XUID_RE, bad, is_int, iso)
from .session import (check_obj, find_member, member_status)

HANDLE_TYPES = ('activity', 'invite', 'transfer', 'search')
SEARCH_NAME_RE = re.compile(r'^[A-Za-z]\S{0,98}$')
TITLE_RE = re.compile(r'^[0-9]{1,10}$')
INVITE_LIFETIME_MS = 24 * 3600 * 1000
MAX_CONTEXT = 256


def check_search_name(v, what):
    if not isinstance(v, str) or not SEARCH_NAME_RE.match(v):
        bad('%s: %s must start with a letter, hold no spaces and be under 100 characters'
            % (what, json.dumps(v)))
    return v


def check_search_attributes(v):
    """Validated copy of searchAttributes (keys in the order tags, numbers, strings)."""
    check_obj(v, 'searchAttributes')
    for k in v:
        if k not in ('tags', 'numbers', 'strings'):
            bad("searchAttributes: unknown key '%s'" % k)
    out = {}
    if 'tags' in v:
        if not isinstance(v['tags'], list):
            bad('searchAttributes.tags must be an array of strings')
        out['tags'] = [check_search_name(t, 'searchAttributes.tags') for t in v['tags']]
    if 'numbers' in v:
        for name, n in check_obj(v['numbers'], 'searchAttributes.numbers').items():
            check_search_name(name, 'searchAttributes.numbers')
            if isinstance(n, bool) or not isinstance(n, (int, float)) or not math.isfinite(n):
                bad('searchAttributes.numbers.%s must be a finite number' % name)
        out['numbers'] = dict(v['numbers'])
    if 'strings' in v:
        for name, s in check_obj(v['strings'], 'searchAttributes.strings').items():
            check_search_name(name, 'searchAttributes.strings')
            if not isinstance(s, str):
                bad('searchAttributes.strings.%s must be a string' % name)
        out['strings'] = dict(v['strings'])
    return out


def check_invite_attributes(v):
    check_obj(v, 'inviteAttributes')
    if 'titleId' in v:
        t = v['titleId']
        if not isinstance(t, str) or not TITLE_RE.match(t) or int(t) >= 1 << 32:
            bad('inviteAttributes.titleId must be a decimal uint32 string')
    for k in ('contextString', 'context', 'senderString'):
        if k in v and not isinstance(v[k], str):
            bad('inviteAttributes.%s must be a string' % k)
    if len(urllib.parse.quote(v.get('context', ''), safe='')) > MAX_CONTEXT:
        bad('inviteAttributes.context must be at most %d characters once URI-encoded'
            % MAX_CONTEXT)
    return copy.deepcopy(v)


class HandleStore:
    """Mixed into Emulator: needs sessions, handles, lock, lock_for, load, clock."""

    handle_seq = itertools.count()

    # ------------------------------------------------------------------ create

    def make_handle(self, body, ident, admin):
        """POST /handles (admin: /_emu/handles, no identity or session checks)."""
        check_obj(body, 'handle')
        if not is_int(body.get('version')) or body.get('version') != 1:
            bad('handle version must be 1')
        htype = body.get('type')
        if htype not in HANDLE_TYPES:
            bad('handle type must be activity, invite, transfer or search')
        ref = self.parse_ref(body.get('sessionRef'), 'sessionRef', allow_no_name=True)
        if not admin and ref[1].lower() not in self.templates:
            raise HttpError(404, 'unknown session template')
        h = {'id': str(body['id']) if admin and body.get('id') else str(uuid.uuid4()),
             'type': htype, 'version': 1}
        if htype == 'search':
            h['createTime'] = iso(self.clock.now())
        h['sessionRef'] = {'scid': ref[0], 'templateName': ref[1], 'name': ref[2]}
        h['_key'] = self.key(ref)
        h['_seq'] = next(self.handle_seq)
        getattr(self, 'new_%s_handle' % htype)(h, body, ident, admin)
        return h

    def new_activity_handle(self, h, body, ident, admin):
        key = h['_key']
        with self.lock_for(key):
            if admin:
                owner = body.get('ownerXuid')
                title = body.get('titleId')
            else:
                if ident.xuid is None:
                    raise HttpError(403, 'activity handles need a caller with a XUID claim')
                s = self.load(key, self.clock.now())
                m = find_member(s, ident.xuid)[1] if s is not None else None
                if m is None or m['reserved']:
                    raise HttpError(403, 'the caller is not a member of the session')
                owner, title = ident.xuid, ident.title
            if title:
                h['titleId'] = str(title)
            if owner:
                h['ownerXuid'] = str(owner)
            with self.lock:
                if owner:   # one activity per user per SCID
                    for hid in [k for k, v in self.handles.items()
                                if v['type'] == 'activity' and v.get('ownerXuid') == str(owner)
                                and v['_key'][0] == key[0]]:
                        del self.handles[hid]
                self.handles[h['id'].lower()] = h

    def new_invite_handle(self, h, body, ident, admin):
        inv = body.get('invitedXuid')
        if not isinstance(inv, str) or not XUID_RE.match(inv):
            bad('invitedXuid must be a decimal XUID string')
        h['invitedXuid'] = inv
        sender = body.get('senderXuid') if admin else ident.xuid
        if sender:
            h['senderXuid'] = str(sender)
        if 'inviteAttributes' in body:
            h['inviteAttributes'] = check_invite_attributes(body['inviteAttributes'])
        h['expiration'] = iso(self.clock.now() + INVITE_LIFETIME_MS)
        with self.lock:
            self.handles[h['id'].lower()] = h

    def new_transfer_handle(self, h, body, ident, admin):
        o = self.parse_ref(body.get('originSessionRef'), 'originSessionRef')
        h['originSessionRef'] = {'scid': o[0], 'templateName': o[1], 'name': o[2]}
        h['_origin'] = self.key(o)
        if not admin and not self.is_member(h['_origin'], ident.xuid):
            raise HttpError(403, 'caller is not a member of the origin session')
        with self.lock:
            self.handles[h['id'].lower()] = h

    def new_search_handle(self, h, body, ident, admin):
        attrs = check_search_attributes(body.get('searchAttributes', {}))
        key = h['_key']
        with self.lock_for(key):
            s = self.load(key, self.clock.now())
            if not admin:
                if s is None:
                    raise HttpError(404, 'session not found')
                if not s['constants']['system'].get('capabilities', {}).get('searchable'):
                    bad("search handles need the session's 'searchable' capability")
                if not ident.server and find_member(s, ident.xuid)[1] is None:
                    raise HttpError(403, 'the caller is not a member of the session')
            if attrs:
                h['searchAttributes'] = attrs
            h['_creator'] = ident.xuid if ident is not None else None
            with self.lock:   # one per session: the new one replaces the old
                for hid in [k for k, v in self.handles.items()
                            if v['type'] == 'search' and v['_key'] == key]:
                    del self.handles[hid]
                self.handles[h['id'].lower()] = h
            if s is not None:
                self.set_search_handle(key, s, h['id'])

    def set_search_handle(self, key, s, hid):
        """Commit session s with top-level searchHandle = hid (None removes it).
        Called with lock_for(key) held."""
        if s.get('searchHandle') == hid:
            return
        w = copy.deepcopy(s)
        if hid:
            w['searchHandle'] = hid
        else:
            w.pop('searchHandle', None)
        w['changeNumber'] += 1
        w['etag'] = self.new_etag()
        self.sessions[key] = w
        self.notify_commit(key, s, w, 'write')

    # ------------------------------------------------------------------ read / delete

    @staticmethod
    def public_handle(h):
        return {k: v for k, v in h.items() if not k.startswith('_')}

    def is_member(self, key, xuid):
        if xuid is None:
            return False
        with self.lock_for(key):
            s = self.load(key, self.clock.now())
            return s is not None and find_member(s, xuid)[1] is not None

    def may_delete(self, h, ident):
        me = ident.xuid
        if me is None:
            return False
        t = h['type']
        if t == 'activity':
            return h.get('ownerXuid') == me
        if t == 'invite':
            return me in (h.get('senderXuid'), h.get('invitedXuid'))
        if t == 'search':
            return h.get('_creator') == me or self.is_member(h['_key'], me)
        return self.is_member(h['_origin'], me) or self.is_member(h['_key'], me)

    def delete_handle(self, h, ident):
        """DELETE /handles/{id}: 204, or 403 for a caller who may not."""
        if not self.may_delete(h, ident):
            raise HttpError(403, 'the caller may not delete this %s handle' % h['type'])
        key, hid = h['_key'], h['id'].lower()
        with self.lock_for(key):
            with self.lock:
                self.handles.pop(hid, None)
            if h['type'] == 'search':
                s = self.load(key, self.clock.now())
                if s is not None and (s.get('searchHandle') or '').lower() == hid:
                    self.set_search_handle(key, s, None)
        return Response(204)

    def handle_grant(self, h, ident):
        if h is None or ident is None or ident.xuid is None:
            return None
        if h['type'] == 'invite' and h.get('invitedXuid') == ident.xuid:
            return 'invite'
        if h['type'] == 'transfer':
            origin = self.sessions.get(h['_origin'])
            if origin is not None:
                _, m = find_member(origin, ident.xuid)
                if m is not None and not m['reserved']:
                    return 'transfer'
        return None

    # ------------------------------------------------------------------ lifetimes

    def on_session_commit(self, event):
        """Observer: drop the handles a committed session change ends."""
        key, before, after = event['key'], event['before'], event['after']
        with self.lock:
            for hid, h in list(self.handles.items()):
                if h['_key'] != key:
                    continue
                if after is None or (h['type'] == 'activity' and
                                     activity_ends(h.get('ownerXuid'), before, after)):
                    del self.handles[hid]


def activity_ends(owner, before, after):
    """The owner was a member before and has left or gone inactive since."""
    was = find_member(before, owner)[1] if before is not None and owner else None
    if was is None:
        return False
    now = find_member(after, owner)[1]
    return now is None or (member_status(now) == 'inactive' and member_status(was) != 'inactive')
