/*
 * mh_ruleaction.c - the RuleAction codec (MS-OXORULE 2.2.5); see
 * mh_ruleaction.h for the two forms.
 */
#include "mh_ruleaction.h"

#include <string.h>

#include "mh_oxcdata.h"

/* ActionType u8, ActionFlavor u32, ActionFlags u32 (2.2.5.1) */
#define BLOCK_FIXED 9

static uint32_t rd_count(mh_rd *rd, int extended)
{
    return extended ? mh_rd_u32(rd) : mh_rd_u16(rd);
}

static void wr_count(mh_wr *wr, int extended, uint32_t n)
{
    if (extended)
        mh_wr_u32(wr, n);
    else
        mh_wr_u16(wr, (uint16_t)n);
}

static int fail(mh_rd *rd, const char **why_r, const char *why)
{
    rd->err = 1;
    if (why_r && !*why_r)
        *why_r = why;
    return -1;
}

/* A COUNT-prefixed byte string (StoreEID, FolderEID, MessageEID). */
static int rd_sized(mh_rd *rd, int extended, apr_pool_t *pool, mh_bin *b)
{
    uint32_t n = rd_count(rd, extended);
    const unsigned char *p = mh_rd_bytes(rd, n);
    if (!p)
        return -1;
    b->len = n;
    b->data = n ? apr_pmemdup(pool, p, n) : (const uint8_t *)"";
    return 0;
}

static void wr_sized(mh_wr *wr, int extended, const mh_bin *b)
{
    wr_count(wr, extended, b->len);
    if (b->len)
        mh_wr_bytes(wr, b->data, b->len);
}

/* Property values an action may carry: what a store keeps, but no nested
 * restriction or rule action and no error value. */
static int value_ok(const mh_propval *v)
{
    uint16_t t = MH_TAG_TYPE(v->tag);
    return mh_type_storable(t) && t != PT_SRESTRICTION && t != PT_ACTIONS && t != PT_ERROR;
}

/* TaggedPropertyValues of a recipient: NoOfProperties, then the values. */
static int rd_recipient(mh_rd *rd, int extended, uint32_t cp, apr_pool_t *pool,
                        mh_rule_recipient *r, const char **why_r)
{
    r->reserved = mh_rd_u8(rd);
    r->n = rd_count(rd, extended);
    if (rd->err)
        return fail(rd, why_r, "a RecipientBlockData is truncated");
    if (r->n == 0)
        return fail(rd, why_r, "a recipient without properties (NoOfProperties 0)");
    /* a TaggedPropertyValue takes at least 5 bytes */
    if (r->n > mh_rd_left(rd) / 5)
        return fail(rd, why_r, "NoOfProperties exceeds the data");
    r->props = apr_pcalloc(pool, (size_t)r->n * sizeof(*r->props));
    for (uint32_t i = 0; i < r->n; i++) {
        if (mh_rd_tagged_propval_cw(rd, extended ? 4 : 2, cp, pool, &r->props[i]) != 0)
            return fail(rd, why_r, "a recipient property does not parse");
        if (!value_ok(&r->props[i]))
            return fail(rd, why_r, "a recipient property has a type no store keeps");
    }
    return 0;
}

/* ActionData of one block, exactly the bytes of `d`. */
static int rd_action_data(mh_rd *d, int extended, uint32_t cp, apr_pool_t *pool,
                          mh_rule_action *a, const char **why_r)
{
    switch (a->type) {
    case MH_OP_MOVE:
    case MH_OP_COPY:
        if (!extended) {
            a->in_this_store = mh_rd_u8(d);
            if (rd_sized(d, 0, pool, &a->store_eid) != 0 ||
                rd_sized(d, 0, pool, &a->folder_eid) != 0)
                return fail(d, why_r, "a move/copy ActionData is truncated");
            if (a->in_this_store) {
                /* ServerEid (2.2.5.1.2.1.1): Ours, FolderId, MessageId,
                 * Instance; the last two unused and zero */
                const uint8_t *s = a->folder_eid.data;
                if (a->folder_eid.len != MH_SERVER_EID_LEN || s[0] != 0x01)
                    return fail(d, why_r, "FolderEID is not a ServerEid");
                for (int i = 9; i < MH_SERVER_EID_LEN; i++)
                    if (s[i])
                        return fail(d, why_r, "a ServerEid's MessageId or Instance is not zero");
                uint64_t fid = 0;
                for (int i = 8; i >= 1; i--)
                    fid = (fid << 8) | s[i];
                a->folder_id = fid;
            }
        } else {
            if (rd_sized(d, 1, pool, &a->store_eid) != 0 ||
                rd_sized(d, 1, pool, &a->folder_eid) != 0)
                return fail(d, why_r, "a move/copy ActionData is truncated");
            if (a->folder_eid.len != MH_FOLDER_EID_LEN)
                return fail(d, why_r, "FolderEID is not a Folder EntryID");
        }
        return 0;
    case MH_OP_REPLY:
    case MH_OP_OOF_REPLY:
        if (!extended) {
            a->template_fid = mh_rd_u64(d);
            a->template_mid = mh_rd_u64(d);
        } else {
            if (rd_sized(d, 1, pool, &a->template_eid) != 0)
                return fail(d, why_r, "a reply ActionData is truncated");
            if (a->template_eid.len != MH_MESSAGE_EID_LEN)
                return fail(d, why_r, "ReplyTemplateMessageEID is not a Message EntryID");
        }
        mh_rd_copy(d, a->template_guid.b, 16);
        return d->err ? fail(d, why_r, "a reply ActionData is truncated") : 0;
    case MH_OP_DEFER_ACTION: {
        /* the client's own data, opaque to the server (2.2.5.1.2.3) */
        size_t n = mh_rd_left(d);
        a->defer.len = (uint32_t)n;
        a->defer.data = n ? apr_pmemdup(pool, mh_rd_bytes(d, n), n) : (const uint8_t *)"";
        return 0;
    }
    case MH_OP_BOUNCE:
        a->bounce_code = mh_rd_u32(d);
        if (d->err)
            return fail(d, why_r, "a bounce ActionData is truncated");
        if (a->bounce_code != MH_BOUNCE_TOO_LARGE && a->bounce_code != MH_BOUNCE_CANNOT_DISPLAY &&
            a->bounce_code != MH_BOUNCE_DENIED)
            return fail(d, why_r, "BounceCode is none of 2.2.5.1.2.5");
        return 0;
    case MH_OP_FORWARD:
    case MH_OP_DELEGATE:
        a->n_recips = rd_count(d, extended);
        if (d->err)
            return fail(d, why_r, "a forward/delegate ActionData is truncated");
        if (a->n_recips == 0)
            return fail(d, why_r, "a forward or delegate action without recipients");
        /* a RecipientBlockData takes at least 1 + COUNT + 5 bytes */
        if (a->n_recips > mh_rd_left(d) / (extended ? 10u : 8u))
            return fail(d, why_r, "RecipientCount exceeds the data");
        a->recips = apr_pcalloc(pool, (size_t)a->n_recips * sizeof(*a->recips));
        for (uint32_t i = 0; i < a->n_recips; i++)
            if (rd_recipient(d, extended, cp, pool, &a->recips[i], why_r) != 0)
                return -1;
        return 0;
    case MH_OP_TAG:
        if (mh_rd_tagged_propval_cw(d, extended ? 4 : 2, cp, pool, &a->tag) != 0)
            return fail(d, why_r, "the OP_TAG value does not parse");
        if (!value_ok(&a->tag))
            return fail(d, why_r, "the OP_TAG value has a type no store keeps");
        return 0;
    case MH_OP_DELETE:
    case MH_OP_MARK_AS_READ:
        return 0; /* no ActionData (2.2.5.1.2.7) */
    default:
        return fail(d, why_r, "an ActionType 2.2.5.1 does not define");
    }
}

/* The ActionFlavor a type allows (2.2.5.1.1); unused bits are ignored. */
static int flavor_ok(uint8_t type, uint32_t flavor)
{
    switch (type) {
    case MH_OP_FORWARD: {
        uint32_t f = flavor & (MH_FWD_PRESERVE_SENDER | MH_FWD_DO_NOT_MUNGE |
                               MH_FWD_AS_ATTACHMENT | MH_FWD_AS_SMS);
        /* AT and TM stand alone; PR and NC combine */
        if ((f & MH_FWD_AS_ATTACHMENT) && f != MH_FWD_AS_ATTACHMENT)
            return 0;
        if ((f & MH_FWD_AS_SMS) && f != MH_FWD_AS_SMS)
            return 0;
        return 1;
    }
    case MH_OP_REPLY:
    case MH_OP_OOF_REPLY: {
        uint32_t f = flavor & (MH_REPLY_NOT_TO_SENDER | MH_REPLY_STOCK_TEXT);
        return f != (MH_REPLY_NOT_TO_SENDER | MH_REPLY_STOCK_TEXT); /* one of them, or 0 */
    }
    default:
        return flavor == 0; /* no flavors: MUST be zero */
    }
}

int mh_rd_rule_actions(mh_rd *rd, int extended, uint32_t cp, apr_pool_t *pool,
                       mh_rule_actions **acts_r, const char **why_r)
{
    if (why_r)
        *why_r = NULL;
    mh_rule_actions *acts = apr_pcalloc(pool, sizeof(*acts));
    acts->extended = extended ? 1 : 0;
    acts->n = rd_count(rd, extended);
    if (rd->err)
        return fail(rd, why_r, "NoOfActions is truncated");
    if (acts->n == 0)
        return fail(rd, why_r, "a rule without actions (NoOfActions 0)");
    /* an ActionBlock takes at least its ActionLength and 9 bytes */
    if (acts->n > mh_rd_left(rd) / ((extended ? 4u : 2u) + BLOCK_FIXED))
        return fail(rd, why_r, "NoOfActions exceeds the data");
    acts->a = apr_pcalloc(pool, (size_t)acts->n * sizeof(*acts->a));
    for (uint32_t i = 0; i < acts->n; i++) {
        mh_rule_action *a = &acts->a[i];
        uint32_t len = rd_count(rd, extended);
        if (rd->err)
            return fail(rd, why_r, "an ActionLength is truncated");
        if (len < BLOCK_FIXED)
            return fail(rd, why_r, "an ActionLength is shorter than ActionType, Flavor, Flags");
        const unsigned char *p = mh_rd_bytes(rd, len);
        if (!p)
            return fail(rd, why_r, "an ActionBlock is longer than the data");
        mh_rd d;
        mh_rd_init(&d, p, len);
        a->type = mh_rd_u8(&d);
        a->flavor = mh_rd_u32(&d);
        a->flags = mh_rd_u32(&d);
        if (rd_action_data(&d, extended, cp, pool, a, why_r) != 0) {
            rd->err = 1;
            return -1;
        }
        if (d.err || d.p != d.end)
            return fail(rd, why_r, "ActionLength does not match the ActionData of its type");
        if (!flavor_ok(a->type, a->flavor))
            return fail(rd, why_r, "an ActionFlavor its ActionType does not allow");
    }
    *acts_r = acts;
    return 0;
}

static void wr_action_data(mh_wr *w, int extended, const mh_rule_action *a, uint32_t cp)
{
    int cw = extended ? 4 : 2;
    switch (a->type) {
    case MH_OP_MOVE:
    case MH_OP_COPY:
        if (!extended)
            mh_wr_u8(w, a->in_this_store);
        wr_sized(w, extended, &a->store_eid);
        wr_sized(w, extended, &a->folder_eid);
        break;
    case MH_OP_REPLY:
    case MH_OP_OOF_REPLY:
        if (!extended) {
            mh_wr_u64(w, a->template_fid);
            mh_wr_u64(w, a->template_mid);
        } else {
            wr_sized(w, 1, &a->template_eid);
        }
        mh_wr_bytes(w, a->template_guid.b, 16);
        break;
    case MH_OP_DEFER_ACTION:
        if (a->defer.len)
            mh_wr_bytes(w, a->defer.data, a->defer.len);
        break;
    case MH_OP_BOUNCE:
        mh_wr_u32(w, a->bounce_code);
        break;
    case MH_OP_FORWARD:
    case MH_OP_DELEGATE:
        wr_count(w, extended, a->n_recips);
        for (uint32_t i = 0; i < a->n_recips; i++) {
            const mh_rule_recipient *r = &a->recips[i];
            mh_wr_u8(w, r->reserved);
            wr_count(w, extended, r->n);
            for (uint32_t j = 0; j < r->n; j++)
                mh_wr_tagged_propval_cw(w, r->props[j].tag, &r->props[j], cw, cp);
        }
        break;
    case MH_OP_TAG:
        mh_wr_tagged_propval_cw(w, a->tag.tag, &a->tag, cw, cp);
        break;
    default:
        break; /* OP_DELETE, OP_MARK_AS_READ: nothing */
    }
}

void mh_wr_rule_actions(mh_wr *wr, const mh_rule_actions *acts, uint32_t cp)
{
    int ext = acts->extended;
    wr_count(wr, ext, acts->n);
    for (uint32_t i = 0; i < acts->n; i++) {
        const mh_rule_action *a = &acts->a[i];
        size_t at = wr->len;
        wr_count(wr, ext, 0);
        size_t start = wr->len;
        mh_wr_u8(wr, a->type);
        mh_wr_u32(wr, a->flavor);
        mh_wr_u32(wr, a->flags);
        wr_action_data(wr, ext, a, cp);
        size_t len = wr->len - start;
        if (ext)
            mh_wr_put_u32_at(wr, at, (uint32_t)len);
        else
            mh_wr_put_u16_at(wr, at, (uint16_t)len);
    }
}

static void retype_value(mh_propval *v, uint16_t type)
{
    uint16_t t = MH_TAG_TYPE(v->tag);
    if (t == PT_UNICODE || t == PT_STRING8)
        v->tag = MH_TAG_RETYPE(v->tag, type);
    else if (t == PT_MV_UNICODE || t == PT_MV_STRING8)
        v->tag = MH_TAG_RETYPE(v->tag, (uint16_t)(type | MV_FLAG));
}

void mh_rule_actions_retype(mh_rule_actions *acts, uint16_t type)
{
    type &= (uint16_t)~MV_FLAG;
    for (uint32_t i = 0; i < acts->n; i++) {
        mh_rule_action *a = &acts->a[i];
        if (a->type == MH_OP_TAG)
            retype_value(&a->tag, type);
        if (a->type == MH_OP_FORWARD || a->type == MH_OP_DELEGATE)
            for (uint32_t r = 0; r < a->n_recips; r++)
                for (uint32_t j = 0; j < a->recips[r].n; j++)
                    retype_value(&a->recips[r].props[j], type);
    }
}

int mh_rule_actions_canonical(const mh_bin *in, uint32_t cp, apr_pool_t *pool, mh_bin *out,
                              const char **why_r)
{
    mh_rd rd;
    mh_rd_init(&rd, in->data, in->len);
    mh_rule_actions *acts;
    if (mh_rd_rule_actions(&rd, 0, cp, pool, &acts, why_r) != 0)
        return -1;
    if (rd.p != rd.end) {
        if (why_r)
            *why_r = "bytes after the last ActionBlock";
        return -1;
    }
    mh_wr w;
    mh_wr_init(&w, pool, in->len + 16);
    mh_wr_rule_actions(&w, acts, MH_CP_UTF8);
    out->len = (uint32_t)w.len;
    out->data = w.buf;
    return 0;
}
