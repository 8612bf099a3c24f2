/*
 * mh_session.h - Session Contexts shared by every httpd process.
 *
 * MS-OXCMAPIHTTP section 3.2.1 keeps a Session Context per Connect/Bind.
 * httpd runs several processes and replaces them on `apachectl graceful`,
 * so contexts live in an LMDB environment on disk that every process opens
 * (once, in child_init) and that outlives the processes.  A per-process
 * cache keeps decoded endpoint state between requests of the same session
 * so that the common case (the next request lands in the same process)
 * does not decode it again; a generation number in the shared record tells
 * when another process changed it.
 *
 * Concurrency (section 3.2.5): a session runs one "sequenced" request at a
 * time.  mh_session_begin() marks the session busy (in a table of busy
 * marks all processes map, mh_marks.h; in the LMDB record when that table
 * has no room) and checks the sequence token; mh_session_end() stores the
 * new token with the state in one write transaction, before the response
 * that tells the client the token is sent.  A second request while the
 * session is busy, or one carrying a stale sequence token, is refused
 * (X-ResponseCode 15).  NotificationWait has its own slot (one wait per
 * session) and PING needs neither.  A busy or waiting mark whose owner
 * process has died, or which is older than the configured limit, counts as
 * free, so a crashed process never wedges a session.
 *
 * No LMDB transaction outlives a call into this API.
 */
#ifndef MH_SESSION_H
#define MH_SESSION_H

#include <stdint.h>
#include <apr_pools.h>
#include <apr_time.h>

#include "mh_http.h"
#include "mh_marks.h"

#define MH_SESSION_ID_LEN 16
#define MH_SESSION_USER_MAX 320 /* bytes; LMDB keys are limited to 511 */

typedef struct mh_session_store mh_session_store;

/* Outcome of a session store operation. */
typedef enum mh_ss_status {
    MH_SS_OK = 0,
    MH_SS_NOT_FOUND,    /* no such context: never existed, destroyed, swept */
    MH_SS_EXPIRED,      /* existed but its idle time ran out (now removed) */
    MH_SS_WRONG_USER,   /* bound to another authenticated user */
    MH_SS_WRONG_ENDPOINT, /* a context of the other endpoint */
    MH_SS_BUSY,         /* another sequenced request is running on it */
    MH_SS_BAD_SEQUENCE, /* the sequence token is not the current one */
    MH_SS_REJECTED,     /* a NotificationWait is already outstanding */
    MH_SS_GONE,         /* (wait poll) the context was destroyed meanwhile */
    MH_SS_ERROR         /* the store failed; the detail was logged */
} mh_ss_status;

const char *mh_ss_status_name(mh_ss_status st);

typedef struct mh_session_store_config {
    const char *path;           /* directory holding data.mdb and lock.mdb */
    size_t map_size;            /* bytes; LMDB map size */
    unsigned max_readers;       /* LMDB reader slots, across all processes */
    unsigned cache_entries;     /* per-process decoded-state cache size */
    apr_interval_time_t busy_stale_after; /* a busy mark older is stale */
    apr_interval_time_t wait_stale_after; /* a wait mark older is stale */
    /* Slots of the shared table of busy marks (MH_MARKS_FILE in `path`);
     * 0: none, every busy mark goes into the LMDB record (tests only: every
     * process using one store must agree on this). */
    unsigned mark_slots;
} mh_session_store_config;

/* Fills defaults (path stays NULL). */
void mh_session_store_config_default(mh_session_store_config *cfg);

/*
 * Opens (creating when `create` is set) the store.  Call in each process
 * that uses it; never use a store across fork().  With `create`, a store
 * that cannot be opened because it is damaged or of an unknown schema is
 * moved aside and a fresh one made (contexts are disposable: clients
 * reconnect), and the directory is created if missing.
 * On failure returns an APR error and a message for the administrator.
 */
apr_status_t mh_session_store_open(const mh_session_store_config *cfg,
                                   int create, apr_pool_t *pool,
                                   mh_session_store **store_r,
                                   const char **errmsg_r);
/* Closes the store and frees it (it must not be used after); also
 * registered as a cleanup of the pool given to open. */
void mh_session_store_close(mh_session_store *store);

/* A GUID created with the store and kept across restarts (NSPI Bind's
 * ServerGuid). */
const unsigned char *mh_session_store_guid(const mh_session_store *store);

/* The identity of one request holding a busy or wait mark. */
typedef struct mh_session_owner {
    uint32_t pid;
    uint64_t process_nonce; /* random per opened store, tells pid reuse */
    uint64_t token;         /* random per request */
} mh_session_owner;

void mh_session_owner_new(mh_session_store *store, mh_session_owner *owner);

/* Encodes and decodes an endpoint's state (the Connect/Bind parameters and,
 * later, handle tables).  decode allocates in `pool`, which lives as long as
 * the decoded state (it may be cached across requests). */
typedef struct mh_state_codec {
    apr_status_t (*decode)(const void *buf, size_t len, apr_pool_t *pool,
                           void **state_r);
    apr_status_t (*encode)(const void *state, apr_pool_t *pool,
                           const void **buf_r, size_t *len_r);
} mh_state_codec;

/* A session in use by one sequenced request (between begin and end). */
typedef struct mh_session {
    mh_session_store *store;
    unsigned char id[MH_SESSION_ID_LEN];
    unsigned char sequence[MH_SESSION_ID_LEN]; /* the new token */
    mh_session_owner owner;
    mh_endpoint endpoint;
    uint64_t generation;
    void *state;            /* decoded endpoint state */
    apr_pool_t *state_pool; /* owns state; unmanaged, cached at end */
    int state_dirty;        /* set by the caller when state changed */
    int from_cache;         /* state came from this process's cache */
    uint64_t events_delivered; /* events this request takes over */
    apr_pool_t *pool;       /* the request's (scratch memory of end) */
    int mark_in_table;      /* the busy mark is `mark` in the shared table
                             * (else in the LMDB record) */
    mh_mark mark;
} mh_session;

/*
 * Creates a context for `user` on `ep` with the given encoded state.  If the
 * user already has `max_per_user` live contexts, the least recently used
 * ones are destroyed first (*evicted_r tells how many).  Returns the new id
 * and its first sequence token.
 */
mh_ss_status mh_session_create(mh_session_store *store, mh_endpoint ep,
                               const char *user, const void *state,
                               size_t state_len, apr_time_t now,
                               apr_interval_time_t idle,
                               unsigned max_per_user,
                               unsigned char id_r[MH_SESSION_ID_LEN],
                               unsigned char seq_r[MH_SESSION_ID_LEN],
                               unsigned *evicted_r);

/*
 * Destroys a context if it belongs to `user` and `ep`.  A request still
 * running on it finishes, but its end finds nothing to save.
 */
mh_ss_status mh_session_destroy(mh_session_store *store,
                                const unsigned char id[MH_SESSION_ID_LEN],
                                mh_endpoint ep, const char *user);

/*
 * Starts a sequenced request: marks the session busy, then checks user,
 * endpoint, expiry, other busy marks and the sequence token (claim first,
 * then check: no window lets two requests through); makes the next sequence
 * token (sess->sequence, stored by mh_session_end); decodes (or takes from
 * the cache) the state.  A refused request leaves no mark.  With
 * `take_events` the events posted so far count as delivered (Execute
 * returns them).  *sess_r is allocated in `pool` (the request's).
 * Commits nothing unless events are taken, an expired context is removed
 * or a sweep is due, or the busy-mark table has no room (then the mark goes
 * into the record, as without the table).
 */
mh_ss_status mh_session_begin(mh_session_store *store,
                              const unsigned char id[MH_SESSION_ID_LEN],
                              mh_endpoint ep, const char *user,
                              const unsigned char seq[MH_SESSION_ID_LEN],
                              int take_events, const mh_state_codec *codec,
                              apr_time_t now, apr_pool_t *pool,
                              mh_session **sess_r);

/*
 * Ends a sequenced request before its response is sent (so that the
 * client's next request never finds the session busy): in one write
 * transaction stores the new sequence token and the state when dirty and
 * restarts the idle timer; then clears the busy mark.  MH_SS_GONE when the
 * session was destroyed or its mark taken over meanwhile (nothing is
 * saved).  Always releases the state (to the cache, or destroys it).
 */
mh_ss_status mh_session_end(mh_session *sess, const mh_state_codec *codec,
                            apr_time_t now, apr_interval_time_t idle);

/* PING: checks user and endpoint, restarts the idle timer. */
mh_ss_status mh_session_touch(mh_session_store *store,
                              const unsigned char id[MH_SESSION_ID_LEN],
                              mh_endpoint ep, const char *user,
                              apr_time_t now, apr_interval_time_t idle);

/*
 * NotificationWait: takes the session's wait slot (MH_SS_REJECTED when
 * another live wait holds it).  The slot is taken before pending events are
 * looked at, so an event posted in between is never missed.
 */
mh_ss_status mh_session_wait_begin(mh_session_store *store,
                                   const unsigned char id[MH_SESSION_ID_LEN],
                                   mh_endpoint ep, const char *user,
                                   const mh_session_owner *owner,
                                   apr_time_t now, int *events_pending_r);
/* Checks, read-only, whether events are pending for a waiting owner;
 * MH_SS_GONE when the context or the owner's slot went away. */
mh_ss_status mh_session_wait_poll(mh_session_store *store,
                                  const unsigned char id[MH_SESSION_ID_LEN],
                                  const mh_session_owner *owner,
                                  int *events_pending_r);
/* Releases the wait slot and restarts the idle timer. */
mh_ss_status mh_session_wait_end(mh_session_store *store,
                                 const unsigned char id[MH_SESSION_ID_LEN],
                                 const mh_session_owner *owner,
                                 apr_time_t now, apr_interval_time_t idle);

/* Posts an event for a session (from any process, or a tool). */
mh_ss_status mh_session_post_event(mh_session_store *store,
                                   const unsigned char id[MH_SESSION_ID_LEN]);

/* Removes contexts whose idle time ran out (at most `budget`). */
mh_ss_status mh_session_sweep(mh_session_store *store, apr_time_t now,
                              unsigned budget, unsigned *removed_r);

/* For tools and tests. */
typedef struct mh_session_info {
    mh_endpoint endpoint;
    char user[MH_SESSION_USER_MAX + 1];
    apr_time_t created, expires;
    uint64_t generation, events_posted, events_delivered;
    int busy, waiting; /* live marks */
} mh_session_info;

mh_ss_status mh_session_get_info(mh_session_store *store,
                                 const unsigned char id[MH_SESSION_ID_LEN],
                                 apr_time_t now, mh_session_info *info_r);
/* Number of contexts stored (live or not yet swept). */
mh_ss_status mh_session_count(mh_session_store *store, size_t *count_r);

typedef struct mh_session_cache_stats {
    uint64_t hits, misses, entries;
    /* sequenced requests of this process marked busy in the shared table,
     * and in the LMDB record (no table, or no room in it) */
    uint64_t marks_in_table, marks_in_store;
    uint64_t write_txns; /* write transactions this process began */
} mh_session_cache_stats;
void mh_session_cache_stats_get(mh_session_store *store,
                                mh_session_cache_stats *stats_r);

#endif
