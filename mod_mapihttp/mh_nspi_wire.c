/*
 * mh_nspi_wire.c - MS-OXCMAPIHTTP 2.2.5 address book bodies and the 2.2.1
 * structures they are made of (see mh_nspi_wire.h for the contract).
 *
 * Each body is a table of fields in the order section 2.2.5.x lists them;
 * one reader and one writer walk every table, so a Has byte, a count check
 * or the auxiliary tail is handled the same way in all 38 bodies.
 */
#include "mh_nspi_wire.h"
#include "mh_mapierr.h"
#include "mh_unicode.h"

#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <apr_strings.h>

/* ====================================================== parse context */

typedef struct pctx {
    mh_rd rd;
    apr_pool_t *pool;
    uint32_t cp;         /* code page of PtypString8 values (see the header) */
    const char *body;    /* "GetMatches request", for messages */
    const char *why;     /* the first malformation */
    const char *limit;   /* the first limit exceeded (only reported when the
                          * whole body is well formed) */
} pctx;

/* Marks the body malformed with a message; always returns -1. */
static int bad(pctx *c, const char *fmt, ...)
{
    if (!c->why) {
        va_list ap;
        va_start(ap, fmt);
        c->why = apr_pvsprintf(c->pool, fmt, ap);
        va_end(ap);
    }
    c->rd.err = 1;
    return -1;
}

/* A short read somewhere inside `what`. */
static int truncated(pctx *c, const char *what)
{
    return bad(c, "%s runs past the end of the body", what);
}

static void over(pctx *c, const char *what, uint64_t n, uint64_t max)
{
    if (!c->limit)
        c->limit = apr_psprintf(c->pool, "%s: %" APR_UINT64_T_FMT " is above %" APR_UINT64_T_FMT,
                                what, n, max);
}

static void pctx_init(pctx *c, const void *buf, size_t len, apr_pool_t *pool, const char *body)
{
    mh_rd_init(&c->rd, buf, len);
    c->pool = pool;
    c->cp = MH_NSPI_DEFAULT_CP;
    c->body = body;
    c->why = NULL;
    c->limit = NULL;
}

/* The result of a parse: malformed beats a limit. */
static mh_body_status pctx_status(pctx *c, const char **why_r)
{
    if (c->rd.err) {
        *why_r = apr_pstrcat(c->pool, c->body, ": ", c->why ? c->why : "malformed", NULL);
        return MH_BODY_MALFORMED;
    }
    if (c->limit) {
        *why_r = apr_pstrcat(c->pool, c->body, ": ", c->limit, NULL);
        return MH_BODY_LIMIT;
    }
    return MH_BODY_OK;
}

/* Reads a u32 count of elements of at least `min` bytes each: the count
 * must fit the bytes left; above `max` it is a limit. */
static int rd_count(pctx *c, const char *what, size_t min, uint32_t max, uint32_t *n_r)
{
    uint32_t n = mh_rd_u32(&c->rd);
    if (c->rd.err)
        return truncated(c, what);
    if (min && n > mh_rd_left(&c->rd) / min)
        return bad(c, "%s: count %u runs past the end of the body", what, (unsigned)n);
    if (n > max)
        over(c, what, n, max);
    *n_r = n;
    return 0;
}

/* ================================================ property value types */

static int is_str(uint16_t t)
{
    return t == PT_STRING8 || t == PT_UNICODE;
}

/* Types that lead their value with HasValue (2.2.1.1). */
static int has_value_byte(uint16_t t)
{
    return is_str(t) || t == PT_BINARY || (t & MV_FLAG);
}

/* Multi-valued types whose elements carry presence bytes (see header). */
static int mv_elem_flagged(uint16_t t)
{
    return t == PT_MV_STRING8 || t == PT_MV_UNICODE || t == PT_MV_BINARY;
}

/* The types an address book value can have: what mh_oxcdata reads with
 * a known size, less PtypUnspecified (not a value type) and the types
 * that have no place in the address book. */
static int ab_type_ok(uint16_t t)
{
    switch (t) {
    case PT_NULL: case PT_OBJECT: case PT_STRING8: case PT_MV_STRING8:
        return 1;
    case PT_SVREID: case PT_SRESTRICTION: case PT_ACTIONS:
        return 0;
    default:
        return mh_type_storable(t);
    }
}

/* The memory type of a wire type. */
static uint16_t mem_type(uint16_t t)
{
    if (t == PT_STRING8)
        return PT_UNICODE;
    if (t == PT_MV_STRING8)
        return PT_MV_UNICODE;
    return t;
}

/* True when a value of v's type can go out as wire type t. */
static int fits(uint16_t t, const mh_propval *v)
{
    uint16_t vt = MH_TAG_TYPE(v->tag);
    if (t == vt)
        return 1;
    if (is_str(t) && is_str(vt))
        return 1;
    return (t & MV_FLAG) && (vt & MV_FLAG) && is_str(t & (uint16_t)~MV_FLAG) &&
           is_str(vt & (uint16_t)~MV_FLAG);
}

/* HasValue FALSE in memory: a NULL pointer (header). */
static int value_absent(uint16_t t, const mh_propval *v)
{
    if (t & MV_FLAG)
        return v->v.mv.v == NULL;
    if (t == PT_BINARY)
        return v->v.bin.data == NULL;
    if (is_str(t))
        return v->v.str == NULL;
    return 0;
}

/* ============================================ AddressBookPropertyValue */

static int ab_mv_flagged_read(pctx *c, uint16_t t, mh_propval *v)
{
    uint16_t base = t & (uint16_t)~MV_FLAG;
    uint32_t n;
    /* every element is at least its presence byte */
    if (rd_count(c, "a multi-valued value", 1, MH_NSPI_ARRAY_MAX, &n) != 0)
        return -1;
    void *arr = base == PT_BINARY ? apr_pcalloc(c->pool, (size_t)n * sizeof(mh_bin) + 1)
                                  : apr_pcalloc(c->pool, (size_t)n * sizeof(const char *) + 1);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t has = mh_rd_u8(&c->rd);
        if (c->rd.err)
            return truncated(c, "a multi-valued value");
        if (has == 0x00)
            continue; /* a null element: NULL / {0, NULL} */
        if (has != 0xFF)
            return bad(c, "element presence byte 0x%02X is neither 0x00 nor 0xFF",
                       (unsigned)has);
        mh_propval e;
        if (mh_rd_propval_cw(&c->rd, base, 4, c->cp, c->pool, &e) != 0)
            return truncated(c, "a multi-valued value");
        if (base == PT_BINARY) {
            if (e.v.bin.len > MH_NSPI_BINARY_MAX)
                over(c, "a binary value", e.v.bin.len, MH_NSPI_BINARY_MAX);
            ((mh_bin *)arr)[i] = e.v.bin;
        } else {
            ((const char **)arr)[i] = e.v.str;
        }
    }
    memset(v, 0, sizeof *v);
    v->tag = MH_TAG(0, mem_type(t));
    v->v.mv.n = n;
    v->v.mv.v = arr;
    return 0;
}

/* AddressBookPropertyValue of wire type t; v->tag gets id 0. */
static int ab_value_read(pctx *c, uint16_t t, mh_propval *v)
{
    if (!ab_type_ok(t))
        return bad(c, "a value of property type 0x%04X", (unsigned)t);
    if (has_value_byte(t)) {
        uint8_t has = mh_rd_u8(&c->rd);
        if (c->rd.err)
            return truncated(c, "a property value");
        if (has == 0x00) {
            memset(v, 0, sizeof *v);
            v->tag = MH_TAG(0, mem_type(t));
            return 0;
        }
        if (has != 0xFF)
            return bad(c, "HasValue 0x%02X is neither 0x00 nor 0xFF", (unsigned)has);
        if (mv_elem_flagged(t))
            return ab_mv_flagged_read(c, t, v);
    }
    if (mh_rd_propval_cw(&c->rd, t, 4, c->cp, c->pool, v) != 0)
        return truncated(c, apr_psprintf(c->pool, "a value of type 0x%04X", (unsigned)t));
    if (t == PT_BINARY && v->v.bin.len > MH_NSPI_BINARY_MAX)
        over(c, "a binary value", v->v.bin.len, MH_NSPI_BINARY_MAX);
    if ((t & MV_FLAG) && v->v.mv.n > MH_NSPI_ARRAY_MAX)
        over(c, "a multi-valued value", v->v.mv.n, MH_NSPI_ARRAY_MAX);
    return 0;
}

static int ab_tagged_read(pctx *c, mh_propval *v)
{
    mh_proptag tag = mh_rd_u32(&c->rd);
    if (c->rd.err)
        return truncated(c, "a property tag");
    if (ab_value_read(c, MH_TAG_TYPE(tag), v) != 0)
        return -1;
    v->tag = MH_TAG(MH_TAG_ID(tag), mem_type(MH_TAG_TYPE(tag)));
    return 0;
}

static int ab_typed_read(pctx *c, mh_propval *v)
{
    uint16_t t = mh_rd_u16(&c->rd);
    if (c->rd.err)
        return truncated(c, "a property type");
    return ab_value_read(c, t, v);
}

/* AddressBookPropertyValueList; each value is at least 5 bytes. */
static int ab_list_read(pctx *c, mh_proplist *l)
{
    uint32_t n;
    if (rd_count(c, "PropertyValueCount", 5, MH_NSPI_ARRAY_MAX, &n) != 0)
        return -1;
    l->n = n;
    l->v = apr_pcalloc(c->pool, (size_t)n * sizeof *l->v + 1);
    for (uint32_t i = 0; i < n; i++)
        if (ab_tagged_read(c, &l->v[i]) != 0)
            return -1;
    return 0;
}

/* How a value goes out as wire type t: 1 and the error code to send
 * instead of it (an error value's own code, which may be 0: it is still an
 * error, sent with flag 0xA, not a value of type t), or 0: the value. */
static int out_error(uint16_t t, const mh_propval *v, uint32_t *code)
{
    uint32_t c = 0;
    if (!v)
        c = MAPI_E_NOT_FOUND;
    else if (v->flags & MH_PV_LARGE)
        c = MAPI_E_NOT_ENOUGH_MEMORY;
    else if (MH_TAG_TYPE(v->tag) == PT_ERROR && t != PT_ERROR)
        return *code = v->v.err, 1;
    else if (!ab_type_ok(MH_TAG_TYPE(v->tag)) && MH_TAG_TYPE(v->tag) != PT_ERROR)
        c = MAPI_E_NO_SUPPORT;
    else if (t != PT_UNSPECIFIED && !fits(t, v))
        c = MAPI_E_NOT_FOUND;
    *code = c;
    return c != 0;
}

/* The value of v as wire type t (fits(t, v), ab_type_ok(t) or PT_ERROR). */
static void ab_value_write(mh_wr *wr, uint16_t t, const mh_propval *v, uint32_t cp)
{
    if (has_value_byte(t)) {
        if (value_absent(t, v)) {
            mh_wr_u8(wr, 0x00);
            return;
        }
        mh_wr_u8(wr, 0xFF);
        if (mv_elem_flagged(t)) {
            uint16_t base = t & (uint16_t)~MV_FLAG;
            uint32_t n = v->v.mv.n;
            mh_wr_u32(wr, n);
            for (uint32_t i = 0; i < n; i++) {
                mh_propval e;
                memset(&e, 0, sizeof e);
                if (base == PT_BINARY) {
                    e.tag = MH_TAG(0, PT_BINARY);
                    e.v.bin = ((const mh_bin *)v->v.mv.v)[i];
                    if (!e.v.bin.data) {
                        mh_wr_u8(wr, 0x00);
                        continue;
                    }
                } else {
                    e.tag = MH_TAG(0, PT_UNICODE);
                    e.v.str = ((const char *const *)v->v.mv.v)[i];
                    if (!e.v.str) {
                        mh_wr_u8(wr, 0x00);
                        continue;
                    }
                }
                mh_wr_u8(wr, 0xFF);
                mh_wr_propval_cw(wr, base, &e, 4, cp);
            }
            return;
        }
    }
    mh_wr_propval_cw(wr, t, v, 4, cp);
}

/* ========================================================= public 2.2.1 */

/* The public readers of single structures run on a parse context of
 * their own, with the caller's reader. */
static void sub_init(pctx *c, mh_rd *rd, uint32_t cp, apr_pool_t *pool, const char *what)
{
    pctx_init(c, NULL, 0, pool, what);
    c->rd = *rd;
    c->cp = cp;
}

static mh_body_status sub_done(pctx *c, mh_rd *rd, const char **why_r)
{
    *rd = c->rd;
    return pctx_status(c, why_r);
}

mh_body_status mh_nspi_rd_propval(mh_rd *rd, uint16_t type, uint32_t cp, apr_pool_t *pool,
                                  mh_propval *v, const char **why_r)
{
    pctx c;
    sub_init(&c, rd, cp, pool, "AddressBookPropertyValue");
    (void)ab_value_read(&c, type, v);
    return sub_done(&c, rd, why_r);
}

void mh_nspi_wr_propval(mh_wr *wr, uint16_t type, const mh_propval *v, uint32_t cp)
{
    uint32_t code;
    if (type == PT_UNSPECIFIED || out_error(type, v, &code)) {
        /* no room for an error: no value, or a zero one (header) */
        mh_propval z;
        memset(&z, 0, sizeof z);
        z.tag = MH_TAG(0, type);
        if (has_value_byte(type))
            mh_wr_u8(wr, 0x00);
        else
            mh_wr_propval_cw(wr, type, &z, 4, cp);
        return;
    }
    ab_value_write(wr, type, v, cp);
}

mh_body_status mh_nspi_rd_tagged_propval(mh_rd *rd, uint32_t cp, apr_pool_t *pool,
                                         mh_propval *v, const char **why_r)
{
    pctx c;
    sub_init(&c, rd, cp, pool, "AddressBookTaggedPropertyValue");
    (void)ab_tagged_read(&c, v);
    return sub_done(&c, rd, why_r);
}

void mh_nspi_wr_tagged_propval(mh_wr *wr, mh_proptag wire_tag, const mh_propval *v,
                               uint32_t cp)
{
    uint16_t t = MH_TAG_TYPE(wire_tag);
    /* a value of another type goes out as its own type */
    if (v && !(v->flags & MH_PV_LARGE) && !fits(t, v))
        t = MH_TAG_TYPE(v->tag);
    uint32_t err;
    int is_err = out_error(t, v, &err);
    if (is_err || t == PT_ERROR) {
        mh_wr_u32(wr, MH_TAG(MH_TAG_ID(wire_tag), PT_ERROR));
        mh_wr_u32(wr, is_err ? err : v->v.err);
        return;
    }
    mh_wr_u32(wr, MH_TAG(MH_TAG_ID(wire_tag), t));
    ab_value_write(wr, t, v, cp);
}

mh_body_status mh_nspi_rd_propval_list(mh_rd *rd, uint32_t cp, apr_pool_t *pool,
                                       mh_proplist *l, const char **why_r)
{
    pctx c;
    sub_init(&c, rd, cp, pool, "AddressBookPropertyValueList");
    (void)ab_list_read(&c, l);
    return sub_done(&c, rd, why_r);
}

void mh_nspi_wr_propval_list(mh_wr *wr, const mh_proplist *l, uint32_t cp)
{
    mh_wr_u32(wr, l->n);
    for (uint32_t i = 0; i < l->n; i++)
        mh_nspi_wr_tagged_propval(wr, l->v[i].tag, &l->v[i], cp);
}

mh_body_status mh_nspi_rd_typed_propval(mh_rd *rd, uint32_t cp, apr_pool_t *pool,
                                        mh_propval *v, const char **why_r)
{
    pctx c;
    sub_init(&c, rd, cp, pool, "AddressBookTypedPropertyValue");
    (void)ab_typed_read(&c, v);
    return sub_done(&c, rd, why_r);
}

void mh_nspi_wr_typed_propval(mh_wr *wr, uint16_t type, const mh_propval *v, uint32_t cp)
{
    uint16_t t = type;
    if (v && !(v->flags & MH_PV_LARGE) && (t == PT_UNSPECIFIED || !fits(t, v)))
        t = MH_TAG_TYPE(v->tag);
    uint32_t err;
    int is_err = out_error(t, v, &err);
    if (is_err || t == PT_ERROR) {
        mh_wr_u16(wr, PT_ERROR);
        mh_wr_u32(wr, is_err ? err : v->v.err);
        return;
    }
    mh_wr_u16(wr, t);
    ab_value_write(wr, t, v, cp);
}

/* -------------------------------------------------------------- rows */

static int tags_read(pctx *c, const char *what, mh_nspi_tags *t)
{
    uint32_t n;
    if (rd_count(c, what, 4, MH_NSPI_ARRAY_MAX, &n) != 0)
        return -1;
    t->n = n;
    t->tags = apr_palloc(c->pool, (size_t)n * sizeof *t->tags + 1);
    for (uint32_t i = 0; i < n; i++)
        t->tags[i] = mh_rd_u32(&c->rd);
    return 0;
}

static void tags_write(mh_wr *wr, const mh_nspi_tags *t)
{
    mh_wr_u32(wr, t->n);
    for (uint32_t i = 0; i < t->n; i++)
        mh_wr_u32(wr, t->tags[i]);
}

static int row_read(pctx *c, const mh_nspi_tags *cols, mh_nspi_row *row)
{
    uint8_t flags = mh_rd_u8(&c->rd);
    if (c->rd.err)
        return truncated(c, "a row");
    if (flags > 0x01)
        return bad(c, "row Flags 0x%02X is neither 0x0 nor 0x1", (unsigned)flags);
    /* every column takes at least one byte */
    if (cols->n > mh_rd_left(&c->rd))
        return truncated(c, "a row");
    const mh_propval **vals = apr_pcalloc(c->pool, (size_t)cols->n * sizeof *vals + 1);
    for (uint32_t i = 0; i < cols->n; i++) {
        uint16_t t = MH_TAG_TYPE(cols->tags[i]);
        uint16_t id = MH_TAG_ID(cols->tags[i]);
        if (t == PT_UNSPECIFIED) {
            t = mh_rd_u16(&c->rd); /* 2.2.1.4 / 2.2.1.6 carry the type */
            if (c->rd.err)
                return truncated(c, "a row");
        }
        mh_propval *v = apr_pcalloc(c->pool, sizeof *v);
        if (flags == 0x01) {
            uint8_t f = mh_rd_u8(&c->rd);
            if (c->rd.err)
                return truncated(c, "a row");
            if (f == 0x01)
                continue; /* no value: NULL */
            if (f == 0x0A) {
                v->tag = MH_TAG(id, PT_ERROR);
                v->v.err = mh_rd_u32(&c->rd);
                if (c->rd.err)
                    return truncated(c, "a row");
                vals[i] = v;
                continue;
            }
            if (f != 0x00)
                return bad(c, "value Flag 0x%02X is none of 0x0, 0x1, 0xA", (unsigned)f);
        }
        if (ab_value_read(c, t, v) != 0)
            return -1;
        v->tag = MH_TAG(id, mem_type(t));
        vals[i] = v;
    }
    row->vals = vals;
    return 0;
}

static void row_write(mh_wr *wr, const mh_nspi_tags *cols, const mh_nspi_row *row, uint32_t cp)
{
    int flagged = 0;
    uint32_t err;
    for (uint32_t i = 0; i < cols->n && !flagged; i++)
        flagged = out_error(MH_TAG_TYPE(cols->tags[i]), row->vals[i], &err);
    mh_wr_u8(wr, flagged ? 0x01 : 0x00);
    for (uint32_t i = 0; i < cols->n; i++) {
        uint16_t t = MH_TAG_TYPE(cols->tags[i]);
        const mh_propval *v = row->vals[i];
        int typed = t == PT_UNSPECIFIED;
        if (out_error(t, v, &err)) {
            /* only in a flagged row */
            if (typed)
                mh_wr_u16(wr, PT_ERROR);
            mh_wr_u8(wr, 0x0A);
            mh_wr_u32(wr, err);
            continue;
        }
        if (typed) {
            t = MH_TAG_TYPE(v->tag);
            mh_wr_u16(wr, t);
        }
        if (flagged)
            mh_wr_u8(wr, 0x00);
        ab_value_write(wr, t, v, cp);
    }
}

static int rowset_read(pctx *c, mh_nspi_rowset *rs)
{
    uint32_t n;
    if (tags_read(c, "Columns", &rs->cols) != 0)
        return -1;
    if (rd_count(c, "RowCount", 0, MH_NSPI_ARRAY_MAX, &n) != 0)
        return -1;
    /* a row is at least its Flags byte and a byte per column */
    if ((uint64_t)n * (1 + (uint64_t)rs->cols.n) > mh_rd_left(&c->rd))
        return bad(c, "RowCount %u runs past the end of the body", (unsigned)n);
    rs->n_rows = n;
    rs->rows = apr_pcalloc(c->pool, (size_t)n * sizeof *rs->rows + 1);
    for (uint32_t i = 0; i < n; i++)
        if (row_read(c, &rs->cols, &rs->rows[i]) != 0)
            return -1;
    return 0;
}

static void rowset_write(mh_wr *wr, const mh_nspi_rowset *rs, uint32_t cp)
{
    tags_write(wr, &rs->cols);
    mh_wr_u32(wr, rs->n_rows);
    for (uint32_t i = 0; i < rs->n_rows; i++)
        row_write(wr, &rs->cols, &rs->rows[i], cp);
}

mh_body_status mh_nspi_rd_row(mh_rd *rd, const mh_nspi_tags *cols, uint32_t cp,
                              apr_pool_t *pool, mh_nspi_row *row, const char **why_r)
{
    pctx c;
    sub_init(&c, rd, cp, pool, "AddressBookPropertyRow");
    (void)row_read(&c, cols, row);
    return sub_done(&c, rd, why_r);
}

void mh_nspi_wr_row(mh_wr *wr, const mh_nspi_tags *cols, const mh_nspi_row *row, uint32_t cp)
{
    row_write(wr, cols, row, cp);
}

mh_body_status mh_nspi_rd_tags(mh_rd *rd, apr_pool_t *pool, mh_nspi_tags *t, const char **why_r)
{
    pctx c;
    sub_init(&c, rd, MH_NSPI_DEFAULT_CP, pool, "LargePropertyTagArray");
    (void)tags_read(&c, "PropertyTagCount", t);
    return sub_done(&c, rd, why_r);
}

void mh_nspi_wr_tags(mh_wr *wr, const mh_nspi_tags *t)
{
    tags_write(wr, t);
}

/* ---------------------------------------------------------------- STAT */

void mh_rd_stat(mh_rd *rd, mh_stat *st)
{
    st->sort_type = mh_rd_u32(rd);
    st->container_id = mh_rd_u32(rd);
    st->current_rec = mh_rd_u32(rd);
    st->delta = (int32_t)mh_rd_u32(rd);
    st->num_pos = mh_rd_u32(rd);
    st->total_recs = mh_rd_u32(rd);
    st->code_page = mh_rd_u32(rd);
    st->template_locale = mh_rd_u32(rd);
    st->sort_locale = mh_rd_u32(rd);
}

void mh_wr_stat(mh_wr *wr, const mh_stat *st)
{
    mh_wr_u32(wr, st->sort_type);
    mh_wr_u32(wr, st->container_id);
    mh_wr_u32(wr, st->current_rec);
    mh_wr_u32(wr, (uint32_t)st->delta);
    mh_wr_u32(wr, st->num_pos);
    mh_wr_u32(wr, st->total_recs);
    mh_wr_u32(wr, st->code_page);
    mh_wr_u32(wr, st->template_locale);
    mh_wr_u32(wr, st->sort_locale);
}

/* ======================================================= body fields */

typedef enum fkind {
    FK_U32,      /* uint32_t */
    FK_I32,      /* int32_t */
    FK_U8,       /* uint8_t */
    FK_GUID,     /* mh_guid */
    FK_CP,       /* uint32_t CodePage: also the code page of the values after it */
    FK_STAT,     /* mh_stat: its CodePage too */
    FK_MIDS,     /* mh_nspi_mids */
    FK_TAGS,     /* mh_nspi_tags */
    FK_RES,      /* mh_restriction * */
    FK_PROPNAME, /* mh_nspi_propname */
    FK_ASCIIZ,   /* const char *, as sent */
    FK_UTF16Z,   /* const char *, UTF-8 */
    FK_STR8S,    /* mh_nspi_strings of ASCIIZ */
    FK_WSTRS,    /* mh_nspi_strings of UTF-16Z */
    FK_BINS,     /* mh_nspi_bins */
    FK_VALUE,    /* mh_propval, AddressBookTaggedPropertyValue */
    FK_VALUES,   /* mh_proplist, AddressBookPropertyValueList */
    FK_LISTS,    /* mh_nspi_lists */
    FK_ROWSET,   /* mh_nspi_rowset */
    FK_AUX       /* mh_aux_in: the tail, always last */
} fkind;

typedef struct nfield {
    fkind kind;
    int opt;          /* led by a Has byte; the int at has_off says if present */
    size_t has_off;
    size_t off;
    const char *name; /* the spec's field name, for messages */
} nfield;

#define FLD(kind, type, m, name) {kind, 0, 0, offsetof(type, m), name}
#define OPT(kind, type, h, m, name) {kind, 1, offsetof(type, h), offsetof(type, m), name}
#define AUX(type) {FK_AUX, 0, 0, offsetof(type, aux), "AuxiliaryBuffer"}

typedef const char *cstr;
typedef mh_restriction *res_ptr;

#define AT(st, off, type) ((type *)(void *)((char *)(st) + (off)))
#define CAT(st, off, type) ((const type *)(const void *)((const char *)(st) + (off)))

static int field_read(pctx *c, const nfield *f, void *st)
{
    mh_rd *rd = &c->rd;
    if (f->opt) {
        uint8_t has = mh_rd_u8(rd);
        if (rd->err)
            return bad(c, "body ends before Has%s", f->name);
        *AT(st, f->has_off, int) = has != 0;
        if (!has)
            return 0;
    }
    switch (f->kind) {
    case FK_U32:
        *AT(st, f->off, uint32_t) = mh_rd_u32(rd);
        break;
    case FK_I32:
        *AT(st, f->off, int32_t) = (int32_t)mh_rd_u32(rd);
        break;
    case FK_U8:
        *AT(st, f->off, uint8_t) = mh_rd_u8(rd);
        break;
    case FK_GUID:
        mh_rd_copy(rd, AT(st, f->off, mh_guid)->b, 16);
        break;
    case FK_CP:
        *AT(st, f->off, uint32_t) = c->cp = mh_rd_u32(rd);
        break;
    case FK_STAT: {
        mh_stat *s = AT(st, f->off, mh_stat);
        mh_rd_stat(rd, s);
        if (!rd->err)
            c->cp = s->code_page;
        break;
    }
    case FK_MIDS: {
        mh_nspi_mids *m = AT(st, f->off, mh_nspi_mids);
        if (rd_count(c, f->name, 4, MH_NSPI_ARRAY_MAX, &m->n) != 0)
            return -1;
        m->ids = apr_palloc(c->pool, (size_t)m->n * sizeof *m->ids + 1);
        for (uint32_t i = 0; i < m->n; i++)
            m->ids[i] = mh_rd_u32(rd);
        break;
    }
    case FK_TAGS:
        return tags_read(c, f->name, AT(st, f->off, mh_nspi_tags));
    case FK_RES:
        if (mh_rd_restriction(rd, 4, c->cp, c->pool, AT(st, f->off, res_ptr)) != 0)
            return bad(c, "%s is not a valid restriction (or runs past the end of the body)",
                       f->name);
        break;
    case FK_PROPNAME: {
        mh_nspi_propname *p = AT(st, f->off, mh_nspi_propname);
        mh_rd_copy(rd, p->guid.b, 16);
        p->id = mh_rd_u32(rd);
        break;
    }
    case FK_ASCIIZ:
        *AT(st, f->off, cstr) = mh_rd_asciiz(rd, mh_rd_left(rd), c->pool);
        if (rd->err)
            return bad(c, "%s has no terminating NUL", f->name);
        break;
    case FK_UTF16Z:
        *AT(st, f->off, cstr) = mh_rd_utf16z(rd, mh_rd_left(rd) / 2, c->pool);
        if (rd->err)
            return bad(c, "%s has no terminating 2-byte NUL", f->name);
        break;
    case FK_STR8S:
    case FK_WSTRS: {
        mh_nspi_strings *s = AT(st, f->off, mh_nspi_strings);
        int wide = f->kind == FK_WSTRS;
        if (rd_count(c, f->name, wide ? 2 : 1, MH_NSPI_ARRAY_MAX, &s->n) != 0)
            return -1;
        s->s = apr_pcalloc(c->pool, (size_t)s->n * sizeof *s->s + 1);
        for (uint32_t i = 0; i < s->n; i++) {
            s->s[i] = wide ? mh_rd_utf16z(rd, mh_rd_left(rd) / 2, c->pool)
                           : mh_rd_asciiz(rd, mh_rd_left(rd), c->pool);
            if (rd->err)
                return bad(c, "%s: string %u has no terminating NUL", f->name, (unsigned)i);
        }
        break;
    }
    case FK_BINS: {
        mh_nspi_bins *b = AT(st, f->off, mh_nspi_bins);
        if (rd_count(c, f->name, 4, MH_NSPI_ARRAY_MAX, &b->n) != 0)
            return -1;
        b->b = apr_pcalloc(c->pool, (size_t)b->n * sizeof *b->b + 1);
        for (uint32_t i = 0; i < b->n; i++) {
            uint32_t cb = mh_rd_u32(rd);
            const unsigned char *p = mh_rd_bytes(rd, cb);
            if (rd->err)
                return truncated(c, f->name);
            if (cb > MH_NSPI_BINARY_MAX)
                over(c, f->name, cb, MH_NSPI_BINARY_MAX);
            b->b[i].len = cb;
            b->b[i].data = cb ? apr_pmemdup(c->pool, p, cb) : (const uint8_t *)"";
        }
        break;
    }
    case FK_VALUE:
        return ab_tagged_read(c, AT(st, f->off, mh_propval));
    case FK_VALUES:
        return ab_list_read(c, AT(st, f->off, mh_proplist));
    case FK_LISTS: {
        mh_nspi_lists *l = AT(st, f->off, mh_nspi_lists);
        if (rd_count(c, f->name, 4, MH_NSPI_ARRAY_MAX, &l->n) != 0)
            return -1;
        l->lists = apr_pcalloc(c->pool, (size_t)l->n * sizeof *l->lists + 1);
        for (uint32_t i = 0; i < l->n; i++)
            if (ab_list_read(c, &l->lists[i]) != 0)
                return -1;
        break;
    }
    case FK_ROWSET:
        return rowset_read(c, AT(st, f->off, mh_nspi_rowset));
    case FK_AUX: {
        const char *why = NULL;
        mh_body_status bs = mh_rd_aux_tail(rd, AT(st, f->off, mh_aux_in), &why);
        if (bs == MH_BODY_MALFORMED)
            return bad(c, "%s", why);
        if (bs == MH_BODY_LIMIT && !c->limit)
            c->limit = why;
        return 0;
    }
    }
    if (rd->err)
        return truncated(c, f->name);
    return 0;
}

static void field_write(mh_wr *wr, const nfield *f, const void *st, uint32_t *cp)
{
    if (f->opt) {
        int has = *CAT(st, f->has_off, int);
        mh_wr_u8(wr, has ? 0xFF : 0x00);
        if (!has)
            return;
    }
    switch (f->kind) {
    case FK_U32:
        mh_wr_u32(wr, *CAT(st, f->off, uint32_t));
        break;
    case FK_I32:
        mh_wr_u32(wr, (uint32_t)*CAT(st, f->off, int32_t));
        break;
    case FK_U8:
        mh_wr_u8(wr, *CAT(st, f->off, uint8_t));
        break;
    case FK_GUID:
        mh_wr_bytes(wr, CAT(st, f->off, mh_guid)->b, 16);
        break;
    case FK_CP:
        *cp = *CAT(st, f->off, uint32_t);
        mh_wr_u32(wr, *cp);
        break;
    case FK_STAT:
        mh_wr_stat(wr, CAT(st, f->off, mh_stat));
        *cp = CAT(st, f->off, mh_stat)->code_page;
        break;
    case FK_MIDS: {
        const mh_nspi_mids *m = CAT(st, f->off, mh_nspi_mids);
        mh_wr_u32(wr, m->n);
        for (uint32_t i = 0; i < m->n; i++)
            mh_wr_u32(wr, m->ids[i]);
        break;
    }
    case FK_TAGS:
        tags_write(wr, CAT(st, f->off, mh_nspi_tags));
        break;
    case FK_RES: {
        const mh_restriction *r = *CAT(st, f->off, res_ptr);
        if (r) {
            mh_wr_restriction(wr, r, 4, *cp);
        } else {
            /* no restriction given: the empty AND, which every row passes */
            mh_wr_u8(wr, MH_RES_AND);
            mh_wr_u32(wr, 0);
        }
        break;
    }
    case FK_PROPNAME: {
        const mh_nspi_propname *p = CAT(st, f->off, mh_nspi_propname);
        mh_wr_bytes(wr, p->guid.b, 16);
        mh_wr_u32(wr, p->id);
        break;
    }
    case FK_ASCIIZ: {
        const char *s = *CAT(st, f->off, cstr);
        mh_wr_asciiz(wr, s ? s : "");
        break;
    }
    case FK_UTF16Z: {
        const char *s = *CAT(st, f->off, cstr);
        mh_wr_utf16z(wr, s ? s : "");
        break;
    }
    case FK_STR8S:
    case FK_WSTRS: {
        const mh_nspi_strings *s = CAT(st, f->off, mh_nspi_strings);
        mh_wr_u32(wr, s->n);
        for (uint32_t i = 0; i < s->n; i++) {
            const char *e = s->s[i] ? s->s[i] : "";
            if (f->kind == FK_WSTRS)
                mh_wr_utf16z(wr, e);
            else
                mh_wr_asciiz(wr, e);
        }
        break;
    }
    case FK_BINS: {
        const mh_nspi_bins *b = CAT(st, f->off, mh_nspi_bins);
        mh_wr_u32(wr, b->n);
        for (uint32_t i = 0; i < b->n; i++) {
            mh_wr_u32(wr, b->b[i].len);
            if (b->b[i].len)
                mh_wr_bytes(wr, b->b[i].data, b->b[i].len);
        }
        break;
    }
    case FK_VALUE: {
        const mh_propval *v = CAT(st, f->off, mh_propval);
        mh_nspi_wr_tagged_propval(wr, v->tag, v, *cp);
        break;
    }
    case FK_VALUES:
        mh_nspi_wr_propval_list(wr, CAT(st, f->off, mh_proplist), *cp);
        break;
    case FK_LISTS: {
        const mh_nspi_lists *l = CAT(st, f->off, mh_nspi_lists);
        mh_wr_u32(wr, l->n);
        for (uint32_t i = 0; i < l->n; i++)
            mh_nspi_wr_propval_list(wr, &l->lists[i], *cp);
        break;
    }
    case FK_ROWSET:
        rowset_write(wr, CAT(st, f->off, mh_nspi_rowset), *cp);
        break;
    case FK_AUX: {
        const mh_aux_in *a = CAT(st, f->off, mh_aux_in);
        mh_wr_u32(wr, a->len);
        if (a->len)
            mh_wr_bytes(wr, a->data, a->len);
        break;
    }
    }
}

/* ========================================================= the bodies */

typedef struct nbody {
    const char *name;
    const nfield *req;
    size_t n_req;
    const nfield *resp;  /* after StatusCode and ErrorCode */
    size_t n_resp;
    size_t resp_status_off, resp_error_off, resp_aux_off;
    int empty_req_ok;    /* Unbind: an empty request body is accepted */
} nbody;

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define RQ mh_nspi_bind_req
static const nfield bind_req[] = {
    FLD(FK_U32, RQ, flags, "Flags"),
    OPT(FK_STAT, RQ, has_state, state, "State"),
    AUX(RQ),
};
#undef RQ
#define RS mh_nspi_bind_resp
static const nfield bind_resp[] = {
    FLD(FK_GUID, RS, server_guid, "ServerGuid"),
    AUX(RS),
};
#undef RS

#define RQ mh_nspi_unbind_req
static const nfield unbind_req[] = {
    FLD(FK_U32, RQ, reserved, "Reserved"),
    AUX(RQ),
};
#undef RQ
#define RS mh_nspi_unbind_resp
static const nfield unbind_resp[] = {
    AUX(RS),
};
#undef RS

#define RQ mh_nspi_comparemids_req
static const nfield comparemids_req[] = {
    FLD(FK_U32, RQ, reserved, "Reserved"),
    OPT(FK_STAT, RQ, has_state, state, "State"),
    FLD(FK_U32, RQ, mid1, "MinimalId1"),
    FLD(FK_U32, RQ, mid2, "MinimalId2"),
    AUX(RQ),
};
#undef RQ
#define RS mh_nspi_comparemids_resp
static const nfield comparemids_resp[] = {
    FLD(FK_I32, RS, result, "Result"),
    AUX(RS),
};
#undef RS

#define RQ mh_nspi_dntomid_req
static const nfield dntomid_req[] = {
    FLD(FK_U32, RQ, reserved, "Reserved"),
    OPT(FK_STR8S, RQ, has_names, names, "Names"),
    AUX(RQ),
};
#undef RQ
#define RS mh_nspi_dntomid_resp
static const nfield dntomid_resp[] = {
    OPT(FK_MIDS, RS, has_mids, mids, "MinimalIds"),
    AUX(RS),
};
#undef RS

#define RQ mh_nspi_getmatches_req
static const nfield getmatches_req[] = {
    FLD(FK_U32, RQ, reserved, "Reserved"),
    OPT(FK_STAT, RQ, has_state, state, "State"),
    OPT(FK_MIDS, RQ, has_mids, mids, "MinimalIds"),
    FLD(FK_U32, RQ, interface_option_flags, "InterfaceOptionFlags"),
    OPT(FK_RES, RQ, has_filter, filter, "Filter"),
    OPT(FK_PROPNAME, RQ, has_propname, propname, "PropertyName"),
    FLD(FK_U32, RQ, row_count, "RowCount"),
    OPT(FK_TAGS, RQ, has_columns, columns, "Columns"),
    AUX(RQ),
};
#undef RQ
#define RS mh_nspi_getmatches_resp
static const nfield getmatches_resp[] = {
    OPT(FK_STAT, RS, has_state, state, "State"),
    OPT(FK_MIDS, RS, has_mids, mids, "MinimalIds"),
    OPT(FK_ROWSET, RS, has_rows, rows, "ColumnsAndRows"),
    AUX(RS),
};
#undef RS

#define RQ mh_nspi_getproplist_req
static const nfield getproplist_req[] = {
    FLD(FK_U32, RQ, flags, "Flags"),
    FLD(FK_U32, RQ, mid, "MinimalId"),
    FLD(FK_U32, RQ, code_page, "CodePage"),
    AUX(RQ),
};
#undef RQ
#define RS mh_nspi_getproplist_resp
static const nfield getproplist_resp[] = {
    OPT(FK_TAGS, RS, has_tags, tags, "PropertyTags"),
    AUX(RS),
};
#undef RS

#define RQ mh_nspi_getprops_req
static const nfield getprops_req[] = {
    FLD(FK_U32, RQ, flags, "Flags"),
    OPT(FK_STAT, RQ, has_state, state, "State"),
    OPT(FK_TAGS, RQ, has_tags, tags, "PropertyTags"),
    AUX(RQ),
};
#undef RQ
#define RS mh_nspi_getprops_resp
static const nfield getprops_resp[] = {
    FLD(FK_CP, RS, code_page, "CodePage"),
    OPT(FK_VALUES, RS, has_values, values, "PropertyValues"),
    AUX(RS),
};
#undef RS

#define RQ mh_nspi_getspecialtable_req
static const nfield getspecialtable_req[] = {
    FLD(FK_U32, RQ, flags, "Flags"),
    OPT(FK_STAT, RQ, has_state, state, "State"),
    OPT(FK_U32, RQ, has_version, version, "Version"),
    AUX(RQ),
};
#undef RQ
#define RS mh_nspi_getspecialtable_resp
static const nfield getspecialtable_resp[] = {
    FLD(FK_CP, RS, code_page, "CodePage"),
    OPT(FK_U32, RS, has_version, version, "Version"),
    OPT(FK_LISTS, RS, has_rows, rows, "Rows"),
    AUX(RS),
};
#undef RS

#define RQ mh_nspi_gettemplateinfo_req
static const nfield gettemplateinfo_req[] = {
    FLD(FK_U32, RQ, flags, "Flags"),
    FLD(FK_U32, RQ, display_type, "DisplayType"),
    OPT(FK_ASCIIZ, RQ, has_template_dn, template_dn, "TemplateDn"),
    FLD(FK_U32, RQ, code_page, "CodePage"),
    FLD(FK_U32, RQ, locale_id, "LocaleId"),
    AUX(RQ),
};
#undef RQ
#define RS mh_nspi_gettemplateinfo_resp
static const nfield gettemplateinfo_resp[] = {
    FLD(FK_CP, RS, code_page, "CodePage"),
    OPT(FK_VALUES, RS, has_row, row, "Row"),
    AUX(RS),
};
#undef RS

#define RQ mh_nspi_modlinkatt_req
static const nfield modlinkatt_req[] = {
    FLD(FK_U32, RQ, flags, "Flags"),
    FLD(FK_U32, RQ, tag, "PropertyTag"),
    FLD(FK_U32, RQ, mid, "MinimalId"),
    OPT(FK_BINS, RQ, has_entry_ids, entry_ids, "EntryIds"),
    AUX(RQ),
};
#undef RQ
#define RS mh_nspi_modlinkatt_resp
static const nfield modlinkatt_resp[] = {
    AUX(RS),
};
#undef RS

#define RQ mh_nspi_modprops_req
static const nfield modprops_req[] = {
    FLD(FK_U32, RQ, reserved, "Reserved"),
    OPT(FK_STAT, RQ, has_state, state, "State"),
    OPT(FK_TAGS, RQ, has_tags, tags, "PropertyTags"),
    OPT(FK_VALUES, RQ, has_values, values, "PropertyValues"),
    AUX(RQ),
};
#undef RQ
#define RS mh_nspi_modprops_resp
static const nfield modprops_resp[] = {
    AUX(RS),
};
#undef RS

#define RQ mh_nspi_querycolumns_req
static const nfield querycolumns_req[] = {
    FLD(FK_U32, RQ, reserved, "Reserved"),
    FLD(FK_U32, RQ, mapi_flags, "MapiFlags"),
    AUX(RQ),
};
#undef RQ
#define RS mh_nspi_querycolumns_resp
static const nfield querycolumns_resp[] = {
    OPT(FK_TAGS, RS, has_columns, columns, "Columns"),
    AUX(RS),
};
#undef RS

#define RQ mh_nspi_queryrows_req
static const nfield queryrows_req[] = {
    FLD(FK_U32, RQ, flags, "Flags"),
    OPT(FK_STAT, RQ, has_state, state, "State"),
    FLD(FK_MIDS, RQ, explicit_table, "ExplicitTable"),
    FLD(FK_U32, RQ, row_count, "RowCount"),
    OPT(FK_TAGS, RQ, has_columns, columns, "Columns"),
    AUX(RQ),
};
#undef RQ
#define RS mh_nspi_queryrows_resp
static const nfield queryrows_resp[] = {
    OPT(FK_STAT, RS, has_state, state, "State"),
    OPT(FK_ROWSET, RS, has_rows, rows, "ColumnsAndRows"),
    AUX(RS),
};
#undef RS

#define RQ mh_nspi_resolvenames_req
static const nfield resolvenames_req[] = {
    FLD(FK_U32, RQ, reserved, "Reserved"),
    OPT(FK_STAT, RQ, has_state, state, "State"),
    OPT(FK_TAGS, RQ, has_tags, tags, "PropertyTags"),
    OPT(FK_WSTRS, RQ, has_names, names, "Names"),
    AUX(RQ),
};
#undef RQ
#define RS mh_nspi_resolvenames_resp
static const nfield resolvenames_resp[] = {
    FLD(FK_CP, RS, code_page, "CodePage"),
    OPT(FK_MIDS, RS, has_mids, mids, "MinimalIds"),
    OPT(FK_ROWSET, RS, has_rows, rows, "RowsAndCols"),
    AUX(RS),
};
#undef RS

#define RQ mh_nspi_resortrestriction_req
static const nfield resortrestriction_req[] = {
    FLD(FK_U32, RQ, reserved, "Reserved"),
    OPT(FK_STAT, RQ, has_state, state, "State"),
    OPT(FK_MIDS, RQ, has_mids, mids, "MinimalIds"),
    AUX(RQ),
};
#undef RQ
#define RS mh_nspi_resortrestriction_resp
static const nfield resortrestriction_resp[] = {
    OPT(FK_STAT, RS, has_state, state, "State"),
    OPT(FK_MIDS, RS, has_mids, mids, "MinimalIds"),
    AUX(RS),
};
#undef RS

#define RQ mh_nspi_seekentries_req
static const nfield seekentries_req[] = {
    FLD(FK_U32, RQ, reserved, "Reserved"),
    OPT(FK_STAT, RQ, has_state, state, "State"),
    OPT(FK_VALUE, RQ, has_target, target, "Target"),
    OPT(FK_MIDS, RQ, has_explicit_table, explicit_table, "ExplicitTable"),
    OPT(FK_TAGS, RQ, has_columns, columns, "Columns"),
    AUX(RQ),
};
#undef RQ
#define RS mh_nspi_seekentries_resp
static const nfield seekentries_resp[] = {
    OPT(FK_STAT, RS, has_state, state, "State"),
    OPT(FK_ROWSET, RS, has_rows, rows, "ColumnsAndRows"),
    AUX(RS),
};
#undef RS

#define RQ mh_nspi_updatestat_req
static const nfield updatestat_req[] = {
    FLD(FK_U32, RQ, reserved, "Reserved"),
    OPT(FK_STAT, RQ, has_state, state, "State"),
    FLD(FK_U8, RQ, delta_requested, "DeltaRequested"),
    AUX(RQ),
};
#undef RQ
#define RS mh_nspi_updatestat_resp
static const nfield updatestat_resp[] = {
    OPT(FK_STAT, RS, has_state, state, "State"),
    OPT(FK_I32, RS, has_delta, delta, "Delta"),
    AUX(RS),
};
#undef RS

#define RQ mh_nspi_getmailboxurl_req
static const nfield getmailboxurl_req[] = {
    FLD(FK_U32, RQ, flags, "Flags"),
    FLD(FK_UTF16Z, RQ, server_dn, "ServerDn"),
    AUX(RQ),
};
#undef RQ
#define RS mh_nspi_getmailboxurl_resp
static const nfield getmailboxurl_resp[] = {
    FLD(FK_UTF16Z, RS, server_url, "ServerUrl"),
    AUX(RS),
};
#undef RS

#define RQ mh_nspi_getaddressbookurl_req
static const nfield getaddressbookurl_req[] = {
    FLD(FK_U32, RQ, flags, "Flags"),
    FLD(FK_UTF16Z, RQ, user_dn, "UserDn"),
    AUX(RQ),
};
#undef RQ
#define RS mh_nspi_getaddressbookurl_resp
static const nfield getaddressbookurl_resp[] = {
    FLD(FK_UTF16Z, RS, server_url, "ServerUrl"),
    AUX(RS),
};
#undef RS

#define BODY(x, name, empty_ok)                                                          \
    static const nbody x##_body = {name, x##_req, N(x##_req), x##_resp, N(x##_resp),      \
                                   offsetof(mh_nspi_##x##_resp, status_code),            \
                                   offsetof(mh_nspi_##x##_resp, error_code),             \
                                   offsetof(mh_nspi_##x##_resp, aux), empty_ok}

BODY(bind, "Bind", 0);
BODY(unbind, "Unbind", 1);
BODY(comparemids, "CompareMIds", 0);
BODY(dntomid, "DNToMId", 0);
BODY(getmatches, "GetMatches", 0);
BODY(getproplist, "GetPropList", 0);
BODY(getprops, "GetProps", 0);
BODY(getspecialtable, "GetSpecialTable", 0);
BODY(gettemplateinfo, "GetTemplateInfo", 0);
BODY(modlinkatt, "ModLinkAtt", 0);
BODY(modprops, "ModProps", 0);
BODY(querycolumns, "QueryColumns", 0);
BODY(queryrows, "QueryRows", 0);
BODY(resolvenames, "ResolveNames", 0);
BODY(resortrestriction, "ResortRestriction", 0);
BODY(seekentries, "SeekEntries", 0);
BODY(updatestat, "UpdateStat", 0);
BODY(getmailboxurl, "GetMailboxUrl", 0);
BODY(getaddressbookurl, "GetAddressBookUrl", 0);

/* ------------------------------------------------------------ engine */

static mh_body_status parse_req(const nbody *b, const void *buf, size_t len, apr_pool_t *pool,
                                void *st, size_t st_size, const char **why_r)
{
    pctx c;
    memset(st, 0, st_size); /* absent fields: zero, nothing left over */
    if (len == 0 && b->empty_req_ok)
        return MH_BODY_OK;
    pctx_init(&c, buf, len, pool, apr_pstrcat(pool, b->name, " request", NULL));
    for (size_t i = 0; i < b->n_req && !c.rd.err; i++)
        (void)field_read(&c, &b->req[i], st);
    return pctx_status(&c, why_r);
}

static void build_req(const nbody *b, mh_wr *wr, const void *st)
{
    uint32_t cp = MH_NSPI_DEFAULT_CP;
    for (size_t i = 0; i < b->n_req; i++)
        field_write(wr, &b->req[i], st, &cp);
}

static void build_resp(const nbody *b, mh_wr *wr, const void *st)
{
    uint32_t cp = MH_NSPI_DEFAULT_CP;
    uint32_t status = *CAT(st, b->resp_status_off, uint32_t);
    if (status != 0) {
        /* the failure body (2.2.5.x.3): StatusCode and the aux tail */
        static const nfield aux_only = {FK_AUX, 0, 0, 0, "AuxiliaryBuffer"};
        nfield f = aux_only;
        f.off = b->resp_aux_off;
        mh_wr_u32(wr, status);
        field_write(wr, &f, st, &cp);
        return;
    }
    mh_wr_u32(wr, 0);
    mh_wr_u32(wr, *CAT(st, b->resp_error_off, uint32_t));
    for (size_t i = 0; i < b->n_resp; i++)
        field_write(wr, &b->resp[i], st, &cp);
}

static mh_body_status parse_resp(const nbody *b, const void *buf, size_t len, apr_pool_t *pool,
                                 void *st, size_t st_size, const char **why_r)
{
    pctx c;
    memset(st, 0, st_size);
    pctx_init(&c, buf, len, pool, apr_pstrcat(pool, b->name, " response", NULL));
    uint32_t status = mh_rd_u32(&c.rd);
    if (c.rd.err) {
        (void)truncated(&c, "StatusCode");
        return pctx_status(&c, why_r);
    }
    *AT(st, b->resp_status_off, uint32_t) = status;
    if (status != 0) {
        nfield f = {FK_AUX, 0, 0, b->resp_aux_off, "AuxiliaryBuffer"};
        (void)field_read(&c, &f, st);
        return pctx_status(&c, why_r);
    }
    *AT(st, b->resp_error_off, uint32_t) = mh_rd_u32(&c.rd);
    if (c.rd.err) {
        (void)truncated(&c, "ErrorCode");
        return pctx_status(&c, why_r);
    }
    for (size_t i = 0; i < b->n_resp && !c.rd.err; i++)
        (void)field_read(&c, &b->resp[i], st);
    return pctx_status(&c, why_r);
}

#define BODY_FUNCS(x)                                                                     \
    mh_body_status mh_nspi_parse_##x##_req(const void *body, size_t len, apr_pool_t *pool, \
                                           mh_nspi_##x##_req *req, const char **why_r)    \
    {                                                                                     \
        return parse_req(&x##_body, body, len, pool, req, sizeof *req, why_r);            \
    }                                                                                     \
    void mh_nspi_build_##x##_req(mh_wr *wr, const mh_nspi_##x##_req *req)                 \
    {                                                                                     \
        build_req(&x##_body, wr, req);                                                    \
    }                                                                                     \
    void mh_nspi_build_##x##_resp(mh_wr *wr, const mh_nspi_##x##_resp *resp)              \
    {                                                                                     \
        build_resp(&x##_body, wr, resp);                                                  \
    }                                                                                     \
    mh_body_status mh_nspi_parse_##x##_resp(const void *body, size_t len, apr_pool_t *pool, \
                                            mh_nspi_##x##_resp *resp, const char **why_r) \
    {                                                                                     \
        return parse_resp(&x##_body, body, len, pool, resp, sizeof *resp, why_r);         \
    }

BODY_FUNCS(bind)
BODY_FUNCS(unbind)
BODY_FUNCS(comparemids)
BODY_FUNCS(dntomid)
BODY_FUNCS(getmatches)
BODY_FUNCS(getproplist)
BODY_FUNCS(getprops)
BODY_FUNCS(getspecialtable)
BODY_FUNCS(gettemplateinfo)
BODY_FUNCS(modlinkatt)
BODY_FUNCS(modprops)
BODY_FUNCS(querycolumns)
BODY_FUNCS(queryrows)
BODY_FUNCS(resolvenames)
BODY_FUNCS(resortrestriction)
BODY_FUNCS(seekentries)
BODY_FUNCS(updatestat)
BODY_FUNCS(getmailboxurl)
BODY_FUNCS(getaddressbookurl)

/* ------------------------------------------------- by request type */

typedef struct nentry {
    const nbody *body;
    size_t req_size, resp_size;
} nentry;

#define ENTRY(x) {&x##_body, sizeof(mh_nspi_##x##_req), sizeof(mh_nspi_##x##_resp)}

static const nentry *entry_for(mh_reqtype rt)
{
    static const nentry table[] = {
        ENTRY(bind), ENTRY(unbind), ENTRY(comparemids), ENTRY(dntomid), ENTRY(getmatches),
        ENTRY(getproplist), ENTRY(getprops), ENTRY(getspecialtable), ENTRY(gettemplateinfo),
        ENTRY(modlinkatt), ENTRY(modprops), ENTRY(querycolumns), ENTRY(queryrows),
        ENTRY(resolvenames), ENTRY(resortrestriction), ENTRY(seekentries), ENTRY(updatestat),
        ENTRY(getmailboxurl), ENTRY(getaddressbookurl),
    };
    /* the NSPI request types are consecutive in mh_reqtype, Bind first */
    _Static_assert(MH_RT_GETADDRESSBOOKURL - MH_RT_BIND + 1 == N(table),
                   "mh_reqtype's NSPI types and the body table differ");
    if (rt < MH_RT_BIND || rt > MH_RT_GETADDRESSBOOKURL)
        return NULL;
    return &table[rt - MH_RT_BIND];
}

mh_body_status mh_nspi_parse_req(mh_reqtype rt, const void *body, size_t len,
                                 apr_pool_t *pool, mh_nspi_req *req, const char **why_r)
{
    const nentry *e = entry_for(rt);
    if (!e) {
        *why_r = "not an address book request type";
        return MH_BODY_MALFORMED;
    }
    return parse_req(e->body, body, len, pool, req, e->req_size, why_r);
}

void mh_nspi_build_req(mh_reqtype rt, mh_wr *wr, const mh_nspi_req *req)
{
    const nentry *e = entry_for(rt);
    if (e)
        build_req(e->body, wr, req);
}

void mh_nspi_build_resp(mh_reqtype rt, mh_wr *wr, const mh_nspi_resp *resp)
{
    const nentry *e = entry_for(rt);
    if (e)
        build_resp(e->body, wr, resp);
}

mh_body_status mh_nspi_parse_resp(mh_reqtype rt, const void *body, size_t len,
                                  apr_pool_t *pool, mh_nspi_resp *resp, const char **why_r)
{
    const nentry *e = entry_for(rt);
    if (!e) {
        *why_r = "not an address book request type";
        return MH_BODY_MALFORMED;
    }
    return parse_resp(e->body, body, len, pool, resp, e->resp_size, why_r);
}
