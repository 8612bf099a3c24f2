/*
 * mh_oxcperm.c - folder permissions (MS-OXCPERM; MS-OXCROPS 2.2.10):
 * RopGetPermissionsTable and RopModifyPermissions.  The permission rows
 * live in the backend (permissions_get/permissions_set), one per member: a
 * directory entry, Default (0) or Anonymous (-1).  Who may do what with
 * them is mh_folder_rights (mh_oxcfold.c).
 */
#include "mh_rop.h"

#include <string.h>
#include <apr_strings.h>

#define ROP_MODIFY_PERMISSIONS 0x40
#define ROP_GET_PERMISSIONS_TABLE 0x3E

/* TableFlags / ModifyFlags (MS-OXCPERM 2.2.1.1, 2.2.2.1) */
#define PERM_INCLUDE_FREEBUSY 0x02
#define PERM_REPLACE_ROWS 0x01

/* PermissionDataFlags (MS-OXCROPS 2.2.10.1.1.1) */
#define ROW_ADD 0x01
#define ROW_MODIFY 0x02
#define ROW_REMOVE 0x04

#define FREEBUSY_BITS (FRIGHTS_FREEBUSY_SIMPLE | FRIGHTS_FREEBUSY_DETAILED)
/* Every bit MS-OXCPERM 2.2.7 defines. */
#define RIGHTS_KNOWN 0x00001FFBu


/* RopGetPermissionsTable (MS-OXCROPS 2.2.10.2, MS-OXCPERM 3.2.5.1) */
static uint32_t rop_get_permissions_table(mh_ropctx *cx, mh_rop *rop)
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
    if (flags & ~PERM_INCLUDE_FREEBUSY)
        return MAPI_E_INVALID_PARAMETER; /* bits the client MUST NOT set */
    if (!(f->rights & FRIGHTS_VISIBLE))
        return MAPI_E_NO_ACCESS;
    uint32_t rows;
    return mh_table_open(cx, rop, obj, MH_TBL_PERMISSIONS, flags, &rows);
}

/* The value of a tag among a row's values (by tag, exactly). */
static const mh_propval *row_value(const mh_propval *v, uint16_t n, mh_proptag tag)
{
    for (uint16_t i = 0; i < n; i++)
        if (v[i].tag == tag)
            return &v[i];
    return NULL;
}

/*
 * The member an AddRow names by PR_ENTRYID: an address book entry ID
 * (MS-OXCDATA 2.2.5.2: Flags, ProviderUID, Version 1, Type, X500DN) of a
 * directory entry, found by its legacy DN.  An empty entry ID is the
 * Default member.
 */
static uint32_t member_of_entryid(mh_betxn *t, const mh_bin *eid, apr_pool_t *pool,
                                  int64_t *member_r)
{
    if (eid->len == 0) {
        *member_r = MH_MEMBER_DEFAULT;
        return 0;
    }
    if (eid->len < 28 + 2 || mh_get_u32(eid->data) != 0 ||
        memcmp(eid->data + 4, mh_ab_provider_uid, 16) != 0 || mh_get_u32(eid->data + 20) != 1)
        return MAPI_E_INVALID_ENTRYID;
    const char *dn = (const char *)eid->data + 28;
    size_t max = eid->len - 28;
    size_t len = strnlen(dn, max);
    if (len == 0 || len == max)
        return MAPI_E_INVALID_ENTRYID; /* empty or without its NUL */
    mh_dir_entry ent;
    mh_error err;
    mh_err e = mh_be_dir_find(t, MH_DIR_BY_LEGACY_DN, apr_pstrndup(pool, dn, len), &ent, &err);
    if (e != MH_OK)
        return e == MH_E_NOT_FOUND ? MAPI_E_NOT_FOUND : mh_err_to_mapi_failed(e);
    *member_r = ent.id;
    return 0;
}

typedef struct perm_table {
    mh_permission *rows;
    uint32_t n, cap;
} perm_table;

static mh_permission *perm_find(perm_table *p, int64_t member)
{
    for (uint32_t i = 0; i < p->n; i++)
        if (p->rows[i].member == member)
            return &p->rows[i];
    return NULL;
}

/* Sets a member's rights.  Without IncludeFreeBusy the free/busy bits a
 * member had stay as they were (MS-OXCPERM 2.2.2.1). */
static void perm_put(perm_table *p, apr_pool_t *pool, int64_t member, uint32_t rights,
                     int freebusy)
{
    mh_permission *r = perm_find(p, member);
    uint32_t old = r ? r->rights : 0;
    if (!freebusy)
        rights = (rights & ~(uint32_t)FREEBUSY_BITS) | (old & FREEBUSY_BITS);
    if (r) {
        r->rights = rights;
        return;
    }
    if (p->n == p->cap) {
        uint32_t cap = p->cap ? p->cap * 2 : 8;
        mh_permission *nr = apr_palloc(pool, cap * sizeof(*nr));
        if (p->n)
            memcpy(nr, p->rows, p->n * sizeof(*nr));
        p->rows = nr;
        p->cap = cap;
    }
    p->rows[p->n].member = member;
    p->rows[p->n].rights = rights;
    p->n++;
}

static void perm_remove(perm_table *p, int64_t member)
{
    for (uint32_t i = 0; i < p->n; i++)
        if (p->rows[i].member == member) {
            p->rows[i] = p->rows[--p->n];
            return;
        }
}

/* One PermissionData of the request, parsed. */
typedef struct perm_change {
    uint8_t flags;
    uint16_t n;
    mh_propval *vals;
} perm_change;

/* RopModifyPermissions (MS-OXCROPS 2.2.10.1, MS-OXCPERM 3.2.5.2) */
static uint32_t rop_modify_permissions(mh_ropctx *cx, mh_rop *rop)
{
    mh_rd *rd = rop->rd;
    uint8_t mflags = mh_rd_u8(rd);
    uint16_t count = mh_rd_u16(rd);
    /* each PermissionData takes 3 bytes at least */
    if (!mh_rd_need(rd, (size_t)count * 3))
        return MAPI_E_INVALID_PARAMETER;
    perm_change *ch = apr_palloc(cx->pool, ((size_t)count + 1) * sizeof(*ch));
    for (uint16_t i = 0; i < count; i++) {
        ch[i].flags = mh_rd_u8(rd);
        ch[i].n = mh_rd_u16(rd);
        /* a TaggedPropertyValue takes 5 bytes at least */
        if (!mh_rd_need(rd, (size_t)ch[i].n * 5))
            return MAPI_E_INVALID_PARAMETER;
        ch[i].vals = apr_palloc(cx->pool, ((size_t)ch[i].n + 1) * sizeof(mh_propval));
        for (uint16_t j = 0; j < ch[i].n; j++)
            if (mh_rd_tagged_propval(rd, cx->cp, cx->pool, &ch[i].vals[j]) != 0)
                return MAPI_E_INVALID_PARAMETER;
    }
    if (rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_object *obj;
    mh_folder *f;
    mh_logon *lg;
    uint32_t ec = mh_rop_folder(cx, rop, &obj, &f, &lg);
    if (ec)
        return ec;
    if (mflags & ~(PERM_REPLACE_ROWS | PERM_INCLUDE_FREEBUSY))
        return MAPI_E_INVALID_PARAMETER; /* flags the client MUST NOT set */
    if (!(f->rights & FRIGHTS_OWNER))
        return MAPI_E_NO_ACCESS;
    int freebusy = (mflags & PERM_INCLUDE_FREEBUSY) != 0;
    mh_betxn *t;
    if ((ec = mh_rop_txn(cx, lg, MH_TXN_WRITE, &t)) != 0)
        return ec;
    mh_error err;
    mh_err e;
    perm_table p = {NULL, 0, 0};
    mh_permission *rows;
    uint32_t n;
    if ((e = mh_be_permissions_get(t, f->fid, &rows, &n, &err)) != MH_OK) {
        ec = mh_err_to_mapi_failed(e);
        goto fail;
    }
    for (uint32_t i = 0; i < n; i++)
        /* ReplaceRows: every entry goes but Default's */
        if (!(mflags & PERM_REPLACE_ROWS) || rows[i].member == MH_MEMBER_DEFAULT)
            perm_put(&p, cx->pool, rows[i].member, rows[i].rights, 1);
    for (uint16_t i = 0; i < count; i++) {
        const mh_propval *id_v = row_value(ch[i].vals, ch[i].n, PR_MEMBER_ID);
        const mh_propval *eid_v = row_value(ch[i].vals, ch[i].n, PR_ENTRYID);
        const mh_propval *rights_v = row_value(ch[i].vals, ch[i].n, PR_MEMBER_RIGHTS);
        int64_t member;
        if (rights_v && ((uint32_t)rights_v->v.i32 & ~RIGHTS_KNOWN)) {
            ec = MAPI_E_INVALID_PARAMETER;
            goto fail;
        }
        if ((mflags & PERM_REPLACE_ROWS) && ch[i].flags != ROW_ADD) {
            ec = MAPI_E_INVALID_PARAMETER; /* MS-OXCPERM 2.2.2.1 */
            goto fail;
        }
        switch (ch[i].flags) {
        case ROW_ADD:
            if (!rights_v || (!eid_v && !id_v)) {
                ec = MAPI_E_INVALID_PARAMETER;
                goto fail;
            }
            if (eid_v) {
                if ((ec = member_of_entryid(t, &eid_v->v.bin, cx->pool, &member)) != 0)
                    goto fail;
            } else {
                member = id_v->v.i64;
            }
            perm_put(&p, cx->pool, member, (uint32_t)rights_v->v.i32, freebusy);
            break;
        case ROW_MODIFY:
            if (!id_v || !rights_v) {
                ec = MAPI_E_INVALID_PARAMETER;
                goto fail;
            }
            member = id_v->v.i64;
            /* Default and Anonymous always exist, with no rights at first */
            if (!perm_find(&p, member) && member != MH_MEMBER_DEFAULT &&
                member != MH_MEMBER_ANONYMOUS) {
                ec = MAPI_E_NOT_FOUND;
                goto fail;
            }
            perm_put(&p, cx->pool, member, (uint32_t)rights_v->v.i32, freebusy);
            break;
        case ROW_REMOVE:
            if (!id_v) {
                ec = MAPI_E_INVALID_PARAMETER;
                goto fail;
            }
            member = id_v->v.i64;
            if (!perm_find(&p, member) && member != MH_MEMBER_DEFAULT &&
                member != MH_MEMBER_ANONYMOUS) {
                ec = MAPI_E_NOT_FOUND;
                goto fail;
            }
            perm_remove(&p, member);
            break;
        default:
            ec = MAPI_E_INVALID_PARAMETER;
            goto fail;
        }
    }
    if ((e = mh_be_permissions_set(t, f->fid, p.rows, p.n, &err)) != MH_OK) {
        ec = mh_err_to_mapi_failed(e);
        goto fail;
    }
    return mh_rop_commit(cx, t);
fail:
    mh_be_abort(t);
    return ec;
}

const mh_rop_entry mh_rops_oxcperm[] = {
    {ROP_MODIFY_PERMISSIONS, rop_modify_permissions},
    {ROP_GET_PERMISSIONS_TABLE, rop_get_permissions_table},
    {0, NULL},
};
