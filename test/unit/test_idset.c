/*
 * test_idset.c - GLOBSETs and IDSETs with REPLGUIDs (mh_idset.c;
 * MS-OXCFXICS 2.2.2.4 to 2.2.2.6, 3.1.5.4.3).
 */
#include "mh_idset.h"
#include "mh_test.h"

static apr_pool_t *pool;

/* Decodes hex as one GLOBSET: 0 and the ranges, or -1. */
static int decode(const char *hex, mh_globrange **r, uint32_t *n, size_t *used)
{
    unsigned char buf[256];
    size_t len = mh_test_unhex(hex, buf, sizeof buf);
    mh_rd rd;
    mh_rd_init(&rd, buf, len);
    int rc = mh_globset_read(&rd, pool, r, n);
    if (used)
        *used = (size_t)(rd.p - buf);
    if (rc != 0 && !rd.err)
        return -2; /* a failure must mark the reader */
    return rc;
}

#define G(h, l) (((uint64_t)(h) << 8) | (l)) /* five high-order bytes h, low byte l */

/* MS-OXCFXICS 3.1.5.4.3.1.3: StartingValue 0x01 and Bitmask 0xEB are the
 * low-order bytes {0x01-0x03, 0x05-0x05, 0x07-0x09} */
static void test_spec_bitmask(void)
{
    mh_globrange *r;
    uint32_t n;
    REQUIRE(decode("05 00 00 00 12 34 42 01 eb 50 00", &r, &n, NULL) == 0);
    REQUIRE(n == 3);
    uint64_t h = 0x0000001234ull;
    CHECK(r[0].low == G(h, 1) && r[0].high == G(h, 3));
    CHECK(r[1].low == G(h, 5) && r[1].high == G(h, 5));
    CHECK(r[2].low == G(h, 7) && r[2].high == G(h, 9));
    /* StartingValue alone (mask 0) is one value */
    REQUIRE(decode("05 01 02 03 04 05 42 ff 00 50 00", &r, &n, NULL) == 0);
    CHECK(n == 1 && r[0].low == 0x0102030405FFull && r[0].high == r[0].low);
    /* values past 0xFF do not exist */
    CHECK(decode("05 01 02 03 04 05 42 ff 01 50 00", &r, &n, NULL) == -1);
    /* Bitmask needs exactly five bytes on the stack (3.1.5.4.3.2.3) */
    CHECK(decode("04 01 02 03 04 42 01 01 50 00", &r, &n, NULL) == -1);
    CHECK(decode("42 01 01 00", &r, &n, NULL) == -1);
}

static void test_commands(void)
{
    mh_globrange *r;
    uint32_t n;
    size_t used;
    /* a six-byte Push is a singleton and leaves the stack empty */
    REQUIRE(decode("06 00 00 00 00 00 2a 00 ff", &r, &n, &used) == 0);
    CHECK(n == 1 && r[0].low == 0x2a && r[0].high == 0x2a);
    CHECK_EQ_U(used, 8); /* End ends it: the byte after is not read */
    /* pushes that add up to six: the last one's bytes go again */
    REQUIRE(decode("02 00 01 04 00 00 00 05 04 00 00 00 07 50 00", &r, &n, NULL) == 0);
    CHECK(n == 2 && r[0].low == 0x000100000005ull && r[1].low == 0x000100000007ull);
    /* Range with the stack's bytes; without any */
    REQUIRE(decode("03 00 00 01 52 00 00 10 00 00 20 50 52 00 00 00 00 00 01 00 00 00 00 00 "
                   "09 00",
                   &r, &n, NULL) == 0);
    CHECK(n == 2);
    CHECK(r[0].low == 0x000001000010ull && r[0].high == 0x000001000020ull);
    CHECK(r[1].low == 1 && r[1].high == 9);
    /* empty */
    REQUIRE(decode("00", &r, &n, NULL) == 0);
    CHECK_EQ_U(n, 0);
    /* failures: more than six bytes, Pop on nothing, End on a stack, low >
     * high, unknown commands, truncation */
    CHECK(decode("04 00 00 00 01 04 00 00 00 01 50 50 00", &r, &n, NULL) == -1);
    CHECK(decode("50 00", &r, &n, NULL) == -1);
    CHECK(decode("02 00 01 00", &r, &n, NULL) == -1);
    CHECK(decode("52 00 00 00 00 00 09 00 00 00 00 00 01 00", &r, &n, NULL) == -1);
    CHECK(decode("07 00", &r, &n, NULL) == -1);
    CHECK(decode("43 00", &r, &n, NULL) == -1);
    CHECK(decode("06 00 00 00 00 00", &r, &n, NULL) == -1);
    CHECK(decode("", &r, &n, NULL) == -1);
    CHECK(decode("02 00 01", &r, &n, NULL) == -1);
}

/* What the encoder writes the decoder reads back, range for range. */
static void test_roundtrip(void)
{
    static const mh_globrange in[] = {
        {5, 5}, {0x10, 0x20}, {0x000100000000ull, 0x0001000000FFull},
        {0x123456789ABCull, 0x123456789ABDull}, {0, 0xFFFFFFFFFFFFull},
        {0xFFFFFFFFFFFFull, 0xFFFFFFFFFFFFull}};
    mh_wr w;
    mh_wr_init(&w, pool, 64);
    mh_globset_write(&w, in, 6);
    mh_rd rd;
    mh_rd_init(&rd, w.buf, w.len);
    mh_globrange *r;
    uint32_t n;
    REQUIRE(mh_globset_read(&rd, pool, &r, &n) == 0);
    CHECK_EQ_U(mh_rd_left(&rd), 0);
    REQUIRE(n == 6);
    for (uint32_t i = 0; i < n; i++)
        CHECK(r[i].low == in[i].low && r[i].high == in[i].high);
    /* a range sharing five bytes pushes them, and pops them again */
    mh_wr_init(&w, pool, 64);
    mh_globset_write(&w, &in[3], 1);
    unsigned char want[32];
    size_t wl = mh_test_unhex("05 12 34 56 78 9a 52 bc bd 50 00", want, sizeof want);
    CHECK_MEM(w.buf, w.len, want, wl);
    /* every prefix of a valid encoding fails */
    mh_wr_init(&w, pool, 64);
    mh_globset_write(&w, in, 6);
    for (size_t cut = 0; cut < w.len; cut++) {
        mh_rd_init(&rd, w.buf, cut);
        CHECK(mh_globset_read(&rd, NULL, NULL, NULL) == -1 && rd.err);
    }
}

/* IDSET with REPLGUID (2.2.2.4.2): REPLGUID, GLOBSET, to the end */
static void test_idset_guid(void)
{
    unsigned char buf[128];
    size_t len = mh_test_unhex("00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff "
                               "06 00 00 00 00 00 07 00 "
                               "ff ee dd cc bb aa 99 88 77 66 55 44 33 22 11 00 "
                               "05 00 00 00 00 01 42 01 eb 50 00",
                               buf, sizeof buf);
    CHECK(mh_idset_guid_valid(buf, len));
    CHECK(mh_idset_guid_valid(buf, 0)); /* the empty set */
    for (size_t cut = 1; cut < len; cut++)
        if (cut != 24) /* after the first entry it is a shorter valid set */
            CHECK(!mh_idset_guid_valid(buf, cut));
    CHECK(mh_idset_guid_valid(buf, 24));
    buf[len] = 0x00; /* a stray byte after the last entry */
    CHECK(!mh_idset_guid_valid(buf, len + 1));
    buf[23] = 0x51; /* the first End is not a command */
    CHECK(!mh_idset_guid_valid(buf, len));
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    RUN(test_spec_bitmask);
    RUN(test_commands);
    RUN(test_roundtrip);
    RUN(test_idset_guid);
    apr_pool_destroy(pool);
    return MH_TEST_DONE();
}
