/*
 * test_rop_copy.c - RopCopyTo with sub-objects and RopCopyProperties' Move
 * (MS-OXCPRPT 3.2.5.7, 3.2.5.8; MS-OXCROPS 2.2.8.11, 2.2.8.12) through the
 * ROP fixture: messages with recipients, attachments and embedded messages
 * (long values included, which the source's instance only references),
 * attachments, folders with subfolders, messages and associated messages;
 * exclusions, NoOverwrite, Move, and the errors (MessageCycle, FolderCycle,
 * CollidingNames, NotSupported), each leaving everything as it was.
 */
#include "rop_fold_util.h"

#include <apr_strings.h>

static mh_fixture F;
static uint64_t FIDS[13];
static uint32_t LOGON;

#define T_X MH_TAG(0x6F10, PT_LONG)
#define T_RBIG MH_TAG(0x6F11, PT_BINARY) /* a long recipient value */
#define T_FNAME MH_TAG(0x3707, PT_UNICODE) /* PidTagAttachLongFilename */
#define W2ID(w) mh_id_from_wire((w), NULL)

static char *BODY;                  /* 40000 characters */
static uint8_t *DATA1, *DATA2, *RBIG; /* 50000, 30000, 20000 bytes */

static uint32_t fill(uint8_t *p, uint32_t n, unsigned seed)
{
    for (uint32_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * seed + (i >> 8));
    return n;
}

/* ------------------------------------------------------------ requests */

/* RopOpenMessage of mid in folder fid (h[0] the logon) into h[out]. */
static uint32_t open_msg(uint32_t *h, uint32_t n, uint8_t out, uint64_t fid, mh_id mid,
                         uint8_t mode)
{
    req q = {{0}, 0};
    r_u8(&q, 0x03); r_u8(&q, 0); r_u8(&q, 0); r_u8(&q, out);
    r_u16(&q, 0x0FFF); r_u64(&q, fid); r_u8(&q, mode);
    r_u64(&q, mh_id_to_wire(mid, 1));
    return run(&F, &q, h, n, NULL, NULL);
}

/* RopCreateMessage in fid into h[out]. */
static uint32_t create_msg(uint32_t *h, uint32_t n, uint8_t out, uint64_t fid)
{
    req q = {{0}, 0};
    r_u8(&q, 0x06); r_u8(&q, 0); r_u8(&q, 0); r_u8(&q, out);
    r_u16(&q, 0x0FFF); r_u64(&q, fid); r_u8(&q, 0);
    return run(&F, &q, h, n, NULL, NULL);
}

/* RopSaveChangesMessage of h[idx]: the MID it got. */
static uint32_t save_msg(uint32_t *h, uint32_t n, uint8_t idx, mh_id *mid_r)
{
    req q = {{0}, 0};
    r_u8(&q, 0x0C); r_u8(&q, 0); r_u8(&q, idx); r_u8(&q, idx); r_u8(&q, 0x02);
    const unsigned char *r;
    size_t rl;
    uint32_t ec = run(&F, &q, h, n, &r, &rl);
    if (ec == 0 && rl == 15 && mid_r)
        *mid_r = W2ID(rd_u64le(r + 7));
    return ec;
}

static uint32_t open_att(uint32_t *h, uint32_t n, uint8_t in, uint8_t out, uint32_t num,
                         uint8_t mode)
{
    req q = {{0}, 0};
    r_u8(&q, 0x22); r_u8(&q, 0); r_u8(&q, in); r_u8(&q, out); r_u8(&q, mode); r_u32(&q, num);
    return run(&F, &q, h, n, NULL, NULL);
}

static uint32_t create_att(uint32_t *h, uint32_t n, uint8_t in, uint8_t out)
{
    req q = {{0}, 0};
    r_u8(&q, 0x23); r_u8(&q, 0); r_u8(&q, in); r_u8(&q, out);
    return run(&F, &q, h, n, NULL, NULL);
}

static uint32_t save_att(uint32_t *h, uint32_t n, uint8_t idx)
{
    req q = {{0}, 0};
    r_u8(&q, 0x25); r_u8(&q, 0); r_u8(&q, idx); r_u8(&q, idx); r_u8(&q, 0x02);
    return run(&F, &q, h, n, NULL, NULL);
}

static uint32_t open_embedded(uint32_t *h, uint32_t n, uint8_t in, uint8_t out, uint8_t mode)
{
    req q = {{0}, 0};
    r_u8(&q, 0x46); r_u8(&q, 0); r_u8(&q, in); r_u8(&q, out); r_u16(&q, 0); r_u8(&q, mode);
    return run(&F, &q, h, n, NULL, NULL);
}

/* RopSetProperties of one value on h[idx]. */
static uint32_t set_one(uint32_t *h, uint32_t n, uint8_t idx, const mh_propval *v)
{
    req q = {{0}, 0};
    r_u8(&q, 0x0A); r_u8(&q, 0); r_u8(&q, idx);
    mh_wr w;
    mh_wr_init(&w, F.pool, 64);
    mh_wr_tagged_propval(&w, v->tag, v, F.code_page);
    r_u16(&q, (uint16_t)(w.len + 2)); r_u16(&q, 1);
    r_bytes(&q, w.buf, w.len);
    return run(&F, &q, h, n, NULL, NULL);
}

/* RopCopyTo from h[src] to h[dst]; the problem count must be 0. */
static uint32_t copy_to(uint32_t *h, uint32_t n, uint8_t src, uint8_t dst, uint8_t want_sub,
                        uint8_t flags, const mh_proptag *excl, uint16_t nexcl)
{
    req q = {{0}, 0};
    r_u8(&q, 0x39); r_u8(&q, 0); r_u8(&q, src); r_u8(&q, dst);
    r_u8(&q, 1); /* WantAsynchronous: answered at once */
    r_u8(&q, want_sub); r_u8(&q, flags);
    r_tags(&q, excl, nexcl);
    const unsigned char *r;
    size_t rl;
    uint32_t ec = run(&F, &q, h, n, &r, &rl);
    if (ec == 0 && (r[0] != 0x39 || r[1] != src || rl != 8 || mh_get_u16(r + 6) != 0))
        return 0xDEADBEEF;
    if (ec == EC_DST_NULL_OBJECT && (rl != 10 || mh_get_u32(r + 6) != dst))
        return 0xDEADBEEF;
    if (ec != 0 && ec != EC_DST_NULL_OBJECT && ec != 0xDEADBEEF && rl != 6)
        return 0xDEADBEEF; /* other failures carry ReturnValue alone */
    return ec;
}

/* ------------------------------------------------------- store checks */

/* A stored message with every value loaded. */
static mh_message *stored(mh_id mid)
{
    mh_betxn *t = rtxn(&F, NULL);
    mh_message *m = NULL;
    mh_error e;
    if (t && mh_be_message_read(t, mid, UINT64_MAX, &m, &e) != MH_OK)
        m = NULL;
    if (t)
        mh_be_abort(t);
    return m;
}

static const mh_propval *pv(const mh_proplist *l, mh_proptag tag)
{
    return mh_proplist_find(l, tag);
}

static int has_str(const mh_proplist *l, mh_proptag tag, const char *s)
{
    const mh_propval *v = pv(l, tag);
    return v && !(v->flags & MH_PV_LARGE) && strcmp(v->v.str, s) == 0;
}

static int has_bin(const mh_proplist *l, mh_proptag tag, const uint8_t *d, uint32_t n)
{
    const mh_propval *v = pv(l, tag);
    return v && !(v->flags & MH_PV_LARGE) && v->v.bin.len == n && memcmp(v->v.bin.data, d, n) == 0;
}

static const mh_attachment *att_named(const mh_message *m, const char *fname)
{
    for (uint32_t i = 0; m && i < m->n_attachments; i++)
        if (has_str(&m->attachments[i].props, T_FNAME, fname))
            return &m->attachments[i];
    return NULL;
}

static const mh_proplist *recip_named(const mh_message *m, const char *name)
{
    for (uint32_t i = 0; m && i < m->n_recipients; i++)
        if (has_str(&m->recipients[i], PR_DISPLAY_NAME, name))
            return &m->recipients[i];
    return NULL;
}

/* Whether a stored message is a whole copy of the source below (with the
 * parts `subs` says). */
static int is_source_copy(const mh_message *m, int recipients, int attachments)
{
    if (!m || !has_str(&m->props, PR_SUBJECT, "Source") || !has_str(&m->props, PR_BODY, BODY))
        return 0;
    const mh_propval *x = pv(&m->props, T_X);
    if (!x || x->v.i32 != 7)
        return 0;
    if (recipients) {
        const mh_proplist *ann = recip_named(m, "Ann"), *ben = recip_named(m, "Ben");
        if (m->n_recipients != 2 || !ann || !ben || !has_bin(ben, T_RBIG, RBIG, 20000) ||
            !has_str(ann, PR_EMAIL_ADDRESS, "ann@example.org"))
            return 0;
    } else if (m->n_recipients != 0) {
        return 0;
    }
    if (attachments) {
        const mh_attachment *a1 = att_named(m, "one.bin"), *a2 = att_named(m, "inner.msg");
        if (m->n_attachments != 2 || !a1 || !a2 || !has_bin(&a1->props, PR_ATTACH_DATA_BIN,
                                                            DATA1, 50000))
            return 0;
        const mh_message *in = a2->embedded;
        const mh_attachment *deep = att_named(in, "deep.bin");
        if (!in || !has_str(&in->props, PR_SUBJECT, "Inner") || !deep ||
            !has_bin(&deep->props, PR_ATTACH_DATA_BIN, DATA2, 30000))
            return 0;
    } else if (m->n_attachments != 0) {
        return 0;
    }
    return 1;
}

/* The source: long body, two recipients (one with a long value), a
 * by-value attachment with long data and an embedded message with an
 * attachment of its own; saved straight through the backend. */
static mh_id put_source(mh_id folder)
{
    mh_propval mp[4] = {mh_pv_str(PR_SUBJECT, "Source"), mh_pv_str(PR_MESSAGE_CLASS, "IPM.Note"),
                        mh_pv_str(PR_BODY, BODY), mh_pv_long(T_X, 7)};
    mh_propval r0[4] = {mh_pv_long(PR_ROWID, 0), mh_pv_str(PR_DISPLAY_NAME, "Ann"),
                        mh_pv_long(PR_RECIPIENT_TYPE, 1),
                        mh_pv_str(PR_EMAIL_ADDRESS, "ann@example.org")};
    mh_propval r1[4] = {mh_pv_long(PR_ROWID, 1), mh_pv_str(PR_DISPLAY_NAME, "Ben"),
                        mh_pv_long(PR_RECIPIENT_TYPE, 2), mh_pv_bin(T_RBIG, RBIG, 20000)};
    mh_proplist recips[2] = {{4, r0}, {4, r1}};
    mh_propval dp[3] = {mh_pv_long(PR_ATTACH_METHOD, ATTACH_BY_VALUE),
                        mh_pv_str(T_FNAME, "deep.bin"), mh_pv_bin(PR_ATTACH_DATA_BIN, DATA2, 30000)};
    mh_attachment deep = {0, {3, dp}, NULL};
    mh_propval ip[2] = {mh_pv_str(PR_SUBJECT, "Inner"), mh_pv_str(PR_MESSAGE_CLASS, "IPM.Note")};
    mh_message inner = {{2, ip}, 0, NULL, 1, &deep};
    mh_propval a0[3] = {mh_pv_long(PR_ATTACH_METHOD, ATTACH_BY_VALUE),
                        mh_pv_str(T_FNAME, "one.bin"), mh_pv_bin(PR_ATTACH_DATA_BIN, DATA1, 50000)};
    mh_propval a1[2] = {mh_pv_long(PR_ATTACH_METHOD, ATTACH_EMBEDDED_MSG),
                        mh_pv_str(T_FNAME, "inner.msg")};
    mh_attachment atts[2] = {{0, {3, a0}, NULL}, {1, {2, a1}, &inner}};
    mh_message m = {{4, mp}, 2, recips, 2, atts};
    mh_betxn *t;
    mh_error e;
    if (mh_be_begin(F.be, &F.mailbox, MH_TXN_WRITE, F.pool, &t, &e) != MH_OK)
        return 0;
    mh_id id = 0, cn;
    if (mh_be_message_save(t, folder, 0, 0, &m, NULL, &id, &cn, &e) != MH_OK ||
        mh_be_commit(t, &e) != MH_OK) {
        printf("# put_source: %s\n", e.detail ? e.detail : "?");
        mh_be_abort(t);
        return 0;
    }
    return id;
}

/* ------------------------------------------------------------ messages */

static mh_id SRC;

/* Copying an opened (read-only) message into a new one: everything,
 * long values included, though the source's instance only references
 * them; the source stays as it was. */
static void test_message_whole(void)
{
    uint32_t h[4] = {LOGON, NOH, NOH, NOH};
    CHECK_EQ_U(open_msg(h, 4, 1, FIDS[4], SRC, 0x00), 0);
    CHECK_EQ_U(create_msg(h, 4, 2, FIDS[4]), 0);
    CHECK_EQ_U(copy_to(h, 4, 1, 2, 1, 0, NULL, 0), 0);
    mh_id d = 0;
    CHECK_EQ_U(save_msg(h, 4, 2, &d), 0);
    CHECK(is_source_copy(stored(d), 1, 1));
    CHECK(is_source_copy(stored(SRC), 1, 1));
    /* WantSubObjects 0: the values only */
    CHECK_EQ_U(create_msg(h, 4, 3, FIDS[4]), 0);
    CHECK_EQ_U(copy_to(h, 4, 1, 3, 0, 0, NULL, 0), 0);
    CHECK_EQ_U(save_msg(h, 4, 3, &d), 0);
    CHECK(is_source_copy(stored(d), 0, 0));
    /* a move from a read-only source is refused before anything changes */
    CHECK_EQ_U(create_msg(h, 4, 3, FIDS[4]), 0);
    CHECK_EQ_U(copy_to(h, 4, 1, 3, 1, MH_COPY_MOVE, NULL, 0), MAPI_E_NO_ACCESS);
    CHECK_EQ_U(save_msg(h, 4, 3, &d), 0);
    const mh_message *m = stored(d);
    CHECK(m && !pv(&m->props, T_X) && m->n_recipients == 0 && m->n_attachments == 0);
    /* nor into a read-only destination */
    CHECK_EQ_U(open_msg(h, 4, 3, FIDS[4], d, 0x00), 0);
    CHECK_EQ_U(copy_to(h, 4, 1, 3, 1, 0, NULL, 0), MAPI_E_NO_ACCESS);
}

/* The tags of the sub-objects exclude them. */
static void test_message_excluded(void)
{
    uint32_t h[3] = {LOGON, NOH, NOH};
    CHECK_EQ_U(open_msg(h, 3, 1, FIDS[4], SRC, 0x00), 0);
    mh_proptag ex1[1] = {PR_MESSAGE_ATTACHMENTS};
    CHECK_EQ_U(create_msg(h, 3, 2, FIDS[4]), 0);
    CHECK_EQ_U(copy_to(h, 3, 1, 2, 1, 0, ex1, 1), 0);
    mh_id d = 0;
    CHECK_EQ_U(save_msg(h, 3, 2, &d), 0);
    CHECK(is_source_copy(stored(d), 1, 0));
    mh_proptag ex2[2] = {PR_MESSAGE_RECIPIENTS, T_X};
    CHECK_EQ_U(create_msg(h, 3, 2, FIDS[4]), 0);
    CHECK_EQ_U(copy_to(h, 3, 1, 2, 1, 0, ex2, 2), 0);
    CHECK_EQ_U(save_msg(h, 3, 2, &d), 0);
    const mh_message *m = stored(d);
    CHECK(m && !pv(&m->props, T_X) && m->n_recipients == 0 && m->n_attachments == 2 &&
          has_str(&m->props, PR_SUBJECT, "Source") && att_named(m, "inner.msg") &&
          att_named(m, "inner.msg")->embedded);
}

/* A destination with values, a recipient and an attachment of its own. */
static uint32_t dest_with_things(uint32_t *h, uint32_t n, uint8_t out, uint8_t att_slot)
{
    uint32_t ec = create_msg(h, n, out, FIDS[4]);
    mh_propval s = mh_pv_str(PR_SUBJECT, "Mine");
    if (!ec)
        ec = set_one(h, n, out, &s);
    if (!ec)
        ec = create_att(h, n, out, att_slot);
    mh_propval fn = mh_pv_str(T_FNAME, "mine.txt");
    if (!ec)
        ec = set_one(h, n, att_slot, &fn);
    if (!ec)
        ec = save_att(h, n, att_slot);
    if (ec) {
        printf("# dest_with_things: 0x%08x\n", ec);
        return ec;
    }
    /* a recipient through RopModifyRecipients (no columns) */
    req q = {{0}, 0};
    r_u8(&q, 0x0E); r_u8(&q, 0); r_u8(&q, out);
    r_u16(&q, 0);  /* ColumnCount */
    r_u16(&q, 1);  /* RowCount */
    r_u32(&q, 0);  /* RowId */
    r_u8(&q, 1);   /* RecipientType: To */
    req row = {{0}, 0};
    r_u16(&row, 0x0210 | 0x0008 | 0x0003); /* SMTP, E, D, U */
    static const uint8_t em[] = {'z', 0, '@', 0, 'x', 0, 0, 0};
    static const uint8_t nm[] = {'Z', 0, 'o', 0, 'e', 0, 0, 0};
    r_bytes(&row, em, sizeof(em));
    r_bytes(&row, nm, sizeof(nm));
    r_u16(&row, 0); /* RecipientColumnCount */
    r_u8(&row, 0);  /* RecipientProperties: a PropertyRow of no columns */
    r_u16(&q, (uint16_t)row.n);
    r_bytes(&q, row.b, row.n);
    ec = run(&F, &q, h, n, NULL, NULL);
    if (ec)
        printf("# modify recipients: 0x%08x\n", ec);
    return ec;
}

/* NoOverwrite keeps the destination's values and recipients and adds the
 * attachments; without it the destination's sub-objects are replaced. */
static void test_message_no_overwrite(void)
{
    uint32_t h[4] = {LOGON, NOH, NOH, NOH};
    CHECK_EQ_U(open_msg(h, 4, 1, FIDS[4], SRC, 0x00), 0);
    REQUIRE(dest_with_things(h, 4, 2, 3) == 0);
    CHECK_EQ_U(copy_to(h, 4, 1, 2, 1, MH_COPY_NOOVERWRITE, NULL, 0), 0);
    mh_id d = 0;
    CHECK_EQ_U(save_msg(h, 4, 2, &d), 0);
    const mh_message *m = stored(d);
    REQUIRE(m);
    CHECK(has_str(&m->props, PR_SUBJECT, "Mine"));
    CHECK(has_str(&m->props, PR_BODY, BODY)); /* what it did not have */
    CHECK(m->n_recipients == 1 && recip_named(m, "Zoe"));
    CHECK(m->n_attachments == 3 && att_named(m, "mine.txt") && att_named(m, "one.bin") &&
          att_named(m, "inner.msg"));
    /* attachment numbers stay unique */
    for (uint32_t i = 0; i < m->n_attachments; i++)
        for (uint32_t j = i + 1; j < m->n_attachments; j++)
            CHECK(m->attachments[i].num != m->attachments[j].num);
    /* without NoOverwrite: a copy of the source */
    REQUIRE(dest_with_things(h, 4, 2, 3) == 0);
    CHECK_EQ_U(copy_to(h, 4, 1, 2, 1, 0, NULL, 0), 0);
    CHECK_EQ_U(save_msg(h, 4, 2, &d), 0);
    CHECK(is_source_copy(stored(d), 1, 1));
}

/* Move takes the values, recipients and attachments from the source
 * (kept by its save). */
static void test_message_move(void)
{
    uint32_t h[3] = {LOGON, NOH, NOH};
    mh_id src = put_source(W2ID(FIDS[4]));
    REQUIRE(src);
    CHECK_EQ_U(open_msg(h, 3, 1, FIDS[4], src, 0x01), 0);
    CHECK_EQ_U(create_msg(h, 3, 2, FIDS[4]), 0);
    mh_proptag keep[1] = {PR_MESSAGE_CLASS};
    CHECK_EQ_U(copy_to(h, 3, 1, 2, 1, MH_COPY_MOVE, keep, 1), 0);
    mh_id d = 0, s = 0;
    CHECK_EQ_U(save_msg(h, 3, 2, &d), 0);
    CHECK_EQ_U(save_msg(h, 3, 1, &s), 0);
    CHECK_EQ_U(s, src);
    const mh_message *dm = stored(d), *sm = stored(src);
    REQUIRE(dm && sm);
    CHECK(has_str(&dm->props, PR_SUBJECT, "Source") && has_str(&dm->props, PR_BODY, BODY));
    CHECK(dm->n_recipients == 2 && dm->n_attachments == 2);
    CHECK(!pv(&sm->props, PR_SUBJECT) && !pv(&sm->props, PR_BODY) && !pv(&sm->props, T_X));
    CHECK(has_str(&sm->props, PR_MESSAGE_CLASS, "IPM.Note")); /* excluded: stays */
    CHECK(sm->n_recipients == 0 && sm->n_attachments == 0);
}

/* Attachment to attachment: its values and its embedded message. */
static void test_attachment(void)
{
    uint32_t h[5] = {LOGON, NOH, NOH, NOH, NOH};
    CHECK_EQ_U(open_msg(h, 5, 1, FIDS[4], SRC, 0x00), 0);
    CHECK_EQ_U(open_att(h, 5, 1, 2, 1, 0x00), 0); /* inner.msg */
    CHECK_EQ_U(create_msg(h, 5, 3, FIDS[4]), 0);
    CHECK_EQ_U(create_att(h, 5, 3, 4), 0);
    CHECK_EQ_U(copy_to(h, 5, 2, 4, 1, 0, NULL, 0), 0);
    CHECK_EQ_U(save_att(h, 5, 4), 0);
    mh_id d = 0;
    CHECK_EQ_U(save_msg(h, 5, 3, &d), 0);
    const mh_message *m = stored(d);
    const mh_attachment *a = att_named(m, "inner.msg");
    REQUIRE(m && a);
    const mh_propval *meth = pv(&a->props, PR_ATTACH_METHOD);
    CHECK(meth && meth->v.i32 == ATTACH_EMBEDDED_MSG);
    CHECK(a->embedded && has_str(&a->embedded->props, PR_SUBJECT, "Inner") &&
          att_named(a->embedded, "deep.bin") &&
          has_bin(&att_named(a->embedded, "deep.bin")->props, PR_ATTACH_DATA_BIN, DATA2, 30000));
    /* PidTagAttachDataObject excludes the embedded message */
    mh_proptag ex[1] = {PR_ATTACH_DATA_OBJ};
    CHECK_EQ_U(create_msg(h, 5, 3, FIDS[4]), 0);
    CHECK_EQ_U(create_att(h, 5, 3, 4), 0);
    CHECK_EQ_U(copy_to(h, 5, 2, 4, 1, 0, ex, 1), 0);
    CHECK_EQ_U(save_att(h, 5, 4), 0);
    CHECK_EQ_U(save_msg(h, 5, 3, &d), 0);
    m = stored(d);
    a = att_named(m, "inner.msg");
    CHECK(m && a && !a->embedded);
    /* the long data of a by-value attachment */
    CHECK_EQ_U(open_att(h, 5, 1, 2, 0, 0x00), 0); /* one.bin */
    CHECK_EQ_U(create_msg(h, 5, 3, FIDS[4]), 0);
    CHECK_EQ_U(create_att(h, 5, 3, 4), 0);
    CHECK_EQ_U(copy_to(h, 5, 2, 4, 1, 0, NULL, 0), 0);
    CHECK_EQ_U(save_att(h, 5, 4), 0);
    CHECK_EQ_U(save_msg(h, 5, 3, &d), 0);
    m = stored(d);
    a = att_named(m, "one.bin");
    CHECK(m && a && has_bin(&a->props, PR_ATTACH_DATA_BIN, DATA1, 50000));
    /* an embedded message (its values stored two levels down) into a new
     * top-level message */
    CHECK_EQ_U(open_att(h, 5, 1, 2, 1, 0x00), 0);
    CHECK_EQ_U(open_embedded(h, 5, 2, 4, 0x00), 0);
    CHECK_EQ_U(create_msg(h, 5, 3, FIDS[4]), 0);
    CHECK_EQ_U(copy_to(h, 5, 4, 3, 1, 0, NULL, 0), 0);
    CHECK_EQ_U(save_msg(h, 5, 3, &d), 0);
    m = stored(d);
    a = att_named(m, "deep.bin");
    CHECK(m && has_str(&m->props, PR_SUBJECT, "Inner") && a &&
          has_bin(&a->props, PR_ATTACH_DATA_BIN, DATA2, 30000));
}

/* "Forward as attachment": the source copied into the embedded message of
 * a new message's attachment, saved level by level. */
static void test_into_embedded(void)
{
    uint32_t h[5] = {LOGON, NOH, NOH, NOH, NOH};
    CHECK_EQ_U(open_msg(h, 5, 1, FIDS[4], SRC, 0x00), 0);
    CHECK_EQ_U(create_msg(h, 5, 2, FIDS[4]), 0);
    CHECK_EQ_U(create_att(h, 5, 2, 3), 0);
    CHECK_EQ_U(open_embedded(h, 5, 3, 4, 0x02), 0);
    CHECK_EQ_U(copy_to(h, 5, 1, 4, 1, 0, NULL, 0), 0);
    CHECK_EQ_U(save_msg(h, 5, 4, NULL), 0);
    CHECK_EQ_U(save_att(h, 5, 3), 0);
    mh_id d = 0;
    CHECK_EQ_U(save_msg(h, 5, 2, &d), 0);
    const mh_message *m = stored(d);
    CHECK(m && m->n_attachments == 1 && is_source_copy(m->attachments[0].embedded, 1, 1));
}

/* A message into its own embedded message: MessageCycle, nothing done. */
static void test_message_cycle(void)
{
    uint32_t h[4] = {LOGON, NOH, NOH, NOH};
    mh_id src = put_source(W2ID(FIDS[4]));
    REQUIRE(src);
    CHECK_EQ_U(open_msg(h, 4, 1, FIDS[4], src, 0x01), 0);
    CHECK_EQ_U(open_att(h, 4, 1, 2, 1, 0x01), 0);
    CHECK_EQ_U(open_embedded(h, 4, 2, 3, 0x01), 0);
    CHECK_EQ_U(copy_to(h, 4, 1, 3, 1, 0, NULL, 0), EC_MSG_CYCLE);
    /* values alone are no cycle */
    mh_proptag ex[1] = {PR_MESSAGE_ATTACHMENTS};
    CHECK_EQ_U(copy_to(h, 4, 1, 3, 1, 0, ex, 1), 0);
    /* an attachment into the embedded message's attachment */
    CHECK_EQ_U(open_att(h, 4, 3, 3, 0, 0x01), 0); /* deep.bin, replacing the handle */
    CHECK_EQ_U(copy_to(h, 4, 2, 3, 1, 0, NULL, 0), EC_MSG_CYCLE);
    /* nothing was saved: the stored message is as it was */
    CHECK(is_source_copy(stored(src), 1, 1));
}

/* Kinds that do not go together, flags nobody defined, no destination. */
static void test_message_errors(void)
{
    uint32_t h[4] = {LOGON, NOH, NOH, NOH};
    CHECK_EQ_U(open_msg(h, 4, 1, FIDS[4], SRC, 0x00), 0);
    CHECK_EQ_U(open_folder(&F, h, 4, 0, 2, FIDS[4]), 0);
    CHECK_EQ_U(copy_to(h, 4, 1, 2, 1, 0, NULL, 0), MAPI_E_NO_SUPPORT);
    CHECK_EQ_U(copy_to(h, 4, 2, 1, 1, 0, NULL, 0), MAPI_E_NO_SUPPORT);
    CHECK_EQ_U(copy_to(h, 4, 0, 1, 1, 0, NULL, 0), MAPI_E_NO_SUPPORT); /* a logon */
    CHECK_EQ_U(create_msg(h, 4, 2, FIDS[4]), 0);
    CHECK_EQ_U(copy_to(h, 4, 1, 2, 1, 0x04, NULL, 0), MAPI_E_INVALID_PARAMETER);
    CHECK_EQ_U(copy_to(h, 4, 1, 1, 1, 0, NULL, 0), MAPI_E_INVALID_PARAMETER); /* itself */
    CHECK_EQ_U(copy_to(h, 4, 1, 3, 1, 0, NULL, 0), EC_DST_NULL_OBJECT);
}

/* ------------------------------------------------------------- folders */

static mh_id mkfolder(mh_id parent, const char *name, const char *comment)
{
    mh_betxn *t;
    mh_error e;
    if (mh_be_begin(F.be, &F.mailbox, MH_TXN_WRITE, F.pool, &t, &e) != MH_OK)
        return 0;
    mh_propval v[2] = {mh_pv_str(PR_DISPLAY_NAME, name), mh_pv_str(PR_COMMENT, comment)};
    mh_proplist l = {comment ? 2u : 1u, v};
    mh_id id = 0;
    if (mh_be_folder_create(t, parent, &l, 0, NULL, &id, &e) != MH_OK ||
        mh_be_commit(t, &e) != MH_OK) {
        mh_be_abort(t);
        return 0;
    }
    return id;
}

static uint32_t count_of(mh_id fid, int fai)
{
    mh_folder_info fi = folder_info(&F, fid);
    return fai ? fi.fai_count : fi.content_count;
}

static const char *comment_of(mh_id fid)
{
    mh_betxn *t = rtxn(&F, NULL);
    mh_objref r;
    memset(&r, 0, sizeof(r));
    r.kind = MH_OBJ_FOLDER;
    r.id = fid;
    mh_proptag tag = PR_COMMENT;
    mh_proplist l = {0, NULL};
    mh_error e;
    const char *s = NULL;
    if (t && mh_be_props_get(t, &r, &tag, 1, UINT64_MAX, &l, &e) == MH_OK && l.n == 1)
        s = apr_pstrdup(F.pool, l.v[0].v.str);
    if (t)
        mh_be_abort(t);
    return s;
}

static void test_folders(void)
{
    mh_id ipm = W2ID(FIDS[3]);
    mh_id src = mkfolder(ipm, "CopySrc", "from the source");
    mh_id a = mkfolder(src, "A", NULL), b = mkfolder(src, "B", NULL);
    mh_id a1 = mkfolder(a, "A1", NULL);
    mh_id dst = mkfolder(ipm, "CopyDst", NULL);
    REQUIRE(src && a && b && a1 && dst);
    REQUIRE(put_message(&F, src, "m1", 0) && put_message(&F, src, "m2", 0) &&
            put_message(&F, src, "f1", 1) && put_message(&F, a1, "deep", 0));
    uint32_t h[4] = {LOGON, NOH, NOH, NOH};
    CHECK_EQ_U(open_folder(&F, h, 4, 0, 1, mh_id_to_wire(src, 1)), 0);
    CHECK_EQ_U(open_folder(&F, h, 4, 0, 2, mh_id_to_wire(dst, 1)), 0);
    /* every value: the display name too, which a sibling has already */
    CHECK_EQ_U(copy_to(h, 4, 1, 2, 1, 0, NULL, 0), MAPI_E_COLLISION);
    CHECK(comment_of(dst) == NULL && folder_info(&F, dst).child_count == 0 &&
          count_of(dst, 0) == 0 && count_of(dst, 1) == 0);
    /* without the name: values, subfolders (all the way down), messages */
    mh_proptag ex[1] = {PR_DISPLAY_NAME};
    CHECK_EQ_U(copy_to(h, 4, 1, 2, 1, 0, ex, 1), 0);
    CHECK(comment_of(dst) && strcmp(comment_of(dst), "from the source") == 0);
    mh_id ca = child_named(&F, dst, "A");
    CHECK(ca && child_named(&F, dst, "B") && child_named(&F, ca, "A1"));
    CHECK(ca && count_of(child_named(&F, ca, "A1"), 0) == 1);
    CHECK_EQ_U(count_of(dst, 0), 2);
    CHECK_EQ_U(count_of(dst, 1), 1);
    /* the source is as it was */
    CHECK(count_of(src, 0) == 2 && count_of(src, 1) == 1 &&
          folder_info(&F, src).child_count == 2);
    /* again: A is there already, CollidingNames, and no message came */
    CHECK_EQ_U(copy_to(h, 4, 1, 2, 1, 0, ex, 1), MAPI_E_COLLISION);
    CHECK_EQ_U(count_of(dst, 0), 2);
    /* with the subfolders excluded the messages come again; with the
     * associated ones excluded too, only the normal ones */
    mh_proptag ex2[3] = {PR_DISPLAY_NAME, PR_CONTAINER_HIERARCHY, PR_FOLDER_ASSOCIATED_CONTENTS};
    CHECK_EQ_U(copy_to(h, 4, 1, 2, 1, 0, ex2, 3), 0);
    CHECK_EQ_U(count_of(dst, 0), 4);
    CHECK_EQ_U(count_of(dst, 1), 1);
    /* NoOverwrite keeps the destination's comment */
    mh_propval c = mh_pv_str(PR_COMMENT, "mine");
    CHECK_EQ_U(set_one(h, 4, 2, &c), 0);
    mh_proptag ex3[4] = {PR_DISPLAY_NAME, PR_CONTAINER_HIERARCHY, PR_CONTAINER_CONTENTS,
                         PR_FOLDER_ASSOCIATED_CONTENTS};
    CHECK_EQ_U(copy_to(h, 4, 1, 2, 1, MH_COPY_NOOVERWRITE, ex3, 4), 0);
    CHECK(comment_of(dst) && strcmp(comment_of(dst), "mine") == 0);
    CHECK_EQ_U(copy_to(h, 4, 1, 2, 0, 0, ex, 1), 0);
    CHECK(comment_of(dst) && strcmp(comment_of(dst), "from the source") == 0);
    CHECK_EQ_U(count_of(dst, 0), 4); /* WantSubObjects 0: no messages */
    /* into its own subfolder: FolderCycle */
    CHECK_EQ_U(open_folder(&F, h, 4, 0, 3, mh_id_to_wire(a1, 1)), 0);
    CHECK_EQ_U(copy_to(h, 4, 1, 3, 1, 0, ex, 1), MAPI_E_FOLDER_CYCLE);
    CHECK_EQ_U(count_of(a1, 0), 1);
    /* Move: the sub-objects go, the folder keeps its values */
    mh_id mv = mkfolder(ipm, "MoveDst", NULL);
    REQUIRE(mv);
    CHECK_EQ_U(open_folder(&F, h, 4, 0, 3, mh_id_to_wire(mv, 1)), 0);
    CHECK_EQ_U(copy_to(h, 4, 1, 3, 1, MH_COPY_MOVE, ex, 1), 0);
    CHECK(child_named(&F, mv, "A") == a && child_named(&F, mv, "B") == b);
    CHECK(count_of(mv, 0) == 2 && count_of(mv, 1) == 1);
    CHECK(count_of(src, 0) == 0 && count_of(src, 1) == 0 &&
          folder_info(&F, src).child_count == 0);
    CHECK(comment_of(src) && strcmp(comment_of(src), "from the source") == 0);
    CHECK(comment_of(mv) && strcmp(comment_of(mv), "from the source") == 0);
}

/* Moving a special folder is refused, and the whole copy with it. */
static void test_folder_move_special(void)
{
    uint32_t h[3] = {LOGON, NOH, NOH};
    mh_id ipm = W2ID(FIDS[3]);
    mh_id dst = mkfolder(ipm, "SpecialDst", NULL);
    REQUIRE(dst);
    uint32_t before = folder_info(&F, ipm).child_count;
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 1, FIDS[3]), 0);
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 2, mh_id_to_wire(dst, 1)), 0);
    mh_proptag ex[1] = {PR_DISPLAY_NAME};
    /* the destination is below the source: FolderCycle first */
    CHECK_EQ_U(copy_to(h, 3, 1, 2, 1, MH_COPY_MOVE, ex, 1), MAPI_E_FOLDER_CYCLE);
    mh_id other = mkfolder(W2ID(FIDS[0]), "Elsewhere", NULL);
    REQUIRE(other);
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 2, mh_id_to_wire(other, 1)), 0);
    CHECK_EQ_U(copy_to(h, 3, 1, 2, 1, MH_COPY_MOVE, ex, 1), MAPI_E_NO_ACCESS);
    CHECK_EQ_U(folder_info(&F, ipm).child_count, before);
    CHECK_EQ_U(folder_info(&F, other).child_count, 0);
}

/* RopCopyProperties with Move: a message's values go (read/write source),
 * a read-only source is refused before the destination changes. */
static void test_copy_properties_move(void)
{
    uint32_t h[3] = {LOGON, NOH, NOH};
    mh_id src = put_source(W2ID(FIDS[4]));
    REQUIRE(src);
    mh_proptag tags[2] = {PR_SUBJECT, T_X};
    for (int writable = 0; writable < 2; writable++) {
        CHECK_EQ_U(open_msg(h, 3, 1, FIDS[4], src, (uint8_t)writable), 0);
        CHECK_EQ_U(create_msg(h, 3, 2, FIDS[4]), 0);
        req q = {{0}, 0};
        r_u8(&q, 0x67); r_u8(&q, 0); r_u8(&q, 1); r_u8(&q, 2);
        r_u8(&q, 0); r_u8(&q, MH_COPY_MOVE);
        r_u16(&q, 2); r_u32(&q, tags[0]); r_u32(&q, tags[1]);
        CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), writable ? 0 : MAPI_E_NO_ACCESS);
        mh_id d = 0;
        CHECK_EQ_U(save_msg(h, 3, 2, &d), 0);
        const mh_message *dm = stored(d);
        CHECK(dm && (pv(&dm->props, T_X) != NULL) == writable);
        if (writable) {
            CHECK_EQ_U(save_msg(h, 3, 1, NULL), 0);
            const mh_message *sm = stored(src);
            CHECK(sm && !pv(&sm->props, T_X) && !pv(&sm->props, PR_SUBJECT) &&
                  has_str(&sm->props, PR_BODY, BODY));
        }
    }
}

/* RopCopyProperties of h[src] into h[dst] with `tags`: the ReturnValue;
 * the problems' indexes and tags into probs (up to 8). */
static uint32_t copy_props(uint32_t *h, uint32_t n, uint8_t src, uint8_t dst, uint8_t flags,
                           const mh_proptag *tags, uint16_t ntags, mh_propproblem *probs,
                           uint16_t *np)
{
    req q = {{0}, 0};
    r_u8(&q, 0x67); r_u8(&q, 0); r_u8(&q, src); r_u8(&q, dst);
    r_u8(&q, 0); r_u8(&q, flags);
    r_tags(&q, tags, ntags);
    const unsigned char *r;
    size_t rl;
    uint32_t ec = run(&F, &q, h, n, &r, &rl);
    *np = 0;
    if (ec == 0) {
        if (rl < 8)
            return 0xDEADBEEF;
        uint16_t k = mh_get_u16(r + 6);
        if (k > 8 || rl != 8 + 10 * (size_t)k)
            return 0xDEADBEEF;
        for (uint16_t i = 0; i < k; i++) {
            probs[i].index = mh_get_u16(r + 8 + 10 * i);
            probs[i].tag = mh_get_u32(r + 10 + 10 * i);
            probs[i].err = mh_get_u32(r + 14 + 10 * i);
        }
        *np = k;
    }
    return ec;
}

/* RopCopyProperties copies the sub-objects its list names, as MAPI's
 * CopyProps: a message's recipients and attachments, an attachment's
 * embedded message; the values around them keep the client's numbering
 * of problems. */
static void test_copy_properties_subobjects(void)
{
    uint32_t h[5] = {LOGON, NOH, NOH, NOH, NOH};
    mh_propproblem probs[8];
    uint16_t np;
    CHECK_EQ_U(open_msg(h, 5, 1, FIDS[4], SRC, 0x00), 0);
    /* values and recipients; a missing value after the sub-object tag is
     * reported at its own place (2) */
    mh_proptag t1[4] = {PR_SUBJECT, PR_MESSAGE_RECIPIENTS, MH_TAG(0x6F12, PT_LONG), PR_BODY};
    CHECK_EQ_U(create_msg(h, 5, 2, FIDS[4]), 0);
    CHECK_EQ_U(copy_props(h, 5, 1, 2, 0, t1, 4, probs, &np), 0);
    CHECK_EQ_U(np, 1);
    CHECK_EQ_U(probs[0].index, 2);
    CHECK_EQ_U(probs[0].tag, MH_TAG(0x6F12, PT_LONG));
    CHECK_EQ_U(probs[0].err, MAPI_E_NOT_FOUND);
    mh_id d = 0;
    CHECK_EQ_U(save_msg(h, 5, 2, &d), 0);
    const mh_message *m = stored(d);
    REQUIRE(m);
    CHECK(has_str(&m->props, PR_SUBJECT, "Source") && has_str(&m->props, PR_BODY, BODY));
    CHECK(!pv(&m->props, T_X)); /* not named */
    CHECK(m->n_recipients == 2 && recip_named(m, "Ann") && recip_named(m, "Ben") &&
          has_bin(recip_named(m, "Ben"), T_RBIG, RBIG, 20000));
    CHECK_EQ_U(m->n_attachments, 0);
    /* everything: the copy is the source's */
    mh_proptag t2[5] = {PR_SUBJECT, PR_BODY, T_X, PR_MESSAGE_ATTACHMENTS, PR_MESSAGE_RECIPIENTS};
    CHECK_EQ_U(create_msg(h, 5, 2, FIDS[4]), 0);
    CHECK_EQ_U(copy_props(h, 5, 1, 2, 0, t2, 5, probs, &np), 0);
    CHECK_EQ_U(np, 0);
    CHECK_EQ_U(save_msg(h, 5, 2, &d), 0);
    CHECK(is_source_copy(stored(d), 1, 1));
    /* the source is untouched */
    CHECK(is_source_copy(stored(SRC), 1, 1));
    /* an attachment's embedded message, named by its PtypObject tag; the
     * PtypBinary tag of the same ID is a value (none here) */
    CHECK_EQ_U(open_att(h, 5, 1, 2, 1, 0x00), 0); /* inner.msg */
    CHECK_EQ_U(create_msg(h, 5, 3, FIDS[4]), 0);
    CHECK_EQ_U(create_att(h, 5, 3, 4), 0);
    mh_proptag t3[3] = {T_FNAME, PR_ATTACH_DATA_OBJ, PR_ATTACH_DATA_BIN};
    CHECK_EQ_U(copy_props(h, 5, 2, 4, 0, t3, 3, probs, &np), 0);
    CHECK_EQ_U(np, 1);
    CHECK_EQ_U(probs[0].index, 2);
    CHECK_EQ_U(probs[0].err, MAPI_E_NOT_FOUND);
    CHECK_EQ_U(save_att(h, 5, 4), 0);
    CHECK_EQ_U(save_msg(h, 5, 3, &d), 0);
    m = stored(d);
    const mh_attachment *a = m ? att_named(m, "inner.msg") : NULL;
    REQUIRE(a);
    CHECK(a->embedded && has_str(&a->embedded->props, PR_SUBJECT, "Inner") &&
          att_named(a->embedded, "deep.bin"));
    /* a message's attachments into its own embedded message: MessageCycle */
    CHECK_EQ_U(open_msg(h, 5, 1, FIDS[4], d, 0x01), 0);
    CHECK_EQ_U(open_att(h, 5, 1, 2, 0, 0x01), 0);
    CHECK_EQ_U(open_embedded(h, 5, 2, 3, 0x01), 0);
    mh_proptag t4[1] = {PR_MESSAGE_ATTACHMENTS};
    CHECK_EQ_U(copy_props(h, 5, 1, 3, 0, t4, 1, probs, &np), EC_MSG_CYCLE);
}

/* The source opened read/write and saved again: its long values (a
 * recipient's among them) are kept by reference. */
static void test_resave_source(void)
{
    uint32_t h[3] = {LOGON, NOH, NOH};
    mh_id src = put_source(W2ID(FIDS[4]));
    REQUIRE(src);
    CHECK_EQ_U(open_msg(h, 3, 1, FIDS[4], src, 1), 0);
    mh_propval s = mh_pv_str(PR_SUBJECT, "x");
    CHECK_EQ_U(set_one(h, 3, 1, &s), 0);
    CHECK_EQ_U(save_msg(h, 3, 1, NULL), 0);
    const mh_message *m = stored(src);
    CHECK(m && has_str(&m->props, PR_SUBJECT, "x") && has_str(&m->props, PR_BODY, BODY) &&
          recip_named(m, "Ben") && has_bin(recip_named(m, "Ben"), T_RBIG, RBIG, 20000));
}

int main(void)
{
    MH_TEST_INIT();
    if (mh_fixture_open(&F, "alice") != 0)
        return 1;
    BODY = apr_palloc(F.pool, 40001);
    for (int i = 0; i < 40000; i++)
        BODY[i] = (char)('a' + i % 26);
    BODY[40000] = 0;
    DATA1 = apr_palloc(F.pool, 50000);
    DATA2 = apr_palloc(F.pool, 30000);
    RBIG = apr_palloc(F.pool, 20000);
    fill(DATA1, 50000, 7);
    fill(DATA2, 30000, 13);
    fill(RBIG, 20000, 31);
    if (mh_fixture_logon(&F, &LOGON, FIDS) != 0)
        return 1;
    SRC = put_source(W2ID(FIDS[4]));
    if (!SRC)
        return 1;
    RUN(test_resave_source);
    RUN(test_message_whole);
    RUN(test_message_excluded);
    RUN(test_message_no_overwrite);
    RUN(test_message_move);
    RUN(test_attachment);
    RUN(test_into_embedded);
    RUN(test_message_cycle);
    RUN(test_message_errors);
    RUN(test_folders);
    RUN(test_folder_move_special);
    RUN(test_copy_properties_move);
    RUN(test_copy_properties_subobjects);
    mh_fixture_close(&F);
    return MH_TEST_DONE();
}
