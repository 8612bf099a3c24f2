/* Unit tests: mh_session (the shared LMDB session store). */
#include "mh_session.h"
#include "mh_test.h"

#include <apr_file_info.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_file_io.h>
#include <apr_strings.h>

/* LeakSanitizer, when the build has it (ASan) */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(HAVE_LSAN)
#define HAVE_LSAN 1
#endif
#ifdef HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

static apr_pool_t *pool;
static char dir[256];
/* The busy-mark table of this pass: the default, one bucket (claims fall
 * back to the LMDB record when it is full), none (every mark in LMDB). */
static unsigned mark_slots = MH_MARKS_DEFAULT_SLOTS;

/* A trivial codec: the state is a counted string; decode counts calls. */
static int decodes;
static apr_status_t dec(const void *buf, size_t len, apr_pool_t *p, void **st)
{
    decodes++;
    *st = apr_pstrmemdup(p, buf, len);
    return APR_SUCCESS;
}
static apr_status_t enc(const void *st, apr_pool_t *p, const void **buf, size_t *len)
{
    *buf = st;
    *len = strlen(st);
    return APR_SUCCESS;
}
static const mh_state_codec codec = {dec, enc};

static mh_session_store *open_store_in(const char *path, int create, apr_pool_t *p)
{
    mh_session_store_config cfg;
    mh_session_store_config_default(&cfg);
    cfg.path = path;
    cfg.map_size = 16 * 1024 * 1024;
    cfg.mark_slots = mark_slots;
    mh_session_store *st = NULL;
    const char *err = NULL;
    if (mh_session_store_open(&cfg, create, p, &st, &err) != APR_SUCCESS) {
        printf("# open failed: %s\n", err);
        return NULL;
    }
    return st;
}

static mh_session_store *open_store(const char *path)
{
    return open_store_in(path, 1, pool);
}

/* In a forked child: its own pool and its own handle on the store (LMDB
 * handles do not cross fork()). */
static mh_session_store *child_store(apr_pool_t **pool_r)
{
    apr_pool_create(pool_r, NULL);
    return open_store_in(dir, 0, *pool_r);
}

static apr_time_t T0;
#define SEC(n) ((apr_time_t)(n) * APR_USEC_PER_SEC)
#define IDLE SEC(900)

static void test_create_begin_end(void)
{
    mh_session_store *st = open_store(dir);
    REQUIRE(st);
    unsigned char id[16], seq[16];
    unsigned evicted = 99;
    REQUIRE(mh_session_create(st, MH_EP_EMSMDB, "ada", "s1", 2, T0, IDLE, 8, id, seq,
                              &evicted) == MH_SS_OK);
    CHECK_EQ_U(evicted, 0);

    mh_session *s = NULL;
    /* wrong user, wrong endpoint */
    CHECK_EQ_U(mh_session_begin(st, id, MH_EP_EMSMDB, "bob", seq, 0, &codec, T0, pool, &s),
               MH_SS_WRONG_USER);
    CHECK_EQ_U(mh_session_begin(st, id, MH_EP_NSPI, "ada", seq, 0, &codec, T0, pool, &s),
               MH_SS_WRONG_ENDPOINT);
    /* the right one */
    REQUIRE(mh_session_begin(st, id, MH_EP_EMSMDB, "ada", seq, 0, &codec, T0, pool, &s) ==
            MH_SS_OK);
    CHECK_STR(s->state, "s1");
    CHECK(memcmp(s->sequence, seq, 16) != 0); /* rotated */
    /* a second request while busy */
    mh_session *s2 = NULL;
    CHECK_EQ_U(mh_session_begin(st, id, MH_EP_EMSMDB, "ada", s->sequence, 0, &codec, T0,
                                pool, &s2),
               MH_SS_BUSY);
    /* change the state and end */
    s->state = apr_pstrdup(s->state_pool, "s2");
    s->state_dirty = 1;
    unsigned char seq2[16];
    memcpy(seq2, s->sequence, 16);
    CHECK_EQ_U(mh_session_end(s, &codec, T0 + SEC(1), IDLE), MH_SS_OK);
    /* the old sequence is stale now */
    CHECK_EQ_U(mh_session_begin(st, id, MH_EP_EMSMDB, "ada", seq, 0, &codec, T0, pool, &s2),
               MH_SS_BAD_SEQUENCE);
    REQUIRE(mh_session_begin(st, id, MH_EP_EMSMDB, "ada", seq2, 0, &codec, T0, pool, &s2) ==
            MH_SS_OK);
    CHECK_STR(s2->state, "s2");
    CHECK(s2->from_cache); /* same process, unchanged generation */
    CHECK_EQ_U(mh_session_end(s2, &codec, T0 + SEC(2), IDLE), MH_SS_OK);

    mh_session_info info;
    REQUIRE(mh_session_get_info(st, id, T0 + SEC(2), &info) == MH_SS_OK);
    CHECK_STR(info.user, "ada");
    CHECK_EQ_U(info.endpoint, MH_EP_EMSMDB);
    CHECK_EQ_U(info.generation, 2);
    CHECK(!info.busy);
    CHECK_EQ_U(apr_time_as_msec(info.expires), apr_time_as_msec(T0 + SEC(2) + IDLE));
    mh_session_store_close(st);
}

static void test_expiry_and_touch(void)
{
    mh_session_store *st = open_store(dir);
    REQUIRE(st);
    unsigned char id[16], seq[16];
    REQUIRE(mh_session_create(st, MH_EP_NSPI, "ada", "x", 1, T0, SEC(60), 8, id, seq, NULL) ==
            MH_SS_OK);
    /* PING at 50 s pushes expiry to 110 s */
    CHECK_EQ_U(mh_session_touch(st, id, MH_EP_NSPI, "ada", T0 + SEC(50), SEC(60)), MH_SS_OK);
    mh_session_info info;
    REQUIRE(mh_session_get_info(st, id, T0 + SEC(50), &info) == MH_SS_OK);
    CHECK_EQ_U(apr_time_as_msec(info.expires), apr_time_as_msec(T0 + SEC(110)));
    /* a PING half a second later finds that fresh enough and writes nothing;
     * two seconds later it moves the expiry again */
    CHECK_EQ_U(mh_session_touch(st, id, MH_EP_NSPI, "ada", T0 + SEC(50) + SEC(1) / 2, SEC(60)),
               MH_SS_OK);
    REQUIRE(mh_session_get_info(st, id, T0 + SEC(51), &info) == MH_SS_OK);
    CHECK_EQ_U(apr_time_as_msec(info.expires), apr_time_as_msec(T0 + SEC(110)));
    CHECK_EQ_U(mh_session_touch(st, id, MH_EP_NSPI, "ada", T0 + SEC(52), SEC(60)), MH_SS_OK);
    REQUIRE(mh_session_get_info(st, id, T0 + SEC(52), &info) == MH_SS_OK);
    CHECK_EQ_U(apr_time_as_msec(info.expires), apr_time_as_msec(T0 + SEC(112)));
    /* the fast path still checks user and endpoint */
    CHECK_EQ_U(mh_session_touch(st, id, MH_EP_EMSMDB, "ada", T0 + SEC(52), SEC(60)),
               MH_SS_WRONG_ENDPOINT);
    CHECK_EQ_U(mh_session_touch(st, id, MH_EP_NSPI, "bob", T0 + SEC(50), SEC(60)),
               MH_SS_WRONG_USER);
    mh_session *s;
    CHECK_EQ_U(mh_session_begin(st, id, MH_EP_NSPI, "ada", seq, 0, &codec, T0 + SEC(100),
                                pool, &s),
               MH_SS_OK);
    CHECK_EQ_U(mh_session_end(s, &codec, T0 + SEC(100), SEC(60)), MH_SS_OK);
    REQUIRE(mh_session_get_info(st, id, T0 + SEC(100), &info) == MH_SS_OK);
    CHECK_EQ_U(apr_time_as_msec(info.expires), apr_time_as_msec(T0 + SEC(160)));
    /* a request ending half a second later leaves that expiry as it is */
    unsigned char seq2[16];
    memcpy(seq2, s->sequence, 16);
    CHECK_EQ_U(mh_session_begin(st, id, MH_EP_NSPI, "ada", seq2, 0, &codec,
                                T0 + SEC(100) + SEC(1) / 2, pool, &s),
               MH_SS_OK);
    CHECK_EQ_U(mh_session_end(s, &codec, T0 + SEC(100) + SEC(1) / 2, SEC(60)), MH_SS_OK);
    REQUIRE(mh_session_get_info(st, id, T0 + SEC(101), &info) == MH_SS_OK);
    CHECK_EQ_U(apr_time_as_msec(info.expires), apr_time_as_msec(T0 + SEC(160)));
    /* idle past 160 s: expired, and removed */
    CHECK_EQ_U(mh_session_touch(st, id, MH_EP_NSPI, "ada", T0 + SEC(161), SEC(60)),
               MH_SS_EXPIRED);
    CHECK_EQ_U(mh_session_touch(st, id, MH_EP_NSPI, "ada", T0 + SEC(162), SEC(60)),
               MH_SS_NOT_FOUND);
    mh_session_store_close(st);
}

static void test_destroy(void)
{
    mh_session_store *st = open_store(dir);
    REQUIRE(st);
    unsigned char id[16], seq[16];
    REQUIRE(mh_session_create(st, MH_EP_EMSMDB, "ada", "x", 1, T0, IDLE, 8, id, seq, NULL) ==
            MH_SS_OK);
    CHECK_EQ_U(mh_session_destroy(st, id, MH_EP_EMSMDB, "bob"), MH_SS_WRONG_USER);
    mh_session *s;
    REQUIRE(mh_session_begin(st, id, MH_EP_EMSMDB, "ada", seq, 0, &codec, T0, pool, &s) ==
            MH_SS_OK);
    /* destroyed while a request runs on it: the request's end saves nothing */
    CHECK_EQ_U(mh_session_destroy(st, id, MH_EP_EMSMDB, "ada"), MH_SS_OK);
    s->state_dirty = 1;
    CHECK_EQ_U(mh_session_end(s, &codec, T0, IDLE), MH_SS_GONE);
    CHECK_EQ_U(mh_session_touch(st, id, MH_EP_EMSMDB, "ada", T0, IDLE), MH_SS_NOT_FOUND);
    CHECK_EQ_U(mh_session_destroy(st, id, MH_EP_EMSMDB, "ada"), MH_SS_NOT_FOUND);
    mh_session_store_close(st);
}

static void test_per_user_cap(void)
{
    mh_session_store *st = open_store(dir);
    REQUIRE(st);
    unsigned char ids[5][16], seq[16];
    unsigned evicted;
    for (int i = 0; i < 3; i++)
        REQUIRE(mh_session_create(st, MH_EP_EMSMDB, "carol", "x", 1, T0 + SEC(i), IDLE, 3,
                                  ids[i], seq, &evicted) == MH_SS_OK);
    /* refresh the oldest: now the second is least recently used */
    CHECK_EQ_U(mh_session_touch(st, ids[0], MH_EP_EMSMDB, "carol", T0 + SEC(10), IDLE),
               MH_SS_OK);
    REQUIRE(mh_session_create(st, MH_EP_EMSMDB, "carol", "x", 1, T0 + SEC(11), IDLE, 3, ids[3],
                              seq, &evicted) == MH_SS_OK);
    CHECK_EQ_U(evicted, 1);
    CHECK_EQ_U(mh_session_touch(st, ids[1], MH_EP_EMSMDB, "carol", T0 + SEC(12), IDLE),
               MH_SS_NOT_FOUND);
    CHECK_EQ_U(mh_session_touch(st, ids[0], MH_EP_EMSMDB, "carol", T0 + SEC(12), IDLE),
               MH_SS_OK);
    CHECK_EQ_U(mh_session_touch(st, ids[2], MH_EP_EMSMDB, "carol", T0 + SEC(12), IDLE),
               MH_SS_OK);
    /* another user is not affected by carol's cap */
    REQUIRE(mh_session_create(st, MH_EP_EMSMDB, "carolx", "x", 1, T0 + SEC(13), IDLE, 1,
                              ids[4], seq, &evicted) == MH_SS_OK);
    CHECK_EQ_U(evicted, 0);
    CHECK_EQ_U(mh_session_touch(st, ids[3], MH_EP_EMSMDB, "carol", T0 + SEC(13), IDLE),
               MH_SS_OK);
    mh_session_store_close(st);
}

static void test_wait_slot_and_events(void)
{
    mh_session_store *st = open_store(dir);
    REQUIRE(st);
    unsigned char id[16], seq[16];
    REQUIRE(mh_session_create(st, MH_EP_EMSMDB, "dave", "x", 1, T0, IDLE, 8, id, seq, NULL) ==
            MH_SS_OK);
    mh_session_owner w1, w2;
    mh_session_owner_new(st, &w1);
    mh_session_owner_new(st, &w2);
    int pending = -1;
    REQUIRE(mh_session_wait_begin(st, id, MH_EP_EMSMDB, "dave", &w1, T0, &pending) == MH_SS_OK);
    CHECK_EQ_U(pending, 0);
    /* a second wait on the same context is rejected */
    CHECK_EQ_U(mh_session_wait_begin(st, id, MH_EP_EMSMDB, "dave", &w2, T0, &pending),
               MH_SS_REJECTED);
    /* an Execute may run meanwhile */
    mh_session *s;
    REQUIRE(mh_session_begin(st, id, MH_EP_EMSMDB, "dave", seq, 1, &codec, T0, pool, &s) ==
            MH_SS_OK);
    CHECK_EQ_U(mh_session_end(s, &codec, T0, IDLE), MH_SS_OK);
    /* an event posted from elsewhere shows up in the waiter's poll */
    CHECK_EQ_U(mh_session_wait_poll(st, id, &w1, &pending), MH_SS_OK);
    CHECK_EQ_U(pending, 0);
    CHECK_EQ_U(mh_session_post_event(st, id), MH_SS_OK);
    CHECK_EQ_U(mh_session_wait_poll(st, id, &w1, &pending), MH_SS_OK);
    CHECK_EQ_U(pending, 1);
    /* the other owner does not hold the slot */
    CHECK_EQ_U(mh_session_wait_poll(st, id, &w2, &pending), MH_SS_GONE);
    CHECK_EQ_U(mh_session_wait_end(st, id, &w1, T0 + SEC(5), IDLE), MH_SS_OK);
    /* events still pending: a new wait sees them at once */
    REQUIRE(mh_session_wait_begin(st, id, MH_EP_EMSMDB, "dave", &w2, T0 + SEC(6), &pending) ==
            MH_SS_OK);
    CHECK_EQ_U(pending, 1);
    CHECK_EQ_U(mh_session_wait_end(st, id, &w2, T0 + SEC(6), IDLE), MH_SS_OK);
    /* an Execute takes them */
    REQUIRE(mh_session_begin(st, id, MH_EP_EMSMDB, "dave", s->sequence, 1, &codec,
                             T0 + SEC(7), pool, &s) == MH_SS_OK);
    CHECK_EQ_U(mh_session_end(s, &codec, T0 + SEC(7), IDLE), MH_SS_OK);
    REQUIRE(mh_session_wait_begin(st, id, MH_EP_EMSMDB, "dave", &w1, T0 + SEC(8), &pending) ==
            MH_SS_OK);
    CHECK_EQ_U(pending, 0);
    /* destroyed while waiting: the poll says gone */
    CHECK_EQ_U(mh_session_destroy(st, id, MH_EP_EMSMDB, "dave"), MH_SS_OK);
    CHECK_EQ_U(mh_session_wait_poll(st, id, &w1, &pending), MH_SS_GONE);
    mh_session_store_close(st);
}

/* A busy mark left by a process that died does not wedge the session. */
static void test_dead_owner(void)
{
    mh_session_store *st = open_store(dir);
    REQUIRE(st);
    unsigned char id[16], seq[16];
    REQUIRE(mh_session_create(st, MH_EP_EMSMDB, "erin", "x", 1, T0, IDLE, 8, id, seq, NULL) ==
            MH_SS_OK);
    unsigned char newseq[16];
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        /* the child opens its own store, marks busy, reports the new
         * sequence, and dies without ending */
        apr_pool_t *cp;
        mh_session_store *cst = child_store(&cp);
        mh_session *s;
        if (!cst ||
            mh_session_begin(cst, id, MH_EP_EMSMDB, "erin", seq, 0, &codec, T0, cp, &s) !=
                MH_SS_OK)
            _exit(1);
        if (write(fds[1], s->sequence, 16) != 16)
            _exit(1);
        kill(getpid(), SIGKILL);
    }
    int status;
    close(fds[1]);
    ssize_t got = read(fds[0], newseq, 16);
    if (got != 16) {
        waitpid(pid, &status, 0);
        close(fds[0]);
        printf("# child failed (status %d)\n", status);
        CHECK(0);
        return;
    }
    waitpid(pid, &status, 0);
    close(fds[0]);
    CHECK(WIFSIGNALED(status));
    mh_session_info info;
    REQUIRE(mh_session_get_info(st, id, T0, &info) == MH_SS_OK);
    CHECK(!info.busy); /* the owner is dead */
    /* the dead request never ended, so its new sequence token was never
     * stored (nor sent: the response goes after the end): the client's
     * token still works, the one the dead request made does not */
    mh_session *s;
    CHECK_EQ_U(mh_session_begin(st, id, MH_EP_EMSMDB, "erin", newseq, 0, &codec, T0, pool, &s),
               MH_SS_BAD_SEQUENCE);
    REQUIRE(mh_session_begin(st, id, MH_EP_EMSMDB, "erin", seq, 0, &codec, T0, pool, &s) ==
            MH_SS_OK);
    CHECK_EQ_U(mh_session_end(s, &codec, T0, IDLE), MH_SS_OK);
    mh_session_store_close(st);
}

/* One write transaction per sequenced request when the table has room;
 * two (mark, then end) without it. */
static void test_writes_per_request(void)
{
    mh_session_store *st = open_store(dir);
    REQUIRE(st);
    unsigned char id[16], seq[16];
    REQUIRE(mh_session_create(st, MH_EP_EMSMDB, "ivy", "x", 1, T0, IDLE, 8, id, seq, NULL) ==
            MH_SS_OK);
    mh_session_cache_stats before, after;
    mh_session *s;
    /* a first request runs the sweep that is due: not counted */
    REQUIRE(mh_session_begin(st, id, MH_EP_EMSMDB, "ivy", seq, 0, &codec, T0, pool, &s) ==
            MH_SS_OK);
    CHECK_EQ_U(mh_session_end(s, &codec, T0, IDLE), MH_SS_OK);
    mh_session_cache_stats_get(st, &before);
    for (int i = 0; i < 10; i++) {
        unsigned char cur[16];
        memcpy(cur, s->sequence, 16);
        REQUIRE(mh_session_begin(st, id, MH_EP_EMSMDB, "ivy", cur, 0, &codec, T0 + i, pool,
                                 &s) == MH_SS_OK);
        if (i % 2) {
            s->state = apr_pstrdup(s->state_pool, i % 4 == 1 ? "y" : "z");
            s->state_dirty = 1;
        }
        CHECK_EQ_U(mh_session_end(s, &codec, T0 + i, IDLE), MH_SS_OK);
    }
    mh_session_cache_stats_get(st, &after);
    CHECK_EQ_U(after.write_txns - before.write_txns, mark_slots ? 10 : 20);
    CHECK_EQ_U(after.marks_in_table - before.marks_in_table, mark_slots ? 10 : 0);
    CHECK_EQ_U(after.marks_in_store - before.marks_in_store, mark_slots ? 0 : 10);
    /* a refused request writes nothing and leaves no mark */
    mh_session *s2;
    CHECK_EQ_U(mh_session_begin(st, id, MH_EP_EMSMDB, "ivy", seq, 0, &codec, T0 + 20, pool,
                                &s2),
               MH_SS_BAD_SEQUENCE);
    mh_session_cache_stats_get(st, &before);
    CHECK_EQ_U(before.write_txns - after.write_txns, mark_slots ? 0 : 1);
    mh_session_info info;
    REQUIRE(mh_session_get_info(st, id, T0 + 20, &info) == MH_SS_OK);
    CHECK(!info.busy);
    CHECK_EQ_U(info.generation, 1 + 5);
    mh_session_store_close(st);
}

/* A context a request runs on does not expire, nor is it swept; the
 * checks before "busy" still answer first. */
static void test_busy_outlives_expiry(void)
{
    mh_session_store *st = open_store(dir);
    REQUIRE(st);
    unsigned char id[16], seq[16];
    REQUIRE(mh_session_create(st, MH_EP_NSPI, "jo", "x", 1, T0, SEC(60), 8, id, seq, NULL) ==
            MH_SS_OK);
    mh_session *s, *s2;
    REQUIRE(mh_session_begin(st, id, MH_EP_NSPI, "jo", seq, 0, &codec, T0 + SEC(50), pool,
                             &s) == MH_SS_OK);
    mh_session_info info;
    REQUIRE(mh_session_get_info(st, id, T0 + SEC(50), &info) == MH_SS_OK);
    CHECK(info.busy);
    CHECK_EQ_U(mh_session_begin(st, id, MH_EP_NSPI, "jo", seq, 0, &codec, T0 + SEC(51), pool,
                                &s2),
               MH_SS_BUSY);
    CHECK_EQ_U(mh_session_begin(st, id, MH_EP_NSPI, "bob", seq, 0, &codec, T0 + SEC(51), pool,
                                &s2),
               MH_SS_WRONG_USER);
    CHECK_EQ_U(mh_session_begin(st, id, MH_EP_EMSMDB, "jo", seq, 0, &codec, T0 + SEC(51),
                                pool, &s2),
               MH_SS_WRONG_ENDPOINT);
    unsigned char nosuch[16];
    memset(nosuch, 0x11, 16);
    CHECK_EQ_U(mh_session_begin(st, nosuch, MH_EP_NSPI, "jo", seq, 0, &codec, T0 + SEC(51),
                                pool, &s2),
               MH_SS_NOT_FOUND);
    /* past its expiry while the request runs: neither a sweep nor a PING
     * nor another request removes it */
    unsigned removed = 99;
    CHECK_EQ_U(mh_session_sweep(st, T0 + SEC(200), 64, &removed), MH_SS_OK);
    REQUIRE(mh_session_get_info(st, id, T0 + SEC(200), &info) == MH_SS_OK);
    CHECK(info.busy);
    CHECK_EQ_U(mh_session_touch(st, id, MH_EP_NSPI, "jo", T0 + SEC(200), SEC(60)), MH_SS_OK);
    CHECK_EQ_U(mh_session_begin(st, id, MH_EP_NSPI, "jo", seq, 0, &codec, T0 + SEC(200), pool,
                                &s2),
               MH_SS_BUSY);
    CHECK_EQ_U(mh_session_end(s, &codec, T0 + SEC(201), SEC(60)), MH_SS_OK);
    REQUIRE(mh_session_get_info(st, id, T0 + SEC(201), &info) == MH_SS_OK);
    CHECK(!info.busy);
    /* now idle past its expiry: the next request finds it expired (or
     * gone, when the sweep that is due ran first) */
    mh_ss_status late = mh_session_begin(st, id, MH_EP_NSPI, "jo", s->sequence, 0, &codec,
                                         T0 + SEC(300), pool, &s2);
    CHECK(late == MH_SS_EXPIRED || late == MH_SS_NOT_FOUND);
    CHECK_EQ_U(mh_session_get_info(st, id, T0 + SEC(300), &info), MH_SS_NOT_FOUND);
    mh_session_store_close(st);
}

/* A busy mark older than the limit is taken over; the old request's end
 * saves nothing. */
static void test_stale_busy_taken_over(void)
{
    mh_session_store *st = open_store(dir);
    REQUIRE(st);
    unsigned char id[16], seq[16];
    REQUIRE(mh_session_create(st, MH_EP_EMSMDB, "kim", "old", 3, T0, SEC(3600), 8, id, seq,
                              NULL) == MH_SS_OK);
    mh_session *s1, *s2;
    REQUIRE(mh_session_begin(st, id, MH_EP_EMSMDB, "kim", seq, 0, &codec, T0, pool, &s1) ==
            MH_SS_OK);
    CHECK_EQ_U(mh_session_begin(st, id, MH_EP_EMSMDB, "kim", seq, 0, &codec, T0 + SEC(599),
                                pool, &s2),
               MH_SS_BUSY);
    REQUIRE(mh_session_begin(st, id, MH_EP_EMSMDB, "kim", seq, 0, &codec, T0 + SEC(600), pool,
                             &s2) == MH_SS_OK);
    s1->state = apr_pstrdup(s1->state_pool, "lost");
    s1->state_dirty = 1;
    CHECK_EQ_U(mh_session_end(s1, &codec, T0 + SEC(601), SEC(3600)), MH_SS_GONE);
    s2->state = apr_pstrdup(s2->state_pool, "kept");
    s2->state_dirty = 1;
    CHECK_EQ_U(mh_session_end(s2, &codec, T0 + SEC(602), SEC(3600)), MH_SS_OK);
    /* the first request's token was never stored; the second's was */
    mh_session *s3;
    CHECK_EQ_U(mh_session_begin(st, id, MH_EP_EMSMDB, "kim", s1->sequence, 0, &codec,
                                T0 + SEC(603), pool, &s3),
               MH_SS_BAD_SEQUENCE);
    REQUIRE(mh_session_begin(st, id, MH_EP_EMSMDB, "kim", s2->sequence, 0, &codec,
                             T0 + SEC(603), pool, &s3) == MH_SS_OK);
    CHECK_STR(s3->state, "kept");
    CHECK_EQ_U(mh_session_end(s3, &codec, T0 + SEC(603), SEC(3600)), MH_SS_OK);
    mh_session_store_close(st);
}

/* With the table's bucket full, a request marks the record; both kinds of
 * mark keep each other out. */
static void test_full_table_falls_back(void)
{
    if (mark_slots != MH_MARKS_BUCKET) {
        printf("# (only with a one-bucket table)\n");
        return;
    }
    mh_session_store *st = open_store(dir);
    REQUIRE(st);
    enum { N = MH_MARKS_BUCKET + 1 };
    unsigned char id[N][16], seq[N][16];
    mh_session *s[N];
    for (int i = 0; i < N; i++)
        REQUIRE(mh_session_create(st, MH_EP_EMSMDB, "lee", "x", 1, T0, IDLE, 100, id[i],
                                  seq[i], NULL) == MH_SS_OK);
    mh_session_cache_stats a, b;
    mh_session_cache_stats_get(st, &a);
    for (int i = 0; i < N; i++)
        REQUIRE(mh_session_begin(st, id[i], MH_EP_EMSMDB, "lee", seq[i], 0, &codec, T0, pool,
                                 &s[i]) == MH_SS_OK);
    mh_session_cache_stats_get(st, &b);
    CHECK_EQ_U(b.marks_in_table - a.marks_in_table, N - 1);
    CHECK_EQ_U(b.marks_in_store - a.marks_in_store, 1);
    CHECK(!s[N - 1]->mark_in_table);
    mh_session *x;
    /* the one marked in its record is busy, whether the table is full... */
    CHECK_EQ_U(mh_session_begin(st, id[N - 1], MH_EP_EMSMDB, "lee", seq[N - 1], 0, &codec, T0,
                                pool, &x),
               MH_SS_BUSY);
    /* ... or has room again (the claim in the table sees the record's) */
    CHECK_EQ_U(mh_session_end(s[0], &codec, T0, IDLE), MH_SS_OK);
    CHECK_EQ_U(mh_session_begin(st, id[N - 1], MH_EP_EMSMDB, "lee", seq[N - 1], 0, &codec, T0,
                                pool, &x),
               MH_SS_BUSY);
    mh_session_info info;
    REQUIRE(mh_session_get_info(st, id[N - 1], T0, &info) == MH_SS_OK);
    CHECK(info.busy);
    /* the table had room for that refused claim, and gave it back */
    unsigned char s0seq[16];
    memcpy(s0seq, s[0]->sequence, 16);
    REQUIRE(mh_session_begin(st, id[0], MH_EP_EMSMDB, "lee", s0seq, 0, &codec, T0, pool,
                             &s[0]) == MH_SS_OK);
    CHECK(s[0]->mark_in_table);
    /* the record-marked request ends normally and its token works */
    CHECK_EQ_U(mh_session_end(s[N - 1], &codec, T0, IDLE), MH_SS_OK);
    REQUIRE(mh_session_get_info(st, id[N - 1], T0, &info) == MH_SS_OK);
    CHECK(!info.busy);
    for (int i = 0; i < N - 1; i++)
        CHECK_EQ_U(mh_session_end(s[i], &codec, T0, IDLE), MH_SS_OK);
    REQUIRE(mh_session_begin(st, id[N - 1], MH_EP_EMSMDB, "lee", s[N - 1]->sequence, 0, &codec,
                             T0, pool, &x) == MH_SS_OK);
    CHECK(x->mark_in_table);
    mh_session *last = x;
    /* a claim in the table keeps a record-marking request out: fill the
     * bucket with eight requests, one of them on id[0] */
    for (int i = 0; i < N - 2; i++)
        REQUIRE(mh_session_begin(st, id[i], MH_EP_EMSMDB, "lee", s[i]->sequence, 0, &codec,
                                 T0, pool, &s[i]) == MH_SS_OK);
    mh_session *y;
    CHECK_EQ_U(mh_session_begin(st, id[N - 2], MH_EP_EMSMDB, "lee", s[N - 2]->sequence, 0,
                                &codec, T0, pool, &y),
               MH_SS_OK); /* marked in its record */
    CHECK(!y->mark_in_table);
    CHECK_EQ_U(mh_session_begin(st, id[0], MH_EP_EMSMDB, "lee", s[0]->sequence, 0, &codec, T0,
                                pool, &x),
               MH_SS_BUSY);
    CHECK_EQ_U(mh_session_end(y, &codec, T0, IDLE), MH_SS_OK);
    for (int i = 0; i < N - 2; i++)
        CHECK_EQ_U(mh_session_end(s[i], &codec, T0, IDLE), MH_SS_OK);
    x = NULL;
    REQUIRE(mh_session_begin(st, id[0], MH_EP_EMSMDB, "lee", s[0]->sequence, 0, &codec, T0,
                             pool, &x) == MH_SS_OK);
    CHECK_EQ_U(mh_session_end(x, &codec, T0, IDLE), MH_SS_OK);
    CHECK_EQ_U(mh_session_end(last, &codec, T0, IDLE), MH_SS_OK);
    mh_session_store_close(st);
}

/* The cache notices a change made by another process (generation). */
static void test_cache_generation_across_processes(void)
{
    mh_session_store *st = open_store(dir);
    REQUIRE(st);
    unsigned char id[16], seq[16];
    REQUIRE(mh_session_create(st, MH_EP_EMSMDB, "fay", "one", 3, T0, IDLE, 8, id, seq, NULL) ==
            MH_SS_OK);
    mh_session *s;
    REQUIRE(mh_session_begin(st, id, MH_EP_EMSMDB, "fay", seq, 0, &codec, T0, pool, &s) ==
            MH_SS_OK);
    CHECK(!s->from_cache);
    unsigned char seq1[16];
    memcpy(seq1, s->sequence, 16);
    CHECK_EQ_U(mh_session_end(s, &codec, T0, IDLE), MH_SS_OK); /* now cached here */

    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        apr_pool_t *cp;
        mh_session_store *cst = child_store(&cp);
        mh_session *cs;
        if (!cst ||
            mh_session_begin(cst, id, MH_EP_EMSMDB, "fay", seq1, 0, &codec, T0, cp, &cs) !=
                MH_SS_OK)
            _exit(1);
        cs->state = apr_pstrdup(cs->state_pool, "two");
        cs->state_dirty = 1;
        if (mh_session_end(cs, &codec, T0, IDLE) != MH_SS_OK)
            _exit(2);
        if (write(fds[1], cs->sequence, 16) != 16)
            _exit(3);
        _exit(0);
    }
    unsigned char seq2[16];
    int status;
    close(fds[1]);
    ssize_t got = read(fds[0], seq2, 16);
    waitpid(pid, &status, 0);
    close(fds[0]);
    REQUIRE(got == 16);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int before = decodes;
    REQUIRE(mh_session_begin(st, id, MH_EP_EMSMDB, "fay", seq2, 0, &codec, T0, pool, &s) ==
            MH_SS_OK);
    CHECK(!s->from_cache); /* stale entry dropped */
    CHECK_EQ_U(decodes, before + 1);
    CHECK_STR(s->state, "two");
    CHECK_EQ_U(mh_session_end(s, &codec, T0, IDLE), MH_SS_OK);
    mh_session_cache_stats cs;
    mh_session_cache_stats_get(st, &cs);
    CHECK(cs.misses >= 2);
    mh_session_store_close(st);
}

static void test_sweep(void)
{
    mh_session_store *st = open_store(dir);
    REQUIRE(st);
    size_t before, after;
    REQUIRE(mh_session_count(st, &before) == MH_SS_OK);
    unsigned char id[16], seq[16];
    for (int i = 0; i < 10; i++)
        REQUIRE(mh_session_create(st, MH_EP_NSPI, "gus", "x", 1, T0, SEC(60), 100, id, seq,
                                  NULL) == MH_SS_OK);
    unsigned removed = 0;
    /* far in the future everything created so far is expired */
    CHECK_EQ_U(mh_session_sweep(st, T0 + SEC(100000), 64, &removed), MH_SS_OK);
    CHECK(removed >= 10);
    REQUIRE(mh_session_count(st, &after) == MH_SS_OK);
    CHECK_EQ_U(after, before + 10 - removed);
    mh_session_store_close(st);
}

/* A damaged store file is moved aside and a fresh store made. */
static void test_damaged_store_recreated(void)
{
    char d2[300];
    snprintf(d2, sizeof(d2), "%s/damaged", dir);
    apr_dir_make_recursive(d2, APR_FPROT_OS_DEFAULT, pool);
    char f[400];
    snprintf(f, sizeof(f), "%s/data.mdb", d2);
    FILE *fp = fopen(f, "w");
    REQUIRE(fp);
    for (int i = 0; i < 8192; i++)
        fputc(0x5a, fp);
    fclose(fp);
    mh_session_store *st = open_store(d2);
    REQUIRE(st);
    unsigned char id[16], seq[16];
    CHECK_EQ_U(mh_session_create(st, MH_EP_NSPI, "hal", "x", 1, T0, IDLE, 8, id, seq, NULL),
               MH_SS_OK);
    mh_session_store_close(st);
    /* the damaged file was kept for inspection, moved aside */
    apr_dir_t *dh;
    apr_finfo_t fi;
    int kept = 0;
    REQUIRE(apr_dir_open(&dh, d2, pool) == APR_SUCCESS);
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_SIZE, dh) == APR_SUCCESS)
        if (strncmp(fi.name, "data.mdb.bad-", 13) == 0 && fi.size == 8192)
            kept++;
    apr_dir_close(dh);
    CHECK_EQ_U(kept, 1);
}

/* An open store with kept read handles holds nothing a leak checker calls
 * lost: its LMDB environment and handles (malloc'd by liblmdb) must be
 * reachable from malloc'd memory, since LeakSanitizer does not look into
 * APR pool memory.  A fuzz run that checked for leaks mid-run reported
 * the environment when the store lived in its pool. */
static void test_open_store_not_leaked(void)
{
    mh_session_store *st = open_store(dir);
    REQUIRE(st);
    unsigned char id[16], seq[16];
    unsigned evicted;
    REQUIRE(mh_session_create(st, MH_EP_EMSMDB, "ada", "s1", 2, T0, IDLE, 8, id, seq,
                              &evicted) == MH_SS_OK);
    mh_session_info info;
    REQUIRE(mh_session_get_info(st, id, T0, &info) == MH_SS_OK); /* a kept read handle */
#ifdef HAVE_LSAN
    CHECK_EQ_U(__lsan_do_recoverable_leak_check(), 0);
#else
    printf("# no LeakSanitizer in this build: checked under ASan only\n");
#endif
    mh_session_store_close(st);
}

/*
 * The store maps its file writable (MDB_WRITEMAP): a page the file system
 * cannot allocate must fail a transaction, not kill the process with
 * SIGBUS.  In a child with a mount namespace of its own, the store lives on
 * a 12 MB tmpfs; sessions with 512 KB states are made until the file system
 * is full: a creation fails, the store goes on working, and once the file
 * system has room again creations succeed.  (Needs root, for the mount,
 * and a system that lets it make a mount namespace: in a container without
 * that right it says it is skipped.)
 */
static void test_file_system_full(void)
{
    if (geteuid() != 0) {
        printf("# skipped: mounting a tmpfs needs root\n");
        return;
    }
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        char mnt[300];
        snprintf(mnt, sizeof(mnt), "%s/small-fs", dir);
        if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
            _exit(errno == EPERM ? 77 : 10); /* 77: root without mounts (a container) */
        if ((mkdir(mnt, 0700) != 0 && errno != EEXIST) ||
            mount("tmpfs", mnt, "tmpfs", 0, "size=12m") != 0)
            _exit(10);
        apr_pool_t *p;
        apr_pool_create(&p, NULL);
        mh_session_store *st = open_store_in(mnt, 1, p);
        if (!st)
            _exit(11);
        size_t big = 512 * 1024;
        char *state = apr_palloc(p, big + 1);
        memset(state, 's', big);
        state[big] = 0;
        unsigned char first[16], seq[16], id[16];
        unsigned evicted;
        if (mh_session_create(st, MH_EP_EMSMDB, "ada", "small", 5, T0, IDLE, 1000, first, seq,
                              &evicted) != MH_SS_OK)
            _exit(12);
        int made = 0, failed = 0;
        for (int i = 0; i < 40 && !failed; i++) {
            if (mh_session_create(st, MH_EP_EMSMDB, "ada", state, big, T0, IDLE, 1000, id, seq,
                                  &evicted) == MH_SS_OK)
                made++;
            else
                failed = 1;
        }
        printf("# %d sessions of 512 KB made before the file system was full\n", made);
        if (!failed || made < 2)
            _exit(13);
        /* what is there still reads */
        mh_session_info info;
        if (mh_session_get_info(st, first, T0, &info) != MH_SS_OK)
            _exit(14);
        /* room again: writes work */
        if (mount(NULL, mnt, NULL, MS_REMOUNT, "size=64m") != 0)
            _exit(15);
        if (mh_session_create(st, MH_EP_EMSMDB, "ada", state, big, T0, IDLE, 1000, id, seq,
                              &evicted) != MH_SS_OK)
            _exit(16);
        mh_session_store_close(st);
        _exit(0);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
        printf("# skipped: no mount namespace may be made here\n");
        return;
    }
    if (WIFSIGNALED(status))
        printf("# the child died of signal %d\n", WTERMSIG(status));
    CHECK(WIFEXITED(status));
    CHECK_EQ_U(WIFEXITED(status) ? WEXITSTATUS(status) : 99, 0);
}

static void test_guid_persists(void)
{
    unsigned char g1[16];
    mh_session_store *st = open_store(dir);
    REQUIRE(st);
    memcpy(g1, mh_session_store_guid(st), 16);
    mh_session_store_close(st);
    st = open_store(dir);
    REQUIRE(st);
    CHECK_MEM(mh_session_store_guid(st), 16, g1, 16);
    mh_session_store_close(st);
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    snprintf(dir, sizeof(dir), "/tmp/mh-test-session-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    T0 = apr_time_now();
    static const unsigned passes[] = {MH_MARKS_DEFAULT_SLOTS, MH_MARKS_BUCKET, 0};
    for (unsigned p = 0; p < 3; p++) {
        mark_slots = passes[p];
        printf("# busy-mark table of %u slots\n", mark_slots);
        /* each pass in a store of its own */
        snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/%u", p);
        apr_dir_make_recursive(dir, APR_FPROT_OS_DEFAULT, pool);
        RUN(test_create_begin_end);
        RUN(test_expiry_and_touch);
        RUN(test_destroy);
        RUN(test_per_user_cap);
        RUN(test_wait_slot_and_events);
        RUN(test_dead_owner);
        RUN(test_writes_per_request);
        RUN(test_busy_outlives_expiry);
        RUN(test_stale_busy_taken_over);
        RUN(test_full_table_falls_back);
        RUN(test_cache_generation_across_processes);
        RUN(test_sweep);
        RUN(test_damaged_store_recreated);
        RUN(test_guid_persists);
        RUN(test_file_system_full);
        RUN(test_open_store_not_leaked);
        *strrchr(dir, '/') = 0;
    }
    apr_pool_destroy(pool);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    return MH_TEST_DONE();
}
