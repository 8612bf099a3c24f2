/*
 * mh_oxcfold.c - folders (MS-OXCFOLD; MS-OXCROPS 2.2.4): the folder object
 * class, the values a folder shows (stored and computed), the rights a user
 * has on a folder (MS-OXCPERM 3.2.5), and every folder ROP.
 *
 * Every ROP that changes the store does so in one backend transaction:
 * either all of it is committed or none of it (a failure aborts).  "Soft"
 * deletions are hard here: the store keeps no recoverable items (the
 * tombstones the backend keeps serve ICS only).
 */
#include "mh_entryid.h"
#include "mh_log.h"
#include "mh_props.h"
#include "mh_rop.h"

#include <string.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_time.h>

/* ---------------------------------------------------------------- ids */

#define ROP_OPEN_FOLDER 0x02
#define ROP_GET_HIERARCHY_TABLE 0x04
#define ROP_GET_CONTENTS_TABLE 0x05
#define ROP_CREATE_FOLDER 0x1C
#define ROP_DELETE_FOLDER 0x1D
#define ROP_DELETE_MESSAGES 0x1E
#define ROP_SET_SEARCH_CRITERIA 0x30
#define ROP_GET_SEARCH_CRITERIA 0x31
#define ROP_MOVE_COPY_MESSAGES 0x33
#define ROP_MOVE_FOLDER 0x35
#define ROP_COPY_FOLDER 0x36
#define ROP_EMPTY_FOLDER 0x58
#define ROP_HARD_DELETE_MESSAGES 0x91
#define ROP_HARD_DELETE_MESSAGES_AND_SUBFOLDERS 0x92

/*
 * Where RopSetSearchCriteria keeps a search folder's criteria: stored
 * folder values in the provider-defined range, never shown to clients.
 * RESTRICTION: the Restriction (MS-OXCDATA 2.12) in Unicode wire form;
 * FOLDERS: the FIDs of the scope, u64 wire form each; FLAGS: the
 * SearchFlags of the last RopSetSearchCriteria.
 */
#define TAG_SEARCH_RESTRICTION MH_TAG(0x66F0, PT_BINARY)
#define TAG_SEARCH_FOLDERS MH_TAG(0x66F1, PT_BINARY)
#define TAG_SEARCH_FLAGS MH_TAG(0x66F2, PT_LONG)

/* PR_OBJECT_TYPE of a folder (MAPI_FOLDER) */
#define MAPI_FOLDER 3

/* PR_FOLDER_TYPE (MS-OXCFOLD 2.2.2.2.2.?; FolderType of RopCreateFolder) */
#define FOLDER_ROOT 0
#define FOLDER_GENERIC 1
#define FOLDER_SEARCH 2

/* PR_ACCESS bits (MS-OXPROPS PidTagAccess) */
#define MAPI_ACCESS_MODIFY 0x01
#define MAPI_ACCESS_READ 0x02
#define MAPI_ACCESS_DELETE 0x04
#define MAPI_ACCESS_CREATE_HIERARCHY 0x08
#define MAPI_ACCESS_CREATE_CONTENTS 0x10
#define MAPI_ACCESS_CREATE_ASSOCIATED 0x20

/* The rights of a mailbox's owner on each of its folders: every right
 * MS-OXCPERM 2.2.7 defines. */
#define RIGHTS_ALL                                                             \
    (FRIGHTS_READ_ANY | FRIGHTS_CREATE | FRIGHTS_EDIT_OWNED | FRIGHTS_DELETE_OWNED | \
     FRIGHTS_EDIT_ANY | FRIGHTS_DELETE_ANY | FRIGHTS_CREATE_SUBFOLDER | FRIGHTS_OWNER | \
     FRIGHTS_CONTACT | FRIGHTS_VISIBLE | FRIGHTS_FREEBUSY_SIMPLE | FRIGHTS_FREEBUSY_DETAILED)
/* The Owner role (MS-OXCPERM 2.2.7 table of roles): what a user who
 * creates a folder in someone else's mailbox gets on it. */
#define RIGHTS_OWNER_ROLE 0x000007FBu

/* DeleteFolderFlags (MS-OXCFOLD 2.2.1.3.1) */
#define DEL_MESSAGES 0x01
#define DEL_FOLDERS 0x04
#define DELETE_HARD_DELETE 0x10

/* SearchFlags of RopSetSearchCriteria (MS-OXCFOLD 2.2.1.4.1) */
#define STOP_SEARCH 0x00000001
#define RESTART_SEARCH 0x00000002
#define RECURSIVE_SEARCH 0x00000004
#define SHALLOW_SEARCH 0x00000008
#define FOREGROUND_SEARCH 0x00000010
#define BACKGROUND_SEARCH 0x00000020
#define CONTENT_INDEXED_SEARCH 0x00010000
#define NON_CONTENT_INDEXED_SEARCH 0x00020000
#define STATIC_SEARCH 0x00040000
#define SEARCH_FLAGS_KNOWN                                                     \
    (STOP_SEARCH | RESTART_SEARCH | RECURSIVE_SEARCH | SHALLOW_SEARCH | FOREGROUND_SEARCH | \
     BACKGROUND_SEARCH | CONTENT_INDEXED_SEARCH | NON_CONTENT_INDEXED_SEARCH | STATIC_SEARCH)
/* SearchFlags of RopGetSearchCriteria (MS-OXCFOLD 2.2.1.5.2) */
#define SEARCH_RUNNING 0x00000001
#define SEARCH_RECURSIVE 0x00000004
#define SEARCH_FOREGROUND 0x00000008
#define SEARCH_STATIC 0x00010000

/* TableFlags (MS-OXCFOLD 2.2.1.13.1, 2.2.1.14.1) */
#define TBL_ASSOCIATED 0x02
#define TBL_DEPTH 0x04
#define HIERARCHY_TABLE_FLAGS 0xFC
#define CONTENTS_TABLE_FLAGS 0xFA

/* Deepest folder tree a recursive ROP walks (deeper: corrupt data). */
#define MAX_TREE_DEPTH 256
/* Messages listed per contents_list call while deleting or copying. */
#define LIST_BATCH 256


/* ------------------------------------------------------------ helpers */

static mh_objref folder_ref(mh_id fid)
{
    mh_objref r;
    memset(&r, 0, sizeof(r));
    r.kind = MH_OBJ_FOLDER;
    r.id = fid;
    return r;
}

static mh_bin folder_eid(const mh_logon *lg, mh_id fid, apr_pool_t *pool)
{
    uint8_t *buf = apr_palloc(pool, MH_FOLDER_EID_LEN);
    mh_eid_folder(&lg->mailbox, &lg->mailbox, fid, buf);
    mh_bin b = {MH_FOLDER_EID_LEN, buf};
    return b;
}

static mh_bin folder_xid(const mh_logon *lg, mh_id fid, apr_pool_t *pool)
{
    uint8_t *buf = apr_palloc(pool, MH_XID_LEN);
    mh_xid_make(&lg->mailbox, fid, buf);
    mh_bin b = {MH_XID_LEN, buf};
    return b;
}

/* A FID from the wire: only this mailbox's replica holds folders here. */
static int fid_from_wire(uint64_t wire, mh_id *fid_r)
{
    uint16_t replid;
    mh_id id = mh_id_from_wire(wire, &replid);
    if (replid != MH_REPLID_LOCAL || id == 0)
        return -1;
    *fid_r = id;
    return 0;
}

static int is_tracked(mh_proptag tag)
{
    return tag == PR_SOURCE_KEY || tag == PR_CHANGE_KEY || tag == PR_PREDECESSOR_CHANGE_LIST ||
           tag == PR_CHANGE_NUMBER;
}

static int is_hidden(mh_proptag tag)
{
    uint16_t id = MH_TAG_ID(tag);
    return id == MH_TAG_ID(TAG_SEARCH_RESTRICTION) || id == MH_TAG_ID(TAG_SEARCH_FOLDERS) ||
           id == MH_TAG_ID(TAG_SEARCH_FLAGS);
}

/* Whether a stored type answers a requested one (strings of either kind,
 * PT_UNSPECIFIED for any). */
static int type_answers(uint16_t asked, uint16_t have)
{
    if (asked == have || asked == PT_UNSPECIFIED)
        return 1;
    if (asked == PT_STRING8 && have == PT_UNICODE)
        return 1;
    if (asked == PT_MV_STRING8 && have == PT_MV_UNICODE)
        return 1;
    return 0;
}

static int asked_for(const mh_proptag *tags, uint32_t n, mh_proptag have)
{
    if (!tags)
        return 1;
    for (uint32_t i = 0; i < n; i++)
        if (MH_TAG_ID(tags[i]) == MH_TAG_ID(have) && type_answers(MH_TAG_TYPE(tags[i]),
                                                                    MH_TAG_TYPE(have)))
            return 1;
    return 0;
}

/* The special folder role of a folder, or MH_SF_COUNT. */
static int special_role(mh_betxn *t, mh_id fid, mh_special_folder *role_r)
{
    mh_mailbox_info mi;
    mh_error err;
    if (mh_be_mailbox_info(t, &mi, &err) != MH_OK)
        return 0;
    for (int i = 0; i < MH_SF_COUNT; i++)
        if (mi.special[i] == fid) {
            if (role_r)
                *role_r = (mh_special_folder)i;
            return 1;
        }
    return 0;
}

/* Whether `folder` is `ancestor` or lies below it. */
static uint32_t is_within(mh_betxn *t, mh_id folder, mh_id ancestor, int *within_r)
{
    mh_error err;
    *within_r = 0;
    for (int depth = 0; folder != 0; depth++) {
        if (folder == ancestor) {
            *within_r = 1;
            return 0;
        }
        if (depth > MAX_TREE_DEPTH)
            return MAPI_E_CORRUPT_DATA;
        mh_folder_info fi;
        mh_err e = mh_be_folder_info(t, folder, &fi, &err);
        if (e != MH_OK)
            return mh_err_to_mapi_failed(e);
        folder = fi.parent;
    }
    return 0;
}

static int has_rules(mh_betxn *t, mh_id fid, apr_pool_t *pool)
{
    (void)pool;
    mh_proplist *rules;
    uint32_t n = 0;
    mh_error err;
    if (mh_be_rules_get(t, fid, &rules, &n, &err) != MH_OK)
        return 0; /* a backend without rules has none */
    return n > 0;
}

/* -------------------------------------------------------------- rights */

uint32_t mh_folder_rights(mh_ropctx *cx, const mh_logon *lg, mh_betxn *t, mh_id fid,
                          uint32_t *rights_r)
{
    (void)cx;
    if (lg->own) {
        *rights_r = RIGHTS_ALL;
        return 0;
    }
    mh_permission *rows;
    uint32_t n;
    mh_error err;
    mh_err e = mh_be_permissions_get(t, fid, &rows, &n, &err);
    if (e != MH_OK)
        return mh_err_to_mapi_failed(e);
    /* MS-OXCPERM 3.2.5: the user's own entry first */
    for (uint32_t i = 0; i < n; i++)
        if (rows[i].member == (int64_t)lg->user) {
            *rights_r = rows[i].rights;
            return 0;
        }
    /* then the entries of the groups (distribution lists) they belong to,
     * together; a member that is no list answers MH_E_INVALID */
    uint32_t acc = 0;
    int in_group = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (rows[i].member <= 0 || rows[i].member > (int64_t)UINT32_MAX)
            continue;
        uint32_t *ids, n_ids;
        if (mh_be_dir_members(t, (uint32_t)rows[i].member, &ids, &n_ids, &err) != MH_OK)
            continue;
        for (uint32_t j = 0; j < n_ids; j++)
            if (ids[j] == lg->user) {
                acc |= rows[i].rights;
                in_group = 1;
                break;
            }
    }
    if (in_group) {
        *rights_r = acc;
        return 0;
    }
    /* else Default */
    *rights_r = 0;
    for (uint32_t i = 0; i < n; i++)
        if (rows[i].member == MH_MEMBER_DEFAULT)
            *rights_r = rows[i].rights;
    return 0;
}

static uint32_t access_of(uint32_t rights)
{
    uint32_t a = 0;
    if (rights & (FRIGHTS_VISIBLE | FRIGHTS_READ_ANY))
        a |= MAPI_ACCESS_READ;
    if (rights & FRIGHTS_OWNER)
        a |= MAPI_ACCESS_MODIFY | MAPI_ACCESS_DELETE | MAPI_ACCESS_CREATE_ASSOCIATED;
    if (rights & FRIGHTS_CREATE_SUBFOLDER)
        a |= MAPI_ACCESS_CREATE_HIERARCHY;
    if (rights & FRIGHTS_CREATE)
        a |= MAPI_ACCESS_CREATE_CONTENTS | MAPI_ACCESS_CREATE_ASSOCIATED;
    return a;
}

/* ------------------------------------------------------ folder values */

typedef struct outlist {
    apr_pool_t *pool;
    mh_propval *v;
    uint32_t n, cap;
} outlist;

static void out_add(outlist *o, const mh_propval *v)
{
    if (o->n == o->cap) {
        uint32_t cap = o->cap ? o->cap * 2 : 32;
        mh_propval *nv = apr_palloc(o->pool, cap * sizeof(*nv));
        if (o->n)
            memcpy(nv, o->v, o->n * sizeof(*nv));
        o->v = nv;
        o->cap = cap;
    }
    o->v[o->n++] = *v;
}

/* The computed tags, in the order GetPropertiesAll lists them. */
static const mh_proptag computed_tags[] = {
    PR_ENTRYID, PR_RECORD_KEY, PR_OBJECT_TYPE, PR_FID, PR_PARENT_FID,
    PR_PARENT_ENTRYID, PR_PARENT_SOURCE_KEY, PR_CONTENT_COUNT, PR_CONTENT_UNREAD,
    PR_ASSOC_CONTENT_COUNT, PR_FOLDER_CHILD_COUNT, PR_SUBFOLDERS, PR_MESSAGE_SIZE,
    PR_MESSAGE_SIZE_EXTENDED, PR_DELETED_COUNT_TOTAL, PR_ACCESS, PR_RIGHTS,
    PR_ACCESS_LEVEL, PR_FOLDER_TYPE, PR_STORE_ENTRYID, PR_STORE_RECORD_KEY,
    PR_LOCAL_COMMIT_TIME_MAX, PR_HAS_RULES, PR_CHANGE_NUMBER, PR_ATTR_HIDDEN,
};
#define N_COMPUTED (sizeof(computed_tags) / sizeof(computed_tags[0]))

/* Whether a tag is one the folder computes (the client cannot set it).
 * PR_ATTR_HIDDEN is computed only as a default: it can be set. */
static int is_computed(mh_proptag tag)
{
    for (size_t i = 0; i < N_COMPUTED; i++)
        if (MH_TAG_ID(computed_tags[i]) == MH_TAG_ID(tag) && computed_tags[i] != PR_ATTR_HIDDEN)
            return 1;
    return 0;
}

uint32_t mh_folder_props(mh_ropctx *cx, const mh_logon *lg, mh_betxn *t, mh_id fid,
                         const mh_proptag *tags, uint32_t n, uint64_t large,
                         apr_pool_t *pool, mh_proplist *out)
{
    mh_error err;
    mh_err e;
    mh_folder_info fi;
    if ((e = mh_be_folder_info(t, fid, &fi, &err)) != MH_OK)
        return mh_err_to_mapi_failed(e);
    mh_objref ref = folder_ref(fid);
    mh_proplist stored;
    if ((e = mh_be_props_get(t, &ref, NULL, 0, large, &stored, &err)) != MH_OK)
        return mh_err_to_mapi_failed(e);

    outlist o = {pool, NULL, 0, 0};
    uint32_t rights = 0;
    int have_rights = 0;
    for (size_t i = 0; i < N_COMPUTED; i++) {
        mh_proptag tag = computed_tags[i];
        if (!asked_for(tags, n, tag))
            continue;
        mh_propval v;
        memset(&v, 0, sizeof(v));
        v.tag = tag;
        mh_id parent = fi.parent ? fi.parent : fid; /* the root is its own parent */
        if ((tag == PR_ACCESS || tag == PR_RIGHTS || tag == PR_ACCESS_LEVEL) && !have_rights) {
            uint32_t ec = mh_folder_rights(cx, lg, t, fid, &rights);
            if (ec)
                return ec;
            have_rights = 1;
        }
        switch (tag) {
        case PR_ENTRYID:
        case PR_RECORD_KEY:
            /* the record key of a folder is its entry ID (MAPI PidTagRecordKey) */
            v.v.bin = folder_eid(lg, fid, pool);
            break;
        case PR_OBJECT_TYPE:
            v.v.i32 = MAPI_FOLDER;
            break;
        case PR_FID:
            v.v.i64 = (int64_t)mh_id_to_wire(fid, MH_REPLID_LOCAL);
            break;
        case PR_PARENT_FID:
            v.v.i64 = fi.parent ? (int64_t)mh_id_to_wire(fi.parent, MH_REPLID_LOCAL) : 0;
            break;
        case PR_PARENT_ENTRYID:
            v.v.bin = folder_eid(lg, parent, pool);
            break;
        case PR_PARENT_SOURCE_KEY:
            if (fi.parent) {
                mh_objref pref = folder_ref(fi.parent);
                mh_proptag sk = PR_SOURCE_KEY;
                mh_proplist pl;
                if ((e = mh_be_props_get(t, &pref, &sk, 1, UINT64_MAX, &pl, &err)) != MH_OK)
                    return mh_err_to_mapi_failed(e);
                const mh_propval *pv = mh_proplist_find(&pl, PR_SOURCE_KEY);
                if (pv)
                    v.v.bin = pv->v.bin;
                else
                    v.v.bin = folder_xid(lg, fi.parent, pool);
            } else {
                v.v.bin.len = 0; /* the root has no parent */
                v.v.bin.data = (const uint8_t *)"";
            }
            break;
        case PR_CONTENT_COUNT:
            v.v.i32 = (int32_t)fi.content_count;
            break;
        case PR_CONTENT_UNREAD:
            v.v.i32 = (int32_t)fi.unread_count;
            break;
        case PR_ASSOC_CONTENT_COUNT:
            v.v.i32 = (int32_t)fi.fai_count;
            break;
        case PR_FOLDER_CHILD_COUNT:
            v.v.i32 = (int32_t)fi.child_count;
            break;
        case PR_SUBFOLDERS:
            v.v.b = fi.child_count > 0;
            break;
        case PR_MESSAGE_SIZE:
            v.v.i32 = fi.message_bytes > INT32_MAX ? INT32_MAX : (int32_t)fi.message_bytes;
            break;
        case PR_MESSAGE_SIZE_EXTENDED:
            v.v.i64 = (int64_t)fi.message_bytes;
            break;
        case PR_DELETED_COUNT_TOTAL:
            v.v.i32 = 0; /* no soft-deleted items are kept */
            break;
        case PR_ACCESS:
            v.v.i32 = (int32_t)access_of(rights);
            break;
        case PR_RIGHTS:
            v.v.i32 = (int32_t)rights;
            break;
        case PR_ACCESS_LEVEL:
            v.v.i32 = (rights & (FRIGHTS_OWNER | FRIGHTS_CREATE | FRIGHTS_EDIT_ANY)) ? 1 : 0;
            break;
        case PR_FOLDER_TYPE:
            v.v.i32 = fi.parent == 0 ? FOLDER_ROOT
                      : (fi.flags & MH_FOLDER_SEARCH) ? FOLDER_SEARCH : FOLDER_GENERIC;
            break;
        case PR_STORE_ENTRYID:
            mh_store_entryid(lg, pool, &v.v.bin);
            break;
        case PR_STORE_RECORD_KEY: {
            uint8_t *g = apr_pmemdup(pool, lg->mailbox.b, 16);
            v.v.bin.len = 16;
            v.v.bin.data = g;
            break;
        }
        case PR_LOCAL_COMMIT_TIME_MAX: {
            /* the last change the folder's own values record */
            const mh_propval *lm = mh_proplist_find(&stored, PR_LAST_MODIFICATION_TIME);
            if (!lm)
                continue;
            v.v.ft = lm->v.ft;
            break;
        }
        case PR_HAS_RULES:
            v.v.b = (uint8_t)has_rules(t, fid, pool);
            break;
        case PR_CHANGE_NUMBER:
            /* the CN in the 64-bit form IDs travel in (MS-OXCFXICS 2.2.1.2.3) */
            v.v.i64 = (int64_t)mh_id_to_wire(fi.cn, MH_REPLID_LOCAL);
            break;
        case PR_ATTR_HIDDEN:
            if (mh_proplist_find(&stored, PR_ATTR_HIDDEN))
                continue; /* the stored value below */
            v.v.b = 0;
            break;
        default:
            continue;
        }
        out_add(&o, &v);
    }
    for (uint32_t i = 0; i < stored.n; i++) {
        const mh_propval *v = &stored.v[i];
        if (is_hidden(v->tag) || is_computed(v->tag) || !asked_for(tags, n, v->tag))
            continue;
        out_add(&o, v);
    }
    out->n = o.n;
    out->v = o.v;
    return 0;
}

/* --------------------------------------------------- the folder class */

static void folder_encode(mh_wr *wr, const void *data)
{
    const mh_folder *f = data;
    mh_wr_u64(wr, f->fid);
    mh_wr_u32(wr, f->rights);
}

static int folder_decode(mh_rd *rd, apr_pool_t *pool, void **data_r)
{
    mh_folder *f = apr_pcalloc(pool, sizeof(*f));
    f->fid = mh_rd_u64(rd);
    f->rights = mh_rd_u32(rd);
    if (rd->err || f->fid == 0 || f->fid > MH_ID_MAX)
        return -1;
    *data_r = f;
    return 0;
}

static uint32_t prop_get(mh_ropctx *cx, mh_object *obj, const mh_proptag *tags, uint32_t n,
                         uint64_t large, apr_pool_t *pool, mh_proplist *out)
{
    mh_folder *f = obj->data;
    mh_logon *lg = mh_obj_logon_data(cx, obj);
    if (!lg)
        return EC_NULL_OBJECT;
    mh_betxn *t;
    uint32_t ec = mh_rop_txn(cx, lg, MH_TXN_READ, &t);
    if (ec)
        return ec;
    ec = mh_folder_props(cx, lg, t, f->fid, tags, n, large, pool, out);
    mh_be_abort(t);
    return ec;
}

/*
 * Sets and deletes in one backend call.  Computed values cannot be
 * changed: each gets a problem (MAPI_E_NO_ACCESS, as for read-only values
 * in MS-OXCPRPT 3.2.5.4) and the others go ahead.  PR_LAST_MODIFICATION_TIME
 * follows every change.
 */
static uint32_t change_props(mh_ropctx *cx, mh_object *obj, const mh_proplist *vals,
                             const mh_proptag *del_tags, uint32_t n_del,
                             mh_propproblem **problems_r, uint16_t *n_problems_r)
{
    mh_folder *f = obj->data;
    mh_logon *lg = mh_obj_logon_data(cx, obj);
    if (!lg)
        return EC_NULL_OBJECT;
    if (!(f->rights & FRIGHTS_OWNER))
        return MAPI_E_NO_ACCESS; /* only owners change a folder (MS-OXCPERM 2.2.7) */
    uint32_t n_in = vals ? vals->n : n_del;
    mh_propproblem *pr = apr_palloc(cx->pool, (n_in + 1) * sizeof(*pr));
    uint16_t n_pr = 0;
    mh_proplist set = {0, apr_palloc(cx->pool, ((vals ? vals->n : 0) + 1) * sizeof(mh_propval))};
    mh_proptag *del = apr_palloc(cx->pool, (n_del + 1) * sizeof(mh_proptag));
    uint32_t nd = 0;
    for (uint32_t i = 0; i < n_in; i++) {
        mh_proptag tag = vals ? vals->v[i].tag : del_tags[i];
        if (is_computed(tag) || is_tracked(tag) || is_hidden(tag) ||
            (vals && !mh_type_storable(MH_TAG_TYPE(tag)))) {
            pr[n_pr].index = (uint16_t)i;
            pr[n_pr].tag = tag;
            pr[n_pr].err = is_computed(tag) || is_tracked(tag) || is_hidden(tag)
                               ? MAPI_E_NO_ACCESS
                               : MAPI_E_INVALID_TYPE;
            n_pr++;
            continue;
        }
        if (vals)
            set.v[set.n++] = vals->v[i];
        else
            del[nd++] = tag;
    }
    *problems_r = pr;
    *n_problems_r = n_pr;
    if (set.n == 0 && nd == 0)
        return 0;
    mh_propval mod = mh_pv_time(PR_LAST_MODIFICATION_TIME, mh_filetime_from_apr(apr_time_now()));
    mh_proplist_set(cx->pool, &set, &mod);
    mh_betxn *t;
    uint32_t ec = mh_rop_txn(cx, lg, MH_TXN_WRITE, &t);
    if (ec)
        return ec;
    mh_objref ref = folder_ref(f->fid);
    mh_id cn;
    mh_error err;
    mh_err e = mh_be_props_set(t, &ref, &set, nd ? del : NULL, nd, NULL, &cn, &err);
    if (e != MH_OK) {
        mh_be_abort(t);
        return mh_err_to_mapi_failed(e); /* MH_E_EXISTS: a sibling has the name (MAPI_E_COLLISION) */
    }
    return mh_rop_commit(cx, t);
}

static uint32_t prop_set(mh_ropctx *cx, mh_object *obj, const mh_proplist *vals,
                         mh_propproblem **problems_r, uint16_t *n_problems_r)
{
    return change_props(cx, obj, vals, NULL, 0, problems_r, n_problems_r);
}

static uint32_t prop_del(mh_ropctx *cx, mh_object *obj, const mh_proptag *tags, uint32_t n,
                         mh_propproblem **problems_r, uint16_t *n_problems_r)
{
    return change_props(cx, obj, NULL, tags, n, problems_r, n_problems_r);
}

static uint32_t prop_read(mh_ropctx *cx, mh_object *obj, mh_proptag tag, uint64_t offset,
                          void *buf, size_t len, size_t *got_r)
{
    mh_folder *f = obj->data;
    mh_logon *lg = mh_obj_logon_data(cx, obj);
    if (!lg)
        return EC_NULL_OBJECT;
    if (is_hidden(tag))
        return MAPI_E_NOT_FOUND;
    mh_betxn *t;
    uint32_t ec = mh_rop_txn(cx, lg, MH_TXN_READ, &t);
    if (ec)
        return ec;
    mh_objref ref = folder_ref(f->fid);
    mh_error err;
    mh_err e = mh_be_value_read(t, &ref, tag, offset, buf, len, got_r, &err);
    mh_be_abort(t);
    return e == MH_OK ? 0 : mh_err_to_mapi_failed(e);
}

static const mh_propops folder_propops = {
    .get = prop_get,
    .set = prop_set,
    .del = prop_del,
    .read = prop_read,
};

const mh_objclass mh_folder_class = {
    .name = "folder",
    .encode = folder_encode,
    .decode = folder_decode,
    .props = &folder_propops,
};

/* ------------------------------------------------------ ROP plumbing */

/* The folder at a handle index, with its logon. */
static uint32_t input_folder(mh_ropctx *cx, const mh_rop *rop, uint8_t idx, mh_object **obj_r,
                             mh_folder **f_r, mh_logon **lg_r)
{
    mh_object *obj;
    uint32_t ec = mh_rop_object(cx, rop, idx, MH_OTM(MH_OT_FOLDER), &obj);
    if (ec)
        return ec;
    mh_logon *lg = mh_obj_logon_data(cx, obj);
    if (!lg)
        return EC_NULL_OBJECT;
    *obj_r = obj;
    *f_r = obj->data;
    *lg_r = lg;
    return 0;
}

/* The object new folder objects hang from: the logon, so that releasing
 * the folder a folder was opened through leaves it open (as Exchange). */
static uint32_t folder_parent_handle(mh_ropctx *cx, const mh_object *in)
{
    mh_object *lo = mh_obj_logon(cx, in->logon_id);
    return lo ? lo->handle : in->handle;
}

static mh_object *new_folder_object(mh_ropctx *cx, mh_rop *rop, const mh_object *in, mh_id fid,
                                    uint32_t rights)
{
    mh_object *o = mh_obj_create(cx, rop, MH_OT_FOLDER, in->logon_id,
                                 folder_parent_handle(cx, in));
    if (!o)
        return NULL;
    mh_folder *f = apr_pcalloc(o->pool, sizeof(*f));
    f->fid = fid;
    f->rights = rights;
    o->data = f;
    return o;
}

/* A String8 or Unicode string of a request, as UTF-8. */
static const char *rd_string(mh_ropctx *cx, mh_rd *rd, int unicode)
{
    mh_propval v;
    if (mh_rd_propval(rd, unicode ? PT_UNICODE : PT_STRING8, cx->cp, cx->pool, &v) != 0)
        return NULL;
    return v.v.str;
}

static void tick(mh_ropctx *cx)
{
    if (cx->tick)
        cx->tick(cx->tick_baton);
}

/* ---------------------------------------------- deleting and copying */

/* Deletes the messages of a folder (normal, and with `fai` associated). */
static uint32_t delete_contents(mh_ropctx *cx, mh_betxn *t, mh_id fid, int fai)
{
    mh_id ids[LIST_BATCH];
    mh_error err;
    for (int pass = 0; pass < (fai ? 2 : 1); pass++) {
        unsigned flags = pass ? MH_LIST_FAI : 0;
        for (;;) {
            /* always from the start: the deletions change what a cursor
             * points into */
            mh_cursor from, next;
            from.len = 0;
            uint32_t n;
            mh_err e = mh_be_contents_list(t, fid, flags, NULL, &from, LIST_BATCH, ids, &n,
                                           &next, &err);
            if (e != MH_OK)
                return mh_err_to_mapi_failed(e);
            if (n == 0)
                break;
            for (uint32_t i = 0; i < n; i++)
                if ((e = mh_be_message_delete(t, ids[i], &err)) != MH_OK)
                    return mh_err_to_mapi_failed(e);
            tick(cx);
        }
    }
    return 0;
}

/* Deletes a folder with everything in and below it. */
static uint32_t delete_tree(mh_ropctx *cx, mh_betxn *t, mh_id fid, int depth)
{
    if (depth > MAX_TREE_DEPTH)
        return MAPI_E_CORRUPT_DATA;
    mh_error err;
    mh_id *kids;
    uint32_t n;
    mh_err e = mh_be_folder_children(t, fid, &kids, &n, &err);
    if (e != MH_OK)
        return mh_err_to_mapi_failed(e);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t ec = delete_tree(cx, t, kids[i], depth + 1);
        if (ec)
            return ec;
    }
    uint32_t ec = delete_contents(cx, t, fid, 1);
    if (ec)
        return ec;
    if ((e = mh_be_folder_delete(t, fid, &err)) != MH_OK)
        return mh_err_to_mapi_failed(e);
    return 0;
}

/*
 * Empties a folder: its messages (FAI too with `fai`) and its subfolders;
 * special folders below it stay (they cannot be deleted) and make the
 * result partial.
 */
static uint32_t empty_folder(mh_ropctx *cx, mh_betxn *t, mh_id fid, int fai, int *partial_r)
{
    uint32_t ec = delete_contents(cx, t, fid, fai);
    if (ec)
        return ec;
    mh_error err;
    mh_id *kids;
    uint32_t n;
    mh_err e = mh_be_folder_children(t, fid, &kids, &n, &err);
    if (e != MH_OK)
        return mh_err_to_mapi_failed(e);
    for (uint32_t i = 0; i < n; i++) {
        if (special_role(t, kids[i], NULL)) {
            *partial_r = 1;
            continue;
        }
        if ((ec = delete_tree(cx, t, kids[i], 1)) != 0)
            return ec;
    }
    return 0;
}

/* Copies every message (normal and FAI) of a folder into another. */
static uint32_t copy_contents(mh_ropctx *cx, mh_betxn *t, mh_id from_fid, mh_id to_fid)
{
    mh_id ids[LIST_BATCH];
    mh_error err;
    for (int pass = 0; pass < 2; pass++) {
        unsigned flags = pass ? MH_LIST_FAI : 0;
        mh_cursor from;
        from.len = 0;
        for (;;) {
            mh_cursor next;
            uint32_t n;
            mh_err e = mh_be_contents_list(t, from_fid, flags, NULL, &from, LIST_BATCH, ids,
                                           &n, &next, &err);
            if (e != MH_OK)
                return mh_err_to_mapi_failed(e);
            for (uint32_t i = 0; i < n; i++) {
                mh_id nid;
                if ((e = mh_be_message_move(t, ids[i], to_fid, 1, NULL, &nid, &err)) != MH_OK)
                    return mh_err_to_mapi_failed(e);
            }
            tick(cx);
            if (next.len == 0 || n == 0)
                break;
            from = next;
        }
    }
    return 0;
}

/* Copies folder `fid` under `parent` as `name` (NULL: its own name), its
 * messages, and with `recursive` its subfolders. */
static uint32_t copy_tree(mh_ropctx *cx, mh_betxn *t, mh_id fid, mh_id parent, const char *name,
                          int recursive, int depth)
{
    if (depth > MAX_TREE_DEPTH)
        return MAPI_E_CORRUPT_DATA;
    mh_error err;
    mh_err e;
    mh_folder_info fi;
    if ((e = mh_be_folder_info(t, fid, &fi, &err)) != MH_OK)
        return mh_err_to_mapi_failed(e);
    mh_objref ref = folder_ref(fid);
    mh_proplist all;
    if ((e = mh_be_props_get(t, &ref, NULL, 0, UINT64_MAX, &all, &err)) != MH_OK)
        return mh_err_to_mapi_failed(e);
    mh_proplist props = {0, apr_palloc(cx->pool, (all.n + 2) * sizeof(mh_propval))};
    for (uint32_t i = 0; i < all.n; i++)
        if (!is_tracked(all.v[i].tag))
            props.v[props.n++] = all.v[i];
    if (name) {
        mh_propval dn = mh_pv_str(PR_DISPLAY_NAME, name);
        mh_proplist_set(cx->pool, &props, &dn);
    }
    mh_id *kids = NULL;
    uint32_t n_kids = 0;
    if (recursive && (e = mh_be_folder_children(t, fid, &kids, &n_kids, &err)) != MH_OK)
        return mh_err_to_mapi_failed(e);
    mh_id nfid;
    if ((e = mh_be_folder_create(t, parent, &props, fi.flags & MH_FOLDER_SEARCH, NULL, &nfid,
                                 &err)) != MH_OK)
        return mh_err_to_mapi_failed(e);
    uint32_t ec = copy_contents(cx, t, fid, nfid);
    if (ec)
        return ec;
    for (uint32_t i = 0; i < n_kids; i++)
        if ((ec = copy_tree(cx, t, kids[i], nfid, NULL, 1, depth + 1)) != 0)
            return ec;
    return 0;
}

/* ------------------------------------------------- RopCopyTo on folders */

/* Every message of a folder (normal, or with `fai` associated), listed
 * before any is touched: a copy into the folder itself must not see its
 * own copies, a move changes what a cursor points into. */
static uint32_t list_messages(mh_ropctx *cx, mh_betxn *t, mh_id fid, int fai, mh_id **ids_r,
                              uint32_t *n_r)
{
    apr_array_header_t *all = apr_array_make(cx->pool, 64, sizeof(mh_id));
    mh_id ids[LIST_BATCH];
    mh_cursor from;
    from.len = 0;
    mh_error err;
    for (;;) {
        mh_cursor next;
        uint32_t n;
        mh_err e = mh_be_contents_list(t, fid, fai ? MH_LIST_FAI : 0, NULL, &from, LIST_BATCH,
                                       ids, &n, &next, &err);
        if (e != MH_OK)
            return mh_err_to_mapi_failed(e);
        for (uint32_t i = 0; i < n; i++)
            *(mh_id *)apr_array_push(all) = ids[i];
        if (next.len == 0 || n == 0)
            break;
        from = next;
    }
    *ids_r = (mh_id *)all->elts;
    *n_r = (uint32_t)all->nelts;
    return 0;
}

static int excluded(const mh_proptag *excl, uint16_t nexcl, mh_proptag tag)
{
    for (uint16_t k = 0; k < nexcl; k++)
        if (MH_TAG_ID(excl[k]) == MH_TAG_ID(tag))
            return 1;
    return 0;
}

uint32_t mh_folder_copy_to(mh_ropctx *cx, mh_object *src, mh_object *dst,
                           const mh_proptag *excl, uint16_t nexcl, unsigned subs,
                           uint8_t flags)
{
    if (src->type != MH_OT_FOLDER || dst->type != MH_OT_FOLDER)
        return MAPI_E_NO_SUPPORT;
    mh_folder *sf = src->data, *df = dst->data;
    mh_logon *lg = mh_obj_logon_data(cx, src), *dlg = mh_obj_logon_data(cx, dst);
    if (!lg || !dlg)
        return EC_NULL_OBJECT;
    if (memcmp(lg->mailbox.b, dlg->mailbox.b, 16) != 0)
        return MAPI_E_NO_SUPPORT; /* between mailboxes: not yet (one transaction each) */
    int move = (flags & MH_COPY_MOVE) != 0;
    unsigned msgs = subs & (MH_SUB_CONTENTS | MH_SUB_FAI);
    /* the destination's values are the owner's to change (as SetProperties);
     * sub-objects need the rights their own ROPs need (MoveCopyMessages,
     * CopyFolder, MoveFolder) */
    if (!(df->rights & FRIGHTS_OWNER) ||
        ((subs & MH_SUB_SUBFOLDERS) && !(df->rights & FRIGHTS_CREATE_SUBFOLDER)) ||
        (msgs && (!(df->rights & FRIGHTS_CREATE) || !(sf->rights & FRIGHTS_READ_ANY))) ||
        (msgs && move && !(sf->rights & FRIGHTS_DELETE_ANY)))
        return MAPI_E_NO_ACCESS;
    mh_betxn *t;
    uint32_t ec = mh_rop_txn(cx, lg, MH_TXN_WRITE, &t);
    if (ec)
        return ec;
    mh_error err;
    mh_err e;
    int within = 0;
    if ((subs & MH_SUB_SUBFOLDERS) && (ec = is_within(t, df->fid, sf->fid, &within)) != 0)
        goto fail;
    if (within) {
        ec = MAPI_E_FOLDER_CYCLE; /* MS-OXCPRPT 3.2.5.8 */
        goto fail;
    }
    if (msgs) {
        mh_folder_info dfi;
        if ((e = mh_be_folder_info(t, df->fid, &dfi, &err)) != MH_OK) {
            ec = mh_err_to_mapi_failed(e);
            goto fail;
        }
        if (dfi.flags & MH_FOLDER_SEARCH) {
            ec = MAPI_E_NO_SUPPORT; /* search folders hold links, not messages */
            goto fail;
        }
    }

    /* the values */
    mh_objref sref = folder_ref(sf->fid), dref = folder_ref(df->fid);
    mh_proplist all, have = {0, NULL};
    if ((e = mh_be_props_get(t, &sref, NULL, 0, UINT64_MAX, &all, &err)) != MH_OK ||
        ((flags & MH_COPY_NOOVERWRITE) &&
         (e = mh_be_props_get(t, &dref, NULL, 0, 0, &have, &err)) != MH_OK)) {
        ec = mh_err_to_mapi_failed(e);
        goto fail;
    }
    mh_proplist set = {0, apr_palloc(cx->pool, (all.n + 1) * sizeof(mh_propval))};
    for (uint32_t i = 0; i < all.n; i++) {
        mh_proptag tag = all.v[i].tag;
        if (is_tracked(tag) || is_hidden(tag) || is_computed(tag) ||
            !mh_type_storable(MH_TAG_TYPE(tag)) || excluded(excl, nexcl, tag))
            continue;
        int present = 0;
        for (uint32_t k = 0; k < have.n && !present; k++)
            present = MH_TAG_ID(have.v[k].tag) == MH_TAG_ID(tag);
        if (!present)
            set.v[set.n++] = all.v[i];
    }
    if (set.n) {
        mh_propval mod =
            mh_pv_time(PR_LAST_MODIFICATION_TIME, mh_filetime_from_apr(apr_time_now()));
        mh_proplist_set(cx->pool, &set, &mod);
        mh_id cn;
        /* MH_E_EXISTS: a sibling of the destination has the name */
        if ((e = mh_be_props_set(t, &dref, &set, NULL, 0, NULL, &cn, &err)) != MH_OK) {
            ec = mh_err_to_mapi_failed(e);
            goto fail;
        }
    }

    /* the subfolders, with everything below them; a name the destination
     * has already is CollidingNames (MS-OXCPRPT 3.2.5.8) */
    if (subs & MH_SUB_SUBFOLDERS) {
        mh_id *kids;
        uint32_t n_kids;
        if ((e = mh_be_folder_children(t, sf->fid, &kids, &n_kids, &err)) != MH_OK) {
            ec = mh_err_to_mapi_failed(e);
            goto fail;
        }
        for (uint32_t i = 0; i < n_kids; i++) {
            if (move) {
                uint32_t rights;
                if (special_role(t, kids[i], NULL)) {
                    ec = MAPI_E_NO_ACCESS; /* special folders stay where they are */
                    goto fail;
                }
                if ((ec = mh_folder_rights(cx, lg, t, kids[i], &rights)) != 0)
                    goto fail;
                if (!(rights & FRIGHTS_OWNER)) {
                    ec = MAPI_E_NO_ACCESS;
                    goto fail;
                }
                e = mh_be_folder_move(t, kids[i], df->fid, NULL, &err);
                if (e != MH_OK) {
                    ec = mh_err_to_mapi_failed(e);
                    goto fail;
                }
            } else if ((ec = copy_tree(cx, t, kids[i], df->fid, NULL, 1, 1)) != 0) {
                goto fail;
            }
        }
    }

    /* the messages */
    for (int fai = 0; fai < 2; fai++) {
        if (!(msgs & (fai ? MH_SUB_FAI : MH_SUB_CONTENTS)) || (move && sf->fid == df->fid))
            continue;
        mh_id *ids;
        uint32_t n;
        if ((ec = list_messages(cx, t, sf->fid, fai, &ids, &n)) != 0)
            goto fail;
        for (uint32_t i = 0; i < n; i++) {
            mh_id nid;
            if ((e = mh_be_message_move(t, ids[i], df->fid, !move, NULL, &nid, &err)) != MH_OK) {
                ec = mh_err_to_mapi_failed(e);
                goto fail;
            }
            if (i % LIST_BATCH == LIST_BATCH - 1)
                tick(cx);
        }
    }
    return mh_rop_commit(cx, t);
fail:
    mh_be_abort(t);
    return ec;
}

/* ---------------------------------------------------------- the ROPs */

/* RopOpenFolder (MS-OXCROPS 2.2.4.1, MS-OXCFOLD 3.2.5.1) */
static uint32_t rop_open_folder(mh_ropctx *cx, mh_rop *rop)
{
    uint64_t wire = mh_rd_u64(rop->rd);
    uint8_t mode = mh_rd_u8(rop->rd);
    (void)mode; /* OpenSoftDeleted: no soft-deleted folders are kept, so
                   existing folders are all there is */
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *in;
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx,
                                MH_OTM(MH_OT_LOGON) | MH_OTM(MH_OT_FOLDER), &in);
    if (ec)
        return ec;
    mh_logon *lg = mh_obj_logon_data(cx, in);
    if (!lg)
        return EC_NULL_OBJECT;
    mh_id fid;
    if (fid_from_wire(wire, &fid) != 0)
        return MAPI_E_NOT_FOUND;
    mh_betxn *t;
    if ((ec = mh_rop_txn(cx, lg, MH_TXN_READ, &t)) != 0)
        return ec;
    mh_folder_info fi;
    mh_error err;
    mh_err e = mh_be_folder_info(t, fid, &fi, &err);
    uint32_t rights = 0;
    if (e != MH_OK)
        ec = mh_err_to_mapi_failed(e);
    else if ((ec = mh_folder_rights(cx, lg, t, fid, &rights)) == 0 &&
             !(rights & FRIGHTS_VISIBLE))
        ec = MAPI_E_NO_ACCESS; /* MS-OXCPERM 2.2.7: Visible lets a user see it */
    int rules = ec ? 0 : has_rules(t, fid, cx->pool);
    mh_be_abort(t);
    if (ec)
        return ec;
    if (!new_folder_object(cx, rop, in, fid, rights))
        return MAPI_E_CALL_FAILED;
    mh_wr_u8(rop->body, (uint8_t)rules); /* HasRules */
    mh_wr_u8(rop->body, 0);              /* IsGhosted: private mailboxes are never */
    return 0;
}

/* RopCreateFolder (MS-OXCROPS 2.2.4.2, MS-OXCFOLD 3.2.5.2) */
static uint32_t rop_create_folder(mh_ropctx *cx, mh_rop *rop)
{
    mh_rd *rd = rop->rd;
    uint8_t type = mh_rd_u8(rd);
    uint8_t unicode = mh_rd_u8(rd);
    uint8_t open_existing = mh_rd_u8(rd);
    (void)mh_rd_u8(rd); /* Reserved */
    const char *name = rd_string(cx, rd, unicode);
    const char *comment = rd_string(cx, rd, unicode);
    if (rd->err || !name || !comment)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *in;
    mh_folder *pf;
    mh_logon *lg;
    uint32_t ec = input_folder(cx, rop, rop->h.in_idx, &in, &pf, &lg);
    if (ec)
        return ec;
    if (type != FOLDER_GENERIC && type != FOLDER_SEARCH)
        return MAPI_E_INVALID_PARAMETER; /* MS-OXCFOLD 2.2.1.2.1 */
    if (!*name)
        return MAPI_E_INVALID_PARAMETER;
    if (!(pf->rights & FRIGHTS_CREATE_SUBFOLDER))
        return MAPI_E_NO_ACCESS;
    mh_betxn *t;
    if ((ec = mh_rop_txn(cx, lg, MH_TXN_WRITE, &t)) != 0)
        return ec;
    mh_error err;
    mh_err e;
    mh_folder_info pfi;
    mh_id fid = 0;
    int existing = 0, rules = 0;
    uint32_t rights = RIGHTS_ALL;
    if ((e = mh_be_folder_info(t, pf->fid, &pfi, &err)) != MH_OK) {
        ec = mh_err_to_mapi_failed(e);
        goto fail;
    }
    if (pfi.flags & MH_FOLDER_SEARCH) {
        ec = MAPI_E_NO_SUPPORT; /* search folders hold links, not folders */
        goto fail;
    }
    e = mh_be_folder_find(t, pf->fid, name, &fid, &err);
    if (e == MH_OK) {
        if (!open_existing) {
            ec = MAPI_E_COLLISION; /* ecDuplicateName */
            goto fail;
        }
        existing = 1;
        if ((ec = mh_folder_rights(cx, lg, t, fid, &rights)) != 0)
            goto fail;
        rules = has_rules(t, fid, cx->pool);
        mh_be_abort(t);
    } else if (e != MH_E_NOT_FOUND) {
        ec = mh_err_to_mapi_failed(e);
        goto fail;
    } else {
        uint64_t now = mh_filetime_from_apr(apr_time_now());
        mh_propval v[4];
        mh_proplist l = {0, v};
        v[l.n++] = mh_pv_str(PR_DISPLAY_NAME, name);
        if (*comment)
            v[l.n++] = mh_pv_str(PR_COMMENT, comment);
        v[l.n++] = mh_pv_time(PR_CREATION_TIME, now);
        v[l.n++] = mh_pv_time(PR_LAST_MODIFICATION_TIME, now);
        unsigned flags = type == FOLDER_SEARCH ? MH_FOLDER_SEARCH : 0;
        if ((e = mh_be_folder_create(t, pf->fid, &l, flags, NULL, &fid, &err)) != MH_OK) {
            ec = mh_err_to_mapi_failed(e);
            goto fail;
        }
        if (!lg->own) {
            /* A folder made in someone else's mailbox takes the parent's
             * permissions, and its maker becomes an owner of it. */
            mh_permission *rows;
            uint32_t n;
            if ((e = mh_be_permissions_get(t, pf->fid, &rows, &n, &err)) != MH_OK) {
                ec = mh_err_to_mapi_failed(e);
                goto fail;
            }
            mh_permission *nr = apr_palloc(cx->pool, (n + 1) * sizeof(*nr));
            uint32_t k = 0;
            for (uint32_t i = 0; i < n; i++)
                if (rows[i].member != (int64_t)lg->user)
                    nr[k++] = rows[i];
            nr[k].member = lg->user;
            nr[k].rights = RIGHTS_OWNER_ROLE;
            k++;
            if ((e = mh_be_permissions_set(t, fid, nr, k, &err)) != MH_OK) {
                ec = mh_err_to_mapi_failed(e);
                goto fail;
            }
            rights = RIGHTS_OWNER_ROLE;
        }
        if ((ec = mh_rop_commit(cx, t)) != 0)
            return ec;
    }
    if (!new_folder_object(cx, rop, in, fid, rights))
        return MAPI_E_CALL_FAILED;
    mh_wr_u64(rop->body, mh_id_to_wire(fid, MH_REPLID_LOCAL));
    /* MS-OXCROPS 2.2.4.2.2: IsExistingFolder, then HasRules and IsGhosted
     * only when it is nonzero */
    mh_wr_u8(rop->body, (uint8_t)existing);
    if (existing) {
        mh_wr_u8(rop->body, (uint8_t)rules);
        mh_wr_u8(rop->body, 0); /* IsGhosted */
    }
    return 0;
fail:
    mh_be_abort(t);
    return ec;
}

/* RopDeleteFolder (MS-OXCROPS 2.2.4.3, MS-OXCFOLD 3.2.5.3) */
static uint32_t rop_delete_folder(mh_ropctx *cx, mh_rop *rop)
{
    uint8_t flags = mh_rd_u8(rop->rd);
    uint64_t wire = mh_rd_u64(rop->rd);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *in;
    mh_folder *pf;
    mh_logon *lg;
    uint32_t ec = input_folder(cx, rop, rop->h.in_idx, &in, &pf, &lg);
    if (ec)
        return ec;
    if (flags & ~(DEL_MESSAGES | DEL_FOLDERS | DELETE_HARD_DELETE))
        return MAPI_E_UNKNOWN_FLAGS;
    mh_id fid;
    if (fid_from_wire(wire, &fid) != 0)
        return MAPI_E_NOT_FOUND;
    mh_betxn *t;
    if ((ec = mh_rop_txn(cx, lg, MH_TXN_WRITE, &t)) != 0)
        return ec;
    mh_error err;
    mh_err e;
    mh_folder_info fi;
    uint32_t rights;
    int partial = 0;
    if ((e = mh_be_folder_info(t, fid, &fi, &err)) != MH_OK) {
        ec = mh_err_to_mapi_failed(e);
        goto fail;
    }
    if (fi.parent != pf->fid) {
        ec = MAPI_E_NOT_FOUND; /* not a subfolder of the input folder */
        goto fail;
    }
    if (special_role(t, fid, NULL)) {
        ec = MAPI_E_NO_ACCESS; /* special folders stay (MS-OXOSFLD 3.1.4.1) */
        goto fail;
    }
    if ((ec = mh_folder_rights(cx, lg, t, fid, &rights)) != 0)
        goto fail;
    if (!(rights & FRIGHTS_OWNER)) {
        ec = MAPI_E_NO_ACCESS;
        goto fail;
    }
    /* By default only empty folders go; a folder whose contents the flags
     * do not cover stays, and the response says PartialCompletion. */
    if (((fi.content_count || fi.fai_count) && !(flags & DEL_MESSAGES)) ||
        (fi.child_count && !(flags & DEL_FOLDERS))) {
        partial = 1;
        mh_be_abort(t);
    } else {
        if ((ec = delete_tree(cx, t, fid, 0)) != 0)
            goto fail;
        if ((ec = mh_rop_commit(cx, t)) != 0)
            return ec;
    }
    mh_wr_u8(rop->body, (uint8_t)partial);
    return 0;
fail:
    mh_be_abort(t);
    return ec;
}

/* RopDeleteMessages and RopHardDeleteMessages (MS-OXCROPS 2.2.4.11,
 * 2.2.4.12; MS-OXCFOLD 3.2.5.11, 3.2.5.12). */
static uint32_t delete_messages(mh_ropctx *cx, mh_rop *rop)
{
    mh_rd *rd = rop->rd;
    (void)mh_rd_u8(rd); /* WantAsynchronous: done synchronously */
    /* NotifyNonRead: non-read receipts come with mail flow; none are sent yet */
    (void)mh_rd_u8(rd);
    uint16_t count = mh_rd_u16(rd);
    if (!mh_rd_need(rd, (size_t)count * 8))
        return MAPI_E_INVALID_PARAMETER;
    const unsigned char *ids = mh_rd_bytes(rd, (size_t)count * 8);
    if (rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *in;
    mh_folder *f;
    mh_logon *lg;
    uint32_t ec = input_folder(cx, rop, rop->h.in_idx, &in, &f, &lg);
    if (ec)
        return ec;
    /* Deleting needs DeleteAny: the store does not record who made a
     * message, so DeleteOwned alone deletes nothing (see the report). */
    if (!(f->rights & FRIGHTS_DELETE_ANY))
        return MAPI_E_NO_ACCESS;
    mh_betxn *t;
    if ((ec = mh_rop_txn(cx, lg, MH_TXN_WRITE, &t)) != 0)
        return ec;
    int partial = 0;
    mh_error err;
    for (uint16_t i = 0; i < count; i++) {
        uint64_t w = 0;
        for (int b = 7; b >= 0; b--)
            w = (w << 8) | ids[i * 8 + b];
        uint16_t replid;
        mh_id mid = mh_id_from_wire(w, &replid);
        mh_message_info mi;
        if (replid != MH_REPLID_LOCAL || mid == 0 ||
            mh_be_message_info(t, mid, &mi, &err) != MH_OK || mi.folder != f->fid) {
            partial = 1; /* not a message of this folder */
            continue;
        }
        mh_err e = mh_be_message_delete(t, mid, &err);
        if (e != MH_OK) {
            mh_be_abort(t);
            return mh_err_to_mapi_failed(e);
        }
    }
    if ((ec = mh_rop_commit(cx, t)) != 0)
        return ec;
    mh_wr_u8(rop->body, (uint8_t)partial);
    return 0;
}

/* RopEmptyFolder and RopHardDeleteMessagesAndSubfolders (MS-OXCROPS
 * 2.2.4.9, 2.2.4.10; MS-OXCFOLD 3.2.5.9, 3.2.5.10). */
static uint32_t empty(mh_ropctx *cx, mh_rop *rop)
{
    (void)mh_rd_u8(rop->rd); /* WantAsynchronous: done synchronously */
    uint8_t fai = mh_rd_u8(rop->rd);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *in;
    mh_folder *f;
    mh_logon *lg;
    uint32_t ec = input_folder(cx, rop, rop->h.in_idx, &in, &f, &lg);
    if (ec)
        return ec;
    if (!(f->rights & FRIGHTS_DELETE_ANY) ||
        !(f->rights & FRIGHTS_OWNER)) /* subfolders go too: an owner's act */
        return MAPI_E_NO_ACCESS;
    mh_betxn *t;
    if ((ec = mh_rop_txn(cx, lg, MH_TXN_WRITE, &t)) != 0)
        return ec;
    int partial = 0;
    mh_special_folder role;
    if (special_role(t, f->fid, &role) && (role == MH_SF_ROOT || role == MH_SF_IPM_SUBTREE)) {
        mh_be_abort(t);
        return MAPI_E_NO_ACCESS; /* the whole mailbox: never emptied at once */
    }
    if ((ec = empty_folder(cx, t, f->fid, fai != 0, &partial)) != 0) {
        mh_be_abort(t);
        return ec;
    }
    if ((ec = mh_rop_commit(cx, t)) != 0)
        return ec;
    mh_wr_u8(rop->body, (uint8_t)partial);
    return 0;
}

/*
 * The destination folder of a two-handle ROP: a missing object is
 * ecDstNullObject, whose failure response (DestHandleIndex u32 and
 * PartialCompletion) mh_ropinfo writes from rop->dest_idx.
 */
static uint32_t dest_folder(mh_ropctx *cx, mh_rop *rop, uint8_t idx, mh_object **obj_r,
                            mh_folder **f_r, mh_logon **lg_r)
{
    rop->dest_idx = idx;
    uint32_t ec = input_folder(cx, rop, idx, obj_r, f_r, lg_r);
    return ec == EC_NULL_OBJECT ? EC_DST_NULL_OBJECT : ec;
}

/* RopMoveCopyMessages (MS-OXCROPS 2.2.4.6, MS-OXCFOLD 3.2.5.6) */
static uint32_t rop_move_copy_messages(mh_ropctx *cx, mh_rop *rop)
{
    mh_rd *rd = rop->rd;
    uint8_t dst_idx = rop->h.dest_idx; /* a common field (mh_ropinfo) */
    uint16_t count = mh_rd_u16(rd);
    if (!mh_rd_need(rd, (size_t)count * 8))
        return MAPI_E_INVALID_PARAMETER;
    const unsigned char *ids = mh_rd_bytes(rd, (size_t)count * 8);
    (void)mh_rd_u8(rd); /* WantAsynchronous: done synchronously */
    uint8_t copy = mh_rd_u8(rd);
    rop->dest_idx = dst_idx;
    if (rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *sin, *din;
    mh_folder *sf, *df;
    mh_logon *slg, *dlg;
    uint32_t ec = input_folder(cx, rop, rop->h.in_idx, &sin, &sf, &slg);
    if (ec)
        return ec;
    if ((ec = dest_folder(cx, rop, dst_idx, &din, &df, &dlg)) != 0)
        return ec;
    if (memcmp(slg->mailbox.b, dlg->mailbox.b, 16) != 0)
        return MAPI_E_NO_SUPPORT; /* between mailboxes: not yet (one transaction each) */
    if (!(sf->rights & FRIGHTS_READ_ANY) || (!copy && !(sf->rights & FRIGHTS_DELETE_ANY)) ||
        !(df->rights & FRIGHTS_CREATE))
        return MAPI_E_NO_ACCESS;
    mh_betxn *t;
    if ((ec = mh_rop_txn(cx, slg, MH_TXN_WRITE, &t)) != 0)
        return ec;
    int partial = 0;
    mh_error err;
    mh_folder_info dfi;
    mh_err de = mh_be_folder_info(t, df->fid, &dfi, &err);
    if (de != MH_OK || (dfi.flags & MH_FOLDER_SEARCH)) {
        mh_be_abort(t);
        /* search folders hold links the search makes, not messages */
        return de != MH_OK ? mh_err_to_mapi_failed(de) : MAPI_E_NO_SUPPORT;
    }
    for (uint16_t i = 0; i < count; i++) {
        uint64_t w = 0;
        for (int b = 7; b >= 0; b--)
            w = (w << 8) | ids[i * 8 + b];
        uint16_t replid;
        mh_id mid = mh_id_from_wire(w, &replid);
        mh_message_info mi;
        if (replid != MH_REPLID_LOCAL || mid == 0 ||
            mh_be_message_info(t, mid, &mi, &err) != MH_OK || mi.folder != sf->fid) {
            partial = 1;
            continue;
        }
        if (!copy && sf->fid == df->fid)
            continue; /* already there */
        mh_id nid;
        mh_err e = mh_be_message_move(t, mid, df->fid, copy != 0, NULL, &nid, &err);
        if (e != MH_OK) {
            mh_be_abort(t);
            return mh_err_to_mapi_failed(e);
        }
    }
    if ((ec = mh_rop_commit(cx, t)) != 0)
        return ec;
    mh_wr_u8(rop->body, (uint8_t)partial);
    return 0;
}

/* The common part of RopMoveFolder and RopCopyFolder: both folders, the
 * folder moved or copied, checks. */
typedef struct folder_op {
    mh_folder *src, *dst;
    mh_logon *lg;
    mh_betxn *t;
    mh_id fid;
    const char *name;
} folder_op;

static uint32_t folder_op_begin(mh_ropctx *cx, mh_rop *rop, uint8_t dst_idx, uint64_t wire,
                                const char *name, uint32_t need_dst, folder_op *op)
{
    mh_object *sin, *din;
    mh_logon *dlg;
    uint32_t ec = input_folder(cx, rop, rop->h.in_idx, &sin, &op->src, &op->lg);
    if (ec)
        return ec;
    if ((ec = dest_folder(cx, rop, dst_idx, &din, &op->dst, &dlg)) != 0)
        return ec;
    if (memcmp(op->lg->mailbox.b, dlg->mailbox.b, 16) != 0)
        return MAPI_E_NO_SUPPORT; /* between mailboxes: not yet */
    if (!name || !*name)
        return MAPI_E_INVALID_PARAMETER;
    if (fid_from_wire(wire, &op->fid) != 0)
        return MAPI_E_NOT_FOUND;
    if (!(op->dst->rights & need_dst))
        return MAPI_E_NO_ACCESS;
    op->name = name;
    if ((ec = mh_rop_txn(cx, op->lg, MH_TXN_WRITE, &op->t)) != 0)
        return ec;
    mh_folder_info fi;
    mh_error err;
    mh_err e = mh_be_folder_info(op->t, op->fid, &fi, &err);
    if (e != MH_OK)
        ec = mh_err_to_mapi_failed(e);
    else if (fi.parent != op->src->fid)
        ec = MAPI_E_NOT_FOUND;
    if (ec) {
        mh_be_abort(op->t);
        return ec;
    }
    return 0;
}

/* RopMoveFolder (MS-OXCROPS 2.2.4.7, MS-OXCFOLD 3.2.5.7) */
static uint32_t rop_move_folder(mh_ropctx *cx, mh_rop *rop)
{
    mh_rd *rd = rop->rd;
    uint8_t dst_idx = rop->h.dest_idx; /* a common field (mh_ropinfo) */
    (void)mh_rd_u8(rd); /* WantAsynchronous: done synchronously */
    uint8_t unicode = mh_rd_u8(rd);
    uint64_t wire = mh_rd_u64(rd);
    const char *name = rd_string(cx, rd, unicode);
    rop->dest_idx = dst_idx;
    if (rd->err)
        return MAPI_E_INVALID_PARAMETER;
    folder_op op;
    uint32_t ec = folder_op_begin(cx, rop, dst_idx, wire, name, FRIGHTS_CREATE_SUBFOLDER, &op);
    if (ec)
        return ec;
    uint32_t rights;
    int within;
    mh_error err;
    mh_err e;
    if (special_role(op.t, op.fid, NULL)) {
        ec = MAPI_E_NO_ACCESS;
        goto fail;
    }
    if ((ec = mh_folder_rights(cx, op.lg, op.t, op.fid, &rights)) != 0)
        goto fail;
    if (!(rights & FRIGHTS_OWNER)) {
        ec = MAPI_E_NO_ACCESS;
        goto fail;
    }
    if ((ec = is_within(op.t, op.dst->fid, op.fid, &within)) != 0)
        goto fail;
    if (within) {
        ec = MAPI_E_FOLDER_CYCLE;
        goto fail;
    }
    mh_propval dn = mh_pv_str(PR_DISPLAY_NAME, name);
    mh_proplist set = {1, &dn};
    mh_objref ref = folder_ref(op.fid);
    mh_id cn;
    if (op.dst->fid != op.src->fid) {
        e = mh_be_folder_move(op.t, op.fid, op.dst->fid, NULL, &err);
        if (e == MH_E_EXISTS) {
            /* the old name is taken there: rename first, then move */
            if ((e = mh_be_props_set(op.t, &ref, &set, NULL, 0, NULL, &cn, &err)) == MH_OK)
                e = mh_be_folder_move(op.t, op.fid, op.dst->fid, NULL, &err);
        }
        if (e != MH_OK) {
            ec = mh_err_to_mapi_failed(e);
            goto fail;
        }
    }
    if ((e = mh_be_props_set(op.t, &ref, &set, NULL, 0, NULL, &cn, &err)) != MH_OK) {
        ec = mh_err_to_mapi_failed(e);
        goto fail;
    }
    if ((ec = mh_rop_commit(cx, op.t)) != 0)
        return ec;
    mh_wr_u8(rop->body, 0); /* PartialCompletion */
    return 0;
fail:
    mh_be_abort(op.t);
    return ec;
}

/* RopCopyFolder (MS-OXCROPS 2.2.4.8, MS-OXCFOLD 3.2.5.8) */
static uint32_t rop_copy_folder(mh_ropctx *cx, mh_rop *rop)
{
    mh_rd *rd = rop->rd;
    uint8_t dst_idx = rop->h.dest_idx; /* a common field (mh_ropinfo) */
    (void)mh_rd_u8(rd); /* WantAsynchronous: done synchronously */
    uint8_t recursive = mh_rd_u8(rd);
    uint8_t unicode = mh_rd_u8(rd);
    uint64_t wire = mh_rd_u64(rd);
    const char *name = rd_string(cx, rd, unicode);
    rop->dest_idx = dst_idx;
    if (rd->err)
        return MAPI_E_INVALID_PARAMETER;
    folder_op op;
    uint32_t ec = folder_op_begin(cx, rop, dst_idx, wire, name, FRIGHTS_CREATE_SUBFOLDER, &op);
    if (ec)
        return ec;
    uint32_t rights;
    int within = 0;
    if ((ec = mh_folder_rights(cx, op.lg, op.t, op.fid, &rights)) != 0)
        goto fail;
    if (!(rights & FRIGHTS_READ_ANY)) {
        ec = MAPI_E_NO_ACCESS;
        goto fail;
    }
    /* a recursive copy into itself would never end */
    if (recursive && (ec = is_within(op.t, op.dst->fid, op.fid, &within)) != 0)
        goto fail;
    if (within) {
        ec = MAPI_E_FOLDER_CYCLE;
        goto fail;
    }
    if ((ec = copy_tree(cx, op.t, op.fid, op.dst->fid, name, recursive != 0, 0)) != 0)
        goto fail;
    if ((ec = mh_rop_commit(cx, op.t)) != 0)
        return ec;
    mh_wr_u8(rop->body, 0); /* PartialCompletion */
    return 0;
fail:
    mh_be_abort(op.t);
    return ec;
}

/* RopGetHierarchyTable and RopGetContentsTable (MS-OXCROPS 2.2.4.13,
 * 2.2.4.14; MS-OXCFOLD 3.2.5.13, 3.2.5.14) */
static uint32_t get_table(mh_ropctx *cx, mh_rop *rop, uint8_t kind)
{
    uint8_t flags = mh_rd_u8(rop->rd);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *in;
    mh_folder *f;
    mh_logon *lg;
    uint32_t ec = input_folder(cx, rop, rop->h.in_idx, &in, &f, &lg);
    if (ec)
        return ec;
    uint8_t valid = kind == MH_TBL_HIERARCHY ? HIERARCHY_TABLE_FLAGS : CONTENTS_TABLE_FLAGS;
    if (flags & ~valid)
        return MAPI_E_INVALID_PARAMETER; /* bits the client MUST NOT set */
    uint32_t need = kind == MH_TBL_HIERARCHY ? FRIGHTS_VISIBLE : FRIGHTS_READ_ANY;
    if (!(f->rights & need))
        return MAPI_E_NO_ACCESS;
    uint32_t rows = 0;
    if ((ec = mh_table_open(cx, rop, in, kind, flags, &rows)) != 0)
        return ec;
    mh_wr_u32(rop->body, rows); /* RowCount */
    return 0;
}

static uint32_t rop_get_hierarchy_table(mh_ropctx *cx, mh_rop *rop)
{
    return get_table(cx, rop, MH_TBL_HIERARCHY);
}

static uint32_t rop_get_contents_table(mh_ropctx *cx, mh_rop *rop)
{
    return get_table(cx, rop, MH_TBL_CONTENTS);
}

/* ---------------------------------------------------- search criteria */

/* Retypes the string tags of a restriction (memory form: PT_UNICODE) to
 * `type` (PT_STRING8 for a client that asked for 8-bit strings). */
static void retype_tag(mh_proptag *tag, uint16_t type)
{
    uint16_t ty = MH_TAG_TYPE(*tag);
    if (ty == PT_UNICODE || ty == PT_STRING8)
        *tag = MH_TAG_RETYPE(*tag, type);
    else if (ty == PT_MV_UNICODE || ty == PT_MV_STRING8)
        *tag = MH_TAG_RETYPE(*tag, type | MV_FLAG);
}

static void retype_restriction(mh_restriction *r, uint16_t type, int depth)
{
    if (!r || depth > MH_RES_MAX_DEPTH)
        return;
    switch (r->type) {
    case MH_RES_AND:
    case MH_RES_OR:
        for (uint32_t i = 0; i < r->u.andor.n; i++)
            retype_restriction(&r->u.andor.sub[i], type, depth + 1);
        break;
    case MH_RES_NOT:
        retype_restriction(r->u.not_.sub, type, depth + 1);
        break;
    case MH_RES_CONTENT:
        retype_tag(&r->u.content.tag, type);
        retype_tag(&r->u.content.val.tag, type);
        break;
    case MH_RES_PROPERTY:
        retype_tag(&r->u.prop.tag, type);
        retype_tag(&r->u.prop.val.tag, type);
        break;
    case MH_RES_COMPAREPROPS:
        retype_tag(&r->u.compare.tag1, type);
        retype_tag(&r->u.compare.tag2, type);
        break;
    case MH_RES_BITMASK:
        break;
    case MH_RES_SIZE:
        retype_tag(&r->u.size.tag, type);
        break;
    case MH_RES_EXIST:
        retype_tag(&r->u.exist.tag, type);
        break;
    case MH_RES_SUBRESTRICTION:
        retype_restriction(r->u.subres.sub, type, depth + 1);
        break;
    case MH_RES_COMMENT:
        for (uint8_t i = 0; i < r->u.comment.n; i++)
            retype_tag(&r->u.comment.vals[i].tag, type);
        retype_restriction(r->u.comment.sub, type, depth + 1);
        break;
    case MH_RES_COUNT:
        retype_restriction(r->u.count.sub, type, depth + 1);
        break;
    default:
        break;
    }
}

/* The search folder of a search criteria ROP. */
static uint32_t search_folder(mh_ropctx *cx, mh_rop *rop, mh_object **obj_r, mh_folder **f_r,
                              mh_logon **lg_r, mh_betxn **t_r, unsigned txn_flags)
{
    uint32_t ec = input_folder(cx, rop, rop->h.in_idx, obj_r, f_r, lg_r);
    if (ec)
        return ec;
    if ((ec = mh_rop_txn(cx, *lg_r, txn_flags, t_r)) != 0)
        return ec;
    mh_folder_info fi;
    mh_error err;
    mh_err e = mh_be_folder_info(*t_r, (*f_r)->fid, &fi, &err);
    if (e != MH_OK)
        ec = mh_err_to_mapi_failed(e);
    else if (!(fi.flags & MH_FOLDER_SEARCH))
        ec = EC_NOT_SEARCH_FOLDER;
    if (ec)
        mh_be_abort(*t_r);
    return ec;
}

/*
 * RopSetSearchCriteria (MS-OXCROPS 2.2.4.4, MS-OXCFOLD 3.2.5.4).  The
 * criteria are stored with the folder; running the search (filling the
 * folder with links) is not done yet: a search folder's contents table
 * stays empty.
 */
static uint32_t rop_set_search_criteria(mh_ropctx *cx, mh_rop *rop)
{
    mh_rd *rd = rop->rd;
    uint16_t res_size = mh_rd_u16(rd);
    const unsigned char *res_data = mh_rd_bytes(rd, res_size);
    uint16_t n_fids = mh_rd_u16(rd);
    const unsigned char *fid_data = mh_rd_bytes(rd, (size_t)n_fids * 8);
    uint32_t flags = mh_rd_u32(rd);
    if (rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_restriction *res = NULL;
    if (res_size) {
        mh_rd rr;
        mh_rd_init(&rr, res_data, res_size);
        if (mh_rd_restriction(&rr, 2, cx->cp, cx->pool, &res) != 0 || mh_rd_left(&rr) != 0)
            return MAPI_E_INVALID_PARAMETER;
    }
    if ((flags & ~(uint32_t)SEARCH_FLAGS_KNOWN) ||
        ((flags & STOP_SEARCH) && (flags & RESTART_SEARCH)) ||
        ((flags & RECURSIVE_SEARCH) && (flags & SHALLOW_SEARCH)) ||
        ((flags & FOREGROUND_SEARCH) && (flags & BACKGROUND_SEARCH)) ||
        ((flags & CONTENT_INDEXED_SEARCH) && (flags & NON_CONTENT_INDEXED_SEARCH)))
        return MAPI_E_INVALID_PARAMETER;
    mh_object *in;
    mh_folder *f;
    mh_logon *lg;
    mh_betxn *t;
    uint32_t ec = search_folder(cx, rop, &in, &f, &lg, &t, MH_TXN_WRITE);
    if (ec)
        return ec;
    mh_error err;
    mh_err e;
    mh_objref ref = folder_ref(f->fid);
    if (!(f->rights & FRIGHTS_OWNER)) {
        ec = MAPI_E_NO_ACCESS;
        goto fail;
    }
    /* A zero size or count keeps the criteria of the last search; the
     * first search must give both (MS-OXCFOLD 2.2.1.4.1). */
    if (!res_size || !n_fids) {
        mh_proptag want[2] = {TAG_SEARCH_RESTRICTION, TAG_SEARCH_FOLDERS};
        mh_proplist have;
        if ((e = mh_be_props_get(t, &ref, want, 2, UINT64_MAX, &have, &err)) != MH_OK) {
            ec = mh_err_to_mapi_failed(e);
            goto fail;
        }
        if ((!res_size && !mh_proplist_find(&have, TAG_SEARCH_RESTRICTION)) ||
            (!n_fids && !mh_proplist_find(&have, TAG_SEARCH_FOLDERS))) {
            ec = MAPI_E_NOT_INITIALIZED;
            goto fail;
        }
    }
    /* the scope: folders of this mailbox, never the search folder itself */
    for (uint16_t i = 0; i < n_fids; i++) {
        uint64_t w = 0;
        for (int b = 7; b >= 0; b--)
            w = (w << 8) | fid_data[i * 8 + b];
        mh_id fid;
        mh_folder_info fi;
        if (fid_from_wire(w, &fid) != 0 || fid == f->fid) {
            ec = EC_SEARCH_FOLDER_SCOPE_VIOLATION;
            goto fail;
        }
        if ((e = mh_be_folder_info(t, fid, &fi, &err)) != MH_OK) {
            ec = mh_err_to_mapi_failed(e);
            goto fail;
        }
        uint32_t rights;
        if ((ec = mh_folder_rights(cx, lg, t, fid, &rights)) != 0)
            goto fail;
        if (!(rights & FRIGHTS_READ_ANY)) {
            ec = MAPI_E_NO_ACCESS;
            goto fail;
        }
    }
    mh_propval v[3];
    mh_proplist set = {0, v};
    if (res) {
        mh_wr w;
        mh_wr_init(&w, cx->pool, res_size * 2u + 16);
        mh_wr_restriction(&w, res, 2, cx->cp); /* strings as Unicode */
        v[set.n++] = mh_pv_bin(TAG_SEARCH_RESTRICTION, w.buf, (uint32_t)w.len);
    }
    if (n_fids)
        v[set.n++] = mh_pv_bin(TAG_SEARCH_FOLDERS, fid_data, (uint32_t)n_fids * 8);
    v[set.n++] = mh_pv_long(TAG_SEARCH_FLAGS, (int32_t)flags);
    mh_id cn;
    if ((e = mh_be_props_set(t, &ref, &set, NULL, 0, NULL, &cn, &err)) != MH_OK) {
        ec = mh_err_to_mapi_failed(e);
        goto fail;
    }
    return mh_rop_commit(cx, t);
fail:
    mh_be_abort(t);
    return ec;
}

/* RopGetSearchCriteria (MS-OXCROPS 2.2.4.5, MS-OXCFOLD 3.2.5.5) */
static uint32_t rop_get_search_criteria(mh_ropctx *cx, mh_rop *rop)
{
    mh_rd *rd = rop->rd;
    uint8_t unicode = mh_rd_u8(rd);
    uint8_t with_res = mh_rd_u8(rd);
    uint8_t with_folders = mh_rd_u8(rd);
    if (rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *in;
    mh_folder *f;
    mh_logon *lg;
    mh_betxn *t;
    uint32_t ec = search_folder(cx, rop, &in, &f, &lg, &t, MH_TXN_READ);
    if (ec)
        return ec;
    mh_proptag want[3] = {TAG_SEARCH_RESTRICTION, TAG_SEARCH_FOLDERS, TAG_SEARCH_FLAGS};
    mh_proplist have;
    mh_objref ref = folder_ref(f->fid);
    mh_error err;
    mh_err e = mh_be_props_get(t, &ref, want, 3, UINT64_MAX, &have, &err);
    mh_be_abort(t);
    if (e != MH_OK)
        return mh_err_to_mapi_failed(e);
    const mh_propval *res_v = mh_proplist_find(&have, TAG_SEARCH_RESTRICTION);
    const mh_propval *fid_v = mh_proplist_find(&have, TAG_SEARCH_FOLDERS);
    const mh_propval *flags_v = mh_proplist_find(&have, TAG_SEARCH_FLAGS);
    if (!res_v || !fid_v || !flags_v)
        return MAPI_E_NOT_INITIALIZED; /* no criteria were ever set */
    size_t at = rop->body->len;
    mh_wr_u16(rop->body, 0); /* RestrictionDataSize, filled below */
    if (with_res) {
        mh_rd rr;
        mh_restriction *res;
        mh_rd_init(&rr, res_v->v.bin.data, res_v->v.bin.len);
        if (mh_rd_restriction(&rr, 2, cx->cp, cx->pool, &res) != 0)
            return MAPI_E_CORRUPT_DATA;
        if (!unicode)
            retype_restriction(res, PT_STRING8, 0);
        size_t start = rop->body->len;
        mh_wr_restriction(rop->body, res, 2, cx->cp);
        size_t len = rop->body->len - start;
        if (len > UINT16_MAX) {
            rop->body->len = at;
            return MAPI_E_TOO_BIG;
        }
        mh_wr_put_u16_at(rop->body, at, (uint16_t)len);
    }
    mh_wr_u8(rop->body, rop->h.logon_id); /* LogonId */
    uint16_t n = with_folders ? (uint16_t)(fid_v->v.bin.len / 8) : 0;
    mh_wr_u16(rop->body, n); /* FolderIdCount */
    mh_wr_bytes(rop->body, fid_v->v.bin.data, (size_t)n * 8);
    /* the state: as asked, never complete since no search runs yet */
    uint32_t set = (uint32_t)flags_v->v.i32, state = 0;
    if (!(set & STOP_SEARCH))
        state |= SEARCH_RUNNING;
    if (set & RECURSIVE_SEARCH)
        state |= SEARCH_RECURSIVE;
    if (set & FOREGROUND_SEARCH)
        state |= SEARCH_FOREGROUND;
    if (set & STATIC_SEARCH)
        state |= SEARCH_STATIC;
    mh_wr_u32(rop->body, state); /* SearchFlags */
    return 0;
}

/* ---------------------------------------------------------- dispatch */

static uint32_t rop_delete_messages(mh_ropctx *cx, mh_rop *rop)
{
    return delete_messages(cx, rop);
}

static uint32_t rop_hard_delete_messages(mh_ropctx *cx, mh_rop *rop)
{
    return delete_messages(cx, rop);
}

static uint32_t rop_empty_folder(mh_ropctx *cx, mh_rop *rop)
{
    return empty(cx, rop);
}

static uint32_t rop_hard_delete_messages_and_subfolders(mh_ropctx *cx, mh_rop *rop)
{
    return empty(cx, rop);
}

const mh_rop_entry mh_rops_oxcfold[] = {
    {ROP_OPEN_FOLDER, rop_open_folder},
    {ROP_GET_HIERARCHY_TABLE, rop_get_hierarchy_table},
    {ROP_GET_CONTENTS_TABLE, rop_get_contents_table},
    {ROP_CREATE_FOLDER, rop_create_folder},
    {ROP_DELETE_FOLDER, rop_delete_folder},
    {ROP_DELETE_MESSAGES, rop_delete_messages},
    {ROP_SET_SEARCH_CRITERIA, rop_set_search_criteria},
    {ROP_GET_SEARCH_CRITERIA, rop_get_search_criteria},
    {ROP_MOVE_COPY_MESSAGES, rop_move_copy_messages},
    {ROP_MOVE_FOLDER, rop_move_folder},
    {ROP_COPY_FOLDER, rop_copy_folder},
    {ROP_EMPTY_FOLDER, rop_empty_folder},
    {ROP_HARD_DELETE_MESSAGES, rop_hard_delete_messages},
    {ROP_HARD_DELETE_MESSAGES_AND_SUBFOLDERS, rop_hard_delete_messages_and_subfolders},
    {0, NULL},
};
