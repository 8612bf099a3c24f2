/*
 * Unit tests of the LMDB backend's own machinery, below the interface the
 * conformance suite covers: the consistency check finds damage done to the
 * raw databases and repairs it; instance options are validated.
 */
#include "lmdb_be.h"
#include "mapihttp/fold.h"
#include "mh_backend.h"
#include "mh_props.h"
#include "mh_provision.h"
#include "mh_test.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern const mh_backend mh_lmdb_backend;

static apr_pool_t *pool;
static mh_be *B;
static char dir[] = "/tmp/mh-test-lmdb-XXXXXX";
static uint32_t uid;
static mh_guid mbx;

static int problems_seen;
static int cycles_seen;
static void report(void *baton, const char *p)
{
    (void)baton;
    problems_seen++;
    if (strstr(p, "cycle"))
        cycles_seen++;
    printf("#   found: %s\n", p);
}

static uint32_t run_check(const mh_guid *g, int repair)
{
    mh_betxn *t;
    mh_error e;
    if (mh_be_begin(B, g, repair ? MH_TXN_WRITE : MH_TXN_READ, pool, &t, &e) != MH_OK)
        return 9999;
    uint32_t n = 9999;
    if (mh_be_check(t, repair, report, NULL, &n, &e) != MH_OK)
        n = 9999;
    if (repair && mh_be_commit(t, &e) != MH_OK)
        n = 9999;
    else if (!repair)
        mh_be_abort(t);
    return n;
}

/* Found problems: at least one, and the check itself worked. */
static int FOUND(uint32_t n)
{
    return n >= 1 && n != 9999;
}

/* A raw write transaction on the environment. */
static mh_txn *raw_begin(const mh_guid *g)
{
    mh_txn *t;
    mh_error e;
    return lbe_txn_begin(B->inst, g, MH_TXN_WRITE, pool, &t, &e) == MH_OK ? t : NULL;
}

static void setup(void)
{
    mh_error e;
    REQUIRE(mkdtemp(dir) != NULL);
    const char *argv[] = {apr_pstrcat(pool, "path=", dir, "/store", NULL), "size=64M"};
    REQUIRE(mh_be_create(&mh_lmdb_backend, pool, 2, argv, &B, &e) == MH_OK);
    REQUIRE(mh_be_prepare(B, -1, -1, pool, &e) == MH_OK);
    REQUIRE(mh_be_open(B, pool, &e) == MH_OK);
    mh_betxn *t;
    REQUIRE(mh_be_begin(B, NULL, MH_TXN_WRITE, pool, &t, &e) == MH_OK);
    mh_dir_entry u = {0};
    u.type = MH_DIR_USER;
    u.login = "ada";
    u.display_name = "Ada Lovelace";
    u.smtp = "ada@example.com";
    u.legacy_dn = "/o=T/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ada";
    REQUIRE(mh_be_dir_put(t, &u, NULL, &uid, &e) == MH_OK);
    REQUIRE(mh_be_commit(t, &e) == MH_OK);
    REQUIRE(mh_provision_mailbox(B, uid, NULL, pool, &mbx, &e) == MH_OK);
    /* one message in the Inbox */
    REQUIRE(mh_be_begin(B, &mbx, MH_TXN_WRITE, pool, &t, &e) == MH_OK);
    mh_mailbox_info mi;
    REQUIRE(mh_be_mailbox_info(t, &mi, &e) == MH_OK);
    mh_propval v[2] = {mh_pv_str(PR_SUBJECT, "hello"), mh_pv_str(PR_MESSAGE_CLASS, "IPM.Note")};
    mh_message m = {{2, v}, 0, NULL, 0, NULL};
    mh_id id, cn;
    REQUIRE(mh_be_message_save(t, mi.special[MH_SF_INBOX], 0, 0, &m, NULL, &id, &cn, &e) ==
            MH_OK);
    REQUIRE(mh_be_commit(t, &e) == MH_OK);
    CHECK_EQ_U(run_check(NULL, 0), 0);
    CHECK_EQ_U(run_check(&mbx, 0), 0);
}

static void test_directory_damage(void)
{
    /* drop the login index entry and add a search token of nobody */
    mh_txn *t = raw_begin(NULL);
    REQUIRE(t);
    lbe_key k;
    lk_init(&k);
    lk_bytes(&k, "ada", 3);
    CHECK(lbe_del(t, DBI_DIR_LOGIN, &k) == 0);
    lk_init(&k);
    lk_bytes(&k, "ghost", 5);
    lk_u8(&k, 0);
    lk_u32(&k, 4242);
    CHECK(lbe_put(t, DBI_DIR_ANR, &k, "", 0) == 0);
    mh_error e;
    REQUIRE(lbe_txn_commit(t, &e) == MH_OK);
    problems_seen = 0;
    CHECK_EQ_U(run_check(NULL, 0), 2);
    CHECK_EQ_U(problems_seen, 2);
    CHECK(run_check(NULL, 1) == 2);
    CHECK_EQ_U(run_check(NULL, 0), 0);
    /* the repaired index works again */
    mh_betxn *bt;
    REQUIRE(mh_be_begin(B, NULL, MH_TXN_READ, pool, &bt, &e) == MH_OK);
    mh_dir_entry got;
    CHECK_EQ_U(mh_be_dir_find(bt, MH_DIR_BY_LOGIN, "ADA", &got, &e), MH_OK);
    mh_be_abort(bt);
}

static void test_mailbox_damage(void)
{
    /* remove the contents index entry of the message: the check notices,
     * the repair restores it, and the folder lists the message again */
    mh_txn *t = raw_begin(&mbx);
    REQUIRE(t);
    mh_id inbox = t->mr.special[MH_SF_INBOX];
    lbe_key p;
    lk_init(&p);
    lk_u32(&p, t->mr.mbx);
    lk_u64(&p, inbox);
    int drc = lbe_del_prefix(t, DBI_CONTENTS, &p);
    REQUIRE(drc == 0);
    mh_error e;
    REQUIRE(lbe_txn_commit(t, &e) == MH_OK);
    CHECK(FOUND(run_check(&mbx, 0)));
    CHECK(FOUND(run_check(&mbx, 1)));
    CHECK_EQ_U(run_check(&mbx, 0), 0);
    mh_betxn *bt;
    REQUIRE(mh_be_begin(B, &mbx, MH_TXN_READ, pool, &bt, &e) == MH_OK);
    mh_id ids[4];
    uint32_t n = 0;
    mh_cursor from = {0}, next;
    CHECK_EQ_U(mh_be_contents_list(bt, inbox, 0, NULL, &from, 4, ids, &n, &next, &e), MH_OK);
    CHECK_EQ_U(n, 1);
    mh_be_abort(bt);
}

/* The subject and class of the Inbox's message through the indexed read
 * (props_get with tags): the error of the read, and n values. */
static mh_err read_two(mh_id id, uint32_t *n_r)
{
    mh_betxn *bt;
    mh_error e;
    if (mh_be_begin(B, &mbx, MH_TXN_READ, pool, &bt, &e) != MH_OK)
        return MH_E_INTERNAL;
    mh_objref ref = {0};
    ref.kind = MH_OBJ_MESSAGE;
    ref.id = id;
    const mh_proptag tags[2] = {PR_MESSAGE_CLASS, PR_SUBJECT};
    mh_proplist l = {0, NULL};
    mh_err rc = mh_be_props_get(bt, &ref, tags, 2, UINT64_MAX, &l, &e);
    *n_r = l.n;
    if (rc == MH_OK && l.n == 2 &&
        (strcmp(mh_proplist_find(&l, PR_SUBJECT)->v.str, "hello") != 0 ||
         strcmp(mh_proplist_find(&l, PR_MESSAGE_CLASS)->v.str, "IPM.Note") != 0))
        rc = MH_E_CORRUPT;
    mh_be_abort(bt);
    return rc;
}

/* Message records carry an index of their values (version 2): a record of
 * version 1 (none) is still read, and an index that disagrees with the
 * values is a damaged record the check finds and the repair rewrites. */
static void test_message_record_index(void)
{
    mh_txn *t = raw_begin(&mbx);
    REQUIRE(t);
    uint32_t mbxnum = t->mr.mbx;
    mh_id inbox = t->mr.special[MH_SF_INBOX];
    mh_error e;
    lbe_txn_abort(t);
    mh_betxn *bt;
    REQUIRE(mh_be_begin(B, &mbx, MH_TXN_READ, pool, &bt, &e) == MH_OK);
    mh_id ids[4];
    uint32_t n = 0;
    mh_cursor from = {0}, next;
    REQUIRE(mh_be_contents_list(bt, inbox, 0, NULL, &from, 4, ids, &n, &next, &e) == MH_OK);
    mh_be_abort(bt);
    REQUIRE(n == 1);
    CHECK_EQ_U(read_two(ids[0], &n), MH_OK);
    CHECK_EQ_U(n, 2);

    lbe_key k;
    lk_init(&k);
    lk_u32(&k, mbxnum);
    lk_u64(&k, ids[0]);
    MDB_val key = lk_val(&k), v;
    t = raw_begin(&mbx);
    REQUIRE(t);
    REQUIRE(mdb_get(t->txn, t->inst->dbi[DBI_OBJECTS], &key, &v) == 0);
    /* kind, version, folder, associated, read, CN, read CN, size; index */
    const size_t head = 1 + 1 + 8 + 1 + 1 + 8 + 8 + 4;
    unsigned char *rec = apr_pmemdup(pool, v.mv_data, v.mv_size);
    size_t len = v.mv_size;
    if (len <= head + 4 || rec[1] != 2)
        lbe_txn_abort(t);
    REQUIRE(len > head + 4 && rec[1] == 2);
    uint32_t nix = mh_get_u32(rec + head);
    size_t ixlen = 4 + 8 * (size_t)nix;
    /* the index's entries of the two values read */
    uint32_t e_subject = nix, e_class = nix;
    for (uint32_t i = 0; i < nix && len >= head + ixlen; i++) {
        mh_proptag tag = mh_get_u32(rec + head + 4 + 4 * (size_t)i);
        if (tag == PR_SUBJECT)
            e_subject = i;
        else if (tag == PR_MESSAGE_CLASS)
            e_class = i;
    }
    if (e_subject == nix || e_class == nix)
        lbe_txn_abort(t);
    REQUIRE(e_subject < nix && e_class < nix);

    /* version 1: the same without the index */
    unsigned char *v1 = apr_palloc(pool, len - ixlen);
    memcpy(v1, rec, head);
    memcpy(v1 + head, rec + head + ixlen, len - head - ixlen);
    v1[1] = 1;
    REQUIRE(lbe_put(t, DBI_OBJECTS, &k, v1, len - ixlen) == 0);
    REQUIRE(lbe_txn_commit(t, &e) == MH_OK);
    CHECK_EQ_U(read_two(ids[0], &n), MH_OK);
    CHECK_EQ_U(n, 2);
    CHECK_EQ_U(run_check(&mbx, 0), 0);

    /* version 2 with the two offsets swapped: the read refuses the
     * record, the check finds it, the repair writes it anew */
    unsigned char *bad = apr_pmemdup(pool, rec, len);
    unsigned char *offs = bad + head + 4 + 4 * (size_t)nix;
    uint32_t o0 = mh_get_u32(offs + 4 * e_subject);
    mh_put_u32(offs + 4 * e_subject, mh_get_u32(offs + 4 * e_class));
    mh_put_u32(offs + 4 * e_class, o0);
    t = raw_begin(&mbx);
    REQUIRE(t);
    REQUIRE(lbe_put(t, DBI_OBJECTS, &k, bad, len) == 0);
    REQUIRE(lbe_txn_commit(t, &e) == MH_OK);
    CHECK_EQ_U(read_two(ids[0], &n), MH_E_CORRUPT);
    problems_seen = 0;
    CHECK_EQ_U(run_check(&mbx, 0), 1);
    CHECK_EQ_U(problems_seen, 1);
    CHECK_EQ_U(run_check(&mbx, 1), 1);
    CHECK_EQ_U(run_check(&mbx, 0), 0);
    CHECK_EQ_U(read_two(ids[0], &n), MH_OK);
    CHECK_EQ_U(n, 2);
    /* the repaired record is the one the save wrote */
    t = raw_begin(&mbx);
    REQUIRE(t);
    REQUIRE(mdb_get(t->txn, t->inst->dbi[DBI_OBJECTS], &key, &v) == 0);
    CHECK_MEM(v.mv_data, v.mv_size, rec, len);
    lbe_txn_abort(t);
}

/* ---------------------------------------------------------- summaries */

static const mh_proptag view_tags[] = {PR_IMPORTANCE, PR_MESSAGE_CLASS, PR_SUBJECT,
                                        PR_SENT_REPRESENTING_NAME, PR_MESSAGE_DELIVERY_TIME,
                                        PR_MESSAGE_FLAGS, PR_MESSAGE_SIZE, PR_HASATTACH,
                                        PR_FLAG_STATUS, PR_MID};
#define N_VIEW (sizeof(view_tags) / sizeof(view_tags[0]))
/* a value no summary holds */
static const mh_proptag body_tags[] = {PR_SUBJECT, MH_TAG(0x1000, PT_UNICODE)};

static int lists_equal(const mh_proplist *a, const mh_proplist *b)
{
    if (a->n != b->n)
        return 0;
    for (uint32_t i = 0; i < a->n; i++)
        if (!mh_propval_equal(&a->v[i], b->v + i))
            return 0;
    return 1;
}

/* Reads folder's messages as a table does, in one read transaction: the
 * view by received time, newest first, then each message's head and
 * values; and each again in a transaction of its own that lists nothing
 * (the record).  Both must agree.  Returns how many rows came from
 * summaries (-1 on any disagreement or failure); *n_r is the row count. */
static int summary_rows(mh_id folder, uint32_t *n_r)
{
    mh_txn *t, *t2;
    mh_error e;
    if (lbe_txn_begin(B->inst, &mbx, MH_TXN_READ, pool, &t, &e) != MH_OK)
        return -1;
    mh_sort by = {PR_MESSAGE_DELIVERY_TIME, 1};
    mh_id ids[16];
    uint32_t n = 0;
    mh_cursor from = {0}, next;
    int from_summary = 0;
    if (lbe_contents_list(t, folder, 0, &by, &from, 16, ids, &n, &next, &e) != MH_OK) {
        lbe_txn_abort(t);
        return -1;
    }
    *n_r = n;
    for (uint32_t i = 0; i < n; i++) {
        lbe_message m, r;
        mh_rd rd;
        mh_objref ref = {0};
        ref.kind = MH_OBJ_MESSAGE;
        ref.id = ids[i];
        mh_proplist a, b, c, d;
        if (lbe_message_peek(t, ids[i], pool, &m, &e) != MH_OK ||
            lbe_props_get(t, &ref, view_tags, N_VIEW, UINT64_MAX, pool, &a, &e) != MH_OK ||
            lbe_props_get(t, &ref, body_tags, 2, UINT64_MAX, pool, &c, &e) != MH_OK ||
            lbe_txn_begin(B->inst, &mbx, MH_TXN_READ, pool, &t2, &e) != MH_OK) {
            lbe_txn_abort(t);
            return -1;
        }
        from_summary += m.partial;
        int ok = lbe_message_head(t2, ids[i], pool, &r, &rd, &e) == MH_OK && !r.partial &&
                 lbe_props_get(t2, &ref, view_tags, N_VIEW, UINT64_MAX, pool, &b, &e) == MH_OK &&
                 lbe_props_get(t2, &ref, body_tags, 2, UINT64_MAX, pool, &d, &e) == MH_OK;
        lbe_txn_abort(t2);
        if (!ok || m.id != r.id || m.folder != r.folder || m.fai != r.fai || m.read != r.read ||
            m.cn != r.cn || m.read_cn != r.read_cn || m.size != r.size || !lists_equal(&a, &b) ||
            !lists_equal(&c, &d) || d.n != 2) {
            printf("#   row %u (message %llu) differs from its record\n", i,
                   (unsigned long long)ids[i]);
            lbe_txn_abort(t);
            return -1;
        }
    }
    lbe_txn_abort(t);
    return from_summary;
}

/* Puts a cursor on message id's entry in folder's received-time index:
 * 0, or an LMDB error (the cursor closed). */
static int find_entry(mh_txn *t, mh_id folder, mh_id id, MDB_cursor **c_r, MDB_val *key,
                      MDB_val *v)
{
    lbe_key k;
    lk_init(&k);
    lk_u32(&k, t->mr.mbx);
    lk_u64(&k, folder);
    lk_u8(&k, 0);
    lk_u8(&k, 1); /* the first sort column: received time */
    *key = lk_val(&k);
    int rc = mdb_cursor_open(t->txn, B->inst->dbi[DBI_SORTIDX], c_r);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(*c_r, key, v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(*c_r, key, v, MDB_NEXT)) {
        if (key->mv_size < k.n + 8 || memcmp(key->mv_data, k.b, k.n) != 0)
            rc = MDB_NOTFOUND;
        else if (mh_get_u64_be((uint8_t *)key->mv_data + key->mv_size - 8) != id)
            continue;
        break;
    }
    if (rc)
        mdb_cursor_close(*c_r);
    return rc;
}

/* The value of message id's entry in folder's received-time index. */
static int summary_value(mh_id folder, mh_id id, unsigned char **p_r, size_t *len_r)
{
    mh_txn *t;
    mh_error e;
    if (lbe_txn_begin(B->inst, &mbx, MH_TXN_READ, pool, &t, &e) != MH_OK)
        return -1;
    MDB_cursor *c;
    MDB_val key, v;
    int rc = find_entry(t, folder, id, &c, &key, &v);
    if (rc == 0) {
        *p_r = apr_pmemdup(pool, v.mv_data, v.mv_size ? v.mv_size : 1);
        *len_r = v.mv_size;
        mdb_cursor_close(c);
    }
    lbe_txn_abort(t);
    return rc ? -1 : 0;
}

/* Replaces the value of that entry. */
static int put_summary(mh_id folder, mh_id id, const unsigned char *p, size_t len)
{
    mh_txn *t = raw_begin(&mbx);
    if (!t)
        return -1;
    MDB_cursor *c;
    MDB_val key, v;
    int rc = find_entry(t, folder, id, &c, &key, &v);
    if (rc == 0) {
        MDB_val nv = {len, (void *)p};
        rc = mdb_cursor_put(c, &key, &nv, MDB_CURRENT);
        mdb_cursor_close(c);
    }
    mh_error e;
    if (rc) {
        lbe_txn_abort(t);
        return -1;
    }
    return lbe_txn_commit(t, &e) == MH_OK ? 0 : -1;
}

/* What a summary covers: a list view's columns in any order, the computed
 * ones (asked of the backend, never stored), not the body or a named
 * property.  (Asking for each covered tag also checks that the backend's
 * own list is in order: its binary search would miss some otherwise.) */
static void test_summary_covers(void)
{
    static const mh_proptag all[] = {
        PR_IMPORTANCE, PR_MESSAGE_CLASS, MH_TAG(0x0026, PT_LONG), PR_SENSITIVITY, PR_SUBJECT,
        PR_CLIENT_SUBMIT_TIME, PR_SUBJECT_PREFIX, PR_SENT_REPRESENTING_NAME,
        MH_TAG(0x0070, PT_UNICODE), MH_TAG(0x0071, PT_BINARY), PR_SENDER_NAME, PR_DISPLAY_BCC,
        PR_DISPLAY_CC, PR_DISPLAY_TO, PR_MESSAGE_DELIVERY_TIME, PR_MESSAGE_FLAGS,
        PR_MESSAGE_SIZE, PR_MESSAGE_SIZE_EXTENDED, PR_PARENT_ENTRYID, PR_MSG_STATUS,
        PR_HASATTACH, PR_NORMALIZED_SUBJECT, MH_TAG(0x0E2B, PT_LONG), PR_ROW_TYPE,
        PR_INSTANCE_KEY, PR_RECORD_KEY, PR_STORE_RECORD_KEY, PR_STORE_ENTRYID, PR_OBJECT_TYPE,
        PR_ENTRYID, MH_TAG(0x1080, PT_LONG), MH_TAG(0x1081, PT_LONG), PR_FLAG_STATUS,
        MH_TAG(0x1091, PT_SYSTIME), MH_TAG(0x1095, PT_LONG), PR_DEPTH, PR_CREATION_TIME,
        PR_LAST_MODIFICATION_TIME, PR_PARENT_SOURCE_KEY, PR_FID, PR_PARENT_FID, PR_MID,
        PR_INST_ID, PR_INSTANCE_NUM, PR_ASSOCIATED};
    uint32_t n = sizeof(all) / sizeof(all[0]);
    CHECK(lbe_summary_covers(all, n));
    for (uint32_t i = 0; i < n; i++)
        CHECK(lbe_summary_covers(&all[i], 1));
    /* the bench's columns, in the table's order */
    const mh_proptag view[] = {PR_MID, PR_INSTANCE_KEY, PR_SUBJECT, PR_SENT_REPRESENTING_NAME,
                               PR_MESSAGE_DELIVERY_TIME, PR_MESSAGE_SIZE, PR_IMPORTANCE,
                               PR_MESSAGE_FLAGS, PR_FLAG_STATUS, PR_HASATTACH, PR_MESSAGE_CLASS,
                               MH_TAG(0x1080, PT_LONG)};
    CHECK(lbe_summary_covers(view, 12));
    const mh_proptag body[] = {PR_SUBJECT, MH_TAG(0x1000, PT_UNICODE)};
    CHECK(!lbe_summary_covers(body, 2));
    const mh_proptag named[] = {PR_SUBJECT, MH_TAG(0x8005, PT_MV_UNICODE)};
    CHECK(!lbe_summary_covers(named, 2));
    const mh_proptag string8[] = {MH_TAG(0x0037, PT_STRING8)}; /* the core asks Unicode */
    CHECK(!lbe_summary_covers(string8, 1));
    CHECK(!lbe_summary_covers(NULL, 0));
}

/* The received- and sent-time indexes carry each message's summary: a
 * table page reads its rows from them, gives what the records give, and
 * every write of a message keeps them current; the check finds a stale
 * one and the repair rewrites it. */
static void test_sort_summaries(void)
{
    mh_betxn *bt;
    mh_error e;
    REQUIRE(mh_be_begin(B, &mbx, MH_TXN_WRITE, pool, &bt, &e) == MH_OK);
    mh_mailbox_info mi;
    REQUIRE(mh_be_mailbox_info(bt, &mi, &e) == MH_OK);
    mh_id box = mi.special[MH_SF_DRAFTS], other = mi.special[MH_SF_DELETED_ITEMS];
    /* three messages with list-view values, one whose subject is too long
     * for a summary (inline in the record, 1500 characters) */
    char *longsub = apr_palloc(pool, 1501);
    memset(longsub, 'x', 1500);
    longsub[1500] = 0;
    mh_id ids[4];
    for (int i = 0; i < 4; i++) {
        mh_propval v[7] = {
            mh_pv_str(PR_SUBJECT, i == 3 ? longsub : apr_psprintf(pool, "subject %d", i)),
            mh_pv_str(PR_MESSAGE_CLASS, "IPM.Note"),
            mh_pv_str(PR_SENT_REPRESENTING_NAME, "Grace Hopper"),
            mh_pv_time(PR_MESSAGE_DELIVERY_TIME, 133000000000000000ull + (uint64_t)i * 10000000),
            mh_pv_long(PR_IMPORTANCE, i),
            mh_pv_long(PR_FLAG_STATUS, 2),
            mh_pv_str(MH_TAG(0x1000, PT_UNICODE), "the body, which no summary holds")};
        mh_message m = {{7, v}, 0, NULL, 0, NULL};
        mh_id cn;
        REQUIRE(mh_be_message_save(bt, box, 0, 0, &m, NULL, &ids[i], &cn, &e) == MH_OK);
    }
    REQUIRE(mh_be_commit(bt, &e) == MH_OK);
    uint32_t n = 0;
    CHECK_EQ_U((unsigned)summary_rows(box, &n), 3); /* all but the long subject's */
    CHECK_EQ_U(n, 4);
    CHECK_EQ_U(run_check(&mbx, 0), 0);
    unsigned char *before, *p;
    size_t before_len, len;
    REQUIRE(summary_value(box, ids[3], &p, &len) == 0);
    CHECK_EQ_U(len, 0); /* too long: not kept */
    REQUIRE(summary_value(box, ids[1], &before, &before_len) == 0);
    CHECK(before_len > 0 && before_len <= LBE_SUMMARY_MAX);

    /* read state, move, copy, and a save that changes the values */
    mh_id cn, moved, copied;
    REQUIRE(mh_be_begin(B, &mbx, MH_TXN_WRITE, pool, &bt, &e) == MH_OK);
    REQUIRE(mh_be_message_set_read(bt, ids[1], 1, &cn, &e) == MH_OK);
    REQUIRE(mh_be_message_move(bt, ids[0], other, 0, NULL, &moved, &e) == MH_OK);
    REQUIRE(mh_be_message_move(bt, ids[2], other, 1, NULL, &copied, &e) == MH_OK);
    mh_propval v2[4] = {mh_pv_str(PR_SUBJECT, "changed"), mh_pv_str(PR_MESSAGE_CLASS, "IPM.Note"),
                        mh_pv_time(PR_MESSAGE_DELIVERY_TIME, 133000000000000000ull),
                        mh_pv_str(MH_TAG(0x1000, PT_UNICODE), "another body")};
    mh_message m2 = {{4, v2}, 0, NULL, 0, NULL};
    mh_id same;
    REQUIRE(mh_be_message_save(bt, 0, ids[2], 0, &m2, NULL, &same, &cn, &e) == MH_OK);
    REQUIRE(mh_be_commit(bt, &e) == MH_OK);
    CHECK_EQ_U((unsigned)summary_rows(box, &n), 2);
    CHECK_EQ_U(n, 3);
    CHECK_EQ_U((unsigned)summary_rows(other, &n), 2);
    CHECK_EQ_U(n, 2);
    CHECK_EQ_U(run_check(&mbx, 0), 0);
    REQUIRE(summary_value(box, ids[1], &p, &len) == 0);
    CHECK(len > 0 && (len != before_len || memcmp(p, before, len) != 0));

    /* the summary from before the read flag changed, put back: the check
     * finds it, the repair writes the current one */
    REQUIRE(put_summary(box, ids[1], before, before_len) == 0);
    problems_seen = 0;
    CHECK_EQ_U(run_check(&mbx, 0), 1);
    CHECK_EQ_U(problems_seen, 1);
    CHECK_EQ_U(run_check(&mbx, 1), 1);
    CHECK_EQ_U(run_check(&mbx, 0), 0);
    unsigned char *after;
    size_t after_len;
    REQUIRE(summary_value(box, ids[1], &after, &after_len) == 0);
    CHECK_MEM(after, after_len, p, len);
    CHECK_EQ_U((unsigned)summary_rows(box, &n), 2);

    /* an entry written before summaries ("") is read from the record */
    REQUIRE(put_summary(box, ids[1], (const unsigned char *)"", 0) == 0);
    CHECK_EQ_U(run_check(&mbx, 0), 0);
    CHECK_EQ_U((unsigned)summary_rows(box, &n), 1);
    /* a summary that does not read is passed over */
    REQUIRE(put_summary(box, ids[1], (const unsigned char *)"\x07garbage", 8) == 0);
    CHECK_EQ_U((unsigned)summary_rows(box, &n), 1);
    CHECK_EQ_U(run_check(&mbx, 0), 1);
    CHECK_EQ_U(run_check(&mbx, 1), 1);
    CHECK_EQ_U((unsigned)summary_rows(box, &n), 2);
    /* one whose head reads but whose values do not (offsets past its end):
     * the row's head comes from it, its values from the record */
    REQUIRE(summary_value(box, ids[1], &p, &len) == 0);
    const size_t shead = 1 + 8 + 1 + 1 + 8 + 8 + 4; /* version, folder ... size */
    REQUIRE(len > shead + 4);
    uint32_t nix = mh_get_u32(p + shead);
    REQUIRE(nix > 0 && len >= shead + 4 + 8 * (size_t)nix);
    for (uint32_t i = 0; i < nix; i++)
        mh_put_u32(p + shead + 4 + 4 * (size_t)nix + 4 * (size_t)i, 0xFFFFu);
    REQUIRE(put_summary(box, ids[1], p, len) == 0);
    CHECK_EQ_U((unsigned)summary_rows(box, &n), 2); /* and the values agree */
    CHECK_EQ_U(run_check(&mbx, 0), 1);
    CHECK_EQ_U(run_check(&mbx, 1), 1);
    CHECK_EQ_U(run_check(&mbx, 0), 0);
}

static void test_folder_cycle(void)
{
    /* Sync Issues made a child of its own subfolder Conflicts */
    mh_txn *t = raw_begin(&mbx);
    REQUIRE(t);
    mh_id sync = t->mr.special[MH_SF_SYNC_ISSUES], conf = t->mr.special[MH_SF_CONFLICTS];
    lbe_folder f;
    mh_error e;
    REQUIRE(lbe_folder_load(t, sync, pool, &f, &e) == MH_OK);
    mh_id old_parent = f.parent;
    f.parent = conf;
    REQUIRE(lbe_folder_store(t, &f, &e) == MH_OK);
    REQUIRE(lbe_txn_commit(t, &e) == MH_OK);
    cycles_seen = 0;
    CHECK(FOUND(run_check(&mbx, 0)));
    CHECK_EQ_U(cycles_seen, 4); /* Sync Issues and its three subfolders */
    /* put it back */
    t = raw_begin(&mbx);
    REQUIRE(t);
    REQUIRE(lbe_folder_load(t, sync, pool, &f, &e) == MH_OK);
    f.parent = old_parent;
    REQUIRE(lbe_folder_store(t, &f, &e) == MH_OK);
    REQUIRE(lbe_txn_commit(t, &e) == MH_OK);
    CHECK_EQ_U(run_check(&mbx, 0), 0);
}

static void test_fold(void)
{
    /* case folding, Latin-1 capitals included; nothing lost at the end */
    CHECK_STR(lbe_fold(pool, "Jos\xc3\xa9", 400), "jos\xc3\xa9");
    CHECK_STR(lbe_fold(pool, "ZO\xc3\x8b", 400), "zo\xc3\xab");
    CHECK_STR(lbe_fold(pool, "\xe2\x82\xac", 400), "\xe2\x82\xac"); /* the euro sign */
    CHECK_STR(lbe_fold(pool, "alice\x80", 400), "alice\x80");      /* invalid, kept */
    CHECK_STR(lbe_fold(pool, "", 400), "");
    /* a cut keeps whole sequences and drops only one it would split */
    CHECK_STR(lbe_fold(pool, "ab\xc3\xa9", 3), "ab");
    CHECK_STR(lbe_fold(pool, "ab\xc3\xa9", 4), "ab\xc3\xa9");
    CHECK_STR(lbe_fold(pool, "a\xe2\x82\xac", 3), "a");
    CHECK_STR(lbe_fold(pool, "a\xe2\x82\xac", 4), "a\xe2\x82\xac");
    CHECK_STR(lbe_fold(pool, "a\xf0\x9f\x98\x80" "b", 4), "a");
    CHECK_STR(lbe_fold(pool, "a\xf0\x9f\x98\x80" "b", 5), "a\xf0\x9f\x98\x80");
    CHECK_STR(lbe_fold(pool, "ABC", 2), "ab");
}

static void test_options(void)
{
    static const char *const bad[][2] = {
        {"path=relative", NULL}, {"size=12", "path=/x"}, {"size=lots", "path=/x"},
        {"sync=sometimes", "path=/x"}, {"maxreaders=3", "path=/x"}, {"colour=blue", "path=/x"},
        {"nokeyvalue", "path=/x"}, {"size=64G", NULL}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mh_be *b;
        mh_error e = {MH_OK, NULL};
        int argc = bad[i][1] ? 2 : 1;
        CHECK_EQ_U(mh_be_create(&mh_lmdb_backend, pool, argc, bad[i], &b, &e), MH_E_INVALID);
        CHECK(e.detail && *e.detail);
    }
    /* the same store twice with other options is refused at preparation */
    mh_be *b1, *b2;
    mh_error e;
    const char *a1[] = {apr_pstrcat(pool, "path=", dir, "/two", NULL), "size=64M"};
    const char *a2[] = {apr_pstrcat(pool, "path=", dir, "/two/", NULL), "size=128M"};
    REQUIRE(mh_be_create(&mh_lmdb_backend, pool, 2, a1, &b1, &e) == MH_OK);
    REQUIRE(mh_be_create(&mh_lmdb_backend, pool, 2, a2, &b2, &e) == MH_OK);
    apr_pool_t *ptemp;
    apr_pool_create(&ptemp, pool);
    CHECK_EQ_U(mh_be_prepare(b1, -1, -1, ptemp, &e), MH_OK);
    CHECK_EQ_U(mh_be_prepare(b2, -1, -1, ptemp, &e), MH_E_INVALID);
    apr_pool_destroy(ptemp);
    /* and at opening in one process */
    CHECK_EQ_U(mh_be_open(b1, pool, &e), MH_OK);
    CHECK_EQ_U(mh_be_open(b2, pool, &e), MH_E_INVALID);
}

/* The options reach LMDB. */
static void test_option_effects(void)
{
    static const struct {
        const char *sync;
        unsigned want, unwanted;
    } modes[] = {{"sync=full", 0, MDB_NOSYNC | MDB_NOMETASYNC},
                 {"sync=meta", MDB_NOMETASYNC, MDB_NOSYNC},
                 {"sync=none", MDB_NOSYNC, 0}};
    for (int i = 0; i < 3; i++) {
        mh_be *b;
        mh_error e;
        const char *argv[] = {apr_psprintf(pool, "path=%s/mode%d", dir, i), modes[i].sync,
                              "maxreaders=20"};
        REQUIRE(mh_be_create(&mh_lmdb_backend, pool, 3, argv, &b, &e) == MH_OK);
        REQUIRE(mh_be_prepare(b, -1, -1, pool, &e) == MH_OK);
        REQUIRE(mh_be_open(b, pool, &e) == MH_OK);
        unsigned flags = 0, readers = 0;
        REQUIRE(mdb_env_get_flags(b->inst->env, &flags) == 0);
        CHECK_EQ_U(flags & modes[i].want, modes[i].want);
        CHECK_EQ_U(flags & modes[i].unwanted, 0);
        REQUIRE(mdb_env_get_maxreaders(b->inst->env, &readers) == 0);
        CHECK_EQ_U(readers, 20);
    }
}

/*
 * Read-only transactions reuse kept handles (lmdb_env.c, RTX_KEEP): with
 * maxreaders=16, sixteen read transactions open at once take every slot;
 * after they end, thousands more one after the other and sixteen at once
 * again still find slots (a handle kept takes no slot it did not hold), and
 * a renewed handle sees what was committed after it was last used (it holds
 * no snapshot).
 */
static int count_line(const char *msg, void *ctx)
{
    (void)msg;
    (*(int *)ctx)++;
    return 0;
}

static void test_read_handles_kept(void)
{
    mh_be *b;
    mh_error e;
    const char *argv[] = {apr_psprintf(pool, "path=%s/readers", dir), "size=64M",
                          "maxreaders=16"};
    REQUIRE(mh_be_create(&mh_lmdb_backend, pool, 3, argv, &b, &e) == MH_OK);
    REQUIRE(mh_be_prepare(b, -1, -1, pool, &e) == MH_OK);
    REQUIRE(mh_be_open(b, pool, &e) == MH_OK);
    mh_txn *r[17];
    for (int round = 0; round < 3; round++) {
        int opened = 0;
        for (int i = 0; i < 16; i++)
            opened += lbe_txn_begin(b->inst, NULL, MH_TXN_READ, pool, &r[i], &e) == MH_OK;
        CHECK_EQ_U(opened, 16);
        /* every slot is taken: a seventeenth fails, and cleanly */
        CHECK(lbe_txn_begin(b->inst, NULL, MH_TXN_READ, pool, &r[16], &e) != MH_OK);
        for (int i = 0; i < opened; i++)
            lbe_txn_abort(r[i]);
        /* the slots stay this process's, kept with the handles */
        int lines = 0;
        mdb_reader_list(b->inst->env, count_line, &lines);
        CHECK_EQ_U(lines, 1 + 16); /* a heading, then one line per slot */
        int ok = 1;
        for (int i = 0; i < 2000 && ok; i++) {
            mh_txn *t;
            ok = lbe_txn_begin(b->inst, NULL, MH_TXN_READ, pool, &t, &e) == MH_OK;
            if (ok && i % 2)
                ok = lbe_txn_commit(t, &e) == MH_OK; /* a read "commit" ends it too */
            else if (ok)
                lbe_txn_abort(t);
        }
        CHECK(ok);
    }
    /* a kept handle renewed sees a later commit */
    mh_txn *t;
    uint32_t n0 = 0, n1 = 0, id = 0;
    REQUIRE(lbe_txn_begin(b->inst, NULL, MH_TXN_READ, pool, &t, &e) == MH_OK);
    REQUIRE(lbe_dir_count(t, &n0, &e) == MH_OK);
    lbe_txn_abort(t);
    mh_betxn *w;
    REQUIRE(mh_be_begin(b, NULL, MH_TXN_WRITE, pool, &w, &e) == MH_OK);
    mh_dir_entry u = {0};
    u.type = MH_DIR_USER;
    u.login = "grace";
    u.display_name = "Grace Hopper";
    u.smtp = "grace@example.com";
    u.legacy_dn = "/o=T/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=grace";
    mh_err pe = mh_be_dir_put(w, &u, NULL, &id, &e);
    if (pe != MH_OK)
        printf("# dir_put: %s\n", e.detail ? e.detail : "?");
    REQUIRE(pe == MH_OK);
    REQUIRE(mh_be_commit(w, &e) == MH_OK);
    REQUIRE(lbe_txn_begin(b->inst, NULL, MH_TXN_READ, pool, &t, &e) == MH_OK);
    REQUIRE(lbe_dir_count(t, &n1, &e) == MH_OK);
    lbe_txn_abort(t);
    CHECK_EQ_U(n1, n0 + 1);
}

/* A forked child opening the store gets an environment of its own, never
 * the one it inherited (LMDB must not be used across fork()). */
static void test_fork_opens_anew(void)
{
    MDB_env *parent_env = B->inst->env;
    pid_t pid = fork();
    if (pid == 0) {
        apr_pool_t *p;
        apr_pool_create(&p, NULL);
        mh_be *b;
        mh_error e;
        const char *argv[] = {apr_pstrcat(p, "path=", dir, "/store", NULL), "size=64M"};
        if (mh_be_create(&mh_lmdb_backend, p, 2, argv, &b, &e) != MH_OK ||
            mh_be_open(b, p, &e) != MH_OK)
            _exit(2);
        _exit(b->inst->env != parent_env && b->inst->env != NULL ? 0 : 1);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A store made before the per-user database existed (the database
 * dropped here) opens without `create` (a child's open, a tool's) and
 * gets it: the per-user table is empty, not an error. */
static int open_store_without_peruser(const char *path)
{
    apr_pool_t *p;
    apr_pool_create(&p, NULL);
    mh_be *b;
    mh_error e;
    const char *argv[] = {apr_pstrcat(p, "path=", path, NULL), "size=64M"};
    if (mh_be_create(&mh_lmdb_backend, p, 2, argv, &b, &e) != MH_OK ||
        mh_be_open(b, p, &e) != MH_OK) {
        printf("# open: %s\n", e.detail ? e.detail : "?");
        return 2;
    }
    mh_betxn *t;
    if (mh_be_begin(b, &mbx, MH_TXN_READ, p, &t, &e) != MH_OK)
        return 3;
    uint8_t folder[MH_LTID_LEN] = {1};
    mh_peruser row;
    mh_err rc = mh_be_peruser_get(t, folder, &row, &e);
    mh_be_abort(t);
    return rc == MH_E_NOT_FOUND ? 0 : 4;
}

static void test_added_database(void)
{
    const char *path = apr_pstrcat(pool, dir, "/store", NULL);
    /* drop "peruser" from the test's store, as a store made before it */
    mh_txn *t = raw_begin(NULL);
    REQUIRE(t != NULL);
    REQUIRE(mdb_drop(t->txn, B->inst->dbi[DBI_PERUSER], 1) == 0);
    mh_error e;
    REQUIRE(lbe_txn_commit(t, &e) == MH_OK);
    MDB_txn *rt;
    MDB_dbi dbi;
    REQUIRE(mdb_txn_begin(B->inst->env, NULL, MDB_RDONLY, &rt) == 0);
    CHECK(mdb_dbi_open(rt, "peruser", 0, &dbi) == MDB_NOTFOUND);
    mdb_txn_abort(rt);
    pid_t pid = fork();
    if (pid == 0)
        _exit(open_store_without_peruser(path));
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ_U(WEXITSTATUS(status), 0);
    REQUIRE(mdb_txn_begin(B->inst->env, NULL, MDB_RDONLY, &rt) == 0);
    CHECK(mdb_dbi_open(rt, "peruser", 0, &dbi) == 0);
    mdb_txn_abort(rt);
}

/* ------------------------------------------- folded names (fold.h) */

static void test_fold_name(void)
{
    /* case and accents, Latin-1 and Latin Extended-A, decomposed marks */
    CHECK_STR(lbe_fold_name(pool, "M\xc3\xbcller", 400), "muller");
    CHECK_STR(lbe_fold_name(pool, "MU\xcc\x88LLER", 400), "muller");
    CHECK_STR(lbe_fold_name(pool, "Dvo\xc5\x99\xc3\xa1k", 400), "dvorak");
    CHECK_STR(lbe_fold_name(pool, "\xc5\x81\xc3\xb3" "d\xc5\xba", 400), "lodz");
    CHECK_STR(lbe_fold_name(pool, "Stra\xc3\x9f" "e", 400), "stra\xc3\x9f" "e"); /* ß stays */
    CHECK_STR(lbe_fold_name(pool, "\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80", 400),
              "\xd0\xbf\xd0\xb5\xd1\x82\xd1\x80"); /* Cyrillic lower case */
    CHECK_STR(lbe_fold_name(pool, "a\x80" "b", 400), "a\xef\xbf\xbd" "b"); /* U+FFFD */
    /* a cut never splits a character */
    CHECK_STR(lbe_fold_name(pool, "ab\xd0\x9f", 3), "ab");
    CHECK_STR(lbe_fold_name(pool, "ab\xd0\x9f", 4), "ab\xd0\xbf");
    CHECK_STR(lbe_fold_name(pool, "ab\xc3\x89", 3), "abe"); /* É folds to one byte */
}

static uint32_t put_named(const char *login, const char *name, const char *given,
                          const char *surname)
{
    mh_betxn *t;
    mh_error e;
    if (mh_be_begin(B, NULL, MH_TXN_WRITE, pool, &t, &e) != MH_OK)
        return 0;
    mh_dir_entry u = {0};
    u.type = MH_DIR_USER;
    u.login = login;
    u.display_name = name;
    u.smtp = apr_pstrcat(pool, login, "@example.com", NULL);
    u.legacy_dn = apr_pstrcat(pool, "/o=T/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)"
                              "/cn=Recipients/cn=", login, NULL);
    mh_propval pv[2];
    u.props.v = pv;
    if (given)
        pv[u.props.n++] = mh_pv_str(MH_TAG(0x3A06, PT_UNICODE), given);
    if (surname)
        pv[u.props.n++] = mh_pv_str(MH_TAG(0x3A11, PT_UNICODE), surname);
    uint32_t id = 0;
    if (mh_be_dir_put(t, &u, NULL, &id, &e) != MH_OK || mh_be_commit(t, &e) != MH_OK)
        return 0;
    return id;
}

/* The logins dir_search finds for `q`, comma-separated, in its order. */
static const char *search(const char *q)
{
    mh_betxn *t;
    mh_error e;
    if (mh_be_begin(B, NULL, MH_TXN_READ, pool, &t, &e) != MH_OK)
        return "(begin)";
    mh_dir_entry *es;
    uint32_t n;
    const char *out = "";
    if (mh_be_dir_search(t, q, 100, &es, &n, &e) != MH_OK)
        out = "(search)";
    else
        for (uint32_t i = 0; i < n; i++)
            out = apr_pstrcat(pool, out, i ? "," : "", es[i].login ? es[i].login : "?", NULL);
    mh_be_abort(t);
    return out;
}

static uint32_t id_mueller, id_muller;

static void test_accent_search(void)
{
    id_mueller = put_named("jmueller", "J\xc3\xbcrgen M\xc3\xbcller", "J\xc3\xbcrgen",
                           "M\xc3\xbcller");
    id_muller = put_named("amuller", "Anna Muller", NULL, NULL);
    REQUIRE(id_mueller && id_muller &&
            put_named("dvorak", "Anton\xc3\xadn Dvo\xc5\x99\xc3\xa1k", NULL, NULL) &&
            put_named("smith", "Zed Smith", "Zed", "Smith-Jones"));
    /* the accent and the case of either side do not matter; display-name
     * order (Anna before Jürgen) */
    CHECK_STR(search("muller"), "amuller,jmueller");
    CHECK_STR(search("MULLER"), "amuller,jmueller");
    CHECK_STR(search("M\xc3\xbcll"), "amuller,jmueller");
    CHECK_STR(search("MU\xcc\x88LL"), "amuller,jmueller"); /* decomposed */
    CHECK_STR(search("jurgen m"), "jmueller");
    CHECK_STR(search("DVOR"), "dvorak");
    CHECK_STR(search("antonin"), "dvorak");
    /* the surname's words: "Jones" is not a word of the display name */
    CHECK_STR(search("jones"), "smith");
    CHECK_STR(search("mullers"), "");
    CHECK_STR(search("\xc3\xbc"), ""); /* "u": nobody's word begins with it */
    /* the entries are where the check expects them */
    CHECK_EQ_U(run_check(NULL, 0), 0);
}

/* Opens the store in a new process (which re-indexes what needs it) and
 * searches there: the count of entries "muller" finds, or 100 + a failure. */
static int reopen_and_search(const char *path)
{
    apr_pool_t *p;
    apr_pool_create(&p, NULL);
    mh_be *b;
    mh_error e;
    const char *argv[] = {apr_pstrcat(p, "path=", path, NULL), "size=64M"};
    if (mh_be_create(&mh_lmdb_backend, p, 2, argv, &b, &e) != MH_OK ||
        mh_be_open(b, p, &e) != MH_OK)
        return 101;
    mh_betxn *t;
    if (mh_be_begin(b, NULL, MH_TXN_READ, p, &t, &e) != MH_OK)
        return 102;
    mh_dir_entry *es;
    uint32_t n;
    if (mh_be_dir_search(t, "muller", 10, &es, &n, &e) != MH_OK)
        return 103;
    mh_be_abort(t);
    return (int)n;
}

static void test_reindex_names(void)
{
    const char *path = apr_pstrcat(pool, dir, "/store", NULL);
    /* a store from before the accent folding: its name keys folded case
     * only, and no "dir_fold" */
    mh_txn *t = raw_begin(NULL);
    REQUIRE(t != NULL);
    REQUIRE(mdb_drop(t->txn, B->inst->dbi[DBI_DIR_ANR], 0) == 0);
    lbe_key k;
    lk_init(&k);
    lk_bytes(&k, "m\xc3\xbcller", 7);
    lk_u8(&k, 0);
    lk_u32(&k, id_mueller);
    REQUIRE(lbe_put(t, DBI_DIR_ANR, &k, "", 0) == 0);
    MDB_val mk = {8, "dir_fold"};
    REQUIRE(mdb_del(t->txn, B->inst->dbi[DBI_META], &mk, NULL) == 0);
    mh_error e;
    REQUIRE(lbe_txn_commit(t, &e) == MH_OK);
    CHECK_STR(search("muller"), "");            /* what such a store finds */
    pid_t pid = fork();
    if (pid == 0)
        _exit(reopen_and_search(path));
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ_U(WEXITSTATUS(status), 2); /* re-indexed on open: both found */
    CHECK_STR(search("muller"), "amuller,jmueller");
    CHECK_STR(search("jones"), "smith");
    /* the stale key is gone, and the version is recorded */
    MDB_txn *rt;
    REQUIRE(mdb_txn_begin(B->inst->env, NULL, MDB_RDONLY, &rt) == 0);
    MDB_val key = lk_val(&k), v;
    CHECK(mdb_get(rt, B->inst->dbi[DBI_DIR_ANR], &key, &v) == MDB_NOTFOUND);
    CHECK(mdb_get(rt, B->inst->dbi[DBI_META], &mk, &v) == 0 && v.mv_size == 4 &&
          mh_get_u32(v.mv_data) == MH_FOLD_VERSION);
    mdb_txn_abort(rt);
    CHECK_EQ_U(run_check(NULL, 0), 0);
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    RUN(setup);
    RUN(test_directory_damage);
    RUN(test_mailbox_damage);
    RUN(test_message_record_index);
    RUN(test_summary_covers);
    RUN(test_sort_summaries);
    RUN(test_folder_cycle);
    RUN(test_fold);
    RUN(test_options);
    RUN(test_option_effects);
    RUN(test_read_handles_kept);
    RUN(test_fork_opens_anew);
    RUN(test_added_database);
    RUN(test_fold_name);
    RUN(test_accent_search);
    RUN(test_reindex_names);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    apr_pool_destroy(pool);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    return MH_TEST_DONE();
}
