/*
 * test_rop_prpt.c - the property and stream ROPs (MS-OXCPRPT; MS-OXCROPS
 * 2.2.8, 2.2.9) through the fixture: a real LMDB store, no httpd, the
 * session state encoded and decoded between batches.
 */
#include "mh_test.h"
#include "rop_fixture.h"
#include "mh_oxcdata.h"
#include "mh_props.h"

#include <stdio.h>
#include <string.h>

#include <apr_strings.h>

static mh_fixture F;
static apr_pool_t *P;

/* ------------------------------------------------------------ helpers */

/* A request under construction. */
static mh_wr *rq(void)
{
    mh_wr *w = apr_palloc(P, sizeof *w);
    mh_wr_init(w, P, 256);
    return w;
}

static void hdr(mh_wr *w, uint8_t id, uint8_t in)
{
    mh_wr_u8(w, id);
    mh_wr_u8(w, 0); /* LogonId */
    mh_wr_u8(w, in);
}

/* One ROP response parsed: id, index, ReturnValue and its body. */
typedef struct resp {
    uint8_t id, idx;
    uint32_t rv;
    mh_rd body;  /* from after ReturnValue to the end of the buffer */
} resp;

/* Runs a request of one or more ROPs; the first response in *r.  The
 * handle table is h (n slots), updated. */
static uint32_t run(mh_wr *w, uint32_t *h, uint32_t n, resp *r)
{
    const unsigned char *out;
    size_t len;
    uint32_t ec = mh_fixture_exec(&F, w->buf, w->len, h, n, &out, &len);
    memset(r, 0, sizeof *r);
    if (ec)
        return ec;
    mh_rd_init(&r->body, out, len);
    r->id = mh_rd_u8(&r->body);
    r->idx = mh_rd_u8(&r->body);
    r->rv = mh_rd_u32(&r->body);
    return 0;
}

/* The folder class is another family's: skip what needs it until it is
 * registered (reported, not passed). */
static int have(mh_otype t, const char *what)
{
    const mh_objclass *c = mh_objclass_of(t);
    if (c && (t == MH_OT_STREAM || c->props))
        return 1;
    printf("# skip %s: no %s class registered\n", what, mh_otype_name(t));
    return 0;
}

static uint32_t logon_h;
static uint64_t fids[13];

/* SetProperties of vals on the object at index 0 of h; problems out. */
static uint32_t set_props(uint32_t *h, uint32_t nh, const mh_propval *vals, uint16_t n,
                          mh_propproblem **p, uint16_t *np, uint32_t cp)
{
    mh_wr *w = rq();
    hdr(w, 0x0A, 0);
    size_t at = w->len;
    mh_wr_u16(w, 0);
    mh_wr_u16(w, n);
    for (uint16_t i = 0; i < n; i++)
        mh_wr_tagged_propval(w, vals[i].tag, &vals[i], cp);
    mh_wr_put_u16_at(w, at, (uint16_t)(w->len - at - 2));
    resp r;
    uint32_t ec = run(w, h, nh, &r);
    if (ec)
        return ec;
    if (r.rv)
        return r.rv;
    *np = 0;
    if (mh_rd_problems(&r.body, P, p, np) < 0)
        return 0xDEAD;
    return 0;
}

/* GetPropertiesSpecific of cols on index 0: the row's values. */
static uint32_t get_props(uint32_t *h, uint32_t nh, const mh_proptag *cols, uint16_t n,
                          uint16_t size_limit, uint16_t want_unicode, mh_propval **vals)
{
    mh_wr *w = rq();
    hdr(w, 0x07, 0);
    mh_wr_u16(w, size_limit);
    mh_wr_u16(w, want_unicode);
    mh_wr_tag_array(w, cols, n);
    resp r;
    uint32_t ec = run(w, h, nh, &r);
    if (ec)
        return ec;
    if (r.rv)
        return r.rv;
    if (mh_rd_proprow(&r.body, cols, n, F.code_page, P, vals) < 0)
        return 0xDEAD;
    return 0;
}

/* Opens a folder by FID into slot `out` (handle table slot 0 holds the
 * logon). */
static uint32_t open_folder(uint32_t *h, uint32_t nh, uint8_t out, uint64_t fid)
{
    mh_wr *w = rq();
    hdr(w, 0x02, 0);
    mh_wr_u8(w, out);
    mh_wr_u64(w, fid);
    mh_wr_u8(w, 0);
    resp r;
    uint32_t ec = run(w, h, nh, &r);
    return ec ? ec : r.rv;
}

/* ---------------------------------------------- logon-level properties */

#define T_LONG MH_TAG(0x7001, PT_LONG)
#define T_SHORT MH_TAG(0x7002, PT_SHORT)
#define T_DOUBLE MH_TAG(0x7003, PT_DOUBLE)
#define T_FLOAT MH_TAG(0x7004, PT_FLOAT)
#define T_BOOL MH_TAG(0x7005, PT_BOOLEAN)
#define T_I8 MH_TAG(0x7006, PT_I8)
#define T_TIME MH_TAG(0x7007, PT_SYSTIME)
#define T_BIN MH_TAG(0x7008, PT_BINARY)
#define T_STR MH_TAG(0x7009, PT_UNICODE)
#define T_STR8 MH_TAG(0x7009, PT_STRING8)
#define T_GUID MH_TAG(0x700A, PT_CLSID)
#define T_MVLONG MH_TAG(0x700B, PT_MV_LONG)
#define T_MVSTR MH_TAG(0x700C, PT_MV_UNICODE)
#define T_CUR MH_TAG(0x700D, PT_CURRENCY)
#define T_APPT MH_TAG(0x700E, PT_APPTIME)
#define T_MVBIN MH_TAG(0x700F, PT_MV_BINARY)

/* Values of every type; the string through PT_STRING8 in code page 1252
 * ("é" is 0xE9 there) when string8. */
static uint16_t every_type(mh_propval *v, int string8)
{
    static const int32_t longs[3] = {1, -2, 3};
    static const char *strs[2] = {"a\xc3\xa9", "z"};
    static mh_guid g = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
    static mh_bin bins[2] = {{2, (const uint8_t *)"\x01\x02"}, {0, (const uint8_t *)""}};
    uint16_t n = 0;
    memset(v, 0, 16 * sizeof *v);
    v[n].tag = T_LONG; v[n++].v.i32 = -123456;
    v[n].tag = T_SHORT; v[n++].v.i16 = -7;
    v[n].tag = T_DOUBLE; v[n++].v.f64 = 3.25;
    v[n].tag = T_FLOAT; v[n++].v.f32 = 1.5f;
    v[n].tag = T_BOOL; v[n++].v.b = 1;
    v[n].tag = T_I8; v[n++].v.i64 = -((int64_t)1 << 40);
    v[n].tag = T_TIME; v[n++].v.ft = 0x01D9000011112222ull;
    v[n].tag = T_BIN; v[n].v.bin.len = 3; v[n++].v.bin.data = (const uint8_t *)"\x00\xff\x10";
    v[n].tag = string8 ? T_STR8 : T_STR; v[n++].v.str = "caf\xc3\xa9";
    v[n].tag = T_GUID; v[n++].v.guid = &g;
    v[n].tag = T_MVLONG; v[n].v.mv.n = 3; v[n++].v.mv.v = longs;
    v[n].tag = T_MVSTR; v[n].v.mv.n = 2; v[n++].v.mv.v = strs;
    v[n].tag = T_CUR; v[n++].v.i64 = 1234567;
    v[n].tag = T_APPT; v[n++].v.f64 = 45000.5;
    v[n].tag = T_MVBIN; v[n].v.mv.n = 2; v[n++].v.mv.v = bins;
    return n;
}

static void check_every_type(mh_propval *got, const mh_propval *want, uint16_t n)
{
    for (uint16_t i = 0; i < n; i++) {
        mh_propval w = want[i];
        if (MH_TAG_TYPE(w.tag) == PT_STRING8)
            w.tag = MH_TAG_RETYPE(w.tag, PT_UNICODE);
        if (!mh_propval_equal(&got[i], &w)) {
            printf("# value %u (tag %08X, got %08X) differs\n", i, w.tag, got[i].tag);
            CHECK(0);
        }
    }
}

/* Set and read back every type on the logon (mailbox) object, strings in
 * both widths. */
static void test_set_get_logon(void)
{
    uint32_t h[2] = {logon_h, 0xFFFFFFFF};
    mh_propval v[16];
    uint16_t n = every_type(v, 1);
    mh_propproblem *p;
    uint16_t np;
    CHECK_EQ_U(set_props(h, 2, v, n, &p, &np, F.code_page), 0);
    CHECK_EQ_U(np, 0);
    mh_proptag cols[16];
    for (uint16_t i = 0; i < n; i++)
        cols[i] = v[i].tag;
    mh_propval *got;
    CHECK_EQ_U(get_props(h, 2, cols, n, 0, 1, &got), 0);
    if (got)
        check_every_type(got, v, n);

    /* the string as PT_UNICODE on the wire: "café" in UTF-16LE */
    mh_wr *w = rq();
    hdr(w, 0x07, 0);
    mh_wr_u16(w, 0);
    mh_wr_u16(w, 1);
    mh_proptag c2[3] = {T_STR, T_STR8, MH_TAG(0x7009, PT_UNSPECIFIED)};
    mh_wr_tag_array(w, c2, 3);
    resp r;
    CHECK_EQ_U(run(w, h, 2, &r), 0);
    CHECK_EQ_U(r.rv, 0);
    /* StandardPropertyRow: flag 0, UTF-16 "café\0", cp1252 "caf\xe9\0",
     * then the untyped column as PtypString (WantUnicode 1) */
    static const unsigned char row[] = {
        0x00, 'c', 0, 'a', 0, 'f', 0, 0xE9, 0, 0, 0, 'c', 'a', 'f', 0xE9, 0,
        0x1F, 0x00, 'c', 0, 'a', 0, 'f', 0, 0xE9, 0, 0, 0};
    CHECK_MEM(r.body.p, mh_rd_left(&r.body), row, sizeof row);

    /* WantUnicode 0: the untyped column comes as PtypString8 */
    w = rq();
    hdr(w, 0x07, 0);
    mh_wr_u16(w, 0);
    mh_wr_u16(w, 0);
    mh_wr_tag_array(w, c2 + 2, 1);
    CHECK_EQ_U(run(w, h, 2, &r), 0);
    static const unsigned char row8[] = {0x00, 0x1E, 0x00, 'c', 'a', 'f', 0xE9, 0};
    CHECK_MEM(r.body.p, mh_rd_left(&r.body), row8, sizeof row8);

    /* set as Unicode, read back as 8-bit */
    v[8].tag = T_STR;
    v[8].v.str = "\xc3\xa9t\xc3\xa9";
    CHECK_EQ_U(set_props(h, 2, &v[8], 1, &p, &np, F.code_page), 0);
    mh_proptag c8 = T_STR8;
    CHECK_EQ_U(get_props(h, 2, &c8, 1, 0, 1, &got), 0);
    if (got)
        CHECK_STR(got[0].v.str, "\xc3\xa9t\xc3\xa9");
}

static void test_problems_and_delete(void)
{
    uint32_t h[2] = {logon_h, 0xFFFFFFFF};
    /* PR_ENTRYID is computed: a problem at its index, the rest is set */
    mh_propval v[3];
    memset(v, 0, sizeof v);
    v[0].tag = T_LONG; v[0].v.i32 = 5;
    v[1].tag = MH_TAG(0x0FFF, PT_BINARY); v[1].v.bin.len = 1; v[1].v.bin.data = (const uint8_t *)"x";
    v[2].tag = T_SHORT; v[2].v.i16 = 9;
    mh_propproblem *p;
    uint16_t np;
    CHECK_EQ_U(set_props(h, 2, v, 3, &p, &np, F.code_page), 0);
    CHECK_EQ_U(np, 1);
    if (np == 1) {
        CHECK_EQ_U(p[0].index, 1);
        CHECK_EQ_U(p[0].tag, MH_TAG(0x0FFF, PT_BINARY));
        CHECK_EQ_U(p[0].err, MAPI_E_COMPUTED);
    }
    mh_proptag cols[2] = {T_LONG, T_SHORT};
    mh_propval *got;
    CHECK_EQ_U(get_props(h, 2, cols, 2, 0, 1, &got), 0);
    if (got) {
        CHECK_EQ_U(got[0].v.i32, 5);
        CHECK_EQ_U(got[1].v.i16, 9);
    }

    /* DeleteProperties: T_LONG goes, PR_ENTRYID is a problem */
    mh_wr *w = rq();
    hdr(w, 0x0B, 0);
    mh_proptag del[2] = {MH_TAG(0x0FFF, PT_BINARY), T_LONG};
    mh_wr_tag_array(w, del, 2);
    resp r;
    CHECK_EQ_U(run(w, h, 2, &r), 0);
    CHECK_EQ_U(r.rv, 0);
    CHECK(mh_rd_problems(&r.body, P, &p, &np) == 0 && np == 1 && p[0].index == 0 &&
          p[0].err == MAPI_E_COMPUTED);
    CHECK_EQ_U(get_props(h, 2, cols, 2, 0, 1, &got), 0);
    if (got) {
        CHECK_EQ_U(got[0].tag, MH_TAG(0x7001, PT_ERROR));
        CHECK_EQ_U(got[0].v.err, MAPI_E_NOT_FOUND);
        CHECK_EQ_U(got[1].v.i16, 9);
    }

    /* GetPropertiesList names what is there; GetPropertiesAll has it */
    w = rq();
    hdr(w, 0x09, 0);
    CHECK_EQ_U(run(w, h, 2, &r), 0);
    mh_proptag *tags;
    uint16_t nt;
    CHECK(mh_rd_tag_array(&r.body, 0xFFFF, P, &tags, &nt) == 0);
    int short_seen = 0, long_seen = 0;
    for (uint16_t i = 0; i < nt; i++) {
        short_seen |= tags[i] == T_SHORT;
        long_seen |= MH_TAG_ID(tags[i]) == 0x7001;
    }
    CHECK(short_seen && !long_seen);
    w = rq();
    hdr(w, 0x08, 0);
    mh_wr_u16(w, 0);
    mh_wr_u16(w, 1);
    CHECK_EQ_U(run(w, h, 2, &r), 0);
    uint16_t nv = mh_rd_u16(&r.body);
    short_seen = 0;
    for (uint16_t i = 0; i < nv && !r.body.err; i++) {
        mh_propval pv;
        CHECK(mh_rd_tagged_propval(&r.body, F.code_page, P, &pv) == 0);
        if (pv.tag == T_SHORT)
            short_seen = pv.v.i16 == 9;
    }
    CHECK(short_seen);
    CHECK_EQ_U(mh_rd_left(&r.body), 0);
}

/* PropertySizeLimit: a value bigger than the limit is NotEnoughMemory in a
 * flagged row (MS-OXCPRPT 3.2.5.1) */
static void test_size_limit(void)
{
    uint32_t h[2] = {logon_h, 0xFFFFFFFF};
    static unsigned char big[3000];
    memset(big, 'q', sizeof big);
    mh_propval v;
    memset(&v, 0, sizeof v);
    v.tag = T_BIN;
    v.v.bin.len = sizeof big;
    v.v.bin.data = big;
    mh_propproblem *p;
    uint16_t np;
    CHECK_EQ_U(set_props(h, 2, &v, 1, &p, &np, F.code_page), 0);
    mh_proptag cols[2] = {T_BIN, T_SHORT};
    mh_propval *got;
    CHECK_EQ_U(get_props(h, 2, cols, 2, 100, 1, &got), 0);
    if (got) {
        CHECK_EQ_U(got[0].tag, MH_TAG(0x7008, PT_ERROR));
        CHECK_EQ_U(got[0].v.err, MAPI_E_NOT_ENOUGH_MEMORY);
        CHECK_EQ_U(got[1].v.i16, 9);
    }
    CHECK_EQ_U(get_props(h, 2, cols, 2, 0, 1, &got), 0);
    if (got)
        CHECK_EQ_U(got[0].v.bin.len, sizeof big);
}

/* ------------------------------------------------- named properties */

static const mh_guid ps_public = {{0x29, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0,
                                   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};
static const mh_guid ps_mapi = {{0x28, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0,
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};

static uint32_t ids_from_names(uint32_t *h, const mh_propname *n, uint16_t cnt, uint8_t flags,
                               uint16_t *ids, uint16_t *nids)
{
    mh_wr *w = rq();
    hdr(w, 0x56, 0);
    mh_wr_u8(w, flags);
    mh_wr_u16(w, cnt);
    for (uint16_t i = 0; i < cnt; i++)
        mh_wr_propname(w, &n[i]);
    resp r;
    uint32_t ec = run(w, h, 2, &r);
    if (ec)
        return ec;
    if (r.rv && r.rv != MAPI_W_ERRORS_RETURNED)
        return r.rv;
    *nids = mh_rd_u16(&r.body);
    for (uint16_t i = 0; i < *nids && i < 8; i++)
        ids[i] = mh_rd_u16(&r.body);
    return r.rv;
}

static void test_named(void)
{
    uint32_t h[2] = {logon_h, 0xFFFFFFFF};
    mh_propname n[4];
    memset(n, 0, sizeof n);
    n[0].guid = ps_public; n[0].kind = MH_MNID_STRING; n[0].name = "X-Test-\xc3\xa9";
    n[1].guid = ps_public; n[1].kind = MH_MNID_ID; n[1].lid = 0x8501;
    n[2].guid = ps_mapi; n[2].kind = MH_MNID_ID; n[2].lid = 0x3001;
    n[3].guid = ps_mapi; n[3].kind = MH_MNID_STRING; n[3].name = "nope";
    uint16_t ids[8] = {0}, nids = 0;
    /* unknown names without Create: 0 and ErrorsReturned */
    CHECK_EQ_U(ids_from_names(h, n, 4, 0, ids, &nids), MAPI_W_ERRORS_RETURNED);
    CHECK_EQ_U(nids, 4);
    CHECK_EQ_U(ids[0], 0);
    CHECK_EQ_U(ids[1], 0);
    CHECK_EQ_U(ids[2], 0x3001); /* PS_MAPI LID = the property ID */
    CHECK_EQ_U(ids[3], 0);
    /* Create: IDs from 0x8000; PS_MAPI strings still map to nothing */
    CHECK_EQ_U(ids_from_names(h, n, 4, 0x02, ids, &nids), MAPI_W_ERRORS_RETURNED);
    uint16_t a = ids[0], b = ids[1];
    CHECK(a >= 0x8000 && b >= 0x8000 && a != b);
    CHECK_EQ_U(ids[3], 0);
    /* known now, without Create, in another batch */
    CHECK_EQ_U(ids_from_names(h, n, 2, 0, ids, &nids), 0);
    CHECK_EQ_U(ids[0], a);
    CHECK_EQ_U(ids[1], b);
    /* no names: every registered ID */
    CHECK_EQ_U(ids_from_names(h, n, 0, 0, ids, &nids), 0);
    CHECK(nids >= 2);

    /* the reverse */
    mh_wr *w = rq();
    hdr(w, 0x55, 0);
    mh_wr_u16(w, 4);
    mh_wr_u16(w, b);
    mh_wr_u16(w, 0x0037);
    mh_wr_u16(w, a);
    mh_wr_u16(w, 0xFFF0);
    resp r;
    CHECK_EQ_U(run(w, h, 2, &r), 0);
    CHECK_EQ_U(r.rv, 0);
    CHECK_EQ_U(mh_rd_u16(&r.body), 4);
    mh_propname got[4];
    for (int i = 0; i < 4; i++)
        CHECK(mh_rd_propname(&r.body, P, &got[i]) == 0);
    CHECK(got[0].kind == MH_MNID_ID && got[0].lid == 0x8501 &&
          memcmp(got[0].guid.b, ps_public.b, 16) == 0);
    CHECK(got[1].kind == MH_MNID_ID && got[1].lid == 0x0037 &&
          memcmp(got[1].guid.b, ps_mapi.b, 16) == 0);
    CHECK(got[2].kind == MH_MNID_STRING && got[2].name &&
          strcmp(got[2].name, "X-Test-\xc3\xa9") == 0);
    CHECK_EQ_U(got[3].kind, 0xFF);
    CHECK_EQ_U(mh_rd_left(&r.body), 0);

    /* QueryNamedProperties: NoStrings leaves the LID name, a GUID filter */
    w = rq();
    hdr(w, 0x5F, 0);
    mh_wr_u8(w, 0x01);
    mh_wr_u8(w, 1);
    mh_wr_bytes(w, ps_public.b, 16);
    CHECK_EQ_U(run(w, h, 2, &r), 0);
    CHECK_EQ_U(r.rv, 0);
    uint16_t cnt = mh_rd_u16(&r.body);
    CHECK_EQ_U(cnt, 1);
    CHECK_EQ_U(mh_rd_u16(&r.body), b);
    CHECK(mh_rd_propname(&r.body, P, &got[0]) == 0 && got[0].lid == 0x8501);
    /* unknown flags */
    w = rq();
    hdr(w, 0x5F, 0);
    mh_wr_u8(w, 0x04);
    mh_wr_u8(w, 0);
    CHECK_EQ_U(run(w, h, 2, &r), 0);
    CHECK_EQ_U(r.rv, MAPI_E_INVALID_PARAMETER);

    /* a value under the named ID round-trips */
    mh_propval v;
    memset(&v, 0, sizeof v);
    v.tag = MH_TAG(a, PT_LONG);
    v.v.i32 = 77;
    mh_propproblem *p;
    uint16_t np;
    CHECK_EQ_U(set_props(h, 2, &v, 1, &p, &np, F.code_page), 0);
    mh_propval *gv;
    CHECK_EQ_U(get_props(h, 2, &v.tag, 1, 0, 1, &gv), 0);
    if (gv)
        CHECK_EQ_U(gv[0].v.i32, 77);
}

/* ------------------------------------------------------ error cases */

static void test_errors(void)
{
    uint32_t h[2] = {logon_h, 0xFFFFFFFF};
    resp r;
    /* a bad handle index and an empty slot */
    mh_wr *w = rq();
    hdr(w, 0x09, 7);
    CHECK_EQ_U(run(w, h, 2, &r), 0);
    CHECK_EQ_U(r.rv, EC_NULL_OBJECT);
    w = rq();
    hdr(w, 0x09, 1);
    CHECK_EQ_U(run(w, h, 2, &r), 0);
    CHECK_EQ_U(r.rv, EC_NULL_OBJECT);
    /* stream ROPs on a logon: not a stream */
    w = rq();
    hdr(w, 0x5E, 0);
    CHECK_EQ_U(run(w, h, 2, &r), 0);
    CHECK_EQ_U(r.rv, MAPI_E_NO_SUPPORT);
    /* OpenStream on a logon object: not a folder, message or attachment */
    w = rq();
    hdr(w, 0x2B, 0);
    mh_wr_u8(w, 1);
    mh_wr_u32(w, T_BIN);
    mh_wr_u8(w, 0);
    CHECK_EQ_U(run(w, h, 2, &r), 0);
    CHECK_EQ_U(r.rv, MAPI_E_NO_SUPPORT);
    CHECK_EQ_U(h[1], 0xFFFFFFFF);
    /* Progress: nothing ever runs asynchronously */
    w = rq();
    hdr(w, 0x50, 0);
    mh_wr_u8(w, 0);
    CHECK_EQ_U(run(w, h, 2, &r), 0);
    CHECK_EQ_U(r.rv, MAPI_E_NO_SUPPORT);
    /* CopyProperties from a logon: not a folder, message or attachment */
    w = rq();
    hdr(w, 0x67, 0);
    mh_wr_u8(w, 1);
    mh_wr_u8(w, 0);
    mh_wr_u8(w, 0);
    mh_wr_u16(w, 0);
    CHECK_EQ_U(run(w, h, 2, &r), 0);
    CHECK_EQ_U(r.rv, MAPI_E_NO_SUPPORT);
    CHECK_EQ_U(r.id, 0x67);
    /* the session goes on */
    w = rq();
    hdr(w, 0x09, 0);
    CHECK_EQ_U(run(w, h, 2, &r), 0);
    CHECK_EQ_U(r.rv, 0);
}

/* ----------------------------------------------------- folder streams */

static uint32_t open_stream(uint32_t *h, uint32_t nh, uint8_t in, uint8_t out, mh_proptag tag,
                            uint8_t mode, uint32_t *size_r)
{
    mh_wr *w = rq();
    hdr(w, 0x2B, in);
    mh_wr_u8(w, out);
    mh_wr_u32(w, tag);
    mh_wr_u8(w, mode);
    resp r;
    uint32_t ec = run(w, h, nh, &r);
    if (ec)
        return ec;
    if (!r.rv && size_r)
        *size_r = mh_rd_u32(&r.body);
    return r.rv;
}

static uint32_t simple(uint32_t *h, uint32_t nh, uint8_t id, uint8_t in, resp *r)
{
    mh_wr *w = rq();
    hdr(w, id, in);
    uint32_t ec = run(w, h, nh, r);
    return ec ? ec : r->rv;
}

static uint32_t write_stream(uint32_t *h, uint32_t nh, uint8_t in, const void *d, uint16_t n,
                             uint16_t *written)
{
    mh_wr *w = rq();
    hdr(w, 0x2D, in);
    mh_wr_u16(w, n);
    mh_wr_bytes(w, d, n);
    resp r;
    uint32_t ec = run(w, h, nh, &r);
    if (ec)
        return ec;
    if (!r.rv && written)
        *written = mh_rd_u16(&r.body);
    return r.rv;
}

static uint32_t seek(uint32_t *h, uint32_t nh, uint8_t in, uint8_t origin, int64_t off,
                     uint64_t *pos)
{
    mh_wr *w = rq();
    hdr(w, 0x2E, in);
    mh_wr_u8(w, origin);
    mh_wr_u64(w, (uint64_t)off);
    resp r;
    uint32_t ec = run(w, h, nh, &r);
    if (ec)
        return ec;
    if (!r.rv && pos)
        *pos = mh_rd_u64(&r.body);
    return r.rv;
}

/* Reads up to n bytes (ByteCount, or the 0xBABE form when babe). */
static uint32_t read_stream(uint32_t *h, uint32_t nh, uint8_t in, uint32_t n, int babe,
                            unsigned char *out, uint32_t *got)
{
    mh_wr *w = rq();
    hdr(w, 0x2C, in);
    if (babe) {
        mh_wr_u16(w, 0xBABE);
        mh_wr_u32(w, n);
    } else {
        mh_wr_u16(w, (uint16_t)n);
    }
    resp r;
    uint32_t ec = run(w, h, nh, &r);
    if (ec)
        return ec;
    if (r.rv)
        return r.rv;
    uint16_t ds = mh_rd_u16(&r.body);
    const unsigned char *p = mh_rd_bytes(&r.body, ds);
    if (!p)
        return 0xDEAD;
    memcpy(out, p, ds);
    *got = ds;
    return 0;
}

static void test_folder_stream(void)
{
    if (!have(MH_OT_FOLDER, "folder streams"))
        return;
    uint32_t h[4] = {logon_h, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF};
    CHECK_EQ_U(open_folder(h, 4, 1, fids[4]), 0);
    uint32_t size = 99;
    /* a missing value opens only with Create */
    CHECK_EQ_U(open_stream(h, 4, 1, 2, T_BIN, 0, &size), MAPI_E_NOT_FOUND);
    CHECK_EQ_U(h[2], 0xFFFFFFFF);
    /* PT_LONG cannot be a stream */
    CHECK_EQ_U(open_stream(h, 4, 1, 2, T_LONG, 2, &size), MAPI_E_NO_SUPPORT);
    /* unknown open mode */
    CHECK_EQ_U(open_stream(h, 4, 1, 2, T_BIN, 9, &size), MAPI_E_INVALID_PARAMETER);

    CHECK_EQ_U(open_stream(h, 4, 1, 2, T_BIN, 2, &size), 0);
    CHECK_EQ_U(size, 0);
    uint16_t wr = 0;
    CHECK_EQ_U(write_stream(h, 4, 2, "hello world", 11, &wr), 0);
    CHECK_EQ_U(wr, 11);
    uint64_t pos = 0;
    CHECK_EQ_U(seek(h, 4, 2, 0, 6, &pos), 0);
    CHECK_EQ_U(pos, 6);
    CHECK_EQ_U(write_stream(h, 4, 2, "WORLD!", 6, &wr), 0);
    resp r;
    CHECK_EQ_U(simple(h, 4, 0x5E, 2, &r), 0);
    CHECK_EQ_U(mh_rd_u32(&r.body), 12);
    /* seeks: relative, from the end, before the start, past 2^31 */
    CHECK_EQ_U(seek(h, 4, 2, 1, -3, &pos), 0);
    CHECK_EQ_U(pos, 9);
    CHECK_EQ_U(seek(h, 4, 2, 2, -12, &pos), 0);
    CHECK_EQ_U(pos, 0);
    CHECK_EQ_U(seek(h, 4, 2, 2, -13, &pos), EC_STREAM_SEEK_ERROR);
    CHECK_EQ_U(seek(h, 4, 2, 0, -1, &pos), EC_STREAM_SEEK_ERROR);
    CHECK_EQ_U(seek(h, 4, 2, 0, (int64_t)1 << 32, &pos), EC_STREAM_SEEK_ERROR);
    CHECK_EQ_U(seek(h, 4, 2, 3, 0, &pos), EC_STREAM_INVALID_PARAM);
    /* the pointer stayed at 0 */
    unsigned char buf[64];
    uint32_t got = 0;
    CHECK_EQ_U(read_stream(h, 4, 2, 5, 0, buf, &got), 0);
    CHECK_MEM(buf, got, "hello", 5);
    CHECK_EQ_U(read_stream(h, 4, 2, 100, 1, buf, &got), 0);
    CHECK_MEM(buf, got, " WORLD!", 7);
    /* at the end: nothing more */
    CHECK_EQ_U(read_stream(h, 4, 2, 100, 0, buf, &got), 0);
    CHECK_EQ_U(got, 0);
    /* MaximumByteCount beyond 2^31 is malformed (MS-OXCPRPT 3.2.5.14) */
    CHECK_EQ_U(read_stream(h, 4, 2, 0x80000001u, 1, buf, &got), EC_RPC_FORMAT);

    /* SetStreamSize: shrink, then grow with zeros; the pointer stays */
    mh_wr *w = rq();
    hdr(w, 0x2F, 2);
    mh_wr_u64(w, 5);
    CHECK_EQ_U(run(w, h, 4, &r), 0);
    CHECK_EQ_U(r.rv, 0);
    w = rq();
    hdr(w, 0x2F, 2);
    mh_wr_u64(w, 7);
    CHECK_EQ_U(run(w, h, 4, &r), 0);
    CHECK_EQ_U(seek(h, 4, 2, 0, 0, &pos), 0);
    CHECK_EQ_U(read_stream(h, 4, 2, 100, 0, buf, &got), 0);
    CHECK_MEM(buf, got, "hello\0\0", 7);
    w = rq();
    hdr(w, 0x2F, 2);
    mh_wr_u64(w, (uint64_t)1 << 40);
    CHECK_EQ_U(run(w, h, 4, &r), 0);
    CHECK_EQ_U(r.rv, EC_STREAM_SIZE_ERROR);

    /* Lock/Unlock succeed without effect */
    w = rq();
    hdr(w, 0x5B, 2);
    mh_wr_u64(w, 0);
    mh_wr_u64(w, 4);
    mh_wr_u32(w, 1);
    CHECK_EQ_U(run(w, h, 4, &r), 0);
    CHECK_EQ_U(r.rv, 0);
    w->buf[0] = 0x5C;
    CHECK_EQ_U(run(w, h, 4, &r), 0);
    CHECK_EQ_U(r.rv, 0);

    /* not yet committed: the folder has no value */
    h[0] = h[1];
    mh_propval *gv;
    mh_proptag col = T_BIN;
    CHECK_EQ_U(get_props(h, 4, &col, 1, 0, 1, &gv), 0);
    if (gv)
        CHECK_EQ_U(gv[0].tag, MH_TAG(0x7008, PT_ERROR));
    h[0] = logon_h;
    CHECK_EQ_U(simple(h, 4, 0x5D, 2, &r), 0);
    h[0] = h[1];
    CHECK_EQ_U(get_props(h, 4, &col, 1, 0, 1, &gv), 0);
    if (gv)
        CHECK_MEM(gv[0].v.bin.data, gv[0].v.bin.len, "hello\0\0", 7);
    h[0] = logon_h;

    /* CloneStream: same data, own pointer */
    w = rq();
    hdr(w, 0x3B, 2);
    mh_wr_u8(w, 3);
    CHECK_EQ_U(run(w, h, 4, &r), 0);
    CHECK_EQ_U(r.rv, 0);
    CHECK(h[3] != 0xFFFFFFFF);
    CHECK_EQ_U(seek(h, 4, 3, 0, 1, &pos), 0);
    CHECK_EQ_U(read_stream(h, 4, 3, 3, 0, buf, &got), 0);
    CHECK_MEM(buf, got, "ell", 3);
    /* CopyToStream: 2 bytes from the clone (at 4: "o\0") into the stream
     * (at 7) */
    w = rq();
    hdr(w, 0x3A, 3);
    mh_wr_u8(w, 2);
    mh_wr_u64(w, 2);
    CHECK_EQ_U(run(w, h, 4, &r), 0);
    CHECK_EQ_U(r.rv, 0);
    CHECK_EQ_U(mh_rd_u64(&r.body), 2);
    CHECK_EQ_U(mh_rd_u64(&r.body), 2);
    CHECK_EQ_U(simple(h, 4, 0x5E, 2, &r), 0);
    CHECK_EQ_U(mh_rd_u32(&r.body), 9);
    /* to an empty slot: NullDestinationObject */
    w = rq();
    hdr(w, 0x3A, 3);
    mh_wr_u8(w, 0x30);
    mh_wr_u64(w, 2);
    CHECK_EQ_U(run(w, h, 4, &r), 0);
    CHECK_EQ_U(r.rv, EC_DST_NULL_OBJECT);

    /* read-only streams refuse writes and size changes */
    CHECK_EQ_U(open_stream(h, 4, 1, 3, T_BIN, 0, &size), 0);
    CHECK_EQ_U(size, 7);
    CHECK_EQ_U(write_stream(h, 4, 3, "x", 1, &wr), EC_STREAM_ACCESS_DENIED);
    w = rq();
    hdr(w, 0x2F, 3);
    mh_wr_u64(w, 1);
    CHECK_EQ_U(run(w, h, 4, &r), 0);
    CHECK_EQ_U(r.rv, EC_STREAM_ACCESS_DENIED);
    /* WriteAndCommitStream */
    w = rq();
    hdr(w, 0x90, 2);
    mh_wr_u16(w, 2);
    mh_wr_bytes(w, "!!", 2);
    CHECK_EQ_U(run(w, h, 4, &r), 0);
    CHECK_EQ_U(r.rv, 0);
    CHECK_EQ_U(mh_rd_u16(&r.body), 2);
    h[0] = h[1];
    CHECK_EQ_U(get_props(h, 4, &col, 1, 0, 1, &gv), 0);
    if (gv)
        CHECK_MEM(gv[0].v.bin.data, gv[0].v.bin.len, "hello\0\0o\0!!", 11);
    h[0] = logon_h;

    /* CopyProperties to an empty slot: NullDestinationObject with the
     * destination index in the failure response (MS-OXCROPS 2.2.8.11.3) */
    w = rq();
    hdr(w, 0x67, 1);
    mh_wr_u8(w, 0x21);
    mh_wr_u8(w, 0);
    mh_wr_u8(w, 0);
    mh_wr_u16(w, 0);
    CHECK_EQ_U(run(w, h, 4, &r), 0);
    CHECK_EQ_U(r.rv, EC_DST_NULL_OBJECT);
    CHECK_EQ_U(mh_rd_u32(&r.body), 0x21);
    /* folder to folder: a folder's values are not moved (NotSupported,
     * MS-OXCPRPT 3.2.5.7), and nothing is copied either */
    CHECK_EQ_U(open_folder(h, 4, 3, fids[5]), 0);
    mh_proptag ct[2] = {T_I8, T_BIN};
    w = rq();
    hdr(w, 0x67, 1);
    mh_wr_u8(w, 3);
    mh_wr_u8(w, 0);
    mh_wr_u8(w, 0x01);
    mh_wr_tag_array(w, ct, 2);
    CHECK_EQ_U(run(w, h, 4, &r), 0);
    CHECK_EQ_U(r.rv, MAPI_E_NO_SUPPORT);
    h[0] = h[3];
    gv = NULL;
    CHECK_EQ_U(get_props(h, 4, &col, 1, 0, 1, &gv), 0);
    if (gv)
        CHECK_EQ_U(gv[0].tag, MH_TAG(0x7008, PT_ERROR));
    h[0] = logon_h;
    /* copied: the Outbox gets T_BIN and the Inbox keeps it; a missing tag
     * is NotFound at its index */
    w = rq();
    hdr(w, 0x67, 1);
    mh_wr_u8(w, 3);
    mh_wr_u8(w, 0);
    mh_wr_u8(w, 0);
    mh_wr_tag_array(w, ct, 2);
    CHECK_EQ_U(run(w, h, 4, &r), 0);
    CHECK_EQ_U(r.rv, 0);
    mh_propproblem *pp;
    uint16_t npp;
    CHECK(mh_rd_problems(&r.body, P, &pp, &npp) == 0 && npp == 1 && pp[0].index == 0 &&
          pp[0].err == MAPI_E_NOT_FOUND);
    h[0] = h[3];
    gv = NULL;
    CHECK_EQ_U(get_props(h, 4, &col, 1, 0, 1, &gv), 0);
    if (gv)
        CHECK_MEM(gv[0].v.bin.data, gv[0].v.bin.len, "hello\0\0o\0!!", 11);
    h[0] = h[1];
    gv = NULL;
    CHECK_EQ_U(get_props(h, 4, &col, 1, 0, 1, &gv), 0);
    if (gv)
        CHECK_MEM(gv[0].v.bin.data, gv[0].v.bin.len, "hello\0\0o\0!!", 11);
    h[0] = logon_h;
    /* bad CopyFlags */
    w = rq();
    hdr(w, 0x67, 1);
    mh_wr_u8(w, 3);
    mh_wr_u8(w, 0);
    mh_wr_u8(w, 0x80);
    mh_wr_u16(w, 0);
    CHECK_EQ_U(run(w, h, 4, &r), 0);
    CHECK_EQ_U(r.rv, MAPI_E_INVALID_PARAMETER);
}

/* A PT_UNICODE value through a stream: UTF-16LE on the wire */
static void test_unicode_stream(void)
{
    if (!have(MH_OT_FOLDER, "unicode streams"))
        return;
    uint32_t h[3] = {logon_h, 0xFFFFFFFF, 0xFFFFFFFF};
    CHECK_EQ_U(open_folder(h, 3, 1, fids[4]), 0);
    uint32_t size;
    CHECK_EQ_U(open_stream(h, 3, 1, 2, MH_TAG(0x3004, PT_UNICODE), 2, &size), 0);
    static const unsigned char u16[] = {'c', 0, 'a', 0, 'f', 0, 0xE9, 0};
    uint16_t wr;
    CHECK_EQ_U(write_stream(h, 3, 2, u16, sizeof u16, &wr), 0);
    resp r;
    CHECK_EQ_U(simple(h, 3, 0x5D, 2, &r), 0);
    h[0] = h[1];
    mh_proptag col = MH_TAG(0x3004, PT_STRING8);
    mh_propval *gv;
    CHECK_EQ_U(get_props(h, 3, &col, 1, 0, 1, &gv), 0);
    if (gv)
        CHECK_STR(gv[0].v.str, "caf\xc3\xa9");
    h[0] = logon_h;
    /* the same value as a PT_STRING8 stream: cp1252 bytes */
    CHECK_EQ_U(open_stream(h, 3, 1, 2, MH_TAG(0x3004, PT_STRING8), 0, &size), 0);
    CHECK_EQ_U(size, 4);
    unsigned char buf[16];
    uint32_t got;
    CHECK_EQ_U(read_stream(h, 3, 2, 16, 0, buf, &got), 0);
    CHECK_MEM(buf, got, "caf\xe9", 4);
}

/* ------------------------------------------------ a 1 MB message body */

static void test_message_body(void)
{
    if (!have(MH_OT_MESSAGE, "the 1 MB body"))
        return;
    uint32_t h[4] = {logon_h, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF};
    /* RopCreateMessage in the Inbox */
    mh_wr *w = rq();
    hdr(w, 0x06, 0);
    mh_wr_u8(w, 1);
    mh_wr_u16(w, 0x0FFF);
    mh_wr_u64(w, fids[4]);
    mh_wr_u8(w, 0);
    resp r;
    CHECK_EQ_U(run(w, h, 4, &r), 0);
    CHECK_EQ_U(r.rv, 0);
    if (r.rv)
        return;
    uint32_t size;
    CHECK_EQ_U(open_stream(h, 4, 1, 2, PR_BODY, 2, &size), 0);
    /* 1 MB of UTF-16LE: 524288 characters cycling through printable ASCII
     * and "é", written 16000 bytes per WriteStream, two per Execute (a ROP
     * buffer holds at most 32 KB) */
    const uint32_t total = 1u << 20;
    unsigned char *body = apr_palloc(P, total);
    for (uint32_t i = 0; i < total / 2; i++) {
        uint32_t c = (i % 97 == 96) ? 0xE9 : 0x20 + i % 95;
        body[2 * i] = (unsigned char)c;
        body[2 * i + 1] = 0;
    }
    uint32_t off = 0;
    size_t max_state = 0;
    while (off < total) {
        w = rq();
        for (int k = 0; k < 2 && off < total; k++) {
            uint16_t n = (uint16_t)(total - off < 16000 ? total - off : 16000);
            hdr(w, 0x2D, 2);
            mh_wr_u16(w, n);
            mh_wr_bytes(w, body + off, n);
            off += n;
        }
        CHECK_EQ_U(run(w, h, 4, &r), 0);
        CHECK_EQ_U(r.rv, 0);
        if (r.rv)
            return;
        if (F.state_bytes > max_state)
            max_state = F.state_bytes;
    }
    printf("# 1 MB stream: session state at most %zu bytes\n", max_state);
    CHECK(max_state >= total && max_state < total + 4096);
    CHECK_EQ_U(simple(h, 4, 0x5E, 2, &r), 0);
    CHECK_EQ_U(mh_rd_u32(&r.body), total);
    CHECK_EQ_U(simple(h, 4, 0x5D, 2, &r), 0);
    /* RopSaveChangesMessage (KeepOpenReadWrite) */
    w = rq();
    mh_wr_u8(w, 0x0C);
    mh_wr_u8(w, 0);
    mh_wr_u8(w, 1);
    mh_wr_u8(w, 1);
    mh_wr_u8(w, 0x02);
    CHECK_EQ_U(run(w, h, 4, &r), 0);
    CHECK_EQ_U(r.rv, 0);
    (void)mh_rd_u8(&r.body);
    uint64_t mid = mh_rd_u64(&r.body);
    /* release everything, open the message again */
    w = rq();
    hdr(w, 0x01, 2);
    hdr(w, 0x01, 1);
    CHECK_EQ_U(run(w, h, 4, &r), 0);
    w = rq();
    hdr(w, 0x03, 0);
    mh_wr_u8(w, 1);
    mh_wr_u16(w, 0x0FFF);
    mh_wr_u64(w, fids[4]);
    mh_wr_u8(w, 0);
    mh_wr_u64(w, mid);
    CHECK_EQ_U(run(w, h, 4, &r), 0);
    CHECK_EQ_U(r.rv, 0);
    CHECK_EQ_U(open_stream(h, 4, 1, 2, PR_BODY, 0, &size), 0);
    CHECK_EQ_U(size, total);
    unsigned char *back = apr_palloc(P, total);
    uint32_t have_n = 0, got;
    while (have_n < total) {
        got = 0;
        uint32_t ec = read_stream(h, 4, 2, 0xF000, 0, back + have_n, &got);
        CHECK_EQ_U(ec, 0);
        if (ec || !got)
            break;
        have_n += got;
    }
    CHECK_EQ_U(have_n, total);
    CHECK(memcmp(back, body, total) == 0);
    /* GetPropertiesSpecific cannot carry it: NotEnoughMemory, open a
     * stream (MS-OXCPRPT 3.2.5.1) */
    h[0] = h[1];
    mh_proptag col = PR_BODY;
    mh_propval *gv;
    CHECK_EQ_U(get_props(h, 4, &col, 1, 0, 1, &gv), 0);
    if (gv)
        CHECK(MH_TAG_TYPE(gv[0].tag) == PT_ERROR && gv[0].v.err == MAPI_E_NOT_ENOUGH_MEMORY);
    h[0] = logon_h;
}

/* ------------------------------------------------ releasing streams */

#define T_REL MH_TAG(0x7010, PT_BINARY)

static void release(uint32_t *h, uint32_t nh, uint8_t idx)
{
    mh_wr *w = rq();
    hdr(w, 0x01, idx);
    resp r;
    CHECK_EQ_U(run(w, h, nh, &r), 0);
}

/* The T_REL value of the object at index `idx` ("" when it has none,
 * NULL when it cannot be read). */
static const char *rel_value(uint32_t *h, uint32_t nh, uint8_t idx)
{
    uint32_t save = h[0];
    h[0] = h[idx];
    mh_propval *gv = NULL;
    mh_proptag col = T_REL;
    uint32_t ec = get_props(h, nh, &col, 1, 0, 1, &gv);
    h[0] = save;
    if (ec || !gv)
        return NULL;
    if (MH_TAG_TYPE(gv[0].tag) == PT_ERROR)
        return "";
    return apr_pstrndup(P, (const char *)gv[0].v.bin.data, gv[0].v.bin.len);
}

/* RopCreateMessage in folder `fid` from the logon into slot `out` */
static uint32_t create_message(uint32_t *h, uint32_t nh, uint8_t out, uint64_t fid)
{
    mh_wr *w = rq();
    hdr(w, 0x06, 0);
    mh_wr_u8(w, out);
    mh_wr_u16(w, 0x0FFF);
    mh_wr_u64(w, fid);
    mh_wr_u8(w, 0);
    resp r;
    uint32_t ec = run(w, h, nh, &r);
    return ec ? ec : r.rv;
}

/* RopSaveChangesMessage (KeepOpenReadWrite) of slot `in`: its MID */
static uint32_t save_message(uint32_t *h, uint32_t nh, uint8_t in, uint64_t *mid_r)
{
    mh_wr *w = rq();
    mh_wr_u8(w, 0x0C);
    mh_wr_u8(w, 0);
    mh_wr_u8(w, in);
    mh_wr_u8(w, in);
    mh_wr_u8(w, 0x02);
    resp r;
    uint32_t ec = run(w, h, nh, &r);
    if (ec || r.rv)
        return ec ? ec : r.rv;
    (void)mh_rd_u8(&r.body);
    *mid_r = mh_rd_u64(&r.body);
    return 0;
}

/* RopOpenMessage (mode 0 read-only, 1 read/write) into slot `out` */
static uint32_t open_message(uint32_t *h, uint32_t nh, uint8_t out, uint64_t fid, uint64_t mid,
                             uint8_t mode)
{
    mh_wr *w = rq();
    hdr(w, 0x03, 0);
    mh_wr_u8(w, out);
    mh_wr_u16(w, 0x0FFF);
    mh_wr_u64(w, fid);
    mh_wr_u8(w, mode);
    mh_wr_u64(w, mid);
    resp r;
    uint32_t ec = run(w, h, nh, &r);
    return ec ? ec : r.rv;
}

/*
 * MS-OXCPRPT 3.2.5.13: a Folder's value is persisted by RopCommitStream or
 * by releasing the stream; a Message's with RopSaveChangesMessage.  So a
 * release commits what is not committed yet, in every order.
 */
static void test_stream_release(void)
{
    if (!have(MH_OT_FOLDER, "stream release") || !have(MH_OT_MESSAGE, "stream release"))
        return;
    uint32_t h[5] = {logon_h, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF};
    uint32_t size;
    uint16_t wr;
    resp r;
    CHECK_EQ_U(open_folder(h, 5, 1, fids[6]), 0);
    CHECK_STR(rel_value(h, 5, 1), "");

    /* released without RopCommitStream: the folder has the value */
    CHECK_EQ_U(open_stream(h, 5, 1, 2, T_REL, 2, &size), 0);
    CHECK_EQ_U(write_stream(h, 5, 2, "abc", 3, &wr), 0);
    CHECK_STR(rel_value(h, 5, 1), "");
    release(h, 5, 2);
    CHECK_STR(rel_value(h, 5, 1), "abc");
    /* and it is stored: another folder object sees it */
    CHECK_EQ_U(open_folder(h, 5, 3, fids[6]), 0);
    CHECK_STR(rel_value(h, 5, 3), "abc");
    release(h, 5, 3);

    /* committed, then released: the release adds nothing (a value set
     * meanwhile stays) */
    CHECK_EQ_U(open_stream(h, 5, 1, 2, T_REL, 1, &size), 0);
    CHECK_EQ_U(size, 3);
    CHECK_EQ_U(write_stream(h, 5, 2, "X", 1, &wr), 0);
    CHECK_EQ_U(simple(h, 5, 0x5D, 2, &r), 0);
    CHECK_STR(rel_value(h, 5, 1), "Xbc");
    mh_propval v;
    memset(&v, 0, sizeof v);
    v.tag = T_REL;
    v.v.bin.len = 3;
    v.v.bin.data = (const uint8_t *)"zzz";
    mh_propproblem *pp;
    uint16_t npp;
    h[0] = h[1];
    CHECK_EQ_U(set_props(h, 5, &v, 1, &pp, &npp, F.code_page), 0);
    h[0] = logon_h;
    release(h, 5, 2);
    CHECK_STR(rel_value(h, 5, 1), "zzz");
    /* committed, written again, released: the later bytes win */
    CHECK_EQ_U(open_stream(h, 5, 1, 2, T_REL, 1, &size), 0);
    CHECK_EQ_U(write_stream(h, 5, 2, "y", 1, &wr), 0);
    CHECK_EQ_U(simple(h, 5, 0x5D, 2, &r), 0);
    CHECK_EQ_U(write_stream(h, 5, 2, "Y", 1, &wr), 0);
    CHECK_STR(rel_value(h, 5, 1), "yzz");
    release(h, 5, 2);
    CHECK_STR(rel_value(h, 5, 1), "yYz");

    /* read-only streams change nothing when released */
    CHECK_EQ_U(open_stream(h, 5, 1, 2, T_REL, 0, &size), 0);
    release(h, 5, 2);
    CHECK_STR(rel_value(h, 5, 1), "yYz");

    /* the parent released first: the stream goes with it, committed */
    CHECK_EQ_U(open_stream(h, 5, 1, 2, T_REL, 2, &size), 0);
    CHECK_EQ_U(write_stream(h, 5, 2, "parent", 6, &wr), 0);
    release(h, 5, 1);
    unsigned char buf[16];
    uint32_t got;
    CHECK_EQ_U(read_stream(h, 5, 2, 4, 0, buf, &got), EC_NULL_OBJECT);
    CHECK_EQ_U(open_folder(h, 5, 1, fids[6]), 0);
    CHECK_STR(rel_value(h, 5, 1), "parent");

    /* a message: the released stream's data is in the instance (not yet
     * stored), saved by RopSaveChangesMessage */
    CHECK_EQ_U(create_message(h, 5, 2, fids[6]), 0);
    CHECK_EQ_U(open_stream(h, 5, 2, 3, T_REL, 2, &size), 0);
    CHECK_EQ_U(write_stream(h, 5, 3, "m1", 2, &wr), 0);
    CHECK_STR(rel_value(h, 5, 2), "");
    release(h, 5, 3);
    CHECK_STR(rel_value(h, 5, 2), "m1");
    uint64_t mid = 0;
    CHECK_EQ_U(save_message(h, 5, 2, &mid), 0);
    release(h, 5, 2);
    CHECK_EQ_U(open_message(h, 5, 2, fids[6], mid, 1), 0);
    CHECK_STR(rel_value(h, 5, 2), "m1");

    /* the message released before it is saved: the stream commits into
     * an instance that goes away, nothing is stored */
    CHECK_EQ_U(open_stream(h, 5, 2, 3, T_REL, 2, &size), 0);
    CHECK_EQ_U(write_stream(h, 5, 3, "lost", 4, &wr), 0);
    release(h, 5, 2);
    CHECK_EQ_U(read_stream(h, 5, 3, 4, 0, buf, &got), EC_NULL_OBJECT);
    CHECK_EQ_U(open_message(h, 5, 2, fids[6], mid, 1), 0);
    CHECK_STR(rel_value(h, 5, 2), "m1");

    /* an attachment: released stream -> attachment instance ->
     * SaveChangesAttachment -> SaveChangesMessage */
    mh_wr *w = rq();
    hdr(w, 0x23, 2);
    mh_wr_u8(w, 3);
    CHECK_EQ_U(run(w, h, 5, &r), 0);
    CHECK_EQ_U(r.rv, 0);
    uint32_t anum = mh_rd_u32(&r.body);
    CHECK_EQ_U(open_stream(h, 5, 3, 4, T_REL, 2, &size), 0);
    CHECK_EQ_U(write_stream(h, 5, 4, "att", 3, &wr), 0);
    release(h, 5, 4);
    CHECK_STR(rel_value(h, 5, 3), "att");
    w = rq();
    mh_wr_u8(w, 0x25);
    mh_wr_u8(w, 0);
    mh_wr_u8(w, 3);
    mh_wr_u8(w, 3);
    mh_wr_u8(w, 0x02);
    CHECK_EQ_U(run(w, h, 5, &r), 0);
    CHECK_EQ_U(r.rv, 0);
    CHECK_EQ_U(save_message(h, 5, 2, &mid), 0);
    release(h, 5, 2);
    CHECK_EQ_U(open_message(h, 5, 2, fids[6], mid, 0), 0);
    w = rq();
    hdr(w, 0x22, 2);
    mh_wr_u8(w, 3);
    mh_wr_u8(w, 0);
    mh_wr_u32(w, anum);
    CHECK_EQ_U(run(w, h, 5, &r), 0);
    CHECK_EQ_U(r.rv, 0);
    CHECK_STR(rel_value(h, 5, 3), "att");

    /* a stream whose commit cannot happen (the message is read-only) is
     * released without a word and changes nothing */
    CHECK_EQ_U(open_stream(h, 5, 2, 4, T_REL, 2, &size), 0);
    CHECK_EQ_U(write_stream(h, 5, 4, "nope", 4, &wr), 0);
    CHECK_EQ_U(simple(h, 5, 0x5D, 4, &r), MAPI_E_NO_ACCESS);
    release(h, 5, 4);
    CHECK_STR(rel_value(h, 5, 2), "m1");
    release(h, 5, 2);
    release(h, 5, 1);
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&P, NULL);
    if (mh_fixture_open(&F, "alice") != 0)
        return 1;
    CHECK_EQ_U(mh_fixture_logon(&F, &logon_h, fids), 0);
    RUN(test_set_get_logon);
    RUN(test_problems_and_delete);
    RUN(test_size_limit);
    RUN(test_named);
    RUN(test_errors);
    RUN(test_folder_stream);
    RUN(test_unicode_stream);
    RUN(test_message_body);
    RUN(test_stream_release);
    mh_fixture_close(&F);
    apr_pool_destroy(P);
    return MH_TEST_DONE();
}
