/*
 * test_emsmdb_client.c - the mailbox endpoint client (tools/mh_emsmdb.[ch]):
 * ROP request bytes against the MS-OXCROPS / MS-OXC* section 4 examples
 * where the specifications have one and hand-computed bytes otherwise,
 * response parsers on the examples' responses and on truncated and
 * foreign input, and the Connect/Execute bodies against the server's own
 * parsers and builders (mh_bodies, mh_rpcext).
 */
#include "mh_bodies.h"
#include "mh_emsmdb.h"
#include "mh_mapierr.h"
#include "mh_ropinfo.h"
#include "mh_rpcext.h"
#include "mh_test.h"
#include "mh_unicode.h"

#include <apr_strings.h>

static apr_pool_t *pool;

/* The RopsList a batch holds (the RopSize and handle table stripped). */
static const unsigned char *rops_of(const mh_rop_batch *b, size_t *len)
{
    *len = b->rops.len;
    return b->rops.buf;
}

#define CHECK_ROP(b, hex)                                                        \
    do {                                                                         \
        unsigned char want_[512];                                                \
        size_t wn_ = mh_test_unhex(hex, want_, sizeof(want_));                   \
        size_t gn_;                                                              \
        const unsigned char *got_ = rops_of(&(b), &gn_);                         \
        CHECK_MEM(got_, gn_, want_, wn_);                                        \
    } while (0)

static mh_rd reader(const char *hex, unsigned char *buf, size_t cap)
{
    mh_rd rd;
    size_t n = mh_test_unhex(hex, buf, cap);
    mh_rd_init(&rd, buf, n);
    return rd;
}

/* ------------------------------------------------- spec examples */

static void test_release_example(void)
{
    /* MS-OXCROPS 4.4: two RopRelease requests, handles 0x6F and 0x6E */
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_ropc_release(&b, 0, 0);
    mh_ropc_release(&b, 0, 1);
    mh_rop_batch_set_handle(&b, 0, 0x6F);
    mh_rop_batch_set_handle(&b, 1, 0x6E);
    size_t n;
    const unsigned char *buf = mh_rop_batch_buffer(&b, &n);
    unsigned char want[32];
    size_t wn = mh_test_unhex("08 00 01 00 00 01 00 01 6F 00 00 00 6E 00 00 00", want,
                              sizeof(want));
    CHECK_MEM(buf, n, want, wn);
    CHECK_EQ_U(b.n_rops, 2);
}

static void test_query_rows_example(void)
{
    /* MS-OXCTABL 4.5.3.1: advance, forward, 50 rows */
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_ropc_query_rows(&b, 0, 0, MH_QUERY_ADVANCE, 1, 50);
    CHECK_ROP(b, "15 00 00 00 01 32 00");
}

static void test_save_changes_message_example(void)
{
    /* MS-OXCMSG 4.8.1: ResponseHandleIndex 0, InputHandleIndex 1,
     * SaveFlags 0x0A */
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_ropc_save_changes_message(&b, 0, 0, 1, 0x0A);
    CHECK_ROP(b, "0c 00 00 01 0a");
    CHECK_EQ_U(b.n_handles, 2);
}

static void test_move_folder_example(void)
{
    /* MS-OXCFOLD 4.5.1: source 1, destination 2, asynchronous, Unicode,
     * FID 0001-00000E8EDF36, "Folder1" */
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_ropc_move_folder(&b, 0, 1, 2, 1, 1, 0x36DF8E0E00000001ull, "Folder1");
    CHECK_ROP(b, "35 00 01 02 01 01 01 00 00 00 0E 8E DF 36 46 00 6F 00 6C 00 64 00"
                 "65 00 72 00 31 00 00 00");
    CHECK_EQ_U(b.n_handles, 3);
}

static void test_rules_table_example_responses(void)
{
    /* MS-OXORULE 4.2.2: RopGetRulesTable, RopSetColumns and the head of
     * RopQueryRows, as the server answered */
    unsigned char buf[64];
    mh_rd rd = reader("3f 01 00 00 00 00 12 01 00 00 00 00 00", buf, sizeof(buf));
    mh_ropc_hdr h;
    REQUIRE(mh_ropc_simple_parse(&rd, MH_ROPID_GET_RULES_TABLE, &h) == 0);
    CHECK_EQ_U(h.handle_idx, 1);
    CHECK_EQ_U(h.rv, 0);
    mh_ropc_status_r st;
    REQUIRE(mh_ropc_set_columns_parse(&rd, &st) == 0);
    CHECK_EQ_U(st.h.handle_idx, 1);
    CHECK_EQ_U(st.table_status, 0);
    CHECK_EQ_U(mh_rd_left(&rd), 0);
}

static void test_sort_table_example_response(void)
{
    /* MS-OXCTABL 4.3.2 */
    unsigned char buf[16];
    mh_rd rd = reader("13 01 00 00 00 00 00", buf, sizeof(buf));
    mh_ropc_status_r st;
    REQUIRE(mh_ropc_sort_table_parse(&rd, &st) == 0);
    CHECK_EQ_U(st.h.rop_id, MH_ROPID_SORT_TABLE);
    CHECK_EQ_U(st.h.handle_idx, 1);
    CHECK_EQ_U(st.table_status, 0);
    /* the same bytes are not a RopRestrict response */
    rd = reader("13 01 00 00 00 00 00", buf, sizeof(buf));
    CHECK(mh_ropc_restrict_parse(&rd, &st) < 0);
    CHECK(rd.err);
}

/* ------------------------------------------- hand-computed requests */

static void test_logon_request(void)
{
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_ropc_logon(&b, 0, 0, MH_LOGON_PRIVATE, MH_LOGON_OPEN_DEFAULT, 0, "/o=X/cn=a");
    /* RopId, LogonId, OutputHandleIndex, LogonFlags, OpenFlags, StoreState,
     * EssdnSize (with the NUL), Essdn */
    CHECK_ROP(b, "fe 00 00 01 0c 04 00 01 00 00 00 00 0a 00"
                 "2f 6f 3d 58 2f 63 6e 3d 61 00");
    size_t n;
    const unsigned char *buf = mh_rop_batch_buffer(&b, &n);
    /* RopSize 2 + 24, one handle slot for the output: 0xFFFFFFFF */
    CHECK_EQ_U(n, 2 + 24 + 4);
    CHECK_EQ_U(mh_get_u16(buf), 26);
    CHECK_EQ_U(mh_get_u32(buf + 26), 0xFFFFFFFFu);
}

static void test_folder_requests(void)
{
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_ropc_open_folder(&b, 0, 0, 1, 0x0807060504030201ull, 0);
    CHECK_ROP(b, "02 00 00 01 01 02 03 04 05 06 07 08 00");

    mh_rop_batch_init(&b, pool);
    mh_ropc_create_folder(&b, 0, 1, 2, MH_ROPC_FOLDER_GENERIC, 1, 0, "A", "");
    CHECK_ROP(b, "1c 00 01 02 01 01 00 00 41 00 00 00 00 00");
    mh_rop_batch_init(&b, pool);
    mh_ropc_create_folder(&b, 0, 1, 2, MH_ROPC_FOLDER_GENERIC, 0, 1, "A", "c");
    CHECK_ROP(b, "1c 00 01 02 01 00 01 00 41 00 63 00");

    mh_rop_batch_init(&b, pool);
    mh_ropc_delete_folder(&b, 0, 1, MH_DEL_MESSAGES | MH_DEL_FOLDERS, 0x11);
    CHECK_ROP(b, "1d 00 01 05 11 00 00 00 00 00 00 00");

    uint64_t mids[2] = {0x01, 0x0200000000000001ull};
    mh_rop_batch_init(&b, pool);
    mh_ropc_delete_messages(&b, 0, 1, 0, 1, mids, 2);
    CHECK_ROP(b, "1e 00 01 00 01 02 00 01 00 00 00 00 00 00 00"
                 "01 00 00 00 00 00 00 02");
    mh_rop_batch_init(&b, pool);
    mh_ropc_hard_delete_messages(&b, 0, 1, 0, 0, mids, 1);
    CHECK_ROP(b, "91 00 01 00 00 01 00 01 00 00 00 00 00 00 00");

    mh_rop_batch_init(&b, pool);
    mh_ropc_move_copy_messages(&b, 0, 1, 2, mids, 1, 0, 1);
    CHECK_ROP(b, "33 00 01 02 01 00 01 00 00 00 00 00 00 00 00 01");

    mh_rop_batch_init(&b, pool);
    mh_ropc_copy_folder(&b, 0, 1, 2, 0, 1, 0, 0x22, "B");
    CHECK_ROP(b, "36 00 01 02 00 01 00 22 00 00 00 00 00 00 00 42 00");

    mh_rop_batch_init(&b, pool);
    mh_ropc_empty_folder(&b, 0, 1, 0, 1);
    CHECK_ROP(b, "58 00 01 00 01");

    mh_rop_batch_init(&b, pool);
    mh_ropc_get_hierarchy_table(&b, 0, 1, 2, MH_TABLE_DEPTH);
    mh_ropc_get_contents_table(&b, 0, 1, 3, MH_TABLE_ASSOCIATED);
    CHECK_ROP(b, "04 00 01 02 04 05 00 01 03 02");
    CHECK_EQ_U(b.n_handles, 4);
}

static void test_table_requests(void)
{
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_ropc_query_position(&b, 0, 2);
    mh_ropc_seek_row(&b, 0, 2, MH_BOOKMARK_BEGINNING, -1, 1);
    mh_ropc_create_bookmark(&b, 0, 2);
    CHECK_ROP(b, "17 00 02 18 00 02 00 ff ff ff ff 01 1b 00 02");

    unsigned char bm_bytes[4] = {0xAA, 0xBB, 0xCC, 0xDD};
    mh_bin bm = {4, bm_bytes};
    mh_rop_batch_init(&b, pool);
    mh_ropc_seek_row_bookmark(&b, 0, 2, &bm, 3, 0);
    mh_ropc_free_bookmark(&b, 0, 2, &bm);
    CHECK_ROP(b, "19 00 02 04 00 aa bb cc dd 03 00 00 00 00"
                 "89 00 02 04 00 aa bb cc dd");

    mh_rop_batch_init(&b, pool);
    mh_ropc_expand_row(&b, 0, 2, 10, 0x1122);
    mh_ropc_collapse_row(&b, 0, 2, 0x1122);
    CHECK_ROP(b, "59 00 02 0a 00 22 11 00 00 00 00 00 00"
                 "5a 00 02 22 11 00 00 00 00 00 00");
}

static void test_message_requests(void)
{
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_ropc_create_message(&b, 0, 1, 2, 0x0FFF, 0x10, 0);
    CHECK_ROP(b, "06 00 01 02 ff 0f 10 00 00 00 00 00 00 00 00");

    mh_rop_batch_init(&b, pool);
    mh_ropc_open_message(&b, 0, 1, 2, 0x0FFF, 0x10, MH_OPEN_READ_WRITE, 0x20);
    CHECK_ROP(b, "03 00 01 02 ff 0f 10 00 00 00 00 00 00 00 01"
                 "20 00 00 00 00 00 00 00");

    mh_rop_batch_init(&b, pool);
    mh_ropc_open_embedded_message(&b, 0, 3, 4, 0x0FFF, MH_OPEN_READ_ONLY);
    mh_ropc_read_recipients(&b, 0, 2, 5);
    CHECK_ROP(b, "46 00 03 04 ff 0f 00 0f 00 02 05 00 00 00 00 00");

    mh_rop_batch_init(&b, pool);
    mh_ropc_set_message_read_flag(&b, 0, 1, 2, MH_READ_CLEAR_READ_FLAG | MH_READ_SUPPRESS_RECEIPT,
                                  NULL);
    uint64_t mid = 0x30;
    mh_ropc_set_read_flags(&b, 0, 1, 0, MH_READ_DEFAULT, &mid, 1);
    CHECK_ROP(b, "11 00 01 02 05 66 00 01 00 00 01 00 30 00 00 00 00 00 00 00");

    mh_rop_batch_init(&b, pool);
    mh_ropc_get_attachment_table(&b, 0, 2, 3, 0);
    mh_ropc_create_attachment(&b, 0, 2, 4);
    mh_ropc_open_attachment(&b, 0, 2, 5, 0x01, 7);
    mh_ropc_save_changes_attachment(&b, 0, 2, 4, MH_SAVE_KEEP_OPEN_READ_WRITE);
    CHECK_ROP(b, "21 00 02 03 00 23 00 02 04 22 00 02 05 01 07 00 00 00 25 00 02 04 02");
    CHECK_EQ_U(b.n_handles, 6);
}

static void test_stream_requests(void)
{
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_ropc_open_stream(&b, 0, 1, 2, PR_BODY, MH_STREAM_READ_WRITE);
    mh_ropc_write_stream(&b, 0, 2, "hi", 2);
    mh_ropc_commit_stream(&b, 0, 2);
    CHECK_ROP(b, "2b 00 01 02 1f 00 00 10 01 2d 00 02 02 00 68 69 5d 00 02");

    mh_rop_batch_init(&b, pool);
    mh_ropc_read_stream(&b, 0, 2, 0x100, 0);
    mh_ropc_read_stream(&b, 0, 2, 0xBABE, 0x10000);
    CHECK_ROP(b, "2c 00 02 00 01 2c 00 02 be ba 00 00 01 00");

    mh_rop_batch_init(&b, pool);
    mh_ropc_get_stream_size(&b, 0, 2);
    mh_ropc_set_stream_size(&b, 0, 2, 5);
    mh_ropc_seek_stream(&b, 0, 2, 2, -2);
    CHECK_ROP(b, "5e 00 02 2f 00 02 05 00 00 00 00 00 00 00"
                 "2e 00 02 02 fe ff ff ff ff ff ff ff");
}

static void test_store_requests(void)
{
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_ropc_get_receive_folder(&b, 0, 0, "IPM");
    mh_ropc_long_term_id_from_id(&b, 0, 0, 0x0102);
    CHECK_ROP(b, "27 00 00 49 50 4d 00 43 00 00 02 01 00 00 00 00 00 00");

    mh_long_term_id l;
    for (int i = 0; i < 16; i++)
        l.guid.b[i] = (uint8_t)i;
    for (int i = 0; i < 6; i++)
        l.counter[i] = (uint8_t)(0xA0 + i);
    l.pad = 0;
    mh_rop_batch_init(&b, pool);
    mh_ropc_id_from_long_term_id(&b, 0, 0, &l);
    CHECK_ROP(b, "44 00 00 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f"
                 "a0 a1 a2 a3 a4 a5 00 00");

    mh_rop_batch_init(&b, pool);
    mh_ropc_get_permissions_table(&b, 0, 1, 2, 0x02);
    mh_ropc_get_rules_table(&b, 0, 1, 3, 0x40);
    CHECK_ROP(b, "3e 00 01 02 02 3f 00 01 03 40");
}

static void test_transport_requests(void)
{
    /* MS-OXCROPS 2.2.7.3.1, 2.2.7.8.1, 2.2.7.9.1: GetAddressTypes and
     * GetTransportFolder are the header alone; OptionsData adds
     * AddressType (ASCIIZ) and WantWin32 */
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_ropc_get_address_types(&b, 0, 0);
    mh_ropc_get_transport_folder(&b, 1, 2);
    mh_ropc_options_data(&b, 0, 0, "SMTP", 1);
    mh_ropc_options_data(&b, 0, 3, NULL, 0);
    CHECK_ROP(b, "49 00 00 6d 01 02 6f 00 00 53 4d 54 50 00 01 6f 00 03 00 00");
    CHECK_EQ_U(b.n_rops, 4);
    CHECK_EQ_U(b.n_handles, 4);
}


/* ------------------------------------------ ROPs with MS-OXCDATA parts */

static void test_set_props_example(void)
{
    /* MS-OXCPRPT 4.x (setting properties): PidTagSubjectPrefix "" and
     * PidTagNormalizedSubject "Hello World" */
    mh_propval v[2];
    memset(v, 0, sizeof(v));
    v[0].tag = PR_SUBJECT_PREFIX;
    v[0].v.str = "";
    v[1].tag = PR_NORMALIZED_SUBJECT;
    v[1].v.str = "Hello World";
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_ropc_set_props(&b, 0, 0, v, 2, 1252);
    CHECK_ROP(b, "0A 00 00 24 00 02 00 1F 00 3D 00 00 00 1F 00 1D 0E 48 00 65 00 6C 00 6C"
                 "00 6F 00 20 00 57 00 6F 00 72 00 6C 00 64 00 00 00");
}

static void test_table_requests_oxcdata(void)
{
    mh_proptag cols[2] = {PR_DISPLAY_NAME, PR_CONTENT_COUNT};
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_ropc_set_columns(&b, 0, 2, 0, cols, 2);
    mh_ropc_get_props_specific(&b, 0, 1, 0, 1, cols, 1);
    CHECK_ROP(b, "12 00 02 00 02 00 1f 00 01 30 03 00 02 36"
                 "07 00 01 00 00 01 00 01 00 1f 00 01 30");

    mh_sort_order so = {PR_CONTENT_COUNT, MH_TABLE_SORT_DESCEND};
    mh_sort_set ss = {1, 0, 0, &so};
    mh_restriction r;
    memset(&r, 0, sizeof(r));
    r.type = MH_RES_EXIST;
    r.u.exist.tag = PR_DISPLAY_NAME;
    mh_rop_batch_init(&b, pool);
    mh_ropc_sort_table(&b, 0, 2, 0, &ss);
    mh_ropc_restrict(&b, 0, 2, 0, &r, 1252);
    mh_ropc_restrict(&b, 0, 2, 0, NULL, 1252);
    CHECK_ROP(b, "13 00 02 00 01 00 00 00 00 00 03 00 02 36 01"
                 "14 00 02 00 05 00 08 1f 00 01 30"
                 "14 00 02 00 00 00");

    unsigned char bm_bytes[2] = {1, 2};
    mh_bin bm = {2, bm_bytes};
    mh_rop_batch_init(&b, pool);
    mh_ropc_find_row(&b, 0, 2, 0, &r, MH_BOOKMARK_CUSTOM, &bm, 1252);
    CHECK_ROP(b, "4f 00 02 00 05 00 08 1f 00 01 30 03 02 00 01 02");
}

static void test_rows_responses(void)
{
    mh_proptag cols[2] = {PR_DISPLAY_NAME, PR_CONTENT_COUNT};
    unsigned char buf[128];
    /* QueryRows: Origin END, 2 rows, a standard one and a flagged one whose
     * count is an error */
    mh_rd rd = reader("15 02 00 00 00 00 02 02 00"
                      "00 41 00 00 00 05 00 00 00"
                      "01 00 42 00 00 00 0a 0f 01 04 80"
                      "07 01 00 00 00 00 00 43 00 00 00 07 00 00 00"
                      "4f 02 00 00 00 00 00 01 00 44 00 00 00 01 00 00 00"
                      "59 02 00 00 00 00 03 00 00 00 01 00 00 45 00 00 00 02 00 00 00",
                      buf, sizeof(buf));
    mh_ropc_rows_r qr;
    REQUIRE(mh_ropc_query_rows_parse(&rd, cols, 2, 1252, pool, &qr) == 0);
    CHECK_EQ_U(qr.origin, MH_BOOKMARK_END);
    REQUIRE(qr.n_rows == 2);
    CHECK_STR(qr.rows[0][0].v.str, "A");
    CHECK_EQ_U(qr.rows[0][1].v.i32, 5);
    CHECK_STR(qr.rows[1][0].v.str, "B");
    CHECK_EQ_U(MH_TAG_TYPE(qr.rows[1][1].tag), PT_ERROR);
    CHECK_EQ_U(qr.rows[1][1].v.err, MAPI_E_NOT_FOUND);
    mh_ropc_props_r gp;
    REQUIRE(mh_ropc_get_props_specific_parse(&rd, cols, 2, 1252, pool, &gp) == 0);
    CHECK_STR(gp.vals[0].v.str, "C");
    CHECK_EQ_U(gp.vals[1].v.i32, 7);
    mh_ropc_find_row_r fr;
    REQUIRE(mh_ropc_find_row_parse(&rd, cols, 2, 1252, pool, &fr) == 0);
    CHECK_EQ_U(fr.has_row, 1);
    CHECK_STR(fr.row[0].v.str, "D");
    mh_ropc_expand_r er;
    REQUIRE(mh_ropc_expand_row_parse(&rd, cols, 2, 1252, pool, &er) == 0);
    CHECK_EQ_U(er.expanded_count, 3);
    REQUIRE(er.n_rows == 1);
    CHECK_STR(er.rows[0][0].v.str, "E");
    CHECK_EQ_U(mh_rd_left(&rd), 0);
    /* a row count the bytes cannot hold */
    rd = reader("15 02 00 00 00 00 02 ff ff 00", buf, sizeof(buf));
    CHECK(mh_ropc_query_rows_parse(&rd, cols, 2, 1252, pool, &qr) < 0);
}

static void test_recipients_round_trip(void)
{
    mh_proptag cols[2] = {MH_TAG(0x0FFE, PT_LONG), MH_TAG(0x39FE, PT_UNICODE)};
    mh_propval vals[2];
    memset(vals, 0, sizeof(vals));
    vals[0].tag = cols[0];
    vals[0].v.i32 = 6;
    vals[1].tag = cols[1];
    vals[1].v.str = "r@example.com";
    mh_recipient rc;
    memset(&rc, 0, sizeof(rc));
    rc.flags = MH_RF_TYPE_SMTP;
    rc.display_name = "R\xc3\xa9";
    rc.email = "r@example.com";
    rc.n_cols = 2;
    rc.vals = vals;
    mh_modify_recipient mr = {3, 2, &rc};
    mh_modify_recipient del = {4, 1, NULL};
    mh_modify_recipient rows[2] = {mr, del};
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_ropc_modify_recipients(&b, 0, 1, cols, 2, rows, 2, 1252);
    mh_wr row;
    mh_wr_init(&row, pool, 64);
    mh_wr_recipient_row(&row, &rc, cols, 1252);
    /* flags: SMTP | E | D | U; then UTF-16 email and display name, the
     * column count and a standard row */
    CHECK_EQ_U(mh_get_u16(row.buf), MH_RF_TYPE_SMTP | MH_RF_E | MH_RF_D | MH_RF_U);
    /* the request: columns, 2 rows, each RowId, type, size, row */
    mh_rd rd;
    mh_rd_init(&rd, b.rops.buf, b.rops.len);
    CHECK_EQ_U(mh_rd_u8(&rd), MH_ROPID_MODIFY_RECIPIENTS);
    mh_rd_bytes(&rd, 2);
    CHECK_EQ_U(mh_rd_u16(&rd), 2);
    mh_rd_bytes(&rd, 8);
    CHECK_EQ_U(mh_rd_u16(&rd), 2);
    CHECK_EQ_U(mh_rd_u32(&rd), 3);
    CHECK_EQ_U(mh_rd_u8(&rd), 2);
    CHECK_EQ_U(mh_rd_u16(&rd), row.len);
    const unsigned char *rb = mh_rd_bytes(&rd, row.len);
    CHECK(rb && memcmp(rb, row.buf, row.len) == 0);
    CHECK_EQ_U(mh_rd_u32(&rd), 4);
    CHECK_EQ_U(mh_rd_u8(&rd), 1);
    CHECK_EQ_U(mh_rd_u16(&rd), 0);
    CHECK_EQ_U(mh_rd_left(&rd), 0);

    /* the same row read back through RopReadRecipients (2.2.6.6.2) */
    mh_wr resp;
    mh_wr_init(&resp, pool, 128);
    static const unsigned char hdr[6] = {0x0F, 1, 0, 0, 0, 0};
    mh_wr_bytes(&resp, hdr, 6);
    mh_wr_u8(&resp, 1);
    mh_wr_u32(&resp, 3);
    mh_wr_u8(&resp, 2);
    mh_wr_u16(&resp, 0x0FFF);
    mh_wr_u16(&resp, 0);
    mh_wr_u16(&resp, (uint16_t)row.len);
    mh_wr_bytes(&resp, row.buf, row.len);
    mh_rd_init(&rd, resp.buf, resp.len);
    mh_ropc_read_recipients_r rr;
    REQUIRE(mh_ropc_read_recipients_parse(&rd, cols, 2, 1252, pool, &rr) == 0);
    REQUIRE(rr.n_rows == 1);
    CHECK_EQ_U(rr.rows[0].row_id, 3);
    CHECK_EQ_U(rr.rows[0].recipient_type, 2);
    CHECK_STR(rr.rows[0].display_name, "R\xc3\xa9");
    CHECK_STR(rr.rows[0].email, "r@example.com");
    CHECK_EQ_U(rr.rows[0].n_cols, 2);
    CHECK_EQ_U(rr.rows[0].vals[0].v.i32, 6);
    CHECK_STR(rr.rows[0].vals[1].v.str, "r@example.com");
    /* a RecipientRowSize one byte short of the row is malformed */
    resp.buf[6 + 1 + 4 + 1 + 2 + 2] = (unsigned char)(row.len - 1);
    mh_rd_init(&rd, resp.buf, resp.len);
    CHECK(mh_ropc_read_recipients_parse(&rd, cols, 2, 1252, pool, &rr) < 0);

    /* RopOpenMessage: subject as TypedStrings, the columns, the row */
    mh_wr_init(&resp, pool, 128);
    static const unsigned char ohdr[6] = {0x03, 2, 0, 0, 0, 0};
    mh_wr_bytes(&resp, ohdr, 6);
    mh_wr_u8(&resp, 0);                 /* HasNamedProperties */
    mh_wr_u8(&resp, 0x02);              /* SubjectPrefix: 8-bit */
    mh_wr_asciiz(&resp, "RE: ");
    mh_wr_u8(&resp, 0x04);              /* NormalizedSubject: UTF-16 */
    mh_wr_utf16z(&resp, "Hi");
    mh_wr_u16(&resp, 1);                /* RecipientCount */
    mh_wr_u16(&resp, 2);                /* ColumnCount */
    mh_wr_u32(&resp, cols[0]);
    mh_wr_u32(&resp, cols[1]);
    mh_wr_u8(&resp, 1);                 /* RowCount */
    mh_wr_u8(&resp, 1);                 /* RecipientType */
    mh_wr_u16(&resp, 0x0FFF);
    mh_wr_u16(&resp, 0);
    mh_wr_u16(&resp, (uint16_t)row.len);
    mh_wr_bytes(&resp, row.buf, row.len);
    mh_rd_init(&rd, resp.buf, resp.len);
    mh_ropc_open_message_r om;
    REQUIRE(mh_ropc_open_message_parse(&rd, 1252, pool, &om) == 0);
    CHECK_STR(om.subject_prefix, "RE: ");
    CHECK_STR(om.normalized_subject, "Hi");
    CHECK_EQ_U(om.recipient_count, 1);
    CHECK_EQ_U(om.n_cols, 2);
    REQUIRE(om.n_rows == 1);
    CHECK_STR(om.rows[0].email, "r@example.com");
    CHECK_EQ_U(mh_rd_left(&rd), 0);
}

static void test_props_responses(void)
{
    unsigned char buf[160];
    mh_rd rd = reader("08 01 00 00 00 00 02 00 03 00 02 36 05 00 00 00 1f 00 01 30 41 00 00 00"
                      "09 01 00 00 00 00 01 00 03 00 02 36"
                      "0a 01 00 00 00 00 01 00 00 00 1f 00 37 00 05 00 07 80"
                      "0b 01 00 00 00 00 00 00"
                      "56 01 80 03 04 00 02 00 00 80 00 00"
                      /* PropertyName: Kind, GUID, LID (MS-OXCDATA 2.6.1) */
                      "55 01 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                      "  20 85 00 00",
                      buf, sizeof(buf));
    mh_ropc_props_r all;
    REQUIRE(mh_ropc_get_props_all_parse(&rd, 1252, pool, &all) == 0);
    REQUIRE(all.n == 2);
    CHECK_EQ_U(all.vals[0].tag, PR_CONTENT_COUNT);
    CHECK_EQ_U(all.vals[0].v.i32, 5);
    CHECK_STR(all.vals[1].v.str, "A");
    mh_ropc_tags_r tl;
    REQUIRE(mh_ropc_get_props_list_parse(&rd, pool, &tl) == 0);
    REQUIRE(tl.n == 1);
    CHECK_EQ_U(tl.tags[0], PR_CONTENT_COUNT);
    mh_ropc_problems_r pp;
    REQUIRE(mh_ropc_set_props_parse(&rd, pool, &pp) == 0);
    REQUIRE(pp.n == 1);
    CHECK_EQ_U(pp.problems[0].tag, PR_SUBJECT);
    CHECK_EQ_U(pp.problems[0].err, MAPI_E_NO_ACCESS);
    REQUIRE(mh_ropc_delete_props_parse(&rd, pool, &pp) == 0);
    CHECK_EQ_U(pp.n, 0);
    mh_ropc_ids_r ids;
    REQUIRE(mh_ropc_get_ids_from_names_parse(&rd, pool, &ids) == 0);
    CHECK_EQ_U(ids.h.rv, MAPI_W_ERRORS_RETURNED);
    REQUIRE(ids.n == 2);
    CHECK_EQ_U(ids.ids[0], 0x8000);
    CHECK_EQ_U(ids.ids[1], 0);
    mh_ropc_names_r nm;
    REQUIRE(mh_ropc_get_names_from_ids_parse(&rd, pool, &nm) == 0);
    REQUIRE(nm.n == 1);
    CHECK_EQ_U(nm.names[0].kind, MH_MNID_ID);
    CHECK_EQ_U(nm.names[0].lid, 0x8520);
    CHECK_EQ_U(mh_rd_left(&rd), 0);
}


/*
 * Every builder's request is exactly what the server's RopId table
 * (mh_ropinfo: the common fields, then the ROP's skipper) reads: no byte
 * left over or missing, the RopIds in order.
 */
static void test_requests_match_server_table(void)
{
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_proptag cols[2] = {PR_DISPLAY_NAME, PR_CONTENT_COUNT};
    mh_propval v[1];
    memset(v, 0, sizeof(v));
    v[0].tag = PR_SUBJECT;
    v[0].v.str = "s";
    mh_restriction r;
    memset(&r, 0, sizeof(r));
    r.type = MH_RES_EXIST;
    r.u.exist.tag = PR_SUBJECT;
    mh_sort_order so = {PR_CONTENT_COUNT, 0};
    mh_sort_set ss = {1, 0, 0, &so};
    unsigned char bmb[3] = {1, 2, 3};
    mh_bin bm = {3, bmb};
    uint64_t mids[2] = {1, 2};
    mh_long_term_id l;
    memset(&l, 0, sizeof(l));
    mh_propname pn;
    memset(&pn, 0, sizeof(pn));
    pn.kind = MH_MNID_STRING;
    pn.name = "x";
    uint16_t pid = 0x8000;
    mh_propval rv[2];
    memset(rv, 0, sizeof(rv));
    rv[0].tag = cols[0];
    rv[0].v.str = "n";
    rv[1].tag = cols[1];
    rv[1].v.i32 = 1;
    mh_recipient rc;
    memset(&rc, 0, sizeof(rc));
    rc.flags = MH_RF_TYPE_SMTP;
    rc.display_name = "n";
    rc.email = "e@x";
    rc.n_cols = 2;
    rc.vals = rv;
    mh_modify_recipient mr = {0, 1, &rc};
    mh_modify_row mrow = {0x01, v, 1};

    mh_ropc_logon(&b, 0, 0, MH_LOGON_PRIVATE, MH_LOGON_OPEN_DEFAULT, 0, "/o=x/cn=y");
    mh_ropc_get_receive_folder(&b, 0, 0, "IPM.Note");
    mh_ropc_long_term_id_from_id(&b, 0, 0, 1);
    mh_ropc_id_from_long_term_id(&b, 0, 0, &l);
    mh_ropc_open_folder(&b, 0, 0, 1, 1, 0);
    mh_ropc_create_folder(&b, 0, 1, 2, 1, 1, 1, "f", "c");
    mh_ropc_create_folder(&b, 0, 1, 2, 1, 0, 0, "f", "c");
    mh_ropc_delete_folder(&b, 0, 1, 0x05, 2);
    mh_ropc_delete_messages(&b, 0, 1, 0, 0, mids, 2);
    mh_ropc_hard_delete_messages(&b, 0, 1, 0, 0, mids, 1);
    mh_ropc_move_copy_messages(&b, 0, 1, 2, mids, 2, 0, 1);
    mh_ropc_move_folder(&b, 0, 1, 2, 0, 1, 3, "m");
    mh_ropc_copy_folder(&b, 0, 1, 2, 0, 1, 0, 3, "m");
    mh_ropc_empty_folder(&b, 0, 1, 0, 0);
    mh_ropc_get_hierarchy_table(&b, 0, 1, 3, MH_TABLE_DEPTH);
    mh_ropc_get_contents_table(&b, 0, 1, 3, 0);
    mh_ropc_set_columns(&b, 0, 3, 0, cols, 2);
    mh_ropc_sort_table(&b, 0, 3, 0, &ss);
    mh_ropc_restrict(&b, 0, 3, 0, &r, 1252);
    mh_ropc_query_rows(&b, 0, 3, 0, 1, 10);
    mh_ropc_query_position(&b, 0, 3);
    mh_ropc_seek_row(&b, 0, 3, 0, 1, 1);
    mh_ropc_create_bookmark(&b, 0, 3);
    mh_ropc_seek_row_bookmark(&b, 0, 3, &bm, 1, 0);
    mh_ropc_free_bookmark(&b, 0, 3, &bm);
    mh_ropc_find_row(&b, 0, 3, 0, &r, 0, NULL, 1252);
    mh_ropc_find_row(&b, 0, 3, 0, &r, 3, &bm, 1252);
    mh_ropc_expand_row(&b, 0, 3, 5, 7);
    mh_ropc_collapse_row(&b, 0, 3, 7);
    mh_ropc_create_message(&b, 0, 1, 4, 0x0FFF, 1, 0);
    mh_ropc_set_props(&b, 0, 4, v, 1, 1252);
    mh_ropc_modify_recipients(&b, 0, 4, cols, 2, &mr, 1, 1252);
    mh_ropc_save_changes_message(&b, 0, 1, 4, MH_SAVE_KEEP_OPEN_READ_WRITE);
    mh_ropc_open_message(&b, 0, 1, 4, 0x0FFF, 1, 0, 2);
    mh_ropc_read_recipients(&b, 0, 4, 0);
    mh_ropc_set_message_read_flag(&b, 0, 1, 4, 0, NULL);
    mh_ropc_set_read_flags(&b, 0, 1, 0, 0, mids, 2);
    mh_ropc_get_attachment_table(&b, 0, 4, 5, 0);
    mh_ropc_create_attachment(&b, 0, 4, 5);
    mh_ropc_open_attachment(&b, 0, 4, 5, 0, 0);
    mh_ropc_save_changes_attachment(&b, 0, 4, 5, 0);
    mh_ropc_open_embedded_message(&b, 0, 5, 6, 0x0FFF, 0);
    mh_ropc_get_props_specific(&b, 0, 4, 0, 1, cols, 2);
    mh_ropc_get_props_all(&b, 0, 4, 0, 1);
    mh_ropc_get_props_list(&b, 0, 4);
    mh_ropc_delete_props(&b, 0, 4, cols, 2);
    mh_ropc_get_ids_from_names(&b, 0, 0, MH_NAMES_CREATE, &pn, 1);
    mh_ropc_get_names_from_ids(&b, 0, 0, &pid, 1);
    mh_ropc_open_stream(&b, 0, 4, 6, PR_BODY, 0);
    mh_ropc_read_stream(&b, 0, 6, 10, 0);
    mh_ropc_read_stream(&b, 0, 6, 0xBABE, 100);
    mh_ropc_write_stream(&b, 0, 6, "ab", 2);
    mh_ropc_commit_stream(&b, 0, 6);
    mh_ropc_get_stream_size(&b, 0, 6);
    mh_ropc_set_stream_size(&b, 0, 6, 1);
    mh_ropc_seek_stream(&b, 0, 6, 0, 1);
    mh_ropc_get_permissions_table(&b, 0, 1, 7, 0);
    mh_ropc_get_rules_table(&b, 0, 1, 7, 0);
    mh_ropc_modify_permissions(&b, 0, 1, 0, &mrow, 1, 1252);
    mh_ropc_modify_rules(&b, 0, 1, 0, &mrow, 1, 1252);
    mh_ropc_get_address_types(&b, 0, 0);
    mh_ropc_get_transport_folder(&b, 0, 0);
    mh_ropc_options_data(&b, 0, 0, "EX", 0);
    mh_ropc_release(&b, 0, 7);

    mh_rd rd;
    mh_rd_init(&rd, b.rops.buf, b.rops.len);
    unsigned n = 0;
    while (mh_rd_left(&rd) > 0) {
        mh_ropheader h;
        const unsigned char *at = rd.p;
        if (mh_rd_ropheader(&rd, &h) < 0 || !h.info || h.info->skip(&rd) < 0) {
            printf("# the server's table does not read request %u (RopId 0x%02X)\n", n, at[0]);
            CHECK(0);
            return;
        }
        if (n < sizeof(b.ids))
            CHECK_EQ_U(h.id, b.ids[n]);
        n++;
    }
    CHECK(!rd.err);
    CHECK_EQ_U(n, b.n_rops);
}

/* ------------------------------------------------------ responses */

static void test_logon_response(void)
{
    /* a private logon response built field by field (2.2.3.1.2) */
    mh_wr w;
    mh_wr_init(&w, pool, 256);
    mh_wr_u8(&w, 0xFE);
    mh_wr_u8(&w, 0x00);
    mh_wr_u32(&w, 0);
    mh_wr_u8(&w, MH_LOGON_PRIVATE);
    for (int i = 0; i < MH_LF_COUNT; i++)
        mh_wr_u64(&w, 0x0001000000000000ull * 0 + ((uint64_t)(i + 1) << 56) + 1);
    mh_wr_u8(&w, 0x07); /* Reserved | OwnerRight | SendAsRight */
    for (int i = 0; i < 16; i++)
        mh_wr_u8(&w, (uint8_t)(0x10 + i)); /* MailboxGuid */
    mh_wr_u16(&w, 0x0001);
    for (int i = 0; i < 16; i++)
        mh_wr_u8(&w, (uint8_t)(0x30 + i)); /* ReplGuid */
    const unsigned char t[8] = {5, 4, 3, 2, 28, 2, 0xE8, 0x07}; /* 2024-02-28 03:04:05 */
    mh_wr_bytes(&w, t, 8);
    mh_wr_u64(&w, 0x0123456789ABCDEFull);
    mh_wr_u32(&w, 0);
    mh_wr_u8(&w, 0x01); /* a RopRelease-less next response: RopOpenFolder */
    mh_rd rd;
    mh_rd_init(&rd, w.buf, w.len - 1);
    mh_ropc_logon_r r;
    REQUIRE(mh_ropc_logon_parse(&rd, pool, &r) == 0);
    CHECK_EQ_U(r.h.rv, 0);
    CHECK_EQ_U(r.folder_ids[MH_LF_ROOT], (1ull << 56) + 1);
    CHECK_EQ_U(r.folder_ids[MH_LF_SHORTCUTS], (13ull << 56) + 1);
    CHECK_EQ_U(r.response_flags, 7);
    CHECK_EQ_U(r.mailbox_guid.b[0], 0x10);
    CHECK_EQ_U(r.mailbox_guid.b[15], 0x1F);
    CHECK_EQ_U(r.repl_id, 1);
    CHECK_EQ_U(r.repl_guid.b[15], 0x3F);
    CHECK_EQ_U(r.logon_time.year, 2024);
    CHECK_EQ_U(r.logon_time.month, 2);
    CHECK_EQ_U(r.logon_time.day, 28);
    CHECK_EQ_U(r.logon_time.hour, 3);
    CHECK_EQ_U(r.gwart_time, 0x0123456789ABCDEFull);
    CHECK_EQ_U(mh_rd_left(&rd), 0);

    /* every truncation is malformed, never a read past the end */
    for (size_t cut = 0; cut < w.len - 1; cut++) {
        mh_rd_init(&rd, w.buf, cut);
        CHECK(mh_ropc_logon_parse(&rd, pool, &r) < 0);
    }

    /* failure: the header alone */
    unsigned char buf[64];
    rd = reader("fe 00 eb 03 00 00", buf, sizeof(buf));
    REQUIRE(mh_ropc_logon_parse(&rd, pool, &r) == 0);
    CHECK_EQ_U(r.h.rv, EC_UNKNOWN_USER);
    CHECK_EQ_U(mh_rd_left(&rd), 0);

    /* redirect (2.2.3.1.3): LogonFlags, ServerNameSize, ServerName */
    rd = reader("fe 00 78 04 00 00 01 04 6d 78 32 00", buf, sizeof(buf));
    REQUIRE(mh_ropc_logon_parse(&rd, pool, &r) == 0);
    CHECK_EQ_U(r.h.rv, EC_WRONG_SERVER);
    CHECK_STR(r.server_name, "mx2");
    /* a server name without its NUL is malformed */
    rd = reader("fe 00 78 04 00 00 01 03 6d 78 32", buf, sizeof(buf));
    CHECK(mh_ropc_logon_parse(&rd, pool, &r) < 0);
}

static void test_small_responses(void)
{
    unsigned char buf[128];
    mh_rd rd = reader("02 01 00 00 00 00 01 00"           /* OpenFolder: rules, no ghost */
                      "04 02 00 00 00 00 05 00 00 00"     /* GetHierarchyTable: 5 rows */
                      "05 03 0f 01 04 80"                 /* GetContentsTable failed */
                      "17 02 00 00 00 00 02 00 00 00 09 00 00 00" /* QueryPosition 2/9 */
                      "18 02 00 00 00 00 01 fd ff ff ff"  /* SeekRow: less, -3 */
                      "1b 02 00 00 00 00 02 00 aa bb"     /* CreateBookmark */
                      "06 02 00 00 00 00 00"              /* CreateMessage, no MID */
                      "0c 01 00 00 00 00 02 33 00 00 00 00 00 00 01" /* SaveChanges */
                      "23 04 00 00 00 00 07 00 00 00",    /* CreateAttachment */
                      buf, sizeof(buf));
    mh_ropc_open_folder_r of;
    REQUIRE(mh_ropc_open_folder_parse(&rd, pool, &of) == 0);
    CHECK_EQ_U(of.has_rules, 1);
    CHECK_EQ_U(of.is_ghosted, 0);
    mh_ropc_table_r t;
    REQUIRE(mh_ropc_get_hierarchy_table_parse(&rd, &t) == 0);
    CHECK_EQ_U(t.h.handle_idx, 2);
    CHECK_EQ_U(t.row_count, 5);
    REQUIRE(mh_ropc_get_contents_table_parse(&rd, &t) == 0);
    CHECK_EQ_U(t.h.rv, MAPI_E_NOT_FOUND);
    mh_ropc_position_r qp;
    REQUIRE(mh_ropc_query_position_parse(&rd, &qp) == 0);
    CHECK_EQ_U(qp.numerator, 2);
    CHECK_EQ_U(qp.denominator, 9);
    mh_ropc_seek_r sr;
    REQUIRE(mh_ropc_seek_row_parse(&rd, &sr) == 0);
    CHECK_EQ_U(sr.has_sought_less, 1);
    CHECK(sr.rows_sought == -3);
    mh_ropc_bookmark_r bm;
    REQUIRE(mh_ropc_create_bookmark_parse(&rd, pool, &bm) == 0);
    CHECK_EQ_U(bm.bookmark.len, 2);
    CHECK_EQ_U(bm.bookmark.data[1], 0xBB);
    mh_ropc_create_message_r cm;
    REQUIRE(mh_ropc_create_message_parse(&rd, &cm) == 0);
    CHECK_EQ_U(cm.has_message_id, 0);
    mh_ropc_save_message_r sm;
    REQUIRE(mh_ropc_save_changes_message_parse(&rd, &sm) == 0);
    CHECK_EQ_U(sm.h.handle_idx, 1);
    CHECK_EQ_U(sm.in_idx, 2);
    CHECK_EQ_U(sm.message_id, 0x0100000000000033ull);
    mh_ropc_create_attachment_r ca;
    REQUIRE(mh_ropc_create_attachment_parse(&rd, &ca) == 0);
    CHECK_EQ_U(ca.attach_num, 7);
    CHECK_EQ_U(mh_rd_left(&rd), 0);
    CHECK(mh_ropc_peek(&rd) == -1);
}

static void test_partial_and_stream_responses(void)
{
    unsigned char buf[128];
    mh_rd rd = reader("1e 01 00 00 00 00 01"                /* DeleteMessages: partial */
                      "1d 01 09 06 04 80 00"                /* DeleteFolder failed */
                      "33 01 03 05 00 00 02 00 00 00 00"    /* MoveCopy: null destination */
                      "2b 02 00 00 00 00 05 00 00 00"       /* OpenStream: 5 bytes */
                      "2c 02 00 00 00 00 05 00 68 65 6c 6c 6f" /* ReadStream */
                      "2d 02 05 00 03 80 00 00"             /* WriteStream failed */
                      "2e 02 00 00 00 00 04 00 00 00 00 00 00 00", /* SeekStream */
                      buf, sizeof(buf));
    mh_ropc_partial_r p;
    REQUIRE(mh_ropc_delete_messages_parse(&rd, &p) == 0);
    CHECK_EQ_U(p.partial, 1);
    REQUIRE(mh_ropc_delete_folder_parse(&rd, &p) == 0);
    CHECK_EQ_U(p.h.rv, MAPI_E_HAS_FOLDERS);
    REQUIRE(mh_ropc_move_copy_messages_parse(&rd, &p) == 0);
    CHECK_EQ_U(p.h.rv, EC_DST_NULL_OBJECT);
    CHECK_EQ_U(p.dest_idx, 2);
    CHECK_EQ_U(p.partial, 0);
    mh_ropc_stream_size_r ss;
    REQUIRE(mh_ropc_open_stream_parse(&rd, &ss) == 0);
    CHECK_EQ_U(ss.size, 5);
    mh_ropc_read_stream_r rs;
    REQUIRE(mh_ropc_read_stream_parse(&rd, &rs) == 0);
    CHECK_EQ_U(rs.size, 5);
    CHECK_MEM(rs.data, rs.size, "hello", 5);
    mh_ropc_written_r ws;
    REQUIRE(mh_ropc_write_stream_parse(&rd, &ws) == 0);
    CHECK_EQ_U(ws.h.rv, EC_STREAM_ACCESS_DENIED);
    CHECK_EQ_U(ws.written, 0);
    mh_ropc_seek_stream_r sk;
    REQUIRE(mh_ropc_seek_stream_parse(&rd, &sk) == 0);
    CHECK_EQ_U(sk.new_position, 4);
    CHECK_EQ_U(mh_rd_left(&rd), 0);

    /* a ReadStream whose DataSize runs past the buffer */
    rd = reader("2c 02 00 00 00 00 06 00 68 65 6c 6c 6f", buf, sizeof(buf));
    CHECK(mh_ropc_read_stream_parse(&rd, &rs) < 0);
}

static void test_store_responses(void)
{
    unsigned char buf[128];
    mh_rd rd = reader("27 00 00 00 00 00 01 00 00 00 00 00 00 05 49 50 4d 00"
                      "43 00 00 00 00 00 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f"
                      "00 00 00 00 00 2a 00 00"
                      "44 00 00 00 00 00 01 00 00 00 00 00 00 2a",
                      buf, sizeof(buf));
    mh_ropc_receive_folder_r rf;
    REQUIRE(mh_ropc_get_receive_folder_parse(&rd, pool, &rf) == 0);
    CHECK_EQ_U(rf.folder_id, 0x0500000000000001ull);
    CHECK_STR(rf.explicit_class, "IPM");
    mh_ropc_ltid_r lt;
    REQUIRE(mh_ropc_long_term_id_from_id_parse(&rd, &lt) == 0);
    CHECK_EQ_U(lt.ltid.guid.b[15], 0x0F);
    CHECK_EQ_U(lt.ltid.counter[5], 0x2A);
    mh_ropc_id_r id;
    REQUIRE(mh_ropc_id_from_long_term_id_parse(&rd, &id) == 0);
    CHECK_EQ_U(id.object_id, 0x2A00000000000001ull);
    CHECK_EQ_U(mh_rd_left(&rd), 0);
}

static void test_transport_responses(void)
{
    unsigned char buf[128];
    /* EX and SMTP: AddressTypeCount 2, AddressTypeSize 8 */
    mh_rd rd = reader("49 00 00 00 00 00 02 00 08 00 45 58 00 53 4d 54 50 00"
                      "6d 00 00 00 00 00 01 00 00 00 00 00 00 05"
                      "6d 00 02 01 04 80"
                      "6f 00 00 00 00 00 01 03 00 61 62 63 00 00"
                      "6f 00 00 00 00 00 01 00 00 02 00 68 66 68 2e 68 6c 70 00",
                      buf, sizeof(buf));
    mh_ropc_address_types_r at;
    REQUIRE(mh_ropc_get_address_types_parse(&rd, pool, &at) == 0);
    CHECK_EQ_U(at.h.rv, 0);
    REQUIRE(at.n == 2);
    CHECK_STR(at.types[0], "EX");
    CHECK_STR(at.types[1], "SMTP");
    mh_ropc_id_r tf;
    REQUIRE(mh_ropc_get_transport_folder_parse(&rd, &tf) == 0);
    CHECK_EQ_U(tf.object_id, 0x0500000000000001ull);
    /* a failure carries no FolderId */
    REQUIRE(mh_ropc_get_transport_folder_parse(&rd, &tf) == 0);
    CHECK_EQ_U(tf.h.rv, MAPI_E_NO_SUPPORT);
    CHECK_EQ_U(tf.object_id, 0);
    mh_ropc_options_data_r od;
    REQUIRE(mh_ropc_options_data_parse(&rd, pool, &od) == 0);
    CHECK_EQ_U(od.reserved, 1);
    CHECK_MEM(od.options_info.data, od.options_info.len, "abc", 3);
    CHECK_EQ_U(od.help_file.len, 0);
    CHECK(od.help_file_name == NULL);
    /* with a help file, its name follows */
    REQUIRE(mh_ropc_options_data_parse(&rd, pool, &od) == 0);
    CHECK_EQ_U(od.options_info.len, 0);
    CHECK_MEM(od.help_file.data, od.help_file.len, "hf", 2);
    CHECK_STR(od.help_file_name, "h.hlp");
    CHECK_EQ_U(mh_rd_left(&rd), 0);

    /* AddressTypeSize and the strings must agree: a count too high, a
     * count too low (bytes left over), a size past the end, no NUL */
    static const char *const bad[] = {
        "49 00 00 00 00 00 03 00 08 00 45 58 00 53 4d 54 50 00",
        "49 00 00 00 00 00 01 00 08 00 45 58 00 53 4d 54 50 00",
        "49 00 00 00 00 00 02 00 09 00 45 58 00 53 4d 54 50 00",
        "49 00 00 00 00 00 01 00 02 00 45 58",
        "49 00 00 00 00 00 09 00 02 00 45 00",
        /* a FolderId cut short; a help file without its name; options
         * past the end */
        "6d 00 00 00 00 00 01 00 00 00",
        "6f 00 00 00 00 00 01 00 00 02 00 68 66 68",
        "6f 00 00 00 00 00 01 05 00 61 62",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rd = reader(bad[i], buf, sizeof(buf));
        int rc;
        switch (buf[0]) {
        case MH_ROPID_GET_ADDRESS_TYPES:
            rc = mh_ropc_get_address_types_parse(&rd, pool, &at);
            break;
        case MH_ROPID_GET_TRANSPORT_FOLDER:
            rc = mh_ropc_get_transport_folder_parse(&rd, &tf);
            break;
        default:
            rc = mh_ropc_options_data_parse(&rd, pool, &od);
        }
        if (rc != -1)
            printf("# bad response %zu parsed\n", i);
        CHECK_EQ_U(rc, -1);
    }
    /* another ROP's response */
    rd = reader("6d 00 00 00 00 00 01 00 00 00 00 00 00 05", buf, sizeof(buf));
    CHECK(mh_ropc_get_address_types_parse(&rd, pool, &at) < 0);
}

static void test_buffer_too_small(void)
{
    unsigned char buf[32];
    mh_rd rd = reader("ff 00 80 15 00 00 00 01 32 00", buf, sizeof(buf));
    CHECK_EQ_U(mh_ropc_peek(&rd), MH_ROPID_BUFFER_TOO_SMALL);
    mh_ropc_too_small_r r;
    REQUIRE(mh_ropc_buffer_too_small_parse(&rd, &r) == 0);
    CHECK_EQ_U(r.size_needed, 0x8000);
    CHECK_EQ_U(r.requests_len, 7);
    CHECK_EQ_U(r.requests[0], MH_ROPID_QUERY_ROWS);
}

/* -------------------------------------------- bodies round trips */

static void test_connect_body(void)
{
    size_t n;
    const char *dn = "/o=First Organization/ou=Exchange Administrative Group "
                     "(FYDIBOHF23SPDLT)/cn=Recipients/cn=ada";
    const unsigned char *b = mh_emsc_connect_body(pool, dn, 0, 1252, 0x409, 0x407, &n);
    mh_connect_req req;
    const char *why = NULL;
    REQUIRE(mh_parse_connect(b, n, pool, &req, &why) == MH_BODY_OK);
    CHECK_STR(req.user_dn, dn);
    CHECK_EQ_U(req.default_code_page, 1252);
    CHECK_EQ_U(req.lcid_sort, 0x409);
    CHECK_EQ_U(req.lcid_string, 0x407);
    CHECK_EQ_U(req.aux.len, 0);

    /* the server's success body parses back */
    mh_connect_resp cr = {0, 60000, 6, 10000, "", "Ada Lovelace", NULL, 0};
    mh_wr w;
    mh_wr_init(&w, pool, 128);
    mh_build_connect(&w, &cr);
    mh_connect_info ci;
    REQUIRE(mh_emsc_parse_connect(w.buf, w.len, pool, &ci, &why) == 0);
    CHECK_EQ_U(ci.status_code, 0);
    CHECK_EQ_U(ci.error_code, 0);
    CHECK_EQ_U(ci.polls_max, 60000);
    CHECK_EQ_U(ci.retry_count, 6);
    CHECK_STR(ci.display_name, "Ada Lovelace");
    /* and a failure body */
    mh_wr_init(&w, pool, 16);
    mh_build_failure(&w, MH_RPC_X_BAD_STUB_DATA);
    REQUIRE(mh_emsc_parse_connect(w.buf, w.len, pool, &ci, &why) == 0);
    CHECK_EQ_U(ci.status_code, MH_RPC_X_BAD_STUB_DATA);
    /* trailing garbage is malformed */
    unsigned char bad[16] = {0};
    CHECK(mh_emsc_parse_connect(bad, 9, pool, &ci, &why) < 0);
}

static void check_execute_round_trip(int compress, int obfuscate)
{
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    /* something LZ77 can shrink */
    for (int i = 0; i < 12; i++)
        mh_ropc_query_rows(&b, 0, 1, 0, 1, 50);
    mh_rop_batch_set_handle(&b, 1, 0x01000002);
    size_t plen, n;
    const unsigned char *payload = mh_rop_batch_buffer(&b, &plen);
    const unsigned char *body = mh_emsc_execute_body(pool, MH_EXEC_NO_COMPRESSION, payload,
                                                     plen, compress, obfuscate, 0x10008, &n);
    mh_execute_req req;
    const char *why = NULL;
    REQUIRE(mh_parse_execute(body, n, pool, &req, &why) == MH_BODY_OK);
    CHECK_EQ_U(req.flags, MH_EXEC_NO_COMPRESSION);
    CHECK_EQ_U(req.max_rop_out, 0x10008);
    mh_rpcext_payload *pl = NULL;
    size_t count = 0;
    REQUIRE(mh_rpcext_parse(req.rop_buffer, req.rop_buffer_size, 0, pool, &pl, &count, &why)
            == 0);
    REQUIRE(count == 1);
    CHECK_MEM(pl[0].data, pl[0].len, payload, plen);
    CHECK_EQ_U((pl[0].flags & MH_RPCEXT_COMPRESSED) != 0, compress);
    CHECK_EQ_U((pl[0].flags & MH_RPCEXT_XORMAGIC) != 0, obfuscate);
    CHECK(pl[0].flags & MH_RPCEXT_LAST);
}

static void test_execute_body(void)
{
    check_execute_round_trip(0, 0);
    check_execute_round_trip(1, 0);
    check_execute_round_trip(0, 1);
    check_execute_round_trip(1, 1);
}

static void test_execute_response_chained(void)
{
    /* two ROP output buffers, the first compressed and XORed, as a server
     * chaining QueryRows responses sends them (MS-OXCRPC 3.1.4.2.1.2.2) */
    mh_wr p1, p2, ext, body;
    mh_wr_init(&p1, pool, 64);
    mh_wr_u16(&p1, 2 + 7);
    static const unsigned char sort_resp[7] = {0x13, 1, 0, 0, 0, 0, 0};
    mh_wr_bytes(&p1, sort_resp, 7);
    mh_wr_u32(&p1, 0x01000000);
    mh_wr_u32(&p1, 0x01000001);
    for (int i = 0; i < 40; i++) /* padding handles LZ77 can shrink */
        mh_wr_u32(&p1, 0xFFFFFFFF);
    mh_wr_init(&p2, pool, 16);
    mh_wr_u16(&p2, 2 + 6);
    static const unsigned char rel_resp[6] = {0x3F, 1, 0, 0, 0, 0};
    mh_wr_bytes(&p2, rel_resp, 6);
    mh_wr_init(&ext, pool, 256);
    mh_rpcext_append(&ext, p1.buf, p1.len, 1, 1, 0);
    mh_rpcext_append(&ext, p2.buf, p2.len, 0, 0, 1);
    mh_wr_init(&body, pool, 256);
    mh_build_execute(&body, 0, ext.buf, (uint32_t)ext.len, NULL, 0);

    mh_exec_result res;
    const char *why = NULL;
    REQUIRE(mh_emsc_parse_execute(body.buf, body.len, pool, &res, &why) == 0);
    CHECK_EQ_U(res.status_code, 0);
    CHECK_EQ_U(res.error_code, 0);
    REQUIRE(res.n_outs == 2);
    CHECK(res.outs[0].ext_flags & MH_RPCEXT_COMPRESSED);
    CHECK_EQ_U(res.outs[0].n_handles, 42);
    CHECK_EQ_U(mh_exec_handle(&res, 1), 0x01000001);
    CHECK_EQ_U(mh_exec_handle(&res, 200), MH_HANDLE_UNUSED);
    CHECK_EQ_U(res.outs[1].n_handles, 0);
    mh_rd rd;
    mh_exec_reader(&res, 0, &rd);
    mh_ropc_status_r st;
    CHECK(mh_ropc_sort_table_parse(&rd, &st) == 0);
    mh_exec_reader(&res, 1, &rd);
    mh_ropc_hdr h;
    CHECK(mh_ropc_simple_parse(&rd, MH_ROPID_GET_RULES_TABLE, &h) == 0);
    mh_exec_reader(&res, 2, &rd);
    CHECK_EQ_U(mh_rd_left(&rd), 0);

    /* a RopSize beyond the payload is refused with a reason */
    mh_wr_init(&p1, pool, 16);
    mh_wr_u16(&p1, 40);
    mh_wr_u32(&p1, 0);
    mh_wr_init(&ext, pool, 64);
    mh_rpcext_append(&ext, p1.buf, p1.len, 0, 0, 1);
    mh_wr_init(&body, pool, 64);
    mh_build_execute(&body, 0, ext.buf, (uint32_t)ext.len, NULL, 0);
    why = NULL;
    CHECK(mh_emsc_parse_execute(body.buf, body.len, pool, &res, &why) < 0);
    CHECK(why && strstr(why, "RopSize"));
    /* a handle table that is not whole u32s */
    mh_wr_init(&p1, pool, 16);
    mh_wr_u16(&p1, 2);
    mh_wr_u16(&p1, 0);
    mh_wr_init(&ext, pool, 64);
    mh_rpcext_append(&ext, p1.buf, p1.len, 0, 0, 1);
    mh_wr_init(&body, pool, 64);
    mh_build_execute(&body, 0, ext.buf, (uint32_t)ext.len, NULL, 0);
    CHECK(mh_emsc_parse_execute(body.buf, body.len, pool, &res, &why) < 0);

    /* ErrorCode ecRpcFormat with no buffer, and a failure body */
    mh_wr_init(&body, pool, 64);
    mh_build_execute(&body, EC_RPC_FORMAT, NULL, 0, NULL, 0);
    REQUIRE(mh_emsc_parse_execute(body.buf, body.len, pool, &res, &why) == 0);
    CHECK_EQ_U(res.error_code, EC_RPC_FORMAT);
    CHECK_EQ_U(res.n_outs, 0);
    mh_wr_init(&body, pool, 64);
    mh_build_failure(&body, MH_RPC_S_SERVER_TOO_BUSY);
    REQUIRE(mh_emsc_parse_execute(body.buf, body.len, pool, &res, &why) == 0);
    CHECK_EQ_U(res.status_code, MH_RPC_S_SERVER_TOO_BUSY);
}

static void test_names(void)
{
    CHECK_STR(mh_mapi_err_name(MAPI_E_NOT_FOUND, pool), "MAPI_E_NOT_FOUND (ecNotFound)");
    CHECK_STR(mh_mapi_err_name(EC_UNKNOWN_USER, pool), "ecUnknownUser");
    CHECK_STR(mh_mapi_err_name(0x12345678, pool), "0x12345678");
    CHECK_STR(mh_response_code_name(10), "Context Not Found");
    CHECK_STR(mh_response_code_name(18), "Endpoint Shutting Down");
    CHECK(mh_response_code_name(19) == NULL);
    CHECK(mh_response_code_name(-1) == NULL);
    CHECK_STR(mh_ropc_name(MH_ROPID_LOGON, pool), "RopLogon");
    CHECK_STR(mh_ropc_name(0x49, pool), "RopGetAddressTypes");
    CHECK_STR(mh_ropc_name(0x6D, pool), "RopGetTransportFolder");
    CHECK_STR(mh_ropc_name(0x6F, pool), "RopOptionsData");
    CHECK_STR(mh_ropc_name(0x70, pool), "Rop0x70");
}

static void test_batch_limits(void)
{
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    /* slot 255 is the highest a byte can name: the table has 256 slots */
    mh_ropc_release(&b, 0, 255);
    CHECK_EQ_U(b.n_handles, 256);
    /* a RopsList that overflows RopSize */
    unsigned char big[0x8000] = {0};
    mh_rop_batch_init(&b, pool);
    mh_ropc_write_stream(&b, 0, 0, big, sizeof(big));
    mh_ropc_write_stream(&b, 0, 0, big, sizeof(big));
    size_t n;
    CHECK(mh_rop_batch_buffer(&b, &n) == NULL);
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    RUN(test_release_example);
    RUN(test_query_rows_example);
    RUN(test_save_changes_message_example);
    RUN(test_move_folder_example);
    RUN(test_rules_table_example_responses);
    RUN(test_sort_table_example_response);
    RUN(test_logon_request);
    RUN(test_folder_requests);
    RUN(test_table_requests);
    RUN(test_message_requests);
    RUN(test_stream_requests);
    RUN(test_store_requests);
    RUN(test_transport_requests);
    RUN(test_logon_response);
    RUN(test_small_responses);
    RUN(test_partial_and_stream_responses);
    RUN(test_store_responses);
    RUN(test_transport_responses);
    RUN(test_buffer_too_small);
    RUN(test_connect_body);
    RUN(test_execute_body);
    RUN(test_execute_response_chained);
    RUN(test_set_props_example);
    RUN(test_table_requests_oxcdata);
    RUN(test_rows_responses);
    RUN(test_recipients_round_trip);
    RUN(test_props_responses);
    RUN(test_requests_match_server_table);
    RUN(test_names);
    RUN(test_batch_limits);
    return MH_TEST_DONE();
}
