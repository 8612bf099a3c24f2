/*
 * test_rop_stor.c - the per-user data table of a private mailbox through
 * the ROP fixture (MS-OXCSTOR 3.2.5.10-3.2.5.13; MS-OXCROPS 2.2.3.10 to
 * 2.2.3.13): RopWritePerUserInformation in one and several segments, read
 * back with RopReadPerUserInformation, RopGetPerUserGuid and
 * RopGetPerUserLongTermIds, and the ways a write goes wrong.
 */
#include "rop_fold_util.h"
#include "mh_idset.h"

#include <apr_strings.h>

static mh_fixture F;
static uint64_t FIDS[13];

static uint8_t LTID_A[MH_LTID_LEN], LTID_B[MH_LTID_LEN];
static mh_guid DB1, DB2; /* two public folder databases */

static uint32_t logon_as(const char *login)
{
    uint32_t logon;
    mh_fixture_set_user(&F, login);
    return mh_fixture_logon(&F, &logon, FIDS) == 0 ? logon : NOH;
}

/* A serialized IDSET with REPLGUIDs: for each of n GUIDs (g, g+1, ...),
 * the ranges {base..base+k} for k of the entry's index. */
static mh_bin idset(const mh_guid *g, unsigned n, uint64_t base)
{
    mh_wr w;
    mh_wr_init(&w, F.pool, 64);
    for (unsigned i = 0; i < n; i++) {
        mh_guid gi = *g;
        gi.b[15] = (uint8_t)(gi.b[15] + i);
        gi.b[14] = (uint8_t)(gi.b[14] + (i >> 8));
        mh_wr_bytes(&w, gi.b, 16);
        mh_globrange r[2] = {{base + i, base + i + 3}, {base + 0x10000 * (i + 1), base + 0x10000 * (i + 1)}};
        mh_globset_write(&w, r, 2);
    }
    return (mh_bin){(uint32_t)w.len, w.buf};
}

/* RopWritePerUserInformation on the logon at h[0]. */
static uint32_t write_seg(uint32_t *h, const uint8_t *ltid, int finished, uint32_t offset,
                          const void *data, uint16_t size, const mh_guid *replguid)
{
    req q = {{0}, 0};
    r_u8(&q, 0x64); r_u8(&q, 0); r_u8(&q, 0);
    r_bytes(&q, ltid, MH_LTID_LEN);
    r_u8(&q, finished ? 1 : 0);
    r_u32(&q, offset);
    r_u16(&q, size);
    r_bytes(&q, data, size);
    if (offset == 0)
        r_bytes(&q, replguid->b, 16);
    const unsigned char *r;
    size_t rl;
    uint32_t ec = run(&F, &q, h, 1, &r, &rl);
    if (ec != 0xDEADBEEF && rl != 6)
        return 0xDEADBEEF; /* the response is ReturnValue alone */
    return ec;
}

/* All of `data` in segments of `seg` bytes. */
static uint32_t write_all(uint32_t *h, const uint8_t *ltid, mh_bin data, uint16_t seg,
                          const mh_guid *replguid)
{
    uint32_t off = 0;
    do {
        uint16_t n = (uint16_t)(data.len - off < seg ? data.len - off : seg);
        uint32_t ec = write_seg(h, ltid, off + n == data.len, off, data.data + off, n, replguid);
        if (ec)
            return ec;
        off += n;
    } while (off < data.len);
    return 0;
}

/* RopReadPerUserInformation: HasFinished, and the bytes appended to out. */
static uint32_t read_seg(uint32_t *h, const uint8_t *ltid, uint32_t offset, uint16_t max,
                         int *finished, mh_wr *out)
{
    req q = {{0}, 0};
    r_u8(&q, 0x63); r_u8(&q, 0); r_u8(&q, 0);
    r_bytes(&q, ltid, MH_LTID_LEN);
    r_u8(&q, 0);
    r_u32(&q, offset);
    r_u16(&q, max);
    const unsigned char *r;
    size_t rl;
    uint32_t ec = run(&F, &q, h, 1, &r, &rl);
    if (ec)
        return ec;
    if (rl < 9 || rl != 9u + mh_get_u16(r + 7) || r[6] > 1)
        return 0xDEADBEEF;
    *finished = r[6];
    mh_wr_bytes(out, r + 9, mh_get_u16(r + 7));
    return 0;
}

/* The whole BLOB, reading with MaxDataSize `max`; the segment count. */
static uint32_t read_all(uint32_t *h, const uint8_t *ltid, uint16_t max, mh_wr *out,
                         unsigned *segs)
{
    int fin = 0;
    *segs = 0;
    while (!fin) {
        uint32_t ec = read_seg(h, ltid, (uint32_t)out->len, max, &fin, out);
        if (ec)
            return ec;
        if (++*segs > 1000)
            return 0xDEADBEEF;
    }
    return 0;
}

static uint32_t get_guid(uint32_t *h, const uint8_t *ltid, mh_guid *g)
{
    req q = {{0}, 0};
    r_u8(&q, 0x61); r_u8(&q, 0); r_u8(&q, 0);
    r_bytes(&q, ltid, MH_LTID_LEN);
    const unsigned char *r;
    size_t rl;
    uint32_t ec = run(&F, &q, h, 1, &r, &rl);
    if (ec)
        return ec;
    if (rl != 22)
        return 0xDEADBEEF;
    memcpy(g->b, r + 6, 16);
    return 0;
}

/* RopGetPerUserLongTermIds: the count, the IDs copied to ids (up to 8). */
static uint32_t get_ltids(uint32_t *h, const mh_guid *db, uint16_t *count,
                          uint8_t ids[8][MH_LTID_LEN])
{
    req q = {{0}, 0};
    r_u8(&q, 0x60); r_u8(&q, 0); r_u8(&q, 0);
    r_bytes(&q, db->b, 16);
    const unsigned char *r;
    size_t rl;
    uint32_t ec = run(&F, &q, h, 1, &r, &rl);
    if (ec)
        return ec;
    if (rl < 8)
        return 0xDEADBEEF;
    *count = mh_get_u16(r + 6);
    if (rl != 8u + (size_t)*count * MH_LTID_LEN)
        return 0xDEADBEEF;
    for (uint16_t i = 0; i < *count && i < 8; i++)
        memcpy(ids[i], r + 8 + i * MH_LTID_LEN, MH_LTID_LEN);
    return 0;
}

/* The stored row, straight from the backend (0: none). */
static int stored(const uint8_t *ltid, mh_peruser *row)
{
    mh_betxn *t = rtxn(&F, NULL);
    mh_error e;
    int found = t && mh_be_peruser_get(t, ltid, row, &e) == MH_OK;
    if (found && row->data.len)
        row->data.data = apr_pmemdup(F.pool, row->data.data, row->data.len);
    if (t)
        mh_be_abort(t);
    return found;
}

static void test_empty_table(void)
{
    uint32_t h[1] = {logon_as("alice")};
    REQUIRE(h[0] != NOH);
    uint16_t n = 99;
    uint8_t ids[8][MH_LTID_LEN];
    CHECK_EQ_U(get_ltids(h, &DB1, &n, ids), 0);
    CHECK_EQ_U(n, 0);
    mh_guid g;
    CHECK_EQ_U(get_guid(h, LTID_A, &g), MAPI_E_NOT_FOUND);
    /* no row: an empty BLOB, finished at once (3.2.5.12.2) */
    mh_wr out;
    mh_wr_init(&out, F.pool, 16);
    int fin = 0;
    CHECK_EQ_U(read_seg(h, LTID_A, 0, 0, &fin, &out), 0);
    CHECK_EQ_U(fin, 1);
    CHECK_EQ_U(out.len, 0);
    /* DataOffset past the data, or below zero: ecError (3.2.5.12.1) */
    CHECK_EQ_U(read_seg(h, LTID_A, 1, 0, &fin, &out), MAPI_E_CALL_FAILED);
    CHECK_EQ_U(read_seg(h, LTID_A, 0xFFFFFFFFu, 0, &fin, &out), MAPI_E_CALL_FAILED);
    /* the ROPs want a logon */
    req q = {{0}, 0};
    r_u8(&q, 0x60); r_u8(&q, 0); r_u8(&q, 0); r_bytes(&q, DB1.b, 16);
    uint32_t h2[2] = {h[0], NOH};
    CHECK_EQ_U(open_folder(&F, h2, 2, 0, 1, FIDS[4]), 0);
    q.b[2] = 1;
    CHECK_EQ_U(run(&F, &q, h2, 2, NULL, NULL), MAPI_E_NO_SUPPORT);
}

static void test_write_one_segment(void)
{
    uint32_t h[1] = {logon_as("alice")};
    REQUIRE(h[0] != NOH);
    mh_bin d = idset(&DB1, 2, 0x100);
    apr_time_t before = apr_time_now();
    CHECK_EQ_U(write_seg(h, LTID_A, 1, 0, d.data, (uint16_t)d.len, &DB1), 0);
    /* stored as written, with the database's REPLGUID and the time */
    mh_peruser row;
    REQUIRE(stored(LTID_A, &row));
    CHECK(row.data.len == d.len && memcmp(row.data.data, d.data, d.len) == 0);
    CHECK(memcmp(row.replguid.b, DB1.b, 16) == 0);
    CHECK(row.modified >= before && row.modified <= apr_time_now());
    /* and read back through the ROPs */
    mh_guid g;
    CHECK_EQ_U(get_guid(h, LTID_A, &g), 0);
    CHECK(memcmp(g.b, DB1.b, 16) == 0);
    CHECK_EQ_U(get_guid(h, LTID_B, &g), MAPI_E_NOT_FOUND);
    mh_wr out;
    mh_wr_init(&out, F.pool, 64);
    unsigned segs;
    CHECK_EQ_U(read_all(h, LTID_A, 0, &out, &segs), 0);
    CHECK(out.len == d.len && memcmp(out.buf, d.data, d.len) == 0);
    CHECK_EQ_U(segs, 1);
    /* a read from the middle, and one at the very end */
    mh_wr_init(&out, F.pool, 64);
    int fin;
    CHECK_EQ_U(read_seg(h, LTID_A, 5, 0, &fin, &out), 0);
    CHECK(fin == 1 && out.len == d.len - 5 && memcmp(out.buf, d.data + 5, d.len - 5) == 0);
    mh_wr_init(&out, F.pool, 64);
    CHECK_EQ_U(read_seg(h, LTID_A, d.len, 0, &fin, &out), 0);
    CHECK(fin == 1 && out.len == 0);
    CHECK_EQ_U(read_seg(h, LTID_A, d.len + 1, 0, &fin, &out), MAPI_E_CALL_FAILED);
    /* the folder is listed under its database only */
    uint16_t n;
    uint8_t ids[8][MH_LTID_LEN];
    CHECK_EQ_U(get_ltids(h, &DB1, &n, ids), 0);
    CHECK_EQ_U(n, 1);
    CHECK(memcmp(ids[0], LTID_A, MH_LTID_LEN) == 0);
    CHECK_EQ_U(get_ltids(h, &DB2, &n, ids), 0);
    CHECK_EQ_U(n, 0);
    /* an empty set is a valid IDSET too: it replaces the row */
    CHECK_EQ_U(write_seg(h, LTID_A, 1, 0, "", 0, &DB2), 0);
    REQUIRE(stored(LTID_A, &row));
    CHECK_EQ_U(row.data.len, 0);
    CHECK(memcmp(row.replguid.b, DB2.b, 16) == 0);
    CHECK_EQ_U(get_ltids(h, &DB1, &n, ids), 0);
    CHECK_EQ_U(n, 0);
    CHECK_EQ_U(get_ltids(h, &DB2, &n, ids), 0);
    CHECK_EQ_U(n, 1);
}

/* Segments over several Execute requests (the logon's state is encoded
 * and decoded between them), then read back in segments. */
static void test_write_segments(void)
{
    uint32_t h[1] = {logon_as("alice")};
    REQUIRE(h[0] != NOH);
    mh_bin d = idset(&DB2, 400, 0x123456);
    REQUIRE(d.len > 3 * 4096);
    mh_peruser row;
    int had = stored(LTID_B, &row);
    /* all but the last segment: nothing is stored yet */
    uint32_t off = 0;
    while (d.len - off > 3000) {
        CHECK_EQ_U(write_seg(h, LTID_B, 0, off, d.data + off, 3000, &DB2), 0);
        off += 3000;
    }
    CHECK_EQ_U(stored(LTID_B, &row), had);
    CHECK(F.state_bytes > off); /* the accumulated data travels with the logon */
    CHECK_EQ_U(write_seg(h, LTID_B, 1, off, d.data + off, (uint16_t)(d.len - off), &DB2), 0);
    REQUIRE(stored(LTID_B, &row));
    CHECK(row.data.len == d.len && memcmp(row.data.data, d.data, d.len) == 0);
    CHECK(memcmp(row.replguid.b, DB2.b, 16) == 0);
    /* read back: MaxDataSize 0 is 4096, larger ones are cut to 4096 */
    unsigned segs;
    mh_wr out;
    mh_wr_init(&out, F.pool, d.len);
    CHECK_EQ_U(read_all(h, LTID_B, 0, &out, &segs), 0);
    CHECK(out.len == d.len && memcmp(out.buf, d.data, d.len) == 0);
    CHECK_EQ_U(segs, (d.len + 4095) / 4096);
    mh_wr_init(&out, F.pool, d.len);
    CHECK_EQ_U(read_all(h, LTID_B, 60000, &out, &segs), 0);
    CHECK(out.len == d.len && memcmp(out.buf, d.data, d.len) == 0);
    CHECK_EQ_U(segs, (d.len + 4095) / 4096);
    mh_wr_init(&out, F.pool, d.len);
    CHECK_EQ_U(read_all(h, LTID_B, 1000, &out, &segs), 0);
    CHECK(out.len == d.len && memcmp(out.buf, d.data, d.len) == 0);
    CHECK_EQ_U(segs, (d.len + 999) / 1000);
    /* HasFinished FALSE while there is more */
    mh_wr_init(&out, F.pool, 16);
    int fin = 1;
    CHECK_EQ_U(read_seg(h, LTID_B, 0, 10, &fin, &out), 0);
    CHECK(fin == 0 && out.len == 10);
    /* a second folder of the same database */
    CHECK_EQ_U(write_all(h, LTID_A, idset(&DB2, 1, 7), 100, &DB2), 0);
    uint16_t n;
    uint8_t ids[8][MH_LTID_LEN];
    CHECK_EQ_U(get_ltids(h, &DB2, &n, ids), 0);
    CHECK_EQ_U(n, 2);
    int seen = 0;
    for (uint16_t i = 0; i < n && i < 8; i++)
        seen |= memcmp(ids[i], LTID_A, MH_LTID_LEN) == 0 ? 1
                : memcmp(ids[i], LTID_B, MH_LTID_LEN) == 0 ? 2 : 4;
    CHECK_EQ_U(seen, 3);
}

/* 3.2.5.13.1: another FID, or an offset other than what was written so
 * far, abandons the write (ecError unless the offset is zero). */
static void test_write_abandoned(void)
{
    uint32_t h[1] = {logon_as("alice")};
    REQUIRE(h[0] != NOH);
    mh_bin old = idset(&DB1, 3, 0x500);
    CHECK_EQ_U(write_all(h, LTID_A, old, 4000, &DB1), 0);
    mh_bin d = idset(&DB1, 5, 0x900);
    REQUIRE(d.len > 40);
    /* a gap */
    CHECK_EQ_U(write_seg(h, LTID_A, 0, 0, d.data, 20, &DB1), 0);
    CHECK_EQ_U(write_seg(h, LTID_A, 0, 21, d.data + 21, 10, &DB1), MAPI_E_CALL_FAILED);
    /* and the data so far is gone: the right offset does not help now */
    CHECK_EQ_U(write_seg(h, LTID_A, 1, 20, d.data + 20, (uint16_t)(d.len - 20), &DB1),
               MAPI_E_CALL_FAILED);
    /* another folder in the middle */
    CHECK_EQ_U(write_seg(h, LTID_A, 0, 0, d.data, 20, &DB1), 0);
    CHECK_EQ_U(write_seg(h, LTID_B, 0, 20, d.data + 20, 10, &DB1), MAPI_E_CALL_FAILED);
    CHECK_EQ_U(write_seg(h, LTID_A, 1, 20, d.data + 20, (uint16_t)(d.len - 20), &DB1),
               MAPI_E_CALL_FAILED);
    /* a nonzero offset with nothing under way */
    CHECK_EQ_U(write_seg(h, LTID_A, 1, 5, d.data, 5, &DB1), MAPI_E_CALL_FAILED);
    /* offset zero starts again, whatever was under way */
    CHECK_EQ_U(write_seg(h, LTID_A, 0, 0, d.data, 20, &DB1), 0);
    CHECK_EQ_U(write_seg(h, LTID_A, 0, 0, d.data, 20, &DB1), 0);
    /* none of it reached the table */
    mh_peruser row;
    REQUIRE(stored(LTID_A, &row));
    CHECK(row.data.len == old.len && memcmp(row.data.data, old.data, old.len) == 0);
    /* a write under way is lost with its logon */
    uint32_t h2[1] = {logon_as("alice")};
    REQUIRE(h2[0] != NOH);
    CHECK_EQ_U(write_seg(h2, LTID_A, 1, 20, d.data + 20, (uint16_t)(d.len - 20), &DB1),
               MAPI_E_CALL_FAILED);
    /* and completes on the logon it began on */
    CHECK_EQ_U(write_seg(h2, LTID_A, 0, 0, d.data, 20, &DB1), 0);
    CHECK_EQ_U(write_seg(h2, LTID_A, 1, 20, d.data + 20, (uint16_t)(d.len - 20), &DB1), 0);
    REQUIRE(stored(LTID_A, &row));
    CHECK(row.data.len == d.len && memcmp(row.data.data, d.data, d.len) == 0);
}

/* The whole must be a serialized IDSET with REPLGUIDs: ecFmtError (the
 * SHOULD of 3.2.5.13.1) and the table as it was. */
static void test_write_malformed(void)
{
    uint32_t h[1] = {logon_as("alice")};
    REQUIRE(h[0] != NOH);
    mh_peruser before;
    REQUIRE(stored(LTID_A, &before));
    mh_bin d = idset(&DB1, 2, 0x42);
    unsigned char bad[256];
    REQUIRE(d.len < sizeof(bad));
    /* cut short: a GLOBSET without its End */
    CHECK_EQ_U(write_seg(h, LTID_A, 1, 0, d.data, (uint16_t)(d.len - 1), &DB1), EC_FMT_ERROR);
    /* a REPLGUID alone */
    CHECK_EQ_U(write_seg(h, LTID_A, 1, 0, d.data, 16, &DB1), EC_FMT_ERROR);
    /* an unknown command in the GLOBSET */
    memcpy(bad, d.data, d.len);
    bad[16] = 0x77;
    CHECK_EQ_U(write_seg(h, LTID_A, 1, 0, bad, (uint16_t)d.len, &DB1), EC_FMT_ERROR);
    /* bytes after the last entry */
    memcpy(bad, d.data, d.len);
    bad[d.len] = 0x00;
    CHECK_EQ_U(write_seg(h, LTID_A, 1, 0, bad, (uint16_t)(d.len + 1), &DB1), EC_FMT_ERROR);
    /* malformed only as a whole: two segments that are fine alone */
    CHECK_EQ_U(write_seg(h, LTID_A, 0, 0, d.data, (uint16_t)d.len, &DB1), 0);
    CHECK_EQ_U(write_seg(h, LTID_A, 1, d.len, "\x01", 1, &DB1), EC_FMT_ERROR);
    mh_peruser row;
    REQUIRE(stored(LTID_A, &row));
    CHECK(row.data.len == before.data.len &&
          memcmp(row.data.data, before.data.data, row.data.len) == 0);
    /* the failed write left nothing under way */
    CHECK_EQ_U(write_seg(h, LTID_A, 1, d.len + 1, "", 0, &DB1), MAPI_E_CALL_FAILED);
    /* a request cut short is refused before it runs */
    req q = {{0}, 0};
    r_u8(&q, 0x64); r_u8(&q, 0); r_u8(&q, 0);
    r_bytes(&q, LTID_A, MH_LTID_LEN);
    r_u8(&q, 1); r_u32(&q, 0); r_u16(&q, 4); r_bytes(&q, "abcd", 4); /* no ReplGuid */
    CHECK_EQ_U(run(&F, &q, h, 1, NULL, NULL), 0xDEADBEEF);
}

/* The table is the mailbox owner's: bob, in alice's mailbox, reads it but
 * may not write it. */
static void test_other_user(void)
{
    uint32_t h[1] = {logon_as("bob")};
    REQUIRE(h[0] != NOH);
    mh_guid g;
    CHECK_EQ_U(get_guid(h, LTID_A, &g), 0);
    CHECK(memcmp(g.b, DB1.b, 16) == 0);
    mh_bin d = idset(&DB2, 1, 1);
    CHECK_EQ_U(write_seg(h, LTID_A, 1, 0, d.data, (uint16_t)d.len, &DB2), MAPI_E_NO_ACCESS);
    mh_peruser row;
    REQUIRE(stored(LTID_A, &row));
    CHECK(memcmp(row.replguid.b, DB1.b, 16) == 0);
    mh_fixture_set_user(&F, "alice");
}

int main(void)
{
    MH_TEST_INIT();
    if (mh_fixture_open(&F, "alice") != 0)
        return 1;
    mh_guid mb;
    uint32_t bob;
    if (mh_fixture_add_user(&F, "bob", &mb, &bob) != 0)
        return 1;
    for (int i = 0; i < 16; i++) {
        DB1.b[i] = (uint8_t)(0xD0 + i);
        DB2.b[i] = (uint8_t)(0x20 + 3 * i);
    }
    /* public folder LongTermIDs: DB1's GUID, a counter, two zero bytes */
    memcpy(LTID_A, DB1.b, 16);
    memcpy(LTID_B, DB1.b, 16);
    static const uint8_t ca[6] = {0, 0, 0, 0, 0x01, 0x23}, cb[6] = {0, 0, 0, 0, 0x04, 0x56};
    memcpy(LTID_A + 16, ca, 6);
    memcpy(LTID_B + 16, cb, 6);
    RUN(test_empty_table);
    RUN(test_write_one_segment);
    RUN(test_write_segments);
    RUN(test_write_abandoned);
    RUN(test_write_malformed);
    RUN(test_other_user);
    mh_fixture_close(&F);
    return MH_TEST_DONE();
}
