/*
 * test_ropinfo.c - the RopId table (MS-OXCROPS 2.2.2), request header
 * reading, request skippers and failure responses (mh_ropinfo.c).
 */
#include "mh_ropinfo.h"

#include "mh_mapierr.h"
#include "mh_test.h"

/* MS-OXCROPS 2.2.2 reserved ids, as listed in the digest (section E) */
static int is_reserved(unsigned id)
{
    static const unsigned single[] = { 0x00, 0x28, 0x3C, 0x3D, 0x62, 0x65, 0x6A, 0x71,
                                       0x7C, 0x7D, 0x87, 0x88 };
    static const unsigned range[][2] = { { 0x83, 0x85 }, { 0x8A, 0x8F }, { 0x94, 0x9C },
                                         { 0x9E, 0xA2 }, { 0xA4, 0xF8 }, { 0xFA, 0xFD } };
    for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++)
        if (id == single[i])
            return 1;
    for (size_t i = 0; i < sizeof(range) / sizeof(range[0]); i++)
        if (id >= range[i][0] && id <= range[i][1])
            return 1;
    return 0;
}

static void test_table(void)
{
    unsigned n = 0, requests = 0, response_only = 0;
    for (unsigned id = 0; id < 256; id++) {
        const mh_ropinfo *e = mh_ropinfo_get((uint8_t)id);
        if (is_reserved(id)) {
            CHECK(e == NULL);
            continue;
        }
        REQUIRE(e != NULL);
        n++;
        CHECK_EQ_U(e->id, id);
        CHECK(e->name && strncmp(e->name, "Rop", 3) == 0);
        CHECK(e->spec && strstr(e->spec, "MS-OXCROPS 2.2.") != NULL);
        if (e->flags & MH_ROPF_RESPONSE_ONLY) {
            response_only++;
            CHECK(e->skip == NULL);
            CHECK_EQ_U(e->flags, MH_ROPF_RESPONSE_ONLY);
        } else {
            requests++;
            CHECK(e->skip != NULL);
            /* every request but RopLogon names an input object */
            CHECK(((e->flags & MH_ROPF_INPUT) != 0) == (id != 0xFE));
        }
    }
    CHECK_EQ_U(n, 132);
    CHECK_EQ_U(n, MH_ROPINFO_COUNT);
    CHECK_EQ_U(requests, 128);
    CHECK_EQ_U(response_only, 4);
    CHECK_STR(mh_ropinfo_get(0x02)->name, "RopOpenFolder");
    CHECK_STR(mh_ropinfo_get(0x02)->spec, "MS-OXCFOLD; MS-OXCROPS 2.2.4.1");
    CHECK_EQ_U(mh_ropinfo_get(0xFE)->flags, MH_ROPF_OUTPUT);
    CHECK_EQ_U(mh_ropinfo_get(0x01)->flags, MH_ROPF_INPUT | MH_ROPF_NO_RESPONSE);
    CHECK_EQ_U(mh_ropinfo_get(0x0C)->flags, MH_ROPF_RESPONSE_INDEX | MH_ROPF_INPUT);
    CHECK_EQ_U(mh_ropinfo_get(0x33)->flags, MH_ROPF_INPUT | MH_ROPF_DEST);
}

int main(void)
{
    MH_TEST_INIT();
    RUN(test_table);
    return MH_TEST_DONE();
}
