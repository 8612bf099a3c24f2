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
#include "mh_log.h"

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

/* Errors the core logs: each is a bug (a handler and its skipper that
 * disagree, a handler past its room), never the client's fault. */
static unsigned log_errors;
static void log_sink(void *baton, int level, const char *msg)
{
    (void)baton;
    if (level <= MH_LOG_ERR) {
        log_errors++;
        printf("# logged: %s\n", msg);
    }
}

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

/* RopGetStoreState (MS-OXCROPS 2.2.3.5): the header is the request. */
static void get_store_state(mh_rop_batch *b, uint8_t idx)
{
    mh_ropc_begin(b, ROP_GET_STORE_STATE, 0, idx);
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

/* ---------------------------------------------------------- bad input */

/* The objects the bad-input cases run against, one per slot. */
enum {
    S_LOGON = 0, S_FOLDER, S_MESSAGE, S_ATTACH, S_TABLE, S_STREAM,
    S_FREE,     /* 0xFFFFFFFF: outputs go here */
    S_STALE,    /* a handle released before */
    S_UNKNOWN,  /* a handle never issued */
    S_COUNT
};
#define S_PAST 200 /* an index past the table */
static const uint8_t slot_type[6] = {MH_OT_LOGON, MH_OT_FOLDER, MH_OT_MESSAGE,
                                     MH_OT_ATTACHMENT, MH_OT_TABLE, MH_OT_STREAM};
static uint32_t objs[S_COUNT];

/* Makes them; 0 on success. */
static int setup_objects(void)
{
    if (relogon() != 0)
        return -1;
    mh_rop_batch b;
    batch(&b);
    mh_rop_batch_set_handle(&b, S_LOGON, logon);
    mh_ropc_open_folder(&b, 0, S_LOGON, S_FOLDER, fids[4], 0);
    mh_ropc_create_message(&b, 0, S_FOLDER, S_MESSAGE, 1252, fids[4], 0);
    mh_ropc_create_attachment(&b, 0, S_MESSAGE, S_ATTACH);
    mh_ropc_get_contents_table(&b, 0, S_FOLDER, S_TABLE, 0);
    mh_ropc_open_stream(&b, 0, S_MESSAGE, S_STREAM, MH_TAG(0x1000, PT_UNICODE),
                        MH_STREAM_CREATE);
    mh_ropc_open_folder(&b, 0, S_LOGON, S_STALE, fids[4], 0);
    mh_ropc_release(&b, 0, S_STALE);
    mh_rop_batch_set_handle(&b, S_UNKNOWN, 0x00ABCDEF);
    mh_fixture_out *o;
    size_t n;
    if (run(&b, &o, &n) != 0 || n != 1 || o[0].n != S_COUNT)
        return -1;
    memcpy(objs, o[0].handles, sizeof(objs));
    for (int i = 0; i <= S_STALE; i++)
        if ((i == S_FREE) != (objs[i] == 0xFFFFFFFF))
            return -1;
    if (mh_obj_find(&(mh_ropctx){.ses = F.ses}, objs[S_STALE]) != NULL)
        return -1;
    return 0;
}

#define T(x) MH_OTM(MH_OT_##x)
/* The objects each implemented ROP works on, from its spec's request
 * description (InputHandleIndex); 0 for the ROPs that take any
 * (RopRelease, RopProgress, RopGetAddressTypes, RopOptionsData). */
static uint32_t accepted(uint8_t id)
{
    switch (id) {
    /* MS-OXCSTOR: the logon */
    case 0x27: case 0x26: case 0x68: case 0x7B: case 0x43: case 0x44: case 0x60:
    case 0x61: case 0x63: case 0x42: case 0x45:
        return T(LOGON);
    /* MS-OXCFOLD */
    case 0x02:
        return T(LOGON) | T(FOLDER);
    case 0x1C: case 0x1D: case 0x30: case 0x31: case 0x33: case 0x35: case 0x36:
    case 0x58: case 0x92: case 0x1E: case 0x91: case 0x04: case 0x05:
        return T(FOLDER);
    /* MS-OXCMSG */
    case 0x03: case 0x06:
        return T(LOGON) | T(FOLDER);
    case 0x0C: case 0x0D: case 0x0E: case 0x0F: case 0x10: case 0x11: case 0x21:
    case 0x22: case 0x23: case 0x24: case 0x52:
        return T(MESSAGE);
    case 0x1F: case 0x20: case 0x66:
        return T(FOLDER);
    case 0x25: case 0x46:
        return T(ATTACHMENT);
    /* MS-OXCPRPT: properties, streams */
    case 0x07: case 0x08: case 0x09: case 0x0A: case 0x79: case 0x0B: case 0x7A:
    case 0x5F: case 0x56: case 0x55:
        return T(LOGON) | T(FOLDER) | T(MESSAGE) | T(ATTACHMENT);
    case 0x67: case 0x39: case 0x2B:
        return T(FOLDER) | T(MESSAGE) | T(ATTACHMENT);
    case 0x2C: case 0x2D: case 0xA3: case 0x5D: case 0x5E: case 0x2F: case 0x2E:
    case 0x3A: case 0x5B: case 0x5C: case 0x90: case 0x3B:
        return T(STREAM);
    /* MS-OXCPERM, MS-OXORULE */
    case 0x40: case 0x3E: case 0x41: case 0x3F:
        return T(FOLDER);
    /* MS-OXOMSG: RopGetTransportFolder on the logon; RopGetAddressTypes
     * and RopOptionsData take any object (the server ignores it) */
    case 0x6D:
        return T(LOGON);
    /* MS-OXCTABL */
    case 0x12: case 0x13: case 0x14: case 0x15: case 0x38: case 0x16: case 0x17:
    case 0x18: case 0x19: case 0x1A: case 0x1B: case 0x37: case 0x4F: case 0x89:
    case 0x81: case 0x59: case 0x5A: case 0x6B: case 0x6C:
        return T(TABLE);
    default:
        return 0;
    }
}
#undef T

/* The first slot holding an object of an accepted type. */
static uint8_t good_slot(uint32_t types)
{
    for (uint8_t i = 0; i < 6; i++)
        if (types & MH_OTM(slot_type[i]))
            return i;
    return S_LOGON;
}

/* A sample with its handle indexes set (-1: keep); *h_r its header. */
static size_t sample_with(const char *hex, unsigned char *buf, size_t cap, int in, int dest,
                          int out, mh_ropheader *h_r)
{
    size_t len = mh_test_unhex(hex, buf, cap);
    mh_rd rd;
    mh_rd_init(&rd, buf, len);
    if (mh_rd_ropheader(&rd, h_r) != 0)
        return 0;
    size_t pos = 2;
    uint8_t fl = h_r->info->flags;
    if (fl & MH_ROPF_RESPONSE_INDEX)
        pos++;
    if (fl & MH_ROPF_INPUT) {
        if (in >= 0)
            buf[pos] = (uint8_t)in;
        pos++;
    }
    if (fl & MH_ROPF_DEST) {
        if (dest >= 0)
            buf[pos] = (uint8_t)dest;
        pos++;
    }
    if ((fl & MH_ROPF_OUTPUT) && out >= 0)
        buf[pos] = (uint8_t)out;
    mh_rd_init(&rd, buf, len);
    mh_rd_ropheader(&rd, h_r);
    return len;
}

/* Runs [request, RopGetStoreState(0)] against the objects.  Checks the
 * second response is the store state, and the request's response is
 * exactly `want` (when given).  Returns the request's ReturnValue, or
 * 0xDEADBEEF when the batch failed. */
static uint32_t run_then_state(const unsigned char *req, size_t len, const mh_wr *want,
                               const char *what)
{
    mh_wr w;
    mh_wr_init(&w, P, len + 3);
    mh_wr_bytes(&w, req, len);
    mh_wr_u8(&w, ROP_GET_STORE_STATE);
    mh_wr_u8(&w, 0);
    mh_wr_u8(&w, S_LOGON);
    uint32_t h[S_COUNT];
    memcpy(h, objs, sizeof(h));
    mh_fixture_in in = {w.buf, w.len, h, S_COUNT, 1, 1};
    mh_fixture_out *o;
    size_t n;
    uint32_t ec = mh_fixture_exec_bufs(&F, &in, 1, &o, &n);
    if (ec != 0 || n != 1) {
        printf("# %s: Execute 0x%x\n", what, (unsigned)ec);
        CHECK(0);
        return 0xDEADBEEF;
    }
    size_t rl = o[0].len;
    int ok = rl >= 10 + (want ? want->len : 6) && o[0].rops[rl - 10] == ROP_GET_STORE_STATE &&
             mh_get_u32(o[0].rops + rl - 8) == 0;
    if (want && ok)
        ok = rl - 10 == want->len && memcmp(o[0].rops, want->buf, want->len) == 0;
    if (!ok) {
        printf("# %s: unexpected response\n", what);
        if (want)
            mh_test_hexdump("want", want->buf, want->len);
        mh_test_hexdump("got", o[0].rops, o[0].len);
        CHECK(0);
        return 0xDEADBEEF;
    }
    CHECK(1);
    if (log_errors) {
        printf("# %s: errors logged\n", what);
        CHECK(0);
        log_errors = 0;
    }
    return rl >= 16 ? mh_get_u32(o[0].rops + 2) : 0;
}

/* The next Execute works: RopGetStoreState on the logon. */
static void check_next_execute(const char *what)
{
    mh_rop_batch b;
    batch(&b);
    mh_rop_batch_set_handle(&b, 0, logon);
    get_store_state(&b, 0);
    mh_fixture_out *o;
    size_t n;
    uint32_t ec = run(&b, &o, &n);
    int ok = ec == 0 && n == 1 && o[0].len == 10 && mh_get_u32(o[0].rops + 2) == 0;
    if (!ok)
        printf("# %s: the next Execute failed\n", what);
    CHECK(ok);
}

static void want_failure(mh_wr *w, const mh_ropheader *h, uint8_t idx, uint32_t ec, uint8_t dest)
{
    mh_wr_init(w, P, 32);
    mh_rop_write_failure(w, h->id, idx, ec, dest);
}

/* (a) An input handle index past the table, a slot holding 0xFFFFFFFF, a
 * released handle, a handle never issued: ecNullObject in the ROP's
 * failure layout (MS-OXCROPS 3.2.5.1); output and destination indexes the
 * same (ecNullObject, ecDstNullObject with DestHandleIndex). */
static void test_bad_handle_index(void)
{
    int seen[256] = {0};
    unsigned cases = 0;
    for (size_t si = 0; si < MH_ROP_SAMPLE_COUNT; si++) {
        apr_pool_clear(P);
        unsigned char buf[512];
        mh_ropheader h;
        REQUIRE(sample_with(mh_rop_samples[si], buf, sizeof(buf), -1, -1, -1, &h) > 0);
        if (seen[h.id]++ || !mh_rop_handler(h.id))
            continue;
        REQUIRE(setup_objects() == 0);
        uint32_t types = accepted(h.id);
        uint8_t good = good_slot(types);
        char what[96];
        mh_wr want;
        if (h.info->flags & MH_ROPF_INPUT) {
            static const uint8_t bad[] = {S_PAST, S_FREE, S_STALE, S_UNKNOWN};
            for (size_t b = 0; b < sizeof(bad); b++) {
                size_t len = sample_with(mh_rop_samples[si], buf, sizeof(buf), bad[b], good,
                                         S_FREE, &h);
                snprintf(what, sizeof(what), "%s, input index %u", h.info->name, bad[b]);
                if (h.info->flags & MH_ROPF_NO_RESPONSE) {
                    mh_wr_init(&want, P, 1); /* RopRelease: nothing */
                } else {
                    want_failure(&want, &h, h.resp_idx, EC_NULL_OBJECT, h.dest_idx);
                }
                run_then_state(buf, len, &want, what);
                cases++;
            }
        }
        if (h.info->flags & MH_ROPF_OUTPUT) {
            size_t len = sample_with(mh_rop_samples[si], buf, sizeof(buf), good, good, S_PAST,
                                     &h);
            snprintf(what, sizeof(what), "%s, output index %u", h.info->name, S_PAST);
            want_failure(&want, &h, h.resp_idx, EC_NULL_OBJECT, h.dest_idx);
            run_then_state(buf, len, &want, what);
            cases++;
        }
        if (h.info->flags & MH_ROPF_DEST) {
            static const uint8_t bad[] = {S_PAST, S_FREE, S_STALE};
            for (size_t b = 0; b < sizeof(bad); b++) {
                size_t len = sample_with(mh_rop_samples[si], buf, sizeof(buf), good, bad[b],
                                         S_FREE, &h);
                snprintf(what, sizeof(what), "%s, destination index %u", h.info->name,
                         bad[b]);
                want_failure(&want, &h, h.resp_idx, EC_DST_NULL_OBJECT, bad[b]);
                run_then_state(buf, len, &want, what);
                cases++;
            }
        }
        check_next_execute(h.info->name);
    }
    CHECK(cases > 150);
}

/* (b) An object of a type the ROP does not work on: ecNotSupported
 * (0x80040102) in its failure layout, nothing done. */
static void test_wrong_object(void)
{
    int seen[256] = {0};
    unsigned cases = 0;
    for (size_t si = 0; si < MH_ROP_SAMPLE_COUNT; si++) {
        apr_pool_clear(P);
        unsigned char buf[512];
        mh_ropheader h;
        REQUIRE(sample_with(mh_rop_samples[si], buf, sizeof(buf), -1, -1, -1, &h) > 0);
        if (seen[h.id]++ || !mh_rop_handler(h.id) || !(h.info->flags & MH_ROPF_INPUT))
            continue;
        uint32_t types = accepted(h.id);
        if (!types)
            continue; /* RopRelease, RopProgress: any object */
        REQUIRE(setup_objects() == 0);
        uint8_t good = good_slot(types);
        for (uint8_t t = 0; t < 6; t++) {
            if (types & MH_OTM(slot_type[t]))
                continue;
            size_t len = sample_with(mh_rop_samples[si], buf, sizeof(buf), t, good, S_FREE,
                                     &h);
            char what[96];
            snprintf(what, sizeof(what), "%s on a %s", h.info->name,
                     mh_otype_name(slot_type[t]));
            mh_wr want;
            want_failure(&want, &h, h.resp_idx, MAPI_E_NO_SUPPORT, h.dest_idx);
            const unsigned char *snap;
            size_t snap_len;
            mh_fixture_mark mark;
            mh_fixture_state(&F, P, &snap, &snap_len);
            REQUIRE(mh_fixture_store_mark(&F, &mark) == 0);
            run_then_state(buf, len, &want, what);
            if (!same_state(snap, snap_len, &mark)) {
                printf("# %s changed something\n", what);
                CHECK(0);
                REQUIRE(setup_objects() == 0);
            }
            cases++;
        }
        /* a destination of the wrong type: the same, with the source right */
        for (uint8_t t = 0; t < 6 && (h.info->flags & MH_ROPF_DEST); t++) {
            if (types & MH_OTM(slot_type[t]))
                continue;
            size_t len = sample_with(mh_rop_samples[si], buf, sizeof(buf), good, t, S_FREE,
                                     &h);
            char what[96];
            snprintf(what, sizeof(what), "%s to a %s", h.info->name,
                     mh_otype_name(slot_type[t]));
            mh_wr want;
            want_failure(&want, &h, h.resp_idx, MAPI_E_NO_SUPPORT, h.dest_idx);
            run_then_state(buf, len, &want, what);
            cases++;
        }
        check_next_execute(h.info->name);
    }
    CHECK(cases > 300);
}

/* (c) Every request cut short at every byte, after a ROP that would
 * change the session: the Execute fails with ecRpcFormat and nothing
 * changed; the next Execute works. */
static void test_truncated(void)
{
    REQUIRE(setup_objects() == 0);
    unsigned cases = 0;
    for (size_t si = 0; si < MH_ROP_SAMPLE_COUNT; si++) {
        apr_pool_clear(P);
        unsigned char buf[512];
        mh_ropheader h;
        size_t len = sample_with(mh_rop_samples[si], buf, sizeof(buf), -1, -1, -1, &h);
        REQUIRE(len > 0);
        uint8_t good = good_slot(accepted(h.id));
        len = sample_with(mh_rop_samples[si], buf, sizeof(buf), good, good, S_FREE, &h);
        const unsigned char *snap;
        size_t snap_len;
        mh_fixture_mark mark;
        mh_fixture_state(&F, P, &snap, &snap_len);
        REQUIRE(mh_fixture_store_mark(&F, &mark) == 0);
        for (size_t cut = 1; cut < len; cut++) {
            mh_wr w;
            mh_wr_init(&w, P, len + 16);
            /* RopOpenFolder into the free slot: a new object if it ran */
            mh_wr_bytes(&w, "\x02\x00\x01", 3);
            mh_wr_u8(&w, S_FREE);
            mh_wr_u64(&w, fids[4]);
            mh_wr_u8(&w, 0);
            mh_wr_bytes(&w, buf, cut);
            uint32_t hh[S_COUNT];
            memcpy(hh, objs, sizeof(hh));
            mh_fixture_in in = {w.buf, w.len, hh, S_COUNT, 1, 1};
            mh_fixture_out *o;
            size_t n;
            uint32_t ec = mh_fixture_exec_bufs(&F, &in, 1, &o, &n);
            if (ec != EC_RPC_FORMAT)
                printf("# %s cut at %zu: 0x%x\n", h.info->name, cut, (unsigned)ec);
            CHECK_EQ_U(ec, EC_RPC_FORMAT);
            cases++;
        }
        CHECK(same_state(snap, snap_len, &mark));
        check_next_execute(h.info->name);
    }
    CHECK(cases > 1000);

    /* the same for the RopBuffer around them: every cut of the extended
     * buffer, the RopSize, the handle table */
    apr_pool_clear(P);
    mh_rop_batch b;
    batch(&b);
    mh_rop_batch_set_handle(&b, 0, logon);
    mh_ropc_open_folder(&b, 0, 0, 1, fids[4], 0);
    for (int i = 0; i < 20; i++)
        get_store_state(&b, 0);
    size_t plen;
    const unsigned char *payload = mh_rop_batch_buffer(&b, &plen);
    const unsigned char *snap;
    size_t snap_len;
    mh_fixture_mark mark;
    mh_fixture_state(&F, P, &snap, &snap_len);
    REQUIRE(mh_fixture_store_mark(&F, &mark) == 0);
    for (int form = 0; form < 4; form++) {
        mh_wr w;
        mh_wr_init(&w, P, plen + 16);
        mh_rpcext_append(&w, payload, plen, form & 1, form & 2, 1);
        unsigned char *copy = apr_pmemdup(P, w.buf, w.len);
        for (size_t cut = 0; cut < w.len; cut++) {
            mh_fixture_out *o;
            size_t n;
            CHECK_EQ_U(mh_fixture_exec_raw(&F, copy, cut, &o, &n), EC_RPC_FORMAT);
        }
    }
    /* RopSize past the payload, below 2, a handle table not whole */
    static const uint16_t sizes[] = {0, 1, 0xFFFF};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]) + 1; i++) {
        unsigned char *p = apr_pmemdup(P, payload, plen);
        size_t pl = plen;
        if (i < sizeof(sizes) / sizeof(sizes[0]))
            mh_put_u16(p, sizes[i]);
        else
            pl -= 1;
        mh_wr w;
        mh_wr_init(&w, P, plen + 16);
        mh_rpcext_append(&w, p, pl, 0, 0, 1);
        mh_fixture_out *o;
        size_t n;
        CHECK_EQ_U(mh_fixture_exec_raw(&F, w.buf, w.len, &o, &n), EC_RPC_FORMAT);
    }
    CHECK(same_state(snap, snap_len, &mark));
    check_next_execute("RopBuffer cuts");
}

/*
 * (d) Oversized counts and sizes: each 2- and 4-byte field of every
 * implemented request's body set to its largest value (and 0x8000 /
 * 0x80000000).  Either the Execute fails with ecRpcFormat and nothing
 * changed (the count runs past the bytes), or the ROP answers with its own
 * response - its RopId and index, and on failure its failure layout - and
 * the ROP after it still runs; the next Execute works.
 */
static void test_oversized(void)
{
    unsigned formats = 0, answered = 0;
    for (size_t si = 0; si < MH_ROP_SAMPLE_COUNT; si++) {
        apr_pool_clear(P);
        unsigned char orig[512];
        mh_ropheader h;
        size_t len = sample_with(mh_rop_samples[si], orig, sizeof(orig), -1, -1, -1, &h);
        REQUIRE(len > 0);
        if (!mh_rop_handler(h.id) || h.id == 0x01)
            continue;
        uint8_t good = good_slot(accepted(h.id));
        len = sample_with(mh_rop_samples[si], orig, sizeof(orig), good, good, S_FREE, &h);
        /* the body starts after the header */
        mh_rd rd;
        mh_rd_init(&rd, orig, len);
        mh_ropheader hh;
        REQUIRE(mh_rd_ropheader(&rd, &hh) == 0);
        size_t body = (size_t)(rd.p - orig);
        REQUIRE(setup_objects() == 0);
        static const uint32_t big16[] = {0xFFFF, 0x8000};
        static const uint32_t big32[] = {0xFFFFFFFF, 0x80000000};
        for (size_t off = body; off < len; off++) {
            for (int width = 2; width <= 4; width += 2) {
                if (off + (size_t)width > len)
                    continue;
                for (int v = 0; v < 2; v++) {
                    unsigned char buf[512];
                    memcpy(buf, orig, len);
                    if (width == 2)
                        mh_put_u16(buf + off, (uint16_t)big16[v]);
                    else
                        mh_put_u32(buf + off, big32[v]);
                    if (memcmp(buf, orig, len) == 0)
                        continue;
                    char what[96];
                    snprintf(what, sizeof(what), "%s, %d bytes at %zu = 0x%x", h.info->name,
                             width, off, (unsigned)(width == 2 ? big16[v] : big32[v]));
                    mh_wr w;
                    mh_wr_init(&w, P, len + 3);
                    mh_wr_bytes(&w, buf, len);
                    mh_wr_bytes(&w, "\x7B\x00\x00", 3);
                    uint32_t hs[S_COUNT];
                    memcpy(hs, objs, sizeof(hs));
                    const unsigned char *snap;
                    size_t snap_len;
                    mh_fixture_mark mark;
                    mh_fixture_state(&F, P, &snap, &snap_len);
                    REQUIRE(mh_fixture_store_mark(&F, &mark) == 0);
                    mh_fixture_in in = {w.buf, w.len, hs, S_COUNT, 1, 1};
                    mh_fixture_out *o;
                    size_t n;
                    uint32_t ec = mh_fixture_exec_bufs(&F, &in, 1, &o, &n);
                    if (ec == EC_RPC_FORMAT) {
                        formats++;
                        if (!same_state(snap, snap_len, &mark)) {
                            printf("# %s: ecRpcFormat after a change\n", what);
                            CHECK(0);
                        }
                        continue;
                    }
                    answered++;
                    /* does the batch still read as [this ROP][GetStoreState]?
                     * A count or size that now takes in the next ROP's
                     * bytes makes it read otherwise; then only the
                     * first response is checked */
                    size_t offs[8];
                    int strict = req_offsets(w.buf, w.len, offs, 7) == 2 && offs[1] == len;
                    int ok = ec == 0 && n == 1 && o[0].len >= 6;
                    const unsigned char *r = ok ? o[0].rops : NULL;
                    size_t rl = ok ? o[0].len : 0;
                    ok = ok && r[0] == (h.id == 0x1F ? 0x20 : h.id) && r[1] == h.resp_idx;
                    /* the store state follows (a new logon on id 0 takes
                     * the old one's objects with it: ecNullObject then) */
                    if (ok && strict)
                        ok = rl >= 16 && ((r[rl - 10] == ROP_GET_STORE_STATE &&
                                           mh_get_u32(r + rl - 8) == 0) ||
                                          (h.id == 0xFE && r[rl - 6] == ROP_GET_STORE_STATE &&
                                           mh_get_u32(r + rl - 4) == EC_NULL_OBJECT));
                    uint32_t rv = ok ? mh_get_u32(r + 2) : 0;
                    /* a failure (not a warning, 0x0004xxxx) has the ROP's
                     * failure layout */
                    if (ok && strict && rv != 0 && (rv & 0xFFFF0000u) != 0x00040000u &&
                        h.id != 0xFE) {
                        mh_wr fw;
                        want_failure(&fw, &h, h.resp_idx, rv, h.dest_idx);
                        ok = rl - 10 == fw.len;
                    }
                    if (!ok) {
                        printf("# %s: Execute 0x%x, unexpected response\n", what,
                               (unsigned)ec);
                        if (ec == 0 && n)
                            mh_test_hexdump("got", o[0].rops, o[0].len);
                        CHECK(0);
                    }
                    if (log_errors) {
                        printf("# %s: errors logged\n", what);
                        CHECK(0);
                        log_errors = 0;
                    }
                    /* the objects may be gone now (a save, a logon): anew */
                    REQUIRE(setup_objects() == 0);
                }
            }
        }
        check_next_execute(h.info->name);
    }
    printf("# oversized: %u refused as ecRpcFormat, %u answered\n", formats, answered);
    CHECK(formats > 100 && answered > 100);
}

/* ------------------------------------------- found by fuzz_execute */

/* A stream opened with Create and committed (and read) in the same batch
 * without a byte written: its data was a NULL pointer then, copied and
 * offset from (undefined behaviour, seen by UBSan).  The value becomes
 * empty. */
static void test_empty_stream_commit(void)
{
    apr_pool_clear(P);
    REQUIRE(relogon() == 0);
    mh_rop_batch b;
    batch(&b);
    mh_rop_batch_set_handle(&b, 0, logon);
    mh_ropc_open_folder(&b, 0, 0, 1, fids[4], 0);
    mh_ropc_create_message(&b, 0, 1, 2, 1252, fids[4], 0);
    const mh_proptag body = MH_TAG(0x1000, PT_UNICODE);
    mh_ropc_open_stream(&b, 0, 2, 3, body, MH_STREAM_CREATE);
    mh_ropc_read_stream(&b, 0, 3, 0x100, 0);
    mh_ropc_commit_stream(&b, 0, 3);
    mh_ropc_get_stream_size(&b, 0, 3);
    mh_ropc_get_props_specific(&b, 0, 2, 0, 1, &body, 1);
    mh_fixture_out *o;
    size_t n;
    REQUIRE(run(&b, &o, &n) == 0);
    mh_rd rd;
    mh_rd_init(&rd, o[0].rops, o[0].len);
    mh_ropc_open_folder_r of;
    mh_ropc_create_message_r cm;
    mh_ropc_stream_size_r os, gs;
    mh_ropc_read_stream_r rs;
    mh_ropc_hdr ch;
    mh_ropc_props_r pr;
    REQUIRE(mh_ropc_open_folder_parse(&rd, P, &of) == 0 && of.h.rv == 0);
    REQUIRE(mh_ropc_create_message_parse(&rd, &cm) == 0 && cm.h.rv == 0);
    REQUIRE(mh_ropc_open_stream_parse(&rd, &os) == 0);
    CHECK_EQ_U(os.h.rv, 0);
    CHECK_EQ_U(os.size, 0);
    REQUIRE(mh_ropc_read_stream_parse(&rd, &rs) == 0);
    CHECK_EQ_U(rs.h.rv, 0);
    CHECK_EQ_U(rs.size, 0);
    REQUIRE(mh_ropc_simple_parse(&rd, 0x5D, &ch) == 0);
    CHECK_EQ_U(ch.rv, 0);
    REQUIRE(mh_ropc_get_stream_size_parse(&rd, &gs) == 0);
    CHECK_EQ_U(gs.h.rv, 0);
    CHECK_EQ_U(gs.size, 0);
    REQUIRE(mh_ropc_get_props_specific_parse(&rd, &body, 1, 1252, P, &pr) == 0);
    CHECK_EQ_U(pr.h.rv, 0);
    CHECK_EQ_U(pr.vals[0].tag, body);
    CHECK_STR(pr.vals[0].v.str, "");
    CHECK_EQ_U(mh_rd_left(&rd), 0);
}

int main(void)
{
    MH_TEST_INIT();
    if (mh_fixture_open(&F, "engine") != 0)
        return 1;
    apr_pool_create(&P, F.pool);
    mh_log_set_sink(log_sink, NULL, MH_LOG_WARNING);
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
    RUN(test_bad_handle_index);
    RUN(test_wrong_object);
    RUN(test_truncated);
    RUN(test_oversized);
    RUN(test_empty_stream_commit);
    mh_fixture_close(&F);
    return MH_TEST_DONE();
}
