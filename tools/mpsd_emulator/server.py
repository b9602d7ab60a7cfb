"""HTTP/1.1 front end: fault modes, request routing, the threaded server."""

import json
import os
import socket
import ssl
import sys
import time
import traceback
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from .common import (
    HttpError,
    MAX_BODY,
    NAME_RE,
    REASONS,
    SCID_RE,
    bad,
    fault_items,
    http_date,
    is_int,
    iso,
    jsonresp,
    parse_identity,
    text)
from .session import (check_bool, check_obj)
from .mpsd import (Emulator)
from .rta import (Rta)
from .queries import (match_query_route)
from .social import (admin_social, load_graph)
from .dashboard import (Dashboard)


# --------------------------------------------------------------------------- faults

def parse_fault(spec):
    """Parse a fault spec into a dict; raises ValueError on nonsense."""
    f = {}
    for item, name, arg in fault_items(spec):
        if arg and not arg.isdigit():
            raise ValueError('bad fault argument: ' + item)
        n = int(arg) if arg else None
        if name == 'chunked':
            f['chunked'] = max(1, n or 7)
        elif name == 'drip':
            f['drip'] = min(1000, 2 if n is None else n)
        elif name == 'close':
            if n is None:
                raise ValueError('close needs a byte count: close=N')
            f['close'] = n
        elif name == 'delay':
            f['delay'] = min(30000, n or 0)
        elif name in ('429', '503'):
            f['status'] = int(name)
            f['retry'] = 1 if n is None else min(n, 3600)
        else:
            raise ValueError('unknown fault: ' + name)
    return f


# --------------------------------------------------------------------------- HTTP

def split_path(path):
    return [p for p in path.split('/') if p]


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'mpsd-emulator/1.0'
    timeout = 120
    error_content_type = 'text/plain'
    error_message_format = '%(code)d %(message)s\n'

    def log_message(self, fmt, *args):
        sys.stderr.write('%s %s\n' % (self.address_string(), fmt % args))

    def do_GET(self):
        if self.server.rta.wants(self):
            self.server.rta.serve(self)      # the RTA WebSocket; ends the keep-alive
            return
        self.dispatch('GET')

    def do_PUT(self):
        self.dispatch('PUT')

    def do_POST(self):
        self.dispatch('POST')

    def do_DELETE(self):
        self.dispatch('DELETE')

    def read_body(self):
        te = (self.headers.get('Transfer-Encoding') or '').lower()
        if 'chunked' in te:
            out = b''
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b'\r\n', b'\n', b''):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline(8)
                if len(out) > MAX_BODY:
                    raise HttpError(413, 'request body too large')
        n = int(self.headers.get('Content-Length') or 0)
        if n < 0 or n > MAX_BODY:
            raise HttpError(413, 'request body too large')
        return self.rfile.read(n) if n else b''

    def dispatch(self, method):
        emu = self.server.emu
        fault = {}
        self.started = time.monotonic()
        try:
            try:
                body = self.read_body()
            except ValueError:
                self.close_connection = True
                raise HttpError(400, 'malformed request body framing')
            path, _, query = self.path.partition('?')
            if self.server.dashboard.serve(self, method, path):
                return
            if path.lower() == '/_emu' or path.lower().startswith('/_emu/'):
                resp = self.admin(method, path.lower(), body)
            else:
                hdr = self.headers.get('x-emu-fault')
                try:
                    if hdr is not None:
                        fault = parse_fault(hdr)
                    else:
                        with emu.lock:
                            g = emu.fault
                            if g['spec'] and g['count'] != 0:
                                fault = parse_fault(g['spec'])
                                if g['count'] is not None:
                                    g['count'] -= 1
                except ValueError as e:
                    raise HttpError(400, 'x-emu-fault: %s' % e)
                if 'status' in fault:
                    resp = self.fault_status(fault)
                else:
                    resp = self.mpsd(method, path, query, body)
        except HttpError as e:
            resp = text(e.status, e.message)
        except Exception as e:  # keep the server alive, report the bug
            traceback.print_exc()
            resp = text(500, 'internal emulator error: %s' % e)
        self.send(resp, fault, method)

    def fault_status(self, fault):
        hdrs = [('Retry-After', str(fault['retry']))]
        if fault['status'] == 429:
            return jsonresp(429, {'version': 1, 'currentRequests': 31, 'maxRequests': 30,
                                  'periodInSeconds': 15, 'limitType': 'rate'}, hdrs)
        return text(503, 'service unavailable (injected)', hdrs)

    # ------------------------------------------------------------------ sending

    def send(self, resp, fault, method):
        emu = self.server.emu
        for hook in self.server.request_hooks:   # the dashboard's request log
            try:
                hook(self, method, resp, fault)
            except Exception:  # a hook's bug must not fail the reply
                traceback.print_exc()
        if fault.get('delay'):
            time.sleep(fault['delay'] / 1000.0)
        status = resp.status
        no_body = status in (204, 304)
        body = b'' if no_body else resp.body
        head = ['HTTP/1.1 %d %s' % (status, REASONS.get(status, 'Status'))]
        head.append('Date: ' + http_date(emu.clock.now()))
        head.append('Server: ' + self.server_version)
        for k, v in resp.headers:
            head.append('%s: %s' % (k, v))
        chunked = fault.get('chunked') if not no_body else None
        if chunked:
            head.append('Transfer-Encoding: chunked')
            payload = b''
            for i in range(0, len(body), chunked):
                piece = body[i:i + chunked]
                payload += b'%x\r\n' % len(piece) + piece + b'\r\n'
            payload += b'0\r\n\r\n'
        else:
            head.append('Content-Length: %d' % len(body))
            payload = body
        if self.close_connection or 'close' in fault:
            head.append('Connection: close')
            self.close_connection = True
        data = ('\r\n'.join(head) + '\r\n\r\n').encode('latin-1') + payload
        note = ''
        if fault:
            note = ' fault=' + ','.join('%s=%s' % kv for kv in sorted(fault.items()))
        sys.stderr.write('%s "%s" %d %d%s\n' % (self.client_address[0], self.requestline,
                                                status, len(body), note))
        try:
            if 'close' in fault:
                data = data[:fault['close']]
            if 'drip' in fault:
                deadline = time.time() + 20.0
                for i in range(len(data)):
                    if time.time() > deadline:
                        self.wfile.write(data[i:])
                        break
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()
                    if fault['drip']:
                        time.sleep(fault['drip'] / 1000.0)
            else:
                self.wfile.write(data)
            self.wfile.flush()
            if 'close' in fault:
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True

    # ------------------------------------------------------------------ admin

    def admin(self, method, path, body):
        emu = self.server.emu
        try:
            data = json.loads(body.decode('utf-8')) if body.strip() else {}
        except (ValueError, UnicodeDecodeError):
            raise HttpError(400, 'admin body must be JSON')
        route = (method, path.rstrip('/'))
        if route == ('GET', '/_emu/health'):
            return jsonresp(200, {'ok': True})
        if route == ('GET', '/_emu/state'):
            return jsonresp(200, emu.dump())
        if route[1] == '/_emu/rta' or route[1].startswith('/_emu/rta/'):
            return self.server.rta.admin(method, route[1], check_obj(data, 'rta'))
        if route == ('POST', '/_emu/reset'):
            emu.reset()
            self.server.rta.reset()
            return jsonresp(200, {'ok': True})
        if route[1] == '/_emu/clock' and method in ('GET', 'POST'):
            if method == 'POST':
                check_obj(data, 'clock')
                if 'freeze' in data:
                    emu.clock.freeze(bool(data['freeze']))
                adv = data.get('advanceMs', 0)
                if not is_int(adv) or adv < 0:
                    bad('advanceMs must be a non-negative integer')
                emu.clock.advance(adv)
            now = emu.clock.now()
            return jsonresp(200, {'nowMs': now, 'now': iso(now),
                                  'frozen': emu.clock.frozen_at is not None})
        if route[1] == '/_emu/faults' and method in ('GET', 'POST'):
            if method == 'POST':
                check_obj(data, 'faults')
                spec = data.get('fault') or ''
                count = data.get('count')
                if count is not None and (not is_int(count) or count < 0):
                    bad('count must be a non-negative integer')
                try:
                    parse_fault(spec)
                except ValueError as e:
                    bad(str(e))
                with emu.lock:
                    emu.fault = {'spec': spec, 'count': count}
            with emu.lock:
                return jsonresp(200, dict(emu.fault))
        if route == ('POST', '/_emu/options'):
            check_obj(data, 'options')
            if 'missingSessionStatus' in data:
                if data['missingSessionStatus'] not in (404, 412):
                    bad('missingSessionStatus must be 404 or 412')
                emu.options['missingSessionStatus'] = data['missingSessionStatus']
            for k in ('disconnectGraceMs', 'maxSubscriptions'):
                if k in data:
                    if not is_int(data[k]) or data[k] < 0:
                        bad(k + ' must be a non-negative integer')
                    emu.options[k] = data[k]
            if 'connectionRequiredStrict' in data:
                emu.options['connectionRequiredStrict'] = check_bool(
                    data['connectionRequiredStrict'], 'connectionRequiredStrict')
            return jsonresp(200, dict(emu.options))
        if route == ('POST', '/_emu/handles'):
            h = emu.make_handle(data, None, admin=True)
            return jsonresp(201, emu.public_handle(h))
        if route == ('POST', '/_emu/member'):
            return emu.admin_member(check_obj(data, 'member hook'))
        if route[1] == '/_emu/social' and method in ('GET', 'POST'):
            return admin_social(emu, method, data)
        if route == ('POST', '/_emu/templates'):
            check_obj(data, 'templates')
            if not isinstance(data.get('name'), str) or not NAME_RE.match(data['name']):
                bad('name must be a template name')
            emu.add_template(data['name'], data.get('template'))
            return jsonresp(200, {'ok': True})
        raise HttpError(404, 'unknown admin endpoint')

    # ------------------------------------------------------------------ MPSD

    def mpsd(self, method, path, query, body):
        emu = self.server.emu
        segs = split_path(path)
        low = [s.lower() for s in segs]
        query_route = match_query_route(segs)     # handle and session queries (queries.py)
        if query_route is not None:
            return self.query(query_route, method, query, body)
        handle = None
        sub = []
        if len(segs) >= 6 and low[0] == 'serviceconfigs' and low[2] == 'sessiontemplates' \
                and low[4] == 'sessions':
            ref = (segs[1], segs[3], segs[5])
            sub = low[6:]
            if not SCID_RE.match(ref[0]) or not NAME_RE.match(ref[1]) \
                    or not NAME_RE.match(ref[2]):
                raise HttpError(404, 'malformed session URI')
            emu.check_scid(ref[0])
            kind = 'session'
        elif low[:1] == ['handles']:
            kind = 'handles'
            ref = None
        else:
            raise HttpError(404, 'no such resource')
        allowed = {(): ('GET', 'PUT'), ('properties',): ('PUT',),
                   ('members', 'me'): ('DELETE',)}
        if kind == 'session':
            st = tuple(sub)
            if len(st) == 2 and st[0] in ('members', 'servers'):
                methods = ('DELETE',)
            else:
                methods = allowed.get(st)
            if methods is None:
                raise HttpError(404, 'no such resource')
        elif len(segs) == 1:
            methods = ('POST',)
        elif len(segs) == 2:
            methods = ('GET', 'DELETE')
        elif len(segs) == 3 and low[2] == 'session':
            methods = ('GET', 'PUT')
        else:
            raise HttpError(404, 'no such resource')
        if method not in methods:
            return text(405, 'method not allowed', [('Allow', ', '.join(methods))])
        if kind == 'handles' and len(segs) >= 2:
            with emu.lock:
                handle = emu.handles.get(segs[1].lower())
            if handle is None:
                raise HttpError(404, 'handle not found')
        ident = self.identity()
        if kind == 'session' and ref[1].lower() not in emu.templates:
            raise HttpError(404, 'unknown session template')
        contract = self.contract()
        if kind == 'handles':
            if len(segs) == 1:
                h = emu.make_handle(self.parse_json(body), ident, admin=False)
                return jsonresp(201, emu.public_handle(h))
            if len(segs) == 2:
                if method == 'GET':
                    return jsonresp(200, emu.public_handle(handle))
                return emu.delete_handle(handle, ident)
            r = handle['sessionRef']
            ref = (r['scid'], r['templateName'], r['name'])
        loc = '/serviceconfigs/%s/sessiontemplates/%s/sessions/%s' % ref
        grant = emu.handle_grant(handle, ident)
        try:
            if method == 'GET':
                return emu.get_session(ref, loc, self.headers, ident, contract, grant)
            nocommit = 'nocommit=true' in query.lower().split('&')
            props_only = False
            if method == 'DELETE':
                if sub[0] == 'members':
                    data = {'members': {'me' if sub[1] == 'me' else sub[1]: None}}
                else:
                    data = {'servers': {segs[7]: None}}
            elif sub == ['properties']:
                data = {'properties': self.parse_json(body)}
                props_only = True
            else:
                data = self.parse_json(body)
            return emu.put_session(ref, loc, self.headers, data, ident, contract, grant,
                                   properties_only=props_only, nocommit=nocommit)
        except HttpError as e:
            return text(e.status, e.message, [('Content-Location', loc)])

    def identity(self):
        ident = parse_identity(self.headers.get('Authorization'))
        if ident is None:
            raise HttpError(401, 'missing or invalid Authorization')
        return ident

    def contract(self):
        cv = (self.headers.get('x-xbl-contract-version') or '').strip()
        if not cv.isdigit() or int(cv) < 104:
            raise HttpError(400, 'x-xbl-contract-version must be 104 or later')
        return int(cv)

    def query(self, route, method, query, body):
        methods, run = route
        if method not in methods:
            return text(405, 'method not allowed', [('Allow', ', '.join(methods))])
        ident = self.identity()
        contract = self.contract()
        data = self.parse_json(body) if method == 'POST' else None
        return run(self.server.emu, ident, contract, method, query, data)

    @staticmethod
    def parse_json(body):
        def no_const(c):
            raise ValueError('invalid JSON constant ' + c)
        try:
            data = json.loads(body.decode('utf-8'), parse_constant=no_const)
        except (ValueError, UnicodeDecodeError) as e:
            raise HttpError(400, 'malformed JSON: %s' % e)
        if not isinstance(data, dict):
            raise HttpError(400, 'the request body must be a JSON object')
        return data


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def server_close(self):
        ThreadingHTTPServer.server_close(self)
        self.rta.stop()


def load_templates(path):
    with open(path, 'r', encoding='utf-8') as f:
        data = json.load(f)
    if not isinstance(data, dict) or not isinstance(data.get('templates'), dict):
        raise ValueError('%s: expected {"templates": {...}}' % path)
    return data['templates']


def make_server(host='127.0.0.1', port=0, templates_path=None, tls_cert=None, tls_key=None,
                social_graph_path=None, any_scid=False):
    """Build a ready server (not yet serving). Usable in-process from tests."""
    if templates_path is None:
        templates_path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                      'templates.json')
    emu = Emulator(load_templates(templates_path),
                   load_graph(social_graph_path) if social_graph_path else None, any_scid)
    srv = Server((host, port), Handler)
    srv.emu = emu
    srv.rta = Rta(emu)
    srv.dashboard = Dashboard(emu)
    srv.request_hooks = [srv.dashboard.on_request]
    if tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls_cert, tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
    return srv
