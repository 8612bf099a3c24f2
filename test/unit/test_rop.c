/*
 * test_rop.c - the ROP engine (MS-OXCROPS 2.2.1, 3.2.5) and the logon
 * family (MS-OXCSTOR) through the fixture: a real LMDB store, no httpd.
 */
#include "mh_test.h"
#include "rop_fixture.h"
#include "mh_entryid.h"
#include "mh_log.h"

#include <string.h>

static mh_fixture F;

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* MS-OXCDATA 2.2.1.1: ReplicaId (2 bytes, little-endian) then the
 * GlobalCounter's 6 bytes, most significant first. */
static void test_id_wire_form(void)
{
    const unsigned char want[8] = {0x01, 0x02, 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC};
    uint64_t w = mh_id_to_wire(0x123456789ABCull, 0x0201);
    unsigned char got[8];
    for (int i = 0; i < 8; i++)
        got[i] = (unsigned char)(w >> (8 * i));
    CHECK_MEM(got, 8, want, 8);
    uint16_t r = 0;
    CHECK_EQ_U(mh_id_from_wire(w, &r), 0x123456789ABCull);
    CHECK_EQ_U(r, 0x0201);
    /* a counter's bits above 48 are not carried */
    CHECK_EQ_U(mh_id_to_wire(0xFFFF000000000001ull, 1), mh_id_to_wire(1, 1));
    CHECK_EQ_U(mh_id_to_wire(1, 1), 0x0100000000000001ull);
    CHECK_EQ_U(mh_id_from_wire(0x0100000000000001ull, NULL), 1);
}

static void test_logon(void)
{
    uint32_t logon;
    uint64_t fids[13];
    CHECK_EQ_U(mh_fixture_logon(&F, &logon, fids), 0);
    /* Exchange numbering: (LogonId << 24) | n, the logon first */
    CHECK_EQ_U(logon, 0);
    /* the 13 folders, replica id 1, in spec order: root first, Inbox 5th */
    for (int i = 0; i < 13; i++) {
        CHECK(fids[i] != 0);
        CHECK_EQ_U(fids[i] & 0xFFFF, 1);
    }
    CHECK_EQ_U(mh_id_from_wire(fids[4], NULL), F.inbox);
    /* a second logon on the same id replaces the first, and handle numbers
     * are never reused */
    uint32_t again;
    CHECK_EQ_U(mh_fixture_logon(&F, &again, fids), 0);
    CHECK_EQ_U(again, 1);
}

static void test_logon_errors(void)
{
    /* someone else's DN that does not exist: ecUnknownUser */
    const char *dn = "/o=Nowhere/cn=Recipients/cn=nobody";
    unsigned char req[128];
    size_t k = 0, n = strlen(dn) + 1;
    req[k++] = 0xFE; req[k++] = 1; req[k++] = 0; req[k++] = 0x01;
    memset(req + k, 0, 8); k += 8;
    mh_put_u16(req + k, (uint16_t)n); k += 2;
    memcpy(req + k, dn, n); k += n;
    uint32_t h[1] = {0xFFFFFFFF};
    const unsigned char *r; size_t rl;
    CHECK_EQ_U(mh_fixture_exec(&F, req, k, h, 1, &r, &rl), 0);
    CHECK_EQ_U(rl, 6);
    CHECK_EQ_U(r[0], 0xFE);
    CHECK_EQ_U(mh_get_u32(r + 2), EC_UNKNOWN_USER);
    CHECK_EQ_U(h[0], 0xFFFFFFFF); /* a failed ROP leaves its slot */
    /* a public logon: no public folders here */
    req[3] = 0x00;
    mh_put_u16(req + 12, 0);
    CHECK_EQ_U(mh_fixture_exec(&F, req, 14, h, 1, &r, &rl), 0);
    CHECK_EQ_U(mh_get_u32(r + 2), MAPI_E_LOGON_FAILED);
}

/* Gives directory entry `id` a server, and a mailbox GUID when `mailbox`
 * is not NULL; returns its legacy DN. */
static const char *set_entry_server(uint32_t id, const char *server, const mh_guid *mailbox)
{
    mh_betxn *t;
    mh_error e = {MH_OK, NULL};
    mh_dir_entry ent;
    if (mh_be_begin(F.be, NULL, MH_TXN_WRITE, F.pool, &t, &e) != MH_OK)
        return NULL;
    if (mh_be_dir_get(t, id, &ent, &e) != MH_OK) {
        mh_be_abort(t);
        return NULL;
    }
    ent.server = server;
    if (mailbox)
        ent.mailbox = *mailbox;
    uint32_t same = 0;
    if (mh_be_dir_put(t, &ent, NULL, &same, &e) != MH_OK || same != id ||
        mh_be_commit(t, &e) != MH_OK)
        return NULL;
    return ent.legacy_dn;
}

/* RopLogon with LogonId 3 into slot 1 of the mailbox of `dn`, LogonFlags
 * Private | Undercover, then RopGetStoreState on the first logon. */
static size_t logon_dn_req(unsigned char *req, const char *dn)
{
    size_t k = 0, n = strlen(dn) + 1;
    req[k++] = 0xFE; req[k++] = 3; req[k++] = 1; /* LogonId 3, OutputHandleIndex 1 */
    req[k++] = 0x05; /* LogonFlags: Private | Undercover */
    mh_put_u32(req + k, 0x01000000); k += 4;
    mh_put_u32(req + k, 0); k += 4;
    mh_put_u16(req + k, (uint16_t)n); k += 2;
    memcpy(req + k, dn, n); k += n;
    req[k++] = 0x7B; req[k++] = 0; req[k++] = 0; /* RopGetStoreState on the logon */
    return k;
}

/* A mailbox held by another server - the directory names a server and this
 * store does not hold the mailbox, the rule Autodiscover redirects by
 * (mh_be_mailbox_where) - gets ecWrongServer with the redirect layout of
 * MS-OXCROPS 2.2.3.1.4 (the request's LogonFlags, ServerNameSize with the
 * NUL, the server name); the ROP leaves its output slot alone, and the next
 * ROP of the batch runs. */
static void test_logon_redirect(void)
{
    mh_guid mb;
    uint32_t id;
    REQUIRE(mh_fixture_add_user(&F, "moved", &mb, &id) == 0);
    const char *server = "mbx7.example.org";
    mh_guid away;
    memset(away.b, 0xEE, sizeof(away.b)); /* a mailbox this store does not hold */
    const char *dn = set_entry_server(id, server, &away);
    REQUIRE(dn != NULL);

    uint32_t logon; uint64_t fids[13];
    CHECK_EQ_U(mh_fixture_logon(&F, &logon, fids), 0);
    unsigned char req[256];
    size_t k = logon_dn_req(req, dn);
    uint32_t h[2] = {logon, 0xFFFFFFFF};
    const unsigned char *r; size_t rl;
    REQUIRE(mh_fixture_exec(&F, req, k, h, 2, &r, &rl) == 0);
    unsigned char want[64];
    size_t wl = 0;
    want[wl++] = 0xFE;
    want[wl++] = 1;                   /* OutputHandleIndex */
    mh_put_u32(want + wl, 0x478); wl += 4; /* ecWrongServer */
    want[wl++] = 0x05;                /* LogonFlags as sent */
    want[wl++] = (unsigned char)(strlen(server) + 1);
    memcpy(want + wl, server, strlen(server) + 1); wl += strlen(server) + 1;
    REQUIRE(rl == wl + 10);
    CHECK_MEM(r, wl, want, wl);
    CHECK_EQ_U(r[wl], 0x7B);
    CHECK_EQ_U(mh_get_u32(r + wl + 2), 0);
    CHECK_EQ_U(h[1], 0xFFFFFFFF);     /* no logon object was made */
    CHECK(mh_obj_logon(&(mh_ropctx){.ses = F.ses, .pool = F.pool}, 3) == NULL);
}

/* A directory entry naming a server whose mailbox this store holds (the
 * server is this host, or storage shared by several): RopLogon logs on
 * here, it does not send the client away (it would come back forever). */
static void test_logon_server_is_this_one(void)
{
    mh_guid mb;
    uint32_t id;
    REQUIRE(mh_fixture_add_user(&F, "local", &mb, &id) == 0);
    const char *dn = set_entry_server(id, "mail.example.com", NULL);
    REQUIRE(dn != NULL);

    uint32_t logon; uint64_t fids[13];
    CHECK_EQ_U(mh_fixture_logon(&F, &logon, fids), 0);
    unsigned char req[256];
    size_t k = logon_dn_req(req, dn);
    uint32_t h[2] = {logon, 0xFFFFFFFF};
    const unsigned char *r; size_t rl;
    REQUIRE(mh_fixture_exec(&F, req, k, h, 2, &r, &rl) == 0);
    REQUIRE(rl > 6);
    CHECK_EQ_U(r[0], 0xFE);
    CHECK_EQ_U(r[1], 1);
    CHECK_EQ_U(mh_get_u32(r + 2), 0); /* Success, not ecWrongServer */
    CHECK_EQ_U(r[6], 0x05);           /* LogonFlags of the private store response */
    CHECK(h[1] != 0xFFFFFFFF);        /* a logon object in slot 1 */
    CHECK(mh_obj_logon(&(mh_ropctx){.ses = F.ses, .pool = F.pool}, 3) != NULL);
    /* released again: the tests after this one count the session's objects */
    unsigned char rel[3] = {0x01, 3, 1};
    CHECK_EQ_U(mh_fixture_exec(&F, rel, 3, h, 2, &r, &rl), 0);
    CHECK(mh_obj_logon(&(mh_ropctx){.ses = F.ses, .pool = F.pool}, 3) == NULL);

    /* the rule itself, for each kind of entry */
    mh_betxn *t;
    mh_error e = {MH_OK, NULL};
    mh_dir_entry here, gone, none;
    REQUIRE(mh_be_begin(F.be, NULL, MH_TXN_READ, F.pool, &t, &e) == MH_OK);
    REQUIRE(mh_be_dir_find(t, MH_DIR_BY_LOGIN, "local", &here, &e) == MH_OK);
    REQUIRE(mh_be_dir_find(t, MH_DIR_BY_LOGIN, "moved", &gone, &e) == MH_OK);
    mh_be_abort(t);
    CHECK_EQ_U(mh_be_mailbox_where(F.be, &here, F.pool, &e), MH_MBX_HERE);
    here.server = NULL;
    CHECK_EQ_U(mh_be_mailbox_where(F.be, &here, F.pool, &e), MH_MBX_HERE);
    CHECK_EQ_U(mh_be_mailbox_where(F.be, &gone, F.pool, &e), MH_MBX_ELSEWHERE);
    none = gone;
    none.server = ""; /* a mailbox nobody serves */
    CHECK_EQ_U(mh_be_mailbox_where(F.be, &none, F.pool, &e), MH_MBX_NONE);
    none = here;
    none.has_mailbox = 0;
    none.server = "mbx7.example.org";
    CHECK_EQ_U(mh_be_mailbox_where(F.be, &none, F.pool, &e), MH_MBX_NONE);
}

/* A batch with a ROP this server does not implement in the middle: it
 * gets its own error and the ROPs after it still run. */
static void test_unimplemented_and_bad_index(void)
{
    uint32_t logon; uint64_t fids[13];
    CHECK_EQ_U(mh_fixture_logon(&F, &logon, fids), 0);
    unsigned char req[64];
    size_t k = 0;
    /* RopGetStoreState on index 0 */
    req[k++] = 0x7B; req[k++] = 0; req[k++] = 0;
    /* RopPublicFolderIsGhosted on index 5: outside the table */
    req[k++] = 0x45; req[k++] = 0; req[k++] = 5;
    mh_put_u32(req + k, 1); mh_put_u32(req + k + 4, 0); k += 8;
    /* RopGetStoreState on index 1: an unused slot */
    req[k++] = 0x7B; req[k++] = 0; req[k++] = 1;
    /* RopGetStoreState again on index 0 */
    req[k++] = 0x7B; req[k++] = 0; req[k++] = 0;
    uint32_t h[2] = {logon, 0xFFFFFFFF};
    const unsigned char *r; size_t rl;
    CHECK_EQ_U(mh_fixture_exec(&F, req, k, h, 2, &r, &rl), 0);
    /* 10 + 6 + 6 + 10 bytes */
    CHECK_EQ_U(rl, 32);
    CHECK_EQ_U(r[0], 0x7B);
    CHECK_EQ_U(mh_get_u32(r + 2), 0);
    CHECK_EQ_U(r[10], 0x45);
    CHECK_EQ_U(r[11], 5);
    CHECK_EQ_U(mh_get_u32(r + 12), EC_NULL_OBJECT);
    CHECK_EQ_U(mh_get_u32(r + 18), EC_NULL_OBJECT);
    CHECK_EQ_U(r[22], 0x7B);
    CHECK_EQ_U(mh_get_u32(r + 24), 0);
    CHECK_EQ_U(h[0], logon);
    CHECK_EQ_U(h[1], 0xFFFFFFFF);
}

/* A ROP whose LogonId names none of the session's logons: ecNullObject,
 * nothing made, and the ROPs after it still run. */
static void test_unknown_logon_id(void)
{
    uint32_t logon; uint64_t fids[13];
    CHECK_EQ_U(mh_fixture_logon(&F, &logon, fids), 0);
    unsigned char req[64];
    size_t k = 0;
    /* RopOpenFolder, LogonId 7, on the logon (index 0) into index 1 */
    req[k++] = 0x02; req[k++] = 7; req[k++] = 0; req[k++] = 1;
    for (int b = 0; b < 8; b++)
        req[k++] = (unsigned char)(fids[4] >> (8 * b));
    req[k++] = 0;
    /* RopCreateMessage, LogonId 7, into index 1 */
    req[k++] = 0x06; req[k++] = 7; req[k++] = 0; req[k++] = 1;
    mh_put_u16(req + k, 0x0FFF); k += 2;
    for (int b = 0; b < 8; b++)
        req[k++] = (unsigned char)(fids[4] >> (8 * b));
    req[k++] = 0;
    /* RopGetStoreState, LogonId 7, then LogonId 0 */
    req[k++] = 0x7B; req[k++] = 7; req[k++] = 0;
    req[k++] = 0x7B; req[k++] = 0; req[k++] = 0;
    unsigned before = apr_hash_count(F.ses->objects);
    uint32_t h[2] = {logon, 0xFFFFFFFF};
    const unsigned char *r; size_t rl;
    CHECK_EQ_U(mh_fixture_exec(&F, req, k, h, 2, &r, &rl), 0);
    /* three failures of 6 bytes (OpenFolder's carries its output index),
     * one success with its 4-byte StoreState */
    REQUIRE(rl == 6 + 6 + 6 + 10);
    CHECK_EQ_U(r[0], 0x02);
    CHECK_EQ_U(r[1], 1);
    CHECK_EQ_U(mh_get_u32(r + 2), EC_NULL_OBJECT);
    CHECK_EQ_U(r[6], 0x06);
    CHECK_EQ_U(mh_get_u32(r + 8), EC_NULL_OBJECT);
    CHECK_EQ_U(r[12], 0x7B);
    CHECK_EQ_U(mh_get_u32(r + 14), EC_NULL_OBJECT);
    CHECK_EQ_U(r[18], 0x7B);
    CHECK_EQ_U(mh_get_u32(r + 20), 0);
    CHECK_EQ_U(h[1], 0xFFFFFFFF);
    CHECK_EQ_U(apr_hash_count(F.ses->objects), before);
}

static void test_format_errors(void)
{
    uint32_t h[1] = {0};
    const unsigned char *r; size_t rl;
    /* a reserved RopId fails the whole call */
    unsigned char bad[3] = {0x00, 0, 0};
    CHECK_EQ_U(mh_fixture_exec(&F, bad, 3, h, 1, &r, &rl), EC_RPC_FORMAT);
    /* truncated: RopLongTermIdFromId without its ID */
    unsigned char trunc[5] = {0x43, 0, 0, 1, 2};
    CHECK_EQ_U(mh_fixture_exec(&F, trunc, 5, h, 1, &r, &rl), EC_RPC_FORMAT);
    /* nothing ran: a valid ROP before the truncated one left no trace */
    uint32_t logon; uint64_t fids[13];
    CHECK_EQ_U(mh_fixture_logon(&F, &logon, fids), 0);
    unsigned char two[3 + 24 + 5];
    size_t k = 0;
    two[k++] = 0xFE; /* RopLogon that would release the current one... */
    two[k++] = 0; two[k++] = 0; two[k++] = 1;
    memset(two + k, 0, 10); k += 10; /* OpenFlags, StoreState, EssdnSize 0 */
    two[k++] = 0x43; two[k++] = 0; two[k++] = 0; two[k++] = 1; /* truncated */
    h[0] = logon;
    CHECK_EQ_U(mh_fixture_exec(&F, two, k, h, 1, &r, &rl), EC_RPC_FORMAT);
    CHECK(apr_hash_count(F.ses->objects) == 1);
    CHECK(mh_obj_find(&(mh_ropctx){.ses = F.ses}, logon) != NULL);
}

/* What the engine logged (the sink installed by test_malformed_value). */
static int LOGGED_LEVEL = -1;
static char LOGGED[512];

static void sink(void *baton, int level, const char *msg)
{
    (void)baton;
    if (strstr(msg, "MH00501") || strstr(msg, "MH00502") || strstr(msg, "MH01103")) {
        LOGGED_LEVEL = level;
        apr_cpystrn(LOGGED, msg, sizeof LOGGED);
    }
}

/* A value the skipper cannot judge and the handler finds malformed (a sort
 * order that is none of MS-OXCDATA 2.13.1's): the ROP gets ecInvalidParam,
 * the ROPs after it run, and the log says so at info with the ROP's name,
 * not as an error (client input is no server fault). */
static void test_malformed_value(void)
{
    mh_log_set_sink(sink, NULL, MH_LOG_DEBUG);
    uint32_t logon; uint64_t fids[13];
    CHECK_EQ_U(mh_fixture_logon(&F, &logon, fids), 0);
    unsigned char req[64];
    size_t k = 0;
    /* RopOpenFolder (Inbox) into 1, RopGetContentsTable into 2 */
    req[k++] = 0x02; req[k++] = 0; req[k++] = 0; req[k++] = 1;
    for (int b = 0; b < 8; b++)
        req[k++] = (unsigned char)(fids[4] >> (8 * b));
    req[k++] = 0;
    req[k++] = 0x05; req[k++] = 0; req[k++] = 1; req[k++] = 2; req[k++] = 0;
    /* RopSortTable: one SortOrder on PR_SUBJECT with Order 0x07 */
    req[k++] = 0x13; req[k++] = 0; req[k++] = 2; req[k++] = 0;
    mh_put_u16(req + k, 1); k += 2;
    mh_put_u16(req + k, 0); k += 2;
    mh_put_u16(req + k, 0); k += 2;
    mh_put_u32(req + k, 0x0037001F); k += 4;
    req[k++] = 0x07;
    /* RopGetStoreState afterwards */
    req[k++] = 0x7B; req[k++] = 0; req[k++] = 0;
    uint32_t h[3] = {logon, 0xFFFFFFFF, 0xFFFFFFFF};
    const unsigned char *r; size_t rl;
    CHECK_EQ_U(mh_fixture_exec(&F, req, k, h, 3, &r, &rl), 0);
    /* the last two responses: SortTable (6 bytes), GetStoreState (10) */
    REQUIRE(rl >= 16);
    const unsigned char *st = r + rl - 16;
    CHECK_EQ_U(st[0], 0x13);
    CHECK_EQ_U(mh_get_u32(st + 2), MAPI_E_INVALID_PARAMETER);
    CHECK_EQ_U(st[6], 0x7B);
    CHECK_EQ_U(mh_get_u32(st + 8), 0);
    CHECK_EQ_U(LOGGED_LEVEL, MH_LOG_INFO);
    CHECK(strstr(LOGGED, "MH01103") && strstr(LOGGED, "RopSortTable"));
    mh_log_set_sink(NULL, NULL, -1);
}

static void test_ids_and_receive_folders(void)
{
    uint32_t logon; uint64_t fids[13];
    CHECK_EQ_U(mh_fixture_logon(&F, &logon, fids), 0);
    uint32_t h[1] = {logon};
    const unsigned char *r; size_t rl;
    /* LongTermIdFromId then back */
    unsigned char req[64];
    req[0] = 0x43; req[1] = 0; req[2] = 0;
    for (int i = 0; i < 8; i++) req[3 + i] = (unsigned char)(fids[4] >> (8 * i));
    CHECK_EQ_U(mh_fixture_exec(&F, req, 11, h, 1, &r, &rl), 0);
    CHECK_EQ_U(rl, 6 + 24);
    CHECK_EQ_U(mh_get_u32(r + 2), 0);
    CHECK(memcmp(r + 6, F.mailbox.b, 16) == 0);
    unsigned char ltid[24];
    memcpy(ltid, r + 6, 24);
    req[0] = 0x44;
    memcpy(req + 3, ltid, 24);
    CHECK_EQ_U(mh_fixture_exec(&F, req, 27, h, 1, &r, &rl), 0);
    CHECK_EQ_U(mh_get_u32(r + 2), 0);
    CHECK_EQ_U(get_u64(r + 6), fids[4]);
    /* an unknown replica GUID */
    ltid[0] ^= 0xFF;
    memcpy(req + 3, ltid, 24);
    CHECK_EQ_U(mh_fixture_exec(&F, req, 27, h, 1, &r, &rl), 0);
    CHECK_EQ_U(mh_get_u32(r + 2), MAPI_E_NOT_FOUND);

    /* GetReceiveFolder: IPM.Note.Custom falls back to the IPM entry,
     * which provisioning points at the Inbox */
    const char *cls = "IPM.Note.Custom";
    size_t n = strlen(cls) + 1;
    req[0] = 0x27;
    memcpy(req + 3, cls, n);
    CHECK_EQ_U(mh_fixture_exec(&F, req, 3 + n, h, 1, &r, &rl), 0);
    CHECK_EQ_U(mh_get_u32(r + 2), 0);
    CHECK_EQ_U(get_u64(r + 6), fids[4]);
    CHECK(strcasecmp((const char *)r + 14, "IPM") == 0 || strcmp((const char *)r + 14, "") == 0);
    /* SetReceiveFolder for IPM.Note.Custom to Sent Items, then ask again */
    req[0] = 0x26;
    for (int i = 0; i < 8; i++) req[3 + i] = (unsigned char)(fids[6] >> (8 * i));
    memcpy(req + 11, cls, n);
    CHECK_EQ_U(mh_fixture_exec(&F, req, 11 + n, h, 1, &r, &rl), 0);
    CHECK_EQ_U(mh_get_u32(r + 2), 0);
    req[0] = 0x27;
    memcpy(req + 3, "IPM.NOTE.CUSTOM.X", 18);
    CHECK_EQ_U(mh_fixture_exec(&F, req, 21, h, 1, &r, &rl), 0);
    CHECK_EQ_U(get_u64(r + 6), fids[6]);
    CHECK_STR((const char *)r + 14, "IPM.Note.Custom");
    /* the default entry cannot be removed */
    req[0] = 0x26;
    memset(req + 3, 0, 8);
    req[11] = 0;
    CHECK_EQ_U(mh_fixture_exec(&F, req, 12, h, 1, &r, &rl), 0);
    CHECK_EQ_U(mh_get_u32(r + 2), MAPI_E_CALL_FAILED);
    /* the table lists the entries as standard rows */
    req[0] = 0x68;
    CHECK_EQ_U(mh_fixture_exec(&F, req, 3, h, 1, &r, &rl), 0);
    CHECK_EQ_U(mh_get_u32(r + 2), 0);
    CHECK(mh_get_u32(r + 6) >= 3);
}

static void test_release_and_state(void)
{
    uint32_t logon; uint64_t fids[13];
    CHECK_EQ_U(mh_fixture_logon(&F, &logon, fids), 0);
    CHECK_EQ_U(apr_hash_count(F.ses->objects), 1);
    /* RopRelease has no response; releasing an unused slot is ignored */
    unsigned char req[6] = {0x01, 0, 1, 0x01, 0, 0};
    uint32_t h[2] = {logon, 0xFFFFFFFF};
    const unsigned char *r; size_t rl;
    CHECK_EQ_U(mh_fixture_exec(&F, req, 6, h, 2, &r, &rl), 0);
    CHECK_EQ_U(rl, 0);
    CHECK_EQ_U(apr_hash_count(F.ses->objects), 0);
    /* the handle is dead now */
    unsigned char st[3] = {0x7B, 0, 0};
    CHECK_EQ_U(mh_fixture_exec(&F, st, 3, h, 1, &r, &rl), 0);
    CHECK_EQ_U(mh_get_u32(r + 2), EC_NULL_OBJECT);
}

/* A response that cannot fit: RopBufferTooSmall with the rest of the
 * requests, or the call's ecBufferTooSmall when not even that fits. */
static void test_buffer_too_small(void)
{
    uint32_t logon; uint64_t fids[13];
    CHECK_EQ_U(mh_fixture_logon(&F, &logon, fids), 0);
    unsigned char req[3 * 200];
    for (int i = 0; i < 200; i++) {
        req[3 * i] = 0x7B; req[3 * i + 1] = 0; req[3 * i + 2] = 0;
    }
    uint32_t h[1] = {logon};
    const unsigned char *r; size_t rl;
    F.max_rop_out = 1024;
    CHECK_EQ_U(mh_fixture_exec(&F, req, sizeof(req), h, 1, &r, &rl), 0);
    /* some ran, then 0xFF with SizeNeeded and the rest of the requests */
    size_t ran = 0;
    while (ran * 10 < rl && r[ran * 10] == 0x7B)
        ran++;
    CHECK(ran > 0 && ran < 200);
    CHECK_EQ_U(r[ran * 10], 0xFF);
    CHECK_EQ_U(rl, ran * 10 + 3 + (200 - ran) * 3);
    CHECK(memcmp(r + ran * 10 + 3, req + 3 * ran, (200 - ran) * 3) == 0);
    F.max_rop_out = 16;
    CHECK_EQ_U(mh_fixture_exec(&F, req, 3, h, 1, &r, &rl), EC_BUFFER_TOO_SMALL);
    F.max_rop_out = 0x10008;
}

/* The store object's properties: entry IDs of the special folders. */
static void test_store_props(void)
{
    uint32_t logon; uint64_t fids[13];
    CHECK_EQ_U(mh_fixture_logon(&F, &logon, fids), 0);
    apr_pool_t *p;
    apr_pool_create(&p, NULL);
    mh_ropctx cx = {.pool = p, .ses = F.ses, .be = F.be, .user = F.user, .cp = 1252};
    mh_object *o = mh_obj_find(&cx, logon);
    CHECK(o != NULL);
    if (!o)
        return;
    mh_proptag tags[3] = {PR_IPM_SUBTREE_ENTRYID, MH_TAG(0x0FFF, PT_BINARY), PR_DISPLAY_NAME};
    mh_proplist out;
    CHECK_EQ_U(mh_objclass_of(MH_OT_LOGON)->props->get(&cx, o, tags, 3, UINT64_MAX, p, &out), 0);
    CHECK_EQ_U(out.n, 3);
    mh_eid eid;
    CHECK_EQ_U(mh_eid_parse(out.v[0].v.bin.data, out.v[0].v.bin.len, &eid), 0);
    CHECK_EQ_U(eid.folder, mh_id_from_wire(fids[3], NULL));
    CHECK(out.v[1].v.bin.len > 60);
    CHECK_STR(out.v[2].v.str, "Mailbox - alice");
    apr_pool_destroy(p);
}

int main(void)
{
    MH_TEST_INIT();
    if (mh_fixture_open(&F, "alice") != 0)
        return 1;
    RUN(test_id_wire_form);
    RUN(test_logon);
    RUN(test_logon_errors);
    RUN(test_logon_redirect);
    RUN(test_logon_server_is_this_one);
    RUN(test_unimplemented_and_bad_index);
    RUN(test_unknown_logon_id);
    RUN(test_format_errors);
    RUN(test_malformed_value);
    RUN(test_ids_and_receive_folders);
    RUN(test_release_and_state);
    RUN(test_buffer_too_small);
    RUN(test_store_props);
    mh_fixture_close(&F);
    return MH_TEST_DONE();
}
