"""The emulator's handle, handle-query and session-query endpoints.

Activity, invite, transfer and search handles (create, read, delete, lifetime),
POST /handles/query for activities and search handles with the filter language,
session queries, the social graph (--social-graph file and /_emu/social) and
fault modes on the new routes. The emulator runs as a subprocess on --port 0.
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

import test_emulator as te
from test_emulator import (A, B, C, D, EMU, SCID, join_body, spath, start_emulator,
                           stop_emulator)

sys.path.insert(0, os.path.join(te.ROOT, 'tools'))
from mpsd_emulator.common import iso  # noqa: E402

SCID2 = '00000000-0000-0000-0000-00000000EF01'
E = '2814600000000005'
ACT_INCLUDE = '/handles/query?include=relatedInfo,customProperties'
SEARCH_INCLUDE = '/handles/query?include=relatedInfo,roleInfo,customProperties'
GRAPH = {'groups': [{'xuid': A, 'moniker': 'Favorites', 'xuids': [C, B]},
                    {'xuid': B, 'moniker': 'people', 'xuids': [A]}]}
GUID_RE = r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'


def ref(name, template='quick', scid=SCID):
    return {'scid': scid, 'templateName': template, 'name': name}


def handle_body(htype, name, template='quick', scid=SCID, **extra):
    body = {'type': htype, 'sessionRef': ref(name, template, scid), 'version': 1}
    body.update(extra)
    return body


class HandleTestBase(unittest.TestCase):
    # The request helpers of the session tests, borrowed (not inherited, so
    # that test_emulator's own tests do not run twice).
    conn = te.EmulatorTest.conn
    request = te.EmulatorTest.request
    put = te.EmulatorTest.put
    get = te.EmulatorTest.get
    admin = te.EmulatorTest.admin
    create = te.EmulatorTest.create
    assertText = te.EmulatorTest.assertText

    @classmethod
    def setUpClass(cls):
        fd, cls.graph_path = tempfile.mkstemp(suffix='.json')
        with os.fdopen(fd, 'w') as f:
            json.dump(GRAPH, f)
        cls.proc, cls.host, cls.port = start_emulator('--social-graph', cls.graph_path)

    @classmethod
    def tearDownClass(cls):
        stop_emulator(cls.proc)
        os.unlink(cls.graph_path)

    def setUp(self):
        self.admin('POST', '/_emu/reset')
        self.template('slow', {'version': 1, 'inactiveRemovalTimeout': 600000,
                               'sessionEmptyTimeout': 0})
        self.template('browse', {'version': 1, 'maxMembersCount': 4, 'sessionEmptyTimeout': 0,
                                 'capabilities': {'searchable': True}},
                      roleTypes={'squad': {'roles': {'medic': {'max': 2, 'target': 1}}}})

    def template(self, name, system, **extra):
        t = {'constants': {'system': system}}
        t.update(extra)
        self.admin('POST', '/_emu/templates', {'name': name, 'template': t})

    def now(self):
        return self.admin('GET', '/_emu/clock')

    def join(self, name, who, template='quick', scid=SCID, **kw):
        r = self.put(spath(name, template, scid), join_body(who, **kw), who)
        self.assertIn(r.status, (200, 201), r.body)
        return r.json

    def post_handle(self, body, who=A, **kw):
        return self.request('POST', '/handles', body, who, **kw)

    def new_handle(self, body, who=A, **kw):
        r = self.post_handle(body, who, **kw)
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(r.headers['content-type'], 'application/json')
        return r.json

    def activity(self, name, who=A, template='quick', scid=SCID):
        return self.new_handle(handle_body('activity', name, template, scid), who)

    def query(self, body, who=A, path=ACT_INCLUDE, **kw):
        return self.request('POST', path, body, who, **kw)

    def results(self, body, who=A, path=ACT_INCLUDE):
        r = self.query(body, who, path)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.headers['content-type'], 'application/json')
        self.assertEqual(list(r.json), ['results'])
        return r.json['results']

    def activities_of(self, *xuids, scid=SCID):
        body = {'type': 'activity', 'owners': {'xuids': list(xuids)}}
        if scid is not None:
            body['scid'] = scid
        return self.results(body)

    def exists(self, hid):
        st = self.get('/handles/' + hid).status
        self.assertIn(st, (200, 404))
        return st == 200

    def assertAll400(self, cases, send):
        for case in cases:
            with self.subTest(case=case):
                self.assertText(send(case), 400)


# =========================================================================== activity

class ActivityTest(HandleTestBase):
    def test_set_activity_response(self):
        self.join('s1', A)
        h = self.activity('s1')
        self.assertEqual(list(h), ['id', 'type', 'version', 'sessionRef', 'titleId', 'ownerXuid'])
        self.assertRegex(h['id'], GUID_RE)
        self.assertEqual((h['type'], h['version'], h['titleId'], h['ownerXuid']),
                         ('activity', 1, '1234', A))
        self.assertEqual(h['sessionRef'], ref('s1'))
        g = self.get('/handles/' + h['id'], who=B)
        self.assertEqual((g.status, g.json), (200, h))
        # without a title claim there is no titleId
        h2 = self.new_handle(handle_body('activity', 's1'), title=None)
        self.assertEqual(list(h2), ['id', 'type', 'version', 'sessionRef', 'ownerXuid'])

    def test_set_activity_refusals(self):
        self.join('s1', A)
        self.put(spath('s1'), {'members': {'reserve_0': {'constants': {'system': {'xuid': D}}}}})
        body = handle_body('activity', 's1')
        self.assertText(self.post_handle(body, who=C), 403)          # not a member
        self.assertText(self.post_handle(body, who=D), 403)          # only reserved
        self.assertText(self.post_handle(body, who=None, headers={
            'Authorization': 'XBL3.0 x=1;server'}), 403)              # no XUID claim
        self.assertText(self.post_handle(handle_body('activity', 'gone')), 403)
        self.assertText(self.post_handle(handle_body('activity', 's1', 'nosuch')), 404)
        self.assertText(self.post_handle(body, who=None), 401)
        self.assertText(self.post_handle(body, cv='103'), 400)
        self.assertText(self.post_handle(None, raw=b'{"type":'), 400)
        self.assertText(self.post_handle(None, raw=b'[1]'), 400)
        bad = [dict(body, version=2), dict(body, version=True), {'type': 'activity',
               'sessionRef': ref('s1')}, dict(body, type='nope'), dict(body, type=None),
               dict(body, sessionRef={'scid': SCID, 'name': 's1'}),
               dict(body, sessionRef={'templateName': 'quick', 'name': 's1'}),
               dict(body, sessionRef='s1')]
        self.assertAll400(bad, self.post_handle)
        self.assertEqual(self.activities_of(A, D, C), [])

    def test_one_activity_per_user_per_scid(self):
        for name in ('s1', 's2'):
            self.join(name, A)
        self.join('s3', A, scid=SCID2)
        h1, h2 = self.activity('s1'), self.activity('s2')
        h3 = self.activity('s3', scid=SCID2)
        self.assertFalse(self.exists(h1['id']))      # replaced in the same SCID
        self.assertTrue(self.exists(h2['id']))
        self.assertTrue(self.exists(h3['id']))
        self.assertEqual([r['id'] for r in self.activities_of(A)], [h2['id']])
        self.assertEqual([r['id'] for r in self.activities_of(A, scid=SCID2.lower())], [h3['id']])
        self.assertEqual([r['id'] for r in self.activities_of(A, scid=None)],
                         [h2['id'], h3['id']])

    def test_lifetime_leave_inactive_remove_delete_timer(self):
        self.admin('POST', '/_emu/clock', {'freeze': True})
        for who in (A, B, C, D):
            self.join('life', who, 'slow')
        ha, hb, hc, hd = [self.activity('life', who, 'slow') for who in (A, B, C, D)]
        # B leaves
        self.put(spath('life', 'slow'), {'members': {'me': None}}, who=B)
        self.assertFalse(self.exists(hb['id']))
        # C goes inactive: still a member, activity gone
        r = self.put(spath('life', 'slow'), {'members': {'me': {'properties': {'system': {
            'active': False}}}}}, who=C)
        self.assertEqual(r.json['membersInfo']['count'], 3)
        self.assertFalse(self.exists(hc['id']))
        self.assertTrue(self.exists(ha['id']))
        # D removed by the admin hook
        self.admin('POST', '/_emu/member', {'scid': SCID, 'templateName': 'slow',
                                            'name': 'life', 'xuid': D, 'remove': True})
        self.assertFalse(self.exists(hd['id']))
        # timer: A goes inactive via the hook, ready -> inactive after the ready timeout
        self.join('life2', A)
        h = self.activity('life2')
        self.admin('POST', '/_emu/member', {'scid': SCID, 'templateName': 'quick',
                                            'name': 'life2', 'xuid': A, 'ready': True,
                                            'active': False})
        self.assertTrue(self.exists(h['id']))        # ready is not inactive
        self.admin('POST', '/_emu/clock', {'advanceMs': 180000})
        self.assertEqual(self.activities_of(A), [])  # the query catches the timer up
        # the session is deleted with its last member: every handle goes
        self.join('life3', B)
        hb3 = self.activity('life3', B)
        inv = self.new_handle(handle_body('invite', 'life3', invitedXuid=C), who=B)
        self.assertEqual(self.put(spath('life3'), {'members': {'me': None}}, who=B).status, 204)
        self.assertFalse(self.exists(hb3['id']))
        self.assertFalse(self.exists(inv['id']))

    def test_activity_queries(self):
        self.admin('POST', '/_emu/clock', {'freeze': True})
        self.join('q1', A)
        self.join('q1', B)
        self.put(spath('q1'), {'members': {'reserve_0': {'constants': {'system': {'xuid': D}}}},
                               'properties': {'system': {'joinRestriction': 'followed',
                                                         'closed': True},
                                              'custom': {'stage': 'boss', 'difficulty': 2}}})
        self.join('q2', C, 'slow')
        ha, hb, hc = self.activity('q1', A), self.activity('q1', B), self.activity('q2', C, 'slow')
        res = self.activities_of(B, A, E, A, C)
        self.assertEqual([r['id'] for r in res], [hb['id'], ha['id'], hc['id']])
        self.assertEqual(list(res[0]), ['id', 'type', 'version', 'sessionRef', 'titleId',
                                        'ownerXuid', 'relatedInfo', 'customProperties'])
        self.assertEqual(res[0]['relatedInfo'], {
            'visibility': 'open', 'joinRestriction': 'followed', 'closed': True,
            'maxMembersCount': 8, 'membersCount': 3})
        self.assertEqual(res[0]['customProperties'], {'stage': 'boss', 'difficulty': 2})
        self.assertEqual(res[2]['relatedInfo'], {
            'visibility': 'open', 'joinRestriction': 'none', 'closed': False,
            'maxMembersCount': 100, 'membersCount': 1})
        self.assertEqual(res[2]['customProperties'], {})
        # include names pick the extras; unknown names are ignored
        for path, extra in (('/handles/query', []), ('/handles/query?include=relatedInfo',
                                                     ['relatedInfo']),
                            ('/handles/query?include=CUSTOMPROPERTIES,bogus',
                             ['customProperties'])):
            r = self.results({'type': 'activity', 'owners': {'xuids': [A]}}, path=path)
            self.assertEqual(list(r[0]), ['id', 'type', 'version', 'sessionRef', 'titleId',
                                          'ownerXuid'] + extra)
        # a session that no longer exists: no relatedInfo, no customProperties
        self.admin('POST', '/_emu/handles', handle_body('activity', 'nowhere', ownerXuid=E))
        r = self.activities_of(E)
        self.assertEqual(list(r[0]), ['id', 'type', 'version', 'sessionRef', 'ownerXuid'])
        # other SCIDs are filtered out
        self.assertEqual(self.activities_of(A, B, scid=SCID2), [])

    def test_activities_for_social_group(self):
        self.join('g1', A)
        self.join('g1', B)
        self.join('g2', C)
        ha, hb, hc = self.activity('g1', A), self.activity('g1', B), self.activity('g2', C)

        def people(moniker, xuid=A):
            return [r['ownerXuid'] for r in self.results({
                'type': 'activity', 'scid': SCID,
                'owners': {'people': {'moniker': moniker, 'monikerXuid': xuid}}})]
        self.assertEqual(people('favorites'), [C, B])      # file graph, group order
        self.assertEqual(people('FAVORITES'), [C, B])
        self.assertEqual(people('people', B), [A])
        self.assertEqual(people('people'), [])              # unconfigured: empty
        self.admin('POST', '/_emu/social', {'xuid': A, 'moniker': 'people', 'xuids': [B, A]})
        self.assertEqual(people('people'), [B, A])

    def test_activity_query_refusals(self):
        good = {'type': 'activity', 'owners': {'xuids': [A]}}
        bad = [{'type': 'activity'}, {'type': 'activity', 'owners': {}},
               {'type': 'activity', 'owners': [A]},
               {'type': 'activity', 'owners': {'xuids': [A], 'people': {
                   'moniker': 'people', 'monikerXuid': A}}},
               {'type': 'activity', 'owners': {'xuids': A}},
               {'type': 'activity', 'owners': {'xuids': [2814600000000001]}},
               {'type': 'activity', 'owners': {'xuids': ['12a']}},
               {'type': 'activity', 'owners': {'people': {'moniker': 'people'}}},
               {'type': 'activity', 'owners': {'people': {'monikerXuid': A}}},
               {'type': 'activity', 'owners': {'people': {'moniker': '', 'monikerXuid': A}}},
               {'type': 'activity', 'scid': 7, 'owners': {'xuids': [A]}},
               {'type': 'Activity', 'owners': {'xuids': [A]}}, {'owners': {'xuids': [A]}},
               {'type': 'invite', 'owners': {'xuids': [A]}}]
        self.assertAll400(bad, self.query)
        self.assertText(self.query(None, raw=b'nope'), 400)
        self.assertText(self.query(good, who=None), 401)
        self.assertText(self.query(good, cv='100'), 400)
        r = self.request('GET', '/handles/query')
        self.assertText(r, 405)
        self.assertEqual(r.headers['allow'], 'POST')
        self.assertEqual(self.request('POST', '/HANDLES/Query', good).status, 200)


# =========================================================================== delete

class DeleteTest(HandleTestBase):
    def test_clear_activity_flow(self):
        self.join('c1', A)
        self.join('c1', B)
        h = self.activity('c1')
        found = self.activities_of(A)
        self.assertEqual([r['id'] for r in found], [h['id']])
        self.assertText(self.request('DELETE', '/handles/' + h['id'], who=B), 403)
        r = self.request('DELETE', '/handles/' + h['id'].upper())
        self.assertEqual((r.status, r.body), (204, b''))
        self.assertNotIn('content-type', r.headers)
        self.assertEqual(self.activities_of(A), [])
        self.assertText(self.request('DELETE', '/handles/' + h['id']), 404)
        self.assertText(self.request('DELETE', '/handles/' + h['id'], who=None), 404)
        h2 = self.activity('c1')
        self.assertText(self.request('DELETE', '/handles/' + h2['id'], who=None), 401)
        self.assertText(self.request('DELETE', '/handles/' + h2['id'], cv='103'), 400)
        r = self.request('PUT', '/handles/' + h2['id'], {})
        self.assertText(r, 405)
        self.assertEqual(r.headers['allow'], 'GET, DELETE')

    def test_delete_permissions(self):
        self.join('p1', A)
        self.join('p1', B)
        self.join('lobby', C)
        self.join('lobby', D)
        inv = self.new_handle(handle_body('invite', 'p1', invitedXuid=C))
        inv2 = self.new_handle(handle_body('invite', 'p1', invitedXuid=C))
        xfer = self.new_handle(handle_body('transfer', 'p1', originSessionRef=ref('lobby')),
                               who=C)
        xfer2 = self.new_handle(handle_body('transfer', 'p1', originSessionRef=ref('lobby')),
                                who=C)
        for hid, who in ((inv['id'], B), (inv['id'], E), (xfer['id'], E)):
            self.assertText(self.request('DELETE', '/handles/' + hid, who=who), 403)
        for hid, who in ((inv['id'], C), (inv2['id'], A), (xfer['id'], D), (xfer2['id'], B)):
            self.assertEqual(self.request('DELETE', '/handles/' + hid, who=who).status, 204)
            self.assertFalse(self.exists(hid))


# =========================================================================== invite / transfer

class InviteTransferTest(HandleTestBase):
    def test_invites_one_post_per_xuid(self):
        clock = self.admin('POST', '/_emu/clock', {'freeze': True})
        self.join('i1', A)
        attrs = {'titleId': '1872345603', 'contextString': '///raidInvite', 'context': 'slot=3'}
        ids = []
        for x in (B, C):
            h = self.new_handle(handle_body('invite', 'i1', invitedXuid=x, inviteAttributes=attrs))
            self.assertEqual(list(h), ['id', 'type', 'version', 'sessionRef', 'invitedXuid',
                                       'senderXuid', 'inviteAttributes', 'expiration'])
            self.assertEqual((h['invitedXuid'], h['senderXuid'], h['inviteAttributes']),
                             (x, A, attrs))
            self.assertEqual(h['expiration'],
                             iso(clock['nowMs'] + 24 * 3600 * 1000))
            ids.append(h['id'])
        self.assertNotEqual(ids[0], ids[1])
        # the invitee may read and join through the handle; a join restriction yields to it
        self.put(spath('i1'), {'properties': {'system': {'joinRestriction': 'followed'}}})
        self.assertText(self.put(spath('i1'), join_body(C), who=C), 403)
        self.assertEqual(self.put('/handles/%s/session' % ids[1], join_body(C), who=C).status, 200)

    def test_invites_on_full_and_closed_sessions(self):
        self.template('pair', {'version': 1, 'maxMembersCount': 1, 'sessionEmptyTimeout': 0})
        self.join('full', A, 'pair')
        self.put(spath('full', 'pair'), {'properties': {'system': {'closed': True}}})
        h = self.new_handle(handle_body('invite', 'full', 'pair', invitedXuid=B))
        g = self.get('/handles/%s/session' % h['id'], who=B)
        self.assertEqual(g.status, 200)
        # no name: MPSD fills in a GUID
        body = handle_body('invite', 'x', invitedXuid=B)
        del body['sessionRef']['name']
        self.assertRegex(self.new_handle(body)['sessionRef']['name'], GUID_RE)

    def test_invite_refusals(self):
        self.join('i2', A)

        def inv(**kw):
            return self.post_handle(handle_body('invite', 'i2', **kw))
        ok = self.new_handle(handle_body('invite', 'i2', invitedXuid=B, inviteAttributes={
            'titleId': '4294967295', 'context': '&' * 85}))     # 255 characters encoded
        self.assertEqual(ok['inviteAttributes']['titleId'], '4294967295')
        cases = [{}, {'invitedXuid': 2814600000000002}, {'invitedXuid': 'B'},
                 {'invitedXuid': B, 'inviteAttributes': 'x'},
                 {'invitedXuid': B, 'inviteAttributes': {'titleId': 1234}},
                 {'invitedXuid': B, 'inviteAttributes': {'titleId': 'abc'}},
                 {'invitedXuid': B, 'inviteAttributes': {'titleId': '4294967296'}},
                 {'invitedXuid': B, 'inviteAttributes': {'context': 'x' * 257}},
                 {'invitedXuid': B, 'inviteAttributes': {'context': '&' * 86}},   # 258
                 {'invitedXuid': B, 'inviteAttributes': {'contextString': 5}}]
        self.assertAll400(cases, lambda kw: inv(**kw))

    def test_transfer_handles(self):
        self.join('origin', A)
        self.join('origin', B)
        self.join('target', C, 'slow')
        body = handle_body('transfer', 'target', 'slow', originSessionRef=ref('origin'))
        h = self.new_handle(body)
        self.assertEqual(list(h), ['id', 'type', 'version', 'sessionRef', 'originSessionRef'])
        self.assertEqual((h['sessionRef'], h['originSessionRef']),
                         (ref('target', 'slow'), ref('origin')))
        self.assertText(self.post_handle(body, who=D), 403)
        self.assertText(self.post_handle(dict(body, originSessionRef=ref('nowhere'))), 403)
        self.assertAll400([{k: v for k, v in body.items() if k != 'originSessionRef'},
                           dict(body, originSessionRef={'scid': SCID, 'name': 'origin'})],
                          self.post_handle)
        # deleting the origin keeps it; deleting the target ends it
        for who in (A, B):
            self.put(spath('origin'), {'members': {'me': None}}, who=who)
        self.assertTrue(self.exists(h['id']))
        self.assertEqual(self.put(spath('target', 'slow'), {'members': {'me': None}},
                                  who=C).status, 204)
        self.assertFalse(self.exists(h['id']))


# =========================================================================== search handles

class SearchHandleTest(HandleTestBase):
    ATTRS = {'tags': ['Casual', 'voicechat'], 'numbers': {'minlevel': 12, 'ratio': 0.75},
             'strings': {'map': 'Harbor'}}

    def search(self, name, attrs=None, who=A):
        body = handle_body('search', name, 'browse')
        if attrs is not None:
            body['searchAttributes'] = attrs
        return self.new_handle(body, who)

    def test_create_get_replace_delete(self):
        clock = self.admin('POST', '/_emu/clock', {'freeze': True})
        self.join('b1', A, 'browse')
        before = self.get(spath('b1', 'browse')).json
        self.assertNotIn('searchHandle', before)
        h = self.search('b1', self.ATTRS)
        self.assertEqual(list(h), ['id', 'type', 'version', 'createTime', 'sessionRef',
                                   'searchAttributes'])
        self.assertEqual(h['createTime'], iso(clock['nowMs']))
        self.assertEqual(list(h['searchAttributes']), ['tags', 'numbers', 'strings'])
        self.assertEqual(h['searchAttributes'], self.ATTRS)
        self.assertEqual(self.get('/handles/' + h['id']).json, h)
        doc = self.get(spath('b1', 'browse')).json
        self.assertEqual(doc['searchHandle'], h['id'])
        self.assertEqual(list(doc)[:5], ['contractVersion', 'branch', 'changeNumber',
                                         'correlationId', 'searchHandle'])
        self.assertEqual(doc['changeNumber'], before['changeNumber'] + 1)
        # a second handle replaces the first; attributes are optional
        self.join('b1', B, 'browse')
        h2 = self.search('b1', who=B)
        self.assertEqual(list(h2), ['id', 'type', 'version', 'createTime', 'sessionRef'])
        self.assertFalse(self.exists(h['id']))
        self.assertEqual(self.get(spath('b1', 'browse')).json['searchHandle'], h2['id'])
        # delete: by a member or the creator; the session shows no searchHandle afterwards
        self.assertText(self.request('DELETE', '/handles/' + h2['id'], who=C), 403)
        self.assertEqual(self.request('DELETE', '/handles/' + h2['id']).status, 204)
        self.assertNotIn('searchHandle', self.get(spath('b1', 'browse')).json)
        # the creator may delete after leaving; the session going takes the handle with it
        h3 = self.search('b1', who=B)
        self.put(spath('b1', 'browse'), {'members': {'me': None}}, who=B)
        self.assertEqual(self.request('DELETE', '/handles/' + h3['id'], who=B).status, 204)
        h4 = self.search('b1')
        self.put(spath('b1', 'browse'), {'members': {'me': None}}, who=A)
        self.assertFalse(self.exists(h4['id']))

    def test_create_refusals(self):
        self.admin('POST', '/_emu/clock', {'freeze': True})   # D's reservation must not expire
        self.join('b2', A, 'browse')
        self.join('plain', A)
        self.put(spath('b2', 'browse'), {'members': {'reserve_0': {'constants': {'system': {
            'xuid': D}}}}})
        self.assertText(self.post_handle(handle_body('search', 'none', 'browse')), 404)
        self.assertText(self.post_handle(handle_body('search', 'plain')), 400)
        self.assertText(self.post_handle(handle_body('search', 'b2', 'browse'), who=C), 403)
        body = handle_body('search', 'b2', 'browse')
        bad_attrs = [[], {'colors': []}, {'tags': 'casual'}, {'tags': [1]},
                     {'tags': ['1casual']}, {'tags': ['has space']}, {'tags': ['a' * 100]},
                     {'tags': ['']}, {'numbers': []}, {'numbers': {'lvl': '12'}},
                     {'numbers': {'lvl': True}}, {'numbers': {'9lvl': 1}},
                     {'strings': {'map': 3}}, {'strings': {'my map': 'x'}}, {'strings': 'x'}]
        self.assertAll400([dict(body, searchAttributes=a) for a in bad_attrs], self.post_handle)
        raw = json.dumps(body)[:-1] + ', "searchAttributes": {"numbers": {"x": 1e999}}}'
        self.assertText(self.post_handle(None, raw=raw.encode()), 400)
        self.assertEqual(self.search('b2', {'tags': ['a' * 99]})['searchAttributes'],
                         {'tags': ['a' * 99]})
        self.assertEqual(self.search('b2', who=D)['type'], 'search')   # a reserved member

    # ------------------------------------------------------------------ queries

    def fill(self):
        """Four sessions in browse (and one elsewhere), created 1 s apart."""
        self.admin('POST', '/_emu/clock', {'freeze': True})
        specs = [('m1', A, {'tags': ['Casual', 'voicechat'], 'numbers': {'minlevel': 12},
                            'strings': {'map': 'Harbor', 'mode': 'duo'}}),
                 ('m2', B, {'tags': ['ranked'], 'numbers': {'minlevel': 30, 'ratio': 0.5},
                            'strings': {'map': 'desert'}}),
                 ('m3', C, {'tags': ['casual'], 'numbers': {'minlevel': 5, 'ratio': 2},
                            'strings': {'map': "o'hara"}}),
                 ('m4', D, {})]
        ids = {}
        for name, who, attrs in specs:
            self.join(name, who, 'browse')
            ids[name] = self.search(name, attrs, who)['id']
            self.admin('POST', '/_emu/clock', {'advanceMs': 1000})
        self.template('other', {'version': 1, 'capabilities': {'searchable': True},
                                'sessionEmptyTimeout': 0})
        self.join('m1', A, 'other')
        self.new_handle(handle_body('search', 'm1', 'other', searchAttributes=specs[0][2]))
        self.ids = ids
        return ids

    def names(self, flt=None, order=None, who=A, **extra):
        body = {'type': 'search', 'scid': SCID, 'templateName': 'browse', 'global': True}
        if flt is not None:
            body['filter'] = flt
        if order is not None:
            body['orderBy'] = order
        body.update(extra)
        res = self.results(body, who, SEARCH_INCLUDE)
        by_id = {v: k for k, v in self.ids.items()}
        return [by_id[r['id']] for r in res]

    def test_query_operators_and_types(self):
        self.fill()
        cases = [
            (None, ['m1', 'm2', 'm3', 'm4']),
            ('', ['m1', 'm2', 'm3', 'm4']),
            ('numbers/minlevel eq 12', ['m1']),
            ('numbers/minlevel ne 12', ['m2', 'm3', 'm4']),     # missing is null: ne true
            ('numbers/minlevel gt 12', ['m2']),
            ('numbers/minlevel ge 12', ['m1', 'm2']),
            ('numbers/minlevel lt 12', ['m3']),
            ('numbers/minlevel le 12', ['m1', 'm3']),
            ('numbers/ratio eq 0.5', ['m2']),
            ('numbers/ratio ge 2.0', ['m3']),
            ('numbers/ratio lt 5e-1', []),
            ('numbers/ratio gt -1', ['m2', 'm3']),
            ('12 le numbers/minlevel', ['m1', 'm2']),
            ('numbers/MINLEVEL eq 30', ['m2']),
            ("strings/map eq 'Harbor'", ['m1']),
            ("strings/map eq 'harbor'", []),                     # values keep their case
            ("tolower(strings/map) eq 'harbor'", ['m1']),
            ("strings/map ne 'desert'", ['m1', 'm3', 'm4']),
            ("strings/map gt 'd'", ['m2', 'm3']),             # code point order: 'H' < 'd'
            ("strings/map lt 'h'", ['m1', 'm2']),
            ("strings/map ge 'desert'", ['m2', 'm3']),
            ("strings/map le 'desert'", ['m1', 'm2']),
            ("strings/map eq 'o''hara'", ['m3']),
            ("tags/any(d:d eq 'casual')", ['m3']),
            ("tags/any(d:tolower(d) eq 'casual')", ['m1', 'm3']),
            ("tags/any(t:t ne 'ranked')", ['m1', 'm3']),
            ("Tags/any(x:x eq 'voicechat' and tolower(x) eq 'voicechat')", ['m1']),
            ("session/memberXuids/any(d:d eq '%s')" % B, ['m2']),
            ("session/memberxuids/any(d:d ne '%s')" % B, ['m1', 'm3', 'm4']),
            ("session/ownerXuids/any(d:d eq '%s')" % A, []),
            ("strings/mode eq 'duo' and numbers/minlevel eq 12", ['m1']),
            ("(strings/mode eq 'duo') and (numbers/minlevel eq 30)", []),
        ]
        for flt, want in cases:
            with self.subTest(filter=flt):
                self.assertEqual(self.names(flt), want)

    def test_query_precedence(self):
        self.fill()
        # 'and' binds tighter than 'or': m2 or (m1 and m3) -> m2 only
        self.assertEqual(self.names("numbers/minlevel eq 30 or numbers/minlevel eq 12 and "
                                    "strings/map eq 'o''hara'"), ['m2'])
        self.assertEqual(self.names("numbers/minlevel eq 12 and strings/map eq 'Harbor' or "
                                    "numbers/minlevel eq 5"), ['m1', 'm3'])
        self.assertEqual(self.names("(numbers/minlevel eq 12 and strings/map eq 'x') or "
                                    "tags/any(d:d eq 'ranked')"), ['m2'])

    def test_bad_filters_are_400_with_reason(self):
        self.fill()
        bad = ["numbers/minlevel eq 1 or numbers/minlevel eq 2 or numbers/minlevel eq 3",
               "(numbers/minlevel eq 1 or numbers/minlevel eq 2) and numbers/ratio eq 1",
               "tags/any(d:d eq 'a' or d eq 'b')",
               "numbers/minlevel has 1", "numbers/minlevel eq", "eq 1",
               "numbers/minlevel eq 'a'", "strings/map eq 5", "tolower(numbers/minlevel) eq 1",
               "foo/bar eq 1", "strings/map/x eq 'a'", "numbers eq 1", "d eq 'a'",
               "tags/any(d:d eq 'a') and tags/any(e:tags/any(f:f eq 'a'))",
               "colors/any(d:d eq 'a')", "tags/any(d d eq 'a')", "tags/any(d:d eq 'a'",
               "strings/map eq 'open", "numbers/minlevel EQ 1",
               "numbers/minlevel eq 1 AND numbers/ratio eq 1", "numbers/minlevel eq 1 extra",
               "()", "numbers/minlevel eq 1 #", "not numbers/minlevel eq 1",
               "numbers/minlevel eq true", "strings/map eq tolower('A' )) "]
        for flt in bad:
            with self.subTest(filter=flt):
                r = self.query({'type': 'search', 'scid': SCID, 'templateName': 'browse',
                                'filter': flt}, path=SEARCH_INCLUDE)
                self.assertText(r, 400)
                self.assertTrue(r.body.startswith(b'filter: '), r.body)
        self.assertText(self.query({'type': 'search', 'scid': SCID, 'templateName': 'browse',
                                    'filter': 3}), 400)

    def test_query_order_by(self):
        self.fill()
        self.assertEqual(self.names(order='minlevel asc'), ['m3', 'm1', 'm2', 'm4'])
        self.assertEqual(self.names(order='minlevel desc'), ['m2', 'm1', 'm3', 'm4'])
        self.assertEqual(self.names(order='ratio desc'), ['m3', 'm2', 'm1', 'm4'])
        self.assertEqual(self.names(order='map desc'), ['m3', 'm2', 'm1', 'm4'])
        self.assertEqual(self.names(order='MAP'), ['m1', 'm2', 'm3', 'm4'])
        self.assertEqual(self.names(order='Timestamp desc'), ['m4', 'm3', 'm2', 'm1'])
        self.assertEqual(self.names(order='timestamp ASC'), ['m1', 'm2', 'm3', 'm4'])
        self.assertEqual(self.names("tags/any(d:tolower(d) eq 'casual')", 'minlevel desc'),
                         ['m1', 'm3'])
        for order in ('minlevel up', 'minlevel asc desc', '', '9lvl asc', 3):
            with self.subTest(orderBy=order):
                self.assertText(self.query({'type': 'search', 'scid': SCID,
                                            'templateName': 'browse', 'orderBy': order}), 400)

    def test_query_social_group_and_includes(self):
        ids = self.fill()
        self.join('m2', C, 'browse')
        self.put(spath('m2', 'browse'), {'members': {'me': {'roles': {'squad': 'medic'}}},
                                         'properties': {'custom': {'round': 2}}}, who=B)
        # A's favorites are C and B: sessions with at least one of them
        people = {'people': {'moniker': 'favorites', 'monikerXuid': A}}
        self.assertEqual(self.names(sessionMembers=people), ['m2', 'm3'])
        self.assertEqual(self.names(sessionMembers={'people': {
            'moniker': 'nobody', 'monikerXuid': A}}), [])
        body = {'type': 'search', 'scid': SCID, 'templateName': 'browse',
                'filter': "strings/map eq 'desert'"}
        res = self.results(body, path=SEARCH_INCLUDE)
        self.assertEqual(len(res), 1)
        r = res[0]
        self.assertEqual(list(r), ['id', 'type', 'version', 'createTime', 'sessionRef',
                                   'searchAttributes', 'customProperties', 'relatedInfo',
                                   'roleInfo'])
        self.assertEqual(r['id'], ids['m2'])
        self.assertEqual(r['sessionRef'], ref('m2', 'browse'))
        self.assertEqual(r['customProperties'], {'round': 2})
        self.assertEqual(r['relatedInfo'], {
            'visibility': 'open', 'joinRestriction': 'none', 'closed': False,
            'maxMembersCount': 4, 'membersCount': 2, 'sessionOwners': []})
        self.assertEqual(r['roleInfo'], {'roleTypes': {'squad': {'roles': {'medic': {
            'count': 1, 'target': 1, 'max': 2, 'memberXuids': [B]}}}}})
        plain = self.results(body, path='/handles/query')[0]
        self.assertEqual(list(plain), ['id', 'type', 'version', 'createTime', 'sessionRef',
                                       'searchAttributes'])
        # the other template's handle is not a candidate; the SCID matches without case
        body = {'type': 'search', 'scid': SCID.lower(), 'templateName': 'OTHER'}
        self.assertEqual([x['sessionRef']['templateName'] for x in self.results(body)], ['other'])

    def test_search_query_refusals(self):
        base = {'type': 'search', 'scid': SCID, 'templateName': 'browse'}
        bad = [{'type': 'search', 'templateName': 'browse'}, {'type': 'search', 'scid': SCID},
               dict(base, scid=''), dict(base, templateName=5),
               dict(base, sessionMembers={}), dict(base, sessionMembers={'xuids': [A]}),
               dict(base, sessionMembers={'people': {'moniker': 'people'}})]
        self.assertAll400(bad, lambda b: self.query(b, path=SEARCH_INCLUDE))
        self.assertEqual(self.results(base, path=SEARCH_INCLUDE), [])


# =========================================================================== session queries

class SessionQueryTest(HandleTestBase):
    def qpath(self, params='', template='quick', scid=SCID, batch=False):
        p = '/serviceconfigs/%s' % scid
        if template is not None:
            p += '/sessiontemplates/%s' % template
        return p + ('/batch' if batch else '/sessions') + ('?' + params if params else '')

    def sq(self, params='', who=A, template='quick', xuids=None, **kw):
        if xuids is None:
            return self.get(self.qpath(params, template), who=who, **kw)
        return self.request('POST', self.qpath(params, template, batch=True),
                            {'xuids': xuids}, who, **kw)

    def found(self, params='', **kw):
        r = self.sq(params, **kw)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.headers['content-type'], 'application/json')
        return [(e.get('xuid'), e['sessionRef']['name'], e.get('status')) for e in r.json['results']]

    def fill(self):
        self.clock = self.admin('POST', '/_emu/clock', {'freeze': True})['nowMs']
        # q1 (quick): A active, B reserved, keywords raid/Hard, followed, A's turn
        self.put(spath('q1'), join_body(A, properties={'system': {
            'keywords': ['raid', 'Hard'], 'joinRestriction': 'followed'}}),
            headers={'If-None-Match': '*'})
        self.put(spath('q1'), {'members': {'reserve_0': {'constants': {'system': {'xuid': B}}}},
                               'properties': {'system': {'turn': [0]}}})
        self.admin('POST', '/_emu/clock', {'advanceMs': 1000})
        # q2 (slow): A inactive, C active, keyword raid
        self.join('q2', C, 'slow', properties={'system': {'keywords': ['raid']}})
        self.join('q2', A, 'slow', active=False)
        self.admin('POST', '/_emu/clock', {'advanceMs': 1000})
        # q3 (loose, private, version 2): A active
        self.template('loose', {'sessionEmptyTimeout': 0})
        body = join_body(A, constants={'system': {'version': 2, 'visibility': 'private'}})
        self.assertEqual(self.put(spath('q3', 'loose'), body).status, 201)
        self.admin('POST', '/_emu/clock', {'advanceMs': 1000})
        # q4 (pair, full): D active
        self.template('pair', {'version': 1, 'maxMembersCount': 1, 'sessionEmptyTimeout': 0})
        self.join('q4', D, 'pair', properties={'system': {'keywords': ['RAID']}})
        # elsewhere: another SCID
        self.join('q5', A, scid=SCID2)

    def test_entries_exact(self):
        self.fill()
        r = self.sq('xuid=%s&reservations=true' % B, who=B)
        self.assertEqual(r.json, {'results': [{
            'xuid': B, 'startTime': iso(self.clock), 'sessionRef': ref('q1'),
            'accepted': 1, 'status': 'reserved', 'visibility': 'open',
            'joinRestriction': 'followed', 'keywords': ['raid', 'Hard']}]})
        self.assertEqual(list(r.json['results'][0]), ['xuid', 'startTime', 'sessionRef',
                                                      'accepted', 'status', 'visibility',
                                                      'joinRestriction', 'keywords'])
        r = self.sq('xuid=%s' % A)
        self.assertEqual(r.json['results'][0], {
            'xuid': A, 'startTime': iso(self.clock), 'sessionRef': ref('q1'),
            'accepted': 1, 'status': 'active', 'visibility': 'open',
            'joinRestriction': 'followed', 'myTurn': True, 'keywords': ['raid', 'Hard']})
        r = self.sq('keyword=raid', template=None)
        self.assertEqual(r.json['results'][1], {
            'startTime': iso(self.clock + 1000), 'sessionRef': ref('q2', 'slow'),
            'accepted': 2, 'visibility': 'open', 'keywords': ['raid']})
        self.assertEqual(r.json['results'][2]['visibility'], 'full')

    def test_matching(self):
        self.fill()
        cases = [
            ('keyword=raid', None, [(None, 'q1', None), (None, 'q2', None), (None, 'q4', None)]),
            ('keyword=RAID', 'quick', [(None, 'q1', None)]),
            ('keyword=hard', 'quick', [(None, 'q1', None)]),
            ('keyword=none', None, []),
            ('xuid=%s' % A, None, [(A, 'q1', 'active')]),
            ('xuid=%s&inactive=true' % A, None, [(A, 'q1', 'active'), (A, 'q2', 'inactive')]),
            ('xuid=%s&private=true' % A, None, [(A, 'q1', 'active'), (A, 'q3', 'active')]),
            ('xuid=%s&private=true' % A, 'loose', [(A, 'q3', 'active')]),
            ('xuid=%s&private=true&visibility=private' % A, None, [(A, 'q3', 'active')]),
            ('xuid=%s&private=true&version=2' % A, None, [(A, 'q3', 'active')]),
            ('xuid=%s&version=1&inactive=true' % A, None, [(A, 'q1', 'active'),
                                                          (A, 'q2', 'inactive')]),
            ('xuid=%s&keyword=raid&inactive=true' % A, 'slow', [(A, 'q2', 'inactive')]),
            ('xuid=%s&keyword=hard&inactive=true' % A, 'slow', []),
            ('keyword=raid&visibility=full', None, [(None, 'q4', None)]),
            ('keyword=raid&visibility=OPEN', None, [(None, 'q1', None), (None, 'q2', None)]),
            ('keyword=raid&visibility=visible', None, []),
            ('keyword=raid&take=2', None, [(None, 'q1', None), (None, 'q2', None)]),
            ('keyword=raid&take=0', None, []),
            ('keyword=raid&unknown=1', None, [(None, 'q1', None), (None, 'q2', None),
                                             (None, 'q4', None)]),
            ('xuid=%s' % B, 'quick', []),
        ]
        for params, template, want in cases:
            with self.subTest(params=params, template=template):
                self.assertEqual(self.found(params, template=template), want)
        # ready counts as inactive
        self.admin('POST', '/_emu/member', {'scid': SCID, 'templateName': 'slow', 'name': 'q2',
                                            'xuid': C, 'ready': True, 'active': False})
        self.assertEqual(self.found('xuid=%s&inactive=true' % C, who=C, template='slow'),
                         [(C, 'q2', 'inactive')])
        # a server principal may ask for anyone's private sessions and reservations
        self.assertEqual(self.found('xuid=%s&private=true&reservations=true' % B, who=None,
                                    template='quick', headers={
                                        'Authorization': 'XBL3.0 x=1;server'}),
                         [(B, 'q1', 'reserved')])

    def test_batch(self):
        self.fill()
        self.assertEqual(self.found('inactive=true', template=None, xuids=[C, A, C]), [
            (C, 'q2', 'active'), (A, 'q1', 'active'), (A, 'q2', 'inactive'),
            (C, 'q2', 'active')])
        self.assertEqual(self.found('inactive=true&take=1', template=None, xuids=[A, C]),
                         [(A, 'q1', 'active'), (C, 'q2', 'active')])
        self.assertEqual(self.found('private=true', template=None, xuids=[A]),
                         [(A, 'q1', 'active'), (A, 'q3', 'active')])
        for body in ({}, {'xuids': []}, {'xuids': A}, {'xuids': [1]}, {'xuids': ['x']}):
            with self.subTest(body=body):
                self.assertText(self.request('POST', self.qpath(batch=True), body), 400)
        self.assertText(self.sq('xuid=%s' % A, xuids=[A]), 400)
        self.assertText(self.sq('private=true', xuids=[A, C]), 403)

    def test_refusals(self):
        self.fill()
        bad = ['', 'keyword=', 'take=101&keyword=raid', 'take=-1&keyword=raid',
               'take=x&keyword=raid', 'version=8&keyword=raid', 'version=x&keyword=raid',
               'visibility=any&keyword=raid', 'visibility=private&keyword=raid',
               'visibility=private&xuid=%s' % A, 'private=false&xuid=%s' % A,
               'inactive=TRUE&xuid=%s' % A, 'reservations=1&xuid=%s' % A, 'xuid=abc',
               'xuid=%s&xuid=%s' % (A, A)]
        self.assertAll400(bad, self.sq)
        self.assertEqual(self.sq('version=7&keyword=raid').status, 200)
        self.assertEqual(self.sq('version=5&keyword=raid', cv='105').status, 200)
        self.assertText(self.sq('version=6&keyword=raid', cv='105'), 400)
        for params in ('xuid=%s&private=true' % B, 'xuid=%s&reservations=true' % B,
                       'keyword=raid&private=true', 'keyword=nothing&reservations=true'):
            with self.subTest(params=params):
                self.assertText(self.sq(params), 403)
        self.assertText(self.sq('keyword=raid', template='nosuch'), 404)
        self.assertText(self.get('/serviceconfigs/bad!scid/sessions?keyword=raid'), 404)
        self.assertText(self.sq('keyword=raid', who=None), 401)
        self.assertText(self.sq('keyword=raid', cv='103'), 400)
        r = self.request('POST', self.qpath('keyword=raid'), {})
        self.assertText(r, 405)
        self.assertEqual(r.headers['allow'], 'GET')
        r = self.get(self.qpath('keyword=raid', batch=True))
        self.assertEqual((r.status, r.headers['allow']), (405, 'POST'))

    def test_literal_segments_and_encoding(self):
        self.fill()
        p = '/ServiceConfigs/%s/SessionTemplates/quick/Sessions?keyword=%%52aid' % SCID
        r = self.get(p)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual([e['sessionRef']['name'] for e in r.json['results']], ['q1'])
        self.put(spath('q1'), {'properties': {'system': {'keywords': ['a&b=c']}}})
        self.assertEqual(self.found('keyword=a%26b%3Dc'), [(None, 'q1', None)])

    def test_timers_are_caught_up(self):
        self.admin('POST', '/_emu/clock', {'freeze': True})
        self.join('t1', A)
        self.put(spath('t1'), {'members': {'reserve_0': {'constants': {'system': {'xuid': B}}}}})
        self.assertEqual(self.found('xuid=%s&reservations=true' % B, who=B),
                         [(B, 't1', 'reserved')])
        self.admin('POST', '/_emu/clock', {'advanceMs': 30000})
        self.assertEqual(self.found('xuid=%s&reservations=true' % B, who=B), [])


# =========================================================================== social graph, faults

class SocialAndFaultTest(HandleTestBase):
    def test_social_admin(self):
        want = {'groups': [{'xuid': A, 'moniker': 'Favorites', 'xuids': [C, B]},
                           {'xuid': B, 'moniker': 'people', 'xuids': [A]}]}
        self.assertEqual(self.admin('GET', '/_emu/social'), want)
        g = self.admin('POST', '/_emu/social', {'xuid': A, 'moniker': 'favorites',
                                                'xuids': [D]})
        self.assertEqual(g['groups'][0], {'xuid': A, 'moniker': 'favorites', 'xuids': [D]})
        g = self.admin('POST', '/_emu/social', {'groups': [{'xuid': C, 'moniker': 'people',
                                                            'xuids': []}]})
        self.assertEqual(g, {'groups': [{'xuid': C, 'moniker': 'people', 'xuids': []}]})
        self.admin('POST', '/_emu/reset')
        self.assertEqual(self.admin('GET', '/_emu/social'), want)
        for body in ([], {'xuid': A, 'moniker': 'people'}, {'xuid': 'A', 'moniker': 'p',
                                                            'xuids': []},
                     {'xuid': A, 'moniker': '', 'xuids': []},
                     {'xuid': A, 'moniker': 'p', 'xuids': [A], 'extra': 1},
                     {'xuid': A, 'moniker': 'p', 'xuids': ['0']}, {'groups': {}},
                     {'groups': [{'xuid': A}]}):
            with self.subTest(body=body):
                r = self.request('POST', '/_emu/social', body, who=None, cv=None)
                self.assertText(r, 400)
        self.assertEqual(self.admin('GET', '/_emu/social'), want)

    def test_fault_modes_reach_new_endpoints(self):
        self.join('f1', A)
        body = {'type': 'activity', 'owners': {'xuids': [A]}}
        r = self.query(body, headers={'x-emu-fault': '503=4'})
        self.assertText(r, 503)
        self.assertEqual(r.headers['retry-after'], '4')
        r = self.get('/serviceconfigs/%s/sessions?xuid=%s' % (SCID, A),
                     headers={'x-emu-fault': 'chunked=3'})
        self.assertEqual((r.status, r.headers.get('transfer-encoding')), (200, 'chunked'))
        self.assertEqual(r.json['results'][0]['sessionRef'], ref('f1'))
        # a global throttle stops a handle POST before it is processed
        self.admin('POST', '/_emu/faults', {'fault': '429', 'count': 1})
        r = self.post_handle(handle_body('activity', 'f1'))
        self.assertEqual(r.status, 429)
        self.assertEqual(self.activities_of(A), [])
        self.assertEqual(self.post_handle(handle_body('activity', 'f1')).status, 201)

    def test_bad_graph_file_and_help(self):
        fd, path = tempfile.mkstemp(suffix='.json')
        try:
            for content in ('{"groups": [{"xuid": "1"}]}', 'not json', '[]'):
                with os.fdopen(os.open(path, os.O_WRONLY | os.O_TRUNC), 'w') as f:
                    f.write(content)
                out = subprocess.run([sys.executable, EMU, '--port', '0', '--social-graph', path],
                                     capture_output=True, text=True, timeout=30)
                self.assertEqual(out.returncode, 1, content)
                self.assertIn(path, out.stderr)
        finally:
            os.close(fd)
            os.unlink(path)
        out = subprocess.run([sys.executable, EMU, '--help'], capture_output=True, text=True,
                             timeout=30)
        for word in ('--social-graph', '/_emu/social', '/handles/query', 'SEARCH FILTER',
                     '/batch', 'tags/any'):
            self.assertIn(word, out.stdout)


if __name__ == '__main__':
    unittest.main()
