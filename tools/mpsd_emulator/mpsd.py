"""The MPSD service logic: templates, sessions, writes, handles, the admin state."""

import binascii
import copy
import json
import re
import threading
import traceback
import uuid
from .common import (
    CHANGE_TYPES,
    Clock,
    DEFAULT_CONSTANTS,
    GUID_RE,
    HttpError,
    MEMBER_SYS_KEYS,
    MISSING,
    NAME_RE,
    RESTRICTIONS,
    Response,
    SCID_RE,
    XUID_RE,
    bad,
    http_date,
    is_int,
    jsonresp)
from .session import (
    catch_up,
    check_bag,
    check_bool,
    check_int_list,
    check_obj,
    check_str_list,
    device_token,
    find_member,
    is_large,
    member_status,
    merge_custom,
    next_timer,
    norm_const,
    norm_enum,
    remove_member,
    render,
    set_status,
    state_signature,
    validate_constants,
    validate_role_types)
from .handles import (HandleStore)


class Ctx:
    def __init__(self, ident, now, grant, creating):
        self.ident = ident
        self.now = now
        self.grant = grant
        self.creating = creating


class Emulator(HandleStore):
    def __init__(self, templates, social_graph=None, any_scid=False):
        # The service knows only GUID SCIDs; any_scid (--any-scid) lets test
        # rigs use names such as "MockScid".
        self.any_scid = any_scid
        self.templates = {}
        for name, t in templates.items():
            self.add_template(name, t)
        self.clock = Clock()
        self.lock = threading.Lock()
        self.key_locks = {}
        # Callables fn(event) told of every committed session change (see
        # notify_commit); the RTA endpoint and the dashboard listen here.
        self.observers = [self.on_session_commit]   # handle lifetimes (handles.py)
        self.social_file = social_graph or {}          # --social-graph (social.py)
        # connection_live(connection_id, xuid): is that a live RTA connection of
        # that user? The RTA endpoint installs it (connectionRequiredStrict).
        self.connection_live = lambda cid, xuid: False
        self.reset()

    def reset(self):
        with self.lock:
            self.sessions = {}
            self.correlations = {}
            self.handles = {}
            self.ended_connections = {}     # RTA connection ID -> ms its members are judged
            self.options = {'missingSessionStatus': 412, 'disconnectGraceMs': 30000,
                            'connectionRequiredStrict': False, 'maxSubscriptions': 1000}
            self.social = copy.deepcopy(self.social_file)
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

    def notify_commit(self, key, before, after, cause):
        """Tell the observers that session `key` went from `before` to `after`.

        Called with the session's lock held, after the commit. Either side may
        be None (created / deleted). cause is 'write', 'timer', 'admin' or
        'disconnect' (an RTA connection of active members ended, see
        apply_disconnects).
        Observers must be quick and must not call back into the emulator's
        write path; an observer that raises is reported and skipped.
        """
        event = {'key': key, 'before': before, 'after': after, 'cause': cause,
                 'nowMs': self.clock.now()}
        for fn in list(self.observers):
            try:
                fn(event)
            except Exception:  # an observer's bug must not fail the write
                traceback.print_exc()

    def new_etag(self):
        return uuid.uuid4().hex

    # ------------------------------------------------------------------ references

    def parse_ref(self, r, what, allow_no_name=False):
        check_obj(r, what)
        scid, tmpl, name = r.get('scid'), r.get('templateName'), r.get('name')
        if allow_no_name and name is None:
            name = str(uuid.uuid4())
        for v, rx in ((scid, SCID_RE), (tmpl, NAME_RE), (name, NAME_RE)):
            if not isinstance(v, str) or not rx.match(v):
                bad('%s must hold scid, templateName and name' % what)
        self.check_scid(scid)
        return (scid, tmpl, name)

    def check_scid(self, scid):
        """400 for a SCID that is not a GUID, unless any_scid."""
        if not self.any_scid and not GUID_RE.match(scid):
            bad("SCID '%s' is not a GUID (8-4-4-4-12 hex digits); a service configuration ID "
                "is always one (start the emulator with --any-scid to allow any SCID)" % scid)

    @staticmethod
    def key(ref):
        return tuple(p.lower() for p in ref)

    # ------------------------------------------------------------------ load / timers

    def load(self, key, now):
        """Return the committed session with expired timers applied (committed if changed)."""
        s = self.sessions.get(key)
        if s is None:
            return None
        w = copy.deepcopy(s)
        # who was removed is left to the commit observers (handle lifetimes)
        changed, deleted, _ = catch_up(w, now)
        cause = 'timer'
        if not deleted and self.apply_disconnects(w, now):
            cause = 'disconnect'
            _, deleted, _ = catch_up(w, now)
            changed = True
        if deleted:
            del self.sessions[key]
            self.notify_commit(key, s, None, cause)
            return None
        if changed:
            w['changeNumber'] += 1
            w['etag'] = self.new_etag()
            self.sessions[key] = w
            self.notify_commit(key, s, w, cause)
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
                if cur is not None:
                    self.notify_commit(key, cur, None, 'write')
                return Response(204, headers=[('Content-Location', path)])
            if creating:
                self.sessions[key] = w
                self.notify_commit(key, None, w, 'write')
                return jsonresp(201, render(w, ident, contract), self.session_headers(w, path))
            if state_signature(w) != state_signature(cur):
                w['changeNumber'] = cur['changeNumber'] + 1
                w['etag'] = self.new_etag()
                self.sessions[key] = w
                self.notify_commit(key, cur, w, 'write')
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
                    remove_member(w, int(mk), ctx.now)
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
                remove_member(w, idx, ctx.now)
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
        if psys.get('active') is True and self.options['connectionRequiredStrict'] and \
                w['constants']['system'].get('capabilities', {}).get(
                    'connectionRequiredForActiveMembers') and \
                not self.connection_live(psys.get('connection'), ident.xuid):
            bad('connection required for active members')
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
            else:
                set_status(m, body.get('active', ps.get('active', False)),
                           body.get('ready', ps.get('ready', False)), now)
                if m['reserved'] and (ps.get('active') or ps.get('ready')):
                    m['reserved'] = False
            if not w['members'] and w['constants']['system'].get('sessionEmptyTimeout') == 0:
                del self.sessions[key]
                self.notify_commit(key, s, None, 'admin')
                return Response(204)
            if not w['members'] and w['emptySince'] is None:
                w['emptySince'] = now
            if state_signature(w) != state_signature(s):
                w['changeNumber'] += 1
                w['etag'] = self.new_etag()
                self.sessions[key] = w
                self.notify_commit(key, s, w, 'admin')
            return jsonresp(200, render(w, None, 107), [('ETag', w['etag'])])

    # ------------------------------------------------------------------ RTA disconnects

    def connection_ended(self, cid, due):
        """RTA connection cid ended; its members are judged at emulator time due."""
        with self.lock:
            self.ended_connections[cid] = due

    def apply_disconnects(self, w, now):
        """Set inactive every active member of w whose connection ended and whose
        grace time is over, when w has connectionRequiredForActiveMembers. A
        member that wrote a new connection meanwhile names another ID and is
        left alone. True when something changed."""
        if not w['constants']['system'].get('capabilities', {}).get(
                'connectionRequiredForActiveMembers'):
            return False
        with self.lock:
            due = {c: t for c, t in self.ended_connections.items() if t <= now}
        hit = False
        for m in w['members'].values():
            t = due.get(m['properties']['system'].get('connection'))
            if t is not None and member_status(m) == 'active':
                set_status(m, False, False, t)
                m.pop('activeTitleId', None)
                hit = True
        return hit

    def expire_connections(self):
        """Apply every disconnect whose grace time is over to every session now,
        so that subscribers hear of it without anyone touching the session."""
        now = self.clock.now()
        with self.lock:
            due = [c for c, t in self.ended_connections.items() if t <= now]
            keys = list(self.sessions) if due else []
        for key in keys:
            with self.lock_for(key):
                self.load(key, now)
        with self.lock:
            for c in due:
                self.ended_connections.pop(c, None)

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
