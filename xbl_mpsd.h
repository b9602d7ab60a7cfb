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
      XBL_MPSD_RANDOM_U64(session)
                              a random 64-bit value for subscription IDs.
                              The default mixes the XUID, the object's
                              address and a per-object counter: unique per
                              object, not secret (IDs need not be secret).

   3. EXAMPLE (polled from the frame loop; see examples/ for whole programs)
          static uint8_t arena[16384], work[32768];
          xbl_mpsd_port_posix tcp; xbl_mpsd_port port;
          xbl_mpsd_client client; xbl_mpsd_session s; xbl_mpsd_async op;
          xbl_mpsd_client_config cfg = {0};
          xbl_mpsd_session_reference ref;

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
          if (xbl_mpsd_write_session_result(&op, &s) == XBL_MPSD_OK)
              printf("status %d etag %s\n", (int)xbl_mpsd_session_write_status(&s),
                     xbl_mpsd_session_etag(&s));

   4. MEMORY
      The SDK never calls malloc, calloc, realloc or free. Every object is a
      struct the caller owns. A session keeps all its variable-size data in
      the arena given to xbl_mpsd_session_init, bump-allocated: a setter that
      replaces a value takes new space, and space is compacted when the
      session is rebuilt (init, copy into it, a result call into it). A call
      whose data does not fit returns XBL_MPSD_E_OUTOFMEMORY and leaves the
      session exactly as it was (struct and used arena bytes).
      Rebuilding measures first (a dry run of the same code) and only then
      writes, so a result or copy needs an arena as large as the new
      document, not old + new.
      Sizes measured on x86-64 (see tests/ and BENCHMARKS.md when present):
      sizeof(xbl_mpsd_session) is about 1.2 KB; a local session with a join,
      a reservation and a few custom properties uses under 1 KB of arena. A
      received 2-member document needs a few KB; budget roughly 700 bytes of
      arena per member plus the size of the custom JSON you store.
      The async buffer holds the request, the response and the JSON tokens;
      xbl_mpsd_async_needed_bytes tells the size an exchange needed.

   5. PORTS
      All I/O goes through xbl_mpsd_port (spec/TRANSPORT.md, port/README.md):
      non-blocking connect, send, recv, close and a millisecond clock, each
      outcome explicit. Shipped: port/xbl_mpsd_port_posix.h (BSD sockets).

   6. POLLING
      A *_async call checks its arguments and serializes the request at once
      (the session may change afterwards). xbl_mpsd_async_poll does a bounded
      step and never waits; the result call then applies the response to any
      session with an arena (the written one is the usual choice). One
      operation per client; a kept-alive connection is reused.

   7. ERRORS
      xbl_mpsd_result is an int32 with XSAPI's HRESULT bit patterns:
      XBL_MPSD_OK, XBL_MPSD_PENDING, XBL_MPSD_E_INVALIDARG (argument shape),
      XBL_MPSD_E_UNEXPECTED (session state), XBL_MPSD_E_INVALID_JSON_STRING
      (JSON text or response document), XBL_MPSD_E_OUTOFMEMORY (arena or
      async buffer), reported in that precedence. A call that fails changes
      nothing. Transport codes (XBL_MPSD_E_TIMEOUT, ...) and
      XBL_MPSD_E_HTTP_STATUS(n) are listed below; xbl_mpsd_result_string()
      names any code.

   8. DESIGN NOTES AND DEPARTURES
      - Caller JSON fragments are validated by our own scanner (RFC 8259
        grammar, UTF-8, escapes, depth) because a setter has no buffer to
        lend jsmn for tokens; responses are tokenized by jsmn and walked with
        explicit type and bounds checks.
      - Custom-property objects are written whole (API.md §1.5), not the
        changed keys only as MPSD.md §3.4 [REC] suggests: API.md is binding.
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
   Public API (spec/API.md, normative blocks in document order)
   =========================================================================== */

typedef int32_t xbl_mpsd_result;

/* builds a negative xbl_mpsd_result with the given 32-bit HRESULT bit pattern */
#define XBL_MPSD_RESULT_FROM_BITS(bits) \
    ((xbl_mpsd_result)((int64_t)(bits) - INT64_C(0x100000000)))

#define XBL_MPSD_OK                              ((xbl_mpsd_result)0)
#define XBL_MPSD_PENDING                         ((xbl_mpsd_result)1)
#define XBL_MPSD_E_FAIL                          XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x80004005))
#define XBL_MPSD_E_UNEXPECTED                    XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x8000FFFF))
#define XBL_MPSD_E_OUTOFMEMORY                   XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x8007000E))
#define XBL_MPSD_E_INVALIDARG                    XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x80070057))
#define XBL_MPSD_E_RESOURCE_DATA_NOT_FOUND       XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x80070714))
#define XBL_MPSD_E_INVALID_JSON_STRING           XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x83750007))
#define XBL_MPSD_E_RUNTIME_ERROR                 XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x89235200))
/* an HTTP failure status, same bits as XSAPI's HTTP_E_STATUS_*: 0x80190000 + status */
#define XBL_MPSD_E_HTTP_STATUS(status) \
    XBL_MPSD_RESULT_FROM_BITS(UINT32_C(0x80190000) + (uint32_t)(status))

#define XBL_MPSD_SUCCEEDED(r) ((xbl_mpsd_result)(r) >= 0)
#define XBL_MPSD_FAILED(r)    ((xbl_mpsd_result)(r) < 0)

typedef struct xbl_mpsd_session xbl_mpsd_session; /* complete in xbl_mpsd.h, members private (§1.2) */
typedef struct xbl_mpsd_client  xbl_mpsd_client;  /* defined by the transport contract             */
typedef struct xbl_mpsd_async   xbl_mpsd_async;   /* defined by the transport contract             */

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


/* Private: the arena a session lives in (API.md §1.2). */
typedef struct xbl_mpsd__arena {
    unsigned char *base;
    size_t         size;
    size_t         used;
    bool           measure;   /* dry run: count, write nothing */
    bool           failed;    /* sticky: an allocation did not fit */
} xbl_mpsd__arena;

/* ---------------------------------------------------------------------------
   The session object. Complete so that callers can place it anywhere; every
   member is private (API.md §1.2). Variable-size data lives in the arena.
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
};

/* ===========================================================================
   Transport contract (spec/TRANSPORT.md): result codes, port, client, async
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

/* "XBL_MPSD_E_TIMEOUT", "HTTP 409", ... never NULL */
const char *xbl_mpsd_result_string(xbl_mpsd_result r);

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
} xbl_mpsd_client_config;

#include "wip/transport_types.inc.h"

xbl_mpsd_session_reference xbl_mpsd_session_reference_create(
    const char *scid, const char *session_template_name, const char *session_name);

xbl_mpsd_result xbl_mpsd_session_reference_parse_from_uri_path(
    const char *path, xbl_mpsd_session_reference *session_reference);

xbl_mpsd_result xbl_mpsd_session_reference_to_uri_path(
    const xbl_mpsd_session_reference *session_reference,
    xbl_mpsd_session_reference_uri *session_reference_uri);

bool xbl_mpsd_session_reference_is_valid(const xbl_mpsd_session_reference *session_reference);

xbl_mpsd_result xbl_mpsd_session_init(
    xbl_mpsd_session *session, uint64_t xuid,
    const xbl_mpsd_session_reference *session_reference /* may be NULL */,
    const xbl_mpsd_session_init_args *init_args         /* may be NULL */,
    void *arena, size_t arena_size);

xbl_mpsd_result xbl_mpsd_session_copy(xbl_mpsd_session *dst, const xbl_mpsd_session *src);

void xbl_mpsd_session_clear(xbl_mpsd_session *session);

bool xbl_mpsd_session_has_document(const xbl_mpsd_session *session);

time_t xbl_mpsd_session_time_of_session(const xbl_mpsd_session *session);

const xbl_mpsd_session_initialization_info *xbl_mpsd_session_get_initialization_info(
    const xbl_mpsd_session *session);

xbl_mpsd_session_change_types xbl_mpsd_session_subscribed_change_types(const xbl_mpsd_session *session);

xbl_mpsd_result xbl_mpsd_session_host_candidates(
    const xbl_mpsd_session *session,
    const xbl_mpsd_device_token **device_tokens, size_t *device_tokens_count);

const xbl_mpsd_session_reference *xbl_mpsd_session_session_reference(const xbl_mpsd_session *session);
const xbl_mpsd_session_constants *xbl_mpsd_session_session_constants(const xbl_mpsd_session *session);
const xbl_mpsd_session_properties *xbl_mpsd_session_session_properties(const xbl_mpsd_session *session);

xbl_mpsd_result xbl_mpsd_session_role_types(
    const xbl_mpsd_session *session,
    const xbl_mpsd_role_type **role_types, size_t *role_types_count);

xbl_mpsd_result xbl_mpsd_session_get_role_by_name(
    const xbl_mpsd_session *session, const char *role_type_name, const char *role_name,
    const xbl_mpsd_role **role);

xbl_mpsd_result xbl_mpsd_session_members(
    const xbl_mpsd_session *session,
    const xbl_mpsd_session_member **members, size_t *count);

const xbl_mpsd_session_member *xbl_mpsd_session_get_member(
    const xbl_mpsd_session *session, uint32_t member_id);

const xbl_mpsd_matchmaking_server *xbl_mpsd_session_matchmaking_server(const xbl_mpsd_session *session);

uint32_t xbl_mpsd_session_members_accepted(const xbl_mpsd_session *session);

const char *xbl_mpsd_session_raw_servers_json(const xbl_mpsd_session *session);

const char *xbl_mpsd_session_etag(const xbl_mpsd_session *session);

const xbl_mpsd_session_member *xbl_mpsd_session_current_user(const xbl_mpsd_session *session);

const xbl_mpsd_session_info *xbl_mpsd_session_get_info(const xbl_mpsd_session *session);

xbl_mpsd_write_session_status xbl_mpsd_session_write_status(const xbl_mpsd_session *session);

xbl_mpsd_session_change_types xbl_mpsd_session_compare(
    const xbl_mpsd_session *current_session, const xbl_mpsd_session *old_session);

xbl_mpsd_result xbl_mpsd_session_constants_set_max_members_in_session(
    xbl_mpsd_session *session, uint32_t max_members_in_session);

xbl_mpsd_result xbl_mpsd_session_constants_set_visibility(
    xbl_mpsd_session *session, xbl_mpsd_session_visibility visibility);

xbl_mpsd_result xbl_mpsd_session_constants_set_timeouts(
    xbl_mpsd_session *session,
    uint64_t member_reserved_timeout, uint64_t member_inactive_timeout,
    uint64_t member_ready_timeout, uint64_t session_empty_timeout);

xbl_mpsd_result xbl_mpsd_session_constants_set_qos_connectivity_metrics(
    xbl_mpsd_session *session,
    bool enable_latency_metric, bool enable_bandwidth_down_metric,
    bool enable_bandwidth_up_metric, bool enable_custom_metric);

xbl_mpsd_result xbl_mpsd_session_constants_set_member_initialization(
    xbl_mpsd_session *session, xbl_mpsd_member_initialization member_initialization);

xbl_mpsd_result xbl_mpsd_session_constants_set_peer_to_peer_requirements(
    xbl_mpsd_session *session, xbl_mpsd_peer_to_peer_requirements requirements);

xbl_mpsd_result xbl_mpsd_session_constants_set_peer_to_host_requirements(
    xbl_mpsd_session *session, xbl_mpsd_peer_to_host_requirements requirements);

xbl_mpsd_result xbl_mpsd_session_constants_set_measurement_server_addresses_json(
    xbl_mpsd_session *session, const char *measurement_server_addresses_json);

xbl_mpsd_result xbl_mpsd_session_constants_set_capabilities(
    xbl_mpsd_session *session, xbl_mpsd_session_capabilities capabilities);

xbl_mpsd_result xbl_mpsd_session_constants_set_cloud_compute_package_json(
    xbl_mpsd_session *session, const char *session_cloud_compute_package_constants_json);

xbl_mpsd_result xbl_mpsd_session_properties_set_keywords(
    xbl_mpsd_session *session, const char *const *keywords, size_t keywords_count);

xbl_mpsd_result xbl_mpsd_session_properties_set_join_restriction(
    xbl_mpsd_session *session, xbl_mpsd_session_restriction join_restriction);
xbl_mpsd_result xbl_mpsd_session_properties_set_read_restriction(
    xbl_mpsd_session *session, xbl_mpsd_session_restriction read_restriction);

xbl_mpsd_result xbl_mpsd_session_properties_set_turn_collection(
    xbl_mpsd_session *session, const uint32_t *turn_collection_member_ids,
    size_t turn_collection_member_ids_count);

xbl_mpsd_result xbl_mpsd_session_set_mutable_role_settings(
    xbl_mpsd_session *session, const char *role_type_name, const char *role_name,
    const uint32_t *max_member_count    /* NULL = keep */,
    const uint32_t *target_member_count /* NULL = keep */);

xbl_mpsd_result xbl_mpsd_session_set_raw_servers_json(xbl_mpsd_session *session, const char *raw_servers_json);

xbl_mpsd_result xbl_mpsd_session_set_initialization_succeeded(
    xbl_mpsd_session *session, bool initialization_succeeded);

xbl_mpsd_result xbl_mpsd_session_set_host_device_token(
    xbl_mpsd_session *session, xbl_mpsd_device_token host_device_token);

xbl_mpsd_result xbl_mpsd_session_set_matchmaking_server_connection_path(
    xbl_mpsd_session *session, const char *server_connection_path);

xbl_mpsd_result xbl_mpsd_session_set_closed(xbl_mpsd_session *session, bool closed);
xbl_mpsd_result xbl_mpsd_session_set_locked(xbl_mpsd_session *session, bool locked);
xbl_mpsd_result xbl_mpsd_session_set_allocate_cloud_compute(xbl_mpsd_session *session, bool allocate_cloud_compute);
xbl_mpsd_result xbl_mpsd_session_set_matchmaking_resubmit(xbl_mpsd_session *session, bool match_resubmit);

xbl_mpsd_result xbl_mpsd_session_set_server_connection_string_candidates(
    xbl_mpsd_session *session, const char *const *server_connection_string_candidates,
    size_t server_connection_string_candidates_count);

xbl_mpsd_result xbl_mpsd_session_set_matchmaking_target_session_constants_json(
    xbl_mpsd_session *session, const char *matchmaking_target_session_constants_json);

xbl_mpsd_result xbl_mpsd_session_set_custom_property_json(
    xbl_mpsd_session *session, const char *name, const char *value_json);
xbl_mpsd_result xbl_mpsd_session_delete_custom_property_json(
    xbl_mpsd_session *session, const char *name);

xbl_mpsd_result xbl_mpsd_session_join(
    xbl_mpsd_session *session, const char *member_custom_constants_json /* may be NULL */,
    bool initialize_requested, bool join_with_active_status);

xbl_mpsd_result xbl_mpsd_session_leave(xbl_mpsd_session *session);

xbl_mpsd_result xbl_mpsd_session_add_member_reservation(
    xbl_mpsd_session *session, uint64_t xuid,
    const char *member_custom_constants_json /* may be NULL */, bool initialize_requested);

xbl_mpsd_result xbl_mpsd_session_set_session_change_subscription(
    xbl_mpsd_session *session, xbl_mpsd_session_change_types change_types);

xbl_mpsd_result xbl_mpsd_session_current_user_set_status(
    xbl_mpsd_session *session, xbl_mpsd_session_member_status status);

xbl_mpsd_result xbl_mpsd_session_current_user_set_secure_device_address_base64(
    xbl_mpsd_session *session, const char *value);

xbl_mpsd_result xbl_mpsd_session_current_user_set_roles(
    xbl_mpsd_session *session, const xbl_mpsd_session_member_role *roles, size_t roles_count);

xbl_mpsd_result xbl_mpsd_session_current_user_set_members_in_group(
    xbl_mpsd_session *session, const uint32_t *member_ids, size_t member_ids_count);

xbl_mpsd_result xbl_mpsd_session_current_user_set_groups(
    xbl_mpsd_session *session, const char *const *groups, size_t groups_count);
xbl_mpsd_result xbl_mpsd_session_current_user_set_encounters(
    xbl_mpsd_session *session, const char *const *encounters, size_t encounters_count);

xbl_mpsd_result xbl_mpsd_session_current_user_set_qos_measurements(
    xbl_mpsd_session *session, const char *measurements);
xbl_mpsd_result xbl_mpsd_session_current_user_set_server_qos_measurements(
    xbl_mpsd_session *session, const char *measurements);

xbl_mpsd_result xbl_mpsd_session_current_user_set_custom_property_json(
    xbl_mpsd_session *session, const char *name, const char *value_json);
xbl_mpsd_result xbl_mpsd_session_current_user_delete_custom_property_json(
    xbl_mpsd_session *session, const char *name);

xbl_mpsd_result xbl_mpsd_format_secure_device_address(
    const char *device_id, xbl_mpsd_formatted_secure_device_address *address);

xbl_mpsd_result xbl_mpsd_write_session_async(
    xbl_mpsd_client *client, const xbl_mpsd_session *session,
    xbl_mpsd_session_write_mode write_mode, xbl_mpsd_async *async);

xbl_mpsd_result xbl_mpsd_write_session_result(xbl_mpsd_async *async, xbl_mpsd_session *out /* may be NULL */);

xbl_mpsd_result xbl_mpsd_write_session_by_handle_async(
    xbl_mpsd_client *client, const xbl_mpsd_session *session,
    xbl_mpsd_session_write_mode write_mode, const char *handle_id, xbl_mpsd_async *async);

xbl_mpsd_result xbl_mpsd_write_session_by_handle_result(xbl_mpsd_async *async, xbl_mpsd_session *out);

xbl_mpsd_result xbl_mpsd_get_session_async(
    xbl_mpsd_client *client, const xbl_mpsd_session_reference *session_reference, xbl_mpsd_async *async);

xbl_mpsd_result xbl_mpsd_get_session_result(xbl_mpsd_async *async, xbl_mpsd_session *out /* may be NULL */);

xbl_mpsd_result xbl_mpsd_get_session_by_handle_async(
    xbl_mpsd_client *client, const char *handle_id, xbl_mpsd_async *async);

xbl_mpsd_result xbl_mpsd_get_session_by_handle_result(xbl_mpsd_async *async, xbl_mpsd_session *out);

xbl_mpsd_result xbl_mpsd_client_init(xbl_mpsd_client *client, const xbl_mpsd_client_config *config);
void xbl_mpsd_client_close(xbl_mpsd_client *client);   /* drops the kept connection */

/* Give the async its storage: the request, the response and the JSON tokens
   all live here. Too small for a given exchange: the operation ends with
   XBL_MPSD_E_OUTOFMEMORY and xbl_mpsd_async_needed_bytes tells the size. */
xbl_mpsd_result xbl_mpsd_async_init(xbl_mpsd_async *async, void *buffer, size_t buffer_size);

/* Do a bounded step of work. XBL_MPSD_PENDING until done, then the final
   result (the same value the result call returns). Never blocks. */
xbl_mpsd_result xbl_mpsd_async_poll(xbl_mpsd_async *async);
void xbl_mpsd_async_cancel(xbl_mpsd_async *async);
size_t xbl_mpsd_async_needed_bytes(const xbl_mpsd_async *async);

/* After completion: the HTTP status (0 if none arrived) and the service's
   plain-text error reason, if any (NUL-terminated, "" when none). */
uint32_t xbl_mpsd_async_http_status(const xbl_mpsd_async *async);
const char *xbl_mpsd_async_error_text(const xbl_mpsd_async *async);

/* The version of this header, as a string ("0.1.0"). */
const char *xbl_mpsd_version(void);

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
        "XBL_MPSD_E_CONNECTION_CLOSED", "XBL_MPSD_E_CANCELED", "XBL_MPSD_E_BUSY"
    };
    static const char *const http[] = {
        "HTTP 400", "HTTP 401", "HTTP 402", "HTTP 403", "HTTP 404", "HTTP 405", "HTTP 406",
        "HTTP 407", "HTTP 408", "HTTP 409", "HTTP 410", "HTTP 411", "HTTP 412", "HTTP 413",
        "HTTP 414", "HTTP 415", "HTTP 416", "HTTP 417", "HTTP 418", "HTTP 419", "HTTP 420",
        "HTTP 421", "HTTP 422", "HTTP 423", "HTTP 424", "HTTP 425", "HTTP 426", "HTTP 427",
        "HTTP 428", "HTTP 429", "HTTP 430", "HTTP 431"
    };
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
    default: break;
    }
    if (bits >= UINT32_C(0xA4D50001) && bits <= UINT32_C(0xA4D5000B))
        return transport[bits - UINT32_C(0xA4D50001)];
    if (bits >= UINT32_C(0x80190190) && bits <= UINT32_C(0x801901AF))
        return http[bits - UINT32_C(0x80190190)];
    if (bits == UINT32_C(0x801901F4)) return "HTTP 500";
    if (bits == UINT32_C(0x801901F6)) return "HTTP 502";
    if (bits == UINT32_C(0x801901F7)) return "HTTP 503";
    if (bits == UINT32_C(0x801901F8)) return "HTTP 504";
    if ((bits & UINT32_C(0xFFFF0000)) == UINT32_C(0x80190000)) return "HTTP error";
    return r > 0 ? "XBL_MPSD_PENDING (positive)" : "unknown error";
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
    ((type *)xbl_mpsd__arena_alloc((a), ((count) > SIZE_MAX / sizeof(type)) ? SIZE_MAX : sizeof(type) * (count), XBL_MPSD__ALIGN))

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
   jsmn tokenizes responses (below); caller fragments and our own stored
   objects are checked and walked here without token storage, since a setter
   has no buffer to lend jsmn. Full RFC 8259 grammar, UTF-8 checked.
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

/* Decodes one character of a JSON string body (between the quotes) at *i
   into out[4]; returns its UTF-8 length, or 0 when the text is malformed:
   bad escape, unpaired surrogate, raw control character, invalid UTF-8. */
static size_t xbl_mpsd__json_char(const char *s, size_t n, size_t *i, char out[4])
{
    unsigned char c = (unsigned char)s[*i];
    unsigned cp, lo;
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
    switch (c) {
    case '"': out[0] = '"'; return 1;
    case '\\': out[0] = '\\'; return 1;
    case '/': out[0] = '/'; return 1;
    case 'b': out[0] = '\b'; return 1;
    case 'f': out[0] = '\f'; return 1;
    case 'n': out[0] = '\n'; return 1;
    case 'r': out[0] = '\r'; return 1;
    case 't': out[0] = '\t'; return 1;
    case 'u': break;
    default: return 0;
    }
    if (!xbl_mpsd__hex4(s, n, *i, &cp)) return 0;
    *i += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return 0;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (n - *i < 6 || s[*i] != '\\' || s[*i + 1] != 'u' || !xbl_mpsd__hex4(s, n, *i + 2, &lo)) return 0;
        if (lo < 0xDC00 || lo > 0xDFFF) return 0;
        *i += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
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
    while (i < n) {
        size_t k = xbl_mpsd__json_char(s, n, &i, ch), j;
        if (k == 0) return false;
        for (j = 0; j < k; j++, at++)
            if (name[at] != ch[j]) return false;
    }
    return name[at] == '\0';
}

/* Scans a string starting at the opening quote; *i ends after the closing one. */
static bool xbl_mpsd__json_scan_string(const char *s, size_t n, size_t *i)
{
    char ch[4];
    size_t k = *i + 1;
    if (*i >= n || s[*i] != '"') return false;
    while (k < n && s[k] != '"') {
        if (xbl_mpsd__json_char(s, n, &k, ch) == 0) return false;
    }
    if (k >= n) return false;
    *i = k + 1;
    return true;
}

static bool xbl_mpsd__json_scan_number(const char *s, size_t n, size_t *i)
{
    size_t k = *i, digits;
    if (k < n && s[k] == '-') k++;
    if (k >= n) return false;
    if (s[k] == '0') k++;
    else if (s[k] >= '1' && s[k] <= '9') { while (k < n && s[k] >= '0' && s[k] <= '9') k++; }
    else return false;
    if (k < n && s[k] == '.') {
        k++;
        for (digits = 0; k < n && s[k] >= '0' && s[k] <= '9'; k++) digits++;
        if (!digits) return false;
    }
    if (k < n && (s[k] == 'e' || s[k] == 'E')) {
        k++;
        if (k < n && (s[k] == '+' || s[k] == '-')) k++;
        for (digits = 0; k < n && s[k] >= '0' && s[k] <= '9'; k++) digits++;
        if (!digits) return false;
    }
    *i = k;
    return true;
}

static bool xbl_mpsd__json_scan_literal(const char *s, size_t n, size_t *i, const char *lit)
{
    size_t len = xbl_mpsd__strlen(lit);
    if (n - *i < len || XBL_MPSD_MEMCMP(s + *i, lit, len) != 0) return false;
    *i += len;
    return true;
}

/* Scans one value at *i (no leading whitespace); *i ends right after it. */
static bool xbl_mpsd__json_scan_value(const char *s, size_t n, size_t *i, unsigned depth)
{
    char open;
    if (*i >= n) return false;
    switch (s[*i]) {
    case '"': return xbl_mpsd__json_scan_string(s, n, i);
    case 't': return xbl_mpsd__json_scan_literal(s, n, i, "true");
    case 'f': return xbl_mpsd__json_scan_literal(s, n, i, "false");
    case 'n': return xbl_mpsd__json_scan_literal(s, n, i, "null");
    case '{': case '[': break;
    default: return xbl_mpsd__json_scan_number(s, n, i);
    }
    if (depth >= XBL_MPSD_JSON_MAX_DEPTH) return false;
    open = s[*i];
    *i = xbl_mpsd__json_ws(s, n, *i + 1);
    if (*i < n && s[*i] == (open == '{' ? '}' : ']')) { (*i)++; return true; }
    for (;;) {
        if (open == '{') {
            if (!xbl_mpsd__json_scan_string(s, n, i)) return false;
            *i = xbl_mpsd__json_ws(s, n, *i);
            if (*i >= n || s[*i] != ':') return false;
            *i = xbl_mpsd__json_ws(s, n, *i + 1);
        }
        if (!xbl_mpsd__json_scan_value(s, n, i, depth + 1)) return false;
        *i = xbl_mpsd__json_ws(s, n, *i);
        if (*i >= n) return false;
        if (s[*i] == ',') { *i = xbl_mpsd__json_ws(s, n, *i + 1); continue; }
        if (s[*i] == (open == '{' ? '}' : ']')) { (*i)++; return true; }
        return false;
    }
}

/* Checks that text is exactly one JSON value with optional surrounding
   whitespace, and reports where the value itself starts and how long it is. */
static bool xbl_mpsd__json_check(const char *text, size_t n, size_t *start, size_t *len)
{
    size_t i = xbl_mpsd__json_ws(text, n, 0), b = i;
    if (!xbl_mpsd__json_scan_value(text, n, &i, 0)) return false;
    *start = b;
    *len = i - b;
    return xbl_mpsd__json_ws(text, n, i) == n;
}

/* Iterates the members of a JSON object text known to be valid. Start with
   *i = 0; each call yields the key body (without quotes) and the value. */
static bool xbl_mpsd__json_object_next(const char *s, size_t n, size_t *i,
        const char **key, size_t *key_len, const char **value, size_t *value_len)
{
    size_t k = xbl_mpsd__json_ws(s, n, *i), v;
    if (k < n && (s[k] == '{' || s[k] == ',')) k = xbl_mpsd__json_ws(s, n, k + 1);
    if (k >= n || s[k] != '"') return false;
    v = k;
    if (!xbl_mpsd__json_scan_string(s, n, &v)) return false;
    *key = s + k + 1;
    *key_len = v - k - 2;
    v = xbl_mpsd__json_ws(s, n, v);
    v = xbl_mpsd__json_ws(s, n, v + 1);   /* past ':' */
    k = v;
    if (!xbl_mpsd__json_scan_value(s, n, &v, 1)) return false;
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
   token buffer is too small (*tokens_needed tells the tokens the body needs,
   0 when only the arena was short). On failure out is untouched. */
static xbl_mpsd_result xbl_mpsd__session_load(xbl_mpsd_session *out,
        const char *body, size_t body_len, const xbl_mpsd__response_meta *meta,
        jsmntok_t *tokens, size_t token_cap, size_t *tokens_needed);

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
    s->properties.matchmaking_server_connection_string = "";
    s->matchmaking_server.status_details = "";
    s->joined_index = SIZE_MAX;
    s->write_status = XBL_MPSD_WRITE_SESSION_STATUS_UNKNOWN;
    s->initialization.stage = XBL_MPSD_INITIALIZATION_STAGE_UNKNOWN;
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
    uint64_t z = s->xuid ^ (uint64_t)(uintptr_t)s ^ ((uint64_t)(++s->random_counter) << 32)
               ^ (uint64_t)(uintptr_t)s->arena.base;
    z += UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
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
static const char *xbl_mpsd__dup_opt_str(xbl_mpsd__arena *a, const char *s)
{
    return s == NULL ? NULL : xbl_mpsd__arena_str(a, s);
}

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

xbl_mpsd_session_reference xbl_mpsd_session_reference_create(
    const char *scid, const char *session_template_name, const char *session_name)
{
    xbl_mpsd_session_reference r;
    XBL_MPSD_MEMSET(&r, 0, sizeof r);
    if (scid) (void)xbl_mpsd__copy_fixed(r.scid, sizeof r.scid, scid);
    if (session_template_name)
        (void)xbl_mpsd__copy_fixed(r.session_template_name, sizeof r.session_template_name, session_template_name);
    if (session_name) (void)xbl_mpsd__copy_fixed(r.session_name, sizeof r.session_name, session_name);
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
    return r != NULL && xbl_mpsd__reference_terminated(r)
        && r->scid[0] != '\0' && r->session_template_name[0] != '\0' && r->session_name[0] != '\0';
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

static bool xbl_mpsd__visibility_ok(xbl_mpsd_session_visibility v)
{
    return (int)v >= 0 && (int)v <= 5;
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
    if (args->custom_json != NULL && args->custom_json[0] != '\0' && !xbl_mpsd__json_arg(args->custom_json, &v, &n))
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
    if (arena == NULL || (session_reference && !xbl_mpsd__reference_terminated(session_reference)))
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

static void xbl_mpsd__clone_member(xbl_mpsd__arena *a, xbl_mpsd_session_member *m)
{
    xbl_mpsd_session_member_role *roles;
    size_t i;
    m->initial_team = xbl_mpsd__dup_opt_str(a, m->initial_team);
    m->custom_constants_json = xbl_mpsd__dup_opt_str(a, m->custom_constants_json);
    m->secure_device_base_address64 = xbl_mpsd__dup_opt_str(a, m->secure_device_base_address64);
    m->custom_properties_json = xbl_mpsd__dup_opt_str(a, m->custom_properties_json);
    m->matchmaking_result_server_measurements_json = xbl_mpsd__dup_opt_str(a, m->matchmaking_result_server_measurements_json);
    m->server_measurements_json = xbl_mpsd__dup_opt_str(a, m->server_measurements_json);
    m->qos_measurements_json = xbl_mpsd__dup_opt_str(a, m->qos_measurements_json);
    if (m->members_in_group_ids) m->members_in_group_ids = xbl_mpsd__dup_u32s(a, m->members_in_group_ids, m->members_in_group_count);
    if (m->groups) m->groups = xbl_mpsd__dup_strs(a, m->groups, m->groups_count);
    if (m->encounters) m->encounters = xbl_mpsd__dup_strs(a, m->encounters, m->encounters_count);
    if (m->roles == NULL) return;
    roles = XBL_MPSD__ALLOC_ARRAY(a, xbl_mpsd_session_member_role, m->roles_count ? m->roles_count : 1);
    for (i = 0; i < m->roles_count; i++) {
        xbl_mpsd_session_member_role r;
        r.role_type_name = xbl_mpsd__arena_str(a, m->roles[i].role_type_name);
        r.role_name = xbl_mpsd__arena_str(a, m->roles[i].role_name);
        if (roles) roles[i] = r;
    }
    m->roles = roles;
}

static xbl_mpsd_role_type *xbl_mpsd__clone_role_types(xbl_mpsd__arena *a, const xbl_mpsd_role_type *src, size_t n)
{
    xbl_mpsd_role_type *types = XBL_MPSD__ALLOC_ARRAY(a, xbl_mpsd_role_type, n ? n : 1);
    size_t t, r;
    for (t = 0; t < n; t++) {
        xbl_mpsd_role_type type = src[t];
        xbl_mpsd_role *roles = XBL_MPSD__ALLOC_ARRAY(a, xbl_mpsd_role, type.role_count ? type.role_count : 1);
        type.name = xbl_mpsd__arena_str(a, src[t].name);
        for (r = 0; r < type.role_count; r++) {
            xbl_mpsd_role role = src[t].roles[r];
            role.role_type = types ? &types[t] : NULL;
            role.name = xbl_mpsd__arena_str(a, role.name);
            role.member_xuids = (const uint64_t *)xbl_mpsd__dup_bytes(a, role.member_xuids,
                    (size_t)role.member_count * 8);
            if (roles) roles[r] = role;
        }
        type.roles = roles;
        if (types) types[t] = type;
    }
    return types;
}

static void xbl_mpsd__clone_constants(xbl_mpsd__arena *a, xbl_mpsd_session_constants *c)
{
    if (c->initiator_xuids)
        c->initiator_xuids = (const uint64_t *)xbl_mpsd__dup_bytes(a, c->initiator_xuids, c->initiator_xuids_count * 8);
    c->custom_json = xbl_mpsd__arena_str(a, c->custom_json);
    c->session_cloud_compute_package_constants_json = xbl_mpsd__arena_str(a, c->session_cloud_compute_package_constants_json);
    c->measurement_server_addresses_json = xbl_mpsd__arena_str(a, c->measurement_server_addresses_json);
}

static void xbl_mpsd__clone_properties(xbl_mpsd__arena *a, xbl_mpsd_session_properties *p)
{
    if (p->keywords) p->keywords = xbl_mpsd__dup_strs(a, p->keywords, p->keyword_count);
    if (p->turn_collection) p->turn_collection = xbl_mpsd__dup_u32s(a, p->turn_collection, p->turn_collection_count);
    p->matchmaking_target_session_constants_json = xbl_mpsd__arena_str(a, p->matchmaking_target_session_constants_json);
    p->session_custom_properties_json = xbl_mpsd__arena_str(a, p->session_custom_properties_json);
    p->matchmaking_server_connection_string = xbl_mpsd__arena_str(a, p->matchmaking_server_connection_string);
    if (p->server_connection_string_candidates)
        p->server_connection_string_candidates = xbl_mpsd__dup_strs(a, p->server_connection_string_candidates,
                p->server_connection_string_candidates_count);
    if (p->session_owner_member_ids)
        p->session_owner_member_ids = xbl_mpsd__dup_u32s(a, p->session_owner_member_ids, p->session_owner_member_ids_count);
}

/* Deep-copies src into dst, whose arena (possibly in measure mode) is empty. */
static void xbl_mpsd__clone(xbl_mpsd_session *dst, const xbl_mpsd_session *src)
{
    xbl_mpsd__arena a = dst->arena;
    xbl_mpsd_session_member *members;
    size_t i;
    *dst = *src;
    dst->arena = a;
    dst->etag = xbl_mpsd__arena_str(&dst->arena, src->etag);
    dst->raw_servers_json = xbl_mpsd__arena_str(&dst->arena, src->raw_servers_json);
    xbl_mpsd__clone_constants(&dst->arena, &dst->constants);
    if (src->constants.member_initialization) dst->constants.member_initialization = &dst->member_initialization;
    xbl_mpsd__clone_properties(&dst->arena, &dst->properties);
    dst->matchmaking_server.status_details = xbl_mpsd__arena_str(&dst->arena, src->matchmaking_server.status_details);
    if (src->host_candidates)
        dst->host_candidates = (const xbl_mpsd_device_token *)xbl_mpsd__dup_bytes(&dst->arena, src->host_candidates,
                src->host_candidates_count * sizeof(xbl_mpsd_device_token));
    if (src->role_types) dst->role_types = xbl_mpsd__clone_role_types(&dst->arena, src->role_types, src->role_types_count);
    if (src->members == NULL) return;
    members = XBL_MPSD__ALLOC_ARRAY(&dst->arena, xbl_mpsd_session_member, src->members_count ? src->members_count : 1);
    for (i = 0; i < src->members_count; i++) {
        xbl_mpsd_session_member m = src->members[i];
        xbl_mpsd__clone_member(&dst->arena, &m);
        if (members) members[i] = m;
    }
    dst->members = members;
}

static bool xbl_mpsd__overlap(const xbl_mpsd__arena *a, const xbl_mpsd__arena *b)
{
    uintptr_t a0 = (uintptr_t)a->base, b0 = (uintptr_t)b->base;
    return a0 < b0 + b->size && b0 < a0 + a->size;
}

xbl_mpsd_result xbl_mpsd_session_copy(xbl_mpsd_session *dst, const xbl_mpsd_session *src)
{
    xbl_mpsd_session tmp;
    if (dst == NULL || src == NULL) return XBL_MPSD_E_INVALIDARG;
    if (dst == src) return XBL_MPSD_OK;
    if (!xbl_mpsd__has_doc(src) || dst->arena.base == NULL || xbl_mpsd__overlap(&dst->arena, &src->arena))
        return XBL_MPSD_E_INVALIDARG;
    xbl_mpsd__session_reset(&tmp, dst->arena.base, dst->arena.size);
    tmp.arena.measure = true;
    xbl_mpsd__clone(&tmp, src);
    if (tmp.arena.failed) return XBL_MPSD_E_OUTOFMEMORY;
    xbl_mpsd__session_reset(&tmp, dst->arena.base, dst->arena.size);
    xbl_mpsd__clone(&tmp, src);
    XBL_MPSD_ASSERT(!tmp.arena.failed);
    *dst = tmp;
    if (dst->constants.member_initialization) dst->constants.member_initialization = &dst->member_initialization;
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

const char *xbl_mpsd_session_raw_servers_json(const xbl_mpsd_session *session)
{
    return xbl_mpsd__has_doc(session) ? session->raw_servers_json : NULL;
}

const char *xbl_mpsd_session_etag(const xbl_mpsd_session *session)
{
    return xbl_mpsd__has_doc(session) ? session->etag : NULL;
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
    session->member_initialization = member_initialization;
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
    bool metric_ok = (int)requirements.host_selection_metric >= 0 && (int)requirements.host_selection_metric <= 4;
    xbl_mpsd_result rc = xbl_mpsd__constants_gate(session, metric_ok);
    if (rc != XBL_MPSD_OK) return rc;
    session->constants.peer_to_host_requirements = requirements;
    xbl_mpsd__mark_constants(session, XBL_MPSD__DIRTY_C_PEER_TO_HOST);
    return XBL_MPSD_OK;
}

/* Stores a validated JSON argument in *slot; "" stays "" when allow_empty. */
static xbl_mpsd_result xbl_mpsd__set_json_text(xbl_mpsd_session *s, const char **slot, const char *text, bool allow_empty)
{
    size_t mark = s->arena.used;
    const char *v;
    size_t n;
    if (allow_empty && text[0] == '\0') { *slot = ""; return XBL_MPSD_OK; }
    if (!xbl_mpsd__json_arg(text, &v, &n)) return XBL_MPSD_E_INVALID_JSON_STRING;
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
    return (int)r >= 0 && (int)r <= 3;
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

/* Sets (value_json non-NULL) or deletes a key of the object in *slot. */
static xbl_mpsd_result xbl_mpsd__custom_update(xbl_mpsd_session *s, const char **slot, const char *name,
    const char *value_json)
{
    size_t mark = s->arena.used, vlen = 4;
    const char *value = "null", *edited;
    if (value_json && !xbl_mpsd__json_arg(value_json, &value, &vlen)) return XBL_MPSD_E_INVALID_JSON_STRING;
    edited = xbl_mpsd__custom_edit(&s->arena, *slot, name, value, vlen);
    if (xbl_mpsd__arena_settle(&s->arena, mark) != XBL_MPSD_OK || edited == NULL) return XBL_MPSD_E_OUTOFMEMORY;
    *slot = edited;
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
    rc = xbl_mpsd__custom_update(session, &session->properties.session_custom_properties_json, name, value_json);
    if (rc == XBL_MPSD_OK) session->dirty |= XBL_MPSD__DIRTY_CUSTOM;
    return rc;
}

xbl_mpsd_result xbl_mpsd_session_delete_custom_property_json(xbl_mpsd_session *session, const char *name)
{
    xbl_mpsd_result rc;
    if (!xbl_mpsd__has_doc(session) || !xbl_mpsd__name_ok(name)) return XBL_MPSD_E_INVALIDARG;
    rc = xbl_mpsd__custom_update(session, &session->properties.session_custom_properties_json, name, NULL);
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
    if (!xbl_mpsd__json_arg(json, &v, &n)) return XBL_MPSD_E_INVALID_JSON_STRING;
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
    if (!xbl_mpsd__has_doc(session) || (int)status < 0 || (int)status > 3) return XBL_MPSD_E_INVALIDARG;
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
    rc = xbl_mpsd__custom_update(s, &me->custom_properties_json, name, set ? value_json : NULL);
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

xbl_mpsd_result xbl_mpsd_format_secure_device_address(const char *device_id,
    xbl_mpsd_formatted_secure_device_address *address)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t id_len, total, i, o = 0;
    if (device_id == NULL || address == NULL) return XBL_MPSD_E_INVALIDARG;
    id_len = xbl_mpsd__strnlen(device_id, 3062);
    if (id_len == 0 || id_len > 3061) return XBL_MPSD_E_INVALIDARG;
    total = 8 + id_len;
    for (i = 0; i < total; i += 3) {
        unsigned char in[3] = { 0, 0, 0 };
        size_t k, take = total - i < 3 ? total - i : 3;
        for (k = 0; k < take; k++)
            in[k] = (unsigned char)(i + k < 8 ? 'A' : device_id[i + k - 8]);
        address->value[o++] = b64[in[0] >> 2];
        address->value[o++] = b64[((in[0] & 3) << 4) | (in[1] >> 4)];
        address->value[o++] = take > 1 ? b64[((in[1] & 15) << 2) | (in[2] >> 6)] : '=';
        address->value[o++] = take > 2 ? b64[in[2] & 63] : '=';
    }
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

static void xbl_mpsd__write_properties(xbl_mpsd__jw *w, const xbl_mpsd_session *s)
{
    uint32_t d = xbl_mpsd__system_output(s);
    if (d == 0 && !(s->dirty & XBL_MPSD__DIRTY_CUSTOM)) return;
    xbl_mpsd__jw_key(w, "properties");
    xbl_mpsd__jw_open(w, '{');
    if (d) xbl_mpsd__write_properties_system(w, s, d);
    if (s->dirty & XBL_MPSD__DIRTY_CUSTOM) xbl_mpsd__jw_key_raw(w, "custom", s->properties.session_custom_properties_json);
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

static void xbl_mpsd__write_me_system(xbl_mpsd__jw *w, const xbl_mpsd_session *s, const xbl_mpsd_session_member *m)
{
    uint32_t d = s->me_dirty;
    xbl_mpsd__jw_key(w, "system");
    xbl_mpsd__jw_open(w, '{');
    if (d & XBL_MPSD__ME_STATUS) {
        bool active = m->status == XBL_MPSD_SESSION_MEMBER_STATUS_ACTIVE;
        xbl_mpsd__jw_key_bool(w, "active", active);
        if (!active) xbl_mpsd__jw_key_bool(w, "ready", false);
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

static void xbl_mpsd__write_me(xbl_mpsd__jw *w, const xbl_mpsd_session *s, const xbl_mpsd_session_member *m, bool is_new)
{
    size_t i;
    xbl_mpsd__jw_key(w, "me");
    xbl_mpsd__jw_open(w, '{');
    if (is_new) xbl_mpsd__write_member_constants(w, m);
    if (s->me_dirty & XBL_MPSD__ME_ROLES) {
        xbl_mpsd__jw_key(w, "roles");
        xbl_mpsd__jw_open(w, '{');
        for (i = 0; i < m->roles_count; i++) xbl_mpsd__jw_key_string(w, m->roles[i].role_type_name, m->roles[i].role_name);
        xbl_mpsd__jw_close(w, '}');
    }
    if (s->me_dirty & (XBL_MPSD__ME_SYSTEM | XBL_MPSD__ME_CUSTOM)) {
        xbl_mpsd__jw_key(w, "properties");
        xbl_mpsd__jw_open(w, '{');
        if (s->me_dirty & XBL_MPSD__ME_SYSTEM) xbl_mpsd__write_me_system(w, s, m);
        if (s->me_dirty & XBL_MPSD__ME_CUSTOM)
            xbl_mpsd__jw_key_raw(w, "custom", m->custom_properties_json ? m->custom_properties_json : "{}");
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

static void xbl_mpsd__write_members(xbl_mpsd__jw *w, const xbl_mpsd_session *s)
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
        xbl_mpsd__write_me(w, s, me, (s->state & XBL_MPSD__STATE_JOINED) != 0);
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

static void xbl_mpsd__write_body(xbl_mpsd__jw *w, const xbl_mpsd_session *s)
{
    xbl_mpsd__jw_open(w, '{');
    if (!xbl_mpsd__is_service(s) && (s->dirty & XBL_MPSD__DIRTY_CONSTANTS)) xbl_mpsd__write_constants(w, s);
    if (s->dirty & XBL_MPSD__DIRTY_ROLE_TYPES) xbl_mpsd__write_role_types(w, s);
    xbl_mpsd__write_properties(w, s);
    xbl_mpsd__write_members(w, s);
    if (s->dirty & XBL_MPSD__DIRTY_SERVERS) xbl_mpsd__jw_key_raw(w, "servers", s->raw_servers_json);
    xbl_mpsd__jw_close(w, '}');
}

static xbl_mpsd_result xbl_mpsd__session_write_body(const xbl_mpsd_session *s, char *buf, size_t cap, size_t *len)
{
    xbl_mpsd__jw w;
    if (!xbl_mpsd__has_doc(s) || len == NULL || (buf == NULL && cap > 0)) return XBL_MPSD_E_INVALIDARG;
    xbl_mpsd__jw_init(&w, buf, cap);
    xbl_mpsd__write_body(&w, s);
    *len = w.len;
    return w.len <= cap ? XBL_MPSD_OK : XBL_MPSD_E_OUTOFMEMORY;
}


#include "wip/reader.inc.h"
#include "wip/http.inc.h"

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
