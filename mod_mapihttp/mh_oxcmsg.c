/*
 * mh_oxcmsg.c - messages and attachments (MS-OXCMSG; MS-OXCROPS 2.2.6):
 * the message and attachment object classes, message instances, the
 * computed properties of messages, and every ROP of the family.
 *
 * Instances.  A message object holds a copy of the whole message (an
 * mh_message tree: properties, recipients, attachments, embedded
 * messages) read from the store when it was opened.  Every change goes to
 * that copy only; RopSaveChangesMessage writes the copy back in one
 * backend transaction (ARCHITECTURE.md, rule 5).  Values longer than
 * MH_MSG_LARGE stay references to the stored value (MH_PV_LARGE): they
 * are read piecewise when asked for and handed back unchanged on save,
 * which the backend takes as "keep the stored value".
 *
 * Attachments and embedded messages are instances of their own: an
 * attachment object holds a copy of one attachment of its message's
 * instance, and RopSaveChangesAttachment puts it back into that instance
 * (not into the store).  An embedded message object holds a copy of the
 * attachment's embedded message, and RopSaveChangesMessage on it puts it
 * back into the attachment object's instance.  So the store only ever
 * sees whole messages.
 */
#include <string.h>

#include <apr_strings.h>
#include <apr_time.h>

#include "mh_entryid.h"
#include "mh_log.h"
#include "mh_props.h"
#include "mh_rop.h"
#include "mh_unicode.h"

/* Values longer than this stay in the store while a message is open. */
#define MH_MSG_LARGE 16384


/* PR_ACCESS bits (MS-OXCPRPT 2.2.1.1) and PR_ACCESS_LEVEL values. */
#define MH_ACCESS_MODIFY 0x1
#define MH_ACCESS_READ 0x2
#define MH_ACCESS_DELETE 0x4

#define MAPI_MESSAGE 5
#define MAPI_ATTACH 7

/* RecipientRow RecipientFlags (MS-OXCDATA 2.8.3.1). */
#define RF_TYPE_MASK 0x0007
#define RF_TYPE_NONE 0x0
#define RF_TYPE_X500DN 0x1
#define RF_TYPE_MSMAIL 0x2
#define RF_TYPE_SMTP 0x3
#define RF_TYPE_FAX 0x4
#define RF_TYPE_PROFS 0x5
#define RF_TYPE_PDL1 0x6
#define RF_TYPE_PDL2 0x7
#define RF_E 0x0008 /* EmailAddress present */
#define RF_D 0x0010 /* DisplayName present */
#define RF_T 0x0020 /* TransmittableDisplayName present */
#define RF_S 0x0040 /* PR_SEND_RICH_INFO */
#define RF_R 0x0080 /* TransmittableDisplayName = DisplayName */
#define RF_N 0x0100
#define RF_U 0x0200 /* strings are Unicode */
#define RF_I 0x0400 /* SimpleDisplayName present */
#define RF_O 0x8000 /* AddressType present (Type NoType) */

/* OpenModeFlags (MS-OXCMSG 2.2.3.1.1) */
#define OPEN_READ_ONLY 0x00
#define OPEN_READ_WRITE 0x01
#define OPEN_BEST_ACCESS 0x03
#define OPEN_SOFT_DELETED 0x04
/* RopOpenEmbeddedMessage OpenModeFlags (2.2.3.16.1) */
#define OPEN_EMB_CREATE 0x02

/* SaveFlags (MS-OXCMSG 2.2.3.3.1); other bits are ignored. */
#define SAVE_KEEP_OPEN_READ_ONLY 0x01
#define SAVE_KEEP_OPEN_READ_WRITE 0x02
#define SAVE_FORCE 0x04

/* ReadFlags (MS-OXCMSG 2.2.3.10.1) */
#define RF_SUPPRESS_RECEIPT 0x01
#define RF_CLEAR_READ_FLAG 0x04
#define RF_GENERATE_RECEIPT_ONLY 0x10
#define RF_CLEAR_NOTIFY_READ 0x20
#define RF_CLEAR_NOTIFY_UNREAD 0x40

/* The Private bit of RopLogon's LogonFlags (MS-OXCSTOR 2.2.1.1.1). */
#define LOGON_PRIVATE 0x01

/* ------------------------------------------------------------- the objects */

/* A message object. */
typedef struct mh_msgobj {
    mh_id fid;            /* the folder (of the top message for embedded ones) */
    mh_id mid;            /* 0: not saved yet, or an embedded message */
    mh_id cn;             /* the CN of the stored version the instance began from */
    uint8_t fai;          /* folder-associated */
    uint8_t writable;     /* open read/write */
    uint8_t changed;      /* the instance differs from what it was read from */
    uint8_t embedded;     /* opened from an attachment object (obj->parent) */
    uint32_t rights;      /* the user's rights on the folder at open */
    uint32_t next_attach; /* the next PR_ATTACH_NUM to hand out */
    uint32_t n_cols;      /* the recipient columns last sent or received */
    mh_proptag *cols;
    mh_message *inst;
} mh_msgobj;

/* An attachment object; obj->parent is its message object. */
typedef struct mh_attobj {
    uint32_t num;
    uint8_t writable;
    uint8_t changed;
    mh_attachment att;
} mh_attobj;

/* --------------------------------------------------------------- helpers */

/* The bytes of a value as the large threshold counts them. */
static uint64_t value_size(const mh_propval *v)
{
    if (v->flags & MH_PV_LARGE)
        return v->v.large.size;
    if (MH_TAG_TYPE(v->tag) == PT_UNICODE)
        return v->v.str ? strlen(v->v.str) : 0;
    return mh_propval_bytes(v);
}

/* Whether a value with tag `have` answers a request for `want` (PT_UNSPECIFIED
 * and the string kinds match by id). */
static int tag_matches(mh_proptag want, mh_proptag have)
{
    if (want == have)
        return 1;
    if (MH_TAG_ID(want) != MH_TAG_ID(have))
        return 0;
    uint16_t wt = MH_TAG_TYPE(want), ht = MH_TAG_TYPE(have);
    if (wt == PT_UNSPECIFIED)
        return 1;
    if ((wt == PT_STRING8 && ht == PT_UNICODE) || (wt == PT_MV_STRING8 && ht == PT_MV_UNICODE))
        return 1;
    return 0;
}

static const mh_propval *find_match(const mh_proplist *l, mh_proptag want)
{
    uint16_t wt = MH_TAG_TYPE(want);
    if (wt != PT_UNSPECIFIED && wt != PT_STRING8 && wt != PT_MV_STRING8) {
        /* only the same tag answers (tag_matches) */
        for (uint32_t i = 0; i < l->n; i++)
            if (l->v[i].tag == want)
                return &l->v[i];
        return NULL;
    }
    for (uint32_t i = 0; i < l->n; i++)
        if (tag_matches(want, l->v[i].tag))
            return &l->v[i];
    return NULL;
}

/* Removes every value with this tag's id (any type). */
static int remove_id(mh_proplist *l, uint16_t id)
{
    int found = 0;
    for (uint32_t i = 0; i < l->n;) {
        if (MH_TAG_ID(l->v[i].tag) == id) {
            memmove(&l->v[i], &l->v[i + 1], sizeof(*l->v) * (l->n - i - 1));
            l->n--;
            found = 1;
        } else {
            i++;
        }
    }
    return found;
}

/* Sets a deep copy of v (replacing any value of the same id). */
static void set_copy(apr_pool_t *pool, mh_proplist *l, const mh_propval *v)
{
    mh_propval c;
    mh_propval_copy(pool, &c, v);
    remove_id(l, MH_TAG_ID(v->tag));
    mh_proplist_set(pool, l, &c);
}

static void add_value(apr_pool_t *pool, mh_proplist *l, mh_propval v)
{
    mh_proplist_set(pool, l, &v);
}

/* add_value for a list with room for *cap values, grown by doubling: a
 * list that gets many values added is not copied for each one. */
static void put_value(apr_pool_t *pool, mh_proplist *l, uint32_t *cap, mh_propval v)
{
    for (uint32_t i = 0; i < l->n; i++) {
        if (l->v[i].tag == v.tag) {
            l->v[i] = v;
            return;
        }
    }
    if (l->n == *cap) {
        uint32_t nc = *cap ? *cap * 2 : 16;
        mh_propval *nv = apr_palloc(pool, nc * sizeof(*nv));
        if (l->n)
            memcpy(nv, l->v, l->n * sizeof(*nv));
        l->v = nv;
        *cap = nc;
    }
    l->v[l->n++] = v;
}

static int32_t list_long(const mh_proplist *l, mh_proptag tag, int32_t dflt)
{
    const mh_propval *v = mh_proplist_find(l, tag);
    return v && !(v->flags & MH_PV_LARGE) ? v->v.i32 : dflt;
}

static const char *list_str(const mh_proplist *l, mh_proptag tag)
{
    const mh_propval *v = mh_proplist_find(l, tag);
    return v && !(v->flags & MH_PV_LARGE) ? v->v.str : NULL;
}

/* The address-book entry ID of a legacy DN: who created or last changed
 * a message. */
static mh_bin ab_entryid(apr_pool_t *pool, const char *dn)
{
    mh_bin b;
    mh_ab_entryid(dn, MH_AB_DT_MAILUSER, pool, &b);
    return b;
}

static void xid_bin(apr_pool_t *pool, const mh_guid *g, mh_id id, mh_bin *out)
{
    uint8_t *x = apr_palloc(pool, MH_XID_LEN);
    mh_xid_make(g, id, x);
    out->len = MH_XID_LEN;
    out->data = x;
}

/* A read transaction; the caller aborts it. */
static uint32_t read_txn(mh_ropctx *cx, const mh_logon *lg, mh_betxn **t_r)
{
    return mh_rop_txn(cx, lg, MH_TXN_READ, t_r);
}

/* Rights on a folder: everything in one's own mailbox. */
static uint32_t folder_rights(mh_ropctx *cx, const mh_logon *lg, mh_betxn *t, mh_id fid,
                              uint32_t *rights_r)
{
    if (lg->own) {
        *rights_r = 0xFFFFFFFFu;
        return 0;
    }
    return mh_folder_rights(cx, lg, t, fid, rights_r);
}

/* Whether the message was created by the logged-on user (FRIGHTS_*_OWNED). */
static int owned_by_user(mh_ropctx *cx, const mh_proplist *props)
{
    const mh_propval *c = mh_proplist_find(props, PR_CREATOR_ENTRYID);
    if (!c || (c->flags & MH_PV_LARGE))
        return 0;
    mh_bin me = ab_entryid(cx->pool, cx->ses ? cx->ses->user_dn : NULL);
    return c->v.bin.len == me.len && memcmp(c->v.bin.data, me.data, me.len) == 0;
}

static int may_edit(mh_ropctx *cx, const mh_logon *lg, uint32_t rights, const mh_proplist *props)
{
    if (lg->own)
        return 1;
    return (rights & FRIGHTS_EDIT_ANY) ||
           ((rights & FRIGHTS_EDIT_OWNED) && owned_by_user(cx, props));
}

static int may_delete(mh_ropctx *cx, const mh_logon *lg, uint32_t rights,
                      const mh_proplist *props)
{
    if (lg->own)
        return 1;
    return (rights & FRIGHTS_DELETE_ANY) ||
           ((rights & FRIGHTS_DELETE_OWNED) && owned_by_user(cx, props));
}

/* "a; b; c" of the display names of the recipients of a type (MS-OXCMSG
 * 2.2.1.7..9: PidTagDisplayTo/Cc/Bcc). */
static const char *display_list(apr_pool_t *pool, const mh_message *m, int32_t type)
{
    char *s = "";
    int first = 1;
    for (uint32_t i = 0; i < m->n_recipients; i++) {
        const mh_proplist *r = &m->recipients[i];
        if ((list_long(r, PR_RECIPIENT_TYPE, 0) & 0x0F) != type)
            continue;
        const char *n = list_str(r, PR_DISPLAY_NAME);
        if (!n)
            n = list_str(r, PR_EMAIL_ADDRESS);
        if (!n)
            continue;
        s = first ? apr_pstrdup(pool, n) : apr_pstrcat(pool, s, "; ", n, NULL);
        first = 0;
    }
    return s;
}

/* The stored message flags with the bits the message's shape decides. */
static int32_t message_flags(const mh_message *m, int fai)
{
    int32_t f = list_long(&m->props, PR_MESSAGE_FLAGS, 0);
    f = m->n_attachments ? (f | MSGFLAG_HASATTACH) : (f & ~MSGFLAG_HASATTACH);
    f = fai ? (f | MSGFLAG_ASSOCIATED) : (f & ~MSGFLAG_ASSOCIATED);
    return f;
}

/* find_match looking first where the same tag was found in the last list
 * (a table's rows are lists made the same way, value for value): *hint is
 * that place, updated.  Only for a tag of one type (not PT_UNSPECIFIED or
 * PT_STRING8, which several values could answer): a list has a tag once
 * (mh_proplist_set, put_value), so the value there is the one find_match
 * would find. */
static const mh_propval *find_match_hinted(const mh_proplist *l, mh_proptag want,
                                           uint32_t *hint)
{
    uint32_t h = *hint;
    uint16_t wt = MH_TAG_TYPE(want);
    if (h < l->n && l->v[h].tag == want && wt != PT_UNSPECIFIED && wt != PT_STRING8 &&
        wt != PT_MV_STRING8)
        return &l->v[h];
    const mh_propval *v = find_match(l, want);
    if (v)
        *hint = (uint32_t)(v - l->v);
    return v;
}

/* Keeps the values asked for (tags NULL: all) into out, with values longer
 * than `large` left as MH_PV_LARGE references (inline ones get ref 0).
 * With `hint` (one per tag, see find_match_hinted), values are looked for
 * where they were last time; `distinct`: no two tags share an id, so no
 * value can be selected twice. */
static void select_values(const mh_proplist *all, const mh_proptag *tags, uint32_t n,
                          uint64_t large, apr_pool_t *pool, mh_proplist *out,
                          uint32_t *hint, int distinct)
{
    uint32_t cap = tags ? n : all->n;
    out->n = 0;
    out->v = apr_pcalloc(pool, sizeof(mh_propval) * (cap ? cap : 1));
    for (uint32_t i = 0; i < cap; i++) {
        const mh_propval *v = !tags ? &all->v[i]
                              : hint ? find_match_hinted(all, tags[i], &hint[i])
                                     : find_match(all, tags[i]);
        if (!v)
            continue;
        mh_propval *o = &out->v[out->n];
        uint16_t type = MH_TAG_TYPE(v->tag);
        if (!(v->flags & MH_PV_LARGE) && (type == PT_UNICODE || type == PT_BINARY) &&
            value_size(v) > large) {
            o->tag = v->tag;
            o->flags = MH_PV_LARGE;
            o->v.large.size = value_size(v);
            o->v.large.ref = 0;
        } else {
            *o = *v;
        }
        /* the same value asked twice is given once */
        if (distinct || !mh_proplist_find(&(mh_proplist){out->n, out->v}, o->tag))
            out->n++;
    }
}

/* ------------------------------------------------- instance value access */

/* Where the values of a message or attachment object are stored: the
 * objref of the top message's stored version and the attachment path. */
static int object_ref(mh_ropctx *cx, mh_object *obj, mh_objref *ref)
{
    uint32_t path[MH_MAX_EMBED_DEPTH];
    uint32_t depth = 0;
    memset(ref, 0, sizeof(*ref));
    int attachment = obj->type == MH_OT_ATTACHMENT;
    mh_object *o = obj;
    for (int guard = 0; guard < 2 * MH_MAX_EMBED_DEPTH + 2 && o; guard++) {
        if (o->type == MH_OT_ATTACHMENT) {
            if (depth >= MH_MAX_EMBED_DEPTH)
                return -1;
            path[depth++] = ((mh_attobj *)o->data)->num;
            o = mh_obj_find(cx, o->parent);
        } else if (o->type == MH_OT_MESSAGE) {
            mh_msgobj *m = o->data;
            if (!m->embedded) {
                if (!m->mid)
                    return -1;
                ref->kind = MH_OBJ_MESSAGE;
                ref->id = m->mid;
                ref->depth = depth;
                for (uint32_t i = 0; i < depth; i++)
                    ref->path[i] = path[depth - 1 - i];
                ref->attachment = attachment;
                return 0;
            }
            o = mh_obj_find(cx, o->parent);
        } else {
            return -1;
        }
    }
    return -1;
}

/* Reads part of a value of an instance list; stored large values through
 * the backend. */
static uint32_t read_value(mh_ropctx *cx, mh_object *obj, const mh_proplist *l, mh_proptag tag,
                           uint64_t offset, void *buf, size_t len, size_t *got_r)
{
    const mh_propval *v = find_match(l, tag);
    *got_r = 0;
    if (!v)
        return MAPI_E_NOT_FOUND;
    if (v->flags & MH_PV_LARGE) {
        mh_objref ref;
        mh_logon *lg = mh_obj_logon_data(cx, obj);
        mh_betxn *t;
        mh_error err;
        uint32_t ec;
        if (!lg || object_ref(cx, obj, &ref) != 0)
            return MAPI_E_NOT_FOUND;
        if (offset >= v->v.large.size)
            return 0;
        if ((ec = read_txn(cx, lg, &t)) != 0)
            return ec;
        mh_err e = mh_be_value_read(t, &ref, v->tag, offset, buf, len, got_r, &err);
        mh_be_abort(t);
        return e == MH_OK ? 0 : mh_err_to_mapi(e);
    }
    const void *data;
    uint64_t size;
    switch (MH_TAG_TYPE(v->tag)) {
    case PT_UNICODE:
        data = v->v.str;
        size = strlen(v->v.str);
        break;
    case PT_BINARY:
    case PT_SVREID:
    case PT_SRESTRICTION:
    case PT_ACTIONS:
        data = v->v.bin.data;
        size = v->v.bin.len;
        break;
    default:
        return MAPI_E_INVALID_PARAMETER;
    }
    if (offset >= size)
        return 0;
    size_t n = (size - offset) < len ? (size_t)(size - offset) : len;
    memcpy(buf, (const uint8_t *)data + offset, n);
    *got_r = n;
    return 0;
}

/* Loads stored large values no longer than `large` into the result list. */
static uint32_t load_small(mh_ropctx *cx, mh_object *obj, const mh_proplist *src,
                           uint64_t large, apr_pool_t *pool, mh_proplist *out)
{
    for (uint32_t i = 0; i < out->n; i++) {
        mh_propval *v = &out->v[i];
        if (!(v->flags & MH_PV_LARGE) || v->v.large.size > large || v->v.large.size > SIZE_MAX - 1)
            continue;
        size_t size = (size_t)v->v.large.size, got = 0;
        uint8_t *buf = apr_palloc(pool, size + 1);
        uint32_t ec = read_value(cx, obj, src, v->tag, 0, buf, size, &got);
        if (ec)
            return ec;
        if (got != size)
            return MAPI_E_CORRUPT_DATA;
        buf[size] = 0;
        v->flags = 0;
        if (MH_TAG_TYPE(v->tag) == PT_UNICODE)
            v->v.str = (const char *)buf;
        else
            v->v.bin = (mh_bin){(uint32_t)size, buf};
    }
    return 0;
}

/* ------------------------------------------------ computed message values */

/* The values identity_props computes, in the order of its table. */
enum {
    IP_ENTRYID, IP_RECORD_KEY, IP_MID, IP_INST_ID, IP_INSTANCE_NUM, IP_PARENT_ENTRYID,
    IP_FID, IP_PARENT_FID, IP_PARENT_SOURCE_KEY, IP_STORE_ENTRYID, IP_STORE_RECORD_KEY,
    IP_OBJECT_TYPE, IP_COUNT
};

/* Which identity values (IP_* bits) some tags ask for (tags NULL: all). */
static uint32_t identity_asked(const mh_proptag *tags, uint32_t n)
{
    static const mh_proptag ident[IP_COUNT] = {
        [IP_ENTRYID] = PR_ENTRYID, [IP_RECORD_KEY] = PR_RECORD_KEY, [IP_MID] = PR_MID,
        [IP_INST_ID] = PR_INST_ID, [IP_INSTANCE_NUM] = PR_INSTANCE_NUM,
        [IP_PARENT_ENTRYID] = PR_PARENT_ENTRYID, [IP_FID] = PR_FID,
        [IP_PARENT_FID] = PR_PARENT_FID, [IP_PARENT_SOURCE_KEY] = PR_PARENT_SOURCE_KEY,
        [IP_STORE_ENTRYID] = PR_STORE_ENTRYID, [IP_STORE_RECORD_KEY] = PR_STORE_RECORD_KEY,
        [IP_OBJECT_TYPE] = PR_OBJECT_TYPE};
    uint32_t want = tags ? 0 : ~0u;
    for (uint32_t i = 0; tags && i < n; i++) {
        int k;
        switch (MH_TAG_ID(tags[i])) {
        case MH_TAG_ID(PR_ENTRYID): k = IP_ENTRYID; break;
        case MH_TAG_ID(PR_RECORD_KEY): k = IP_RECORD_KEY; break;
        case MH_TAG_ID(PR_MID): k = IP_MID; break;
        case MH_TAG_ID(PR_INST_ID): k = IP_INST_ID; break;
        case MH_TAG_ID(PR_INSTANCE_NUM): k = IP_INSTANCE_NUM; break;
        case MH_TAG_ID(PR_PARENT_ENTRYID): k = IP_PARENT_ENTRYID; break;
        case MH_TAG_ID(PR_FID): k = IP_FID; break;
        case MH_TAG_ID(PR_PARENT_FID): k = IP_PARENT_FID; break;
        case MH_TAG_ID(PR_PARENT_SOURCE_KEY): k = IP_PARENT_SOURCE_KEY; break;
        case MH_TAG_ID(PR_STORE_ENTRYID): k = IP_STORE_ENTRYID; break;
        case MH_TAG_ID(PR_STORE_RECORD_KEY): k = IP_STORE_RECORD_KEY; break;
        case MH_TAG_ID(PR_OBJECT_TYPE): k = IP_OBJECT_TYPE; break;
        default: continue;
        }
        if (tag_matches(tags[i], ident[k]))
            want |= 1u << k;
    }
    return want;
}

/* Fills what a stored message's place and identity give: entry IDs, IDs,
 * parent, store; those `want` asks for (identity_asked).  l has room for
 * *cap values (put_value). */
static void identity_props(mh_ropctx *cx, const mh_logon *lg, mh_id fid, mh_id mid,
                           uint32_t want, apr_pool_t *pool, mh_proplist *l, uint32_t *cap)
{
    (void)cx;
    if (!want)
        return;
#define ASKED(tag) ((want >> IP_##tag) & 1)
    if (mid) {
        if (ASKED(ENTRYID) || ASKED(RECORD_KEY)) {
            uint8_t *eid = apr_palloc(pool, MH_MESSAGE_EID_LEN);
            mh_eid_message(&lg->mailbox, &lg->mailbox, fid, &lg->mailbox, mid, eid);
            put_value(pool, l, cap, mh_pv_bin(PR_ENTRYID, eid, MH_MESSAGE_EID_LEN));
            put_value(pool, l, cap, mh_pv_bin(PR_RECORD_KEY, eid, MH_MESSAGE_EID_LEN));
        }
        int64_t wire = (int64_t)mh_id_to_wire(mid, MH_REPLID_LOCAL);
        if (ASKED(MID))
            put_value(pool, l, cap, mh_pv_i8(PR_MID, wire));
        if (ASKED(INST_ID))
            put_value(pool, l, cap, mh_pv_i8(PR_INST_ID, wire));
        if (ASKED(INSTANCE_NUM))
            put_value(pool, l, cap, mh_pv_long(PR_INSTANCE_NUM, 0));
    }
    if (fid) {
        if (ASKED(PARENT_ENTRYID)) {
            uint8_t *feid = apr_palloc(pool, MH_FOLDER_EID_LEN);
            mh_eid_folder(&lg->mailbox, &lg->mailbox, fid, feid);
            put_value(pool, l, cap, mh_pv_bin(PR_PARENT_ENTRYID, feid, MH_FOLDER_EID_LEN));
        }
        int64_t wire = (int64_t)mh_id_to_wire(fid, MH_REPLID_LOCAL);
        if (ASKED(FID))
            put_value(pool, l, cap, mh_pv_i8(PR_FID, wire));
        if (ASKED(PARENT_FID))
            put_value(pool, l, cap, mh_pv_i8(PR_PARENT_FID, wire));
        if (ASKED(PARENT_SOURCE_KEY)) {
            mh_bin psk;
            xid_bin(pool, &lg->mailbox, fid, &psk);
            put_value(pool, l, cap, mh_pv_bin(PR_PARENT_SOURCE_KEY, psk.data, psk.len));
        }
    }
    if (ASKED(STORE_ENTRYID)) {
        mh_bin seid;
        mh_store_entryid(lg, pool, &seid);
        put_value(pool, l, cap, mh_pv_bin(PR_STORE_ENTRYID, seid.data, seid.len));
    }
    if (ASKED(STORE_RECORD_KEY))
        put_value(pool, l, cap, mh_pv_bin(PR_STORE_RECORD_KEY, lg->mailbox.b, 16));
    if (ASKED(OBJECT_TYPE))
        put_value(pool, l, cap, mh_pv_long(PR_OBJECT_TYPE, MAPI_MESSAGE));
#undef ASKED
}

static int32_t access_bits(mh_ropctx *cx, const mh_logon *lg, uint32_t rights,
                           const mh_proplist *props)
{
    int32_t a = 0;
    if (lg->own || (rights & FRIGHTS_READ_ANY))
        a |= MH_ACCESS_READ;
    if (may_edit(cx, lg, rights, props))
        a |= MH_ACCESS_MODIFY;
    if (may_delete(cx, lg, rights, props))
        a |= MH_ACCESS_DELETE;
    return a;
}

/* Every value of a message object's instance and its computed values. */
static void msgobj_all(mh_ropctx *cx, mh_object *obj, apr_pool_t *pool, mh_proplist *all)
{
    mh_msgobj *m = obj->data;
    mh_logon *lg = mh_obj_logon_data(cx, obj);
    mh_proplist_copy(pool, all, &m->inst->props);
    uint32_t cap = all->n;
    if (lg)
        identity_props(cx, lg, m->embedded ? 0 : m->fid, m->embedded ? 0 : m->mid, ~0u, pool,
                       all, &cap);
    uint64_t size = mh_message_bytes(m->inst);
    add_value(pool, all, mh_pv_long(PR_MESSAGE_SIZE, size > INT32_MAX ? INT32_MAX : (int32_t)size));
    add_value(pool, all, mh_pv_i8(PR_MESSAGE_SIZE_EXTENDED, (int64_t)size));
    add_value(pool, all, mh_pv_long(PR_MESSAGE_FLAGS, message_flags(m->inst, m->fai)));
    add_value(pool, all, mh_pv_bool(PR_HASATTACH, m->inst->n_attachments > 0));
    add_value(pool, all, mh_pv_bool(PR_ASSOCIATED, m->fai));
    add_value(pool, all, mh_pv_long(PR_ACCESS_LEVEL, m->writable ? 1 : 0));
    if (lg)
        add_value(pool, all, mh_pv_long(PR_ACCESS, access_bits(cx, lg, m->rights, &m->inst->props)));
    add_value(pool, all, mh_pv_str(PR_DISPLAY_TO, display_list(pool, m->inst, 1)));
    add_value(pool, all, mh_pv_str(PR_DISPLAY_CC, display_list(pool, m->inst, 2)));
    add_value(pool, all, mh_pv_str(PR_DISPLAY_BCC, display_list(pool, m->inst, 3)));
}

/* The values the store keeps for what is otherwise computed, so that
 * tables see them without reading the whole message. */
static void stamp_for_save(mh_ropctx *cx, mh_message *inst, int fai, apr_pool_t *pool)
{
    set_copy(pool, &inst->props, &(mh_propval){.tag = PR_DISPLAY_TO, .v.str = display_list(pool, inst, 1)});
    set_copy(pool, &inst->props, &(mh_propval){.tag = PR_DISPLAY_CC, .v.str = display_list(pool, inst, 2)});
    set_copy(pool, &inst->props, &(mh_propval){.tag = PR_DISPLAY_BCC, .v.str = display_list(pool, inst, 3)});
    mh_propval f = mh_pv_long(PR_MESSAGE_FLAGS, message_flags(inst, fai));
    set_copy(pool, &inst->props, &f);
    mh_propval hv = mh_pv_bool(PR_HASATTACH, inst->n_attachments > 0);
    set_copy(pool, &inst->props, &hv);
    mh_propval lm = mh_pv_time(PR_LAST_MODIFICATION_TIME, mh_filetime_from_apr(apr_time_now()));
    set_copy(pool, &inst->props, &lm);
    mh_bin me = ab_entryid(pool, cx->ses ? cx->ses->user_dn : NULL);
    mh_propval lme = mh_pv_bin(PR_LAST_MODIFIER_ENTRYID, me.data, me.len);
    set_copy(pool, &inst->props, &lme);
    /* computed-only values never reach the store */
    static const mh_proptag computed[] = {PR_ENTRYID, PR_RECORD_KEY, PR_MID, PR_FID,
                                          PR_PARENT_FID, PR_INST_ID, PR_INSTANCE_NUM,
                                          PR_PARENT_ENTRYID, PR_PARENT_SOURCE_KEY,
                                          PR_STORE_ENTRYID, PR_STORE_RECORD_KEY, PR_ACCESS,
                                          PR_ACCESS_LEVEL, PR_OBJECT_TYPE, PR_ASSOCIATED,
                                          PR_MESSAGE_SIZE_EXTENDED};
    for (size_t i = 0; i < sizeof(computed) / sizeof(computed[0]); i++)
        remove_id(&inst->props, MH_TAG_ID(computed[i]));
}

/* The other computed values of a message, as bits of a plan's `computed`. */
enum {
    CV_DISPLAY_TO, CV_DISPLAY_CC, CV_DISPLAY_BCC, CV_HASATTACH, CV_MESSAGE_FLAGS,
    CV_MESSAGE_SIZE, CV_MESSAGE_SIZE_EXTENDED, CV_ASSOCIATED, CV_ACCESS, CV_ACCESS_LEVEL,
    CV_COUNT
};
static const mh_proptag computed_tags[CV_COUNT] = {
    [CV_DISPLAY_TO] = PR_DISPLAY_TO, [CV_DISPLAY_CC] = PR_DISPLAY_CC,
    [CV_DISPLAY_BCC] = PR_DISPLAY_BCC, [CV_HASATTACH] = PR_HASATTACH,
    [CV_MESSAGE_FLAGS] = PR_MESSAGE_FLAGS, [CV_MESSAGE_SIZE] = PR_MESSAGE_SIZE,
    [CV_MESSAGE_SIZE_EXTENDED] = PR_MESSAGE_SIZE_EXTENDED, [CV_ASSOCIATED] = PR_ASSOCIATED,
    [CV_ACCESS] = PR_ACCESS, [CV_ACCESS_LEVEL] = PR_ACCESS_LEVEL};

struct mh_message_plan {
    const mh_proptag *tags;      /* as asked (NULL: every property) */
    uint32_t n;
    const mh_proptag *fetch;     /* stored tags to read, sorted; NULL: all */
    uint32_t n_fetch;
    uint32_t ident;              /* identity values asked (identity_asked) */
    uint32_t computed;           /* other computed values asked (CV_* bits) */
    uint32_t *hint;              /* per tag: where the last row had it (select_values) */
    int distinct;                /* no two tags share an id */
    struct plan_scratch *sc;     /* a row's working list, reused by the next row */
    apr_pool_t *pool;            /* the plan's (the working list lives there) */
};

struct plan_scratch {
    mh_propval *v;
    uint32_t cap;
};

const mh_message_plan *mh_message_plan_make(apr_pool_t *pool, const mh_proptag *tags,
                                            uint32_t n)
{
    mh_message_plan *pl = apr_pcalloc(pool, sizeof(*pl));
    pl->tags = tags;
    pl->n = n;
    pl->ident = identity_asked(tags, n);
    pl->computed = tags ? 0 : ~0u;
    pl->sc = apr_pcalloc(pool, sizeof(*pl->sc));
    pl->pool = pool;
    if (tags) {
        pl->hint = apr_pcalloc(pool, (n ? n : 1) * sizeof(*pl->hint));
        pl->distinct = 1;
        if (n <= 64) {
            /* a list view's dozen columns: compared pairwise */
            for (uint32_t i = 1; i < n && pl->distinct; i++)
                for (uint32_t j = 0; j < i && pl->distinct; j++)
                    pl->distinct = MH_TAG_ID(tags[i]) != MH_TAG_ID(tags[j]);
        } else {
            /* one bit per property id (8 KB): a table may have 4096 columns */
            uint64_t *seen = apr_pcalloc(pool, 65536 / 8);
            for (uint32_t i = 0; i < n && pl->distinct; i++) {
                uint16_t id = MH_TAG_ID(tags[i]);
                pl->distinct = !(seen[id >> 6] >> (id & 63) & 1);
                seen[id >> 6] |= 1ull << (id & 63);
            }
        }
    }
    for (uint32_t i = 0; tags && i < n; i++)
        for (int k = 0; k < CV_COUNT; k++)
            if (tag_matches(tags[i], computed_tags[k]))
                pl->computed |= 1u << k;
    if (!tags)
        return pl;
    /* only the stored values asked for and those the computed values
     * asked for come from (a table row wants a dozen of a message's many),
     * each once, sorted (the order mh_proplist_decode_tags works in) */
    mh_proptag from[6];
    size_t n_from = 0;
    uint32_t c = pl->computed;
    if (c & (1u << CV_MESSAGE_FLAGS))
        from[n_from++] = PR_MESSAGE_FLAGS;
    if (c & (1u << CV_MESSAGE_FLAGS | 1u << CV_HASATTACH))
        from[n_from++] = PR_HASATTACH;
    for (int k = CV_DISPLAY_TO; k <= CV_DISPLAY_BCC; k++)
        if (c >> k & 1)
            from[n_from++] = computed_tags[k];
    if (c & (1u << CV_ACCESS | 1u << CV_ACCESS_LEVEL))
        from[n_from++] = PR_CREATOR_ENTRYID;
    mh_proptag *f = apr_palloc(pool, (n + n_from + 1) * sizeof(*f));
    uint32_t nf = 0;
    for (size_t i = 0; i < n + n_from; i++) {
        mh_proptag tag = i < n ? tags[i] : from[i - n];
        uint16_t type = MH_TAG_TYPE(tag);
        if (type == PT_UNSPECIFIED)
            return pl; /* any type: every value it could be */
        if (type == PT_STRING8)
            tag = MH_TAG_RETYPE(tag, PT_UNICODE);
        else if (type == PT_MV_STRING8)
            tag = MH_TAG_RETYPE(tag, PT_MV_UNICODE);
        uint32_t k = nf;
        while (k > 0 && f[k - 1] > tag)
            k--;
        if (k > 0 && f[k - 1] == tag)
            continue;
        memmove(f + k + 1, f + k, (nf - k) * sizeof(*f));
        f[k] = tag;
        nf++;
    }
    pl->fetch = f;
    pl->n_fetch = nf;
    return pl;
}

uint32_t mh_message_props(mh_ropctx *cx, const mh_logon *lg, mh_betxn *t, mh_id mid,
                          const mh_proptag *tags, uint32_t n, uint64_t large,
                          apr_pool_t *pool, mh_proplist *out)
{
    return mh_message_props_planned(cx, lg, t, mid, mh_message_plan_make(pool, tags, n),
                                    large, pool, out);
}

uint32_t mh_message_props_planned(mh_ropctx *cx, const mh_logon *lg, mh_betxn *t, mh_id mid,
                                  const mh_message_plan *plan, uint64_t large,
                                  apr_pool_t *pool, mh_proplist *out)
{
    const mh_proptag *tags = plan->tags;
    uint32_t n = plan->n;
    mh_message_info info;
    mh_error err;
    mh_err e = mh_be_message_info(t, mid, &info, &err);
    if (e != MH_OK)
        return mh_err_to_mapi(e);
    mh_objref ref;
    memset(&ref, 0, sizeof(ref));
    ref.kind = MH_OBJ_MESSAGE;
    ref.id = mid;
    const mh_proptag *fetch = plan->fetch;
    uint32_t n_fetch = plan->n_fetch;
    mh_proplist all;
    if ((e = mh_be_props_get_in(t, &ref, fetch, n_fetch, large, pool, &all, &err)) != MH_OK)
        return mh_err_to_mapi(e);
    /* work on a list of our own, with room for the computed values;
     * select_values puts what is kept into `out` */
    mh_proplist l;
    /* room for what the plan adds: its identity and computed values, and
     * the four a message saved elsewhere may lack (put_value grows the
     * list should more come) */
    uint32_t cap = all.n + (uint32_t)__builtin_popcount(plan->ident) +
                   (uint32_t)__builtin_popcount(plan->computed & ((1u << CV_COUNT) - 1)) + 5;
    /* the list is only worked on here (select_values copies out what is
     * kept): the plan's rows share one, hot in the cache */
    struct plan_scratch *sc = plan->sc;
    if (sc->cap < cap) {
        sc->v = apr_palloc(plan->pool, cap * sizeof(*sc->v));
        sc->cap = cap;
    }
    cap = sc->cap;
    l.n = all.n;
    l.v = sc->v;
    if (all.n)
        memcpy(l.v, all.v, all.n * sizeof(*l.v));
    identity_props(cx, lg, info.folder, mid, plan->ident, pool, &l, &cap);
    int32_t flags = list_long(&l, PR_MESSAGE_FLAGS, 0);
    flags = info.read ? (flags | MSGFLAG_READ) : (flags & ~MSGFLAG_READ);
    flags = info.fai ? (flags | MSGFLAG_ASSOCIATED) : (flags & ~MSGFLAG_ASSOCIATED);
    /* messages saved by other paths may lack what a save here stores */
    int need_tree = 0;
    for (int k = CV_DISPLAY_TO; k <= CV_HASATTACH; k++)
        if ((plan->computed >> k & 1) && !mh_proplist_find(&l, computed_tags[k]))
            need_tree = 1;
    if (need_tree) {
        mh_message *m;
        if ((e = mh_be_message_read(t, mid, 0, &m, &err)) != MH_OK)
            return mh_err_to_mapi(e);
        if (!mh_proplist_find(&l, PR_DISPLAY_TO))
            put_value(pool, &l, &cap, mh_pv_str(PR_DISPLAY_TO, display_list(pool, m, 1)));
        if (!mh_proplist_find(&l, PR_DISPLAY_CC))
            put_value(pool, &l, &cap, mh_pv_str(PR_DISPLAY_CC, display_list(pool, m, 2)));
        if (!mh_proplist_find(&l, PR_DISPLAY_BCC))
            put_value(pool, &l, &cap, mh_pv_str(PR_DISPLAY_BCC, display_list(pool, m, 3)));
        if (!mh_proplist_find(&l, PR_HASATTACH))
            put_value(pool, &l, &cap, mh_pv_bool(PR_HASATTACH, m->n_attachments > 0));
    }
    const mh_propval *ha = mh_proplist_find(&l, PR_HASATTACH);
    flags = (ha && ha->v.b) ? (flags | MSGFLAG_HASATTACH) : (flags & ~MSGFLAG_HASATTACH);
    /* the computed values asked for (the others would not be selected) */
    uint32_t want = plan->computed;
    if (want >> CV_MESSAGE_FLAGS & 1)
        put_value(pool, &l, &cap, mh_pv_long(PR_MESSAGE_FLAGS, flags));
    if (want >> CV_MESSAGE_SIZE & 1)
        put_value(pool, &l, &cap, mh_pv_long(PR_MESSAGE_SIZE, (int32_t)info.size));
    if (want >> CV_MESSAGE_SIZE_EXTENDED & 1)
        put_value(pool, &l, &cap, mh_pv_i8(PR_MESSAGE_SIZE_EXTENDED, info.size));
    if (want >> CV_ASSOCIATED & 1)
        put_value(pool, &l, &cap, mh_pv_bool(PR_ASSOCIATED, info.fai));
    uint32_t rights = 0;
    uint32_t ec = folder_rights(cx, lg, t, info.folder, &rights);
    if (ec)
        return ec;
    if (want & (1u << CV_ACCESS | 1u << CV_ACCESS_LEVEL)) {
        int32_t acc = access_bits(cx, lg, rights, &l);
        put_value(pool, &l, &cap, mh_pv_long(PR_ACCESS, acc));
        put_value(pool, &l, &cap,
                  mh_pv_long(PR_ACCESS_LEVEL, (acc & MH_ACCESS_MODIFY) ? 1 : 0));
    }
    select_values(&l, tags, n, large, pool, out, plan->hint, plan->distinct);
    /* (the backend's values are in pool already: mh_be_props_get_in) */
    for (uint32_t i = 0; i < out->n; i++) {
        if ((out->v[i].flags & MH_PV_LARGE) && out->v[i].v.large.ref == 0) {
            /* inline values turned into references here are the store's too */
            const mh_propval *sv = mh_proplist_find(&all, out->v[i].tag);
            if (sv && (sv->flags & MH_PV_LARGE))
                out->v[i].v.large.ref = sv->v.large.ref;
        }
    }
    return 0;
}

/* ------------------------------------------------------ attachment values */

static void attachment_all(const mh_attachment *a, apr_pool_t *pool, mh_proplist *all)
{
    mh_proplist_copy(pool, all, &a->props);
    add_value(pool, all, mh_pv_long(PR_ATTACH_NUM, (int32_t)a->num));
    uint64_t size = 0;
    for (uint32_t i = 0; i < a->props.n; i++)
        size += mh_propval_bytes(&a->props.v[i]);
    if (a->embedded)
        size += mh_message_bytes(a->embedded);
    add_value(pool, all, mh_pv_long(PR_ATTACH_SIZE, size > INT32_MAX ? INT32_MAX : (int32_t)size));
    add_value(pool, all, mh_pv_long(PR_OBJECT_TYPE, MAPI_ATTACH));
    if (!mh_proplist_find(all, PR_ATTACH_METHOD))
        add_value(pool, all, mh_pv_long(PR_ATTACH_METHOD, a->embedded ? ATTACH_EMBEDDED_MSG : 0));
    if (!mh_proplist_find(all, PR_RENDERING_POSITION))
        add_value(pool, all, mh_pv_long(PR_RENDERING_POSITION, -1));
}

uint32_t mh_message_attachment_rows(mh_ropctx *cx, mh_object *msg, apr_pool_t *pool,
                                    mh_proplist **rows_r, uint32_t *n_r)
{
    (void)cx;
    if (!msg || msg->type != MH_OT_MESSAGE)
        return MAPI_E_INVALID_OBJECT;
    mh_msgobj *m = msg->data;
    uint32_t n = m->inst->n_attachments;
    mh_proplist *rows = apr_pcalloc(pool, sizeof(*rows) * (n ? n : 1));
    for (uint32_t i = 0; i < n; i++)
        attachment_all(&m->inst->attachments[i], pool, &rows[i]);
    *rows_r = rows;
    *n_r = n;
    return 0;
}

/* ------------------------------------------------------------- propops */

/* Computed values clients may not set or delete (MS-OXCPRPT 3.2.5.? and
 * MS-OXCMSG 2.2.1: read-only properties). */
static int read_only_tag(mh_proptag tag, int attachment)
{
    static const uint16_t ids[] = {0x0FFF, 0x0FF9, 0x674A, 0x6748, 0x6749, 0x674D, 0x674E,
                                   0x0E09, 0x65E1, 0x0FFB, 0x0FFA, 0x0FF4, 0x0FF7, 0x0FFE,
                                   0x0E08, 0x0E1B, 0x0E02, 0x0E03, 0x0E04, 0x67AA, 0x65E0,
                                   0x67A4, 0x0E12, 0x0E13};
    uint16_t id = MH_TAG_ID(tag);
    if (attachment)
        return id == 0x0E21 || id == 0x0E20 || id == 0x0FFE || id == 0x0FF7 || id == 0x0FF4;
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

static mh_propproblem *problem(apr_pool_t *pool, mh_propproblem *p, uint16_t *n, uint16_t idx,
                               mh_proptag tag, uint32_t err, uint32_t cap)
{
    if (!p)
        p = apr_pcalloc(pool, sizeof(*p) * (cap ? cap : 1));
    p[*n].index = idx;
    p[*n].tag = tag;
    p[*n].err = err;
    (*n)++;
    return p;
}

/* Splits PR_SUBJECT into prefix and normalized subject (MS-OXCMSG 2.2.1.9
 * / 2.2.1.10: a prefix is up to three characters, then ": "). */
static void derive_subject(apr_pool_t *pool, mh_proplist *props, const char *subject)
{
    const char *colon = strstr(subject, ": ");
    const char *prefix = "", *norm = subject;
    if (colon && colon - subject >= 1 && colon - subject <= 3) {
        int ok = 1;
        for (const char *c = subject; c < colon; c++)
            if (*c == ' ' || (*c >= '0' && *c <= '9'))
                ok = 0;
        if (ok) {
            prefix = apr_pstrndup(pool, subject, (apr_size_t)(colon - subject + 2));
            norm = colon + 2;
        }
    }
    mh_propval v = mh_pv_str(PR_SUBJECT_PREFIX, prefix);
    set_copy(pool, props, &v);
    v = mh_pv_str(PR_NORMALIZED_SUBJECT, norm);
    set_copy(pool, props, &v);
}

/* Sets values into a list of an instance (pool: the object's). */
static void set_values(apr_pool_t *pool, mh_proplist *props, const mh_proplist *vals,
                       int attachment, mh_propproblem **problems_r, uint16_t *n_problems_r,
                       int *changed)
{
    mh_propproblem *p = NULL;
    uint16_t np = 0;
    int subject_set = 0, prefix_given = 0;
    for (uint32_t i = 0; i < vals->n; i++) {
        const mh_propval *v = &vals->v[i];
        uint16_t type = MH_TAG_TYPE(v->tag);
        if (read_only_tag(v->tag, attachment)) {
            p = problem(pool, p, &np, (uint16_t)i, v->tag, MAPI_E_COMPUTED, (uint32_t)vals->n);
            continue;
        }
        if (!mh_type_storable(type) || (v->flags & (MH_PV_LARGE | MH_PV_KEEP))) {
            p = problem(pool, p, &np, (uint16_t)i, v->tag, MAPI_E_INVALID_TYPE, (uint32_t)vals->n);
            continue;
        }
        set_copy(pool, props, v);
        *changed = 1;
        if (!attachment && v->tag == PR_SUBJECT)
            subject_set = 1;
        if (!attachment && (MH_TAG_ID(v->tag) == MH_TAG_ID(PR_SUBJECT_PREFIX) ||
                            MH_TAG_ID(v->tag) == MH_TAG_ID(PR_NORMALIZED_SUBJECT)))
            prefix_given = 1;
    }
    if (subject_set && !prefix_given)
        derive_subject(pool, props, list_str(props, PR_SUBJECT));
    *problems_r = p;
    *n_problems_r = np;
}

static void del_values(apr_pool_t *pool, mh_proplist *props, const mh_proptag *tags, uint32_t n,
                       int attachment, mh_propproblem **problems_r, uint16_t *n_problems_r,
                       int *changed)
{
    mh_propproblem *p = NULL;
    uint16_t np = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (read_only_tag(tags[i], attachment)) {
            p = problem(pool, p, &np, (uint16_t)i, tags[i], MAPI_E_COMPUTED, n);
            continue;
        }
        /* deleting an absent value is no problem (MS-OXCPRPT 3.2.5.5) */
        if (remove_id(props, MH_TAG_ID(tags[i])))
            *changed = 1;
    }
    *problems_r = p;
    *n_problems_r = np;
}

static uint32_t msg_get(mh_ropctx *cx, mh_object *obj, const mh_proptag *tags, uint32_t n,
                        uint64_t large, apr_pool_t *pool, mh_proplist *out)
{
    mh_msgobj *m = obj->data;
    mh_proplist all;
    msgobj_all(cx, obj, pool, &all);
    select_values(&all, tags, n, large, pool, out, NULL, 0);
    return load_small(cx, obj, &m->inst->props, large, pool, out);
}

static uint32_t msg_set(mh_ropctx *cx, mh_object *obj, const mh_proplist *vals,
                        mh_propproblem **problems_r, uint16_t *n_problems_r)
{
    (void)cx;
    mh_msgobj *m = obj->data;
    *problems_r = NULL;
    *n_problems_r = 0;
    if (!m->writable)
        return MAPI_E_NO_ACCESS;
    int changed = 0;
    set_values(obj->pool, &m->inst->props, vals, 0, problems_r, n_problems_r, &changed);
    if (changed) {
        m->changed = 1;
        cx->changed = 1;
    }
    return 0;
}

static uint32_t msg_del(mh_ropctx *cx, mh_object *obj, const mh_proptag *tags, uint32_t n,
                        mh_propproblem **problems_r, uint16_t *n_problems_r)
{
    mh_msgobj *m = obj->data;
    *problems_r = NULL;
    *n_problems_r = 0;
    if (!m->writable)
        return MAPI_E_NO_ACCESS;
    int changed = 0;
    del_values(obj->pool, &m->inst->props, tags, n, 0, problems_r, n_problems_r, &changed);
    if (changed) {
        m->changed = 1;
        cx->changed = 1;
    }
    return 0;
}

static uint32_t msg_read(mh_ropctx *cx, mh_object *obj, mh_proptag tag, uint64_t offset,
                         void *buf, size_t len, size_t *got_r)
{
    mh_msgobj *m = obj->data;
    return read_value(cx, obj, &m->inst->props, tag, offset, buf, len, got_r);
}

static uint32_t att_get(mh_ropctx *cx, mh_object *obj, const mh_proptag *tags, uint32_t n,
                        uint64_t large, apr_pool_t *pool, mh_proplist *out)
{
    mh_attobj *a = obj->data;
    mh_proplist all;
    attachment_all(&a->att, pool, &all);
    add_value(pool, &all, mh_pv_long(PR_ACCESS_LEVEL, a->writable ? 1 : 0));
    select_values(&all, tags, n, large, pool, out, NULL, 0);
    return load_small(cx, obj, &a->att.props, large, pool, out);
}

static uint32_t att_set(mh_ropctx *cx, mh_object *obj, const mh_proplist *vals,
                        mh_propproblem **problems_r, uint16_t *n_problems_r)
{
    mh_attobj *a = obj->data;
    *problems_r = NULL;
    *n_problems_r = 0;
    if (!a->writable)
        return MAPI_E_NO_ACCESS;
    int changed = 0;
    set_values(obj->pool, &a->att.props, vals, 1, problems_r, n_problems_r, &changed);
    if (changed) {
        a->changed = 1;
        cx->changed = 1;
    }
    return 0;
}

static uint32_t att_del(mh_ropctx *cx, mh_object *obj, const mh_proptag *tags, uint32_t n,
                        mh_propproblem **problems_r, uint16_t *n_problems_r)
{
    mh_attobj *a = obj->data;
    *problems_r = NULL;
    *n_problems_r = 0;
    if (!a->writable)
        return MAPI_E_NO_ACCESS;
    int changed = 0;
    del_values(obj->pool, &a->att.props, tags, n, 1, problems_r, n_problems_r, &changed);
    if (changed) {
        a->changed = 1;
        cx->changed = 1;
    }
    return 0;
}

static uint32_t att_read(mh_ropctx *cx, mh_object *obj, mh_proptag tag, uint64_t offset,
                         void *buf, size_t len, size_t *got_r)
{
    mh_attobj *a = obj->data;
    return read_value(cx, obj, &a->att.props, tag, offset, buf, len, got_r);
}

static const mh_propops msg_propops = {msg_get, msg_set, msg_del, msg_read};
static const mh_propops att_propops = {att_get, att_set, att_del, att_read};

/* ----------------------------------------------------------- state codec */

static void msgobj_encode(mh_wr *wr, const void *data)
{
    const mh_msgobj *m = data;
    mh_wr_u64(wr, m->fid);
    mh_wr_u64(wr, m->mid);
    mh_wr_u64(wr, m->cn);
    mh_wr_u8(wr, m->fai);
    mh_wr_u8(wr, m->writable);
    mh_wr_u8(wr, m->changed);
    mh_wr_u8(wr, m->embedded);
    mh_wr_u32(wr, m->rights);
    mh_wr_u32(wr, m->next_attach);
    mh_wr_u32(wr, m->n_cols);
    for (uint32_t i = 0; i < m->n_cols; i++)
        mh_wr_u32(wr, m->cols[i]);
    mh_message_encode(wr, m->inst);
}

static int msgobj_decode(mh_rd *rd, apr_pool_t *pool, void **data_r)
{
    mh_msgobj *m = apr_pcalloc(pool, sizeof(*m));
    m->fid = mh_rd_u64(rd);
    m->mid = mh_rd_u64(rd);
    m->cn = mh_rd_u64(rd);
    m->fai = mh_rd_u8(rd);
    m->writable = mh_rd_u8(rd);
    m->changed = mh_rd_u8(rd);
    m->embedded = mh_rd_u8(rd);
    m->rights = mh_rd_u32(rd);
    m->next_attach = mh_rd_u32(rd);
    m->n_cols = mh_rd_u32(rd);
    if (rd->err || !mh_rd_need(rd, (size_t)m->n_cols * 4))
        return -1;
    m->cols = apr_palloc(pool, sizeof(mh_proptag) * (m->n_cols ? m->n_cols : 1));
    for (uint32_t i = 0; i < m->n_cols; i++)
        m->cols[i] = mh_rd_u32(rd);
    if (mh_message_decode(rd, pool, &m->inst) != 0 || rd->err)
        return -1;
    *data_r = m;
    return 0;
}

static void attobj_encode(mh_wr *wr, const void *data)
{
    const mh_attobj *a = data;
    mh_wr_u32(wr, a->num);
    mh_wr_u8(wr, a->writable);
    mh_wr_u8(wr, a->changed);
    mh_proplist_encode(wr, &a->att.props);
    mh_wr_u8(wr, a->att.embedded ? 1 : 0);
    if (a->att.embedded)
        mh_message_encode(wr, a->att.embedded);
}

static int attobj_decode(mh_rd *rd, apr_pool_t *pool, void **data_r)
{
    mh_attobj *a = apr_pcalloc(pool, sizeof(*a));
    a->num = mh_rd_u32(rd);
    a->writable = mh_rd_u8(rd);
    a->changed = mh_rd_u8(rd);
    if (rd->err || mh_proplist_decode(rd, pool, &a->att.props) != 0)
        return -1;
    uint8_t emb = mh_rd_u8(rd);
    if (rd->err)
        return -1;
    if (emb && mh_message_decode(rd, pool, &a->att.embedded) != 0)
        return -1;
    a->att.num = a->num;
    *data_r = a;
    return rd->err ? -1 : 0;
}

const mh_objclass mh_message_class = {
    .name = "message", .encode = msgobj_encode, .decode = msgobj_decode, .props = &msg_propops};
const mh_objclass mh_attachment_class = {
    .name = "attachment", .encode = attobj_encode, .decode = attobj_decode, .props = &att_propops};

/* ------------------------------------------------------ recipient rows */

/* Standard properties carried by RecipientRow fields, never as columns. */
static int standard_recipient_tag(uint16_t id)
{
    return id == MH_TAG_ID(PR_ROWID) || id == MH_TAG_ID(PR_RECIPIENT_TYPE) ||
           id == MH_TAG_ID(PR_DISPLAY_NAME) || id == MH_TAG_ID(PR_EMAIL_ADDRESS) ||
           id == MH_TAG_ID(PR_ADDRTYPE) || id == MH_TAG_ID(PR_7BIT_DISPLAY_NAME) ||
           id == MH_TAG_ID(PR_TRANSMITABLE_DISPLAY_NAME) || id == MH_TAG_ID(PR_SEND_RICH_INFO);
}

/* The recipient columns of an instance: every other property any
 * recipient has, in first-seen order. */
static void recipient_columns(const mh_message *m, apr_pool_t *pool, mh_proptag **cols_r,
                              uint32_t *n_r)
{
    uint32_t cap = 0, n = 0;
    for (uint32_t i = 0; i < m->n_recipients; i++)
        cap += m->recipients[i].n;
    mh_proptag *cols = apr_palloc(pool, sizeof(*cols) * (cap ? cap : 1));
    for (uint32_t i = 0; i < m->n_recipients; i++) {
        const mh_proplist *r = &m->recipients[i];
        for (uint32_t k = 0; k < r->n; k++) {
            mh_proptag tag = r->v[k].tag;
            if (standard_recipient_tag(MH_TAG_ID(tag)))
                continue;
            int seen = 0;
            for (uint32_t j = 0; j < n && !seen; j++)
                seen = MH_TAG_ID(cols[j]) == MH_TAG_ID(tag);
            if (!seen && n < 0xFFFF)
                cols[n++] = tag;
        }
    }
    *cols_r = cols;
    *n_r = n;
}

static int is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 0;
    return 1;
}

/* A RecipientRow (MS-OXCDATA 2.8.3.2) of a recipient for these columns. */
static void wr_recipient_row(mh_wr *w, const mh_proplist *r, const mh_proptag *cols,
                             uint32_t n_cols, uint32_t cp, apr_pool_t *pool)
{
    const char *addrtype = list_str(r, PR_ADDRTYPE);
    const char *email = list_str(r, PR_EMAIL_ADDRESS);
    const char *dname = list_str(r, PR_DISPLAY_NAME);
    const char *simple = list_str(r, PR_7BIT_DISPLAY_NAME);
    const char *trans = list_str(r, PR_TRANSMITABLE_DISPLAY_NAME);
    const mh_propval *rich = mh_proplist_find(r, PR_SEND_RICH_INFO);
    uint16_t flags = RF_U;
    uint16_t type = RF_TYPE_NONE;
    if (addrtype) {
        if (!strcasecmp(addrtype, "EX") && email && is_ascii(email))
            type = RF_TYPE_X500DN;
        else if (!strcasecmp(addrtype, "SMTP"))
            type = RF_TYPE_SMTP;
        else if (!strcasecmp(addrtype, "MSMAIL"))
            type = RF_TYPE_MSMAIL;
        else if (!strcasecmp(addrtype, "FAX"))
            type = RF_TYPE_FAX;
        else if (!strcasecmp(addrtype, "PROFS"))
            type = RF_TYPE_PROFS;
        else
            flags |= RF_O;
    }
    flags |= type;
    if (email && type != RF_TYPE_X500DN)
        flags |= RF_E;
    if (dname)
        flags |= RF_D;
    if (simple)
        flags |= RF_I;
    if (trans && dname && !strcmp(trans, dname))
        flags |= RF_R;
    else if (trans)
        flags |= RF_T;
    if (rich && rich->v.b)
        flags |= RF_S;
    mh_wr_u16(w, flags);
    if (type == RF_TYPE_X500DN) {
        mh_wr_u8(w, 0); /* AddressPrefixUsed: the whole DN follows */
        mh_wr_u8(w, (uint8_t)list_long(r, PR_DISPLAY_TYPE, 0));
        mh_wr_asciiz(w, email);
    }
    if (flags & RF_O)
        mh_wr_utf16z(w, addrtype);
    if (flags & RF_E)
        mh_wr_utf16z(w, email);
    if (flags & RF_D)
        mh_wr_utf16z(w, dname);
    if (flags & RF_I)
        mh_wr_utf16z(w, simple);
    if (flags & RF_T)
        mh_wr_utf16z(w, trans);
    mh_wr_u16(w, (uint16_t)n_cols);
    const mh_propval **vals = apr_pcalloc(pool, sizeof(*vals) * (n_cols ? n_cols : 1));
    for (uint32_t i = 0; i < n_cols; i++) {
        const mh_propval *v = find_match(r, cols[i]);
        if (!v && MH_TAG_TYPE(cols[i]) == PT_STRING8)
            v = find_match(r, MH_TAG_RETYPE(cols[i], PT_UNICODE));
        /* a large value cannot travel in a row; the writer sends an error */
        vals[i] = v;
    }
    mh_wr_proprow(w, cols, n_cols, vals, cp);
}

/* A string of a RecipientRow: UTF-16 with the U flag, else 8-bit. */
static const char *rd_rrow_string(mh_rd *rd, int unicode, uint32_t cp, apr_pool_t *pool)
{
    if (unicode)
        return mh_rd_utf16z(rd, mh_rd_left(rd) / 2, pool);
    const unsigned char *start = rd->p;
    const char *s = mh_rd_asciiz(rd, mh_rd_left(rd), pool);
    if (!s)
        return NULL;
    return mh_cp_to_utf8(cp, (const char *)start, strlen(s), pool);
}

/*
 * Parses a RecipientRow for `cols` into a property list (recipient
 * properties in memory form).  The user's DN supplies the prefix an X500DN
 * may leave out (AddressPrefixUsed).  0, or -1 when malformed.
 */
static int rd_recipient_row(mh_rd *rd, const mh_proptag *cols, uint32_t n_cols, uint32_t cp,
                            const char *user_dn, apr_pool_t *pool, mh_proplist *out)
{
    uint16_t flags = mh_rd_u16(rd);
    uint16_t type = flags & RF_TYPE_MASK;
    int unicode = (flags & RF_U) != 0;
    const char *s;
    out->n = 0;
    out->v = NULL;
    if (rd->err)
        return -1;
    if (type == RF_TYPE_X500DN) {
        uint8_t prefix = mh_rd_u8(rd);
        uint8_t dtype = mh_rd_u8(rd);
        const char *dn = mh_rd_asciiz(rd, mh_rd_left(rd), pool);
        if (!dn)
            return -1;
        if (prefix) {
            size_t have = user_dn ? strlen(user_dn) : 0;
            if (prefix > have)
                return -1;
            dn = apr_pstrcat(pool, apr_pstrndup(pool, user_dn, prefix), dn, NULL);
        }
        add_value(pool, out, mh_pv_str(PR_ADDRTYPE, "EX"));
        add_value(pool, out, mh_pv_str(PR_EMAIL_ADDRESS, dn));
        add_value(pool, out, mh_pv_long(PR_DISPLAY_TYPE, dtype));
    } else if (type == RF_TYPE_PDL1 || type == RF_TYPE_PDL2) {
        uint16_t n = mh_rd_u16(rd);
        const unsigned char *eid = mh_rd_bytes(rd, n);
        uint16_t k = mh_rd_u16(rd);
        const unsigned char *sk = mh_rd_bytes(rd, k);
        if (rd->err)
            return -1;
        add_value(pool, out, mh_pv_bin(PR_ENTRYID, apr_pmemdup(pool, eid, n ? n : 1), n));
        add_value(pool, out, mh_pv_bin(PR_SEARCH_KEY, apr_pmemdup(pool, sk, k ? k : 1), k));
        add_value(pool, out, mh_pv_str(PR_ADDRTYPE, "MAPIPDL"));
    } else if (type != RF_TYPE_NONE) {
        static const char *const names[] = {"", "EX", "MSMAIL", "SMTP", "FAX", "PROFS"};
        add_value(pool, out, mh_pv_str(PR_ADDRTYPE, names[type]));
    }
    if (type == RF_TYPE_NONE && (flags & RF_O)) {
        if (!(s = rd_rrow_string(rd, unicode, cp, pool)))
            return -1;
        add_value(pool, out, mh_pv_str(PR_ADDRTYPE, s));
    }
    if (flags & RF_E) {
        if (!(s = rd_rrow_string(rd, unicode, cp, pool)))
            return -1;
        add_value(pool, out, mh_pv_str(PR_EMAIL_ADDRESS, s));
    }
    const char *dname = NULL;
    if (flags & RF_D) {
        if (!(dname = rd_rrow_string(rd, unicode, cp, pool)))
            return -1;
        add_value(pool, out, mh_pv_str(PR_DISPLAY_NAME, dname));
    }
    if (flags & RF_I) {
        if (!(s = rd_rrow_string(rd, unicode, cp, pool)))
            return -1;
        add_value(pool, out, mh_pv_str(PR_7BIT_DISPLAY_NAME, s));
    }
    if (flags & RF_T) {
        if (!(s = rd_rrow_string(rd, unicode, cp, pool)))
            return -1;
        add_value(pool, out, mh_pv_str(PR_TRANSMITABLE_DISPLAY_NAME, s));
    } else if ((flags & RF_R) && dname) {
        add_value(pool, out, mh_pv_str(PR_TRANSMITABLE_DISPLAY_NAME, dname));
    }
    if (flags & RF_S)
        add_value(pool, out, mh_pv_bool(PR_SEND_RICH_INFO, 1));
    uint16_t count = mh_rd_u16(rd);
    if (rd->err || count > n_cols)
        return -1;
    mh_propval *vals = NULL;
    if (count) {
        if (mh_rd_proprow(rd, cols, count, cp, pool, &vals) != 0)
            return -1;
        for (uint16_t i = 0; i < count; i++) {
            if (MH_TAG_TYPE(vals[i].tag) == PT_ERROR)
                continue;
            /* the column's id with the value's memory type */
            mh_propval v = vals[i];
            v.tag = MH_TAG_RETYPE(cols[i], MH_TAG_TYPE(vals[i].tag));
            remove_id(out, MH_TAG_ID(v.tag));
            add_value(pool, out, v);
        }
    }
    return rd->err ? -1 : 0;
}

/* --------------------------------------------------------- the responses */

/* TypedString (MS-OXCROPS 2.2.6.1.2): absent, empty or UTF-16. */
static void wr_typed_string(mh_wr *w, const char *s)
{
    if (!s) {
        mh_wr_u8(w, 0x00);
    } else if (!*s) {
        mh_wr_u8(w, 0x01);
    } else {
        mh_wr_u8(w, 0x04);
        mh_wr_utf16z(w, s);
    }
}

static int has_named(const mh_message *m)
{
    for (uint32_t i = 0; i < m->props.n; i++)
        if (MH_TAG_ID(m->props.v[i].tag) >= MH_NAMED_FIRST)
            return 1;
    return 0;
}

/*
 * The part of the RopOpenMessage, RopReloadCachedInformation and
 * RopOpenEmbeddedMessage responses from HasNamedProperties on
 * (MS-OXCROPS 2.2.6.1.2): as many OpenRecipientRows as fit `room`.
 * Returns 0, or MH_ROP_TOO_SMALL when not even the fixed part fits.
 */
static uint32_t wr_message_header(mh_ropctx *cx, mh_object *obj, mh_wr *out, size_t room)
{
    mh_msgobj *m = obj->data;
    const mh_proplist *p = &m->inst->props;
    const char *prefix = list_str(p, PR_SUBJECT_PREFIX);
    const char *norm = list_str(p, PR_NORMALIZED_SUBJECT);
    if (!norm)
        norm = list_str(p, PR_SUBJECT);
    recipient_columns(m->inst, obj->pool, &m->cols, &m->n_cols);
    cx->changed = 1;
    mh_wr_u8(out, has_named(m->inst) ? 1 : 0);
    wr_typed_string(out, prefix);
    wr_typed_string(out, norm);
    mh_wr_u16(out, (uint16_t)(m->inst->n_recipients > 0xFFFF ? 0xFFFF : m->inst->n_recipients));
    /* ColumnCount and RecipientColumns (MS-OXCROPS 2.2.6.1.2): the count
     * is the tag array's own */
    mh_wr_tag_array(out, m->cols, (uint16_t)m->n_cols);
    size_t count_at = out->len;
    mh_wr_u8(out, 0);
    if (out->len > room)
        return MH_ROP_TOO_SMALL;
    uint8_t rows = 0;
    for (uint32_t i = 0; i < m->inst->n_recipients && rows < 0xFF; i++) {
        const mh_proplist *r = &m->inst->recipients[i];
        mh_wr row;
        mh_wr_init(&row, cx->pool, 256);
        wr_recipient_row(&row, r, m->cols, m->n_cols, cx->cp, cx->pool);
        if (row.len > 0xFFFF || out->len + 7 + row.len > room)
            break;
        /* OpenRecipientRow (2.2.6.1.2): RecipientType, CodePageId, Reserved,
         * RecipientRowSize, RecipientRow */
        mh_wr_u8(out, (uint8_t)list_long(r, PR_RECIPIENT_TYPE, 1));
        mh_wr_u16(out, (uint16_t)MH_CP_UNICODE);
        mh_wr_u16(out, 0);
        mh_wr_u16(out, (uint16_t)row.len);
        mh_wr_bytes(out, row.buf, row.len);
        rows++;
    }
    out->buf[count_at] = rows;
    return 0;
}

/* ------------------------------------------------------- instance helpers */

/* The initial values of a new message (MS-OXCMSG 3.2.5.2). */
static void new_message_props(mh_ropctx *cx, apr_pool_t *pool, mh_message *m)
{
    uint64_t now = mh_filetime_from_apr(apr_time_now());
    mh_bin me = ab_entryid(pool, cx->ses ? cx->ses->user_dn : NULL);
    uint8_t *sk = apr_palloc(pool, 16);
    if (apr_generate_random_bytes(sk, 16) != APR_SUCCESS)
        memset(sk, 0, 16);
    mh_propval init[] = {
        mh_pv_long(PR_IMPORTANCE, 1),
        mh_pv_str(PR_MESSAGE_CLASS, "IPM.Note"),
        mh_pv_long(PR_SENSITIVITY, 0),
        mh_pv_long(PR_MESSAGE_FLAGS, MSGFLAG_READ | MSGFLAG_UNSENT),
        mh_pv_long(PR_TRUST_SENDER, 1),
        mh_pv_time(PR_CREATION_TIME, now),
        mh_pv_time(PR_LAST_MODIFICATION_TIME, now),
        mh_pv_bin(PR_CREATOR_ENTRYID, me.data, me.len),
        mh_pv_bin(PR_LAST_MODIFIER_ENTRYID, me.data, me.len),
        mh_pv_bin(PR_SEARCH_KEY, sk, 16),
    };
    for (size_t i = 0; i < sizeof(init) / sizeof(init[0]); i++)
        set_copy(pool, &m->props, &init[i]);
}

static uint32_t max_attach_num(const mh_message *m)
{
    uint32_t next = 0;
    for (uint32_t i = 0; i < m->n_attachments; i++)
        if (m->attachments[i].num >= next)
            next = m->attachments[i].num + 1;
    return next;
}

static mh_attachment *find_attachment(mh_message *m, uint32_t num)
{
    for (uint32_t i = 0; i < m->n_attachments; i++)
        if (m->attachments[i].num == num)
            return &m->attachments[i];
    return NULL;
}

/* Puts a copy of an attachment into a message (replacing its number). */
static void put_attachment(apr_pool_t *pool, mh_message *m, const mh_attachment *a)
{
    mh_attachment c;
    c.num = a->num;
    mh_proplist_copy(pool, &c.props, &a->props);
    remove_id(&c.props, MH_TAG_ID(PR_ATTACH_NUM));
    c.embedded = a->embedded ? mh_message_copy(pool, a->embedded) : NULL;
    mh_attachment *slot = find_attachment(m, a->num);
    if (slot) {
        *slot = c;
        return;
    }
    mh_attachment *na = apr_palloc(pool, sizeof(*na) * (m->n_attachments + 1));
    if (m->n_attachments)
        memcpy(na, m->attachments, sizeof(*na) * m->n_attachments);
    na[m->n_attachments++] = c;
    m->attachments = na;
}

static uint32_t rowid_of(const mh_proplist *r)
{
    return (uint32_t)list_long(r, PR_ROWID, 0);
}

/* Keeps recipients in RowId order (RopReadRecipients walks them so). */
static void sort_recipients(mh_message *m)
{
    for (uint32_t i = 1; i < m->n_recipients; i++) {
        mh_proplist x = m->recipients[i];
        uint32_t j = i;
        while (j > 0 && rowid_of(&m->recipients[j - 1]) > rowid_of(&x)) {
            m->recipients[j] = m->recipients[j - 1];
            j--;
        }
        m->recipients[j] = x;
    }
}

/* ------------------------------------------- copying sub-objects (CopyTo) */

/* The most bytes of stored values one copy loads into the destination's
 * instance (which lives in the session state until it is saved). */
#define MH_COPY_LOAD_MAX (64u * 1024 * 1024)

/*
 * Loads the values a copy needs.  The source instance's long values are
 * references to its stored message (MH_PV_LARGE): they mean "keep the
 * stored value" only to a save of that same message, so a copy going
 * elsewhere gets them whole.  Values of the message, its attachments and
 * embedded messages are read piecewise (value_read by path); recipients
 * have no path, so theirs come from the stored message read whole.
 */
typedef struct loader {
    mh_ropctx *cx;
    const mh_logon *lg;
    mh_betxn *t;          /* a read transaction, begun when first needed */
    int have_ref;         /* the source has a stored version */
    mh_id mid;            /* its top message */
    mh_message *whole;    /* the stored top message, every value loaded (lazily) */
    uint64_t left;        /* bytes still allowed (MH_COPY_LOAD_MAX) */
    apr_pool_t *pool;     /* the copies': the destination object's */
} loader;

static uint32_t loader_txn(loader *ld)
{
    return ld->t ? 0 : read_txn(ld->cx, ld->lg, &ld->t);
}

static uint32_t load_value(loader *ld, const mh_objref *ref, const mh_propval *v, mh_propval *out)
{
    if (!(v->flags & MH_PV_LARGE)) {
        mh_propval_copy(ld->pool, out, v);
        return 0;
    }
    if (!ld->have_ref)
        return MAPI_E_NOT_FOUND;
    uint64_t size = v->v.large.size;
    if (size > ld->left)
        return MAPI_E_NOT_ENOUGH_MEMORY;
    uint32_t ec = loader_txn(ld);
    if (ec)
        return ec;
    uint8_t *buf = apr_palloc(ld->pool, (apr_size_t)size + 1);
    uint64_t got = 0;
    mh_error err;
    while (got < size) {
        size_t n = 0, want = size - got > 65536 ? 65536 : (size_t)(size - got);
        mh_err e = mh_be_value_read(ld->t, ref, v->tag, got, buf + got, want, &n, &err);
        if (e != MH_OK)
            return mh_err_to_mapi(e);
        if (n == 0)
            return MAPI_E_CORRUPT_DATA; /* shorter than it said */
        got += n;
    }
    buf[size] = 0;
    ld->left -= size;
    memset(out, 0, sizeof(*out));
    out->tag = v->tag;
    if (MH_TAG_TYPE(v->tag) == PT_UNICODE)
        out->v.str = (const char *)buf;
    else
        out->v.bin = (mh_bin){(uint32_t)size, buf};
    return 0;
}

static uint32_t load_list(loader *ld, const mh_objref *ref, const mh_proplist *in,
                          mh_proplist *out)
{
    out->n = 0;
    out->v = apr_pcalloc(ld->pool, sizeof(mh_propval) * (in->n ? in->n : 1));
    for (uint32_t i = 0; i < in->n; i++) {
        uint32_t ec = load_value(ld, ref, &in->v[i], &out->v[out->n]);
        if (ec)
            return ec;
        out->n++;
    }
    return 0;
}

/* A recipient of the message at `ref` with its long values from the
 * stored message. */
static uint32_t load_recipient(loader *ld, const mh_objref *ref, const mh_proplist *in,
                               mh_proplist *out)
{
    int large = 0;
    for (uint32_t i = 0; i < in->n; i++)
        if (in->v[i].flags & MH_PV_LARGE)
            large = 1;
    if (!large) {
        mh_proplist_copy(ld->pool, out, in);
        return 0;
    }
    if (!ld->have_ref)
        return MAPI_E_NOT_FOUND;
    uint32_t ec;
    if (!ld->whole) {
        mh_error err;
        if ((ec = loader_txn(ld)) != 0)
            return ec;
        mh_err e = mh_be_message_read(ld->t, ld->mid, UINT64_MAX, &ld->whole, &err);
        if (e != MH_OK)
            return mh_err_to_mapi(e);
    }
    const mh_message *m = ld->whole;
    for (uint32_t d = 0; d < ref->depth && m; d++) {
        const mh_attachment *a = NULL;
        for (uint32_t k = 0; k < m->n_attachments; k++)
            if (m->attachments[k].num == ref->path[d])
                a = &m->attachments[k];
        m = a ? a->embedded : NULL;
    }
    const mh_proplist *stored = NULL;
    uint32_t rowid = rowid_of(in);
    for (uint32_t k = 0; m && k < m->n_recipients; k++)
        if (rowid_of(&m->recipients[k]) == rowid)
            stored = &m->recipients[k];
    if (!stored)
        return MAPI_E_NOT_FOUND;
    out->n = 0;
    out->v = apr_pcalloc(ld->pool, sizeof(mh_propval) * in->n);
    for (uint32_t i = 0; i < in->n; i++) {
        const mh_propval *v = &in->v[i];
        if (v->flags & MH_PV_LARGE) {
            v = mh_proplist_find(stored, v->tag);
            if (!v || (v->flags & MH_PV_LARGE))
                return MAPI_E_NOT_FOUND;
            uint64_t size = value_size(v);
            if (size > ld->left)
                return MAPI_E_NOT_ENOUGH_MEMORY;
            ld->left -= size;
        }
        mh_propval_copy(ld->pool, &out->v[out->n++], v);
    }
    return 0;
}

/* A ref one attachment deeper: the attachment `num` (or its embedded
 * message) of the message at `ref`. */
static int ref_down(const mh_objref *ref, uint32_t num, int attachment, mh_objref *out)
{
    *out = *ref;
    if (ref->depth >= MH_MAX_EMBED_DEPTH)
        return -1;
    out->path[out->depth++] = num;
    out->attachment = attachment;
    return 0;
}

static uint32_t load_message(loader *ld, const mh_objref *ref, const mh_message *in,
                             mh_message **out_r, int depth);

static uint32_t load_attachment(loader *ld, const mh_objref *mref, const mh_attachment *in,
                                mh_attachment *out, int depth)
{
    mh_objref aref = *mref, eref = *mref;
    if (ld->have_ref && (ref_down(mref, in->num, 1, &aref) != 0 ||
                         ref_down(mref, in->num, 0, &eref) != 0))
        return MAPI_E_TOO_COMPLEX;
    out->num = in->num;
    uint32_t ec = load_list(ld, &aref, &in->props, &out->props);
    if (ec)
        return ec;
    out->embedded = NULL;
    return in->embedded ? load_message(ld, &eref, in->embedded, &out->embedded, depth + 1) : 0;
}

static uint32_t load_message(loader *ld, const mh_objref *ref, const mh_message *in,
                             mh_message **out_r, int depth)
{
    if (depth > MH_MAX_EMBED_DEPTH)
        return MAPI_E_TOO_COMPLEX;
    mh_message *m = apr_pcalloc(ld->pool, sizeof(*m));
    uint32_t ec = load_list(ld, ref, &in->props, &m->props);
    if (ec)
        return ec;
    m->n_recipients = in->n_recipients;
    m->recipients = apr_pcalloc(ld->pool, sizeof(mh_proplist) * (in->n_recipients + 1));
    for (uint32_t i = 0; i < in->n_recipients; i++)
        if ((ec = load_recipient(ld, ref, &in->recipients[i], &m->recipients[i])) != 0)
            return ec;
    m->n_attachments = in->n_attachments;
    m->attachments = apr_pcalloc(ld->pool, sizeof(mh_attachment) * (in->n_attachments + 1));
    for (uint32_t i = 0; i < in->n_attachments; i++)
        if ((ec = load_attachment(ld, ref, &in->attachments[i], &m->attachments[i],
                                  depth)) != 0)
            return ec;
    *out_r = m;
    return 0;
}

struct mh_subcopy {
    mh_object *src, *dst;
    uint8_t flags;
    int recipients, attachments, embedded; /* which go */
    mh_message *from;     /* message: loaded recipients and attachments */
    mh_message *emb;      /* attachment: the loaded embedded message (or NULL) */
};

uint32_t mh_subcopy_prepare(mh_ropctx *cx, mh_object *src, mh_object *dst, unsigned subs,
                            uint8_t flags, mh_subcopy **sc_r)
{
    *sc_r = NULL;
    if (src->type != dst->type ||
        (src->type != MH_OT_MESSAGE && src->type != MH_OT_ATTACHMENT))
        return MAPI_E_NO_SUPPORT;
    int msg = src->type == MH_OT_MESSAGE;
    int dst_w = msg ? ((mh_msgobj *)dst->data)->writable : ((mh_attobj *)dst->data)->writable;
    int src_w = msg ? ((mh_msgobj *)src->data)->writable : ((mh_attobj *)src->data)->writable;
    if (!dst_w || ((flags & MH_COPY_MOVE) && !src_w))
        return MAPI_E_NO_ACCESS;
    mh_subcopy *sc = apr_pcalloc(cx->pool, sizeof(*sc));
    sc->src = src;
    sc->dst = dst;
    sc->flags = flags;
    int keep = (flags & MH_COPY_NOOVERWRITE) != 0;
    if (msg) {
        const mh_message *sm = ((mh_msgobj *)src->data)->inst;
        const mh_message *dm = ((mh_msgobj *)dst->data)->inst;
        sc->recipients = (subs & MH_SUB_RECIPIENTS) && !(keep && dm->n_recipients);
        sc->attachments = (subs & MH_SUB_ATTACHMENTS) != 0;
        if (!sc->recipients && !sc->attachments) {
            *sc_r = sc;
            return 0;
        }
        mh_message part = {{0, NULL}, 0, NULL, 0, NULL};
        if (sc->recipients) {
            part.n_recipients = sm->n_recipients;
            part.recipients = sm->recipients;
        }
        if (sc->attachments) {
            part.n_attachments = sm->n_attachments;
            part.attachments = sm->attachments;
        }
        loader ld = {cx, mh_obj_logon_data(cx, src), NULL, 0, 0, NULL, MH_COPY_LOAD_MAX,
                     dst->pool};
        mh_objref ref;
        if (object_ref(cx, src, &ref) == 0) {
            ld.have_ref = 1;
            ld.mid = ref.id;
        } else {
            memset(&ref, 0, sizeof(ref));
        }
        uint32_t ec = ld.lg ? load_message(&ld, &ref, &part, &sc->from, 0) : MAPI_E_NOT_FOUND;
        if (ld.t)
            mh_be_abort(ld.t);
        if (ec)
            return ec;
    } else {
        const mh_attachment *sa = &((mh_attobj *)src->data)->att;
        const mh_attachment *da = &((mh_attobj *)dst->data)->att;
        sc->embedded = (subs & MH_SUB_EMBEDDED) && !(keep && (da->embedded || !sa->embedded));
        if (sc->embedded && sa->embedded) {
            loader ld = {cx, mh_obj_logon_data(cx, src), NULL, 0, 0, NULL, MH_COPY_LOAD_MAX,
                         dst->pool};
            mh_objref ref;
            if (object_ref(cx, src, &ref) == 0) {
                ld.have_ref = 1;
                ld.mid = ref.id;
                ref.attachment = 0; /* the embedded message at the same path */
            } else {
                memset(&ref, 0, sizeof(ref));
            }
            uint32_t ec = ld.lg ? load_message(&ld, &ref, sa->embedded, &sc->emb, 1)
                                : MAPI_E_NOT_FOUND;
            if (ld.t)
                mh_be_abort(ld.t);
            if (ec)
                return ec;
        }
    }
    *sc_r = sc;
    return 0;
}

void mh_subcopy_apply(mh_ropctx *cx, mh_subcopy *sc)
{
    int move = (sc->flags & MH_COPY_MOVE) != 0;
    if (sc->src->type == MH_OT_MESSAGE) {
        if (!sc->recipients && !sc->attachments)
            return;
        mh_msgobj *d = sc->dst->data, *s = sc->src->data;
        if (sc->recipients) {
            d->inst->n_recipients = sc->from->n_recipients;
            d->inst->recipients = sc->from->recipients;
            sort_recipients(d->inst);
            if (move)
                s->inst->n_recipients = 0;
        }
        if (sc->attachments) {
            /* new numbers: an attachment object of the destination that is
             * still open keeps its own */
            uint32_t keep = (sc->flags & MH_COPY_NOOVERWRITE) ? d->inst->n_attachments : 0;
            mh_attachment *na = apr_pcalloc(
                sc->dst->pool, sizeof(*na) * (keep + sc->from->n_attachments + 1));
            if (keep)
                memcpy(na, d->inst->attachments, sizeof(*na) * keep);
            uint32_t next = max_attach_num(d->inst);
            if (next < d->next_attach)
                next = d->next_attach;
            for (uint32_t i = 0; i < sc->from->n_attachments; i++) {
                na[keep + i] = sc->from->attachments[i];
                na[keep + i].num = next++;
                remove_id(&na[keep + i].props, MH_TAG_ID(PR_ATTACH_NUM));
            }
            d->inst->attachments = na;
            d->inst->n_attachments = keep + sc->from->n_attachments;
            d->next_attach = next;
            if (move)
                s->inst->n_attachments = 0;
        }
        d->changed = 1;
        if (move)
            s->changed = 1;
    } else {
        if (!sc->embedded)
            return;
        mh_attobj *d = sc->dst->data, *s = sc->src->data;
        d->att.embedded = sc->emb;
        d->changed = 1;
        if (move && s->att.embedded) {
            s->att.embedded = NULL;
            s->changed = 1;
        }
    }
    cx->changed = 1;
}

static mh_msgobj *new_msgobj(apr_pool_t *pool)
{
    mh_msgobj *m = apr_pcalloc(pool, sizeof(*m));
    m->inst = apr_pcalloc(pool, sizeof(*m->inst));
    m->cols = apr_palloc(pool, sizeof(mh_proptag));
    return m;
}

/* The writable message object of the handle, for a ROP that changes it. */
static uint32_t writable_message(mh_ropctx *cx, mh_rop *rop, uint8_t idx, mh_object **obj_r)
{
    uint32_t ec = mh_rop_object(cx, rop, idx, MH_OTM(MH_OT_MESSAGE), obj_r);
    if (ec)
        return ec;
    return ((mh_msgobj *)(*obj_r)->data)->writable ? 0 : MAPI_E_NO_ACCESS;
}

/* ------------------------------------------------------------- the ROPs */

/* RopOpenMessage (MS-OXCROPS 2.2.6.1; MS-OXCMSG 3.2.5.1) */
static uint32_t rop_open_message(mh_ropctx *cx, mh_rop *rop)
{
    uint16_t cpid = mh_rd_u16(rop->rd);
    uint64_t fid_w = mh_rd_u64(rop->rd);
    uint8_t mode = mh_rd_u8(rop->rd);
    uint64_t mid_w = mh_rd_u64(rop->rd);
    (void)cpid;
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *parent;
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx,
                                MH_OTM(MH_OT_LOGON) | MH_OTM(MH_OT_FOLDER), &parent);
    if (ec)
        return ec;
    if (mode & ~(OPEN_BEST_ACCESS | OPEN_SOFT_DELETED))
        return MAPI_E_INVALID_PARAMETER;
    /* soft-deleted items are not kept: there is nothing to open */
    if (mode & OPEN_SOFT_DELETED)
        return MAPI_E_NOT_FOUND;
    mh_logon *lg = mh_obj_logon_data(cx, parent);
    if (!lg)
        return EC_NULL_OBJECT;
    uint16_t replid;
    mh_id fid = mh_id_from_wire(fid_w, &replid);
    mh_id mid = mh_id_from_wire(mid_w, &replid);
    if (!fid || !mid)
        return MAPI_E_INVALID_PARAMETER;
    mh_betxn *t;
    if ((ec = read_txn(cx, lg, &t)))
        return ec;
    mh_message_info info;
    mh_message *inst = NULL;
    mh_error err;
    uint32_t rights = 0;
    mh_err e = mh_be_message_info(t, mid, &info, &err);
    if (e == MH_OK && info.folder != fid)
        e = MH_E_NOT_FOUND;
    if (e == MH_OK)
        e = mh_be_message_read(t, mid, MH_MSG_LARGE, &inst, &err);
    if (e != MH_OK) {
        mh_be_abort(t);
        return mh_err_to_mapi(e);
    }
    ec = folder_rights(cx, lg, t, fid, &rights);
    mh_be_abort(t);
    if (ec)
        return ec;
    if (!lg->own && !(rights & FRIGHTS_READ_ANY))
        return MAPI_E_NO_ACCESS;
    int writable = 0;
    if ((mode & OPEN_BEST_ACCESS) == OPEN_READ_WRITE) {
        if (!may_edit(cx, lg, rights, &inst->props))
            return MAPI_E_NO_ACCESS;
        writable = 1;
    } else if ((mode & OPEN_BEST_ACCESS) == OPEN_BEST_ACCESS) {
        writable = may_edit(cx, lg, rights, &inst->props);
    } else if ((mode & OPEN_BEST_ACCESS) != OPEN_READ_ONLY) {
        return MAPI_E_INVALID_PARAMETER;
    }
    mh_object *obj = mh_obj_create(cx, rop, MH_OT_MESSAGE, rop->h.logon_id, parent->handle);
    if (!obj)
        return MAPI_E_NOT_ENOUGH_MEMORY;
    mh_msgobj *m = new_msgobj(obj->pool);
    m->fid = fid;
    m->mid = mid;
    m->cn = info.cn;
    m->fai = (uint8_t)(info.fai != 0);
    m->writable = (uint8_t)writable;
    m->rights = rights;
    m->inst = mh_message_copy(obj->pool, inst);
    sort_recipients(m->inst);
    m->next_attach = max_attach_num(m->inst);
    /* the read state lives with the message info, not in the value */
    int32_t flags = list_long(&m->inst->props, PR_MESSAGE_FLAGS, 0);
    mh_propval fv = mh_pv_long(PR_MESSAGE_FLAGS, info.read ? (flags | MSGFLAG_READ)
                                                           : (flags & ~MSGFLAG_READ));
    set_copy(obj->pool, &m->inst->props, &fv);
    obj->data = m;
    mh_wr tmp;
    mh_wr_init(&tmp, cx->pool, 256);
    ec = wr_message_header(cx, obj, &tmp, rop->room);
    if (ec) {
        mh_obj_release(cx, obj);
        return ec;
    }
    mh_wr_bytes(rop->body, tmp.buf, tmp.len);
    cx->changed = 1;
    return 0;
}

/* RopCreateMessage (MS-OXCROPS 2.2.6.2; MS-OXCMSG 3.2.5.2) */
static uint32_t rop_create_message(mh_ropctx *cx, mh_rop *rop)
{
    uint16_t cpid = mh_rd_u16(rop->rd);
    uint64_t fid_w = mh_rd_u64(rop->rd);
    uint8_t assoc = mh_rd_u8(rop->rd);
    (void)cpid;
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *parent;
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx,
                                MH_OTM(MH_OT_LOGON) | MH_OTM(MH_OT_FOLDER), &parent);
    if (ec)
        return ec;
    if (assoc > 1)
        return MAPI_E_INVALID_PARAMETER;
    mh_logon *lg = mh_obj_logon_data(cx, parent);
    if (!lg)
        return EC_NULL_OBJECT;
    uint16_t replid;
    mh_id fid = mh_id_from_wire(fid_w, &replid);
    if (!fid)
        return MAPI_E_INVALID_PARAMETER;
    mh_betxn *t;
    if ((ec = read_txn(cx, lg, &t)))
        return ec;
    mh_folder_info fi;
    mh_error err;
    uint32_t rights = 0;
    mh_err e = mh_be_folder_info(t, fid, &fi, &err);
    if (e != MH_OK) {
        mh_be_abort(t);
        return mh_err_to_mapi(e);
    }
    ec = folder_rights(cx, lg, t, fid, &rights);
    mh_be_abort(t);
    if (ec)
        return ec;
    if (!lg->own && !(rights & FRIGHTS_CREATE))
        return MAPI_E_NO_ACCESS;
    mh_object *obj = mh_obj_create(cx, rop, MH_OT_MESSAGE, rop->h.logon_id, parent->handle);
    if (!obj)
        return MAPI_E_NOT_ENOUGH_MEMORY;
    mh_msgobj *m = new_msgobj(obj->pool);
    m->fid = fid;
    m->fai = assoc;
    m->writable = 1;
    m->changed = 1;
    m->rights = rights;
    new_message_props(cx, obj->pool, m->inst);
    obj->data = m;
    /* HasMessageId 0, as Exchange answers (client-quirks.md): the ID comes
     * with RopSaveChangesMessage */
    mh_wr_u8(rop->body, 0);
    cx->changed = 1;
    return 0;
}

/* Commits a top-level message object's instance (one transaction). */
static uint32_t save_top(mh_ropctx *cx, mh_object *obj, uint8_t flags)
{
    mh_msgobj *m = obj->data;
    mh_logon *lg = mh_obj_logon_data(cx, obj);
    if (!lg)
        return EC_NULL_OBJECT;
    mh_betxn *t;
    uint32_t ec = mh_rop_txn(cx, lg, MH_TXN_WRITE, &t);
    if (ec)
        return ec;
    mh_error err;
    mh_err e;
    mh_message_info info;
    if (m->mid) {
        e = mh_be_message_info(t, m->mid, &info, &err);
        if (e == MH_E_NOT_FOUND) {
            mh_be_abort(t);
            return MAPI_E_OBJECT_DELETED;
        }
        if (e != MH_OK) {
            mh_be_abort(t);
            return mh_err_to_mapi(e);
        }
        /* someone saved the message since this instance was read
         * (MS-OXCMSG 3.2.5.3): ForceSave overwrites their change */
        if (info.cn != m->cn && !(flags & SAVE_FORCE)) {
            mh_be_abort(t);
            return MAPI_E_OBJECT_CHANGED;
        }
    }
    apr_pool_t *sp;
    apr_pool_create(&sp, cx->pool);
    mh_message *out = mh_message_copy(sp, m->inst);
    stamp_for_save(cx, out, m->fai, sp);
    /* the read state: a message's own flag for a new one, else the store's */
    if (m->mid) {
        int32_t f = list_long(&out->props, PR_MESSAGE_FLAGS, 0);
        mh_propval fv = mh_pv_long(PR_MESSAGE_FLAGS, info.read ? (f | MSGFLAG_READ)
                                                               : (f & ~MSGFLAG_READ));
        set_copy(sp, &out->props, &fv);
    }
    mh_change_in chg;
    memset(&chg, 0, sizeof(chg));
    mh_id id = 0, cn = 0;
    e = mh_be_message_save(t, m->mid ? 0 : m->fid, m->mid, m->fai ? MH_SAVE_FAI : 0, out, &chg,
                           &id, &cn, &err);
    mh_message *fresh = NULL;
    if (e == MH_OK)
        e = mh_be_message_read(t, id, MH_MSG_LARGE, &fresh, &err);
    if (e != MH_OK) {
        mh_be_abort(t);
        apr_pool_destroy(sp);
        return mh_err_to_mapi(e);
    }
    if ((ec = mh_rop_commit(cx, t))) {
        apr_pool_destroy(sp);
        return ec;
    }
    m->mid = id;
    m->cn = cn;
    m->inst = mh_message_copy(obj->pool, fresh);
    sort_recipients(m->inst);
    apr_pool_destroy(sp);
    return 0;
}

/* RopSaveChangesMessage (MS-OXCROPS 2.2.6.3; MS-OXCMSG 3.2.5.3) */
static uint32_t rop_save_changes_message(mh_ropctx *cx, mh_rop *rop)
{
    /* the engine read ResponseHandleIndex and InputHandleIndex */
    uint8_t in_idx = rop->h.in_idx;
    uint8_t flags = mh_rd_u8(rop->rd);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *obj;
    uint32_t ec = mh_rop_object(cx, rop, in_idx, MH_OTM(MH_OT_MESSAGE), &obj);
    if (ec)
        return ec;
    mh_msgobj *m = obj->data;
    if (!m->writable)
        return MAPI_E_NO_ACCESS;
    flags &= SAVE_KEEP_OPEN_READ_ONLY | SAVE_KEEP_OPEN_READ_WRITE | SAVE_FORCE;
    if (m->embedded) {
        /* into the attachment object's instance, not the store */
        mh_object *ao = mh_obj_find(cx, obj->parent);
        if (!ao || ao->type != MH_OT_ATTACHMENT)
            return MAPI_E_OBJECT_DELETED;
        mh_attobj *a = ao->data;
        if (!a->writable)
            return MAPI_E_NO_ACCESS;
        a->att.embedded = mh_message_copy(ao->pool, m->inst);
        mh_propval am = mh_pv_long(PR_ATTACH_METHOD, ATTACH_EMBEDDED_MSG);
        set_copy(ao->pool, &a->att.props, &am);
        a->changed = 1;
    } else if ((ec = save_top(cx, obj, flags))) {
        return ec;
    }
    m->changed = 0;
    if (flags & SAVE_KEEP_OPEN_READ_ONLY)
        m->writable = 0;
    cx->changed = 1;
    mh_wr_u8(rop->body, in_idx);
    mh_wr_u64(rop->body, m->mid ? mh_id_to_wire(m->mid, MH_REPLID_LOCAL) : 0);
    return 0;
}

/* RopRemoveAllRecipients (MS-OXCROPS 2.2.6.4) */
static uint32_t rop_remove_all_recipients(mh_ropctx *cx, mh_rop *rop)
{
    (void)mh_rd_u32(rop->rd); /* Reserved */
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *obj;
    uint32_t ec = writable_message(cx, rop, rop->h.in_idx, &obj);
    if (ec)
        return ec;
    mh_msgobj *m = obj->data;
    m->inst->n_recipients = 0;
    m->inst->recipients = NULL;
    m->changed = 1;
    cx->changed = 1;
    return 0;
}

/* Whether a column may be a recipient column (MS-OXCMSG 3.2.5.5). */
static int valid_recipient_column(mh_proptag tag)
{
    uint16_t type = MH_TAG_TYPE(tag);
    if (type == PT_STRING8 || type == PT_MV_STRING8)
        return 1;
    return mh_type_storable(type) && type != PT_ERROR;
}

/* RopModifyRecipients (MS-OXCROPS 2.2.6.5; MS-OXCMSG 3.2.5.5) */
static uint32_t rop_modify_recipients(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec = writable_message(cx, rop, rop->h.in_idx, &obj);
    if (ec)
        return ec;
    mh_msgobj *m = obj->data;
    mh_rd *rd = rop->rd;
    mh_proptag *cols;
    uint16_t n_cols;
    if (mh_rd_tag_array(rd, 0xFFFF, cx->pool, &cols, &n_cols) != 0)
        return MAPI_E_INVALID_PARAMETER;
    for (uint16_t i = 0; i < n_cols; i++) {
        if (!valid_recipient_column(cols[i])) {
            rd->p = rd->end; /* the rows are not looked at */
            return MAPI_E_INVALID_PARAMETER;
        }
    }
    uint16_t n_rows = mh_rd_u16(rd);
    /* each ModifyRecipientRow takes at least 7 bytes */
    if (rd->err || !mh_rd_need(rd, (size_t)n_rows * 7))
        return MAPI_E_INVALID_PARAMETER;
    /* parse everything first: a bad row changes nothing */
    uint32_t *rowids = apr_palloc(cx->pool, sizeof(uint32_t) * (n_rows ? n_rows : 1));
    mh_proplist *rows = apr_pcalloc(cx->pool, sizeof(mh_proplist) * (n_rows ? n_rows : 1));
    uint8_t *del = apr_pcalloc(cx->pool, n_rows ? n_rows : 1);
    const char *dn = cx->ses ? cx->ses->user_dn : NULL;
    for (uint16_t i = 0; i < n_rows; i++) {
        rowids[i] = mh_rd_u32(rd);
        uint8_t rtype = mh_rd_u8(rd);
        uint16_t size = mh_rd_u16(rd);
        const unsigned char *bytes = mh_rd_bytes(rd, size);
        if (rd->err)
            return MAPI_E_INVALID_PARAMETER;
        if (size == 0) {
            del[i] = 1;
            continue;
        }
        mh_rd sub;
        mh_rd_init(&sub, bytes, size);
        if (rd_recipient_row(&sub, cols, n_cols, cx->cp, dn, cx->pool, &rows[i]) != 0)
            return MAPI_E_INVALID_PARAMETER;
        remove_id(&rows[i], MH_TAG_ID(PR_ROWID));
        remove_id(&rows[i], MH_TAG_ID(PR_RECIPIENT_TYPE));
        add_value(cx->pool, &rows[i], mh_pv_long(PR_ROWID, (int32_t)rowids[i]));
        add_value(cx->pool, &rows[i], mh_pv_long(PR_RECIPIENT_TYPE, rtype));
    }
    mh_rd_expect_end(rd);
    if (rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_message *inst = m->inst;
    uint32_t cap = inst->n_recipients + n_rows;
    mh_proplist *nr = apr_pcalloc(obj->pool, sizeof(*nr) * (cap ? cap : 1));
    uint32_t nn = inst->n_recipients;
    if (nn)
        memcpy(nr, inst->recipients, sizeof(*nr) * nn);
    for (uint16_t i = 0; i < n_rows; i++) {
        uint32_t at = nn;
        for (uint32_t k = 0; k < nn; k++)
            if (rowid_of(&nr[k]) == rowids[i])
                at = k;
        if (del[i]) {
            if (at < nn) {
                memmove(&nr[at], &nr[at + 1], sizeof(*nr) * (nn - at - 1));
                nn--;
            }
            continue;
        }
        mh_proplist_copy(obj->pool, &nr[at], &rows[i]);
        if (at == nn)
            nn++;
    }
    inst->recipients = nr;
    inst->n_recipients = nn;
    sort_recipients(inst);
    m->cols = apr_pmemdup(obj->pool, cols, sizeof(mh_proptag) * (n_cols ? n_cols : 1));
    m->n_cols = n_cols;
    m->changed = 1;
    cx->changed = 1;
    return 0;
}

/* RopReadRecipients (MS-OXCROPS 2.2.6.6; MS-OXCMSG 3.2.5.6) */
static uint32_t rop_read_recipients(mh_ropctx *cx, mh_rop *rop)
{
    uint32_t rowid = mh_rd_u32(rop->rd);
    (void)mh_rd_u16(rop->rd); /* Reserved */
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *obj;
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx, MH_OTM(MH_OT_MESSAGE), &obj);
    if (ec)
        return ec;
    mh_msgobj *m = obj->data;
    mh_message *inst = m->inst;
    uint32_t first = inst->n_recipients;
    for (uint32_t i = 0; i < inst->n_recipients && first == inst->n_recipients; i++)
        if (rowid_of(&inst->recipients[i]) >= rowid && (rowid == 0 || rowid_of(&inst->recipients[i]) == rowid))
            first = i;
    if (first == inst->n_recipients)
        return MAPI_E_NOT_FOUND;
    if (!m->n_cols && inst->n_recipients) {
        recipient_columns(inst, obj->pool, &m->cols, &m->n_cols);
        cx->changed = 1;
    }
    mh_wr out;
    mh_wr_init(&out, cx->pool, 256);
    mh_wr_u8(&out, 0);
    uint8_t rows = 0;
    for (uint32_t i = first; i < inst->n_recipients && rows < 0xFF; i++) {
        const mh_proplist *r = &inst->recipients[i];
        mh_wr row;
        mh_wr_init(&row, cx->pool, 256);
        wr_recipient_row(&row, r, m->cols, m->n_cols, cx->cp, cx->pool);
        /* ReadRecipientRow: RowId, RecipientType, CodePageId, Reserved,
         * RecipientRowSize, RecipientRow */
        if (row.len > 0xFFFF || out.len + 11 + row.len > rop->room)
            break;
        mh_wr_u32(&out, rowid_of(r));
        mh_wr_u8(&out, (uint8_t)list_long(r, PR_RECIPIENT_TYPE, 1));
        mh_wr_u16(&out, (uint16_t)MH_CP_UNICODE);
        mh_wr_u16(&out, 0);
        mh_wr_u16(&out, (uint16_t)row.len);
        mh_wr_bytes(&out, row.buf, row.len);
        rows++;
    }
    if (!rows)
        return EC_BUFFER_TOO_SMALL;
    out.buf[0] = rows;
    mh_wr_bytes(rop->body, out.buf, out.len);
    return 0;
}

/* RopReloadCachedInformation (MS-OXCROPS 2.2.6.7) */
static uint32_t rop_reload_cached_information(mh_ropctx *cx, mh_rop *rop)
{
    (void)mh_rd_u16(rop->rd); /* Reserved */
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *obj;
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx, MH_OTM(MH_OT_MESSAGE), &obj);
    if (ec)
        return ec;
    mh_wr tmp;
    mh_wr_init(&tmp, cx->pool, 256);
    if ((ec = wr_message_header(cx, obj, &tmp, rop->room)))
        return ec;
    mh_wr_bytes(rop->body, tmp.buf, tmp.len);
    return 0;
}

/* A stored message of a folder object, read for a change (message status,
 * read flags).  In a write transaction. */
static uint32_t folder_message(mh_ropctx *cx, mh_betxn *t, mh_object *folder, mh_id mid,
                               mh_message_info *info)
{
    mh_error err;
    mh_err e = mh_be_message_info(t, mid, info, &err);
    if (e != MH_OK)
        return mh_err_to_mapi(e);
    (void)cx;
    if (info->folder != ((mh_folder *)folder->data)->fid)
        return MAPI_E_NOT_FOUND;
    return 0;
}

/* RopGetMessageStatus (MS-OXCROPS 2.2.6.9; MS-OXCMSG 3.2.5.9) */
static uint32_t rop_get_message_status(mh_ropctx *cx, mh_rop *rop)
{
    uint64_t mid_w = mh_rd_u64(rop->rd);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *folder;
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx, MH_OTM(MH_OT_FOLDER), &folder);
    if (ec)
        return ec;
    mh_logon *lg = mh_obj_logon_data(cx, folder);
    if (!lg)
        return EC_NULL_OBJECT;
    uint16_t replid;
    mh_id mid = mh_id_from_wire(mid_w, &replid);
    mh_betxn *t;
    if ((ec = read_txn(cx, lg, &t)))
        return ec;
    mh_message_info info;
    uint32_t rights = 0;
    mh_proplist vals;
    mh_error err;
    mh_objref ref;
    memset(&ref, 0, sizeof(ref));
    ref.kind = MH_OBJ_MESSAGE;
    ref.id = mid;
    const mh_proptag tag = PR_MSG_STATUS;
    if (!(ec = folder_message(cx, t, folder, mid, &info)) &&
        !(ec = folder_rights(cx, lg, t, info.folder, &rights))) {
        mh_err e = mh_be_props_get(t, &ref, &tag, 1, UINT64_MAX, &vals, &err);
        if (e != MH_OK)
            ec = mh_err_to_mapi(e);
    }
    mh_be_abort(t);
    if (ec)
        return ec;
    if (!lg->own && !(rights & FRIGHTS_READ_ANY))
        return MAPI_E_NO_ACCESS;
    mh_wr_u32(rop->body, (uint32_t)list_long(&vals, PR_MSG_STATUS, 0));
    return 0;
}

/* RopSetMessageStatus (MS-OXCROPS 2.2.6.8; MS-OXCMSG 3.2.5.8): the status
 * bits are kept in the stored message's PR_MSG_STATUS. */
static uint32_t rop_set_message_status(mh_ropctx *cx, mh_rop *rop)
{
    uint64_t mid_w = mh_rd_u64(rop->rd);
    uint32_t status = mh_rd_u32(rop->rd);
    uint32_t mask = mh_rd_u32(rop->rd);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *folder;
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx, MH_OTM(MH_OT_FOLDER), &folder);
    if (ec)
        return ec;
    mh_logon *lg = mh_obj_logon_data(cx, folder);
    if (!lg)
        return EC_NULL_OBJECT;
    uint16_t replid;
    mh_id mid = mh_id_from_wire(mid_w, &replid);
    mh_betxn *t;
    if ((ec = mh_rop_txn(cx, lg, MH_TXN_WRITE, &t)))
        return ec;
    mh_message_info info;
    mh_message *msg = NULL;
    mh_error err;
    uint32_t rights = 0, old = 0;
    if (!(ec = folder_message(cx, t, folder, mid, &info)) &&
        !(ec = folder_rights(cx, lg, t, info.folder, &rights))) {
        mh_err e = mh_be_message_read(t, mid, 0, &msg, &err);
        if (e != MH_OK)
            ec = mh_err_to_mapi(e);
        else if (!lg->own && !(rights & FRIGHTS_READ_ANY))
            ec = MAPI_E_NO_ACCESS;
    }
    if (!ec) {
        old = (uint32_t)list_long(&msg->props, PR_MSG_STATUS, 0);
        uint32_t nw = (old & ~mask) | (status & mask);
        if (nw != old) {
            mh_propval v = mh_pv_long(PR_MSG_STATUS, (int32_t)nw);
            set_copy(cx->pool, &msg->props, &v);
            mh_change_in chg;
            memset(&chg, 0, sizeof(chg));
            mh_id id, cn;
            mh_err e = mh_be_message_save(t, 0, mid, 0, msg, &chg, &id, &cn, &err);
            if (e != MH_OK)
                ec = mh_err_to_mapi(e);
            else
                ec = mh_rop_commit(cx, t), t = NULL;
        }
    }
    if (t)
        mh_be_abort(t);
    if (ec)
        return ec;
    mh_wr_u32(rop->body, old);
    return 0;
}

/*
 * Applies ReadFlags to one stored message in a write transaction.
 * *changed_r: the read state changed.  Read receipts are not sent: mail
 * flow comes later; the pending bits are cleared as if they had been.
 */
static uint32_t apply_read_flags(mh_ropctx *cx, mh_betxn *t, const mh_logon *lg,
                                 uint32_t rights, mh_id mid, uint8_t rflags, int *changed_r)
{
    mh_error err;
    mh_err e;
    mh_id cn = 0;
    *changed_r = 0;
    if (!lg->own && !(rights & FRIGHTS_READ_ANY))
        return MAPI_E_NO_ACCESS;
    if (!(rflags & RF_GENERATE_RECEIPT_ONLY)) {
        int read = !(rflags & RF_CLEAR_READ_FLAG);
        if ((e = mh_be_message_set_read(t, mid, read, &cn, &err)) != MH_OK)
            return mh_err_to_mapi(e);
        *changed_r = cn != 0;
    }
    /* mfNotifyRead / mfNotifyUnread (MS-OXCMSG 2.2.1.6) */
    uint32_t clear = 0;
    if (rflags & (RF_CLEAR_NOTIFY_READ | RF_SUPPRESS_RECEIPT | RF_GENERATE_RECEIPT_ONLY))
        clear |= MSGFLAG_RN_PENDING;
    if (rflags & RF_CLEAR_NOTIFY_UNREAD)
        clear |= MSGFLAG_NRN_PENDING;
    if (!(rflags & (RF_CLEAR_READ_FLAG)) && !(rflags & RF_GENERATE_RECEIPT_ONLY))
        clear |= MSGFLAG_RN_PENDING; /* read now: the receipt is due or suppressed */
    if (!clear)
        return 0;
    mh_objref ref;
    memset(&ref, 0, sizeof(ref));
    ref.kind = MH_OBJ_MESSAGE;
    ref.id = mid;
    mh_proplist vals;
    const mh_proptag tag = PR_MESSAGE_FLAGS;
    if ((e = mh_be_props_get(t, &ref, &tag, 1, UINT64_MAX, &vals, &err)) != MH_OK)
        return mh_err_to_mapi(e);
    int32_t f = list_long(&vals, PR_MESSAGE_FLAGS, 0);
    if (!(f & (int32_t)clear))
        return 0;
    mh_message *msg;
    if ((e = mh_be_message_read(t, mid, 0, &msg, &err)) != MH_OK)
        return mh_err_to_mapi(e);
    f = list_long(&msg->props, PR_MESSAGE_FLAGS, 0) & ~(int32_t)clear;
    mh_propval v = mh_pv_long(PR_MESSAGE_FLAGS, f);
    set_copy(cx->pool, &msg->props, &v);
    mh_change_in chg;
    memset(&chg, 0, sizeof(chg));
    mh_id id;
    if ((e = mh_be_message_save(t, 0, mid, 0, msg, &chg, &id, &cn, &err)) != MH_OK)
        return mh_err_to_mapi(e);
    return 0;
}

/* RopSetReadFlags (MS-OXCROPS 2.2.6.10; MS-OXCMSG 3.2.5.10) */
static uint32_t rop_set_read_flags(mh_ropctx *cx, mh_rop *rop)
{
    mh_rd *rd = rop->rd;
    (void)mh_rd_u8(rd); /* WantAsynchronous: done synchronously */
    uint8_t rflags = mh_rd_u8(rd);
    uint16_t count = mh_rd_u16(rd);
    if (rd->err || !mh_rd_need(rd, (size_t)count * 8))
        return MAPI_E_INVALID_PARAMETER;
    mh_id *mids = apr_palloc(cx->pool, sizeof(mh_id) * (count ? count : 1));
    for (uint16_t i = 0; i < count; i++) {
        uint16_t replid;
        mids[i] = mh_id_from_wire(mh_rd_u64(rd), &replid);
    }
    mh_object *folder;
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx, MH_OTM(MH_OT_FOLDER), &folder);
    if (ec)
        return ec;
    /* the flags are mutually exclusive (2.2.3.10.1); rfReserved is ignored */
    uint8_t excl = rflags & (RF_CLEAR_READ_FLAG | RF_GENERATE_RECEIPT_ONLY);
    if (excl == (RF_CLEAR_READ_FLAG | RF_GENERATE_RECEIPT_ONLY) || (rflags & 0x80))
        return MAPI_E_INVALID_PARAMETER;
    mh_logon *lg = mh_obj_logon_data(cx, folder);
    if (!lg)
        return EC_NULL_OBJECT;
    mh_id fid = ((mh_folder *)folder->data)->fid;
    mh_betxn *t;
    if ((ec = mh_rop_txn(cx, lg, MH_TXN_WRITE, &t)))
        return ec;
    uint32_t rights = 0;
    if ((ec = folder_rights(cx, lg, t, fid, &rights))) {
        mh_be_abort(t);
        return ec;
    }
    int partial = 0;
    mh_error err;
    if (count == 0) {
        /* every normal message of the folder */
        mh_cursor from, next;
        memset(&from, 0, sizeof(from));
        mh_id batch[256];
        for (;;) {
            uint32_t n = 0;
            mh_err e = mh_be_contents_list(t, fid, 0, NULL, &from, 256, batch, &n, &next, &err);
            if (e != MH_OK) {
                mh_be_abort(t);
                return mh_err_to_mapi(e);
            }
            for (uint32_t i = 0; i < n; i++) {
                int changed;
                if (apply_read_flags(cx, t, lg, rights, batch[i], rflags, &changed))
                    partial = 1;
            }
            if (!next.len || !n)
                break;
            from = next;
            if (cx->tick)
                cx->tick(cx->tick_baton);
        }
    } else {
        for (uint16_t i = 0; i < count; i++) {
            mh_message_info info;
            int changed;
            if (folder_message(cx, t, folder, mids[i], &info) ||
                apply_read_flags(cx, t, lg, rights, mids[i], rflags, &changed))
                partial = 1;
        }
    }
    if ((ec = mh_rop_commit(cx, t)))
        return ec;
    mh_wr_u8(rop->body, partial ? 1 : 0);
    return 0;
}

/* RopSetMessageReadFlag (MS-OXCROPS 2.2.6.11; MS-OXCMSG 3.2.5.11) */
static uint32_t rop_set_message_read_flag(mh_ropctx *cx, mh_rop *rop)
{
    uint8_t rflags = mh_rd_u8(rop->rd);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *obj;
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx, MH_OTM(MH_OT_MESSAGE), &obj);
    if (ec)
        return ec;
    mh_logon *lg = mh_obj_logon_data(cx, obj);
    if (!lg)
        return EC_NULL_OBJECT;
    /* ClientData only comes on public folder logons */
    int pub = !(lg->logon_flags & LOGON_PRIVATE);
    const unsigned char *client_data = NULL;
    if (pub && mh_rd_left(rop->rd) >= 24)
        client_data = mh_rd_bytes(rop->rd, 24);
    if (pub && !client_data)
        return MAPI_E_INVALID_PARAMETER;
    if ((rflags & RF_CLEAR_READ_FLAG) && (rflags & RF_GENERATE_RECEIPT_ONLY))
        return MAPI_E_INVALID_PARAMETER;
    mh_msgobj *m = obj->data;
    int32_t f = list_long(&m->inst->props, PR_MESSAGE_FLAGS, 0);
    int was_read = (f & MSGFLAG_READ) != 0;
    int read = was_read;
    if (!(rflags & RF_GENERATE_RECEIPT_ONLY))
        read = !(rflags & RF_CLEAR_READ_FLAG);
    int changed = read != was_read;
    if (m->mid && !m->embedded) {
        /* the read state of a stored message changes at once */
        mh_betxn *t;
        if ((ec = mh_rop_txn(cx, lg, MH_TXN_WRITE, &t)))
            return ec;
        int ch = 0;
        if ((ec = apply_read_flags(cx, t, lg, m->rights, m->mid, rflags, &ch))) {
            mh_be_abort(t);
            return ec;
        }
        if ((ec = mh_rop_commit(cx, t)))
            return ec;
        changed = ch;
    }
    f = read ? (f | MSGFLAG_READ) : (f & ~MSGFLAG_READ);
    if (rflags & (RF_CLEAR_NOTIFY_READ | RF_SUPPRESS_RECEIPT))
        f &= ~MSGFLAG_RN_PENDING;
    if (rflags & RF_CLEAR_NOTIFY_UNREAD)
        f &= ~MSGFLAG_NRN_PENDING;
    mh_propval v = mh_pv_long(PR_MESSAGE_FLAGS, f);
    set_copy(obj->pool, &m->inst->props, &v);
    cx->changed = 1;
    mh_wr_u8(rop->body, changed ? 1 : 0);
    if (changed && pub) {
        mh_wr_u8(rop->body, rop->h.logon_id);
        mh_wr_bytes(rop->body, client_data, 24);
    }
    return 0;
}

/* RopGetAttachmentTable (MS-OXCROPS 2.2.6.17) */
static uint32_t rop_get_attachment_table(mh_ropctx *cx, mh_rop *rop)
{
    uint8_t flags = mh_rd_u8(rop->rd);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *obj;
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx, MH_OTM(MH_OT_MESSAGE), &obj);
    if (ec)
        return ec;
    /* TableFlags: Standard 0x00 or Unicode 0x40 (MS-OXCMSG 2.2.3.17.1) */
    if (flags & ~0x40)
        return MAPI_E_INVALID_PARAMETER;
    uint32_t count;
    return mh_table_open(cx, rop, obj, MH_TBL_ATTACHMENTS, flags, &count);
}

/* RopOpenAttachment (MS-OXCROPS 2.2.6.12; MS-OXCMSG 3.2.5.12) */
static uint32_t rop_open_attachment(mh_ropctx *cx, mh_rop *rop)
{
    uint8_t mode = mh_rd_u8(rop->rd);
    uint32_t num = mh_rd_u32(rop->rd);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *mobj;
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx, MH_OTM(MH_OT_MESSAGE), &mobj);
    if (ec)
        return ec;
    if (mode & ~OPEN_BEST_ACCESS || mode == 0x02)
        return MAPI_E_INVALID_PARAMETER;
    mh_msgobj *m = mobj->data;
    mh_attachment *a = find_attachment(m->inst, num);
    if (!a)
        return MAPI_E_NOT_FOUND;
    int writable = 0;
    if (mode == OPEN_READ_WRITE) {
        if (!m->writable)
            return MAPI_E_NO_ACCESS;
        writable = 1;
    } else if (mode == OPEN_BEST_ACCESS) {
        writable = m->writable;
    }
    mh_object *obj = mh_obj_create(cx, rop, MH_OT_ATTACHMENT, rop->h.logon_id, mobj->handle);
    if (!obj)
        return MAPI_E_NOT_ENOUGH_MEMORY;
    mh_attobj *ao = apr_pcalloc(obj->pool, sizeof(*ao));
    ao->num = num;
    ao->writable = (uint8_t)writable;
    ao->att.num = num;
    mh_proplist_copy(obj->pool, &ao->att.props, &a->props);
    ao->att.embedded = a->embedded ? mh_message_copy(obj->pool, a->embedded) : NULL;
    obj->data = ao;
    cx->changed = 1;
    return 0;
}

/* RopCreateAttachment (MS-OXCROPS 2.2.6.13; MS-OXCMSG 3.2.5.13) */
static uint32_t rop_create_attachment(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *mobj;
    uint32_t ec = writable_message(cx, rop, rop->h.in_idx, &mobj);
    if (ec)
        return ec;
    mh_msgobj *m = mobj->data;
    uint32_t next = max_attach_num(m->inst);
    if (m->next_attach > next)
        next = m->next_attach;
    if (next == UINT32_MAX)
        return MAPI_E_TOO_BIG;
    mh_object *obj = mh_obj_create(cx, rop, MH_OT_ATTACHMENT, rop->h.logon_id, mobj->handle);
    if (!obj)
        return MAPI_E_NOT_ENOUGH_MEMORY;
    mh_attobj *ao = apr_pcalloc(obj->pool, sizeof(*ao));
    ao->num = next;
    ao->att.num = next;
    ao->writable = 1;
    ao->changed = 1;
    uint64_t now = mh_filetime_from_apr(apr_time_now());
    mh_propval init[] = {mh_pv_time(PR_CREATION_TIME, now),
                         mh_pv_time(PR_LAST_MODIFICATION_TIME, now)};
    for (size_t i = 0; i < 2; i++)
        set_copy(obj->pool, &ao->att.props, &init[i]);
    obj->data = ao;
    /* numbers stay unique even for attachments never saved */
    m->next_attach = next + 1;
    cx->changed = 1;
    mh_wr_u32(rop->body, next);
    return 0;
}

/* RopDeleteAttachment (MS-OXCROPS 2.2.6.14; MS-OXCMSG 3.2.5.14) */
static uint32_t rop_delete_attachment(mh_ropctx *cx, mh_rop *rop)
{
    uint32_t num = mh_rd_u32(rop->rd);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *mobj;
    uint32_t ec = writable_message(cx, rop, rop->h.in_idx, &mobj);
    if (ec)
        return ec;
    mh_msgobj *m = mobj->data;
    mh_message *inst = m->inst;
    for (uint32_t i = 0; i < inst->n_attachments; i++) {
        if (inst->attachments[i].num != num)
            continue;
        memmove(&inst->attachments[i], &inst->attachments[i + 1],
                sizeof(mh_attachment) * (inst->n_attachments - i - 1));
        inst->n_attachments--;
        m->changed = 1;
        cx->changed = 1;
        return 0;
    }
    return MAPI_E_NOT_FOUND;
}

/* RopSaveChangesAttachment (MS-OXCROPS 2.2.6.15; MS-OXCMSG 3.2.5.15):
 * into the message's instance. */
static uint32_t rop_save_changes_attachment(mh_ropctx *cx, mh_rop *rop)
{
    uint8_t flags = mh_rd_u8(rop->rd);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *obj;
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx, MH_OTM(MH_OT_ATTACHMENT), &obj);
    if (ec)
        return ec;
    mh_attobj *a = obj->data;
    if (!a->writable)
        return MAPI_E_NO_ACCESS;
    mh_object *mobj = mh_obj_find(cx, obj->parent);
    if (!mobj || mobj->type != MH_OT_MESSAGE)
        return MAPI_E_OBJECT_DELETED;
    mh_msgobj *m = mobj->data;
    if (!m->writable)
        return MAPI_E_NO_ACCESS;
    mh_propval lm = mh_pv_time(PR_LAST_MODIFICATION_TIME, mh_filetime_from_apr(apr_time_now()));
    set_copy(obj->pool, &a->att.props, &lm);
    a->att.num = a->num;
    put_attachment(mobj->pool, m->inst, &a->att);
    m->changed = 1;
    a->changed = 0;
    if (flags & SAVE_KEEP_OPEN_READ_ONLY)
        a->writable = 0;
    cx->changed = 1;
    return 0;
}

/* RopOpenEmbeddedMessage (MS-OXCROPS 2.2.6.16; MS-OXCMSG 3.2.5.16) */
static uint32_t rop_open_embedded_message(mh_ropctx *cx, mh_rop *rop)
{
    uint16_t cpid = mh_rd_u16(rop->rd);
    uint8_t mode = mh_rd_u8(rop->rd);
    (void)cpid;
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *aobj;
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx, MH_OTM(MH_OT_ATTACHMENT), &aobj);
    if (ec)
        return ec;
    if (mode > OPEN_BEST_ACCESS)
        return MAPI_E_INVALID_PARAMETER;
    mh_attobj *a = aobj->data;
    mh_object *mobj = mh_obj_find(cx, aobj->parent);
    if (!mobj || mobj->type != MH_OT_MESSAGE)
        return MAPI_E_OBJECT_DELETED;
    mh_msgobj *pm = mobj->data;
    /* embedded messages nest only so deep (mapihttp/props.h) */
    uint32_t depth = 0;
    for (mh_object *o = mobj; o && o->type == MH_OT_MESSAGE && ((mh_msgobj *)o->data)->embedded;
         depth++) {
        mh_object *ao = mh_obj_find(cx, o->parent);
        o = ao ? mh_obj_find(cx, ao->parent) : NULL;
    }
    int writable;
    if (mode == OPEN_READ_ONLY) {
        writable = 0;
    } else if (mode == OPEN_BEST_ACCESS) {
        writable = a->writable;
    } else {
        if (!a->writable)
            return MAPI_E_NO_ACCESS;
        writable = 1;
    }
    if (!a->att.embedded && mode != OPEN_EMB_CREATE)
        return MAPI_E_NOT_FOUND;
    if (!a->att.embedded && depth + 1 >= MH_MAX_EMBED_DEPTH)
        return MAPI_E_TOO_COMPLEX;
    mh_object *obj = mh_obj_create(cx, rop, MH_OT_MESSAGE, rop->h.logon_id, aobj->handle);
    if (!obj)
        return MAPI_E_NOT_ENOUGH_MEMORY;
    mh_msgobj *m = new_msgobj(obj->pool);
    m->fid = pm->fid;
    m->embedded = 1;
    m->writable = (uint8_t)writable;
    m->rights = pm->rights;
    if (a->att.embedded) {
        m->inst = mh_message_copy(obj->pool, a->att.embedded);
        sort_recipients(m->inst);
        m->next_attach = max_attach_num(m->inst);
    } else {
        new_message_props(cx, obj->pool, m->inst);
        m->changed = 1;
        /* the attachment is one of an embedded message from now on */
        mh_propval am = mh_pv_long(PR_ATTACH_METHOD, ATTACH_EMBEDDED_MSG);
        set_copy(aobj->pool, &a->att.props, &am);
        a->changed = 1;
    }
    obj->data = m;
    mh_wr tmp;
    mh_wr_init(&tmp, cx->pool, 256);
    mh_wr_u8(&tmp, 0);  /* Reserved */
    mh_wr_u64(&tmp, 0); /* MessageId: embedded messages have none of their own here */
    if ((ec = wr_message_header(cx, obj, &tmp, rop->room))) {
        mh_obj_release(cx, obj);
        return ec;
    }
    mh_wr_bytes(rop->body, tmp.buf, tmp.len);
    cx->changed = 1;
    return 0;
}

/* RopGetValidAttachments (MS-OXCROPS 2.2.6.18) */
static uint32_t rop_get_valid_attachments(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec = mh_rop_object(cx, rop, rop->h.in_idx, MH_OTM(MH_OT_MESSAGE), &obj);
    if (ec)
        return ec;
    mh_message *inst = ((mh_msgobj *)obj->data)->inst;
    uint32_t n = inst->n_attachments > 0xFFFF ? 0xFFFF : inst->n_attachments;
    if (2 + (size_t)n * 4 > rop->room)
        return MH_ROP_TOO_SMALL;
    mh_wr_u16(rop->body, (uint16_t)n);
    for (uint32_t i = 0; i < n; i++)
        mh_wr_u32(rop->body, inst->attachments[i].num);
    return 0;
}

const mh_rop_entry mh_rops_oxcmsg[] = {
    {0x03, rop_open_message},
    {0x06, rop_create_message},
    {0x0C, rop_save_changes_message},
    {0x0D, rop_remove_all_recipients},
    {0x0E, rop_modify_recipients},
    {0x0F, rop_read_recipients},
    {0x10, rop_reload_cached_information},
    {0x11, rop_set_message_read_flag},
    {0x1F, rop_get_message_status},
    {0x20, rop_set_message_status},
    {0x21, rop_get_attachment_table},
    {0x22, rop_open_attachment},
    {0x23, rop_create_attachment},
    {0x24, rop_delete_attachment},
    {0x25, rop_save_changes_attachment},
    {0x46, rop_open_embedded_message},
    {0x52, rop_get_valid_attachments},
    {0x66, rop_set_read_flags},
    {0, NULL},
};
