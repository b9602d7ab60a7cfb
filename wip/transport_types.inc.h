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
#define XBL_MPSD__PATH_CAP        288   /* reference path or /handles/{id}/session */

struct xbl_mpsd_client {
    xbl_mpsd_port          port;        /* copied: the caller's struct may go away */
    xbl_mpsd_client_config config;      /* defaults filled in */
    xbl_mpsd_async        *active;      /* the operation in flight, or NULL */
    bool                   connected;   /* a connection is open (idle or ours) */
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
    size_t   tokens;         /* JSON tokens the body needs (streaming count) */
    uint32_t tok_state;      /* streaming token counter state */
    size_t   etag_len;
    char     etag[XBL_MPSD__ETAG_CAP];
    char     location[XBL_MPSD__LOCATION_CAP];
} xbl_mpsd__http_response;

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
    size_t           head_need;    /* buffer bytes the request with its tokens needs */
    uint64_t         xuid;         /* the client's user, for the delivered session */
    xbl_mpsd__http_response response;
    xbl_mpsd_session_reference reference;  /* of the delivered session */
    char             path[XBL_MPSD__PATH_CAP];
    char             error_text[XBL_MPSD__ERROR_TEXT_CAP];
};
