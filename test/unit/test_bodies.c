/* Unit tests: mh_bodies (MS-OXCMAPIHTTP 2.2.4 bodies; the 2.2.5 ones are in
 * test_nspi_wire.c). */
#include "mh_bodies.h"
#include "mh_test.h"

static apr_pool_t *pool;

/* A Connect request body as section 2.2.4.1.1 lays it out. */
static size_t connect_body(unsigned char *b, const char *dn, uint32_t aux_len)
{
    mh_wr wr;
    mh_wr_init(&wr, pool, 64);
    mh_wr_asciiz(&wr, dn);
    mh_wr_u32(&wr, 0);      /* Flags */
    mh_wr_u32(&wr, 1252);   /* DefaultCodePage */
    mh_wr_u32(&wr, 0x0409); /* LcidSort */
    mh_wr_u32(&wr, 0x0407); /* LcidString */
    mh_wr_u32(&wr, aux_len);
    for (uint32_t i = 0; i < aux_len; i++)
        mh_wr_u8(&wr, 0xaa);
    memcpy(b, wr.buf, wr.len);
    return wr.len;
}

static void test_connect_parse(void)
{
    static unsigned char b[8192];
    mh_connect_req req;
    const char *why = NULL;
    size_t n = connect_body(b, "/o=Org/cn=Recipients/cn=ada", 16);
    REQUIRE(mh_parse_connect(b, n, pool, &req, &why) == MH_BODY_OK);
    CHECK_STR(req.user_dn, "/o=Org/cn=Recipients/cn=ada");
    CHECK_EQ_U(req.default_code_page, 1252);
    /* LcidSort comes before LcidString (section 2.2.4.1.1) */
    CHECK_EQ_U(req.lcid_sort, 0x0409);
    CHECK_EQ_U(req.lcid_string, 0x0407);
    CHECK_EQ_U(req.aux.len, 16);

    /* every truncation is malformed, never a crash */
    for (size_t cut = 0; cut < n; cut++)
        CHECK(mh_parse_connect(b, cut, pool, &req, &why) == MH_BODY_MALFORMED);
    /* a byte too many */
    b[n] = 0;
    CHECK(mh_parse_connect(b, n + 1, pool, &req, &why) == MH_BODY_MALFORMED);
    /* aux above 0x1008: well formed but beyond the RPC limit */
    n = connect_body(b, "/o=x", MH_AUX_MAX + 1);
    CHECK(mh_parse_connect(b, n, pool, &req, &why) == MH_BODY_LIMIT);
    n = connect_body(b, "/o=x", MH_AUX_MAX);
    CHECK(mh_parse_connect(b, n, pool, &req, &why) == MH_BODY_OK);
    /* a UserDn longer than allowed */
    char dn[MH_USERDN_MAX + 2];
    memset(dn, 'a', sizeof(dn) - 1);
    dn[sizeof(dn) - 1] = 0;
    n = connect_body(b, dn, 0);
    CHECK(mh_parse_connect(b, n, pool, &req, &why) == MH_BODY_MALFORMED);
}

static void test_connect_build(void)
{
    mh_connect_resp r = {0};
    r.polls_max = 60000;
    r.retry_count = 6;
    r.retry_delay = 10000;
    r.dn_prefix = "";
    r.display_name = "Ad\xc3\xa9";
    mh_wr wr;
    mh_wr_init(&wr, pool, 8);
    mh_build_connect(&wr, &r);
    const unsigned char want[] = {
        0, 0, 0, 0,             /* StatusCode */
        0, 0, 0, 0,             /* ErrorCode */
        0x60, 0xea, 0, 0,       /* PollsMax 60000 */
        6, 0, 0, 0,             /* RetryCount */
        0x10, 0x27, 0, 0,       /* RetryDelay 10000 */
        0,                      /* DnPrefix "" (ASCIIZ) */
        'A', 0, 'd', 0, 0xe9, 0, 0, 0, /* DisplayName (UTF-16Z) */
        0, 0, 0, 0};            /* AuxiliaryBufferSize */
    CHECK_MEM(wr.buf, wr.len, want, sizeof(want));
}

static void test_execute_parse(void)
{
    mh_execute_req req;
    const char *why;
    mh_wr wr;
    mh_wr_init(&wr, pool, 64);
    mh_wr_u32(&wr, MH_EXEC_NO_XOR_MAGIC); /* Flags */
    mh_wr_u32(&wr, 10);                   /* RopBufferSize */
    const unsigned char rops[10] = {0, 0, 4, 0, 2, 0, 2, 0, 2, 0};
    mh_wr_bytes(&wr, rops, 10);
    mh_wr_u32(&wr, 0x10008); /* MaxRopOut */
    mh_wr_u32(&wr, 0);       /* AuxiliaryBufferSize */
    REQUIRE(mh_parse_execute(wr.buf, wr.len, pool, &req, &why) == MH_BODY_OK);
    CHECK(!req.empty);
    CHECK_EQ_U(req.flags, MH_EXEC_NO_XOR_MAGIC);
    CHECK_EQ_U(req.rop_buffer_size, 10);
    CHECK_MEM(req.rop_buffer, 10, rops, 10);
    CHECK_EQ_U(req.max_rop_out, 0x10008);
    for (size_t cut = 1; cut < wr.len; cut++)
        CHECK(mh_parse_execute(wr.buf, cut, pool, &req, &why) == MH_BODY_MALFORMED);

    /* an empty body (the Execute after NotificationWait, 2.2.4.4.2) */
    CHECK(mh_parse_execute(wr.buf, 0, pool, &req, &why) == MH_BODY_OK);
    CHECK(req.empty);

    /* RopBufferSize claims more than there is */
    mh_put_u32(wr.buf + 4, 1000);
    CHECK(mh_parse_execute(wr.buf, wr.len, pool, &req, &why) == MH_BODY_MALFORMED);
    mh_put_u32(wr.buf + 4, 10);
    /* MaxRopOut beyond 0x40000 */
    mh_put_u32(wr.buf + 18, MH_ROP_OUT_MAX + 1);
    CHECK(mh_parse_execute(wr.buf, wr.len, pool, &req, &why) == MH_BODY_LIMIT);
}

static void test_execute_build(void)
{
    mh_wr wr;
    mh_wr_init(&wr, pool, 8);
    const unsigned char rop[] = {1, 2, 3};
    mh_build_execute(&wr, 0x4b6, rop, 3, NULL, 0);
    const unsigned char want[] = {0, 0, 0, 0, 0xb6, 0x04, 0, 0, 0, 0, 0, 0,
                                  3, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0};
    CHECK_MEM(wr.buf, wr.len, want, sizeof(want));
}

static void test_disconnect_wait(void)
{
    mh_aux_in aux;
    const char *why;
    const unsigned char aux_only[] = {2, 0, 0, 0, 0xab, 0xcd};
    CHECK(mh_parse_disconnect(NULL, 0, &aux, &why) == MH_BODY_OK);
    CHECK(mh_parse_disconnect(aux_only, sizeof(aux_only), &aux, &why) == MH_BODY_OK);
    CHECK_EQ_U(aux.len, 2);
    CHECK(mh_parse_disconnect(aux_only, 5, &aux, &why) == MH_BODY_MALFORMED);
    CHECK(mh_parse_disconnect(aux_only, 3, &aux, &why) == MH_BODY_MALFORMED);

    uint32_t flags;
    const unsigned char wait[] = {0, 0, 0, 0, 0, 0, 0, 0};
    CHECK(mh_parse_notification_wait(wait, sizeof(wait), &flags, &aux, &why) == MH_BODY_OK);
    CHECK(mh_parse_notification_wait(wait, 0, &flags, &aux, &why) == MH_BODY_MALFORMED);
    CHECK(mh_parse_notification_wait(wait, 7, &flags, &aux, &why) == MH_BODY_MALFORMED);

    mh_wr wr;
    mh_wr_init(&wr, pool, 8);
    mh_build_notification_wait(&wr, 0x7ee, 1);
    const unsigned char want[] = {0, 0, 0, 0, 0xee, 0x07, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
    CHECK_MEM(wr.buf, wr.len, want, sizeof(want));
}

static void test_failure_body(void)
{
    mh_wr wr;
    mh_wr_init(&wr, pool, 8);
    mh_build_failure(&wr, MH_RPC_X_BAD_STUB_DATA);
    const unsigned char want[] = {0xf7, 0x06, 0, 0, 0, 0, 0, 0};
    CHECK_MEM(wr.buf, wr.len, want, sizeof(want));
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    RUN(test_connect_parse);
    RUN(test_connect_build);
    RUN(test_execute_parse);
    RUN(test_execute_build);
    RUN(test_disconnect_wait);
    RUN(test_failure_body);
    apr_pool_destroy(pool);
    return MH_TEST_DONE();
}
