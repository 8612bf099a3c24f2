/*
 * Unit tests: the core's wrappers around backend slots (mh_backend.c) with
 * a deliberately misbehaving backend: interface checks, missing slots,
 * broken results, unknown error codes, logging, the MAPI error mapping,
 * forgotten transactions.
 */
#include "mh_backend.h"
#include "mh_log.h"
#include "mh_test.h"

#include <stddef.h>

static apr_pool_t *pool;

/* ---------------------------------------------------- a scripted backend */

static mh_err next_result;      /* what the next slot call returns */
static int fill_outputs;        /* whether it fills its outputs */
static int aborts, begins;

struct mh_txn { int x; };
struct mh_instance { int y; };

static mh_err f_create(apr_pool_t *p, int argc, const char *const *argv, mh_instance **i,
                       mh_error *err)
{
    (void)argc; (void)argv; (void)err;
    *i = apr_pcalloc(p, sizeof(**i));
    return MH_OK;
}
static mh_err f_open(mh_instance *i, apr_pool_t *p, mh_error *err)
{
    (void)i; (void)p; (void)err;
    return MH_OK;
}
static mh_err f_begin(mh_instance *i, const mh_guid *g, unsigned flags, apr_pool_t *p,
                      mh_txn **t, mh_error *err)
{
    (void)i; (void)g; (void)flags; (void)err;
    begins++;
    *t = apr_pcalloc(p, sizeof(**t));
    return MH_OK;
}
static mh_err f_commit(mh_txn *t, mh_error *err)
{
    (void)t; (void)err;
    return MH_OK;
}
static void f_abort(mh_txn *t)
{
    (void)t;
    aborts++;
}
static mh_err f_dir_find(mh_txn *t, mh_dir_key by, const char *key, apr_pool_t *p,
                         mh_dir_entry *e, mh_error *err)
{
    (void)t; (void)by; (void)key;
    if (next_result != MH_OK)
        return mh_fail(err, p, next_result, "scripted failure %d", (int)next_result);
    if (fill_outputs) {
        e->id = 7;
        e->type = MH_DIR_USER;
        e->display_name = "Seven";
    }
    return MH_OK;
}
static mh_err f_dir_password(mh_txn *t, const char *login, apr_pool_t *p, const char **h,
                             mh_error *err)
{
    (void)t; (void)login;
    if (next_result != MH_OK) {
        err->code = next_result; /* no detail on purpose */
        err->detail = NULL;
        (void)p;
        return next_result;
    }
    if (fill_outputs)
        *h = "$2y$hash";
    return MH_OK;
}
static mh_err f_folder_info(mh_txn *t, mh_id folder, mh_folder_info *info, mh_error *err)
{
    (void)t; (void)err;
    if (fill_outputs)
        info->id = folder;
    else
        info->id = folder + 1; /* the wrong folder */
    return MH_OK;
}
static void never(void) {}

static mh_backend fake;

static void fill_fake(void)
{
    /* every slot non-NULL; those never called point at a dummy */
    void (**slots)(void) = (void (**)(void))((char *)&fake + offsetof(mh_backend, instance_create));
    size_t n = (sizeof(fake) - offsetof(mh_backend, instance_create)) / sizeof(void (*)(void));
    for (size_t i = 0; i < n; i++)
        slots[i] = never;
    fake.abi_version = MH_BACKEND_ABI_VERSION;
    fake.struct_size = sizeof(fake);
    fake.name = "fake";
    fake.version = "0";
    fake.sort_tags = NULL;
    fake.instance_create = f_create;
    fake.instance_prepare = NULL;
    fake.instance_open = f_open;
    fake.txn_begin = f_begin;
    fake.txn_commit = f_commit;
    fake.txn_abort = f_abort;
    fake.dir_find = f_dir_find;
    fake.dir_password = f_dir_password;
    fake.folder_info = f_folder_info;
}

/* ------------------------------------------------------------- logging */

static char logged[4096];
static void sink(void *baton, int level, const char *msg)
{
    (void)baton; (void)level;
    strncat(logged, msg, sizeof(logged) - strlen(logged) - 2);
    strcat(logged, "\n");
}

/* --------------------------------------------------------------- tests */

static void test_interface_check(void)
{
    fill_fake();
    CHECK(mh_backend_check(&fake, pool) == NULL);
    CHECK(mh_backend_check(NULL, pool) != NULL);
    mh_backend b = fake;
    b.abi_version = MH_BACKEND_ABI_VERSION + 1;
    const char *why = mh_backend_check(&b, pool);
    CHECK(why && strstr(why, "interface version"));
    b = fake;
    b.struct_size = (uint32_t)MH_BACKEND_MIN_SIZE - 8;
    why = mh_backend_check(&b, pool);
    CHECK(why && strstr(why, "smaller"));
    b = fake;
    b.name = NULL;
    CHECK(mh_backend_check(&b, pool) != NULL);
    b = fake;
    b.folder_find = NULL;
    why = mh_backend_check(&b, pool);
    CHECK(why && strstr(why, "folder_find"));
    /* an optional slot may be missing */
    b = fake;
    b.dir_password = NULL;
    b.check = NULL;
    CHECK(mh_backend_check(&b, pool) == NULL);
    mh_be *be;
    mh_error e;
    b = fake;
    b.dir_get = NULL;
    CHECK_EQ_U(mh_be_create(&b, pool, 0, NULL, &be, &e), MH_E_INVALID);
    CHECK(e.detail && strstr(e.detail, "dir_get"));
}

static mh_be *make(const mh_backend *b)
{
    mh_be *be = NULL;
    mh_error e;
    if (mh_be_create(b, pool, 0, NULL, &be, &e) != MH_OK)
        return NULL;
    return be;
}

static void test_missing_optional_slot(void)
{
    fill_fake();
    mh_backend b = fake;
    b.dir_password = NULL;
    mh_be *be = make(&b);
    REQUIRE(be);
    mh_betxn *t;
    mh_error e;
    REQUIRE(mh_be_begin(be, NULL, MH_TXN_READ, pool, &t, &e) == MH_OK);
    const char *h = "untouched";
    CHECK_EQ_U(mh_be_dir_password(t, "ada", &h, &e), MH_E_NOT_SUPPORTED);
    CHECK(strstr(e.detail, "dir_password") != NULL);
    CHECK_STR(h, "untouched");
    mh_be_abort(t);
    /* a slot past the backend's struct size is absent too (slots appended
     * in later interface versions are missing from older backends) */
    b = fake;
    b.struct_size = (uint32_t)offsetof(mh_backend, check);
    CHECK(MH_SLOT(&b, check) == NULL);
    CHECK(MH_SLOT(&b, receive_folder_set) != NULL);
    b.struct_size = (uint32_t)sizeof(b);
    CHECK(MH_SLOT(&b, check) != NULL);
}

static void test_broken_results(void)
{
    fill_fake();
    mh_be *be = make(&fake);
    REQUIRE(be);
    mh_betxn *t;
    mh_error e;
    REQUIRE(mh_be_begin(be, NULL, MH_TXN_READ, pool, &t, &e) == MH_OK);
    /* success with the output unset */
    logged[0] = 0;
    next_result = MH_OK;
    fill_outputs = 0;
    const char *h = "untouched";
    CHECK_EQ_U(mh_be_dir_password(t, "ada", &h, &e), MH_E_INTERNAL);
    CHECK_STR(h, "untouched");
    CHECK(strstr(logged, "MH00301") && strstr(logged, "dir_password"));
    mh_dir_entry ent;
    ent.id = 99;
    CHECK_EQ_U(mh_be_dir_find(t, MH_DIR_BY_LOGIN, "ada", &ent, &e), MH_E_INTERNAL);
    CHECK_EQ_U(ent.id, 99);
    mh_folder_info fi;
    CHECK_EQ_U(mh_be_folder_info(t, 5, &fi, &e), MH_E_INTERNAL); /* another folder's info */
    /* and the same slots when they behave */
    fill_outputs = 1;
    CHECK_EQ_U(mh_be_dir_password(t, "ada", &h, &e), MH_OK);
    CHECK_STR(h, "$2y$hash");
    CHECK_EQ_U(mh_be_dir_find(t, MH_DIR_BY_LOGIN, "ada", &ent, &e), MH_OK);
    CHECK_EQ_U(ent.id, 7);
    CHECK_EQ_U(mh_be_folder_info(t, 5, &fi, &e), MH_OK);
    /* an error class that does not exist */
    logged[0] = 0;
    next_result = (mh_err)99;
    CHECK_EQ_U(mh_be_dir_find(t, MH_DIR_BY_LOGIN, "ada", &ent, &e), MH_E_INTERNAL);
    CHECK(strstr(logged, "MH00303") != NULL);
    /* trouble is logged with the backend's detail; ordinary outcomes are not */
    logged[0] = 0;
    next_result = MH_E_UNAVAILABLE;
    CHECK_EQ_U(mh_be_dir_find(t, MH_DIR_BY_LOGIN, "ada", &ent, &e), MH_E_UNAVAILABLE);
    CHECK(strstr(logged, "MH00302") && strstr(logged, "scripted failure 6"));
    CHECK(strstr(e.detail, "scripted failure 6") != NULL);
    logged[0] = 0;
    next_result = MH_E_NOT_FOUND;
    CHECK_EQ_U(mh_be_dir_find(t, MH_DIR_BY_LOGIN, "ada", &ent, &e), MH_E_NOT_FOUND);
    CHECK_EQ_U(logged[0], 0);
    /* a failure without a detail still gets one */
    next_result = MH_E_CORRUPT;
    CHECK_EQ_U(mh_be_dir_password(t, "ada", &h, &e), MH_E_CORRUPT);
    CHECK(e.detail && *e.detail);
    next_result = MH_OK;
    mh_be_abort(t);
    /* after the end of a transaction no slot is reached */
    CHECK_EQ_U(mh_be_dir_find(t, MH_DIR_BY_LOGIN, "ada", &ent, &e), MH_E_INVALID);
}

static void test_forgotten_transaction(void)
{
    fill_fake();
    mh_be *be = make(&fake);
    REQUIRE(be);
    apr_pool_t *p;
    apr_pool_create(&p, pool);
    mh_betxn *t;
    mh_error e;
    aborts = 0;
    REQUIRE(mh_be_begin(be, NULL, MH_TXN_READ, p, &t, &e) == MH_OK);
    apr_pool_destroy(p);
    CHECK_EQ_U(aborts, 1);
    /* a finished one is not aborted again */
    apr_pool_create(&p, pool);
    REQUIRE(mh_be_begin(be, NULL, MH_TXN_WRITE, p, &t, &e) == MH_OK);
    CHECK_EQ_U(mh_be_commit(t, &e), MH_OK);
    apr_pool_destroy(p);
    CHECK_EQ_U(aborts, 1);
}

static void test_error_mapping(void)
{
    CHECK_EQ_U(mh_err_to_mapi(MH_OK), 0);
    CHECK_EQ_U(mh_err_to_mapi(MH_E_NOT_FOUND), 0x8004010F);
    CHECK_EQ_U(mh_err_to_mapi(MH_E_EXISTS), 0x80040604);
    CHECK_EQ_U(mh_err_to_mapi(MH_E_PERMISSION), 0x80070005);
    CHECK_EQ_U(mh_err_to_mapi(MH_E_QUOTA), 0x000004D9);
    CHECK_EQ_U(mh_err_to_mapi(MH_E_TEMPORARY), 0x8004010B);
    CHECK_EQ_U(mh_err_to_mapi(MH_E_UNAVAILABLE), 0x80040115);
    CHECK_EQ_U(mh_err_to_mapi(MH_E_CORRUPT), 0x8004011B);
    CHECK_EQ_U(mh_err_to_mapi(MH_E_INVALID), 0x80070057);
    CHECK_EQ_U(mh_err_to_mapi(MH_E_NOT_SUPPORTED), 0x80040102);
    CHECK_EQ_U(mh_err_to_mapi(MH_E_CONFLICT), 0x80040109);
    CHECK_EQ_U(mh_err_to_mapi(MH_E_TOO_BIG), 0x80040305);
    CHECK_EQ_U(mh_err_to_mapi(MH_E_INTERNAL), 0x80004005);
    CHECK_EQ_U(mh_err_to_mapi((mh_err)77), 0x80004005);
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    mh_log_set_sink(sink, NULL, MH_LOG_DEBUG);
    RUN(test_interface_check);
    RUN(test_missing_optional_slot);
    RUN(test_broken_results);
    RUN(test_forgotten_transaction);
    RUN(test_error_mapping);
    apr_pool_destroy(pool);
    return MH_TEST_DONE();
}
