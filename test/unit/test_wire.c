/* Unit tests: mh_wire (bounds-checked reader/writer) and mh_unicode. */
#include "mh_test.h"
#include "mh_unicode.h"
#include "mh_wire.h"

static apr_pool_t *pool;

static void test_reader_little_endian(void)
{
    const unsigned char b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                               0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
    mh_rd rd;
    mh_rd_init(&rd, b, sizeof(b));
    CHECK_EQ_U(mh_rd_u8(&rd), 0x01);
    CHECK_EQ_U(mh_rd_u16(&rd), 0x0302);
    CHECK_EQ_U(mh_rd_u32(&rd), 0x07060504);
    CHECK_EQ_U(mh_rd_u64(&rd), 0x0f0e0d0c0b0a0908ull);
    CHECK(!rd.err);
    CHECK_EQ_U(mh_rd_left(&rd), 0);
}

static void test_reader_short_read_is_sticky(void)
{
    const unsigned char b[] = {0xaa, 0xbb, 0xcc};
    mh_rd rd;
    mh_rd_init(&rd, b, sizeof(b));
    CHECK_EQ_U(mh_rd_u32(&rd), 0); /* short: zero, error */
    CHECK(rd.err);
    CHECK_EQ_U(mh_rd_u8(&rd), 0);  /* stays failed although a byte is there */
    CHECK(mh_rd_bytes(&rd, 1) == NULL);
    CHECK_EQ_U(mh_rd_left(&rd), 0);
}

static void test_reader_huge_length_does_not_wrap(void)
{
    const unsigned char b[8] = {0};
    mh_rd rd;
    mh_rd_init(&rd, b, sizeof(b));
    mh_rd_u32(&rd);
    CHECK(mh_rd_bytes(&rd, (size_t)-1) == NULL);
    CHECK(rd.err);
}

static void test_reader_null_buffer(void)
{
    /* a request without a body hands the parsers NULL, 0 */
    mh_rd rd;
    mh_rd_init(&rd, NULL, 0);
    CHECK_EQ_U(mh_rd_left(&rd), 0);
    CHECK_EQ_U(mh_rd_u32(&rd), 0);
    CHECK(rd.err);
    mh_rd_init(&rd, NULL, 0);
    CHECK(mh_rd_asciiz(&rd, 10, pool) == NULL);
    CHECK(rd.err);
}

static void test_asciiz(void)
{
    const unsigned char b[] = {'a', 'b', 'c', 0, 'd', 0};
    mh_rd rd;
    mh_rd_init(&rd, b, sizeof(b));
    CHECK_STR(mh_rd_asciiz(&rd, 16, pool), "abc");
    CHECK_STR(mh_rd_asciiz(&rd, 16, pool), "d");
    CHECK(!rd.err);

    /* no terminator */
    mh_rd_init(&rd, b, 3);
    CHECK(mh_rd_asciiz(&rd, 16, pool) == NULL);
    CHECK(rd.err);

    /* longer than allowed: "abc" has 3 characters, max 2 */
    mh_rd_init(&rd, b, sizeof(b));
    CHECK(mh_rd_asciiz(&rd, 2, pool) == NULL);
    CHECK(rd.err);

    /* exactly the limit is fine */
    mh_rd_init(&rd, b, sizeof(b));
    CHECK_STR(mh_rd_asciiz(&rd, 3, pool), "abc");
}

static void test_writer_grows(void)
{
    mh_wr wr;
    mh_wr_init(&wr, pool, 2);
    for (int i = 0; i < 1000; i++)
        mh_wr_u32(&wr, (uint32_t)i);
    CHECK_EQ_U(wr.len, 4000);
    CHECK_EQ_U(mh_get_u32(wr.buf + 4 * 999), 999);
    mh_wr_put_u32_at(&wr, 0, 0xdeadbeef);
    CHECK_EQ_U(mh_get_u32(wr.buf), 0xdeadbeef);
    mh_wr_asciiz(&wr, "x");
    CHECK_EQ_U(wr.len, 4002);
    CHECK_EQ_U(wr.buf[4001], 0);
}

static void test_big_endian(void)
{
    unsigned char b[8];
    static const unsigned char want32[4] = {0x12, 0x34, 0x56, 0x78};
    static const unsigned char want64[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
    mh_put_u32_be(b, 0x12345678);
    CHECK_MEM(b, 4, want32, 4);
    CHECK_EQ_U(mh_get_u32_be(b), 0x12345678);
    mh_put_u64_be(b, 0x0123456789abcdefULL);
    CHECK_MEM(b, 8, want64, 8);
    CHECK(mh_get_u64_be(b) == 0x0123456789abcdefULL);
}

static void test_hex(void)
{
    unsigned char in[4] = {0x00, 0xab, 0x10, 0xff}, out[4];
    char hex[9];
    mh_hex_encode(in, 4, hex);
    CHECK_STR(hex, "00ab10ff");
    CHECK(mh_hex_decode("00AB10ff", 8, out, 4) == 0);
    CHECK_MEM(out, 4, in, 4);
    CHECK(mh_hex_decode("00ab10f", 7, out, 4) != 0);
    CHECK(mh_hex_decode("00ab10fg", 8, out, 4) != 0);
}

static void test_utf16_roundtrip(void)
{
    /* ASCII, Latin-1, BMP (euro sign) and an astral code point */
    const char *s = "Ada \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
    mh_wr wr;
    mh_wr_init(&wr, pool, 8);
    mh_wr_utf16z(&wr, s);
    const unsigned char want[] = {'A', 0, 'd', 0, 'a', 0, ' ', 0, 0xe9, 0, ' ', 0,
                                  0xac, 0x20, ' ', 0, 0x3d, 0xd8, 0x00, 0xde, 0, 0};
    CHECK_MEM(wr.buf, wr.len, want, sizeof(want));
    mh_rd rd;
    mh_rd_init(&rd, wr.buf, wr.len);
    CHECK_STR(mh_rd_utf16z(&rd, 100, pool), s);
    CHECK(!rd.err);
    CHECK_EQ_U(mh_rd_left(&rd), 0);
    /* what follows goes right after the terminator */
    mh_wr_utf16z(&wr, "\xc3\xa9");
    mh_wr_u8(&wr, 0x7A);
    const unsigned char more[] = {0xe9, 0, 0, 0, 0x7A};
    REQUIRE(wr.len == sizeof(want) + sizeof(more));
    CHECK_MEM(wr.buf + sizeof(want), sizeof(more), more, sizeof(more));
}

/* Runs of ASCII longer than eight bytes (converted eight at a time), with
 * other characters inside and at every offset of such a run. */
static void test_utf16_ascii_runs(void)
{
    for (size_t at = 0; at <= 20; at++) {
        char s[64];
        memset(s, 'a', sizeof(s));
        for (size_t i = 0; i < 24; i++)
            s[i] = (char)('A' + i);
        /* U+00E9 (2 bytes) at `at`, then ASCII, U+20AC at the end */
        s[at] = (char)0xc3;
        s[at + 1] = (char)0xa9;
        memcpy(s + 24, "\xe2\x82\xac", 4); /* with its terminator */
        mh_wr wr;
        mh_wr_init(&wr, pool, 8);
        mh_wr_utf16z(&wr, s);
        /* 24 UTF-8 bytes before the euro sign: 23 characters; euro; NUL */
        REQUIRE(wr.len == 2 * (23 + 1 + 1));
        for (size_t i = 0, u = 0; i < 24; u++) {
            uint16_t want = i == at ? 0xe9 : (uint8_t)s[i];
            CHECK_EQ_U(mh_get_u16(wr.buf + 2 * u), want);
            i += i == at ? 2 : 1;
        }
        CHECK_EQ_U(mh_get_u16(wr.buf + 2 * 23), 0x20ac);
        CHECK_EQ_U(mh_get_u16(wr.buf + 2 * 24), 0);
        mh_rd rd;
        mh_rd_init(&rd, wr.buf, wr.len);
        CHECK_STR(mh_rd_utf16z(&rd, 100, pool), s);
    }
}

static void test_utf16_bad_input(void)
{
    mh_wr wr;
    mh_wr_init(&wr, pool, 8);
    mh_wr_utf16z(&wr, "\xff\xc3"); /* invalid byte, truncated sequence */
    const unsigned char want[] = {0xfd, 0xff, 0xfd, 0xff, 0, 0};
    CHECK_MEM(wr.buf, wr.len, want, sizeof(want));

    /* lone surrogate; missing terminator */
    const unsigned char lone[] = {0x00, 0xd8, 'a', 0, 0, 0};
    mh_rd rd;
    mh_rd_init(&rd, lone, sizeof(lone));
    CHECK_STR(mh_rd_utf16z(&rd, 10, pool), "\xef\xbf\xbd" "a");
    mh_rd_init(&rd, lone, 4);
    CHECK(mh_rd_utf16z(&rd, 10, pool) == NULL);
    CHECK(rd.err);
    /* over the unit limit */
    mh_rd_init(&rd, lone, sizeof(lone));
    CHECK(mh_rd_utf16z(&rd, 1, pool) == NULL);
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    RUN(test_reader_little_endian);
    RUN(test_reader_short_read_is_sticky);
    RUN(test_reader_huge_length_does_not_wrap);
    RUN(test_reader_null_buffer);
    RUN(test_asciiz);
    RUN(test_writer_grows);
    RUN(test_big_endian);
    RUN(test_hex);
    RUN(test_utf16_roundtrip);
    RUN(test_utf16_ascii_runs);
    RUN(test_utf16_bad_input);
    apr_pool_destroy(pool);
    return MH_TEST_DONE();
}
