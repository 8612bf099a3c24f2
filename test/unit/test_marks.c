/* Unit tests: mh_marks (the shared table of busy marks). */
#include "mh_marks.h"
#include "mh_test.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_strings.h>

static apr_pool_t *pool;
static char dir[256];
static int files;

#define STALE_MS 600000u
#define T0 1000000000000ull /* ms */

/* A fresh table file of `slots` slots. */
static const char *new_path(void)
{
    return apr_psprintf(pool, "%s/t%d.marks", dir, files++);
}

static mh_marks *open_as(const char *path, int create, unsigned slots, uint32_t pid,
                         uint64_t nonce, apr_pool_t *p)
{
    mh_marks *t = NULL;
    const char *why = NULL;
    if (mh_marks_open(path, create, slots, pid, nonce, p, &t, NULL, &why) != APR_SUCCESS) {
        printf("# open %s: %s\n", path, why);
        return NULL;
    }
    return t;
}

static mh_marks *open_new(const char *path, unsigned slots)
{
    return open_as(path, 1, slots, (uint32_t)getpid(), 1111, pool);
}

static void make_id(unsigned char id[16], unsigned n)
{
    memset(id, 0xa5, 16);
    memcpy(id, &n, sizeof(n));
}

static void test_claim_conflict_release(void)
{
    mh_marks *t = open_new(new_path(), 64);
    REQUIRE(t);
    CHECK_EQ_U(mh_marks_slots(t), 64);
    unsigned char a[16], b[16];
    make_id(a, 1);
    make_id(b, 2);
    mh_mark m1, m2, m3;
    CHECK(!mh_marks_held(t, a, T0, STALE_MS, NULL, NULL));
    REQUIRE(mh_marks_claim(t, a, 77, T0, STALE_MS, &m1) == MH_MARK_CLAIMED);
    mh_mark_info info;
    REQUIRE(mh_marks_held(t, a, T0 + 5, STALE_MS, NULL, &info));
    CHECK_EQ_U(info.pid, (uint32_t)getpid());
    CHECK_EQ_U(info.nonce, 1111);
    CHECK_EQ_U(info.token, 77);
    CHECK_EQ_U(info.since_ms, T0);
    CHECK(!info.ending);
    /* the claim itself is not "another" claim */
    CHECK(!mh_marks_held(t, a, T0, STALE_MS, &m1, NULL));
    /* a second claim of the same id: busy; another id: free */
    CHECK_EQ_U(mh_marks_claim(t, a, 78, T0 + 1, STALE_MS, &m2), MH_MARK_BUSY);
    REQUIRE(mh_marks_claim(t, b, 79, T0 + 1, STALE_MS, &m3) == MH_MARK_CLAIMED);
    CHECK(!mh_marks_held(t, b, T0, STALE_MS, &m3, NULL));
    CHECK(mh_marks_held(t, b, T0, STALE_MS, &m1, NULL));
    /* ending: still held, then free */
    CHECK_EQ_U(mh_marks_finish(t, &m1), 0);
    REQUIRE(mh_marks_held(t, a, T0, STALE_MS, NULL, &info));
    CHECK(info.ending);
    CHECK_EQ_U(mh_marks_claim(t, a, 80, T0 + 2, STALE_MS, &m2), MH_MARK_BUSY);
    mh_marks_release(t, &m1);
    CHECK(!mh_marks_held(t, a, T0, STALE_MS, NULL, NULL));
    CHECK(mh_marks_held(t, b, T0, STALE_MS, NULL, NULL));
    REQUIRE(mh_marks_claim(t, a, 81, T0 + 3, STALE_MS, &m2) == MH_MARK_CLAIMED);
    /* a late release of the old claim does not free the new one */
    mh_marks_release(t, &m1);
    CHECK(mh_marks_held(t, a, T0 + 3, STALE_MS, NULL, &info));
    CHECK_EQ_U(info.token, 81);
    mh_marks_release(t, &m2);
    mh_marks_release(t, &m3);
    CHECK(!mh_marks_held(t, a, T0, STALE_MS, NULL, NULL));
    CHECK(!mh_marks_held(t, b, T0, STALE_MS, NULL, NULL));
}

/* Older than the limit: taken over; the old owner cannot end it.  An
 * ending claim is not taken over by age until the grace period passed. */
static void test_stale_by_age(void)
{
    mh_marks *t = open_new(new_path(), 64);
    REQUIRE(t);
    unsigned char a[16];
    make_id(a, 3);
    mh_mark old, young, third;
    REQUIRE(mh_marks_claim(t, a, 1, T0, STALE_MS, &old) == MH_MARK_CLAIMED);
    CHECK_EQ_U(mh_marks_claim(t, a, 2, T0 + STALE_MS - 1, STALE_MS, &young), MH_MARK_BUSY);
    CHECK(!mh_marks_held(t, a, T0 + STALE_MS, STALE_MS, NULL, NULL));
    REQUIRE(mh_marks_claim(t, a, 2, T0 + STALE_MS, STALE_MS, &young) == MH_MARK_CLAIMED);
    CHECK_EQ_U(mh_marks_finish(t, &old), -1);
    mh_marks_release(t, &old);
    mh_mark_info info;
    REQUIRE(mh_marks_held(t, a, T0 + STALE_MS, STALE_MS, NULL, &info));
    CHECK_EQ_U(info.token, 2);
    /* ending: safe from takeover by age for the grace period */
    CHECK_EQ_U(mh_marks_finish(t, &young), 0);
    uint64_t later = T0 + 2 * STALE_MS + 1;
    CHECK_EQ_U(mh_marks_claim(t, a, 3, later, STALE_MS, &third), MH_MARK_BUSY);
    later = T0 + 2 * STALE_MS + MH_MARKS_ENDING_GRACE_MS;
    REQUIRE(mh_marks_claim(t, a, 3, later, STALE_MS, &third) == MH_MARK_CLAIMED);
    mh_marks_release(t, &young);
    CHECK(mh_marks_held(t, a, later, STALE_MS, NULL, NULL));
    mh_marks_release(t, &third);
}

/* A claim of a process that died counts as free. */
static void test_stale_by_dead_pid(void)
{
    const char *path = new_path();
    mh_marks *t = open_new(path, 64);
    REQUIRE(t);
    unsigned char a[16];
    make_id(a, 4);
    pid_t pid = fork();
    if (pid == 0) {
        apr_pool_t *cp;
        apr_pool_create(&cp, NULL);
        mh_marks *ct = open_as(path, 0, 0, (uint32_t)getpid(), 2222, cp);
        mh_mark m;
        _exit(ct && mh_marks_claim(ct, a, 5, T0, STALE_MS, &m) == MH_MARK_CLAIMED ? 0 : 1);
    }
    int status;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* the child's claim is there, but its owner is gone */
    CHECK(!mh_marks_held(t, a, T0, STALE_MS, NULL, NULL));
    mh_mark m;
    REQUIRE(mh_marks_claim(t, a, 6, T0, STALE_MS, &m) == MH_MARK_CLAIMED);
    mh_mark_info info;
    REQUIRE(mh_marks_held(t, a, T0, STALE_MS, NULL, &info));
    CHECK_EQ_U(info.pid, (uint32_t)getpid());
    CHECK_EQ_U(info.token, 6);

    /* a live process's claim is not taken over */
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    make_id(a, 5);
    pid = fork();
    if (pid == 0) {
        apr_pool_t *cp;
        apr_pool_create(&cp, NULL);
        close(fds[1]);
        mh_marks *ct = open_as(path, 0, 0, (uint32_t)getpid(), 3333, cp);
        mh_mark cm;
        if (!ct || mh_marks_claim(ct, a, 7, T0, STALE_MS, &cm) != MH_MARK_CLAIMED)
            _exit(1);
        char c;
        if (read(fds[0], &c, 1) != 1) /* wait for the parent */
            _exit(2);
        mh_marks_release(ct, &cm);
        _exit(0);
    }
    close(fds[0]);
    /* wait until the child holds it */
    for (int i = 0; i < 500 && !mh_marks_held(t, a, T0, STALE_MS, NULL, NULL); i++)
        usleep(10000);
    CHECK(mh_marks_held(t, a, T0, STALE_MS, NULL, &info));
    CHECK_EQ_U(info.pid, (uint32_t)pid);
    mh_mark m2;
    CHECK_EQ_U(mh_marks_claim(t, a, 8, T0, STALE_MS, &m2), MH_MARK_BUSY);
    CHECK_EQ_U(write(fds[1], "x", 1), 1);
    close(fds[1]);
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(!mh_marks_held(t, a, T0, STALE_MS, NULL, NULL));
    CHECK_EQ_U(mh_marks_claim(t, a, 8, T0, STALE_MS, &m2), MH_MARK_CLAIMED);
}

/* A claim of an earlier process that had this process's pid: stale. */
static void test_stale_by_nonce(void)
{
    const char *path = new_path();
    mh_marks *t = open_new(path, 64);
    REQUIRE(t);
    mh_marks *earlier = open_as(path, 0, 0, (uint32_t)getpid(), 9999, pool);
    REQUIRE(earlier);
    unsigned char a[16];
    make_id(a, 6);
    mh_mark m, m2;
    REQUIRE(mh_marks_claim(earlier, a, 1, T0, STALE_MS, &m) == MH_MARK_CLAIMED);
    CHECK(mh_marks_held(earlier, a, T0, STALE_MS, NULL, NULL));
    CHECK(!mh_marks_held(t, a, T0, STALE_MS, NULL, NULL));
    CHECK_EQ_U(mh_marks_claim(t, a, 2, T0, STALE_MS, &m2), MH_MARK_CLAIMED);
    CHECK_EQ_U(mh_marks_finish(earlier, &m), -1);
}

/* A bucket with no free slot says so (the caller falls back); stale
 * claims of other ids make room. */
static void test_full_bucket(void)
{
    mh_marks *t = open_new(new_path(), MH_MARKS_BUCKET); /* one bucket */
    REQUIRE(t);
    unsigned char id[16];
    mh_mark m[MH_MARKS_BUCKET + 1];
    for (unsigned i = 0; i < MH_MARKS_BUCKET; i++) {
        make_id(id, 100 + i);
        CHECK_EQ_U(mh_marks_claim(t, id, i, T0 + i, STALE_MS, &m[i]), MH_MARK_CLAIMED);
    }
    make_id(id, 200);
    CHECK_EQ_U(mh_marks_claim(t, id, 9, T0, STALE_MS, &m[MH_MARKS_BUCKET]), MH_MARK_FULL);
    /* an id already claimed is busy, not "full" */
    make_id(id, 103);
    CHECK_EQ_U(mh_marks_claim(t, id, 9, T0, STALE_MS, &m[MH_MARKS_BUCKET]), MH_MARK_BUSY);
    /* a freed slot takes the next claim */
    mh_marks_release(t, &m[3]);
    make_id(id, 200);
    REQUIRE(mh_marks_claim(t, id, 9, T0, STALE_MS, &m[MH_MARKS_BUCKET]) == MH_MARK_CLAIMED);
    make_id(id, 201);
    CHECK_EQ_U(mh_marks_claim(t, id, 10, T0 + 10, STALE_MS, &m[3]), MH_MARK_FULL);
    /* later, the claim made at T0 (of id 100) is too old: its slot is used */
    CHECK_EQ_U(mh_marks_claim(t, id, 10, T0 + STALE_MS, STALE_MS, &m[3]), MH_MARK_CLAIMED);
    make_id(id, 100);
    CHECK(!mh_marks_held(t, id, T0 + STALE_MS, STALE_MS, NULL, NULL));
    make_id(id, 101);
    CHECK(mh_marks_held(t, id, T0 + STALE_MS, STALE_MS, NULL, NULL));
}

/* Many threads claim one id at once: exactly one holds it. */
typedef struct race {
    mh_marks *t;
    pthread_barrier_t *go;
    const unsigned char *id;
    unsigned n;
    int claimed;
    mh_mark m;
} race;

static void *racer(void *arg)
{
    race *r = arg;
    pthread_barrier_wait(r->go);
    r->claimed = mh_marks_claim(r->t, r->id, 1000 + r->n, T0, STALE_MS, &r->m) ==
                 MH_MARK_CLAIMED;
    return NULL;
}

static void test_threads_one_winner(void)
{
    const char *path = new_path();
    mh_marks *t = open_new(path, 64);
    REQUIRE(t);
    enum { THREADS = 8, ROUNDS = 300 };
    unsigned bad = 0, free_after = 0;
    for (unsigned round = 0; round < ROUNDS; round++) {
        unsigned char id[16];
        make_id(id, round % 5); /* the same few ids again: slots are reused */
        /* some ids of other sessions in the bucket, so that claims do not
         * all start with the same free slot */
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, THREADS);
        race r[THREADS];
        pthread_t th[THREADS];
        for (unsigned i = 0; i < THREADS; i++) {
            r[i] = (race){.t = t, .go = &go, .id = id, .n = i};
            pthread_create(&th[i], NULL, racer, &r[i]);
        }
        unsigned winners = 0;
        for (unsigned i = 0; i < THREADS; i++) {
            pthread_join(th[i], NULL);
            winners += (unsigned)r[i].claimed;
        }
        pthread_barrier_destroy(&go);
        if (winners != 1)
            bad++;
        for (unsigned i = 0; i < THREADS; i++)
            if (r[i].claimed)
                mh_marks_release(t, &r[i].m);
        free_after += !mh_marks_held(t, id, T0, STALE_MS, NULL, NULL);
    }
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(free_after, ROUNDS);
}

/* Several threads each claim and release one id in a loop: never two
 * holders at once (each holder checks that it is alone). */
typedef struct loop_arg {
    mh_marks *t;
    const unsigned char *id;
    unsigned n, rounds;
    int *inside;
    pthread_barrier_t *go;
    unsigned overlaps, wins;
} loop_arg;

static void *looper(void *arg)
{
    loop_arg *a = arg;
    pthread_barrier_wait(a->go);
    for (unsigned i = 0; i < a->rounds; i++) {
        mh_mark m;
        if (mh_marks_claim(a->t, a->id, a->n, T0, STALE_MS, &m) != MH_MARK_CLAIMED) {
            sched_yield(); /* let the holder go on */
            continue;
        }
        a->wins++;
        if (__atomic_add_fetch(a->inside, 1, __ATOMIC_SEQ_CST) != 1)
            a->overlaps++;
        sched_yield();
        __atomic_sub_fetch(a->inside, 1, __ATOMIC_SEQ_CST);
        if (i % 2)
            mh_marks_finish(a->t, &m);
        mh_marks_release(a->t, &m);
    }
    return NULL;
}

#define THREADS_NEVER_TWO 6
static void test_threads_never_two(void)
{
    mh_marks *t = open_new(new_path(), MH_MARKS_BUCKET); /* one bucket: all share it */
    REQUIRE(t);
    unsigned char id[16], other[THREADS_NEVER_TWO][16];
    make_id(id, 42);
    enum { THREADS = THREADS_NEVER_TWO };
    int inside = 0, inside_other[THREADS] = {0};
    loop_arg a[THREADS];
    pthread_t th[THREADS];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, THREADS);
    for (unsigned i = 0; i < THREADS; i++) {
        /* a third of the threads claim ids of their own: they churn the
         * bucket's slots under the contended id's claimers */
        make_id(other[i], 43 + i);
        a[i] = (loop_arg){.t = t, .id = i % 3 ? id : other[i], .n = i, .rounds = 20000,
                          .inside = i % 3 ? &inside : &inside_other[i], .go = &go};
        pthread_create(&th[i], NULL, looper, &a[i]);
    }
    unsigned overlaps = 0, wins = 0;
    for (unsigned i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        if (i % 3)
            wins += a[i].wins;
        overlaps += a[i].overlaps;
    }
    pthread_barrier_destroy(&go);
    CHECK_EQ_U(overlaps, 0);
    CHECK(wins > 0);
    /* no claim is left behind */
    CHECK(!mh_marks_held(t, id, T0, STALE_MS, NULL, NULL));
    printf("# %u of %u claims of the contended id won (%u %u %u %u)\n", wins, 4 * 20000,
           a[1].wins, a[2].wins, a[4].wins, a[5].wins);
}

/* Forked processes (each with its own map of the file) claim one id at
 * once: exactly one wins. */
static void test_processes_one_winner(void)
{
    const char *path = new_path();
    mh_marks *t = open_new(path, 64);
    REQUIRE(t);
    enum { PROCS = 6, ROUNDS = 20 };
    unsigned bad = 0;
    for (unsigned round = 0; round < ROUNDS; round++) {
        unsigned char id[16];
        make_id(id, 500 + round);
        int go[2], done[2];
        REQUIRE(pipe(go) == 0 && pipe(done) == 0);
        pid_t pids[PROCS];
        for (unsigned i = 0; i < PROCS; i++) {
            pids[i] = fork();
            if (pids[i] == 0) {
                close(go[1]);
                close(done[0]);
                apr_pool_t *cp;
                apr_pool_create(&cp, NULL);
                mh_marks *ct = open_as(path, 0, 0, (uint32_t)getpid(), 7000 + i, cp);
                char c;
                if (!ct || read(go[0], &c, 1) != 0) /* EOF: everyone starts */
                    _exit(3);
                mh_mark m;
                int won = mh_marks_claim(ct, id, i, T0, STALE_MS, &m) == MH_MARK_CLAIMED;
                /* hold until every process has tried */
                if (write(done[1], "x", 1) != 1)
                    _exit(4);
                if (read(go[0], &c, 1) < 0)
                    _exit(5);
                _exit(won ? 0 : 1);
            }
        }
        close(done[1]);
        close(go[0]);
        usleep(20000);
        /* close the start pipe: every child's read returns at once */
        int hold[2];
        REQUIRE(pipe(hold) == 0);
        close(go[1]);
        char buf[PROCS];
        size_t got = 0;
        while (got < PROCS) {
            ssize_t n = read(done[0], buf, sizeof(buf));
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        close(done[0]);
        close(hold[0]);
        close(hold[1]);
        unsigned winners = 0;
        for (unsigned i = 0; i < PROCS; i++) {
            int status;
            waitpid(pids[i], &status, 0);
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                winners++;
            else if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
                bad++;
        }
        if (winners != 1)
            bad++;
    }
    CHECK_EQ_U(bad, 0);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fwrite(data, 1, len, f);
        fclose(f);
    }
}

/* A missing, damaged or other-size table: made afresh with create, an
 * error without. */
static void test_open_checks(void)
{
    const char *path = new_path();
    mh_marks *t = NULL;
    const char *why = NULL;
    int recreated = -1;
    CHECK_EQ_U(mh_marks_open(path, 0, 64, 1, 1, pool, &t, &recreated, &why), APR_ENOENT);
    REQUIRE(mh_marks_open(path, 1, 64, (uint32_t)getpid(), 1, pool, &t, &recreated, &why) ==
            APR_SUCCESS);
    CHECK_EQ_U(recreated, 0); /* made, not replaced */
    struct stat sb;
    REQUIRE(stat(path, &sb) == 0);
    CHECK_EQ_U(sb.st_size, 64 + 64 * 64);
    CHECK_EQ_U(sb.st_mode & 0777, 0600);
    unsigned char id[16];
    make_id(id, 7);
    mh_mark m;
    REQUIRE(mh_marks_claim(t, id, 1, T0, STALE_MS, &m) == MH_MARK_CLAIMED);
    /* opened again (a graceful restart): the claim is still there */
    mh_marks *t2 = NULL;
    REQUIRE(mh_marks_open(path, 1, 64, (uint32_t)getpid(), 1, pool, &t2, &recreated, &why) ==
            APR_SUCCESS);
    CHECK_EQ_U(recreated, 0);
    CHECK(mh_marks_held(t2, id, T0, STALE_MS, NULL, NULL));
    /* another slot count: made afresh with create; used as it is without */
    mh_marks *t3 = NULL;
    REQUIRE(mh_marks_open(path, 0, 128, (uint32_t)getpid(), 1, pool, &t3, &recreated, &why) ==
            APR_SUCCESS);
    CHECK_EQ_U(mh_marks_slots(t3), 64);
    REQUIRE(mh_marks_open(path, 1, 128, (uint32_t)getpid(), 1, pool, &t3, &recreated, &why) ==
            APR_SUCCESS);
    CHECK_EQ_U(recreated, 1);
    CHECK_EQ_U(mh_marks_slots(t3), 128);
    CHECK(!mh_marks_held(t3, id, T0, STALE_MS, NULL, NULL));
    /* the old map is still valid (the new file replaced it by rename) */
    CHECK(mh_marks_held(t, id, T0, STALE_MS, NULL, NULL));

    /* garbage */
    char junk[4096 + 64];
    memset(junk, 0x5a, sizeof(junk));
    write_file(path, junk, sizeof(junk));
    CHECK_EQ_U(mh_marks_open(path, 0, 64, (uint32_t)getpid(), 1, pool, &t3, NULL, &why),
               APR_EGENERAL);
    CHECK(why && strstr(why, "not a busy-mark table"));
    REQUIRE(mh_marks_open(path, 1, 64, (uint32_t)getpid(), 1, pool, &t3, &recreated, &why) ==
            APR_SUCCESS);
    CHECK_EQ_U(recreated, 1);
    CHECK_EQ_U(mh_marks_claim(t3, id, 1, T0, STALE_MS, &m), MH_MARK_CLAIMED);
    /* truncated */
    write_file(path, junk, 10);
    CHECK_EQ_U(mh_marks_open(path, 0, 64, (uint32_t)getpid(), 1, pool, &t3, NULL, &why),
               APR_EGENERAL);
    REQUIRE(mh_marks_open(path, 1, 64, (uint32_t)getpid(), 1, pool, &t3, &recreated, &why) ==
            APR_SUCCESS);
    CHECK_EQ_U(recreated, 1);
    /* a bad slot count is refused */
    CHECK_EQ_U(mh_marks_open(path, 1, 100, (uint32_t)getpid(), 1, pool, &t3, NULL, &why),
               APR_EINVAL);
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    snprintf(dir, sizeof(dir), "/tmp/mh-test-marks-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_claim_conflict_release);
    RUN(test_stale_by_age);
    RUN(test_stale_by_dead_pid);
    RUN(test_stale_by_nonce);
    RUN(test_full_bucket);
    RUN(test_threads_one_winner);
    RUN(test_threads_never_two);
    RUN(test_processes_one_winner);
    RUN(test_open_checks);
    apr_pool_destroy(pool);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    return MH_TEST_DONE();
}
