"""The stored session document: member status, timers, rendering and validation.

A stored session is a plain dict that is never mutated after it is committed:
every write works on a deep copy and commits by replacing the dict."""

import base64
import copy
import hashlib
import json
import re
from .common import (
    CAPABILITIES,
    CONST_ORDER,
    HOST_METRICS,
    LARGE_MAX,
    MEMBER_SYS_ORDER,
    PROP_ORDER,
    TIMEOUT_KEYS,
    VISIBILITIES,
    XUID_RE,
    bad,
    is_int,
    iso)


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
