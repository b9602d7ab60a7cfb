"""Handle lifetimes under concurrent writers, in process.

Eight users join, publish an activity and a search handle, query, and leave
the same three sessions at once. Whatever the interleaving, the lock order
(session lock, then the emulator lock) must hold, and once everyone has left
no session and no handle may remain.
"""

import http.client
import json
import os
import sys
import threading
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
import mpsd_emulator  # noqa: E402

SCID = '00000000-0000-0000-0000-00000000ABCD'
USERS = ['28146000000001%02d' % i for i in range(8)]
ROUNDS = 15


class ConcurrentHandlesTest(unittest.TestCase):
    def setUp(self):
        self.srv = mpsd_emulator.make_server('127.0.0.1', 0)
        self.srv.emu.add_template('browse', {'constants': {'system': {
            'version': 1, 'maxMembersCount': 10, 'sessionEmptyTimeout': 0,
            'capabilities': {'searchable': True}}}})
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()
        self.errors = []

    def tearDown(self):
        self.srv.shutdown()
        self.srv.server_close()

    def user(self, xuid):
        c = http.client.HTTPConnection('127.0.0.1', self.srv.server_address[1], timeout=60)
        hdrs = {'Authorization': 'XBL3.0 x=1;xuid=%s,title=1234' % xuid,
                'x-xbl-contract-version': '107', 'Content-Type': 'application/json'}

        def call(method, path, body=None):
            c.request(method, path, json.dumps(body) if body is not None else None, hdrs)
            r = c.getresponse()
            r.read()
            return r.status
        try:
            for i in range(ROUNDS):
                name = 'race%d' % (i % 3)
                path = '/serviceconfigs/%s/sessiontemplates/browse/sessions/%s' % (SCID, name)
                ref = {'scid': SCID, 'templateName': 'browse', 'name': name}
                got = [call('PUT', path, {'members': {'me': {
                    'constants': {'system': {'xuid': xuid}},
                    'properties': {'system': {'active': True}}}}}),
                       call('POST', '/handles', {'type': 'activity', 'sessionRef': ref,
                                                 'version': 1}),
                       call('POST', '/handles', {'type': 'search', 'version': 1,
                                                 'sessionRef': ref, 'searchAttributes': {
                                                     'tags': ['t%d' % i]}}),
                       call('POST', '/handles/query?include=relatedInfo', {
                           'type': 'activity', 'owners': {'xuids': USERS}}),
                       call('POST', '/handles/query?include=relatedInfo,roleInfo', {
                           'type': 'search', 'scid': SCID, 'templateName': 'browse'}),
                       call('GET', '/serviceconfigs/%s/sessions?xuid=%s' % (SCID, xuid)),
                       call('PUT', path, {'members': {'me': None}})]
                if got[:6] != [got[0], 201, 201, 200, 200, 200] or got[0] not in (200, 201) \
                        or got[6] not in (200, 204):
                    self.errors.append((xuid, i, got))
        except Exception as e:  # reported by the main thread
            self.errors.append((xuid, repr(e)))
        finally:
            c.close()

    def test_everyone_leaves_nothing_remains(self):
        threads = [threading.Thread(target=self.user, args=(x,)) for x in USERS]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)   # a deadlock would leave threads alive
        self.assertEqual([t for t in threads if t.is_alive()], [])
        self.assertEqual(self.errors, [])
        emu = self.srv.emu
        self.assertEqual(emu.sessions, {})
        self.assertEqual(emu.handles, {})


if __name__ == '__main__':
    unittest.main()
