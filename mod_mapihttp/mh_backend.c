/*
 * mh_backend.c - the core's wrappers around every backend slot.
 */
#include "mh_backend.h"
#include "mh_log.h"
#include "mh_mapierr.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <apr_strings.h>

uint32_t mh_err_to_mapi(mh_err e)
{
    switch (e) {
    case MH_OK: return 0;
    case MH_E_NOT_FOUND: return MAPI_E_NOT_FOUND;
    case MH_E_EXISTS: return MAPI_E_COLLISION;
    case MH_E_PERMISSION: return MAPI_E_NO_ACCESS;
    case MH_E_QUOTA: return EC_QUOTA_EXCEEDED;
    case MH_E_TEMPORARY: return MAPI_E_BUSY;
    case MH_E_UNAVAILABLE: return MAPI_E_NETWORK_ERROR;
    case MH_E_CORRUPT: return MAPI_E_CORRUPT_DATA;
    case MH_E_INVALID: return MAPI_E_INVALID_PARAMETER;
    case MH_E_NOT_SUPPORTED: return MAPI_E_NO_SUPPORT;
    case MH_E_CONFLICT: return MAPI_E_OBJECT_CHANGED;
    case MH_E_TOO_BIG: return MAPI_E_TOO_BIG;
    case MH_E_INTERNAL: return MAPI_E_CALL_FAILED;
    }
    return MAPI_E_CALL_FAILED;
}

/* ------------------------------------------------------------- checks */

/* The slots a backend must have (mapihttp/backend.h marks them). */
#define REQUIRED(x) {offsetof(mh_backend, x), #x}
static const struct {
    size_t off;
    const char *name;
} required_slots[] = {
    REQUIRED(instance_create), REQUIRED(instance_open), REQUIRED(txn_begin),
    REQUIRED(txn_commit), REQUIRED(txn_abort), REQUIRED(dir_get), REQUIRED(dir_find),
    REQUIRED(dir_list), REQUIRED(dir_count), REQUIRED(dir_search), REQUIRED(dir_members),
    REQUIRED(mailbox_create), REQUIRED(mailbox_info), REQUIRED(mailbox_set_special),
    REQUIRED(id_reserve), REQUIRED(props_get), REQUIRED(props_set), REQUIRED(value_read),
    REQUIRED(folder_create), REQUIRED(folder_info), REQUIRED(folder_children),
    REQUIRED(folder_find), REQUIRED(folder_move), REQUIRED(folder_delete),
    REQUIRED(contents_list), REQUIRED(message_info), REQUIRED(message_read),
    REQUIRED(message_save), REQUIRED(message_delete), REQUIRED(message_move),
    REQUIRED(message_set_read), REQUIRED(changes_list), REQUIRED(object_by_source_key),
    REQUIRED(named_ids), REQUIRED(named_names), REQUIRED(named_list),
    REQUIRED(permissions_get), REQUIRED(permissions_set), REQUIRED(receive_folders_get),
    REQUIRED(receive_folder_set),
};
#undef REQUIRED

const char *mh_backend_check(const mh_backend *be, apr_pool_t *pool)
{
    if (!be)
        return "no backend";
    if (be->abi_version != MH_BACKEND_ABI_VERSION)
        return apr_psprintf(pool, "built for backend interface version %u; this mod_mapihttp "
                                  "speaks version %u (rebuild the backend)",
                            be->abi_version, MH_BACKEND_ABI_VERSION);
    if (be->struct_size < MH_BACKEND_MIN_SIZE)
        return apr_psprintf(pool, "its struct is %u bytes, smaller than interface version %u "
                                  "requires (%u): rebuild the backend",
                            be->struct_size, MH_BACKEND_ABI_VERSION,
                            (unsigned)MH_BACKEND_MIN_SIZE);
    if (!be->name || !*be->name || !be->version)
        return "it has no name or version";
    for (size_t i = 0; i < sizeof(required_slots) / sizeof(required_slots[0]); i++) {
        void *slot;
        memcpy(&slot, (const char *)be + required_slots[i].off, sizeof(slot));
        if (!slot)
            return apr_psprintf(pool, "it lacks the required slot %s", required_slots[i].name);
    }
    return NULL;
}

/* --------------------------------------------------------- result check */

static mh_err leave(const mh_be *b, apr_pool_t *pool, const char *slot, mh_err r,
                    const mh_error *inner, int outputs_ok, mh_error *err)
{
    if ((unsigned)r >= MH_ERR_COUNT) {
        mh_log(MH_LOG_ERR, MHLOGNO(00303) "backend %s: %s returned unknown error %d",
               b->label, slot, (int)r);
        return mh_fail(err, pool, MH_E_INTERNAL, "backend %s: %s returned unknown error %d",
                       b->label, slot, (int)r);
    }
    if (r == MH_OK) {
        if (outputs_ok)
            return MH_OK;
        mh_log(MH_LOG_ERR, MHLOGNO(00301) "backend %s: %s returned success with a broken "
               "result; treated as an internal error", b->label, slot);
        return mh_fail(err, pool, MH_E_INTERNAL, "backend %s: %s returned a broken result",
                       b->label, slot);
    }
    const char *detail = inner->detail ? inner->detail : "(the backend gave no detail)";
    if (r == MH_E_INTERNAL || r == MH_E_CORRUPT || r == MH_E_UNAVAILABLE)
        mh_log(MH_LOG_ERR, MHLOGNO(00302) "backend %s: %s failed (%s): %s", b->label, slot,
               mh_err_name(r), detail);
    return mh_fail(err, pool, r, "%s: %s", slot, detail);
}

static mh_err unsupported(const mh_be *b, apr_pool_t *pool, const char *slot, mh_error *err)
{
    return mh_fail(err, pool, MH_E_NOT_SUPPORTED, "backend %s does not implement %s", b->label,
                   slot);
}

/*
 * A slot writes its outputs into the wrapper's own variables, set first to
 * values the check rejects (or to empty ones): a slot returning MH_OK
 * without filling them is caught instead of handing on whatever memory
 * held, and the caller's variables change only on success.
 *
 * ENTER declares `fn` (the slot) and `inner` (the backend's error) inside a
 * wrapper with a transaction T; CALL runs the slot and checks the result,
 * `ok` being the output check evaluated only on success.
 */
#define ENTER(T, slot)                                                              \
    __typeof__(((mh_backend *)0)->slot) fn = MH_SLOT((T)->b->be, slot);             \
    mh_error inner = {MH_OK, NULL};                                                 \
    if (!fn)                                                                        \
        return unsupported((T)->b, (T)->pool, #slot, err);                          \
    if ((T)->done)                                                                  \
        return mh_fail(err, (T)->pool, MH_E_INVALID, "the transaction is over")
#define RUN(T, slot, ok, ...)                                                       \
    do {                                                                            \
        mh_err r_ = fn(__VA_ARGS__, &inner);                                        \
        r_ = leave((T)->b, (T)->pool, #slot, r_, &inner, r_ == MH_OK ? (ok) : 1, err); \
        if (r_ != MH_OK)                                                            \
            return r_;                                                              \
    } while (0)
#define CALL(T, slot, ok, ...)                                                      \
    do {                                                                            \
        mh_err r_ = fn(__VA_ARGS__, &inner);                                        \
        return leave((T)->b, (T)->pool, #slot, r_, &inner, r_ == MH_OK ? (ok) : 1,  \
                     err);                                                          \
    } while (0)

/* ------------------------------------------------------------ lifecycle */

mh_err mh_be_create(const mh_backend *be, apr_pool_t *pconf, int argc, const char *const *argv,
                    mh_be **b_r, mh_error *err)
{
    const char *why = mh_backend_check(be, pconf);
    if (why)
        return mh_fail(err, pconf, MH_E_INVALID, "backend %s cannot be used: %s",
                       be && be->name ? be->name : "?", why);
    mh_be *b = apr_pcalloc(pconf, sizeof(*b));
    b->be = be;
    b->label = be->name;
    mh_error inner = {MH_OK, NULL};
    mh_err r = be->instance_create(pconf, argc, argv, &b->inst, &inner);
    r = leave(b, pconf, "instance_create", r, &inner, r == MH_OK ? b->inst != NULL : 1, err);
    if (r != MH_OK)
        return r;
    *b_r = b;
    return MH_OK;
}

mh_err mh_be_prepare(mh_be *b, long uid, long gid, apr_pool_t *ptemp, mh_error *err)
{
    __typeof__(((mh_backend *)0)->instance_prepare) fn = MH_SLOT(b->be, instance_prepare);
    if (!fn)
        return MH_OK; /* optional: nothing to prepare */
    mh_error inner = {MH_OK, NULL};
    mh_err r = fn(b->inst, uid, gid, ptemp, &inner);
    return leave(b, ptemp, "instance_prepare", r, &inner, 1, err);
}

mh_err mh_be_open(mh_be *b, apr_pool_t *pchild, mh_error *err)
{
    mh_error inner = {MH_OK, NULL};
    mh_err r = b->be->instance_open(b->inst, pchild, &inner);
    r = leave(b, pchild, "instance_open", r, &inner, 1, err);
    if (r == MH_OK)
        b->gal = mh_gal_cache_create(b, pchild);
    return r;
}

/* --------------------------------------------------------- transactions */

/*
 * A transaction still open when its pool goes away is a bug in its caller.
 * A read transaction is ended here.  A writing one only on the thread that
 * began it: a backend's writer lock (LMDB's) belongs to that thread, and
 * httpd may destroy a request pool on another one.
 */
static apr_status_t txn_cleanup(void *data)
{
    mh_betxn *t = data;
    if (t->done)
        return APR_SUCCESS;
    if (t->write && !pthread_equal(t->thread, pthread_self())) {
        mh_log(MH_LOG_CRIT, MHLOGNO(00305) "backend %s: a writing transaction was left "
               "open and cannot be ended from this thread (a bug); writers may block",
               t->b->label);
        return APR_SUCCESS;
    }
    mh_log(MH_LOG_ERR, MHLOGNO(00304) "backend %s: a %s transaction was left open (a bug); "
           "aborted", t->b->label, t->write ? "writing" : "read");
    t->b->be->txn_abort(t->txn);
    t->done = 1;
    return APR_SUCCESS;
}

mh_err mh_be_begin(const mh_be *b, const mh_guid *mailbox, unsigned flags, apr_pool_t *pool,
                   mh_betxn **t_r, mh_error *err)
{
    mh_betxn *t = apr_pcalloc(pool, sizeof(*t));
    t->b = b;
    t->pool = pool;
    mh_error inner = {MH_OK, NULL};
    mh_err r = b->be->txn_begin(b->inst, mailbox, flags, pool, &t->txn, &inner);
    r = leave(b, pool, "txn_begin", r, &inner, r == MH_OK ? t->txn != NULL : 1, err);
    if (r != MH_OK)
        return r;
    /* a transaction the caller forgets ends with its pool */
    t->write = (flags & MH_TXN_WRITE) != 0;
    t->thread = pthread_self();
    apr_pool_cleanup_register(pool, t, txn_cleanup, apr_pool_cleanup_null);
    *t_r = t;
    return MH_OK;
}

mh_err mh_be_commit(mh_betxn *t, mh_error *err)
{
    if (t->done)
        return mh_fail(err, t->pool, MH_E_INVALID, "the transaction is over");
    mh_error inner = {MH_OK, NULL};
    mh_err r = t->b->be->txn_commit(t->txn, &inner);
    t->done = 1;
    apr_pool_cleanup_kill(t->pool, t, txn_cleanup);
    return leave(t->b, t->pool, "txn_commit", r, &inner, 1, err);
}

void mh_be_abort(mh_betxn *t)
{
    if (!t->done) {
        t->b->be->txn_abort(t->txn);
        t->done = 1;
        apr_pool_cleanup_kill(t->pool, t, txn_cleanup);
    }
}

/* ------------------------------------------------------------- directory */

static int entry_ok(const mh_dir_entry *e)
{
    return e->id != 0 && e->display_name != NULL &&
           (e->type == MH_DIR_USER || e->type == MH_DIR_GROUP || e->type == MH_DIR_CONTACT) &&
           (e->n_aliases == 0 || e->aliases != NULL);
}

static int entries_ok(const mh_dir_entry *e, uint32_t n, uint32_t max)
{
    if (n > max || (n && !e))
        return 0;
    for (uint32_t i = 0; i < n; i++)
        if (!entry_ok(&e[i]))
            return 0;
    return 1;
}

mh_err mh_be_dir_get(mh_betxn *t, uint32_t id, mh_dir_entry *e, mh_error *err)
{
    ENTER(t, dir_get);
    mh_dir_entry o;
    memset(&o, 0, sizeof(o));
    RUN(t, dir_get, entry_ok(&o) && o.id == id, t->txn, id, t->pool, &o);
    *e = o;
    return MH_OK;
}

mh_err mh_be_dir_find(mh_betxn *t, mh_dir_key by, const char *key, mh_dir_entry *e,
                      mh_error *err)
{
    ENTER(t, dir_find);
    mh_dir_entry o;
    memset(&o, 0, sizeof(o));
    RUN(t, dir_find, entry_ok(&o), t->txn, by, key, t->pool, &o);
    *e = o;
    return MH_OK;
}

mh_err mh_be_dir_list(mh_betxn *t, const mh_cursor *after, uint32_t max,
                      mh_dir_entry **entries_r, uint32_t *n_r, mh_cursor *next_r, mh_error *err)
{
    ENTER(t, dir_list);
    mh_dir_entry *es = NULL;
    uint32_t n = UINT32_MAX;
    mh_cursor next;
    next.len = 0;
    RUN(t, dir_list, entries_ok(es, n, max) && next.len <= MH_CURSOR_MAX, t->txn, after, max,
        t->pool, &es, &n, &next);
    *entries_r = es;
    *n_r = n;
    *next_r = next;
    return MH_OK;
}

mh_err mh_be_dir_count(mh_betxn *t, uint32_t *n_r, mh_error *err)
{
    ENTER(t, dir_count);
    uint32_t n = 0;
    RUN(t, dir_count, 1, t->txn, &n);
    *n_r = n;
    return MH_OK;
}

mh_err mh_be_dir_generation(mh_betxn *t, uint64_t *gen_r, mh_error *err)
{
    ENTER(t, dir_generation);
    uint64_t g = 0;
    RUN(t, dir_generation, 1, t->txn, &g);
    *gen_r = g;
    return MH_OK;
}

mh_err mh_be_dir_search(mh_betxn *t, const char *prefix, uint32_t max,
                        mh_dir_entry **entries_r, uint32_t *n_r, mh_error *err)
{
    ENTER(t, dir_search);
    mh_dir_entry *es = NULL;
    uint32_t n = UINT32_MAX;
    RUN(t, dir_search, entries_ok(es, n, max), t->txn, prefix, max, t->pool, &es, &n);
    *entries_r = es;
    *n_r = n;
    return MH_OK;
}

mh_err mh_be_dir_members(mh_betxn *t, uint32_t group, uint32_t **ids_r, uint32_t *n_r,
                         mh_error *err)
{
    ENTER(t, dir_members);
    uint32_t *ids = NULL, n = UINT32_MAX;
    RUN(t, dir_members, n == 0 || (ids && n != UINT32_MAX), t->txn, group, t->pool, &ids, &n);
    *ids_r = ids;
    *n_r = n;
    return MH_OK;
}

mh_err mh_be_dir_password(mh_betxn *t, const char *login, const char **hash_r, mh_error *err)
{
    ENTER(t, dir_password);
    const char *h = NULL;
    RUN(t, dir_password, h != NULL, t->txn, login, t->pool, &h);
    *hash_r = h;
    return MH_OK;
}

mh_err mh_be_dir_put(mh_betxn *t, const mh_dir_entry *e, const char *password_hash,
                     uint32_t *id_r, mh_error *err)
{
    ENTER(t, dir_put);
    uint32_t id = 0;
    RUN(t, dir_put, id != 0 && (e->id == 0 || id == e->id), t->txn, e, password_hash, &id);
    if (id_r)
        *id_r = id;
    return MH_OK;
}

mh_err mh_be_dir_delete(mh_betxn *t, uint32_t id, mh_error *err)
{
    ENTER(t, dir_delete);
    CALL(t, dir_delete, 1, t->txn, id);
}

mh_err mh_be_dir_set_members(mh_betxn *t, uint32_t group, const uint32_t *ids, uint32_t n,
                             mh_error *err)
{
    ENTER(t, dir_set_members);
    CALL(t, dir_set_members, 1, t->txn, group, ids, n);
}

/* ------------------------------------------------------------ mailboxes */

static int guid_set(const mh_guid *g)
{
    for (int i = 0; i < 16; i++)
        if (g->b[i])
            return 1;
    return 0;
}

mh_err mh_be_mailbox_create(mh_betxn *t, uint32_t owner, mh_error *err)
{
    ENTER(t, mailbox_create);
    CALL(t, mailbox_create, 1, t->txn, owner);
}

mh_err mh_be_mailbox_delete(mh_betxn *t, mh_error *err)
{
    ENTER(t, mailbox_delete);
    CALL(t, mailbox_delete, 1, t->txn);
}

mh_err mh_be_mailbox_info(mh_betxn *t, mh_mailbox_info *info, mh_error *err)
{
    ENTER(t, mailbox_info);
    mh_mailbox_info o;
    memset(&o, 0, sizeof(o));
    RUN(t, mailbox_info, o.last_id <= MH_ID_MAX && guid_set(&o.guid), t->txn, &o);
    *info = o;
    return MH_OK;
}

mh_mbx_where mh_be_mailbox_where(const mh_be *b, const mh_dir_entry *e, apr_pool_t *pool,
                                 mh_error *err)
{
    if (!e->has_mailbox)
        return MH_MBX_NONE;
    mh_betxn *t;
    mh_err r = mh_be_begin(b, &e->mailbox, MH_TXN_READ, pool, &t, err);
    if (r == MH_OK) {
        mh_mailbox_info mi;
        r = mh_be_mailbox_info(t, &mi, err);
        mh_be_abort(t);
    }
    if (r == MH_OK)
        return MH_MBX_HERE;
    if (r != MH_E_NOT_FOUND)
        return MH_MBX_ERROR;
    return e->server && *e->server ? MH_MBX_ELSEWHERE : MH_MBX_NONE;
}

mh_err mh_be_mailbox_set_special(mh_betxn *t, mh_special_folder role, mh_id folder,
                                 mh_error *err)
{
    ENTER(t, mailbox_set_special);
    CALL(t, mailbox_set_special, 1, t->txn, role, folder);
}

mh_err mh_be_mailbox_list(mh_betxn *t, mh_guid **guids_r, uint32_t *n_r, mh_error *err)
{
    ENTER(t, mailbox_list);
    mh_guid *g = NULL;
    uint32_t n = UINT32_MAX;
    RUN(t, mailbox_list, n == 0 || (g && n != UINT32_MAX), t->txn, t->pool, &g, &n);
    *guids_r = g;
    *n_r = n;
    return MH_OK;
}

mh_err mh_be_id_reserve(mh_betxn *t, uint32_t count, mh_id *first_r, mh_error *err)
{
    ENTER(t, id_reserve);
    mh_id first = 0;
    RUN(t, id_reserve, first != 0 && first + count - 1 <= MH_ID_MAX, t->txn, count, &first);
    *first_r = first;
    return MH_OK;
}

/* ----------------------------------------------------------- properties */

static int values_ok(const mh_proplist *l, const mh_proptag *tags, uint32_t n)
{
    if ((l->n && !l->v) || (tags && l->n > n))
        return 0;
    uint32_t from = 0; /* values in the order of the tags: one walk */
    for (uint32_t i = 0; i < l->n; i++) {
        const mh_propval *v = &l->v[i];
        if (!mh_type_storable(MH_TAG_TYPE(v->tag)))
            return 0;
        if (!(v->flags & MH_PV_LARGE) && MH_TAG_TYPE(v->tag) == PT_UNICODE && !v->v.str)
            return 0;
        if (!tags)
            continue;
        uint32_t j = from;
        while (j < n && tags[j] != v->tag)
            j++;
        if (j == n) {
            for (j = 0; j < from && tags[j] != v->tag; j++)
                ;
            if (j == from)
                return 0; /* a value nobody asked for */
        }
        from = j + 1 < n ? j + 1 : 0;
    }
    return 1;
}

mh_err mh_be_props_get_in(mh_betxn *t, const mh_objref *obj, const mh_proptag *tags, uint32_t n,
                          uint64_t large, apr_pool_t *pool, mh_proplist *values_r,
                          mh_error *err)
{
    ENTER(t, props_get);
    mh_proplist l = {0, NULL};
    RUN(t, props_get, values_ok(&l, tags, n), t->txn, obj, tags, n, large, pool, &l);
    *values_r = l;
    return MH_OK;
}

mh_err mh_be_props_get(mh_betxn *t, const mh_objref *obj, const mh_proptag *tags, uint32_t n,
                       uint64_t large, mh_proplist *values_r, mh_error *err)
{
    return mh_be_props_get_in(t, obj, tags, n, large, t->pool, values_r, err);
}

mh_err mh_be_props_set(mh_betxn *t, const mh_objref *obj, const mh_proplist *set,
                       const mh_proptag *del, uint32_t n_del, const mh_change_in *chg,
                       mh_id *cn_r, mh_error *err)
{
    ENTER(t, props_set);
    mh_id cn = (mh_id)-1;
    RUN(t, props_set, obj->kind == MH_OBJ_FOLDER ? cn != 0 && cn <= MH_ID_MAX : cn == 0,
        t->txn, obj, set, del, n_del, chg, &cn);
    *cn_r = cn;
    return MH_OK;
}

mh_err mh_be_value_read(mh_betxn *t, const mh_objref *obj, mh_proptag tag, uint64_t offset,
                        void *buf, size_t len, size_t *got_r, mh_error *err)
{
    ENTER(t, value_read);
    size_t got = SIZE_MAX;
    RUN(t, value_read, got <= len, t->txn, obj, tag, offset, buf, len, &got);
    *got_r = got;
    return MH_OK;
}

/* -------------------------------------------------------------- folders */

mh_err mh_be_folder_create(mh_betxn *t, mh_id parent, const mh_proplist *props, unsigned flags,
                           const mh_change_in *chg, mh_id *id_r, mh_error *err)
{
    ENTER(t, folder_create);
    mh_id id = 0;
    RUN(t, folder_create, id != 0 && id <= MH_ID_MAX, t->txn, parent, props, flags, chg, &id);
    *id_r = id;
    return MH_OK;
}

mh_err mh_be_folder_info(mh_betxn *t, mh_id folder, mh_folder_info *info, mh_error *err)
{
    ENTER(t, folder_info);
    mh_folder_info o;
    memset(&o, 0, sizeof(o));
    RUN(t, folder_info, o.id == folder, t->txn, folder, &o);
    *info = o;
    return MH_OK;
}

mh_err mh_be_folder_children(mh_betxn *t, mh_id folder, mh_id **ids_r, uint32_t *n_r,
                             mh_error *err)
{
    ENTER(t, folder_children);
    mh_id *ids = NULL;
    uint32_t n = UINT32_MAX;
    RUN(t, folder_children, n == 0 || (ids && n != UINT32_MAX), t->txn, folder, t->pool, &ids,
        &n);
    *ids_r = ids;
    *n_r = n;
    return MH_OK;
}

mh_err mh_be_folder_find(mh_betxn *t, mh_id parent, const char *name, mh_id *id_r,
                         mh_error *err)
{
    ENTER(t, folder_find);
    mh_id id = 0;
    RUN(t, folder_find, id != 0, t->txn, parent, name, &id);
    *id_r = id;
    return MH_OK;
}

mh_err mh_be_folder_move(mh_betxn *t, mh_id folder, mh_id new_parent, const mh_change_in *chg,
                         mh_error *err)
{
    ENTER(t, folder_move);
    CALL(t, folder_move, 1, t->txn, folder, new_parent, chg);
}

mh_err mh_be_folder_delete(mh_betxn *t, mh_id folder, mh_error *err)
{
    ENTER(t, folder_delete);
    CALL(t, folder_delete, 1, t->txn, folder);
}

mh_err mh_be_contents_list(mh_betxn *t, mh_id folder, unsigned flags, const mh_sort *sort,
                           const mh_cursor *from, uint32_t max, mh_id *ids, uint32_t *n_r,
                           mh_cursor *next_r, mh_error *err)
{
    ENTER(t, contents_list);
    uint32_t n = UINT32_MAX;
    mh_cursor next;
    next.len = 0;
    RUN(t, contents_list, n <= max && next.len <= MH_CURSOR_MAX, t->txn, folder, flags, sort,
        from, max, ids, &n, &next);
    *n_r = n;
    *next_r = next;
    return MH_OK;
}

int mh_be_sort_indexed(const mh_be *b, mh_proptag tag)
{
    const mh_proptag *tags = b->be->sort_tags;
    for (int i = 0; tags && tags[i]; i++)
        if (tags[i] == tag)
            return 1;
    return 0;
}

/* ------------------------------------------------------------- messages */

mh_err mh_be_message_info(mh_betxn *t, mh_id message, mh_message_info *info, mh_error *err)
{
    ENTER(t, message_info);
    mh_message_info o;
    memset(&o, 0, sizeof(o));
    RUN(t, message_info, o.id == message, t->txn, message, &o);
    *info = o;
    return MH_OK;
}

mh_err mh_be_message_read(mh_betxn *t, mh_id message, uint64_t large, mh_message **msg_r,
                          mh_error *err)
{
    ENTER(t, message_read);
    mh_message *m = NULL;
    RUN(t, message_read, m != NULL, t->txn, message, large, t->pool, &m);
    *msg_r = m;
    return MH_OK;
}

mh_err mh_be_message_save(mh_betxn *t, mh_id folder, mh_id message, unsigned flags,
                          const mh_message *msg, const mh_change_in *chg, mh_id *id_r,
                          mh_id *cn_r, mh_error *err)
{
    ENTER(t, message_save);
    mh_id id = 0, cn = 0;
    RUN(t, message_save, id != 0 && cn != 0 && (message == 0 || id == message), t->txn, folder,
        message, flags, msg, chg, &id, &cn);
    *id_r = id;
    *cn_r = cn;
    return MH_OK;
}

mh_err mh_be_message_delete(mh_betxn *t, mh_id message, mh_error *err)
{
    ENTER(t, message_delete);
    CALL(t, message_delete, 1, t->txn, message);
}

mh_err mh_be_message_move(mh_betxn *t, mh_id message, mh_id folder, int copy,
                          const mh_change_in *chg, mh_id *id_r, mh_error *err)
{
    ENTER(t, message_move);
    mh_id id = 0;
    RUN(t, message_move, id != 0, t->txn, message, folder, copy, chg, &id);
    *id_r = id;
    return MH_OK;
}

mh_err mh_be_message_set_read(mh_betxn *t, mh_id message, int read, mh_id *cn_r, mh_error *err)
{
    ENTER(t, message_set_read);
    mh_id cn = (mh_id)-1;
    RUN(t, message_set_read, cn <= MH_ID_MAX, t->txn, message, read, &cn);
    *cn_r = cn;
    return MH_OK;
}

/* -------------------------------------------------------------- changes */

mh_err mh_be_changes_list(mh_betxn *t, mh_id folder, unsigned kinds, mh_id after, uint32_t max,
                          mh_change *out, uint32_t *n_r, mh_id *next_r, mh_error *err)
{
    ENTER(t, changes_list);
    uint32_t n = UINT32_MAX;
    mh_id next = 0;
    RUN(t, changes_list, n <= max && (n == 0 || next > after), t->txn, folder, kinds, after, max,
        t->pool, out, &n, &next);
    *n_r = n;
    *next_r = next;
    return MH_OK;
}

mh_err mh_be_object_by_source_key(mh_betxn *t, const mh_bin *sk, mh_objkind *kind_r,
                                  mh_id *id_r, int *deleted_r, mh_error *err)
{
    ENTER(t, object_by_source_key);
    mh_objkind kind = (mh_objkind)-1;
    mh_id id = 0;
    int deleted = 0;
    RUN(t, object_by_source_key, id != 0 && (kind == MH_OBJ_FOLDER || kind == MH_OBJ_MESSAGE),
        t->txn, sk, &kind, &id, &deleted);
    *kind_r = kind;
    *id_r = id;
    *deleted_r = deleted;
    return MH_OK;
}

/* ----------------------------------------------------- named properties */

static int named_ids_ok(const uint16_t *ids, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (ids[i] != 0 && ids[i] < MH_NAMED_FIRST)
            return 0;
    return 1;
}

static int all_set(const uint16_t *ids, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (ids[i] == 0)
            return 0;
    return 1;
}

static int found_ok(const mh_propname *names, const uint8_t *found, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (found[i] > 1 || (found[i] && names[i].kind == MH_MNID_STRING && !names[i].name))
            return 0;
    return 1;
}

mh_err mh_be_named_ids(mh_betxn *t, const mh_propname *names, uint32_t n, int create,
                       uint16_t *ids_r, mh_error *err)
{
    ENTER(t, named_ids);
    uint16_t *ids = apr_palloc(t->pool, sizeof(*ids) * (n ? n : 1));
    for (uint32_t i = 0; i < n; i++)
        ids[i] = 1; /* not a named-property ID: must be overwritten */
    RUN(t, named_ids, named_ids_ok(ids, n) && (!create || all_set(ids, n)), t->txn, names, n,
        create, ids);
    memcpy(ids_r, ids, sizeof(*ids) * n);
    return MH_OK;
}

mh_err mh_be_named_names(mh_betxn *t, const uint16_t *ids, uint32_t n, mh_propname *names_r,
                         uint8_t *found_r, mh_error *err)
{
    ENTER(t, named_names);
    mh_propname *names = apr_pcalloc(t->pool, sizeof(*names) * (n ? n : 1));
    uint8_t *found = apr_palloc(t->pool, n ? n : 1);
    memset(found, 2, n ? n : 1); /* neither 0 nor 1: must be overwritten */
    RUN(t, named_names, found_ok(names, found, n), t->txn, ids, n, t->pool, names, found);
    memcpy(names_r, names, sizeof(*names) * n);
    memcpy(found_r, found, n);
    return MH_OK;
}

mh_err mh_be_named_list(mh_betxn *t, mh_propname **names_r, uint16_t **ids_r, uint32_t *n_r,
                        mh_error *err)
{
    ENTER(t, named_list);
    mh_propname *names = NULL;
    uint16_t *ids = NULL;
    uint32_t n = UINT32_MAX;
    RUN(t, named_list, n == 0 || (n != UINT32_MAX && names && ids && named_ids_ok(ids, n)),
        t->txn, t->pool, &names, &ids, &n);
    *names_r = names;
    *ids_r = ids;
    *n_r = n;
    return MH_OK;
}

/* ----------------------------------- permissions, rules, receive folders */

mh_err mh_be_permissions_get(mh_betxn *t, mh_id folder, mh_permission **rows_r, uint32_t *n_r,
                             mh_error *err)
{
    ENTER(t, permissions_get);
    mh_permission *rows = NULL;
    uint32_t n = UINT32_MAX;
    RUN(t, permissions_get, n == 0 || (rows && n != UINT32_MAX), t->txn, folder, t->pool, &rows,
        &n);
    *rows_r = rows;
    *n_r = n;
    return MH_OK;
}

mh_err mh_be_permissions_set(mh_betxn *t, mh_id folder, const mh_permission *rows, uint32_t n,
                             mh_error *err)
{
    ENTER(t, permissions_set);
    CALL(t, permissions_set, 1, t->txn, folder, rows, n);
}

mh_err mh_be_rules_get(mh_betxn *t, mh_id folder, mh_proplist **rules_r, uint32_t *n_r,
                       mh_error *err)
{
    ENTER(t, rules_get);
    mh_proplist *rules = NULL;
    uint32_t n = UINT32_MAX;
    RUN(t, rules_get, n == 0 || (rules && n != UINT32_MAX), t->txn, folder, t->pool, &rules, &n);
    *rules_r = rules;
    *n_r = n;
    return MH_OK;
}

mh_err mh_be_rules_set(mh_betxn *t, mh_id folder, const mh_proplist *rules, uint32_t n,
                       mh_error *err)
{
    ENTER(t, rules_set);
    CALL(t, rules_set, 1, t->txn, folder, rules, n);
}

static int recv_ok(const mh_receive_folder *rows, uint32_t n)
{
    if (n && !rows)
        return 0;
    for (uint32_t i = 0; i < n; i++)
        if (!rows[i].message_class || !rows[i].folder)
            return 0;
    return 1;
}

mh_err mh_be_receive_folders_get(mh_betxn *t, mh_receive_folder **rows_r, uint32_t *n_r,
                                 mh_error *err)
{
    ENTER(t, receive_folders_get);
    mh_receive_folder *rows = NULL;
    uint32_t n = UINT32_MAX;
    RUN(t, receive_folders_get, n != UINT32_MAX && recv_ok(rows, n), t->txn, t->pool, &rows,
        &n);
    *rows_r = rows;
    *n_r = n;
    return MH_OK;
}

mh_err mh_be_receive_folder_set(mh_betxn *t, const char *message_class, mh_id folder,
                                mh_error *err)
{
    ENTER(t, receive_folder_set);
    CALL(t, receive_folder_set, 1, t->txn, message_class, folder);
}

mh_err mh_be_check(mh_betxn *t, int repair, void (*report)(void *, const char *), void *baton,
                   uint32_t *problems_r, mh_error *err)
{
    ENTER(t, check);
    uint32_t n = 0;
    RUN(t, check, 1, t->txn, repair, report, baton, &n);
    *problems_r = n;
    return MH_OK;
}

/* ---------------------------------------------------------- per-user data */

mh_err mh_be_peruser_get(mh_betxn *t, const uint8_t folder[MH_LTID_LEN], mh_peruser *row_r,
                         mh_error *err)
{
    ENTER(t, peruser_get);
    mh_peruser row;
    memset(&row, 0, sizeof(row));
    row.data.len = UINT32_MAX; /* a backend must set it */
    RUN(t, peruser_get,
        row.data.len != UINT32_MAX && (row.data.len == 0 || row.data.data) &&
            memcmp(row.folder, folder, MH_LTID_LEN) == 0,
        t->txn, folder, t->pool, &row);
    *row_r = row;
    return MH_OK;
}

mh_err mh_be_peruser_list(mh_betxn *t, mh_peruser **rows_r, uint32_t *n_r, mh_error *err)
{
    ENTER(t, peruser_list);
    mh_peruser *rows = NULL;
    uint32_t n = UINT32_MAX;
    RUN(t, peruser_list, n != UINT32_MAX && (n == 0 || rows), t->txn, t->pool, &rows, &n);
    *rows_r = rows;
    *n_r = n;
    return MH_OK;
}

mh_err mh_be_peruser_set(mh_betxn *t, const mh_peruser *row, mh_error *err)
{
    ENTER(t, peruser_set);
    if (!t->write)
        return mh_fail(err, t->pool, MH_E_INVALID, "peruser_set in a read-only transaction");
    CALL(t, peruser_set, 1, t->txn, row);
}
