#!/usr/bin/env python3
"""Captures raw HTTP responses from the MPSD emulator as fuzz seeds.

    . tools/emulator.sh; start_emulator; python3 tests/fuzz/capture_corpus.py OUTDIR

Writes OUTDIR/<name>.http (the whole response, bytes as received) for a
story that touches every response shape the SDK reads: 201 create, 200
join/update/get, 412 with the latest session, 204 for an emptied session,
plain-text 4xx, 429 and 503 faults, chunked replies, handles with
Content-Location, a session with roles and many members. The seeds for
each harness are cut from these files by tests/fuzz/make_seeds.py.
"""
import json
import os
import socket
import sys

PORT = int(os.environ['MPSD_PORT'])
SCID = '00000000-0000-0000-0000-00007a3b5c4d'
OUT = sys.argv[1]


def auth(xuid, n):
    return 'XBL3.0 x=%d;xuid=%d,gt=Player%d,dev=d%d,title=1234' % (n, xuid, n, n)


def raw(method, path, xuid=2814600000000001, n=1, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else b''
    lines = ['%s %s HTTP/1.1' % (method, path), 'Host: 127.0.0.1',
             'Connection: close', 'x-xbl-contract-version: 107',
             'Authorization: ' + (headers or {}).pop('Authorization', auth(xuid, n))]
    for k, v in (headers or {}).items():
        lines.append('%s: %s' % (k, v))
    if method in ('PUT', 'POST'):
        lines.append('Content-Type: application/json')
        lines.append('Content-Length: %d' % len(data))
    req = ('\r\n'.join(lines) + '\r\n\r\n').encode() + data
    s = socket.create_connection(('127.0.0.1', PORT))
    s.sendall(req)
    got = b''
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
    s.close()
    return got


def admin(path, body):
    r = raw('POST', path, body=body)
    if b' 200 ' not in r.split(b'\r\n', 1)[0]:
        sys.exit('admin %s failed: %r' % (path, r))
    return r


def save(name, resp):
    with open(os.path.join(OUT, name + '.http'), 'wb') as f:
        f.write(resp)
    return resp


def session_path(tmpl, name):
    return '/serviceconfigs/%s/sessiontemplates/%s/sessions/%s' % (SCID, tmpl, name)


def me(xuid, active=True, extra=None):
    m = {'constants': {'system': {'xuid': str(xuid), 'initialize': True},
                       'custom': {'skill': 17, 'name': 'caf\u00e9 "x"'}},
         'properties': {'system': {'active': active,
                                   'secureDeviceAddress': 'AAAAAGRldmljZQ==',
                                   'subscription': {'id': '6D3B3B3C-1B29-4E2A-9A57-5C1A7E0E6A11',
                                                    'changeTypes': ['everything', 'host']}},
                        'custom': {'ready': True, 'loadout': [1, 2, {'k': None}]}}}
    if extra:
        m.update(extra)
    return {'members': {'me': m}}


def main():
    os.makedirs(OUT, exist_ok=True)
    admin('/_emu/templates', {'name': 'roles', 'template': {
        'contractVersion': 107,
        'constants': {'system': {'version': 1, 'maxMembersCount': 40, 'visibility': 'open',
                                 'capabilities': {'connectivity': True, 'gameplay': True},
                                 'memberInitialization': {'joinTimeout': 2000, 'measurementTimeout': 2000,
                                                          'membersNeededToStart': 2}},
                      'custom': {'mode': 'ctf', 'map': {'id': 7, 'tags': ['a', 'b']}}},
        'roleTypes': {'lfg': {'ownerManaged': False, 'mutableRoleSettings': ['max', 'target'],
                              'roles': {'confirmed': {'max': 8, 'target': 4},
                                        'pending': {'max': 8}}}}}})
    admin('/_emu/templates', {'name': 'fz', 'template': {
        'contractVersion': 107,
        'constants': {'system': {'version': 1, 'maxMembersCount': 8, 'visibility': 'open',
                                 'capabilities': {'connectivity': True}}}}})
    p = session_path('fz', 'fz1')
    save('create_201', raw('PUT', p, body=me(2814600000000001), headers={'If-None-Match': '*'}))
    save('join_200', raw('PUT', p, xuid=2814600000000002, n=2, body=me(2814600000000002, False)))
    save('props_200', raw('PUT', p, body={'properties': {
        'system': {'keywords': ['a', 'b\u00fc'], 'joinRestriction': 'followed', 'turn': [0],
                   'host': 'dev1', 'closed': False, 'serverConnectionStringCandidates': ['x', 'y']},
        'custom': {'score': 12.5e3, 'list': [True, False, None], 'nested': {'deep': {'er': 'st'}}}}}))
    save('servers_200', raw('PUT', p, headers={'Authorization': 'XBL3.0 x=9;server'}, body={
        'servers': {'matchmaking': {'properties': {'system': {'status': 'searching', 'typicalWait': 10,
                    'targetSessionRef': {'scid': SCID, 'templateName': 'quick', 'name': 'x'}}}}}}))
    save('get_200', raw('GET', p))
    save('get_chunked', raw('GET', p, headers={'x-emu-fault': 'chunked=5'}))
    save('get_chunked1', raw('GET', p, headers={'x-emu-fault': 'chunked=1'}))
    save('put_412', raw('PUT', p, body={'properties': {'custom': {'a': 1}}},
                        headers={'If-Match': '"stale"'}))
    save('get_404', raw('GET', session_path('quick', 'nosuch')))
    save('put_400', raw('PUT', p, body={'constants': 5}))
    save('get_401', raw('GET', p, headers={'Authorization': 'bogus'}))
    save('get_429', raw('GET', p, headers={'x-emu-fault': '429=3'}))
    save('get_503', raw('GET', p, headers={'x-emu-fault': '503'}))
    save('leave2_200', raw('PUT', p, xuid=2814600000000002, n=2, body={'members': {'me': None}}))
    save('leave1_204', raw('PUT', p, body={'members': {'me': None}}))
    # roles and many members
    q = session_path('roles', 'big')
    raw('PUT', q, body=me(2814600000000001, extra={'roles': {'lfg': 'confirmed'}}), headers={'If-None-Match': '*'})
    for i in range(2, 26):
        x = 2814600000000000 + i
        body = me(x, i % 3 != 0, {'roles': {'lfg': 'confirmed' if i % 2 else 'pending'}})
        body['members']['me']['properties']['custom']['n'] = i
        raw('PUT', q, xuid=x, n=i, body=body)
    save('roles_many_200', raw('GET', q))
    save('roles_many_chunked', raw('GET', q, headers={'x-emu-fault': 'chunked=64'}))
    # handles
    save('session_put_body_deep', raw('PUT', q, body={'properties': {'custom': {'d': [[[[[[[[1]]]]]]]]}}}))
    h = raw('POST', '/handles', body={'version': 1, 'type': 'activity',
                                      'sessionRef': {'scid': SCID, 'templateName': 'roles', 'name': 'big'}})
    hid = json.loads(h.split(b'\r\n\r\n', 1)[1].decode() or '{}').get('id', 'none')
    save('handle_get_200', raw('GET', '/handles/%s/session' % hid))
    save('handle_put_200', raw('PUT', '/handles/%s/session' % hid, xuid=2814600000000030, n=30,
                               body=me(2814600000000030)))
    save('handle_get_404', raw('GET', '/handles/00000000-0000-0000-0000-000000000000/session'))


main()
