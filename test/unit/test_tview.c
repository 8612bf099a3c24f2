/*
 * test_tview.c - the table view core (mh_tview): sorts of every type,
 * categorized sorts with one and two levels, multi-valued instances,
 * aggregate category order, expand/collapse, anchors, find, restrictions,
 * the collapse state blob, rows fetched on demand.
 */
#include "mh_test.h"

#include <apr_pools.h>

#include "mh_mapierr.h"
#include "mh_props.h"
#include "mh_tview.h"

static apr_pool_t *pool;

#define TAG_CATS MH_TAG(0x8001, PT_MV_UNICODE)
#define TAG_DBL MH_TAG(0x8002, PT_DOUBLE)
#define TAG_BIN MH_TAG(0x8003, PT_BINARY)
#define TAG_BOOL MH_TAG(0x8004, PT_BOOLEAN)
#define TAG_I8 MH_TAG(0x8005, PT_I8)

typedef struct spec {
    uint64_t id;
    const char *sender;     /* NULL: absent */
    int32_t importance;
    uint64_t time;
    double dbl;
    const char *bin;        /* bytes of a string */
    int flag;
    int64_t i8;
    const char *cats[3];    /* NULL-terminated, may be empty */
    int unread;
} spec;

static void add(mh_proplist *l, mh_propval v)
{
    mh_proplist_set(pool, l, &v);
}

static mh_tv_row *make_rows(const spec *s, uint32_t n)
{
    mh_tv_row *rows = apr_pcalloc(pool, n * sizeof(*rows));
    for (uint32_t i = 0; i < n; i++) {
        mh_proplist *l = &rows[i].props;
        rows[i].id = s[i].id;
        rows[i].unread = s[i].unread;
        rows[i].loaded = 1;
        if (s[i].sender)
            add(l, mh_pv_str(PR_SENDER_NAME, s[i].sender));
        add(l, mh_pv_long(PR_IMPORTANCE, s[i].importance));
        add(l, mh_pv_time(PR_MESSAGE_DELIVERY_TIME, s[i].time));
        mh_propval d = {TAG_DBL, 0, {.f64 = s[i].dbl}};
        add(l, d);
        if (s[i].bin)
            add(l, mh_pv_bin(TAG_BIN, s[i].bin, (uint32_t)strlen(s[i].bin)));
        add(l, mh_pv_bool(TAG_BOOL, s[i].flag));
        add(l, mh_pv_i8(TAG_I8, s[i].i8));
        uint32_t nc = 0;
        while (nc < 3 && s[i].cats[nc])
            nc++;
        if (nc) {
            mh_propval mv = {TAG_CATS, 0, {.mv = {nc, s[i].cats}}};
            add(l, mv);
        }
    }
    return rows;
}

static const spec base[] = {
    {101, "bob", 1, 500, 2.5, "bb", 1, -5, {"red", NULL}, 1},
    {102, "Alice", 2, 300, -1.0, "a", 0, 7, {"blue", "red", NULL}, 0},
    {103, "carol", 0, 900, 10.0, "ab", 1, 0, {NULL}, 1},
    {104, "alice", 1, 100, 0.0, "b", 0, 100, {"blue", NULL}, 1},
    {105, NULL, 2, 700, 3.0, NULL, 0, -100, {NULL}, 0},
};
#define NBASE (sizeof(base) / sizeof(base[0]))

static mh_tview *view(mh_tv_row *rows, uint32_t n, const mh_sort_order *o, uint16_t no,
                      uint16_t cat, uint16_t exp, const mh_restriction *res,
                      const mh_tv_toggle *tog, uint32_t ntog)
{
    mh_sort_set *s = apr_pcalloc(pool, sizeof(*s));
    s->n = no;
    s->categorized = cat;
    s->expanded = exp;
    s->orders = (mh_sort_order *)o;
    mh_tv_params p = {.sort = s, .res = res, .toggles = tog, .n_toggles = ntog};
    mh_tview *v = NULL;
    uint32_t ec = mh_tview_build(pool, rows, n, &p, &v);
    return ec ? NULL : v;
}

static uint64_t id_at(mh_tview *v, uint32_t i)
{
    mh_tv_info info;
    return mh_tview_info(v, i, &info) == 0 ? info.id : 0;
}

/* The IDs of the leaf rows in view order. */
static void check_order(mh_proptag tag, uint8_t order, const uint64_t *want)
{
    mh_sort_order o = {tag, order};
    mh_tview *v = view(make_rows(base, NBASE), NBASE, &o, 1, 0, 0, NULL, NULL, 0);
    REQUIRE(v != NULL);
    CHECK_EQ_U(mh_tview_count(v), NBASE);
    for (uint32_t i = 0; i < NBASE; i++) {
        if (id_at(v, i) != want[i])
            printf("# sort 0x%08x/%u: row %u is %llu, want %llu\n", tag, order, i,
                   (unsigned long long)id_at(v, i), (unsigned long long)want[i]);
        CHECK_EQ_U(id_at(v, i), want[i]);
    }
}

static void test_sort_types(void)
{
    /* strings case-insensitively, absent first, ties by ID */
    check_order(PR_SENDER_NAME, MH_TABLE_SORT_ASCEND, (uint64_t[]){105, 102, 104, 101, 103});
    check_order(PR_SENDER_NAME, MH_TABLE_SORT_DESCEND, (uint64_t[]){103, 101, 104, 102, 105});
    check_order(PR_IMPORTANCE, MH_TABLE_SORT_ASCEND, (uint64_t[]){103, 101, 104, 102, 105});
    check_order(PR_IMPORTANCE, MH_TABLE_SORT_DESCEND, (uint64_t[]){105, 102, 104, 101, 103});
    check_order(PR_MESSAGE_DELIVERY_TIME, MH_TABLE_SORT_DESCEND,
                (uint64_t[]){103, 105, 101, 102, 104});
    check_order(TAG_DBL, MH_TABLE_SORT_ASCEND, (uint64_t[]){102, 104, 101, 105, 103});
    /* binaries bytewise, then by length; absent first */
    check_order(TAG_BIN, MH_TABLE_SORT_ASCEND, (uint64_t[]){105, 102, 103, 104, 101});
    check_order(TAG_BOOL, MH_TABLE_SORT_ASCEND, (uint64_t[]){102, 104, 105, 101, 103});
    check_order(TAG_I8, MH_TABLE_SORT_ASCEND, (uint64_t[]){105, 101, 103, 102, 104});
    /* PT_STRING8 in the sort order finds the Unicode value */
    check_order(MH_TAG(0x0C1A, PT_STRING8), MH_TABLE_SORT_ASCEND,
                (uint64_t[]){105, 102, 104, 101, 103});
}

static void test_two_keys_and_bad_sorts(void)
{
    mh_sort_order o[2] = {{PR_IMPORTANCE, MH_TABLE_SORT_DESCEND},
                          {PR_MESSAGE_DELIVERY_TIME, MH_TABLE_SORT_ASCEND}};
    mh_tview *v = view(make_rows(base, NBASE), NBASE, o, 2, 0, 0, NULL, NULL, 0);
    REQUIRE(v != NULL);
    uint64_t want[] = {102, 105, 104, 101, 103};
    for (uint32_t i = 0; i < NBASE; i++)
        CHECK_EQ_U(id_at(v, i), want[i]);

    /* a whole multi-valued column cannot be sorted; MVI on a single one
     * neither; an aggregate not right after the categories neither */
    mh_sort_order mv = {TAG_CATS, 0};
    mh_sort_set s = {1, 0, 0, &mv};
    mh_tv_params p = {.sort = &s};
    mh_tview *bad;
    CHECK_EQ_U(mh_tview_build(pool, make_rows(base, NBASE), NBASE, &p, &bad), MAPI_E_TOO_COMPLEX);
    mh_sort_order mvi1 = {PR_IMPORTANCE | MH_MV_INSTANCE, 0};
    s.orders = &mvi1;
    CHECK_EQ_U(mh_tview_build(pool, make_rows(base, NBASE), NBASE, &p, &bad), MAPI_E_TOO_COMPLEX);
    mh_sort_order agg = {PR_IMPORTANCE, MH_TABLE_SORT_MAXIMUM_CATEGORY};
    s.orders = &agg;
    CHECK_EQ_U(mh_tview_build(pool, make_rows(base, NBASE), NBASE, &p, &bad), MAPI_E_TOO_COMPLEX);
    mh_sort_order odd = {PR_IMPORTANCE, 0x10};
    s.orders = &odd;
    CHECK_EQ_U(mh_tview_build(pool, make_rows(base, NBASE), NBASE, &p, &bad),
               MAPI_E_INVALID_PARAMETER);
}

static int32_t long_at(mh_tview *v, uint32_t i, mh_proptag tag)
{
    const mh_propval *pv = mh_tview_value(v, i, tag);
    return pv && MH_TAG_TYPE(pv->tag) == PT_LONG ? pv->v.i32 : -999;
}

static void test_categorized_one_level(void)
{
    /* by importance (descending), expanded: H2 102 105 H1 101 104 H0 103 */
    mh_sort_order o[2] = {{PR_IMPORTANCE, MH_TABLE_SORT_DESCEND},
                          {PR_MESSAGE_DELIVERY_TIME, MH_TABLE_SORT_ASCEND}};
    mh_tv_row *rows = make_rows(base, NBASE);
    mh_tview *v = view(rows, NBASE, o, 2, 1, 1, NULL, NULL, 0);
    REQUIRE(v != NULL);
    REQUIRE(mh_tview_count(v) == 8);
    mh_tv_info info;
    CHECK(mh_tview_info(v, 0, &info) == 0 && info.header && info.depth == 0);
    CHECK_EQ_U(long_at(v, 0, PR_ROW_TYPE), MH_TBL_EXPANDED_CATEGORY);
    CHECK_EQ_U(long_at(v, 0, PR_DEPTH), 0);
    CHECK_EQ_U(long_at(v, 0, PR_IMPORTANCE), 2);
    CHECK_EQ_U(long_at(v, 0, PR_CONTENT_COUNT), 2);
    CHECK_EQ_U(long_at(v, 0, PR_CONTENT_UNREAD), 0);
    CHECK(mh_tview_value(v, 0, PR_SENDER_NAME) == NULL); /* not a category column */
    CHECK_EQ_U(id_at(v, 1), 102);
    CHECK_EQ_U(long_at(v, 1, PR_ROW_TYPE), MH_TBL_LEAF_ROW);
    CHECK_EQ_U(long_at(v, 1, PR_DEPTH), 1);
    CHECK_EQ_U(id_at(v, 2), 105);
    CHECK_EQ_U(long_at(v, 3, PR_IMPORTANCE), 1);
    CHECK_EQ_U(long_at(v, 3, PR_CONTENT_COUNT), 2);
    CHECK_EQ_U(long_at(v, 3, PR_CONTENT_UNREAD), 2);
    CHECK_EQ_U(id_at(v, 4), 104);
    CHECK_EQ_U(id_at(v, 5), 101);
    CHECK_EQ_U(id_at(v, 7), 103);
    const mh_propval *ik = mh_tview_value(v, 1, PR_INSTANCE_KEY);
    CHECK(ik && ik->v.bin.len == 12 && ik->v.bin.data[0] == 102);
    const mh_propval *iid = mh_tview_value(v, 3, PR_INST_ID);
    REQUIRE(iid != NULL);
    uint64_t cat1 = (uint64_t)iid->v.i64;

    /* collapse the importance-1 category: two rows hidden */
    uint32_t idx, n;
    CHECK_EQ_U(mh_tview_collapse(v, cat1, &idx, &n), 0);
    CHECK_EQ_U(idx, 3);
    CHECK_EQ_U(n, 2);
    CHECK_EQ_U(mh_tview_count(v), 6);
    CHECK_EQ_U(long_at(v, 3, PR_ROW_TYPE), MH_TBL_COLLAPSED_CATEGORY);
    CHECK_EQ_U(long_at(v, 4, PR_ROW_TYPE), MH_TBL_EXPANDED_CATEGORY);
    /* again: nothing changes */
    CHECK_EQ_U(mh_tview_collapse(v, cat1, &idx, &n), 0);
    CHECK_EQ_U(n, 0);
    CHECK_EQ_U(mh_tview_collapse(v, 12345, &idx, &n), MAPI_E_NOT_FOUND);

    /* the state survives a rebuild (same category IDs) */
    uint32_t nt;
    const mh_tv_toggle *t = mh_tview_toggles(v, &nt);
    CHECK_EQ_U(nt, 1);
    mh_tview *v2 = view(make_rows(base, NBASE), NBASE, o, 2, 1, 1, NULL, t, nt);
    REQUIRE(v2 != NULL);
    CHECK_EQ_U(mh_tview_count(v2), 6);
    CHECK_EQ_U(long_at(v2, 3, PR_ROW_TYPE), MH_TBL_COLLAPSED_CATEGORY);
    CHECK_EQ_U(mh_tview_expand(v2, cat1, &idx, &n), 0);
    CHECK_EQ_U(n, 2);
    CHECK_EQ_U(mh_tview_count(v2), 8);
    CHECK_EQ_U(id_at(v2, 4), 104);
    t = mh_tview_toggles(v2, &nt);
    CHECK_EQ_U(nt, 0); /* back to the default */

    /* ExpandedCount 0: every category starts collapsed */
    mh_tview *v3 = view(make_rows(base, NBASE), NBASE, o, 2, 1, 0, NULL, NULL, 0);
    REQUIRE(v3 != NULL);
    CHECK_EQ_U(mh_tview_count(v3), 3);
    for (uint32_t i = 0; i < 3; i++)
        CHECK_EQ_U(long_at(v3, i, PR_ROW_TYPE), MH_TBL_COLLAPSED_CATEGORY);
    CHECK_EQ_U(mh_tview_expand(v3, cat1, &idx, &n), 0);
    CHECK_EQ_U(idx, 1);
    CHECK_EQ_U(n, 2);
    CHECK_EQ_U(id_at(v3, 2), 104);
}

static void test_categorized_two_levels(void)
{
    /* by sender (absent first), then importance */
    mh_sort_order o[3] = {{PR_SENDER_NAME, MH_TABLE_SORT_ASCEND},
                          {PR_IMPORTANCE, MH_TABLE_SORT_ASCEND},
                          {PR_MESSAGE_DELIVERY_TIME, MH_TABLE_SORT_ASCEND}};
    mh_tview *v = view(make_rows(base, NBASE), NBASE, o, 3, 2, 2, NULL, NULL, 0);
    REQUIRE(v != NULL);
    /* H(none) H(none,2) 105 | H(alice) H(alice,1) 104 H(alice,2) 102 |
     * H(bob) H(bob,1) 101 | H(carol) H(carol,0) 103 */
    REQUIRE(mh_tview_count(v) == 14);
    CHECK_EQ_U(long_at(v, 0, PR_DEPTH), 0);
    CHECK_EQ_U(long_at(v, 1, PR_DEPTH), 1);
    CHECK_EQ_U(long_at(v, 2, PR_DEPTH), 2);
    CHECK_EQ_U(id_at(v, 2), 105);
    CHECK_EQ_U(long_at(v, 3, PR_CONTENT_COUNT), 2); /* alice, both cases */
    CHECK_EQ_U(long_at(v, 3, PR_CONTENT_UNREAD), 1);
    CHECK(mh_tview_value(v, 3, PR_IMPORTANCE) == NULL); /* deeper level */
    CHECK_EQ_U(long_at(v, 4, PR_IMPORTANCE), 1);
    const mh_propval *s = mh_tview_value(v, 4, PR_SENDER_NAME);
    CHECK(s && strcasecmp(s->v.str, "alice") == 0);
    CHECK_EQ_U(id_at(v, 5), 104);
    CHECK_EQ_U(id_at(v, 7), 102);

    /* collapsing the outer alice category hides four rows, and keeps the
     * inner ones' state */
    uint64_t alice = id_at(v, 3), alice2 = id_at(v, 6);
    uint32_t idx, n;
    CHECK_EQ_U(mh_tview_collapse(v, alice2, &idx, &n), 0);
    CHECK_EQ_U(n, 1);
    CHECK_EQ_U(mh_tview_collapse(v, alice, &idx, &n), 0);
    CHECK_EQ_U(n, 3);
    CHECK_EQ_U(mh_tview_count(v), 10);
    /* a hidden category cannot be expanded */
    CHECK_EQ_U(mh_tview_expand(v, alice2, &idx, &n), MAPI_E_NOT_FOUND);
    CHECK_EQ_U(mh_tview_expand(v, alice, &idx, &n), 0);
    CHECK_EQ_U(n, 3); /* H(alice,1) 104 H(alice,2) */
    CHECK_EQ_U(long_at(v, 6, PR_ROW_TYPE), MH_TBL_COLLAPSED_CATEGORY);

    /* ExpandedCount 1: the inner level starts collapsed */
    mh_tview *v2 = view(make_rows(base, NBASE), NBASE, o, 3, 2, 1, NULL, NULL, 0);
    REQUIRE(v2 != NULL);
    CHECK_EQ_U(mh_tview_count(v2), 9);
    CHECK_EQ_U(long_at(v2, 0, PR_ROW_TYPE), MH_TBL_EXPANDED_CATEGORY);
    CHECK_EQ_U(long_at(v2, 1, PR_ROW_TYPE), MH_TBL_COLLAPSED_CATEGORY);
}

static void test_mv_instances(void)
{
    /* categorized by each value of a multi-valued column */
    mh_sort_order o[2] = {{TAG_CATS | MH_MV_INSTANCE, MH_TABLE_SORT_ASCEND},
                          {PR_MESSAGE_DELIVERY_TIME, MH_TABLE_SORT_ASCEND}};
    mh_tview *v = view(make_rows(base, NBASE), NBASE, o, 2, 0, 0, NULL, NULL, 0);
    REQUIRE(v != NULL);
    /* 103 and 105 have none (one row each, first), then blue: 104, 102;
     * red: 102, 101 */
    REQUIRE(mh_tview_count(v) == 6);
    uint64_t want[] = {105, 103, 104, 102, 102, 101};
    for (uint32_t i = 0; i < 6; i++)
        CHECK_EQ_U(id_at(v, i), want[i]);
    const mh_propval *pv = mh_tview_value(v, 3, TAG_CATS | MH_MV_INSTANCE);
    CHECK(pv && MH_TAG_TYPE(pv->tag) == PT_UNICODE && strcmp(pv->v.str, "blue") == 0);
    pv = mh_tview_value(v, 4, TAG_CATS | MH_MV_INSTANCE);
    CHECK(pv && strcmp(pv->v.str, "red") == 0);
    CHECK_EQ_U(long_at(v, 3, PR_INSTANCE_NUM), 1);
    CHECK_EQ_U(long_at(v, 4, PR_INSTANCE_NUM), 2);
    CHECK_EQ_U(long_at(v, 0, PR_INSTANCE_NUM), 0);
    /* the plain column still gives the whole value */
    pv = mh_tview_value(v, 3, TAG_CATS);
    CHECK(pv && pv->v.mv.n == 2);

    /* as a category: blue (2), red (2) headers */
    mh_tview *c = view(make_rows(base, NBASE), NBASE, o, 2, 1, 1, NULL, NULL, 0);
    REQUIRE(c != NULL);
    REQUIRE(mh_tview_count(c) == 9);
    CHECK_EQ_U(long_at(c, 3, PR_CONTENT_COUNT), 2);
    pv = mh_tview_value(c, 3, TAG_CATS | MH_MV_INSTANCE);
    CHECK(pv && strcmp(pv->v.str, "blue") == 0);
    pv = mh_tview_value(c, 6, TAG_CATS | MH_MV_INSTANCE);
    CHECK(pv && strcmp(pv->v.str, "red") == 0);
}

static void test_aggregate_category(void)
{
    /* by sender, categories ordered by their newest delivery time */
    mh_sort_order o[3] = {{PR_SENDER_NAME, MH_TABLE_SORT_ASCEND},
                          {PR_MESSAGE_DELIVERY_TIME, MH_TABLE_SORT_MAXIMUM_CATEGORY},
                          {PR_MESSAGE_DELIVERY_TIME, MH_TABLE_SORT_DESCEND}};
    mh_tview *v = view(make_rows(base, NBASE), NBASE, o, 3, 1, 1, NULL, NULL, 0);
    REQUIRE(v != NULL);
    /* carol (900) 103 | none (700) 105 | bob (500) 101 | alice (300) 102 104 */
    REQUIRE(mh_tview_count(v) == 9);
    uint64_t leaves[] = {103, 105, 101, 102, 104};
    uint32_t at[] = {1, 3, 5, 7, 8};
    for (uint32_t i = 0; i < 5; i++)
        CHECK_EQ_U(id_at(v, at[i]), leaves[i]);
    const mh_propval *pv = mh_tview_value(v, 6, PR_MESSAGE_DELIVERY_TIME);
    CHECK(pv && pv->v.ft == 300); /* alice's aggregate on the header */
}

static mh_restriction *prop_res(uint8_t relop, mh_propval val)
{
    mh_restriction *r = apr_pcalloc(pool, sizeof(*r));
    r->type = MH_RES_PROPERTY;
    r->u.prop.relop = relop;
    r->u.prop.tag = val.tag;
    r->u.prop.val = val;
    return r;
}

static void test_restriction_and_find(void)
{
    mh_sort_order o = {PR_MESSAGE_DELIVERY_TIME, MH_TABLE_SORT_ASCEND};
    mh_restriction *r = prop_res(MH_RELOP_GE, mh_pv_long(PR_IMPORTANCE, 1));
    mh_tview *v = view(make_rows(base, NBASE), NBASE, &o, 1, 0, 0, r, NULL, 0);
    REQUIRE(v != NULL);
    /* 104(100) 102(300) 101(500) 105(700); 103 has importance 0 */
    REQUIRE(mh_tview_count(v) == 4);
    CHECK_EQ_U(id_at(v, 0), 104);
    CHECK_EQ_U(id_at(v, 3), 105);

    mh_restriction *f = prop_res(MH_RELOP_EQ, mh_pv_long(PR_IMPORTANCE, 2));
    CHECK_EQ_U(mh_tview_find(v, f, 0, 0), 1);
    CHECK_EQ_U(mh_tview_find(v, f, 2, 0), 3);
    CHECK_EQ_U(mh_tview_find(v, f, 3, 1), 3);
    CHECK_EQ_U(mh_tview_find(v, f, 2, 1), 1);
    CHECK(mh_tview_find(v, f, 0, 1) == -1);
    mh_restriction *none = prop_res(MH_RELOP_EQ, mh_pv_long(PR_IMPORTANCE, 9));
    CHECK(mh_tview_find(v, none, 0, 0) == -1);
    /* find on a computed column of a categorized view: header rows */
    mh_sort_order c[2] = {{PR_IMPORTANCE, MH_TABLE_SORT_ASCEND}, o};
    mh_tview *cv = view(make_rows(base, NBASE), NBASE, c, 2, 1, 1, NULL, NULL, 0);
    REQUIRE(cv != NULL);
    mh_restriction *hdr = prop_res(MH_RELOP_EQ, mh_pv_long(PR_ROW_TYPE, MH_TBL_EXPANDED_CATEGORY));
    CHECK_EQ_U(mh_tview_find(cv, hdr, 1, 0), 2); /* H0 103 H1 ... */
}

static void test_anchors(void)
{
    mh_sort_order o = {PR_MESSAGE_DELIVERY_TIME, MH_TABLE_SORT_ASCEND};
    mh_tview *v = view(make_rows(base, NBASE), NBASE, &o, 1, 0, 0, NULL, NULL, 0);
    REQUIRE(v != NULL);
    /* 104 102 101 105 103 */
    mh_tv_anchor a = mh_tview_anchor(v, 2), end = mh_tview_anchor(v, 5);
    CHECK(a.at_row && a.id == 101);
    CHECK(!end.at_row);
    int gone;
    CHECK_EQ_U(mh_tview_resolve(v, &a, &gone), 2);
    CHECK(!gone);

    /* 104 disappears: the anchor follows its row to index 1 */
    mh_tview *v2 = view(make_rows(base, NBASE - 1), NBASE - 1, &o, 1, 0, 0, NULL, NULL, 0);
    REQUIRE(v2 != NULL);
    (void)v2;
    static const spec less[] = {
        {101, "bob", 1, 500, 2.5, "bb", 1, -5, {NULL}, 1},
        {102, "Alice", 2, 300, -1.0, "a", 0, 7, {NULL}, 0},
        {103, "carol", 0, 900, 10.0, "ab", 1, 0, {NULL}, 1},
    };
    mh_tview *v3 = view(make_rows(less, 3), 3, &o, 1, 0, 0, NULL, NULL, 0);
    REQUIRE(v3 != NULL);
    CHECK_EQ_U(mh_tview_resolve(v3, &a, &gone), 1);
    CHECK(!gone);
    /* an end anchor stays where it was, clamped */
    CHECK_EQ_U(mh_tview_resolve(v3, &end, &gone), 3);
    /* a deleted row: gone, at its old index */
    mh_tv_anchor b = mh_tview_anchor(v, 3); /* 105 */
    CHECK_EQ_U(mh_tview_resolve(v3, &b, &gone), 3);
    CHECK(gone);
}

static void test_state_blob(void)
{
    mh_tv_toggle t[2] = {{0x1122334455667788ull, 1}, {42, 0}};
    mh_tv_anchor a = {77, 2, 9, 1};
    mh_wr wr;
    mh_wr_init(&wr, pool, 16);
    mh_tv_state_encode(&wr, t, 2, &a);
    mh_rd rd;
    mh_rd_init(&rd, wr.buf, wr.len);
    mh_tv_toggle *t2;
    uint32_t n2;
    mh_tv_anchor a2;
    REQUIRE(mh_tv_state_decode(&rd, pool, &t2, &n2, &a2) == 0);
    CHECK_EQ_U(n2, 2);
    CHECK_EQ_U(t2[0].id, 0x1122334455667788ull);
    CHECK_EQ_U(t2[1].expanded, 0);
    CHECK_EQ_U(a2.id, 77);
    CHECK_EQ_U(a2.num, 2);
    CHECK_EQ_U(a2.idx, 9);
    CHECK_EQ_U(a2.at_row, 1);
    /* truncated, a count beyond the bytes, a wrong magic */
    for (size_t cut = 0; cut < wr.len; cut++) {
        mh_rd_init(&rd, wr.buf, cut);
        CHECK(mh_tv_state_decode(&rd, pool, &t2, &n2, &a2) == -1);
    }
    unsigned char *bad = apr_pmemdup(pool, wr.buf, wr.len);
    mh_put_u32(bad + 4 + 1 + 17, 1000000);
    mh_rd_init(&rd, bad, wr.len);
    CHECK(mh_tv_state_decode(&rd, pool, &t2, &n2, &a2) == -1);
    bad[0] = 'X';
    mh_rd_init(&rd, bad, wr.len);
    CHECK(mh_tv_state_decode(&rd, pool, &t2, &n2, &a2) == -1);
}

static int ensure_calls;
static int ensure_fn(void *baton, mh_tv_row *row)
{
    (void)baton;
    ensure_calls++;
    mh_propval v = mh_pv_str(PR_SUBJECT, "loaded");
    mh_proplist_set(pool, &row->props, &v);
    row->loaded = 1;
    return 0;
}

static void test_ensure_and_presorted(void)
{
    mh_tv_row *rows = make_rows(base, NBASE);
    for (uint32_t i = 0; i < NBASE; i++)
        rows[i].loaded = 0;
    mh_sort_order o = {PR_IMPORTANCE, MH_TABLE_SORT_DESCEND};
    mh_sort_set s = {1, 0, 0, &o};
    mh_tv_params p = {.sort = &s, .presorted = 1, .ensure = ensure_fn};
    mh_tview *v;
    REQUIRE(mh_tview_build(pool, rows, NBASE, &p, &v) == 0);
    /* presorted: the given order stays */
    for (uint32_t i = 0; i < NBASE; i++)
        CHECK_EQ_U(id_at(v, i), base[i].id);
    ensure_calls = 0;
    const mh_propval *pv = mh_tview_value(v, 2, PR_SUBJECT);
    CHECK(pv && strcmp(pv->v.str, "loaded") == 0);
    pv = mh_tview_value(v, 2, PR_SENDER_NAME);
    CHECK(pv && strcmp(pv->v.str, "carol") == 0);
    CHECK_EQ_U(ensure_calls, 1); /* once per row */
    CHECK(mh_tview_value(v, 5, PR_SUBJECT) == NULL);
}

/* Rows on demand: a table of 1000 rows in order, fetched only where the
 * view is asked. */
#define NFETCH 1000
static mh_tv_row fetched[NFETCH];
static int fetch_calls, fetch_max;
static mh_tv_row *fetch_fn(void *baton, uint32_t idx)
{
    (void)baton;
    fetch_calls++;
    if ((int)idx > fetch_max)
        fetch_max = (int)idx;
    mh_tv_row *r = &fetched[idx];
    r->id = 5000 + idx;
    return r;
}

static void test_fetch(void)
{
    memset(fetched, 0, sizeof(fetched));
    fetch_calls = 0;
    fetch_max = -1;
    mh_tv_params p = {.presorted = 1, .ensure = ensure_fn, .fetch = fetch_fn};
    mh_tview *v;
    REQUIRE(mh_tview_build(pool, NULL, NFETCH, &p, &v) == 0);
    CHECK_EQ_U(mh_tview_count(v), NFETCH);
    CHECK_EQ_U(fetch_calls, 0); /* building costs nothing */

    /* a page from the top: rows 0..49 and their values, nothing further */
    ensure_calls = 0;
    for (uint32_t i = 0; i < 50; i++) {
        const mh_propval *pv = mh_tview_value(v, i, PR_SUBJECT);
        CHECK(pv && strcmp(pv->v.str, "loaded") == 0);
        pv = mh_tview_value(v, i, PR_INST_ID);
        CHECK(pv && pv->v.i64 == 5000 + (int64_t)i);
    }
    CHECK_EQ_U(ensure_calls, 50);
    CHECK_EQ_U(fetch_max, 49);
    mh_tv_info info;
    REQUIRE(mh_tview_info(v, 7, &info) == 0);
    CHECK(!info.header && info.row == &fetched[7] && info.id == 5007 && info.num == 0);
    CHECK_EQ_U(info.row_type, MH_TBL_LEAF_ROW);
    CHECK(mh_tview_info(v, NFETCH, &info) != 0);
    CHECK(mh_tview_value(v, NFETCH, PR_SUBJECT) == NULL);
    /* no multivalue instances */
    CHECK(mh_tview_value(v, 3, MH_TAG(0x8001, PT_MV_UNICODE | MH_MV_INSTANCE)) == NULL);

    /* anchors: made and resolved where they point, reaching no further */
    mh_tv_anchor a = mh_tview_anchor(v, 50);
    CHECK(a.at_row && a.id == 5050 && a.idx == 50);
    int gone;
    CHECK_EQ_U(mh_tview_resolve(v, &a, &gone), 50);
    CHECK_EQ_U(gone, 0);
    CHECK_EQ_U(fetch_max, 50);
    mh_tv_anchor end = mh_tview_anchor(v, NFETCH);
    CHECK(!end.at_row && end.idx == NFETCH);
    /* an anchor whose row moved is found where it went; a gone one keeps
     * its index */
    mh_tv_anchor moved = {5900, 0, 10, 1};
    CHECK_EQ_U(mh_tview_resolve(v, &moved, &gone), 900);
    CHECK_EQ_U(gone, 0);
    mh_tv_anchor lost = {77, 0, 10, 1};
    CHECK_EQ_U(mh_tview_resolve(v, &lost, &gone), 10);
    CHECK_EQ_U(gone, 1);

    /* find, and no categories to expand */
    mh_restriction r;
    memset(&r, 0, sizeof(r));
    r.type = MH_RES_PROPERTY;
    r.u.prop.relop = MH_RELOP_EQ;
    r.u.prop.tag = PR_INST_ID;
    r.u.prop.val = mh_pv_i8(PR_INST_ID, 5123);
    CHECK_EQ_U(mh_tview_find(v, &r, 100, 0), 123);
    CHECK(mh_tview_find(v, &r, 100, 1) == -1);
    uint32_t idx, n;
    CHECK_EQ_U(mh_tview_expand(v, 1, &idx, &n), MAPI_E_NOT_FOUND);
    CHECK_EQ_U(mh_tview_collapse(v, 1, &idx, &n), MAPI_E_NOT_FOUND);

    /* only for presorted rows without a restriction, and without an array */
    mh_tv_params q = {.fetch = fetch_fn};
    CHECK_EQ_U(mh_tview_build(pool, NULL, 10, &q, &v), MAPI_E_INVALID_PARAMETER);
    q.presorted = 1;
    q.res = &r;
    CHECK_EQ_U(mh_tview_build(pool, NULL, 10, &q, &v), MAPI_E_INVALID_PARAMETER);
    q.res = NULL;
    CHECK_EQ_U(mh_tview_build(pool, fetched, 10, &q, &v), MAPI_E_INVALID_PARAMETER);
    CHECK_EQ_U(mh_tview_build(pool, NULL, 0, &q, &v), 0);
    CHECK_EQ_U(mh_tview_count(v), 0);
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    RUN(test_sort_types);
    RUN(test_two_keys_and_bad_sorts);
    RUN(test_categorized_one_level);
    RUN(test_categorized_two_levels);
    RUN(test_mv_instances);
    RUN(test_aggregate_category);
    RUN(test_restriction_and_find);
    RUN(test_anchors);
    RUN(test_state_blob);
    RUN(test_ensure_and_presorted);
    RUN(test_fetch);
    apr_pool_destroy(pool);
    return MH_TEST_DONE();
}
