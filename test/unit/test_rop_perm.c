/*
 * test_rop_perm.c - permissions (MS-OXCPERM; MS-OXCROPS 2.2.10) through the
 * ROP fixture: alice grants and takes back rights, bob (a second user)
 * logs on to alice's mailbox and is let in or refused accordingly.
 */
#include "rop_fold_util.h"

static mh_fixture F;
static uint64_t FIDS[13];
static uint32_t BOB;
static const char *BOB_DN =
    "/o=Test/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=bob";

#define TAG_ENTRYID MH_TAG(0x0FFF, PT_BINARY)
#define TAG_MEMBER_ID MH_TAG(0x6671, PT_I8)
#define TAG_MEMBER_RIGHTS MH_TAG(0x6673, PT_LONG)

static mh_id W2ID(uint64_t w) { return mh_id_from_wire(w, NULL); }

static uint32_t as(const char *login)
{
    uint32_t logon;
    mh_fixture_set_user(&F, login);
    return mh_fixture_logon(&F, &logon, FIDS) == 0 ? logon : NOH;
}

/* RopModifyPermissions header on h[1] */
static void mp_begin(req *q, uint8_t flags, uint16_t count)
{
    q->n = 0;
    r_u8(q, 0x40); r_u8(q, 0); r_u8(q, 1); r_u8(q, flags); r_u16(q, count);
}

static void mp_add_dn(req *q, const char *dn, uint32_t rights)
{
    mh_bin eid;
    mh_ab_entryid(dn, MH_AB_DT_MAILUSER, F.batch_pool, &eid);
    r_u8(q, 0x01); r_u16(q, 2);
    r_u32(q, TAG_ENTRYID); r_u16(q, (uint16_t)eid.len); r_bytes(q, eid.data, eid.len);
    r_u32(q, TAG_MEMBER_RIGHTS); r_u32(q, rights);
}

static void mp_member(req *q, uint8_t flags, int64_t member, uint32_t rights)
{
    r_u8(q, flags); r_u16(q, flags == 0x04 ? 1 : 2);
    r_u32(q, TAG_MEMBER_ID); r_u64(q, (uint64_t)member);
    if (flags != 0x04) {
        r_u32(q, TAG_MEMBER_RIGHTS); r_u32(q, rights);
    }
}

/* alice's stored rights of a member on a folder (-1: no row) */
static int64_t stored(uint64_t fid, int64_t member)
{
    mh_betxn *t = rtxn(&F, NULL);
    mh_permission *rows;
    uint32_t n;
    mh_error e;
    int64_t r = -1;
    if (t && mh_be_permissions_get(t, W2ID(fid), &rows, &n, &e) == MH_OK)
        for (uint32_t i = 0; i < n; i++)
            if (rows[i].member == member)
                r = rows[i].rights;
    if (t)
        mh_be_abort(t);
    return r;
}

static void test_grant_and_modify(void)
{
    uint32_t h[3] = {as("alice"), NOH, NOH};
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 1, FIDS[4]), 0);
    req q;
    /* bob gets Visible | ReadAny | FreeBusySimple on the Inbox; without
     * IncludeFreeBusy the free/busy bit does not stick */
    mp_begin(&q, 0, 1);
    mp_add_dn(&q, BOB_DN, FRIGHTS_VISIBLE | FRIGHTS_READ_ANY | FRIGHTS_FREEBUSY_SIMPLE);
    const unsigned char *r;
    size_t rl;
    CHECK_EQ_U(run(&F, &q, h, 3, &r, &rl), 0);
    CHECK_EQ_U(rl, 6);
    CHECK_EQ_U(stored(FIDS[4], BOB), FRIGHTS_VISIBLE | FRIGHTS_READ_ANY);
    /* with IncludeFreeBusy it does */
    mp_begin(&q, 0x02, 1);
    mp_member(&q, 0x02, BOB, FRIGHTS_VISIBLE | FRIGHTS_READ_ANY | FRIGHTS_FREEBUSY_SIMPLE);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), 0);
    CHECK_EQ_U(stored(FIDS[4], BOB),
               FRIGHTS_VISIBLE | FRIGHTS_READ_ANY | FRIGHTS_FREEBUSY_SIMPLE);
    /* Default on the Calendar: Visible (ModifyRow of Default needs no row) */
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 2, FIDS[4]), 0);
    uint64_t cal = 0;
    /* the Calendar is not among the 13 logon folders: find it by name */
    cal = mh_id_to_wire(child_named(&F, W2ID(FIDS[3]), "Calendar"), 1);
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 1, cal), 0);
    mp_begin(&q, 0, 2);
    mp_member(&q, 0x02, MH_MEMBER_DEFAULT, FRIGHTS_VISIBLE);
    mp_member(&q, 0x02, MH_MEMBER_ANONYMOUS, 0);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), 0);
    CHECK_EQ_U(stored(cal, MH_MEMBER_DEFAULT), FRIGHTS_VISIBLE);
    CHECK_EQ_U(stored(cal, MH_MEMBER_ANONYMOUS), 0);

    /* errors, each leaving the table as it was */
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 1, FIDS[4]), 0);
    mp_begin(&q, 0, 1);
    mp_member(&q, 0x02, 999999, FRIGHTS_VISIBLE); /* no such row */
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), MAPI_E_NOT_FOUND);
    mp_begin(&q, 0, 1);
    mp_member(&q, 0x08, BOB, FRIGHTS_VISIBLE); /* no such DataFlags */
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), MAPI_E_INVALID_PARAMETER);
    mp_begin(&q, 0x04, 1); /* no such ModifyFlags */
    mp_member(&q, 0x02, BOB, FRIGHTS_VISIBLE);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), MAPI_E_INVALID_PARAMETER);
    mp_begin(&q, 0x01, 1); /* ReplaceRows takes AddRow only */
    mp_member(&q, 0x02, BOB, FRIGHTS_VISIBLE);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), MAPI_E_INVALID_PARAMETER);
    mp_begin(&q, 0, 1);
    mp_member(&q, 0x02, BOB, 0x00100000); /* a right nobody defined */
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), MAPI_E_INVALID_PARAMETER);
    mp_begin(&q, 0, 1);
    mp_add_dn(&q, "/o=Test/cn=Recipients/cn=nobody", FRIGHTS_VISIBLE);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), MAPI_E_NOT_FOUND);
    mp_begin(&q, 0, 1); /* an entry ID that is none */
    r_u8(&q, 0x01); r_u16(&q, 2);
    r_u32(&q, TAG_ENTRYID); r_u16(&q, 5); r_bytes(&q, "abcde", 5);
    r_u32(&q, TAG_MEMBER_RIGHTS); r_u32(&q, 0);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), MAPI_E_INVALID_ENTRYID);
    /* two changes, the second failing: the first is not kept either */
    mp_begin(&q, 0, 2);
    mp_member(&q, 0x02, BOB, FRIGHTS_VISIBLE);
    mp_member(&q, 0x04, 424242, 0);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), MAPI_E_NOT_FOUND);
    CHECK_EQ_U(stored(FIDS[4], BOB),
               FRIGHTS_VISIBLE | FRIGHTS_READ_ANY | FRIGHTS_FREEBUSY_SIMPLE);
    /* a count larger than the bytes */
    mp_begin(&q, 0, 60000);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), 0xDEADBEEF); /* the whole Execute refuses */
    /* the logon is no folder */
    mp_begin(&q, 0, 0);
    q.b[2] = 0;
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), MAPI_E_NO_SUPPORT);
}

static void test_permissions_table(void)
{
    uint32_t h[3] = {as("alice"), NOH, NOH};
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 1, FIDS[4]), 0);
    req q = {{0}, 0};
    r_u8(&q, 0x3E); r_u8(&q, 0); r_u8(&q, 1); r_u8(&q, 2); r_u8(&q, 0x02);
    uint32_t ec = run(&F, &q, h, 3, NULL, NULL);
    if (ec == MAPI_E_NO_SUPPORT)
        printf("# SKIP permissions table success case: mh_oxctabl.c not linked in\n");
    else
        CHECK_EQ_U(ec, 0);
    q.b[4] = 0x01;
    h[2] = NOH;
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_EQ_U(h[2], NOH);
    q.b[2] = 2;
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), EC_NULL_OBJECT);
}

/* bob in alice's mailbox: what the rights above let him do */
static void test_enforcement(void)
{
    uint64_t cal = mh_id_to_wire(child_named(&F, W2ID(FIDS[3]), "Calendar"), 1);
    uint32_t h[3] = {as("bob"), NOH, NOH};
    CHECK(h[0] != NOH);
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 1, FIDS[4]), 0);       /* his own row */
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 2, cal), 0);           /* Default: Visible */
    h[2] = NOH;
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 2, FIDS[6]), MAPI_E_NO_ACCESS); /* Sent Items: none */
    CHECK_EQ_U(h[2], NOH);
    /* read only: no subfolders, no deleting, no permission changes */
    uint64_t fid;
    CHECK_EQ_U(create_folder(&F, h, 3, 1, 2, 1, 0, "bobs", &fid, NULL), MAPI_E_NO_ACCESS);
    CHECK_EQ_U(child_named(&F, W2ID(FIDS[4]), "bobs"), 0);
    mh_id m = put_message(&F, W2ID(FIDS[4]), "alice's", 0);
    req q = {{0}, 0};
    r_u8(&q, 0x1E); r_u8(&q, 0); r_u8(&q, 1); r_u8(&q, 0); r_u8(&q, 0); r_u16(&q, 1);
    r_u64(&q, mh_id_to_wire(m, 1));
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), MAPI_E_NO_ACCESS);
    CHECK(message_in(&F, m, NULL));
    mp_begin(&q, 0, 1);
    mp_member(&q, 0x02, BOB, 0x7FB);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), MAPI_E_NO_ACCESS);
    CHECK_EQ_U(stored(FIDS[4], BOB), FRIGHTS_VISIBLE | FRIGHTS_READ_ANY | FRIGHTS_FREEBUSY_SIMPLE);

    /* alice lets him make subfolders; what he makes is his to own */
    h[0] = as("alice");
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 1, FIDS[4]), 0);
    mp_begin(&q, 0, 1);
    mp_member(&q, 0x02, BOB, FRIGHTS_VISIBLE | FRIGHTS_READ_ANY | FRIGHTS_CREATE_SUBFOLDER);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), 0);
    h[0] = as("bob");
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 1, FIDS[4]), 0);
    CHECK_EQ_U(create_folder(&F, h, 3, 1, 2, 1, 0, "bobs", &fid, NULL), 0);
    CHECK_EQ_U(stored(fid, BOB), 0x7FB);
    CHECK_EQ_U(stored(fid, MH_MEMBER_DEFAULT), -1); /* the Inbox had no Default row */

    /* ReplaceRows: bob's Inbox row goes, Default stays */
    h[0] = as("alice");
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 1, FIDS[4]), 0);
    mp_begin(&q, 0, 1);
    mp_member(&q, 0x02, MH_MEMBER_DEFAULT, FRIGHTS_VISIBLE);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), 0);
    mp_begin(&q, 0x01, 0);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), 0);
    CHECK_EQ_U(stored(FIDS[4], BOB), -1);
    CHECK_EQ_U(stored(FIDS[4], MH_MEMBER_DEFAULT), FRIGHTS_VISIBLE);
    /* RemoveRow of Default: now nobody but alice sees the Inbox */
    mp_begin(&q, 0, 1);
    mp_member(&q, 0x04, MH_MEMBER_DEFAULT, 0);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), 0);
    CHECK_EQ_U(stored(FIDS[4], MH_MEMBER_DEFAULT), -1);
    h[0] = as("bob");
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 1, FIDS[4]), MAPI_E_NO_ACCESS);
}

/* a distribution list's row counts for its members */
static void test_group(void)
{
    uint32_t grp = 0;
    mh_betxn *t;
    mh_error e;
    CHECK(mh_be_begin(F.be, NULL, MH_TXN_WRITE, F.pool, &t, &e) == MH_OK);
    mh_dir_entry g;
    memset(&g, 0, sizeof(g));
    g.type = MH_DIR_GROUP;
    g.display_name = "Team";
    g.smtp = "team@example.org";
    g.legacy_dn = "/o=Test/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=team";
    CHECK(mh_be_dir_put(t, &g, NULL, &grp, &e) == MH_OK);
    CHECK(mh_be_dir_set_members(t, grp, &BOB, 1, &e) == MH_OK);
    CHECK(mh_be_commit(t, &e) == MH_OK);
    uint32_t h[3] = {as("alice"), NOH, NOH};
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 1, FIDS[6]), 0);
    req q;
    mp_begin(&q, 0, 1);
    mp_add_dn(&q, g.legacy_dn, FRIGHTS_VISIBLE);
    CHECK_EQ_U(run(&F, &q, h, 3, NULL, NULL), 0);
    CHECK_EQ_U(stored(FIDS[6], grp), FRIGHTS_VISIBLE);
    h[0] = as("bob");
    CHECK_EQ_U(open_folder(&F, h, 3, 0, 1, FIDS[6]), 0);
}

int main(void)
{
    MH_TEST_INIT();
    if (mh_fixture_open(&F, "alice") != 0)
        return 1;
    mh_guid mb;
    if (mh_fixture_add_user(&F, "bob", &mb, &BOB) != 0)
        return 1;
    RUN(test_grant_and_modify);
    RUN(test_permissions_table);
    RUN(test_enforcement);
    RUN(test_group);
    mh_fixture_close(&F);
    return MH_TEST_DONE();
}
