"""The emulator's commit observers (Emulator.observers), in process.

Every committed change of a session reaches each observer once, with the
session before and after; writes that change nothing and refused writes do not.
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
A, B = '2814600000000001', '2814600000000002'
PATH = '/serviceconfigs/%s/sessionTemplates/quick/sessions/obs1' % SCID


def auth(xuid):
    return 'XBL3.0 x=1;xuid=%s,gt=P%s,dev=d%s,title=1234' % (xuid, xuid[-1], xuid[-1])


class ObserverTest(unittest.TestCase):
    def setUp(self):
        self.srv = mpsd_emulator.make_server('127.0.0.1', 0)
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()
        self.events = []
        self.srv.emu.observers.append(self.events.append)

    def tearDown(self):
        self.srv.shutdown()
        self.srv.server_close()

    def put(self, xuid, body, **hdrs):
        c = http.client.HTTPConnection('127.0.0.1', self.srv.server_address[1], timeout=10)
        h = {'Authorization': auth(xuid), 'x-xbl-contract-version': '107',
             'Content-Type': 'application/json'}
        h.update(hdrs)
        c.request('PUT', PATH, json.dumps(body), h)
        r = c.getresponse()
        r.read()
        c.close()
        return r.status

    @staticmethod
    def join(xuid):
        return {'members': {'me': {'constants': {'system': {'xuid': xuid}},
                                   'properties': {'system': {'active': True}}}}}

    def test_create_update_noop_refusal_delete(self):
        self.assertEqual(self.put(A, self.join(A)), 201)
        self.assertEqual(self.put(B, self.join(B)), 200)
        self.assertEqual(self.put(B, self.join(B)), 200)          # no change: no event
        self.assertEqual(self.put(A, {}, **{'If-Match': '"stale"'}), 412)  # refused: no event
        self.assertEqual(self.put(A, {'members': {'me': None}}), 200)
        self.assertEqual(self.put(B, {'members': {'me': None}}), 204)
        kinds = [(e['before'] is None, e['after'] is None, e['cause']) for e in self.events]
        self.assertEqual(kinds, [(True, False, 'write'), (False, False, 'write'),
                                 (False, False, 'write'), (False, True, 'write')])
        self.assertEqual([e['after']['changeNumber'] for e in self.events[:3]], [1, 2, 3])
        self.assertEqual(sorted(m['xuid'] for m in self.events[1]['after']['members'].values()),
                         [A, B])
        self.assertTrue(all(e['key'] == self.events[0]['key'] for e in self.events))

    def test_failing_observer_does_not_fail_the_write(self):
        def broken(event):
            raise RuntimeError('observer bug')
        self.srv.emu.observers.insert(0, broken)
        stderr, sys.stderr = sys.stderr, open(os.devnull, 'w')
        try:
            self.assertEqual(self.put(A, self.join(A)), 201)
        finally:
            sys.stderr.close()
            sys.stderr = stderr
        self.assertEqual(len(self.events), 1)


if __name__ == '__main__':
    unittest.main()
