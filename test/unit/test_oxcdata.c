/* Unit tests for mh_oxcdata.c: MS-OXCDATA property values, rows, tag
 * arrays, names, problems, restrictions (parsing and evaluation), sort
 * orders and comparisons. */
#include "mh_test.h"
#include "mh_mapierr.h"
#include "mh_oxcdata.h"
#include "mh_props.h"

#include <iconv.h>
#include <math.h>

static apr_pool_t *pool;

#define TAG_X 0x6700

/* ------------------------------------------------------------ helpers */

/* Every proper prefix of buf must fail cleanly for reader fn. */
typedef int (*reader_fn)(mh_rd *rd, void *ctx);

static int prefixes_fail(const unsigned char *buf, size_t len, reader_fn fn, void *ctx)
{
    for (size_t i = 0; i < len; i++) {
        mh_rd rd;
        mh_rd_init(&rd, buf, i);
        if (fn(&rd, ctx) == 0 && !rd.err)
            return 0;
        if (!rd.err)
            return 0; /* failure must leave err set */
    }
    return 1;
}

typedef struct pv_ctx {
    uint16_t type;
    int cw;
    uint32_t cp;
} pv_ctx;

static int rd_pv(mh_rd *rd, void *ctx)
{
    pv_ctx *c = ctx;
    mh_propval v;
    return mh_rd_propval_cw(rd, c->type, c->cw, c->cp, pool, &v);
}

/* Writes v as wire type `type`, checks the bytes when `want` is given,
 * the size function, reading back (equal by mh_propval_cmp, the memory
 * type) and that every prefix fails. */
static void roundtrip(uint16_t type, const mh_propval *v, int cw, uint32_t cp,
                      const unsigned char *want, size_t want_len, int line)
{
    mh_wr w;
    mh_wr_init(&w, pool, 16);
    mh_wr_propval_cw(&w, type, v, cw, cp);
    if (want) {
        if (w.len != want_len || memcmp(w.buf, want, want_len) != 0)
            printf("# roundtrip of type 0x%04x from line %d\n", type, line);
        CHECK_MEM(w.buf, w.len, want, want_len);
    }
    CHECK_EQ_U(mh_propval_wire_size_cw(type, v, cw, cp), w.len);
    mh_rd rd;
    mh_rd_init(&rd, w.buf, w.len);
    mh_propval back;
    int rc = mh_rd_propval_cw(&rd, type, cw, cp, pool, &back);
    CHECK(rc == 0);
    CHECK_EQ_U(mh_rd_left(&rd), 0);
    if (rc == 0) {
        uint16_t mt = type == PT_STRING8 ? PT_UNICODE
                    : type == PT_MV_STRING8 ? PT_MV_UNICODE : type;
        CHECK_EQ_U(MH_TAG_TYPE(back.tag), mt);
        mh_propval vv = *v;
        vv.tag = back.tag;
        if (mh_propval_cmp(&vv, &back) != 0)
            printf("# value of type 0x%04x from line %d differs\n", type, line);
        CHECK(mh_propval_cmp(&vv, &back) == 0);
    }
    pv_ctx c = {type, cw, cp};
    CHECK(prefixes_fail(w.buf, w.len, rd_pv, &c));
}

static mh_propval pv(uint16_t type)
{
    mh_propval v;
    memset(&v, 0, sizeof v);
    v.tag = MH_TAG(TAG_X, type);
    return v;
}

/* ---------------------------------------------------------- code pages */

static void test_codepages(void)
{
    size_t n;
    const char *s = mh_cp_from_utf8(1252, "caf\xc3\xa9 \xe2\x82\xac", pool, &n);
    CHECK_MEM(s, n, "caf\xe9 \x80", 6);
    CHECK_STR(mh_cp_to_utf8(1252, "caf\xe9 \x80", 6, pool), "caf\xc3\xa9 \xe2\x82\xac");
    /* 0x81 is not defined in 1252 */
    CHECK_STR(mh_cp_to_utf8(1252, "a\x81", 2, pool), "a\xef\xbf\xbd");
    /* a character 1252 lacks */
    s = mh_cp_from_utf8(1252, "x\xe6\x97\xa5y", pool, &n);
    CHECK_MEM(s, n, "x?y", 3);
    /* unknown code pages are 1252; 1200 (UTF-16) too for 8-bit strings */
    CHECK_STR(mh_cp_to_utf8(4242, "\xe9", 1, pool), "\xc3\xa9");
    CHECK_STR(mh_cp_to_utf8(MH_CP_UNICODE, "\xe9", 1, pool), "\xc3\xa9");
    /* UTF-8 passes, invalid sequences become U+FFFD */
    CHECK_STR(mh_cp_to_utf8(MH_CP_UTF8, "\xc3\xa9", 2, pool), "\xc3\xa9");
    CHECK_STR(mh_cp_to_utf8(MH_CP_UTF8, "a\xff", 2, pool), "a\xef\xbf\xbd");
    s = mh_cp_from_utf8(MH_CP_UTF8, "\xe6\x97\xa5", pool, &n);
    CHECK_MEM(s, n, "\xe6\x97\xa5", 3);
    /* an iconv code page: 1251 (Cyrillic) and 932 (Shift-JIS) */
    iconv_t cd = iconv_open("UTF-8", "CP1251");
    if (cd != (iconv_t)-1) {
        iconv_close(cd);
        s = mh_cp_from_utf8(1251, "\xd0\x96", pool, &n); /* U+0416 */
        CHECK_MEM(s, n, "\xc6", 1);
        CHECK_STR(mh_cp_to_utf8(1251, "\xc6", 1, pool), "\xd0\x96");
    } else {
        printf("# no CP1251 in iconv: skipped\n");
    }
    cd = iconv_open("UTF-8", "CP932");
    if (cd != (iconv_t)-1) {
        iconv_close(cd);
        s = mh_cp_from_utf8(932, "\xe6\x97\xa5", pool, &n); /* U+65E5 */
        CHECK_MEM(s, n, "\x93\xfa", 2);
        CHECK_STR(mh_cp_to_utf8(932, "\x93\xfa", 2, pool), "\xe6\x97\xa5");
        /* a lead byte cut off at the end */
        CHECK_STR(mh_cp_to_utf8(932, "a\x93", 2, pool), "a\xef\xbf\xbd");
    }
}

/* --------------------------------------------------------- values */

static void test_fixed_values(void)
{
    mh_propval v = pv(PT_SHORT);
    v.v.i16 = -2;
    roundtrip(PT_SHORT, &v, 2, 1252, (const unsigned char *)"\xfe\xff", 2, __LINE__);
    v = pv(PT_LONG);
    v.v.i32 = 0x12345678;
    roundtrip(PT_LONG, &v, 2, 1252, (const unsigned char *)"\x78\x56\x34\x12", 4, __LINE__);
    v = pv(PT_FLOAT);
    v.v.f32 = 1.5f;
    roundtrip(PT_FLOAT, &v, 2, 1252, (const unsigned char *)"\x00\x00\xc0\x3f", 4, __LINE__);
    v = pv(PT_DOUBLE);
    v.v.f64 = -2.0;
    roundtrip(PT_DOUBLE, &v, 2, 1252,
              (const unsigned char *)"\x00\x00\x00\x00\x00\x00\x00\xc0", 8, __LINE__);
    v = pv(PT_APPTIME);
    v.v.f64 = 1.0;
    roundtrip(PT_APPTIME, &v, 2, 1252,
              (const unsigned char *)"\x00\x00\x00\x00\x00\x00\xf0\x3f", 8, __LINE__);
    v = pv(PT_CURRENCY);
    v.v.i64 = 12345;
    roundtrip(PT_CURRENCY, &v, 2, 1252,
              (const unsigned char *)"\x39\x30\x00\x00\x00\x00\x00\x00", 8, __LINE__);
    v = pv(PT_I8);
    v.v.i64 = -1;
    roundtrip(PT_I8, &v, 2, 1252,
              (const unsigned char *)"\xff\xff\xff\xff\xff\xff\xff\xff", 8, __LINE__);
    v = pv(PT_SYSTIME);
    v.v.ft = 0x01D0000000000001ull;
    roundtrip(PT_SYSTIME, &v, 2, 1252,
              (const unsigned char *)"\x01\x00\x00\x00\x00\x00\xd0\x01", 8, __LINE__);
    v = pv(PT_ERROR);
    v.v.err = MAPI_E_NOT_FOUND;
    roundtrip(PT_ERROR, &v, 2, 1252, (const unsigned char *)"\x0f\x01\x04\x80", 4, __LINE__);
    /* PtypBoolean is one byte (2.11.1) */
    v = pv(PT_BOOLEAN);
    v.v.b = 1;
    roundtrip(PT_BOOLEAN, &v, 2, 1252, (const unsigned char *)"\x01", 1, __LINE__);
    mh_guid g;
    for (int i = 0; i < 16; i++)
        g.b[i] = (uint8_t)(i + 1);
    v = pv(PT_CLSID);
    v.v.guid = &g;
    roundtrip(PT_CLSID, &v, 2, 1252, g.b, 16, __LINE__);
    v = pv(PT_NULL);
    v.v.i32 = 0;
    roundtrip(PT_NULL, &v, 2, 1252, (const unsigned char *)"\0\0\0\0", 4, __LINE__);
    v = pv(PT_OBJECT);
    v.v.i32 = 7;
    roundtrip(PT_OBJECT, &v, 2, 1252, (const unsigned char *)"\x07\0\0\0", 4, __LINE__);

    /* a non-canonical boolean reads as true */
    mh_rd rd;
    mh_rd_init(&rd, "\x05", 1);
    CHECK(mh_rd_propval(&rd, PT_BOOLEAN, 1252, pool, &v) == 0 && v.v.b == 1);
    /* types that do not exist, and MV forms of types without one */
    static const uint16_t bad[] = {0x0008, 0x0009, 0x00FF, 0x100B, 0x100A, 0x101F | 0x4000,
                                   0x1048 | 0x0100};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mh_rd_init(&rd, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
        CHECK(mh_rd_propval(&rd, bad[i], 1252, pool, &v) != 0 && rd.err);
    }
}

static void test_string_values(void)
{
    mh_propval v = pv(PT_UNICODE);
    v.v.str = "h\xc3\xa9";
    /* PT_UNICODE: UTF-16LE with a 2-byte NUL */
    roundtrip(PT_UNICODE, &v, 2, 1252, (const unsigned char *)"h\0\xe9\0\0\0", 6, __LINE__);
    /* the same value as PT_STRING8 in 1252: one byte for é, 1-byte NUL */
    roundtrip(PT_STRING8, &v, 2, 1252, (const unsigned char *)"h\xe9\0", 3, __LINE__);
    /* and in UTF-8 */
    roundtrip(PT_STRING8, &v, 2, MH_CP_UTF8, (const unsigned char *)"h\xc3\xa9\0", 4, __LINE__);
    /* a character outside the BMP as a surrogate pair */
    v.v.str = "\xf0\x9f\x98\x80";
    roundtrip(PT_UNICODE, &v, 2, 1252, (const unsigned char *)"\x3d\xd8\x00\xde\0\0", 6,
              __LINE__);
    v.v.str = "";
    roundtrip(PT_UNICODE, &v, 2, 1252, (const unsigned char *)"\0\0", 2, __LINE__);
    roundtrip(PT_STRING8, &v, 2, 1252, (const unsigned char *)"\0", 1, __LINE__);

    /* read: STRING8 comes back as PT_UNICODE in UTF-8 */
    mh_rd rd;
    mh_rd_init(&rd, "\xe9t\xe9\0", 4);
    CHECK(mh_rd_propval(&rd, PT_STRING8, 1252, pool, &v) == 0);
    CHECK_EQ_U(MH_TAG_TYPE(v.tag), PT_UNICODE);
    CHECK_STR(v.v.str, "\xc3\xa9t\xc3\xa9");
    /* a string without its NUL */
    mh_rd_init(&rd, "ab", 2);
    CHECK(mh_rd_propval(&rd, PT_STRING8, 1252, pool, &v) != 0);
    mh_rd_init(&rd, "a\0b\0", 4);
    CHECK(mh_rd_propval(&rd, PT_UNICODE, 1252, pool, &v) != 0);
    /* the writer converts between the string kinds, not other types */
    v = pv(PT_UNICODE);
    v.v.str = "ok";
    mh_wr w;
    mh_wr_init(&w, pool, 8);
    mh_wr_tagged_propval(&w, MH_TAG(0x3001, PT_STRING8), &v, 1252);
    CHECK_MEM(w.buf, w.len, "\x1e\x00\x01\x30ok\0", 7);
}

static void test_binary_values(void)
{
    mh_propval v = pv(PT_BINARY);
    v.v.bin.data = (const uint8_t *)"\x01\x02\x03";
    v.v.bin.len = 3;
    /* ROP buffers: a 2-byte COUNT (2.11.1.1) */
    roundtrip(PT_BINARY, &v, 2, 1252, (const unsigned char *)"\x03\x00\x01\x02\x03", 5,
              __LINE__);
    /* extended rules / MAPI/HTTP: 4 bytes */
    roundtrip(PT_BINARY, &v, 4, 1252, (const unsigned char *)"\x03\x00\x00\x00\x01\x02\x03",
              7, __LINE__);
    v.v.bin.len = 0;
    roundtrip(PT_BINARY, &v, 2, 1252, (const unsigned char *)"\0\0", 2, __LINE__);
    /* PtypServerId (2.11.1.4): COUNT, Ours = 1, FID, MID, Instance */
    static const unsigned char sid[] = {0x15, 0x00, 0x01, 1, 0, 0, 0, 0, 0, 0, 1,
                                        2, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0};
    v = pv(PT_SVREID);
    v.v.bin.data = sid + 2;
    v.v.bin.len = 21;
    roundtrip(PT_SVREID, &v, 2, 1252, sid, sizeof sid, __LINE__);
    /* a count larger than what is left */
    mh_rd rd;
    mh_rd_init(&rd, "\x05\x00\x01\x02", 4);
    CHECK(mh_rd_propval(&rd, PT_BINARY, 1252, pool, &v) != 0 && rd.err);
    mh_rd_init(&rd, "\xff\xff\xff\xff", 4);
    CHECK(mh_rd_propval_cw(&rd, PT_BINARY, 4, 1252, pool, &v) != 0 && rd.err);
}

static void test_mv_values(void)
{
    static const int16_t s16[] = {1, -1};
    static const int32_t s32[] = {7, 8, 9};
    static const float f32[] = {0.5f};
    static const double f64[] = {0.25, 3.0};
    static const int64_t i64[] = {-5, 5};
    static const uint64_t ft[] = {1, 2};
    static const char *const strs[] = {"a\xc3\xa9", "", "z"};
    static const mh_bin bins[] = {{2, (const uint8_t *)"\xaa\xbb"}, {0, (const uint8_t *)""}};
    mh_guid gs[2];
    memset(gs, 0x11, sizeof gs);
    gs[1].b[0] = 0x22;
    struct {
        uint16_t type;
        uint32_t n;
        const void *a;
    } cases[] = {
        {PT_MV_SHORT, 2, s16},  {PT_MV_LONG, 3, s32},    {PT_MV_FLOAT, 1, f32},
        {PT_MV_DOUBLE, 2, f64}, {PT_MV_APPTIME, 2, f64}, {PT_MV_CURRENCY, 2, i64},
        {PT_MV_I8, 2, i64},     {PT_MV_SYSTIME, 2, ft},  {PT_MV_CLSID, 2, gs},
        {PT_MV_UNICODE, 3, strs}, {PT_MV_STRING8, 3, strs}, {PT_MV_BINARY, 2, bins},
        {PT_MV_LONG, 0, s32},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mh_propval v = pv(cases[i].type == PT_MV_STRING8 ? PT_MV_UNICODE : cases[i].type);
        v.v.mv.n = cases[i].n;
        v.v.mv.v = cases[i].a;
        roundtrip(cases[i].type, &v, 2, 1252, NULL, 0, __LINE__);
        roundtrip(cases[i].type, &v, 4, 1252, NULL, 0, __LINE__);
    }
    /* exact bytes: MV counts are 4 bytes even in ROPs; binaries inside
     * keep the 2-byte COUNT (2.11.1.1) */
    mh_propval v = pv(PT_MV_LONG);
    v.v.mv.n = 2;
    v.v.mv.v = s32;
    roundtrip(PT_MV_LONG, &v, 2, 1252,
              (const unsigned char *)"\x02\0\0\0\x07\0\0\0\x08\0\0\0", 12, __LINE__);
    v = pv(PT_MV_BINARY);
    v.v.mv.n = 2;
    v.v.mv.v = bins;
    roundtrip(PT_MV_BINARY, &v, 2, 1252,
              (const unsigned char *)"\x02\0\0\0\x02\0\xaa\xbb\0\0", 10, __LINE__);
    roundtrip(PT_MV_BINARY, &v, 4, 1252,
              (const unsigned char *)"\x02\0\0\0\x02\0\0\0\xaa\xbb\0\0\0\0", 14, __LINE__);
    v = pv(PT_MV_UNICODE);
    v.v.mv.n = 2;
    v.v.mv.v = strs;
    roundtrip(PT_MV_STRING8, &v, 2, 1252, (const unsigned char *)"\x02\0\0\0a\xe9\0\0", 8,
              __LINE__);
    /* an oversized count is refused before anything is allocated */
    mh_rd rd;
    mh_rd_init(&rd, "\xff\xff\xff\x7f\x01\0\0\0", 8);
    CHECK(mh_rd_propval(&rd, PT_MV_LONG, 1252, pool, &v) != 0 && rd.err);
    mh_rd_init(&rd, "\x03\0\0\0\0\0\0\0", 8);
    CHECK(mh_rd_propval(&rd, PT_MV_LONG, 1252, pool, &v) != 0 && rd.err);
}

static void test_tagged_typed(void)
{
    mh_propval v = pv(PT_LONG);
    v.tag = PR_IMPORTANCE;
    v.v.i32 = 2;
    mh_wr w;
    mh_wr_init(&w, pool, 8);
    mh_wr_tagged_propval(&w, PR_IMPORTANCE, &v, 1252);
    CHECK_MEM(w.buf, w.len, "\x03\x00\x17\x00\x02\0\0\0", 8);
    mh_rd rd;
    mh_rd_init(&rd, w.buf, w.len);
    mh_propval back;
    CHECK(mh_rd_tagged_propval(&rd, 1252, pool, &back) == 0);
    CHECK_EQ_U(back.tag, PR_IMPORTANCE);
    CHECK_EQ_U(back.v.i32, 2);
    /* a STRING8 tag comes back with the Unicode type */
    mh_rd_init(&rd, "\x1e\x00\x37\x00hi\0", 7);
    CHECK(mh_rd_tagged_propval(&rd, 1252, pool, &back) == 0);
    CHECK_EQ_U(back.tag, PR_SUBJECT);
    CHECK_STR(back.v.str, "hi");
    /* typed */
    mh_wr_init(&w, pool, 8);
    mh_wr_typed_propval(&w, PT_LONG, &v, 1252);
    CHECK_MEM(w.buf, w.len, "\x03\x00\x02\0\0\0", 6);
    mh_rd_init(&rd, w.buf, w.len);
    CHECK(mh_rd_typed_propval(&rd, 1252, pool, &back) == 0 && back.v.i32 == 2);
    for (size_t i = 0; i < w.len; i++) {
        mh_rd_init(&rd, w.buf, i);
        CHECK(mh_rd_typed_propval(&rd, 1252, pool, &back) != 0);
    }
}

/* PtypRuleAction (MS-OXORULE 2.2.5): skipped by its counts, kept as is */
static void test_rule_actions(void)
{
    /* one OP_MARK_AS_READ-like block: ActionLength 9, type, flavor, flags */
    static const unsigned char rop[] = {0x01, 0x00, 0x09, 0x00, 0x0B, 0, 0, 0, 0, 0, 0, 0, 0};
    mh_propval v = pv(PT_ACTIONS);
    v.v.bin.data = rop;
    v.v.bin.len = sizeof rop;
    roundtrip(PT_ACTIONS, &v, 2, 1252, rop, sizeof rop, __LINE__);
    static const unsigned char ext[] = {0x01, 0, 0, 0, 0x09, 0, 0, 0, 0x0B, 0, 0, 0, 0, 0, 0, 0,
                                        0};
    v.v.bin.data = ext;
    v.v.bin.len = sizeof ext;
    roundtrip(PT_ACTIONS, &v, 4, 1252, ext, sizeof ext, __LINE__);
    /* an ActionLength too short for its fixed fields */
    mh_rd rd;
    mh_rd_init(&rd, "\x01\x00\x02\x00\x0b\x00", 6);
    CHECK(mh_rd_propval(&rd, PT_ACTIONS, 1252, pool, &v) != 0);
}

/* PtypRestriction values: canonical in memory, re-encoded per context */
static void test_restriction_values(void)
{
    /* Exist(PR_SUBJECT) in a ROP */
    static const unsigned char ex[] = {0x08, 0x1f, 0x00, 0x37, 0x00};
    mh_rd rd;
    mh_propval v;
    mh_rd_init(&rd, ex, sizeof ex);
    CHECK(mh_rd_propval(&rd, PT_SRESTRICTION, 1252, pool, &v) == 0);
    CHECK_MEM(v.v.bin.data, v.v.bin.len, ex, sizeof ex);
    /* And(Property(EQ, PR_SUBJECT, STRING8 "é")): the value is held with
     * 4-byte counts and a Unicode string */
    static const unsigned char rop[] = {0x00, 0x01, 0x00, 0x04, 0x04, 0x1e, 0x00, 0x37, 0x00,
                                        0x1e, 0x00, 0x37, 0x00, 0xe9, 0x00};
    static const unsigned char canon[] = {0x00, 0x01, 0x00, 0x00, 0x00, 0x04, 0x04, 0x1f, 0x00,
                                          0x37, 0x00, 0x1f, 0x00, 0x37, 0x00, 0xe9, 0x00, 0x00,
                                          0x00};
    mh_rd_init(&rd, rop, sizeof rop);
    CHECK(mh_rd_propval(&rd, PT_SRESTRICTION, 1252, pool, &v) == 0);
    CHECK_EQ_U(mh_rd_left(&rd), 0);
    CHECK_MEM(v.v.bin.data, v.v.bin.len, canon, sizeof canon);
    /* written back into a ROP buffer: 2-byte counts, Unicode string */
    mh_wr w;
    mh_wr_init(&w, pool, 16);
    mh_wr_propval(&w, PT_SRESTRICTION, &v, 1252);
    static const unsigned char rop_out[] = {0x00, 0x01, 0x00, 0x04, 0x04, 0x1f, 0x00, 0x37,
                                            0x00, 0x1f, 0x00, 0x37, 0x00, 0xe9, 0x00, 0x00,
                                            0x00};
    CHECK_MEM(w.buf, w.len, rop_out, sizeof rop_out);
    CHECK_EQ_U(mh_propval_wire_size(PT_SRESTRICTION, &v, 1252), sizeof rop_out);
    pv_ctx c = {PT_SRESTRICTION, 2, 1252};
    CHECK(prefixes_fail(rop, sizeof rop, rd_pv, &c));
    /* damaged stored bytes still give a parseable buffer */
    v.v.bin.data = (const uint8_t *)"\x63";
    v.v.bin.len = 1;
    mh_wr_init(&w, pool, 16);
    mh_wr_propval(&w, PT_SRESTRICTION, &v, 1252);
    CHECK_MEM(w.buf, w.len, "\x00\x00\x00", 3);
    /* A PtypRuleAction value inside a restriction is refused in every
     * context (its widths follow the context, the canonical form has 4).
     * Comment(one value: tag 0x0100 PtypRuleAction, NoOfActions 1,
     * ActionLength 9, OP_MARK_AS_READ; no sub-restriction), then the same
     * as a Property restriction. */
    static const unsigned char cmt[] = {0x0a, 0x01, 0xfe, 0x00, 0x00, 0x01, 0x01, 0x00, 0x09,
                                        0x00, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0x00};
    static const unsigned char prop[] = {0x04, 0x04, 0xfe, 0x00, 0x00, 0x01, 0xfe, 0x00, 0x00,
                                         0x01, 0x01, 0x00, 0x09, 0x00, 0x0b, 0, 0, 0, 0, 0, 0,
                                         0, 0};
    const unsigned char *bad[] = {cmt, prop};
    const size_t bad_len[] = {sizeof cmt, sizeof prop};
    for (int i = 0; i < 2; i++) {
        mh_restriction *r;
        mh_rd_init(&rd, bad[i], bad_len[i]);
        CHECK(mh_rd_propval(&rd, PT_SRESTRICTION, 1252, pool, &v) != 0);
        mh_rd_init(&rd, bad[i], bad_len[i]);
        CHECK(mh_rd_restriction(&rd, 2, 1252, pool, &r) != 0);
        mh_rd_init(&rd, bad[i], bad_len[i]);
        CHECK(mh_skip_restriction(&rd, 2) != 0);
        /* the same bytes are a well-formed tagged value on their own */
        mh_rd_init(&rd, bad[i] + (i ? 6 : 2), bad_len[i] - (i ? 6 : 2) - (i ? 0 : 1));
        CHECK(mh_rd_tagged_propval(&rd, 1252, pool, &v) == 0);
        CHECK_EQ_U(mh_rd_left(&rd), 0);
    }
}

/* ----------------------------------------------------- tag arrays etc. */

static int rd_tags(mh_rd *rd, void *ctx)
{
    (void)ctx;
    mh_proptag *t;
    uint16_t n;
    return mh_rd_tag_array(rd, 100, pool, &t, &n);
}

static void test_tag_array(void)
{
    static const mh_proptag tags[] = {PR_SUBJECT, PR_MESSAGE_FLAGS};
    mh_wr w;
    mh_wr_init(&w, pool, 8);
    mh_wr_tag_array(&w, tags, 2);
    CHECK_MEM(w.buf, w.len, "\x02\x00\x1f\x00\x37\x00\x03\x00\x07\x0e", 10);
    mh_rd rd;
    mh_rd_init(&rd, w.buf, w.len);
    mh_proptag *t;
    uint16_t n;
    CHECK(mh_rd_tag_array(&rd, 2, pool, &t, &n) == 0);
    CHECK_EQ_U(n, 2);
    CHECK_EQ_U(t[1], PR_MESSAGE_FLAGS);
    /* more than max */
    mh_rd_init(&rd, w.buf, w.len);
    CHECK(mh_rd_tag_array(&rd, 1, pool, &t, &n) != 0 && rd.err);
    /* a count beyond the bytes */
    mh_rd_init(&rd, "\xff\xff\0\0\0\0", 6);
    CHECK(mh_rd_tag_array(&rd, 0xFFFF, pool, &t, &n) != 0 && rd.err);
    CHECK(prefixes_fail(w.buf, w.len, rd_tags, NULL));
}

static int rd_probs(mh_rd *rd, void *ctx)
{
    (void)ctx;
    mh_propproblem *p;
    uint16_t n;
    return mh_rd_problems(rd, pool, &p, &n);
}

static void test_problems(void)
{
    mh_propproblem p[] = {{1, PR_SUBJECT, MAPI_E_NO_ACCESS}};
    mh_wr w;
    mh_wr_init(&w, pool, 8);
    mh_wr_problems(&w, p, 1);
    CHECK_MEM(w.buf, w.len, "\x01\x00\x01\x00\x1f\x00\x37\x00\x05\x00\x07\x80", 12);
    mh_rd rd;
    mh_rd_init(&rd, w.buf, w.len);
    mh_propproblem *q;
    uint16_t n;
    CHECK(mh_rd_problems(&rd, pool, &q, &n) == 0 && n == 1);
    CHECK(q[0].index == 1 && q[0].tag == PR_SUBJECT && q[0].err == MAPI_E_NO_ACCESS);
    CHECK(prefixes_fail(w.buf, w.len, rd_probs, NULL));
}

static int rd_name(mh_rd *rd, void *ctx)
{
    (void)ctx;
    mh_propname n;
    return mh_rd_propname(rd, pool, &n);
}

static void test_propname(void)
{
    mh_propname n;
    memset(&n, 0, sizeof n);
    memset(n.guid.b, 0xAB, 16);
    n.kind = MH_MNID_ID;
    n.lid = 0x8501;
    mh_wr w;
    mh_wr_init(&w, pool, 8);
    mh_wr_propname(&w, &n);
    CHECK_EQ_U(w.len, 21);
    CHECK_EQ_U(w.buf[0], 0x00); /* Kind first (2.6.1) */
    CHECK_MEM(w.buf + 17, 4, "\x01\x85\x00\x00", 4);
    mh_rd rd;
    mh_rd_init(&rd, w.buf, w.len);
    mh_propname b;
    CHECK(mh_rd_propname(&rd, pool, &b) == 0 && b.kind == MH_MNID_ID && b.lid == 0x8501);
    CHECK(memcmp(b.guid.b, n.guid.b, 16) == 0);
    CHECK(prefixes_fail(w.buf, w.len, rd_name, NULL));

    n.kind = MH_MNID_STRING;
    n.name = "K\xc3\xa9y";
    mh_wr_init(&w, pool, 8);
    mh_wr_propname(&w, &n);
    /* Kind 1, NameSize 8: "Kéy" and its NUL in UTF-16LE */
    CHECK_EQ_U(w.buf[0], 0x01);
    CHECK_MEM(w.buf + 17, w.len - 17, "\x08K\0\xe9\0y\0\0\0", 9);
    mh_rd_init(&rd, w.buf, w.len);
    CHECK(mh_rd_propname(&rd, pool, &b) == 0 && b.kind == MH_MNID_STRING);
    CHECK_STR(b.name, "K\xc3\xa9y");
    CHECK(prefixes_fail(w.buf, w.len, rd_name, NULL));

    /* Kind 0xFF: no name */
    n.kind = 0xFF;
    mh_wr_init(&w, pool, 8);
    mh_wr_propname(&w, &n);
    CHECK_EQ_U(w.len, 17);
    mh_rd_init(&rd, w.buf, w.len);
    CHECK(mh_rd_propname(&rd, pool, &b) == 0 && b.kind == 0xFF);

    /* malformed: odd size, NUL not at the end, no NUL, unknown kind */
    unsigned char buf[32];
    memset(buf, 0, sizeof(buf));
    buf[0] = 0x01;
    memcpy(buf + 17, "\x03" "a\0\0", 4);
    mh_rd_init(&rd, buf, 21);
    CHECK(mh_rd_propname(&rd, pool, &b) != 0);
    memcpy(buf + 17, "\x06" "a\0\0\0b\0", 7);
    mh_rd_init(&rd, buf, 24);
    CHECK(mh_rd_propname(&rd, pool, &b) != 0);
    memcpy(buf + 17, "\x04" "a\0b\0", 5);
    mh_rd_init(&rd, buf, 22);
    CHECK(mh_rd_propname(&rd, pool, &b) != 0);
    buf[0] = 2;
    mh_rd_init(&rd, buf, 21);
    CHECK(mh_rd_propname(&rd, pool, &b) != 0);

    /* a name too long for NameSize is cut at a whole character */
    char longname[300];
    memset(longname, 'x', 299);
    longname[299] = 0;
    n.kind = MH_MNID_STRING;
    n.name = longname;
    mh_wr_init(&w, pool, 8);
    mh_wr_propname(&w, &n);
    mh_rd_init(&rd, w.buf, w.len);
    CHECK(mh_rd_propname(&rd, pool, &b) == 0 && strlen(b.name) == 126);
    CHECK_EQ_U(mh_rd_left(&rd), 0);
}

static int rd_sort(mh_rd *rd, void *ctx)
{
    (void)ctx;
    mh_sort_set s;
    return mh_rd_sort_set(rd, pool, &s);
}

static void test_sort_set(void)
{
    mh_sort_order o[] = {{PR_SUBJECT, MH_TABLE_SORT_ASCEND},
                         {PR_MESSAGE_DELIVERY_TIME, MH_TABLE_SORT_MAXIMUM_CATEGORY},
                         {PR_IMPORTANCE, MH_TABLE_SORT_DESCEND}};
    mh_sort_set s = {3, 1, 1, o};
    mh_wr w;
    mh_wr_init(&w, pool, 8);
    mh_wr_sort_set(&w, &s);
    static const unsigned char want[] = {3, 0, 1, 0, 1, 0, 0x1f, 0, 0x37, 0, 0,
                                         0x40, 0, 0x06, 0x0e, 4, 3, 0, 0x17, 0, 1};
    CHECK_MEM(w.buf, w.len, want, sizeof want);
    mh_rd rd;
    mh_rd_init(&rd, w.buf, w.len);
    mh_sort_set b;
    CHECK(mh_rd_sort_set(&rd, pool, &b) == 0);
    CHECK(b.n == 3 && b.categorized == 1 && b.expanded == 1);
    CHECK(b.orders[1].tag == PR_MESSAGE_DELIVERY_TIME && b.orders[1].order == 4);
    CHECK(prefixes_fail(w.buf, w.len, rd_sort, NULL));
    /* CategorizedCount > SortOrderCount, ExpandedCount > CategorizedCount */
    mh_rd_init(&rd, "\x01\x00\x02\x00\x00\x00\x1f\x00\x37\x00\x00", 11);
    CHECK(mh_rd_sort_set(&rd, pool, &b) != 0);
    mh_rd_init(&rd, "\x01\x00\x01\x00\x02\x00\x1f\x00\x37\x00\x00", 11);
    CHECK(mh_rd_sort_set(&rd, pool, &b) != 0);
    /* an order that does not exist */
    mh_rd_init(&rd, "\x01\x00\x00\x00\x00\x00\x1f\x00\x37\x00\x02", 11);
    CHECK(mh_rd_sort_set(&rd, pool, &b) != 0);
    mh_rd_init(&rd, "\x01\x00\x00\x00\x00\x00\x1f\x00\x37\x00\x01", 11);
    CHECK(mh_rd_sort_set(&rd, pool, &b) == 0 && b.orders[0].order == 1);
}

/* ------------------------------------------------------------ rows */

typedef struct row_ctx {
    const mh_proptag *cols;
    uint32_t n;
} row_ctx;

static int rd_row(mh_rd *rd, void *ctx)
{
    row_ctx *c = ctx;
    mh_propval *v;
    return mh_rd_proprow(rd, c->cols, c->n, 1252, pool, &v);
}

static void test_proprow(void)
{
    mh_proptag cols[] = {PR_IMPORTANCE, MH_TAG_RETYPE(PR_SUBJECT, PT_STRING8)};
    mh_propval imp = mh_pv_long(PR_IMPORTANCE, 1);
    mh_propval subj = mh_pv_str(PR_SUBJECT, "\xc3\xa9");
    const mh_propval *vals[] = {&imp, &subj};
    mh_wr w;
    mh_wr_init(&w, pool, 8);
    mh_wr_proprow(&w, cols, 2, vals, 1252);
    /* StandardPropertyRow: Flag 0, values as the columns ask (STRING8) */
    CHECK_MEM(w.buf, w.len, "\x00\x01\0\0\0\xe9\0", 7);
    mh_rd rd;
    mh_rd_init(&rd, w.buf, w.len);
    mh_propval *back;
    CHECK(mh_rd_proprow(&rd, cols, 2, 1252, pool, &back) == 0);
    CHECK(back[0].tag == PR_IMPORTANCE && back[0].v.i32 == 1);
    CHECK(back[1].tag == PR_SUBJECT);
    CHECK_STR(back[1].v.str, "\xc3\xa9");
    row_ctx rc = {cols, 2};
    CHECK(prefixes_fail(w.buf, w.len, rd_row, &rc));

    /* a missing value: FlaggedPropertyRow, 0x0A + MAPI_E_NOT_FOUND */
    vals[1] = NULL;
    mh_wr_init(&w, pool, 8);
    mh_wr_proprow(&w, cols, 2, vals, 1252);
    CHECK_MEM(w.buf, w.len, "\x01\x00\x01\0\0\0\x0a\x0f\x01\x04\x80", 11);
    mh_rd_init(&rd, w.buf, w.len);
    CHECK(mh_rd_proprow(&rd, cols, 2, 1252, pool, &back) == 0);
    CHECK(back[0].v.i32 == 1);
    CHECK(back[1].tag == MH_TAG(0x0037, PT_ERROR) && back[1].v.err == MAPI_E_NOT_FOUND);
    CHECK(prefixes_fail(w.buf, w.len, rd_row, &rc));

    /* an error value and a value too large for a row */
    mh_propval err = {.tag = MH_TAG(0x0037, PT_ERROR), .v.err = MAPI_E_NO_ACCESS};
    mh_propval big = {.tag = PR_IMPORTANCE, .flags = MH_PV_LARGE};
    vals[0] = &big;
    vals[1] = &err;
    mh_wr_init(&w, pool, 8);
    mh_wr_proprow(&w, cols, 2, vals, 1252);
    CHECK_MEM(w.buf, w.len, "\x01\x0a\x0e\x00\x07\x80\x0a\x05\x00\x07\x80", 11);

    /* a PT_ERROR column holding an error is a plain value */
    mh_proptag ecol[] = {MH_TAG(0x0037, PT_ERROR)};
    vals[0] = &err;
    mh_wr_init(&w, pool, 8);
    mh_wr_proprow(&w, ecol, 1, vals, 1252);
    CHECK_MEM(w.buf, w.len, "\x00\x05\x00\x07\x80", 5);

    /* PT_UNSPECIFIED columns: TypedPropertyValue / FlaggedPropertyValueWithType */
    mh_proptag ucols[] = {MH_TAG(0x0017, PT_UNSPECIFIED), MH_TAG(0x0037, PT_UNSPECIFIED)};
    vals[0] = &imp;
    vals[1] = &subj;
    mh_wr_init(&w, pool, 8);
    mh_wr_proprow(&w, ucols, 2, vals, 1252);
    CHECK_MEM(w.buf, w.len, "\x00\x03\x00\x01\0\0\0\x1f\x00\xe9\0\0\0", 13);
    mh_rd_init(&rd, w.buf, w.len);
    CHECK(mh_rd_proprow(&rd, ucols, 2, 1252, pool, &back) == 0);
    CHECK(back[0].tag == PR_IMPORTANCE && back[1].tag == PR_SUBJECT);
    row_ctx urc = {ucols, 2};
    CHECK(prefixes_fail(w.buf, w.len, rd_row, &urc));
    vals[1] = NULL;
    mh_wr_init(&w, pool, 8);
    mh_wr_proprow(&w, ucols, 2, vals, 1252);
    CHECK_MEM(w.buf, w.len, "\x01\x03\x00\x00\x01\0\0\0\x0a\x00\x0a\x0f\x01\x04\x80", 15);
    mh_rd_init(&rd, w.buf, w.len);
    CHECK(mh_rd_proprow(&rd, ucols, 2, 1252, pool, &back) == 0);
    CHECK(back[0].v.i32 == 1 && back[1].v.err == MAPI_E_NOT_FOUND);

    /* a multi-value-instance column carries single values */
    static const int32_t one = 5;
    (void)one;
    mh_proptag mvi[] = {MH_TAG(0x6701, PT_MV_LONG | 0x2000)};
    mh_propval inst = mh_pv_long(MH_TAG(0x6701, PT_LONG), 5);
    vals[0] = &inst;
    mh_wr_init(&w, pool, 8);
    mh_wr_proprow(&w, mvi, 1, vals, 1252);
    CHECK_MEM(w.buf, w.len, "\x00\x05\0\0\0", 5);

    /* bad flags */
    mh_rd_init(&rd, "\x02\x01\0\0\0", 5);
    CHECK(mh_rd_proprow(&rd, cols, 1, 1252, pool, &back) != 0);
    mh_rd_init(&rd, "\x01\x02\x01\0\0\0", 6);
    CHECK(mh_rd_proprow(&rd, cols, 1, 1252, pool, &back) != 0);
    /* flag 0x01 in a flagged row: no value */
    mh_rd_init(&rd, "\x01\x01", 2);
    CHECK(mh_rd_proprow(&rd, cols, 1, 1252, pool, &back) == 0 &&
          back[0].tag == MH_TAG(0x0017, PT_ERROR) && back[0].v.err == MAPI_E_NOT_FOUND);
}

/* ------------------------------------------------------ restrictions */

typedef struct res_ctx {
    int cw;
} res_ctx;

static int rd_res(mh_rd *rd, void *ctx)
{
    res_ctx *c = ctx;
    mh_restriction *r;
    return mh_rd_restriction(rd, c->cw, 1252, pool, &r);
}

/* Parses buf, writes it back (same bytes), checks every prefix fails. */
static mh_restriction *res_rt(const unsigned char *buf, size_t len, int cw, int line)
{
    mh_rd rd;
    mh_restriction *r = NULL;
    mh_rd_init(&rd, buf, len);
    if (mh_rd_restriction(&rd, cw, 1252, pool, &r) != 0 || mh_rd_left(&rd) != 0) {
        printf("# restriction from line %d does not parse\n", line);
        CHECK(0);
        return NULL;
    }
    mh_wr w;
    mh_wr_init(&w, pool, 16);
    mh_wr_restriction(&w, r, cw, 1252);
    CHECK_MEM(w.buf, w.len, buf, len);
    res_ctx c = {cw};
    CHECK(prefixes_fail(buf, len, rd_res, &c));
    return r;
}

static void test_restriction_codec(void)
{
    /* And(Exist(PR_SUBJECT), Not(Bitmask(NEZ, PR_MESSAGE_FLAGS, MSGFLAG_READ))) */
    static const unsigned char a[] = {0x00, 0x02, 0x00, 0x08, 0x1f, 0x00, 0x37, 0x00,
                                      0x02, 0x06, 0x01, 0x03, 0x00, 0x07, 0x0e,
                                      0x01, 0x00, 0x00, 0x00};
    mh_restriction *r = res_rt(a, sizeof a, 2, __LINE__);
    REQUIRE(r);
    CHECK(r->type == MH_RES_AND && r->u.andor.n == 2);
    CHECK(r->u.andor.sub[0].type == MH_RES_EXIST && r->u.andor.sub[0].u.exist.tag == PR_SUBJECT);
    CHECK(r->u.andor.sub[1].u.not_.sub->u.bitmask.mask == MSGFLAG_READ);
    /* the same in the address book form: 4-byte counts */
    static const unsigned char a4[] = {0x00, 0x02, 0x00, 0x00, 0x00, 0x08, 0x1f, 0x00, 0x37,
                                       0x00, 0x02, 0x06, 0x01, 0x03, 0x00, 0x07, 0x0e, 0x01,
                                       0x00, 0x00, 0x00};
    res_rt(a4, sizeof a4, 4, __LINE__);
    /* Or(Content(SUBSTRING|IGNORECASE, PR_SUBJECT, "ab"), Size(GT, PR_BODY, 10)) */
    static const unsigned char o[] = {0x01, 0x02, 0x00,
                                      0x03, 0x01, 0x00, 0x01, 0x00, 0x1f, 0x00, 0x37, 0x00,
                                      0x1f, 0x00, 0x37, 0x00, 'a', 0, 'b', 0, 0, 0,
                                      0x07, 0x02, 0x1f, 0x00, 0x00, 0x10, 0x0a, 0, 0, 0};
    r = res_rt(o, sizeof o, 2, __LINE__);
    REQUIRE(r);
    CHECK_EQ_U(r->u.andor.sub[0].u.content.fuzzy, MH_FL_SUBSTRING | MH_FL_IGNORECASE);
    CHECK_STR(r->u.andor.sub[0].u.content.val.v.str, "ab");
    /* CompareProps, Property with a binary, SubObject, Count */
    static const unsigned char m[] = {0x00, 0x04, 0x00,
                                      0x05, 0x04, 0x40, 0x00, 0x06, 0x0e, 0x40, 0x00, 0x39, 0x00,
                                      0x04, 0x04, 0x02, 0x01, 0xe0, 0x65,
                                      0x02, 0x01, 0xe0, 0x65, 0x02, 0x00, 0xaa, 0xbb,
                                      0x09, 0x0d, 0x00, 0x12, 0x0e, 0x08, 0x1f, 0x00, 0x01, 0x30,
                                      0x0b, 0x05, 0, 0, 0, 0x08, 0x03, 0x00, 0x17, 0x00};
    r = res_rt(m, sizeof m, 2, __LINE__);
    REQUIRE(r);
    CHECK(r->u.andor.sub[2].u.subres.subobject == MH_TAG(0x0E12, PT_OBJECT));
    CHECK(r->u.andor.sub[3].u.count.count == 5);
    /* Comment with two values and a restriction, and without one */
    static const unsigned char c1[] = {0x0a, 0x02, 0x03, 0x00, 0x01, 0x80, 0x07, 0, 0, 0,
                                       0x1f, 0x00, 0x02, 0x80, 'x', 0, 0, 0,
                                       0x01, 0x08, 0x03, 0x00, 0x17, 0x00};
    r = res_rt(c1, sizeof c1, 2, __LINE__);
    REQUIRE(r);
    CHECK(r->u.comment.n == 2 && r->u.comment.sub && r->u.comment.vals[0].v.i32 == 7);
    static const unsigned char c2[] = {0x0a, 0x00, 0x00};
    r = res_rt(c2, sizeof c2, 2, __LINE__);
    REQUIRE(r);
    CHECK(r->u.comment.sub == NULL);
    /* The Comment count stays one byte with 4-byte counts */
    res_rt(c1, sizeof c1, 4, __LINE__);

    /* malformed: unknown type, bad relop, bad bitmask relop, bad
     * RestrictionPresent, an And count beyond the bytes, trailing junk
     * is the caller's business but a short Exist is not */
    static const struct {
        const char *b;
        size_t n;
    } bad[] = {
        {"\x0c", 1},
        {"\x04\x07\x03\x00\x17\x00\x03\x00\x17\x00\x01\0\0\0", 14},
        {"\x06\x02\x03\x00\x17\x00\x01\0\0\0", 10},
        {"\x0a\x00\x02", 3},
        {"\x00\xff\xff\x08\x03\x00\x17\x00", 8},
        {"\x08\x03\x00\x17", 4},
        /* a PtypUnspecified-free value of a type that does not exist */
        {"\x04\x04\x03\x00\x17\x00\x09\x00\x17\x00\x01\0\0\0", 14},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mh_rd rd;
        mh_rd_init(&rd, bad[i].b, bad[i].n);
        CHECK(mh_rd_restriction(&rd, 2, 1252, pool, &r) != 0 && rd.err);
    }

    /* nesting: MH_RES_MAX_DEPTH levels parse, one more does not */
    unsigned char deep[MH_RES_MAX_DEPTH + 8];
    size_t n = 0;
    for (int i = 0; i < MH_RES_MAX_DEPTH - 1; i++)
        deep[n++] = MH_RES_NOT;
    deep[n++] = MH_RES_EXIST;
    memcpy(deep + n, "\x03\x00\x17\x00", 4);
    mh_rd rd;
    mh_rd_init(&rd, deep, n + 4);
    CHECK(mh_rd_restriction(&rd, 2, 1252, pool, &r) == 0);
    memmove(deep + 1, deep, n + 4);
    deep[0] = MH_RES_NOT;
    mh_rd_init(&rd, deep, n + 5);
    CHECK(mh_rd_restriction(&rd, 2, 1252, pool, &r) != 0);
    /* a restriction value nested in a restriction counts towards the depth */
    unsigned char vdeep[MH_RES_MAX_DEPTH * 12];
    n = 0;
    for (int i = 0; i < MH_RES_MAX_DEPTH; i++) {
        memcpy(vdeep + n, "\x04\x04\xfd\x00\x01\x67\xfd\x00\x01\x67", 10);
        n += 10;
    }
    memcpy(vdeep + n, "\x08\x03\x00\x17\x00", 5);
    mh_rd_init(&rd, vdeep, n + 5);
    CHECK(mh_rd_restriction(&rd, 2, 1252, pool, &r) != 0);

    /* strings: an STRING8 tag and value come back as Unicode */
    static const unsigned char s8[] = {0x04, 0x04, 0x1e, 0x00, 0x37, 0x00, 0x1e, 0x00, 0x37, 0x00,
                                       0xe9, 0x00};
    mh_rd_init(&rd, s8, sizeof s8);
    CHECK(mh_rd_restriction(&rd, 2, 1252, pool, &r) == 0);
    CHECK(r->u.prop.tag == PR_SUBJECT && r->u.prop.val.tag == PR_SUBJECT);
    CHECK_STR(r->u.prop.val.v.str, "\xc3\xa9");
}

/* ------------------------------------------------------- evaluation */

typedef struct fake_row {
    const mh_propval *vals;
    uint32_t n;
    const struct fake_row *recips;
    uint32_t n_recips;
} fake_row;

static const mh_propval *fake_get(const mh_res_source *src, mh_proptag tag)
{
    const fake_row *row = src->baton;
    for (uint32_t i = 0; i < row->n; i++)
        if (MH_TAG_ID(row->vals[i].tag) == MH_TAG_ID(tag))
            return &row->vals[i];
    return NULL;
}

static int fake_each(const mh_res_source *src, mh_proptag sub,
                     int (*fn)(void *ctx, const mh_res_source *row), void *ctx);

static mh_res_source fake_src(const fake_row *row)
{
    mh_res_source s = {fake_get, fake_each, (void *)(uintptr_t)row};
    return s;
}

static int fake_each(const mh_res_source *src, mh_proptag sub,
                     int (*fn)(void *ctx, const mh_res_source *row), void *ctx)
{
    const fake_row *row = src->baton;
    if (sub != MH_TAG(0x0E12, PT_OBJECT))
        return 0;
    for (uint32_t i = 0; i < row->n_recips; i++) {
        mh_res_source s = fake_src(&row->recips[i]);
        int r = fn(ctx, &s);
        if (r)
            return r;
    }
    return 0;
}

static int eval_bytes(const char *b, size_t n, const fake_row *row)
{
    mh_rd rd;
    mh_restriction *r;
    mh_rd_init(&rd, b, n);
    if (mh_rd_restriction(&rd, 2, 1252, pool, &r) != 0)
        return -1;
    mh_res_source s = fake_src(row);
    return mh_restriction_eval(r, &s);
}

#define EVAL(lit, row) eval_bytes(lit, sizeof(lit) - 1, row)

static void test_eval(void)
{
    static const int32_t mvl[] = {3, 9};
    static const char *const kw[] = {"Red", "Gr\xc3\xbcn"};
    static const mh_bin bin = {3, (const uint8_t *)"\x01\x02\x03"};
    mh_propval v[] = {
        mh_pv_str(PR_SUBJECT, "Hello W\xc3\xb6rld"),
        mh_pv_long(PR_MESSAGE_FLAGS, MSGFLAG_READ | MSGFLAG_HASATTACH),
        mh_pv_long(PR_IMPORTANCE, 2),
        {.tag = MH_TAG(0x6701, PT_MV_LONG), .v.mv = {2, mvl}},
        {.tag = MH_TAG(0x6702, PT_MV_UNICODE), .v.mv = {2, kw}},
        mh_pv_bin(PR_SOURCE_KEY, bin.data, bin.len),
        mh_pv_time(PR_CLIENT_SUBMIT_TIME, 100),
        mh_pv_time(PR_MESSAGE_DELIVERY_TIME, 200),
        {.tag = MH_TAG(0x1000, PT_UNICODE), .flags = MH_PV_LARGE, .v.large = {5000, 1}},
        {.tag = MH_TAG(0x0E1B, PT_ERROR), .v.err = MAPI_E_NOT_FOUND},
    };
    mh_propval rv[] = {mh_pv_str(PR_DISPLAY_NAME, "Alice")};
    fake_row recip = {rv, 1, NULL, 0};
    fake_row row = {v, sizeof v / sizeof v[0], &recip, 1};
    fake_row empty = {NULL, 0, NULL, 0};

    /* Exist: present; absent; a PT_ERROR value counts as absent; large */
    CHECK_EQ_U(EVAL("\x08\x1f\x00\x37\x00", &row), 1);
    CHECK_EQ_U(EVAL("\x08\x1f\x00\x3d\x00", &row), 0);
    CHECK_EQ_U(EVAL("\x08\x0b\x00\x1b\x0e", &row), 0);
    CHECK_EQ_U(EVAL("\x08\x1f\x00\x00\x10", &row), 1);

    /* Property: every relop on a long */
    CHECK_EQ_U(EVAL("\x04\x04\x03\x00\x17\x00\x03\x00\x17\x00\x02\0\0\0", &row), 1);
    CHECK_EQ_U(EVAL("\x04\x05\x03\x00\x17\x00\x03\x00\x17\x00\x02\0\0\0", &row), 0);
    CHECK_EQ_U(EVAL("\x04\x00\x03\x00\x17\x00\x03\x00\x17\x00\x03\0\0\0", &row), 1);
    CHECK_EQ_U(EVAL("\x04\x00\x03\x00\x17\x00\x03\x00\x17\x00\x02\0\0\0", &row), 0);
    CHECK_EQ_U(EVAL("\x04\x01\x03\x00\x17\x00\x03\x00\x17\x00\x02\0\0\0", &row), 1);
    CHECK_EQ_U(EVAL("\x04\x02\x03\x00\x17\x00\x03\x00\x17\x00\x01\0\0\0", &row), 1);
    CHECK_EQ_U(EVAL("\x04\x02\x03\x00\x17\x00\x03\x00\x17\x00\x02\0\0\0", &row), 0);
    CHECK_EQ_U(EVAL("\x04\x03\x03\x00\x17\x00\x03\x00\x17\x00\x02\0\0\0", &row), 1);
    CHECK_EQ_U(EVAL("\x04\x05\x03\x00\x17\x00\x03\x00\x17\x00\x05\0\0\0", &row), 1);
    /* RELOP_RE and MEMBER_OF_DL never match */
    CHECK_EQ_U(EVAL("\x04\x06\x03\x00\x17\x00\x03\x00\x17\x00\x02\0\0\0", &row), 0);
    CHECK_EQ_U(EVAL("\x04\x64\x03\x00\x17\x00\x03\x00\x17\x00\x02\0\0\0", &row), 0);
    /* a missing property never matches, not even NE */
    CHECK_EQ_U(EVAL("\x04\x05\x03\x00\x17\x00\x03\x00\x17\x00\x05\0\0\0", &empty), 0);
    /* a type mismatch never matches */
    CHECK_EQ_U(EVAL("\x04\x04\x02\x00\x17\x00\x02\x00\x17\x00\x02\0", &row), 0);
    /* strings compare without case, in the 8-bit form too */
    CHECK_EQ_U(EVAL("\x04\x04\x1f\x00\x37\x00\x1f\x00\x37\x00h\0E\0L\0L\0O\0 \0w\0\xd6\0r\0l\0d\0\0\0",
                    &row), 1);
    CHECK_EQ_U(EVAL("\x04\x04\x1e\x00\x37\x00\x1e\x00\x37\x00hello w\xf6rld\0", &row), 1);
    CHECK_EQ_U(EVAL("\x04\x00\x1e\x00\x37\x00\x1e\x00\x37\x00Z\0", &row), 1);
    /* multi-valued: any value */
    CHECK_EQ_U(EVAL("\x04\x04\x03\x10\x01\x67\x03\x00\x01\x67\x09\0\0\0", &row), 1);
    CHECK_EQ_U(EVAL("\x04\x04\x03\x10\x01\x67\x03\x00\x01\x67\x04\0\0\0", &row), 0);
    CHECK_EQ_U(EVAL("\x04\x02\x03\x30\x01\x67\x03\x00\x01\x67\x08\0\0\0", &row), 1);
    /* binaries and times */
    CHECK_EQ_U(EVAL("\x04\x04\x02\x01\xe0\x65\x02\x01\xe0\x65\x03\x00\x01\x02\x03", &row), 1);
    CHECK_EQ_U(EVAL("\x04\x00\x02\x01\xe0\x65\x02\x01\xe0\x65\x03\x00\x01\x02\x04", &row), 1);
    CHECK_EQ_U(EVAL("\x04\x02\x40\x00\x39\x00\x40\x00\x39\x00\x63\0\0\0\0\0\0\0", &row), 1);
    /* a large value is not compared */
    CHECK_EQ_U(EVAL("\x04\x05\x1f\x00\x00\x10\x1f\x00\x00\x10x\0\0\0", &row), 0);

    /* Content: full string, prefix, substring; case; non-spacing */
    CHECK_EQ_U(EVAL("\x03\x00\x00\x00\x00\x1f\x00\x37\x00\x1f\x00\x37\x00H\0e\0l\0l\0o\0\0\0",
                    &row), 0);
    CHECK_EQ_U(EVAL("\x03\x02\x00\x00\x00\x1f\x00\x37\x00\x1f\x00\x37\x00H\0e\0l\0l\0o\0\0\0",
                    &row), 1);
    CHECK_EQ_U(EVAL("\x03\x02\x00\x00\x00\x1f\x00\x37\x00\x1f\x00\x37\x00h\0e\0l\0l\0o\0\0\0",
                    &row), 0);
    CHECK_EQ_U(EVAL("\x03\x02\x00\x01\x00\x1f\x00\x37\x00\x1f\x00\x37\x00h\0e\0l\0l\0o\0\0\0",
                    &row), 1);
    CHECK_EQ_U(EVAL("\x03\x01\x00\x00\x00\x1f\x00\x37\x00\x1f\x00\x37\x00W\0\xf6\0r\0\0\0", &row),
               1);
    CHECK_EQ_U(EVAL("\x03\x01\x00\x00\x00\x1f\x00\x37\x00\x1f\x00\x37\x00W\0o\0r\0\0\0", &row),
               0);
    CHECK_EQ_U(EVAL("\x03\x01\x00\x02\x00\x1f\x00\x37\x00\x1f\x00\x37\x00W\0o\0r\0\0\0", &row),
               1);
    CHECK_EQ_U(EVAL("\x03\x01\x00\x04\x00\x1f\x00\x37\x00\x1f\x00\x37\x00w\0O\0R\0\0\0", &row),
               1);
    CHECK_EQ_U(EVAL("\x03\x00\x00\x01\x00\x1f\x00\x37\x00\x1f\x00\x37\x00h\0e\0l\0l\0o\0 \0w\0"
                    "\xd6\0r\0l\0d\0\0\0", &row), 1);
    /* content on a multi-valued string: any value */
    CHECK_EQ_U(EVAL("\x03\x00\x00\x01\x00\x1f\x10\x02\x67\x1f\x00\x02\x67g\0r\0\xdc\0n\0\0\0",
                    &row), 1);
    CHECK_EQ_U(EVAL("\x03\x00\x00\x01\x00\x1f\x10\x02\x67\x1f\x00\x02\x67" "b\0l\0u\0e\0\0\0", &row),
               0);
    /* content on a binary */
    CHECK_EQ_U(EVAL("\x03\x01\x00\x00\x00\x02\x01\xe0\x65\x02\x01\xe0\x65\x01\x00\x02", &row), 1);
    CHECK_EQ_U(EVAL("\x03\x02\x00\x00\x00\x02\x01\xe0\x65\x02\x01\xe0\x65\x01\x00\x02", &row), 0);
    CHECK_EQ_U(EVAL("\x03\x00\x00\x00\x00\x02\x01\xe0\x65\x02\x01\xe0\x65\x03\x00\x01\x02\x03",
                    &row), 1);
    /* missing */
    CHECK_EQ_U(EVAL("\x03\x01\x00\x00\x00\x1f\x00\x37\x00\x1f\x00\x37\x00\0\0", &empty), 0);

    /* CompareProps */
    CHECK_EQ_U(EVAL("\x05\x00\x40\x00\x39\x00\x40\x00\x06\x0e", &row), 1);
    CHECK_EQ_U(EVAL("\x05\x02\x40\x00\x39\x00\x40\x00\x06\x0e", &row), 0);
    CHECK_EQ_U(EVAL("\x05\x04\x40\x00\x39\x00\x40\x00\x39\x00", &row), 1);
    CHECK_EQ_U(EVAL("\x05\x04\x40\x00\x39\x00\x03\x00\x17\x00", &row), 0);
    CHECK_EQ_U(EVAL("\x05\x04\x40\x00\x39\x00\x40\x00\x3d\x00", &row), 0);

    /* Bitmask */
    CHECK_EQ_U(EVAL("\x06\x01\x03\x00\x07\x0e\x01\0\0\0", &row), 1);
    CHECK_EQ_U(EVAL("\x06\x00\x03\x00\x07\x0e\x01\0\0\0", &row), 0);
    CHECK_EQ_U(EVAL("\x06\x00\x03\x00\x07\x0e\x04\0\0\0", &row), 1);
    CHECK_EQ_U(EVAL("\x06\x01\x03\x00\x07\x0e\x04\0\0\0", &row), 0);
    CHECK_EQ_U(EVAL("\x06\x00\x03\x00\x07\x0e\x04\0\0\0", &empty), 0);

    /* Size: a long is 4 bytes; "Hello Wörld" is 12 UTF-16 units with the
     * NUL: 24 bytes; the binary 3; MV long 8; the large string ~ 10002 */
    CHECK_EQ_U(EVAL("\x07\x04\x03\x00\x17\x00\x04\0\0\0", &row), 1);
    CHECK_EQ_U(EVAL("\x07\x04\x1f\x00\x37\x00\x18\0\0\0", &row), 1);
    CHECK_EQ_U(EVAL("\x07\x00\x1f\x00\x37\x00\x18\0\0\0", &row), 0);
    CHECK_EQ_U(EVAL("\x07\x04\x02\x01\xe0\x65\x03\0\0\0", &row), 1);
    CHECK_EQ_U(EVAL("\x07\x04\x03\x10\x01\x67\x08\0\0\0", &row), 1);
    CHECK_EQ_U(EVAL("\x07\x02\x1f\x00\x00\x10\x00\x10\0\0", &row), 1);
    CHECK_EQ_U(EVAL("\x07\x02\x03\x00\x17\x00\x00\0\0\0", &empty), 0);

    /* And / Or / Not */
    CHECK_EQ_U(EVAL("\x00\x02\x00\x08\x1f\x00\x37\x00\x08\x03\x00\x17\x00", &row), 1);
    CHECK_EQ_U(EVAL("\x00\x02\x00\x08\x1f\x00\x37\x00\x08\x03\x00\x99\x00", &row), 0);
    CHECK_EQ_U(EVAL("\x00\x00\x00", &row), 1);
    CHECK_EQ_U(EVAL("\x01\x02\x00\x08\x03\x00\x99\x00\x08\x1f\x00\x37\x00", &row), 1);
    CHECK_EQ_U(EVAL("\x01\x01\x00\x08\x03\x00\x99\x00", &row), 0);
    CHECK_EQ_U(EVAL("\x01\x00\x00", &row), 0);
    CHECK_EQ_U(EVAL("\x02\x08\x03\x00\x99\x00", &row), 1);
    CHECK_EQ_U(EVAL("\x02\x08\x1f\x00\x37\x00", &row), 0);

    /* SubObject over the recipients */
    CHECK_EQ_U(EVAL("\x09\x0d\x00\x12\x0e\x03\x00\x00\x01\x00\x1f\x00\x01\x30\x1f\x00\x01\x30"
                    "a\0l\0i\0c\0e\0\0\0", &row), 1);
    CHECK_EQ_U(EVAL("\x09\x0d\x00\x12\x0e\x03\x00\x00\x00\x00\x1f\x00\x01\x30\x1f\x00\x01\x30"
                    "B\0o\0b\0\0\0", &row), 0);
    /* attachments: the fake row has none */
    CHECK_EQ_U(EVAL("\x09\x0d\x00\x13\x0e\x08\x1f\x00\x01\x30", &row), 0);

    /* Comment: its restriction, or TRUE */
    CHECK_EQ_U(EVAL("\x0a\x01\x03\x00\x01\x80\x07\0\0\0\x01\x08\x03\x00\x99\x00", &row), 0);
    CHECK_EQ_U(EVAL("\x0a\x01\x03\x00\x01\x80\x07\0\0\0\x01\x08\x1f\x00\x37\x00", &row), 1);
    CHECK_EQ_U(EVAL("\x0a\x01\x03\x00\x01\x80\x07\0\0\0\x00", &empty), 1);

    /* Count: a single row sees its sub-restriction */
    CHECK_EQ_U(EVAL("\x0b\x01\0\0\0\x08\x1f\x00\x37\x00", &row), 1);
    CHECK_EQ_U(EVAL("\x0b\x01\0\0\0\x08\x1f\x00\x37\x00", &empty), 0);
}

static void test_eval_counted(void)
{
    /* Count(2, Exist(PR_SUBJECT)) over five rows, three with a subject:
     * the first two that match pass */
    static const unsigned char b[] = {0x0b, 0x02, 0, 0, 0, 0x08, 0x1f, 0x00, 0x37, 0x00};
    mh_rd rd;
    mh_restriction *r;
    mh_rd_init(&rd, b, sizeof b);
    REQUIRE(mh_rd_restriction(&rd, 2, 1252, pool, &r) == 0);
    mh_propval s = mh_pv_str(PR_SUBJECT, "x");
    fake_row with = {&s, 1, NULL, 0}, without = {NULL, 0, NULL, 0};
    const fake_row *rows[] = {&without, &with, &with, &without, &with};
    int want[] = {0, 1, 1, 0, 0};
    mh_res_counts *c = mh_res_counts_create(r, pool);
    CHECK_EQ_U(c->n, 1);
    for (int i = 0; i < 5; i++) {
        mh_res_source src = fake_src(rows[i]);
        CHECK_EQ_U(mh_restriction_eval_counted(r, &src, c), want[i]);
    }
    /* a fresh pass starts again */
    c = mh_res_counts_create(r, pool);
    mh_res_source src = fake_src(&with);
    CHECK_EQ_U(mh_restriction_eval_counted(r, &src, c), 1);
    /* Or(Count(1, Exist(subject)), Count(1, Not(Exist(subject)))): two
     * nodes numbered apart */
    static const unsigned char b2[] = {0x01, 0x02, 0x00, 0x0b, 0x01, 0, 0, 0, 0x08, 0x1f, 0x00,
                                       0x37, 0x00, 0x0b, 0x01, 0, 0, 0, 0x02, 0x08, 0x1f, 0x00,
                                       0x37, 0x00};
    mh_rd_init(&rd, b2, sizeof b2);
    REQUIRE(mh_rd_restriction(&rd, 2, 1252, pool, &r) == 0);
    c = mh_res_counts_create(r, pool);
    CHECK_EQ_U(c->n, 2);
    int want2[] = {1, 1, 0, 0, 0};
    for (int i = 0; i < 5; i++) {
        src = fake_src(rows[i]);
        CHECK_EQ_U(mh_restriction_eval_counted(r, &src, c), want2[i]);
    }
}

/* ------------------------------------------------------- comparisons */

static void test_compare(void)
{
    mh_propval a = mh_pv_str(PR_SUBJECT, "abc"), b = mh_pv_str(PR_SUBJECT, "ABD");
    CHECK(mh_propval_cmp(&a, &b) < 0);
    CHECK(mh_propval_cmp(&b, &a) > 0);
    b.v.str = "ABC";
    CHECK(mh_propval_cmp(&a, &b) == 0);
    /* Latin-1 and Cyrillic letters fold too */
    a.v.str = "\xc3\x89t\xc3\xa9";
    b.v.str = "\xc3\xa9T\xc3\x89";
    CHECK(mh_propval_cmp(&a, &b) == 0);
    a.v.str = "\xd0\x96";
    b.v.str = "\xd0\xb6";
    CHECK(mh_propval_cmp(&a, &b) == 0);
    /* absent first */
    CHECK(mh_propval_cmp(NULL, &a) < 0 && mh_propval_cmp(&a, NULL) > 0);
    CHECK(mh_propval_cmp(NULL, NULL) == 0);
    /* binaries bytewise, then by length */
    mh_propval x = mh_pv_bin(PR_SOURCE_KEY, "\x01\x02", 2), y = mh_pv_bin(PR_SOURCE_KEY, "\x01", 1);
    CHECK(mh_propval_cmp(&y, &x) < 0);
    y = mh_pv_bin(PR_SOURCE_KEY, "\x02", 1);
    CHECK(mh_propval_cmp(&y, &x) > 0);
    /* booleans false < true; numbers signed; times unsigned */
    mh_propval f = mh_pv_bool(PR_HASATTACH, 0), t = mh_pv_bool(PR_HASATTACH, 1);
    CHECK(mh_propval_cmp(&f, &t) < 0);
    mh_propval m1 = mh_pv_long(PR_IMPORTANCE, -1), p1 = mh_pv_long(PR_IMPORTANCE, 1);
    CHECK(mh_propval_cmp(&m1, &p1) < 0);
    mh_propval i1 = mh_pv_i8(PR_CHANGE_NUMBER, -5), i2 = mh_pv_i8(PR_CHANGE_NUMBER, 3);
    CHECK(mh_propval_cmp(&i1, &i2) < 0);
    mh_propval t1 = mh_pv_time(PR_CREATION_TIME, 1), t2 = mh_pv_time(PR_CREATION_TIME, ~0ull);
    CHECK(mh_propval_cmp(&t1, &t2) < 0);
    /* doubles, NaN first */
    mh_propval d1 = {.tag = MH_TAG(0x6700, PT_DOUBLE), .v.f64 = NAN};
    mh_propval d2 = {.tag = MH_TAG(0x6700, PT_DOUBLE), .v.f64 = -1e300};
    CHECK(mh_propval_cmp(&d1, &d2) < 0 && mh_propval_cmp(&d1, &d1) == 0);
    mh_propval s1 = {.tag = MH_TAG(0x6700, PT_SHORT), .v.i16 = -3};
    mh_propval s2 = {.tag = MH_TAG(0x6700, PT_SHORT), .v.i16 = 3};
    CHECK(mh_propval_cmp(&s1, &s2) < 0);
    mh_propval fl1 = {.tag = MH_TAG(0x6700, PT_FLOAT), .v.f32 = 0.5f};
    mh_propval fl2 = {.tag = MH_TAG(0x6700, PT_FLOAT), .v.f32 = 0.25f};
    CHECK(mh_propval_cmp(&fl1, &fl2) > 0);
    mh_propval c1 = {.tag = MH_TAG(0x6700, PT_CURRENCY), .v.i64 = 10};
    mh_propval c2 = {.tag = MH_TAG(0x6700, PT_CURRENCY), .v.i64 = 20};
    CHECK(mh_propval_cmp(&c1, &c2) < 0);
    mh_propval e1 = {.tag = MH_TAG(0x6700, PT_ERROR), .v.err = 1};
    mh_propval e2 = {.tag = MH_TAG(0x6700, PT_ERROR), .v.err = 0x80000000u};
    CHECK(mh_propval_cmp(&e1, &e2) < 0);
    mh_guid g1, g2;
    memset(&g1, 1, sizeof g1);
    memset(&g2, 2, sizeof g2);
    mh_propval gg1 = {.tag = MH_TAG(0x6700, PT_CLSID), .v.guid = &g1};
    mh_propval gg2 = {.tag = MH_TAG(0x6700, PT_CLSID), .v.guid = &g2};
    CHECK(mh_propval_cmp(&gg1, &gg2) < 0);
    /* different types order by type; string kinds are one */
    CHECK(mh_propval_cmp(&p1, &a) < 0);
    mh_propval s8 = {.tag = MH_TAG(0x0037, PT_STRING8), .v.str = "\xd0\x96"};
    CHECK(mh_propval_cmp(&s8, &b) == 0);
    /* multi-valued: element-wise, then count */
    static const int32_t l1[] = {1, 2}, l2[] = {1, 3}, l3[] = {1};
    mh_propval mv1 = {.tag = MH_TAG(0x6701, PT_MV_LONG), .v.mv = {2, l1}};
    mh_propval mv2 = {.tag = MH_TAG(0x6701, PT_MV_LONG), .v.mv = {2, l2}};
    mh_propval mv3 = {.tag = MH_TAG(0x6701, PT_MV_LONG), .v.mv = {1, l3}};
    CHECK(mh_propval_cmp(&mv1, &mv2) < 0);
    CHECK(mh_propval_cmp(&mv3, &mv1) < 0);
    static const char *const sa[] = {"a", "B"}, *const sb[] = {"A", "b"};
    mh_propval ms1 = {.tag = MH_TAG(0x6702, PT_MV_UNICODE), .v.mv = {2, sa}};
    mh_propval ms2 = {.tag = MH_TAG(0x6702, PT_MV_UNICODE), .v.mv = {2, sb}};
    CHECK(mh_propval_cmp(&ms1, &ms2) == 0);
    /* large values after loaded ones */
    mh_propval lg = {.tag = PR_SUBJECT, .flags = MH_PV_LARGE, .v.large = {10, 1}};
    CHECK(mh_propval_cmp(&a, &lg) < 0);
}

static void test_error_codes(void)
{
    /* values MS-OXCDATA 2.4.1 gives that the first header had wrong */
    CHECK_EQ_U(MAPI_E_UNCONFIGURED, 0x8004011C);
    CHECK_EQ_U(MAPI_E_NOT_IN_QUEUE, 0x80040601);
    CHECK_EQ_U(MAPI_E_CORRUPT_STORE, 0x80040600);
    CHECK_EQ_U(MAPI_E_ACCOUNT_DISABLED, 0x80040124);
    /* and how one travels in a row: little-endian */
    mh_propval e = {.tag = MH_TAG(0x0037, PT_ERROR), .v.err = EC_NULL_OBJECT};
    mh_wr w;
    mh_wr_init(&w, pool, 4);
    mh_wr_propval(&w, PT_ERROR, &e, 1252);
    CHECK_MEM(w.buf, w.len, "\xb9\x04\x00\x00", 4);
}

/* MS-OXCDATA 2.6.1: Kind first, then the GUID, then LID or NameSize+Name. */
static void test_propname_layout(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, NULL);
    mh_propname n;
    memset(&n, 0, sizeof(n));
    for (int i = 0; i < 16; i++)
        n.guid.b[i] = (uint8_t)(0xA0 + i);
    n.kind = MH_MNID_ID;
    n.lid = 0x8501;
    mh_wr w;
    mh_wr_init(&w, p, 32);
    mh_wr_propname(&w, &n);
    CHECK_EQ_U(w.len, 21);
    CHECK_EQ_U(w.buf[0], 0x00);
    CHECK_EQ_U(w.buf[1], 0xA0);
    CHECK_EQ_U(mh_get_u32(w.buf + 17), 0x8501);
    n.kind = MH_MNID_STRING;
    n.name = "ab";
    w.len = 0;
    mh_wr_propname(&w, &n);
    static const uint8_t want_tail[] = {0x06, 'a', 0, 'b', 0, 0, 0};
    CHECK_EQ_U(w.len, 1 + 16 + sizeof(want_tail));
    CHECK_EQ_U(w.buf[0], 0x01);
    CHECK(memcmp(w.buf + 17, want_tail, sizeof(want_tail)) == 0);
    mh_rd rd;
    mh_rd_init(&rd, w.buf, w.len);
    mh_propname back;
    CHECK_EQ_U(mh_rd_propname(&rd, p, &back), 0);
    CHECK_EQ_U(back.kind, MH_MNID_STRING);
    CHECK(back.name && strcmp(back.name, "ab") == 0);
    CHECK(memcmp(back.guid.b, n.guid.b, 16) == 0);
    apr_pool_destroy(p);
}

/* --------------------------------------------------------- skippers */

/* Which structure a skipper test walks. */
enum { SK_TAGGED, SK_TYPED, SK_RESTRICTION, SK_PROPROW, SK_PROPNAME, SK_SORTSET, SK_TAGS };

/* Reads with the reader and the skipper from the same bytes: they must
 * agree on success and on where they stop (mh_oxcdata.h: a skipper is its
 * reader without a pool, checking framing only).  Returns the reader's
 * result. */
static int reader_and_skipper_agree(int kind, const unsigned char *buf, size_t len, int cw,
                                    const unsigned char *cols, uint32_t ncols)
{
    mh_rd rd, sk;
    mh_rd_init(&rd, buf, len);
    mh_rd_init(&sk, buf, len);
    int r = -1, k = -1;
    switch (kind) {
    case SK_TAGGED: {
        mh_propval v;
        r = mh_rd_tagged_propval_cw(&rd, cw, 1252, pool, &v);
        k = mh_skip_tagged_propval(&sk, cw);
        break;
    }
    case SK_TYPED: {
        mh_propval v;
        r = mh_rd_typed_propval_cw(&rd, cw, 1252, pool, &v);
        k = mh_skip_typed_propval(&sk, cw);
        break;
    }
    case SK_RESTRICTION: {
        mh_restriction *res;
        r = mh_rd_restriction(&rd, cw, 1252, pool, &res);
        k = mh_skip_restriction(&sk, cw);
        break;
    }
    case SK_PROPROW: {
        mh_proptag tags[16];
        for (uint32_t i = 0; i < ncols; i++)
            tags[i] = mh_get_u32(cols + 4 * i);
        mh_propval *vals;
        r = mh_rd_proprow(&rd, tags, ncols, 1252, pool, &vals);
        k = mh_skip_proprow(&sk, cols, ncols);
        break;
    }
    case SK_PROPNAME: {
        mh_propname n;
        r = mh_rd_propname(&rd, pool, &n);
        k = mh_skip_propname(&sk);
        break;
    }
    case SK_SORTSET: {
        mh_sort_set ss;
        r = mh_rd_sort_set(&rd, pool, &ss);
        k = mh_skip_sort_set(&sk);
        break;
    }
    case SK_TAGS: {
        mh_proptag *t;
        uint16_t n;
        r = mh_rd_tag_array(&rd, 0xFFFF, pool, &t, &n);
        k = mh_skip_tag_array(&sk);
        break;
    }
    }
    /* the reader's success is the skipper's, ending at the same byte; the
     * skipper's refusal is the reader's.  The skipper checks framing only:
     * it may accept a value the reader refuses (an undefined RelOp). */
    int agree = (r != 0 || (k == 0 && rd.p == sk.p)) && (k == 0 || (r != 0 && sk.err));
    if (!agree)
        printf("# reader %d (at %td), skipper %d (at %td), kind %d, %zu bytes\n", r,
               rd.p - buf, k, sk.p - buf, kind, len);
    CHECK(agree);
    return r;
}

/* The whole encoding must be read exactly, every prefix refused, by both. */
static void skip_case(int kind, const char *hex, int cw, const char *cols_hex)
{
    unsigned char buf[1024], cols[64];
    size_t len = mh_test_unhex(hex, buf, sizeof buf);
    uint32_t ncols = cols_hex ? (uint32_t)(mh_test_unhex(cols_hex, cols, sizeof cols) / 4) : 0;
    int whole = reader_and_skipper_agree(kind, buf, len, cw, cols, ncols);
    if (whole != 0)
        printf("# not read: %s\n", hex);
    CHECK(whole == 0);
    mh_rd sk;
    mh_rd_init(&sk, buf, len);
    CHECK(kind != SK_TAGGED || (mh_skip_tagged_propval(&sk, cw) == 0 && sk.p == sk.end));
    for (size_t cut = 0; cut < len; cut++)
        reader_and_skipper_agree(kind, buf, cut, cw, cols, ncols);
    /* one byte changed at a time: wherever the reader stands, the skipper does */
    for (size_t i = 0; i < len; i++) {
        unsigned char save = buf[i];
        const unsigned char flips[] = {0x00, 0xFF, 0x01, (unsigned char)(save ^ 0x80)};
        for (size_t f = 0; f < sizeof flips; f++) {
            buf[i] = flips[f];
            reader_and_skipper_agree(kind, buf, len, cw, cols, ncols);
        }
        buf[i] = save;
    }
}

static void test_skippers(void)
{
    static const char *const tagged[] = {
        "02 00 01 00 05 00", "03 00 01 00 05 00 00 00", "04 00 01 00 00 00 80 3f",
        "05 00 01 00 00 00 00 00 00 00 f0 3f", "0a 00 01 00 0f 01 04 80", "0b 00 01 00 01",
        "14 00 01 00 01 02 03 04 05 06 07 08", "1e 00 01 00 61 62 00",
        "1f 00 01 00 61 00 00 01 00 00", "40 00 01 00 01 02 03 04 05 06 07 08",
        "48 00 01 00 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f",
        "fb 00 01 00 03 00 01 aa bb", "fd 00 01 00 08 03 00 1a 00",
        "fe 00 01 00 01 00 09 00 05 00 00 00 00 00 00 00 00", "02 01 01 00 02 00 aa bb",
        "02 10 01 00 02 00 00 00 01 00 02 00", "03 10 01 00 01 00 00 00 01 00 00 00",
        "14 10 01 00 01 00 00 00 01 02 03 04 05 06 07 08", "1e 10 01 00 02 00 00 00 61 00 00",
        "1f 10 01 00 02 00 00 00 61 00 00 00 00 00", "02 11 01 00 02 00 00 00 01 00 aa 00 00",
        "48 10 01 00 01 00 00 00 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f",
        "0d 00 01 00 00 00 00 00", "03 30 01 00 07 00 00 00", /* an MV instance column value */
        /* a PtypRestriction value holding an And of a Content and a Comment */
        ("fd 00 01 00 00 02 00 03 01 00 01 00 1f 00 37 00 1f 00 37 00 61 00 00 00 "
         "0a 01 1e 00 01 30 61 00 01 08 03 00 1a 00"),
    };
    for (size_t i = 0; i < sizeof tagged / sizeof tagged[0]; i++)
        skip_case(SK_TAGGED, tagged[i], 2, NULL);
    /* 4-byte counts (extended rules, address book) */
    skip_case(SK_TAGGED, "02 01 01 00 02 00 00 00 aa bb", 4, NULL);
    skip_case(SK_TAGGED, "fe 00 01 00 01 00 00 00 09 00 00 00 05 00 00 00 00 00 00 00 00", 4,
              NULL);
    skip_case(SK_TYPED, "03 00 02 00 00 00", 2, NULL);
    /* a TypedPropertyValue names a type: PT_UNSPECIFIED is refused by both */
    CHECK(reader_and_skipper_agree(SK_TYPED, (const unsigned char *)"\0\0\1\0\0\0", 6, 2,
                                   NULL, 0) != 0);
    skip_case(SK_RESTRICTION,
              "00 0a 00 01 02 00 02 08 03 00 1a 00 "
              "03 01 00 01 00 1f 00 37 00 1f 00 37 00 61 00 00 00 "
              "04 04 03 00 1a 00 03 00 1a 00 07 00 00 00 05 01 40 00 06 0e 40 00 07 0e "
              "06 01 03 00 07 0e 01 00 00 00 07 02 03 00 08 0e 00 10 00 00 08 03 00 1a 00 "
              "09 0d 00 12 0e 08 1f 00 01 30 0a 01 1f 00 01 30 61 00 00 00 01 08 03 00 1a 00 "
              "0a 00 00 0b 05 00 00 00 08 03 00 1a 00",
              2, NULL);
    skip_case(SK_RESTRICTION, "01 02 00 00 00 08 03 00 1a 00 08 03 00 1b 00", 4, NULL);
    /* an undefined RelOp (Property 0x07, CompareProps 0x07, Bitmask 0x02,
     * Size 0x07): framing fine, so the skipper passes it for the ROP to
     * answer with its own error; the reader refuses the value */
    static const char *const bad_relop[] = {
        "04 07 03 00 1a 00 03 00 1a 00 07 00 00 00", "05 07 03 00 1a 00 03 00 1b 00",
        "06 02 03 00 07 0e 01 00 00 00", "07 07 03 00 08 0e 00 10 00 00",
    };
    for (size_t i = 0; i < sizeof bad_relop / sizeof bad_relop[0]; i++) {
        unsigned char b[64];
        size_t n = mh_test_unhex(bad_relop[i], b, sizeof b);
        mh_rd sk;
        mh_rd_init(&sk, b, n);
        CHECK(mh_skip_restriction(&sk, 2) == 0 && sk.p == sk.end);
        CHECK(reader_and_skipper_agree(SK_RESTRICTION, b, n, 2, NULL, 0) != 0);
    }
    /* rows: standard, flagged with errors and absent values, typed columns */
    skip_case(SK_PROPROW, "00 41 00 00 00 01 00 00 00", 2, "1f 00 01 30 03 00 15 0c");
    skip_case(SK_PROPROW, "01 00 41 00 00 00 01 03 00 0a 0f 01 04 80", 2,
              "1f 00 01 30 03 00 15 0c 00 00 00 66");
    skip_case(SK_PROPROW, "00 03 00 07 00 00 00 1e 00 61 00", 2,
              "00 00 00 66 00 00 01 66");
    skip_case(SK_PROPNAME, "00 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 01 80 00 00",
              2, NULL);
    skip_case(SK_PROPNAME,
              "01 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 06 41 00 42 00 00 00", 2,
              NULL);
    skip_case(SK_PROPNAME, "ff 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f", 2, NULL);
    skip_case(SK_SORTSET, "02 00 01 00 01 00 40 00 06 0e 01 1f 00 37 00 00", 2, NULL);
    skip_case(SK_TAGS, "02 00 1f 00 37 00 03 00 17 00", 2, NULL);
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    RUN(test_propname_layout);
    RUN(test_codepages);
    RUN(test_fixed_values);
    RUN(test_string_values);
    RUN(test_binary_values);
    RUN(test_mv_values);
    RUN(test_tagged_typed);
    RUN(test_rule_actions);
    RUN(test_restriction_values);
    RUN(test_tag_array);
    RUN(test_problems);
    RUN(test_propname);
    RUN(test_sort_set);
    RUN(test_proprow);
    RUN(test_restriction_codec);
    RUN(test_eval);
    RUN(test_eval_counted);
    RUN(test_compare);
    RUN(test_error_codes);
    RUN(test_skippers);
    apr_pool_destroy(pool);
    return MH_TEST_DONE();
}
