"""Tests for tools/mpsd_emulator.py (run: python3 -m unittest discover -s tests/emulator -v).

The emulator runs as a real subprocess on --port 0; tests talk to it with http.client.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMU = os.path.join(ROOT, 'tools', 'mpsd_emulator.py')
SCID = '00000000-0000-0000-0000-00000000ABCD'
A, B, C, D = '2814600000000001', '2814600000000002', '2814600000000003', '2814600000000004'


def start_emulator(*extra):
    proc = subprocess.Popen([sys.executable, EMU, '--port', '0'] + list(extra),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith('listening on '):
        proc.kill()
        raise RuntimeError('emulator did not start: %r' % line)
    host, port = line[len('listening on '):].rsplit(':', 1)
    return proc, host, int(port)


def stop_emulator(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()


def auth(xuid=A, gt='P', dev=None, title='1234', server=False):
    parts = []
    if xuid:
        parts.append('xuid=' + xuid)
    if gt:
        parts.append('gt=' + gt)
    if dev:
        parts.append('dev=' + dev)
    if title:
        parts.append('title=' + title)
    if server:
        parts.append('server')
    return 'XBL3.0 x=123;' + ','.join(parts)


def spath(name, template='quick', scid=SCID, lit='sessionTemplates'):
    return '/serviceconfigs/%s/%s/%s/sessions/%s' % (scid, lit, template, name)


def join_body(xuid=A, active=True, **extra):
    me = {'constants': {'system': {'xuid': xuid}}}
    if active:
        me['properties'] = {'system': {'active': True}}
    body = {'members': {'me': me}}
    body.update(extra)
    return body


class Reply:
    def __init__(self, resp, body):
        self.status = resp.status
        self.headers = {k.lower(): v for k, v in resp.getheaders()}
        self.body = body
        self.json = None
        if body and self.headers.get('content-type') == 'application/json':
            self.json = json.loads(body)

    @property
    def etag(self):
        return self.headers.get('etag')


def no_nulls(test, obj, path=''):
    """No null anywhere outside custom objects (spec 4.9 rule 1)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == 'custom':
                continue
            test.assertIsNotNone(v, 'null at %s.%s' % (path, k))
            no_nulls(test, v, path + '.' + k)
    elif isinstance(obj, list):
        for v in obj:
            no_nulls(test, v, path)


class AnyScidTest(unittest.TestCase):
    """--any-scid: the emulator takes SCIDs such as MockScid."""

    @classmethod
    def setUpClass(cls):
        cls.proc, cls.host, cls.port = start_emulator('--any-scid')

    @classmethod
    def tearDownClass(cls):
        stop_emulator(cls.proc)

    def test_mock_scid_accepted(self):
        c = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            c.request('PUT', spath('m1', scid='MockScid'), body=json.dumps(join_body(A)).encode(),
                      headers={'Authorization': auth(A), 'x-xbl-contract-version': '107',
                               'If-None-Match': '*', 'Content-Type': 'application/json'})
            r = c.getresponse()
            self.assertEqual(r.status, 201, r.read())
            self.assertEqual(r.getheader('Content-Location'),
                             '/serviceconfigs/MockScid/sessiontemplates/quick/sessions/m1')
            r.read()
        finally:
            c.close()


class EmulatorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc, cls.host, cls.port = start_emulator()

    @classmethod
    def tearDownClass(cls):
        stop_emulator(cls.proc)

    def setUp(self):
        self.admin('POST', '/_emu/reset')
        self.admin('POST', '/_emu/templates', {'name': 'free', 'template': {
            'constants': {'system': {'version': 1, 'sessionEmptyTimeout': 0}}}})

    # -------------------------------------------------------------- helpers

    def conn(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=10)

    def request(self, method, path, body=None, who=A, headers=None, conn=None, cv='107',
                raw=None, **authkw):
        h = {}
        if who is not None:
            h['Authorization'] = auth(who, **authkw)
        if cv is not None:
            h['x-xbl-contract-version'] = cv
        data = None
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            h['Content-Type'] = 'application/json; charset=utf-8'
        h.update(headers or {})
        c = conn or self.conn()
        try:
            c.request(method, path, body=data, headers=h)
            resp = c.getresponse()
            return Reply(resp, resp.read())
        finally:
            if conn is None:
                c.close()

    def put(self, path, body, who=A, **kw):
        return self.request('PUT', path, body, who, **kw)

    def get(self, path, who=A, **kw):
        return self.request('GET', path, None, who, **kw)

    def admin(self, method, path, body=None):
        r = self.request(method, path, body, who=None, cv=None)
        self.assertLess(r.status, 300, r.body)
        return r.json

    def create(self, name, body=None, who=A, template='quick', **kw):
        r = self.put(spath(name, template), body if body is not None else join_body(who),
                     who, headers={'If-None-Match': '*'}, **kw)
        self.assertEqual(r.status, 201, r.body)
        return r

    def assertText(self, r, status):
        self.assertEqual(r.status, status, r.body)
        self.assertEqual(r.headers.get('content-type'), 'text/plain')
        self.assertTrue(r.body)
        self.assertEqual(int(r.headers['content-length']), len(r.body))

    def walk(self, doc):
        """Follow the member linked list the way XSAPI does."""
        info, out = doc['membersInfo'], []
        cur = info['first']
        while cur != info['next']:
            m = doc['members'][str(cur)]
            out.append((cur, m['constants']['system']['xuid']))
            cur = m['next']
        return out

    # -------------------------------------------------------------- create / update / no-op

    def test_create_update_noop(self):
        r = self.create('s1')
        self.assertEqual(r.headers['content-type'], 'application/json')
        self.assertEqual(r.headers['content-location'],
                         '/serviceconfigs/%s/sessiontemplates/quick/sessions/s1' % SCID)
        self.assertTrue(r.headers['date'].endswith('GMT'))
        self.assertEqual(int(r.headers['content-length']), len(r.body))
        doc = r.json
        self.assertEqual(doc['changeNumber'], 1)
        self.assertEqual(doc['contractVersion'], 107)
        self.assertEqual(doc['constants']['system']['maxMembersCount'], 8)
        self.assertEqual(doc['membersInfo'], {'first': 0, 'next': 1, 'count': 1, 'accepted': 1})
        m = doc['members']['0']
        self.assertEqual(m['constants']['system']['xuid'], A)
        self.assertEqual(m['gamertag'], 'P')
        self.assertEqual(m['activeTitleId'], '1234')
        # no-op writes keep ETag and changeNumber
        for body in ({}, join_body(A)):
            r2 = self.put(spath('s1'), body)
            self.assertEqual(r2.status, 200, r2.body)
            self.assertEqual(r2.etag, r.etag)
            self.assertEqual(r2.json['changeNumber'], 1)
        r3 = self.put(spath('s1'), {'properties': {'custom': {'round': 1}}})
        self.assertEqual(r3.status, 200)
        self.assertNotEqual(r3.etag, r.etag)
        self.assertEqual(r3.json['changeNumber'], 2)
        g = self.get(spath('s1'))
        self.assertEqual(g.status, 200)
        self.assertEqual(g.etag, r3.etag)

    def test_response_shape(self):
        body = join_body(A)
        body['constants'] = {'system': {'version': 1, 'capabilities': {'connectivity': True}},
                             'custom': {'mode': 'coop'}}
        body['members']['me']['properties']['system']['secureDeviceAddress'] = 'AQIDBAUG'
        body['members']['reserve_0'] = {'constants': {'system': {'xuid': B}}}
        r = self.put(spath('shape'), body, cv='105')
        self.assertEqual(r.status, 201, r.body)
        doc = r.json
        self.assertEqual(list(doc), ['contractVersion', 'branch', 'changeNumber', 'correlationId',
                                     'startTime', 'nextTimer', 'constants', 'properties',
                                     'members', 'membersInfo', 'servers'])
        self.assertEqual(doc['contractVersion'], 105)
        for k in ('branch', 'correlationId'):
            self.assertLessEqual(len(doc[k]), 39)
        self.assertRegex(doc['startTime'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$')
        self.assertIn('expires', r.headers)
        self.assertEqual(doc['properties']['system'], {'turn': [], 'joinRestriction': 'none'})
        no_nulls(self, doc)
        self.assertEqual(self.walk(doc), [(0, A), (1, B)])
        m0 = doc['members']['0']
        self.assertLessEqual(len(m0['deviceToken']), 39)
        self.assertEqual(m0['nat'], 'open')
        self.assertTrue(doc['members']['1']['reserved'])
        for m in doc['members'].values():
            for k in ('constants', 'properties'):
                self.assertIsInstance(m[k]['system'], dict)
        self.assertEqual(doc['membersInfo'], {'first': 0, 'next': 2, 'count': 2, 'accepted': 1})

    def test_case_insensitive_identity(self):
        self.create('CaseSession')
        p = '/SERVICECONFIGS/%s/SessionTemplates/QUICK/Sessions/casesession' % SCID.lower()
        r = self.get(p)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers['content-location'],
                         '/serviceconfigs/%s/sessiontemplates/QUICK/sessions/casesession'
                         % SCID.lower())

    def test_nocommit(self):
        r = self.put(spath('dry') + '?nocommit=true', join_body(A))
        self.assertEqual(r.status, 201)
        self.assertEqual(self.get(spath('dry')).status, 204)

    # -------------------------------------------------------------- 204 paths

    def test_last_leave_204_and_recreate(self):
        r1 = self.create('s204')
        r2 = self.put(spath('s204'), {'properties': {'custom': {'x': 1}}})
        r = self.put(spath('s204'), {'members': {'me': None}})
        self.assertEqual(r.status, 204)
        self.assertEqual(r.body, b'')
        self.assertEqual(r.headers['content-length'], '0')
        g = self.get(spath('s204'))
        self.assertEqual(g.status, 204)
        self.assertEqual(g.headers['content-length'], '0')
        r3 = self.create('s204')
        self.assertEqual(r3.json['changeNumber'], 1)
        self.assertEqual(r3.json['correlationId'], r1.json['correlationId'])
        self.assertNotEqual(r3.json['branch'], r1.json['branch'])
        self.assertNotIn(r3.etag, (r1.etag, r2.etag))

    def test_delete_members_me(self):
        self.create('sdel')
        self.put(spath('sdel'), join_body(B), who=B)
        r = self.request('DELETE', spath('sdel') + '/members/me', who=B)
        self.assertEqual(r.status, 200)
        self.assertEqual(self.walk(r.json), [(0, A)])
        r = self.request('DELETE', spath('sdel') + '/members/me', who=A)
        self.assertEqual(r.status, 204)

    def test_create_without_members_is_204(self):
        r = self.put(spath('empty'), {'properties': {'custom': {'a': 1}}})
        self.assertEqual(r.status, 204)
        self.assertEqual(self.get(spath('empty')).status, 204)

    def test_leave_as_non_member_is_noop(self):
        r = self.create('noop')
        r2 = self.put(spath('noop'), {'members': {'me': None}}, who=B)
        self.assertEqual(r2.status, 200)
        self.assertEqual(r2.etag, r.etag)

    # -------------------------------------------------------------- preconditions

    def test_412_if_match_mismatch_returns_session(self):
        r = self.create('p1')
        self.put(spath('p1'), {'properties': {'custom': {'v': 2}}})
        bad = self.put(spath('p1'), {'properties': {'custom': {'v': 3}}},
                       headers={'If-Match': r.etag})
        self.assertEqual(bad.status, 412)
        self.assertEqual(bad.headers['content-type'], 'application/json')
        self.assertEqual(bad.json['properties']['custom'], {'v': 2})
        cur = self.get(spath('p1'))
        self.assertEqual(bad.etag, cur.etag)
        ok = self.put(spath('p1'), {'properties': {'custom': {'v': 3}}},
                      headers={'If-Match': '"%s"' % bad.etag})
        self.assertEqual(ok.status, 200)

    def test_412_without_body(self):
        self.create('p2')
        r = self.put(spath('p2'), join_body(A), headers={'If-None-Match': '*'})
        self.assertEqual(r.status, 412)
        self.assertEqual(r.body, b'')
        r = self.put(spath('absent'), join_body(A), headers={'If-Match': 'abc'})
        self.assertEqual(r.status, 412)
        self.assertEqual(r.body, b'')
        r = self.put(spath('absent'), join_body(A), headers={'If-Match': '*'})
        self.assertEqual(r.status, 412)
        self.assertEqual(r.body, b'')
        self.assertEqual(self.get(spath('absent')).status, 204)

    def test_update_existing_missing_404_switch(self):
        self.admin('POST', '/_emu/options', {'missingSessionStatus': 404})
        r = self.put(spath('absent'), join_body(A), headers={'If-Match': '*'})
        self.assertText(r, 404)
        self.admin('POST', '/_emu/options', {'missingSessionStatus': 412})
        r = self.put(spath('absent'), join_body(A), headers={'If-Match': '*'})
        self.assertEqual(r.status, 412)

    def test_get_if_none_match_304(self):
        r = self.create('p304')
        g = self.get(spath('p304'), headers={'If-None-Match': r.etag})
        self.assertEqual(g.status, 304)

    # -------------------------------------------------------------- 409

    def test_409_constants(self):
        body = join_body(A, constants={'system': {'version': 1, 'maxMembersCount': 10}})
        self.assertText(self.put(spath('c1'), body), 409)
        body = join_body(A, constants={'system': {'version': 1, 'maxMembersCount': 8},
                                       'custom': {'mode': 'x'}})
        self.assertEqual(self.put(spath('c1'), body).status, 201)
        self.assertEqual(self.put(spath('c1'), body).status, 200)
        body['constants']['custom']['mode'] = 'y'
        self.assertText(self.put(spath('c1'), body), 409)
        self.assertText(self.put(spath('c1'), {'constants': {'system': {'visibility': 'private'}}}),
                        409)
        mc = {'members': {'me': {'constants': {'system': {'xuid': A}, 'custom': {'t': 1}}}}}
        self.assertText(self.put(spath('c1'), mc), 409)

    # -------------------------------------------------------------- 400

    def test_400_validation(self):
        self.create('v1')
        cases = [
            {'bogus': 1},
            {'members': {'me': {'properties': {'system': {'active': True, 'ready': True}}}}},
            {'properties': {'system': {'joinRestriction': 'sometimes'}}},
            {'properties': {'system': {'closed': 'yes'}}},
            {'properties': {'system': {'locked': True}}},
            {'properties': {'system': {'readRestriction': 'local'}}},
            {'properties': {'system': {'turn': [7]}}},
            {'properties': {'system': {'nonsense': 1}}},
            {'properties': {'custom': []}},
            {'members': {'me': {'constants': {'system': {'xuid': B}}}}},
            {'members': {'me': {'properties': {'system': {'secureDeviceAddress': 'AQID'}}}}},
            {'members': {'me': {'properties': {'system': {'subscription': {
                'id': 'x', 'changeTypes': ['bogus']}}}}}},
            {'members': {'bob': None}},
            {'members': {'reserve_0': {'constants': {'system': {'xuid': 5}}}}},
        ]
        for body in cases:
            with self.subTest(body=body):
                self.assertText(self.put(spath('v1'), body), 400)
        for raw in (b'{not json', b'[1]', b''):
            self.assertText(self.put(spath('v1'), None, raw=raw), 400)
        # creation-time constants validation
        for cs in ({'visibility': 'full'}, {'visibility': 'any'}, {'visibility': 'secret'},
                   {'maxMembersCount': '8'}, {'maxMembersCount': 101},
                   {'capabilities': {'large': True, 'connectivity': True}},
                   {'capabilities': {'flying': True}}, {'metrics': {'latency': True}},
                   {'initiators': [B]}):
            with self.subTest(constants=cs):
                body = join_body(A, constants={'system': dict(version=1, **cs)})
                self.assertText(self.put(spath('v2', 'free'), body), 400)
        # keywords on a private session
        body = join_body(A, constants={'system': {'version': 1, 'visibility': 'private'}})
        self.assertEqual(self.put(spath('priv', 'free'), body).status, 201)
        self.assertText(self.put(spath('priv', 'free'),
                                 {'properties': {'system': {'keywords': ['a']}}}), 400)
        # contract version
        self.assertText(self.get(spath('v1'), cv=None), 400)
        self.assertText(self.get(spath('v1'), cv='103'), 400)
        # valid combination for comparison
        ok = self.put(spath('v1'), {'properties': {'system': {
            'joinRestriction': 'Local', 'readRestriction': 'local', 'closed': True,
            'locked': True}}})
        self.assertEqual(ok.status, 200, ok.body)
        self.assertEqual(ok.json['properties']['system']['joinRestriction'], 'local')

    # -------------------------------------------------------------- 401 / 403 / 404

    def test_401(self):
        self.assertText(self.get(spath('a'), who=None), 401)
        for hdr in ('Bearer abc', 'XBL3.0 x=1', 'XBL3.0 x=1;gt=P', 'XBL3.0 x=1;xuid=abc',
                    'XBL3.0 x=1;xuid=1,junk'):
            r = self.request('GET', spath('a'), who=None, headers={'Authorization': hdr})
            self.assertText(r, 401)

    def test_403(self):
        priv = join_body(A, constants={'system': {'version': 1, 'visibility': 'private'}})
        self.assertEqual(self.put(spath('priv', 'free'), priv).status, 201)
        self.assertText(self.put(spath('priv', 'free'), join_body(B), who=B), 403)
        self.assertText(self.get(spath('priv', 'free'), who=B), 403)
        vis = join_body(A, constants={'system': {'version': 1, 'visibility': 'visible'}})
        self.assertEqual(self.put(spath('vis', 'free'), vis).status, 201)
        self.assertText(self.put(spath('vis', 'free'), join_body(B), who=B), 403)
        self.assertEqual(self.get(spath('vis', 'free'), who=B).status, 200)
        # closed
        self.create('closed')
        self.put(spath('closed'), {'properties': {'system': {'closed': True}}})
        self.assertText(self.put(spath('closed'), join_body(B), who=B), 403)
        # locked: only former members come back
        self.create('locked')
        self.put(spath('locked'), join_body(B), who=B)
        self.put(spath('locked'), {'members': {'me': None}}, who=B)
        self.put(spath('locked'), {'properties': {'system': {'closed': True, 'locked': True}}})
        self.assertText(self.put(spath('locked'), join_body(C), who=C), 403)
        self.assertEqual(self.put(spath('locked'), join_body(B), who=B).status, 200)
        # non-member writes without joining (spec 10 #17)
        self.create('nm')
        self.assertText(self.put(spath('nm'), {'properties': {'custom': {'a': 1}}}, who=B), 403)
        self.assertText(self.put(spath('nm'), {}, who=B), 403)
        # referencing other members / servers needs a server principal
        self.assertText(self.put(spath('nm'), {'members': {'0': None}}), 403)
        self.assertText(self.put(spath('nm'), {'servers': {'x': None}}), 403)
        r = self.put(spath('nm'), {'members': {'0': None}}, who=None,
                     headers={'Authorization': auth(None, server=True)})
        self.assertEqual(r.status, 204)

    def test_join_restriction_local(self):
        self.create('jr', dev='dev1')
        self.put(spath('jr'), {'properties': {'system': {'joinRestriction': 'local'}}})
        self.assertText(self.put(spath('jr'), join_body(B), who=B, dev='dev2'), 403)
        self.assertEqual(self.put(spath('jr'), join_body(B), who=B, dev='dev1').status, 200)

    def test_404(self):
        self.assertText(self.put(spath('x', 'nosuch'), join_body(A)), 404)
        self.assertText(self.get(spath('x', 'nosuch')), 404)
        self.assertText(self.get('/handles/0b9a7d8e-0000-0000-0000-000000000000/session'), 404)
        self.assertText(self.put('/handles/0b9a7d8e-0000-0000-0000-000000000000/session',
                                 join_body(A)), 404)
        self.assertText(self.get('/nothing/here'), 404)
        self.assertText(self.get(spath('bad~name')), 404)
        self.assertText(self.request('POST', spath('x'), {}), 405)

    def test_non_guid_scid_400(self):
        for scid in ('MockScid', '7492baca-c1b4', '00000000-0000-0000-0000-00000000ABCG'):
            r = self.put(spath('x', scid=scid), join_body(A), headers={'If-None-Match': '*'})
            self.assertText(r, 400)
            self.assertIn(b"SCID '%s' is not a GUID" % scid.encode(), r.body)
            self.assertIn(b'--any-scid', r.body)
            self.assertText(self.get(spath('x', scid=scid)), 400)
        r = self.request('POST', '/handles', {'version': 1, 'type': 'activity', 'sessionRef': {
            'scid': 'MockScid', 'templateName': 'quick', 'name': 'h'}})
        self.assertText(r, 400)
        self.assertIn(b'is not a GUID', r.body)
        self.assertEqual(self.admin('GET', '/_emu/state')['sessions'], {})

    # -------------------------------------------------------------- members

    def test_capacity(self):
        self.admin('POST', '/_emu/templates', {'name': 'duo', 'template': {
            'constants': {'system': {'version': 1, 'maxMembersCount': 2}}}})
        self.create('cap', template='duo')
        r = self.put(spath('cap', 'duo'),
                     {'members': {'reserve_0': {'constants': {'system': {'xuid': B}}}}})
        self.assertEqual(r.status, 200)
        self.assertText(self.put(spath('cap', 'duo'), join_body(C), who=C), 400)
        r = self.put(spath('cap', 'duo'),
                     {'members': {'reserve_0': {'constants': {'system': {'xuid': D}}}}})
        self.assertText(r, 400)
        # the reserved user still gets in
        self.assertEqual(self.put(spath('cap', 'duo'), join_body(B), who=B).status, 200)

    def test_reservations_and_claim(self):
        self.create('res')
        body = {'members': {
            'reserve_0': {'constants': {'system': {'xuid': B, 'initialize': True},
                                        'custom': {'slot': 1}}},
            'reserve_1': {'constants': {'system': {'xuid': C}}}}}
        r = self.put(spath('res'), body)
        self.assertEqual(r.status, 200)
        self.assertEqual(self.walk(r.json), [(0, A), (1, B), (2, C)])
        self.assertEqual(r.json['membersInfo']['accepted'], 1)
        m1 = r.json['members']['1']
        self.assertTrue(m1['reserved'])
        self.assertEqual(m1['constants']['custom'], {'slot': 1})
        self.assertNotIn('gamertag', m1)
        # numbering restarts per request; reserving someone already present is a no-op
        again = self.put(spath('res'), {'members': {
            'reserve_0': {'constants': {'system': {'xuid': C}}},
            'reserve_1': {'constants': {'system': {'xuid': A}}}}})
        self.assertEqual(again.etag, r.etag)
        # B claims the reservation (private-ish: even when closed)
        self.put(spath('res'), {'properties': {'system': {'closed': True}}})
        c = self.put(spath('res'), join_body(B), who=B, gt='Bee')
        self.assertEqual(c.status, 200, c.body)
        m1 = c.json['members']['1']
        self.assertNotIn('reserved', m1)
        self.assertEqual(m1['gamertag'], 'Bee')
        self.assertEqual(m1['constants']['system'], {'xuid': B, 'initialize': True})
        self.assertEqual(c.json['membersInfo'], {'first': 0, 'next': 3, 'count': 3,
                                                 'accepted': 2})
        # private session: reserved user may read and join
        priv = join_body(A, constants={'system': {'version': 1, 'visibility': 'private'}})
        priv['members']['reserve_0'] = {'constants': {'system': {'xuid': D}}}
        self.assertEqual(self.put(spath('pr', 'free'), priv).status, 201)
        self.assertEqual(self.get(spath('pr', 'free'), who=D).status, 200)
        self.assertEqual(self.put(spath('pr', 'free'), join_body(D), who=D).status, 200)

    def test_indices_never_reused(self):
        self.create('idx')
        self.put(spath('idx'), join_body(B), who=B)
        self.put(spath('idx'), join_body(C), who=C)
        r = self.put(spath('idx'), {'members': {'me': None}}, who=B)
        self.assertEqual(self.walk(r.json), [(0, A), (2, C)])
        r = self.put(spath('idx'), join_body(B), who=B)
        self.assertEqual(self.walk(r.json), [(0, A), (2, C), (3, B)])
        r = self.put(spath('idx'), {'members': {'me': None}}, who=A)
        self.assertEqual(r.json['membersInfo'], {'first': 2, 'next': 4, 'count': 2,
                                                 'accepted': 2})
        self.assertEqual(r.json['members']['2']['next'], 3)
        self.assertEqual(r.json['members']['3']['next'], 4)

    def test_custom_merge_and_null_delete(self):
        self.create('cm')
        self.put(spath('cm'), {'properties': {'custom': {'map': 'harbor', 'round': 2,
                                                         'nested': {'a': 1, 'b': None}}}})
        r = self.put(spath('cm'), {'properties': {'custom': {'map': None, 'round': 3,
                                                             'nested': {'c': None}}}})
        self.assertEqual(r.json['properties']['custom'], {'round': 3, 'nested': {'c': None}})
        r = self.put(spath('cm'), {'members': {'me': {'properties': {'custom': {'k': [1, 2]}}}}})
        self.assertEqual(r.json['members']['0']['properties']['custom'], {'k': [1, 2]})
        # system fields are replaced whole
        self.put(spath('cm'), {'properties': {'system': {'keywords': ['a', 'b']}}})
        r = self.put(spath('cm'), {'properties': {'system': {'keywords': ['c']}}})
        self.assertEqual(r.json['properties']['system']['keywords'], ['c'])

    def test_host_and_device_token(self):
        body = join_body(A, constants={'system': {'version': 1,
                                                  'capabilities': {'connectivity': True}}})
        body['members']['me']['properties']['system']['secureDeviceAddress'] = 'AgIDBA=='
        r = self.put(spath('host'), body)
        self.assertEqual(r.status, 201, r.body)
        tok = r.json['members']['0']['deviceToken']
        self.assertEqual(r.json['members']['0']['nat'], 'moderate')
        r = self.put(spath('host'), {'properties': {'system': {'host': 'nosuchtoken'}}})
        self.assertEqual(r.status, 200)
        self.assertNotIn('host', r.json['properties']['system'])
        r = self.put(spath('host'), {'properties': {'system': {'host': tok.upper()}}})
        self.assertEqual(r.json['properties']['system']['host'], tok.upper())

    def test_large_session_shows_only_me(self):
        body = join_body(A, constants={'system': {'version': 1, 'maxMembersCount': 200,
                                                  'capabilities': {'large': True}}})
        self.assertEqual(self.put(spath('big', 'free'), body).status, 201)
        r = self.put(spath('big', 'free'), join_body(B), who=B)
        self.assertEqual(list(r.json['members']), ['me'])
        self.assertEqual(r.json['members']['me']['constants']['system']['xuid'], B)
        self.assertEqual(r.json['membersInfo']['count'], 2)
        r = self.put(spath('big', 'free'),
                     {'members': {'reserve_0': {'constants': {'system': {'xuid': C}}}}})
        self.assertText(r, 409)

    # -------------------------------------------------------------- timers

    def test_timers(self):
        self.admin('POST', '/_emu/clock', {'freeze': True})
        self.create('t1')
        r = self.put(spath('t1'), {'members': {'reserve_0': {'constants': {'system': {'xuid': B}}}}})
        self.assertIn('nextTimer', r.json)
        self.assertIn('expires', r.headers)
        self.admin('POST', '/_emu/clock', {'advanceMs': 29999})
        self.assertEqual(self.get(spath('t1')).json['membersInfo']['count'], 2)
        self.admin('POST', '/_emu/clock', {'advanceMs': 2})
        g = self.get(spath('t1'))
        self.assertEqual(g.json['membersInfo']['count'], 1)
        self.assertEqual(g.json['changeNumber'], r.json['changeNumber'] + 1)
        self.assertNotIn('nextTimer', g.json)
        self.assertNotIn('expires', g.headers)
        # ready timeout (admin presence hook) reverts to inactive; inactive timeout 0 removes
        self.put(spath('t1'), join_body(B), who=B)
        self.admin('POST', '/_emu/member', {'scid': SCID, 'templateName': 'quick',
                                            'name': 't1', 'xuid': B, 'ready': True,
                                            'active': False})
        self.admin('POST', '/_emu/clock', {'advanceMs': 180000})
        g = self.get(spath('t1'))
        self.assertEqual(g.json['members']['2']['properties']['system'], {})
        g = self.get(spath('t1'))
        self.assertEqual(self.walk(g.json), [(0, A)])

    def test_session_empty_timeout(self):
        self.admin('POST', '/_emu/clock', {'freeze': True})
        self.admin('POST', '/_emu/templates', {'name': 'linger', 'template': {
            'constants': {'system': {'version': 1, 'sessionEmptyTimeout': 5000}}}})
        self.create('lin', template='linger')
        r = self.put(spath('lin', 'linger'), {'members': {'me': None}})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json['membersInfo']['count'], 0)
        self.assertEqual(r.json['membersInfo']['first'], r.json['membersInfo']['next'])
        self.assertIn('nextTimer', r.json)
        self.admin('POST', '/_emu/clock', {'advanceMs': 5000})
        self.assertEqual(self.get(spath('lin', 'linger')).status, 204)

    # -------------------------------------------------------------- handles

    def test_handles(self):
        self.create('h1')
        h = self.admin('POST', '/_emu/handles', {'version': 1, 'type': 'activity', 'sessionRef': {
            'scid': SCID, 'templateName': 'quick', 'name': 'h1'}})
        loc = '/serviceconfigs/%s/sessiontemplates/quick/sessions/h1' % SCID
        g = self.get('/handles/%s/session' % h['id'], who=B)
        self.assertEqual(g.status, 200)
        self.assertEqual(g.headers['content-location'], loc)
        p = self.put('/Handles/%s/Session' % h['id'].upper(), join_body(B), who=B)
        self.assertEqual(p.status, 200)
        self.assertEqual(p.headers['content-location'], loc)
        self.assertEqual(self.walk(p.json), [(0, A), (1, B)])
        # POST /handles (invite + activity), GET /handles/{id}
        r = self.request('POST', '/handles', {
            'version': 1, 'type': 'invite', 'invitedXuid': C,
            'sessionRef': {'scid': SCID, 'templateName': 'quick', 'name': 'h1'},
            'inviteAttributes': {'titleId': '1234', 'context': 'x'}})
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(r.json['type'], 'invite')
        self.assertEqual(self.get('/handles/' + r.json['id']).json['invitedXuid'], C)
        r = self.request('POST', '/handles', {'version': 1, 'type': 'activity', 'sessionRef': {
            'scid': SCID, 'templateName': 'quick', 'name': 'h1'}})
        self.assertEqual(r.status, 201)
        self.assertEqual(r.json['ownerXuid'], A)
        self.assertText(self.request('POST', '/handles', {'version': 1, 'type': 'nope'}), 400)
        # handle to a missing session: PUT creates it
        h2 = self.admin('POST', '/_emu/handles', {'version': 1, 'type': 'activity', 'sessionRef': {
            'scid': SCID, 'templateName': 'quick', 'name': 'later'}})
        self.assertEqual(self.get('/handles/%s/session' % h2['id']).status, 204)
        self.assertEqual(self.put('/handles/%s/session' % h2['id'], join_body(A)).status, 201)

    def test_transfer_handle(self):
        self.create('lobby')
        vis = join_body(A, constants={'system': {'version': 1, 'visibility': 'visible'}})
        self.assertEqual(self.put(spath('game', 'free'), vis).status, 201)
        self.put(spath('lobby'), join_body(B), who=B)
        ref = {'scid': SCID, 'templateName': 'free', 'name': 'game'}
        origin = {'scid': SCID, 'templateName': 'quick', 'name': 'lobby'}
        body = {'version': 1, 'type': 'transfer', 'sessionRef': ref, 'originSessionRef': origin}
        self.assertText(self.request('POST', '/handles', body, who=C), 403)
        r = self.request('POST', '/handles', body, who=A)
        self.assertEqual(r.status, 201)
        hp = '/handles/%s/session' % r.json['id']
        self.assertEqual(self.put(hp, join_body(B), who=B).status, 200)
        self.assertText(self.put(hp, join_body(C), who=C), 403)

    # -------------------------------------------------------------- transport

    def test_keep_alive(self):
        c = self.conn()
        try:
            r = self.put(spath('ka'), join_body(A), conn=c)
            self.assertEqual(r.status, 201)
            sock = c.sock
            seq = [('GET', spath('ka'), 200), ('GET', spath('nope'), 204),
                   ('PUT', spath('ka', 'nosuch'), 404), ('GET', spath('ka'), 200)]
            for method, p, status in seq:
                body = {} if method == 'PUT' else None
                self.assertEqual(self.request(method, p, body, conn=c).status, status)
                self.assertIs(c.sock, sock)
            self.assertEqual(self.request('PUT', spath('ka'), None, conn=c, raw=b'{').status,
                             400)
            self.assertEqual(self.request('GET', spath('ka'), None, conn=c, who=None).status,
                             401)
            self.assertEqual(self.put(spath('ka'), {'members': {'me': None}}, conn=c).status,
                             204)
            self.assertEqual(self.get(spath('ka'), conn=c).status, 204)
            self.assertIs(c.sock, sock)
        finally:
            c.close()

    def raw_exchange(self, path, fault, timeout=10):
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        req = ('GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n'
               'x-xbl-contract-version: 107\r\n' % (path, auth(A)))
        if fault:
            req += 'x-emu-fault: %s\r\n' % fault
        s.sendall((req + '\r\n').encode())
        return s

    def test_fault_chunked(self):
        self.create('fc')
        r = self.get(spath('fc'), headers={'x-emu-fault': 'chunked=5'})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers.get('transfer-encoding'), 'chunked')
        self.assertNotIn('content-length', r.headers)
        self.assertEqual(r.json['membersInfo']['count'], 1)
        s = self.raw_exchange(spath('fc'), 'chunked=5')
        data = b''
        while not data.endswith(b'0\r\n\r\n'):
            data += s.recv(65536)
        s.close()
        self.assertIn(b'\r\n5\r\n', data)

    def test_fault_drip_and_delay(self):
        self.create('fd')
        t = time.time()
        r = self.get(spath('fd'), headers={'x-emu-fault': 'delay=300'})
        self.assertEqual(r.status, 200)
        self.assertGreaterEqual(time.time() - t, 0.3)
        # 250 ms between bytes: a recv sees a lone byte unless this process
        # stalls that long; one lone byte among three reads is enough.
        s = self.raw_exchange(spath('fd'), 'drip=250')
        sizes = [len(s.recv(65536)) for _ in range(3)]
        s.close()
        self.assertIn(1, sizes)
        r = self.get(spath('fd'), headers={'x-emu-fault': 'drip=0'})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json['membersInfo']['count'], 1)

    def test_fault_close_after_n(self):
        self.create('fx')
        s = self.raw_exchange(spath('fx'), 'close=20')
        data = b''
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        self.assertEqual(len(data), 20)
        self.assertTrue(data.startswith(b'HTTP/1.1 200'))

    def test_fault_429_503(self):
        self.create('fr')
        r = self.get(spath('fr'), headers={'x-emu-fault': '429=7'})
        self.assertEqual(r.status, 429)
        self.assertEqual(r.headers['retry-after'], '7')
        self.assertEqual(r.json['limitType'], 'rate')
        r = self.put(spath('fr'), {'properties': {'custom': {'x': 1}}},
                     headers={'x-emu-fault': '503'})
        self.assertText(r, 503)
        self.assertEqual(r.headers['retry-after'], '1')
        self.assertNotIn('x', self.get(spath('fr')).json['properties']['custom'])
        self.assertText(self.get(spath('fr'), headers={'x-emu-fault': 'explode'}), 400)

    def test_global_fault_with_count(self):
        self.create('fg')
        self.admin('POST', '/_emu/faults', {'fault': '503=2', 'count': 2})
        self.assertEqual(self.get(spath('fg')).status, 503)
        self.assertEqual(self.admin('GET', '/_emu/health'), {'ok': True})
        self.assertEqual(self.get(spath('fg')).status, 503)
        self.assertEqual(self.get(spath('fg')).status, 200)
        self.admin('POST', '/_emu/faults', {'fault': 'chunked'})
        self.assertEqual(self.get(spath('fg')).headers.get('transfer-encoding'), 'chunked')
        self.assertEqual(self.get(spath('fg'), headers={'x-emu-fault': ''}).headers.get(
            'transfer-encoding'), None)
        self.admin('POST', '/_emu/faults', {'fault': ''})
        self.assertNotIn('transfer-encoding', self.get(spath('fg')).headers)

    def test_admin_state(self):
        self.create('st')
        st = self.admin('GET', '/_emu/state')
        self.assertEqual(len(st['sessions']), 1)
        self.assertIn('quick', st['templates'])
        self.admin('POST', '/_emu/reset')
        self.assertEqual(self.admin('GET', '/_emu/state')['sessions'], {})

    def test_concurrent_counter(self):
        self.create('cc')
        for x in (B, C, D):
            self.put(spath('cc'), join_body(x), who=x)
        self.put(spath('cc'), {'properties': {'custom': {'n': 0}}})
        users = [A, B, C, D] * 2
        per_thread = 10
        errors = []

        def worker(xuid):
            c = self.conn()
            try:
                cur = self.get(spath('cc'), who=xuid, conn=c)
                done = 0
                while done < per_thread:
                    n = cur.json['properties']['custom']['n']
                    r = self.put(spath('cc'), {'properties': {'custom': {'n': n + 1}}},
                                 who=xuid, conn=c, headers={'If-Match': cur.etag})
                    if r.status not in (200, 412):
                        errors.append(r.status)
                        return
                    if r.status == 200:
                        done += 1
                    cur = r
            except Exception as e:  # pragma: no cover
                errors.append(repr(e))
            finally:
                c.close()

        threads = [threading.Thread(target=worker, args=(u,)) for u in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        doc = self.get(spath('cc')).json
        self.assertEqual(doc['properties']['custom']['n'], len(users) * per_thread)


class ProcessTest(unittest.TestCase):
    def test_help(self):
        out = subprocess.run([sys.executable, EMU, '--help'], capture_output=True, text=True,
                             timeout=30)
        self.assertEqual(out.returncode, 0)
        for word in ('--port', '--templates', '--tls-cert', '/_emu/clock', 'x-emu-fault'):
            self.assertIn(word, out.stdout)

    def test_sigterm_and_sigint(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            proc, host, port = start_emulator()
            proc.send_signal(sig)
            self.assertEqual(proc.wait(10), 0)
            proc.stdout.close()

    @unittest.skipUnless(shutil.which('openssl'), 'openssl CLI not available')
    def test_tls(self):
        d = tempfile.mkdtemp()
        try:
            cert, key = os.path.join(d, 'c.pem'), os.path.join(d, 'k.pem')
            subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
                            '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'],
                           check=True, capture_output=True, timeout=60)
            proc, host, port = start_emulator('--tls-cert', cert, '--tls-key', key)
            try:
                ctx = ssl.create_default_context(cafile=cert)
                ctx.check_hostname = False
                c = http.client.HTTPSConnection(host, port, context=ctx, timeout=10)
                hdrs = {'Authorization': auth(A), 'x-xbl-contract-version': '107'}
                for _ in range(2):
                    c.request('PUT', spath('tls'), body=json.dumps(join_body(A)), headers=hdrs)
                    r = c.getresponse()
                    r.read()
                    self.assertIn(r.status, (200, 201))
                c.close()
            finally:
                self.assertEqual(stop_emulator(proc), 0)
        finally:
            shutil.rmtree(d)


if __name__ == '__main__':
    unittest.main()
