/* test_auth.h - the auth callback the scripted-exchange tests share: a fixed
   token, no signature, so the expected request bytes carry
   "Authorization: XBL3.0 x=1;tok". Include after xbl_mpsd.h and <string.h>. */
#ifndef TEST_AUTH_H
#define TEST_AUTH_H

static xbl_mpsd_result test_auth(void *user, const char *method, const char *path,
        const uint8_t *body, size_t body_len, char *authorization, size_t authorization_cap,
        char *signature, size_t signature_cap)
{
    (void)user; (void)method; (void)path; (void)body; (void)body_len;
    if (authorization_cap < 16 || signature_cap < 1) return XBL_MPSD_E_OUTOFMEMORY;
    strcpy(authorization, "XBL3.0 x=1;tok");
    signature[0] = '\0';
    return XBL_MPSD_OK;
}

#endif
