/*
 * mh_tview.c - table views without a backend (MS-OXCTABL 2.2.1, 3.2.5):
 * restriction filter, multi-valued instances, standard and categorized
 * sorts, category header rows, expand/collapse, anchors, find.
 */
#include "mh_tview.h"

#include <string.h>

#include "mh_mapierr.h"
#include "mh_props.h"

/* One row of the sorted table: a source row, or one instance of it when a
 * multi-valued column is sorted by instance (MS-OXCTABL 3.2.5.3). */
typedef struct tv_inst {
    uint32_t row;
    int32_t mvi;             /* the value's index, -1: not an instance */
    mh_propval mvval;        /* that value, single-valued */
    const mh_propval **agg;  /* per category level: the group's aggregate */
} tv_inst;

typedef struct tv_cat {
    uint64_t id;
    uint32_t depth;
    int32_t parent;          /* the enclosing category, -1 at depth 0 */
    uint32_t first;          /* inst holding the category values */
    uint32_t count, unread;  /* leaf rows inside (any depth) */
    uint8_t expanded;
    uint8_t open;            /* expanded, and every parent open */
    const mh_propval *agg;
} tv_cat;

/* The ordered table with every row, visible or not. */
typedef struct tv_ent {
    uint8_t header;
    uint32_t ref;            /* header: cat; leaf: inst */
    int32_t cat;             /* header: own cat; leaf: innermost cat or -1 */
} tv_ent;

struct mh_tview {
    apr_pool_t *pool;
    mh_tv_row *rows;
    uint32_t n_rows;
    const mh_sort_set *sort;
    uint32_t nsort, ncat, nexp;
    int mvcol;               /* sort order sorted by instance, -1 */
    int aggcol;              /* sort order with MAXIMUM/MINIMUM_CATEGORY, -1 */
    int aggmax;
    tv_inst *inst;
    uint32_t n_inst;
    tv_cat *cats;
    uint32_t n_cats;
    tv_ent *all;
    uint32_t n_all;
    uint32_t *vis;
    uint32_t n_vis;
    mh_tv_toggle *tog;
    uint32_t n_tog, cap_tog;
    mh_tv_ensure_fn *ensure;
    mh_tv_fetch_fn *fetch;   /* rows on demand: row i is visible row i */
    void *baton;
};

/* ------------------------------------------------------------ lookups */

static uint16_t norm_type(uint16_t t)
{
    t &= (uint16_t)~MH_MV_INSTANCE;
    if (t == PT_STRING8)
        return PT_UNICODE;
    if (t == PT_MV_STRING8)
        return PT_MV_UNICODE;
    return t;
}

const mh_propval *mh_tv_find_prop(const mh_proplist *l, mh_proptag tag)
{
    uint16_t id = MH_TAG_ID(tag), type = norm_type(MH_TAG_TYPE(tag));
    for (uint32_t i = 0; i < l->n; i++) {
        const mh_propval *v = &l->v[i];
        if (MH_TAG_ID(v->tag) != id)
            continue;
        uint16_t vt = norm_type(MH_TAG_TYPE(v->tag));
        if (type == PT_UNSPECIFIED || vt == type || vt == PT_ERROR)
            return v;
    }
    return NULL;
}

/* Element i of a multi-valued value as a single value. */
static void mv_elem(const mh_propval *mv, uint32_t i, mh_propval *out)
{
    uint16_t base = MH_TAG_TYPE(mv->tag) & (uint16_t)~MV_FLAG;
    memset(out, 0, sizeof(*out));
    out->tag = MH_TAG(MH_TAG_ID(mv->tag), base);
    switch (base) {
    case PT_SHORT: out->v.i16 = ((const int16_t *)mv->v.mv.v)[i]; break;
    case PT_LONG: out->v.i32 = ((const int32_t *)mv->v.mv.v)[i]; break;
    case PT_FLOAT: out->v.f32 = ((const float *)mv->v.mv.v)[i]; break;
    case PT_DOUBLE: case PT_APPTIME: out->v.f64 = ((const double *)mv->v.mv.v)[i]; break;
    case PT_CURRENCY: case PT_I8: out->v.i64 = ((const int64_t *)mv->v.mv.v)[i]; break;
    case PT_SYSTIME: out->v.ft = ((const uint64_t *)mv->v.mv.v)[i]; break;
    case PT_UNICODE: out->v.str = ((const char *const *)mv->v.mv.v)[i]; break;
    case PT_CLSID: out->v.guid = &((const mh_guid *)mv->v.mv.v)[i]; break;
    case PT_BINARY: out->v.bin = ((const mh_bin *)mv->v.mv.v)[i]; break;
    default: out->tag = MH_TAG(MH_TAG_ID(mv->tag), PT_ERROR); out->v.err = MAPI_E_NOT_FOUND;
    }
}

/* The value sort order k has for an instance. */
static const mh_propval *sortval(const mh_tview *v, const tv_inst *in, uint32_t k)
{
    if ((int)k == v->mvcol)
        return in->mvi >= 0 ? &in->mvval : NULL;
    const mh_propval *pv = mh_tv_find_prop(&v->rows[in->row].props, v->sort->orders[k].tag);
    if (pv && MH_TAG_TYPE(pv->tag) == PT_ERROR)
        return NULL;
    return pv;
}

/* ------------------------------------------------------------ sorting */

static int cmp_inst(const mh_tview *v, const tv_inst *a, const tv_inst *b, int with_agg)
{
    for (uint32_t k = 0; k < v->nsort; k++) {
        int c;
        if (with_agg && k < v->ncat && v->aggcol >= 0) {
            c = mh_propval_cmp(a->agg[k], b->agg[k]);
            if (v->aggmax)
                c = -c; /* newest (largest) group first */
            if (c)
                return c;
        }
        c = mh_propval_cmp(sortval(v, a, k), sortval(v, b, k));
        uint8_t order = v->sort->orders[k].order;
        if ((int)k == v->aggcol ? v->aggmax : (order & MH_TABLE_SORT_DESCEND))
            c = -c;
        if (c)
            return c;
    }
    /* ties: by ID then instance, so every rebuild gives the same order; in
     * the direction of the last sort order, as the backend's indexes break
     * them (mapihttp/backend.h mh_sort) */
    int dir = v->nsort && (v->sort->orders[v->nsort - 1].order & MH_TABLE_SORT_DESCEND) ? -1 : 1;
    if (a->row != b->row) {
        uint64_t ia = v->rows[a->row].id, ib = v->rows[b->row].id;
        if (ia != ib)
            return ia < ib ? -dir : dir;
        return a->row < b->row ? -1 : 1;
    }
    return a->mvi < b->mvi ? -1 : a->mvi > b->mvi;
}

/* Stable merge sort of instance indexes (qsort has no context argument). */
static void msort(const mh_tview *v, uint32_t *x, uint32_t *tmp, uint32_t n, int with_agg)
{
    if (n < 2)
        return;
    uint32_t h = n / 2;
    msort(v, x, tmp, h, with_agg);
    msort(v, x + h, tmp, n - h, with_agg);
    uint32_t i = 0, j = h, o = 0;
    while (i < h && j < n) {
        if (cmp_inst(v, &v->inst[x[j]], &v->inst[x[i]], with_agg) < 0)
            tmp[o++] = x[j++];
        else
            tmp[o++] = x[i++];
    }
    while (i < h)
        tmp[o++] = x[i++];
    while (j < n)
        tmp[o++] = x[j++];
    memcpy(x, tmp, n * sizeof(*x));
}

static void sort_insts(mh_tview *v, int with_agg)
{
    uint32_t *x = apr_palloc(v->pool, (v->n_inst + 1) * sizeof(*x));
    uint32_t *tmp = apr_palloc(v->pool, (v->n_inst + 1) * sizeof(*tmp));
    for (uint32_t i = 0; i < v->n_inst; i++)
        x[i] = i;
    msort(v, x, tmp, v->n_inst, with_agg);
    tv_inst *sorted = apr_palloc(v->pool, (v->n_inst + 1) * sizeof(*sorted));
    for (uint32_t i = 0; i < v->n_inst; i++)
        sorted[i] = v->inst[x[i]];
    v->inst = sorted;
}

/* The first level at which b starts a new category after a (ncat: none). */
static uint32_t split_level(const mh_tview *v, const tv_inst *a, const tv_inst *b)
{
    for (uint32_t l = 0; l < v->ncat; l++)
        if (mh_propval_cmp(sortval(v, a, l), sortval(v, b, l)) != 0)
            return l;
    return v->ncat;
}

/* --------------------------------------------------------- categories */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* A category's ID: its depth and category values, strings folded as the
 * comparison folds them, so the same category gets the same ID in every
 * rebuild of the table. */
static uint64_t cat_id(const mh_tview *v, const tv_inst *in, uint32_t depth, apr_pool_t *pool)
{
    uint64_t h = 0xcbf29ce484222325ull;
    uint8_t d = (uint8_t)depth;
    h = fnv(h, &d, 1);
    for (uint32_t l = 0; l <= depth; l++) {
        const mh_propval *pv = sortval(v, in, l);
        if (!pv) {
            uint8_t none = 0xFF;
            h = fnv(h, &none, 1);
            continue;
        }
        if (MH_TAG_TYPE(pv->tag) == PT_UNICODE && pv->v.str) {
            for (const char *s = pv->v.str; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c >= 'A' && c <= 'Z')
                    c = (unsigned char)(c + 32);
                h = fnv(h, &c, 1);
            }
            continue;
        }
        mh_wr wr;
        mh_wr_init(&wr, pool, 32);
        mh_propval_encode(&wr, pv);
        h = fnv(h, wr.buf, wr.len);
    }
    return h;
}

static int toggle_find(const mh_tview *v, uint64_t id)
{
    for (uint32_t i = 0; i < v->n_tog; i++)
        if (v->tog[i].id == id)
            return (int)i;
    return -1;
}

static void toggle_set(mh_tview *v, uint64_t id, uint32_t depth, uint8_t expanded)
{
    int i = toggle_find(v, id);
    uint8_t dflt = depth < v->nexp;
    if (expanded == dflt) {
        if (i >= 0)
            v->tog[i] = v->tog[--v->n_tog];
        return;
    }
    if (i >= 0) {
        v->tog[i].expanded = expanded;
        return;
    }
    if (v->n_tog == v->cap_tog) {
        uint32_t cap = v->cap_tog ? v->cap_tog * 2 : 8;
        mh_tv_toggle *t = apr_palloc(v->pool, cap * sizeof(*t));
        if (v->n_tog)
            memcpy(t, v->tog, v->n_tog * sizeof(*t));
        v->tog = t;
        v->cap_tog = cap;
    }
    v->tog[v->n_tog].id = id;
    v->tog[v->n_tog].expanded = expanded;
    v->n_tog++;
}

/* Recomputes which rows are visible from the categories' states. */
static void refresh_visible(mh_tview *v)
{
    for (uint32_t c = 0; c < v->n_cats; c++) {
        tv_cat *cat = &v->cats[c];
        cat->open = cat->expanded && (cat->parent < 0 || v->cats[cat->parent].open);
    }
    v->n_vis = 0;
    for (uint32_t i = 0; i < v->n_all; i++) {
        const tv_ent *e = &v->all[i];
        int shown;
        if (e->header) {
            int32_t p = v->cats[e->ref].parent;
            shown = p < 0 || v->cats[p].open;
        } else {
            shown = e->cat < 0 || v->cats[e->cat].open;
        }
        if (shown)
            v->vis[v->n_vis++] = i;
    }
}

/* Builds header rows and the ordered list from the sorted instances. */
static void build_categories(mh_tview *v)
{
    uint32_t cap = v->n_inst * (v->ncat + 1) + 1;
    v->all = apr_palloc(v->pool, cap * sizeof(*v->all));
    v->cats = apr_palloc(v->pool, (v->n_inst * v->ncat + 1) * sizeof(*v->cats));
    v->vis = apr_palloc(v->pool, cap * sizeof(*v->vis));
    v->n_all = v->n_cats = 0;
    int32_t cur[256];
    for (uint32_t i = 0; i < v->n_inst; i++) {
        const tv_inst *in = &v->inst[i];
        uint32_t from = i == 0 ? 0 : split_level(v, &v->inst[i - 1], in);
        for (uint32_t l = from; l < v->ncat; l++) {
            tv_cat *c = &v->cats[v->n_cats];
            c->depth = l;
            c->parent = l ? cur[l - 1] : -1;
            c->first = i;
            c->count = c->unread = 0;
            c->id = cat_id(v, in, l, v->pool);
            int t = toggle_find(v, c->id);
            c->expanded = t >= 0 ? v->tog[t].expanded : (uint8_t)(l < v->nexp);
            c->agg = v->aggcol >= 0 ? in->agg[l] : NULL;
            cur[l] = (int32_t)v->n_cats;
            v->all[v->n_all].header = 1;
            v->all[v->n_all].ref = v->n_cats;
            v->all[v->n_all].cat = (int32_t)v->n_cats;
            v->n_all++;
            v->n_cats++;
        }
        for (uint32_t l = 0; l < v->ncat; l++) {
            v->cats[cur[l]].count++;
            if (v->rows[in->row].unread)
                v->cats[cur[l]].unread++;
        }
        v->all[v->n_all].header = 0;
        v->all[v->n_all].ref = i;
        v->all[v->n_all].cat = v->ncat ? cur[v->ncat - 1] : -1;
        v->n_all++;
    }
    refresh_visible(v);
}

/* Group aggregates for MAXIMUM/MINIMUM_CATEGORY (MS-OXCDATA 2.13.1): the
 * categories are ordered by the largest (smallest) value of the column
 * among their rows. */
static void compute_aggregates(mh_tview *v)
{
    for (uint32_t i = 0; i < v->n_inst; i++)
        v->inst[i].agg = apr_pcalloc(v->pool, v->ncat * sizeof(*v->inst[i].agg));
    for (uint32_t l = 0; l < v->ncat; l++) {
        uint32_t start = 0;
        for (uint32_t i = 1; i <= v->n_inst; i++) {
            if (i < v->n_inst && split_level(v, &v->inst[i - 1], &v->inst[i]) > l)
                continue;
            const mh_propval *best = NULL;
            for (uint32_t j = start; j < i; j++) {
                const mh_propval *pv = sortval(v, &v->inst[j], (uint32_t)v->aggcol);
                if (!pv)
                    continue;
                int c = best ? mh_propval_cmp(pv, best) : 1;
                if (!best || (v->aggmax ? c > 0 : c < 0))
                    best = pv;
            }
            for (uint32_t j = start; j < i; j++)
                v->inst[j].agg[l] = best;
            start = i;
        }
    }
}

/* --------------------------------------------------------------- build */

typedef struct tv_src {
    mh_res_source src;
    const mh_tview *v;
    const mh_proplist *props;
} tv_src;

static const mh_propval *rowsrc_get(const mh_res_source *s, mh_proptag tag)
{
    const tv_src *t = (const tv_src *)s;
    const mh_propval *pv = mh_tv_find_prop(t->props, tag);
    return pv && MH_TAG_TYPE(pv->tag) == PT_ERROR ? NULL : pv;
}

static int nosub(const mh_res_source *s, mh_proptag so, int (*fn)(void *, const mh_res_source *),
                 void *ctx)
{
    (void)s; (void)so; (void)fn; (void)ctx;
    return 0;
}

uint32_t mh_tview_build(apr_pool_t *pool, mh_tv_row *rows, uint32_t n, const mh_tv_params *p,
                        mh_tview **v_r)
{
    mh_tview *v = apr_pcalloc(pool, sizeof(*v));
    v->pool = pool;
    v->rows = rows;
    v->n_rows = n;
    v->mvcol = v->aggcol = -1;
    v->ensure = p->ensure;
    v->baton = p->baton;
    if (p->sort && p->sort->n && !p->presorted) {
        const mh_sort_set *s = p->sort;
        if (s->categorized > s->n || s->expanded > s->categorized || s->categorized > 255)
            return MAPI_E_INVALID_PARAMETER;
        v->sort = s;
        v->nsort = s->n;
        v->ncat = s->categorized;
        v->nexp = s->expanded;
        for (uint32_t k = 0; k < s->n; k++) {
            uint16_t t = MH_TAG_TYPE(s->orders[k].tag);
            uint8_t o = s->orders[k].order;
            if (o & ~(MH_TABLE_SORT_DESCEND | MH_TABLE_SORT_MAXIMUM_CATEGORY |
                      MH_TABLE_SORT_MINIMUM_CATEGORY))
                return MAPI_E_INVALID_PARAMETER;
            if (t & MH_MV_INSTANCE) {
                if (!(t & MV_FLAG) || v->mvcol >= 0)
                    return MAPI_E_TOO_COMPLEX;
                v->mvcol = (int)k;
            } else if (t & MV_FLAG) {
                return MAPI_E_TOO_COMPLEX; /* sorting by a whole multi-valued value */
            }
            if (o & (MH_TABLE_SORT_MAXIMUM_CATEGORY | MH_TABLE_SORT_MINIMUM_CATEGORY)) {
                /* only the column right after the category columns may
                 * order the categories (MS-OXCDATA 2.13.1) */
                if (k != v->ncat || v->ncat == 0 ||
                    (o & MH_TABLE_SORT_MAXIMUM_CATEGORY && o & MH_TABLE_SORT_MINIMUM_CATEGORY))
                    return MAPI_E_TOO_COMPLEX;
                v->aggcol = (int)k;
                v->aggmax = (o & MH_TABLE_SORT_MAXIMUM_CATEGORY) != 0;
            }
        }
    }
    if (p->n_toggles) {
        v->cap_tog = p->n_toggles;
        v->tog = apr_pmemdup(pool, p->toggles, p->n_toggles * sizeof(*p->toggles));
        v->n_tog = p->n_toggles;
    }
    if (p->fetch) {
        /* in order already, every row visible: nothing to arrange */
        if (rows || p->res || !p->presorted)
            return MAPI_E_INVALID_PARAMETER;
        v->fetch = p->fetch;
        v->n_vis = n;
        *v_r = v;
        return 0;
    }

    /* filter, then instances */
    uint32_t cap = n + 1;
    v->inst = apr_palloc(pool, cap * sizeof(*v->inst));
    tv_src src = {{rowsrc_get, nosub, NULL}, v, NULL};
    for (uint32_t i = 0; i < n; i++) {
        if (p->res) {
            src.props = &rows[i].props;
            if (!mh_restriction_eval(p->res, &src.src))
                continue;
        }
        const mh_propval *mv = NULL;
        if (v->mvcol >= 0) {
            mh_proptag t = v->sort->orders[v->mvcol].tag;
            mv = mh_tv_find_prop(&rows[i].props, t & ~(mh_proptag)MH_MV_INSTANCE);
            if (mv && (!(MH_TAG_TYPE(mv->tag) & MV_FLAG) || mv->v.mv.n == 0))
                mv = NULL;
        }
        uint32_t k = mv ? mv->v.mv.n : 1;
        if (v->n_inst + k > cap) {
            while (v->n_inst + k > cap)
                cap *= 2;
            tv_inst *ni = apr_palloc(pool, cap * sizeof(*ni));
            memcpy(ni, v->inst, v->n_inst * sizeof(*ni));
            v->inst = ni;
        }
        for (uint32_t j = 0; j < k; j++) {
            tv_inst *in = &v->inst[v->n_inst++];
            memset(in, 0, sizeof(*in));
            in->row = i;
            in->mvi = mv ? (int32_t)j : -1;
            if (mv)
                mv_elem(mv, j, &in->mvval);
        }
    }

    if (v->nsort) {
        sort_insts(v, 0);
        if (v->aggcol >= 0) {
            compute_aggregates(v);
            sort_insts(v, 1);
        }
    }
    build_categories(v);
    *v_r = v;
    return 0;
}

uint32_t mh_tview_count(const mh_tview *v)
{
    return v->n_vis;
}

/* ------------------------------------------------------------- values */

int mh_tview_info(const mh_tview *v, uint32_t idx, mh_tv_info *info)
{
    if (idx >= v->n_vis)
        return -1;
    memset(info, 0, sizeof(*info));
    if (v->fetch) {
        info->row = v->fetch(v->baton, idx);
        info->id = info->row->id;
        info->row_type = MH_TBL_LEAF_ROW;
        return 0;
    }
    const tv_ent *e = &v->all[v->vis[idx]];
    if (e->header) {
        const tv_cat *c = &v->cats[e->ref];
        info->header = 1;
        info->id = c->id;
        info->depth = c->depth;
        info->row_type = c->expanded ? MH_TBL_EXPANDED_CATEGORY : MH_TBL_COLLAPSED_CATEGORY;
    } else {
        const tv_inst *in = &v->inst[e->ref];
        info->row = &v->rows[in->row];
        info->id = info->row->id;
        info->num = in->mvi >= 0 ? (uint32_t)in->mvi + 1 : 0;
        info->depth = v->ncat;
        info->row_type = MH_TBL_LEAF_ROW;
    }
    return 0;
}

static const mh_propval *mk(mh_tview *v, mh_propval pv)
{
    mh_propval *r = apr_palloc(v->pool, sizeof(*r));
    *r = pv;
    return r;
}

static const mh_propval *computed(mh_tview *v, const mh_tv_info *in, mh_proptag tag)
{
    uint16_t id = MH_TAG_ID(tag);
    if (id == MH_TAG_ID(PR_INST_ID))
        return mk(v, mh_pv_i8(PR_INST_ID, (int64_t)in->id));
    if (id == MH_TAG_ID(PR_INSTANCE_NUM))
        return mk(v, mh_pv_long(PR_INSTANCE_NUM, (int32_t)in->num));
    if (id == MH_TAG_ID(PR_ROW_TYPE))
        return mk(v, mh_pv_long(PR_ROW_TYPE, (int32_t)in->row_type));
    if (id == MH_TAG_ID(PR_DEPTH))
        return mk(v, mh_pv_long(PR_DEPTH, (int32_t)in->depth));
    if (id == MH_TAG_ID(PR_INSTANCE_KEY)) {
        uint8_t *b = apr_palloc(v->pool, 12);
        for (int i = 0; i < 8; i++)
            b[i] = (uint8_t)(in->id >> (8 * i));
        mh_put_u32(b + 8, in->num);
        return mk(v, mh_pv_bin(PR_INSTANCE_KEY, b, 12));
    }
    return NULL;
}

/* mh_tv_find_prop, looking at positions `hint` and the two before first
 * (a row's values are in the order of the table's columns, but for the
 * ones it lacks and the ones the view computes, such as PR_INSTANCE_KEY). */
static const mh_propval *find_hinted(const mh_proplist *l, mh_proptag tag, uint32_t hint)
{
    for (uint32_t back = 0; back < 3 && hint >= back && hint - back < l->n; back++) {
        const mh_propval *c = &l->v[hint - back];
        if (c->tag == tag)
            return c;
    }
    return mh_tv_find_prop(l, tag);
}

/* mh_tview_value for a row whose info is known. */
static const mh_propval *value_of(mh_tview *v, uint32_t idx, const mh_tv_info *where,
                                  mh_proptag tag, uint32_t hint)
{
    mh_tv_info info = *where;
    /* a hierarchy table's rows carry their own depth below the folder the
     * table was opened on (MS-OXCFOLD 2.2.1.13 Depth flag) */
    if (!info.header && v->ncat == 0 && MH_TAG_ID(tag) == MH_TAG_ID(PR_DEPTH)) {
        const mh_propval *d = mh_tv_find_prop(&info.row->props, PR_DEPTH);
        if (d)
            return d;
    }
    const mh_propval *pv = computed(v, &info, tag);
    if (pv)
        return pv;
    if (v->fetch) {
        if (MH_TAG_TYPE(tag) & MH_MV_INSTANCE)
            return NULL; /* no instances: the sort is the backend's */
        if (!info.row->loaded && v->ensure && v->ensure(v->baton, info.row) != 0)
            return NULL;
        return find_hinted(&info.row->props, tag, hint);
    }
    const tv_ent *e = &v->all[v->vis[idx]];
    if (info.header) {
        const tv_cat *c = &v->cats[e->ref];
        if (MH_TAG_ID(tag) == MH_TAG_ID(PR_CONTENT_COUNT))
            return mk(v, mh_pv_long(PR_CONTENT_COUNT, (int32_t)c->count));
        if (MH_TAG_ID(tag) == MH_TAG_ID(PR_CONTENT_UNREAD))
            return mk(v, mh_pv_long(PR_CONTENT_UNREAD, (int32_t)c->unread));
        /* the category columns down to its depth, and the aggregate */
        for (uint32_t l = 0; l <= c->depth; l++) {
            mh_proptag st = v->sort->orders[l].tag;
            if (MH_TAG_ID(st) == MH_TAG_ID(tag) &&
                ((MH_TAG_TYPE(st) ^ MH_TAG_TYPE(tag)) & MH_MV_INSTANCE) == 0)
                return sortval(v, &v->inst[c->first], l);
        }
        if (v->aggcol >= 0 && MH_TAG_ID(v->sort->orders[v->aggcol].tag) == MH_TAG_ID(tag))
            return c->agg;
        return NULL;
    }
    const tv_inst *in = &v->inst[e->ref];
    if (MH_TAG_TYPE(tag) & MH_MV_INSTANCE) {
        if (in->mvi >= 0 && MH_TAG_ID(tag) == MH_TAG_ID(v->sort->orders[v->mvcol].tag))
            return &in->mvval;
        return NULL;
    }
    mh_tv_row *row = &v->rows[in->row];
    if (!row->loaded && v->ensure) {
        if (v->ensure(v->baton, row) != 0)
            return NULL;
    }
    return find_hinted(&row->props, tag, hint);
}

const mh_propval *mh_tview_value(mh_tview *v, uint32_t idx, mh_proptag tag)
{
    mh_tv_info info;
    if (mh_tview_info(v, idx, &info) != 0)
        return NULL;
    return value_of(v, idx, &info, tag, UINT32_MAX);
}

void mh_tview_values(mh_tview *v, uint32_t idx, const mh_proptag *tags, uint32_t n,
                     const mh_propval **vals)
{
    mh_tv_info info;
    int ok = mh_tview_info(v, idx, &info) == 0;
    for (uint32_t i = 0; i < n; i++)
        vals[i] = ok ? value_of(v, idx, &info, tags[i], i) : NULL;
}

/* ------------------------------------------------------------ anchors */

mh_tv_anchor mh_tview_anchor(const mh_tview *v, uint32_t pos)
{
    mh_tv_anchor a;
    mh_tv_info info;
    memset(&a, 0, sizeof(a));
    a.idx = pos;
    if (mh_tview_info(v, pos, &info) == 0) {
        a.id = info.id;
        a.num = info.num;
        a.at_row = 1;
    }
    return a;
}

static int info_is(const mh_tview *v, uint32_t idx, uint64_t id, uint32_t num)
{
    mh_tv_info info;
    return mh_tview_info(v, idx, &info) == 0 && info.id == id && info.num == num;
}

uint32_t mh_tview_resolve(const mh_tview *v, const mh_tv_anchor *a, int *gone_r)
{
    uint32_t clamp = a->idx < v->n_vis ? a->idx : v->n_vis;
    *gone_r = 0;
    if (!a->at_row)
        return clamp;
    if (info_is(v, a->idx, a->id, a->num))
        return a->idx;
    for (uint32_t i = 0; i < v->n_vis; i++)
        if (info_is(v, i, a->id, a->num))
            return i;
    *gone_r = 1;
    return clamp;
}

/* ---------------------------------------------------- expand/collapse */

static int find_header(const mh_tview *v, uint64_t cat_id, uint32_t *idx_r)
{
    if (v->fetch)
        return -1; /* no categories */
    for (uint32_t i = 0; i < v->n_vis; i++) {
        const tv_ent *e = &v->all[v->vis[i]];
        if (e->header && v->cats[e->ref].id == cat_id) {
            *idx_r = i;
            return (int)e->ref;
        }
    }
    return -1;
}

static uint32_t set_state(mh_tview *v, uint64_t cat_id, uint8_t expanded, uint32_t *idx_r,
                          uint32_t *n_r)
{
    uint32_t idx;
    int c = find_header(v, cat_id, &idx);
    if (c < 0)
        return MAPI_E_NOT_FOUND;
    *idx_r = idx;
    *n_r = 0;
    if (v->cats[c].expanded == expanded)
        return 0;
    uint32_t before = v->n_vis;
    v->cats[c].expanded = expanded;
    toggle_set(v, cat_id, v->cats[c].depth, expanded);
    refresh_visible(v);
    *n_r = expanded ? v->n_vis - before : before - v->n_vis;
    return 0;
}

uint32_t mh_tview_expand(mh_tview *v, uint64_t cat_id, uint32_t *idx_r, uint32_t *n_r)
{
    return set_state(v, cat_id, 1, idx_r, n_r);
}

uint32_t mh_tview_collapse(mh_tview *v, uint64_t cat_id, uint32_t *idx_r, uint32_t *n_r)
{
    return set_state(v, cat_id, 0, idx_r, n_r);
}

const mh_tv_toggle *mh_tview_toggles(const mh_tview *v, uint32_t *n_r)
{
    *n_r = v->n_tog;
    return v->tog;
}

/* --------------------------------------------------------------- find */

typedef struct tv_vsrc {
    mh_res_source src;
    mh_tview *v;
    uint32_t idx;
} tv_vsrc;

static const mh_propval *viewsrc_get(const mh_res_source *s, mh_proptag tag)
{
    const tv_vsrc *t = (const tv_vsrc *)s;
    const mh_propval *pv = mh_tview_value(t->v, t->idx, tag);
    return pv && MH_TAG_TYPE(pv->tag) == PT_ERROR ? NULL : pv;
}

int mh_tview_match(mh_tview *v, uint32_t idx, const mh_restriction *res)
{
    tv_vsrc s = {{viewsrc_get, nosub, NULL}, v, idx};
    if (!res)
        return 1;
    return mh_restriction_eval(res, &s.src);
}

int64_t mh_tview_find(mh_tview *v, const mh_restriction *res, int64_t start, int backward)
{
    for (int64_t i = start; i >= 0 && i < (int64_t)v->n_vis; i += backward ? -1 : 1)
        if (mh_tview_match(v, (uint32_t)i, res))
            return i;
    return -1;
}

/* -------------------------------------------------- collapse state blob */

/* "MHCS", version 1, the anchor, the toggles: opaque to the client
 * (MS-OXCTABL 2.2.2.19.2 leaves the format to the server). */
#define TV_STATE_VERSION 1

void mh_tv_state_encode(mh_wr *wr, const mh_tv_toggle *t, uint32_t n, const mh_tv_anchor *a)
{
    mh_wr_bytes(wr, "MHCS", 4);
    mh_wr_u8(wr, TV_STATE_VERSION);
    mh_wr_u64(wr, a->id);
    mh_wr_u32(wr, a->num);
    mh_wr_u32(wr, a->idx);
    mh_wr_u8(wr, a->at_row);
    mh_wr_u32(wr, n);
    for (uint32_t i = 0; i < n; i++) {
        mh_wr_u64(wr, t[i].id);
        mh_wr_u8(wr, t[i].expanded);
    }
}

int mh_tv_state_decode(mh_rd *rd, apr_pool_t *pool, mh_tv_toggle **t_r, uint32_t *n_r,
                       mh_tv_anchor *a)
{
    const unsigned char *magic = mh_rd_bytes(rd, 4);
    if (!magic || memcmp(magic, "MHCS", 4) != 0 || mh_rd_u8(rd) != TV_STATE_VERSION) {
        rd->err = 1;
        return -1;
    }
    a->id = mh_rd_u64(rd);
    a->num = mh_rd_u32(rd);
    a->idx = mh_rd_u32(rd);
    a->at_row = mh_rd_u8(rd) ? 1 : 0;
    uint32_t n = mh_rd_u32(rd);
    if (rd->err || n > mh_rd_left(rd) / 9) {
        rd->err = 1;
        return -1;
    }
    mh_tv_toggle *t = apr_palloc(pool, (n + 1) * sizeof(*t));
    for (uint32_t i = 0; i < n; i++) {
        t[i].id = mh_rd_u64(rd);
        t[i].expanded = mh_rd_u8(rd) ? 1 : 0;
    }
    if (rd->err)
        return -1;
    *t_r = t;
    *n_r = n;
    return 0;
}
