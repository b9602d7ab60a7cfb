/* test_port_template.c - the unfilled port template (port/xbl_mpsd_port_template.h)
   behaves as its docs say: every call fails with a clear code, close is safe,
   and the SDK ends an operation through it with that code instead of
   hanging or crashing. */
#define XBL_MPSD_IMPLEMENTATION
#define XBL_MPSD_PORT_TEMPLATE_IMPLEMENTATION
#include "xbl_mpsd.h"
#include "port/xbl_mpsd_port_template.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

static void test_init_checks_arguments(void **state)
{
    xbl_mpsd_port_template t;
    xbl_mpsd_port port;
    (void)state;
    assert_int_equal(xbl_mpsd_port_template_init(NULL, &port), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_port_template_init(&t, NULL), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(xbl_mpsd_port_template_init(&t, &port), XBL_MPSD_OK);
    assert_ptr_equal(port.ctx, &t);
    assert_non_null(port.connect);
    assert_non_null(port.send);
    assert_non_null(port.recv);
    assert_non_null(port.close);
    assert_non_null(port.now_ms);
}

static void test_every_call_fails_clearly(void **state)
{
    xbl_mpsd_port_template t;
    xbl_mpsd_port port;
    uint8_t buf[8] = {0};
    (void)state;
    assert_int_equal(xbl_mpsd_port_template_init(&t, &port), XBL_MPSD_OK);
    assert_int_equal(port.connect(port.ctx, "127.0.0.1", 443), XBL_MPSD_PORT_TEMPLATE_E_NOTIMPL);
    assert_int_equal(port.send(port.ctx, buf, sizeof buf), XBL_MPSD_PORT_TEMPLATE_E_NOTIMPL);
    assert_int_equal(port.recv(port.ctx, buf, sizeof buf), XBL_MPSD_PORT_TEMPLATE_E_NOTIMPL);
    assert_int_equal(port.now_ms(port.ctx), 0);
    assert_true(XBL_MPSD_PORT_TEMPLATE_E_NOTIMPL < 0);   /* a failure for the SDK, no transport code */
    assert_true((uint32_t)XBL_MPSD_PORT_TEMPLATE_E_NOTIMPL == UINT32_C(0x80004001));

    /* argument checks come first, as in a filled-in port */
    assert_int_equal(port.connect(NULL, "127.0.0.1", 443), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(port.connect(port.ctx, NULL, 443), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(port.connect(port.ctx, "", 443), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(port.connect(port.ctx, "127.0.0.1", 0), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(port.send(NULL, buf, 1), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(port.send(port.ctx, NULL, 1), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(port.recv(NULL, buf, 1), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(port.recv(port.ctx, NULL, 1), XBL_MPSD_E_INVALIDARG);
    assert_int_equal(port.recv(port.ctx, buf, 0), XBL_MPSD_E_INVALIDARG);
}

static void test_close_is_safe(void **state)
{
    xbl_mpsd_port_template t;
    xbl_mpsd_port port;
    (void)state;
    assert_int_equal(xbl_mpsd_port_template_init(&t, &port), XBL_MPSD_OK);
    t.state = 3;   /* as if connected: close must bring it back to idle */
    t.handle = 7;
    port.close(port.ctx);
    assert_int_equal(t.state, 0);
    assert_int_equal(t.handle, -1);
    port.close(port.ctx);   /* twice */
    port.close(NULL);
    assert_int_equal(t.state, 0);
}

static xbl_mpsd_result no_auth(void *user, const char *method, const char *path, const uint8_t *body,
        size_t body_len, char *authorization, size_t authorization_cap, char *signature, size_t signature_cap)
{
    (void)user; (void)method; (void)path; (void)body; (void)body_len;
    (void)authorization_cap; (void)signature_cap;
    authorization[0] = '\0';
    signature[0] = '\0';
    return XBL_MPSD_OK;
}

/* A copied-but-unfilled port must end the first operation with its code. */
static void test_sdk_write_ends_with_notimpl(void **state)
{
    static uint8_t arena[8192], work[16384];
    xbl_mpsd_port_template t;
    xbl_mpsd_port port;
    xbl_mpsd_client client;
    xbl_mpsd_client_config cfg;
    xbl_mpsd_session s;
    xbl_mpsd_async op;
    xbl_mpsd_session_reference ref;
    xbl_mpsd_result r;
    int polls = 0;
    (void)state;
    assert_int_equal(xbl_mpsd_port_template_init(&t, &port), XBL_MPSD_OK);
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &port;
    cfg.xuid = UINT64_C(2814600000000001);
    cfg.auth = no_auth;
    assert_int_equal(xbl_mpsd_client_init(&client, &cfg), XBL_MPSD_OK);
    ref = xbl_mpsd_session_reference_create("00000000-0000-0000-0000-000000000000", "quick", "s1");
    assert_int_equal(xbl_mpsd_session_init(&s, cfg.xuid, &ref, NULL, arena, sizeof arena), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_session_join(&s, NULL, false, true), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_async_init(&op, work, sizeof work), XBL_MPSD_OK);
    assert_int_equal(xbl_mpsd_write_session_async(&client, &s, XBL_MPSD_SESSION_WRITE_MODE_CREATE_NEW, &op),
            XBL_MPSD_OK);
    do {
        r = xbl_mpsd_async_poll(&op);
    } while (r == XBL_MPSD_PENDING && ++polls < 100);
    assert_int_equal(r, XBL_MPSD_PORT_TEMPLATE_E_NOTIMPL);
    assert_int_equal(xbl_mpsd_write_session_result(&op, &s), XBL_MPSD_PORT_TEMPLATE_E_NOTIMPL);
    assert_int_equal(xbl_mpsd_async_http_status(&op), 0);
    xbl_mpsd_client_close(&client);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_checks_arguments),
        cmocka_unit_test(test_every_call_fails_clearly),
        cmocka_unit_test(test_close_is_safe),
        cmocka_unit_test(test_sdk_write_ends_with_notimpl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
