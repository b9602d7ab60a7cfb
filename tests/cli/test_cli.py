"""build/xbl-mpsd against the emulator: every command, the exit statuses
(0 success, 1 service or transport error, 2 usage), the 412 path of
--if-match, a bad address, a bad token, TLS, and --json parsed.

Run by `make cli-test` (which builds the binary first).
"""

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.join(ROOT, os.environ.get('BUILD', 'build'), 'xbl-mpsd')
SCID = '00000000-0000-0000-0000-0000c11c11c1'
ME = '2814600000000100'          # the command line's default user
BOB = '2814600000000002'
WAIT_S = 20.0                    # a bound for each wait, never an assertion


def start_emulator(*extra):
    p = subprocess.Popen([sys.executable, os.path.join(ROOT, 'tools', 'mpsd_emulator.py'),
                          '--host', '127.0.0.1', '--port', '0'] + list(extra),
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    if not line.startswith('listening on '):
        p.kill()
        raise RuntimeError('the emulator did not start: %r' % line)
    return p, int(line.rsplit(':', 1)[1])


def stop(p):
    p.terminate()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    p.stdout.close()


class CliCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu, cls.port = start_emulator()

    @classmethod
    def tearDownClass(cls):
        stop(cls.emu)

    def setUp(self):
        self.name = 'cli-%s' % self.id().rsplit('.', 1)[1].replace('_', '-')[:60]

    def run_cli(self, *args, port=None):
        p = subprocess.run([CLI, '--port', str(port or self.port)] + [str(a) for a in args],
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def ok(self, *args):
        rc, out, err = self.run_cli(*args)
        self.assertEqual(rc, 0, err)
        return out, err

    def ref(self, name=None):
        return [SCID, 'quick', name or self.name]

    def admin(self, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request('http://127.0.0.1:%d%s' % (self.port, path), data=data,
                                     method='POST' if data is not None else 'GET')
        return json.load(urllib.request.urlopen(req, timeout=10))

    def create(self, *extra):
        out, _ = self.ok('--json', 'create', *self.ref(), *extra)
        return json.loads(out)


class HelpAndUsageTest(CliCase):
    COMMANDS = ('get', 'create', 'join', 'leave', 'set-prop', 'set-member-prop', 'watch')

    def test_help_for_everything(self):
        rc, out, err = self.run_cli('--help')
        self.assertEqual((rc, err), (0, ''))
        self.assertTrue(out.startswith('usage: xbl-mpsd [--host H] [--port N] [--tls --ca FILE [--server-name NAME]]'))
        for c in self.COMMANDS:
            self.assertIn('  ' + c + ' ', out)
            rc, out_c, _ = self.run_cli(c, '--help')
            self.assertEqual(rc, 0)
            self.assertTrue(out_c.startswith('usage: xbl-mpsd [options] %s ' % c), out_c)
        self.assertIn('--handle ID', self.run_cli('get', '--help')[1])
        self.assertIn('--if-match', self.run_cli('join', '--help')[1])
        watch_help = self.run_cli('watch', '--help')[1]
        for text in ('follows the session through RTA', 'CHANGES THE SESSION', 'On ^C watch leaves the session',
                     '--interval implies --poll', 'falls back to reading by itself'):
            self.assertIn(text, watch_help)

    def test_usage_errors_exit_2(self):
        cases = [
            ((), 'no command given'),
            (('frobnicate',), 'unknown command "frobnicate"'),
            (('get', SCID, 'quick'), 'needs SCID TEMPLATE NAME'),
            (('get', SCID, 'quick', 'a', 'b'), 'unexpected argument "b"'),
            (('get', '--handle', 'h1', SCID, 'quick', 'a'), 'either --handle ID or SCID TEMPLATE NAME'),
            (('get', SCID, 'quick', 'a', '--if-match'), 'unknown option --if-match'),
            (('get', SCID, 'quick', 'a', '--bogus'), 'unknown option --bogus'),
            (('--port', '70000', 'get', SCID, 'quick', 'a'), 'bad number for --port'),
            (('--port',), '--port needs a value'),
            (('--tls', 'get', SCID, 'quick', 'a'), '--tls and --ca FILE go together'),
            (('set-prop', SCID, 'quick', 'a'), 'needs at least one KEY=JSON'),
            (('set-prop', SCID, 'quick', 'a', 'novalue'), 'expected KEY=JSON, got "novalue"'),
            (('create', SCID, 'quick', 'a', '--visibility', 'loud'), '--visibility must be private, visible or open'),
            (('watch', SCID, 'quick', 'a', '--interval', '5'), 'bad number for --interval'),
            (('watch', SCID, 'quick', 'a', '--rta-port', '0'), 'bad number for --rta-port'),
            (('get', SCID, 'quick', 'a', '--poll'), 'unknown option --poll'),
            (('get', SCID, 'quick', 'x' * 120), 'too long'),
        ]
        p = subprocess.run([CLI], capture_output=True, text=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout), (2, ''))
        self.assertTrue(p.stderr.startswith('usage: xbl-mpsd '))
        for args, text in cases:
            rc, out, err = self.run_cli(*args)
            self.assertEqual(rc, 2, (args, err))
            self.assertEqual(out, '', args)
            self.assertIn(text, err, args)

    def test_json_the_sdk_refuses_is_a_usage_error_naming_the_code(self):
        self.create()
        rc, out, err = self.run_cli('set-prop', *self.ref(), 'x={bad')
        self.assertEqual((rc, out), (2, ''))
        self.assertIn('XBL_MPSD_E_INVALID_JSON_STRING', err)
        rc, _, err = self.run_cli('get', SCID, 'quick', 'has space')
        self.assertEqual(rc, 2)
        self.assertIn('XBL_MPSD_E_INVALIDARG', err)


class CommandTest(CliCase):
    def test_create_prints_the_summary(self):
        out, err = self.ok('create', *self.ref(), '--prop', 'map="canyon"', '--prop', 'round=1',
                           '--max-members', '8', '--visibility', 'open')
        self.assertEqual(err, 'xbl-mpsd create: CREATED (HTTP 201)\n')
        lines = out.splitlines()
        self.assertEqual(lines[0], 'session     %s / quick / %s' % (SCID, self.name))
        self.assertRegex(lines[1], r'^etag        [0-9a-f]{32}$')
        self.assertEqual(lines[2:7], ['change      1', 'visibility  open, max members 8', 'constants   {}',
                                      'properties  {"map":"canyon","round":1}', 'members     1'])
        self.assertRegex(lines[7], r'^  #0   %s\s+cli100\s+active\s+properties \{\}$' % ME)
        rc, _, err = self.run_cli('create', *self.ref())
        self.assertEqual(rc, 1)
        self.assertEqual(err, 'xbl-mpsd create: write refused: the session already exists: HTTP 412, '
                              'HTTP status 412, service error: none\n')

    def test_get_json_is_the_document_the_service_sent(self):
        self.create('--prop', 'map="canyon"')
        out, err = self.ok('--json', 'get', *self.ref())
        self.assertEqual(err, '')
        doc = json.loads(out)
        req = urllib.request.Request(
            'http://127.0.0.1:%d/serviceconfigs/%s/sessionTemplates/quick/sessions/%s' % (self.port, SCID, self.name),
            headers={'Authorization': 'XBL3.0 x=-;xuid=%s,gt=cli100' % ME, 'x-xbl-contract-version': '107'})
        self.assertEqual(doc, json.load(urllib.request.urlopen(req, timeout=10)))
        self.assertEqual(doc['properties']['custom'], {'map': 'canyon'})
        self.assertEqual(doc['members']['0']['constants']['system']['xuid'], ME)

    def test_join_set_props_leave(self):
        self.create()
        doc = json.loads(self.ok('--xuid', BOB, '--json', 'join', *self.ref())[0])
        self.assertEqual(sorted(m['constants']['system']['xuid'] for m in doc['members'].values()), sorted([ME, BOB]))

        doc = json.loads(self.ok('--xuid', BOB, '--json', 'set-member-prop', *self.ref(), 'score=150', 'team="red"')[0])
        self.assertEqual(doc['members']['1']['properties']['custom'], {'score': 150, 'team': 'red'})
        doc = json.loads(self.ok('--json', 'set-prop', *self.ref(), 'round=2')[0])
        out, _ = self.ok('--json', 'set-prop', *self.ref(), 'map="harbor"')
        self.assertEqual(json.loads(out)['properties']['custom'], {'round': 2, 'map': 'harbor'})  # others kept
        rc, _, err = self.run_cli('--xuid', '2814600000000077', 'set-member-prop', *self.ref(), 'x=1')
        self.assertEqual(rc, 1)
        self.assertIn('is not a member', err)

        out, err = self.ok('leave', *self.ref())
        self.assertEqual(err, 'xbl-mpsd leave: UPDATED (HTTP 200)\n')
        self.assertIn('members     1\n', out)
        out, err = self.ok('--xuid', BOB, '--json', 'leave', *self.ref())
        self.assertEqual((out, err), ('null\n', 'xbl-mpsd leave: SESSION_DELETED (HTTP 204)\n'))

    def test_get_by_handle(self):
        self.create()
        h = self.admin('/_emu/handles', {'version': 1, 'type': 'activity', 'ownerXuid': ME,
                                         'sessionRef': {'scid': SCID, 'templateName': 'quick', 'name': self.name}})
        doc = json.loads(self.ok('--json', 'get', '--handle', h['id'])[0])
        self.assertEqual(doc['members']['0']['constants']['system']['xuid'], ME)
        out, _ = self.ok('get', '--handle', h['id'])
        self.assertIn('session     %s / quick / %s\n' % (SCID, self.name), out)
        rc, out, err = self.run_cli('get', '--handle', '00000000-0000-0000-0000-000000000bad')
        self.assertEqual((rc, out), (1, ''))
        self.assertIn('HTTP 404, HTTP status 404, service error: handle not found', err)


class ErrorTest(CliCase):
    def test_missing_session(self):
        rc, out, err = self.run_cli('get', *self.ref('never-made'))
        self.assertEqual((rc, out), (1, ''))
        self.assertEqual(err, 'xbl-mpsd get: read failed: XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND, '
                              'HTTP status 204, service error: none\n')

    def test_bad_token(self):
        rc, out, err = self.run_cli('--token', 'Bearer nonsense', 'get', *self.ref())
        self.assertEqual((rc, out), (1, ''))
        self.assertEqual(err, 'xbl-mpsd get: read failed: HTTP 401, HTTP status 401, '
                              'service error: missing or invalid Authorization\n')

    def test_bad_address(self):
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        closed = s.getsockname()[1]
        s.close()                      # nothing listens there now
        rc, out, err = self.run_cli('get', *self.ref(), port=closed)
        self.assertEqual((rc, out), (1, ''))
        self.assertEqual(err, 'xbl-mpsd get: read failed: XBL_MPSD_E_CONNECT, HTTP status none, service error: none\n')
        rc, _, err = self.run_cli('--host', 'no-such-host.invalid', 'get', *self.ref())
        self.assertEqual(rc, 1)
        self.assertIn('XBL_MPSD_E_CONNECT', err)

    def test_unknown_template_names_the_service_text(self):
        rc, _, err = self.run_cli('get', SCID, 'nosuchtemplate', 'x')
        self.assertEqual(rc, 1)
        self.assertIn('HTTP 404, HTTP status 404, service error: unknown session template', err)


class IfMatchTest(CliCase):
    def wait_for_read(self, xuid):
        """Until the emulator has answered (and logged) the CLI's read."""
        deadline = time.monotonic() + WAIT_S
        key = '%s/quick/%s' % (SCID, self.name)
        while time.monotonic() < deadline:
            for r in self.admin('/_emu/dashboard/state')['requests']:
                if r['method'] == 'GET' and r['session'] == key and r['xuid'] == xuid:
                    return
            time.sleep(0.02)
        self.fail('the command line never read the session')

    def conflicting_write(self, if_match):
        """Starts the CLI's read-change-write, lets Bob write between its
        read and its write (the read's reply is held back by a delay fault;
        the emulator decides the reply before the delay), then finishes."""
        self.create()
        self.ok('--xuid', BOB, 'join', *self.ref())
        self.admin('/_emu/faults', {'fault': 'delay=1500', 'count': 1})
        args = [CLI, '--port', str(self.port), '--json', 'set-prop', *self.ref(), 'round=3']
        p = subprocess.Popen(args + (['--if-match'] if if_match else []),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.wait_for_read(ME)
            self.ok('--xuid', BOB, 'set-prop', *self.ref(), 'map="canyon"')
            out, err = p.communicate(timeout=WAIT_S)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        return p.returncode, out, err

    def test_412_shows_out_of_sync_and_the_latest_session(self):
        rc, out, err = self.conflicting_write(True)
        self.assertEqual(rc, 1, err)
        self.assertIn('xbl-mpsd set-prop: read change 2, writing with If-Match: ', err)
        self.assertIn('xbl-mpsd set-prop: write refused: OUT_OF_SYNC: HTTP 412, HTTP status 412', err)
        doc = json.loads(out)                               # the latest session, Bob's write in it
        self.assertEqual(doc['changeNumber'], 3)
        self.assertEqual(doc['properties']['custom'], {'map': 'canyon'})
        final = json.loads(self.ok('--json', 'get', *self.ref())[0])
        self.assertEqual(final['properties']['custom'], {'map': 'canyon'})   # nothing written

    def test_without_if_match_the_write_lands_and_the_service_merges(self):
        rc, out, err = self.conflicting_write(False)
        self.assertEqual(rc, 0, err)
        doc = json.loads(out)
        self.assertEqual(doc['changeNumber'], 4)
        self.assertEqual(doc['properties']['custom'], {'map': 'canyon', 'round': 3})


class WatchTest(CliCase):
    def read_line(self, p):
        ready, _, _ = select.select([p.stdout], [], [], WAIT_S)
        self.assertTrue(ready, 'watch printed nothing')
        return p.stdout.readline()

    def test_each_change_with_its_change_types(self):
        self.create()
        p = subprocess.Popen([CLI, '--port', str(self.port), '--json', 'watch', *self.ref(), '--interval', '100'],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        try:
            first = json.loads(self.read_line(p))
            self.assertEqual((first['changeNumber'], first['members'], first['changeTypes']), (1, 1, ['EVERYTHING']))
            self.ok('--xuid', BOB, 'join', *self.ref())
            ev = json.loads(self.read_line(p))
            self.assertEqual((ev['changeNumber'], ev['members']), (2, 2))
            self.assertEqual(ev['changeTypes'], ['MEMBER_LIST_CHANGE'])
            self.ok('set-prop', *self.ref(), 'round=2')
            self.assertEqual(json.loads(self.read_line(p))['changeTypes'], ['CUSTOM_PROPERTY_CHANGE'])
            self.ok('--xuid', BOB, 'set-member-prop', *self.ref(), 'score=1')
            self.assertEqual(json.loads(self.read_line(p))['changeTypes'], ['MEMBER_CUSTOM_PROPERTY_CHANGE'])
            self.ok('leave', *self.ref())
            ev = json.loads(self.read_line(p))
            self.assertEqual((ev['changeNumber'], ev['members'], ev['changeTypes']), (5, 1, ['MEMBER_LIST_CHANGE']))
            self.ok('--xuid', BOB, 'leave', *self.ref())
            self.assertEqual(json.loads(self.read_line(p)), {'deleted': True})
            p.send_signal(signal.SIGINT)
            self.assertEqual(p.wait(WAIT_S), 0)
            err = p.stderr.read()
            self.assertIn('xbl-mpsd watch: reading %s/quick/%s every 100 ms until ^C' % (SCID, self.name), err)
            self.assertTrue(err.endswith('xbl-mpsd watch: stopped\n'), err)
        finally:
            if p.poll() is None:
                p.kill()
            p.wait()
            p.stdout.close()
            p.stderr.close()

    def test_text_lines_and_a_dead_service(self):
        self.create()
        emu, port = start_emulator()
        stop(emu)                       # a port where nothing answers any more
        rc, out, err = self.run_cli('watch', *self.ref(), port=port)
        self.assertEqual((rc, out), (1, ''))
        self.assertIn('XBL_MPSD_E_CONNECT', err)
        p = subprocess.Popen([CLI, '--port', str(self.port), 'watch', *self.ref(), '--interval', '100'],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
        try:
            self.assertEqual(self.read_line(p), 'change 1: EVERYTHING (1 member)\n')
            self.ok('set-prop', *self.ref(), 'round=2')
            self.assertEqual(self.read_line(p), 'change 2: CUSTOM_PROPERTY_CHANGE (1 member)\n')
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(WAIT_S), 0)
        finally:
            if p.poll() is None:
                p.kill()
            p.wait()
            p.stdout.close()


class Watcher:
    """A running `xbl-mpsd watch`: its stdout and stderr read line by line
    straight from the pipes (no buffering between select and read), each
    wait bounded by WAIT_S."""

    def __init__(self, case, args):
        self.case = case
        self.p = subprocess.Popen([CLI] + [str(a) for a in args], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, bufsize=0)
        self.pending = {self.p.stdout: b'', self.p.stderr: b''}
        self.err = []

    def _line(self, pipe):
        deadline = time.monotonic() + WAIT_S
        while b'\n' not in self.pending[pipe]:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([pipe], [], [], max(0.0, left))
            chunk = os.read(pipe.fileno(), 4096) if ready else b''
            if not chunk:
                return None
            self.pending[pipe] += chunk
        line, self.pending[pipe] = self.pending[pipe].split(b'\n', 1)
        return line.decode() + '\n'

    def line(self):
        line = self._line(self.p.stdout)
        self.case.assertIsNotNone(line, 'watch printed nothing; stderr so far: %r' % self.err)
        return line

    def json_line(self):
        return json.loads(self.line())

    def stderr_until(self, text):
        """The first stderr line that holds text."""
        while True:
            line = self._line(self.p.stderr)
            if line is None:
                self.case.fail('watch never said %r; stderr: %r' % (text, self.err))
            self.err.append(line)
            if text in line:
                return line

    def rest(self, pipe):
        return (self.pending[pipe] + pipe.read()).decode()

    def interrupt(self):
        """SIGINT; the exit status and the whole of stderr."""
        self.p.send_signal(signal.SIGINT)
        rc = self.p.wait(WAIT_S)
        return rc, ''.join(self.err) + self.rest(self.p.stderr)

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        self.p.stdout.close()
        self.p.stderr.close()


CAROL = '2814600000000003'


class WatchRtaTest(CliCase):
    """watch without --poll: the user joins, taps come over the RTA WebSocket."""

    def watch(self, *args, xuid=CAROL):
        w = Watcher(self, ['--port', self.port, '--xuid', xuid] + list(args) + ['watch', *self.ref()])
        self.addCleanup(w.close)
        return w

    def rta_connections(self, xuid, live=True):
        state = self.admin('/_emu/rta')
        return [c for c in state['connections' if live else 'closed'] if c['xuid'] == xuid]

    def session(self):
        return json.loads(self.ok('--json', 'get', *self.ref())[0])

    def test_each_change_comes_as_a_tap(self):
        self.create()
        w = self.watch('--json', xuid='2814600000000031')
        first = w.json_line()
        self.assertEqual((first['changeNumber'], first['members'], first['changeTypes']), (1, 1, ['EVERYTHING']))
        ev = w.json_line()                                   # watch's own join, printed like any change
        self.assertEqual((ev['changeNumber'], ev['members'], ev['changeTypes']), (2, 2, ['MEMBER_LIST_CHANGE']))
        doc = self.session()
        me = [m for m in doc['members'].values() if m['constants']['system']['xuid'] == '2814600000000031'][0]
        live = self.rta_connections('2814600000000031')
        self.assertEqual(len(live), 1)
        system = me['properties']['system']
        self.assertEqual((system['active'], system['connection']), (True, live[0]['id']))
        self.assertEqual(system['subscription']['changeTypes'], ['everything'])

        self.ok('--xuid', BOB, 'join', *self.ref())
        ev = w.json_line()
        self.assertEqual((ev['changeNumber'], ev['members'], ev['changeTypes']), (3, 3, ['MEMBER_LIST_CHANGE']))
        self.ok('set-prop', *self.ref(), 'round=2')
        ev = w.json_line()
        self.assertEqual((ev['changeNumber'], ev['changeTypes']), (4, ['CUSTOM_PROPERTY_CHANGE']))
        self.ok('--xuid', BOB, 'set-member-prop', *self.ref(), 'score=1')
        self.assertEqual(w.json_line()['changeTypes'], ['MEMBER_CUSTOM_PROPERTY_CHANGE'])
        self.ok('--xuid', BOB, 'leave', *self.ref())
        ev = w.json_line()
        self.assertEqual((ev['changeNumber'], ev['members'], ev['changeTypes']), (6, 2, ['MEMBER_LIST_CHANGE']))

        rc, err = w.interrupt()
        self.assertEqual(rc, 0, err)
        self.assertIn('xbl-mpsd watch: following %s/quick/%s through RTA (ws://127.0.0.1:%d/connect) until ^C\n'
                      % (SCID, self.name, self.port), err)
        self.assertIn('xbl-mpsd watch: RTA connection ID %s\n' % live[0]['id'], err)
        self.assertIn('xbl-mpsd watch: joined as member #1 (active, subscribed to every change, connection %s); '
                      'leaves on ^C\n' % live[0]['id'], err)
        self.assertIn('xbl-mpsd watch: left the session\n', err)
        self.assertNotIn('reading', err)                     # no poll: every line came from a tap
        self.assertTrue(err.endswith('xbl-mpsd watch: stopped\n'), err)
        self.assertEqual(w.rest(w.p.stdout), '')               # its own leave is not printed
        doc = self.session()
        self.assertEqual([m['constants']['system']['xuid'] for m in doc['members'].values()], [ME])
        self.assertEqual(doc['changeNumber'], 7)
        closed = self.rta_connections('2814600000000031', live=False)
        self.assertEqual([(c['id'], c['tapsSent'], c['clientCloseCode']) for c in closed],
                         [(live[0]['id'], 6, 1000)])          # changes 2-6 and the final one of its leave

    def test_a_reconnect_rewrites_the_connection_id(self):
        self.create()
        w = self.watch(xuid='2814600000000032')
        self.assertEqual(w.line(), 'change 1: EVERYTHING (1 member)\n')
        self.assertEqual(w.line(), 'change 2: MEMBER_LIST_CHANGE (2 members)\n')
        old = self.rta_connections('2814600000000032')[0]['id']
        w.stderr_until('joined as member #1')
        self.admin('/_emu/rta/drop', {'connection': old, 'mode': 'close', 'code': 1001})
        w.stderr_until('xbl-mpsd watch: RTA connecting (XBL_MPSD_E_WS_CLOSED, close code 1001)')
        line = w.stderr_until('xbl-mpsd watch: RTA connection ID ')
        new = line.rsplit(' ', 1)[1].strip()
        self.assertNotEqual(new, old)
        self.assertEqual(w.line(), 'change 3: no change type (a timer or a system property) (2 members)\n')
        doc = self.session()
        me = [m for m in doc['members'].values() if m['constants']['system']['xuid'] == '2814600000000032'][0]
        self.assertEqual(me['properties']['system']['connection'], new)
        self.ok('set-prop', *self.ref(), 'round=2')
        self.assertEqual(w.line(), 'change 4: CUSTOM_PROPERTY_CHANGE (2 members)\n')
        rc, err = w.interrupt()
        self.assertEqual(rc, 0, err)

    def test_a_member_already_ends_only_its_subscription(self):
        self.create()
        w = self.watch(xuid=ME)
        self.assertEqual(w.line(), 'change 1: EVERYTHING (1 member)\n')
        self.assertEqual(w.line(), 'change 2: no change type (a timer or a system property) (1 member)\n')
        self.ok('--xuid', BOB, 'join', *self.ref())
        self.assertEqual(w.line(), 'change 3: MEMBER_LIST_CHANGE (2 members)\n')
        rc, err = w.interrupt()
        self.assertEqual(rc, 0, err)
        self.assertIn('xbl-mpsd watch: already in the session: set active member #0', err)
        self.assertIn('xbl-mpsd watch: ended the subscription\n', err)
        doc = self.session()
        self.assertEqual(len(doc['members']), 2)              # still a member
        me = doc['members']['0']['properties']['system']
        self.assertFalse(me.get('subscription', {}).get('changeTypes'))

    def test_removed_from_the_session_it_goes_on_by_reading(self):
        self.create()
        w = self.watch(xuid='2814600000000033')
        w.line()
        w.line()
        self.admin('/_emu/member', {'scid': SCID, 'templateName': 'quick', 'name': self.name,
                                    'xuid': '2814600000000033', 'remove': True})
        self.assertEqual(w.line(), 'change 3: MEMBER_LIST_CHANGE (1 member)\n')
        w.stderr_until('xbl-mpsd watch: the user is no longer a member: no more taps; '
                       'reading the session every 1000 ms instead')
        w.stderr_until('xbl-mpsd watch: reading %s/quick/%s every 1000 ms until ^C' % (SCID, self.name))
        self.ok('set-prop', *self.ref(), 'round=2')
        self.assertEqual(w.line(), 'change 4: CUSTOM_PROPERTY_CHANGE (1 member)\n')
        rc, err = w.interrupt()
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(self.session()['members']), 1)   # nothing left to leave

    def test_a_session_not_created_yet_is_waited_for_then_joined(self):
        w = self.watch(xuid='2814600000000035')
        w.stderr_until('xbl-mpsd watch: no such session yet; reading it every 1000 ms until it exists')
        self.create()
        self.assertEqual(w.line(), 'change 1: EVERYTHING (1 member)\n')
        self.assertEqual(w.line(), 'change 2: MEMBER_LIST_CHANGE (2 members)\n')
        self.ok('--xuid', BOB, 'join', *self.ref())
        self.assertEqual(w.line(), 'change 3: MEMBER_LIST_CHANGE (3 members)\n')
        rc, err = w.interrupt()
        self.assertEqual(rc, 0, err)
        self.assertIn('xbl-mpsd watch: left the session\n', err)

    def test_rta_out_of_reach_falls_back_to_reading(self):
        self.create()
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        closed = s.getsockname()[1]
        s.close()
        w = Watcher(self, ['--port', self.port, '--xuid', '2814600000000034', 'watch', *self.ref(),
                           '--rta-port', closed])
        self.addCleanup(w.close)
        w.stderr_until('xbl-mpsd watch: following %s/quick/%s through RTA (ws://127.0.0.1:%d/connect)'
                       % (SCID, self.name, closed))
        w.stderr_until('xbl-mpsd watch: RTA cannot be reached (XBL_MPSD_E_CONNECT); reading the session instead')
        self.assertEqual(w.line(), 'change 1: EVERYTHING (1 member)\n')
        self.ok('set-prop', *self.ref(), 'round=2')
        self.assertEqual(w.line(), 'change 2: CUSTOM_PROPERTY_CHANGE (1 member)\n')   # not joined
        rc, err = w.interrupt()
        self.assertEqual(rc, 0, err)
        self.assertTrue(err.endswith('xbl-mpsd watch: stopped\n'), err)


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs = os.path.join(ROOT, os.environ.get('BUILD', 'build'), 'tls', 'certs')
        subprocess.run(['bash', os.path.join(ROOT, 'tests', 'tls', 'mint_certs.sh'), cls.certs], check=True,
                       capture_output=True)
        cls.emu, cls.port = start_emulator('--tls-cert', os.path.join(cls.certs, 'server.pem'),
                                           '--tls-key', os.path.join(cls.certs, 'server.key'))

    @classmethod
    def tearDownClass(cls):
        stop(cls.emu)

    def run_cli(self, *args):
        p = subprocess.run([CLI, '--port', str(self.port), '--tls'] + list(args),
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def test_https_with_the_test_ca_and_refusals(self):
        ca = os.path.join(self.certs, 'ca.pem')
        rc, out, err = self.run_cli('--ca', ca, '--server-name', 'localhost', 'create', SCID, 'quick', 'cli-tls')
        self.assertEqual(rc, 0, err)
        self.assertIn('change      1\n', out)
        rc, _, err = self.run_cli('--ca', os.path.join(self.certs, 'other_ca.pem'), '--server-name', 'localhost',
                                  'get', SCID, 'quick', 'cli-tls')
        self.assertEqual(rc, 1)
        self.assertIn('XBL_MPSD_E_TLS_VERIFY, HTTP status none', err)
        rc, _, err = self.run_cli('--ca', os.path.join(self.certs, 'nope.pem'), 'get', SCID, 'quick', 'cli-tls')
        self.assertEqual(rc, 2)
        self.assertIn('cannot read a PEM file', err)

    def test_watch_over_wss(self):
        ca = os.path.join(self.certs, 'ca.pem')
        tls = ['--port', self.port, '--tls', '--ca', ca, '--server-name', 'localhost']
        rc, _, err = self.run_cli('--ca', ca, '--server-name', 'localhost', 'create', SCID, 'quick', 'cli-tls-watch')
        self.assertEqual(rc, 0, err)
        w = Watcher(self, tls + ['--xuid', '2814600000000041', 'watch', SCID, 'quick', 'cli-tls-watch'])
        self.addCleanup(w.close)
        w.stderr_until('through RTA (wss://127.0.0.1:%d/connect) until ^C' % self.port)
        self.assertEqual(w.line(), 'change 1: EVERYTHING (1 member)\n')
        self.assertEqual(w.line(), 'change 2: MEMBER_LIST_CHANGE (2 members)\n')
        rc, _, err = self.run_cli('--ca', ca, '--server-name', 'localhost', 'set-prop', SCID, 'quick', 'cli-tls-watch',
                                  'round=2')
        self.assertEqual(rc, 0, err)
        self.assertEqual(w.line(), 'change 3: CUSTOM_PROPERTY_CHANGE (2 members)\n')
        rc, err = w.interrupt()
        self.assertEqual(rc, 0, err)
        self.assertIn('xbl-mpsd watch: left the session\n', err)
        self.assertNotIn('cannot be reached', err)


if __name__ == '__main__':
    unittest.main()
