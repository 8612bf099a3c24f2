/*
 * Unit tests: mh_nspi_wire (MS-OXCMAPIHTTP 2.2.5 address book bodies and
 * the 2.2.1 structures).
 *
 * The expected bytes are assembled here field by field from the spec's
 * tables (2.2.5.x.1/.2 and 2.2.1.x) with the plain little-endian writer,
 * not with the code under test.  For every body and every combination of
 * its optional fields: the builder writes exactly those bytes, the parser
 * reads them back to the same values, every truncation and one trailing
 * byte are malformed.
 */
#include "mh_mapierr.h"
#include "mh_nspi_wire.h"
#include "mh_test.h"

static apr_pool_t *pool;

/* ------------------------------------------------------- sample data */

#define TAG_DISPLAY_NAME 0x3001001Fu
#define TAG_DISPLAY_NAME_A 0x3001001Eu
#define TAG_DISPLAY_TYPE 0x39000003u
#define TAG_ENTRYID 0x0FFF0102u
#define TAG_EMAIL 0x3003001Fu
#define TAG_PROXY 0x800F101Fu
#define TAG_RICH 0x3A40000Bu
#define TAG_CONTAINER_FLAGS 0x36000003u
#define TAG_DEPTH 0x30050003u

static const mh_stat ST = {1, 2, 3, -4, 5, 6, 1252, 0x407, 0x409};
static const uint32_t MIDS[] = {0x10, 0x11, 0x12345678};
static const mh_proptag TAGS[] = {TAG_DISPLAY_NAME, TAG_DISPLAY_TYPE, TAG_ENTRYID};
static const unsigned char AUXB[] = {0xde, 0xad, 0xbe, 0xef, 0x01};

static mh_aux_in sample_aux(void)
{
    mh_aux_in a = {AUXB, sizeof AUXB};
    return a;
}

static mh_nspi_mids sample_mids(void)
{
    mh_nspi_mids m = {3, (uint32_t *)MIDS};
    return m;
}

static mh_nspi_tags sample_tags(void)
{
    mh_nspi_tags t = {3, (mh_proptag *)TAGS};
    return t;
}

/* ------------------------------------------- assembling expected bytes */

static void A_u8(mh_wr *w, uint8_t v) { mh_wr_u8(w, v); }
static void A_u16(mh_wr *w, uint16_t v) { mh_wr_u16(w, v); }
static void A_u32(mh_wr *w, uint32_t v) { mh_wr_u32(w, v); }
static void A_has(mh_wr *w, int has) { mh_wr_u8(w, has ? 0xFF : 0x00); }

static void A_hex(mh_wr *w, const char *hex)
{
    unsigned char b[512];
    size_t n = mh_test_unhex(hex, b, sizeof b);
    mh_wr_bytes(w, b, n);
}

/* STAT (MS-OXNSPI 2.2.8) in its field order */
static void A_stat(mh_wr *w)
{
    A_u32(w, ST.sort_type);
    A_u32(w, ST.container_id);
    A_u32(w, ST.current_rec);
    A_u32(w, (uint32_t)ST.delta);
    A_u32(w, ST.num_pos);
    A_u32(w, ST.total_recs);
    A_u32(w, ST.code_page);
    A_u32(w, ST.template_locale);
    A_u32(w, ST.sort_locale);
}

static void A_u32s(mh_wr *w, const uint32_t *v, uint32_t n)
{
    A_u32(w, n);
    for (uint32_t i = 0; i < n; i++)
        A_u32(w, v[i]);
}

static void A_mids(mh_wr *w) { A_u32s(w, MIDS, 3); }
static void A_tags(mh_wr *w) { A_u32s(w, TAGS, 3); }

static void A_aux(mh_wr *w)
{
    A_u32(w, sizeof AUXB);
    mh_wr_bytes(w, AUXB, sizeof AUXB);
}

/* an ASCII string as UTF-16LE with its NUL */
static void A_w16(mh_wr *w, const char *ascii)
{
    for (const char *p = ascii; *p; p++)
        A_u16(w, (uint16_t)(unsigned char)*p);
    A_u16(w, 0);
}

static void check_stat(const mh_stat *s)
{
    CHECK(memcmp(s, &ST, sizeof ST) == 0);
}

static void check_mids(const mh_nspi_mids *m)
{
    CHECK_EQ_U(m->n, 3);
    if (m->n == 3)
        CHECK(memcmp(m->ids, MIDS, sizeof MIDS) == 0);
}

static void check_tags(const mh_nspi_tags *t)
{
    CHECK_EQ_U(t->n, 3);
    if (t->n == 3)
        CHECK(memcmp(t->tags, TAGS, sizeof TAGS) == 0);
}

static void check_aux(const mh_aux_in *a)
{
    CHECK_MEM(a->data, a->len, AUXB, sizeof AUXB);
}

/* ------------------------------------------------ value list sample */

/* An AddressBookPropertyValueList in code page 1252 (2.2.1.3, 2.2.1.2,
 * 2.2.1.1): an 8-bit string, a long, an error, a multi-valued string with
 * a null element, an absent binary, a boolean. */
static mh_proplist sample_list(void)
{
    static const char *proxies[] = {"SMTP:a@b", NULL};
    mh_proplist l;
    l.n = 6;
    l.v = apr_pcalloc(pool, 6 * sizeof *l.v);
    l.v[0].tag = TAG_DISPLAY_NAME_A; /* sent as PtypString8 */
    l.v[0].v.str = "Zo\xc3\xab";
    l.v[1].tag = TAG_DISPLAY_TYPE;
    l.v[1].v.i32 = 0;
    l.v[2].tag = MH_TAG(0x3003, PT_ERROR);
    l.v[2].v.err = MAPI_E_NOT_FOUND;
    l.v[3].tag = TAG_PROXY;
    l.v[3].v.mv.n = 2;
    l.v[3].v.mv.v = proxies;
    l.v[4].tag = TAG_ENTRYID; /* bin.data NULL: HasValue FALSE */
    l.v[5].tag = TAG_RICH;
    l.v[5].v.b = 1;
    return l;
}

static void A_list(mh_wr *w)
{
    A_u32(w, 6);
    A_u32(w, TAG_DISPLAY_NAME_A); A_hex(w, "ff 5a 6f eb 00");       /* "Zoë" in 1252 */
    A_u32(w, TAG_DISPLAY_TYPE); A_u32(w, 0);
    A_u32(w, 0x3003000A); A_u32(w, MAPI_E_NOT_FOUND);
    A_u32(w, TAG_PROXY); A_hex(w, "ff 02 00 00 00 ff");               /* HasValue, count, element 0 */
    A_w16(w, "SMTP:a@b"); A_u8(w, 0x00);                               /* element 1: null */
    A_u32(w, TAG_ENTRYID); A_u8(w, 0x00);                              /* HasValue FALSE */
    A_u32(w, TAG_RICH); A_u8(w, 0x01);
}

static void check_list(const mh_proplist *l)
{
    REQUIRE(l->n == 6);
    CHECK_EQ_U(l->v[0].tag, TAG_DISPLAY_NAME); /* memory type: Unicode */
    CHECK_STR(l->v[0].v.str, "Zo\xc3\xab");
    CHECK_EQ_U(l->v[1].tag, TAG_DISPLAY_TYPE);
    CHECK_EQ_U(l->v[1].v.i32, 0);
    CHECK_EQ_U(l->v[2].tag, 0x3003000A);
    CHECK_EQ_U(l->v[2].v.err, MAPI_E_NOT_FOUND);
    CHECK_EQ_U(l->v[3].tag, TAG_PROXY);
    REQUIRE(l->v[3].v.mv.n == 2);
    CHECK_STR(((const char *const *)l->v[3].v.mv.v)[0], "SMTP:a@b");
    CHECK(((const char *const *)l->v[3].v.mv.v)[1] == NULL);
    CHECK_EQ_U(l->v[4].tag, TAG_ENTRYID);
    CHECK(l->v[4].v.bin.data == NULL);
    CHECK_EQ_U(l->v[5].tag, TAG_RICH);
    CHECK_EQ_U(l->v[5].v.b, 1);
}

/* ---------------------------------------------------- rowset sample */

static mh_propval pv_str(mh_proptag tag, const char *s)
{
    mh_propval v;
    memset(&v, 0, sizeof v);
    v.tag = tag;
    v.v.str = s;
    return v;
}

static mh_propval pv_long(mh_proptag tag, int32_t i)
{
    mh_propval v;
    memset(&v, 0, sizeof v);
    v.tag = tag;
    v.v.i32 = i;
    return v;
}

static mh_propval pv_bin(mh_proptag tag, const void *d, uint32_t n)
{
    mh_propval v;
    memset(&v, 0, sizeof v);
    v.tag = tag;
    v.v.bin.len = n;
    v.v.bin.data = d;
    return v;
}

static mh_propval pv_err(mh_proptag tag, uint32_t err)
{
    mh_propval v;
    memset(&v, 0, sizeof v);
    v.tag = MH_TAG(MH_TAG_ID(tag), PT_ERROR);
    v.v.err = err;
    return v;
}

/* Two rows over (DisplayName, DisplayType, EntryId): one with every
 * value (Flags 0x0), one without a display name (Flags 0x1). */
static mh_nspi_rowset sample_rowset(void)
{
    static const unsigned char e1[] = {1, 2, 3}, e2[] = {4, 5, 6};
    mh_propval *v = apr_pcalloc(pool, 5 * sizeof *v);
    v[0] = pv_str(TAG_DISPLAY_NAME, "Ada");
    v[1] = pv_long(TAG_DISPLAY_TYPE, 0);
    v[2] = pv_bin(TAG_ENTRYID, e1, 3);
    v[3] = pv_long(TAG_DISPLAY_TYPE, 6);
    v[4] = pv_bin(TAG_ENTRYID, e2, 3);
    const mh_propval **r1 = apr_pcalloc(pool, 3 * sizeof *r1);
    const mh_propval **r2 = apr_pcalloc(pool, 3 * sizeof *r2);
    r1[0] = &v[0], r1[1] = &v[1], r1[2] = &v[2];
    r2[0] = NULL, r2[1] = &v[3], r2[2] = &v[4];
    mh_nspi_rowset rs;
    rs.cols = sample_tags();
    rs.n_rows = 2;
    rs.rows = apr_pcalloc(pool, 2 * sizeof *rs.rows);
    rs.rows[0].vals = r1;
    rs.rows[1].vals = r2;
    return rs;
}

static void A_rowset(mh_wr *w)
{
    A_tags(w);
    A_u32(w, 2);
    /* row 1: Flags 0x0, AddressBookPropertyValues */
    A_u8(w, 0x00);
    A_u8(w, 0xFF); A_w16(w, "Ada");
    A_u32(w, 0);
    A_hex(w, "ff 03 00 00 00 01 02 03");
    /* row 2: Flags 0x1, AddressBookFlaggedPropertyValues */
    A_u8(w, 0x01);
    A_u8(w, 0x0A); A_u32(w, MAPI_E_NOT_FOUND);
    A_u8(w, 0x00); A_u32(w, 6);
    A_hex(w, "00 ff 03 00 00 00 04 05 06");
}

static void check_rowset(const mh_nspi_rowset *rs)
{
    check_tags(&rs->cols);
    REQUIRE(rs->n_rows == 2);
    const mh_propval *const *r1 = rs->rows[0].vals, *const *r2 = rs->rows[1].vals;
    REQUIRE(r1[0] && r1[1] && r1[2] && r2[0] && r2[1] && r2[2]);
    CHECK_EQ_U(r1[0]->tag, TAG_DISPLAY_NAME);
    CHECK_STR(r1[0]->v.str, "Ada");
    CHECK_EQ_U(r1[1]->v.i32, 0);
    CHECK_MEM(r1[2]->v.bin.data, r1[2]->v.bin.len, "\1\2\3", 3);
    CHECK_EQ_U(r2[0]->tag, 0x3001000A); /* the error, with the column's id */
    CHECK_EQ_U(r2[0]->v.err, MAPI_E_NOT_FOUND);
    CHECK_EQ_U(r2[1]->tag, TAG_DISPLAY_TYPE);
    CHECK_EQ_U(r2[1]->v.i32, 6);
    CHECK_MEM(r2[2]->v.bin.data, r2[2]->v.bin.len, "\4\5\6", 3);
}

/* ------------------------------------------- restriction and lists */

/* AND(Content(DisplayName, prefix|ignorecase, "ad"), Exist(Email)) */
static mh_restriction *sample_filter(void)
{
    mh_restriction *r = apr_pcalloc(pool, sizeof *r);
    mh_restriction *sub = apr_pcalloc(pool, 2 * sizeof *sub);
    r->type = MH_RES_AND;
    r->u.andor.n = 2;
    r->u.andor.sub = sub;
    sub[0].type = MH_RES_CONTENT;
    sub[0].u.content.fuzzy = MH_FL_PREFIX | MH_FL_IGNORECASE;
    sub[0].u.content.tag = TAG_DISPLAY_NAME;
    sub[0].u.content.val = pv_str(TAG_DISPLAY_NAME, "ad");
    sub[1].type = MH_RES_EXIST;
    sub[1].u.exist.tag = TAG_EMAIL;
    return r;
}

/* MS-OXCDATA 2.12 with the address book's 4-byte RestrictCount */
static void A_filter(mh_wr *w)
{
    A_u8(w, MH_RES_AND); A_u32(w, 2);
    A_u8(w, MH_RES_CONTENT); A_u32(w, 0x00010002); A_u32(w, TAG_DISPLAY_NAME);
    A_u32(w, TAG_DISPLAY_NAME); A_w16(w, "ad");
    A_u8(w, MH_RES_EXIST); A_u32(w, TAG_EMAIL);
}

static void check_filter(const mh_restriction *r)
{
    REQUIRE(r != NULL);
    REQUIRE(r->type == MH_RES_AND && r->u.andor.n == 2);
    const mh_restriction *c = &r->u.andor.sub[0];
    CHECK_EQ_U(c->type, MH_RES_CONTENT);
    CHECK_EQ_U(c->u.content.fuzzy, MH_FL_PREFIX | MH_FL_IGNORECASE);
    CHECK_EQ_U(c->u.content.tag, TAG_DISPLAY_NAME);
    CHECK_STR(c->u.content.val.v.str, "ad");
    CHECK_EQ_U(r->u.andor.sub[1].type, MH_RES_EXIST);
    CHECK_EQ_U(r->u.andor.sub[1].u.exist.tag, TAG_EMAIL);
}

static mh_nspi_lists sample_lists(void)
{
    mh_nspi_lists l;
    l.n = 2;
    l.lists = apr_pcalloc(pool, 2 * sizeof *l.lists);
    l.lists[0].n = 2;
    l.lists[0].v = apr_pcalloc(pool, 2 * sizeof(mh_propval));
    l.lists[0].v[0] = pv_str(TAG_DISPLAY_NAME, "GAL");
    l.lists[0].v[1] = pv_long(TAG_CONTAINER_FLAGS, 5);
    l.lists[1].n = 1;
    l.lists[1].v = apr_pcalloc(pool, sizeof(mh_propval));
    l.lists[1].v[0] = pv_long(TAG_DEPTH, 1);
    return l;
}

static void A_lists(mh_wr *w)
{
    A_u32(w, 2);
    A_u32(w, 2);
    A_u32(w, TAG_DISPLAY_NAME); A_u8(w, 0xFF); A_w16(w, "GAL");
    A_u32(w, TAG_CONTAINER_FLAGS); A_u32(w, 5);
    A_u32(w, 1);
    A_u32(w, TAG_DEPTH); A_u32(w, 1);
}

static void check_lists(const mh_nspi_lists *l)
{
    REQUIRE(l->n == 2 && l->lists[0].n == 2 && l->lists[1].n == 1);
    CHECK_STR(l->lists[0].v[0].v.str, "GAL");
    CHECK_EQ_U(l->lists[0].v[1].tag, TAG_CONTAINER_FLAGS);
    CHECK_EQ_U(l->lists[0].v[1].v.i32, 5);
    CHECK_EQ_U(l->lists[1].v[0].tag, TAG_DEPTH);
    CHECK_EQ_U(l->lists[1].v[0].v.i32, 1);
}

/* ------------------------------------------------------- the checks */

static const char *hexs(const unsigned char *p, size_t n)
{
    char *s = apr_palloc(pool, n * 3 + 1);
    for (size_t i = 0; i < n; i++)
        sprintf(s + i * 3, "%02x ", p[i]);
    s[n * 3] = 0;
    return s;
}

/* No proper prefix and no extension of a good body parses. */
static void strict_req(mh_reqtype rt, const unsigned char *b, size_t len, int empty_ok)
{
    mh_nspi_req r;
    const char *why;
    int bad = 0;
    for (size_t cut = 0; cut < len; cut++) {
        mh_body_status st = mh_nspi_parse_req(rt, b, cut, pool, &r, &why);
        mh_body_status want = cut == 0 && empty_ok ? MH_BODY_OK : MH_BODY_MALFORMED;
        if (st != want && !bad++)
            printf("# %s request cut at %zu: status %d\n", mh_reqtype_name(rt), cut, (int)st);
    }
    CHECK(bad == 0);
    unsigned char *longer = apr_palloc(pool, len + 1);
    memcpy(longer, b, len);
    longer[len] = 0;
    CHECK(mh_nspi_parse_req(rt, longer, len + 1, pool, &r, &why) == MH_BODY_MALFORMED);
}

static void strict_resp(mh_reqtype rt, const unsigned char *b, size_t len)
{
    mh_nspi_resp r;
    const char *why;
    int bad = 0;
    for (size_t cut = 0; cut < len; cut++)
        if (mh_nspi_parse_resp(rt, b, cut, pool, &r, &why) != MH_BODY_MALFORMED && !bad++)
            printf("# %s response cut at %zu parses\n", mh_reqtype_name(rt), cut);
    CHECK(bad == 0);
    unsigned char *longer = apr_palloc(pool, len + 1);
    memcpy(longer, b, len);
    longer[len] = 0;
    CHECK(mh_nspi_parse_resp(rt, longer, len + 1, pool, &r, &why) == MH_BODY_MALFORMED);
}

/*
 * The builder writes `want` for req; `want` parses (the result is
 * returned for the caller's field checks); it is strict; and when
 * `reencode` the parsed request builds the same bytes again.
 */
static mh_nspi_req *req_trip(mh_reqtype rt, const mh_nspi_req *req, const mh_wr *want,
                             int reencode)
{
    mh_wr w;
    mh_wr_init(&w, pool, 64);
    mh_nspi_build_req(rt, &w, req);
    CHECK_MEM(w.buf, w.len, want->buf, want->len);
    mh_nspi_req *out = apr_palloc(pool, sizeof *out);
    memset(out, 0xAB, sizeof *out); /* what a stack holds */
    const char *why = NULL;
    mh_body_status st = mh_nspi_parse_req(rt, want->buf, want->len, pool, out, &why);
    if (st != MH_BODY_OK)
        printf("# %s: %s\n#   body: %s\n", mh_reqtype_name(rt), why,
               hexs(want->buf, want->len));
    CHECK(st == MH_BODY_OK);
    strict_req(rt, want->buf, want->len, rt == MH_RT_UNBIND);
    if (reencode && st == MH_BODY_OK) {
        mh_wr_init(&w, pool, 64);
        mh_nspi_build_req(rt, &w, out);
        CHECK_MEM(w.buf, w.len, want->buf, want->len);
    }
    return out;
}

static mh_nspi_resp *resp_trip(mh_reqtype rt, const mh_nspi_resp *resp, const mh_wr *want,
                               int reencode)
{
    mh_wr w;
    mh_wr_init(&w, pool, 64);
    mh_nspi_build_resp(rt, &w, resp);
    CHECK_MEM(w.buf, w.len, want->buf, want->len);
    mh_nspi_resp *out = apr_palloc(pool, sizeof *out);
    memset(out, 0xAB, sizeof *out);
    const char *why = NULL;
    mh_body_status st = mh_nspi_parse_resp(rt, want->buf, want->len, pool, out, &why);
    if (st != MH_BODY_OK)
        printf("# %s: %s\n#   body: %s\n", mh_reqtype_name(rt), why,
               hexs(want->buf, want->len));
    CHECK(st == MH_BODY_OK);
    strict_resp(rt, want->buf, want->len);
    if (reencode && st == MH_BODY_OK) {
        mh_wr_init(&w, pool, 64);
        mh_nspi_build_resp(rt, &w, out);
        CHECK_MEM(w.buf, w.len, want->buf, want->len);
    }
    return out;
}

/* StatusCode and ErrorCode of a success body */
static void A_ok(mh_wr *w, uint32_t ec)
{
    A_u32(w, 0);
    A_u32(w, ec);
}

/* A failure body (2.2.5.x.3) of any type: StatusCode, aux; read back. */
static void failure_trip(mh_reqtype rt)
{
    mh_nspi_resp r;
    memset(&r, 0, sizeof r);
    /* status_code and error_code lead every response structure */
    r.bind.status_code = MH_RPC_X_BAD_STUB_DATA;
    r.bind.error_code = 0x12345678; /* not written in a failure body */
    mh_wr want;
    mh_wr_init(&want, pool, 16);
    A_u32(&want, MH_RPC_X_BAD_STUB_DATA);
    A_u32(&want, 0);
    mh_nspi_resp *out = resp_trip(rt, &r, &want, 1);
    CHECK_EQ_U(out->bind.status_code, MH_RPC_X_BAD_STUB_DATA);
}

#define BIT(m, i) (((m) >> (i)) & 1)

/* ============================================================ bodies */

static void test_bind(void)
{
    for (int m = 0; m < 2; m++) {
        mh_nspi_req r;
        memset(&r, 0, sizeof r);
        r.bind.flags = MH_NSPI_FANONYMOUSLOGIN;
        r.bind.has_state = m;
        r.bind.state = ST;
        r.bind.aux = sample_aux();
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_u32(&w, 0x20);
        A_has(&w, m);
        if (m)
            A_stat(&w);
        A_aux(&w);
        mh_nspi_req *o = req_trip(MH_RT_BIND, &r, &w, 1);
        CHECK_EQ_U(o->bind.flags, 0x20);
        CHECK_EQ_U(o->bind.has_state, m);
        if (m)
            check_stat(&o->bind.state);
        else
            CHECK_EQ_U(o->bind.state.code_page, 0); /* nothing left over */
        check_aux(&o->bind.aux);
    }
    mh_nspi_resp r;
    memset(&r, 0, sizeof r);
    for (int i = 0; i < 16; i++)
        r.bind.server_guid.b[i] = (uint8_t)(0xA0 + i);
    r.bind.aux = sample_aux();
    mh_wr w;
    mh_wr_init(&w, pool, 64);
    A_ok(&w, 0);
    A_hex(&w, "a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab ac ad ae af");
    A_aux(&w);
    mh_nspi_resp *o = resp_trip(MH_RT_BIND, &r, &w, 1);
    CHECK(memcmp(o->bind.server_guid.b, r.bind.server_guid.b, 16) == 0);
    failure_trip(MH_RT_BIND);

    /* the typed functions are the same code */
    mh_nspi_bind_req br;
    const char *why;
    unsigned char body[] = {0, 0, 0, 0, 0xFF};
    mh_wr_init(&w, pool, 64);
    mh_wr_bytes(&w, body, sizeof body);
    A_stat(&w);
    A_u32(&w, 0);
    REQUIRE(mh_nspi_parse_bind_req(w.buf, w.len, pool, &br, &why) == MH_BODY_OK);
    CHECK(br.has_state);
    check_stat(&br.state);
}

static void test_unbind(void)
{
    mh_nspi_req r;
    memset(&r, 0, sizeof r);
    r.unbind.aux = sample_aux();
    mh_wr w;
    mh_wr_init(&w, pool, 16);
    A_u32(&w, 0);
    A_aux(&w);
    mh_nspi_req *o = req_trip(MH_RT_UNBIND, &r, &w, 1);
    check_aux(&o->unbind.aux);
    /* no body at all (3.1.5.4) */
    const char *why;
    CHECK(mh_nspi_parse_req(MH_RT_UNBIND, NULL, 0, pool, o, &why) == MH_BODY_OK);
    CHECK_EQ_U(o->unbind.aux.len, 0);

    mh_nspi_resp s;
    memset(&s, 0, sizeof s);
    s.unbind.error_code = MH_NSPI_UNBIND_SUCCESS;
    mh_wr_init(&w, pool, 16);
    A_ok(&w, 1);
    A_u32(&w, 0);
    mh_nspi_resp *os = resp_trip(MH_RT_UNBIND, &s, &w, 1);
    CHECK_EQ_U(os->unbind.error_code, 1);
    failure_trip(MH_RT_UNBIND);
}

static void test_comparemids(void)
{
    for (int m = 0; m < 2; m++) {
        mh_nspi_req r;
        memset(&r, 0, sizeof r);
        r.comparemids.has_state = m;
        r.comparemids.state = ST;
        r.comparemids.mid1 = 0x1111;
        r.comparemids.mid2 = 0x2222;
        r.comparemids.aux = sample_aux();
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_u32(&w, 0);
        A_has(&w, m);
        if (m)
            A_stat(&w);
        A_u32(&w, 0x1111);
        A_u32(&w, 0x2222);
        A_aux(&w);
        mh_nspi_req *o = req_trip(MH_RT_COMPAREMIDS, &r, &w, 1);
        CHECK_EQ_U(o->comparemids.mid1, 0x1111);
        CHECK_EQ_U(o->comparemids.mid2, 0x2222);
    }
    mh_nspi_resp s;
    memset(&s, 0, sizeof s);
    s.comparemids.result = -1;
    mh_wr w;
    mh_wr_init(&w, pool, 16);
    A_ok(&w, 0); /* ErrorCode before Result */
    A_u32(&w, 0xFFFFFFFF);
    A_u32(&w, 0);
    mh_nspi_resp *o = resp_trip(MH_RT_COMPAREMIDS, &s, &w, 1);
    CHECK(o->comparemids.result == -1);
    failure_trip(MH_RT_COMPAREMIDS);
}

static void test_dntomid(void)
{
    static const char *dns[] = {"/o=Org/ou=Exchange/cn=Recipients/cn=ada", ""};
    for (int m = 0; m < 2; m++) {
        mh_nspi_req r;
        memset(&r, 0, sizeof r);
        r.dntomid.has_names = m;
        r.dntomid.names.n = 2;
        r.dntomid.names.s = dns;
        r.dntomid.aux = sample_aux();
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_u32(&w, 0);
        A_has(&w, m);
        if (m) {
            A_u32(&w, 2); /* StringArray_r: ASCIIZ strings */
            mh_wr_bytes(&w, dns[0], strlen(dns[0]) + 1);
            A_u8(&w, 0);
        }
        A_aux(&w);
        mh_nspi_req *o = req_trip(MH_RT_DNTOMID, &r, &w, 1);
        CHECK_EQ_U(o->dntomid.has_names, m);
        if (m) {
            REQUIRE(o->dntomid.names.n == 2);
            CHECK_STR(o->dntomid.names.s[0], dns[0]);
            CHECK_STR(o->dntomid.names.s[1], "");
        }
    }
    for (int m = 0; m < 2; m++) {
        mh_nspi_resp s;
        memset(&s, 0, sizeof s);
        s.dntomid.has_mids = m;
        s.dntomid.mids = sample_mids();
        mh_wr w;
        mh_wr_init(&w, pool, 16);
        A_ok(&w, 0);
        A_has(&w, m);
        if (m)
            A_mids(&w);
        A_u32(&w, 0);
        mh_nspi_resp *o = resp_trip(MH_RT_DNTOMID, &s, &w, 1);
        if (m)
            check_mids(&o->dntomid.mids);
    }
    failure_trip(MH_RT_DNTOMID);
}

static void test_getmatches(void)
{
    /* 5 optional fields: State, MinimalIds, Filter, PropertyName, Columns */
    for (int m = 0; m < 32; m++) {
        mh_nspi_req r;
        memset(&r, 0, sizeof r);
        mh_nspi_getmatches_req *q = &r.getmatches;
        q->has_state = BIT(m, 0);
        q->state = ST;
        q->has_mids = BIT(m, 1);
        q->mids = sample_mids();
        q->interface_option_flags = 0x77;
        q->has_filter = BIT(m, 2);
        q->filter = sample_filter();
        q->has_propname = BIT(m, 3);
        for (int i = 0; i < 16; i++)
            q->propname.guid.b[i] = (uint8_t)i;
        q->propname.id = 0x8001;
        q->row_count = 50;
        q->has_columns = BIT(m, 4);
        q->columns = sample_tags();
        q->aux = sample_aux();
        mh_wr w;
        mh_wr_init(&w, pool, 256);
        A_u32(&w, 0);
        A_has(&w, BIT(m, 0));
        if (BIT(m, 0))
            A_stat(&w);
        A_has(&w, BIT(m, 1));
        if (BIT(m, 1))
            A_mids(&w);
        A_u32(&w, 0x77);
        A_has(&w, BIT(m, 2));
        if (BIT(m, 2))
            A_filter(&w);
        A_has(&w, BIT(m, 3));
        if (BIT(m, 3)) {
            A_hex(&w, "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f");
            A_u32(&w, 0x8001);
        }
        A_u32(&w, 50);
        A_has(&w, BIT(m, 4));
        if (BIT(m, 4))
            A_tags(&w);
        A_aux(&w);
        mh_nspi_req *o = req_trip(MH_RT_GETMATCHES, &r, &w, 1);
        const mh_nspi_getmatches_req *g = &o->getmatches;
        CHECK_EQ_U(g->has_state, BIT(m, 0));
        CHECK_EQ_U(g->has_mids, BIT(m, 1));
        CHECK_EQ_U(g->has_filter, BIT(m, 2));
        CHECK_EQ_U(g->has_propname, BIT(m, 3));
        CHECK_EQ_U(g->has_columns, BIT(m, 4));
        CHECK_EQ_U(g->interface_option_flags, 0x77);
        CHECK_EQ_U(g->row_count, 50);
        if (g->has_state)
            check_stat(&g->state);
        if (g->has_mids)
            check_mids(&g->mids);
        if (g->has_filter)
            check_filter(g->filter);
        else
            CHECK(g->filter == NULL);
        if (g->has_propname) {
            CHECK_EQ_U(g->propname.guid.b[15], 15);
            CHECK_EQ_U(g->propname.id, 0x8001);
        }
        if (g->has_columns)
            check_tags(&g->columns);
        check_aux(&g->aux);
    }
    /* response: State, MinimalIds, ColumnsAndRows */
    for (int m = 0; m < 8; m++) {
        mh_nspi_resp s;
        memset(&s, 0, sizeof s);
        s.getmatches.has_state = BIT(m, 0);
        s.getmatches.state = ST;
        s.getmatches.has_mids = BIT(m, 1);
        s.getmatches.mids = sample_mids();
        s.getmatches.has_rows = BIT(m, 2);
        s.getmatches.rows = sample_rowset();
        s.getmatches.aux = sample_aux();
        mh_wr w;
        mh_wr_init(&w, pool, 256);
        A_ok(&w, 0);
        A_has(&w, BIT(m, 0));
        if (BIT(m, 0))
            A_stat(&w);
        A_has(&w, BIT(m, 1));
        if (BIT(m, 1))
            A_mids(&w);
        A_has(&w, BIT(m, 2));
        if (BIT(m, 2))
            A_rowset(&w);
        A_aux(&w);
        mh_nspi_resp *o = resp_trip(MH_RT_GETMATCHES, &s, &w, 1);
        if (BIT(m, 0))
            check_stat(&o->getmatches.state);
        if (BIT(m, 1))
            check_mids(&o->getmatches.mids);
        if (BIT(m, 2))
            check_rowset(&o->getmatches.rows);
        check_aux(&o->getmatches.aux);
    }
    failure_trip(MH_RT_GETMATCHES);
}

static void test_getproplist(void)
{
    mh_nspi_req r;
    memset(&r, 0, sizeof r);
    r.getproplist.flags = MH_NSPI_FSKIPOBJECTS;
    r.getproplist.mid = 0x4242;
    r.getproplist.code_page = 1252;
    mh_wr w;
    mh_wr_init(&w, pool, 16);
    A_u32(&w, 1);
    A_u32(&w, 0x4242);
    A_u32(&w, 1252);
    A_u32(&w, 0);
    mh_nspi_req *o = req_trip(MH_RT_GETPROPLIST, &r, &w, 1);
    CHECK_EQ_U(o->getproplist.mid, 0x4242);
    CHECK_EQ_U(o->getproplist.code_page, 1252);
    for (int m = 0; m < 2; m++) {
        mh_nspi_resp s;
        memset(&s, 0, sizeof s);
        s.getproplist.has_tags = m;
        s.getproplist.tags = sample_tags();
        mh_wr_init(&w, pool, 16);
        A_ok(&w, 0);
        A_has(&w, m);
        if (m)
            A_tags(&w);
        A_u32(&w, 0);
        mh_nspi_resp *os = resp_trip(MH_RT_GETPROPLIST, &s, &w, 1);
        if (m)
            check_tags(&os->getproplist.tags);
    }
    failure_trip(MH_RT_GETPROPLIST);
}

static void test_getprops(void)
{
    for (int m = 0; m < 4; m++) {
        mh_nspi_req r;
        memset(&r, 0, sizeof r);
        r.getprops.flags = MH_NSPI_FEPHID;
        r.getprops.has_state = BIT(m, 0);
        r.getprops.state = ST;
        r.getprops.has_tags = BIT(m, 1);
        r.getprops.tags = sample_tags();
        r.getprops.aux = sample_aux();
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_u32(&w, 2);
        A_has(&w, BIT(m, 0));
        if (BIT(m, 0))
            A_stat(&w);
        A_has(&w, BIT(m, 1));
        if (BIT(m, 1))
            A_tags(&w);
        A_aux(&w);
        mh_nspi_req *o = req_trip(MH_RT_GETPROPS, &r, &w, 1);
        CHECK_EQ_U(o->getprops.flags, 2);
        if (BIT(m, 0))
            check_stat(&o->getprops.state);
        if (BIT(m, 1))
            check_tags(&o->getprops.tags);
    }
    for (int m = 0; m < 2; m++) {
        mh_nspi_resp s;
        memset(&s, 0, sizeof s);
        s.getprops.error_code = MH_NSPI_ERRORS_RETURNED;
        s.getprops.code_page = 1252;
        s.getprops.has_values = m;
        s.getprops.values = sample_list();
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_ok(&w, MH_NSPI_ERRORS_RETURNED);
        A_u32(&w, 1252);
        A_has(&w, m);
        if (m)
            A_list(&w);
        A_u32(&w, 0);
        /* read back, the 8-bit string is Unicode: no byte-exact re-encode */
        mh_nspi_resp *o = resp_trip(MH_RT_GETPROPS, &s, &w, 0);
        CHECK_EQ_U(o->getprops.error_code, MH_NSPI_ERRORS_RETURNED);
        CHECK_EQ_U(o->getprops.code_page, 1252);
        if (m)
            check_list(&o->getprops.values);
    }
    failure_trip(MH_RT_GETPROPS);
}

static void test_getspecialtable(void)
{
    for (int m = 0; m < 4; m++) {
        mh_nspi_req r;
        memset(&r, 0, sizeof r);
        r.getspecialtable.flags = MH_NSPI_UNICODE_STRINGS;
        r.getspecialtable.has_state = BIT(m, 0);
        r.getspecialtable.state = ST;
        r.getspecialtable.has_version = BIT(m, 1);
        r.getspecialtable.version = 7;
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_u32(&w, 4);
        A_has(&w, BIT(m, 0));
        if (BIT(m, 0))
            A_stat(&w);
        A_has(&w, BIT(m, 1));
        if (BIT(m, 1))
            A_u32(&w, 7);
        A_u32(&w, 0);
        mh_nspi_req *o = req_trip(MH_RT_GETSPECIALTABLE, &r, &w, 1);
        CHECK_EQ_U(o->getspecialtable.has_version, BIT(m, 1));
        if (BIT(m, 1))
            CHECK_EQ_U(o->getspecialtable.version, 7);
    }
    for (int m = 0; m < 4; m++) {
        mh_nspi_resp s;
        memset(&s, 0, sizeof s);
        s.getspecialtable.code_page = 1252;
        s.getspecialtable.has_version = BIT(m, 0);
        s.getspecialtable.version = 9;
        s.getspecialtable.has_rows = BIT(m, 1);
        s.getspecialtable.rows = sample_lists();
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_ok(&w, 0);
        A_u32(&w, 1252);
        A_has(&w, BIT(m, 0));
        if (BIT(m, 0))
            A_u32(&w, 9);
        A_has(&w, BIT(m, 1));
        if (BIT(m, 1))
            A_lists(&w);
        A_u32(&w, 0);
        mh_nspi_resp *o = resp_trip(MH_RT_GETSPECIALTABLE, &s, &w, 1);
        if (BIT(m, 0))
            CHECK_EQ_U(o->getspecialtable.version, 9);
        if (BIT(m, 1))
            check_lists(&o->getspecialtable.rows);
    }
    failure_trip(MH_RT_GETSPECIALTABLE);
}

static void test_gettemplateinfo(void)
{
    for (int m = 0; m < 2; m++) {
        mh_nspi_req r;
        memset(&r, 0, sizeof r);
        r.gettemplateinfo.flags = MH_NSPI_TI_TEMPLATE | MH_NSPI_TI_SCRIPT;
        r.gettemplateinfo.display_type = 0;
        r.gettemplateinfo.has_template_dn = m;
        r.gettemplateinfo.template_dn = "/o=Org/cn=Templates/cn=409/cn=0";
        r.gettemplateinfo.code_page = 1252;
        r.gettemplateinfo.locale_id = 0x409;
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_u32(&w, 5);
        A_u32(&w, 0);
        A_has(&w, m);
        if (m)
            mh_wr_asciiz(&w, "/o=Org/cn=Templates/cn=409/cn=0");
        A_u32(&w, 1252);
        A_u32(&w, 0x409);
        A_u32(&w, 0);
        mh_nspi_req *o = req_trip(MH_RT_GETTEMPLATEINFO, &r, &w, 1);
        CHECK_EQ_U(o->gettemplateinfo.flags, 5);
        CHECK_EQ_U(o->gettemplateinfo.locale_id, 0x409);
        if (m)
            CHECK_STR(o->gettemplateinfo.template_dn, "/o=Org/cn=Templates/cn=409/cn=0");
        else
            CHECK(o->gettemplateinfo.template_dn == NULL);
    }
    for (int m = 0; m < 2; m++) {
        mh_nspi_resp s;
        memset(&s, 0, sizeof s);
        s.gettemplateinfo.code_page = 1252;
        s.gettemplateinfo.has_row = m;
        s.gettemplateinfo.row = sample_list();
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_ok(&w, 0);
        A_u32(&w, 1252);
        A_has(&w, m);
        if (m)
            A_list(&w);
        A_u32(&w, 0);
        mh_nspi_resp *o = resp_trip(MH_RT_GETTEMPLATEINFO, &s, &w, 0);
        if (m)
            check_list(&o->gettemplateinfo.row);
    }
    failure_trip(MH_RT_GETTEMPLATEINFO);
}

static void test_modlinkatt(void)
{
    static const unsigned char eid[] = {0x87, 0, 0, 0, 1, 2, 3, 4};
    mh_bin bins[2] = {{sizeof eid, eid}, {0, (const uint8_t *)""}};
    for (int m = 0; m < 2; m++) {
        mh_nspi_req r;
        memset(&r, 0, sizeof r);
        r.modlinkatt.flags = MH_NSPI_FDELETE;
        r.modlinkatt.tag = 0x8009101Eu; /* PR_EMS_AB_MEMBER */
        r.modlinkatt.mid = 0x33;
        r.modlinkatt.has_entry_ids = m;
        r.modlinkatt.entry_ids.n = 2;
        r.modlinkatt.entry_ids.b = bins;
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_u32(&w, 1);
        A_u32(&w, 0x8009101Eu);
        A_u32(&w, 0x33);
        A_has(&w, m);
        if (m) /* a BinaryArray_r: count, then length + bytes per entry ID */
            A_hex(&w, "02 00 00 00  08 00 00 00 87 00 00 00 01 02 03 04  00 00 00 00");
        A_u32(&w, 0);
        mh_nspi_req *o = req_trip(MH_RT_MODLINKATT, &r, &w, 1);
        CHECK_EQ_U(o->modlinkatt.tag, 0x8009101Eu);
        if (m) {
            REQUIRE(o->modlinkatt.entry_ids.n == 2);
            CHECK_MEM(o->modlinkatt.entry_ids.b[0].data, o->modlinkatt.entry_ids.b[0].len, eid,
                      sizeof eid);
            CHECK_EQ_U(o->modlinkatt.entry_ids.b[1].len, 0);
        }
    }
    mh_nspi_resp s;
    memset(&s, 0, sizeof s);
    s.modlinkatt.error_code = MH_NSPI_ACCESS_DENIED;
    mh_wr w;
    mh_wr_init(&w, pool, 16);
    A_ok(&w, MH_NSPI_ACCESS_DENIED);
    A_u32(&w, 0);
    resp_trip(MH_RT_MODLINKATT, &s, &w, 1);
    failure_trip(MH_RT_MODLINKATT);
}

static void test_modprops(void)
{
    for (int m = 0; m < 8; m++) {
        mh_nspi_req r;
        memset(&r, 0, sizeof r);
        r.modprops.has_state = BIT(m, 0);
        r.modprops.state = ST; /* code page 1252: the values' */
        r.modprops.has_tags = BIT(m, 1);
        r.modprops.tags = sample_tags();
        r.modprops.has_values = BIT(m, 2);
        r.modprops.values = sample_list();
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_u32(&w, 0);
        A_has(&w, BIT(m, 0));
        if (BIT(m, 0))
            A_stat(&w);
        A_has(&w, BIT(m, 1));
        if (BIT(m, 1))
            A_tags(&w);
        A_has(&w, BIT(m, 2));
        if (BIT(m, 2))
            A_list(&w);
        A_u32(&w, 0);
        mh_nspi_req *o = req_trip(MH_RT_MODPROPS, &r, &w, 0);
        if (BIT(m, 1))
            check_tags(&o->modprops.tags);
        if (BIT(m, 2))
            check_list(&o->modprops.values);
    }
    mh_nspi_resp s;
    memset(&s, 0, sizeof s);
    mh_wr w;
    mh_wr_init(&w, pool, 16);
    A_ok(&w, 0);
    A_u32(&w, 0);
    resp_trip(MH_RT_MODPROPS, &s, &w, 1);
    failure_trip(MH_RT_MODPROPS);
}

static void test_querycolumns(void)
{
    mh_nspi_req r;
    memset(&r, 0, sizeof r);
    r.querycolumns.mapi_flags = MH_NSPI_UNICODE_PROPTYPES;
    mh_wr w;
    mh_wr_init(&w, pool, 16);
    A_u32(&w, 0);
    A_u32(&w, 0x80000000u);
    A_u32(&w, 0);
    mh_nspi_req *o = req_trip(MH_RT_QUERYCOLUMNS, &r, &w, 1);
    CHECK_EQ_U(o->querycolumns.mapi_flags, 0x80000000u);
    for (int m = 0; m < 2; m++) {
        mh_nspi_resp s;
        memset(&s, 0, sizeof s);
        s.querycolumns.has_columns = m;
        s.querycolumns.columns = sample_tags();
        mh_wr_init(&w, pool, 16);
        A_ok(&w, 0);
        A_has(&w, m);
        if (m)
            A_tags(&w);
        A_u32(&w, 0);
        mh_nspi_resp *os = resp_trip(MH_RT_QUERYCOLUMNS, &s, &w, 1);
        if (m)
            check_tags(&os->querycolumns.columns);
    }
    failure_trip(MH_RT_QUERYCOLUMNS);
}

static void test_queryrows(void)
{
    /* State, Columns optional; the Explicit Table has no Has byte: with
     * and without entries (bit 2) */
    for (int m = 0; m < 8; m++) {
        mh_nspi_req r;
        memset(&r, 0, sizeof r);
        r.queryrows.flags = MH_NSPI_FSKIPOBJECTS;
        r.queryrows.has_state = BIT(m, 0);
        r.queryrows.state = ST;
        if (BIT(m, 2))
            r.queryrows.explicit_table = sample_mids();
        r.queryrows.row_count = 10;
        r.queryrows.has_columns = BIT(m, 1);
        r.queryrows.columns = sample_tags();
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_u32(&w, 1);
        A_has(&w, BIT(m, 0));
        if (BIT(m, 0))
            A_stat(&w);
        if (BIT(m, 2))
            A_mids(&w);
        else
            A_u32(&w, 0);
        A_u32(&w, 10);
        A_has(&w, BIT(m, 1));
        if (BIT(m, 1))
            A_tags(&w);
        A_u32(&w, 0);
        mh_nspi_req *o = req_trip(MH_RT_QUERYROWS, &r, &w, 1);
        CHECK_EQ_U(o->queryrows.row_count, 10);
        if (BIT(m, 2))
            check_mids(&o->queryrows.explicit_table);
        else
            CHECK_EQ_U(o->queryrows.explicit_table.n, 0);
        if (BIT(m, 1))
            check_tags(&o->queryrows.columns);
    }
    for (int m = 0; m < 4; m++) {
        mh_nspi_resp s;
        memset(&s, 0, sizeof s);
        s.queryrows.has_state = BIT(m, 0);
        s.queryrows.state = ST;
        s.queryrows.has_rows = BIT(m, 1);
        s.queryrows.rows = sample_rowset();
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_ok(&w, 0);
        A_has(&w, BIT(m, 0));
        if (BIT(m, 0))
            A_stat(&w);
        A_has(&w, BIT(m, 1));
        if (BIT(m, 1))
            A_rowset(&w);
        A_u32(&w, 0);
        mh_nspi_resp *o = resp_trip(MH_RT_QUERYROWS, &s, &w, 1);
        if (BIT(m, 1))
            check_rowset(&o->queryrows.rows);
    }
    failure_trip(MH_RT_QUERYROWS);
}

static void test_resolvenames(void)
{
    static const char *names[] = {"ada", "Zo\xc3\xab"};
    for (int m = 0; m < 8; m++) {
        mh_nspi_req r;
        memset(&r, 0, sizeof r);
        r.resolvenames.reserved = 0x80000000u; /* what Outlook sends */
        r.resolvenames.has_state = BIT(m, 0);
        r.resolvenames.state = ST;
        r.resolvenames.has_tags = BIT(m, 1);
        r.resolvenames.tags = sample_tags();
        r.resolvenames.has_names = BIT(m, 2);
        r.resolvenames.names.n = 2;
        r.resolvenames.names.s = names;
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_u32(&w, 0x80000000u);
        A_has(&w, BIT(m, 0));
        if (BIT(m, 0))
            A_stat(&w);
        A_has(&w, BIT(m, 1));
        if (BIT(m, 1))
            A_tags(&w);
        A_has(&w, BIT(m, 2));
        if (BIT(m, 2)) /* WStringsArray_r: UTF-16Z strings, no presence bytes */
            A_hex(&w, "02 00 00 00  61 00 64 00 61 00 00 00  5a 00 6f 00 eb 00 00 00");
        A_u32(&w, 0);
        mh_nspi_req *o = req_trip(MH_RT_RESOLVENAMES, &r, &w, 1);
        CHECK_EQ_U(o->resolvenames.reserved, 0x80000000u);
        if (BIT(m, 2)) {
            REQUIRE(o->resolvenames.names.n == 2);
            CHECK_STR(o->resolvenames.names.s[0], "ada");
            CHECK_STR(o->resolvenames.names.s[1], "Zo\xc3\xab");
        }
    }
    static uint32_t ambig[] = {MH_NSPI_MID_AMBIGUOUS, 0x1234};
    for (int m = 0; m < 4; m++) {
        mh_nspi_resp s;
        memset(&s, 0, sizeof s);
        s.resolvenames.code_page = 1252;
        s.resolvenames.has_mids = BIT(m, 0);
        s.resolvenames.mids.n = 2;
        s.resolvenames.mids.ids = ambig;
        s.resolvenames.has_rows = BIT(m, 1);
        s.resolvenames.rows = sample_rowset();
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_ok(&w, 0);
        A_u32(&w, 1252);
        A_has(&w, BIT(m, 0));
        if (BIT(m, 0))
            A_u32s(&w, ambig, 2);
        A_has(&w, BIT(m, 1));
        if (BIT(m, 1))
            A_rowset(&w);
        A_u32(&w, 0);
        mh_nspi_resp *o = resp_trip(MH_RT_RESOLVENAMES, &s, &w, 1);
        if (BIT(m, 0)) {
            REQUIRE(o->resolvenames.mids.n == 2);
            CHECK_EQ_U(o->resolvenames.mids.ids[0], MH_NSPI_MID_AMBIGUOUS);
        }
        if (BIT(m, 1))
            check_rowset(&o->resolvenames.rows);
    }
    failure_trip(MH_RT_RESOLVENAMES);
}

static void test_resortrestriction(void)
{
    for (int m = 0; m < 4; m++) {
        mh_nspi_req r;
        memset(&r, 0, sizeof r);
        r.resortrestriction.has_state = BIT(m, 0);
        r.resortrestriction.state = ST;
        r.resortrestriction.has_mids = BIT(m, 1);
        r.resortrestriction.mids = sample_mids();
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_u32(&w, 0);
        A_has(&w, BIT(m, 0));
        if (BIT(m, 0))
            A_stat(&w);
        A_has(&w, BIT(m, 1));
        if (BIT(m, 1))
            A_mids(&w);
        A_u32(&w, 0);
        mh_nspi_req *o = req_trip(MH_RT_RESORTRESTRICTION, &r, &w, 1);
        if (BIT(m, 1))
            check_mids(&o->resortrestriction.mids);
    }
    for (int m = 0; m < 4; m++) {
        mh_nspi_resp s;
        memset(&s, 0, sizeof s);
        s.resortrestriction.has_state = BIT(m, 0);
        s.resortrestriction.state = ST;
        s.resortrestriction.has_mids = BIT(m, 1);
        s.resortrestriction.mids = sample_mids();
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_ok(&w, 0);
        A_has(&w, BIT(m, 0));
        if (BIT(m, 0))
            A_stat(&w);
        A_has(&w, BIT(m, 1));
        if (BIT(m, 1))
            A_mids(&w);
        A_u32(&w, 0);
        mh_nspi_resp *o = resp_trip(MH_RT_RESORTRESTRICTION, &s, &w, 1);
        if (BIT(m, 0))
            check_stat(&o->resortrestriction.state);
    }
    failure_trip(MH_RT_RESORTRESTRICTION);
}

static void test_seekentries(void)
{
    /* State, Target, ExplicitTable, Columns */
    for (int m = 0; m < 16; m++) {
        mh_nspi_req r;
        memset(&r, 0, sizeof r);
        r.seekentries.has_state = BIT(m, 0);
        r.seekentries.state = ST;
        r.seekentries.has_target = BIT(m, 1);
        r.seekentries.target = pv_str(TAG_DISPLAY_NAME, "ad");
        r.seekentries.has_explicit_table = BIT(m, 2);
        r.seekentries.explicit_table = sample_mids();
        r.seekentries.has_columns = BIT(m, 3);
        r.seekentries.columns = sample_tags();
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_u32(&w, 0);
        A_has(&w, BIT(m, 0));
        if (BIT(m, 0))
            A_stat(&w);
        A_has(&w, BIT(m, 1));
        if (BIT(m, 1)) { /* an AddressBookTaggedPropertyValue */
            A_u32(&w, TAG_DISPLAY_NAME);
            A_u8(&w, 0xFF);
            A_w16(&w, "ad");
        }
        A_has(&w, BIT(m, 2));
        if (BIT(m, 2))
            A_mids(&w);
        A_has(&w, BIT(m, 3));
        if (BIT(m, 3))
            A_tags(&w);
        A_u32(&w, 0);
        mh_nspi_req *o = req_trip(MH_RT_SEEKENTRIES, &r, &w, 1);
        if (BIT(m, 1)) {
            CHECK_EQ_U(o->seekentries.target.tag, TAG_DISPLAY_NAME);
            CHECK_STR(o->seekentries.target.v.str, "ad");
        }
        if (BIT(m, 2))
            check_mids(&o->seekentries.explicit_table);
        if (BIT(m, 3))
            check_tags(&o->seekentries.columns);
    }
    for (int m = 0; m < 4; m++) {
        mh_nspi_resp s;
        memset(&s, 0, sizeof s);
        s.seekentries.has_state = BIT(m, 0);
        s.seekentries.state = ST;
        s.seekentries.has_rows = BIT(m, 1);
        s.seekentries.rows = sample_rowset();
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_ok(&w, 0);
        A_has(&w, BIT(m, 0));
        if (BIT(m, 0))
            A_stat(&w);
        A_has(&w, BIT(m, 1));
        if (BIT(m, 1))
            A_rowset(&w);
        A_u32(&w, 0);
        mh_nspi_resp *o = resp_trip(MH_RT_SEEKENTRIES, &s, &w, 1);
        if (BIT(m, 1))
            check_rowset(&o->seekentries.rows);
    }
    failure_trip(MH_RT_SEEKENTRIES);
}

static void test_updatestat(void)
{
    for (int m = 0; m < 4; m++) {
        mh_nspi_req r;
        memset(&r, 0, sizeof r);
        r.updatestat.has_state = BIT(m, 0);
        r.updatestat.state = ST;
        r.updatestat.delta_requested = BIT(m, 1) ? 0x01 : 0x00;
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_u32(&w, 0);
        A_has(&w, BIT(m, 0));
        if (BIT(m, 0))
            A_stat(&w);
        A_u8(&w, BIT(m, 1) ? 0x01 : 0x00);
        A_u32(&w, 0);
        mh_nspi_req *o = req_trip(MH_RT_UPDATESTAT, &r, &w, 1);
        CHECK_EQ_U(o->updatestat.delta_requested, BIT(m, 1));
    }
    for (int m = 0; m < 4; m++) {
        mh_nspi_resp s;
        memset(&s, 0, sizeof s);
        s.updatestat.has_state = BIT(m, 0);
        s.updatestat.state = ST;
        s.updatestat.has_delta = BIT(m, 1);
        s.updatestat.delta = -5;
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_ok(&w, 0);
        A_has(&w, BIT(m, 0));
        if (BIT(m, 0))
            A_stat(&w);
        A_has(&w, BIT(m, 1));
        if (BIT(m, 1))
            A_u32(&w, 0xFFFFFFFBu);
        A_u32(&w, 0);
        mh_nspi_resp *o = resp_trip(MH_RT_UPDATESTAT, &s, &w, 1);
        if (BIT(m, 1))
            CHECK(o->updatestat.delta == -5);
    }
    failure_trip(MH_RT_UPDATESTAT);
}

static void test_urls(void)
{
    static const mh_reqtype types[] = {MH_RT_GETMAILBOXURL, MH_RT_GETADDRESSBOOKURL};
    for (int t = 0; t < 2; t++) {
        mh_nspi_req r;
        memset(&r, 0, sizeof r);
        /* both requests are Flags + a UTF-16Z DN */
        if (t == 0)
            r.getmailboxurl.server_dn = "/o=Org/ou=Exchange/cn=Configuration/cn=Servers/cn=mx";
        else
            r.getaddressbookurl.user_dn = "/o=Org/ou=Exchange/cn=Configuration/cn=Servers/cn=mx";
        mh_wr w;
        mh_wr_init(&w, pool, 64);
        A_u32(&w, 0);
        A_w16(&w, "/o=Org/ou=Exchange/cn=Configuration/cn=Servers/cn=mx");
        A_u32(&w, 0);
        mh_nspi_req *o = req_trip(types[t], &r, &w, 1);
        CHECK_STR(t == 0 ? o->getmailboxurl.server_dn : o->getaddressbookurl.user_dn,
                  "/o=Org/ou=Exchange/cn=Configuration/cn=Servers/cn=mx");
        mh_nspi_resp s;
        memset(&s, 0, sizeof s);
        const char *url = "https://mx.example.org/mapi/emsmdb/?MailboxId=x@example.org";
        if (t == 0)
            s.getmailboxurl.server_url = url;
        else
            s.getaddressbookurl.server_url = url;
        mh_wr_init(&w, pool, 64);
        A_ok(&w, 0);
        A_w16(&w, url);
        A_u32(&w, 0);
        mh_nspi_resp *os = resp_trip(types[t], &s, &w, 1);
        CHECK_STR(t == 0 ? os->getmailboxurl.server_url : os->getaddressbookurl.server_url, url);
        failure_trip(types[t]);
        /* a DN without its 2-byte NUL */
        unsigned char nonul[] = {0, 0, 0, 0, 'a', 0, 'b', 0, 0, 0, 0, 0};
        const char *why;
        CHECK(mh_nspi_parse_req(types[t], nonul, 8, pool, o, &why) == MH_BODY_MALFORMED);
    }
}

/* ============================================================ limits */

static void test_has_bytes(void)
{
    /* a Has byte is a boolean: any non-zero value means present (ITS
     * clients send 0x01, Outlook 0xFF) */
    mh_wr w;
    mh_wr_init(&w, pool, 64);
    A_u32(&w, 0);
    A_u8(&w, 0x01);
    A_stat(&w);
    A_u8(&w, 0x7F);
    A_tags(&w);
    A_u32(&w, 0);
    mh_nspi_getprops_req q;
    const char *why = NULL;
    REQUIRE(mh_nspi_parse_getprops_req(w.buf, w.len, pool, &q, &why) == MH_BODY_OK);
    CHECK(q.has_state == 1 && q.has_tags == 1);
    check_stat(&q.state);
    check_tags(&q.tags);
}

static void test_limits(void)
{
    const char *why = NULL;
    mh_nspi_getprops_req q;
    /* 100,001 property tags, every byte there: well formed, beyond the limit */
    mh_wr w;
    mh_wr_init(&w, pool, 400100);
    A_u32(&w, 0);
    A_u8(&w, 0x00);
    A_u8(&w, 0xFF);
    A_u32(&w, 100001);
    for (uint32_t i = 0; i < 100001; i++)
        A_u32(&w, TAG_DISPLAY_NAME);
    A_u32(&w, 0);
    CHECK(mh_nspi_parse_getprops_req(w.buf, w.len, pool, &q, &why) == MH_BODY_LIMIT);
    CHECK(why && strstr(why, "PropertyTags") != NULL);
    /* ... and a limit does not hide a malformation after it */
    mh_wr_u8(&w, 0);
    CHECK(mh_nspi_parse_getprops_req(w.buf, w.len, pool, &q, &why) == MH_BODY_MALFORMED);
    /* 100,000 is fine */
    mh_wr_init(&w, pool, 400100);
    A_u32(&w, 0);
    A_u8(&w, 0x00);
    A_u8(&w, 0xFF);
    A_u32(&w, 100000);
    for (uint32_t i = 0; i < 100000; i++)
        A_u32(&w, TAG_DISPLAY_NAME);
    A_u32(&w, 0);
    CHECK(mh_nspi_parse_getprops_req(w.buf, w.len, pool, &q, &why) == MH_BODY_OK);
    CHECK_EQ_U(q.tags.n, 100000);
    /* a count beyond the bytes there is malformed, before any allocation */
    unsigned char huge[] = {0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0, 0, 0, 0};
    CHECK(mh_nspi_parse_getprops_req(huge, sizeof huge, pool, &q, &why) == MH_BODY_MALFORMED);
    CHECK(strstr(why, "GetProps request") != NULL);
    /* the auxiliary buffer: at most 0x1008 bytes */
    mh_wr_init(&w, pool, 0x1100);
    A_u32(&w, 0);
    A_u32(&w, 0x1009);
    for (int i = 0; i < 0x1009; i++)
        A_u8(&w, 0);
    mh_nspi_unbind_req u;
    CHECK(mh_nspi_parse_unbind_req(w.buf, w.len, pool, &u, &why) == MH_BODY_LIMIT);
    /* an entry ID above 2,097,152 bytes */
    uint32_t big = MH_NSPI_BINARY_MAX + 1;
    mh_wr_init(&w, pool, big + 64);
    A_u32(&w, 0);
    A_u32(&w, 0x8009101Eu);
    A_u32(&w, 0x33);
    A_u8(&w, 0xFF);
    A_u32(&w, 1);
    A_u32(&w, big);
    memset(mh_wr_reserve(&w, big), 0x87, big);
    A_u32(&w, 0);
    mh_nspi_modlinkatt_req ml;
    CHECK(mh_nspi_parse_modlinkatt_req(w.buf, w.len, pool, &ml, &why) == MH_BODY_LIMIT);
    /* a multi-valued value of 100,001 values (ModProps) */
    mh_wr_init(&w, pool, 400100);
    A_u32(&w, 0);
    A_u8(&w, 0);
    A_u8(&w, 0);
    A_u8(&w, 0xFF);
    A_u32(&w, 1);
    A_u32(&w, 0x80081003u); /* a PtypMultipleInteger32 */
    A_u8(&w, 0xFF);
    A_u32(&w, 100001);
    for (uint32_t i = 0; i < 100001; i++)
        A_u32(&w, i);
    A_u32(&w, 0);
    mh_nspi_modprops_req mp;
    CHECK(mh_nspi_parse_modprops_req(w.buf, w.len, pool, &mp, &why) == MH_BODY_LIMIT);
}

/* A ModProps request around one AddressBookPropertyValueList given as hex. */
static mh_body_status modprops_with(const char *list_hex, mh_nspi_modprops_req *q,
                                    const char **why)
{
    mh_wr w;
    mh_wr_init(&w, pool, 64);
    A_u32(&w, 0);
    A_u8(&w, 0);
    A_u8(&w, 0);
    A_u8(&w, 0xFF);
    A_hex(&w, list_hex);
    A_u32(&w, 0);
    return mh_nspi_parse_modprops_req(w.buf, w.len, pool, q, why);
}

static void test_bad_values(void)
{
    mh_nspi_modprops_req q;
    const char *why = NULL;
    /* good: one string */
    CHECK(modprops_with("01 00 00 00  1f 00 01 30 ff 61 00 00 00", &q, &why) == MH_BODY_OK);
    /* HasValue must be 0x00 or 0xFF (2.2.1.1) */
    CHECK(modprops_with("01 00 00 00  1f 00 01 30 01 61 00 00 00", &q, &why) ==
          MH_BODY_MALFORMED);
    CHECK(why && strstr(why, "HasValue") != NULL);
    /* an element presence byte in a multi-valued string */
    CHECK(modprops_with("01 00 00 00  1f 10 0f 80 ff 01 00 00 00 02 61 00 00 00", &q, &why) ==
          MH_BODY_MALFORMED);
    CHECK(modprops_with("01 00 00 00  1f 10 0f 80 ff 01 00 00 00 ff 61 00 00 00", &q, &why) ==
          MH_BODY_OK);
    /* a multi-valued binary with an empty and a null element */
    CHECK(modprops_with("01 00 00 00  02 11 00 80 ff 02 00 00 00 ff 00 00 00 00 00", &q,
                        &why) == MH_BODY_OK);
    REQUIRE(q.values.n == 1 && q.values.v[0].v.mv.n == 2);
    const mh_bin *b = q.values.v[0].v.mv.v;
    CHECK(b[0].data != NULL && b[0].len == 0);
    CHECK(b[1].data == NULL);
    /* PtypUnspecified is no value type; an unknown type has no size */
    CHECK(modprops_with("01 00 00 00  00 00 01 30 00 00 00 00", &q, &why) == MH_BODY_MALFORMED);
    CHECK(modprops_with("01 00 00 00  99 00 01 30 00 00 00 00", &q, &why) == MH_BODY_MALFORMED);
    /* a value count beyond the bytes */
    CHECK(modprops_with("09 00 00 00  03 00 00 39 00 00 00 00", &q, &why) == MH_BODY_MALFORMED);
    /* a string without its NUL runs into the aux size and past the end */
    CHECK(modprops_with("01 00 00 00  1f 00 01 30 ff 61 00", &q, &why) == MH_BODY_MALFORMED);
    /* a GetMatches Filter that is no restriction */
    mh_wr w;
    mh_wr_init(&w, pool, 64);
    A_u32(&w, 0);
    A_u8(&w, 0);
    A_u8(&w, 0);
    A_u32(&w, 0);
    A_u8(&w, 0xFF);
    A_hex(&w, "ee 00 00 00 00");
    A_u8(&w, 0);
    A_u32(&w, 0);
    A_u8(&w, 0);
    A_u32(&w, 0);
    mh_nspi_getmatches_req g;
    CHECK(mh_nspi_parse_getmatches_req(w.buf, w.len, pool, &g, &why) == MH_BODY_MALFORMED);
    CHECK(strstr(why, "Filter") != NULL);
}

/* Restriction values nested in a Filter (a PtypRestriction comparand
 * holding the next level) parse in time linear in their depth: each level
 * was once re-parsed by every level above it (2^depth). */
static void test_nested_filter(void)
{
    enum { DEPTH = 40 };
    mh_wr w;
    mh_wr_init(&w, pool, 1024);
    A_u32(&w, 0);
    A_u8(&w, 0);
    A_u8(&w, 0);
    A_u32(&w, 0);
    A_u8(&w, 0xFF);
    for (int i = 0; i < DEPTH; i++) { /* Property(EQ, tag, tagged PtypRestriction value) */
        A_u8(&w, MH_RES_PROPERTY);
        A_u8(&w, MH_RELOP_EQ);
        A_u32(&w, 0x660000FDu);
        A_u32(&w, 0x660000FDu);
    }
    A_u8(&w, MH_RES_EXIST);
    A_u32(&w, TAG_EMAIL);
    A_u8(&w, 0);
    A_u32(&w, 0);
    A_u8(&w, 0);
    A_u32(&w, 0);
    mh_nspi_getmatches_req g;
    const char *why = NULL;
    REQUIRE(mh_nspi_parse_getmatches_req(w.buf, w.len, pool, &g, &why) == MH_BODY_OK);
    REQUIRE(g.has_filter && g.filter->type == MH_RES_PROPERTY);
    /* the value holds the 39 levels below it, canonical (4-byte counts) */
    mh_rd rd;
    mh_restriction *inner;
    mh_rd_init(&rd, g.filter->u.prop.val.v.bin.data, g.filter->u.prop.val.v.bin.len);
    REQUIRE(mh_rd_restriction(&rd, 4, 1252, pool, &inner) == 0);
    int depth = 1;
    while (inner->type == MH_RES_PROPERTY) {
        mh_rd_init(&rd, inner->u.prop.val.v.bin.data, inner->u.prop.val.v.bin.len);
        REQUIRE(mh_rd_restriction(&rd, 4, 1252, pool, &inner) == 0);
        depth++;
    }
    CHECK_EQ_U(depth, DEPTH);
    CHECK_EQ_U(inner->type, MH_RES_EXIST);
    /* and it goes out again as it came */
    mh_wr out;
    mh_wr_init(&out, pool, 1024);
    mh_nspi_build_getmatches_req(&out, &g);
    CHECK_MEM(out.buf, out.len, w.buf, w.len);
}

static void test_bad_rows(void)
{
    const char *why;
    mh_nspi_queryrows_resp s;
    /* one column (a long), one row with a Flags byte of 0x02 */
    unsigned char b[] = {0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0xFF, 1, 0, 0, 0, 3, 0, 0, 0x39,
                         1, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK(mh_nspi_parse_queryrows_resp(b, sizeof b, pool, &s, &why) == MH_BODY_MALFORMED);
    CHECK(strstr(why, "row Flags") != NULL);
    b[22] = 0x00; /* standard row: fine */
    CHECK(mh_nspi_parse_queryrows_resp(b, sizeof b, pool, &s, &why) == MH_BODY_OK);
    CHECK_EQ_U(s.rows.rows[0].vals[0]->v.i32, 0);
    /* flagged row: value flag 0x05 is none of 0x0, 0x1, 0xA */
    unsigned char f[] = {0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0xFF, 1, 0, 0, 0, 3, 0, 0, 0x39,
                         1, 0, 0, 0, 0x01, 0x05, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK(mh_nspi_parse_queryrows_resp(f, sizeof f, pool, &s, &why) == MH_BODY_MALFORMED);
    /* 0x1: no value, read as NULL */
    unsigned char n1[] = {0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0xFF, 1, 0, 0, 0, 3, 0, 0, 0x39,
                          1, 0, 0, 0, 0x01, 0x01, 0, 0, 0, 0};
    REQUIRE(mh_nspi_parse_queryrows_resp(n1, sizeof n1, pool, &s, &why) == MH_BODY_OK);
    CHECK(s.rows.rows[0].vals[0] == NULL);
    /* more rows than bytes */
    n1[18] = 0xFF;
    CHECK(mh_nspi_parse_queryrows_resp(n1, sizeof n1, pool, &s, &why) == MH_BODY_MALFORMED);
}

/* The writer's side of rows: errors, types, unspecified columns, code pages. */
static void test_row_writer(void)
{
    mh_proptag cols_a[] = {TAG_DISPLAY_NAME, TAG_DISPLAY_TYPE, TAG_ENTRYID, 0x66660000u,
                           0x6667000Au};
    mh_nspi_tags cols = {5, cols_a};
    mh_propval large = pv_str(TAG_DISPLAY_NAME, "x");
    large.flags = MH_PV_LARGE;
    mh_propval wrong = pv_str(MH_TAG(0x3900, PT_UNICODE), "0"); /* a string for a long */
    mh_propval err = pv_err(TAG_ENTRYID, MAPI_E_TOO_COMPLEX);
    mh_propval any = pv_long(0x66660003u, 7);
    mh_propval errval = pv_err(0x6667000Au, 0x1234); /* a proper value of PT_ERROR column */
    const mh_propval *vals[] = {&large, &wrong, &err, &any, &errval};
    mh_nspi_row row = {vals};
    mh_wr w, want;
    mh_wr_init(&w, pool, 64);
    mh_nspi_wr_row(&w, &cols, &row, 1252);
    mh_wr_init(&want, pool, 64);
    A_u8(&want, 0x01);
    A_u8(&want, 0x0A); A_u32(&want, MAPI_E_NOT_ENOUGH_MEMORY);
    A_u8(&want, 0x0A); A_u32(&want, MAPI_E_NOT_FOUND);
    A_u8(&want, 0x0A); A_u32(&want, MAPI_E_TOO_COMPLEX);
    A_u16(&want, PT_LONG); A_u8(&want, 0x00); A_u32(&want, 7); /* 2.2.1.6 */
    A_u8(&want, 0x00); A_u32(&want, 0x1234);
    CHECK_MEM(w.buf, w.len, want.buf, want.len);
    mh_rd rd;
    mh_nspi_row back;
    const char *why;
    mh_rd_init(&rd, w.buf, w.len);
    REQUIRE(mh_nspi_rd_row(&rd, &cols, 1252, pool, &back, &why) == MH_BODY_OK);
    CHECK(rd.p == rd.end);
    CHECK_EQ_U(back.vals[0]->tag, 0x3001000A);
    CHECK_EQ_U(back.vals[0]->v.err, MAPI_E_NOT_ENOUGH_MEMORY);
    CHECK_EQ_U(back.vals[3]->tag, 0x66660003u);
    CHECK_EQ_U(back.vals[3]->v.i32, 7);
    CHECK_EQ_U(back.vals[4]->tag, 0x6667000Au);
    CHECK_EQ_U(back.vals[4]->v.err, 0x1234);

    /* an error value whose code is 0 is still an error (flag 0xA), not a
     * value of the column's type: the row is flagged and reads back the
     * same (fuzz_nspi found a rebuilt ResolveNames body that did not parse) */
    mh_proptag cols_z[] = {0x0F520002u, TAG_DISPLAY_NAME};
    mh_nspi_tags cz = {2, cols_z};
    mh_propval zero = pv_err(0x0F520002u, 0);
    mh_propval nm = pv_str(TAG_DISPLAY_NAME, "z");
    const mh_propval *vz[] = {&zero, &nm};
    mh_nspi_row rz = {vz};
    mh_wr_init(&w, pool, 16);
    mh_nspi_wr_row(&w, &cz, &rz, 1252);
    mh_wr_init(&want, pool, 16);
    A_hex(&want, "01  0a 00 00 00 00  00 ff 7a 00 00 00");
    CHECK_MEM(w.buf, w.len, want.buf, want.len);
    mh_rd_init(&rd, w.buf, w.len);
    REQUIRE(mh_nspi_rd_row(&rd, &cz, 1252, pool, &back, &why) == MH_BODY_OK);
    CHECK(rd.p == rd.end);
    CHECK_EQ_U(back.vals[0]->tag, 0x0F52000Au);
    CHECK_EQ_U(back.vals[0]->v.err, 0);

    /* every value proper: a standard row; an unspecified column is typed
     * (2.2.1.4); an 8-bit string column in the body's code page */
    mh_proptag cols_b[] = {TAG_DISPLAY_NAME_A, 0x66660000u};
    mh_nspi_tags cb = {2, cols_b};
    mh_propval name = pv_str(TAG_DISPLAY_NAME, "\xd0\x96\xd1\x83\xd0\xba"); /* Жук */
    const mh_propval *vb[] = {&name, &any};
    mh_nspi_row rb = {vb};
    mh_wr_init(&w, pool, 64);
    mh_nspi_wr_row(&w, &cb, &rb, 1251);
    mh_wr_init(&want, pool, 64);
    A_hex(&want, "00  ff c6 f3 ea 00  03 00 07 00 00 00");
    CHECK_MEM(w.buf, w.len, want.buf, want.len);
    mh_rd_init(&rd, w.buf, w.len);
    REQUIRE(mh_nspi_rd_row(&rd, &cb, 1251, pool, &back, &why) == MH_BODY_OK);
    CHECK_STR(back.vals[0]->v.str, "\xd0\x96\xd1\x83\xd0\xba");
    CHECK_EQ_U(back.vals[0]->tag, TAG_DISPLAY_NAME);

    /* a type with no place in the address book: the error, as PtypErrorCode */
    static const unsigned char rb_bytes[] = {0x08, 0x1F, 0x00, 0x03, 0x30};
    mh_propval resv = pv_bin(0x660000FDu, rb_bytes, sizeof rb_bytes);
    mh_wr_init(&w, pool, 16);
    mh_nspi_wr_tagged_propval(&w, resv.tag, &resv, 1252);
    mh_wr_init(&want, pool, 16);
    A_hex(&want, "0a 00 00 66  02 01 04 80");
    CHECK_MEM(w.buf, w.len, want.buf, want.len);

    /* typed and bare values with nothing to send */
    mh_wr_init(&w, pool, 16);
    mh_nspi_wr_typed_propval(&w, PT_UNSPECIFIED, NULL, 1252);
    mh_nspi_wr_propval(&w, PT_UNICODE, NULL, 1252);
    mh_nspi_wr_propval(&w, PT_LONG, &wrong, 1252);
    mh_wr_init(&want, pool, 16);
    A_hex(&want, "0a 00 0f 01 04 80  00  00 00 00 00");
    CHECK_MEM(w.buf, w.len, want.buf, want.len);
}

static void test_dispatch(void)
{
    const char *why = NULL;
    mh_nspi_req r;
    unsigned char body[] = {0, 0, 0, 0, 0, 0, 0, 0};
    CHECK(mh_nspi_parse_req(MH_RT_EXECUTE, body, sizeof body, pool, &r, &why) ==
          MH_BODY_MALFORMED);
    CHECK(mh_nspi_parse_req(MH_RT_UNKNOWN, body, sizeof body, pool, &r, &why) ==
          MH_BODY_MALFORMED);
    mh_wr w;
    mh_wr_init(&w, pool, 16);
    mh_nspi_build_req(MH_RT_CONNECT, &w, &r);
    CHECK_EQ_U(w.len, 0);
    /* the same bytes through the typed and the generic parser */
    CHECK(mh_nspi_parse_req(MH_RT_UNBIND, body, sizeof body, pool, &r, &why) == MH_BODY_OK);
    mh_nspi_unbind_req u;
    CHECK(mh_nspi_parse_unbind_req(body, sizeof body, pool, &u, &why) == MH_BODY_OK);
    CHECK(u.aux.len == 0 && r.unbind.aux.len == 0);
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    RUN(test_bind);
    RUN(test_unbind);
    RUN(test_comparemids);
    RUN(test_dntomid);
    RUN(test_getmatches);
    RUN(test_getproplist);
    RUN(test_getprops);
    RUN(test_getspecialtable);
    RUN(test_gettemplateinfo);
    RUN(test_modlinkatt);
    RUN(test_modprops);
    RUN(test_querycolumns);
    RUN(test_queryrows);
    RUN(test_resolvenames);
    RUN(test_resortrestriction);
    RUN(test_seekentries);
    RUN(test_updatestat);
    RUN(test_urls);
    RUN(test_has_bytes);
    RUN(test_limits);
    RUN(test_bad_values);
    RUN(test_nested_filter);
    RUN(test_bad_rows);
    RUN(test_row_writer);
    RUN(test_dispatch);
    apr_pool_destroy(pool);
    return MH_TEST_DONE();
}
