/* Unit tests: mh_props (the value, list and message-tree encoding the LMDB
 * backend stores and session state uses; copies, comparison, sizes). */
#include "mh_props.h"
#include "mh_test.h"

static apr_pool_t *pool;

static const unsigned char *enc_value(const mh_propval *v, size_t *len)
{
    mh_wr w;
    mh_wr_init(&w, pool, 16);
    mh_propval_encode(&w, v);
    *len = w.len;
    return w.buf;
}

static void test_layout(void)
{
    /* a PT_LONG: tag, form 0, value; all little-endian */
    mh_propval v = mh_pv_long(PR_IMPORTANCE, 2);
    size_t n;
    const unsigned char *b = enc_value(&v, &n);
    const unsigned char want_long[] = {0x03, 0x00, 0x17, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00};
    CHECK_MEM(b, n, want_long, sizeof(want_long));
    /* a string: u32 length + bytes, without the NUL */
    v = mh_pv_str(PR_SUBJECT, "hi");
    b = enc_value(&v, &n);
    const unsigned char want_str[] = {0x1F, 0x00, 0x37, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
                                      'h',  'i'};
    CHECK_MEM(b, n, want_str, sizeof(want_str));
    /* a large reference: form 1, u64 size, u64 reference */
    v.tag = PR_BODY;
    v.flags = MH_PV_LARGE;
    v.v.large.size = 0x10000;
    v.v.large.ref = 7;
    b = enc_value(&v, &n);
    const unsigned char want_large[] = {0x1F, 0x00, 0x00, 0x10, 0x01, 0x00, 0x00, 0x01,
                                        0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00,
                                        0x00, 0x00, 0x00, 0x00, 0x00};
    CHECK_MEM(b, n, want_large, sizeof(want_large));
}

/* One value of every storable type, single and multi-valued. */
static mh_proplist every_type(void)
{
    static const int16_t s16[] = {-2, 3};
    static const int32_t s32[] = {-70000, 70000, 0};
    static const float f32[] = {1.5f};
    static const double f64[] = {-2.25, 1e300};
    static const int64_t i64[] = {-1, 0x123456789ALL};
    static const uint64_t ft[] = {116444736000000000ull};
    static const char *const strs[] = {"eins", "zwei \xc3\xbc", ""};
    static const mh_guid g = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
    static const mh_guid gs[] = {{{0}}, {{0xff, 1}}};
    static const mh_bin bins[] = {{3, (const uint8_t *)"abc"}, {0, (const uint8_t *)""}};
    mh_propval *v = apr_pcalloc(pool, 40 * sizeof(*v));
    int n = 0;
    v[n].tag = MH_TAG(0x8001, PT_SHORT), v[n++].v.i16 = -5;
    v[n++] = mh_pv_long(MH_TAG(0x8002, PT_LONG), -123456);
    v[n].tag = MH_TAG(0x8003, PT_FLOAT), v[n++].v.f32 = 0.25f;
    v[n].tag = MH_TAG(0x8004, PT_DOUBLE), v[n++].v.f64 = 3.5;
    v[n].tag = MH_TAG(0x8005, PT_CURRENCY), v[n++].v.i64 = 12345678;
    v[n].tag = MH_TAG(0x8006, PT_APPTIME), v[n++].v.f64 = 45000.5;
    v[n].tag = MH_TAG(0x8007, PT_ERROR), v[n++].v.err = 0x8004010F;
    v[n++] = mh_pv_bool(MH_TAG(0x8008, PT_BOOLEAN), 1);
    v[n++] = mh_pv_i8(MH_TAG(0x8009, PT_I8), -9000000000LL);
    v[n++] = mh_pv_str(MH_TAG(0x800A, PT_UNICODE), "gr\xc3\xbc\xc3\x9f dich");
    v[n++] = mh_pv_time(MH_TAG(0x800B, PT_SYSTIME), 133000000000000000ull);
    v[n].tag = MH_TAG(0x800C, PT_CLSID), v[n++].v.guid = &g;
    v[n++] = mh_pv_bin(MH_TAG(0x800D, PT_SVREID), "\x01\x02", 2);
    v[n++] = mh_pv_bin(MH_TAG(0x800E, PT_SRESTRICTION), "\x00", 1);
    v[n++] = mh_pv_bin(MH_TAG(0x800F, PT_ACTIONS), "", 0);
    v[n++] = mh_pv_bin(MH_TAG(0x8010, PT_BINARY), "\x00\xff\x00", 3);
#define MV(id, type, arr, cnt) (v[n].tag = MH_TAG(id, type), v[n].v.mv.n = (cnt), v[n++].v.mv.v = (arr))
    MV(0x8011, PT_MV_SHORT, s16, 2);
    MV(0x8012, PT_MV_LONG, s32, 3);
    MV(0x8013, PT_MV_FLOAT, f32, 1);
    MV(0x8014, PT_MV_DOUBLE, f64, 2);
    MV(0x8015, PT_MV_CURRENCY, i64, 2);
    MV(0x8016, PT_MV_APPTIME, f64, 2);
    MV(0x8017, PT_MV_I8, i64, 2);
    MV(0x8018, PT_MV_UNICODE, strs, 3);
    MV(0x8019, PT_MV_SYSTIME, ft, 1);
    MV(0x801A, PT_MV_CLSID, gs, 2);
    MV(0x801B, PT_MV_BINARY, bins, 2);
    MV(0x801C, PT_MV_LONG, s32, 0);
#undef MV
    mh_proplist l = {(uint32_t)n, v};
    return l;
}

static void test_every_type_round_trip(void)
{
    mh_proplist l = every_type();
    mh_wr w;
    mh_wr_init(&w, pool, 64);
    mh_proplist_encode(&w, &l);
    mh_rd rd;
    mh_rd_init(&rd, w.buf, w.len);
    mh_proplist back;
    REQUIRE(mh_proplist_decode(&rd, pool, &back) == 0);
    CHECK(!rd.err && mh_rd_left(&rd) == 0);
    REQUIRE(back.n == l.n);
    for (uint32_t i = 0; i < l.n; i++) {
        if (!mh_propval_equal(&l.v[i], &back.v[i]))
            printf("# value %u (tag 0x%08x) differs\n", i, l.v[i].tag);
        CHECK(mh_propval_equal(&l.v[i], &back.v[i]));
    }
    /* deep copies are equal and independent */
    mh_proplist copy;
    mh_proplist_copy(pool, &copy, &l);
    for (uint32_t i = 0; i < l.n; i++)
        CHECK(mh_propval_equal(&l.v[i], &copy.v[i]));
    CHECK(copy.v[9].v.str != l.v[9].v.str);
    /* equality notices a difference */
    mh_propval other = mh_pv_str(MH_TAG(0x800A, PT_UNICODE), "gr\xc3\xbc\xc3\x9f Dich");
    CHECK(!mh_propval_equal(&l.v[9], &other));
}

static mh_message *tree(int depth)
{
    mh_message *m = apr_pcalloc(pool, sizeof(*m));
    mh_propval *v = apr_pcalloc(pool, 2 * sizeof(*v));
    v[0] = mh_pv_str(PR_SUBJECT, apr_psprintf(pool, "level %d", depth));
    v[1] = mh_pv_long(PR_MESSAGE_FLAGS, depth);
    m->props.n = 2;
    m->props.v = v;
    m->n_recipients = 1;
    m->recipients = apr_pcalloc(pool, sizeof(mh_proplist));
    mh_propval *r = apr_pcalloc(pool, 2 * sizeof(*r));
    r[0] = mh_pv_long(PR_ROWID, 0);
    r[1] = mh_pv_str(PR_DISPLAY_NAME, "Ada");
    m->recipients[0].n = 2;
    m->recipients[0].v = r;
    m->n_attachments = 1;
    m->attachments = apr_pcalloc(pool, sizeof(mh_attachment));
    m->attachments[0].num = (uint32_t)depth;
    mh_propval *a = apr_pcalloc(pool, sizeof(*a));
    a[0] = mh_pv_long(PR_ATTACH_METHOD, depth ? ATTACH_EMBEDDED_MSG : ATTACH_BY_VALUE);
    m->attachments[0].props.n = 1;
    m->attachments[0].props.v = a;
    if (depth > 0)
        m->attachments[0].embedded = tree(depth - 1);
    return m;
}

static int decode_message(const unsigned char *b, size_t n, mh_message **m)
{
    mh_rd rd;
    mh_rd_init(&rd, b, n);
    int r = mh_message_decode(&rd, pool, m);
    return r == 0 && !rd.err && mh_rd_left(&rd) == 0 ? 0 : -1;
}

static void test_message_tree(void)
{
    mh_message *m = tree(3);
    mh_wr w;
    mh_wr_init(&w, pool, 64);
    mh_message_encode(&w, m);
    mh_message *back;
    REQUIRE(decode_message(w.buf, w.len, &back) == 0);
    const mh_message *p = back;
    for (int d = 3; d >= 0; d--) {
        REQUIRE(p && p->props.n == 2 && p->n_recipients == 1 && p->n_attachments == 1);
        CHECK_STR(p->props.v[0].v.str, apr_psprintf(pool, "level %d", d));
        CHECK_STR(p->recipients[0].v[1].v.str, "Ada");
        CHECK_EQ_U(p->attachments[0].num, (unsigned)d);
        p = p->attachments[0].embedded;
    }
    CHECK(p == NULL);
    /* every cut short is an error, never a crash */
    for (size_t cut = 0; cut < w.len; cut++)
        CHECK(decode_message(w.buf, cut, &back) != 0);
    /* sizes: 8 + 4 + 4 + 4 bytes per level plus the strings */
    CHECK_EQ_U(mh_message_bytes(m), 4 * (8 + 4 + 4 + 4 + 4) + 4 * 0);
    mh_message *copy = mh_message_copy(pool, m);
    mh_wr w2;
    mh_wr_init(&w2, pool, 64);
    mh_message_encode(&w2, copy);
    CHECK_MEM(w2.buf, w2.len, w.buf, w.len);
}

static void test_malformed(void)
{
    size_t n;
    mh_propval v = mh_pv_str(PR_SUBJECT, "abc");
    const unsigned char *b = enc_value(&v, &n);
    unsigned char *x = apr_pmemdup(pool, b, n);
    mh_rd rd;
    mh_propval out;
    /* a NUL inside a string */
    x[n - 2] = 0;
    mh_rd_init(&rd, x, n);
    CHECK(mh_propval_decode(&rd, pool, &out) != 0);
    /* an unknown form */
    x = apr_pmemdup(pool, b, n);
    x[4] = 2;
    mh_rd_init(&rd, x, n);
    CHECK(mh_propval_decode(&rd, pool, &out) != 0);
    /* a boolean that is neither 0 nor 1 */
    const unsigned char bad_bool[] = {0x0B, 0x00, 0x1B, 0x0E, 0x00, 0x02};
    mh_rd_init(&rd, bad_bool, sizeof(bad_bool));
    CHECK(mh_propval_decode(&rd, pool, &out) != 0);
    /* a type never stored (PT_OBJECT, PT_STRING8) */
    const unsigned char obj[] = {0x0D, 0x00, 0x01, 0x37, 0x00};
    mh_rd_init(&rd, obj, sizeof(obj));
    CHECK(mh_propval_decode(&rd, pool, &out) != 0);
    const unsigned char s8[] = {0x1E, 0x00, 0x37, 0x00, 0x00, 0x01, 0, 0, 0, 'a'};
    mh_rd_init(&rd, s8, sizeof(s8));
    CHECK(mh_propval_decode(&rd, pool, &out) != 0);
    /* multi-valued types that do not exist (booleans, errors) */
    const unsigned char mvb[] = {0x0B, 0x10, 0x17, 0x2E, 0x00, 0x02, 0, 0, 0, 1, 0};
    mh_rd_init(&rd, mvb, sizeof(mvb));
    CHECK(mh_propval_decode(&rd, pool, &out) != 0);
    const unsigned char mve[] = {0x0A, 0x10, 0x17, 0x2E, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0};
    mh_rd_init(&rd, mve, sizeof(mve));
    CHECK(mh_propval_decode(&rd, pool, &out) != 0);
    /* a count larger than the bytes could hold */
    const unsigned char many[] = {0x03, 0x10, 0x01, 0x80, 0x00, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2};
    mh_rd_init(&rd, many, sizeof(many));
    CHECK(mh_propval_decode(&rd, pool, &out) != 0);
    const unsigned char list[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x03, 0x00};
    mh_proplist l;
    mh_rd_init(&rd, list, sizeof(list));
    CHECK(mh_proplist_decode(&rd, pool, &l) != 0);
    /* an attachment's embedded flag that is neither 0 nor 1 */
    mh_message *m = tree(0);
    mh_wr w;
    mh_wr_init(&w, pool, 64);
    mh_message_encode(&w, m);
    unsigned char *y = apr_pmemdup(pool, w.buf, w.len);
    y[w.len - 1] = 2; /* the last byte is the embedded flag of the only attachment */
    mh_message *back;
    CHECK(decode_message(y, w.len, &back) != 0);
    /* nesting deeper than MH_MAX_EMBED_DEPTH */
    mh_wr_init(&w, pool, 64);
    mh_message_encode(&w, tree(MH_MAX_EMBED_DEPTH + 1));
    CHECK(decode_message(w.buf, w.len, &back) != 0);
    mh_wr_init(&w, pool, 64);
    mh_message_encode(&w, tree(MH_MAX_EMBED_DEPTH));
    CHECK(decode_message(w.buf, w.len, &back) == 0);
}

/* Decoding only some values of a list: each value alone (not by its id
 * with another type), a few together, a large reference, and damage in a
 * skipped value. */
static void test_decode_some(void)
{
    mh_proplist l = every_type();
    mh_propval big = {.tag = PR_BODY, .flags = MH_PV_LARGE};
    big.v.large.size = 100000;
    big.v.large.ref = 42;
    mh_proplist_set(pool, &l, &big);
    mh_wr w;
    mh_wr_init(&w, pool, 64);
    mh_proplist_encode(&w, &l);
    mh_rd rd;
    mh_proplist some;
    for (uint32_t i = 0; i < l.n; i++) {
        /* among other tags, and asked with another type (not kept) */
        mh_proptag want[3] = {MH_TAG(0x7FFF, PT_LONG), l.v[i].tag, PR_SUBJECT};
        mh_rd_init(&rd, w.buf, w.len);
        REQUIRE(mh_proplist_decode_tags(&rd, pool, want, 3, &some) == 0);
        CHECK(!rd.err && mh_rd_left(&rd) == 0);
        REQUIRE(some.n == 1);
        if (!mh_propval_equal(&some.v[0], &l.v[i]))
            printf("# value %u (tag 0x%08x) differs\n", i, l.v[i].tag);
        CHECK(mh_propval_equal(&some.v[0], &l.v[i]));
        mh_proptag other = MH_TAG(MH_TAG_ID(l.v[i].tag),
                                  MH_TAG_TYPE(l.v[i].tag) == PT_LONG ? PT_SHORT : PT_LONG);
        mh_rd_init(&rd, w.buf, w.len);
        REQUIRE(mh_proplist_decode_tags(&rd, pool, &other, 1, &some) == 0);
        CHECK(some.n == 0 && mh_rd_left(&rd) == 0);
    }
    mh_proptag three[3] = {PR_BODY, MH_TAG(0x801B, PT_MV_BINARY), MH_TAG(0x8001, PT_SHORT)};
    mh_rd_init(&rd, w.buf, w.len);
    REQUIRE(mh_proplist_decode_tags(&rd, pool, three, 3, &some) == 0);
    REQUIRE(some.n == 3);
    CHECK_EQ_U(some.v[0].tag, MH_TAG(0x8001, PT_SHORT)); /* in the list's order */
    CHECK_EQ_U(some.v[1].tag, MH_TAG(0x801B, PT_MV_BINARY));
    CHECK(some.v[2].flags == MH_PV_LARGE && some.v[2].v.large.ref == 42);
    mh_rd_init(&rd, w.buf, w.len);
    REQUIRE(mh_proplist_decode_tags(&rd, pool, NULL, 0, &some) == 0);
    CHECK(some.n == 0 && mh_rd_left(&rd) == 0);
    /* every cut short is an error, whichever values are kept */
    for (size_t cut = 0; cut < w.len; cut++) {
        mh_rd_init(&rd, w.buf, cut);
        CHECK(mh_proplist_decode_tags(&rd, pool, three, 1, &some) != 0);
    }
    /* damage in a value that is skipped is still an error */
    const unsigned char bad_bool[] = {1, 0, 0, 0, 0x0B, 0x00, 0x1B, 0x0E, 0x00, 0x02};
    const unsigned char bad_form[] = {1, 0, 0, 0, 0x03, 0x00, 0x01, 0x80, 0x07, 1, 0, 0, 0};
    const unsigned char s8[] = {1, 0, 0, 0, 0x1E, 0x00, 0x37, 0x00, 0x00, 0x01, 0, 0, 0, 'a'};
    const unsigned char many[] = {1, 0, 0, 0, 0x03, 0x10, 0x01, 0x80, 0x00,
                                  0xFF, 0xFF, 0xFF, 0x7F, 1, 2};
    /* a binary value longer than what is left (the skipper's fast path) */
    const unsigned char long_bin[] = {1, 0, 0, 0, 0x02, 0x01, 0x01, 0x80, 0x00,
                                      0xFF, 0xFF, 0x00, 0x00, 'x'};
    const unsigned char *bad[] = {bad_bool, bad_form, s8, many, long_bin};
    size_t bad_len[] = {sizeof(bad_bool), sizeof(bad_form), sizeof(s8), sizeof(many),
                        sizeof(long_bin)};
    for (int i = 0; i < 5; i++) {
        mh_rd_init(&rd, bad[i], bad_len[i]);
        CHECK(mh_proplist_decode_tags(&rd, pool, three, 1, &some) != 0);
    }
}

/* The index before a message (mh_message_encode_indexed): the layout,
 * picking values through it as a linear reader would find them, a tag
 * that occurs twice, and every kind of damage answered with an error or a
 * missing value, never a read out of bounds. */
static void test_message_index(void)
{
    mh_message *m = tree(1);
    /* the tree's values, every type, and PR_IMPORTANCE first and again
     * last (mh_proplist_set would have replaced it): the index names the
     * first */
    mh_proplist l = every_type();
    uint32_t n = 0;
    mh_propval *v = apr_palloc(pool, (m->props.n + l.n + 2) * sizeof(*v));
    v[n++] = mh_pv_long(PR_IMPORTANCE, 2);
    for (uint32_t i = 0; i < m->props.n; i++)
        v[n++] = m->props.v[i];
    for (uint32_t i = 0; i < l.n; i++)
        v[n++] = l.v[i];
    v[n++] = mh_pv_long(PR_IMPORTANCE, 7);
    m->props.n = n;
    m->props.v = v;

    mh_wr w;
    mh_wr_init(&w, pool, 64);
    mh_message_encode_indexed(&w, m);
    mh_rd rd;
    mh_rd_init(&rd, w.buf, w.len);
    mh_msgindex ix;
    REQUIRE(mh_msgindex_read(&rd, &ix) == 0);
    /* one entry per distinct tag, ascending; then the plain encoding */
    CHECK_EQ_U(ix.n, m->props.n - 1);
    for (uint32_t i = 1; i < ix.n; i++)
        CHECK(mh_get_u32(ix.tags + 4 * (i - 1)) < mh_get_u32(ix.tags + 4 * i));
    mh_wr plain;
    mh_wr_init(&plain, pool, 64);
    mh_message_encode(&plain, m);
    CHECK_MEM(rd.p, mh_rd_left(&rd), plain.buf, plain.len);
    const unsigned char *msg = rd.p;
    size_t len = mh_rd_left(&rd);
    mh_message *back;
    REQUIRE(mh_message_decode(&rd, pool, &back) == 0 && mh_rd_left(&rd) == 0);

    /* each value alone, asked among absent tags and with another type */
    mh_proplist some;
    for (uint32_t i = 0; i < m->props.n; i++) {
        const mh_propval *first = mh_proplist_find(&back->props, m->props.v[i].tag);
        mh_proptag want[4] = {PR_SUBJECT_PREFIX, m->props.v[i].tag, MH_TAG(0x7FFF, PT_LONG),
                              m->props.v[i].tag};
        REQUIRE(mh_message_decode_tags_indexed(&ix, msg, len, pool, want, 4, &some) == 0);
        REQUIRE(some.n == 1);
        CHECK(mh_propval_equal(&some.v[0], first));
        mh_proptag other = MH_TAG(MH_TAG_ID(m->props.v[i].tag),
                                  MH_TAG_TYPE(m->props.v[i].tag) == PT_LONG ? PT_SHORT : PT_LONG);
        REQUIRE(mh_message_decode_tags_indexed(&ix, msg, len, pool, &other, 1, &some) == 0);
        CHECK(some.n == 0);
    }
    /* the tag present twice gives its first value, as a linear reader */
    REQUIRE(mh_message_decode_tags_indexed(&ix, msg, len, pool, &(mh_proptag){PR_IMPORTANCE},
                                           1, &some) == 0);
    REQUIRE(some.n == 1);
    CHECK_EQ_U(some.v[0].v.i32, 2);
    /* all of them at once, in ascending tag order; none asked: none */
    mh_proptag *all = apr_palloc(pool, m->props.n * sizeof(*all));
    for (uint32_t i = 0; i < m->props.n; i++)
        all[i] = m->props.v[m->props.n - 1 - i].tag;
    REQUIRE(mh_message_decode_tags_indexed(&ix, msg, len, pool, all, m->props.n, &some) == 0);
    CHECK_EQ_U(some.n, ix.n);
    for (uint32_t i = 1; i < some.n; i++)
        CHECK(some.v[i - 1].tag < some.v[i].tag);
    REQUIRE(mh_message_decode_tags_indexed(&ix, msg, len, pool, NULL, 0, &some) == 0);
    CHECK(some.n == 0);

    /* an index cut short */
    for (size_t cut = 0; cut < 4 + 8 * (size_t)ix.n; cut++) {
        mh_rd_init(&rd, w.buf, cut);
        CHECK(mh_msgindex_read(&rd, &ix) != 0);
    }
    /* an offset past the end, or at another value, or a message cut short:
     * an error whenever the value is picked */
    mh_rd_init(&rd, w.buf, w.len);
    REQUIRE(mh_msgindex_read(&rd, &ix) == 0);
    unsigned char *offs = (unsigned char *)ix.offs;
    uint32_t saved = mh_get_u32(offs);
    mh_proptag t0 = mh_get_u32(ix.tags);
    mh_put_u32(offs, (uint32_t)len + 1);
    CHECK(mh_message_decode_tags_indexed(&ix, msg, len, pool, &t0, 1, &some) != 0);
    mh_put_u32(offs, mh_get_u32(offs + 4));
    CHECK(mh_message_decode_tags_indexed(&ix, msg, len, pool, &t0, 1, &some) != 0);
    mh_put_u32(offs, 0xFFFFFFFFu);
    CHECK(mh_message_decode_tags_indexed(&ix, msg, len, pool, &t0, 1, &some) != 0);
    mh_put_u32(offs, saved);
    REQUIRE(mh_message_decode_tags_indexed(&ix, msg, len, pool, &t0, 1, &some) == 0);
    CHECK(some.n == 1);
    mh_wr pl;
    mh_wr_init(&pl, pool, 64);
    mh_proplist_encode(&pl, &m->props); /* where the message's own values end */
    /* (but the second PR_IMPORTANCE's 9 bytes, which the index skips) */
    for (size_t cut = 0; cut < pl.len - 9; cut++) {
        int rc = mh_message_decode_tags_indexed(&ix, msg, cut, pool, all, m->props.n, &some);
        CHECK(rc != 0 || some.n < ix.n);
    }
    /* tags out of order: a value may be missed, nothing else */
    unsigned char *tg = (unsigned char *)ix.tags;
    uint32_t a = mh_get_u32(tg), b = mh_get_u32(tg + 4 * (ix.n - 1));
    mh_put_u32(tg, b);
    mh_put_u32(tg + 4 * (ix.n - 1), a);
    int rc = mh_message_decode_tags_indexed(&ix, msg, len, pool, all, m->props.n, &some);
    CHECK(rc != 0 || some.n < ix.n);
}

static void test_list_edits_and_sizes(void)
{
    mh_proplist l = {0, NULL};
    mh_propval a = mh_pv_long(PR_IMPORTANCE, 1), b = mh_pv_str(PR_SUBJECT, "x");
    mh_proplist_set(pool, &l, &a);
    mh_proplist_set(pool, &l, &b);
    a.v.i32 = 2;
    mh_proplist_set(pool, &l, &a);
    CHECK_EQ_U(l.n, 2);
    CHECK_EQ_U(mh_proplist_find(&l, PR_IMPORTANCE)->v.i32, 2);
    mh_proplist_remove(&l, PR_IMPORTANCE);
    CHECK_EQ_U(l.n, 1);
    CHECK(mh_proplist_find(&l, PR_IMPORTANCE) == NULL);
    mh_proplist_remove(&l, PR_IMPORTANCE);
    CHECK_EQ_U(l.n, 1);
    CHECK_EQ_U(mh_propval_bytes(&b), 2);
    mh_propval big = {0};
    big.tag = PR_HTML;
    big.flags = MH_PV_LARGE;
    big.v.large.size = 1 << 20;
    CHECK_EQ_U(mh_propval_bytes(&big), 1 << 20);
}

static void test_filetime(void)
{
    /* 1970-01-01 is 116444736000000000 in 100 ns units since 1601 */
    CHECK_EQ_U(mh_filetime_from_apr(0), 116444736000000000ull);
    CHECK_EQ_U(mh_filetime_from_apr(apr_time_from_sec(1)), 116444736010000000ull);
    CHECK_EQ_U(mh_apr_from_filetime(116444736000000000ull + 10), 1);
    apr_time_t t = apr_time_now();
    CHECK_EQ_U(mh_apr_from_filetime(mh_filetime_from_apr(t)), t);
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    RUN(test_layout);
    RUN(test_every_type_round_trip);
    RUN(test_message_tree);
    RUN(test_malformed);
    RUN(test_decode_some);
    RUN(test_message_index);
    RUN(test_list_edits_and_sizes);
    RUN(test_filetime);
    apr_pool_destroy(pool);
    return MH_TEST_DONE();
}
