/* libFuzzer target for mh_oxcdata.c: the first byte picks a reader (and,
 * for property values, a type; for the rest, the COUNT width and code
 * page), the rest is its input.  The reader's skipper (mh_skip_*) walks
 * the same input and must agree with it on success and on where it stops.
 * Whatever parses is written back and read again, and the second reading
 * must write the same bytes as the first (writers are deterministic and
 * readers accept what writers make). */
#include "mh_oxcdata.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t types[] = {
    PT_NULL, PT_SHORT, PT_LONG, PT_FLOAT, PT_DOUBLE, PT_CURRENCY, PT_APPTIME, PT_ERROR,
    PT_BOOLEAN, PT_OBJECT, PT_I8, PT_STRING8, PT_UNICODE, PT_SYSTIME, PT_CLSID, PT_SVREID,
    PT_SRESTRICTION, PT_ACTIONS, PT_BINARY, PT_MV_SHORT, PT_MV_LONG, PT_MV_FLOAT, PT_MV_DOUBLE,
    PT_MV_CURRENCY, PT_MV_APPTIME, PT_MV_I8, PT_MV_STRING8, PT_MV_UNICODE, PT_MV_SYSTIME,
    PT_MV_CLSID, PT_MV_BINARY, PT_UNSPECIFIED, 0x3003 /* MV instance */, 0x0009 /* none */,
};
#define N_TYPES (sizeof types / sizeof types[0])

/* Compares two writes. */
static void same(const mh_wr *a, const mh_wr *b)
{
    if (a->len != b->len || memcmp(a->buf, b->buf, a->len) != 0)
        abort();
}

/* A reader (result rc, stopped at rd) and its skipper (result k, stopped
 * at sk) must agree: what the reader accepts the skipper accepts, ending
 * at the same byte; what the skipper refuses the reader refuses.  The
 * skipper checks framing only, so it may accept a value the reader refuses
 * (a relational operator the spec does not define). */
static void agree(int rc, const mh_rd *rd, int k, const mh_rd *sk)
{
    if ((rc == 0 && (k != 0 || rd->p != sk->p)) || (k != 0 && (rc == 0 || !sk->err)))
        abort();
}

/* A restriction source over a fixed row, to exercise the evaluator. */
static const mh_propval *row_get(const mh_res_source *src, mh_proptag tag)
{
    const mh_proplist *l = src->baton;
    for (uint32_t i = 0; i < l->n; i++)
        if (MH_TAG_ID(l->v[i].tag) == MH_TAG_ID(tag))
            return &l->v[i];
    return NULL;
}

static int row_each(const mh_res_source *src, mh_proptag sub,
                    int (*fn)(void *ctx, const mh_res_source *row), void *ctx)
{
    (void)sub;
    return fn(ctx, src); /* the row is its own only sub-row */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    if (size < 1)
        return 0;
    apr_pool_t *pool;
    apr_pool_create(&pool, root);
    uint8_t sel = data[0];
    const uint8_t *in = data + 1;
    size_t n = size - 1;
    int cw = (sel & 0x80) ? 4 : 2;
    uint32_t cp = (sel & 0x40) ? MH_CP_UTF8 : 1252;
    mh_rd rd;
    mh_wr w1, w2;
    mh_wr_init(&w1, pool, 64);
    mh_wr_init(&w2, pool, 64);
    mh_rd_init(&rd, in, n);

    switch (sel % 9) {
    case 0: { /* property value of a type from the next byte */
        if (n < 1)
            break;
        uint16_t t = types[in[0] % N_TYPES];
        mh_rd_init(&rd, in + 1, n - 1);
        mh_rd sk = rd;
        mh_propval v;
        int rc = mh_rd_propval_cw(&rd, t, cw, cp, pool, &v);
        agree(rc, &rd, mh_skip_propval(&sk, t, cw), &sk);
        if (rc != 0)
            break;
        mh_wr_propval_cw(&w1, t, &v, cw, cp);
        if (mh_propval_wire_size_cw(t, &v, cw, cp) != w1.len)
            abort();
        mh_rd_init(&rd, w1.buf, w1.len);
        mh_propval v2;
        if (mh_rd_propval_cw(&rd, t, cw, cp, pool, &v2) != 0 || mh_rd_left(&rd) != 0)
            abort();
        mh_wr_propval_cw(&w2, t, &v2, cw, cp);
        same(&w1, &w2);
        /* the bytes may convert; the value read back compares equal */
        mh_rd_init(&rd, w2.buf, w2.len);
        mh_propval v3;
        if (mh_rd_propval_cw(&rd, t, cw, cp, pool, &v3) != 0 || mh_propval_cmp(&v2, &v3) != 0)
            abort();
        break;
    }
    case 1: { /* tagged */
        mh_propval v;
        mh_rd sk = rd;
        int rc = mh_rd_tagged_propval_cw(&rd, cw, cp, pool, &v);
        agree(rc, &rd, mh_skip_tagged_propval(&sk, cw), &sk);
        if (rc != 0)
            break;
        mh_wr_tagged_propval_cw(&w1, v.tag, &v, cw, cp);
        mh_rd_init(&rd, w1.buf, w1.len);
        mh_propval v2;
        if (mh_rd_tagged_propval_cw(&rd, cw, cp, pool, &v2) != 0 || v2.tag != v.tag)
            abort();
        mh_wr_tagged_propval_cw(&w2, v2.tag, &v2, cw, cp);
        same(&w1, &w2);
        break;
    }
    case 2: { /* restriction, evaluated against a row made of its own values */
        mh_restriction *r;
        mh_rd sk = rd;
        int rc = mh_rd_restriction(&rd, cw, cp, pool, &r);
        agree(rc, &rd, mh_skip_restriction(&sk, cw), &sk);
        if (rc != 0)
            break;
        mh_wr_restriction(&w1, r, cw, cp);
        mh_rd_init(&rd, w1.buf, w1.len);
        mh_restriction *r2;
        if (mh_rd_restriction(&rd, cw, cp, pool, &r2) != 0 || mh_rd_left(&rd) != 0)
            abort();
        mh_wr_restriction(&w2, r2, cw, cp);
        same(&w1, &w2);
        mh_propval vals[2];
        mh_proplist row = {0, vals};
        if (r->type == MH_RES_PROPERTY)
            vals[row.n++] = r->u.prop.val;
        if (r->type == MH_RES_CONTENT)
            vals[row.n++] = r->u.content.val;
        mh_res_source src = {row_get, row_each, &row};
        int a = mh_restriction_eval(r, &src), b = mh_restriction_eval(r2, &src);
        if (a != b)
            abort();
        mh_res_counts *c = mh_res_counts_create(r, pool);
        (void)mh_restriction_eval_counted(r, &src, c);
        break;
    }
    case 3: { /* property row over columns given first: u8 count, tags */
        if (n < 1)
            break;
        uint32_t nc = in[0] % 8;
        if (n < 1 + 4 * (size_t)nc)
            break;
        mh_proptag cols[8];
        for (uint32_t i = 0; i < nc; i++)
            cols[i] = (mh_proptag)in[1 + 4 * i] | ((mh_proptag)in[2 + 4 * i] << 8) |
                      ((mh_proptag)in[3 + 4 * i] << 16) | ((mh_proptag)in[4 + 4 * i] << 24);
        mh_rd_init(&rd, in + 1 + 4 * nc, n - 1 - 4 * nc);
        mh_rd sk = rd;
        mh_propval *vals;
        int rc = mh_rd_proprow(&rd, cols, nc, cp, pool, &vals);
        agree(rc, &rd, mh_skip_proprow(&sk, in + 1, nc), &sk);
        if (rc != 0)
            break;
        const mh_propval *pv[8];
        for (uint32_t i = 0; i < nc; i++)
            pv[i] = &vals[i];
        mh_wr_proprow(&w1, cols, nc, pv, cp);
        mh_rd_init(&rd, w1.buf, w1.len);
        mh_propval *vals2;
        if (mh_rd_proprow(&rd, cols, nc, cp, pool, &vals2) != 0 || mh_rd_left(&rd) != 0)
            abort();
        for (uint32_t i = 0; i < nc; i++)
            pv[i] = &vals2[i];
        mh_wr_proprow(&w2, cols, nc, pv, cp);
        same(&w1, &w2);
        break;
    }
    case 4: { /* tag array */
        mh_proptag *t;
        uint16_t k;
        mh_rd sk = rd;
        int rc = mh_rd_tag_array(&rd, 0xFFFF, pool, &t, &k);
        agree(rc, &rd, mh_skip_tag_array(&sk), &sk);
        if (rc != 0)
            break;
        mh_wr_tag_array(&w1, t, k);
        if (w1.len != n - mh_rd_left(&rd) || memcmp(w1.buf, in, w1.len) != 0)
            abort();
        break;
    }
    case 5: { /* problems */
        mh_propproblem *p;
        uint16_t k;
        if (mh_rd_problems(&rd, pool, &p, &k) != 0)
            break;
        mh_wr_problems(&w1, p, k);
        if (w1.len != n - mh_rd_left(&rd) || memcmp(w1.buf, in, w1.len) != 0)
            abort();
        break;
    }
    case 6: { /* property name */
        mh_propname pn;
        mh_rd sk = rd;
        int rc = mh_rd_propname(&rd, pool, &pn);
        agree(rc, &rd, mh_skip_propname(&sk), &sk);
        if (rc != 0)
            break;
        mh_wr_propname(&w1, &pn);
        mh_rd_init(&rd, w1.buf, w1.len);
        mh_propname pn2;
        if (mh_rd_propname(&rd, pool, &pn2) != 0)
            abort();
        mh_wr_propname(&w2, &pn2);
        same(&w1, &w2);
        break;
    }
    case 7: { /* sort order set */
        mh_sort_set s;
        mh_rd sk = rd;
        int rc = mh_rd_sort_set(&rd, pool, &s);
        agree(rc, &rd, mh_skip_sort_set(&sk), &sk);
        if (rc != 0)
            break;
        mh_wr_sort_set(&w1, &s);
        if (w1.len != n - mh_rd_left(&rd) || memcmp(w1.buf, in, w1.len) != 0)
            abort();
        break;
    }
    case 8: { /* typed value, and code page conversions of the bytes */
        mh_propval v;
        mh_rd sk = rd;
        int rc = mh_rd_typed_propval_cw(&rd, cw, cp, pool, &v);
        agree(rc, &rd, mh_skip_typed_propval(&sk, cw), &sk);
        if (rc == 0) {
            mh_wr_typed_propval_cw(&w1, MH_TAG_TYPE(v.tag), &v, cw, cp);
            mh_rd_init(&rd, w1.buf, w1.len);
            mh_propval v2;
            if (mh_rd_typed_propval_cw(&rd, cw, cp, pool, &v2) != 0)
                abort();
        }
        static const uint32_t cps[] = {1252, 65001, 932, 1251, 50220, 4242};
        uint32_t c = cps[(sel >> 4) % 6];
        const char *u = mh_cp_to_utf8(c, (const char *)in, n, pool);
        size_t len;
        const char *back = mh_cp_from_utf8(c, u, pool, &len);
        if (strlen(back) != len)
            abort();
        break;
    }
    }
    apr_pool_destroy(pool);
    return 0;
}
