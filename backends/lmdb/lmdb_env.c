/*
 * lmdb_env.c - the LMDB backend: options, the environment, transactions,
 * record encodings and the helpers every operation shares.
 */
#include "lmdb_be.h"
#include "mh_lmdb_rtx.h"
#include "mapihttp/fold.h"
#include "mh_owner.h"
#include "mh_props.h"

#include <errno.h>
#include <sys/wait.h>
#include <grp.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_tables.h>

static const char *const dbi_names[DBI_COUNT] = {
    [DBI_META] = "meta",           [DBI_MAILBOXES] = "mailboxes", [DBI_MBXNUMS] = "mbxnums",
    [DBI_OBJECTS] = "objects",     [DBI_CHILDREN] = "children",   [DBI_FNAMES] = "fnames",
    [DBI_CONTENTS] = "contents",   [DBI_SORTIDX] = "sortidx",     [DBI_LVALS] = "lvals",
    [DBI_CHANGES] = "changes",     [DBI_TOMBSTONES] = "tombstones",
    [DBI_SRCKEYS] = "srckeys",     [DBI_NAMED] = "named",         [DBI_PERMS] = "perms",
    [DBI_RULES] = "rules",         [DBI_RECVFOLDERS] = "recvfolders",
    [DBI_DIR] = "dir",             [DBI_DIR_LOGIN] = "dir_login", [DBI_DIR_SMTP] = "dir_smtp",
    [DBI_DIR_DN] = "dir_dn",       [DBI_DIR_NAME] = "dir_name",   [DBI_DIR_ANR] = "dir_anr",
    [DBI_DIR_MEMBERS] = "dir_members", [DBI_DIR_MEMBEROF] = "dir_memberof",
    [DBI_PERUSER] = "peruser",
};

mh_err lbe_fail(mh_error *err, apr_pool_t *pool, int rc, const char *what)
{
    mh_err code;
    switch (rc) {
    case MDB_NOTFOUND: code = MH_E_NOT_FOUND; break;
    case MDB_KEYEXIST: code = MH_E_EXISTS; break;
    case MDB_MAP_FULL: code = MH_E_QUOTA; break;
    case MDB_READERS_FULL: case MDB_TXN_FULL: case MDB_BAD_RSLOT: code = MH_E_TEMPORARY; break;
    case MDB_CORRUPTED: case MDB_PAGE_NOTFOUND: case MDB_INVALID: code = MH_E_CORRUPT; break;
    case ENOSPC: case EIO: case EACCES: case EROFS: code = MH_E_UNAVAILABLE; break;
    case ENOMEM: code = MH_E_TOO_BIG; break;
    default: code = MH_E_INTERNAL; break;
    }
    if (rc == MDB_MAP_FULL)
        return mh_fail(err, pool, code, "%s: the LMDB store is full (raise its size= option)",
                       what);
    return mh_fail(err, pool, code, "%s: %s", what, mdb_strerror(rc));
}

/* ------------------------------------------------------------- options */

static int parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    unsigned long long mul = 1024ull * 1024; /* megabytes by default */
    if (*end == 'M' || *end == 'm')
        end++;
    else if (*end == 'G' || *end == 'g')
        mul = 1024ull * 1024 * 1024, end++;
    else if (*end == 'T' || *end == 't')
        mul = 1024ull * 1024 * 1024 * 1024, end++;
    if (*end || v == 0 || v > (1ull << 50) / mul)
        return -1;
    *out = (size_t)(v * mul);
    return 0;
}

mh_err lbe_instance_create(apr_pool_t *pconf, int argc, const char *const *argv,
                           mh_instance **inst_r, mh_error *err)
{
    mh_instance *in = apr_pcalloc(pconf, sizeof(*in));
    in->pool = pconf;
    in->map_size = (size_t)64 * 1024 * 1024 * 1024; /* 64 GiB of address space */
    in->max_readers = 1024;
    in->sync = LBE_SYNC_FULL;
    for (int i = 0; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq)
            return mh_fail(err, pconf, MH_E_INVALID,
                           "'%s' is not key=value (known keys: path, size, sync, maxreaders)",
                           argv[i]);
        const char *key = apr_pstrmemdup(pconf, argv[i], (size_t)(eq - argv[i]));
        const char *val = eq + 1;
        if (strcmp(key, "path") == 0) {
            if (val[0] != '/')
                return mh_fail(err, pconf, MH_E_INVALID,
                               "path=%s: give an absolute directory", val);
            in->path = apr_pstrdup(pconf, val);
        } else if (strcmp(key, "size") == 0) {
            if (parse_size(val, &in->map_size) != 0 || in->map_size < ((size_t)16 << 20))
                return mh_fail(err, pconf, MH_E_INVALID,
                               "size=%s: give the largest size the store may grow to, "
                               "e.g. 64G or 500M (at least 16M)", val);
        } else if (strcmp(key, "sync") == 0) {
            if (strcmp(val, "full") == 0)
                in->sync = LBE_SYNC_FULL;
            else if (strcmp(val, "meta") == 0)
                in->sync = LBE_SYNC_META;
            else if (strcmp(val, "none") == 0)
                in->sync = LBE_SYNC_NONE;
            else
                return mh_fail(err, pconf, MH_E_INVALID,
                               "sync=%s: give full (every commit reaches the disk), meta "
                               "(a power loss may undo the last commit) or none", val);
        } else if (strcmp(key, "maxreaders") == 0) {
            char *end;
            long v = strtol(val, &end, 10);
            if (*end || v < 16 || v > 65536)
                return mh_fail(err, pconf, MH_E_INVALID,
                               "maxreaders=%s: give a number from 16 to 65536", val);
            in->max_readers = (unsigned)v;
        } else {
            return mh_fail(err, pconf, MH_E_INVALID,
                           "unknown option '%s' (known: path, size, sync, maxreaders)", key);
        }
    }
    if (!in->path)
        return mh_fail(err, pconf, MH_E_INVALID,
                       "path= is required: the directory of the LMDB store");
    *inst_r = in;
    return MH_OK;
}

/* ---------------------------------------------------------- environment */

static unsigned env_flags(const mh_instance *in)
{
    unsigned f = MDB_NOTLS;
    if (in->sync == LBE_SYNC_META)
        f |= MDB_NOMETASYNC;
    else if (in->sync == LBE_SYNC_NONE)
        f |= MDB_NOSYNC;
    return f;
}

/* Re-indexes the folded names when meta "dir_fold" is not MH_FOLD_VERSION
 * (a store made before, or with another folding).  Returns MH_OK or an
 * mh_err with err filled. */
static int check_fold(mh_instance *in, MDB_txn *txn, apr_pool_t *pool, mh_error *err)
{
    MDB_val k = {8, "dir_fold"}, v;
    int rc = mdb_get(txn, in->dbi[DBI_META], &k, &v);
    if (rc == 0 && v.mv_size == 4 && mh_get_u32(v.mv_data) == MH_FOLD_VERSION)
        return MH_OK;
    if (rc && rc != MDB_NOTFOUND)
        return lbe_fail(err, pool, rc, "read dir_fold");
    mh_txn t;
    memset(&t, 0, sizeof(t));
    t.inst = in;
    t.txn = txn;
    t.pool = pool;
    t.write = 1;
    mh_err e = lbe_dir_reindex_names(&t, err);
    if (e != MH_OK)
        return e;
    uint8_t b[4];
    mh_put_u32(b, MH_FOLD_VERSION);
    MDB_val nv = {4, b};
    if ((rc = mdb_put(txn, in->dbi[DBI_META], &k, &nv, 0)))
        return lbe_fail(err, pool, rc, "write dir_fold");
    return MH_OK;
}

/* Opens the environment and every database (creating them with `create`). */
static mh_err env_open(mh_instance *in, int create, apr_pool_t *pool, mh_error *err)
{
    int rc, major, minor;
    mdb_version(&major, &minor, NULL);
    if (major != MDB_VERSION_MAJOR || minor != MDB_VERSION_MINOR)
        return mh_fail(err, pool, MH_E_UNAVAILABLE,
                       "liblmdb %d.%d is loaded, %d.%d was built against", major, minor,
                       MDB_VERSION_MAJOR, MDB_VERSION_MINOR);
    if ((rc = mdb_env_create(&in->env)))
        return lbe_fail(err, pool, rc, "mdb_env_create");
    mdb_env_set_maxdbs(in->env, DBI_COUNT + 4);
    mdb_env_set_mapsize(in->env, in->map_size);
    mdb_env_set_maxreaders(in->env, in->max_readers);
    if ((rc = mdb_env_open(in->env, in->path, env_flags(in), 0600))) {
        mdb_env_close(in->env);
        in->env = NULL;
        if (rc == ENOENT)
            return mh_fail(err, pool, MH_E_UNAVAILABLE,
                           "LMDB store %s does not exist (mapihttp-admin init creates it)",
                           in->path);
        return lbe_fail(err, pool, rc, apr_psprintf(pool, "open LMDB store %s", in->path));
    }
    int dead = 0;
    mdb_reader_check(in->env, &dead);
    MDB_txn *txn = NULL;
    /* a write transaction even without `create`: databases added after
     * schema 1 was fixed (DBI_FIRST_ADDED on) are created in a store made
     * before them, whoever opens it first (httpd, or a tool) */
    int writable = 1;
    if ((rc = mdb_txn_begin(in->env, NULL, 0, &txn)) && !create &&
        (rc == EACCES || rc == EROFS)) {
        writable = 0; /* read-only access: what is there must do */
        rc = mdb_txn_begin(in->env, NULL, MDB_RDONLY, &txn);
    }
    if (rc)
        goto fail;
    for (int i = 0; i < DBI_COUNT; i++) {
        unsigned flags = create || (writable && i >= DBI_FIRST_ADDED) ? MDB_CREATE : 0;
        if ((rc = mdb_dbi_open(txn, dbi_names[i], flags, &in->dbi[i]))) {
            if (rc == MDB_NOTFOUND) {
                mdb_txn_abort(txn);
                mdb_env_close(in->env);
                in->env = NULL;
                return mh_fail(err, pool, MH_E_CORRUPT,
                               "LMDB store %s lacks the database '%s' (not a mod_mapihttp "
                               "store, or not initialised)", in->path, dbi_names[i]);
            }
            goto fail;
        }
    }
    MDB_val k = {6, "schema"}, v;
    rc = mdb_get(txn, in->dbi[DBI_META], &k, &v);
    if (rc == MDB_NOTFOUND && create) {
        uint8_t b[4];
        mh_put_u32(b, LBE_SCHEMA_VERSION);
        MDB_val nv = {4, b};
        if ((rc = mdb_put(txn, in->dbi[DBI_META], &k, &nv, 0)))
            goto fail;
    } else if (rc) {
        goto fail;
    } else if (v.mv_size != 4 || mh_get_u32(v.mv_data) != LBE_SCHEMA_VERSION) {
        mdb_txn_abort(txn);
        mdb_env_close(in->env);
        in->env = NULL;
        return mh_fail(err, pool, MH_E_CORRUPT,
                       "LMDB store %s has schema version %u; this backend reads %u",
                       in->path, v.mv_size == 4 ? mh_get_u32(v.mv_data) : 0,
                       LBE_SCHEMA_VERSION);
    }
    /* name keys made with another folding (or before "dir_fold" was kept):
     * rebuilt, whoever opens the store first with write access */
    if (writable && (rc = check_fold(in, txn, pool, err)) != 0) {
        mdb_txn_abort(txn);
        mdb_env_close(in->env);
        in->env = NULL;
        return (mh_err)rc;
    }
    /* commit even a read-only transaction: LMDB closes the database handles
     * an aborted transaction opened */
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc)
        goto fail;
    return MH_OK;
fail:
    if (txn)
        mdb_txn_abort(txn);
    mdb_env_close(in->env);
    in->env = NULL;
    return lbe_fail(err, pool, rc, apr_psprintf(pool, "LMDB store %s", in->path));
}

/*
 * LMDB must not open one environment twice in a process: closing either
 * handle would drop the locks of the other.  Instances naming the same
 * store (the same directory, however spelt) share one environment, and
 * must agree on its options.
 */
struct lbe_shared {
    lbe_shared *next;
    pid_t pid; /* a forked child must not use its parent's environment */
    dev_t dev;
    ino_t ino;
    MDB_env *env;
    MDB_dbi dbi[DBI_COUNT];
    unsigned refs;
    size_t map_size;
    enum lbe_sync sync;
    unsigned max_readers;
    mh_rtx_pool rtx; /* read-only handles kept for reuse (mh_lmdb_rtx.h) */
};

static lbe_shared *shared_envs;
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;

static int store_id(const char *path, dev_t *dev, ino_t *ino)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    *dev = st.st_dev;
    *ino = st.st_ino;
    return 0;
}

static int same_options(const mh_instance *in, size_t map_size, enum lbe_sync sync,
                        unsigned max_readers)
{
    return in->map_size == map_size && in->sync == sync && in->max_readers == max_readers;
}

static apr_status_t env_cleanup(void *data)
{
    mh_instance *in = data;
    pthread_mutex_lock(&shared_lock);
    lbe_shared *sh = in->sh;
    if (sh && --sh->refs == 0) {
        for (lbe_shared **pp = &shared_envs; *pp; pp = &(*pp)->next)
            if (*pp == sh) {
                *pp = sh->next;
                break;
            }
        mh_rtx_drain(&sh->rtx);
        mdb_env_close(sh->env);
        free(sh);
    }
    in->sh = NULL;
    in->env = NULL;
    pthread_mutex_unlock(&shared_lock);
    return APR_SUCCESS;
}

/* Stores prepared in one configuration cycle (userdata of its ptemp). */
typedef struct prepared {
    struct prepared *next;
    dev_t dev;
    ino_t ino;
    const mh_instance *in;
} prepared;
#define PREPARED_KEY "mapihttp-lmdb-prepared"

/* Opens (creating) the store and closes it again: run as the httpd user. */
static const char *create_as_user(void *baton, apr_pool_t *pool)
{
    mh_instance *in = baton;
    mh_error e = {MH_OK, NULL};
    if (env_open(in, 1, pool, &e) != MH_OK)
        return e.detail ? e.detail : "cannot open the store";
    mdb_env_close(in->env);
    in->env = NULL;
    return NULL;
}

mh_err lbe_instance_prepare(mh_instance *in, long uid, long gid, apr_pool_t *ptemp,
                            mh_error *err)
{
    const char *why;
    if (mh_make_dirs(in->path, ptemp, &why) != 0)
        return mh_fail(err, ptemp, MH_E_UNAVAILABLE, "%s", why);
    prepared *list = NULL, *me = apr_pcalloc(ptemp, sizeof(*me));
    apr_pool_userdata_get((void **)&list, PREPARED_KEY, ptemp);
    if (store_id(in->path, &me->dev, &me->ino) != 0)
        return mh_fail(err, ptemp, MH_E_UNAVAILABLE, "cannot stat %s: %s", in->path,
                       strerror(errno));
    for (prepared *p = list; p; p = p->next)
        if (p->dev == me->dev && p->ino == me->ino &&
            !same_options(in, p->in->map_size, p->in->sync, p->in->max_readers))
            return mh_fail(err, ptemp, MH_E_INVALID,
                           "the LMDB store %s is configured twice with different size=, "
                           "sync= or maxreaders= options (it is also %s); give every "
                           "line naming it the same options", in->path, p->in->path);
    me->in = in;
    me->next = list;
    apr_pool_userdata_setn(me, PREPARED_KEY, NULL, ptemp);
    if ((uid == -1 && gid == -1) || geteuid() != 0) {
        mh_err e = env_open(in, 1, ptemp, err);
        if (e != MH_OK)
            return e;
        mdb_env_close(in->env); /* nothing may stay open across fork() */
        in->env = NULL;
        return MH_OK;
    }
    /* as root, for the httpd user (mh_owner.h) */
    static const char *const files[] = {"data.mdb", "lock.mdb", NULL};
    if (mh_hand_over(in->path, files, uid, gid, ptemp, &why) != 0)
        return mh_fail(err, ptemp, MH_E_PERMISSION, "%s", why);
    if (mh_run_as(uid, gid, create_as_user, in, ptemp, &why) != 0)
        return mh_fail(err, ptemp, MH_E_UNAVAILABLE, "%s", why);
    return MH_OK;
}

mh_err lbe_instance_open(mh_instance *in, apr_pool_t *pchild, mh_error *err)
{
    if (in->env)
        return mh_fail(err, pchild, MH_E_INVALID, "the instance is open already");
    dev_t dev;
    ino_t ino;
    if (store_id(in->path, &dev, &ino) != 0)
        return mh_fail(err, pchild, MH_E_UNAVAILABLE,
                       errno == ENOENT ? "LMDB store %s does not exist (mapihttp-admin init "
                                         "creates it)"
                                       : "cannot stat the LMDB store %s",
                       in->path);
    pthread_mutex_lock(&shared_lock);
    mh_err e = MH_OK;
    lbe_shared *sh = shared_envs;
    pid_t me = getpid();
    while (sh && !(sh->dev == dev && sh->ino == ino && sh->pid == me))
        sh = sh->next;
    if (sh) {
        if (!same_options(in, sh->map_size, sh->sync, sh->max_readers))
            e = mh_fail(err, pchild, MH_E_INVALID,
                        "the LMDB store %s is open in this process with other size=, sync= "
                        "or maxreaders= options", in->path);
    } else if ((e = env_open(in, 0, pchild, err)) == MH_OK) {
        sh = calloc(1, sizeof(*sh));
        if (!sh) {
            mdb_env_close(in->env);
            in->env = NULL;
            e = mh_fail(err, pchild, MH_E_TOO_BIG, "out of memory");
        } else {
            mh_rtx_init(&sh->rtx);
            sh->pid = me;
            sh->dev = dev;
            sh->ino = ino;
            sh->env = in->env;
            memcpy(sh->dbi, in->dbi, sizeof(sh->dbi));
            sh->map_size = in->map_size;
            sh->sync = in->sync;
            sh->max_readers = in->max_readers;
            sh->next = shared_envs;
            shared_envs = sh;
        }
    }
    if (e == MH_OK) {
        sh->refs++;
        in->sh = sh;
        in->env = sh->env;
        memcpy(in->dbi, sh->dbi, sizeof(in->dbi));
    }
    pthread_mutex_unlock(&shared_lock);
    if (e != MH_OK)
        return e;
    apr_pool_cleanup_register(pchild, in, env_cleanup, apr_pool_cleanup_null);
    return MH_OK;
}

/* -------------------------------------------------------- mailbox record */

static void mailbox_encode(mh_wr *w, const lbe_mailbox *m)
{
    mh_wr_u16(w, 1); /* record version */
    mh_wr_u32(w, m->mbx);
    mh_wr_u32(w, m->owner);
    mh_wr_u32(w, MH_SF_COUNT);
    for (int i = 0; i < MH_SF_COUNT; i++)
        mh_wr_u64(w, m->special[i]);
    mh_wr_u64(w, m->last_id);
    mh_wr_u64(w, m->message_bytes);
    mh_wr_u32(w, m->message_count);
    mh_wr_u32(w, m->folder_count);
    mh_wr_u16(w, m->next_named);
    mh_wr_u64(w, (uint64_t)m->created);
}

int lbe_mailbox_decode(const MDB_val *v, lbe_mailbox *m)
{
    mh_rd rd;
    mh_rd_init(&rd, v->mv_data, v->mv_size);
    memset(m, 0, sizeof(*m));
    if (mh_rd_u16(&rd) != 1)
        return -1;
    m->mbx = mh_rd_u32(&rd);
    m->owner = mh_rd_u32(&rd);
    uint32_t n = mh_rd_u32(&rd);
    for (uint32_t i = 0; i < n && !rd.err; i++) {
        uint64_t f = mh_rd_u64(&rd);
        if (i < MH_SF_COUNT)
            m->special[i] = f; /* roles added later read as 0 from old records */
    }
    m->last_id = mh_rd_u64(&rd);
    m->message_bytes = mh_rd_u64(&rd);
    m->message_count = mh_rd_u32(&rd);
    m->folder_count = mh_rd_u32(&rd);
    m->next_named = mh_rd_u16(&rd);
    m->created = (int64_t)mh_rd_u64(&rd);
    return rd.err ? -1 : 0;
}

static int mailbox_write(mh_txn *t)
{
    mh_wr w;
    mh_wr_init(&w, t->pool, 512);
    mailbox_encode(&w, &t->mr);
    lbe_key k;
    lk_init(&k);
    lk_bytes(&k, t->guid.b, 16);
    return lbe_put(t, DBI_MAILBOXES, &k, w.buf, w.len);
}

/* --------------------------------------------------------- transactions */

/* Ends the LMDB transaction of t without committing. */
static void txn_end(mh_txn *t)
{
    if (t->write || !t->inst->sh)
        mdb_txn_abort(t->txn);
    else
        mh_rtx_end(&t->inst->sh->rtx, t->txn);
    t->txn = NULL;
    t->done = 1;
}

static apr_status_t txn_cleanup(void *data)
{
    mh_txn *t = data;
    if (!t->done)
        txn_end(t);
    return APR_SUCCESS;
}

mh_err lbe_txn_begin(mh_instance *in, const mh_guid *mailbox, unsigned flags,
                     apr_pool_t *pool, mh_txn **txn_r, mh_error *err)
{
    if (!in->env)
        return mh_fail(err, pool, MH_E_UNAVAILABLE, "the LMDB store is not open in this process");
    mh_txn *t = apr_pcalloc(pool, sizeof(*t));
    t->inst = in;
    t->pool = pool;
    t->write = (flags & MH_TXN_WRITE) != 0;
    unsigned mf = t->write ? 0 : MDB_RDONLY;
    int rc = !t->write && in->sh ? mh_rtx_begin(&in->sh->rtx, in->env, &t->txn)
                                 : mdb_txn_begin(in->env, NULL, mf, &t->txn);
    if (rc == MDB_READERS_FULL) {
        int dead = 0;
        mdb_reader_check(in->env, &dead); /* slots of dead processes */
        rc = mdb_txn_begin(in->env, NULL, mf, &t->txn);
    }
    if (rc == MDB_MAP_RESIZED)
        /* adopting the other size would remap the store under the
         * transactions of this process's other threads */
        return mh_fail(err, pool, MH_E_UNAVAILABLE,
                       "the LMDB store %s grew beyond this process's size= (another process "
                       "uses it with a larger size=): give every MapiHttpBackend line and "
                       "mapihttp-admin the same size=, and restart httpd", in->path);
    if (rc)
        return lbe_fail(err, pool, rc, "begin a transaction");
    apr_pool_cleanup_register(pool, t, txn_cleanup, apr_pool_cleanup_null);
    if (mailbox) {
        t->has_mailbox = 1;
        t->guid = *mailbox;
        MDB_val k = {16, t->guid.b}, v;
        rc = mdb_get(t->txn, in->dbi[DBI_MAILBOXES], &k, &v);
        if (rc == 0) {
            if (lbe_mailbox_decode(&v, &t->mr) != 0) {
                lbe_txn_abort(t);
                return mh_fail(err, pool, MH_E_CORRUPT, "damaged mailbox record");
            }
            t->mbx_exists = 1;
        } else if (rc == MDB_NOTFOUND && t->write) {
            t->mbx_exists = 0; /* mailbox_create may make it */
        } else {
            lbe_txn_abort(t);
            return rc == MDB_NOTFOUND ? mh_fail(err, pool, MH_E_NOT_FOUND, "no such mailbox")
                                      : lbe_fail(err, pool, rc, "read the mailbox record");
        }
    }
    *txn_r = t;
    return MH_OK;
}

mh_err lbe_txn_commit(mh_txn *t, mh_error *err)
{
    int rc = 0;
    if (t->done)
        return mh_fail(err, t->pool, MH_E_INVALID, "the transaction is over");
    if (t->mr_dirty && t->mbx_exists)
        rc = mailbox_write(t);
    if (rc) {
        lbe_txn_abort(t);
        return lbe_fail(err, t->pool, rc, "write the mailbox record");
    }
    if (t->write) {
        rc = mdb_txn_commit(t->txn);
        t->txn = NULL;
        t->done = 1;
    } else {
        txn_end(t); /* nothing to commit */
    }
    apr_pool_cleanup_kill(t->pool, t, txn_cleanup);
    if (rc)
        return lbe_fail(err, t->pool, rc, "commit");
    return MH_OK;
}

void lbe_txn_abort(mh_txn *t)
{
    if (!t->done) {
        txn_end(t);
        apr_pool_cleanup_kill(t->pool, t, txn_cleanup);
    }
}

/* --------------------------------------------------------------- helpers */

int lbe_put(mh_txn *t, enum lbe_dbi d, lbe_key *k, const void *data, size_t len)
{
    MDB_val key = lk_val(k), val = {len, (void *)data};
    return mdb_put(t->txn, lbe_dbi(t, d), &key, &val, 0);
}

int lbe_del(mh_txn *t, enum lbe_dbi d, lbe_key *k)
{
    MDB_val key = lk_val(k);
    int rc = mdb_del(t->txn, lbe_dbi(t, d), &key, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int lbe_del_prefix(mh_txn *t, enum lbe_dbi d, const lbe_key *prefix)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, lbe_dbi(t, d), &c);
    if (rc)
        return rc;
    /* seek afresh after each delete: once the database is empty the
     * cursor has no current position (MDB_GET_CURRENT gives EINVAL) */
    for (;;) {
        MDB_val k = {prefix->n, (void *)prefix->b}, v;
        if ((rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)))
            break;
        if (k.mv_size < prefix->n || memcmp(k.mv_data, prefix->b, prefix->n) != 0)
            break;
        if ((rc = mdb_cursor_del(c, 0)))
            break;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

mh_err lbe_need_mailbox(mh_txn *t, mh_error *err)
{
    if (t->done)
        return mh_fail(err, t->pool, MH_E_INVALID, "the transaction is over");
    if (!t->has_mailbox)
        return mh_fail(err, t->pool, MH_E_INVALID, "a directory transaction has no mailbox");
    if (!t->mbx_exists)
        return mh_fail(err, t->pool, MH_E_NOT_FOUND, "no such mailbox");
    return MH_OK;
}

mh_err lbe_need_write(mh_txn *t, mh_error *err)
{
    if (!t->write)
        return mh_fail(err, t->pool, MH_E_INVALID, "a read-only transaction cannot write");
    return MH_OK;
}

mh_err lbe_next_id(mh_txn *t, mh_id *id_r, mh_error *err)
{
    if (t->mr.last_id >= MH_ID_MAX)
        return mh_fail(err, t->pool, MH_E_QUOTA, "the mailbox has used all 2^48 IDs");
    *id_r = ++t->mr.last_id;
    t->mr_dirty = 1;
    return MH_OK;
}

const char *lbe_fold(apr_pool_t *pool, const char *s, size_t max)
{
    size_t full = strlen(s), n = full < max ? full : max;
    char *o = apr_pstrmemdup(pool, s, n);
    unsigned char *p = (unsigned char *)o;
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= 'A' && p[i] <= 'Z') {
            p[i] = (unsigned char)(p[i] + 32);
        } else if (p[i] == 0xC3 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9E &&
                   p[i + 1] != 0x97) {
            p[i + 1] = (unsigned char)(p[i + 1] + 0x20); /* Latin-1 capitals */
            i++;
        }
    }
    if (n < full) {
        /* cut: drop a UTF-8 sequence the cut left incomplete, nothing else */
        size_t lead = n;
        while (lead > 0 && n - lead < 3 && (p[lead - 1] & 0xC0) == 0x80)
            lead--;
        if (lead > 0 && p[lead - 1] >= 0xC0) {
            unsigned char c = p[lead - 1];
            size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (n - (lead - 1) < want)
                n = lead - 1;
        }
    }
    o[n] = 0;
    return o;
}

/* --------------------------------------------------------- object records */

static void objkey(lbe_key *k, const mh_txn *t, mh_id id)
{
    lk_init(k);
    lk_u32(k, t->mr.mbx);
    lk_u64(k, id);
}

int lbe_object_kind(mh_txn *t, mh_id id)
{
    lbe_key k;
    objkey(&k, t, id);
    MDB_val key = lk_val(&k), v;
    if (mdb_get(t->txn, lbe_dbi(t, DBI_OBJECTS), &key, &v) != 0 || v.mv_size < 1)
        return 0;
    return ((const uint8_t *)v.mv_data)[0];
}

/* A folder record's fields before its property list; rd is left there. */
static mh_err folder_head(mh_txn *t, mh_id id, apr_pool_t *pool, lbe_folder *f, mh_rd *rd,
                          mh_error *err)
{
    lbe_key k;
    objkey(&k, t, id);
    MDB_val key = lk_val(&k), v;
    int rc = mdb_get(t->txn, lbe_dbi(t, DBI_OBJECTS), &key, &v);
    if (rc == MDB_NOTFOUND || (rc == 0 && (v.mv_size < 1 ||
                                           ((uint8_t *)v.mv_data)[0] != LBE_OBJ_FOLDER)))
        return mh_fail(err, pool, MH_E_NOT_FOUND, "no folder %llu", (unsigned long long)id);
    if (rc)
        return lbe_fail(err, pool, rc, "read a folder");
    mh_rd_init(rd, v.mv_data, v.mv_size);
    mh_rd_u8(rd);
    if (mh_rd_u8(rd) != 1)
        return mh_fail(err, pool, MH_E_CORRUPT, "folder %llu: unknown record version",
                       (unsigned long long)id);
    f->id = id;
    f->parent = mh_rd_u64(rd);
    f->flags = mh_rd_u32(rd);
    f->content = mh_rd_u32(rd);
    f->unread = mh_rd_u32(rd);
    f->fai = mh_rd_u32(rd);
    f->children = mh_rd_u32(rd);
    f->bytes = mh_rd_u64(rd);
    f->cn = mh_rd_u64(rd);
    f->props.n = 0;
    f->props.v = NULL;
    if (rd->err)
        return mh_fail(err, pool, MH_E_CORRUPT, "folder %llu: damaged record",
                       (unsigned long long)id);
    return MH_OK;
}

mh_err lbe_folder_load_head(mh_txn *t, mh_id id, apr_pool_t *pool, lbe_folder *f, mh_error *err)
{
    mh_rd rd;
    return folder_head(t, id, pool, f, &rd, err);
}

mh_err lbe_folder_load(mh_txn *t, mh_id id, apr_pool_t *pool, lbe_folder *f, mh_error *err)
{
    mh_rd rd;
    mh_err e = folder_head(t, id, pool, f, &rd, err);
    if (e != MH_OK)
        return e;
    if (mh_proplist_decode(&rd, pool, &f->props) != 0 || (mh_rd_expect_end(&rd), rd.err))
        return mh_fail(err, pool, MH_E_CORRUPT, "folder %llu: damaged record",
                       (unsigned long long)id);
    return MH_OK;
}

mh_err lbe_folder_store(mh_txn *t, const lbe_folder *f, mh_error *err)
{
    mh_wr w;
    mh_wr_init(&w, t->pool, 256);
    mh_wr_u8(&w, LBE_OBJ_FOLDER);
    mh_wr_u8(&w, 1);
    mh_wr_u64(&w, f->parent);
    mh_wr_u32(&w, f->flags);
    mh_wr_u32(&w, f->content);
    mh_wr_u32(&w, f->unread);
    mh_wr_u32(&w, f->fai);
    mh_wr_u32(&w, f->children);
    mh_wr_u64(&w, f->bytes);
    mh_wr_u64(&w, f->cn);
    mh_proplist_encode(&w, &f->props);
    lbe_key k;
    objkey(&k, t, f->id);
    int rc = lbe_put(t, DBI_OBJECTS, &k, w.buf, w.len);
    return rc ? lbe_fail(err, t->pool, rc, "write a folder") : MH_OK;
}

/* The head fields of a record (after its kind and version) or of a
 * summary (after its version), and the index and tree after them. */
static int parse_head(mh_rd *rd, int indexed, lbe_message *m)
{
    m->folder = mh_rd_u64(rd);
    m->fai = mh_rd_u8(rd);
    m->read = mh_rd_u8(rd);
    m->cn = mh_rd_u64(rd);
    m->read_cn = mh_rd_u64(rd);
    m->size = mh_rd_u32(rd);
    m->msg = NULL;
    m->indexed = indexed;
    m->partial = 0;
    m->ix.n = 0;
    if (indexed)
        mh_msgindex_read(rd, &m->ix);
    m->tree = rd->p;
    m->tree_len = mh_rd_left(rd);
    return rd->err ? -1 : 0;
}

mh_err lbe_message_head(mh_txn *t, mh_id id, apr_pool_t *pool, lbe_message *m, mh_rd *rd,
                        mh_error *err)
{
    lbe_key k;
    objkey(&k, t, id);
    MDB_val key = lk_val(&k), v;
    int rc;
    if (!t->write && id && t->last_msg == id) {
        v = t->last_rec; /* a read transaction sees the same record still */
        rc = 0;
    } else {
        rc = mdb_get(t->txn, lbe_dbi(t, DBI_OBJECTS), &key, &v);
        if (rc == 0 && !t->write) {
            t->last_msg = id;
            t->last_rec = v;
        }
    }
    if (rc == MDB_NOTFOUND || (rc == 0 && (v.mv_size < 1 ||
                                           ((uint8_t *)v.mv_data)[0] != LBE_OBJ_MESSAGE)))
        return mh_fail(err, pool, MH_E_NOT_FOUND, "no message %llu", (unsigned long long)id);
    if (rc)
        return lbe_fail(err, pool, rc, "read a message");
    mh_rd_init(rd, v.mv_data, v.mv_size);
    mh_rd_u8(rd);
    uint8_t version = mh_rd_u8(rd);
    if (version != 1 && version != 2)
        return mh_fail(err, pool, MH_E_CORRUPT, "message %llu: unknown record version",
                       (unsigned long long)id);
    m->id = id;
    if (parse_head(rd, version == 2, m) != 0)
        return mh_fail(err, pool, MH_E_CORRUPT, "message %llu: damaged record",
                       (unsigned long long)id);
    return MH_OK;
}

/* The slot of id among the summaries remembered, or NULL.  A row asks
 * twice (info, then values) and rows come in listing order: the slot
 * looked at last, then the next, then every one. */
static const lbe_sumslot *summary_of(mh_txn *t, mh_id id)
{
    uint32_t lo = t->sum_n > LBE_SUMCACHE ? t->sum_n - LBE_SUMCACHE : 0;
    uint32_t i = t->sum_next;
#define SUM_AT(i) ((i) >= lo && (i) < t->sum_n && t->sums[(i) % LBE_SUMCACHE].id == id)
    if (!SUM_AT(i) && !SUM_AT(i + 1)) {
        for (i = lo; i < t->sum_n && t->sums[i % LBE_SUMCACHE].id != id; i++)
            ;
        if (i == t->sum_n)
            return NULL;
    } else if (!SUM_AT(i)) {
        i++;
    }
#undef SUM_AT
    t->sum_next = i;
    return &t->sums[i % LBE_SUMCACHE];
}

mh_err lbe_message_peek(mh_txn *t, mh_id id, apr_pool_t *pool, lbe_message *m, mh_error *err)
{
    const lbe_sumslot *s = t->sums && id ? summary_of(t, id) : NULL;
    if (s) {
        mh_rd rd;
        mh_rd_init(&rd, s->p, s->len);
        m->id = id;
        /* a summary that does not read is passed over: the record says
         * the same (and the consistency check reports the summary) */
        if (mh_rd_u8(&rd) == 1 && parse_head(&rd, 1, m) == 0) {
            m->partial = 1;
            return MH_OK;
        }
    }
    mh_rd rd;
    return lbe_message_head(t, id, pool, m, &rd, err);
}

mh_err lbe_message_load(mh_txn *t, mh_id id, apr_pool_t *pool, lbe_message *m, mh_error *err)
{
    mh_rd rd;
    mh_err e = lbe_message_head(t, id, pool, m, &rd, err);
    if (e != MH_OK)
        return e;
    if (mh_message_decode(&rd, pool, &m->msg) != 0 || (mh_rd_expect_end(&rd), rd.err))
        return mh_fail(err, pool, MH_E_CORRUPT, "message %llu: damaged record",
                       (unsigned long long)id);
    return MH_OK;
}

mh_err lbe_message_store(mh_txn *t, const lbe_message *m, mh_error *err)
{
    mh_wr w;
    mh_wr_init(&w, t->pool, 1024);
    mh_wr_u8(&w, LBE_OBJ_MESSAGE);
    mh_wr_u8(&w, 2);
    mh_wr_u64(&w, m->folder);
    mh_wr_u8(&w, m->fai ? 1 : 0);
    mh_wr_u8(&w, m->read ? 1 : 0);
    mh_wr_u64(&w, m->cn);
    mh_wr_u64(&w, m->read_cn);
    mh_wr_u32(&w, m->size);
    mh_message_encode_indexed(&w, m->msg);
    lbe_key k;
    objkey(&k, t, m->id);
    int rc = lbe_put(t, DBI_OBJECTS, &k, w.buf, w.len);
    return rc ? lbe_fail(err, t->pool, rc, "write a message") : MH_OK;
}

mh_err lbe_mailbox_props_load(mh_txn *t, apr_pool_t *pool, mh_proplist *l, mh_error *err)
{
    lbe_key k;
    objkey(&k, t, 0);
    MDB_val key = lk_val(&k), v;
    int rc = mdb_get(t->txn, lbe_dbi(t, DBI_OBJECTS), &key, &v);
    if (rc == MDB_NOTFOUND) {
        l->n = 0;
        l->v = NULL;
        return MH_OK;
    }
    if (rc)
        return lbe_fail(err, pool, rc, "read the mailbox properties");
    mh_rd rd;
    mh_rd_init(&rd, v.mv_data, v.mv_size);
    if (mh_rd_u8(&rd) != LBE_OBJ_MAILBOX || mh_proplist_decode(&rd, pool, l) != 0)
        return mh_fail(err, pool, MH_E_CORRUPT, "damaged mailbox properties");
    return MH_OK;
}

mh_err lbe_mailbox_props_store(mh_txn *t, const mh_proplist *l, mh_error *err)
{
    mh_wr w;
    mh_wr_init(&w, t->pool, 256);
    mh_wr_u8(&w, LBE_OBJ_MAILBOX);
    mh_proplist_encode(&w, l);
    lbe_key k;
    objkey(&k, t, 0);
    int rc = lbe_put(t, DBI_OBJECTS, &k, w.buf, w.len);
    return rc ? lbe_fail(err, t->pool, rc, "write the mailbox properties") : MH_OK;
}

/* ------------------------------------------------------ change bookkeeping */

int lbe_change_put(mh_txn *t, mh_id scope, mh_id cn, uint8_t flags, mh_id id)
{
    lbe_key k;
    lk_init(&k);
    lk_u32(&k, t->mr.mbx);
    lk_u64(&k, scope);
    lk_u64(&k, cn);
    uint8_t v[9];
    v[0] = flags;
    mh_put_u64_be(v + 1, id);
    return lbe_put(t, DBI_CHANGES, &k, v, sizeof(v));
}

int lbe_change_del(mh_txn *t, mh_id scope, mh_id cn)
{
    if (!cn)
        return 0;
    lbe_key k;
    lk_init(&k);
    lk_u32(&k, t->mr.mbx);
    lk_u64(&k, scope);
    lk_u64(&k, cn);
    return lbe_del(t, DBI_CHANGES, &k);
}

mh_err lbe_meta_next(mh_txn *t, const char *name, uint32_t *v_r, mh_error *err)
{
    MDB_val k = {strlen(name), (void *)name}, v;
    int rc = mdb_get(t->txn, lbe_dbi(t, DBI_META), &k, &v);
    uint32_t n;
    if (rc == MDB_NOTFOUND)
        n = 1;
    else if (rc)
        return lbe_fail(err, t->pool, rc, apr_psprintf(t->pool, "read %s", name));
    else if (v.mv_size != 4)
        return mh_fail(err, t->pool, MH_E_CORRUPT, "the store's %s counter is damaged", name);
    else
        n = mh_get_u32(v.mv_data);
    if (n == 0 || n == UINT32_MAX)
        return mh_fail(err, t->pool, MH_E_QUOTA, "the store has used every %s", name);
    uint8_t nb[4];
    mh_put_u32(nb, n + 1);
    MDB_val nv = {4, nb};
    if ((rc = mdb_put(t->txn, lbe_dbi(t, DBI_META), &k, &nv, 0)))
        return lbe_fail(err, t->pool, rc, apr_psprintf(t->pool, "advance %s", name));
    *v_r = n;
    return MH_OK;
}

mh_err lbe_new_object_id(mh_txn *t, const mh_change_in *chg, mh_id *id_r, mh_error *err)
{
    if (!chg || !chg->id)
        return lbe_next_id(t, id_r, err);
    lbe_key k;
    lk_init(&k);
    lk_u32(&k, t->mr.mbx);
    lk_u64(&k, chg->id);
    MDB_val key = lk_val(&k), v;
    /* reserved, and never used: a deleted object's ID stays its own */
    if (chg->id > t->mr.last_id || lbe_object_kind(t, chg->id) ||
        mdb_get(t->txn, lbe_dbi(t, DBI_TOMBSTONES), &key, &v) == 0)
        return mh_fail(err, t->pool, MH_E_INVALID, "ID %llu was not reserved, or is or was in use",
                       (unsigned long long)chg->id);
    *id_r = chg->id;
    return MH_OK;
}

int lbe_tombstone_put(mh_txn *t, mh_id id, uint8_t flags, mh_id folder, mh_id cn,
                      const mh_bin *source_key)
{
    lbe_key k;
    lk_init(&k);
    lk_u32(&k, t->mr.mbx);
    lk_u64(&k, id);
    mh_wr w;
    mh_wr_init(&w, t->pool, 64);
    mh_wr_u8(&w, flags);
    mh_wr_u64(&w, folder);
    mh_wr_u64(&w, cn);
    mh_wr_u32(&w, source_key ? source_key->len : 0);
    if (source_key)
        mh_wr_bytes(&w, source_key->data, source_key->len);
    return lbe_put(t, DBI_TOMBSTONES, &k, w.buf, w.len);
}

int lbe_srckey_put(mh_txn *t, const mh_bin *sk, uint8_t kind, mh_id id)
{
    if (!sk->len || sk->len > 255)
        return 0; /* not indexable; the object keeps it as a property */
    lbe_key k;
    lk_init(&k);
    lk_u32(&k, t->mr.mbx);
    lk_bytes(&k, sk->data, sk->len);
    uint8_t v[9];
    v[0] = kind;
    mh_put_u64_be(v + 1, id);
    return lbe_put(t, DBI_SRCKEYS, &k, v, sizeof(v));
}

mh_err lbe_stamp_change(mh_txn *t, apr_pool_t *pool, mh_proplist *props, mh_id id, mh_id cn,
                        int is_new, const mh_change_in *chg, mh_error *err)
{
    static const mh_change_in none;
    if (!chg)
        chg = &none;
    if (is_new || !mh_proplist_find(props, PR_SOURCE_KEY)) {
        mh_bin sk = chg->source_key;
        if (!sk.len) {
            uint8_t *x = apr_palloc(pool, MH_XID_LEN);
            mh_xid_make(&t->guid, id, x);
            sk.data = x;
            sk.len = MH_XID_LEN;
        }
        mh_propval v = mh_pv_bin(PR_SOURCE_KEY, sk.data, sk.len);
        mh_proplist_set(pool, props, &v);
    }
    mh_bin ck = chg->change_key;
    if (!ck.len) {
        uint8_t *x = apr_palloc(pool, MH_XID_LEN);
        mh_xid_make(&t->guid, cn, x);
        ck.data = x;
        ck.len = MH_XID_LEN;
    } else if (ck.len < 17 || ck.len > 24) {
        return mh_fail(err, pool, MH_E_INVALID, "a change key of %u bytes is not an XID",
                       ck.len);
    }
    mh_bin pcl = chg->pcl;
    if (!pcl.len) {
        const mh_propval *old = is_new ? NULL : mh_proplist_find(props, PR_PREDECESSOR_CHANGE_LIST);
        size_t olen = old && !(old->flags & MH_PV_LARGE) ? old->v.bin.len : 0;
        uint8_t *out = apr_palloc(pool, olen + 1 + ck.len);
        size_t n = mh_pcl_merge(olen ? old->v.bin.data : NULL, olen, ck.data, ck.len, out,
                                olen + 1 + ck.len);
        if (!n) /* a damaged stored PCL: start over from this change */
            n = mh_pcl_merge(NULL, 0, ck.data, ck.len, out, olen + 1 + ck.len);
        pcl.data = out;
        pcl.len = (uint32_t)n;
    }
    mh_propval v = mh_pv_bin(PR_CHANGE_KEY, ck.data, ck.len);
    mh_proplist_set(pool, props, &v);
    v = mh_pv_bin(PR_PREDECESSOR_CHANGE_LIST, pcl.data, pcl.len);
    mh_proplist_set(pool, props, &v);
    v = mh_pv_i8(PR_CHANGE_NUMBER, (int64_t)cn);
    mh_proplist_set(pool, props, &v);
    return MH_OK;
}

/* ----------------------------------------------------------- large values */

static void lvkey(lbe_key *k, const mh_txn *t, mh_id ref, uint32_t chunk)
{
    lk_init(k);
    lk_u32(k, t->mr.mbx);
    lk_u64(k, ref);
    lk_u32(k, chunk);
}

mh_err lbe_lval_write(mh_txn *t, const void *data, uint64_t size, mh_id *ref_r, mh_error *err)
{
    mh_id ref;
    mh_err e = lbe_next_id(t, &ref, err);
    if (e != MH_OK)
        return e;
    const uint8_t *p = data;
    for (uint64_t off = 0, chunk = 0; off < size || (size == 0 && chunk == 0); chunk++) {
        size_t n = size - off > LBE_CHUNK ? LBE_CHUNK : (size_t)(size - off);
        lbe_key k;
        lvkey(&k, t, ref, (uint32_t)chunk);
        int rc = lbe_put(t, DBI_LVALS, &k, p + off, n);
        if (rc)
            return lbe_fail(err, t->pool, rc, "write a large value");
        off += n;
        if (size == 0)
            break;
    }
    *ref_r = ref;
    return MH_OK;
}

mh_err lbe_lval_write_source(mh_txn *t, const mh_propval *src, mh_id *ref_r, mh_error *err)
{
    mh_id ref;
    mh_err e = lbe_next_id(t, &ref, err);
    if (e != MH_OK)
        return e;
    uint64_t size = src->v.source.size;
    uint32_t chunk = 0;
    for (uint64_t off = 0; off < size; chunk++) {
        size_t n = size - off > LBE_CHUNK ? LBE_CHUNK : (size_t)(size - off);
        lbe_key k;
        lvkey(&k, t, ref, chunk);
        /* reserve the chunk in the map and let the source fill it */
        MDB_val key = lk_val(&k), val = {n, NULL};
        int rc = mdb_put(t->txn, lbe_dbi(t, DBI_LVALS), &key, &val, MDB_RESERVE);
        if (rc)
            return lbe_fail(err, t->pool, rc, "write a large value");
        e = src->v.source.read(src->v.source.baton, off, val.mv_data, n, err);
        if (e != MH_OK)
            return e;
        off += n;
    }
    if (size == 0) {
        lbe_key k;
        lvkey(&k, t, ref, 0);
        int rc = lbe_put(t, DBI_LVALS, &k, "", 0);
        if (rc)
            return lbe_fail(err, t->pool, rc, "write a large value");
    }
    *ref_r = ref;
    return MH_OK;
}

mh_err lbe_lval_read(mh_txn *t, mh_id ref, uint64_t size, uint64_t offset, void *buf,
                     size_t len, size_t *got_r, mh_error *err)
{
    if (offset > size)
        return mh_fail(err, t->pool, MH_E_INVALID, "offset %llu beyond the value's %llu bytes",
                       (unsigned long long)offset, (unsigned long long)size);
    if (len > size - offset)
        len = (size_t)(size - offset);
    size_t got = 0;
    uint8_t *out = buf;
    while (got < len) {
        uint64_t pos = offset + got;
        uint32_t chunk = (uint32_t)(pos / LBE_CHUNK);
        size_t in_chunk = (size_t)(pos % LBE_CHUNK);
        lbe_key k;
        lvkey(&k, t, ref, chunk);
        MDB_val key = lk_val(&k), v;
        int rc = mdb_get(t->txn, lbe_dbi(t, DBI_LVALS), &key, &v);
        if (rc == MDB_NOTFOUND || (rc == 0 && v.mv_size <= in_chunk))
            return mh_fail(err, t->pool, MH_E_CORRUPT, "large value %llu is missing chunk %u",
                           (unsigned long long)ref, chunk);
        if (rc)
            return lbe_fail(err, t->pool, rc, "read a large value");
        size_t n = v.mv_size - in_chunk;
        if (n > len - got)
            n = len - got;
        memcpy(out + got, (uint8_t *)v.mv_data + in_chunk, n);
        got += n;
    }
    *got_r = got;
    return MH_OK;
}

int lbe_lval_delete(mh_txn *t, mh_id ref, uint64_t size)
{
    uint32_t chunks = (uint32_t)(size / LBE_CHUNK) + 1;
    for (uint32_t c = 0; c < chunks; c++) {
        lbe_key k;
        lvkey(&k, t, ref, c);
        int rc = lbe_del(t, DBI_LVALS, &k);
        if (rc)
            return rc;
    }
    return 0;
}
