/*
 * mod_mapihttp_fault.c - a test-only backend module: the LMDB backend with
 * failures injected on demand, so that error paths are tested over HTTP.
 *
 *   MapiHttpBackend fault control=/path/to/file path=... (LMDB options)
 *
 * The control file holds lines "SLOT OUTCOME", read again whenever it
 * changes; a call of SLOT then fails with OUTCOME (notfound, exists,
 * permission, quota, temporary, unavailable, corrupt, invalid, conflict,
 * internal) or, for "broken", returns success without its result, or,
 * for "delay=MS", succeeds MS milliseconds late (a slow store).  An empty
 * file injects nothing.
 *
 * It also registers providers the configuration tests need:
 *   fault_nopw  the same backend without the optional dir_password slot
 *   fault_old   a struct smaller than interface version 1 requires
 *   fault_v2    registered for backend interface version "2"
 * Never installed.
 */
#include <httpd.h>
#include <http_config.h>
#include <ap_provider.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <apr_time.h>

#include "lmdb_be.h"
#include "mapihttp/module.h"

extern const mh_backend mh_lmdb_backend;

#define BROKEN ((mh_err)-1)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char control[1024];
static struct stat control_st;
static struct rule {
    char slot[64];
    mh_err outcome;
    unsigned delay_ms; /* "delay=MS": outcome MH_OK, this late */
} rules[32];
static int n_rules;

static mh_err outcome_of(const char *w)
{
    static const char *const names[] = {"ok",       "notfound",  "exists",  "permission",
                                        "quota",    "temporary", "unavailable", "corrupt",
                                        "invalid",  "notsupported", "conflict", "toobig",
                                        "internal"};
    if (strcmp(w, "broken") == 0)
        return BROKEN;
    for (int i = 0; i < MH_ERR_COUNT; i++)
        if (strcmp(w, names[i]) == 0)
            return (mh_err)i;
    return MH_E_INTERNAL;
}

/* What a call of `slot` should do now (MH_OK: go ahead). */
static mh_err injected(const char *slot)
{
    mh_err r = MH_OK;
    pthread_mutex_lock(&lock);
    struct stat st;
    if (control[0] && stat(control, &st) == 0 &&
        (st.st_mtim.tv_sec != control_st.st_mtim.tv_sec ||
         st.st_mtim.tv_nsec != control_st.st_mtim.tv_nsec || st.st_size != control_st.st_size ||
         st.st_ino != control_st.st_ino)) {
        control_st = st;
        n_rules = 0;
        FILE *f = fopen(control, "r");
        char s[64], o[64];
        while (f && n_rules < 32 && fscanf(f, "%63s %63s", s, o) == 2) {
            snprintf(rules[n_rules].slot, sizeof(rules[n_rules].slot), "%s", s);
            rules[n_rules].delay_ms = 0;
            if (strncmp(o, "delay=", 6) == 0) {
                rules[n_rules].outcome = MH_OK;
                rules[n_rules].delay_ms = (unsigned)strtoul(o + 6, NULL, 10);
            } else {
                rules[n_rules].outcome = outcome_of(o);
            }
            n_rules++;
        }
        if (f)
            fclose(f);
    }
    unsigned delay_ms = 0;
    for (int i = 0; i < n_rules; i++)
        if (strcmp(rules[i].slot, slot) == 0) {
            r = rules[i].outcome;
            delay_ms = rules[i].delay_ms;
        }
    pthread_mutex_unlock(&lock);
    if (delay_ms)
        apr_sleep(apr_time_from_msec(delay_ms));
    return r;
}

#define FAULT(slot, pool)                                                           \
    do {                                                                            \
        mh_err fe_ = injected(#slot);                                               \
        if (fe_ == BROKEN)                                                          \
            return MH_OK;                                                           \
        if (fe_ != MH_OK)                                                           \
            return mh_fail(err, (pool), fe_, "injected %s failure", #slot);         \
    } while (0)

static mh_err f_create(apr_pool_t *pconf, int argc, const char *const *argv,
                       mh_instance **inst_r, mh_error *err)
{
    const char **rest = apr_palloc(pconf, sizeof(char *) * (argc ? argc : 1));
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "control=", 8) == 0)
            snprintf(control, sizeof(control), "%s", argv[i] + 8);
        else
            rest[n++] = argv[i];
    }
    return lbe_instance_create(pconf, n, rest, inst_r, err);
}

static mh_err f_begin(mh_instance *in, const mh_guid *mbx, unsigned flags, apr_pool_t *pool,
                      mh_txn **t, mh_error *err)
{
    FAULT(txn_begin, pool);
    return lbe_txn_begin(in, mbx, flags, pool, t, err);
}

static mh_err f_commit(mh_txn *t, mh_error *err)
{
    mh_err fe = injected("txn_commit");
    if (fe != MH_OK && fe != BROKEN) {
        lbe_txn_abort(t); /* the transaction is over either way */
        return mh_fail(err, t->pool, fe, "injected txn_commit failure");
    }
    return lbe_txn_commit(t, err);
}

static mh_err f_dir_get(mh_txn *t, uint32_t id, apr_pool_t *pool, mh_dir_entry *e, mh_error *err)
{
    FAULT(dir_get, pool);
    return lbe_dir_get(t, id, pool, e, err);
}

static mh_err f_dir_find(mh_txn *t, mh_dir_key by, const char *key, apr_pool_t *pool,
                         mh_dir_entry *e, mh_error *err)
{
    FAULT(dir_find, pool);
    return lbe_dir_find(t, by, key, pool, e, err);
}

static mh_err f_dir_password(mh_txn *t, const char *login, apr_pool_t *pool, const char **h,
                             mh_error *err)
{
    FAULT(dir_password, pool);
    return lbe_dir_password(t, login, pool, h, err);
}

static mh_err f_mailbox_info(mh_txn *t, mh_mailbox_info *info, mh_error *err)
{
    FAULT(mailbox_info, t->pool);
    return lbe_mailbox_info(t, info, err);
}

static mh_err f_props_get(mh_txn *t, const mh_objref *obj, const mh_proptag *tags, uint32_t n,
                          uint64_t large, apr_pool_t *pool, mh_proplist *out, mh_error *err)
{
    FAULT(props_get, pool);
    return lbe_props_get(t, obj, tags, n, large, pool, out, err);
}

static mh_err f_folder_info(mh_txn *t, mh_id folder, mh_folder_info *info, mh_error *err)
{
    FAULT(folder_info, t->pool);
    return lbe_folder_info(t, folder, info, err);
}

static mh_err f_message_read(mh_txn *t, mh_id m, uint64_t large, apr_pool_t *pool,
                             mh_message **out, mh_error *err)
{
    FAULT(message_read, pool);
    return lbe_message_read(t, m, large, pool, out, err);
}

static mh_err f_message_save(mh_txn *t, mh_id folder, mh_id message, unsigned flags,
                             const mh_message *msg, const mh_change_in *chg, mh_id *id_r,
                             mh_id *cn_r, mh_error *err)
{
    FAULT(message_save, t->pool);
    return lbe_message_save(t, folder, message, flags, msg, chg, id_r, cn_r, err);
}

static mh_backend fault_be, fault_nopw, fault_old, fault_v2;

MH_AUTHN_PROVIDER(fault_be)
MH_AUTHN_PROVIDER(fault_nopw)

static void make(mh_backend *b, const char *name)
{
    *b = mh_lmdb_backend;
    b->name = name;
    b->version = "test";
    b->instance_create = f_create;
    b->txn_begin = f_begin;
    b->txn_commit = f_commit;
    b->dir_get = f_dir_get;
    b->dir_find = f_dir_find;
    b->dir_password = f_dir_password;
    b->mailbox_info = f_mailbox_info;
    b->props_get = f_props_get;
    b->folder_info = f_folder_info;
    b->message_read = f_message_read;
    b->message_save = f_message_save;
}

static void register_hooks(apr_pool_t *p)
{
    make(&fault_be, "fault");
    make(&fault_nopw, "fault_nopw");
    fault_nopw.dir_password = NULL;
    make(&fault_old, "fault_old");
    fault_old.struct_size = (uint32_t)offsetof(mh_backend, dir_get);
    make(&fault_v2, "fault_v2");
    ap_register_provider(p, MH_BACKEND_PROVIDER_GROUP, "fault", MH_BACKEND_PROVIDER_VERSION,
                         &fault_be);
    ap_register_provider(p, MH_BACKEND_PROVIDER_GROUP, "fault_nopw",
                         MH_BACKEND_PROVIDER_VERSION, &fault_nopw);
    ap_register_provider(p, MH_BACKEND_PROVIDER_GROUP, "fault_old",
                         MH_BACKEND_PROVIDER_VERSION, &fault_old);
    ap_register_provider(p, MH_BACKEND_PROVIDER_GROUP, "fault_v2", "2", &fault_v2);
    MH_AUTHN_REGISTER(fault_be, p);
    MH_AUTHN_REGISTER(fault_nopw, p);
}

AP_DECLARE_MODULE(mapihttp_fault) = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    register_hooks,
#if defined(AP_MODULE_FLAG_NONE)
    AP_MODULE_FLAG_NONE
#endif
};
