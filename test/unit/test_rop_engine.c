/*
 * test_rop_engine.c - the ROP engine itself (mh_rop_execute; MS-OXCROPS
 * 2.2.1, 3.2.5; MS-OXCRPC 3.1.4.2) through the fixture, a real LMDB store
 * and no httpd: chained QueryRows and ReadStream responses against the
 * unchained ones, chaining switched off every way, several input buffers
 * in one Execute, MaxRopOut, RopBufferTooSmall and ecBufferTooSmall,
 * RopRelease in every position; then every RopId the server implements
 * with a bad handle index, a wrong object, cut short and with oversized
 * counts (rop_samples.h).
 */
#include "mh_test.h"
#include "rop_fixture.h"
#include "rop_samples.h"
#include "mh_bodies.h"
/* backend.h and the client both name a MH_FOLDER_SEARCH (a backend flag,
 * a RopCreateFolder FolderType); this file uses neither */
#undef MH_FOLDER_SEARCH
#include "mh_emsmdb.h"
#include "mh_props.h"

#include <string.h>

static mh_fixture F;
static apr_pool_t *P; /* scratch: cleared between tests and cases */
static uint32_t logon;
static uint64_t fids[13];

/* The rows folder (Sent Items): NROWS messages with long subjects. */
#define NROWS 400
#define SUBJ_LEN 100
/* A message there with a large binary value, read through a stream. */
#define BIG_TAG MH_TAG(0x6701, PT_BINARY)
#define BIG_LEN 200000
static uint64_t big_mid;
static unsigned char *big_data;

#define PIDTAG_MID MH_TAG(0x674A, PT_I8)
static const mh_proptag row_cols[2] = {PR_SUBJECT, PIDTAG_MID};

#define ROP_GET_STORE_STATE 0x7B

/* ------------------------------------------------------------ helpers */

static void batch(mh_rop_batch *b)
{
    mh_rop_batch_init(b, P);
}

static mh_fixture_in in_of(const mh_rop_batch *b)
{
    mh_fixture_in in = {b->rops.buf, b->rops.len, b->handles, b->n_handles, 1, 1};
    return in;
}

/* Runs one batch; the outputs in *o. */
static uint32_t run(const mh_rop_batch *b, mh_fixture_out **o, size_t *n)
{
    mh_fixture_in in = in_of(b);
    return mh_fixture_exec_bufs(&F, &in, 1, o, n);
}

static __attribute__((unused)) void get_store_state(mh_rop_batch *b, uint8_t idx)
{
    mh_wr *w = mh_ropc_begin(b, ROP_GET_STORE_STATE, 0, idx);
    (void)w;
}

/* A fresh logon on id 0 (which releases the last one and its objects). */
static int relogon(void)
{
    return mh_fixture_logon(&F, &logon, fids) == 0 ? 0 : -1;
}

static int fill_store(void)
{
    mh_betxn *t;
    mh_error err;
    mh_id sent = mh_id_from_wire(fids[6], NULL);
    if (mh_be_begin(F.be, &F.mailbox, MH_TXN_WRITE, F.pool, &t, &err) != MH_OK)
        return -1;
    for (uint32_t i = 0; i < NROWS; i++) {
        mh_message m;
        memset(&m, 0, sizeof(m));
        char subj[SUBJ_LEN + 1];
        memset(subj, 'a' + (char)(i % 26), SUBJ_LEN);
        snprintf(subj, sizeof(subj), "%03u", i);
        subj[3] = ' ';
        subj[SUBJ_LEN] = 0;
        mh_propval v[2] = {mh_pv_str(PR_SUBJECT, subj), mh_pv_str(PR_MESSAGE_CLASS, "IPM.Note")};
        for (int k = 0; k < 2; k++)
            mh_proplist_set(F.pool, &m.props, &v[k]);
        mh_id id, cn;
        mh_change_in chg;
        memset(&chg, 0, sizeof(chg));
        if (mh_be_message_save(t, sent, 0, 0, &m, &chg, &id, &cn, &err) != MH_OK) {
            mh_be_abort(t);
            return -1;
        }
    }
    /* the big one goes to the Inbox */
    big_data = apr_palloc(F.pool, BIG_LEN);
    uint32_t x = 12345;
    for (size_t i = 0; i < BIG_LEN; i++) {
        x = x * 1103515245u + 12345u;
        big_data[i] = (unsigned char)(x >> 16);
    }
    mh_message m;
    memset(&m, 0, sizeof(m));
    mh_propval v[2] = {mh_pv_str(PR_SUBJECT, "big"), mh_pv_bin(BIG_TAG, big_data, BIG_LEN)};
    for (int k = 0; k < 2; k++)
        mh_proplist_set(F.pool, &m.props, &v[k]);
    mh_id id, cn;
    mh_change_in chg;
    memset(&chg, 0, sizeof(chg));
    if (mh_be_message_save(t, F.inbox, 0, 0, &m, &chg, &id, &cn, &err) != MH_OK) {
        mh_be_abort(t);
        return -1;
    }
    big_mid = mh_id_to_wire(id, MH_REPLID_LOCAL);
    return mh_be_commit(t, &err) == MH_OK ? 0 : -1;
}

/* ------------------------------------------------------ chained rows */

/* Handles: 0 logon, 1 the rows folder, 2 its contents table with the row
 * columns set.  0 on success. */
static int open_rows_table(uint32_t h[3])
{
    mh_rop_batch b;
    batch(&b);
    mh_rop_batch_set_handle(&b, 0, logon);
    mh_ropc_open_folder(&b, 0, 0, 1, fids[6], 0);
    mh_ropc_get_contents_table(&b, 0, 1, 2, 0);
    mh_ropc_set_columns(&b, 0, 2, 0, row_cols, 2);
    mh_fixture_out *o;
    size_t n;
    if (run(&b, &o, &n) != 0 || n != 1 || o[0].n != 3)
        return -1;
    mh_rd rd;
    mh_rd_init(&rd, o[0].rops, o[0].len);
    mh_ropc_open_folder_r of;
    mh_ropc_table_r tr;
    mh_ropc_status_r st;
    if (mh_ropc_open_folder_parse(&rd, P, &of) || of.h.rv ||
        mh_ropc_get_contents_table_parse(&rd, &tr) || tr.h.rv || tr.row_count != NROWS ||
        mh_ropc_set_columns_parse(&rd, &st) || st.h.rv)
        return -1;
    memcpy(h, o[0].handles, 3 * sizeof(uint32_t));
    return 0;
}

/* The rows of every QueryRows response in the outputs, their raw bytes
 * concatenated into `rows`; the first payload's responses before
 * QueryRows are skipped by `skip` bytes.  Returns the row count, or -1
 * when any response does not parse completely. */
static long collect_rows(const mh_fixture_out *o, size_t n, size_t skip, mh_wr *rows,
                         uint8_t *last_origin)
{
    long total = 0;
    for (size_t i = 0; i < n; i++) {
        mh_rd rd;
        mh_rd_init(&rd, o[i].rops + (i ? 0 : skip), o[i].len - (i ? 0 : skip));
        const unsigned char *start = rd.p;
        mh_ropc_rows_r r;
        if (mh_ropc_query_rows_parse(&rd, row_cols, 2, 1252, P, &r) != 0 || r.h.rv ||
            mh_rd_left(&rd) != 0)
            return -1;
        /* RopId, index, ReturnValue, Origin, RowCount: then the rows */
        mh_wr_bytes(rows, start + 9, (size_t)(rd.p - start) - 9);
        total += r.n_rows;
        *last_origin = r.origin;
        /* the rows are the ones asked for, in order */
        for (uint16_t k = 0; k < r.n_rows; k++)
            if (MH_TAG_TYPE(r.rows[k][0].tag) != PT_UNICODE)
                return -1;
    }
    return total;
}

/* Reads the whole table unchained: QueryRows until it ends. */
static long unchained_rows(const uint32_t h[3], int forward, mh_wr *rows)
{
    mh_rop_batch b;
    batch(&b);
    for (int i = 0; i < 3; i++)
        mh_rop_batch_set_handle(&b, (uint8_t)i, h[i]);
    mh_ropc_seek_row(&b, 0, 2, forward ? MH_BOOKMARK_BEGINNING : MH_BOOKMARK_END, 0, 0);
    mh_fixture_out *o;
    size_t n;
    if (run(&b, &o, &n) != 0)
        return -1;
    long total = 0;
    for (int guard = 0; guard < 100; guard++) {
        batch(&b);
        for (int i = 0; i < 3; i++)
            mh_rop_batch_set_handle(&b, (uint8_t)i, h[i]);
        mh_ropc_query_rows(&b, 0, 2, MH_QUERY_ADVANCE, forward, NROWS);
        if (run(&b, &o, &n) != 0 || n != 1)
            return -1;
        uint8_t origin = 0;
        long got = collect_rows(o, 1, 0, rows, &origin);
        if (got <= 0)
            return got < 0 ? -1 : total;
        total += got;
        if (origin != MH_BOOKMARK_CURRENT)
            break;
    }
    return total;
}

static void test_chained_query_rows(void)
{
    uint32_t h[3];
    REQUIRE(relogon() == 0);
    REQUIRE(open_rows_table(h) == 0);
    for (int forward = 1; forward >= 0; forward--) {
        mh_wr plain, chained;
        mh_wr_init(&plain, P, 65536);
        mh_wr_init(&chained, P, 65536);
        F.exec_flags = 0;
        CHECK_EQ_U(unchained_rows(h, forward, &plain), NROWS);

        /* the same in one Execute: SeekRow, QueryRows with packed buffers */
        F.exec_flags = MH_EXEC_CHAIN;
        F.max_rop_out = MH_ROP_OUT_MAX;
        mh_rop_batch b;
        batch(&b);
        for (int i = 0; i < 3; i++)
            mh_rop_batch_set_handle(&b, (uint8_t)i, h[i]);
        mh_ropc_seek_row(&b, 0, 2, forward ? MH_BOOKMARK_BEGINNING : MH_BOOKMARK_END, 0, 0);
        mh_ropc_query_rows(&b, 0, 2, MH_QUERY_ENABLE_PACKED_BUFFERS, forward, NROWS);
        mh_fixture_out *o;
        size_t n;
        REQUIRE(run(&b, &o, &n) == 0);
        CHECK(n > 2); /* ~63 KB of rows: more than two 32 KB payloads */
        for (size_t i = 0; i < n; i++) {
            /* each payload has its own copy of the handle table, the Last
             * flag only on the final one */
            CHECK_EQ_U(o[i].n, 3);
            CHECK_MEM(o[i].handles, 12, h, 12);
            CHECK_EQ_U((o[i].ext_flags & 0x4) != 0, i + 1 == n);
            CHECK(o[i].len + 2 + 12 <= 0x8000);
        }
        CHECK_EQ_U(o[0].rops[0], 0x18); /* SeekRow: 11 bytes */
        uint8_t origin = 0xEE;
        CHECK_EQ_U(collect_rows(o, n, 11, &chained, &origin), NROWS);
        CHECK_EQ_U(origin, forward ? MH_BOOKMARK_END : MH_BOOKMARK_BEGINNING);
        CHECK_MEM(chained.buf, chained.len, plain.buf, plain.len);
        CHECK(F.out_bytes <= MH_ROP_OUT_MAX);

        /* never more rows than asked: 200 of them, the cursor after them */
        batch(&b);
        for (int i = 0; i < 3; i++)
            mh_rop_batch_set_handle(&b, (uint8_t)i, h[i]);
        mh_ropc_seek_row(&b, 0, 2, forward ? MH_BOOKMARK_BEGINNING : MH_BOOKMARK_END, 0, 0);
        mh_ropc_query_rows(&b, 0, 2, MH_QUERY_ENABLE_PACKED_BUFFERS, forward, 200);
        REQUIRE(run(&b, &o, &n) == 0);
        mh_wr part;
        mh_wr_init(&part, P, 65536);
        CHECK(n > 1);
        CHECK_EQ_U(collect_rows(o, n, 11, &part, &origin), 200);
        CHECK_EQ_U(origin, MH_BOOKMARK_CURRENT);
        CHECK_MEM(part.buf, part.len, plain.buf, part.len <= plain.len ? part.len : 0);
        batch(&b);
        for (int i = 0; i < 3; i++)
            mh_rop_batch_set_handle(&b, (uint8_t)i, h[i]);
        mh_ropc_query_position(&b, 0, 2);
        REQUIRE(run(&b, &o, &n) == 0);
        mh_rd rd;
        mh_rd_init(&rd, o[0].rops, o[0].len);
        mh_ropc_position_r pos;
        REQUIRE(mh_ropc_query_position_parse(&rd, &pos) == 0);
        CHECK_EQ_U(pos.numerator, forward ? 200 : NROWS - 200);
        CHECK_EQ_U(pos.denominator, NROWS);

        /* MaxRopOut 0x10008 (Outlook's): a chained payload only while 32 KB
         * are left, so two; the rest comes with the next Execute */
        F.max_rop_out = 0x10008;
        batch(&b);
        for (int i = 0; i < 3; i++)
            mh_rop_batch_set_handle(&b, (uint8_t)i, h[i]);
        mh_ropc_seek_row(&b, 0, 2, forward ? MH_BOOKMARK_BEGINNING : MH_BOOKMARK_END, 0, 0);
        mh_ropc_query_rows(&b, 0, 2, MH_QUERY_ENABLE_PACKED_BUFFERS, forward, NROWS);
        REQUIRE(run(&b, &o, &n) == 0);
        CHECK_EQ_U(n, 2);
        CHECK(F.out_bytes <= 0x10008);
        mh_wr_init(&part, P, 65536);
        long got = collect_rows(o, n, 11, &part, &origin);
        CHECK(got > 0 && got < NROWS);
        CHECK_EQ_U(origin, MH_BOOKMARK_CURRENT);
        batch(&b);
        for (int i = 0; i < 3; i++)
            mh_rop_batch_set_handle(&b, (uint8_t)i, h[i]);
        mh_ropc_query_rows(&b, 0, 2, MH_QUERY_ENABLE_PACKED_BUFFERS, forward,
                           (uint16_t)(NROWS - got));
        REQUIRE(run(&b, &o, &n) == 0);
        long more = collect_rows(o, n, 0, &part, &origin);
        CHECK_EQ_U(got + more, NROWS);
        CHECK_MEM(part.buf, part.len, plain.buf, plain.len);
        F.max_rop_out = 0x10008;
    }
    F.exec_flags = 0;
}

/* Chaining happens only when the server allows it, the client asks for
 * it (Execute Flags Chain and, for QueryRows, EnablePackedBuffers), the
 * chainable ROP is the last one and the cursor advances. */
static void test_chaining_off(void)
{
    uint32_t h[3];
    REQUIRE(relogon() == 0);
    REQUIRE(open_rows_table(h) == 0);
    F.max_rop_out = MH_ROP_OUT_MAX;
    struct {
        int server;       /* MapiHttpChainedResponses */
        uint32_t flags;   /* Execute Flags */
        uint8_t qflags;   /* QueryRowsFlags */
        int then_status;  /* a RopGetStatus after the QueryRows */
    } cases[] = {
        {0, MH_EXEC_CHAIN, MH_QUERY_ENABLE_PACKED_BUFFERS, 0},
        {1, 0, MH_QUERY_ENABLE_PACKED_BUFFERS, 0},
        {1, MH_EXEC_CHAIN, MH_QUERY_ADVANCE, 0},
        {1, MH_EXEC_CHAIN, MH_QUERY_ENABLE_PACKED_BUFFERS | MH_QUERY_NO_ADVANCE, 0},
        {1, MH_EXEC_CHAIN, MH_QUERY_ENABLE_PACKED_BUFFERS, 1},
        {1, MH_EXEC_CHAIN | MH_EXEC_NO_COMPRESSION | MH_EXEC_NO_XOR_MAGIC,
         MH_QUERY_ENABLE_PACKED_BUFFERS, 0}, /* the control: chains */
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        F.chain = cases[c].server;
        F.exec_flags = cases[c].flags;
        mh_rop_batch b;
        batch(&b);
        for (int i = 0; i < 3; i++)
            mh_rop_batch_set_handle(&b, (uint8_t)i, h[i]);
        mh_ropc_seek_row(&b, 0, 2, MH_BOOKMARK_BEGINNING, 0, 0);
        mh_ropc_query_rows(&b, 0, 2, cases[c].qflags, 1, NROWS);
        if (cases[c].then_status)
            mh_ropc_begin(&b, 0x16, 0, 2); /* RopGetStatus */
        mh_fixture_out *o;
        size_t n;
        REQUIRE(run(&b, &o, &n) == 0);
        int control = c + 1 == sizeof(cases) / sizeof(cases[0]);
        if (control) {
            CHECK(n > 2);
            /* NoCompression, NoXorMagic: plain payloads */
            for (size_t i = 0; i < n; i++)
                CHECK_EQ_U(o[i].ext_flags & 0x3, 0);
        } else {
            if (n != 1)
                printf("# case %zu: %zu payloads\n", c, n);
            CHECK_EQ_U(n, 1);
            CHECK_EQ_U(o[0].ext_flags & 0x4, 0x4);
        }
    }
    F.chain = 1;
    F.exec_flags = 0;
    F.max_rop_out = 0x10008;
}

/* ----------------------------------------------------- chained stream */

/* Handles: 0 logon, 1 Inbox, 2 the big message, 3 a stream on its value. */
static int open_big_stream(uint32_t h[4])
{
    mh_rop_batch b;
    batch(&b);
    mh_rop_batch_set_handle(&b, 0, logon);
    mh_ropc_open_folder(&b, 0, 0, 1, fids[4], 0);
    mh_ropc_open_message(&b, 0, 1, 2, 1252, fids[4], MH_OPEN_READ_ONLY, big_mid);
    mh_ropc_open_stream(&b, 0, 2, 3, BIG_TAG, MH_STREAM_READ_ONLY);
    mh_fixture_out *o;
    size_t n;
    if (run(&b, &o, &n) != 0 || n != 1 || o[0].n != 4)
        return -1;
    /* the last response is OpenStream's: id, index, rv, StreamSize */
    if (o[0].len < 10 || o[0].rops[o[0].len - 10] != 0x2B ||
        mh_get_u32(o[0].rops + o[0].len - 8) != 0 ||
        mh_get_u32(o[0].rops + o[0].len - 4) != BIG_LEN)
        return -1;
    memcpy(h, o[0].handles, 4 * sizeof(uint32_t));
    return 0;
}

static long collect_stream(const mh_fixture_out *o, size_t n, mh_wr *data)
{
    long total = 0;
    for (size_t i = 0; i < n; i++) {
        mh_rd rd;
        mh_rd_init(&rd, o[i].rops, o[i].len);
        mh_ropc_read_stream_r r;
        if (mh_ropc_read_stream_parse(&rd, &r) != 0 || r.h.rv || mh_rd_left(&rd) != 0)
            return -1;
        mh_wr_bytes(data, r.data, r.size);
        total += r.size;
    }
    return total;
}

static void read_stream_batch(mh_rop_batch *b, const uint32_t h[4], uint16_t count,
                              uint32_t max)
{
    batch(b);
    for (int i = 0; i < 4; i++)
        mh_rop_batch_set_handle(b, (uint8_t)i, h[i]);
    mh_ropc_read_stream(b, 0, 3, count, max);
}

static void seek_start(const uint32_t h[4])
{
    mh_rop_batch b;
    batch(&b);
    for (int i = 0; i < 4; i++)
        mh_rop_batch_set_handle(&b, (uint8_t)i, h[i]);
    mh_ropc_seek_stream(&b, 0, 3, 0, 0);
    mh_fixture_out *o;
    size_t n;
    CHECK_EQ_U(run(&b, &o, &n), 0);
}

static void test_chained_read_stream(void)
{
    uint32_t h[4];
    REQUIRE(relogon() == 0);
    REQUIRE(open_big_stream(h) == 0);
    mh_rop_batch b;
    mh_fixture_out *o;
    size_t n;

    /* unchained: 0xBABE with MaximumByteCount, Execute after Execute */
    F.exec_flags = 0;
    F.max_rop_out = MH_ROP_OUT_MAX;
    mh_wr plain;
    mh_wr_init(&plain, P, BIG_LEN);
    int calls = 0;
    while (plain.len < BIG_LEN && calls < 100) {
        read_stream_batch(&b, h, 0xBABE, BIG_LEN);
        REQUIRE(run(&b, &o, &n) == 0);
        CHECK_EQ_U(n, 1);
        long got = collect_stream(o, n, &plain);
        REQUIRE(got > 0);
        calls++;
    }
    CHECK_MEM(plain.buf, plain.len, big_data, BIG_LEN);
    CHECK(calls >= 7); /* 32 KB at most per Execute */

    /* chained: the whole value in one Execute, in order */
    seek_start(h);
    F.exec_flags = MH_EXEC_CHAIN;
    read_stream_batch(&b, h, 0xBABE, BIG_LEN);
    REQUIRE(run(&b, &o, &n) == 0);
    CHECK(n >= 7);
    mh_wr chained;
    mh_wr_init(&chained, P, BIG_LEN);
    CHECK_EQ_U(collect_stream(o, n, &chained), BIG_LEN);
    CHECK_MEM(chained.buf, chained.len, big_data, BIG_LEN);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_U((o[i].ext_flags & 0x4) != 0, i + 1 == n);
    /* at the end: a read gives nothing, and no chain */
    read_stream_batch(&b, h, 0xBABE, BIG_LEN);
    REQUIRE(run(&b, &o, &n) == 0);
    CHECK_EQ_U(n, 1);
    mh_wr_init(&chained, P, 16);
    CHECK_EQ_U(collect_stream(o, n, &chained), 0);

    /* a ByteCount above one payload: exactly that many, chained */
    seek_start(h);
    read_stream_batch(&b, h, 0xF000, 0);
    REQUIRE(run(&b, &o, &n) == 0);
    CHECK_EQ_U(n, 2);
    mh_wr_init(&chained, P, 0xF000);
    CHECK_EQ_U(collect_stream(o, n, &chained), 0xF000);
    CHECK_MEM(chained.buf, chained.len, big_data, 0xF000);
    /* a small one: one payload */
    read_stream_batch(&b, h, 0x100, 0);
    REQUIRE(run(&b, &o, &n) == 0);
    CHECK_EQ_U(n, 1);
    mh_wr_init(&chained, P, 0x100);
    CHECK_EQ_U(collect_stream(o, n, &chained), 0x100);
    CHECK_MEM(chained.buf, chained.len, big_data + 0xF000, 0x100);

    /* server switch off: one payload */
    F.chain = 0;
    seek_start(h);
    read_stream_batch(&b, h, 0xBABE, BIG_LEN);
    REQUIRE(run(&b, &o, &n) == 0);
    CHECK_EQ_U(n, 1);
    F.chain = 1;
    F.exec_flags = 0;
    F.max_rop_out = 0x10008;
}

int main(void)
{
    MH_TEST_INIT();
    if (mh_fixture_open(&F, "engine") != 0)
        return 1;
    apr_pool_create(&P, F.pool);
    if (relogon() != 0 || fill_store() != 0) {
        printf("# setup failed\n");
        return 1;
    }
    RUN(test_chained_query_rows);
    RUN(test_chaining_off);
    RUN(test_chained_read_stream);
    mh_fixture_close(&F);
    return MH_TEST_DONE();
}
