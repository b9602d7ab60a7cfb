/* handles_fixture.h - one scripted client for the handles-family tests: a
   mock port, a client for XUID 2814600000000001 with the shared test token,
   and an async over a 64 KiB buffer. Include after xbl_mpsd.h, mock_port.h,
   test_auth.h and cmocka. */
#ifndef HANDLES_FIXTURE_H
#define HANDLES_FIXTURE_H

#define HF_XUID 2814600000000001ULL
#define HF_SCID "4b1c7f02-93d5-4e1a-8c6b-2f0a9e3d5c71"

/* The head every request of the family carries after its request line. */
#define HF_HEAD "Host: sessiondirectory.xboxlive.com\r\nx-xbl-contract-version: 107\r\n" \
                "Content-Type: application/json; charset=utf-8\r\n"
#define HF_TAIL "User-Agent: xbl_mpsd/" XBL_MPSD_VERSION_STRING "\r\nAuthorization: XBL3.0 x=1;tok\r\n\r\n"

typedef struct hf_fixture {
    mock_port       mock;
    xbl_mpsd_port   port;
    xbl_mpsd_client client;
    xbl_mpsd_async  async;
    unsigned char   work[65536];
} hf_fixture;

static hf_fixture hf;

static size_t hf_reply_split(const char *body, size_t cut);

static void hf_setup_client(uint64_t xuid)
{
    xbl_mpsd_client_config cfg;
    (void)mock_add_code; (void)mock_add_send; (void)mock_reset_traffic; (void)hf_reply_split;
    mock_init(&hf.mock, &hf.port);
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &hf.port;
    cfg.xuid = xuid;
    cfg.auth = test_auth;
    assert_int_equal(xbl_mpsd_client_init(&hf.client, &cfg), XBL_MPSD_OK);
    memset(hf.work, 0xA5, sizeof hf.work);
    assert_int_equal(xbl_mpsd_async_init(&hf.async, hf.work, sizeof hf.work), XBL_MPSD_OK);
}

static int hf_setup(void **state)
{
    (void)state;
    hf_setup_client(HF_XUID);
    return 0;
}

/* Polls until the operation ends. */
static xbl_mpsd_result hf_run(void)
{
    xbl_mpsd_result rc;
    int guard = 0;
    while ((rc = xbl_mpsd_async_poll(&hf.async)) == XBL_MPSD_PENDING) assert_true(++guard < 1000000);
    return rc;
}

/* A response the mock delivers next: kept in a ring so the text outlives the call. */
static char hf_replies[16][8192];
static size_t hf_reply_n;

static void hf_reply(const char *status_line, const char *body)
{
    char *r = hf_replies[hf_reply_n++ % 16];
    snprintf(r, sizeof hf_replies[0], "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
             status_line, strlen(body), body);
    mock_add_bytes(&hf.mock, r, strlen(r));
}

/* "200 OK" with `body`, delivered in two reads cut `cut` bytes in; cut 0
   queues nothing. Returns the whole reply's length. */
static size_t hf_reply_split(const char *body, size_t cut)
{
    static char reply[16384];
    size_t len = (size_t)snprintf(reply, sizeof reply, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
                                  strlen(body), body);
    if (cut > 0) {
        mock_add_bytes(&hf.mock, reply, cut);
        mock_add_bytes(&hf.mock, reply + cut, len - cut);
    }
    return len;
}

/* The bytes sent so far, as a string. */
static const char *hf_sent(void)
{
    static char s[MOCK_SENT_CAP + 1];
    memcpy(s, hf.mock.sent, hf.mock.sent_len);
    s[hf.mock.sent_len] = '\0';
    return s;
}

#endif
