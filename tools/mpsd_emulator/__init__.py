"""mpsd_emulator: a local Xbox Live Multiplayer Session Directory (MPSD) for tests.

Python 3 standard library only. Implements the session write path of
spec/MPSD.md (sections 1-4, 6, 7, 11): templates, create/join/update/leave,
reservations, merge rules, write-once constants, admission, ETag and
changeNumber, If-Match/If-None-Match, 412 with the latest session, 204 for an
emptied session, handles, Content-Location, plain-text errors, lazy timers on
an injectable clock, optional TLS, HTTP/1.1 keep-alive, fault injection and a
live dashboard in the browser (GET /).

USAGE
    python3 tools/mpsd_emulator.py [--host 127.0.0.1] [--port 8910]
                                   [--templates tools/templates.json]
                                   [--tls-cert FILE --tls-key FILE]

  --port 0 picks a free port. The first line on stdout is always
  "listening on HOST:PORT". One log line per request goes to stderr.
  SIGTERM / SIGINT stop the server cleanly (exit status 0).
  Open http://HOST:PORT/ in a browser for the live dashboard (see DASHBOARD).

MPSD ENDPOINTS (literal segments matched case-insensitively)
  GET|PUT  /serviceconfigs/{scid}/sessiontemplates/{t}/sessions/{name}
  PUT      .../sessions/{name}/properties      (body = property bag; 404 if missing)
  DELETE   .../sessions/{name}/members/me       (same as PUT {"members":{"me":null}})
  DELETE   .../sessions/{name}/members/{index}  (server principal only)
  DELETE   .../sessions/{name}/servers/{server} (server principal only)
  POST     /handles                             (activity | invite | transfer)
  GET|DELETE /handles/{id}
  GET|PUT  /handles/{id}/session
  Every MPSD request needs
    Authorization: XBL3.0 x=<userhash>;xuid=<n>[,gt=<name>][,dev=<id>][,title=<id>][,server]
      ("server" marks a server principal; it may omit xuid)   missing/bad -> 401
    x-xbl-contract-version: >= 104 (echoed as contractVersion)  missing/<104 -> 400
  ?nocommit=true on a PUT computes the result without storing it.

EXAMPLE (create session "game1" from template "quick" and join it as active)
  curl -i -X PUT -H 'If-None-Match: *' -H 'x-xbl-contract-version: 107' \
    -H 'Authorization: XBL3.0 x=1;xuid=2814600000000001,gt=PlayerOne,dev=d1,title=1234' \
    -d '{"members":{"me":{"constants":{"system":{"xuid":"2814600000000001"}},
         "properties":{"system":{"active":true}}}}}' \
    http://127.0.0.1:8910/serviceconfigs/00000000-0000-0000-0000-000000000001/sessiontemplates/quick/sessions/game1

TEMPLATES FILE
  {"templates": {"<name>": {"contractVersion": 107,
                            "constants": {"system": {...}, "custom": {...}},
                            "roleTypes": {...}}}}
  Any SCID is accepted; templates are looked up by name, case-insensitively.

ADMIN API (no authentication; JSON in, JSON out; never subject to faults)
  GET  /_emu/health                      -> {"ok": true}
  GET  /_emu/state                       -> dump of sessions, handles, clock, options, faults
  POST /_emu/reset                       -> forget sessions, handles, correlation ids;
                                            clock offset, faults and options back to defaults
  GET  /_emu/clock                       -> {"nowMs": n, "now": "<iso>", "frozen": bool}
  POST /_emu/clock {"advanceMs": n}      -> move the emulator clock forward n ms
                   {"freeze": true|false} (frozen = time stands still between advances)
  POST /_emu/faults {"fault": "<spec>", "count": n}
                                         -> global fault for the next n MPSD requests
                                            (omit count = until cleared); {"fault": ""} clears
  GET  /_emu/faults                      -> current global fault
  POST /_emu/options {"missingSessionStatus": 412|404}
                                         -> status for If-Match on a missing session (default 412)
  POST /_emu/handles {handle JSON as for POST /handles, optional "id", "ownerXuid",
                      "senderXuid"}     -> 201 + handle JSON (no auth, no membership checks)
  POST /_emu/member {"scid","templateName","name", "xuid"|"index",
                     "active": bool, "ready": bool, "remove": bool}
                                         -> set a member's presence flags (test hook); returns
                                            the session as a server sees it
  POST /_emu/templates {"name": "<t>", "template": {...}} -> add/replace a template

DASHBOARD (a live view for humans; never faulted, not in the request log)
  GET  /                                 the page: open http://127.0.0.1:<port>/ in a browser.
                                         One self-contained HTML file (dashboard.html: no CDN,
                                         no build step, no framework), updated live without reload.
  GET  /_emu/dashboard/state             everything the page shows, as JSON
  GET  /_emu/dashboard/events            Server-Sent Events: "snapshot" (the whole state) first,
                                         then "request" (one per answered request) and "session"
                                         (a session's new state and new history entries)
  The page shows every session: reference, constants, properties, members (status,
  active/reserved, properties), servers and the handles pointing at it; its history,
  one entry per change number with the writer, the request (method, path, If-Match)
  and a diff of the document against the previous change, 412s and other refusals
  marked in the list; and a request log (time, method, path, status, latency, request
  id, If-Match, writer) that filters by session and by text. A deleted session stays,
  with its last state. POST /_emu/reset clears the dashboard too.
  Sources: Emulator.observers (every committed change, before and after) and a
  request hook in the server's send path; latency is the emulator's own time plus
  any injected delay. The request id is the request's X-Request-Id (or MS-CV) header,
  else one the emulator numbers. The last 500 entries per session and 2000 requests
  are kept.

FAULT MODES
  Per request with header  x-emu-fault: <spec>   (overrides the global fault)
  <spec> is a comma-separated list of:
    chunked[=N]   Transfer-Encoding: chunked reply, N-byte chunks (default 7)
    drip[=MS]     send the whole response one byte at a time, MS ms apart
                  (default 2, max 1000; dripping stops after 20 s and sends the rest)
    close=N       send only the first N bytes of the response, then close the connection
    delay=MS      wait MS ms (max 30000) before responding
    429[=S]       answer 429 with Retry-After: S (default 1) and a JSON throttle body;
                  the request is not processed
    503[=S]       answer 503 with Retry-After: S (default 1), text/plain; not processed
  e.g. "x-emu-fault: delay=200,chunked=3". An empty header value disables the global
  fault for that request. Admin (/_emu/) requests are never faulted.

CLOCK
  Timers (reserved/inactive/ready removal, sessionEmptyTimeout) fire lazily when a
  request touches the session, using the emulator clock; Date, Expires, startTime,
  joinTime and nextTimer all use that clock. Timeout 0 fires at the next touch.

DEVICE TOKENS
  deviceToken = first 16 hex digits of SHA-256 of the decoded secureDeviceAddress.
  nat = "moderate" if the first decoded byte is 0x02, "strict" if 0x03, else "open".
"""

import argparse
import signal
import ssl
import sys
import threading
from .common import (DEFAULT_PORT, HttpError)
from .server import (make_server)
from .mpsd import Emulator  # noqa: F401  (re-exported for tests)


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog='mpsd_emulator.py',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=__doc__.split('USAGE', 1)[0].strip(),
        epilog=__doc__.split('MPSD ENDPOINTS', 1)[1].join(['MPSD ENDPOINTS', '']))
    ap.add_argument('--host', default='127.0.0.1', help='address to bind (default 127.0.0.1)')
    ap.add_argument('--port', type=int, default=DEFAULT_PORT,
                    help='port to bind; 0 picks a free one (default %d)' % DEFAULT_PORT)
    ap.add_argument('--templates', default=None,
                    help='template config JSON (default: templates.json next to this script)')
    ap.add_argument('--tls-cert', default=None, help='PEM certificate: serve HTTPS')
    ap.add_argument('--tls-key', default=None, help='PEM private key for --tls-cert')
    args = ap.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error('--tls-cert and --tls-key go together')
    try:
        srv = make_server(args.host, args.port, args.templates, args.tls_cert, args.tls_key)
    except (OSError, ValueError, HttpError, ssl.SSLError) as e:
        sys.stderr.write('mpsd_emulator: %s\n' % e)
        return 1
    host, port = srv.server_address[:2]

    def stop(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    # Before the listening line: a script may signal as soon as it reads it.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stdout.write('listening on %s:%d\n' % (host, port))
    sys.stdout.flush()
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
    sys.stderr.write('mpsd_emulator: stopped\n')
    return 0
