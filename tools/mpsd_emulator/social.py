"""The social graph behind `owners.people` and `sessionMembers.people`.

A group is (user XUID, moniker) -> list of XUIDs; monikers match without
regard to case, an unconfigured group is empty. The graph comes from the
--social-graph file ({"groups": [group, ...]}) and the admin route
/_emu/social; /_emu/reset goes back to the file's graph.
"""

import json
from .common import (XUID_RE, bad, jsonresp)
from .session import (check_obj)


def check_xuid(v, what):
    if not isinstance(v, str) or not XUID_RE.match(v) or int(v) == 0 or int(v) >= 1 << 64:
        bad('%s must be a decimal XUID string' % what)
    return str(int(v))


def check_moniker(v, what):
    if not isinstance(v, str) or not v or len(v) > 99:
        bad('%s must be a non-empty string of at most 99 characters' % what)
    return v


def parse_group(g, what='group'):
    """{"xuid": x, "moniker": m, "xuids": [...]} -> ((xuid, moniker lower), entry)."""
    check_obj(g, what)
    for k in g:
        if k not in ('xuid', 'moniker', 'xuids'):
            bad("%s: unknown key '%s'" % (what, k))
    xuid = check_xuid(g.get('xuid'), what + '.xuid')
    moniker = check_moniker(g.get('moniker'), what + '.moniker')
    members = g.get('xuids')
    if not isinstance(members, list):
        bad('%s.xuids must be an array of XUID strings' % what)
    members = [check_xuid(x, what + '.xuids[]') for x in members]
    return (xuid, moniker.lower()), {'xuid': xuid, 'moniker': moniker, 'xuids': members}


def parse_graph(data, what='social graph'):
    check_obj(data, what)
    if set(data) != {'groups'} or not isinstance(data['groups'], list):
        bad('%s must be {"groups": [{"xuid", "moniker", "xuids"}, ...]}' % what)
    graph = {}
    for i, g in enumerate(data['groups']):
        key, entry = parse_group(g, '%s.groups[%d]' % (what, i))
        graph[key] = entry
    return graph


def load_graph(path):
    """Read a --social-graph file; ValueError (with the file name) when it is bad."""
    with open(path, 'r', encoding='utf-8') as f:
        try:
            data = json.load(f)
        except ValueError as e:
            raise ValueError('%s: %s' % (path, e))
    try:
        return parse_graph(data, path)
    except Exception as e:  # HttpError from the shared validators
        raise ValueError(getattr(e, 'message', str(e)))


def render_graph(graph):
    return {'groups': [dict(v) for v in graph.values()]}


def group_members(graph, xuid, moniker):
    entry = graph.get((xuid, moniker.lower()))
    return list(entry['xuids']) if entry else []


def parse_people(v, what):
    """{"moniker": m, "monikerXuid": x} -> (x, m)."""
    check_obj(v, what)
    for k in v:
        if k not in ('moniker', 'monikerXuid'):
            bad("%s: unknown key '%s'" % (what, k))
    moniker = check_moniker(v.get('moniker'), what + '.moniker')
    return check_xuid(v.get('monikerXuid'), what + '.monikerXuid'), moniker


def admin_social(emu, method, data):
    """GET /_emu/social: the graph. POST {"xuid", "moniker", "xuids"}: set one
    group; POST {"groups": [...]}: replace the whole graph."""
    if method == 'POST':
        check_obj(data, 'social')
        if 'groups' in data:
            graph = parse_graph(data, 'social')
            with emu.lock:
                emu.social = graph
        else:
            key, entry = parse_group(data, 'social')
            with emu.lock:
                emu.social[key] = entry
    with emu.lock:
        return jsonresp(200, render_graph(emu.social))
