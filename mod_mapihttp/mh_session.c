/*
 * mh_session.c - Session Contexts in an LMDB environment shared by every
 * httpd process (see mh_session.h for the contract).
 *
 * Schema (documented for operators in docs/admin.md, "Session store"):
 *   meta      "schema" -> u32 schema version
 *             "guid"   -> 16 bytes, made once
 *             "sweep"  -> u64 ms: when the next sweep of expired contexts is due
 *   sessions  id (16 bytes) -> record (below)
 *   expiry    u64 BE expires_ms || id -> "" (expired contexts in time order)
 *   users     user bytes || 0x00 || id -> "" (contexts per user, for the cap)
 *
 * Record, little-endian:
 *   u16 version (1), u8 endpoint, u8 reserved,
 *   16  sequence token,
 *   u64 created_ms, u64 expires_ms, u64 generation,
 *   u64 events_posted, u64 events_delivered,
 *   mark busy, mark wait   (each: u32 pid, u64 process nonce, u64 token,
 *                           u64 since_ms; pid 0 = free),
 *   u16 user_len, u32 state_len, user bytes, state bytes.
 *
 * The environment is opened with MDB_NOSYNC: a context is disposable (the
 * client reconnects), so a commit need not wait for the disk; a process crash
 * loses nothing (the pages are in the kernel), and a store damaged by a
 * system crash is moved aside and recreated at the next start.
 *
 * And with MDB_WRITEMAP: a transaction writes its pages in the map, and a
 * commit is a few stores to memory instead of a pwrite per dirty page (four
 * for an Execute's commit, all made while holding the writer lock every
 * httpd process shares; on the ROP benchmark a minimal Execute cost 45-70
 * µs of server CPU more than a PING before, 20-50 µs after).  LMDB then
 * sizes the file to the map (sparse), and a write to a page the file
 * system cannot allocate would be SIGBUS, not an error.  (Every process
 * opening the store opens it so: LMDB wants WRITEMAP and non-WRITEMAP
 * processes not mixed on one environment.)  So the file's blocks are allocated ahead
 * of LMDB's use (reserve(): posix_fallocate, in chunks of RESERVE_CHUNK,
 * at least RESERVE_MARGIN pages past the last page in use, plus the size
 * of the record about to be written), inside each write transaction, where
 * the writer lock keeps the last page still; a full file system fails that
 * transaction with ENOSPC (MH00102) before anything is written.
 *
 * Busy marks.  A write transaction takes LMDB's one writer lock, which every
 * httpd process shares: with many clients it is the store's first limit
 * (futex hand-offs between processes, page copies, pwrite calls).  A
 * sequenced request therefore commits once, at its end; its busy mark is
 * claimed in the shared table of mh_marks.h (compare-and-swap in a file
 * every process maps: no lock, no system call).  Designs not taken: a
 * second LMDB environment for the marks (still a writer lock and two
 * commits, only a smaller one); robust process-shared mutexes per bucket
 * (a mutex held by a frozen process stops its bucket, and a damaged file
 * can hold a mutex no one can take, where a damaged word is just a claim
 * of a dead pid); marks in a per-process table (other processes could not
 * see them).
 *
 *   begin: claim the mark, then, in a read transaction, check the record
 *          (user, endpoint, expiry, a busy mark in the record, sequence);
 *          any refusal releases the claim.  Claim first, then check: a
 *          request that claims after this one's check finds the claim.
 *          The new sequence token is made but not stored.
 *   end:   the claim turns ENDING (it cannot be taken over by age during
 *          the commit; if it was taken over already, nothing is saved:
 *          GONE), one write transaction stores the new token, the state
 *          and the expiry, then the claim is released.  The client learns
 *          the token from the response, which is sent after this; a
 *          request that shows it earlier finds the session busy.
 *
 * When the id's bucket of the table is full (or there is no table), the
 * mark goes into the record's busy field as it always did: begin commits
 * it, then looks in the table (claim first, then check, across the two
 * kinds of mark; a claim in the table reads the record's mark in its check)
 * and withdraws when it finds a claim there.  Everything else that cares
 * whether a request runs on a context (expiry in check_session, the sweep,
 * the per-user cap's expired contexts, get_info) looks at both kinds.
 * Destroy ignores both, as before: the running request's end finds nothing.
 *
 * Differences from marking the record at begin: (1) a request whose
 * process dies before its end leaves the stored token as it was, so the
 * client's retry with the token it has works (before: refused with 15,
 * and the client reconnected); (2) events taken by an Execute are
 * committed at begin only when there are any (a write that is rare);
 * (3) a sweep that removes a context at the instant its expiry passes can
 * race a request's read-only check, like a Disconnect during a request:
 * the request's end then finds nothing to save (GONE); (4) during a
 * graceful restart from a version without the table, a request in a new
 * process does not exclude one starting in an old process at that moment.
 */
#include "mh_session.h"
#include "mh_lmdb_rtx.h"
#include "mh_log.h"
#include "mh_marks.h"
#include "mh_owner.h"
#include "mh_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <apr_general.h>
#include <lmdb.h>

#define SCHEMA_VERSION 1u
#define RECORD_VERSION 1u
#define MARK_LEN 28
#define RECORD_FIXED_LEN (4 + 16 + 5 * 8 + 2 * MARK_LEN + 2 + 4)
#define SWEEP_INTERVAL_MS 30000u
/* An expiry less than this behind the one a request would set is left as
 * it is (a context then expires up to this much early): a touch changes
 * nothing, and the end of a request does not move the expiry index. */
#define TOUCH_SLACK_MS 1000
#define SWEEP_BUDGET 64u
/* reserve(): file blocks allocated ahead of the pages LMDB uses (a write
 * transaction copies at most a few hundred pages besides its record: a
 * sweep's 64 deletions in three trees, the free list) */
#define RESERVE_MARGIN 1024u
#define RESERVE_CHUNK ((size_t)4 * 1024 * 1024)
#define STATE_MAX (64u * 1024 * 1024)

typedef struct mark {
    uint32_t pid;
    uint64_t nonce;
    uint64_t token;
    uint64_t since_ms;
} mark;

typedef struct record {
    unsigned version;
    unsigned endpoint;
    unsigned char seq[MH_SESSION_ID_LEN];
    uint64_t created_ms, expires_ms, generation;
    uint64_t events_posted, events_delivered;
    mark busy, wait;
    const char *user;
    size_t user_len;
    const unsigned char *state;
    size_t state_len;
} record;

/* Cache entries form a circular doubly linked LRU list around a sentinel
 * (most recently used after the sentinel); free entries a singly linked
 * list through `next`. */
typedef struct cache_entry cache_entry;
struct cache_entry {
    cache_entry *prev, *next;
    unsigned char id[MH_SESSION_ID_LEN];
    uint64_t generation;
    apr_pool_t *pool;
    void *state;
};

struct mh_session_store {
    MDB_env *env;
    MDB_dbi dbi_meta, dbi_sessions, dbi_expiry, dbi_users;
    apr_pool_t *pool;
    mh_session_store_config cfg;
    unsigned char guid[16];
    uint32_t pid;
    uint64_t nonce;
#if APR_HAS_THREADS
    apr_thread_mutex_t *mutex; /* guards the cache and the counters */
#endif
    apr_hash_t *cache;            /* id -> cache_entry */
    cache_entry lru;              /* sentinel: lru.next is the most recent */
    unsigned cache_count;
    cache_entry *free_entries;    /* recycled entry structs */
    uint64_t hits, misses;
    mh_marks *marks;              /* the shared busy marks; NULL: none */
    uint64_t marks_in_table, marks_in_store; /* atomic counters */
    uint64_t write_txns;
    mh_rtx_pool rtx;              /* read-only handles kept (mh_lmdb_rtx.h) */
    size_t psize;                 /* LMDB's page size */
    size_t reserved;              /* bytes of the file known allocated (atomic) */
};

/* ---------------------------------------------------------------- utils */

const char *mh_ss_status_name(mh_ss_status st)
{
    switch (st) {
    case MH_SS_OK: return "ok";
    case MH_SS_NOT_FOUND: return "not found";
    case MH_SS_EXPIRED: return "expired";
    case MH_SS_WRONG_USER: return "bound to another user";
    case MH_SS_WRONG_ENDPOINT: return "context of another endpoint";
    case MH_SS_BUSY: return "busy";
    case MH_SS_BAD_SEQUENCE: return "stale sequence";
    case MH_SS_REJECTED: return "wait already outstanding";
    case MH_SS_GONE: return "gone";
    case MH_SS_ERROR: return "store error";
    }
    return "?";
}

static uint64_t to_ms(apr_time_t t)
{
    return t > 0 ? (uint64_t)(t / 1000) : 0;
}

static void lock(mh_session_store *st)
{
#if APR_HAS_THREADS
    apr_thread_mutex_lock(st->mutex);
#endif
}

static void unlock(mh_session_store *st)
{
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(st->mutex);
#endif
}

static uint64_t random_u64(void)
{
    uint64_t v = 0;
    if (apr_generate_random_bytes((unsigned char *)&v, sizeof(v)) != APR_SUCCESS)
        abort(); /* no entropy: nothing safe to hand out */
    return v;
}

static void random_id(unsigned char *out)
{
    if (apr_generate_random_bytes(out, MH_SESSION_ID_LEN) != APR_SUCCESS)
        abort();
}

static void hex_id(const unsigned char *id, char out[2 * MH_SESSION_ID_LEN + 1])
{
    mh_hex_encode(id, MH_SESSION_ID_LEN, out);
}

/* Logs an LMDB failure; every caller turns it into MH_SS_ERROR. */
static mh_ss_status lmdb_fail(const char *what, int rc)
{
    if (rc == MDB_MAP_FULL)
        mh_log(MH_LOG_ERR,
               MHLOGNO(00101) "session store full during %s: raise "
               "MapiHttpSessionStoreSize", what);
    else
        mh_log(MH_LOG_ERR, MHLOGNO(00102) "session store: %s failed: %s",
               what, mdb_strerror(rc));
    return MH_SS_ERROR;
}

/*
 * Makes sure the file's blocks are allocated up to RESERVE_MARGIN pages
 * past the last page in use, plus `extra` bytes (MDB_WRITEMAP, above).
 * Called in a write transaction: no other writer moves the last page.
 * 0, or an errno (ENOSPC: the file system is full).
 */
static int reserve(mh_session_store *st, size_t extra)
{
    MDB_envinfo ei;
    int rc = mdb_env_info(st->env, &ei);
    if (rc)
        return rc;
    size_t need = ((size_t)ei.me_last_pgno + 1 + RESERVE_MARGIN) * st->psize + extra;
    if (need <= __atomic_load_n(&st->reserved, __ATOMIC_ACQUIRE))
        return 0;
    size_t to = (need + RESERVE_CHUNK - 1) / RESERVE_CHUNK * RESERVE_CHUNK;
    if (to > st->cfg.map_size)
        to = st->cfg.map_size; /* beyond it LMDB answers MDB_MAP_FULL itself */
    int fd;
    if ((rc = mdb_env_get_fd(st->env, &fd)))
        return rc;
    if ((rc = posix_fallocate(fd, 0, (off_t)to)))
        return rc;
    size_t cur = __atomic_load_n(&st->reserved, __ATOMIC_RELAXED);
    while (cur < to && !__atomic_compare_exchange_n(&st->reserved, &cur, to, 0, __ATOMIC_RELEASE,
                                                    __ATOMIC_RELAXED))
        ;
    return 0;
}

static int txn_begin(mh_session_store *st, unsigned flags, MDB_txn **txn)
{
    if (!(flags & MDB_RDONLY))
        __atomic_fetch_add(&st->write_txns, 1, __ATOMIC_RELAXED);
    int rc = mdb_txn_begin(st->env, NULL, flags, txn);
    if (rc == MDB_READERS_FULL) {
        int dead = 0;
        mdb_reader_check(st->env, &dead);
        rc = mdb_txn_begin(st->env, NULL, flags, txn);
    }
    /* MDB_MAP_RESIZED (a process with a larger MapiHttpSessionStoreSize
     * grew the store beyond this one's map, e.g. after a graceful restart
     * that raised it) is an error here: adopting the new size remaps the
     * store under the other threads' transactions.  Such a process is of
     * an older generation and about to go. */
    if (rc == 0 && !(flags & MDB_RDONLY) && (rc = reserve(st, 0))) {
        mdb_txn_abort(*txn);
        *txn = NULL;
    }
    return rc;
}

/* A read-only transaction, on a kept handle when there is one. */
static int ro_begin(mh_session_store *st, MDB_txn **txn)
{
    int rc = mh_rtx_begin(&st->rtx, st->env, txn);
    if (rc == MDB_READERS_FULL)
        rc = txn_begin(st, MDB_RDONLY, txn); /* clears dead processes' slots */
    return rc;
}

static void ro_end(mh_session_store *st, MDB_txn *txn)
{
    mh_rtx_end(&st->rtx, txn);
}

/* --------------------------------------------------------------- record */

static void put_mark(unsigned char *p, const mark *m)
{
    mh_put_u32(p, m->pid);
    mh_put_u32(p + 4, (uint32_t)m->nonce);
    mh_put_u32(p + 8, (uint32_t)(m->nonce >> 32));
    mh_put_u32(p + 12, (uint32_t)m->token);
    mh_put_u32(p + 16, (uint32_t)(m->token >> 32));
    mh_put_u32(p + 20, (uint32_t)m->since_ms);
    mh_put_u32(p + 24, (uint32_t)(m->since_ms >> 32));
}

static void rd_mark(mh_rd *rd, mark *m)
{
    m->pid = mh_rd_u32(rd);
    m->nonce = mh_rd_u64(rd);
    m->token = mh_rd_u64(rd);
    m->since_ms = mh_rd_u64(rd);
}

static int record_decode(const MDB_val *v, record *r)
{
    mh_rd rd;
    mh_rd_init(&rd, v->mv_data, v->mv_size);
    r->version = mh_rd_u16(&rd);
    r->endpoint = mh_rd_u8(&rd);
    mh_rd_u8(&rd);
    mh_rd_copy(&rd, r->seq, MH_SESSION_ID_LEN);
    r->created_ms = mh_rd_u64(&rd);
    r->expires_ms = mh_rd_u64(&rd);
    r->generation = mh_rd_u64(&rd);
    r->events_posted = mh_rd_u64(&rd);
    r->events_delivered = mh_rd_u64(&rd);
    rd_mark(&rd, &r->busy);
    rd_mark(&rd, &r->wait);
    r->user_len = mh_rd_u16(&rd);
    r->state_len = mh_rd_u32(&rd);
    r->user = (const char *)mh_rd_bytes(&rd, r->user_len);
    r->state = mh_rd_bytes(&rd, r->state_len);
    mh_rd_expect_end(&rd);
    if (rd.err || r->version != RECORD_VERSION ||
        (r->endpoint != MH_EP_EMSMDB && r->endpoint != MH_EP_NSPI) ||
        r->user_len == 0 || r->user_len > MH_SESSION_USER_MAX ||
        memchr(r->user, 0, r->user_len))
        return -1;
    return 0;
}

/* Encodes into a malloc'd buffer (the caller frees). */
static unsigned char *record_encode(const record *r, size_t *len_r)
{
    size_t len = RECORD_FIXED_LEN + r->user_len + r->state_len;
    unsigned char *b = malloc(len), *p = b;
    if (!b)
        return NULL;
    mh_put_u16(p, RECORD_VERSION);
    p[2] = (unsigned char)r->endpoint;
    p[3] = 0;
    p += 4;
    memcpy(p, r->seq, MH_SESSION_ID_LEN);
    p += MH_SESSION_ID_LEN;
    const uint64_t nums[5] = {r->created_ms, r->expires_ms, r->generation,
                              r->events_posted, r->events_delivered};
    for (int i = 0; i < 5; i++, p += 8) {
        mh_put_u32(p, (uint32_t)nums[i]);
        mh_put_u32(p + 4, (uint32_t)(nums[i] >> 32));
    }
    put_mark(p, &r->busy);
    p += MARK_LEN;
    put_mark(p, &r->wait);
    p += MARK_LEN;
    mh_put_u16(p, (uint16_t)r->user_len);
    mh_put_u32(p + 2, (uint32_t)r->state_len);
    p += 6;
    memcpy(p, r->user, r->user_len);
    p += r->user_len;
    if (r->state_len)
        memcpy(p, r->state, r->state_len);
    *len_r = len;
    return b;
}

static int mark_live(const mh_session_store *st, const mark *m, uint64_t now_ms,
                     apr_interval_time_t stale_after)
{
    if (m->pid == 0)
        return 0;
    if (now_ms >= m->since_ms + to_ms(stale_after))
        return 0;
    if (m->pid == st->pid)
        return m->nonce == st->nonce; /* else: an earlier process, same pid */
    if (kill((pid_t)m->pid, 0) == -1 && errno == ESRCH)
        return 0;
    return 1;
}

static int mark_is(const mark *m, const mh_session_owner *o)
{
    return m->pid == o->pid && m->nonce == o->process_nonce &&
           m->token == o->token;
}

static void mark_set(mark *m, const mh_session_owner *o, uint64_t now_ms)
{
    m->pid = o->pid;
    m->nonce = o->process_nonce;
    m->token = o->token;
    m->since_ms = now_ms;
}

static uint64_t busy_stale_ms(const mh_session_store *st)
{
    return to_ms(st->cfg.busy_stale_after);
}

/* A live busy mark of `id` in the shared table, other than `except`. */
static int table_busy(mh_session_store *st, const unsigned char *id, uint64_t now_ms,
                      const mh_mark *except)
{
    return st->marks &&
           mh_marks_held(st->marks, id, now_ms, busy_stale_ms(st), except, NULL);
}

/* Whether a request or a wait runs on the context (it then never expires). */
static int in_use(mh_session_store *st, const unsigned char *id, const record *r,
                  uint64_t now_ms, const mh_mark *except)
{
    return mark_live(st, &r->busy, now_ms, st->cfg.busy_stale_after) ||
           mark_live(st, &r->wait, now_ms, st->cfg.wait_stale_after) ||
           table_busy(st, id, now_ms, except);
}

static int user_eq(const record *r, const char *user)
{
    size_t n = strlen(user);
    return n == r->user_len && memcmp(r->user, user, n) == 0;
}

/* ---------------------------------------------------------- index keys */

static void expiry_key(unsigned char k[8 + MH_SESSION_ID_LEN], uint64_t expires_ms,
                       const unsigned char *id)
{
    mh_put_u64_be(k, expires_ms);
    memcpy(k + 8, id, MH_SESSION_ID_LEN);
}

/* user || 0 || id; buffer of MH_SESSION_USER_MAX + 1 + 16 bytes */
static size_t user_key(unsigned char *k, const char *user, size_t user_len,
                       const unsigned char *id)
{
    memcpy(k, user, user_len);
    k[user_len] = 0;
    memcpy(k + user_len + 1, id, MH_SESSION_ID_LEN);
    return user_len + 1 + MH_SESSION_ID_LEN;
}

static int del_ignore_missing(MDB_txn *txn, MDB_dbi dbi, void *k, size_t klen)
{
    MDB_val key = {klen, k};
    int rc = mdb_del(txn, dbi, &key, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Writes a record and moves its expiry-index entry when expiry changed. */
static int record_put(mh_session_store *st, MDB_txn *txn, const unsigned char *id,
                      const record *r, uint64_t old_expires_ms, int is_new)
{
    size_t len;
    unsigned char *buf = record_encode(r, &len);
    if (!buf)
        return ENOMEM;
    /* (a large state takes pages of its own: allocated first) */
    int rc = len > st->psize ? reserve(st, len) : 0;
    if (rc) {
        free(buf);
        return rc;
    }
    MDB_val key = {MH_SESSION_ID_LEN, (void *)id}, val = {len, buf};
    rc = mdb_put(txn, st->dbi_sessions, &key, &val, 0);
    free(buf);
    if (rc)
        return rc;
    if (is_new || old_expires_ms != r->expires_ms) {
        unsigned char ek[8 + MH_SESSION_ID_LEN];
        if (!is_new) {
            expiry_key(ek, old_expires_ms, id);
            if ((rc = del_ignore_missing(txn, st->dbi_expiry, ek, sizeof(ek))))
                return rc;
        }
        expiry_key(ek, r->expires_ms, id);
        MDB_val k2 = {sizeof(ek), ek}, empty = {0, ""};
        if ((rc = mdb_put(txn, st->dbi_expiry, &k2, &empty, 0)))
            return rc;
    }
    return 0;
}

/* Deletes a session and its index entries. */
static int record_del(mh_session_store *st, MDB_txn *txn, const unsigned char *id,
                      const record *r)
{
    unsigned char ek[8 + MH_SESSION_ID_LEN];
    unsigned char uk[MH_SESSION_USER_MAX + 1 + MH_SESSION_ID_LEN];
    int rc;
    if ((rc = del_ignore_missing(txn, st->dbi_sessions, (void *)id, MH_SESSION_ID_LEN)))
        return rc;
    expiry_key(ek, r->expires_ms, id);
    if ((rc = del_ignore_missing(txn, st->dbi_expiry, ek, sizeof(ek))))
        return rc;
    size_t uklen = user_key(uk, r->user, r->user_len, id);
    return del_ignore_missing(txn, st->dbi_users, uk, uklen);
}

/*
 * Loads a record.  A record that does not decode is removed (with whatever
 * index entries can still be found) and reported as not found.
 */
static int record_get(mh_session_store *st, MDB_txn *txn, const unsigned char *id,
                      record *r, int *found_r)
{
    MDB_val key = {MH_SESSION_ID_LEN, (void *)id}, val;
    int rc = mdb_get(txn, st->dbi_sessions, &key, &val);
    *found_r = 0;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (record_decode(&val, r) != 0) {
        char hex[2 * MH_SESSION_ID_LEN + 1];
        hex_id(id, hex);
        mh_log(MH_LOG_WARNING,
               MHLOGNO(00103) "session store: record %s is damaged; removed", hex);
        return del_ignore_missing(txn, st->dbi_sessions, (void *)id, MH_SESSION_ID_LEN);
    }
    *found_r = 1;
    return 0;
}

/* Common checks for a request naming a session.  Deletes an expired one
 * (one no request or wait runs on; `except`, the caller's own mark, does
 * not count). */
static mh_ss_status check_session(mh_session_store *st, MDB_txn *txn,
                                  const unsigned char *id, const record *r,
                                  mh_endpoint ep, const char *user,
                                  uint64_t now_ms, const mh_mark *except, int *rc_r)
{
    *rc_r = 0;
    if (!user_eq(r, user))
        return MH_SS_WRONG_USER;
    if (r->endpoint != (unsigned)ep)
        return MH_SS_WRONG_ENDPOINT;
    if (now_ms >= r->expires_ms && !in_use(st, id, r, now_ms, except)) {
        *rc_r = record_del(st, txn, id, r);
        return MH_SS_EXPIRED;
    }
    return MH_SS_OK;
}

/* ---------------------------------------------------------------- sweep */

static int sweep_txn(mh_session_store *st, MDB_txn *txn, uint64_t now_ms,
                     unsigned budget, unsigned *removed_r)
{
    MDB_cursor *cur;
    MDB_val k, v;
    unsigned removed = 0, looked = 0;
    int rc = mdb_cursor_open(txn, st->dbi_expiry, &cur);
    if (rc)
        return rc;
    /* collect first, delete after: deleting under a cursor is fiddly */
    unsigned char ids[SWEEP_BUDGET][MH_SESSION_ID_LEN];
    unsigned n = 0;
    if (budget > SWEEP_BUDGET)
        budget = SWEEP_BUDGET;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && looked < budget;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), looked++) {
        if (k.mv_size != 8 + MH_SESSION_ID_LEN)
            continue;
        if (mh_get_u64_be(k.mv_data) > now_ms)
            break;
        memcpy(ids[n++], (unsigned char *)k.mv_data + 8, MH_SESSION_ID_LEN);
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    for (unsigned i = 0; i < n; i++) {
        record r;
        int found;
        if ((rc = record_get(st, txn, ids[i], &r, &found)))
            return rc;
        if (!found) {
            /* orphaned index entry: find and drop it */
            continue;
        }
        if (now_ms < r.expires_ms || in_use(st, ids[i], &r, now_ms, NULL))
            continue;
        if ((rc = record_del(st, txn, ids[i], &r)))
            return rc;
        removed++;
    }
    if (removed_r)
        *removed_r = removed;
    return 0;
}

/* Sweeps when due (one process per interval does it: the due time is in the
 * store). */
static int maybe_sweep(mh_session_store *st, MDB_txn *txn, uint64_t now_ms)
{
    MDB_val k = {5, "sweep"}, v;
    int rc = mdb_get(txn, st->dbi_meta, &k, &v);
    if (rc == 0 && v.mv_size == 8 && mh_get_u64_be(v.mv_data) > now_ms)
        return 0;
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    unsigned removed = 0;
    if ((rc = sweep_txn(st, txn, now_ms, SWEEP_BUDGET, &removed)))
        return rc;
    if (removed)
        mh_log(MH_LOG_DEBUG, MHLOGNO(00104) "session store: swept %u expired contexts",
               removed);
    unsigned char due[8];
    mh_put_u64_be(due, now_ms + SWEEP_INTERVAL_MS);
    MDB_val dv = {8, due};
    return mdb_put(txn, st->dbi_meta, &k, &dv, 0);
}

mh_ss_status mh_session_sweep(mh_session_store *st, apr_time_t now,
                              unsigned budget, unsigned *removed_r)
{
    MDB_txn *txn = NULL;
    int rc = txn_begin(st, 0, &txn);
    if (rc)
        return lmdb_fail("sweep", rc);
    rc = sweep_txn(st, txn, to_ms(now), budget, removed_r);
    if (rc == 0) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (txn)
        mdb_txn_abort(txn);
    return rc ? lmdb_fail("sweep", rc) : MH_SS_OK;
}

/* ---------------------------------------------------------------- cache */

static void lru_unlink(cache_entry *e)
{
    e->prev->next = e->next;
    e->next->prev = e->prev;
}

static void lru_push_front(mh_session_store *st, cache_entry *e)
{
    e->prev = &st->lru;
    e->next = st->lru.next;
    st->lru.next->prev = e;
    st->lru.next = e;
}

/* Unlinks an entry from the index and the LRU list and recycles it. */
static void cache_release_entry(mh_session_store *st, cache_entry *e)
{
    apr_hash_set(st->cache, e->id, MH_SESSION_ID_LEN, NULL);
    lru_unlink(e);
    st->cache_count--;
    e->pool = NULL;
    e->state = NULL;
    e->next = st->free_entries;
    st->free_entries = e;
}

static void cache_drop_locked(mh_session_store *st, cache_entry *e)
{
    apr_pool_t *p = e->pool;
    cache_release_entry(st, e);
    apr_pool_destroy(p);
}

/* Takes the cached state of id if it is of `generation` (a hit); drops a
 * stale entry. */
static int cache_take(mh_session_store *st, const unsigned char *id,
                      uint64_t generation, apr_pool_t **pool_r, void **state_r)
{
    int hit = 0;
    lock(st);
    cache_entry *e = apr_hash_get(st->cache, id, MH_SESSION_ID_LEN);
    if (e && e->generation == generation) {
        *pool_r = e->pool;
        *state_r = e->state;
        cache_release_entry(st, e);
        hit = 1;
        st->hits++;
    } else {
        if (e)
            cache_drop_locked(st, e);
        st->misses++;
    }
    unlock(st);
    return hit;
}

static void cache_put(mh_session_store *st, const unsigned char *id,
                      uint64_t generation, apr_pool_t *pool, void *state)
{
    if (st->cfg.cache_entries == 0) {
        apr_pool_destroy(pool);
        return;
    }
    lock(st);
    cache_entry *e = apr_hash_get(st->cache, id, MH_SESSION_ID_LEN);
    if (e)
        cache_drop_locked(st, e);
    while (st->cache_count >= st->cfg.cache_entries)
        cache_drop_locked(st, st->lru.prev);
    if (st->free_entries) {
        e = st->free_entries;
        st->free_entries = e->next;
    } else {
        e = apr_pcalloc(st->pool, sizeof(*e));
    }
    memcpy(e->id, id, MH_SESSION_ID_LEN);
    e->generation = generation;
    e->pool = pool;
    e->state = state;
    lru_push_front(st, e);
    apr_hash_set(st->cache, e->id, MH_SESSION_ID_LEN, e);
    st->cache_count++;
    unlock(st);
}

static void cache_forget(mh_session_store *st, const unsigned char *id)
{
    lock(st);
    cache_entry *e = apr_hash_get(st->cache, id, MH_SESSION_ID_LEN);
    if (e)
        cache_drop_locked(st, e);
    unlock(st);
}

void mh_session_cache_stats_get(mh_session_store *st, mh_session_cache_stats *s)
{
    lock(st);
    s->hits = st->hits;
    s->misses = st->misses;
    s->entries = st->cache_count;
    unlock(st);
    s->marks_in_table = __atomic_load_n(&st->marks_in_table, __ATOMIC_RELAXED);
    s->marks_in_store = __atomic_load_n(&st->marks_in_store, __ATOMIC_RELAXED);
    s->write_txns = __atomic_load_n(&st->write_txns, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------ open/close */

void mh_session_store_config_default(mh_session_store_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->map_size = (size_t)1024 * 1024 * 1024;
    cfg->max_readers = 1024;
    cfg->cache_entries = 1024;
    cfg->busy_stale_after = apr_time_from_sec(600);
    cfg->wait_stale_after = apr_time_from_sec(3600 + 60);
    cfg->mark_slots = MH_MARKS_DEFAULT_SLOTS;
}

static apr_status_t store_cleanup(void *data)
{
    mh_session_store *st = data;
    if (st->env) {
        mh_rtx_drain(&st->rtx);
        mdb_env_close(st->env);
        st->env = NULL;
    }
    /* cached pools are unmanaged: destroy them explicitly */
    while (st->lru.next != &st->lru) {
        cache_entry *e = st->lru.next;
        lru_unlink(e);
        apr_pool_destroy(e->pool);
    }
    st->cache_count = 0;
    free(st);
    return APR_SUCCESS;
}

void mh_session_store_close(mh_session_store *st)
{
    apr_pool_cleanup_run(st->pool, st, store_cleanup);
}

static int is_damage(int rc)
{
    return rc == MDB_CORRUPTED || rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH ||
           rc == MDB_PAGE_NOTFOUND || rc == MDB_BAD_TXN;
}

/* Opens the environment and the databases; checks the schema.
 * *wrong_schema_r is set when the store holds another schema version. */
static int open_env(mh_session_store *st, int create, int *wrong_schema_r)
{
    MDB_txn *txn = NULL;
    int rc;
    *wrong_schema_r = 0;
    if ((rc = mdb_env_create(&st->env)))
        return rc;
    mdb_env_set_maxdbs(st->env, 8);
    mdb_env_set_mapsize(st->env, st->cfg.map_size);
    mdb_env_set_maxreaders(st->env, st->cfg.max_readers);
    if ((rc = mdb_env_open(st->env, st->cfg.path, MDB_NOSYNC | MDB_NOTLS | MDB_WRITEMAP, 0600)))
        goto out;
    MDB_stat ms;
    if ((rc = mdb_env_stat(st->env, &ms)))
        goto out;
    st->psize = ms.ms_psize;
    st->reserved = 0;
    int dead = 0;
    mdb_reader_check(st->env, &dead);
    if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) || (rc = reserve(st, 0)))
        goto out;
    unsigned dflags = create ? MDB_CREATE : 0;
    if ((rc = mdb_dbi_open(txn, "meta", dflags, &st->dbi_meta)) ||
        (rc = mdb_dbi_open(txn, "sessions", dflags, &st->dbi_sessions)) ||
        (rc = mdb_dbi_open(txn, "expiry", dflags, &st->dbi_expiry)) ||
        (rc = mdb_dbi_open(txn, "users", dflags, &st->dbi_users)))
        goto out;
    MDB_val k = {6, "schema"}, v;
    rc = mdb_get(txn, st->dbi_meta, &k, &v);
    if (rc == MDB_NOTFOUND && create) {
        unsigned char sv[4];
        mh_put_u32(sv, SCHEMA_VERSION);
        MDB_val nv = {4, sv};
        if ((rc = mdb_put(txn, st->dbi_meta, &k, &nv, 0)))
            goto out;
    } else if (rc) {
        goto out;
    } else if (v.mv_size != 4 || mh_get_u32(v.mv_data) != SCHEMA_VERSION) {
        *wrong_schema_r = 1;
        rc = MDB_INCOMPATIBLE;
        goto out;
    }
    MDB_val gk = {4, "guid"}, gv;
    rc = mdb_get(txn, st->dbi_meta, &gk, &gv);
    if (rc == MDB_NOTFOUND && create) {
        random_id(st->guid);
        MDB_val nv = {16, st->guid};
        if ((rc = mdb_put(txn, st->dbi_meta, &gk, &nv, 0)))
            goto out;
    } else if (rc) {
        goto out;
    } else if (gv.mv_size == 16) {
        memcpy(st->guid, gv.mv_data, 16);
    } else {
        rc = MDB_CORRUPTED;
        goto out;
    }
    rc = mdb_txn_commit(txn);
    txn = NULL;
out:
    if (txn)
        mdb_txn_abort(txn);
    if (rc && st->env) {
        mdb_env_close(st->env);
        st->env = NULL;
    }
    return rc;
}

/*
 * The table of busy marks.  Every process of a server must use it or none
 * (a process marking only records would not see the claims in the table):
 * the parent makes it at start (`create`), and a child uses the file it
 * finds.  When the parent cannot make it, there is none and every process
 * marks the records.  A child that finds a file it cannot use (it cannot
 * happen but by damage between the parent's check and the child's open,
 * or no memory to map it) marks records too, and says so.
 */
static void open_marks(mh_session_store *st, int create, apr_pool_t *pool)
{
    if (!st->cfg.mark_slots)
        return;
    const char *path = apr_pstrcat(pool, st->cfg.path, "/" MH_MARKS_FILE, NULL);
    const char *why = NULL;
    int recreated = 0;
    apr_status_t rv = mh_marks_open(path, create, st->cfg.mark_slots, st->pid, st->nonce, pool,
                                    &st->marks, &recreated, &why);
    if (rv == APR_SUCCESS) {
        if (recreated)
            mh_log(MH_LOG_WARNING,
                   MHLOGNO(02200) "session store: the busy-mark table %s was damaged or "
                   "of another format; made afresh", path);
        return;
    }
    st->marks = NULL;
    if (create)
        mh_log(MH_LOG_WARNING,
               MHLOGNO(02201) "session store: no busy-mark table (%s); requests mark "
               "sessions busy in the store (two commits per request)", why);
    else if (APR_STATUS_IS_ENOENT(rv))
        mh_log(MH_LOG_DEBUG,
               MHLOGNO(02204) "session store: no busy-mark table %s; requests mark "
               "sessions busy in the store", path);
    else
        mh_log(MH_LOG_ERR,
               MHLOGNO(02202) "session store: this process cannot use the busy-mark "
               "table (%s); its requests mark sessions busy in the store, where "
               "requests of other processes may not see them", why);
}

apr_status_t mh_session_store_open(const mh_session_store_config *cfg, int create,
                                   apr_pool_t *pool, mh_session_store **store_r,
                                   const char **errmsg_r)
{
    int major, minor, patch;
    mdb_version(&major, &minor, &patch);
    if (major != MDB_VERSION_MAJOR || minor != MDB_VERSION_MINOR) {
        *errmsg_r = apr_psprintf(pool,
                                 "liblmdb %d.%d.%d is loaded but %d.%d.x was "
                                 "built against; rebuild mod_mapihttp",
                                 major, minor, patch, MDB_VERSION_MAJOR,
                                 MDB_VERSION_MINOR);
        return APR_EGENERAL;
    }
    if (!cfg->path || !*cfg->path) {
        *errmsg_r = "no session store directory configured";
        return APR_EINVAL;
    }
    /* The store lives in malloc'd memory, not in the pool: it holds what
     * liblmdb mallocs (the environment, kept read handles), and a leak
     * checker does not look for pointers in APR's pool memory (mmap'd), so
     * it would call them lost (as the LMDB backend keeps its environments,
     * lmdb_env.c).  store_cleanup frees it, at close or with the pool. */
    mh_session_store *st = calloc(1, sizeof(*st));
    if (!st) {
        *errmsg_r = "out of memory";
        return APR_ENOMEM;
    }
    st->pool = pool;
    st->cfg = *cfg;
    st->cfg.path = apr_pstrdup(pool, cfg->path);
    st->pid = (uint32_t)getpid();
    st->nonce = random_u64();
    st->cache = apr_hash_make(pool);
    st->lru.prev = st->lru.next = &st->lru;
    mh_rtx_init(&st->rtx);
#if APR_HAS_THREADS
    apr_thread_mutex_create(&st->mutex, APR_THREAD_MUTEX_DEFAULT, pool);
#endif
    if (create && mh_make_dirs(st->cfg.path, pool, errmsg_r) != 0) {
        free(st);
        return APR_EGENERAL;
    }
    int wrong_schema = 0;
    int rc = open_env(st, create, &wrong_schema);
    if (rc && create && (wrong_schema || is_damage(rc))) {
        /* contexts are disposable: keep the old files for inspection and
         * start afresh */
        const char *stamp = apr_psprintf(pool, "%" APR_TIME_T_FMT, apr_time_sec(apr_time_now()));
        const char *names[] = {"data.mdb", "lock.mdb"};
        for (int i = 0; i < 2; i++) {
            const char *from = apr_pstrcat(pool, st->cfg.path, "/", names[i], NULL);
            const char *to = apr_pstrcat(pool, from, ".bad-", stamp, NULL);
            apr_file_rename(from, to, pool);
        }
        mh_log(MH_LOG_WARNING,
               MHLOGNO(00105) "session store %s was %s (%s); moved aside as "
               "*.bad-%s and recreated: clients reconnect",
               st->cfg.path, wrong_schema ? "of another schema version" : "damaged",
               mdb_strerror(rc), stamp);
        rc = open_env(st, create, &wrong_schema);
    }
    if (rc) {
        *errmsg_r = apr_psprintf(pool, "cannot open session store %s: %s%s",
                                 st->cfg.path, mdb_strerror(rc),
                                 rc == EACCES ? " (check the directory's owner: "
                                                "the httpd user must write it)"
                                              : "");
        free(st);
        return APR_EGENERAL;
    }
    apr_pool_cleanup_register(pool, st, store_cleanup, apr_pool_cleanup_null);
    open_marks(st, create, pool);
    *store_r = st;
    return APR_SUCCESS;
}

const unsigned char *mh_session_store_guid(const mh_session_store *st)
{
    return st->guid;
}

void mh_session_owner_new(mh_session_store *st, mh_session_owner *o)
{
    o->pid = st->pid;
    o->process_nonce = st->nonce;
    o->token = random_u64();
}

/* ----------------------------------------------------------- operations */

mh_ss_status mh_session_create(mh_session_store *st, mh_endpoint ep, const char *user,
                               const void *state, size_t state_len, apr_time_t now,
                               apr_interval_time_t idle, unsigned max_per_user,
                               unsigned char id_r[MH_SESSION_ID_LEN],
                               unsigned char seq_r[MH_SESSION_ID_LEN],
                               unsigned *evicted_r)
{
    size_t user_len = strlen(user);
    uint64_t now_ms = to_ms(now);
    unsigned evicted = 0;
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    int rc;
    if (user_len == 0 || user_len > MH_SESSION_USER_MAX || state_len > STATE_MAX)
        return MH_SS_ERROR;
    if ((rc = txn_begin(st, 0, &txn)))
        return lmdb_fail("create", rc);
    if ((rc = maybe_sweep(st, txn, now_ms)))
        goto fail;

    /* Enforce the per-user cap: drop expired contexts, then the least
     * recently used ones (smallest expiry = longest idle). */
    for (;;) {
        unsigned char prefix[MH_SESSION_USER_MAX + 1];
        memcpy(prefix, user, user_len);
        prefix[user_len] = 0;
        MDB_val k = {user_len + 1, prefix}, v;
        unsigned count = 0;
        unsigned char lru_id[MH_SESSION_ID_LEN];
        uint64_t lru_expires = UINT64_MAX;
        unsigned char expired_id[MH_SESSION_ID_LEN];
        int have_expired = 0;
        if ((rc = mdb_cursor_open(txn, st->dbi_users, &cur)))
            goto fail;
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            if (k.mv_size != user_len + 1 + MH_SESSION_ID_LEN ||
                memcmp(k.mv_data, prefix, user_len + 1) != 0)
                break;
            const unsigned char *sid = (const unsigned char *)k.mv_data + user_len + 1;
            record r;
            int found;
            MDB_val sk = {MH_SESSION_ID_LEN, (void *)sid}, sv;
            found = mdb_get(txn, st->dbi_sessions, &sk, &sv) == 0 &&
                    record_decode(&sv, &r) == 0;
            if (!found || (now_ms >= r.expires_ms && !in_use(st, sid, &r, now_ms, NULL))) {
                memcpy(expired_id, sid, MH_SESSION_ID_LEN);
                have_expired = 1;
                break;
            }
            count++;
            if (r.expires_ms < lru_expires) {
                lru_expires = r.expires_ms;
                memcpy(lru_id, sid, MH_SESSION_ID_LEN);
            }
        }
        mdb_cursor_close(cur);
        cur = NULL;
        if (rc && rc != MDB_NOTFOUND)
            goto fail;
        rc = 0;
        const unsigned char *victim = NULL;
        if (have_expired)
            victim = expired_id;
        else if (count >= max_per_user && count > 0)
            victim = lru_id;
        if (!victim)
            break;
        record r;
        int found;
        if ((rc = record_get(st, txn, victim, &r, &found)))
            goto fail;
        if (found) {
            if ((rc = record_del(st, txn, victim, &r)))
                goto fail;
        } else {
            unsigned char uk[MH_SESSION_USER_MAX + 1 + MH_SESSION_ID_LEN];
            size_t uklen = user_key(uk, user, user_len, victim);
            if ((rc = del_ignore_missing(txn, st->dbi_users, uk, uklen)))
                goto fail;
        }
        if (!have_expired) {
            evicted++;
            char hex[2 * MH_SESSION_ID_LEN + 1];
            hex_id(victim, hex);
            mh_log(MH_LOG_INFO,
                   MHLOGNO(00106) "user %s reached %u contexts: least recently "
                   "used context %s destroyed", user, max_per_user, hex);
        }
    }

    record r;
    memset(&r, 0, sizeof(r));
    r.version = RECORD_VERSION;
    r.endpoint = ep;
    do {
        random_id(id_r);
        MDB_val k = {MH_SESSION_ID_LEN, id_r}, v;
        rc = mdb_get(txn, st->dbi_sessions, &k, &v);
    } while (rc == 0); /* 2^-128: but never overwrite */
    if (rc != MDB_NOTFOUND)
        goto fail;
    random_id(r.seq);
    memcpy(seq_r, r.seq, MH_SESSION_ID_LEN);
    r.created_ms = now_ms;
    r.expires_ms = now_ms + to_ms(idle);
    r.generation = 1;
    r.user = user;
    r.user_len = user_len;
    r.state = state;
    r.state_len = state_len;
    if ((rc = record_put(st, txn, id_r, &r, 0, 1)))
        goto fail;
    unsigned char uk[MH_SESSION_USER_MAX + 1 + MH_SESSION_ID_LEN];
    size_t uklen = user_key(uk, user, user_len, id_r);
    MDB_val k = {uklen, uk}, empty = {0, ""};
    if ((rc = mdb_put(txn, st->dbi_users, &k, &empty, 0)))
        goto fail;
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc)
        goto fail;
    if (evicted_r)
        *evicted_r = evicted;
    return MH_SS_OK;
fail:
    if (cur)
        mdb_cursor_close(cur);
    if (txn)
        mdb_txn_abort(txn);
    return lmdb_fail("create", rc);
}

mh_ss_status mh_session_destroy(mh_session_store *st,
                                const unsigned char id[MH_SESSION_ID_LEN],
                                mh_endpoint ep, const char *user)
{
    MDB_txn *txn = NULL;
    record r;
    int found, rc;
    mh_ss_status result = MH_SS_OK;
    if ((rc = txn_begin(st, 0, &txn)))
        return lmdb_fail("destroy", rc);
    if ((rc = record_get(st, txn, id, &r, &found)))
        goto fail;
    if (!found)
        result = MH_SS_NOT_FOUND;
    else if (!user_eq(&r, user))
        result = MH_SS_WRONG_USER;
    else if (r.endpoint != (unsigned)ep)
        result = MH_SS_WRONG_ENDPOINT;
    else if ((rc = record_del(st, txn, id, &r)))
        goto fail;
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc)
        goto fail;
    cache_forget(st, id);
    return result;
fail:
    if (txn)
        mdb_txn_abort(txn);
    return lmdb_fail("destroy", rc);
}

typedef mh_ss_status modify_fn(mh_session_store *st, record *r, uint64_t now_ms,
                               void *baton);
static mh_ss_status modify(mh_session_store *st, const unsigned char *id,
                           mh_endpoint ep, const char *user, apr_time_t now,
                           modify_fn *fn, void *baton, const char *what);

/* Whether the periodic sweep is due (read from any transaction). */
static int sweep_due(mh_session_store *st, MDB_txn *txn, uint64_t now_ms)
{
    MDB_val k = {5, "sweep"}, v;
    int rc = mdb_get(txn, st->dbi_meta, &k, &v);
    return !(rc == 0 && v.mv_size == 8 && mh_get_u64_be(v.mv_data) > now_ms);
}

/* The sweep in a write transaction of its own (for paths that have none);
 * a failure is logged, not the caller's. */
static void sweep_now(mh_session_store *st, uint64_t now_ms)
{
    MDB_txn *txn = NULL;
    int rc = txn_begin(st, 0, &txn);
    if (rc == 0 && (rc = maybe_sweep(st, txn, now_ms)) == 0) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (txn)
        mdb_txn_abort(txn);
    if (rc)
        lmdb_fail("sweep", rc);
}

static mh_ss_status take_events_fn(mh_session_store *st, record *r, uint64_t now_ms,
                                   void *baton)
{
    uint64_t *delivered = baton;
    r->events_delivered = r->events_posted;
    *delivered = r->events_delivered;
    return MH_SS_OK;
}

/* What begin learnt from the record (its memory is LMDB's until the
 * transaction ends: the state is copied). */
typedef struct begun {
    const unsigned char *state;
    size_t state_len;
    int events_pending;
    int sweep_due;
} begun;

/* The checks of begin on a record, in the order the API promises. */
static mh_ss_status begin_checks(mh_session_store *st, const record *r, mh_endpoint ep,
                                 const char *user, const unsigned char *seq,
                                 uint64_t now_ms, int *expired_r)
{
    *expired_r = 0;
    if (!user_eq(r, user))
        return MH_SS_WRONG_USER;
    if (r->endpoint != (unsigned)ep)
        return MH_SS_WRONG_ENDPOINT;
    if (now_ms >= r->expires_ms &&
        !mark_live(st, &r->busy, now_ms, st->cfg.busy_stale_after) &&
        !mark_live(st, &r->wait, now_ms, st->cfg.wait_stale_after)) {
        *expired_r = 1;
        return MH_SS_EXPIRED;
    }
    if (mark_live(st, &r->busy, now_ms, st->cfg.busy_stale_after))
        return MH_SS_BUSY;
    if (memcmp(seq, r->seq, MH_SESSION_ID_LEN) != 0)
        return MH_SS_BAD_SEQUENCE;
    return MH_SS_OK;
}

static void begun_take(mh_session *s, const record *r, int take_events, begun *b)
{
    s->generation = r->generation;
    s->events_delivered = r->events_delivered;
    b->events_pending = take_events && r->events_posted > r->events_delivered;
    b->state_len = r->state_len;
    b->state = r->state_len ? apr_pmemdup(s->pool, r->state, r->state_len) : NULL;
}

/*
 * Begin with the busy mark claimed in the shared table: the record is read
 * in a read-only transaction.  An expired or damaged record is removed in a
 * write transaction (rare), still under the claim.
 */
static mh_ss_status begin_read(mh_session_store *st, mh_session *s, const char *user,
                               const unsigned char *seq, int take_events,
                               uint64_t now_ms, begun *b)
{
    for (int round = 0;; round++) {
        MDB_txn *txn = NULL;
        record r;
        int rc, expired = 0, damaged = 0;
        mh_ss_status result;
        if ((rc = ro_begin(st, &txn)))
            return lmdb_fail("begin", rc);
        MDB_val key = {MH_SESSION_ID_LEN, s->id}, val;
        rc = mdb_get(txn, st->dbi_sessions, &key, &val);
        if (rc == MDB_NOTFOUND) {
            result = MH_SS_NOT_FOUND;
        } else if (rc) {
            ro_end(st, txn);
            return lmdb_fail("begin", rc);
        } else if (record_decode(&val, &r) != 0) {
            damaged = 1;
            result = MH_SS_NOT_FOUND;
        } else {
            result = begin_checks(st, &r, s->endpoint, user, seq, now_ms, &expired);
            if (result == MH_SS_OK)
                begun_take(s, &r, take_events, b);
        }
        b->sweep_due = sweep_due(st, txn, now_ms);
        ro_end(st, txn);
        if (!damaged && !expired)
            return result;
        /* removed as the write paths do (record_get, check_session) */
        if ((rc = txn_begin(st, 0, &txn)))
            return lmdb_fail("begin", rc);
        int found;
        if ((rc = record_get(st, txn, s->id, &r, &found)) == 0 && found)
            result = check_session(st, txn, s->id, &r, s->endpoint, user, now_ms, &s->mark,
                                   &rc);
        if (rc) {
            mdb_txn_abort(txn);
            return lmdb_fail("begin", rc);
        }
        if ((rc = mdb_txn_commit(txn)))
            return lmdb_fail("begin", rc);
        if (!found)
            return MH_SS_NOT_FOUND;
        if (result != MH_SS_OK || round > 0)
            return result == MH_SS_OK ? MH_SS_EXPIRED : result;
        /* refreshed meanwhile (a PING): read it again */
    }
}

/* Clears a busy mark this request set in the LMDB record.  0, or an LMDB
 * error (logged). */
static int store_unmark(mh_session_store *st, mh_session *s)
{
    MDB_txn *txn = NULL;
    record r;
    int found, rc;
    if ((rc = txn_begin(st, 0, &txn)))
        goto fail;
    if ((rc = record_get(st, txn, s->id, &r, &found)))
        goto fail;
    if (found && mark_is(&r.busy, &s->owner)) {
        memset(&r.busy, 0, sizeof(r.busy));
        if ((rc = record_put(st, txn, s->id, &r, r.expires_ms, 0)))
            goto fail;
    }
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc)
        goto fail;
    return 0;
fail:
    if (txn)
        mdb_txn_abort(txn);
    lmdb_fail("unmark", rc);
    return rc;
}

/*
 * Begin with the busy mark in the LMDB record (no table, or no room in it):
 * one write transaction sets it.  Claim first, then check: a claim in the
 * table made meanwhile by another process makes this one withdraw.
 */
static mh_ss_status begin_write(mh_session_store *st, mh_session *s, const char *user,
                                const unsigned char *seq, int take_events,
                                uint64_t now_ms, begun *b)
{
    MDB_txn *txn = NULL;
    record r;
    int found, rc, expired;
    mh_ss_status result;
    if ((rc = txn_begin(st, 0, &txn)))
        return lmdb_fail("begin", rc);
    if ((rc = maybe_sweep(st, txn, now_ms)))
        goto fail;
    if ((rc = record_get(st, txn, s->id, &r, &found)))
        goto fail;
    if (!found) {
        result = MH_SS_NOT_FOUND;
        goto done;
    }
    result = begin_checks(st, &r, s->endpoint, user, seq, now_ms, &expired);
    if (expired) {
        result = check_session(st, txn, s->id, &r, s->endpoint, user, now_ms, NULL, &rc);
        if (rc)
            goto fail;
        if (result == MH_SS_OK)
            result = MH_SS_BUSY; /* a claim in the table keeps it alive */
        goto done;
    }
    if (result == MH_SS_OK && table_busy(st, s->id, now_ms, NULL))
        result = MH_SS_BUSY;
    if (result != MH_SS_OK)
        goto done;
    mark_set(&r.busy, &s->owner, now_ms);
    begun_take(s, &r, take_events, b);
    r.state = b->state; /* the record's memory belongs to LMDB until commit */
    if ((rc = record_put(st, txn, s->id, &r, r.expires_ms, 0)))
        goto fail;
done:
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc)
        goto fail;
    if (result != MH_SS_OK || !st->marks)
        return result;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!table_busy(st, s->id, now_ms, NULL))
        return MH_SS_OK;
    return store_unmark(st, s) == 0 ? MH_SS_BUSY : MH_SS_ERROR; /* withdraw */
fail:
    if (txn)
        mdb_txn_abort(txn);
    return lmdb_fail("begin", rc);
}

/* A claim found the session busy: the checks that come before "busy" still
 * answer first (no such context, another user's, the other endpoint's). */
static mh_ss_status begin_refused_busy(mh_session_store *st, const unsigned char *id,
                                       mh_endpoint ep, const char *user)
{
    MDB_txn *txn = NULL;
    record r;
    int rc;
    mh_ss_status result = MH_SS_BUSY;
    if ((rc = ro_begin(st, &txn)))
        return lmdb_fail("begin", rc);
    MDB_val key = {MH_SESSION_ID_LEN, (void *)id}, val;
    rc = mdb_get(txn, st->dbi_sessions, &key, &val);
    if (rc == MDB_NOTFOUND || (rc == 0 && record_decode(&val, &r) != 0))
        result = MH_SS_NOT_FOUND;
    else if (rc)
        result = lmdb_fail("begin", rc);
    else if (!user_eq(&r, user))
        result = MH_SS_WRONG_USER;
    else if (r.endpoint != (unsigned)ep)
        result = MH_SS_WRONG_ENDPOINT;
    ro_end(st, txn);
    return result;
}

static void count(uint64_t *counter)
{
    __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

mh_ss_status mh_session_begin(mh_session_store *st,
                              const unsigned char id[MH_SESSION_ID_LEN],
                              mh_endpoint ep, const char *user,
                              const unsigned char seq[MH_SESSION_ID_LEN],
                              int take_events, const mh_state_codec *codec,
                              apr_time_t now, apr_pool_t *pool, mh_session **sess_r)
{
    uint64_t now_ms = to_ms(now);
    mh_ss_status result;
    mh_session *s = apr_pcalloc(pool, sizeof(*s));
    begun b;
    memset(&b, 0, sizeof(b));
    s->store = st;
    s->pool = pool;
    memcpy(s->id, id, MH_SESSION_ID_LEN);
    s->endpoint = ep;
    mh_session_owner_new(st, &s->owner);
    random_id(s->sequence); /* stored by end, before the client learns it */

    mh_mark_result mr = MH_MARK_FULL;
    int store_marked = 0;
    if (st->marks)
        mr = mh_marks_claim(st->marks, id, s->owner.token, now_ms, busy_stale_ms(st),
                            &s->mark);
    if (mr == MH_MARK_BUSY)
        return begin_refused_busy(st, id, ep, user);
    if (mr == MH_MARK_CLAIMED) {
        s->mark_in_table = 1;
        result = begin_read(st, s, user, seq, take_events, now_ms, &b);
        count(&st->marks_in_table);
    } else {
        if (st->marks)
            mh_log(MH_LOG_DEBUG, MHLOGNO(02203) "busy-mark table: no room in a bucket; "
                   "this request is marked in the session store");
        result = begin_write(st, s, user, seq, take_events, now_ms, &b);
        store_marked = result == MH_SS_OK;
        count(&st->marks_in_store);
    }
    if (result == MH_SS_OK && b.events_pending) {
        result = modify(st, id, MH_EP_NONE, NULL, now, take_events_fn, &s->events_delivered,
                        "begin");
        if (result != MH_SS_OK && result != MH_SS_ERROR)
            result = MH_SS_NOT_FOUND;
    }
    if (b.sweep_due)
        sweep_now(st, now_ms);
    if (result != MH_SS_OK) {
        if (s->mark_in_table)
            mh_marks_release(st->marks, &s->mark);
        else if (store_marked)
            store_unmark(st, s);
        return result;
    }

    if (!cache_take(st, id, s->generation, &s->state_pool, &s->state)) {
        apr_status_t rv = apr_pool_create_unmanaged_ex(&s->state_pool, NULL, NULL);
        if (rv == APR_SUCCESS)
            rv = codec->decode(b.state, b.state_len, s->state_pool, &s->state);
        if (rv != APR_SUCCESS) {
            char hex[2 * MH_SESSION_ID_LEN + 1];
            hex_id(id, hex);
            mh_log(MH_LOG_ERR,
                   MHLOGNO(00107) "session %s: stored state does not decode; "
                   "context destroyed", hex);
            if (s->state_pool)
                apr_pool_destroy(s->state_pool);
            s->state_pool = NULL;
            mh_session_destroy(st, id, ep, user);
            if (s->mark_in_table)
                mh_marks_release(st->marks, &s->mark);
            return MH_SS_NOT_FOUND;
        }
    } else {
        s->from_cache = 1;
    }
    *sess_r = s;
    return MH_SS_OK;
}

mh_ss_status mh_session_end(mh_session *s, const mh_state_codec *codec,
                            apr_time_t now, apr_interval_time_t idle)
{
    mh_session_store *st = s->store;
    uint64_t now_ms = to_ms(now);
    MDB_txn *txn = NULL;
    record r;
    int found, rc;
    mh_ss_status result = MH_SS_OK;
    const void *blob = NULL;
    size_t blob_len = 0;

    /* the encoded state lives in the request's pool until the commit
     * (a pool of its own cost an allocator, mapped and unmapped, per
     * request) */
    if (s->state_dirty) {
        if (codec->encode(s->state, s->pool, &blob, &blob_len) != APR_SUCCESS ||
            blob_len > STATE_MAX) {
            mh_log(MH_LOG_ERR, MHLOGNO(00108) "session state does not encode; "
                   "changes of this request are not kept");
            s->state_dirty = 0;
            result = MH_SS_ERROR;
        }
    }
    /* a claim taken over (too old) is not ours to end: nothing is saved;
     * else it stops going stale by age while the commit runs */
    if (s->mark_in_table && mh_marks_finish(st->marks, &s->mark) != 0) {
        s->mark_in_table = 0;
        result = MH_SS_GONE;
        goto release;
    }
    if ((rc = txn_begin(st, 0, &txn))) {
        lmdb_fail("end", rc);
        result = MH_SS_ERROR;
        goto release;
    }
    if ((rc = record_get(st, txn, s->id, &r, &found)))
        goto fail;
    if (!found || (!s->mark_in_table && !mark_is(&r.busy, &s->owner))) {
        result = MH_SS_GONE;
        goto commit;
    }
    uint64_t old_expires = r.expires_ms, expires = now_ms + to_ms(idle);
    /* ours, or (with a claim in the table) a dead one left by a process
     * of a version that marked records: gone before its pid is reused */
    if (!s->mark_in_table || !mark_live(st, &r.busy, now_ms, st->cfg.busy_stale_after))
        memset(&r.busy, 0, sizeof(r.busy));
    memcpy(r.seq, s->sequence, MH_SESSION_ID_LEN);
    if (expires < r.expires_ms || expires > r.expires_ms + TOUCH_SLACK_MS)
        r.expires_ms = expires;
    if (s->state_dirty) {
        r.generation++;
        r.state = blob;
        r.state_len = blob_len;
    }
    s->generation = r.generation;
    if ((rc = record_put(st, txn, s->id, &r, old_expires, 0)))
        goto fail;
commit:
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc)
        goto fail;
    goto release;
fail:
    if (txn)
        mdb_txn_abort(txn);
    lmdb_fail("end", rc);
    result = MH_SS_ERROR;
release:
    if (s->mark_in_table) {
        mh_marks_release(st->marks, &s->mark);
        s->mark_in_table = 0;
    }
    if (s->state_pool) {
        if (result == MH_SS_OK)
            cache_put(st, s->id, s->generation, s->state_pool, s->state);
        else
            apr_pool_destroy(s->state_pool);
        s->state_pool = NULL;
        s->state = NULL;
    }
    return result;
}

/* Read-modify-write of one record under the common checks.  `fn` changes
 * the record; returns a status other than OK to leave it unchanged. */
static mh_ss_status modify(mh_session_store *st, const unsigned char *id,
                           mh_endpoint ep, const char *user, apr_time_t now,
                           modify_fn *fn, void *baton, const char *what)
{
    uint64_t now_ms = to_ms(now);
    MDB_txn *txn = NULL;
    record r;
    int found, rc;
    mh_ss_status result;
    if ((rc = txn_begin(st, 0, &txn)))
        return lmdb_fail(what, rc);
    if ((rc = record_get(st, txn, id, &r, &found)))
        goto fail;
    if (!found) {
        result = MH_SS_NOT_FOUND;
        goto commit;
    }
    if (user) {
        result = check_session(st, txn, id, &r, ep, user, now_ms, NULL, &rc);
        if (rc)
            goto fail;
        if (result != MH_SS_OK)
            goto commit;
    }
    uint64_t old_expires = r.expires_ms;
    result = fn(st, &r, now_ms, baton);
    if (result == MH_SS_OK && (rc = record_put(st, txn, id, &r, old_expires, 0)))
        goto fail;
commit:
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc)
        goto fail;
    return result;
fail:
    if (txn)
        mdb_txn_abort(txn);
    return lmdb_fail(what, rc);
}

static mh_ss_status touch_fn(mh_session_store *st, record *r, uint64_t now_ms,
                             void *baton)
{
    const apr_interval_time_t *idle = baton;
    uint64_t expires = now_ms + to_ms(*idle);
    if (expires > r->expires_ms)
        r->expires_ms = expires;
    return MH_SS_OK;
}

/* A touch finding the expiry this close to what it would set changes
 * nothing: answered from a read-only transaction, without the write lock
 * every httpd process shares (TOUCH_SLACK_MS, above). */

mh_ss_status mh_session_touch(mh_session_store *st,
                              const unsigned char id[MH_SESSION_ID_LEN],
                              mh_endpoint ep, const char *user, apr_time_t now,
                              apr_interval_time_t idle)
{
    uint64_t now_ms = to_ms(now);
    MDB_txn *txn = NULL;
    record r;
    int found = 0;
    if (txn_begin(st, MDB_RDONLY, &txn) == 0) {
        int fresh = record_get(st, txn, id, &r, &found) == 0 && found && user_eq(&r, user) &&
                    r.endpoint == (unsigned)ep && now_ms < r.expires_ms &&
                    r.expires_ms + TOUCH_SLACK_MS >= now_ms + to_ms(idle);
        mdb_txn_abort(txn);
        if (fresh)
            return MH_SS_OK;
    }
    return modify(st, id, ep, user, now, touch_fn, &idle, "touch");
}

typedef struct wait_baton {
    const mh_session_owner *owner;
    int pending;
    apr_interval_time_t idle;
} wait_baton;

static mh_ss_status wait_begin_fn(mh_session_store *st, record *r, uint64_t now_ms,
                                  void *baton)
{
    wait_baton *wb = baton;
    if (mark_live(st, &r->wait, now_ms, st->cfg.wait_stale_after))
        return MH_SS_REJECTED;
    mark_set(&r->wait, wb->owner, now_ms);
    wb->pending = r->events_posted > r->events_delivered;
    return MH_SS_OK;
}

mh_ss_status mh_session_wait_begin(mh_session_store *st,
                                   const unsigned char id[MH_SESSION_ID_LEN],
                                   mh_endpoint ep, const char *user,
                                   const mh_session_owner *owner, apr_time_t now,
                                   int *events_pending_r)
{
    wait_baton wb = {owner, 0, 0};
    mh_ss_status res = modify(st, id, ep, user, now, wait_begin_fn, &wb, "wait");
    *events_pending_r = wb.pending;
    return res;
}

mh_ss_status mh_session_wait_poll(mh_session_store *st,
                                  const unsigned char id[MH_SESSION_ID_LEN],
                                  const mh_session_owner *owner, int *events_pending_r)
{
    MDB_txn *txn = NULL;
    record r;
    int found, rc;
    mh_ss_status result;
    *events_pending_r = 0;
    if ((rc = txn_begin(st, MDB_RDONLY, &txn)))
        return lmdb_fail("wait poll", rc);
    MDB_val key = {MH_SESSION_ID_LEN, (void *)id}, val;
    rc = mdb_get(txn, st->dbi_sessions, &key, &val);
    found = rc == 0 && record_decode(&val, &r) == 0;
    if (rc && rc != MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        return lmdb_fail("wait poll", rc);
    }
    if (!found || !mark_is(&r.wait, owner)) {
        result = MH_SS_GONE;
    } else {
        *events_pending_r = r.events_posted > r.events_delivered;
        result = MH_SS_OK;
    }
    mdb_txn_abort(txn);
    return result;
}

static mh_ss_status wait_end_fn(mh_session_store *st, record *r, uint64_t now_ms,
                                void *baton)
{
    wait_baton *wb = baton;
    if (!mark_is(&r->wait, wb->owner))
        return MH_SS_GONE;
    memset(&r->wait, 0, sizeof(r->wait));
    uint64_t expires = now_ms + to_ms(wb->idle);
    if (expires > r->expires_ms)
        r->expires_ms = expires;
    return MH_SS_OK;
}

mh_ss_status mh_session_wait_end(mh_session_store *st,
                                 const unsigned char id[MH_SESSION_ID_LEN],
                                 const mh_session_owner *owner, apr_time_t now,
                                 apr_interval_time_t idle)
{
    wait_baton wb = {owner, 0, idle};
    mh_ss_status res = modify(st, id, MH_EP_NONE, NULL, now, wait_end_fn, &wb, "wait end");
    return res == MH_SS_NOT_FOUND ? MH_SS_GONE : res;
}

static mh_ss_status post_fn(mh_session_store *st, record *r, uint64_t now_ms,
                            void *baton)
{
    r->events_posted++;
    return MH_SS_OK;
}

mh_ss_status mh_session_post_event(mh_session_store *st,
                                   const unsigned char id[MH_SESSION_ID_LEN])
{
    return modify(st, id, MH_EP_NONE, NULL, apr_time_now(), post_fn, NULL, "post event");
}

mh_ss_status mh_session_get_info(mh_session_store *st,
                                 const unsigned char id[MH_SESSION_ID_LEN],
                                 apr_time_t now, mh_session_info *info)
{
    MDB_txn *txn = NULL;
    record r;
    int rc;
    uint64_t now_ms = to_ms(now);
    if ((rc = txn_begin(st, MDB_RDONLY, &txn)))
        return lmdb_fail("info", rc);
    MDB_val key = {MH_SESSION_ID_LEN, (void *)id}, val;
    rc = mdb_get(txn, st->dbi_sessions, &key, &val);
    if (rc == MDB_NOTFOUND || (rc == 0 && record_decode(&val, &r) != 0)) {
        mdb_txn_abort(txn);
        return MH_SS_NOT_FOUND;
    }
    if (rc) {
        mdb_txn_abort(txn);
        return lmdb_fail("info", rc);
    }
    memset(info, 0, sizeof(*info));
    info->endpoint = (mh_endpoint)r.endpoint;
    memcpy(info->user, r.user, r.user_len);
    info->user[r.user_len] = 0;
    info->created = (apr_time_t)r.created_ms * 1000;
    info->expires = (apr_time_t)r.expires_ms * 1000;
    info->generation = r.generation;
    info->events_posted = r.events_posted;
    info->events_delivered = r.events_delivered;
    info->busy = mark_live(st, &r.busy, now_ms, st->cfg.busy_stale_after) ||
                 table_busy(st, id, now_ms, NULL);
    info->waiting = mark_live(st, &r.wait, now_ms, st->cfg.wait_stale_after);
    mdb_txn_abort(txn);
    return MH_SS_OK;
}

mh_ss_status mh_session_count(mh_session_store *st, size_t *count_r)
{
    MDB_txn *txn = NULL;
    MDB_stat ms;
    int rc;
    if ((rc = txn_begin(st, MDB_RDONLY, &txn)))
        return lmdb_fail("count", rc);
    rc = mdb_stat(txn, st->dbi_sessions, &ms);
    mdb_txn_abort(txn);
    if (rc)
        return lmdb_fail("count", rc);
    *count_r = ms.ms_entries;
    return MH_SS_OK;
}
