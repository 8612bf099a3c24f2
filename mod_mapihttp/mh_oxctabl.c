/*
 * mh_oxctabl.c - table objects and the table ROPs (MS-OXCTABL;
 * MS-OXCROPS 2.2.5): hierarchy, contents, attachment, permission and rule
 * tables.
 *
 * A table object keeps only its parameters (kind, parent, flags, columns,
 * sort order, restriction bytes) and its positions (cursor, bookmarks,
 * collapse state) in the session state.  Each ROP that needs rows rebuilds
 * the view from the backend (mh_tview), so a table always shows the store
 * as it is now, in whichever httpd process the request lands.
 *
 * Contents tables load only what a page needs when they can: without a
 * restriction or categories, and sorted by nothing or by one column the
 * backend indexes, the row count is the folder's, message IDs come in
 * order from contents_list only as far into the table as a ROP reaches (a
 * page from the top walks one page of the index), and only the rows a ROP
 * returns are read.  Otherwise the rows are read with
 * the values sorting and filtering need, sorted here, and completed for
 * the rows a ROP returns.
 */
#include "mh_rop.h"

#include <string.h>

#include "mh_log.h"
#include "mh_props.h"
#include "mh_tview.h"

/* TableFlags of RopGetHierarchyTable/RopGetContentsTable (MS-OXCFOLD
 * 2.2.1.13, 2.2.1.14) and RopGetPermissionsTable (MS-OXCPERM 2.2.2) */
#define TF_ASSOCIATED 0x02
#define TF_DEPTH 0x04
#define TF_SOFT_DELETES 0x20
#define TF_INCLUDE_FREEBUSY 0x02 /* permission tables */
#define TF_RULES_UNICODE 0x40    /* rules tables (MS-OXORULE 2.2.2.1) */

/* TableStatus (MS-OXCTABL 2.2.2.1.3) */
#define TBLSTAT_COMPLETE 0x00

/* Values longer than this come back as MAPI_E_NOT_ENOUGH_MEMORY in a row,
 * as Exchange answers for large columns (MS-OXCTABL 2.2.2.1.2... rows). */
#define ROW_LARGE 8192

#define MAX_BOOKMARKS 1024
#define MAX_COLUMNS 4096

typedef struct tbl_bookmark {
    uint32_t id;
    mh_tv_anchor a;
} tbl_bookmark;

typedef struct mh_table {
    uint8_t kind;                /* MH_TBL_* */
    uint32_t flags;              /* TableFlags */
    uint32_t parent;             /* the folder or message object's handle */
    mh_id fid;                   /* the folder (not for attachment tables) */
    uint16_t n_cols;             /* 0: RopSetColumns not sent yet */
    mh_proptag *cols;
    mh_sort_set sort;            /* n 0: none */
    uint32_t res_cp;             /* code page the restriction bytes are in */
    uint32_t res_len;            /* 0: none */
    unsigned char *res;          /* the client's Restriction bytes */
    mh_tv_anchor cursor;
    uint32_t next_bm;
    uint32_t n_bm;
    tbl_bookmark *bm;
    uint32_t n_tog;
    mh_tv_toggle *tog;
} mh_table;

/* --------------------------------------------------------- state codec */

static void tbl_encode(mh_wr *wr, const void *data)
{
    const mh_table *t = data;
    mh_wr_u8(wr, 1); /* version */
    mh_wr_u8(wr, t->kind);
    mh_wr_u32(wr, t->flags);
    mh_wr_u32(wr, t->parent);
    mh_wr_u64(wr, t->fid);
    mh_wr_u16(wr, t->n_cols);
    for (uint16_t i = 0; i < t->n_cols; i++)
        mh_wr_u32(wr, t->cols[i]);
    mh_wr_u16(wr, t->sort.n);
    mh_wr_u16(wr, t->sort.categorized);
    mh_wr_u16(wr, t->sort.expanded);
    for (uint16_t i = 0; i < t->sort.n; i++) {
        mh_wr_u32(wr, t->sort.orders[i].tag);
        mh_wr_u8(wr, t->sort.orders[i].order);
    }
    mh_wr_u32(wr, t->res_cp);
    mh_wr_u32(wr, t->res_len);
    mh_wr_bytes(wr, t->res, t->res_len);
    mh_wr_u64(wr, t->cursor.id);
    mh_wr_u32(wr, t->cursor.num);
    mh_wr_u32(wr, t->cursor.idx);
    mh_wr_u8(wr, t->cursor.at_row);
    mh_wr_u32(wr, t->next_bm);
    mh_wr_u32(wr, t->n_bm);
    for (uint32_t i = 0; i < t->n_bm; i++) {
        mh_wr_u32(wr, t->bm[i].id);
        mh_wr_u64(wr, t->bm[i].a.id);
        mh_wr_u32(wr, t->bm[i].a.num);
        mh_wr_u32(wr, t->bm[i].a.idx);
        mh_wr_u8(wr, t->bm[i].a.at_row);
    }
    mh_wr_u32(wr, t->n_tog);
    for (uint32_t i = 0; i < t->n_tog; i++) {
        mh_wr_u64(wr, t->tog[i].id);
        mh_wr_u8(wr, t->tog[i].expanded);
    }
}

static int tbl_decode(mh_rd *rd, apr_pool_t *pool, void **data_r)
{
    mh_table *t = apr_pcalloc(pool, sizeof(*t));
    if (mh_rd_u8(rd) != 1)
        return -1;
    t->kind = mh_rd_u8(rd);
    t->flags = mh_rd_u32(rd);
    t->parent = mh_rd_u32(rd);
    t->fid = mh_rd_u64(rd);
    t->n_cols = mh_rd_u16(rd);
    if (rd->err || t->n_cols > mh_rd_left(rd) / 4)
        return -1;
    t->cols = apr_palloc(pool, (t->n_cols + 1u) * sizeof(*t->cols));
    for (uint16_t i = 0; i < t->n_cols; i++)
        t->cols[i] = mh_rd_u32(rd);
    t->sort.n = mh_rd_u16(rd);
    t->sort.categorized = mh_rd_u16(rd);
    t->sort.expanded = mh_rd_u16(rd);
    if (rd->err || t->sort.n > mh_rd_left(rd) / 5)
        return -1;
    t->sort.orders = apr_palloc(pool, (t->sort.n + 1u) * sizeof(*t->sort.orders));
    for (uint16_t i = 0; i < t->sort.n; i++) {
        t->sort.orders[i].tag = mh_rd_u32(rd);
        t->sort.orders[i].order = mh_rd_u8(rd);
    }
    t->res_cp = mh_rd_u32(rd);
    t->res_len = mh_rd_u32(rd);
    if (rd->err || t->res_len > mh_rd_left(rd))
        return -1;
    t->res = t->res_len ? apr_pmemdup(pool, mh_rd_bytes(rd, t->res_len), t->res_len) : NULL;
    t->cursor.id = mh_rd_u64(rd);
    t->cursor.num = mh_rd_u32(rd);
    t->cursor.idx = mh_rd_u32(rd);
    t->cursor.at_row = mh_rd_u8(rd);
    t->next_bm = mh_rd_u32(rd);
    t->n_bm = mh_rd_u32(rd);
    if (rd->err || t->n_bm > mh_rd_left(rd) / 21)
        return -1;
    t->bm = apr_palloc(pool, (t->n_bm + 1) * sizeof(*t->bm));
    for (uint32_t i = 0; i < t->n_bm; i++) {
        t->bm[i].id = mh_rd_u32(rd);
        t->bm[i].a.id = mh_rd_u64(rd);
        t->bm[i].a.num = mh_rd_u32(rd);
        t->bm[i].a.idx = mh_rd_u32(rd);
        t->bm[i].a.at_row = mh_rd_u8(rd);
    }
    t->n_tog = mh_rd_u32(rd);
    if (rd->err || t->n_tog > mh_rd_left(rd) / 9)
        return -1;
    t->tog = apr_palloc(pool, (t->n_tog + 1) * sizeof(*t->tog));
    for (uint32_t i = 0; i < t->n_tog; i++) {
        t->tog[i].id = mh_rd_u64(rd);
        t->tog[i].expanded = mh_rd_u8(rd);
    }
    if (rd->err || t->sort.categorized > t->sort.n || t->sort.expanded > t->sort.categorized)
        return -1;
    *data_r = t;
    return 0;
}

const mh_objclass mh_table_class = {
    .name = "table", .encode = tbl_encode, .decode = tbl_decode, .props = NULL};

/* The table state changes live in the object's pool (the session's). */
static apr_pool_t *opool(mh_object *obj)
{
    return obj->pool;
}

/* ------------------------------------------------------------- loading */

/* What one ROP works on: the view and what built it. */
typedef struct tctx {
    mh_ropctx *cx;
    mh_object *obj;
    mh_table *t;
    const mh_logon *lg;
    mh_betxn *txn;
    mh_tview *v;
    mh_proptag *want;            /* values to read for each returned row */
    uint32_t n_want;
    uint32_t err;                /* a failure inside ensure or fetch */
    /* contents read from the backend's index on demand (fetch_row) */
    mh_sort lsort;
    const mh_sort *lsortp;       /* NULL: by ID */
    mh_cursor lnext;             /* where the listing goes on */
    int ldone;                   /* listed to the end */
    uint64_t *lids;              /* wire IDs listed so far, in order */
    mh_tv_row **lrows;           /* their rows, made when fetched */
    uint32_t n_listed, cap_listed;
    mh_tv_row gone;              /* a row the listing did not reach */
    /* how message rows are read, for the tags read last */
    const mh_message_plan *plan;
    const mh_proptag *plan_tags;
    uint32_t plan_n;
    /* write_row's columns as written and room for a row's values */
    const mh_proptag *wcols;
    const mh_propval **row_vals;
    uint16_t n_wcols;
    /* write_rows on an index-order contents table: a row's values are
     * read into rowpool, cleared for the next row (they are written out
     * and not looked at again), so that a page reuses the same memory */
    int fetched;                 /* rows come from fetch_row */
    int row_scratch;
    apr_pool_t *rowpool;
    mh_tv_row *rowpool_row;      /* the row whose values are in rowpool */
} tctx;

/* QueryRows makes room for this much of its response at once (a page of a
 * list view is 5-20 KB); more grows as any writer does. */
#define QUERY_ROWS_PRESIZE (32u * 1024)

static void tags_add(apr_pool_t *pool, mh_proptag **tags, uint32_t *n, uint32_t *cap,
                     mh_proptag tag)
{
    uint16_t type = MH_TAG_TYPE(tag);
    if (type & MH_MV_INSTANCE)
        type &= (uint16_t)~MH_MV_INSTANCE;
    if (type == PT_STRING8)
        type = PT_UNICODE;
    else if (type == PT_MV_STRING8)
        type = PT_MV_UNICODE;
    tag = MH_TAG_RETYPE(tag, type);
    for (uint32_t i = 0; i < *n; i++)
        if ((*tags)[i] == tag)
            return;
    if (*n == *cap) {
        uint32_t c = *cap ? *cap * 2 : 16;
        mh_proptag *nt = apr_palloc(pool, c * sizeof(*nt));
        if (*n)
            memcpy(nt, *tags, *n * sizeof(*nt));
        *tags = nt;
        *cap = c;
    }
    (*tags)[(*n)++] = tag;
}

/* The tags a restriction reads. */
static void res_tags(apr_pool_t *pool, const mh_restriction *r, mh_proptag **tags, uint32_t *n,
                     uint32_t *cap, int depth)
{
    if (!r || depth > MH_RES_MAX_DEPTH)
        return;
    switch (r->type) {
    case MH_RES_AND: case MH_RES_OR:
        for (uint32_t i = 0; i < r->u.andor.n; i++)
            res_tags(pool, &r->u.andor.sub[i], tags, n, cap, depth + 1);
        break;
    case MH_RES_NOT: res_tags(pool, r->u.not_.sub, tags, n, cap, depth + 1); break;
    case MH_RES_CONTENT: tags_add(pool, tags, n, cap, r->u.content.tag); break;
    case MH_RES_PROPERTY: tags_add(pool, tags, n, cap, r->u.prop.tag); break;
    case MH_RES_COMPAREPROPS:
        tags_add(pool, tags, n, cap, r->u.compare.tag1);
        tags_add(pool, tags, n, cap, r->u.compare.tag2);
        break;
    case MH_RES_BITMASK: tags_add(pool, tags, n, cap, r->u.bitmask.tag); break;
    case MH_RES_SIZE: tags_add(pool, tags, n, cap, r->u.size.tag); break;
    case MH_RES_EXIST: tags_add(pool, tags, n, cap, r->u.exist.tag); break;
    case MH_RES_COMMENT: res_tags(pool, r->u.comment.sub, tags, n, cap, depth + 1); break;
    case MH_RES_COUNT: res_tags(pool, r->u.count.sub, tags, n, cap, depth + 1); break;
    default: break;
    }
}

static uint32_t parse_res(apr_pool_t *pool, const unsigned char *b, uint32_t len, uint32_t cp,
                          mh_restriction **r_r)
{
    mh_rd rd;
    *r_r = NULL;
    if (!len)
        return 0;
    mh_rd_init(&rd, b, len);
    if (mh_rd_restriction(&rd, 2, cp, pool, r_r) != 0)
        return MAPI_E_INVALID_PARAMETER;
    mh_rd_expect_end(&rd);
    return rd.err ? MAPI_E_INVALID_PARAMETER : 0;
}

/* Forgets the values of the row read into rowpool (it reads them again if
 * asked) and clears the pool. */
static void rowpool_reset(tctx *c)
{
    if (c->rowpool_row) {
        c->rowpool_row->loaded = 0;
        c->rowpool_row->props.n = 0;
        c->rowpool_row->props.v = NULL;
        c->rowpool_row = NULL;
    }
    if (c->rowpool)
        apr_pool_clear(c->rowpool);
}

/* Reads a message's or folder's values for `tags` into a row (into
 * rowpool while write_rows asks for it: see tctx). */
static uint32_t read_row(tctx *c, mh_tv_row *row, const mh_proptag *tags, uint32_t n)
{
    uint16_t replid;
    mh_id id = mh_id_from_wire(row->id, &replid);
    mh_proplist pl = {0, NULL};
    uint32_t ec;
    apr_pool_t *pool = c->cx->pool;
    if (c->row_scratch && row->props.n == 0 && c->t->kind != MH_TBL_HIERARCHY) {
        if (!c->rowpool)
            apr_pool_create(&c->rowpool, c->cx->pool);
        rowpool_reset(c);
        c->rowpool_row = row;
        pool = c->rowpool;
    }
    if (c->t->kind == MH_TBL_HIERARCHY) {
        ec = mh_folder_props(c->cx, c->lg, c->txn, id, tags, n, ROW_LARGE, pool, &pl);
    } else {
        if (!c->plan || c->plan_tags != tags || c->plan_n != n) {
            c->plan = mh_message_plan_make(c->cx->pool, tags, n);
            c->plan_tags = tags;
            c->plan_n = n;
        }
        ec = mh_message_props_planned(c->cx, c->lg, c->txn, id, c->plan, ROW_LARGE, pool, &pl);
    }
    if (ec)
        return ec;
    if (row->props.n == 0) {
        row->props = pl; /* the common case: nothing to merge with */
        return 0;
    }
    for (uint32_t i = 0; i < pl.n; i++)
        mh_proplist_set(c->cx->pool, &row->props, &pl.v[i]);
    return 0;
}

static int ensure_row(void *baton, mh_tv_row *row)
{
    tctx *c = baton;
    row->loaded = 1;
    if (!c->n_want)
        return 0;
    uint32_t ec = read_row(c, row, c->want, c->n_want);
    if (ec) {
        /* a message deleted since the listing shows as a row without
         * values rather than failing the whole ROP */
        if (ec != MAPI_E_NOT_FOUND)
            c->err = ec;
        return -1;
    }
    return 0;
}

static uint32_t be_fail(mh_err e)
{
    return mh_err_to_mapi(e);
}

/* The folders below `fid` (all levels with Depth), each with PR_DEPTH. */
static uint32_t hierarchy_rows(tctx *c, mh_id fid, uint32_t depth, int deep, mh_tv_row **rows,
                               uint32_t *n, uint32_t *cap)
{
    mh_error err;
    mh_id *kids;
    uint32_t nk;
    mh_err e = mh_be_folder_children(c->txn, fid, &kids, &nk, &err);
    if (e != MH_OK)
        return be_fail(e);
    for (uint32_t i = 0; i < nk; i++) {
        if (!c->lg->own) {
            /* only folders the user may see (MS-OXCPERM 2.2.7 Visible) */
            uint32_t rights = 0;
            if (mh_folder_rights(c->cx, c->lg, c->txn, kids[i], &rights) != 0 ||
                !(rights & (FRIGHTS_VISIBLE | FRIGHTS_OWNER)))
                continue;
        }
        if (*n == *cap) {
            uint32_t nc = *cap ? *cap * 2 : 32;
            mh_tv_row *nr = apr_pcalloc(c->cx->pool, nc * sizeof(*nr));
            if (*n)
                memcpy(nr, *rows, *n * sizeof(*nr));
            *rows = nr;
            *cap = nc;
        }
        mh_tv_row *r = &(*rows)[(*n)++];
        memset(r, 0, sizeof(*r));
        r->id = mh_id_to_wire(kids[i], MH_REPLID_LOCAL);
        mh_propval d = mh_pv_long(PR_DEPTH, (int32_t)depth);
        mh_proplist_set(c->cx->pool, &r->props, &d);
        if (deep && depth < 1000) {
            uint32_t ec = hierarchy_rows(c, kids[i], depth + 1, deep, rows, n, cap);
            if (ec)
                return ec;
        }
    }
    return 0;
}

/* The Address Book EntryID of a directory entry. */
static mh_bin ab_entryid(apr_pool_t *pool, const mh_dir_entry *e)
{
    mh_bin b;
    mh_ab_entryid(e->legacy_dn, e->type == MH_DIR_GROUP ? MH_AB_DT_DISTLIST : MH_AB_DT_MAILUSER,
                  pool, &b);
    return b;
}

/* The permission table (MS-OXCPERM 2.2.5): Default and Anonymous are
 * always there, with no rights when the folder has no row for them. */
static uint32_t permission_rows(tctx *c, mh_tv_row **rows_r, uint32_t *n_r)
{
    mh_error err;
    mh_permission *p;
    uint32_t np;
    apr_pool_t *pool = c->cx->pool;
    mh_err e = mh_be_permissions_get(c->txn, c->t->fid, &p, &np, &err);
    if (e != MH_OK)
        return be_fail(e);
    mh_tv_row *rows = apr_pcalloc(pool, (np + 2) * sizeof(*rows));
    uint32_t n = 0;
    int64_t fixed[2] = {MH_MEMBER_DEFAULT, MH_MEMBER_ANONYMOUS};
    for (int f = 0; f < 2; f++) {
        uint32_t rights = 0;
        for (uint32_t i = 0; i < np; i++)
            if (p[i].member == fixed[f])
                rights = p[i].rights;
        mh_tv_row *r = &rows[n++];
        r->id = (uint64_t)fixed[f];
        r->loaded = 1;
        mh_propval v[4] = {mh_pv_i8(PR_MEMBER_ID, fixed[f]),
                           mh_pv_str(PR_MEMBER_NAME, f == 0 ? "" : "Anonymous"),
                           mh_pv_long(PR_MEMBER_RIGHTS, (int32_t)rights),
                           mh_pv_bin(PR_ENTRYID, "", 0)};
        for (int k = 0; k < 4; k++)
            mh_proplist_set(pool, &r->props, &v[k]);
    }
    for (uint32_t i = 0; i < np; i++) {
        if (p[i].member == MH_MEMBER_DEFAULT || p[i].member == MH_MEMBER_ANONYMOUS)
            continue;
        mh_dir_entry de;
        memset(&de, 0, sizeof(de));
        if (p[i].member <= 0 || p[i].member > UINT32_MAX ||
            mh_be_dir_get(c->txn, (uint32_t)p[i].member, &de, &err) != MH_OK) {
            /* a member deleted from the directory keeps its row */
            de.display_name = "";
            de.legacy_dn = "";
        }
        mh_tv_row *r = &rows[n++];
        r->id = (uint64_t)p[i].member;
        r->loaded = 1;
        mh_propval v[4] = {mh_pv_i8(PR_MEMBER_ID, p[i].member),
                           mh_pv_str(PR_MEMBER_NAME, de.display_name ? de.display_name : ""),
                           mh_pv_long(PR_MEMBER_RIGHTS, (int32_t)p[i].rights),
                           {0}};
        mh_bin eid = ab_entryid(pool, &de);
        v[3] = mh_pv_bin(PR_ENTRYID, eid.data, eid.len);
        for (int k = 0; k < 4; k++)
            mh_proplist_set(pool, &r->props, &v[k]);
    }
    /* without IncludeFreeBusy the free/busy bits are not shown (MS-OXCPERM
     * 2.2.2) */
    if (!(c->t->flags & TF_INCLUDE_FREEBUSY))
        for (uint32_t i = 0; i < n; i++) {
            mh_propval *rv = (mh_propval *)mh_proplist_find(&rows[i].props, PR_MEMBER_RIGHTS);
            if (rv)
                rv->v.i32 &= ~(int32_t)(FRIGHTS_FREEBUSY_SIMPLE | FRIGHTS_FREEBUSY_DETAILED);
        }
    *rows_r = rows;
    *n_r = n;
    return 0;
}

static uint32_t rule_rows(tctx *c, mh_tv_row **rows_r, uint32_t *n_r)
{
    mh_error err;
    mh_proplist *rules;
    uint32_t nr;
    mh_err e = mh_be_rules_get(c->txn, c->t->fid, &rules, &nr, &err);
    if (e == MH_E_NOT_SUPPORTED) {
        nr = 0; /* a backend without rules has an empty rules table */
        rules = NULL;
    } else if (e != MH_OK) {
        return be_fail(e);
    }
    mh_tv_row *rows = apr_pcalloc(c->cx->pool, (nr + 1) * sizeof(*rows));
    for (uint32_t i = 0; i < nr; i++) {
        const mh_propval *id = mh_proplist_find(&rules[i], PR_RULE_ID);
        rows[i].id = id ? (uint64_t)id->v.i64 : i + 1;
        rows[i].loaded = 1;
        rows[i].props = rules[i];
    }
    *rows_r = rows;
    *n_r = nr;
    return 0;
}

/* Lists the messages of the folder, sorted by `sort` (NULL: by ID). */
static uint32_t contents_ids(tctx *c, const mh_sort *sort, mh_tv_row **rows_r, uint32_t *n_r)
{
    mh_error err;
    unsigned lf = (c->t->flags & TF_ASSOCIATED) ? MH_LIST_FAI : 0;
    mh_cursor from, next;
    from.len = 0;
    uint32_t n = 0, cap = 256;
    mh_tv_row *rows = apr_pcalloc(c->cx->pool, cap * sizeof(*rows));
    mh_id ids[512];
    for (;;) {
        uint32_t got = 0;
        mh_err e = mh_be_contents_list(c->txn, c->t->fid, lf, sort, &from, 512, ids, &got, &next,
                                       &err);
        if (e != MH_OK)
            return be_fail(e);
        if (n + got > cap) {
            while (n + got > cap)
                cap *= 2;
            mh_tv_row *nr = apr_pcalloc(c->cx->pool, cap * sizeof(*nr));
            memcpy(nr, rows, n * sizeof(*nr));
            rows = nr;
        }
        for (uint32_t i = 0; i < got; i++)
            rows[n++].id = mh_id_to_wire(ids[i], MH_REPLID_LOCAL);
        if (next.len == 0 || got == 0)
            break;
        from = next;
        if (c->cx->tick)
            c->cx->tick(c->cx->tick_baton);
    }
    *rows_r = rows;
    *n_r = n;
    return 0;
}

/*
 * Row idx of a contents table read in index order: lists IDs from where
 * the listing stopped until idx is reached, in steps that double (64 IDs
 * first: a page from the top costs one short walk of the index).  The
 * values come later, from ensure_row, for the rows a ROP returns.
 */
static mh_tv_row *fetch_row(void *baton, uint32_t idx)
{
    tctx *c = baton;
    unsigned lf = (c->t->flags & TF_ASSOCIATED) ? MH_LIST_FAI : 0;
    while (idx >= c->n_listed && !c->ldone) {
        uint32_t step = c->n_listed < 64 ? 64 : c->n_listed > 8192 ? 8192 : c->n_listed;
        if (c->n_listed + step > c->cap_listed) {
            uint32_t cap = c->n_listed + step;
            uint64_t *ids = apr_palloc(c->cx->pool, cap * sizeof(*ids));
            mh_tv_row **rows = apr_pcalloc(c->cx->pool, cap * sizeof(*rows));
            if (c->n_listed) {
                memcpy(ids, c->lids, c->n_listed * sizeof(*ids));
                memcpy(rows, c->lrows, c->n_listed * sizeof(*rows));
            }
            c->lids = ids;
            c->lrows = rows;
            c->cap_listed = cap;
        }
        mh_id *got_ids = (mh_id *)(c->lids + c->n_listed);
        mh_cursor from = c->lnext;
        uint32_t got = 0;
        mh_error err;
        mh_err e = mh_be_contents_list(c->txn, c->t->fid, lf, c->lsortp, &from, step, got_ids,
                                       &got, &c->lnext, &err);
        if (e != MH_OK) {
            c->err = be_fail(e);
            c->ldone = 1;
            break;
        }
        for (uint32_t i = 0; i < got; i++)
            c->lids[c->n_listed + i] = mh_id_to_wire(got_ids[i], MH_REPLID_LOCAL);
        c->n_listed += got;
        if (c->lnext.len == 0 || got == 0)
            c->ldone = 1;
        if (c->cx->tick && !c->ldone)
            c->cx->tick(c->cx->tick_baton);
    }
    if (idx >= c->n_listed) {
        /* the folder's count promised more rows than its index holds */
        c->gone.loaded = 1;
        return &c->gone;
    }
    if (!c->lrows[idx]) {
        c->lrows[idx] = apr_pcalloc(c->cx->pool, sizeof(mh_tv_row));
        c->lrows[idx]->id = c->lids[idx];
    }
    return c->lrows[idx];
}

static int sort_indexed(const mh_ropctx *cx, const mh_sort_set *s)
{
    if (s->n == 0)
        return 1;
    if (s->n != 1 || s->categorized)
        return 0;
    mh_proptag tag = s->orders[0].tag;
    if (MH_TAG_TYPE(tag) & (MH_MV_INSTANCE | MV_FLAG))
        return 0;
    if (s->orders[0].order & ~MH_TABLE_SORT_DESCEND)
        return 0;
    if (MH_TAG_TYPE(tag) == PT_STRING8)
        tag = MH_TAG_RETYPE(tag, PT_UNICODE);
    return mh_be_sort_indexed(cx->be, tag);
}

/*
 * Builds the view of a table for this ROP.  `extra` (may be NULL) is a
 * restriction whose values the rows must also have (FindRow).
 */
static uint32_t tbl_load(mh_ropctx *cx, mh_object *obj, const mh_restriction *extra, tctx *c)
{
    memset(c, 0, sizeof(*c));
    c->cx = cx;
    c->obj = obj;
    c->t = obj->data;
    mh_table *t = c->t;
    c->lg = mh_obj_logon_data(cx, obj);
    if (!c->lg)
        return MAPI_E_INVALID_OBJECT;
    apr_pool_t *pool = cx->pool;

    mh_restriction *res = NULL;
    uint32_t ec = parse_res(pool, t->res, t->res_len, t->res_cp, &res);
    if (ec)
        return ec;

    /* the values every returned row needs */
    uint32_t cap = 0;
    for (uint16_t i = 0; i < t->n_cols; i++)
        tags_add(pool, &c->want, &c->n_want, &cap, t->cols[i]);
    for (uint16_t i = 0; i < t->sort.n; i++)
        tags_add(pool, &c->want, &c->n_want, &cap, t->sort.orders[i].tag);
    res_tags(pool, res, &c->want, &c->n_want, &cap, 0);
    res_tags(pool, extra, &c->want, &c->n_want, &cap, 0);

    mh_tv_row *rows = NULL;
    uint32_t n = 0;
    mh_tv_params p;
    memset(&p, 0, sizeof(p));
    p.sort = &t->sort;
    p.res = res;
    p.toggles = t->tog;
    p.n_toggles = t->n_tog;
    p.ensure = ensure_row;
    p.baton = c;

    if (t->kind != MH_TBL_ATTACHMENTS) {
        if ((ec = mh_rop_txn(cx, c->lg, MH_TXN_READ, &c->txn)) != 0)
            return ec;
    }
    switch (t->kind) {
    case MH_TBL_HIERARCHY: {
        uint32_t hcap = 0;
        ec = hierarchy_rows(c, t->fid, 0, (t->flags & TF_DEPTH) != 0, &rows, &n, &hcap);
        /* folders are few: read what sorting and filtering need now */
        for (uint32_t i = 0; !ec && i < n; i++) {
            ec = read_row(c, &rows[i], c->want, c->n_want);
            rows[i].loaded = 1;
        }
        break;
    }
    case MH_TBL_CONTENTS:
        if (t->flags & TF_SOFT_DELETES)
            break; /* nothing is kept soft-deleted here: an empty table */
        if (!res && sort_indexed(cx, &t->sort)) {
            /* in the backend's order: the folder's count, and the rows a
             * ROP touches read when it touches them (fetch_row) */
            if (t->sort.n) {
                c->lsort.tag = t->sort.orders[0].tag;
                if (MH_TAG_TYPE(c->lsort.tag) == PT_STRING8)
                    c->lsort.tag = MH_TAG_RETYPE(c->lsort.tag, PT_UNICODE);
                c->lsort.descending = (t->sort.orders[0].order & MH_TABLE_SORT_DESCEND) != 0;
                c->lsortp = &c->lsort;
            }
            mh_folder_info fi;
            mh_error err;
            mh_err e = mh_be_folder_info(c->txn, t->fid, &fi, &err);
            if (e != MH_OK) {
                ec = be_fail(e);
                break;
            }
            n = (t->flags & TF_ASSOCIATED) ? fi.fai_count : fi.content_count;
            p.presorted = 1;
            p.fetch = fetch_row;
            c->fetched = 1;
        } else {
            ec = contents_ids(c, NULL, &rows, &n);
            /* sorting, filtering and categories need these of every row */
            mh_proptag *pre = NULL;
            uint32_t np = 0, pcap = 0;
            for (uint16_t i = 0; i < t->sort.n; i++)
                tags_add(pool, &pre, &np, &pcap, t->sort.orders[i].tag);
            res_tags(pool, res, &pre, &np, &pcap, 0);
            if (t->sort.categorized)
                tags_add(pool, &pre, &np, &pcap, PR_MESSAGE_FLAGS);
            for (uint32_t i = 0; !ec && i < n; i++) {
                uint32_t e2 = np ? read_row(c, &rows[i], pre, np) : 0;
                if (e2 && e2 != MAPI_E_NOT_FOUND)
                    ec = e2;
                const mh_propval *mf = mh_proplist_find(&rows[i].props, PR_MESSAGE_FLAGS);
                rows[i].unread = mf && !(mf->v.i32 & MSGFLAG_READ);
                if (cx->tick && (i & 255) == 255)
                    cx->tick(cx->tick_baton);
            }
        }
        break;
    case MH_TBL_ATTACHMENTS: {
        mh_object *msg = mh_obj_find(cx, t->parent);
        mh_proplist *ar = NULL;
        if (!msg)
            return MAPI_E_OBJECT_DELETED;
        ec = mh_message_attachment_rows(cx, msg, pool, &ar, &n);
        if (ec)
            break;
        rows = apr_pcalloc(pool, (n + 1) * sizeof(*rows));
        for (uint32_t i = 0; i < n; i++) {
            const mh_propval *num = mh_proplist_find(&ar[i], PR_ATTACH_NUM);
            rows[i].id = num ? (uint32_t)num->v.i32 : i;
            rows[i].props = ar[i];
            rows[i].loaded = 1;
        }
        c->n_want = 0;
        break;
    }
    case MH_TBL_PERMISSIONS:
        ec = permission_rows(c, &rows, &n);
        c->n_want = 0;
        break;
    case MH_TBL_RULES:
        ec = rule_rows(c, &rows, &n);
        c->n_want = 0;
        break;
    default:
        ec = MAPI_E_INVALID_OBJECT;
    }
    if (!ec)
        ec = mh_tview_build(pool, rows, n, &p, &c->v);
    if (ec && c->txn) {
        mh_be_abort(c->txn);
        c->txn = NULL;
    }
    return ec;
}

static void tbl_done(tctx *c)
{
    if (c->txn)
        mh_be_abort(c->txn);
    c->txn = NULL;
}

/* A listing failure met while rows were located (fetch_row): the ROP
 * fails before it writes or keeps anything. */
static uint32_t tbl_failed(tctx *c)
{
    uint32_t ec = c->err;
    if (ec)
        tbl_done(c);
    return ec;
}

static uint32_t cursor_pos(tctx *c)
{
    int gone;
    return mh_tview_resolve(c->v, &c->t->cursor, &gone);
}

static void set_cursor(tctx *c, uint32_t pos)
{
    c->t->cursor = mh_tview_anchor(c->v, pos);
    c->cx->changed = 1;
}

/* Keeps the collapse state of the view in the table object. */
static void keep_toggles(tctx *c)
{
    uint32_t n;
    const mh_tv_toggle *tg = mh_tview_toggles(c->v, &n);
    c->t->tog = n ? apr_pmemdup(opool(c->obj), tg, n * sizeof(*tg)) : NULL;
    c->t->n_tog = n;
    c->cx->changed = 1;
}

/* -------------------------------------------------------------- rows */

/* The wire column of a table column: a multivalue instance column holds
 * one value of the base type (MS-OXCTABL 2.2.2.1.2... MvInstance). */
static mh_proptag wire_col(mh_proptag tag)
{
    uint16_t type = MH_TAG_TYPE(tag);
    if (type & MH_MV_INSTANCE)
        type &= (uint16_t)~(MH_MV_INSTANCE | MV_FLAG);
    return MH_TAG_RETYPE(tag, type);
}

/* Writes row `idx` as a PropertyRow of the columns into wr. */
static uint32_t write_row(tctx *c, uint32_t idx, mh_wr *wr)
{
    mh_table *t = c->t;
    /* the columns as written and room for a row's values, made once per
     * ROP (the columns do not change during one) */
    if (!c->wcols || c->n_wcols != t->n_cols) {
        c->row_vals = apr_palloc(c->cx->pool, (t->n_cols + 1u) * sizeof(*c->row_vals));
        mh_proptag *wcols = apr_palloc(c->cx->pool, (t->n_cols + 1u) * sizeof(*wcols));
        for (uint16_t i = 0; i < t->n_cols; i++)
            wcols[i] = wire_col(t->cols[i]);
        c->wcols = wcols;
        c->n_wcols = t->n_cols;
    }
    const mh_propval **vals = c->row_vals;
    const mh_proptag *wcols = c->wcols;
    mh_tview_values(c->v, idx, t->cols, t->n_cols, vals);
    if (c->err)
        return c->err;
    /* a rules table without its Unicode flag gives 8-bit strings where the
     * client cannot name the type: inside PidTagRuleCondition and
     * PidTagRuleActions (MS-OXORULE 2.2.2.1); columns have the types the
     * client named (column_type_valid) */
    unsigned wf = t->kind == MH_TBL_RULES && !(t->flags & TF_RULES_UNICODE) ? MH_WR_STRING8 : 0;
    mh_wr_proprow_ex(wr, wcols, t->n_cols, vals, c->cx->cp, wf);
    return 0;
}

/*
 * Appends rows to `body` while they fit in `room`: from `pos` forward, or
 * backward from pos-1 (MS-OXCTABL 3.2.5.5), at most `max`.  *n_r gets the
 * rows written.
 */
static uint32_t write_rows(tctx *c, uint32_t pos, int forward, uint32_t max, size_t room,
                           mh_wr *body, uint32_t *n_r)
{
    uint32_t count = mh_tview_count(c->v), n = 0;
    size_t start = body->len;
    *n_r = 0;
    /* rows listed from the backend's index in order (fetch_row) are read
     * one at a time into memory reused for the next (read_row) */
    c->row_scratch = c->fetched;
    while (n < max) {
        int64_t idx = forward ? (int64_t)pos + n : (int64_t)pos - 1 - n;
        if (idx < 0 || idx >= (int64_t)count)
            break;
        /* written in place, and taken back when it does not fit */
        size_t at = body->len;
        uint32_t ec = write_row(c, (uint32_t)idx, body);
        if (ec) {
            body->len = at;
            c->row_scratch = 0;
            return ec;
        }
        if (body->len - start > room) {
            body->len = at;
            break;
        }
        n++;
    }
    c->row_scratch = 0;
    *n_r = n;
    return 0;
}

/* -------------------------------------------------------- mh_table_open */

uint32_t mh_table_open(mh_ropctx *cx, mh_rop *rop, mh_object *parent, uint8_t kind,
                       uint32_t flags, uint32_t *row_count_r)
{
    mh_logon *lg = mh_obj_logon_data(cx, parent);
    if (!lg)
        return MAPI_E_INVALID_OBJECT;
    mh_id fid = 0;
    if (kind == MH_TBL_ATTACHMENTS) {
        if (parent->type != MH_OT_MESSAGE)
            return MAPI_E_NO_SUPPORT;
    } else if (kind >= MH_TBL_HIERARCHY && kind <= MH_TBL_RULES) {
        if (parent->type != MH_OT_FOLDER)
            return MAPI_E_NO_SUPPORT;
        const mh_folder *f = parent->data;
        fid = f->fid;
        if (!lg->own) {
            /* what the user's rights on the folder allow (MS-OXCPERM 2.2.7) */
            uint32_t need = kind == MH_TBL_HIERARCHY ? FRIGHTS_VISIBLE
                            : kind == MH_TBL_CONTENTS ? FRIGHTS_READ_ANY
                                                      : FRIGHTS_OWNER;
            if (!(f->rights & (need | FRIGHTS_OWNER)))
                return MAPI_E_NO_ACCESS;
        }
    } else {
        return MAPI_E_INVALID_PARAMETER;
    }
    mh_object *obj = mh_obj_create(cx, rop, MH_OT_TABLE, rop->h.logon_id, parent->handle);
    if (!obj)
        return MAPI_E_NOT_ENOUGH_MEMORY;
    mh_table *t = apr_pcalloc(obj->pool, sizeof(*t));
    t->kind = kind;
    t->flags = flags;
    t->parent = parent->handle;
    t->fid = fid;
    t->next_bm = 1;
    obj->data = t;

    tctx c;
    uint32_t ec = tbl_load(cx, obj, NULL, &c);
    if (ec) {
        mh_obj_release(cx, obj);
        return ec;
    }
    *row_count_r = mh_tview_count(c.v);
    tbl_done(&c);
    cx->changed = 1;
    return 0;
}

/* --------------------------------------------------------- the handlers */

static uint32_t table_of(mh_ropctx *cx, mh_rop *rop, mh_object **obj_r)
{
    return mh_rop_object(cx, rop, rop->h.in_idx, MH_OTM(MH_OT_TABLE), obj_r);
}

/* Drops what a new sort order or restriction invalidates (MS-OXCTABL
 * 3.2.5.2, 3.2.5.3): bookmarks, the collapse state, the position. */
static void reset_positions(mh_table *t)
{
    memset(&t->cursor, 0, sizeof(t->cursor));
    t->n_bm = 0;
    t->n_tog = 0;
}

/*
 * Whether a column may have this type (MS-OXCTABL 3.2.5.2): not
 * PT_UNSPECIFIED, not PT_ERROR, nor a type MS-OXCDATA 2.11.1 does not
 * define; a multivalue instance column must be multi-valued (MS-OXCDATA
 * 2.11.1.3).  A table's columns therefore always have a type, the one
 * the client asked for, whatever the table's Unicode flag: string columns
 * go out as PT_STRING8 or PT_UNICODE as named.  The same for every kind
 * of table.
 */
static int column_type_valid(uint16_t type)
{
    if (type & MH_MV_INSTANCE) {
        if (!(type & MV_FLAG))
            return 0;
        type &= (uint16_t)~MH_MV_INSTANCE;
    }
    switch (type) {
    case PT_UNSPECIFIED: case PT_ERROR:
        return 0;
    case PT_NULL: case PT_OBJECT: case PT_STRING8: case PT_MV_STRING8:
        return 1;
    default:
        return mh_type_storable(type);
    }
}

/* RopSetColumns (MS-OXCROPS 2.2.5.1, MS-OXCTABL 3.2.5.2) */
static uint32_t rop_set_columns(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec;
    uint8_t flags = mh_rd_u8(rop->rd);
    mh_proptag *tags;
    uint16_t n;
    int bad = mh_rd_tag_array(rop->rd, MAX_COLUMNS, cx->pool, &tags, &n) != 0 || rop->rd->err;
    if ((ec = table_of(cx, rop, &obj)) != 0)
        return ec;
    if (bad)
        return MAPI_E_INVALID_PARAMETER;
    if (flags & ~0x01u)
        return MAPI_E_INVALID_PARAMETER;
    if (n == 0)
        return MAPI_E_INVALID_PARAMETER;
    for (uint16_t i = 0; i < n; i++)
        if (!column_type_valid(MH_TAG_TYPE(tags[i])))
            return MAPI_E_INVALID_PARAMETER;
    mh_table *t = obj->data;
    t->cols = apr_pmemdup(opool(obj), tags, n * sizeof(*tags));
    t->n_cols = n;
    cx->changed = 1;
    mh_wr_u8(rop->body, TBLSTAT_COMPLETE);
    return 0;
}

/* RopSortTable (MS-OXCROPS 2.2.5.2, MS-OXCTABL 3.2.5.2) */
static uint32_t rop_sort_table(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec;
    uint8_t flags = mh_rd_u8(rop->rd);
    mh_sort_set s;
    int bad = mh_rd_sort_set(rop->rd, cx->pool, &s) != 0 || rop->rd->err;
    if ((ec = table_of(cx, rop, &obj)) != 0)
        return ec;
    if (bad)
        return MAPI_E_INVALID_PARAMETER;
    /* TBL_ASYNC 0x01, TBL_BATCH 0x02: answered synchronously */
    if (flags & ~0x03u)
        return MAPI_E_INVALID_PARAMETER;
    mh_table *t = obj->data;
    if (s.categorized && t->kind != MH_TBL_CONTENTS)
        return MAPI_E_NO_SUPPORT;
    /* check the set against an empty view: the errors come now */
    mh_tview *v;
    mh_tv_params p;
    memset(&p, 0, sizeof(p));
    p.sort = &s;
    if ((ec = mh_tview_build(cx->pool, NULL, 0, &p, &v)) != 0)
        return ec;
    t->sort.n = s.n;
    t->sort.categorized = s.categorized;
    t->sort.expanded = s.expanded;
    t->sort.orders = apr_pmemdup(opool(obj), s.orders, (s.n + 1u) * sizeof(*s.orders));
    reset_positions(t);
    cx->changed = 1;
    mh_wr_u8(rop->body, TBLSTAT_COMPLETE);
    return 0;
}

/* RopRestrict (MS-OXCROPS 2.2.5.3, MS-OXCTABL 3.2.5.3) */
static uint32_t rop_restrict(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec;
    uint8_t flags = mh_rd_u8(rop->rd);
    uint16_t size = mh_rd_u16(rop->rd);
    const unsigned char *b = mh_rd_bytes(rop->rd, size);
    if ((ec = table_of(cx, rop, &obj)) != 0)
        return ec;
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    if (flags & ~0x03u)
        return MAPI_E_INVALID_PARAMETER;
    mh_restriction *r;
    if ((ec = parse_res(cx->pool, b, size, cx->cp, &r)) != 0)
        return ec;
    mh_table *t = obj->data;
    t->res = size ? apr_pmemdup(opool(obj), b, size) : NULL;
    t->res_len = size;
    t->res_cp = cx->cp;
    reset_positions(t);
    cx->changed = 1;
    mh_wr_u8(rop->body, TBLSTAT_COMPLETE);
    return 0;
}

/* RopQueryRows (MS-OXCROPS 2.2.5.4, MS-OXCTABL 3.2.5.5) */
static uint32_t rop_query_rows(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec;
    uint8_t flags = mh_rd_u8(rop->rd);
    uint8_t forward = mh_rd_u8(rop->rd);
    uint16_t want = mh_rd_u16(rop->rd);
    if ((ec = table_of(cx, rop, &obj)) != 0)
        return ec;
    if (rop->rd->err || (flags & ~0x03u) || forward > 1)
        return MAPI_E_INVALID_PARAMETER;
    mh_table *t = obj->data;
    if (!t->n_cols)
        return EC_NULL_OBJECT; /* columns never set (MS-OXCTABL 3.2.5.5) */
    tctx c;
    if ((ec = tbl_load(cx, obj, NULL, &c)) != 0)
        return ec;
    uint32_t count = mh_tview_count(c.v), pos = cursor_pos(&c);
    if ((ec = tbl_failed(&c)) != 0)
        return ec;
    /* Origin and RowCount, then the rows written straight after them into
     * the response (room for as many as may fit, made once) */
    uint32_t n = 0;
    size_t room = rop->room > 3 ? rop->room - 3 : 0;
    size_t head = rop->body->len;
    mh_wr_ensure(rop->body, 3 + (room < QUERY_ROWS_PRESIZE ? room : QUERY_ROWS_PRESIZE));
    mh_wr_u8(rop->body, 0);
    mh_wr_u16(rop->body, 0);
    ec = write_rows(&c, pos, forward, want, room, rop->body, &n);
    if (ec) {
        rop->body->len = head;
        tbl_done(&c);
        return ec;
    }
    uint32_t left = forward ? count - pos : pos;
    if (n == 0 && want > 0 && left > 0) {
        rop->body->len = head;
        tbl_done(&c);
        return MH_ROP_TOO_SMALL; /* not even one row fits */
    }
    uint32_t after = forward ? pos + n : pos - n;
    if (!(flags & 0x01))
        set_cursor(&c, after);
    uint8_t origin;
    if (forward && after >= count)
        origin = MH_BOOKMARK_END;
    else if (!forward && after == 0)
        origin = MH_BOOKMARK_BEGINNING;
    else
        origin = MH_BOOKMARK_CURRENT;
    rop->body->buf[head] = origin;
    mh_put_u16(rop->body->buf + head + 1, (uint16_t)n);
    /* more asked and left than fit: the rest in chained responses
     * (MS-OXCRPC 3.1.4.2.1.2.2), when the client allows packed buffers */
    if ((flags & 0x02) && !(flags & 0x01) && n < want && n < left) {
        unsigned char *req = apr_palloc(cx->pool, 4);
        req[0] = flags;
        req[1] = forward;
        mh_put_u16(req + 2, (uint16_t)(want - n));
        rop->chain_req = req;
        rop->chain_req_len = 4;
    }
    tbl_done(&c);
    return 0;
}

/* RopAbort (MS-OXCROPS 2.2.5.5, MS-OXCTABL 3.2.5.6): nothing runs
 * asynchronously here, so there is nothing to abort. */
static uint32_t rop_abort(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec = table_of(cx, rop, &obj);
    if (ec)
        return ec;
    return MAPI_E_UNABLE_TO_ABORT;
}

/* RopGetStatus (MS-OXCROPS 2.2.5.6, MS-OXCTABL 3.2.5.7) */
static uint32_t rop_get_status(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec = table_of(cx, rop, &obj);
    if (ec)
        return ec;
    mh_wr_u8(rop->body, TBLSTAT_COMPLETE);
    return 0;
}

/* RopQueryPosition (MS-OXCROPS 2.2.5.7, MS-OXCTABL 3.2.5.8): exact. */
static uint32_t rop_query_position(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec = table_of(cx, rop, &obj);
    if (ec)
        return ec;
    tctx c;
    if ((ec = tbl_load(cx, obj, NULL, &c)) != 0)
        return ec;
    uint32_t pos = cursor_pos(&c), count = mh_tview_count(c.v);
    if ((ec = tbl_failed(&c)) != 0)
        return ec;
    mh_wr_u32(rop->body, pos);
    mh_wr_u32(rop->body, count);
    tbl_done(&c);
    return 0;
}

/* Moves from `start` by `delta` rows, clamped to the table. */
static void seek(tctx *c, uint32_t start, int32_t delta, int32_t *moved_r, uint8_t *less_r)
{
    int64_t count = mh_tview_count(c->v);
    int64_t to = (int64_t)start + delta;
    if (to < 0)
        to = 0;
    if (to > count)
        to = count;
    *moved_r = (int32_t)(to - (int64_t)start);
    *less_r = *moved_r != delta;
    set_cursor(c, (uint32_t)to);
}

static int origin_pos(tctx *c, uint8_t origin, uint32_t *pos_r)
{
    switch (origin) {
    case MH_BOOKMARK_BEGINNING: *pos_r = 0; return 0;
    case MH_BOOKMARK_CURRENT: *pos_r = cursor_pos(c); return 0;
    case MH_BOOKMARK_END: *pos_r = mh_tview_count(c->v); return 0;
    default: return -1;
    }
}

/* RopSeekRow (MS-OXCROPS 2.2.5.8, MS-OXCTABL 3.2.5.9) */
static uint32_t rop_seek_row(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec;
    uint8_t origin = mh_rd_u8(rop->rd);
    int32_t delta = (int32_t)mh_rd_u32(rop->rd);
    uint8_t want_moved = mh_rd_u8(rop->rd);
    if ((ec = table_of(cx, rop, &obj)) != 0)
        return ec;
    if (rop->rd->err || origin > MH_BOOKMARK_END)
        return MAPI_E_INVALID_PARAMETER;
    (void)want_moved; /* the counts are always right */
    tctx c;
    if ((ec = tbl_load(cx, obj, NULL, &c)) != 0)
        return ec;
    uint32_t start;
    origin_pos(&c, origin, &start);
    if ((ec = tbl_failed(&c)) != 0)
        return ec;
    int32_t moved;
    uint8_t less;
    seek(&c, start, delta, &moved, &less);
    mh_wr_u8(rop->body, less);
    mh_wr_u32(rop->body, (uint32_t)moved);
    tbl_done(&c);
    return 0;
}

/* A custom bookmark (4 bytes: its number) of the table, or NULL. */
static tbl_bookmark *find_bookmark(mh_table *t, const unsigned char *b, uint16_t len)
{
    if (len != 4 || !b)
        return NULL;
    uint32_t id = mh_get_u32(b);
    for (uint32_t i = 0; i < t->n_bm; i++)
        if (t->bm[i].id == id)
            return &t->bm[i];
    return NULL;
}

/* RopSeekRowBookmark (MS-OXCROPS 2.2.5.9, MS-OXCTABL 3.2.5.10) */
static uint32_t rop_seek_row_bookmark(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec;
    uint16_t size = mh_rd_u16(rop->rd);
    const unsigned char *b = mh_rd_bytes(rop->rd, size);
    int32_t delta = (int32_t)mh_rd_u32(rop->rd);
    (void)mh_rd_u8(rop->rd); /* WantRowMovedCount */
    if ((ec = table_of(cx, rop, &obj)) != 0)
        return ec;
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_table *t = obj->data;
    tbl_bookmark *bm = find_bookmark(t, b, size);
    if (!bm)
        return MAPI_E_INVALID_BOOKMARK;
    tctx c;
    if ((ec = tbl_load(cx, obj, NULL, &c)) != 0)
        return ec;
    int gone;
    uint32_t start = mh_tview_resolve(c.v, &bm->a, &gone);
    if ((ec = tbl_failed(&c)) != 0)
        return ec;
    int32_t moved;
    uint8_t less;
    seek(&c, start, delta, &moved, &less);
    mh_wr_u8(rop->body, (uint8_t)gone);
    mh_wr_u8(rop->body, less);
    mh_wr_u32(rop->body, (uint32_t)moved);
    tbl_done(&c);
    return 0;
}

/* RopSeekRowFractional (MS-OXCROPS 2.2.5.10, MS-OXCTABL 3.2.5.11) */
static uint32_t rop_seek_row_fractional(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec;
    uint32_t num = mh_rd_u32(rop->rd), den = mh_rd_u32(rop->rd);
    if ((ec = table_of(cx, rop, &obj)) != 0)
        return ec;
    if (rop->rd->err || den == 0)
        return MAPI_E_INVALID_PARAMETER;
    tctx c;
    if ((ec = tbl_load(cx, obj, NULL, &c)) != 0)
        return ec;
    uint64_t count = mh_tview_count(c.v);
    uint64_t pos = num >= den ? count : count * num / den;
    set_cursor(&c, (uint32_t)pos);
    tbl_done(&c);
    return 0;
}

static uint32_t add_bookmark(mh_object *obj, const mh_tv_anchor *a, uint32_t *id_r)
{
    mh_table *t = obj->data;
    if (t->n_bm >= MAX_BOOKMARKS)
        return MAPI_E_NOT_ENOUGH_RESOURCES;
    tbl_bookmark *nb = apr_palloc(opool(obj), (t->n_bm + 1) * sizeof(*nb));
    if (t->n_bm)
        memcpy(nb, t->bm, t->n_bm * sizeof(*nb));
    nb[t->n_bm].id = t->next_bm++;
    nb[t->n_bm].a = *a;
    *id_r = nb[t->n_bm].id;
    t->bm = nb;
    t->n_bm++;
    return 0;
}

/* RopCreateBookmark (MS-OXCROPS 2.2.5.11, MS-OXCTABL 3.2.5.12) */
static uint32_t rop_create_bookmark(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec = table_of(cx, rop, &obj);
    if (ec)
        return ec;
    tctx c;
    if ((ec = tbl_load(cx, obj, NULL, &c)) != 0)
        return ec;
    mh_tv_anchor a = mh_tview_anchor(c.v, cursor_pos(&c));
    if ((ec = tbl_failed(&c)) != 0)
        return ec;
    tbl_done(&c);
    uint32_t id;
    if ((ec = add_bookmark(obj, &a, &id)) != 0)
        return ec;
    cx->changed = 1;
    mh_wr_u16(rop->body, 4);
    mh_wr_u32(rop->body, id);
    return 0;
}

/* RopQueryColumnsAll (MS-OXCROPS 2.2.5.12, MS-OXCTABL 3.2.5.13): every
 * property the rows have, and the table's own columns. */
static uint32_t rop_query_columns_all(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec = table_of(cx, rop, &obj);
    if (ec)
        return ec;
    tctx c;
    if ((ec = tbl_load(cx, obj, NULL, &c)) != 0)
        return ec;
    mh_proptag *tags = NULL;
    uint32_t n = 0, cap = 0;
    static const mh_proptag table_cols[] = {PR_INSTANCE_KEY, PR_ROW_TYPE, PR_DEPTH, PR_INST_ID,
                                            PR_INSTANCE_NUM};
    for (size_t i = 0; i < sizeof(table_cols) / sizeof(table_cols[0]); i++)
        tags_add(cx->pool, &tags, &n, &cap, table_cols[i]);
    uint32_t count = mh_tview_count(c.v);
    for (uint32_t i = 0; i < count && n < 65535; i++) {
        mh_tv_info info;
        if (mh_tview_info(c.v, i, &info) != 0 || info.header)
            continue;
        mh_tv_row *row = info.row;
        if (c.txn && (c.t->kind == MH_TBL_CONTENTS || c.t->kind == MH_TBL_HIERARCHY)) {
            /* every property of the row */
            mh_tv_row all;
            memset(&all, 0, sizeof(all));
            all.id = row->id;
            if (read_row(&c, &all, NULL, 0) == 0)
                row = &all;
            for (uint32_t k = 0; k < row->props.n && n < 65535; k++)
                tags_add(cx->pool, &tags, &n, &cap, row->props.v[k].tag);
            continue;
        }
        for (uint32_t k = 0; k < row->props.n && n < 65535; k++)
            tags_add(cx->pool, &tags, &n, &cap, row->props.v[k].tag);
    }
    tbl_done(&c);
    if (2 + 4 * (size_t)n > rop->room)
        return MH_ROP_TOO_SMALL;
    mh_wr_tag_array(rop->body, tags, (uint16_t)n);
    return 0;
}

/* RopFindRow (MS-OXCROPS 2.2.5.13, MS-OXCTABL 3.2.5.14) */
static uint32_t rop_find_row(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec;
    uint8_t flags = mh_rd_u8(rop->rd);
    uint16_t rsize = mh_rd_u16(rop->rd);
    const unsigned char *rb = mh_rd_bytes(rop->rd, rsize);
    uint8_t origin = mh_rd_u8(rop->rd);
    uint16_t bsize = mh_rd_u16(rop->rd);
    const unsigned char *bb = mh_rd_bytes(rop->rd, bsize);
    if ((ec = table_of(cx, rop, &obj)) != 0)
        return ec;
    if (rop->rd->err || flags > 0x01 || origin > MH_BOOKMARK_CUSTOM)
        return MAPI_E_INVALID_PARAMETER;
    mh_table *t = obj->data;
    if (!t->n_cols)
        return EC_NULL_OBJECT;
    mh_restriction *r;
    if ((ec = parse_res(cx->pool, rb, rsize, cx->cp, &r)) != 0)
        return ec;
    tbl_bookmark *bm = NULL;
    if (origin == MH_BOOKMARK_CUSTOM && !(bm = find_bookmark(t, bb, bsize)))
        return MAPI_E_INVALID_BOOKMARK;
    tctx c;
    if ((ec = tbl_load(cx, obj, r, &c)) != 0)
        return ec;
    uint32_t start;
    int gone = 0;
    if (bm)
        start = mh_tview_resolve(c.v, &bm->a, &gone);
    else
        origin_pos(&c, origin, &start);
    /* backward: the rows before the origin, nearest first */
    int64_t found = mh_tview_find(c.v, r, flags ? (int64_t)start - 1 : (int64_t)start, flags);
    if (c.err) {
        tbl_done(&c);
        return c.err;
    }
    if (found < 0) {
        tbl_done(&c);
        return MAPI_E_NOT_FOUND;
    }
    mh_wr row;
    mh_wr_init(&row, cx->pool, 256);
    if ((ec = write_row(&c, (uint32_t)found, &row)) != 0) {
        tbl_done(&c);
        return ec;
    }
    if (2 + row.len > rop->room) {
        tbl_done(&c);
        return MH_ROP_TOO_SMALL;
    }
    set_cursor(&c, (uint32_t)found);
    mh_wr_u8(rop->body, (uint8_t)gone);
    mh_wr_u8(rop->body, 1);
    mh_wr_bytes(rop->body, row.buf, row.len);
    tbl_done(&c);
    return 0;
}

/* RopFreeBookmark (MS-OXCROPS 2.2.5.14, MS-OXCTABL 3.2.5.15) */
static uint32_t rop_free_bookmark(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec;
    uint16_t size = mh_rd_u16(rop->rd);
    const unsigned char *b = mh_rd_bytes(rop->rd, size);
    if ((ec = table_of(cx, rop, &obj)) != 0)
        return ec;
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_table *t = obj->data;
    tbl_bookmark *bm = find_bookmark(t, b, size);
    if (!bm)
        return MAPI_E_INVALID_BOOKMARK;
    *bm = t->bm[--t->n_bm];
    cx->changed = 1;
    return 0;
}

/* RopResetTable (MS-OXCROPS 2.2.5.15, MS-OXCTABL 3.2.5.16): columns,
 * sort order, restriction, bookmarks and position as when opened. */
static uint32_t rop_reset_table(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec = table_of(cx, rop, &obj);
    if (ec)
        return ec;
    mh_table *t = obj->data;
    t->n_cols = 0;
    t->sort.n = t->sort.categorized = t->sort.expanded = 0;
    t->res_len = 0;
    t->res = NULL;
    reset_positions(t);
    cx->changed = 1;
    return 0;
}

/* RopExpandRow (MS-OXCROPS 2.2.5.16, MS-OXCTABL 3.2.5.17) */
static uint32_t rop_expand_row(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec;
    uint16_t max = mh_rd_u16(rop->rd);
    uint64_t cat = mh_rd_u64(rop->rd);
    if ((ec = table_of(cx, rop, &obj)) != 0)
        return ec;
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_table *t = obj->data;
    if (!t->n_cols)
        return EC_NULL_OBJECT;
    tctx c;
    if ((ec = tbl_load(cx, obj, NULL, &c)) != 0)
        return ec;
    uint32_t idx, added;
    if ((ec = mh_tview_expand(c.v, cat, &idx, &added)) != 0) {
        tbl_done(&c);
        return ec;
    }
    mh_wr rows;
    mh_wr_init(&rows, cx->pool, 1024);
    uint32_t n = 0;
    size_t room = rop->room > 6 ? rop->room - 6 : 0;
    uint32_t lim = max < added ? max : added;
    if ((ec = write_rows(&c, idx + 1, 1, lim, room, &rows, &n)) != 0) {
        tbl_done(&c);
        return ec;
    }
    keep_toggles(&c);
    /* the cursor goes after the last row returned, or after the header
     * when none was asked for (IMAPITable::ExpandRow) */
    set_cursor(&c, idx + 1 + n);
    mh_wr_u32(rop->body, added);
    mh_wr_u16(rop->body, (uint16_t)n);
    mh_wr_bytes(rop->body, rows.buf, rows.len);
    tbl_done(&c);
    return 0;
}

/* RopCollapseRow (MS-OXCROPS 2.2.5.17, MS-OXCTABL 3.2.5.18) */
static uint32_t rop_collapse_row(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec;
    uint64_t cat = mh_rd_u64(rop->rd);
    if ((ec = table_of(cx, rop, &obj)) != 0)
        return ec;
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    tctx c;
    if ((ec = tbl_load(cx, obj, NULL, &c)) != 0)
        return ec;
    uint32_t pos = cursor_pos(&c);
    uint32_t idx, removed;
    if ((ec = mh_tview_collapse(c.v, cat, &idx, &removed)) != 0) {
        tbl_done(&c);
        return ec;
    }
    keep_toggles(&c);
    /* a cursor inside the collapsed rows moves to the row after the
     * header; one after them moves up with its row */
    if (pos > idx && pos <= idx + removed)
        set_cursor(&c, idx + 1);
    else if (pos > idx + removed)
        set_cursor(&c, pos - removed);
    mh_wr_u32(rop->body, removed);
    tbl_done(&c);
    return 0;
}

/* RopGetCollapseState (MS-OXCROPS 2.2.5.18, MS-OXCTABL 3.2.5.19) */
static uint32_t rop_get_collapse_state(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec;
    uint64_t row_id = mh_rd_u64(rop->rd);
    uint32_t inst = mh_rd_u32(rop->rd);
    if ((ec = table_of(cx, rop, &obj)) != 0)
        return ec;
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    tctx c;
    if ((ec = tbl_load(cx, obj, NULL, &c)) != 0)
        return ec;
    mh_tv_anchor a = {row_id, inst, cursor_pos(&c), 1};
    int gone;
    uint32_t at = mh_tview_resolve(c.v, &a, &gone);
    if (!gone)
        a.idx = at;
    uint32_t nt;
    const mh_tv_toggle *tg = mh_tview_toggles(c.v, &nt);
    mh_wr blob;
    mh_wr_init(&blob, cx->pool, 64);
    mh_tv_state_encode(&blob, tg, nt, &a);
    tbl_done(&c);
    if (blob.len > 0xFFFF)
        return MAPI_E_TOO_BIG;
    if (2 + blob.len > rop->room)
        return MH_ROP_TOO_SMALL;
    mh_wr_u16(rop->body, (uint16_t)blob.len);
    mh_wr_bytes(rop->body, blob.buf, blob.len);
    return 0;
}

/* RopSetCollapseState (MS-OXCROPS 2.2.5.19, MS-OXCTABL 3.2.5.20): the
 * categories as they were, and a bookmark on the row the state was taken
 * at. */
static uint32_t rop_set_collapse_state(mh_ropctx *cx, mh_rop *rop)
{
    mh_object *obj;
    uint32_t ec;
    uint16_t size = mh_rd_u16(rop->rd);
    const unsigned char *b = mh_rd_bytes(rop->rd, size);
    if ((ec = table_of(cx, rop, &obj)) != 0)
        return ec;
    if (rop->rd->err)
        return MAPI_E_INVALID_PARAMETER;
    mh_rd rd;
    mh_rd_init(&rd, b, size);
    mh_tv_toggle *tg;
    uint32_t nt;
    mh_tv_anchor a;
    if (mh_tv_state_decode(&rd, cx->pool, &tg, &nt, &a) != 0)
        return MAPI_E_INVALID_PARAMETER;
    mh_table *t = obj->data;
    t->tog = nt ? apr_pmemdup(opool(obj), tg, nt * sizeof(*tg)) : NULL;
    t->n_tog = nt;
    tctx c;
    if ((ec = tbl_load(cx, obj, NULL, &c)) != 0)
        return ec;
    int gone;
    uint32_t pos = mh_tview_resolve(c.v, &a, &gone);
    mh_tv_anchor at = mh_tview_anchor(c.v, pos);
    tbl_done(&c);
    uint32_t id;
    if ((ec = add_bookmark(obj, &at, &id)) != 0)
        return ec;
    cx->changed = 1;
    mh_wr_u16(rop->body, 4);
    mh_wr_u32(rop->body, id);
    return 0;
}

const mh_rop_entry mh_rops_oxctabl[] = {
    {0x12, rop_set_columns},
    {0x13, rop_sort_table},
    {0x14, rop_restrict},
    {0x15, rop_query_rows},
    {0x38, rop_abort},
    {0x16, rop_get_status},
    {0x17, rop_query_position},
    {0x18, rop_seek_row},
    {0x19, rop_seek_row_bookmark},
    {0x1A, rop_seek_row_fractional},
    {0x1B, rop_create_bookmark},
    {0x37, rop_query_columns_all},
    {0x4F, rop_find_row},
    {0x89, rop_free_bookmark},
    {0x81, rop_reset_table},
    {0x59, rop_expand_row},
    {0x5A, rop_collapse_row},
    {0x6B, rop_get_collapse_state},
    {0x6C, rop_set_collapse_state},
    {0, NULL}};
