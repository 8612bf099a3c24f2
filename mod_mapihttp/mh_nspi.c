/*
 * mh_nspi.c - the NSPI request handlers (see mh_nspi.h; MS-OXNSPI
 * 3.1.4.1.x, the sections named at each function).
 */
#include "mh_nspi.h"
#include "mh_autodiscover.h"
#include "mh_log.h"
#include "mh_mapierr.h"
#include "mh_nspi_gal.h"
#include "mh_nspi_mod.h"
#include "mh_nspi_tmpl.h"
#include "mh_oxcdata.h"
#include "mh_props.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <apr_tables.h>

/* PidTagPrimaryTelephoneNumber etc. as the default columns name them */
static const mh_proptag default_columns[] = {
    PR_EMS_AB_CONTAINERID,
    PR_OBJECT_TYPE,
    PR_DISPLAY_TYPE,
    MH_TAG(0x3001, PT_STRING8), /* PidTagDisplayName */
    MH_TAG(0x3A1A, PT_STRING8), /* PidTagPrimaryTelephoneNumber */
    MH_TAG(0x3A18, PT_STRING8), /* PidTagDepartmentName */
    MH_TAG(0x3A19, PT_STRING8), /* PidTagOfficeLocation */
};

static void default_cols(mh_nspi_tags *t)
{
    t->n = (uint32_t)(sizeof(default_columns) / sizeof(default_columns[0]));
    t->tags = (mh_proptag *)default_columns;
}

/* The common STAT checks: present, and a code page strings can be in. */
static uint32_t check_stat(int has_state, const mh_stat *st)
{
    if (!has_state)
        return MH_NSPI_INVALID_PARAMETER;
    if (!mh_cp_supported(st->code_page))
        return MH_NSPI_INVALID_CODEPAGE;
    return MH_NSPI_SUCCESS;
}

static uint32_t open_gal(const mh_nspi_ctx *cx, mh_gal **g_r)
{
    mh_gal_cfg cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.organization = cx->organization;
    cfg.legacy_dn_scheme = cx->legacy_dn_scheme;
    cfg.server_guid = cx->server_guid;
    if (cx->base_url) {
        const char *h = strstr(cx->base_url, "://");
        h = h ? h + 3 : cx->base_url;
        cfg.host = apr_pstrmemdup(cx->pool, h, strcspn(h, ":/]"));
    }
    return mh_gal_open(cx->be, &cfg, cx->pool, g_r);
}

static int is_string(uint16_t t)
{
    return t == PT_STRING8 || t == PT_UNICODE || t == PT_MV_STRING8 || t == PT_MV_UNICODE;
}

static mh_propval *error_value(apr_pool_t *pool, mh_proptag tag, uint32_t err)
{
    mh_propval *v = apr_pcalloc(pool, sizeof(*v));
    v->tag = MH_TAG(MH_TAG_ID(tag), PT_ERROR);
    v->v.err = err;
    return v;
}

/* A row value for column `col` of object o (NULL o: an MId naming
 * nothing: every column missing, 3.1.4.1.7 constraint 11). */
static const mh_propval *column_value(mh_gal *g, const mh_gal_obj *o, mh_proptag col,
                                      unsigned flags, apr_pool_t *pool)
{
    if (!o)
        return NULL;
    const mh_propval *v = mh_gal_prop(g, o, col, flags);
    if (v && MH_TAG_TYPE(v->tag) == PT_OBJECT)
        return error_value(pool, col, MAPI_E_NO_SUPPORT);
    return v;
}

/* The rows of `mids` for columns `cols` (NspiGetProps per row,
 * 3.1.4.1.8 constraint 14). */
static void build_rows(mh_gal *g, const mh_nspi_tags *cols, const uint32_t *mids, uint32_t n,
                       unsigned flags, apr_pool_t *pool, mh_nspi_rowset *rs)
{
    rs->cols = *cols;
    rs->n_rows = n;
    rs->rows = apr_pcalloc(pool, sizeof(mh_nspi_row) * (n ? n : 1));
    for (uint32_t i = 0; i < n; i++) {
        const mh_gal_obj *o = mh_gal_get(g, mids[i]);
        const mh_propval **vals = apr_pcalloc(pool, sizeof(*vals) * (cols->n ? cols->n : 1));
        for (uint32_t k = 0; k < cols->n; k++)
            vals[k] = column_value(g, o, cols->tags[k], flags, pool);
        rs->rows[i].vals = vals;
    }
}

static unsigned eid_flags(uint32_t flags)
{
    return (flags & MH_NSPI_FEPHID) ? MH_GAL_EPHEMERAL : 0;
}

/* ----------------------------------------------------------- positions */

/* NspiUpdateStat (3.1.4.1.4) */
static void do_updatestat(const mh_nspi_ctx *cx, mh_gal *g,
                          const mh_nspi_updatestat_req *req, mh_nspi_updatestat_resp *resp)
{
    resp->has_state = req->has_state;
    resp->state = req->state;
    uint32_t ec = check_stat(req->has_state, &req->state);
    const mh_gal_table *t = NULL;
    if (!ec)
        ec = mh_gal_table_of(g, req->state.container_id, &t);
    uint32_t start = 0, end = 0;
    if (!ec) {
        mh_stat at = req->state;
        at.delta = 0;
        if (mh_gal_position(t, &at, &start) != 0 || mh_gal_position(t, &req->state, &end) != 0)
            ec = MH_NSPI_NOT_FOUND;
    }
    resp->error_code = ec;
    if (ec)
        return;
    mh_gal_set_position(t, end, &resp->state);
    if (req->delta_requested) {
        resp->has_delta = 1;
        resp->delta = (int32_t)((int64_t)end - (int64_t)start);
    }
}

/*
 * NspiQueryRows (3.1.4.1.8), also what GetMatches, SeekEntries and
 * ResolveNames return rows with.  `st` is updated when the STAT's table
 * was used.
 */
static uint32_t query_rows(const mh_nspi_ctx *cx, mh_gal *g, uint32_t flags, mh_stat *st,
                           const uint32_t *etable, uint32_t etable_n, uint32_t count,
                           const mh_nspi_tags *cols, mh_nspi_rowset *rs)
{
    mh_nspi_tags def;
    if (!cols) {
        default_cols(&def);
        cols = &def;
    }
    if (count > MH_NSPI_ROWS_MAX)
        count = MH_NSPI_ROWS_MAX;
    if (etable_n) {
        uint32_t n = count < etable_n ? count : etable_n;
        build_rows(g, cols, etable, n, eid_flags(flags), cx->pool, rs);
        return MH_NSPI_SUCCESS;
    }
    if (count == 0)
        return MH_NSPI_INVALID_PARAMETER; /* 3.1.4.1.8 constraint 2: no table, no rows */
    const mh_gal_table *t;
    uint32_t ec = mh_gal_table_of(g, st->container_id, &t);
    if (ec)
        return ec;
    uint32_t pos;
    if (mh_gal_position(t, st, &pos) != 0)
        return MH_NSPI_NOT_FOUND;
    uint32_t n = t->n - pos < count ? t->n - pos : count;
    build_rows(g, cols, t->mids + pos, n, eid_flags(flags), cx->pool, rs);
    /* as NspiUpdateStat would move it past the rows (constraint 16) */
    mh_gal_set_position(t, pos + n, st);
    return MH_NSPI_SUCCESS;
}

static void do_queryrows(const mh_nspi_ctx *cx, mh_gal *g,
                         const mh_nspi_queryrows_req *req, mh_nspi_queryrows_resp *resp)
{
    resp->has_state = req->has_state;
    resp->state = req->state;
    uint32_t ec = check_stat(req->has_state, &req->state);
    mh_stat st = req->state;
    if (!ec)
        ec = query_rows(cx, g, req->flags, &st, req->explicit_table.ids, req->explicit_table.n,
                        req->row_count, req->has_columns ? &req->columns : NULL, &resp->rows);
    resp->error_code = ec;
    if (ec)
        return;
    resp->state = st;
    resp->has_rows = 1;
}

/* The first row of an Explicit Table (the client's, in the client's
 * order: a scan) whose display name is >= target; n when none. */
static uint32_t seek_explicit(mh_gal *g, const uint32_t *mids, uint32_t n, const char *target)
{
    for (uint32_t i = 0; i < n; i++) {
        const mh_gal_obj *o = mh_gal_get(g, mids[i]);
        if (o && o->e && mh_str_collate(o->e->display_name, target) >= 0)
            return i;
    }
    return n;
}

/* NspiSeekEntries (3.1.4.1.9) */
static void do_seekentries(const mh_nspi_ctx *cx, mh_gal *g,
                           const mh_nspi_seekentries_req *req, mh_nspi_seekentries_resp *resp)
{
    resp->has_state = req->has_state;
    resp->state = req->state;
    uint32_t ec = check_stat(req->has_state, &req->state);
    if (!ec && !req->has_target)
        ec = MH_NSPI_INVALID_PARAMETER;
    /* SortTypeDisplayName only (phonetic names are not kept: constraint 9) */
    if (!ec && req->state.sort_type != MH_NSPI_SORT_DISPLAY_NAME)
        ec = MH_NSPI_GENERAL_FAILURE;
    if (!ec && (MH_TAG_ID(req->target.tag) != 0x3001 ||
                MH_TAG_TYPE(req->target.tag) != PT_UNICODE || !req->target.v.str))
        ec = MH_NSPI_GENERAL_FAILURE;
    const mh_gal_table *t = NULL;
    if (!ec)
        ec = mh_gal_table_of(g, req->state.container_id, &t);
    mh_stat st = req->state;
    if (!ec) {
        const char *target = req->target.v.str;
        if (req->has_explicit_table) {
            const mh_nspi_mids *et = &req->explicit_table;
            uint32_t i = seek_explicit(g, et->ids, et->n, target);
            if (i == et->n) {
                ec = MH_NSPI_NOT_FOUND;
            } else {
                st.current_rec = et->ids[i];
                st.num_pos = i;
                st.total_recs = et->n;
                mh_stat q = st;
                if (req->has_columns)
                    ec = query_rows(cx, g, MH_NSPI_FEPHID, &q, et->ids + i, et->n - i, et->n - i,
                                    &req->columns, &resp->rows);
            }
        } else {
            uint32_t i = mh_gal_seek(t, target); /* O(log N) */
            if (i == t->n) {
                ec = MH_NSPI_NOT_FOUND;
            } else {
                st.current_rec = t->mids[i];
                st.num_pos = i;
                st.total_recs = t->n;
                mh_stat q = st; /* the rows must not move the returned STAT */
                if (req->has_columns)
                    ec = query_rows(cx, g, MH_NSPI_FEPHID, &q, NULL, 0, MH_NSPI_SEEK_ROWS,
                                    &req->columns, &resp->rows);
            }
        }
    }
    resp->error_code = ec;
    if (ec)
        return;
    resp->state = st;
    resp->has_rows = req->has_columns;
}

/* --------------------------------------------------------- GetMatches */

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* Evaluating a filter against the model. */
typedef struct filter_src {
    mh_res_source src;
    mh_gal *g;
    const mh_gal_obj *o;
    apr_hash_t **anr;      /* per PR_ANR node: MId -> 1 */
    uint32_t n_anr;
} filter_src;

/* ANR nodes become Exist restrictions on these tags: id 0 is no property
 * and 0x8000 no property type, but a client may send any tag, so prepare()
 * turns the client's own tags of this form into one that names nothing
 * (NOTHING_TAG), and filter_get checks the index anyway. */
#define ANR_TAG(k) MH_TAG(0, 0x8000 | (k))
#define IS_ANR_TAG(t) (MH_TAG_ID(t) == 0 && (MH_TAG_TYPE(t) & 0x8000))
#define NOTHING_TAG MH_TAG(0, PT_NULL)

static const mh_propval *filter_get(const mh_res_source *s, mh_proptag tag)
{
    const filter_src *f = (const filter_src *)s;
    static const mh_propval yes = {0};
    if (IS_ANR_TAG(tag)) {
        uint32_t k = MH_TAG_TYPE(tag) & 0x7FFF;
        if (k >= f->n_anr)
            return NULL;
        return apr_hash_get(f->anr[k], &f->o->mid, sizeof(uint32_t)) ? &yes : NULL;
    }
    const mh_propval *v = mh_gal_prop(f->g, f->o, tag, 0);
    return v && MH_TAG_TYPE(v->tag) == PT_OBJECT ? NULL : v;
}

typedef struct filter_prep {
    const mh_nspi_ctx *cx;
    mh_gal *g;
    uint32_t container;
    apr_array_header_t *anr; /* apr_hash_t * */
} filter_prep;

/* Copies a filter, turning PR_ANR restrictions into ANR lookups; checks
 * the types NSPI allows (MS-OXNSPI 2.2.5.6). */
static mh_proptag client_tag(mh_proptag t)
{
    return IS_ANR_TAG(t) ? NOTHING_TAG : t;
}

static uint32_t prepare(filter_prep *p, const mh_restriction *in, mh_restriction *out)
{
    *out = *in;
    switch (in->type) {
    case MH_RES_AND:
    case MH_RES_OR:
        out->u.andor.sub =
            apr_palloc(p->cx->pool, sizeof(mh_restriction) * (in->u.andor.n ? in->u.andor.n : 1));
        for (uint32_t i = 0; i < in->u.andor.n; i++) {
            uint32_t ec = prepare(p, &in->u.andor.sub[i], &out->u.andor.sub[i]);
            if (ec)
                return ec;
        }
        return MH_NSPI_SUCCESS;
    case MH_RES_NOT:
        out->u.not_.sub = apr_palloc(p->cx->pool, sizeof(mh_restriction));
        return prepare(p, in->u.not_.sub, out->u.not_.sub);
    case MH_RES_CONTENT:
    case MH_RES_PROPERTY: {
        mh_proptag tag = in->type == MH_RES_CONTENT ? in->u.content.tag : in->u.prop.tag;
        const mh_propval *val = in->type == MH_RES_CONTENT ? &in->u.content.val : &in->u.prop.val;
        if (MH_TAG_ID(tag) != MH_TAG_ID(PR_ANR)) {
            if (in->type == MH_RES_CONTENT)
                out->u.content.tag = client_tag(tag);
            else
                out->u.prop.tag = client_tag(tag);
            return MH_NSPI_SUCCESS;
        }
        if ((uint32_t)p->anr->nelts >= MH_NSPI_ANR_MAX)
            return MH_NSPI_TOO_COMPLEX;
        apr_hash_t *h = apr_hash_make(p->cx->pool);
        if (MH_TAG_TYPE(val->tag) == PT_UNICODE && val->v.str) {
            uint32_t *mids, n;
            uint32_t ec = mh_gal_anr(p->g, p->container, val->v.str, 0, p->cx->pool, &mids, &n);
            if (ec)
                return ec;
            for (uint32_t i = 0; i < n; i++)
                apr_hash_set(h, &mids[i], sizeof(uint32_t), (void *)1);
        }
        out->type = MH_RES_EXIST;
        out->u.exist.tag = ANR_TAG(p->anr->nelts);
        *(apr_hash_t **)apr_array_push(p->anr) = h;
        return MH_NSPI_SUCCESS;
    }
    case MH_RES_COMPAREPROPS:
        out->u.compare.tag1 = client_tag(in->u.compare.tag1);
        out->u.compare.tag2 = client_tag(in->u.compare.tag2);
        return MH_NSPI_SUCCESS;
    case MH_RES_BITMASK:
        out->u.bitmask.tag = client_tag(in->u.bitmask.tag);
        return MH_NSPI_SUCCESS;
    case MH_RES_SIZE:
        out->u.size.tag = client_tag(in->u.size.tag);
        return MH_NSPI_SUCCESS;
    case MH_RES_EXIST:
        out->u.exist.tag = client_tag(in->u.exist.tag);
        return MH_NSPI_SUCCESS;
    default:
        return MH_NSPI_TOO_COMPLEX; /* sub-object, comment, count restrictions */
    }
}

/* The ANR lookup a filter cannot hold without (the filter itself, or a
 * term of its top And), the smallest; NULL when there is none. */
static apr_hash_t *anr_bound(const mh_restriction *r, apr_hash_t **anr)
{
    if (r->type == MH_RES_EXIST && MH_TAG_ID(r->u.exist.tag) == 0 &&
        (MH_TAG_TYPE(r->u.exist.tag) & 0x8000))
        return anr[MH_TAG_TYPE(r->u.exist.tag) & 0x7FFF];
    apr_hash_t *best = NULL;
    if (r->type == MH_RES_AND)
        for (uint32_t i = 0; i < r->u.andor.n; i++) {
            apr_hash_t *h = anr_bound(&r->u.andor.sub[i], anr);
            if (h && (!best || apr_hash_count(h) < apr_hash_count(best)))
                best = h;
        }
    return best;
}

/* The rows of `cand` (NULL: of table t) a filter holds for, in order.  A
 * filter bound by an ANR lookup (Outlook's GetMatches after ResolveNames
 * found nothing) tests only what the lookup found, in table order: the
 * cost of the matches, not of the table. */
static uint32_t apply_filter(const mh_nspi_ctx *cx, mh_gal *g, uint32_t container,
                             const mh_restriction *filter, const uint32_t *cand, uint32_t n,
                             const mh_gal_table *t, apr_array_header_t *out)
{
    filter_prep p = {cx, g, container, apr_array_make(cx->pool, 2, sizeof(apr_hash_t *))};
    mh_restriction r;
    uint32_t ec = prepare(&p, filter, &r);
    if (ec)
        return ec;
    apr_hash_t *bound = cand ? NULL : anr_bound(&r, (apr_hash_t **)p.anr->elts);
    if (bound) {
        uint64_t *keys = apr_palloc(cx->pool, sizeof(uint64_t) * (apr_hash_count(bound) + 1));
        uint32_t k = 0;
        for (apr_hash_index_t *hi = apr_hash_first(cx->pool, bound); hi; hi = apr_hash_next(hi)) {
            uint32_t mid = *(const uint32_t *)apr_hash_this_key(hi);
            long pos = mh_gal_table_index(t, mid);
            if (pos >= 0)
                keys[k++] = ((uint64_t)pos << 32) | mid;
        }
        qsort(keys, k, sizeof(uint64_t), cmp_u64);
        uint32_t *mids = apr_palloc(cx->pool, sizeof(uint32_t) * (k ? k : 1));
        for (uint32_t i = 0; i < k; i++)
            mids[i] = (uint32_t)keys[i];
        cand = mids;
        n = k;
    } else if (!cand) {
        cand = t->mids;
        n = t->n;
    }
    filter_src f;
    memset(&f, 0, sizeof(f));
    f.src.get = filter_get;
    f.g = g;
    f.anr = (apr_hash_t **)p.anr->elts;
    f.n_anr = (uint32_t)p.anr->nelts;
    mh_res_counts *counts = mh_res_counts_create(&r, cx->pool);
    for (uint32_t i = 0; i < n; i++) {
        const mh_gal_obj *o = mh_gal_get(g, cand[i]);
        if (!o || !o->e)
            continue;
        f.o = o;
        if (mh_restriction_eval_counted(&r, &f.src, counts))
            *(uint32_t *)apr_array_push(out) = o->mid;
    }
    return MH_NSPI_SUCCESS;
}

/* NspiGetMatches (3.1.4.1.10) */
static void do_getmatches(const mh_nspi_ctx *cx, mh_gal *g,
                          const mh_nspi_getmatches_req *req, mh_nspi_getmatches_resp *resp)
{
    resp->has_state = req->has_state;
    resp->state = req->state;
    const mh_stat *in = &req->state;
    uint32_t ec = check_stat(req->has_state, in);
    apr_array_header_t *found = apr_array_make(cx->pool, 16, sizeof(uint32_t));
    uint32_t *mids = NULL, n = 0;
    if (!ec && req->has_filter && req->filter) {
        /* a restriction of a container (3.1.4.4.2.1): every sort type
         * sorts by display name here */
        const mh_gal_table *t;
        ec = mh_gal_table_of(g, in->container_id, &t);
        if (!ec && req->has_mids)
            ec = apply_filter(cx, g, in->container_id, req->filter, req->mids.ids, req->mids.n,
                              t, found);
        else if (!ec)
            ec = apply_filter(cx, g, in->container_id, req->filter, NULL, 0, t, found);
        mids = (uint32_t *)found->elts;
        n = (uint32_t)found->nelts;
    } else if (!ec) {
        /* the values of a link attribute (3.1.4.4.2.2): the ContainerID is
         * its tag, CurrentRec the object */
        const mh_gal_obj *o = mh_gal_get(g, in->current_rec);
        if (req->has_propname)
            ec = MH_NSPI_NOT_SUPPORTED; /* no named properties in this address book */
        else if (!o)
            ec = MH_NSPI_GENERAL_FAILURE;
        else if (in->sort_type == MH_NSPI_SORT_DISPLAY_NAME_W)
            ec = MH_NSPI_NOT_SUPPORTED; /* links are not modified through NSPI here */
        else
            ec = mh_gal_links(g, o, in->container_id, cx->pool, &mids, &n);
    }
    if (!ec && (n > req->row_count || n > MH_NSPI_ARRAY_MAX))
        ec = MH_NSPI_TABLE_TOO_BIG;
    mh_stat st = *in;
    if (!ec) {
        st.container_id = in->current_rec; /* constraint 15 */
        mh_stat q = st;
        if (req->has_columns && n)
            ec = query_rows(cx, g, MH_NSPI_FEPHID, &q, mids, n, n, &req->columns, &resp->rows);
        else if (req->has_columns)
            resp->rows.cols = req->columns; /* no rows */
    }
    resp->error_code = ec;
    if (ec)
        return;
    resp->state = st;
    resp->has_mids = 1;
    resp->mids.n = n;
    resp->mids.ids = mids;
    resp->has_rows = req->has_columns;
}

/* NspiResortRestriction (3.1.4.1.11) */
static void do_resortrestriction(const mh_nspi_ctx *cx, mh_gal *g,
                                 const mh_nspi_resortrestriction_req *req,
                                 mh_nspi_resortrestriction_resp *resp)
{
    resp->has_state = req->has_state;
    resp->state = req->state;
    uint32_t ec = check_stat(req->has_state, &req->state);
    if (!ec && req->state.sort_type != MH_NSPI_SORT_DISPLAY_NAME)
        ec = MH_NSPI_GENERAL_FAILURE;
    if (!ec && !req->has_mids)
        ec = MH_NSPI_INVALID_PARAMETER;
    resp->error_code = ec;
    if (ec)
        return;
    /* the GAL's order is the table order of every container: each MId by
     * its GAL position (O(log N)), a sort of (position, MId) pairs; MIds
     * naming no entry are left out (3.1.4.1.11), duplicates kept */
    const mh_gal_table *gal;
    ec = mh_gal_table_of(g, MH_GAL_MID_GAL, &gal);
    if (ec) {
        resp->error_code = ec;
        return;
    }
    uint64_t *keys = apr_palloc(cx->pool, sizeof(uint64_t) * (req->mids.n + 1));
    uint32_t n = 0;
    for (uint32_t i = 0; i < req->mids.n; i++) {
        long pos = mh_gal_table_index(gal, req->mids.ids[i]);
        if (pos >= 0)
            keys[n++] = ((uint64_t)pos << 32) | i;
    }
    qsort(keys, n, sizeof(uint64_t), cmp_u64);
    uint32_t *out = apr_palloc(cx->pool, sizeof(uint32_t) * (n ? n : 1));
    long cur = -1;
    for (uint32_t i = 0; i < n; i++) {
        out[i] = req->mids.ids[(uint32_t)keys[i]];
        if (cur < 0 && out[i] == req->state.current_rec)
            cur = (long)i;
    }
    resp->state.total_recs = n;
    if (cur < 0) {
        resp->state.num_pos = 0;
        resp->state.current_rec = MH_NSPI_MID_BEGINNING_OF_TABLE;
    } else {
        resp->state.num_pos = (uint32_t)cur;
    }
    resp->has_mids = 1;
    resp->mids.n = n;
    resp->mids.ids = out;
}

/* NspiCompareMIds (3.1.4.1.12) */
static void do_comparemids(const mh_nspi_ctx *cx, mh_gal *g,
                           const mh_nspi_comparemids_req *req, mh_nspi_comparemids_resp *resp)
{
    uint32_t ec = check_stat(req->has_state, &req->state);
    const mh_gal_table *t = NULL;
    if (!ec)
        ec = mh_gal_table_of(g, req->state.container_id, &t);
    if (!ec) {
        long a = mh_gal_table_index(t, req->mid1), b = mh_gal_table_index(t, req->mid2);
        if (a < 0 || b < 0)
            ec = MH_NSPI_GENERAL_FAILURE;
        else
            resp->result = a < b ? -1 : a > b;
    }
    resp->error_code = ec;
}

/* NspiDNToMId (3.1.4.1.13) */
static void do_dntomid(const mh_nspi_ctx *cx, mh_gal *g,
                       const mh_nspi_dntomid_req *req, mh_nspi_dntomid_resp *resp)
{
    uint32_t n = req->has_names ? req->names.n : 0;
    uint32_t *mids = apr_pcalloc(cx->pool, sizeof(uint32_t) * (n ? n : 1));
    for (uint32_t i = 0; i < n; i++) {
        const mh_gal_obj *o = mh_gal_find_dn(g, req->names.s[i]);
        mids[i] = o ? o->mid : 0; /* constraint 3: unknown DNs map to 0 */
    }
    resp->error_code = MH_NSPI_SUCCESS;
    resp->has_mids = 1;
    resp->mids.n = n;
    resp->mids.ids = mids;
}

/* ---------------------------------------------------------- properties */

/* NspiGetPropList (3.1.4.1.6) */
static uint32_t prop_list(mh_gal *g, uint32_t flags, uint32_t mid, apr_pool_t *pool,
                          mh_nspi_tags *out)
{
    const mh_gal_obj *o = mh_gal_get(g, mid);
    if (!o)
        return MH_NSPI_NOT_FOUND;
    mh_gal_tags(g, o, (flags & MH_NSPI_FSKIPOBJECTS) != 0, pool, out);
    return MH_NSPI_SUCCESS;
}

static void do_getproplist(const mh_nspi_ctx *cx, mh_gal *g,
                           const mh_nspi_getproplist_req *req, mh_nspi_getproplist_resp *resp)
{
    uint32_t ec = MH_NSPI_SUCCESS;
    if (!ec)
        ec = prop_list(g, req->flags, req->mid, cx->pool, &resp->tags);
    resp->error_code = ec;
    resp->has_tags = ec == MH_NSPI_SUCCESS;
}

/* NspiGetProps (3.1.4.1.7) */
static void do_getprops(const mh_nspi_ctx *cx, mh_gal *g,
                        const mh_nspi_getprops_req *req, mh_nspi_getprops_resp *resp)
{
    const mh_stat *st = &req->state;
    uint32_t ec = req->has_state ? MH_NSPI_SUCCESS : MH_NSPI_INVALID_PARAMETER;
    if (!ec && st->code_page == MH_NSPI_CP_WINUNICODE) {
        /* constraint 1: 8-bit strings asked for in the Unicode code page */
        int string8 = !req->has_tags;
        for (uint32_t i = 0; req->has_tags && i < req->tags.n; i++) {
            uint16_t ty = MH_TAG_TYPE(req->tags.tags[i]);
            if (ty == PT_STRING8 || ty == PT_MV_STRING8)
                string8 = 1;
        }
        if (string8)
            ec = MH_NSPI_INVALID_CODEPAGE;
    } else if (!ec && !mh_cp_supported(st->code_page)) {
        ec = MH_NSPI_INVALID_CODEPAGE;
    }
    if (!ec && !mh_gal_container_find(st->container_id))
        ec = MH_NSPI_INVALID_BOOKMARK;
    mh_nspi_tags tags;
    if (!ec) {
        if (req->has_tags)
            tags = req->tags;
        else
            ec = prop_list(g, req->flags, st->current_rec, cx->pool, &tags);
    }
    resp->code_page = req->has_state ? st->code_page : MH_NSPI_DEFAULT_CP;
    if (ec) {
        resp->error_code = ec;
        return;
    }
    const mh_gal_obj *o = mh_gal_get(g, st->current_rec);
    unsigned flags = eid_flags(req->flags);
    mh_propval *vals = apr_pcalloc(cx->pool, sizeof(mh_propval) * (tags.n ? tags.n : 1));
    for (uint32_t i = 0; i < tags.n; i++) {
        mh_proptag tag = tags.tags[i];
        const mh_propval *v = o ? mh_gal_prop(g, o, tag, flags) : NULL;
        if (v && MH_TAG_TYPE(v->tag) != PT_OBJECT && MH_TAG_TYPE(tag) != PT_ERROR) {
            vals[i] = *v;
            /* the client's type (PT_STRING8 makes the writer convert), or
             * the value's own for PT_UNSPECIFIED */
            if (MH_TAG_TYPE(tag) != PT_UNSPECIFIED)
                vals[i].tag = tag;
            else if (is_string(MH_TAG_TYPE(v->tag)))
                vals[i].tag = v->tag;
        } else {
            vals[i] = *error_value(cx->pool, tag,
                                   v && MH_TAG_TYPE(v->tag) == PT_OBJECT ? MAPI_E_NO_SUPPORT
                                                                         : MAPI_E_NOT_FOUND);
            ec = MH_NSPI_ERRORS_RETURNED;
        }
    }
    resp->error_code = ec;
    resp->has_values = 1;
    resp->values.n = tags.n;
    resp->values.v = vals;
}

/* NspiQueryColumns (3.1.4.1.5) */
static void do_querycolumns(const mh_nspi_ctx *cx, mh_gal *g,
                            const mh_nspi_querycolumns_req *req, mh_nspi_querycolumns_resp *resp)
{
    mh_gal_all_tags((req->mapi_flags & MH_NSPI_UNICODE_PROPTYPES) != 0, cx->pool,
                    &resp->columns);
    resp->error_code = MH_NSPI_SUCCESS;
    resp->has_columns = 1;
}

/* NspiGetSpecialTable (3.1.4.1.3) */
static void do_getspecialtable(const mh_nspi_ctx *cx, mh_gal *g,
                               const mh_nspi_getspecialtable_req *req,
                               mh_nspi_getspecialtable_resp *resp)
{
    uint32_t cp = req->has_state ? req->state.code_page : MH_NSPI_DEFAULT_CP;
    resp->code_page = cp;
    if (req->flags & MH_NSPI_ADDRESS_CREATION_TEMPLATES) {
        /* constraints 4, 9-11: no address creation table for any locale
         * is a table without rows, not an error */
        resp->error_code = MH_NSPI_SUCCESS;
        resp->has_version = req->has_version;
        resp->version = req->version;
        resp->has_rows = 1;
        resp->rows.n = 0;
        return;
    }
    int unicode = (req->flags & MH_NSPI_UNICODE_STRINGS) != 0;
    uint32_t ec = MH_NSPI_SUCCESS;
    if (!unicode && !mh_cp_supported(cp))
        ec = MH_NSPI_INVALID_CODEPAGE; /* constraint 1, and code pages not known */
    resp->error_code = ec;
    if (ec)
        return;
    resp->has_version = 1;
    resp->version = MH_GAL_HIERARCHY_VERSION;
    resp->has_rows = 1;
    if (req->has_version && req->version == MH_GAL_HIERARCHY_VERSION)
        resp->rows.n = 0; /* constraint 7: the client's copy is current */
    else
        mh_gal_hierarchy(g, unicode, cx->pool, &resp->rows);
}

/* ---------------------------------------------------------------- URLs */

/* The URL of `endpoint` for the mailbox of entry e. */
static const char *mailbox_url(const mh_nspi_ctx *cx, const mh_dir_entry *e,
                               const char *endpoint)
{
    if (!cx->base_url || !e->has_mailbox)
        return NULL;
    const char *domain = e->smtp ? strrchr(e->smtp, '@') : NULL;
    if (domain && domain[1]) {
        domain++;
    } else {
        const char *h = strstr(cx->base_url, "://");
        h = h ? h + 3 : cx->base_url;
        domain = apr_pstrmemdup(cx->pool, h, strcspn(h, ":/"));
    }
    return mh_ad_mailbox_url(cx->pool, cx->base_url, e->server && *e->server ? e->server : NULL,
                             endpoint, &e->mailbox, domain);
}

/* GetMailboxUrl (MS-OXCMAPIHTTP 2.2.5.18): a server DN, or failing that a
 * user's DN, to its /mapi/emsmdb URL */
static void do_getmailboxurl(const mh_nspi_ctx *cx, mh_gal *g,
                             const mh_nspi_getmailboxurl_req *req, mh_nspi_getmailboxurl_resp *resp)
{
    uint32_t ec = MH_NSPI_SUCCESS;
    const mh_gal_obj *o = NULL;
    if (!ec) {
        mh_guid mbx;
        if (mh_gal_parse_server_dn(req->server_dn, &mbx) == 0)
            o = mh_gal_find_mailbox(g, &mbx);
        else
            o = mh_gal_find_dn(g, req->server_dn);
        if (!o || !o->e || !o->e->has_mailbox)
            ec = MH_NSPI_NOT_FOUND;
    }
    if (!ec && !(resp->server_url = mailbox_url(cx, o->e, "emsmdb")))
        ec = MH_NSPI_GENERAL_FAILURE;
    resp->error_code = ec;
}

/* GetAddressBookUrl (MS-OXCMAPIHTTP 2.2.5.19): a user's DN to the
 * /mapi/nspi URL of their mailbox (the caller's own for entries without
 * one: the address book is the same everywhere) */
static void do_getaddressbookurl(const mh_nspi_ctx *cx, mh_gal *g,
                                 const mh_nspi_getaddressbookurl_req *req,
                                 mh_nspi_getaddressbookurl_resp *resp)
{
    uint32_t ec = MH_NSPI_SUCCESS;
    const mh_gal_obj *o = NULL;
    if (!ec) {
        o = mh_gal_find_dn(g, req->user_dn);
        if (!o || !o->e)
            ec = MH_NSPI_NOT_FOUND;
        else if (!o->e->has_mailbox)
            o = mh_gal_find_login(g, cx->user);
    }
    if (!ec && (!o || !o->e || !(resp->server_url = mailbox_url(cx, o->e, "nspi"))))
        ec = MH_NSPI_GENERAL_FAILURE;
    resp->error_code = ec;
}

/* -------------------------------------------------------- ResolveNames */

/* NspiResolveNamesW (3.1.4.1.17) */
static void do_resolvenames(const mh_nspi_ctx *cx, mh_gal *g,
                            const mh_nspi_resolvenames_req *req, mh_nspi_resolvenames_resp *resp)
{
    /* Reserved is ignored: Outlook sends 0x80000000 */
    uint32_t ec = check_stat(req->has_state, &req->state);
    resp->code_page = req->has_state ? req->state.code_page : MH_NSPI_DEFAULT_CP;
    if (!ec && !mh_gal_container_find(req->state.container_id))
        ec = MH_NSPI_INVALID_BOOKMARK;
    if (ec) {
        resp->error_code = ec;
        return;
    }
    uint32_t n = req->has_names ? req->names.n : 0;
    uint32_t *out = apr_pcalloc(cx->pool, sizeof(uint32_t) * (n ? n : 1));
    uint32_t *resolved = apr_pcalloc(cx->pool, sizeof(uint32_t) * (n ? n : 1));
    uint32_t n_resolved = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t *mids, k;
        ec = mh_gal_anr(g, req->state.container_id, req->names.s[i], 1, cx->pool, &mids, &k);
        if (ec) {
            resp->error_code = ec;
            return;
        }
        if (k == 0) {
            out[i] = MH_NSPI_MID_UNRESOLVED;
        } else if (k > 1) {
            out[i] = MH_NSPI_MID_AMBIGUOUS;
        } else {
            out[i] = mids[0];
            resolved[n_resolved++] = mids[0];
        }
    }
    mh_stat st = req->state;
    if (n_resolved) {
        ec = query_rows(cx, g, MH_NSPI_FEPHID, &st, resolved, n_resolved, n_resolved,
                        req->has_tags ? &req->tags : NULL, &resp->rows);
    } else {
        if (req->has_tags)
            resp->rows.cols = req->tags;
        else
            default_cols(&resp->rows.cols);
        resp->rows.n_rows = 0;
    }
    resp->error_code = ec;
    if (ec)
        return;
    resp->has_mids = 1;
    resp->mids.n = n;
    resp->mids.ids = out;
    resp->has_rows = 1;
}

/* ----------------------------------------------------- GetTemplateInfo */

/* NspiGetTemplateInfo (3.1.4.1.18; MS-OXOABKT 2.2) */
static void do_gettemplateinfo(const mh_nspi_ctx *cx, mh_gal *g,
                               const mh_nspi_gettemplateinfo_req *req,
                               mh_nspi_gettemplateinfo_resp *resp)
{
    resp->code_page = req->code_page;
    /* constraints 3-4: CP_WINUNICODE and code pages not known */
    uint32_t ec = mh_cp_supported(req->code_page) ? MH_NSPI_SUCCESS : MH_NSPI_INVALID_CODEPAGE;
    uint32_t display_type = req->display_type, lcid = req->locale_id;
    if (!ec && req->has_template_dn) {
        /* constraint 5: the DN names the template, ulType and the LCID are
         * ignored.  The templates are those of the address book's objects:
         * an object's DN (its PidTagTemplateid) names its display type's. */
        const mh_gal_obj *o = req->template_dn ? mh_gal_find_dn(g, req->template_dn) : NULL;
        if (!o || !o->e)
            ec = MH_NSPI_INVALID_LOCALE;
        else {
            display_type = mh_gal_display_type(o);
            lcid = MH_TMPL_DEFAULT_LCID;
        }
    }
    mh_bin blob = {0, NULL};
    if (!ec)
        ec = mh_nspi_template(display_type, lcid, req->code_page, cx->pool, &blob);
    resp->error_code = ec;
    if (ec)
        return; /* constraint 1: no row */
    /* constraint 6: what the flags ask for; other flags (the help file
     * ones, TI_EMT of address creation templates) add nothing */
    mh_propval *v = apr_pcalloc(cx->pool, sizeof(mh_propval) * 2);
    uint32_t n = 0;
    if (req->flags & MH_NSPI_TI_TEMPLATE)
        v[n++] = mh_pv_bin(PR_TEMPLATE_DATA, blob.data, blob.len);
    if (req->flags & MH_NSPI_TI_SCRIPT)
        v[n++] = *error_value(cx->pool, PR_SCRIPT_DATA, MAPI_E_NOT_FOUND); /* none here */
    resp->has_row = 1;
    resp->row.n = n;
    resp->row.v = v;
}

/* ---------------------------------------------------------------- Bind */

uint32_t mh_nspi_bind(const mh_nspi_ctx *cx, const mh_nspi_bind_req *req, const char **why_r)
{
    *why_r = NULL;
    if (req->has_state && !mh_cp_supported(req->state.code_page)) {
        /* constraint 5 (and constraint 1: CP_WINUNICODE) */
        *why_r = apr_psprintf(cx->pool, "code page %u is not served", req->state.code_page);
        return MH_NSPI_INVALID_CODEPAGE;
    }
    if (!cx->be)
        return MH_NSPI_SUCCESS;
    mh_betxn *t;
    mh_error err = {MH_OK, NULL};
    mh_dir_entry e;
    mh_err r = mh_be_begin(cx->be, NULL, MH_TXN_READ, cx->pool, &t, &err);
    if (r == MH_OK) {
        r = mh_be_dir_find(t, MH_DIR_BY_LOGIN, cx->user, &e, &err);
        mh_be_abort(t);
    }
    if (r == MH_E_NOT_FOUND) {
        *why_r = "the user is not in the directory";
        return MH_NSPI_LOGON_FAILED;
    }
    if (r != MH_OK) {
        *why_r = apr_psprintf(cx->pool, "directory lookup failed: %s", mh_err_name(r));
        return MH_NSPI_GENERAL_FAILURE;
    }
    if (e.disabled) {
        *why_r = "the user is disabled in the directory";
        return MH_NSPI_LOGON_FAILED;
    }
    return MH_NSPI_SUCCESS;
}

/* ------------------------------------------------------------ dispatch */

void mh_nspi_handle(const mh_nspi_ctx *cx, mh_reqtype rt, const mh_nspi_req *req,
                    mh_nspi_resp *resp)
{
    memset(resp, 0, sizeof(*resp));
    mh_gal *g = NULL;
    switch (rt) {
    case MH_RT_MODPROPS:
        mh_nspi_modprops(cx, &req->modprops, &resp->modprops); /* a transaction of its own */
        return;
    case MH_RT_MODLINKATT:
        mh_nspi_modlinkatt(cx, &req->modlinkatt, &resp->modlinkatt);
        return;
    case MH_RT_BIND:
    case MH_RT_UNBIND:
        /* they make and end contexts: mh_call's */
        resp->unbind.error_code = MH_NSPI_GENERAL_FAILURE;
        return;
    default:
        break;
    }
    /* one read transaction for the whole call */
    uint32_t ec = open_gal(cx, &g);
    if (ec) {
        /* every response struct begins with status_code, error_code */
        resp->unbind.error_code = ec;
        return;
    }
    switch (rt) {
    case MH_RT_UPDATESTAT:
        do_updatestat(cx, g, &req->updatestat, &resp->updatestat);
        break;
    case MH_RT_QUERYROWS:
        do_queryrows(cx, g, &req->queryrows, &resp->queryrows);
        break;
    case MH_RT_SEEKENTRIES:
        do_seekentries(cx, g, &req->seekentries, &resp->seekentries);
        break;
    case MH_RT_GETMATCHES:
        do_getmatches(cx, g, &req->getmatches, &resp->getmatches);
        break;
    case MH_RT_RESORTRESTRICTION:
        do_resortrestriction(cx, g, &req->resortrestriction, &resp->resortrestriction);
        break;
    case MH_RT_COMPAREMIDS:
        do_comparemids(cx, g, &req->comparemids, &resp->comparemids);
        break;
    case MH_RT_DNTOMID:
        do_dntomid(cx, g, &req->dntomid, &resp->dntomid);
        break;
    case MH_RT_GETPROPLIST:
        do_getproplist(cx, g, &req->getproplist, &resp->getproplist);
        break;
    case MH_RT_GETPROPS:
        do_getprops(cx, g, &req->getprops, &resp->getprops);
        break;
    case MH_RT_QUERYCOLUMNS:
        do_querycolumns(cx, g, &req->querycolumns, &resp->querycolumns);
        break;
    case MH_RT_GETSPECIALTABLE:
        do_getspecialtable(cx, g, &req->getspecialtable, &resp->getspecialtable);
        break;
    case MH_RT_GETMAILBOXURL:
        do_getmailboxurl(cx, g, &req->getmailboxurl, &resp->getmailboxurl);
        break;
    case MH_RT_GETADDRESSBOOKURL:
        do_getaddressbookurl(cx, g, &req->getaddressbookurl, &resp->getaddressbookurl);
        break;
    case MH_RT_RESOLVENAMES:
        do_resolvenames(cx, g, &req->resolvenames, &resp->resolvenames);
        break;
    case MH_RT_GETTEMPLATEINFO:
        do_gettemplateinfo(cx, g, &req->gettemplateinfo, &resp->gettemplateinfo);
        break;
    default:
        resp->unbind.error_code = MH_NSPI_GENERAL_FAILURE; /* not an NSPI type */
        break;
    }
    mh_gal_close(g);
}
