/*
 * mh_props.c - property values: copy, compare, size, encode, decode.
 */
#include "mh_props.h"

#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>

#define FORM_INLINE 0
#define FORM_LARGE 1

/* Size of one element of a fixed-size base type; 0 for variable ones. */
static size_t fixed_size(uint16_t base)
{
    switch (base) {
    case PT_SHORT: return 2;
    case PT_LONG: case PT_ERROR: case PT_FLOAT: return 4;
    case PT_DOUBLE: case PT_APPTIME: case PT_CURRENCY: case PT_I8: case PT_SYSTIME: return 8;
    case PT_BOOLEAN: return 1;
    case PT_CLSID: return 16;
    default: return 0;
    }
}

static int is_binary_like(uint16_t t)
{
    return t == PT_BINARY || t == PT_SVREID || t == PT_SRESTRICTION || t == PT_ACTIONS;
}

static void wr_f32(mh_wr *wr, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    mh_wr_u32(wr, u);
}

static void wr_f64(mh_wr *wr, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    mh_wr_u64(wr, u);
}

static float rd_f32(mh_rd *rd)
{
    uint32_t u = mh_rd_u32(rd);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static double rd_f64(mh_rd *rd)
{
    uint64_t u = mh_rd_u64(rd);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static void wr_bytes32(mh_wr *wr, const void *p, uint32_t n)
{
    mh_wr_u32(wr, n);
    mh_wr_bytes(wr, p, n);
}

void mh_propval_encode(mh_wr *wr, const mh_propval *v)
{
    uint16_t type = MH_TAG_TYPE(v->tag);
    mh_wr_u32(wr, v->tag);
    if (v->flags & MH_PV_LARGE) {
        mh_wr_u8(wr, FORM_LARGE);
        mh_wr_u64(wr, v->v.large.size);
        mh_wr_u64(wr, v->v.large.ref);
        return;
    }
    mh_wr_u8(wr, FORM_INLINE);
    if (type & MV_FLAG) {
        uint16_t base = type & (uint16_t)~MV_FLAG;
        uint32_t n = v->v.mv.n;
        mh_wr_u32(wr, n);
        for (uint32_t i = 0; i < n; i++) {
            switch (base) {
            case PT_SHORT: mh_wr_u16(wr, (uint16_t)((const int16_t *)v->v.mv.v)[i]); break;
            case PT_LONG: mh_wr_u32(wr, (uint32_t)((const int32_t *)v->v.mv.v)[i]); break;
            case PT_FLOAT: wr_f32(wr, ((const float *)v->v.mv.v)[i]); break;
            case PT_DOUBLE: case PT_APPTIME: wr_f64(wr, ((const double *)v->v.mv.v)[i]); break;
            case PT_CURRENCY: case PT_I8:
                mh_wr_u64(wr, (uint64_t)((const int64_t *)v->v.mv.v)[i]);
                break;
            case PT_SYSTIME: mh_wr_u64(wr, ((const uint64_t *)v->v.mv.v)[i]); break;
            case PT_CLSID: mh_wr_bytes(wr, ((const mh_guid *)v->v.mv.v)[i].b, 16); break;
            case PT_UNICODE: {
                const char *s = ((const char *const *)v->v.mv.v)[i];
                wr_bytes32(wr, s, (uint32_t)strlen(s));
                break;
            }
            default: { /* PT_BINARY */
                const mh_bin *b = &((const mh_bin *)v->v.mv.v)[i];
                wr_bytes32(wr, b->data, b->len);
                break;
            }
            }
        }
        return;
    }
    switch (type) {
    case PT_SHORT: mh_wr_u16(wr, (uint16_t)v->v.i16); break;
    case PT_LONG: mh_wr_u32(wr, (uint32_t)v->v.i32); break;
    case PT_ERROR: mh_wr_u32(wr, v->v.err); break;
    case PT_FLOAT: wr_f32(wr, v->v.f32); break;
    case PT_DOUBLE: case PT_APPTIME: wr_f64(wr, v->v.f64); break;
    case PT_CURRENCY: case PT_I8: mh_wr_u64(wr, (uint64_t)v->v.i64); break;
    case PT_SYSTIME: mh_wr_u64(wr, v->v.ft); break;
    case PT_BOOLEAN: mh_wr_u8(wr, v->v.b ? 1 : 0); break;
    case PT_CLSID: mh_wr_bytes(wr, v->v.guid->b, 16); break;
    case PT_UNICODE: wr_bytes32(wr, v->v.str, (uint32_t)strlen(v->v.str)); break;
    default:
        if (is_binary_like(type))
            wr_bytes32(wr, v->v.bin.data, v->v.bin.len);
        /* unstorable types carry nothing */
        break;
    }
}

/* A string: a NUL inside is malformed (it would cut the value short). */
static const char *rd_str(mh_rd *rd, apr_pool_t *pool)
{
    uint32_t n = mh_rd_u32(rd);
    const unsigned char *p = mh_rd_bytes(rd, n);
    if (p && memchr(p, 0, n)) {
        rd->err = 1;
        return NULL;
    }
    return p ? apr_pstrmemdup(pool, (const char *)p, n) : NULL;
}

static int rd_bin(mh_rd *rd, apr_pool_t *pool, mh_bin *b)
{
    uint32_t n = mh_rd_u32(rd);
    const unsigned char *p = mh_rd_bytes(rd, n);
    if (!p)
        return -1;
    b->len = n;
    b->data = n ? apr_pmemdup(pool, p, n) : (const uint8_t *)"";
    return 0;
}

int mh_propval_decode(mh_rd *rd, apr_pool_t *pool, mh_propval *v)
{
    memset(v, 0, sizeof(*v));
    v->tag = mh_rd_u32(rd);
    uint8_t form = mh_rd_u8(rd);
    uint16_t type = MH_TAG_TYPE(v->tag);
    if (rd->err)
        return -1;
    if (form == FORM_LARGE) {
        v->flags = MH_PV_LARGE;
        v->v.large.size = mh_rd_u64(rd);
        v->v.large.ref = mh_rd_u64(rd);
        return rd->err ? -1 : 0;
    }
    if (form != FORM_INLINE || !mh_type_storable(type)) {
        rd->err = 1; /* an unknown form, or a type that is never stored */
        return -1;
    }
    if (type & MV_FLAG) {
        uint16_t base = type & (uint16_t)~MV_FLAG;
        uint32_t n = mh_rd_u32(rd);
        size_t fs = fixed_size(base);
        /* every element takes at least fs (fixed) or 4 (length) bytes */
        size_t min = fs ? fs : 4;
        if (rd->err || (size_t)n > mh_rd_left(rd) / min) {
            rd->err = 1;
            return -1;
        }
        if (!(base == PT_UNICODE || base == PT_BINARY || fs)) {
            rd->err = 1;
            return -1;
        }
        v->v.mv.n = n;
        if (base == PT_UNICODE) {
            const char **a = apr_pcalloc(pool, sizeof(*a) * (n ? n : 1));
            for (uint32_t i = 0; i < n && !rd->err; i++)
                a[i] = rd_str(rd, pool);
            v->v.mv.v = a;
        } else if (base == PT_BINARY) {
            mh_bin *a = apr_pcalloc(pool, sizeof(*a) * (n ? n : 1));
            for (uint32_t i = 0; i < n && !rd->err; i++)
                rd_bin(rd, pool, &a[i]);
            v->v.mv.v = a;
        } else {
            void *a = apr_pcalloc(pool, (n ? n : 1) * (base == PT_CLSID ? sizeof(mh_guid) : 8));
            for (uint32_t i = 0; i < n && !rd->err; i++) {
                switch (base) {
                case PT_SHORT: ((int16_t *)a)[i] = (int16_t)mh_rd_u16(rd); break;
                case PT_LONG: ((int32_t *)a)[i] = (int32_t)mh_rd_u32(rd); break;
                case PT_FLOAT: ((float *)a)[i] = rd_f32(rd); break;
                case PT_DOUBLE: case PT_APPTIME: ((double *)a)[i] = rd_f64(rd); break;
                case PT_CURRENCY: case PT_I8: ((int64_t *)a)[i] = (int64_t)mh_rd_u64(rd); break;
                case PT_SYSTIME: ((uint64_t *)a)[i] = mh_rd_u64(rd); break;
                case PT_CLSID: mh_rd_copy(rd, ((mh_guid *)a)[i].b, 16); break;
                }
            }
            v->v.mv.v = a;
        }
        return rd->err ? -1 : 0;
    }
    switch (type) {
    case PT_SHORT: v->v.i16 = (int16_t)mh_rd_u16(rd); break;
    case PT_LONG: v->v.i32 = (int32_t)mh_rd_u32(rd); break;
    case PT_ERROR: v->v.err = mh_rd_u32(rd); break;
    case PT_FLOAT: v->v.f32 = rd_f32(rd); break;
    case PT_DOUBLE: case PT_APPTIME: v->v.f64 = rd_f64(rd); break;
    case PT_CURRENCY: case PT_I8: v->v.i64 = (int64_t)mh_rd_u64(rd); break;
    case PT_SYSTIME: v->v.ft = mh_rd_u64(rd); break;
    case PT_BOOLEAN:
        v->v.b = mh_rd_u8(rd);
        if (v->v.b > 1)
            rd->err = 1; /* only 0 and 1 are written */
        break;
    case PT_CLSID: {
        mh_guid *g = apr_palloc(pool, sizeof(*g));
        mh_rd_copy(rd, g->b, 16);
        v->v.guid = g;
        break;
    }
    case PT_UNICODE: v->v.str = rd_str(rd, pool); break;
    default:
        if (is_binary_like(type))
            rd_bin(rd, pool, &v->v.bin);
        else
            rd->err = 1; /* a type that is never stored */
        break;
    }
    return rd->err ? -1 : 0;
}

void mh_proplist_encode(mh_wr *wr, const mh_proplist *l)
{
    mh_wr_u32(wr, l->n);
    for (uint32_t i = 0; i < l->n; i++)
        mh_propval_encode(wr, &l->v[i]);
}

int mh_proplist_decode(mh_rd *rd, apr_pool_t *pool, mh_proplist *l)
{
    uint32_t n = mh_rd_u32(rd);
    /* a value takes at least 5 bytes (tag and form) */
    if (rd->err || (size_t)n > mh_rd_left(rd) / 5) {
        rd->err = 1;
        return -1;
    }
    l->n = n;
    l->v = apr_pcalloc(pool, sizeof(mh_propval) * (n ? n : 1));
    for (uint32_t i = 0; i < n; i++)
        if (mh_propval_decode(rd, pool, &l->v[i]) != 0)
            return -1;
    return 0;
}

/* Steps over an encoded value without copying it (lengths are checked as
 * mh_propval_decode checks them; the bytes of strings are not). */
static int propval_skip(mh_rd *rd)
{
    /* the common case in a few instructions: one inline value of a
     * single-valued fixed-size type (but Boolean, whose byte is checked
     * below) or a counted one; anything else, and every error, takes the
     * general path */
    size_t left = rd->err ? 0 : (size_t)(rd->end - rd->p);
    if (left >= 5 && rd->p[4] == FORM_INLINE) {
        uint16_t t = mh_get_u16(rd->p);
        size_t fs = fixed_size(t);
        if (fs && t != PT_BOOLEAN && left - 5 >= fs) {
            rd->p += 5 + fs;
            return 0;
        }
        if ((t == PT_UNICODE || is_binary_like(t)) && left >= 9 &&
            mh_get_u32(rd->p + 5) <= left - 9) {
            rd->p += 9 + (size_t)mh_get_u32(rd->p + 5);
            return 0;
        }
    }
    uint16_t type = MH_TAG_TYPE(mh_rd_u32(rd));
    uint8_t form = mh_rd_u8(rd);
    if (rd->err)
        return -1;
    if (form == FORM_LARGE) {
        mh_rd_bytes(rd, 16);
        return rd->err ? -1 : 0;
    }
    if (form != FORM_INLINE || !mh_type_storable(type)) {
        rd->err = 1;
        return -1;
    }
    uint16_t base = type & (uint16_t)~MV_FLAG;
    size_t fs = fixed_size(base);
    int counted = base == PT_UNICODE || (type & MV_FLAG ? base == PT_BINARY
                                                        : is_binary_like(base));
    if (!fs && !counted) {
        rd->err = 1;
        return -1;
    }
    uint32_t n = 1;
    if (type & MV_FLAG) {
        n = mh_rd_u32(rd);
        if (rd->err || (size_t)n > mh_rd_left(rd) / (fs ? fs : 4)) {
            rd->err = 1;
            return -1;
        }
    }
    if (fs) {
        mh_rd_bytes(rd, fs * n);
        if (!rd->err && !(type & MV_FLAG) && type == PT_BOOLEAN && rd->p[-1] > 1)
            rd->err = 1;
    } else {
        for (uint32_t i = 0; i < n && !rd->err; i++)
            mh_rd_bytes(rd, mh_rd_u32(rd));
    }
    return rd->err ? -1 : 0;
}

/* tags in ascending order: tags itself when they are, else a sorted copy */
static const mh_proptag *sorted_tags(apr_pool_t *pool, const mh_proptag *tags, uint32_t n)
{
    uint32_t k = 1;
    while (k < n && tags[k - 1] <= tags[k])
        k++;
    if (k >= n)
        return tags;
    mh_proptag *s = apr_palloc(pool, n * sizeof(*s));
    for (k = 0; k < n; k++) {
        uint32_t j = k;
        for (; j > 0 && s[j - 1] > tags[k]; j--)
            s[j] = s[j - 1];
        s[j] = tags[k];
    }
    return s;
}

int mh_proplist_decode_tags(mh_rd *rd, apr_pool_t *pool, const mh_proptag *tags, uint32_t n,
                            mh_proplist *l)
{
    uint32_t count = mh_rd_u32(rd);
    if (rd->err || (size_t)count > mh_rd_left(rd) / 5) {
        rd->err = 1;
        return -1;
    }
    l->n = 0;
    l->v = apr_palloc(pool, sizeof(mh_propval) * (count ? count : 1));
    /* the tags asked for, sorted for a binary search, and their ids by
     * their low 8 bits: most values are told apart without a search */
    uint64_t seen[4] = {0, 0, 0, 0};
    for (uint32_t k = 0; k < n; k++)
        seen[(MH_TAG_ID(tags[k]) >> 6) & 3] |= 1ull << (MH_TAG_ID(tags[k]) & 63);
    const mh_proptag *sorted = sorted_tags(pool, tags, n);
    for (uint32_t i = 0; i < count; i++) {
        /* values nobody asked for, in a tight loop of their own: an inline
         * value of a fixed-size type (but Boolean) or a counted one is
         * stepped over in a few instructions (see propval_skip) */
        const unsigned char *p = rd->p, *end = rd->end;
        while (i < count && !rd->err && end - p >= 5 && p[4] == FORM_INLINE) {
            uint16_t id = (uint16_t)(p[2] | p[3] << 8);
            if (seen[(id >> 6) & 3] & (1ull << (id & 63)))
                break; /* perhaps asked for */
            uint16_t t = (uint16_t)(p[0] | p[1] << 8);
            size_t fs = fixed_size(t), left = (size_t)(end - p) - 5;
            if (fs && t != PT_BOOLEAN && left >= fs) {
                p += 5 + fs;
            } else if ((t == PT_UNICODE || is_binary_like(t)) && left >= 4 &&
                       mh_get_u32(p + 5) <= left - 4) {
                p += 9 + (size_t)mh_get_u32(p + 5);
            } else {
                break;
            }
            i++;
        }
        rd->p = p;
        if (i == count)
            break;
        mh_proptag tag = rd->err || mh_rd_left(rd) < 4 ? 0 : mh_get_u32(rd->p);
        uint16_t id = MH_TAG_ID(tag);
        int keep = 0;
        if (seen[(id >> 6) & 3] & (1ull << (id & 63))) {
            uint32_t lo = 0, hi = n;
            while (lo < hi) {
                uint32_t mid = (lo + hi) / 2;
                if (sorted[mid] < tag)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            keep = lo < n && sorted[lo] == tag;
        }
        if (keep ? mh_propval_decode(rd, pool, &l->v[l->n++]) != 0 : propval_skip(rd) != 0)
            return -1;
    }
    return 0;
}

static void message_encode(mh_wr *wr, const mh_message *m);

/* A message's recipients and attachments: what follows its own values. */
static void message_encode_rest(mh_wr *wr, const mh_message *m)
{
    mh_wr_u32(wr, m->n_recipients);
    for (uint32_t i = 0; i < m->n_recipients; i++)
        mh_proplist_encode(wr, &m->recipients[i]);
    mh_wr_u32(wr, m->n_attachments);
    for (uint32_t i = 0; i < m->n_attachments; i++) {
        const mh_attachment *a = &m->attachments[i];
        mh_wr_u32(wr, a->num);
        mh_proplist_encode(wr, &a->props);
        mh_wr_u8(wr, a->embedded ? 1 : 0);
        if (a->embedded)
            message_encode(wr, a->embedded);
    }
}

static void message_encode(mh_wr *wr, const mh_message *m)
{
    mh_proplist_encode(wr, &m->props);
    message_encode_rest(wr, m);
}

void mh_message_encode(mh_wr *wr, const mh_message *m)
{
    message_encode(wr, m);
}

/* ------------------------------------------------------ message index */

typedef struct ix_entry {
    uint32_t tag, pos; /* pos: the value's place in the list */
} ix_entry;

static int ix_entry_cmp(const void *a, const void *b)
{
    const ix_entry *x = a, *y = b;
    if (x->tag != y->tag)
        return x->tag < y->tag ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void mh_message_encode_indexed(mh_wr *wr, const mh_message *m)
{
    const mh_proplist *l = &m->props;
    /* the index's entries: each tag once, at its first value */
    ix_entry *e = apr_palloc(wr->pool, sizeof(*e) * (l->n ? l->n : 1));
    for (uint32_t i = 0; i < l->n; i++) {
        e[i].tag = l->v[i].tag;
        e[i].pos = i;
    }
    qsort(e, l->n, sizeof(*e), ix_entry_cmp);
    uint32_t k = 0;
    for (uint32_t i = 0; i < l->n; i++)
        if (k == 0 || e[k - 1].tag != e[i].tag)
            e[k++] = e[i];
    /* the message, with the offset of every value noted */
    uint32_t *off = apr_palloc(wr->pool, sizeof(*off) * (l->n ? l->n : 1));
    size_t head = wr->len;
    mh_wr_reserve(wr, 4 + (size_t)k * 8);
    size_t start = wr->len;
    mh_wr_u32(wr, l->n);
    for (uint32_t i = 0; i < l->n; i++) {
        off[i] = (uint32_t)(wr->len - start);
        mh_propval_encode(wr, &l->v[i]);
    }
    message_encode_rest(wr, m);
    unsigned char *p = wr->buf + head; /* the buffer may have moved */
    mh_put_u32(p, k);
    for (uint32_t i = 0; i < k; i++) {
        mh_put_u32(p + 4 + 4 * (size_t)i, e[i].tag);
        mh_put_u32(p + 4 + 4 * (size_t)k + 4 * (size_t)i, off[e[i].pos]);
    }
}

int mh_msgindex_read(mh_rd *rd, mh_msgindex *ix)
{
    uint32_t n = mh_rd_u32(rd);
    if (rd->err || (size_t)n > mh_rd_left(rd) / 8) {
        rd->err = 1;
        return -1;
    }
    const unsigned char *p = mh_rd_bytes(rd, 8 * (size_t)n);
    ix->n = n;
    ix->tags = p;
    ix->offs = p + 4 * (size_t)n;
    return 0;
}

int mh_message_decode_tags_indexed(const mh_msgindex *ix, const unsigned char *msg, size_t len,
                                   apr_pool_t *pool, const mh_proptag *tags, uint32_t n,
                                   mh_proplist *l)
{
    const mh_proptag *sorted = sorted_tags(pool, tags, n);
    uint32_t most = n < ix->n ? n : ix->n;
    l->n = 0;
    l->v = apr_palloc(pool, sizeof(mh_propval) * (most ? most : 1));
    /* both lists ascending: one walk through the index.  An index whose
     * tags are out of order makes the walk miss a value, never read
     * astray: what is found is checked below. */
    uint32_t j = 0, nix = ix->n;
    const unsigned char *it = ix->tags;
    for (uint32_t k = 0; k < n && j < nix; k++) {
        mh_proptag tag = sorted[k];
        while (j < nix && mh_get_u32(it + 4 * (size_t)j) < tag)
            j++;
        if (j == nix || mh_get_u32(it + 4 * (size_t)j) != tag)
            continue;
        uint32_t off = mh_get_u32(ix->offs + 4 * (size_t)j);
        if (off > len)
            return -1;
        mh_rd rd;
        mh_rd_init(&rd, msg + off, len - off);
        mh_propval *v = &l->v[l->n];
        if (mh_propval_decode(&rd, pool, v) != 0 || v->tag != tag)
            return -1;
        l->n++;
        j++;
    }
    return 0;
}

static int message_decode(mh_rd *rd, apr_pool_t *pool, mh_message **m_r, unsigned depth)
{
    if (depth > MH_MAX_EMBED_DEPTH) {
        rd->err = 1;
        return -1;
    }
    mh_message *m = apr_pcalloc(pool, sizeof(*m));
    if (mh_proplist_decode(rd, pool, &m->props) != 0)
        return -1;
    uint32_t n = mh_rd_u32(rd);
    if (rd->err || (size_t)n > mh_rd_left(rd) / 4) {
        rd->err = 1;
        return -1;
    }
    m->n_recipients = n;
    m->recipients = apr_pcalloc(pool, sizeof(mh_proplist) * (n ? n : 1));
    for (uint32_t i = 0; i < n; i++)
        if (mh_proplist_decode(rd, pool, &m->recipients[i]) != 0)
            return -1;
    n = mh_rd_u32(rd);
    if (rd->err || (size_t)n > mh_rd_left(rd) / 9) {
        rd->err = 1;
        return -1;
    }
    m->n_attachments = n;
    m->attachments = apr_pcalloc(pool, sizeof(mh_attachment) * (n ? n : 1));
    for (uint32_t i = 0; i < n; i++) {
        mh_attachment *a = &m->attachments[i];
        a->num = mh_rd_u32(rd);
        if (mh_proplist_decode(rd, pool, &a->props) != 0)
            return -1;
        uint8_t emb = mh_rd_u8(rd);
        if (rd->err || emb > 1) {
            rd->err = 1;
            return -1;
        }
        if (emb && message_decode(rd, pool, &a->embedded, depth + 1) != 0)
            return -1;
    }
    *m_r = m;
    return 0;
}

int mh_message_decode(mh_rd *rd, apr_pool_t *pool, mh_message **m_r)
{
    return message_decode(rd, pool, m_r, 0);
}

void mh_propval_copy(apr_pool_t *pool, mh_propval *dst, const mh_propval *src)
{
    *dst = *src;
    uint16_t type = MH_TAG_TYPE(src->tag);
    if (src->flags & (MH_PV_LARGE | MH_PV_KEEP | MH_PV_SOURCE))
        return;
    if (type & MV_FLAG) {
        uint16_t base = type & (uint16_t)~MV_FLAG;
        uint32_t n = src->v.mv.n;
        if (base == PT_UNICODE) {
            const char **a = apr_pcalloc(pool, sizeof(*a) * (n ? n : 1));
            for (uint32_t i = 0; i < n; i++)
                a[i] = apr_pstrdup(pool, ((const char *const *)src->v.mv.v)[i]);
            dst->v.mv.v = a;
        } else if (base == PT_BINARY) {
            mh_bin *a = apr_pcalloc(pool, sizeof(*a) * (n ? n : 1));
            for (uint32_t i = 0; i < n; i++) {
                const mh_bin *b = &((const mh_bin *)src->v.mv.v)[i];
                a[i].len = b->len;
                a[i].data = b->len ? apr_pmemdup(pool, b->data, b->len) : (const uint8_t *)"";
            }
            dst->v.mv.v = a;
        } else {
            size_t es = base == PT_CLSID ? sizeof(mh_guid) : fixed_size(base);
            if (base == PT_SHORT)
                es = sizeof(int16_t);
            else if (base == PT_LONG)
                es = sizeof(int32_t);
            else if (base == PT_FLOAT)
                es = sizeof(float);
            dst->v.mv.v = n ? apr_pmemdup(pool, src->v.mv.v, es * n) : NULL;
        }
        return;
    }
    if (type == PT_UNICODE)
        dst->v.str = apr_pstrdup(pool, src->v.str);
    else if (type == PT_CLSID)
        dst->v.guid = apr_pmemdup(pool, src->v.guid, sizeof(mh_guid));
    else if (is_binary_like(type))
        dst->v.bin.data = src->v.bin.len ? apr_pmemdup(pool, src->v.bin.data, src->v.bin.len)
                                         : (const uint8_t *)"";
}

void mh_proplist_copy(apr_pool_t *pool, mh_proplist *dst, const mh_proplist *src)
{
    dst->n = src->n;
    dst->v = apr_pcalloc(pool, sizeof(mh_propval) * (src->n ? src->n : 1));
    for (uint32_t i = 0; i < src->n; i++)
        mh_propval_copy(pool, &dst->v[i], &src->v[i]);
}

mh_message *mh_message_copy(apr_pool_t *pool, const mh_message *src)
{
    mh_message *m = apr_pcalloc(pool, sizeof(*m));
    mh_proplist_copy(pool, &m->props, &src->props);
    m->n_recipients = src->n_recipients;
    m->recipients = apr_pcalloc(pool, sizeof(mh_proplist) * (src->n_recipients ? src->n_recipients : 1));
    for (uint32_t i = 0; i < src->n_recipients; i++)
        mh_proplist_copy(pool, &m->recipients[i], &src->recipients[i]);
    m->n_attachments = src->n_attachments;
    m->attachments = apr_pcalloc(pool, sizeof(mh_attachment) * (src->n_attachments ? src->n_attachments : 1));
    for (uint32_t i = 0; i < src->n_attachments; i++) {
        m->attachments[i].num = src->attachments[i].num;
        mh_proplist_copy(pool, &m->attachments[i].props, &src->attachments[i].props);
        if (src->attachments[i].embedded)
            m->attachments[i].embedded = mh_message_copy(pool, src->attachments[i].embedded);
    }
    return m;
}

int mh_propval_equal(const mh_propval *a, const mh_propval *b)
{
    if (a->tag != b->tag || (a->flags & MH_PV_LARGE) != (b->flags & MH_PV_LARGE))
        return 0;
    if (a->flags & MH_PV_LARGE)
        return a->v.large.size == b->v.large.size && a->v.large.ref == b->v.large.ref;
    uint16_t type = MH_TAG_TYPE(a->tag);
    if (type & MV_FLAG) {
        uint16_t base = type & (uint16_t)~MV_FLAG;
        if (a->v.mv.n != b->v.mv.n)
            return 0;
        for (uint32_t i = 0; i < a->v.mv.n; i++) {
            if (base == PT_UNICODE) {
                if (strcmp(((const char *const *)a->v.mv.v)[i], ((const char *const *)b->v.mv.v)[i]))
                    return 0;
            } else if (base == PT_BINARY) {
                const mh_bin *x = &((const mh_bin *)a->v.mv.v)[i], *y = &((const mh_bin *)b->v.mv.v)[i];
                if (x->len != y->len || (x->len && memcmp(x->data, y->data, x->len)))
                    return 0;
            }
        }
        if (base != PT_UNICODE && base != PT_BINARY) {
            size_t es = base == PT_CLSID ? 16 : base == PT_SHORT ? 2 : base == PT_LONG || base == PT_FLOAT ? 4 : 8;
            return a->v.mv.n == 0 || memcmp(a->v.mv.v, b->v.mv.v, es * a->v.mv.n) == 0;
        }
        return 1;
    }
    switch (type) {
    case PT_SHORT: return a->v.i16 == b->v.i16;
    case PT_LONG: return a->v.i32 == b->v.i32;
    case PT_ERROR: return a->v.err == b->v.err;
    case PT_FLOAT: return memcmp(&a->v.f32, &b->v.f32, 4) == 0;
    case PT_DOUBLE: case PT_APPTIME: return memcmp(&a->v.f64, &b->v.f64, 8) == 0;
    case PT_CURRENCY: case PT_I8: return a->v.i64 == b->v.i64;
    case PT_SYSTIME: return a->v.ft == b->v.ft;
    case PT_BOOLEAN: return (a->v.b != 0) == (b->v.b != 0);
    case PT_CLSID: return memcmp(a->v.guid->b, b->v.guid->b, 16) == 0;
    case PT_UNICODE: return strcmp(a->v.str, b->v.str) == 0;
    default:
        if (is_binary_like(type))
            return a->v.bin.len == b->v.bin.len &&
                   (a->v.bin.len == 0 || memcmp(a->v.bin.data, b->v.bin.data, a->v.bin.len) == 0);
        return 1;
    }
}

uint64_t mh_propval_bytes(const mh_propval *v)
{
    uint16_t type = MH_TAG_TYPE(v->tag);
    if (v->flags & (MH_PV_LARGE))
        return v->v.large.size;
    if (v->flags & MH_PV_SOURCE)
        return v->v.source.size;
    if (type & MV_FLAG) {
        uint16_t base = type & (uint16_t)~MV_FLAG;
        uint64_t n = 0;
        for (uint32_t i = 0; i < v->v.mv.n; i++) {
            if (base == PT_UNICODE)
                n += strlen(((const char *const *)v->v.mv.v)[i]) + 1;
            else if (base == PT_BINARY)
                n += ((const mh_bin *)v->v.mv.v)[i].len;
            else
                n += fixed_size(base);
        }
        return n;
    }
    if (type == PT_UNICODE)
        return strlen(v->v.str) + 1;
    if (is_binary_like(type))
        return v->v.bin.len;
    return fixed_size(type);
}

uint64_t mh_message_bytes(const mh_message *m)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < m->props.n; i++)
        n += mh_propval_bytes(&m->props.v[i]);
    for (uint32_t r = 0; r < m->n_recipients; r++)
        for (uint32_t i = 0; i < m->recipients[r].n; i++)
            n += mh_propval_bytes(&m->recipients[r].v[i]);
    for (uint32_t a = 0; a < m->n_attachments; a++) {
        for (uint32_t i = 0; i < m->attachments[a].props.n; i++)
            n += mh_propval_bytes(&m->attachments[a].props.v[i]);
        if (m->attachments[a].embedded)
            n += mh_message_bytes(m->attachments[a].embedded);
    }
    return n;
}

void mh_proplist_set(apr_pool_t *pool, mh_proplist *l, const mh_propval *v)
{
    for (uint32_t i = 0; i < l->n; i++) {
        if (l->v[i].tag == v->tag) {
            l->v[i] = *v;
            return;
        }
    }
    mh_propval *nv = apr_palloc(pool, sizeof(*nv) * (l->n + 1));
    if (l->n)
        memcpy(nv, l->v, sizeof(*nv) * l->n);
    nv[l->n] = *v;
    l->v = nv;
    l->n++;
}

void mh_proplist_remove(mh_proplist *l, mh_proptag tag)
{
    for (uint32_t i = 0; i < l->n; i++) {
        if (l->v[i].tag == tag) {
            memmove(&l->v[i], &l->v[i + 1], sizeof(*l->v) * (l->n - i - 1));
            l->n--;
            return;
        }
    }
}

mh_propval mh_pv_long(mh_proptag tag, int32_t v)
{
    mh_propval p = {0};
    p.tag = tag;
    p.v.i32 = v;
    return p;
}

mh_propval mh_pv_bool(mh_proptag tag, int v)
{
    mh_propval p = {0};
    p.tag = tag;
    p.v.b = v ? 1 : 0;
    return p;
}

mh_propval mh_pv_str(mh_proptag tag, const char *s)
{
    mh_propval p = {0};
    p.tag = tag;
    p.v.str = s;
    return p;
}

mh_propval mh_pv_bin(mh_proptag tag, const void *data, uint32_t len)
{
    mh_propval p = {0};
    p.tag = tag;
    p.v.bin.data = data;
    p.v.bin.len = len;
    return p;
}

mh_propval mh_pv_i8(mh_proptag tag, int64_t v)
{
    mh_propval p = {0};
    p.tag = tag;
    p.v.i64 = v;
    return p;
}

mh_propval mh_pv_time(mh_proptag tag, uint64_t filetime)
{
    mh_propval p = {0};
    p.tag = tag;
    p.v.ft = filetime;
    return p;
}

/* 1601-01-01 to 1970-01-01 in 100 ns units */
#define FILETIME_UNIX_EPOCH 116444736000000000ull

uint64_t mh_filetime_from_apr(apr_time_t t)
{
    return (uint64_t)t * 10 + FILETIME_UNIX_EPOCH;
}

apr_time_t mh_apr_from_filetime(uint64_t ft)
{
    if (ft < FILETIME_UNIX_EPOCH)
        return 0;
    return (apr_time_t)((ft - FILETIME_UNIX_EPOCH) / 10);
}
