/*
 * test_rop_msg.c - messages and attachments (MS-OXCMSG; MS-OXCROPS 2.2.6)
 * through the ROP fixture: a real LMDB store, the engine, no httpd.
 *
 * Property values are set through the message and attachment classes'
 * propops (what the MS-OXCPRPT ROPs call), so these tests do not depend on
 * the property family.
 */
#include "mh_test.h"
#include "rop_fixture.h"
#include "mh_entryid.h"
#include "mh_props.h"
#include "mh_unicode.h"

#include <string.h>

static mh_fixture F;
static uint32_t LOGON;
static uint64_t FIDS[13];

#define PR_OBJECT_TYPE_T MH_TAG(0x0FFE, PT_LONG)
#define PR_SMTP_ADDRESS_T MH_TAG(0x39FE, PT_UNICODE)
#define PR_DISPLAY_TYPE_T MH_TAG(0x3900, PT_LONG)
#define PR_EMAIL_ADDRESS_T MH_TAG(0x3003, PT_UNICODE)
#define PR_ADDRTYPE_T MH_TAG(0x3002, PT_UNICODE)
#define PR_RECIPIENT_TYPE_T MH_TAG(0x0C15, PT_LONG)
#define PR_MID_T MH_TAG(0x674A, PT_I8)
#define PR_ENTRYID_T MH_TAG(0x0FFF, PT_BINARY)
#define PR_DISPLAY_TO_T MH_TAG(0x0E04, PT_UNICODE)
#define PR_DISPLAY_CC_T MH_TAG(0x0E03, PT_UNICODE)
#define PR_ACCESS_LEVEL_T MH_TAG(0x0FF7, PT_LONG)

static const char *BOB_DN = "/o=Org/ou=Site/cn=Recipients/cn=bob";

/* ------------------------------------------------------------ helpers */

static const unsigned char *RESP;
static size_t RESP_LEN;

static uint32_t run(const mh_wr *req, uint32_t *h, uint32_t n)
{
    return mh_fixture_exec(&F, req->buf, req->len, h, n, &RESP, &RESP_LEN);
}

static mh_wr req_new(void)
{
    mh_wr w;
    mh_wr_init(&w, F.pool, 64);
    return w;
}

static mh_ropctx CX;
static mh_ropctx *ctx(void)
{
    memset(&CX, 0, sizeof(CX));
    CX.pool = F.pool;
    CX.ses = F.ses;
    CX.be = F.be;
    CX.user = F.user;
    CX.cp = F.code_page;
    return &CX;
}

static mh_object *obj_of(uint32_t handle)
{
    return mh_obj_find(ctx(), handle);
}

/* Sets values through an object's propops; returns the MAPI code. */
static uint32_t set_props(uint32_t handle, const mh_propval *v, uint32_t n, uint16_t *n_problems)
{
    mh_object *o = obj_of(handle);
    if (!o)
        return 0xFFFFFFFF;
    const mh_objclass *c = mh_objclass_of((mh_otype)o->type);
    mh_proplist l = {n, (mh_propval *)v};
    mh_propproblem *p;
    uint16_t np = 0;
    uint32_t ec = c->props->set(ctx(), o, &l, &p, &np);
    if (n_problems)
        *n_problems = np;
    return ec;
}

static const mh_propval *get_prop(uint32_t handle, mh_proptag tag, uint64_t large)
{
    mh_object *o = obj_of(handle);
    if (!o)
        return NULL;
    const mh_objclass *c = mh_objclass_of((mh_otype)o->type);
    mh_proplist *out = apr_pcalloc(F.pool, sizeof(*out));
    if (c->props->get(ctx(), o, &tag, 1, large, F.pool, out) != 0 || out->n != 1)
        return NULL;
    return &out->v[0];
}

/* RopCreateMessage on the logon into `fid`: the message at out_idx. */
static void wr_create_message(mh_wr *w, uint8_t in, uint8_t out, uint64_t fid, uint8_t assoc)
{
    mh_wr_u8(w, 0x06); mh_wr_u8(w, 0); mh_wr_u8(w, in); mh_wr_u8(w, out);
    mh_wr_u16(w, 0x0FFF); mh_wr_u64(w, fid); mh_wr_u8(w, assoc);
}

static void wr_open_message(mh_wr *w, uint8_t in, uint8_t out, uint64_t fid, uint8_t mode,
                            uint64_t mid)
{
    mh_wr_u8(w, 0x03); mh_wr_u8(w, 0); mh_wr_u8(w, in); mh_wr_u8(w, out);
    mh_wr_u16(w, 0x0FFF); mh_wr_u64(w, fid); mh_wr_u8(w, mode); mh_wr_u64(w, mid);
}

static void wr_save_message(mh_wr *w, uint8_t idx, uint8_t flags)
{
    mh_wr_u8(w, 0x0C); mh_wr_u8(w, 0); mh_wr_u8(w, idx); mh_wr_u8(w, idx); mh_wr_u8(w, flags);
}

static void wr_save_attachment(mh_wr *w, uint8_t idx, uint8_t flags)
{
    mh_wr_u8(w, 0x25); mh_wr_u8(w, 0); mh_wr_u8(w, idx); mh_wr_u8(w, idx); mh_wr_u8(w, flags);
}

static void wr_simple(mh_wr *w, uint8_t rop, uint8_t in)
{
    mh_wr_u8(w, rop); mh_wr_u8(w, 0); mh_wr_u8(w, in);
}

/* The RecipientRow of an SMTP recipient with the two columns
 * PR_OBJECT_TYPE, PR_SMTP_ADDRESS (both present: a standard row). */
static void wr_smtp_row(mh_wr *w, const char *email, const char *name, int32_t objtype,
                        uint16_t n_cols)
{
    mh_wr_u16(w, 0x021B); /* SMTP | E | D | U */
    mh_wr_utf16z(w, email);
    mh_wr_utf16z(w, name);
    mh_wr_u16(w, n_cols);
    if (n_cols == 2) {
        mh_wr_u8(w, 0x00);
        mh_wr_u32(w, (uint32_t)objtype);
        mh_wr_utf16z(w, email);
    } else { /* the three columns of an OpenMessage response, no display type */
        mh_wr_u8(w, 0x01);
        mh_wr_u8(w, 0x00); mh_wr_u32(w, (uint32_t)objtype);
        mh_wr_u8(w, 0x00); mh_wr_utf16z(w, email);
        mh_wr_u8(w, 0x0A); mh_wr_u32(w, MAPI_E_NOT_FOUND);
    }
}

/* An Exchange recipient (X500DN, DisplayType 0) with PR_OBJECT_TYPE only. */
static void wr_ex_row(mh_wr *w, const char *dn, const char *name, uint16_t n_cols)
{
    mh_wr_u16(w, 0x0211); /* X500DN | D | U */
    mh_wr_u8(w, 0);       /* AddressPrefixUsed */
    mh_wr_u8(w, 0);       /* DisplayType */
    mh_wr_asciiz(w, dn);
    mh_wr_utf16z(w, name);
    mh_wr_u16(w, n_cols);
    mh_wr_u8(w, 0x01);
    mh_wr_u8(w, 0x00); mh_wr_u32(w, 6);
    mh_wr_u8(w, 0x0A); mh_wr_u32(w, MAPI_E_NOT_FOUND);
    if (n_cols == 3) {
        mh_wr_u8(w, 0x00); mh_wr_u32(w, 0);
    }
}

/* RopModifyRecipients with the columns PR_OBJECT_TYPE, PR_SMTP_ADDRESS. */
static void wr_modify_header(mh_wr *w, uint8_t in, uint16_t rows)
{
    mh_wr_u8(w, 0x0E); mh_wr_u8(w, 0); mh_wr_u8(w, in);
    mh_wr_u16(w, 2);
    mh_wr_u32(w, PR_OBJECT_TYPE_T);
    mh_wr_u32(w, PR_SMTP_ADDRESS_T);
    mh_wr_u16(w, rows);
}

static void wr_modify_row(mh_wr *w, uint32_t rowid, uint8_t type, const mh_wr *row)
{
    mh_wr_u32(w, rowid);
    mh_wr_u8(w, type);
    mh_wr_u16(w, (uint16_t)(row ? row->len : 0));
    if (row)
        mh_wr_bytes(w, row->buf, row->len);
}

static uint32_t rv(size_t off)
{
    return off + 6 <= RESP_LEN ? mh_get_u32(RESP + off + 2) : 0xFFFFFFFF;
}

/* The MID in the response of a RopSaveChangesMessage at `off`. */
static uint64_t saved_mid(size_t off)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | RESP[off + 7 + i];
    return v;
}

static mh_err begin(mh_betxn **t, unsigned flags)
{
    mh_error err;
    return mh_be_begin(F.be, &F.mailbox, flags, F.pool, t, &err);
}

/* ---------------------------------------------------------- the tests */

static uint8_t BIG[40000];
static uint16_t NAMED_ID;

/* A message with recipients, values of every storable type, a named
 * property, a large attachment and an embedded message; saved, reopened
 * and compared. */
static void test_create_save_reopen(void)
{
    uint64_t inbox = FIDS[4];
    /* the named property's ID, from the backend */
    mh_betxn *t;
    REQUIRE(begin(&t, MH_TXN_WRITE) == MH_OK);
    mh_propname name;
    memset(&name, 0, sizeof(name));
    memset(name.guid.b, 0x42, 16);
    name.kind = MH_MNID_STRING;
    name.name = "x-test-name";
    mh_error err;
    REQUIRE(mh_be_named_ids(t, &name, 1, 1, &NAMED_ID, &err) == MH_OK);
    REQUIRE(mh_be_commit(t, &err) == MH_OK);
    CHECK(NAMED_ID >= MH_NAMED_FIRST);

    /* CreateMessage, ModifyRecipients, CreateAttachment */
    mh_wr w = req_new();
    wr_create_message(&w, 0, 1, inbox, 0);
    wr_modify_header(&w, 1, 2);
    mh_wr row = req_new();
    wr_smtp_row(&row, "carol@example.org", "Carol", 6, 2);
    wr_modify_row(&w, 0, 1, &row);
    row = req_new();
    wr_ex_row(&row, BOB_DN, "Bob", 2);
    wr_modify_row(&w, 1, 2, &row);
    mh_wr_u8(&w, 0x23); mh_wr_u8(&w, 0); mh_wr_u8(&w, 1); mh_wr_u8(&w, 2);
    uint32_t h[6] = {LOGON, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF};
    REQUIRE(run(&w, h, 6) == 0);
    /* CreateMessage: HasMessageId 0 (client-quirks.md) */
    CHECK_EQ_U(RESP[0], 0x06);
    CHECK_EQ_U(rv(0), 0);
    CHECK_EQ_U(RESP[6], 0);
    CHECK_EQ_U(RESP[7], 0x0E);
    CHECK_EQ_U(rv(7), 0);
    CHECK_EQ_U(RESP[13], 0x23);
    CHECK_EQ_U(rv(13), 0);
    CHECK_EQ_U(mh_get_u32(RESP + 19), 0); /* AttachmentID 0 */
    REQUIRE(h[1] != 0xFFFFFFFF && h[2] != 0xFFFFFFFF);

    /* values of every type on the message */
    static const int16_t mv16[] = {1, -2};
    static const char *const mvs[] = {"eins", "zwei", "drei"};
    static mh_guid g;
    memset(g.b, 0x5A, 16);
    static const mh_bin mvb[] = {{3, (const uint8_t *)"abc"}, {0, (const uint8_t *)""}};
    mh_propval v[16];
    int nv = 0;
    v[nv++] = mh_pv_str(PR_SUBJECT, "RE: Hello");
    v[nv++] = (mh_propval){.tag = MH_TAG(0x6601, PT_SHORT), .v.i16 = -7};
    v[nv++] = mh_pv_long(MH_TAG(0x6602, PT_LONG), 123456);
    v[nv++] = (mh_propval){.tag = MH_TAG(0x6603, PT_FLOAT), .v.f32 = 1.5f};
    v[nv++] = (mh_propval){.tag = MH_TAG(0x6604, PT_DOUBLE), .v.f64 = -2.25};
    v[nv++] = (mh_propval){.tag = MH_TAG(0x6605, PT_CURRENCY), .v.i64 = 99999};
    v[nv++] = (mh_propval){.tag = MH_TAG(0x6606, PT_APPTIME), .v.f64 = 45000.5};
    v[nv++] = mh_pv_bool(MH_TAG(0x6607, PT_BOOLEAN), 1);
    v[nv++] = mh_pv_i8(MH_TAG(0x6608, PT_I8), -1234567890123LL);
    v[nv++] = mh_pv_time(MH_TAG(0x6609, PT_SYSTIME), 0x01D0000000000000ull);
    v[nv++] = (mh_propval){.tag = MH_TAG(0x660A, PT_CLSID), .v.guid = &g};
    v[nv++] = mh_pv_bin(MH_TAG(0x660B, PT_BINARY), "\x00\x01\x02", 3);
    v[nv++] = (mh_propval){.tag = MH_TAG(0x660C, PT_MV_SHORT), .v.mv = {2, mv16}};
    v[nv++] = (mh_propval){.tag = MH_TAG(0x660D, PT_MV_UNICODE), .v.mv = {3, mvs}};
    v[nv++] = (mh_propval){.tag = MH_TAG(0x660E, PT_MV_BINARY), .v.mv = {2, mvb}};
    v[nv++] = mh_pv_str(MH_TAG(NAMED_ID, PT_UNICODE), "named value \xc3\xa4");
    uint16_t np = 99;
    CHECK_EQ_U(set_props(h[1], v, (uint32_t)nv, &np), 0);
    CHECK_EQ_U(np, 0);
    /* computed values are refused per value */
    mh_propval ro = mh_pv_i8(PR_MID_T, 5);
    CHECK_EQ_U(set_props(h[1], &ro, 1, &np), 0);
    CHECK_EQ_U(np, 1);
    /* the subject was split (prefix, normalized) */
    const mh_propval *ns = get_prop(h[1], PR_NORMALIZED_SUBJECT, UINT64_MAX);
    REQUIRE(ns != NULL);
    CHECK_STR(ns->v.str, "Hello");
    /* a new message has no entry ID yet, but display lists from the instance */
    CHECK(get_prop(h[1], PR_ENTRYID_T, UINT64_MAX) == NULL);
    const mh_propval *dto = get_prop(h[1], PR_DISPLAY_TO_T, UINT64_MAX);
    REQUIRE(dto != NULL);
    CHECK_STR(dto->v.str, "Carol");

    /* a 40000-byte attachment */
    for (size_t i = 0; i < sizeof(BIG); i++)
        BIG[i] = (uint8_t)(i * 7 + 3);
    mh_propval av[2] = {mh_pv_long(PR_ATTACH_METHOD, ATTACH_BY_VALUE),
                        mh_pv_bin(PR_ATTACH_DATA_BIN, BIG, sizeof(BIG))};
    CHECK_EQ_U(set_props(h[2], av, 2, &np), 0);
    /* the attachment is not in the message before its SaveChanges */
    w = req_new();
    wr_simple(&w, 0x52, 1);
    REQUIRE(run(&w, h, 6) == 0);
    CHECK_EQ_U(rv(0), 0);
    CHECK_EQ_U(mh_get_u16(RESP + 6), 0);

    /* SaveChangesAttachment; a second attachment with an embedded message */
    w = req_new();
    wr_save_attachment(&w, 2, 0x02);
    mh_wr_u8(&w, 0x23); mh_wr_u8(&w, 0); mh_wr_u8(&w, 1); mh_wr_u8(&w, 3);
    mh_wr_u8(&w, 0x46); mh_wr_u8(&w, 0); mh_wr_u8(&w, 3); mh_wr_u8(&w, 4);
    mh_wr_u16(&w, 0x0FFF); mh_wr_u8(&w, 0x02); /* create */
    REQUIRE(run(&w, h, 6) == 0);
    CHECK_EQ_U(RESP[0], 0x25);
    CHECK_EQ_U(rv(0), 0);
    CHECK_EQ_U(rv(6), 0);
    CHECK_EQ_U(mh_get_u32(RESP + 12), 1); /* AttachmentID 1 */
    CHECK_EQ_U(RESP[16], 0x46);
    CHECK_EQ_U(rv(16), 0);
    REQUIRE(h[4] != 0xFFFFFFFF);
    mh_propval es = mh_pv_str(PR_SUBJECT, "inner");
    CHECK_EQ_U(set_props(h[4], &es, 1, NULL), 0);
    /* save the embedded message into the attachment, the attachment into
     * the message, the message into the store */
    w = req_new();
    wr_save_message(&w, 4, 0x02);
    wr_save_attachment(&w, 3, 0x02);
    wr_save_message(&w, 1, 0x0A);
    wr_simple(&w, 0x52, 1);
    REQUIRE(run(&w, h, 6) == 0);
    CHECK_EQ_U(rv(0), 0);
    CHECK_EQ_U(rv(15), 0);
    CHECK_EQ_U(RESP[21], 0x0C);
    CHECK_EQ_U(rv(21), 0);
    CHECK_EQ_U(RESP[27], 1); /* InputHandleIndex */
    uint64_t mid = saved_mid(21);
    CHECK(mid != 0);
    CHECK_EQ_U(mid & 0xFFFF, 1);
    CHECK_EQ_U(rv(36), 0);
    CHECK_EQ_U(mh_get_u16(RESP + 42), 2);
    CHECK_EQ_U(mh_get_u32(RESP + 44), 0);
    CHECK_EQ_U(mh_get_u32(RESP + 48), 1);

    /* in the store: the message with its recipients and attachments */
    REQUIRE(begin(&t, MH_TXN_READ) == MH_OK);
    mh_message *stored;
    REQUIRE(mh_be_message_read(t, mh_id_from_wire(mid, NULL), UINT64_MAX, &stored, &err) == MH_OK);
    CHECK_EQ_U(stored->n_recipients, 2);
    CHECK_EQ_U(stored->n_attachments, 2);
    REQUIRE(stored->n_attachments == 2);
    CHECK(stored->attachments[1].embedded != NULL);
    const mh_propval *sto = mh_proplist_find(&stored->props, PR_DISPLAY_TO_T);
    REQUIRE(sto != NULL);
    CHECK_STR(sto->v.str, "Carol");
    const mh_propval *scc = mh_proplist_find(&stored->props, PR_DISPLAY_CC_T);
    REQUIRE(scc != NULL);
    CHECK_STR(scc->v.str, "Bob");
    /* mh_message_props: computed values for tables */
    mh_proptag want[3] = {PR_MID_T, PR_MESSAGE_FLAGS, PR_ENTRYID_T};
    mh_proplist mp;
    mh_object *lo = obj_of(LOGON);
    REQUIRE(lo != NULL);
    CHECK_EQ_U(mh_message_props(ctx(), mh_obj_logon_data(ctx(), lo), t,
                                mh_id_from_wire(mid, NULL), want, 3, UINT64_MAX, F.pool, &mp), 0);
    CHECK_EQ_U(mp.n, 3);
    const mh_propval *pmid = mh_proplist_find(&mp, PR_MID_T);
    REQUIRE(pmid != NULL);
    CHECK_EQ_U((uint64_t)pmid->v.i64, mid);
    const mh_propval *pfl = mh_proplist_find(&mp, PR_MESSAGE_FLAGS);
    REQUIRE(pfl != NULL);
    CHECK((pfl->v.i32 & MSGFLAG_HASATTACH) != 0);
    CHECK((pfl->v.i32 & MSGFLAG_READ) != 0);
    const mh_propval *peid = mh_proplist_find(&mp, PR_ENTRYID_T);
    REQUIRE(peid != NULL);
    uint8_t eid[MH_MESSAGE_EID_LEN];
    mh_eid_message(&F.mailbox, &F.mailbox, mh_id_from_wire(inbox, NULL), &F.mailbox,
                   mh_id_from_wire(mid, NULL), eid);
    CHECK_MEM(peid->v.bin.data, peid->v.bin.len, eid, sizeof(eid));
    mh_be_abort(t);

    /* release everything; reopen read-only */
    w = req_new();
    for (uint8_t i = 1; i <= 4; i++)
        wr_simple(&w, 0x01, i);
    wr_open_message(&w, 0, 5, inbox, 0x00, mid);
    REQUIRE(run(&w, h, 6) == 0);
    CHECK_EQ_U(RESP[0], 0x03);
    CHECK_EQ_U(rv(0), 0);
    REQUIRE(h[5] != 0xFFFFFFFF);
    /* the response, byte-exact (MS-OXCROPS 2.2.6.1.2) */
    mh_wr x = req_new();
    mh_wr_u8(&x, 0x03); mh_wr_u8(&x, 5); mh_wr_u32(&x, 0);
    mh_wr_u8(&x, 1); /* HasNamedProperties */
    mh_wr_u8(&x, 0x04); mh_wr_utf16z(&x, "RE: ");
    mh_wr_u8(&x, 0x04); mh_wr_utf16z(&x, "Hello");
    mh_wr_u16(&x, 2);
    mh_wr_u16(&x, 3);
    mh_wr_u32(&x, PR_OBJECT_TYPE_T); mh_wr_u32(&x, PR_SMTP_ADDRESS_T);
    mh_wr_u32(&x, PR_DISPLAY_TYPE_T);
    mh_wr_u8(&x, 2);
    row = req_new();
    wr_smtp_row(&row, "carol@example.org", "Carol", 6, 3);
    mh_wr_u8(&x, 1); mh_wr_u16(&x, 0x04B0); mh_wr_u16(&x, 0); mh_wr_u16(&x, (uint16_t)row.len);
    mh_wr_bytes(&x, row.buf, row.len);
    row = req_new();
    wr_ex_row(&row, BOB_DN, "Bob", 3);
    mh_wr_u8(&x, 2); mh_wr_u16(&x, 0x04B0); mh_wr_u16(&x, 0); mh_wr_u16(&x, (uint16_t)row.len);
    mh_wr_bytes(&x, row.buf, row.len);
    CHECK_MEM(RESP, RESP_LEN, x.buf, x.len);

    /* every value set came back as it was */
    for (int i = 1; i < nv; i++) {
        const mh_propval *got = get_prop(h[5], v[i].tag, UINT64_MAX);
        CHECK(got != NULL && mh_propval_equal(got, &v[i]));
        if (!got || !mh_propval_equal(got, &v[i]))
            printf("# value 0x%08x differs\n", v[i].tag);
    }
    const mh_propval *al = get_prop(h[5], PR_ACCESS_LEVEL_T, UINT64_MAX);
    REQUIRE(al != NULL);
    CHECK_EQ_U(al->v.i32, 0);

    /* the attachment's 40000 bytes: a large value, read in pieces */
    w = req_new();
    mh_wr_u8(&w, 0x22); mh_wr_u8(&w, 0); mh_wr_u8(&w, 5); mh_wr_u8(&w, 1);
    mh_wr_u8(&w, 0x00); mh_wr_u32(&w, 0);
    mh_wr_u8(&w, 0x22); mh_wr_u8(&w, 0); mh_wr_u8(&w, 5); mh_wr_u8(&w, 2);
    mh_wr_u8(&w, 0x00); mh_wr_u32(&w, 1);
    mh_wr_u8(&w, 0x46); mh_wr_u8(&w, 0); mh_wr_u8(&w, 2); mh_wr_u8(&w, 3);
    mh_wr_u16(&w, 0x0FFF); mh_wr_u8(&w, 0x00);
    REQUIRE(run(&w, h, 6) == 0);
    CHECK_EQ_U(rv(0), 0);
    CHECK_EQ_U(rv(6), 0);
    CHECK_EQ_U(rv(12), 0);
    const mh_propval *lv = get_prop(h[1], PR_ATTACH_DATA_BIN, 8192);
    REQUIRE(lv != NULL);
    CHECK(lv->flags & MH_PV_LARGE);
    CHECK_EQ_U(lv->v.large.size, sizeof(BIG));
    mh_object *ao = obj_of(h[1]);
    REQUIRE(ao != NULL);
    static uint8_t back[sizeof(BIG)];
    size_t off = 0, got = 0;
    do {
        CHECK_EQ_U(mh_attachment_class.props->read(ctx(), ao, PR_ATTACH_DATA_BIN, off,
                                                   back + off, 7000, &got), 0);
        off += got;
    } while (got == 7000 && off < sizeof(back));
    CHECK_MEM(back, off, BIG, sizeof(BIG));
    const mh_propval *full = get_prop(h[1], PR_ATTACH_DATA_BIN, UINT64_MAX);
    REQUIRE(full != NULL && !(full->flags & MH_PV_LARGE));
    CHECK_MEM(full->v.bin.data, full->v.bin.len, BIG, sizeof(BIG));
    /* the embedded message's subject */
    const mh_propval *is = get_prop(h[3], PR_SUBJECT, UINT64_MAX);
    REQUIRE(is != NULL);
    CHECK_STR(is->v.str, "inner");
    /* read-only: no changes */
    CHECK_EQ_U(set_props(h[5], &es, 1, NULL), MAPI_E_NO_ACCESS);
    w = req_new();
    wr_simple(&w, 0x0D, 5); mh_wr_u32(&w, 0);
    wr_save_message(&w, 5, 0x02);
    mh_wr_u8(&w, 0x24); mh_wr_u8(&w, 0); mh_wr_u8(&w, 5); mh_wr_u32(&w, 0);
    wr_save_message(&w, 3, 0x02);
    REQUIRE(run(&w, h, 6) == 0);
    CHECK_EQ_U(rv(0), MAPI_E_NO_ACCESS);
    CHECK_EQ_U(rv(6), MAPI_E_NO_ACCESS);
    CHECK_EQ_U(rv(12), MAPI_E_NO_ACCESS);
    CHECK_EQ_U(rv(18), MAPI_E_NO_ACCESS);
    w = req_new();
    for (uint8_t i = 1; i <= 5; i++)
        wr_simple(&w, 0x01, i);
    run(&w, h, 6);
}

static uint64_t make_message(const char *subject)
{
    mh_wr w = req_new();
    wr_create_message(&w, 0, 1, FIDS[4], 0);
    uint32_t h[2] = {LOGON, 0xFFFFFFFF};
    if (run(&w, h, 2) != 0 || h[1] == 0xFFFFFFFF)
        return 0;
    mh_propval s = mh_pv_str(PR_SUBJECT, subject);
    set_props(h[1], &s, 1, NULL);
    w = req_new();
    wr_save_message(&w, 1, 0x02);
    wr_simple(&w, 0x01, 1);
    if (run(&w, h, 2) != 0 || rv(0) != 0)
        return 0;
    return saved_mid(0);
}

/* ModifyRecipients: add, modify, delete by RowId; ReadRecipients. */
static void test_recipients(void)
{
    uint64_t mid = make_message("recipients");
    REQUIRE(mid != 0);
    mh_wr w = req_new();
    wr_open_message(&w, 0, 1, FIDS[4], 0x01, mid);
    /* ReadRecipients without recipients: ecNotFound (MS-OXCMSG 3.2.5.6) */
    wr_simple(&w, 0x0F, 1); mh_wr_u32(&w, 0); mh_wr_u16(&w, 0);
    wr_modify_header(&w, 1, 3);
    mh_wr row = req_new();
    wr_smtp_row(&row, "a@example.org", "A", 6, 2);
    wr_modify_row(&w, 0, 1, &row);
    row = req_new();
    wr_smtp_row(&row, "b@example.org", "B", 6, 2);
    wr_modify_row(&w, 1, 2, &row);
    row = req_new();
    wr_smtp_row(&row, "c@example.org", "C", 6, 2);
    wr_modify_row(&w, 2, 3, &row);
    uint32_t h[2] = {LOGON, 0xFFFFFFFF};
    REQUIRE(run(&w, h, 2) == 0);
    CHECK_EQ_U(rv(0), 0);
    size_t o = RESP_LEN - 6;
    CHECK_EQ_U(RESP[o], 0x0E);
    CHECK_EQ_U(rv(o), 0);
    CHECK_EQ_U(rv(o - 6), MAPI_E_NOT_FOUND);
    /* delete RowId 1, modify RowId 2 */
    w = req_new();
    wr_modify_header(&w, 1, 2);
    wr_modify_row(&w, 1, 0, NULL);
    row = req_new();
    wr_smtp_row(&row, "c2@example.org", "C2", 6, 2);
    wr_modify_row(&w, 2, 2, &row);
    /* ReadRecipients from RowId 2 */
    wr_simple(&w, 0x0F, 1); mh_wr_u32(&w, 2); mh_wr_u16(&w, 0);
    REQUIRE(run(&w, h, 2) == 0);
    CHECK_EQ_U(rv(0), 0);
    CHECK_EQ_U(RESP[6], 0x0F);
    CHECK_EQ_U(rv(6), 0);
    CHECK_EQ_U(RESP[12], 1); /* one row */
    /* ReadRecipientRow: RowId, RecipientType, CodePageId, Reserved, size, row */
    mh_wr x = req_new();
    mh_wr_u32(&x, 2); mh_wr_u8(&x, 2); mh_wr_u16(&x, 0x04B0); mh_wr_u16(&x, 0);
    row = req_new();
    wr_smtp_row(&row, "c2@example.org", "C2", 6, 2);
    mh_wr_u16(&x, (uint16_t)row.len);
    mh_wr_bytes(&x, row.buf, row.len);
    CHECK_MEM(RESP + 13, RESP_LEN - 13, x.buf, x.len);
    /* a RowId that does not exist */
    w = req_new();
    wr_simple(&w, 0x0F, 1); mh_wr_u32(&w, 7); mh_wr_u16(&w, 0);
    /* a PT_OBJECT column is not a recipient column */
    mh_wr_u8(&w, 0x0E); mh_wr_u8(&w, 0); mh_wr_u8(&w, 1);
    mh_wr_u16(&w, 1); mh_wr_u32(&w, MH_TAG(0x6666, PT_OBJECT)); mh_wr_u16(&w, 0);
    REQUIRE(run(&w, h, 2) == 0);
    CHECK_EQ_U(rv(0), MAPI_E_NOT_FOUND);
    CHECK_EQ_U(rv(6), MAPI_E_INVALID_PARAMETER);
    /* a malformed row (D flag, string without its terminator) makes the
     * buffer unparsable: the whole Execute fails, nothing is run */
    w = req_new();
    wr_simple(&w, 0x0D, 1); mh_wr_u32(&w, 0);
    wr_modify_header(&w, 1, 1);
    mh_wr_u32(&w, 9); mh_wr_u8(&w, 1); mh_wr_u16(&w, 4);
    mh_wr_u16(&w, 0x0210); mh_wr_u16(&w, 0x0041);
    CHECK_EQ_U(run(&w, h, 2), EC_RPC_FORMAT);
    /* saved: two recipients in the store, RowIds 0 and 2 */
    w = req_new();
    wr_save_message(&w, 1, 0x02);
    REQUIRE(run(&w, h, 2) == 0);
    CHECK_EQ_U(rv(0), 0);
    mh_betxn *t;
    mh_error err;
    REQUIRE(begin(&t, MH_TXN_READ) == MH_OK);
    mh_message *m;
    REQUIRE(mh_be_message_read(t, mh_id_from_wire(mid, NULL), UINT64_MAX, &m, &err) == MH_OK);
    REQUIRE(m->n_recipients == 2);
    CHECK_EQ_U(mh_proplist_find(&m->recipients[0], PR_ROWID)->v.i32, 0);
    CHECK_EQ_U(mh_proplist_find(&m->recipients[1], PR_ROWID)->v.i32, 2);
    CHECK_STR(mh_proplist_find(&m->recipients[1], PR_EMAIL_ADDRESS_T)->v.str, "c2@example.org");
    CHECK_STR(mh_proplist_find(&m->recipients[1], PR_ADDRTYPE_T)->v.str, "SMTP");
    CHECK_EQ_U(mh_proplist_find(&m->recipients[1], PR_RECIPIENT_TYPE_T)->v.i32, 2);
    mh_be_abort(t);
    /* RemoveAllRecipients: gone from the instance, still stored until saved */
    w = req_new();
    wr_simple(&w, 0x0D, 1); mh_wr_u32(&w, 0);
    wr_simple(&w, 0x0F, 1); mh_wr_u32(&w, 0); mh_wr_u16(&w, 0);
    REQUIRE(run(&w, h, 2) == 0);
    CHECK_EQ_U(rv(0), 0);
    CHECK_EQ_U(rv(6), MAPI_E_NOT_FOUND);
    REQUIRE(begin(&t, MH_TXN_READ) == MH_OK);
    REQUIRE(mh_be_message_read(t, mh_id_from_wire(mid, NULL), UINT64_MAX, &m, &err) == MH_OK);
    CHECK_EQ_U(m->n_recipients, 2);
    mh_be_abort(t);
    w = req_new();
    wr_simple(&w, 0x01, 1);
    run(&w, h, 2);
}

/* Two instances of one message: the second save conflicts unless forced
 * (MS-OXCMSG 3.2.5.3). */
static void test_save_conflict(void)
{
    uint64_t mid = make_message("conflict");
    REQUIRE(mid != 0);
    mh_wr w = req_new();
    wr_open_message(&w, 0, 1, FIDS[4], 0x01, mid);
    wr_open_message(&w, 0, 2, FIDS[4], 0x03, mid);
    uint32_t h[3] = {LOGON, 0xFFFFFFFF, 0xFFFFFFFF};
    REQUIRE(run(&w, h, 3) == 0);
    REQUIRE(h[1] != 0xFFFFFFFF && h[2] != 0xFFFFFFFF);
    mh_propval s1 = mh_pv_str(PR_SUBJECT, "first");
    mh_propval s2 = mh_pv_str(PR_SUBJECT, "second");
    CHECK_EQ_U(set_props(h[1], &s1, 1, NULL), 0);
    CHECK_EQ_U(set_props(h[2], &s2, 1, NULL), 0);
    w = req_new();
    wr_save_message(&w, 1, 0x02);
    wr_save_message(&w, 2, 0x02);
    REQUIRE(run(&w, h, 3) == 0);
    CHECK_EQ_U(rv(0), 0);
    CHECK_EQ_U(rv(15), MAPI_E_OBJECT_CHANGED);
    /* the store kept the first; ForceSave overwrites */
    mh_betxn *t;
    mh_error err;
    mh_objref ref;
    memset(&ref, 0, sizeof(ref));
    ref.kind = MH_OBJ_MESSAGE;
    ref.id = mh_id_from_wire(mid, NULL);
    mh_proptag st = PR_SUBJECT;
    mh_proplist l;
    REQUIRE(begin(&t, MH_TXN_READ) == MH_OK);
    REQUIRE(mh_be_props_get(t, &ref, &st, 1, UINT64_MAX, &l, &err) == MH_OK);
    CHECK_STR(mh_proplist_find(&l, PR_SUBJECT)->v.str, "first");
    mh_be_abort(t);
    w = req_new();
    wr_save_message(&w, 2, 0x04 | 0x01);
    /* KeepOpenReadOnly: no more changes on that handle */
    wr_simple(&w, 0x0D, 2); mh_wr_u32(&w, 0);
    REQUIRE(run(&w, h, 3) == 0);
    CHECK_EQ_U(rv(0), 0);
    CHECK_EQ_U(rv(15), MAPI_E_NO_ACCESS);
    REQUIRE(begin(&t, MH_TXN_READ) == MH_OK);
    REQUIRE(mh_be_props_get(t, &ref, &st, 1, UINT64_MAX, &l, &err) == MH_OK);
    CHECK_STR(mh_proplist_find(&l, PR_SUBJECT)->v.str, "second");
    mh_be_abort(t);
    /* deleted meanwhile: ecObjectDeleted */
    REQUIRE(begin(&t, MH_TXN_WRITE) == MH_OK);
    REQUIRE(mh_be_message_delete(t, ref.id, &err) == MH_OK);
    REQUIRE(mh_be_commit(t, &err) == MH_OK);
    w = req_new();
    wr_save_message(&w, 1, 0x02);
    REQUIRE(run(&w, h, 3) == 0);
    CHECK_EQ_U(rv(0), MAPI_E_OBJECT_DELETED);
    w = req_new();
    wr_simple(&w, 0x01, 1);
    wr_simple(&w, 0x01, 2);
    run(&w, h, 3);
}

/* RopSetMessageReadFlag (MS-OXCMSG 3.2.5.11): the store's read state
 * changes at once; ReadStatusChanged says whether it did. */
static void test_set_message_read_flag(void)
{
    uint64_t mid = make_message("read me");
    REQUIRE(mid != 0);
    mh_wr w = req_new();
    wr_open_message(&w, 0, 1, FIDS[4], 0x00, mid);
    /* clear the read flag (a new message is read): changed */
    mh_wr_u8(&w, 0x11); mh_wr_u8(&w, 0); mh_wr_u8(&w, 1); mh_wr_u8(&w, 1);
    mh_wr_u8(&w, 0x04 | 0x01);
    /* again: unchanged */
    mh_wr_u8(&w, 0x11); mh_wr_u8(&w, 0); mh_wr_u8(&w, 1); mh_wr_u8(&w, 1);
    mh_wr_u8(&w, 0x04 | 0x01);
    uint32_t h[2] = {LOGON, 0xFFFFFFFF};
    REQUIRE(run(&w, h, 2) == 0);
    size_t o = RESP_LEN - 14;
    CHECK_EQ_U(RESP[o], 0x11);
    CHECK_EQ_U(RESP[o + 1], 1);
    CHECK_EQ_U(rv(o), 0);
    CHECK_EQ_U(RESP[o + 6], 1);
    CHECK_EQ_U(rv(o + 7), 0);
    CHECK_EQ_U(RESP[o + 13], 0);
    mh_betxn *t;
    mh_error err;
    mh_message_info info;
    REQUIRE(begin(&t, MH_TXN_READ) == MH_OK);
    REQUIRE(mh_be_message_info(t, mh_id_from_wire(mid, NULL), &info, &err) == MH_OK);
    CHECK_EQ_U(info.read, 0);
    mh_be_abort(t);
    const mh_propval *f = get_prop(h[1], PR_MESSAGE_FLAGS, UINT64_MAX);
    REQUIRE(f != NULL);
    CHECK_EQ_U(f->v.i32 & MSGFLAG_READ, 0);
    /* mutually exclusive flags */
    w = req_new();
    mh_wr_u8(&w, 0x11); mh_wr_u8(&w, 0); mh_wr_u8(&w, 1); mh_wr_u8(&w, 1);
    mh_wr_u8(&w, 0x04 | 0x10);
    /* set it read again */
    mh_wr_u8(&w, 0x11); mh_wr_u8(&w, 0); mh_wr_u8(&w, 1); mh_wr_u8(&w, 1);
    mh_wr_u8(&w, 0x00);
    REQUIRE(run(&w, h, 2) == 0);
    CHECK_EQ_U(rv(0), MAPI_E_INVALID_PARAMETER);
    CHECK_EQ_U(rv(6), 0);
    CHECK_EQ_U(RESP[12], 1);
    REQUIRE(begin(&t, MH_TXN_READ) == MH_OK);
    REQUIRE(mh_be_message_info(t, mh_id_from_wire(mid, NULL), &info, &err) == MH_OK);
    CHECK_EQ_U(info.read, 1);
    mh_be_abort(t);
    w = req_new();
    wr_simple(&w, 0x01, 1);
    run(&w, h, 2);
}

/* The error cases of each ROP: handles, types, missing objects, flags. */
static void test_errors(void)
{
    uint64_t mid = make_message("errors");
    REQUIRE(mid != 0);
    uint64_t nomid = mh_id_to_wire(MH_ID_MAX - 5, 1);
    mh_wr w = req_new();
    wr_open_message(&w, 0, 1, FIDS[4], 0x00, nomid);          /* no such message */
    wr_open_message(&w, 0, 1, FIDS[5], 0x00, mid);            /* another folder */
    wr_open_message(&w, 0, 1, FIDS[4], 0x40, mid);            /* unknown mode bit */
    wr_open_message(&w, 0, 1, FIDS[4], 0x04, mid);            /* soft-deleted: none */
    wr_open_message(&w, 3, 1, FIDS[4], 0x00, mid);            /* empty slot */
    wr_create_message(&w, 0, 1, mh_id_to_wire(MH_ID_MAX - 6, 1), 0); /* no such folder */
    wr_create_message(&w, 0, 1, FIDS[4], 2);                  /* AssociatedFlag */
    uint32_t h[4] = {LOGON, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF};
    REQUIRE(run(&w, h, 4) == 0);
    CHECK_EQ_U(rv(0), MAPI_E_NOT_FOUND);
    CHECK_EQ_U(rv(6), MAPI_E_NOT_FOUND);
    CHECK_EQ_U(rv(12), MAPI_E_INVALID_PARAMETER);
    CHECK_EQ_U(rv(18), MAPI_E_NOT_FOUND);
    CHECK_EQ_U(rv(24), EC_NULL_OBJECT);
    CHECK_EQ_U(rv(30), MAPI_E_NOT_FOUND);
    CHECK_EQ_U(rv(36), MAPI_E_INVALID_PARAMETER);
    CHECK_EQ_U(h[1], 0xFFFFFFFF);

    /* message ROPs on the logon (wrong type), on an empty slot */
    w = req_new();
    wr_simple(&w, 0x0D, 0); mh_wr_u32(&w, 0);
    wr_save_message(&w, 0, 0x02);
    wr_simple(&w, 0x52, 3);
    wr_simple(&w, 0x0F, 0); mh_wr_u32(&w, 0); mh_wr_u16(&w, 0);
    REQUIRE(run(&w, h, 4) == 0);
    CHECK_EQ_U(rv(0), MAPI_E_NO_SUPPORT);
    CHECK_EQ_U(rv(6), MAPI_E_NO_SUPPORT);
    CHECK_EQ_U(rv(12), EC_NULL_OBJECT);
    CHECK_EQ_U(rv(18), MAPI_E_NO_SUPPORT);

    /* attachment ROPs */
    w = req_new();
    wr_open_message(&w, 0, 1, FIDS[4], 0x01, mid);
    mh_wr_u8(&w, 0x22); mh_wr_u8(&w, 0); mh_wr_u8(&w, 1); mh_wr_u8(&w, 2);
    mh_wr_u8(&w, 0x00); mh_wr_u32(&w, 5);                    /* no attachment 5 */
    mh_wr_u8(&w, 0x24); mh_wr_u8(&w, 0); mh_wr_u8(&w, 1); mh_wr_u32(&w, 5);
    mh_wr_u8(&w, 0x23); mh_wr_u8(&w, 0); mh_wr_u8(&w, 1); mh_wr_u8(&w, 2);
    mh_wr_u8(&w, 0x46); mh_wr_u8(&w, 0); mh_wr_u8(&w, 2); mh_wr_u8(&w, 3);
    mh_wr_u16(&w, 0x0FFF); mh_wr_u8(&w, 0x00);              /* no embedded message */
    mh_wr_u8(&w, 0x46); mh_wr_u8(&w, 0); mh_wr_u8(&w, 2); mh_wr_u8(&w, 3);
    mh_wr_u16(&w, 0x0FFF); mh_wr_u8(&w, 0x09);              /* bad mode */
    mh_wr_u8(&w, 0x21); mh_wr_u8(&w, 0); mh_wr_u8(&w, 1); mh_wr_u8(&w, 3);
    mh_wr_u8(&w, 0x01);                                     /* bad TableFlags */
    mh_wr_u8(&w, 0x22); mh_wr_u8(&w, 0); mh_wr_u8(&w, 2); mh_wr_u8(&w, 3);
    mh_wr_u8(&w, 0x00); mh_wr_u32(&w, 0);                   /* on an attachment */
    REQUIRE(run(&w, h, 4) == 0);
    CHECK_EQ_U(rv(0), 0);
    size_t o = RESP_LEN - 6 * 6 - 10;
    CHECK_EQ_U(RESP[o], 0x22);
    CHECK_EQ_U(rv(o), MAPI_E_NOT_FOUND);
    CHECK_EQ_U(rv(o + 6), MAPI_E_NOT_FOUND);
    CHECK_EQ_U(rv(o + 12), 0);
    CHECK_EQ_U(mh_get_u32(RESP + o + 18), 0);
    CHECK_EQ_U(rv(o + 22), MAPI_E_NOT_FOUND);
    CHECK_EQ_U(rv(o + 28), MAPI_E_INVALID_PARAMETER);
    CHECK_EQ_U(rv(o + 34), MAPI_E_INVALID_PARAMETER);
    CHECK_EQ_U(rv(o + 40), MAPI_E_NO_SUPPORT);
    /* a read-only attachment of a writable message refuses changes */
    w = req_new();
    wr_save_attachment(&w, 2, 0x02);
    mh_wr_u8(&w, 0x22); mh_wr_u8(&w, 0); mh_wr_u8(&w, 1); mh_wr_u8(&w, 3);
    mh_wr_u8(&w, 0x00); mh_wr_u32(&w, 0);
    wr_save_attachment(&w, 3, 0x02);
    /* deleting it works, twice does not */
    mh_wr_u8(&w, 0x24); mh_wr_u8(&w, 0); mh_wr_u8(&w, 1); mh_wr_u32(&w, 0);
    mh_wr_u8(&w, 0x24); mh_wr_u8(&w, 0); mh_wr_u8(&w, 1); mh_wr_u32(&w, 0);
    /* numbers are not reused: the next attachment is 1 */
    mh_wr_u8(&w, 0x23); mh_wr_u8(&w, 0); mh_wr_u8(&w, 1); mh_wr_u8(&w, 2);
    REQUIRE(run(&w, h, 4) == 0);
    CHECK_EQ_U(rv(0), 0);
    CHECK_EQ_U(rv(6), 0);
    CHECK_EQ_U(rv(12), MAPI_E_NO_ACCESS);
    CHECK_EQ_U(rv(18), 0);
    CHECK_EQ_U(rv(24), MAPI_E_NOT_FOUND);
    CHECK_EQ_U(rv(30), 0);
    CHECK_EQ_U(mh_get_u32(RESP + 36), 1);
    w = req_new();
    for (uint8_t i = 1; i <= 3; i++)
        wr_simple(&w, 0x01, i);
    run(&w, h, 4);
}

/* The example request of MS-OXCMSG 4.8.1 (SaveFlags 0x0A: the 0x08 bit is
 * ignored) on a message at index 1, response index 0. */
static void test_spec_save_example(void)
{
    mh_wr w = req_new();
    wr_create_message(&w, 0, 1, FIDS[4], 1); /* a folder-associated one */
    uint32_t h[2] = {LOGON, 0xFFFFFFFF};
    REQUIRE(run(&w, h, 2) == 0);
    REQUIRE(h[1] != 0xFFFFFFFF);
    static const unsigned char ex[] = {0x0c, 0x00, 0x00, 0x01, 0x0a};
    w = req_new();
    mh_wr_bytes(&w, ex, sizeof(ex));
    REQUIRE(run(&w, h, 2) == 0);
    CHECK_EQ_U(RESP_LEN, 15);
    CHECK_EQ_U(RESP[0], 0x0C);
    CHECK_EQ_U(RESP[1], 0x00); /* ResponseHandleIndex */
    CHECK_EQ_U(rv(0), 0);
    CHECK_EQ_U(RESP[6], 0x01); /* InputHandleIndex */
    uint64_t mid = saved_mid(0);
    mh_betxn *t;
    mh_error err;
    mh_message_info info;
    REQUIRE(begin(&t, MH_TXN_READ) == MH_OK);
    REQUIRE(mh_be_message_info(t, mh_id_from_wire(mid, NULL), &info, &err) == MH_OK);
    CHECK_EQ_U(info.fai, 1);
    CHECK_EQ_U(info.folder, F.inbox);
    mh_be_abort(t);
    w = req_new();
    wr_simple(&w, 0x01, 1);
    run(&w, h, 2);
}

int main(void)
{
    MH_TEST_INIT();
    if (mh_fixture_open(&F, "alice") != 0)
        return 1;
    if (mh_fixture_logon(&F, &LOGON, FIDS) != 0) {
        printf("# logon failed\n");
        return 1;
    }
    RUN(test_create_save_reopen);
    RUN(test_recipients);
    RUN(test_save_conflict);
    RUN(test_set_message_read_flag);
    RUN(test_errors);
    RUN(test_spec_save_example);
    mh_fixture_close(&F);
    return MH_TEST_DONE();
}
