/*
 * test_rop_tabl.c - the table ROPs (MS-OXCTABL) through the fixture: a
 * real LMDB store, no httpd.  A contents table of 200 messages sorted by
 * received time and paged, in ID order, paged deep, categorized and
 * expanded, restricted; a
 * hierarchy table with and without Depth; the errors.
 */
#include "mh_test.h"
#include "rop_fixture.h"
#include "mh_props.h"
#include "mh_tview.h"

#include <string.h>

static mh_fixture F;
static uint64_t fids[13];
static uint32_t logon;

#define NMSG 200
#define BASE_TIME 130000000000000000ull

/* Message i: delivered at BASE + ((i * 37) % 200) minutes, importance i % 3. */
static uint64_t msg_time(uint32_t i)
{
    return BASE_TIME + (uint64_t)((i * 37) % NMSG) * 600000000ull;
}

static int fill_inbox(void)
{
    mh_betxn *t;
    mh_error err;
    if (mh_be_begin(F.be, &F.mailbox, MH_TXN_WRITE, F.pool, &t, &err) != MH_OK)
        return -1;
    for (uint32_t i = 0; i < NMSG; i++) {
        mh_message m;
        memset(&m, 0, sizeof(m));
        char subj[32];
        snprintf(subj, sizeof(subj), "message %03u", i);
        mh_propval v[4] = {mh_pv_str(PR_SUBJECT, subj),
                           mh_pv_time(PR_MESSAGE_DELIVERY_TIME, msg_time(i)),
                           mh_pv_long(PR_IMPORTANCE, (int32_t)(i % 3)),
                           mh_pv_str(PR_MESSAGE_CLASS, "IPM.Note")};
        for (int k = 0; k < 4; k++)
            mh_proplist_set(F.pool, &m.props, &v[k]);
        mh_id id, cn;
        mh_change_in chg;
        memset(&chg, 0, sizeof(chg));
        if (mh_be_message_save(t, F.inbox, 0, 0, &m, &chg, &id, &cn, &err) != MH_OK) {
            mh_be_abort(t);
            return -1;
        }
    }
    return mh_be_commit(t, &err) == MH_OK ? 0 : -1;
}

/* --------------------------------------------------------- requests */

static void rq_hdr(mh_wr *w, uint8_t id, uint8_t in)
{
    mh_wr_u8(w, id);
    mh_wr_u8(w, 0);
    mh_wr_u8(w, in);
}

static void rq_open_folder(mh_wr *w, uint8_t in, uint8_t out, uint64_t fid)
{
    rq_hdr(w, 0x02, in);
    mh_wr_u8(w, out);
    mh_wr_u64(w, fid);
    mh_wr_u8(w, 0);
}

static void rq_get_table(mh_wr *w, uint8_t rop, uint8_t in, uint8_t out, uint8_t flags)
{
    rq_hdr(w, rop, in);
    mh_wr_u8(w, out);
    mh_wr_u8(w, flags);
}

static void rq_set_columns(mh_wr *w, uint8_t in, const mh_proptag *cols, uint16_t n)
{
    rq_hdr(w, 0x12, in);
    mh_wr_u8(w, 0);
    mh_wr_tag_array(w, cols, n);
}

static void rq_sort(mh_wr *w, uint8_t in, const mh_sort_order *o, uint16_t n, uint16_t cat,
                    uint16_t exp)
{
    rq_hdr(w, 0x13, in);
    mh_wr_u8(w, 0);
    mh_sort_set s = {n, cat, exp, (mh_sort_order *)o};
    mh_wr_sort_set(w, &s);
}

static void rq_query_rows(mh_wr *w, uint8_t in, uint8_t flags, uint8_t fwd, uint16_t n)
{
    rq_hdr(w, 0x15, in);
    mh_wr_u8(w, flags);
    mh_wr_u8(w, fwd);
    mh_wr_u16(w, n);
}

/* Opens the Inbox's contents table: handles[1] folder, handles[2] table. */
static int open_contents(uint32_t *h, uint32_t *rows_r)
{
    mh_wr w;
    mh_wr_init(&w, F.pool, 64);
    rq_open_folder(&w, 0, 1, fids[4]);
    rq_get_table(&w, 0x05, 1, 2, 0);
    h[0] = logon;
    h[1] = h[2] = 0xFFFFFFFF;
    const unsigned char *r;
    size_t rl;
    if (mh_fixture_exec(&F, w.buf, w.len, h, 3, &r, &rl) != 0)
        return -1;
    /* RopOpenFolder: 8 bytes; RopGetContentsTable: id, idx, rv, RowCount */
    if (rl < 8 + 10 || r[8] != 0x05 || mh_get_u32(r + 10) != 0)
        return -1;
    *rows_r = mh_get_u32(r + 14);
    return 0;
}

/* Runs one ROP on the table (handle table slot 2); the response. */
static const unsigned char *run(uint32_t *h, mh_wr *w, size_t *len_r)
{
    const unsigned char *r;
    if (mh_fixture_exec(&F, w->buf, w->len, h, 3, &r, len_r) != 0)
        return NULL;
    return r;
}

/* Parses a RopQueryRows response: rows into vals (n_cols per row). */
static int parse_rows(const unsigned char *r, size_t rl, const mh_proptag *cols, uint32_t nc,
                      uint8_t *origin_r, uint16_t *n_r, mh_propval ***rows_r)
{
    if (rl < 9 || r[0] != 0x15 || mh_get_u32(r + 2) != 0)
        return -1;
    *origin_r = r[6];
    *n_r = mh_get_u16(r + 7);
    mh_rd rd;
    mh_rd_init(&rd, r + 9, rl - 9);
    *rows_r = apr_palloc(F.pool, (*n_r + 1u) * sizeof(**rows_r));
    for (uint16_t i = 0; i < *n_r; i++)
        if (mh_rd_proprow(&rd, cols, nc, 1252, F.pool, &(*rows_r)[i]) != 0)
            return -1;
    return 0;
}

/* ------------------------------------------------------------ tests */

static void test_sorted_and_paged(void)
{
    uint32_t h[3], count;
    REQUIRE(open_contents(h, &count) == 0);
    CHECK_EQ_U(count, NMSG);
    mh_proptag cols[3] = {PR_SUBJECT, PR_MESSAGE_DELIVERY_TIME, PR_INST_ID};
    mh_sort_order o = {PR_MESSAGE_DELIVERY_TIME, MH_TABLE_SORT_DESCEND};
    mh_wr w;
    mh_wr_init(&w, F.pool, 64);
    rq_set_columns(&w, 2, cols, 3);
    rq_sort(&w, 2, &o, 1, 0, 0);
    rq_query_rows(&w, 2, 0, 1, 50);
    size_t rl;
    const unsigned char *r = run(h, &w, &rl);
    REQUIRE(r != NULL);
    CHECK_EQ_U(r[0], 0x12);
    CHECK_EQ_U(mh_get_u32(r + 2), 0);
    CHECK_EQ_U(r[6], 0); /* TBLSTAT_COMPLETE */
    CHECK_EQ_U(r[7], 0x13);
    CHECK_EQ_U(mh_get_u32(r + 9), 0);
    uint8_t origin;
    uint16_t n;
    mh_propval **rows;
    REQUIRE(parse_rows(r + 14, rl - 14, cols, 3, &origin, &n, &rows) == 0);
    CHECK_EQ_U(n, 50);
    CHECK_EQ_U(origin, MH_BOOKMARK_CURRENT);
    uint64_t prev = UINT64_MAX;
    for (uint16_t i = 0; i < n; i++) {
        CHECK_EQ_U(MH_TAG_TYPE(rows[i][1].tag), PT_SYSTIME);
        CHECK(rows[i][1].v.ft < prev);
        prev = rows[i][1].v.ft;
    }
    /* the newest is the one delivered at minute 199 */
    CHECK_EQ_U(rows[0][1].v.ft, BASE_TIME + 199ull * 600000000ull);

    /* QueryPosition: exactly 50 of 200 */
    mh_wr_init(&w, F.pool, 16);
    rq_hdr(&w, 0x17, 2);
    r = run(h, &w, &rl);
    REQUIRE(r != NULL && rl == 14);
    CHECK_EQ_U(mh_get_u32(r + 6), 50);
    CHECK_EQ_U(mh_get_u32(r + 10), NMSG);

    /* the rest page by page: every row once, in order, never more than asked */
    uint32_t seen = 50;
    for (int page = 0; page < 10 && seen < NMSG; page++) {
        mh_wr_init(&w, F.pool, 16);
        rq_query_rows(&w, 2, 0, 1, 60);
        r = run(h, &w, &rl);
        REQUIRE(r != NULL);
        REQUIRE(parse_rows(r, rl, cols, 3, &origin, &n, &rows) == 0);
        CHECK(n <= 60);
        for (uint16_t i = 0; i < n; i++) {
            CHECK(rows[i][1].v.ft < prev);
            prev = rows[i][1].v.ft;
        }
        seen += n;
        CHECK_EQ_U(origin, seen >= NMSG ? MH_BOOKMARK_END : MH_BOOKMARK_CURRENT);
    }
    CHECK_EQ_U(seen, NMSG);
    /* at the end: zero rows, BOOKMARK_END */
    mh_wr_init(&w, F.pool, 16);
    rq_query_rows(&w, 2, 0, 1, 10);
    r = run(h, &w, &rl);
    REQUIRE(r != NULL);
    REQUIRE(parse_rows(r, rl, cols, 3, &origin, &n, &rows) == 0);
    CHECK_EQ_U(n, 0);
    CHECK_EQ_U(origin, MH_BOOKMARK_END);

    /* backward from the end with NoAdvance: the oldest, position kept */
    mh_wr_init(&w, F.pool, 16);
    rq_query_rows(&w, 2, 1, 0, 2);
    rq_hdr(&w, 0x17, 2);
    r = run(h, &w, &rl);
    REQUIRE(r != NULL);
    REQUIRE(parse_rows(r, rl, cols, 3, &origin, &n, &rows) == 0);
    CHECK_EQ_U(n, 2);
    CHECK_EQ_U(rows[0][1].v.ft, BASE_TIME);
    size_t off = 9;
    for (uint16_t i = 0; i < n; i++) {
        mh_rd rd;
        mh_rd_init(&rd, r + off, rl - off);
        mh_propval *tmp;
        mh_rd_proprow(&rd, cols, 3, 1252, F.pool, &tmp);
        off = (size_t)(rd.p - r);
    }
    CHECK_EQ_U(mh_get_u32(r + off + 6), NMSG);

    /* SeekRow back 10 from the end, then a bookmark, SeekRowFractional */
    mh_wr_init(&w, F.pool, 32);
    rq_hdr(&w, 0x18, 2);
    mh_wr_u8(&w, MH_BOOKMARK_END);
    mh_wr_u32(&w, (uint32_t)-10);
    mh_wr_u8(&w, 1);
    rq_hdr(&w, 0x1B, 2);
    rq_hdr(&w, 0x1A, 2);
    mh_wr_u32(&w, 1);
    mh_wr_u32(&w, 4);
    rq_hdr(&w, 0x17, 2);
    r = run(h, &w, &rl);
    REQUIRE(r != NULL && rl >= 11 + 12 + 6 + 14);
    CHECK_EQ_U(r[6], 0);                       /* HasSoughtLess */
    CHECK_EQ_U(mh_get_u32(r + 7), (uint32_t)-10);
    CHECK_EQ_U(r[11], 0x1B);
    CHECK_EQ_U(mh_get_u16(r + 17), 4);
    uint32_t bm = mh_get_u32(r + 19);
    CHECK_EQ_U(r[23], 0x1A);
    CHECK_EQ_U(mh_get_u32(r + 25), 0);
    CHECK_EQ_U(mh_get_u32(r + 29 + 6), 50);    /* a quarter of 200 */
    /* SeekRowBookmark back to 190, and 20 more: only 10 there */
    mh_wr_init(&w, F.pool, 32);
    rq_hdr(&w, 0x19, 2);
    mh_wr_u16(&w, 4);
    mh_wr_u32(&w, bm);
    mh_wr_u32(&w, 20);
    mh_wr_u8(&w, 1);
    r = run(h, &w, &rl);
    REQUIRE(r != NULL && rl == 12);
    CHECK_EQ_U(mh_get_u32(r + 2), 0);
    CHECK_EQ_U(r[6], 0);  /* still visible */
    CHECK_EQ_U(r[7], 1);  /* sought less */
    CHECK_EQ_U(mh_get_u32(r + 8), 10);
    /* FreeBookmark twice: the second is an invalid bookmark */
    mh_wr_init(&w, F.pool, 32);
    rq_hdr(&w, 0x89, 2);
    mh_wr_u16(&w, 4);
    mh_wr_u32(&w, bm);
    rq_hdr(&w, 0x89, 2);
    mh_wr_u16(&w, 4);
    mh_wr_u32(&w, bm);
    r = run(h, &w, &rl);
    REQUIRE(r != NULL && rl == 12);
    CHECK_EQ_U(mh_get_u32(r + 2), 0);
    CHECK_EQ_U(mh_get_u32(r + 8), MAPI_E_INVALID_BOOKMARK);
}

/* Tables read in index order on demand: by ID without a sort order, a
 * deep page after SeekRowFractional, and the associated contents. */
static void test_on_demand(void)
{
    uint32_t h[3], count;
    REQUIRE(open_contents(h, &count) == 0);
    CHECK_EQ_U(count, NMSG);
    mh_proptag cols[3] = {PR_INST_ID, PR_SUBJECT, PR_MESSAGE_DELIVERY_TIME};
    mh_wr w;
    mh_wr_init(&w, F.pool, 64);
    rq_set_columns(&w, 2, cols, 3);
    rq_query_rows(&w, 2, 0x01, 1, 1000);
    size_t rl;
    const unsigned char *r = run(h, &w, &rl);
    REQUIRE(r != NULL);
    uint8_t origin;
    uint16_t n;
    mh_propval **rows;
    REQUIRE(parse_rows(r + 7, rl - 7, cols, 3, &origin, &n, &rows) == 0);
    CHECK_EQ_U(n, NMSG);
    CHECK_EQ_U(origin, MH_BOOKMARK_END);
    /* no sort order: the order the messages were saved in (their IDs) */
    for (uint16_t i = 0; i < n; i++) {
        char want[32];
        snprintf(want, sizeof(want), "message %03u", i);
        CHECK_STR(rows[i][1].v.str, want);
        if (i)
            CHECK(mh_id_from_wire((uint64_t)rows[i][0].v.i64, NULL) >
                  mh_id_from_wire((uint64_t)rows[i - 1][0].v.i64, NULL));
    }

    /* oldest first, three quarters down: rows 150.. of the arrival order */
    mh_sort_order o = {PR_MESSAGE_DELIVERY_TIME, 0};
    mh_wr_init(&w, F.pool, 64);
    rq_sort(&w, 2, &o, 1, 0, 0);
    rq_hdr(&w, 0x1A, 2);
    mh_wr_u32(&w, 3);
    mh_wr_u32(&w, 4);
    rq_query_rows(&w, 2, 0, 1, 5);
    rq_hdr(&w, 0x17, 2);
    r = run(h, &w, &rl);
    REQUIRE(r != NULL && rl > 7 + 6);
    CHECK_EQ_U(r[0], 0x13);
    CHECK_EQ_U(mh_get_u32(r + 2), 0);
    CHECK_EQ_U(r[7], 0x1A);
    CHECK_EQ_U(mh_get_u32(r + 9), 0);
    REQUIRE(parse_rows(r + 13, rl - 13, cols, 3, &origin, &n, &rows) == 0);
    CHECK_EQ_U(n, 5);
    CHECK_EQ_U(origin, MH_BOOKMARK_CURRENT);
    for (uint16_t i = 0; i < n; i++)
        CHECK_EQ_U(rows[i][2].v.ft, BASE_TIME + (150ull + i) * 600000000ull);
    REQUIRE(rl >= 14);
    CHECK_EQ_U(r[rl - 14], 0x17);
    CHECK_EQ_U(mh_get_u32(r + rl - 8), 155);
    CHECK_EQ_U(mh_get_u32(r + rl - 4), NMSG);

    /* the associated contents: as many rows as RopGetContentsTable said */
    mh_wr_init(&w, F.pool, 64);
    rq_get_table(&w, 0x05, 1, 2, 0x02);
    rq_set_columns(&w, 2, cols, 1);
    rq_query_rows(&w, 2, 0, 1, 1000);
    r = run(h, &w, &rl);
    REQUIRE(r != NULL && rl > 10 + 7);
    CHECK_EQ_U(r[0], 0x05);
    CHECK_EQ_U(mh_get_u32(r + 2), 0);
    uint32_t fai = mh_get_u32(r + 6);
    REQUIRE(parse_rows(r + 17, rl - 17, cols, 1, &origin, &n, &rows) == 0);
    CHECK_EQ_U(n, fai);
    CHECK_EQ_U(origin, MH_BOOKMARK_END);
}

/* Row values through column tags of the other string kind, the computed
 * ones and an absent one (untyped columns are refused: test_column_types). */
static void test_column_kinds(void)
{
    uint32_t h[3], count;
    REQUIRE(open_contents(h, &count) == 0);
    mh_proptag cols[6] = {MH_TAG(0x001A, PT_STRING8), MH_TAG(0x0037, PT_UNICODE),
                          PR_IMPORTANCE, PR_MESSAGE_FLAGS, PR_MESSAGE_SIZE,
                          MH_TAG(0x1000, PT_UNICODE) /* PR_BODY: none */};
    mh_wr w;
    mh_wr_init(&w, F.pool, 64);
    rq_set_columns(&w, 2, cols, 6);
    rq_query_rows(&w, 2, 0, 1, 3);
    size_t rl;
    const unsigned char *r = run(h, &w, &rl);
    REQUIRE(r != NULL && rl > 7);
    uint8_t origin;
    uint16_t n;
    mh_propval **rows;
    REQUIRE(parse_rows(r + 7, rl - 7, cols, 6, &origin, &n, &rows) == 0);
    REQUIRE(n == 3);
    for (uint16_t i = 0; i < n; i++) {
        char want[32];
        snprintf(want, sizeof(want), "message %03u", i);
        CHECK_STR(rows[i][0].v.str, "IPM.Note");
        CHECK_EQ_U(MH_TAG_TYPE(rows[i][1].tag), PT_UNICODE);
        CHECK_STR(rows[i][1].v.str, want);
        CHECK_EQ_U(rows[i][2].v.i32, i % 3);
        CHECK_EQ_U(MH_TAG_TYPE(rows[i][3].tag), PT_LONG);
        CHECK_EQ_U(rows[i][3].v.i32 & MSGFLAG_READ, 0);
        CHECK_EQ_U(MH_TAG_TYPE(rows[i][4].tag), PT_LONG);
        CHECK(rows[i][4].v.i32 > 11);
        CHECK_EQ_U(MH_TAG_TYPE(rows[i][5].tag), PT_ERROR);
        CHECK_EQ_U(rows[i][5].v.err, MAPI_E_NOT_FOUND);
    }

    /* the values a message's place gives, alone */
    mh_proptag id_cols[8] = {MH_TAG(0x674A, PT_I8) /* PR_MID */, PR_INST_ID,
                             MH_TAG(0x6749, PT_I8) /* PR_PARENT_FID */,
                             MH_TAG(0x0FFF, PT_BINARY) /* PR_ENTRYID */,
                             MH_TAG(0x0FFB, PT_BINARY) /* PR_STORE_ENTRYID */,
                             /* computed from the recipients when not stored */
                             MH_TAG(0x0E04, PT_UNICODE) /* PR_DISPLAY_TO */,
                             MH_TAG(0x0FF4, PT_LONG) /* PR_ACCESS */,
                             MH_TAG(0x0FF7, PT_LONG) /* PR_ACCESS_LEVEL */};
    mh_wr_init(&w, F.pool, 64);
    rq_set_columns(&w, 2, id_cols, 8);
    rq_query_rows(&w, 2, 0, 1, 2);
    r = run(h, &w, &rl);
    REQUIRE(r != NULL && rl > 7);
    REQUIRE(parse_rows(r + 7, rl - 7, id_cols, 8, &origin, &n, &rows) == 0);
    REQUIRE(n == 2);
    for (uint16_t i = 0; i < n; i++) {
        CHECK_EQ_U(MH_TAG_TYPE(rows[i][0].tag), PT_I8);
        CHECK(rows[i][0].v.i64 == rows[i][1].v.i64);
        CHECK_EQ_U(MH_TAG_TYPE(rows[i][2].tag), PT_I8);
        CHECK(rows[i][2].v.i64 == (int64_t)fids[4]);
        CHECK_EQ_U(MH_TAG_TYPE(rows[i][3].tag), PT_BINARY);
        CHECK_EQ_U(rows[i][3].v.bin.len, 70); /* MS-OXCDATA 2.2.4.2 */
        CHECK_EQ_U(MH_TAG_TYPE(rows[i][4].tag), PT_BINARY);
        CHECK(rows[i][4].v.bin.len > 60);
        CHECK_EQ_U(MH_TAG_TYPE(rows[i][5].tag), PT_UNICODE);
        CHECK_STR(rows[i][5].v.str, ""); /* no recipients */
        CHECK_EQ_U(MH_TAG_TYPE(rows[i][6].tag), PT_LONG);
        CHECK_EQ_U(rows[i][6].v.i32, 0x7); /* modify, read, delete: the owner */
        CHECK_EQ_U(rows[i][7].v.i32, 1);
    }

    /* one property in several columns, as Unicode and 8-bit, and twice the
     * same: each column has it, row after row (a message row's values are
     * looked for where the last row had them) */
    mh_proptag rep[5] = {PR_SUBJECT, MH_TAG(0x0037, PT_STRING8), PR_IMPORTANCE, PR_SUBJECT,
                         MH_TAG(0x0017, PT_LONG) /* PR_IMPORTANCE again */};
    mh_wr_init(&w, F.pool, 64);
    rq_set_columns(&w, 2, rep, 5);
    rq_query_rows(&w, 2, 0, 1, 6);
    r = run(h, &w, &rl);
    REQUIRE(r != NULL && rl > 7);
    REQUIRE(parse_rows(r + 7, rl - 7, rep, 5, &origin, &n, &rows) == 0);
    REQUIRE(n == 6);
    for (uint16_t i = 0; i < n; i++) {
        unsigned k = i + 5u; /* the two QueryRows above moved the cursor by 5 */
        char want[32];
        snprintf(want, sizeof(want), "message %03u", k);
        CHECK_EQ_U(MH_TAG_TYPE(rows[i][0].tag), PT_UNICODE);
        CHECK_STR(rows[i][0].v.str, want);
        CHECK_STR(rows[i][1].v.str, want); /* read from the 8-bit column */
        CHECK_EQ_U(rows[i][2].v.i32, k % 3);
        CHECK_STR(rows[i][3].v.str, want);
        CHECK_EQ_U(rows[i][4].v.i32, k % 3);
    }

    /* a wide table (over 64 columns: repeats are told apart another way):
     * the subject first and again at the end, 98 absent ones between */
    mh_proptag wide[100];
    wide[0] = PR_SUBJECT;
    for (unsigned c = 1; c < 99; c++)
        wide[c] = MH_TAG(0x6800 + c, PT_LONG); /* none of them stored */
    wide[99] = MH_TAG(0x0037, PT_STRING8);
    mh_wr_init(&w, F.pool, 512);
    rq_set_columns(&w, 2, wide, 100);
    rq_query_rows(&w, 2, 0, 1, 2);
    r = run(h, &w, &rl);
    REQUIRE(r != NULL && rl > 7);
    REQUIRE(parse_rows(r + 7, rl - 7, wide, 100, &origin, &n, &rows) == 0);
    REQUIRE(n == 2);
    for (uint16_t i = 0; i < n; i++) {
        char want[32];
        snprintf(want, sizeof(want), "message %03u", i + 11u); /* after 5 + 6 rows */
        CHECK_STR(rows[i][0].v.str, want);
        CHECK_EQ_U(MH_TAG_TYPE(rows[i][50].tag), PT_ERROR);
        CHECK_EQ_U(rows[i][50].v.err, MAPI_E_NOT_FOUND);
        CHECK_STR(rows[i][99].v.str, want); /* read from the 8-bit column */
    }
}

static void test_categorized(void)
{
    uint32_t h[3], count;
    REQUIRE(open_contents(h, &count) == 0);
    mh_proptag cols[5] = {PR_INST_ID, PR_ROW_TYPE, PR_DEPTH, PR_CONTENT_COUNT, PR_IMPORTANCE};
    mh_sort_order o[2] = {{PR_IMPORTANCE, MH_TABLE_SORT_ASCEND},
                          {PR_MESSAGE_DELIVERY_TIME, MH_TABLE_SORT_DESCEND}};
    mh_wr w;
    mh_wr_init(&w, F.pool, 64);
    rq_set_columns(&w, 2, cols, 5);
    rq_sort(&w, 2, o, 2, 1, 0);
    rq_query_rows(&w, 2, 0, 1, 100);
    size_t rl;
    const unsigned char *r = run(h, &w, &rl);
    REQUIRE(r != NULL);
    uint8_t origin;
    uint16_t n;
    mh_propval **rows;
    REQUIRE(parse_rows(r + 14, rl - 14, cols, 5, &origin, &n, &rows) == 0);
    /* three collapsed categories: importance 0 (67), 1 (67), 2 (66) */
    REQUIRE(n == 3);
    CHECK_EQ_U(origin, MH_BOOKMARK_END);
    uint32_t want[3] = {67, 67, 66};
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_U(rows[i][1].v.i32, MH_TBL_COLLAPSED_CATEGORY);
        CHECK_EQ_U(rows[i][2].v.i32, 0);
        CHECK_EQ_U(rows[i][3].v.i32, want[i]);
        CHECK_EQ_U(rows[i][4].v.i32, i);
    }
    uint64_t cat2 = (uint64_t)rows[2][0].v.i64;

    /* ExpandRow on importance 2, 5 rows back */
    mh_wr_init(&w, F.pool, 32);
    rq_hdr(&w, 0x59, 2);
    mh_wr_u16(&w, 5);
    mh_wr_u64(&w, cat2);
    rq_hdr(&w, 0x17, 2);
    r = run(h, &w, &rl);
    REQUIRE(r != NULL && rl > 12);
    CHECK_EQ_U(r[0], 0x59);
    CHECK_EQ_U(mh_get_u32(r + 2), 0);
    CHECK_EQ_U(mh_get_u32(r + 6), 66);
    CHECK_EQ_U(mh_get_u16(r + 10), 5);
    mh_rd rd;
    mh_rd_init(&rd, r + 12, rl - 12);
    for (int i = 0; i < 5; i++) {
        mh_propval *vals;
        REQUIRE(mh_rd_proprow(&rd, cols, 5, 1252, F.pool, &vals) == 0);
        CHECK_EQ_U(vals[1].v.i32, MH_TBL_LEAF_ROW);
        CHECK_EQ_U(vals[2].v.i32, 1);
        CHECK_EQ_U(vals[4].v.i32, 2);
    }
    const unsigned char *qp = rd.p;
    CHECK_EQ_U(qp[0], 0x17);
    CHECK_EQ_U(mh_get_u32(qp + 6), 3 + 5);   /* after the rows returned */
    CHECK_EQ_U(mh_get_u32(qp + 10), 3 + 66);

    /* GetCollapseState, CollapseRow, SetCollapseState restores it */
    mh_wr_init(&w, F.pool, 32);
    rq_hdr(&w, 0x6B, 2);
    mh_wr_u64(&w, cat2);
    mh_wr_u32(&w, 0);
    rq_hdr(&w, 0x5A, 2);
    mh_wr_u64(&w, cat2);
    rq_hdr(&w, 0x17, 2);
    r = run(h, &w, &rl);
    REQUIRE(r != NULL && rl > 8);
    CHECK_EQ_U(mh_get_u32(r + 2), 0);
    uint16_t sl = mh_get_u16(r + 6);
    unsigned char *state = apr_pmemdup(F.pool, r + 8, sl);
    const unsigned char *cr = r + 8 + sl;
    CHECK_EQ_U(cr[0], 0x5A);
    CHECK_EQ_U(mh_get_u32(cr + 2), 0);
    CHECK_EQ_U(mh_get_u32(cr + 6), 66);
    CHECK_EQ_U(mh_get_u32(cr + 10 + 10), 3);

    mh_wr_init(&w, F.pool, 64);
    rq_hdr(&w, 0x6C, 2);
    mh_wr_u16(&w, sl);
    mh_wr_bytes(&w, state, sl);
    rq_hdr(&w, 0x17, 2);
    r = run(h, &w, &rl);
    REQUIRE(r != NULL && rl == 12 + 14);
    CHECK_EQ_U(mh_get_u32(r + 2), 0);
    CHECK_EQ_U(mh_get_u16(r + 6), 4);
    CHECK_EQ_U(mh_get_u32(r + 12 + 10), 3 + 66);

    /* a malformed state, an unknown category */
    mh_wr_init(&w, F.pool, 32);
    rq_hdr(&w, 0x6C, 2);
    mh_wr_u16(&w, 3);
    mh_wr_bytes(&w, "MHC", 3);
    rq_hdr(&w, 0x5A, 2);
    mh_wr_u64(&w, 12345);
    r = run(h, &w, &rl);
    REQUIRE(r != NULL);
    CHECK_EQ_U(mh_get_u32(r + 2), MAPI_E_INVALID_PARAMETER);
    CHECK_EQ_U(mh_get_u32(r + 8), MAPI_E_NOT_FOUND);
}

static void test_restricted(void)
{
    uint32_t h[3], count;
    REQUIRE(open_contents(h, &count) == 0);
    mh_proptag cols[2] = {PR_IMPORTANCE, PR_SUBJECT};
    mh_restriction res;
    memset(&res, 0, sizeof(res));
    res.type = MH_RES_PROPERTY;
    res.u.prop.relop = MH_RELOP_EQ;
    res.u.prop.tag = PR_IMPORTANCE;
    res.u.prop.val = mh_pv_long(PR_IMPORTANCE, 2);
    mh_wr rb;
    mh_wr_init(&rb, F.pool, 32);
    mh_wr_restriction(&rb, &res, 2, 1252);
    mh_wr w;
    mh_wr_init(&w, F.pool, 64);
    rq_set_columns(&w, 2, cols, 2);
    rq_hdr(&w, 0x14, 2);
    mh_wr_u8(&w, 0);
    mh_wr_u16(&w, (uint16_t)rb.len);
    mh_wr_bytes(&w, rb.buf, rb.len);
    rq_query_rows(&w, 2, 0x01, 1, 1000);
    size_t rl;
    const unsigned char *r = run(h, &w, &rl);
    REQUIRE(r != NULL);
    CHECK_EQ_U(r[7], 0x14);
    CHECK_EQ_U(mh_get_u32(r + 9), 0);
    uint8_t origin;
    uint16_t n;
    mh_propval **rows;
    REQUIRE(parse_rows(r + 14, rl - 14, cols, 2, &origin, &n, &rows) == 0);
    CHECK(n > 0 && n <= 66);
    for (uint16_t i = 0; i < n; i++)
        CHECK_EQ_U(rows[i][0].v.i32, 2);
    mh_wr_init(&w, F.pool, 16);
    rq_hdr(&w, 0x17, 2);
    r = run(h, &w, &rl);
    REQUIRE(r != NULL && rl == 14);
    CHECK_EQ_U(mh_get_u32(r + 6), 0);  /* NoAdvance */
    CHECK_EQ_U(mh_get_u32(r + 10), 66);

    /* FindRow: the subject of message 100 (importance 1) is not there;
     * message 101 (importance 2) is */
    res.u.prop.tag = PR_SUBJECT;
    res.u.prop.val = mh_pv_str(PR_SUBJECT, "message 101");
    mh_wr_init(&rb, F.pool, 32);
    mh_wr_restriction(&rb, &res, 2, 1252);
    mh_wr_init(&w, F.pool, 64);
    rq_hdr(&w, 0x4F, 2);
    mh_wr_u8(&w, 0);
    mh_wr_u16(&w, (uint16_t)rb.len);
    mh_wr_bytes(&w, rb.buf, rb.len);
    mh_wr_u8(&w, MH_BOOKMARK_BEGINNING);
    mh_wr_u16(&w, 0);
    r = run(h, &w, &rl);
    REQUIRE(r != NULL && rl > 8);
    CHECK_EQ_U(mh_get_u32(r + 2), 0);
    CHECK_EQ_U(r[7], 1);
    mh_rd rd;
    mh_rd_init(&rd, r + 8, rl - 8);
    mh_propval *vals;
    REQUIRE(mh_rd_proprow(&rd, cols, 2, 1252, F.pool, &vals) == 0);
    CHECK_STR(vals[1].v.str, "message 101");
    res.u.prop.val = mh_pv_str(PR_SUBJECT, "message 100");
    mh_wr_init(&rb, F.pool, 32);
    mh_wr_restriction(&rb, &res, 2, 1252);
    mh_wr_init(&w, F.pool, 64);
    rq_hdr(&w, 0x4F, 2);
    mh_wr_u8(&w, 0);
    mh_wr_u16(&w, (uint16_t)rb.len);
    mh_wr_bytes(&w, rb.buf, rb.len);
    mh_wr_u8(&w, MH_BOOKMARK_BEGINNING);
    mh_wr_u16(&w, 0);
    r = run(h, &w, &rl);
    REQUIRE(r != NULL);
    CHECK_EQ_U(mh_get_u32(r + 2), MAPI_E_NOT_FOUND);
}

/* Counts the folders below fid (all levels, or direct children). */
static uint32_t count_folders(mh_id fid, int deep)
{
    mh_betxn *t;
    mh_error err;
    uint32_t total = 0;
    if (mh_be_begin(F.be, &F.mailbox, MH_TXN_READ, F.pool, &t, &err) != MH_OK)
        return 0;
    mh_id stack[256];
    uint32_t sp = 0;
    stack[sp++] = fid;
    while (sp) {
        mh_id f = stack[--sp];
        mh_id *kids;
        uint32_t n;
        if (mh_be_folder_children(t, f, &kids, &n, &err) != MH_OK)
            break;
        total += n;
        if (deep)
            for (uint32_t i = 0; i < n && sp < 256; i++)
                stack[sp++] = kids[i];
    }
    mh_be_abort(t);
    return total;
}

static void test_hierarchy(void)
{
    uint32_t deep = count_folders(mh_id_from_wire(fids[0], NULL), 1);
    uint32_t flat = count_folders(mh_id_from_wire(fids[0], NULL), 0);
    CHECK(deep > flat && flat > 0);
    for (int d = 0; d < 2; d++) {
        mh_wr w;
        mh_wr_init(&w, F.pool, 64);
        rq_open_folder(&w, 0, 1, fids[0]);
        rq_get_table(&w, 0x04, 1, 2, d ? 0x04 : 0x00);
        mh_proptag cols[2] = {PR_DISPLAY_NAME, PR_DEPTH};
        rq_set_columns(&w, 2, cols, 2);
        rq_query_rows(&w, 2, 0, 1, 500);
        uint32_t h[3] = {logon, 0xFFFFFFFF, 0xFFFFFFFF};
        size_t rl;
        const unsigned char *r = run(h, &w, &rl);
        REQUIRE(r != NULL && rl > 18);
        CHECK_EQ_U(r[8], 0x04);
        CHECK_EQ_U(mh_get_u32(r + 10), 0);
        CHECK_EQ_U(mh_get_u32(r + 14), d ? deep : flat);
        uint8_t origin;
        uint16_t n;
        mh_propval **rows;
        REQUIRE(parse_rows(r + 18 + 7, rl - 25, cols, 2, &origin, &n, &rows) == 0);
        CHECK_EQ_U(n, d ? deep : flat);
        int max_depth = 0;
        for (uint16_t i = 0; i < n; i++)
            if (MH_TAG_TYPE(rows[i][1].tag) == PT_LONG && rows[i][1].v.i32 > max_depth)
                max_depth = rows[i][1].v.i32;
        CHECK(d ? max_depth >= 1 : max_depth == 0);
    }
}

/*
 * Column types (MS-OXCTABL 3.2.5.2): PT_UNSPECIFIED, PT_ERROR, a type
 * MS-OXCDATA does not define and a multivalue instance of a single-valued
 * type are refused with ecInvalidParam, in contents and hierarchy tables
 * with and without their Unicode flag (0x40); string columns come back as
 * the type they name (8-bit or UTF-16), whatever the flag.
 */
static void test_column_types(void)
{
    static const uint16_t bad[4] = {PT_UNSPECIFIED, PT_ERROR, 0x0009, 0x2003};
    for (int kind = 0; kind < 2; kind++) {
        for (int u = 0; u < 2; u++) {
            uint16_t id = kind ? 0x3001 : 0x0037; /* display name, subject */
            mh_wr w;
            mh_wr_init(&w, F.pool, 128);
            rq_open_folder(&w, 0, 1, kind ? fids[0] : fids[4]);
            rq_get_table(&w, kind ? 0x04 : 0x05, 1, 2, u ? 0x40 : 0x00);
            for (int b = 0; b < 4; b++) {
                mh_proptag one[2] = {PR_MESSAGE_DELIVERY_TIME, MH_TAG(id, bad[b])};
                rq_set_columns(&w, 2, one, 2);
            }
            mh_proptag cols[2] = {MH_TAG(id, PT_STRING8), MH_TAG(id, PT_UNICODE)};
            rq_set_columns(&w, 2, cols, 2);
            rq_query_rows(&w, 2, 0x01, 1, 1);
            uint32_t h[3] = {logon, 0xFFFFFFFF, 0xFFFFFFFF};
            size_t rl;
            const unsigned char *r = run(h, &w, &rl);
            /* OpenFolder 8 bytes, Get*Table 10, four failed SetColumns 6
             * each, one that worked 7 */
            REQUIRE(r != NULL && rl > 18 + 4 * 6 + 7);
            REQUIRE(mh_get_u32(r + 10) == 0);
            size_t k = 18;
            for (int b = 0; b < 4; b++, k += 6) {
                CHECK_EQ_U(r[k], 0x12);
                CHECK_EQ_U(mh_get_u32(r + k + 2), MAPI_E_INVALID_PARAMETER);
            }
            CHECK_EQ_U(r[k], 0x12);
            CHECK_EQ_U(mh_get_u32(r + k + 2), 0);
            k += 7;
            uint8_t origin;
            uint16_t n;
            mh_propval **rows;
            REQUIRE(parse_rows(r + k, rl - k, cols, 2, &origin, &n, &rows) == 0);
            REQUIRE(n == 1);
            const char *a = rows[0][0].v.str, *wide = rows[0][1].v.str;
            REQUIRE(MH_TAG_TYPE(rows[0][0].tag) == PT_UNICODE && a && wide);
            CHECK_STR(a, wide);
            /* the row: flag, the 8-bit string and its NUL, the UTF-16 one */
            size_t len = strlen(a);
            CHECK_EQ_U(rl - k, 9 + 1 + (len + 1) + 2 * (len + 1));
            CHECK_EQ_U(r[k + 9], 0x00);
            CHECK_EQ_U(r[k + 10], (unsigned char)a[0]);
            CHECK_EQ_U(r[k + 10 + len], 0);
            CHECK_EQ_U(r[k + 11 + len], (unsigned char)a[0]);
            CHECK_EQ_U(r[k + 12 + len], 0);
        }
    }
}

static void test_errors(void)
{
    uint32_t h[3], count;
    REQUIRE(open_contents(h, &count) == 0);
    mh_wr w;
    mh_wr_init(&w, F.pool, 64);
    rq_query_rows(&w, 2, 0, 1, 10);              /* no columns yet */
    rq_hdr(&w, 0x38, 2);                         /* Abort: nothing runs */
    rq_hdr(&w, 0x16, 2);                         /* GetStatus */
    rq_hdr(&w, 0x18, 2);                         /* SeekRow, bad origin */
    mh_wr_u8(&w, 7);
    mh_wr_u32(&w, 1);
    mh_wr_u8(&w, 0);
    rq_hdr(&w, 0x1A, 2);                         /* denominator 0 */
    mh_wr_u32(&w, 1);
    mh_wr_u32(&w, 0);
    rq_query_rows(&w, 0, 0, 1, 10);              /* the logon is no table */
    rq_query_rows(&w, 9, 0, 1, 10);              /* no such slot */
    size_t rl;
    const unsigned char *r = run(h, &w, &rl);
    REQUIRE(r != NULL);
    size_t k = 0;
    CHECK_EQ_U(r[k], 0x15);
    CHECK_EQ_U(mh_get_u32(r + k + 2), EC_NULL_OBJECT);
    k += 6;
    CHECK_EQ_U(r[k], 0x38);
    CHECK_EQ_U(mh_get_u32(r + k + 2), 0x80040114u);
    k += 6;
    if (r[k] != 0x16) /* a failure writer may add TableStatus */
        k++;
    REQUIRE(r[k] == 0x16);
    CHECK_EQ_U(mh_get_u32(r + k + 2), 0);
    CHECK_EQ_U(r[k + 6], 0);
    k += 7;
    CHECK_EQ_U(r[k], 0x18);
    CHECK_EQ_U(mh_get_u32(r + k + 2), MAPI_E_INVALID_PARAMETER);
    k += 6;
    CHECK_EQ_U(r[k], 0x1A);
    CHECK_EQ_U(mh_get_u32(r + k + 2), MAPI_E_INVALID_PARAMETER);
    k += 6;
    CHECK_EQ_U(r[k], 0x15);
    CHECK_EQ_U(mh_get_u32(r + k + 2), MAPI_E_NO_SUPPORT);
    k += 6;
    CHECK_EQ_U(r[k], 0x15);
    CHECK_EQ_U(mh_get_u32(r + k + 2), EC_NULL_OBJECT);
}

int main(void)
{
    MH_TEST_INIT();
    if (mh_fixture_open(&F, "tabl") != 0)
        return 1;
    if (mh_fixture_logon(&F, &logon, fids) != 0 || fill_inbox() != 0) {
        printf("# setup failed\n");
        mh_fixture_close(&F);
        return 1;
    }
    RUN(test_sorted_and_paged);
    RUN(test_on_demand);
    RUN(test_column_kinds);
    RUN(test_categorized);
    RUN(test_restricted);
    RUN(test_hierarchy);
    RUN(test_column_types);
    RUN(test_errors);
    mh_fixture_close(&F);
    return MH_TEST_DONE();
}
