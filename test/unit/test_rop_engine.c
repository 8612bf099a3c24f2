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
#include "mh_rpcext.h"

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

static void get_store_state(mh_rop_batch *b, uint8_t idx)
{
    mh_wr *w = mh_ropc_begin(b, ROP_GET_STORE_STATE, 0, idx);
    (void)w;
}

/* A fresh logon on id 0 (which releases the last one and its objects). */
static int relogon(void)
{
    F.max_rop_out = 0x10008;
    F.exec_flags = 0;
    F.chain = 1;
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

/* ------------------------------------------------ several input buffers */

/* Offsets of the requests of a RopsList (through mh_ropinfo's skippers);
 * off[n] is the end.  Returns n. */
static size_t req_offsets(const unsigned char *p, size_t len, size_t *off, size_t max)
{
    mh_rd rd;
    mh_rd_init(&rd, p, len);
    size_t n = 0;
    while (mh_rd_left(&rd) > 0 && n < max) {
        off[n++] = (size_t)(rd.p - p);
        mh_ropheader h;
        if (mh_rd_ropheader(&rd, &h) != 0 || h.info->skip(&rd) != 0)
            return 0;
    }
    off[n] = (size_t)(rd.p - p);
    return n;
}

/* Length of the response at p for the ROPs these tests send; 0 when
 * unknown or malformed.  RopBufferTooSmall takes the rest. */
static size_t resp_len(const unsigned char *p, size_t len)
{
    if (len < 1)
        return 0;
    if (p[0] == 0xFF)
        return len >= 3 ? len : 0;
    if (len < 6)
        return 0;
    uint32_t rv = mh_get_u32(p + 2);
    size_t n = 0;
    switch (p[0]) {
    case 0x7B: n = rv ? 6 : 10; break;  /* GetStoreState */
    case 0x02: n = rv ? 6 : 8; break;   /* OpenFolder (not ghosted) */
    case 0x04: case 0x05: n = rv ? 6 : 10; break; /* Get*Table */
    case 0x12: n = rv ? 6 : 7; break;   /* SetColumns */
    case 0x18: n = rv ? 6 : 11; break;  /* SeekRow */
    case 0x17: n = rv ? 6 : 14; break;  /* QueryPosition */
    case 0x16: n = rv ? 6 : 7; break;   /* GetStatus */
    case 0x06:                          /* CreateMessage: HasMessageId, [MessageId] */
        n = rv ? 6 : len >= 7 && p[6] ? 15 : 7;
        break;
    case 0x15: {                        /* QueryRows */
        mh_rd rd;
        mh_rd_init(&rd, p, len);
        mh_ropc_rows_r r;
        if (mh_ropc_query_rows_parse(&rd, row_cols, 2, 1252, P, &r) != 0)
            return 0;
        n = (size_t)(rd.p - p);
        break;
    }
    default:
        return 0;
    }
    return n <= len ? n : 0;
}

/*
 * Checks one output payload against its input: every response parses, in
 * order, a RopBufferTooSmall (if any) is last and carries exactly the
 * requests not answered (RopRelease has no response).  Returns how many
 * requests were answered or released, or -1.
 */
static long check_payload(const mh_fixture_out *o, const unsigned char *rops, size_t len)
{
    size_t off[512];
    size_t nreq = req_offsets(rops, len, off, 511);
    if (len && !nreq)
        return -1;
    size_t at = 0, k = 0;
    while (at < o->len) {
        while (k < nreq && rops[off[k]] == 0x01)
            k++; /* RopRelease: no response */
        if (o->rops[at] == 0xFF) {
            /* SizeNeeded, then the unrun requests, and nothing after */
            if (o->len - at < 3 || k >= nreq)
                return -1;
            if (mh_get_u16(o->rops + at + 1) < 0x100)
                return -1;
            if (o->len - at - 3 != len - off[k] ||
                memcmp(o->rops + at + 3, rops + off[k], len - off[k]) != 0)
                return -1;
            return (long)k;
        }
        size_t rl = resp_len(o->rops + at, o->len - at);
        if (!rl || k >= nreq || o->rops[at] != rops[off[k]])
            return -1;
        at += rl;
        k++;
    }
    while (k < nreq && rops[off[k]] == 0x01)
        k++;
    return k == nreq ? (long)k : -1;
}

static int same_state(const unsigned char *a, size_t al, const mh_fixture_mark *ma)
{
    const unsigned char *b;
    size_t bl;
    mh_fixture_state(&F, P, &b, &bl);
    mh_fixture_mark mb;
    if (mh_fixture_store_mark(&F, &mb) != 0)
        return 0;
    return al == bl && memcmp(a, b, al) == 0 && ma->last_id == mb.last_id &&
           ma->messages == mb.messages && ma->folders == mb.folders && ma->bytes == mb.bytes;
}

/* Input buffers run in order, each answered in its own output payload with
 * its own handle table; an object made by one buffer is there for the
 * next (by its handle), one released by a buffer is gone for the next. */
static void test_several_buffers(void)
{
    apr_pool_clear(P);
    REQUIRE(relogon() == 0);
    /* handles are (LogonId << 24) | n, n counting up per session (mh_rop.h):
     * the folder buffer A opens gets the next n */
    uint32_t folder = F.ses->next_n[0];
    mh_rop_batch a, bb, c, d, e;
    batch(&a);
    mh_rop_batch_set_handle(&a, 0, logon);
    mh_ropc_open_folder(&a, 0, 0, 1, fids[4], 0);
    batch(&bb);
    mh_rop_batch_set_handle(&bb, 0, logon);
    for (int i = 0; i < 40; i++)
        get_store_state(&bb, 0);
    batch(&c);
    mh_rop_batch_set_handle(&c, 0, folder);
    mh_ropc_get_contents_table(&c, 0, 0, 1, 0);
    batch(&d);
    mh_rop_batch_set_handle(&d, 0, folder);
    mh_ropc_release(&d, 0, 0);
    batch(&e);
    mh_rop_batch_set_handle(&e, 0, folder);
    mh_ropc_get_contents_table(&e, 0, 0, 1, 0);
    mh_fixture_in ins[5] = {in_of(&a), in_of(&bb), in_of(&c), in_of(&d), in_of(&e)};
    /* every combination of compression and obfuscation on the way in */
    ins[1].compress = 0; ins[1].obfuscate = 0;
    ins[2].compress = 1; ins[2].obfuscate = 0;
    ins[3].compress = 0; ins[3].obfuscate = 1;
    mh_fixture_out *o;
    size_t n;
    REQUIRE(mh_fixture_exec_bufs(&F, ins, 5, &o, &n) == 0);
    REQUIRE(n == 5);
    for (size_t i = 0; i < 5; i++) {
        CHECK_EQ_U(o[i].n, ins[i].n);
        CHECK_EQ_U(check_payload(&o[i], ins[i].rops, ins[i].len),
                   i == 1 ? 40 : 1);
        CHECK_EQ_U((o[i].ext_flags & 0x4) != 0, i == 4);
        CHECK_EQ_U(o[i].ext_flags & 0x2, 0x2); /* XorMagic out: the client did not refuse it */
    }
    /* the repetitive one comes back compressed */
    CHECK_EQ_U(o[1].ext_flags & 0x1, 0x1);
    /* A: the folder, at the predicted handle */
    CHECK_EQ_U(mh_get_u32(o[0].rops + 2), 0);
    CHECK_EQ_U(o[0].handles[0], logon);
    CHECK_EQ_U(o[0].handles[1], folder);
    /* C: a table of the folder A opened */
    CHECK_EQ_U(o[2].rops[0], 0x05);
    CHECK_EQ_U(mh_get_u32(o[2].rops + 2), 0);
    CHECK(o[2].handles[1] != 0xFFFFFFFF);
    /* D: released, no response; E: the folder is gone */
    CHECK_EQ_U(o[3].len, 0);
    CHECK_EQ_U(o[4].rops[0], 0x05);
    CHECK_EQ_U(mh_get_u32(o[4].rops + 2), EC_NULL_OBJECT);
    CHECK_EQ_U(o[4].handles[1], 0xFFFFFFFF);
    /* releasing the folder released its table (opened from it) */
    CHECK(mh_obj_find(&(mh_ropctx){.ses = F.ses}, o[2].handles[1]) == NULL);

    /* a malformed later buffer fails the call before anything runs */
    const unsigned char *snap;
    size_t snap_len;
    mh_fixture_mark mark;
    mh_fixture_state(&F, P, &snap, &snap_len);
    REQUIRE(mh_fixture_store_mark(&F, &mark) == 0);
    mh_rop_batch bad;
    batch(&bad);
    mh_rop_batch_set_handle(&bad, 0, logon);
    mh_ropc_long_term_id_from_id(&bad, 0, 0, fids[4]);
    mh_fixture_in two[2] = {in_of(&a), in_of(&bad)};
    two[1].len--; /* cut short */
    CHECK_EQ_U(mh_fixture_exec_bufs(&F, two, 2, &o, &n), EC_RPC_FORMAT);
    CHECK(same_state(snap, snap_len, &mark));
    /* a later buffer whose handle table is not whole: the same */
    unsigned char raw[64];
    mh_wr w;
    mh_wr_init(&w, P, 64);
    {
        mh_wr p1;
        mh_wr_init(&p1, P, 64);
        mh_wr_u16(&p1, (uint16_t)(a.rops.len + 2));
        mh_wr_bytes(&p1, a.rops.buf, a.rops.len);
        mh_wr_u32(&p1, logon);
        mh_wr_u32(&p1, 0xFFFFFFFF);
        mh_rpcext_append(&w, p1.buf, p1.len, 0, 0, 0);
        size_t k = 0;
        raw[k++] = 0x05; raw[k++] = 0x00;       /* RopSize 5: RopGetStoreState */
        raw[k++] = 0x7B; raw[k++] = 0; raw[k++] = 0;
        raw[k++] = 0x01; raw[k++] = 0x02;       /* a handle table of 2 bytes */
        mh_rpcext_append(&w, raw, k, 0, 0, 1);
    }
    CHECK_EQ_U(mh_fixture_exec_raw(&F, w.buf, w.len, &o, &n), EC_RPC_FORMAT);
    CHECK(same_state(snap, snap_len, &mark));
    /* Last on the first of two extended buffers */
    {
        mh_wr p1, w2;
        mh_wr_init(&p1, P, 64);
        mh_wr_init(&w2, P, 64);
        mh_wr_u16(&p1, (uint16_t)(a.rops.len + 2));
        mh_wr_bytes(&p1, a.rops.buf, a.rops.len);
        mh_wr_u32(&p1, logon);
        mh_wr_u32(&p1, 0xFFFFFFFF);
        mh_rpcext_append(&w2, p1.buf, p1.len, 0, 0, 1);
        mh_rpcext_append(&w2, p1.buf, p1.len, 0, 0, 1);
        CHECK_EQ_U(mh_fixture_exec_raw(&F, w2.buf, w2.len, &o, &n), EC_RPC_FORMAT);
        CHECK(same_state(snap, snap_len, &mark));
    }
}

/* ------------------------------------------------ MaxRopOut, too small */

/*
 * For MaxRopOut from far too small to the largest, one Execute of two
 * input buffers and one of a chained QueryRows: the response never
 * exceeds MaxRopOut; either the call fails with ecBufferTooSmall and
 * nothing changed, or every payload parses, a RopBufferTooSmall is last
 * in its payload with exactly the requests not run, no request after it
 * ran, and every later input buffer is answered the same way.
 */
static void test_max_rop_out(void)
{
    static const uint32_t sizes[] = {8, 16, 100, 270, 300, 400, 600, 1024, 2048, 4096,
                                     0x7FF0, 0x8008, 0x8010, 0x9000, 0x10008, 0x20000,
                                     0x40000};
    for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
        apr_pool_clear(P);
        F.max_rop_out = 0x10008;
        F.exec_flags = 0;
        REQUIRE(relogon() == 0);
        for (int chained = 0; chained < 2; chained++) {
            mh_rop_batch a, bb;
            batch(&a);
            mh_rop_batch_set_handle(&a, 0, logon);
            for (int i = 0; i < 30; i++)
                get_store_state(&a, 0);
            mh_ropc_open_folder(&a, 0, 0, 1, fids[6], 0);
            mh_ropc_get_contents_table(&a, 0, 1, 2, 0);
            mh_ropc_set_columns(&a, 0, 2, 0, row_cols, 2);
            mh_ropc_query_rows(&a, 0, 2, MH_QUERY_ENABLE_PACKED_BUFFERS, 1, NROWS);
            batch(&bb);
            mh_rop_batch_set_handle(&bb, 0, logon);
            for (int i = 0; i < 20; i++)
                get_store_state(&bb, 0);
            mh_fixture_in ins[2] = {in_of(&a), in_of(&bb)};
            size_t nin = chained ? 1 : 2;
            F.exec_flags = chained ? MH_EXEC_CHAIN : 0;
            F.max_rop_out = sizes[si];
            const unsigned char *snap;
            size_t snap_len;
            mh_fixture_mark mark;
            mh_fixture_state(&F, P, &snap, &snap_len);
            REQUIRE(mh_fixture_store_mark(&F, &mark) == 0);
            mh_fixture_out *o;
            size_t n;
            uint32_t ec = mh_fixture_exec_bufs(&F, ins, nin, &o, &n);
            if (ec != 0) {
                if (ec != EC_BUFFER_TOO_SMALL)
                    printf("# MaxRopOut %u: 0x%x\n", (unsigned)sizes[si], (unsigned)ec);
                CHECK_EQ_U(ec, EC_BUFFER_TOO_SMALL);
                CHECK(same_state(snap, snap_len, &mark));
                CHECK(sizes[si] < 0x1000); /* only when not even one ROP fits */
                continue;
            }
            CHECK(F.out_bytes <= sizes[si]);
            REQUIRE(n >= nin);
            int stopped = 0;
            for (size_t i = 0; i < nin; i++) {
                long k = check_payload(&o[i], ins[i].rops, ins[i].len);
                size_t off[64];
                size_t nreq = req_offsets(ins[i].rops, ins[i].len, off, 63);
                if (k < 0)
                    printf("# MaxRopOut %u, input %zu: payload does not match\n",
                           (unsigned)sizes[si], i);
                CHECK(k >= 0);
                if (stopped)
                    CHECK_EQ_U(k, 0); /* nothing after a stop runs */
                if (k >= 0 && (size_t)k < nreq)
                    stopped = 1;
            }
            /* chained payloads follow only a complete last input */
            if (n > nin)
                CHECK(!stopped && chained);
            for (size_t i = nin; i < n; i++) {
                uint8_t origin;
                mh_wr rows;
                mh_wr_init(&rows, P, 1024);
                CHECK(collect_rows(&o[i], 1, 0, &rows, &origin) > 0);
            }
            if (sizes[si] >= 0x10008)
                CHECK(!stopped);
        }
    }
    F.exec_flags = 0;
    F.max_rop_out = 0x10008;
}

/* RopBufferTooSmall: the requests not run come back byte for byte; sent
 * again (and again) they finish the job, none lost and none run twice. */
static void test_buffer_too_small_resend(void)
{
    apr_pool_clear(P);
    REQUIRE(relogon() == 0);
    uint32_t h[3];
    REQUIRE(open_rows_table(h) == 0);
    /* 100 times: SeekRow +1 (counted), GetStoreState */
    mh_rop_batch b;
    batch(&b);
    for (int i = 0; i < 3; i++)
        mh_rop_batch_set_handle(&b, (uint8_t)i, h[i]);
    mh_ropc_seek_row(&b, 0, 2, MH_BOOKMARK_BEGINNING, 0, 0);
    for (int i = 0; i < 100; i++) {
        mh_ropc_seek_row(&b, 0, 2, MH_BOOKMARK_CURRENT, 1, 1);
        get_store_state(&b, 0);
    }
    const unsigned char *rest = b.rops.buf;
    size_t rest_len = b.rops.len;
    uint32_t hh[3] = {h[0], h[1], h[2]};
    size_t answered = 0, rounds = 0;
    /* room for the whole request list to come back, not for every answer */
    F.max_rop_out = 1700;
    while (rest_len && rounds < 100) {
        mh_fixture_in in = {rest, rest_len, hh, 3, 1, 1};
        mh_fixture_out *o;
        size_t n;
        REQUIRE(mh_fixture_exec_bufs(&F, &in, 1, &o, &n) == 0);
        REQUIRE(n == 1);
        long k = check_payload(&o[0], rest, rest_len);
        REQUIRE(k > 0);
        answered += (size_t)k;
        rounds++;
        /* the rest is what RopBufferTooSmall returned */
        size_t off[512];
        size_t nreq = req_offsets(rest, rest_len, off, 511);
        if ((size_t)k == nreq)
            break;
        unsigned char *copy = apr_pmemdup(P, rest + off[k], rest_len - off[k]);
        rest = copy;
        rest_len -= off[k];
    }
    CHECK(rounds >= 3);
    CHECK_EQ_U(answered, 201);
    /* exactly 100 SeekRows ran */
    batch(&b);
    for (int i = 0; i < 3; i++)
        mh_rop_batch_set_handle(&b, (uint8_t)i, h[i]);
    mh_ropc_query_position(&b, 0, 2);
    mh_fixture_out *o;
    size_t n;
    F.max_rop_out = 0x10008;
    REQUIRE(run(&b, &o, &n) == 0);
    mh_rd rd;
    mh_rd_init(&rd, o[0].rops, o[0].len);
    mh_ropc_position_r pos;
    REQUIRE(mh_ropc_query_position_parse(&rd, &pos) == 0);
    CHECK_EQ_U(pos.numerator, 100);
}

/* Not even one ROP fits: ecBufferTooSmall, nothing run (MS-OXCROPS
 * 3.2.4.3) - also when an earlier input buffer would fit but a later one
 * could not even be answered with RopBufferTooSmall. */
static void test_nothing_fits(void)
{
    apr_pool_clear(P);
    REQUIRE(relogon() == 0);
    mh_rop_batch a, big;
    batch(&a);
    mh_rop_batch_set_handle(&a, 0, logon);
    mh_ropc_open_folder(&a, 0, 0, 1, fids[4], 0);
    mh_ropc_create_message(&a, 0, 1, 2, 1252, fids[4], 0);
    batch(&big);
    mh_rop_batch_set_handle(&big, 0, logon);
    for (int i = 0; i < 700; i++)
        get_store_state(&big, 0); /* 2100 request bytes */
    const unsigned char *snap;
    size_t snap_len;
    mh_fixture_mark mark;
    mh_fixture_state(&F, P, &snap, &snap_len);
    REQUIRE(mh_fixture_store_mark(&F, &mark) == 0);
    mh_fixture_out *o;
    size_t n;
    static const uint32_t tiny[] = {0, 8, 10, 16, 24, 30, 40, 64, 200};
    for (size_t i = 0; i < sizeof(tiny) / sizeof(tiny[0]); i++) {
        F.max_rop_out = tiny[i];
        mh_fixture_in in = in_of(&a);
        uint32_t ec = mh_fixture_exec_bufs(&F, &in, 1, &o, &n);
        /* ecBufferTooSmall, or (room for it) RopBufferTooSmall with every
         * request: a bigger buffer helps */
        if (ec == 0) {
            CHECK(tiny[i] >= 8 + 2 + 3 + a.rops.len + 4 * a.n_handles);
            CHECK_EQ_U(n, 1);
            CHECK_EQ_U(check_payload(&o[0], in.rops, in.len), 0);
        } else {
            CHECK(tiny[i] < 8 + 2 + 3 + a.rops.len + 4 * a.n_handles);
            CHECK_EQ_U(ec, EC_BUFFER_TOO_SMALL);
        }
        CHECK(same_state(snap, snap_len, &mark));
    }
    F.max_rop_out = 1024;
    mh_fixture_in two[2] = {in_of(&a), in_of(&big)};
    CHECK_EQ_U(mh_fixture_exec_bufs(&F, two, 2, &o, &n), EC_BUFFER_TOO_SMALL);
    CHECK(same_state(snap, snap_len, &mark));
    /* with room for both answers: A runs, B gets RopBufferTooSmall */
    F.max_rop_out = 3000;
    REQUIRE(mh_fixture_exec_bufs(&F, two, 2, &o, &n) == 0);
    REQUIRE(n == 2);
    CHECK_EQ_U(check_payload(&o[0], two[0].rops, two[0].len), 2);
    long k = check_payload(&o[1], two[1].rops, two[1].len);
    CHECK(k >= 0 && k < 700);
    F.max_rop_out = 0x10008;
}

/* ------------------------------------------------------------ release */

/*
 * RopRelease at every position of a batch of GetStoreState(0),
 * OpenFolder(0 -> 1), GetContentsTable(1 -> 2), QueryPosition(2),
 * releasing each slot in turn (the logon, the folder, the table, an
 * unused slot, an index past the table): the ROPs before it are
 * untouched, the ROPs after it that need a released object (or one
 * opened from it) get ecNullObject, and RopRelease has no response.
 */
static void test_release_positions(void)
{
    enum { NOPS = 4 };
    static const uint8_t slots[] = {0, 1, 2, 3, 200};
    for (size_t si = 0; si < sizeof(slots) / sizeof(slots[0]); si++) {
        for (int pos = 0; pos <= NOPS; pos++) {
            apr_pool_clear(P);
            REQUIRE(relogon() == 0);
            mh_rop_batch b;
            batch(&b);
            mh_rop_batch_set_handle(&b, 0, logon);
            mh_rop_batch_set_handle(&b, 3, 0xFFFFFFFF);
            /* the model: which slots hold live objects (parent of each) */
            int alive[4] = {1, 0, 0, 0};
            int expect[NOPS];
            int ne = 0;
            for (int op = 0; op <= NOPS; op++) {
                if (op == pos) {
                    mh_ropc_release(&b, 0, slots[si]);
                    uint8_t s = slots[si];
                    /* a released object takes what was opened from it */
                    if (s == 0)
                        alive[0] = alive[1] = alive[2] = 0;
                    else if (s == 1)
                        alive[1] = alive[2] = 0;
                    else if (s == 2)
                        alive[2] = 0;
                }
                if (op == NOPS)
                    break;
                switch (op) {
                case 0:
                    get_store_state(&b, 0);
                    expect[ne++] = alive[0];
                    break;
                case 1:
                    mh_ropc_open_folder(&b, 0, 0, 1, fids[4], 0);
                    expect[ne++] = alive[0];
                    if (alive[0])
                        alive[1] = 1;
                    break;
                case 2:
                    mh_ropc_get_contents_table(&b, 0, 1, 2, 0);
                    expect[ne++] = alive[1];
                    if (alive[1])
                        alive[2] = 1;
                    break;
                case 3:
                    mh_ropc_query_position(&b, 0, 2);
                    expect[ne++] = alive[2];
                    break;
                }
            }
            mh_fixture_out *o;
            size_t n;
            REQUIRE(run(&b, &o, &n) == 0);
            REQUIRE(n == 1);
            CHECK_EQ_U(check_payload(&o[0], b.rops.buf, b.rops.len), NOPS + 1);
            size_t at = 0;
            for (int i = 0; i < NOPS; i++) {
                size_t rl = resp_len(o[0].rops + at, o[0].len - at);
                REQUIRE(rl > 0);
                uint32_t rv = mh_get_u32(o[0].rops + at + 2);
                if ((rv == 0) != expect[i])
                    printf("# release slot %u at %d: ROP %d rv 0x%x\n", slots[si], pos, i,
                           (unsigned)rv);
                CHECK_EQ_U(rv, expect[i] ? 0 : EC_NULL_OBJECT);
                at += rl;
            }
            CHECK_EQ_U(at, o[0].len);
            /* what the session holds is what the model says */
            unsigned live = 0;
            for (int i = 0; i < 3; i++)
                live += alive[i] ? 1 : 0;
            CHECK_EQ_U(apr_hash_count(F.ses->objects), live);
        }
    }
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
    RUN(test_several_buffers);
    RUN(test_max_rop_out);
    RUN(test_buffer_too_small_resend);
    RUN(test_nothing_fits);
    RUN(test_release_positions);
    mh_fixture_close(&F);
    return MH_TEST_DONE();
}
