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


/* ------------------------------------------------ minimal requests */

/*
 * A minimal valid request for every request-capable ROP (more than one
 * for ROPs with optional fields), header included.  Handle indexes:
 * input 01, dest 02, output 03, response 04.
 */
#define Z8 "00 00 00 00 00 00 00 00 "
#define Z16 Z8 Z8
#define Z24 Z16 Z8
static const char *const requests[] = {
    "01 00 01",                                              /* RopRelease */
    "02 00 01 03 " Z8 "00",                                  /* RopOpenFolder */
    "03 00 01 03 ff 0f " Z8 "01 " Z8,                        /* RopOpenMessage */
    "04 00 01 03 00", "05 00 01 03 40",
    "06 00 01 03 ff 0f " Z8 "00",                            /* RopCreateMessage */
    "07 00 01 00 00 00 00 01 00 1f 00 37 00",                /* RopGetPropertiesSpecific */
    "08 00 01 00 00 01 00", "09 00 01",
    "0a 00 01 0a 00 01 00 03 00 07 0e 01 00 00 00",          /* RopSetProperties */
    "0b 00 01 01 00 1f 00 37 00",
    "0c 00 04 01 0a",                                        /* RopSaveChangesMessage */
    "0d 00 01 00 00 00 00",
    /* RopModifyRecipients: one column (PR_DISPLAY_NAME_W), one row:
     * SMTP|D|U, DisplayName "A", one column value "B" */
    "0e 00 01 01 00 1f 00 01 30 01 00 00 00 00 00 01 0d 00 "
    "13 02 41 00 00 00 01 00 00 42 00 00 00",
    /* a row of size 0 removes a recipient */
    "0e 00 01 00 00 01 00 05 00 00 00 01 00 00",
    "0f 00 01 00 00 00 00 00 00", "10 00 01 00 00",
    "11 00 04 01 01",                                        /* RopSetMessageReadFlag */
    "12 00 01 00 01 00 1f 00 37 00",
    "13 00 01 00 01 00 00 00 00 00 40 00 06 0e 01",          /* RopSortTable */
    "13 00 01 00 02 00 01 00 01 00 1f 00 1d 0e 00 40 00 06 0e 01",
    "14 00 01 00 0e 00 04 04 03 00 1a 00 03 00 1a 00 07 00 00 00", /* RopRestrict */
    "14 00 01 00 00 00",                                     /* no restriction */
    "15 00 00 00 01 32 00",                                  /* MS-OXCTABL 4.5.3.1 */
    "16 00 01", "17 00 01", "18 00 01 00 05 00 00 00 01",
    "19 00 01 02 00 aa bb 00 00 00 00 00",                   /* RopSeekRowBookmark */
    "1a 00 01 01 00 00 00 02 00 00 00", "1b 00 01",
    "1c 00 01 03 01 00 00 00 46 00 00",                      /* RopCreateFolder, 8-bit */
    "1c 00 01 03 01 01 00 00 46 00 00 00 00 00",             /* RopCreateFolder, UTF-16 */
    "1d 00 01 00 " Z8,
    "1e 00 01 00 00 01 00 " Z8,                              /* RopDeleteMessages */
    "1f 00 01 " Z8, "20 00 01 " Z16,
    "21 00 01 03 00", "22 00 01 03 00 00 00 00 00", "23 00 01 03", "24 00 01 00 00 00 00",
    "25 00 04 01 0a",
    "26 00 01 " Z8 "49 50 4d 00", "27 00 01 49 50 4d 00",
    "29 00 01 03 04 00 00 " Z16,                             /* RopRegisterNotification */
    "29 00 01 03 04 00 01",
    "2b 00 01 03 02 01 09 10 00",
    "2c 00 01 00 10", "2c 00 01 be ba 00 00 01 00",          /* RopReadStream */
    "2d 00 01 02 00 61 62", "2e 00 01 00 " Z8, "2f 00 01 " Z8,
    "30 00 01 05 00 08 03 00 1a 00 01 00 " Z8 "00 00 00 00", /* RopSetSearchCriteria */
    "31 00 01 00 01 01", "32 00 01 00",
    "33 00 01 02 01 00 " Z8 "00 01",                         /* RopMoveCopyMessages */
    "34 00 01 " Z16,
    /* MS-OXCFOLD 4.5.1: RopMoveFolder */
    "35 00 01 02 01 01 01 00 00 00 0e 8e df 36 46 00 6f 00 6c 00 64 00 65 00 72 00 31 00 00 00",
    "36 00 01 02 00 01 00 " Z8 "46 00",                      /* RopCopyFolder */
    "37 00 01", "38 00 01",
    "39 00 01 02 00 00 00 01 00 1f 00 37 00",                /* RopCopyTo */
    "3a 00 01 02 " Z8, "3b 00 01 03", "3e 00 01 03 00", "3f 00 01 03 00",
    "40 00 01 00 01 00 01 01 00 03 00 73 66 00 00 00 00",    /* RopModifyPermissions */
    "41 00 01 00 01 00 01 01 00 03 00 76 66 0a 00 00 00",    /* RopModifyRules */
    "42 00 01 " Z8, "43 00 01 " Z8, "44 00 01 " Z24, "45 00 01 " Z8,
    "46 00 01 03 ff 0f 00", "47 00 01", "48 00 01 " Z8 "01", "49 00 01", "4a 00 01",
    "4b 00 01 03 01 00 " Z8 "00 00",
    "4c 00 01 03 00 00",
    "4d 00 01 03 00 00 00 00 00 01 00 00",
    "4e 00 01 00 10", "4e 00 01 be ba 00 80",                /* RopFastTransferSourceGetBuffer */
    "4f 00 01 00 00 00 00 00 00",                            /* RopFindRow */
    "4f 00 01 00 05 00 08 03 00 1a 00 01 02 00 aa bb",
    "50 00 01 00",
    "51 00 01 " Z16 "49 50 4d 00 00 00 00 00",               /* RopTransportNewMail */
    "52 00 01", "53 00 01 03 01 00", "54 00 01 01 00 ff",
    "55 00 01 01 00 01 80",
    /* RopGetPropertyIdsFromNames: MNID_ID, MNID_STRING "A" */
    "56 00 01 02 02 00 00 " Z16 "01 80 00 00 01 " Z16 "04 41 00 00 00",
    "57 00 01 01 00 aa 02 00 bb cc",
    "58 00 01 00 00", "59 00 01 10 00 " Z8, "5a 00 01 " Z8,
    "5b 00 01 " Z16 "00 00 00 00", "5c 00 01 " Z16 "00 00 00 00",
    "5d 00 01", "5e 00 01",
    "5f 00 01 00 00", "5f 00 01 00 01 " Z16,                 /* RopQueryNamedProperties */
    "60 00 01 " Z16, "61 00 01 " Z24, "63 00 01 " Z24 "00 00 00 00 00 00 10",
    "64 00 01 " Z24 "01 00 00 00 00 01 00 aa " Z16,          /* RopWritePerUserInformation */
    "64 00 01 " Z24 "01 10 00 00 00 00 00",
    "66 00 01 00 00 01 00 " Z8,                              /* RopSetReadFlags */
    "67 00 01 02 00 00 00 00",                               /* RopCopyProperties */
    "68 00 01", "69 00 01 03 00 00 00 00 00",
    "6b 00 01 " Z8 "00 00 00 00", "6c 00 01 00 00", "6d 00 01",
    "6f 00 01 53 4d 54 50 00 01",                            /* RopOptionsData */
    "70 00 01 03 01 00 00 00 00 00 00 00 00 00 00 00",       /* RopSynchronizationConfigure */
    "70 00 01 03 01 00 00 00 05 00 08 03 00 1a 00 00 00 00 00 01 00 1f 00 37 00",
    "72 00 01 03 00 00 00",
    "73 00 01 00 00 00 00",
    "74 00 01 00 01 00 02 11 00 00 01 00 00 00 01 00 aa",    /* RopSynchronizationImportDeletes */
    "75 00 01 " Z8, "76 00 01 02 00 00 00 aa bb", "77 00 01",
    "78 00 01 01 00 00 00 aa 01 00 00 00 aa 01 00 00 00 aa 01 00 00 00 aa 01 00 00 00 aa",
    "79 00 01 0a 00 01 00 03 00 07 0e 01 00 00 00",
    "7a 00 01 01 00 1f 00 37 00", "7b 00 01",
    "7e 00 01 03 01", "7f 00 01 00 00 00 00",
    "80 00 01 04 00 01 00 aa 01",                            /* RopSynchronizationImportReadStateChanges */
    "81 00 01", "82 00 01 03", "86 00 01 00 00 00 00 00 00",
    "89 00 01 01 00 aa", "90 00 01 01 00 aa",
    "91 00 01 00 00 01 00 " Z8, "92 00 01 00 00",
    "93 00 01 34 00 01 00 00 00 " Z24 Z24,                   /* RopSetLocalReplicaMidsetDeleted */
    "9d 00 01 01 00 aa", "a3 00 01 01 00 aa",
    "fe 00 03 01 00 00 00 00 00 00 00 00 02 00 61 00",       /* RopLogon */
    "fe 00 03 01 00 00 00 00 00 00 00 00 00 00",
};

/* Reads one ROP (header and body); 0 when it ends exactly at the buffer's end. */
static int parse_one(const unsigned char *buf, size_t len, mh_ropheader *h)
{
    mh_rd rd;
    mh_rd_init(&rd, buf, len);
    if (mh_rd_ropheader(&rd, h) < 0)
        return -1;
    if (h->info->skip(&rd) < 0) {
        if (!rd.err) /* a failing skipper must mark the reader */
            return -2;
        return -1;
    }
    return rd.p == rd.end ? 0 : 1;
}

static void check_request(const char *hex)
{
    unsigned char buf[512];
    size_t len = mh_test_unhex(hex, buf, sizeof(buf));
    mh_ropheader h;
    int r = parse_one(buf, len, &h);
    if (r != 0)
        printf("# request %s: %d\n", hex, r);
    CHECK(r == 0);
    for (size_t cut = 0; cut < len; cut++) {
        r = parse_one(buf, cut, &h);
        if (r != -1)
            printf("# request %s cut at %zu: %d\n", hex, cut, r);
        CHECK(r == -1);
    }
}

static void test_requests(void)
{
    int covered[256] = { 0 };
    unsigned char all[8192];
    size_t all_len = 0;
    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
        unsigned char buf[512];
        size_t len = mh_test_unhex(requests[i], buf, sizeof(buf));
        REQUIRE(len > 0 && all_len + len <= sizeof(all));
        covered[buf[0]] = 1;
        check_request(requests[i]);
        memcpy(all + all_len, buf, len);
        all_len += len;
    }
    /* every ROP a client may send has a request here */
    for (unsigned id = 0; id < 256; id++) {
        const mh_ropinfo *e = mh_ropinfo_get((uint8_t)id);
        if (e && !(e->flags & MH_ROPF_RESPONSE_ONLY)) {
            if (!covered[id])
                printf("# no request for 0x%02X %s\n", id, e->name);
            CHECK(covered[id]);
        }
    }
    /* back to back, as in a ROP input buffer: each ends where the next starts */
    mh_rd rd;
    mh_rd_init(&rd, all, all_len);
    size_t n = 0;
    while (mh_rd_left(&rd) > 0) {
        mh_ropheader h;
        if (mh_rd_ropheader(&rd, &h) < 0 || h.info->skip(&rd) < 0)
            break;
        n++;
    }
    CHECK_EQ_U(n, sizeof(requests) / sizeof(requests[0]));
    CHECK(rd.p == rd.end && !rd.err);
}

/* ------------------------------------------------------- headers */

static void test_headers(void)
{
    unsigned char buf[64];
    mh_ropheader h;
    mh_rd rd;

    size_t len = mh_test_unhex("02 07 01 03 " Z8 "00", buf, sizeof(buf));
    mh_rd_init(&rd, buf, len);
    REQUIRE(mh_rd_ropheader(&rd, &h) == 0);
    CHECK_EQ_U(h.id, 0x02);
    CHECK_EQ_U(h.logon_id, 7);
    CHECK_EQ_U(h.in_idx, 1);
    CHECK_EQ_U(h.out_idx, 3);
    CHECK_EQ_U(h.dest_idx, 0);
    CHECK_EQ_U(h.resp_idx, 3);
    CHECK(h.info == mh_ropinfo_get(0x02));
    CHECK_EQ_U(mh_rd_left(&rd), 9);

    /* RopLogon: RopId, LogonId, OutputHandleIndex */
    len = mh_test_unhex("fe 02 05 01", buf, sizeof(buf));
    mh_rd_init(&rd, buf, len);
    REQUIRE(mh_rd_ropheader(&rd, &h) == 0);
    CHECK_EQ_U(h.logon_id, 2);
    CHECK_EQ_U(h.in_idx, 0);
    CHECK_EQ_U(h.out_idx, 5);
    CHECK_EQ_U(h.resp_idx, 5);
    CHECK_EQ_U(mh_rd_left(&rd), 1);

    /* RopSaveChangesMessage: ResponseHandleIndex before InputHandleIndex */
    len = mh_test_unhex("0c 00 04 01 0a", buf, sizeof(buf));
    mh_rd_init(&rd, buf, len);
    REQUIRE(mh_rd_ropheader(&rd, &h) == 0);
    CHECK_EQ_U(h.in_idx, 1);
    CHECK_EQ_U(h.resp_idx, 4);
    CHECK_EQ_U(h.out_idx, 0);

    /* MS-OXCFOLD 4.5.1 RopMoveFolder: SourceHandleIndex 1, DestHandleIndex 2 */
    len = mh_test_unhex("35 00 01 02 01 01", buf, sizeof(buf));
    mh_rd_init(&rd, buf, len);
    REQUIRE(mh_rd_ropheader(&rd, &h) == 0);
    CHECK_EQ_U(h.in_idx, 1);
    CHECK_EQ_U(h.dest_idx, 2);
    CHECK_EQ_U(h.resp_idx, 1);

    /* reserved and response-only ids: -1, reader intact */
    const char *bad_ids[] = { "00 00 00", "28 00 00", "a4 00 00", "fd 00 00", "2a 00 00",
                              "6e 00 00", "f9 00 00", "ff 00 00" };
    for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
        len = mh_test_unhex(bad_ids[i], buf, sizeof(buf));
        mh_rd_init(&rd, buf, len);
        CHECK(mh_rd_ropheader(&rd, &h) == -1);
        CHECK(!rd.err);
        CHECK_EQ_U(h.id, buf[0]);
    }
    CHECK(h.info == mh_ropinfo_get(0xFF)); /* response-only entries are named */

    /* truncated header */
    len = mh_test_unhex("02 00 01", buf, sizeof(buf));
    mh_rd_init(&rd, buf, len);
    CHECK(mh_rd_ropheader(&rd, &h) == -1);
    CHECK(rd.err);
    mh_rd_init(&rd, buf, 0);
    CHECK(mh_rd_ropheader(&rd, &h) == -1);
    CHECK(rd.err);
}

/* MS-OXCROPS 4.4: a ROP input buffer with two RopRelease requests */
static void test_spec_release(void)
{
    unsigned char buf[64];
    size_t len = mh_test_unhex("08 00 01 00 00 01 00 01 6F 00 00 00 6E 00 00 00", buf,
                               sizeof(buf));
    mh_rd rd;
    mh_rd_init(&rd, buf, len);
    uint16_t rop_size = mh_rd_u16(&rd);
    REQUIRE(rop_size == 8);
    const unsigned char *rops_end = buf + rop_size;
    uint8_t idx[2];
    int n = 0;
    while (rd.p < rops_end) {
        mh_ropheader h;
        REQUIRE(mh_rd_ropheader(&rd, &h) == 0);
        REQUIRE(h.info->skip(&rd) == 0);
        CHECK_EQ_U(h.id, 0x01);
        CHECK(h.info->flags & MH_ROPF_NO_RESPONSE);
        REQUIRE(n < 2);
        idx[n++] = h.in_idx;
    }
    CHECK(rd.p == rops_end);
    CHECK_EQ_U(n, 2);
    CHECK_EQ_U(idx[0], 0);
    CHECK_EQ_U(idx[1], 1);
    CHECK_EQ_U(mh_rd_u32(&rd), 0x6F);
    CHECK_EQ_U(mh_rd_u32(&rd), 0x6E);
    CHECK_EQ_U(mh_rd_left(&rd), 0);
    /* RopRelease has no response */
    apr_pool_t *pool;
    apr_pool_create(&pool, NULL);
    mh_wr wr;
    mh_wr_init(&wr, pool, 16);
    CHECK(mh_rop_write_failure(&wr, 0x01, 0, MAPI_E_CALL_FAILED, 0) == -1);
    CHECK_EQ_U(wr.len, 0);
    apr_pool_destroy(pool);
}

int main(void)
{
    MH_TEST_INIT();
    RUN(test_table);
    RUN(test_requests);
    RUN(test_headers);
    RUN(test_spec_release);
    return MH_TEST_DONE();
}
