/*
 * mh_tview.h - a table view without a backend (MS-OXCTABL): rows in,
 * then a restriction filter, multi-valued instances, a standard or
 * categorized sort, category header rows with their expanded or collapsed
 * state, and what the table ROPs ask of a view: values of a row's
 * columns, positions, anchors for bookmarks, expand and collapse, find.
 *
 * The view is rebuilt on each request from the rows the table layer loads
 * (mh_oxctabl.c); what must outlive a request (the collapse state, the
 * cursor, bookmarks) is kept by the table object as anchors and category
 * IDs, which stay valid while rows come and go:
 *  - a category's ID (PidTagInstID of its header row, the CategoryId of
 *    RopExpandRow/RopCollapseRow) is a hash of its depth and the values of
 *    its category columns, so the same category has the same ID in every
 *    rebuild;
 *  - an anchor names a row by (PidTagInstID, PidTagInstanceNum) and keeps
 *    its last index for when the row has gone.
 *
 * Row values are in memory form (mapihttp/props.h).  A row may come with
 * only the values sorting and filtering need; the view calls `ensure`
 * before it needs the rest (rendering, FindRow).
 */
#ifndef MH_TVIEW_H
#define MH_TVIEW_H

#include <stdint.h>
#include <apr_pools.h>

#include "mapihttp/props.h"
#include "mh_oxcdata.h"

/* PR_ROW_TYPE values (MS-OXCTABL 2.2.1.3) */
#define MH_TBL_LEAF_ROW 1
#define MH_TBL_EMPTY_CATEGORY 2
#define MH_TBL_EXPANDED_CATEGORY 3
#define MH_TBL_COLLAPSED_CATEGORY 4

/* MultivalueInstance bit of a property type (MS-OXCDATA 2.11.1) */
#define MH_MV_INSTANCE 0x2000

/* Predefined bookmarks (MS-OXCTABL 2.2.2.1.1) */
#define MH_BOOKMARK_BEGINNING 0
#define MH_BOOKMARK_CURRENT 1
#define MH_BOOKMARK_END 2
#define MH_BOOKMARK_CUSTOM 3

typedef struct mh_tv_row {
    uint64_t id;            /* PidTagInstID of the row (MID, FID, number) */
    int unread;             /* counts in PR_CONTENT_UNREAD of its categories */
    int loaded;             /* `ensure` has completed props (set by ensure) */
    mh_proplist props;
} mh_tv_row;

/* A row named across rebuilds. */
typedef struct mh_tv_anchor {
    uint64_t id;
    uint32_t num;           /* PidTagInstanceNum */
    uint32_t idx;           /* the row's index when the anchor was made */
    uint8_t at_row;         /* 0: the position has no row (end of table) */
} mh_tv_anchor;

/* A category whose state differs from the default of its depth. */
typedef struct mh_tv_toggle {
    uint64_t id;
    uint8_t expanded;
} mh_tv_toggle;

typedef struct mh_tview mh_tview;

/* Completes a row's values before they are rendered or matched. */
typedef int mh_tv_ensure_fn(void *baton, mh_tv_row *row);
/* Row `idx` of a view whose rows come on demand (mh_tv_params.fetch). */
typedef mh_tv_row *mh_tv_fetch_fn(void *baton, uint32_t idx);

typedef struct mh_tv_params {
    const mh_sort_set *sort;        /* NULL or n == 0: rows keep their order */
    const mh_restriction *res;      /* NULL: every row */
    int presorted;                  /* rows arrive sorted already (backend index) */
    const mh_tv_toggle *toggles;    /* the collapse state */
    uint32_t n_toggles;
    mh_tv_ensure_fn *ensure;        /* may be NULL: rows are complete */
    void *baton;                    /* of ensure and fetch */
    /*
     * Rows on demand instead of an array (mh_tview_build's rows NULL, n the
     * row count), for rows that arrive in their final order (presorted)
     * with no restriction: fetch gives row idx (idx < n), never NULL (a row
     * that has gone may come without values), a pointer valid as long as
     * the view.  Only the rows a ROP touches are fetched, so a page of a
     * large table costs a page.  NULL: rows come as an array.
     */
    mh_tv_fetch_fn *fetch;
} mh_tv_params;

/*
 * Builds a view over `rows` (kept by reference; the view may call ensure
 * on them).  Returns 0, or MAPI_E_TOO_COMPLEX for a sort set the view
 * cannot apply (a multivalue instance column that is not multi-valued,
 * more than one of them, an aggregate flag where MS-OXCDATA 2.13.1 does
 * not allow one), or MAPI_E_INVALID_PARAMETER (also for `fetch` with rows,
 * a restriction or rows that are not presorted).
 */
uint32_t mh_tview_build(apr_pool_t *pool, mh_tv_row *rows, uint32_t n, const mh_tv_params *p,
                        mh_tview **v_r);

/* Visible rows (header and leaf rows; collapsed ones are not counted). */
uint32_t mh_tview_count(const mh_tview *v);

/* What the visible row `idx` is. */
typedef struct mh_tv_info {
    int header;             /* a category header row */
    uint64_t id;            /* PidTagInstID (category ID for headers) */
    uint32_t num;           /* PidTagInstanceNum */
    uint32_t depth;         /* PidTagDepth */
    mh_tv_row *row;         /* leaf rows: the source row (else NULL) */
    uint32_t row_type;      /* PR_ROW_TYPE */
} mh_tv_info;
int mh_tview_info(const mh_tview *v, uint32_t idx, mh_tv_info *info);

/*
 * The value of column `tag` of the visible row `idx`, or NULL when the row
 * has none: the computed table columns first (PR_INSTANCE_KEY, PR_ROW_TYPE,
 * PR_DEPTH, PR_INST_ID, PR_INSTANCE_NUM; header rows: PR_CONTENT_COUNT,
 * PR_CONTENT_UNREAD, their category values and the aggregate column),
 * then the row's own values.  A tag with MH_MV_INSTANCE gives the single
 * value of the row's instance.  Calls ensure on leaf rows first.  Values
 * live in the view's pool.
 */
const mh_propval *mh_tview_value(mh_tview *v, uint32_t idx, mh_proptag tag);
/* mh_tview_value of each of n columns of row idx into vals[0..n-1], the
 * row located once (what a table row written whole needs). */
void mh_tview_values(mh_tview *v, uint32_t idx, const mh_proptag *tags, uint32_t n,
                     const mh_propval **vals);

/* An anchor for position `pos` (0..count). */
mh_tv_anchor mh_tview_anchor(const mh_tview *v, uint32_t pos);
/*
 * The position of an anchor now: the row's index when it is still visible
 * (*gone_r 0), else the index it had, clamped (*gone_r 1).
 */
uint32_t mh_tview_resolve(const mh_tview *v, const mh_tv_anchor *a, int *gone_r);

/*
 * Expands (or collapses) the category `cat_id`.  MAPI_E_NOT_FOUND when no
 * visible header row has that ID.  A category already in that state stays
 * so (*n_r 0).  *idx_r gets the header's index; *n_r the rows that became
 * visible (or were hidden).
 */
uint32_t mh_tview_expand(mh_tview *v, uint64_t cat_id, uint32_t *idx_r, uint32_t *n_r);
uint32_t mh_tview_collapse(mh_tview *v, uint64_t cat_id, uint32_t *idx_r, uint32_t *n_r);

/* The collapse state now (for the table object to keep). */
const mh_tv_toggle *mh_tview_toggles(const mh_tview *v, uint32_t *n_r);

/*
 * The first visible row from `start` (forward: start, start+1, ...;
 * backward: start, start-1, ...) matching `res`; -1 when none.
 */
int64_t mh_tview_find(mh_tview *v, const mh_restriction *res, int64_t start, int backward);

/* Whether a row matches a restriction (used by the view and FindRow). */
int mh_tview_match(mh_tview *v, uint32_t idx, const mh_restriction *res);

/* The proplist lookup the view uses: by id, string kinds alike,
 * PT_UNSPECIFIED matching any type. */
const mh_propval *mh_tv_find_prop(const mh_proplist *l, mh_proptag tag);

/* Collapse state blobs (RopGetCollapseState/RopSetCollapseState): the
 * toggles and an anchor.  decode: 0, or -1 when malformed. */
void mh_tv_state_encode(mh_wr *wr, const mh_tv_toggle *t, uint32_t n, const mh_tv_anchor *a);
int mh_tv_state_decode(mh_rd *rd, apr_pool_t *pool, mh_tv_toggle **t_r, uint32_t *n_r,
                       mh_tv_anchor *a);

#endif
