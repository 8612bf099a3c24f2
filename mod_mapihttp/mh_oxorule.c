/*
 * mh_oxorule.c - server-side rules (MS-OXORULE 2.2.1, 2.2.2, 3.2.5.2,
 * 3.2.5.3; MS-OXCROPS 2.2.11): RopModifyRules and RopGetRulesTable.
 *
 * A folder's standard rules live in the backend (rules_get/rules_set,
 * optional slots: without them both ROPs answer ecNotSupported), each a
 * property list of the ten properties of 2.2.1.3.1.  What is stored is
 * what the client wrote, in canonical form: PidTagRuleCondition as
 * mh_oxcdata keeps restrictions and PidTagRuleActions as mh_ruleaction
 * writes it back, both with strings as PtypString; a rules table gives
 * them back in the client's wire form (mh_oxctabl.c, with 8-bit strings
 * when the table is not Unicode).
 *
 * The server's part: PidTagRuleId is assigned from the mailbox's ID space
 * (mh_be_id_reserve: unique in the mailbox, never handed out again) in
 * the wire form of a FID, as Exchange's look (4.2.2); PidTagRuleSequence,
 * PidTagRuleState and PidTagRuleLevel get defaults when a new rule comes
 * without them.  A request applies in one backend transaction or not at
 * all.
 */
#include "mh_rop.h"

#include <string.h>

#include "mh_log.h"
#include "mh_props.h"
#include "mh_ruleaction.h"

#define ROP_GET_RULES_TABLE 0x3F
#define ROP_MODIFY_RULES 0x41

/* ModifyRulesFlag (2.2.1.1) and TableFlags (2.2.2.1) */
#define MODIFY_RULES_REPLACE 0x01
#define RULES_TABLE_UNICODE 0x40

/* RuleDataFlags (2.2.1.3) */
#define ROW_ADD 0x01
#define ROW_MODIFY 0x02
#define ROW_REMOVE 0x04

/* The properties of a standard rule (2.2.1.3.1) */
#define PR_RULE_ID MH_TAG(0x6674, PT_I8)
#define PR_RULE_SEQUENCE MH_TAG(0x6676, PT_LONG)
#define PR_RULE_STATE MH_TAG(0x6677, PT_LONG)
#define PR_RULE_USER_FLAGS MH_TAG(0x6678, PT_LONG)
#define PR_RULE_CONDITION MH_TAG(0x6679, PT_SRESTRICTION)
#define PR_RULE_ACTIONS MH_TAG(0x6680, PT_ACTIONS)
#define PR_RULE_PROVIDER MH_TAG(0x6681, PT_UNICODE)
#define PR_RULE_NAME MH_TAG(0x6682, PT_UNICODE)
#define PR_RULE_LEVEL MH_TAG(0x6683, PT_LONG)
#define PR_RULE_PROVIDER_DATA MH_TAG(0x6684, PT_BINARY)

/* PidTagRuleState ST_DISABLED: a rule added without a state does not run
 * until its client enables it */
#define RULE_STATE_DEFAULT 0x00000000

/*
 * What the rules of one folder may take, encoded (3.2.5.2 lets a server
 * limit them; Exchange's limit is 64 KB by default and 256 KB at most, and
 * this is the larger).  A request that would exceed it gets
 * ecNotEnoughMemory and changes nothing: 3.2.5.2 would have the changes
 * saved all the same (SHOULD), but then nothing would bound the folder's
 * rules and a request would apply in part.
 */
#define RULES_MAX_BYTES (256u * 1024u)


/* The backend keeps rules (both slots for writing). */
static int rules_supported(const mh_ropctx *cx, int write)
{
    if (!cx->be)
        return 0;
    if (!MH_SLOT(cx->be->be, rules_get))
        return 0;
    return !write || MH_SLOT(cx->be->be, rules_set) != NULL;
}

/* ------------------------------------------------------ GetRulesTable */

/* RopGetRulesTable (MS-OXCROPS 2.2.11.2, MS-OXORULE 3.2.5.3) */
static uint32_t rop_get_rules_table(mh_ropctx *cx, mh_rop *rop)
{
    uint8_t flags = mh_rd_u8(rop->rd);
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *obj;
    mh_folder *f;
    mh_logon *lg;
    uint32_t ec = mh_rop_folder(cx, rop, &obj, &f, &lg);
    if (ec)
        return ec;
    if (flags & ~RULES_TABLE_UNICODE)
        return MAPI_E_NO_SUPPORT; /* 3.2.5.3: an x bit set */
    /* reading rules takes what changing them takes (MS-OXCPERM 2.2.7:
     * FolderOwner); mh_table_open checks it again for other mailboxes */
    if (!lg->own && !(f->rights & FRIGHTS_OWNER))
        return MAPI_E_NO_ACCESS;
    if (!rules_supported(cx, 0))
        return MAPI_E_NO_SUPPORT;
    uint32_t rows;
    return mh_table_open(cx, rop, obj, MH_TBL_RULES, flags, &rows);
}

/* -------------------------------------------------------- ModifyRules */

/* One RuleData of the request (2.2.1.3), parsed. */
typedef struct rule_change {
    uint8_t flags;
    uint16_t n;
    mh_propval *vals;
    int64_t id;             /* PidTagRuleId (modify, remove) */
} rule_change;

static const mh_propval *find_value(const mh_propval *v, uint16_t n, mh_proptag tag)
{
    for (uint16_t i = 0; i < n; i++)
        if (v[i].tag == tag)
            return &v[i];
    return NULL;
}

/* Whether a value is one of the properties of a standard rule (strings
 * arrive as PtypString whatever the client sent: mh_oxcdata retypes). */
static int rule_property(mh_proptag tag)
{
    switch (tag) {
    case PR_RULE_ID: case PR_RULE_SEQUENCE: case PR_RULE_STATE: case PR_RULE_USER_FLAGS:
    case PR_RULE_CONDITION: case PR_RULE_ACTIONS: case PR_RULE_PROVIDER: case PR_RULE_NAME:
    case PR_RULE_LEVEL: case PR_RULE_PROVIDER_DATA:
        return 1;
    default:
        return 0;
    }
}

/*
 * Checks one RuleData against 2.2.1.3 and 3.1.4.2.1 and puts its rule
 * actions in canonical form.  MAPI_E_INVALID_PARAMETER (ecInvalidParam,
 * 3.2.5.2) when anything is wrong, with the reason in the debug log.
 */
static uint32_t check_change(mh_ropctx *cx, rule_change *c, int replace, uint16_t idx)
{
    const char *why = NULL;
    if (c->flags != ROW_ADD && c->flags != ROW_MODIFY && c->flags != ROW_REMOVE)
        why = "RuleDataFlags is none of ROW_ADD, ROW_MODIFY, ROW_REMOVE";
    else if (replace && c->flags != ROW_ADD)
        why = "ModifyRulesFlag R takes ROW_ADD only (2.2.1.1)";
    else if (c->n == 0)
        why = "PropertyValueCount is 0 (2.2.1.3)";
    if (why)
        goto bad;
    const mh_propval *id = find_value(c->vals, c->n, PR_RULE_ID);
    if (c->flags == ROW_REMOVE) {
        /* only PidTagRuleId counts; the rest is ignored (2.2.1.3.1.1) */
        if (!id) {
            why = "ROW_REMOVE without PidTagRuleId";
            goto bad;
        }
        c->id = id->v.i64;
        return 0;
    }
    for (uint16_t i = 0; i < c->n; i++) {
        if (!rule_property(c->vals[i].tag)) {
            why = "a property that is not one of a standard rule (2.2.1.3.1)";
            goto bad;
        }
        for (uint16_t j = 0; j < i; j++)
            if (c->vals[j].tag == c->vals[i].tag) {
                why = "a property given twice";
                goto bad;
            }
    }
    if (c->flags == ROW_ADD) {
        if (id)
            why = "PidTagRuleId in a new rule (2.2.1.3.1.1)";
        else if (!find_value(c->vals, c->n, PR_RULE_PROVIDER) ||
                 !find_value(c->vals, c->n, PR_RULE_CONDITION) ||
                 !find_value(c->vals, c->n, PR_RULE_ACTIONS))
            why = "a new rule without PidTagRuleProvider, PidTagRuleCondition and "
                  "PidTagRuleActions (3.1.4.2.1)";
    } else if (!id) {
        why = "ROW_MODIFY without PidTagRuleId";
    } else {
        c->id = id->v.i64;
    }
    if (why)
        goto bad;
    const mh_propval *level = find_value(c->vals, c->n, PR_RULE_LEVEL);
    if (level && level->v.i32 != 0) {
        why = "PidTagRuleLevel other than 0 (2.2.1.3.1.6)";
        goto bad;
    }
    mh_propval *acts = (mh_propval *)find_value(c->vals, c->n, PR_RULE_ACTIONS);
    if (acts) {
        mh_bin canon;
        if (mh_rule_actions_canonical(&acts->v.bin, cx->cp, cx->pool, &canon, &why) != 0)
            goto bad;
        acts->v.bin = canon;
    }
    return 0;
bad:
    mh_log(MH_LOG_DEBUG, MHLOGNO(01000) "RopModifyRules: RuleData %u refused: %s",
           (unsigned)idx, why);
    return MAPI_E_INVALID_PARAMETER;
}

/* The rules of a folder being edited. */
typedef struct rule_set {
    mh_proplist *rules;
    uint32_t n, cap;
} rule_set;

static int64_t rule_id_of(const mh_proplist *r)
{
    const mh_propval *v = mh_proplist_find(r, PR_RULE_ID);
    return v ? v->v.i64 : 0;
}

static mh_proplist *rule_find(rule_set *s, int64_t id)
{
    for (uint32_t i = 0; i < s->n; i++)
        if (rule_id_of(&s->rules[i]) == id)
            return &s->rules[i];
    return NULL;
}

static mh_proplist *rule_append(rule_set *s, apr_pool_t *pool)
{
    if (s->n == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 8;
        mh_proplist *nr = apr_pcalloc(pool, cap * sizeof(*nr));
        if (s->n)
            memcpy(nr, s->rules, s->n * sizeof(*nr));
        s->rules = nr;
        s->cap = cap;
    }
    mh_proplist *r = &s->rules[s->n++];
    r->n = 0;
    r->v = NULL;
    return r;
}

/* The next PidTagRuleSequence: after every rule of the folder. */
static int32_t next_sequence(const rule_set *s)
{
    int32_t max = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        const mh_propval *v = mh_proplist_find(&s->rules[i], PR_RULE_SEQUENCE);
        if (v && v->v.i32 > max)
            max = v->v.i32;
    }
    return max < INT32_MAX ? max + 1 : max;
}

/* RopModifyRules (MS-OXCROPS 2.2.11.1, MS-OXORULE 3.2.5.2) */
static uint32_t rop_modify_rules(mh_ropctx *cx, mh_rop *rop)
{
    /* The engine's skipper has checked the framing of the request; its
     * values are judged here, and one that does not parse (a restriction
     * the skipper could not weigh) fails this ROP with ecInvalidParam, not
     * the request: the ROP's bytes are all taken first. */
    mh_rd rd = *rop->rd;
    rop->rd->p = rop->rd->end;
    uint8_t mflags = mh_rd_u8(&rd);
    uint16_t count = mh_rd_u16(&rd);
    int malformed = !mh_rd_need(&rd, (size_t)count * 3);
    rule_change *ch = apr_pcalloc(cx->pool, ((size_t)count + 1) * sizeof(*ch));
    for (uint16_t i = 0; i < count && !malformed; i++) {
        ch[i].flags = mh_rd_u8(&rd);
        ch[i].n = mh_rd_u16(&rd);
        if (!mh_rd_need(&rd, (size_t)ch[i].n * 5)) {
            malformed = 1;
            break;
        }
        ch[i].vals = apr_pcalloc(cx->pool, ((size_t)ch[i].n + 1) * sizeof(mh_propval));
        for (uint16_t j = 0; j < ch[i].n && !malformed; j++)
            if (mh_rd_tagged_propval(&rd, cx->cp, cx->pool, &ch[i].vals[j]) != 0)
                malformed = 1;
    }
    if (rd.err || rd.p != rd.end)
        malformed = 1;

    mh_object *obj;
    mh_folder *f;
    mh_logon *lg;
    uint32_t ec = mh_rop_folder(cx, rop, &obj, &f, &lg);
    if (ec)
        return ec;
    if (mflags & ~MODIFY_RULES_REPLACE)
        return MAPI_E_INVALID_PARAMETER; /* 3.2.5.2: an x bit set */
    /* rules are the folder owner's (MS-OXCPERM 2.2.7: FolderOwner) */
    if (!(f->rights & FRIGHTS_OWNER))
        return MAPI_E_NO_ACCESS;
    if (malformed) {
        mh_log(MH_LOG_DEBUG, MHLOGNO(01001) "RopModifyRules: a property value does not parse");
        return MAPI_E_INVALID_PARAMETER;
    }
    int replace = (mflags & MODIFY_RULES_REPLACE) != 0;
    uint32_t adds = 0;
    for (uint16_t i = 0; i < count; i++) {
        if ((ec = check_change(cx, &ch[i], replace, i)) != 0)
            return ec;
        adds += ch[i].flags == ROW_ADD;
    }
    if (!rules_supported(cx, 1))
        return MAPI_E_NO_SUPPORT;

    mh_betxn *t;
    if ((ec = mh_rop_txn(cx, lg, MH_TXN_WRITE, &t)) != 0)
        return ec;
    mh_error err;
    mh_err e;
    rule_set s = {NULL, 0, 0};
    mh_proplist *old;
    uint32_t n_old;
    if ((e = mh_be_rules_get(t, f->fid, &old, &n_old, &err)) != MH_OK) {
        ec = mh_err_to_mapi_failed(e);
        goto fail;
    }
    if (!replace)
        for (uint32_t i = 0; i < n_old; i++)
            *rule_append(&s, cx->pool) = old[i];
    mh_id next_id = 0;
    if (adds && (e = mh_be_id_reserve(t, adds, &next_id, &err)) != MH_OK) {
        ec = mh_err_to_mapi_failed(e);
        goto fail;
    }
    for (uint16_t i = 0; i < count; i++) {
        rule_change *c = &ch[i];
        mh_proplist *r;
        switch (c->flags) {
        case ROW_ADD: {
            r = rule_append(&s, cx->pool);
            mh_propval v = mh_pv_i8(PR_RULE_ID, (int64_t)mh_id_to_wire(next_id++,
                                                                       MH_REPLID_LOCAL));
            mh_proplist_set(cx->pool, r, &v);
            for (uint16_t j = 0; j < c->n; j++)
                mh_proplist_set(cx->pool, r, &c->vals[j]);
            if (!mh_proplist_find(r, PR_RULE_SEQUENCE)) {
                v = mh_pv_long(PR_RULE_SEQUENCE, next_sequence(&s));
                mh_proplist_set(cx->pool, r, &v);
            }
            if (!mh_proplist_find(r, PR_RULE_STATE)) {
                v = mh_pv_long(PR_RULE_STATE, RULE_STATE_DEFAULT);
                mh_proplist_set(cx->pool, r, &v);
            }
            if (!mh_proplist_find(r, PR_RULE_LEVEL)) {
                v = mh_pv_long(PR_RULE_LEVEL, 0);
                mh_proplist_set(cx->pool, r, &v);
            }
            break;
        }
        case ROW_MODIFY:
            if (!(r = rule_find(&s, c->id))) {
                ec = MAPI_E_NOT_FOUND;
                goto fail;
            }
            /* the list may come from the backend's result: edit a copy */
            {
                mh_proplist copy;
                mh_proplist_copy(cx->pool, &copy, r);
                *r = copy;
            }
            for (uint16_t j = 0; j < c->n; j++)
                if (c->vals[j].tag != PR_RULE_ID)
                    mh_proplist_set(cx->pool, r, &c->vals[j]);
            break;
        default: /* ROW_REMOVE */
            if (!(r = rule_find(&s, c->id))) {
                ec = MAPI_E_NOT_FOUND;
                goto fail;
            }
            memmove(r, r + 1, (size_t)(&s.rules[s.n] - (r + 1)) * sizeof(*r));
            s.n--;
            break;
        }
    }
    mh_wr w;
    mh_wr_init(&w, cx->pool, 1024);
    for (uint32_t i = 0; i < s.n && w.len <= RULES_MAX_BYTES; i++)
        mh_proplist_encode(&w, &s.rules[i]);
    if (w.len > RULES_MAX_BYTES) {
        mh_log(MH_LOG_INFO, MHLOGNO(01002) "RopModifyRules: the rules of a folder would take "
               "more than %u bytes; nothing changed", RULES_MAX_BYTES);
        ec = MAPI_E_NOT_ENOUGH_MEMORY; /* 3.2.5.2: ecNotEnoughMemory */
        goto fail;
    }
    if ((e = mh_be_rules_set(t, f->fid, s.rules, s.n, &err)) != MH_OK) {
        ec = mh_err_to_mapi_failed(e);
        goto fail;
    }
    return mh_rop_commit(cx, t);
fail:
    mh_be_abort(t);
    return ec;
}

const mh_rop_entry mh_rops_oxorule[] = {
    {ROP_GET_RULES_TABLE, rop_get_rules_table},
    {ROP_MODIFY_RULES, rop_modify_rules},
    {0, NULL},
};
