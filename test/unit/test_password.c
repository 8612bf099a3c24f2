/* Unit tests: mh_password (bcrypt hashes, the verified-credentials cache). */
#include "mh_password.h"
#include "mh_test.h"

#include <apr_md5.h>

static apr_pool_t *pool;

static void test_hash_and_verify(void)
{
    const char *h = mh_password_hash(pool, "s3cret pass", 4);
    REQUIRE(h != NULL);
    CHECK(strncmp(h, "$2y$04$", 7) == 0);
    CHECK(strlen(h) == 60);
    const char *h2 = mh_password_hash(pool, "s3cret pass", 4);
    CHECK(strcmp(h, h2) != 0); /* a fresh salt each time */
    CHECK(mh_password_verify(NULL, "ada", "s3cret pass", h, 0, NULL) == 1);
    CHECK(mh_password_verify(NULL, "ada", "s3cret pas", h, 0, NULL) == 0);
    CHECK(mh_password_verify(NULL, "ada", "", h, 0, NULL) == 0);
    CHECK(mh_password_verify(NULL, "ada", "s3cret pass", "", 0, NULL) == 0);
    CHECK(mh_password_verify(NULL, "ada", "s3cret pass", "garbage", 0, NULL) == 0);
    /* other schemes apr_password_validate knows work too (imported htpasswd) */
    char md5[120];
    REQUIRE(apr_md5_encode("pw", "saltsalt", md5, sizeof(md5)) == APR_SUCCESS);
    CHECK(mh_password_verify(NULL, "ada", "pw", md5, 0, NULL) == 1);
}

static void test_cache(void)
{
    mh_authcache *c = mh_authcache_create(pool, 64, apr_time_from_sec(60));
    const char *h = mh_password_hash(pool, "right", 4);
    REQUIRE(h);
    apr_time_t t0 = apr_time_from_sec(1000);
    int cached = -1;
    CHECK(mh_password_verify(c, "ada", "right", h, t0, &cached) == 1);
    CHECK_EQ_U(cached, 0);
    CHECK(mh_password_verify(c, "ada", "right", h, t0 + 1, &cached) == 1);
    CHECK_EQ_U(cached, 1);
    /* a wrong password is never answered from the cache */
    CHECK(mh_password_verify(c, "ada", "wrong", h, t0 + 2, &cached) == 0);
    CHECK_EQ_U(cached, 0);
    /* another user with the same password and hash is a different entry */
    CHECK(mh_password_verify(c, "bob", "right", h, t0 + 3, &cached) == 1);
    CHECK_EQ_U(cached, 0);
    /* a new stored hash (password changed) is not the cached triple */
    const char *h2 = mh_password_hash(pool, "right", 4);
    CHECK(mh_password_verify(c, "ada", "right", h2, t0 + 4, &cached) == 1);
    CHECK_EQ_U(cached, 0);
    /* after the password changed, the old password fails at once */
    const char *h3 = mh_password_hash(pool, "changed", 4);
    CHECK(mh_password_verify(c, "ada", "right", h3, t0 + 5, &cached) == 0);
    CHECK_EQ_U(cached, 0);
    /* expiry, in a cache holding this one entry (no other entry can have
     * taken its slot) */
    mh_authcache *one = mh_authcache_create(pool, 64, apr_time_from_sec(60));
    CHECK(mh_password_verify(one, "ada", "right", h, t0, &cached) == 1);
    CHECK(mh_password_verify(one, "ada", "right", h, t0 + apr_time_from_sec(59), &cached) == 1);
    CHECK_EQ_U(cached, 1);
    CHECK(mh_password_verify(one, "ada", "right", h, t0 + apr_time_from_sec(61), &cached) == 1);
    CHECK_EQ_U(cached, 0);
    /* user/password boundaries are not ambiguous: ("ad","aright") differs */
    CHECK(mh_password_verify(c, "ad", "aright", h, t0 + 6, &cached) == 0);
}

static void test_no_cache(void)
{
    const char *h = mh_password_hash(pool, "x", 4);
    REQUIRE(h);
    mh_authcache *off[] = {mh_authcache_create(pool, 0, apr_time_from_sec(60)),
                           mh_authcache_create(pool, 16, 0)};
    for (int i = 0; i < 2; i++) {
        int cached = -1;
        CHECK(mh_password_verify(off[i], "u", "x", h, 1, &cached) == 1);
        CHECK(mh_password_verify(off[i], "u", "x", h, 2, &cached) == 1);
        CHECK_EQ_U(cached, 0);
    }
}

static void test_bounded(void)
{
    /* many users through a 4-slot cache: still correct, memory fixed */
    mh_authcache *c = mh_authcache_create(pool, 4, apr_time_from_sec(60));
    const char *h = mh_password_hash(pool, "pw", 4);
    REQUIRE(h);
    char user[16];
    int hits = 0;
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 40; i++) {
            snprintf(user, sizeof(user), "u%d", i);
            int cached;
            CHECK(mh_password_verify(c, user, "pw", h, 10 + round, &cached) == 1);
            hits += cached;
            /* what was just verified is remembered, until its slot is taken */
            CHECK(mh_password_verify(c, user, "pw", h, 10 + round, &cached) == 1);
            CHECK_EQ_U(cached, 1);
        }
    /* at most one entry per slot survives a pass of 40 users */
    CHECK(hits <= 4);
}

static void test_dummy_hash(void)
{
    const char *d = mh_password_dummy_hash();
    CHECK(strncmp(d, "$2y$10$", 7) == 0 && strlen(d) == 60);
    CHECK_STR(mh_password_dummy_hash(), d); /* the same one each time */
    apr_time_t t0 = apr_time_now();
    CHECK(mh_password_verify(NULL, "nobody", "guess", d, 0, NULL) == 0);
    /* it costs what a real check costs (cost 10: milliseconds, not microseconds) */
    CHECK(apr_time_now() - t0 > 1000);
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    RUN(test_hash_and_verify);
    RUN(test_cache);
    RUN(test_no_cache);
    RUN(test_bounded);
    RUN(test_dummy_hash);
    apr_pool_destroy(pool);
    return MH_TEST_DONE();
}
