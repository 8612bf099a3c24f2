/*
 * mh_backend.h - how the core calls a storage backend (mapihttp/backend.h).
 *
 * Every call goes through these wrappers, never straight to a slot:
 *  - a slot the backend does not have (NULL, or past its struct_size) answers
 *    MH_E_NOT_SUPPORTED without reaching the backend;
 *  - a result that breaks the contract (MH_OK with an output unset or out of
 *    range, an unknown error class) is logged and becomes MH_E_INTERNAL;
 *  - failures that mean trouble (internal, corrupt, unavailable) are logged
 *    with the backend's detail; ordinary outcomes (not found, exists) are not;
 *  - mh_err_to_mapi() maps an error class to the MAPI error code the
 *    protocol layer returns, in one place.
 * Transactions are wrapped in mh_betxn, which also aborts a forgotten
 * transaction when its pool goes away.
 */
#ifndef MH_BACKEND_H
#define MH_BACKEND_H

#include <pthread.h>
#include <stddef.h>
#include <apr_pools.h>

#include "mapihttp/backend.h"
#include "mh_mapierr.h"

/* The address book's per-process snapshot of the directory (mh_nspi_gal.c). */
typedef struct mh_gal_cache mh_gal_cache;

/* A backend instance as the core holds it. */
typedef struct mh_be {
    const mh_backend *be;
    mh_instance *inst;
    const char *label; /* "lmdb" or "lmdb path=/x" for logs */
    mh_gal_cache *gal; /* set by mh_be_open, in each process; NULL before */
} mh_be;

/* A transaction as the core holds it. */
typedef struct mh_betxn {
    const mh_be *b;
    mh_txn *txn;
    apr_pool_t *pool;
    int done;
    int write;
    pthread_t thread; /* that began it */
} mh_betxn;

/* The smallest struct a backend of this ABI can have (the version 1 slots). */
#define MH_BACKEND_MIN_SIZE (offsetof(mh_backend, check) + sizeof(void *))

/* A slot, or NULL when the backend's struct is too old to have it. */
#define MH_SLOT(be, field)                                                     \
    ((offsetof(mh_backend, field) + sizeof((be)->field) <= (be)->struct_size) \
         ? (be)->field                                                         \
         : NULL)

/*
 * Checks a backend struct before it is used: interface version, size, name,
 * required slots.  NULL when usable, else why not.
 */
const char *mh_backend_check(const mh_backend *be, apr_pool_t *pool);

/* Builds an instance from key=value options (instance_create). */
mh_err mh_be_create(const mh_backend *be, apr_pool_t *pconf, int argc,
                    const char *const *argv, mh_be **b_r, mh_error *err);
mh_err mh_be_prepare(mh_be *b, long uid, long gid, apr_pool_t *ptemp, mh_error *err);
/* Opens the instance in this process (instance_open) and sets up the
 * process's address book cache (b->gal). */
mh_err mh_be_open(mh_be *b, apr_pool_t *pchild, mh_error *err);
/* The address book cache of a process (mh_nspi_gal.c; mh_be_open calls it):
 * lives as long as pchild. */
mh_gal_cache *mh_gal_cache_create(const mh_be *b, apr_pool_t *pchild);

/* The MAPI error code for an error class (0 for MH_OK). */
uint32_t mh_err_to_mapi(mh_err e);
/* The same for a call that failed: never 0 (MAPI_E_CALL_FAILED for a
 * backend that failed without saying how). */
static inline uint32_t mh_err_to_mapi_failed(mh_err e)
{
    uint32_t ec = mh_err_to_mapi(e);
    return ec ? ec : MAPI_E_CALL_FAILED;
}

mh_err mh_be_begin(const mh_be *b, const mh_guid *mailbox, unsigned flags, apr_pool_t *pool,
                   mh_betxn **t_r, mh_error *err);
mh_err mh_be_commit(mh_betxn *t, mh_error *err);
void mh_be_abort(mh_betxn *t);

/* Directory. */
mh_err mh_be_dir_get(mh_betxn *t, uint32_t id, mh_dir_entry *e, mh_error *err);
mh_err mh_be_dir_find(mh_betxn *t, mh_dir_key by, const char *key, mh_dir_entry *e,
                      mh_error *err);
mh_err mh_be_dir_list(mh_betxn *t, const mh_cursor *after, uint32_t max,
                      mh_dir_entry **entries_r, uint32_t *n_r, mh_cursor *next_r,
                      mh_error *err);
mh_err mh_be_dir_count(mh_betxn *t, uint32_t *n_r, mh_error *err);
mh_err mh_be_dir_search(mh_betxn *t, const char *prefix, uint32_t max,
                        mh_dir_entry **entries_r, uint32_t *n_r, mh_error *err);
/* dir_generation (optional: MH_E_NOT_SUPPORTED without it). */
mh_err mh_be_dir_generation(mh_betxn *t, uint64_t *gen_r, mh_error *err);
mh_err mh_be_dir_members(mh_betxn *t, uint32_t group, uint32_t **ids_r, uint32_t *n_r,
                         mh_error *err);
mh_err mh_be_dir_password(mh_betxn *t, const char *login, const char **hash_r, mh_error *err);
/* id_r may be NULL when the caller does not need the entry's ID. */
mh_err mh_be_dir_put(mh_betxn *t, const mh_dir_entry *e, const char *password_hash,
                     uint32_t *id_r, mh_error *err);
mh_err mh_be_dir_delete(mh_betxn *t, uint32_t id, mh_error *err);
mh_err mh_be_dir_set_members(mh_betxn *t, uint32_t group, const uint32_t *ids, uint32_t n,
                             mh_error *err);

/* Mailboxes. */
mh_err mh_be_mailbox_create(mh_betxn *t, uint32_t owner, mh_error *err);
mh_err mh_be_mailbox_delete(mh_betxn *t, mh_error *err);
mh_err mh_be_mailbox_info(mh_betxn *t, mh_mailbox_info *info, mh_error *err);
mh_err mh_be_mailbox_set_special(mh_betxn *t, mh_special_folder role, mh_id folder,
                                 mh_error *err);
mh_err mh_be_mailbox_list(mh_betxn *t, mh_guid **guids_r, uint32_t *n_r, mh_error *err);
mh_err mh_be_id_reserve(mh_betxn *t, uint32_t count, mh_id *first_r, mh_error *err);

/* Properties. */
mh_err mh_be_props_get(mh_betxn *t, const mh_objref *obj, const mh_proptag *tags, uint32_t n,
                       uint64_t large, mh_proplist *values_r, mh_error *err);
/* The same with the values in `pool` rather than the transaction's. */
mh_err mh_be_props_get_in(mh_betxn *t, const mh_objref *obj, const mh_proptag *tags, uint32_t n,
                          uint64_t large, apr_pool_t *pool, mh_proplist *values_r,
                          mh_error *err);
mh_err mh_be_props_set(mh_betxn *t, const mh_objref *obj, const mh_proplist *set,
                       const mh_proptag *del, uint32_t n_del, const mh_change_in *chg,
                       mh_id *cn_r, mh_error *err);
mh_err mh_be_value_read(mh_betxn *t, const mh_objref *obj, mh_proptag tag, uint64_t offset,
                        void *buf, size_t len, size_t *got_r, mh_error *err);

/* Folders. */
mh_err mh_be_folder_create(mh_betxn *t, mh_id parent, const mh_proplist *props, unsigned flags,
                           const mh_change_in *chg, mh_id *id_r, mh_error *err);
mh_err mh_be_folder_info(mh_betxn *t, mh_id folder, mh_folder_info *info, mh_error *err);
mh_err mh_be_folder_children(mh_betxn *t, mh_id folder, mh_id **ids_r, uint32_t *n_r,
                             mh_error *err);
mh_err mh_be_folder_find(mh_betxn *t, mh_id parent, const char *name, mh_id *id_r,
                         mh_error *err);
mh_err mh_be_folder_move(mh_betxn *t, mh_id folder, mh_id new_parent, const mh_change_in *chg,
                         mh_error *err);
mh_err mh_be_folder_delete(mh_betxn *t, mh_id folder, mh_error *err);
mh_err mh_be_contents_list(mh_betxn *t, mh_id folder, unsigned flags, const mh_sort *sort,
                           const mh_cursor *from, uint32_t max, mh_id *ids, uint32_t *n_r,
                           mh_cursor *next_r, mh_error *err);
/* Whether contents_list serves this sort from an index. */
int mh_be_sort_indexed(const mh_be *b, mh_proptag tag);

/* Messages. */
mh_err mh_be_message_info(mh_betxn *t, mh_id message, mh_message_info *info, mh_error *err);
mh_err mh_be_message_read(mh_betxn *t, mh_id message, uint64_t large, mh_message **msg_r,
                          mh_error *err);
mh_err mh_be_message_save(mh_betxn *t, mh_id folder, mh_id message, unsigned flags,
                          const mh_message *msg, const mh_change_in *chg, mh_id *id_r,
                          mh_id *cn_r, mh_error *err);
mh_err mh_be_message_delete(mh_betxn *t, mh_id message, mh_error *err);
mh_err mh_be_message_move(mh_betxn *t, mh_id message, mh_id folder, int copy,
                          const mh_change_in *chg, mh_id *id_r, mh_error *err);
mh_err mh_be_message_set_read(mh_betxn *t, mh_id message, int read, mh_id *cn_r,
                              mh_error *err);

/* Changes. */
mh_err mh_be_changes_list(mh_betxn *t, mh_id folder, unsigned kinds, mh_id after, uint32_t max,
                          mh_change *out, uint32_t *n_r, mh_id *next_r, mh_error *err);
mh_err mh_be_object_by_source_key(mh_betxn *t, const mh_bin *sk, mh_objkind *kind_r,
                                  mh_id *id_r, int *deleted_r, mh_error *err);

/* Named properties. */
mh_err mh_be_named_ids(mh_betxn *t, const mh_propname *names, uint32_t n, int create,
                       uint16_t *ids_r, mh_error *err);
mh_err mh_be_named_names(mh_betxn *t, const uint16_t *ids, uint32_t n, mh_propname *names_r,
                         uint8_t *found_r, mh_error *err);
mh_err mh_be_named_list(mh_betxn *t, mh_propname **names_r, uint16_t **ids_r, uint32_t *n_r,
                        mh_error *err);

/* Permissions, rules, receive folders, maintenance. */
mh_err mh_be_permissions_get(mh_betxn *t, mh_id folder, mh_permission **rows_r, uint32_t *n_r,
                             mh_error *err);
mh_err mh_be_permissions_set(mh_betxn *t, mh_id folder, const mh_permission *rows, uint32_t n,
                             mh_error *err);
mh_err mh_be_rules_get(mh_betxn *t, mh_id folder, mh_proplist **rules_r, uint32_t *n_r,
                       mh_error *err);
mh_err mh_be_rules_set(mh_betxn *t, mh_id folder, const mh_proplist *rules, uint32_t n,
                       mh_error *err);
mh_err mh_be_receive_folders_get(mh_betxn *t, mh_receive_folder **rows_r, uint32_t *n_r,
                                 mh_error *err);
mh_err mh_be_receive_folder_set(mh_betxn *t, const char *message_class, mh_id folder,
                                mh_error *err);
mh_err mh_be_check(mh_betxn *t, int repair, void (*report)(void *, const char *), void *baton,
                   uint32_t *problems_r, mh_error *err);

/*
 * Where the mailbox of directory entry `e` is served: the one rule
 * Autodiscover's redirects (mh_autodiscover.c) and RopLogon's ecWrongServer
 * (mh_oxcstor.c) share.  A mailbox this backend holds is served here,
 * whatever the entry's `server` says (it may name this host, or the
 * storage may be shared by several hosts); one it does not hold is
 * elsewhere when the entry names a server.  Returns:
 *   MH_MBX_HERE       the backend holds the mailbox;
 *   MH_MBX_ELSEWHERE  it does not, and e->server names the host that does;
 *   MH_MBX_NONE       the entry has no mailbox, or names no server for one
 *                     the backend does not hold (a directory in error);
 *   MH_MBX_ERROR      the backend failed (*err says why).
 */
typedef enum mh_mbx_where {
    MH_MBX_HERE,
    MH_MBX_ELSEWHERE,
    MH_MBX_NONE,
    MH_MBX_ERROR
} mh_mbx_where;
mh_mbx_where mh_be_mailbox_where(const mh_be *b, const mh_dir_entry *e, apr_pool_t *pool,
                                 mh_error *err);

/* Per-user data. */
mh_err mh_be_peruser_get(mh_betxn *t, const uint8_t folder[MH_LTID_LEN], mh_peruser *row_r,
                         mh_error *err);
mh_err mh_be_peruser_list(mh_betxn *t, mh_peruser **rows_r, uint32_t *n_r, mh_error *err);
mh_err mh_be_peruser_set(mh_betxn *t, const mh_peruser *row, mh_error *err);

#endif
