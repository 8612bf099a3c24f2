/*
 * lmdb_check.c - consistency check of one mailbox: every message is in its
 * folder's indexes and nowhere else, folder counts and mailbox totals match
 * the messages, the folder tree is whole, large values exist.  With repair
 * it rewrites counts and totals and restores missing index entries.
 */
#include "lmdb_be.h"
#include "mh_props.h"

#include <stdarg.h>
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_tables.h>

typedef lbe_checker check;

void lbe_problem(lbe_checker *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *s = mh_vformat(c->t->pool, fmt, ap);
    va_end(ap);
    c->problems++;
    if (c->report)
        c->report(c->baton, s);
}
#define problem lbe_problem

typedef struct counts {
    uint32_t content, unread, fai, children;
    uint64_t bytes;
    mh_id parent;
    int loaded;
} counts;

static int exists(mh_txn *t, enum lbe_dbi d, lbe_key *k)
{
    MDB_val key = lk_val(k), v;
    return mdb_get(t->txn, lbe_dbi(t, d), &key, &v) == 0;
}

/* Every chunk of a large value is there. */
static int lval_check(void *baton, const mh_propval *v)
{
    check *c = baton;
    uint64_t chunks = v->v.large.size ? (v->v.large.size + LBE_CHUNK - 1) / LBE_CHUNK : 1;
    for (uint64_t i = 0; i < chunks; i++) {
        lbe_key k;
        lk_init(&k);
        lk_u32(&k, c->t->mr.mbx);
        lk_u64(&k, v->v.large.ref);
        lk_u32(&k, (uint32_t)i);
        if (!exists(c->t, DBI_LVALS, &k)) {
            problem(c, "value 0x%08x: large value %llu lacks chunk %llu", v->tag,
                    (unsigned long long)v->v.large.ref, (unsigned long long)i);
            break;
        }
    }
    return 0;
}

mh_err lbe_check(mh_txn *t, int repair, void (*report)(void *, const char *), void *baton,
                 uint32_t *problems_r, mh_error *err)
{
    mh_err e;
    if (!t->has_mailbox)
        return lbe_dir_check(t, repair, report, baton, problems_r, err);
    if ((e = lbe_need_mailbox(t, err)) != MH_OK)
        return e;
    if (repair && (e = lbe_need_write(t, err)) != MH_OK)
        return e;
    check c = {t, repair, report, baton, 0, 0};
    apr_pool_t *pool = t->pool;
    apr_hash_t *folders = apr_hash_make(pool); /* id -> counts */
    apr_array_header_t *msgs = apr_array_make(pool, 64, sizeof(mh_id));
    /* pass 1: collect folders and messages */
    MDB_cursor *cur;
    int rc = mdb_cursor_open(t->txn, lbe_dbi(t, DBI_OBJECTS), &cur);
    if (rc)
        return lbe_fail(err, pool, rc, "check");
    lbe_key pk;
    lk_init(&pk);
    lk_u32(&pk, t->mr.mbx);
    MDB_val k = lk_val(&pk), v;
    uint32_t folder_count = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 12 || memcmp(k.mv_data, pk.b, 4) != 0)
            break;
        mh_id id = mh_get_u64_be((uint8_t *)k.mv_data + 4);
        uint8_t kind = v.mv_size ? ((uint8_t *)v.mv_data)[0] : 0;
        if (kind == LBE_OBJ_FOLDER) {
            mh_id *key = apr_palloc(pool, sizeof(*key));
            *key = id;
            apr_hash_set(folders, key, sizeof(*key), apr_pcalloc(pool, sizeof(counts)));
            folder_count++;
        } else if (kind == LBE_OBJ_MESSAGE) {
            *(mh_id *)apr_array_push(msgs) = id;
        } else if (kind != LBE_OBJ_MAILBOX) {
            problem(&c, "object %llu has an unknown record kind %u", (unsigned long long)id, kind);
        }
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND)
        return lbe_fail(err, pool, rc, "check");
    /* pass 2: messages against their folders and indexes (each decoded in
     * a pool of its own: memory does not grow with the mailbox) */
    uint32_t message_count = 0;
    uint64_t message_bytes = 0;
    apr_pool_t *it;
    apr_pool_create(&it, pool);
    for (int i = 0; i < msgs->nelts; i++) {
        apr_pool_clear(it);
        mh_id id = ((mh_id *)msgs->elts)[i];
        lbe_message m;
        mh_error le;
        if (lbe_message_load(t, id, it, &m, &le) != MH_OK) {
            problem(&c, "message %llu: %s", (unsigned long long)id, le.detail);
            continue;
        }
        if (m.indexed) {
            /* the index of its values is what the message makes of it
             * (compared before any write of this transaction: the record
             * is read in place) */
            mh_wr w;
            mh_wr_init(&w, it, m.tree_len + 64);
            mh_message_encode_indexed(&w, m.msg);
            const unsigned char *from = m.ix.tags - 4;
            if (w.len != (size_t)(m.tree + m.tree_len - from) || memcmp(w.buf, from, w.len)) {
                problem(&c, "message %llu: the index of its values does not match them",
                        (unsigned long long)id);
                mh_error se;
                if (repair && lbe_message_store(t, &m, &se) != MH_OK) {
                    apr_pool_destroy(it);
                    return mh_fail(err, pool, se.code, "repair: %s", se.detail);
                }
            }
        }
        counts *fc = apr_hash_get(folders, &m.folder, sizeof(mh_id));
        if (!fc) {
            problem(&c, "message %llu is in folder %llu, which does not exist",
                    (unsigned long long)id, (unsigned long long)m.folder);
            continue;
        }
        message_count++;
        message_bytes += m.size;
        if (m.fai)
            fc->fai++;
        else {
            fc->content++;
            if (!m.read)
                fc->unread++;
        }
        fc->bytes += m.size;
        lbe_key ck;
        lk_init(&ck);
        lk_u32(&ck, t->mr.mbx);
        lk_u64(&ck, m.folder);
        lk_u8(&ck, (uint8_t)m.fai);
        lk_u64(&ck, id);
        if (!exists(t, DBI_CONTENTS, &ck)) {
            problem(&c, "message %llu is missing from its folder's contents index",
                    (unsigned long long)id);
            if (repair && (rc = lbe_put(t, DBI_CONTENTS, &ck, "", 0))) {
                apr_pool_destroy(it);
                return lbe_fail(err, pool, rc, "repair");
            }
        }
        lbe_walk_large(m.msg, lval_check, &c);
        unsigned sx = lbe_sortidx_verify(t, &m, it);
        if (sx & LBE_SORTIDX_MISSING)
            problem(&c, "message %llu is missing from a sort index of its folder",
                    (unsigned long long)id);
        if (sx & LBE_SORTIDX_SUMMARY)
            problem(&c, "message %llu: a sort index entry's summary does not match the message",
                    (unsigned long long)id);
        if (repair && (rc = lbe_sortidx_update(t, &m, 1))) {
            apr_pool_destroy(it);
            return lbe_fail(err, pool, rc, "repair");
        }
    }
    /* pass 3: folders: tree and counts */
    uint32_t roots = 0;
    for (apr_hash_index_t *hi = apr_hash_first(pool, folders); hi; hi = apr_hash_next(hi)) {
        const mh_id *id = apr_hash_this_key(hi);
        lbe_folder f;
        mh_error le;
        apr_pool_clear(it);
        if (lbe_folder_load(t, *id, it, &f, &le) != MH_OK) {
            problem(&c, "folder %llu: %s", (unsigned long long)*id, le.detail);
            continue;
        }
        counts *self = apr_hash_this_val(hi);
        self->parent = f.parent;
        self->loaded = 1;
        if (!f.parent) {
            roots++;
        } else {
            counts *pc = apr_hash_get(folders, &f.parent, sizeof(mh_id));
            if (!pc)
                problem(&c, "folder %llu has a parent %llu that does not exist",
                        (unsigned long long)*id, (unsigned long long)f.parent);
            else
                pc->children++;
        }
    }
    /* every folder reaches the root: no cycles in the tree */
    for (apr_hash_index_t *hi = apr_hash_first(pool, folders); hi; hi = apr_hash_next(hi)) {
        const mh_id *id = apr_hash_this_key(hi);
        const counts *fc = apr_hash_this_val(hi);
        uint32_t steps = 0;
        while (fc && fc->loaded && fc->parent && steps <= folder_count) {
            fc = apr_hash_get(folders, &fc->parent, sizeof(mh_id));
            steps++;
        }
        if (steps > folder_count)
            problem(&c, "folder %llu is in a cycle of parents, not under the root",
                    (unsigned long long)*id);
    }
    for (apr_hash_index_t *hi = apr_hash_first(pool, folders); hi; hi = apr_hash_next(hi)) {
        const mh_id *id = apr_hash_this_key(hi);
        counts *fc = apr_hash_this_val(hi);
        lbe_folder f;
        mh_error le;
        apr_pool_clear(it);
        if (lbe_folder_load(t, *id, it, &f, &le) != MH_OK)
            continue;
        if (f.content != fc->content || f.unread != fc->unread || f.fai != fc->fai ||
            f.children != fc->children || f.bytes != fc->bytes) {
            problem(&c, "folder %llu counts %u/%u/%u/%u/%llu, found %u/%u/%u/%u/%llu "
                        "(messages/unread/associated/subfolders/bytes)",
                    (unsigned long long)*id, f.content, f.unread, f.fai, f.children,
                    (unsigned long long)f.bytes, fc->content, fc->unread, fc->fai,
                    fc->children, (unsigned long long)fc->bytes);
            if (repair) {
                f.content = fc->content;
                f.unread = fc->unread;
                f.fai = fc->fai;
                f.children = fc->children;
                f.bytes = fc->bytes;
                if ((e = lbe_folder_store(t, &f, err)) != MH_OK) {
                    apr_pool_destroy(it);
                    return e;
                }
            }
        }
    }
    apr_pool_destroy(it);
    if (folder_count && roots != 1)
        problem(&c, "the mailbox has %u root folders", roots);
    if (t->mr.message_count != message_count || t->mr.message_bytes != message_bytes ||
        t->mr.folder_count != folder_count) {
        problem(&c, "mailbox totals %u messages, %llu bytes, %u folders; found %u, %llu, %u",
                t->mr.message_count, (unsigned long long)t->mr.message_bytes, t->mr.folder_count,
                message_count, (unsigned long long)message_bytes, folder_count);
        if (repair) {
            t->mr.message_count = message_count;
            t->mr.message_bytes = message_bytes;
            t->mr.folder_count = folder_count;
            t->mr_dirty = 1;
        }
    }
    /* index entries pointing at nothing */
    rc = mdb_cursor_open(t->txn, lbe_dbi(t, DBI_CONTENTS), &cur);
    if (rc)
        return lbe_fail(err, pool, rc, "check");
    k = lk_val(&pk);
    apr_array_header_t *stale = apr_array_make(pool, 4, sizeof(lbe_key));
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 21 || memcmp(k.mv_data, pk.b, 4) != 0)
            break;
        mh_id id = mh_get_u64_be((uint8_t *)k.mv_data + 13);
        if (lbe_object_kind(t, id) != LBE_OBJ_MESSAGE) {
            problem(&c, "the contents index lists message %llu, which does not exist",
                    (unsigned long long)id);
            lbe_key *sk = apr_array_push(stale);
            lk_init(sk);
            lk_bytes(sk, k.mv_data, k.mv_size);
        }
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND)
        return lbe_fail(err, pool, rc, "check the contents index");
    for (int i = 0; repair && i < stale->nelts; i++)
        if ((rc = lbe_del(t, DBI_CONTENTS, &((lbe_key *)stale->elts)[i])))
            return lbe_fail(err, pool, rc, "repair");
    *problems_r = c.problems;
    return MH_OK;
}
