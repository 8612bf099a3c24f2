/*
 * lmdb_mailbox.c - mailboxes, ID reservation, the named-property map,
 * folder permissions and rules, the receive folder table.
 */
#include "lmdb_be.h"
#include "mh_props.h"

#include <string.h>
#include <apr_strings.h>
#include <apr_tables.h>

static void mbxkey(lbe_key *k, const mh_txn *t)
{
    lk_init(k);
    lk_u32(k, t->mr.mbx);
}

mh_err lbe_mailbox_create(mh_txn *t, uint32_t owner, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_write(t, err)) != MH_OK)
        return e;
    if (!t->has_mailbox)
        return mh_fail(err, t->pool, MH_E_INVALID, "mailbox_create needs a mailbox transaction");
    if (t->mbx_exists)
        return mh_fail(err, t->pool, MH_E_EXISTS, "the mailbox exists already");
    uint32_t mbx;
    int rc;
    if ((e = lbe_meta_next(t, "next_mbx", &mbx, err)) != MH_OK)
        return e;
    memset(&t->mr, 0, sizeof(t->mr));
    t->mr.mbx = mbx;
    t->mr.owner = owner;
    t->mr.next_named = MH_NAMED_FIRST;
    t->mr.created = apr_time_now();
    t->mbx_exists = 1;
    t->mr_dirty = 1;
    lbe_key nk;
    lk_init(&nk);
    lk_u32(&nk, mbx);
    if ((rc = lbe_put(t, DBI_MBXNUMS, &nk, t->guid.b, 16)))
        return lbe_fail(err, t->pool, rc, "record the mailbox");
    return MH_OK;
}

/* Databases whose keys begin with the mailbox number. */
static const enum lbe_dbi mailbox_dbis[] = {
    DBI_OBJECTS, DBI_CHILDREN, DBI_FNAMES, DBI_CONTENTS, DBI_SORTIDX, DBI_LVALS, DBI_CHANGES,
    DBI_TOMBSTONES, DBI_SRCKEYS, DBI_NAMED, DBI_PERMS, DBI_RULES, DBI_RECVFOLDERS,
    DBI_PERUSER};

mh_err lbe_mailbox_delete(mh_txn *t, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK || (e = lbe_need_write(t, err)) != MH_OK)
        return e;
    lbe_key k;
    mbxkey(&k, t);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof(mailbox_dbis) / sizeof(mailbox_dbis[0]); i++)
        rc = lbe_del_prefix(t, mailbox_dbis[i], &k);
    if (!rc)
        rc = lbe_del(t, DBI_MBXNUMS, &k);
    if (!rc) {
        lbe_key gk;
        lk_init(&gk);
        lk_bytes(&gk, t->guid.b, 16);
        rc = lbe_del(t, DBI_MAILBOXES, &gk);
    }
    if (rc)
        return lbe_fail(err, t->pool, rc, "delete the mailbox");
    t->mbx_exists = 0;
    t->mr_dirty = 0;
    return MH_OK;
}

mh_err lbe_mailbox_info(mh_txn *t, mh_mailbox_info *info, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK)
        return e;
    memset(info, 0, sizeof(*info));
    info->guid = t->guid;
    info->owner = t->mr.owner;
    memcpy(info->special, t->mr.special, sizeof(info->special));
    info->last_id = t->mr.last_id;
    info->message_bytes = t->mr.message_bytes;
    info->message_count = t->mr.message_count;
    info->folder_count = t->mr.folder_count;
    info->created = t->mr.created;
    return MH_OK;
}

mh_err lbe_mailbox_set_special(mh_txn *t, mh_special_folder role, mh_id folder, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK || (e = lbe_need_write(t, err)) != MH_OK)
        return e;
    if ((unsigned)role >= MH_SF_COUNT)
        return mh_fail(err, t->pool, MH_E_INVALID, "unknown special folder role %d", role);
    if (folder && lbe_object_kind(t, folder) != LBE_OBJ_FOLDER)
        return mh_fail(err, t->pool, MH_E_NOT_FOUND, "no folder %llu", (unsigned long long)folder);
    t->mr.special[role] = folder;
    t->mr_dirty = 1;
    return MH_OK;
}

mh_err lbe_mailbox_list(mh_txn *t, apr_pool_t *pool, mh_guid **guids_r, uint32_t *n_r,
                        mh_error *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, lbe_dbi(t, DBI_MAILBOXES), &c);
    if (rc)
        return lbe_fail(err, pool, rc, "list mailboxes");
    apr_array_header_t *a = apr_array_make(pool, 16, sizeof(mh_guid));
    MDB_val k, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
        if (k.mv_size == 16)
            memcpy(((mh_guid *)apr_array_push(a))->b, k.mv_data, 16);
    mdb_cursor_close(c);
    if (rc != MDB_NOTFOUND)
        return lbe_fail(err, pool, rc, "list mailboxes");
    *guids_r = (mh_guid *)a->elts;
    *n_r = (uint32_t)a->nelts;
    return MH_OK;
}

mh_err lbe_id_reserve(mh_txn *t, uint32_t count, mh_id *first_r, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK || (e = lbe_need_write(t, err)) != MH_OK)
        return e;
    if (count == 0 || t->mr.last_id + count > MH_ID_MAX)
        return mh_fail(err, t->pool, count ? MH_E_QUOTA : MH_E_INVALID,
                       "cannot reserve %u IDs", count);
    *first_r = t->mr.last_id + 1;
    t->mr.last_id += count;
    t->mr_dirty = 1;
    return MH_OK;
}

/* --------------------------------------------------- named properties */

/* 'N' key: mbx, 'N', guid, kind, lid (u32) or name bytes */
static int name_key(lbe_key *k, const mh_txn *t, const mh_propname *pn)
{
    mbxkey(k, t);
    lk_u8(k, 'N');
    lk_bytes(k, pn->guid.b, 16);
    lk_u8(k, (uint8_t)pn->kind);
    if (pn->kind == MH_MNID_ID) {
        lk_u32(k, pn->lid);
        return 0;
    }
    size_t n = pn->name ? strlen(pn->name) : 0;
    if (!pn->name || n > 400)
        return -1;
    lk_bytes(k, pn->name, n);
    return 0;
}

static void id_key(lbe_key *k, const mh_txn *t, uint16_t id)
{
    mbxkey(k, t);
    lk_u8(k, 'I');
    lk_u16(k, id);
}

mh_err lbe_named_ids(mh_txn *t, const mh_propname *names, uint32_t n, int create,
                     uint16_t *ids_r, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK)
        return e;
    if (create && (e = lbe_need_write(t, err)) != MH_OK)
        return e;
    for (uint32_t i = 0; i < n; i++) {
        lbe_key k;
        ids_r[i] = 0;
        if ((names[i].kind != MH_MNID_ID && names[i].kind != MH_MNID_STRING) ||
            name_key(&k, t, &names[i]) != 0)
            continue; /* a malformed name has no ID */
        MDB_val key = lk_val(&k), v;
        int rc = mdb_get(t->txn, lbe_dbi(t, DBI_NAMED), &key, &v);
        if (rc == 0 && v.mv_size == 2) {
            ids_r[i] = mh_get_u16(v.mv_data);
            continue;
        }
        if (rc != MDB_NOTFOUND && rc)
            return lbe_fail(err, t->pool, rc, "look up a named property");
        if (!create)
            continue;
        if (t->mr.next_named < MH_NAMED_FIRST || t->mr.next_named > MH_NAMED_LAST)
            return mh_fail(err, t->pool, MH_E_QUOTA, "all named property IDs are used");
        uint16_t id = t->mr.next_named++;
        t->mr_dirty = 1;
        uint8_t idb[2];
        mh_put_u16(idb, id);
        mh_wr w;
        mh_wr_init(&w, t->pool, 64);
        mh_wr_bytes(&w, names[i].guid.b, 16);
        mh_wr_u8(&w, (uint8_t)names[i].kind);
        mh_wr_u32(&w, names[i].lid);
        mh_wr_u32(&w, names[i].kind == MH_MNID_STRING ? (uint32_t)strlen(names[i].name) : 0);
        if (names[i].kind == MH_MNID_STRING)
            mh_wr_bytes(&w, names[i].name, strlen(names[i].name));
        lbe_key ik;
        id_key(&ik, t, id);
        if ((rc = lbe_put(t, DBI_NAMED, &k, idb, 2)) ||
            (rc = lbe_put(t, DBI_NAMED, &ik, w.buf, w.len)))
            return lbe_fail(err, t->pool, rc, "create a named property");
        ids_r[i] = id;
    }
    return MH_OK;
}

static int decode_name(const MDB_val *v, apr_pool_t *pool, mh_propname *pn)
{
    mh_rd rd;
    mh_rd_init(&rd, v->mv_data, v->mv_size);
    mh_rd_copy(&rd, pn->guid.b, 16);
    pn->kind = mh_rd_u8(&rd);
    pn->lid = mh_rd_u32(&rd);
    uint32_t nl = mh_rd_u32(&rd);
    const unsigned char *s = mh_rd_bytes(&rd, nl);
    pn->name = pn->kind == MH_MNID_STRING && s ? apr_pstrmemdup(pool, (const char *)s, nl) : NULL;
    return rd.err ? -1 : 0;
}

mh_err lbe_named_names(mh_txn *t, const uint16_t *ids, uint32_t n, apr_pool_t *pool,
                       mh_propname *names_r, uint8_t *found_r, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK)
        return e;
    for (uint32_t i = 0; i < n; i++) {
        found_r[i] = 0;
        memset(&names_r[i], 0, sizeof(names_r[i]));
        lbe_key k;
        id_key(&k, t, ids[i]);
        MDB_val key = lk_val(&k), v;
        int rc = mdb_get(t->txn, lbe_dbi(t, DBI_NAMED), &key, &v);
        if (rc == MDB_NOTFOUND)
            continue;
        if (rc)
            return lbe_fail(err, pool, rc, "look up a named property");
        if (decode_name(&v, pool, &names_r[i]) != 0)
            return mh_fail(err, pool, MH_E_CORRUPT, "damaged named property %u", ids[i]);
        found_r[i] = 1;
    }
    return MH_OK;
}

mh_err lbe_named_list(mh_txn *t, apr_pool_t *pool, mh_propname **names_r, uint16_t **ids_r,
                      uint32_t *n_r, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK)
        return e;
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, lbe_dbi(t, DBI_NAMED), &c);
    if (rc)
        return lbe_fail(err, pool, rc, "list named properties");
    lbe_key pk;
    mbxkey(&pk, t);
    lk_u8(&pk, 'I');
    apr_array_header_t *na = apr_array_make(pool, 32, sizeof(mh_propname));
    apr_array_header_t *ia = apr_array_make(pool, 32, sizeof(uint16_t));
    MDB_val k = lk_val(&pk), v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != pk.n + 2 || memcmp(k.mv_data, pk.b, pk.n) != 0)
            break;
        if (decode_name(&v, pool, apr_array_push(na)) != 0) {
            mdb_cursor_close(c);
            return mh_fail(err, pool, MH_E_CORRUPT, "damaged named property map");
        }
        *(uint16_t *)apr_array_push(ia) = (uint16_t)((((uint8_t *)k.mv_data)[pk.n] << 8) |
                                                     ((uint8_t *)k.mv_data)[pk.n + 1]);
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND)
        return lbe_fail(err, pool, rc, "list named properties");
    *names_r = (mh_propname *)na->elts;
    *ids_r = (uint16_t *)ia->elts;
    *n_r = (uint32_t)na->nelts;
    return MH_OK;
}

/* ---------------------------------------------------------- permissions */

static void folderkey(lbe_key *k, const mh_txn *t, mh_id folder)
{
    mbxkey(k, t);
    lk_u64(k, folder);
}

static mh_err need_folder(mh_txn *t, mh_id folder, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK)
        return e;
    if (lbe_object_kind(t, folder) != LBE_OBJ_FOLDER)
        return mh_fail(err, t->pool, MH_E_NOT_FOUND, "no folder %llu", (unsigned long long)folder);
    return MH_OK;
}

mh_err lbe_permissions_get(mh_txn *t, mh_id folder, apr_pool_t *pool, mh_permission **rows_r,
                           uint32_t *n_r, mh_error *err)
{
    mh_err e;
    if ((e = need_folder(t, folder, err)) != MH_OK)
        return e;
    lbe_key k;
    folderkey(&k, t, folder);
    MDB_val key = lk_val(&k), v;
    int rc = mdb_get(t->txn, lbe_dbi(t, DBI_PERMS), &key, &v);
    *rows_r = NULL;
    *n_r = 0;
    if (rc == MDB_NOTFOUND)
        return MH_OK;
    if (rc)
        return lbe_fail(err, pool, rc, "read permissions");
    if (v.mv_size % 12 != 0)
        return mh_fail(err, pool, MH_E_CORRUPT, "damaged permissions of folder %llu",
                       (unsigned long long)folder);
    uint32_t n = (uint32_t)(v.mv_size / 12);
    mh_permission *rows = apr_pcalloc(pool, sizeof(*rows) * (n ? n : 1));
    const uint8_t *p = v.mv_data;
    for (uint32_t i = 0; i < n; i++, p += 12) {
        rows[i].member = (int64_t)mh_get_u64_be(p);
        rows[i].rights = mh_get_u32_be(p + 8);
    }
    *rows_r = rows;
    *n_r = n;
    return MH_OK;
}

mh_err lbe_permissions_set(mh_txn *t, mh_id folder, const mh_permission *rows, uint32_t n,
                           mh_error *err)
{
    mh_err e;
    if ((e = need_folder(t, folder, err)) != MH_OK || (e = lbe_need_write(t, err)) != MH_OK)
        return e;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++)
            if (rows[i].member == rows[j].member)
                return mh_fail(err, t->pool, MH_E_INVALID, "member %lld appears twice",
                               (long long)rows[i].member);
    lbe_key k;
    folderkey(&k, t, folder);
    int rc;
    if (n == 0) {
        rc = lbe_del(t, DBI_PERMS, &k);
    } else {
        uint8_t *buf = apr_palloc(t->pool, 12 * n), *p = buf;
        for (uint32_t i = 0; i < n; i++, p += 12) {
            mh_put_u64_be(p, (uint64_t)rows[i].member);
            mh_put_u32_be(p + 8, rows[i].rights);
        }
        rc = lbe_put(t, DBI_PERMS, &k, buf, 12 * n);
    }
    return rc ? lbe_fail(err, t->pool, rc, "write permissions") : MH_OK;
}

/* --------------------------------------------------------------- rules */

mh_err lbe_rules_get(mh_txn *t, mh_id folder, apr_pool_t *pool, mh_proplist **rules_r,
                     uint32_t *n_r, mh_error *err)
{
    mh_err e;
    if ((e = need_folder(t, folder, err)) != MH_OK)
        return e;
    lbe_key k;
    folderkey(&k, t, folder);
    MDB_val key = lk_val(&k), v;
    int rc = mdb_get(t->txn, lbe_dbi(t, DBI_RULES), &key, &v);
    *rules_r = NULL;
    *n_r = 0;
    if (rc == MDB_NOTFOUND)
        return MH_OK;
    if (rc)
        return lbe_fail(err, pool, rc, "read rules");
    mh_rd rd;
    mh_rd_init(&rd, v.mv_data, v.mv_size);
    uint32_t n = mh_rd_u32(&rd);
    if (rd.err || n > mh_rd_left(&rd) / 4)
        return mh_fail(err, pool, MH_E_CORRUPT, "damaged rules");
    mh_proplist *rules = apr_pcalloc(pool, sizeof(*rules) * (n ? n : 1));
    for (uint32_t i = 0; i < n; i++)
        if (mh_proplist_decode(&rd, pool, &rules[i]) != 0)
            return mh_fail(err, pool, MH_E_CORRUPT, "damaged rules");
    *rules_r = rules;
    *n_r = n;
    return MH_OK;
}

mh_err lbe_rules_set(mh_txn *t, mh_id folder, const mh_proplist *rules, uint32_t n,
                     mh_error *err)
{
    mh_err e;
    if ((e = need_folder(t, folder, err)) != MH_OK || (e = lbe_need_write(t, err)) != MH_OK)
        return e;
    lbe_key k;
    folderkey(&k, t, folder);
    int rc;
    if (n == 0) {
        rc = lbe_del(t, DBI_RULES, &k);
    } else {
        mh_wr w;
        mh_wr_init(&w, t->pool, 256);
        mh_wr_u32(&w, n);
        for (uint32_t i = 0; i < n; i++) {
            for (uint32_t j = 0; j < rules[i].n; j++)
                if (!mh_type_storable(MH_TAG_TYPE(rules[i].v[j].tag)) ||
                    (rules[i].v[j].flags & (MH_PV_LARGE | MH_PV_KEEP | MH_PV_SOURCE)))
                    return mh_fail(err, t->pool, MH_E_INVALID,
                                   "rule %u: value 0x%08x cannot be stored", i, rules[i].v[j].tag);
            mh_proplist_encode(&w, &rules[i]);
        }
        rc = lbe_put(t, DBI_RULES, &k, w.buf, w.len);
    }
    return rc ? lbe_fail(err, t->pool, rc, "write rules") : MH_OK;
}

/* ------------------------------------------------------ receive folders */

mh_err lbe_receive_folders_get(mh_txn *t, apr_pool_t *pool, mh_receive_folder **rows_r,
                               uint32_t *n_r, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK)
        return e;
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, lbe_dbi(t, DBI_RECVFOLDERS), &c);
    if (rc)
        return lbe_fail(err, pool, rc, "read receive folders");
    lbe_key pk;
    mbxkey(&pk, t);
    apr_array_header_t *a = apr_array_make(pool, 8, sizeof(mh_receive_folder));
    MDB_val k = lk_val(&pk), v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < 4 || memcmp(k.mv_data, pk.b, 4) != 0)
            break;
        mh_rd rd;
        mh_rd_init(&rd, v.mv_data, v.mv_size);
        mh_receive_folder *r = apr_array_push(a);
        r->folder = mh_rd_u64(&rd);
        r->modified = (apr_time_t)mh_rd_u64(&rd);
        uint32_t n = mh_rd_u32(&rd);
        const unsigned char *s = mh_rd_bytes(&rd, n);
        r->message_class = s ? apr_pstrmemdup(pool, (const char *)s, n) : "";
        if (rd.err) {
            mdb_cursor_close(c);
            return mh_fail(err, pool, MH_E_CORRUPT, "damaged receive folder table");
        }
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND)
        return lbe_fail(err, pool, rc, "read receive folders");
    *rows_r = (mh_receive_folder *)a->elts;
    *n_r = (uint32_t)a->nelts;
    return MH_OK;
}

mh_err lbe_receive_folder_set(mh_txn *t, const char *message_class, mh_id folder,
                              mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK || (e = lbe_need_write(t, err)) != MH_OK)
        return e;
    if (!message_class || strlen(message_class) > 255)
        return mh_fail(err, t->pool, MH_E_INVALID, "bad message class");
    if (folder && lbe_object_kind(t, folder) != LBE_OBJ_FOLDER)
        return mh_fail(err, t->pool, MH_E_NOT_FOUND, "no folder %llu", (unsigned long long)folder);
    lbe_key k;
    mbxkey(&k, t);
    const char *f = lbe_fold(t->pool, message_class, 255);
    lk_bytes(&k, f, strlen(f));
    int rc;
    if (!folder) {
        rc = lbe_del(t, DBI_RECVFOLDERS, &k);
    } else {
        mh_wr w;
        mh_wr_init(&w, t->pool, 64);
        mh_wr_u64(&w, folder);
        mh_wr_u64(&w, (uint64_t)apr_time_now());
        mh_wr_u32(&w, (uint32_t)strlen(message_class));
        mh_wr_bytes(&w, message_class, strlen(message_class));
        rc = lbe_put(t, DBI_RECVFOLDERS, &k, w.buf, w.len);
    }
    return rc ? lbe_fail(err, t->pool, rc, "write the receive folder table") : MH_OK;
}

int lbe_recvfolders_forget(mh_txn *t, mh_id folder)
{
    lbe_key p;
    mbxkey(&p, t);
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, lbe_dbi(t, DBI_RECVFOLDERS), &c);
    if (rc)
        return rc;
    MDB_val k = lk_val(&p), v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < p.n || memcmp(k.mv_data, p.b, p.n) != 0)
            break;
        mh_rd rd;
        mh_rd_init(&rd, v.mv_data, v.mv_size);
        if (mh_rd_u64(&rd) == folder && (rc = mdb_cursor_del(c, 0)))
            break;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ------------------------------------------------------- per-user data */

#define PERUSER_VERSION 1
#define PERUSER_HEAD (1 + 16 + 8 + 4)

static void peruser_key(lbe_key *k, const mh_txn *t, const uint8_t folder[MH_LTID_LEN])
{
    mbxkey(k, t);
    lk_bytes(k, folder, MH_LTID_LEN);
}

/* Decodes a stored row; with `pool` NULL the data is left out. */
static int peruser_decode(const MDB_val *k, const MDB_val *v, apr_pool_t *pool, mh_peruser *r)
{
    if (k->mv_size != 4 + MH_LTID_LEN)
        return -1;
    memset(r, 0, sizeof(*r));
    memcpy(r->folder, (const uint8_t *)k->mv_data + 4, MH_LTID_LEN);
    mh_rd rd;
    mh_rd_init(&rd, v->mv_data, v->mv_size);
    if (mh_rd_u8(&rd) != PERUSER_VERSION)
        return -1;
    const unsigned char *g = mh_rd_bytes(&rd, 16);
    r->modified = (apr_time_t)mh_rd_u64(&rd);
    uint32_t len = mh_rd_u32(&rd);
    const unsigned char *d = mh_rd_bytes(&rd, len);
    mh_rd_expect_end(&rd);
    if (rd.err)
        return -1;
    memcpy(r->replguid.b, g, 16);
    if (pool) {
        r->data.len = len;
        r->data.data = len ? apr_pmemdup(pool, d, len) : NULL;
    }
    return 0;
}

mh_err lbe_peruser_get(mh_txn *t, const uint8_t folder[MH_LTID_LEN], apr_pool_t *pool,
                       mh_peruser *row_r, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK)
        return e;
    lbe_key k;
    peruser_key(&k, t, folder);
    MDB_val key = lk_val(&k), v;
    int rc = mdb_get(t->txn, lbe_dbi(t, DBI_PERUSER), &key, &v);
    if (rc == MDB_NOTFOUND)
        return mh_fail(err, pool, MH_E_NOT_FOUND, "no per-user data for this folder");
    if (rc)
        return lbe_fail(err, pool, rc, "read per-user data");
    if (peruser_decode(&key, &v, pool, row_r) != 0)
        return mh_fail(err, pool, MH_E_CORRUPT, "damaged per-user data");
    return MH_OK;
}

mh_err lbe_peruser_list(mh_txn *t, apr_pool_t *pool, mh_peruser **rows_r, uint32_t *n_r,
                        mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK)
        return e;
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, lbe_dbi(t, DBI_PERUSER), &c);
    if (rc)
        return lbe_fail(err, pool, rc, "read per-user data");
    lbe_key pk;
    mbxkey(&pk, t);
    apr_array_header_t *a = apr_array_make(pool, 8, sizeof(mh_peruser));
    MDB_val k = lk_val(&pk), v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < pk.n || memcmp(k.mv_data, pk.b, pk.n) != 0)
            break;
        if (peruser_decode(&k, &v, NULL, apr_array_push(a)) != 0) {
            mdb_cursor_close(c);
            return mh_fail(err, pool, MH_E_CORRUPT, "damaged per-user data");
        }
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND)
        return lbe_fail(err, pool, rc, "read per-user data");
    *rows_r = (mh_peruser *)a->elts;
    *n_r = (uint32_t)a->nelts;
    return MH_OK;
}

mh_err lbe_peruser_set(mh_txn *t, const mh_peruser *row, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK || (e = lbe_need_write(t, err)) != MH_OK)
        return e;
    if (row->data.len > LBE_PERUSER_MAX)
        return mh_fail(err, t->pool, MH_E_TOO_BIG, "per-user data of %u bytes (at most %u)",
                       (unsigned)row->data.len, LBE_PERUSER_MAX);
    if (row->data.len && !row->data.data)
        return mh_fail(err, t->pool, MH_E_INVALID, "per-user data without bytes");
    mh_wr w;
    mh_wr_init(&w, t->pool, PERUSER_HEAD + row->data.len);
    mh_wr_u8(&w, PERUSER_VERSION);
    mh_wr_bytes(&w, row->replguid.b, 16);
    mh_wr_u64(&w, (uint64_t)row->modified);
    mh_wr_u32(&w, row->data.len);
    mh_wr_bytes(&w, row->data.data, row->data.len);
    lbe_key k;
    peruser_key(&k, t, row->folder);
    int rc = lbe_put(t, DBI_PERUSER, &k, w.buf, w.len);
    return rc ? lbe_fail(err, t->pool, rc, "write per-user data") : MH_OK;
}
