/* Unit tests: mh_entryid (MS-OXCDATA 2.2.4.1 and 2.2.4.2). */
#include "mh_entryid.h"
#include "mh_test.h"

static mh_guid g(uint8_t base)
{
    mh_guid r;
    for (int i = 0; i < 16; i++)
        r.b[i] = (uint8_t)(base + i);
    return r;
}

static void test_folder_layout(void)
{
    mh_guid prov = g(0x10), repl = g(0x80);
    uint8_t out[MH_FOLDER_EID_LEN];
    mh_eid_folder(&prov, &repl, 0x0102030405ull, out);
    /* Flags, ProviderUID, FolderType 0x0001, DatabaseGuid,
     * GlobalCounter big-endian in 6 bytes, Pad */
    const uint8_t want[MH_FOLDER_EID_LEN] = {
        0, 0, 0, 0,
        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
        0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F,
        0x01, 0x00,
        0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
        0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F,
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
        0x00, 0x00};
    CHECK_MEM(out, sizeof(out), want, sizeof(want));
    mh_eid e;
    REQUIRE(mh_eid_parse(out, sizeof(out), &e) == 0);
    CHECK_EQ_U(e.type, MH_EID_TYPE_PRIVATE_FOLDER);
    CHECK_EQ_U(e.folder, 0x0102030405ull);
    CHECK(memcmp(e.provider.b, prov.b, 16) == 0);
    CHECK(memcmp(e.folder_replica.b, repl.b, 16) == 0);
}

static void test_message_layout(void)
{
    mh_guid prov = g(0x10), fr = g(0x40), mr = g(0x60);
    uint8_t out[MH_MESSAGE_EID_LEN];
    mh_eid_message(&prov, &fr, 7, &mr, 0xFFFFFFFFFFFFull, out);
    CHECK_EQ_U(out[20], 0x07);
    CHECK_EQ_U(out[21], 0x00);
    CHECK_EQ_U(out[22], 0x40);
    CHECK_EQ_U(out[43], 0x07);   /* folder counter's last byte */
    CHECK_EQ_U(out[46], 0x60);
    CHECK_EQ_U(out[62], 0xFF);   /* message counter's first byte */
    CHECK_EQ_U(out[68] | out[69], 0);
    mh_eid e;
    REQUIRE(mh_eid_parse(out, sizeof(out), &e) == 0);
    CHECK_EQ_U(e.type, MH_EID_TYPE_PRIVATE_MESSAGE);
    CHECK_EQ_U(e.folder, 7);
    CHECK_EQ_U(e.message, 0xFFFFFFFFFFFFull);
    CHECK(memcmp(e.message_replica.b, mr.b, 16) == 0);
}

static void test_rejects(void)
{
    mh_guid a = g(1);
    uint8_t f[MH_FOLDER_EID_LEN], m[MH_MESSAGE_EID_LEN];
    mh_eid_folder(&a, &a, 5, f);
    mh_eid_message(&a, &a, 5, &a, 6, m);
    mh_eid e;
    /* a folder entry ID cut short or with bytes appended */
    uint8_t big[MH_MESSAGE_EID_LEN + 2];
    memset(big, 0, sizeof(big));
    memcpy(big, f, sizeof(f));
    for (size_t len = 0; len <= sizeof(big); len++)
        if (len != sizeof(f))
            CHECK(mh_eid_parse(big, len, &e) == -1);
    CHECK(mh_eid_parse(big, sizeof(f), &e) == 0);
    CHECK(mh_eid_parse(m, sizeof(f), &e) == -1);   /* message type, folder length */
    CHECK(mh_eid_parse(f, 0, &e) == -1);
    uint8_t x[MH_FOLDER_EID_LEN];
    memcpy(x, f, sizeof(x));
    x[0] = 1;                                       /* flags */
    CHECK(mh_eid_parse(x, sizeof(x), &e) == -1);
    memcpy(x, f, sizeof(x));
    x[20] = 0x02;                                   /* another type */
    CHECK(mh_eid_parse(x, sizeof(x), &e) == -1);
    memcpy(x, f, sizeof(x));
    x[45] = 1;                                      /* pad */
    CHECK(mh_eid_parse(x, sizeof(x), &e) == -1);
    mh_eid_folder(&a, &a, 0, x);                    /* counter 0 */
    CHECK(mh_eid_parse(x, sizeof(x), &e) == -1);
    uint8_t y[MH_MESSAGE_EID_LEN];
    memcpy(y, m, sizeof(y));
    y[69] = 1;
    CHECK(mh_eid_parse(y, sizeof(y), &e) == -1);
}

int main(void)
{
    MH_TEST_INIT();
    RUN(test_folder_layout);
    RUN(test_message_layout);
    RUN(test_rejects);
    return MH_TEST_DONE();
}
