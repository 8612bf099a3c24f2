/*
 * lmdb_dir.c - the directory: users, distribution lists and contacts, with
 * indexes by login, SMTP address, legacy DN, display name (the global
 * address list order) and name tokens (ambiguous name resolution).
 *
 * Record (dir): u8 version 1, u8 type, u8 flags (1 mailbox, 2 disabled),
 * strings login, display name, smtp, u32 n + aliases, legacy DN, 16-byte
 * mailbox GUID, strings server, password hash, then a property list.
 * Strings are u32 length + bytes; 0xFFFFFFFF stands for none.
 */
#include "lmdb_be.h"
#include "mapihttp/fold.h"
#include "mh_oxcdata.h"
#include "mh_props.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_tables.h>

#define NONE 0xFFFFFFFFu
#define TOKEN_MAX 200
#define SEARCH_SCAN_MAX 50000

static void wr_str(mh_wr *w, const char *s)
{
    if (!s) {
        mh_wr_u32(w, NONE);
        return;
    }
    uint32_t n = (uint32_t)strlen(s);
    mh_wr_u32(w, n);
    mh_wr_bytes(w, s, n);
}

static const char *rd_str(mh_rd *rd, apr_pool_t *pool)
{
    uint32_t n = mh_rd_u32(rd);
    if (n == NONE || rd->err)
        return NULL;
    const unsigned char *p = mh_rd_bytes(rd, n);
    return p ? apr_pstrmemdup(pool, (const char *)p, n) : NULL;
}

static void idkey(lbe_key *k, uint32_t id)
{
    lk_init(k);
    lk_u32(k, id);
}

mh_err lbe_dir_load(mh_txn *t, uint32_t id, apr_pool_t *pool, mh_dir_entry *e,
                    const char **hash_r, mh_error *err)
{
    lbe_key k;
    idkey(&k, id);
    MDB_val key = lk_val(&k), v;
    int rc = mdb_get(t->txn, lbe_dbi(t, DBI_DIR), &key, &v);
    if (rc == MDB_NOTFOUND)
        return mh_fail(err, pool, MH_E_NOT_FOUND, "no directory entry %u", id);
    if (rc)
        return lbe_fail(err, pool, rc, "read a directory entry");
    mh_rd rd;
    mh_rd_init(&rd, v.mv_data, v.mv_size);
    memset(e, 0, sizeof(*e));
    if (mh_rd_u8(&rd) != 1)
        return mh_fail(err, pool, MH_E_CORRUPT, "directory entry %u: unknown version", id);
    e->id = id;
    e->type = (mh_dir_type)mh_rd_u8(&rd);
    uint8_t flags = mh_rd_u8(&rd);
    e->has_mailbox = (flags & 1) != 0;
    e->disabled = (flags & 2) != 0;
    e->login = rd_str(&rd, pool);
    e->display_name = rd_str(&rd, pool);
    e->smtp = rd_str(&rd, pool);
    uint32_t na = mh_rd_u32(&rd);
    if (rd.err || na > mh_rd_left(&rd) / 4)
        return mh_fail(err, pool, MH_E_CORRUPT, "directory entry %u: damaged", id);
    const char **al = apr_pcalloc(pool, sizeof(char *) * (na ? na : 1));
    for (uint32_t i = 0; i < na; i++)
        al[i] = rd_str(&rd, pool);
    e->n_aliases = na;
    e->aliases = al;
    e->legacy_dn = rd_str(&rd, pool);
    mh_rd_copy(&rd, e->mailbox.b, 16);
    e->server = rd_str(&rd, pool);
    const char *hash = rd_str(&rd, pool);
    int strings_ok = e->display_name && e->legacy_dn && (e->type != MH_DIR_USER || e->login);
    for (uint32_t i = 0; i < na; i++)
        strings_ok = strings_ok && al[i];
    if (mh_proplist_decode(&rd, pool, &e->props) != 0 || (mh_rd_expect_end(&rd), rd.err) ||
        !strings_ok)
        return mh_fail(err, pool, MH_E_CORRUPT, "directory entry %u: damaged", id);
    if (hash_r)
        *hash_r = hash;
    return MH_OK;
}

mh_err lbe_dir_get(mh_txn *t, uint32_t id, apr_pool_t *pool, mh_dir_entry *e, mh_error *err)
{
    return lbe_dir_load(t, id, pool, e, NULL, err);
}

static enum lbe_dbi key_dbi(mh_dir_key by)
{
    return by == MH_DIR_BY_LOGIN ? DBI_DIR_LOGIN
           : by == MH_DIR_BY_SMTP ? DBI_DIR_SMTP
                                  : DBI_DIR_DN;
}

/* The ID an index maps a folded key to (0: none). */
static uint32_t index_get(mh_txn *t, enum lbe_dbi d, const char *folded)
{
    lbe_key k;
    lk_init(&k);
    lk_bytes(&k, folded, strlen(folded));
    MDB_val key = lk_val(&k), v;
    if (mdb_get(t->txn, lbe_dbi(t, d), &key, &v) != 0 || v.mv_size != 4)
        return 0;
    return mh_get_u32_be(v.mv_data);
}

mh_err lbe_dir_find(mh_txn *t, mh_dir_key by, const char *key, apr_pool_t *pool,
                    mh_dir_entry *e, mh_error *err)
{
    if (!key || !*key || (by != MH_DIR_BY_LOGIN && by != MH_DIR_BY_SMTP &&
                          by != MH_DIR_BY_LEGACY_DN))
        return mh_fail(err, pool, MH_E_INVALID, "bad directory lookup");
    uint32_t id = index_get(t, key_dbi(by), lbe_fold(pool, key, LBE_NAMEKEY_MAX));
    if (!id)
        return mh_fail(err, pool, MH_E_NOT_FOUND, "no directory entry for '%s'", key);
    return lbe_dir_load(t, id, pool, e, NULL, err);
}

const char *lbe_fold_name(apr_pool_t *pool, const char *s, size_t max)
{
    size_t len = strlen(s), cap = MH_FOLD_SIZE(len);
    if (cap > max + 1)
        cap = max + 1;
    char *o = apr_palloc(pool, cap);
    mh_fold_utf8(s, o, cap);
    return o;
}

/* dir_name key: folded display name (mapihttp/fold.h: the first level of
 * the address book's order), 0, id (at most MH_CURSOR_MAX bytes) */
static void namekey(lbe_key *k, apr_pool_t *pool, const char *display, uint32_t id)
{
    const char *f = lbe_fold_name(pool, display, LBE_GALKEY_MAX);
    lk_init(k);
    lk_bytes(k, f, strlen(f));
    lk_u8(k, 0);
    lk_u32(k, id);
}

mh_err lbe_dir_list(mh_txn *t, const mh_cursor *after, uint32_t max, apr_pool_t *pool,
                    mh_dir_entry **entries_r, uint32_t *n_r, mh_cursor *next_r, mh_error *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, lbe_dbi(t, DBI_DIR_NAME), &c);
    if (rc)
        return lbe_fail(err, pool, rc, "list the directory");
    mh_dir_entry *out = apr_pcalloc(pool, sizeof(*out) * (max ? max : 1));
    uint32_t n = 0;
    MDB_val k, v;
    if (after && after->len) {
        k.mv_size = after->len;
        k.mv_data = (void *)after->key;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        if (rc == 0 && k.mv_size == after->len && memcmp(k.mv_data, after->key, k.mv_size) == 0)
            rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    } else {
        rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
    }
    next_r->len = 0;
    mh_err e = MH_OK;
    for (; rc == 0 && n < max; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < 5)
            continue;
        uint32_t id = mh_get_u32_be((uint8_t *)k.mv_data + k.mv_size - 4);
        if ((e = lbe_dir_load(t, id, pool, &out[n], NULL, err)) != MH_OK)
            break;
        n++;
        if (k.mv_size <= MH_CURSOR_MAX) {
            next_r->len = (uint32_t)k.mv_size;
            memcpy(next_r->key, k.mv_data, k.mv_size);
        }
    }
    mdb_cursor_close(c);
    if (e != MH_OK)
        return e;
    /* the loop stepped past the last entry it returned: NOTFOUND there
     * means the list ended, and there is nothing to continue from */
    if (rc == MDB_NOTFOUND)
        next_r->len = 0;
    else if (rc)
        return lbe_fail(err, pool, rc, "list the directory");
    *entries_r = out;
    *n_r = n;
    return MH_OK;
}

mh_err lbe_dir_count(mh_txn *t, uint32_t *n_r, mh_error *err)
{
    MDB_stat st;
    int rc = mdb_stat(t->txn, lbe_dbi(t, DBI_DIR), &st);
    if (rc)
        return lbe_fail(err, t->pool, rc, "count the directory");
    *n_r = (uint32_t)st.ms_entries;
    return MH_OK;
}

static int cmp_entries(const void *a, const void *b)
{
    const mh_dir_entry *x = a, *y = b;
    int c = mh_str_collate(x->display_name, y->display_name);
    if (c)
        return c;
    return x->id < y->id ? -1 : x->id > y->id;
}

mh_err lbe_dir_search(mh_txn *t, const char *prefix, uint32_t max, apr_pool_t *pool,
                      mh_dir_entry **entries_r, uint32_t *n_r, mh_error *err)
{
    const char *f = lbe_fold_name(pool, prefix ? prefix : "", TOKEN_MAX);
    size_t flen = strlen(f);
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, lbe_dbi(t, DBI_DIR_ANR), &c);
    if (rc)
        return lbe_fail(err, pool, rc, "search the directory");
    apr_hash_t *seen = apr_hash_make(pool);
    MDB_val k = {flen, (void *)f}, v;
    unsigned scanned = 0;
    for (rc = flen ? mdb_cursor_get(c, &k, &v, MDB_SET_RANGE) : mdb_cursor_get(c, &k, &v, MDB_FIRST);
         rc == 0 && scanned < SEARCH_SCAN_MAX; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT), scanned++) {
        if (k.mv_size < flen + 5 || memcmp(k.mv_data, f, flen) != 0)
            break;
        uint32_t *id = apr_palloc(pool, sizeof(*id));
        *id = mh_get_u32_be((uint8_t *)k.mv_data + k.mv_size - 4);
        apr_hash_set(seen, id, sizeof(*id), id);
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND)
        return lbe_fail(err, pool, rc, "search the directory");
    uint32_t total = apr_hash_count(seen), n = 0;
    mh_dir_entry *all = apr_pcalloc(pool, sizeof(*all) * (total ? total : 1));
    for (apr_hash_index_t *hi = apr_hash_first(pool, seen); hi; hi = apr_hash_next(hi)) {
        const uint32_t *id = apr_hash_this_key(hi);
        mh_err e = lbe_dir_load(t, *id, pool, &all[n], NULL, err);
        if (e != MH_OK)
            return e;
        n++;
    }
    qsort(all, n, sizeof(*all), cmp_entries);
    *entries_r = all;
    *n_r = n < max ? n : max;
    return MH_OK;
}

mh_err lbe_dir_members(mh_txn *t, uint32_t group, apr_pool_t *pool, uint32_t **ids_r,
                       uint32_t *n_r, mh_error *err)
{
    mh_dir_entry g;
    mh_err e = lbe_dir_load(t, group, pool, &g, NULL, err);
    if (e != MH_OK)
        return e;
    if (g.type != MH_DIR_GROUP)
        return mh_fail(err, pool, MH_E_INVALID, "entry %u is not a distribution list", group);
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, lbe_dbi(t, DBI_DIR_MEMBERS), &c);
    if (rc)
        return lbe_fail(err, pool, rc, "list members");
    lbe_key pk;
    idkey(&pk, group);
    MDB_val k = lk_val(&pk), v;
    apr_array_header_t *ids = apr_array_make(pool, 16, sizeof(uint32_t));
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8 || mh_get_u32_be(k.mv_data) != group)
            break;
        *(uint32_t *)apr_array_push(ids) = mh_get_u32_be((uint8_t *)k.mv_data + 4);
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND)
        return lbe_fail(err, pool, rc, "list members");
    *ids_r = (uint32_t *)ids->elts;
    *n_r = (uint32_t)ids->nelts;
    return MH_OK;
}

mh_err lbe_dir_password(mh_txn *t, const char *login, apr_pool_t *pool, const char **hash_r,
                        mh_error *err)
{
    if (!login || !*login)
        return mh_fail(err, pool, MH_E_NOT_FOUND, "no login");
    uint32_t id = index_get(t, DBI_DIR_LOGIN, lbe_fold(pool, login, LBE_NAMEKEY_MAX));
    if (!id)
        return mh_fail(err, pool, MH_E_NOT_FOUND, "no user '%s'", login);
    mh_dir_entry e;
    const char *hash = NULL;
    mh_err r = lbe_dir_load(t, id, pool, &e, &hash, err);
    if (r != MH_OK)
        return r;
    if (e.disabled)
        return mh_fail(err, pool, MH_E_PERMISSION, "user '%s' is disabled", login);
    if (!hash || !*hash)
        return mh_fail(err, pool, MH_E_NOT_FOUND, "user '%s' has no password", login);
    *hash_r = hash;
    return MH_OK;
}

/* --------------------------------------------------------- generation */

static MDB_val gen_key(void)
{
    MDB_val k = {7, "dir_gen"};
    return k;
}

mh_err lbe_dir_generation(mh_txn *t, uint64_t *gen_r, mh_error *err)
{
    MDB_val k = gen_key(), v;
    int rc = mdb_get(t->txn, lbe_dbi(t, DBI_META), &k, &v);
    if (rc == MDB_NOTFOUND) {
        *gen_r = 0; /* a store no directory write has touched since dir_gen came */
        return MH_OK;
    }
    if (rc)
        return lbe_fail(err, t->pool, rc, "read the directory generation");
    if (v.mv_size != 8)
        return mh_fail(err, t->pool, MH_E_CORRUPT, "the directory generation is damaged");
    *gen_r = mh_get_u64_be(v.mv_data);
    return MH_OK;
}

int lbe_dir_bump(mh_txn *t)
{
    MDB_val k = gen_key(), v;
    uint64_t g = 0;
    int rc = mdb_get(t->txn, lbe_dbi(t, DBI_META), &k, &v);
    if (rc == 0 && v.mv_size == 8)
        g = mh_get_u64_be(v.mv_data);
    else if (rc && rc != MDB_NOTFOUND)
        return rc;
    uint8_t b[8];
    mh_put_u64_be(b, g + 1);
    MDB_val nv = {8, b};
    return mdb_put(t->txn, lbe_dbi(t, DBI_META), &k, &nv, 0);
}

/* ------------------------------------------------------------- writing */

/* Adds a token for `s` from each of its words on: "Ada Lovelace King" is
 * found by "ada l", "lovelace k" and "king". */
static void add_words(apr_array_header_t *a, apr_pool_t *pool, const char *s)
{
    const char *seps = " ,.-_'()";
    for (const char *p = s; p && *p;) {
        while (*p && strchr(seps, *p))
            p++;
        if (!*p)
            break;
        *(const char **)apr_array_push(a) = lbe_fold_name(pool, p, TOKEN_MAX);
        while (*p && !strchr(seps, *p))
            p++;
    }
}

/* A string value of the entry's further properties, or NULL. */
static const char *prop_str(const mh_dir_entry *e, uint16_t id)
{
    for (uint32_t i = 0; i < e->props.n; i++)
        if (MH_TAG_ID(e->props.v[i].tag) == id &&
            (MH_TAG_TYPE(e->props.v[i].tag) == PT_UNICODE ||
             MH_TAG_TYPE(e->props.v[i].tag) == PT_STRING8))
            return e->props.v[i].v.str;
    return NULL;
}

/*
 * The ANR tokens of an entry (folded with mapihttp/fold.h, duplicates
 * possible: the keys absorb them): the display name, the given name
 * (PidTagGivenName) and the surname (PidTagSurname) from each word on, the
 * login, every SMTP address whole and its local part.
 */
static apr_array_header_t *anr_tokens(apr_pool_t *pool, const mh_dir_entry *e)
{
    apr_array_header_t *a = apr_array_make(pool, 8, sizeof(const char *));
#define ADD(s) (*(const char **)apr_array_push(a) = lbe_fold_name(pool, (s), TOKEN_MAX))
    add_words(a, pool, e->display_name);
    add_words(a, pool, prop_str(e, 0x3A06)); /* PidTagGivenName */
    add_words(a, pool, prop_str(e, 0x3A11)); /* PidTagSurname */
    if (e->login)
        ADD(e->login);
    const char *addrs[1 + 64];
    uint32_t na = 0;
    if (e->smtp)
        addrs[na++] = e->smtp;
    for (uint32_t i = 0; i < e->n_aliases && na < 65; i++)
        addrs[na++] = e->aliases[i];
    for (uint32_t i = 0; i < na; i++) {
        ADD(addrs[i]);
        const char *at = strchr(addrs[i], '@');
        if (at && at > addrs[i])
            ADD(apr_pstrmemdup(pool, addrs[i], (size_t)(at - addrs[i])));
    }
#undef ADD
    return a;
}

static int key_put_id(mh_txn *t, enum lbe_dbi d, const char *folded, uint32_t id)
{
    lbe_key k;
    lk_init(&k);
    lk_bytes(&k, folded, strlen(folded));
    uint8_t v[4] = {(uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id};
    return lbe_put(t, d, &k, v, 4);
}

static int key_del(mh_txn *t, enum lbe_dbi d, const char *folded)
{
    lbe_key k;
    lk_init(&k);
    lk_bytes(&k, folded, strlen(folded));
    return lbe_del(t, d, &k);
}

static int token_key(lbe_key *k, const char *folded, uint32_t id)
{
    lk_init(k);
    lk_bytes(k, folded, strlen(folded));
    lk_u8(k, 0);
    lk_u32(k, id);
    return 0;
}

/* Adds (add) or removes an entry's keys in the folded-name indexes (the
 * GAL order and the name search). */
static int index_names(mh_txn *t, apr_pool_t *pool, const mh_dir_entry *e, int add)
{
    int rc;
    lbe_key k;
    namekey(&k, pool, e->display_name, e->id);
    if ((rc = add ? lbe_put(t, DBI_DIR_NAME, &k, "", 0) : lbe_del(t, DBI_DIR_NAME, &k)))
        return rc;
    apr_array_header_t *tok = anr_tokens(pool, e);
    for (int i = 0; i < tok->nelts; i++) {
        const char *s = ((const char **)tok->elts)[i];
        if (!*s)
            continue;
        token_key(&k, s, e->id);
        if ((rc = add ? lbe_put(t, DBI_DIR_ANR, &k, "", 0) : lbe_del(t, DBI_DIR_ANR, &k)))
            return rc;
    }
    return 0;
}

/* Adds (add) or removes the index entries of an entry. */
static int index_entry(mh_txn *t, apr_pool_t *pool, const mh_dir_entry *e, int add)
{
    int rc = 0;
    if (e->login && *e->login) {
        const char *f = lbe_fold(pool, e->login, LBE_NAMEKEY_MAX);
        rc = add ? key_put_id(t, DBI_DIR_LOGIN, f, e->id) : key_del(t, DBI_DIR_LOGIN, f);
        if (rc)
            return rc;
    }
    const char *addrs[65];
    uint32_t na = 0;
    if (e->smtp && *e->smtp)
        addrs[na++] = e->smtp;
    for (uint32_t i = 0; i < e->n_aliases && na < 65; i++)
        addrs[na++] = e->aliases[i];
    for (uint32_t i = 0; i < na; i++) {
        const char *f = lbe_fold(pool, addrs[i], LBE_NAMEKEY_MAX);
        if ((rc = add ? key_put_id(t, DBI_DIR_SMTP, f, e->id) : key_del(t, DBI_DIR_SMTP, f)))
            return rc;
    }
    if (e->legacy_dn && *e->legacy_dn) {
        const char *f = lbe_fold(pool, e->legacy_dn, LBE_NAMEKEY_MAX);
        if ((rc = add ? key_put_id(t, DBI_DIR_DN, f, e->id) : key_del(t, DBI_DIR_DN, f)))
            return rc;
    }
    return index_names(t, pool, e, add);
}

mh_err lbe_dir_reindex_names(mh_txn *t, mh_error *err)
{
    int rc;
    if ((rc = mdb_drop(t->txn, lbe_dbi(t, DBI_DIR_NAME), 0)) ||
        (rc = mdb_drop(t->txn, lbe_dbi(t, DBI_DIR_ANR), 0)))
        return lbe_fail(err, t->pool, rc, "clear the name indexes");
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(t->txn, lbe_dbi(t, DBI_DIR), &cur)))
        return lbe_fail(err, t->pool, rc, "re-index the directory");
    apr_pool_t *iter;
    apr_pool_create(&iter, t->pool);
    MDB_val k, v;
    mh_err e = MH_OK;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        apr_pool_clear(iter);
        mh_dir_entry ent;
        mh_error ie;
        /* a damaged entry is left to the check (mapihttp-admin check) */
        if (k.mv_size != 4 || lbe_dir_load(t, mh_get_u32_be(k.mv_data), iter, &ent, NULL, &ie))
            continue;
        if ((rc = index_names(t, iter, &ent, 1)))
            break;
    }
    mdb_cursor_close(cur);
    apr_pool_destroy(iter);
    if (rc == MDB_NOTFOUND)
        rc = lbe_dir_bump(t); /* what dir_search answers changed */
    if (rc)
        e = lbe_fail(err, t->pool, rc, "re-index the directory");
    return e;
}

/* Whether a folded key of an index belongs to an entry other than id. */
static int taken(mh_txn *t, enum lbe_dbi d, apr_pool_t *pool, const char *s, uint32_t id)
{
    if (!s || !*s)
        return 0;
    uint32_t owner = index_get(t, d, lbe_fold(pool, s, LBE_NAMEKEY_MAX));
    return owner && owner != id;
}

mh_err lbe_dir_put(mh_txn *t, const mh_dir_entry *in, const char *password_hash,
                   uint32_t *id_r, mh_error *err)
{
    apr_pool_t *pool = t->pool;
    mh_err e;
    if ((e = lbe_need_write(t, err)) != MH_OK)
        return e;
    if (in->type != MH_DIR_USER && in->type != MH_DIR_GROUP && in->type != MH_DIR_CONTACT)
        return mh_fail(err, pool, MH_E_INVALID, "unknown directory entry type %d", in->type);
    if (!in->display_name || !*in->display_name)
        return mh_fail(err, pool, MH_E_INVALID, "a directory entry needs a display name");
    if (!in->legacy_dn || !*in->legacy_dn)
        return mh_fail(err, pool, MH_E_INVALID, "a directory entry needs a legacy DN");
    if (in->type == MH_DIR_USER && (!in->login || !*in->login))
        return mh_fail(err, pool, MH_E_INVALID, "a user needs a login");
    if (in->n_aliases > 64)
        return mh_fail(err, pool, MH_E_INVALID, "at most 64 aliases");
    if (in->n_aliases && !in->aliases)
        return mh_fail(err, pool, MH_E_INVALID, "aliases missing");
    for (uint32_t i = 0; i < in->n_aliases; i++)
        if (!in->aliases[i] || !*in->aliases[i])
            return mh_fail(err, pool, MH_E_INVALID, "alias %u is empty", i);
    if (in->smtp && !*in->smtp)
        return mh_fail(err, pool, MH_E_INVALID, "an empty address (give none instead)");
    if (in->login && !*in->login)
        return mh_fail(err, pool, MH_E_INVALID, "an empty login (give none instead)");
    uint32_t id = in->id;
    const char *old_hash = NULL;
    mh_dir_entry old;
    int have_old = 0;
    if (id) {
        if ((e = lbe_dir_load(t, id, pool, &old, &old_hash, err)) != MH_OK)
            return e;
        have_old = 1;
    }
    /* uniqueness of login, addresses, legacy DN */
    if (taken(t, DBI_DIR_LOGIN, pool, in->login, id))
        return mh_fail(err, pool, MH_E_EXISTS, "login '%s' is taken", in->login);
    if (taken(t, DBI_DIR_SMTP, pool, in->smtp, id))
        return mh_fail(err, pool, MH_E_EXISTS, "address '%s' is taken", in->smtp);
    for (uint32_t i = 0; i < in->n_aliases; i++)
        if (taken(t, DBI_DIR_SMTP, pool, in->aliases[i], id))
            return mh_fail(err, pool, MH_E_EXISTS, "address '%s' is taken", in->aliases[i]);
    if (taken(t, DBI_DIR_DN, pool, in->legacy_dn, id))
        return mh_fail(err, pool, MH_E_EXISTS, "legacy DN '%s' is taken", in->legacy_dn);
    int rc;
    if (!id) {
        if ((e = lbe_meta_next(t, "next_dir", &id, err)) != MH_OK)
            return e;
    } else if (have_old && (rc = index_entry(t, pool, &old, 0))) {
        return lbe_fail(err, pool, rc, "update directory indexes");
    }
    mh_dir_entry ne = *in;
    ne.id = id;
    const char *hash = password_hash ? password_hash : old_hash;
    if (hash && !*hash)
        hash = NULL;
    mh_wr w;
    mh_wr_init(&w, pool, 256);
    mh_wr_u8(&w, 1);
    mh_wr_u8(&w, (uint8_t)ne.type);
    mh_wr_u8(&w, (uint8_t)((ne.has_mailbox ? 1 : 0) | (ne.disabled ? 2 : 0)));
    wr_str(&w, ne.login);
    wr_str(&w, ne.display_name);
    wr_str(&w, ne.smtp);
    mh_wr_u32(&w, ne.n_aliases);
    for (uint32_t i = 0; i < ne.n_aliases; i++)
        wr_str(&w, ne.aliases[i]);
    wr_str(&w, ne.legacy_dn);
    mh_wr_bytes(&w, ne.mailbox.b, 16);
    wr_str(&w, ne.server);
    wr_str(&w, hash);
    mh_proplist_encode(&w, &ne.props);
    lbe_key k;
    idkey(&k, id);
    if ((rc = lbe_put(t, DBI_DIR, &k, w.buf, w.len)) || (rc = index_entry(t, pool, &ne, 1)) ||
        (rc = lbe_dir_bump(t)))
        return lbe_fail(err, pool, rc, "write a directory entry");
    *id_r = id;
    return MH_OK;
}

static int del_links(mh_txn *t, enum lbe_dbi d, enum lbe_dbi mirror, uint32_t id)
{
    /* d: (id, other) -> ""; mirror: (other, id) -> "" */
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, lbe_dbi(t, d), &c);
    if (rc)
        return rc;
    lbe_key pk;
    idkey(&pk, id);
    MDB_val k, v;
    /* seek afresh after each delete (see lbe_del_prefix) */
    for (;;) {
        k = lk_val(&pk);
        if ((rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)))
            break;
        if (k.mv_size != 8 || mh_get_u32_be(k.mv_data) != id)
            break;
        uint32_t other = mh_get_u32_be((uint8_t *)k.mv_data + 4);
        lbe_key mk;
        lk_init(&mk);
        lk_u32(&mk, other);
        lk_u32(&mk, id);
        if ((rc = lbe_del(t, mirror, &mk)) || (rc = mdb_cursor_del(c, 0)))
            break;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

mh_err lbe_dir_delete(mh_txn *t, uint32_t id, mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_write(t, err)) != MH_OK)
        return e;
    mh_dir_entry old;
    if ((e = lbe_dir_load(t, id, t->pool, &old, NULL, err)) != MH_OK)
        return e;
    int rc;
    lbe_key k;
    idkey(&k, id);
    if ((rc = index_entry(t, t->pool, &old, 0)) ||
        (rc = del_links(t, DBI_DIR_MEMBERS, DBI_DIR_MEMBEROF, id)) ||
        (rc = del_links(t, DBI_DIR_MEMBEROF, DBI_DIR_MEMBERS, id)) ||
        (rc = lbe_del(t, DBI_DIR, &k)) || (rc = lbe_dir_bump(t)))
        return lbe_fail(err, t->pool, rc, "delete a directory entry");
    return MH_OK;
}

mh_err lbe_dir_set_members(mh_txn *t, uint32_t group, const uint32_t *ids, uint32_t n,
                           mh_error *err)
{
    mh_err e;
    if ((e = lbe_need_write(t, err)) != MH_OK)
        return e;
    mh_dir_entry g;
    if ((e = lbe_dir_load(t, group, t->pool, &g, NULL, err)) != MH_OK)
        return e;
    if (g.type != MH_DIR_GROUP)
        return mh_fail(err, t->pool, MH_E_INVALID, "entry %u is not a distribution list", group);
    for (uint32_t i = 0; i < n; i++) {
        mh_dir_entry m;
        if ((e = lbe_dir_load(t, ids[i], t->pool, &m, NULL, err)) != MH_OK)
            return e;
    }
    int rc = del_links(t, DBI_DIR_MEMBERS, DBI_DIR_MEMBEROF, group);
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        lbe_key a, b;
        lk_init(&a);
        lk_u32(&a, group);
        lk_u32(&a, ids[i]);
        lk_init(&b);
        lk_u32(&b, ids[i]);
        lk_u32(&b, group);
        if (!(rc = lbe_put(t, DBI_DIR_MEMBERS, &a, "", 0)))
            rc = lbe_put(t, DBI_DIR_MEMBEROF, &b, "", 0);
    }
    if (!rc)
        rc = lbe_dir_bump(t);
    return rc ? lbe_fail(err, t->pool, rc, "set members") : MH_OK;
}

/* ------------------------------------------------------------- checking */

static int dir_exists(mh_txn *t, uint32_t id)
{
    lbe_key k;
    idkey(&k, id);
    MDB_val key = lk_val(&k), v;
    return mdb_get(t->txn, lbe_dbi(t, DBI_DIR), &key, &v) == 0;
}

static int key_exists(mh_txn *t, enum lbe_dbi d, lbe_key *k)
{
    MDB_val key = lk_val(k), v;
    return mdb_get(t->txn, lbe_dbi(t, d), &key, &v) == 0;
}

/* Whether every index entry an entry should have is there. */
static int entry_indexed(mh_txn *t, apr_pool_t *pool, const mh_dir_entry *e, const char **what)
{
    if (e->login && *e->login &&
        index_get(t, DBI_DIR_LOGIN, lbe_fold(pool, e->login, LBE_NAMEKEY_MAX)) != e->id)
        return (*what = "login"), 0;
    if (e->smtp && *e->smtp &&
        index_get(t, DBI_DIR_SMTP, lbe_fold(pool, e->smtp, LBE_NAMEKEY_MAX)) != e->id)
        return (*what = "address"), 0;
    for (uint32_t i = 0; i < e->n_aliases; i++)
        if (index_get(t, DBI_DIR_SMTP, lbe_fold(pool, e->aliases[i], LBE_NAMEKEY_MAX)) != e->id)
            return (*what = "alias"), 0;
    if (index_get(t, DBI_DIR_DN, lbe_fold(pool, e->legacy_dn, LBE_NAMEKEY_MAX)) != e->id)
        return (*what = "legacy DN"), 0;
    lbe_key k;
    namekey(&k, pool, e->display_name, e->id);
    if (!key_exists(t, DBI_DIR_NAME, &k))
        return (*what = "address list"), 0;
    apr_array_header_t *tok = anr_tokens(pool, e);
    for (int i = 0; i < tok->nelts; i++) {
        const char *s = APR_ARRAY_IDX(tok, i, const char *);
        if (!*s)
            continue;
        token_key(&k, s, e->id);
        if (!key_exists(t, DBI_DIR_ANR, &k))
            return (*what = "name search"), 0;
    }
    return 1;
}

/* Index entries pointing at entries that do not exist.  `tail`: the ID is
 * the key's last 4 bytes (else the value). */
static void check_index(lbe_checker *c, enum lbe_dbi d, const char *name, int tail)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(c->t->txn, lbe_dbi(c->t, d), &cur);
    if (rc) {
        c->rc = rc;
        return;
    }
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint32_t id = 0;
        if (tail && k.mv_size >= 4)
            id = mh_get_u32_be((uint8_t *)k.mv_data + k.mv_size - 4);
        else if (!tail && v.mv_size == 4)
            id = mh_get_u32_be(v.mv_data);
        if (id && dir_exists(c->t, id))
            continue;
        lbe_problem(c, "directory %s index: an entry for missing directory entry %u", name, id);
        if (c->repair && (rc = mdb_cursor_del(cur, 0)) != 0)
            break;
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND)
        c->rc = rc;
}

/* Membership links: both ends exist, and each link has its mirror. */
static void check_links(lbe_checker *c, enum lbe_dbi d, enum lbe_dbi mirror, const char *name)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(c->t->txn, lbe_dbi(c->t, d), &cur);
    if (rc) {
        c->rc = rc;
        return;
    }
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8) {
            lbe_problem(c, "directory %s: a malformed key", name);
            continue;
        }
        uint32_t a = mh_get_u32_be(k.mv_data), b = mh_get_u32_be((uint8_t *)k.mv_data + 4);
        lbe_key mk;
        lk_init(&mk);
        lk_u32(&mk, b);
        lk_u32(&mk, a);
        if (!dir_exists(c->t, a) || !dir_exists(c->t, b)) {
            lbe_problem(c, "directory %s: link %u-%u to a missing entry", name, a, b);
            if (c->repair && ((rc = mdb_cursor_del(cur, 0)) != 0 ||
                              (rc = lbe_del(c->t, mirror, &mk)) != 0))
                break;
        } else if (!key_exists(c->t, mirror, &mk)) {
            lbe_problem(c, "directory %s: link %u-%u has no mirror", name, a, b);
            if (c->repair && (rc = lbe_put(c->t, mirror, &mk, "", 0)) != 0)
                break;
        }
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND && rc != MDB_KEYEXIST)
        c->rc = rc;
}

mh_err lbe_dir_check(mh_txn *t, int repair, void (*report)(void *, const char *), void *baton,
                     uint32_t *problems_r, mh_error *err)
{
    mh_err e;
    if (repair && (e = lbe_need_write(t, err)) != MH_OK)
        return e;
    lbe_checker c = {t, repair, report, baton, 0, 0};
    MDB_cursor *cur;
    int rc = mdb_cursor_open(t->txn, lbe_dbi(t, DBI_DIR), &cur);
    if (rc)
        return lbe_fail(err, t->pool, rc, "check the directory");
    apr_pool_t *iter;
    apr_pool_create(&iter, t->pool);
    MDB_val k, v;
    apr_array_header_t *reindex = apr_array_make(t->pool, 4, sizeof(uint32_t));
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        apr_pool_clear(iter);
        if (k.mv_size != 4) {
            lbe_problem(&c, "directory: a malformed entry key");
            continue;
        }
        uint32_t id = mh_get_u32_be(k.mv_data);
        mh_dir_entry ent;
        mh_error ie;
        if (lbe_dir_load(t, id, iter, &ent, NULL, &ie) != MH_OK) {
            lbe_problem(&c, "directory entry %u: %s", id, ie.detail);
            continue;
        }
        const char *what = NULL;
        if (!entry_indexed(t, iter, &ent, &what)) {
            lbe_problem(&c, "directory entry %u (%s): missing from the %s index", id,
                     ent.display_name, what);
            if (repair)
                APR_ARRAY_PUSH(reindex, uint32_t) = id;
        }
        if (ent.has_mailbox) {
            MDB_val gk = {16, ent.mailbox.b}, gv;
            if (mdb_get(t->txn, lbe_dbi(t, DBI_MAILBOXES), &gk, &gv) != 0)
                lbe_problem(&c, "directory entry %u (%s): its mailbox does not exist", id,
                         ent.display_name);
        }
    }
    mdb_cursor_close(cur);
    apr_pool_destroy(iter);
    if (rc != MDB_NOTFOUND)
        return lbe_fail(err, t->pool, rc, "check the directory");
    for (int i = 0; i < reindex->nelts; i++) {
        mh_dir_entry ent;
        mh_err e2 = lbe_dir_load(t, APR_ARRAY_IDX(reindex, i, uint32_t), t->pool, &ent, NULL, err);
        if (e2 != MH_OK)
            return e2;
        if ((rc = index_entry(t, t->pool, &ent, 1)))
            return lbe_fail(err, t->pool, rc, "repair directory indexes");
    }
    check_index(&c, DBI_DIR_LOGIN, "login", 0);
    check_index(&c, DBI_DIR_SMTP, "address", 0);
    check_index(&c, DBI_DIR_DN, "legacy DN", 0);
    check_index(&c, DBI_DIR_NAME, "address list", 1);
    check_index(&c, DBI_DIR_ANR, "name search", 1);
    check_links(&c, DBI_DIR_MEMBERS, DBI_DIR_MEMBEROF, "members");
    check_links(&c, DBI_DIR_MEMBEROF, DBI_DIR_MEMBERS, "member-of");
    if (!c.rc && repair && c.problems)
        c.rc = lbe_dir_bump(t); /* repairs change what readers see */
    if (c.rc)
        return lbe_fail(err, t->pool, c.rc, "check the directory");
    /* every mailbox has an owner */
    if ((rc = mdb_cursor_open(t->txn, lbe_dbi(t, DBI_MAILBOXES), &cur)))
        return lbe_fail(err, t->pool, rc, "check the mailboxes");
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        lbe_mailbox m;
        if (k.mv_size != 16 || lbe_mailbox_decode(&v, &m) != 0) {
            lbe_problem(&c, "a damaged mailbox record");
            continue;
        }
        if (!dir_exists(t, m.owner))
            lbe_problem(&c, "mailbox %u: its owner (directory entry %u) does not exist", m.mbx,
                     m.owner);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND)
        return lbe_fail(err, t->pool, rc, "check the mailboxes");
    *problems_r = c.problems;
    return MH_OK;
}
