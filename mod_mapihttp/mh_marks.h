/*
 * mh_marks.h - busy marks of sequenced requests in a small table that every
 * httpd process maps (a file next to the session store's LMDB files).
 *
 * MS-OXCMAPIHTTP 3.2.5 lets one sequenced request run on a session context
 * at a time.  The mark that says "a request runs on context X" lives here,
 * not in the context's LMDB record, so that a request claims and frees its
 * context with atomic compare-and-swap in shared memory instead of a write
 * transaction, which takes LMDB's single writer lock that every process
 * shares.  mh_session.c is the only user; see its header comment for how
 * the table and the store work together.
 *
 * Layout: a 64-byte header, then `slots` slots of 64 bytes (one cache line
 * each), grouped in buckets of MH_MARKS_BUCKET.  A session id hashes (with a
 * key made with the table, so clients cannot aim ids at one bucket) to one
 * bucket; a claim takes a free slot of that bucket.  Each slot has one
 * 64-bit word, changed only by compare-and-swap:
 *
 *   bits 61-63  state: FREE, RESERVED, PENDING, CLAIMED, ENDING
 *   bits 56-60  generation (bumped on every claim: a late CAS of an old
 *               claim never matches a newer one)
 *   bits 32-55  owner's pid (0 when FREE)
 *   bits  0-31  PENDING/CLAIMED/ENDING: a fingerprint of the session id;
 *               RESERVED: when it was reserved (wall-clock seconds)
 *
 * and the mark itself (session id, process nonce, request token, time),
 * written while the slot is RESERVED, before the CAS that publishes it as
 * PENDING; a reader takes them only if the word is the same before and
 * after (a seqlock), so it never sees half of one claim and half of another.
 *
 * A claim: look through the bucket (a live mark of the id: busy; a stale
 * one, of a dead process or older than the limit: freed, as the LMDB marks
 * were), reserve a free slot, write the mark, publish it as PENDING, and
 * only then look again for other live marks of the same id (claim first,
 * then check: of two racing claimers at least one sees the other, so never
 * both run).  A PENDING claim loses to a CLAIMED or ENDING one and to a
 * PENDING one in a lower slot, and waits for PENDING ones in higher slots
 * to lose; the winner turns PENDING into CLAIMED.  Exactly one of racing
 * claimers wins.  A claimer that dies between reserving and publishing
 * leaves a RESERVED slot that is freed when its pid is dead or after
 * MH_MARKS_RESERVE_LIMIT_S; one that dies PENDING is a dead owner's mark.
 *
 * Ending a request first turns CLAIMED into ENDING (a claim taken over
 * because it was too old fails here: the request's end saves nothing), and
 * ENDING does not go stale by age until MH_MARKS_ENDING_GRACE_MS after the
 * limit, so the end's commit cannot race a takeover.
 *
 * A bucket with no free slot answers MH_MARK_FULL: the caller then marks the
 * LMDB record, as before this table existed.
 */
#ifndef MH_MARKS_H
#define MH_MARKS_H

#include <stdint.h>
#include <apr_pools.h>

#define MH_MARKS_BUCKET 8u
#define MH_MARKS_DEFAULT_SLOTS 4096u
#define MH_MARKS_RESERVE_LIMIT_S 60u
#define MH_MARKS_ENDING_GRACE_MS 60000u
#define MH_MARKS_FILE "busy.marks"

typedef struct mh_marks mh_marks;

typedef enum mh_mark_result {
    MH_MARK_CLAIMED = 0, /* the caller holds the mark now */
    MH_MARK_BUSY,        /* a live claim of the same id exists */
    MH_MARK_FULL         /* no free slot in the id's bucket */
} mh_mark_result;

/* A claim held by one request. */
typedef struct mh_mark {
    unsigned slot;
    uint64_t word; /* the slot's word while the claim is ours */
} mh_mark;

/* A claim as read from the table (tests, tools). */
typedef struct mh_mark_info {
    int ending;
    uint32_t pid;
    uint64_t nonce, token, since_ms;
} mh_mark_info;

/*
 * Opens the table at `path`, mapped shared.  `pid` and `nonce` identify this
 * process in the marks it makes (nonce: random per open, tells a reused
 * pid).  With `create`, a missing table, or one that is damaged, of another
 * format or of another slot count, is made afresh (the new file replaces
 * the old by rename(), so a process still mapping the old one never sees a
 * truncated file); *recreated_r (may be NULL) tells that an existing file
 * was replaced.  Without `create` a missing or unusable table is an error.
 * `slots` (with create): a power of two, at least MH_MARKS_BUCKET; without
 * create the file's count is used.  The map is unmapped
 * when `pool` is destroyed.  APR_ENOENT when the file does not exist
 * (without create); otherwise an APR error with *why_r.
 */
apr_status_t mh_marks_open(const char *path, int create, unsigned slots, uint32_t pid,
                           uint64_t nonce, apr_pool_t *pool, mh_marks **marks_r,
                           int *recreated_r, const char **why_r);

/* Slots of an open table. */
unsigned mh_marks_slots(const mh_marks *t);

/*
 * Claims the mark of session `id` for a request (`token`, random per
 * request) at `now_ms`; a claim older than `stale_ms` (or of a dead
 * process) counts as free and is taken over.  On MH_MARK_CLAIMED, *mark_r
 * is the claim, to be ended with mh_marks_finish and/or mh_marks_release.
 */
mh_mark_result mh_marks_claim(mh_marks *t, const unsigned char id[16], uint64_t token,
                              uint64_t now_ms, uint64_t stale_ms, mh_mark *mark_r);

/*
 * The request is ending: its claim stops going stale by age (see above).
 * 0, or -1 when the claim is no longer ours (it was taken over).
 */
int mh_marks_finish(mh_marks *t, mh_mark *mark);

/* Frees a claim (claimed or ending); nothing when it is no longer ours. */
void mh_marks_release(mh_marks *t, const mh_mark *mark);

/*
 * Whether a live claim of `id` other than `except` (may be NULL) exists.
 * With info_r (may be NULL), the first such claim is copied there.
 */
int mh_marks_held(mh_marks *t, const unsigned char id[16], uint64_t now_ms,
                  uint64_t stale_ms, const mh_mark *except, mh_mark_info *info_r);

#endif
