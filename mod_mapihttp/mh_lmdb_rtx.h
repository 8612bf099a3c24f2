/*
 * mh_lmdb_rtx.h - read-only LMDB transaction handles kept for reuse, for
 * the two LMDB users in a process: the session store (mh_session.c) and
 * the LMDB backend (backends/lmdb/lmdb_env.c).
 *
 * Both open their environments with MDB_NOTLS, where a new read-only
 * transaction takes the reader table's lock (shared by every process of
 * the environment) to claim a slot, and a malloc.  A handle ended with
 * mdb_txn_reset keeps its slot (holding no snapshot, so nothing is pinned)
 * and mdb_txn_renew starts it again without the lock.  A pool keeps at most
 * MH_RTX_KEEP such handles; they are at most the read transactions the
 * process once had open at the same time, so they hold no slot it did not
 * use.  Abort the kept handles (mh_rtx_drain) before mdb_env_close.
 */
#ifndef MH_LMDB_RTX_H
#define MH_LMDB_RTX_H

#include <pthread.h>
#include <lmdb.h>

#define MH_RTX_KEEP 16

typedef struct mh_rtx_pool {
    pthread_mutex_t lock;
    MDB_txn *kept[MH_RTX_KEEP];
    unsigned n;
} mh_rtx_pool;

static inline void mh_rtx_init(mh_rtx_pool *p)
{
    pthread_mutex_init(&p->lock, NULL);
    p->n = 0;
}

/* A read-only transaction on `env`: a kept handle renewed, else a new one
 * (mdb_txn_begin's return code). */
static inline int mh_rtx_begin(mh_rtx_pool *p, MDB_env *env, MDB_txn **txn)
{
    MDB_txn *t = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->n)
        t = p->kept[--p->n];
    pthread_mutex_unlock(&p->lock);
    if (t) {
        if (mdb_txn_renew(t) == 0) {
            *txn = t;
            return 0;
        }
        mdb_txn_abort(t);
    }
    return mdb_txn_begin(env, NULL, MDB_RDONLY, txn);
}

/* Ends a read-only transaction, keeping its handle when there is room. */
static inline void mh_rtx_end(mh_rtx_pool *p, MDB_txn *txn)
{
    mdb_txn_reset(txn);
    pthread_mutex_lock(&p->lock);
    if (p->n < MH_RTX_KEEP) {
        p->kept[p->n++] = txn;
        txn = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    if (txn)
        mdb_txn_abort(txn);
}

/* Aborts the kept handles (before the environment closes); the pool can
 * be used again. */
static inline void mh_rtx_drain(mh_rtx_pool *p)
{
    pthread_mutex_lock(&p->lock);
    for (unsigned i = 0; i < p->n; i++)
        mdb_txn_abort(p->kept[i]);
    p->n = 0;
    pthread_mutex_unlock(&p->lock);
}

#endif
