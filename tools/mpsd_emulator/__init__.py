"""mpsd_emulator: a local Xbox Live Multiplayer Session Directory (MPSD) for tests.

Python 3 standard library only. Implements the MPSD session write path:
templates, create/join/update/leave, reservations, merge rules, write-once
constants, admission, ETag and changeNumber, If-Match/If-None-Match, 412 with
the latest session, 204 for an emptied session, Content-Location, plain-text
errors, lazy timers on an injectable clock, optional TLS, HTTP/1.1 keep-alive
and fault injection; and the rest of the REST surface: activity, invite,
transfer and search handles with lifetimes tied to their session, handle
queries (activities for users or a social group, search handles with a
filter language) and session queries;
and the Real-Time Activity (RTA) WebSocket that carries MPSD's shoulder taps;
and a live dashboard in the browser (GET /).

USAGE
    python3 tools/mpsd_emulator.py [--host 127.0.0.1] [--port 8910]
                                   [--templates tools/templates.json]
                                   [--tls-cert FILE --tls-key FILE] [--any-scid]
                                   [--social-graph FILE]

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
  POST     /handles                             (activity | invite | transfer | search) -> 201
  GET      /handles/{id}
  DELETE   /handles/{id}                        -> 204; activity: its owner; invite: sender
                                                   or invitee; search: its creator or a
                                                   member; transfer: a member of the origin
                                                   or target session; others 403
  GET|PUT  /handles/{id}/session
  POST     /handles/query?include=relatedInfo,roleInfo,customProperties
             {"type":"activity","scid":s,"owners":{"xuids":[...]}}
             {"type":"activity","scid":s,"owners":{"people":{"moniker":m,"monikerXuid":x}}}
             {"type":"search","scid":s,"templateName":t,"filter":f,"orderBy":"<name> asc|desc",
              "sessionMembers":{"people":{"moniker":m,"monikerXuid":x}}}
                                                -> 200 {"results":[...]} (at most 100)
           activity: the owners' activity handles in owner order (a repeated owner once);
           relatedInfo and customProperties come from the session (absent once it is gone)
           search: the handles of that SCID and template passing filter and social group
  GET      /serviceconfigs/{scid}[/sessiontemplates/{t}]/sessions?xuid=&keyword=&visibility=
             &version=&private=true&reservations=true&inactive=true&take=
  POST     /serviceconfigs/{scid}[/sessiontemplates/{t}]/batch?...  {"xuids": [...]}
  Every MPSD request needs
    Authorization: XBL3.0 x=<userhash>;xuid=<n>[,gt=<name>][,dev=<id>][,title=<id>][,server]
      ("server" marks a server principal; it may omit xuid)   missing/bad -> 401
    x-xbl-contract-version: >= 104 (echoed as contractVersion)  missing/<104 -> 400
  ?nocommit=true on a PUT computes the result without storing it.
  A SCID must be a GUID (8-4-4-4-12 hex digits), as the service requires:
  any other SCID in a session path or a sessionRef gets 400 with a text
  that says so. --any-scid accepts any SCID of 1-39 characters from
  [A-Za-z0-9._-] (test rigs that use SCIDs such as "MockScid").

HANDLE LIFETIMES
  Every handle goes with its session (a transfer handle with its target session).
  An activity handle goes when its owner leaves or goes inactive; a user has one
  activity per SCID and one search handle exists per session (a new one replaces
  the old). A session's top-level searchHandle shows its search handle's ID.
  Activity handles need a member (not only reserved) of the session; search handles
  a member of an existing session with the 'searchable' capability; transfer handles
  a member of the origin session.

SEARCH FILTER  (the "filter" of a search query; anything else is 400 with the reason)
  comparisons  eq ne gt ge lt le between a literal ('text' with '' for a quote, or a
               number) and strings/<name>, numbers/<name> or tolower(<string>);
               both sides of one type
  lambdas      tags/any(d:<cond>), session/memberXuids/any(d:<cond>),
               session/ownerXuids/any(d:<cond>)   (<cond> compares d, no 'or')
  logic        'and', parentheses, and one 'or' at the root ('and' binds tighter)
  e.g. numbers/minlevel le 20 and tags/any(d:tolower(d) eq 'casual') or strings/map eq 'harbor'
  A missing attribute is null: eq/gt/ge/lt/le are false, ne is true.
  orderBy "<attribute> asc|desc" (number or string attribute; handles without it
  last) or "Timestamp"; default createTime ascending.

SESSION QUERIES
  A keyword or a XUID filter is required; take 0-100 (default 100, per XUID in a
  batch); version at most the contract version modulo 100; visibility private,
  visible, full or open (full = as many members as maxMembersCount); private=true
  and reservations=true need a server principal or the filtered user (else 403);
  visibility=private needs private=true. Booleans accept only true. Results are
  ordered by startTime; a batch answers XUID by XUID in request order.

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
  Templates serve every SCID; they are looked up by name, case-insensitively.

ADMIN API (no authentication; JSON in, JSON out; never subject to faults)
  GET  /_emu/health                      -> {"ok": true}
  GET  /_emu/state                       -> dump of sessions, handles, clock, options, faults
  POST /_emu/reset                       -> forget sessions, handles, correlation ids;
                                            clock offset, faults and options back to defaults;
                                            close every RTA WebSocket (1001) and forget them;
                                            social graph back to the --social-graph file
  GET  /_emu/clock                       -> {"nowMs": n, "now": "<iso>", "frozen": bool}
  POST /_emu/clock {"advanceMs": n}      -> move the emulator clock forward n ms
                   {"freeze": true|false} (frozen = time stands still between advances)
  POST /_emu/faults {"fault": "<spec>", "count": n}
                                         -> global fault for the next n MPSD requests
                                            (omit count = until cleared); {"fault": ""} clears
  GET  /_emu/faults                      -> current global fault
  POST /_emu/options {"missingSessionStatus": 412|404}
                                         -> status for If-Match on a missing session (default 412)
                     {"disconnectGraceMs": n}      RTA disconnect grace (default 30000)
                     {"connectionRequiredStrict": bool}  see RTA WEBSOCKET (default false)
                     {"maxSubscriptions": n}       RTA subscriptions per connection (1000)
                                         -> every option's current value
  POST /_emu/handles {handle JSON as for POST /handles, optional "id", "ownerXuid",
                      "titleId", "senderXuid"}
                                         -> 201 + handle JSON (no auth, no membership checks)
  POST /_emu/member {"scid","templateName","name", "xuid"|"index",
                     "active": bool, "ready": bool, "remove": bool}
                                         -> set a member's presence flags (test hook); returns
                                            the session as a server sees it
  POST /_emu/templates {"name": "<t>", "template": {...}} -> add/replace a template
  GET  /_emu/social                      -> {"groups": [{"xuid","moniker","xuids"}, ...]}
  POST /_emu/social {"xuid": "<x>", "moniker": "<group>", "xuids": ["<x>", ...]}
                                         -> set the social group <group> of user <x>;
                                            returns the whole graph
  POST /_emu/social {"groups": [...]}    -> replace the whole graph

SOCIAL GRAPH
  --social-graph FILE loads {"groups": [{"xuid": "<x>", "moniker": "<group>",
  "xuids": [...]}, ...]} at start; /_emu/reset returns to it. A group is the list
  of users an "owners.people" / "sessionMembers.people" query with that moniker
  (case-insensitive, e.g. people or favorites) and monikerXuid resolves to; an
  unconfigured group is empty.

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

RTA WEBSOCKET (same host and port; wss:// when started with --tls-cert)
  GET /connect (path case-insensitive) with Upgrade: websocket. The request needs
    Sec-WebSocket-Version: 13        else 426 (with Sec-WebSocket-Version: 13)
    Sec-WebSocket-Key: base64 of 16 bytes, Connection: Upgrade         else 400
    Sec-WebSocket-Protocol offering rta.xboxlive.com.V2                else 400
    Authorization as for MPSD requests                                 else 401
    (GET /connect without Upgrade: websocket -> 426)
  The 101 names the subprotocol and declines every extension. Client frames must
  be masked and use the shortest length form (else close 1002), control frames
  <= 125 bytes and unfragmented (1002), text UTF-8 (1007), messages <= 64 KiB
  (1009, decided from the frame header). Pings are answered, close frames echoed,
  and the emulator then closes TCP first.
  RTA messages (JSON arrays; anything else is ignored and logged):
    -> [1,SEQ,"https://sessiondirectory.xboxlive.com/connections/"]
    <- [1,SEQ,0,SUBID,{"ConnectionId":"<uuid4 of this WebSocket>"}]
         (same SUBID and ID when repeated; SUBIDs count from 1 for the emulator)
    -> [1,SEQ,"<other URI>"]  <- [1,SEQ,1]     over maxSubscriptions: [1,SEQ,2]
    -> [2,SEQ,SUBID]          <- [2,SEQ,0], or [2,SEQ,1] for an unknown SUBID
    <- [3,SUBID,{"ncid":..,"shoulderTaps":[{"timestamp","subscription","resourceType":
         "mpsd/session","resource":"<scid>~<template>~<name>","branch","changeNumber"}]}]
    <- [4]   only when the admin API asks
  Taps: after every committed session change, each member of the new document
  (and each member just removed) whose properties.system.subscription (or
  subscriptions map) lists "everything" or a change type that changed gets one
  tap on the connection its properties.system.connection names, if that
  connection is live and holds the connections subscription (else the tap is
  dropped and counted). A removed member gets one final tap, then nothing: its
  subscription left with its member entry. A deleted session taps with
  changeNumber + 1. Taps are written before the HTTP answer of their write.
  Disconnects: when a WebSocket ends, its active members in sessions with
  capability connectionRequiredForActiveMembers become inactive (and, with
  inactiveRemovalTimeout 0, are removed) disconnectGraceMs later on the emulator
  clock, checked every 250 ms. connectionRequiredStrict: on such sessions a
  write that sets the caller active must name a live connection of the caller
  in properties.system.connection, else 400 "connection required for active members".

RTA ADMIN API (no authentication, JSON; CONN is a connection ID or "*" for all)
  GET  /_emu/rta  -> {"connections": [...live...], "closed": [...last 32 ended...],
                      "fault", "tapsDropped", "nextSubscriptionId", "pendingDisconnects"}
       each connection: id, xuid, remote, openedAt, openedAtMs, endedAtMs, state,
       subscriptions [{seq, subid, uri}], framesIn, framesOut, pingsAnswered,
       pingsSent, pongs {matched, mismatched}, tapsSent, lastCloseCode, closedBy
       (client|server|fail|reset|eof), clientCloseCode (code in the client's close
       frame, 1005 without one), messagesIn, messagesOut (last 32 RTA texts)
  POST /_emu/rta/resync {"connection": CONN}            -> send [4]; {"sent": [ids]}
  POST /_emu/rta/send {"connection": ID, "text": "..."} -> one text message
                      {"connection": ID, "hex": "8103..."} -> raw bytes (any frames)
  POST /_emu/rta/drop {"connection": CONN, "mode": "close"|"reset"|"silent", "code": n}
         close: close frame with code (default 1000), wait for the answer, close TCP;
         reset: TCP reset, no close frame; silent: read nothing, send nothing, keep TCP
  POST /_emu/rta/fault {"fault": "<rta spec>", "count": n} -> arm; "" clears
  GET  /_emu/rta/fault  -> {"spec", "count", "left": {item: uses left (null = until cleared)}}
  Unknown connection IDs answer 404.

RTA FAULT MODES (comma-separated; each item spends its own count: one use per
new connection, per subscribe, or per message sent, as marked; count omitted =
until cleared, except throttle=N which then lasts N subscribes)
  per connection (taken at the handshake):
    reject=STATUS  answer the handshake with STATUS (4xx/5xx; 429 and 503 carry
                   Retry-After: 1), text/plain body
    badaccept      101 with a wrong Sec-WebSocket-Accept
    noupgrade      101 without Upgrade
    badprotocol    101 with Sec-WebSocket-Protocol: other
    extensions     101 with Sec-WebSocket-Extensions: permessage-deflate
    coalesce       101 and a ping "coalesce" in one write
    fragment=N     every message in N-byte fragments, a ping "frag" after the first
    drip           every frame written one byte at a time, 1 ms apart
    lifetime=MS    close with 1001 after MS ms
    ping=MS        ping every MS ms; pongs are counted as matched or mismatched
  per subscribe (the reply):
    throttle[=N]   answer with 1001 (N subscribes, default 1)
    subfail=CODE   answer with CODE (1 unknown resource, 2 limit, 3 no data, ...)
    noreply        never answer
    subdelay=MS    answer MS ms late
    noconnectionid success with {} as data
  per message (sent just before the next RTA message on any connection):
    badframe=KIND  one broken frame: rsv (RSV1 set), masked (masked server frame),
                   opcode (opcode 3), ctrlfrag (ping with FIN 0), longctrl (126-byte
                   ping), badutf8 (text with a lone 0xC3), orphan (continuation
                   without a start), badclose (close with 1 payload byte), code1005
                   (close carrying 1005), nonminimal (16-bit length for 5 bytes),
                   bigmsg=N (a valid text message of N bytes)
    badjson        the text "[3," (cut JSON)
    unknowntype    the text "[99,1]"

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
    ap.add_argument('--social-graph', default=None,
                    help='social graph JSON for people queries (see SOCIAL GRAPH)')
    ap.add_argument('--any-scid', action='store_true',
                    help='accept any path-safe SCID, not only GUIDs (default: non-GUID SCID -> 400)')
    args = ap.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error('--tls-cert and --tls-key go together')
    try:
        srv = make_server(args.host, args.port, args.templates, args.tls_cert, args.tls_key,
                          social_graph_path=args.social_graph, any_scid=args.any_scid)
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
