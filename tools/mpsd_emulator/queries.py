"""Queries: POST /handles/query (activities, search handles) and session queries.

Sessions are read through Emulator.load, so their timers are caught up exactly
as a GET would see them; handles are collected again after the loads, because
a timer that fires can end an activity handle.
"""

import urllib.parse
from .common import (HttpError, NAME_RE, SCID_RE, bad, iso, jsonresp)
from .handles import (check_search_name)
from .search_filter import (FilterError, compile_filter, matches)
from .session import (check_obj, find_member, member_status, render_role_types)
from .social import (check_xuid, group_members, parse_people)

MAX_RESULTS = 100
SESSION_QUERY_VISIBILITIES = ('private', 'visible', 'full', 'open')


def load_sessions(emu, keys):
    """{key: the session with its timers caught up, or None}."""
    out = {}
    for key in keys:
        if key not in out:
            with emu.lock_for(key):
                out[key] = emu.load(key, emu.clock.now())
    return out


def related_info(s, with_owners):
    ps, cs = s['properties']['system'], s['constants']['system']
    info = {'visibility': cs['visibility'], 'joinRestriction': ps.get('joinRestriction', 'none'),
            'closed': bool(ps.get('closed', False)), 'maxMembersCount': cs['maxMembersCount'],
            'membersCount': len(s['members'])}
    if with_owners:
        info['sessionOwners'] = owner_xuids(s)
    return info


def owner_xuids(s):
    return [s['members'][i]['xuid'] for i in s['properties']['system'].get('owners') or []
            if i in s['members']]


def accepted_xuids(s):
    return [m['xuid'] for _, m in sorted(s['members'].items()) if not m['reserved']]


# --------------------------------------------------------------------------- /handles/query

def query_handles(emu, ident, contract, query, body):
    include = set()
    for part in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if part[0] == 'include':
            include.update(n.strip().lower() for n in part[1].split(','))
    qtype = body.get('type')
    if qtype == 'activity':
        results = query_activities(emu, body, include)
    elif qtype == 'search':
        results = query_search(emu, body, include)
    else:
        bad('query type must be activity or search')
    return jsonresp(200, {'results': results[:MAX_RESULTS]})


def query_activities(emu, body, include):
    scid = body.get('scid')
    if scid is not None and not isinstance(scid, str):
        bad('scid must be a string')
    owners = check_obj(body.get('owners'), 'owners')
    if ('xuids' in owners) == ('people' in owners) or set(owners) - {'xuids', 'people'}:
        bad('owners needs exactly one of xuids and people')
    if 'xuids' in owners:
        if not isinstance(owners['xuids'], list):
            bad('owners.xuids must be an array of XUID strings')
        xuids = [check_xuid(x, 'owners.xuids[]') for x in owners['xuids']]
    else:
        xuids = group_members(emu.social, *parse_people(owners['people'], 'owners.people'))
    order = []
    for x in xuids:
        if x not in order:
            order.append(x)

    def collect():
        with emu.lock:
            found = [h for h in emu.handles.values() if h['type'] == 'activity'
                     and h.get('ownerXuid') in order
                     and (scid is None or h['_key'][0] == scid.lower())]
        return sorted(found, key=lambda h: (order.index(h['ownerXuid']), h['_seq']))

    sessions = load_sessions(emu, [h['_key'] for h in collect()])
    results = []
    for h in collect():
        doc = emu.public_handle(h)
        s = sessions.get(h['_key'])
        if s is not None and 'relatedinfo' in include:
            doc['relatedInfo'] = related_info(s, False)
        if s is not None and 'customproperties' in include:
            doc['customProperties'] = s['properties']['custom']
        results.append(doc)
    return results


def search_env(h, s):
    attrs = h.get('searchAttributes', {})
    return {'tags': list(attrs.get('tags', [])),
            'strings': {k.lower(): v for k, v in attrs.get('strings', {}).items()},
            'numbers': {k.lower(): float(v) for k, v in attrs.get('numbers', {}).items()},
            'memberXuids': accepted_xuids(s) if s is not None else [],
            'ownerXuids': owner_xuids(s) if s is not None else []}


def parse_order_by(v):
    """'<name> [asc|desc]' -> (name lower-cased or None for the timestamp, descending)."""
    if not isinstance(v, str):
        bad('orderBy must be a string')
    parts = v.split()
    if len(parts) not in (1, 2) or (len(parts) == 2 and parts[1].lower() not in ('asc', 'desc')):
        bad("orderBy must be '<attribute> asc' or '<attribute> desc'")
    desc = len(parts) == 2 and parts[1].lower() == 'desc'
    if parts[0].lower() == 'timestamp':
        return None, desc
    return check_search_name(parts[0], 'orderBy').lower(), desc


def order_value(env, name):
    if name in env['numbers']:
        return (0, env['numbers'][name])
    if name in env['strings']:
        return (1, env['strings'][name])
    return None


def query_search(emu, body, include):
    for k in ('scid', 'templateName'):
        if not isinstance(body.get(k), str) or not body[k]:
            bad('%s is required' % k)
    try:
        flt = compile_filter(body.get('filter', ''))
    except FilterError as e:
        bad('filter: %s' % e)
    name, desc = parse_order_by(body['orderBy']) if 'orderBy' in body else (None, False)
    group = None
    if 'sessionMembers' in body:
        sm = check_obj(body['sessionMembers'], 'sessionMembers')
        if set(sm) != {'people'}:
            bad('sessionMembers must be {"people": {"moniker", "monikerXuid"}}')
        group = set(group_members(emu.social, *parse_people(sm['people'],
                                                            'sessionMembers.people')))
    want = (body['scid'].lower(), body['templateName'].lower())

    def collect():
        with emu.lock:
            return sorted((h for h in emu.handles.values()
                           if h['type'] == 'search' and h['_key'][:2] == want),
                          key=lambda h: h['_seq'])

    sessions = load_sessions(emu, [h['_key'] for h in collect()])
    kept = []
    for h in collect():
        s = sessions.get(h['_key'])
        env = search_env(h, s)
        if not matches(flt, env):
            continue
        if group is not None and not group.intersection(env['memberXuids']):
            continue
        kept.append((h, s, env))
    if name is None:
        kept.sort(key=lambda e: e[0]['_seq'], reverse=desc)
    else:
        have = [e for e in kept if order_value(e[2], name) is not None]
        have.sort(key=lambda e: order_value(e[2], name), reverse=desc)
        kept = have + [e for e in kept if order_value(e[2], name) is None]
    return [search_document(emu, h, s, include) for h, s, _ in kept]


def search_document(emu, h, s, include):
    doc = emu.public_handle(h)
    if s is None:
        return doc
    if 'customproperties' in include:
        doc['customProperties'] = s['properties']['custom']
    if 'relatedinfo' in include:
        doc['relatedInfo'] = related_info(s, True)
    if 'roleinfo' in include:
        doc['roleInfo'] = {'roleTypes': render_role_types(s) if s.get('roleTypes') else {}}
    return doc


# --------------------------------------------------------------------------- session queries

BOOL_PARAMS = ('private', 'reservations', 'inactive')


def parse_params(query):
    params = {}
    for part in query.split('&') if query else []:
        k, _, v = part.partition('=')
        k = urllib.parse.unquote(k)
        if k in params:
            bad("query parameter '%s' is repeated" % k)
        params[k] = urllib.parse.unquote(v)
    return params


def session_query_filters(params, method, body, contract):
    """The validated filters of a session query (400 on any bad value)."""
    f = {'keyword': params.get('keyword') or None}
    if method == 'POST':
        if 'xuid' in params:
            bad('a batch query takes its XUIDs from the body, not from ?xuid=')
        xs = body.get('xuids')
        if not isinstance(xs, list) or not xs:
            bad('xuids must be a non-empty array of XUID strings')
        f['xuids'] = [check_xuid(x, 'xuids[]') for x in xs]
    else:
        f['xuids'] = [check_xuid(params['xuid'], 'xuid')] if 'xuid' in params else []
    if not f['xuids'] and not f['keyword']:
        bad('a session query needs a keyword or a XUID filter')
    take = params.get('take', '100')
    if not take.isdigit() or int(take) > MAX_RESULTS:
        bad('take must be an integer from 0 to 100')
    f['take'] = int(take)
    version = params.get('version')
    if version is not None and (not version.isdigit() or int(version) > contract % 100):
        bad('version must be an integer of at most %d' % (contract % 100))
    f['version'] = int(version) if version else 0
    vis = params.get('visibility')
    if vis is not None and vis.lower() not in SESSION_QUERY_VISIBILITIES:
        bad('visibility must be private, visible, full or open')
    f['visibility'] = vis.lower() if vis else None
    for k in BOOL_PARAMS:
        if k in params and params[k] != 'true':
            bad('%s accepts only true' % k)
        f[k] = k in params
    if f['visibility'] == 'private' and not f['private']:
        bad('visibility=private requires private=true')
    return f


def rendered_visibility(s):
    cs = s['constants']['system']
    if cs['visibility'] != 'private' and len(s['members']) >= cs['maxMembersCount']:
        return 'full'
    return cs['visibility']


def session_matches(s, f):
    cs, ps = s['constants']['system'], s['properties']['system']
    if cs['visibility'] == 'private' and not f['private']:
        return False
    if f['visibility'] and rendered_visibility(s) != f['visibility']:
        return False
    if f['version'] and cs.get('version') != f['version']:
        return False
    if f['keyword']:
        return any(k.lower() == f['keyword'].lower() for k in ps.get('keywords', []))
    return True


def user_status(s, xuid, f):
    """'active', 'reserved' or 'inactive' when the XUID filter finds the session."""
    m = find_member(s, xuid)[1]
    if m is None:
        return None
    st = member_status(m)
    if st == 'active' or (st == 'reserved' and f['reservations']):
        return st
    if st in ('inactive', 'ready') and f['inactive']:
        return 'inactive'
    return None


def session_entry(s, xuid, status):
    e = {}
    if xuid is not None:
        e['xuid'] = xuid
    e['startTime'] = iso(s['startTime'])
    e['sessionRef'] = {'scid': s['scid'], 'templateName': s['templateName'], 'name': s['name']}
    e['accepted'] = sum(1 for m in s['members'].values() if not m['reserved'])
    if status is not None:
        e['status'] = status
    vis = rendered_visibility(s)
    e['visibility'] = vis
    jr = s['properties']['system'].get('joinRestriction', 'none')
    if vis in ('open', 'full') and jr != 'none':
        e['joinRestriction'] = jr
    if xuid is not None:
        idx = find_member(s, xuid)[0]
        if idx in (s['properties']['system'].get('turn') or []):
            e['myTurn'] = True
    e['keywords'] = list(s['properties']['system'].get('keywords', []))
    return e


def query_sessions(emu, ident, contract, scid, template, method, query, body):
    if template is not None and template.lower() not in emu.templates:
        raise HttpError(404, 'unknown session template')
    f = session_query_filters(parse_params(query), method, body, contract)
    if (f['private'] or f['reservations']) and not ident.server and \
            f['xuids'] != [ident.xuid]:
        raise HttpError(403, 'private and reservations need a server or the filtered user')
    with emu.lock:
        keys = [k for k in emu.sessions if k[0] == scid.lower()
                and (template is None or k[1] == template.lower())]
    found = [s for s in load_sessions(emu, sorted(keys)).values()
             if s is not None and session_matches(s, f)]
    found.sort(key=lambda s: (s['startTime'], s['templateName'].lower(), s['name'].lower()))
    if not f['xuids']:
        return jsonresp(200, {'results': [session_entry(s, None, None)
                                          for s in found[:f['take']]]})
    results = []
    for x in f['xuids']:
        hits = [(s, user_status(s, x, f)) for s in found]
        results += [session_entry(s, x, st) for s, st in hits if st is not None][:f['take']]
    return jsonresp(200, {'results': results})


# --------------------------------------------------------------------------- routes

def match_query_route(segs):
    """(allowed methods, fn(emu, ident, contract, method, query, body)) for the
    query paths, else None. segs: the path's segments, original case."""
    low = [s.lower() for s in segs]
    if low == ['handles', 'query']:
        return ('POST',), lambda emu, ident, cv, method, q, body: \
            query_handles(emu, ident, cv, q, body)
    if low[:1] != ['serviceconfigs'] or len(segs) not in (3, 5):
        return None
    if len(segs) == 5 and low[2] != 'sessiontemplates':
        return None
    if low[-1] not in ('sessions', 'batch'):
        return None
    scid = segs[1]
    template = segs[3] if len(segs) == 5 else None
    if not SCID_RE.match(scid) or (template is not None and not NAME_RE.match(template)):
        raise HttpError(404, 'malformed session query URI')
    methods = ('GET',) if low[-1] == 'sessions' else ('POST',)
    return methods, lambda emu, ident, cv, method, q, body: \
        query_sessions(emu, ident, cv, scid, template, method, q, body)
