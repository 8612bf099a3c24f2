/*
 * lmdb_folder.c - folders, and property access to the mailbox, folders,
 * messages and attachments.
 */
#include "lmdb_be.h"
#include "mh_props.h"

#include <string.h>
#include <apr_strings.h>
#include <apr_tables.h>

/* ------------------------------------------------------------- helpers */

static void childkey(lbe_key *k, const mh_txn *t, mh_id parent, mh_id child)
{
    lk_init(k);
    lk_u32(k, t->mr.mbx);
    lk_u64(k, parent);
    if (child)
        lk_u64(k, child);
}

static void fnamekey(lbe_key *k, const mh_txn *t, mh_id parent, const char *name)
{
    const char *f = lbe_fold(t->pool, name, LBE_NAMEKEY_MAX);
    lk_init(k);
    lk_u32(k, t->mr.mbx);
    lk_u64(k, parent);
    lk_bytes(k, f, strlen(f));
}

static const char *display_name(const mh_proplist *l)
{
    const mh_propval *v = mh_proplist_find(l, PR_DISPLAY_NAME);
    return v && !(v->flags & MH_PV_LARGE) ? v->v.str : NULL;
}

/* The sibling with this name (0: none). */
static mh_id sibling_named(mh_txn *t, mh_id parent, const char *name)
{
    lbe_key k;
    fnamekey(&k, t, parent, name);
    MDB_val key = lk_val(&k), v;
    if (mdb_get(t->txn, lbe_dbi(t, DBI_FNAMES), &key, &v) != 0 || v.mv_size != 8)
        return 0;
    return mh_get_u64_be(v.mv_data);
}

static int fname_put(mh_txn *t, mh_id parent, const char *name, mh_id child)
{
    lbe_key k;
    fnamekey(&k, t, parent, name);
    uint8_t v[8];
    mh_put_u64_be(v, child);
    return lbe_put(t, DBI_FNAMES, &k, v, 8);
}

static int fname_del(mh_txn *t, mh_id parent, const char *name)
{
    lbe_key k;
    fnamekey(&k, t, parent, name);
    return lbe_del(t, DBI_FNAMES, &k);
}

/* Checks values a caller wants stored. */
static mh_err check_storable(mh_txn *t, const mh_proplist *set, mh_error *err)
{
    for (uint32_t i = 0; i < set->n; i++) {
        const mh_propval *v = &set->v[i];
        if (!mh_type_storable(MH_TAG_TYPE(v->tag)))
            return mh_fail(err, t->pool, MH_E_INVALID, "property 0x%08x: type not storable",
                           v->tag);
        if (v->flags & (MH_PV_LARGE | MH_PV_KEEP | MH_PV_SOURCE))
            return mh_fail(err, t->pool, MH_E_INVALID,
                           "property 0x%08x: only messages take streamed or kept values",
                           v->tag);
        if (MH_TAG_TYPE(v->tag) == PT_UNICODE && !v->v.str)
            return mh_fail(err, t->pool, MH_E_INVALID, "property 0x%08x: NULL string", v->tag);
    }
    return MH_OK;
}

/* Resolves a value for a reader: large values up to `large` are loaded. */
static mh_err resolve_value(mh_txn *t, const mh_propval *src, uint64_t large, apr_pool_t *pool,
                            mh_propval *dst, mh_error *err)
{
    mh_propval_copy(pool, dst, src);
    if (!(src->flags & MH_PV_LARGE) || src->v.large.size > large)
        return MH_OK;
    uint64_t size = src->v.large.size;
    uint8_t *buf = apr_palloc(pool, (size_t)size + 1);
    size_t got = 0;
    mh_err e = size ? lbe_lval_read(t, src->v.large.ref, size, 0, buf, (size_t)size, &got, err)
                    : MH_OK;
    if (e != MH_OK)
        return e;
    buf[size] = 0;
    dst->flags = 0;
    if (MH_TAG_TYPE(src->tag) == PT_UNICODE) {
        dst->v.str = (const char *)buf;
    } else {
        dst->v.bin.data = buf;
        dst->v.bin.len = (uint32_t)size;
    }
    return MH_OK;
}

static mh_err filter_props(mh_txn *t, const mh_proplist *all, const mh_proptag *tags,
                           uint32_t n, uint64_t large, apr_pool_t *pool, mh_proplist *out,
                           mh_error *err)
{
    uint32_t cap = tags ? n : all->n;
    out->v = apr_pcalloc(pool, sizeof(mh_propval) * (cap ? cap : 1));
    out->n = 0;
    if (!tags) {
        for (uint32_t i = 0; i < all->n; i++) {
            mh_err e = resolve_value(t, &all->v[i], large, pool, &out->v[out->n], err);
            if (e != MH_OK)
                return e;
            out->n++;
        }
        return MH_OK;
    }
    for (uint32_t i = 0; i < n; i++) {
        const mh_propval *v = mh_proplist_find(all, tags[i]);
        if (!v)
            continue;
        mh_err e = resolve_value(t, v, large, pool, &out->v[out->n], err);
        if (e != MH_OK)
            return e;
        out->n++;
    }
    return MH_OK;
}

/* The values of a list decoded into `pool` for this call alone, with the
 * tags asked for only: handed over as they are (no copy), large ones up to
 * `large` loaded. */
static mh_err take_fresh(mh_txn *t, mh_proplist *fresh, uint64_t large, apr_pool_t *pool,
                         mh_error *err)
{
    for (uint32_t i = 0; i < fresh->n; i++) {
        mh_propval *v = &fresh->v[i];
        if ((v->flags & MH_PV_LARGE) && v->v.large.size <= large) {
            mh_propval r;
            mh_err e = resolve_value(t, v, large, pool, &r, err);
            if (e != MH_OK)
                return e;
            *v = r;
        }
    }
    return MH_OK;
}

/* The message or attachment an objref points into, inside a loaded message. */
static const mh_proplist *locate(const mh_message *m, const mh_objref *obj)
{
    for (uint32_t d = 0; d < obj->depth; d++) {
        const mh_attachment *a = NULL;
        for (uint32_t i = 0; i < m->n_attachments; i++)
            if (m->attachments[i].num == obj->path[d])
                a = &m->attachments[i];
        if (!a)
            return NULL;
        if (d + 1 == obj->depth && obj->attachment)
            return &a->props;
        if (!a->embedded)
            return NULL;
        m = a->embedded;
    }
    return &m->props;
}

/* --------------------------------------------------------- properties */

/* lbe_summary_covers, remembering the answer for the tag list asked last
 * (every row of a table asks with the same list). */
static int summary_covers(mh_txn *t, const mh_proptag *tags, uint32_t n)
{
    size_t bytes = n * sizeof(*tags);
    if (n && n <= 32 && n == t->cov_n && memcmp(tags, t->cov_tags, bytes) == 0)
        return t->cov_ok;
    int covered = lbe_summary_covers(tags, n);
    if (n <= 32) {
        memcpy(t->cov_tags, tags, bytes);
        t->cov_n = n;
        t->cov_ok = covered;
    }
    return covered;
}

mh_err lbe_props_get(mh_txn *t, const mh_objref *obj, const mh_proptag *tags, uint32_t n,
                     uint64_t large, apr_pool_t *pool, mh_proplist *values_r, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK)
        return e;
    if (obj->depth > MH_MAX_EMBED_DEPTH)
        return mh_fail(err, pool, MH_E_INVALID, "path too deep");
    switch (obj->kind) {
    case MH_OBJ_MAILBOX: {
        mh_proplist l;
        if ((e = lbe_mailbox_props_load(t, pool, &l, err)) != MH_OK)
            return e;
        return filter_props(t, &l, tags, n, large, pool, values_r, err);
    }
    case MH_OBJ_FOLDER: {
        lbe_folder f;
        if ((e = lbe_folder_load(t, obj->id, pool, &f, err)) != MH_OK)
            return e;
        return filter_props(t, &f.props, tags, n, large, pool, values_r, err);
    }
    case MH_OBJ_MESSAGE: {
        lbe_message m;
        if (tags && obj->depth == 0) {
            /* a few values of the message itself: only those are decoded,
             * from the summary a listing just walked over when it holds
             * them all, else from the record (read once either way) */
            mh_rd rd;
            e = summary_covers(t, tags, n) ? lbe_message_peek(t, obj->id, pool, &m, err)
                                           : lbe_message_head(t, obj->id, pool, &m, &rd, err);
            if (e != MH_OK)
                return e;
            if (m.partial) {
                if (mh_message_decode_tags_indexed(&m.ix, m.tree, m.tree_len, pool, tags, n,
                                                   values_r) == 0)
                    return take_fresh(t, values_r, large, pool, err);
                /* a summary that does not decode is passed over (the
                 * consistency check reports it) */
                if ((e = lbe_message_head(t, obj->id, pool, &m, &rd, err)) != MH_OK)
                    return e;
            }
            mh_rd_init(&rd, m.tree, m.tree_len); /* (a version 1 record: its values) */
            if (m.indexed ? mh_message_decode_tags_indexed(&m.ix, m.tree, m.tree_len, pool,
                                                           tags, n, values_r) != 0
                          : mh_proplist_decode_tags(&rd, pool, tags, n, values_r) != 0)
                return mh_fail(err, pool, MH_E_CORRUPT, "message %llu: damaged record",
                               (unsigned long long)obj->id);
            return take_fresh(t, values_r, large, pool, err);
        }
        if ((e = lbe_message_load(t, obj->id, pool, &m, err)) != MH_OK)
            return e;
        const mh_proplist *l = locate(m.msg, obj);
        if (!l)
            return mh_fail(err, pool, MH_E_NOT_FOUND, "no such attachment in message %llu",
                           (unsigned long long)obj->id);
        return filter_props(t, l, tags, n, large, pool, values_r, err);
    }
    }
    return mh_fail(err, pool, MH_E_INVALID, "unknown object kind %d", obj->kind);
}

/* Applies sets and deletes to a list allocated in the transaction's pool. */
static void apply(mh_txn *t, mh_proplist *l, const mh_proplist *set, const mh_proptag *del,
                  uint32_t n_del)
{
    for (uint32_t i = 0; i < n_del; i++)
        mh_proplist_remove(l, del[i]);
    for (uint32_t i = 0; i < set->n; i++) {
        mh_propval v;
        mh_propval_copy(t->pool, &v, &set->v[i]);
        mh_proplist_set(t->pool, l, &v);
    }
}

mh_err lbe_props_set(mh_txn *t, const mh_objref *obj, const mh_proplist *set,
                     const mh_proptag *del, uint32_t n_del, const mh_change_in *chg,
                     mh_id *cn_r, mh_error *err)
{
    static const mh_proplist empty;
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK || (e = lbe_need_write(t, err)) != MH_OK)
        return e;
    if (!set)
        set = &empty;
    if ((e = check_storable(t, set, err)) != MH_OK)
        return e;
    static const mh_proptag tracked[] = {PR_SOURCE_KEY, PR_CHANGE_KEY,
                                         PR_PREDECESSOR_CHANGE_LIST, PR_CHANGE_NUMBER};
    for (size_t i = 0; i < sizeof(tracked) / sizeof(tracked[0]); i++) {
        int touched = mh_proplist_find(set, tracked[i]) != NULL;
        for (uint32_t j = 0; !touched && j < n_del; j++)
            touched = del[j] == tracked[i];
        if (touched)
            return mh_fail(err, t->pool, MH_E_INVALID,
                           "property 0x%08x is change tracking: it comes with mh_change_in",
                           tracked[i]);
    }
    if (obj->kind == MH_OBJ_MAILBOX) {
        mh_proplist l;
        if ((e = lbe_mailbox_props_load(t, t->pool, &l, err)) != MH_OK)
            return e;
        apply(t, &l, set, del, n_del);
        *cn_r = 0;
        return lbe_mailbox_props_store(t, &l, err);
    }
    if (obj->kind != MH_OBJ_FOLDER)
        return mh_fail(err, t->pool, MH_E_INVALID,
                       "message properties change only through message_save");
    lbe_folder f;
    if ((e = lbe_folder_load(t, obj->id, t->pool, &f, err)) != MH_OK)
        return e;
    const char *old_name = display_name(&f.props);
    apply(t, &f.props, set, del, n_del);
    const char *new_name = display_name(&f.props);
    if (!new_name || !*new_name)
        return mh_fail(err, t->pool, MH_E_INVALID, "a folder needs PR_DISPLAY_NAME");
    int rc;
    if (f.parent && (!old_name || strcasecmp(old_name, new_name) != 0 ||
                     strcmp(lbe_fold(t->pool, old_name, LBE_NAMEKEY_MAX),
                            lbe_fold(t->pool, new_name, LBE_NAMEKEY_MAX)) != 0)) {
        mh_id other = sibling_named(t, f.parent, new_name);
        if (other && other != f.id)
            return mh_fail(err, t->pool, MH_E_EXISTS, "a sibling folder is named '%s'", new_name);
        if ((old_name && (rc = fname_del(t, f.parent, old_name))) ||
            (rc = fname_put(t, f.parent, new_name, f.id)))
            return lbe_fail(err, t->pool, rc, "rename a folder");
    }
    mh_id cn;
    if ((e = lbe_next_id(t, &cn, err)) != MH_OK ||
        (e = lbe_stamp_change(t, t->pool, &f.props, f.id, cn, 0, chg, err)) != MH_OK)
        return e;
    if ((rc = lbe_change_del(t, 0, f.cn)) || (rc = lbe_change_put(t, 0, cn, MH_CHANGE_FOLDER, f.id)))
        return lbe_fail(err, t->pool, rc, "record a folder change");
    f.cn = cn;
    *cn_r = cn;
    return lbe_folder_store(t, &f, err);
}

/* ------------------------------------------------------------- folders */

mh_err lbe_folder_create(mh_txn *t, mh_id parent, const mh_proplist *props, unsigned flags,
                         const mh_change_in *chg, mh_id *id_r, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK || (e = lbe_need_write(t, err)) != MH_OK)
        return e;
    if ((e = check_storable(t, props, err)) != MH_OK)
        return e;
    const char *name = display_name(props);
    if (!name || !*name)
        return mh_fail(err, t->pool, MH_E_INVALID, "a folder needs PR_DISPLAY_NAME");
    lbe_folder pf;
    if (parent == 0) {
        if (t->mr.folder_count != 0)
            return mh_fail(err, t->pool, MH_E_INVALID, "the mailbox has a root folder already");
    } else {
        if ((e = lbe_folder_load(t, parent, t->pool, &pf, err)) != MH_OK)
            return e;
        if (sibling_named(t, parent, name))
            return mh_fail(err, t->pool, MH_E_EXISTS, "a folder '%s' exists there", name);
    }
    mh_id id;
    if ((e = lbe_new_object_id(t, chg, &id, err)) != MH_OK)
        return e;
    mh_id cn;
    if ((e = lbe_next_id(t, &cn, err)) != MH_OK)
        return e;
    lbe_folder f;
    memset(&f, 0, sizeof(f));
    f.id = id;
    f.parent = parent;
    f.flags = flags & MH_FOLDER_SEARCH;
    f.cn = cn;
    mh_proplist_copy(t->pool, &f.props, props);
    if ((e = lbe_stamp_change(t, t->pool, &f.props, id, cn, 1, chg, err)) != MH_OK)
        return e;
    const mh_propval *sk = mh_proplist_find(&f.props, PR_SOURCE_KEY);
    int rc;
    lbe_key ck;
    childkey(&ck, t, parent, id);
    if ((rc = lbe_put(t, DBI_CHILDREN, &ck, "", 0)) ||
        (parent && (rc = fname_put(t, parent, name, id))) ||
        (rc = lbe_srckey_put(t, &sk->v.bin, LBE_OBJ_FOLDER, id)) ||
        (rc = lbe_change_put(t, 0, cn, MH_CHANGE_FOLDER, id)))
        return lbe_fail(err, t->pool, rc, "create a folder");
    if ((e = lbe_folder_store(t, &f, err)) != MH_OK)
        return e;
    if (parent) {
        pf.children++;
        if ((e = lbe_folder_store(t, &pf, err)) != MH_OK)
            return e;
    }
    t->mr.folder_count++;
    t->mr_dirty = 1;
    *id_r = id;
    return MH_OK;
}

mh_err lbe_folder_info(mh_txn *t, mh_id folder, mh_folder_info *info, mh_error *err)
{
    mh_err e;
    lbe_folder f;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK ||
        (e = lbe_folder_load_head(t, folder, t->pool, &f, err)) != MH_OK)
        return e;
    info->id = f.id;
    info->parent = f.parent;
    info->flags = f.flags;
    info->content_count = f.content;
    info->unread_count = f.unread;
    info->fai_count = f.fai;
    info->child_count = f.children;
    info->message_bytes = f.bytes;
    info->cn = f.cn;
    return MH_OK;
}

mh_err lbe_folder_children(mh_txn *t, mh_id folder, apr_pool_t *pool, mh_id **ids_r,
                           uint32_t *n_r, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK)
        return e;
    if (lbe_object_kind(t, folder) != LBE_OBJ_FOLDER)
        return mh_fail(err, pool, MH_E_NOT_FOUND, "no folder %llu", (unsigned long long)folder);
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, lbe_dbi(t, DBI_CHILDREN), &c);
    if (rc)
        return lbe_fail(err, pool, rc, "list subfolders");
    lbe_key pk;
    childkey(&pk, t, folder, 0);
    apr_array_header_t *a = apr_array_make(pool, 16, sizeof(mh_id));
    MDB_val k = lk_val(&pk), v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 20 || memcmp(k.mv_data, pk.b, 12) != 0)
            break;
        *(mh_id *)apr_array_push(a) = mh_get_u64_be((uint8_t *)k.mv_data + 12);
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND)
        return lbe_fail(err, pool, rc, "list subfolders");
    *ids_r = (mh_id *)a->elts;
    *n_r = (uint32_t)a->nelts;
    return MH_OK;
}

mh_err lbe_folder_find(mh_txn *t, mh_id parent, const char *name, mh_id *id_r, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK)
        return e;
    if (!name)
        return mh_fail(err, t->pool, MH_E_INVALID, "no name");
    mh_id id = sibling_named(t, parent, name);
    if (!id)
        return mh_fail(err, t->pool, MH_E_NOT_FOUND, "no folder '%s'", name);
    *id_r = id;
    return MH_OK;
}

mh_err lbe_folder_move(mh_txn *t, mh_id folder, mh_id new_parent, const mh_change_in *chg,
                       mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK || (e = lbe_need_write(t, err)) != MH_OK)
        return e;
    lbe_folder f, op, np;
    if ((e = lbe_folder_load(t, folder, t->pool, &f, err)) != MH_OK)
        return e;
    if (!f.parent)
        return mh_fail(err, t->pool, MH_E_INVALID, "the root folder cannot move");
    if ((e = lbe_folder_load(t, new_parent, t->pool, &np, err)) != MH_OK)
        return e;
    /* not into itself or below itself */
    for (mh_id a = new_parent; a;) {
        if (a == folder)
            return mh_fail(err, t->pool, MH_E_INVALID, "a folder cannot move into its own subtree");
        lbe_folder af;
        if ((e = lbe_folder_load(t, a, t->pool, &af, err)) != MH_OK)
            return e;
        a = af.parent;
    }
    if (new_parent == f.parent)
        return MH_OK;
    const char *name = display_name(&f.props);
    if (sibling_named(t, new_parent, name))
        return mh_fail(err, t->pool, MH_E_EXISTS, "a folder '%s' exists there", name);
    if ((e = lbe_folder_load(t, f.parent, t->pool, &op, err)) != MH_OK)
        return e;
    int rc;
    lbe_key ok, nk;
    childkey(&ok, t, f.parent, folder);
    childkey(&nk, t, new_parent, folder);
    if ((rc = lbe_del(t, DBI_CHILDREN, &ok)) || (rc = lbe_put(t, DBI_CHILDREN, &nk, "", 0)) ||
        (rc = fname_del(t, f.parent, name)) || (rc = fname_put(t, new_parent, name, folder)))
        return lbe_fail(err, t->pool, rc, "move a folder");
    op.children--;
    np.children++;
    if ((e = lbe_folder_store(t, &op, err)) != MH_OK || (e = lbe_folder_store(t, &np, err)) != MH_OK)
        return e;
    mh_id cn;
    if ((e = lbe_next_id(t, &cn, err)) != MH_OK ||
        (e = lbe_stamp_change(t, t->pool, &f.props, f.id, cn, 0, chg, err)) != MH_OK)
        return e;
    if ((rc = lbe_change_del(t, 0, f.cn)) || (rc = lbe_change_put(t, 0, cn, MH_CHANGE_FOLDER, f.id)))
        return lbe_fail(err, t->pool, rc, "record a folder change");
    f.cn = cn;
    f.parent = new_parent;
    return lbe_folder_store(t, &f, err);
}

mh_err lbe_folder_delete(mh_txn *t, mh_id folder, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_mailbox(t, err)) != MH_OK || (e = lbe_need_write(t, err)) != MH_OK)
        return e;
    lbe_folder f, p;
    if ((e = lbe_folder_load(t, folder, t->pool, &f, err)) != MH_OK)
        return e;
    if (!f.parent)
        return mh_fail(err, t->pool, MH_E_INVALID, "the root folder cannot be deleted");
    if (f.content || f.fai || f.children)
        return mh_fail(err, t->pool, MH_E_CONFLICT,
                       "folder %llu is not empty (%u messages, %u associated, %u subfolders)",
                       (unsigned long long)folder, f.content, f.fai, f.children);
    if ((e = lbe_folder_load(t, f.parent, t->pool, &p, err)) != MH_OK)
        return e;
    mh_id cn;
    if ((e = lbe_next_id(t, &cn, err)) != MH_OK)
        return e;
    const mh_propval *sk = mh_proplist_find(&f.props, PR_SOURCE_KEY);
    int rc;
    lbe_key k;
    if ((rc = lbe_tombstone_put(t, folder, MH_CHANGE_FOLDER, f.parent, cn,
                                sk ? &sk->v.bin : NULL)) ||
        (rc = lbe_change_del(t, 0, f.cn)) ||
        (rc = lbe_change_put(t, 0, cn, MH_CHANGE_FOLDER | MH_CHANGE_DELETED, folder)) ||
        (rc = fname_del(t, f.parent, display_name(&f.props))))
        return lbe_fail(err, t->pool, rc, "delete a folder");
    childkey(&k, t, f.parent, folder);
    if ((rc = lbe_del(t, DBI_CHILDREN, &k)))
        return lbe_fail(err, t->pool, rc, "delete a folder");
    lk_init(&k);
    lk_u32(&k, t->mr.mbx);
    lk_u64(&k, folder);
    if ((rc = lbe_del(t, DBI_OBJECTS, &k)) || (rc = lbe_del(t, DBI_PERMS, &k)) ||
        (rc = lbe_del(t, DBI_RULES, &k)))
        return lbe_fail(err, t->pool, rc, "delete a folder");
    if ((rc = lbe_recvfolders_forget(t, folder)) || (rc = lbe_changes_forget_scope(t, folder)))
        return lbe_fail(err, t->pool, rc, "delete a folder");
    p.children--;
    if ((e = lbe_folder_store(t, &p, err)) != MH_OK)
        return e;
    for (int r = 0; r < MH_SF_COUNT; r++)
        if (t->mr.special[r] == folder)
            t->mr.special[r] = 0;
    t->mr.folder_count--;
    t->mr_dirty = 1;
    return MH_OK;
}
