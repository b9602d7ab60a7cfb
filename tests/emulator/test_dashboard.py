"""The dashboard's Python pieces, in process: the document diff, the history
store fed by Emulator.observers and the request hook, the SSE stream, the page.
"""

import contextlib
import http.client
import json
import os
import socket
import sys
import threading
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
import mpsd_emulator  # noqa: E402
from mpsd_emulator import dashboard  # noqa: E402

SCID = '00000000-0000-0000-0000-00000000DA5B'
A, B = '2814600000000001', '2814600000000002'
PATH = '/serviceconfigs/%s/sessionTemplates/quick/sessions/dash1' % SCID
KEY = '%s/quick/dash1' % SCID.lower()


def auth(xuid):
    return 'XBL3.0 x=1;xuid=%s,gt=P%s' % (xuid, xuid[-1])


def join(xuid):
    return {'members': {'me': {'constants': {'system': {'xuid': xuid}},
                               'properties': {'system': {'active': True}}}}}


class DiffTest(unittest.TestCase):
    def test_objects_key_by_key_lists_and_subtrees_whole(self):
        before = {'a': 1, 'b': {'c': [1, 2], 'd': 'x'}, 'gone': {'deep': 1}}
        after = {'a': 1, 'b': {'c': [1, 2, 3], 'd': 'x', 'e': None}, 'new': {'deep': 2}}
        self.assertEqual(dashboard.diff(before, after), [
            {'op': 'change', 'path': 'b/c', 'old': [1, 2], 'new': [1, 2, 3]},
            {'op': 'add', 'path': 'b/e', 'new': None},
            {'op': 'remove', 'path': 'gone', 'old': {'deep': 1}},
            {'op': 'add', 'path': 'new', 'new': {'deep': 2}}])

    def test_equal_documents_and_type_changes(self):
        self.assertEqual(dashboard.diff({'a': [1]}, {'a': [1]}), [])
        self.assertEqual(dashboard.diff({'a': 1}, {'a': True}),
                         [{'op': 'change', 'path': 'a', 'old': 1, 'new': True}])
        self.assertEqual(dashboard.diff({'a': {}}, {'a': 0}),
                         [{'op': 'change', 'path': 'a', 'old': {}, 'new': 0}])

    def test_doc_diff_drops_the_change_number_and_names_create_and_delete(self):
        self.assertEqual(dashboard.doc_diff({'changeNumber': 1, 'x': 1}, {'changeNumber': 2, 'x': 2}),
                         [{'op': 'change', 'path': 'x', 'old': 1, 'new': 2}])
        self.assertEqual(dashboard.doc_diff(None, {'changeNumber': 1, 'x': 1}),
                         [{'op': 'add', 'path': 'x', 'new': 1}])
        self.assertEqual(dashboard.doc_diff({'x': 1}, None),
                         [{'op': 'remove', 'path': '', 'old': 'session deleted'}])
        self.assertEqual(dashboard.doc_diff(None, None), [])


class ServerCase(unittest.TestCase):
    def setUp(self):
        self.stderr, sys.stderr = sys.stderr, open(os.devnull, 'w')   # the per-request log
        self.srv = mpsd_emulator.make_server('127.0.0.1', 0)
        self.port = self.srv.server_address[1]
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()

    def tearDown(self):
        self.srv.dashboard.close()
        self.srv.shutdown()
        self.srv.server_close()
        sys.stderr.close()
        sys.stderr = self.stderr

    def call(self, method, path, xuid=None, body=None, **hdrs):
        c = http.client.HTTPConnection('127.0.0.1', self.port, timeout=10)
        h = {'x-xbl-contract-version': '107', 'Content-Type': 'application/json'}
        if xuid:
            h['Authorization'] = auth(xuid)
        h.update({k.replace('_', '-'): v for k, v in hdrs.items()})
        c.request(method, path, json.dumps(body) if body is not None else None, h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r.getheader('ETag'), data

    def state(self):
        status, _, data = self.call('GET', '/_emu/dashboard/state')
        self.assertEqual(status, 200)
        return json.loads(data)


class HistoryTest(ServerCase):
    def story(self):
        self.assertEqual(self.call('PUT', PATH, A, join(A), If_None_Match='*')[0], 201)
        status, etag, _ = self.call('PUT', PATH, B, join(B))
        self.assertEqual(status, 200)
        self.assertEqual(self.call('PUT', PATH, A, {'properties': {'custom': {'round': 2}}},
                                   If_Match='"stale"')[0], 412)
        self.assertEqual(self.call('PUT', PATH, A, {'properties': {'custom': {'round': 2}}},
                                   If_Match=etag)[0], 200)
        self.assertEqual(self.call('DELETE', PATH + '/members/me', A)[0], 200)
        self.assertEqual(self.call('PUT', PATH, B, {'members': {'me': None}})[0], 204)

    def test_each_change_with_its_request_and_the_refusal_marked(self):
        self.story()
        st = self.state()
        self.assertEqual([s['key'] for s in st['sessions']], [KEY])
        s = st['sessions'][0]
        self.assertIsNone(s['current'])                       # deleted at the end
        self.assertEqual([m['xuid'] for m in s['last']['members']], [B])
        h = s['history']
        self.assertEqual([(e['kind'], e['changeNumber'], e['method'], e['status'], e['writer']) for e in h], [
            ('change', 1, 'PUT', 201, A), ('change', 2, 'PUT', 200, B), ('refusal', 2, 'PUT', 412, A),
            ('change', 3, 'PUT', 200, A), ('change', 4, 'DELETE', 200, A), ('change', None, 'PUT', 204, B)])
        self.assertEqual(h[0]['ifNoneMatch'], '*')
        self.assertTrue(h[0]['created'])
        self.assertEqual(h[2]['ifMatch'], '"stale"')
        self.assertEqual(h[2]['reason'], "If-Match did not match the session's etag")
        self.assertIn({'op': 'add', 'path': 'properties/custom/round', 'new': 2}, h[3]['diff'])
        self.assertTrue(h[3]['ifMatch'])
        self.assertEqual([d['path'] for d in h[1]['diff'] if d['op'] == 'add'], ['members/1'])
        self.assertEqual(h[1]['diff'][[d['path'] for d in h[1]['diff']].index('members/1')]['new']
                         ['constants']['system']['xuid'], B)
        left = [d for d in h[4]['diff'] if d['path'] == 'members/0']
        self.assertEqual([(d['op'], d['old']['constants']['system']['xuid']) for d in left], [('remove', A)])
        self.assertTrue(h[5]['deleted'])
        self.assertEqual(h[5]['diff'], [{'op': 'remove', 'path': '', 'old': 'session deleted'}])

    def test_request_log(self):
        self.story()
        self.assertEqual(self.call('GET', PATH, A)[0], 204)   # gone
        self.assertEqual(self.call('GET', PATH)[0], 401)      # no token: logged with no writer
        log = self.state()['requests']
        self.assertEqual([(r['method'], r['status']) for r in log], [
            ('PUT', 201), ('PUT', 200), ('PUT', 412), ('PUT', 200), ('DELETE', 200), ('PUT', 204),
            ('GET', 204), ('GET', 401)])
        self.assertTrue(all(r['session'] == KEY for r in log))
        self.assertEqual(len({r['id'] for r in log}), len(log))
        self.assertTrue(all(r['latencyMs'] >= 0 for r in log))
        self.assertEqual(log[2]['ifMatch'], '"stale"')
        self.assertEqual(log[7]['xuid'], None)
        self.assertEqual(log[7]['reason'], 'missing or invalid Authorization')
        self.assertEqual(self.state()['sessions'][0]['history'][-1]['status'], 401)

    def test_request_id_header_and_fault_noted(self):
        self.call('PUT', PATH, A, join(A), X_Request_Id='req-7', x_emu_fault='delay=5')
        r = self.state()['requests'][0]
        self.assertEqual((r['id'], r['fault']), ('req-7', 'delay=5'))
        self.assertGreaterEqual(r['latencyMs'], 5)

    def test_handles_pointing_at_the_session_and_writes_by_handle(self):
        self.assertEqual(self.call('PUT', PATH, A, join(A))[0], 201)
        status, _, data = self.call('POST', '/handles', A, {
            'version': 1, 'type': 'activity',
            'sessionRef': {'scid': SCID, 'templateName': 'quick', 'name': 'dash1'}})
        self.assertEqual(status, 201)
        hid = json.loads(data)['id']
        s = self.state()['sessions'][0]
        self.assertEqual([h['id'] for h in s['handles']], [hid])
        self.assertEqual(self.call('PUT', '/handles/%s/session' % hid, B, join(B))[0], 200)
        s = self.state()['sessions'][0]
        self.assertEqual(s['history'][-1]['path'], '/handles/%s/session' % hid)
        self.assertEqual(len(s['current']['members']), 2)
        self.assertEqual(self.state()['requests'][-1]['session'], KEY)

    def test_reset_forgets_everything(self):
        self.story()
        self.assertEqual(self.call('POST', '/_emu/reset', body={})[0], 200)
        st = self.state()
        self.assertEqual(st['sessions'], [])

    def test_a_failing_hook_does_not_fail_the_reply(self):
        def broken(*args):
            raise RuntimeError('hook bug')
        self.srv.request_hooks.insert(0, broken)
        self.assertEqual(self.call('PUT', PATH, A, join(A))[0], 201)
        self.assertEqual(len(self.state()['sessions'][0]['history']), 1)


class LimitTest(unittest.TestCase):
    def test_the_oldest_ended_session_goes_first(self):
        d = dashboard.Dashboard(mpsd_emulator.Emulator({}))
        old = dashboard.SESSION_LIMIT
        dashboard.SESSION_LIMIT = 3
        try:
            with d.cond:
                for n in 'abc':
                    d.record(n, ('s', 't', n))['current'] = {'live': n}
                d.sessions['b']['current'] = None           # b ended
                d.record('d', ('s', 't', 'd'))
                self.assertEqual(list(d.sessions), ['a', 'c', 'd'])
                d.record('e', ('s', 't', 'e'))              # none ended but d (never had a state)
                self.assertEqual(list(d.sessions), ['a', 'c', 'e'])
                d.sessions['e']['current'] = {'live': 'e'}
                d.record('f', ('s', 't', 'f'))              # all live: the oldest
                self.assertEqual(list(d.sessions), ['c', 'e', 'f'])
        finally:
            dashboard.SESSION_LIMIT = old


class StreamTest(ServerCase):
    def open_stream(self):
        sock = socket.create_connection(('127.0.0.1', self.port), timeout=10)
        sock.sendall(b'GET /_emu/dashboard/events HTTP/1.1\r\nHost: x\r\n\r\n')
        return sock, sock.makefile('rb')

    @staticmethod
    def next_event(f):
        ev = {}
        while True:
            line = f.readline()
            if not line:
                raise EOFError('stream closed')
            line = line.decode().rstrip('\r\n')
            if line == '' and ev:
                ev['data'] = json.loads(ev['data'])
                return ev
            if line.startswith(':') or not line:
                continue
            k, _, v = line.partition(': ')
            ev[k] = v

    def test_snapshot_then_live_events(self):
        self.assertEqual(self.call('PUT', PATH, A, join(A))[0], 201)
        sock, f = self.open_stream()
        try:
            self.assertEqual(f.readline(), b'HTTP/1.1 200 OK\r\n')
            headers = {}
            for line in iter(f.readline, b'\r\n'):
                k, _, v = line.decode().partition(':')
                headers[k.lower()] = v.strip()
            self.assertEqual(headers['content-type'], 'text/event-stream')
            snap = self.next_event(f)
            self.assertEqual(snap['event'], 'snapshot')
            self.assertEqual([s['key'] for s in snap['data']['sessions']], [KEY])
            self.assertEqual(int(snap['id']), snap['data']['seq'])

            self.assertEqual(self.call('PUT', PATH, B, join(B))[0], 200)
            req, ses = self.next_event(f), self.next_event(f)
            self.assertEqual((req['event'], req['data']['status'], req['data']['xuid']), ('request', 200, B))
            self.assertEqual(ses['event'], 'session')
            self.assertEqual(ses['data']['key'], KEY)
            self.assertEqual([e['changeNumber'] for e in ses['data']['entries']], [2])
            self.assertEqual(len(ses['data']['current']['members']), 2)
            self.assertEqual([int(snap['id']) + 1, int(snap['id']) + 2], [int(req['id']), int(ses['id'])])
        finally:
            f.close()
            sock.close()

    @contextlib.contextmanager
    def after_snapshot(self):
        """A stream past its headers and its first event (the snapshot)."""
        sock, f = self.open_stream()
        try:
            for line in iter(f.readline, b'\r\n'):
                pass
            self.assertEqual(self.next_event(f)['event'], 'snapshot')
            yield f
        finally:
            f.close()
            sock.close()

    def test_a_reader_that_fell_behind_gets_a_new_snapshot(self):
        with self.after_snapshot() as f:
            with self.srv.dashboard.cond:      # hold the stream back while events pile up
                for i in range(dashboard.EVENT_LIMIT + 5):
                    self.srv.dashboard.publish('request', {'n': i})
            ev = self.next_event(f)
            self.assertEqual(ev['event'], 'snapshot')
            self.assertEqual(int(ev['id']), dashboard.EVENT_LIMIT + 5)

    def test_close_ends_the_stream(self):
        with self.after_snapshot() as f:
            self.srv.dashboard.close()
            self.assertEqual(f.read(), b'')


class PageTest(ServerCase):
    def test_the_page_is_self_contained(self):
        status, _, data = self.call('GET', '/')
        self.assertEqual(status, 200)
        page = data.decode()
        self.assertIn("new EventSource('/_emu/dashboard/events')", page)
        self.assertNotIn('<script src', page)
        self.assertNotIn('<link rel="stylesheet"', page)
        self.assertNotIn('http://', page)
        self.assertNotIn('https://', page)
        self.assertNotIn('innerHTML', page)      # every value goes in as text
        self.assertEqual(self.state()['requests'], [])   # the dashboard's own requests are not logged

    def test_other_methods_and_paths_are_not_the_dashboard(self):
        self.assertEqual(self.call('POST', '/', body={})[0], 404)
        self.assertEqual(self.call('GET', '/_emu/dashboard/nope')[0], 404)
