/* Unit tests: mh_rpcext (MS-OXCRPC RPC_HEADER_EXT, XorMagic, compression). */
#include "mh_rpcext.h"
#include "mh_test.h"

static apr_pool_t *pool;

static void test_plain_single(void)
{
    /* Version 0, Flags Last, Size 2, SizeActual 2, RopSize 0x0002 */
    const unsigned char buf[] = {0x00, 0x00, 0x04, 0x00, 0x02, 0x00, 0x02, 0x00, 0x02, 0x00};
    mh_rpcext_payload *pl;
    size_t n;
    const char *why = NULL;
    REQUIRE(mh_rpcext_parse(buf, sizeof(buf), 0, pool, &pl, &n, &why) == 0);
    CHECK_EQ_U(n, 1);
    CHECK_EQ_U(pl[0].len, 2);
    CHECK_EQ_U(pl[0].data[0], 2);
    CHECK_EQ_U(pl[0].flags, MH_RPCEXT_LAST);
}

static void test_xor(void)
{
    /* XorMagic|Last: payload bytes XOR 0xA5 (3.1.4.1.1.3) */
    const unsigned char buf[] = {0x00, 0x00, 0x06, 0x00, 0x03, 0x00, 0x03, 0x00,
                                 0x02 ^ 0xA5, 0x00 ^ 0xA5, 0xFF ^ 0xA5};
    mh_rpcext_payload *pl;
    size_t n;
    const char *why;
    REQUIRE(mh_rpcext_parse(buf, sizeof(buf), 1, pool, &pl, &n, &why) == 0);
    const unsigned char want[] = {0x02, 0x00, 0xFF};
    CHECK_MEM(pl[0].data, pl[0].len, want, 3);
}

static void test_build_and_parse(void)
{
    unsigned char payload[600];
    for (int i = 0; i < 600; i++)
        payload[i] = (unsigned char)(i % 7);
    for (int compress = 0; compress < 2; compress++) {
        for (int xor = 0; xor < 2; xor++) {
            mh_wr wr;
            mh_wr_init(&wr, pool, 16);
            mh_rpcext_append(&wr, payload, 600, compress, xor, 0);
            mh_rpcext_append(&wr, payload, 10, compress, xor, 1);
            uint16_t f0 = mh_get_u16(wr.buf + 2);
            CHECK(((f0 & MH_RPCEXT_COMPRESSED) != 0) == compress);
            CHECK(((f0 & MH_RPCEXT_XORMAGIC) != 0) == xor);
            CHECK(!(f0 & MH_RPCEXT_LAST));
            mh_rpcext_payload *pl;
            size_t n;
            const char *why;
            REQUIRE(mh_rpcext_parse(wr.buf, wr.len, 0, pool, &pl, &n, &why) == 0);
            CHECK_EQ_U(n, 2);
            CHECK_MEM(pl[0].data, pl[0].len, payload, 600);
            CHECK_MEM(pl[1].data, pl[1].len, payload, 10);
            /* a second buffer is refused where one is required */
            CHECK(mh_rpcext_parse(wr.buf, wr.len, 1, pool, &pl, &n, &why) != 0);
        }
    }
}

static void test_rejects(void)
{
    mh_rpcext_payload *pl;
    size_t n;
    const char *why = NULL;
    unsigned char b[16];
#define HDR(ver, flags, size, actual)                                         \
    (mh_put_u16(b, ver), mh_put_u16(b + 2, flags), mh_put_u16(b + 4, size),  \
     mh_put_u16(b + 6, actual))
    HDR(1, MH_RPCEXT_LAST, 0, 0);
    CHECK(mh_rpcext_parse(b, 8, 0, pool, &pl, &n, &why) != 0); /* version */
    HDR(0, MH_RPCEXT_LAST | 0x8, 0, 0);
    CHECK(mh_rpcext_parse(b, 8, 0, pool, &pl, &n, &why) != 0); /* unknown flag */
    HDR(0, MH_RPCEXT_LAST, 2, 3);
    CHECK(mh_rpcext_parse(b, 10, 0, pool, &pl, &n, &why) != 0); /* Size != Actual */
    HDR(0, MH_RPCEXT_LAST | MH_RPCEXT_COMPRESSED, 3, 3);
    CHECK(mh_rpcext_parse(b, 11, 0, pool, &pl, &n, &why) != 0); /* not smaller */
    HDR(0, MH_RPCEXT_LAST, 4, 4);
    CHECK(mh_rpcext_parse(b, 10, 0, pool, &pl, &n, &why) != 0); /* runs past */
    HDR(0, 0, 0, 0);
    CHECK(mh_rpcext_parse(b, 8, 0, pool, &pl, &n, &why) != 0); /* no Last */
    HDR(0, MH_RPCEXT_LAST, 0, 0);
    CHECK(mh_rpcext_parse(b, 9, 0, pool, &pl, &n, &why) != 0); /* bytes after Last */
    CHECK(mh_rpcext_parse(b, 7, 0, pool, &pl, &n, &why) != 0); /* short header */
    HDR(0, MH_RPCEXT_LAST, 0x8001, 0x8001);
    CHECK(mh_rpcext_parse(b, 8, 0, pool, &pl, &n, &why) != 0); /* > 32 KB */
    /* compressed payload that does not decompress to SizeActual */
    HDR(0, MH_RPCEXT_LAST | MH_RPCEXT_COMPRESSED, 5, 9);
    b[8] = 0x00; b[9] = 0x00; b[10] = 0x00; b[11] = 0x00; b[12] = 'x';
    CHECK(mh_rpcext_parse(b, 13, 0, pool, &pl, &n, &why) != 0);
    CHECK(why != NULL);
#undef HDR
}

static void test_too_many_buffers(void)
{
    mh_wr wr;
    mh_wr_init(&wr, pool, 16);
    for (int i = 0; i < MH_RPCEXT_MAX_BUFFERS + 1; i++)
        mh_rpcext_append(&wr, (const unsigned char *)"\x02\x00", 2, 0, 0,
                         i == MH_RPCEXT_MAX_BUFFERS);
    mh_rpcext_payload *pl;
    size_t n;
    const char *why;
    CHECK(mh_rpcext_parse(wr.buf, wr.len, 0, pool, &pl, &n, &why) != 0);
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    RUN(test_plain_single);
    RUN(test_xor);
    RUN(test_build_and_parse);
    RUN(test_rejects);
    RUN(test_too_many_buffers);
    apr_pool_destroy(pool);
    return MH_TEST_DONE();
}
