/* Unit tests: mh_session (the shared LMDB session store). */
#include "mh_session.h"
#include "mh_test.h"

#include <apr_file_info.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_file_io.h>
#include <apr_strings.h>

static apr_pool_t *pool;
static char dir[256];

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
    mh_session *s;
    CHECK_EQ_U(mh_session_begin(st, id, MH_EP_EMSMDB, "erin", newseq, 0, &codec, T0, pool, &s),
               MH_SS_OK);
    CHECK_EQ_U(mh_session_end(s, &codec, T0, IDLE), MH_SS_OK);
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
    RUN(test_create_begin_end);
    RUN(test_expiry_and_touch);
    RUN(test_destroy);
    RUN(test_per_user_cap);
    RUN(test_wait_slot_and_events);
    RUN(test_dead_owner);
    RUN(test_cache_generation_across_processes);
    RUN(test_sweep);
    RUN(test_damaged_store_recreated);
    RUN(test_guid_persists);
    apr_pool_destroy(pool);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    return MH_TEST_DONE();
}
