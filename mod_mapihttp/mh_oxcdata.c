/*
 * mh_oxcdata.c - MS-OXCDATA structures in ROP buffers (and, with a count
 * width of 4, in extended rules and the MAPI/HTTP address book): property
 * values, rows, tag arrays, names, problems, restrictions, sort orders;
 * comparison and restriction evaluation.
 *
 * Count widths (MS-OXCDATA 2.11.1.1): in ROP buffers PtypBinary byte counts
 * (and the PtypServerId size) are 16 bits and PtypMultiple value counts 32
 * bits; in extended rules (MS-OXORULE 2.2.4) and MAPI/HTTP (MS-OXCMAPIHTTP
 * 2.2.5) all of them are 32 bits.  The same switch gives the And/Or
 * restriction counts (2.12.1/2.12.2) and the RuleAction counts (MS-OXORULE
 * 2.2.5).  The plain functions of mh_oxcdata.h are the ROP (2-byte) form.
 */
#include "mh_oxcdata.h"

#include <errno.h>
#include <iconv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "mapihttp/fold.h"
#include "mh_mapierr.h"
#include "mh_ruleaction.h"
#include "mh_unicode.h"

#define MV_INSTANCE 0x2000

/* ================================================================ UTF-8 */

/* UTF-8 one code point at a time: mh_utf8_decode / mh_utf8_encode of
 * mapihttp/fold.h (invalid sequences decode as U+FFFD). */

/* ============================================================ code pages */

/* Windows-1252 0x80..0x9F; 0 where the code page defines nothing. */
static const uint16_t cp1252_hi[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

static uint32_t cp1252_to_ucs(unsigned char b)
{
    if (b >= 0x80 && b < 0xA0)
        return cp1252_hi[b - 0x80] ? cp1252_hi[b - 0x80] : 0xFFFD;
    return b;
}

static int ucs_to_cp1252(uint32_t c)
{
    if (c < 0x80 || (c >= 0xA0 && c <= 0xFF))
        return (int)c;
    for (int i = 0; i < 32; i++)
        if (cp1252_hi[i] && cp1252_hi[i] == c)
            return 0x80 + i;
    return -1;
}

/* The iconv name of a Windows code page, or NULL for 1252 (and for the
 * code pages a PT_STRING8 cannot be in), which is done here without iconv. */
static const char *cp_iconv_name(uint32_t cp, char *buf, size_t bufsz)
{
    switch (cp) {
    case 1252: case MH_CP_UNICODE: case 1201: case 12000: case 12001: case 0:
        return NULL;
    case 20127: return "ASCII";
    case 20866: return "KOI8-R";
    case 21866: return "KOI8-U";
    case 50220: case 50221: case 50222: return "ISO-2022-JP";
    case 51932: case 20932: return "EUC-JP";
    case 51936: return "GB2312";
    case 51949: return "EUC-KR";
    case 54936: return "GB18030";
    case 10000: return "MACINTOSH";
    case 65000: return "UTF-7";
    default:
        break;
    }
    if (cp >= 28591 && cp <= 28606) {
        snprintf(buf, bufsz, "ISO-8859-%u", (unsigned)(cp - 28590));
        return buf;
    }
    snprintf(buf, bufsz, "CP%u", (unsigned)cp);
    return buf;
}

/* iconv descriptors are per call: they hold state and are not thread-safe. */
static iconv_t cp_open(uint32_t cp, int to_utf8)
{
    char buf[32];
    const char *name = cp_iconv_name(cp, buf, sizeof buf);
    if (!name)
        return (iconv_t)-1;
    return to_utf8 ? iconv_open("UTF-8", name) : iconv_open(name, "UTF-8");
}

/* A growable malloc'd byte buffer for the conversions (copied to the pool
 * once at the end, so the pool does not keep every intermediate size). */
typedef struct cbuf {
    char *p;
    size_t len, cap;
} cbuf;

static void cb_need(cbuf *b, size_t n)
{
    if (b->cap - b->len >= n)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len < n)
        cap *= 2;
    char *np = realloc(b->p, cap);
    if (!np)
        abort(); /* as APR does on allocation failure */
    b->p = np;
    b->cap = cap;
}

static void cb_put(cbuf *b, const void *d, size_t n)
{
    cb_need(b, n);
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void cb_ucs(cbuf *b, uint32_t c)
{
    unsigned char o[4];
    cb_put(b, o, mh_utf8_encode(c, o));
}

static const char *cb_finish(cbuf *b, apr_pool_t *pool, size_t *len_r)
{
    char *r = apr_pstrmemdup(pool, b->p ? b->p : "", b->len);
    if (len_r)
        *len_r = b->len;
    free(b->p);
    return r;
}

const char *mh_cp_to_utf8(uint32_t cp, const char *s, size_t len, apr_pool_t *pool)
{
    const unsigned char *u = (const unsigned char *)s;
    cbuf b = {0};
    iconv_t cd = (iconv_t)-1;
    if (cp == MH_CP_UTF8) {
        /* validate: invalid sequences become U+FFFD */
        for (size_t i = 0; i < len;) {
            size_t n;
            uint32_t c = mh_utf8_decode(u + i, len - i, &n);
            if (c == 0 && n == 1)
                c = 0xFFFD; /* no NUL inside a string */
            cb_ucs(&b, c);
            i += n;
        }
        return cb_finish(&b, pool, NULL);
    }
    cd = cp_open(cp, 1);
    if (cd == (iconv_t)-1) {
        for (size_t i = 0; i < len; i++)
            cb_ucs(&b, u[i] ? cp1252_to_ucs(u[i]) : 0xFFFD);
        return cb_finish(&b, pool, NULL);
    }
    char *in = (char *)(uintptr_t)s;
    size_t inleft = len;
    while (inleft > 0) {
        cb_need(&b, inleft * 4 + 16);
        char *out = b.p + b.len;
        size_t outleft = b.cap - b.len;
        size_t r = iconv(cd, &in, &inleft, &out, &outleft);
        b.len = (size_t)(out - b.p);
        if (r != (size_t)-1)
            break;
        if (errno == E2BIG)
            continue;
        /* EILSEQ: a byte that does not convert; EINVAL: a sequence cut
         * off at the end.  Either way one replacement, then go on. */
        cb_ucs(&b, 0xFFFD);
        if (errno == EINVAL) {
            inleft = 0;
        } else {
            in++;
            inleft--;
        }
        iconv(cd, NULL, NULL, NULL, NULL);
    }
    iconv_close(cd);
    /* a converter that produced a NUL would cut the string short */
    for (size_t i = 0; i < b.len; i++)
        if (b.p[i] == 0)
            b.p[i] = '?';
    return cb_finish(&b, pool, NULL);
}

const char *mh_cp_from_utf8(uint32_t cp, const char *s, apr_pool_t *pool, size_t *len_r)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s);
    cbuf b = {0};
    if (cp == MH_CP_UTF8) {
        for (size_t i = 0; i < len;) {
            size_t n;
            cb_ucs(&b, mh_utf8_decode(u + i, len - i, &n));
            i += n;
        }
        return cb_finish(&b, pool, len_r);
    }
    iconv_t cd = cp_open(cp, 0);
    if (cd == (iconv_t)-1) {
        for (size_t i = 0; i < len;) {
            size_t n;
            int c = ucs_to_cp1252(mh_utf8_decode(u + i, len - i, &n));
            char ch = c < 0 ? '?' : (char)c;
            cb_put(&b, &ch, 1);
            i += n;
        }
        return cb_finish(&b, pool, len_r);
    }
    char *in = (char *)(uintptr_t)s;
    size_t inleft = len;
    while (inleft > 0) {
        cb_need(&b, inleft * 4 + 16);
        char *out = b.p + b.len;
        size_t outleft = b.cap - b.len;
        size_t r = iconv(cd, &in, &inleft, &out, &outleft);
        int e = errno;
        b.len = (size_t)(out - b.p);
        if (r != (size_t)-1)
            break;
        if (e == E2BIG)
            continue;
        /* a character the code page lacks (or broken UTF-8): '?' */
        size_t n;
        (void)mh_utf8_decode((const unsigned char *)in, inleft, &n);
        in += n;
        inleft -= n;
        cb_put(&b, "?", 1);
    }
    /* stateful code pages (ISO-2022-JP) shift back at the end */
    cb_need(&b, 16);
    char *out = b.p + b.len;
    size_t outleft = b.cap - b.len;
    if (iconv(cd, NULL, NULL, &out, &outleft) != (size_t)-1)
        b.len = (size_t)(out - b.p);
    iconv_close(cd);
    for (size_t i = 0; i < b.len; i++)
        if (b.p[i] == 0)
            b.p[i] = '?';
    return cb_finish(&b, pool, len_r);
}

int mh_cp_supported(uint32_t cp)
{
    switch (cp) {
    case 1252: case MH_CP_UTF8:
        return 1;
    case 0: case MH_CP_UNICODE: case 1201: case 12000: case 12001:
        return 0;
    default:
        break;
    }
    iconv_t cd = cp_open(cp, 0);
    if (cd == (iconv_t)-1)
        return 0;
    iconv_close(cd);
    return 1;
}

/* ================================================== reading and writing */

/*
 * Parsing state shared by the recursive readers.  A NULL pool is skip
 * mode (the mh_skip_* functions): the same walk over the same bytes with
 * the same checks, but nothing is allocated, copied or converted, and the
 * values and structures handed back are placeholders.
 */
typedef struct rctx {
    int cw;           /* COUNT width: 2 (ROP) or 4 */
    uint32_t cp;
    apr_pool_t *pool; /* NULL: skip mode */
    int depth;        /* restriction nesting so far */
} rctx;

static uint32_t rd_count(mh_rd *rd, int cw)
{
    return cw == 4 ? mh_rd_u32(rd) : mh_rd_u16(rd);
}

static void wr_count(mh_wr *wr, int cw, uint32_t n)
{
    if (cw == 4)
        mh_wr_u32(wr, n);
    else
        mh_wr_u16(wr, (uint16_t)n);
}

static uint32_t count_max(int cw)
{
    return cw == 4 ? 0xFFFFFFFFu : 0xFFFFu;
}

static int restriction_read(mh_rd *rd, rctx *c, mh_restriction *r);
static void restriction_write(mh_wr *wr, const mh_restriction *r, int cw, uint32_t cp);

/* The in-memory type of a wire type: strings become Unicode, and the
 * multi-value-instance bit (a column of single values) goes. */
static uint16_t mem_type(uint16_t type)
{
    if (type & MV_INSTANCE)
        type &= (uint16_t) ~(MV_INSTANCE | MV_FLAG);
    if (type == PT_STRING8)
        return PT_UNICODE;
    if (type == PT_MV_STRING8)
        return PT_MV_UNICODE;
    return type;
}

/* True for a type field that names no type: PT_UNSPECIFIED, also behind
 * the multi-value-instance bit (which the readers strip). */
static int names_no_type(uint16_t type)
{
    return (type & (uint16_t) ~(MV_INSTANCE | MV_FLAG)) == PT_UNSPECIFIED &&
           (type == PT_UNSPECIFIED || (type & MV_INSTANCE));
}

/* The smallest wire size of one element of a multi-valued type (to check
 * counts against the bytes left); 0 for types that have no MV form. */
static size_t mv_elem_min(uint16_t base, int cw)
{
    switch (base) {
    case PT_SHORT: return 2;
    case PT_LONG: case PT_FLOAT: return 4;
    case PT_DOUBLE: case PT_CURRENCY: case PT_APPTIME: case PT_I8: case PT_SYSTIME: return 8;
    case PT_CLSID: return 16;
    case PT_STRING8: return 1;
    case PT_UNICODE: return 2;
    case PT_BINARY: return (size_t)cw;
    default: return 0;
    }
}

static const char *rd_string8(mh_rd *rd, uint32_t cp, apr_pool_t *pool)
{
    size_t left = mh_rd_left(rd);
    const unsigned char *nul = left ? memchr(rd->p, 0, left) : NULL;
    if (!nul) {
        rd->err = 1;
        return NULL;
    }
    size_t n = (size_t)(nul - rd->p);
    const char *s = pool ? mh_cp_to_utf8(cp, (const char *)rd->p, n, pool) : "";
    rd->p += n + 1;
    return s;
}

/* A UTF-16LE string with its NUL as mh_rd_utf16z reads it; in skip mode
 * the same terminator search without the conversion. */
static const char *rd_utf16(mh_rd *rd, size_t max_units, apr_pool_t *pool)
{
    if (pool)
        return mh_rd_utf16z(rd, max_units, pool);
    size_t units = 0, avail = mh_rd_left(rd) / 2;
    while (units < avail && units <= max_units && mh_get_u16(rd->p + 2 * units) != 0)
        units++;
    if (units >= avail || units > max_units) {
        rd->err = 1;
        return NULL;
    }
    rd->p += 2 * (units + 1);
    return "";
}

static int rd_bin(mh_rd *rd, int cw, apr_pool_t *pool, mh_bin *b)
{
    uint32_t n = rd_count(rd, cw);
    const unsigned char *p = mh_rd_bytes(rd, n);
    if (!p)
        return -1;
    b->len = n;
    b->data = n && pool ? apr_pmemdup(pool, p, n) : (const uint8_t *)"";
    return 0;
}

/* RuleAction (MS-OXORULE 2.2.5): NoOfActions, then that many ActionBlocks
 * each led by its ActionLength (both COUNT wide).  Only skipped: the value
 * keeps the bytes as they came (see mh_oxcdata.h). */
static int rd_rule_actions(mh_rd *rd, int cw, apr_pool_t *pool, mh_bin *b)
{
    const unsigned char *start = rd->p;
    uint32_t n = rd_count(rd, cw);
    if (rd->err || n > mh_rd_left(rd) / (size_t)cw)
        return rd->err = 1, -1;
    for (uint32_t i = 0; i < n && !rd->err; i++) {
        uint32_t len = rd_count(rd, cw);
        /* ActionType, ActionFlavor and ActionFlags are 9 bytes */
        if (len < 9) {
            rd->err = 1;
            break;
        }
        (void)mh_rd_bytes(rd, len);
    }
    if (rd->err)
        return -1;
    size_t total = (size_t)(rd->p - start);
    if (total > 0xFFFFFFFFu)
        return rd->err = 1, -1;
    b->len = (uint32_t)total;
    b->data = pool ? apr_pmemdup(pool, start, total) : start;
    return 0;
}

/* A restriction value (PtypRestriction) is kept in memory as the
 * canonical encoding: 4-byte counts, strings as PT_UNICODE, so that it
 * does not depend on where it came from. */
#define RES_CANON_CW 4
/* The code page of that encoding as this file writes it (never a client's):
 * restriction values nested in it are canonical already, made by the read
 * that is canonicalising their parent, and are copied as they are.
 * Re-parsing them at every level made nested values cost 2^depth. */
#define RES_CANON_CP 0xFFFFFFFEu

static int rd_restriction_value(mh_rd *rd, rctx *c, mh_bin *b)
{
    mh_restriction r;
    if (restriction_read(rd, c, &r) != 0)
        return -1;
    if (!c->pool) {
        b->len = 0;
        b->data = (const uint8_t *)"";
        return 0;
    }
    mh_wr w;
    mh_wr_init(&w, c->pool, 64);
    restriction_write(&w, &r, RES_CANON_CW, RES_CANON_CP);
    b->len = (uint32_t)w.len;
    b->data = w.buf;
    return 0;
}

static int propval_read(mh_rd *rd, uint16_t type, rctx *c, mh_propval *v)
{
    apr_pool_t *pool = c->pool;
    memset(v, 0, sizeof *v);
    if (type & MV_INSTANCE)
        type &= (uint16_t) ~(MV_INSTANCE | MV_FLAG);
    v->tag = MH_TAG(0, mem_type(type));
    switch (type) {
    case PT_UNSPECIFIED: case PT_NULL: case PT_OBJECT:
        v->v.i32 = (int32_t)mh_rd_u32(rd);
        break;
    case PT_SHORT: v->v.i16 = (int16_t)mh_rd_u16(rd); break;
    case PT_LONG: v->v.i32 = (int32_t)mh_rd_u32(rd); break;
    case PT_FLOAT: {
        uint32_t u = mh_rd_u32(rd);
        memcpy(&v->v.f32, &u, 4);
        break;
    }
    case PT_DOUBLE: case PT_APPTIME: {
        uint64_t u = mh_rd_u64(rd);
        memcpy(&v->v.f64, &u, 8);
        break;
    }
    case PT_CURRENCY: case PT_I8: v->v.i64 = (int64_t)mh_rd_u64(rd); break;
    case PT_SYSTIME: v->v.ft = mh_rd_u64(rd); break;
    case PT_ERROR: v->v.err = mh_rd_u32(rd); break;
    case PT_BOOLEAN: v->v.b = mh_rd_u8(rd) ? 1 : 0; break; /* 2.11.1: one byte */
    case PT_CLSID: {
        if (!pool) {
            (void)mh_rd_bytes(rd, 16);
            break;
        }
        mh_guid *g = apr_palloc(pool, sizeof *g);
        mh_rd_copy(rd, g->b, 16);
        v->v.guid = g;
        break;
    }
    case PT_STRING8: v->v.str = rd_string8(rd, c->cp, pool); break;
    case PT_UNICODE: v->v.str = rd_utf16(rd, mh_rd_left(rd) / 2, pool); break;
    case PT_BINARY: case PT_SVREID: /* 2.11.1.4: ServerId is COUNT + bytes too */
        (void)rd_bin(rd, c->cw, pool, &v->v.bin);
        break;
    case PT_SRESTRICTION: (void)rd_restriction_value(rd, c, &v->v.bin); break;
    case PT_ACTIONS: (void)rd_rule_actions(rd, c->cw, pool, &v->v.bin); break;
    default: {
        if (!(type & MV_FLAG))
            return rd->err = 1, -1;
        uint16_t base = type & (uint16_t)~MV_FLAG;
        size_t min = mv_elem_min(base, c->cw);
        if (!min)
            return rd->err = 1, -1;
        uint32_t n = mh_rd_u32(rd); /* 2.11.1.1: MV counts are 32 bits in ROPs too */
        if (rd->err || n > mh_rd_left(rd) / min)
            return rd->err = 1, -1;
        v->v.mv.n = n;
        if (!pool) {
            /* skip mode: fixed-size elements at once, the others one by one */
            if (base == PT_STRING8 || base == PT_UNICODE || base == PT_BINARY) {
                mh_bin b;
                for (uint32_t i = 0; i < n && !rd->err; i++)
                    if (base == PT_BINARY)
                        (void)rd_bin(rd, c->cw, NULL, &b);
                    else if (base == PT_STRING8)
                        (void)rd_string8(rd, c->cp, NULL);
                    else
                        (void)rd_utf16(rd, mh_rd_left(rd) / 2, NULL);
            } else {
                (void)mh_rd_bytes(rd, (size_t)n * min);
            }
            v->v.mv.n = 0;
            break;
        }
        switch (base) {
        case PT_SHORT: {
            int16_t *a = apr_palloc(pool, n * sizeof *a + 1);
            for (uint32_t i = 0; i < n; i++)
                a[i] = (int16_t)mh_rd_u16(rd);
            v->v.mv.v = a;
            break;
        }
        case PT_LONG: {
            int32_t *a = apr_palloc(pool, n * sizeof *a + 1);
            for (uint32_t i = 0; i < n; i++)
                a[i] = (int32_t)mh_rd_u32(rd);
            v->v.mv.v = a;
            break;
        }
        case PT_FLOAT: {
            float *a = apr_palloc(pool, n * sizeof *a + 1);
            for (uint32_t i = 0; i < n; i++) {
                uint32_t u = mh_rd_u32(rd);
                memcpy(&a[i], &u, 4);
            }
            v->v.mv.v = a;
            break;
        }
        case PT_DOUBLE: case PT_APPTIME: {
            double *a = apr_palloc(pool, n * sizeof *a + 1);
            for (uint32_t i = 0; i < n; i++) {
                uint64_t u = mh_rd_u64(rd);
                memcpy(&a[i], &u, 8);
            }
            v->v.mv.v = a;
            break;
        }
        case PT_CURRENCY: case PT_I8: {
            int64_t *a = apr_palloc(pool, n * sizeof *a + 1);
            for (uint32_t i = 0; i < n; i++)
                a[i] = (int64_t)mh_rd_u64(rd);
            v->v.mv.v = a;
            break;
        }
        case PT_SYSTIME: {
            uint64_t *a = apr_palloc(pool, n * sizeof *a + 1);
            for (uint32_t i = 0; i < n; i++)
                a[i] = mh_rd_u64(rd);
            v->v.mv.v = a;
            break;
        }
        case PT_CLSID: {
            mh_guid *a = apr_palloc(pool, n * sizeof *a + 1);
            for (uint32_t i = 0; i < n; i++)
                mh_rd_copy(rd, a[i].b, 16);
            v->v.mv.v = a;
            break;
        }
        case PT_STRING8: case PT_UNICODE: {
            const char **a = apr_palloc(pool, n * sizeof *a + 1);
            for (uint32_t i = 0; i < n && !rd->err; i++)
                a[i] = base == PT_STRING8 ? rd_string8(rd, c->cp, pool)
                                          : rd_utf16(rd, mh_rd_left(rd) / 2, pool);
            v->v.mv.v = a;
            break;
        }
        case PT_BINARY: {
            mh_bin *a = apr_palloc(pool, n * sizeof *a + 1);
            for (uint32_t i = 0; i < n && !rd->err; i++)
                (void)rd_bin(rd, c->cw, pool, &a[i]);
            v->v.mv.v = a;
            break;
        }
        }
        break;
    }
    }
    return rd->err ? -1 : 0;
}

int mh_rd_propval_cw(mh_rd *rd, uint16_t type, int count_width, uint32_t cp, apr_pool_t *pool,
                     mh_propval *v)
{
    rctx c = {count_width == 4 ? 4 : 2, cp, pool, 0};
    return propval_read(rd, type, &c, v);
}

int mh_rd_propval(mh_rd *rd, uint16_t type, uint32_t cp, apr_pool_t *pool, mh_propval *v)
{
    return mh_rd_propval_cw(rd, type, 2, cp, pool, v);
}

static int tagged_read(mh_rd *rd, rctx *c, mh_propval *v)
{
    mh_proptag tag = mh_rd_u32(rd);
    if (rd->err || propval_read(rd, MH_TAG_TYPE(tag), c, v) != 0)
        return -1;
    v->tag = MH_TAG(MH_TAG_ID(tag), mem_type(MH_TAG_TYPE(tag)));
    return 0;
}

int mh_rd_tagged_propval_cw(mh_rd *rd, int count_width, uint32_t cp, apr_pool_t *pool,
                            mh_propval *v)
{
    rctx c = {count_width == 4 ? 4 : 2, cp, pool, 0};
    return tagged_read(rd, &c, v);
}

int mh_rd_tagged_propval(mh_rd *rd, uint32_t cp, apr_pool_t *pool, mh_propval *v)
{
    return mh_rd_tagged_propval_cw(rd, 2, cp, pool, v);
}

int mh_rd_typed_propval_cw(mh_rd *rd, int count_width, uint32_t cp, apr_pool_t *pool,
                           mh_propval *v)
{
    uint16_t type = mh_rd_u16(rd);
    /* a typed value names its type: PT_UNSPECIFIED is none (2.11.3) */
    if (rd->err || names_no_type(type))
        return rd->err = 1, -1;
    return mh_rd_propval_cw(rd, type, count_width, cp, pool, v);
}

int mh_rd_typed_propval(mh_rd *rd, uint32_t cp, apr_pool_t *pool, mh_propval *v)
{
    return mh_rd_typed_propval_cw(rd, 2, cp, pool, v);
}

/* ------------------------------------------------------------- writing */

static int is_str(uint16_t t)
{
    return t == PT_STRING8 || t == PT_UNICODE;
}

/* The type actually written: the wire type, unless the value is of
 * another kind (then the value's own type, see mh_oxcdata.h). */
static uint16_t write_type(uint16_t type, const mh_propval *v)
{
    if (type & MV_INSTANCE)
        type &= (uint16_t) ~(MV_INSTANCE | MV_FLAG);
    uint16_t vt = MH_TAG_TYPE(v->tag);
    if (vt & MV_INSTANCE)
        vt &= (uint16_t) ~(MV_INSTANCE | MV_FLAG);
    if (type == vt)
        return type;
    if (is_str(type) && is_str(vt))
        return type;
    if ((type & MV_FLAG) && (vt & MV_FLAG) && is_str(type & ~MV_FLAG) && is_str(vt & ~MV_FLAG))
        return type;
    return vt;
}

static void wr_str(mh_wr *wr, uint16_t base, const char *s, uint32_t cp)
{
    if (!s)
        s = "";
    if (base == PT_UNICODE) {
        mh_wr_utf16z(wr, s);
    } else {
        size_t n;
        const char *t = mh_cp_from_utf8(cp, s, wr->pool, &n);
        mh_wr_bytes(wr, t, n);
        mh_wr_u8(wr, 0);
    }
}

static void wr_bin(mh_wr *wr, int cw, const mh_bin *b)
{
    /* a binary too long for a 2-byte COUNT is the caller's bug (large
     * values never reach a writer); cut it so the buffer stays parseable */
    uint32_t n = b->len > count_max(cw) ? count_max(cw) : b->len;
    wr_count(wr, cw, n);
    if (n)
        mh_wr_bytes(wr, b->data, n);
}

/* Rewrites a canonical restriction value for the wire.  Bytes that do not
 * parse (a store's damage) go out as an empty AndRestriction, so the
 * buffer stays parseable. */
static void wr_restriction_value(mh_wr *wr, const mh_bin *b, int cw, uint32_t cp, unsigned wf)
{
    mh_rd rd;
    mh_restriction *r;
    if (cw == RES_CANON_CW && cp == RES_CANON_CP) {
        mh_wr_bytes(wr, b->data, b->len);
        return;
    }
    mh_rd_init(&rd, b->data, b->len);
    if (mh_rd_restriction(&rd, RES_CANON_CW, MH_CP_UTF8, wr->pool, &r) == 0) {
        if (wf & MH_WR_STRING8)
            mh_restriction_retype(r, PT_STRING8);
        restriction_write(wr, r, cw, cp);
        return;
    }
    mh_wr_u8(wr, MH_RES_AND);
    wr_count(wr, cw, 0);
}

/* A RuleAction value as the wire wants it: as stored (the canonical ROP
 * form), or with its strings made 8-bit.  Bytes that do not parse (a
 * value that never went through the codec) go out as they are. */
static void wr_rule_actions_value(mh_wr *wr, const mh_bin *b, uint32_t cp, unsigned wf)
{
    if (wf & MH_WR_STRING8) {
        mh_rd rd;
        mh_rule_actions *acts;
        const char *why;
        mh_rd_init(&rd, b->data, b->len);
        if (mh_rd_rule_actions(&rd, 0, cp, wr->pool, &acts, &why) == 0 && rd.p == rd.end) {
            mh_rule_actions_retype(acts, PT_STRING8);
            mh_wr_rule_actions(wr, acts, cp);
            return;
        }
    }
    mh_wr_bytes(wr, b->data, b->len);
}

static void propval_write_wf(mh_wr *wr, uint16_t type, const mh_propval *v, int cw, uint32_t cp,
                             unsigned wf)
{
    type = write_type(type, v);
    switch (type) {
    case PT_UNSPECIFIED: case PT_NULL: case PT_OBJECT: case PT_LONG:
        mh_wr_u32(wr, (uint32_t)v->v.i32);
        return;
    case PT_SHORT: mh_wr_u16(wr, (uint16_t)v->v.i16); return;
    case PT_FLOAT: {
        uint32_t u;
        memcpy(&u, &v->v.f32, 4);
        mh_wr_u32(wr, u);
        return;
    }
    case PT_DOUBLE: case PT_APPTIME: {
        uint64_t u;
        memcpy(&u, &v->v.f64, 8);
        mh_wr_u64(wr, u);
        return;
    }
    case PT_CURRENCY: case PT_I8: mh_wr_u64(wr, (uint64_t)v->v.i64); return;
    case PT_SYSTIME: mh_wr_u64(wr, v->v.ft); return;
    case PT_ERROR: mh_wr_u32(wr, v->v.err); return;
    case PT_BOOLEAN: mh_wr_u8(wr, v->v.b ? 1 : 0); return;
    case PT_CLSID: {
        static const uint8_t zero[16];
        mh_wr_bytes(wr, v->v.guid ? v->v.guid->b : zero, 16);
        return;
    }
    case PT_STRING8: case PT_UNICODE: wr_str(wr, type, v->v.str, cp); return;
    case PT_BINARY: case PT_SVREID: wr_bin(wr, cw, &v->v.bin); return;
    case PT_SRESTRICTION: wr_restriction_value(wr, &v->v.bin, cw, cp, wf); return;
    case PT_ACTIONS: wr_rule_actions_value(wr, &v->v.bin, cp, wf); return;
    default:
        break;
    }
    uint16_t base = type & (uint16_t)~MV_FLAG;
    if (!(type & MV_FLAG) || !mv_elem_min(base, cw)) {
        /* nothing sensible to write for an unknown type: 4 zero bytes,
         * as PT_NULL; never reached with values our readers produce */
        mh_wr_u32(wr, 0);
        return;
    }
    uint32_t n = v->v.mv.n;
    mh_wr_u32(wr, n);
    for (uint32_t i = 0; i < n; i++) {
        switch (base) {
        case PT_SHORT: mh_wr_u16(wr, (uint16_t)((const int16_t *)v->v.mv.v)[i]); break;
        case PT_LONG: mh_wr_u32(wr, (uint32_t)((const int32_t *)v->v.mv.v)[i]); break;
        case PT_FLOAT: {
            uint32_t u;
            memcpy(&u, &((const float *)v->v.mv.v)[i], 4);
            mh_wr_u32(wr, u);
            break;
        }
        case PT_DOUBLE: case PT_APPTIME: {
            uint64_t u;
            memcpy(&u, &((const double *)v->v.mv.v)[i], 8);
            mh_wr_u64(wr, u);
            break;
        }
        case PT_CURRENCY: case PT_I8:
            mh_wr_u64(wr, (uint64_t)((const int64_t *)v->v.mv.v)[i]);
            break;
        case PT_SYSTIME: mh_wr_u64(wr, ((const uint64_t *)v->v.mv.v)[i]); break;
        case PT_CLSID: mh_wr_bytes(wr, ((const mh_guid *)v->v.mv.v)[i].b, 16); break;
        case PT_STRING8: case PT_UNICODE:
            wr_str(wr, base, ((const char *const *)v->v.mv.v)[i], cp);
            break;
        case PT_BINARY: wr_bin(wr, cw, &((const mh_bin *)v->v.mv.v)[i]); break;
        }
    }
}

static void propval_write(mh_wr *wr, uint16_t type, const mh_propval *v, int cw, uint32_t cp)
{
    propval_write_wf(wr, type, v, cw, cp, 0);
}

void mh_wr_propval_cw(mh_wr *wr, uint16_t type, const mh_propval *v, int count_width, uint32_t cp)
{
    propval_write(wr, type, v, count_width == 4 ? 4 : 2, cp);
}

void mh_wr_propval(mh_wr *wr, uint16_t type, const mh_propval *v, uint32_t cp)
{
    propval_write(wr, type, v, 2, cp);
}

void mh_wr_tagged_propval_cw(mh_wr *wr, mh_proptag wire_tag, const mh_propval *v,
                             int count_width, uint32_t cp)
{
    uint16_t t = write_type(MH_TAG_TYPE(wire_tag), v);
    mh_wr_u32(wr, MH_TAG(MH_TAG_ID(wire_tag), t));
    propval_write(wr, t, v, count_width == 4 ? 4 : 2, cp);
}

void mh_wr_tagged_propval(mh_wr *wr, mh_proptag wire_tag, const mh_propval *v, uint32_t cp)
{
    mh_wr_tagged_propval_cw(wr, wire_tag, v, 2, cp);
}

void mh_wr_typed_propval_cw(mh_wr *wr, uint16_t type, const mh_propval *v, int count_width,
                            uint32_t cp)
{
    uint16_t t = write_type(type, v);
    mh_wr_u16(wr, t);
    propval_write(wr, t, v, count_width == 4 ? 4 : 2, cp);
}

void mh_wr_typed_propval(mh_wr *wr, uint16_t type, const mh_propval *v, uint32_t cp)
{
    mh_wr_typed_propval_cw(wr, type, v, 2, cp);
}

size_t mh_propval_wire_size_cw(uint16_t type, const mh_propval *v, int count_width, uint32_t cp)
{
    int cw = count_width == 4 ? 4 : 2;
    uint16_t t = write_type(type, v);
    switch (t) {
    case PT_UNSPECIFIED: case PT_NULL: case PT_OBJECT: case PT_LONG: case PT_FLOAT:
    case PT_ERROR:
        return 4;
    case PT_SHORT: return 2;
    case PT_BOOLEAN: return 1;
    case PT_DOUBLE: case PT_APPTIME: case PT_CURRENCY: case PT_I8: case PT_SYSTIME: return 8;
    case PT_CLSID: return 16;
    case PT_BINARY: case PT_SVREID:
        return (size_t)cw + (v->v.bin.len > count_max(cw) ? count_max(cw) : v->v.bin.len);
    case PT_ACTIONS: return v->v.bin.len;
    default:
        break;
    }
    /* strings and what contains them: measure by writing (conversions
     * decide the size) in a pool of our own */
    apr_pool_t *tmp;
    if (apr_pool_create_unmanaged_ex(&tmp, NULL, NULL) != APR_SUCCESS)
        abort();
    mh_wr w;
    mh_wr_init(&w, tmp, 256);
    propval_write(&w, t, v, cw, cp);
    size_t n = w.len;
    apr_pool_destroy(tmp);
    return n;
}

size_t mh_propval_wire_size(uint16_t type, const mh_propval *v, uint32_t cp)
{
    return mh_propval_wire_size_cw(type, v, 2, cp);
}

/* ---------------------------------------------------------- tag arrays */

int mh_rd_tag_array(mh_rd *rd, uint32_t max, apr_pool_t *pool, mh_proptag **tags_r,
                    uint16_t *n_r)
{
    uint16_t n = mh_rd_u16(rd);
    if (rd->err || n > max || (size_t)n * 4 > mh_rd_left(rd))
        return rd->err = 1, -1;
    if (!pool) {
        (void)mh_rd_bytes(rd, (size_t)n * 4);
        return 0;
    }
    mh_proptag *t = apr_palloc(pool, (size_t)n * sizeof *t + 1);
    for (uint16_t i = 0; i < n; i++)
        t[i] = mh_rd_u32(rd);
    *tags_r = t;
    *n_r = n;
    return 0;
}

void mh_wr_tag_array(mh_wr *wr, const mh_proptag *tags, uint16_t n)
{
    mh_wr_u16(wr, n);
    for (uint16_t i = 0; i < n; i++)
        mh_wr_u32(wr, tags[i]);
}

/* ------------------------------------------------------- property rows */

/* The wire type of a column's value: a multi-value-instance column holds
 * single values (MS-OXCTABL 2.2.1.3... expanded rows). */
static uint16_t col_type(mh_proptag col)
{
    uint16_t t = MH_TAG_TYPE(col);
    if (t & MV_INSTANCE)
        t &= (uint16_t) ~(MV_INSTANCE | MV_FLAG);
    return t;
}

/* True when column col cannot carry v as a plain value: no value, a value
 * not loaded, or an error (unless the column is of type PT_ERROR). */
static int needs_flag(mh_proptag col, const mh_propval *v)
{
    if (!v || (v->flags & MH_PV_LARGE))
        return 1;
    return MH_TAG_TYPE(v->tag) == PT_ERROR && col_type(col) != PT_ERROR;
}

/* The type an unspecified column's value is written with. */
static uint16_t own_type(const mh_propval *v)
{
    uint16_t t = MH_TAG_TYPE(v->tag);
    if (t & MV_INSTANCE)
        t &= (uint16_t) ~(MV_INSTANCE | MV_FLAG);
    return t;
}

void mh_wr_proprow_ex(mh_wr *wr, const mh_proptag *cols, uint32_t n,
                      const mh_propval *const *vals, uint32_t cp, unsigned wf)
{
    int flagged = 0;
    for (uint32_t i = 0; i < n && !flagged; i++)
        flagged = needs_flag(cols[i], vals[i]);
    mh_wr_u8(wr, flagged ? 0x01 : 0x00);
    for (uint32_t i = 0; i < n; i++) {
        uint16_t t = col_type(cols[i]);
        const mh_propval *v = vals[i];
        if (!flagged || !needs_flag(cols[i], v)) {
            if (t == PT_UNSPECIFIED) {
                /* TypedPropertyValue, or FlaggedPropertyValueWithType
                 * (2.11.6): type, flag, value */
                uint16_t wt = write_type(own_type(v), v);
                mh_wr_u16(wr, wt);
                if (flagged)
                    mh_wr_u8(wr, 0x00);
                propval_write_wf(wr, wt, v, 2, cp, wf);
            } else {
                if (flagged)
                    mh_wr_u8(wr, 0x00);
                propval_write_wf(wr, write_type(t, v), v, 2, cp, wf);
            }
            continue;
        }
        uint32_t err = !v ? MAPI_E_NOT_FOUND
                     : (v->flags & MH_PV_LARGE) ? MAPI_E_NOT_ENOUGH_MEMORY : v->v.err;
        if (t == PT_UNSPECIFIED)
            mh_wr_u16(wr, PT_ERROR);
        mh_wr_u8(wr, 0x0A);
        mh_wr_u32(wr, err);
    }
}

void mh_wr_proprow(mh_wr *wr, const mh_proptag *cols, uint32_t n, const mh_propval *const *vals,
                   uint32_t cp)
{
    mh_wr_proprow_ex(wr, cols, n, vals, cp, 0);
}

/* The columns of a row: tags in memory, or as they lie in a request. */
typedef struct colsrc {
    const mh_proptag *tags;
    const unsigned char *raw; /* u32 little-endian each */
} colsrc;

static mh_proptag col_at(const colsrc *cs, uint32_t i)
{
    return cs->tags ? cs->tags[i] : mh_get_u32(cs->raw + 4 * (size_t)i);
}

/* PropertyRow (2.8.1); vals NULL in skip mode. */
static int proprow_read(mh_rd *rd, const colsrc *cols, uint32_t n, rctx *c, mh_propval *vals)
{
    uint8_t flag = mh_rd_u8(rd);
    if (rd->err || (flag != 0x00 && flag != 0x01))
        return rd->err = 1, -1;
    /* every column takes at least one byte */
    if (n > mh_rd_left(rd))
        return rd->err = 1, -1;
    mh_propval tmp;
    for (uint32_t i = 0; i < n && !rd->err; i++) {
        mh_propval *v = vals ? &vals[i] : &tmp;
        mh_proptag col = col_at(cols, i);
        uint16_t t = col_type(col);
        uint16_t id = MH_TAG_ID(col);
        if (t == PT_UNSPECIFIED) {
            /* TypedPropertyValue, FlaggedPropertyValueWithType (2.11.3, 2.11.6) */
            t = mh_rd_u16(rd);
            if (!rd->err && names_no_type(t))
                return rd->err = 1, -1;
        }
        if (flag == 0x01) {
            uint8_t f = mh_rd_u8(rd);
            if (f == 0x01 || f == 0x0A) {
                /* 0x01: no value (2.11.5); 0x0A: an ErrorCode follows */
                memset(v, 0, sizeof *v);
                v->tag = MH_TAG(id, PT_ERROR);
                v->v.err = f == 0x0A ? mh_rd_u32(rd) : MAPI_E_NOT_FOUND;
                continue;
            }
            if (f != 0x00)
                return rd->err = 1, -1;
        }
        if (propval_read(rd, t, c, v) != 0)
            return -1;
        v->tag = MH_TAG(id, mem_type(t));
    }
    return rd->err ? -1 : 0;
}

int mh_rd_proprow(mh_rd *rd, const mh_proptag *cols, uint32_t n, uint32_t cp, apr_pool_t *pool,
                  mh_propval **vals_r)
{
    rctx c = {2, cp, pool, 0};
    colsrc cs = {cols, NULL};
    /* at most one value per byte left (checked again inside) */
    if (n > mh_rd_left(rd))
        return rd->err = 1, -1;
    mh_propval *vals = apr_pcalloc(pool, (size_t)n * sizeof *vals + 1);
    if (proprow_read(rd, &cs, n, &c, vals) != 0)
        return -1;
    *vals_r = vals;
    return 0;
}

/* ------------------------------------------------------------ problems */

void mh_wr_problems(mh_wr *wr, const mh_propproblem *p, uint16_t n)
{
    mh_wr_u16(wr, n);
    for (uint16_t i = 0; i < n; i++) {
        mh_wr_u16(wr, p[i].index);
        mh_wr_u32(wr, p[i].tag);
        mh_wr_u32(wr, p[i].err);
    }
}

int mh_rd_problems(mh_rd *rd, apr_pool_t *pool, mh_propproblem **p_r, uint16_t *n_r)
{
    uint16_t n = mh_rd_u16(rd);
    if (rd->err || (size_t)n * 10 > mh_rd_left(rd))
        return rd->err = 1, -1;
    mh_propproblem *p = apr_palloc(pool, (size_t)n * sizeof *p + 1);
    for (uint16_t i = 0; i < n; i++) {
        p[i].index = mh_rd_u16(rd);
        p[i].tag = mh_rd_u32(rd);
        p[i].err = mh_rd_u32(rd);
    }
    *p_r = p;
    *n_r = n;
    return 0;
}

/* -------------------------------------------------------------- names */

#define MH_PROPNAME_NONE 0xFF

int mh_rd_propname(mh_rd *rd, apr_pool_t *pool, mh_propname *n)
{
    memset(n, 0, sizeof *n);
    /* Kind comes first, then the GUID (MS-OXCDATA 2.6.1) */
    uint8_t kind = mh_rd_u8(rd);
    mh_rd_copy(rd, n->guid.b, 16);
    if (rd->err)
        return -1;
    n->kind = kind;
    if (kind == MH_MNID_ID) {
        n->lid = mh_rd_u32(rd);
    } else if (kind == MH_MNID_STRING) {
        /* NameSize bytes of UTF-16LE including the 2-byte NUL, which ends
         * exactly there (2.6.1) */
        uint8_t size = mh_rd_u8(rd);
        const unsigned char *p = mh_rd_bytes(rd, size);
        if (!p || size < 2 || (size & 1))
            return rd->err = 1, -1;
        mh_rd sub;
        mh_rd_init(&sub, p, size);
        n->name = rd_utf16(&sub, size / 2, pool);
        if (!n->name || mh_rd_left(&sub) != 0)
            return rd->err = 1, -1;
    } else if (kind != MH_PROPNAME_NONE) {
        return rd->err = 1, -1;
    }
    return rd->err ? -1 : 0;
}

void mh_wr_propname(mh_wr *wr, const mh_propname *n)
{
    /* Kind, GUID, then LID or NameSize + Name (MS-OXCDATA 2.6.1) */
    if (n->kind == MH_MNID_ID) {
        mh_wr_u8(wr, MH_MNID_ID);
        mh_wr_bytes(wr, n->guid.b, 16);
        mh_wr_u32(wr, n->lid);
        return;
    }
    if (n->kind != MH_MNID_STRING) {
        mh_wr_u8(wr, MH_PROPNAME_NONE);
        mh_wr_bytes(wr, n->guid.b, 16);
        return;
    }
    mh_wr_u8(wr, MH_MNID_STRING);
    mh_wr_bytes(wr, n->guid.b, 16);
    mh_wr tmp;
    mh_wr_init(&tmp, wr->pool, 64);
    mh_wr_utf16z(&tmp, n->name ? n->name : "");
    size_t len = tmp.len;
    if (len > 254) {
        /* NameSize is one byte: a longer name is cut at a whole character
         * (the caller should have refused it) */
        len = 252;
        uint16_t last = mh_get_u16(tmp.buf + len - 2);
        if (last >= 0xD800 && last <= 0xDBFF)
            len -= 2;
        tmp.buf[len] = tmp.buf[len + 1] = 0;
        len += 2;
    }
    mh_wr_u8(wr, (uint8_t)len);
    mh_wr_bytes(wr, tmp.buf, len);
}

/* ----------------------------------------------------------- sort sets */

static int sort_order_valid(uint8_t o)
{
    return o == MH_TABLE_SORT_ASCEND || o == MH_TABLE_SORT_DESCEND ||
           o == MH_TABLE_SORT_MAXIMUM_CATEGORY || o == MH_TABLE_SORT_MINIMUM_CATEGORY;
}

int mh_rd_sort_set(mh_rd *rd, apr_pool_t *pool, mh_sort_set *s)
{
    memset(s, 0, sizeof *s);
    uint16_t n = mh_rd_u16(rd), cat = mh_rd_u16(rd), exp = mh_rd_u16(rd);
    /* 2.13.2: CategorizedCount <= SortOrderCount, ExpandedCount <=
     * CategorizedCount.  Skip mode (no pool) checks the framing only: bad
     * counts or Orders are values the ROP answers with its own error. */
    if (rd->err || (pool && (cat > n || exp > cat)) || (size_t)n * 5 > mh_rd_left(rd))
        return rd->err = 1, -1;
    mh_sort_order one;
    mh_sort_order *o = pool ? apr_palloc(pool, (size_t)n * sizeof *o + 1) : NULL;
    for (uint16_t i = 0; i < n; i++) {
        mh_sort_order *so = o ? &o[i] : &one;
        /* SortOrder (2.13.1): PropertyType u16, PropertyId u16, Order u8,
         * i.e. a little-endian property tag */
        so->tag = mh_rd_u32(rd);
        so->order = mh_rd_u8(rd);
        if (pool && !sort_order_valid(so->order))
            return rd->err = 1, -1;
    }
    if (rd->err)
        return -1;
    s->n = n;
    s->categorized = cat;
    s->expanded = exp;
    s->orders = o;
    return 0;
}

void mh_wr_sort_set(mh_wr *wr, const mh_sort_set *s)
{
    mh_wr_u16(wr, s->n);
    mh_wr_u16(wr, s->categorized);
    mh_wr_u16(wr, s->expanded);
    for (uint16_t i = 0; i < s->n; i++) {
        mh_wr_u32(wr, s->orders[i].tag);
        mh_wr_u8(wr, s->orders[i].order);
    }
}

/* ========================================================= restrictions */

/* A relational operator the spec defines.  Skip mode checks the framing
 * only: an operator 2.12.5 does not define is a bad value, which the ROP
 * that reads the restriction answers with its own error (ecInvalidParam),
 * not a malformed request that fails the whole Execute. */
static int relop_ok(const rctx *c, uint8_t op)
{
    return !c->pool || op <= MH_RELOP_RE || op == MH_RELOP_MEMBER_OF_DL;
}

/* A restriction's own property tag: strings in their Unicode form, like
 * the values, so that a restriction read in any code page is the same. */
static mh_proptag res_tag(mh_proptag t)
{
    uint16_t ty = MH_TAG_TYPE(t);
    if (ty == PT_STRING8)
        return MH_TAG_RETYPE(t, PT_UNICODE);
    if (ty == PT_MV_STRING8)
        return MH_TAG_RETYPE(t, PT_MV_UNICODE);
    return t;
}

/* Where a child restriction goes: the pool, or (skip mode) the caller's
 * scratch, which only lives through the child's read. */
static mh_restriction *res_child(rctx *c, mh_restriction *scratch)
{
    return c->pool ? apr_palloc(c->pool, sizeof(mh_restriction)) : scratch;
}

/* A property value inside a restriction.  PtypRuleAction is refused: its
 * bytes are kept as read, and their widths follow the context they came
 * from (MS-OXORULE 2.2.5), so the canonical 4-byte form a restriction is
 * kept in could not hold one read in a ROP buffer (or the other way
 * round), and no restriction has a use for one. */
static int res_value_read(mh_rd *rd, rctx *c, mh_propval *v)
{
    if (tagged_read(rd, c, v) != 0)
        return -1;
    if (MH_TAG_TYPE(v->tag) == PT_ACTIONS)
        return rd->err = 1, -1;
    return 0;
}

static int restriction_read(mh_rd *rd, rctx *c, mh_restriction *r)
{
    mh_restriction one; /* skip mode: each child in turn */
    memset(r, 0, sizeof *r);
    if (c->depth >= MH_RES_MAX_DEPTH)
        return rd->err = 1, -1;
    c->depth++;
    r->type = mh_rd_u8(rd);
    if (rd->err)
        goto fail;
    switch (r->type) {
    case MH_RES_AND: case MH_RES_OR: {
        uint32_t n = rd_count(rd, c->cw);
        /* each sub-restriction takes at least one byte */
        if (rd->err || n > mh_rd_left(rd))
            goto fail;
        if (!c->pool) {
            for (uint32_t i = 0; i < n; i++)
                if (restriction_read(rd, c, &one) != 0)
                    goto fail;
            break;
        }
        r->u.andor.n = n;
        r->u.andor.sub = apr_pcalloc(c->pool, (size_t)n * sizeof *r->u.andor.sub + 1);
        for (uint32_t i = 0; i < n; i++)
            if (restriction_read(rd, c, &r->u.andor.sub[i]) != 0)
                goto fail;
        break;
    }
    case MH_RES_NOT:
        r->u.not_.sub = res_child(c, &one);
        if (restriction_read(rd, c, r->u.not_.sub) != 0)
            goto fail;
        break;
    case MH_RES_CONTENT:
        /* FuzzyLevelLow u16 then FuzzyLevelHigh u16: one LE u32 */
        r->u.content.fuzzy = mh_rd_u32(rd);
        r->u.content.tag = res_tag(mh_rd_u32(rd));
        if (rd->err || res_value_read(rd, c, &r->u.content.val) != 0)
            goto fail;
        break;
    case MH_RES_PROPERTY:
        r->u.prop.relop = mh_rd_u8(rd);
        r->u.prop.tag = res_tag(mh_rd_u32(rd));
        if (rd->err || !relop_ok(c, r->u.prop.relop) || res_value_read(rd, c, &r->u.prop.val) != 0)
            goto fail;
        break;
    case MH_RES_COMPAREPROPS:
        r->u.compare.relop = mh_rd_u8(rd);
        r->u.compare.tag1 = res_tag(mh_rd_u32(rd));
        r->u.compare.tag2 = res_tag(mh_rd_u32(rd));
        if (!relop_ok(c, r->u.compare.relop))
            goto fail;
        break;
    case MH_RES_BITMASK:
        r->u.bitmask.relop = mh_rd_u8(rd);
        r->u.bitmask.tag = res_tag(mh_rd_u32(rd));
        r->u.bitmask.mask = mh_rd_u32(rd);
        if (c->pool && r->u.bitmask.relop != MH_BMR_EQZ && r->u.bitmask.relop != MH_BMR_NEZ)
            goto fail;
        break;
    case MH_RES_SIZE:
        r->u.size.relop = mh_rd_u8(rd);
        r->u.size.tag = res_tag(mh_rd_u32(rd));
        r->u.size.size = mh_rd_u32(rd);
        if (!relop_ok(c, r->u.size.relop))
            goto fail;
        break;
    case MH_RES_EXIST:
        r->u.exist.tag = res_tag(mh_rd_u32(rd));
        break;
    case MH_RES_SUBRESTRICTION:
        r->u.subres.subobject = mh_rd_u32(rd);
        r->u.subres.sub = res_child(c, &one);
        if (rd->err || restriction_read(rd, c, r->u.subres.sub) != 0)
            goto fail;
        break;
    case MH_RES_COMMENT: {
        /* 2.12.11.1: TaggedValuesCount is one byte in every context */
        uint8_t n = mh_rd_u8(rd);
        if (rd->err || (size_t)n * 4 > mh_rd_left(rd))
            goto fail;
        mh_propval val;
        r->u.comment.n = c->pool ? n : 0;
        r->u.comment.vals =
            c->pool ? apr_pcalloc(c->pool, (size_t)n * sizeof *r->u.comment.vals + 1) : NULL;
        for (uint8_t i = 0; i < n; i++)
            if (res_value_read(rd, c, c->pool ? &r->u.comment.vals[i] : &val) != 0)
                goto fail;
        uint8_t present = mh_rd_u8(rd);
        if (rd->err || present > 1)
            goto fail;
        if (present) {
            r->u.comment.sub = res_child(c, &one);
            if (restriction_read(rd, c, r->u.comment.sub) != 0)
                goto fail;
        }
        break;
    }
    case MH_RES_COUNT:
        r->u.count.count = mh_rd_u32(rd);
        r->u.count.sub = res_child(c, &one);
        if (rd->err || restriction_read(rd, c, r->u.count.sub) != 0)
            goto fail;
        break;
    default:
        goto fail;
    }
    if (rd->err)
        goto fail;
    c->depth--;
    return 0;
fail:
    rd->err = 1;
    c->depth--;
    return -1;
}

int mh_rd_restriction(mh_rd *rd, int count_width, uint32_t cp, apr_pool_t *pool,
                      mh_restriction **r_r)
{
    rctx c = {count_width == 4 ? 4 : 2, cp, pool, 0};
    mh_restriction *r = apr_palloc(pool, sizeof *r);
    if (restriction_read(rd, &c, r) != 0)
        return -1;
    *r_r = r;
    return 0;
}

/* ============================================================ skipping */

/* The readers in skip mode (a NULL pool, see rctx). */

int mh_skip_propval(mh_rd *rd, uint16_t type, int count_width)
{
    mh_propval v;
    return mh_rd_propval_cw(rd, type, count_width, 0, NULL, &v);
}

int mh_skip_tagged_propval(mh_rd *rd, int count_width)
{
    mh_propval v;
    return mh_rd_tagged_propval_cw(rd, count_width, 0, NULL, &v);
}

int mh_skip_typed_propval(mh_rd *rd, int count_width)
{
    mh_propval v;
    return mh_rd_typed_propval_cw(rd, count_width, 0, NULL, &v);
}

int mh_skip_tag_array(mh_rd *rd)
{
    mh_proptag *tags;
    uint16_t n;
    return mh_rd_tag_array(rd, 0xFFFF, NULL, &tags, &n);
}

int mh_skip_proprow(mh_rd *rd, const unsigned char *cols, uint32_t n)
{
    rctx c = {2, 0, NULL, 0};
    colsrc cs = {NULL, cols};
    return proprow_read(rd, &cs, n, &c, NULL);
}

int mh_skip_propname(mh_rd *rd)
{
    mh_propname n;
    return mh_rd_propname(rd, NULL, &n);
}

int mh_skip_restriction(mh_rd *rd, int count_width)
{
    rctx c = {count_width == 4 ? 4 : 2, 0, NULL, 0};
    mh_restriction r;
    return restriction_read(rd, &c, &r);
}

int mh_skip_sort_set(mh_rd *rd)
{
    mh_sort_set s;
    return mh_rd_sort_set(rd, NULL, &s);
}

static void wr_tagged(mh_wr *wr, const mh_propval *v, int cw, uint32_t cp)
{
    mh_wr_tagged_propval_cw(wr, v->tag, v, cw, cp);
}

static void restriction_write(mh_wr *wr, const mh_restriction *r, int cw, uint32_t cp)
{
    mh_wr_u8(wr, r->type);
    switch (r->type) {
    case MH_RES_AND: case MH_RES_OR: {
        uint32_t n = r->u.andor.n > count_max(cw) ? count_max(cw) : r->u.andor.n;
        wr_count(wr, cw, n);
        for (uint32_t i = 0; i < n; i++)
            restriction_write(wr, &r->u.andor.sub[i], cw, cp);
        break;
    }
    case MH_RES_NOT:
        restriction_write(wr, r->u.not_.sub, cw, cp);
        break;
    case MH_RES_CONTENT:
        mh_wr_u32(wr, r->u.content.fuzzy);
        mh_wr_u32(wr, r->u.content.tag);
        wr_tagged(wr, &r->u.content.val, cw, cp);
        break;
    case MH_RES_PROPERTY:
        mh_wr_u8(wr, r->u.prop.relop);
        mh_wr_u32(wr, r->u.prop.tag);
        wr_tagged(wr, &r->u.prop.val, cw, cp);
        break;
    case MH_RES_COMPAREPROPS:
        mh_wr_u8(wr, r->u.compare.relop);
        mh_wr_u32(wr, r->u.compare.tag1);
        mh_wr_u32(wr, r->u.compare.tag2);
        break;
    case MH_RES_BITMASK:
        mh_wr_u8(wr, r->u.bitmask.relop);
        mh_wr_u32(wr, r->u.bitmask.tag);
        mh_wr_u32(wr, r->u.bitmask.mask);
        break;
    case MH_RES_SIZE:
        mh_wr_u8(wr, r->u.size.relop);
        mh_wr_u32(wr, r->u.size.tag);
        mh_wr_u32(wr, r->u.size.size);
        break;
    case MH_RES_EXIST:
        mh_wr_u32(wr, r->u.exist.tag);
        break;
    case MH_RES_SUBRESTRICTION:
        mh_wr_u32(wr, r->u.subres.subobject);
        restriction_write(wr, r->u.subres.sub, cw, cp);
        break;
    case MH_RES_COMMENT:
        mh_wr_u8(wr, r->u.comment.n);
        for (uint8_t i = 0; i < r->u.comment.n; i++)
            wr_tagged(wr, &r->u.comment.vals[i], cw, cp);
        mh_wr_u8(wr, r->u.comment.sub ? 1 : 0);
        if (r->u.comment.sub)
            restriction_write(wr, r->u.comment.sub, cw, cp);
        break;
    case MH_RES_COUNT:
        mh_wr_u32(wr, r->u.count.count);
        restriction_write(wr, r->u.count.sub, cw, cp);
        break;
    default:
        /* not a type any reader makes: keep the buffer parseable with an
         * empty AND in place of the unknown node */
        wr->len--;
        mh_wr_u8(wr, MH_RES_AND);
        wr_count(wr, cw, 0);
        break;
    }
}

void mh_wr_restriction(mh_wr *wr, const mh_restriction *r, int count_width, uint32_t cp)
{
    restriction_write(wr, r, count_width == 4 ? 4 : 2, cp);
}

static void retype_str_tag(mh_proptag *tag, uint16_t type)
{
    uint16_t ty = MH_TAG_TYPE(*tag);
    if (ty == PT_UNICODE || ty == PT_STRING8)
        *tag = MH_TAG_RETYPE(*tag, type);
    else if (ty == PT_MV_UNICODE || ty == PT_MV_STRING8)
        *tag = MH_TAG_RETYPE(*tag, (uint16_t)(type | MV_FLAG));
}

static void retype_restriction(mh_restriction *r, uint16_t type, int depth)
{
    if (!r || depth > MH_RES_MAX_DEPTH)
        return;
    switch (r->type) {
    case MH_RES_AND: case MH_RES_OR:
        for (uint32_t i = 0; i < r->u.andor.n; i++)
            retype_restriction(&r->u.andor.sub[i], type, depth + 1);
        break;
    case MH_RES_NOT: retype_restriction(r->u.not_.sub, type, depth + 1); break;
    case MH_RES_CONTENT:
        retype_str_tag(&r->u.content.tag, type);
        retype_str_tag(&r->u.content.val.tag, type);
        break;
    case MH_RES_PROPERTY:
        retype_str_tag(&r->u.prop.tag, type);
        retype_str_tag(&r->u.prop.val.tag, type);
        break;
    case MH_RES_COMPAREPROPS:
        retype_str_tag(&r->u.compare.tag1, type);
        retype_str_tag(&r->u.compare.tag2, type);
        break;
    case MH_RES_BITMASK: retype_str_tag(&r->u.bitmask.tag, type); break;
    case MH_RES_SIZE: retype_str_tag(&r->u.size.tag, type); break;
    case MH_RES_EXIST: retype_str_tag(&r->u.exist.tag, type); break;
    case MH_RES_SUBRESTRICTION: retype_restriction(r->u.subres.sub, type, depth + 1); break;
    case MH_RES_COMMENT:
        for (uint8_t i = 0; i < r->u.comment.n; i++)
            retype_str_tag(&r->u.comment.vals[i].tag, type);
        retype_restriction(r->u.comment.sub, type, depth + 1);
        break;
    case MH_RES_COUNT: retype_restriction(r->u.count.sub, type, depth + 1); break;
    default: break;
    }
}

void mh_restriction_retype(mh_restriction *r, uint16_t type)
{
    retype_restriction(r, (uint16_t)(type & ~MV_FLAG), 0);
}

/* ============================================================ comparison */

/* Case and accent folding: mapihttp/fold.h, the one the address book's
 * order and every backend's name search use too. */
#define CMP_CASE 1
#define CMP_NONSPACE 2

/* A string as code points, folded as asked.  Returns the count; *out is
 * malloc'd (freed by the caller). */
static size_t str_points(const char *s, int how, uint32_t **out)
{
    size_t len = s ? strlen(s) : 0, n = 0;
    uint32_t *a = malloc((len + 1) * sizeof *a);
    if (!a)
        abort();
    for (size_t i = 0; i < len;) {
        size_t k;
        uint32_t c = mh_utf8_decode((const unsigned char *)s + i, len - i, &k);
        i += k;
        c = mh_fold_point(c, ((how & CMP_NONSPACE) ? MH_FOLD_ACCENTS : 0) |
                                 ((how & CMP_CASE) ? MH_FOLD_CASE : 0));
        if (c)
            a[n++] = c;
    }
    *out = a;
    return n;
}

static int cmp_points(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    size_t m = na < nb ? na : nb;
    for (size_t i = 0; i < m; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return na < nb ? -1 : na > nb;
}

static int str_cmp(const char *a, const char *b, int how)
{
    uint32_t *pa, *pb;
    size_t na = str_points(a, how, &pa), nb = str_points(b, how, &pb);
    int r = cmp_points(pa, na, pb, nb);
    free(pa);
    free(pb);
    return r;
}

int mh_str_fold_cmp(const char *a, const char *b)
{
    return str_cmp(a ? a : "", b ? b : "", CMP_CASE | CMP_NONSPACE);
}

int mh_str_collate(const char *a, const char *b)
{
    if (!a || !b)
        return a == b ? 0 : a ? 1 : -1;
    int r = str_cmp(a, b, CMP_CASE | CMP_NONSPACE);
    if (!r)
        r = str_cmp(a, b, CMP_CASE);
    if (!r) {
        r = strcmp(a, b);
        r = r < 0 ? -1 : r > 0;
    }
    return r;
}

int mh_str_fold_prefix(const char *s, const char *prefix)
{
    uint32_t *ps, *pp;
    size_t ns = str_points(s ? s : "", CMP_CASE | CMP_NONSPACE, &ps);
    size_t np = str_points(prefix ? prefix : "", CMP_CASE | CMP_NONSPACE, &pp);
    int r = np <= ns && (np == 0 || memcmp(ps, pp, np * sizeof *pp) == 0);
    free(ps);
    free(pp);
    return r;
}

static int bin_cmp(const mh_bin *a, const mh_bin *b)
{
    uint32_t m = a->len < b->len ? a->len : b->len;
    int r = m ? memcmp(a->data, b->data, m) : 0;
    if (r)
        return r < 0 ? -1 : 1;
    return a->len < b->len ? -1 : a->len > b->len;
}

#define CMP3(x, y) ((x) < (y) ? -1 : (x) > (y))

static int dbl_cmp(double a, double b)
{
    /* NaN orders before every number and equals itself */
    int na = isnan(a), nb = isnan(b);
    if (na || nb)
        return nb - na;
    return CMP3(a, b);
}

/* A value's type for comparing: Unicode for both string kinds, no
 * multi-value-instance bit. */
static uint16_t cmp_type(const mh_propval *v)
{
    return mem_type(MH_TAG_TYPE(v->tag) & (uint16_t)~MV_INSTANCE);
}

/* Compares element i of a's array with element j of b's (same base). */
static int mv_elem_cmp(uint16_t base, const void *a, uint32_t i, const void *b, uint32_t j)
{
    switch (base) {
    case PT_SHORT: return CMP3(((const int16_t *)a)[i], ((const int16_t *)b)[j]);
    case PT_LONG: return CMP3(((const int32_t *)a)[i], ((const int32_t *)b)[j]);
    case PT_FLOAT: return dbl_cmp(((const float *)a)[i], ((const float *)b)[j]);
    case PT_DOUBLE: case PT_APPTIME:
        return dbl_cmp(((const double *)a)[i], ((const double *)b)[j]);
    case PT_CURRENCY: case PT_I8: return CMP3(((const int64_t *)a)[i], ((const int64_t *)b)[j]);
    case PT_SYSTIME: return CMP3(((const uint64_t *)a)[i], ((const uint64_t *)b)[j]);
    case PT_CLSID: {
        int r = memcmp(((const mh_guid *)a)[i].b, ((const mh_guid *)b)[j].b, 16);
        return r < 0 ? -1 : r > 0;
    }
    case PT_UNICODE: case PT_STRING8:
        return str_cmp(((const char *const *)a)[i], ((const char *const *)b)[j], CMP_CASE);
    case PT_BINARY: return bin_cmp(&((const mh_bin *)a)[i], &((const mh_bin *)b)[j]);
    default: return 0;
    }
}

/* Compares two single values of the same (compare) type t. */
static int single_cmp(uint16_t t, const mh_propval *a, const mh_propval *b)
{
    switch (t) {
    case PT_SHORT: return CMP3(a->v.i16, b->v.i16);
    case PT_LONG: case PT_NULL: case PT_OBJECT: case PT_UNSPECIFIED:
        return CMP3(a->v.i32, b->v.i32);
    case PT_FLOAT: return dbl_cmp(a->v.f32, b->v.f32);
    case PT_DOUBLE: case PT_APPTIME: return dbl_cmp(a->v.f64, b->v.f64);
    case PT_CURRENCY: case PT_I8: return CMP3(a->v.i64, b->v.i64);
    case PT_SYSTIME: return CMP3(a->v.ft, b->v.ft);
    case PT_ERROR: return CMP3(a->v.err, b->v.err);
    case PT_BOOLEAN: return CMP3(a->v.b != 0, b->v.b != 0);
    case PT_CLSID: {
        static const mh_guid zero;
        int r = memcmp(a->v.guid ? a->v.guid->b : zero.b, b->v.guid ? b->v.guid->b : zero.b, 16);
        return r < 0 ? -1 : r > 0;
    }
    case PT_UNICODE: return str_cmp(a->v.str, b->v.str, CMP_CASE);
    case PT_BINARY: case PT_SVREID: case PT_SRESTRICTION: case PT_ACTIONS:
        return bin_cmp(&a->v.bin, &b->v.bin);
    default:
        break;
    }
    if (!(t & MV_FLAG))
        return 0;
    uint16_t base = t & (uint16_t)~MV_FLAG;
    uint32_t m = a->v.mv.n < b->v.mv.n ? a->v.mv.n : b->v.mv.n;
    for (uint32_t i = 0; i < m; i++) {
        int r = mv_elem_cmp(base, a->v.mv.v, i, b->v.mv.v, i);
        if (r)
            return r;
    }
    return CMP3(a->v.mv.n, b->v.mv.n);
}

int mh_propval_cmp(const mh_propval *a, const mh_propval *b)
{
    if (!a || !b)
        return a ? 1 : b ? -1 : 0;
    uint16_t ta = cmp_type(a), tb = cmp_type(b);
    if (ta != tb)
        return CMP3(ta, tb);
    /* a value not loaded cannot be compared by content: such values sort
     * after loaded ones, among themselves by size */
    int la = (a->flags & MH_PV_LARGE) != 0, lb = (b->flags & MH_PV_LARGE) != 0;
    if (la || lb) {
        if (la != lb)
            return la - lb;
        int r = CMP3(a->v.large.size, b->v.large.size);
        return r ? r : CMP3(a->v.large.ref, b->v.large.ref);
    }
    return single_cmp(ta, a, b);
}

/* ============================================================ evaluation */

/* The value of tag in the row: absent, PT_ERROR values (a column the
 * object lacks) and values of another type are NULL. */
static const mh_propval *res_get(const mh_res_source *src, mh_proptag tag)
{
    const mh_propval *v = src->get ? src->get(src, tag) : NULL;
    if (!v || MH_TAG_TYPE(v->tag) == PT_ERROR)
        return NULL;
    return v;
}

static int relop_holds(uint8_t relop, int c)
{
    switch (relop) {
    case MH_RELOP_LT: return c < 0;
    case MH_RELOP_LE: return c <= 0;
    case MH_RELOP_GT: return c > 0;
    case MH_RELOP_GE: return c >= 0;
    case MH_RELOP_EQ: return c == 0;
    case MH_RELOP_NE: return c != 0;
    default: return 0; /* RELOP_RE and MEMBER_OF_DL: never (see header) */
    }
}

/* An element of a multi-valued value as a single value. */
static void mv_elem(const mh_propval *v, uint32_t i, mh_propval *out)
{
    uint16_t base = cmp_type(v) & (uint16_t)~MV_FLAG;
    memset(out, 0, sizeof *out);
    out->tag = MH_TAG(MH_TAG_ID(v->tag), base);
    switch (base) {
    case PT_SHORT: out->v.i16 = ((const int16_t *)v->v.mv.v)[i]; break;
    case PT_LONG: out->v.i32 = ((const int32_t *)v->v.mv.v)[i]; break;
    case PT_FLOAT: out->v.f32 = ((const float *)v->v.mv.v)[i]; break;
    case PT_DOUBLE: case PT_APPTIME: out->v.f64 = ((const double *)v->v.mv.v)[i]; break;
    case PT_CURRENCY: case PT_I8: out->v.i64 = ((const int64_t *)v->v.mv.v)[i]; break;
    case PT_SYSTIME: out->v.ft = ((const uint64_t *)v->v.mv.v)[i]; break;
    case PT_CLSID: out->v.guid = &((const mh_guid *)v->v.mv.v)[i]; break;
    case PT_UNICODE: out->v.str = ((const char *const *)v->v.mv.v)[i]; break;
    case PT_BINARY: out->v.bin = ((const mh_bin *)v->v.mv.v)[i]; break;
    }
}

/* row <relop> value, for a property restriction: a multi-valued row value
 * against a single value matches when any of its values does (MAPI's rule
 * for multi-valued properties in restrictions, MS-OXCTABL 2.2.2.1.1 on
 * multi-valued columns); values of different types never match. */
static int relop_match(uint8_t relop, const mh_propval *row, const mh_propval *val)
{
    if (!row || !val || (row->flags & MH_PV_LARGE) || (val->flags & MH_PV_LARGE))
        return 0;
    uint16_t tr = cmp_type(row), tv = cmp_type(val);
    if (tr == tv)
        return relop_holds(relop, single_cmp(tr, row, val));
    if ((tr & MV_FLAG) && (tr & (uint16_t)~MV_FLAG) == tv) {
        for (uint32_t i = 0; i < row->v.mv.n; i++) {
            mh_propval e;
            mv_elem(row, i, &e);
            if (relop_holds(relop, single_cmp(tv, &e, val)))
                return 1;
        }
    }
    return 0;
}

static int fuzzy_match_points(const uint32_t *h, size_t nh, const uint32_t *n, size_t nn,
                              unsigned level)
{
    switch (level) {
    case MH_FL_FULLSTRING:
        return nh == nn && cmp_points(h, nh, n, nn) == 0;
    case MH_FL_PREFIX:
        return nh >= nn && cmp_points(h, nn, n, nn) == 0;
    case MH_FL_SUBSTRING:
        if (nn == 0)
            return 1;
        for (size_t i = 0; i + nn <= nh; i++)
            if (memcmp(h + i, n, nn * sizeof *n) == 0)
                return 1;
        return 0;
    default:
        return 0;
    }
}

static int fuzzy_match_str(const char *h, const char *n, uint32_t fuzzy)
{
    int how = 0;
    if (fuzzy & (MH_FL_IGNORECASE | MH_FL_LOOSE))
        how |= CMP_CASE;
    if (fuzzy & (MH_FL_IGNORENONSPACE | MH_FL_LOOSE))
        how |= CMP_NONSPACE;
    uint32_t *ph, *pn;
    size_t nh = str_points(h, how, &ph), nn = str_points(n, how, &pn);
    int r = fuzzy_match_points(ph, nh, pn, nn, fuzzy & 0xFFFF);
    free(ph);
    free(pn);
    return r;
}

static int fuzzy_match_bin(const mh_bin *h, const mh_bin *n, uint32_t fuzzy)
{
    switch (fuzzy & 0xFFFF) {
    case MH_FL_FULLSTRING:
        return h->len == n->len && (!n->len || memcmp(h->data, n->data, n->len) == 0);
    case MH_FL_PREFIX:
        return h->len >= n->len && (!n->len || memcmp(h->data, n->data, n->len) == 0);
    case MH_FL_SUBSTRING:
        if (!n->len)
            return 1;
        for (uint32_t i = 0; i + n->len <= h->len; i++)
            if (memcmp(h->data + i, n->data, n->len) == 0)
                return 1;
        return 0;
    default:
        return 0;
    }
}

/* ContentRestriction (2.12.4): strings and binaries, single or
 * multi-valued (any value matching). */
static int content_match(const mh_restriction *r, const mh_propval *row)
{
    const mh_propval *val = &r->u.content.val;
    if (!row || (row->flags & MH_PV_LARGE) || (val->flags & MH_PV_LARGE))
        return 0;
    uint16_t tr = cmp_type(row), tv = cmp_type(val);
    uint32_t fz = r->u.content.fuzzy;
    if (tv == PT_UNICODE) {
        if (tr == PT_UNICODE)
            return fuzzy_match_str(row->v.str, val->v.str, fz);
        if (tr == PT_MV_UNICODE) {
            for (uint32_t i = 0; i < row->v.mv.n; i++)
                if (fuzzy_match_str(((const char *const *)row->v.mv.v)[i], val->v.str, fz))
                    return 1;
        }
        return 0;
    }
    if (tv == PT_BINARY) {
        if (tr == PT_BINARY)
            return fuzzy_match_bin(&row->v.bin, &val->v.bin, fz);
        if (tr == PT_MV_BINARY) {
            for (uint32_t i = 0; i < row->v.mv.n; i++)
                if (fuzzy_match_bin(&((const mh_bin *)row->v.mv.v)[i], &val->v.bin, fz))
                    return 1;
        }
    }
    return 0;
}

/* The size of a value in bytes for a SizeRestriction (2.12.8): what its
 * value takes on the wire without counts: fixed sizes as such, strings as
 * UTF-16 with their NUL, binaries their length, multi-valued the sum.
 * A string not loaded (MH_PV_LARGE) is taken as (UTF-8 bytes + 1) * 2,
 * exact for ASCII. */
static uint64_t value_size(const mh_propval *v)
{
    uint16_t t = cmp_type(v);
    if (v->flags & MH_PV_LARGE) {
        if (t == PT_UNICODE)
            return (v->v.large.size + 1) * 2;
        return v->v.large.size;
    }
    switch (t) {
    case PT_SHORT: return 2;
    case PT_BOOLEAN: return 1;
    case PT_LONG: case PT_FLOAT: case PT_ERROR: case PT_NULL: case PT_OBJECT:
    case PT_UNSPECIFIED:
        return 4;
    case PT_DOUBLE: case PT_APPTIME: case PT_CURRENCY: case PT_I8: case PT_SYSTIME: return 8;
    case PT_CLSID: return 16;
    case PT_BINARY: case PT_SVREID: case PT_SRESTRICTION: case PT_ACTIONS:
        return v->v.bin.len;
    default:
        break;
    }
    apr_pool_t *tmp;
    if (apr_pool_create_unmanaged_ex(&tmp, NULL, NULL) != APR_SUCCESS)
        abort();
    mh_wr w;
    mh_wr_init(&w, tmp, 256);
    uint64_t n = 0;
    if (t == PT_UNICODE) {
        mh_wr_utf16z(&w, v->v.str ? v->v.str : "");
        n = w.len;
    } else if (t & MV_FLAG) {
        uint16_t base = t & (uint16_t)~MV_FLAG;
        for (uint32_t i = 0; i < v->v.mv.n; i++) {
            if (base == PT_UNICODE) {
                w.len = 0;
                mh_wr_utf16z(&w, ((const char *const *)v->v.mv.v)[i]);
                n += w.len;
            } else if (base == PT_BINARY) {
                n += ((const mh_bin *)v->v.mv.v)[i].len;
            } else {
                n += mv_elem_min(base, 2);
            }
        }
    }
    apr_pool_destroy(tmp);
    return n;
}

typedef struct sub_ctx {
    const mh_restriction *r;
} sub_ctx;

static int sub_row_matches(void *ctx, const mh_res_source *row)
{
    const sub_ctx *s = ctx;
    return mh_restriction_eval(s->r, row) ? 1 : 0;
}

int mh_restriction_eval(const mh_restriction *r, const mh_res_source *src)
{
    switch (r->type) {
    case MH_RES_AND:
        for (uint32_t i = 0; i < r->u.andor.n; i++)
            if (!mh_restriction_eval(&r->u.andor.sub[i], src))
                return 0;
        return 1;
    case MH_RES_OR:
        for (uint32_t i = 0; i < r->u.andor.n; i++)
            if (mh_restriction_eval(&r->u.andor.sub[i], src))
                return 1;
        return 0;
    case MH_RES_NOT:
        return !mh_restriction_eval(r->u.not_.sub, src);
    case MH_RES_CONTENT:
        return content_match(r, res_get(src, r->u.content.tag));
    case MH_RES_PROPERTY:
        return relop_match(r->u.prop.relop, res_get(src, r->u.prop.tag), &r->u.prop.val);
    case MH_RES_COMPAREPROPS: {
        const mh_propval *a = res_get(src, r->u.compare.tag1);
        const mh_propval *b = res_get(src, r->u.compare.tag2);
        /* 2.12.6: both present and of the same type */
        if (!a || !b || cmp_type(a) != cmp_type(b) || (a->flags & MH_PV_LARGE) ||
            (b->flags & MH_PV_LARGE))
            return 0;
        return relop_holds(r->u.compare.relop, single_cmp(cmp_type(a), a, b));
    }
    case MH_RES_BITMASK: {
        const mh_propval *v = res_get(src, r->u.bitmask.tag);
        uint32_t x;
        if (!v)
            return 0;
        switch (cmp_type(v)) {
        case PT_LONG: x = (uint32_t)v->v.i32; break;
        case PT_SHORT: x = (uint16_t)v->v.i16; break;
        default: return 0;
        }
        int zero = (x & r->u.bitmask.mask) == 0;
        return r->u.bitmask.relop == MH_BMR_EQZ ? zero : !zero;
    }
    case MH_RES_SIZE: {
        const mh_propval *v = res_get(src, r->u.size.tag);
        if (!v)
            return 0;
        uint64_t s = value_size(v);
        return relop_holds(r->u.size.relop, CMP3(s, (uint64_t)r->u.size.size));
    }
    case MH_RES_EXIST:
        return res_get(src, r->u.exist.tag) != NULL;
    case MH_RES_SUBRESTRICTION: {
        /* 2.12.10: true when some row of the sub-object matches */
        if (!src->each_sub)
            return 0;
        sub_ctx s = {r->u.subres.sub};
        return src->each_sub(src, r->u.subres.subobject, sub_row_matches, &s) ? 1 : 0;
    }
    case MH_RES_COMMENT:
        /* 2.12.11: the comments do not count; no restriction is TRUE */
        return r->u.comment.sub ? mh_restriction_eval(r->u.comment.sub, src) : 1;
    case MH_RES_COUNT:
        /* 2.12.12 limits how many rows the sub-restriction lets through;
         * a single row cannot know that: see mh_restriction_eval_counted */
        return mh_restriction_eval(r->u.count.sub, src);
    default:
        return 0;
    }
}

/* ------------------------------------------- evaluation with Count limits */

static uint32_t count_nodes(const mh_restriction *r)
{
    uint32_t n = 0;
    switch (r->type) {
    case MH_RES_AND: case MH_RES_OR:
        for (uint32_t i = 0; i < r->u.andor.n; i++)
            n += count_nodes(&r->u.andor.sub[i]);
        return n;
    case MH_RES_NOT: return count_nodes(r->u.not_.sub);
    case MH_RES_SUBRESTRICTION: return count_nodes(r->u.subres.sub);
    case MH_RES_COMMENT: return r->u.comment.sub ? count_nodes(r->u.comment.sub) : 0;
    case MH_RES_COUNT: return 1 + count_nodes(r->u.count.sub);
    default: return 0;
    }
}

mh_res_counts *mh_res_counts_create(const mh_restriction *r, apr_pool_t *pool)
{
    mh_res_counts *c = apr_pcalloc(pool, sizeof *c);
    c->n = count_nodes(r);
    c->matched = apr_pcalloc(pool, (size_t)c->n * sizeof *c->matched + 1);
    return c;
}

/* Count nodes are numbered in pre-order; *next is the next number. */
static int eval_counted(const mh_restriction *r, const mh_res_source *src, mh_res_counts *c,
                        uint32_t *next);

typedef struct csub_ctx {
    const mh_restriction *r;
    mh_res_counts *c;
    uint32_t first;
} csub_ctx;

static int csub_row_matches(void *ctx, const mh_res_source *row)
{
    csub_ctx *s = ctx;
    uint32_t next = s->first;
    return eval_counted(s->r, row, s->c, &next) ? 1 : 0;
}

static int eval_counted(const mh_restriction *r, const mh_res_source *src, mh_res_counts *c,
                        uint32_t *next)
{
    switch (r->type) {
    case MH_RES_AND: case MH_RES_OR: {
        /* every child is evaluated so that the numbering stays in step
         * (and so that Count nodes see each row once) */
        int all = 1, any = 0;
        for (uint32_t i = 0; i < r->u.andor.n; i++) {
            int m = eval_counted(&r->u.andor.sub[i], src, c, next);
            all &= m;
            any |= m;
        }
        return r->type == MH_RES_AND ? all : any;
    }
    case MH_RES_NOT:
        return !eval_counted(r->u.not_.sub, src, c, next);
    case MH_RES_SUBRESTRICTION: {
        uint32_t first = *next;
        *next += count_nodes(r->u.subres.sub);
        if (!src->each_sub)
            return 0;
        csub_ctx s = {r->u.subres.sub, c, first};
        return src->each_sub(src, r->u.subres.subobject, csub_row_matches, &s) ? 1 : 0;
    }
    case MH_RES_COMMENT:
        return r->u.comment.sub ? eval_counted(r->u.comment.sub, src, c, next) : 1;
    case MH_RES_COUNT: {
        uint32_t me = (*next)++;
        int m = eval_counted(r->u.count.sub, src, c, next);
        if (!m || me >= c->n || c->matched[me] >= r->u.count.count)
            return 0;
        c->matched[me]++;
        return 1;
    }
    default:
        return mh_restriction_eval(r, src);
    }
}

int mh_restriction_eval_counted(const mh_restriction *r, const mh_res_source *src,
                                mh_res_counts *counts)
{
    uint32_t next = 0;
    return eval_counted(r, src, counts, &next);
}
