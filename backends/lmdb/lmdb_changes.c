/*
 * lmdb_changes.c - what changed after a CN (cached-mode sync), and the
 * lookup of objects and tombstones by source key.
 */
#include "lmdb_be.h"
#include "mh_props.h"

#include <string.h>
#include <apr_strings.h>
#include <apr_tables.h>

/* A tombstone: flags, the folder it was in, its CN, its source key. */
static int tombstone_get(mh_txn *t, mh_id id, apr_pool_t *pool, uint8_t *flags, mh_id *folder,
                         mh_id *cn, mh_bin *sk)
{
    lbe_key k;
    lk_init(&k);
    lk_u32(&k, t->mr.mbx);
    lk_u64(&k, id);
    MDB_val key = lk_val(&k), v;
    if (mdb_get(t->txn, lbe_dbi(t, DBI_TOMBSTONES), &key, &v) != 0)
        return -1;
    mh_rd rd;
    mh_rd_init(&rd, v.mv_data, v.mv_size);
    *flags = mh_rd_u8(&rd);
    *folder = mh_rd_u64(&rd);
    *cn = mh_rd_u64(&rd);
    uint32_t n = mh_rd_u32(&rd);
    const unsigned char *p = mh_rd_bytes(&rd, n);
    if (rd.err)
        return -1;
    sk->len = n;
    sk->data = n ? apr_pmemdup(pool, p, n) : (const uint8_t *)"";
    return 0;
}

/* The parent of a folder, live or deleted (0: none known). */
static mh_id parent_of(mh_txn *t, mh_id id, apr_pool_t *pool)
{
    lbe_folder f;
    mh_error e;
    if (lbe_folder_load(t, id, pool, &f, &e) == MH_OK)
        return f.parent;
    uint8_t flags;
    mh_id folder, cn;
    mh_bin sk;
    if (tombstone_get(t, id, pool, &flags, &folder, &cn, &sk) == 0)
        return folder;
    return 0;
}

/* Whether `ancestor` is above `id` in the folder tree. */
static int below(mh_txn *t, mh_id id, mh_id ancestor, apr_pool_t *pool)
{
    for (int depth = 0; id && depth < 10000; depth++) {
        id = parent_of(t, id, pool);
        if (id == ancestor)
            return 1;
    }
    return 0;
}

static int wanted(uint8_t flags, unsigned kinds)
{
    int fai = (flags & MH_CHANGE_FAI) != 0;
    if (flags & MH_CHANGE_DELETED)
        return (kinds & MH_CHANGES_DELETES) &&
               (fai ? (kinds & MH_CHANGES_FAI) : (kinds & MH_CHANGES_MESSAGES));
    if (flags & MH_CHANGE_READ)
        return (kinds & MH_CHANGES_READ) != 0;
    return fai ? (kinds & MH_CHANGES_FAI) != 0 : (kinds & MH_CHANGES_MESSAGES) != 0;
}

mh_err lbe_changes_list(mh_txn *t, mh_id folder, unsigned kinds, mh_id after, uint32_t max,
                        apr_pool_t *pool, mh_change *out, uint32_t *n_r, mh_id *next_r,
                        mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK)
        return e;
    if (lbe_object_kind(t, folder) != LBE_OBJ_FOLDER)
        return mh_fail(err, pool, MH_E_NOT_FOUND, "no folder %llu", (unsigned long long)folder);
    int hierarchy = (kinds & MH_CHANGES_FOLDERS) != 0;
    mh_id scope = hierarchy ? 0 : folder;
    lbe_key pk, sk;
    lk_init(&pk);
    lk_u32(&pk, t->mr.mbx);
    lk_u64(&pk, scope);
    sk = pk;
    lk_u64(&sk, after + 1);
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, lbe_dbi(t, DBI_CHANGES), &c);
    if (rc)
        return lbe_fail(err, pool, rc, "list changes");
    MDB_val k = lk_val(&sk), v;
    uint32_t n = 0;
    mh_id last = after;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 && n < max;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 20 || memcmp(k.mv_data, pk.b, 12) != 0)
            break;
        if (v.mv_size != 9) {
            e = mh_fail(err, pool, MH_E_CORRUPT, "a damaged change record");
            break;
        }
        mh_id cn = mh_get_u64_be((uint8_t *)k.mv_data + 12);
        uint8_t flags = ((uint8_t *)v.mv_data)[0];
        mh_id id = mh_get_u64_be((uint8_t *)v.mv_data + 1);
        last = cn;
        mh_change ch;
        memset(&ch, 0, sizeof(ch));
        ch.id = id;
        ch.cn = cn;
        ch.flags = flags;
        if (hierarchy) {
            if (((flags & MH_CHANGE_DELETED) && !(kinds & MH_CHANGES_DELETES)) ||
                !below(t, id, folder, pool))
                continue;
        } else if (!wanted(flags, kinds)) {
            continue;
        }
        if (flags & MH_CHANGE_DELETED) {
            uint8_t tf;
            mh_id tcn;
            if (tombstone_get(t, id, pool, &tf, &ch.folder, &tcn, &ch.source_key) != 0)
                continue;
        } else if (hierarchy) {
            lbe_folder f;
            if ((e = lbe_folder_load(t, id, pool, &f, err)) != MH_OK)
                break;
            ch.folder = f.parent;
            const mh_propval *s = mh_proplist_find(&f.props, PR_SOURCE_KEY);
            if (s)
                ch.source_key = s->v.bin;
        } else {
            lbe_message m;
            if ((e = lbe_message_load(t, id, pool, &m, err)) != MH_OK)
                break;
            ch.folder = m.folder;
            const mh_propval *s = mh_proplist_find(&m.msg->props, PR_SOURCE_KEY);
            if (s)
                ch.source_key = s->v.bin;
        }
        out[n++] = ch;
    }
    mdb_cursor_close(c);
    if (e != MH_OK)
        return e;
    if (rc && rc != MDB_NOTFOUND)
        return lbe_fail(err, pool, rc, "list changes");
    *n_r = n;
    *next_r = last; /* the last record looked at, returned or not */
    return MH_OK;
}

mh_err lbe_object_by_source_key(mh_txn *t, const mh_bin *source_key, mh_objkind *kind_r,
                                mh_id *id_r, int *deleted_r, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK)
        return e;
    if (!source_key->len || source_key->len > 255)
        return mh_fail(err, t->pool, MH_E_NOT_FOUND, "no object with that source key");
    lbe_key k;
    lk_init(&k);
    lk_u32(&k, t->mr.mbx);
    lk_bytes(&k, source_key->data, source_key->len);
    MDB_val key = lk_val(&k), v;
    int rc = mdb_get(t->txn, lbe_dbi(t, DBI_SRCKEYS), &key, &v);
    if (rc == MDB_NOTFOUND || (rc == 0 && v.mv_size != 9))
        return mh_fail(err, t->pool, MH_E_NOT_FOUND, "no object with that source key");
    if (rc)
        return lbe_fail(err, t->pool, rc, "look up a source key");
    uint8_t kind = ((uint8_t *)v.mv_data)[0];
    mh_id id = mh_get_u64_be((uint8_t *)v.mv_data + 1);
    *kind_r = kind == LBE_OBJ_FOLDER ? MH_OBJ_FOLDER : MH_OBJ_MESSAGE;
    *id_r = id;
    *deleted_r = lbe_object_kind(t, id) == 0;
    return MH_OK;
}

int lbe_changes_forget_scope(mh_txn *t, mh_id folder)
{
    lbe_key p;
    lk_init(&p);
    lk_u32(&p, t->mr.mbx);
    lk_u64(&p, folder);
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, lbe_dbi(t, DBI_CHANGES), &c);
    if (rc)
        return rc;
    MDB_val k = lk_val(&p), v;
    /* the folder is empty: every message change under it is a deletion or
     * a move away; forget the deleted ones' tombstones and source keys */
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 20 || memcmp(k.mv_data, p.b, 12) != 0)
            break;
        if (v.mv_size != 9 || !(((uint8_t *)v.mv_data)[0] & MH_CHANGE_DELETED))
            continue;
        mh_id id = mh_get_u64_be((uint8_t *)v.mv_data + 1);
        uint8_t tf;
        mh_id tfolder, tcn;
        mh_bin sk;
        if (tombstone_get(t, id, t->pool, &tf, &tfolder, &tcn, &sk) == 0 && tfolder == folder) {
            lbe_key tk, sk_key;
            lk_init(&tk);
            lk_u32(&tk, t->mr.mbx);
            lk_u64(&tk, id);
            lk_init(&sk_key);
            lk_u32(&sk_key, t->mr.mbx);
            lk_bytes(&sk_key, sk.data, sk.len);
            if ((rc = lbe_del(t, DBI_TOMBSTONES, &tk)) ||
                (sk.len && sk.len <= 255 && (rc = lbe_del(t, DBI_SRCKEYS, &sk_key))))
                break;
        }
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    return lbe_del_prefix(t, DBI_CHANGES, &p);
}
