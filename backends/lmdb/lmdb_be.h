/*
 * lmdb_be.h - the LMDB backend's internals: one LMDB environment holds
 * every mailbox and the directory.  The schema is documented for operators
 * in docs/lmdb-schema.md; this header is its reference.
 *
 * Keys are big-endian so that LMDB's byte order is numeric order.  Every
 * mailbox has a small number (mbx) assigned when it is created; all its
 * keys begin with it, so one mailbox is one key range in each database.
 *
 *   meta        "schema" -> u32, "next_mbx" -> u32, "next_dir" -> u32,
 *               "dir_fold" -> u32 (the MH_FOLD_VERSION dir_name and dir_anr
 *               keys were made with; another one: rebuilt on open),
 *               "dir_gen" -> u64 (dir_generation: bumped by every
 *               directory write, in its transaction; absent reads 0)
 *   mailboxes   guid(16) -> mailbox record
 *   mbxnums     mbx -> guid
 *   objects     mbx, id(u64) -> folder or message record; id 0 is the
 *               mailbox's own property list
 *   children    mbx, parent, child -> ""          (folder tree, by ID)
 *   fnames      mbx, parent, folded name -> child (unique sibling names)
 *   contents    mbx, folder, fai(u8), id -> ""     (messages by ID)
 *   sortidx     mbx, folder, fai, column(u8), sort key, id -> "" or, in
 *               the columns of lbe_sort_summary, the message's summary
 *               (lbe_summary_encode; "" in entries written before it)
 *   lvals       mbx, value id(u64), chunk(u32) -> bytes (large values)
 *   changes     mbx, scope(u64), cn -> u8 flags, u64 id
 *               scope is the folder for messages, 0 for folders
 *   tombstones  mbx, id -> u8 flags, u64 folder, u64 cn, source key
 *   srckeys     mbx, source key -> u8 kind, u64 id
 *   named       mbx, 'N', guid, kind, lid or name -> u16 property id
 *               mbx, 'I', u16 id -> guid, kind, lid, name
 *   perms       mbx, folder -> rows
 *   rules       mbx, folder -> property lists
 *   recvfolders mbx, folded class -> u64 folder, i64 modified, class
 *   peruser     mbx, public folder LongTermID(24) -> u8 version, REPLGUID,
 *               i64 modified, u32 length, data (the per-user data table)
 *   dir         id(u32) -> directory record
 *   dir_login, dir_smtp, dir_dn   folded key -> id
 *   dir_name    folded display name, 0, id -> ""   (the GAL order)
 *   dir_anr     folded token, 0, id -> ""          (prefix search)
 *               both folded with mapihttp/fold.h (case and accents);
 *               dir_login, dir_smtp and dir_dn with lbe_fold (case only)
 *   dir_members group, member -> "";  dir_memberof  member, group -> ""
 */
#ifndef LMDB_BE_H
#define LMDB_BE_H

#include <string.h>
#include <lmdb.h>
#include <apr_pools.h>

#include "mapihttp/backend.h"
#include "mh_props.h"
#include "mh_wire.h"

#define LBE_SCHEMA_VERSION 1
#define LBE_CHUNK (256 * 1024)      /* large values are stored in chunks */
#define LBE_INLINE_MAX 4096         /* longer values live in lvals */
#define LBE_SORTKEY_MAX 128         /* string sort keys are cut here */
#define LBE_NAMEKEY_MAX 400         /* folded names in keys are cut here */
#define LBE_GALKEY_MAX 280          /* ... and display names in the GAL order, so
                                       that a key fits an mh_cursor */
#define LBE_PERUSER_MAX (4u * 1024 * 1024) /* per-user data of one public folder */
_Static_assert(LBE_GALKEY_MAX + 1 + 4 <= MH_CURSOR_MAX, "GAL keys must fit a cursor");

enum lbe_dbi {
    DBI_META,
    DBI_MAILBOXES,
    DBI_MBXNUMS,
    DBI_OBJECTS,
    DBI_CHILDREN,
    DBI_FNAMES,
    DBI_CONTENTS,
    DBI_SORTIDX,
    DBI_LVALS,
    DBI_CHANGES,
    DBI_TOMBSTONES,
    DBI_SRCKEYS,
    DBI_NAMED,
    DBI_PERMS,
    DBI_RULES,
    DBI_RECVFOLDERS,
    DBI_DIR,
    DBI_DIR_LOGIN,
    DBI_DIR_SMTP,
    DBI_DIR_DN,
    DBI_DIR_NAME,
    DBI_DIR_ANR,
    DBI_DIR_MEMBERS,
    DBI_DIR_MEMBEROF,
    /* added after schema 1 was fixed: opening a store creates them */
    DBI_PERUSER,
    DBI_COUNT,
    DBI_FIRST_ADDED = DBI_PERUSER
};

enum lbe_sync { LBE_SYNC_FULL, LBE_SYNC_META, LBE_SYNC_NONE };

/* An environment open in this process (shared by instances of one store). */
typedef struct lbe_shared lbe_shared;

struct mh_instance {
    apr_pool_t *pool;
    const char *path;
    size_t map_size;
    unsigned max_readers;
    enum lbe_sync sync;
    MDB_env *env;
    MDB_dbi dbi[DBI_COUNT];
    lbe_shared *sh;
};

/* The mailbox record (mailboxes database). */
typedef struct lbe_mailbox {
    uint32_t mbx;
    uint32_t owner;
    mh_id special[MH_SF_COUNT];
    mh_id last_id;
    uint64_t message_bytes;
    uint32_t message_count;
    uint32_t folder_count;
    uint16_t next_named;
    int64_t created;
} lbe_mailbox;

struct mh_txn {
    mh_instance *inst;
    MDB_txn *txn;
    apr_pool_t *pool;
    int write;
    int has_mailbox;   /* begun on a mailbox */
    int mbx_exists;    /* ... which exists (mailbox_create makes it so) */
    mh_guid guid;
    lbe_mailbox mr;    /* its record, written back at commit when dirty */
    int mr_dirty;
    int done;
    /* read transactions: the message record read last (a table row asks
     * for a message's info and then its values) */
    mh_id last_msg;
    MDB_val last_rec;
    /* read transactions: the summaries the listings walked over, the last
     * LBE_SUMCACHE of them in listing order (a ring: sums[i % LBE_SUMCACHE]
     * for i in [sum_n - LBE_SUMCACHE, sum_n)); sum_next is where the next
     * lookup is expected (rows are read in the order they were listed) */
    struct lbe_sumslot *sums;
    uint32_t sum_n, sum_next;
    /* the tag list a summary was last asked to cover (each row of a table
     * asks with the same), and the answer */
    mh_proptag cov_tags[32];
    uint32_t cov_n;
    int cov_ok;
};

#define LBE_SUMCACHE 256
typedef struct lbe_sumslot {
    mh_id id;
    const void *p;       /* the summary, in the map */
    size_t len;
} lbe_sumslot;

/* Object records (objects database). */
#define LBE_OBJ_FOLDER 1
#define LBE_OBJ_MESSAGE 2
#define LBE_OBJ_MAILBOX 3

typedef struct lbe_folder {
    mh_id id, parent;
    uint32_t flags;
    uint32_t content, unread, fai, children;
    uint64_t bytes;
    mh_id cn;
    mh_proplist props;
} lbe_folder;

typedef struct lbe_message {
    mh_id id, folder;
    int fai, read;
    mh_id cn, read_cn;
    uint32_t size;
    mh_message *msg;   /* large values as MH_PV_LARGE with v.large.ref = value id */
    /* lbe_message_head: the record's index of the message's own values
     * (version 2; ix.n 0 and indexed 0 in a version 1 record) and the
     * encoded message after it, in the map (valid for the transaction) */
    int indexed;
    mh_msgindex ix;
    const unsigned char *tree;
    size_t tree_len;
    /* lbe_message_peek: read from a summary, whose tree holds only the
     * values of lbe_summary_covers' tags (the head is the record's) */
    int partial;
} lbe_message;

/* Sort columns with an index (sortidx), see lbe_sort_tags. */
extern const mh_proptag lbe_sort_tags[];

/* ---------------------------------------------------------- key builder */

typedef struct lbe_key {
    size_t n;
    uint8_t b[511];
} lbe_key;

static inline void lk_init(lbe_key *k)
{
    k->n = 0;
}
static inline void lk_u8(lbe_key *k, uint8_t v)
{
    k->b[k->n++] = v;
}
static inline void lk_u16(lbe_key *k, uint16_t v)
{
    k->b[k->n++] = (uint8_t)(v >> 8);
    k->b[k->n++] = (uint8_t)v;
}
static inline void lk_u32(lbe_key *k, uint32_t v)
{
    mh_put_u32_be(k->b + k->n, v);
    k->n += 4;
}
static inline void lk_u64(lbe_key *k, uint64_t v)
{
    mh_put_u64_be(k->b + k->n, v);
    k->n += 8;
}
static inline void lk_bytes(lbe_key *k, const void *p, size_t n)
{
    memcpy(k->b + k->n, p, n);
    k->n += n;
}
static inline MDB_val lk_val(lbe_key *k)
{
    MDB_val v = {k->n, k->b};
    return v;
}

/* ------------------------------------------------------------- helpers */

/* LMDB return code -> mh_err with a detail naming the operation. */
mh_err lbe_fail(mh_error *err, apr_pool_t *pool, int rc, const char *what);
/* A DBI handle. */
static inline MDB_dbi lbe_dbi(mh_txn *t, enum lbe_dbi d)
{
    return t->inst->dbi[d];
}
/* Puts/deletes (delete of a missing key is not an error). */
int lbe_put(mh_txn *t, enum lbe_dbi d, lbe_key *k, const void *data, size_t len);
int lbe_del(mh_txn *t, enum lbe_dbi d, lbe_key *k);
/* Deletes every key beginning with the prefix. */
int lbe_del_prefix(mh_txn *t, enum lbe_dbi d, const lbe_key *prefix);

mh_err lbe_need_mailbox(mh_txn *t, mh_error *err);
mh_err lbe_need_write(mh_txn *t, mh_error *err);
/* Hands out the next ID/CN of the mailbox. */
mh_err lbe_next_id(mh_txn *t, mh_id *id_r, mh_error *err);
/* The ID of a new object: the one the change brings (reserved with
 * id_reserve, never used before) or a new one. */
mh_err lbe_new_object_id(mh_txn *t, const mh_change_in *chg, mh_id *id_r, mh_error *err);
/* Takes the next value of a store-wide counter in meta ("next_mbx",
 * "next_dir"; starting at 1). */
mh_err lbe_meta_next(mh_txn *t, const char *name, uint32_t *v_r, mh_error *err);

/* Folded (ASCII and Latin-1 lower case) copy, cut to max bytes: the keys
 * of the unique indexes (login, address, legacy DN). */
const char *lbe_fold(apr_pool_t *pool, const char *s, size_t max);
/* Case- and accent-folded copy (mapihttp/fold.h), cut to max bytes at a
 * character boundary: the keys of the GAL order and the name search. */
const char *lbe_fold_name(apr_pool_t *pool, const char *s, size_t max);

/* Object records. */
mh_err lbe_folder_load(mh_txn *t, mh_id id, apr_pool_t *pool, lbe_folder *f, mh_error *err);
/* The same without the property list (f->props empty): counts and links. */
mh_err lbe_folder_load_head(mh_txn *t, mh_id id, apr_pool_t *pool, lbe_folder *f,
                            mh_error *err);
mh_err lbe_folder_store(mh_txn *t, const lbe_folder *f, mh_error *err);
mh_err lbe_message_load(mh_txn *t, mh_id id, apr_pool_t *pool, lbe_message *m, mh_error *err);
/* A message record's header alone (m->msg NULL); *rd is left at its
 * message tree, in the map (valid while the transaction lives). */
mh_err lbe_message_head(mh_txn *t, mh_id id, apr_pool_t *pool, lbe_message *m, mh_rd *rd,
                        mh_error *err);
mh_err lbe_message_store(mh_txn *t, const lbe_message *m, mh_error *err);
/* The kind of the record of an ID (0: none). */
int lbe_object_kind(mh_txn *t, mh_id id);
mh_err lbe_mailbox_props_load(mh_txn *t, apr_pool_t *pool, mh_proplist *l, mh_error *err);
mh_err lbe_mailbox_props_store(mh_txn *t, const mh_proplist *l, mh_error *err);

/* Change bookkeeping. */
int lbe_change_put(mh_txn *t, mh_id scope, mh_id cn, uint8_t flags, mh_id id);
int lbe_change_del(mh_txn *t, mh_id scope, mh_id cn);
int lbe_tombstone_put(mh_txn *t, mh_id id, uint8_t flags, mh_id folder, mh_id cn,
                      const mh_bin *source_key);
int lbe_srckey_put(mh_txn *t, const mh_bin *sk, uint8_t kind, mh_id id);
/* When a folder goes: the change records filed under it, and the
 * tombstones and source keys of messages deleted from it (lmdb_changes.c);
 * receive folder entries naming it (lmdb_mailbox.c). */
int lbe_changes_forget_scope(mh_txn *t, mh_id folder);
int lbe_recvfolders_forget(mh_txn *t, mh_id folder);
/* Sets PR_SOURCE_KEY (when new), PR_CHANGE_KEY, PR_PREDECESSOR_CHANGE_LIST
 * and PR_CHANGE_NUMBER on a property list for change `cn` of object `id`. */
mh_err lbe_stamp_change(mh_txn *t, apr_pool_t *pool, mh_proplist *props, mh_id id, mh_id cn,
                        int is_new, const mh_change_in *chg, mh_error *err);

/* Large values. */
mh_err lbe_lval_write(mh_txn *t, const void *data, uint64_t size, mh_id *ref_r, mh_error *err);
mh_err lbe_lval_write_source(mh_txn *t, const mh_propval *src, mh_id *ref_r, mh_error *err);
mh_err lbe_lval_read(mh_txn *t, mh_id ref, uint64_t size, uint64_t offset, void *buf,
                     size_t len, size_t *got_r, mh_error *err);
int lbe_lval_delete(mh_txn *t, mh_id ref, uint64_t size);

/* Calls fn for every large value of a message tree (properties,
 * recipients, attachments, embedded messages); stops at fn's first
 * non-zero result and returns it. */
int lbe_walk_large(const mh_message *m, int (*fn)(void *, const mh_propval *), void *b);

/* Sort index maintenance for a message (add or remove its entries). */
int lbe_sortidx_update(mh_txn *t, const lbe_message *m, int add);
/*
 * Summaries: the sort index entries of the columns Outlook's mail views
 * sort by (received and sent time: lbe_sort_summary) carry, as their value,
 * the message's head and the values of a fixed set of list-view columns,
 * so that a page of such a view reads its rows from the index pages its
 * listing walked, not from 50 records spread over the map:
 *   u8 version (1), u64 folder, u8 fai, u8 read, u64 cn, u64 read_cn,
 *   u32 size, then the tree of a message holding only the covered values
 *   (no recipients, no attachments), indexed (mh_message_encode_indexed).
 * lbe_sortidx_update writes them with the keys (every write of a message
 * record goes with one, with the same lbe_message).  A summary longer than
 * LBE_SUMMARY_MAX is not kept (the entry's value is ""), nor is one in an
 * entry written before summaries existed: readers then read the record.
 */
#define LBE_SUMMARY_MAX 1024
/* What the consistency check finds in a message's sort index entries:
 * bits of LBE_SORTIDX_* (lbe_sortidx_update with add repairs both). */
#define LBE_SORTIDX_MISSING 1u /* an entry is not there */
#define LBE_SORTIDX_SUMMARY 2u /* a value is not the message's summary */
unsigned lbe_sortidx_verify(mh_txn *t, const lbe_message *m, apr_pool_t *pool);
int lbe_sort_summary(int col);
/* Encodes m's summary into w; -1 (w unchanged in meaning) when too long. */
int lbe_summary_encode(mh_wr *w, const lbe_message *m);
/* 1 when every one of tags is a value a summary holds (or lacks) exactly.
 * (A table asks the same for each row: lbe_props_get remembers the answer
 * for the last list, in mh_txn.) */
int lbe_summary_covers(const mh_proptag *tags, uint32_t n);
/* lbe_message_head from the summary a listing of this read transaction
 * walked over when there is one (m->partial set; no rd), else from the
 * record.  Only for the head and the covered values. */
mh_err lbe_message_peek(mh_txn *t, mh_id id, apr_pool_t *pool, lbe_message *m, mh_error *err);

/* Directory helpers. */
/* Rebuilds dir_name and dir_anr from dir (a writing transaction): after the
 * folding changed (meta "dir_fold"). */
mh_err lbe_dir_reindex_names(mh_txn *t, mh_error *err);
mh_err lbe_dir_load(mh_txn *t, uint32_t id, apr_pool_t *pool, mh_dir_entry *e,
                    const char **hash_r, mh_error *err);

/* The slots, by file. */
/* lmdb_env.c */
mh_err lbe_instance_create(apr_pool_t *pconf, int argc, const char *const *argv,
                           mh_instance **inst_r, mh_error *err);
mh_err lbe_instance_prepare(mh_instance *inst, long uid, long gid, apr_pool_t *ptemp,
                            mh_error *err);
mh_err lbe_instance_open(mh_instance *inst, apr_pool_t *pchild, mh_error *err);
mh_err lbe_txn_begin(mh_instance *inst, const mh_guid *mailbox, unsigned flags,
                     apr_pool_t *pool, mh_txn **txn_r, mh_error *err);
mh_err lbe_txn_commit(mh_txn *txn, mh_error *err);
void lbe_txn_abort(mh_txn *txn);
/* lmdb_dir.c */
mh_err lbe_dir_get(mh_txn *t, uint32_t id, apr_pool_t *pool, mh_dir_entry *e, mh_error *err);
mh_err lbe_dir_find(mh_txn *t, mh_dir_key by, const char *key, apr_pool_t *pool,
                    mh_dir_entry *e, mh_error *err);
mh_err lbe_dir_list(mh_txn *t, const mh_cursor *after, uint32_t max, apr_pool_t *pool,
                    mh_dir_entry **entries_r, uint32_t *n_r, mh_cursor *next_r, mh_error *err);
mh_err lbe_dir_count(mh_txn *t, uint32_t *n_r, mh_error *err);
mh_err lbe_dir_search(mh_txn *t, const char *prefix, uint32_t max, apr_pool_t *pool,
                      mh_dir_entry **entries_r, uint32_t *n_r, mh_error *err);
mh_err lbe_dir_members(mh_txn *t, uint32_t group, apr_pool_t *pool, uint32_t **ids_r,
                       uint32_t *n_r, mh_error *err);
mh_err lbe_dir_password(mh_txn *t, const char *login, apr_pool_t *pool, const char **hash_r,
                        mh_error *err);
mh_err lbe_dir_put(mh_txn *t, const mh_dir_entry *e, const char *password_hash,
                   uint32_t *id_r, mh_error *err);
mh_err lbe_dir_delete(mh_txn *t, uint32_t id, mh_error *err);
mh_err lbe_dir_set_members(mh_txn *t, uint32_t group, const uint32_t *ids, uint32_t n,
                           mh_error *err);
mh_err lbe_dir_generation(mh_txn *t, uint64_t *gen_r, mh_error *err);
/* Counts a change of the directory (meta "dir_gen"), in the transaction
 * that makes it. */
int lbe_dir_bump(mh_txn *t);
/* lmdb_mailbox.c */
mh_err lbe_mailbox_create(mh_txn *t, uint32_t owner, mh_error *err);
mh_err lbe_mailbox_delete(mh_txn *t, mh_error *err);
mh_err lbe_mailbox_info(mh_txn *t, mh_mailbox_info *info, mh_error *err);
mh_err lbe_mailbox_set_special(mh_txn *t, mh_special_folder role, mh_id folder, mh_error *err);
mh_err lbe_mailbox_list(mh_txn *t, apr_pool_t *pool, mh_guid **guids_r, uint32_t *n_r,
                        mh_error *err);
mh_err lbe_id_reserve(mh_txn *t, uint32_t count, mh_id *first_r, mh_error *err);
mh_err lbe_named_ids(mh_txn *t, const mh_propname *names, uint32_t n, int create,
                     uint16_t *ids_r, mh_error *err);
mh_err lbe_named_names(mh_txn *t, const uint16_t *ids, uint32_t n, apr_pool_t *pool,
                       mh_propname *names_r, uint8_t *found_r, mh_error *err);
mh_err lbe_named_list(mh_txn *t, apr_pool_t *pool, mh_propname **names_r, uint16_t **ids_r,
                      uint32_t *n_r, mh_error *err);
mh_err lbe_permissions_get(mh_txn *t, mh_id folder, apr_pool_t *pool, mh_permission **rows_r,
                           uint32_t *n_r, mh_error *err);
mh_err lbe_permissions_set(mh_txn *t, mh_id folder, const mh_permission *rows, uint32_t n,
                           mh_error *err);
mh_err lbe_rules_get(mh_txn *t, mh_id folder, apr_pool_t *pool, mh_proplist **rules_r,
                     uint32_t *n_r, mh_error *err);
mh_err lbe_rules_set(mh_txn *t, mh_id folder, const mh_proplist *rules, uint32_t n,
                     mh_error *err);
mh_err lbe_receive_folders_get(mh_txn *t, apr_pool_t *pool, mh_receive_folder **rows_r,
                               uint32_t *n_r, mh_error *err);
mh_err lbe_receive_folder_set(mh_txn *t, const char *message_class, mh_id folder,
                              mh_error *err);
mh_err lbe_peruser_get(mh_txn *t, const uint8_t folder[MH_LTID_LEN], apr_pool_t *pool,
                       mh_peruser *row_r, mh_error *err);
mh_err lbe_peruser_list(mh_txn *t, apr_pool_t *pool, mh_peruser **rows_r, uint32_t *n_r,
                        mh_error *err);
mh_err lbe_peruser_set(mh_txn *t, const mh_peruser *row, mh_error *err);
/* lmdb_folder.c */
mh_err lbe_props_get(mh_txn *t, const mh_objref *obj, const mh_proptag *tags, uint32_t n,
                     uint64_t large, apr_pool_t *pool, mh_proplist *values_r, mh_error *err);
mh_err lbe_props_set(mh_txn *t, const mh_objref *obj, const mh_proplist *set,
                     const mh_proptag *del, uint32_t n_del, const mh_change_in *chg,
                     mh_id *cn_r, mh_error *err);
mh_err lbe_folder_create(mh_txn *t, mh_id parent, const mh_proplist *props, unsigned flags,
                         const mh_change_in *chg, mh_id *id_r, mh_error *err);
mh_err lbe_folder_info(mh_txn *t, mh_id folder, mh_folder_info *info, mh_error *err);
mh_err lbe_folder_children(mh_txn *t, mh_id folder, apr_pool_t *pool, mh_id **ids_r,
                           uint32_t *n_r, mh_error *err);
mh_err lbe_folder_find(mh_txn *t, mh_id parent, const char *name, mh_id *id_r, mh_error *err);
mh_err lbe_folder_move(mh_txn *t, mh_id folder, mh_id new_parent, const mh_change_in *chg,
                       mh_error *err);
mh_err lbe_folder_delete(mh_txn *t, mh_id folder, mh_error *err);
/* lmdb_message.c */
mh_err lbe_contents_list(mh_txn *t, mh_id folder, unsigned flags, const mh_sort *sort,
                         const mh_cursor *from, uint32_t max, mh_id *ids, uint32_t *n_r,
                         mh_cursor *next_r, mh_error *err);
mh_err lbe_message_info(mh_txn *t, mh_id message, mh_message_info *info, mh_error *err);
mh_err lbe_message_read(mh_txn *t, mh_id message, uint64_t large, apr_pool_t *pool,
                        mh_message **msg_r, mh_error *err);
mh_err lbe_message_save(mh_txn *t, mh_id folder, mh_id message, unsigned flags,
                        const mh_message *msg, const mh_change_in *chg, mh_id *id_r,
                        mh_id *cn_r, mh_error *err);
mh_err lbe_message_delete(mh_txn *t, mh_id message, mh_error *err);
mh_err lbe_message_move(mh_txn *t, mh_id message, mh_id folder, int copy,
                        const mh_change_in *chg, mh_id *id_r, mh_error *err);
mh_err lbe_message_set_read(mh_txn *t, mh_id message, int read, mh_id *cn_r, mh_error *err);
mh_err lbe_value_read(mh_txn *t, const mh_objref *obj, mh_proptag tag, uint64_t offset,
                      void *buf, size_t len, size_t *got_r, mh_error *err);
/* lmdb_changes.c */
mh_err lbe_changes_list(mh_txn *t, mh_id folder, unsigned kinds, mh_id after, uint32_t max,
                        apr_pool_t *pool, mh_change *out, uint32_t *n_r, mh_id *next_r,
                        mh_error *err);
mh_err lbe_object_by_source_key(mh_txn *t, const mh_bin *sk, mh_objkind *kind_r,
                                mh_id *id_r, int *deleted_r, mh_error *err);
/* lmdb_check.c */
int lbe_mailbox_decode(const MDB_val *v, lbe_mailbox *m);

/* A consistency check in progress (lmdb_check.c, lmdb_dir.c). */
typedef struct lbe_checker {
    mh_txn *t;
    int repair;
    void (*report)(void *baton, const char *problem);
    void *baton;
    uint32_t problems;
    int rc; /* the first LMDB error met */
} lbe_checker;
/* Counts a problem and reports it. */
void lbe_problem(lbe_checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
mh_err lbe_dir_check(mh_txn *t, int repair, void (*report)(void *, const char *), void *baton,
                     uint32_t *problems_r, mh_error *err);
mh_err lbe_check(mh_txn *t, int repair, void (*report)(void *, const char *), void *baton,
                 uint32_t *problems_r, mh_error *err);

/* The backend struct (lmdb_backend.c). */
extern const mh_backend mh_lmdb_backend;

#endif
