/*
 * it_emsmdb.c - the mailbox endpoint end to end: a real httpd with the
 * LMDB backend, and a client speaking MAPI/HTTP over the socket with the
 * client library (tools/mh_emsmdb.h).  Every scenario reads back what it
 * wrote and compares values, not just success codes:
 *
 *   - Connect and Logon, the folder hierarchy (GetHierarchyTable with and
 *     without Depth, counts, the logon's folder IDs);
 *   - a message with recipients (To, Cc, Bcc), values of every type and
 *     their multi-valued forms, named properties of both kinds, an
 *     attachment, an embedded message and a 1 MB body written through a
 *     stream, saved, reopened and read back byte for byte (the body over
 *     many Executes with chained responses);
 *   - contents tables: sorted on several columns, restricted (content,
 *     property, bitmask, and/or/not), categorized (expand, collapse), paged
 *     (QueryRows, SeekRow, QueryPosition, bookmarks), each row compared
 *     with what was written;
 *   - moving, copying and deleting messages and folders, emptying;
 *   - permissions: a second user logs on to the owner's mailbox and is let
 *     in or refused as the owner grants, takes back, and sets Default;
 *   - rules: the owner adds, lists (Unicode and 8-bit rules tables, rows
 *     compared byte for byte with what was written), modifies, deletes and
 *     replaces the rules of the Inbox; a second user without FolderOwner
 *     is refused;
 *   - the transport helpers a client asks before sending (address types,
 *     the transport folder, options data);
 *   - bad ROP input: a bad handle index, a wrong object type, a LogonId
 *     with no logon, a truncated ROP, a malformed value; each gets the
 *     spec's error and the session goes on.
 *
 *   it_emsmdb --mpm event|prefork [--per-request-process]
 *
 * --per-request-process (prefork with MaxConnectionsPerChild 1) sends
 * every request on a new connection, so a new process serves each one and
 * the session state must carry everything between them; the access log is
 * checked to show it did.
 */
#include "harness.h"
#include "mh_test.h"

#include "config.h"
#include "mh_bodies.h"
#include "mh_emsmdb.h"
#include "mh_mapierr.h"
#include "mh_props.h"

#include <signal.h>
#include <stdio.h>

#include <apr_hash.h>
#include <apr_strings.h>

static apr_pool_t *pool;
static apr_pool_t *root_pool;
static mh_httpd *H;
static int PER_REQUEST;     /* a new connection (so a new process) per request */
static unsigned long N_REQUESTS;

/* A scenario, with the requests it made and the time it took. */
#define TEST(fn)                                                                 \
    do {                                                                         \
        unsigned long n0_ = N_REQUESTS;                                          \
        apr_time_t t0_ = apr_time_now();                                         \
        MH_IT_TEST(fn, pool, root_pool);                                         \
        printf("#   %lu requests, %.1f s\n", N_REQUESTS - n0_,                   \
               (double)(apr_time_now() - t0_) / APR_USEC_PER_SEC);                \
    } while (0)
#define CP 1252
#define FAIL_EC 0xDEADBEEFu /* a helper's "the call itself failed" */

#define DN_PREFIX "/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)" \
                  "/cn=Recipients/cn="

/* Properties the scenarios use (MS-OXPROPS) that mh_props.h does not name */
#define PR_DISPLAY_TO_W MH_TAG(0x0E04, PT_UNICODE)
#define PR_DISPLAY_CC_W MH_TAG(0x0E03, PT_UNICODE)
#define PR_DISPLAY_BCC_W MH_TAG(0x0E02, PT_UNICODE)
#define PR_ATTACH_LONG_FILENAME MH_TAG(0x3707, PT_UNICODE)

/* PR_ROW_TYPE values (MS-OXCTABL 2.2.1.3.1) */
#define ROW_LEAF 1
#define ROW_EMPTY_CATEGORY 2
#define ROW_EXPANDED_CATEGORY 3
#define ROW_COLLAPSED_CATEGORY 4

/* ------------------------------------------------------------ sessions */

/* A Connect and a Logon. */
typedef struct ems {
    mh_client *conn;
    mh_emsc *em;
    const char *login;
    uint32_t logon;                  /* the Logon object's handle */
    mh_ropc_logon_r lr;              /* the Logon response (folder IDs ...) */
} ems;

static const char *dn_of(const char *login)
{
    return apr_pstrcat(pool, DN_PREFIX, login, NULL);
}

static void before_request(ems *s)
{
    N_REQUESTS++;
    if (PER_REQUEST)
        mh_client_disconnect(s->conn);
}

/*
 * Connects as `login` and logs on to the mailbox of `owner` (NULL: the
 * user's own).  Returns the session, or NULL with the reason printed;
 * *logon_rv_r (may be NULL) gets the Logon's ReturnValue.
 */
static ems *ems_open(const char *login, const char *owner, uint32_t *logon_rv_r)
{
    ems *s = apr_pcalloc(pool, sizeof(*s));
    s->login = login;
    s->conn = mh_httpd_client(H, pool, H->port, 0);
    s->em = mh_emsc_create(pool, s->conn, "/mapi/emsmdb/", login,
                           apr_pstrcat(pool, "secret-", login, NULL));
    s->em->mapi->client_app = "Outlook/16.0.17928.20114 it_emsmdb";
    if (logon_rv_r)
        *logon_rv_r = FAIL_EC;
    before_request(s);
    if (mh_emsc_connect(s->em, dn_of(login)) < 0) {
        printf("# Connect as %s failed: %s\n", login, s->em->detail ? s->em->detail : "?");
        return NULL;
    }
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    /* a delegate's logon leaves out HOME_LOGON, as Outlook does */
    uint32_t open_flags = owner ? 0x01000000u : MH_LOGON_OPEN_DEFAULT;
    mh_ropc_logon(&b, 0, 0, MH_LOGON_PRIVATE, open_flags, 0, dn_of(owner ? owner : login));
    mh_exec_result res;
    before_request(s);
    if (mh_emsc_execute(s->em, pool, &b, &res) < 0) {
        printf("# Logon Execute failed: %s\n", s->em->detail ? s->em->detail : "?");
        return NULL;
    }
    mh_rd rd;
    mh_exec_reader(&res, 0, &rd);
    if (mh_ropc_logon_parse(&rd, pool, &s->lr) < 0) {
        printf("# malformed Logon response\n");
        return NULL;
    }
    if (logon_rv_r)
        *logon_rv_r = s->lr.h.rv;
    if (s->lr.h.rv) {
        printf("# Logon as %s to %s: %s\n", login, owner ? owner : "own mailbox",
               mh_mapi_err_name(s->lr.h.rv, pool));
        return NULL;
    }
    s->logon = mh_exec_handle(&res, 0);
    return s;
}

/* A batch with `h0` in slot 0 (MH_HANDLE_UNUSED for none). */
static mh_rop_batch *batch(uint32_t h0)
{
    mh_rop_batch *b = apr_palloc(pool, sizeof(*b));
    mh_rop_batch_init(b, pool);
    if (h0 != MH_HANDLE_UNUSED)
        mh_rop_batch_set_handle(b, 0, h0);
    return b;
}

/* Runs a batch; a reader over the first output buffer.  0, or -1 with the
 * reason printed. */
static int run(ems *s, mh_rop_batch *b, mh_exec_result *res, mh_rd *rd)
{
    before_request(s);
    if (mh_emsc_execute(s->em, pool, b, res) < 0) {
        printf("# Execute failed: %s\n", s->em->detail ? s->em->detail : "?");
        return -1;
    }
    mh_exec_reader(res, 0, rd);
    return 0;
}

/* Releases handles (RopRelease has no response). */
static void release(ems *s, uint32_t h1, uint32_t h2)
{
    mh_rop_batch *b = batch(h1);
    mh_ropc_release(b, 0, 0);
    if (h2 != MH_HANDLE_UNUSED) {
        mh_rop_batch_set_handle(b, 1, h2);
        mh_ropc_release(b, 0, 1);
    }
    mh_exec_result res;
    mh_rd rd;
    if (run(s, b, &res, &rd) == 0 && mh_rd_left(&rd) != 0)
        printf("# RopRelease answered something\n");
}

/* The parse of one response: on a malformed one the calling test stops. */
#define PARSE(expr) REQUIRE((expr) == 0)

/* OpenFolder fid: its ReturnValue (FAIL_EC when the call failed), the
 * folder's handle in *h_r. */
static uint32_t open_folder(ems *s, uint64_t fid, uint32_t *h_r)
{
    *h_r = MH_HANDLE_UNUSED;
    mh_rop_batch *b = batch(s->logon);
    mh_ropc_open_folder(b, 0, 0, 1, fid, 0);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_open_folder_r r;
    if (run(s, b, &res, &rd) < 0 || mh_ropc_open_folder_parse(&rd, pool, &r) < 0)
        return FAIL_EC;
    if (r.h.rv == 0)
        *h_r = mh_exec_handle(&res, 1);
    return r.h.rv;
}

/* CreateFolder `name` (generic, Unicode) under `parent`: its ReturnValue,
 * the new folder's ID in *fid_r. */
static uint32_t create_folder(ems *s, uint64_t parent, const char *name, uint64_t *fid_r)
{
    *fid_r = 0;
    mh_rop_batch *b = batch(s->logon);
    mh_ropc_open_folder(b, 0, 0, 1, parent, 0);
    mh_ropc_create_folder(b, 0, 1, 2, MH_ROPC_FOLDER_GENERIC, 1, 0, name, "made by it_emsmdb");
    mh_ropc_release(b, 0, 2);
    mh_ropc_release(b, 0, 1);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_open_folder_r of;
    mh_ropc_create_folder_r cf;
    if (run(s, b, &res, &rd) < 0 || mh_ropc_open_folder_parse(&rd, pool, &of) < 0)
        return FAIL_EC;
    if (of.h.rv)
        return of.h.rv;
    if (mh_ropc_create_folder_parse(&rd, pool, &cf) < 0)
        return FAIL_EC;
    *fid_r = cf.folder_id;
    return cf.h.rv;
}

/* PR_CONTENT_COUNT and PR_FOLDER_CHILD_COUNT of a folder (-1: failed). */
static void folder_counts(ems *s, uint64_t fid, long *contents_r, long *children_r)
{
    *contents_r = *children_r = -1;
    static const mh_proptag tags[2] = {PR_CONTENT_COUNT, PR_FOLDER_CHILD_COUNT};
    mh_rop_batch *b = batch(s->logon);
    mh_ropc_open_folder(b, 0, 0, 1, fid, 0);
    mh_ropc_get_props_specific(b, 0, 1, 0, 1, tags, 2);
    mh_ropc_release(b, 0, 1);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_open_folder_r of;
    mh_ropc_props_r pr;
    if (run(s, b, &res, &rd) < 0 || mh_ropc_open_folder_parse(&rd, pool, &of) < 0 ||
        of.h.rv || mh_ropc_get_props_specific_parse(&rd, tags, 2, CP, pool, &pr) < 0 ||
        pr.h.rv)
        return;
    if (MH_TAG_TYPE(pr.vals[0].tag) == PT_LONG)
        *contents_r = pr.vals[0].v.i32;
    if (MH_TAG_TYPE(pr.vals[1].tag) == PT_LONG)
        *children_r = pr.vals[1].v.i32;
}

/*
 * Reads a table from its current position to the end (QueryRows of up to
 * `per_call` rows per Execute).  Returns the rows (an array of
 * mh_propval *), or NULL when a call failed.
 */
static apr_array_header_t *rows_to_end(ems *s, uint32_t table, const mh_proptag *cols,
                                       uint16_t n_cols, uint16_t per_call)
{
    apr_array_header_t *rows = apr_array_make(pool, 64, sizeof(mh_propval *));
    for (int round = 0; round < 1000; round++) {
        mh_rop_batch *b = batch(table);
        mh_ropc_query_rows(b, 0, 0, MH_QUERY_ADVANCE, 1, per_call);
        mh_exec_result res;
        mh_rd rd;
        mh_ropc_rows_r qr;
        if (run(s, b, &res, &rd) < 0 ||
            mh_ropc_query_rows_parse(&rd, cols, n_cols, CP, pool, &qr) < 0 || qr.h.rv) {
            printf("# QueryRows failed\n");
            return NULL;
        }
        if (qr.n_rows > per_call) {
            printf("# QueryRows gave %u rows for %u asked\n", qr.n_rows, per_call);
            return NULL;
        }
        for (uint16_t i = 0; i < qr.n_rows; i++)
            APR_ARRAY_PUSH(rows, mh_propval *) = qr.rows[i];
        if (qr.n_rows == 0 || qr.origin == MH_BOOKMARK_END)
            return rows;
    }
    return NULL;
}

#define ROW(arr, i) APR_ARRAY_IDX((arr), (i), mh_propval *)

static const char *str_of(const mh_propval *v)
{
    return v && MH_TAG_TYPE(v->tag) == PT_UNICODE ? v->v.str : NULL;
}

static long long long_of(const mh_propval *v)
{
    if (!v)
        return -1;
    switch (MH_TAG_TYPE(v->tag)) {
    case PT_LONG: return v->v.i32;
    case PT_I8: return v->v.i64;
    case PT_BOOLEAN: return v->v.b;
    default: return -1;
    }
}

/*
 * Opens a folder and its contents table (flags: MH_TABLE_*), sets the
 * columns.  *folder_r and *table_r get the handles; returns the table's
 * RowCount, or -1.
 */
static long open_contents(ems *s, uint64_t fid, uint8_t flags, const mh_proptag *cols,
                          uint16_t n_cols, uint32_t *folder_r, uint32_t *table_r)
{
    mh_rop_batch *b = batch(s->logon);
    mh_ropc_open_folder(b, 0, 0, 1, fid, 0);
    mh_ropc_get_contents_table(b, 0, 1, 2, flags);
    mh_ropc_set_columns(b, 0, 2, 0, cols, n_cols);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_open_folder_r of;
    mh_ropc_table_r t;
    mh_ropc_status_r sc;
    if (run(s, b, &res, &rd) < 0 || mh_ropc_open_folder_parse(&rd, pool, &of) < 0 ||
        of.h.rv || mh_ropc_get_contents_table_parse(&rd, &t) < 0 || t.h.rv ||
        mh_ropc_set_columns_parse(&rd, &sc) < 0 || sc.h.rv)
        return -1;
    *folder_r = mh_exec_handle(&res, 1);
    *table_r = mh_exec_handle(&res, 2);
    return (long)t.row_count;
}

/*
 * A whole table of a folder in one Execute: OpenFolder, the Get*Table ROP
 * `rop` with `flags`, SetColumns, SortTable (when `sort`), QueryRows, and
 * RopRelease of the folder (which releases the table too).  For tables
 * that fit one response; NULL when anything failed or the rows did not
 * all come.  *count_r (may be NULL) gets the table's RowCount.
 */
static apr_array_header_t *snapshot(ems *s, uint64_t fid, uint8_t rop, uint8_t flags,
                                    const mh_proptag *cols, uint16_t n_cols,
                                    const mh_sort_set *sort, long *count_r)
{
    if (count_r)
        *count_r = -1;
    mh_rop_batch *b = batch(s->logon);
    mh_ropc_open_folder(b, 0, 0, 1, fid, 0);
    mh_wr *w = mh_ropc_begin(b, rop, 0, 1);
    mh_wr_u8(w, 2);
    mh_wr_u8(w, flags);
    mh_ropc_set_columns(b, 0, 2, 0, cols, n_cols);
    if (sort)
        mh_ropc_sort_table(b, 0, 2, 0, sort);
    mh_ropc_query_rows(b, 0, 2, MH_QUERY_ADVANCE, 1, 1000);
    mh_ropc_release(b, 0, 1);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_open_folder_r of;
    mh_ropc_table_r t;
    mh_ropc_hdr h;
    mh_ropc_status_r st;
    mh_ropc_rows_r qr;
    if (run(s, b, &res, &rd) < 0 || mh_ropc_open_folder_parse(&rd, pool, &of) < 0 || of.h.rv)
        return NULL;
    if (rop == MH_ROPID_GET_PERMISSIONS_TABLE) {
        if (mh_ropc_simple_parse(&rd, rop, &h) < 0 || h.rv)
            return NULL;
        t.row_count = 0;
    } else if (mh_ropc_rd_hdr(&rd, rop, &t.h) < 0 || t.h.rv) {
        return NULL;
    } else {
        t.row_count = mh_rd_u32(&rd);
    }
    if (mh_ropc_set_columns_parse(&rd, &st) < 0 || st.h.rv ||
        (sort && (mh_ropc_sort_table_parse(&rd, &st) < 0 || st.h.rv)) ||
        mh_ropc_query_rows_parse(&rd, cols, n_cols, CP, pool, &qr) < 0 || qr.h.rv ||
        qr.origin != MH_BOOKMARK_END) {
        printf("# the table of 0x%016llx did not come in one response\n",
               (unsigned long long)fid);
        return NULL;
    }
    if (count_r)
        *count_r = rop == MH_ROPID_GET_PERMISSIONS_TABLE ? qr.n_rows : (long)t.row_count;
    apr_array_header_t *rows = apr_array_make(pool, qr.n_rows + 1, sizeof(mh_propval *));
    for (uint16_t i = 0; i < qr.n_rows; i++)
        APR_ARRAY_PUSH(rows, mh_propval *) = qr.rows[i];
    return rows;
}

/* ============================================================ scenarios */

/* ------------------------------------------------------------ hierarchy */

static const mh_proptag tree_cols[] = {PR_DISPLAY_NAME, PR_FID, PR_DEPTH, PR_FOLDER_CHILD_COUNT,
                                       PR_CONTENT_COUNT, PR_SUBFOLDERS};
#define N_TREE 6

/* The hierarchy table of fid (with or without Depth): its rows, and the
 * RowCount GetHierarchyTable announced in *count_r. */
static apr_array_header_t *hierarchy(ems *s, uint64_t fid, int depth, long *count_r)
{
    return snapshot(s, fid, MH_ROPID_GET_HIERARCHY_TABLE, depth ? MH_TABLE_DEPTH : 0,
                    tree_cols, N_TREE, NULL, count_r);
}

/* The same, read 7 rows per Execute. */
static apr_array_header_t *hierarchy_paged(ems *s, uint64_t fid, int depth, long *count_r)
{
    *count_r = -1;
    mh_rop_batch *b = batch(s->logon);
    mh_ropc_open_folder(b, 0, 0, 1, fid, 0);
    mh_ropc_get_hierarchy_table(b, 0, 1, 2, depth ? MH_TABLE_DEPTH : 0);
    mh_ropc_set_columns(b, 0, 2, 0, tree_cols, N_TREE);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_open_folder_r of;
    mh_ropc_table_r t;
    mh_ropc_status_r sc;
    if (run(s, b, &res, &rd) < 0 || mh_ropc_open_folder_parse(&rd, pool, &of) < 0 ||
        of.h.rv || mh_ropc_get_hierarchy_table_parse(&rd, &t) < 0 || t.h.rv ||
        mh_ropc_set_columns_parse(&rd, &sc) < 0 || sc.h.rv)
        return NULL;
    uint32_t fh = mh_exec_handle(&res, 1), th = mh_exec_handle(&res, 2);
    *count_r = (long)t.row_count;
    apr_array_header_t *rows = rows_to_end(s, th, tree_cols, N_TREE, 7);
    release(s, th, fh);
    return rows;
}

static const mh_propval *row_named(apr_array_header_t *rows, const char *name)
{
    for (int i = 0; rows && i < rows->nelts; i++)
        if (str_of(&ROW(rows, i)[0]) && strcmp(str_of(&ROW(rows, i)[0]), name) == 0)
            return ROW(rows, i);
    return NULL;
}

/*
 * A Depth table in pre-order: each folder's PR_FOLDER_CHILD_COUNT is the
 * number of rows one level deeper that follow it before the next row at
 * its level or above.  Returns the number of rows that break it.
 */
static int preorder_breaks(apr_array_header_t *rows)
{
    int bad = 0;
    for (int i = 0; i < rows->nelts; i++) {
        long long d = long_of(&ROW(rows, i)[2]);
        long long kids = 0;
        for (int k = i + 1; k < rows->nelts; k++) {
            long long dk = long_of(&ROW(rows, k)[2]);
            if (dk <= d)
                break;
            if (dk == d + 1)
                kids++;
        }
        if (kids != long_of(&ROW(rows, i)[3]) ||
            long_of(&ROW(rows, i)[5]) != (kids > 0)) {
            printf("# %s: %lld children in the table, PR_FOLDER_CHILD_COUNT %lld, "
                   "PR_SUBFOLDERS %lld\n", str_of(&ROW(rows, i)[0]), kids,
                   long_of(&ROW(rows, i)[3]), long_of(&ROW(rows, i)[5]));
            bad++;
        }
    }
    return bad;
}

static void test_hierarchy(void)
{
    uint32_t rv;
    ems *s = ems_open("ada", NULL, &rv);
    REQUIRE(s);
    /* Connect: the directory's display name; Logon: 13 distinct folder
     * IDs of replica 1 (MS-OXCSTOR 2.2.1.1.3) */
    CHECK_STR(s->em->info.display_name, "Ada Lovelace");
    CHECK_EQ_U(s->lr.logon_flags & MH_LOGON_PRIVATE, MH_LOGON_PRIVATE);
    CHECK_EQ_U(s->lr.repl_id, 1);
    for (int i = 0; i < MH_LF_COUNT; i++) {
        CHECK(s->lr.folder_ids[i] != 0);
        CHECK_EQ_U(s->lr.folder_ids[i] & 0xFFFF, 1);
        for (int k = 0; k < i; k++)
            CHECK(s->lr.folder_ids[i] != s->lr.folder_ids[k]);
    }
    /* the store object's owner name */
    mh_proptag on = PR_MAILBOX_OWNER_NAME;
    mh_rop_batch *b = batch(s->logon);
    mh_ropc_get_props_specific(b, 0, 0, 0, 1, &on, 1);
    mh_exec_result res;
    mh_rd rd;
    REQUIRE(run(s, b, &res, &rd) == 0);
    mh_ropc_props_r pr;
    PARSE(mh_ropc_get_props_specific_parse(&rd, &on, 1, CP, pool, &pr));
    CHECK_EQ_U(pr.h.rv, 0);
    CHECK_STR(str_of(&pr.vals[0]), "Ada Lovelace");

    /* the root: its children flat, then the whole tree with Depth */
    const uint64_t *fids = s->lr.folder_ids;
    long flat_n, deep_n, root_contents, root_children;
    apr_array_header_t *flat = hierarchy(s, fids[MH_LF_ROOT], 0, &flat_n);
    apr_array_header_t *deep = hierarchy_paged(s, fids[MH_LF_ROOT], 1, &deep_n);
    REQUIRE(flat && deep);
    folder_counts(s, fids[MH_LF_ROOT], &root_contents, &root_children);
    CHECK_EQ_U(flat->nelts, flat_n);
    CHECK_EQ_U(deep->nelts, deep_n);
    CHECK_EQ_U(flat_n, root_children);
    CHECK(deep_n > flat_n && flat_n >= 2);
    CHECK_EQ_U(preorder_breaks(deep), 0);
    /* the flat table holds the depth-0 rows of the deep one, in order */
    int k = 0;
    for (int i = 0; i < deep->nelts; i++) {
        if (long_of(&ROW(deep, i)[2]) != 0)
            continue;
        REQUIRE(k < flat->nelts);
        CHECK_EQ_U(long_of(&ROW(flat, k)[1]), long_of(&ROW(deep, i)[1]));
        CHECK_EQ_U(long_of(&ROW(flat, k)[2]), 0);
        k++;
    }
    CHECK_EQ_U(k, flat->nelts);
    /* every folder counted once: the root's children and theirs */
    long long sum = root_children;
    for (int i = 0; i < deep->nelts; i++)
        sum += long_of(&ROW(deep, i)[3]);
    CHECK_EQ_U(sum, deep_n);

    /* the logon's folder IDs name these folders */
    static const struct { int idx; const char *name; long long depth; } known[] = {
        {MH_LF_IPM_SUBTREE, "Top of Information Store", 0}, {MH_LF_INBOX, "Inbox", 1},
        {MH_LF_OUTBOX, "Outbox", 1}, {MH_LF_SENT_ITEMS, "Sent Items", 1},
        {MH_LF_DELETED_ITEMS, "Deleted Items", 1}, {MH_LF_COMMON_VIEWS, "Common Views", 0},
        {MH_LF_VIEWS, "Views", 0}, {MH_LF_SHORTCUTS, "Shortcuts", 0},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        const mh_propval *r = row_named(deep, known[i].name);
        CHECK(r != NULL);
        if (!r)
            continue;
        CHECK_EQ_U(long_of(&r[1]), fids[known[i].idx]);
        CHECK_EQ_U(long_of(&r[2]), known[i].depth);
    }

    /* new folders appear at their depth, with the counts following */
    uint64_t ipm = fids[MH_LF_IPM_SUBTREE];
    long ipm_before;
    apr_array_header_t *before = hierarchy(s, ipm, 1, &ipm_before);
    REQUIRE(before);
    uint64_t top, a, bb, deeper;
    CHECK_EQ_U(create_folder(s, ipm, "it tree", &top), 0);
    CHECK_EQ_U(create_folder(s, top, "a", &a), 0);
    CHECK_EQ_U(create_folder(s, top, "b \xe2\x98\x83", &bb), 0);
    CHECK_EQ_U(create_folder(s, a, "deeper", &deeper), 0);
    long ipm_after;
    apr_array_header_t *after = hierarchy(s, ipm, 1, &ipm_after);
    REQUIRE(after);
    CHECK_EQ_U(ipm_after, ipm_before + 4);
    CHECK_EQ_U(after->nelts, ipm_after);
    CHECK_EQ_U(preorder_breaks(after), 0);
    const mh_propval *r = row_named(after, "it tree");
    REQUIRE(r);
    CHECK_EQ_U(long_of(&r[1]), top);
    CHECK_EQ_U(long_of(&r[2]), 0);
    CHECK_EQ_U(long_of(&r[3]), 2);
    r = row_named(after, "b \xe2\x98\x83");
    REQUIRE(r);
    CHECK_EQ_U(long_of(&r[1]), bb);
    CHECK_EQ_U(long_of(&r[2]), 1);
    r = row_named(after, "deeper");
    REQUIRE(r);
    CHECK_EQ_U(long_of(&r[1]), deeper);
    CHECK_EQ_U(long_of(&r[2]), 2);
    CHECK_EQ_U(long_of(&r[3]), 0);
    /* the subtree alone, without Depth: its two children */
    long n;
    apr_array_header_t *kids = hierarchy(s, top, 0, &n);
    REQUIRE(kids);
    CHECK_EQ_U(n, 2);
    CHECK(row_named(kids, "a") && row_named(kids, "b \xe2\x98\x83"));
    CHECK(!row_named(kids, "deeper"));
    /* CreateFolder with OpenExisting finds the folder by name */
    mh_rop_batch *c = batch(s->logon);
    mh_ropc_open_folder(c, 0, 0, 1, top, 0);
    mh_ropc_create_folder(c, 0, 1, 2, MH_ROPC_FOLDER_GENERIC, 1, 1, "a", NULL);
    mh_ropc_create_folder(c, 0, 1, 3, MH_ROPC_FOLDER_GENERIC, 1, 0, "a", NULL);
    mh_ropc_release(c, 0, 2);
    mh_ropc_release(c, 0, 1);
    REQUIRE(run(s, c, &res, &rd) == 0);
    mh_ropc_open_folder_r of;
    mh_ropc_create_folder_r cf;
    PARSE(mh_ropc_open_folder_parse(&rd, pool, &of));
    PARSE(mh_ropc_create_folder_parse(&rd, pool, &cf));
    CHECK_EQ_U(cf.h.rv, 0);
    CHECK_EQ_U(cf.is_existing, 1);
    CHECK_EQ_U(cf.folder_id, a);
    PARSE(mh_ropc_create_folder_parse(&rd, pool, &cf));
    CHECK_EQ_U(cf.h.rv, MAPI_E_COLLISION);
    /* and the tree goes again */
    c = batch(s->logon);
    mh_ropc_open_folder(c, 0, 0, 1, ipm, 0);
    mh_ropc_delete_folder(c, 0, 1, MH_DEL_FOLDERS | MH_DEL_MESSAGES, top);
    mh_ropc_release(c, 0, 1);
    REQUIRE(run(s, c, &res, &rd) == 0);
    PARSE(mh_ropc_open_folder_parse(&rd, pool, &of));
    mh_ropc_partial_r df;
    PARSE(mh_ropc_delete_folder_parse(&rd, &df));
    CHECK_EQ_U(df.h.rv, 0);
    CHECK_EQ_U(df.partial, 0);
    after = hierarchy(s, ipm, 1, &ipm_after);
    CHECK_EQ_U(ipm_after, ipm_before);
    uint32_t gone;
    CHECK_EQ_U(open_folder(s, deeper, &gone), MAPI_E_NOT_FOUND);
}

/* ------------------------------------------------------- one message */

/* Values of every type (user-defined IDs, MS-OXPROPS 0x6000-0x65FF) */
#define T_I16 MH_TAG(0x6101, PT_SHORT)
#define T_I32 MH_TAG(0x6102, PT_LONG)
#define T_I64 MH_TAG(0x6103, PT_I8)
#define T_FLT MH_TAG(0x6104, PT_FLOAT)
#define T_DBL MH_TAG(0x6105, PT_DOUBLE)
#define T_CUR MH_TAG(0x6106, PT_CURRENCY)
#define T_APT MH_TAG(0x6107, PT_APPTIME)
#define T_BOOL MH_TAG(0x6108, PT_BOOLEAN)
#define T_TIME MH_TAG(0x6109, PT_SYSTIME)
#define T_STR8 MH_TAG(0x610A, PT_STRING8)
#define T_UNI MH_TAG(0x610B, PT_UNICODE)
#define T_BIN MH_TAG(0x610C, PT_BINARY)
#define T_GUID MH_TAG(0x610D, PT_CLSID)
#define T_MV16 MH_TAG(0x6111, PT_MV_SHORT)
#define T_MV32 MH_TAG(0x6112, PT_MV_LONG)
#define T_MV64 MH_TAG(0x6113, PT_MV_I8)
#define T_MVFLT MH_TAG(0x6114, PT_MV_FLOAT)
#define T_MVDBL MH_TAG(0x6115, PT_MV_DOUBLE)
#define T_MVCUR MH_TAG(0x6116, PT_MV_CURRENCY)
#define T_MVAPT MH_TAG(0x6117, PT_MV_APPTIME)
#define T_MVTIME MH_TAG(0x6118, PT_MV_SYSTIME)
#define T_MVSTR8 MH_TAG(0x6119, PT_MV_STRING8)
#define T_MVUNI MH_TAG(0x611A, PT_MV_UNICODE)
#define T_MVBIN MH_TAG(0x611B, PT_MV_BINARY)
#define T_MVGUID MH_TAG(0x611C, PT_MV_CLSID)

static size_t elem_size(uint16_t base)
{
    switch (base) {
    case PT_SHORT: return 2;
    case PT_LONG: case PT_FLOAT: return 4;
    case PT_DOUBLE: case PT_APPTIME: case PT_CURRENCY: case PT_I8: case PT_SYSTIME: return 8;
    case PT_CLSID: return 16;
    default: return 0;
    }
}

static int same_bin(const mh_bin *a, const mh_bin *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Values equal to the byte; `want` in the form a reader gets (8-bit
 * strings as UTF-8 PT_UNICODE). */
static int same_value(const mh_propval *got, const mh_propval *want)
{
    uint16_t t = MH_TAG_TYPE(want->tag);
    if (t == PT_STRING8)
        t = PT_UNICODE;
    if (t == PT_MV_STRING8)
        t = PT_MV_UNICODE;
    if (MH_TAG_ID(got->tag) != MH_TAG_ID(want->tag) || MH_TAG_TYPE(got->tag) != t)
        return 0;
    switch (t) {
    case PT_SHORT: return got->v.i16 == want->v.i16;
    case PT_LONG: return got->v.i32 == want->v.i32;
    case PT_FLOAT: return memcmp(&got->v.f32, &want->v.f32, 4) == 0;
    case PT_DOUBLE: case PT_APPTIME: return memcmp(&got->v.f64, &want->v.f64, 8) == 0;
    case PT_CURRENCY: case PT_I8: return got->v.i64 == want->v.i64;
    case PT_BOOLEAN: return got->v.b == want->v.b;
    case PT_SYSTIME: return got->v.ft == want->v.ft;
    case PT_UNICODE: return strcmp(got->v.str, want->v.str) == 0;
    case PT_CLSID: return memcmp(got->v.guid->b, want->v.guid->b, 16) == 0;
    case PT_BINARY: return same_bin(&got->v.bin, &want->v.bin);
    }
    if (!(t & MV_FLAG) || got->v.mv.n != want->v.mv.n)
        return 0;
    uint16_t base = t & (uint16_t)~MV_FLAG;
    uint32_t n = want->v.mv.n;
    if (elem_size(base))
        return n == 0 || memcmp(got->v.mv.v, want->v.mv.v, n * elem_size(base)) == 0;
    for (uint32_t i = 0; i < n; i++) {
        if (base == PT_UNICODE &&
            strcmp(((const char *const *)got->v.mv.v)[i], ((const char *const *)want->v.mv.v)[i]))
            return 0;
        if (base == PT_BINARY &&
            !same_bin(&((const mh_bin *)got->v.mv.v)[i], &((const mh_bin *)want->v.mv.v)[i]))
            return 0;
    }
    return base == PT_UNICODE || base == PT_BINARY;
}

/* Checks that each value of `got` equals the one written, by position. */
#define CHECK_VALUES(got, want, n)                                                   \
    do {                                                                             \
        for (uint16_t i_ = 0; i_ < (n); i_++) {                                      \
            if (!same_value(&(got)[i_], &(want)[i_]))                                \
                printf("# value %u (0x%08X) came back as 0x%08X, different\n", i_,   \
                       (want)[i_].tag, (got)[i_].tag);                               \
            CHECK(same_value(&(got)[i_], &(want)[i_]));                              \
        }                                                                            \
    } while (0)

/* A deterministic byte pattern (xorshift). */
static unsigned char *noise(size_t n, uint32_t seed)
{
    unsigned char *p = apr_palloc(pool, n ? n : 1);
    uint32_t x = seed | 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)x;
    }
    return p;
}

/* n bytes (even) of UTF-16LE text: BMP characters other than NUL and the
 * surrogates, and now and then a character outside the BMP as a pair. */
static unsigned char *utf16_text(size_t n, uint32_t seed)
{
    unsigned char *p = apr_palloc(pool, n);
    uint32_t x = seed | 1;
    size_t k = 0;
    while (k < n) {
        x = x * 1103515245u + 12345u;
        uint32_t r = x >> 8;
        if (r % 61 == 0 && k + 4 <= n) {
            uint32_t c = 0x10000 + r % 0xFFFFF;
            uint16_t hi = (uint16_t)(0xD800 + ((c - 0x10000) >> 10));
            uint16_t lo = (uint16_t)(0xDC00 + ((c - 0x10000) & 0x3FF));
            p[k++] = hi & 0xFF; p[k++] = hi >> 8; p[k++] = lo & 0xFF; p[k++] = lo >> 8;
            continue;
        }
        uint16_t c = (uint16_t)(r % 3 ? 0x20 + r % 0x5F : 0x20 + r % (0xD7FF - 0x20));
        p[k++] = c & 0xFF;
        p[k++] = (unsigned char)(c >> 8);
    }
    return p;
}

/* Reads the stream in slot `stream` to its end with ReadStream of
 * `count` bytes (0xBABE: as much as the server sends, with chained
 * responses when the session asks for them).  Returns the bytes and the
 * number of Executes in *execs_r and of chained payloads in *chained_r. */
static const unsigned char *read_stream(ems *s, uint32_t stream, size_t size, uint16_t count,
                                        int *execs_r, int *chained_r)
{
    unsigned char *all = apr_palloc(pool, size + 1);
    size_t got = 0;
    *execs_r = *chained_r = 0;
    while (got < size && *execs_r < 1000) {
        mh_rop_batch *b = batch(stream);
        mh_ropc_read_stream(b, 0, 0, count, (uint32_t)(size - got));
        mh_exec_result res;
        mh_rd rd;
        if (run(s, b, &res, &rd) < 0)
            return NULL;
        (*execs_r)++;
        size_t before = got;
        for (size_t o = 0; o < res.n_outs; o++) {
            mh_rd ord;
            mh_exec_reader(&res, o, &ord);
            mh_ropc_read_stream_r r;
            if (mh_ropc_read_stream_parse(&ord, &r) < 0 || r.h.rv) {
                printf("# ReadStream failed (payload %zu): %s\n", o,
                       mh_mapi_err_name(r.h.rv, pool));
                return NULL;
            }
            if (r.size > size - got) {
                printf("# ReadStream gave %u bytes with %zu left\n", r.size, size - got);
                return NULL;
            }
            memcpy(all + got, r.data, r.size);
            got += r.size;
            if (o > 0)
                (*chained_r)++;
        }
        if (got == before) {
            printf("# ReadStream gave nothing at %zu of %zu\n", got, size);
            return NULL;
        }
    }
    return got == size ? all : NULL;
}

/* Writes data through the stream in slot `stream` in pieces (one
 * WriteStream per Execute); 0 or -1. */
static int write_stream(ems *s, uint32_t stream, const unsigned char *data, size_t len,
                        size_t piece)
{
    for (size_t at = 0; at < len; at += piece) {
        size_t n = len - at < piece ? len - at : piece;
        mh_rop_batch *b = batch(stream);
        mh_ropc_write_stream(b, 0, 0, data + at, (uint16_t)n);
        mh_exec_result res;
        mh_rd rd;
        mh_ropc_written_r w;
        if (run(s, b, &res, &rd) < 0 || mh_ropc_write_stream_parse(&rd, &w) < 0 || w.h.rv ||
            w.written != n) {
            printf("# WriteStream at %zu failed\n", at);
            return -1;
        }
    }
    return 0;
}

static const mh_guid PS_PUBLIC_STRINGS = {{0x29, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
                                           0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};
static const mh_guid PSETID_COMMON = {{0x08, 0x20, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00,
                                       0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};

static const mh_proptag recip_cols[3] = {PR_OBJECT_TYPE, PR_DISPLAY_TYPE, PR_SMTP_ADDRESS};

/* An SMTP recipient row with the three columns above. */
static mh_recipient *smtp_recipient(const char *name, const char *email)
{
    mh_propval *v = apr_pcalloc(pool, 3 * sizeof(*v));
    v[0] = mh_pv_long(PR_OBJECT_TYPE, 6);  /* MAPI_MAILUSER */
    v[1] = mh_pv_long(PR_DISPLAY_TYPE, 0); /* DT_MAILUSER */
    v[2] = mh_pv_str(PR_SMTP_ADDRESS, email);
    mh_recipient *r = apr_pcalloc(pool, sizeof(*r));
    r->flags = MH_RF_TYPE_SMTP;
    r->display_name = name;
    r->email = email;
    r->n_cols = 3;
    r->vals = v;
    return r;
}

/* The column of `tag` among cols, or -1. */
static int col_of(const mh_proptag *cols, uint16_t n, mh_proptag tag)
{
    for (uint16_t i = 0; i < n; i++)
        if (cols[i] == tag)
            return i;
    return -1;
}

#define BODY_SIZE (1024 * 1024)
#define ATTACH_SIZE 60000

static const struct {
    uint8_t type;
    const char *name, *email;
} RCPTS[3] = {
    {1, "Grace Hopper", "grace@example.org"},
    {2, "Alan M. Turing", "alan@example.org"},
    {3, "\xc3\x89milie du Ch\xc3\xa2telet", "emilie@example.org"},
};

static void test_message_round_trip(void)
{
    ems *s = ems_open("ada", NULL, NULL);
    REQUIRE(s);
    uint64_t ipm = s->lr.folder_ids[MH_LF_IPM_SUBTREE];
    mh_exec_result res;
    mh_rd rd;

    /* 1. a folder; named properties of both kinds, created */
    mh_propname names[2];
    memset(names, 0, sizeof(names));
    names[0].guid = PSETID_COMMON;
    names[0].kind = MH_MNID_ID;
    names[0].lid = 0x85C7;
    names[1].guid = PS_PUBLIC_STRINGS;
    names[1].kind = MH_MNID_STRING;
    names[1].name = "it-emsmdb F\xc3\xa4rbung";
    mh_propname unknown = names[1];
    unknown.name = "it-emsmdb never created";
    mh_rop_batch *b = batch(s->logon);
    mh_ropc_open_folder(b, 0, 0, 1, ipm, 0);
    mh_ropc_create_folder(b, 0, 1, 2, MH_ROPC_FOLDER_GENERIC, 1, 0, "Round trip", NULL);
    mh_ropc_get_ids_from_names(b, 0, 0, MH_NAMES_CREATE, names, 2);
    mh_ropc_get_ids_from_names(b, 0, 0, 0, names, 2);
    mh_ropc_get_ids_from_names(b, 0, 0, 0, &unknown, 1);
    mh_ropc_release(b, 0, 1);
    REQUIRE(run(s, b, &res, &rd) == 0);
    mh_ropc_open_folder_r of;
    mh_ropc_create_folder_r cf;
    mh_ropc_ids_r ids, ids2, ids3;
    PARSE(mh_ropc_open_folder_parse(&rd, pool, &of));
    PARSE(mh_ropc_create_folder_parse(&rd, pool, &cf));
    REQUIRE(cf.h.rv == 0);
    uint64_t fid = cf.folder_id;
    uint32_t folder = mh_exec_handle(&res, 2);
    PARSE(mh_ropc_get_ids_from_names_parse(&rd, pool, &ids));
    REQUIRE(ids.h.rv == 0 && ids.n == 2);
    CHECK(ids.ids[0] >= 0x8000 && ids.ids[1] >= 0x8000 && ids.ids[0] != ids.ids[1]);
    PARSE(mh_ropc_get_ids_from_names_parse(&rd, pool, &ids2));
    CHECK_EQ_U(ids2.h.rv, 0);
    CHECK(ids2.n == 2 && ids2.ids[0] == ids.ids[0] && ids2.ids[1] == ids.ids[1]);
    PARSE(mh_ropc_get_ids_from_names_parse(&rd, pool, &ids3));
    CHECK_EQ_U(ids3.h.rv, MAPI_W_ERRORS_RETURNED);
    CHECK(ids3.n == 1 && ids3.ids[0] == 0);
    mh_proptag named_long = MH_TAG(ids.ids[0], PT_LONG);
    mh_proptag named_str = MH_TAG(ids.ids[1], PT_UNICODE);

    /* 2. the message: values of every type, recipients */
    static const int16_t mv16[3] = {1, -2, 32767};
    static const int32_t mv32[4] = {10, -20, 30, INT32_MIN};
    static const int64_t mv64[3] = {1, -1, INT64_MAX};
    static const float mvflt[2] = {0.5f, -0.25f};
    static const double mvdbl[2] = {1e300, -1e-300};
    static const int64_t mvcur[2] = {10000, -5};
    static const double mvapt[2] = {1.5, 45000.25};
    static const uint64_t mvtime[2] = {0x01D0000000000000ull, 0x01DA2B3C4D5E6F70ull};
    static const char *mvstr8[3] = {"one", "two", "caf\xc3\xa9"};
    static const char *mvuni[3] = {"\xce\xb1", "\xce\xb2 \xce\xb3", "\xf0\x9f\x98\x80 smile"};
    static const mh_guid guid = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
    static const mh_guid mvguid[2] = {{{0xA0}},
                                      {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF}}};
    const unsigned char *bin = noise(300, 7);
    mh_bin mvbin[3] = {{3, (const uint8_t *)"\x01\x02\x03"}, {0, (const uint8_t *)""},
                       {1, (const uint8_t *)"\xff"}};
    mh_propval v[40];
    uint16_t nv = 0;
    memset(v, 0, sizeof(v));
    v[nv++] = mh_pv_str(PR_SUBJECT, "Round trip \xe2\x98\x83");
    v[nv++] = mh_pv_str(PR_MESSAGE_CLASS, "IPM.Note.it-emsmdb");
    v[nv++] = mh_pv_long(PR_IMPORTANCE, 2);
    v[nv++] = (mh_propval){.tag = T_I16, .v.i16 = -12345};
    v[nv++] = mh_pv_long(T_I32, -2000000000);
    v[nv++] = mh_pv_i8(T_I64, 0x0123456789ABCDEFll);
    v[nv++] = (mh_propval){.tag = T_FLT, .v.f32 = 3.25f};
    v[nv++] = (mh_propval){.tag = T_DBL, .v.f64 = -1.0 / 3.0};
    v[nv++] = (mh_propval){.tag = T_CUR, .v.i64 = 123456789};
    v[nv++] = (mh_propval){.tag = T_APT, .v.f64 = 45000.75};
    v[nv++] = mh_pv_bool(T_BOOL, 1);
    v[nv++] = mh_pv_time(T_TIME, 0x01DA2B3C4D5E6F70ull);
    v[nv++] = (mh_propval){.tag = T_STR8, .v.str = "caf\xc3\xa9 cr\xc3\xa8me"};
    v[nv++] = mh_pv_str(T_UNI, "\xce\xa9\xe2\x89\x88\xc3\xa7 \xe6\x97\xa5\xe6\x9c\xac "
                               "\xf0\x9f\x93\xac");
    v[nv++] = mh_pv_bin(T_BIN, bin, 300);
    v[nv++] = (mh_propval){.tag = T_GUID, .v.guid = &guid};
    v[nv++] = (mh_propval){.tag = T_MV16, .v.mv = {3, mv16}};
    v[nv++] = (mh_propval){.tag = T_MV32, .v.mv = {4, mv32}};
    v[nv++] = (mh_propval){.tag = T_MV64, .v.mv = {3, mv64}};
    v[nv++] = (mh_propval){.tag = T_MVFLT, .v.mv = {2, mvflt}};
    v[nv++] = (mh_propval){.tag = T_MVDBL, .v.mv = {2, mvdbl}};
    v[nv++] = (mh_propval){.tag = T_MVCUR, .v.mv = {2, mvcur}};
    v[nv++] = (mh_propval){.tag = T_MVAPT, .v.mv = {2, mvapt}};
    v[nv++] = (mh_propval){.tag = T_MVTIME, .v.mv = {2, mvtime}};
    v[nv++] = (mh_propval){.tag = T_MVSTR8, .v.mv = {3, mvstr8}};
    v[nv++] = (mh_propval){.tag = T_MVUNI, .v.mv = {3, mvuni}};
    v[nv++] = (mh_propval){.tag = T_MVBIN, .v.mv = {3, mvbin}};
    v[nv++] = (mh_propval){.tag = T_MVGUID, .v.mv = {2, mvguid}};
    v[nv++] = mh_pv_long(named_long, 0x5A5A5A5A);
    v[nv++] = mh_pv_str(named_str, "named \xe2\x9c\x93");
    mh_proptag tags[40];
    for (uint16_t i = 0; i < nv; i++)
        tags[i] = v[i].tag;

    mh_modify_recipient mr[4] = {
        {0, 1, smtp_recipient("Grace Hopper", "grace@example.org")},
        {1, 2, smtp_recipient("Alan Turing", "alan@example.org")},
        {2, 3, smtp_recipient(RCPTS[2].name, RCPTS[2].email)},
        {3, 1, smtp_recipient("Temporary", "temp@example.org")},
    };
    /* then: row 1 rewritten, row 3 removed */
    mh_modify_recipient mr2[2] = {
        {1, 2, smtp_recipient(RCPTS[1].name, RCPTS[1].email)},
        {3, 1, NULL},
    };
    b = batch(folder);
    mh_ropc_create_message(b, 0, 0, 1, 0x0FFF, fid, 0);
    mh_ropc_set_props(b, 0, 1, v, nv, CP);
    mh_ropc_modify_recipients(b, 0, 1, recip_cols, 3, mr, 4, CP);
    mh_ropc_modify_recipients(b, 0, 1, recip_cols, 3, mr2, 2, CP);
    mh_ropc_read_recipients(b, 0, 1, 0);
    mh_ropc_get_names_from_ids(b, 0, 1, ids.ids, 2);
    mh_ropc_get_props_specific(b, 0, 1, 0, 1, tags, nv);
    REQUIRE(run(s, b, &res, &rd) == 0);
    mh_ropc_create_message_r cm;
    PARSE(mh_ropc_create_message_parse(&rd, &cm));
    REQUIRE(cm.h.rv == 0);
    uint32_t msg = mh_exec_handle(&res, 1);
    mh_ropc_problems_r sp;
    PARSE(mh_ropc_set_props_parse(&rd, pool, &sp));
    CHECK_EQ_U(sp.h.rv, 0);
    CHECK_EQ_U(sp.n, 0);
    for (uint16_t i = 0; i < sp.n; i++)
        printf("# SetProperties refused 0x%08X: %s\n", sp.problems[i].tag,
               mh_mapi_err_name(sp.problems[i].err, pool));
    mh_ropc_hdr h;
    PARSE(mh_ropc_simple_parse(&rd, MH_ROPID_MODIFY_RECIPIENTS, &h));
    CHECK_EQ_U(h.rv, 0);
    PARSE(mh_ropc_simple_parse(&rd, MH_ROPID_MODIFY_RECIPIENTS, &h));
    CHECK_EQ_U(h.rv, 0);
    mh_ropc_read_recipients_r rr;
    PARSE(mh_ropc_read_recipients_parse(&rd, recip_cols, 3, CP, pool, &rr));
    CHECK_EQ_U(rr.h.rv, 0);
    CHECK_EQ_U(rr.n_rows, 3);
    for (int i = 0; i < 3 && i < rr.n_rows; i++) {
        CHECK_EQ_U(rr.rows[i].row_id, i);
        CHECK_EQ_U(rr.rows[i].recipient_type, RCPTS[i].type);
        CHECK_STR(rr.rows[i].display_name, RCPTS[i].name);
        CHECK_STR(rr.rows[i].email, RCPTS[i].email);
        CHECK_EQ_U(rr.rows[i].flags & MH_RF_TYPE_MASK, MH_RF_TYPE_SMTP);
        REQUIRE(rr.rows[i].n_cols == 3);
        CHECK_STR(str_of(&rr.rows[i].vals[2]), RCPTS[i].email);
        CHECK_EQ_U(long_of(&rr.rows[i].vals[0]), 6);
    }
    mh_ropc_names_r nm;
    PARSE(mh_ropc_get_names_from_ids_parse(&rd, pool, &nm));
    CHECK_EQ_U(nm.h.rv, 0);
    REQUIRE(nm.n == 2);
    CHECK_EQ_U(nm.names[0].kind, MH_MNID_ID);
    CHECK_MEM(nm.names[0].guid.b, 16, PSETID_COMMON.b, 16);
    CHECK_EQ_U(nm.names[0].lid, 0x85C7);
    CHECK_EQ_U(nm.names[1].kind, MH_MNID_STRING);
    CHECK_MEM(nm.names[1].guid.b, 16, PS_PUBLIC_STRINGS.b, 16);
    CHECK_STR(nm.names[1].name, names[1].name);
    mh_ropc_props_r gp;
    PARSE(mh_ropc_get_props_specific_parse(&rd, tags, nv, CP, pool, &gp));
    CHECK_EQ_U(gp.h.rv, 0);
    CHECK_VALUES(gp.vals, v, nv); /* the instance, before any save */

    /* 3. an attachment whose data goes through a stream in two pieces */
    const unsigned char *adata = noise(ATTACH_SIZE, 99);
    mh_propval av[3] = {mh_pv_long(PR_ATTACH_METHOD, 1), /* ATTACH_BY_VALUE */
                        mh_pv_str(PR_ATTACH_LONG_FILENAME, "noise \xe2\x84\x96 1.bin"),
                        mh_pv_str(PR_DISPLAY_NAME, "noise")};
    b = batch(msg);
    mh_ropc_create_attachment(b, 0, 0, 1);
    mh_ropc_set_props(b, 0, 1, av, 3, CP);
    mh_ropc_open_stream(b, 0, 1, 2, PR_ATTACH_DATA_BIN, MH_STREAM_CREATE);
    REQUIRE(run(s, b, &res, &rd) == 0);
    mh_ropc_create_attachment_r ca;
    PARSE(mh_ropc_create_attachment_parse(&rd, &ca));
    REQUIRE(ca.h.rv == 0);
    uint32_t attach_num0 = ca.attach_num;
    PARSE(mh_ropc_set_props_parse(&rd, pool, &sp));
    CHECK(sp.h.rv == 0 && sp.n == 0);
    mh_ropc_stream_size_r os;
    PARSE(mh_ropc_open_stream_parse(&rd, &os));
    REQUIRE(os.h.rv == 0);
    CHECK_EQ_U(os.size, 0);
    uint32_t att = mh_exec_handle(&res, 1), stm = mh_exec_handle(&res, 2);
    REQUIRE(write_stream(s, stm, adata, ATTACH_SIZE, 30000) == 0);
    b = batch(stm);
    mh_rop_batch_set_handle(b, 1, att);
    mh_ropc_get_stream_size(b, 0, 0);
    mh_ropc_commit_stream(b, 0, 0);
    mh_ropc_release(b, 0, 0);
    mh_ropc_save_changes_attachment(b, 0, 1, 1, 0);
    mh_ropc_release(b, 0, 1);
    REQUIRE(run(s, b, &res, &rd) == 0);
    mh_ropc_stream_size_r ss;
    PARSE(mh_ropc_get_stream_size_parse(&rd, &ss));
    CHECK_EQ_U(ss.size, ATTACH_SIZE);
    PARSE(mh_ropc_simple_parse(&rd, MH_ROPID_COMMIT_STREAM, &h));
    CHECK_EQ_U(h.rv, 0);
    PARSE(mh_ropc_simple_parse(&rd, MH_ROPID_SAVE_CHANGES_ATTACHMENT, &h));
    CHECK_EQ_U(h.rv, 0);

    /* 4. an embedded message with its own values and recipient */
    mh_propval ev[4] = {mh_pv_str(PR_SUBJECT, "Inner \xc2\xbd"),
                        mh_pv_str(PR_BODY, "The embedded message's body.\r\n"),
                        mh_pv_long(T_I32, 4242),
                        mh_pv_str(PR_MESSAGE_CLASS, "IPM.Note")};
    mh_proptag etags[4] = {ev[0].tag, ev[1].tag, ev[2].tag, ev[3].tag};
    mh_propval emv[2] = {mh_pv_long(PR_ATTACH_METHOD, 5), /* ATTACH_EMBEDDED_MSG */
                         mh_pv_str(PR_DISPLAY_NAME, "Inner")};
    mh_modify_recipient emr = {0, 1, smtp_recipient("Inner Reader", "inner@example.org")};
    b = batch(msg);
    mh_ropc_create_attachment(b, 0, 0, 1);
    mh_ropc_set_props(b, 0, 1, emv, 2, CP);
    mh_ropc_open_embedded_message(b, 0, 1, 2, 0x0FFF, 0x02 /* Create */);
    mh_ropc_set_props(b, 0, 2, ev, 4, CP);
    mh_ropc_modify_recipients(b, 0, 2, recip_cols, 3, &emr, 1, CP);
    mh_ropc_save_changes_message(b, 0, 2, 2, 0);
    mh_ropc_release(b, 0, 2);
    mh_ropc_save_changes_attachment(b, 0, 1, 1, 0);
    mh_ropc_release(b, 0, 1);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_create_attachment_parse(&rd, &ca));
    REQUIRE(ca.h.rv == 0);
    uint32_t attach_num1 = ca.attach_num;
    CHECK(attach_num1 != attach_num0);
    PARSE(mh_ropc_set_props_parse(&rd, pool, &sp));
    CHECK(sp.h.rv == 0 && sp.n == 0);
    mh_ropc_open_message_r om;
    PARSE(mh_ropc_open_embedded_message_parse(&rd, CP, pool, &om));
    REQUIRE(om.h.rv == 0);
    PARSE(mh_ropc_set_props_parse(&rd, pool, &sp));
    CHECK(sp.h.rv == 0 && sp.n == 0);
    PARSE(mh_ropc_simple_parse(&rd, MH_ROPID_MODIFY_RECIPIENTS, &h));
    CHECK_EQ_U(h.rv, 0);
    mh_ropc_save_message_r sm;
    PARSE(mh_ropc_save_changes_message_parse(&rd, &sm));
    CHECK_EQ_U(sm.h.rv, 0);
    PARSE(mh_ropc_simple_parse(&rd, MH_ROPID_SAVE_CHANGES_ATTACHMENT, &h));
    CHECK_EQ_U(h.rv, 0);

    /* 5. a 1 MB body through a stream, in odd-sized pieces */
    const unsigned char *body = utf16_text(BODY_SIZE, 2024);
    b = batch(msg);
    mh_ropc_open_stream(b, 0, 0, 1, PR_BODY, MH_STREAM_CREATE);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_open_stream_parse(&rd, &os));
    REQUIRE(os.h.rv == 0);
    stm = mh_exec_handle(&res, 1);
    REQUIRE(write_stream(s, stm, body, BODY_SIZE, 30001) == 0);
    b = batch(stm);
    mh_rop_batch_set_handle(b, 1, msg);
    mh_ropc_get_stream_size(b, 0, 0);
    mh_ropc_commit_stream(b, 0, 0);
    mh_ropc_release(b, 0, 0);
    mh_ropc_save_changes_message(b, 0, 1, 1, 0);
    mh_ropc_release(b, 0, 1);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_get_stream_size_parse(&rd, &ss));
    CHECK_EQ_U(ss.size, BODY_SIZE);
    PARSE(mh_ropc_simple_parse(&rd, MH_ROPID_COMMIT_STREAM, &h));
    CHECK_EQ_U(h.rv, 0);
    PARSE(mh_ropc_save_changes_message_parse(&rd, &sm));
    REQUIRE(sm.h.rv == 0);
    uint64_t mid = sm.message_id;
    CHECK(mid != 0);
    long contents, children;
    folder_counts(s, fid, &contents, &children);
    CHECK_EQ_U(contents, 1);

    /* 6. reopened: the values, recipients, attachment table */
    static const mh_proptag att_cols[5] = {PR_ATTACH_NUM, PR_ATTACH_METHOD,
                                           PR_ATTACH_LONG_FILENAME, PR_DISPLAY_NAME,
                                           PR_ATTACH_SIZE};
    mh_proptag more[6] = {PR_BODY, PR_HASATTACH, PR_DISPLAY_TO_W, PR_DISPLAY_CC_W,
                          PR_DISPLAY_BCC_W, PR_MID};
    b = batch(folder);
    mh_ropc_open_message(b, 0, 0, 1, 0x0FFF, fid, MH_OPEN_READ_ONLY, mid);
    mh_ropc_get_props_specific(b, 0, 1, 0, 1, tags, nv);
    mh_ropc_get_props_specific(b, 0, 1, 0, 1, more, 6);
    mh_ropc_get_props_all(b, 0, 1, 0, 1);
    mh_ropc_get_props_list(b, 0, 1);
    mh_ropc_get_attachment_table(b, 0, 1, 2, 0);
    mh_ropc_set_columns(b, 0, 2, 0, att_cols, 5);
    mh_ropc_query_rows(b, 0, 2, MH_QUERY_ADVANCE, 1, 10);
    mh_ropc_release(b, 0, 2);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_open_message_parse(&rd, CP, pool, &om));
    REQUIRE(om.h.rv == 0);
    msg = mh_exec_handle(&res, 1);
    CHECK_STR(apr_pstrcat(pool, om.subject_prefix ? om.subject_prefix : "",
                          om.normalized_subject ? om.normalized_subject : "", NULL),
              "Round trip \xe2\x98\x83");
    CHECK_EQ_U(om.has_named_props, 1);
    CHECK_EQ_U(om.recipient_count, 3);
    CHECK_EQ_U(om.n_rows, 3);
    int smtp_col = col_of(om.cols, om.n_cols, PR_SMTP_ADDRESS);
    CHECK(smtp_col >= 0);
    for (int i = 0; i < 3 && i < om.n_rows; i++) {
        CHECK_EQ_U(om.rows[i].recipient_type, RCPTS[i].type);
        CHECK_STR(om.rows[i].display_name, RCPTS[i].name);
        CHECK_STR(om.rows[i].email, RCPTS[i].email);
        if (smtp_col >= 0 && smtp_col < om.rows[i].n_cols)
            CHECK_STR(str_of(&om.rows[i].vals[smtp_col]), RCPTS[i].email);
    }
    PARSE(mh_ropc_get_props_specific_parse(&rd, tags, nv, CP, pool, &gp));
    CHECK_EQ_U(gp.h.rv, 0);
    CHECK_VALUES(gp.vals, v, nv);
    PARSE(mh_ropc_get_props_specific_parse(&rd, more, 6, CP, pool, &gp));
    CHECK_EQ_U(gp.h.rv, 0);
    /* the 1 MB body does not fit a GetPropertiesSpecific response: an error
     * in its place (MS-OXCPRPT 3.2.5.1), read it as a stream */
    CHECK_EQ_U(gp.vals[0].tag, MH_TAG(MH_TAG_ID(PR_BODY), PT_ERROR));
    CHECK_EQ_U(gp.vals[0].v.err, MAPI_E_NOT_ENOUGH_MEMORY);
    CHECK_EQ_U(long_of(&gp.vals[1]), 1);
    const char *to = str_of(&gp.vals[2]);
    CHECK(to && strstr(to, "Grace Hopper") && !strstr(to, "Temporary"));
    CHECK_STR(str_of(&gp.vals[3]), RCPTS[1].name);
    CHECK_STR(str_of(&gp.vals[4]), RCPTS[2].name);
    CHECK_EQ_U(long_of(&gp.vals[5]), mid);
    /* GetPropertiesAll has every value written (strings as Unicode, as
     * asked), GetPropertiesList every tag */
    mh_ropc_props_r all;
    PARSE(mh_ropc_get_props_all_parse(&rd, CP, pool, &all));
    CHECK_EQ_U(all.h.rv, 0);
    mh_ropc_tags_r list;
    PARSE(mh_ropc_get_props_list_parse(&rd, pool, &list));
    CHECK_EQ_U(list.h.rv, 0);
    for (uint16_t i = 0; i < nv; i++) {
        int in_all = 0, in_list = 0;
        for (uint16_t k = 0; k < all.n; k++)
            if (MH_TAG_ID(all.vals[k].tag) == MH_TAG_ID(v[i].tag))
                in_all = same_value(&all.vals[k], &v[i]);
        for (uint16_t k = 0; k < list.n; k++)
            if (MH_TAG_ID(list.tags[k]) == MH_TAG_ID(v[i].tag))
                in_list = 1;
        if (!in_all || !in_list)
            printf("# 0x%08X: GetPropertiesAll %s, GetPropertiesList %s\n", v[i].tag,
                   in_all ? "same" : "missing or different", in_list ? "has it" : "has not");
        CHECK(in_all && in_list);
    }
    PARSE(mh_ropc_simple_parse(&rd, MH_ROPID_GET_ATTACHMENT_TABLE, &h));
    CHECK_EQ_U(h.rv, 0);
    mh_ropc_status_r st;
    PARSE(mh_ropc_set_columns_parse(&rd, &st));
    CHECK_EQ_U(st.h.rv, 0);
    mh_ropc_rows_r qr;
    PARSE(mh_ropc_query_rows_parse(&rd, att_cols, 5, CP, pool, &qr));
    CHECK_EQ_U(qr.h.rv, 0);
    REQUIRE(qr.n_rows == 2);
    int a0 = long_of(&qr.rows[0][0]) == attach_num0 ? 0 : 1;
    CHECK_EQ_U(long_of(&qr.rows[a0][0]), attach_num0);
    CHECK_EQ_U(long_of(&qr.rows[a0][1]), 1);
    CHECK_STR(str_of(&qr.rows[a0][2]), "noise \xe2\x84\x96 1.bin");
    CHECK(long_of(&qr.rows[a0][4]) >= ATTACH_SIZE); /* the data and a little more */
    CHECK_EQ_U(long_of(&qr.rows[1 - a0][0]), attach_num1);
    CHECK_EQ_U(long_of(&qr.rows[1 - a0][1]), 5);
    CHECK_STR(str_of(&qr.rows[1 - a0][3]), "Inner");

    /* 7. the body, read back over many Executes with chained responses
     * (MS-OXCRPC 3.1.4.2.1.2.2), as Outlook reads: MaxRopOut 0x10008 */
    b = batch(msg);
    mh_ropc_open_stream(b, 0, 0, 1, PR_BODY, MH_STREAM_READ_ONLY);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_open_stream_parse(&rd, &os));
    REQUIRE(os.h.rv == 0);
    CHECK_EQ_U(os.size, BODY_SIZE);
    stm = mh_exec_handle(&res, 1);
    uint32_t flags = s->em->exec_flags;
    s->em->exec_flags |= MH_EXEC_CHAIN;
    int execs, chained;
    const unsigned char *back = read_stream(s, stm, BODY_SIZE, 0xBABE, &execs, &chained);
    s->em->exec_flags = flags;
    REQUIRE(back);
    CHECK_MEM(back, BODY_SIZE, body, BODY_SIZE);
    CHECK(execs >= 10 && chained >= execs - 1);
    printf("# the 1 MB body came back in %d Executes, %d chained payloads\n", execs, chained);
    /* SeekStream to the middle and read a piece without chaining */
    b = batch(stm);
    mh_ropc_seek_stream(b, 0, 0, 0, 500001);
    mh_ropc_read_stream(b, 0, 0, 1000, 0);
    mh_ropc_release(b, 0, 0);
    REQUIRE(run(s, b, &res, &rd) == 0);
    mh_ropc_seek_stream_r sk;
    PARSE(mh_ropc_seek_stream_parse(&rd, &sk));
    CHECK_EQ_U(sk.new_position, 500001);
    mh_ropc_read_stream_r rs;
    PARSE(mh_ropc_read_stream_parse(&rd, &rs));
    CHECK_EQ_U(rs.h.rv, 0);
    CHECK_MEM(rs.data, rs.size, body + 500001, 1000);
    CHECK_EQ_U(res.n_outs, 1);

    /* 8. the attachment: its values and its data, 0x7000 bytes at a time */
    static const mh_proptag aq[3] = {PR_ATTACH_METHOD, PR_ATTACH_LONG_FILENAME, PR_ATTACH_NUM};
    b = batch(msg);
    mh_ropc_open_attachment(b, 0, 0, 1, 0, attach_num0);
    mh_ropc_get_props_specific(b, 0, 1, 0, 1, aq, 3);
    mh_ropc_open_stream(b, 0, 1, 2, PR_ATTACH_DATA_BIN, MH_STREAM_READ_ONLY);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_simple_parse(&rd, MH_ROPID_OPEN_ATTACHMENT, &h));
    REQUIRE(h.rv == 0);
    PARSE(mh_ropc_get_props_specific_parse(&rd, aq, 3, CP, pool, &gp));
    CHECK_EQ_U(long_of(&gp.vals[0]), 1);
    CHECK_STR(str_of(&gp.vals[1]), "noise \xe2\x84\x96 1.bin");
    CHECK_EQ_U(long_of(&gp.vals[2]), attach_num0);
    PARSE(mh_ropc_open_stream_parse(&rd, &os));
    REQUIRE(os.h.rv == 0);
    CHECK_EQ_U(os.size, ATTACH_SIZE);
    att = mh_exec_handle(&res, 1);
    stm = mh_exec_handle(&res, 2);
    back = read_stream(s, stm, ATTACH_SIZE, 0x7000, &execs, &chained);
    REQUIRE(back);
    CHECK_MEM(back, ATTACH_SIZE, adata, ATTACH_SIZE);
    CHECK_EQ_U(execs, 3);
    /* releasing the attachment releases its stream too */
    release(s, att, MH_HANDLE_UNUSED);
    b = batch(stm);
    mh_ropc_get_stream_size(b, 0, 0);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_get_stream_size_parse(&rd, &ss));
    CHECK_EQ_U(ss.h.rv, EC_NULL_OBJECT);

    /* 9. the embedded message */
    b = batch(msg);
    mh_ropc_open_attachment(b, 0, 0, 1, 0, attach_num1);
    mh_ropc_open_embedded_message(b, 0, 1, 2, 0x0FFF, MH_OPEN_READ_ONLY);
    mh_ropc_get_props_specific(b, 0, 2, 0, 1, etags, 4);
    mh_ropc_read_recipients(b, 0, 2, 0);
    mh_ropc_release(b, 0, 2);
    mh_ropc_release(b, 0, 1);
    mh_ropc_release(b, 0, 0);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_simple_parse(&rd, MH_ROPID_OPEN_ATTACHMENT, &h));
    REQUIRE(h.rv == 0);
    PARSE(mh_ropc_open_embedded_message_parse(&rd, CP, pool, &om));
    REQUIRE(om.h.rv == 0);
    CHECK_STR(om.normalized_subject, "Inner \xc2\xbd");
    CHECK_EQ_U(om.recipient_count, 1);
    PARSE(mh_ropc_get_props_specific_parse(&rd, etags, 4, CP, pool, &gp));
    CHECK_EQ_U(gp.h.rv, 0);
    CHECK_VALUES(gp.vals, ev, 4);
    PARSE(mh_ropc_read_recipients_parse(&rd, om.cols, om.n_cols, CP, pool, &rr));
    CHECK_EQ_U(rr.h.rv, 0);
    REQUIRE(rr.n_rows == 1);
    CHECK_STR(rr.rows[0].display_name, "Inner Reader");
    CHECK_STR(rr.rows[0].email, "inner@example.org");
    CHECK_EQ_U(rr.rows[0].recipient_type, 1);
    release(s, folder, MH_HANDLE_UNUSED);
}

/* ------------------------------------------------------- contents tables */

#define NT 60
#define T_BITS MH_TAG(0x6120, PT_LONG)
#define T_PAD MH_TAG(0x6121, PT_BINARY)
#define PAD_SIZE 600
#define HOUR 36000000000ull /* FILETIME units */
#define BASE_TIME 0x01DA000000000000ull

typedef struct tmsg {
    uint64_t mid;
    const char *subject;
    uint64_t time;
    int32_t importance, bits;
    const unsigned char *pad; /* PAD_SIZE bytes: 60 rows need two payloads */
} tmsg;

static tmsg TM[NT];

static void make_tmsg(int i, tmsg *m)
{
    m->subject = apr_psprintf(pool, "Item %02d %s", i,
                              i % 5 == 0 ? "URGENT report" : i % 7 == 0 ? "semi-urgent" : "weekly");
    m->time = BASE_TIME + (uint64_t)((i * 37) % NT) * HOUR;
    m->importance = i % 7 == 0 ? 2 : i % 2;
    m->bits = (i * 5) % 16;
    m->pad = noise(PAD_SIZE, (uint32_t)i + 1000);
}

/* Creates the messages in fid, up to 15 per Execute; their IDs in TM. */
static int put_messages(ems *s, uint64_t fid, uint32_t folder)
{
    for (int at = 0; at < NT; at += 15) {
        mh_rop_batch *b = batch(folder);
        for (int i = at; i < at + 15 && i < NT; i++) {
            mh_propval v[5] = {mh_pv_str(PR_SUBJECT, TM[i].subject),
                               mh_pv_time(PR_MESSAGE_DELIVERY_TIME, TM[i].time),
                               mh_pv_long(PR_IMPORTANCE, TM[i].importance),
                               mh_pv_long(T_BITS, TM[i].bits),
                               mh_pv_bin(T_PAD, TM[i].pad, PAD_SIZE)};
            mh_ropc_create_message(b, 0, 0, 1, 0x0FFF, fid, 0);
            mh_ropc_set_props(b, 0, 1, v, 5, CP);
            mh_ropc_save_changes_message(b, 0, 1, 1, 0);
            mh_ropc_release(b, 0, 1);
        }
        mh_exec_result res;
        mh_rd rd;
        if (run(s, b, &res, &rd) < 0)
            return -1;
        for (int i = at; i < at + 15 && i < NT; i++) {
            mh_ropc_create_message_r cm;
            mh_ropc_problems_r sp;
            mh_ropc_save_message_r sm;
            if (mh_ropc_create_message_parse(&rd, &cm) < 0 || cm.h.rv ||
                mh_ropc_set_props_parse(&rd, pool, &sp) < 0 || sp.h.rv || sp.n ||
                mh_ropc_save_changes_message_parse(&rd, &sm) < 0 || sm.h.rv) {
                printf("# message %d was not made\n", i);
                return -1;
            }
            TM[i].mid = sm.message_id;
        }
    }
    return 0;
}

static const mh_proptag tcols[5] = {PR_MID, PR_SUBJECT, PR_MESSAGE_DELIVERY_TIME, PR_IMPORTANCE,
                                    T_BITS};

/* Checks a row against message i; 0 when it matches. */
static int row_is(const mh_propval *row, int i)
{
    if (long_of(&row[0]) != (long long)TM[i].mid || !str_of(&row[1]) ||
        strcmp(str_of(&row[1]), TM[i].subject) != 0 ||
        MH_TAG_TYPE(row[2].tag) != PT_SYSTIME || row[2].v.ft != TM[i].time ||
        long_of(&row[3]) != TM[i].importance || long_of(&row[4]) != TM[i].bits) {
        printf("# row \"%s\" is not message %d \"%s\"\n", str_of(&row[1]) ? str_of(&row[1]) : "?",
               i, TM[i].subject);
        return -1;
    }
    return 0;
}

/* Rows [from, from + n) are the expected messages exp[from ...]. */
static int rows_are(apr_array_header_t *rows, const int *exp, int n)
{
    if (!rows || rows->nelts != n) {
        printf("# %d rows, %d expected\n", rows ? rows->nelts : -1, n);
        return -1;
    }
    for (int k = 0; k < n; k++)
        if (row_is(ROW(rows, k), exp[k]) != 0)
            return -1;
    return 0;
}

/* The order: importance descending, then delivery time ascending. */
static int by_importance_time(const void *a, const void *b)
{
    const tmsg *x = &TM[*(const int *)a], *y = &TM[*(const int *)b];
    if (x->importance != y->importance)
        return x->importance > y->importance ? -1 : 1;
    return x->time < y->time ? -1 : x->time > y->time;
}

/* What each test restriction keeps, evaluated here from what was written. */
static int keeps(int which, int i)
{
    const tmsg *m = &TM[i];
    switch (which) {
    case 0: return strcasestr(m->subject, "urgent") != NULL;  /* content, substring */
    case 1: return m->importance == 2;                        /* property = */
    case 2: return m->time >= BASE_TIME + 30 * HOUR;          /* property >= */
    case 3: return (m->bits & 0x4) != 0;                      /* bitmask != 0 */
    case 4: return (m->importance == 0 || (m->bits & 0x1) == 0) &&
                   strncmp(m->subject, "Item 1", 6) != 0;     /* and, or, not, prefix */
    }
    return 0;
}

static mh_restriction *test_restriction(int which)
{
    mh_restriction *r = apr_pcalloc(pool, 6 * sizeof(*r));
    switch (which) {
    case 0:
        r->type = MH_RES_CONTENT;
        r->u.content.fuzzy = MH_FL_SUBSTRING | MH_FL_IGNORECASE;
        r->u.content.tag = PR_SUBJECT;
        r->u.content.val = mh_pv_str(PR_SUBJECT, "urgent");
        break;
    case 1:
        r->type = MH_RES_PROPERTY;
        r->u.prop.relop = MH_RELOP_EQ;
        r->u.prop.tag = PR_IMPORTANCE;
        r->u.prop.val = mh_pv_long(PR_IMPORTANCE, 2);
        break;
    case 2:
        r->type = MH_RES_PROPERTY;
        r->u.prop.relop = MH_RELOP_GE;
        r->u.prop.tag = PR_MESSAGE_DELIVERY_TIME;
        r->u.prop.val = mh_pv_time(PR_MESSAGE_DELIVERY_TIME, BASE_TIME + 30 * HOUR);
        break;
    case 3:
        r->type = MH_RES_BITMASK;
        r->u.bitmask.relop = MH_BMR_NEZ;
        r->u.bitmask.tag = T_BITS;
        r->u.bitmask.mask = 0x4;
        break;
    case 4: {
        /* AND(OR(importance = 0, bits & 1 = 0), NOT(subject starts "Item 1")) */
        mh_restriction *or_ = &r[1], *not_ = &r[2];
        r->type = MH_RES_AND;
        r->u.andor.n = 2;
        r->u.andor.sub = &r[1];
        or_->type = MH_RES_OR;
        or_->u.andor.n = 2;
        or_->u.andor.sub = &r[3];
        r[3].type = MH_RES_PROPERTY;
        r[3].u.prop.relop = MH_RELOP_EQ;
        r[3].u.prop.tag = PR_IMPORTANCE;
        r[3].u.prop.val = mh_pv_long(PR_IMPORTANCE, 0);
        r[4].type = MH_RES_BITMASK;
        r[4].u.bitmask.relop = MH_BMR_EQZ;
        r[4].u.bitmask.tag = T_BITS;
        r[4].u.bitmask.mask = 0x1;
        not_->type = MH_RES_NOT;
        not_->u.not_.sub = &r[5];
        r[5].type = MH_RES_CONTENT;
        r[5].u.content.fuzzy = MH_FL_PREFIX;
        r[5].u.content.tag = PR_SUBJECT;
        r[5].u.content.val = mh_pv_str(PR_SUBJECT, "Item 1");
        break;
    }
    }
    return r;
}

/* QueryPosition: numerator and denominator (-1 when it failed). */
static void position(ems *s, uint32_t table, long *num_r, long *den_r)
{
    *num_r = *den_r = -1;
    mh_rop_batch *b = batch(table);
    mh_ropc_query_position(b, 0, 0);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_position_r p;
    if (run(s, b, &res, &rd) < 0 || mh_ropc_query_position_parse(&rd, &p) < 0 || p.h.rv)
        return;
    *num_r = (long)p.numerator;
    *den_r = (long)p.denominator;
}

/* SeekRow; the RowsSought (INT32_MIN when it failed), HasSoughtLess in
 * *less_r. */
static int32_t seek(ems *s, uint32_t table, uint8_t origin, int32_t n, int *less_r)
{
    mh_rop_batch *b = batch(table);
    mh_ropc_seek_row(b, 0, 0, origin, n, 1);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_seek_r r;
    if (run(s, b, &res, &rd) < 0 || mh_ropc_seek_row_parse(&rd, &r) < 0 || r.h.rv)
        return INT32_MIN;
    if (less_r)
        *less_r = r.has_sought_less;
    return r.rows_sought;
}

static void test_contents_tables(void)
{
    ems *s = ems_open("ada", NULL, NULL);
    REQUIRE(s);
    for (int i = 0; i < NT; i++)
        make_tmsg(i, &TM[i]);
    uint64_t fid;
    REQUIRE(create_folder(s, s->lr.folder_ids[MH_LF_IPM_SUBTREE], "Tables", &fid) == 0);
    uint32_t folder, table;
    REQUIRE(open_contents(s, fid, 0, tcols, 5, &folder, &table) == 0);
    REQUIRE(put_messages(s, fid, folder) == 0);
    release(s, table, folder);
    long count = open_contents(s, fid, 0, tcols, 5, &folder, &table);
    CHECK_EQ_U(count, NT);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_status_r st;

    /* 1. sorted on two columns, importance descending */
    int order[NT];
    for (int i = 0; i < NT; i++)
        order[i] = i;
    qsort(order, NT, sizeof(int), by_importance_time);
    mh_sort_order so[2] = {{PR_IMPORTANCE, MH_TABLE_SORT_DESCEND},
                           {PR_MESSAGE_DELIVERY_TIME, MH_TABLE_SORT_ASCEND}};
    mh_sort_set ss = {2, 0, 0, so};
    mh_rop_batch *b = batch(table);
    mh_ropc_sort_table(b, 0, 0, 0, &ss);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_sort_table_parse(&rd, &st));
    CHECK_EQ_U(st.h.rv, 0);
    apr_array_header_t *rows = rows_to_end(s, table, tcols, 5, 1000);
    CHECK_EQ_U(rows_are(rows, order, NT), 0);

    /* chained QueryRows (MS-OXCRPC 3.1.4.2.1.2.2): with the padding the
     * rows need more than one 32 KB payload.  With EnablePackedBuffers
     * (MS-OXCTABL 2.2.2.5.1) the response carries the rest in further
     * payloads, each a QueryRows response of its own; without it, the
     * first payload's rows only. */
    mh_proptag pcols[6] = {tcols[0], tcols[1], tcols[2], tcols[3], tcols[4], T_PAD};
    for (int packed = 0; packed < 2; packed++) {
        b = batch(table);
        mh_ropc_set_columns(b, 0, 0, 0, pcols, 6);
        mh_ropc_seek_row(b, 0, 0, MH_BOOKMARK_BEGINNING, 0, 0);
        mh_ropc_query_rows(b, 0, 0, packed ? MH_QUERY_ENABLE_PACKED_BUFFERS : MH_QUERY_ADVANCE,
                           1, 1000);
        uint32_t flags = s->em->exec_flags, max_out = s->em->max_rop_out;
        s->em->exec_flags |= MH_EXEC_CHAIN;
        s->em->max_rop_out = 0x40000;
        int ran = run(s, b, &res, &rd);
        s->em->exec_flags = flags;
        s->em->max_rop_out = max_out;
        REQUIRE(ran == 0);
        PARSE(mh_ropc_set_columns_parse(&rd, &st));
        mh_ropc_seek_r sk;
        PARSE(mh_ropc_seek_row_parse(&rd, &sk));
        int got = 0;
        for (size_t o = 0; o < res.n_outs; o++) {
            mh_rd ord;
            if (o)
                mh_exec_reader(&res, o, &ord);
            mh_ropc_rows_r qr;
            PARSE(mh_ropc_query_rows_parse(o ? &ord : &rd, pcols, 6, CP, pool, &qr));
            REQUIRE(qr.h.rv == 0 && got + qr.n_rows <= NT);
            for (uint16_t k = 0; k < qr.n_rows; k++, got++) {
                CHECK_EQ_U(row_is(qr.rows[k], order[got]), 0);
                CHECK_MEM(qr.rows[k][5].v.bin.data, qr.rows[k][5].v.bin.len,
                          TM[order[got]].pad, PAD_SIZE);
            }
            CHECK_EQ_U(qr.origin, got == NT ? MH_BOOKMARK_END : MH_BOOKMARK_CURRENT);
        }
        if (packed) {
            CHECK_EQ_U(got, NT);
            CHECK(res.n_outs >= 2);
        } else {
            CHECK(got > 0 && got < NT);
            CHECK_EQ_U(res.n_outs, 1);
        }
    }
    b = batch(table);
    mh_ropc_set_columns(b, 0, 0, 0, tcols, 5);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_set_columns_parse(&rd, &st));
    CHECK_EQ_U(st.h.rv, 0);

    /* 2. paged: 7 rows at a time, the position after each page */
    CHECK_EQ_U(seek(s, table, MH_BOOKMARK_BEGINNING, 0, NULL), 0);
    int seen = 0;
    for (int page = 0; page < 20 && seen < NT; page++) {
        mh_rop_batch *q = batch(table);
        mh_ropc_query_rows(q, 0, 0, MH_QUERY_ADVANCE, 1, 7);
        mh_ropc_query_position(q, 0, 0);
        REQUIRE(run(s, q, &res, &rd) == 0);
        mh_ropc_rows_r qr;
        PARSE(mh_ropc_query_rows_parse(&rd, tcols, 5, CP, pool, &qr));
        REQUIRE(qr.h.rv == 0 && qr.n_rows > 0 && qr.n_rows <= 7);
        for (uint16_t k = 0; k < qr.n_rows; k++)
            CHECK_EQ_U(row_is(qr.rows[k], order[seen + k]), 0);
        seen += qr.n_rows;
        CHECK_EQ_U(qr.origin, seen == NT ? MH_BOOKMARK_END : MH_BOOKMARK_CURRENT);
        mh_ropc_position_r p;
        PARSE(mh_ropc_query_position_parse(&rd, &p));
        CHECK_EQ_U(p.numerator, seen);
        CHECK_EQ_U(p.denominator, NT);
    }
    CHECK_EQ_U(seen, NT);
    /* back 10 from the end, three rows without moving */
    int less = -1;
    CHECK_EQ_U(seek(s, table, MH_BOOKMARK_CURRENT, -10, &less), -10);
    CHECK_EQ_U(less, 0);
    b = batch(table);
    mh_ropc_query_rows(b, 0, 0, MH_QUERY_NO_ADVANCE, 1, 3);
    mh_ropc_query_position(b, 0, 0);
    mh_ropc_create_bookmark(b, 0, 0);
    REQUIRE(run(s, b, &res, &rd) == 0);
    mh_ropc_rows_r qr;
    PARSE(mh_ropc_query_rows_parse(&rd, tcols, 5, CP, pool, &qr));
    REQUIRE(qr.h.rv == 0 && qr.n_rows == 3);
    for (int k = 0; k < 3; k++)
        CHECK_EQ_U(row_is(qr.rows[k], order[NT - 10 + k]), 0);
    mh_ropc_position_r p;
    PARSE(mh_ropc_query_position_parse(&rd, &p));
    CHECK_EQ_U(p.numerator, NT - 10);
    mh_ropc_bookmark_r bm;
    PARSE(mh_ropc_create_bookmark_parse(&rd, pool, &bm));
    REQUIRE(bm.h.rv == 0 && bm.bookmark.len > 0);
    /* elsewhere, then back to the bookmark and two on */
    CHECK_EQ_U(seek(s, table, MH_BOOKMARK_BEGINNING, 5, NULL), 5);
    b = batch(table);
    mh_ropc_query_rows(b, 0, 0, MH_QUERY_ADVANCE, 1, 1);
    mh_ropc_seek_row_bookmark(b, 0, 0, &bm.bookmark, 2, 1);
    mh_ropc_query_rows(b, 0, 0, MH_QUERY_ADVANCE, 1, 1);
    mh_ropc_free_bookmark(b, 0, 0, &bm.bookmark);
    mh_ropc_seek_row_bookmark(b, 0, 0, &bm.bookmark, 0, 0);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_query_rows_parse(&rd, tcols, 5, CP, pool, &qr));
    REQUIRE(qr.h.rv == 0 && qr.n_rows == 1);
    CHECK_EQ_U(row_is(qr.rows[0], order[5]), 0);
    mh_ropc_seek_r sr;
    PARSE(mh_ropc_seek_row_bookmark_parse(&rd, &sr));
    CHECK_EQ_U(sr.h.rv, 0);
    CHECK_EQ_U(sr.row_no_longer_visible, 0);
    CHECK_EQ_U(sr.rows_sought, 2);
    PARSE(mh_ropc_query_rows_parse(&rd, tcols, 5, CP, pool, &qr));
    REQUIRE(qr.h.rv == 0 && qr.n_rows == 1);
    CHECK_EQ_U(row_is(qr.rows[0], order[NT - 8]), 0);
    mh_ropc_hdr h;
    PARSE(mh_ropc_simple_parse(&rd, MH_ROPID_FREE_BOOKMARK, &h));
    CHECK_EQ_U(h.rv, 0);
    PARSE(mh_ropc_seek_row_bookmark_parse(&rd, &sr));
    CHECK_EQ_U(sr.h.rv, MAPI_E_INVALID_BOOKMARK);
    /* past the end: sought less; the last five from the end */
    CHECK_EQ_U(seek(s, table, MH_BOOKMARK_BEGINNING, 100, &less), NT);
    CHECK_EQ_U(less, 1);
    CHECK_EQ_U(seek(s, table, MH_BOOKMARK_END, -5, NULL), -5);
    rows = rows_to_end(s, table, tcols, 5, 10);
    CHECK_EQ_U(rows_are(rows, order + NT - 5, 5), 0);
    /* backwards from the end: the last four (in whatever order) */
    b = batch(table);
    mh_ropc_query_rows(b, 0, 0, MH_QUERY_ADVANCE, 0, 4);
    mh_ropc_query_position(b, 0, 0);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_query_rows_parse(&rd, tcols, 5, CP, pool, &qr));
    REQUIRE(qr.h.rv == 0 && qr.n_rows == 4);
    int found = 0;
    for (int k = 0; k < 4; k++)
        for (int j = NT - 4; j < NT; j++)
            if (long_of(&qr.rows[k][0]) == (long long)TM[order[j]].mid)
                found += row_is(qr.rows[k], order[j]) == 0;
    CHECK_EQ_U(found, 4);
    PARSE(mh_ropc_query_position_parse(&rd, &p));
    CHECK_EQ_U(p.numerator, NT - 4);
    /* FindRow: a subject, from the beginning */
    mh_restriction fr;
    memset(&fr, 0, sizeof(fr));
    fr.type = MH_RES_PROPERTY;
    fr.u.prop.relop = MH_RELOP_EQ;
    fr.u.prop.tag = PR_SUBJECT;
    fr.u.prop.val = mh_pv_str(PR_SUBJECT, TM[33].subject);
    b = batch(table);
    mh_ropc_find_row(b, 0, 0, 0, &fr, MH_BOOKMARK_BEGINNING, NULL, CP);
    mh_ropc_query_position(b, 0, 0);
    REQUIRE(run(s, b, &res, &rd) == 0);
    mh_ropc_find_row_r fw;
    PARSE(mh_ropc_find_row_parse(&rd, tcols, 5, CP, pool, &fw));
    CHECK_EQ_U(fw.h.rv, 0);
    REQUIRE(fw.has_row);
    CHECK_EQ_U(row_is(fw.row, 33), 0);
    int at33 = 0;
    while (order[at33] != 33)
        at33++;
    PARSE(mh_ropc_query_position_parse(&rd, &p));
    CHECK_EQ_U(p.numerator, at33);

    /* 3. restricted: each row set and order computed here */
    for (int which = 0; which < 5; which++) {
        int exp[NT], n = 0;
        for (int k = 0; k < NT; k++)
            if (keeps(which, order[k]))
                exp[n++] = order[k];
        CHECK(n > 0 && n < NT);
        b = batch(table);
        mh_ropc_restrict(b, 0, 0, 0, test_restriction(which), CP);
        mh_ropc_seek_row(b, 0, 0, MH_BOOKMARK_BEGINNING, 0, 0);
        REQUIRE(run(s, b, &res, &rd) == 0);
        PARSE(mh_ropc_restrict_parse(&rd, &st));
        CHECK_EQ_U(st.h.rv, 0);
        rows = rows_to_end(s, table, tcols, 5, 1000);
        if (rows_are(rows, exp, n) != 0)
            printf("# restriction %d\n", which);
        CHECK_EQ_U(rows_are(rows, exp, n), 0);
        long num, den;
        position(s, table, &num, &den);
        CHECK_EQ_U(num, n);
        CHECK_EQ_U(den, n);
    }
    /* no restriction: all rows again */
    b = batch(table);
    mh_ropc_restrict(b, 0, 0, 0, NULL, CP);
    mh_ropc_seek_row(b, 0, 0, MH_BOOKMARK_BEGINNING, 0, 0);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_restrict_parse(&rd, &st));
    CHECK_EQ_U(st.h.rv, 0);
    CHECK_EQ_U(rows_are(rows_to_end(s, table, tcols, 5, 1000), order, NT), 0);

    /* 4. categorized by importance (ascending), newest first inside */
    static const mh_proptag ccols[6] = {PR_INST_ID, PR_ROW_TYPE, PR_DEPTH, PR_CONTENT_COUNT,
                                        PR_IMPORTANCE, PR_MID};
    int cat_n[3] = {0, 0, 0}, leaves[3][NT];
    /* `order` has each importance's rows by time ascending: read backwards */
    for (int imp = 0; imp < 3; imp++)
        for (int k = NT - 1; k >= 0; k--)
            if (TM[order[k]].importance == imp)
                leaves[imp][cat_n[imp]++] = order[k];
    mh_sort_order co[2] = {{PR_IMPORTANCE, MH_TABLE_SORT_ASCEND},
                           {PR_MESSAGE_DELIVERY_TIME, MH_TABLE_SORT_DESCEND}};
    mh_sort_set cs = {2, 1, 0, co};
    b = batch(table);
    mh_ropc_set_columns(b, 0, 0, 0, ccols, 6);
    mh_ropc_sort_table(b, 0, 0, 0, &cs);
    mh_ropc_query_rows(b, 0, 0, MH_QUERY_ADVANCE, 1, 100);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_set_columns_parse(&rd, &st));
    PARSE(mh_ropc_sort_table_parse(&rd, &st));
    CHECK_EQ_U(st.h.rv, 0);
    PARSE(mh_ropc_query_rows_parse(&rd, ccols, 6, CP, pool, &qr));
    REQUIRE(qr.h.rv == 0 && qr.n_rows == 3);
    CHECK_EQ_U(qr.origin, MH_BOOKMARK_END);
    uint64_t cat[3];
    for (int k = 0; k < 3; k++) {
        CHECK_EQ_U(long_of(&qr.rows[k][1]), ROW_COLLAPSED_CATEGORY);
        CHECK_EQ_U(long_of(&qr.rows[k][2]), 0);
        CHECK_EQ_U(long_of(&qr.rows[k][3]), cat_n[k]);
        CHECK_EQ_U(long_of(&qr.rows[k][4]), k);
        CHECK_EQ_U(MH_TAG_TYPE(qr.rows[k][5].tag), PT_ERROR); /* a header has no MID */
        cat[k] = (uint64_t)qr.rows[k][0].v.i64;
    }
    /* ExpandRow of importance 1: five of its rows come back */
    b = batch(table);
    mh_ropc_expand_row(b, 0, 0, 5, cat[1]);
    REQUIRE(run(s, b, &res, &rd) == 0);
    mh_ropc_expand_r ex;
    PARSE(mh_ropc_expand_row_parse(&rd, ccols, 6, CP, pool, &ex));
    CHECK_EQ_U(ex.h.rv, 0);
    CHECK_EQ_U(ex.expanded_count, cat_n[1]);
    REQUIRE(ex.n_rows == 5);
    for (int k = 0; k < 5; k++) {
        CHECK_EQ_U(long_of(&ex.rows[k][1]), ROW_LEAF);
        CHECK_EQ_U(long_of(&ex.rows[k][2]), 1);
        CHECK_EQ_U(long_of(&ex.rows[k][5]), TM[leaves[1][k]].mid);
    }
    /* the whole table: header 0, header 1 expanded and its rows, header 2 */
    CHECK_EQ_U(seek(s, table, MH_BOOKMARK_BEGINNING, 0, NULL), 0);
    rows = rows_to_end(s, table, ccols, 6, 1000);
    REQUIRE(rows && rows->nelts == 3 + cat_n[1]);
    CHECK_EQ_U(long_of(&ROW(rows, 0)[1]), ROW_COLLAPSED_CATEGORY);
    CHECK_EQ_U(long_of(&ROW(rows, 1)[1]), ROW_EXPANDED_CATEGORY);
    for (int k = 0; k < cat_n[1]; k++)
        CHECK_EQ_U(long_of(&ROW(rows, 2 + k)[5]), TM[leaves[1][k]].mid);
    CHECK_EQ_U(long_of(&ROW(rows, 2 + cat_n[1])[4]), 2);
    CHECK_EQ_U(long_of(&ROW(rows, 2 + cat_n[1])[1]), ROW_COLLAPSED_CATEGORY);
    /* CollapseRow: three rows again */
    b = batch(table);
    mh_ropc_collapse_row(b, 0, 0, cat[1]);
    mh_ropc_seek_row(b, 0, 0, MH_BOOKMARK_BEGINNING, 0, 0);
    REQUIRE(run(s, b, &res, &rd) == 0);
    mh_ropc_collapse_r co_r;
    PARSE(mh_ropc_collapse_row_parse(&rd, &co_r));
    CHECK_EQ_U(co_r.h.rv, 0);
    CHECK_EQ_U(co_r.collapsed_count, cat_n[1]);
    rows = rows_to_end(s, table, ccols, 6, 1000);
    REQUIRE(rows);
    CHECK_EQ_U(rows->nelts, 3);
    /* everything expanded (ExpandedCount 1): each header, then its rows */
    cs.expanded = 1;
    b = batch(table);
    mh_ropc_sort_table(b, 0, 0, 0, &cs);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_sort_table_parse(&rd, &st));
    CHECK_EQ_U(st.h.rv, 0);
    rows = rows_to_end(s, table, ccols, 6, 1000);
    REQUIRE(rows && rows->nelts == 3 + NT);
    int k = 0;
    for (int imp = 0; imp < 3; imp++) {
        CHECK_EQ_U(long_of(&ROW(rows, k)[1]), ROW_EXPANDED_CATEGORY);
        CHECK_EQ_U(long_of(&ROW(rows, k)[4]), imp);
        CHECK_EQ_U(long_of(&ROW(rows, k)[3]), cat_n[imp]);
        k++;
        for (int j = 0; j < cat_n[imp]; j++, k++) {
            CHECK_EQ_U(long_of(&ROW(rows, k)[1]), ROW_LEAF);
            CHECK_EQ_U(long_of(&ROW(rows, k)[5]), TM[leaves[imp][j]].mid);
        }
    }
    release(s, table, folder);
}

/* ---------------------------------------------- move, copy, delete */

/* Messages with these subjects in fid; their IDs in mids. */
static int put_simple(ems *s, uint64_t fid, const char *const *subjects, int n, uint64_t *mids)
{
    uint32_t fh;
    if (open_folder(s, fid, &fh) != 0)
        return -1;
    mh_rop_batch *b = batch(fh);
    for (int i = 0; i < n; i++) {
        mh_propval v = mh_pv_str(PR_SUBJECT, subjects[i]);
        mh_ropc_create_message(b, 0, 0, 1, 0x0FFF, fid, 0);
        mh_ropc_set_props(b, 0, 1, &v, 1, CP);
        mh_ropc_save_changes_message(b, 0, 1, 1, 0);
        mh_ropc_release(b, 0, 1);
    }
    mh_ropc_release(b, 0, 0);
    mh_exec_result res;
    mh_rd rd;
    if (run(s, b, &res, &rd) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        mh_ropc_create_message_r cm;
        mh_ropc_problems_r sp;
        mh_ropc_save_message_r sm;
        if (mh_ropc_create_message_parse(&rd, &cm) < 0 || cm.h.rv ||
            mh_ropc_set_props_parse(&rd, pool, &sp) < 0 || sp.h.rv ||
            mh_ropc_save_changes_message_parse(&rd, &sm) < 0 || sm.h.rv)
            return -1;
        mids[i] = sm.message_id;
    }
    return 0;
}

/* Runs one two-folder ROP (src in slot 0, dst in slot 1) built by `add`;
 * the parsed PartialCompletion response. */
typedef void add_fn(mh_rop_batch *b, void *baton);
static int two_folders(ems *s, uint64_t src, uint64_t dst, add_fn *add, void *baton,
                       int (*parse)(mh_rd *, mh_ropc_partial_r *), mh_ropc_partial_r *r)
{
    mh_rop_batch *b = batch(s->logon);
    mh_ropc_open_folder(b, 0, 0, 1, src, 0);
    mh_ropc_open_folder(b, 0, 0, 2, dst, 0);
    add(b, baton);
    mh_ropc_release(b, 0, 2);
    mh_ropc_release(b, 0, 1);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_open_folder_r of;
    if (run(s, b, &res, &rd) < 0 || mh_ropc_open_folder_parse(&rd, pool, &of) < 0 ||
        of.h.rv || mh_ropc_open_folder_parse(&rd, pool, &of) < 0 || of.h.rv)
        return -1;
    return parse(&rd, r);
}

typedef struct mc_args {
    const uint64_t *mids;
    uint16_t n;
    int copy, recursive;
    uint64_t fid;
    const char *name;
} mc_args;

static void add_move_copy(mh_rop_batch *b, void *baton)
{
    mc_args *a = baton;
    mh_ropc_move_copy_messages(b, 0, 1, 2, a->mids, a->n, 0, a->copy);
}

static void add_move_folder(mh_rop_batch *b, void *baton)
{
    mc_args *a = baton;
    mh_ropc_move_folder(b, 0, 1, 2, 0, 1, a->fid, a->name);
}

static void add_copy_folder(mh_rop_batch *b, void *baton)
{
    mc_args *a = baton;
    mh_ropc_copy_folder(b, 0, 1, 2, 0, a->recursive, 1, a->fid, a->name);
}

/* A folder's messages, PR_CONTENT_COUNT and PR_FOLDER_CHILD_COUNT, in one
 * string: "subject|subject (contents/children)". */
static const char *state_of(ems *s, uint64_t fid)
{
    static const mh_proptag tags[2] = {PR_CONTENT_COUNT, PR_FOLDER_CHILD_COUNT};
    static const mh_proptag cols[1] = {PR_SUBJECT};
    mh_sort_order o = {PR_SUBJECT, MH_TABLE_SORT_ASCEND};
    mh_sort_set ss = {1, 0, 0, &o};
    mh_rop_batch *b = batch(s->logon);
    mh_ropc_open_folder(b, 0, 0, 1, fid, 0);
    mh_ropc_get_props_specific(b, 0, 1, 0, 1, tags, 2);
    mh_ropc_get_contents_table(b, 0, 1, 2, 0);
    mh_ropc_set_columns(b, 0, 2, 0, cols, 1);
    mh_ropc_sort_table(b, 0, 2, 0, &ss);
    mh_ropc_query_rows(b, 0, 2, MH_QUERY_ADVANCE, 1, 1000);
    mh_ropc_release(b, 0, 1);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_open_folder_r of;
    mh_ropc_props_r pr;
    mh_ropc_table_r t;
    mh_ropc_status_r st;
    mh_ropc_rows_r qr;
    if (run(s, b, &res, &rd) < 0 || mh_ropc_open_folder_parse(&rd, pool, &of) < 0)
        return "(failed)";
    if (of.h.rv)
        return mh_mapi_err_name(of.h.rv, pool);
    if (mh_ropc_get_props_specific_parse(&rd, tags, 2, CP, pool, &pr) < 0 || pr.h.rv ||
        mh_ropc_get_contents_table_parse(&rd, &t) < 0 || t.h.rv ||
        mh_ropc_set_columns_parse(&rd, &st) < 0 || mh_ropc_sort_table_parse(&rd, &st) < 0 ||
        mh_ropc_query_rows_parse(&rd, cols, 1, CP, pool, &qr) < 0 || qr.h.rv ||
        qr.n_rows != t.row_count)
        return "(failed)";
    const char *all = "";
    for (uint16_t i = 0; i < qr.n_rows; i++)
        all = apr_pstrcat(pool, all, i ? "|" : "",
                          str_of(&qr.rows[i][0]) ? str_of(&qr.rows[i][0]) : "?", NULL);
    return apr_psprintf(pool, "%s (%ld/%ld)", all, (long)long_of(&pr.vals[0]),
                        (long)long_of(&pr.vals[1]));
}

/* The ID of the message with this subject in fid (0: none). */
static uint64_t mid_of(ems *s, uint64_t fid, const char *subject)
{
    static const mh_proptag cols[2] = {PR_SUBJECT, PR_MID};
    apr_array_header_t *rows = snapshot(s, fid, MH_ROPID_GET_CONTENTS_TABLE, 0, cols, 2, NULL,
                                        NULL);
    for (int i = 0; rows && i < rows->nelts; i++)
        if (str_of(&ROW(rows, i)[0]) && strcmp(str_of(&ROW(rows, i)[0]), subject) == 0)
            return (uint64_t)long_of(&ROW(rows, i)[1]);
    return 0;
}

/* The folder's child named `name` (0: none), from its hierarchy table. */
static uint64_t child(ems *s, uint64_t parent, const char *name)
{
    long n;
    apr_array_header_t *rows = hierarchy(s, parent, 0, &n);
    const mh_propval *r = row_named(rows, name);
    return r ? (uint64_t)long_of(&r[1]) : 0;
}

static void test_move_copy_delete(void)
{
    ems *s = ems_open("ada", NULL, NULL);
    REQUIRE(s);
    uint64_t ipm = s->lr.folder_ids[MH_LF_IPM_SUBTREE];
    long ipm_c0, ipm_k0;
    folder_counts(s, ipm, &ipm_c0, &ipm_k0);
    uint64_t src, dst, sub, deeper;
    REQUIRE(create_folder(s, ipm, "Source", &src) == 0);
    REQUIRE(create_folder(s, ipm, "Destination", &dst) == 0);
    static const char *const subj[6] = {"m0", "m1", "m2", "m3", "m4", "m5"};
    uint64_t mids[6];
    REQUIRE(put_simple(s, src, subj, 6, mids) == 0);
    CHECK_STR(state_of(s, src), "m0|m1|m2|m3|m4|m5 (6/0)");
    CHECK_STR(state_of(s, dst), " (0/0)");

    /* messages: move two, copy one, one that is not there */
    mh_ropc_partial_r r;
    mc_args a = {mids, 2, 0, 0, 0, NULL};
    REQUIRE(two_folders(s, src, dst, add_move_copy, &a, mh_ropc_move_copy_messages_parse, &r) == 0);
    CHECK_EQ_U(r.h.rv, 0);
    CHECK_EQ_U(r.partial, 0);
    CHECK_STR(state_of(s, src), "m2|m3|m4|m5 (4/0)");
    CHECK_STR(state_of(s, dst), "m0|m1 (2/0)");
    /* a moved message gets a new ID in its new folder, as in Exchange (the
     * backend contract, message_move); the old one opens nowhere */
    uint64_t m0 = mid_of(s, dst, "m0"), m1 = mid_of(s, dst, "m1");
    CHECK(m0 && m0 != mids[0] && m1 && m1 != mids[1] && m0 != m1);
    uint32_t fh;
    REQUIRE(open_folder(s, dst, &fh) == 0);
    mh_rop_batch *b = batch(fh);
    mh_ropc_open_message(b, 0, 0, 1, 0x0FFF, dst, MH_OPEN_READ_ONLY, m0);
    mh_ropc_open_message(b, 0, 0, 2, 0x0FFF, src, MH_OPEN_READ_ONLY, mids[0]);
    mh_ropc_open_message(b, 0, 0, 2, 0x0FFF, dst, MH_OPEN_READ_ONLY, mids[0]);
    mh_ropc_release(b, 0, 1);
    mh_ropc_release(b, 0, 0);
    mh_exec_result res;
    mh_rd rd;
    REQUIRE(run(s, b, &res, &rd) == 0);
    mh_ropc_open_message_r om;
    PARSE(mh_ropc_open_message_parse(&rd, CP, pool, &om));
    CHECK_EQ_U(om.h.rv, 0);
    CHECK_STR(om.normalized_subject, "m0");
    PARSE(mh_ropc_open_message_parse(&rd, CP, pool, &om));
    CHECK_EQ_U(om.h.rv, MAPI_E_NOT_FOUND);
    PARSE(mh_ropc_open_message_parse(&rd, CP, pool, &om));
    CHECK_EQ_U(om.h.rv, MAPI_E_NOT_FOUND);
    uint64_t copy_ids[2] = {mids[2], m0 /* in dst: not copied */};
    a = (mc_args){copy_ids, 2, 1, 0, 0, NULL};
    REQUIRE(two_folders(s, src, dst, add_move_copy, &a, mh_ropc_move_copy_messages_parse, &r) == 0);
    CHECK_EQ_U(r.h.rv, 0);
    CHECK_EQ_U(r.partial, 1);
    CHECK_STR(state_of(s, src), "m2|m3|m4|m5 (4/0)");
    CHECK_STR(state_of(s, dst), "m0|m1|m2 (3/0)");
    CHECK(mid_of(s, dst, "m2") != mids[2]);
    CHECK_EQ_U(mid_of(s, src, "m2"), mids[2]);

    /* folders: a subtree with messages moved, then copied back */
    static const char *const sub_subj[2] = {"s0", "s1"}, *const deep_subj[1] = {"d0"};
    uint64_t smids[2], dmids[1];
    REQUIRE(create_folder(s, src, "Sub", &sub) == 0);
    REQUIRE(create_folder(s, sub, "Deeper", &deeper) == 0);
    REQUIRE(put_simple(s, sub, sub_subj, 2, smids) == 0);
    REQUIRE(put_simple(s, deeper, deep_subj, 1, dmids) == 0);
    CHECK_STR(state_of(s, src), "m2|m3|m4|m5 (4/1)");
    a = (mc_args){NULL, 0, 0, 0, sub, "Sub moved \xe2\x86\x92"};
    REQUIRE(two_folders(s, src, dst, add_move_folder, &a, mh_ropc_move_folder_parse, &r) == 0);
    CHECK_EQ_U(r.h.rv, 0);
    CHECK_EQ_U(r.partial, 0);
    CHECK_STR(state_of(s, src), "m2|m3|m4|m5 (4/0)");
    CHECK_STR(state_of(s, dst), "m0|m1|m2 (3/1)");
    /* the same folder (its ID), renamed, with its messages and subfolder */
    CHECK_EQ_U(child(s, dst, "Sub moved \xe2\x86\x92"), sub);
    CHECK_STR(state_of(s, sub), "s0|s1 (2/1)");
    CHECK_EQ_U(child(s, sub, "Deeper"), deeper);
    CHECK_STR(state_of(s, deeper), "d0 (1/0)");
    /* moving a folder into its own subtree is refused */
    a = (mc_args){NULL, 0, 0, 0, sub, "cycle"};
    REQUIRE(two_folders(s, dst, deeper, add_move_folder, &a, mh_ropc_move_folder_parse, &r) == 0);
    CHECK_EQ_U(r.h.rv, MAPI_E_FOLDER_CYCLE);
    CHECK_EQ_U(child(s, dst, "Sub moved \xe2\x86\x92"), sub);
    /* copied back: recursively, and without the subfolders */
    a = (mc_args){NULL, 0, 0, 1, sub, "Sub copy"};
    REQUIRE(two_folders(s, dst, src, add_copy_folder, &a, mh_ropc_copy_folder_parse, &r) == 0);
    CHECK_EQ_U(r.h.rv, 0);
    CHECK_EQ_U(r.partial, 0);
    a = (mc_args){NULL, 0, 0, 0, sub, "Sub flat"};
    REQUIRE(two_folders(s, dst, src, add_copy_folder, &a, mh_ropc_copy_folder_parse, &r) == 0);
    CHECK_EQ_U(r.h.rv, 0);
    CHECK_STR(state_of(s, src), "m2|m3|m4|m5 (4/2)");
    CHECK_STR(state_of(s, dst), "m0|m1|m2 (3/1)");
    uint64_t copy = child(s, src, "Sub copy"), flat = child(s, src, "Sub flat");
    CHECK(copy && copy != sub && flat && flat != sub && flat != copy);
    CHECK_STR(state_of(s, copy), "s0|s1 (2/1)");
    CHECK_STR(state_of(s, child(s, copy, "Deeper")), "d0 (1/0)");
    CHECK(child(s, copy, "Deeper") != deeper);
    CHECK_STR(state_of(s, flat), "s0|s1 (2/0)");
    CHECK_STR(state_of(s, sub), "s0|s1 (2/1)"); /* the original stays */
    /* a name the destination has already: ecDuplicateName */
    a = (mc_args){NULL, 0, 0, 1, sub, "Sub copy"};
    REQUIRE(two_folders(s, dst, src, add_copy_folder, &a, mh_ropc_copy_folder_parse, &r) == 0);
    CHECK_EQ_U(r.h.rv, MAPI_E_COLLISION);

    /* deleting messages: soft, hard, one not in the folder */
    uint64_t del[2] = {m0, mids[3] /* in src */};
    REQUIRE(open_folder(s, dst, &fh) == 0);
    b = batch(fh);
    mh_ropc_delete_messages(b, 0, 0, 0, 0, del, 2);
    mh_ropc_hard_delete_messages(b, 0, 0, 0, 0, &m1, 1);
    mh_ropc_release(b, 0, 0);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_delete_messages_parse(&rd, &r));
    CHECK_EQ_U(r.h.rv, 0);
    CHECK_EQ_U(r.partial, 1); /* mids[3] is not in dst */
    PARSE(mh_ropc_hard_delete_messages_parse(&rd, &r));
    CHECK_EQ_U(r.h.rv, 0);
    CHECK_EQ_U(r.partial, 0);
    CHECK_STR(state_of(s, dst), "m2 (1/1)");
    CHECK_STR(state_of(s, src), "m2|m3|m4|m5 (4/2)");

    /* deleting folders: a full one stays without the flags, goes with them */
    b = batch(s->logon);
    mh_ropc_open_folder(b, 0, 0, 1, src, 0);
    mh_ropc_delete_folder(b, 0, 1, 0, flat);
    mh_ropc_delete_folder(b, 0, 1, MH_DEL_MESSAGES, copy); /* has a subfolder */
    mh_ropc_delete_folder(b, 0, 1, MH_DEL_MESSAGES | MH_DEL_FOLDERS, flat);
    mh_ropc_delete_folder(b, 0, 1, MH_DEL_MESSAGES, flat); /* gone now */
    mh_ropc_release(b, 0, 1);
    REQUIRE(run(s, b, &res, &rd) == 0);
    mh_ropc_open_folder_r of;
    PARSE(mh_ropc_open_folder_parse(&rd, pool, &of));
    PARSE(mh_ropc_delete_folder_parse(&rd, &r));
    CHECK_EQ_U(r.h.rv, 0);
    CHECK_EQ_U(r.partial, 1);
    PARSE(mh_ropc_delete_folder_parse(&rd, &r));
    CHECK_EQ_U(r.h.rv, 0);
    CHECK_EQ_U(r.partial, 1);
    PARSE(mh_ropc_delete_folder_parse(&rd, &r));
    CHECK_EQ_U(r.h.rv, 0);
    CHECK_EQ_U(r.partial, 0);
    PARSE(mh_ropc_delete_folder_parse(&rd, &r));
    CHECK_EQ_U(r.h.rv, MAPI_E_NOT_FOUND);
    CHECK_STR(state_of(s, src), "m2|m3|m4|m5 (4/1)");
    CHECK_EQ_U(open_folder(s, flat, &fh), MAPI_E_NOT_FOUND);

    /* EmptyFolder: messages and subfolders go, the folder stays */
    b = batch(s->logon);
    mh_ropc_open_folder(b, 0, 0, 1, src, 0);
    mh_ropc_empty_folder(b, 0, 1, 0, 0);
    mh_ropc_release(b, 0, 1);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_open_folder_parse(&rd, pool, &of));
    mh_ropc_partial_r ef;
    PARSE(mh_ropc_empty_folder_parse(&rd, &ef));
    CHECK_EQ_U(ef.h.rv, 0);
    CHECK_EQ_U(ef.partial, 0);
    CHECK_STR(state_of(s, src), " (0/0)");
    CHECK_EQ_U(open_folder(s, copy, &fh), MAPI_E_NOT_FOUND);
    CHECK_STR(state_of(s, dst), "m2 (1/1)");
    /* and both go: the mailbox is as it was */
    b = batch(s->logon);
    mh_ropc_open_folder(b, 0, 0, 1, ipm, 0);
    mh_ropc_delete_folder(b, 0, 1, MH_DEL_MESSAGES | MH_DEL_FOLDERS | MH_DEL_HARD_DELETE, src);
    mh_ropc_delete_folder(b, 0, 1, MH_DEL_MESSAGES | MH_DEL_FOLDERS, dst);
    mh_ropc_release(b, 0, 1);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_open_folder_parse(&rd, pool, &of));
    for (int i = 0; i < 2; i++) {
        PARSE(mh_ropc_delete_folder_parse(&rd, &r));
        CHECK_EQ_U(r.h.rv, 0);
        CHECK_EQ_U(r.partial, 0);
    }
    long c, k;
    folder_counts(s, ipm, &c, &k);
    CHECK_EQ_U(c, ipm_c0);
    CHECK_EQ_U(k, ipm_k0);
    CHECK_EQ_U(open_folder(s, deeper, &fh), MAPI_E_NOT_FOUND);
}

/* ------------------------------------------------------- permissions */

/* An address book entry ID of a mail user (MS-OXCDATA 2.2.5.2): Flags,
 * the address book ProviderUID, Version 1, Type DT_MAILUSER, the DN. */
static mh_bin ab_entryid(const char *dn)
{
    static const unsigned char uid[16] = {0xDC, 0xA7, 0x40, 0xC8, 0xC0, 0x42, 0x10, 0x1A,
                                          0xB4, 0xB9, 0x08, 0x00, 0x2B, 0x2F, 0xE1, 0x82};
    mh_wr w;
    mh_wr_init(&w, pool, 64 + strlen(dn));
    mh_wr_u32(&w, 0);
    mh_wr_bytes(&w, uid, 16);
    mh_wr_u32(&w, 1);
    mh_wr_u32(&w, 0);
    mh_wr_asciiz(&w, dn);
    mh_bin b = {(uint32_t)w.len, w.buf};
    return b;
}

#define ROW_ADD 0x01
#define ROW_MODIFY 0x02
#define ROW_REMOVE 0x04
#define MEMBER_DEFAULT 0 /* PidTagMemberId of the Default row (MS-OXCPERM 2.2.5) */

/* One ModifyPermissions change on a folder: its ReturnValue. */
static uint32_t modify_permission(ems *s, uint64_t fid, uint8_t what, const char *dn,
                                  int64_t member, uint32_t rights)
{
    mh_propval v[2];
    uint16_t n = 0;
    if (dn) {
        mh_bin e = ab_entryid(dn);
        v[n++] = mh_pv_bin(PR_ENTRYID, e.data, e.len);
    } else {
        v[n++] = mh_pv_i8(PR_MEMBER_ID, member);
    }
    if (what != ROW_REMOVE)
        v[n++] = mh_pv_long(PR_MEMBER_RIGHTS, (int32_t)rights);
    mh_modify_row row = {what, v, n};
    mh_rop_batch *b = batch(s->logon);
    mh_ropc_open_folder(b, 0, 0, 1, fid, 0);
    mh_ropc_modify_permissions(b, 0, 1, 0, &row, 1, CP);
    mh_ropc_release(b, 0, 1);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_open_folder_r of;
    mh_ropc_hdr h;
    if (run(s, b, &res, &rd) < 0 || mh_ropc_open_folder_parse(&rd, pool, &of) < 0)
        return FAIL_EC;
    if (of.h.rv)
        return of.h.rv;
    if (mh_ropc_simple_parse(&rd, MH_ROPID_MODIFY_PERMISSIONS, &h) < 0)
        return FAIL_EC;
    return h.rv;
}

static const mh_proptag perm_cols[3] = {PR_MEMBER_ID, PR_MEMBER_NAME, PR_MEMBER_RIGHTS};

/* The permissions table of a folder, "name=rights" per row sorted by
 * name, joined with ","; the member ID of `who` in *member_r. */
static const char *permissions(ems *s, uint64_t fid, const char *who, int64_t *member_r)
{
    apr_array_header_t *rows = snapshot(s, fid, MH_ROPID_GET_PERMISSIONS_TABLE, 0, perm_cols, 3,
                                        NULL, NULL);
    if (!rows)
        return NULL;
    const char **items = apr_palloc(pool, (rows->nelts + 1) * sizeof(char *));
    for (int i = 0; i < rows->nelts; i++) {
        const mh_propval *r = ROW(rows, i);
        const char *name = str_of(&r[1]) ? str_of(&r[1]) : "?";
        items[i] = apr_psprintf(pool, "%s=0x%" APR_UINT64_T_HEX_FMT, *name ? name : "(default)",
                                (apr_uint64_t)long_of(&r[2]));
        if (who && strcmp(name, who) == 0 && member_r)
            *member_r = (int64_t)long_of(&r[0]);
    }
    for (int i = 1; i < rows->nelts; i++) /* insertion sort by text */
        for (int k = i; k > 0 && strcmp(items[k - 1], items[k]) > 0; k--) {
            const char *t = items[k];
            items[k] = items[k - 1];
            items[k - 1] = t;
        }
    const char *all = "";
    for (int i = 0; i < rows->nelts; i++)
        all = apr_pstrcat(pool, all, i ? "," : "", items[i], NULL);
    return all;
}

/* What bob sees of the folder: OpenFolder's ReturnValue; on success the
 * subject of its one message, read through OpenMessage, in *subject_r. */
static uint32_t visitor_reads(ems *s, uint64_t fid, const char **subject_r)
{
    *subject_r = NULL;
    uint32_t fh;
    uint32_t rv = open_folder(s, fid, &fh);
    if (rv)
        return rv;
    static const mh_proptag cols[2] = {PR_MID, PR_SUBJECT};
    mh_rop_batch *b = batch(fh);
    mh_ropc_get_contents_table(b, 0, 0, 1, 0);
    mh_ropc_set_columns(b, 0, 1, 0, cols, 2);
    mh_ropc_query_rows(b, 0, 1, MH_QUERY_ADVANCE, 1, 10);
    mh_ropc_release(b, 0, 1);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_table_r t;
    mh_ropc_status_r st;
    mh_ropc_rows_r qr;
    if (run(s, b, &res, &rd) < 0 || mh_ropc_get_contents_table_parse(&rd, &t) < 0 || t.h.rv ||
        mh_ropc_set_columns_parse(&rd, &st) < 0 ||
        mh_ropc_query_rows_parse(&rd, cols, 2, CP, pool, &qr) < 0 || qr.h.rv ||
        qr.n_rows != 1) {
        release(s, fh, MH_HANDLE_UNUSED);
        return FAIL_EC;
    }
    b = batch(fh);
    mh_ropc_open_message(b, 0, 0, 1, 0x0FFF, fid, MH_OPEN_READ_ONLY,
                         (uint64_t)long_of(&qr.rows[0][0]));
    mh_ropc_release(b, 0, 1);
    mh_ropc_release(b, 0, 0);
    mh_ropc_open_message_r om;
    if (run(s, b, &res, &rd) < 0 || mh_ropc_open_message_parse(&rd, CP, pool, &om) < 0)
        return FAIL_EC;
    if (om.h.rv)
        return om.h.rv;
    *subject_r = om.normalized_subject;
    return 0;
}

static void test_permissions(void)
{
    ems *ada = ems_open("ada", NULL, NULL);
    REQUIRE(ada);
    uint64_t shared;
    REQUIRE(create_folder(ada, ada->lr.folder_ids[MH_LF_IPM_SUBTREE], "Shared", &shared) == 0);
    static const char *const subj[1] = {"for bob"};
    uint64_t mid;
    REQUIRE(put_simple(ada, shared, subj, 1, &mid) == 0);
    const char *before = permissions(ada, shared, NULL, NULL);
    REQUIRE(before);
    CHECK(!strstr(before, "Bob Bobson"));

    /* bob logs on to ada's mailbox: allowed, but no folder opens */
    uint32_t rv;
    ems *bob = ems_open("bob", "ada", &rv);
    REQUIRE(bob);
    CHECK_EQ_U(rv, 0);
    CHECK_MEM(bob->lr.mailbox_guid.b, 16, ada->lr.mailbox_guid.b, 16);
    CHECK_EQ_U(bob->lr.folder_ids[MH_LF_INBOX], ada->lr.folder_ids[MH_LF_INBOX]);
    const char *seen;
    CHECK_EQ_U(visitor_reads(bob, shared, &seen), MAPI_E_NO_ACCESS);
    uint32_t fh;
    CHECK_EQ_U(open_folder(bob, ada->lr.folder_ids[MH_LF_INBOX], &fh), MAPI_E_NO_ACCESS);

    /* ada grants bob Read (and Visible, to open the folder) */
    CHECK_EQ_U(modify_permission(ada, shared, ROW_ADD, dn_of("bob"), 0,
                                 FRIGHTS_READ_ANY | FRIGHTS_VISIBLE), 0);
    int64_t bob_id = -1;
    const char *now = permissions(ada, shared, "Bob Bobson", &bob_id);
    CHECK(now && strstr(now, "Bob Bobson=0x401"));
    CHECK(bob_id > 0);
    CHECK_EQ_U(visitor_reads(bob, shared, &seen), 0);
    CHECK_STR(seen, "for bob");
    /* reading is all: no new message, no deleting, no permission changes */
    REQUIRE(open_folder(bob, shared, &fh) == 0);
    mh_rop_batch *b = batch(fh);
    mh_ropc_create_message(b, 0, 0, 1, 0x0FFF, shared, 0);
    mh_ropc_delete_messages(b, 0, 0, 0, 0, &mid, 1);
    mh_ropc_open_message(b, 0, 0, 1, 0x0FFF, shared, MH_OPEN_READ_WRITE, mid);
    mh_ropc_release(b, 0, 0);
    mh_exec_result res;
    mh_rd rd;
    REQUIRE(run(bob, b, &res, &rd) == 0);
    mh_ropc_create_message_r cm;
    PARSE(mh_ropc_create_message_parse(&rd, &cm));
    CHECK_EQ_U(cm.h.rv, MAPI_E_NO_ACCESS);
    mh_ropc_partial_r dm;
    PARSE(mh_ropc_delete_messages_parse(&rd, &dm));
    CHECK_EQ_U(dm.h.rv, MAPI_E_NO_ACCESS);
    mh_ropc_open_message_r om;
    PARSE(mh_ropc_open_message_parse(&rd, CP, pool, &om));
    CHECK_EQ_U(om.h.rv, MAPI_E_NO_ACCESS);
    CHECK_EQ_U(modify_permission(bob, shared, ROW_MODIFY, NULL, bob_id, 0x7FB), MAPI_E_NO_ACCESS);
    long c, k;
    folder_counts(ada, shared, &c, &k);
    CHECK_EQ_U(c, 1);
    CHECK(strstr(permissions(ada, shared, NULL, NULL), "Bob Bobson=0x401") != NULL);

    /* taken back: refused again */
    CHECK_EQ_U(modify_permission(ada, shared, ROW_REMOVE, NULL, bob_id, 0), 0);
    CHECK_STR(permissions(ada, shared, NULL, NULL), before);
    CHECK_EQ_U(visitor_reads(bob, shared, &seen), MAPI_E_NO_ACCESS);

    /* Default rights let in everybody without a row of their own ... */
    CHECK_EQ_U(modify_permission(ada, shared, ROW_MODIFY, NULL, MEMBER_DEFAULT,
                                 FRIGHTS_READ_ANY | FRIGHTS_VISIBLE), 0);
    CHECK(strstr(permissions(ada, shared, NULL, NULL), "=0x401") != NULL);
    CHECK_EQ_U(visitor_reads(bob, shared, &seen), 0);
    CHECK_STR(seen, "for bob");
    /* ... but bob's own row, with no rights, comes first */
    CHECK_EQ_U(modify_permission(ada, shared, ROW_ADD, dn_of("bob"), 0, 0), 0);
    CHECK_EQ_U(visitor_reads(bob, shared, &seen), MAPI_E_NO_ACCESS);
    bob_id = -1;
    CHECK(strstr(permissions(ada, shared, "Bob Bobson", &bob_id), "Bob Bobson=0x0") != NULL);
    CHECK_EQ_U(modify_permission(ada, shared, ROW_REMOVE, NULL, bob_id, 0), 0);
    CHECK_EQ_U(visitor_reads(bob, shared, &seen), 0);
    /* Default back to nothing */
    CHECK_EQ_U(modify_permission(ada, shared, ROW_MODIFY, NULL, MEMBER_DEFAULT, 0), 0);
    CHECK_EQ_U(visitor_reads(bob, shared, &seen), MAPI_E_NO_ACCESS);
    CHECK_STR(permissions(ada, shared, NULL, NULL), before);
    /* bob's own mailbox is his as ever */
    ems *own = ems_open("bob", NULL, &rv);
    REQUIRE(own);
    CHECK(memcmp(own->lr.mailbox_guid.b, ada->lr.mailbox_guid.b, 16) != 0);
    CHECK_EQ_U(open_folder(own, own->lr.folder_ids[MH_LF_INBOX], &fh), 0);
}

/* ----------------------------------------------------------------- rules */

/* The properties of a standard rule (MS-OXORULE 2.2.1.3.1) */
#define PR_RULE_ID MH_TAG(0x6674, PT_I8)
#define PR_RULE_SEQUENCE MH_TAG(0x6676, PT_LONG)
#define PR_RULE_STATE MH_TAG(0x6677, PT_LONG)
#define PR_RULE_CONDITION MH_TAG(0x6679, PT_SRESTRICTION)
#define PR_RULE_ACTIONS MH_TAG(0x6680, PT_ACTIONS)
#define ID_RULE_PROVIDER 0x6681
#define ID_RULE_NAME 0x6682
#define PR_RULE_LEVEL MH_TAG(0x6683, PT_LONG)
#define PR_RULE_PROVIDER_DATA MH_TAG(0x6684, PT_BINARY)
/* PidTagRuleState bits (2.2.1.3.1.3) */
#define ST_ENABLED 0x00000001
#define ST_EXIT_LEVEL 0x00000010
/* ModifyRulesFlag (2.2.1.1) */
#define MODIFY_RULES_REPLACE 0x01
/* ActionType (2.2.5.1) */
#define OP_MOVE 0x01
#define OP_REPLY 0x03
#define OP_FORWARD 0x07
#define OP_DELETE 0x0A
#define OP_MARK_AS_READ 0x0B
#define PR_ADDRTYPE_ID 0x3002
#define PR_EMAIL_ADDRESS_ID 0x3003
#define PR_RECIPIENT_TYPE MH_TAG(0x0C15, PT_LONG)

/*
 * The bytes of rule values are built here by hand, as a client lays them
 * out (not with the codecs the server uses), in both string forms:
 * `unicode` UTF-16LE (PtypString) or 8-bit in code page 1252 (PtypString8).
 * The texts are UTF-8 of Latin-1 characters, so both forms hold them.
 */
static void w_text(mh_wr *w, const char *s, int unicode)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        unsigned c = *p++;
        if (c >= 0xC0 && *p)
            c = ((c & 0x1F) << 6) | (*p++ & 0x3Fu);
        mh_wr_u8(w, (uint8_t)c);
        if (unicode)
            mh_wr_u8(w, (uint8_t)(c >> 8));
    }
    mh_wr_u8(w, 0);
    if (unicode)
        mh_wr_u8(w, 0);
}

static mh_proptag text_tag(uint16_t id, int unicode)
{
    return MH_TAG(id, unicode ? PT_UNICODE : PT_STRING8);
}

/* A TaggedPropertyValue of a string. */
static void w_tagged_text(mh_wr *w, uint16_t id, const char *s, int unicode)
{
    mh_wr_u32(w, text_tag(id, unicode));
    w_text(w, s, unicode);
}

/* ContentRestriction (MS-OXCDATA 2.12.4): a substring of the subject,
 * case ignored. */
static void w_subject_contains(mh_wr *w, const char *s, int unicode)
{
    mh_wr_u8(w, MH_RES_CONTENT);
    mh_wr_u32(w, MH_FL_SUBSTRING | MH_FL_IGNORECASE);
    mh_wr_u32(w, text_tag(0x0037, unicode));
    w_tagged_text(w, 0x0037, s, unicode);
}

/* PropertyRestriction (2.12.5): the sender's address is `addr`. */
static void w_sender_is(mh_wr *w, const char *addr, int unicode)
{
    mh_wr_u8(w, MH_RES_PROPERTY);
    mh_wr_u8(w, MH_RELOP_EQ);
    mh_wr_u32(w, text_tag(0x0C1F, unicode));
    w_tagged_text(w, 0x0C1F, addr, unicode);
}

/* An ActionBlock (MS-OXORULE 2.2.5.1): ActionLength is filled in by
 * blk_end. */
static size_t blk_begin(mh_wr *w, uint8_t type, uint32_t flavor, uint32_t flags)
{
    size_t at = w->len;
    mh_wr_u16(w, 0);
    mh_wr_u8(w, type);
    mh_wr_u32(w, flavor);
    mh_wr_u32(w, flags);
    return at;
}

static void blk_end(mh_wr *w, size_t at)
{
    mh_wr_put_u16_at(w, at, (uint16_t)(w->len - at - 2));
}

/* OP_MOVE to a folder of this mailbox (2.2.5.1.2.1): FolderInThisStore 1,
 * a StoreEID the server does not use, and the folder's ServerEid (Ours 1,
 * FolderId, MessageId 0, Instance 0). */
static void act_move(mh_wr *w, uint64_t fid)
{
    size_t at = blk_begin(w, OP_MOVE, 0, 0);
    mh_wr_u8(w, 1);
    mh_wr_u16(w, 4);
    mh_wr_bytes(w, "here", 4);
    mh_wr_u16(w, 21);
    mh_wr_u8(w, 1);
    mh_wr_u64(w, fid);
    mh_wr_u64(w, 0);
    mh_wr_u32(w, 0);
    blk_end(w, at);
}

/* Actions without data: OP_DELETE, OP_MARK_AS_READ (2.2.5.1.2.7). */
static void act_plain(mh_wr *w, uint8_t type)
{
    size_t at = blk_begin(w, type, 0, 0);
    blk_end(w, at);
}

/* OP_FORWARD (2.2.5.1.2.4) to two recipients: one by SMTP address, one in
 * the directory with its address book entry ID. */
static void act_forward(mh_wr *w, int unicode)
{
    size_t at = blk_begin(w, OP_FORWARD, 0, 0);
    mh_wr_u16(w, 2);
    /* RecipientBlockData: Reserved, NoOfProperties, TaggedPropertyValues */
    mh_wr_u8(w, 0x01);
    mh_wr_u16(w, 4);
    w_tagged_text(w, 0x3001, "Comptabilité", unicode);
    w_tagged_text(w, PR_EMAIL_ADDRESS_ID, "compta@example.org", unicode);
    w_tagged_text(w, PR_ADDRTYPE_ID, "SMTP", unicode);
    mh_wr_u32(w, PR_RECIPIENT_TYPE);
    mh_wr_u32(w, 1);
    mh_bin eid = ab_entryid(dn_of("bob"));
    mh_wr_u8(w, 0x01);
    mh_wr_u16(w, 4);
    w_tagged_text(w, 0x3001, "Bob Bobson", unicode);
    w_tagged_text(w, PR_ADDRTYPE_ID, "EX", unicode);
    mh_wr_u32(w, PR_RECIPIENT_TYPE);
    mh_wr_u32(w, 1);
    mh_wr_u32(w, PR_ENTRYID);
    mh_wr_u16(w, (uint16_t)eid.len);
    mh_wr_bytes(w, eid.data, eid.len);
    blk_end(w, at);
}

/* OP_REPLY (2.2.5.1.2.3): the template message's FID and MID, and its
 * ReplyTemplateGUID. */
static const unsigned char TEMPLATE_GUID[16] = {0x6b, 0x1e, 0x47, 0x3c, 0x11, 0x8a, 0x4b, 0x09,
                                                0x9d, 0x2e, 0x55, 0x30, 0xa1, 0x07, 0xee, 0x42};
static void act_reply(mh_wr *w, uint64_t fid, uint64_t mid)
{
    size_t at = blk_begin(w, OP_REPLY, 0, 0);
    mh_wr_u64(w, fid);
    mh_wr_u64(w, mid);
    mh_wr_bytes(w, TEMPLATE_GUID, 16);
    blk_end(w, at);
}

/* One rule of the scenario: what the owner sends and what the table must
 * give back (both string forms of the condition and the actions). */
typedef struct it_rule {
    const char *name;
    int send_unicode;            /* the request's strings */
    int has_sequence;            /* sent; else the server's */
    int32_t sequence;            /* sent, or expected */
    int has_state;
    uint32_t state;              /* sent, or expected (0: disabled) */
    mh_bin provider_data;        /* len 0: not sent */
    mh_wr cond[2], acts[2];      /* [0] 8-bit, [1] Unicode */
    int64_t id;                  /* PidTagRuleId, as the table gave it */
} it_rule;

#define PROVIDER "RuleOrganizer"

/* The rules: "subject contains and sender is" -> move + mark as read;
 * "subject contains" -> forward + reply with a template; "sender is" ->
 * delete. */
static void make_rules(it_rule *r, uint64_t target, uint64_t tfid, uint64_t tmid)
{
    static const unsigned char pdata[16] = {1, 0, 0, 0, 0x55, 0xAA, 0, 0, 0, 0, 0, 0, 9, 8, 7, 6};
    memset(r, 0, 3 * sizeof(*r));
    r[0].name = "Rapports du chef";
    r[0].send_unicode = 1;
    r[0].has_sequence = 1;
    r[0].sequence = 10;
    r[0].has_state = 1;
    r[0].state = ST_ENABLED;
    r[0].provider_data.data = pdata;
    r[0].provider_data.len = sizeof(pdata);
    r[1].name = "Factures";
    r[1].send_unicode = 1;
    r[1].sequence = 11;
    r[1].has_state = 1;
    r[1].state = ST_ENABLED | ST_EXIT_LEVEL;
    r[2].name = "Pourriels é";
    r[2].send_unicode = 0;
    r[2].sequence = 12;
    r[2].state = 0;
    for (int u = 0; u < 2; u++) {
        for (int i = 0; i < 3; i++) {
            mh_wr_init(&r[i].cond[u], pool, 128);
            mh_wr_init(&r[i].acts[u], pool, 256);
        }
        mh_wr *c = &r[0].cond[u], *a = &r[0].acts[u];
        mh_wr_u8(c, MH_RES_AND);
        mh_wr_u16(c, 2);
        w_subject_contains(c, "rapport trimestriel", u);
        w_sender_is(c, "chef@example.com", u);
        mh_wr_u16(a, 2);
        act_move(a, target);
        act_plain(a, OP_MARK_AS_READ);

        c = &r[1].cond[u];
        a = &r[1].acts[u];
        w_subject_contains(c, "facture n°", u);
        mh_wr_u16(a, 2);
        act_forward(a, u);
        act_reply(a, tfid, tmid);

        c = &r[2].cond[u];
        a = &r[2].acts[u];
        w_sender_is(c, "pourriel@example.net", u);
        mh_wr_u16(a, 1);
        act_plain(a, OP_DELETE);
    }
}

/* A RuleData being built (2.2.1.3): flags, then TaggedPropertyValues. */
typedef struct rule_data {
    uint8_t flags;
    uint16_t n;
    mh_wr v;
} rule_data;

static void rdata_init(rule_data *d, uint8_t flags)
{
    d->flags = flags;
    d->n = 0;
    mh_wr_init(&d->v, pool, 256);
}

static void rdata_u32(rule_data *d, mh_proptag tag, uint32_t v)
{
    mh_wr_u32(&d->v, tag);
    mh_wr_u32(&d->v, v);
    d->n++;
}

static void rdata_id(rule_data *d, int64_t id)
{
    mh_wr_u32(&d->v, PR_RULE_ID);
    mh_wr_u64(&d->v, (uint64_t)id);
    d->n++;
}

static void rdata_text(rule_data *d, uint16_t id, const char *s, int unicode)
{
    w_tagged_text(&d->v, id, s, unicode);
    d->n++;
}

static void rdata_bytes(rule_data *d, mh_proptag tag, const void *b, size_t n, int sized)
{
    mh_wr_u32(&d->v, tag);
    if (sized)
        mh_wr_u16(&d->v, (uint16_t)n);
    mh_wr_bytes(&d->v, b, n);
    d->n++;
}

/* A new rule as a client adds it: provider, name, condition, actions and
 * what it chooses to send of sequence, state and provider data. */
static void rdata_add(rule_data *d, const it_rule *r)
{
    int u = r->send_unicode;
    rdata_init(d, ROW_ADD);
    rdata_text(d, ID_RULE_PROVIDER, PROVIDER, u);
    rdata_text(d, ID_RULE_NAME, r->name, u);
    if (r->has_sequence)
        rdata_u32(d, PR_RULE_SEQUENCE, (uint32_t)r->sequence);
    if (r->has_state)
        rdata_u32(d, PR_RULE_STATE, r->state);
    if (r->provider_data.len)
        rdata_bytes(d, PR_RULE_PROVIDER_DATA, r->provider_data.data, r->provider_data.len, 1);
    rdata_bytes(d, PR_RULE_CONDITION, r->cond[u].buf, r->cond[u].len, 0);
    rdata_bytes(d, PR_RULE_ACTIONS, r->acts[u].buf, r->acts[u].len, 0);
}

/* RopModifyRules on folder fid with these RuleData: its ReturnValue
 * (FAIL_EC when the call failed, the OpenFolder's when that failed). */
static uint32_t modify_rules(ems *s, uint64_t fid, uint8_t mflags, const rule_data *d, uint16_t n)
{
    mh_rop_batch *b = batch(s->logon);
    mh_ropc_open_folder(b, 0, 0, 1, fid, 0);
    /* ModifyRulesFlag, RulesCount, RulesData (MS-OXCROPS 2.2.11.1.1) */
    mh_wr *w = mh_ropc_begin(b, MH_ROPID_MODIFY_RULES, 0, 1);
    mh_wr_u8(w, mflags);
    mh_wr_u16(w, n);
    for (uint16_t i = 0; i < n; i++) {
        mh_wr_u8(w, d[i].flags);
        mh_wr_u16(w, d[i].n);
        mh_wr_bytes(w, d[i].v.buf, d[i].v.len);
    }
    mh_ropc_release(b, 0, 1);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_open_folder_r of;
    mh_ropc_hdr h;
    if (run(s, b, &res, &rd) < 0 || mh_ropc_open_folder_parse(&rd, pool, &of) < 0)
        return FAIL_EC;
    if (of.h.rv)
        return of.h.rv;
    if (mh_ropc_simple_parse(&rd, MH_ROPID_MODIFY_RULES, &h) < 0 || mh_rd_left(&rd) != 0)
        return FAIL_EC;
    return h.rv;
}

/* The columns the scenario reads, with name and provider in the form of
 * the table (and PT_STRING8 / PT_UNICODE as asked). */
#define N_RULE_COLS 9
static void rule_cols(mh_proptag *cols, int unicode)
{
    cols[0] = PR_RULE_ID;
    cols[1] = PR_RULE_SEQUENCE;
    cols[2] = PR_RULE_STATE;
    cols[3] = text_tag(ID_RULE_NAME, unicode);
    cols[4] = text_tag(ID_RULE_PROVIDER, unicode);
    cols[5] = PR_RULE_LEVEL;
    cols[6] = PR_RULE_PROVIDER_DATA;
    cols[7] = PR_RULE_CONDITION;
    cols[8] = PR_RULE_ACTIONS;
}

/*
 * The rules table of fid in one Execute: OpenFolder, GetRulesTable with
 * `tflags`, SetColumns, SortTable on PidTagRuleSequence, QueryRows.
 * Returns GetRulesTable's ReturnValue (FAIL_EC when anything else failed);
 * the rows parsed in *qr and their bytes (RowData) in *raw_r.
 */
static uint32_t rules_table(ems *s, uint64_t fid, uint8_t tflags, const mh_proptag *cols,
                            mh_ropc_rows_r *qr, mh_bin *raw_r)
{
    mh_sort_order so = {PR_RULE_SEQUENCE, MH_TABLE_SORT_ASCEND};
    mh_sort_set ss = {1, 0, 0, &so};
    mh_rop_batch *b = batch(s->logon);
    mh_ropc_open_folder(b, 0, 0, 1, fid, 0);
    mh_ropc_get_rules_table(b, 0, 1, 2, tflags);
    mh_ropc_set_columns(b, 0, 2, 0, cols, N_RULE_COLS);
    mh_ropc_sort_table(b, 0, 2, 0, &ss);
    mh_ropc_query_rows(b, 0, 2, MH_QUERY_ADVANCE, 1, 100);
    mh_ropc_release(b, 0, 1);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_open_folder_r of;
    mh_ropc_hdr h;
    mh_ropc_status_r st;
    if (run(s, b, &res, &rd) < 0 || mh_ropc_open_folder_parse(&rd, pool, &of) < 0 || of.h.rv)
        return FAIL_EC;
    if (mh_ropc_simple_parse(&rd, MH_ROPID_GET_RULES_TABLE, &h) < 0)
        return FAIL_EC;
    if (h.rv)
        return h.rv;
    if (mh_ropc_set_columns_parse(&rd, &st) < 0 || st.h.rv ||
        mh_ropc_sort_table_parse(&rd, &st) < 0 || st.h.rv)
        return FAIL_EC;
    /* RopQueryRows: RopId, InputHandleIndex, ReturnValue, Origin, RowCount */
    const unsigned char *rows = rd.p + 9;
    if (mh_ropc_query_rows_parse(&rd, cols, N_RULE_COLS, CP, pool, qr) < 0 || qr->h.rv ||
        qr->origin != MH_BOOKMARK_END || mh_rd_left(&rd) != 0)
        return FAIL_EC;
    raw_r->data = rows;
    raw_r->len = (uint32_t)(rd.p - rows);
    return 0;
}

/* The RowData a rules table must give for these rules, in this order:
 * a StandardPropertyRow when the rule has every column, else a
 * FlaggedPropertyRow with ecNotFound for the missing provider data. */
static mh_bin expected_rows(it_rule *const *r, int n, int unicode)
{
    mh_wr w;
    mh_wr_init(&w, pool, 1024);
    for (int i = 0; i < n; i++) {
        int flagged = r[i]->provider_data.len == 0;
#define PRESENT() do { if (flagged) mh_wr_u8(&w, 0x00); } while (0)
        mh_wr_u8(&w, flagged ? 0x01 : 0x00);
        PRESENT(); mh_wr_u64(&w, (uint64_t)r[i]->id);
        PRESENT(); mh_wr_u32(&w, (uint32_t)r[i]->sequence);
        PRESENT(); mh_wr_u32(&w, r[i]->state);
        PRESENT(); w_text(&w, r[i]->name, unicode);
        PRESENT(); w_text(&w, PROVIDER, unicode);
        PRESENT(); mh_wr_u32(&w, 0); /* PidTagRuleLevel */
        if (flagged) {
            mh_wr_u8(&w, 0x0A);
            mh_wr_u32(&w, MAPI_E_NOT_FOUND);
        } else {
            mh_wr_u16(&w, (uint16_t)r[i]->provider_data.len);
            mh_wr_bytes(&w, r[i]->provider_data.data, r[i]->provider_data.len);
        }
        PRESENT(); mh_wr_bytes(&w, r[i]->cond[unicode].buf, r[i]->cond[unicode].len);
        PRESENT(); mh_wr_bytes(&w, r[i]->acts[unicode].buf, r[i]->acts[unicode].len);
#undef PRESENT
    }
    mh_bin b = {(uint32_t)w.len, w.buf};
    return b;
}

/* Reads the rules table in both forms and compares every byte of its rows
 * with `want` (in sequence order).  Returns the failures. */
static int rules_are(ems *s, uint64_t fid, it_rule *const *want, int n)
{
    int bad = 0;
    for (int u = 0; u < 2; u++) {
        mh_proptag cols[N_RULE_COLS];
        rule_cols(cols, u);
        mh_ropc_rows_r qr;
        mh_bin raw;
        uint32_t rv = rules_table(s, fid, u ? MH_TABLE_USE_UNICODE : 0, cols, &qr, &raw);
        if (rv) {
            printf("# the %s rules table: %s\n", u ? "Unicode" : "8-bit",
                   mh_mapi_err_name(rv, pool));
            return bad + 1;
        }
        if (qr.n_rows != n) {
            printf("# %u rules in the %s table, %d expected\n", qr.n_rows,
                   u ? "Unicode" : "8-bit", n);
            return bad + 1;
        }
        mh_bin exp = expected_rows(want, n, u);
        if (raw.len != exp.len || (exp.len && memcmp(raw.data, exp.data, exp.len) != 0)) {
            printf("# the %s rules table's rows differ from what was written\n",
                   u ? "Unicode" : "8-bit");
            size_t k = 0;
            while (k < raw.len && k < exp.len && raw.data[k] == exp.data[k])
                k++;
            printf("#   first difference at byte %zu of %u (expected %u bytes)\n", k,
                   raw.len, exp.len);
            bad++;
        }
    }
    return bad;
}

/* An FAI reply template in fid (IPM.Note.Rules.ReplyTemplate.Microsoft,
 * MS-OXORULE 2.2.9): its MID, 0 on failure. */
static uint64_t put_reply_template(ems *s, uint64_t fid)
{
    uint32_t fh;
    if (open_folder(s, fid, &fh) != 0)
        return 0;
    mh_propval v[2] = {mh_pv_str(PR_MESSAGE_CLASS, "IPM.Note.Rules.ReplyTemplate.Microsoft"),
                       mh_pv_str(PR_SUBJECT, "Reçu, merci")};
    mh_rop_batch *b = batch(fh);
    mh_ropc_create_message(b, 0, 0, 1, 0x0FFF, fid, 1);
    mh_ropc_set_props(b, 0, 1, v, 2, CP);
    mh_ropc_save_changes_message(b, 0, 1, 1, 0);
    mh_ropc_release(b, 0, 1);
    mh_ropc_release(b, 0, 0);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_create_message_r cm;
    mh_ropc_problems_r sp;
    mh_ropc_save_message_r sm;
    if (run(s, b, &res, &rd) < 0 || mh_ropc_create_message_parse(&rd, &cm) < 0 || cm.h.rv ||
        mh_ropc_set_props_parse(&rd, pool, &sp) < 0 || sp.h.rv ||
        mh_ropc_save_changes_message_parse(&rd, &sm) < 0 || sm.h.rv)
        return 0;
    return sm.message_id;
}

/* PidTagHasRules as OpenFolder reports it (-1: failed). */
static int has_rules(ems *s, uint64_t fid)
{
    mh_rop_batch *b = batch(s->logon);
    mh_ropc_open_folder(b, 0, 0, 1, fid, 0);
    mh_ropc_release(b, 0, 1);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_open_folder_r of;
    if (run(s, b, &res, &rd) < 0 || mh_ropc_open_folder_parse(&rd, pool, &of) < 0 || of.h.rv)
        return -1;
    return of.has_rules;
}

/* GetRulesTable alone (on a folder opened in the same Execute): its
 * ReturnValue, or the OpenFolder's. */
static uint32_t get_rules_table_rv(ems *s, uint64_t fid)
{
    mh_rop_batch *b = batch(s->logon);
    mh_ropc_open_folder(b, 0, 0, 1, fid, 0);
    mh_ropc_get_rules_table(b, 0, 1, 2, MH_TABLE_USE_UNICODE);
    mh_ropc_release(b, 0, 1);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_open_folder_r of;
    mh_ropc_hdr h;
    if (run(s, b, &res, &rd) < 0 || mh_ropc_open_folder_parse(&rd, pool, &of) < 0)
        return FAIL_EC;
    if (of.h.rv)
        return of.h.rv;
    if (mh_ropc_simple_parse(&rd, MH_ROPID_GET_RULES_TABLE, &h) < 0)
        return FAIL_EC;
    return h.rv;
}

static void test_rules(void)
{
    ems *ada = ems_open("ada", NULL, NULL);
    REQUIRE(ada);
    uint64_t inbox = ada->lr.folder_ids[MH_LF_INBOX];
    uint64_t target;
    REQUIRE(create_folder(ada, ada->lr.folder_ids[MH_LF_IPM_SUBTREE], "Rapports", &target) == 0);
    uint64_t tmid = put_reply_template(ada, inbox);
    REQUIRE(tmid != 0);
    CHECK_EQ_U(has_rules(ada, inbox), 0);

    /* 1. three rules in one ModifyRules: two with Unicode strings, one
     * with 8-bit strings */
    it_rule r[4];
    make_rules(r, target, inbox, tmid);
    rule_data d[3];
    for (int i = 0; i < 3; i++)
        rdata_add(&d[i], &r[i]);
    CHECK_EQ_U(modify_rules(ada, inbox, 0, d, 3), 0);
    CHECK_EQ_U(has_rules(ada, inbox), 1);

    /* the IDs the server gave, read from the table */
    mh_proptag cols[N_RULE_COLS];
    rule_cols(cols, 1);
    mh_ropc_rows_r qr;
    mh_bin raw;
    REQUIRE(rules_table(ada, inbox, MH_TABLE_USE_UNICODE, cols, &qr, &raw) == 0);
    REQUIRE(qr.n_rows == 3);
    for (int i = 0; i < 3; i++) {
        REQUIRE(MH_TAG_TYPE(qr.rows[i][0].tag) == PT_I8);
        r[i].id = qr.rows[i][0].v.i64;
        /* a FID's wire form, as Exchange's are (MS-OXORULE 4.2.2): the
         * mailbox's replica 1, a counter */
        CHECK_EQ_U(r[i].id & 0xFFFF, 1);
        CHECK(r[i].id >> 16 != 0);
        CHECK_STR(str_of(&qr.rows[i][3]), r[i].name);
    }
    CHECK(r[0].id != r[1].id && r[1].id != r[2].id && r[0].id != r[2].id);
    /* sequence, state and level as sent or defaulted (after the folder's
     * last sequence; disabled; 0), name, provider, provider data,
     * condition and actions byte for byte, in Unicode and 8-bit tables */
    it_rule *all[3] = {&r[0], &r[1], &r[2]};
    CHECK_EQ_U(rules_are(ada, inbox, all, 3), 0);

    /* 2. one rule modified: a new name, an earlier sequence, other actions;
     * what was not sent stays */
    rule_data m;
    rdata_init(&m, ROW_MODIFY);
    rdata_id(&m, r[1].id);
    rdata_text(&m, ID_RULE_NAME, "Factures (transférées)", 1);
    rdata_u32(&m, PR_RULE_SEQUENCE, 5);
    mh_wr na[2];
    for (int u = 0; u < 2; u++) {
        mh_wr_init(&na[u], pool, 64);
        mh_wr_u16(&na[u], 2);
        act_plain(&na[u], OP_MARK_AS_READ);
        act_forward(&na[u], u);
    }
    rdata_bytes(&m, PR_RULE_ACTIONS, na[0].buf, na[0].len, 0);
    CHECK_EQ_U(modify_rules(ada, inbox, 0, &m, 1), 0);
    r[1].name = "Factures (transférées)";
    r[1].sequence = 5;
    r[1].acts[0] = na[0];
    r[1].acts[1] = na[1];
    it_rule *modified[3] = {&r[1], &r[0], &r[2]};
    CHECK_EQ_U(rules_are(ada, inbox, modified, 3), 0);
    /* a rule ID the folder does not have: ecNotFound, nothing changes */
    rdata_init(&m, ROW_MODIFY);
    rdata_id(&m, r[0].id + r[1].id + r[2].id);
    rdata_u32(&m, PR_RULE_STATE, 0);
    CHECK_EQ_U(modify_rules(ada, inbox, 0, &m, 1), MAPI_E_NOT_FOUND);
    CHECK_EQ_U(rules_are(ada, inbox, modified, 3), 0);

    /* 3. one deleted */
    rule_data del;
    rdata_init(&del, ROW_REMOVE);
    rdata_id(&del, r[2].id);
    CHECK_EQ_U(modify_rules(ada, inbox, 0, &del, 1), 0);
    CHECK_EQ_U(rules_are(ada, inbox, modified, 2), 0);
    CHECK_EQ_U(modify_rules(ada, inbox, 0, &del, 1), MAPI_E_NOT_FOUND);

    /* 4. a user without FolderOwner on the Inbox: refused, even with every
     * other right; nothing changes */
    ems *bob = ems_open("bob", "ada", NULL);
    REQUIRE(bob);
    uint32_t fh;
    CHECK_EQ_U(open_folder(bob, inbox, &fh), MAPI_E_NO_ACCESS);
    CHECK_EQ_U(modify_rules(bob, inbox, 0, &d[2], 1), MAPI_E_NO_ACCESS);
    uint32_t all_but_owner = FRIGHTS_READ_ANY | FRIGHTS_CREATE | FRIGHTS_EDIT_OWNED |
                             FRIGHTS_DELETE_OWNED | FRIGHTS_EDIT_ANY | FRIGHTS_DELETE_ANY |
                             FRIGHTS_CREATE_SUBFOLDER | FRIGHTS_CONTACT | FRIGHTS_VISIBLE;
    REQUIRE(modify_permission(ada, inbox, ROW_ADD, dn_of("bob"), 0, all_but_owner) == 0);
    CHECK_EQ_U(get_rules_table_rv(bob, inbox), MAPI_E_NO_ACCESS);
    CHECK_EQ_U(modify_rules(bob, inbox, 0, &d[2], 1), MAPI_E_NO_ACCESS);
    rdata_init(&m, ROW_REMOVE);
    rdata_id(&m, r[0].id);
    CHECK_EQ_U(modify_rules(bob, inbox, MODIFY_RULES_REPLACE, &m, 0), MAPI_E_NO_ACCESS);
    CHECK_EQ_U(rules_are(ada, inbox, modified, 2), 0);
    /* FolderOwner lets him read them (and change them) */
    int64_t bob_id = -1;
    REQUIRE(permissions(ada, inbox, "Bob Bobson", &bob_id) != NULL);
    REQUIRE(bob_id > 0);
    REQUIRE(modify_permission(ada, inbox, ROW_MODIFY, NULL, bob_id,
                              all_but_owner | FRIGHTS_OWNER) == 0);
    CHECK_EQ_U(get_rules_table_rv(bob, inbox), 0);
    CHECK_EQ_U(rules_are(bob, inbox, modified, 2), 0);
    REQUIRE(modify_permission(ada, inbox, ROW_REMOVE, NULL, bob_id, 0) == 0);
    CHECK_EQ_U(get_rules_table_rv(bob, inbox), MAPI_E_NO_ACCESS);

    /* 5. all replaced by one new rule: a new ID, never one given before */
    memset(&r[3], 0, sizeof(r[3]));
    r[3].name = "Seule règle";
    r[3].send_unicode = 0;
    r[3].sequence = 1; /* the first of an empty folder */
    r[3].has_state = 1;
    r[3].state = ST_ENABLED;
    for (int u = 0; u < 2; u++) {
        mh_wr_init(&r[3].cond[u], pool, 64);
        mh_wr_init(&r[3].acts[u], pool, 64);
        w_subject_contains(&r[3].cond[u], "urgent", u);
        mh_wr_u16(&r[3].acts[u], 1);
        act_move(&r[3].acts[u], target);
    }
    rule_data one;
    rdata_add(&one, &r[3]);
    CHECK_EQ_U(modify_rules(ada, inbox, MODIFY_RULES_REPLACE, &one, 1), 0);
    rule_cols(cols, 0);
    REQUIRE(rules_table(ada, inbox, 0, cols, &qr, &raw) == 0);
    REQUIRE(qr.n_rows == 1);
    r[3].id = qr.rows[0][0].v.i64;
    for (int i = 0; i < 3; i++)
        CHECK(r[3].id != r[i].id);
    it_rule *only[1] = {&r[3]};
    CHECK_EQ_U(rules_are(ada, inbox, only, 1), 0);

    /* 6. replaced by nothing: the folder has no rules */
    CHECK_EQ_U(modify_rules(ada, inbox, MODIFY_RULES_REPLACE, NULL, 0), 0);
    CHECK_EQ_U(rules_are(ada, inbox, NULL, 0), 0);
    CHECK_EQ_U(has_rules(ada, inbox), 0);
}

/* ------------------------------------------------------ transport helpers */

/* RopGetAddressTypes, RopGetTransportFolder, RopOptionsData (MS-OXOMSG
 * 2.2.4.3, 2.2.5.2, 2.2.4.4) as a client asks them before sending. */
static void test_transport_helpers(void)
{
    ems *s = ems_open("ada", NULL, NULL);
    REQUIRE(s);
    uint32_t inbox;
    REQUIRE(open_folder(s, s->lr.folder_ids[MH_LF_INBOX], &inbox) == 0);
    mh_rop_batch *b = batch(s->logon);
    mh_rop_batch_set_handle(b, 1, inbox);
    mh_ropc_get_address_types(b, 0, 0);
    mh_ropc_get_address_types(b, 0, 1);       /* the input object is ignored */
    mh_ropc_get_transport_folder(b, 0, 0);
    mh_ropc_get_transport_folder(b, 0, 1);    /* a folder is no logon */
    mh_ropc_options_data(b, 0, 0, "SMTP", 1);
    mh_ropc_options_data(b, 0, 0, "EX", 0);
    mh_ropc_options_data(b, 0, 0, "", 0);     /* no address type */
    mh_ropc_get_address_types(b, 0, 2);       /* an empty slot */
    mh_exec_result res;
    mh_rd rd;
    REQUIRE(run(s, b, &res, &rd) == 0);
    for (int i = 0; i < 2; i++) {
        mh_ropc_address_types_r at;
        PARSE(mh_ropc_get_address_types_parse(&rd, pool, &at));
        CHECK_EQ_U(at.h.rv, 0);
        REQUIRE(at.n == 2);
        CHECK_STR(at.types[0], "EX");
        CHECK_STR(at.types[1], "SMTP");
    }
    mh_ropc_id_r tf;
    PARSE(mh_ropc_get_transport_folder_parse(&rd, &tf));
    CHECK_EQ_U(tf.h.rv, 0);
    CHECK_EQ_U(tf.object_id, s->lr.folder_ids[MH_LF_OUTBOX]);
    PARSE(mh_ropc_get_transport_folder_parse(&rd, &tf));
    CHECK_EQ_U(tf.h.rv, MAPI_E_NO_SUPPORT);
    for (int i = 0; i < 2; i++) {
        mh_ropc_options_data_r od;
        PARSE(mh_ropc_options_data_parse(&rd, pool, &od));
        CHECK_EQ_U(od.h.rv, 0);
        CHECK_EQ_U(od.reserved, 1);
        CHECK_EQ_U(od.options_info.len, 0);
        CHECK_EQ_U(od.help_file.len, 0);
        CHECK(od.help_file_name == NULL);
    }
    mh_ropc_options_data_r od;
    PARSE(mh_ropc_options_data_parse(&rd, pool, &od));
    CHECK_EQ_U(od.h.rv, MAPI_E_INVALID_PARAMETER);
    mh_ropc_address_types_r at;
    PARSE(mh_ropc_get_address_types_parse(&rd, pool, &at));
    CHECK_EQ_U(at.h.rv, EC_NULL_OBJECT);
    CHECK_EQ_U(mh_rd_left(&rd), 0);
    /* a delegate's logon to another mailbox: that mailbox's Outbox */
    ems *bob = ems_open("bob", "ada", NULL);
    REQUIRE(bob);
    b = batch(bob->logon);
    mh_ropc_get_transport_folder(b, 0, 0);
    REQUIRE(run(bob, b, &res, &rd) == 0);
    PARSE(mh_ropc_get_transport_folder_parse(&rd, &tf));
    CHECK_EQ_U(tf.h.rv, 0);
    CHECK_EQ_U(tf.object_id, s->lr.folder_ids[MH_LF_OUTBOX]);
    release(s, inbox, MH_HANDLE_UNUSED);
}

/* ------------------------------------------------------------ bad input */

static void test_bad_input(void)
{
    ems *s = ems_open("ada", NULL, NULL);
    REQUIRE(s);
    uint64_t inbox = s->lr.folder_ids[MH_LF_INBOX];
    mh_proptag name = PR_DISPLAY_NAME;
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_props_r pr;

    /* 1. bad handle indexes: an unused slot (0xFFFFFFFF), a slot past the
     * table (as input and as output), a slot a failed ROP left unused; each
     * ROP gets ecNullObject
     * (MS-OXCROPS 3.2.5.1) and the ROPs after it run */
    mh_rop_batch *b = batch(s->logon);
    mh_rop_batch_set_handle(b, 1, MH_HANDLE_UNUSED);
    mh_ropc_get_props_specific(b, 0, 1, 0, 1, &name, 1);   /* unused slot */
    mh_ropc_get_props_specific(b, 0, 9, 0, 1, &name, 1);   /* past the table */
    mh_ropc_open_folder(b, 0, 0, 8, inbox, 0);             /* output past it */
    mh_ropc_open_folder(b, 0, 0, 1, 0x0000FFFFFFFF0001ull, 0); /* no such folder */
    mh_ropc_get_props_specific(b, 0, 1, 0, 1, &name, 1);   /* nothing opened */
    mh_ropc_open_folder(b, 0, 0, 1, inbox, 0);
    mh_ropc_get_props_specific(b, 0, 1, 0, 1, &name, 1);   /* this one works */
    b->n_handles = 2;                                      /* slot 9 is past it */
    REQUIRE(run(s, b, &res, &rd) == 0);
    CHECK_EQ_U(res.outs[0].n_handles, 2);
    PARSE(mh_ropc_get_props_specific_parse(&rd, &name, 1, CP, pool, &pr));
    CHECK_EQ_U(pr.h.rv, EC_NULL_OBJECT);
    CHECK_EQ_U(pr.h.handle_idx, 1);
    PARSE(mh_ropc_get_props_specific_parse(&rd, &name, 1, CP, pool, &pr));
    CHECK_EQ_U(pr.h.rv, EC_NULL_OBJECT);
    CHECK_EQ_U(pr.h.handle_idx, 9);
    mh_ropc_open_folder_r of;
    PARSE(mh_ropc_open_folder_parse(&rd, pool, &of));
    CHECK_EQ_U(of.h.rv, EC_NULL_OBJECT);
    CHECK_EQ_U(of.h.handle_idx, 8);
    PARSE(mh_ropc_open_folder_parse(&rd, pool, &of));
    CHECK_EQ_U(of.h.rv, MAPI_E_NOT_FOUND);
    CHECK_EQ_U(of.h.handle_idx, 1); /* OutputHandleIndex */
    PARSE(mh_ropc_get_props_specific_parse(&rd, &name, 1, CP, pool, &pr));
    CHECK_EQ_U(pr.h.rv, EC_NULL_OBJECT);
    PARSE(mh_ropc_open_folder_parse(&rd, pool, &of));
    CHECK_EQ_U(of.h.rv, 0);
    PARSE(mh_ropc_get_props_specific_parse(&rd, &name, 1, CP, pool, &pr));
    CHECK_EQ_U(pr.h.rv, 0);
    CHECK_STR(str_of(&pr.vals[0]), "Inbox");
    CHECK_EQ_U(mh_rd_left(&rd), 0);
    uint32_t folder = mh_exec_handle(&res, 1);
    CHECK(folder != MH_HANDLE_UNUSED);

    /* 2. a wrong object type: table ROPs on the logon and on a folder, a
     * folder ROP on the logon; MAPI_E_NO_SUPPORT (ecNotSupported) */
    b = batch(s->logon);
    mh_rop_batch_set_handle(b, 1, folder);
    mh_ropc_query_rows(b, 0, 0, MH_QUERY_ADVANCE, 1, 10);
    mh_ropc_set_columns(b, 0, 1, 0, &name, 1);
    mh_ropc_get_contents_table(b, 0, 0, 2, 0);
    mh_ropc_get_props_specific(b, 0, 1, 0, 1, &name, 1);
    REQUIRE(run(s, b, &res, &rd) == 0);
    mh_ropc_rows_r qr;
    PARSE(mh_ropc_query_rows_parse(&rd, &name, 1, CP, pool, &qr));
    CHECK_EQ_U(qr.h.rv, MAPI_E_NO_SUPPORT);
    mh_ropc_status_r st;
    PARSE(mh_ropc_set_columns_parse(&rd, &st));
    CHECK_EQ_U(st.h.rv, MAPI_E_NO_SUPPORT);
    mh_ropc_table_r t;
    PARSE(mh_ropc_get_contents_table_parse(&rd, &t));
    CHECK_EQ_U(t.h.rv, MAPI_E_NO_SUPPORT);
    CHECK_EQ_U(mh_exec_handle(&res, 2), MH_HANDLE_UNUSED);
    PARSE(mh_ropc_get_props_specific_parse(&rd, &name, 1, CP, pool, &pr));
    CHECK_EQ_U(pr.h.rv, 0);
    CHECK_STR(str_of(&pr.vals[0]), "Inbox");

    /* a LogonId the session has no logon for: ecNullObject, nothing made
     * (MS-OXCROPS 3.1.4.2: a logon ID names the logon of each ROP) */
    b = batch(s->logon);
    mh_rop_batch_set_handle(b, 1, MH_HANDLE_UNUSED);
    mh_ropc_open_folder(b, 7, 0, 1, inbox, 0);
    mh_ropc_create_message(b, 7, 0, 1, 0x0FFF, inbox, 0);
    mh_ropc_get_props_specific(b, 0, 0, 0, 1, &name, 1);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_open_folder_parse(&rd, pool, &of));
    CHECK_EQ_U(of.h.rv, EC_NULL_OBJECT);
    mh_ropc_create_message_r cm;
    PARSE(mh_ropc_create_message_parse(&rd, &cm));
    CHECK_EQ_U(cm.h.rv, EC_NULL_OBJECT);
    CHECK_EQ_U(mh_exec_handle(&res, 1), MH_HANDLE_UNUSED);
    PARSE(mh_ropc_get_props_specific_parse(&rd, &name, 1, CP, pool, &pr));
    CHECK_EQ_U(pr.h.rv, 0);

    /* a released handle is no object any more */
    release(s, folder, MH_HANDLE_UNUSED);
    b = batch(folder);
    mh_ropc_get_props_specific(b, 0, 0, 0, 1, &name, 1);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_get_props_specific_parse(&rd, &name, 1, CP, pool, &pr));
    CHECK_EQ_U(pr.h.rv, EC_NULL_OBJECT);

    /* 3. a truncated ROP after a CreateFolder: the whole call fails with
     * ecRpcFormat (MS-OXCRPC 3.1.4.2) and nothing ran */
    uint64_t ipm = s->lr.folder_ids[MH_LF_IPM_SUBTREE];
    long before;
    apr_array_header_t *rows = hierarchy(s, ipm, 0, &before);
    REQUIRE(rows);
    b = batch(s->logon);
    mh_ropc_open_folder(b, 0, 0, 1, ipm, 0);
    mh_ropc_create_folder(b, 0, 1, 2, MH_ROPC_FOLDER_GENERIC, 1, 0, "never made", NULL);
    mh_ropc_long_term_id_from_id(b, 0, 0, inbox);
    b->rops.len -= 3; /* the ID cut short */
    before_request(s);
    CHECK(mh_emsc_execute(s->em, pool, b, &res) < 0);
    CHECK_EQ_U(s->em->fail, MH_EMSC_ERROR_CODE);
    CHECK_EQ_U(s->em->error_code, EC_RPC_FORMAT);
    /* a reserved RopId (0x00) and a response-only one (RopBufferTooSmall) */
    static const unsigned char reserved[][3] = {{0x00, 0, 0}, {0xFF, 0, 0}};
    for (int i = 0; i < 2; i++) {
        b = batch(s->logon);
        mh_wr_bytes(&b->rops, reserved[i], 3);
        before_request(s);
        CHECK(mh_emsc_execute(s->em, pool, b, &res) < 0);
        CHECK_EQ_U(s->em->error_code, EC_RPC_FORMAT);
    }
    /* the session goes on: the logon still answers, no folder was made */
    long after;
    rows = hierarchy(s, ipm, 0, &after);
    REQUIRE(rows);
    CHECK_EQ_U(after, before);
    CHECK(!row_named(rows, "never made"));
    b = batch(s->logon);
    mh_ropc_long_term_id_from_id(b, 0, 0, inbox);
    mh_ropc_get_props_specific(b, 0, 0, 0, 1, &name, 1);
    REQUIRE(run(s, b, &res, &rd) == 0);
    mh_ropc_ltid_r lt;
    PARSE(mh_ropc_long_term_id_from_id_parse(&rd, &lt));
    CHECK_EQ_U(lt.h.rv, 0);
    CHECK_MEM(lt.ltid.guid.b, 16, s->lr.repl_guid.b, 16);
    PARSE(mh_ropc_get_props_specific_parse(&rd, &name, 1, CP, pool, &pr));
    CHECK_EQ_U(pr.h.rv, 0);
    CHECK_STR(str_of(&pr.vals[0]), "Mailbox - Ada Lovelace");

    /* 4. a value the request parser cannot judge (a SortOrder whose Order
     * is none of MS-OXCDATA 2.13.1's): that ROP gets ecInvalidParam, the
     * next runs, and the error log notes it at info, naming the ROP (it is
     * the client's mistake, not the server's: test_log_clean then finds
     * nothing) */
    b = batch(s->logon);
    mh_ropc_open_folder(b, 0, 0, 1, inbox, 0);
    mh_ropc_get_contents_table(b, 0, 1, 2, 0);
    mh_sort_order bad_order = {PR_SUBJECT, 0x07};
    mh_sort_set bad_set = {1, 0, 0, &bad_order};
    mh_ropc_sort_table(b, 0, 2, 0, &bad_set);
    mh_ropc_query_position(b, 0, 2);
    mh_ropc_release(b, 0, 1);
    REQUIRE(run(s, b, &res, &rd) == 0);
    PARSE(mh_ropc_open_folder_parse(&rd, pool, &of));
    PARSE(mh_ropc_get_contents_table_parse(&rd, &t));
    CHECK_EQ_U(t.h.rv, 0);
    PARSE(mh_ropc_sort_table_parse(&rd, &st));
    CHECK_EQ_U(st.h.rv, MAPI_E_INVALID_PARAMETER);
    mh_ropc_position_r qp;
    PARSE(mh_ropc_query_position_parse(&rd, &qp));
    CHECK_EQ_U(qp.h.rv, 0);
    int noted = 0;
    const char *elog = mh_httpd_read_file(H, H->error_log);
    for (const char *p = elog; (p = strstr(p, "MH01103")) != NULL; p++) {
        const char *bol = p, *eol = strchr(p, '\n');
        while (bol > elog && bol[-1] != '\n')
            bol--;
        size_t n = eol ? (size_t)(eol - bol) : strlen(bol);
        const char *line = apr_pstrndup(pool, bol, n);
        if (strstr(line, ":info]") && strstr(line, "RopSortTable"))
            noted = 1;
    }
    CHECK(noted);
}

/* ------------------------------------------------------------- logging */

static void test_log_clean(void)
{
    CHECK_EQ_U(mh_httpd_check_log(H), 0);
}

/* Every request was served by its own process (--per-request-process). */
static void test_one_process_per_request(void)
{
    usleep(200000);
    const char *alog = mh_httpd_read_file(H, H->access_log);
    apr_hash_t *pids = apr_hash_make(pool);
    unsigned long lines = 0;
    char *copy = apr_pstrdup(pool, alog), *state = NULL;
    for (char *l = apr_strtok(copy, "\n", &state); l; l = apr_strtok(NULL, "\n", &state)) {
        char *sp = strchr(l, ' ');
        if (!sp)
            continue;
        *sp = 0;
        if (apr_hash_get(pids, l, APR_HASH_KEY_STRING))
            printf("# process %s served two requests\n", l);
        apr_hash_set(pids, l, APR_HASH_KEY_STRING, "");
        lines++;
    }
    CHECK_EQ_U(lines, N_REQUESTS);
    CHECK_EQ_U(apr_hash_count(pids), lines);
}

/* ------------------------------------------------------------- main */

static int make_store(mh_httpd *h)
{
    const char *steps[] = {
        "init",
        "user add ada --name 'Ada Lovelace' --email ada@example.com --password secret-ada",
        "user add bob --name 'Bob Bobson' --email bob@example.com --password secret-bob",
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        const char *out = NULL;
        if (mh_httpd_admin(h, steps[i], &out) != 0) {
            printf("# mapihttp-admin %s failed:\n%s\n", steps[i], out ? out : "");
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    MH_TEST_INIT();
    signal(SIGPIPE, SIG_IGN);
    apr_pool_create(&root_pool, NULL);
    pool = root_pool;
    const char *mpm = "event";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mpm") == 0 && i + 1 < argc)
            mpm = argv[++i];
        else if (strcmp(argv[i], "--per-request-process") == 0)
            PER_REQUEST = 1;
    }
    H = mh_httpd_create(pool, mpm);
    if (!H || make_store(H) != 0) {
        printf("not ok - could not prepare the server\n");
        return 1;
    }
    H->server_conf = mh_httpd_lmdb_conf(H);
    H->auth_provider = "lmdb";
    if (PER_REQUEST)
        H->max_connections_per_child = 1;
    if (mh_httpd_start(H) != 0) {
        printf("not ok - httpd did not start\n");
        mh_httpd_destroy(H);
        return 1;
    }
    apr_time_t t0 = apr_time_now();
    TEST(test_hierarchy);
    TEST(test_message_round_trip);
    TEST(test_contents_tables);
    TEST(test_move_copy_delete);
    TEST(test_permissions);
    TEST(test_rules);
    TEST(test_transport_helpers);
    TEST(test_bad_input);
    TEST(test_log_clean);
    if (PER_REQUEST)
        TEST(test_one_process_per_request);
    printf("# %lu requests in %.1f s (%s%s)\n", N_REQUESTS,
           (double)(apr_time_now() - t0) / APR_USEC_PER_SEC, mpm,
           PER_REQUEST ? ", a process per request" : "");
    mh_httpd_destroy(H);
    return MH_TEST_DONE();
}
