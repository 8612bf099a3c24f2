/*
 * mh_marks.c - the shared table of busy marks (see mh_marks.h for the
 * design; mh_session.c for how the session store uses it).
 *
 * Memory ordering: every change of a slot's word is a sequentially
 * consistent compare-and-swap, and the looks that decide between two
 * claimers are sequentially consistent loads, so that of two claimers that
 * each publish and then look, at least one sees the other.  The mark's
 * fields are written with relaxed atomic stores while the slot is RESERVED
 * (only its reserver writes them) and published by the CAS to CLAIMED.
 */
#include "mh_marks.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>

#define MAGIC "MHMARKS"
#define FORMAT_VERSION 1u
#define HEADER_LEN 64u
#define SLOT_LEN 64u
#define CLAIM_ATTEMPTS 8
#define SETTLE_SPINS 10000

enum { ST_FREE = 0, ST_RESERVED = 1, ST_PENDING = 2, ST_CLAIMED = 3, ST_ENDING = 4 };

typedef struct header {
    char magic[8];
    uint32_t version, slot_len, slots, bucket;
    uint64_t key0, key1;
    uint64_t reserved[3];
} header;

typedef struct slot {
    uint64_t word;
    uint64_t id_lo, id_hi;
    uint64_t nonce, token, since_ms;
    uint64_t pad[2];
} slot;

struct mh_marks {
    unsigned char *map;
    size_t map_len;
    slot *slots;
    unsigned nslots, bucket_mask;
    uint64_t key0, key1;
    uint32_t pid;
    uint64_t nonce;
};

_Static_assert(sizeof(header) == HEADER_LEN, "header size");
_Static_assert(sizeof(slot) == SLOT_LEN, "slot size");

/* ----------------------------------------------------------------- words */

static unsigned w_state(uint64_t w) { return (unsigned)(w >> 61); }
static unsigned w_gen(uint64_t w) { return (unsigned)(w >> 56) & 31u; }
static uint32_t w_pid(uint64_t w) { return (uint32_t)(w >> 32) & 0xffffffu; }
static uint32_t w_low(uint64_t w) { return (uint32_t)w; }

static uint64_t w_make(unsigned state, unsigned gen, uint32_t pid, uint32_t low)
{
    return (uint64_t)state << 61 | (uint64_t)(gen & 31u) << 56 |
           (uint64_t)(pid & 0xffffffu) << 32 | low;
}

static uint64_t w_free_after(uint64_t w)
{
    return w_make(ST_FREE, w_gen(w) + 1, 0, 0);
}

static uint64_t w_with_state(uint64_t w, unsigned state)
{
    return w_make(state, w_gen(w), w_pid(w), w_low(w));
}

/* A published mark: its fields are valid. */
static int w_marked(uint64_t w)
{
    unsigned st = w_state(w);
    return st == ST_PENDING || st == ST_CLAIMED || st == ST_ENDING;
}

static uint64_t load_acq(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static uint64_t load_sc(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static uint64_t load_rlx(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static void store_rlx(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }

static int cas(uint64_t *p, uint64_t expect, uint64_t want)
{
    return __atomic_compare_exchange_n(p, &expect, want, 0, __ATOMIC_SEQ_CST,
                                       __ATOMIC_SEQ_CST);
}

/* --------------------------------------------------------------- hashing */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

typedef struct key {
    uint64_t lo, hi;
    unsigned bucket;
    uint32_t fp;
} key;

static void key_of(const mh_marks *t, const unsigned char id[16], key *k)
{
    memcpy(&k->lo, id, 8);
    memcpy(&k->hi, id + 8, 8);
    uint64_t h = mix64(mix64(k->lo ^ t->key0) + (k->hi ^ t->key1));
    k->bucket = (unsigned)h & t->bucket_mask;
    k->fp = (uint32_t)(h >> 32);
}

/* ----------------------------------------------------------------- marks */

typedef struct view {
    uint64_t word;
    uint64_t id_lo, id_hi, nonce, token, since_ms;
} view;

/* Reads the mark of a CLAIMED or ENDING word consistently: 0 when the word
 * changed meanwhile (the caller looks again or treats the slot as moving). */
static int read_view(const slot *s, uint64_t w, view *v)
{
    v->word = w;
    v->id_lo = load_rlx(&s->id_lo);
    v->id_hi = load_rlx(&s->id_hi);
    v->nonce = load_rlx(&s->nonce);
    v->token = load_rlx(&s->token);
    v->since_ms = load_rlx(&s->since_ms);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return load_rlx(&s->word) == w;
}

static int pid_dead(uint32_t pid)
{
    return kill((pid_t)pid, 0) == -1 && errno == ESRCH;
}

/* The rule of the LMDB marks (mh_session.c mark_live): too old, or of a
 * dead process, or of an earlier process with this one's pid: stale. */
static int view_live(const mh_marks *t, const view *v, uint64_t now_ms, uint64_t stale_ms)
{
    uint64_t limit = stale_ms + (w_state(v->word) == ST_ENDING ? MH_MARKS_ENDING_GRACE_MS : 0);
    if (now_ms >= v->since_ms + limit)
        return 0;
    uint32_t pid = w_pid(v->word);
    if (pid == t->pid)
        return v->nonce == t->nonce;
    return !pid_dead(pid);
}

static uint32_t wall_seconds(void)
{
    return (uint32_t)time(NULL);
}

static int reservation_stale(uint64_t w)
{
    int32_t age = (int32_t)(wall_seconds() - w_low(w));
    return age > (int32_t)MH_MARKS_RESERVE_LIMIT_S || pid_dead(w_pid(w));
}

static slot *bucket_of(mh_marks *t, const key *k)
{
    return t->slots + (size_t)k->bucket * MH_MARKS_BUCKET;
}

static int view_is(const view *v, const key *k)
{
    return w_low(v->word) == k->fp && v->id_lo == k->lo && v->id_hi == k->hi;
}

/* Whether a live claim of k other than the one in slot `except` (-1: none)
 * is in its bucket.  Sequentially consistent loads: see the file's head. */
static int held_in_bucket(mh_marks *t, const key *k, int except, uint64_t now_ms,
                          uint64_t stale_ms, view *found_r)
{
    slot *b = bucket_of(t, k);
    for (int i = 0; i < (int)MH_MARKS_BUCKET; i++) {
        if (i == except)
            continue;
        for (;;) {
            uint64_t w = load_sc(&b[i].word);
            if (!w_marked(w) || w_low(w) != k->fp)
                break;
            view v;
            if (!read_view(&b[i], w, &v))
                continue; /* changed under us: look again */
            if (view_is(&v, k) && view_live(t, &v, now_ms, stale_ms)) {
                if (found_r)
                    *found_r = v;
                return 1;
            }
            break;
        }
    }
    return 0;
}

/*
 * After publishing a PENDING claim in slot `mine`: whether it wins.  It
 * loses to a confirmed (CLAIMED, ENDING) claim of the id, and to a PENDING
 * one in a lower slot; it waits for PENDING ones in higher slots to give up
 * (they see this one, or they confirmed before it looked, and then this one
 * sees that).  So of claimers racing, exactly one wins.
 */
static int settle(mh_marks *t, const key *k, int mine, uint64_t now_ms, uint64_t stale_ms)
{
    slot *b = bucket_of(t, k);
    for (int spins = 0;; spins++) {
        int wait = 0;
        for (int j = 0; j < (int)MH_MARKS_BUCKET; j++) {
            if (j == mine)
                continue;
            uint64_t w = load_sc(&b[j].word);
            if (!w_marked(w) || w_low(w) != k->fp)
                continue;
            view v;
            if (!read_view(&b[j], w, &v)) {
                j--; /* changed under us: this slot again */
                continue;
            }
            if (!view_is(&v, k) || !view_live(t, &v, now_ms, stale_ms))
                continue;
            if (w_state(w) == ST_PENDING && j > mine)
                wait = 1;
            else
                return 0;
        }
        if (!wait)
            return 1;
        if (spins >= SETTLE_SPINS)
            return 0; /* a claimer stopped half-way (and is alive): give up */
        sched_yield();
    }
}

mh_mark_result mh_marks_claim(mh_marks *t, const unsigned char id[16], uint64_t token,
                              uint64_t now_ms, uint64_t stale_ms, mh_mark *mark_r)
{
    key k;
    key_of(t, id, &k);
    slot *b = bucket_of(t, &k);

    for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
        int free_i = -1;
        uint64_t free_w = 0;
        int others = 0;
        /* 1. look: a live claim of the id makes it busy; stale ones go */
        for (int i = 0; i < (int)MH_MARKS_BUCKET; i++) {
            uint64_t w = load_acq(&b[i].word);
            unsigned st = w_state(w);
            if (st == ST_FREE) {
                if (free_i < 0) {
                    free_i = i;
                    free_w = w;
                }
                continue;
            }
            if (st == ST_RESERVED || st > ST_ENDING) {
                /* abandoned half-way, or a word no version writes */
                if ((st > ST_ENDING || reservation_stale(w)) &&
                    cas(&b[i].word, w, w_free_after(w)) && free_i < 0) {
                    free_i = i;
                    free_w = w_free_after(w);
                }
                continue;
            }
            if (w_low(w) != k.fp) {
                others = 1;
                continue;
            }
            view v;
            if (!read_view(&b[i], w, &v)) {
                i--; /* changed under us: this slot again */
                continue;
            }
            if (!view_is(&v, &k)) {
                others = 1;
                continue;
            }
            if (view_live(t, &v, now_ms, stale_ms))
                return MH_MARK_BUSY;
            /* a claim of a dead process, or too old: taken over */
            if (cas(&b[i].word, w, w_free_after(w)) && free_i < 0) {
                free_i = i;
                free_w = w_free_after(w);
            }
        }
        if (free_i < 0) {
            /* full: free the stale claims of other ids, else give up */
            int freed = 0;
            for (int i = 0; others && i < (int)MH_MARKS_BUCKET; i++) {
                uint64_t w = load_acq(&b[i].word);
                view v;
                if (w_marked(w) && read_view(&b[i], w, &v) &&
                    !view_live(t, &v, now_ms, stale_ms) && cas(&b[i].word, w, w_free_after(w)))
                    freed = 1;
            }
            if (freed)
                continue;
            return MH_MARK_FULL;
        }
        /* 2. reserve the free slot */
        slot *s = &b[free_i];
        unsigned gen = w_gen(free_w) + 1;
        uint64_t reserved = w_make(ST_RESERVED, gen, t->pid, wall_seconds());
        if (!cas(&s->word, free_w, reserved))
            continue;
        /* 3. write the mark, 4. publish it */
        store_rlx(&s->id_lo, k.lo);
        store_rlx(&s->id_hi, k.hi);
        store_rlx(&s->nonce, t->nonce);
        store_rlx(&s->token, token);
        store_rlx(&s->since_ms, now_ms);
        uint64_t pending = w_make(ST_PENDING, gen, t->pid, k.fp);
        if (!cas(&s->word, reserved, pending))
            continue; /* the reservation was freed as stale: start over */
        /* 5. claim first, then check: another claimer of the id that got
         * in meanwhile (into another slot) wins or loses against this one */
        if (!settle(t, &k, free_i, now_ms, stale_ms)) {
            cas(&s->word, pending, w_free_after(pending));
            return MH_MARK_BUSY;
        }
        uint64_t claimed = w_with_state(pending, ST_CLAIMED);
        if (!cas(&s->word, pending, claimed))
            continue; /* freed as stale meanwhile: start over */
        mark_r->slot = (unsigned)(k.bucket * MH_MARKS_BUCKET + (unsigned)free_i);
        mark_r->word = claimed;
        return MH_MARK_CLAIMED;
    }
    return MH_MARK_BUSY; /* slots kept changing under us: as if busy */
}

int mh_marks_finish(mh_marks *t, mh_mark *m)
{
    if (m->slot >= t->nslots || w_state(m->word) != ST_CLAIMED)
        return w_state(m->word) == ST_ENDING ? 0 : -1;
    uint64_t ending = w_with_state(m->word, ST_ENDING);
    if (!cas(&t->slots[m->slot].word, m->word, ending))
        return -1;
    m->word = ending;
    return 0;
}

void mh_marks_release(mh_marks *t, const mh_mark *m)
{
    if (m->slot < t->nslots)
        cas(&t->slots[m->slot].word, m->word, w_free_after(m->word));
}

int mh_marks_held(mh_marks *t, const unsigned char id[16], uint64_t now_ms,
                  uint64_t stale_ms, const mh_mark *except, mh_mark_info *info_r)
{
    key k;
    key_of(t, id, &k);
    int ex = -1;
    if (except && except->slot / MH_MARKS_BUCKET == k.bucket)
        ex = (int)(except->slot % MH_MARKS_BUCKET);
    view v;
    if (!held_in_bucket(t, &k, ex, now_ms, stale_ms, &v))
        return 0;
    if (info_r) {
        info_r->ending = w_state(v.word) == ST_ENDING;
        info_r->pid = w_pid(v.word);
        info_r->nonce = v.nonce;
        info_r->token = v.token;
        info_r->since_ms = v.since_ms;
    }
    return 1;
}

unsigned mh_marks_slots(const mh_marks *t)
{
    return t->nslots;
}

/* ------------------------------------------------------------ open/close */

static size_t table_len(unsigned slots)
{
    return HEADER_LEN + (size_t)slots * SLOT_LEN;
}

static apr_status_t unmap_cleanup(void *data)
{
    mh_marks *t = data;
    if (t->map) {
        munmap(t->map, t->map_len);
        t->map = NULL;
    }
    return APR_SUCCESS;
}

/* Checks an opened file; maps it when it is a usable table (of `slots`
 * slots, or any count when slots is 0).  0, or -1 with *why_r. */
static int map_table(mh_marks *t, int fd, unsigned slots, apr_pool_t *pool,
                     const char **why_r)
{
    struct stat sb;
    header h;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        *why_r = "not a plain file";
        return -1;
    }
    if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
        *why_r = "shorter than its header";
        return -1;
    }
    if (memcmp(h.magic, MAGIC, sizeof(MAGIC)) != 0 || h.version != FORMAT_VERSION ||
        h.slot_len != SLOT_LEN || h.bucket != MH_MARKS_BUCKET) {
        *why_r = "not a busy-mark table of this version";
        return -1;
    }
    if (h.slots < MH_MARKS_BUCKET || (h.slots & (h.slots - 1)) != 0 ||
        (slots && h.slots != slots)) {
        *why_r = apr_psprintf(pool, "made for %u slots", h.slots);
        return -1;
    }
    if ((uint64_t)sb.st_size != table_len(h.slots)) {
        *why_r = "of the wrong size";
        return -1;
    }
    void *p = mmap(NULL, table_len(h.slots), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        *why_r = apr_psprintf(pool, "mmap: %s", strerror(errno));
        return -1;
    }
    t->map = p;
    t->map_len = table_len(h.slots);
    t->slots = (slot *)(t->map + HEADER_LEN);
    t->nslots = h.slots;
    t->bucket_mask = h.slots / MH_MARKS_BUCKET - 1;
    t->key0 = h.key0;
    t->key1 = h.key1;
    return 0;
}

/* Makes a fresh table file and renames it over `path`.  0, or -1. */
static int make_table(const char *path, unsigned slots, apr_pool_t *pool,
                      const char **why_r)
{
    const char *tmp = apr_psprintf(pool, "%s.new.%ld", path, (long)getpid());
    unlink(tmp);
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        *why_r = apr_psprintf(pool, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    header h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, MAGIC, sizeof(MAGIC));
    h.version = FORMAT_VERSION;
    h.slot_len = SLOT_LEN;
    h.slots = slots;
    h.bucket = MH_MARKS_BUCKET;
    if (apr_generate_random_bytes((unsigned char *)&h.key0, sizeof(h.key0)) != APR_SUCCESS ||
        apr_generate_random_bytes((unsigned char *)&h.key1, sizeof(h.key1)) != APR_SUCCESS) {
        *why_r = "no random bytes";
        goto fail;
    }
    /* blocks allocated now: a full file system fails here, not later
     * with SIGBUS when a slot's page is first written */
    int rc = posix_fallocate(fd, 0, (off_t)table_len(slots));
    if (rc != 0) {
        *why_r = apr_psprintf(pool, "cannot allocate %s: %s", tmp, strerror(rc));
        goto fail;
    }
    if (pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
        *why_r = apr_psprintf(pool, "cannot write %s: %s", tmp, strerror(errno));
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        *why_r = apr_psprintf(pool, "cannot rename %s: %s", tmp, strerror(errno));
        goto fail;
    }
    close(fd);
    return 0;
fail:
    close(fd);
    unlink(tmp);
    return -1;
}

apr_status_t mh_marks_open(const char *path, int create, unsigned slots, uint32_t pid,
                           uint64_t nonce, apr_pool_t *pool, mh_marks **marks_r,
                           int *recreated_r, const char **why_r)
{
    if (recreated_r)
        *recreated_r = 0;
    if ((create && (slots < MH_MARKS_BUCKET || (slots & (slots - 1)) != 0)) || pid == 0 ||
        pid > 0xffffffu) {
        *why_r = pid > 0xffffffu ? "process ids beyond 24 bits" : "bad slot count";
        return APR_EINVAL;
    }
    mh_marks *t = apr_pcalloc(pool, sizeof(*t));
    t->pid = pid;
    t->nonce = nonce;
    for (int round = 0; round < 2; round++) {
        int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno != ENOENT) {
            *why_r = apr_psprintf(pool, "cannot open %s: %s", path, strerror(errno));
            return APR_FROM_OS_ERROR(errno);
        }
        if (fd < 0 && !create) {
            *why_r = apr_psprintf(pool, "%s does not exist", path);
            return APR_ENOENT;
        }
        const char *bad = NULL;
        if (fd >= 0) {
            int ok = map_table(t, fd, create ? slots : 0, pool, &bad) == 0;
            close(fd);
            if (ok) {
                apr_pool_cleanup_register(pool, t, unmap_cleanup, apr_pool_cleanup_null);
                *marks_r = t;
                return APR_SUCCESS;
            }
            if (!create || round > 0) {
                *why_r = apr_psprintf(pool, "%s is %s", path, bad);
                return APR_EGENERAL;
            }
            if (recreated_r)
                *recreated_r = 1;
        }
        if (make_table(path, slots, pool, why_r) != 0)
            return APR_EGENERAL;
    }
    *why_r = "cannot make the table";
    return APR_EGENERAL;
}
