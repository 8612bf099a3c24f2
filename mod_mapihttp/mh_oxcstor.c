/*
 * mh_oxcstor.c - logons and the store object (MS-OXCSTOR; MS-OXCROPS
 * 2.2.3): RopLogon to a private mailbox, receive folders, ID conversions,
 * per-user information, and the properties of the store object.
 */
#include "mh_rop.h"
#include "mh_entryid.h"
#include "mh_idset.h"
#include "mh_log.h"
#include "mh_props.h"

#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <apr_strings.h>

/* LogonFlags (MS-OXCSTOR 2.2.1.1.1) */
#define LOGON_PRIVATE 0x01
/* ResponseFlags (2.2.1.1.3) */
#define RESPONSE_RESERVED 0x01
#define RESPONSE_OWNER_RIGHT 0x02
#define RESPONSE_SEND_AS_RIGHT 0x04

/* -------------------------------------------------- the logon class */

static void pu_encode(mh_wr *wr, const mh_logon *l);
static int pu_decode(mh_rd *rd, apr_pool_t *pool, mh_logon *l);

static void logon_encode(mh_wr *wr, const void *data)
{
    const mh_logon *l = data;
    mh_wr_bytes(wr, l->mailbox.b, 16);
    mh_wr_u32(wr, l->owner);
    mh_wr_u32(wr, l->user);
    mh_wr_u8(wr, l->own ? 1 : 0);
    mh_wr_u8(wr, l->logon_flags);
    mh_wr_u32(wr, l->open_flags);
    for (int i = 0; i < MH_SF_COUNT; i++)
        mh_wr_u64(wr, l->special[i]);
    mh_wr_asciiz(wr, l->owner_dn ? l->owner_dn : "");
    mh_wr_asciiz(wr, l->owner_name ? l->owner_name : "");
    mh_wr_bytes(wr, l->per_user.b, 16);
    pu_encode(wr, l);
}

static int logon_decode(mh_rd *rd, apr_pool_t *pool, void **data_r)
{
    mh_logon *l = apr_pcalloc(pool, sizeof(*l));
    mh_rd_copy(rd, l->mailbox.b, 16);
    l->owner = mh_rd_u32(rd);
    l->user = mh_rd_u32(rd);
    l->own = mh_rd_u8(rd) != 0;
    l->logon_flags = mh_rd_u8(rd);
    l->open_flags = mh_rd_u32(rd);
    for (int i = 0; i < MH_SF_COUNT; i++)
        l->special[i] = mh_rd_u64(rd);
    l->owner_dn = mh_rd_asciiz(rd, 1024, pool);
    l->owner_name = mh_rd_asciiz(rd, 1024, pool);
    mh_rd_copy(rd, l->per_user.b, 16);
    if (rd->err || pu_decode(rd, pool, l) != 0)
        return -1;
    *data_r = l;
    return 0;
}

/* ------------------------------------------------------ entry IDs */

/* MS-OXCDATA 2.2.4.3 Store Object EntryID (private mailbox). */
static const uint8_t MUIDSTOREWRAP[16] = {0x38, 0xA1, 0xBB, 0x10, 0x05, 0xE5, 0x10, 0x1A,
                                          0xA1, 0xBB, 0x08, 0x00, 0x2B, 0x2A, 0x56, 0xC2};
static const uint8_t PRIVATE_STORE_UID[16] = {0x1B, 0x55, 0xFA, 0x20, 0xAA, 0x66, 0x11, 0xCD,
                                              0x9B, 0xC8, 0x00, 0xAA, 0x00, 0x2F, 0xC4, 0x5A};
#define WRAPPED_TYPE_PRIVATE 0x0C000000u
/* MS-OXCDATA 2.2.5.2 Address Book EntryID */
const uint8_t mh_ab_provider_uid[16] = {0xDC, 0xA7, 0x40, 0xC8, 0xC0, 0x42, 0x10, 0x1A,
                                            0xB4, 0xB9, 0x08, 0x00, 0x2B, 0x2F, 0xE1, 0x82};
/* PR_MDB_PROVIDER of a private mailbox (MS-OXCSTOR 2.2.2.1.1.1) */
static const uint8_t PRIVATE_MDB_PROVIDER[16] = {0x54, 0x94, 0xA1, 0xC0, 0x29, 0x7F, 0x10,
                                                 0x1B, 0xA5, 0x87, 0x08, 0x00, 0x2B, 0x2A,
                                                 0x25, 0x17};

static const char *server_short_name(apr_pool_t *pool)
{
    char host[256];
    if (gethostname(host, sizeof(host)) != 0)
        return "localhost";
    host[sizeof(host) - 1] = 0;
    char *dot = strchr(host, '.');
    if (dot)
        *dot = 0;
    return apr_pstrdup(pool, host);
}


void mh_store_entryid(const mh_logon *lg, apr_pool_t *pool, mh_bin *out)
{
    mh_wr wr;
    mh_wr_init(&wr, pool, 128);
    mh_wr_u32(&wr, 0);
    mh_wr_bytes(&wr, MUIDSTOREWRAP, 16);
    mh_wr_u8(&wr, 0); /* Version */
    mh_wr_u8(&wr, 0); /* Flag */
    unsigned char dll[14] = "emsmdb.dll";
    mh_wr_bytes(&wr, dll, 14);
    mh_wr_u32(&wr, 0); /* WrappedFlags */
    mh_wr_bytes(&wr, PRIVATE_STORE_UID, 16);
    mh_wr_u32(&wr, WRAPPED_TYPE_PRIVATE);
    mh_wr_asciiz(&wr, server_short_name(pool));
    mh_wr_asciiz(&wr, lg->owner_dn ? lg->owner_dn : "");
    out->data = wr.buf;
    out->len = (uint32_t)wr.len;
}


void mh_ab_entryid(const char *legacy_dn, uint32_t display_type, apr_pool_t *pool,
                   mh_bin *out)
{
    mh_wr wr;
    mh_wr_init(&wr, pool, 96);
    mh_wr_u32(&wr, 0);
    mh_wr_bytes(&wr, mh_ab_provider_uid, 16);
    mh_wr_u32(&wr, 1); /* Version */
    mh_wr_u32(&wr, display_type);
    mh_wr_asciiz(&wr, legacy_dn ? legacy_dn : "");
    out->data = wr.buf;
    out->len = (uint32_t)wr.len;
}

/* ---------------------------------------------- store properties */

/* STORE_SUPPORT_MASK bits (MS-OXCSTOR 2.2.2.1.1.x / MS-OXPROPS) */
#define STORE_ENTRYID_UNIQUE 0x00000001
#define STORE_READONLY 0x00000002
#define STORE_SEARCH_OK 0x00000004
#define STORE_MODIFY_OK 0x00000008
#define STORE_CREATE_OK 0x00000010
#define STORE_ATTACH_OK 0x00000020
#define STORE_OLE_OK 0x00000040
#define STORE_SUBMIT_OK 0x00000080
#define STORE_NOTIFY_OK 0x00000100
#define STORE_MV_PROPS_OK 0x00000200
#define STORE_CATEGORIZE_OK 0x00000400
#define STORE_RTF_OK 0x00000800
#define STORE_RESTRICTION_OK 0x00001000
#define STORE_SORT_OK 0x00002000
#define STORE_UNICODE_OK 0x00040000
#define STORE_HTML_OK 0x00010000
#define STORE_PUSHER_OK 0x00800000

static mh_propval bin_val(mh_proptag tag, mh_bin b)
{
    return mh_pv_bin(tag, b.data, b.len);
}

static mh_bin folder_eid(const mh_logon *lg, mh_id fid, apr_pool_t *pool)
{
    uint8_t *buf = apr_palloc(pool, MH_FOLDER_EID_LEN);
    mh_eid_folder(&lg->mailbox, &lg->mailbox, fid, buf);
    mh_bin b = {MH_FOLDER_EID_LEN, buf};
    return b;
}

/* The computed properties of the store object. */
static void store_computed(mh_ropctx *cx, const mh_logon *lg, const mh_mailbox_info *mi,
                           apr_pool_t *pool, mh_proplist *out)
{
    mh_bin eid, owner_eid;
    mh_store_entryid(lg, pool, &eid);
    mh_ab_entryid(lg->owner_dn, MH_AB_DT_MAILUSER, pool, &owner_eid);
    mh_propval v;
#define PUT(x)                                                                 \
    do {                                                                       \
        v = (x);                                                               \
        mh_proplist_set(pool, out, &v);                                        \
    } while (0)
    PUT(bin_val(PR_ENTRYID, eid));
    PUT(bin_val(PR_STORE_ENTRYID, eid));
    PUT(mh_pv_bin(PR_RECORD_KEY, lg->mailbox.b, 16));
    PUT(mh_pv_bin(PR_STORE_RECORD_KEY, lg->mailbox.b, 16));
    PUT(mh_pv_bin(PR_MAPPING_SIGNATURE, lg->mailbox.b, 16));
    PUT(mh_pv_bin(PR_MDB_PROVIDER, PRIVATE_MDB_PROVIDER, 16));
    PUT(mh_pv_long(PR_STORE_SUPPORT_MASK,
                   STORE_ENTRYID_UNIQUE | STORE_SEARCH_OK | STORE_MODIFY_OK | STORE_CREATE_OK |
                       STORE_ATTACH_OK | STORE_OLE_OK | STORE_SUBMIT_OK | STORE_NOTIFY_OK |
                       STORE_MV_PROPS_OK | STORE_CATEGORIZE_OK | STORE_RTF_OK |
                       STORE_RESTRICTION_OK | STORE_SORT_OK | STORE_UNICODE_OK |
                       STORE_HTML_OK | STORE_PUSHER_OK));
    PUT(mh_pv_long(PR_STORE_STATE, 0));
    PUT(bin_val(PR_MAILBOX_OWNER_ENTRYID, owner_eid));
    PUT(mh_pv_str(PR_MAILBOX_OWNER_NAME, lg->owner_name ? lg->owner_name : ""));
    PUT(mh_pv_str(PR_DISPLAY_NAME,
                  apr_pstrcat(pool, "Mailbox - ", lg->owner_name ? lg->owner_name : "", NULL)));
    if (lg->own) {
        PUT(bin_val(PR_USER_ENTRYID, owner_eid));
        PUT(mh_pv_str(PR_USER_NAME, lg->owner_name ? lg->owner_name : ""));
    }
    PUT(mh_pv_i8(PR_MESSAGE_SIZE_EXTENDED, (int64_t)mi->message_bytes));
    PUT(mh_pv_bool(PR_OOF_STATE, 0));
    PUT(mh_pv_long(PR_LOCALE_ID, (int32_t)cx->ses->lcid_string));
    PUT(mh_pv_long(PR_SORT_LOCALE_ID, (int32_t)cx->ses->lcid_sort));
    PUT(mh_pv_long(PR_CODE_PAGE_ID, (int32_t)cx->ses->code_page));
    /* the special folders' entry IDs (MS-OXCSTOR 2.2.2.1.1) */
    static const struct {
        mh_proptag tag;
        mh_special_folder role;
    } special_eids[] = {
        {PR_IPM_SUBTREE_ENTRYID, MH_SF_IPM_SUBTREE},
        {PR_IPM_OUTBOX_ENTRYID, MH_SF_OUTBOX},
        {PR_IPM_WASTEBASKET_ENTRYID, MH_SF_DELETED_ITEMS},
        {PR_IPM_SENTMAIL_ENTRYID, MH_SF_SENT_ITEMS},
        {PR_VIEWS_ENTRYID, MH_SF_VIEWS},
        {PR_COMMON_VIEWS_ENTRYID, MH_SF_COMMON_VIEWS},
        {PR_FINDER_ENTRYID, MH_SF_FINDER},
        {PR_IPM_FAVORITES_ENTRYID, MH_SF_SHORTCUTS},
    };
    for (size_t i = 0; i < sizeof(special_eids) / sizeof(special_eids[0]); i++)
        if (mi->special[special_eids[i].role])
            PUT(bin_val(special_eids[i].tag,
                        folder_eid(lg, mi->special[special_eids[i].role], pool)));
    /* REPLID 1 <-> the mailbox GUID (MS-OXCSTOR 2.2.2.1.1.x) */
    uint8_t *map = apr_palloc(pool, 18);
    mh_put_u16(map, MH_REPLID_LOCAL);
    memcpy(map + 2, lg->mailbox.b, 16);
    PUT(mh_pv_bin(PR_SERIALIZED_REPLID_GUID_MAP, map, 18));
#undef PUT
}

static uint32_t store_get(mh_ropctx *cx, mh_object *obj, const mh_proptag *tags, uint32_t n,
                          uint64_t large, apr_pool_t *pool, mh_proplist *out)
{
    mh_logon *lg = obj->data;
    mh_betxn *t;
    uint32_t ec = mh_rop_txn(cx, lg, MH_TXN_READ, &t);
    if (ec)
        return ec;
    mh_mailbox_info mi;
    mh_error err = {MH_OK, NULL};
    mh_err e = mh_be_mailbox_info(t, &mi, &err);
    mh_proplist stored = {0, NULL};
    if (e == MH_OK) {
        mh_objref ref;
        memset(&ref, 0, sizeof(ref));
        ref.kind = MH_OBJ_MAILBOX;
        e = mh_be_props_get(t, &ref, NULL, 0, large, &stored, &err);
    }
    mh_be_abort(t);
    if (e != MH_OK)
        return mh_err_to_mapi(e);
    mh_proplist all = {0, NULL};
    for (uint32_t i = 0; i < stored.n; i++)
        mh_proplist_set(pool, &all, &stored.v[i]);
    store_computed(cx, lg, &mi, pool, &all); /* computed ones win */
    if (!tags) {
        *out = all;
        return 0;
    }
    out->n = 0;
    out->v = apr_palloc(pool, (n ? n : 1) * sizeof(mh_propval));
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t k = 0; k < all.n; k++)
            if (MH_TAG_ID(all.v[k].tag) == MH_TAG_ID(tags[i])) {
                out->v[out->n++] = all.v[k];
                break;
            }
    return 0;
}

/* Properties the server computes cannot be set (MS-OXCPRPT 3.2.5.4). */
static int store_computed_tag(mh_proptag tag)
{
    switch (MH_TAG_ID(tag)) {
    case 0x0FFF: case 0x0FF9: case 0x0FFB: case 0x0FFA: case 0x0FF8: case 0x3414:
    case 0x340D: case 0x340E: case 0x661B: case 0x661C: case 0x6619: case 0x661A:
    case 0x0E08: case 0x6783: case 0x35E0: case 0x35E2: case 0x35E3: case 0x35E4:
    case 0x35E5: case 0x35E6: case 0x35E7: case 0x6630:
        return 1;
    default:
        return 0;
    }
}

static uint32_t store_change(mh_ropctx *cx, mh_object *obj, const mh_proplist *vals,
                             const mh_proptag *dels, uint32_t n_del,
                             mh_propproblem **problems_r, uint16_t *n_problems_r)
{
    mh_logon *lg = obj->data;
    uint32_t n_in = vals ? vals->n : n_del;
    mh_propproblem *pr = apr_palloc(cx->pool, (n_in ? n_in : 1) * sizeof(*pr));
    uint16_t npr = 0;
    mh_proplist set = {0, apr_palloc(cx->pool, (n_in ? n_in : 1) * sizeof(mh_propval))};
    mh_proptag *del = apr_palloc(cx->pool, (n_in ? n_in : 1) * sizeof(mh_proptag));
    uint32_t nd = 0;
    for (uint32_t i = 0; i < n_in; i++) {
        mh_proptag tag = vals ? vals->v[i].tag : dels[i];
        if (store_computed_tag(tag) || !mh_type_storable(MH_TAG_TYPE(tag))) {
            pr[npr].index = (uint16_t)i;
            pr[npr].tag = tag;
            pr[npr].err = store_computed_tag(tag) ? MAPI_E_COMPUTED : MAPI_E_INVALID_TYPE;
            npr++;
            continue;
        }
        if (vals)
            set.v[set.n++] = vals->v[i];
        else
            del[nd++] = tag;
    }
    mh_betxn *t;
    uint32_t ec = mh_rop_txn(cx, lg, MH_TXN_WRITE, &t);
    if (ec)
        return ec;
    mh_objref ref;
    memset(&ref, 0, sizeof(ref));
    ref.kind = MH_OBJ_MAILBOX;
    mh_change_in change;
    memset(&change, 0, sizeof(change));
    mh_id cn = 0;
    mh_error err = {MH_OK, NULL};
    mh_err e = mh_be_props_set(t, &ref, &set, del, nd, &change, &cn, &err);
    if (e != MH_OK) {
        mh_be_abort(t);
        return mh_err_to_mapi(e);
    }
    if ((ec = mh_rop_commit(cx, t)) != 0)
        return ec;
    *problems_r = pr;
    *n_problems_r = npr;
    return 0;
}

static uint32_t store_set(mh_ropctx *cx, mh_object *obj, const mh_proplist *vals,
                          mh_propproblem **problems_r, uint16_t *n_problems_r)
{
    return store_change(cx, obj, vals, NULL, 0, problems_r, n_problems_r);
}

static uint32_t store_del(mh_ropctx *cx, mh_object *obj, const mh_proptag *tags, uint32_t n,
                          mh_propproblem **problems_r, uint16_t *n_problems_r)
{
    return store_change(cx, obj, NULL, tags, n, problems_r, n_problems_r);
}

static uint32_t store_read(mh_ropctx *cx, mh_object *obj, mh_proptag tag, uint64_t offset,
                           void *buf, size_t len, size_t *got_r)
{
    mh_logon *lg = obj->data;
    mh_betxn *t;
    uint32_t ec = mh_rop_txn(cx, lg, MH_TXN_READ, &t);
    if (ec)
        return ec;
    mh_objref ref;
    memset(&ref, 0, sizeof(ref));
    ref.kind = MH_OBJ_MAILBOX;
    mh_error err = {MH_OK, NULL};
    mh_err e = mh_be_value_read(t, &ref, tag, offset, buf, len, got_r, &err);
    mh_be_abort(t);
    return e == MH_OK ? 0 : mh_err_to_mapi(e);
}

static const mh_propops store_props = {store_get, store_set, store_del, store_read};

const mh_objclass mh_logon_class = {
    .name = "logon", .encode = logon_encode, .decode = logon_decode, .props = &store_props};

/* ------------------------------------------------------- RopLogon */

/* MS-OXCROPS 2.2.3.1, MS-OXCSTOR 3.2.5.1.1 */
static uint32_t rop_logon(mh_ropctx *cx, mh_rop *rop)
{
    uint8_t logon_flags = mh_rd_u8(rop->rd);
    uint32_t open_flags = mh_rd_u32(rop->rd);
    (void)mh_rd_u32(rop->rd); /* StoreState: 0, ignored by servers */
    uint16_t essdn_size = mh_rd_u16(rop->rd);
    const unsigned char *essdn_raw = mh_rd_bytes(rop->rd, essdn_size);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    if (!(logon_flags & LOGON_PRIVATE))
        return MAPI_E_LOGON_FAILED; /* no public folders here (AUX_EXORGINFO says so) */
    const char *essdn = "";
    if (essdn_size) {
        if (essdn_raw[essdn_size - 1] != 0 || memchr(essdn_raw, 0, essdn_size) !=
                                                  essdn_raw + essdn_size - 1)
            return MAPI_E_INVALID_PARAMETER;
        essdn = (const char *)essdn_raw;
    }
    if (!cx->be)
        return MAPI_E_LOGON_FAILED;

    /* the user and the mailbox owner from the directory */
    mh_betxn *t;
    mh_error err = {MH_OK, NULL};
    uint32_t ec = mh_rop_txn(cx, NULL, MH_TXN_READ, &t);
    if (ec)
        return MAPI_E_LOGON_FAILED;
    mh_dir_entry user, owner;
    mh_err e = mh_be_dir_find(t, MH_DIR_BY_LOGIN, cx->user, &user, &err);
    if (e == MH_OK)
        e = *essdn ? mh_be_dir_find(t, MH_DIR_BY_LEGACY_DN, essdn, &owner, &err)
                   : mh_be_dir_get(t, user.id, &owner, &err);
    mh_be_abort(t);
    if (e == MH_E_NOT_FOUND)
        return EC_UNKNOWN_USER;
    if (e != MH_OK)
        return MAPI_E_LOGON_FAILED;
    if (owner.type != MH_DIR_USER || !owner.has_mailbox || owner.disabled)
        return EC_UNKNOWN_USER; /* 3.2.5.1.1: disabled SHOULD be ecUnknownUser */
    /* (without a server the rule can only say here or nowhere, and the
     * logon below finds out which: no second look at the store) */
    mh_mbx_where where = owner.server && *owner.server
                             ? mh_be_mailbox_where(cx->be, &owner, cx->pool, &err)
                             : MH_MBX_HERE;
    if (where == MH_MBX_ERROR)
        return MAPI_E_LOGON_FAILED;
    if (where == MH_MBX_ELSEWHERE) {
        /* the mailbox lives on another server (the rule Autodiscover
         * redirects by): ecWrongServer with its name and the request's
         * LogonFlags (MS-OXCROPS 2.2.3.1.4).  A server naming this host, a
         * mailbox this store holds, is logged on to here. */
        if (mh_rop_logon_redirect_body(rop->body, logon_flags, owner.server) != 0) {
            mh_log(MH_LOG_ERR, MHLOGNO(01100) "RopLogon: the server name of %s's "
                   "mailbox is longer than a redirect can carry (254)", owner.login
                   ? owner.login : "a mailbox owner");
            return MAPI_E_LOGON_FAILED;
        }
        return EC_WRONG_SERVER;
    }

    mh_logon lg;
    memset(&lg, 0, sizeof(lg));
    lg.mailbox = owner.mailbox;
    lg.owner = owner.id;
    lg.user = user.id;
    lg.own = owner.id == user.id;
    lg.logon_flags = logon_flags;
    lg.open_flags = open_flags;

    mh_mailbox_info mi;
    if ((ec = mh_rop_txn(cx, &lg, MH_TXN_READ, &t)) != 0)
        return ec == MAPI_E_NOT_FOUND ? EC_UNKNOWN_USER : MAPI_E_LOGON_FAILED;
    e = mh_be_mailbox_info(t, &mi, &err);
    mh_be_abort(t);
    if (e != MH_OK)
        return MAPI_E_LOGON_FAILED;
    for (int i = 0; i < 13; i++)
        if (!mi.special[i])
            return MAPI_E_LOGON_FAILED; /* not provisioned: the admin tool does it */

    /* "If the client specifies an active LogonID, the current logon is
     * released and replaced with the new one" (MS-OXCROPS 2.2.3.1.1) */
    mh_object *old = mh_obj_logon(cx, rop->h.logon_id);
    if (old)
        mh_obj_release(cx, old);
    mh_object *o = mh_obj_create(cx, rop, MH_OT_LOGON, rop->h.logon_id, MH_HANDLE_NONE);
    if (!o)
        return MAPI_E_NOT_ENOUGH_RESOURCES;
    mh_logon *l = apr_pmemdup(o->pool, &lg, sizeof(lg));
    memcpy(l->special, mi.special, sizeof(l->special));
    l->owner_dn = apr_pstrdup(o->pool, owner.legacy_dn ? owner.legacy_dn : "");
    l->owner_name = apr_pstrdup(o->pool, owner.display_name ? owner.display_name : "");
    /* a per-user GUID stable for the (user, mailbox) pair */
    memcpy(l->per_user.b, owner.mailbox.b, 16);
    for (int i = 0; i < 4; i++)
        l->per_user.b[i] ^= (uint8_t)(user.id >> (8 * i));
    o->data = l;

    /* the success response for private mailboxes (MS-OXCROPS 2.2.3.1.2) */
    mh_wr *w = rop->body;
    mh_wr_u8(w, logon_flags & 0x07); /* Private, Undercover, Ghosted */
    for (int i = 0; i < 13; i++)
        mh_wr_u64(w, mh_id_to_wire(mi.special[i], MH_REPLID_LOCAL));
    mh_wr_u8(w, RESPONSE_RESERVED | (lg.own ? RESPONSE_OWNER_RIGHT | RESPONSE_SEND_AS_RIGHT : 0));
    mh_wr_bytes(w, lg.mailbox.b, 16); /* MailboxGuid */
    mh_wr_u16(w, MH_REPLID_LOCAL);    /* ReplId */
    mh_wr_bytes(w, lg.mailbox.b, 16); /* ReplGuid */
    apr_time_exp_t tm;
    apr_time_exp_gmt(&tm, apr_time_now());
    mh_wr_u8(w, (uint8_t)tm.tm_sec);
    mh_wr_u8(w, (uint8_t)tm.tm_min);
    mh_wr_u8(w, (uint8_t)tm.tm_hour);
    mh_wr_u8(w, (uint8_t)tm.tm_wday);
    mh_wr_u8(w, (uint8_t)tm.tm_mday);
    mh_wr_u8(w, (uint8_t)(tm.tm_mon + 1));
    mh_wr_u16(w, (uint16_t)(tm.tm_year + 1900));
    mh_wr_u64(w, 0); /* GwartTime: public folder replication only */
    mh_wr_u32(w, 0); /* StoreState */
    return 0;
}

static uint32_t logon_of(mh_ropctx *cx, mh_rop *rop, mh_logon **lg_r)
{
    mh_object *o;
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx, MH_OTM(MH_OT_LOGON), &o);
    if (ec)
        return ec;
    *lg_r = o->data;
    return 0;
}

/* ------------------------------------------------- receive folders */

/* Message classes are ASCII, at most 255 characters, case-insensitive
 * (MS-OXCSTOR 2.2.1.2.1). */
static int valid_class(const char *c)
{
    size_t n = strlen(c);
    if (n > 255)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (c[i] < 0x20 || c[i] > 0x7E)
            return 0;
    return !(n && (c[0] == '.' || c[n - 1] == '.' || strstr(c, "..")));
}

/* MS-OXCROPS 2.2.3.2, MS-OXCSTOR 3.2.5.2: the most specific entry whose
 * class is a prefix (at a dot) of the one asked for. */
static uint32_t rop_get_receive_folder(mh_ropctx *cx, mh_rop *rop)
{
    const char *cls = mh_rd_asciiz(rop->rd, 255, cx->pool);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_logon *lg;
    uint32_t ec = logon_of(cx, rop, &lg);
    if (ec)
        return ec;
    if (!valid_class(cls))
        return MAPI_E_INVALID_PARAMETER;
    mh_betxn *t;
    if ((ec = mh_rop_txn(cx, lg, MH_TXN_READ, &t)) != 0)
        return ec;
    mh_receive_folder *rows;
    uint32_t n;
    mh_error err = {MH_OK, NULL};
    mh_err e = mh_be_receive_folders_get(t, &rows, &n, &err);
    mh_be_abort(t);
    if (e != MH_OK)
        return mh_err_to_mapi(e);
    const mh_receive_folder *best = NULL;
    size_t best_len = 0, len = strlen(cls);
    for (uint32_t i = 0; i < n; i++) {
        size_t rl = strlen(rows[i].message_class);
        if (rl > len || strncasecmp(rows[i].message_class, cls, rl) != 0)
            continue;
        if (rl && rl < len && cls[rl] != '.')
            continue;
        if (!best || rl > best_len) {
            best = &rows[i];
            best_len = rl;
        }
    }
    mh_wr_u64(rop->body, best ? mh_id_to_wire(best->folder, MH_REPLID_LOCAL) : 0);
    mh_wr_asciiz(rop->body, best ? best->message_class : "");
    return 0;
}

/* MS-OXCROPS 2.2.3.3, MS-OXCSTOR 3.2.5.3 */
static uint32_t rop_set_receive_folder(mh_ropctx *cx, mh_rop *rop)
{
    uint64_t fid_wire = mh_rd_u64(rop->rd);
    const char *cls = mh_rd_asciiz(rop->rd, 255, cx->pool);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_logon *lg;
    uint32_t ec = logon_of(cx, rop, &lg);
    if (ec)
        return ec;
    if (!valid_class(cls))
        return MAPI_E_INVALID_PARAMETER;
    if (!lg->own)
        return MAPI_E_NO_ACCESS;
    uint16_t replid;
    mh_id fid = mh_id_from_wire(fid_wire, &replid);
    /* the default entry cannot be removed, and IPC classes are the
     * server's (3.2.5.3) */
    if (fid == 0 && !*cls)
        return MAPI_E_CALL_FAILED;
    if (strncasecmp(cls, "IPC", 3) == 0 && (cls[3] == 0 || cls[3] == '.'))
        return MAPI_E_NO_ACCESS;
    if (fid && replid != MH_REPLID_LOCAL)
        return MAPI_E_NOT_FOUND;
    mh_betxn *t;
    if ((ec = mh_rop_txn(cx, lg, MH_TXN_WRITE, &t)) != 0)
        return ec;
    mh_error err = {MH_OK, NULL};
    mh_folder_info fi;
    mh_err e = fid ? mh_be_folder_info(t, fid, &fi, &err) : MH_OK;
    if (e == MH_OK)
        e = mh_be_receive_folder_set(t, cls, fid, &err);
    if (e != MH_OK) {
        mh_be_abort(t);
        return mh_err_to_mapi(e);
    }
    return mh_rop_commit(cx, t);
}

/* MS-OXCROPS 2.2.3.4: rows of PidTagFolderId, PidTagMessageClass (string8),
 * PidTagLastModificationTime, as StandardPropertyRows. */
static uint32_t rop_get_receive_folder_table(mh_ropctx *cx, mh_rop *rop)
{
    mh_logon *lg;
    uint32_t ec = logon_of(cx, rop, &lg);
    if (ec)
        return ec;
    mh_betxn *t;
    if ((ec = mh_rop_txn(cx, lg, MH_TXN_READ, &t)) != 0)
        return ec;
    mh_receive_folder *rows;
    uint32_t n;
    mh_error err = {MH_OK, NULL};
    mh_err e = mh_be_receive_folders_get(t, &rows, &n, &err);
    mh_be_abort(t);
    if (e != MH_OK)
        return mh_err_to_mapi(e);
    mh_wr_u32(rop->body, n);
    for (uint32_t i = 0; i < n; i++) {
        mh_wr_u8(rop->body, 0x00); /* StandardPropertyRow */
        mh_wr_u64(rop->body, mh_id_to_wire(rows[i].folder, MH_REPLID_LOCAL));
        mh_wr_asciiz(rop->body, rows[i].message_class);
        mh_wr_u64(rop->body, mh_filetime_from_apr(rows[i].modified));
    }
    if (rop->body->len > rop->room) {
        rop->body->len = 0;
        return MH_ROP_TOO_SMALL;
    }
    return 0;
}

/* MS-OXCROPS 2.2.3.5: StoreState 0 (no search folders pending). */
static uint32_t rop_get_store_state(mh_ropctx *cx, mh_rop *rop)
{
    mh_logon *lg;
    uint32_t ec = logon_of(cx, rop, &lg);
    if (ec)
        return ec;
    mh_wr_u32(rop->body, 0);
    return 0;
}

/* ------------------------------------------------ ID conversions */

/* MS-OXCROPS 2.2.3.8, MS-OXCSTOR 3.2.5.8: REPLID 1 is the mailbox GUID. */
static uint32_t rop_long_term_id_from_id(mh_ropctx *cx, mh_rop *rop)
{
    uint64_t wire = mh_rd_u64(rop->rd);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_logon *lg;
    uint32_t ec = logon_of(cx, rop, &lg);
    if (ec)
        return ec;
    uint16_t replid;
    mh_id c = mh_id_from_wire(wire, &replid);
    if (replid != MH_REPLID_LOCAL)
        return MAPI_E_NOT_FOUND;
    uint8_t xid[MH_XID_LEN];
    mh_xid_make(&lg->mailbox, c, xid);
    mh_wr_bytes(rop->body, xid, MH_XID_LEN);
    mh_wr_u16(rop->body, 0); /* Pad */
    return 0;
}

/* MS-OXCROPS 2.2.3.9, MS-OXCSTOR 3.2.5.9 */
static uint32_t rop_id_from_long_term_id(mh_ropctx *cx, mh_rop *rop)
{
    const unsigned char *ltid = mh_rd_bytes(rop->rd, 24);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_logon *lg;
    uint32_t ec = logon_of(cx, rop, &lg);
    if (ec)
        return ec;
    if (memcmp(ltid, lg->mailbox.b, 16) != 0)
        return MAPI_E_NOT_FOUND;
    mh_id c = mh_xid_counter(ltid, MH_XID_LEN);
    if (c == 0)
        return MAPI_E_INVALID_PARAMETER;
    mh_wr_u64(rop->body, mh_id_to_wire(c, MH_REPLID_LOCAL));
    return 0;
}

/* --------------------------------------------- per-user information */

/*
 * The per-user data table of a private mailbox (MS-OXCSTOR 3.2.5.10 to
 * 3.2.5.13): a row per public folder (its LongTermID) holding the change
 * numbers of the messages the user has read there, as a serialized IDSET
 * with REPLGUIDs (MS-OXCFXICS 2.2.2.4.2), and the REPLGUID of the public
 * folder database that provided them.  Outlook caches public folder read
 * state in the mailbox this way.  This server has no public folders of its
 * own: the table is the client's to fill, and the rows live in the backend
 * (the optional peruser_* slots; without them the table reads empty and
 * writes fail with ecNotSupported).
 *
 * RopReadPerUserInformation and RopWritePerUserInformation stream the data
 * in segments (3.1.5.2).  A write in progress is kept with the logon
 * (pu_write) until HasFinished, as 3.2.5.13.1 asks: "each invocation ...
 * accumulates data from the client until the client makes a final call with
 * HasFinished set to TRUE", and a call for another FID or at an offset other
 * than what was written so far means the previous write was abandoned.
 */

#define PU_READ_DEFAULT 4096         /* 3.2.5.12.1: MaxDataSize 0 (Exchange's, <47>) */
#define PU_READ_MAX 4096             /* the suitable maximum (Exchange's, <48>) */
#define PU_WRITE_MAX (1024u * 1024)  /* what one write may accumulate */

struct mh_peruser_write {
    apr_pool_t *pool;                /* a subpool of the logon's: the data */
    uint8_t folder[MH_LTID_LEN];
    mh_guid replguid;                /* from the first segment */
    uint32_t len, cap;
    unsigned char *data;
};

static void pu_dispose(mh_logon *lg)
{
    if (lg->pu_write) {
        apr_pool_destroy(lg->pu_write->pool);
        lg->pu_write = NULL;
    }
}

static struct mh_peruser_write *pu_start(apr_pool_t *parent, const uint8_t folder[MH_LTID_LEN],
                                         const mh_guid *replguid, uint32_t cap)
{
    apr_pool_t *p;
    if (apr_pool_create(&p, parent) != APR_SUCCESS)
        return NULL;
    struct mh_peruser_write *w = apr_pcalloc(p, sizeof(*w));
    w->pool = p;
    memcpy(w->folder, folder, MH_LTID_LEN);
    w->replguid = *replguid;
    w->cap = cap ? cap : 1;
    w->data = apr_palloc(p, w->cap);
    return w;
}

/* The logon state codec's part: u8 0, or u8 1, LTID, REPLGUID, u32 n, data. */
static void pu_encode(mh_wr *wr, const mh_logon *l)
{
    const struct mh_peruser_write *w = l->pu_write;
    mh_wr_u8(wr, w ? 1 : 0);
    if (!w)
        return;
    mh_wr_bytes(wr, w->folder, MH_LTID_LEN);
    mh_wr_bytes(wr, w->replguid.b, 16);
    mh_wr_u32(wr, w->len);
    mh_wr_bytes(wr, w->data, w->len);
}

static int pu_decode(mh_rd *rd, apr_pool_t *pool, mh_logon *l)
{
    if (mh_rd_left(rd) == 0)
        return 0; /* state written before writes were kept */
    if (mh_rd_u8(rd) == 0)
        return rd->err ? -1 : 0;
    const unsigned char *folder = mh_rd_bytes(rd, MH_LTID_LEN);
    mh_guid g;
    mh_rd_copy(rd, g.b, 16);
    uint32_t n = mh_rd_u32(rd);
    const unsigned char *d = n <= PU_WRITE_MAX ? mh_rd_bytes(rd, n) : NULL;
    if (rd->err || !d)
        return -1;
    if (!(l->pu_write = pu_start(pool, folder, &g, n)))
        return -1;
    memcpy(l->pu_write->data, d, n);
    l->pu_write->len = n;
    return 0;
}

/* The row of `folder`, or an empty one when there is none (or the backend
 * keeps no table). */
static uint32_t pu_row(mh_ropctx *cx, mh_logon *lg, const uint8_t folder[MH_LTID_LEN],
                       mh_peruser *row, int *found)
{
    mh_betxn *t;
    uint32_t ec = mh_rop_txn(cx, lg, MH_TXN_READ, &t);
    if (ec)
        return ec;
    mh_error err = {MH_OK, NULL};
    mh_err e = mh_be_peruser_get(t, folder, row, &err);
    if (e == MH_OK) {
        /* the transaction's pool goes with it */
        row->data.data = row->data.len ? apr_pmemdup(cx->pool, row->data.data, row->data.len)
                                       : NULL;
    }
    mh_be_abort(t);
    *found = e == MH_OK;
    if (e == MH_E_NOT_FOUND || e == MH_E_NOT_SUPPORTED) {
        memset(row, 0, sizeof(*row));
        return 0;
    }
    return mh_err_to_mapi(e);
}

/* MS-OXCROPS 2.2.3.10, MS-OXCSTOR 3.2.5.10: the folders whose row came from
 * the public folder database DatabaseGuid. */
static uint32_t rop_get_per_user_long_term_ids(mh_ropctx *cx, mh_rop *rop)
{
    mh_guid db;
    mh_rd_copy(rop->rd, db.b, 16); /* DatabaseGuid */
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_logon *lg;
    uint32_t ec = logon_of(cx, rop, &lg);
    if (ec)
        return ec;
    mh_betxn *t;
    if ((ec = mh_rop_txn(cx, lg, MH_TXN_READ, &t)) != 0)
        return ec;
    mh_error err = {MH_OK, NULL};
    mh_peruser *rows = NULL;
    uint32_t n = 0;
    mh_err e = mh_be_peruser_list(t, &rows, &n, &err);
    if (e == MH_E_NOT_SUPPORTED) {
        e = MH_OK;
        n = 0;
    }
    if (e != MH_OK) {
        mh_be_abort(t);
        return mh_err_to_mapi(e);
    }
    size_t at = rop->body->len;
    mh_wr_u16(rop->body, 0);
    uint16_t count = 0;
    for (uint32_t i = 0; i < n && count < UINT16_MAX; i++)
        if (memcmp(rows[i].replguid.b, db.b, 16) == 0) {
            mh_wr_bytes(rop->body, rows[i].folder, MH_LTID_LEN);
            count++;
        }
    mh_be_abort(t);
    mh_wr_put_u16_at(rop->body, at, count);
    if (rop->body->len > rop->room) {
        rop->body->len = 0;
        return MH_ROP_TOO_SMALL;
    }
    return 0;
}

/* MS-OXCROPS 2.2.3.11, MS-OXCSTOR 3.2.5.11: the REPLGUID of the database
 * that provided the folder's row. */
static uint32_t rop_get_per_user_guid(mh_ropctx *cx, mh_rop *rop)
{
    const unsigned char *ltid = mh_rd_bytes(rop->rd, MH_LTID_LEN);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_logon *lg;
    uint32_t ec = logon_of(cx, rop, &lg);
    if (ec)
        return ec;
    mh_peruser row;
    int found;
    if ((ec = pu_row(cx, lg, ltid, &row, &found)) != 0)
        return ec;
    if (!found)
        return MAPI_E_NOT_FOUND;
    mh_wr_bytes(rop->body, row.replguid.b, 16);
    return 0;
}

/* MS-OXCROPS 2.2.3.12, MS-OXCSTOR 3.2.5.12: a segment of the folder's data
 * (none when there is no row). */
static uint32_t rop_read_per_user_information(mh_ropctx *cx, mh_rop *rop)
{
    const unsigned char *ltid = mh_rd_bytes(rop->rd, MH_LTID_LEN); /* FolderId */
    mh_rd_u8(rop->rd);                                             /* Reserved */
    uint32_t offset = mh_rd_u32(rop->rd);
    uint32_t max = mh_rd_u16(rop->rd);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_logon *lg;
    uint32_t ec = logon_of(cx, rop, &lg);
    if (ec)
        return ec;
    /* DataOffset is signed: below zero, or past the data, is ecError (what
     * Exchange 2013 and later answer, 3.2.5.12.1 and <46>) */
    if (offset & 0x80000000u)
        return MAPI_E_CALL_FAILED;
    mh_peruser row;
    int found;
    if ((ec = pu_row(cx, lg, ltid, &row, &found)) != 0)
        return ec;
    if (offset > row.data.len)
        return MAPI_E_CALL_FAILED;
    if (max == 0)
        max = PU_READ_DEFAULT;
    if (max > PU_READ_MAX)
        max = PU_READ_MAX;
    if (rop->room < 3)
        return MH_ROP_TOO_SMALL;
    if (max > rop->room - 3)
        max = (uint32_t)(rop->room - 3);
    uint32_t left = row.data.len - offset;
    uint32_t size = left < max ? left : max;
    if (size == 0 && left != 0)
        return MH_ROP_TOO_SMALL;
    mh_wr_u8(rop->body, offset + size == row.data.len ? 1 : 0); /* HasFinished */
    mh_wr_u16(rop->body, (uint16_t)size);
    if (size)
        mh_wr_bytes(rop->body, row.data.data + offset, size);
    return 0;
}

/* MS-OXCROPS 2.2.3.13, MS-OXCSTOR 3.2.5.13: accumulates the segments, then
 * checks the whole and stores it as the folder's row, replacing any. */
static uint32_t rop_write_per_user_information(mh_ropctx *cx, mh_rop *rop)
{
    const unsigned char *ltid = mh_rd_bytes(rop->rd, MH_LTID_LEN); /* FolderId */
    uint8_t finished = mh_rd_u8(rop->rd);
    uint32_t offset = mh_rd_u32(rop->rd);
    uint16_t size = mh_rd_u16(rop->rd);
    const unsigned char *data = mh_rd_bytes(rop->rd, size);
    mh_guid replguid;
    memset(&replguid, 0, sizeof(replguid));
    if (offset == 0)
        mh_rd_copy(rop->rd, replguid.b, 16); /* private mailbox logons, first segment */
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *lo;
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx, MH_OTM(MH_OT_LOGON), &lo);
    if (ec)
        return ec;
    mh_logon *lg = lo->data;
    /* the table is the mailbox owner's (a choice: the spec names no rights) */
    if (!lg->own)
        return MAPI_E_NO_ACCESS;
    struct mh_peruser_write *w = lg->pu_write;
    if (w && (memcmp(w->folder, ltid, MH_LTID_LEN) != 0 || offset != w->len)) {
        /* another folder, or not where the last segment ended: the previous
         * write was abandoned */
        pu_dispose(lg);
        w = NULL;
    }
    if (!w) {
        if (offset != 0)
            return MAPI_E_CALL_FAILED;
        uint32_t cap = finished ? size : (size > 4096 ? size : 4096);
        if (!(w = lg->pu_write = pu_start(lo->pool, ltid, &replguid, cap)))
            return MAPI_E_NOT_ENOUGH_RESOURCES;
    } else if (offset == 0) {
        w->replguid = replguid; /* an empty first segment, sent again */
    }
    if ((uint64_t)w->len + size > PU_WRITE_MAX) {
        pu_dispose(lg);
        return MAPI_E_TOO_BIG;
    }
    if (w->len + size > w->cap) {
        uint32_t cap = w->cap;
        while (cap < w->len + size)
            cap = cap > PU_WRITE_MAX / 2 ? PU_WRITE_MAX : cap * 2;
        unsigned char *nd = apr_palloc(w->pool, cap);
        memcpy(nd, w->data, w->len);
        w->data = nd;
        w->cap = cap;
    }
    if (size)
        memcpy(w->data + w->len, data, size);
    w->len += size;
    if (!finished)
        return 0;

    /* the whole of it: "a properly formed serialized IDSET with REPLGUID"
     * (3.2.5.13.1), else ecFmtError (the SHOULD, <49>) */
    mh_peruser row;
    memset(&row, 0, sizeof(row));
    memcpy(row.folder, w->folder, MH_LTID_LEN);
    row.replguid = w->replguid;
    row.data.len = w->len;
    row.data.data = apr_pmemdup(cx->pool, w->data, w->len ? w->len : 1);
    row.modified = apr_time_now();
    pu_dispose(lg);
    if (!mh_idset_guid_valid(row.data.data, row.data.len))
        return EC_FMT_ERROR;
    mh_betxn *t;
    if ((ec = mh_rop_txn(cx, lg, MH_TXN_WRITE, &t)) != 0)
        return ec;
    mh_error err = {MH_OK, NULL};
    mh_err e = mh_be_peruser_set(t, &row, &err);
    if (e != MH_OK) {
        mh_be_abort(t);
        return mh_err_to_mapi(e);
    }
    return mh_rop_commit(cx, t);
}

/* ------------------------------------------------- public folders */

/* MS-OXCSTOR 3.2.5.6: private mailboxes have no owning servers to list. */
static uint32_t rop_get_owning_servers(mh_ropctx *cx, mh_rop *rop)
{
    mh_rd_u64(rop->rd);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_logon *lg;
    uint32_t ec = logon_of(cx, rop, &lg);
    if (ec)
        return ec;
    return MAPI_E_NO_SUPPORT;
}

/* MS-OXCSTOR 3.2.5.7: nothing in a private mailbox is ghosted. */
static uint32_t rop_public_folder_is_ghosted(mh_ropctx *cx, mh_rop *rop)
{
    mh_rd_u64(rop->rd);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_logon *lg;
    uint32_t ec = logon_of(cx, rop, &lg);
    if (ec)
        return ec;
    mh_wr_u8(rop->body, 0);
    return 0;
}

const mh_rop_entry mh_rops_oxcstor[] = {
    {0xFE, rop_logon},
    {0x27, rop_get_receive_folder},
    {0x26, rop_set_receive_folder},
    {0x68, rop_get_receive_folder_table},
    {0x7B, rop_get_store_state},
    {0x43, rop_long_term_id_from_id},
    {0x44, rop_id_from_long_term_id},
    {0x60, rop_get_per_user_long_term_ids},
    {0x61, rop_get_per_user_guid},
    {0x63, rop_read_per_user_information},
    {0x64, rop_write_per_user_information},
    {0x42, rop_get_owning_servers},
    {0x45, rop_public_folder_is_ghosted},
    {0, NULL}};
