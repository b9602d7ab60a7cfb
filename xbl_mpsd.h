/*
   xbl_mpsd.h 0.1.0 - create, join, update and leave Xbox Live multiplayer
   sessions through the Multiplayer Session Directory (MPSD) REST service.
   C99, single header, no heap, no threads, no GDK. MIT license (end of file).

   1. INSTANTIATE
      In exactly one C or C++ file:
          #define XBL_MPSD_IMPLEMENTATION
          #include "xbl_mpsd.h"
      Everywhere else include it without the macro. The ports in port/ are
      stb-style headers too (XBL_MPSD_PORT_POSIX_IMPLEMENTATION, ...); any mix
      of implementation macros may share one translation unit. jsmn
      (Debian libjsmn-dev, zserge/jsmn 1.1.0) must be on the include path.

   2. CONFIG MACROS (define before the implementation include)
      XBL_MPSD_JSMN_INCLUDE   path of jsmn.h, default <jsmn.h>
      XBL_MPSD_MEMCPY, XBL_MPSD_MEMMOVE, XBL_MPSD_MEMSET, XBL_MPSD_MEMCMP
                              all four or none; default <string.h>
      XBL_MPSD_ASSERT(x)      default assert() from <assert.h>
      XBL_MPSD_JSON_MAX_DEPTH nesting limit for JSON read or validated
                              (default 32); deeper text is refused
      XBL_MPSD_HTTP_MAX_HEADER_BYTES, XBL_MPSD_HTTP_MAX_CHUNK_LINE
                              response limits (8192, 256), see chapter 8
      XBL_MPSD_RANDOM_U64(session)
                              a random 64-bit value for subscription IDs.
                              The default mixes the XUID, the object's
                              address and a per-object counter: unique per
                              object, not secret (IDs need not be secret).
      XBL_MPSD_WRITE_WHOLE_CUSTOM 1: custom-property writes (session and
                              current user) send the whole local custom
                              object, byte for byte as XSAPI does. Default
                              0: only the keys set or deleted since the
                              session was read are sent. The service merges
                              custom objects key by key (a key with a value
                              replaces that key, a key set to null deletes
                              it, keys left out stay), so the default keeps
                              other players' concurrent changes, while the
                              whole object written from a stale copy puts
                              their old values back.
      XBL_MPSD_NO_RTA         leaves out the real-time family (the WebSocket
                              client of section 9 and what is built on it)
      XBL_MPSD_NO_HANDLES     leaves out the handles family of section 11
                              (activities, transfer handles, invites, search
                              handles, session queries)
      XBL_MPSD_NO_TRACE       leaves out the trace hook (config.trace)
      XBL_MPSD_RTA_CLOSE_TIMEOUT_MS
                              how long a WebSocket close handshake may take
                              (default 2000 ms), see section 9

   3. EXAMPLE (polled from the frame loop; see examples/ for whole programs)
          static uint8_t arena[16384], work[32768];
          xbl_mpsd_port_posix tcp; xbl_mpsd_port port;
          xbl_mpsd_client client; xbl_mpsd_session s; xbl_mpsd_async op;
          xbl_mpsd_client_config cfg = {0};
          xbl_mpsd_session_reference ref;
          xbl_mpsd_result rc;

          xbl_mpsd_port_posix_init(&tcp, &port);
          cfg.port = &port; cfg.xuid = 2814639011617876ULL; cfg.auth = my_token_fn;
          cfg.host = "127.0.0.1"; cfg.port_number = 8910;
          xbl_mpsd_client_init(&client, &cfg);

          ref = xbl_mpsd_session_reference_create(scid, "quick", "my-session");
          xbl_mpsd_session_init(&s, cfg.xuid, &ref, NULL, arena, sizeof arena);
          xbl_mpsd_session_join(&s, NULL, false, true);

          xbl_mpsd_async_init(&op, work, sizeof work);
          xbl_mpsd_write_session_async(&client, &s, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &op);
          while (xbl_mpsd_async_poll(&op) == XBL_MPSD_PENDING) run_one_frame();
          rc = xbl_mpsd_write_session_result(&op, &s);
          if (rc != XBL_MPSD_OK)          // transport or HTTP failure: s unchanged
              printf("failed: %s %s\n", xbl_mpsd_result_string(rc), xbl_mpsd_async_error_text(&op));
          else if (xbl_mpsd_session_write_status(&s) == XBL_MPSD_WRITE_SESSION_STATUS_CREATED)
              printf("created, etag %s\n", xbl_mpsd_session_etag(&s));
          else    // answered, not applied: OutOfSync (412) = it exists already
              printf("not created: %s\n",
                     xbl_mpsd_write_session_status_string(xbl_mpsd_session_write_status(&s)));

   4. MEMORY
      The SDK never calls malloc, calloc, realloc or free. Every object is a
      struct the caller owns. A session keeps all its variable-size data in
      the arena given to xbl_mpsd_session_init, bump-allocated: a setter that
      replaces a value takes new space, and space is compacted when the
      session is rebuilt (init, copy into it, a result call into it). A call
      whose data does not fit returns XBL_MPSD_E_OUTOFMEMORY and leaves the
      session exactly as it was (struct and used arena bytes).
      Rebuilding measures first (a checking walk of the same tables) and
      only then writes, so a result or copy needs an arena as large as the
      new document, not old + new.
      Measured on x86-64 (gcc 12): sizeof(xbl_mpsd_session) 1232,
      xbl_mpsd_client 128, xbl_mpsd_async 1408, xbl_mpsd_session_member 264.
      Arena a received document needs: 1761 bytes for a full 2-member
      session (roles, servers, matchmaking, initialization), 27606 bytes for
      100 members; roughly 270 bytes a member plus the JSON text you keep
      (the bench's documents, heavy on custom JSON: 0.77 x the body bytes).
      The async buffer holds the request, the response body and the
      reader's scratch space (its walker state and the structs of its
      measuring walk: 2920 bytes on x86-64, whatever the document; no JSON
      tokens), so body size + 4 KB is a safe start (a 100-member GET with a
      1.3 KB token needed 1.02 x the body, 1000 members 1.00 x);
      xbl_mpsd_async_needed_bytes tells the exact size an exchange needed
      after it failed with XBL_MPSD_E_OUTOFMEMORY once its request was sent
      (that size at the same address fits, one byte less does not; refused
      before sending, the token size is not known yet, and a response
      header line longer than the whole window cannot be measured: then it
      is a size that gets further). A result call refused for out's arena
      sets xbl_mpsd_async_needed_arena_bytes to the exact arena it needs.
      Reads are faster with room to spare: an async buffer that holds the
      body's size again past that (about 2 x the body + 4 KB) lets a
      session result take one walk instead of two (0.66-0.90 x the
      instructions; members in chain order, as the service sends them),
      with the same arena and the same outcome either way.

   5. PORTS
      All I/O goes through xbl_mpsd_port (port/README.md is the contract):
      non-blocking connect, send, recv, close and a millisecond clock, each
      outcome explicit. Shipped, each an stb-style header with its own docs:
        port/xbl_mpsd_port_posix.h     BSD sockets (POSIX)
        port/xbl_mpsd_port_mbedtls.h   TLS 1.2+ over any other port, mbedTLS,
                                       peer always verified
        port/xbl_mpsd_port_lwip.h      lwIP raw TCP API (NO_SYS=1, or
                                       NO_SYS=0 with core locking)
        port/xbl_mpsd_port_template.h  a skeleton to copy for a new platform
      port/README.md is the porting guide; `make port-check PORT=<file.c>`
      runs the conformance suite (tests/port_conformance/) on your port.
      cfg.host is where the port connects; the Host header names the
      service: cfg.host_header when set, else cfg.host (an IPv6 literal in
      brackets, the port unless 443). Connecting to an address (resolved off
      the frame loop) with TLS server_name = the real name? Set host_header
      to that name too, or a name-based front end routes the request to
      the wrong virtual host.

   6. POLLING
      A *_async call checks its arguments and serializes the request at once
      (the session may change afterwards). xbl_mpsd_async_poll does a bounded
      step and never waits; the result call then applies the response to any
      session with an arena (the written one is the usual choice). One
      operation per client; a kept-alive connection is reused, after the
      port's liveness check (connect on the open connection: a port starts
      afresh when the server closed it while idle, so that costs no send).

   7. ERRORS
      xbl_mpsd_result is an int32 with XSAPI's HRESULT bit patterns:
      XBL_MPSD_OK, XBL_MPSD_PENDING, XBL_MPSD_E_INVALIDARG (argument shape),
      XBL_MPSD_E_UNEXPECTED (session state), XBL_MPSD_E_INVALID_JSON_STRING
      (JSON text or response document), XBL_MPSD_E_OUTOFMEMORY (arena or
      async buffer), reported in that precedence. A call that fails changes
      nothing. Transport codes (XBL_MPSD_E_TIMEOUT, ...) and
      XBL_MPSD_E_HTTP_STATUS(n) are listed below; xbl_mpsd_result_string()
      names any code, xbl_mpsd_*_string() every enum a log shows, and
      xbl_mpsd_json_argument_error() the rule a refused JSON text broke.
      An OK write result means the service answered: its write status
      says whether the write was applied (OutOfSync: it was not).
      A write the service applied (200, 201, 204) whose document does not
      fit the async buffer or out's arena still ends with
      XBL_MPSD_E_OUTOFMEMORY and leaves out untouched, but
      xbl_mpsd_async_applied() says true and xbl_mpsd_async_etag() and
      xbl_mpsd_async_session_reference() give the written session's ETag
      and reference (by handle: from Content-Location): do not create it
      again; read it back with bigger storage. The rest of its body was
      read, so the connection stays usable.
      xbl_mpsd_async_retry_after() gives a 429/503's Retry-After; the
      client config's retry policy retries those and connection failures
      inside the operation, and its trace hook shows every exchange.

   8. DESIGN NOTES AND DEPARTURES
      - JSON is checked by our own scanner (RFC 8259 grammar, UTF-8,
        escapes, depth with a bit stack, no recursion) and responses are
        read by a one-pass walker that dispatches each key through a table
        (no token array); every field is checked for type and bounds. This
        departs from the founding design's jsmn token walker: a token array
        sized for the largest document cost more memory than the document,
        and reading through it was several times slower than walking the
        text once (BENCHMARKS.md). jsmn.h is still included (the tests use
        it as an independent judge), so it must stay on the include path.
      - The handles family's bodies (handle IDs, activity lists, search
        handles, query results) are read by the same key-table walker; a
        list is walked element by element, one frame each. Each key is seen
        once: no field is looked up by rescanning its object (RTA shoulder
        taps included, found in one pass over their members).
      - Custom-property writes send only the changed keys (deleted keys as
        null); XBL_MPSD_WRITE_WHOLE_CUSTOM 1 restores XSAPI's whole-object
        writes. The getters always show the whole local object.
      - xbl_mpsd_async_poll's final value is the transport and HTTP outcome;
        checks that need `out` (that the body is a session document, `out`'s
        arena) are made by the result call, which may refine an OK poll to
        XBL_MPSD_E_INVALID_JSON_STRING or XBL_MPSD_E_OUTOFMEMORY.
      - One rule decides whether a session reference is valid, and every
        call that takes one applies it (reference_create, reference_is_valid,
        session_init, every *_async): the SCID 1-39 characters, the template
        and session names 1-99 characters, all from [A-Za-z0-9._-] (names go
        into the request path unescaped). Handle IDs follow the same
        character rule. The SCID need not be GUID-shaped here (test rigs use
        "MockScid"); the service and the emulator answer 400 to a non-GUID
        SCID (the emulator takes any with --any-scid).
      - The service's error text is kept for text/plain (or untyped) bodies
        only, up to 255 bytes.
      - Limits: XBL_MPSD_HTTP_MAX_HEADER_BYTES (8192) for the header block,
        XBL_MPSD_HTTP_MAX_CHUNK_LINE (256) for a chunk-size line; an ETag
        over 127 bytes is a protocol error (a cut ETag would break If-Match).

   9. WEBSOCKET CLIENT (xbl_mpsd_ws_*, left out by XBL_MPSD_NO_RTA)
      The client role of RFC 6455 (version 13), the transport of real-time
      session notifications, usable on its own. It knows nothing of what
      the messages mean. ws:// or wss:// is decided by the port: the plain
      POSIX or lwIP port gives ws://, the mbedTLS port over one of them
      wss://; no URL is ever parsed.
        xbl_mpsd_ws_init(&ws, &cfg, buf, sizeof buf);   cfg: port, client, host,
        xbl_mpsd_ws_connect(&ws);                       path, subprotocol, random
        while (xbl_mpsd_ws_poll(&ws, &ev) == XBL_MPSD_OK) switch (ev.type) {
            OPENED: xbl_mpsd_ws_send_text(...) may be called from now on
            MESSAGE: ev.data/ev.len, one whole message, valid until the next call
            CLOSED: ev.result and ev.close_code tell why; the port is closed }
      - Handshake: GET {path} with Upgrade, Connection, a Sec-WebSocket-Key
        of 16 bytes from cfg.random (base64), Version 13, the subprotocol,
        the client's User-Agent and Accept-Language, and Authorization /
        Signature from the client's auth callback (method GET, the path, no
        body), wiped from the buffer once sent. The answer must be 101
        (else XBL_MPSD_E_HTTP_STATUS(n), with Retry-After in the event),
        with Upgrade: websocket, a Connection upgrade token, exactly one
        Sec-WebSocket-Accept equal to base64(SHA-1(key + RFC GUID)), no
        extensions and no other subprotocol (else XBL_MPSD_E_WS_HANDSHAKE).
        SHA-1 (FIPS 180-4) is built in: the SDK cannot depend on a crypto
        library, and it is used for nothing else.
      - Frames: every client frame is one masked frame (fresh key from
        cfg.random) with FIN set; server frames are parsed byte by byte, so
        any split of the stream gives the same result. Text, binary and
        continuation frames are joined into one message of at most
        max_message_bytes; the limit is decided from a frame's header,
        before its payload (XBL_MPSD_E_WS_MESSAGE_TOO_BIG, close 1009). A
        broken rule (RSV bits, reserved opcode, masked or fragmented control
        frame, control over 125 bytes, 64-bit length with the top bit, a
        length not in its shortest form, a continuation out of place, a bad
        close payload) fails the connection with XBL_MPSD_E_WS_PROTOCOL and
        close 1002; invalid UTF-8 in a text message or a close reason, 1007.
      - Pings are answered with the same payload (only the latest if several
        wait); unasked pongs are ignored; cfg.ping_interval_ms > 0 sends a
        keepalive ping after that long without a frame and fails with
        XBL_MPSD_E_TIMEOUT (close code 1006, nothing sent) after as long
        again. Closing: xbl_mpsd_ws_close sends a close frame and waits for
        the server's and the end of TCP; a server's close frame is echoed
        (result XBL_MPSD_E_WS_CLOSED, its code, 1005 when none); the end of
        TCP without one is XBL_MPSD_E_CONNECTION_CLOSED with 1006. Every
        wait is bounded by cfg.timeout_ms (the opening) or
        close_timeout_ms on the port clock. xbl_mpsd_ws_abort ends at once.
      - Memory: sizeof(xbl_mpsd_ws) is 336 bytes on x86-64, 216 on
        Cortex-M4. The buffer (at least XBL_MPSD_WS_MIN_BUFFER_SIZE, 2048)
        holds the handshake request with its tokens, then the response head
        line by line; once open, its first max_message_bytes bytes (default:
        buffer size - XBL_MPSD_RTA_BUFFER_RESERVE) hold the message being
        joined and the last XBL_MPSD_RTA_BUFFER_RESERVE (1024) bytes the
        frame going out (text of at most XBL_MPSD_WS_MAX_SEND_BYTES, 376),
        the control payloads and the bytes read but not yet parsed. Nothing
        is written outside the buffer. xbl_mpsd_ws_needed_bytes tells the
        buffer size a too-big message or head would have needed. The chapter
        adds about 5 KB of Cortex-M4 -Os code.

   10. REAL-TIME SESSION NOTIFICATIONS (xbl_mpsd_rta_*, XBL_MPSD_NO_RTA)
      An xbl_mpsd_rta, attached to a client (same user, auth callback, user
      agent) with a port and a buffer of its own, keeps one WebSocket to the
      RTA service (rta.xboxlive.com/connect, subprotocol rta.xboxlive.com.V2)
      while xbl_mpsd_set_subscriptions_enabled(client, true) or
      xbl_mpsd_real_time_activity_activate(client) wants it. It subscribes to
      MPSD's connections resource and learns the connection ID; writes that
      set the member active then carry it (members.me.properties.system.
      connection) and are refused with XBL_MPSD_E_RTA_NO_CONNECTION_ID, with
      nothing sent, while there is none. xbl_mpsd_rta_poll hands out one
      event per call, by value: CONNECTION_STATE_CHANGED (once per change),
      CONNECTION_ID_CHANGED (rewrite the active status), SESSION_CHANGED
      (one per shoulder tap: reference, branch, change number; GET the
      session and xbl_mpsd_session_compare it with your copy), RESYNC
      (reread; ignored in the first 5 minutes of a connection) and
      SUBSCRIPTION_LOST (disabled: XBL_MPSD_OK; a failed subscribe: an
      XBL_MPSD_E_RTA_* code; four failed attempts in a row: their cause).
      A lost connection is retried after min(k*k, 60) s plus 0-4999 ms of
      jitter from cfg.random (none before the first success; at least a
      429/503's Retry-After); throttled subscribes after min(j*j, 60) s; a
      subscribe reply overdue by timeout_ms reconnects; a connection is
      renewed after max_connection_ms (90 minutes). Failures are events,
      never return values; no callback runs inside the SDK.
      A watch loop (examples/watch_session.c): skip a tap whose branch equals
      your copy's (ignoring case) and whose change number is not above its
      one (your own writes are tapped too); otherwise GET, compare, keep the
      new copy. After CONNECTION_ID_CHANGED the service still names the old
      ID and drops taps sent to it: set the member active again and write
      (the answer is the latest session; compare it). A member that leaves
      or is removed gets one last tap (the GET shows no current user, or
      204 once the session is gone), then none. The object needs a port of
      its own: a second connection beside the client's (with TLS, a second
      TLS port over a second lower port).
      Memory: sizeof(xbl_mpsd_rta) is 632 bytes on x86-64, 464 on Cortex-M4
      (the WebSocket object included); the buffer is the WebSocket's (at
      least XBL_MPSD_RTA_MIN_BUFFER_SIZE, 2048; a tap is about 350 bytes, so
      16 KB holds any burst), messages are read in place without tokens.
      The WebSocket client and the RTA object together add about 8.5 KB of
      Cortex-M4 -Os code.

   11. FIND AND BE FOUND: HANDLES, ACTIVITIES, INVITES, SEARCH, QUERIES
      (XBL_MPSD_NO_HANDLES leaves them out). The rest of MPSD's REST
      surface, with XSAPI's names: set and clear a user's activity (a
      handle friends join by), activities for users and for a social
      group (plain, or with the sessions' custom properties), transfer
      handles, invites (one POST per invited XUID), search handles (create,
      query with a filter, delete; getters, copy, clear) and session
      queries. Each call is polled on the client's connection like a
      session write, with the same rules: arguments are checked by the
      *_async call (nothing is sent on a refusal), every 2xx body is
      checked by its reader as the exchange completes (so the final poll
      value is the outcome), count and size calls come before the result
      call and never consume, a result call with storage too small answers
      XBL_MPSD_E_OUTOFMEMORY without consuming, and no failure touches the
      caller's storage. Clear activity (a query, then a DELETE) and invites
      (N POSTs) run several exchanges in one operation, each with its own
      timeout_ms; an invite operation keeps 48 bytes per invited XUID at the
      end of the async's buffer. Where XSAPI returns half-filled results for
      a malformed body, compacts failed invites away or reports argument
      errors only on completion, these calls answer
      XBL_MPSD_E_INVALID_JSON_STRING, keep one slot per invited XUID ("" for
      a failed invite) and refuse bad arguments at once.
      A search handle (xbl_mpsd_search_handle) is a struct the caller owns
      that views the byte buffer given to its result call (sized by the size
      call, at any alignment): copy makes an independent one in another
      buffer, clear forgets it, and there is nothing to close. Number
      attributes are written so that they read back as the same double
      (exact decimals as such, others as their 17 correctly rounded
      significant digits, computed exactly in integer arithmetic: no
      floating-point library is needed).
*/
#ifndef XBL_MPSD_H
#define XBL_MPSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define XBL_MPSD_VERSION_MAJOR 0
#define XBL_MPSD_VERSION_MINOR 1
#define XBL_MPSD_VERSION_PATCH 0
#define XBL_MPSD_VERSION_STRING "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* ===========================================================================
   Public API. Every function is documented at its declaration: what it
   does, its arguments, each result code and what to do next, memory.
   =========================================================================== */

typedef int32_t xbl_mpsd_result;

/* A conversion in the macros callers expand: a C++ caller builds clean
   under -Wold-style-cast. */
#ifdef __cplusplus
#define XBL_MPSD__CAST(type, x) (static_cast<type>(x))
#else
#define XBL_MPSD__CAST(type, x) ((type)(x))
#endif

/* builds a negative xbl_mpsd_result with the given 32-bit HRESULT bit pattern */
#define XBL_MPSD_RESULT_FROM_BITS(bits) \
    XBL_MPSD__CAST(xbl_mpsd_result, XBL_MPSD__CAST(int64_t, bits) - INT64_C(0x100000000))

#define XBL_MPSD_OK                              XBL_MPSD__CAST(xbl_mpsd_result, 0)
#define XBL_MPSD_PENDING                         XBL_MPSD__CAST(xbl_mpsd_result, 1)
#define XBL_MPSD_E_FAIL                          XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x80004005))
#define XBL_MPSD_E_UNEXPECTED                    XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x8000FFFF))
#define XBL_MPSD_E_OUTOFMEMORY                   XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x8007000E))
#define XBL_MPSD_E_INVALIDARG                    XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x80070057))
#define XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND       XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x80070714))
#define XBL_MPSD_E_INVALID_JSON_STRING           XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x83750007))
#define XBL_MPSD_E_RUNTIME_ERROR                 XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x89235200))
/* an HTTP failure status, same bits as XSAPI's HTTP_E_STATUS_*: 0x80190000 + status */
#define XBL_MPSD_E_HTTP_STATUS(status) \
    XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x80190000) + XBL_MPSD__CAST(uint32_t, status))

#define XBL_MPSD_SUCCEEDED(r) (XBL_MPSD__CAST(xbl_mpsd_result, r) >= 0)
#define XBL_MPSD_FAILED(r)    (XBL_MPSD__CAST(xbl_mpsd_result, r) < 0)

typedef struct xbl_mpsd_session xbl_mpsd_session; /* complete below, every member private     */
typedef struct xbl_mpsd_client  xbl_mpsd_client;  /* defined by the transport contract             */
typedef struct xbl_mpsd_async   xbl_mpsd_async;   /* defined by the transport contract             */
typedef struct xbl_mpsd_rta     xbl_mpsd_rta;     /* real-time notifications, complete in xbl_mpsd.h */

#define XBL_MPSD_GUID_LENGTH                           40   /* XBL_GUID_LENGTH */
#define XBL_MPSD_SCID_LENGTH                           XBL_MPSD_GUID_LENGTH   /* XBL_SCID_LENGTH */
#define XBL_MPSD_GAMERTAG_CHAR_SIZE                    48   /* XBL_GAMERTAG_CHAR_SIZE, (16 * 3) */
#define XBL_MPSD_DEVICE_TOKEN_MAX_LENGTH               40
#define XBL_MPSD_SESSION_TEMPLATE_NAME_MAX_LENGTH      100
#define XBL_MPSD_SESSION_NAME_MAX_LENGTH               XBL_MPSD_SESSION_TEMPLATE_NAME_MAX_LENGTH
#define XBL_MPSD_SESSION_REFERENCE_URI_MAX_LENGTH \
    (44 + XBL_MPSD_SCID_LENGTH + XBL_MPSD_SESSION_TEMPLATE_NAME_MAX_LENGTH + XBL_MPSD_SESSION_NAME_MAX_LENGTH)
/* SDK-only names (XSAPI uses a bare literal or has no name): */
#define XBL_MPSD_FORMATTED_SECURE_DEVICE_ADDRESS_MAX_LENGTH 4096
#define XBL_MPSD_MEMBER_ID_NONE                        UINT32_C(0xFFFFFFFF)
#define XBL_MPSD_TIMEOUT_INFINITE                      UINT64_MAX

typedef enum xbl_mpsd_session_visibility {
    XBL_MPSD_SESSION_VISIBILITY_UNKNOWN         = 0,
    XBL_MPSD_SESSION_VISIBILITY_ANY             = 1,
    XBL_MPSD_SESSION_VISIBILITY_PRIVATE_SESSION = 2,
    XBL_MPSD_SESSION_VISIBILITY_VISIBLE         = 3,
    XBL_MPSD_SESSION_VISIBILITY_FULL            = 4,
    XBL_MPSD_SESSION_VISIBILITY_OPEN            = 5
} xbl_mpsd_session_visibility;

typedef enum xbl_mpsd_initialization_stage {
    XBL_MPSD_INITIALIZATION_STAGE_UNKNOWN    = 0,
    XBL_MPSD_INITIALIZATION_STAGE_NONE       = 1,
    XBL_MPSD_INITIALIZATION_STAGE_JOINING    = 2,
    XBL_MPSD_INITIALIZATION_STAGE_MEASURING  = 3,
    XBL_MPSD_INITIALIZATION_STAGE_EVALUATING = 4,
    XBL_MPSD_INITIALIZATION_STAGE_FAILED     = 5
} xbl_mpsd_initialization_stage;

typedef enum xbl_mpsd_metrics {
    XBL_MPSD_METRICS_UNKNOWN        = 0,
    XBL_MPSD_METRICS_BANDWIDTH_UP   = 1,
    XBL_MPSD_METRICS_BANDWIDTH_DOWN = 2,
    XBL_MPSD_METRICS_BANDWIDTH      = 3,
    XBL_MPSD_METRICS_LATENCY        = 4
} xbl_mpsd_metrics;

typedef enum xbl_mpsd_network_address_translation_setting {
    XBL_MPSD_NETWORK_ADDRESS_TRANSLATION_SETTING_UNKNOWN  = 0,
    XBL_MPSD_NETWORK_ADDRESS_TRANSLATION_SETTING_OPEN     = 1,
    XBL_MPSD_NETWORK_ADDRESS_TRANSLATION_SETTING_MODERATE = 2,
    XBL_MPSD_NETWORK_ADDRESS_TRANSLATION_SETTING_STRICT   = 3
} xbl_mpsd_network_address_translation_setting;

typedef enum xbl_mpsd_measurement_failure {
    XBL_MPSD_MEASUREMENT_FAILURE_UNKNOWN        = 0,
    XBL_MPSD_MEASUREMENT_FAILURE_NONE           = 1,
    XBL_MPSD_MEASUREMENT_FAILURE_TIMEOUT        = 2,
    XBL_MPSD_MEASUREMENT_FAILURE_LATENCY        = 3,
    XBL_MPSD_MEASUREMENT_FAILURE_BANDWIDTH_UP   = 4,
    XBL_MPSD_MEASUREMENT_FAILURE_BANDWIDTH_DOWN = 5,
    XBL_MPSD_MEASUREMENT_FAILURE_GROUP          = 6,
    XBL_MPSD_MEASUREMENT_FAILURE_NETWORK        = 7,
    XBL_MPSD_MEASUREMENT_FAILURE_EPISODE        = 8
} xbl_mpsd_measurement_failure;

typedef enum xbl_mpsd_session_restriction {
    XBL_MPSD_SESSION_RESTRICTION_UNKNOWN  = 0,
    XBL_MPSD_SESSION_RESTRICTION_NONE     = 1,
    XBL_MPSD_SESSION_RESTRICTION_LOCAL    = 2,
    XBL_MPSD_SESSION_RESTRICTION_FOLLOWED = 3
} xbl_mpsd_session_restriction;

typedef enum xbl_mpsd_matchmaking_status {
    XBL_MPSD_MATCHMAKING_STATUS_UNKNOWN   = 0,
    XBL_MPSD_MATCHMAKING_STATUS_NONE      = 1,
    XBL_MPSD_MATCHMAKING_STATUS_SEARCHING = 2,
    XBL_MPSD_MATCHMAKING_STATUS_EXPIRED   = 3,
    XBL_MPSD_MATCHMAKING_STATUS_FOUND     = 4,
    XBL_MPSD_MATCHMAKING_STATUS_CANCELED  = 5
} xbl_mpsd_matchmaking_status;

typedef enum xbl_mpsd_session_member_status {
    XBL_MPSD_SESSION_MEMBER_STATUS_RESERVED = 0,
    XBL_MPSD_SESSION_MEMBER_STATUS_INACTIVE = 1,
    XBL_MPSD_SESSION_MEMBER_STATUS_READY    = 2,
    XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE   = 3
} xbl_mpsd_session_member_status;

typedef enum xbl_mpsd_session_write_mode {
    XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW           = 0,
    XBL_MPSD_SESSION_WRITE_MODE_UPDATE_OR_CREATE_NEW = 1,
    XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING      = 2,
    XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE  = 3
} xbl_mpsd_session_write_mode;

typedef enum xbl_mpsd_write_session_status {
    XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN          = 0,
    XBL_MPSD_WRITE_SESSION_STATUS_ACCESS_DENIED    = 1,
    XBL_MPSD_WRITE_SESSION_STATUS_CREATED          = 2,
    XBL_MPSD_WRITE_SESSION_STATUS_CONFLICT         = 3,
    XBL_MPSD_WRITE_SESSION_STATUS_HANDLE_NOT_FOUND = 4,
    XBL_MPSD_WRITE_SESSION_STATUS_OUT_OF_SYNC      = 5,
    XBL_MPSD_WRITE_SESSION_STATUS_SESSION_DELETED  = 6,
    XBL_MPSD_WRITE_SESSION_STATUS_UPDATED          = 7
} xbl_mpsd_write_session_status;

typedef uint32_t xbl_mpsd_session_change_types;
enum {
    XBL_MPSD_SESSION_CHANGE_TYPES_NONE                          = 0x0000,
    XBL_MPSD_SESSION_CHANGE_TYPES_EVERYTHING                    = 0x0001,
    XBL_MPSD_SESSION_CHANGE_TYPES_HOST_DEVICE_TOKEN_CHANGE      = 0x0002,
    XBL_MPSD_SESSION_CHANGE_TYPES_INITIALIZATION_STATE_CHANGE   = 0x0004,
    XBL_MPSD_SESSION_CHANGE_TYPES_MATCHMAKING_STATUS_CHANGE     = 0x0008,
    XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_LIST_CHANGE            = 0x0010,
    XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_STATUS_CHANGE          = 0x0020,
    XBL_MPSD_SESSION_CHANGE_TYPES_SESSION_JOINABILITY_CHANGE    = 0x0040,
    XBL_MPSD_SESSION_CHANGE_TYPES_CUSTOM_PROPERTY_CHANGE        = 0x0080,
    XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_CUSTOM_PROPERTY_CHANGE = 0x0100
};

typedef uint32_t xbl_mpsd_mutable_role_settings;
enum {
    XBL_MPSD_MUTABLE_ROLE_SETTINGS_NONE   = 0x0,
    XBL_MPSD_MUTABLE_ROLE_SETTINGS_MAX    = 0x1,
    XBL_MPSD_MUTABLE_ROLE_SETTINGS_TARGET = 0x2
};

typedef struct xbl_mpsd_session_reference {
    char scid[XBL_MPSD_SCID_LENGTH];
    char session_template_name[XBL_MPSD_SESSION_TEMPLATE_NAME_MAX_LENGTH];
    char session_name[XBL_MPSD_SESSION_NAME_MAX_LENGTH];
} xbl_mpsd_session_reference;

typedef struct xbl_mpsd_session_reference_uri {
    char value[XBL_MPSD_SESSION_REFERENCE_URI_MAX_LENGTH];
} xbl_mpsd_session_reference_uri;

typedef struct xbl_mpsd_device_token {
    char value[XBL_MPSD_DEVICE_TOKEN_MAX_LENGTH];
} xbl_mpsd_device_token;

typedef struct xbl_mpsd_peer_to_host_requirements {
    uint64_t         latency_maximum;
    uint64_t         bandwidth_down_minimum_in_kbps;
    uint64_t         bandwidth_up_minimum_in_kbps;
    xbl_mpsd_metrics host_selection_metric;
} xbl_mpsd_peer_to_host_requirements;

typedef struct xbl_mpsd_peer_to_peer_requirements {
    uint64_t latency_maximum;
    uint64_t bandwidth_minimum_in_kbps;
} xbl_mpsd_peer_to_peer_requirements;

typedef struct xbl_mpsd_member_initialization {
    uint64_t join_timeout;
    uint64_t measurement_timeout;
    uint64_t evaluation_timeout;
    bool     external_evaluation;
    uint32_t members_needed_to_start;
} xbl_mpsd_member_initialization;

typedef struct xbl_mpsd_session_capabilities {
    bool connectivity;
    bool suppress_presence_activity_check;
    bool gameplay;
    bool large;
    bool connection_required_for_active_members;
    bool user_authorization_style;
    bool crossplay;
    bool searchable;
    bool has_owners;
} xbl_mpsd_session_capabilities;

typedef struct xbl_mpsd_session_constants {
    uint32_t                              max_members_in_session;
    xbl_mpsd_session_visibility           visibility;
    const uint64_t                       *initiator_xuids;
    size_t                                initiator_xuids_count;
    const char                           *custom_json;
    const char                           *session_cloud_compute_package_constants_json;
    uint64_t                              member_reserved_timeout;
    uint64_t                              member_inactive_timeout;
    uint64_t                              member_ready_timeout;
    uint64_t                              session_empty_timeout;
    bool                                  enable_metrics_latency;
    bool                                  enable_metrics_bandwidth_down;
    bool                                  enable_metrics_bandwidth_up;
    bool                                  enable_metrics_custom;
    const xbl_mpsd_member_initialization *member_initialization;
    xbl_mpsd_peer_to_peer_requirements    peer_to_peer_requirements;
    xbl_mpsd_peer_to_host_requirements    peer_to_host_requirements;
    const char                           *measurement_server_addresses_json;
    bool                                  client_matchmaking_capable;
    xbl_mpsd_session_capabilities         session_capabilities;
} xbl_mpsd_session_constants;

typedef struct xbl_mpsd_session_init_args {
    uint32_t                    max_members_in_session;
    xbl_mpsd_session_visibility visibility;
    const uint64_t             *initiator_xuids;
    size_t                      initiator_xuids_count;
    const char                 *custom_json;
} xbl_mpsd_session_init_args;

typedef struct xbl_mpsd_matchmaking_server {
    xbl_mpsd_matchmaking_status status;
    const char                 *status_details;
    uint32_t                    typical_wait_in_seconds;
    xbl_mpsd_session_reference  target_session_ref;
} xbl_mpsd_matchmaking_server;

typedef struct xbl_mpsd_role xbl_mpsd_role;

typedef struct xbl_mpsd_role_type {
    const char                    *name;
    bool                           owner_managed;
    xbl_mpsd_mutable_role_settings mutable_role_settings;
    const xbl_mpsd_role           *roles;
    size_t                         role_count;
} xbl_mpsd_role_type;

struct xbl_mpsd_role {
    const xbl_mpsd_role_type *role_type;
    const char               *name;
    const uint64_t           *member_xuids;
    uint32_t                  member_count;
    uint32_t                  target_count;
    uint32_t                  max_member_count;
};

typedef struct xbl_mpsd_session_member_role {
    const char *role_type_name;
    const char *role_name;
} xbl_mpsd_session_member_role;

typedef struct xbl_mpsd_session_member {
    uint32_t                                     member_id;
    const char                                  *initial_team;
    uint64_t                                     xuid;
    const char                                  *custom_constants_json;
    const char                                  *secure_device_base_address64;
    const xbl_mpsd_session_member_role          *roles;
    size_t                                       roles_count;
    const char                                  *custom_properties_json;
    char                                         gamertag[XBL_MPSD_GAMERTAG_CHAR_SIZE];
    xbl_mpsd_session_member_status               status;
    bool                                         is_turn_available;
    bool                                         is_current_user;
    bool                                         initialize_requested;
    const char                                  *matchmaking_result_server_measurements_json;
    const char                                  *server_measurements_json;
    const uint32_t                              *members_in_group_ids;
    size_t                                       members_in_group_count;
    const char                                  *qos_measurements_json;
    xbl_mpsd_device_token                        device_token;
    xbl_mpsd_network_address_translation_setting nat;
    uint32_t                                     active_title_id;
    uint32_t                                     initialization_episode;
    time_t                                       join_time;
    xbl_mpsd_measurement_failure                 initialization_failure_cause;
    const char *const                           *groups;
    size_t                                       groups_count;
    const char *const                           *encounters;
    size_t                                       encounters_count;
} xbl_mpsd_session_member;

typedef struct xbl_mpsd_session_properties {
    const char *const            *keywords;
    size_t                        keyword_count;
    xbl_mpsd_session_restriction  join_restriction;
    xbl_mpsd_session_restriction  read_restriction;
    const uint32_t               *turn_collection;
    size_t                        turn_collection_count;
    const char                   *matchmaking_target_session_constants_json;
    const char                   *session_custom_properties_json;
    const char                   *matchmaking_server_connection_string;
    const char *const            *server_connection_string_candidates;
    size_t                        server_connection_string_candidates_count;
    const uint32_t               *session_owner_member_ids;
    size_t                        session_owner_member_ids_count;
    xbl_mpsd_device_token         host_device_token;
    bool                          closed;
    bool                          locked;
    bool                          allocate_cloud_compute;
    bool                          matchmaking_resubmit;
} xbl_mpsd_session_properties;

typedef struct xbl_mpsd_session_info {
    uint32_t contract_version;
    char     branch[XBL_MPSD_GUID_LENGTH];
    uint64_t change_number;
    char     correlation_id[XBL_MPSD_GUID_LENGTH];
    time_t   start_time;
    time_t   next_timer;
    char     search_handle_id[XBL_MPSD_GUID_LENGTH];
} xbl_mpsd_session_info;

typedef struct xbl_mpsd_session_initialization_info {
    xbl_mpsd_initialization_stage stage;
    time_t                        stage_start_time;
    uint32_t                      episode;
} xbl_mpsd_session_initialization_info;

typedef struct xbl_mpsd_formatted_secure_device_address {
    char value[XBL_MPSD_FORMATTED_SECURE_DEVICE_ADDRESS_MAX_LENGTH];
} xbl_mpsd_formatted_secure_device_address;


/* Private: the arena a session lives in. */
typedef struct xbl_mpsd__arena {
    unsigned char *base;
    size_t         size;
    size_t         used;
    bool           measure;   /* dry run: count, write nothing */
    bool           failed;    /* sticky: an allocation did not fit */
} xbl_mpsd__arena;

/* ---------------------------------------------------------------------------
   The session object. Complete so that callers can place it anywhere; every
   member is private. Variable-size data lives in the arena.
   --------------------------------------------------------------------------- */
struct xbl_mpsd_session {
    xbl_mpsd__arena arena;   /* [base, base + used) holds this session's data */

    uint32_t state;        /* XBL_MPSD__STATE_* */
    uint32_t dirty;        /* XBL_MPSD__DIRTY_*: what the next write sends */
    uint32_t me_dirty;     /* XBL_MPSD__ME_*: what members.me sends */
    uint32_t random_counter;

    uint64_t xuid;
    xbl_mpsd_write_session_status write_status;
    const char *etag;      /* "" when none */
    time_t time_of_session;

    xbl_mpsd_session_reference            reference;
    xbl_mpsd_session_info                 info;
    xbl_mpsd_session_initialization_info  initialization;
    xbl_mpsd_session_constants            constants;
    xbl_mpsd_member_initialization        member_initialization; /* constants.member_initialization points here */
    xbl_mpsd_session_properties           properties;
    bool                                  initialization_succeeded;
    bool                                  has_matchmaking_server;
    xbl_mpsd_matchmaking_server           matchmaking_server;
    const xbl_mpsd_device_token          *host_candidates;
    size_t                                host_candidates_count;
    xbl_mpsd_role_type                   *role_types;
    size_t                                role_types_count;
    const char                           *raw_servers_json; /* "" when none */
    uint32_t                              members_accepted;

    /* document members first (linked-list order), then local entries (join,
       reservations) in call order */
    xbl_mpsd_session_member *members;
    size_t                   members_count;
    size_t                   document_members_count;
    size_t                   joined_index;   /* index of the join entry, or SIZE_MAX */

    xbl_mpsd_session_change_types subscription_change_types;
    char                          subscription_id[37];

    /* custom keys set or deleted (null) since the document was read: what a
       write sends unless XBL_MPSD_WRITE_WHOLE_CUSTOM; "{}" when none */
    const char *custom_changes;      /* properties.custom */
    const char *me_custom_changes;   /* the current user's properties.custom */
};

/* ===========================================================================
   Transport: result codes, port (contract in port/README.md), client, async
   =========================================================================== */

#define XBL_MPSD_E_WOULD_BLOCK        XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0xA4D50001)) /* port only: try again later */
#define XBL_MPSD_E_EOF                XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0xA4D50002)) /* port recv only: peer closed cleanly */
#define XBL_MPSD_E_IO                 XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0xA4D50003)) /* socket or stack error */
#define XBL_MPSD_E_CONNECT            XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0xA4D50004)) /* could not connect (refused, unreachable, name not resolved) */
#define XBL_MPSD_E_TIMEOUT            XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0xA4D50005)) /* a deadline passed */
#define XBL_MPSD_E_TLS                XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0xA4D50006)) /* TLS handshake or record failure */
#define XBL_MPSD_E_TLS_VERIFY         XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0xA4D50007)) /* peer certificate or host name not trusted */
#define XBL_MPSD_E_HTTP_PROTOCOL      XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0xA4D50008)) /* malformed or unsupported HTTP response */
#define XBL_MPSD_E_CONNECTION_CLOSED  XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0xA4D50009)) /* connection ended before the response was complete */
#define XBL_MPSD_E_CANCELED           XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0xA4D5000A)) /* xbl_mpsd_async_cancel ended it */
#define XBL_MPSD_E_BUSY               XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0xA4D5000B)) /* the client already runs an operation */
/* WebSocket and RTA failures, in the same customer range */
#define XBL_MPSD_E_WS_HANDSHAKE          XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0xA4D5000C)) /* 101 answer not a valid WebSocket acceptance */
#define XBL_MPSD_E_WS_PROTOCOL           XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0xA4D5000D)) /* server broke RFC 6455 framing */
#define XBL_MPSD_E_WS_MESSAGE_TOO_BIG    XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0xA4D5000E)) /* message over max_message_bytes */
#define XBL_MPSD_E_WS_CLOSED             XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0xA4D5000F)) /* server sent a close frame */
#define XBL_MPSD_E_RTA_NO_CONNECTION_ID  XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0xA4D50010)) /* write needs an RTA connection ID not known yet */
#define XBL_MPSD_E_RTA_PROTOCOL          XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0xA4D50011)) /* RTA reply unusable */
/* same bits as XSAPI's E_XBL_RTA_* (types_c.h) */
#define XBL_MPSD_E_RTA_GENERIC_ERROR               XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x89235201))
#define XBL_MPSD_E_RTA_SUBSCRIPTION_LIMIT_REACHED  XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x89235202))
#define XBL_MPSD_E_RTA_ACCESS_DENIED               XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x89235203))

/* "XBL_MPSD_E_TIMEOUT", "HTTP 409", ... never NULL. A positive value other
   than XBL_MPSD_PENDING is no result code and is named so. The string is
   static: keep the pointer as long as you like. */
const char *xbl_mpsd_result_string(xbl_mpsd_result r);

/* Names of enum values for logs, spelled as XSAPI spells its enumerators:
   "Updated", "OutOfSync", "Active", "PrivateSession", "Followed", ...
   Static strings, never NULL; a value outside the enum gives "(invalid)". */
const char *xbl_mpsd_write_session_status_string(xbl_mpsd_write_session_status status);
const char *xbl_mpsd_session_member_status_string(xbl_mpsd_session_member_status status);
const char *xbl_mpsd_session_visibility_string(xbl_mpsd_session_visibility visibility);
const char *xbl_mpsd_session_restriction_string(xbl_mpsd_session_restriction restriction);
/* One change-type flag ("MemberListChange", ...; "None" for 0). A mask of
   several flags gives "(invalid)": name each set bit in turn. */
const char *xbl_mpsd_session_change_type_string(xbl_mpsd_session_change_types change_type);

typedef struct xbl_mpsd_port {
    void *ctx;
    /* Start, or continue, connecting to host:port. XBL_MPSD_OK once connected,
       XBL_MPSD_PENDING while in progress, else a negative code. Never blocks. */
    xbl_mpsd_result (*connect)(void *ctx, const char *host, uint16_t port);
    /* Bytes accepted (> 0; fewer than len is normal), XBL_MPSD_E_WOULD_BLOCK,
       or a negative code. Never 0 when len > 0. */
    int32_t (*send)(void *ctx, const uint8_t *data, size_t len);
    /* Bytes read (> 0), XBL_MPSD_E_WOULD_BLOCK, XBL_MPSD_E_EOF, or a negative code. */
    int32_t (*recv)(void *ctx, uint8_t *buf, size_t cap);
    /* Drop the connection. Safe when not connected. */
    void (*close)(void *ctx);
    /* Monotonic milliseconds. May wrap; the SDK compares wrap-safely. */
    uint32_t (*now_ms)(void *ctx);
} xbl_mpsd_port;

/* Fill the Authorization (and optionally Signature) header values for one
   request. Return XBL_MPSD_OK, XBL_MPSD_PENDING (asked again on the next
   poll: a token fetch may take time), or a negative code that ends the
   operation. Empty signature means no Signature header. */
typedef xbl_mpsd_result (*xbl_mpsd_auth_fn)(void *user,
        const char *method, const char *path,
        const uint8_t *body, size_t body_len,
        char *authorization, size_t authorization_cap,
        char *signature, size_t signature_cap);

/* What a trace callback is given. A request head comes in pieces (the
   Authorization and Signature values replaced by "***"); the pieces of one
   kind, in order, are the whole. Response bytes come as they are received:
   status line, headers, body and any chunk framing. */
typedef enum xbl_mpsd_trace_kind {
    XBL_MPSD_TRACE_REQUEST_HEAD = 0,
    XBL_MPSD_TRACE_REQUEST_BODY = 1,
    XBL_MPSD_TRACE_RESPONSE     = 2
} xbl_mpsd_trace_kind;

/* Called from inside xbl_mpsd_async_poll; data is valid during the call only.
   Must not call back into the SDK. */
typedef void (*xbl_mpsd_trace_fn)(void *user, xbl_mpsd_trace_kind kind, const uint8_t *data, size_t len);

/* A random 32-bit value for back-off jitter (the caller's source). */
typedef uint32_t (*xbl_mpsd_random_fn)(void *user);

/* Opt-in retries inside one operation, for 429, 503 and transport failures
   before any response byte (XBL_MPSD_E_CONNECT, XBL_MPSD_E_IO,
   XBL_MPSD_E_CONNECTION_CLOSED). Before retry n (1, 2, ...) the operation
   waits, by the port clock and without blocking (polls return PENDING),
   min(max_delay_ms, base_delay_ms * 2^(n-1)), jittered to random() % (that
   + 1) when random is set, and never less than the response's Retry-After.
   A wait that would pass the operation's timeout is not started: the
   operation ends with the failure instead. All zero: no retries. A 412 is
   never retried here: it needs the caller's changes applied again. */
typedef struct xbl_mpsd_retry_policy {
    uint32_t           max_attempts;    /* attempts in all, the first included; 0 or 1: none */
    uint32_t           base_delay_ms;   /* back-off before the first retry */
    uint32_t           max_delay_ms;    /* cap on one back-off; 0: 30000 */
    xbl_mpsd_random_fn random;          /* NULL: no jitter */
    void              *random_user;
} xbl_mpsd_retry_policy;

typedef struct xbl_mpsd_client_config {
    const xbl_mpsd_port *port;     /* required */
    uint64_t xuid;                 /* required: the user this client acts for */
    xbl_mpsd_auth_fn auth;         /* required */
    void *auth_user;
    const char *host;              /* 0: "sessiondirectory.xboxlive.com" */
    uint16_t port_number;          /* 0: 443 */
    uint32_t timeout_ms;           /* 0: 30000, whole operation */
    const char *user_agent;        /* 0: "xbl_mpsd/<version>" */
    const char *accept_language;   /* 0: no header */
    xbl_mpsd_retry_policy retry;   /* zero: no retries */
    xbl_mpsd_trace_fn trace;       /* NULL: no trace; ignored with XBL_MPSD_NO_TRACE */
    void *trace_user;
    /* 0: host. The service's name for the Host header, when host is only
       where to connect (an address): give the name the service answers to,
       the TLS server_name when there is one, so a name-based front end
       routes the request to it. A name or address without a port; the port
       is added when port_number is not 443, an IPv6 literal is bracketed
       and its zone ("%eth0") left out (RFC 9110 section 7.2, RFC 6874 section 4). */
    const char *host_header;
} xbl_mpsd_client_config;

/* ---------------------------------------------------------------------------
   Client and async objects. Complete so that callers can place them anywhere
   (no heap); every member is private. Fixed buffers hold what the result
   call needs after the exchange: ETag, Content-Location, the service's error
   text and the request path (the auth callback is given the path again on
   every ask, so it must outlive the *_async call).
   --------------------------------------------------------------------------- */

#define XBL_MPSD__ETAG_CAP        128   /* MPSD ETags are GUID-like, ~40 bytes */
#define XBL_MPSD__LOCATION_CAP    300   /* longest reference path is 281 bytes */
#define XBL_MPSD__ERROR_TEXT_CAP  256   /* service reasons are one sentence */
#define XBL_MPSD__PATH_CAP        512   /* reference path, /handles/..., or a session query with its keyword */

struct xbl_mpsd_client {
    xbl_mpsd_port          port;        /* copied: the caller's struct may go away */
    xbl_mpsd_client_config config;      /* defaults filled in */
    xbl_mpsd_async        *active;      /* the operation in flight, or NULL */
    bool                   connected;   /* a connection is open (idle or ours) */
#ifndef XBL_MPSD_NO_RTA
    struct xbl_mpsd_rta   *rta;         /* the attached real-time object, or NULL */
#endif
};

/* Incremental HTTP/1.1 response parser state plus the headers it keeps. */
typedef struct xbl_mpsd__http_response {
    uint32_t state;          /* XBL_MPSD__HR_* */
    uint32_t flags;          /* XBL_MPSD__HF_* */
    uint32_t status;         /* of the final (non-1xx) response */
    uint32_t retry_after;    /* seconds, 0 when absent or a date */
    time_t   date;           /* Date header, 0 when absent or malformed */
    uint64_t remaining;      /* bytes left in the Content-Length body or chunk */
    size_t   body_len;       /* decoded body bytes kept at the window start */
    size_t   body_total;     /* decoded body bytes seen, kept or dropped */
    size_t   raw_len;        /* unparsed bytes right after the kept body */
    size_t   scanned;        /* raw bytes already searched for a line end */
    size_t   header_bytes;   /* of the current header block */
    size_t   need;           /* window bytes the exchange needs, tokens aside */
    size_t   etag_len;
    char     etag[XBL_MPSD__ETAG_CAP];
    char     location[XBL_MPSD__LOCATION_CAP];
} xbl_mpsd__http_response;

#ifndef XBL_MPSD_NO_HANDLES
/* What a handles-family operation keeps between its exchanges and for its
   result calls. */
typedef struct xbl_mpsd__hstate {
    size_t          count;        /* results, or invited XUIDs */
    size_t          size;         /* buffer bytes the result call needs */
    size_t          index;        /* the exchange under way (invites) */
    size_t          xuid_at;      /* invite body: where invitedXuid's digits start */
    size_t          xuid_len;
    size_t          table_at;     /* invites: XUIDs, then IDs, at the buffer's end */
    size_t          succeeded;    /* invites answered with a handle ID */
    xbl_mpsd_result first_failure;
    uint32_t        step;         /* clear activity: 0 query, 1 delete */
    char            id[XBL_MPSD_GUID_LENGTH];   /* a handle ID read from a response */
} xbl_mpsd__hstate;
#endif

struct xbl_mpsd_async {
    unsigned char   *buffer;
    size_t           buffer_size;
    xbl_mpsd_client *client;
    uint32_t         state;        /* XBL_MPSD__OP_* */
    uint32_t         kind;         /* XBL_MPSD__KIND_* */
    uint32_t         flags;        /* XBL_MPSD__AF_* */
    xbl_mpsd_result  result;       /* final result once state is DONE */
    uint32_t         start_ms;
    uint32_t         write_mode;
    size_t           body_len;     /* request body at buffer[0] */
    size_t           fixed_len;    /* token-free head right after the body */
    size_t           head_len;     /* whole head once the tokens are in */
    size_t           sent;         /* of head + body */
    size_t           needed;       /* xbl_mpsd_async_needed_bytes */
    size_t           arena_needed; /* xbl_mpsd_async_needed_arena_bytes */
    size_t           head_need;    /* buffer bytes the request with its tokens needs */
    uint64_t         xuid;         /* the client's user, for the delivered session */
    uint32_t         attempts;     /* retries started under the retry policy */
    uint32_t         backoff_start_ms;
    uint32_t         backoff_ms;   /* length of the current back-off */
    xbl_mpsd_result  resend_cause; /* what ended the kept connection a resend replaced */
    size_t           capacity;     /* the whole buffer; buffer_size is what one exchange may use */
    uint32_t         method;       /* XBL_MPSD__M_* */
#ifndef XBL_MPSD_NO_HANDLES
    xbl_mpsd__hstate h;            /* handles family: results and multi-exchange state */
#endif
    xbl_mpsd__http_response response;
    xbl_mpsd_session_reference reference;  /* of the delivered session */
    char             path[XBL_MPSD__PATH_CAP];
    char             error_text[XBL_MPSD__ERROR_TEXT_CAP];
};

/* Builds a session reference by value from three plain strings (not JSON):
   the SCID, the template name and the session name. A field whose argument
   is NULL, too long (SCID 40 bytes or more, names 100 or more) or breaks the
   character rule ([A-Za-z0-9._-] only) is left empty, so the result is then
   not valid (xbl_mpsd_session_reference_is_valid says false) and
   xbl_mpsd_session_init refuses it: check is_valid before using a reference
   built from user input. Nothing is kept; the strings may go away after. */
xbl_mpsd_session_reference xbl_mpsd_session_reference_create(
    const char *scid, const char *session_template_name, const char *session_name);

/* Parses a path such as "/serviceconfigs/{scid}/sessiontemplates/{t}/sessions/{n}"
   (a Content-Location header) into *session_reference: split on '/', empty
   pieces dropped, pieces 1, 3 and 5 are the three fields, no percent-decoding,
   extra pieces ignored. Returns XBL_MPSD_OK; XBL_MPSD_E_INVALIDARG for a NULL
   pointer, fewer than 6 pieces, or a piece too long for its field, and then
   *session_reference is unchanged. The pieces are not checked against the
   validity rule: call xbl_mpsd_session_reference_is_valid on the result. */
xbl_mpsd_result xbl_mpsd_session_reference_parse_from_uri_path(
    const char *path, xbl_mpsd_session_reference *session_reference);

/* Writes "/serviceconfigs/{scid}/sessiontemplates/{template}/sessions/{name}"
   into *session_reference_uri (always fits, NUL-terminated), the fields copied
   as they are, empty ones too. Returns XBL_MPSD_OK, or XBL_MPSD_E_INVALIDARG
   for a NULL pointer or a field without a NUL inside its buffer. */
xbl_mpsd_result xbl_mpsd_session_reference_to_uri_path(
    const xbl_mpsd_session_reference *session_reference,
    xbl_mpsd_session_reference_uri *session_reference_uri);

/* The one rule for a valid reference, applied by every call that takes one
   (reference_create, session_init, get and write): the SCID 1-39 characters,
   the template and session names 1-99 characters, all from [A-Za-z0-9._-]
   (they go into the request path unescaped). The SCID need not be a GUID
   here; the service answers 400 to a SCID that is not one. False for NULL. */
bool xbl_mpsd_session_reference_is_valid(const xbl_mpsd_session_reference *session_reference);

/* Makes `session` a new local session for user `xuid`, its variable-size data
   in `arena` (arena_size bytes, any alignment; keep the arena alive and
   unmoved as long as the session is used). The old contents are dropped
   without touching the old arena. session_reference NULL (or all three fields
   empty) makes a session that can only be written by handle; otherwise the
   reference must be valid (xbl_mpsd_session_reference_is_valid). init_args
   non-NULL marks the constants it carries for the first write
   (init_args->custom_json is JSON text that must be an object, "" or NULL
   for none). Afterwards has_document() is true: a fresh local session "has a
   document" (an empty one), so setters, join and writes work on it.
   Returns XBL_MPSD_OK; XBL_MPSD_E_INVALIDARG for a NULL session or arena, an
   invalid reference, a visibility outside the enum or initiators NULL with a
   count; XBL_MPSD_E_INVALID_JSON_STRING for bad custom_json (see
   xbl_mpsd_json_argument_error); XBL_MPSD_E_OUTOFMEMORY when the arena is too
   small (give a bigger one). On any error the session is left cleared. */
xbl_mpsd_result xbl_mpsd_session_init(
    xbl_mpsd_session *session, uint64_t xuid,
    const xbl_mpsd_session_reference *session_reference /* may be NULL */,
    const xbl_mpsd_session_init_args *init_args         /* may be NULL */,
    void *arena, size_t arena_size);

/* Deep-copies `src` into `dst`'s own arena (dst keeps its arena and takes
   everything else: document, pending changes, join state, ETag, write status,
   subscription ID). The two are independent afterwards. dst == src is a no-op.
   Returns XBL_MPSD_OK; XBL_MPSD_E_INVALIDARG for NULL pointers, `src` without
   a document, `dst` without an arena, or arenas that overlap;
   XBL_MPSD_E_OUTOFMEMORY when the copy does not fit dst's arena (dst is then
   unchanged: retry with a bigger arena). The copy needs about the src arena's
   used bytes, not more. */
xbl_mpsd_result xbl_mpsd_session_copy(xbl_mpsd_session *dst, const xbl_mpsd_session *src);

/* Returns the session to the cleared state (no document, no arena, write
   status Unknown). The SDK keeps no pointer into the arena afterwards, so it
   may be reused at once. NULL is a no-op. */
void xbl_mpsd_session_clear(xbl_mpsd_session *session);

/* Whether the session holds a document: true after init (a fresh local
   session has an empty one), copy, or a result call that delivered a session;
   false for NULL, a cleared session, and after a result without a session
   body (204, a 412 without body, 200/201 with an empty body). The getters
   return NULL, 0 or "" on a session without a document; write_status still
   tells why (OutOfSync, SessionDeleted). */
bool xbl_mpsd_session_has_document(const xbl_mpsd_session *session);

/* When the service produced this copy (the response's Date header); 0 for a
   local session, a missing header, or no document. */
time_t xbl_mpsd_session_time_of_session(const xbl_mpsd_session *session);

/* Managed-initialization state (stage, when it started, episode). Non-NULL
   whenever the session has a document; NULL otherwise. Points into the
   session: valid until the session is changed, rebuilt or cleared. */
const xbl_mpsd_session_initialization_info *xbl_mpsd_session_get_initialization_info(
    const xbl_mpsd_session *session);

/* The change types the current user subscribes to (set locally or read from
   the document); XBL_MPSD_SESSION_CHANGE_TYPES_NONE without a current user or
   document. */
xbl_mpsd_session_change_types xbl_mpsd_session_subscribed_change_types(const xbl_mpsd_session *session);

/* The preferred host devices, in the service's order: *device_tokens (may be
   NULL when the count is 0) and *device_tokens_count. Returns XBL_MPSD_OK, or
   XBL_MPSD_E_INVALIDARG for a NULL pointer or a session without a document.
   The array lives in the session's arena (valid until the session changes). */
xbl_mpsd_result xbl_mpsd_session_host_candidates(
    const xbl_mpsd_session *session,
    const xbl_mpsd_device_token **device_tokens, size_t *device_tokens_count);

/* Views of the session (NULL without a document): its reference, its
   constants, its properties. They show local edits made since the last read.
   The pointers and every string in them point into the session and its
   arena: valid until the next call that changes, rebuilds or clears the
   session; copy what you keep longer. JSON members (custom_json, ...) are
   JSON text. */
const xbl_mpsd_session_reference *xbl_mpsd_session_session_reference(const xbl_mpsd_session *session);
const xbl_mpsd_session_constants *xbl_mpsd_session_session_constants(const xbl_mpsd_session *session);
const xbl_mpsd_session_properties *xbl_mpsd_session_session_properties(const xbl_mpsd_session *session);

/* The role types (from roleTypes in the document; a local session has none
   until a response fills them): *role_types and *role_types_count. Returns
   XBL_MPSD_OK, or XBL_MPSD_E_INVALIDARG for a NULL pointer or no document.
   Arena lifetime, as for the views above. */
xbl_mpsd_result xbl_mpsd_session_role_types(
    const xbl_mpsd_session *session,
    const xbl_mpsd_role_type **role_types, size_t *role_types_count);

/* Finds a role by role-type and role name (plain strings, case ignored).
   *role is NULL when there is none, and the call still returns XBL_MPSD_OK;
   XBL_MPSD_E_INVALIDARG for a NULL argument or no document. */
xbl_mpsd_result xbl_mpsd_session_get_role_by_name(
    const xbl_mpsd_session *session, const char *role_type_name, const char *role_name,
    const xbl_mpsd_role **role);

/* All members: those of the document first, in the service's list order,
   then local entries (join, reservations) in call order. Local entries have
   member_id XBL_MPSD_MEMBER_ID_NONE until a write returns them. Returns
   XBL_MPSD_OK, or XBL_MPSD_E_INVALIDARG for a NULL pointer or no document.
   The array lives in the session's arena. */
xbl_mpsd_result xbl_mpsd_session_members(
    const xbl_mpsd_session *session,
    const xbl_mpsd_session_member **members, size_t *count);

/* The member with this member_id, or NULL (XBL_MPSD_MEMBER_ID_NONE never
   matches; NULL without a document). */
const xbl_mpsd_session_member *xbl_mpsd_session_get_member(
    const xbl_mpsd_session *session, uint32_t member_id);

/* The matchmaking server of the document, or NULL when it has none. */
const xbl_mpsd_matchmaking_server *xbl_mpsd_session_matchmaking_server(const xbl_mpsd_session *session);

/* Members that are not reservations (membersInfo.accepted); 0 for a local
   session or without a document. */
uint32_t xbl_mpsd_session_members_accepted(const xbl_mpsd_session *session);

/* The whole `servers` object as JSON text, or the value set with
   xbl_mpsd_session_set_raw_servers_json; "" when none or without a document.
   Never NULL. */
const char *xbl_mpsd_session_raw_servers_json(const xbl_mpsd_session *session);

/* The response's ETag, byte for byte; "" for a local session, without a
   document (after a 412 without body, for example) and for NULL. Never NULL.
   A SynchronizedUpdate sends it as If-Match. */
const char *xbl_mpsd_session_etag(const xbl_mpsd_session *session);

/* The current user's member entry: the one joined on this object, else the
   document's member with the session's XUID; NULL when there is none. */
const xbl_mpsd_session_member *xbl_mpsd_session_current_user(const xbl_mpsd_session *session);

/* Top-level document information (contract version, branch, change number,
   correlation ID, start time, next timer, search handle); NULL without a
   document. */
const xbl_mpsd_session_info *xbl_mpsd_session_get_info(const xbl_mpsd_session *session);

/* How the write that produced this object ended: Created (201), Updated
   (200), OutOfSync (412: nothing was written; the session now holds the
   service's current session when the 412 had a body: apply your change to it
   and write again), SessionDeleted (204). Kept when the object holds no
   document; Unknown for NULL, local, cleared and read sessions. Names:
   xbl_mpsd_write_session_status_string. */
xbl_mpsd_write_session_status xbl_mpsd_session_write_status(const xbl_mpsd_session *session);

/* How current_session differs from old_session, as change-type flags (never
   EVERYTHING): host token, initialization stage, matchmaking status or
   target, member list, member status, member custom properties, joinability
   (closed, locked, join restriction, full), custom properties. NONE when
   either is NULL or has no document. */
xbl_mpsd_session_change_types xbl_mpsd_session_compare(
    const xbl_mpsd_session *current_session, const xbl_mpsd_session *old_session);

/* Constants setters. Only on a local session (constants are written once, at
   creation): on a session read from the service they return
   XBL_MPSD_E_UNEXPECTED. Each marks the constants for the next write. A
   template may fix constants itself; a create whose constant differs from the
   template's gets 409 (XBL_MPSD_E_HTTP_STATUS(409)): leave out (0 / default)
   what the template sets. Every setter returns XBL_MPSD_OK, or on bad input
   an error and leaves the session unchanged: XBL_MPSD_E_INVALIDARG (NULL
   session or no document, an enum outside its range),
   XBL_MPSD_E_OUTOFMEMORY (arena full: rebuild into a bigger arena with
   xbl_mpsd_session_copy).
   max_members_in_session: constants.system.maxMembersCount, left out when 0. */
xbl_mpsd_result xbl_mpsd_session_constants_set_max_members_in_session(
    xbl_mpsd_session *session, uint32_t max_members_in_session);

/* constants.system.visibility; Unknown and Any are not written. */
xbl_mpsd_result xbl_mpsd_session_constants_set_visibility(
    xbl_mpsd_session *session, xbl_mpsd_session_visibility visibility);

/* The four removal timeouts in milliseconds, always written together; 0 is
   "at once", a value of 2^52 or more (XBL_MPSD_TIMEOUT_INFINITE) "never". */
xbl_mpsd_result xbl_mpsd_session_constants_set_timeouts(
    xbl_mpsd_session *session,
    uint64_t member_reserved_timeout, uint64_t member_inactive_timeout,
    uint64_t member_ready_timeout, uint64_t session_empty_timeout);

/* Which QoS metrics members measure (constants.system.metrics), all four. */
xbl_mpsd_result xbl_mpsd_session_constants_set_qos_connectivity_metrics(
    xbl_mpsd_session *session,
    bool enable_latency_metric, bool enable_bandwidth_down_metric,
    bool enable_bandwidth_up_metric, bool enable_custom_metric);

/* Managed initialization (constants.system.memberInitialization); the
   evaluation timeout is written only with external_evaluation. */
xbl_mpsd_result xbl_mpsd_session_constants_set_member_initialization(
    xbl_mpsd_session *session, xbl_mpsd_member_initialization member_initialization);

/* Peer-to-peer QoS requirements (latency in ms, bandwidth in kbps). */
xbl_mpsd_result xbl_mpsd_session_constants_set_peer_to_peer_requirements(
    xbl_mpsd_session *session, xbl_mpsd_peer_to_peer_requirements requirements);

/* Peer-to-host QoS requirements; XBL_MPSD_E_INVALIDARG for a host selection
   metric outside the enum. */
xbl_mpsd_result xbl_mpsd_session_constants_set_peer_to_host_requirements(
    xbl_mpsd_session *session, xbl_mpsd_peer_to_host_requirements requirements);

/* constants.system.measurementServerAddresses: JSON text of an object
   (copied). XBL_MPSD_E_INVALIDARG for NULL; XBL_MPSD_E_INVALID_JSON_STRING
   for text that is not a JSON object (xbl_mpsd_json_argument_error tells
   which rule). */
xbl_mpsd_result xbl_mpsd_session_constants_set_measurement_server_addresses_json(
    xbl_mpsd_session *session, const char *measurement_server_addresses_json);

/* constants.system.capabilities, only the true flags (none: left out). */
xbl_mpsd_result xbl_mpsd_session_constants_set_capabilities(
    xbl_mpsd_session *session, xbl_mpsd_session_capabilities capabilities);

/* constants.system.cloudComputePackage: JSON text of an object, or "" to
   clear. XBL_MPSD_E_INVALIDARG for NULL; XBL_MPSD_E_INVALID_JSON_STRING for
   text that is not a JSON object. */
xbl_mpsd_result xbl_mpsd_session_constants_set_cloud_compute_package_json(
    xbl_mpsd_session *session, const char *session_cloud_compute_package_constants_json);

/* Property setters: on local and read sessions alike, no join needed. Each
   marks what it sets for the next write (only marked fields are sent).
   Every one returns XBL_MPSD_OK, or an error and leaves the session
   unchanged: XBL_MPSD_E_INVALIDARG (NULL session or argument, no document,
   an enum outside its range), XBL_MPSD_E_INVALID_JSON_STRING (JSON text that
   breaks a rule: xbl_mpsd_json_argument_error tells which),
   XBL_MPSD_E_OUTOFMEMORY (arena full: copy into a bigger arena). Strings and
   arrays are copied into the arena.
   keywords: plain strings, replacing the whole list (count 0: []). */
xbl_mpsd_result xbl_mpsd_session_properties_set_keywords(
    xbl_mpsd_session *session, const char *const *keywords, size_t keywords_count);

/* Who may join / read: properties.system.joinRestriction / readRestriction
   (Unknown is kept locally but not written). The service refuses a read
   restriction stricter than the join restriction (400). */
xbl_mpsd_result xbl_mpsd_session_properties_set_join_restriction(
    xbl_mpsd_session *session, xbl_mpsd_session_restriction join_restriction);
xbl_mpsd_result xbl_mpsd_session_properties_set_read_restriction(
    xbl_mpsd_session *session, xbl_mpsd_session_restriction read_restriction);

/* properties.system.turn, the member IDs in turn order; a count of 0 is
   XBL_MPSD_E_INVALIDARG (as in XSAPI: the list cannot be emptied). */
xbl_mpsd_result xbl_mpsd_session_properties_set_turn_collection(
    xbl_mpsd_session *session, const uint32_t *turn_collection_member_ids,
    size_t turn_collection_member_ids_count);

/* Changes an existing role's max and/or target member count (NULL keeps
   that value); role names are plain strings, matched without case. The next
   write sends all role types. XBL_MPSD_E_INVALIDARG for NULL names or no such
   role (a local session has no roles yet); XBL_MPSD_E_UNEXPECTED for a value
   the role type's mutable_role_settings does not allow. */
xbl_mpsd_result xbl_mpsd_session_set_mutable_role_settings(
    xbl_mpsd_session *session, const char *role_type_name, const char *role_name,
    const uint32_t *max_member_count    /* NULL = keep */,
    const uint32_t *target_member_count /* NULL = keep */);

/* The whole `servers` object: JSON text of an object, e.g.
   "{\"game\":{\"constants\":{\"system\":{}}}}". Only a server principal may
   write servers (403 otherwise). XBL_MPSD_E_INVALID_JSON_STRING for text that
   is not a JSON object. */
xbl_mpsd_result xbl_mpsd_session_set_raw_servers_json(xbl_mpsd_session *session, const char *raw_servers_json);

/* properties.system.initializationSucceeded (the service takes it only in
   the evaluating stage). */
xbl_mpsd_result xbl_mpsd_session_set_initialization_succeeded(
    xbl_mpsd_session *session, bool initialization_succeeded);

/* properties.system.host: the host's device token, as given ("" allowed);
   XBL_MPSD_E_INVALIDARG when the value has no NUL inside its buffer. */
xbl_mpsd_result xbl_mpsd_session_set_host_device_token(
    xbl_mpsd_session *session, xbl_mpsd_device_token host_device_token);

/* properties.system.matchmaking.serverConnectionString (a plain string). */
xbl_mpsd_result xbl_mpsd_session_set_matchmaking_server_connection_path(
    xbl_mpsd_session *session, const char *server_connection_path);

/* properties.system.closed / locked / allocateCloudCompute /
   matchmakingResubmit. The service requires a locked session to be closed
   (400 otherwise). */
xbl_mpsd_result xbl_mpsd_session_set_closed(xbl_mpsd_session *session, bool closed);
xbl_mpsd_result xbl_mpsd_session_set_locked(xbl_mpsd_session *session, bool locked);
xbl_mpsd_result xbl_mpsd_session_set_allocate_cloud_compute(xbl_mpsd_session *session, bool allocate_cloud_compute);
xbl_mpsd_result xbl_mpsd_session_set_matchmaking_resubmit(xbl_mpsd_session *session, bool match_resubmit);

/* properties.system.serverConnectionStringCandidates: plain strings, in
   order, replacing the list. */
xbl_mpsd_result xbl_mpsd_session_set_server_connection_string_candidates(
    xbl_mpsd_session *session, const char *const *server_connection_string_candidates,
    size_t server_connection_string_candidates_count);

/* properties.system.matchmaking.targetSessionConstants: JSON text of an
   object. XBL_MPSD_E_INVALID_JSON_STRING for text that is not one. */
xbl_mpsd_result xbl_mpsd_session_set_matchmaking_target_session_constants_json(
    xbl_mpsd_session *session, const char *matchmaking_target_session_constants_json);

/* Sets or deletes one key of the session's custom properties. `name` is a
   plain string (any characters; escaped when written); value_json is JSON
   text: a string value needs its quotes, "\"harbor\"", a number is "3", an
   object "{\"x\":1}". Delete stores null under the name. The write sends
   only the keys changed since the session was read (deleted ones as null),
   so other players' keys stay as they are on the service
   (XBL_MPSD_WRITE_WHOLE_CUSTOM 1: the whole local object, as XSAPI). The
   getter (session_properties()->session_custom_properties_json) shows the
   whole local object. XBL_MPSD_E_INVALIDARG for NULL arguments or an empty
   name; XBL_MPSD_E_INVALID_JSON_STRING for value_json that is not one JSON
   value; XBL_MPSD_E_OUTOFMEMORY when the arena is full. */
xbl_mpsd_result xbl_mpsd_session_set_custom_property_json(
    xbl_mpsd_session *session, const char *name, const char *value_json);
xbl_mpsd_result xbl_mpsd_session_delete_custom_property_json(
    xbl_mpsd_session *session, const char *name);

/* Adds the session's user as a local member and makes it the current user;
   the next write sends members.me with its XUID. member_custom_constants_json
   is JSON text of an object or NULL (written once, at join).
   initialize_requested: the member takes part in managed initialization
   (constants.system.initialize). join_with_active_status: true joins as
   Active (properties.system.active: true), false as Reserved (nothing
   written; the service then keeps a reservation until the member goes
   active or its reservation times out). Returns XBL_MPSD_OK;
   XBL_MPSD_E_INVALIDARG for no document; XBL_MPSD_E_UNEXPECTED when join or
   leave was already called on this object (read the session again first);
   XBL_MPSD_E_INVALID_JSON_STRING for constants that are not a JSON object
   (not joined then); XBL_MPSD_E_OUTOFMEMORY when the arena is full. */
xbl_mpsd_result xbl_mpsd_session_join(
    xbl_mpsd_session *session, const char *member_custom_constants_json /* may be NULL */,
    bool initialize_requested, bool join_with_active_status);

/* Marks a leave: the next write sends members.me: null and the current
   user's entry goes from the local list. A write that leaves the session
   empty may delete it (204: SessionDeleted, no document). Calling it again
   changes nothing more. XBL_MPSD_E_UNEXPECTED when join was called on this
   object; XBL_MPSD_E_INVALIDARG for no document. */
xbl_mpsd_result xbl_mpsd_session_leave(xbl_mpsd_session *session);

/* Reserves a place for another user (xuid), sent as members.reserve_<k>;
   member_custom_constants_json is JSON text of an object or NULL. No check
   against duplicates. XBL_MPSD_E_INVALID_JSON_STRING for bad constants,
   XBL_MPSD_E_INVALIDARG for no document, XBL_MPSD_E_OUTOFMEMORY. */
xbl_mpsd_result xbl_mpsd_session_add_member_reservation(
    xbl_mpsd_session *session, uint64_t xuid,
    const char *member_custom_constants_json /* may be NULL */, bool initialize_requested);

/* Current-user setters: they need a current user (joined on this object, or
   the document's member with the session's XUID), else return
   XBL_MPSD_E_UNEXPECTED (join first). They write under members.me; for a
   member that already exists only the changed fields are sent. Otherwise as
   the property setters: XBL_MPSD_OK, or XBL_MPSD_E_INVALIDARG /
   XBL_MPSD_E_INVALID_JSON_STRING / XBL_MPSD_E_OUTOFMEMORY with the session
   unchanged.
   change_types: the subscription's change types (NONE clears it); its ID is
   a GUID the SDK draws. XBL_MPSD_E_INVALIDARG for unknown bits. */
xbl_mpsd_result xbl_mpsd_session_set_session_change_subscription(
    xbl_mpsd_session *session, xbl_mpsd_session_change_types change_types);

/* Active writes active: true; Inactive writes active: false, ready: false;
   Ready or Reserved give XBL_MPSD_E_UNEXPECTED (the service sets those);
   other values XBL_MPSD_E_INVALIDARG. */
xbl_mpsd_result xbl_mpsd_session_current_user_set_status(
    xbl_mpsd_session *session, xbl_mpsd_session_member_status status);

/* The member's secure device address, base64 text as given ("" allowed); see
   xbl_mpsd_format_secure_device_address. */
xbl_mpsd_result xbl_mpsd_session_current_user_set_secure_device_address_base64(
    xbl_mpsd_session *session, const char *value);

/* The member's roles: role-type name to role name, plain strings, replacing
   the map. XBL_MPSD_E_INVALIDARG for a NULL array or name. */
xbl_mpsd_result xbl_mpsd_session_current_user_set_roles(
    xbl_mpsd_session *session, const xbl_mpsd_session_member_role *roles, size_t roles_count);

/* The member's initialization group (member IDs), replacing the list. */
xbl_mpsd_result xbl_mpsd_session_current_user_set_members_in_group(
    xbl_mpsd_session *session, const uint32_t *member_ids, size_t member_ids_count);

/* The member's groups / encounters: plain strings, replacing the list. */
xbl_mpsd_result xbl_mpsd_session_current_user_set_groups(
    xbl_mpsd_session *session, const char *const *groups, size_t groups_count);
xbl_mpsd_result xbl_mpsd_session_current_user_set_encounters(
    xbl_mpsd_session *session, const char *const *encounters, size_t encounters_count);

/* The member's QoS measurements / server measurements: JSON text of an
   object. XBL_MPSD_E_INVALID_JSON_STRING for text that is not one. */
xbl_mpsd_result xbl_mpsd_session_current_user_set_qos_measurements(
    xbl_mpsd_session *session, const char *measurements);
xbl_mpsd_result xbl_mpsd_session_current_user_set_server_qos_measurements(
    xbl_mpsd_session *session, const char *measurements);

/* Sets or deletes one key of the current user's custom properties: as the
   session pair above (plain-string name, JSON-text value, only changed keys
   sent unless XBL_MPSD_WRITE_WHOLE_CUSTOM), on the member's own object. Only
   the member may write it. */
xbl_mpsd_result xbl_mpsd_session_current_user_set_custom_property_json(
    xbl_mpsd_session *session, const char *name, const char *value_json);
xbl_mpsd_result xbl_mpsd_session_current_user_delete_custom_property_json(
    xbl_mpsd_session *session, const char *name);

/* A stand-in secure device address for platforms without one: standard
   base64 of "AAAAAAAA" followed by device_id (a plain string) into *address
   (NUL-terminated). XBL_MPSD_E_INVALIDARG for NULL pointers, an empty
   device_id or one longer than 3061 bytes. */
xbl_mpsd_result xbl_mpsd_format_secure_device_address(
    const char *device_id, xbl_mpsd_formatted_secure_device_address *address);

/* Starts a PUT of the session's marked changes (the body is built now; the
   session may change or go away afterwards), with the precondition of
   write_mode: CreateNew (fails with OutOfSync if it exists), UpdateExisting,
   UpdateOrCreateNew, SynchronizedUpdate (If-Match with the session's ETag:
   OutOfSync when someone wrote in between). Then poll `async` with
   xbl_mpsd_async_poll and collect with xbl_mpsd_write_session_result.
   Returns XBL_MPSD_OK (started); XBL_MPSD_E_INVALIDARG for NULL pointers, no
   document or a mode outside the enum; XBL_MPSD_E_RUNTIME_ERROR for a session
   whose reference is not valid (a session without reference: write it by
   handle); XBL_MPSD_E_UNEXPECTED when `async` runs or holds an untaken result;
   XBL_MPSD_E_BUSY when the client runs another operation;
   XBL_MPSD_E_OUTOFMEMORY when the request does not fit the async buffer
   (xbl_mpsd_async_needed_bytes tells the size). Nothing is sent on error. */
xbl_mpsd_result xbl_mpsd_write_session_async(
    xbl_mpsd_client *client, const xbl_mpsd_session *session,
    xbl_mpsd_session_write_mode write_mode, xbl_mpsd_async *async);

/* Collects a write (by reference or by handle). XBL_MPSD_PENDING while it
   runs. XBL_MPSD_OK when the service answered 200, 201, 204 or 412: then
   check xbl_mpsd_session_write_status(out), because OK does not mean applied.
   Created/Updated: out holds the new session. OutOfSync (412): nothing was
   written; out holds the service's latest session (or no document if the 412
   had no body): re-apply your changes to it and write again.
   SessionDeleted: out has no document. Other outcomes: XBL_MPSD_E_HTTP_STATUS(n)
   (400 bad request, 403 not allowed, 404 no such template or session, 409
   constants differ from the template's; xbl_mpsd_async_error_text says why),
   a transport code (XBL_MPSD_E_TIMEOUT, XBL_MPSD_E_CONNECT, ...; try again
   later, or set a retry policy), XBL_MPSD_E_INVALID_JSON_STRING for a body
   that is no session; in these cases out is unchanged and keeps its local
   edits. out: NULL, or a session with an arena (the written one is usual).
   XBL_MPSD_E_OUTOFMEMORY: out's arena is too small (out untouched; call again
   with an arena of xbl_mpsd_async_needed_arena_bytes, the result stays), or
   the async buffer was (xbl_mpsd_async_needed_bytes). Either way
   xbl_mpsd_async_applied says whether the service applied the write, with
   xbl_mpsd_async_etag and xbl_mpsd_async_session_reference for the session
   it wrote. XBL_MPSD_E_UNEXPECTED once the result was taken. */
xbl_mpsd_result xbl_mpsd_write_session_result(xbl_mpsd_async *async, xbl_mpsd_session *out /* may be NULL */);

/* As xbl_mpsd_write_session_async, but PUT /handles/{handle_id}/session:
   handle_id is a plain string (a handle's GUID, [A-Za-z0-9._-]); the
   session's reference may be empty (its reference is then learned from the
   response). XBL_MPSD_E_INVALIDARG for a NULL, empty or unsafe handle_id. */
xbl_mpsd_result xbl_mpsd_write_session_by_handle_async(
    xbl_mpsd_client *client, const xbl_mpsd_session *session,
    xbl_mpsd_session_write_mode write_mode, const char *handle_id, xbl_mpsd_async *async);

/* Same as xbl_mpsd_write_session_result (interchangeable). A by-handle write
   of a session without SCID whose response has no usable Content-Location
   gives XBL_MPSD_E_FAIL. */
xbl_mpsd_result xbl_mpsd_write_session_by_handle_result(xbl_mpsd_async *async, xbl_mpsd_session *out);

/* Starts a GET of the session at `session_reference` (valid by
   xbl_mpsd_session_reference_is_valid; the reference is copied). Poll, then
   xbl_mpsd_get_session_result. XBL_MPSD_E_INVALIDARG for NULL pointers or an
   invalid reference; XBL_MPSD_E_UNEXPECTED, XBL_MPSD_E_BUSY,
   XBL_MPSD_E_OUTOFMEMORY as for the write. */
xbl_mpsd_result xbl_mpsd_get_session_async(
    xbl_mpsd_client *client, const xbl_mpsd_session_reference *session_reference, xbl_mpsd_async *async);

/* Collects a get (by reference or handle). XBL_MPSD_PENDING while it runs;
   XBL_MPSD_OK with out holding the session (write status Unknown);
   XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND when there is no such session (out has
   no document); XBL_MPSD_E_HTTP_STATUS(n), transport codes and
   XBL_MPSD_E_INVALID_JSON_STRING leave out unchanged. out and the
   XBL_MPSD_E_OUTOFMEMORY / XBL_MPSD_E_UNEXPECTED rules as for the write
   result; a write's async passed here gives XBL_MPSD_E_INVALIDARG. */
xbl_mpsd_result xbl_mpsd_get_session_result(xbl_mpsd_async *async, xbl_mpsd_session *out /* may be NULL */);

/* Starts GET /handles/{handle_id}/session (handle_id a plain string, as for
   the by-handle write). XBL_MPSD_E_INVALIDARG for a NULL, empty or unsafe
   handle_id. */
xbl_mpsd_result xbl_mpsd_get_session_by_handle_async(
    xbl_mpsd_client *client, const char *handle_id, xbl_mpsd_async *async);

/* Same as xbl_mpsd_get_session_result; the reference comes from the
   response's Content-Location (XBL_MPSD_E_INVALIDARG when it is missing). */
xbl_mpsd_result xbl_mpsd_get_session_by_handle_result(xbl_mpsd_async *async, xbl_mpsd_session *out);

/* Client: one connection (kept alive between operations) and one operation
   at a time for one user. The config is copied; the strings it points to
   (host, user_agent, accept_language) and the port's ctx must stay valid
   while the client is used. Zero fields take the defaults noted in
   xbl_mpsd_client_config (retry and trace off). Returns XBL_MPSD_OK, or
   XBL_MPSD_E_INVALIDARG for NULL, a port without all five functions, no auth
   callback, XUID 0, or a host/header string with CR or LF.
   xbl_mpsd_client_close cancels the running operation (it ends with
   XBL_MPSD_E_CANCELED) and drops the connection; the client can be used again. */
xbl_mpsd_result xbl_mpsd_client_init(xbl_mpsd_client *client, const xbl_mpsd_client_config *config);
void xbl_mpsd_client_close(xbl_mpsd_client *client);   /* drops the kept connection */

/* Give the async its storage: the request, the response and the reader's
   scratch space all live here. Too small for a given exchange: the operation ends with
   XBL_MPSD_E_OUTOFMEMORY and xbl_mpsd_async_needed_bytes tells the size. */
xbl_mpsd_result xbl_mpsd_async_init(xbl_mpsd_async *async, void *buffer, size_t buffer_size);

/* Do a bounded step of work; never blocks (call it once a frame).
   XBL_MPSD_PENDING until done, also while a retry policy waits between
   attempts by the port clock. Then the transport and HTTP outcome, again
   on every later poll; the result call may refine an OK to
   XBL_MPSD_E_INVALID_JSON_STRING or XBL_MPSD_E_OUTOFMEMORY. A whole
   operation, retries included, ends by config.timeout_ms with
   XBL_MPSD_E_TIMEOUT. XBL_MPSD_E_INVALIDARG for NULL,
   XBL_MPSD_E_UNEXPECTED for an async nothing was started on. */
xbl_mpsd_result xbl_mpsd_async_poll(xbl_mpsd_async *async);
/* Ends a running operation with XBL_MPSD_E_CANCELED (its result call then
   returns that); the connection is dropped if the exchange was under way.
   No-op for NULL, an idle or a finished async. */
void xbl_mpsd_async_cancel(xbl_mpsd_async *async);
/* After XBL_MPSD_E_OUTOFMEMORY from a *_async call or an operation: the
   async buffer size that exchange needed; 0 otherwise. Once the request was
   sent the figure is exact for this buffer's address: the same exchange in a
   buffer of that size fits, one byte less does not. A refusal by the *_async
   call itself (the request does not fit) counts XBL_MPSD_AUTH_RESERVE bytes
   for the tokens not yet asked for, so it is a size to start with, not the
   exact size of the exchange. */
size_t xbl_mpsd_async_needed_bytes(const xbl_mpsd_async *async);

/* After a result call answered XBL_MPSD_E_OUTOFMEMORY because out's arena is
   too small: the exact arena size that session needs (a session given an
   arena of that size at the same address takes the result; one byte less
   does not). 0 otherwise. */
size_t xbl_mpsd_async_needed_arena_bytes(const xbl_mpsd_async *async);

/* Whether the service applied the write: a finished write whose status was
   200, 201 or 204, also when its document could not be kept (the operation
   or the result call ended with XBL_MPSD_E_OUTOFMEMORY: the session exists or
   changed; do not create it again, read it with a bigger buffer or arena).
   false for a 412 (nothing written), other statuses, a get, a NULL or an
   unfinished async. */
bool xbl_mpsd_async_applied(const xbl_mpsd_async *async);

/* After completion: the response's ETag (NUL-terminated, "" when it had none
   or for NULL or an unfinished async), kept even when the document did not
   fit: after an applied write, it is the written session's ETag. */
const char *xbl_mpsd_async_etag(const xbl_mpsd_async *async);

/* After completion: the reference of the session the exchange was about (the
   one asked for, or, by handle, the one the response's Content-Location
   names), also when the document did not fit; NULL when none is known, for
   NULL or an unfinished async. */
const xbl_mpsd_session_reference *xbl_mpsd_async_session_reference(const xbl_mpsd_async *async);

/* After completion: the HTTP status (0 if none arrived) and the service's
   plain-text error reason, if any (NUL-terminated, "" when none). */
uint32_t xbl_mpsd_async_http_status(const xbl_mpsd_async *async);
const char *xbl_mpsd_async_error_text(const xbl_mpsd_async *async);

/* After completion: the Retry-After of a 429 or 503 in seconds (0 when the
   response had none, gave a date, or the operation is not done). Wait at
   least this long before trying again. */
uint32_t xbl_mpsd_async_retry_after(const xbl_mpsd_async *async);

/* Why a JSON argument is refused, or NULL when it is acceptable. A setter
   that returns XBL_MPSD_E_INVALID_JSON_STRING refused its JSON text for one
   of these rules; ask with the same text and object_required = true for an
   argument the service takes only as a JSON object (custom constants of the
   session and of members, measurement server addresses, the cloud compute
   package, raw servers, matchmaking target constants, QoS and server
   measurements), false for a custom-property value (any JSON value).
   Returns a static sentence. */
const char *xbl_mpsd_json_argument_error(const char *json_text, bool object_required);

/* After completion: the response body as it arrived (chunked framing
   removed, not NUL-terminated) and its length in *len, or NULL and 0 when
   none was kept (no body, or one larger than the buffer). Valid until the
   async is started again: a tool can show the exact document. */
const char *xbl_mpsd_async_response_body(const xbl_mpsd_async *async, size_t *len);

/* The version of this header, as a string ("0.1.0"). */
const char *xbl_mpsd_version(void);

#ifndef XBL_MPSD_NO_HANDLES
/* ===========================================================================
   Handles, activities and invites (public part; XBL_MPSD_NO_HANDLES leaves
   the family out). Every *_async call below checks its arguments, builds the
   complete request into the async's buffer and starts the operation without
   I/O: the exchanges happen in xbl_mpsd_async_poll on the client's
   connection, and nothing the caller passed is referenced after the call
   returns. Common answers of every *_async call: XBL_MPSD_E_INVALIDARG for a
   NULL pointer or an argument that breaks the call's rule (nothing is sent),
   XBL_MPSD_E_UNEXPECTED while the async holds an unconsumed result or runs,
   XBL_MPSD_E_BUSY while the client runs another operation,
   XBL_MPSD_E_OUTOFMEMORY when the request does not fit the async's buffer
   (xbl_mpsd_async_needed_bytes tells a size to give). A SCID argument is a
   string of 1-39 bytes; strings that go into JSON bodies must be valid UTF-8.
   Operations end with XBL_MPSD_OK, XBL_MPSD_E_HTTP_STATUS(n) for a non-2xx
   status, XBL_MPSD_E_INVALID_JSON_STRING for a 2xx whose body is missing or
   not what the call reads, a transport code, or XBL_MPSD_E_OUTOFMEMORY when
   the response did not fit the async's buffer (a failure: needed_bytes
   tells the size; the result is consumed like any failure).
   Result, count and size calls: XBL_MPSD_E_INVALIDARG for a NULL async or
   required output (nothing consumed) or an async running another kind of
   operation; XBL_MPSD_E_UNEXPECTED when nothing was started or the result
   was already taken; XBL_MPSD_PENDING while it runs; the operation's failure
   code (consumed) when it failed. Caller storage too small:
   XBL_MPSD_E_OUTOFMEMORY, nothing consumed, outputs unchanged except the
   reported need. Count and size calls never consume; a result call that
   succeeds does. A NULL result array discards the result (consumed, OK).
   =========================================================================== */

/* A transfer handle's ID (NUL-terminated). */
typedef struct xbl_mpsd_session_handle_id {
    char value[XBL_MPSD_GUID_LENGTH];
} xbl_mpsd_session_handle_id;

/* An invite handle's ID, or "" for an invite that failed (NUL-terminated). */
typedef struct xbl_mpsd_invite_handle {
    char data[XBL_MPSD_GUID_LENGTH];
} xbl_mpsd_invite_handle;

/* One user's activity: the session they play in and the handle to join it
   by (xbl_mpsd_write_session_by_handle_async with handle_id). Absent fields
   read as 0, empty, false or UNKNOWN. custom_session_properties_json is NULL
   from the plain result calls and the session's custom properties as JSON
   text ("null" when the service gave none) from the WithProperties ones. */
typedef struct xbl_mpsd_activity_details {
    xbl_mpsd_session_reference   session_reference;
    char                         handle_id[XBL_MPSD_GUID_LENGTH];
    uint32_t                     title_id;
    xbl_mpsd_session_visibility  visibility;
    xbl_mpsd_session_restriction join_restriction;
    bool                         closed;
    uint64_t                     owner_xuid;
    uint32_t                     max_members_count;
    uint32_t                     members_count;
    const char                  *custom_session_properties_json;
} xbl_mpsd_activity_details;

/* Publishes "this user plays in this session" (POST /handles, type
   activity). The reference must be valid (xbl_mpsd_session_reference_is_valid).
   No result call: the final value of xbl_mpsd_async_poll is the outcome (any
   2xx is XBL_MPSD_OK, whatever the body), and the async is free for the next
   operation once it completed. */
xbl_mpsd_result xbl_mpsd_set_activity_async(
    xbl_mpsd_client *client, const xbl_mpsd_session_reference *session_reference, xbl_mpsd_async *async);

/* Deletes the client user's activity in `scid`: first the activity query
   for the client's XUID, then DELETE /handles/{id} of the one activity it
   returns. Ends with XBL_MPSD_E_INVALIDARG, and sends no DELETE, when the
   query returns none or more than one (as XSAPI does);
   XBL_MPSD_E_INVALID_JSON_STRING when the returned ID is not a safe path
   segment; a failed query's code; XBL_MPSD_E_HTTP_STATUS(n) for a refused
   DELETE. Each exchange has its own timeout_ms. No result call (as set). */
xbl_mpsd_result xbl_mpsd_clear_activity_async(
    xbl_mpsd_client *client, const char *scid, xbl_mpsd_async *async);

/* Creates a transfer handle (POST /handles, type transfer) that lets the
   members of the origin session into the target session. Both references
   by value, both must be valid. The response must carry an `id` of 1-39
   bytes, else the operation ends with XBL_MPSD_E_INVALID_JSON_STRING. */
xbl_mpsd_result xbl_mpsd_set_transfer_handle_async(
    xbl_mpsd_client *client, xbl_mpsd_session_reference target_session_reference,
    xbl_mpsd_session_reference origin_session_reference, xbl_mpsd_async *async);

/* The new transfer handle's ID into *handle_id (required). */
xbl_mpsd_result xbl_mpsd_set_transfer_handle_result(xbl_mpsd_async *async, xbl_mpsd_session_handle_id *handle_id);

/* Invites each XUID of xuids (count >= 1, no zero) to the session: one
   POST /handles (type invite) per XUID, in order, each with its own
   timeout_ms, every one attempted whatever happened to the previous ones.
   title_id is sent as inviteAttributes.titleId; context_string_id (a
   "///"-prefixed custom invite string ID) as contextString and
   custom_activation_context as context, each left out when NULL or "". The
   reference must be valid. The async keeps the XUIDs and the IDs: its buffer
   needs 48 bytes per XUID beyond the largest exchange. The operation ends
   with XBL_MPSD_OK when at least one invite was answered with a handle ID,
   otherwise with the first invite's failure code. */
xbl_mpsd_result xbl_mpsd_send_invites_async(
    xbl_mpsd_client *client, const xbl_mpsd_session_reference *session_reference,
    const uint64_t *xuids, size_t xuids_count, uint32_t title_id,
    const char *context_string_id /* may be NULL */, const char *custom_activation_context /* may be NULL */,
    xbl_mpsd_async *async);

/* The number of entries send_invites_result writes: the xuids_count of the
   call (SDK-only: XSAPI has no count call). */
xbl_mpsd_result xbl_mpsd_send_invites_result_count(xbl_mpsd_async *async, size_t *handles_count);

/* One entry per invited XUID, in the order of the call's xuids:
   handles[i].data is the invite ID for xuids[i], or "" when that invite
   failed. handles_count below the count: XBL_MPSD_E_OUTOFMEMORY. */
xbl_mpsd_result xbl_mpsd_send_invites_result(
    xbl_mpsd_async *async, size_t handles_count, xbl_mpsd_invite_handle *handles);

/* Activities of a social group in `scid` (POST /handles/query, owners.people
   with moniker social_group, e.g. "people" or "favorites", of the user
   social_group_owner_xuid, non-zero). At most 100, no paging. The plain and
   WithProperties calls send the same request; they differ in their results. */
xbl_mpsd_result xbl_mpsd_get_activities_for_social_group_async(
    xbl_mpsd_client *client, const char *scid, uint64_t social_group_owner_xuid, const char *social_group,
    xbl_mpsd_async *async);
/* As xbl_mpsd_get_activities_for_social_group_async; the results carry the
   sessions' custom properties. */
xbl_mpsd_result xbl_mpsd_get_activities_with_properties_for_social_group_async(
    xbl_mpsd_client *client, const char *scid, uint64_t social_group_owner_xuid, const char *social_group,
    xbl_mpsd_async *async);

/* The number of activities a plain activity query found (also for a
   for-users query: the two owner forms are interchangeable). */
xbl_mpsd_result xbl_mpsd_get_activities_for_social_group_result_count(xbl_mpsd_async *async, size_t *activity_count);

/* Copies the activities into activities[0 .. n-1] in response order,
   custom_session_properties_json NULL in each; activity_count below n:
   XBL_MPSD_E_OUTOFMEMORY. A WithProperties operation here:
   XBL_MPSD_E_INVALIDARG. */
xbl_mpsd_result xbl_mpsd_get_activities_for_social_group_result(
    xbl_mpsd_async *async, size_t activity_count, xbl_mpsd_activity_details *activities);

/* The bytes of buffer the WithProperties result needs: 0 without
   activities, otherwise enough at any buffer alignment. */
xbl_mpsd_result xbl_mpsd_get_activities_with_properties_for_social_group_result_size(
    xbl_mpsd_async *async, size_t *result_size_in_bytes);

/* Lays out the activities as an array at the first aligned address of
   buffer, followed by their custom-properties texts: *ptr_to_buffer the
   array (NULL when none), *ptr_to_buffer_count the count, *buffer_used (when
   given) the bytes used from buffer's start. buffer_size below the size
   call's value: XBL_MPSD_E_OUTOFMEMORY, *buffer_used set to that value.
   buffer NULL (size 0) discards the result. A plain operation here:
   XBL_MPSD_E_INVALIDARG. */
xbl_mpsd_result xbl_mpsd_get_activities_with_properties_for_social_group_result(
    xbl_mpsd_async *async, size_t buffer_size, void *buffer,
    xbl_mpsd_activity_details **ptr_to_buffer, size_t *ptr_to_buffer_count, size_t *buffer_used /* may be NULL */);

/* Activities of the users xuids (count >= 1, no zero; duplicates kept) in
   `scid` (POST /handles/query, owners.xuids). Results as for the social
   group calls. */
xbl_mpsd_result xbl_mpsd_get_activities_for_users_async(
    xbl_mpsd_client *client, const char *scid, const uint64_t *xuids, size_t xuids_count, xbl_mpsd_async *async);
/* As xbl_mpsd_get_activities_for_users_async; the results carry the
   sessions' custom properties. */
xbl_mpsd_result xbl_mpsd_get_activities_with_properties_for_users_async(
    xbl_mpsd_client *client, const char *scid, const uint64_t *xuids, size_t xuids_count, xbl_mpsd_async *async);
/* Same as xbl_mpsd_get_activities_for_social_group_result_count. */
xbl_mpsd_result xbl_mpsd_get_activities_for_users_result_count(xbl_mpsd_async *async, size_t *activity_count);
/* Same as xbl_mpsd_get_activities_for_social_group_result. */
xbl_mpsd_result xbl_mpsd_get_activities_for_users_result(
    xbl_mpsd_async *async, size_t activity_count, xbl_mpsd_activity_details *activities);
/* Same as xbl_mpsd_get_activities_with_properties_for_social_group_result_size. */
xbl_mpsd_result xbl_mpsd_get_activities_with_properties_for_users_result_size(
    xbl_mpsd_async *async, size_t *result_size_in_bytes);
/* Same as xbl_mpsd_get_activities_with_properties_for_social_group_result. */
xbl_mpsd_result xbl_mpsd_get_activities_with_properties_for_users_result(
    xbl_mpsd_async *async, size_t buffer_size, void *buffer,
    xbl_mpsd_activity_details **ptr_to_buffer, size_t *ptr_to_buffer_count, size_t *buffer_used /* may be NULL */);
#endif /* XBL_MPSD_NO_HANDLES */


#ifndef XBL_MPSD_NO_HANDLES
/* ===========================================================================
   Search handles and session queries (left out by XBL_MPSD_NO_HANDLES)
   A search handle makes a session findable by "session browse": a
   reference plus tags, string and number attributes that queries filter
   and sort on. A session query lists the sessions a user is in or that
   carry a keyword. Like every call of the SDK they take no heap: the
   caller passes the arrays and buffers, sized by the count and size calls.
   =========================================================================== */

/* Buffer size, NUL included, of a tag, an attribute name and a string
   attribute's value (at most 99 bytes of text). */
#define XBL_MPSD_SEARCH_HANDLE_MAX_FIELD_LENGTH 100

/* A user's state in a session found by a session query. */
typedef enum xbl_mpsd_session_status {
    XBL_MPSD_SESSION_STATUS_UNKNOWN  = 0,
    XBL_MPSD_SESSION_STATUS_ACTIVE   = 1,
    XBL_MPSD_SESSION_STATUS_INACTIVE = 2,
    XBL_MPSD_SESSION_STATUS_RESERVED = 3
} xbl_mpsd_session_status;

/* What a session query asks for. xuid_filters: the users whose sessions are
   listed (one XUID is a GET, two or more a batch POST); keyword_filter:
   NULL or "" for none; session_template_name_filter: "" lists the whole
   SCID; visibility_filter: ANY for none; contract_version_filter: 0 for
   none; max_items: 0 lets the service choose (it allows at most 100). */
typedef struct xbl_mpsd_session_query {
    char                        scid[XBL_MPSD_SCID_LENGTH];
    uint32_t                    max_items;
    bool                        include_private_sessions;
    bool                        include_reservations;
    bool                        include_inactive_sessions;
    const uint64_t             *xuid_filters;
    size_t                      xuid_filters_count;
    const char                 *keyword_filter;
    char                        session_template_name_filter[XBL_MPSD_SESSION_TEMPLATE_NAME_MAX_LENGTH];
    xbl_mpsd_session_visibility visibility_filter;
    uint32_t                    contract_version_filter;
} xbl_mpsd_session_query;

/* One session a query found. status, is_my_turn and xuid are set only for
   sessions found by XUID; every field is 0, empty, false or UNKNOWN when
   the service left it out. */
typedef struct xbl_mpsd_session_query_result {
    time_t                       start_time;
    xbl_mpsd_session_reference   session_reference;
    xbl_mpsd_session_status      status;
    xbl_mpsd_session_visibility  visibility;
    bool                         is_my_turn;
    uint64_t                     xuid;
    uint32_t                     accepted_member_count;
    xbl_mpsd_session_restriction join_restriction;
} xbl_mpsd_session_query_result;

typedef struct xbl_mpsd_session_tag {
    char value[XBL_MPSD_SEARCH_HANDLE_MAX_FIELD_LENGTH];
} xbl_mpsd_session_tag;

typedef struct xbl_mpsd_session_string_attribute {
    char name[XBL_MPSD_SEARCH_HANDLE_MAX_FIELD_LENGTH];
    char value[XBL_MPSD_SEARCH_HANDLE_MAX_FIELD_LENGTH];
} xbl_mpsd_session_string_attribute;

typedef struct xbl_mpsd_session_number_attribute {
    char   name[XBL_MPSD_SEARCH_HANDLE_MAX_FIELD_LENGTH];
    double value;
} xbl_mpsd_session_number_attribute;

/* ---------------------------------------------------------------------------
   A search handle the caller owns. Complete so that it can live anywhere
   (stack, static, array); every member is private. All zero is "cleared":
   it holds nothing. A filled handle keeps its fixed-size fields here and
   everything of variable size in the byte buffer given to the result call
   or to copy, which must stay valid and untouched while the handle is used.
   Assigning the struct makes a second view of the same buffer; copy makes
   an independent one; there is nothing to close.
   --------------------------------------------------------------------------- */
typedef struct xbl_mpsd_search_handle {
    const unsigned char                     *data;       /* its bytes of the buffer */
    size_t                                   data_len;   /* (while read: where they start) */
    bool                                     filled;     /* false: cleared */
    bool                                     closed;
    char                                     id[XBL_MPSD_GUID_LENGTH];
    xbl_mpsd_session_reference               session_reference;
    xbl_mpsd_session_visibility              visibility;
    xbl_mpsd_session_restriction             join_restriction;
    uint32_t                                 max_members_count;
    uint32_t                                 members_count;
    time_t                                   creation_time;
    const char                              *custom_properties_json;
    const uint64_t                          *owner_xuids;          /* pointer, then count */
    size_t                                   owner_xuids_count;
    const xbl_mpsd_session_tag              *tags;
    size_t                                   tags_count;
    const xbl_mpsd_session_string_attribute *strings;
    size_t                                   strings_count;
    const xbl_mpsd_session_number_attribute *numbers;
    size_t                                   numbers_count;
    const xbl_mpsd_role_type                *role_types;
    size_t                                   role_types_count;
} xbl_mpsd_search_handle;

/* Deep-copies `src` into `dst`, its variable-size data into `buffer` (any
   alignment). dst may equal src: the data then moves to the new buffer.
   Returns XBL_MPSD_OK and the bytes used in *buffer_used (may be NULL);
   XBL_MPSD_E_INVALIDARG for NULL dst or src, a cleared src, buffer NULL with
   buffer_size > 0, or a buffer that overlaps src's data;
   XBL_MPSD_E_OUTOFMEMORY when the data does not fit: dst and buffer are
   unchanged and *buffer_used receives a size that fits at any address. */
xbl_mpsd_result xbl_mpsd_search_handle_copy(
    xbl_mpsd_search_handle *dst, const xbl_mpsd_search_handle *src,
    void *buffer, size_t buffer_size, size_t *buffer_used /* may be NULL */);

/* Makes the handle all zero (cleared); it forgets its buffer, which the SDK
   no longer touches. NULL is a no-op. */
void xbl_mpsd_search_handle_clear(xbl_mpsd_search_handle *handle);

/* The getters below return XBL_MPSD_E_INVALIDARG and write nothing for a
   NULL or cleared handle or a NULL output; otherwise XBL_MPSD_OK. Strings
   and arrays point into the handle or its buffer and stay valid as long as
   both do. */

/* The session the handle finds (all fields empty when the service sent no
   reference). */
xbl_mpsd_result xbl_mpsd_search_handle_get_session_reference(
    const xbl_mpsd_search_handle *handle, xbl_mpsd_session_reference *session_ref);

/* The handle's ID, NUL-terminated, never NULL ("" when the service sent none). */
xbl_mpsd_result xbl_mpsd_search_handle_get_id(const xbl_mpsd_search_handle *handle, const char **id);

/* The session owners' XUIDs (count 0 when none; the pointer may then be NULL). */
xbl_mpsd_result xbl_mpsd_search_handle_get_session_owner_xuids(
    const xbl_mpsd_search_handle *handle, const uint64_t **xuids, size_t *xuids_count);

/* The tags, in the service's order (count 0 when none). */
xbl_mpsd_result xbl_mpsd_search_handle_get_tags(
    const xbl_mpsd_search_handle *handle, const xbl_mpsd_session_tag **tags, size_t *tags_count);

/* The string attributes, in the service's key order (count 0 when none). */
xbl_mpsd_result xbl_mpsd_search_handle_get_string_attributes(
    const xbl_mpsd_search_handle *handle, const xbl_mpsd_session_string_attribute **attributes,
    size_t *attributes_count);

/* The number attributes, in the service's key order (count 0 when none). */
xbl_mpsd_result xbl_mpsd_search_handle_get_number_attributes(
    const xbl_mpsd_search_handle *handle, const xbl_mpsd_session_number_attribute **attributes,
    size_t *attributes_count);

/* The session's visibility (UNKNOWN when not sent). */
xbl_mpsd_result xbl_mpsd_search_handle_get_visibility(
    const xbl_mpsd_search_handle *handle, xbl_mpsd_session_visibility *visibility);

/* The session's join restriction (UNKNOWN when not sent). */
xbl_mpsd_result xbl_mpsd_search_handle_get_join_restriction(
    const xbl_mpsd_search_handle *handle, xbl_mpsd_session_restriction *join_restriction);

/* Whether the session is closed (false when not sent). */
xbl_mpsd_result xbl_mpsd_search_handle_get_session_closed(const xbl_mpsd_search_handle *handle, bool *closed);

/* The session's maximum and current member counts (0, 0 when not sent);
   either output may be NULL. */
xbl_mpsd_result xbl_mpsd_search_handle_get_member_counts(
    const xbl_mpsd_search_handle *handle, size_t *max_members /* may be NULL */,
    size_t *current_members /* may be NULL */);

/* When the handle was created (0 when not sent). */
xbl_mpsd_result xbl_mpsd_search_handle_get_creation_time(const xbl_mpsd_search_handle *handle, time_t *creation_time);

/* The session's custom properties as JSON text, or NULL when there are none
   (also for a null value), as XSAPI does. */
xbl_mpsd_result xbl_mpsd_search_handle_get_custom_session_properties_json(
    const xbl_mpsd_search_handle *handle, const char **custom_properties_json);

/* SDK-only: the session's role types as the handle shows them. Each role's
   member_count, target_count and max_member_count are set; member_xuids is
   always NULL (a search result may list fewer holders than the count, and
   the holders belong to the session). */
xbl_mpsd_result xbl_mpsd_search_handle_get_role_types(
    const xbl_mpsd_search_handle *handle, const xbl_mpsd_role_type **role_types, size_t *role_types_count);

/* Starts POST /handles creating the session's search handle with these
   tags and attributes. The reference must be valid; each array may be NULL
   only with a count of 0; every tag, name and string value must be
   NUL-terminated inside its field (UTF-8), tags and names non-empty,
   numbers finite, and no two number (or two string) attributes may share a
   name. Any of these gives XBL_MPSD_E_INVALIDARG and nothing is sent.
   XBL_MPSD_E_UNEXPECTED: the async is busy; XBL_MPSD_E_BUSY: the client
   runs another operation; XBL_MPSD_E_OUTOFMEMORY: the request does not fit
   the async buffer (xbl_mpsd_async_needed_bytes). */
xbl_mpsd_result xbl_mpsd_create_search_handle_async(
    xbl_mpsd_client *client, const xbl_mpsd_session_reference *session_ref,
    const xbl_mpsd_session_tag *tags, size_t tags_count,
    const xbl_mpsd_session_number_attribute *number_attributes, size_t number_attributes_count,
    const xbl_mpsd_session_string_attribute *string_attributes, size_t string_attributes_count,
    xbl_mpsd_async *async);

/* SDK-only: the buffer bytes the created handle needs, at any buffer
   address. Does not consume the result. Results of every result, count and
   size call: XBL_MPSD_E_INVALIDARG for a NULL async or output (nothing
   consumed) or an async that ran another kind of operation;
   XBL_MPSD_E_UNEXPECTED before any operation or once the result was taken;
   XBL_MPSD_PENDING while it runs; the operation's failure code (then the
   result is consumed). */
xbl_mpsd_result xbl_mpsd_create_search_handle_result_size(xbl_mpsd_async *async, size_t *result_size_in_bytes);

/* The created handle into *handle, its data in `buffer` (buffer_size at
   least the size call's value; *buffer_used receives the bytes used).
   handle NULL discards the result. XBL_MPSD_E_OUTOFMEMORY when the buffer
   is too small: nothing is consumed or written except *buffer_used, which
   receives the size call's value. Consumes the result otherwise. */
xbl_mpsd_result xbl_mpsd_create_search_handle_result(
    xbl_mpsd_async *async, xbl_mpsd_search_handle *handle /* may be NULL */,
    void *buffer, size_t buffer_size, size_t *buffer_used /* may be NULL */);

/* Starts DELETE /handles/{handle_id}: the session is no longer searchable.
   handle_id must be 1-39 path-safe characters (no / ? # % ~, space,
   control or non-ASCII bytes). There is no result call: the final value of
   xbl_mpsd_async_poll is the outcome and the async is then free. */
xbl_mpsd_result xbl_mpsd_delete_search_handle_async(
    xbl_mpsd_client *client, const char *handle_id, xbl_mpsd_async *async);

/* Starts POST /handles/query for the search handles of one template.
   scid: 1-39 bytes; session_template_name non-empty. order_by_attribute
   sorts ascending or descending; search_filter is the service's filter
   text; social_group ("people", "favorites") keeps handles of the client
   user's group. The three are left out when NULL or "". */
xbl_mpsd_result xbl_mpsd_get_search_handles_async(
    xbl_mpsd_client *client, const char *scid, const char *session_template_name,
    const char *order_by_attribute /* may be NULL */, bool order_ascending,
    const char *search_filter /* may be NULL */, const char *social_group /* may be NULL */,
    xbl_mpsd_async *async);

/* The number of handles found (results as for the create size call). */
xbl_mpsd_result xbl_mpsd_get_search_handles_result_count(xbl_mpsd_async *async, size_t *search_handle_count);

/* SDK-only: the buffer bytes all found handles need together, at any
   buffer address (0 when none). Does not consume the result. */
xbl_mpsd_result xbl_mpsd_get_search_handles_result_size(xbl_mpsd_async *async, size_t *result_size_in_bytes);

/* The found handles into search_handles[0 .. n-1] in the service's order,
   all sharing `buffer`; needs search_handles_count >= the count and
   buffer_size >= the size. search_handles NULL discards the result.
   XBL_MPSD_E_OUTOFMEMORY when either is too small: nothing is consumed or
   written except *buffer_used, which receives the size call's value. */
xbl_mpsd_result xbl_mpsd_get_search_handles_result(
    xbl_mpsd_async *async, xbl_mpsd_search_handle *search_handles, size_t search_handles_count,
    void *buffer, size_t buffer_size, size_t *buffer_used /* may be NULL */);

/* Starts the session query: GET .../sessions with the filters as query
   parameters, or POST .../batch for two or more XUID filters. The keyword
   is percent-encoded (every byte outside A-Z a-z 0-9 - . _ ~).
   XBL_MPSD_E_INVALIDARG when the SCID or a non-empty template is not a
   path segment (or lacks its NUL), xuid_filters is NULL with a count or
   holds 0, there is neither a XUID filter nor a keyword, reservations or
   inactive sessions are asked for without a XUID filter, or the visibility
   filter is UNKNOWN or out of range. */
xbl_mpsd_result xbl_mpsd_query_sessions_async(
    xbl_mpsd_client *client, const xbl_mpsd_session_query *session_query, xbl_mpsd_async *async);

/* The number of sessions found (results as for the create size call). */
xbl_mpsd_result xbl_mpsd_query_sessions_result_count(xbl_mpsd_async *async, size_t *session_count);

/* The sessions into sessions[0 .. n-1] in the service's order; needs
   session_count >= the count (XBL_MPSD_E_OUTOFMEMORY otherwise, nothing
   written or consumed). sessions NULL discards the result. */
xbl_mpsd_result xbl_mpsd_query_sessions_result(
    xbl_mpsd_async *async, size_t session_count, xbl_mpsd_session_query_result *sessions);
#endif /* XBL_MPSD_NO_HANDLES */

#ifndef XBL_MPSD_NO_RTA
/* ===========================================================================
   WebSocket client (RFC 6455, client role, version 13): the transport of the
   RTA object. SDK-only and public so that it can be tested and reused on its
   own; it knows nothing of RTA. One connection at a time over any
   xbl_mpsd_port (the plain port gives ws://, the mbedTLS port wss://).
   =========================================================================== */

#define XBL_MPSD_RTA_BUFFER_RESERVE   1024    /* buffer bytes kept for frames out and in */
#ifndef XBL_MPSD_RTA_CLOSE_TIMEOUT_MS
#define XBL_MPSD_RTA_CLOSE_TIMEOUT_MS 2000    /* close handshake wait; overridable */
#endif
#define XBL_MPSD_WS_MIN_BUFFER_SIZE   ((size_t)XBL_MPSD_RTA_BUFFER_RESERVE * 2u)
#define XBL_MPSD_WS_MAX_SEND_BYTES    376     /* longest text message xbl_mpsd_ws_send_text takes */

typedef struct xbl_mpsd_ws_config {
    const xbl_mpsd_port   *port;        /* required; the table is copied */
    const xbl_mpsd_client *client;      /* required: its auth callback, user agent and
                                           accept language go on the handshake */
    const char *host;                   /* required: Host header and port connect */
    uint16_t    port_number;            /* 0: 443 */
    const char *path;                   /* required, starts with '/' */
    const char *subprotocol;            /* NULL: none offered */
    uint32_t    timeout_ms;             /* 0: 30000; auth + connect + handshake */
    size_t      max_message_bytes;      /* 0: buffer_size - XBL_MPSD_RTA_BUFFER_RESERVE */
    uint32_t    ping_interval_ms;       /* 0: no keepalive pings */
    uint32_t    close_timeout_ms;       /* 0: XBL_MPSD_RTA_CLOSE_TIMEOUT_MS */
    void      (*random)(void *user, uint8_t *out, size_t len);   /* 0: built-in, not cryptographic */
    void       *random_user;
} xbl_mpsd_ws_config;

typedef enum xbl_mpsd_ws_event_type {
    XBL_MPSD_WS_EVENT_NONE    = 0,
    XBL_MPSD_WS_EVENT_OPENED  = 1,   /* handshake accepted: send_text may be called */
    XBL_MPSD_WS_EVENT_MESSAGE = 2,   /* one whole text or binary message */
    XBL_MPSD_WS_EVENT_CLOSED  = 3    /* the attempt or the connection is over; port closed */
} xbl_mpsd_ws_event_type;

typedef struct xbl_mpsd_ws_event {
    xbl_mpsd_ws_event_type type;
    xbl_mpsd_result result;        /* CLOSED: why (XBL_MPSD_OK after xbl_mpsd_ws_close) */
    uint16_t        close_code;    /* CLOSED: the code sent (failure) or received (server
                                      close, 1005 when none), 1006 without a close frame,
                                      0 when the connection never opened */
    uint32_t        retry_after;   /* CLOSED after a handshake status: Retry-After seconds */
    bool            binary;        /* MESSAGE: opcode binary, not text */
    const uint8_t  *data;          /* MESSAGE: in the buffer, valid until the next call on the object */
    size_t          len;
} xbl_mpsd_ws_event;

/* Private state, complete so that callers can place it anywhere; do not copy. */
typedef struct xbl_mpsd_ws {
    xbl_mpsd_port      port;
    xbl_mpsd_ws_config config;     /* defaults filled in */
    unsigned char     *buffer;
    size_t             buffer_size;
    uint32_t           phase;      /* XBL_MPSD__WS_* */
    uint32_t           flags;      /* XBL_MPSD__WF_* */
    xbl_mpsd_result    result;     /* of the ending connection */
    uint32_t           start_ms;   /* attempt start, then close start */
    uint32_t           rx_ms;      /* last frame received, or ping sent */
    uint32_t           retry_after;
    uint32_t           status;     /* handshake status */
    uint32_t           random_counter;
    uint16_t           close_code; /* for the CLOSED event */
    uint16_t           send_code;  /* close frame to send, 0 for an empty one */
    size_t             needed;
    size_t             head_len, sent, raw_len, header_bytes;   /* handshake */
    size_t             out_len, out_sent, pong_len;             /* frames out */
    size_t             in_pos, in_len;                          /* staged bytes in */
    uint64_t           frame_left;  /* payload bytes of the frame being read */
    size_t             ctrl_len, msg_len;
    uint8_t            rx_state, rx_ext, opcode, msg_opcode;
    char               key[25];    /* Sec-WebSocket-Key sent */
} xbl_mpsd_ws;

/* Checks and copies the config; nothing is sent. The buffer (at least
   XBL_MPSD_WS_MIN_BUFFER_SIZE bytes) belongs to the object from now on.
   XBL_MPSD_E_INVALIDARG for a NULL argument, a port without a function, a
   client without auth, an empty host or path (or one with CR, LF or a
   space), a path not starting with '/', a subprotocol with CR or LF, a
   small buffer or max_message_bytes > buffer_size - XBL_MPSD_RTA_BUFFER_RESERVE. */
xbl_mpsd_result xbl_mpsd_ws_init(xbl_mpsd_ws *ws, const xbl_mpsd_ws_config *config,
                                 void *buffer, size_t buffer_size);

/* Starts a connection attempt (auth, port connect, handshake) on the next
   polls, with a fresh key. XBL_MPSD_E_UNEXPECTED while one is running. */
xbl_mpsd_result xbl_mpsd_ws_connect(xbl_mpsd_ws *ws);

/* A bounded step of work (at most 16 port calls; never blocks). XBL_MPSD_OK
   with *event set, or XBL_MPSD_PENDING with *event zeroed. Failures are
   CLOSED events, not return values. */
xbl_mpsd_result xbl_mpsd_ws_poll(xbl_mpsd_ws *ws, xbl_mpsd_ws_event *event);

/* Queues one text message (valid UTF-8, at most XBL_MPSD_WS_MAX_SEND_BYTES)
   as one masked frame; it goes out on the next polls. XBL_MPSD_E_BUSY while
   an earlier frame or a pong is still waiting to go out, XBL_MPSD_E_UNEXPECTED
   when not open, XBL_MPSD_E_INVALIDARG for bad text. */
xbl_mpsd_result xbl_mpsd_ws_send_text(xbl_mpsd_ws *ws, const char *text, size_t len);

/* Starts the closing handshake with `code` (1000 normally): the close frame
   goes out, then the object waits for the server's close frame and the end
   of TCP for at most close_timeout_ms; a CLOSED event (result OK) ends it.
   XBL_MPSD_E_UNEXPECTED when not open, XBL_MPSD_E_INVALIDARG for a code that
   may not be sent. */
xbl_mpsd_result xbl_mpsd_ws_close(xbl_mpsd_ws *ws, uint16_t code);

/* Ends at once: one non-blocking try to send a close frame 1000 when open,
   then the port is closed. No event follows. Safe on NULL and when idle. */
void xbl_mpsd_ws_abort(xbl_mpsd_ws *ws);

/* True from the OPENED event until a close starts or the connection ends. */
bool xbl_mpsd_ws_is_open(const xbl_mpsd_ws *ws);

/* After XBL_MPSD_E_OUTOFMEMORY or XBL_MPSD_E_WS_MESSAGE_TOO_BIG: the buffer
   size that would have done (with max_message_bytes left at 0). 0 otherwise. */
size_t xbl_mpsd_ws_needed_bytes(const xbl_mpsd_ws *ws);
#endif /* XBL_MPSD_NO_RTA */

#ifndef XBL_MPSD_NO_RTA
/* ===========================================================================
   Real-time session notifications: the RTA object (SDK-only, polled)
   =========================================================================== */

#define XBL_MPSD_RTA_CONNECTION_ID_MAX_LENGTH  64      /* buffer size for a connection ID, NUL included */
#define XBL_MPSD_RTA_MIN_BUFFER_SIZE           2048    /* smallest buffer xbl_mpsd_rta_init accepts */
#define XBL_MPSD_RTA_DEFAULT_HOST              "rta.xboxlive.com"
#define XBL_MPSD_RTA_DEFAULT_PATH              "/connect"
#define XBL_MPSD_RTA_SUBPROTOCOL               "rta.xboxlive.com.V2"
#define XBL_MPSD_RTA_MPSD_CONNECTIONS_URI      "https://sessiondirectory.xboxlive.com/connections/"

/* XblRealTimeActivityConnectionState: same values */
typedef enum xbl_mpsd_real_time_activity_connection_state {
    XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED    = 0,
    XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING   = 1,
    XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED = 2
} xbl_mpsd_real_time_activity_connection_state;

/* SDK-only: what xbl_mpsd_rta_poll hands out; each replaces one XSAPI handler type */
typedef enum xbl_mpsd_rta_event_type {
    XBL_MPSD_RTA_EVENT_NONE                     = 0,
    XBL_MPSD_RTA_EVENT_CONNECTION_STATE_CHANGED = 1,
    XBL_MPSD_RTA_EVENT_CONNECTION_ID_CHANGED    = 2,
    XBL_MPSD_RTA_EVENT_SESSION_CHANGED          = 3,
    XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST        = 4,
    XBL_MPSD_RTA_EVENT_RESYNC                   = 5
} xbl_mpsd_rta_event_type;

/* XblMultiplayerSessionChangeEventArgs */
typedef struct xbl_mpsd_session_change_event_args {
    xbl_mpsd_session_reference session_reference;
    char                       branch[XBL_MPSD_GUID_LENGTH];
    uint64_t                   change_number;
} xbl_mpsd_session_change_event_args;

/* SDK-only: one event, by value; nothing in it points into the SDK */
typedef struct xbl_mpsd_rta_event {
    xbl_mpsd_rta_event_type                      type;
    xbl_mpsd_result                              result;
    xbl_mpsd_real_time_activity_connection_state connection_state;
    uint16_t                                     close_code;
    xbl_mpsd_session_change_event_args           session_change;
    char                                         connection_id[XBL_MPSD_RTA_CONNECTION_ID_MAX_LENGTH];
} xbl_mpsd_rta_event;

/* SDK-only: fill from zero; a zero field means its default */
typedef struct xbl_mpsd_rta_config {
    const xbl_mpsd_port *port;          /* required: a port of its own, not the client's */
    const char *host;                   /* 0: XBL_MPSD_RTA_DEFAULT_HOST */
    uint16_t    port_number;            /* 0: 443 */
    const char *path;                   /* 0: XBL_MPSD_RTA_DEFAULT_PATH */
    uint32_t    timeout_ms;             /* 0: 30000; one connection attempt; one subscribe reply */
    size_t      max_message_bytes;      /* 0: buffer_size - XBL_MPSD_RTA_BUFFER_RESERVE */
    uint32_t    ping_interval_ms;       /* 0: no keepalive pings */
    uint32_t    max_connection_ms;      /* 0: 5400000 (90 min) */
    void      (*random)(void *user, uint8_t *out, size_t len);   /* 0: built-in, not cryptographic */
    void       *random_user;
} xbl_mpsd_rta_config;

/* A waiting event, compact; the session change and the ID are filled in
   when it is handed out. */
typedef struct xbl_mpsd__rta_queued {
    uint8_t         type;
    uint8_t         state;
    uint16_t        close_code;
    xbl_mpsd_result result;
} xbl_mpsd__rta_queued;

#define XBL_MPSD__RTA_QUEUE 8

/* Private state, complete so that callers can place it anywhere; do not copy. */
struct xbl_mpsd_rta {
    xbl_mpsd_ws          ws;
    xbl_mpsd_client     *client;
    xbl_mpsd_rta_config  config;          /* defaults filled in */
    uint32_t             phase;           /* XBL_MPSD__RTA_* */
    uint32_t             flags;           /* XBL_MPSD__RF_* */
    uint32_t             attempt;         /* k of the series */
    uint32_t             wait_start_ms, wait_ms, open_ms;
    uint32_t             sub_state, seq, next_seq, subid, throttle, sub_ms, retry_ms;
    uint8_t              state;           /* public state, as last reported */
    xbl_mpsd_result      last_result;
    size_t               tap_at;          /* next tap in the held message, 0: none */
    size_t               tap_end;
    xbl_mpsd__rta_queued queue[XBL_MPSD__RTA_QUEUE];
    uint8_t              queue_head, queue_len;
    char                 connection_id[XBL_MPSD_RTA_CONNECTION_ID_MAX_LENGTH];
};

/* Makes `rta` the real-time connection of `client`'s user and attaches it to
   `client`, so the client's writes stamp its connection ID (section 10). The
   user, auth callback, user agent and accept language come from the client.
   Nothing is sent: the state stays DISCONNECTED until a subscription or
   activation wants a connection. `config` is copied; `buffer` (at least
   XBL_MPSD_RTA_MIN_BUFFER_SIZE bytes) belongs to the object until
   xbl_mpsd_rta_close, and the client must outlive the object.
   XBL_MPSD_E_INVALIDARG: a NULL argument, a config without a complete port,
   an empty host or path or one with CR, LF or a space, a path not starting
   with '/', a buffer too small, max_message_bytes over buffer_size -
   XBL_MPSD_RTA_BUFFER_RESERVE. XBL_MPSD_E_UNEXPECTED: the client already has
   an RTA object (close that one first). */
xbl_mpsd_result xbl_mpsd_rta_init(
    xbl_mpsd_rta *rta, xbl_mpsd_client *client, const xbl_mpsd_rta_config *config,
    void *buffer, size_t buffer_size);
/* Does a bounded step of work (never waits) and hands out at most one event.
   XBL_MPSD_OK: *event holds the next event; call again, more may wait.
   XBL_MPSD_PENDING: nothing to report, *event is zeroed (type NONE); call
   again next frame. XBL_MPSD_E_INVALIDARG: a NULL argument.
   XBL_MPSD_E_UNEXPECTED: the object was never initialised or was closed.
   Connection failures are events, never return values: the object carries
   on and reconnects with back-off by itself. */
xbl_mpsd_result xbl_mpsd_rta_poll(xbl_mpsd_rta *rta, xbl_mpsd_rta_event *event);
/* Ends the connection at once, drops pending events, forgets the
   subscription and the connection ID and detaches the object from its
   client; no events follow. Safe on NULL, on a zeroed or a closed object.
   The object and its buffer may then be reused with xbl_mpsd_rta_init. For a
   graceful end, disable subscriptions and poll until DISCONNECTED first. */
void xbl_mpsd_rta_close(xbl_mpsd_rta *rta);
/* Read-only views, as of the last poll; for NULL or a closed object they
   answer DISCONNECTED, "", XBL_MPSD_OK and 0. The ID pointer stays valid
   until the next call on the object. last_result is set whenever an attempt
   fails or a connection is lost (silent retries too) and is not cleared by
   success. needed_bytes is the buffer a refused handshake answer or message
   would have needed (an upper bound for a handshake line). */
xbl_mpsd_real_time_activity_connection_state xbl_mpsd_rta_connection_state(const xbl_mpsd_rta *rta);
/* The connection ID the service gave this connection: "" when none; never NULL. */
const char     *xbl_mpsd_rta_connection_id(const xbl_mpsd_rta *rta);
/* The cause of the last failed attempt or lost connection, or XBL_MPSD_OK. */
xbl_mpsd_result xbl_mpsd_rta_last_result(const xbl_mpsd_rta *rta);
/* Buffer bytes the last refused answer or message needed; 0 when nothing was short. */
size_t          xbl_mpsd_rta_needed_bytes(const xbl_mpsd_rta *rta);

/* XSAPI XblMultiplayerSetSubscriptionsEnabled. true: the client's RTA object
   wants the MPSD connections subscription; the connection opens and the
   subscribe goes out on the following polls, and the ID arrives as an event.
   false: the connection ID is cleared at once (later writes no longer stamp
   it), a SUBSCRIPTION_LOST event with XBL_MPSD_OK is queued, the unsubscribe
   goes out, and the connection closes gracefully unless activated. No-op when
   already so. XBL_MPSD_E_INVALIDARG: NULL client. XBL_MPSD_E_UNEXPECTED: no
   RTA object attached (call xbl_mpsd_rta_init first). */
xbl_mpsd_result xbl_mpsd_set_subscriptions_enabled(xbl_mpsd_client *client, bool subscriptions_enabled);
/* True from a successful enable until a disable or a failed subscription;
   false for NULL or a client without an RTA object. */
bool            xbl_mpsd_subscriptions_enabled(const xbl_mpsd_client *client);
/* XSAPI XblRealTimeActivityActivate: keeps the WebSocket open with no
   subscription (one flag, not a count), e.g. to check connectivity before a
   session exists. Errors as xbl_mpsd_set_subscriptions_enabled. */
xbl_mpsd_result xbl_mpsd_real_time_activity_activate(xbl_mpsd_client *client);
/* XSAPI XblRealTimeActivityDeactivate: lets the WebSocket close once no
   subscription wants it. Errors as xbl_mpsd_set_subscriptions_enabled. */
xbl_mpsd_result xbl_mpsd_real_time_activity_deactivate(xbl_mpsd_client *client);
#endif /* XBL_MPSD_NO_RTA */

#ifdef __cplusplus
}
#endif
#endif /* XBL_MPSD_H */

/* ######################################################################## */
/*                             IMPLEMENTATION                               */
/* ######################################################################## */
#if defined(XBL_MPSD_IMPLEMENTATION) && !defined(XBL_MPSD__IMPLEMENTED)
#define XBL_MPSD__IMPLEMENTED

/* ===========================================================================
   Config and platform shims
   =========================================================================== */

#if defined(XBL_MPSD_MEMCPY) != defined(XBL_MPSD_MEMMOVE) || defined(XBL_MPSD_MEMCPY) != defined(XBL_MPSD_MEMSET) || defined(XBL_MPSD_MEMCPY) != defined(XBL_MPSD_MEMCMP)
#error "define all of XBL_MPSD_MEMCPY, XBL_MPSD_MEMMOVE, XBL_MPSD_MEMSET and XBL_MPSD_MEMCMP, or none"
#endif
#ifndef XBL_MPSD_MEMCPY
#include <string.h>
#define XBL_MPSD_MEMCPY(d, s, n)  memcpy((d), (s), (n))
#define XBL_MPSD_MEMMOVE(d, s, n) memmove((d), (s), (n))
#define XBL_MPSD_MEMSET(d, c, n)  memset((d), (c), (n))
#define XBL_MPSD_MEMCMP(a, b, n)  memcmp((a), (b), (n))
#endif
#ifndef XBL_MPSD_ASSERT
#include <assert.h>
#define XBL_MPSD_ASSERT(x) assert(x)
#endif
#ifndef XBL_MPSD_WRITE_WHOLE_CUSTOM
#define XBL_MPSD_WRITE_WHOLE_CUSTOM 0
#endif

/* jsmn is included, never copied (DESIGN.md §3). Its own code is not ours to
   keep warning-free, so the strict warnings are off for its body only. */
#ifndef XBL_MPSD_JSMN_INCLUDE
#define XBL_MPSD_JSMN_INCLUDE <jsmn.h>
#endif
#define JSMN_STATIC
#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#include XBL_MPSD_JSMN_INCLUDE
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#define XBL_MPSD__UNUSED(x) ((void)(x))
/* Nesting limit for every JSON text the SDK reads or validates. */
#ifndef XBL_MPSD_JSON_MAX_DEPTH
#define XBL_MPSD_JSON_MAX_DEPTH 32
#endif

/* ===========================================================================
   Errors
   =========================================================================== */

const char *xbl_mpsd_result_string(xbl_mpsd_result r)
{
    static const char *const transport[] = {
        "XBL_MPSD_E_WOULD_BLOCK", "XBL_MPSD_E_EOF", "XBL_MPSD_E_IO", "XBL_MPSD_E_CONNECT",
        "XBL_MPSD_E_TIMEOUT", "XBL_MPSD_E_TLS", "XBL_MPSD_E_TLS_VERIFY", "XBL_MPSD_E_HTTP_PROTOCOL",
        "XBL_MPSD_E_CONNECTION_CLOSED", "XBL_MPSD_E_CANCELED", "XBL_MPSD_E_BUSY",
        "XBL_MPSD_E_WS_HANDSHAKE", "XBL_MPSD_E_WS_PROTOCOL", "XBL_MPSD_E_WS_MESSAGE_TOO_BIG",
        "XBL_MPSD_E_WS_CLOSED", "XBL_MPSD_E_RTA_NO_CONNECTION_ID", "XBL_MPSD_E_RTA_PROTOCOL"
    };
    /* "HTTP 300" .. "HTTP 308", "HTTP 400" .. "HTTP 431": one block, nine
       bytes a name, where a pointer table would cost as much again */
    static const char http[] =
        "HTTP 300\0HTTP 301\0HTTP 302\0HTTP 303\0HTTP 304\0HTTP 305\0HTTP 306\0HTTP 307\0HTTP 308\0"
        "HTTP 400\0HTTP 401\0HTTP 402\0HTTP 403\0HTTP 404\0HTTP 405\0HTTP 406\0HTTP 407\0"
        "HTTP 408\0HTTP 409\0HTTP 410\0HTTP 411\0HTTP 412\0HTTP 413\0HTTP 414\0HTTP 415\0"
        "HTTP 416\0HTTP 417\0HTTP 418\0HTTP 419\0HTTP 420\0HTTP 421\0HTTP 422\0HTTP 423\0"
        "HTTP 424\0HTTP 425\0HTTP 426\0HTTP 427\0HTTP 428\0HTTP 429\0HTTP 430\0HTTP 431";
    uint32_t bits = (uint32_t)r;
    switch (r) {
    case XBL_MPSD_OK: return "XBL_MPSD_OK";
    case XBL_MPSD_PENDING: return "XBL_MPSD_PENDING";
    case XBL_MPSD_E_FAIL: return "XBL_MPSD_E_FAIL";
    case XBL_MPSD_E_UNEXPECTED: return "XBL_MPSD_E_UNEXPECTED";
    case XBL_MPSD_E_OUTOFMEMORY: return "XBL_MPSD_E_OUTOFMEMORY";
    case XBL_MPSD_E_INVALIDARG: return "XBL_MPSD_E_INVALIDARG";
    case XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND: return "XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND";
    case XBL_MPSD_E_INVALID_JSON_STRING: return "XBL_MPSD_E_INVALID_JSON_STRING";
    case XBL_MPSD_E_RUNTIME_ERROR: return "XBL_MPSD_E_RUNTIME_ERROR";
    case XBL_MPSD_E_RTA_GENERIC_ERROR: return "XBL_MPSD_E_RTA_GENERIC_ERROR";
    case XBL_MPSD_E_RTA_SUBSCRIPTION_LIMIT_REACHED: return "XBL_MPSD_E_RTA_SUBSCRIPTION_LIMIT_REACHED";
    case XBL_MPSD_E_RTA_ACCESS_DENIED: return "XBL_MPSD_E_RTA_ACCESS_DENIED";
    default: break;
    }
    if (bits >= UINT32_C(0xA4D50001) && bits <= UINT32_C(0xA4D50011))
        return transport[bits - UINT32_C(0xA4D50001)];
    if (bits >= UINT32_C(0x8019012C) && bits <= UINT32_C(0x80190134))
        return http + (size_t)9 * (bits - UINT32_C(0x8019012C));
    if (bits >= UINT32_C(0x80190190) && bits <= UINT32_C(0x801901AF))
        return http + (size_t)9 * (9u + bits - UINT32_C(0x80190190));
    if (bits == UINT32_C(0x801901F4)) return "HTTP 500";
    if (bits == UINT32_C(0x801901F6)) return "HTTP 502";
    if (bits == UINT32_C(0x801901F7)) return "HTTP 503";
    if (bits == UINT32_C(0x801901F8)) return "HTTP 504";
    if ((bits & UINT32_C(0xFFFF0000)) == UINT32_C(0x80190000)) return "HTTP error";
    return r > 0 ? "unknown positive value (not a result code)" : "unknown error";
}

/* Names as XSAPI spells the enumerators; "(invalid)" for a value outside the enum. */
const char *xbl_mpsd_write_session_status_string(xbl_mpsd_write_session_status status)
{
    static const char *const names[] = { "Unknown", "AccessDenied", "Created", "Conflict",
        "HandleNotFound", "OutOfSync", "SessionDeleted", "Updated" };
    return (unsigned)status < sizeof names / sizeof names[0] ? names[status] : "(invalid)";
}

const char *xbl_mpsd_session_member_status_string(xbl_mpsd_session_member_status status)
{
    static const char *const names[] = { "Reserved", "Inactive", "Ready", "Active" };
    return (unsigned)status < sizeof names / sizeof names[0] ? names[status] : "(invalid)";
}

const char *xbl_mpsd_session_visibility_string(xbl_mpsd_session_visibility visibility)
{
    static const char *const names[] = { "Unknown", "Any", "PrivateSession", "Visible", "Full", "Open" };
    return (unsigned)visibility < sizeof names / sizeof names[0] ? names[visibility] : "(invalid)";
}

const char *xbl_mpsd_session_restriction_string(xbl_mpsd_session_restriction restriction)
{
    static const char *const names[] = { "Unknown", "None", "Local", "Followed" };
    return (unsigned)restriction < sizeof names / sizeof names[0] ? names[restriction] : "(invalid)";
}

const char *xbl_mpsd_session_change_type_string(xbl_mpsd_session_change_types change_type)
{
    static const char *const names[] = { "Everything", "HostDeviceTokenChange", "InitializationStateChange",
        "MatchmakingStatusChange", "MemberListChange", "MemberStatusChange", "SessionJoinabilityChange",
        "CustomPropertyChange", "MemberCustomPropertyChange" };
    unsigned bit;
    if (change_type == XBL_MPSD_SESSION_CHANGE_TYPES_NONE) return "None";
    for (bit = 0; bit < sizeof names / sizeof names[0]; bit++)
        if (change_type == (UINT32_C(1) << bit)) return names[bit];
    return "(invalid)";
}

/* ===========================================================================
   Strings and arena
   =========================================================================== */

/* Length of s if it is NUL-terminated inside cap bytes, else cap. */
static size_t xbl_mpsd__strnlen(const char *s, size_t cap)
{
    size_t n = 0;
    while (n < cap && s[n] != '\0') n++;
    return n;
}

static size_t xbl_mpsd__strlen(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') n++;
    return n;
}

static int xbl_mpsd__lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* ASCII case-insensitive equality of two NUL-terminated strings. */
static bool xbl_mpsd__ieq(const char *a, const char *b)
{
    size_t i = 0;
    for (;; i++) {
        if (xbl_mpsd__lower((unsigned char)a[i]) != xbl_mpsd__lower((unsigned char)b[i])) return false;
        if (a[i] == '\0') return true;
    }
}

/* ASCII case-insensitive equality of (s, n) with a NUL-terminated literal. */
static bool xbl_mpsd__ieq_n(const char *s, size_t n, const char *lit)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (lit[i] == '\0') return false;
        if (xbl_mpsd__lower((unsigned char)s[i]) != xbl_mpsd__lower((unsigned char)lit[i])) return false;
    }
    return lit[n] == '\0';
}

/* Decimal digits only (at least one), no sign, no overflow past max:
   HTTP numbers, JSON integers, XUID strings. */
static bool xbl_mpsd__parse_dec(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;
    if (n == 0) return false;
    for (i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9 || v > (max - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* Copies a NUL-terminated src into dst[cap]; false (dst untouched) when it does not fit. */
static bool xbl_mpsd__copy_fixed(char *dst, size_t cap, const char *src)
{
    size_t n = xbl_mpsd__strnlen(src, cap);
    if (n >= cap) return false;
    XBL_MPSD_MEMCPY(dst, src, n + 1);
    return true;
}

/* Well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF). */
static bool xbl_mpsd__utf8_valid(const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len, k;
        unsigned min, cp;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; min = 0x10000; }
        else return false;
        if (n - i < len) return false;
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

/* A caller string that is NUL-terminated valid UTF-8. */
static bool xbl_mpsd__text_ok(const char *s)
{
    return s != NULL && xbl_mpsd__utf8_valid(s, xbl_mpsd__strlen(s));
}

/* Bump allocator over the session arena. In measure mode nothing is written:
   allocations only advance `used` (computed against the real base address, so
   a measured layout and the real one agree byte for byte) and return NULL.
   Callers guard every store with the returned pointer and check the sticky
   `failed` flag once at the end. */
static void *xbl_mpsd__arena_alloc(xbl_mpsd__arena *a, size_t size, size_t align)
{
    uintptr_t at = (uintptr_t)a->base + a->used;
    size_t pad = (size_t)((align - (at & (align - 1))) & (align - 1));
    size_t start;
    if (a->failed || pad > a->size - a->used) { a->failed = true; return NULL; }
    start = a->used + pad;
    if (size > a->size - start) { a->failed = true; return NULL; }
    a->used = start + size;
    return a->measure ? NULL : a->base + start;
}

#define XBL_MPSD__ALIGN (sizeof(void *) > sizeof(uint64_t) ? sizeof(void *) : sizeof(uint64_t))
#define XBL_MPSD__ALLOC_ARRAY(a, type, count) \
    ((type *)xbl_mpsd__arena_alloc_array((a), (count), sizeof(type)))

/* count elements of `size` bytes; a count whose size overflows cannot fit */
static void *xbl_mpsd__arena_alloc_array(xbl_mpsd__arena *a, size_t count, size_t size)
{
    return xbl_mpsd__arena_alloc(a, count > SIZE_MAX / size ? SIZE_MAX : size * count, XBL_MPSD__ALIGN);
}

/* Copies n bytes plus a NUL. Returns "" in measure mode and on failure, so
   the result is always safe to store. */
static const char *xbl_mpsd__arena_strn(xbl_mpsd__arena *a, const char *s, size_t n)
{
    char *d = (char *)xbl_mpsd__arena_alloc(a, n == SIZE_MAX ? SIZE_MAX : n + 1, 1);
    if (d == NULL) return "";
    if (n) XBL_MPSD_MEMCPY(d, s, n);
    d[n] = '\0';
    return d;
}

static const char *xbl_mpsd__arena_str(xbl_mpsd__arena *a, const char *s)
{
    return xbl_mpsd__arena_strn(a, s, xbl_mpsd__strlen(s));
}

/* ===========================================================================
   JSON text: validation and scanning
   Caller fragments, our own stored objects and response bodies are checked
   and walked here without token storage: full RFC 8259 grammar, UTF-8 and
   escapes checked, nesting tracked with a bit stack (no recursion).
   =========================================================================== */

static size_t xbl_mpsd__json_ws(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    return i;
}

static int xbl_mpsd__hex(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool xbl_mpsd__hex4(const char *s, size_t n, size_t i, unsigned *out)
{
    unsigned v = 0;
    size_t k;
    if (n - i < 4) return false;
    for (k = 0; k < 4; k++) {
        int h = xbl_mpsd__hex((unsigned char)s[i + k]);
        if (h < 0) return false;
        v = (v << 4) | (unsigned)h;
    }
    *out = v;
    return true;
}

/* UTF-8 of a code point (below 0x110000, not a surrogate) into out. */
static size_t xbl_mpsd__utf8_encode(unsigned cp, char out[4])
{
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18)); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The code point of a \uXXXX escape at *i (just after the backslash's 'u'),
   joining a surrogate pair; *i ends after it. false on a lone surrogate. */
static bool xbl_mpsd__json_u_escape(const char *s, size_t n, size_t *i, unsigned *out)
{
    unsigned cp, lo;
    if (!xbl_mpsd__hex4(s, n, *i, &cp)) return false;
    *i += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (n - *i < 6 || s[*i] != '\\' || s[*i + 1] != 'u' || !xbl_mpsd__hex4(s, n, *i + 2, &lo)) return false;
        if (lo < 0xDC00 || lo > 0xDFFF) return false;
        *i += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    *out = cp;
    return true;
}

/* The character a one-letter escape stands for, or 0 for none. */
static char xbl_mpsd__json_short_escape(unsigned char c)
{
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return 0;
    }
}

/* Decodes one character of a JSON string body (between the quotes) at *i
   into out[4]; returns its UTF-8 length, or 0 when the text is malformed:
   bad escape, unpaired surrogate, raw control character, invalid UTF-8. */
static size_t xbl_mpsd__json_char(const char *s, size_t n, size_t *i, char out[4])
{
    unsigned char c = (unsigned char)s[*i];
    unsigned cp;
    if (c < 0x20 || c == '"') return 0;
    if (c != '\\') {
        size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (len > n - *i || !xbl_mpsd__utf8_valid(s + *i, len)) return 0;
        XBL_MPSD_MEMCPY(out, s + *i, len);
        *i += len;
        return len;
    }
    if (n - *i < 2) return 0;
    c = (unsigned char)s[*i + 1];
    *i += 2;
    if (c != 'u') {
        out[0] = xbl_mpsd__json_short_escape(c);
        return out[0] != 0 ? 1 : 0;
    }
    if (!xbl_mpsd__json_u_escape(s, n, i, &cp)) return 0;
    return xbl_mpsd__utf8_encode(cp, out);
}

/* Decodes a whole string body into out (NULL: only measure). Returns the
   decoded length, or SIZE_MAX when the body is malformed. A decoded NUL is
   malformed too: every string the SDK keeps is a C string. */
static size_t xbl_mpsd__json_decode(const char *s, size_t n, char *out)
{
    size_t i = 0, len = 0;
    char ch[4];
    while (i < n) {
        size_t k = xbl_mpsd__json_char(s, n, &i, ch);
        if (k == 0 || (k == 1 && ch[0] == '\0')) return SIZE_MAX;
        if (out) XBL_MPSD_MEMCPY(out + len, ch, k);
        len += k;
    }
    return len;
}

/* Whether the string body (s, n) decodes to exactly the C string name. */
static bool xbl_mpsd__json_body_equals(const char *s, size_t n, const char *name)
{
    size_t i = 0, at = 0;
    char ch[4];
    /* Keys rarely hold escapes: until one, the raw bytes are what
       json_char would decode (the text was validated before it got here). */
    while (i < n && s[i] != '\\') {
        if (name[at] == '\0' || name[at] != s[i]) return false;
        i++;
        at++;
    }
    while (i < n) {
        size_t k = xbl_mpsd__json_char(s, n, &i, ch), j;
        if (k == 0) return false;
        for (j = 0; j < k; j++, at++)   /* an escaped NUL must not run past name's end */
            if (name[at] == '\0' || name[at] != ch[j]) return false;
    }
    return name[at] == '\0';
}

/* The scans' word: the target's register width, so a 32-bit core steps 4
   bytes at a time in 32-bit arithmetic (8-byte words there cost 64-bit
   operations and libgcc's __ctzdi2). A test builds the scans at another
   width by defining XBL_MPSD__WORD first. */
#ifndef XBL_MPSD__WORD
#define XBL_MPSD__WORD size_t
#endif
typedef XBL_MPSD__WORD xbl_mpsd__word;
#define XBL_MPSD__ONES ((xbl_mpsd__word)-1 / 0xFFu)

/* The high bit of each byte of the word at s that is a quote, a
   backslash, a control character or not ASCII; 0 when none is. Bytes
   after the first flagged one may be flagged falsely (borrows), the first
   one never is. */
static xbl_mpsd__word xbl_mpsd__json_special(const char *s)
{
    xbl_mpsd__word x, q, b, t;
    XBL_MPSD_MEMCPY(&x, s, sizeof x);
    q = x ^ (XBL_MPSD__ONES * '"');
    b = x ^ (XBL_MPSD__ONES * '\\');
    t = ((q - XBL_MPSD__ONES) & ~q) | ((b - XBL_MPSD__ONES) & ~b) | x | (x - XBL_MPSD__ONES * 0x20);
    return t & (XBL_MPSD__ONES * 0x80);
}

/* How many plain bytes precede the first flagged one of a nonzero mask: on
   a little-endian target with a count-trailing-zeros builtin, exactly (the
   scans then land on it at once); elsewhere 0, and they go byte by byte. */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define XBL_MPSD__PLAIN_BYTES(m) ((size_t)(sizeof(m) > sizeof(unsigned long) \
    ? __builtin_ctzll((unsigned long long)(m)) : __builtin_ctzl((unsigned long)(m))) >> 3)
#else
#define XBL_MPSD__PLAIN_BYTES(m) ((void)(m), (size_t)0)
#endif

/* Index after the string that opens at s[i] (a '"'), or SIZE_MAX when it is
   malformed: bad escape, unpaired surrogate, raw control character, invalid
   UTF-8, no closing quote. Plain ASCII runs are skipped a word at a time.
   *escaped is set when the string holds an escape. */
static size_t xbl_mpsd__json_string_scan(const char *s, size_t n, size_t i, bool *escaped)
{
    size_t k = i + 1;
    char ch[4];
    for (;;) {
        unsigned char c = 0;
        xbl_mpsd__word m = 0;
        while (n - k >= sizeof m && (m = xbl_mpsd__json_special(s + k)) == 0) k += sizeof m;
        if (m != 0) k += XBL_MPSD__PLAIN_BYTES(m);
        while (k < n && (c = (unsigned char)s[k]) >= 0x20 && c < 0x80 && c != '"' && c != '\\') k++;
        if (k >= n) return SIZE_MAX;
        if (c == '"') return k + 1;
        if (c == '\\') *escaped = true;
        if (xbl_mpsd__json_char(s, n, &k, ch) == 0) return SIZE_MAX;
    }
}

static size_t xbl_mpsd__json_string_end(const char *s, size_t n, size_t i)
{
    bool escaped = false;
    return xbl_mpsd__json_string_scan(s, n, i, &escaped);
}

/* The index after the run of digits starting at k. */
static size_t xbl_mpsd__json_digits(const char *s, size_t n, size_t k)
{
    while (k < n && s[k] >= '0' && s[k] <= '9') k++;
    return k;
}

/* RFC 8259 §6 at s[i]: -? int frac? exp?; the index after it or SIZE_MAX. */
static size_t xbl_mpsd__json_number_end(const char *s, size_t n, size_t k)
{
    size_t end;
    if (k < n && s[k] == '-') k++;
    if (k >= n || s[k] < '0' || s[k] > '9') return SIZE_MAX;
    k = s[k] == '0' ? k + 1 : xbl_mpsd__json_digits(s, n, k);
    if (k < n && s[k] == '.') {
        end = xbl_mpsd__json_digits(s, n, k + 1);
        if (end == k + 1) return SIZE_MAX;
        k = end;
    }
    if (k < n && (s[k] == 'e' || s[k] == 'E')) {
        k++;
        if (k < n && (s[k] == '+' || s[k] == '-')) k++;
        end = xbl_mpsd__json_digits(s, n, k);
        if (end == k) return SIZE_MAX;
        k = end;
    }
    return k;
}

/* A scalar value at s[i] (string, number, true, false, null): the index
   after it, or SIZE_MAX. */
static size_t xbl_mpsd__json_scalar_end(const char *s, size_t n, size_t i)
{
    static const char *const lits[3] = { "true", "false", "null" };
    const char *lit;
    size_t len;
    if (i >= n) return SIZE_MAX;
    switch (s[i]) {
    case '"': return xbl_mpsd__json_string_end(s, n, i);
    case 't': lit = lits[0]; break;
    case 'f': lit = lits[1]; break;
    case 'n': lit = lits[2]; break;
    default: return xbl_mpsd__json_number_end(s, n, i);
    }
    len = xbl_mpsd__strlen(lit);
    return n - i >= len && XBL_MPSD_MEMCMP(s + i, lit, len) == 0 ? i + len : SIZE_MAX;
}

/* An object member's `"key" :` at s[i]: the index of its value, or SIZE_MAX. */
static size_t xbl_mpsd__json_key_end(const char *s, size_t n, size_t i)
{
    if (i >= n || s[i] != '"') return SIZE_MAX;
    i = xbl_mpsd__json_string_end(s, n, i);
    if (i == SIZE_MAX) return i;
    i = xbl_mpsd__json_ws(s, n, i);
    return i < n && s[i] == ':' ? xbl_mpsd__json_ws(s, n, i + 1) : SIZE_MAX;
}

/* Index after the JSON value at s[i] (no leading whitespace), checked
   against the whole grammar; SIZE_MAX when malformed. `depth` containers
   already enclose it; no container may sit XBL_MPSD_JSON_MAX_DEPTH deep.
   Iterative: a bit stack remembers which open containers are objects. */
/* One loop over the JSON grammar's states, kept whole on the hot path (splitting it is the reader's next step). */
/* NOLINTNEXTLINE(readability-function-cognitive-complexity) */
static size_t xbl_mpsd__json_skip(const char *s, size_t n, size_t i, unsigned depth)
{
    uint32_t objects[(XBL_MPSD_JSON_MAX_DEPTH + 31) / 32] = { 0 };
    unsigned d = 0;
    for (;;) {
        if (i < n && (s[i] == '{' || s[i] == '[')) {
            bool obj = s[i] == '{';
            if (depth + d >= XBL_MPSD_JSON_MAX_DEPTH) return SIZE_MAX;
            if (obj) objects[d / 32] |= (uint32_t)1 << (d % 32);
            else objects[d / 32] &= ~((uint32_t)1 << (d % 32));
            d++;
            i = xbl_mpsd__json_ws(s, n, i + 1);
            if (i < n && s[i] == (obj ? '}' : ']')) { d--; i++; }
            else {
                if (obj) i = xbl_mpsd__json_key_end(s, n, i);
                if (i == SIZE_MAX) return i;
                continue;
            }
        } else {
            i = xbl_mpsd__json_scalar_end(s, n, i);
            if (i == SIZE_MAX) return i;
        }
        /* after a value: close what ends here, then the next element */
        for (;;) {
            bool obj;
            if (d == 0) return i;
            obj = (objects[(d - 1) / 32] >> ((d - 1) % 32)) & 1u;
            i = xbl_mpsd__json_ws(s, n, i);
            if (i >= n) return SIZE_MAX;
            if (s[i] == (obj ? '}' : ']')) { d--; i++; continue; }
            if (s[i] != ',') return SIZE_MAX;
            i = xbl_mpsd__json_ws(s, n, i + 1);
            if (obj) i = xbl_mpsd__json_key_end(s, n, i);
            if (i == SIZE_MAX) return i;
            break;
        }
    }
}

/* Checks that text is exactly one JSON value with optional surrounding
   whitespace, and reports where the value itself starts and how long it is. */
static bool xbl_mpsd__json_check(const char *text, size_t n, size_t *start, size_t *len)
{
    size_t b = xbl_mpsd__json_ws(text, n, 0), e = xbl_mpsd__json_skip(text, n, b, 0);
    if (e == SIZE_MAX) return false;
    *start = b;
    *len = e - b;
    return xbl_mpsd__json_ws(text, n, e) == n;
}

/* Iterates the members of a JSON object text known to be valid. Start with
   *i = 0; each call yields the key body (without quotes) and the value. */
static bool xbl_mpsd__json_object_next(const char *s, size_t n, size_t *i,
        const char **key, size_t *key_len, const char **value, size_t *value_len)
{
    size_t k = xbl_mpsd__json_ws(s, n, *i), v;
    if (k < n && (s[k] == '{' || s[k] == ',')) k = xbl_mpsd__json_ws(s, n, k + 1);
    if (k >= n || s[k] != '"') return false;
    v = xbl_mpsd__json_string_end(s, n, k);
    if (v == SIZE_MAX) return false;
    *key = s + k + 1;
    *key_len = v - k - 2;
    v = xbl_mpsd__json_ws(s, n, v);
    v = xbl_mpsd__json_ws(s, n, v + 1);   /* past ':' */
    k = v;
    v = xbl_mpsd__json_skip(s, n, v, 1);
    if (v == SIZE_MAX) return false;
    *value = s + k;
    *value_len = v - k;
    *i = xbl_mpsd__json_ws(s, n, v);
    return true;
}

/* ===========================================================================
   JSON writer: bounded, counts what it would need past the end (like
   snprintf), so one dry run tells the size of any body.
   =========================================================================== */

typedef struct xbl_mpsd__jw {
    char    *buf;
    size_t   cap;
    size_t   len;         /* bytes produced so far, including any past cap */
    uint64_t has_items;   /* bit d: the container at depth d has an element */
    unsigned depth;
    bool     after_key;
} xbl_mpsd__jw;

static void xbl_mpsd__jw_init(xbl_mpsd__jw *w, char *buf, size_t cap)
{
    w->buf = buf; w->cap = cap; w->len = 0; w->has_items = 0; w->depth = 0; w->after_key = false;
}

static void xbl_mpsd__jw_put(xbl_mpsd__jw *w, const char *s, size_t n)
{
    if (w->len < w->cap) {
        size_t room = w->cap - w->len;
        XBL_MPSD_MEMCPY(w->buf + w->len, s, n < room ? n : room);
    }
    w->len = (n > SIZE_MAX - w->len) ? SIZE_MAX : w->len + n;
}

static void xbl_mpsd__jw_before_value(xbl_mpsd__jw *w)
{
    uint64_t bit = (uint64_t)1 << (w->depth & 63u);
    if (w->after_key) { w->after_key = false; return; }
    if (w->depth > 0 && (w->has_items & bit)) xbl_mpsd__jw_put(w, ",", 1);
    w->has_items |= bit;
}

static void xbl_mpsd__jw_open(xbl_mpsd__jw *w, char c)
{
    xbl_mpsd__jw_before_value(w);
    xbl_mpsd__jw_put(w, &c, 1);
    w->depth++;
    w->has_items &= ~((uint64_t)1 << (w->depth & 63u));
}

static void xbl_mpsd__jw_close(xbl_mpsd__jw *w, char c)
{
    w->depth--;
    xbl_mpsd__jw_put(w, &c, 1);
}

static void xbl_mpsd__jw_string_body(xbl_mpsd__jw *w, const char *s, size_t n)
{
    static const char hexd[] = "0123456789abcdef";
    size_t i, run = 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];
        size_t elen = 2;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        xbl_mpsd__jw_put(w, s + run, i - run);
        run = i + 1;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
            esc[4] = hexd[c >> 4]; esc[5] = hexd[c & 15];
            elen = 6;
        }
        xbl_mpsd__jw_put(w, esc, elen);
    }
    xbl_mpsd__jw_put(w, s + run, n - run);
}

static void xbl_mpsd__jw_string(xbl_mpsd__jw *w, const char *s)
{
    xbl_mpsd__jw_before_value(w);
    xbl_mpsd__jw_put(w, "\"", 1);
    xbl_mpsd__jw_string_body(w, s, xbl_mpsd__strlen(s));
    xbl_mpsd__jw_put(w, "\"", 1);
}

static void xbl_mpsd__jw_key(xbl_mpsd__jw *w, const char *key)
{
    xbl_mpsd__jw_string(w, key);
    xbl_mpsd__jw_put(w, ":", 1);
    w->after_key = true;
}

/* A key whose body is already JSON-escaped (copied from a stored object). */
static void xbl_mpsd__jw_raw_key(xbl_mpsd__jw *w, const char *body, size_t n)
{
    xbl_mpsd__jw_before_value(w);
    xbl_mpsd__jw_put(w, "\"", 1);
    xbl_mpsd__jw_put(w, body, n);
    xbl_mpsd__jw_put(w, "\":", 2);
    w->after_key = true;
}

static void xbl_mpsd__jw_raw(xbl_mpsd__jw *w, const char *json, size_t n)
{
    xbl_mpsd__jw_before_value(w);
    xbl_mpsd__jw_put(w, json, n);
}

static size_t xbl_mpsd__u64_to_dec(uint64_t v, char out[20])
{
    char tmp[20];
    size_t n = 0, i;
    do { tmp[n++] = (char)('0' + (int)(v % 10)); v /= 10; } while (v);
    for (i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    return n;
}

static void xbl_mpsd__jw_u64(xbl_mpsd__jw *w, uint64_t v)
{
    char d[20];
    xbl_mpsd__jw_raw(w, d, xbl_mpsd__u64_to_dec(v, d));
}

/* XUIDs travel as decimal strings (MPSD §9 item 1). */
static void xbl_mpsd__jw_xuid(xbl_mpsd__jw *w, uint64_t v)
{
    char d[22];
    size_t n = xbl_mpsd__u64_to_dec(v, d + 1);
    d[0] = '"'; d[n + 1] = '"';
    xbl_mpsd__jw_raw(w, d, n + 2);
}

static void xbl_mpsd__jw_bool(xbl_mpsd__jw *w, bool v)
{
    xbl_mpsd__jw_raw(w, v ? "true" : "false", v ? 4 : 5);
}

/* Timeouts of 2^52 ms and more are infinite and written as null (MPSD §3.2). */
static void xbl_mpsd__jw_timeout(xbl_mpsd__jw *w, uint64_t v)
{
    if (v >= ((uint64_t)1 << 52)) xbl_mpsd__jw_raw(w, "null", 4);
    else xbl_mpsd__jw_u64(w, v);
}

/* ===========================================================================
   Internal contracts between the sections below
   =========================================================================== */

/* Session state bits (xbl_mpsd_session.state). */
#define XBL_MPSD__STATE_DOCUMENT  0x1u   /* has a document */
#define XBL_MPSD__STATE_SERVICE   0x2u   /* filled from a response (else local) */
#define XBL_MPSD__STATE_JOINED    0x4u   /* join called on this object */
#define XBL_MPSD__STATE_LEFT      0x8u   /* leave called on this object */

/* What the next write sends (xbl_mpsd_session.dirty). Constants are sent
   as one block; the C_* bits say which optional groups of it were set. */
#define XBL_MPSD__DIRTY_CONSTANTS            (1u << 0)
#define XBL_MPSD__DIRTY_C_TIMEOUTS           (1u << 1)
#define XBL_MPSD__DIRTY_C_METRICS            (1u << 2)
#define XBL_MPSD__DIRTY_C_MEMBER_INIT        (1u << 3)
#define XBL_MPSD__DIRTY_C_PEER_TO_PEER       (1u << 4)
#define XBL_MPSD__DIRTY_C_PEER_TO_HOST       (1u << 5)
#define XBL_MPSD__DIRTY_C_MEASUREMENT        (1u << 6)
#define XBL_MPSD__DIRTY_ROLE_TYPES           (1u << 7)
#define XBL_MPSD__DIRTY_KEYWORDS             (1u << 8)
#define XBL_MPSD__DIRTY_JOIN_RESTRICTION     (1u << 9)
#define XBL_MPSD__DIRTY_READ_RESTRICTION     (1u << 10)
#define XBL_MPSD__DIRTY_TURN                 (1u << 11)
#define XBL_MPSD__DIRTY_MM_TARGET_CONSTANTS  (1u << 12)
#define XBL_MPSD__DIRTY_MM_CONNECTION        (1u << 13)
#define XBL_MPSD__DIRTY_CANDIDATES           (1u << 14)
#define XBL_MPSD__DIRTY_HOST                 (1u << 15)
#define XBL_MPSD__DIRTY_CLOSED               (1u << 16)
#define XBL_MPSD__DIRTY_LOCKED               (1u << 17)
#define XBL_MPSD__DIRTY_ALLOCATE_CLOUD       (1u << 18)
#define XBL_MPSD__DIRTY_MM_RESUBMIT          (1u << 19)
#define XBL_MPSD__DIRTY_INIT_SUCCEEDED       (1u << 20)
#define XBL_MPSD__DIRTY_CUSTOM               (1u << 21)
#define XBL_MPSD__DIRTY_SERVERS              (1u << 22)

/* What members.me sends (xbl_mpsd_session.me_dirty). */
#define XBL_MPSD__ME_STATUS                  (1u << 0)
#define XBL_MPSD__ME_SECURE_DEVICE_ADDRESS   (1u << 1)
#define XBL_MPSD__ME_ROLES                   (1u << 2)
#define XBL_MPSD__ME_INITIALIZATION_GROUP    (1u << 3)
#define XBL_MPSD__ME_GROUPS                  (1u << 4)
#define XBL_MPSD__ME_ENCOUNTERS              (1u << 5)
#define XBL_MPSD__ME_MEASUREMENTS            (1u << 6)
#define XBL_MPSD__ME_SERVER_MEASUREMENTS     (1u << 7)
#define XBL_MPSD__ME_CUSTOM                  (1u << 8)
#define XBL_MPSD__ME_SUBSCRIPTION            (1u << 9)

/* What a response says about the session it carries. */
typedef struct xbl_mpsd__response_meta {
    uint64_t                          xuid;         /* the client's user: current-user XUID */
    const xbl_mpsd_session_reference *reference;    /* reference of the delivered session */
    const char                       *etag;         /* ETag header bytes (need not be NUL-terminated) */
    size_t                            etag_len;
    time_t                            date;         /* Date header, 0 when absent */
    xbl_mpsd_write_session_status     write_status; /* UNKNOWN for reads */
} xbl_mpsd__response_meta;

static void xbl_mpsd__session_reset(xbl_mpsd_session *s, unsigned char *arena, size_t arena_size);
static void xbl_mpsd__session_new_subscription_id(xbl_mpsd_session *s);
static void xbl_mpsd__session_mark_current_user(xbl_mpsd_session *s);

/* Serializer: writes the body of the next write (only marked changes, `{}`
   when none) into buf. OK with *len set; XBL_MPSD_E_OUTOFMEMORY with *len =
   the size that would fit when cap is too small. */
static xbl_mpsd_result xbl_mpsd__session_write_body(const xbl_mpsd_session *s, char *buf, size_t cap, size_t *len);

/* Response reader: parses a session document into out (a service session
   per API.md §6). XBL_MPSD_E_INVALID_JSON_STRING for a body that is not a
   valid document (§6.3), XBL_MPSD_E_OUTOFMEMORY when out's arena or the
   scratch buffer is too small (*scratch_needed tells the scratch bytes it
   needs, 0 when only the arena was short). On failure out is untouched. */
static xbl_mpsd_result xbl_mpsd__session_load(xbl_mpsd_session *out,
        const char *body, size_t body_len, const xbl_mpsd__response_meta *meta,
        void *scratch, size_t scratch_size, size_t *scratch_needed, size_t *arena_needed);

/* A result with no session (204, 412 without body, empty 200/201): out keeps
   its arena, loses its document and records the write status. */
static void xbl_mpsd__session_set_no_document(xbl_mpsd_session *out, xbl_mpsd_write_session_status status);

const char *xbl_mpsd_version(void) { return XBL_MPSD_VERSION_STRING; }


/* ===========================================================================
   Session model: lifecycle
   =========================================================================== */

static void xbl_mpsd__session_reset(xbl_mpsd_session *s, unsigned char *arena, size_t arena_size)
{
    XBL_MPSD_MEMSET(s, 0, sizeof *s);
    s->arena.base = arena;
    s->arena.size = arena_size;
    s->etag = "";
    s->raw_servers_json = "";
    s->constants.custom_json = "";
    s->constants.session_cloud_compute_package_constants_json = "";
    s->constants.measurement_server_addresses_json = "";
    s->properties.matchmaking_target_session_constants_json = "";
    s->properties.session_custom_properties_json = "{}";
    s->custom_changes = "{}";
    s->me_custom_changes = "{}";
    s->properties.matchmaking_server_connection_string = "";
    s->matchmaking_server.status_details = "";
    s->joined_index = SIZE_MAX;
    s->write_status = XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN;
    s->initialization.stage = XBL_MPSD_INITIALIZATION_STAGE_UNKNOWN;
}

/* splitmix64's finalizer: spreads every input bit over the whole output. */
static uint64_t xbl_mpsd__mix64(uint64_t z)
{
    z += UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* The subscription ID only has to be unique per session object, not secret:
   the default mixes the XUID, the object's address and a per-object counter
   (splitmix64). A platform with a real random source defines
   XBL_MPSD_RANDOM_U64(session) to use it. */
static uint64_t xbl_mpsd__random_u64(xbl_mpsd_session *s)
{
#ifdef XBL_MPSD_RANDOM_U64
    s->random_counter++;
    return XBL_MPSD_RANDOM_U64(s);
#else
    return xbl_mpsd__mix64(s->xuid ^ (uint64_t)(uintptr_t)s ^ ((uint64_t)(++s->random_counter) << 32)
                           ^ (uint64_t)(uintptr_t)s->arena.base);
#endif
}

static void xbl_mpsd__session_new_subscription_id(xbl_mpsd_session *s)
{
    static const char hexd[] = "0123456789ABCDEF";
    uint64_t hi = xbl_mpsd__random_u64(s), lo = xbl_mpsd__random_u64(s);
    unsigned char b[16];
    size_t i, o = 0;
    for (i = 0; i < 8; i++) { b[i] = (unsigned char)(hi >> (56 - 8 * i)); b[8 + i] = (unsigned char)(lo >> (56 - 8 * i)); }
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);   /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);   /* RFC 4122 variant */
    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) s->subscription_id[o++] = '-';
        s->subscription_id[o++] = hexd[b[i] >> 4];
        s->subscription_id[o++] = hexd[b[i] & 15];
    }
    s->subscription_id[o] = '\0';
}

/* Index of the current user (API.md §1.5), or SIZE_MAX. */
static size_t xbl_mpsd__current_index(const xbl_mpsd_session *s)
{
    size_t i, found = SIZE_MAX;
    if (s->joined_index != SIZE_MAX) return s->joined_index;
    for (i = 0; i < s->document_members_count; i++)
        if (s->members[i].xuid == s->xuid) found = i;
    return found;
}

static void xbl_mpsd__session_mark_current_user(xbl_mpsd_session *s)
{
    size_t i, cur = xbl_mpsd__current_index(s);
    for (i = 0; i < s->members_count; i++) s->members[i].is_current_user = (i == cur);
}

static void xbl_mpsd__session_set_no_document(xbl_mpsd_session *out, xbl_mpsd_write_session_status status)
{
    uint64_t xuid = out->xuid;
    xbl_mpsd__session_reset(out, out->arena.base, out->arena.size);
    out->xuid = xuid;
    out->write_status = status;
}

static bool xbl_mpsd__has_doc(const xbl_mpsd_session *s)
{
    return s != NULL && (s->state & XBL_MPSD__STATE_DOCUMENT) != 0;
}


/* Copies of caller data into an arena. Each returns what to store; in
   measure mode or on failure that is a harmless value ("" or NULL) and the
   arena's sticky flag tells the caller. */
static const char *const *xbl_mpsd__dup_strs(xbl_mpsd__arena *a, const char *const *v, size_t n)
{
    const char **out = XBL_MPSD__ALLOC_ARRAY(a, const char *, n ? n : 1);
    size_t i;
    for (i = 0; i < n; i++) {
        const char *c = xbl_mpsd__arena_str(a, v[i]);
        if (out) out[i] = c;
    }
    return out;
}

static void *xbl_mpsd__dup_bytes(xbl_mpsd__arena *a, const void *p, size_t size)
{
    void *d = xbl_mpsd__arena_alloc(a, size ? size : 1, XBL_MPSD__ALIGN);
    if (d && size) XBL_MPSD_MEMCPY(d, p, size);
    return d;
}

static const uint32_t *xbl_mpsd__dup_u32s(xbl_mpsd__arena *a, const uint32_t *v, size_t n)
{
    return (const uint32_t *)xbl_mpsd__dup_bytes(a, v, n > SIZE_MAX / 4 ? SIZE_MAX : n * 4);
}

/* Ends a setter's allocations: on failure the arena goes back to `mark`, so
   the session is exactly as before the call. */
static xbl_mpsd_result xbl_mpsd__arena_settle(xbl_mpsd__arena *a, size_t mark)
{
    if (!a->failed) return XBL_MPSD_OK;
    a->used = mark;
    a->failed = false;
    return XBL_MPSD_E_OUTOFMEMORY;
}

/* A caller JSON text: valid, trimmed of surrounding whitespace. */
static bool xbl_mpsd__json_arg(const char *text, const char **value, size_t *len)
{
    size_t start;
    if (!xbl_mpsd__json_check(text, xbl_mpsd__strlen(text), &start, len)) return false;
    *value = text + start;
    return true;
}

/* The service answers 400 to these where it wants an object (custom
   constants, measurements, servers, ...), so they are refused here. */
static bool xbl_mpsd__json_object_arg(const char *text, const char **value, size_t *len)
{
    return xbl_mpsd__json_arg(text, value, len) && (*value)[0] == '{';
}

const char *xbl_mpsd_json_argument_error(const char *json_text, bool object_required)
{
    const char *v;
    size_t n;
    if (json_text == NULL) return "NULL where JSON text is required";
    if (!xbl_mpsd__json_arg(json_text, &v, &n))
        return "not one JSON value (RFC 8259 grammar, UTF-8, escapes, nesting within XBL_MPSD_JSON_MAX_DEPTH)";
    if (object_required && v[0] != '{') return "valid JSON but not an object; a JSON object ({...}) is required here";
    return NULL;
}

static const char *xbl_mpsd__dup_json_arg(xbl_mpsd__arena *a, const char *text)
{
    const char *v;
    size_t n;
    if (!xbl_mpsd__json_arg(text, &v, &n)) return NULL;
    return xbl_mpsd__arena_strn(a, v, n);
}

/* ===========================================================================
   Session references and URIs
   =========================================================================== */

/* The one rule for a name that goes into a request path (SCID, template,
   session name, handle ID): 1 to cap - 1 characters from [A-Za-z0-9._-].
   The service publishes no grammar; these are the characters every known
   name uses, and XSAPI pastes names into the path unescaped, so anything
   else (/ ? # % ~, space, controls, non-ASCII) could change the request.
   The SCID is not required to be GUID-shaped: test rigs use "MockScid". */
static bool xbl_mpsd__path_name_ok(const char *s, size_t cap)
{
    size_t n = xbl_mpsd__strnlen(s, cap), i;
    if (n == 0 || n >= cap) return false;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* A field of a new reference: the argument when it follows the rule, else "". */
static void xbl_mpsd__reference_field(char *dst, size_t cap, const char *src)
{
    if (src != NULL && xbl_mpsd__path_name_ok(src, cap)) (void)xbl_mpsd__copy_fixed(dst, cap, src);
}

xbl_mpsd_session_reference xbl_mpsd_session_reference_create(
    const char *scid, const char *session_template_name, const char *session_name)
{
    xbl_mpsd_session_reference r;
    XBL_MPSD_MEMSET(&r, 0, sizeof r);
    xbl_mpsd__reference_field(r.scid, sizeof r.scid, scid);
    xbl_mpsd__reference_field(r.session_template_name, sizeof r.session_template_name, session_template_name);
    xbl_mpsd__reference_field(r.session_name, sizeof r.session_name, session_name);
    return r;
}

static bool xbl_mpsd__reference_terminated(const xbl_mpsd_session_reference *r)
{
    return xbl_mpsd__strnlen(r->scid, sizeof r->scid) < sizeof r->scid
        && xbl_mpsd__strnlen(r->session_template_name, sizeof r->session_template_name) < sizeof r->session_template_name
        && xbl_mpsd__strnlen(r->session_name, sizeof r->session_name) < sizeof r->session_name;
}

bool xbl_mpsd_session_reference_is_valid(const xbl_mpsd_session_reference *r)
{
    return r != NULL && xbl_mpsd__path_name_ok(r->scid, sizeof r->scid)
        && xbl_mpsd__path_name_ok(r->session_template_name, sizeof r->session_template_name)
        && xbl_mpsd__path_name_ok(r->session_name, sizeof r->session_name);
}

/* All three fields empty: the same as no reference (a session written by handle). */
static bool xbl_mpsd__reference_empty(const xbl_mpsd_session_reference *r)
{
    return r->scid[0] == '\0' && r->session_template_name[0] == '\0' && r->session_name[0] == '\0';
}

xbl_mpsd_result xbl_mpsd_session_reference_parse_from_uri_path(
    const char *path, xbl_mpsd_session_reference *session_reference)
{
    xbl_mpsd_session_reference r;
    size_t i = 0, piece = 0;
    if (path == NULL || session_reference == NULL) return XBL_MPSD_E_INVALIDARG;
    XBL_MPSD_MEMSET(&r, 0, sizeof r);
    while (path[i] != '\0' && piece < 6) {
        size_t start, len;
        char *dst = NULL;
        size_t cap = 0;
        while (path[i] == '/') i++;
        if (path[i] == '\0') break;
        start = i;
        while (path[i] != '\0' && path[i] != '/') i++;
        len = i - start;
        if (piece == 1) { dst = r.scid; cap = sizeof r.scid; }
        else if (piece == 3) { dst = r.session_template_name; cap = sizeof r.session_template_name; }
        else if (piece == 5) { dst = r.session_name; cap = sizeof r.session_name; }
        if (dst) {
            if (len >= cap) return XBL_MPSD_E_INVALIDARG;
            XBL_MPSD_MEMCPY(dst, path + start, len);
            dst[len] = '\0';
        }
        piece++;
    }
    if (piece < 6) return XBL_MPSD_E_INVALIDARG;
    *session_reference = r;
    return XBL_MPSD_OK;
}

static size_t xbl_mpsd__append(char *dst, size_t at, const char *s)
{
    size_t n = xbl_mpsd__strlen(s);
    XBL_MPSD_MEMCPY(dst + at, s, n);
    return at + n;
}

xbl_mpsd_result xbl_mpsd_session_reference_to_uri_path(
    const xbl_mpsd_session_reference *session_reference,
    xbl_mpsd_session_reference_uri *session_reference_uri)
{
    size_t at = 0;
    char *out;
    if (session_reference == NULL || session_reference_uri == NULL
        || !xbl_mpsd__reference_terminated(session_reference)) return XBL_MPSD_E_INVALIDARG;
    out = session_reference_uri->value;
    at = xbl_mpsd__append(out, at, "/serviceconfigs/");
    at = xbl_mpsd__append(out, at, session_reference->scid);
    at = xbl_mpsd__append(out, at, "/sessiontemplates/");
    at = xbl_mpsd__append(out, at, session_reference->session_template_name);
    at = xbl_mpsd__append(out, at, "/sessions/");
    at = xbl_mpsd__append(out, at, session_reference->session_name);
    out[at] = '\0';
    return XBL_MPSD_OK;
}

/* ===========================================================================
   Session model: init, copy, clear
   =========================================================================== */

/* An enum value from the caller within 0..max. Passed as int because where
   enums are short and unsigned (arm-none-eabi's default) a direct v >= 0
   is always true and draws -Wtype-limits. */
static bool xbl_mpsd__enum_in_range(int v, int max)
{
    return v >= 0 && v <= max;
}

static bool xbl_mpsd__visibility_ok(xbl_mpsd_session_visibility v)
{
    return xbl_mpsd__enum_in_range((int)v, 5);
}

static void xbl_mpsd__sort_u64(uint64_t *v, size_t n)
{
    size_t i, j;
    for (i = 1; i < n; i++) {
        uint64_t x = v[i];
        for (j = i; j > 0 && v[j - 1] > x; j--) v[j] = v[j - 1];
        v[j] = x;
    }
}

static void xbl_mpsd__apply_init_args(xbl_mpsd_session *s, const xbl_mpsd_session_init_args *args)
{
    s->dirty |= XBL_MPSD__DIRTY_CONSTANTS;
    s->constants.max_members_in_session = args->max_members_in_session;
    s->constants.visibility = args->visibility;
    if (args->initiator_xuids_count > 0) {
        uint64_t *x = (uint64_t *)xbl_mpsd__dup_bytes(&s->arena, args->initiator_xuids,
                args->initiator_xuids_count > SIZE_MAX / 8 ? SIZE_MAX : args->initiator_xuids_count * 8);
        if (x) xbl_mpsd__sort_u64(x, args->initiator_xuids_count);
        s->constants.initiator_xuids = x;
        s->constants.initiator_xuids_count = x ? args->initiator_xuids_count : 0;
    }
    if (args->custom_json != NULL && args->custom_json[0] != '\0')
        s->constants.custom_json = xbl_mpsd__dup_json_arg(&s->arena, args->custom_json);
}

static xbl_mpsd_result xbl_mpsd__check_init_args(const xbl_mpsd_session_init_args *args)
{
    const char *v;
    size_t n;
    if (args == NULL) return XBL_MPSD_OK;
    if (!xbl_mpsd__visibility_ok(args->visibility)) return XBL_MPSD_E_INVALIDARG;
    if (args->initiator_xuids_count > 0 && args->initiator_xuids == NULL) return XBL_MPSD_E_INVALIDARG;
    if (args->custom_json != NULL && args->custom_json[0] != '\0'
            && !xbl_mpsd__json_object_arg(args->custom_json, &v, &n))
        return XBL_MPSD_E_INVALID_JSON_STRING;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_init(
    xbl_mpsd_session *session, uint64_t xuid,
    const xbl_mpsd_session_reference *session_reference,
    const xbl_mpsd_session_init_args *init_args,
    void *arena, size_t arena_size)
{
    xbl_mpsd_result rc;
    if (session == NULL) return XBL_MPSD_E_INVALIDARG;
    XBL_MPSD_MEMSET(session, 0, sizeof *session);
    if (arena == NULL || (session_reference && !xbl_mpsd__reference_empty(session_reference)
            && !xbl_mpsd_session_reference_is_valid(session_reference)))
        return XBL_MPSD_E_INVALIDARG;
    rc = xbl_mpsd__check_init_args(init_args);
    if (rc != XBL_MPSD_OK) return rc;
    xbl_mpsd__session_reset(session, (unsigned char *)arena, arena_size);
    session->xuid = xuid;
    session->state = XBL_MPSD__STATE_DOCUMENT;
    if (session_reference) session->reference = *session_reference;
    if (init_args) xbl_mpsd__apply_init_args(session, init_args);
    if (session->arena.failed) {
        XBL_MPSD_MEMSET(session, 0, sizeof *session);
        return XBL_MPSD_E_OUTOFMEMORY;
    }
    xbl_mpsd__session_new_subscription_id(session);
    return XBL_MPSD_OK;
}

/* ---- every arena pointer a session holds, in one list for the copy
   (xbl_mpsd__clone) and the one walk's move (xbl_mpsd__session_load_direct),
   so a pointer field added to the session is copied and moved alike. Each
   slot goes to xbl_mpsd__slot with what it points at (a direct call, not
   a function pointer: the static stack figures see it); an array's
   elements are visited through the slot as that step left it (the copy,
   once made). The order is the copy's arena layout. A role's role_type is
   not a slot: it points at its owner, set by xbl_mpsd__link_role_owners
   once the types sit where they stay. ---- */

/* What a slot points at. */
enum {
    XBL_MPSD__P_TEXT,         /* a NUL-terminated string */
    XBL_MPSD__P_TEXTS,        /* n strings: the pointer array, then each string */
    XBL_MPSD__P_BYTES,        /* n elements of size bytes (1 byte when n is 0) */
    XBL_MPSD__P_ARRAY,        /* n structs of size bytes (at least one) */
    XBL_MPSD__P_KIND = 0x0F,
    XBL_MPSD__P_ALWAYS = 0x10 /* a block (BYTES, ARRAY) given storage even when NULL */
};

/* The copy's step: what the slot points at, copied into the arena and
   the slot pointed at the copy. A measuring arena only counts, and writes
   nothing, not even the slot. */
static void xbl_mpsd__copy_slot(xbl_mpsd__arena *a, void *slot, unsigned kind, size_t n, size_t size)
{
    const void *p;
    const void *copy;
    unsigned what = kind & XBL_MPSD__P_KIND;
    bool text = what == XBL_MPSD__P_TEXT || what == XBL_MPSD__P_TEXTS;
    XBL_MPSD_MEMCPY(&p, slot, sizeof p);
    if (p == NULL && (text || !(kind & XBL_MPSD__P_ALWAYS))) return;   /* only blocks get room for NULL */
    if (what == XBL_MPSD__P_TEXT) {
        copy = xbl_mpsd__arena_str(a, (const char *)p);
    } else if (what == XBL_MPSD__P_TEXTS) {
        copy = xbl_mpsd__dup_strs(a, (const char *const *)p, n);
    } else {
        /* an empty block still gets room: one element of an array, one byte else */
        size_t bytes = n > SIZE_MAX / size ? SIZE_MAX : n * size;
        void *d = xbl_mpsd__arena_alloc(a, bytes ? bytes : what == XBL_MPSD__P_ARRAY ? size : 1, XBL_MPSD__ALIGN);
        if (d != NULL && p != NULL && bytes > 0) XBL_MPSD_MEMCPY(d, p, bytes);
        copy = d;
    }
    if (!a->measure) XBL_MPSD_MEMCPY(slot, &copy, sizeof copy);
}

/* The one walk's block in pieces, and where each piece was copied to. */
typedef struct xbl_mpsd__move {
    uintptr_t      lo[3], hi[3];   /* the pieces of the block */
    unsigned char *to[3];          /* where each one's copy starts */
} xbl_mpsd__move;

/* The pointer stored at slot, moved to the copy when it points into the block. */
static void xbl_mpsd__move_ptr(const xbl_mpsd__move *mv, void *slot)
{
    const unsigned char *p;
    unsigned k;
    XBL_MPSD_MEMCPY(&p, slot, sizeof p);
    for (k = 0; k < 3; k++) {
        if ((uintptr_t)p >= mv->lo[k] && (uintptr_t)p < mv->hi[k]) {
            p = mv->to[k] + ((uintptr_t)p - mv->lo[k]);
            XBL_MPSD_MEMCPY(slot, &p, sizeof p);
            return;
        }
    }
}

/* The move's step: the slot, and a string array's strings, moved. */
static void xbl_mpsd__move_slot(const xbl_mpsd__move *mv, void *slot, unsigned kind, size_t n)
{
    const char **strs;
    size_t i;
    xbl_mpsd__move_ptr(mv, slot);
    if ((kind & XBL_MPSD__P_KIND) != XBL_MPSD__P_TEXTS) return;
    XBL_MPSD_MEMCPY(&strs, slot, sizeof strs);
    for (i = 0; strs != NULL && i < n; i++) xbl_mpsd__move_ptr(mv, &strs[i]);
}

/* What a walk over the slots does at each: copy (into copy_to) or move. */
typedef struct xbl_mpsd__slots {
    xbl_mpsd__arena      *copy_to;
    const xbl_mpsd__move *move;
} xbl_mpsd__slots;

static void xbl_mpsd__slot(const xbl_mpsd__slots *v, void *slot, unsigned kind, size_t n, size_t size)
{
    if (v->move != NULL) xbl_mpsd__move_slot(v->move, slot, kind, n);
    else xbl_mpsd__copy_slot(v->copy_to, slot, kind, n, size);
}

static void xbl_mpsd__member_pointers(xbl_mpsd_session_member *m, const xbl_mpsd__slots *v)
{
    size_t i;
    xbl_mpsd__slot(v, &m->initial_team, XBL_MPSD__P_TEXT, 0, 0);
    xbl_mpsd__slot(v, &m->custom_constants_json, XBL_MPSD__P_TEXT, 0, 0);
    xbl_mpsd__slot(v, &m->secure_device_base_address64, XBL_MPSD__P_TEXT, 0, 0);
    xbl_mpsd__slot(v, &m->custom_properties_json, XBL_MPSD__P_TEXT, 0, 0);
    xbl_mpsd__slot(v, &m->matchmaking_result_server_measurements_json, XBL_MPSD__P_TEXT, 0, 0);
    xbl_mpsd__slot(v, &m->server_measurements_json, XBL_MPSD__P_TEXT, 0, 0);
    xbl_mpsd__slot(v, &m->qos_measurements_json, XBL_MPSD__P_TEXT, 0, 0);
    xbl_mpsd__slot(v, &m->members_in_group_ids, XBL_MPSD__P_BYTES, m->members_in_group_count, sizeof(uint32_t));
    xbl_mpsd__slot(v, &m->groups, XBL_MPSD__P_TEXTS, m->groups_count, 0);
    xbl_mpsd__slot(v, &m->encounters, XBL_MPSD__P_TEXTS, m->encounters_count, 0);
    xbl_mpsd__slot(v, &m->roles, XBL_MPSD__P_ARRAY, m->roles_count, sizeof *m->roles);
    for (i = 0; m->roles != NULL && i < m->roles_count; i++) {
        xbl_mpsd_session_member_role *role = (xbl_mpsd_session_member_role *)(uintptr_t)&m->roles[i];
        xbl_mpsd__slot(v, &role->role_type_name, XBL_MPSD__P_TEXT, 0, 0);
        xbl_mpsd__slot(v, &role->role_name, XBL_MPSD__P_TEXT, 0, 0);
    }
}

static void xbl_mpsd__role_type_pointers(xbl_mpsd_session *s, const xbl_mpsd__slots *v)
{
    size_t t, k;
    xbl_mpsd__slot(v, &s->role_types, XBL_MPSD__P_ARRAY, s->role_types_count, sizeof *s->role_types);
    for (t = 0; s->role_types != NULL && t < s->role_types_count; t++) {
        xbl_mpsd_role_type *type = &s->role_types[t];
        xbl_mpsd__slot(v, &type->roles, XBL_MPSD__P_ARRAY | XBL_MPSD__P_ALWAYS, type->role_count, sizeof *type->roles);
        xbl_mpsd__slot(v, &type->name, XBL_MPSD__P_TEXT, 0, 0);
        for (k = 0; type->roles != NULL && k < type->role_count; k++) {
            xbl_mpsd_role *role = (xbl_mpsd_role *)(uintptr_t)&type->roles[k];
            xbl_mpsd__slot(v, &role->name, XBL_MPSD__P_TEXT, 0, 0);
            xbl_mpsd__slot(v, &role->member_xuids, XBL_MPSD__P_BYTES | XBL_MPSD__P_ALWAYS, role->member_count, sizeof(uint64_t));
        }
    }
}

static void xbl_mpsd__session_pointers(xbl_mpsd_session *s, const xbl_mpsd__slots *v)
{
    xbl_mpsd_session_constants *c = &s->constants;
    xbl_mpsd_session_properties *p = &s->properties;
    size_t i;
    xbl_mpsd__slot(v, &s->etag, XBL_MPSD__P_TEXT, 0, 0);
    xbl_mpsd__slot(v, &s->raw_servers_json, XBL_MPSD__P_TEXT, 0, 0);
    xbl_mpsd__slot(v, &c->initiator_xuids, XBL_MPSD__P_BYTES, c->initiator_xuids_count, sizeof(uint64_t));
    xbl_mpsd__slot(v, &c->custom_json, XBL_MPSD__P_TEXT, 0, 0);
    xbl_mpsd__slot(v, &c->session_cloud_compute_package_constants_json, XBL_MPSD__P_TEXT, 0, 0);
    xbl_mpsd__slot(v, &c->measurement_server_addresses_json, XBL_MPSD__P_TEXT, 0, 0);
    xbl_mpsd__slot(v, &p->keywords, XBL_MPSD__P_TEXTS, p->keyword_count, 0);
    xbl_mpsd__slot(v, &p->turn_collection, XBL_MPSD__P_BYTES, p->turn_collection_count, sizeof(uint32_t));
    xbl_mpsd__slot(v, &p->matchmaking_target_session_constants_json, XBL_MPSD__P_TEXT, 0, 0);
    xbl_mpsd__slot(v, &p->session_custom_properties_json, XBL_MPSD__P_TEXT, 0, 0);
    xbl_mpsd__slot(v, &p->matchmaking_server_connection_string, XBL_MPSD__P_TEXT, 0, 0);
    xbl_mpsd__slot(v, &p->server_connection_string_candidates, XBL_MPSD__P_TEXTS, p->server_connection_string_candidates_count, 0);
    xbl_mpsd__slot(v, &p->session_owner_member_ids, XBL_MPSD__P_BYTES, p->session_owner_member_ids_count, sizeof(uint32_t));
    xbl_mpsd__slot(v, &s->custom_changes, XBL_MPSD__P_TEXT, 0, 0);
    xbl_mpsd__slot(v, &s->me_custom_changes, XBL_MPSD__P_TEXT, 0, 0);
    xbl_mpsd__slot(v, &s->matchmaking_server.status_details, XBL_MPSD__P_TEXT, 0, 0);
    xbl_mpsd__slot(v, &s->host_candidates, XBL_MPSD__P_BYTES, s->host_candidates_count, sizeof *s->host_candidates);
    xbl_mpsd__role_type_pointers(s, v);
    xbl_mpsd__slot(v, &s->members, XBL_MPSD__P_ARRAY, s->members_count, sizeof *s->members);
    for (i = 0; s->members != NULL && i < s->members_count; i++) xbl_mpsd__member_pointers(&s->members[i], v);
}

/* Each role points at the role type that holds it. */
static void xbl_mpsd__link_role_owners(xbl_mpsd_session *s)
{
    size_t t, k;
    for (t = 0; s->role_types != NULL && t < s->role_types_count; t++)
        for (k = 0; s->role_types[t].roles != NULL && k < s->role_types[t].role_count; k++)
            ((xbl_mpsd_role *)(uintptr_t)&s->role_types[t].roles[k])->role_type = &s->role_types[t];
}

/* Deep-copies src into dst, its strings and arrays into the empty arena
   a. dst NULL only measures: the walk then goes over src itself, which a
   measuring arena never writes, so the dry run needs no scratch session. */
static void xbl_mpsd__clone(xbl_mpsd__arena *a, xbl_mpsd_session *dst, const xbl_mpsd_session *src)
{
    xbl_mpsd__slots copy;
    copy.copy_to = a;
    copy.move = NULL;
    if (dst == NULL) {
        XBL_MPSD_ASSERT(a->measure);
        xbl_mpsd__session_pointers((xbl_mpsd_session *)(uintptr_t)src, &copy);
        return;
    }
    *dst = *src;
    xbl_mpsd__session_pointers(dst, &copy);
    xbl_mpsd__link_role_owners(dst);
    dst->arena = *a;
    if (src->constants.member_initialization) dst->constants.member_initialization = &dst->member_initialization;
}

static bool xbl_mpsd__overlap(const xbl_mpsd__arena *a, const xbl_mpsd__arena *b)
{
    uintptr_t a0 = (uintptr_t)a->base, b0 = (uintptr_t)b->base;
    return a0 < b0 + b->size && b0 < a0 + a->size;
}

xbl_mpsd_result xbl_mpsd_session_copy(xbl_mpsd_session *dst, const xbl_mpsd_session *src)
{
    xbl_mpsd__arena a;
    if (dst == NULL || src == NULL) return XBL_MPSD_E_INVALIDARG;
    if (dst == src) return XBL_MPSD_OK;
    if (!xbl_mpsd__has_doc(src) || dst->arena.base == NULL || xbl_mpsd__overlap(&dst->arena, &src->arena))
        return XBL_MPSD_E_INVALIDARG;
    XBL_MPSD_MEMSET(&a, 0, sizeof a);
    a.base = dst->arena.base;
    a.size = dst->arena.size;
    a.measure = true;
    xbl_mpsd__clone(&a, NULL, src);
    if (a.failed) return XBL_MPSD_E_OUTOFMEMORY;
    a.used = 0;
    a.measure = false;
    xbl_mpsd__clone(&a, dst, src);
    XBL_MPSD_ASSERT(!dst->arena.failed);
    return XBL_MPSD_OK;
}

void xbl_mpsd_session_clear(xbl_mpsd_session *session)
{
    if (session) XBL_MPSD_MEMSET(session, 0, sizeof *session);
}

bool xbl_mpsd_session_has_document(const xbl_mpsd_session *session)
{
    return xbl_mpsd__has_doc(session);
}


/* ===========================================================================
   Session model: getters
   =========================================================================== */

time_t xbl_mpsd_session_time_of_session(const xbl_mpsd_session *session)
{
    return xbl_mpsd__has_doc(session) ? session->time_of_session : 0;
}

const xbl_mpsd_session_initialization_info *xbl_mpsd_session_get_initialization_info(const xbl_mpsd_session *session)
{
    return xbl_mpsd__has_doc(session) ? &session->initialization : NULL;
}

xbl_mpsd_session_change_types xbl_mpsd_session_subscribed_change_types(const xbl_mpsd_session *session)
{
    if (!xbl_mpsd__has_doc(session) || xbl_mpsd__current_index(session) == SIZE_MAX)
        return XBL_MPSD_SESSION_CHANGE_TYPES_NONE;
    return session->subscription_change_types;
}

xbl_mpsd_result xbl_mpsd_session_host_candidates(const xbl_mpsd_session *session,
    const xbl_mpsd_device_token **device_tokens, size_t *device_tokens_count)
{
    if (!xbl_mpsd__has_doc(session) || device_tokens == NULL || device_tokens_count == NULL)
        return XBL_MPSD_E_INVALIDARG;
    *device_tokens = session->host_candidates;
    *device_tokens_count = session->host_candidates_count;
    return XBL_MPSD_OK;
}

const xbl_mpsd_session_reference *xbl_mpsd_session_session_reference(const xbl_mpsd_session *session)
{
    return xbl_mpsd__has_doc(session) ? &session->reference : NULL;
}

const xbl_mpsd_session_constants *xbl_mpsd_session_session_constants(const xbl_mpsd_session *session)
{
    return xbl_mpsd__has_doc(session) ? &session->constants : NULL;
}

const xbl_mpsd_session_properties *xbl_mpsd_session_session_properties(const xbl_mpsd_session *session)
{
    return xbl_mpsd__has_doc(session) ? &session->properties : NULL;
}

xbl_mpsd_result xbl_mpsd_session_role_types(const xbl_mpsd_session *session,
    const xbl_mpsd_role_type **role_types, size_t *role_types_count)
{
    if (!xbl_mpsd__has_doc(session) || role_types == NULL || role_types_count == NULL)
        return XBL_MPSD_E_INVALIDARG;
    *role_types = session->role_types;
    *role_types_count = session->role_types_count;
    return XBL_MPSD_OK;
}

static xbl_mpsd_role *xbl_mpsd__find_role(const xbl_mpsd_session *s, const char *type_name,
    const char *role_name, const xbl_mpsd_role_type **type_out)
{
    size_t t, r;
    for (t = 0; t < s->role_types_count; t++) {
        const xbl_mpsd_role_type *type = &s->role_types[t];
        if (!xbl_mpsd__ieq(type->name, type_name)) continue;
        for (r = 0; r < type->role_count; r++) {
            if (!xbl_mpsd__ieq(type->roles[r].name, role_name)) continue;
            *type_out = type;
            /* The arena is ours and writable; the public view is const. */
            return (xbl_mpsd_role *)(uintptr_t)&type->roles[r];
        }
    }
    return NULL;
}

xbl_mpsd_result xbl_mpsd_session_get_role_by_name(const xbl_mpsd_session *session,
    const char *role_type_name, const char *role_name, const xbl_mpsd_role **role)
{
    const xbl_mpsd_role_type *type;
    if (!xbl_mpsd__has_doc(session) || role_type_name == NULL || role_name == NULL || role == NULL)
        return XBL_MPSD_E_INVALIDARG;
    *role = xbl_mpsd__find_role(session, role_type_name, role_name, &type);
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_members(const xbl_mpsd_session *session,
    const xbl_mpsd_session_member **members, size_t *count)
{
    if (!xbl_mpsd__has_doc(session) || members == NULL || count == NULL) return XBL_MPSD_E_INVALIDARG;
    *members = session->members;
    *count = session->members_count;
    return XBL_MPSD_OK;
}

const xbl_mpsd_session_member *xbl_mpsd_session_get_member(const xbl_mpsd_session *session, uint32_t member_id)
{
    size_t i;
    if (!xbl_mpsd__has_doc(session) || member_id == XBL_MPSD_MEMBER_ID_NONE) return NULL;
    for (i = 0; i < session->members_count; i++)
        if (session->members[i].member_id == member_id) return &session->members[i];
    return NULL;
}

const xbl_mpsd_matchmaking_server *xbl_mpsd_session_matchmaking_server(const xbl_mpsd_session *session)
{
    return xbl_mpsd__has_doc(session) && session->has_matchmaking_server ? &session->matchmaking_server : NULL;
}

uint32_t xbl_mpsd_session_members_accepted(const xbl_mpsd_session *session)
{
    return xbl_mpsd__has_doc(session) ? session->members_accepted : 0;
}

/* The string getters never return NULL: a caller prints them as they are. */
const char *xbl_mpsd_session_raw_servers_json(const xbl_mpsd_session *session)
{
    return xbl_mpsd__has_doc(session) ? session->raw_servers_json : "";
}

const char *xbl_mpsd_session_etag(const xbl_mpsd_session *session)
{
    return xbl_mpsd__has_doc(session) ? session->etag : "";
}

const xbl_mpsd_session_member *xbl_mpsd_session_current_user(const xbl_mpsd_session *session)
{
    size_t i;
    if (!xbl_mpsd__has_doc(session)) return NULL;
    i = xbl_mpsd__current_index(session);
    return i == SIZE_MAX ? NULL : &session->members[i];
}

const xbl_mpsd_session_info *xbl_mpsd_session_get_info(const xbl_mpsd_session *session)
{
    return xbl_mpsd__has_doc(session) ? &session->info : NULL;
}

xbl_mpsd_write_session_status xbl_mpsd_session_write_status(const xbl_mpsd_session *session)
{
    return session ? session->write_status : XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN;
}

/* ---- compare (rules from XSAPI, API.md §5.3) ---- */

static bool xbl_mpsd__ieq_opt(const char *a, const char *b)
{
    if (a == NULL || b == NULL) return a == b;
    return xbl_mpsd__ieq(a, b);
}

static const xbl_mpsd_session_member *xbl_mpsd__member_by_xuid(const xbl_mpsd_session *s, uint64_t xuid)
{
    size_t i;
    for (i = 0; i < s->members_count; i++)
        if (s->members[i].xuid == xuid) return &s->members[i];
    return NULL;
}

static bool xbl_mpsd__is_full(const xbl_mpsd_session *s)
{
    return s->members_count == (size_t)s->constants.max_members_in_session;
}

static bool xbl_mpsd__ref_ieq(const xbl_mpsd_session_reference *a, const xbl_mpsd_session_reference *b)
{
    return xbl_mpsd__ieq(a->scid, b->scid) && xbl_mpsd__ieq(a->session_template_name, b->session_template_name)
        && xbl_mpsd__ieq(a->session_name, b->session_name);
}

static xbl_mpsd_session_change_types xbl_mpsd__compare_members(const xbl_mpsd_session *cur, const xbl_mpsd_session *old)
{
    xbl_mpsd_session_change_types t = 0;
    size_t i;
    if (cur->members_count != old->members_count) t |= XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_LIST_CHANGE;
    for (i = 0; i < cur->members_count; i++) {
        const xbl_mpsd_session_member *m = &cur->members[i];
        const xbl_mpsd_session_member *o = xbl_mpsd__member_by_xuid(old, m->xuid);
        if (o == NULL) { t |= XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_LIST_CHANGE; continue; }
        if (o->status != m->status) t |= XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_STATUS_CHANGE;
        if (!xbl_mpsd__ieq_opt(o->custom_properties_json, m->custom_properties_json))
            t |= XBL_MPSD_SESSION_CHANGE_TYPES_MEMBER_CUSTOM_PROPERTY_CHANGE;
    }
    return t;
}

xbl_mpsd_session_change_types xbl_mpsd_session_compare(const xbl_mpsd_session *current_session,
    const xbl_mpsd_session *old_session)
{
    const xbl_mpsd_session *c = current_session, *o = old_session;
    xbl_mpsd_session_change_types t;
    if (!xbl_mpsd__has_doc(c) || !xbl_mpsd__has_doc(o)) return XBL_MPSD_SESSION_CHANGE_TYPES_NONE;
    t = xbl_mpsd__compare_members(c, o);
    if (!xbl_mpsd__ieq(c->properties.host_device_token.value, o->properties.host_device_token.value))
        t |= XBL_MPSD_SESSION_CHANGE_TYPES_HOST_DEVICE_TOKEN_CHANGE;
    if (c->initialization.stage != o->initialization.stage)
        t |= XBL_MPSD_SESSION_CHANGE_TYPES_INITIALIZATION_STATE_CHANGE;
    if (c->has_matchmaking_server != o->has_matchmaking_server
        || (c->has_matchmaking_server && (c->matchmaking_server.status != o->matchmaking_server.status
            || !xbl_mpsd__ref_ieq(&c->matchmaking_server.target_session_ref, &o->matchmaking_server.target_session_ref))))
        t |= XBL_MPSD_SESSION_CHANGE_TYPES_MATCHMAKING_STATUS_CHANGE;
    if (c->properties.closed != o->properties.closed || c->properties.locked != o->properties.locked
        || c->properties.join_restriction != o->properties.join_restriction
        || xbl_mpsd__is_full(c) != xbl_mpsd__is_full(o))
        t |= XBL_MPSD_SESSION_CHANGE_TYPES_SESSION_JOINABILITY_CHANGE;
    if (!xbl_mpsd__ieq(c->properties.session_custom_properties_json, o->properties.session_custom_properties_json))
        t |= XBL_MPSD_SESSION_CHANGE_TYPES_CUSTOM_PROPERTY_CHANGE;
    return t;
}


/* ===========================================================================
   Session model: local changes (setters)
   Every setter checks in the order of API.md §1.4 (argument shape, session
   state, JSON content, memory) and changes nothing unless it succeeds.
   =========================================================================== */

static bool xbl_mpsd__is_service(const xbl_mpsd_session *s)
{
    return (s->state & XBL_MPSD__STATE_SERVICE) != 0;
}

/* Arguments shape for a constants setter, then the local-session rule. */
static xbl_mpsd_result xbl_mpsd__constants_gate(const xbl_mpsd_session *s, bool args_ok)
{
    if (!xbl_mpsd__has_doc(s) || !args_ok) return XBL_MPSD_E_INVALIDARG;
    return xbl_mpsd__is_service(s) ? XBL_MPSD_E_UNEXPECTED : XBL_MPSD_OK;
}

static void xbl_mpsd__mark_constants(xbl_mpsd_session *s, uint32_t group)
{
    s->dirty |= XBL_MPSD__DIRTY_CONSTANTS | group;
}

xbl_mpsd_result xbl_mpsd_session_constants_set_max_members_in_session(xbl_mpsd_session *session,
    uint32_t max_members_in_session)
{
    xbl_mpsd_result rc = xbl_mpsd__constants_gate(session, true);
    if (rc != XBL_MPSD_OK) return rc;
    session->constants.max_members_in_session = max_members_in_session;
    xbl_mpsd__mark_constants(session, 0);
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_constants_set_visibility(xbl_mpsd_session *session,
    xbl_mpsd_session_visibility visibility)
{
    xbl_mpsd_result rc = xbl_mpsd__constants_gate(session, xbl_mpsd__visibility_ok(visibility));
    if (rc != XBL_MPSD_OK) return rc;
    session->constants.visibility = visibility;
    xbl_mpsd__mark_constants(session, 0);
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_constants_set_timeouts(xbl_mpsd_session *session,
    uint64_t member_reserved_timeout, uint64_t member_inactive_timeout,
    uint64_t member_ready_timeout, uint64_t session_empty_timeout)
{
    xbl_mpsd_result rc = xbl_mpsd__constants_gate(session, true);
    if (rc != XBL_MPSD_OK) return rc;
    session->constants.member_reserved_timeout = member_reserved_timeout;
    session->constants.member_inactive_timeout = member_inactive_timeout;
    session->constants.member_ready_timeout = member_ready_timeout;
    session->constants.session_empty_timeout = session_empty_timeout;
    xbl_mpsd__mark_constants(session, XBL_MPSD__DIRTY_C_TIMEOUTS);
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_constants_set_qos_connectivity_metrics(xbl_mpsd_session *session,
    bool enable_latency_metric, bool enable_bandwidth_down_metric,
    bool enable_bandwidth_up_metric, bool enable_custom_metric)
{
    xbl_mpsd_result rc = xbl_mpsd__constants_gate(session, true);
    if (rc != XBL_MPSD_OK) return rc;
    session->constants.enable_metrics_latency = enable_latency_metric;
    session->constants.enable_metrics_bandwidth_down = enable_bandwidth_down_metric;
    session->constants.enable_metrics_bandwidth_up = enable_bandwidth_up_metric;
    session->constants.enable_metrics_custom = enable_custom_metric;
    xbl_mpsd__mark_constants(session, XBL_MPSD__DIRTY_C_METRICS);
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_constants_set_member_initialization(xbl_mpsd_session *session,
    xbl_mpsd_member_initialization member_initialization)
{
    xbl_mpsd_result rc = xbl_mpsd__constants_gate(session, true);
    if (rc != XBL_MPSD_OK) return rc;
    session->member_initialization.join_timeout = member_initialization.join_timeout;
    session->member_initialization.measurement_timeout = member_initialization.measurement_timeout;
    session->member_initialization.evaluation_timeout = member_initialization.evaluation_timeout;
    session->member_initialization.external_evaluation = member_initialization.external_evaluation;
    session->member_initialization.members_needed_to_start = member_initialization.members_needed_to_start;
    session->constants.member_initialization = &session->member_initialization;
    xbl_mpsd__mark_constants(session, XBL_MPSD__DIRTY_C_MEMBER_INIT);
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_constants_set_peer_to_peer_requirements(xbl_mpsd_session *session,
    xbl_mpsd_peer_to_peer_requirements requirements)
{
    xbl_mpsd_result rc = xbl_mpsd__constants_gate(session, true);
    if (rc != XBL_MPSD_OK) return rc;
    session->constants.peer_to_peer_requirements = requirements;
    xbl_mpsd__mark_constants(session, XBL_MPSD__DIRTY_C_PEER_TO_PEER);
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_constants_set_peer_to_host_requirements(xbl_mpsd_session *session,
    xbl_mpsd_peer_to_host_requirements requirements)
{
    bool metric_ok = xbl_mpsd__enum_in_range((int)requirements.host_selection_metric, 4);
    xbl_mpsd_result rc = xbl_mpsd__constants_gate(session, metric_ok);
    if (rc != XBL_MPSD_OK) return rc;
    /* Field by field: padding bytes of the caller's struct stay out of the session. */
    session->constants.peer_to_host_requirements.latency_maximum = requirements.latency_maximum;
    session->constants.peer_to_host_requirements.bandwidth_down_minimum_in_kbps = requirements.bandwidth_down_minimum_in_kbps;
    session->constants.peer_to_host_requirements.bandwidth_up_minimum_in_kbps = requirements.bandwidth_up_minimum_in_kbps;
    session->constants.peer_to_host_requirements.host_selection_metric = requirements.host_selection_metric;
    xbl_mpsd__mark_constants(session, XBL_MPSD__DIRTY_C_PEER_TO_HOST);
    return XBL_MPSD_OK;
}

/* Stores a validated JSON argument in *slot; "" stays "" when allow_empty. */
/* Every JSON text a setter stores is one the service takes only as an object. */
static xbl_mpsd_result xbl_mpsd__set_json_text(xbl_mpsd_session *s, const char **slot, const char *text, bool allow_empty)
{
    size_t mark = s->arena.used;
    const char *v;
    size_t n;
    if (allow_empty && text[0] == '\0') { *slot = ""; return XBL_MPSD_OK; }
    if (!xbl_mpsd__json_object_arg(text, &v, &n)) return XBL_MPSD_E_INVALID_JSON_STRING;
    v = xbl_mpsd__arena_strn(&s->arena, v, n);
    if (xbl_mpsd__arena_settle(&s->arena, mark) != XBL_MPSD_OK) return XBL_MPSD_E_OUTOFMEMORY;
    *slot = v;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_constants_set_measurement_server_addresses_json(xbl_mpsd_session *session,
    const char *measurement_server_addresses_json)
{
    xbl_mpsd_result rc = xbl_mpsd__constants_gate(session, measurement_server_addresses_json != NULL);
    if (rc != XBL_MPSD_OK) return rc;
    rc = xbl_mpsd__set_json_text(session, &session->constants.measurement_server_addresses_json,
            measurement_server_addresses_json, false);
    if (rc == XBL_MPSD_OK) xbl_mpsd__mark_constants(session, XBL_MPSD__DIRTY_C_MEASUREMENT);
    return rc;
}

xbl_mpsd_result xbl_mpsd_session_constants_set_capabilities(xbl_mpsd_session *session,
    xbl_mpsd_session_capabilities capabilities)
{
    xbl_mpsd_result rc = xbl_mpsd__constants_gate(session, true);
    if (rc != XBL_MPSD_OK) return rc;
    session->constants.session_capabilities = capabilities;
    xbl_mpsd__mark_constants(session, 0);
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_constants_set_cloud_compute_package_json(xbl_mpsd_session *session,
    const char *session_cloud_compute_package_constants_json)
{
    xbl_mpsd_result rc = xbl_mpsd__constants_gate(session, session_cloud_compute_package_constants_json != NULL);
    if (rc != XBL_MPSD_OK) return rc;
    rc = xbl_mpsd__set_json_text(session, &session->constants.session_cloud_compute_package_constants_json,
            session_cloud_compute_package_constants_json, true);
    if (rc == XBL_MPSD_OK) xbl_mpsd__mark_constants(session, 0);
    return rc;
}

/* ---- session properties ---- */

static bool xbl_mpsd__strs_ok(const char *const *v, size_t n)
{
    size_t i;
    if (v == NULL) return false;
    for (i = 0; i < n; i++)
        if (!xbl_mpsd__text_ok(v[i])) return false;
    return true;
}

/* Replaces a string list all-or-nothing. */
static xbl_mpsd_result xbl_mpsd__set_strs(xbl_mpsd_session *s, const char *const **slot, size_t *count,
    const char *const *v, size_t n)
{
    size_t mark = s->arena.used;
    const char *const *copy = xbl_mpsd__dup_strs(&s->arena, v, n);
    if (xbl_mpsd__arena_settle(&s->arena, mark) != XBL_MPSD_OK) return XBL_MPSD_E_OUTOFMEMORY;
    *slot = copy;
    *count = n;
    return XBL_MPSD_OK;
}

static xbl_mpsd_result xbl_mpsd__set_u32s(xbl_mpsd_session *s, const uint32_t **slot, size_t *count,
    const uint32_t *v, size_t n)
{
    size_t mark = s->arena.used;
    const uint32_t *copy = xbl_mpsd__dup_u32s(&s->arena, v, n);
    if (xbl_mpsd__arena_settle(&s->arena, mark) != XBL_MPSD_OK) return XBL_MPSD_E_OUTOFMEMORY;
    *slot = copy;
    *count = n;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_properties_set_keywords(xbl_mpsd_session *session,
    const char *const *keywords, size_t keywords_count)
{
    xbl_mpsd_result rc;
    if (!xbl_mpsd__has_doc(session) || !xbl_mpsd__strs_ok(keywords, keywords_count)) return XBL_MPSD_E_INVALIDARG;
    rc = xbl_mpsd__set_strs(session, &session->properties.keywords, &session->properties.keyword_count,
            keywords, keywords_count);
    if (rc == XBL_MPSD_OK) session->dirty |= XBL_MPSD__DIRTY_KEYWORDS;
    return rc;
}

static bool xbl_mpsd__restriction_ok(xbl_mpsd_session_restriction r)
{
    return xbl_mpsd__enum_in_range((int)r, 3);
}

xbl_mpsd_result xbl_mpsd_session_properties_set_join_restriction(xbl_mpsd_session *session,
    xbl_mpsd_session_restriction join_restriction)
{
    if (!xbl_mpsd__has_doc(session) || !xbl_mpsd__restriction_ok(join_restriction)) return XBL_MPSD_E_INVALIDARG;
    session->properties.join_restriction = join_restriction;
    session->dirty |= XBL_MPSD__DIRTY_JOIN_RESTRICTION;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_properties_set_read_restriction(xbl_mpsd_session *session,
    xbl_mpsd_session_restriction read_restriction)
{
    if (!xbl_mpsd__has_doc(session) || !xbl_mpsd__restriction_ok(read_restriction)) return XBL_MPSD_E_INVALIDARG;
    session->properties.read_restriction = read_restriction;
    session->dirty |= XBL_MPSD__DIRTY_READ_RESTRICTION;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_properties_set_turn_collection(xbl_mpsd_session *session,
    const uint32_t *turn_collection_member_ids, size_t turn_collection_member_ids_count)
{
    xbl_mpsd_result rc;
    if (!xbl_mpsd__has_doc(session) || turn_collection_member_ids == NULL || turn_collection_member_ids_count == 0)
        return XBL_MPSD_E_INVALIDARG;
    rc = xbl_mpsd__set_u32s(session, &session->properties.turn_collection,
            &session->properties.turn_collection_count, turn_collection_member_ids, turn_collection_member_ids_count);
    if (rc == XBL_MPSD_OK) session->dirty |= XBL_MPSD__DIRTY_TURN;
    return rc;
}

xbl_mpsd_result xbl_mpsd_session_set_mutable_role_settings(xbl_mpsd_session *session,
    const char *role_type_name, const char *role_name,
    const uint32_t *max_member_count, const uint32_t *target_member_count)
{
    const xbl_mpsd_role_type *type = NULL;
    xbl_mpsd_role *role;
    if (!xbl_mpsd__has_doc(session) || role_type_name == NULL || role_name == NULL) return XBL_MPSD_E_INVALIDARG;
    role = xbl_mpsd__find_role(session, role_type_name, role_name, &type);
    if (role == NULL) return XBL_MPSD_E_INVALIDARG;
    if ((max_member_count && !(type->mutable_role_settings & XBL_MPSD_MUTABLE_ROLE_SETTINGS_MAX))
        || (target_member_count && !(type->mutable_role_settings & XBL_MPSD_MUTABLE_ROLE_SETTINGS_TARGET)))
        return XBL_MPSD_E_UNEXPECTED;
    if (max_member_count) role->max_member_count = *max_member_count;
    if (target_member_count) role->target_count = *target_member_count;
    session->dirty |= XBL_MPSD__DIRTY_ROLE_TYPES;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_set_raw_servers_json(xbl_mpsd_session *session, const char *raw_servers_json)
{
    xbl_mpsd_result rc;
    if (!xbl_mpsd__has_doc(session) || raw_servers_json == NULL) return XBL_MPSD_E_INVALIDARG;
    rc = xbl_mpsd__set_json_text(session, &session->raw_servers_json, raw_servers_json, false);
    if (rc == XBL_MPSD_OK) session->dirty |= XBL_MPSD__DIRTY_SERVERS;
    return rc;
}

xbl_mpsd_result xbl_mpsd_session_set_initialization_succeeded(xbl_mpsd_session *session, bool initialization_succeeded)
{
    if (!xbl_mpsd__has_doc(session)) return XBL_MPSD_E_INVALIDARG;
    session->initialization_succeeded = initialization_succeeded;
    session->dirty |= XBL_MPSD__DIRTY_INIT_SUCCEEDED;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_set_host_device_token(xbl_mpsd_session *session, xbl_mpsd_device_token host_device_token)
{
    size_t n = xbl_mpsd__strnlen(host_device_token.value, sizeof host_device_token.value);
    if (!xbl_mpsd__has_doc(session) || n >= sizeof host_device_token.value
        || !xbl_mpsd__utf8_valid(host_device_token.value, n)) return XBL_MPSD_E_INVALIDARG;
    XBL_MPSD_MEMSET(&session->properties.host_device_token, 0, sizeof session->properties.host_device_token);
    XBL_MPSD_MEMCPY(session->properties.host_device_token.value, host_device_token.value, n);
    session->dirty |= XBL_MPSD__DIRTY_HOST;
    return XBL_MPSD_OK;
}

/* Replaces a string value all-or-nothing. */
static xbl_mpsd_result xbl_mpsd__set_text(xbl_mpsd_session *s, const char **slot, const char *text)
{
    size_t mark = s->arena.used;
    const char *copy = xbl_mpsd__arena_str(&s->arena, text);
    if (xbl_mpsd__arena_settle(&s->arena, mark) != XBL_MPSD_OK) return XBL_MPSD_E_OUTOFMEMORY;
    *slot = copy;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_set_matchmaking_server_connection_path(xbl_mpsd_session *session,
    const char *server_connection_path)
{
    xbl_mpsd_result rc;
    if (!xbl_mpsd__has_doc(session) || !xbl_mpsd__text_ok(server_connection_path)) return XBL_MPSD_E_INVALIDARG;
    rc = xbl_mpsd__set_text(session, &session->properties.matchmaking_server_connection_string, server_connection_path);
    if (rc == XBL_MPSD_OK) session->dirty |= XBL_MPSD__DIRTY_MM_CONNECTION;
    return rc;
}

static xbl_mpsd_result xbl_mpsd__set_flag(xbl_mpsd_session *s, bool *slot, bool value, uint32_t dirty)
{
    if (!xbl_mpsd__has_doc(s)) return XBL_MPSD_E_INVALIDARG;
    *slot = value;
    s->dirty |= dirty;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_set_closed(xbl_mpsd_session *session, bool closed)
{
    return xbl_mpsd__set_flag(session, session ? &session->properties.closed : NULL, closed, XBL_MPSD__DIRTY_CLOSED);
}

xbl_mpsd_result xbl_mpsd_session_set_locked(xbl_mpsd_session *session, bool locked)
{
    return xbl_mpsd__set_flag(session, session ? &session->properties.locked : NULL, locked, XBL_MPSD__DIRTY_LOCKED);
}

xbl_mpsd_result xbl_mpsd_session_set_allocate_cloud_compute(xbl_mpsd_session *session, bool allocate_cloud_compute)
{
    return xbl_mpsd__set_flag(session, session ? &session->properties.allocate_cloud_compute : NULL,
            allocate_cloud_compute, XBL_MPSD__DIRTY_ALLOCATE_CLOUD);
}

xbl_mpsd_result xbl_mpsd_session_set_matchmaking_resubmit(xbl_mpsd_session *session, bool match_resubmit)
{
    return xbl_mpsd__set_flag(session, session ? &session->properties.matchmaking_resubmit : NULL,
            match_resubmit, XBL_MPSD__DIRTY_MM_RESUBMIT);
}

xbl_mpsd_result xbl_mpsd_session_set_server_connection_string_candidates(xbl_mpsd_session *session,
    const char *const *server_connection_string_candidates, size_t server_connection_string_candidates_count)
{
    xbl_mpsd_result rc;
    if (!xbl_mpsd__has_doc(session)
        || !xbl_mpsd__strs_ok(server_connection_string_candidates, server_connection_string_candidates_count))
        return XBL_MPSD_E_INVALIDARG;
    rc = xbl_mpsd__set_strs(session, &session->properties.server_connection_string_candidates,
            &session->properties.server_connection_string_candidates_count,
            server_connection_string_candidates, server_connection_string_candidates_count);
    if (rc == XBL_MPSD_OK) session->dirty |= XBL_MPSD__DIRTY_CANDIDATES;
    return rc;
}

xbl_mpsd_result xbl_mpsd_session_set_matchmaking_target_session_constants_json(xbl_mpsd_session *session,
    const char *matchmaking_target_session_constants_json)
{
    xbl_mpsd_result rc;
    if (!xbl_mpsd__has_doc(session) || matchmaking_target_session_constants_json == NULL) return XBL_MPSD_E_INVALIDARG;
    rc = xbl_mpsd__set_json_text(session, &session->properties.matchmaking_target_session_constants_json,
            matchmaking_target_session_constants_json, false);
    if (rc == XBL_MPSD_OK) session->dirty |= XBL_MPSD__DIRTY_MM_TARGET_CONSTANTS;
    return rc;
}

/* ---- custom property objects (API.md §1.5) ---- */

static void xbl_mpsd__custom_write(xbl_mpsd__jw *w, const char *object, const char *name, const char *value, size_t vlen)
{
    size_t n = xbl_mpsd__strlen(object), i = 0, kl, vl;
    const char *k, *v;
    bool found = false;
    xbl_mpsd__jw_open(w, '{');
    while (xbl_mpsd__json_object_next(object, n, &i, &k, &kl, &v, &vl)) {
        xbl_mpsd__jw_raw_key(w, k, kl);
        if (!found && xbl_mpsd__json_body_equals(k, kl, name)) {
            found = true;
            xbl_mpsd__jw_raw(w, value, vlen);
        } else {
            xbl_mpsd__jw_raw(w, v, vl);
        }
    }
    if (!found) {
        xbl_mpsd__jw_key(w, name);
        xbl_mpsd__jw_raw(w, value, vlen);
    }
    xbl_mpsd__jw_close(w, '}');
}

/* The object text with `name` set to value (JSON text; "null" deletes). */
static const char *xbl_mpsd__custom_edit(xbl_mpsd__arena *a, const char *object, const char *name,
    const char *value, size_t vlen)
{
    xbl_mpsd__jw w;
    char *out;
    xbl_mpsd__jw_init(&w, NULL, 0);
    xbl_mpsd__custom_write(&w, object ? object : "{}", name, value, vlen);
    out = (char *)xbl_mpsd__arena_alloc(a, w.len + 1, 1);
    if (out == NULL) return NULL;
    xbl_mpsd__jw_init(&w, out, w.len);
    xbl_mpsd__custom_write(&w, object ? object : "{}", name, value, vlen);
    out[w.len] = '\0';
    return out;
}

/* Sets (value_json non-NULL) or deletes a key of the object in *slot and
   records the change in *changes: MPSD merges custom objects key by key, so
   a write that sends only the changed keys keeps other writers' keys. */
static xbl_mpsd_result xbl_mpsd__custom_update(xbl_mpsd_session *s, const char **slot, const char **changes,
    const char *name, const char *value_json)
{
    size_t mark = s->arena.used, vlen = 4;
    const char *value = "null", *edited, *changed;
    if (value_json && !xbl_mpsd__json_arg(value_json, &value, &vlen)) return XBL_MPSD_E_INVALID_JSON_STRING;
    edited = xbl_mpsd__custom_edit(&s->arena, *slot, name, value, vlen);
    changed = xbl_mpsd__custom_edit(&s->arena, *changes, name, value, vlen);
    if (xbl_mpsd__arena_settle(&s->arena, mark) != XBL_MPSD_OK || edited == NULL || changed == NULL)
        return XBL_MPSD_E_OUTOFMEMORY;
    *slot = edited;
    *changes = changed;
    return XBL_MPSD_OK;
}

static bool xbl_mpsd__name_ok(const char *name)
{
    return xbl_mpsd__text_ok(name) && name[0] != '\0';
}

xbl_mpsd_result xbl_mpsd_session_set_custom_property_json(xbl_mpsd_session *session, const char *name,
    const char *value_json)
{
    xbl_mpsd_result rc;
    if (!xbl_mpsd__has_doc(session) || !xbl_mpsd__name_ok(name) || value_json == NULL) return XBL_MPSD_E_INVALIDARG;
    rc = xbl_mpsd__custom_update(session, &session->properties.session_custom_properties_json,
            &session->custom_changes, name, value_json);
    if (rc == XBL_MPSD_OK) session->dirty |= XBL_MPSD__DIRTY_CUSTOM;
    return rc;
}

xbl_mpsd_result xbl_mpsd_session_delete_custom_property_json(xbl_mpsd_session *session, const char *name)
{
    xbl_mpsd_result rc;
    if (!xbl_mpsd__has_doc(session) || !xbl_mpsd__name_ok(name)) return XBL_MPSD_E_INVALIDARG;
    rc = xbl_mpsd__custom_update(session, &session->properties.session_custom_properties_json,
            &session->custom_changes, name, NULL);
    if (rc == XBL_MPSD_OK) session->dirty |= XBL_MPSD__DIRTY_CUSTOM;
    return rc;
}

/* ===========================================================================
   Session model: membership (join, leave, reservations)
   =========================================================================== */

/* A fresh local member entry (join or reservation). */
static xbl_mpsd_session_member xbl_mpsd__local_member(uint64_t xuid, const char *constants, bool initialize,
    xbl_mpsd_session_member_status status)
{
    xbl_mpsd_session_member m;
    XBL_MPSD_MEMSET(&m, 0, sizeof m);
    m.member_id = XBL_MPSD_MEMBER_ID_NONE;
    m.xuid = xuid;
    m.custom_constants_json = constants;
    m.initialize_requested = initialize;
    m.status = status;
    m.initialization_failure_cause = XBL_MPSD_MEASUREMENT_FAILURE_NONE;
    return m;
}

/* Rebuilds the member array without entries matching drop_xuid (when
   drop is set) and with `extra` appended: all-or-nothing. */
static xbl_mpsd_result xbl_mpsd__members_append(xbl_mpsd_session *s, const xbl_mpsd_session_member *extra,
    bool drop, uint64_t drop_xuid, size_t *new_index)
{
    size_t mark = s->arena.used, i, n = 0, dropped = 0;
    xbl_mpsd_session_member *arr = XBL_MPSD__ALLOC_ARRAY(&s->arena, xbl_mpsd_session_member, s->members_count + 1);
    if (xbl_mpsd__arena_settle(&s->arena, mark) != XBL_MPSD_OK || arr == NULL) return XBL_MPSD_E_OUTOFMEMORY;
    for (i = 0; i < s->members_count; i++) {
        if (drop && i < s->document_members_count && s->members[i].xuid == drop_xuid) { dropped++; continue; }
        arr[n++] = s->members[i];
    }
    arr[n] = *extra;
    *new_index = n;
    s->members = arr;
    s->members_count = n + 1;
    s->document_members_count -= dropped;
    return XBL_MPSD_OK;
}

static xbl_mpsd_result xbl_mpsd__member_constants(xbl_mpsd_session *s, const char *json, const char **out)
{
    const char *v;
    size_t n;
    *out = NULL;
    if (json == NULL) return XBL_MPSD_OK;
    if (!xbl_mpsd__json_object_arg(json, &v, &n)) return XBL_MPSD_E_INVALID_JSON_STRING;
    *out = xbl_mpsd__arena_strn(&s->arena, v, n);
    return s->arena.failed ? XBL_MPSD_E_OUTOFMEMORY : XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_join(xbl_mpsd_session *session, const char *member_custom_constants_json,
    bool initialize_requested, bool join_with_active_status)
{
    xbl_mpsd_session_member m;
    const char *constants;
    size_t mark, index;
    xbl_mpsd_result rc;
    if (!xbl_mpsd__has_doc(session)) return XBL_MPSD_E_INVALIDARG;
    if (session->state & (XBL_MPSD__STATE_JOINED | XBL_MPSD__STATE_LEFT)) return XBL_MPSD_E_UNEXPECTED;
    mark = session->arena.used;
    rc = xbl_mpsd__member_constants(session, member_custom_constants_json, &constants);
    if (rc != XBL_MPSD_OK) { (void)xbl_mpsd__arena_settle(&session->arena, mark); return rc; }
    m = xbl_mpsd__local_member(session->xuid, constants, initialize_requested,
            join_with_active_status ? XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE : XBL_MPSD_SESSION_MEMBER_STATUS_RESERVED);
    m.custom_properties_json = "{}";
    rc = xbl_mpsd__members_append(session, &m, true, session->xuid, &index);
    if (rc != XBL_MPSD_OK) { session->arena.used = mark; return rc; }
    session->joined_index = index;
    session->state |= XBL_MPSD__STATE_JOINED;
    session->me_dirty = join_with_active_status ? XBL_MPSD__ME_STATUS : 0;
    session->me_custom_changes = "{}";
    xbl_mpsd__session_mark_current_user(session);
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_leave(xbl_mpsd_session *session)
{
    size_t cur;
    if (!xbl_mpsd__has_doc(session)) return XBL_MPSD_E_INVALIDARG;
    if (session->state & XBL_MPSD__STATE_JOINED) return XBL_MPSD_E_UNEXPECTED;
    cur = xbl_mpsd__current_index(session);
    if (cur != SIZE_MAX) {
        XBL_MPSD_MEMMOVE(&session->members[cur], &session->members[cur + 1],
                (session->members_count - cur - 1) * sizeof session->members[0]);
        session->members_count--;
        session->document_members_count--;
    }
    session->state |= XBL_MPSD__STATE_LEFT;
    session->me_dirty = 0;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_add_member_reservation(xbl_mpsd_session *session, uint64_t xuid,
    const char *member_custom_constants_json, bool initialize_requested)
{
    xbl_mpsd_session_member m;
    const char *constants;
    size_t mark, index;
    xbl_mpsd_result rc;
    if (!xbl_mpsd__has_doc(session)) return XBL_MPSD_E_INVALIDARG;
    mark = session->arena.used;
    rc = xbl_mpsd__member_constants(session, member_custom_constants_json, &constants);
    if (rc != XBL_MPSD_OK) { (void)xbl_mpsd__arena_settle(&session->arena, mark); return rc; }
    m = xbl_mpsd__local_member(xuid, constants, initialize_requested, XBL_MPSD_SESSION_MEMBER_STATUS_RESERVED);
    rc = xbl_mpsd__members_append(session, &m, false, 0, &index);
    if (rc != XBL_MPSD_OK) session->arena.used = mark;
    return rc;
}

/* ===========================================================================
   Session model: current-user setters (members.me)
   =========================================================================== */

/* The current user's entry, writable, or NULL. The gate order is §1.4's:
   argument shape first (checked by the caller), then this state check. */
static xbl_mpsd_session_member *xbl_mpsd__me(xbl_mpsd_session *s)
{
    size_t i = xbl_mpsd__current_index(s);
    return i == SIZE_MAX ? NULL : &s->members[i];
}

xbl_mpsd_result xbl_mpsd_session_set_session_change_subscription(xbl_mpsd_session *session,
    xbl_mpsd_session_change_types change_types)
{
    if (!xbl_mpsd__has_doc(session) || (change_types & ~UINT32_C(0x1FF)) != 0) return XBL_MPSD_E_INVALIDARG;
    if (xbl_mpsd__me(session) == NULL) return XBL_MPSD_E_UNEXPECTED;
    session->subscription_change_types = change_types;
    session->me_dirty |= XBL_MPSD__ME_SUBSCRIPTION;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_current_user_set_status(xbl_mpsd_session *session,
    xbl_mpsd_session_member_status status)
{
    xbl_mpsd_session_member *me;
    if (!xbl_mpsd__has_doc(session) || !xbl_mpsd__enum_in_range((int)status, 3)) return XBL_MPSD_E_INVALIDARG;
    me = xbl_mpsd__me(session);
    if (me == NULL || status == XBL_MPSD_SESSION_MEMBER_STATUS_READY || status == XBL_MPSD_SESSION_MEMBER_STATUS_RESERVED)
        return XBL_MPSD_E_UNEXPECTED;
    me->status = status;
    session->me_dirty |= XBL_MPSD__ME_STATUS;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_current_user_set_secure_device_address_base64(xbl_mpsd_session *session,
    const char *value)
{
    xbl_mpsd_session_member *me;
    xbl_mpsd_result rc;
    if (!xbl_mpsd__has_doc(session) || !xbl_mpsd__text_ok(value)) return XBL_MPSD_E_INVALIDARG;
    if ((me = xbl_mpsd__me(session)) == NULL) return XBL_MPSD_E_UNEXPECTED;
    rc = xbl_mpsd__set_text(session, &me->secure_device_base_address64, value);
    if (rc == XBL_MPSD_OK) session->me_dirty |= XBL_MPSD__ME_SECURE_DEVICE_ADDRESS;
    return rc;
}

static bool xbl_mpsd__roles_ok(const xbl_mpsd_session_member_role *roles, size_t n)
{
    size_t i;
    if (roles == NULL) return false;
    for (i = 0; i < n; i++)
        if (!xbl_mpsd__text_ok(roles[i].role_type_name) || !xbl_mpsd__text_ok(roles[i].role_name)) return false;
    return true;
}

xbl_mpsd_result xbl_mpsd_session_current_user_set_roles(xbl_mpsd_session *session,
    const xbl_mpsd_session_member_role *roles, size_t roles_count)
{
    xbl_mpsd_session_member *me;
    xbl_mpsd_session_member_role *copy;
    size_t mark, i;
    if (!xbl_mpsd__has_doc(session) || !xbl_mpsd__roles_ok(roles, roles_count)) return XBL_MPSD_E_INVALIDARG;
    if ((me = xbl_mpsd__me(session)) == NULL) return XBL_MPSD_E_UNEXPECTED;
    mark = session->arena.used;
    copy = XBL_MPSD__ALLOC_ARRAY(&session->arena, xbl_mpsd_session_member_role, roles_count ? roles_count : 1);
    for (i = 0; copy && i < roles_count; i++) {
        copy[i].role_type_name = xbl_mpsd__arena_str(&session->arena, roles[i].role_type_name);
        copy[i].role_name = xbl_mpsd__arena_str(&session->arena, roles[i].role_name);
    }
    if (xbl_mpsd__arena_settle(&session->arena, mark) != XBL_MPSD_OK) return XBL_MPSD_E_OUTOFMEMORY;
    me->roles = copy;
    me->roles_count = roles_count;
    session->me_dirty |= XBL_MPSD__ME_ROLES;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_session_current_user_set_members_in_group(xbl_mpsd_session *session,
    const uint32_t *member_ids, size_t member_ids_count)
{
    xbl_mpsd_session_member *me;
    xbl_mpsd_result rc;
    if (!xbl_mpsd__has_doc(session) || member_ids == NULL) return XBL_MPSD_E_INVALIDARG;
    if ((me = xbl_mpsd__me(session)) == NULL) return XBL_MPSD_E_UNEXPECTED;
    rc = xbl_mpsd__set_u32s(session, &me->members_in_group_ids, &me->members_in_group_count, member_ids, member_ids_count);
    if (rc == XBL_MPSD_OK) session->me_dirty |= XBL_MPSD__ME_INITIALIZATION_GROUP;
    return rc;
}

static xbl_mpsd_result xbl_mpsd__me_set_strs(xbl_mpsd_session *s, const char *const *v, size_t n, bool encounters)
{
    xbl_mpsd_session_member *me;
    xbl_mpsd_result rc;
    if (!xbl_mpsd__has_doc(s) || !xbl_mpsd__strs_ok(v, n)) return XBL_MPSD_E_INVALIDARG;
    if ((me = xbl_mpsd__me(s)) == NULL) return XBL_MPSD_E_UNEXPECTED;
    rc = encounters ? xbl_mpsd__set_strs(s, &me->encounters, &me->encounters_count, v, n)
                    : xbl_mpsd__set_strs(s, &me->groups, &me->groups_count, v, n);
    if (rc == XBL_MPSD_OK) s->me_dirty |= encounters ? XBL_MPSD__ME_ENCOUNTERS : XBL_MPSD__ME_GROUPS;
    return rc;
}

xbl_mpsd_result xbl_mpsd_session_current_user_set_groups(xbl_mpsd_session *session,
    const char *const *groups, size_t groups_count)
{
    return xbl_mpsd__me_set_strs(session, groups, groups_count, false);
}

xbl_mpsd_result xbl_mpsd_session_current_user_set_encounters(xbl_mpsd_session *session,
    const char *const *encounters, size_t encounters_count)
{
    return xbl_mpsd__me_set_strs(session, encounters, encounters_count, true);
}

static xbl_mpsd_result xbl_mpsd__me_set_json(xbl_mpsd_session *s, const char *measurements, bool server)
{
    xbl_mpsd_session_member *me;
    xbl_mpsd_result rc;
    if (!xbl_mpsd__has_doc(s) || measurements == NULL) return XBL_MPSD_E_INVALIDARG;
    if ((me = xbl_mpsd__me(s)) == NULL) return XBL_MPSD_E_UNEXPECTED;
    rc = xbl_mpsd__set_json_text(s, server ? &me->server_measurements_json : &me->qos_measurements_json,
            measurements, false);
    if (rc == XBL_MPSD_OK) s->me_dirty |= server ? XBL_MPSD__ME_SERVER_MEASUREMENTS : XBL_MPSD__ME_MEASUREMENTS;
    return rc;
}

xbl_mpsd_result xbl_mpsd_session_current_user_set_qos_measurements(xbl_mpsd_session *session, const char *measurements)
{
    return xbl_mpsd__me_set_json(session, measurements, false);
}

xbl_mpsd_result xbl_mpsd_session_current_user_set_server_qos_measurements(xbl_mpsd_session *session,
    const char *measurements)
{
    return xbl_mpsd__me_set_json(session, measurements, true);
}

static xbl_mpsd_result xbl_mpsd__me_custom(xbl_mpsd_session *s, const char *name, const char *value_json, bool set)
{
    xbl_mpsd_session_member *me;
    xbl_mpsd_result rc;
    if (!xbl_mpsd__has_doc(s) || !xbl_mpsd__name_ok(name) || (set && value_json == NULL)) return XBL_MPSD_E_INVALIDARG;
    if ((me = xbl_mpsd__me(s)) == NULL) return XBL_MPSD_E_UNEXPECTED;
    rc = xbl_mpsd__custom_update(s, &me->custom_properties_json, &s->me_custom_changes, name, set ? value_json : NULL);
    if (rc == XBL_MPSD_OK) s->me_dirty |= XBL_MPSD__ME_CUSTOM;
    return rc;
}

xbl_mpsd_result xbl_mpsd_session_current_user_set_custom_property_json(xbl_mpsd_session *session,
    const char *name, const char *value_json)
{
    return xbl_mpsd__me_custom(session, name, value_json, true);
}

xbl_mpsd_result xbl_mpsd_session_current_user_delete_custom_property_json(xbl_mpsd_session *session, const char *name)
{
    return xbl_mpsd__me_custom(session, name, NULL, false);
}

/* ===========================================================================
   Secure device address
   =========================================================================== */

/* Standard base64 with padding (RFC 4648 §4) of n bytes into 4 * ceil(n / 3)
   characters at out, no NUL. Returns the characters written. */
static size_t xbl_mpsd__base64(const unsigned char *in, size_t n, char *out)
{
    /* index 64 is the padding character */
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
    size_t i, o = 0;
    for (i = 0; i < n; i += 3) {
        size_t left = n - i;   /* input bytes from i on; 1 or 2 in a padded last group */
        unsigned b0 = in[i], b1 = left > 1 ? in[i + 1] : 0u, b2 = left > 2 ? in[i + 2] : 0u;
        out[o++] = b64[b0 >> 2];
        out[o++] = b64[((b0 & 3u) << 4) | (b1 >> 4)];
        out[o++] = b64[left > 1 ? ((b1 & 15u) << 2) | (b2 >> 6) : 64u];
        out[o++] = b64[left > 2 ? b2 & 63u : 64u];
    }
    return o;
}

xbl_mpsd_result xbl_mpsd_format_secure_device_address(const char *device_id,
    xbl_mpsd_formatted_secure_device_address *address)
{
    /* "AAAAAAAA" + the ID: the first 9 bytes make 3 whole groups, so the
       prefix and the ID's first byte are encoded apart from the rest */
    unsigned char head[9] = { 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 0 };
    size_t id_len, o;
    if (device_id == NULL || address == NULL) return XBL_MPSD_E_INVALIDARG;
    id_len = xbl_mpsd__strnlen(device_id, 3062);
    if (id_len == 0 || id_len > 3061) return XBL_MPSD_E_INVALIDARG;
    head[8] = (unsigned char)device_id[0];
    o = xbl_mpsd__base64(head, sizeof head, address->value);
    o += xbl_mpsd__base64((const unsigned char *)device_id + 1, id_len - 1, address->value + o);
    address->value[o] = '\0';
    return XBL_MPSD_OK;
}


/* ===========================================================================
   Request serializer: the PUT body, only what was marked (MPSD §3, §3.8).
   Key order follows XSAPI: constants, roleTypes, properties, members,
   servers; inside a member: constants, roles, properties.
   =========================================================================== */

static const char *xbl_mpsd__visibility_name(xbl_mpsd_session_visibility v)
{
    switch (v) {
    case XBL_MPSD_SESSION_VISIBILITY_PRIVATE_SESSION: return "private";
    case XBL_MPSD_SESSION_VISIBILITY_VISIBLE: return "visible";
    case XBL_MPSD_SESSION_VISIBILITY_FULL: return "full";
    case XBL_MPSD_SESSION_VISIBILITY_OPEN: return "open";
    default: return NULL;
    }
}

static const char *xbl_mpsd__restriction_name(xbl_mpsd_session_restriction r)
{
    switch (r) {
    case XBL_MPSD_SESSION_RESTRICTION_NONE: return "none";
    case XBL_MPSD_SESSION_RESTRICTION_LOCAL: return "local";
    case XBL_MPSD_SESSION_RESTRICTION_FOLLOWED: return "followed";
    default: return NULL;
    }
}

static const char *xbl_mpsd__metric_name(xbl_mpsd_metrics m)
{
    static const char *const names[] = { "unknown", "bandwidthUp", "bandwidthDown", "bandwidth", "latency" };
    return names[(unsigned)m <= 4u ? (unsigned)m : 0u];
}

static void xbl_mpsd__jw_key_bool(xbl_mpsd__jw *w, const char *key, bool v)
{
    xbl_mpsd__jw_key(w, key);
    xbl_mpsd__jw_bool(w, v);
}

static void xbl_mpsd__jw_key_u64(xbl_mpsd__jw *w, const char *key, uint64_t v)
{
    xbl_mpsd__jw_key(w, key);
    xbl_mpsd__jw_u64(w, v);
}

static void xbl_mpsd__jw_key_timeout(xbl_mpsd__jw *w, const char *key, uint64_t v)
{
    xbl_mpsd__jw_key(w, key);
    xbl_mpsd__jw_timeout(w, v);
}

static void xbl_mpsd__jw_key_string(xbl_mpsd__jw *w, const char *key, const char *v)
{
    xbl_mpsd__jw_key(w, key);
    xbl_mpsd__jw_string(w, v);
}

static void xbl_mpsd__jw_key_raw(xbl_mpsd__jw *w, const char *key, const char *json)
{
    xbl_mpsd__jw_key(w, key);
    xbl_mpsd__jw_raw(w, json, xbl_mpsd__strlen(json));
}

static void xbl_mpsd__jw_strings(xbl_mpsd__jw *w, const char *key, const char *const *v, size_t n)
{
    size_t i;
    xbl_mpsd__jw_key(w, key);
    xbl_mpsd__jw_open(w, '[');
    for (i = 0; i < n; i++) xbl_mpsd__jw_string(w, v[i]);
    xbl_mpsd__jw_close(w, ']');
}

static void xbl_mpsd__jw_u32s(xbl_mpsd__jw *w, const char *key, const uint32_t *v, size_t n)
{
    size_t i;
    xbl_mpsd__jw_key(w, key);
    xbl_mpsd__jw_open(w, '[');
    for (i = 0; i < n; i++) xbl_mpsd__jw_u64(w, v[i]);
    xbl_mpsd__jw_close(w, ']');
}

static void xbl_mpsd__write_capabilities(xbl_mpsd__jw *w, const xbl_mpsd_session_capabilities *c)
{
    if (!(c->connectivity || c->suppress_presence_activity_check || c->gameplay || c->large
          || c->user_authorization_style || c->connection_required_for_active_members || c->crossplay
          || c->searchable || c->has_owners)) return;
    xbl_mpsd__jw_key(w, "capabilities");
    xbl_mpsd__jw_open(w, '{');
    if (c->connectivity) xbl_mpsd__jw_key_bool(w, "connectivity", true);
    if (c->suppress_presence_activity_check) xbl_mpsd__jw_key_bool(w, "suppressPresenceActivityCheck", true);
    if (c->gameplay) xbl_mpsd__jw_key_bool(w, "gameplay", true);
    if (c->large) xbl_mpsd__jw_key_bool(w, "large", true);
    if (c->user_authorization_style) xbl_mpsd__jw_key_bool(w, "userAuthorizationStyle", true);
    if (c->connection_required_for_active_members) xbl_mpsd__jw_key_bool(w, "connectionRequiredForActiveMembers", true);
    if (c->crossplay) xbl_mpsd__jw_key_bool(w, "crossPlay", true);
    if (c->searchable) xbl_mpsd__jw_key_bool(w, "searchable", true);
    if (c->has_owners) xbl_mpsd__jw_key_bool(w, "hasOwners", true);
    xbl_mpsd__jw_close(w, '}');
}

static void xbl_mpsd__write_initiators(xbl_mpsd__jw *w, const xbl_mpsd_session_constants *c)
{
    size_t i;
    if (c->initiator_xuids_count == 0) return;
    xbl_mpsd__jw_key(w, "initiators");
    xbl_mpsd__jw_open(w, '[');
    for (i = 0; i < c->initiator_xuids_count; i++) xbl_mpsd__jw_xuid(w, c->initiator_xuids[i]);
    xbl_mpsd__jw_close(w, ']');
}

static void xbl_mpsd__write_member_initialization(xbl_mpsd__jw *w, const xbl_mpsd_member_initialization *m)
{
    xbl_mpsd__jw_key(w, "memberInitialization");
    xbl_mpsd__jw_open(w, '{');
    xbl_mpsd__jw_key_timeout(w, "joinTimeout", m->join_timeout);
    xbl_mpsd__jw_key_timeout(w, "measurementTimeout", m->measurement_timeout);
    if (m->external_evaluation) xbl_mpsd__jw_key_timeout(w, "evaluationTimeout", m->evaluation_timeout);
    xbl_mpsd__jw_key_bool(w, "externalEvaluation", m->external_evaluation);
    xbl_mpsd__jw_key_u64(w, "membersNeededToStart", m->members_needed_to_start);
    xbl_mpsd__jw_close(w, '}');
}

static void xbl_mpsd__write_requirements(xbl_mpsd__jw *w, const xbl_mpsd_session *s)
{
    const xbl_mpsd_session_constants *c = &s->constants;
    if (s->dirty & XBL_MPSD__DIRTY_C_PEER_TO_PEER) {
        xbl_mpsd__jw_key(w, "peerToPeerRequirements");
        xbl_mpsd__jw_open(w, '{');
        xbl_mpsd__jw_key_u64(w, "latencyMaximum", c->peer_to_peer_requirements.latency_maximum);
        xbl_mpsd__jw_key_u64(w, "bandwidthMinimum", c->peer_to_peer_requirements.bandwidth_minimum_in_kbps);
        xbl_mpsd__jw_close(w, '}');
    }
    if (s->dirty & XBL_MPSD__DIRTY_C_PEER_TO_HOST) {
        xbl_mpsd__jw_key(w, "peerToHostRequirements");
        xbl_mpsd__jw_open(w, '{');
        xbl_mpsd__jw_key_u64(w, "latencyMaximum", c->peer_to_host_requirements.latency_maximum);
        xbl_mpsd__jw_key_u64(w, "bandwidthDownMinimum", c->peer_to_host_requirements.bandwidth_down_minimum_in_kbps);
        xbl_mpsd__jw_key_u64(w, "bandwidthUpMinimum", c->peer_to_host_requirements.bandwidth_up_minimum_in_kbps);
        xbl_mpsd__jw_key_string(w, "hostSelectionMetric", xbl_mpsd__metric_name(c->peer_to_host_requirements.host_selection_metric));
        xbl_mpsd__jw_close(w, '}');
    }
}

static void xbl_mpsd__write_constants(xbl_mpsd__jw *w, const xbl_mpsd_session *s)
{
    const xbl_mpsd_session_constants *c = &s->constants;
    const char *vis = xbl_mpsd__visibility_name(c->visibility);
    xbl_mpsd__jw_key(w, "constants");
    xbl_mpsd__jw_open(w, '{');
    xbl_mpsd__jw_key(w, "system");
    xbl_mpsd__jw_open(w, '{');
    xbl_mpsd__jw_key_u64(w, "version", 1);
    if (c->max_members_in_session > 0) xbl_mpsd__jw_key_u64(w, "maxMembersCount", c->max_members_in_session);
    xbl_mpsd__write_capabilities(w, &c->session_capabilities);
    if (vis) xbl_mpsd__jw_key_string(w, "visibility", vis);
    xbl_mpsd__write_initiators(w, c);
    if (s->dirty & XBL_MPSD__DIRTY_C_TIMEOUTS) {
        xbl_mpsd__jw_key_timeout(w, "reservedRemovalTimeout", c->member_reserved_timeout);
        xbl_mpsd__jw_key_timeout(w, "inactiveRemovalTimeout", c->member_inactive_timeout);
        xbl_mpsd__jw_key_timeout(w, "readyRemovalTimeout", c->member_ready_timeout);
        xbl_mpsd__jw_key_timeout(w, "sessionEmptyTimeout", c->session_empty_timeout);
    }
    if (s->dirty & XBL_MPSD__DIRTY_C_METRICS) {
        xbl_mpsd__jw_key(w, "metrics");
        xbl_mpsd__jw_open(w, '{');
        xbl_mpsd__jw_key_bool(w, "latency", c->enable_metrics_latency);
        xbl_mpsd__jw_key_bool(w, "bandwidthDown", c->enable_metrics_bandwidth_down);
        xbl_mpsd__jw_key_bool(w, "bandwidthUp", c->enable_metrics_bandwidth_up);
        xbl_mpsd__jw_key_bool(w, "custom", c->enable_metrics_custom);
        xbl_mpsd__jw_close(w, '}');
    }
    if ((s->dirty & XBL_MPSD__DIRTY_C_MEMBER_INIT) && c->member_initialization)
        xbl_mpsd__write_member_initialization(w, c->member_initialization);
    xbl_mpsd__write_requirements(w, s);
    if (s->dirty & XBL_MPSD__DIRTY_C_MEASUREMENT)
        xbl_mpsd__jw_key_raw(w, "measurementServerAddresses", c->measurement_server_addresses_json);
    if (c->session_cloud_compute_package_constants_json[0] != '\0')
        xbl_mpsd__jw_key_raw(w, "cloudComputePackage", c->session_cloud_compute_package_constants_json);
    xbl_mpsd__jw_close(w, '}');
    xbl_mpsd__jw_key_raw(w, "custom", c->custom_json[0] != '\0' ? c->custom_json : "{}");
    xbl_mpsd__jw_close(w, '}');
}

static void xbl_mpsd__write_role_types(xbl_mpsd__jw *w, const xbl_mpsd_session *s)
{
    size_t t, r;
    xbl_mpsd__jw_key(w, "roleTypes");
    xbl_mpsd__jw_open(w, '{');
    for (t = 0; t < s->role_types_count; t++) {
        const xbl_mpsd_role_type *type = &s->role_types[t];
        xbl_mpsd__jw_key(w, type->name);
        xbl_mpsd__jw_open(w, '{');
        xbl_mpsd__jw_key(w, "roles");
        xbl_mpsd__jw_open(w, '{');
        for (r = 0; r < type->role_count; r++) {
            xbl_mpsd__jw_key(w, type->roles[r].name);
            xbl_mpsd__jw_open(w, '{');
            if (type->roles[r].max_member_count != 0) xbl_mpsd__jw_key_u64(w, "max", type->roles[r].max_member_count);
            if (type->roles[r].target_count > 0) xbl_mpsd__jw_key_u64(w, "target", type->roles[r].target_count);
            xbl_mpsd__jw_close(w, '}');
        }
        xbl_mpsd__jw_close(w, '}');
        xbl_mpsd__jw_close(w, '}');
    }
    xbl_mpsd__jw_close(w, '}');
}

#define XBL_MPSD__DIRTY_PROPERTIES_SYSTEM (XBL_MPSD__DIRTY_KEYWORDS | XBL_MPSD__DIRTY_JOIN_RESTRICTION \
    | XBL_MPSD__DIRTY_READ_RESTRICTION | XBL_MPSD__DIRTY_TURN | XBL_MPSD__DIRTY_MM_TARGET_CONSTANTS \
    | XBL_MPSD__DIRTY_MM_CONNECTION | XBL_MPSD__DIRTY_CANDIDATES | XBL_MPSD__DIRTY_HOST | XBL_MPSD__DIRTY_CLOSED \
    | XBL_MPSD__DIRTY_LOCKED | XBL_MPSD__DIRTY_ALLOCATE_CLOUD | XBL_MPSD__DIRTY_MM_RESUBMIT \
    | XBL_MPSD__DIRTY_INIT_SUCCEEDED)

/* Marked system properties that produce output (an UNKNOWN restriction is
   kept locally but never written). */
static uint32_t xbl_mpsd__system_output(const xbl_mpsd_session *s)
{
    uint32_t d = s->dirty & XBL_MPSD__DIRTY_PROPERTIES_SYSTEM;
    if (xbl_mpsd__restriction_name(s->properties.join_restriction) == NULL) d &= ~XBL_MPSD__DIRTY_JOIN_RESTRICTION;
    if (xbl_mpsd__restriction_name(s->properties.read_restriction) == NULL) d &= ~XBL_MPSD__DIRTY_READ_RESTRICTION;
    return d;
}

static void xbl_mpsd__write_properties_system(xbl_mpsd__jw *w, const xbl_mpsd_session *s, uint32_t d)
{
    const xbl_mpsd_session_properties *p = &s->properties;
    xbl_mpsd__jw_key(w, "system");
    xbl_mpsd__jw_open(w, '{');
    if (d & XBL_MPSD__DIRTY_KEYWORDS) xbl_mpsd__jw_strings(w, "keywords", p->keywords, p->keyword_count);
    if (d & XBL_MPSD__DIRTY_TURN) xbl_mpsd__jw_u32s(w, "turn", p->turn_collection, p->turn_collection_count);
    if (d & XBL_MPSD__DIRTY_JOIN_RESTRICTION)
        xbl_mpsd__jw_key_string(w, "joinRestriction", xbl_mpsd__restriction_name(p->join_restriction));
    if (d & XBL_MPSD__DIRTY_READ_RESTRICTION)
        xbl_mpsd__jw_key_string(w, "readRestriction", xbl_mpsd__restriction_name(p->read_restriction));
    if (d & XBL_MPSD__DIRTY_CLOSED) xbl_mpsd__jw_key_bool(w, "closed", p->closed);
    if (d & XBL_MPSD__DIRTY_LOCKED) xbl_mpsd__jw_key_bool(w, "locked", p->locked);
    if (d & XBL_MPSD__DIRTY_ALLOCATE_CLOUD) xbl_mpsd__jw_key_bool(w, "allocateCloudCompute", p->allocate_cloud_compute);
    if (d & (XBL_MPSD__DIRTY_MM_TARGET_CONSTANTS | XBL_MPSD__DIRTY_MM_CONNECTION)) {
        xbl_mpsd__jw_key(w, "matchmaking");
        xbl_mpsd__jw_open(w, '{');
        if (d & XBL_MPSD__DIRTY_MM_TARGET_CONSTANTS)
            xbl_mpsd__jw_key_raw(w, "targetSessionConstants", p->matchmaking_target_session_constants_json);
        if (d & XBL_MPSD__DIRTY_MM_CONNECTION)
            xbl_mpsd__jw_key_string(w, "serverConnectionString", p->matchmaking_server_connection_string);
        xbl_mpsd__jw_close(w, '}');
    }
    if (d & XBL_MPSD__DIRTY_MM_RESUBMIT) xbl_mpsd__jw_key_bool(w, "matchmakingResubmit", p->matchmaking_resubmit);
    if (d & XBL_MPSD__DIRTY_INIT_SUCCEEDED) xbl_mpsd__jw_key_bool(w, "initializationSucceeded", s->initialization_succeeded);
    if (d & XBL_MPSD__DIRTY_HOST) xbl_mpsd__jw_key_string(w, "host", p->host_device_token.value);
    if (d & XBL_MPSD__DIRTY_CANDIDATES)
        xbl_mpsd__jw_strings(w, "serverConnectionStringCandidates", p->server_connection_string_candidates,
                p->server_connection_string_candidates_count);
    xbl_mpsd__jw_close(w, '}');
}

/* The custom object a write sends: the changed keys (MPSD merges key by
   key), or with XBL_MPSD_WRITE_WHOLE_CUSTOM the whole local copy, as XSAPI. */
static const char *xbl_mpsd__custom_output(const xbl_mpsd_session *s, const xbl_mpsd_session_member *me)
{
#if XBL_MPSD_WRITE_WHOLE_CUSTOM
    if (me == NULL) return s->properties.session_custom_properties_json;
    return me->custom_properties_json ? me->custom_properties_json : "{}";
#else
    return me ? s->me_custom_changes : s->custom_changes;
#endif
}

static void xbl_mpsd__write_properties(xbl_mpsd__jw *w, const xbl_mpsd_session *s)
{
    uint32_t d = xbl_mpsd__system_output(s);
    if (d == 0 && !(s->dirty & XBL_MPSD__DIRTY_CUSTOM)) return;
    xbl_mpsd__jw_key(w, "properties");
    xbl_mpsd__jw_open(w, '{');
    if (d) xbl_mpsd__write_properties_system(w, s, d);
    if (s->dirty & XBL_MPSD__DIRTY_CUSTOM) xbl_mpsd__jw_key_raw(w, "custom", xbl_mpsd__custom_output(s, NULL));
    xbl_mpsd__jw_close(w, '}');
}

/* constants of a member added by this object (join or reservation) */
static void xbl_mpsd__write_member_constants(xbl_mpsd__jw *w, const xbl_mpsd_session_member *m)
{
    xbl_mpsd__jw_key(w, "constants");
    xbl_mpsd__jw_open(w, '{');
    xbl_mpsd__jw_key(w, "system");
    xbl_mpsd__jw_open(w, '{');
    xbl_mpsd__jw_key(w, "xuid");
    xbl_mpsd__jw_xuid(w, m->xuid);
    if (m->initialize_requested) xbl_mpsd__jw_key_bool(w, "initialize", true);
    xbl_mpsd__jw_close(w, '}');
    if (m->custom_constants_json) xbl_mpsd__jw_key_raw(w, "custom", m->custom_constants_json);
    xbl_mpsd__jw_close(w, '}');
}

static void xbl_mpsd__write_subscription(xbl_mpsd__jw *w, const xbl_mpsd_session *s)
{
    static const char *const names[] = {
        "everything", "host", "initialization", "matchmakingStatus", "membersList",
        "membersStatus", "joinability", "customProperty", "membersCustomProperty"
    };
    unsigned bit;
    xbl_mpsd__jw_key(w, "subscription");
    xbl_mpsd__jw_open(w, '{');
    xbl_mpsd__jw_key_string(w, "id", s->subscription_id);
    xbl_mpsd__jw_key(w, "changeTypes");
    xbl_mpsd__jw_open(w, '[');
    for (bit = 0; bit < 9; bit++)
        if (s->subscription_change_types & (1u << bit)) xbl_mpsd__jw_string(w, names[bit]);
    xbl_mpsd__jw_close(w, ']');
    xbl_mpsd__jw_close(w, '}');
}

#define XBL_MPSD__ME_SYSTEM (XBL_MPSD__ME_STATUS | XBL_MPSD__ME_SECURE_DEVICE_ADDRESS | XBL_MPSD__ME_INITIALIZATION_GROUP \
    | XBL_MPSD__ME_GROUPS | XBL_MPSD__ME_ENCOUNTERS | XBL_MPSD__ME_MEASUREMENTS | XBL_MPSD__ME_SERVER_MEASUREMENTS \
    | XBL_MPSD__ME_SUBSCRIPTION)

/* `connection` (an RTA connection ID, or NULL) goes beside "active": true only. */
static void xbl_mpsd__write_me_system(xbl_mpsd__jw *w, const xbl_mpsd_session *s, const xbl_mpsd_session_member *m,
                                      const char *connection)
{
    uint32_t d = s->me_dirty;
    xbl_mpsd__jw_key(w, "system");
    xbl_mpsd__jw_open(w, '{');
    if (d & XBL_MPSD__ME_STATUS) {
        bool active = m->status == XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE;
        xbl_mpsd__jw_key_bool(w, "active", active);
        if (!active) xbl_mpsd__jw_key_bool(w, "ready", false);
        if (active && connection != NULL) xbl_mpsd__jw_key_string(w, "connection", connection);
    }
    if (d & XBL_MPSD__ME_SUBSCRIPTION) xbl_mpsd__write_subscription(w, s);
    if (d & XBL_MPSD__ME_SECURE_DEVICE_ADDRESS)
        xbl_mpsd__jw_key_string(w, "secureDeviceAddress", m->secure_device_base_address64 ? m->secure_device_base_address64 : "");
    if (d & XBL_MPSD__ME_INITIALIZATION_GROUP)
        xbl_mpsd__jw_u32s(w, "initializationGroup", m->members_in_group_ids, m->members_in_group_count);
    if (d & XBL_MPSD__ME_GROUPS) xbl_mpsd__jw_strings(w, "groups", m->groups, m->groups_count);
    if (d & XBL_MPSD__ME_ENCOUNTERS) xbl_mpsd__jw_strings(w, "encounters", m->encounters, m->encounters_count);
    if (d & XBL_MPSD__ME_MEASUREMENTS) xbl_mpsd__jw_key_raw(w, "measurements", m->qos_measurements_json);
    if (d & XBL_MPSD__ME_SERVER_MEASUREMENTS) xbl_mpsd__jw_key_raw(w, "serverMeasurements", m->server_measurements_json);
    xbl_mpsd__jw_close(w, '}');
}

static void xbl_mpsd__write_me(xbl_mpsd__jw *w, const xbl_mpsd_session *s, const xbl_mpsd_session_member *m, bool is_new,
                               const char *connection)
{
    xbl_mpsd__jw_key(w, "me");
    xbl_mpsd__jw_open(w, '{');
    if (is_new) xbl_mpsd__write_member_constants(w, m);
    if (s->me_dirty & XBL_MPSD__ME_ROLES) {
        size_t i;
        xbl_mpsd__jw_key(w, "roles");
        xbl_mpsd__jw_open(w, '{');
        for (i = 0; i < m->roles_count; i++) xbl_mpsd__jw_key_string(w, m->roles[i].role_type_name, m->roles[i].role_name);
        xbl_mpsd__jw_close(w, '}');
    }
    if (s->me_dirty & (XBL_MPSD__ME_SYSTEM | XBL_MPSD__ME_CUSTOM)) {
        xbl_mpsd__jw_key(w, "properties");
        xbl_mpsd__jw_open(w, '{');
        if (s->me_dirty & XBL_MPSD__ME_SYSTEM) xbl_mpsd__write_me_system(w, s, m, connection);
        if (s->me_dirty & XBL_MPSD__ME_CUSTOM) xbl_mpsd__jw_key_raw(w, "custom", xbl_mpsd__custom_output(s, m));
        xbl_mpsd__jw_close(w, '}');
    }
    xbl_mpsd__jw_close(w, '}');
}

/* The current user to write under `me`, or NULL when there is none to write. */
static const xbl_mpsd_session_member *xbl_mpsd__me_output(const xbl_mpsd_session *s)
{
    size_t i = xbl_mpsd__current_index(s);
    if (i == SIZE_MAX) return NULL;
    if (s->state & XBL_MPSD__STATE_JOINED) return &s->members[i];
    return s->me_dirty ? &s->members[i] : NULL;
}

static bool xbl_mpsd__is_reservation(const xbl_mpsd_session *s, size_t i)
{
    return i >= s->document_members_count && i != s->joined_index;
}

#ifndef XBL_MPSD_NO_RTA
/* Does the next body set the current member active ("active": true)? */
static bool xbl_mpsd__body_sets_active(const xbl_mpsd_session *s)
{
    const xbl_mpsd_session_member *me = xbl_mpsd__me_output(s);
    return me != NULL && !(s->state & XBL_MPSD__STATE_LEFT) && (s->me_dirty & XBL_MPSD__ME_STATUS)
        && me->status == XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE;
}
#endif

static void xbl_mpsd__write_members(xbl_mpsd__jw *w, const xbl_mpsd_session *s, const char *connection)
{
    const xbl_mpsd_session_member *me = xbl_mpsd__me_output(s);
    bool left = (s->state & XBL_MPSD__STATE_LEFT) != 0;
    size_t i, k = 0, reservations = s->members_count - s->document_members_count - (s->joined_index != SIZE_MAX);
    if (!left && me == NULL && reservations == 0) return;
    xbl_mpsd__jw_key(w, "members");
    xbl_mpsd__jw_open(w, '{');
    if (left) {
        xbl_mpsd__jw_key(w, "me");
        xbl_mpsd__jw_raw(w, "null", 4);
    } else if (me) {
        xbl_mpsd__write_me(w, s, me, (s->state & XBL_MPSD__STATE_JOINED) != 0, connection);
    }
    for (i = 0; i < s->members_count; i++) {
        char key[32] = "reserve_";
        size_t n;
        if (!xbl_mpsd__is_reservation(s, i)) continue;
        n = xbl_mpsd__u64_to_dec(k++, key + 8);
        key[8 + n] = '\0';
        xbl_mpsd__jw_key(w, key);
        xbl_mpsd__jw_open(w, '{');
        xbl_mpsd__write_member_constants(w, &s->members[i]);
        xbl_mpsd__jw_close(w, '}');
    }
    xbl_mpsd__jw_close(w, '}');
}

static void xbl_mpsd__write_body(xbl_mpsd__jw *w, const xbl_mpsd_session *s, const char *connection)
{
    xbl_mpsd__jw_open(w, '{');
    if (!xbl_mpsd__is_service(s) && (s->dirty & XBL_MPSD__DIRTY_CONSTANTS)) xbl_mpsd__write_constants(w, s);
    if (s->dirty & XBL_MPSD__DIRTY_ROLE_TYPES) xbl_mpsd__write_role_types(w, s);
    xbl_mpsd__write_properties(w, s);
    xbl_mpsd__write_members(w, s, connection);
    if (s->dirty & XBL_MPSD__DIRTY_SERVERS) xbl_mpsd__jw_key_raw(w, "servers", s->raw_servers_json);
    xbl_mpsd__jw_close(w, '}');
}

/* The body with `connection` stamped beside "active": true (NULL: none). */
static xbl_mpsd_result xbl_mpsd__session_write_body_stamped(const xbl_mpsd_session *s, const char *connection,
                                                            char *buf, size_t cap, size_t *len)
{
    xbl_mpsd__jw w;
    if (!xbl_mpsd__has_doc(s) || len == NULL || (buf == NULL && cap > 0)) return XBL_MPSD_E_INVALIDARG;
    xbl_mpsd__jw_init(&w, buf, cap);
    xbl_mpsd__write_body(&w, s, connection);
    *len = w.len;
    return w.len <= cap ? XBL_MPSD_OK : XBL_MPSD_E_OUTOFMEMORY;
}

static xbl_mpsd_result xbl_mpsd__session_write_body(const xbl_mpsd_session *s, char *buf, size_t cap, size_t *len)
{
    return xbl_mpsd__session_write_body_stamped(s, NULL, buf, cap, len);
}


/* ===========================================================================
   JSON reader (one-pass key-table walker) and response parser
   The engine (xbl_mpsd__rd_*) reads any JSON document into C structs with
   no token storage and no recursion. A document is described by key tables
   (xbl_mpsd__rd_table): for each known key of one kind of object, what its
   value is (an XBL_MPSD__RT_* type), where it goes (a byte offset from the
   object's target struct) and one argument (an enum table, a buffer size, a
   nested table or a special handler). xbl_mpsd__rd_walk walks each object's
   members once, in document order, and dispatches each key through its
   object's table; a known nested object becomes a new frame on a fixed
   stack (XBL_MPSD__RD_FRAMES deep), an unknown key's value is skipped by
   xbl_mpsd__json_skip, which checks its grammar on the way. The walk stops
   when a given frame closes, and yields to its caller at a key of type
   XBL_MPSD__RT_YIELD (a part the caller reads its own way, such as a map
   too large to walk in place). Every value a handler keeps or hands on is
   checked while it is copied: escapes, UTF-8 and number syntax. A handler
   that meets the wrong JSON type marks the document bad (r->bad, sticky)
   and skips the value, so the grammar of the whole text is still checked;
   malformed text stops the walk at once.
   A response reader runs the walk twice over the same text: the first walk
   checks and measures (its arena in measure mode, its structs in scratch
   space), the second fills the caller's arena, which it can no longer fail
   to do. So a failed read changes nothing and the arena needs only the new
   document's size. The walker state and the scratch structs live in the
   caller's scratch buffer (the async buffer after the body), not on the
   stack. The second walk trusts the text the first one checked: it finds
   string ends by their quote and skips unknown values by counting brackets.
   A session result takes one walk instead when it can (departure from
   DESIGN.md's measure-then-fill, issue 15): when the async buffer has at
   least the body's size spare past the walker state, the walk checks and
   fills into that spare space, then the block is copied into out's arena
   in the two walks' layout, byte for byte, its pointers following
   (xbl_mpsd__session_load_direct). The arena use is the same either way,
   so OUTOFMEMORY reports one exact size, and out is only written once the
   copy is known to fit. Members must be the chain in document order (what
   the service sends) for the one walk; any other shape, a large session,
   or a buffer sized exactly by xbl_mpsd_async_needed_bytes takes the two
   walks.
   Another document (handles, RTA) adds its tables to xbl_mpsd__rd_tables
   (ids after the session's), its cases to the open/close hooks
   (xbl_mpsd__rd_hook_open, _close) and its handlers to xbl_mpsd__rd_call,
   and drives xbl_mpsd__rd_push + xbl_mpsd__rd_walk twice the way
   xbl_mpsd__rd_session does.
   Conventions of the session reader: a known key given twice is read twice
   (each occurrence must be valid; a later one overrides what it gives, so
   an object given twice reads as the two merged). Map-like objects
   (roleTypes, roles, member roles) keep every entry in document order.
   Inside title-owned custom JSON the SDK only peeks
   (matchmakingResult.initialTeam) and ignores wrong types there. null reads
   as absent for string fields (plain, enum, XUID/activeTitleId),
   memberInitialization, the two requirements objects, servers.matchmaking,
   member roles and raw-JSON/custom sections; a null timeout reads as
   XBL_MPSD_TIMEOUT_INFINITE; null anywhere else is a type error. Integers
   are plain digit runs (no sign, fraction or exponent) within range.
   Members (MPSD §4.6) are read after the rest of the document: the first
   walk reads each entry alone (its own arena cost, validity and `next`);
   when the entries are the chain in document order (what the service
   sends) the second walk reads them in one sequence, otherwise each link is
   looked up by key (the last entry with that key wins).
   =========================================================================== */

/* What a key's value is. */
enum {
    XBL_MPSD__RT_BOOL,      /* bool */
    XBL_MPSD__RT_U32,       /* uint32_t, a JSON integer */
    XBL_MPSD__RT_U64,       /* uint64_t */
    XBL_MPSD__RT_TIMEOUT,   /* uint64_t; null: XBL_MPSD_TIMEOUT_INFINITE */
    XBL_MPSD__RT_ENUM,      /* arg: enum table; unknown string: the enum's 0 */
    XBL_MPSD__RT_STR,       /* const char * in the arena; null: absent */
    XBL_MPSD__RT_FIXED,     /* char[arg]; must fit */
    XBL_MPSD__RT_CUT,       /* char[arg]; cut at a character boundary */
    XBL_MPSD__RT_DEC64,     /* uint64_t from a decimal string */
    XBL_MPSD__RT_DEC32,     /* uint32_t from a decimal string */
    XBL_MPSD__RT_TIME,      /* time_t from an ISO-8601 UTC string */
    XBL_MPSD__RT_RAW_OBJ,   /* const char *: the object's text; null: absent */
    XBL_MPSD__RT_RAW,       /* const char *: any value's text; null: absent */
    XBL_MPSD__RT_STRS,      /* const char *const *, then size_t count */
    XBL_MPSD__RT_U32S,      /* const uint32_t *, then size_t count */
    XBL_MPSD__RT_XUIDS,     /* const uint64_t *, then size_t count */
    XBL_MPSD__RT_TOKENS,    /* const xbl_mpsd_device_token *, then size_t count */
    XBL_MPSD__RT_FLAGS,     /* uint32_t from an array of enum strings (arg) */
    XBL_MPSD__RT_OBJ,       /* nested object: table arg, same target */
    XBL_MPSD__RT_OBJ_NULL,  /* the same, null allowed (absent) */
    XBL_MPSD__RT_MAP,       /* object of objects: map arg (below) */
    XBL_MPSD__RT_CALL,      /* handler arg of the document's own */
    XBL_MPSD__RT_YIELD      /* the walk returns to its caller here */
};

typedef struct xbl_mpsd__rd_key {
    const char *name;
    uint16_t    off;    /* from the frame's target */
    uint8_t     type;   /* XBL_MPSD__RT_* */
    uint8_t     arg;
} xbl_mpsd__rd_key;

typedef struct xbl_mpsd__rd_table {
    const xbl_mpsd__rd_key *keys;
    uint8_t                 count;
    uint8_t                 id;         /* told to the open and close hooks */
    uint8_t                 required;   /* keys[0..required) must be present */
} xbl_mpsd__rd_table;

typedef struct xbl_mpsd__rd_enum {
    const char *const *names;
    uint8_t            count;
    uint8_t            first;   /* value of names[0] */
    uint8_t            size;    /* sizeof the enum type */
} xbl_mpsd__rd_enum;

/* An open object: its table, where its values go, which keys were met. */
typedef struct xbl_mpsd__rd_frame {
    const xbl_mpsd__rd_table *t;
    unsigned char            *base;
    uint32_t                  seen;
    uint8_t                   started;   /* a member was read: ',' comes next */
    uint8_t                   hint;      /* where the next key lookup starts */
    uint8_t                   map;       /* a map frame: every value is an element */
    uint16_t                  index;     /* map: next element */
    unsigned char            *elems;     /* map: the element array (NULL when measuring) */
    size_t                    cap;       /* map: the elements it holds */
} xbl_mpsd__rd_frame;

#define XBL_MPSD__RD_FRAMES 8   /* deepest object path a table describes, plus one */

/* The session document's scratch: one of each struct the walk fills while
   it measures, so the measuring walk always has somewhere to write. */
typedef struct xbl_mpsd__rd_scratch {
    xbl_mpsd_session         session;
    xbl_mpsd_session_member  member;
    xbl_mpsd_role_type       type;
    xbl_mpsd_role            role;
} xbl_mpsd__rd_scratch;

#ifndef XBL_MPSD_NO_HANDLES
/* The handle documents' reader state. */
typedef struct xbl_mpsd__rd_h {
    size_t                     count;        /* elements of the results list */
    size_t                     lists;        /* results keys met */
    xbl_mpsd_activity_details *acts;         /* the caller's array when filling */
    bool                       with_text;    /* custom properties kept (WithProperties) */
    bool                       custom_seen;  /* ...in the element being read */
    char                       first_id[XBL_MPSD_GUID_LENGTH];
    xbl_mpsd_search_handle    *shs;          /* the caller's search handles when filling */
    xbl_mpsd_session_query_result *qrs;      /* the caller's query results when filling */
    union {
        xbl_mpsd_activity_details act;
        struct {
            xbl_mpsd_search_handle            sh;
            xbl_mpsd_session_string_attribute tmp;   /* a tag or attribute */
        } search;
        xbl_mpsd_session_query_result qr;
    } sc;                                    /* the element being measured */
} xbl_mpsd__rd_h;
#endif

typedef struct xbl_mpsd__rd {
    const char        *js;       /* the text */
    size_t             n;
    size_t             i;        /* cursor */
    xbl_mpsd__arena   *a;        /* where kept values go */
    bool               bad;      /* sticky: a valid JSON text, not a valid document */
    bool               fill;     /* second walk: the text is known good */
    unsigned           depth;    /* open frames */
    unsigned           depth0;   /* JSON nesting of frame 0 */
    xbl_mpsd__rd_frame f[XBL_MPSD__RD_FRAMES];
    xbl_mpsd__rd_scratch sc;
    /* session document state (wide fields first: no padding) */
    xbl_mpsd_session  *s;
    size_t             members_at, members_end;   /* the members object, 0 when absent */
    uint64_t           first, next;               /* membersInfo; UINT64_MAX when not valid */
    uint64_t           member_next;               /* `next` of the member being read; UINT64_MAX when not valid */
    xbl_mpsd__arena    probe;          /* measures member entries (first walk) */
    size_t             entries;        /* members object: its entries */
    uint64_t           chain_first, chain_next;   /* ...its first index, the last `next` */
    size_t             chain_bytes;    /* ...their arena bytes, one after the other from an aligned start */
    size_t             chain_count;    /* links of a chain looked up by key */
    size_t             me_at, me_bytes;   /* the "me" entry (large sessions) */
    size_t             direct_a1, direct_b_lo, direct_b_hi, direct_a2;   /* ...its arena's seams */
    uint32_t           role_xuids;                /* memberXuids count + 1, 0 when absent */
    uint32_t           member_flags;              /* XBL_MPSD__RM_* of the member being read */
    xbl_mpsd_session_change_types member_sub;     /* ...its subscription */
    xbl_mpsd_session_change_types direct_sub;     /* the one walk: the current user's subscription */
    bool               has_info;
    bool               chain_ok;       /* members entries: are the chain in document order */
    bool               chain_bad;      /* ...one of them is not a valid member */
    bool               me_bad;
    bool               direct;         /* the one walk: checks and fills (xbl_mpsd__session_load) */
#ifndef XBL_MPSD_NO_HANDLES
    xbl_mpsd__rd_h     h;              /* handle documents */
#endif
} xbl_mpsd__rd;

#define XBL_MPSD__RM_ACTIVE   1u
#define XBL_MPSD__RM_READY    2u
#define XBL_MPSD__RM_RESERVED 4u

/* ISO-8601 UTC "YYYY-MM-DDTHH:MM:SS[.fff…]Z" → seconds since the epoch.
   The fields are `long`: four-digit years keep every step within 32 bits,
   so a 32-bit target needs no 64-bit division helpers. */
static long xbl_mpsd__days_from_civil(long y, long m, long d)
{
    long era, yoe, doy, doe;
    y -= m <= 2 ? 1 : 0;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The six fixed-width fields of "YYYY-MM-DDTHH:MM:SS" into f. */
static bool xbl_mpsd__time_fields(const char *s, long f[6])
{
    static const unsigned char at[6] = { 0, 5, 8, 11, 14, 17 };
    static const unsigned char width[6] = { 4, 2, 2, 2, 2, 2 };
    static const char sep[6] = { '-', '-', 'T', ':', ':', '\0' };
    size_t i, k;
    for (i = 0; i < 6; i++) {
        char after = s[at[i] + width[i]];
        f[i] = 0;
        for (k = 0; k < width[i]; k++) {
            char c = s[at[i] + k];
            if (c < '0' || c > '9') return false;
            f[i] = f[i] * 10 + (c - '0');
        }
        if (sep[i] && after != sep[i] && !(sep[i] == 'T' && after == 't')) return false;
    }
    return true;
}

/* Whether the fields name a real date and time (a leap second allowed). */
static bool xbl_mpsd__time_valid(const long f[6])
{
    static const unsigned char mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (f[0] % 4 == 0 && f[0] % 100 != 0) || f[0] % 400 == 0;
    if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > mdays[f[1] - 1]) return false;
    if (f[1] == 2 && f[2] == 29 && !leap) return false;
    return f[3] <= 23 && f[4] <= 59 && f[5] <= 60;
}

static bool xbl_mpsd__parse_time(const char *s, size_t n, time_t *out)
{
    long f[6];
    int64_t secs;
    size_t i = 19;
    if (n < 20 || !xbl_mpsd__time_fields(s, f)) return false;
    if (s[i] == '.') {   /* fraction: at least one digit */
        size_t end = xbl_mpsd__json_digits(s, n, i + 1);
        if (end == i + 1) return false;
        i = end;
    }
    if (i + 1 != n || (s[i] != 'Z' && s[i] != 'z')) return false;
    if (!xbl_mpsd__time_valid(f)) return false;
    secs = (int64_t)xbl_mpsd__days_from_civil(f[0], f[1], f[2]) * 86400 + f[3] * 3600 + f[4] * 60 + f[5];
    if (sizeof(time_t) < sizeof(int64_t) && (secs > INT32_MAX || secs < INT32_MIN)) return false;
    *out = (time_t)secs;
    return true;
}

/* ---- scalar readers: each takes the value at v and returns the index
   after it, or SIZE_MAX on malformed text; a wrong type marks r bad. ---- */

/* End of the string at v; *esc when it holds an escape. The first walk
   checks it, the second knows the text is good and only looks for the
   closing quote. */
static size_t xbl_mpsd__rd_str_end(const xbl_mpsd__rd *r, size_t v, bool *esc)
{
    size_t k = v + 1;
    *esc = false;
    if (!r->fill) return xbl_mpsd__json_string_scan(r->js, r->n, v, esc);
    while (r->js[k] != '"') {
        if (r->js[k] == '\\') { *esc = true; k++; }
        k++;
    }
    return k + 1;
}

/* Index after the value at v, `depth` containers deep: checked against the
   grammar in the first walk, only bracket-counted in the second. */
static size_t xbl_mpsd__rd_skip(const xbl_mpsd__rd *r, size_t v, unsigned depth)
{
    size_t i = v;
    unsigned d = 0;
    bool esc;
    char c = r->js[v];
    if (!r->fill) return xbl_mpsd__json_skip(r->js, r->n, v, depth);
    if (c == '"') return xbl_mpsd__rd_str_end(r, v, &esc);
    if (c != '{' && c != '[') {   /* number or literal */
        while (i < r->n && (c = r->js[i]) != ',' && c != '}' && c != ']' && c != ' ' && c != '\t' && c != '\n'
               && c != '\r') i++;
        return i;
    }
    for (;; i++) {
        c = r->js[i];
        if (c == '"') i = xbl_mpsd__rd_str_end(r, i, &esc) - 1;
        else if (c == '{' || c == '[') d++;
        else if ((c == '}' || c == ']') && --d == 0) return i + 1;
    }
}

static size_t xbl_mpsd__rd_wrong(xbl_mpsd__rd *r, size_t v)
{
    r->bad = true;
    return xbl_mpsd__rd_skip(r, v, r->depth0 + r->depth);
}

/* A JSON integer <= max at v into *out; *end after it. false: not one (bad). */
static bool xbl_mpsd__rd_uint(xbl_mpsd__rd *r, size_t v, uint64_t max, uint64_t *out, size_t *end)
{
    char c = r->js[v];
    if (c != '-' && (c < '0' || c > '9')) { *end = xbl_mpsd__rd_wrong(r, v); return false; }
    *end = xbl_mpsd__json_number_end(r->js, r->n, v);
    if (*end == SIZE_MAX) return false;
    if (!xbl_mpsd__parse_dec(r->js + v, *end - v, max, out)) { r->bad = true; return false; }
    return true;
}

/* The string at v decoded into buf[cap] (NUL-terminated). When it does not
   fit: `cut` stops at the last whole character, else *fits is false. A
   decoded NUL marks r bad. Returns the index after the string. */
static size_t xbl_mpsd__rd_text(xbl_mpsd__rd *r, size_t v, char *buf, size_t cap, bool cut, bool *fits)
{
    size_t k = v + 1, len = 0, end;
    bool full = false, esc;
    char ch[4];
    *fits = true;
    end = xbl_mpsd__rd_str_end(r, v, &esc);
    if (end == SIZE_MAX) return end;
    if (!esc) {   /* no escape: the bytes are the text (UTF-8 checked by the first walk) */
        len = end - v - 2;
        if (len >= cap) {
            *fits = cut;
            for (len = cap - 1; len > 0 && ((unsigned char)r->js[v + 1 + len] & 0xC0) == 0x80; len--) {}
        }
        XBL_MPSD_MEMCPY(buf, r->js + v + 1, len);
        buf[len] = '\0';
        return end;
    }
    while (k < r->n && r->js[k] != '"') {
        size_t m = xbl_mpsd__json_char(r->js, r->n, &k, ch);
        if (m == 0) return SIZE_MAX;
        if (m == 1 && ch[0] == '\0') r->bad = true;
        if (full) continue;
        if (len + m >= cap) {
            full = true;
            *fits = cut;
            continue;
        }
        XBL_MPSD_MEMCPY(buf + len, ch, m);
        len += m;
    }
    if (k >= r->n) return SIZE_MAX;
    buf[len] = '\0';
    return k + 1;
}

/* The string at v, decoded into the arena; *out "" when measuring. */
static size_t xbl_mpsd__rd_string(xbl_mpsd__rd *r, size_t v, const char **out)
{
    const char *s = r->js + v + 1;
    bool esc;
    size_t end = xbl_mpsd__rd_str_end(r, v, &esc), len;
    char *d;
    *out = "";
    if (end == SIZE_MAX) return end;
    if (!esc) {
        *out = xbl_mpsd__arena_strn(r->a, s, end - v - 2);
        return end;
    }
    len = xbl_mpsd__json_decode(s, end - v - 2, NULL);
    if (len == SIZE_MAX) { r->bad = true; return end; }   /* a decoded NUL */
    d = (char *)xbl_mpsd__arena_alloc(r->a, len + 1, 1);
    if (d == NULL) return end;
    xbl_mpsd__json_decode(s, end - v - 2, d);
    d[len] = '\0';
    *out = d;
    return end;
}

/* Index of the decoded string at v in an enum table (case-insensitive):
   -1 when unknown; *end after it. */
static int xbl_mpsd__rd_enum_index(xbl_mpsd__rd *r, size_t v, const xbl_mpsd__rd_enum *e, size_t *end)
{
    char buf[32];
    bool fits;
    int i;
    *end = xbl_mpsd__rd_text(r, v, buf, sizeof buf, false, &fits);
    if (*end == SIZE_MAX || !fits) return -1;
    for (i = 0; i < e->count; i++)   /* the service's own spelling first */
        if (buf[0] == e->names[i][0] && xbl_mpsd__strlen(buf) == xbl_mpsd__strlen(e->names[i])
                && XBL_MPSD_MEMCMP(buf, e->names[i], xbl_mpsd__strlen(buf)) == 0) return i;
    for (i = 0; i < e->count; i++)
        if (xbl_mpsd__ieq(buf, e->names[i])) return i;
    return -1;
}

static void xbl_mpsd__rd_store(void *p, size_t size, uint32_t v)
{
    uint8_t b = (uint8_t)v;
    uint16_t h = (uint16_t)v;
    if (size == 1) XBL_MPSD_MEMCPY(p, &b, 1);
    else if (size == 2) XBL_MPSD_MEMCPY(p, &h, 2);
    else XBL_MPSD_MEMCPY(p, &v, 4);
}

/* The index of the quote that closes a string whose body starts at k, in
   text known to be well formed (or at least bounded by n: then n). */
static size_t xbl_mpsd__rd_quote_end(const xbl_mpsd__rd *r, size_t k)
{
    for (;;) {
        xbl_mpsd__word m = 0;
        while (r->n - k >= sizeof m && (m = xbl_mpsd__json_special(r->js + k)) == 0) k += sizeof m;
        if (m != 0) k += XBL_MPSD__PLAIN_BYTES(m);
        while (k < r->n && r->js[k] != '"' && r->js[k] != '\\') k++;
        if (k + 1 >= r->n || r->js[k] == '"') return k < r->n ? k : r->n;
        k += 2;
    }
}

/* Elements of the array or members of the object at v (text known to be
   well formed up to its end, or at least bounded by n). */
/* One loop over the JSON grammar's states, kept whole on the hot path (splitting it is the reader's next step). */
/* NOLINTNEXTLINE(readability-function-cognitive-complexity) */
static size_t xbl_mpsd__rd_count(const xbl_mpsd__rd *r, size_t v)
{
    size_t count = 0, i;
    unsigned d = 0;
    bool any = false;
    for (i = v; i < r->n; i++) {
        char c = r->js[i];
        if (c == '"') {
            i = xbl_mpsd__rd_quote_end(r, i + 1);
            any = true;
        } else if (c == '{' || c == '[') {
            if (d++ == 1) any = true;
        } else if (c == '}' || c == ']') {
            if (--d == 0) break;
        } else if (d == 1 && c == ',') count++;
        else if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != ':') any = true;
    }
    return any ? count + 1 : 0;
}

/* After an array element ending at `end`: the next element's index, or
   (with *done) the index after the array; SIZE_MAX on malformed text. */
static size_t xbl_mpsd__rd_array_next(const xbl_mpsd__rd *r, size_t end, bool *done)
{
    size_t i = xbl_mpsd__json_ws(r->js, r->n, end);
    *done = i < r->n && r->js[i] == ']';
    if (*done) return i + 1;
    if (i >= r->n || r->js[i] != ',') return SIZE_MAX;
    return xbl_mpsd__json_ws(r->js, r->n, i + 1);
}

/* The array at v: each element read by kind into arr (NULL when measuring).
   kind: XBL_MPSD__RT_STRS, _U32S, _XUIDS, _FLAGS (into *flags, names e),
   _FIXED (device tokens). Returns the index after it. */
/* One loop over the JSON grammar's states, kept whole on the hot path (splitting it is the reader's next step). */
/* NOLINTNEXTLINE(readability-function-cognitive-complexity) */
static size_t xbl_mpsd__rd_array(xbl_mpsd__rd *r, size_t v, unsigned kind, void *arr, size_t cap,
        const xbl_mpsd__rd_enum *e, uint32_t *flags)
{
    size_t i = xbl_mpsd__json_ws(r->js, r->n, v + 1), c = 0;
    bool done;
    if (r->depth0 + r->depth >= XBL_MPSD_JSON_MAX_DEPTH) return SIZE_MAX;
    if (i < r->n && r->js[i] == ']') return i + 1;
    for (;; c++) {
        size_t end = SIZE_MAX;
        uint64_t x = 0;
        bool fits = true;
        char buf[24];
        if (i >= r->n) return SIZE_MAX;
        /* more elements than counted: only malformed text read in one walk */
        if (arr != NULL && c >= cap) { r->bad = true; arr = NULL; }
        if (kind == XBL_MPSD__RT_U32S) {
            if (xbl_mpsd__rd_uint(r, i, UINT32_MAX, &x, &end) && arr) ((uint32_t *)arr)[c] = (uint32_t)x;
        } else if (r->js[i] != '"') {
            end = xbl_mpsd__rd_wrong(r, i);
        } else if (kind == XBL_MPSD__RT_STRS) {
            const char *str;
            end = xbl_mpsd__rd_string(r, i, &str);
            if (arr) ((const char **)arr)[c] = str;
        } else if (kind == XBL_MPSD__RT_FLAGS) {
            int k = xbl_mpsd__rd_enum_index(r, i, e, &end);
            if (k >= 0 && flags != NULL) *flags |= (uint32_t)1 << k;
        } else if (kind == XBL_MPSD__RT_XUIDS) {
            end = xbl_mpsd__rd_text(r, i, buf, sizeof buf, false, &fits);
            if (end != SIZE_MAX && (!fits || !xbl_mpsd__parse_dec(buf, xbl_mpsd__strlen(buf), UINT64_MAX, &x)))
                r->bad = true;
            if (arr) ((uint64_t *)arr)[c] = x;
        } else {
            xbl_mpsd_device_token tok;
            XBL_MPSD_MEMSET(&tok, 0, sizeof tok);
            end = xbl_mpsd__rd_text(r, i, tok.value, sizeof tok.value, false, &fits);
            if (!fits) r->bad = true;
            if (arr) ((xbl_mpsd_device_token *)arr)[c] = tok;
        }
        if (end == SIZE_MAX) return end;
        i = xbl_mpsd__rd_array_next(r, end, &done);
        if (done || i == SIZE_MAX) return i;
    }
}

/* An array field: pointer at p, count right after it; untouched when empty. */
static size_t xbl_mpsd__rd_array_field(xbl_mpsd__rd *r, size_t v, unsigned kind, unsigned char *p)
{
    size_t n, end, elem = kind == XBL_MPSD__RT_STRS ? sizeof(const char *)
                        : kind == XBL_MPSD__RT_U32S ? sizeof(uint32_t)
                        : kind == XBL_MPSD__RT_XUIDS ? sizeof(uint64_t) : sizeof(xbl_mpsd_device_token);
    void *arr;
    if (r->js[v] != '[') return xbl_mpsd__rd_wrong(r, v);
    n = xbl_mpsd__rd_count(r, v);
    arr = n ? xbl_mpsd__arena_alloc_array(r->a, n, elem) : NULL;
    end = xbl_mpsd__rd_array(r, v, kind, arr, n, NULL, NULL);
    if (n) {
        XBL_MPSD_MEMCPY(p, &arr, sizeof arr);
        XBL_MPSD_MEMCPY(p + sizeof arr, &n, sizeof n);
    }
    return end;
}

/* Exact text of the value at v (a string keeps its quotes) in the arena. */
static size_t xbl_mpsd__rd_raw(xbl_mpsd__rd *r, size_t v, const char **out)
{
    size_t end = xbl_mpsd__rd_skip(r, v, r->depth0 + r->depth);
    if (end != SIZE_MAX) *out = xbl_mpsd__arena_strn(r->a, r->js + v, end - v);
    return end;
}

/* ---- the session document (MPSD §4): tables, hooks and handlers ---- */

enum {   /* tables, in xbl_mpsd__rd_tables order; a map's element table follows it */
    XBL_MPSD__T_ROOT, XBL_MPSD__T_CONST, XBL_MPSD__T_CSYS, XBL_MPSD__T_METRICS, XBL_MPSD__T_MINIT,
    XBL_MPSD__T_P2P, XBL_MPSD__T_P2H, XBL_MPSD__T_CAPS, XBL_MPSD__T_PROP, XBL_MPSD__T_PSYS,
    XBL_MPSD__T_PMM, XBL_MPSD__T_INIT, XBL_MPSD__T_INFO, XBL_MPSD__T_SERVERS, XBL_MPSD__T_SMM,
    XBL_MPSD__T_SMMP, XBL_MPSD__T_SMMS, XBL_MPSD__T_TREF, XBL_MPSD__T_TYPES, XBL_MPSD__T_TYPE,
    XBL_MPSD__T_ROLES, XBL_MPSD__T_ROLE, XBL_MPSD__T_MEMBER, XBL_MPSD__T_MCONST, XBL_MPSD__T_MCSYS,
    XBL_MPSD__T_MMR, XBL_MPSD__T_MPROP, XBL_MPSD__T_MPSYS, XBL_MPSD__T_SUB
#ifndef XBL_MPSD_NO_HANDLES
    , XBL_MPSD__T_HID, XBL_MPSD__T_LIST_ROOT, XBL_MPSD__T_HREF, XBL_MPSD__T_ACTIVITY, XBL_MPSD__T_ARINFO
    , XBL_MPSD__T_SH, XBL_MPSD__T_SHATTR, XBL_MPSD__T_SHINFO, XBL_MPSD__T_SHROLEINFO,
    XBL_MPSD__T_SHTYPES, XBL_MPSD__T_SHTYPE, XBL_MPSD__T_SHROLES, XBL_MPSD__T_SHROLE, XBL_MPSD__T_QR
#endif
};

enum {   /* enum tables, in xbl_mpsd__rd_enums order */
    XBL_MPSD__E_VISIBILITY, XBL_MPSD__E_METRICS, XBL_MPSD__E_RESTRICTION, XBL_MPSD__E_STAGE,
    XBL_MPSD__E_MM_STATUS, XBL_MPSD__E_NAT, XBL_MPSD__E_FAILURE, XBL_MPSD__E_CHANGE_TYPES,
    XBL_MPSD__E_ROLE_SETTINGS
#ifndef XBL_MPSD_NO_HANDLES
    , XBL_MPSD__E_SESSION_STATUS
#endif
};

enum {   /* handlers of xbl_mpsd__rd_call */
    XBL_MPSD__C_FIRST, XBL_MPSD__C_NEXT, XBL_MPSD__C_MEMBER_NEXT, XBL_MPSD__C_ACTIVE, XBL_MPSD__C_READY,
    XBL_MPSD__C_RESERVED, XBL_MPSD__C_SUBSCRIPTION, XBL_MPSD__C_MEMBER_ROLES, XBL_MPSD__C_MEMBER_CUSTOM,
    XBL_MPSD__C_ROLE_XUIDS
#ifndef XBL_MPSD_NO_HANDLES
    , XBL_MPSD__C_TYPE_ACTIVITY, XBL_MPSD__C_ACTIVITY_CUSTOM
    , XBL_MPSD__C_SH_TYPE, XBL_MPSD__C_SH_TAGS, XBL_MPSD__C_SH_STRINGS, XBL_MPSD__C_SH_NUMBERS,
    XBL_MPSD__C_SH_ROLE_XUIDS, XBL_MPSD__C_TIME_OR_NULL
#endif
};

static const char *const xbl_mpsd__rd_visibility[] = { "private", "visible", "full", "open" };
static const char *const xbl_mpsd__rd_metrics[] = { "bandwidthUp", "bandwidthDown", "bandwidth", "latency" };
static const char *const xbl_mpsd__rd_restriction[] = { "none", "local", "followed" };
static const char *const xbl_mpsd__rd_stage[] = { "joining", "measuring", "evaluating", "failed" };
static const char *const xbl_mpsd__rd_mm_status[] = { "searching", "expired", "found", "canceled" };
static const char *const xbl_mpsd__rd_nat[] = { "open", "moderate", "strict" };
static const char *const xbl_mpsd__rd_failure[] = {
    "timeout", "latency", "bandwidthUp", "bandwidthDown", "group", "network", "episode"
};
static const char *const xbl_mpsd__rd_change_types[] = {
    "everything", "host", "initialization", "matchmakingStatus", "membersList",
    "membersStatus", "joinability", "customProperty", "membersCustomProperty"
};
static const char *const xbl_mpsd__rd_role_settings[] = { "max", "target" };
#ifndef XBL_MPSD_NO_HANDLES
static const char *const xbl_mpsd__rd_session_status[] = { "active", "inactive", "reserved" };
#endif

#define XBL_MPSD__RD_ENUM_OF(names, first, type) \
    { names, (uint8_t)(sizeof(names) / sizeof((names)[0])), (uint8_t)(first), (uint8_t)sizeof(type) }
static const xbl_mpsd__rd_enum xbl_mpsd__rd_enums[] = {
    XBL_MPSD__RD_ENUM_OF(xbl_mpsd__rd_visibility, XBL_MPSD_SESSION_VISIBILITY_PRIVATE_SESSION, xbl_mpsd_session_visibility),
    XBL_MPSD__RD_ENUM_OF(xbl_mpsd__rd_metrics, XBL_MPSD_METRICS_BANDWIDTH_UP, xbl_mpsd_metrics),
    XBL_MPSD__RD_ENUM_OF(xbl_mpsd__rd_restriction, XBL_MPSD_SESSION_RESTRICTION_NONE, xbl_mpsd_session_restriction),
    XBL_MPSD__RD_ENUM_OF(xbl_mpsd__rd_stage, XBL_MPSD_INITIALIZATION_STAGE_JOINING, xbl_mpsd_initialization_stage),
    XBL_MPSD__RD_ENUM_OF(xbl_mpsd__rd_mm_status, XBL_MPSD_MATCHMAKING_STATUS_SEARCHING, xbl_mpsd_matchmaking_status),
    XBL_MPSD__RD_ENUM_OF(xbl_mpsd__rd_nat, XBL_MPSD_NETWORK_ADDRESS_TRANSLATION_SETTING_OPEN,
                         xbl_mpsd_network_address_translation_setting),
    XBL_MPSD__RD_ENUM_OF(xbl_mpsd__rd_failure, XBL_MPSD_MEASUREMENT_FAILURE_TIMEOUT, xbl_mpsd_measurement_failure),
    XBL_MPSD__RD_ENUM_OF(xbl_mpsd__rd_change_types, 0, xbl_mpsd_session_change_types),
    XBL_MPSD__RD_ENUM_OF(xbl_mpsd__rd_role_settings, 0, xbl_mpsd_mutable_role_settings)
#ifndef XBL_MPSD_NO_HANDLES
    , XBL_MPSD__RD_ENUM_OF(xbl_mpsd__rd_session_status, XBL_MPSD_SESSION_STATUS_ACTIVE, xbl_mpsd_session_status)
#endif
};

#define XBL_MPSD__SO(f) ((uint16_t)offsetof(xbl_mpsd_session, f))
#define XBL_MPSD__MO(f) ((uint16_t)offsetof(xbl_mpsd_session_member, f))
#define XBL_MPSD__K(name, off, type, arg) { name, off, XBL_MPSD__RT_##type, arg }

static const xbl_mpsd__rd_key xbl_mpsd__rd_root[] = {   /* the first `required` keys must be present */
    XBL_MPSD__K("constants", 0, OBJ, XBL_MPSD__T_CONST),
    XBL_MPSD__K("properties", 0, OBJ, XBL_MPSD__T_PROP),
    XBL_MPSD__K("contractVersion", XBL_MPSD__SO(info.contract_version), U32, 0),
    XBL_MPSD__K("branch", XBL_MPSD__SO(info.branch), FIXED, XBL_MPSD_GUID_LENGTH),
    XBL_MPSD__K("changeNumber", XBL_MPSD__SO(info.change_number), U64, 0),
    XBL_MPSD__K("correlationId", XBL_MPSD__SO(info.correlation_id), FIXED, XBL_MPSD_GUID_LENGTH),
    XBL_MPSD__K("startTime", XBL_MPSD__SO(info.start_time), TIME, 0),
    XBL_MPSD__K("nextTimer", XBL_MPSD__SO(info.next_timer), TIME, 0),
    XBL_MPSD__K("searchHandle", XBL_MPSD__SO(info.search_handle_id), FIXED, XBL_MPSD_GUID_LENGTH),
    XBL_MPSD__K("initializing", 0, OBJ, XBL_MPSD__T_INIT),
    XBL_MPSD__K("hostCandidates", XBL_MPSD__SO(host_candidates), TOKENS, 0),
    XBL_MPSD__K("roleTypes", 0, MAP, XBL_MPSD__T_TYPES),
    XBL_MPSD__K("members", 0, YIELD, 0),
    XBL_MPSD__K("membersInfo", 0, OBJ, XBL_MPSD__T_INFO),
    XBL_MPSD__K("servers", 0, OBJ, XBL_MPSD__T_SERVERS)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_const[] = {
    XBL_MPSD__K("system", 0, OBJ, XBL_MPSD__T_CSYS),
    XBL_MPSD__K("custom", XBL_MPSD__SO(constants.custom_json), RAW, 0)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_csys[] = {
    XBL_MPSD__K("maxMembersCount", XBL_MPSD__SO(constants.max_members_in_session), U32, 0),
    XBL_MPSD__K("visibility", XBL_MPSD__SO(constants.visibility), ENUM, XBL_MPSD__E_VISIBILITY),
    XBL_MPSD__K("initiators", XBL_MPSD__SO(constants.initiator_xuids), XUIDS, 0),
    XBL_MPSD__K("reservedRemovalTimeout", XBL_MPSD__SO(constants.member_reserved_timeout), TIMEOUT, 0),
    XBL_MPSD__K("inactiveRemovalTimeout", XBL_MPSD__SO(constants.member_inactive_timeout), TIMEOUT, 0),
    XBL_MPSD__K("readyRemovalTimeout", XBL_MPSD__SO(constants.member_ready_timeout), TIMEOUT, 0),
    XBL_MPSD__K("sessionEmptyTimeout", XBL_MPSD__SO(constants.session_empty_timeout), TIMEOUT, 0),
    XBL_MPSD__K("metrics", 0, OBJ, XBL_MPSD__T_METRICS),
    XBL_MPSD__K("memberInitialization", 0, OBJ_NULL, XBL_MPSD__T_MINIT),
    XBL_MPSD__K("peerToPeerRequirements", 0, OBJ_NULL, XBL_MPSD__T_P2P),
    XBL_MPSD__K("peerToHostRequirements", 0, OBJ_NULL, XBL_MPSD__T_P2H),
    XBL_MPSD__K("measurementServerAddresses", XBL_MPSD__SO(constants.measurement_server_addresses_json), RAW_OBJ, 0),
    XBL_MPSD__K("cloudComputePackage", XBL_MPSD__SO(constants.session_cloud_compute_package_constants_json), RAW_OBJ, 0),
    XBL_MPSD__K("capabilities", 0, OBJ, XBL_MPSD__T_CAPS)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_metrics_keys[] = {
    XBL_MPSD__K("latency", XBL_MPSD__SO(constants.enable_metrics_latency), BOOL, 0),
    XBL_MPSD__K("bandwidthDown", XBL_MPSD__SO(constants.enable_metrics_bandwidth_down), BOOL, 0),
    XBL_MPSD__K("bandwidthUp", XBL_MPSD__SO(constants.enable_metrics_bandwidth_up), BOOL, 0),
    XBL_MPSD__K("custom", XBL_MPSD__SO(constants.enable_metrics_custom), BOOL, 0)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_minit[] = {
    XBL_MPSD__K("joinTimeout", XBL_MPSD__SO(member_initialization.join_timeout), TIMEOUT, 0),
    XBL_MPSD__K("measurementTimeout", XBL_MPSD__SO(member_initialization.measurement_timeout), TIMEOUT, 0),
    XBL_MPSD__K("evaluationTimeout", XBL_MPSD__SO(member_initialization.evaluation_timeout), TIMEOUT, 0),
    XBL_MPSD__K("externalEvaluation", XBL_MPSD__SO(member_initialization.external_evaluation), BOOL, 0),
    XBL_MPSD__K("membersNeededToStart", XBL_MPSD__SO(member_initialization.members_needed_to_start), U32, 0)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_p2p[] = {
    XBL_MPSD__K("latencyMaximum", XBL_MPSD__SO(constants.peer_to_peer_requirements.latency_maximum), U64, 0),
    XBL_MPSD__K("bandwidthMinimum", XBL_MPSD__SO(constants.peer_to_peer_requirements.bandwidth_minimum_in_kbps), U64, 0)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_p2h[] = {
    XBL_MPSD__K("latencyMaximum", XBL_MPSD__SO(constants.peer_to_host_requirements.latency_maximum), U64, 0),
    XBL_MPSD__K("bandwidthDownMinimum",
                XBL_MPSD__SO(constants.peer_to_host_requirements.bandwidth_down_minimum_in_kbps), U64, 0),
    XBL_MPSD__K("bandwidthUpMinimum", XBL_MPSD__SO(constants.peer_to_host_requirements.bandwidth_up_minimum_in_kbps), U64, 0),
    XBL_MPSD__K("hostSelectionMetric", XBL_MPSD__SO(constants.peer_to_host_requirements.host_selection_metric), ENUM,
                XBL_MPSD__E_METRICS)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_caps[] = {
    XBL_MPSD__K("connectivity", XBL_MPSD__SO(constants.session_capabilities.connectivity), BOOL, 0),
    XBL_MPSD__K("suppressPresenceActivityCheck",
                XBL_MPSD__SO(constants.session_capabilities.suppress_presence_activity_check), BOOL, 0),
    XBL_MPSD__K("gameplay", XBL_MPSD__SO(constants.session_capabilities.gameplay), BOOL, 0),
    XBL_MPSD__K("large", XBL_MPSD__SO(constants.session_capabilities.large), BOOL, 0),
    XBL_MPSD__K("connectionRequiredForActiveMembers",
                XBL_MPSD__SO(constants.session_capabilities.connection_required_for_active_members), BOOL, 0),
    XBL_MPSD__K("userAuthorizationStyle", XBL_MPSD__SO(constants.session_capabilities.user_authorization_style), BOOL, 0),
    XBL_MPSD__K("crossPlay", XBL_MPSD__SO(constants.session_capabilities.crossplay), BOOL, 0),
    XBL_MPSD__K("searchable", XBL_MPSD__SO(constants.session_capabilities.searchable), BOOL, 0),
    XBL_MPSD__K("hasOwners", XBL_MPSD__SO(constants.session_capabilities.has_owners), BOOL, 0),
    XBL_MPSD__K("clientMatchmaking", XBL_MPSD__SO(constants.client_matchmaking_capable), BOOL, 0)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_prop[] = {
    XBL_MPSD__K("system", 0, OBJ, XBL_MPSD__T_PSYS),
    XBL_MPSD__K("custom", XBL_MPSD__SO(properties.session_custom_properties_json), RAW_OBJ, 0)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_psys[] = {
    XBL_MPSD__K("keywords", XBL_MPSD__SO(properties.keywords), STRS, 0),
    XBL_MPSD__K("joinRestriction", XBL_MPSD__SO(properties.join_restriction), ENUM, XBL_MPSD__E_RESTRICTION),
    XBL_MPSD__K("readRestriction", XBL_MPSD__SO(properties.read_restriction), ENUM, XBL_MPSD__E_RESTRICTION),
    XBL_MPSD__K("turn", XBL_MPSD__SO(properties.turn_collection), U32S, 0),
    XBL_MPSD__K("matchmaking", 0, OBJ, XBL_MPSD__T_PMM),
    XBL_MPSD__K("serverConnectionStringCandidates", XBL_MPSD__SO(properties.server_connection_string_candidates), STRS, 0),
    XBL_MPSD__K("owners", XBL_MPSD__SO(properties.session_owner_member_ids), U32S, 0),
    XBL_MPSD__K("host", XBL_MPSD__SO(properties.host_device_token.value), FIXED, XBL_MPSD_DEVICE_TOKEN_MAX_LENGTH),
    XBL_MPSD__K("closed", XBL_MPSD__SO(properties.closed), BOOL, 0),
    XBL_MPSD__K("locked", XBL_MPSD__SO(properties.locked), BOOL, 0),
    XBL_MPSD__K("allocateCloudCompute", XBL_MPSD__SO(properties.allocate_cloud_compute), BOOL, 0),
    XBL_MPSD__K("matchmakingResubmit", XBL_MPSD__SO(properties.matchmaking_resubmit), BOOL, 0)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_pmm[] = {
    XBL_MPSD__K("targetSessionConstants", XBL_MPSD__SO(properties.matchmaking_target_session_constants_json), RAW_OBJ, 0),
    XBL_MPSD__K("serverConnectionString", XBL_MPSD__SO(properties.matchmaking_server_connection_string), STR, 0)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_init[] = {
    XBL_MPSD__K("stage", XBL_MPSD__SO(initialization.stage), ENUM, XBL_MPSD__E_STAGE),
    XBL_MPSD__K("stageStartTime", XBL_MPSD__SO(initialization.stage_start_time), TIME, 0),
    XBL_MPSD__K("episode", XBL_MPSD__SO(initialization.episode), U32, 0)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_info[] = {
    XBL_MPSD__K("first", 0, CALL, XBL_MPSD__C_FIRST),
    XBL_MPSD__K("next", 0, CALL, XBL_MPSD__C_NEXT),
    XBL_MPSD__K("accepted", XBL_MPSD__SO(members_accepted), U32, 0)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_servers[] = {
    XBL_MPSD__K("matchmaking", 0, OBJ_NULL, XBL_MPSD__T_SMM)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_smm[] = {
    XBL_MPSD__K("properties", 0, OBJ, XBL_MPSD__T_SMMP)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_smmp[] = {
    XBL_MPSD__K("system", 0, OBJ, XBL_MPSD__T_SMMS)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_smms[] = {
    XBL_MPSD__K("status", XBL_MPSD__SO(matchmaking_server.status), ENUM, XBL_MPSD__E_MM_STATUS),
    XBL_MPSD__K("statusDetails", XBL_MPSD__SO(matchmaking_server.status_details), STR, 0),
    XBL_MPSD__K("typicalWait", XBL_MPSD__SO(matchmaking_server.typical_wait_in_seconds), U32, 0),
    XBL_MPSD__K("targetSessionRef", 0, OBJ, XBL_MPSD__T_TREF)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_tref[] = {
    XBL_MPSD__K("scid", XBL_MPSD__SO(matchmaking_server.target_session_ref.scid), FIXED, XBL_MPSD_SCID_LENGTH),
    XBL_MPSD__K("templateName", XBL_MPSD__SO(matchmaking_server.target_session_ref.session_template_name), FIXED,
                XBL_MPSD_SESSION_TEMPLATE_NAME_MAX_LENGTH),
    XBL_MPSD__K("name", XBL_MPSD__SO(matchmaking_server.target_session_ref.session_name), FIXED,
                XBL_MPSD_SESSION_NAME_MAX_LENGTH)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_type[] = {   /* a role type (roleTypes map element) */
    XBL_MPSD__K("ownerManaged", (uint16_t)offsetof(xbl_mpsd_role_type, owner_managed), BOOL, 0),
    XBL_MPSD__K("mutableRoleSettings", (uint16_t)offsetof(xbl_mpsd_role_type, mutable_role_settings), FLAGS,
                XBL_MPSD__E_ROLE_SETTINGS),
    XBL_MPSD__K("roles", 0, MAP, XBL_MPSD__T_ROLES)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_role[] = {   /* a role (roles map element) */
    XBL_MPSD__K("count", (uint16_t)offsetof(xbl_mpsd_role, member_count), U32, 0),
    XBL_MPSD__K("target", (uint16_t)offsetof(xbl_mpsd_role, target_count), U32, 0),
    XBL_MPSD__K("max", (uint16_t)offsetof(xbl_mpsd_role, max_member_count), U32, 0),
    XBL_MPSD__K("memberXuids", 0, CALL, XBL_MPSD__C_ROLE_XUIDS)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_member_keys[] = {
    XBL_MPSD__K("constants", 0, OBJ, XBL_MPSD__T_MCONST),
    XBL_MPSD__K("properties", 0, OBJ, XBL_MPSD__T_MPROP),
    XBL_MPSD__K("roles", 0, CALL, XBL_MPSD__C_MEMBER_ROLES),
    XBL_MPSD__K("gamertag", XBL_MPSD__MO(gamertag), CUT, XBL_MPSD_GAMERTAG_CHAR_SIZE),
    XBL_MPSD__K("deviceToken", XBL_MPSD__MO(device_token.value), FIXED, XBL_MPSD_DEVICE_TOKEN_MAX_LENGTH),
    XBL_MPSD__K("nat", XBL_MPSD__MO(nat), ENUM, XBL_MPSD__E_NAT),
    XBL_MPSD__K("reserved", 0, CALL, XBL_MPSD__C_RESERVED),
    XBL_MPSD__K("activeTitleId", XBL_MPSD__MO(active_title_id), DEC32, 0),
    XBL_MPSD__K("joinTime", XBL_MPSD__MO(join_time), TIME, 0),
    XBL_MPSD__K("turn", XBL_MPSD__MO(is_turn_available), BOOL, 0),
    XBL_MPSD__K("initializationFailure", XBL_MPSD__MO(initialization_failure_cause), ENUM, XBL_MPSD__E_FAILURE),
    XBL_MPSD__K("initializationEpisode", XBL_MPSD__MO(initialization_episode), U32, 0),
    XBL_MPSD__K("next", 0, CALL, XBL_MPSD__C_MEMBER_NEXT)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_mconst[] = {
    XBL_MPSD__K("system", 0, OBJ, XBL_MPSD__T_MCSYS),
    XBL_MPSD__K("custom", 0, CALL, XBL_MPSD__C_MEMBER_CUSTOM)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_mcsys[] = {
    XBL_MPSD__K("xuid", XBL_MPSD__MO(xuid), DEC64, 0),
    XBL_MPSD__K("initialize", XBL_MPSD__MO(initialize_requested), BOOL, 0),
    XBL_MPSD__K("matchmakingResult", 0, OBJ, XBL_MPSD__T_MMR)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_mmr[] = {
    XBL_MPSD__K("serverMeasurements", XBL_MPSD__MO(matchmaking_result_server_measurements_json), RAW_OBJ, 0)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_mprop[] = {
    XBL_MPSD__K("system", 0, OBJ, XBL_MPSD__T_MPSYS),
    XBL_MPSD__K("custom", XBL_MPSD__MO(custom_properties_json), RAW_OBJ, 0)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_mpsys[] = {
    XBL_MPSD__K("active", 0, CALL, XBL_MPSD__C_ACTIVE),
    XBL_MPSD__K("ready", 0, CALL, XBL_MPSD__C_READY),
    XBL_MPSD__K("secureDeviceAddress", XBL_MPSD__MO(secure_device_base_address64), STR, 0),
    XBL_MPSD__K("initializationGroup", XBL_MPSD__MO(members_in_group_ids), U32S, 0),
    XBL_MPSD__K("groups", XBL_MPSD__MO(groups), STRS, 0),
    XBL_MPSD__K("encounters", XBL_MPSD__MO(encounters), STRS, 0),
    XBL_MPSD__K("measurements", XBL_MPSD__MO(qos_measurements_json), RAW_OBJ, 0),
    XBL_MPSD__K("serverMeasurements", XBL_MPSD__MO(server_measurements_json), RAW_OBJ, 0),
    XBL_MPSD__K("subscription", 0, OBJ, XBL_MPSD__T_SUB)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_sub[] = {
    XBL_MPSD__K("changeTypes", 0, CALL, XBL_MPSD__C_SUBSCRIPTION)
};

#ifndef XBL_MPSD_NO_HANDLES
#define XBL_MPSD__HO(f) ((uint16_t)offsetof(xbl_mpsd_activity_details, f))
#define XBL_MPSD__RO(f) ((uint16_t)offsetof(xbl_mpsd_session_reference, f))

static const xbl_mpsd__rd_key xbl_mpsd__rd_hid[] = {   /* a handle-ID document (transfer, invite) */
    XBL_MPSD__K("id", 0, FIXED, XBL_MPSD_GUID_LENGTH)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_list_root[] = {
    XBL_MPSD__K("results", 0, YIELD, 0)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_href[] = {   /* a session reference, into xbl_mpsd_session_reference */
    XBL_MPSD__K("scid", XBL_MPSD__RO(scid), FIXED, XBL_MPSD_SCID_LENGTH),
    XBL_MPSD__K("templateName", XBL_MPSD__RO(session_template_name), FIXED, XBL_MPSD_SESSION_TEMPLATE_NAME_MAX_LENGTH),
    XBL_MPSD__K("name", XBL_MPSD__RO(session_name), FIXED, XBL_MPSD_SESSION_NAME_MAX_LENGTH)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_activity[] = {   /* an element of an activity list */
    XBL_MPSD__K("type", 0, CALL, XBL_MPSD__C_TYPE_ACTIVITY),
    XBL_MPSD__K("id", XBL_MPSD__HO(handle_id), FIXED, XBL_MPSD_GUID_LENGTH),
    XBL_MPSD__K("sessionRef", XBL_MPSD__HO(session_reference), OBJ_NULL, XBL_MPSD__T_HREF),
    XBL_MPSD__K("titleId", XBL_MPSD__HO(title_id), DEC32, 0),
    XBL_MPSD__K("ownerXuid", XBL_MPSD__HO(owner_xuid), DEC64, 0),
    XBL_MPSD__K("relatedInfo", 0, OBJ_NULL, XBL_MPSD__T_ARINFO),
    XBL_MPSD__K("customProperties", 0, CALL, XBL_MPSD__C_ACTIVITY_CUSTOM)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_arinfo[] = {   /* relatedInfo of an activity */
    XBL_MPSD__K("visibility", XBL_MPSD__HO(visibility), ENUM, XBL_MPSD__E_VISIBILITY),
    XBL_MPSD__K("joinRestriction", XBL_MPSD__HO(join_restriction), ENUM, XBL_MPSD__E_RESTRICTION),
    XBL_MPSD__K("closed", XBL_MPSD__HO(closed), BOOL, 0),
    XBL_MPSD__K("maxMembersCount", XBL_MPSD__HO(max_members_count), U32, 0),
    XBL_MPSD__K("membersCount", XBL_MPSD__HO(members_count), U32, 0)
};

/* Handle documents: a search handle (its own struct is the target) and a
   session query result; "results" lists yield to the caller, which walks
   the array and opens a frame per element. */
#define XBL_MPSD__SHO(f) ((uint16_t)offsetof(xbl_mpsd_search_handle, f))
#define XBL_MPSD__QO(f) ((uint16_t)offsetof(xbl_mpsd_session_query_result, f))
static const xbl_mpsd__rd_key xbl_mpsd__rd_sh[] = {
    XBL_MPSD__K("type", 0, CALL, XBL_MPSD__C_SH_TYPE),
    XBL_MPSD__K("id", XBL_MPSD__SHO(id), FIXED, XBL_MPSD_GUID_LENGTH),
    XBL_MPSD__K("createTime", XBL_MPSD__SHO(creation_time), CALL, XBL_MPSD__C_TIME_OR_NULL),
    XBL_MPSD__K("sessionRef", XBL_MPSD__SHO(session_reference), OBJ_NULL, XBL_MPSD__T_HREF),
    XBL_MPSD__K("searchAttributes", 0, OBJ_NULL, XBL_MPSD__T_SHATTR),
    XBL_MPSD__K("customProperties", XBL_MPSD__SHO(custom_properties_json), RAW, 0),
    XBL_MPSD__K("relatedInfo", 0, OBJ_NULL, XBL_MPSD__T_SHINFO),
    XBL_MPSD__K("roleInfo", 0, OBJ_NULL, XBL_MPSD__T_SHROLEINFO)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_shattr[] = {
    XBL_MPSD__K("tags", XBL_MPSD__SHO(tags), CALL, XBL_MPSD__C_SH_TAGS),
    XBL_MPSD__K("numbers", XBL_MPSD__SHO(numbers), CALL, XBL_MPSD__C_SH_NUMBERS),
    XBL_MPSD__K("strings", XBL_MPSD__SHO(strings), CALL, XBL_MPSD__C_SH_STRINGS)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_shinfo[] = {   /* the two counts are required */
    XBL_MPSD__K("membersCount", XBL_MPSD__SHO(members_count), U32, 0),
    XBL_MPSD__K("maxMembersCount", XBL_MPSD__SHO(max_members_count), U32, 0),
    XBL_MPSD__K("visibility", XBL_MPSD__SHO(visibility), ENUM, XBL_MPSD__E_VISIBILITY),
    XBL_MPSD__K("joinRestriction", XBL_MPSD__SHO(join_restriction), ENUM, XBL_MPSD__E_RESTRICTION),
    XBL_MPSD__K("closed", XBL_MPSD__SHO(closed), BOOL, 0),
    XBL_MPSD__K("sessionOwners", XBL_MPSD__SHO(owner_xuids), XUIDS, 0)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_shroleinfo[] = {
    XBL_MPSD__K("roleTypes", XBL_MPSD__SHO(role_types), MAP, XBL_MPSD__T_SHTYPES)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_shtype[] = {   /* a role type; its roles map below */
    XBL_MPSD__K("ownerManaged", (uint16_t)offsetof(xbl_mpsd_role_type, owner_managed), BOOL, 0),
    XBL_MPSD__K("mutableRoleSettings", (uint16_t)offsetof(xbl_mpsd_role_type, mutable_role_settings), FLAGS,
                XBL_MPSD__E_ROLE_SETTINGS),
    XBL_MPSD__K("roles", (uint16_t)offsetof(xbl_mpsd_role_type, roles), MAP, XBL_MPSD__T_SHROLES)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_shrole[] = {   /* memberXuids checked, not kept */
    XBL_MPSD__K("count", (uint16_t)offsetof(xbl_mpsd_role, member_count), U32, 0),
    XBL_MPSD__K("target", (uint16_t)offsetof(xbl_mpsd_role, target_count), U32, 0),
    XBL_MPSD__K("max", (uint16_t)offsetof(xbl_mpsd_role, max_member_count), U32, 0),
    XBL_MPSD__K("memberXuids", 0, CALL, XBL_MPSD__C_SH_ROLE_XUIDS)
};
static const xbl_mpsd__rd_key xbl_mpsd__rd_qr[] = {
    XBL_MPSD__K("xuid", XBL_MPSD__QO(xuid), DEC64, 0),
    XBL_MPSD__K("startTime", XBL_MPSD__QO(start_time), CALL, XBL_MPSD__C_TIME_OR_NULL),
    XBL_MPSD__K("sessionRef", XBL_MPSD__QO(session_reference), OBJ_NULL, XBL_MPSD__T_HREF),
    XBL_MPSD__K("accepted", XBL_MPSD__QO(accepted_member_count), U32, 0),
    XBL_MPSD__K("status", XBL_MPSD__QO(status), ENUM, XBL_MPSD__E_SESSION_STATUS),
    XBL_MPSD__K("visibility", XBL_MPSD__QO(visibility), ENUM, XBL_MPSD__E_VISIBILITY),
    XBL_MPSD__K("joinRestriction", XBL_MPSD__QO(join_restriction), ENUM, XBL_MPSD__E_RESTRICTION),
    XBL_MPSD__K("myTurn", XBL_MPSD__QO(is_my_turn), BOOL, 0)
};
#endif /* XBL_MPSD_NO_HANDLES */

#define XBL_MPSD__TABLE(keys, id, required) { keys, (uint8_t)(sizeof(keys) / sizeof((keys)[0])), id, required }
static const xbl_mpsd__rd_table xbl_mpsd__rd_tables[] = {
    XBL_MPSD__TABLE(xbl_mpsd__rd_root, XBL_MPSD__T_ROOT, 2),
    XBL_MPSD__TABLE(xbl_mpsd__rd_const, XBL_MPSD__T_CONST, 1),
    XBL_MPSD__TABLE(xbl_mpsd__rd_csys, XBL_MPSD__T_CSYS, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_metrics_keys, XBL_MPSD__T_METRICS, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_minit, XBL_MPSD__T_MINIT, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_p2p, XBL_MPSD__T_P2P, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_p2h, XBL_MPSD__T_P2H, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_caps, XBL_MPSD__T_CAPS, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_prop, XBL_MPSD__T_PROP, 1),
    XBL_MPSD__TABLE(xbl_mpsd__rd_psys, XBL_MPSD__T_PSYS, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_pmm, XBL_MPSD__T_PMM, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_init, XBL_MPSD__T_INIT, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_info, XBL_MPSD__T_INFO, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_servers, XBL_MPSD__T_SERVERS, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_smm, XBL_MPSD__T_SMM, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_smmp, XBL_MPSD__T_SMMP, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_smms, XBL_MPSD__T_SMMS, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_tref, XBL_MPSD__T_TREF, 0),
    { NULL, 0, XBL_MPSD__T_TYPES, 0 },
    XBL_MPSD__TABLE(xbl_mpsd__rd_type, XBL_MPSD__T_TYPE, 0),
    { NULL, 0, XBL_MPSD__T_ROLES, 0 },
    XBL_MPSD__TABLE(xbl_mpsd__rd_role, XBL_MPSD__T_ROLE, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_member_keys, XBL_MPSD__T_MEMBER, 2),
    XBL_MPSD__TABLE(xbl_mpsd__rd_mconst, XBL_MPSD__T_MCONST, 1),
    XBL_MPSD__TABLE(xbl_mpsd__rd_mcsys, XBL_MPSD__T_MCSYS, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_mmr, XBL_MPSD__T_MMR, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_mprop, XBL_MPSD__T_MPROP, 1),
    XBL_MPSD__TABLE(xbl_mpsd__rd_mpsys, XBL_MPSD__T_MPSYS, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_sub, XBL_MPSD__T_SUB, 0)
#ifndef XBL_MPSD_NO_HANDLES
    , XBL_MPSD__TABLE(xbl_mpsd__rd_hid, XBL_MPSD__T_HID, 1),
    XBL_MPSD__TABLE(xbl_mpsd__rd_list_root, XBL_MPSD__T_LIST_ROOT, 1),
    XBL_MPSD__TABLE(xbl_mpsd__rd_href, XBL_MPSD__T_HREF, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_activity, XBL_MPSD__T_ACTIVITY, 2),
    XBL_MPSD__TABLE(xbl_mpsd__rd_arinfo, XBL_MPSD__T_ARINFO, 0)
    , XBL_MPSD__TABLE(xbl_mpsd__rd_sh, XBL_MPSD__T_SH, 1),
    XBL_MPSD__TABLE(xbl_mpsd__rd_shattr, XBL_MPSD__T_SHATTR, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_shinfo, XBL_MPSD__T_SHINFO, 2),
    XBL_MPSD__TABLE(xbl_mpsd__rd_shroleinfo, XBL_MPSD__T_SHROLEINFO, 0),
    { NULL, 0, XBL_MPSD__T_SHTYPES, 0 },
    XBL_MPSD__TABLE(xbl_mpsd__rd_shtype, XBL_MPSD__T_SHTYPE, 0),
    { NULL, 0, XBL_MPSD__T_SHROLES, 0 },
    XBL_MPSD__TABLE(xbl_mpsd__rd_shrole, XBL_MPSD__T_SHROLE, 0),
    XBL_MPSD__TABLE(xbl_mpsd__rd_qr, XBL_MPSD__T_QR, 0)
#endif
};

/* The value of the last `key` in the object at v, or SIZE_MAX: a peek into
   title JSON, which was checked whole when it was kept. */
static size_t xbl_mpsd__rd_find_last(xbl_mpsd__rd *r, size_t v, const char *key)
{
    size_t i, found = SIZE_MAX;
    bool esc, fill = r->fill;
    if (v == SIZE_MAX || r->js[v] != '{') return SIZE_MAX;
    r->fill = true;   /* trusted text: quote scans and bracket skips */
    for (i = xbl_mpsd__json_ws(r->js, r->n, v + 1); r->js[i] == '"';) {
        size_t q = xbl_mpsd__rd_str_end(r, i, &esc);
        size_t val = xbl_mpsd__json_ws(r->js, r->n, xbl_mpsd__json_ws(r->js, r->n, q) + 1);
        if (xbl_mpsd__json_body_equals(r->js + i + 1, q - i - 2, key)) found = val;
        i = xbl_mpsd__json_ws(r->js, r->n, xbl_mpsd__rd_skip(r, val, 0));
        if (r->js[i] == ',') i = xbl_mpsd__json_ws(r->js, r->n, i + 1);
    }
    r->fill = fill;
    return found;
}

#ifndef XBL_MPSD_NO_HANDLES
/* The handle documents' hooks and handlers (sub-section "handle documents"). */
static void xbl_mpsd__rd_handle_open(xbl_mpsd__rd *r, xbl_mpsd__rd_frame *f, size_t v);
static void xbl_mpsd__rd_handle_close(xbl_mpsd__rd *r, const xbl_mpsd__rd_frame *f);
static size_t xbl_mpsd__rd_handle_call(xbl_mpsd__rd *r, unsigned handler, unsigned char *p, size_t v);
#endif

static void xbl_mpsd__rd_hook_open(xbl_mpsd__rd *r, xbl_mpsd__rd_frame *f, size_t v, size_t key, size_t key_end)
{
    xbl_mpsd_session *s = r->s;
    size_t n;
    XBL_MPSD__UNUSED(key_end);
    switch (f->t->id) {
    case XBL_MPSD__T_MINIT: s->constants.member_initialization = &s->member_initialization; break;
    case XBL_MPSD__T_INIT: s->initialization.stage = XBL_MPSD_INITIALIZATION_STAGE_UNKNOWN; break;
    case XBL_MPSD__T_INFO: r->has_info = true; break;
    case XBL_MPSD__T_SERVERS:   /* kept whole as well as read */
        n = xbl_mpsd__rd_skip(r, v, 1);
        if (n != SIZE_MAX) s->raw_servers_json = xbl_mpsd__arena_strn(r->a, r->js + v, n - v);
        break;
    case XBL_MPSD__T_SMMS: s->has_matchmaking_server = true; break;
    case XBL_MPSD__T_TYPES: case XBL_MPSD__T_ROLES:
        n = xbl_mpsd__rd_count(r, v);
        if (n == 0) break;
        if (f->t->id == XBL_MPSD__T_TYPES) {
            xbl_mpsd_role_type *types = XBL_MPSD__ALLOC_ARRAY(r->a, xbl_mpsd_role_type, n);
            f->elems = (unsigned char *)types;
            f->cap = n;
            s->role_types = types;
            s->role_types_count = n;
        } else {
            xbl_mpsd_role_type *type = (xbl_mpsd_role_type *)(void *)r->f[r->depth - 2].base;
            xbl_mpsd_role *roles = XBL_MPSD__ALLOC_ARRAY(r->a, xbl_mpsd_role, n);
            f->elems = (unsigned char *)roles;
            f->cap = n;
            type->roles = roles;
            type->role_count = n;
        }
        break;
    case XBL_MPSD__T_TYPE:
#ifndef XBL_MPSD_NO_HANDLES
    case XBL_MPSD__T_SHTYPE:   /* a search handle's role types read alike */
#endif
    {
        xbl_mpsd_role_type *type = (xbl_mpsd_role_type *)(void *)f->base;
        XBL_MPSD_MEMSET(type, 0, sizeof *type);
        xbl_mpsd__rd_string(r, key, &type->name);
        break;
    }
    case XBL_MPSD__T_ROLE:
#ifndef XBL_MPSD_NO_HANDLES
    case XBL_MPSD__T_SHROLE:
#endif
    {
        xbl_mpsd_role *role = (xbl_mpsd_role *)(void *)f->base;
        XBL_MPSD_MEMSET(role, 0, sizeof *role);
        role->role_type = (const xbl_mpsd_role_type *)(void *)r->f[r->depth - 3].base;
        xbl_mpsd__rd_string(r, key, &role->name);
        r->role_xuids = 0;
        break;
    }
    default:
#ifndef XBL_MPSD_NO_HANDLES
        xbl_mpsd__rd_handle_open(r, f, v);
#endif
        break;
    }
}

static void xbl_mpsd__rd_hook_close(xbl_mpsd__rd *r, xbl_mpsd__rd_frame *f)
{
    const xbl_mpsd_role *role = (const xbl_mpsd_role *)(void *)f->base;
    /* memberXuids is required when count > 0 (MPSD §4.7) and its length is
       member_count (API.md §4.12) */
    if (f->t->id == XBL_MPSD__T_ROLE && (r->role_xuids == 0 ? role->member_count != 0
                                                            : r->role_xuids - 1 != role->member_count))
        r->bad = true;
#ifndef XBL_MPSD_NO_HANDLES
    xbl_mpsd__rd_handle_close(r, f);
#endif
}

/* A bool into one of the XBL_MPSD__RM_* bits of the member being read. */
static size_t xbl_mpsd__rd_member_flag(xbl_mpsd__rd *r, size_t v, uint32_t bit)
{
    char c = r->js[v];
    if (c != 't' && c != 'f') return xbl_mpsd__rd_wrong(r, v);
    if (c == 't') r->member_flags |= bit;
    else r->member_flags &= ~bit;
    return xbl_mpsd__json_scalar_end(r->js, r->n, v);
}

/* In a flat object at i with c members read: the next member's value (its
   key's index in *key), or with *done the index after the object; SIZE_MAX
   on malformed text. */
static size_t xbl_mpsd__rd_flat_next(const xbl_mpsd__rd *r, size_t i, size_t c, size_t *key, bool *done)
{
    size_t e;
    *done = false;
    if (i >= r->n) return SIZE_MAX;
    if (r->js[i] == '}') { *done = true; return i + 1; }
    if (c > 0) {
        if (r->js[i] != ',') return SIZE_MAX;
        i = xbl_mpsd__json_ws(r->js, r->n, i + 1);
    }
    *key = i;
    e = xbl_mpsd__json_key_end(r->js, r->n, i);
    return e >= r->n ? SIZE_MAX : e;
}

/* A member entry's roles: { "<type>": "<role>" } or null. */
static size_t xbl_mpsd__rd_member_roles(xbl_mpsd__rd *r, size_t v, xbl_mpsd_session_member *m)
{
    size_t n, c = 0, i;
    xbl_mpsd_session_member_role *roles;
    if (r->js[v] == 'n') return xbl_mpsd__json_scalar_end(r->js, r->n, v);
    if (r->js[v] != '{') return xbl_mpsd__rd_wrong(r, v);
    if (r->depth0 + r->depth >= XBL_MPSD_JSON_MAX_DEPTH) return SIZE_MAX;
    n = xbl_mpsd__rd_count(r, v);
    roles = n ? XBL_MPSD__ALLOC_ARRAY(r->a, xbl_mpsd_session_member_role, n) : NULL;
    if (n) { m->roles = roles; m->roles_count = n; }
    for (i = xbl_mpsd__json_ws(r->js, r->n, v + 1); ; c++) {
        xbl_mpsd_session_member_role role;
        size_t key = 0;
        bool done;
        size_t e = xbl_mpsd__rd_flat_next(r, i, c, &key, &done);
        if (e == SIZE_MAX || done) return e;
        xbl_mpsd__rd_string(r, key, &role.role_type_name);
        role.role_name = "";
        if (r->js[e] != '"') e = xbl_mpsd__rd_wrong(r, e);
        else e = xbl_mpsd__rd_string(r, e, &role.role_name);
        if (e == SIZE_MAX) return e;
        if (roles && c < n) roles[c] = role;
        else if (roles) r->bad = true;   /* more than counted: malformed text read in one walk */
        i = xbl_mpsd__json_ws(r->js, r->n, e);
    }
}

#ifndef XBL_MPSD_NO_HANDLES
static size_t xbl_mpsd__rd_doc_type(xbl_mpsd__rd *r, size_t v, const char *want);
static size_t xbl_mpsd__rd_activity_custom(xbl_mpsd__rd *r, unsigned char *p, size_t v);
#endif

static size_t xbl_mpsd__rd_call(xbl_mpsd__rd *r, unsigned handler, unsigned char *p, size_t v)
{
    xbl_mpsd_session_member *m = (xbl_mpsd_session_member *)(void *)p;
    size_t end;
    uint64_t x = 0;
    uint32_t flags = 0;
    switch (handler) {
    case XBL_MPSD__C_FIRST: case XBL_MPSD__C_NEXT:
        if (!xbl_mpsd__rd_uint(r, v, UINT32_MAX - 1, &x, &end)) x = UINT64_MAX;
        if (handler == XBL_MPSD__C_FIRST) r->first = x;
        else r->next = x;
        return end;
    case XBL_MPSD__C_MEMBER_NEXT:   /* a bad `next` breaks the chain, which only matters on it */
        end = xbl_mpsd__rd_skip(r, v, r->depth0 + r->depth);
        r->member_next = end != SIZE_MAX && xbl_mpsd__parse_dec(r->js + v, end - v, UINT32_MAX - 1, &x)
                       ? x : UINT64_MAX;
        return end;
    case XBL_MPSD__C_ACTIVE: return xbl_mpsd__rd_member_flag(r, v, XBL_MPSD__RM_ACTIVE);
    case XBL_MPSD__C_READY: return xbl_mpsd__rd_member_flag(r, v, XBL_MPSD__RM_READY);
    case XBL_MPSD__C_RESERVED: return xbl_mpsd__rd_member_flag(r, v, XBL_MPSD__RM_RESERVED);
    case XBL_MPSD__C_SUBSCRIPTION:
        if (r->js[v] != '[') return xbl_mpsd__rd_wrong(r, v);
        end = xbl_mpsd__rd_array(r, v, XBL_MPSD__RT_FLAGS, NULL, 0, &xbl_mpsd__rd_enums[XBL_MPSD__E_CHANGE_TYPES], &flags);
        r->member_sub = (xbl_mpsd_session_change_types)flags;
        return end;
    case XBL_MPSD__C_MEMBER_ROLES: return xbl_mpsd__rd_member_roles(r, v, m);
#ifndef XBL_MPSD_NO_HANDLES
    case XBL_MPSD__C_TYPE_ACTIVITY: return xbl_mpsd__rd_doc_type(r, v, "activity");
    case XBL_MPSD__C_ACTIVITY_CUSTOM: return xbl_mpsd__rd_activity_custom(r, p, v);
#endif
    case XBL_MPSD__C_MEMBER_CUSTOM:
        if (r->js[v] == 'n') return xbl_mpsd__json_scalar_end(r->js, r->n, v);
        end = xbl_mpsd__rd_raw(r, v, &m->custom_constants_json);
        if (end != SIZE_MAX) {   /* title JSON: only peek, ignore other shapes */
            size_t t = xbl_mpsd__rd_find_last(r, xbl_mpsd__rd_find_last(r, v, "matchmakingResult"), "initialTeam");
            m->initial_team = NULL;
            if (t != SIZE_MAX && r->js[t] == '"') xbl_mpsd__rd_string(r, t, &m->initial_team);
        }
        return end;
#ifndef XBL_MPSD_NO_HANDLES
    case XBL_MPSD__C_SH_TYPE: case XBL_MPSD__C_SH_TAGS: case XBL_MPSD__C_SH_STRINGS: case XBL_MPSD__C_SH_NUMBERS:
    case XBL_MPSD__C_SH_ROLE_XUIDS: case XBL_MPSD__C_TIME_OR_NULL:
        return xbl_mpsd__rd_handle_call(r, handler, p, v);
#endif
    default: {   /* XBL_MPSD__C_ROLE_XUIDS: the role's member XUIDs */
        xbl_mpsd_role *role = (xbl_mpsd_role *)(void *)p;
        uint64_t *arr;
        size_t n;
        if (r->js[v] != '[') return xbl_mpsd__rd_wrong(r, v);
        n = xbl_mpsd__rd_count(r, v);
        arr = n ? XBL_MPSD__ALLOC_ARRAY(r->a, uint64_t, n) : NULL;
        role->member_xuids = arr;
        r->role_xuids = (uint32_t)(n > UINT32_MAX - 1 ? UINT32_MAX : n + 1);
        return xbl_mpsd__rd_array(r, v, XBL_MPSD__RT_XUIDS, arr, n, NULL, NULL);
    }
    }
}

/* The escaped key body at s (len bytes, between the quotes) decoded into
   buf as a C string; NULL when it does not fit (no known key is that long)
   or decodes to a NUL. */
static const char *xbl_mpsd__rd_key_text(const char *s, size_t len, char *buf, size_t cap)
{
    size_t i = xbl_mpsd__json_decode(s, len, NULL);
    if (i == SIZE_MAX || i >= cap) return NULL;
    xbl_mpsd__json_decode(s, len, buf);
    buf[i] = '\0';
    return buf;
}

/* The entry of t named by the len bytes at key. */
/* The entry of t named by the len bytes at key. The search starts at *at
   (the entry after the last match: documents list keys in a stable order)
   and leaves the match's index there. */
static const xbl_mpsd__rd_key *xbl_mpsd__rd_lookup(const xbl_mpsd__rd_table *t, const char *key, size_t len,
        unsigned *at)
{
    unsigned c, j = *at;
    for (c = 0; c < t->count; c++, j++) {
        const char *name;
        size_t q = 0;
        if (j >= t->count) j = 0;
        name = t->keys[j].name;
        while (q < len && name[q] == key[q]) q++;
        if (q == len && name[q] == '\0') { *at = j; return &t->keys[j]; }
    }
    return NULL;
}

/* The key at i when it is the one the frame expects next (the entry
   after the last match, documents keep a stable order): its end in *q,
   its index in *at. Its bytes are the table's plain name, so the string
   needs no other check. NULL when it is another key. */
static const xbl_mpsd__rd_key *xbl_mpsd__rd_expected_key(const xbl_mpsd__rd *r, const xbl_mpsd__rd_frame *f,
        size_t i, size_t *q, unsigned *at)
{
    unsigned j = f->hint < f->t->count ? f->hint : 0;
    const char *name = f->t->keys[j].name, *key = r->js + i + 1;
    size_t len = 0, room = r->n - i - 1;
    while (len < room && name[len] != '\0' && name[len] == key[len]) len++;
    if (name[len] != '\0' || len >= room || key[len] != '"') return NULL;
    *q = i + len + 2;
    *at = j;
    return &f->t->keys[j];
}

/* Walk results; a value handler also returns these past the last index. */
#define XBL_MPSD__RW_PUSHED (SIZE_MAX - 1)   /* a frame was opened */
#define XBL_MPSD__RW_YIELD  (SIZE_MAX - 2)   /* hand the value to the caller */
enum { XBL_MPSD__RW_DONE, XBL_MPSD__RW_STOP, XBL_MPSD__RW_BAD_TEXT };


/* Opens a frame for the object at v; the walk goes on inside it. */
static size_t xbl_mpsd__rd_push(xbl_mpsd__rd *r, unsigned table, unsigned char *base, bool map, size_t v,
        size_t key, size_t key_end)
{
    xbl_mpsd__rd_frame *f;
    if (r->depth0 + r->depth >= XBL_MPSD_JSON_MAX_DEPTH) return SIZE_MAX;
    XBL_MPSD_ASSERT(r->depth < XBL_MPSD__RD_FRAMES);
    f = &r->f[r->depth++];
    f->t = &xbl_mpsd__rd_tables[table];
    f->base = base;
    f->seen = 0;
    f->started = 0;
    f->hint = 0;
    f->map = map;
    f->index = 0;
    f->elems = NULL;
    f->cap = 0;
    r->i = v + 1;
    xbl_mpsd__rd_hook_open(r, f, v, key, key_end);
    return XBL_MPSD__RW_PUSHED;
}

/* The value at v of a known key, into the top frame's target. */
/* One loop over the JSON grammar's states, kept whole on the hot path (splitting it is the reader's next step). */
/* NOLINTNEXTLINE(readability-function-cognitive-complexity) */
static size_t xbl_mpsd__rd_value(xbl_mpsd__rd *r, const xbl_mpsd__rd_key *k, size_t v)
{
    unsigned char *p = r->f[r->depth - 1].base + k->off;
    const xbl_mpsd__rd_enum *e = &xbl_mpsd__rd_enums[k->type == XBL_MPSD__RT_ENUM || k->type == XBL_MPSD__RT_FLAGS ? k->arg : 0];
    char c = r->js[v], buf[24];
    uint64_t x = 0;
    uint32_t flags = 0;
    size_t end;
    bool fits, null = c == 'n', str = c == '"';
    int at;
    switch (k->type) {
    case XBL_MPSD__RT_BOOL:
        if (c != 't' && c != 'f') return xbl_mpsd__rd_wrong(r, v);
        *(bool *)(void *)p = c == 't';
        return xbl_mpsd__json_scalar_end(r->js, r->n, v);
    case XBL_MPSD__RT_TIMEOUT:
        if (null) {
            *(uint64_t *)(void *)p = XBL_MPSD_TIMEOUT_INFINITE;
            return xbl_mpsd__json_scalar_end(r->js, r->n, v);
        }
        /* fall through */
    case XBL_MPSD__RT_U64:
    case XBL_MPSD__RT_U32:
        if (!xbl_mpsd__rd_uint(r, v, k->type == XBL_MPSD__RT_U32 ? UINT32_MAX : UINT64_MAX, &x, &end)) return end;
        if (k->type == XBL_MPSD__RT_U32) *(uint32_t *)(void *)p = (uint32_t)x;
        else *(uint64_t *)(void *)p = x;
        return end;
    case XBL_MPSD__RT_TIME:
        if (!str) return xbl_mpsd__rd_wrong(r, v);
        end = xbl_mpsd__rd_str_end(r, v, &fits);
        if (end != SIZE_MAX && !xbl_mpsd__parse_time(r->js + v + 1, end - v - 2, (time_t *)(void *)p)) r->bad = true;
        return end;
    case XBL_MPSD__RT_RAW: case XBL_MPSD__RT_RAW_OBJ:
        if (null) return xbl_mpsd__json_scalar_end(r->js, r->n, v);
        if (c != '{' && k->type == XBL_MPSD__RT_RAW_OBJ) return xbl_mpsd__rd_wrong(r, v);
        return xbl_mpsd__rd_raw(r, v, (const char **)(void *)p);
    case XBL_MPSD__RT_STRS: case XBL_MPSD__RT_U32S: case XBL_MPSD__RT_XUIDS: case XBL_MPSD__RT_TOKENS:
        return xbl_mpsd__rd_array_field(r, v, k->type, p);
    case XBL_MPSD__RT_FLAGS:
        if (c != '[') return xbl_mpsd__rd_wrong(r, v);
        end = xbl_mpsd__rd_array(r, v, XBL_MPSD__RT_FLAGS, NULL, 0, e, &flags);
        xbl_mpsd__rd_store(p, e->size, flags);
        return end;
    case XBL_MPSD__RT_OBJ: case XBL_MPSD__RT_OBJ_NULL: case XBL_MPSD__RT_MAP:
        if (null && k->type == XBL_MPSD__RT_OBJ_NULL) return xbl_mpsd__json_scalar_end(r->js, r->n, v);
        if (c != '{') return xbl_mpsd__rd_wrong(r, v);
        return xbl_mpsd__rd_push(r, k->arg, p, k->type == XBL_MPSD__RT_MAP, v, 0, 0);
    case XBL_MPSD__RT_CALL:
        return xbl_mpsd__rd_call(r, k->arg, p, v);
    case XBL_MPSD__RT_YIELD:
        return XBL_MPSD__RW_YIELD;
    default: break;
    }
    /* the string kinds: null reads as absent */
    if (null) return xbl_mpsd__json_scalar_end(r->js, r->n, v);
    if (!str) return xbl_mpsd__rd_wrong(r, v);
    switch (k->type) {
    case XBL_MPSD__RT_ENUM:
        at = xbl_mpsd__rd_enum_index(r, v, e, &end);
        xbl_mpsd__rd_store(p, e->size, at < 0 ? 0u : (uint32_t)(e->first + at));
        return end;
    case XBL_MPSD__RT_STR:
        return xbl_mpsd__rd_string(r, v, (const char **)(void *)p);
    case XBL_MPSD__RT_FIXED: case XBL_MPSD__RT_CUT:
        end = xbl_mpsd__rd_text(r, v, (char *)p, k->arg, k->type == XBL_MPSD__RT_CUT, &fits);
        if (!fits) r->bad = true;
        return end;
    default:   /* XBL_MPSD__RT_DEC64, XBL_MPSD__RT_DEC32 */
        end = xbl_mpsd__rd_text(r, v, buf, sizeof buf, false, &fits);
        if (end == SIZE_MAX) return end;
        if (!fits || !xbl_mpsd__parse_dec(buf, xbl_mpsd__strlen(buf),
                k->type == XBL_MPSD__RT_DEC32 ? UINT32_MAX : UINT64_MAX, &x)) r->bad = true;
        else if (k->type == XBL_MPSD__RT_DEC32) *(uint32_t *)(void *)p = (uint32_t)x;
        else *(uint64_t *)(void *)p = x;
        return end;
    }
}

/* Closes the top frame: required keys, then its hook. */
static void xbl_mpsd__rd_close(xbl_mpsd__rd *r)
{
    xbl_mpsd__rd_frame *f = &r->f[r->depth - 1];
    uint32_t need = ((uint32_t)1 << f->t->required) - 1;
    if ((f->seen & need) != need) r->bad = true;
    xbl_mpsd__rd_hook_close(r, f);
    r->depth--;
}

/* One member of a map frame: the value must be an object, an element of
   the map's array (or of scratch when measuring). */
static size_t xbl_mpsd__rd_element(xbl_mpsd__rd *r, xbl_mpsd__rd_frame *f, size_t key, size_t v)
{
    static const size_t size[2] = { sizeof(xbl_mpsd_role_type), sizeof(xbl_mpsd_role) };
    bool roles = f->t->id == XBL_MPSD__T_ROLES;
#ifndef XBL_MPSD_NO_HANDLES
    roles = roles || f->t->id == XBL_MPSD__T_SHROLES;
#endif
    unsigned char *base = roles ? (unsigned char *)&r->sc.role : (unsigned char *)&r->sc.type;
    if (r->js[v] != '{') return xbl_mpsd__rd_wrong(r, v);
    if (f->elems && f->index < f->cap) base = f->elems + size[roles] * f->index;
    else if (f->elems) r->bad = true;   /* more than counted: malformed text read in one walk */
    f->index++;
    return xbl_mpsd__rd_push(r, (unsigned)f->t->id + 1u, base, false, v, key, v);
}

/* Walks from r->i until the frame at depth `stop` closes (DONE), a key of
   type YIELD comes (STOP, r->i at its value), or the text is malformed. */
/* One loop over the JSON grammar's states, kept whole on the hot path (splitting it is the reader's next step). */
/* NOLINTNEXTLINE(readability-function-cognitive-complexity) */
static int xbl_mpsd__rd_walk(xbl_mpsd__rd *r, unsigned stop)
{
    char key[40];
    while (r->depth > stop) {
        xbl_mpsd__rd_frame *f = &r->f[r->depth - 1];
        const xbl_mpsd__rd_key *k = NULL;
        size_t i = xbl_mpsd__json_ws(r->js, r->n, r->i), v, end, q;
        unsigned at = 0;
        bool esc;
        if (i >= r->n) return XBL_MPSD__RW_BAD_TEXT;
        if (r->js[i] == '}') { r->i = i + 1; xbl_mpsd__rd_close(r); continue; }
        if (f->started) {
            if (r->js[i] != ',') return XBL_MPSD__RW_BAD_TEXT;
            i = xbl_mpsd__json_ws(r->js, r->n, i + 1);
        }
        f->started = 1;
        if (i >= r->n || r->js[i] != '"') return XBL_MPSD__RW_BAD_TEXT;
        if (!f->map && f->t->count > 0) k = xbl_mpsd__rd_expected_key(r, f, i, &q, &at);
        esc = false;
        if (k == NULL) q = xbl_mpsd__rd_str_end(r, i, &esc);
        if (q == SIZE_MAX) return XBL_MPSD__RW_BAD_TEXT;
        v = xbl_mpsd__json_ws(r->js, r->n, q);
        if (v >= r->n || r->js[v] != ':') return XBL_MPSD__RW_BAD_TEXT;
        v = xbl_mpsd__json_ws(r->js, r->n, v + 1);
        if (v >= r->n) return XBL_MPSD__RW_BAD_TEXT;
        if (f->map) end = xbl_mpsd__rd_element(r, f, i, v);
        else {
            if (k == NULL) {
                at = f->hint;
                if (!esc) k = xbl_mpsd__rd_lookup(f->t, r->js + i + 1, q - i - 2, &at);
                else if (xbl_mpsd__rd_key_text(r->js + i + 1, q - i - 2, key, sizeof key))
                    k = xbl_mpsd__rd_lookup(f->t, key, xbl_mpsd__strlen(key), &at);
            }
            if (k) f->hint = (uint8_t)(at + 1);
            if (k == NULL) end = xbl_mpsd__rd_skip(r, v, r->depth0 + r->depth);
            else {
                f->seen |= (uint32_t)1 << at;
                end = xbl_mpsd__rd_value(r, k, v);
            }
        }
        if (end == XBL_MPSD__RW_PUSHED) continue;
        if (end == XBL_MPSD__RW_YIELD) { r->i = v; return XBL_MPSD__RW_STOP; }
        if (end == SIZE_MAX) return XBL_MPSD__RW_BAD_TEXT;
        r->i = end;
    }
    return XBL_MPSD__RW_DONE;
}

/* ---- members (MPSD §4.6) ---- */

/* Reads the member entry (object) at v into m with index id; returns the
   index after it or SIZE_MAX. The walk starts a fresh frame stack above
   `under` open frames. */
static size_t xbl_mpsd__rd_member(xbl_mpsd__rd *r, size_t v, uint64_t id, xbl_mpsd_session_member *m, unsigned under)
{
    bool active, ready, reserved;
    XBL_MPSD_MEMSET(m, 0, sizeof *m);
    m->member_id = (uint32_t)id;
    m->initialization_failure_cause = XBL_MPSD_MEASUREMENT_FAILURE_NONE;
    r->member_flags = 0;
    r->member_next = UINT64_MAX;
    r->member_sub = XBL_MPSD_SESSION_CHANGE_TYPES_NONE;
    if (xbl_mpsd__rd_push(r, XBL_MPSD__T_MEMBER, (unsigned char *)m, false, v, 0, 0) == SIZE_MAX ||
            xbl_mpsd__rd_walk(r, under) != XBL_MPSD__RW_DONE) return SIZE_MAX;
    /* status rule, API.md §3.8 */
    active = (r->member_flags & XBL_MPSD__RM_ACTIVE) != 0;
    ready = (r->member_flags & XBL_MPSD__RM_READY) != 0;
    reserved = (r->member_flags & XBL_MPSD__RM_RESERVED) != 0;
    m->status = active ? XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE
              : ready ? XBL_MPSD_SESSION_MEMBER_STATUS_READY
              : reserved ? XBL_MPSD_SESSION_MEMBER_STATUS_RESERVED
              : XBL_MPSD_SESSION_MEMBER_STATUS_INACTIVE;
    return r->i;
}

/* Starts measuring members from an aligned start into r->probe, a copy of
   the arena without its limit; returns where it starts. */
static size_t xbl_mpsd__rd_probe_begin(xbl_mpsd__rd *r)
{
    r->probe = *r->a;
    r->probe.size = SIZE_MAX;
    r->probe.failed = false;
    xbl_mpsd__arena_alloc(&r->probe, 0, XBL_MPSD__ALIGN);
    return r->probe.used;
}

/* Reads the member entry at v into scratch, its arena bytes counted in
   r->probe: whether it is valid (*bad), its `next` in r->member_next. r->bad
   and the arena are left as they were. */
static size_t xbl_mpsd__rd_member_probe(xbl_mpsd__rd *r, size_t v, unsigned under, bool *bad)
{
    xbl_mpsd__arena *keep = r->a;
    bool was_bad = r->bad;
    size_t end;
    r->a = &r->probe;
    r->bad = false;
    end = xbl_mpsd__rd_member(r, v, 0, &r->sc.member, under);
    *bad = r->bad;
    r->a = keep;
    r->bad = was_bad;
    return end;
}

/* A member key that is the decimal of an index (no escapes, no leading 0). */
static bool xbl_mpsd__rd_index_key(const char *s, size_t len, uint64_t *index)
{
    return len > 0 && (s[0] != '0' || len == 1) && xbl_mpsd__parse_dec(s, len, UINT32_MAX - 1, index);
}

/* First walk, at the members object (v): checks every entry and measures
   it. r->chain_ok tells whether the entries are the chain in document
   order with rising indices; then the chain's arena bytes are known too. */
/* One loop over the JSON grammar's states, kept whole on the hot path (splitting it is the reader's next step). */
/* NOLINTNEXTLINE(readability-function-cognitive-complexity) */
static size_t xbl_mpsd__rd_members_scan(xbl_mpsd__rd *r, size_t v)
{
    size_t i, count = 0, start;
    uint64_t prev_next = 0;
    if (r->js[v] != '{') return xbl_mpsd__rd_wrong(r, v);
    start = xbl_mpsd__rd_probe_begin(r);
    r->members_at = v;
    r->entries = 0;
    r->chain_ok = true;
    r->chain_bytes = 0;
    r->chain_bad = false;
    r->me_at = 0;
    r->depth0 = 1;
    for (i = xbl_mpsd__json_ws(r->js, r->n, v + 1); ; count++) {
        size_t e, end, q;
        uint64_t index = 0;
        bool bad = false, indexed, me;
        if (i >= r->n) return SIZE_MAX;
        if (r->js[i] == '}') break;
        if (count > 0) {
            if (r->js[i] != ',') return SIZE_MAX;
            i = xbl_mpsd__json_ws(r->js, r->n, i + 1);
        }
        e = xbl_mpsd__json_key_end(r->js, r->n, i);
        if (e >= r->n) return SIZE_MAX;
        for (q = i + 1; r->js[q] != '"'; q++) {}
        indexed = xbl_mpsd__rd_index_key(r->js + i + 1, q - i - 1, &index);
        me = q - i - 1 == 2 && r->js[i + 1] == 'm' && r->js[i + 2] == 'e';
        if (r->js[e] != '{') {
            end = xbl_mpsd__json_skip(r->js, r->n, e, 2);
            r->chain_ok = false;
        } else if (me) {   /* measured alone: in a large session it is the only member */
            xbl_mpsd__arena chain = r->probe;
            size_t at = xbl_mpsd__rd_probe_begin(r);
            end = xbl_mpsd__rd_member_probe(r, e, 1, &bad);
            r->me_bytes = r->probe.used - at;
            r->probe = chain;
            r->chain_ok = false;
        } else {
            end = xbl_mpsd__rd_member_probe(r, e, 1, &bad);
            if (!indexed || (count > 0 && index != prev_next) || r->member_next <= index) r->chain_ok = false;
            if (count == 0) r->chain_first = index;
            prev_next = r->member_next;
            r->chain_bad |= bad;
        }
        if (me) {
            r->me_at = e;
            r->me_bad = bad || r->js[e] != '{';
        }
        if (end == SIZE_MAX) return end;
        i = xbl_mpsd__json_ws(r->js, r->n, end);
    }
    r->depth0 = 0;
    r->chain_bytes = r->probe.used - start;
    r->entries = count;
    r->chain_next = prev_next;
    r->members_end = i + 1;
    return r->members_end;
}

/* One entry of the one walk's members object, at i (count before it):
   read into m; the cursor after it, or SIZE_MAX when it is not the next
   link of a valid chain. */
static size_t xbl_mpsd__rd_direct_entry(xbl_mpsd__rd *r, size_t i, size_t count, xbl_mpsd_session_member *m)
{
    size_t e, q;
    uint64_t index = 0;
    if (count > 0) {
        if (i >= r->n || r->js[i] != ',') return SIZE_MAX;
        i = xbl_mpsd__json_ws(r->js, r->n, i + 1);
    }
    e = xbl_mpsd__json_key_end(r->js, r->n, i);
    if (e >= r->n || r->js[e] != '{') return SIZE_MAX;
    for (q = i + 1; r->js[q] != '"'; q++) {}
    if (!xbl_mpsd__rd_index_key(r->js + i + 1, q - i - 1, &index) || (count > 0 && index != r->chain_next))
        return SIZE_MAX;
    i = xbl_mpsd__rd_member(r, e, index, m, 1);
    if (i == SIZE_MAX || r->bad || r->member_next <= index) return SIZE_MAX;
    if (m->xuid == r->s->xuid) r->direct_sub = r->member_sub;   /* the last match (API.md §1.5) */
    if (count == 0) r->chain_first = index;
    r->chain_next = r->member_next;
    return xbl_mpsd__json_ws(r->js, r->n, i);
}

/* The one walk, at the members object (v): reads every entry into an
   array of the counted size, in document order. SIZE_MAX for anything but
   the plain shape (each entry an indexed object, the next one's index its
   `next`, all valid), and for a second members object: the two walks then
   decide. */
static size_t xbl_mpsd__rd_members_direct(xbl_mpsd__rd *r, size_t v)
{
    size_t i, count, n;
    xbl_mpsd_session_member *arr;
    if (r->js[v] != '{' || r->members_at != 0) return SIZE_MAX;
    n = xbl_mpsd__rd_count(r, v);
    r->direct_a1 = r->a->used;
    arr = n ? XBL_MPSD__ALLOC_ARRAY(r->a, xbl_mpsd_session_member, n) : NULL;
    if (arr == NULL) return SIZE_MAX;
    r->direct_b_lo = (size_t)((unsigned char *)arr - r->a->base);
    r->members_at = v;
    r->direct_sub = XBL_MPSD_SESSION_CHANGE_TYPES_NONE;
    r->depth0 = 1;
    i = xbl_mpsd__json_ws(r->js, r->n, v + 1);
    for (count = 0; count < n && i != SIZE_MAX; count++) i = xbl_mpsd__rd_direct_entry(r, i, count, &arr[count]);
    if (i >= r->n || r->js[i] != '}') return SIZE_MAX;
    /* what follows lands where it would follow the text before the
       members: the same padding as in the two walks' layout */
    r->direct_b_hi = r->a->used;
    xbl_mpsd__arena_alloc(r->a, (r->direct_a1 - r->direct_b_hi) & (XBL_MPSD__ALIGN - 1), 1);
    r->direct_a2 = r->a->used;
    r->depth0 = 0;
    r->entries = count;
    return i + 1;
}

/* The one walk's member list: the entries read in document order, when
   they are the whole chain of a session that is not large. */
static bool xbl_mpsd__rd_members_take(xbl_mpsd__rd *r, xbl_mpsd_session *s)
{
    if (!r->has_info || s->constants.session_capabilities.large || r->members_at == 0 || r->entries == 0
            || r->chain_first != r->first || r->chain_next != r->next || r->first == UINT64_MAX
            || r->next == UINT64_MAX) return false;
    s->members = (xbl_mpsd_session_member *)(void *)(r->a->base + r->direct_b_lo);   /* the entries, in document order */
    s->members_count = s->document_members_count = r->entries;
    s->subscription_change_types = r->direct_sub;
    return true;
}

/* The last entry of the members object keyed by `index`, or 0. */
static size_t xbl_mpsd__rd_member_find(const xbl_mpsd__rd *r, uint64_t index)
{
    const char *k, *val;
    size_t kl, vl, i = 0, found = 0;
    char dec[21];
    dec[xbl_mpsd__u64_to_dec(index, dec)] = '\0';
    while (xbl_mpsd__json_object_next(r->js + r->members_at, r->members_end - r->members_at, &i,
                                      &k, &kl, &val, &vl))
        if (xbl_mpsd__json_body_equals(k, kl, dec)) found = (size_t)(val - r->js);
    return found;
}

/* The member list: the chain from membersInfo.first through each entry's
   next until membersInfo.next; large sessions show only "me". The first
   walk checks it and counts its arena bytes, the second fills s. */
/* One loop over the JSON grammar's states, kept whole on the hot path (splitting it is the reader's next step). */
/* NOLINTNEXTLINE(readability-function-cognitive-complexity) */
static void xbl_mpsd__rd_members(xbl_mpsd__rd *r, xbl_mpsd_session *s)
{
    bool large = s->constants.session_capabilities.large, fast, bad;
    size_t count = 0, bytes = 0, e, i, start;
    uint64_t cur;
    xbl_mpsd_session_member *arr;
    xbl_mpsd_session_change_types sub = XBL_MPSD_SESSION_CHANGE_TYPES_NONE;
    r->depth0 = 2;
    if (!r->has_info) return;
    if (r->first == UINT64_MAX || r->next == UINT64_MAX) { r->bad = true; return; }
    fast = !large && r->members_at && r->chain_ok && r->entries > 0 && r->chain_first == r->first
        && r->chain_next == r->next;
    if (large) {
        if (r->me_at == 0) return;
        if (r->me_bad) { r->bad = true; return; }
        count = 1;
        bytes = r->me_bytes;
    } else if (fast) {
        if (r->chain_bad) { r->bad = true; return; }
        count = r->entries;
        bytes = r->chain_bytes;
    } else if (!r->fill) {   /* any other shape: follow the links, each looked up by key */
        start = xbl_mpsd__rd_probe_begin(r);
        for (cur = r->first; cur != r->next; count++) {
            if (count >= r->entries) { r->bad = true; return; }   /* more links than entries: a loop */
            e = r->members_at ? xbl_mpsd__rd_member_find(r, cur) : 0;
            if (e == 0 || r->js[e] != '{') { r->bad = true; return; }
            xbl_mpsd__rd_member_probe(r, e, 0, &bad);
            if (bad || r->member_next == UINT64_MAX) { r->bad = true; return; }
            cur = r->member_next;
        }
        bytes = r->probe.used - start;
        r->chain_count = count;
    } else count = r->chain_count;
    if (count == 0) return;
    arr = XBL_MPSD__ALLOC_ARRAY(r->a, xbl_mpsd_session_member, count);
    s->members = arr;
    s->members_count = s->document_members_count = count;
    xbl_mpsd__arena_alloc(r->a, 0, XBL_MPSD__ALIGN);
    if (!r->fill) {
        xbl_mpsd__arena_alloc(r->a, bytes, 1);
        return;
    }
    /* second walk: fill in chain order */
    e = large ? r->me_at : r->members_at;
    i = xbl_mpsd__json_ws(r->js, r->n, r->members_at + 1);
    for (cur = r->first, count = 0; count < s->members_count; count++) {
        if (!large && fast) {
            e = xbl_mpsd__json_key_end(r->js, r->n, i);
        } else if (!large) e = xbl_mpsd__rd_member_find(r, cur);
        i = xbl_mpsd__rd_member(r, e, large ? r->first : cur, &arr[count], 0);
        if (arr[count].xuid == s->xuid) sub = r->member_sub;   /* the last match is the current user (API.md §1.5) */
        cur = r->member_next;
        i = xbl_mpsd__json_ws(r->js, r->n, i);
        if (i < r->n && r->js[i] == ',') i = xbl_mpsd__json_ws(r->js, r->n, i + 1);
    }
    s->subscription_change_types = sub;
}

/* How a walk over a session document goes. */
enum { XBL_MPSD__RD_MEASURE, XBL_MPSD__RD_FILL, XBL_MPSD__RD_DIRECT };

/* One walk over the document into r->sc.session: measuring (the first of
   two), filling (the second, over text the first checked) or direct (one
   walk that checks and fills). false when the body is not a valid document
   (direct: or not in the shape it reads). */
static bool xbl_mpsd__rd_session(xbl_mpsd__rd *r, const xbl_mpsd__response_meta *meta,
        unsigned char *arena, size_t arena_size, int mode)
{
    xbl_mpsd_session *s = &r->sc.session;
    size_t i = xbl_mpsd__json_ws(r->js, r->n, 0);
    bool fill = mode == XBL_MPSD__RD_FILL;
    int res;
    xbl_mpsd__session_reset(s, arena, arena_size);
    s->arena.measure = mode == XBL_MPSD__RD_MEASURE;
    r->s = s;
    r->a = &s->arena;
    r->bad = false;
    r->fill = fill;
    r->direct = mode == XBL_MPSD__RD_DIRECT;
    if (!fill) {   /* the filling walk goes by what the measuring one found */
        r->members_at = r->members_end = 0;
        r->entries = 0;
        r->chain_count = 0;
        r->me_at = 0;
    }
    r->depth = r->depth0 = 0;
    r->has_info = false;
    r->first = r->next = UINT64_MAX;
    s->state = XBL_MPSD__STATE_DOCUMENT | XBL_MPSD__STATE_SERVICE;
    s->xuid = meta->xuid;
    if (meta->etag != NULL && meta->etag_len > 0) s->etag = xbl_mpsd__arena_strn(r->a, meta->etag, meta->etag_len);
    s->time_of_session = meta->date;
    if (meta->reference != NULL) s->reference = *meta->reference;
    s->write_status = meta->write_status;
    s->initialization.stage = XBL_MPSD_INITIALIZATION_STAGE_NONE;
    /* D8: LATENCY when not given (also when the whole object is absent, as XSAPI always reports) */
    s->constants.peer_to_host_requirements.host_selection_metric = XBL_MPSD_METRICS_LATENCY;
    if (i >= r->n || r->js[i] != '{') return false;
    xbl_mpsd__rd_push(r, XBL_MPSD__T_ROOT, (unsigned char *)s, false, i, 0, 0);
    while ((res = xbl_mpsd__rd_walk(r, 0)) == XBL_MPSD__RW_STOP) {   /* at "members" */
        if (fill && r->i == r->members_at) r->i = r->members_end;
        else if (fill) r->i = xbl_mpsd__rd_skip(r, r->i, 1);
        else if (r->direct) r->i = xbl_mpsd__rd_members_direct(r, r->i);
        else r->i = xbl_mpsd__rd_members_scan(r, r->i);
        r->depth0 = 0;
        if (r->i == SIZE_MAX) return false;
    }
    if (res != XBL_MPSD__RW_DONE || xbl_mpsd__json_ws(r->js, r->n, r->i) != r->n || r->bad) return false;
    if (r->direct) return xbl_mpsd__rd_members_take(r, s);
    xbl_mpsd__rd_members(r, s);
    return !r->bad;
}

/* Arena bytes a session at `base` may be measured against: unbounded, so
   the measuring walk counts the whole need (it writes nothing). */
static size_t xbl_mpsd__measure_room(const unsigned char *base)
{
    uintptr_t room = UINTPTR_MAX - (uintptr_t)base;
    return room > (uintptr_t)SIZE_MAX ? SIZE_MAX : (size_t)room;
}

/* ---- the one walk: a document read straight into the scratch space past
   the walker's state (the rest of the async buffer, when the caller gave
   more than the two walks need), then copied into out's arena. The
   pointers the walk stored follow the copy: every slot
   xbl_mpsd__session_pointers lists, the list xbl_mpsd__clone copies by. ---- */

/* One piece of the one walk's block: its bytes [from, to) of the scratch
   copied to `at` in out's arena, the pointers into it following. */
static void xbl_mpsd__move_piece(xbl_mpsd__move *mv, unsigned k, const unsigned char *base,
        size_t from, size_t to, unsigned char *at)
{
    mv->lo[k] = (uintptr_t)(base + from);
    mv->hi[k] = (uintptr_t)(base + to);
    mv->to[k] = at;
    if (to > from) XBL_MPSD_MEMCPY(at, base + from, to - from);
}

/* The one walk into the `room` bytes at `at`, when they are at least the
   body's (a document needs less arena than that but for tiny entries):
   true with the new session in r->sc.session, in out's arena. false leaves
   out as it was and the two walks decide (the room or out's arena too
   small, the body not a valid document, members not in the plain shape).
   The walk's block is laid out as the text goes: what precedes the
   members (A1), the members (B), what follows them (A2, padded to start
   where it would follow A1). The copy puts it in the two walks' order, A1
   A2 B, byte for byte their layout: the same arena use either way, so the
   size a result reports as needed is the size it fills. */
static bool xbl_mpsd__session_load_direct(xbl_mpsd__rd *r, const xbl_mpsd_session *out,
        const xbl_mpsd__response_meta *meta, unsigned char *at, size_t room)
{
    xbl_mpsd_session *s = &r->sc.session;
    /* the walk's base in the same place modulo the alignment as out's */
    size_t lead = (size_t)(((uintptr_t)out->arena.base - (uintptr_t)at) & (XBL_MPSD__ALIGN - 1));
    unsigned char *base = at + lead, *dst = out->arena.base;
    size_t a2_len, b_at;
    xbl_mpsd__move mv;
    xbl_mpsd__slots slots;
    if (dst == NULL || room < lead || room - lead < r->n) return false;
    if (!xbl_mpsd__rd_session(r, meta, base, room - lead, XBL_MPSD__RD_DIRECT) || s->arena.failed) return false;
    a2_len = s->arena.used - r->direct_a2;
    b_at = r->direct_a1 + a2_len;
    b_at += (size_t)((XBL_MPSD__ALIGN - ((uintptr_t)(dst + b_at) & (XBL_MPSD__ALIGN - 1))) & (XBL_MPSD__ALIGN - 1));
    if (b_at > out->arena.size || out->arena.size - b_at < r->direct_b_hi - r->direct_b_lo) return false;
    xbl_mpsd__move_piece(&mv, 0, base, 0, r->direct_a1, dst);
    xbl_mpsd__move_piece(&mv, 1, base, r->direct_a2, s->arena.used, dst + r->direct_a1);
    xbl_mpsd__move_piece(&mv, 2, base, r->direct_b_lo, r->direct_b_hi, dst + b_at);
    slots.copy_to = NULL;
    slots.move = &mv;
    xbl_mpsd__session_pointers(s, &slots);
    xbl_mpsd__link_role_owners(s);
#ifndef NDEBUG   /* a pointer the copy missed reads this, not the document */
    XBL_MPSD_MEMSET(base, 0xDB, s->arena.used);
#endif
    s->arena.base = dst;
    s->arena.size = out->arena.size;
    s->arena.used = b_at + (r->direct_b_hi - r->direct_b_lo);
    return true;
}

/* The two walks: check and measure (out untouched), then fill out's
   arena. The new session in r->sc.session. */
static xbl_mpsd_result xbl_mpsd__session_load_two_walks(xbl_mpsd__rd *r, const xbl_mpsd_session *out,
        const xbl_mpsd__response_meta *meta, size_t *arena_needed)
{
    if (!xbl_mpsd__rd_session(r, meta, out->arena.base, xbl_mpsd__measure_room(out->arena.base),
            XBL_MPSD__RD_MEASURE)) return XBL_MPSD_E_INVALID_JSON_STRING;
    if (r->sc.session.arena.failed || r->sc.session.arena.used > out->arena.size) {
        if (arena_needed != NULL && !r->sc.session.arena.failed) *arena_needed = r->sc.session.arena.used;
        return XBL_MPSD_E_OUTOFMEMORY;
    }
    xbl_mpsd__rd_session(r, meta, out->arena.base, out->arena.size, XBL_MPSD__RD_FILL);   /* cannot fail now */
    XBL_MPSD_ASSERT(!r->bad && !r->sc.session.arena.failed);
    return XBL_MPSD_OK;
}

static xbl_mpsd_result xbl_mpsd__session_load(xbl_mpsd_session *out,
        const char *body, size_t body_len, const xbl_mpsd__response_meta *meta,
        void *scratch, size_t scratch_size, size_t *scratch_needed, size_t *arena_needed)
{
    xbl_mpsd__rd *r;
    size_t pad = (size_t)((XBL_MPSD__ALIGN - ((uintptr_t)scratch & (XBL_MPSD__ALIGN - 1))) & (XBL_MPSD__ALIGN - 1));
    size_t start, len;
    uint32_t counter;

    if (scratch_needed) *scratch_needed = 0;
    if (out == NULL || meta == NULL || scratch_needed == NULL || (body == NULL && body_len > 0))
        return XBL_MPSD_E_INVALIDARG;
    if (body_len == 0 || body_len > (size_t)0x7FFFFFFE) return XBL_MPSD_E_INVALID_JSON_STRING;
    if (scratch == NULL || scratch_size < pad || scratch_size - pad < sizeof *r) {
        /* invalid JSON wins over a short scratch buffer */
        if (!xbl_mpsd__json_check(body, body_len, &start, &len) || body[start] != '{')
            return XBL_MPSD_E_INVALID_JSON_STRING;
        *scratch_needed = pad + sizeof *r;
        return XBL_MPSD_E_OUTOFMEMORY;
    }
    *scratch_needed = pad + sizeof *r;
    r = (xbl_mpsd__rd *)(void *)((unsigned char *)scratch + pad);
    r->js = body;
    r->n = body_len;
    counter = out->random_counter;

    /* one walk when out's free tail has room; else, or when it cannot
       decide, two: check and measure (out untouched), then fill */
    if (!xbl_mpsd__session_load_direct(r, out, meta, (unsigned char *)(r + 1), scratch_size - pad - sizeof *r)) {
        xbl_mpsd_result res = xbl_mpsd__session_load_two_walks(r, out, meta, arena_needed);
        if (res == XBL_MPSD_E_OUTOFMEMORY) *scratch_needed = 0;   /* out's arena, not the scratch */
        if (res != XBL_MPSD_OK) return res;
    }
    r->sc.session.random_counter = counter;
    *out = r->sc.session;
    if (out->constants.member_initialization) out->constants.member_initialization = &out->member_initialization;
    xbl_mpsd__session_mark_current_user(out);
    xbl_mpsd__session_new_subscription_id(out);
    return XBL_MPSD_OK;
}

#ifndef XBL_MPSD_NO_HANDLES
/* ---- handle documents (handle IDs, activity lists): the same engine.
   A list document is {"results": [ {...}, ... ]}: the root table yields at
   "results", and xbl_mpsd__rd_objects walks the array, one frame per
   element, into the target its `begin` gives (scratch when measuring, the
   caller's storage when filling) and calls `end` after each. A second
   "results" key makes the body invalid. ---- */

/* What a list reader does around each element. */
typedef struct xbl_mpsd__rd_list {
    unsigned table;                                              /* the element's table */
    unsigned char *(*begin)(xbl_mpsd__rd *r, size_t index);      /* the element's target */
    void (*end)(xbl_mpsd__rd *r, unsigned char *elem, size_t index);
} xbl_mpsd__rd_list;

/* A document `type` that must equal `want` (case-insensitive, HD5);
   anything else (another string, null, another JSON type) makes the
   element invalid. */
static size_t xbl_mpsd__rd_doc_type(xbl_mpsd__rd *r, size_t v, const char *want)
{
    char buf[16];
    bool fits;
    size_t end;
    if (r->js[v] != '"') return xbl_mpsd__rd_wrong(r, v);
    end = xbl_mpsd__rd_text(r, v, buf, sizeof buf, false, &fits);
    if (end != SIZE_MAX && (!fits || !xbl_mpsd__ieq(buf, want))) r->bad = true;
    return end;
}

/* An activity's customProperties, any JSON value: measured, or copied into
   the caller's buffer when the WithProperties result fills it. */
static size_t xbl_mpsd__rd_activity_custom(xbl_mpsd__rd *r, unsigned char *p, size_t v)
{
    xbl_mpsd_activity_details *d = (xbl_mpsd_activity_details *)(void *)p;
    size_t end = xbl_mpsd__rd_skip(r, v, r->depth0 + r->depth);
    if (end == SIZE_MAX) return end;
    r->h.custom_seen = true;
    if (r->h.with_text) d->custom_session_properties_json = xbl_mpsd__arena_strn(r->a, r->js + v, end - v);
    return end;
}

/* Walks the array of objects at v (r->i there) through l. */
static size_t xbl_mpsd__rd_objects(xbl_mpsd__rd *r, size_t v, const xbl_mpsd__rd_list *l)
{
    size_t i, index = 0;
    unsigned under = r->depth;
    if (r->js[v] != '[') return xbl_mpsd__rd_wrong(r, v);
    r->depth0 = 1;
    for (i = xbl_mpsd__json_ws(r->js, r->n, v + 1); i < r->n && r->js[i] != ']'; index++) {
        if (index > 0) {
            if (r->js[i] != ',') return SIZE_MAX;
            i = xbl_mpsd__json_ws(r->js, r->n, i + 1);
        }
        if (i >= r->n) return SIZE_MAX;
        if (r->js[i] != '{') i = xbl_mpsd__rd_wrong(r, i);
        else {
            unsigned char *elem = l->begin(r, index);
            if (xbl_mpsd__rd_push(r, l->table, elem, false, i, 0, 0) == SIZE_MAX
                    || xbl_mpsd__rd_walk(r, under) != XBL_MPSD__RW_DONE) return SIZE_MAX;
            l->end(r, elem, index);
            i = r->i;
        }
        if (i == SIZE_MAX) return i;
        i = xbl_mpsd__json_ws(r->js, r->n, i);
    }
    r->depth0 = 0;
    r->h.count = index;
    return i < r->n ? i + 1 : SIZE_MAX;
}

/* Prepares r for one walk over a handle document. */
static void xbl_mpsd__rd_hdoc_begin(xbl_mpsd__rd *r, const char *body, size_t len, bool fill)
{
    r->js = body;
    r->n = len;
    r->bad = false;
    r->fill = fill;
    r->depth = r->depth0 = 0;
    r->h.count = 0;
    r->h.lists = 0;
}

/* One walk over a handle document whose root table is `table` into base;
   l (NULL for a single object) reads its `results` list. false when the
   body is not a valid document. */
static bool xbl_mpsd__rd_hdoc(xbl_mpsd__rd *r, unsigned table, unsigned char *base, const xbl_mpsd__rd_list *l)
{
    size_t i = xbl_mpsd__json_ws(r->js, r->n, 0);
    int res;
    if (i >= r->n || r->js[i] != '{') return false;
    xbl_mpsd__rd_push(r, table, base, false, i, 0, 0);
    while ((res = xbl_mpsd__rd_walk(r, 0)) == XBL_MPSD__RW_STOP) {   /* at "results" */
        if (l == NULL || ++r->h.lists > 1) r->bad = true;
        r->i = l == NULL || r->h.lists > 1 ? xbl_mpsd__rd_skip(r, r->i, 1) : xbl_mpsd__rd_objects(r, r->i, l);
        if (r->i == SIZE_MAX) return false;
    }
    if (res != XBL_MPSD__RW_DONE || xbl_mpsd__json_ws(r->js, r->n, r->i) != r->n) return false;
    return !r->bad && (l == NULL || r->h.lists == 1);
}

/* The handle-ID document (§A of the result rules): `id`, 1-39 bytes. */
static bool xbl_mpsd__rd_handle_id(xbl_mpsd__rd *r, const char *body, size_t len, char id[XBL_MPSD_GUID_LENGTH])
{
    xbl_mpsd_session_handle_id h;
    h.value[0] = '\0';
    xbl_mpsd__rd_hdoc_begin(r, body, len, false);
    if (!xbl_mpsd__rd_hdoc(r, XBL_MPSD__T_HID, (unsigned char *)&h, NULL) || h.value[0] == '\0') return false;
    XBL_MPSD_MEMCPY(id, h.value, sizeof h.value);
    return true;
}

/* Activity list elements: scratch when measuring, r->h.out[index] when filling. */
static unsigned char *xbl_mpsd__rd_activity_begin(xbl_mpsd__rd *r, size_t index)
{
    xbl_mpsd_activity_details *d = r->h.acts != NULL ? &r->h.acts[index] : &r->h.sc.act;
    XBL_MPSD_MEMSET(d, 0, sizeof *d);
    r->h.custom_seen = false;
    return (unsigned char *)d;
}

static void xbl_mpsd__rd_activity_end(xbl_mpsd__rd *r, unsigned char *elem, size_t index)
{
    xbl_mpsd_activity_details *d = (xbl_mpsd_activity_details *)(void *)elem;
    if (d->handle_id[0] == '\0') r->bad = true;   /* id is required and non-empty */
    if (index == 0) XBL_MPSD_MEMCPY(r->h.first_id, d->handle_id, sizeof d->handle_id);
    if (r->h.with_text && !r->h.custom_seen) d->custom_session_properties_json = xbl_mpsd__arena_strn(r->a, "null", 4);
}

static const xbl_mpsd__rd_list xbl_mpsd__rd_activities = {
    XBL_MPSD__T_ACTIVITY, xbl_mpsd__rd_activity_begin, xbl_mpsd__rd_activity_end
};

/* One walk over an activity list: measuring (acts NULL: count, first ID and
   the WithProperties bytes in r->h) or filling acts, texts into arena when
   with_text. */
static bool xbl_mpsd__rd_activity_list(xbl_mpsd__rd *r, const char *body, size_t len,
        xbl_mpsd_activity_details *acts, xbl_mpsd__arena *arena, bool with_text)
{
    unsigned char root = 0;
    xbl_mpsd__rd_hdoc_begin(r, body, len, acts != NULL);
    r->h.acts = acts;
    r->h.with_text = with_text;
    r->h.first_id[0] = '\0';
    r->a = arena;
    return xbl_mpsd__rd_hdoc(r, XBL_MPSD__T_LIST_ROOT, &root, &xbl_mpsd__rd_activities);
}
#endif /* XBL_MPSD_NO_HANDLES */

#ifndef XBL_MPSD_NO_HANDLES
/* ---- handle documents ----
   A search handle document (the create response, or each element of a
   query's "results") fills an xbl_mpsd_search_handle: its fixed fields in
   the struct, the rest (owners, tags, attributes, custom properties, role
   types) in the caller's buffer through the arena, measured first against
   an aligned base so the need holds at any buffer address. A session query
   list fills the caller's array of xbl_mpsd_session_query_result. Both
   lists go through xbl_mpsd__rd_objects like the activity lists. */

/* 10^e for 0 <= e (exact up to 10^22). */
static double xbl_mpsd__pow10(unsigned e)
{
    double x = 1.0, b = 10.0;
    while (e) {
        if (e & 1u) x *= b;
        b *= b;
        e >>= 1;
    }
    return x;
}

/* The digits of a checked JSON number into a mantissa of at most 19
   significant digits and a power of ten. */
static void xbl_mpsd__number_parts(const char *s, size_t n, uint64_t *m, long *exp10)
{
    size_t i = s[0] == '-' ? 1u : 0u;
    unsigned digits = 0;
    long e = 0, x = 0;
    bool frac = false, neg_x = false;
    *m = 0;
    for (; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.') { frac = true; continue; }
        if (digits < 19) {
            *m = *m * 10u + (uint64_t)(s[i] - '0');
            if (*m) digits++;
            if (frac) e--;
        } else if (!frac) e++;
    }
    if (i < n) {   /* exponent */
        i++;
        if (s[i] == '+' || s[i] == '-') neg_x = s[i++] == '-';
        for (; i < n; i++)
            if (x < 100000) x = x * 10 + (s[i] - '0');
    }
    *exp10 = e + (neg_x ? -x : x);
}

/* A checked JSON number (s, n) as a double; false when it is not finite.
   Exact when the digits fit 2^53 and the power of ten is at most 22 (the
   values titles use); otherwise within a few units in the last place. */
static bool xbl_mpsd__parse_double(const char *s, size_t n, double *out)
{
    uint64_t m;
    long e;
    double v;
    xbl_mpsd__number_parts(s, n, &m, &e);
    v = (double)m;
    if (m == 0 || e == 0) {
    } else if (e > 0) {
        v = e > 400 ? v * 1e300 * 1e300 : v * xbl_mpsd__pow10((unsigned)e);
    } else if (e >= -300) {
        v /= xbl_mpsd__pow10((unsigned)-e);
    } else {
        v = e < -400 ? 0.0 : v / 1e300 / xbl_mpsd__pow10((unsigned)(-e - 300));
    }
    if (s[0] == '-') v = -v;
    if (v - v != 0.0) return false;   /* inf (inf - inf is NaN) */
    *out = v;
    return true;
}

/* A string field that must fit cap bytes (NUL included); bad otherwise. */
static size_t xbl_mpsd__rd_fixed(xbl_mpsd__rd *r, size_t v, char *buf, size_t cap)
{
    bool fits;
    size_t end;
    if (r->js[v] != '"') return xbl_mpsd__rd_wrong(r, v);
    end = xbl_mpsd__rd_text(r, v, buf, cap, false, &fits);
    if (!fits) r->bad = true;
    return end;
}

/* Allocates the n-element array of a "pointer, then count" field at p. */
static unsigned char *xbl_mpsd__rd_list_field(xbl_mpsd__rd *r, unsigned char *p, size_t n, size_t size)
{
    unsigned char *arr = n ? (unsigned char *)xbl_mpsd__arena_alloc_array(r->a, n, size) : NULL;
    if (n) {
        XBL_MPSD_MEMCPY(p, &arr, sizeof arr);
        XBL_MPSD_MEMCPY(p + sizeof arr, &n, sizeof n);
    }
    return arr;
}

/* searchAttributes.tags: an array of strings (or null) into tags[]. */
static size_t xbl_mpsd__rd_tags(xbl_mpsd__rd *r, unsigned char *p, size_t v)
{
    xbl_mpsd_session_string_attribute *tmp = &r->h.sc.search.tmp;
    xbl_mpsd_session_tag *tags;
    size_t i, c;
    if (r->js[v] == 'n') return xbl_mpsd__json_scalar_end(r->js, r->n, v);
    if (r->js[v] != '[') return xbl_mpsd__rd_wrong(r, v);
    if (r->depth0 + r->depth >= XBL_MPSD_JSON_MAX_DEPTH) return SIZE_MAX;
    tags = (xbl_mpsd_session_tag *)(void *)xbl_mpsd__rd_list_field(r, p, xbl_mpsd__rd_count(r, v),
                                                                    sizeof(xbl_mpsd_session_tag));
    i = xbl_mpsd__json_ws(r->js, r->n, v + 1);
    if (i < r->n && r->js[i] == ']') return i + 1;
    for (c = 0;; c++) {
        bool done;
        size_t end = xbl_mpsd__rd_fixed(r, i, tags ? tags[c].value : tmp->value, sizeof tmp->value);
        if (end == SIZE_MAX) return end;
        i = xbl_mpsd__rd_array_next(r, end, &done);
        if (done || i == SIZE_MAX) return i;
    }
}

/* One attribute value at v: a string into value[], or a finite number. */
static size_t xbl_mpsd__rd_attribute_value(xbl_mpsd__rd *r, size_t v, bool numbers, unsigned char *attr)
{
    xbl_mpsd_session_string_attribute *tmp = &r->h.sc.search.tmp;
    size_t end;
    double d = 0.0;
    char c = r->js[v];
    if (!numbers) {
        char *value = attr ? ((xbl_mpsd_session_string_attribute *)(void *)attr)->value : tmp->value;
        return xbl_mpsd__rd_fixed(r, v, value, sizeof tmp->value);
    }
    if (c != '-' && (c < '0' || c > '9')) return xbl_mpsd__rd_wrong(r, v);
    end = xbl_mpsd__json_number_end(r->js, r->n, v);
    if (end == SIZE_MAX) return end;
    if (!xbl_mpsd__parse_double(r->js + v, end - v, &d)) r->bad = true;
    if (attr) XBL_MPSD_MEMCPY(attr + offsetof(xbl_mpsd_session_number_attribute, value), &d, sizeof d);
    return end;
}

/* searchAttributes.strings / .numbers: an object (or null) of attributes,
   kept in key order. */
static size_t xbl_mpsd__rd_attributes(xbl_mpsd__rd *r, unsigned char *p, size_t v, bool numbers)
{
    xbl_mpsd_session_string_attribute *tmp = &r->h.sc.search.tmp;
    size_t size = numbers ? sizeof(xbl_mpsd_session_number_attribute) : sizeof(xbl_mpsd_session_string_attribute);
    unsigned char *arr;
    size_t i, c;
    if (r->js[v] == 'n') return xbl_mpsd__json_scalar_end(r->js, r->n, v);
    if (r->js[v] != '{') return xbl_mpsd__rd_wrong(r, v);
    if (r->depth0 + r->depth >= XBL_MPSD_JSON_MAX_DEPTH) return SIZE_MAX;
    arr = xbl_mpsd__rd_list_field(r, p, xbl_mpsd__rd_count(r, v), size);
    i = xbl_mpsd__json_ws(r->js, r->n, v + 1);
    for (c = 0;; c++) {
        unsigned char *attr = arr ? arr + c * size : NULL;
        size_t key = 0;
        bool done;
        size_t e = xbl_mpsd__rd_flat_next(r, i, c, &key, &done);
        if (e == SIZE_MAX || done) return e;
        /* the name is the first member of both attribute structs */
        xbl_mpsd__rd_fixed(r, key, attr ? (char *)attr : tmp->name, sizeof tmp->name);
        e = xbl_mpsd__rd_attribute_value(r, e, numbers, attr);
        if (e == SIZE_MAX) return e;
        i = xbl_mpsd__json_ws(r->js, r->n, e);
    }
}

/* An ISO-8601 UTC time into *(time_t *)p; null reads as absent. */
static size_t xbl_mpsd__rd_time_or_null(xbl_mpsd__rd *r, unsigned char *p, size_t v)
{
    bool esc;
    size_t end;
    time_t t = 0;
    if (r->js[v] == 'n') return xbl_mpsd__json_scalar_end(r->js, r->n, v);
    if (r->js[v] != '"') return xbl_mpsd__rd_wrong(r, v);
    end = xbl_mpsd__rd_str_end(r, v, &esc);
    if (end == SIZE_MAX) return end;
    if (!xbl_mpsd__parse_time(r->js + v + 1, end - v - 2, &t)) r->bad = true;
    else XBL_MPSD_MEMCPY(p, &t, sizeof t);
    return end;
}

static size_t xbl_mpsd__rd_handle_call(xbl_mpsd__rd *r, unsigned handler, unsigned char *p, size_t v)
{
    switch (handler) {
    case XBL_MPSD__C_SH_TYPE: return xbl_mpsd__rd_doc_type(r, v, "search");
    case XBL_MPSD__C_SH_TAGS: return xbl_mpsd__rd_tags(r, p, v);
    case XBL_MPSD__C_SH_STRINGS: return xbl_mpsd__rd_attributes(r, p, v, false);
    case XBL_MPSD__C_SH_NUMBERS: return xbl_mpsd__rd_attributes(r, p, v, true);
    case XBL_MPSD__C_SH_ROLE_XUIDS:   /* checked, not kept: the holders belong to the session */
        if (r->js[v] != '[') return xbl_mpsd__rd_wrong(r, v);
        r->role_xuids = 1;
        return xbl_mpsd__rd_array(r, v, XBL_MPSD__RT_XUIDS, NULL, 0, NULL, NULL);
    default: return xbl_mpsd__rd_time_or_null(r, p, v);   /* XBL_MPSD__C_TIME_OR_NULL */
    }
}

/* A role-type or roles map of a search handle: its array, "pointer, then
   count" at the frame's target. */
static void xbl_mpsd__rd_handle_map(xbl_mpsd__rd *r, xbl_mpsd__rd_frame *f, size_t v)
{
    size_t size = f->t->id == XBL_MPSD__T_SHTYPES ? sizeof(xbl_mpsd_role_type) : sizeof(xbl_mpsd_role);
    f->cap = xbl_mpsd__rd_count(r, v);
    f->elems = xbl_mpsd__rd_list_field(r, f->base, f->cap, size);
}

static void xbl_mpsd__rd_handle_open(xbl_mpsd__rd *r, xbl_mpsd__rd_frame *f, size_t v)
{
    switch (f->t->id) {
    case XBL_MPSD__T_SH: {
        xbl_mpsd_search_handle *sh = (xbl_mpsd_search_handle *)(void *)f->base;
        XBL_MPSD_MEMSET(sh, 0, sizeof *sh);
        sh->filled = true;
        xbl_mpsd__arena_alloc(r->a, 0, XBL_MPSD__ALIGN);   /* each handle's data starts aligned */
        sh->data_len = r->a->used;   /* until it closes: where its data starts */
        break;
    }
    case XBL_MPSD__T_QR: XBL_MPSD_MEMSET(f->base, 0, sizeof(xbl_mpsd_session_query_result)); break;
    case XBL_MPSD__T_SHTYPES: case XBL_MPSD__T_SHROLES: xbl_mpsd__rd_handle_map(r, f, v); break;
    default: break;
    }
}

static void xbl_mpsd__rd_handle_close(xbl_mpsd__rd *r, const xbl_mpsd__rd_frame *f)
{
    xbl_mpsd_search_handle *sh = (xbl_mpsd_search_handle *)(void *)f->base;
    const xbl_mpsd_role *role = (const xbl_mpsd_role *)(void *)f->base;
    if (f->t->id == XBL_MPSD__T_SHROLE && r->role_xuids == 0 && role->member_count != 0)
        r->bad = true;   /* memberXuids is required when count > 0, its length not checked */
    if (f->t->id != XBL_MPSD__T_SH) return;
    sh->data = r->fill && r->a->used > sh->data_len ? r->a->base + sh->data_len : NULL;
    sh->data_len = r->a->used - sh->data_len;
}

/* Search handle list elements: scratch when measuring, r->h.shs[index]
   when filling (the open hook clears it). */
static unsigned char *xbl_mpsd__rd_sh_begin(xbl_mpsd__rd *r, size_t index)
{
    return (unsigned char *)(r->h.shs != NULL ? &r->h.shs[index] : &r->h.sc.search.sh);
}

static unsigned char *xbl_mpsd__rd_qr_begin(xbl_mpsd__rd *r, size_t index)
{
    return (unsigned char *)(r->h.qrs != NULL ? &r->h.qrs[index] : &r->h.sc.qr);
}

static void xbl_mpsd__rd_no_end(xbl_mpsd__rd *r, unsigned char *elem, size_t index)
{
    XBL_MPSD__UNUSED(r);
    XBL_MPSD__UNUSED(elem);
    XBL_MPSD__UNUSED(index);
}

static const xbl_mpsd__rd_list xbl_mpsd__rd_search_handles = {
    XBL_MPSD__T_SH, xbl_mpsd__rd_sh_begin, xbl_mpsd__rd_no_end
};
static const xbl_mpsd__rd_list xbl_mpsd__rd_query_results = {
    XBL_MPSD__T_QR, xbl_mpsd__rd_qr_begin, xbl_mpsd__rd_no_end
};

/* One walk over search handle text (list: a query's results, else the one
   handle of a create response). Measuring: shs NULL, arena a measuring
   one, r->h.count and the arena's bytes tell the need. Filling: shs[0 ..
   count-1], their data in arena (whose base is aligned). */
static bool xbl_mpsd__rd_search(xbl_mpsd__rd *r, const char *body, size_t len, bool list,
        xbl_mpsd_search_handle *shs, xbl_mpsd__arena *arena)
{
    unsigned char *root = (unsigned char *)&r->h.sc;   /* the list root keeps nothing */
    xbl_mpsd__rd_hdoc_begin(r, body, len, shs != NULL);
    r->h.shs = shs;
    r->a = arena;
    if (list) return xbl_mpsd__rd_hdoc(r, XBL_MPSD__T_LIST_ROOT, root, &xbl_mpsd__rd_search_handles);
    r->h.count = 1;
    return xbl_mpsd__rd_hdoc(r, XBL_MPSD__T_SH, (unsigned char *)(shs ? shs : &r->h.sc.search.sh), NULL);
}

/* One walk over a session query list: measuring (qrs NULL: r->h.count) or
   filling qrs. */
static bool xbl_mpsd__rd_queries(xbl_mpsd__rd *r, const char *body, size_t len, xbl_mpsd_session_query_result *qrs,
        xbl_mpsd__arena *arena)
{
    unsigned char *root = (unsigned char *)&r->h.sc;   /* the list root keeps nothing */
    xbl_mpsd__rd_hdoc_begin(r, body, len, qrs != NULL);
    r->h.qrs = qrs;
    r->a = arena;
    return xbl_mpsd__rd_hdoc(r, XBL_MPSD__T_LIST_ROOT, root, &xbl_mpsd__rd_query_results);
}
#endif /* XBL_MPSD_NO_HANDLES */

/* ===========================================================================
   HTTP/1.1 request writer
   Buffer layout of an async while a request is out:
     [request body][token-free head][Authorization/Signature lines + "\r\n"]
   The body and the token-free head are written by the *_async call (the
   session may change afterwards); the token lines are added when the auth
   callback answers and wiped once sent. After the send, the region after the
   token-free head is the response window; the body and token-free head stay
   so that a request found dead on a kept connection can be sent again.
   =========================================================================== */

#ifndef XBL_MPSD_HTTP_MAX_HEADER_BYTES
#define XBL_MPSD_HTTP_MAX_HEADER_BYTES 8192   /* status line + headers of one response */
#endif
#ifndef XBL_MPSD_HTTP_MAX_CHUNK_LINE
#define XBL_MPSD_HTTP_MAX_CHUNK_LINE 256      /* chunk-size line incl. extensions */
#endif
/* Token room suggested by needed_bytes when the request head did not fit:
   XBL3.0 tokens are a few kilobytes. */
#ifndef XBL_MPSD_AUTH_RESERVE
#define XBL_MPSD_AUTH_RESERVE 4096
#endif
#define XBL_MPSD__SIGNATURE_CAP 1024
#define XBL_MPSD__POLL_STEPS    16     /* work items per poll: keeps a poll bounded */
#define XBL_MPSD__CONTINUE      ((xbl_mpsd_result)2)   /* internal: step made progress */

#define XBL_MPSD__OP_IDLE     0u
#define XBL_MPSD__OP_AUTH     1u
#define XBL_MPSD__OP_CONNECT  2u
#define XBL_MPSD__OP_SEND     3u
#define XBL_MPSD__OP_RECV     4u
#define XBL_MPSD__OP_DONE     5u
#define XBL_MPSD__OP_BACKOFF  6u   /* waiting to retry under the retry policy */

#define XBL_MPSD__KIND_WRITE            1u
#define XBL_MPSD__KIND_WRITE_BY_HANDLE  2u
#define XBL_MPSD__KIND_GET              3u
#define XBL_MPSD__KIND_GET_BY_HANDLE    4u
/* the handles family (its chapter and the search chapter) */
#define XBL_MPSD__KIND_SET_ACTIVITY     5u
#define XBL_MPSD__KIND_CLEAR_ACTIVITY   6u
#define XBL_MPSD__KIND_TRANSFER         7u
#define XBL_MPSD__KIND_INVITES          8u
#define XBL_MPSD__KIND_ACTIVITIES       9u    /* plain details */
#define XBL_MPSD__KIND_ACTIVITIES_PROPS 10u   /* with custom properties */
#define XBL_MPSD__KIND_SEARCH_CREATE    11u
#define XBL_MPSD__KIND_SEARCH_DELETE    12u
#define XBL_MPSD__KIND_SEARCH_QUERY     13u
#define XBL_MPSD__KIND_QUERY_SESSIONS   14u

#define XBL_MPSD__M_GET    0u
#define XBL_MPSD__M_PUT    1u
#define XBL_MPSD__M_POST   2u
#define XBL_MPSD__M_DELETE 3u

#define XBL_MPSD__AF_REUSED    0x1u   /* running on a kept connection */
#define XBL_MPSD__AF_RESENT    0x2u   /* the one resend was used */
#define XBL_MPSD__AF_GOT_BYTE  0x4u   /* a response byte arrived */
#define XBL_MPSD__AF_TAKEN     0x8u   /* a result call consumed the result */
#define XBL_MPSD__AF_TRACED    0x10u  /* this attempt's request went to the trace hook */

static const char xbl_mpsd__auth_prefix[] = "Authorization: ";
static const char xbl_mpsd__sig_prefix[] = "\r\nSignature: ";

/* Bounded writer; counts past the end like snprintf so one pass sizes a head. */
typedef struct xbl_mpsd__hw {
    char  *buf;
    size_t cap;
    size_t len;
} xbl_mpsd__hw;

static void xbl_mpsd__hw_put(xbl_mpsd__hw *w, const char *s, size_t n)
{
    if (w->len < w->cap) {
        size_t room = w->cap - w->len;
        XBL_MPSD_MEMCPY(w->buf + w->len, s, n < room ? n : room);
    }
    w->len += n;
}

static void xbl_mpsd__hw_str(xbl_mpsd__hw *w, const char *s)
{
    xbl_mpsd__hw_put(w, s, xbl_mpsd__strlen(s));
}

static void xbl_mpsd__hw_u64(xbl_mpsd__hw *w, uint64_t v)
{
    char d[20];
    xbl_mpsd__hw_put(w, d, xbl_mpsd__u64_to_dec(v, d));
}

static void xbl_mpsd__hw_header(xbl_mpsd__hw *w, const char *name, const char *value)
{
    xbl_mpsd__hw_str(w, name);
    xbl_mpsd__hw_put(w, ": ", 2);
    xbl_mpsd__hw_str(w, value);
    xbl_mpsd__hw_put(w, "\r\n", 2);
}

/* A string that may go into a header value: CR or LF would end the header
   early and let a caller smuggle headers (the NUL ends the C string). */
static bool xbl_mpsd__header_safe(const char *s)
{
    for (; *s; s++)
        if (*s == '\r' || *s == '\n') return false;
    return true;
}

static bool xbl_mpsd__reference_path(const xbl_mpsd_session_reference *r, char *path, size_t cap)
{
    xbl_mpsd__hw w;
    if (!xbl_mpsd_session_reference_is_valid(r)) return false;
    w.buf = path; w.cap = cap; w.len = 0;
    xbl_mpsd__hw_str(&w, "/serviceconfigs/");
    xbl_mpsd__hw_str(&w, r->scid);
    xbl_mpsd__hw_str(&w, "/sessionTemplates/");   /* XSAPI's spelling (MPSD §1.2) */
    xbl_mpsd__hw_str(&w, r->session_template_name);
    xbl_mpsd__hw_str(&w, "/sessions/");
    xbl_mpsd__hw_str(&w, r->session_name);
    xbl_mpsd__hw_put(&w, "", 1);
    return w.len <= cap;
}

static bool xbl_mpsd__handle_path(const char *handle_id, char *path, size_t cap)
{
    xbl_mpsd__hw w;
    if (!xbl_mpsd__path_name_ok(handle_id, cap)) return false;
    w.buf = path; w.cap = cap; w.len = 0;
    xbl_mpsd__hw_str(&w, "/handles/");
    xbl_mpsd__hw_str(&w, handle_id);
    xbl_mpsd__hw_str(&w, "/session");
    xbl_mpsd__hw_put(&w, "", 1);
    return w.len <= cap;
}

static const char *xbl_mpsd__method_name(uint32_t method)
{
    static const char *const names[4] = { "GET", "PUT", "POST", "DELETE" };
    return names[method & 3u];
}

static const char *xbl_mpsd__method(const xbl_mpsd_async *a)
{
    return xbl_mpsd__method_name(a->method);
}

/* MPSD §2.2. SYNCHRONIZED_UPDATE without an ETag acts like CREATE_NEW, as in XSAPI. */
static void xbl_mpsd__hw_precondition(xbl_mpsd__hw *w, uint32_t mode, const char *etag)
{
    switch (mode) {
    case XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW: xbl_mpsd__hw_header(w, "If-None-Match", "*"); break;
    case XBL_MPSD_SESSION_WRITE_MODE_UPDATE_EXISTING: xbl_mpsd__hw_header(w, "If-Match", "*"); break;
    case XBL_MPSD_SESSION_WRITE_MODE_SYNCHRONIZED_UPDATE:
        if (etag != NULL && etag[0] != '\0') xbl_mpsd__hw_header(w, "If-Match", etag);
        else xbl_mpsd__hw_header(w, "If-None-Match", "*");
        break;
    default: break;   /* UPDATE_OR_CREATE_NEW: no precondition */
    }
}

/* What the token-free head is made of. etag is NULL for reads. */
typedef struct xbl_mpsd__request {
    uint32_t    kind;
    uint32_t    method;       /* XBL_MPSD__M_* */
    uint32_t    write_mode;
    const char *path;
    size_t      body_len;
    const char *etag;
    size_t      reserve;      /* bytes at the buffer's end no exchange may use */
} xbl_mpsd__request;

/* The Host value, an RFC 3986 authority: the service's name, an IPv6
   literal in brackets (its zone only means something on this host), and
   the port unless it is https's 443. */
static void xbl_mpsd__hw_host(xbl_mpsd__hw *w, const xbl_mpsd_client *c)
{
    const char *name = c->config.host_header;
    size_t n = 0;
    bool v6 = false;
    /* a colon outside brackets is an IPv6 literal's; its zone starts at '%' */
    for (; name[n] != '\0' && !(v6 && name[n] == '%'); n++)
        if (name[n] == ':' && name[0] != '[') v6 = true;
    if (v6) xbl_mpsd__hw_put(w, "[", 1);
    xbl_mpsd__hw_put(w, name, n);
    if (v6) xbl_mpsd__hw_put(w, "]", 1);
    if (c->config.port_number != 443) {
        xbl_mpsd__hw_put(w, ":", 1);
        xbl_mpsd__hw_u64(w, c->config.port_number);
    }
}

/* Everything of the head except the token lines. */
static void xbl_mpsd__write_fixed_head(xbl_mpsd__hw *w, const xbl_mpsd__request *q, const xbl_mpsd_client *c)
{
    bool put = q->method == XBL_MPSD__M_PUT, with_body = put || q->method == XBL_MPSD__M_POST;
    xbl_mpsd__hw_str(w, xbl_mpsd__method_name(q->method));
    xbl_mpsd__hw_put(w, " ", 1);
    xbl_mpsd__hw_str(w, q->path);
    xbl_mpsd__hw_put(w, " HTTP/1.1\r\nHost: ", 17);
    xbl_mpsd__hw_host(w, c);
    xbl_mpsd__hw_str(w, "\r\nx-xbl-contract-version: 107\r\n"
                        "Content-Type: application/json; charset=utf-8\r\n");
    if (with_body) {   /* RFC 9110 §8.6: no Content-Length on a GET or DELETE without a body */
        xbl_mpsd__hw_str(w, "Content-Length: ");
        xbl_mpsd__hw_u64(w, q->body_len);
        xbl_mpsd__hw_put(w, "\r\n", 2);
    }
    xbl_mpsd__hw_header(w, "User-Agent", c->config.user_agent);
    if (c->config.accept_language != NULL) xbl_mpsd__hw_header(w, "Accept-Language", c->config.accept_language);
    if (put) xbl_mpsd__hw_precondition(w, q->write_mode, q->etag);
}

/* Bytes the token lines take besides the two token values themselves. */
static size_t xbl_mpsd__token_overhead(void)
{
    return (sizeof xbl_mpsd__auth_prefix - 1) + (sizeof xbl_mpsd__sig_prefix - 1) + 4;
}

/* What one request tells the auth callback. */
typedef struct xbl_mpsd__auth_request {
    const char    *method;
    const char    *path;
    const uint8_t *body;
    size_t         body_len;
} xbl_mpsd__auth_request;

/* Asks the auth callback and appends the token lines and the blank line to
   a token-free head that ends at buf + start. The authorization value is
   written in place; the signature goes to the end of the buffer first,
   because the authorization's length is not known before the callback
   answers. OK: *end is where the head now ends and *need the room these
   tokens need whatever the split; E_OUTOFMEMORY from the callback: *need
   is a buffer size to suggest. */
/* The caps the token room splits into (a quarter, at most
   XBL_MPSD__SIGNATURE_CAP, for the signature; the rest for the token). */
static size_t xbl_mpsd__sig_cap(size_t room)
{
    return room / 4 < XBL_MPSD__SIGNATURE_CAP ? room / 4 : XBL_MPSD__SIGNATURE_CAP;
}

/* The smallest token room whose split fits these tokens: both caps grow
   with the room, so this is exact (needed_bytes after a response relies on it). */
static size_t xbl_mpsd__token_room(size_t auth_len, size_t sig_len)
{
    size_t room = 4 * (sig_len + 1), r = (auth_len + 1) + (auth_len + 1) / 3;
    while (r > 0 && r - 1 - xbl_mpsd__sig_cap(r - 1) >= auth_len + 1) r--;
    /* cppcheck-suppress knownConditionTrueFalse ; false when the first loop moved r, true when its start was short */
    while (r - xbl_mpsd__sig_cap(r) < auth_len + 1) r++;
    return r > room ? r : room;
}

static xbl_mpsd_result xbl_mpsd__put_tokens(const xbl_mpsd_client *c, const xbl_mpsd__auth_request *q,
        unsigned char *buf, size_t buf_size, size_t start, size_t *end, size_t *need)
{
    size_t room = buf_size - start - xbl_mpsd__token_overhead();
    size_t sig_cap = xbl_mpsd__sig_cap(room);
    size_t auth_cap = room - sig_cap;
    char *head = (char *)buf + start;
    char *auth = head + (sizeof xbl_mpsd__auth_prefix - 1);
    char *sig = (char *)buf + buf_size - sig_cap;
    size_t auth_len, sig_len, at;
    xbl_mpsd_result r;
    auth[0] = '\0';
    sig[0] = '\0';
    r = c->config.auth(c->config.auth_user, q->method, q->path, q->body, q->body_len, auth, auth_cap, sig, sig_cap);
    if (r == XBL_MPSD_PENDING) return XBL_MPSD_PENDING;
    if (r == XBL_MPSD_E_OUTOFMEMORY) {
        /* the tokens did not fit: suggest twice the room they had */
        *need = buf_size + (room > XBL_MPSD_AUTH_RESERVE ? room : XBL_MPSD_AUTH_RESERVE);
        return r;
    }
    if (r < 0) return r;
    auth_len = xbl_mpsd__strnlen(auth, auth_cap);
    sig_len = xbl_mpsd__strnlen(sig, sig_cap);
    if (r != XBL_MPSD_OK || auth_len >= auth_cap || sig_len >= sig_cap
        || !xbl_mpsd__header_safe(auth) || !xbl_mpsd__header_safe(sig)) return XBL_MPSD_E_INVALIDARG;
    XBL_MPSD_MEMCPY(head, xbl_mpsd__auth_prefix, sizeof xbl_mpsd__auth_prefix - 1);
    at = (sizeof xbl_mpsd__auth_prefix - 1) + auth_len;
    if (sig_len > 0) {
        XBL_MPSD_MEMCPY(head + at, xbl_mpsd__sig_prefix, sizeof xbl_mpsd__sig_prefix - 1);
        at += sizeof xbl_mpsd__sig_prefix - 1;
        XBL_MPSD_MEMMOVE(head + at, sig, sig_len);
        at += sig_len;
    }
    XBL_MPSD_MEMCPY(head + at, "\r\n\r\n", 4);
    *end = start + at + 4;
    *need = start + xbl_mpsd__token_overhead() + xbl_mpsd__token_room(auth_len, sig_len);
    /* a long authorization can push the head's end into the signature's
       area: wipe only what lies past the head */
    if ((char *)buf + *end > sig) sig = (char *)buf + *end;
    XBL_MPSD_MEMSET(sig, 0, (size_t)((char *)buf + buf_size - sig));
    return XBL_MPSD_OK;
}

static xbl_mpsd_result xbl_mpsd__add_tokens(xbl_mpsd_async *a)
{
    xbl_mpsd__auth_request q;
    size_t end = 0, need = 0;
    xbl_mpsd_result r;
    q.method = xbl_mpsd__method(a);
    q.path = a->path;
    q.body = a->buffer;
    q.body_len = a->body_len;
    r = xbl_mpsd__put_tokens(a->client, &q, a->buffer, a->buffer_size, a->body_len + a->fixed_len, &end, &need);
    if (r == XBL_MPSD_E_OUTOFMEMORY) a->needed = need + (a->capacity - a->buffer_size);
    if (r != XBL_MPSD_OK) return r;
    a->head_len = end - a->body_len;
    a->head_need = need;
    return XBL_MPSD_OK;
}

/* The tokens live only while they are on their way out (DESIGN.md §7). */
static void xbl_mpsd__wipe_tokens(xbl_mpsd_async *a)
{
    size_t start = a->body_len + a->fixed_len;
    XBL_MPSD_MEMSET(a->buffer + start, 0, a->buffer_size - start);
    a->head_len = a->fixed_len;
}

/* ===========================================================================
   HTTP/1.1 response parser
   Incremental: bytes arrive in a window [kept body][raw bytes]; complete
   lines are parsed and cut out, body bytes are kept in place (chunked bodies
   are therefore decoded in place). Whatever does not fit is still framed and
   counted, so the exchange completes and needed_bytes can be exact.
   =========================================================================== */

#define XBL_MPSD__HR_STATUS      0u
#define XBL_MPSD__HR_HEADER      1u
#define XBL_MPSD__HR_BODY_LENGTH 2u
#define XBL_MPSD__HR_BODY_CLOSE  3u
#define XBL_MPSD__HR_CHUNK_SIZE  4u
#define XBL_MPSD__HR_CHUNK_DATA  5u
#define XBL_MPSD__HR_CHUNK_END   6u
#define XBL_MPSD__HR_TRAILER     7u
#define XBL_MPSD__HR_DONE        8u

#define XBL_MPSD__HF_LENGTH      0x001u   /* Content-Length seen */
#define XBL_MPSD__HF_CHUNKED     0x002u
#define XBL_MPSD__HF_CLOSE       0x004u   /* the connection ends after this response */
#define XBL_MPSD__HF_KEEP_ALIVE  0x008u   /* Connection: keep-alive (HTTP/1.0) */
#define XBL_MPSD__HF_HTTP10      0x010u
#define XBL_MPSD__HF_OVERFLOW    0x020u   /* a body we need did not fit */
#define XBL_MPSD__HF_TEXT        0x040u   /* Content-Type text/plain */
#define XBL_MPSD__HF_HAS_TYPE    0x080u
#define XBL_MPSD__HF_LOCATION    0x100u   /* Content-Location kept */
#define XBL_MPSD__HF_LONG_LOC    0x200u   /* Content-Location did not fit */
#define XBL_MPSD__HF_WANT_BODY   0x400u   /* the body is a session to load */
#define XBL_MPSD__HF_IS_GET      0x800u
#define XBL_MPSD__HF_ANY_2XX     0x1000u  /* handles family: any 2xx body is the answer */

/* streaming token counter states */

static void xbl_mpsd__hr_init(xbl_mpsd__http_response *r, bool is_get)
{
    XBL_MPSD_MEMSET(r, 0, sizeof *r);
    if (is_get) r->flags = XBL_MPSD__HF_IS_GET;
}

static void xbl_mpsd__hr_need(xbl_mpsd__http_response *r, size_t n)
{
    if (n > r->need) r->need = n;
}

/* RFC 9110 §5.6.2 token characters: what a header name may contain. */
static bool xbl_mpsd__is_tchar(unsigned char c)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    size_t i;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    for (i = 0; i < sizeof extra - 1; i++)
        if ((unsigned char)extra[i] == c) return true;
    return false;
}

/* xbl_mpsd__days_from_civil comes from the response-parser section. */
static bool xbl_mpsd__two_digits(const char *s, unsigned max, unsigned *out)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return false;
    *out = (unsigned)(s[0] - '0') * 10u + (unsigned)(s[1] - '0');
    return *out <= max;
}

/* IMF-fixdate, RFC 9110 §5.6.7: "Sun, 06 Nov 1994 08:49:37 GMT". 0 when malformed. */
static time_t xbl_mpsd__parse_http_date(const char *s, size_t n)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    unsigned day, mon, hh, mm, ss, i;
    uint64_t year;
    int64_t t;
    if (n != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' '
        || s[19] != ':' || s[22] != ':' || XBL_MPSD_MEMCMP(s + 25, " GMT", 4) != 0) return 0;
    for (mon = 0, i = 0; i < 12; i++)
        if (XBL_MPSD_MEMCMP(s + 8, months + (size_t)3 * i, 3) == 0) mon = i + 1;
    if (mon == 0 || !xbl_mpsd__two_digits(s + 5, 31, &day) || day == 0
        || !xbl_mpsd__parse_dec(s + 12, 4, 9999, &year) || !xbl_mpsd__two_digits(s + 17, 23, &hh)
        || !xbl_mpsd__two_digits(s + 20, 59, &mm) || !xbl_mpsd__two_digits(s + 23, 60, &ss)) return 0;
    t = (int64_t)xbl_mpsd__days_from_civil((long)year, (long)mon, (long)day) * 86400 + (int64_t)(hh * 3600u + mm * 60u + ss);
    if ((time_t)-1 < 0 && sizeof(time_t) < 8 && (t > INT32_MAX || t < INT32_MIN)) return 0;
    return (time_t)t;
}

/* Does a comma-separated header value list the token (case-insensitive)? */
static bool xbl_mpsd__has_token(const char *v, size_t n, const char *token)
{
    size_t i = 0;
    while (i < n) {
        size_t b, e;
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
        b = i;
        while (i < n && v[i] != ',') i++;
        e = i;
        while (e > b && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
        if (e > b && xbl_mpsd__ieq_n(v + b, e - b, token)) return true;
    }
    return false;
}

static xbl_mpsd_result xbl_mpsd__hr_content_length(xbl_mpsd__http_response *r, const char *v, size_t n)
{
    uint64_t len;
    if (!xbl_mpsd__parse_dec(v, n, UINT64_MAX / 2, &len)) return XBL_MPSD_E_HTTP_PROTOCOL;
    /* repeated identical values are tolerated (RFC 9112 §6.3), differing ones are not */
    if ((r->flags & XBL_MPSD__HF_LENGTH) && r->remaining != len) return XBL_MPSD_E_HTTP_PROTOCOL;
    r->flags |= XBL_MPSD__HF_LENGTH;
    r->remaining = len;
    return XBL_MPSD_OK;
}

static void xbl_mpsd__hr_copy_value(char *dst, const char *v, size_t n)
{
    XBL_MPSD_MEMCPY(dst, v, n);
    dst[n] = '\0';
}

static xbl_mpsd_result xbl_mpsd__hr_transfer_encoding(xbl_mpsd__http_response *r, const char *v, size_t n)
{
    /* only "chunked" alone: any other coding would need a decoder we lack */
    if (!xbl_mpsd__ieq_n(v, n, "chunked") || (r->flags & XBL_MPSD__HF_CHUNKED)) return XBL_MPSD_E_HTTP_PROTOCOL;
    r->flags |= XBL_MPSD__HF_CHUNKED;
    return XBL_MPSD_OK;
}

/* A media type of text/plain, with or without parameters. */
static bool xbl_mpsd__is_text_plain(const char *v, size_t n)
{
    return n >= 10 && xbl_mpsd__ieq_n(v, 10, "text/plain") && (n == 10 || v[10] == ';' || v[10] == ' ');
}

static xbl_mpsd_result xbl_mpsd__hr_header(xbl_mpsd__http_response *r,
        const char *name, size_t name_len, const char *v, size_t n)
{
    if (xbl_mpsd__ieq_n(name, name_len, "content-length")) return xbl_mpsd__hr_content_length(r, v, n);
    if (xbl_mpsd__ieq_n(name, name_len, "transfer-encoding")) return xbl_mpsd__hr_transfer_encoding(r, v, n);
    if (xbl_mpsd__ieq_n(name, name_len, "connection")) {
        if (xbl_mpsd__has_token(v, n, "close")) r->flags |= XBL_MPSD__HF_CLOSE;
        if (xbl_mpsd__has_token(v, n, "keep-alive")) r->flags |= XBL_MPSD__HF_KEEP_ALIVE;
    } else if (xbl_mpsd__ieq_n(name, name_len, "etag")) {
        /* a cut ETag would make every later If-Match fail: refuse it */
        if (n >= XBL_MPSD__ETAG_CAP) return XBL_MPSD_E_HTTP_PROTOCOL;
        xbl_mpsd__hr_copy_value(r->etag, v, n);
        r->etag_len = n;
    } else if (xbl_mpsd__ieq_n(name, name_len, "content-location")) {
        if (n >= XBL_MPSD__LOCATION_CAP) r->flags |= XBL_MPSD__HF_LONG_LOC;
        else { xbl_mpsd__hr_copy_value(r->location, v, n); r->flags |= XBL_MPSD__HF_LOCATION; }
    } else if (xbl_mpsd__ieq_n(name, name_len, "date")) {
        r->date = xbl_mpsd__parse_http_date(v, n);
    } else if (xbl_mpsd__ieq_n(name, name_len, "retry-after")) {
        uint64_t s;
        r->retry_after = xbl_mpsd__parse_dec(v, n, UINT32_MAX, &s) ? (uint32_t)s : 0;
    } else if (xbl_mpsd__ieq_n(name, name_len, "content-type")) {
        r->flags |= XBL_MPSD__HF_HAS_TYPE;
        if (xbl_mpsd__is_text_plain(v, n)) r->flags |= XBL_MPSD__HF_TEXT;
    }
    return XBL_MPSD_OK;
}

/* "Name: value" with optional whitespace around the value. Whitespace before
   the colon and folded lines are refused (RFC 9112 §5.1, §5.2): both are
   request-smuggling tricks. */
static bool xbl_mpsd__split_header_line(const char *line, size_t n, size_t *name_len, size_t *value_at,
                                        size_t *value_len)
{
    size_t colon = 0, b, e, i;
    while (colon < n && line[colon] != ':') colon++;
    if (colon == 0 || colon == n) return false;
    for (i = 0; i < colon; i++)
        if (!xbl_mpsd__is_tchar((unsigned char)line[i])) return false;
    b = colon + 1;
    e = n;
    while (b < e && (line[b] == ' ' || line[b] == '\t')) b++;
    while (e > b && (line[e - 1] == ' ' || line[e - 1] == '\t')) e--;
    for (i = b; i < e; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
    }
    *name_len = colon;
    *value_at = b;
    *value_len = e - b;
    return true;
}

static xbl_mpsd_result xbl_mpsd__hr_header_line(xbl_mpsd__http_response *r, const char *line, size_t n)
{
    size_t name_len, at, len;
    if (!xbl_mpsd__split_header_line(line, n, &name_len, &at, &len)) return XBL_MPSD_E_HTTP_PROTOCOL;
    return xbl_mpsd__hr_header(r, line, name_len, line + at, len);
}

/* "HTTP/1.x 200[ reason]": only HTTP/1.x is spoken here. *minor is x. */
static bool xbl_mpsd__parse_status_line(const char *line, size_t n, uint32_t *status, unsigned *minor)
{
    uint64_t code;
    if (n < 12 || XBL_MPSD_MEMCMP(line, "HTTP/1.", 7) != 0 || line[7] < '0' || line[7] > '9'
        || line[8] != ' ' || (n > 12 && line[12] != ' ')
        || !xbl_mpsd__parse_dec(line + 9, 3, 999, &code) || code < 100) return false;
    *status = (uint32_t)code;
    *minor = (unsigned)(line[7] - '0');
    return true;
}

static xbl_mpsd_result xbl_mpsd__hr_status_line(xbl_mpsd__http_response *r, const char *line, size_t n)
{
    unsigned minor;
    if (!xbl_mpsd__parse_status_line(line, n, &r->status, &minor)) return XBL_MPSD_E_HTTP_PROTOCOL;
    if (minor == 0) r->flags |= XBL_MPSD__HF_HTTP10;
    return XBL_MPSD_OK;
}

/* Does this response carry a session document the result call will load? */
static bool xbl_mpsd__hr_wants_body(const xbl_mpsd__http_response *r)
{
    if (r->flags & XBL_MPSD__HF_ANY_2XX) return r->status >= 200 && r->status <= 299;
    if (r->flags & XBL_MPSD__HF_IS_GET) return r->status == 200;
    return r->status == 200 || r->status == 201 || r->status == 412;
}

/* The blank line after the headers: choose how the body is framed. */
static xbl_mpsd_result xbl_mpsd__hr_headers_done(xbl_mpsd__http_response *r)
{
    uint32_t keep = r->flags & (XBL_MPSD__HF_IS_GET | XBL_MPSD__HF_ANY_2XX);
    if (r->status < 200) {
        /* 1xx (100 Continue and friends) is interim: the real response follows */
        if (r->status == 101 || (r->flags & (XBL_MPSD__HF_LENGTH | XBL_MPSD__HF_CHUNKED))) return XBL_MPSD_E_HTTP_PROTOCOL;
        r->flags = keep;
        r->status = 0;
        r->header_bytes = 0;
        r->etag_len = 0; r->etag[0] = '\0';
        r->location[0] = '\0';
        r->date = 0; r->retry_after = 0;
        r->state = XBL_MPSD__HR_STATUS;
        return XBL_MPSD_OK;
    }
    if ((r->flags & XBL_MPSD__HF_LENGTH) && (r->flags & XBL_MPSD__HF_CHUNKED)) return XBL_MPSD_E_HTTP_PROTOCOL;
    if ((r->flags & XBL_MPSD__HF_HTTP10) && !(r->flags & XBL_MPSD__HF_KEEP_ALIVE)) r->flags |= XBL_MPSD__HF_CLOSE;
    if (xbl_mpsd__hr_wants_body(r)) r->flags |= XBL_MPSD__HF_WANT_BODY;
    if (r->status == 204 || r->status == 304) { r->remaining = 0; r->state = XBL_MPSD__HR_DONE; }
    else if (r->flags & XBL_MPSD__HF_CHUNKED) r->state = XBL_MPSD__HR_CHUNK_SIZE;
    else if (r->flags & XBL_MPSD__HF_LENGTH) r->state = r->remaining ? XBL_MPSD__HR_BODY_LENGTH : XBL_MPSD__HR_DONE;
    else {
        r->state = XBL_MPSD__HR_BODY_CLOSE;
        r->flags |= XBL_MPSD__HF_CLOSE;
    }
    return XBL_MPSD_OK;
}

/* "1a2b[;ext]": hex digits, at most 15 of them so the size never overflows. */
static xbl_mpsd_result xbl_mpsd__hr_chunk_size(xbl_mpsd__http_response *r, const char *line, size_t n)
{
    uint64_t v = 0;
    size_t i = 0;
    int d;
    while (i < n && (d = xbl_mpsd__hex((unsigned char)line[i])) >= 0) {
        if (i >= 15) return XBL_MPSD_E_HTTP_PROTOCOL;
        v = (v << 4) | (uint64_t)d;
        i++;
    }
    if (i == 0) return XBL_MPSD_E_HTTP_PROTOCOL;
    while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
    if (i < n && line[i] != ';') return XBL_MPSD_E_HTTP_PROTOCOL;
    r->remaining = v;
    r->state = v ? XBL_MPSD__HR_CHUNK_DATA : XBL_MPSD__HR_TRAILER;
    return XBL_MPSD_OK;
}

static xbl_mpsd_result xbl_mpsd__hr_line(xbl_mpsd__http_response *r, const char *line, size_t n)
{
    switch (r->state) {
    case XBL_MPSD__HR_STATUS:
        r->state = XBL_MPSD__HR_HEADER;
        return xbl_mpsd__hr_status_line(r, line, n);
    case XBL_MPSD__HR_HEADER:
        if (n == 0) return xbl_mpsd__hr_headers_done(r);
        if (line[0] == ' ' || line[0] == '\t') return XBL_MPSD_E_HTTP_PROTOCOL;   /* obs-fold */
        return xbl_mpsd__hr_header_line(r, line, n);
    case XBL_MPSD__HR_CHUNK_SIZE:
        return xbl_mpsd__hr_chunk_size(r, line, n);
    case XBL_MPSD__HR_CHUNK_END:
        if (n != 0) return XBL_MPSD_E_HTTP_PROTOCOL;
        r->state = XBL_MPSD__HR_CHUNK_SIZE;
        return XBL_MPSD_OK;
    default:   /* trailer fields are read and ignored until the blank line */
        if (n == 0) r->state = XBL_MPSD__HR_DONE;
        return XBL_MPSD_OK;
    }
}

/* Takes n decoded body bytes from the front of the raw area. A session body
   is kept while it fits; an error body only as far as the error text goes. */
static void xbl_mpsd__hr_body(xbl_mpsd__http_response *r, unsigned char *win, size_t n)
{
    unsigned char *p = win + r->body_len;
    size_t limit = (r->flags & XBL_MPSD__HF_WANT_BODY) ? SIZE_MAX : XBL_MPSD__ERROR_TEXT_CAP - 1;
    size_t keep = 0;
    if (!(r->flags & XBL_MPSD__HF_OVERFLOW) && r->body_len < limit)
        keep = n < limit - r->body_len ? n : limit - r->body_len;
    if (keep < n) XBL_MPSD_MEMMOVE(p + keep, p + n, r->raw_len - n);
    r->body_len += keep;
    r->body_total += n;
    r->raw_len -= n;
    r->scanned = 0;
}

/* Removes n framing bytes from the front of the raw area. */
static void xbl_mpsd__hr_drop(xbl_mpsd__http_response *r, unsigned char *win, size_t n)
{
    unsigned char *p = win + r->body_len;
    XBL_MPSD_MEMMOVE(p, p + n, r->raw_len - n);
    r->raw_len -= n;
    r->scanned = 0;
}

static bool xbl_mpsd__hr_in_headers(const xbl_mpsd__http_response *r)
{
    return r->state == XBL_MPSD__HR_STATUS || r->state == XBL_MPSD__HR_HEADER;
}

/* Line limits: the header block as a whole, and each chunk or trailer line. */
static bool xbl_mpsd__hr_line_too_long(const xbl_mpsd__http_response *r, size_t line_bytes)
{
    if (xbl_mpsd__hr_in_headers(r)) return r->header_bytes + line_bytes > XBL_MPSD_HTTP_MAX_HEADER_BYTES;
    return line_bytes > XBL_MPSD_HTTP_MAX_CHUNK_LINE;
}

/* Finds the next complete line in the raw area. PENDING when it has not all
   arrived; lines end with CRLF only, and a CR, LF or NUL anywhere else is
   refused (bare CR/LF tricks split headers differently in different parsers). */
static xbl_mpsd_result xbl_mpsd__find_crlf(const unsigned char *p, size_t from, size_t n, size_t *len)
{
    size_t i;
    for (i = from; i < n; i++) {
        unsigned char c = p[i];
        if (c == '\n') {
            if (i == 0 || p[i - 1] != '\r') return XBL_MPSD_E_HTTP_PROTOCOL;
            *len = i + 1;
            return XBL_MPSD_OK;
        }
        if (i > 0 && p[i - 1] == '\r') return XBL_MPSD_E_HTTP_PROTOCOL;
        if (c == 0) return XBL_MPSD_E_HTTP_PROTOCOL;
    }
    return XBL_MPSD_PENDING;
}

static xbl_mpsd_result xbl_mpsd__hr_find_line(xbl_mpsd__http_response *r, const unsigned char *p, size_t *len)
{
    xbl_mpsd_result res = xbl_mpsd__find_crlf(p, r->scanned, r->raw_len, len);
    if (res != XBL_MPSD_PENDING) return res;
    r->scanned = r->raw_len;
    /* the line is at least one byte longer than what has come: refusing it
       now means a window of the limit's size always decides, so a
       needed_bytes answer never asks for the window it already had */
    if (xbl_mpsd__hr_line_too_long(r, r->raw_len + 1)) return XBL_MPSD_E_HTTP_PROTOCOL;
    return XBL_MPSD_PENDING;
}

static xbl_mpsd_result xbl_mpsd__hr_take_line(xbl_mpsd__http_response *r, unsigned char *win)
{
    unsigned char *p = win + r->body_len;
    size_t len = 0;
    xbl_mpsd_result res = xbl_mpsd__hr_find_line(r, p, &len);
    if (res != XBL_MPSD_OK) return res;
    if (xbl_mpsd__hr_line_too_long(r, len)) return XBL_MPSD_E_HTTP_PROTOCOL;
    if (xbl_mpsd__hr_in_headers(r)) {
        r->header_bytes += len;
        xbl_mpsd__hr_need(r, len);
    } else {
        xbl_mpsd__hr_need(r, r->body_total + len);
    }
    res = xbl_mpsd__hr_line(r, (const char *)p, len - 2);
    xbl_mpsd__hr_drop(r, win, len);
    return res;
}

static void xbl_mpsd__hr_body_step(xbl_mpsd__http_response *r, unsigned char *win)
{
    size_t n = r->raw_len;
    if (r->state != XBL_MPSD__HR_BODY_CLOSE && r->remaining < n) n = (size_t)r->remaining;
    xbl_mpsd__hr_body(r, win, n);
    if (r->state == XBL_MPSD__HR_BODY_CLOSE) return;
    r->remaining -= n;
    if (r->remaining == 0)
        r->state = r->state == XBL_MPSD__HR_CHUNK_DATA ? XBL_MPSD__HR_CHUNK_END : XBL_MPSD__HR_DONE;
}

/* The window is full and the parser needs more: stop keeping the body (the
   response is still read to the end, to size needed_bytes and keep the
   connection usable). A line that fills an empty window cannot be parsed. */
static xbl_mpsd_result xbl_mpsd__hr_full(xbl_mpsd__http_response *r, unsigned char *win)
{
    if (r->body_len == 0) {
        xbl_mpsd__hr_need(r, xbl_mpsd__hr_in_headers(r) ? XBL_MPSD_HTTP_MAX_HEADER_BYTES
                                                       : r->body_total + XBL_MPSD_HTTP_MAX_CHUNK_LINE);
        return XBL_MPSD_E_OUTOFMEMORY;
    }
    XBL_MPSD_MEMMOVE(win, win + r->body_len, r->raw_len);
    r->body_len = 0;
    r->flags |= XBL_MPSD__HF_OVERFLOW;
    return XBL_MPSD_PENDING;
}

/* Parses what is in the raw area. PENDING: call again when more bytes were
   appended at win + body_len + raw_len (there is then room for at least one);
   OK: the response is complete; else the error that ends the exchange. */
static xbl_mpsd_result xbl_mpsd__hr_feed(xbl_mpsd__http_response *r, unsigned char *win, size_t cap)
{
    for (;;) {
        xbl_mpsd_result res = XBL_MPSD_OK;
        switch (r->state) {
        case XBL_MPSD__HR_DONE:
            if (r->raw_len > 0) r->flags |= XBL_MPSD__HF_CLOSE;   /* stray bytes: connection unusable */
            return XBL_MPSD_OK;
        case XBL_MPSD__HR_BODY_LENGTH: case XBL_MPSD__HR_BODY_CLOSE: case XBL_MPSD__HR_CHUNK_DATA:
            if (r->raw_len == 0) res = XBL_MPSD_PENDING;
            else xbl_mpsd__hr_body_step(r, win);
            if (r->state == XBL_MPSD__HR_BODY_CLOSE) xbl_mpsd__hr_need(r, r->body_total + 1);
            else xbl_mpsd__hr_need(r, r->body_total);
            break;
        default:
            res = xbl_mpsd__hr_take_line(r, win);
            break;
        }
        if (res == XBL_MPSD_PENDING) {
            if (r->body_len + r->raw_len < cap) return XBL_MPSD_PENDING;
            res = xbl_mpsd__hr_full(r, win);
            if (res == XBL_MPSD_PENDING) continue;
        }
        if (res != XBL_MPSD_OK) return res;
    }
}

/* The peer closed: that completes a close-delimited body and nothing else. */
static xbl_mpsd_result xbl_mpsd__hr_eof(xbl_mpsd__http_response *r)
{
    if (r->state != XBL_MPSD__HR_BODY_CLOSE) return XBL_MPSD_E_CONNECTION_CLOSED;
    r->state = XBL_MPSD__HR_DONE;
    return XBL_MPSD_OK;
}

/* ===========================================================================
   Trace hook: the bytes of each exchange, credentials masked
   =========================================================================== */

#ifndef XBL_MPSD_NO_TRACE
static void xbl_mpsd__trace(const xbl_mpsd_async *a, xbl_mpsd_trace_kind kind, const void *data, size_t len)
{
    const xbl_mpsd_client_config *cfg = &a->client->config;
    if (len > 0) cfg->trace(cfg->trace_user, kind, (const uint8_t *)data, len);
}

/* The head as sent, but the token values: the fixed part, then
   "Authorization: ***" and, when there is one, "\r\nSignature: ***". The
   tokens hold no CR or LF, so the first CR after the Authorization value
   starts the Signature line or ends the head. */
static void xbl_mpsd__trace_request(const xbl_mpsd_async *a)
{
    const char *tok = (const char *)a->buffer + a->body_len + a->fixed_len;
    size_t n = a->head_len - a->fixed_len, i = sizeof xbl_mpsd__auth_prefix - 1;
    if (a->client->config.trace == NULL) return;
    xbl_mpsd__trace(a, XBL_MPSD_TRACE_REQUEST_HEAD, a->buffer + a->body_len, a->fixed_len + i);
    xbl_mpsd__trace(a, XBL_MPSD_TRACE_REQUEST_HEAD, "***", 3);
    /* the value ends at CR: "\r\n\r\n" ends the head, else a Signature line follows */
    while (i < n && tok[i] != '\r') i++;
    if (i + 2 < n && tok[i + 2] != '\r') {
        xbl_mpsd__trace(a, XBL_MPSD_TRACE_REQUEST_HEAD, xbl_mpsd__sig_prefix, sizeof xbl_mpsd__sig_prefix - 1);
        xbl_mpsd__trace(a, XBL_MPSD_TRACE_REQUEST_HEAD, "***", 3);
    }
    xbl_mpsd__trace(a, XBL_MPSD_TRACE_REQUEST_HEAD, "\r\n\r\n", 4);
    xbl_mpsd__trace(a, XBL_MPSD_TRACE_REQUEST_BODY, a->buffer, a->body_len);
}

static void xbl_mpsd__trace_response(const xbl_mpsd_async *a, const unsigned char *data, size_t len)
{
    if (a->client->config.trace != NULL) xbl_mpsd__trace(a, XBL_MPSD_TRACE_RESPONSE, data, len);
}
#else
#define xbl_mpsd__trace_request(a) ((void)(a))
#define xbl_mpsd__trace_response(a, data, len) ((void)(a), (void)(data), (void)(len))
#endif

/* ===========================================================================
   Client and async state machine
   AUTH (token callback, may stay PENDING) -> CONNECT -> SEND (head, then
   body; partial sends) -> RECV (parse as bytes come) -> DONE. On a kept
   connection CONNECT is the port's liveness check: connect to the same
   host and port answers OK while the idle connection is alive, and starts
   a fresh one (PENDING) when the peer dropped it, so a connection the
   server closed while idle costs no send. A kept connection that dies
   after that check, before any response byte, goes back to AUTH once, on
   a new connection, when the request may be repeated (GET, PUT, DELETE and
   the POSTs that only query); a POST that creates a handle is never sent
   twice, and neither retried after a transport failure.
   =========================================================================== */

static bool xbl_mpsd__is_write(const xbl_mpsd_async *a)
{
    return a->kind == XBL_MPSD__KIND_WRITE || a->kind == XBL_MPSD__KIND_WRITE_BY_HANDLE;
}

/* Operations whose outcome is the final poll value: no result call. */
static bool xbl_mpsd__without_result_call(uint32_t kind)
{
    return kind == XBL_MPSD__KIND_SET_ACTIVITY || kind == XBL_MPSD__KIND_CLEAR_ACTIVITY
        || kind == XBL_MPSD__KIND_SEARCH_DELETE;
}

#ifndef XBL_MPSD_NO_HANDLES
/* In the handles chapter: the 2xx check and what follows an exchange. */
static xbl_mpsd_result xbl_mpsd__handles_outcome(xbl_mpsd_async *a);
static xbl_mpsd_result xbl_mpsd__handles_next(xbl_mpsd_async *a, xbl_mpsd_result r);
#endif

/* An operation of the handles family (not a session read or write). */
static bool xbl_mpsd__is_handles(const xbl_mpsd_async *a)
{
    return a->kind >= XBL_MPSD__KIND_SET_ACTIVITY;
}

/* A fresh response parser for the exchange about to start. */
static void xbl_mpsd__hr_reset(xbl_mpsd_async *a)
{
    xbl_mpsd__hr_init(&a->response, xbl_mpsd__is_handles(a) ? a->method == XBL_MPSD__M_GET : !xbl_mpsd__is_write(a));
    if (xbl_mpsd__is_handles(a)) a->response.flags |= XBL_MPSD__HF_ANY_2XX;
}

static size_t xbl_mpsd__window_start(const xbl_mpsd_async *a)
{
    return a->body_len + a->fixed_len;
}

static void xbl_mpsd__drop_connection(xbl_mpsd_client *c)
{
    c->port.close(c->port.ctx);
    c->connected = false;
}

/* Wrap-safe: unsigned difference is right for any timeout below 2^32 ms. */
static bool xbl_mpsd__ms_passed(uint32_t now, uint32_t start, uint32_t ms)
{
    return (uint32_t)(now - start) >= ms;
}

static bool xbl_mpsd__deadline_passed(const xbl_mpsd_async *a)
{
    const xbl_mpsd_client *c = a->client;
    return xbl_mpsd__ms_passed(c->port.now_ms(c->port.ctx), a->start_ms, c->config.timeout_ms);
}

/* Ends the operation. A failure mid-exchange leaves the connection out of
   step with the server, so it is dropped; a fully framed response (HTTP
   error, body too big) leaves it usable, and a failure before anything was
   sent leaves a kept connection alone. */
static void xbl_mpsd__set_needed(xbl_mpsd_async *a, size_t window_need)
{
    size_t n = xbl_mpsd__window_start(a) + window_need;
    /* plus what the operation keeps at the buffer's end (invites) */
    a->needed = (n > a->head_need ? n : a->head_need) + (a->capacity - a->buffer_size);
}

/* An exchange is over with r: the connection and the tokens follow. */
static void xbl_mpsd__close_exchange(xbl_mpsd_async *a, xbl_mpsd_result r)
{
    if (r < 0 && a->state != XBL_MPSD__OP_AUTH && a->response.state != XBL_MPSD__HR_DONE)
        xbl_mpsd__drop_connection(a->client);
    if (a->state == XBL_MPSD__OP_AUTH || a->state == XBL_MPSD__OP_SEND) xbl_mpsd__wipe_tokens(a);
}

static xbl_mpsd_result xbl_mpsd__end(xbl_mpsd_async *a, xbl_mpsd_result r)
{
    xbl_mpsd_client *c = a->client;
    xbl_mpsd__close_exchange(a, r);
    if (c->active == a) c->active = NULL;
    a->state = XBL_MPSD__OP_DONE;
    a->result = r;
    return r;
}

static void xbl_mpsd__keep_error_text(xbl_mpsd_async *a)
{
    const xbl_mpsd__http_response *r = &a->response;
    const char *body = (const char *)a->buffer + xbl_mpsd__window_start(a);
    size_t n = r->body_len < XBL_MPSD__ERROR_TEXT_CAP - 1 ? r->body_len : XBL_MPSD__ERROR_TEXT_CAP - 1;
    if ((r->flags & XBL_MPSD__HF_HAS_TYPE) && !(r->flags & XBL_MPSD__HF_TEXT)) n = 0;
    n = xbl_mpsd__strnlen(body, n);
    /* the reason is one line: the service (and the emulator) end it with a newline */
    while (n > 0 && (body[n - 1] == '\n' || body[n - 1] == '\r' || body[n - 1] == ' ' || body[n - 1] == '\t')) n--;
    XBL_MPSD_MEMCPY(a->error_text, body, n);
    a->error_text[n] = '\0';
}

/* The reader's scratch space: the rest of the buffer after the kept body. */
static unsigned char *xbl_mpsd__scratch(const xbl_mpsd_async *a, size_t *cap)
{
    size_t at = xbl_mpsd__window_start(a) + a->response.body_len;
    *cap = a->buffer_size - at;
    return a->buffer + at;
}

/* Scratch bytes the reader needs when its space starts at address `at`:
   the padding that aligns it there, then the reader itself. */
static size_t xbl_mpsd__read_scratch_at(uintptr_t at)
{
    return (size_t)((XBL_MPSD__ALIGN - (at & (XBL_MPSD__ALIGN - 1))) & (XBL_MPSD__ALIGN - 1)) + sizeof(xbl_mpsd__rd);
}

/* The body is a session to load: it must have fit, and so must the
   reader's scratch space right after it (its padding counted from where
   the body would end in this buffer, so the figure is exact). */
static xbl_mpsd_result xbl_mpsd__check_body(xbl_mpsd_async *a)
{
    const xbl_mpsd__http_response *r = &a->response;
    size_t cap, scratch;
    uintptr_t end = (uintptr_t)a->buffer + xbl_mpsd__window_start(a) + (uintptr_t)r->body_total;
    scratch = xbl_mpsd__read_scratch_at(end);
    xbl_mpsd__scratch(a, &cap);
    if ((r->flags & XBL_MPSD__HF_OVERFLOW) || cap < scratch) {
        size_t want = r->body_total > SIZE_MAX - scratch ? SIZE_MAX : r->body_total + scratch;
        xbl_mpsd__set_needed(a, want > r->need ? want : r->need);
        return XBL_MPSD_E_OUTOFMEMORY;
    }
    return XBL_MPSD_OK;
}

/* A by-handle exchange learns the session reference from Content-Location. */
static bool xbl_mpsd__location_reference(xbl_mpsd_async *a)
{
    const xbl_mpsd__http_response *r = &a->response;
    if ((r->flags & (XBL_MPSD__HF_LOCATION | XBL_MPSD__HF_LONG_LOC)) != XBL_MPSD__HF_LOCATION) return false;
    return xbl_mpsd_session_reference_parse_from_uri_path(r->location, &a->reference) == XBL_MPSD_OK;
}

/* API.md §6 on a complete response, as far as it can be told without `out`. */
static xbl_mpsd_result xbl_mpsd__outcome(xbl_mpsd_async *a)
{
    const xbl_mpsd__http_response *r = &a->response;
    bool body = r->body_total > 0, located;
    xbl_mpsd_result res;
    if (!(r->flags & XBL_MPSD__HF_WANT_BODY)) {
        if (r->status == 204) return xbl_mpsd__is_write(a) ? XBL_MPSD_OK : XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND;
        xbl_mpsd__keep_error_text(a);
        return XBL_MPSD_E_HTTP_STATUS(r->status);
    }
    if (!body) return xbl_mpsd__is_write(a) ? XBL_MPSD_OK : XBL_MPSD_E_INVALID_JSON_STRING;
    /* learned before the size check: an applied write that does not fit
       still names the session it made */
    located = true;
    if (a->kind == XBL_MPSD__KIND_GET_BY_HANDLE
        || (a->kind == XBL_MPSD__KIND_WRITE_BY_HANDLE && a->reference.scid[0] == '\0'))
        located = xbl_mpsd__location_reference(a);
    res = xbl_mpsd__check_body(a);
    if (res != XBL_MPSD_OK) return res;
    if (!located) return a->kind == XBL_MPSD__KIND_GET_BY_HANDLE ? XBL_MPSD_E_INVALIDARG : XBL_MPSD_E_FAIL;
    return XBL_MPSD_OK;
}

/* The exchange ended with r (no retry follows): the operation ends, or a
   multi-exchange operation of the handles family goes on with its next. */
static xbl_mpsd_result xbl_mpsd__exchange_over(xbl_mpsd_async *a, xbl_mpsd_result r)
{
#ifndef XBL_MPSD_NO_HANDLES
    if (xbl_mpsd__is_handles(a)) return xbl_mpsd__handles_next(a, r);
#endif
    return xbl_mpsd__end(a, r);
}

/* Whether the request may go out again after the service may have acted on
   it (RFC 9110 section 9.2.2): GET, PUT and DELETE are idempotent, and so are
   the POSTs that only query. A POST that creates (an invite, a transfer or
   search handle, an activity) is sent once: a second one could make a
   second invite. */
static bool xbl_mpsd__replayable(const xbl_mpsd_async *a)
{
    uint32_t k = a->kind;
    return a->method != XBL_MPSD__M_POST || k == XBL_MPSD__KIND_ACTIVITIES || k == XBL_MPSD__KIND_ACTIVITIES_PROPS
        || k == XBL_MPSD__KIND_CLEAR_ACTIVITY || k == XBL_MPSD__KIND_SEARCH_QUERY || k == XBL_MPSD__KIND_QUERY_SESSIONS;
}

/* Whether the retry policy covers failure r: a 429 or 503, or a transport
   failure before any response byte (the service cannot have answered). */
static bool xbl_mpsd__retryable(const xbl_mpsd_async *a, xbl_mpsd_result r)
{
    const xbl_mpsd_retry_policy *p = &a->client->config.retry;
    if (p->max_attempts <= 1 || a->attempts + 1 >= p->max_attempts) return false;
    if (r == XBL_MPSD_E_HTTP_STATUS(429) || r == XBL_MPSD_E_HTTP_STATUS(503)) return true;
    if ((a->flags & XBL_MPSD__AF_GOT_BYTE) || !xbl_mpsd__replayable(a)) return false;
    return r == XBL_MPSD_E_CONNECT || r == XBL_MPSD_E_IO || r == XBL_MPSD_E_CONNECTION_CLOSED;
}

/* The wait before the next retry: exponential, capped, jittered, and never
   shorter than the service's Retry-After. */
static uint32_t xbl_mpsd__backoff_ms(const xbl_mpsd_async *a)
{
    const xbl_mpsd_retry_policy *p = &a->client->config.retry;
    uint32_t cap = p->max_delay_ms ? p->max_delay_ms : 30000u, d = p->base_delay_ms, i;
    uint32_t floor_ms = a->response.retry_after > 4294967u ? UINT32_MAX : a->response.retry_after * 1000u;
    for (i = 0; i < a->attempts && d < cap; i++) d = d > UINT32_MAX / 2 ? UINT32_MAX : d * 2;
    if (d > cap) d = cap;
    if (p->random != NULL) d = d == UINT32_MAX ? p->random(p->random_user) : p->random(p->random_user) % (d + 1);
    return d > floor_ms ? d : floor_ms;
}

/* Ends the operation with r, or, when the retry policy covers r and the
   wait fits in the operation's time, waits to send it again. */
static xbl_mpsd_result xbl_mpsd__end_or_retry(xbl_mpsd_async *a, xbl_mpsd_result r)
{
    xbl_mpsd_client *c = a->client;
    uint32_t now, wait;
    if (r >= 0 || !xbl_mpsd__retryable(a, r)) return xbl_mpsd__exchange_over(a, r);
    wait = xbl_mpsd__backoff_ms(a);
    now = c->port.now_ms(c->port.ctx);
    if ((uint64_t)(uint32_t)(now - a->start_ms) + wait >= c->config.timeout_ms) return xbl_mpsd__exchange_over(a, r);
    if (a->response.state != XBL_MPSD__HR_DONE) xbl_mpsd__drop_connection(c);
    xbl_mpsd__wipe_tokens(a);
    a->attempts++;
    a->backoff_start_ms = now;
    a->backoff_ms = wait;
    a->state = XBL_MPSD__OP_BACKOFF;
    return XBL_MPSD_PENDING;
}

static xbl_mpsd_result xbl_mpsd__step_backoff(xbl_mpsd_async *a)
{
    const xbl_mpsd_client *c = a->client;
    if ((uint32_t)(c->port.now_ms(c->port.ctx) - a->backoff_start_ms) < a->backoff_ms) return XBL_MPSD_PENDING;
    a->flags &= ~(XBL_MPSD__AF_REUSED | XBL_MPSD__AF_RESENT | XBL_MPSD__AF_GOT_BYTE | XBL_MPSD__AF_TRACED);
    a->resend_cause = XBL_MPSD_OK;
    a->sent = 0;
    a->error_text[0] = '\0';
    xbl_mpsd__hr_reset(a);
    a->state = XBL_MPSD__OP_AUTH;
    return XBL_MPSD__CONTINUE;
}

static xbl_mpsd_result xbl_mpsd__complete(xbl_mpsd_async *a)
{
    xbl_mpsd_client *c = a->client;
    xbl_mpsd_result res;
#ifndef XBL_MPSD_NO_HANDLES
    if (xbl_mpsd__is_handles(a)) res = xbl_mpsd__handles_outcome(a);
    else
#endif
    res = xbl_mpsd__outcome(a);
    if (a->response.flags & XBL_MPSD__HF_CLOSE) xbl_mpsd__drop_connection(c);
    return xbl_mpsd__end_or_retry(a, res);
}

/* Back to AUTH on a fresh connection: the kept one was dead before any
   response byte, so the server cannot have acted on the request... or if it
   did, PUT is idempotent (DESIGN.md §5). Only ever once. */
static xbl_mpsd_result xbl_mpsd__resend_or(xbl_mpsd_async *a, xbl_mpsd_result r)
{
    if (!xbl_mpsd__replayable(a)) return r;
    if ((a->flags & (XBL_MPSD__AF_REUSED | XBL_MPSD__AF_RESENT | XBL_MPSD__AF_GOT_BYTE)) != XBL_MPSD__AF_REUSED)
        return r;
    xbl_mpsd__drop_connection(a->client);
    xbl_mpsd__wipe_tokens(a);
    a->resend_cause = r;
    a->flags = (a->flags & ~(XBL_MPSD__AF_REUSED | XBL_MPSD__AF_TRACED)) | XBL_MPSD__AF_RESENT;
    a->sent = 0;
    xbl_mpsd__hr_reset(a);
    a->state = XBL_MPSD__OP_AUTH;
    return XBL_MPSD__CONTINUE;
}

static xbl_mpsd_result xbl_mpsd__step_auth(xbl_mpsd_async *a)
{
    xbl_mpsd_result r = xbl_mpsd__add_tokens(a);
    if (r != XBL_MPSD_OK) return r;
    if (a->client->connected) a->flags |= XBL_MPSD__AF_REUSED;
    a->state = XBL_MPSD__OP_CONNECT;
    return XBL_MPSD__CONTINUE;
}

static xbl_mpsd_result xbl_mpsd__step_connect(xbl_mpsd_async *a)
{
    xbl_mpsd_client *c = a->client;
    xbl_mpsd_result r = c->port.connect(c->port.ctx, c->config.host, c->config.port_number);
    if (r == XBL_MPSD_PENDING || r == XBL_MPSD_E_WOULD_BLOCK) {
        a->flags &= ~XBL_MPSD__AF_REUSED;   /* the kept one was dead: a fresh connection */
        c->connected = true;
        return XBL_MPSD_PENDING;
    }
    /* the resend of a request whose kept connection died: that death is
       what happened to the request, not this connect */
    if (r != XBL_MPSD_OK && a->resend_cause < 0) return a->resend_cause;
    if (r != XBL_MPSD_OK) return r < 0 ? r : XBL_MPSD_E_CONNECT;
    c->connected = true;
    a->state = XBL_MPSD__OP_SEND;
    return XBL_MPSD__CONTINUE;
}

static xbl_mpsd_result xbl_mpsd__step_send(xbl_mpsd_async *a)
{
    xbl_mpsd_client *c = a->client;
    const uint8_t *data;
    size_t len, head_end = a->body_len + a->head_len;
    int32_t n;
    if (!(a->flags & XBL_MPSD__AF_TRACED)) { a->flags |= XBL_MPSD__AF_TRACED; xbl_mpsd__trace_request(a); }
    /* One send when the body fits again after the head (the response window
       takes that room later; the body itself stays at buffer[0] for a resend) */
    bool one = a->body_len > 0 && a->buffer_size - head_end >= a->body_len;
    if (one) {
        if (a->sent == 0) XBL_MPSD_MEMCPY(a->buffer + head_end, a->buffer, a->body_len);
        data = a->buffer + a->body_len + a->sent;
        len = a->head_len + a->body_len - a->sent;
    } else if (a->sent < a->head_len) {
        data = a->buffer + a->body_len + a->sent;
        len = a->head_len - a->sent;
    } else {
        data = a->buffer + (a->sent - a->head_len);
        len = a->head_len + a->body_len - a->sent;
    }
    n = c->port.send(c->port.ctx, data, len);
    if (n == XBL_MPSD_E_WOULD_BLOCK) return XBL_MPSD_PENDING;
    if (n < 0) return xbl_mpsd__resend_or(a, n);
    if (n == 0 || (size_t)n > len) return XBL_MPSD_E_IO;   /* the port broke its contract */
    a->sent += (size_t)n;
    if (a->sent == a->head_len + a->body_len) {
        xbl_mpsd__wipe_tokens(a);
        a->state = XBL_MPSD__OP_RECV;
        /* the answer takes a round trip: let the caller wait for the socket
           rather than spend a receive that can only say "not yet" */
        return XBL_MPSD_PENDING;
    }
    return XBL_MPSD__CONTINUE;
}

static xbl_mpsd_result xbl_mpsd__step_recv(xbl_mpsd_async *a)
{
    xbl_mpsd_client *c = a->client;
    xbl_mpsd__http_response *r = &a->response;
    unsigned char *win = a->buffer + xbl_mpsd__window_start(a);
    size_t cap = a->buffer_size - xbl_mpsd__window_start(a);
    size_t used = r->body_len + r->raw_len;
    int32_t n;
    xbl_mpsd_result res;
    if (used >= cap) {   /* only a window too small for even one byte */
        xbl_mpsd__set_needed(a, XBL_MPSD_HTTP_MAX_HEADER_BYTES);
        return XBL_MPSD_E_OUTOFMEMORY;
    }
    n = c->port.recv(c->port.ctx, win + used, cap - used);
    if (n == XBL_MPSD_E_WOULD_BLOCK) return XBL_MPSD_PENDING;
    if (n == XBL_MPSD_E_EOF) {
        res = xbl_mpsd__resend_or(a, XBL_MPSD_E_CONNECTION_CLOSED);
        if (res != XBL_MPSD_E_CONNECTION_CLOSED) return res;
        if (xbl_mpsd__hr_eof(r) != XBL_MPSD_OK) return XBL_MPSD_E_CONNECTION_CLOSED;
        return xbl_mpsd__complete(a);
    }
    if (n < 0) return xbl_mpsd__resend_or(a, n);
    if (n == 0 || (size_t)n > cap - used) return XBL_MPSD_E_IO;
    a->flags |= XBL_MPSD__AF_GOT_BYTE;
    xbl_mpsd__trace_response(a, win + used, (size_t)n);
    r->raw_len += (size_t)n;
    res = xbl_mpsd__hr_feed(r, win, cap);
    if (res == XBL_MPSD_PENDING) return XBL_MPSD__CONTINUE;
    if (res == XBL_MPSD_E_OUTOFMEMORY) xbl_mpsd__set_needed(a, r->need);
    if (res != XBL_MPSD_OK) return res;
    return xbl_mpsd__complete(a);
}

static xbl_mpsd_result xbl_mpsd__step(xbl_mpsd_async *a)
{
    switch (a->state) {
    case XBL_MPSD__OP_AUTH: return xbl_mpsd__step_auth(a);
    case XBL_MPSD__OP_CONNECT: return xbl_mpsd__step_connect(a);
    case XBL_MPSD__OP_SEND: return xbl_mpsd__step_send(a);
    case XBL_MPSD__OP_BACKOFF: return xbl_mpsd__step_backoff(a);
    default: return xbl_mpsd__step_recv(a);
    }
}

xbl_mpsd_result xbl_mpsd_async_poll(xbl_mpsd_async *a)
{
    int i;
    if (a == NULL) return XBL_MPSD_E_INVALIDARG;
    if (a->state == XBL_MPSD__OP_IDLE) return XBL_MPSD_E_UNEXPECTED;
    if (a->state == XBL_MPSD__OP_DONE) return a->result;
    if (xbl_mpsd__deadline_passed(a)) return xbl_mpsd__exchange_over(a, XBL_MPSD_E_TIMEOUT);
    /* Stops at the first port call that would wait, so a poll never blocks
       and never spins on a would-block answer. */
    for (i = 0; i < XBL_MPSD__POLL_STEPS; i++) {
        xbl_mpsd_result r = xbl_mpsd__step(a);
        if (a->state == XBL_MPSD__OP_DONE) return a->result;
        if (r == XBL_MPSD_PENDING) return XBL_MPSD_PENDING;
        if (r != XBL_MPSD__CONTINUE) return xbl_mpsd__end_or_retry(a, r);
    }
    return XBL_MPSD_PENDING;
}

void xbl_mpsd_async_cancel(xbl_mpsd_async *a)
{
    if (a == NULL || a->state == XBL_MPSD__OP_IDLE || a->state == XBL_MPSD__OP_DONE) return;
    xbl_mpsd__end(a, XBL_MPSD_E_CANCELED);
}

xbl_mpsd_result xbl_mpsd_async_init(xbl_mpsd_async *a, void *buffer, size_t buffer_size)
{
    if (a == NULL || (buffer == NULL && buffer_size > 0)) return XBL_MPSD_E_INVALIDARG;
    XBL_MPSD_MEMSET(a, 0, sizeof *a);
    a->buffer = (unsigned char *)buffer;
    a->buffer_size = a->capacity = buffer_size;
    return XBL_MPSD_OK;
}

size_t xbl_mpsd_async_needed_bytes(const xbl_mpsd_async *a)
{
    return a == NULL ? 0 : a->needed;
}

size_t xbl_mpsd_async_needed_arena_bytes(const xbl_mpsd_async *a)
{
    return a == NULL ? 0 : a->arena_needed;
}

bool xbl_mpsd_async_applied(const xbl_mpsd_async *a)
{
    uint32_t st;
    if (a == NULL || a->state != XBL_MPSD__OP_DONE || !xbl_mpsd__is_write(a)) return false;
    st = a->response.status;
    return st == 200 || st == 201 || st == 204;
}

const char *xbl_mpsd_async_etag(const xbl_mpsd_async *a)
{
    return (a == NULL || a->state != XBL_MPSD__OP_DONE) ? "" : a->response.etag;
}

const xbl_mpsd_session_reference *xbl_mpsd_async_session_reference(const xbl_mpsd_async *a)
{
    if (a == NULL || a->state != XBL_MPSD__OP_DONE || a->reference.scid[0] == '\0') return NULL;
    return &a->reference;
}

uint32_t xbl_mpsd_async_http_status(const xbl_mpsd_async *a)
{
    return (a == NULL || a->state != XBL_MPSD__OP_DONE) ? 0 : a->response.status;
}

const char *xbl_mpsd_async_error_text(const xbl_mpsd_async *a)
{
    return (a == NULL || a->state != XBL_MPSD__OP_DONE) ? "" : a->error_text;
}

uint32_t xbl_mpsd_async_retry_after(const xbl_mpsd_async *a)
{
    return (a == NULL || a->state != XBL_MPSD__OP_DONE) ? 0 : a->response.retry_after;
}

static bool xbl_mpsd__config_ok(const xbl_mpsd_client_config *cfg)
{
    const xbl_mpsd_port *p = cfg->port;
    if (p == NULL || p->connect == NULL || p->send == NULL || p->recv == NULL || p->close == NULL
        || p->now_ms == NULL || cfg->auth == NULL || cfg->xuid == 0) return false;
    if (cfg->host != NULL && (cfg->host[0] == '\0' || !xbl_mpsd__header_safe(cfg->host))) return false;
    if (cfg->host_header != NULL && (cfg->host_header[0] == '\0' || !xbl_mpsd__header_safe(cfg->host_header)))
        return false;
    if (cfg->user_agent != NULL && !xbl_mpsd__header_safe(cfg->user_agent)) return false;
    return cfg->accept_language == NULL || xbl_mpsd__header_safe(cfg->accept_language);
}

xbl_mpsd_result xbl_mpsd_client_init(xbl_mpsd_client *client, const xbl_mpsd_client_config *config)
{
    if (client == NULL || config == NULL || !xbl_mpsd__config_ok(config)) return XBL_MPSD_E_INVALIDARG;
    XBL_MPSD_MEMSET(client, 0, sizeof *client);
    client->port = *config->port;
    client->config = *config;
    client->config.port = &client->port;
    if (client->config.host == NULL) client->config.host = "sessiondirectory.xboxlive.com";
    if (client->config.host_header == NULL) client->config.host_header = client->config.host;
    if (client->config.port_number == 0) client->config.port_number = 443;
    if (client->config.timeout_ms == 0) client->config.timeout_ms = 30000;
    if (client->config.user_agent == NULL) client->config.user_agent = "xbl_mpsd/" XBL_MPSD_VERSION_STRING;
    return XBL_MPSD_OK;
}

void xbl_mpsd_client_close(xbl_mpsd_client *client)
{
    if (client == NULL) return;
    if (client->active != NULL) xbl_mpsd_async_cancel(client->active);
    xbl_mpsd__drop_connection(client);
}

/* ===========================================================================
   Public write and get calls
   =========================================================================== */

/* An async may start a new operation when it never ran one, or its last one
   was canceled or had its result taken (TRANSPORT.md §4). */
static bool xbl_mpsd__async_free(const xbl_mpsd_async *a)
{
    if (a->state == XBL_MPSD__OP_IDLE) return true;
    if (a->state == XBL_MPSD__OP_DONE && xbl_mpsd__without_result_call(a->kind)) return true;
    return a->state == XBL_MPSD__OP_DONE && ((a->flags & XBL_MPSD__AF_TAKEN) || a->result == XBL_MPSD_E_CANCELED);
}

static xbl_mpsd_result xbl_mpsd__can_start(xbl_mpsd_client *c, xbl_mpsd_async *a)
{
    if (!xbl_mpsd__async_free(a)) return XBL_MPSD_E_UNEXPECTED;
    if (c->active != NULL) return XBL_MPSD_E_BUSY;
    return XBL_MPSD_OK;
}

/* Starts an operation whose body is already at buffer[0]. Fails with
   nothing changed but needed_bytes when the request cannot fit with room
   for the tokens. */
static xbl_mpsd_result xbl_mpsd__start(xbl_mpsd_async *a, xbl_mpsd_client *c, const xbl_mpsd__request *q,
        const xbl_mpsd_session_reference *reference)
{
    xbl_mpsd__hw w;
    unsigned char *buffer = a->buffer;
    size_t capacity = a->capacity, size = capacity > q->reserve ? capacity - q->reserve : 0;
    size_t min_tokens = xbl_mpsd__token_overhead() + 8;
    w.buf = NULL; w.cap = 0; w.len = 0;
    xbl_mpsd__write_fixed_head(&w, q, c);   /* measure first: a failed start changes nothing */
    if (q->body_len > size || w.len > size - q->body_len || size - q->body_len - w.len < min_tokens) {
        a->needed = q->body_len + w.len + XBL_MPSD_AUTH_RESERVE + q->reserve;
        return XBL_MPSD_E_OUTOFMEMORY;
    }
    XBL_MPSD_MEMSET(a, 0, sizeof *a);
    a->buffer = buffer;
    a->buffer_size = size;
    a->capacity = capacity;
    a->client = c;
    a->kind = q->kind;
    a->method = q->method;
    a->write_mode = q->write_mode;
    a->xuid = c->config.xuid;
    a->body_len = q->body_len;
    if (reference != NULL) a->reference = *reference;
    XBL_MPSD_MEMCPY(a->path, q->path, xbl_mpsd__strlen(q->path) + 1);
    xbl_mpsd__hr_reset(a);
    w.buf = (char *)buffer + q->body_len; w.cap = size - q->body_len; w.len = 0;
    xbl_mpsd__write_fixed_head(&w, q, c);
    a->fixed_len = w.len;
    a->head_len = w.len;
    a->start_ms = c->port.now_ms(c->port.ctx);
    a->state = XBL_MPSD__OP_AUTH;
    c->active = a;
    return XBL_MPSD_OK;
}

static xbl_mpsd_result xbl_mpsd__write_async(xbl_mpsd_client *client, const xbl_mpsd_session *session,
        xbl_mpsd_session_write_mode mode, const char *handle_id, xbl_mpsd_async *a)
{
    char path[XBL_MPSD__PATH_CAP];
    const char *connection = NULL;
    xbl_mpsd__request q;
    size_t len = 0;
    xbl_mpsd_result r;
    if (client == NULL || session == NULL || a == NULL || !xbl_mpsd_session_has_document(session)
        || (uint32_t)mode > 3u) return XBL_MPSD_E_INVALIDARG;
    q.etag = xbl_mpsd_session_etag(session);
    if (q.etag == NULL) q.etag = "";
    if (handle_id == NULL && !xbl_mpsd_session_reference_is_valid(&session->reference)) return XBL_MPSD_E_RUNTIME_ERROR;
    if (!xbl_mpsd__header_safe(q.etag)
        || (handle_id ? !xbl_mpsd__handle_path(handle_id, path, sizeof path)
                      : !xbl_mpsd__reference_path(&session->reference, path, sizeof path))) return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__can_start(client, a);
    if (r != XBL_MPSD_OK) return r;
#ifndef XBL_MPSD_NO_RTA
    /* with subscriptions on, a body that sets the member active carries the
       RTA connection ID, and without one it is refused before anything is
       written (a polled call cannot wait for the ID) */
    if (xbl_mpsd_subscriptions_enabled(client) && xbl_mpsd__body_sets_active(session)) {
        connection = xbl_mpsd_rta_connection_id(client->rta);
        if (connection[0] == '\0') return XBL_MPSD_E_RTA_NO_CONNECTION_ID;
    }
#endif
    /* the previous result was taken, so its body may be overwritten */
    r = connection != NULL
        ? xbl_mpsd__session_write_body_stamped(session, connection, (char *)a->buffer, a->buffer_size, &len)
        : xbl_mpsd__session_write_body(session, (char *)a->buffer, a->buffer_size, &len);
    if (r == XBL_MPSD_E_OUTOFMEMORY) a->needed = len + 1024 + XBL_MPSD_AUTH_RESERVE;   /* fixed heads are < 1 KB */
    if (r != XBL_MPSD_OK) return r;
    q.kind = handle_id ? XBL_MPSD__KIND_WRITE_BY_HANDLE : XBL_MPSD__KIND_WRITE;
    q.method = XBL_MPSD__M_PUT;
    q.reserve = 0;
    q.write_mode = (uint32_t)mode;
    q.path = path;
    q.body_len = len;
    return xbl_mpsd__start(a, client, &q, &session->reference);
}

xbl_mpsd_result xbl_mpsd_write_session_async(xbl_mpsd_client *client, const xbl_mpsd_session *session,
        xbl_mpsd_session_write_mode write_mode, xbl_mpsd_async *async)
{
    return xbl_mpsd__write_async(client, session, write_mode, NULL, async);
}

xbl_mpsd_result xbl_mpsd_write_session_by_handle_async(xbl_mpsd_client *client, const xbl_mpsd_session *session,
        xbl_mpsd_session_write_mode write_mode, const char *handle_id, xbl_mpsd_async *async)
{
    if (handle_id == NULL || handle_id[0] == '\0') return XBL_MPSD_E_INVALIDARG;
    return xbl_mpsd__write_async(client, session, write_mode, handle_id, async);
}

/* A GET of `path` (kind GET or GET_BY_HANDLE; ref NULL by handle). */
static xbl_mpsd_result xbl_mpsd__get_async(xbl_mpsd_client *client, const xbl_mpsd_session_reference *ref,
        const char *path, uint32_t kind, xbl_mpsd_async *a)
{
    xbl_mpsd__request q;
    xbl_mpsd_result r = xbl_mpsd__can_start(client, a);
    if (r != XBL_MPSD_OK) return r;
    q.kind = kind;
    q.method = XBL_MPSD__M_GET;
    q.reserve = 0;
    q.write_mode = 0;
    q.path = path;
    q.body_len = 0;
    q.etag = NULL;
    return xbl_mpsd__start(a, client, &q, ref);
}

xbl_mpsd_result xbl_mpsd_get_session_async(xbl_mpsd_client *client,
        const xbl_mpsd_session_reference *session_reference, xbl_mpsd_async *async)
{
    char path[XBL_MPSD__PATH_CAP];
    if (client == NULL || async == NULL || !xbl_mpsd_session_reference_is_valid(session_reference)
        || !xbl_mpsd__reference_path(session_reference, path, sizeof path))
        return XBL_MPSD_E_INVALIDARG;
    return xbl_mpsd__get_async(client, session_reference, path, XBL_MPSD__KIND_GET, async);
}

xbl_mpsd_result xbl_mpsd_get_session_by_handle_async(xbl_mpsd_client *client, const char *handle_id,
        xbl_mpsd_async *async)
{
    char path[XBL_MPSD__PATH_CAP];
    if (client == NULL || async == NULL || handle_id == NULL || handle_id[0] == '\0'
        || !xbl_mpsd__handle_path(handle_id, path, sizeof path)) return XBL_MPSD_E_INVALIDARG;
    return xbl_mpsd__get_async(client, NULL, path, XBL_MPSD__KIND_GET_BY_HANDLE, async);
}

static xbl_mpsd_write_session_status xbl_mpsd__write_status_of(uint32_t status)
{
    if (status == 201) return XBL_MPSD_WRITE_SESSION_STATUS_CREATED;
    if (status == 412) return XBL_MPSD_WRITE_SESSION_STATUS_OUT_OF_SYNC;
    if (status == 204) return XBL_MPSD_WRITE_SESSION_STATUS_SESSION_DELETED;
    return XBL_MPSD_WRITE_SESSION_STATUS_UPDATED;
}

/* Loads the response body into out (API.md §6). Arena exhaustion leaves the
   result for another try with a bigger arena. */
static xbl_mpsd_result xbl_mpsd__deliver(xbl_mpsd_async *a, xbl_mpsd_session *out)
{
    const xbl_mpsd__http_response *r = &a->response;
    bool write = xbl_mpsd__is_write(a);
    xbl_mpsd__response_meta meta;
    size_t cap, scratch_needed = 0;
    unsigned char *scratch;
    xbl_mpsd_result res;
    if (out == NULL) { a->flags |= XBL_MPSD__AF_TAKEN; return a->result; }
    if (r->status == 204 || r->body_len == 0) {
        xbl_mpsd__session_set_no_document(out, write ? xbl_mpsd__write_status_of(r->status)
                                                     : XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN);
        a->flags |= XBL_MPSD__AF_TAKEN;
        return a->result;
    }
    XBL_MPSD_MEMSET(&meta, 0, sizeof meta);
    meta.xuid = a->xuid;
    meta.reference = &a->reference;
    meta.etag = r->etag;
    meta.etag_len = r->etag_len;
    meta.date = r->date;
    meta.write_status = write ? xbl_mpsd__write_status_of(r->status) : XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN;
    scratch = xbl_mpsd__scratch(a, &cap);
    a->arena_needed = 0;
    res = xbl_mpsd__session_load(out, (const char *)a->buffer + xbl_mpsd__window_start(a), r->body_len,
                                       &meta, scratch, cap, &scratch_needed, &a->arena_needed);
    if (res == XBL_MPSD_E_OUTOFMEMORY && scratch_needed <= cap) return res;   /* out's arena: not consumed */
    if (res == XBL_MPSD_E_OUTOFMEMORY) a->needed = (size_t)(scratch - a->buffer) + scratch_needed;
    a->flags |= XBL_MPSD__AF_TAKEN;
    return res;
}

static xbl_mpsd_result xbl_mpsd__result(xbl_mpsd_async *a, xbl_mpsd_session *out, bool write)
{
    if (a == NULL || (out != NULL && out->arena.base == NULL)) return XBL_MPSD_E_INVALIDARG;
    if (a->state == XBL_MPSD__OP_IDLE) return XBL_MPSD_E_UNEXPECTED;
    if (xbl_mpsd__is_write(a) != write || xbl_mpsd__is_handles(a)) return XBL_MPSD_E_INVALIDARG;
    if (a->state != XBL_MPSD__OP_DONE) return XBL_MPSD_PENDING;
    if (a->flags & XBL_MPSD__AF_TAKEN) return XBL_MPSD_E_UNEXPECTED;
    if (a->result == XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND) {
        /* GET 204: an error, yet out is told there is no document (API.md §6.2) */
        if (out != NULL) xbl_mpsd__session_set_no_document(out, XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN);
        a->flags |= XBL_MPSD__AF_TAKEN;
        return a->result;
    }
    if (a->result < 0) { a->flags |= XBL_MPSD__AF_TAKEN; return a->result; }
    return xbl_mpsd__deliver(a, out);
}

const char *xbl_mpsd_async_response_body(const xbl_mpsd_async *a, size_t *len)
{
    const xbl_mpsd__http_response *r;
    if (len != NULL) *len = 0;
    if (a == NULL || a->state != XBL_MPSD__OP_DONE) return NULL;
    r = &a->response;
    if ((r->flags & XBL_MPSD__HF_OVERFLOW) || r->body_len == 0) return NULL;
    if (len != NULL) *len = r->body_len;
    return (const char *)a->buffer + xbl_mpsd__window_start(a);
}

xbl_mpsd_result xbl_mpsd_write_session_result(xbl_mpsd_async *async, xbl_mpsd_session *out)
{
    return xbl_mpsd__result(async, out, true);
}

xbl_mpsd_result xbl_mpsd_write_session_by_handle_result(xbl_mpsd_async *async, xbl_mpsd_session *out)
{
    return xbl_mpsd__result(async, out, true);
}

xbl_mpsd_result xbl_mpsd_get_session_result(xbl_mpsd_async *async, xbl_mpsd_session *out)
{
    return xbl_mpsd__result(async, out, false);
}

xbl_mpsd_result xbl_mpsd_get_session_by_handle_result(xbl_mpsd_async *async, xbl_mpsd_session *out)
{
    return xbl_mpsd__result(async, out, false);
}

#ifndef XBL_MPSD_NO_HANDLES
/* ===========================================================================
   Handles, activities and invites
   Each call writes its JSON body at buffer[0] and starts the exchange like a
   session write. A 2xx body is checked by its reader as the exchange
   completes (the first walk: valid, counted, measured), so the final poll
   value is the outcome; the result calls walk the kept body again into the
   caller's storage. Clear activity and invites are several exchanges: the
   next one is set up in place when one ends (xbl_mpsd__handles_next), each
   with its own deadline. An invite operation keeps its XUIDs and the IDs
   it got in a table at the end of the buffer that no exchange touches;
   each invite's body is the previous one with the XUID's digits replaced.
   =========================================================================== */

static const char xbl_mpsd__handles_path[] = "/handles";
static const char xbl_mpsd__activity_query_path[] = "/handles/query?include=relatedInfo,customProperties";

#define XBL_MPSD__INVITE_ROW (sizeof(uint64_t) + XBL_MPSD_GUID_LENGTH)   /* a XUID and its invite ID */

/* A path segment from an argument or a response: 1 to max bytes, printable
   ASCII without / ? # % ~ or space (they would change the path). */
static bool xbl_mpsd__path_segment_ok(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n >= max || c <= 0x20 || c >= 0x7F || c == '/' || c == '?' || c == '#' || c == '%' || c == '~')
            return false;
    }
    return n > 0;
}

/* A SCID that goes into a JSON body: 1-39 bytes of valid UTF-8. */
static bool xbl_mpsd__scid_string_ok(const char *scid)
{
    size_t n = scid != NULL ? xbl_mpsd__strnlen(scid, XBL_MPSD_SCID_LENGTH) : 0;
    return n > 0 && n < XBL_MPSD_SCID_LENGTH && xbl_mpsd__utf8_valid(scid, n);
}

/* XUID array rule: non-NULL, at least one, no zero. */
static bool xbl_mpsd__xuids_ok(const uint64_t *xuids, size_t count)
{
    size_t i;
    if (xuids == NULL || count == 0) return false;
    for (i = 0; i < count; i++)
        if (xuids[i] == 0) return false;
    return true;
}

static void xbl_mpsd__jw_reference(xbl_mpsd__jw *w, const char *key, const xbl_mpsd_session_reference *ref)
{
    xbl_mpsd__jw_key(w, key);
    xbl_mpsd__jw_open(w, '{');
    xbl_mpsd__jw_key_string(w, "scid", ref->scid);
    xbl_mpsd__jw_key_string(w, "templateName", ref->session_template_name);
    xbl_mpsd__jw_key_string(w, "name", ref->session_name);
    xbl_mpsd__jw_close(w, '}');
}

/* {"type":"<type>","sessionRef":{...},"version":1 — left open. */
static void xbl_mpsd__jw_handle_head(xbl_mpsd__jw *w, const char *type, const xbl_mpsd_session_reference *ref)
{
    xbl_mpsd__jw_open(w, '{');
    xbl_mpsd__jw_key_string(w, "type", type);
    xbl_mpsd__jw_reference(w, "sessionRef", ref);
    xbl_mpsd__jw_key_u64(w, "version", 1);
}

/* A writer over the async's whole buffer (its previous result is taken). */
static void xbl_mpsd__jw_async(xbl_mpsd__jw *w, xbl_mpsd_async *a)
{
    xbl_mpsd__jw_init(w, (char *)a->buffer, a->capacity);
}

/* Starts an exchange of `kind` whose body_len-byte body is at buffer[0];
   `reserve` bytes at the buffer's end stay out of every exchange. */
static xbl_mpsd_result xbl_mpsd__start_reserved(xbl_mpsd_async *a, xbl_mpsd_client *c, uint32_t kind,
        uint32_t method, const char *path, size_t body_len, size_t reserve)
{
    xbl_mpsd__request q;
    q.kind = kind;
    q.method = method;
    q.write_mode = 0;
    q.path = path;
    q.body_len = body_len;
    q.etag = NULL;
    q.reserve = reserve;
    return xbl_mpsd__start(a, c, &q, NULL);
}

static xbl_mpsd_result xbl_mpsd__start_exchange(xbl_mpsd_async *a, xbl_mpsd_client *c, uint32_t kind,
        uint32_t method, const char *path, size_t body_len)
{
    return xbl_mpsd__start_reserved(a, c, kind, method, path, body_len, 0);
}

/* The next exchange of a running operation, its body_len-byte body already
   at buffer[0]: a new head, parser and deadline; the connection stays. */
static void xbl_mpsd__next_exchange(xbl_mpsd_async *a, uint32_t method, const char *path, size_t body_len)
{
    xbl_mpsd_client *c = a->client;
    xbl_mpsd__request q;
    xbl_mpsd__hw w;
    q.kind = a->kind;
    q.method = method;
    q.write_mode = 0;
    q.path = path;
    q.body_len = body_len;
    q.etag = NULL;
    q.reserve = 0;
    if (path != a->path) XBL_MPSD_MEMCPY(a->path, path, xbl_mpsd__strlen(path) + 1);
    a->method = method;
    a->body_len = body_len;
    w.buf = (char *)a->buffer + body_len; w.cap = a->buffer_size - body_len; w.len = 0;
    xbl_mpsd__write_fixed_head(&w, &q, c);
    a->fixed_len = a->head_len = w.len;
    a->sent = 0;
    a->flags = 0;
    a->attempts = 0;
    a->resend_cause = XBL_MPSD_OK;
    a->error_text[0] = '\0';
    xbl_mpsd__hr_reset(a);
    a->start_ms = c->port.now_ms(c->port.ctx);
    a->state = XBL_MPSD__OP_AUTH;
}

/* The reader's place in the scratch space after the kept body. */
static xbl_mpsd__rd *xbl_mpsd__handles_reader(const xbl_mpsd_async *a)
{
    size_t cap;
    unsigned char *at = xbl_mpsd__scratch(a, &cap);
    return (xbl_mpsd__rd *)(void *)(at + xbl_mpsd__read_scratch_at((uintptr_t)at) - sizeof(xbl_mpsd__rd));
}

static const char *xbl_mpsd__hbody(const xbl_mpsd_async *a, size_t *len)
{
    *len = a->response.body_len;
    return (const char *)a->buffer + xbl_mpsd__window_start(a);
}

static void xbl_mpsd__measure_arena(xbl_mpsd__arena *m)
{
    m->base = NULL;
    m->size = SIZE_MAX;
    m->used = 0;
    m->measure = true;
    m->failed = false;
}

/* Bytes of a WithProperties activities buffer: the array at any alignment,
   then the texts. */
static size_t xbl_mpsd__activities_size(size_t count, size_t text_bytes)
{
    return count == 0 ? 0 : XBL_MPSD__ALIGN - 1 + count * sizeof(xbl_mpsd_activity_details) + text_bytes;
}

/* Checks an activity list (count, size, first ID into a->h). */
static xbl_mpsd_result xbl_mpsd__check_activities(xbl_mpsd_async *a, xbl_mpsd__rd *r, const char *body, size_t len)
{
    xbl_mpsd__arena m;
    xbl_mpsd__measure_arena(&m);
    if (!xbl_mpsd__rd_activity_list(r, body, len, NULL, &m, a->kind == XBL_MPSD__KIND_ACTIVITIES_PROPS))
        return XBL_MPSD_E_INVALID_JSON_STRING;
    a->h.count = r->h.count;
    a->h.size = xbl_mpsd__activities_size(r->h.count, m.used);
    XBL_MPSD_MEMCPY(a->h.id, r->h.first_id, sizeof a->h.id);
    if (a->kind == XBL_MPSD__KIND_CLEAR_ACTIVITY && a->h.count == 1
            && !xbl_mpsd__path_segment_ok(a->h.id, XBL_MPSD_GUID_LENGTH - 1)) return XBL_MPSD_E_INVALID_JSON_STRING;
    return XBL_MPSD_OK;
}

static xbl_mpsd_result xbl_mpsd__search_check(xbl_mpsd_async *a, xbl_mpsd__rd *r, const char *body, size_t len);
static xbl_mpsd_result xbl_mpsd__queries_check(xbl_mpsd_async *a, xbl_mpsd__rd *r, const char *body, size_t len);

/* The first walk of a 2xx body, by the operation's kind. */
static xbl_mpsd_result xbl_mpsd__handles_check(xbl_mpsd_async *a, const char *body, size_t len, xbl_mpsd__rd *r)
{
    switch (a->kind) {
    case XBL_MPSD__KIND_TRANSFER: case XBL_MPSD__KIND_INVITES:
        return xbl_mpsd__rd_handle_id(r, body, len, a->h.id) ? XBL_MPSD_OK : XBL_MPSD_E_INVALID_JSON_STRING;
    case XBL_MPSD__KIND_SEARCH_CREATE: case XBL_MPSD__KIND_SEARCH_QUERY: return xbl_mpsd__search_check(a, r, body, len);
    case XBL_MPSD__KIND_QUERY_SESSIONS: return xbl_mpsd__queries_check(a, r, body, len);
    default:   /* the activity lists, and clear activity's query */
        return xbl_mpsd__check_activities(a, r, body, len);
    }
}

/* Whether this exchange's 2xx body is read: not for set activity, the
   clear-activity DELETE or a search-handle delete. */
static bool xbl_mpsd__handles_reads_body(const xbl_mpsd_async *a)
{
    if (a->kind == XBL_MPSD__KIND_CLEAR_ACTIVITY) return a->h.step == 0;
    return a->kind != XBL_MPSD__KIND_SET_ACTIVITY && a->kind != XBL_MPSD__KIND_SEARCH_DELETE;
}

static xbl_mpsd_result xbl_mpsd__handles_outcome(xbl_mpsd_async *a)
{
    const xbl_mpsd__http_response *r = &a->response;
    size_t len;
    const char *body;
    xbl_mpsd_result res;
    /* a DELETE resent after its connection died unanswered finds the
       handle gone: the first one deleted it */
    if (r->status == 404 && a->method == XBL_MPSD__M_DELETE && (a->flags & XBL_MPSD__AF_RESENT)) return XBL_MPSD_OK;
    if (r->status < 200 || r->status > 299) {
        xbl_mpsd__keep_error_text(a);
        return XBL_MPSD_E_HTTP_STATUS(r->status);
    }
    if (!xbl_mpsd__handles_reads_body(a)) return XBL_MPSD_OK;
    res = xbl_mpsd__check_body(a);   /* the body and the reader's scratch fit */
    if (res != XBL_MPSD_OK) return res;
    body = xbl_mpsd__hbody(a, &len);
    if (len == 0) return XBL_MPSD_E_INVALID_JSON_STRING;
    return xbl_mpsd__handles_check(a, body, len, xbl_mpsd__handles_reader(a));
}

/* The invite table: XUIDs then IDs, at table_at. */
static uint64_t xbl_mpsd__invite_xuid(const xbl_mpsd_async *a, size_t i)
{
    uint64_t x;
    XBL_MPSD_MEMCPY(&x, a->buffer + a->h.table_at + i * sizeof x, sizeof x);
    return x;
}

static char *xbl_mpsd__invite_id(const xbl_mpsd_async *a, size_t i)
{
    return (char *)a->buffer + a->h.table_at + a->h.count * sizeof(uint64_t) + i * XBL_MPSD_GUID_LENGTH;
}

/* Puts XUID x in place of the body's invitedXuid digits. */
static void xbl_mpsd__invite_set_xuid(xbl_mpsd_async *a, uint64_t x)
{
    char d[20];
    size_t n = xbl_mpsd__u64_to_dec(x, d), at = a->h.xuid_at, old = a->h.xuid_len;
    XBL_MPSD_MEMMOVE(a->buffer + at + n, a->buffer + at + old, a->body_len - at - old);
    XBL_MPSD_MEMCPY(a->buffer + at, d, n);
    a->body_len = a->body_len - old + n;
    a->h.xuid_len = n;
}

/* One invite is over with r: its ID (or "") into the table, then the next. */
static xbl_mpsd_result xbl_mpsd__invites_next(xbl_mpsd_async *a, xbl_mpsd_result r)
{
    char *id = xbl_mpsd__invite_id(a, a->h.index);
    if (r == XBL_MPSD_OK) {
        XBL_MPSD_MEMCPY(id, a->h.id, XBL_MPSD_GUID_LENGTH);
        a->h.succeeded++;
    } else {
        id[0] = '\0';
        if (a->h.first_failure == XBL_MPSD_OK) a->h.first_failure = r;
    }
    xbl_mpsd__close_exchange(a, r);
    if (++a->h.index == a->h.count) return xbl_mpsd__end(a, a->h.succeeded ? XBL_MPSD_OK : a->h.first_failure);
    xbl_mpsd__invite_set_xuid(a, xbl_mpsd__invite_xuid(a, a->h.index));
    xbl_mpsd__next_exchange(a, XBL_MPSD__M_POST, xbl_mpsd__handles_path, a->body_len);
    return XBL_MPSD_PENDING;
}

/* Clear activity's query is over: DELETE the one activity it found. */
static xbl_mpsd_result xbl_mpsd__clear_next(xbl_mpsd_async *a, xbl_mpsd_result r)
{
    char path[sizeof "/handles/" + XBL_MPSD_GUID_LENGTH];   /* not PATH_CAP: poll's stack stays small */
    xbl_mpsd__hw w;
    if (r != XBL_MPSD_OK || a->h.step != 0) return xbl_mpsd__end(a, r);
    if (a->h.count != 1) return xbl_mpsd__end(a, XBL_MPSD_E_INVALIDARG);   /* as XSAPI (HANDLES §2.2) */
    xbl_mpsd__close_exchange(a, r);
    w.buf = path; w.cap = sizeof path; w.len = 0;
    xbl_mpsd__hw_str(&w, "/handles/");
    xbl_mpsd__hw_str(&w, a->h.id);
    xbl_mpsd__hw_put(&w, "", 1);
    a->h.step = 1;
    xbl_mpsd__next_exchange(a, XBL_MPSD__M_DELETE, path, 0);
    return XBL_MPSD_PENDING;
}

static xbl_mpsd_result xbl_mpsd__handles_next(xbl_mpsd_async *a, xbl_mpsd_result r)
{
    if (a->kind == XBL_MPSD__KIND_INVITES) return xbl_mpsd__invites_next(a, r);
    if (a->kind == XBL_MPSD__KIND_CLEAR_ACTIVITY) return xbl_mpsd__clear_next(a, r);
    return xbl_mpsd__end(a, r);
}

/* Result calls, HANDLES §11.1 rows 2-6: CONTINUE when the caller may deliver. */
static xbl_mpsd_result xbl_mpsd__hresult_begin(xbl_mpsd_async *a, uint32_t kind_a, uint32_t kind_b)
{
    if (a->state == XBL_MPSD__OP_IDLE) return XBL_MPSD_E_UNEXPECTED;
    if (a->kind != kind_a && a->kind != kind_b) return XBL_MPSD_E_INVALIDARG;
    if (a->state != XBL_MPSD__OP_DONE) return XBL_MPSD_PENDING;
    if (a->flags & XBL_MPSD__AF_TAKEN) return XBL_MPSD_E_UNEXPECTED;
    if (a->result < 0) { a->flags |= XBL_MPSD__AF_TAKEN; return a->result; }
    return XBL_MPSD__CONTINUE;
}

static xbl_mpsd_result xbl_mpsd__htake(xbl_mpsd_async *a)
{
    a->flags |= XBL_MPSD__AF_TAKEN;
    return XBL_MPSD_OK;
}

/* ---- activity handles ---- */

xbl_mpsd_result xbl_mpsd_set_activity_async(xbl_mpsd_client *client,
        const xbl_mpsd_session_reference *session_reference, xbl_mpsd_async *async)
{
    xbl_mpsd__jw w;
    xbl_mpsd_result r;
    if (client == NULL || async == NULL || !xbl_mpsd_session_reference_is_valid(session_reference))
        return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__can_start(client, async);
    if (r != XBL_MPSD_OK) return r;
    xbl_mpsd__jw_async(&w, async);
    xbl_mpsd__jw_handle_head(&w, "activity", session_reference);
    xbl_mpsd__jw_close(&w, '}');
    return xbl_mpsd__start_exchange(async, client, XBL_MPSD__KIND_SET_ACTIVITY, XBL_MPSD__M_POST,
                                    xbl_mpsd__handles_path, w.len);
}

/* {"type":"activity","scid":"...","owners":{ — left open for the owners. */
static void xbl_mpsd__jw_activity_query(xbl_mpsd__jw *w, const char *scid)
{
    xbl_mpsd__jw_open(w, '{');
    xbl_mpsd__jw_key_string(w, "type", "activity");
    xbl_mpsd__jw_key_string(w, "scid", scid);
    xbl_mpsd__jw_key(w, "owners");
    xbl_mpsd__jw_open(w, '{');
}

static xbl_mpsd_result xbl_mpsd__activities_for_users(xbl_mpsd_client *client, const char *scid,
        const uint64_t *xuids, size_t count, uint32_t kind, xbl_mpsd_async *async)
{
    xbl_mpsd__jw w;
    xbl_mpsd_result r;
    size_t i;
    if (client == NULL || async == NULL || !xbl_mpsd__scid_string_ok(scid) || !xbl_mpsd__xuids_ok(xuids, count))
        return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__can_start(client, async);
    if (r != XBL_MPSD_OK) return r;
    xbl_mpsd__jw_async(&w, async);
    xbl_mpsd__jw_activity_query(&w, scid);
    xbl_mpsd__jw_key(&w, "xuids");
    xbl_mpsd__jw_open(&w, '[');
    for (i = 0; i < count; i++) xbl_mpsd__jw_xuid(&w, xuids[i]);
    xbl_mpsd__jw_close(&w, ']');
    xbl_mpsd__jw_close(&w, '}');
    xbl_mpsd__jw_close(&w, '}');
    return xbl_mpsd__start_exchange(async, client, kind, XBL_MPSD__M_POST, xbl_mpsd__activity_query_path, w.len);
}

xbl_mpsd_result xbl_mpsd_clear_activity_async(xbl_mpsd_client *client, const char *scid, xbl_mpsd_async *async)
{
    if (client == NULL) return XBL_MPSD_E_INVALIDARG;
    return xbl_mpsd__activities_for_users(client, scid, &client->config.xuid, 1, XBL_MPSD__KIND_CLEAR_ACTIVITY, async);
}

/* ---- transfer handles ---- */

xbl_mpsd_result xbl_mpsd_set_transfer_handle_async(xbl_mpsd_client *client,
        xbl_mpsd_session_reference target_session_reference, xbl_mpsd_session_reference origin_session_reference,
        xbl_mpsd_async *async)
{
    xbl_mpsd__jw w;
    xbl_mpsd_result r;
    if (client == NULL || async == NULL || !xbl_mpsd_session_reference_is_valid(&target_session_reference)
        || !xbl_mpsd_session_reference_is_valid(&origin_session_reference)) return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__can_start(client, async);
    if (r != XBL_MPSD_OK) return r;
    xbl_mpsd__jw_async(&w, async);
    xbl_mpsd__jw_handle_head(&w, "transfer", &target_session_reference);
    xbl_mpsd__jw_reference(&w, "originSessionRef", &origin_session_reference);
    xbl_mpsd__jw_close(&w, '}');
    return xbl_mpsd__start_exchange(async, client, XBL_MPSD__KIND_TRANSFER, XBL_MPSD__M_POST,
                                    xbl_mpsd__handles_path, w.len);
}

xbl_mpsd_result xbl_mpsd_set_transfer_handle_result(xbl_mpsd_async *async, xbl_mpsd_session_handle_id *handle_id)
{
    xbl_mpsd_result r;
    if (async == NULL || handle_id == NULL) return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__hresult_begin(async, XBL_MPSD__KIND_TRANSFER, XBL_MPSD__KIND_TRANSFER);
    if (r != XBL_MPSD__CONTINUE) return r;
    XBL_MPSD_MEMCPY(handle_id->value, async->h.id, sizeof handle_id->value);
    return xbl_mpsd__htake(async);
}

/* ---- invites ---- */

/* An optional string for an invite body: NULL or valid UTF-8. */
static bool xbl_mpsd__optional_text_ok(const char *s)
{
    return s == NULL || xbl_mpsd__text_ok(s);
}

/* The invite body for XUID x; a->h.xuid_at/xuid_len say where its digits are. */
static void xbl_mpsd__jw_invite(xbl_mpsd__jw *w, xbl_mpsd_async *a, const xbl_mpsd_session_reference *ref,
        uint64_t x, uint32_t title_id, const char *context_string, const char *context)
{
    char d[20];
    xbl_mpsd__jw_handle_head(w, "invite", ref);
    xbl_mpsd__jw_key(w, "invitedXuid");
    a->h.xuid_at = w->len + 1;
    xbl_mpsd__jw_xuid(w, x);
    a->h.xuid_len = xbl_mpsd__u64_to_dec(x, d);
    xbl_mpsd__jw_key(w, "inviteAttributes");
    xbl_mpsd__jw_open(w, '{');
    xbl_mpsd__jw_key(w, "titleId");
    xbl_mpsd__jw_xuid(w, title_id);
    if (context_string != NULL && context_string[0] != '\0') xbl_mpsd__jw_key_string(w, "contextString", context_string);
    if (context != NULL && context[0] != '\0') xbl_mpsd__jw_key_string(w, "context", context);
    xbl_mpsd__jw_close(w, '}');
    xbl_mpsd__jw_close(w, '}');
}

/* The longest decimal among the XUIDs: the body is measured with it. */
static size_t xbl_mpsd__longest_xuid(const uint64_t *xuids, size_t count, size_t *at)
{
    char d[20];
    size_t i, best = 0;
    for (i = 0; i < count; i++) {
        size_t n = xbl_mpsd__u64_to_dec(xuids[i], d);
        if (n > best) { best = n; *at = i; }
    }
    return best;
}

xbl_mpsd_result xbl_mpsd_send_invites_async(xbl_mpsd_client *client, const xbl_mpsd_session_reference *session_reference,
        const uint64_t *xuids, size_t xuids_count, uint32_t title_id, const char *context_string_id,
        const char *custom_activation_context, xbl_mpsd_async *async)
{
    xbl_mpsd__jw w;
    xbl_mpsd_result r;
    size_t longest = 0, reserve, i;
    if (client == NULL || async == NULL || !xbl_mpsd_session_reference_is_valid(session_reference)
        || !xbl_mpsd__xuids_ok(xuids, xuids_count) || xuids_count > SIZE_MAX / XBL_MPSD__INVITE_ROW
        || !xbl_mpsd__optional_text_ok(context_string_id) || !xbl_mpsd__optional_text_ok(custom_activation_context))
        return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__can_start(client, async);
    if (r != XBL_MPSD_OK) return r;
    reserve = xuids_count * XBL_MPSD__INVITE_ROW;
    /* measured with the longest XUID, so every invite's exchange fits */
    xbl_mpsd__longest_xuid(xuids, xuids_count, &longest);
    xbl_mpsd__jw_async(&w, async);
    xbl_mpsd__jw_invite(&w, async, session_reference, xuids[longest], title_id, context_string_id,
                        custom_activation_context);
    r = xbl_mpsd__start_reserved(async, client, XBL_MPSD__KIND_INVITES, XBL_MPSD__M_POST, xbl_mpsd__handles_path,
                                 w.len, reserve);
    if (r != XBL_MPSD_OK) return r;
    xbl_mpsd__jw_async(&w, async);
    w.cap = async->buffer_size;
    xbl_mpsd__jw_invite(&w, async, session_reference, xuids[0], title_id, context_string_id, custom_activation_context);
    async->h.count = xuids_count;
    async->h.table_at = async->buffer_size;
    for (i = 0; i < xuids_count; i++) {
        XBL_MPSD_MEMCPY(async->buffer + async->h.table_at + i * sizeof(uint64_t), &xuids[i], sizeof(uint64_t));
        xbl_mpsd__invite_id(async, i)[0] = '\0';
    }
    xbl_mpsd__next_exchange(async, XBL_MPSD__M_POST, xbl_mpsd__handles_path, w.len);
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_send_invites_result_count(xbl_mpsd_async *async, size_t *handles_count)
{
    xbl_mpsd_result r;
    if (async == NULL || handles_count == NULL) return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__hresult_begin(async, XBL_MPSD__KIND_INVITES, XBL_MPSD__KIND_INVITES);
    if (r != XBL_MPSD__CONTINUE) return r;
    *handles_count = async->h.count;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_send_invites_result(xbl_mpsd_async *async, size_t handles_count, xbl_mpsd_invite_handle *handles)
{
    xbl_mpsd_result r;
    size_t i;
    if (async == NULL) return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__hresult_begin(async, XBL_MPSD__KIND_INVITES, XBL_MPSD__KIND_INVITES);
    if (r != XBL_MPSD__CONTINUE) return r;
    if (handles == NULL) return xbl_mpsd__htake(async);
    if (handles_count < async->h.count) return XBL_MPSD_E_OUTOFMEMORY;
    for (i = 0; i < async->h.count; i++)
        XBL_MPSD_MEMCPY(handles[i].data, xbl_mpsd__invite_id(async, i), XBL_MPSD_GUID_LENGTH);
    return xbl_mpsd__htake(async);
}

/* ---- activity queries ---- */

static xbl_mpsd_result xbl_mpsd__activities_for_group(xbl_mpsd_client *client, const char *scid, uint64_t owner,
        const char *group, uint32_t kind, xbl_mpsd_async *async)
{
    xbl_mpsd__jw w;
    xbl_mpsd_result r;
    if (client == NULL || async == NULL || !xbl_mpsd__scid_string_ok(scid) || owner == 0 || group == NULL
        || group[0] == '\0' || !xbl_mpsd__text_ok(group)) return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__can_start(client, async);
    if (r != XBL_MPSD_OK) return r;
    xbl_mpsd__jw_async(&w, async);
    xbl_mpsd__jw_activity_query(&w, scid);
    xbl_mpsd__jw_key(&w, "people");
    xbl_mpsd__jw_open(&w, '{');
    xbl_mpsd__jw_key_string(&w, "moniker", group);
    xbl_mpsd__jw_key(&w, "monikerXuid");
    xbl_mpsd__jw_xuid(&w, owner);
    xbl_mpsd__jw_close(&w, '}');
    xbl_mpsd__jw_close(&w, '}');
    xbl_mpsd__jw_close(&w, '}');
    return xbl_mpsd__start_exchange(async, client, kind, XBL_MPSD__M_POST, xbl_mpsd__activity_query_path, w.len);
}

xbl_mpsd_result xbl_mpsd_get_activities_for_social_group_async(xbl_mpsd_client *client, const char *scid,
        uint64_t social_group_owner_xuid, const char *social_group, xbl_mpsd_async *async)
{
    return xbl_mpsd__activities_for_group(client, scid, social_group_owner_xuid, social_group,
                                          XBL_MPSD__KIND_ACTIVITIES, async);
}

xbl_mpsd_result xbl_mpsd_get_activities_with_properties_for_social_group_async(xbl_mpsd_client *client,
        const char *scid, uint64_t social_group_owner_xuid, const char *social_group, xbl_mpsd_async *async)
{
    return xbl_mpsd__activities_for_group(client, scid, social_group_owner_xuid, social_group,
                                          XBL_MPSD__KIND_ACTIVITIES_PROPS, async);
}

xbl_mpsd_result xbl_mpsd_get_activities_for_users_async(xbl_mpsd_client *client, const char *scid,
        const uint64_t *xuids, size_t xuids_count, xbl_mpsd_async *async)
{
    return xbl_mpsd__activities_for_users(client, scid, xuids, xuids_count, XBL_MPSD__KIND_ACTIVITIES, async);
}

xbl_mpsd_result xbl_mpsd_get_activities_with_properties_for_users_async(xbl_mpsd_client *client, const char *scid,
        const uint64_t *xuids, size_t xuids_count, xbl_mpsd_async *async)
{
    return xbl_mpsd__activities_for_users(client, scid, xuids, xuids_count, XBL_MPSD__KIND_ACTIVITIES_PROPS, async);
}

xbl_mpsd_result xbl_mpsd_get_activities_for_social_group_result_count(xbl_mpsd_async *a, size_t *count)
{
    xbl_mpsd_result r;
    if (a == NULL || count == NULL) return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__hresult_begin(a, XBL_MPSD__KIND_ACTIVITIES, XBL_MPSD__KIND_ACTIVITIES);
    if (r != XBL_MPSD__CONTINUE) return r;
    *count = a->h.count;
    return XBL_MPSD_OK;
}

/* The second walk of the kept body into acts (texts into arena when given). */
static void xbl_mpsd__fill_activities(xbl_mpsd_async *a, xbl_mpsd_activity_details *acts, xbl_mpsd__arena *arena)
{
    size_t len;
    const char *body = xbl_mpsd__hbody(a, &len);
    xbl_mpsd__arena m;
    bool ok;
    xbl_mpsd__measure_arena(&m);
    ok = xbl_mpsd__rd_activity_list(xbl_mpsd__handles_reader(a), body, len, acts, arena ? arena : &m, arena != NULL);
    XBL_MPSD_ASSERT(ok);
    XBL_MPSD__UNUSED(ok);
}

xbl_mpsd_result xbl_mpsd_get_activities_for_social_group_result(xbl_mpsd_async *a, size_t count,
        xbl_mpsd_activity_details *acts)
{
    xbl_mpsd_result r;
    if (a == NULL) return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__hresult_begin(a, XBL_MPSD__KIND_ACTIVITIES, XBL_MPSD__KIND_ACTIVITIES);
    if (r != XBL_MPSD__CONTINUE) return r;
    if (acts == NULL) return xbl_mpsd__htake(a);
    if (count < a->h.count) return XBL_MPSD_E_OUTOFMEMORY;
    if (a->h.count > 0) xbl_mpsd__fill_activities(a, acts, NULL);
    return xbl_mpsd__htake(a);
}

xbl_mpsd_result xbl_mpsd_get_activities_with_properties_for_social_group_result_size(xbl_mpsd_async *a, size_t *size)
{
    xbl_mpsd_result r;
    if (a == NULL || size == NULL) return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__hresult_begin(a, XBL_MPSD__KIND_ACTIVITIES_PROPS, XBL_MPSD__KIND_ACTIVITIES_PROPS);
    if (r != XBL_MPSD__CONTINUE) return r;
    *size = a->h.size;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_get_activities_with_properties_for_social_group_result(xbl_mpsd_async *a,
        size_t buffer_size, void *buffer, xbl_mpsd_activity_details **out, size_t *out_count, size_t *buffer_used)
{
    xbl_mpsd__arena arena;
    xbl_mpsd_activity_details *acts;
    xbl_mpsd_result r;
    if (a == NULL || out == NULL || out_count == NULL || (buffer == NULL && buffer_size > 0))
        return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__hresult_begin(a, XBL_MPSD__KIND_ACTIVITIES_PROPS, XBL_MPSD__KIND_ACTIVITIES_PROPS);
    if (r != XBL_MPSD__CONTINUE) return r;
    if (buffer != NULL && buffer_size < a->h.size) {
        if (buffer_used != NULL) *buffer_used = a->h.size;
        return XBL_MPSD_E_OUTOFMEMORY;
    }
    *out = NULL;
    *out_count = 0;
    if (buffer_used != NULL) *buffer_used = 0;
    if (buffer == NULL || a->h.count == 0) return xbl_mpsd__htake(a);
    arena.base = (unsigned char *)buffer;
    arena.size = buffer_size;
    arena.used = 0;
    arena.measure = false;
    arena.failed = false;
    acts = XBL_MPSD__ALLOC_ARRAY(&arena, xbl_mpsd_activity_details, a->h.count);
    xbl_mpsd__fill_activities(a, acts, &arena);
    XBL_MPSD_ASSERT(!arena.failed);
    *out = acts;
    *out_count = a->h.count;
    if (buffer_used != NULL) *buffer_used = arena.used;
    return xbl_mpsd__htake(a);
}

/* The for-users and for-social-group result calls of one flavour are one
   function under two names: either takes either operation. */
xbl_mpsd_result xbl_mpsd_get_activities_for_users_result_count(xbl_mpsd_async *async, size_t *activity_count)
{
    return xbl_mpsd_get_activities_for_social_group_result_count(async, activity_count);
}

xbl_mpsd_result xbl_mpsd_get_activities_for_users_result(xbl_mpsd_async *async, size_t activity_count,
        xbl_mpsd_activity_details *activities)
{
    return xbl_mpsd_get_activities_for_social_group_result(async, activity_count, activities);
}

xbl_mpsd_result xbl_mpsd_get_activities_with_properties_for_users_result_size(xbl_mpsd_async *async,
        size_t *result_size_in_bytes)
{
    return xbl_mpsd_get_activities_with_properties_for_social_group_result_size(async, result_size_in_bytes);
}

xbl_mpsd_result xbl_mpsd_get_activities_with_properties_for_users_result(xbl_mpsd_async *async,
        size_t buffer_size, void *buffer, xbl_mpsd_activity_details **ptr_to_buffer, size_t *ptr_to_buffer_count,
        size_t *buffer_used)
{
    return xbl_mpsd_get_activities_with_properties_for_social_group_result(async, buffer_size, buffer, ptr_to_buffer,
                                                                         ptr_to_buffer_count, buffer_used);
}
#endif /* XBL_MPSD_NO_HANDLES */


#ifndef XBL_MPSD_NO_HANDLES
/* ===========================================================================
   Search handles and session queries
   The handle struct views the caller's buffer; getters hand out pointers
   into it. copy moves a handle's data (one contiguous, aligned range of the
   buffer, placed there by the reader) to a new buffer at the same
   alignment and relocates every pointer into it.
   =========================================================================== */

/* Buffer bytes a layout of `used` bytes needs at any address. */
static size_t xbl_mpsd__any_address(size_t used)
{
    return used == 0 ? 0 : used + XBL_MPSD__ALIGN - 1;
}

/* Byte equality of two NUL-terminated strings. */
static bool xbl_mpsd__str_same(const char *a, const char *b)
{
    size_t i = 0;
    for (; a[i] == b[i]; i++)
        if (a[i] == '\0') return true;
    return false;
}

static bool xbl_mpsd__sh_ok(const xbl_mpsd_search_handle *h)
{
    return h != NULL && h->filled;
}

xbl_mpsd_result xbl_mpsd_search_handle_get_session_reference(
    const xbl_mpsd_search_handle *handle, xbl_mpsd_session_reference *session_ref)
{
    if (!xbl_mpsd__sh_ok(handle) || session_ref == NULL) return XBL_MPSD_E_INVALIDARG;
    *session_ref = handle->session_reference;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_search_handle_get_id(const xbl_mpsd_search_handle *handle, const char **id)
{
    if (!xbl_mpsd__sh_ok(handle) || id == NULL) return XBL_MPSD_E_INVALIDARG;
    *id = handle->id;
    return XBL_MPSD_OK;
}

/* The array getters: *items and *count from a "pointer, then count" pair. */
#define XBL_MPSD__SH_LIST(handle, items, count, field, n)                          \
    do {                                                                        \
        if (!xbl_mpsd__sh_ok(handle) || (items) == NULL || (count) == NULL)     \
            return XBL_MPSD_E_INVALIDARG;                                       \
        *(items) = (handle)->field;                                             \
        *(count) = (handle)->n;                                                 \
        return XBL_MPSD_OK;                                                     \
    } while (0)

xbl_mpsd_result xbl_mpsd_search_handle_get_session_owner_xuids(
    const xbl_mpsd_search_handle *handle, const uint64_t **xuids, size_t *xuids_count)
{
    XBL_MPSD__SH_LIST(handle, xuids, xuids_count, owner_xuids, owner_xuids_count);
}

xbl_mpsd_result xbl_mpsd_search_handle_get_tags(
    const xbl_mpsd_search_handle *handle, const xbl_mpsd_session_tag **tags, size_t *tags_count)
{
    XBL_MPSD__SH_LIST(handle, tags, tags_count, tags, tags_count);
}

xbl_mpsd_result xbl_mpsd_search_handle_get_string_attributes(
    const xbl_mpsd_search_handle *handle, const xbl_mpsd_session_string_attribute **attributes,
    size_t *attributes_count)
{
    XBL_MPSD__SH_LIST(handle, attributes, attributes_count, strings, strings_count);
}

xbl_mpsd_result xbl_mpsd_search_handle_get_number_attributes(
    const xbl_mpsd_search_handle *handle, const xbl_mpsd_session_number_attribute **attributes,
    size_t *attributes_count)
{
    XBL_MPSD__SH_LIST(handle, attributes, attributes_count, numbers, numbers_count);
}

xbl_mpsd_result xbl_mpsd_search_handle_get_role_types(
    const xbl_mpsd_search_handle *handle, const xbl_mpsd_role_type **role_types, size_t *role_types_count)
{
    XBL_MPSD__SH_LIST(handle, role_types, role_types_count, role_types, role_types_count);
}

xbl_mpsd_result xbl_mpsd_search_handle_get_visibility(
    const xbl_mpsd_search_handle *handle, xbl_mpsd_session_visibility *visibility)
{
    if (!xbl_mpsd__sh_ok(handle) || visibility == NULL) return XBL_MPSD_E_INVALIDARG;
    *visibility = handle->visibility;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_search_handle_get_join_restriction(
    const xbl_mpsd_search_handle *handle, xbl_mpsd_session_restriction *join_restriction)
{
    if (!xbl_mpsd__sh_ok(handle) || join_restriction == NULL) return XBL_MPSD_E_INVALIDARG;
    *join_restriction = handle->join_restriction;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_search_handle_get_session_closed(const xbl_mpsd_search_handle *handle, bool *closed)
{
    if (!xbl_mpsd__sh_ok(handle) || closed == NULL) return XBL_MPSD_E_INVALIDARG;
    *closed = handle->closed;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_search_handle_get_member_counts(
    const xbl_mpsd_search_handle *handle, size_t *max_members, size_t *current_members)
{
    if (!xbl_mpsd__sh_ok(handle)) return XBL_MPSD_E_INVALIDARG;
    if (max_members != NULL) *max_members = handle->max_members_count;
    if (current_members != NULL) *current_members = handle->members_count;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_search_handle_get_creation_time(const xbl_mpsd_search_handle *handle, time_t *creation_time)
{
    if (!xbl_mpsd__sh_ok(handle) || creation_time == NULL) return XBL_MPSD_E_INVALIDARG;
    *creation_time = handle->creation_time;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_search_handle_get_custom_session_properties_json(
    const xbl_mpsd_search_handle *handle, const char **custom_properties_json)
{
    if (!xbl_mpsd__sh_ok(handle) || custom_properties_json == NULL) return XBL_MPSD_E_INVALIDARG;
    *custom_properties_json = handle->custom_properties_json;
    return XBL_MPSD_OK;
}

void xbl_mpsd_search_handle_clear(xbl_mpsd_search_handle *handle)
{
    if (handle != NULL) XBL_MPSD_MEMSET(handle, 0, sizeof *handle);
}

/* p moved from [from, from + len) to to; a pointer outside stays. */
static const void *xbl_mpsd__moved(const void *p, const unsigned char *from, size_t len, unsigned char *to)
{
    uintptr_t at = (uintptr_t)p, base = (uintptr_t)from;
    if (p == NULL || at < base || at - base >= len) return p;
    return to + (at - base);
}

/* The role types of h, already copied to `to`, pointed into it. */
static void xbl_mpsd__sh_move_roles(xbl_mpsd_search_handle *h, const unsigned char *from, size_t len,
        unsigned char *to)
{
    size_t t, k;
    xbl_mpsd_role_type *types = (xbl_mpsd_role_type *)(uintptr_t)xbl_mpsd__moved(h->role_types, from, len, to);
    h->role_types = types;
    for (t = 0; t < h->role_types_count; t++) {
        xbl_mpsd_role *roles = (xbl_mpsd_role *)(uintptr_t)xbl_mpsd__moved(types[t].roles, from, len, to);
        types[t].name = (const char *)xbl_mpsd__moved(types[t].name, from, len, to);
        types[t].roles = roles;
        for (k = 0; k < types[t].role_count; k++) {
            roles[k].name = (const char *)xbl_mpsd__moved(roles[k].name, from, len, to);
            roles[k].role_type = &types[t];
        }
    }
}

/* Points every field of h (data already copied to `to`) into the copy. */
static void xbl_mpsd__sh_move(xbl_mpsd_search_handle *h, unsigned char *to)
{
    const unsigned char *from = h->data;
    size_t len = h->data_len;
    h->owner_xuids = (const uint64_t *)xbl_mpsd__moved(h->owner_xuids, from, len, to);
    h->tags = (const xbl_mpsd_session_tag *)xbl_mpsd__moved(h->tags, from, len, to);
    h->strings = (const xbl_mpsd_session_string_attribute *)xbl_mpsd__moved(h->strings, from, len, to);
    h->numbers = (const xbl_mpsd_session_number_attribute *)xbl_mpsd__moved(h->numbers, from, len, to);
    h->custom_properties_json = (const char *)xbl_mpsd__moved(h->custom_properties_json, from, len, to);
    xbl_mpsd__sh_move_roles(h, from, len, to);
    h->data = len ? to : NULL;
}

xbl_mpsd_result xbl_mpsd_search_handle_copy(
    xbl_mpsd_search_handle *dst, const xbl_mpsd_search_handle *src,
    void *buffer, size_t buffer_size, size_t *buffer_used)
{
    unsigned char *b = (unsigned char *)buffer;
    size_t pad, len;
    uintptr_t lo, hi;
    xbl_mpsd_search_handle h;
    if (dst == NULL || !xbl_mpsd__sh_ok(src) || (buffer == NULL && buffer_size > 0)) return XBL_MPSD_E_INVALIDARG;
    len = src->data_len;
    lo = (uintptr_t)b;
    hi = lo + buffer_size;
    if (len > 0 && buffer_size > 0 && lo < (uintptr_t)src->data + len && (uintptr_t)src->data < hi)
        return XBL_MPSD_E_INVALIDARG;
    pad = (size_t)((XBL_MPSD__ALIGN - (lo & (XBL_MPSD__ALIGN - 1))) & (XBL_MPSD__ALIGN - 1));
    if (len > 0 && (buffer_size < pad || buffer_size - pad < len)) {
        if (buffer_used != NULL) *buffer_used = xbl_mpsd__any_address(len);
        return XBL_MPSD_E_OUTOFMEMORY;
    }
    h = *src;
    if (len > 0) {
        XBL_MPSD_MEMCPY(b + pad, src->data, len);
        xbl_mpsd__sh_move(&h, b + pad);
    }
    *dst = h;
    if (buffer_used != NULL) *buffer_used = len ? pad + len : 0;
    return XBL_MPSD_OK;
}

/* ---- search handles and session queries: requests and results ---- */

static const char xbl_mpsd__search_query_path[] = "/handles/query?include=relatedInfo,roleInfo,customProperties";

/* The first walk of a search handle body (count and size into a->h). */
static xbl_mpsd_result xbl_mpsd__search_check(xbl_mpsd_async *a, xbl_mpsd__rd *r, const char *body, size_t len)
{
    xbl_mpsd__arena m;
    xbl_mpsd__measure_arena(&m);
    if (!xbl_mpsd__rd_search(r, body, len, a->kind == XBL_MPSD__KIND_SEARCH_QUERY, NULL, &m) || m.failed)
        return XBL_MPSD_E_INVALID_JSON_STRING;
    a->h.count = r->h.count;
    a->h.size = xbl_mpsd__any_address(m.used);
    return XBL_MPSD_OK;
}

/* The first walk of a session query list (count into a->h). */
static xbl_mpsd_result xbl_mpsd__queries_check(xbl_mpsd_async *a, xbl_mpsd__rd *r, const char *body, size_t len)
{
    xbl_mpsd__arena m;
    xbl_mpsd__measure_arena(&m);
    if (!xbl_mpsd__rd_queries(r, body, len, NULL, &m)) return XBL_MPSD_E_INVALID_JSON_STRING;
    a->h.count = r->h.count;
    a->h.size = 0;
    return XBL_MPSD_OK;
}

/* The exact decimal value of a finite double: its 17 leading significant
   digits, correctly rounded (half to even), in `digits` with the power of
   ten of the last one in *exp10 (17 correctly rounded digits read back as
   the same double). The value M * 2^E is held as a number in base 10^9
   (M * 2^E, or M * 5^-E with E decimal places), at most 87 limbs. */
#define XBL_MPSD__BIG_LIMBS 90
typedef struct xbl_mpsd__big {
    uint32_t limb[XBL_MPSD__BIG_LIMBS];   /* base 10^9, least significant first */
    size_t   n;
} xbl_mpsd__big;

static void xbl_mpsd__big_mul(xbl_mpsd__big *b, uint32_t f)
{
    uint64_t carry = 0;
    size_t i;
    for (i = 0; i < b->n; i++) {
        uint64_t t = (uint64_t)b->limb[i] * f + carry;
        b->limb[i] = (uint32_t)(t % 1000000000u);
        carry = t / 1000000000u;
    }
    while (carry > 0 && b->n < XBL_MPSD__BIG_LIMBS) {
        b->limb[b->n++] = (uint32_t)(carry % 1000000000u);
        carry /= 1000000000u;
    }
}

/* b times base^count, in steps whose product stays below 2^63 per limb. */
static void xbl_mpsd__big_mul_pow(xbl_mpsd__big *b, uint32_t base, uint32_t step_pow, unsigned count)
{
    uint32_t step = 1, i;
    for (i = 0; i < step_pow; i++) step *= base;
    for (; count >= step_pow; count -= step_pow) xbl_mpsd__big_mul(b, step);
    for (; count > 0; count--) xbl_mpsd__big_mul(b, base);
}

/* The first `want` decimal digits of b into d (as numbers 0-9), how many
   digits b has, and whether any digit after them is non-zero. */
static size_t xbl_mpsd__big_digits(const xbl_mpsd__big *b, unsigned char *d, size_t want, bool *sticky)
{
    size_t i, got = 0, total = 0;
    *sticky = false;
    for (i = b->n; i-- > 0;) {
        char t[9];
        uint32_t v = b->limb[i];
        size_t k, len = 9;
        for (k = 9; k-- > 0; v /= 10) t[k] = (char)(v % 10);
        if (i == b->n - 1) { k = 0; while (k < 8 && t[k] == 0) k++; } else k = 0;
        for (; k < len; k++, total++) {
            if (got < want) d[got++] = (unsigned char)t[k];
            else if (t[k] != 0) *sticky = true;
        }
    }
    return total;
}

static void xbl_mpsd__double_digits(double v, unsigned char digits[17], int *exp10)
{
    xbl_mpsd__big b;
    uint64_t bits, m;
    int e, at, i;
    unsigned char d[18];
    bool sticky, up;
    size_t total;
    XBL_MPSD_MEMCPY(&bits, &v, sizeof bits);
    m = bits & (((uint64_t)1 << 52) - 1);
    e = (int)((bits >> 52) & 0x7FF);
    if (e == 0) e = 1; else m |= (uint64_t)1 << 52;
    e -= 1075;   /* v = m * 2^e */
    b.n = 0;
    while (m > 0) { b.limb[b.n++] = (uint32_t)(m % 1000000000u); m /= 1000000000u; }
    if (e >= 0) xbl_mpsd__big_mul_pow(&b, 2, 29, (unsigned)e);
    else xbl_mpsd__big_mul_pow(&b, 5, 12, (unsigned)-e);
    total = xbl_mpsd__big_digits(&b, d, 18, &sticky);
    /* v = digits * 10^(e<0 ? e : 0); keep 17, round half to even */
    at = (int)total - 17 + (e < 0 ? e : 0);
    up = total > 17 && (d[17] > 5 || (d[17] == 5 && (sticky || (d[16] & 1))));
    for (i = 0; i < 17; i++) digits[i] = i < (int)total ? d[i] : 0;
    if (total < 17) at = (e < 0 ? e : 0) - (17 - (int)total);
    for (i = 16; up && i >= 0; i--) {
        if (digits[i] < 9) { digits[i]++; up = false; }
        else digits[i] = 0;
    }
    if (up) {   /* 99...9 rounded to 100...0 */
        digits[0] = 1;
        at++;
    }
    *exp10 = at;
}

/* Number text that reads back as v: an integer, a decimal fraction of at
   most 17 digits when one is exact, else its 17 correctly rounded
   significant digits (at most 17 + "e-" + 3 + sign: 24 bytes). */
static size_t xbl_mpsd__double_text(double v, char out[32])
{
    size_t n = 0, k, len;
    uint64_t m;
    double a = v < 0 ? -v : v;
    char d[21];
    if (v < 0) out[n++] = '-';
    for (k = 0; k <= 17; k++) {   /* a * 10^k an integer below 2^53 that divides back exactly */
        double p = xbl_mpsd__pow10((unsigned)k);
        if (a * p < 9007199254740992.0 && (double)(uint64_t)(a * p) == a * p && (double)(uint64_t)(a * p) / p == a) break;
    }
    if (k > 17) {   /* no short exact form: 17 correctly rounded digits */
        unsigned char digits[17];
        int e10;
        size_t count = 17;
        xbl_mpsd__double_digits(a, digits, &e10);
        while (count > 1 && digits[count - 1] == 0) { count--; e10++; }
        for (k = 0; k < count; k++) out[n++] = (char)('0' + digits[k]);
        if (e10 != 0) {
            out[n++] = 'e';
            if (e10 < 0) { out[n++] = '-'; e10 = -e10; }
            n += xbl_mpsd__u64_to_dec((uint64_t)e10, out + n);
        }
        return n;
    }
    m = (uint64_t)(a * xbl_mpsd__pow10((unsigned)k));
    len = xbl_mpsd__u64_to_dec(m, d);
    if (k == 0) { XBL_MPSD_MEMCPY(out + n, d, len); return n + len; }
    if (len <= k) {   /* 0.000ddd */
        out[n++] = '0';
        out[n++] = '.';
        for (; len < k; k--) out[n++] = '0';
        XBL_MPSD_MEMCPY(out + n, d, len);
        return n + len;
    }
    XBL_MPSD_MEMCPY(out + n, d, len - k);
    n += len - k;
    out[n++] = '.';
    XBL_MPSD_MEMCPY(out + n, d + len - k, k);
    return n + k;
}

/* A search field: NUL inside its 100 bytes, valid UTF-8, non-empty when
   `nonempty`. */
static bool xbl_mpsd__search_field_ok(const char *s, bool nonempty)
{
    size_t n = xbl_mpsd__strnlen(s, XBL_MPSD_SEARCH_HANDLE_MAX_FIELD_LENGTH);
    return n < XBL_MPSD_SEARCH_HANDLE_MAX_FIELD_LENGTH && (n > 0 || !nonempty) && xbl_mpsd__utf8_valid(s, n);
}

/* Whether the names at `names` (count of them, `stride` bytes apart) are
   valid, non-empty and distinct (byte comparison). */
static bool xbl_mpsd__search_names_ok(const char *names, size_t count, size_t stride)
{
    size_t i, j;
    for (i = 0; i < count; i++) {
        if (!xbl_mpsd__search_field_ok(names + i * stride, true)) return false;
        for (j = 0; j < i; j++)
            if (xbl_mpsd__str_same(names + i * stride, names + j * stride)) return false;
    }
    return true;
}

static bool xbl_mpsd__search_attributes_ok(const xbl_mpsd_session_tag *tags, size_t tags_count,
        const xbl_mpsd_session_number_attribute *nums, size_t nums_count,
        const xbl_mpsd_session_string_attribute *strs, size_t strs_count)
{
    size_t i;
    if ((tags == NULL && tags_count) || (nums == NULL && nums_count) || (strs == NULL && strs_count)) return false;
    for (i = 0; i < tags_count; i++)
        if (!xbl_mpsd__search_field_ok(tags[i].value, true)) return false;
    for (i = 0; i < nums_count; i++)
        if (nums[i].value - nums[i].value != 0.0) return false;   /* inf or NaN */
    for (i = 0; i < strs_count; i++)
        if (!xbl_mpsd__search_field_ok(strs[i].value, false)) return false;
    return xbl_mpsd__search_names_ok(nums ? nums[0].name : NULL, nums_count, sizeof *nums)
        && xbl_mpsd__search_names_ok(strs ? strs[0].name : NULL, strs_count, sizeof *strs);
}

static void xbl_mpsd__jw_search_attributes(xbl_mpsd__jw *w, const xbl_mpsd_session_tag *tags, size_t tags_count,
        const xbl_mpsd_session_number_attribute *nums, size_t nums_count,
        const xbl_mpsd_session_string_attribute *strs, size_t strs_count)
{
    size_t i;
    if (tags_count + nums_count + strs_count == 0) return;
    xbl_mpsd__jw_key(w, "searchAttributes");
    xbl_mpsd__jw_open(w, '{');
    if (tags_count) {
        xbl_mpsd__jw_key(w, "tags");
        xbl_mpsd__jw_open(w, '[');
        for (i = 0; i < tags_count; i++) xbl_mpsd__jw_string(w, tags[i].value);
        xbl_mpsd__jw_close(w, ']');
    }
    if (nums_count) {
        xbl_mpsd__jw_key(w, "numbers");
        xbl_mpsd__jw_open(w, '{');
        for (i = 0; i < nums_count; i++) {
            char num[32];
            xbl_mpsd__jw_key(w, nums[i].name);
            xbl_mpsd__jw_raw(w, num, xbl_mpsd__double_text(nums[i].value, num));
        }
        xbl_mpsd__jw_close(w, '}');
    }
    if (strs_count) {
        xbl_mpsd__jw_key(w, "strings");
        xbl_mpsd__jw_open(w, '{');
        for (i = 0; i < strs_count; i++) xbl_mpsd__jw_key_string(w, strs[i].name, strs[i].value);
        xbl_mpsd__jw_close(w, '}');
    }
    xbl_mpsd__jw_close(w, '}');
}

xbl_mpsd_result xbl_mpsd_create_search_handle_async(
    xbl_mpsd_client *client, const xbl_mpsd_session_reference *session_ref,
    const xbl_mpsd_session_tag *tags, size_t tags_count,
    const xbl_mpsd_session_number_attribute *number_attributes, size_t number_attributes_count,
    const xbl_mpsd_session_string_attribute *string_attributes, size_t string_attributes_count,
    xbl_mpsd_async *async)
{
    xbl_mpsd__jw w;
    xbl_mpsd_result r;
    if (client == NULL || async == NULL || !xbl_mpsd_session_reference_is_valid(session_ref)
        || !xbl_mpsd__search_attributes_ok(tags, tags_count, number_attributes, number_attributes_count,
                                           string_attributes, string_attributes_count)) return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__can_start(client, async);
    if (r != XBL_MPSD_OK) return r;
    xbl_mpsd__jw_async(&w, async);
    xbl_mpsd__jw_open(&w, '{');
    xbl_mpsd__jw_key_string(&w, "type", "search");
    xbl_mpsd__jw_key_u64(&w, "version", 1);
    xbl_mpsd__jw_reference(&w, "sessionRef", session_ref);
    xbl_mpsd__jw_search_attributes(&w, tags, tags_count, number_attributes, number_attributes_count,
                                   string_attributes, string_attributes_count);
    xbl_mpsd__jw_close(&w, '}');
    return xbl_mpsd__start_exchange(async, client, XBL_MPSD__KIND_SEARCH_CREATE, XBL_MPSD__M_POST,
                                    xbl_mpsd__handles_path, w.len);
}

xbl_mpsd_result xbl_mpsd_delete_search_handle_async(
    xbl_mpsd_client *client, const char *handle_id, xbl_mpsd_async *async)
{
    char path[XBL_MPSD__PATH_CAP];
    xbl_mpsd__hw w;
    xbl_mpsd_result r;
    if (client == NULL || async == NULL || handle_id == NULL
        || !xbl_mpsd__path_segment_ok(handle_id, XBL_MPSD_GUID_LENGTH - 1)) return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__can_start(client, async);
    if (r != XBL_MPSD_OK) return r;
    w.buf = path; w.cap = sizeof path; w.len = 0;
    xbl_mpsd__hw_str(&w, "/handles/");
    xbl_mpsd__hw_str(&w, handle_id);
    xbl_mpsd__hw_put(&w, "", 1);
    return xbl_mpsd__start_exchange(async, client, XBL_MPSD__KIND_SEARCH_DELETE, XBL_MPSD__M_DELETE, path, 0);
}

/* An optional string argument: NULL or "" is none; otherwise valid UTF-8. */
static bool xbl_mpsd__opt_text_ok(const char *s)
{
    return s == NULL || s[0] == '\0' || xbl_mpsd__text_ok(s);
}

xbl_mpsd_result xbl_mpsd_get_search_handles_async(
    xbl_mpsd_client *client, const char *scid, const char *session_template_name,
    const char *order_by_attribute, bool order_ascending,
    const char *search_filter, const char *social_group, xbl_mpsd_async *async)
{
    xbl_mpsd__jw w;
    xbl_mpsd_result r;
    if (client == NULL || async == NULL || !xbl_mpsd__scid_string_ok(scid) || session_template_name == NULL
        || session_template_name[0] == '\0' || !xbl_mpsd__text_ok(session_template_name)
        || !xbl_mpsd__opt_text_ok(order_by_attribute) || !xbl_mpsd__opt_text_ok(search_filter)
        || !xbl_mpsd__opt_text_ok(social_group)) return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__can_start(client, async);
    if (r != XBL_MPSD_OK) return r;
    xbl_mpsd__jw_async(&w, async);
    xbl_mpsd__jw_open(&w, '{');
    xbl_mpsd__jw_key_string(&w, "type", "search");
    xbl_mpsd__jw_key_string(&w, "scid", scid);
    xbl_mpsd__jw_key_string(&w, "templateName", session_template_name);
    xbl_mpsd__jw_key_bool(&w, "global", true);
    if (search_filter != NULL && search_filter[0] != '\0') xbl_mpsd__jw_key_string(&w, "filter", search_filter);
    if (order_by_attribute != NULL && order_by_attribute[0] != '\0') {
        xbl_mpsd__jw_key(&w, "orderBy");
        xbl_mpsd__jw_before_value(&w);
        xbl_mpsd__jw_put(&w, "\"", 1);
        xbl_mpsd__jw_string_body(&w, order_by_attribute, xbl_mpsd__strlen(order_by_attribute));
        xbl_mpsd__jw_put(&w, order_ascending ? " asc\"" : " desc\"", order_ascending ? 5 : 6);
    }
    if (social_group != NULL && social_group[0] != '\0') {
        xbl_mpsd__jw_key(&w, "sessionMembers");
        xbl_mpsd__jw_open(&w, '{');
        xbl_mpsd__jw_key(&w, "people");
        xbl_mpsd__jw_open(&w, '{');
        xbl_mpsd__jw_key_string(&w, "moniker", social_group);
        xbl_mpsd__jw_key(&w, "monikerXuid");
        xbl_mpsd__jw_xuid(&w, client->config.xuid);
        xbl_mpsd__jw_close(&w, '}');
        xbl_mpsd__jw_close(&w, '}');
    }
    xbl_mpsd__jw_close(&w, '}');
    return xbl_mpsd__start_exchange(async, client, XBL_MPSD__KIND_SEARCH_QUERY, XBL_MPSD__M_POST,
                                    xbl_mpsd__search_query_path, w.len);
}

/* The keyword, percent-encoded: every byte outside A-Z a-z 0-9 - . _ ~. */
static void xbl_mpsd__hw_percent(xbl_mpsd__hw *w, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char e[3];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
            || c == '_' || c == '~') { xbl_mpsd__hw_put(w, s, 1); continue; }
        e[0] = '%'; e[1] = hex[c >> 4]; e[2] = hex[c & 15];
        xbl_mpsd__hw_put(w, e, 3);
    }
}

/* One query parameter: ? before the first, & after. */
static void xbl_mpsd__hw_param(xbl_mpsd__hw *w, bool *first, const char *name)
{
    xbl_mpsd__hw_put(w, *first ? "?" : "&", 1);
    *first = false;
    xbl_mpsd__hw_str(w, name);
    xbl_mpsd__hw_put(w, "=", 1);
}

static bool xbl_mpsd__query_ok(const xbl_mpsd_session_query *q)
{
    size_t t = xbl_mpsd__strnlen(q->session_template_name_filter, sizeof q->session_template_name_filter);
    bool has_xuids = q->xuid_filters_count > 0, has_keyword = q->keyword_filter != NULL && q->keyword_filter[0];
    if (xbl_mpsd__strnlen(q->scid, sizeof q->scid) >= sizeof q->scid
        || !xbl_mpsd__path_segment_ok(q->scid, XBL_MPSD_SCID_LENGTH - 1)) return false;
    if (t >= sizeof q->session_template_name_filter
        || (t > 0 && !xbl_mpsd__path_segment_ok(q->session_template_name_filter, t))) return false;
    if (has_xuids && !xbl_mpsd__xuids_ok(q->xuid_filters, q->xuid_filters_count)) return false;
    if (!has_xuids && !has_keyword) return false;
    if (!has_xuids && (q->include_reservations || q->include_inactive_sessions)) return false;
    if (has_keyword && !xbl_mpsd__text_ok(q->keyword_filter)) return false;
    return (uint32_t)q->visibility_filter >= 1u && (uint32_t)q->visibility_filter <= 5u;
}

/* The query's path with its parameters, in XSAPI's order. */
static void xbl_mpsd__query_path(xbl_mpsd__hw *w, const xbl_mpsd_session_query *q)
{
    static const char *const vis[6] = { "", "", "private", "visible", "full", "open" };
    bool first = true;
    xbl_mpsd__hw_str(w, "/serviceconfigs/");
    xbl_mpsd__hw_str(w, q->scid);
    if (q->session_template_name_filter[0]) {
        xbl_mpsd__hw_str(w, "/sessiontemplates/");
        xbl_mpsd__hw_str(w, q->session_template_name_filter);
    }
    xbl_mpsd__hw_str(w, q->xuid_filters_count >= 2 ? "/batch" : "/sessions");
    if (q->xuid_filters_count == 1) { xbl_mpsd__hw_param(w, &first, "xuid"); xbl_mpsd__hw_u64(w, q->xuid_filters[0]); }
    if (q->keyword_filter != NULL && q->keyword_filter[0]) {
        xbl_mpsd__hw_param(w, &first, "keyword");
        xbl_mpsd__hw_percent(w, q->keyword_filter);
    }
    if (q->visibility_filter != XBL_MPSD_SESSION_VISIBILITY_ANY) {
        xbl_mpsd__hw_param(w, &first, "visibility");
        xbl_mpsd__hw_str(w, vis[q->visibility_filter]);
    }
    if (q->contract_version_filter) { xbl_mpsd__hw_param(w, &first, "version"); xbl_mpsd__hw_u64(w, q->contract_version_filter); }
    if (q->include_private_sessions) { xbl_mpsd__hw_param(w, &first, "private"); xbl_mpsd__hw_str(w, "true"); }
    if (q->include_reservations) { xbl_mpsd__hw_param(w, &first, "reservations"); xbl_mpsd__hw_str(w, "true"); }
    if (q->include_inactive_sessions) { xbl_mpsd__hw_param(w, &first, "inactive"); xbl_mpsd__hw_str(w, "true"); }
    if (q->max_items) { xbl_mpsd__hw_param(w, &first, "take"); xbl_mpsd__hw_u64(w, q->max_items); }
    xbl_mpsd__hw_put(w, "", 1);
}

xbl_mpsd_result xbl_mpsd_query_sessions_async(
    xbl_mpsd_client *client, const xbl_mpsd_session_query *session_query, xbl_mpsd_async *async)
{
    char path[XBL_MPSD__PATH_CAP];
    xbl_mpsd__hw pw;
    xbl_mpsd__jw w;
    xbl_mpsd_result r;
    size_t i;
    if (client == NULL || async == NULL || session_query == NULL || !xbl_mpsd__query_ok(session_query))
        return XBL_MPSD_E_INVALIDARG;
    pw.buf = path; pw.cap = sizeof path; pw.len = 0;
    xbl_mpsd__query_path(&pw, session_query);
    if (pw.len > sizeof path) return XBL_MPSD_E_INVALIDARG;   /* a keyword too long for any request line */
    r = xbl_mpsd__can_start(client, async);
    if (r != XBL_MPSD_OK) return r;
    if (session_query->xuid_filters_count < 2)
        return xbl_mpsd__start_exchange(async, client, XBL_MPSD__KIND_QUERY_SESSIONS, XBL_MPSD__M_GET, path, 0);
    xbl_mpsd__jw_async(&w, async);
    xbl_mpsd__jw_open(&w, '{');
    xbl_mpsd__jw_key(&w, "xuids");
    xbl_mpsd__jw_open(&w, '[');
    for (i = 0; i < session_query->xuid_filters_count; i++) xbl_mpsd__jw_xuid(&w, session_query->xuid_filters[i]);
    xbl_mpsd__jw_close(&w, ']');
    xbl_mpsd__jw_close(&w, '}');
    return xbl_mpsd__start_exchange(async, client, XBL_MPSD__KIND_QUERY_SESSIONS, XBL_MPSD__M_POST, path, w.len);
}

static xbl_mpsd_result xbl_mpsd__hvalue(xbl_mpsd_async *a, uint32_t kind, size_t *out, bool size)
{
    xbl_mpsd_result r;
    if (a == NULL || out == NULL) return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__hresult_begin(a, kind, kind);
    if (r != XBL_MPSD__CONTINUE) return r;
    *out = size ? a->h.size : a->h.count;
    return XBL_MPSD_OK;
}

/* The second walk of a search body into shs (count of them), data in buffer. */
static xbl_mpsd_result xbl_mpsd__search_result(xbl_mpsd_async *a, uint32_t kind, xbl_mpsd_search_handle *shs,
        size_t count, void *buffer, size_t buffer_size, size_t *buffer_used)
{
    xbl_mpsd__arena arena;
    unsigned char *b = (unsigned char *)buffer;
    size_t len, pad = (size_t)((XBL_MPSD__ALIGN - ((uintptr_t)b & (XBL_MPSD__ALIGN - 1))) & (XBL_MPSD__ALIGN - 1));
    const char *body;
    xbl_mpsd_result r;
    if (a == NULL || (buffer == NULL && buffer_size > 0)) return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__hresult_begin(a, kind, kind);
    if (r != XBL_MPSD__CONTINUE) return r;
    if (shs == NULL) return xbl_mpsd__htake(a);
    if (count < a->h.count || buffer_size < a->h.size) {
        if (buffer_used != NULL) *buffer_used = a->h.size;
        return XBL_MPSD_E_OUTOFMEMORY;
    }
    if (a->h.size == 0) { b = a->buffer; pad = 0; buffer_size = 0; }   /* nothing to place */
    arena.base = b + pad;
    arena.size = buffer_size - pad;
    arena.used = 0;
    arena.measure = false;
    arena.failed = false;
    body = xbl_mpsd__hbody(a, &len);
    if (a->h.count > 0) {
        bool ok = xbl_mpsd__rd_search(xbl_mpsd__handles_reader(a), body, len, kind == XBL_MPSD__KIND_SEARCH_QUERY, shs, &arena);
        XBL_MPSD_ASSERT(ok && !arena.failed);
        XBL_MPSD__UNUSED(ok);
    }
    if (buffer_used != NULL) *buffer_used = arena.used ? pad + arena.used : 0;
    return xbl_mpsd__htake(a);
}

xbl_mpsd_result xbl_mpsd_create_search_handle_result_size(xbl_mpsd_async *async, size_t *result_size_in_bytes)
{
    return xbl_mpsd__hvalue(async, XBL_MPSD__KIND_SEARCH_CREATE, result_size_in_bytes, true);
}

xbl_mpsd_result xbl_mpsd_create_search_handle_result(
    xbl_mpsd_async *async, xbl_mpsd_search_handle *handle,
    void *buffer, size_t buffer_size, size_t *buffer_used)
{
    return xbl_mpsd__search_result(async, XBL_MPSD__KIND_SEARCH_CREATE, handle, 1, buffer, buffer_size, buffer_used);
}

xbl_mpsd_result xbl_mpsd_get_search_handles_result_count(xbl_mpsd_async *async, size_t *search_handle_count)
{
    return xbl_mpsd__hvalue(async, XBL_MPSD__KIND_SEARCH_QUERY, search_handle_count, false);
}

xbl_mpsd_result xbl_mpsd_get_search_handles_result_size(xbl_mpsd_async *async, size_t *result_size_in_bytes)
{
    return xbl_mpsd__hvalue(async, XBL_MPSD__KIND_SEARCH_QUERY, result_size_in_bytes, true);
}

xbl_mpsd_result xbl_mpsd_get_search_handles_result(
    xbl_mpsd_async *async, xbl_mpsd_search_handle *search_handles, size_t search_handles_count,
    void *buffer, size_t buffer_size, size_t *buffer_used)
{
    return xbl_mpsd__search_result(async, XBL_MPSD__KIND_SEARCH_QUERY, search_handles, search_handles_count,
                                   buffer, buffer_size, buffer_used);
}

xbl_mpsd_result xbl_mpsd_query_sessions_result_count(xbl_mpsd_async *async, size_t *session_count)
{
    return xbl_mpsd__hvalue(async, XBL_MPSD__KIND_QUERY_SESSIONS, session_count, false);
}

xbl_mpsd_result xbl_mpsd_query_sessions_result(
    xbl_mpsd_async *async, size_t session_count, xbl_mpsd_session_query_result *sessions)
{
    xbl_mpsd__arena m;
    size_t len;
    xbl_mpsd_result r;
    if (async == NULL) return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd__hresult_begin(async, XBL_MPSD__KIND_QUERY_SESSIONS, XBL_MPSD__KIND_QUERY_SESSIONS);
    if (r != XBL_MPSD__CONTINUE) return r;
    if (sessions == NULL) return xbl_mpsd__htake(async);
    if (session_count < async->h.count) return XBL_MPSD_E_OUTOFMEMORY;
    if (async->h.count > 0) {
        const char *body = xbl_mpsd__hbody(async, &len);
        bool ok;
        xbl_mpsd__measure_arena(&m);
        ok = xbl_mpsd__rd_queries(xbl_mpsd__handles_reader(async), body, len, sessions, &m);
        XBL_MPSD_ASSERT(ok);
        XBL_MPSD__UNUSED(ok);
    }
    return xbl_mpsd__htake(async);
}
#endif /* XBL_MPSD_NO_HANDLES */

#ifndef XBL_MPSD_NO_RTA
/* ===========================================================================
   WebSocket client (RFC 6455 subset)
   AUTH (token callback) -> CONNECT -> HS_SEND (the upgrade request) ->
   HS_RECV (the 101 head, line by line) -> OPEN (frames both ways) and then
   one of CLOSING (we sent close), PEER_CLOSED (the server did) or FAILING
   (a broken rule: our close frame goes out, nothing is awaited) -> DONE.
   Buffer while open: [message being assembled, max_message_bytes] ...
   [reserve: control payload in | pong payload | frame out | bytes in].
   During the handshake the whole buffer holds the request, then the head.
   =========================================================================== */

#define XBL_MPSD__WS_IDLE        0u
#define XBL_MPSD__WS_AUTH        1u
#define XBL_MPSD__WS_CONNECT     2u
#define XBL_MPSD__WS_HS_SEND     3u
#define XBL_MPSD__WS_HS_RECV     4u
#define XBL_MPSD__WS_OPEN        5u
#define XBL_MPSD__WS_CLOSING     6u
#define XBL_MPSD__WS_PEER_CLOSED 7u
#define XBL_MPSD__WS_FAILING     8u
#define XBL_MPSD__WS_DONE        9u

#define XBL_MPSD__WF_CLOSE_QUEUED 0x0001u   /* a close frame goes out once the slot is free */
#define XBL_MPSD__WF_CLOSE_SENT   0x0002u   /* our close frame is in the slot or out: nothing more */
#define XBL_MPSD__WF_PONG         0x0004u   /* a pong waits */
#define XBL_MPSD__WF_PING_OUT     0x0008u   /* keepalive ping sent, no frame since */
#define XBL_MPSD__WF_MSG_OPEN     0x0010u   /* a fragmented message is being assembled */
#define XBL_MPSD__WF_PEER_CLOSE   0x0020u   /* the server's close frame arrived while CLOSING */
#define XBL_MPSD__WF_HS_STATUS    0x0100u   /* handshake: status line read */
#define XBL_MPSD__WF_HS_UPGRADE   0x0200u
#define XBL_MPSD__WF_HS_CONN      0x0400u
#define XBL_MPSD__WF_HS_ACCEPT    0x0800u   /* a Sec-WebSocket-Accept was seen */
#define XBL_MPSD__WF_HS_ACCEPT_OK 0x1000u
#define XBL_MPSD__WF_HS_PROTO     0x2000u   /* a Sec-WebSocket-Protocol was seen */
#define XBL_MPSD__WF_HS_BAD       0x4000u   /* a repeated or unwanted field */

#define XBL_MPSD__WS_RX_B0       0u
#define XBL_MPSD__WS_RX_B1       1u
#define XBL_MPSD__WS_RX_EXT16    2u
#define XBL_MPSD__WS_RX_EXT64    3u
#define XBL_MPSD__WS_RX_PAYLOAD  4u

#define XBL_MPSD__WS_OP_CONT   0x0u
#define XBL_MPSD__WS_OP_TEXT   0x1u
#define XBL_MPSD__WS_OP_BINARY 0x2u
#define XBL_MPSD__WS_OP_CLOSE  0x8u
#define XBL_MPSD__WS_OP_PING   0x9u
#define XBL_MPSD__WS_OP_PONG   0xAu

/* offsets in the reserve at the buffer's end */
#define XBL_MPSD__WS_CTRL_AT   0u      /* 125: payload of the control frame being read */
#define XBL_MPSD__WS_PONG_AT   128u    /* 125: payload of the pong waiting */
#define XBL_MPSD__WS_OUT_AT    256u    /* frame going out: 8 header bytes + XBL_MPSD_WS_MAX_SEND_BYTES */
#define XBL_MPSD__WS_STAGE_AT  640u    /* bytes received, not yet parsed */
#define XBL_MPSD__WS_STAGE_CAP (XBL_MPSD_RTA_BUFFER_RESERVE - XBL_MPSD__WS_STAGE_AT)

static const char xbl_mpsd__ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* ---- SHA-1 (FIPS 180-4), for Sec-WebSocket-Accept only --------------- */

static uint32_t xbl_mpsd__rol32(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32u - n));
}

static void xbl_mpsd__sha1_block(uint32_t h[5], const unsigned char *p)
{
    /* the message schedule as a 16-word ring: 64 bytes of stack, not 320 */
    uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f, k;
    size_t i;
    for (i = 0; i < 16; i++)
        w[i] = ((uint32_t)p[4 * i] << 24) | ((uint32_t)p[4 * i + 1] << 16) | ((uint32_t)p[4 * i + 2] << 8) | p[4 * i + 3];
    for (i = 0; i < 80; i++) {
        uint32_t t;
        if (i >= 16)
            w[i & 15u] = xbl_mpsd__rol32(w[(i - 3) & 15u] ^ w[(i - 8) & 15u] ^ w[(i - 14) & 15u] ^ w[i & 15u], 1);
        if (i < 20) { f = (b & c) | (~b & d); k = UINT32_C(0x5A827999); }
        else if (i < 40) { f = b ^ c ^ d; k = UINT32_C(0x6ED9EBA1); }
        else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = UINT32_C(0x8F1BBCDC); }
        else { f = b ^ c ^ d; k = UINT32_C(0xCA62C1D6); }
        t = xbl_mpsd__rol32(a, 5) + f + e + k + w[i & 15u];
        e = d; d = c; c = xbl_mpsd__rol32(b, 30); b = a; a = t;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
}

static void xbl_mpsd__sha1(const unsigned char *data, size_t n, unsigned char out[20])
{
    uint32_t h[5] = { UINT32_C(0x67452301), UINT32_C(0xEFCDAB89), UINT32_C(0x98BADCFE),
                      UINT32_C(0x10325476), UINT32_C(0xC3D2E1F0) };
    unsigned char last[128];
    size_t full = n - n % 64, rest = n % 64, tail = rest < 56 ? 64 : 128, i;
    uint64_t bits = (uint64_t)n * 8u;
    for (i = 0; i < full; i += 64) xbl_mpsd__sha1_block(h, data + i);
    XBL_MPSD_MEMSET(last, 0, sizeof last);
    if (rest) XBL_MPSD_MEMCPY(last, data + full, rest);
    last[rest] = 0x80;
    for (i = 0; i < 8; i++) last[tail - 1 - i] = (unsigned char)(bits >> (8 * i));
    xbl_mpsd__sha1_block(h, last);
    if (tail == 128) xbl_mpsd__sha1_block(h, last + 64);
    for (i = 0; i < 20; i++) out[i] = (unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
}

/* ---- small helpers ------------------------------------------------------ */

static unsigned char *xbl_mpsd__ws_reserve(const xbl_mpsd_ws *ws)
{
    return ws->buffer + ws->buffer_size - XBL_MPSD_RTA_BUFFER_RESERVE;
}

static uint32_t xbl_mpsd__ws_now(const xbl_mpsd_ws *ws)
{
    return ws->port.now_ms(ws->port.ctx);
}

/* The caller's source, or a mix of the XUID, the object's address, the
   clock and a counter: unique, but guessable. */
static void xbl_mpsd__ws_random(xbl_mpsd_ws *ws, unsigned char *out, size_t len)
{
    uint64_t z = 0;
    size_t i;
    if (ws->config.random != NULL) { ws->config.random(ws->config.random_user, out, len); return; }
    for (i = 0; i < len; i++) {
        if (i % 8 == 0)
            z = xbl_mpsd__mix64(ws->config.client->config.xuid ^ (uint64_t)(uintptr_t)ws
                                ^ ((uint64_t)(++ws->random_counter) << 32) ^ xbl_mpsd__ws_now(ws));
        out[i] = (unsigned char)(z >> (8 * (i % 8)));
    }
}

/* Close codes a close frame may carry (RFC 6455 §7.4, IANA registry). */
static bool xbl_mpsd__ws_close_code_ok(unsigned code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/* Host and path: non-empty, nothing that would end the request line or a header. */
static bool xbl_mpsd__ws_field_ok(const char *s)
{
    size_t i;
    if (s == NULL || s[0] == '\0' || !xbl_mpsd__header_safe(s)) return false;
    for (i = 0; s[i]; i++)
        if (s[i] == ' ') return false;
    return true;
}

/* ---- frames out --------------------------------------------------------- */

/* One masked frame with FIN set into the empty out slot, a fresh key each. */
static void xbl_mpsd__ws_build(xbl_mpsd_ws *ws, unsigned opcode, const unsigned char *payload, size_t len)
{
    unsigned char *out = xbl_mpsd__ws_reserve(ws) + XBL_MPSD__WS_OUT_AT, mask[4];
    size_t h = 0, i;
    out[h++] = (unsigned char)(0x80u | opcode);
    if (len < 126) out[h++] = (unsigned char)(0x80u | len);
    else { out[h++] = 0x80u | 126u; out[h++] = (unsigned char)(len >> 8); out[h++] = (unsigned char)(len & 0xFFu); }
    xbl_mpsd__ws_random(ws, mask, 4);
    XBL_MPSD_MEMCPY(out + h, mask, 4);
    h += 4;
    for (i = 0; i < len; i++) out[h + i] = (unsigned char)(payload[i] ^ mask[i & 3]);
    ws->out_len = h + len;
    ws->out_sent = 0;
}

/* The close frame goes out after the frame in the slot (which the caller
   was told is queued, and which may be partly out already: finishing it
   keeps the bytes sent the same however far it got) and a pong still owed. */
static void xbl_mpsd__ws_queue_close(xbl_mpsd_ws *ws)
{
    if (ws->flags & XBL_MPSD__WF_CLOSE_SENT) return;
    ws->flags |= XBL_MPSD__WF_CLOSE_QUEUED;
}

static bool xbl_mpsd__ws_ping_due(xbl_mpsd_ws *ws)
{
    return ws->phase == XBL_MPSD__WS_OPEN && ws->config.ping_interval_ms > 0
        && !(ws->flags & XBL_MPSD__WF_PING_OUT)
        && xbl_mpsd__ms_passed(xbl_mpsd__ws_now(ws), ws->rx_ms, ws->config.ping_interval_ms);
}

/* Fills the free out slot: a pong owed for a ping read earlier, then a
   queued close, then a keepalive ping. Answering pings read before a
   failure keeps the bytes sent the same for any split of the stream. */
static void xbl_mpsd__ws_fill_out(xbl_mpsd_ws *ws)
{
    if (ws->out_len != 0) return;
    if ((ws->flags & XBL_MPSD__WF_PONG) && !(ws->flags & XBL_MPSD__WF_CLOSE_SENT)) {
        xbl_mpsd__ws_build(ws, XBL_MPSD__WS_OP_PONG, xbl_mpsd__ws_reserve(ws) + XBL_MPSD__WS_PONG_AT, ws->pong_len);
        ws->flags &= ~XBL_MPSD__WF_PONG;
    } else if (ws->flags & XBL_MPSD__WF_CLOSE_QUEUED) {
        unsigned char code[2];
        code[0] = (unsigned char)(ws->send_code >> 8);
        code[1] = (unsigned char)(ws->send_code & 0xFFu);
        xbl_mpsd__ws_build(ws, XBL_MPSD__WS_OP_CLOSE, code, ws->send_code ? 2u : 0u);
        ws->flags = (ws->flags & ~XBL_MPSD__WF_CLOSE_QUEUED) | XBL_MPSD__WF_CLOSE_SENT;
    } else if (!(ws->flags & XBL_MPSD__WF_CLOSE_SENT) && xbl_mpsd__ws_ping_due(ws)) {
        unsigned char payload[4];
        xbl_mpsd__ws_random(ws, payload, sizeof payload);
        xbl_mpsd__ws_build(ws, XBL_MPSD__WS_OP_PING, payload, sizeof payload);
        ws->flags |= XBL_MPSD__WF_PING_OUT;
        ws->rx_ms = xbl_mpsd__ws_now(ws);
    }
}

/* CONTINUE when bytes went out, PENDING when nothing could, else the port's error. */
static xbl_mpsd_result xbl_mpsd__ws_send_some(xbl_mpsd_ws *ws)
{
    const unsigned char *out = xbl_mpsd__ws_reserve(ws) + XBL_MPSD__WS_OUT_AT;
    size_t len;
    int32_t n;
    xbl_mpsd__ws_fill_out(ws);
    if (ws->out_len == 0) return XBL_MPSD_PENDING;
    len = ws->out_len - ws->out_sent;
    n = ws->port.send(ws->port.ctx, out + ws->out_sent, len);
    if (n == XBL_MPSD_E_WOULD_BLOCK) return XBL_MPSD_PENDING;
    if (n < 0) return n;
    if (n == 0 || (size_t)n > len) return XBL_MPSD_E_IO;   /* the port broke its contract */
    ws->out_sent += (size_t)n;
    if (ws->out_sent == ws->out_len) ws->out_len = ws->out_sent = 0;
    return XBL_MPSD__CONTINUE;
}

/* ---- endings ------------------------------------------------------------ */

static xbl_mpsd_result xbl_mpsd__ws_end(xbl_mpsd_ws *ws, xbl_mpsd_result result, uint16_t code,
                                        xbl_mpsd_ws_event *ev)
{
    if (ws->phase <= XBL_MPSD__WS_HS_SEND) XBL_MPSD_MEMSET(ws->buffer, 0, ws->buffer_size);   /* tokens */
    ws->port.close(ws->port.ctx);
    ws->phase = XBL_MPSD__WS_DONE;
    ws->result = result;
    ws->close_code = code;
    ev->type = XBL_MPSD_WS_EVENT_CLOSED;
    ev->result = result;
    ev->close_code = code;
    ev->retry_after = ws->retry_after;
    return XBL_MPSD_OK;
}

/* Failing the connection (RFC 6455 §7.1.7): our close frame with the code,
   no answer awaited. A close already started keeps its code (it may be
   out already), so the outcome does not depend on how far it got. */
static xbl_mpsd_result xbl_mpsd__ws_fail(xbl_mpsd_ws *ws, xbl_mpsd_result why, uint16_t code)
{
    if (!(ws->flags & (XBL_MPSD__WF_CLOSE_SENT | XBL_MPSD__WF_CLOSE_QUEUED))) ws->send_code = code;
    ws->result = why;
    ws->close_code = ws->send_code;
    ws->phase = XBL_MPSD__WS_FAILING;
    ws->start_ms = xbl_mpsd__ws_now(ws);
    xbl_mpsd__ws_queue_close(ws);
    return XBL_MPSD__CONTINUE;
}

/* The port ended or broke. Open: 1006, no close frame seen. Otherwise the
   close under way ends with the result it planned. */
static xbl_mpsd_result xbl_mpsd__ws_lost(xbl_mpsd_ws *ws, xbl_mpsd_result r, xbl_mpsd_ws_event *ev)
{
    if (ws->phase == XBL_MPSD__WS_OPEN)
        return xbl_mpsd__ws_end(ws, r == XBL_MPSD_E_EOF ? XBL_MPSD_E_CONNECTION_CLOSED : r, 1006, ev);
    return xbl_mpsd__ws_end(ws, ws->result, ws->close_code, ev);
}

/* ---- frames in ---------------------------------------------------------- */

static bool xbl_mpsd__ws_reading(const xbl_mpsd_ws *ws)
{
    return ws->phase == XBL_MPSD__WS_OPEN
        || (ws->phase == XBL_MPSD__WS_CLOSING && !(ws->flags & XBL_MPSD__WF_PEER_CLOSE));
}

static xbl_mpsd_result xbl_mpsd__ws_peer_close(xbl_mpsd_ws *ws)
{
    const unsigned char *p = xbl_mpsd__ws_reserve(ws) + XBL_MPSD__WS_CTRL_AT;
    size_t n = ws->ctrl_len;
    unsigned code = 1005;   /* "no status code was present" */
    if (n == 1) return xbl_mpsd__ws_fail(ws, XBL_MPSD_E_WS_PROTOCOL, 1002);
    if (n >= 2) {
        code = ((unsigned)p[0] << 8) | p[1];
        if (!xbl_mpsd__ws_close_code_ok(code)) return xbl_mpsd__ws_fail(ws, XBL_MPSD_E_WS_PROTOCOL, 1002);
        if (!xbl_mpsd__utf8_valid((const char *)p + 2, n - 2)) return xbl_mpsd__ws_fail(ws, XBL_MPSD_E_WS_PROTOCOL, 1007);
    }
    if (ws->phase == XBL_MPSD__WS_CLOSING) { ws->flags |= XBL_MPSD__WF_PEER_CLOSE; return XBL_MPSD__CONTINUE; }
    /* echo the code (an empty close for an empty one), then wait for TCP's end */
    ws->result = XBL_MPSD_E_WS_CLOSED;
    ws->close_code = (uint16_t)code;
    ws->send_code = (uint16_t)(n >= 2 ? code : 0);
    ws->phase = XBL_MPSD__WS_PEER_CLOSED;
    ws->start_ms = xbl_mpsd__ws_now(ws);
    xbl_mpsd__ws_queue_close(ws);
    return XBL_MPSD__CONTINUE;
}

static xbl_mpsd_result xbl_mpsd__ws_frame_end(xbl_mpsd_ws *ws, xbl_mpsd_ws_event *ev)
{
    unsigned op = ws->opcode & 0x0Fu;
    size_t len;
    ws->rx_state = XBL_MPSD__WS_RX_B0;
    ws->flags &= ~XBL_MPSD__WF_PING_OUT;
    if (ws->config.ping_interval_ms > 0) ws->rx_ms = xbl_mpsd__ws_now(ws);
    if (op == XBL_MPSD__WS_OP_CLOSE) return xbl_mpsd__ws_peer_close(ws);
    if (op == XBL_MPSD__WS_OP_PING) {
        /* only the latest ping needs an answer (RFC 6455 §5.5.3) */
        if (ws->phase == XBL_MPSD__WS_OPEN) {
            unsigned char *r = xbl_mpsd__ws_reserve(ws);
            XBL_MPSD_MEMCPY(r + XBL_MPSD__WS_PONG_AT, r + XBL_MPSD__WS_CTRL_AT, ws->ctrl_len);
            ws->pong_len = ws->ctrl_len;
            ws->flags |= XBL_MPSD__WF_PONG;
        }
        return XBL_MPSD__CONTINUE;
    }
    if (op == XBL_MPSD__WS_OP_PONG) return XBL_MPSD__CONTINUE;
    if (!(ws->opcode & 0x80u)) { ws->flags |= XBL_MPSD__WF_MSG_OPEN; return XBL_MPSD__CONTINUE; }
    ws->flags &= ~XBL_MPSD__WF_MSG_OPEN;
    len = ws->msg_len;
    ws->msg_len = 0;
    if (ws->phase != XBL_MPSD__WS_OPEN) return XBL_MPSD__CONTINUE;   /* closing: discarded */
    if (ws->msg_opcode == XBL_MPSD__WS_OP_TEXT && !xbl_mpsd__utf8_valid((const char *)ws->buffer, len))
        return xbl_mpsd__ws_fail(ws, XBL_MPSD_E_WS_PROTOCOL, 1007);
    ev->type = XBL_MPSD_WS_EVENT_MESSAGE;
    ev->binary = ws->msg_opcode == XBL_MPSD__WS_OP_BINARY;
    ev->data = ws->buffer;
    ev->len = len;
    return XBL_MPSD_OK;
}

/* The length is known: the size limit is decided before any payload byte. */
static xbl_mpsd_result xbl_mpsd__ws_header_done(xbl_mpsd_ws *ws, xbl_mpsd_ws_event *ev)
{
    unsigned op = ws->opcode & 0x0Fu;
    ws->rx_state = XBL_MPSD__WS_RX_PAYLOAD;
    ws->ctrl_len = 0;
    if (op < XBL_MPSD__WS_OP_CLOSE && ws->phase == XBL_MPSD__WS_OPEN
        && ws->frame_left > ws->config.max_message_bytes - ws->msg_len) {
        uint64_t need = ws->frame_left + ws->msg_len + XBL_MPSD_RTA_BUFFER_RESERVE;
        ws->needed = (ws->frame_left > SIZE_MAX || need > SIZE_MAX) ? SIZE_MAX : (size_t)need;
        return xbl_mpsd__ws_fail(ws, XBL_MPSD_E_WS_MESSAGE_TOO_BIG, 1009);
    }
    if (op == XBL_MPSD__WS_OP_TEXT || op == XBL_MPSD__WS_OP_BINARY) ws->msg_opcode = (uint8_t)op;
    return ws->frame_left == 0 ? xbl_mpsd__ws_frame_end(ws, ev) : XBL_MPSD__CONTINUE;
}

/* RFC 6455 §5.2 byte 0: FIN, RSV1-3, opcode. */
static xbl_mpsd_result xbl_mpsd__ws_byte0(xbl_mpsd_ws *ws, unsigned c)
{
    unsigned op = c & 0x0Fu;
    bool fin = (c & 0x80u) != 0, open = (ws->flags & XBL_MPSD__WF_MSG_OPEN) != 0;
    if ((c & 0x70u) || (op >= 3 && op <= 7) || op >= 0xB
        || (op >= XBL_MPSD__WS_OP_CLOSE && !fin)
        || (op == XBL_MPSD__WS_OP_CONT && !open)
        || ((op == XBL_MPSD__WS_OP_TEXT || op == XBL_MPSD__WS_OP_BINARY) && open))
        return xbl_mpsd__ws_fail(ws, XBL_MPSD_E_WS_PROTOCOL, 1002);
    ws->opcode = (uint8_t)(c & 0x8Fu);
    ws->rx_state = XBL_MPSD__WS_RX_B1;
    return XBL_MPSD__CONTINUE;
}

static xbl_mpsd_result xbl_mpsd__ws_header_byte(xbl_mpsd_ws *ws, unsigned c, xbl_mpsd_ws_event *ev)
{
    switch (ws->rx_state) {
    case XBL_MPSD__WS_RX_B0:
        return xbl_mpsd__ws_byte0(ws, c);
    case XBL_MPSD__WS_RX_B1:
        /* a server never masks; a control frame fits 125 bytes */
        if ((c & 0x80u) || ((ws->opcode & 0x0Fu) >= XBL_MPSD__WS_OP_CLOSE && (c & 0x7Fu) > 125))
            return xbl_mpsd__ws_fail(ws, XBL_MPSD_E_WS_PROTOCOL, 1002);
        c &= 0x7Fu;
        ws->frame_left = c < 126 ? c : 0;
        ws->rx_ext = (uint8_t)(c == 126 ? 2 : 8);
        if (c < 126) return xbl_mpsd__ws_header_done(ws, ev);
        ws->rx_state = c == 126 ? XBL_MPSD__WS_RX_EXT16 : XBL_MPSD__WS_RX_EXT64;
        return XBL_MPSD__CONTINUE;
    default:
        if (ws->rx_state == XBL_MPSD__WS_RX_EXT64 && ws->rx_ext == 8 && (c & 0x80u))
            return xbl_mpsd__ws_fail(ws, XBL_MPSD_E_WS_PROTOCOL, 1002);   /* top bit of a 64-bit length */
        ws->frame_left = (ws->frame_left << 8) | c;
        if (--ws->rx_ext > 0) return XBL_MPSD__CONTINUE;
        /* the shortest encoding only */
        if (ws->frame_left < 126 || (ws->rx_state == XBL_MPSD__WS_RX_EXT64 && ws->frame_left < 65536))
            return xbl_mpsd__ws_fail(ws, XBL_MPSD_E_WS_PROTOCOL, 1002);
        return xbl_mpsd__ws_header_done(ws, ev);
    }
}

static xbl_mpsd_result xbl_mpsd__ws_payload(xbl_mpsd_ws *ws, const unsigned char *in, xbl_mpsd_ws_event *ev)
{
    size_t avail = ws->in_len - ws->in_pos;
    size_t n = ws->frame_left < avail ? (size_t)ws->frame_left : avail;
    unsigned op = ws->opcode & 0x0Fu;
    if (op >= XBL_MPSD__WS_OP_CLOSE) {
        XBL_MPSD_MEMCPY(xbl_mpsd__ws_reserve(ws) + XBL_MPSD__WS_CTRL_AT + ws->ctrl_len, in + ws->in_pos, n);
        ws->ctrl_len += n;
    } else if (ws->phase == XBL_MPSD__WS_OPEN) {
        XBL_MPSD_MEMCPY(ws->buffer + ws->msg_len, in + ws->in_pos, n);
        ws->msg_len += n;
    }
    ws->in_pos += n;
    ws->frame_left -= n;
    return ws->frame_left == 0 ? xbl_mpsd__ws_frame_end(ws, ev) : XBL_MPSD__CONTINUE;
}

/* Parses staged bytes: OK with *ev for a whole message, CONTINUE when the
   staged bytes are used up or the connection stopped reading. */
static xbl_mpsd_result xbl_mpsd__ws_feed(xbl_mpsd_ws *ws, xbl_mpsd_ws_event *ev)
{
    const unsigned char *in = xbl_mpsd__ws_reserve(ws) + XBL_MPSD__WS_STAGE_AT;
    while (ws->in_pos < ws->in_len && xbl_mpsd__ws_reading(ws)) {
        xbl_mpsd_result r = ws->rx_state == XBL_MPSD__WS_RX_PAYLOAD
            ? xbl_mpsd__ws_payload(ws, in, ev)
            : xbl_mpsd__ws_header_byte(ws, in[ws->in_pos++], ev);
        if (r != XBL_MPSD__CONTINUE) return r;
    }
    if (!xbl_mpsd__ws_reading(ws)) ws->in_pos = ws->in_len;   /* after a close: ignored */
    return XBL_MPSD__CONTINUE;
}

/* CONTINUE with bytes staged (or dropped after the server's close), PENDING,
   XBL_MPSD_E_EOF or the port's error. */
static xbl_mpsd_result xbl_mpsd__ws_recv_some(xbl_mpsd_ws *ws)
{
    unsigned char *stage = xbl_mpsd__ws_reserve(ws) + XBL_MPSD__WS_STAGE_AT;
    int32_t n = ws->port.recv(ws->port.ctx, stage, XBL_MPSD__WS_STAGE_CAP);
    if (n == XBL_MPSD_E_WOULD_BLOCK) return XBL_MPSD_PENDING;
    if (n < 0) return n;
    if (n == 0 || (size_t)n > XBL_MPSD__WS_STAGE_CAP) return XBL_MPSD_E_IO;
    ws->in_pos = 0;
    ws->in_len = xbl_mpsd__ws_reading(ws) ? (size_t)n : 0;
    return XBL_MPSD__CONTINUE;
}

/* Frames owed to the peer that the out slot has not finished yet. */
static bool xbl_mpsd__ws_has_output(const xbl_mpsd_ws *ws)
{
    return ws->out_len != 0 || (ws->flags & XBL_MPSD__WF_CLOSE_QUEUED)
        || ((ws->flags & XBL_MPSD__WF_PONG) && !(ws->flags & XBL_MPSD__WF_CLOSE_SENT));
}

/* One step while the connection is up: parse what is staged, else send a
   little and receive a little. Nothing is read while owed frames still go
   out, so an end of TCP read early cannot cut them off: the bytes sent are
   the same however the stream was split. */
static xbl_mpsd_result xbl_mpsd__ws_step_live(xbl_mpsd_ws *ws, xbl_mpsd_ws_event *ev)
{
    xbl_mpsd_result s, r;
    if (ws->in_pos < ws->in_len) return xbl_mpsd__ws_feed(ws, ev);
    s = xbl_mpsd__ws_send_some(ws);
    if (s < 0) return xbl_mpsd__ws_lost(ws, s, ev);
    if (s == XBL_MPSD__CONTINUE && xbl_mpsd__ws_has_output(ws)) return XBL_MPSD__CONTINUE;
    if (ws->phase == XBL_MPSD__WS_FAILING) {
        if (ws->out_len == 0 && !(ws->flags & XBL_MPSD__WF_CLOSE_QUEUED))
            return xbl_mpsd__ws_end(ws, ws->result, ws->close_code, ev);
        return s;
    }
    r = xbl_mpsd__ws_recv_some(ws);
    if (r < 0) return xbl_mpsd__ws_lost(ws, r, ev);
    return (s == XBL_MPSD__CONTINUE || r == XBL_MPSD__CONTINUE) ? XBL_MPSD__CONTINUE : XBL_MPSD_PENDING;
}

/* ---- the opening handshake ---------------------------------------------- */

static void xbl_mpsd__ws_write_fixed_head(xbl_mpsd__hw *w, const xbl_mpsd_ws *ws)
{
    const xbl_mpsd_client *c = ws->config.client;
    xbl_mpsd__hw_str(w, "GET ");
    xbl_mpsd__hw_str(w, ws->config.path);
    xbl_mpsd__hw_str(w, " HTTP/1.1\r\nHost: ");
    xbl_mpsd__hw_str(w, ws->config.host);
    if (ws->config.port_number != 443) {
        xbl_mpsd__hw_put(w, ":", 1);
        xbl_mpsd__hw_u64(w, ws->config.port_number);
    }
    xbl_mpsd__hw_str(w, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
    xbl_mpsd__hw_header(w, "Sec-WebSocket-Key", ws->key);
    xbl_mpsd__hw_str(w, "Sec-WebSocket-Version: 13\r\n");
    if (ws->config.subprotocol != NULL) xbl_mpsd__hw_header(w, "Sec-WebSocket-Protocol", ws->config.subprotocol);
    xbl_mpsd__hw_header(w, "User-Agent", c->config.user_agent);
    if (c->config.accept_language != NULL) xbl_mpsd__hw_header(w, "Accept-Language", c->config.accept_language);
}

/* The request with its token lines, written as for an MPSD request. */
static xbl_mpsd_result xbl_mpsd__ws_step_auth(xbl_mpsd_ws *ws)
{
    xbl_mpsd__auth_request q;
    xbl_mpsd__hw w;
    size_t need = 0;
    xbl_mpsd_result r;
    w.buf = (char *)ws->buffer; w.cap = ws->buffer_size; w.len = 0;
    xbl_mpsd__ws_write_fixed_head(&w, ws);
    if (w.len + xbl_mpsd__token_overhead() + 8 > ws->buffer_size) {
        ws->needed = w.len + xbl_mpsd__token_overhead() + XBL_MPSD_AUTH_RESERVE;
        return XBL_MPSD_E_OUTOFMEMORY;
    }
    q.method = "GET";
    q.path = ws->config.path;
    q.body = NULL;
    q.body_len = 0;
    r = xbl_mpsd__put_tokens(ws->config.client, &q, ws->buffer, ws->buffer_size, w.len, &ws->head_len, &need);
    if (r == XBL_MPSD_E_OUTOFMEMORY) ws->needed = need;
    if (r != XBL_MPSD_OK) return r;
    ws->phase = XBL_MPSD__WS_CONNECT;
    return XBL_MPSD__CONTINUE;
}

static xbl_mpsd_result xbl_mpsd__ws_step_connect(xbl_mpsd_ws *ws)
{
    xbl_mpsd_result r = ws->port.connect(ws->port.ctx, ws->config.host, ws->config.port_number);
    if (r == XBL_MPSD_PENDING || r == XBL_MPSD_E_WOULD_BLOCK) return XBL_MPSD_PENDING;
    if (r != XBL_MPSD_OK) return r < 0 ? r : XBL_MPSD_E_CONNECT;
    ws->phase = XBL_MPSD__WS_HS_SEND;
    return XBL_MPSD__CONTINUE;
}

static xbl_mpsd_result xbl_mpsd__ws_step_hs_send(xbl_mpsd_ws *ws)
{
    size_t len = ws->head_len - ws->sent;
    int32_t n = ws->port.send(ws->port.ctx, ws->buffer + ws->sent, len);
    if (n == XBL_MPSD_E_WOULD_BLOCK) return XBL_MPSD_PENDING;
    if (n < 0) return n;
    if (n == 0 || (size_t)n > len) return XBL_MPSD_E_IO;
    ws->sent += (size_t)n;
    if (ws->sent == ws->head_len) {
        XBL_MPSD_MEMSET(ws->buffer, 0, ws->head_len);   /* the tokens live only while on their way out */
        ws->phase = XBL_MPSD__WS_HS_RECV;
    }
    return XBL_MPSD__CONTINUE;
}

/* base64(SHA-1(key || GUID)), byte for byte (RFC 6455 §4.1 item 4). */
static bool xbl_mpsd__ws_accept_ok(const xbl_mpsd_ws *ws, const char *v, size_t n)
{
    unsigned char in[24 + sizeof xbl_mpsd__ws_guid - 1], digest[20];
    char want[28];
    XBL_MPSD_MEMCPY(in, ws->key, 24);
    XBL_MPSD_MEMCPY(in + 24, xbl_mpsd__ws_guid, sizeof xbl_mpsd__ws_guid - 1);
    xbl_mpsd__sha1(in, sizeof in, digest);
    xbl_mpsd__base64(digest, sizeof digest, want);
    return n == sizeof want && XBL_MPSD_MEMCMP(v, want, sizeof want) == 0;
}

static void xbl_mpsd__ws_head_field(xbl_mpsd_ws *ws, const char *name, size_t name_len, const char *v, size_t n)
{
    const char *sub = ws->config.subprotocol;
    if (xbl_mpsd__ieq_n(name, name_len, "upgrade")) {
        if (xbl_mpsd__ieq_n(v, n, "websocket")) ws->flags |= XBL_MPSD__WF_HS_UPGRADE;
    } else if (xbl_mpsd__ieq_n(name, name_len, "connection")) {
        if (xbl_mpsd__has_token(v, n, "upgrade")) ws->flags |= XBL_MPSD__WF_HS_CONN;
    } else if (xbl_mpsd__ieq_n(name, name_len, "sec-websocket-accept")) {
        if (ws->flags & XBL_MPSD__WF_HS_ACCEPT) ws->flags |= XBL_MPSD__WF_HS_BAD;
        ws->flags |= XBL_MPSD__WF_HS_ACCEPT;
        if (xbl_mpsd__ws_accept_ok(ws, v, n)) ws->flags |= XBL_MPSD__WF_HS_ACCEPT_OK;
    } else if (xbl_mpsd__ieq_n(name, name_len, "sec-websocket-extensions")) {
        if (n > 0) ws->flags |= XBL_MPSD__WF_HS_BAD;   /* none was offered */
    } else if (xbl_mpsd__ieq_n(name, name_len, "sec-websocket-protocol")) {
        if ((ws->flags & XBL_MPSD__WF_HS_PROTO) || sub == NULL || n != xbl_mpsd__strlen(sub)
            || XBL_MPSD_MEMCMP(v, sub, n) != 0) ws->flags |= XBL_MPSD__WF_HS_BAD;
        ws->flags |= XBL_MPSD__WF_HS_PROTO;
    } else if (xbl_mpsd__ieq_n(name, name_len, "retry-after")) {
        uint64_t s;
        ws->retry_after = xbl_mpsd__parse_dec(v, n, UINT32_MAX, &s) ? (uint32_t)s : 0;
    }
}

/* CONTINUE for a line taken, OK for the blank line, else the failure. */
static xbl_mpsd_result xbl_mpsd__ws_head_line(xbl_mpsd_ws *ws, const char *line, size_t n)
{
    size_t name_len, at, len;
    unsigned minor;
    if (!(ws->flags & XBL_MPSD__WF_HS_STATUS)) {
        if (!xbl_mpsd__parse_status_line(line, n, &ws->status, &minor) || minor == 0) return XBL_MPSD_E_HTTP_PROTOCOL;
        ws->flags |= XBL_MPSD__WF_HS_STATUS;
        return XBL_MPSD__CONTINUE;
    }
    if (n == 0) return XBL_MPSD_OK;
    if (line[0] == ' ' || line[0] == '\t') return XBL_MPSD_E_HTTP_PROTOCOL;   /* obs-fold */
    if (!xbl_mpsd__split_header_line(line, n, &name_len, &at, &len)) return XBL_MPSD_E_HTTP_PROTOCOL;
    xbl_mpsd__ws_head_field(ws, line, name_len, line + at, len);
    return XBL_MPSD__CONTINUE;
}

/* The checks of a complete head, in order; then the bytes after the blank
   line are the first frame bytes. */
static xbl_mpsd_result xbl_mpsd__ws_head_done(xbl_mpsd_ws *ws, xbl_mpsd_ws_event *ev)
{
    uint32_t need = XBL_MPSD__WF_HS_UPGRADE | XBL_MPSD__WF_HS_CONN | XBL_MPSD__WF_HS_ACCEPT_OK;
    if (ws->status != 101) return XBL_MPSD_E_HTTP_STATUS(ws->status);
    if ((ws->flags & need) != need || (ws->flags & XBL_MPSD__WF_HS_BAD)) return XBL_MPSD_E_WS_HANDSHAKE;
    XBL_MPSD_MEMMOVE(xbl_mpsd__ws_reserve(ws) + XBL_MPSD__WS_STAGE_AT, ws->buffer, ws->raw_len);
    ws->in_pos = 0;
    ws->in_len = ws->raw_len;
    ws->raw_len = 0;
    ws->flags = 0;
    ws->phase = XBL_MPSD__WS_OPEN;
    ws->rx_ms = xbl_mpsd__ws_now(ws);
    ev->type = XBL_MPSD_WS_EVENT_OPENED;
    return XBL_MPSD_OK;
}

static xbl_mpsd_result xbl_mpsd__ws_head_lines(xbl_mpsd_ws *ws, xbl_mpsd_ws_event *ev)
{
    for (;;) {
        size_t len = 0;
        xbl_mpsd_result r = xbl_mpsd__find_crlf(ws->buffer, 0, ws->raw_len, &len);
        if (r == XBL_MPSD_PENDING)
            return ws->header_bytes + ws->raw_len + 1 > XBL_MPSD_HTTP_MAX_HEADER_BYTES ? XBL_MPSD_E_HTTP_PROTOCOL
                                                                                       : XBL_MPSD__CONTINUE;
        if (r != XBL_MPSD_OK) return r;
        ws->header_bytes += len;
        if (ws->header_bytes > XBL_MPSD_HTTP_MAX_HEADER_BYTES) return XBL_MPSD_E_HTTP_PROTOCOL;
        r = xbl_mpsd__ws_head_line(ws, (const char *)ws->buffer, len - 2);
        ws->raw_len -= len;
        XBL_MPSD_MEMMOVE(ws->buffer, ws->buffer + len, ws->raw_len);
        if (r == XBL_MPSD_OK) return xbl_mpsd__ws_head_done(ws, ev);
        if (r != XBL_MPSD__CONTINUE) return r;
    }
}

/* Each read takes at most a stage's worth, so whatever follows the blank
   line always fits the stage. */
static xbl_mpsd_result xbl_mpsd__ws_step_hs_recv(xbl_mpsd_ws *ws, xbl_mpsd_ws_event *ev)
{
    size_t cap = ws->buffer_size - ws->raw_len;
    int32_t n;
    if (cap == 0) {
        ws->needed = XBL_MPSD_HTTP_MAX_HEADER_BYTES + XBL_MPSD_RTA_BUFFER_RESERVE;
        return XBL_MPSD_E_OUTOFMEMORY;
    }
    if (cap > XBL_MPSD__WS_STAGE_CAP) cap = XBL_MPSD__WS_STAGE_CAP;
    n = ws->port.recv(ws->port.ctx, ws->buffer + ws->raw_len, cap);
    if (n == XBL_MPSD_E_WOULD_BLOCK) return XBL_MPSD_PENDING;
    if (n == XBL_MPSD_E_EOF) return XBL_MPSD_E_CONNECTION_CLOSED;
    if (n < 0) return n;
    if (n == 0 || (size_t)n > cap) return XBL_MPSD_E_IO;
    ws->raw_len += (size_t)n;
    return xbl_mpsd__ws_head_lines(ws, ev);
}

/* ---- polling ------------------------------------------------------------ */

/* Deadlines on the port clock: the attempt, the keepalive, the close wait. */
static bool xbl_mpsd__ws_timers(xbl_mpsd_ws *ws, xbl_mpsd_ws_event *ev)
{
    uint32_t now = xbl_mpsd__ws_now(ws);
    if (ws->phase < XBL_MPSD__WS_OPEN) {
        if (!xbl_mpsd__ms_passed(now, ws->start_ms, ws->config.timeout_ms)) return false;
        xbl_mpsd__ws_end(ws, XBL_MPSD_E_TIMEOUT, 0, ev);
    } else if (ws->phase == XBL_MPSD__WS_OPEN) {
        if (!(ws->flags & XBL_MPSD__WF_PING_OUT) || !xbl_mpsd__ms_passed(now, ws->rx_ms, ws->config.ping_interval_ms))
            return false;
        xbl_mpsd__ws_end(ws, XBL_MPSD_E_TIMEOUT, 1006, ev);   /* the peer is presumed gone */
    } else {
        if (!xbl_mpsd__ms_passed(now, ws->start_ms, ws->config.close_timeout_ms)) return false;
        xbl_mpsd__ws_end(ws, ws->result, ws->close_code, ev);
    }
    return true;
}

static xbl_mpsd_result xbl_mpsd__ws_step(xbl_mpsd_ws *ws, xbl_mpsd_ws_event *ev)
{
    switch (ws->phase) {
    case XBL_MPSD__WS_AUTH: return xbl_mpsd__ws_step_auth(ws);
    case XBL_MPSD__WS_CONNECT: return xbl_mpsd__ws_step_connect(ws);
    case XBL_MPSD__WS_HS_SEND: return xbl_mpsd__ws_step_hs_send(ws);
    case XBL_MPSD__WS_HS_RECV: return xbl_mpsd__ws_step_hs_recv(ws, ev);
    default: return xbl_mpsd__ws_step_live(ws, ev);
    }
}

xbl_mpsd_result xbl_mpsd_ws_poll(xbl_mpsd_ws *ws, xbl_mpsd_ws_event *event)
{
    int i;
    if (event != NULL) XBL_MPSD_MEMSET(event, 0, sizeof *event);
    if (ws == NULL || event == NULL) return XBL_MPSD_E_INVALIDARG;
    if (ws->phase == XBL_MPSD__WS_IDLE || ws->phase == XBL_MPSD__WS_DONE) return XBL_MPSD_PENDING;
    if (xbl_mpsd__ws_timers(ws, event)) return XBL_MPSD_OK;
    for (i = 0; i < XBL_MPSD__POLL_STEPS; i++) {
        xbl_mpsd_result r = xbl_mpsd__ws_step(ws, event);
        if (r == XBL_MPSD_OK || r == XBL_MPSD_PENDING) return r;
        if (r != XBL_MPSD__CONTINUE) return xbl_mpsd__ws_end(ws, r, 0, event);   /* the attempt failed */
    }
    return XBL_MPSD_PENDING;
}

xbl_mpsd_result xbl_mpsd_ws_init(xbl_mpsd_ws *ws, const xbl_mpsd_ws_config *config, void *buffer, size_t buffer_size)
{
    const xbl_mpsd_port *p;
    if (ws == NULL || config == NULL || buffer == NULL) return XBL_MPSD_E_INVALIDARG;
    p = config->port;
    if (p == NULL || p->connect == NULL || p->send == NULL || p->recv == NULL || p->close == NULL
        || p->now_ms == NULL || config->client == NULL || config->client->config.auth == NULL)
        return XBL_MPSD_E_INVALIDARG;
    if (!xbl_mpsd__ws_field_ok(config->host) || !xbl_mpsd__ws_field_ok(config->path) || config->path[0] != '/')
        return XBL_MPSD_E_INVALIDARG;
    if (config->subprotocol != NULL && (config->subprotocol[0] == '\0' || !xbl_mpsd__header_safe(config->subprotocol)))
        return XBL_MPSD_E_INVALIDARG;
    if (buffer_size < XBL_MPSD_WS_MIN_BUFFER_SIZE
        || config->max_message_bytes > buffer_size - XBL_MPSD_RTA_BUFFER_RESERVE) return XBL_MPSD_E_INVALIDARG;
    XBL_MPSD_MEMSET(ws, 0, sizeof *ws);
    ws->port = *p;
    ws->config = *config;
    ws->config.port = &ws->port;
    if (ws->config.port_number == 0) ws->config.port_number = 443;
    if (ws->config.timeout_ms == 0) ws->config.timeout_ms = 30000;
    if (ws->config.max_message_bytes == 0) ws->config.max_message_bytes = buffer_size - XBL_MPSD_RTA_BUFFER_RESERVE;
    if (ws->config.close_timeout_ms == 0) ws->config.close_timeout_ms = XBL_MPSD_RTA_CLOSE_TIMEOUT_MS;
    ws->buffer = (unsigned char *)buffer;
    ws->buffer_size = buffer_size;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_ws_connect(xbl_mpsd_ws *ws)
{
    unsigned char nonce[16];
    uint32_t counter;
    if (ws == NULL || ws->buffer == NULL) return XBL_MPSD_E_INVALIDARG;
    if (ws->phase != XBL_MPSD__WS_IDLE && ws->phase != XBL_MPSD__WS_DONE) return XBL_MPSD_E_UNEXPECTED;
    counter = ws->random_counter;
    XBL_MPSD_MEMSET(&ws->phase, 0, sizeof *ws - offsetof(xbl_mpsd_ws, phase));   /* per-connection state */
    ws->random_counter = counter;
    xbl_mpsd__ws_random(ws, nonce, sizeof nonce);
    xbl_mpsd__base64(nonce, sizeof nonce, ws->key);
    ws->key[24] = '\0';
    ws->phase = XBL_MPSD__WS_AUTH;
    ws->start_ms = xbl_mpsd__ws_now(ws);
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_ws_send_text(xbl_mpsd_ws *ws, const char *text, size_t len)
{
    if (ws == NULL || (text == NULL && len > 0)) return XBL_MPSD_E_INVALIDARG;
    if (ws->phase != XBL_MPSD__WS_OPEN) return XBL_MPSD_E_UNEXPECTED;
    if (len > XBL_MPSD_WS_MAX_SEND_BYTES || (len > 0 && !xbl_mpsd__utf8_valid(text, len))) return XBL_MPSD_E_INVALIDARG;
    if (ws->out_len != 0 || (ws->flags & XBL_MPSD__WF_PONG)) return XBL_MPSD_E_BUSY;
    xbl_mpsd__ws_build(ws, XBL_MPSD__WS_OP_TEXT, (const unsigned char *)text, len);
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_ws_close(xbl_mpsd_ws *ws, uint16_t code)
{
    if (ws == NULL || !xbl_mpsd__ws_close_code_ok(code)) return XBL_MPSD_E_INVALIDARG;
    if (ws->phase != XBL_MPSD__WS_OPEN) return XBL_MPSD_E_UNEXPECTED;
    ws->phase = XBL_MPSD__WS_CLOSING;
    ws->start_ms = xbl_mpsd__ws_now(ws);
    ws->result = XBL_MPSD_OK;
    ws->close_code = code;
    ws->send_code = code;
    xbl_mpsd__ws_queue_close(ws);
    return XBL_MPSD_OK;
}

void xbl_mpsd_ws_abort(xbl_mpsd_ws *ws)
{
    if (ws == NULL || ws->phase == XBL_MPSD__WS_IDLE || ws->phase == XBL_MPSD__WS_DONE) {
        if (ws != NULL) ws->phase = XBL_MPSD__WS_IDLE;
        return;
    }
    if (ws->phase >= XBL_MPSD__WS_OPEN && ws->out_sent == 0 && !(ws->flags & XBL_MPSD__WF_CLOSE_SENT)) {
        ws->send_code = 1000;
        ws->out_len = 0;   /* a frame not started is dropped: this is the last send */
        ws->flags &= ~XBL_MPSD__WF_PONG;
        xbl_mpsd__ws_queue_close(ws);
        xbl_mpsd__ws_fill_out(ws);
        (void)ws->port.send(ws->port.ctx, xbl_mpsd__ws_reserve(ws) + XBL_MPSD__WS_OUT_AT, ws->out_len);
    }
    if (ws->phase <= XBL_MPSD__WS_HS_SEND) XBL_MPSD_MEMSET(ws->buffer, 0, ws->buffer_size);
    ws->port.close(ws->port.ctx);
    ws->phase = XBL_MPSD__WS_IDLE;
}

bool xbl_mpsd_ws_is_open(const xbl_mpsd_ws *ws)
{
    return ws != NULL && ws->phase == XBL_MPSD__WS_OPEN;
}

size_t xbl_mpsd_ws_needed_bytes(const xbl_mpsd_ws *ws)
{
    return ws == NULL ? 0 : ws->needed;
}
#endif /* XBL_MPSD_NO_RTA */

#ifndef XBL_MPSD_NO_RTA
/* ===========================================================================
   Real-time activity (RTA) over the WebSocket client
   Connection phases: IDLE -> WAIT (back-off before attempt k) -> ATTEMPT
   (the WebSocket's opening) -> OPEN -> CLOSING -> IDLE or a new series.
   One subscription, MPSD's connections resource: WANTED -> SUBSCRIBING ->
   ACTIVE (connection ID known) -> UNSUB_SEND -> UNSUBSCRIBING -> NONE, with
   RETRY for throttled answers. Events wait in a small queue; the taps of an
   event message are read one at a time from the message itself, which stays
   in the WebSocket buffer until the last one is handed out (no I/O happens
   while anything waits).
   =========================================================================== */

#define XBL_MPSD__RTA_IDLE     0u
#define XBL_MPSD__RTA_WAIT     1u
#define XBL_MPSD__RTA_ATTEMPT  2u
#define XBL_MPSD__RTA_OPEN     3u
#define XBL_MPSD__RTA_CLOSING  4u

#define XBL_MPSD__RF_LIVE        0x001u   /* initialised and not closed */
#define XBL_MPSD__RF_ENABLED     0x002u
#define XBL_MPSD__RF_ACTIVATED   0x004u
#define XBL_MPSD__RF_EVER_OPENED 0x008u   /* jitter from now on */
#define XBL_MPSD__RF_LOST_SENT   0x010u   /* a SUBSCRIPTION_LOST since enable or the last ACTIVE */
#define XBL_MPSD__RF_RENEW       0x020u   /* closing for renewal */
#define XBL_MPSD__RF_UNWANTED    0x040u   /* unwanted while SUBSCRIBING */
#define XBL_MPSD__RF_REWANTED    0x080u   /* wanted again while unsubscribing */

#define XBL_MPSD__SUB_NONE          0u
#define XBL_MPSD__SUB_WANTED        1u
#define XBL_MPSD__SUB_SUBSCRIBING   2u
#define XBL_MPSD__SUB_ACTIVE        3u
#define XBL_MPSD__SUB_RETRY         4u
#define XBL_MPSD__SUB_UNSUB_SEND    5u
#define XBL_MPSD__SUB_UNSUBSCRIBING 6u

#define XBL_MPSD__RTA_RESYNC_QUIET_MS UINT32_C(300000)   /* resyncs right after a connect are ignored */

static uint32_t xbl_mpsd__rta_now(const xbl_mpsd_rta *rta)
{
    return rta->ws.port.now_ms(rta->ws.port.ctx);
}

static bool xbl_mpsd__rta_wanted(const xbl_mpsd_rta *rta)
{
    return (rta->flags & (XBL_MPSD__RF_ENABLED | XBL_MPSD__RF_ACTIVATED)) != 0
        || rta->sub_state == XBL_MPSD__SUB_UNSUB_SEND || rta->sub_state == XBL_MPSD__SUB_UNSUBSCRIBING;
}

static void xbl_mpsd__rta_push(xbl_mpsd_rta *rta, unsigned type, xbl_mpsd_result result, uint16_t close_code)
{
    xbl_mpsd__rta_queued *q;
    if (rta->queue_len >= XBL_MPSD__RTA_QUEUE) return;   /* full only after many disables between two polls */
    q = &rta->queue[(rta->queue_head + rta->queue_len) % XBL_MPSD__RTA_QUEUE];
    q->type = (uint8_t)type;
    q->state = rta->state;
    q->close_code = close_code;
    q->result = result;
    rta->queue_len++;
}

/* One CONNECTION_STATE_CHANGED per actual change. */
static void xbl_mpsd__rta_set_state(xbl_mpsd_rta *rta, unsigned state, xbl_mpsd_result result, uint16_t close_code)
{
    if (rta->state == state) return;
    rta->state = (uint8_t)state;
    xbl_mpsd__rta_push(rta, XBL_MPSD_RTA_EVENT_CONNECTION_STATE_CHANGED, result, close_code);
}

static void xbl_mpsd__rta_lost(xbl_mpsd_rta *rta, xbl_mpsd_result result)
{
    rta->flags |= XBL_MPSD__RF_LOST_SENT;
    xbl_mpsd__rta_push(rta, XBL_MPSD_RTA_EVENT_SUBSCRIPTION_LOST, result, 0);
}

/* 0 before the first open, then 0-4999 ms from the random source. */
static uint32_t xbl_mpsd__rta_jitter(xbl_mpsd_rta *rta)
{
    unsigned char r[2];
    if (!(rta->flags & XBL_MPSD__RF_EVER_OPENED)) return 0;
    xbl_mpsd__ws_random(&rta->ws, r, sizeof r);
    return (((uint32_t)r[0] << 8) | r[1]) % 5000u;
}

static uint32_t xbl_mpsd__rta_backoff_ms(uint32_t k)
{
    return (k >= 8 ? 60u : k * k) * 1000u;
}

/* The connection ended: the subscription is wanted again on the next one. */
static void xbl_mpsd__rta_forget_connection(xbl_mpsd_rta *rta)
{
    rta->connection_id[0] = '\0';
    rta->tap_at = rta->tap_end = 0;
    rta->throttle = 0;
    rta->flags &= ~(XBL_MPSD__RF_UNWANTED | XBL_MPSD__RF_REWANTED);
    if (!(rta->flags & XBL_MPSD__RF_ENABLED)) {
        rta->sub_state = XBL_MPSD__SUB_NONE;
    } else if (rta->sub_state == XBL_MPSD__SUB_UNSUB_SEND || rta->sub_state == XBL_MPSD__SUB_UNSUBSCRIBING) {
        rta->seq = rta->next_seq++;   /* the one being removed counts as removed: wanted anew */
        rta->sub_state = XBL_MPSD__SUB_WANTED;
    } else {
        rta->sub_state = XBL_MPSD__SUB_WANTED;
    }
}

static void xbl_mpsd__rta_start_series(xbl_mpsd_rta *rta, xbl_mpsd_result result, uint16_t close_code)
{
    rta->phase = XBL_MPSD__RTA_WAIT;
    rta->attempt = 0;
    rta->wait_start_ms = xbl_mpsd__rta_now(rta);
    rta->wait_ms = xbl_mpsd__rta_jitter(rta);
    xbl_mpsd__rta_set_state(rta, XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, result, close_code);
}

static void xbl_mpsd__rta_attempt_failed(xbl_mpsd_rta *rta, const xbl_mpsd_ws_event *ev)
{
    uint32_t wait;
    rta->last_result = ev->result;
    rta->attempt++;
    rta->phase = XBL_MPSD__RTA_WAIT;
    rta->wait_start_ms = xbl_mpsd__rta_now(rta);
    wait = xbl_mpsd__rta_backoff_ms(rta->attempt) + xbl_mpsd__rta_jitter(rta);
    if ((ev->result == XBL_MPSD_E_HTTP_STATUS(429) || ev->result == XBL_MPSD_E_HTTP_STATUS(503))
        && ev->retry_after <= 86400u && ev->retry_after * 1000u > wait) wait = ev->retry_after * 1000u;
    rta->wait_ms = wait;
    if (rta->attempt < 4) return;
    xbl_mpsd__rta_set_state(rta, XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED, ev->result, 0);
    if ((rta->flags & (XBL_MPSD__RF_ENABLED | XBL_MPSD__RF_LOST_SENT)) == XBL_MPSD__RF_ENABLED)
        xbl_mpsd__rta_lost(rta, ev->result);
}

/* ---- reading RTA messages: JSON walked in place, no tokens --------------- */

/* The elements of a JSON array text known to be valid. Start with *i = 0. */
static bool xbl_mpsd__json_array_next(const char *s, size_t n, size_t *i, const char **value, size_t *value_len)
{
    size_t k = xbl_mpsd__json_ws(s, n, *i), v;
    if (k < n && (s[k] == '[' || s[k] == ',')) k = xbl_mpsd__json_ws(s, n, k + 1);
    if (k >= n || s[k] == ']') return false;
    v = xbl_mpsd__json_skip(s, n, k, 1);
    if (v == SIZE_MAX) return false;
    *value = s + k;
    *value_len = v - k;
    *i = xbl_mpsd__json_ws(s, n, v);
    return true;
}

/* A JSON integer (digits only) up to max. */
static bool xbl_mpsd__rta_int(const char *v, size_t n, uint64_t max, uint64_t *out)
{
    return xbl_mpsd__parse_dec(v, n, max, out);
}

/* A JSON string's decoded text into out[cap], NUL-terminated; false when it
   is not a string or does not fit. */
static bool xbl_mpsd__rta_string(const char *v, size_t n, char *out, size_t cap)
{
    size_t len;
    if (n < 2 || v[0] != '"') return false;
    len = xbl_mpsd__json_decode(v + 1, n - 2, NULL);
    if (len >= cap) return false;
    xbl_mpsd__json_decode(v + 1, n - 2, out);
    out[len] = '\0';
    return true;
}

/* The value of member `name` of an object text, or false. */
static bool xbl_mpsd__rta_member(const char *obj, size_t n, const char *name, const char **v, size_t *vn)
{
    size_t i = 0, kn;
    const char *k;
    if (n == 0 || obj[0] != '{') return false;
    while (xbl_mpsd__json_object_next(obj, n, &i, &k, &kn, v, vn))
        if (xbl_mpsd__json_body_equals(k, kn, name)) return true;
    return false;
}

/* "{scid}~{template}~{name}": three non-empty parts that fit. */
static bool xbl_mpsd__rta_resource(const char *r, xbl_mpsd_session_reference *ref)
{
    const char *a = r, *b, *c;
    size_t la, lb, lc;
    while (*r && *r != '~') r++;
    if (*r != '~') return false;
    la = (size_t)(r - a); b = ++r;
    while (*r && *r != '~') r++;
    if (*r != '~') return false;
    lb = (size_t)(r - b); c = ++r;
    while (*r && *r != '~') r++;
    if (*r == '~') return false;
    lc = (size_t)(r - c);
    if (la == 0 || lb == 0 || lc == 0 || la >= sizeof ref->scid || lb >= sizeof ref->session_template_name
        || lc >= sizeof ref->session_name) return false;
    XBL_MPSD_MEMSET(ref, 0, sizeof *ref);
    XBL_MPSD_MEMCPY(ref->scid, a, la);
    XBL_MPSD_MEMCPY(ref->session_template_name, b, lb);
    XBL_MPSD_MEMCPY(ref->session_name, c, lc);
    return true;
}

/* The three keys of a shoulder tap, found in one pass over its members
   (the first of a repeated key counts). */
typedef struct xbl_mpsd__rta_tap_keys {
    const char *v[3];
    size_t      n[3];
} xbl_mpsd__rta_tap_keys;

static void xbl_mpsd__rta_tap_scan(const char *t, size_t n, xbl_mpsd__rta_tap_keys *keys)
{
    static const char *const names[3] = { "resource", "changeNumber", "branch" };
    size_t i = 0, kn, vn, j;
    const char *k, *v;
    XBL_MPSD_MEMSET(keys, 0, sizeof *keys);
    if (n == 0 || t[0] != '{') return;
    while (xbl_mpsd__json_object_next(t, n, &i, &k, &kn, &v, &vn))
        for (j = 0; j < 3; j++)
            if (keys->v[j] == NULL && xbl_mpsd__json_body_equals(k, kn, names[j])) { keys->v[j] = v; keys->n[j] = vn; }
}

/* One shoulder tap; false when its resource is unusable (the tap is skipped). */
static bool xbl_mpsd__rta_tap(const char *t, size_t n, xbl_mpsd_session_change_event_args *out)
{
    char resource[XBL_MPSD_SESSION_REFERENCE_URI_MAX_LENGTH];
    xbl_mpsd__rta_tap_keys keys;
    uint64_t cn;
    XBL_MPSD_MEMSET(out, 0, sizeof *out);
    xbl_mpsd__rta_tap_scan(t, n, &keys);
    if (keys.v[0] == NULL || !xbl_mpsd__rta_string(keys.v[0], keys.n[0], resource, sizeof resource)
        || !xbl_mpsd__rta_resource(resource, &out->session_reference)) return false;
    if (keys.v[1] != NULL && xbl_mpsd__rta_int(keys.v[1], keys.n[1], UINT64_MAX, &cn)) out->change_number = cn;
    if (keys.v[2] == NULL || !xbl_mpsd__rta_string(keys.v[2], keys.n[2], out->branch, sizeof out->branch))
        out->branch[0] = '\0';
    return true;
}

/* A connection ID: 1-63 bytes of printable ASCII. */
static bool xbl_mpsd__rta_take_connection_id(xbl_mpsd_rta *rta, const char *data, size_t n)
{
    char id[XBL_MPSD_RTA_CONNECTION_ID_MAX_LENGTH];
    const char *v;
    size_t vn, i;
    id[0] = '\0';
    if (!xbl_mpsd__rta_member(data, n, "ConnectionId", &v, &vn) || !xbl_mpsd__rta_string(v, vn, id, sizeof id)
        || id[0] == '\0') return false;
    for (i = 0; id[i]; i++)
        if ((unsigned char)id[i] < 0x21 || (unsigned char)id[i] > 0x7E) return false;
    XBL_MPSD_MEMCPY(rta->connection_id, id, i + 1);
    return true;
}

static xbl_mpsd_result xbl_mpsd__rta_code_result(uint64_t code)
{
    if (code == 2) return XBL_MPSD_E_RTA_SUBSCRIPTION_LIMIT_REACHED;
    if (code == 3) return XBL_MPSD_E_RTA_ACCESS_DENIED;
    return XBL_MPSD_E_RTA_GENERIC_ERROR;
}

/* [1, SEQ, CODE, SUBID, DATA] for the subscribe in flight. */
static void xbl_mpsd__rta_subscribe_reply(xbl_mpsd_rta *rta, const char *const *el, const size_t *len, size_t count)
{
    uint64_t code, subid = 0;
    bool unwanted = (rta->flags & XBL_MPSD__RF_UNWANTED) != 0;
    if (!xbl_mpsd__rta_int(el[2], len[2], UINT32_MAX, &code)) return;
    rta->flags &= ~XBL_MPSD__RF_UNWANTED;
    if (code == 1001 || code == 1002) {
        rta->sub_state = XBL_MPSD__SUB_RETRY;
        rta->sub_ms = xbl_mpsd__rta_now(rta);
        rta->retry_ms = xbl_mpsd__rta_backoff_ms(rta->throttle++);
        if (unwanted) rta->sub_state = XBL_MPSD__SUB_NONE;
        return;
    }
    if (code != 0) {
        rta->sub_state = XBL_MPSD__SUB_NONE;
        if (unwanted) return;
        rta->flags &= ~XBL_MPSD__RF_ENABLED;
        xbl_mpsd__rta_lost(rta, xbl_mpsd__rta_code_result(code));
        return;
    }
    if (count < 4 || !xbl_mpsd__rta_int(el[3], len[3], UINT32_MAX, &subid)) {
        rta->sub_state = XBL_MPSD__SUB_NONE;   /* no SUBID: nothing to unsubscribe */
        if (!unwanted) { rta->flags &= ~XBL_MPSD__RF_ENABLED; xbl_mpsd__rta_lost(rta, XBL_MPSD_E_RTA_PROTOCOL); }
        return;
    }
    rta->subid = (uint32_t)subid;
    rta->throttle = 0;
    if (unwanted) { rta->sub_state = XBL_MPSD__SUB_UNSUB_SEND; return; }
    if (count < 5 || !xbl_mpsd__rta_take_connection_id(rta, el[4], len[4])) {
        rta->sub_state = XBL_MPSD__SUB_UNSUB_SEND;
        rta->flags &= ~XBL_MPSD__RF_ENABLED;
        xbl_mpsd__rta_lost(rta, XBL_MPSD_E_RTA_PROTOCOL);
        return;
    }
    rta->sub_state = XBL_MPSD__SUB_ACTIVE;
    rta->flags &= ~XBL_MPSD__RF_LOST_SENT;
    xbl_mpsd__rta_push(rta, XBL_MPSD_RTA_EVENT_CONNECTION_ID_CHANGED, XBL_MPSD_OK, 0);
}

/* [3, SUBID, DATA]: the taps are handed out from the message itself. */
static void xbl_mpsd__rta_event_message(xbl_mpsd_rta *rta, const char *data, size_t n)
{
    const char *v;
    size_t vn;
    if (!xbl_mpsd__rta_member(data, n, "shoulderTaps", &v, &vn) || v[0] != '[') return;
    rta->tap_at = (size_t)((const unsigned char *)v - rta->ws.buffer);
    rta->tap_end = rta->tap_at + vn;
}

/* One whole RTA message. Anything not understood is ignored (the framing
   was sound; only the content is unknown). */
static void xbl_mpsd__rta_message(xbl_mpsd_rta *rta, const char *text, size_t n)
{
    const char *el[5];
    size_t len[5], start, vlen, i = 0, count = 0;
    uint64_t type, seq;
    const char *v;
    size_t vn;
    if (!xbl_mpsd__json_check(text, n, &start, &vlen) || text[start] != '[') return;
    text += start;
    while (count < 5 && xbl_mpsd__json_array_next(text, vlen, &i, &v, &vn)) { el[count] = v; len[count] = vn; count++; }
    if (count == 0 || !xbl_mpsd__rta_int(el[0], len[0], UINT32_MAX, &type)) return;
    if (type == 4) {
        if ((rta->flags & (XBL_MPSD__RF_ENABLED | XBL_MPSD__RF_ACTIVATED))
            && xbl_mpsd__ms_passed(xbl_mpsd__rta_now(rta), rta->open_ms, XBL_MPSD__RTA_RESYNC_QUIET_MS))
            xbl_mpsd__rta_push(rta, XBL_MPSD_RTA_EVENT_RESYNC, XBL_MPSD_OK, 0);
        return;
    }
    if (count < 3 || !xbl_mpsd__rta_int(el[1], len[1], UINT32_MAX, &seq)) return;
    if (type == 1 && seq == rta->seq && rta->sub_state == XBL_MPSD__SUB_SUBSCRIBING) {
        xbl_mpsd__rta_subscribe_reply(rta, el, len, count);
    } else if (type == 2 && seq == rta->seq && rta->sub_state == XBL_MPSD__SUB_UNSUBSCRIBING) {
        bool again = (rta->flags & XBL_MPSD__RF_REWANTED) && (rta->flags & XBL_MPSD__RF_ENABLED);
        rta->flags &= ~XBL_MPSD__RF_REWANTED;
        rta->sub_state = again ? XBL_MPSD__SUB_WANTED : XBL_MPSD__SUB_NONE;
    } else if (type == 3 && rta->sub_state == XBL_MPSD__SUB_ACTIVE && (rta->flags & XBL_MPSD__RF_ENABLED)
               && seq == rta->subid) {   /* element 1 of an event is the SUBID */
        xbl_mpsd__rta_event_message(rta, el[2], len[2]);
    }
}

/* ---- the connection ----------------------------------------------------- */

static void xbl_mpsd__rta_send_requests(xbl_mpsd_rta *rta)
{
    char msg[160];
    xbl_mpsd__hw w;
    w.buf = msg; w.cap = sizeof msg; w.len = 0;
    if (rta->sub_state == XBL_MPSD__SUB_RETRY
        && xbl_mpsd__ms_passed(xbl_mpsd__rta_now(rta), rta->sub_ms, rta->retry_ms)) rta->sub_state = XBL_MPSD__SUB_WANTED;
    if (rta->sub_state == XBL_MPSD__SUB_WANTED && (rta->flags & XBL_MPSD__RF_ENABLED)) {
        xbl_mpsd__hw_str(&w, "[1,");
        xbl_mpsd__hw_u64(&w, rta->seq);
        xbl_mpsd__hw_str(&w, ",\"" XBL_MPSD_RTA_MPSD_CONNECTIONS_URI "\"]");
        if (xbl_mpsd_ws_send_text(&rta->ws, msg, w.len) != XBL_MPSD_OK) return;
        rta->sub_state = XBL_MPSD__SUB_SUBSCRIBING;
        rta->sub_ms = xbl_mpsd__rta_now(rta);
    } else if (rta->sub_state == XBL_MPSD__SUB_UNSUB_SEND) {
        xbl_mpsd__hw_str(&w, "[2,");
        xbl_mpsd__hw_u64(&w, rta->seq);
        xbl_mpsd__hw_put(&w, ",", 1);
        xbl_mpsd__hw_u64(&w, rta->subid);
        xbl_mpsd__hw_put(&w, "]", 1);
        if (xbl_mpsd_ws_send_text(&rta->ws, msg, w.len) != XBL_MPSD_OK) return;
        rta->sub_state = XBL_MPSD__SUB_UNSUBSCRIBING;
    }
}

static void xbl_mpsd__rta_connection_lost(xbl_mpsd_rta *rta, xbl_mpsd_result result, uint16_t close_code)
{
    rta->last_result = result;
    xbl_mpsd__rta_forget_connection(rta);
    xbl_mpsd__rta_start_series(rta, result, close_code);
}

static void xbl_mpsd__rta_step_open(xbl_mpsd_rta *rta)
{
    xbl_mpsd_ws_event ev;
    uint32_t now = xbl_mpsd__rta_now(rta);
    if (xbl_mpsd__ms_passed(now, rta->open_ms, rta->config.max_connection_ms)
        || (!xbl_mpsd__rta_wanted(rta) && rta->sub_state == XBL_MPSD__SUB_NONE)) {
        if (xbl_mpsd__rta_wanted(rta)) rta->flags |= XBL_MPSD__RF_RENEW;
        (void)xbl_mpsd_ws_close(&rta->ws, 1000);
        xbl_mpsd__rta_forget_connection(rta);
        rta->phase = XBL_MPSD__RTA_CLOSING;
        return;
    }
    if (rta->sub_state == XBL_MPSD__SUB_SUBSCRIBING && xbl_mpsd__ms_passed(now, rta->sub_ms, rta->config.timeout_ms)) {
        rta->ws.port.close(rta->ws.port.ctx);   /* the reply is overdue: no close frame */
        rta->ws.phase = XBL_MPSD__WS_IDLE;
        xbl_mpsd__rta_connection_lost(rta, XBL_MPSD_E_TIMEOUT, 1006);
        return;
    }
    xbl_mpsd__rta_send_requests(rta);
    if (xbl_mpsd_ws_poll(&rta->ws, &ev) != XBL_MPSD_OK) return;
    if (ev.type == XBL_MPSD_WS_EVENT_MESSAGE) xbl_mpsd__rta_message(rta, (const char *)ev.data, ev.len);
    else if (ev.type == XBL_MPSD_WS_EVENT_CLOSED) xbl_mpsd__rta_connection_lost(rta, ev.result, ev.close_code);
}

static void xbl_mpsd__rta_step(xbl_mpsd_rta *rta)
{
    xbl_mpsd_ws_event ev;
    switch (rta->phase) {
    case XBL_MPSD__RTA_IDLE:
        if (xbl_mpsd__rta_wanted(rta)) xbl_mpsd__rta_start_series(rta, XBL_MPSD_OK, 0);
        break;
    case XBL_MPSD__RTA_WAIT:
        if (!xbl_mpsd__rta_wanted(rta)) {
            rta->phase = XBL_MPSD__RTA_IDLE;
            xbl_mpsd__rta_set_state(rta, XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED, XBL_MPSD_OK, 0);
        } else if (xbl_mpsd__ms_passed(xbl_mpsd__rta_now(rta), rta->wait_start_ms, rta->wait_ms)) {
            (void)xbl_mpsd_ws_connect(&rta->ws);
            rta->phase = XBL_MPSD__RTA_ATTEMPT;
            xbl_mpsd__rta_set_state(rta, XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTING, rta->last_result, 0);
        }
        break;
    case XBL_MPSD__RTA_ATTEMPT:
        if (!xbl_mpsd__rta_wanted(rta)) {
            xbl_mpsd_ws_abort(&rta->ws);
            rta->phase = XBL_MPSD__RTA_IDLE;
            xbl_mpsd__rta_set_state(rta, XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED, XBL_MPSD_OK, 0);
            break;
        }
        if (xbl_mpsd_ws_poll(&rta->ws, &ev) != XBL_MPSD_OK) break;
        if (ev.type == XBL_MPSD_WS_EVENT_CLOSED) { xbl_mpsd__rta_attempt_failed(rta, &ev); break; }
        rta->phase = XBL_MPSD__RTA_OPEN;
        rta->attempt = 0;
        rta->flags |= XBL_MPSD__RF_EVER_OPENED;
        rta->open_ms = xbl_mpsd__rta_now(rta);
        xbl_mpsd__rta_set_state(rta, XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_CONNECTED, XBL_MPSD_OK, 0);
        break;
    case XBL_MPSD__RTA_OPEN:
        xbl_mpsd__rta_step_open(rta);
        break;
    default:   /* CLOSING */
        if (xbl_mpsd_ws_poll(&rta->ws, &ev) != XBL_MPSD_OK || ev.type != XBL_MPSD_WS_EVENT_CLOSED) break;
        if ((rta->flags & XBL_MPSD__RF_RENEW) || xbl_mpsd__rta_wanted(rta)) {
            rta->flags &= ~XBL_MPSD__RF_RENEW;
            xbl_mpsd__rta_start_series(rta, XBL_MPSD_OK, ev.close_code);   /* a renewal is no loss */
        } else {
            rta->phase = XBL_MPSD__RTA_IDLE;
            xbl_mpsd__rta_set_state(rta, XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED, XBL_MPSD_OK,
                                    ev.close_code);
        }
        break;
    }
}

/* The next waiting event: queued ones first, then the held message's taps. */
static bool xbl_mpsd__rta_hand_out(xbl_mpsd_rta *rta, xbl_mpsd_rta_event *ev)
{
    if (rta->queue_len > 0) {
        const xbl_mpsd__rta_queued *q = &rta->queue[rta->queue_head];
        rta->queue_head = (uint8_t)((rta->queue_head + 1) % XBL_MPSD__RTA_QUEUE);
        rta->queue_len--;
        ev->type = (xbl_mpsd_rta_event_type)q->type;
        ev->result = q->result;
        if (q->type == XBL_MPSD_RTA_EVENT_CONNECTION_STATE_CHANGED) {
            ev->connection_state = (xbl_mpsd_real_time_activity_connection_state)q->state;
            ev->close_code = q->close_code;
        }
        if (q->type == XBL_MPSD_RTA_EVENT_CONNECTION_ID_CHANGED)
            XBL_MPSD_MEMCPY(ev->connection_id, rta->connection_id, sizeof ev->connection_id);
        return true;
    }
    while (rta->tap_at != 0) {
        const char *arr = (const char *)rta->ws.buffer;
        size_t i = rta->tap_at, vn;
        const char *v;
        if (!xbl_mpsd__json_array_next(arr, rta->tap_end, &i, &v, &vn)) { rta->tap_at = rta->tap_end = 0; break; }
        rta->tap_at = i;
        if (xbl_mpsd__rta_tap(v, vn, &ev->session_change)) {
            ev->type = XBL_MPSD_RTA_EVENT_SESSION_CHANGED;
            ev->result = XBL_MPSD_OK;
            return true;
        }
        XBL_MPSD_MEMSET(&ev->session_change, 0, sizeof ev->session_change);
    }
    return false;
}

xbl_mpsd_result xbl_mpsd_rta_poll(xbl_mpsd_rta *rta, xbl_mpsd_rta_event *event)
{
    if (event != NULL) XBL_MPSD_MEMSET(event, 0, sizeof *event);
    if (rta == NULL || event == NULL) return XBL_MPSD_E_INVALIDARG;
    if (!(rta->flags & XBL_MPSD__RF_LIVE)) return XBL_MPSD_E_UNEXPECTED;
    if (xbl_mpsd__rta_hand_out(rta, event)) return XBL_MPSD_OK;
    xbl_mpsd__rta_step(rta);
    return xbl_mpsd__rta_hand_out(rta, event) ? XBL_MPSD_OK : XBL_MPSD_PENDING;
}

xbl_mpsd_result xbl_mpsd_rta_init(xbl_mpsd_rta *rta, xbl_mpsd_client *client, const xbl_mpsd_rta_config *config,
                                  void *buffer, size_t buffer_size)
{
    xbl_mpsd_ws_config wc;
    xbl_mpsd_ws ws;
    xbl_mpsd_result r;
    if (rta == NULL || client == NULL || config == NULL || buffer == NULL) return XBL_MPSD_E_INVALIDARG;
    XBL_MPSD_MEMSET(&wc, 0, sizeof wc);
    wc.port = config->port;
    wc.client = client;
    wc.host = config->host != NULL ? config->host : XBL_MPSD_RTA_DEFAULT_HOST;
    wc.port_number = config->port_number;
    wc.path = config->path != NULL ? config->path : XBL_MPSD_RTA_DEFAULT_PATH;
    wc.subprotocol = XBL_MPSD_RTA_SUBPROTOCOL;
    wc.timeout_ms = config->timeout_ms;
    wc.max_message_bytes = config->max_message_bytes;
    wc.ping_interval_ms = config->ping_interval_ms;
    wc.random = config->random;
    wc.random_user = config->random_user;
    if (buffer_size < XBL_MPSD_RTA_MIN_BUFFER_SIZE) return XBL_MPSD_E_INVALIDARG;
    r = xbl_mpsd_ws_init(&ws, &wc, buffer, buffer_size);   /* checks the rest, changes nothing */
    if (r != XBL_MPSD_OK) return r;
    if (client->rta != NULL) return XBL_MPSD_E_UNEXPECTED;
    XBL_MPSD_MEMSET(rta, 0, sizeof *rta);
    (void)xbl_mpsd_ws_init(&rta->ws, &wc, buffer, buffer_size);
    rta->client = client;
    rta->config = *config;
    rta->config.port = &rta->ws.port;
    rta->config.host = rta->ws.config.host;
    rta->config.path = rta->ws.config.path;
    rta->config.port_number = rta->ws.config.port_number;
    rta->config.timeout_ms = rta->ws.config.timeout_ms;
    rta->config.max_message_bytes = rta->ws.config.max_message_bytes;
    if (rta->config.max_connection_ms == 0) rta->config.max_connection_ms = UINT32_C(5400000);
    rta->state = XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED;
    rta->next_seq = 1;
    rta->flags = XBL_MPSD__RF_LIVE;
    client->rta = rta;
    return XBL_MPSD_OK;
}

void xbl_mpsd_rta_close(xbl_mpsd_rta *rta)
{
    if (rta == NULL || !(rta->flags & XBL_MPSD__RF_LIVE)) return;
    xbl_mpsd_ws_abort(&rta->ws);
    if (rta->client != NULL && rta->client->rta == rta) rta->client->rta = NULL;
    XBL_MPSD_MEMSET(rta, 0, sizeof *rta);
}

xbl_mpsd_real_time_activity_connection_state xbl_mpsd_rta_connection_state(const xbl_mpsd_rta *rta)
{
    if (rta == NULL || !(rta->flags & XBL_MPSD__RF_LIVE)) return XBL_MPSD_REAL_TIME_ACTIVITY_CONNECTION_STATE_DISCONNECTED;
    return (xbl_mpsd_real_time_activity_connection_state)rta->state;
}

const char *xbl_mpsd_rta_connection_id(const xbl_mpsd_rta *rta)
{
    return (rta == NULL || !(rta->flags & XBL_MPSD__RF_LIVE)) ? "" : rta->connection_id;
}

xbl_mpsd_result xbl_mpsd_rta_last_result(const xbl_mpsd_rta *rta)
{
    return (rta == NULL || !(rta->flags & XBL_MPSD__RF_LIVE)) ? XBL_MPSD_OK : rta->last_result;
}

size_t xbl_mpsd_rta_needed_bytes(const xbl_mpsd_rta *rta)
{
    return (rta == NULL || !(rta->flags & XBL_MPSD__RF_LIVE)) ? 0 : xbl_mpsd_ws_needed_bytes(&rta->ws);
}

static xbl_mpsd_rta *xbl_mpsd__rta_of(xbl_mpsd_client *client, xbl_mpsd_result *r)
{
    *r = client == NULL ? XBL_MPSD_E_INVALIDARG : XBL_MPSD_E_UNEXPECTED;
    if (client == NULL || client->rta == NULL || !(client->rta->flags & XBL_MPSD__RF_LIVE)) return NULL;
    *r = XBL_MPSD_OK;
    return client->rta;
}

static void xbl_mpsd__rta_enable(xbl_mpsd_rta *rta)
{
    rta->flags = (rta->flags | XBL_MPSD__RF_ENABLED) & ~(XBL_MPSD__RF_LOST_SENT | XBL_MPSD__RF_UNWANTED);
    if (rta->sub_state == XBL_MPSD__SUB_NONE) {
        rta->seq = rta->next_seq++;
        rta->sub_state = XBL_MPSD__SUB_WANTED;
    } else if (rta->sub_state == XBL_MPSD__SUB_UNSUB_SEND || rta->sub_state == XBL_MPSD__SUB_UNSUBSCRIBING) {
        rta->flags |= XBL_MPSD__RF_REWANTED;
    }
}

static void xbl_mpsd__rta_disable(xbl_mpsd_rta *rta)
{
    rta->flags &= ~(XBL_MPSD__RF_ENABLED | XBL_MPSD__RF_REWANTED);
    rta->connection_id[0] = '\0';
    rta->tap_at = rta->tap_end = 0;   /* taps not yet handed out are dropped */
    xbl_mpsd__rta_lost(rta, XBL_MPSD_OK);
    if (rta->sub_state == XBL_MPSD__SUB_WANTED || rta->sub_state == XBL_MPSD__SUB_RETRY) rta->sub_state = XBL_MPSD__SUB_NONE;
    else if (rta->sub_state == XBL_MPSD__SUB_SUBSCRIBING) rta->flags |= XBL_MPSD__RF_UNWANTED;
    else if (rta->sub_state == XBL_MPSD__SUB_ACTIVE) rta->sub_state = XBL_MPSD__SUB_UNSUB_SEND;
}

xbl_mpsd_result xbl_mpsd_set_subscriptions_enabled(xbl_mpsd_client *client, bool subscriptions_enabled)
{
    xbl_mpsd_result r;
    xbl_mpsd_rta *rta = xbl_mpsd__rta_of(client, &r);
    if (rta == NULL) return r;
    if (subscriptions_enabled == ((rta->flags & XBL_MPSD__RF_ENABLED) != 0)) return XBL_MPSD_OK;
    if (subscriptions_enabled) xbl_mpsd__rta_enable(rta);
    else xbl_mpsd__rta_disable(rta);
    return XBL_MPSD_OK;
}

bool xbl_mpsd_subscriptions_enabled(const xbl_mpsd_client *client)
{
    return client != NULL && client->rta != NULL && (client->rta->flags & XBL_MPSD__RF_LIVE)
        && (client->rta->flags & XBL_MPSD__RF_ENABLED);
}

static xbl_mpsd_result xbl_mpsd__rta_set_activated(xbl_mpsd_client *client, bool on)
{
    xbl_mpsd_result r;
    xbl_mpsd_rta *rta = xbl_mpsd__rta_of(client, &r);
    if (rta == NULL) return r;
    if (on) rta->flags |= XBL_MPSD__RF_ACTIVATED;
    else rta->flags &= ~XBL_MPSD__RF_ACTIVATED;
    return XBL_MPSD_OK;
}

xbl_mpsd_result xbl_mpsd_real_time_activity_activate(xbl_mpsd_client *client)
{
    return xbl_mpsd__rta_set_activated(client, true);
}

xbl_mpsd_result xbl_mpsd_real_time_activity_deactivate(xbl_mpsd_client *client)
{
    return xbl_mpsd__rta_set_activated(client, false);
}
#endif /* XBL_MPSD_NO_RTA */

#endif /* XBL_MPSD_IMPLEMENTATION */

/*
MIT License

Copyright (c) 2026 The xbl_mpsd authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
*/
