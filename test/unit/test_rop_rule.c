/*
 * test_rop_rule.c - server-side rules (MS-OXORULE; MS-OXCROPS 2.2.11) and
 * the transport helpers (MS-OXOMSG; MS-OXCROPS 2.2.7) through the ROP
 * fixture: the MS-OXORULE 4.2 example, rules added, modified, removed and
 * replaced, IDs, every action type written and read back byte for byte
 * (Unicode and 8-bit), bad conditions and actions, the rules table under
 * the table ROPs, rights of a second user, a backend without rules, and
 * the RuleAction codec's extended (4-byte) form.
 */
#include "rop_fold_util.h"

#include "mh_emsmdb.h"
#include "mh_ruleaction.h"

static mh_fixture F;
static uint64_t FIDS[13];
static uint32_t BOB;

#define PR_RULE_ID MH_TAG(0x6674, PT_I8)
#define PR_RULE_SEQUENCE MH_TAG(0x6676, PT_LONG)
#define PR_RULE_STATE MH_TAG(0x6677, PT_LONG)
#define PR_RULE_USER_FLAGS MH_TAG(0x6678, PT_LONG)
#define PR_RULE_CONDITION MH_TAG(0x6679, PT_SRESTRICTION)
#define PR_RULE_ACTIONS MH_TAG(0x6680, PT_ACTIONS)
#define PR_RULE_PROVIDER_W MH_TAG(0x6681, PT_UNICODE)
#define PR_RULE_NAME_W MH_TAG(0x6682, PT_UNICODE)
#define PR_RULE_NAME_A MH_TAG(0x6682, PT_STRING8)
#define PR_RULE_LEVEL MH_TAG(0x6683, PT_LONG)
#define PR_RULE_PROVIDER_DATA MH_TAG(0x6684, PT_BINARY)
#define TAG_MEMBER_ID MH_TAG(0x6671, PT_I8)
#define TAG_MEMBER_RIGHTS MH_TAG(0x6673, PT_LONG)

#define ROW_ADD 0x01
#define ROW_MODIFY 0x02
#define ROW_REMOVE 0x04

static mh_id W2ID(uint64_t w) { return mh_id_from_wire(w, NULL); }

static uint32_t as(const char *login)
{
    uint32_t logon;
    mh_fixture_set_user(&F, login);
    return mh_fixture_logon(&F, &logon, FIDS) == 0 ? logon : NOH;
}

/* ------------------------------------------------------ byte builders */

/* A string as the wire has it: UTF-16LE (unicode) or code page 1252, both
 * with their NUL.  s is UTF-8 of at most two-byte sequences (Latin-1). */
static void r_text(req *q, const char *s, int unicode)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p++;
        if (c >= 0xC0 && *p)
            c = ((c & 0x1F) << 6) | (*p++ & 0x3F);
        if (unicode) {
            r_u8(q, (uint8_t)c);
            r_u8(q, 0);
        } else {
            r_u8(q, (uint8_t)c);
        }
    }
    r_u8(q, 0);
    if (unicode)
        r_u8(q, 0);
}

/* A string property: the id with type PtypString or PtypString8. */
static void p_text(req *q, uint16_t id, const char *s, int unicode)
{
    r_u32(q, MH_TAG(id, unicode ? PT_UNICODE : PT_STRING8));
    r_text(q, s, unicode);
}

static void p_long(req *q, uint32_t tag, uint32_t v) { r_u32(q, tag); r_u32(q, v); }

static void p_bin(req *q, uint32_t tag, const void *d, uint16_t n)
{
    r_u32(q, tag);
    r_u16(q, n);
    r_bytes(q, d, n);
}

/* A property holding bytes built before (a condition or rule actions). */
static void p_raw(req *q, uint32_t tag, const req *val)
{
    r_u32(q, tag);
    r_bytes(q, val->b, val->n);
}

/* An ActionBlock: ActionLength is patched in by blk_end. */
static size_t blk_begin(req *q, uint8_t type, uint32_t flavor, uint32_t flags)
{
    size_t at = q->n;
    r_u16(q, 0);
    r_u8(q, type);
    r_u32(q, flavor);
    r_u32(q, flags);
    return at;
}

static void blk_end(req *q, size_t at) { mh_put_u16(q->b + at, (uint16_t)(q->n - at - 2)); }

/* A rule condition: And(Content(PR_SUBJECT substring, ignore case, s),
 * Property(PR_IMPORTANCE == 2), Exist(PR_SENDER_NAME)). */
static void cond_sample(req *c, const char *s, int unicode)
{
    c->n = 0;
    r_u8(c, 0x00); r_u16(c, 3);
    r_u8(c, 0x03); r_u32(c, 0x00010001);
    r_u32(c, MH_TAG(0x0037, unicode ? PT_UNICODE : PT_STRING8));
    p_text(c, 0x0037, s, unicode);
    r_u8(c, 0x04); r_u8(c, 0x04); r_u32(c, 0x00170003); p_long(c, 0x00170003, 2);
    r_u8(c, 0x08); r_u32(c, MH_TAG(0x0C1A, unicode ? PT_UNICODE : PT_STRING8));
}

/* One recipient of a forward or delegate action. */
static void recipient(req *a, const char *name, const char *addr, int with_eid, int unicode)
{
    r_u8(a, 0x01); /* Reserved */
    r_u16(a, (uint16_t)(with_eid ? 4 : 3));
    p_text(a, 0x3001, name, unicode);
    p_text(a, 0x3003, addr, unicode);
    p_long(a, 0x0C150003, 1);
    if (with_eid)
        p_bin(a, 0x0FFF0102, "\x00\x00\x00\x00\xDC", 5);
}

/* Every ActionType of MS-OXORULE 2.2.5.1 in one RuleAction (standard
 * form); `s` goes into the strings (the OP_TAG value and recipients). */
static void acts_all(req *a, const char *s, int unicode)
{
    a->n = 0;
    r_u16(a, 11);
    size_t at;
    /* OP_MOVE to a folder of this mailbox: a ServerEid */
    at = blk_begin(a, 0x01, 0, 0x11);
    r_u8(a, 1);
    r_u16(a, 1); r_u8(a, 0x01);            /* StoreEID: ignored */
    r_u16(a, 21); r_u8(a, 0x01); r_u64(a, FIDS[7]); r_u64(a, 0); r_u32(a, 0);
    blk_end(a, at);
    /* OP_COPY to another store: client data in both entry IDs */
    at = blk_begin(a, 0x02, 0, 0);
    r_u8(a, 0);
    r_u16(a, 10); r_bytes(a, "STOREEID10", 10);
    r_u16(a, 5); r_bytes(a, "fold!", 5);
    blk_end(a, at);
    /* OP_REPLY (NS) and OP_OOF_REPLY (ST): template FID, MID, GUID */
    at = blk_begin(a, 0x03, 0x1, 0);
    r_u64(a, FIDS[4]); r_u64(a, 0x0001000000001234ull); r_bytes(a, "0123456789abcdef", 16);
    blk_end(a, at);
    at = blk_begin(a, 0x04, 0x2, 0);
    r_u64(a, FIDS[4]); r_u64(a, 0x0001000000005678ull); r_bytes(a, "fedcba9876543210", 16);
    blk_end(a, at);
    /* OP_DEFER_ACTION: the client's own bytes */
    at = blk_begin(a, 0x05, 0, 0xFFFFFFFF);
    r_bytes(a, "defer!!", 7);
    blk_end(a, at);
    /* OP_BOUNCE */
    at = blk_begin(a, 0x06, 0, 0);
    r_u32(a, 0x26);
    blk_end(a, at);
    /* OP_FORWARD (PR | NC) to two recipients, OP_DELEGATE to one */
    at = blk_begin(a, 0x07, 0x3, 0);
    r_u16(a, 2);
    recipient(a, s, "a@example.org", 0, unicode);
    recipient(a, "Second", "/o=Test/cn=Recipients/cn=b", 1, unicode);
    blk_end(a, at);
    at = blk_begin(a, 0x08, 0, 0);
    r_u16(a, 1);
    recipient(a, "Delegate", "d@example.org", 0, unicode);
    blk_end(a, at);
    /* OP_TAG: a string property */
    at = blk_begin(a, 0x09, 0, 0);
    p_text(a, 0x1000, s, unicode);
    blk_end(a, at);
    /* OP_DELETE, OP_MARK_AS_READ: no data */
    at = blk_begin(a, 0x0A, 0, 0);
    blk_end(a, at);
    at = blk_begin(a, 0x0B, 0, 0);
    blk_end(a, at);
}

/* OP_DELETE alone */
static void acts_delete(req *a)
{
    a->n = 0;
    r_u16(a, 1);
    size_t at = blk_begin(a, 0x0A, 0, 0);
    blk_end(a, at);
}

/* Exist(PR_SUBJECT) */
static void cond_exist(req *c)
{
    c->n = 0;
    r_u8(c, 0x08);
    r_u32(c, 0x0037001F);
}

/* RopModifyRules on h[in_idx]: the header; RuleData follow. */
static void mr_begin(req *q, uint8_t in_idx, uint8_t flags, uint16_t count)
{
    q->n = 0;
    r_u8(q, 0x41); r_u8(q, 0); r_u8(q, in_idx); r_u8(q, flags); r_u16(q, count);
}

/* A new rule with its three required properties and a name. */
static void rule_add(req *q, const char *name, const req *cond, const req *acts)
{
    r_u8(q, ROW_ADD); r_u16(q, 4);
    p_text(q, 0x6681, "RuleOrganizer", 1);
    p_text(q, 0x6682, name, 1);
    p_raw(q, PR_RULE_CONDITION, cond);
    p_raw(q, PR_RULE_ACTIONS, acts);
}

static void rule_remove(req *q, uint64_t id)
{
    r_u8(q, ROW_REMOVE); r_u16(q, 1);
    r_u32(q, PR_RULE_ID); r_u64(q, id);
}

/* ------------------------------------------------------- store checks */

/* The rules of a folder as the backend has them (batch pool memory). */
static uint32_t stored(mh_id fid, mh_proplist **rules_r)
{
    mh_betxn *t = rtxn(&F, NULL);
    mh_proplist *rules = NULL;
    uint32_t n = 0;
    mh_error e;
    if (!t || mh_be_rules_get(t, fid, &rules, &n, &e) != MH_OK)
        n = 0xFFFFFFFF;
    if (t)
        mh_be_abort(t);
    if (rules_r)
        *rules_r = rules;
    return n;
}

static const mh_propval *val(const mh_proplist *r, mh_proptag tag)
{
    return mh_proplist_find(r, tag);
}

static const char *name_of(const mh_proplist *r)
{
    const mh_propval *v = val(r, PR_RULE_NAME_W);
    return v ? v->v.str : "";
}

static uint64_t id_of(const mh_proplist *r)
{
    const mh_propval *v = val(r, PR_RULE_ID);
    return v ? (uint64_t)v->v.i64 : 0;
}

/* A new folder under the IPM subtree, opened at h[out]. */
static mh_id new_folder(uint32_t *h, uint32_t n, uint8_t out, const char *name)
{
    CHECK_EQ_U(open_folder(&F, h, n, 0, out, FIDS[3]), 0);
    uint64_t fid = 0;
    CHECK_EQ_U(create_folder(&F, h, n, out, out, 1, 0, name, &fid, NULL), 0);
    return W2ID(fid);
}

/* RopOpenFolder: HasRules of the response (-1 on failure). */
static int has_rules(uint32_t *h, uint32_t n, uint8_t out, mh_id fid)
{
    req q = {{0}, 0};
    r_u8(&q, 0x02); r_u8(&q, 0); r_u8(&q, 0); r_u8(&q, out);
    r_u64(&q, mh_id_to_wire(fid, 1)); r_u8(&q, 0);
    const unsigned char *r;
    size_t rl;
    if (run(&F, &q, h, n, &r, &rl) != 0 || rl != 8)
        return -1;
    return r[6];
}

/*
 * GetRulesTable (TableFlags tf) of h[fi] into h[ti], SetColumns, QueryRows
 * of up to 100 rows, Release: the ReturnValue of GetRulesTable (or the
 * first failure), and the rows' bytes (RowData) with their count.
 */
static uint32_t read_rules(uint32_t *h, uint32_t n, uint8_t fi, uint8_t ti, uint8_t tf,
                           const mh_proptag *cols, uint16_t nc, const unsigned char **rows_r,
                           size_t *len_r, uint16_t *count_r)
{
    mh_rop_batch b;
    mh_rop_batch_init(&b, F.batch_pool);
    mh_ropc_get_rules_table(&b, 0, fi, ti, tf);
    mh_ropc_set_columns(&b, 0, ti, 0, cols, nc);
    mh_ropc_query_rows(&b, 0, ti, MH_QUERY_NO_ADVANCE, 1, 100);
    mh_ropc_release(&b, 0, ti);
    const unsigned char *r;
    size_t rl;
    uint32_t ec = mh_fixture_exec(&F, b.rops.buf, b.rops.len, h, n, &r, &rl);
    if (ec)
        return ec;
    mh_rd rd;
    mh_rd_init(&rd, r, rl);
    mh_ropc_hdr hd;
    if (mh_ropc_simple_parse(&rd, MH_ROPID_GET_RULES_TABLE, &hd) != 0)
        return 0xDEADBEEF;
    if (hd.rv)
        return hd.rv;
    mh_ropc_status_r st;
    if (mh_ropc_set_columns_parse(&rd, &st) != 0)
        return 0xDEADBEE1;
    if (st.h.rv)
        return st.h.rv;
    /* QueryRows: RopId, index, ReturnValue, Origin, RowCount, RowData */
    if (mh_rd_left(&rd) < 9 || rd.p[0] != 0x15 || mh_get_u32(rd.p + 2) != 0)
        return 0xDEADBEE2;
    *count_r = mh_get_u16(rd.p + 7);
    *rows_r = rd.p + 9;
    *len_r = mh_rd_left(&rd) - 9;
    return 0;
}

/* --------------------------------------------------------------- tests */

/* MS-OXORULE 4.2: the rules table of a folder with one rule (PidTagRuleId,
 * PidTagRuleProviderData, PidTagRuleName): the example's requests, byte
 * for byte, and its responses, the server-assigned rule ID aside. */
static void test_spec_example(void)
{
    uint32_t h[2] = {as("alice"), NOH};
    mh_id fid = new_folder(h, 2, 1, "spec 4.2");
    req cond, acts, q;
    cond_exist(&cond);
    acts_delete(&acts);
    static const unsigned char provider_data[16] = {0x01, 0x00, 0x00, 0x00, 0x01, 0x00,
                                                     0x00, 0x00, 0x55, 0x55, 0x55, 0x55,
                                                     0xd1, 0x44, 0xe3, 0x40};
    mr_begin(&q, 1, 0, 1);
    r_u8(&q, ROW_ADD); r_u16(&q, 5);
    p_text(&q, 0x6681, "RuleOrganizer", 1);
    p_text(&q, 0x6682, "Project X", 1);
    p_bin(&q, PR_RULE_PROVIDER_DATA, provider_data, 16);
    p_raw(&q, PR_RULE_CONDITION, &cond);
    p_raw(&q, PR_RULE_ACTIONS, &acts);
    CHECK_EQ_U(run(&F, &q, h, 2, NULL, NULL), 0);
    mh_proplist *rules;
    REQUIRE(stored(fid, &rules) == 1);
    uint64_t id = id_of(&rules[0]);
    /* the ID has the form of the example's: ReplicaId 1, GlobalCounter */
    CHECK_EQ_U(id & 0xFFFF, 0x0001);
    CHECK(id >> 16 != 0);

    /* 4.2.1, the handle of the folder in slot 0 */
    static const unsigned char request[] = {
        0x3f, 0x00, 0x00, 0x01, 0x40,
        0x12, 0x00, 0x01, 0x00, 0x03, 0x00, 0x14, 0x00, 0x74, 0x66, 0x02, 0x01,
        0x84, 0x66, 0x1f, 0x00, 0x82, 0x66,
        0x15, 0x00, 0x01, 0x00, 0x01, 0x32, 0x00};
    uint32_t h2[2] = {h[1], NOH};
    const unsigned char *r;
    size_t rl;
    REQUIRE(mh_fixture_exec(&F, request, sizeof(request), h2, 2, &r, &rl) == 0);
    /* 4.2.2, with this server's rule ID in place of 0x56F83F0100000001 */
    unsigned char expect[] = {
        0x3f, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x12, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x15, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0x01, 0x3f, 0xf8, 0x56, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0x55, 0x55, 0x55, 0x55, 0xd1, 0x44, 0xe3, 0x40, 0x50, 0x00, 0x72, 0x00, 0x6f, 0x00,
        0x6a, 0x00, 0x65, 0x00, 0x63, 0x00, 0x74, 0x00, 0x20, 0x00, 0x58, 0x00, 0x00, 0x00};
    for (int i = 0; i < 8; i++)
        expect[23 + i] = (unsigned char)(id >> (8 * i));
    CHECK_MEM(r, rl, expect, sizeof(expect));
    CHECK(h2[1] != NOH);
}

/* Add, modify and remove; IDs; the defaults of a new rule; HasRules. */
static void test_add_modify_remove(void)
{
    uint32_t h[3] = {as("alice"), NOH, NOH};
    mh_id fid = new_folder(h, 3, 1, "rules amr");
    CHECK_EQ_U(has_rules(h, 3, 2, fid), 0);
    req cond, acts, q;
    cond_exist(&cond);
    acts_delete(&acts);
    /* two rules: "a" with a sequence, state and user flags of its own,
     * "b" without (defaults) */
    mr_begin(&q, 1, 0, 2);
    r_u8(&q, ROW_ADD); r_u16(&q, 7);
    p_text(&q, 0x6681, "RuleOrganizer", 1);
    p_text(&q, 0x6682, "a", 0); /* 8-bit: kept as PtypString */
    p_long(&q, PR_RULE_SEQUENCE, 7);
    p_long(&q, PR_RULE_STATE, 0x11);
    p_long(&q, PR_RULE_USER_FLAGS, 0xCAFE);
    p_raw(&q, PR_RULE_CONDITION, &cond);
    p_raw(&q, PR_RULE_ACTIONS, &acts);
    rule_add(&q, "b", &cond, &acts);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), 0);
    mh_proplist *rules;
    REQUIRE(stored(fid, &rules) == 2);
    CHECK_STR(name_of(&rules[0]), "a");
    CHECK_STR(name_of(&rules[1]), "b");
    uint64_t ida = id_of(&rules[0]), idb = id_of(&rules[1]);
    CHECK(ida != 0 && idb != 0 && ida != idb);
    CHECK_EQ_U(val(&rules[0], PR_RULE_SEQUENCE)->v.i32, 7);
    CHECK_EQ_U(val(&rules[0], PR_RULE_STATE)->v.i32, 0x11);
    CHECK_EQ_U(val(&rules[0], PR_RULE_USER_FLAGS)->v.i32, 0xCAFE);
    CHECK_EQ_U(val(&rules[0], PR_RULE_LEVEL)->v.i32, 0);
    /* "b": after "a" in sequence, disabled, level 0 */
    REQUIRE(val(&rules[1], PR_RULE_SEQUENCE) && val(&rules[1], PR_RULE_STATE));
    CHECK_EQ_U(val(&rules[1], PR_RULE_SEQUENCE)->v.i32, 8);
    CHECK_EQ_U(val(&rules[1], PR_RULE_STATE)->v.i32, 0);
    CHECK_EQ_U(val(&rules[1], PR_RULE_LEVEL)->v.i32, 0);
    CHECK(val(&rules[1], PR_RULE_USER_FLAGS) == NULL);
    CHECK_EQ_U(has_rules(h, 3, 2, fid), 1);

    /* modify "a": a new name and state, the rest as it was */
    mr_begin(&q, 1, 0, 1);
    r_u8(&q, ROW_MODIFY); r_u16(&q, 3);
    r_u32(&q, PR_RULE_ID); r_u64(&q, ida);
    p_text(&q, 0x6682, "a2", 1);
    p_long(&q, PR_RULE_STATE, 0x01);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), 0);
    REQUIRE(stored(fid, &rules) == 2);
    CHECK_STR(name_of(&rules[0]), "a2");
    CHECK_EQ_U(id_of(&rules[0]), ida);
    CHECK_EQ_U(val(&rules[0], PR_RULE_STATE)->v.i32, 0x01);
    CHECK_EQ_U(val(&rules[0], PR_RULE_SEQUENCE)->v.i32, 7);
    CHECK_EQ_U(val(&rules[0], PR_RULE_USER_FLAGS)->v.i32, 0xCAFE);
    CHECK(val(&rules[0], PR_RULE_CONDITION) && val(&rules[0], PR_RULE_ACTIONS));

    /* remove "b" (other properties of a RemoveRow are ignored) */
    mr_begin(&q, 1, 0, 1);
    r_u8(&q, ROW_REMOVE); r_u16(&q, 2);
    r_u32(&q, PR_RULE_ID); r_u64(&q, idb);
    p_text(&q, 0x0037, "ignored", 1);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), 0);
    REQUIRE(stored(fid, &rules) == 1);
    CHECK_EQ_U(id_of(&rules[0]), ida);

    /* remove "a" too: no rules, HasRules false; a new rule gets an ID
     * never used before */
    mr_begin(&q, 1, 0, 1);
    rule_remove(&q, ida);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), 0);
    CHECK_EQ_U(stored(fid, NULL), 0);
    CHECK_EQ_U(has_rules(h, 3, 2, fid), 0);
    mr_begin(&q, 1, 0, 1);
    rule_add(&q, "c", &cond, &acts);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), 0);
    REQUIRE(stored(fid, &rules) == 1);
    uint64_t idc = id_of(&rules[0]);
    CHECK(idc != ida && idc != idb);
    /* the first rule of an empty folder has sequence 1 */
    CHECK_EQ_U(val(&rules[0], PR_RULE_SEQUENCE)->v.i32, 1);
    /* removing it again: ecNotFound the second time, nothing else changes */
    mr_begin(&q, 1, 0, 1);
    rule_remove(&q, ida);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), MAPI_E_NOT_FOUND);
    CHECK_EQ_U(stored(fid, NULL), 1);
    /* a modify of an unknown ID, after a good add in the same request:
     * nothing of the request is kept */
    mr_begin(&q, 1, 0, 2);
    rule_add(&q, "d", &cond, &acts);
    r_u8(&q, ROW_MODIFY); r_u16(&q, 2);
    r_u32(&q, PR_RULE_ID); r_u64(&q, 0x0001000000ABCDEFull);
    p_long(&q, PR_RULE_STATE, 1);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), MAPI_E_NOT_FOUND);
    REQUIRE(stored(fid, &rules) == 1);
    CHECK_STR(name_of(&rules[0]), "c");
}

/* ModifyRulesFlag R: the request's rules replace the folder's. */
static void test_replace(void)
{
    uint32_t h[2] = {as("alice"), NOH};
    mh_id fid = new_folder(h, 2, 1, "rules replace");
    req cond, acts, q;
    cond_exist(&cond);
    acts_delete(&acts);
    mr_begin(&q, 1, 0, 2);
    rule_add(&q, "old1", &cond, &acts);
    rule_add(&q, "old2", &cond, &acts);
    CHECK_EQ_U(run(&F, &q, h, 2, NULL, NULL), 0);
    mh_proplist *rules;
    REQUIRE(stored(fid, &rules) == 2);
    uint64_t old1 = id_of(&rules[0]);
    /* R with something other than ROW_ADD: refused, nothing changes */
    mr_begin(&q, 1, 0x01, 2);
    rule_add(&q, "new", &cond, &acts);
    rule_remove(&q, old1);
    CHECK_EQ_U(run(&F, &q, h, 2, NULL, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_EQ_U(stored(fid, NULL), 2);
    mr_begin(&q, 1, 0x01, 2);
    rule_add(&q, "new1", &cond, &acts);
    rule_add(&q, "new2", &cond, &acts);
    CHECK_EQ_U(run(&F, &q, h, 2, NULL, NULL), 0);
    REQUIRE(stored(fid, &rules) == 2);
    CHECK_STR(name_of(&rules[0]), "new1");
    CHECK_STR(name_of(&rules[1]), "new2");
    CHECK(id_of(&rules[0]) != old1 && id_of(&rules[1]) != old1);
    /* R with no rules empties the folder's rules */
    mr_begin(&q, 1, 0x01, 0);
    CHECK_EQ_U(run(&F, &q, h, 2, NULL, NULL), 0);
    CHECK_EQ_U(stored(fid, NULL), 0);
}

/* Every action type, written in Unicode and in 8-bit, read back from
 * Unicode and 8-bit tables byte for byte. */
static void test_actions_roundtrip(void)
{
    uint32_t h[3] = {as("alice"), NOH, NOH};
    mh_id fid = new_folder(h, 3, 1, "rules all actions");
    /* rule 1 written in Unicode, rule 2 in code page 1252 */
    req cond_w, acts_w, cond_a, acts_a, cond2_w, acts2_w, cond2_a, acts2_a, q;
    cond_sample(&cond_w, "Project X", 1);
    acts_all(&acts_w, "Tag it", 1);
    cond_sample(&cond_a, "Project X", 0);
    acts_all(&acts_a, "Tag it", 0);
    cond_sample(&cond2_w, "caf\xc3\xa9 cr\xc3\xa8me", 1);
    acts_all(&acts2_w, "\xc3\x89t\xc3\xa9", 1);
    cond_sample(&cond2_a, "caf\xc3\xa9 cr\xc3\xa8me", 0);
    acts_all(&acts2_a, "\xc3\x89t\xc3\xa9", 0);
    mr_begin(&q, 1, 0, 2);
    rule_add(&q, "unicode", &cond_w, &acts_w);
    rule_add(&q, "ansi", &cond2_a, &acts2_a);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), 0);
    REQUIRE(stored(fid, NULL) == 2);

    const mh_proptag cols[2] = {PR_RULE_CONDITION, PR_RULE_ACTIONS};
    const unsigned char *rows;
    size_t len;
    uint16_t count;
    /* a Unicode table: every string a PtypString */
    REQUIRE(read_rules(h, 3, 1, 2, 0x40, cols, 2, &rows, &len, &count) == 0);
    CHECK_EQ_U(count, 2);
    req want;
    want.n = 0;
    r_u8(&want, 0); r_bytes(&want, cond_w.b, cond_w.n); r_bytes(&want, acts_w.b, acts_w.n);
    r_u8(&want, 0); r_bytes(&want, cond2_w.b, cond2_w.n); r_bytes(&want, acts2_w.b, acts2_w.n);
    CHECK_MEM(rows, len, want.b, want.n);
    /* an 8-bit table: every string a PtypString8 in the session's code page */
    REQUIRE(read_rules(h, 3, 1, 2, 0x00, cols, 2, &rows, &len, &count) == 0);
    CHECK_EQ_U(count, 2);
    want.n = 0;
    r_u8(&want, 0); r_bytes(&want, cond_a.b, cond_a.n); r_bytes(&want, acts_a.b, acts_a.n);
    r_u8(&want, 0); r_bytes(&want, cond2_a.b, cond2_a.n); r_bytes(&want, acts2_a.b, acts2_a.n);
    CHECK_MEM(rows, len, want.b, want.n);
    /* string columns are what the client names, whatever the flag */
    const mh_proptag ncols[2] = {PR_RULE_NAME_A, PR_RULE_NAME_W};
    for (int u = 0; u < 2; u++) {
        REQUIRE(read_rules(h, 3, 1, 2, u ? 0x40 : 0x00, ncols, 2, &rows, &len, &count) == 0);
        want.n = 0;
        r_u8(&want, 0); r_text(&want, "unicode", 0); r_text(&want, "unicode", 1);
        r_u8(&want, 0); r_text(&want, "ansi", 0); r_text(&want, "ansi", 1);
        CHECK_MEM(rows, len, want.b, want.n);
    }
    /* a PtypUnspecified column is refused, as in every table (MS-OXCTABL
     * 3.2.5.2) */
    const mh_proptag ucols[1] = {MH_TAG(0x6682, PT_UNSPECIFIED)};
    CHECK_EQ_U(read_rules(h, 3, 1, 2, 0x00, ucols, 1, &rows, &len, &count),
               MAPI_E_INVALID_PARAMETER);
    CHECK_EQ_U(read_rules(h, 3, 1, 2, 0x40, ucols, 1, &rows, &len, &count),
               MAPI_E_INVALID_PARAMETER);
    /* TableFlags bits other than U: ecNotSupported (3.2.5.3) */
    CHECK_EQ_U(read_rules(h, 3, 1, 2, 0x41, cols, 2, &rows, &len, &count),
               MAPI_E_NO_SUPPORT);
}

/* One rule of a request refused: ecInvalidParam, nothing kept. */
static void refused(uint32_t *h, mh_id fid, const req *q, uint32_t want, const char *what)
{
    uint32_t ec = run(&F, q, h, 2, NULL, NULL);
    if (ec != want)
        printf("# %s\n", what);
    CHECK_EQ_U(ec, want);
    CHECK_EQ_U(stored(fid, NULL), 1);
}

/* A request with one good rule and one whose actions are `acts`. */
static void with_actions(req *q, const req *acts)
{
    req cond, good;
    cond_exist(&cond);
    acts_delete(&good);
    mr_begin(q, 1, 0, 2);
    rule_add(q, "good", &cond, &good);
    rule_add(q, "bad", &cond, acts);
}

static void test_bad_values(void)
{
    uint32_t h[2] = {as("alice"), NOH};
    mh_id fid = new_folder(h, 2, 1, "rules bad");
    req cond, acts, a, q;
    cond_exist(&cond);
    acts_delete(&acts);
    mr_begin(&q, 1, 0, 1);
    rule_add(&q, "keep", &cond, &acts);
    CHECK_EQ_U(run(&F, &q, h, 2, NULL, NULL), 0);
    REQUIRE(stored(fid, NULL) == 1);
    size_t at;

    /* ----- actions */
    a.n = 0; r_u16(&a, 0);
    with_actions(&q, &a);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "NoOfActions 0");
    a.n = 0; r_u16(&a, 1); at = blk_begin(&a, 0x0C, 0, 0); blk_end(&a, at);
    with_actions(&q, &a);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "ActionType 0x0C");
    a.n = 0; r_u16(&a, 1); at = blk_begin(&a, 0x0A, 0, 0); r_u8(&a, 0); blk_end(&a, at);
    with_actions(&q, &a);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "OP_DELETE with data");
    a.n = 0; r_u16(&a, 1); at = blk_begin(&a, 0x0A, 0x1, 0); blk_end(&a, at);
    with_actions(&q, &a);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "a flavor on OP_DELETE");
    a.n = 0; r_u16(&a, 1); at = blk_begin(&a, 0x06, 0, 0); r_u32(&a, 0x05); blk_end(&a, at);
    with_actions(&q, &a);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "BounceCode 5");
    a.n = 0; r_u16(&a, 1); at = blk_begin(&a, 0x06, 0, 0); r_u16(&a, 0x26); blk_end(&a, at);
    with_actions(&q, &a);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "a BounceCode of 2 bytes");
    a.n = 0; r_u16(&a, 1); at = blk_begin(&a, 0x07, 0x5, 0);
    r_u16(&a, 1); recipient(&a, "x", "x@example.org", 0, 1); blk_end(&a, at);
    with_actions(&q, &a);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "forward flavor AT | PR");
    a.n = 0; r_u16(&a, 1); at = blk_begin(&a, 0x07, 0, 0); r_u16(&a, 0); blk_end(&a, at);
    with_actions(&q, &a);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "forward without recipients");
    a.n = 0; r_u16(&a, 1); at = blk_begin(&a, 0x08, 0, 0);
    r_u16(&a, 1); r_u8(&a, 1); r_u16(&a, 0); blk_end(&a, at);
    with_actions(&q, &a);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "a recipient without properties");
    a.n = 0; r_u16(&a, 1); at = blk_begin(&a, 0x03, 0x3, 0);
    r_u64(&a, 1); r_u64(&a, 2); r_bytes(&a, "0123456789abcdef", 16); blk_end(&a, at);
    with_actions(&q, &a);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "reply flavor NS | ST");
    a.n = 0; r_u16(&a, 1); at = blk_begin(&a, 0x03, 0, 0);
    r_u64(&a, 1); r_u64(&a, 2); blk_end(&a, at);
    with_actions(&q, &a);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "reply without its GUID");
    a.n = 0; r_u16(&a, 1); at = blk_begin(&a, 0x01, 0, 0);
    r_u8(&a, 1); r_u16(&a, 1); r_u8(&a, 1);
    r_u16(&a, 21); r_u8(&a, 0x00); r_u64(&a, FIDS[4]); r_u64(&a, 0); r_u32(&a, 0);
    blk_end(&a, at);
    with_actions(&q, &a);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "a ServerEid whose Ours is 0");
    a.n = 0; r_u16(&a, 1); at = blk_begin(&a, 0x01, 0, 0);
    r_u8(&a, 1); r_u16(&a, 1); r_u8(&a, 1);
    r_u16(&a, 21); r_u8(&a, 0x01); r_u64(&a, FIDS[4]); r_u64(&a, 9); r_u32(&a, 0);
    blk_end(&a, at);
    with_actions(&q, &a);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "a ServerEid with a MessageId");
    a.n = 0; r_u16(&a, 1); at = blk_begin(&a, 0x02, 0, 0);
    r_u8(&a, 1); r_u16(&a, 1); r_u8(&a, 1); r_u16(&a, 8); r_u64(&a, FIDS[4]);
    blk_end(&a, at);
    with_actions(&q, &a);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "a FolderEID in this store of 8 bytes");
    a.n = 0; r_u16(&a, 1); at = blk_begin(&a, 0x09, 0, 0);
    r_u32(&a, 0x0037000D); r_u32(&a, 0); blk_end(&a, at);
    with_actions(&q, &a);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "OP_TAG of a PtypObject");
    a.n = 0; r_u16(&a, 1); at = blk_begin(&a, 0x09, 0, 0);
    r_u32(&a, 0x0037001F); r_u8(&a, 'x'); blk_end(&a, at);
    with_actions(&q, &a);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "OP_TAG string without its NUL");

    /* ----- conditions and properties */
    req c;
    c.n = 0; r_u8(&c, 0x04); r_u8(&c, 0x07); r_u32(&c, 0x00170003); p_long(&c, 0x00170003, 1);
    mr_begin(&q, 1, 0, 1);
    rule_add(&q, "relop", &c, &acts);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "a RelOp 2.12.5 does not define");
    c.n = 0; r_u8(&c, 0x06); r_u8(&c, 0x02); r_u32(&c, 0x0E070003); r_u32(&c, 1);
    mr_begin(&q, 1, 0, 1);
    rule_add(&q, "bitmask", &c, &acts);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "a BitmapRelOp 2.12.7 does not define");
    mr_begin(&q, 1, 0, 1);
    r_u8(&q, ROW_ADD); r_u16(&q, 3);
    p_text(&q, 0x6682, "no provider", 1);
    p_raw(&q, PR_RULE_CONDITION, &cond); p_raw(&q, PR_RULE_ACTIONS, &acts);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "a new rule without a provider");
    mr_begin(&q, 1, 0, 1);
    r_u8(&q, ROW_ADD); r_u16(&q, 2);
    p_text(&q, 0x6681, "RuleOrganizer", 1); p_raw(&q, PR_RULE_ACTIONS, &acts);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "a new rule without a condition");
    mr_begin(&q, 1, 0, 1);
    r_u8(&q, ROW_ADD); r_u16(&q, 4);
    r_u32(&q, PR_RULE_ID); r_u64(&q, 0x0001000000000099ull);
    p_text(&q, 0x6681, "RuleOrganizer", 1);
    p_raw(&q, PR_RULE_CONDITION, &cond); p_raw(&q, PR_RULE_ACTIONS, &acts);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "a new rule with its own ID");
    mr_begin(&q, 1, 0, 1);
    r_u8(&q, ROW_ADD); r_u16(&q, 4);
    p_long(&q, PR_RULE_LEVEL, 3);
    p_text(&q, 0x6681, "RuleOrganizer", 1);
    p_raw(&q, PR_RULE_CONDITION, &cond); p_raw(&q, PR_RULE_ACTIONS, &acts);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "PidTagRuleLevel 3");
    mr_begin(&q, 1, 0, 1);
    r_u8(&q, ROW_ADD); r_u16(&q, 4);
    p_text(&q, 0x0037, "not a rule property", 1);
    p_text(&q, 0x6681, "RuleOrganizer", 1);
    p_raw(&q, PR_RULE_CONDITION, &cond); p_raw(&q, PR_RULE_ACTIONS, &acts);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "PR_SUBJECT in a rule");
    mr_begin(&q, 1, 0, 1);
    r_u8(&q, ROW_ADD); r_u16(&q, 4);
    p_long(&q, MH_TAG(0x6676, PT_SHORT), 0); /* a sequence of the wrong type: */
    q.n -= 2;                                 /* PtypInteger16 takes 2 bytes */
    p_text(&q, 0x6681, "RuleOrganizer", 1);
    p_raw(&q, PR_RULE_CONDITION, &cond); p_raw(&q, PR_RULE_ACTIONS, &acts);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "PidTagRuleSequence as PtypInteger16");
    mr_begin(&q, 1, 0, 1);
    r_u8(&q, ROW_ADD); r_u16(&q, 5);
    p_text(&q, 0x6681, "RuleOrganizer", 1); p_text(&q, 0x6681, "twice", 1);
    p_raw(&q, PR_RULE_CONDITION, &cond); p_raw(&q, PR_RULE_ACTIONS, &acts);
    p_long(&q, PR_RULE_STATE, 1);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "a property twice");
    mr_begin(&q, 1, 0, 1);
    r_u8(&q, ROW_ADD); r_u16(&q, 0);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "PropertyValueCount 0");
    mr_begin(&q, 1, 0, 1);
    r_u8(&q, 0x03); r_u16(&q, 1); r_u32(&q, PR_RULE_ID); r_u64(&q, 1);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "RuleDataFlags 0x03");
    mr_begin(&q, 1, 0, 1);
    r_u8(&q, ROW_REMOVE); r_u16(&q, 1); p_long(&q, PR_RULE_STATE, 1);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "ROW_REMOVE without PidTagRuleId");
    mr_begin(&q, 1, 0x02, 1);
    rule_add(&q, "x bits", &cond, &acts);
    refused(h, fid, &q, MAPI_E_INVALID_PARAMETER, "ModifyRulesFlag 0x02");
    /* a restriction type nobody defined: the request does not parse, the
     * whole Execute is refused (fixture: 0xDEADBEEF) */
    c.n = 0; r_u8(&c, 0x0C);
    mr_begin(&q, 1, 0, 1);
    rule_add(&q, "type 0x0C", &c, &acts);
    refused(h, fid, &q, 0xDEADBEEF, "a restriction type 0x0C");
    /* ActionLength past the end of the value: likewise */
    a.n = 0; r_u16(&a, 1); r_u16(&a, 40); r_u8(&a, 0x0A); r_u32(&a, 0); r_u32(&a, 0);
    with_actions(&q, &a);
    refused(h, fid, &q, 0xDEADBEEF, "an ActionLength past the value");
    /* the logon is no folder */
    mr_begin(&q, 0, 0, 1);
    rule_add(&q, "logon", &cond, &acts);
    refused(h, fid, &q, MAPI_E_NO_SUPPORT, "ModifyRules on a logon");
}

/* 3.2.5.2: past the folder's limit, ecNotEnoughMemory and nothing kept. */
static void test_limit(void)
{
    uint32_t h[2] = {as("alice"), NOH};
    mh_id fid = new_folder(h, 2, 1, "rules limit");
    req cond, acts;
    cond_exist(&cond);
    acts_delete(&acts);
    static unsigned char blob[30000];
    memset(blob, 0x5A, sizeof(blob));
    req q; /* the small properties; the request is built in `big` */
    uint32_t ec = 0, n = 0;
    unsigned char *big = malloc(sizeof(blob) + 512);
    REQUIRE(big != NULL);
    for (int i = 0; i < 20 && ec == 0; i++) {
        /* built in `big`: RopModifyRules with a 30000-byte provider data */
        size_t k = 0;
        big[k++] = 0x41; big[k++] = 0; big[k++] = 1; big[k++] = 0;
        mh_put_u16(big + k, 1); k += 2;
        big[k++] = ROW_ADD;
        mh_put_u16(big + k, 4); k += 2;
        q.n = 0;
        p_text(&q, 0x6681, "RuleOrganizer", 1);
        p_raw(&q, PR_RULE_CONDITION, &cond);
        p_raw(&q, PR_RULE_ACTIONS, &acts);
        memcpy(big + k, q.b, q.n); k += q.n;
        mh_put_u32(big + k, PR_RULE_PROVIDER_DATA); k += 4;
        mh_put_u16(big + k, (uint16_t)sizeof(blob)); k += 2;
        memcpy(big + k, blob, sizeof(blob)); k += sizeof(blob);
        const unsigned char *r;
        size_t rl;
        ec = mh_fixture_exec(&F, big, k, h, 2, &r, &rl);
        if (ec == 0)
            ec = rl >= 6 ? mh_get_u32(r + 2) : 0xDEADBEEF;
        if (ec == 0)
            n++;
    }
    free(big);
    CHECK_EQ_U(ec, MAPI_E_NOT_ENOUGH_MEMORY);
    CHECK(n >= 8 && n < 20); /* 256 KB: eight of them fit, the ninth does not */
    CHECK_EQ_U(stored(fid, NULL), n);
}

/* The rules table under the table ROPs: sort, restrict, find, position. */
static void test_table_ops(void)
{
    uint32_t h[3] = {as("alice"), NOH, NOH};
    mh_id fid = new_folder(h, 3, 1, "rules table");
    req cond, acts, q;
    cond_exist(&cond);
    acts_delete(&acts);
    const char *names[3] = {"first", "second", "third"};
    mr_begin(&q, 1, 0, 3);
    for (int i = 0; i < 3; i++) {
        r_u8(&q, ROW_ADD); r_u16(&q, 5);
        p_text(&q, 0x6681, "RuleOrganizer", 1);
        p_text(&q, 0x6682, names[i], 1);
        p_long(&q, PR_RULE_SEQUENCE, (uint32_t)(10 * (i + 1)));
        p_raw(&q, PR_RULE_CONDITION, &cond);
        p_raw(&q, PR_RULE_ACTIONS, &acts);
    }
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), 0);
    REQUIRE(stored(fid, NULL) == 3);

    const mh_proptag cols[2] = {PR_RULE_NAME_W, PR_RULE_SEQUENCE};
    mh_rop_batch b;
    mh_rop_batch_init(&b, F.batch_pool);
    mh_ropc_get_rules_table(&b, 0, 1, 2, 0x40);
    mh_ropc_set_columns(&b, 0, 2, 0, cols, 2);
    mh_sort_order so = {PR_RULE_SEQUENCE, MH_TABLE_SORT_DESCEND};
    mh_sort_set ss = {1, 0, 0, &so};
    mh_ropc_sort_table(&b, 0, 2, 0, &ss);
    mh_ropc_query_rows(&b, 0, 2, MH_QUERY_NO_ADVANCE, 1, 10);
    mh_restriction res;
    memset(&res, 0, sizeof(res));
    res.type = MH_RES_PROPERTY;
    res.u.prop.relop = MH_RELOP_EQ;
    res.u.prop.tag = PR_RULE_NAME_W;
    res.u.prop.val = mh_pv_str(PR_RULE_NAME_W, "second");
    mh_ropc_restrict(&b, 0, 2, 0, &res, 1252);
    mh_ropc_query_rows(&b, 0, 2, MH_QUERY_NO_ADVANCE, 1, 10);
    mh_ropc_restrict(&b, 0, 2, 0, NULL, 1252);
    mh_ropc_find_row(&b, 0, 2, 0, &res, MH_BOOKMARK_BEGINNING, NULL, 1252);
    mh_ropc_query_position(&b, 0, 2);
    const unsigned char *r;
    size_t rl;
    REQUIRE(mh_fixture_exec(&F, b.rops.buf, b.rops.len, h, 3, &r, &rl) == 0);
    mh_rd rd;
    mh_rd_init(&rd, r, rl);
    mh_ropc_hdr hd;
    REQUIRE(mh_ropc_simple_parse(&rd, MH_ROPID_GET_RULES_TABLE, &hd) == 0);
    CHECK_EQ_U(hd.rv, 0);
    mh_ropc_status_r st;
    REQUIRE(mh_ropc_set_columns_parse(&rd, &st) == 0);
    REQUIRE(mh_ropc_sort_table_parse(&rd, &st) == 0);
    CHECK_EQ_U(st.h.rv, 0);
    mh_ropc_rows_r rows;
    REQUIRE(mh_ropc_query_rows_parse(&rd, cols, 2, 1252, F.batch_pool, &rows) == 0);
    REQUIRE(rows.n_rows == 3);
    CHECK_STR(rows.rows[0][0].v.str, "third");
    CHECK_STR(rows.rows[1][0].v.str, "second");
    CHECK_STR(rows.rows[2][0].v.str, "first");
    CHECK_EQ_U(rows.rows[0][1].v.i32, 30);
    REQUIRE(mh_ropc_restrict_parse(&rd, &st) == 0);
    CHECK_EQ_U(st.h.rv, 0);
    REQUIRE(mh_ropc_query_rows_parse(&rd, cols, 2, 1252, F.batch_pool, &rows) == 0);
    REQUIRE(rows.n_rows == 1);
    CHECK_STR(rows.rows[0][0].v.str, "second");
    REQUIRE(mh_ropc_restrict_parse(&rd, &st) == 0);
    mh_ropc_find_row_r fr;
    REQUIRE(mh_ropc_find_row_parse(&rd, cols, 2, 1252, F.batch_pool, &fr) == 0);
    CHECK_EQ_U(fr.h.rv, 0);
    CHECK_EQ_U(fr.has_row, 1);
    CHECK_STR(fr.row[0].v.str, "second");
    mh_ropc_position_r pos;
    REQUIRE(mh_ropc_query_position_parse(&rd, &pos) == 0);
    CHECK_EQ_U(pos.denominator, 3);
    CHECK_EQ_U(pos.numerator, 1); /* FindRow moved the cursor to "second" */
    CHECK_EQ_U(mh_rd_left(&rd), 0);
}

/* MS-OXCPERM permissions on the rules: FolderOwner reads and writes them. */
static void test_rights(void)
{
    uint32_t h[3] = {as("alice"), NOH, NOH};
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 1, FIDS[4]), 0);
    req cond, acts, q;
    cond_exist(&cond);
    acts_delete(&acts);
    mr_begin(&q, 1, 0, 1);
    rule_add(&q, "alice's", &cond, &acts);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), 0);
    REQUIRE(stored(W2ID(FIDS[4]), NULL) == 1);
    /* bob may see and read the Inbox */
    q.n = 0;
    r_u8(&q, 0x40); r_u8(&q, 0); r_u8(&q, 1); r_u8(&q, 0); r_u16(&q, 1);
    r_u8(&q, 0x01); r_u16(&q, 2);
    r_u32(&q, TAG_MEMBER_ID); r_u64(&q, BOB);
    r_u32(&q, TAG_MEMBER_RIGHTS); r_u32(&q, FRIGHTS_VISIBLE | FRIGHTS_READ_ANY);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), 0);

    h[0] = as("bob");
    REQUIRE(h[0] != NOH);
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 1, FIDS[4]), 0);
    const mh_proptag cols[1] = {PR_RULE_NAME_W};
    const unsigned char *rows;
    size_t len;
    uint16_t count;
    h[2] = NOH;
    CHECK_EQ_U(read_rules(h, 3, 1, 2, 0x40, cols, 1, &rows, &len, &count), MAPI_E_NO_ACCESS);
    mr_begin(&q, 1, 0, 1);
    rule_add(&q, "bob's", &cond, &acts);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), MAPI_E_NO_ACCESS);
    CHECK_EQ_U(stored(W2ID(FIDS[4]), NULL), 1);

    /* FolderOwner: bob reads alice's rules and adds one */
    h[0] = as("alice");
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 1, FIDS[4]), 0);
    q.n = 0;
    r_u8(&q, 0x40); r_u8(&q, 0); r_u8(&q, 1); r_u8(&q, 0); r_u16(&q, 1);
    r_u8(&q, ROW_MODIFY); r_u16(&q, 2);
    r_u32(&q, TAG_MEMBER_ID); r_u64(&q, BOB);
    r_u32(&q, TAG_MEMBER_RIGHTS);
    r_u32(&q, FRIGHTS_VISIBLE | FRIGHTS_READ_ANY | FRIGHTS_OWNER);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), 0);
    h[0] = as("bob");
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 1, FIDS[4]), 0);
    REQUIRE(read_rules(h, 3, 1, 2, 0x40, cols, 1, &rows, &len, &count) == 0);
    CHECK_EQ_U(count, 1);
    req want = {{0}, 0};
    r_u8(&want, 0); r_text(&want, "alice's", 1);
    CHECK_MEM(rows, len, want.b, want.n);
    mr_begin(&q, 1, 0, 1);
    rule_add(&q, "bob's", &cond, &acts);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), 0);
    CHECK_EQ_U(stored(W2ID(FIDS[4]), NULL), 2);
    mh_fixture_set_user(&F, "alice");
}

/* A backend without rules_get/rules_set: both ROPs answer ecNotSupported,
 * folders still open (no rules). */
static void test_no_backend_support(void)
{
    uint32_t h[3] = {as("alice"), NOH, NOH};
    mh_id fid = new_folder(h, 3, 1, "rules unsupported");
    mh_be *saved = F.be;
    mh_backend nb = *saved->be;
    nb.rules_get = NULL;
    nb.rules_set = NULL;
    mh_be b = *saved;
    b.be = &nb;
    F.be = &b;
    req cond, acts, q;
    cond_exist(&cond);
    acts_delete(&acts);
    mr_begin(&q, 1, 0, 1);
    rule_add(&q, "nowhere", &cond, &acts);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), MAPI_E_NO_SUPPORT);
    const mh_proptag cols[1] = {PR_RULE_NAME_W};
    const unsigned char *rows;
    size_t len;
    uint16_t count;
    h[2] = NOH;
    CHECK_EQ_U(read_rules(h, 3, 1, 2, 0x40, cols, 1, &rows, &len, &count), MAPI_E_NO_SUPPORT);
    CHECK_EQ_U(h[2], NOH);
    CHECK_EQ_U(has_rules(h, 3, 2, fid), 0);
    F.be = saved;
    CHECK_EQ_U(stored(fid, NULL), 0);
}

/* The RuleAction codec on its own: the extended form (4-byte counts,
 * entry IDs) read and written back, and refused as a standard one. */
static void test_codec_extended(void)
{
    req a = {{0}, 0};
    r_u32(&a, 3);
    /* OP_MOVE: StoreEIDSize, StoreEID, FolderEIDSize, a Folder EntryID */
    size_t at = a.n;
    r_u32(&a, 0); r_u8(&a, 0x01); r_u32(&a, 0); r_u32(&a, 0);
    r_u32(&a, 4); r_bytes(&a, "\x00\x00\x00\x00", 4);
    r_u32(&a, 46);
    r_u32(&a, 0); r_bytes(&a, "PROVIDERUID.....", 16); r_u16(&a, 1);
    r_bytes(&a, "DATABASEGUID....", 16); r_bytes(&a, "\x00\x00\x00\x00\x12\x34", 6); r_u16(&a, 0);
    mh_put_u32(a.b + at, (uint32_t)(a.n - at - 4));
    /* OP_OOF_REPLY: MessageEIDSize, a Message EntryID, the GUID */
    at = a.n;
    r_u32(&a, 0); r_u8(&a, 0x04); r_u32(&a, 0x1); r_u32(&a, 7);
    r_u32(&a, 70);
    r_u32(&a, 0); r_bytes(&a, "PROVIDERUID.....", 16); r_u16(&a, 7);
    r_bytes(&a, "FOLDERDBGUID....", 16); r_bytes(&a, "\x00\x00\x00\x00\x00\x01", 6); r_u16(&a, 0);
    r_bytes(&a, "MESSAGEDBGUID...", 16); r_bytes(&a, "\x00\x00\x00\x00\x00\x02", 6); r_u16(&a, 0);
    r_bytes(&a, "0123456789abcdef", 16);
    mh_put_u32(a.b + at, (uint32_t)(a.n - at - 4));
    /* OP_FORWARD: RecipientCount u32, NoOfProperties u32, a binary with a
     * 4-byte COUNT (MS-OXORULE 2.2.4) */
    at = a.n;
    r_u32(&a, 0); r_u8(&a, 0x07); r_u32(&a, 0x4); r_u32(&a, 0);
    r_u32(&a, 1); r_u8(&a, 1); r_u32(&a, 2);
    r_u32(&a, 0x0FFF0102); r_u32(&a, 3); r_bytes(&a, "eid", 3);
    p_text(&a, 0x3001, "Ext", 1);
    mh_put_u32(a.b + at, (uint32_t)(a.n - at - 4));

    mh_rd rd;
    mh_rd_init(&rd, a.b, a.n);
    mh_rule_actions *acts;
    const char *why = NULL;
    REQUIRE(mh_rd_rule_actions(&rd, 1, 1252, F.pool, &acts, &why) == 0);
    CHECK(rd.p == rd.end);
    CHECK_EQ_U(acts->n, 3);
    CHECK_EQ_U(acts->a[0].folder_eid.len, MH_FOLDER_EID_LEN);
    CHECK_EQ_U(acts->a[1].template_eid.len, MH_MESSAGE_EID_LEN);
    CHECK_EQ_U(acts->a[1].flags, 7);
    CHECK_EQ_U(acts->a[2].n_recips, 1);
    CHECK_EQ_U(acts->a[2].recips[0].props[0].v.bin.len, 3);
    mh_wr w;
    mh_wr_init(&w, F.pool, 64);
    mh_wr_rule_actions(&w, acts, 1252);
    CHECK_MEM(w.buf, w.len, a.b, a.n);
    /* the same bytes are no standard RuleAction */
    mh_rd_init(&rd, a.b, a.n);
    CHECK(mh_rd_rule_actions(&rd, 0, 1252, F.pool, &acts, &why) != 0);
    CHECK(rd.err && why != NULL);
    /* a Folder EntryID one byte short */
    mh_put_u32(a.b + 4 + 4 + 9 + 4 + 4, 45);
    mh_rd_init(&rd, a.b, a.n);
    CHECK(mh_rd_rule_actions(&rd, 1, 1252, F.pool, &acts, &why) != 0);

    /* the standard form of every action: canonical = the Unicode bytes,
     * also when it came in 8-bit */
    req w16, w8;
    acts_all(&w16, "x\xc3\xa9", 1);
    acts_all(&w8, "x\xc3\xa9", 0);
    mh_bin in = {w8.n, w8.b}, out;
    REQUIRE(mh_rule_actions_canonical(&in, 1252, F.pool, &out, &why) == 0);
    CHECK_MEM(out.data, out.len, w16.b, w16.n);
    in.len = w16.n;
    in.data = w16.b;
    REQUIRE(mh_rule_actions_canonical(&in, 1252, F.pool, &out, &why) == 0);
    CHECK_MEM(out.data, out.len, w16.b, w16.n);
    /* a byte after the last block */
    w16.b[w16.n++] = 0;
    in.len = w16.n;
    CHECK(mh_rule_actions_canonical(&in, 1252, F.pool, &out, &why) != 0);
}

/* RopGetAddressTypes, RopGetTransportFolder, RopOptionsData (MS-OXOMSG) */
static void test_transport(void)
{
    uint32_t h[2] = {as("alice"), NOH};
    req q = {{0}, 0};
    r_u8(&q, 0x49); r_u8(&q, 0); r_u8(&q, 0);
    const unsigned char *r;
    size_t rl;
    CHECK_EQ_U(run(&F, &q, h, 2, &r, &rl), 0);
    /* AddressTypeCount 2, AddressTypeSize 8, "EX", "SMTP" */
    static const unsigned char types[] = {0x49, 0x00, 0, 0, 0, 0, 0x02, 0x00, 0x08, 0x00,
                                          'E', 'X', 0, 'S', 'M', 'T', 'P', 0};
    CHECK_MEM(r, rl, types, sizeof(types));
    q.b[2] = 1; /* an empty slot */
    CHECK_EQ_U(run(&F, &q, h, 2, NULL, NULL), EC_NULL_OBJECT);

    q.n = 0;
    r_u8(&q, 0x6D); r_u8(&q, 0); r_u8(&q, 0);
    CHECK_EQ_U(run(&F, &q, h, 2, &r, &rl), 0);
    REQUIRE(rl == 14);
    CHECK_EQ_U(rd_u64le(r + 6), FIDS[5]); /* the Outbox */
    CHECK_EQ_U(open_folder(&F, h, 2, 0, 1, FIDS[4]), 0);
    q.b[2] = 1; /* a folder is no logon */
    CHECK_EQ_U(run(&F, &q, h, 2, NULL, NULL), MAPI_E_NO_SUPPORT);

    q.n = 0;
    r_u8(&q, 0x6F); r_u8(&q, 0); r_u8(&q, 0); r_str(&q, "SMTP"); r_u8(&q, 1);
    CHECK_EQ_U(run(&F, &q, h, 2, &r, &rl), 0);
    /* Reserved 0x01, OptionsInfoSize 0, HelpFileSize 0 (no file, no name) */
    static const unsigned char options[] = {0x6F, 0x00, 0, 0, 0, 0, 0x01, 0, 0, 0, 0};
    CHECK_MEM(r, rl, options, sizeof(options));
    q.n = 0;
    r_u8(&q, 0x6F); r_u8(&q, 0); r_u8(&q, 0); r_str(&q, ""); r_u8(&q, 0);
    CHECK_EQ_U(run(&F, &q, h, 2, NULL, NULL), MAPI_E_INVALID_PARAMETER);
    q.n = 0;
    r_u8(&q, 0x6F); r_u8(&q, 0); r_u8(&q, 0); r_str(&q, "X\x01"); r_u8(&q, 0);
    CHECK_EQ_U(run(&F, &q, h, 2, NULL, NULL), MAPI_E_INVALID_PARAMETER);
}

int main(void)
{
    MH_TEST_INIT();
    if (mh_fixture_open(&F, "alice") != 0)
        return 1;
    mh_guid mb;
    if (mh_fixture_add_user(&F, "bob", &mb, &BOB) != 0)
        return 1;
    RUN(test_spec_example);
    RUN(test_add_modify_remove);
    RUN(test_replace);
    RUN(test_actions_roundtrip);
    RUN(test_bad_values);
    RUN(test_limit);
    RUN(test_table_ops);
    RUN(test_rights);
    RUN(test_no_backend_support);
    RUN(test_codec_extended);
    RUN(test_transport);
    mh_fixture_close(&F);
    return MH_TEST_DONE();
}
