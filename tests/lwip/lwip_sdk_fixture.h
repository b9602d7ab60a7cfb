/* lwip_sdk_fixture.h - the session, document and auth callback both lwIP
   test programs drive the SDK with (plain and over TLS), so their expected
   request bytes agree. Include after xbl_mpsd.h and <string.h>. */
#ifndef LWIP_SDK_FIXTURE_H
#define LWIP_SDK_FIXTURE_H

#define SCID  "00000000-0000-0000-0000-000000000000"
#define TNAME "quick"
#define SNAME "8d7a1b2c-0000-4000-8000-000000000001"
#define XUID  2814639011617876ULL
#define XUID_S "2814639011617876"
#define REF_PATH "/serviceconfigs/" SCID "/sessionTemplates/" TNAME "/sessions/" SNAME
#define DOC "{\"constants\":{\"system\":{\"visibility\":\"open\",\"maxMembersCount\":4}}," \
            "\"properties\":{\"system\":{}}}"
#define JOIN_BODY "{\"members\":{\"me\":{\"constants\":{\"system\":{\"xuid\":\"" XUID_S "\"}}," \
                  "\"properties\":{\"system\":{\"active\":true}}}}}"

/* A fixed token and a signature, so both headers appear on the wire. */
static xbl_mpsd_result test_auth(void *user, const char *method, const char *path,
        const uint8_t *body, size_t body_len, char *authorization, size_t authorization_cap,
        char *signature, size_t signature_cap)
{
    (void)user; (void)method; (void)path; (void)body; (void)body_len;
    if (authorization_cap < 16 || signature_cap < 4) return XBL_MPSD_E_OUTOFMEMORY;
    strcpy(authorization, "XBL3.0 x=1;tok");
    strcpy(signature, "sig");
    return XBL_MPSD_OK;
}

#endif
