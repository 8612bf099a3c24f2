/*
 * test_ropinfo.c - the RopId table (MS-OXCROPS 2.2.2), request header
 * reading, request skippers and failure responses (mh_ropinfo.c).
 */
#include "mh_ropinfo.h"

#include "mh_mapierr.h"
#include "mh_test.h"
#include "rop_samples.h"

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
    for (size_t i = 0; i < MH_ROP_SAMPLE_COUNT; i++) {
        unsigned char buf[512];
        size_t len = mh_test_unhex(mh_rop_samples[i], buf, sizeof(buf));
        REQUIRE(len > 0 && all_len + len <= sizeof(all));
        covered[buf[0]] = 1;
        check_request(mh_rop_samples[i]);
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
    CHECK_EQ_U(n, MH_ROP_SAMPLE_COUNT);
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


/* ------------------------------------------ variable structures */

/* Runs `hex` (a whole request) and expects 0 (valid, exact) or -1 (malformed). */
static int run_hex(const char *hex)
{
    unsigned char buf[1024];
    size_t len = mh_test_unhex(hex, buf, sizeof(buf));
    mh_ropheader h;
    return parse_one(buf, len, &h);
}

/* The same for bytes built with a writer. */
static int run_wr(const mh_wr *wr)
{
    mh_ropheader h;
    return parse_one(wr->buf, wr->len, &h);
}

/* Every proper prefix of a valid request must fail. */
static void check_prefixes(const mh_wr *wr)
{
    mh_ropheader h;
    int bad = 0;
    for (size_t cut = 0; cut < wr->len; cut++)
        if (parse_one(wr->buf, cut, &h) != -1)
            bad++;
    CHECK_EQ_U(bad, 0);
}

/* Tagged values of every type a ROP buffer can carry (MS-OXCDATA 2.11.1),
 * each followed by its encoding. */
static const char *const tagged_values[] = {
    "02 00 01 00 05 00",                     /* PT_SHORT */
    "03 00 01 00 05 00 00 00",               /* PT_LONG */
    "04 00 01 00 00 00 80 3f",               /* PT_FLOAT */
    "05 00 01 00 " Z8,                       /* PT_DOUBLE */
    "06 00 01 00 " Z8,                       /* PT_CURRENCY */
    "07 00 01 00 " Z8,                       /* PT_APPTIME */
    "0a 00 01 00 0f 01 04 80",               /* PT_ERROR */
    "0b 00 01 00 01",                        /* PT_BOOLEAN: one byte */
    "14 00 01 00 " Z8,                       /* PT_I8 */
    "1e 00 01 00 61 62 00",                  /* PT_STRING8 */
    "1f 00 01 00 61 00 00 01 00 00",         /* PT_UNICODE: U+0161, NUL at an even offset */
    "40 00 01 00 " Z8,                       /* PT_SYSTIME */
    "48 00 01 00 " Z16,                      /* PT_CLSID */
    "fb 00 01 00 03 00 01 aa bb",            /* PT_SVREID: u16 count */
    "fd 00 01 00 08 03 00 1a 00",            /* PT_SRESTRICTION: Exist */
    /* PT_ACTIONS: one ActionBlock of 9 bytes (OP_DELETE) */
    "fe 00 01 00 01 00 09 00 05 00 00 00 00 00 00 00 00",
    "02 01 01 00 02 00 aa bb",               /* PT_BINARY: u16 count */
    "02 10 01 00 02 00 00 00 01 00 02 00",   /* PT_MV_SHORT: u32 count */
    "03 10 01 00 01 00 00 00 01 00 00 00",
    "04 10 01 00 01 00 00 00 00 00 00 00",
    "05 10 01 00 01 00 00 00 " Z8,
    "06 10 01 00 01 00 00 00 " Z8,
    "07 10 01 00 01 00 00 00 " Z8,
    "14 10 01 00 02 00 00 00 " Z16,
    "1e 10 01 00 02 00 00 00 61 00 00",      /* PT_MV_STRING8 */
    "1f 10 01 00 02 00 00 00 61 00 00 00 00 00", /* PT_MV_UNICODE */
    "40 10 01 00 01 00 00 00 " Z8,
    "48 10 01 00 01 00 00 00 " Z16,
    "02 11 01 00 02 00 00 00 01 00 aa 00 00", /* PT_MV_BINARY */
    "0d 00 01 00 00 00 00 00",               /* PT_OBJECT: 4 bytes (mh_oxcdata.h) */
};

static void test_property_values(void)
{
    apr_pool_t *pool;
    apr_pool_create(&pool, NULL);
    size_t nvals = sizeof(tagged_values) / sizeof(tagged_values[0]);
    unsigned char vals[2048];
    size_t vlen = 0;
    for (size_t i = 0; i < nvals; i++)
        vlen += mh_test_unhex(tagged_values[i], vals + vlen, sizeof(vals) - vlen);

    /* RopSynchronizationImportMessageChange: no size field, so the value
     * walker alone decides where the request ends */
    mh_wr wr;
    mh_wr_init(&wr, pool, 64);
    mh_wr_bytes(&wr, "\x72\x00\x01\x03\x00", 5);
    mh_wr_u16(&wr, (uint16_t)nvals);
    mh_wr_bytes(&wr, vals, vlen);
    CHECK(run_wr(&wr) == 0);
    check_prefixes(&wr);
    /* one more byte is not part of it */
    mh_wr_u8(&wr, 0);
    CHECK(run_wr(&wr) == 1);

    /* RopSetProperties: PropertyValueSize covers count and values */
    mh_wr_init(&wr, pool, 64);
    mh_wr_bytes(&wr, "\x0a\x00\x01", 3);
    mh_wr_u16(&wr, (uint16_t)(vlen + 2));
    mh_wr_u16(&wr, (uint16_t)nvals);
    mh_wr_bytes(&wr, vals, vlen);
    CHECK(run_wr(&wr) == 0);
    check_prefixes(&wr);
    /* a size shorter than the values is malformed */
    mh_wr_put_u16_at(&wr, 3, (uint16_t)(vlen + 1));
    CHECK(run_hex("0a 00 01 05 00 01 00 03 00 07 0e") == -1);
    CHECK(run_wr(&wr) != 0);

    /* types that have no encoding in a ROP buffer */
    CHECK(run_hex("72 00 01 03 00 01 00 09 00 01 00") == -1);        /* 0x0009 */
    CHECK(run_hex("72 00 01 03 00 01 00 0b 10 01 00 01 00 00 00 01") == -1); /* MV boolean */
    CHECK(run_hex("72 00 01 03 00 01 00 fb 10 01 00 00 00 00 00") == -1); /* MV server id */
    /* a string without its NUL, an odd UTF-16 string */
    CHECK(run_hex("72 00 01 03 00 01 00 1e 00 01 00 61 62") == -1);
    CHECK(run_hex("72 00 01 03 00 01 00 1f 00 01 00 61 00 00") == -1);
    /* counts beyond the buffer */
    CHECK(run_hex("72 00 01 03 00 01 00 1e 10 01 00 ff ff ff ff 00") == -1);
    CHECK(run_hex("72 00 01 03 00 01 00 03 10 01 00 ff ff ff 3f 00 00 00 00") == -1);
    CHECK(run_hex("72 00 01 03 00 ff ff 03 00 01 00 00 00 00 00") == -1);
    /* an ActionBlock shorter than its fixed fields */
    CHECK(run_hex("72 00 01 03 00 01 00 fe 00 01 00 01 00 02 00 05 00") == -1);
    apr_pool_destroy(pool);
}

/* Restriction of type rt with the nesting given; used for depth tests. */
static void wr_nots(mh_wr *wr, int depth)
{
    for (int i = 0; i < depth; i++)
        mh_wr_u8(wr, 0x02);
    mh_wr_bytes(wr, "\x08\x03\x00\x1a\x00", 5);
}

static void test_restrictions(void)
{
    apr_pool_t *pool;
    apr_pool_create(&pool, NULL);
    /* every restriction type (MS-OXCDATA 2.12) */
    unsigned char res[512];
    size_t rlen = mh_test_unhex(
        "00 0b 00 "                                  /* And, 11 children */
        "01 02 00 "                                  /* Or, 2 */
        "02 08 03 00 1a 00 "                         /* Not(Exist) */
        "03 01 00 01 00 1f 00 37 00 1f 00 37 00 61 00 00 00 " /* Content */
        "04 04 03 00 1a 00 03 00 1a 00 07 00 00 00 " /* Property */
        "05 01 40 00 06 0e 40 00 07 0e "             /* CompareProperties */
        "06 01 03 00 07 0e 01 00 00 00 "             /* Bitmask */
        "07 02 03 00 08 0e 00 10 00 00 "             /* Size */
        "08 03 00 1a 00 "                            /* Exist */
        "09 0d 00 12 0e 08 1f 00 01 30 "             /* SubObject(recipients, Exist) */
        "0a 01 1f 00 01 30 61 00 00 00 01 08 03 00 1a 00 " /* Comment with restriction */
        "0a 00 00 "                                  /* Comment without */
        "0b 05 00 00 00 08 03 00 1a 00 "             /* Count */
        "04 04 fd 00 01 00 fd 00 01 00 08 03 00 1a 00", /* Property with a PtypRestriction */
        res, sizeof(res));
    mh_wr wr;
    mh_wr_init(&wr, pool, 64);
    mh_wr_bytes(&wr, "\x14\x00\x01\x00", 4);
    mh_wr_u16(&wr, (uint16_t)rlen);
    mh_wr_bytes(&wr, res, rlen);
    CHECK(run_wr(&wr) == 0);
    check_prefixes(&wr);
    /* RestrictionDataSize smaller than the restriction */
    mh_wr_put_u16_at(&wr, 4, (uint16_t)(rlen - 1));
    wr.len--;
    CHECK(run_wr(&wr) == -1);

    /* the same restriction in RopFindRow and RopSynchronizationConfigure */
    mh_wr_init(&wr, pool, 64);
    mh_wr_bytes(&wr, "\x4f\x00\x01\x00", 4);
    mh_wr_u16(&wr, (uint16_t)rlen);
    mh_wr_bytes(&wr, res, rlen);
    mh_wr_bytes(&wr, "\x01\x00\x00", 3);
    CHECK(run_wr(&wr) == 0);
    check_prefixes(&wr);

    /* the restriction must fill RestrictionDataSize exactly */
    CHECK(run_hex("14 00 01 00 06 00 08 03 00 1a 00 00") == -1);
    CHECK(run_hex("14 00 01 00 05 00 08 03 00 1a 00") == 0);
    /* unknown type, And with too many children */
    CHECK(run_hex("14 00 01 00 01 00 0c") == -1);
    CHECK(run_hex("14 00 01 00 03 00 00 05 00") == -1);
    /* nesting: 60 levels are fine, 70 are not */
    mh_wr_init(&wr, pool, 64);
    mh_wr_bytes(&wr, "\x14\x00\x01\x00\x00\x00", 6);
    wr_nots(&wr, 60);
    mh_wr_put_u16_at(&wr, 4, (uint16_t)(wr.len - 6));
    CHECK(run_wr(&wr) == 0);
    mh_wr_init(&wr, pool, 64);
    mh_wr_bytes(&wr, "\x14\x00\x01\x00\x00\x00", 6);
    wr_nots(&wr, 70);
    mh_wr_put_u16_at(&wr, 4, (uint16_t)(wr.len - 6));
    CHECK(run_wr(&wr) == -1);
    apr_pool_destroy(pool);
}

static void test_recipient_rows(void)
{
    apr_pool_t *pool;
    apr_pool_create(&pool, NULL);
    /* columns: PR_DISPLAY_NAME_W, PR_RECIPIENT_TYPE (PT_LONG), one PT_UNSPECIFIED */
    const char *cols = "03 00 1f 00 01 30 03 00 15 0c 00 00 00 66";
    const char *rows[] = {
        /* X500DN: AddressPrefixUsed, DisplayType, X500DN; D (8-bit); 0 columns */
        "11 00 05 00 2f 6f 00 41 00 00 00 00",
        /* PDL1: EntryId, SearchKey; E, D, I, T in UTF-16 (U); standard row of 2 */
        ("3e 06 02 00 aa bb 01 00 cc 61 00 00 00 62 00 00 00 63 00 00 00 64 00 00 00 "
         "02 00 00 41 00 00 00 01 00 00 00"),
        /* NoType with O: AddressType; flagged row of 3: value, none, typed error */
        "00 80 53 4d 54 50 00 03 00 01 00 41 00 00 00 01 03 00 0a 0f 01 04 80",
        /* SMTP, N and R flags; flagged row with error, standard typed value */
        "83 01 01 00 01 0a 0f 01 04 80",
        "03 00 03 00 00 41 00 00 00 01 00 00 00 03 00 07 00 00 00",
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        unsigned char row[256];
        size_t rl = mh_test_unhex(rows[i], row, sizeof(row));
        mh_wr wr;
        mh_wr_init(&wr, pool, 64);
        unsigned char c[32];
        size_t cl = mh_test_unhex(cols, c, sizeof(c));
        mh_wr_bytes(&wr, "\x0e\x00\x01", 3);
        mh_wr_bytes(&wr, c, cl);
        mh_wr_u16(&wr, 1);
        mh_wr_bytes(&wr, "\x00\x00\x00\x00\x01", 5);
        mh_wr_u16(&wr, (uint16_t)rl);
        mh_wr_bytes(&wr, row, rl);
        int r = run_wr(&wr);
        if (r != 0)
            printf("# recipient row %zu: %d\n", i, r);
        CHECK(r == 0);
        check_prefixes(&wr);
        /* RecipientRowSize one past the row, one short of it */
        mh_wr_put_u16_at(&wr, 3 + cl + 2 + 5, (uint16_t)(rl + 1));
        mh_wr_u8(&wr, 0);
        CHECK(run_wr(&wr) == -1);
        mh_wr_put_u16_at(&wr, 3 + cl + 2 + 5, (uint16_t)(rl - 1));
        wr.len -= 2;
        CHECK(run_wr(&wr) == -1);
    }
    /* RecipientColumnCount above ColumnCount */
    CHECK(run_hex("0e 00 01 01 00 1f 00 01 30 01 00 00 00 00 00 01 05 00 "
                  "03 00 02 00 00") == -1);
    /* a flagged value with an unknown flag */
    CHECK(run_hex("0e 00 01 01 00 03 00 15 0c 01 00 00 00 00 00 01 06 00 "
                  "03 00 01 00 01 02") == -1);
    apr_pool_destroy(pool);
}

static void test_other_structures(void)
{
    /* property names: MNID_ID, MNID_STRING, none; Kind 2 is malformed */
    CHECK(run_hex("56 00 01 00 03 00 00 " Z16 "01 80 00 00 01 " Z16 "04 41 00 00 00 ff " Z16) == 0);
    /* NameSize counts the Name with its NUL, which ends it (MS-OXCDATA 2.6.1):
     * a name without it, or a NUL before the end, is malformed */
    CHECK(run_hex("56 00 01 00 01 00 01 " Z16 "02 41 00") == -1);
    CHECK(run_hex("56 00 01 00 01 00 01 " Z16 "04 00 00 41 00") == -1);
    CHECK(run_hex("56 00 01 00 01 00 02 " Z16 "01 80 00 00") == -1);
    CHECK(run_hex("56 00 01 00 ff ff 00") == -1);
    /* SortOrderSet: CategorizedCount > SortOrderCount, ExpandedCount >
     * CategorizedCount and an undefined Order are bad values in a whole
     * frame: the table passes them and RopSortTable answers ecInvalidParam
     * (test_rop test_malformed_value); a count past the bytes is malformed */
    CHECK(run_hex("13 00 01 00 01 00 02 00 00 00 40 00 06 0e 01") == 0);
    CHECK(run_hex("13 00 01 00 01 00 01 00 02 00 40 00 06 0e 01") == 0);
    CHECK(run_hex("13 00 01 00 01 00 00 00 00 00 40 00 06 0e 07") == 0);
    CHECK(run_hex("13 00 01 00 02 00 00 00 00 00 40 00 06 0e 01") == -1);
    CHECK(run_hex("13 00 01 00 00 00 00 00 00 00") == 0);
    /* read states must fill MessageReadStateSize exactly */
    CHECK(run_hex("80 00 01 05 00 01 00 aa 01 00") == -1);
    CHECK(run_hex("80 00 01 09 00 01 00 aa 01 02 00 bb cc 00") == 0);
    /* LongTermIdRanges beyond DataSize */
    CHECK(run_hex("93 00 01 04 00 01 00 00 00") == -1);
    /* permission and rule data with values */
    CHECK(run_hex("40 00 01 00 02 00 01 01 00 03 00 73 66 00 00 00 00 "
                  "02 02 00 14 00 71 66 " Z8 "03 00 73 66 01 00 00 00") == 0);
    CHECK(run_hex("41 00 01 00 ff ff 01 00 00") == -1);
    /* RopLogon: Essdn must end with its NUL */
    CHECK(run_hex("fe 00 03 01 00 00 00 00 00 00 00 00 02 00 61 62") == -1);
    /* strings without NUL */
    CHECK(run_hex("27 00 01 49 50 4d") == -1);
    CHECK(run_hex("1c 00 01 03 01 01 00 00 46 00 00 00 41") == -1);
}

/* ---------------------------------------------- failure responses */

static void check_failure(uint8_t id, uint8_t idx, uint32_t ec, uint8_t dest, const char *want)
{
    apr_pool_t *pool;
    apr_pool_create(&pool, NULL);
    mh_wr wr;
    mh_wr_init(&wr, pool, 16);
    unsigned char exp[128];
    size_t n = mh_test_unhex(want, exp, sizeof(exp));
    CHECK(mh_rop_write_failure(&wr, id, idx, ec, dest) == 0);
    CHECK_MEM(wr.buf, wr.len, exp, n);
    apr_pool_destroy(pool);
}

static void test_failures(void)
{
    const uint32_t nf = MAPI_E_NOT_FOUND, dn = EC_DST_NULL_OBJECT;
    /* plain: RopId, handle index, ReturnValue */
    check_failure(0x02, 3, nf, 0, "02 03 0f 01 04 80");
    check_failure(0x15, 1, nf, 9, "15 01 0f 01 04 80");
    check_failure(0x0C, 4, nf, 0, "0c 04 0f 01 04 80");
    /* RopGetMessageStatus answers as 0x20 (MS-OXCROPS 2.2.6.9.2) */
    check_failure(0x1F, 1, nf, 0, "20 01 0f 01 04 80");
    /* RopLogon: plain, and the redirect on ecWrongServer (2.2.3.1.4) */
    check_failure(0xFE, 3, MAPI_E_LOGON_FAILED, 0, "fe 03 11 01 04 80");
    check_failure(0xFE, 3, EC_WRONG_SERVER, 0, "fe 03 78 04 00 00 00 01 00");
    /* PartialCompletion */
    check_failure(0x1D, 1, nf, 0, "1d 01 0f 01 04 80 00");
    check_failure(0x1E, 1, nf, 0, "1e 01 0f 01 04 80 00");
    check_failure(0x91, 1, nf, 0, "91 01 0f 01 04 80 00");
    check_failure(0x58, 1, nf, 0, "58 01 0f 01 04 80 00");
    check_failure(0x92, 1, nf, 0, "92 01 0f 01 04 80 00");
    check_failure(0x66, 1, nf, 0, "66 01 0f 01 04 80 00");
    /* null destination: DestHandleIndex as u32 */
    check_failure(0x33, 1, dn, 2, "33 01 03 05 00 00 02 00 00 00 00");
    check_failure(0x33, 1, nf, 2, "33 01 0f 01 04 80 00");
    check_failure(0x35, 1, dn, 7, "35 01 03 05 00 00 07 00 00 00 00");
    check_failure(0x36, 1, dn, 2, "36 01 03 05 00 00 02 00 00 00 00");
    check_failure(0x36, 1, nf, 2, "36 01 0f 01 04 80 00");
    check_failure(0x67, 1, dn, 2, "67 01 03 05 00 00 02 00 00 00");
    check_failure(0x67, 1, nf, 2, "67 01 0f 01 04 80");
    check_failure(0x39, 1, dn, 5, "39 01 03 05 00 00 05 00 00 00");
    check_failure(0x39, 1, nf, 5, "39 01 0f 01 04 80");
    check_failure(0x3A, 1, dn, 2, "3a 01 03 05 00 00 02 00 00 00 " Z16);
    check_failure(0x3A, 1, nf, 2, "3a 01 0f 01 04 80 " Z16);
    /* stream sizes */
    check_failure(0x2D, 1, nf, 0, "2d 01 0f 01 04 80 00 00");
    check_failure(0x90, 1, nf, 0, "90 01 0f 01 04 80 00 00");
    check_failure(0xA3, 1, nf, 0, "a3 01 0f 01 04 80 00 00 00 00");
    check_failure(0x2C, 1, nf, 0, "2c 01 0f 01 04 80 00 00");
    /* fast transfer buffers */
    check_failure(0x54, 1, nf, 0, "54 01 0f 01 04 80 00 00 00 00 00 00 00 00 00");
    check_failure(0x9D, 1, nf, 0, "9d 01 0f 01 04 80 00 00 00 00 00 00 00 00 00 00 00");
    check_failure(0x4E, 1, nf, 0, "4e 01 0f 01 04 80 00 00 00 00 00 00 00 00 00");
    check_failure(0x4E, 1, 0x480, 0, "4e 01 80 04 00 00 00 00 00 00");

    /* no response: RopRelease, response-only and reserved ids */
    apr_pool_t *pool;
    apr_pool_create(&pool, NULL);
    mh_wr wr;
    mh_wr_init(&wr, pool, 16);
    const uint8_t none[] = { 0x01, 0x2A, 0x6E, 0xF9, 0xFF, 0x00, 0x28, 0xFD };
    for (size_t i = 0; i < sizeof(none); i++)
        CHECK(mh_rop_write_failure(&wr, none[i], 0, nf, 0) == -1);
    CHECK_EQ_U(wr.len, 0);
    /* every other ROP writes at least the 6 common bytes, starting with its id */
    for (unsigned id = 0; id < 256; id++) {
        const mh_ropinfo *e = mh_ropinfo_get((uint8_t)id);
        if (!e || (e->flags & (MH_ROPF_RESPONSE_ONLY | MH_ROPF_NO_RESPONSE)))
            continue;
        mh_wr_init(&wr, pool, 16);
        CHECK(mh_rop_write_failure(&wr, (uint8_t)id, 9, nf, 0) == 0);
        CHECK(wr.len >= 6);
        CHECK(wr.buf[0] == id || (id == 0x1F && wr.buf[0] == 0x20));
        CHECK_EQ_U(wr.buf[1], 9);
        CHECK_EQ_U(mh_get_u32(wr.buf + 2), nf);
    }
    apr_pool_destroy(pool);
}

/*
 * RopLogon's redirect response, MS-OXCROPS 2.2.3.1.4: RopId 0xFE,
 * OutputHandleIndex, ReturnValue 0x00000478 (ecWrongServer), LogonFlags,
 * ServerNameSize (u8, the NUL counted), ServerName (ASCII, NUL-ended).
 */
static void test_logon_redirect(void)
{
    apr_pool_t *pool;
    apr_pool_create(&pool, NULL);
    mh_wr wr;
    unsigned char exp[300];
    size_t n;

    /* the body a handler writes after ReturnValue */
    mh_wr_init(&wr, pool, 16);
    CHECK(mh_rop_logon_redirect_body(&wr, 0x01, "srv") == 0);
    n = mh_test_unhex("01 04 73 72 76 00", exp, sizeof(exp));
    CHECK_MEM(wr.buf, wr.len, exp, n);
    /* LogonFlags travel unchanged (Private | Undercover | Ghosted) */
    mh_wr_init(&wr, pool, 16);
    CHECK(mh_rop_logon_redirect_body(&wr, 0x07, NULL) == 0);
    n = mh_test_unhex("07 01 00", exp, sizeof(exp));
    CHECK_MEM(wr.buf, wr.len, exp, n);

    /* the longest name ServerNameSize can count: 254 characters + NUL */
    char name[400];
    memset(name, 'x', sizeof(name) - 1);
    name[254] = 0;
    mh_wr_init(&wr, pool, 16);
    CHECK(mh_rop_logon_redirect_body(&wr, 0x01, name) == 0);
    CHECK_EQ_U(wr.len, 2 + 255);
    CHECK_EQ_U(wr.buf[1], 255);
    CHECK_EQ_U(wr.buf[wr.len - 1], 0);
    /* one more is refused, with nothing written: never a cut name */
    name[254] = 'x';
    name[255] = 0;
    mh_wr_init(&wr, pool, 16);
    mh_wr_u8(&wr, 0xAA);
    CHECK(mh_rop_logon_redirect_body(&wr, 0x01, name) == -1);
    CHECK_EQ_U(wr.len, 1);

    /* the failure writer uses the same layout for ecWrongServer (an
     * empty name), and the plain one for other codes */
    mh_wr_init(&wr, pool, 16);
    CHECK(mh_rop_write_failure(&wr, 0xFE, 5, EC_WRONG_SERVER, 0) == 0);
    n = mh_test_unhex("fe 05 78 04 00 00 00 01 00", exp, sizeof(exp));
    CHECK_MEM(wr.buf, wr.len, exp, n);
    mh_wr_init(&wr, pool, 16);
    CHECK(mh_rop_write_failure(&wr, 0xFE, 5, EC_UNKNOWN_USER, 0) == 0);
    n = mh_test_unhex("fe 05 eb 03 00 00", exp, sizeof(exp));
    CHECK_MEM(wr.buf, wr.len, exp, n);
    apr_pool_destroy(pool);
}

int main(void)
{
    MH_TEST_INIT();
    RUN(test_table);
    RUN(test_requests);
    RUN(test_headers);
    RUN(test_spec_release);
    RUN(test_property_values);
    RUN(test_restrictions);
    RUN(test_recipient_rows);
    RUN(test_other_structures);
    RUN(test_failures);
    RUN(test_logon_redirect);
    return MH_TEST_DONE();
}
