/*
 * conformance.c - the backend conformance suite.  Runs a backend through
 * every part of the contract in mapihttp/backend.h, through the same core
 * wrappers mod_mapihttp uses:
 *
 *   mapihttp-conformance [--module FILE.so] NAME key=value...
 *
 * NAME is a backend built in (lmdb) or, with --module, the backend a module
 * exports (MH_BACKEND_EXPORT).  The options are what MapiHttpBackend would
 * get; they must point at an empty store the suite may fill.  TAP output,
 * exit status 0 when every check passed.
 */
#include "mh_backend.h"
#include "mh_entryid.h"
#include "mh_props.h"
#include "mh_provision.h"
#include "mh_test.h"
#include "mh_tool.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_strings.h>

static apr_pool_t *pool;   /* the current test's */
static apr_pool_t *root;
static mh_be *B;
static const mh_backend *BE;
static int ARGC;
static const char *const *ARGV;

#define OK(call) CHECK_EQ_U((call), MH_OK)
#define MUST(call) REQUIRE((call) == MH_OK)

static mh_guid guid_of(unsigned n)
{
    mh_guid g;
    for (int i = 0; i < 16; i++)
        g.b[i] = (uint8_t)(0x40 + n * 7 + i);
    return g;
}

static mh_betxn *begin(const mh_guid *mbx, int write)
{
    mh_betxn *t = NULL;
    mh_error e;
    if (mh_be_begin(B, mbx, write ? MH_TXN_WRITE : MH_TXN_READ, pool, &t, &e) != MH_OK) {
        printf("# begin: %s\n", e.detail);
        return NULL;
    }
    return t;
}

static mh_err commit(mh_betxn *t)
{
    mh_error e;
    mh_err r = mh_be_commit(t, &e);
    if (r != MH_OK)
        printf("# commit: %s\n", e.detail);
    return r;
}

/* ------------------------------------------------------------ directory */

static mh_dir_entry user(const char *login, const char *name, const char *smtp)
{
    mh_dir_entry e;
    memset(&e, 0, sizeof(e));
    e.type = MH_DIR_USER;
    e.login = login;
    e.display_name = name;
    e.smtp = smtp;
    e.legacy_dn = apr_psprintf(root, "/o=Test/ou=Exchange Administrative Group "
                                     "(FYDIBOHF23SPDLT)/cn=Recipients/cn=%s", login);
    return e;
}

static uint32_t uid_ada, uid_bob, uid_cyd, gid_team;

static void test_directory(void)
{
    mh_error e;
    mh_betxn *t = begin(NULL, 1);
    REQUIRE(t);
    mh_dir_entry a = user("ada", "Ada Lovelace", "ada@example.com");
    const char *aliases[] = {"countess@example.com", "A.Lovelace@Example.com"};
    a.aliases = aliases;
    a.n_aliases = 2;
    a.has_mailbox = 1;
    a.mailbox = guid_of(1);
    mh_propval title = mh_pv_str(MH_TAG(0x3A17, PT_UNICODE), "Analyst");
    a.props.n = 1;
    a.props.v = &title;
    MUST(mh_be_dir_put(t, &a, "$2y$05$hash-of-ada", &uid_ada, &e));
    mh_dir_entry b = user("bob", "Bob Babbage", "bob@example.com");
    MUST(mh_be_dir_put(t, &b, NULL, &uid_bob, &e));
    mh_dir_entry c = user("cyd", "Cyd Charisse", "cyd@example.com");
    MUST(mh_be_dir_put(t, &c, NULL, &uid_cyd, &e));
    CHECK(uid_ada && uid_bob && uid_cyd && uid_ada != uid_bob && uid_bob != uid_cyd);
    /* login, addresses and legacy DN are unique, case-insensitively */
    mh_dir_entry dup = user("ADA", "Other", "other@example.com");
    uint32_t id = 0;
    CHECK_EQ_U(mh_be_dir_put(t, &dup, NULL, &id, &e), MH_E_EXISTS);
    dup = user("other", "Other", "COUNTESS@example.com");
    CHECK_EQ_U(mh_be_dir_put(t, &dup, NULL, &id, &e), MH_E_EXISTS);
    dup = user("other", "Other", "other@example.com");
    dup.legacy_dn = a.legacy_dn;
    CHECK_EQ_U(mh_be_dir_put(t, &dup, NULL, &id, &e), MH_E_EXISTS);
    /* a user needs a login; every entry a display name and a legacy DN */
    dup = user(NULL, "Nobody", NULL);
    CHECK_EQ_U(mh_be_dir_put(t, &dup, NULL, &id, &e), MH_E_INVALID);
    /* no empty strings where a value or none is meant */
    dup = user("nobody", "Nobody", "");
    CHECK_EQ_U(mh_be_dir_put(t, &dup, NULL, &id, &e), MH_E_INVALID);
    dup = user("nobody", "Nobody", "nobody@example.com");
    const char *empty_alias[] = {"n2@example.com", ""};
    dup.aliases = empty_alias;
    dup.n_aliases = 2;
    CHECK_EQ_U(mh_be_dir_put(t, &dup, NULL, &id, &e), MH_E_INVALID);
    /* a distribution list */
    mh_dir_entry g;
    memset(&g, 0, sizeof(g));
    g.type = MH_DIR_GROUP;
    g.display_name = "All Staff";
    g.smtp = "staff@example.com";
    g.legacy_dn = "/o=Test/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=staff";
    MUST(mh_be_dir_put(t, &g, NULL, &gid_team, &e));
    uint32_t members[] = {uid_ada, uid_bob};
    OK(mh_be_dir_set_members(t, gid_team, members, 2, &e));
    CHECK_EQ_U(mh_be_dir_set_members(t, uid_ada, members, 2, &e), MH_E_INVALID);
    uint32_t ghost = 999999;
    CHECK_EQ_U(mh_be_dir_set_members(t, gid_team, &ghost, 1, &e), MH_E_NOT_FOUND);
    MUST(commit(t));

    t = begin(NULL, 0);
    REQUIRE(t);
    mh_dir_entry got;
    MUST(mh_be_dir_get(t, uid_ada, &got, &e));
    CHECK_STR(got.login, "ada");
    CHECK_STR(got.display_name, "Ada Lovelace");
    CHECK_EQ_U(got.n_aliases, 2);
    CHECK(got.has_mailbox && memcmp(got.mailbox.b, a.mailbox.b, 16) == 0);
    CHECK(got.props.n == 1 && strcmp(got.props.v[0].v.str, "Analyst") == 0);
    OK(mh_be_dir_find(t, MH_DIR_BY_LOGIN, "ADA", &got, &e));
    CHECK_EQ_U(got.id, uid_ada);
    OK(mh_be_dir_find(t, MH_DIR_BY_SMTP, "a.lovelace@example.com", &got, &e));
    CHECK_EQ_U(got.id, uid_ada);
    OK(mh_be_dir_find(t, MH_DIR_BY_LEGACY_DN, a.legacy_dn, &got, &e));
    CHECK_EQ_U(got.id, uid_ada);
    CHECK_EQ_U(mh_be_dir_find(t, MH_DIR_BY_LOGIN, "nobody", &got, &e), MH_E_NOT_FOUND);
    CHECK_EQ_U(mh_be_dir_get(t, 999999, &got, &e), MH_E_NOT_FOUND);
    uint32_t *ids, n;
    MUST(mh_be_dir_members(t, gid_team, &ids, &n, &e));
    CHECK_EQ_U(n, 2);
    CHECK_EQ_U(mh_be_dir_members(t, uid_bob, &ids, &n, &e), MH_E_INVALID);
    const char *hash;
    OK(mh_be_dir_password(t, "ada", &hash, &e));
    CHECK_STR(hash, "$2y$05$hash-of-ada");
    CHECK_EQ_U(mh_be_dir_password(t, "bob", &hash, &e), MH_E_NOT_FOUND);
    mh_be_abort(t);

    /* an update keeps the password unless given, renames move in the GAL */
    t = begin(NULL, 1);
    REQUIRE(t);
    mh_dir_entry a2 = a;
    a2.id = uid_ada;
    a2.display_name = "Zelda Lovelace";
    a2.n_aliases = 1; /* drop the second alias */
    MUST(mh_be_dir_put(t, &a2, NULL, &id, &e));
    CHECK_EQ_U(id, uid_ada);
    OK(mh_be_dir_password(t, "ada", &hash, &e));
    CHECK_EQ_U(mh_be_dir_find(t, MH_DIR_BY_SMTP, "a.lovelace@example.com", &got, &e), MH_E_NOT_FOUND);
    MUST(commit(t));
}

static void test_gal_order_and_search(void)
{
    mh_error e;
    mh_betxn *t = begin(NULL, 1);
    REQUIRE(t);
    /* enough entries to page through */
    for (int i = 0; i < 30; i++) {
        char login[16], name[512], smtp[64];
        snprintf(login, sizeof(login), "u%02d", i);
        if (i % 5 == 4) /* long names: longer than any cursor */
            snprintf(name, sizeof(name), "Zed %02d %0400d", 29 - i, 0);
        else
            snprintf(name, sizeof(name), "%s Person %02d", (i % 3) ? "Mia" : "Max", 29 - i);
        snprintf(smtp, sizeof(smtp), "user%02d@example.org", i);
        mh_dir_entry x = user(apr_pstrdup(root, login), apr_pstrdup(root, name), apr_pstrdup(root, smtp));
        uint32_t id;
        MUST(mh_be_dir_put(t, &x, NULL, &id, &e));
    }
    MUST(commit(t));
    t = begin(NULL, 0);
    REQUIRE(t);
    uint32_t count;
    MUST(mh_be_dir_count(t, &count, &e));
    CHECK_EQ_U(count, 34); /* 3 users, 1 list, 30 more */
    /* the whole GAL in pages of 7: display-name order, no gaps, no repeats */
    mh_cursor cur = {0};
    const char *prev = NULL;
    uint32_t seen = 0;
    for (int page = 0; page < 20; page++) {
        mh_dir_entry *es;
        uint32_t n;
        mh_cursor next;
        MUST(mh_be_dir_list(t, &cur, 7, &es, &n, &next, &e));
        for (uint32_t i = 0; i < n; i++) {
            if (prev)
                CHECK(strcasecmp(prev, es[i].display_name) <= 0);
            prev = es[i].display_name;
        }
        seen += n;
        if (!next.len)
            break;
        cur = next;
    }
    CHECK_EQ_U(seen, 34);
    /* prefix search over names, words, logins and addresses */
    mh_dir_entry *es;
    uint32_t n;
    MUST(mh_be_dir_search(t, "mia", 100, &es, &n, &e));
    CHECK_EQ_U(n, 16);
    MUST(mh_be_dir_search(t, "person 0", 100, &es, &n, &e));
    CHECK_EQ_U(n, 8);
    MUST(mh_be_dir_search(t, "zed 0", 100, &es, &n, &e));
    CHECK_EQ_U(n, 2);
    CHECK(n == 2 && strlen(es[0].display_name) == 407); /* stored whole */
    MUST(mh_be_dir_search(t, "user1", 100, &es, &n, &e));
    CHECK_EQ_U(n, 10);
    MUST(mh_be_dir_search(t, "BABB", 100, &es, &n, &e));
    CHECK(n == 1 && es[0].id == uid_bob);
    MUST(mh_be_dir_search(t, "zelda", 100, &es, &n, &e));
    CHECK(n == 1 && es[0].id == uid_ada);
    MUST(mh_be_dir_search(t, "staff@", 100, &es, &n, &e));
    CHECK(n == 1 && es[0].id == gid_team);
    MUST(mh_be_dir_search(t, "mia", 5, &es, &n, &e));
    CHECK_EQ_U(n, 5);
    for (uint32_t i = 1; i < n; i++)
        CHECK(strcasecmp(es[i - 1].display_name, es[i].display_name) <= 0);
    MUST(mh_be_dir_search(t, "qqq", 100, &es, &n, &e));
    CHECK_EQ_U(n, 0);
    mh_be_abort(t);
}

static void test_directory_delete(void)
{
    mh_error e;
    mh_betxn *t = begin(NULL, 1);
    REQUIRE(t);
    OK(mh_be_dir_delete(t, uid_bob, &e));
    uint32_t *ids, n;
    MUST(mh_be_dir_members(t, gid_team, &ids, &n, &e));
    CHECK(n == 1 && ids[0] == uid_ada);
    mh_dir_entry got;
    CHECK_EQ_U(mh_be_dir_find(t, MH_DIR_BY_LOGIN, "bob", &got, &e), MH_E_NOT_FOUND);
    CHECK_EQ_U(mh_be_dir_delete(t, uid_bob, &e), MH_E_NOT_FOUND);
    /* IDs are never reused */
    mh_dir_entry b = user("bob", "Bob Again", "bob@example.com");
    uint32_t id;
    MUST(mh_be_dir_put(t, &b, NULL, &id, &e));
    CHECK(id != uid_bob);
    uid_bob = id;
    MUST(commit(t));
}

/*
 * The links the address book keeps in an entry's properties
 * (MH_DIR_LINK_OWNER, MH_DIR_LINK_DELEGATES) and the certificates users
 * publish: PT_LONG, PT_MV_LONG and PT_MV_BINARY values stored and given
 * back as they were, replaced whole by dir_put, the members untouched.
 */
static void test_directory_links(void)
{
    mh_error e;
    mh_betxn *t = begin(NULL, 1);
    REQUIRE(t);
    mh_dir_entry g, a;
    MUST(mh_be_dir_get(t, gid_team, &g, &e));
    mh_propval owner = mh_pv_long(MH_DIR_LINK_OWNER, (int32_t)uid_ada);
    g.props.n = 1;
    g.props.v = &owner;
    uint32_t id;
    MUST(mh_be_dir_put(t, &g, NULL, &id, &e));
    MUST(mh_be_dir_get(t, uid_ada, &a, &e));
    int32_t dele[] = {(int32_t)uid_bob, (int32_t)uid_cyd};
    static const uint8_t c1[] = {0x30, 0x82, 0x01, 0x00}, c2[] = {0x30, 0x00};
    mh_bin cert[] = {{sizeof(c1), c1}, {sizeof(c2), c2}};
    mh_propval v[3];
    memset(v, 0, sizeof(v));
    v[0] = a.props.n ? a.props.v[0] : mh_pv_str(MH_TAG(0x3A17, PT_UNICODE), "Analyst");
    v[1].tag = MH_DIR_LINK_DELEGATES;
    v[1].v.mv.n = 2;
    v[1].v.mv.v = dele;
    v[2].tag = MH_TAG(0x8C6A, PT_MV_BINARY); /* PidTagAddressBookX509Certificate */
    v[2].v.mv.n = 2;
    v[2].v.mv.v = cert;
    a.props.n = 3;
    a.props.v = v;
    MUST(mh_be_dir_put(t, &a, NULL, &id, &e));
    MUST(commit(t));

    t = begin(NULL, 0);
    REQUIRE(t);
    mh_dir_entry got;
    MUST(mh_be_dir_get(t, gid_team, &got, &e));
    const mh_propval *p = mh_proplist_find(&got.props, MH_DIR_LINK_OWNER);
    CHECK(p && p->v.i32 == (int32_t)uid_ada);
    uint32_t *ids, n;
    MUST(mh_be_dir_members(t, gid_team, &ids, &n, &e));
    CHECK_EQ_U(n, 1);
    MUST(mh_be_dir_get(t, uid_ada, &got, &e));
    CHECK_EQ_U(got.props.n, 3);
    for (int i = 0; i < 3; i++) {
        p = mh_proplist_find(&got.props, v[i].tag);
        CHECK(p && mh_propval_equal(p, &v[i]));
    }
    mh_be_abort(t);

    /* replaced whole: the delegates dropped, the rest kept */
    t = begin(NULL, 1);
    REQUIRE(t);
    MUST(mh_be_dir_get(t, uid_ada, &a, &e));
    mh_propval keep[] = {v[0], v[2]};
    a.props.n = 2;
    a.props.v = keep;
    MUST(mh_be_dir_put(t, &a, NULL, &id, &e));
    MUST(commit(t));
    t = begin(NULL, 0);
    REQUIRE(t);
    MUST(mh_be_dir_get(t, uid_ada, &got, &e));
    CHECK_EQ_U(got.props.n, 2);
    CHECK(mh_proplist_find(&got.props, MH_DIR_LINK_DELEGATES) == NULL);
    p = mh_proplist_find(&got.props, v[2].tag);
    CHECK(p && mh_propval_equal(p, &v[2]));
    const char *hash;
    OK(mh_be_dir_password(t, "ada", &hash, &e)); /* the password stays */
    mh_be_abort(t);
}

/* ------------------------------------------------------------ mailboxes */

static mh_guid MBX;
static mh_id ROOT, INBOX, SENT;

static mh_proplist props1(mh_propval *v, const char *name)
{
    v[0] = mh_pv_str(PR_DISPLAY_NAME, name);
    mh_proplist l = {1, v};
    return l;
}

static void test_mailbox_create(void)
{
    mh_error e;
    MBX = guid_of(1);
    mh_betxn *r = NULL;
    mh_error ne;
    /* a read on a missing mailbox: not found */
    CHECK_EQ_U(mh_be_begin(B, &MBX, MH_TXN_READ, pool, &r, &ne), MH_E_NOT_FOUND);
    mh_betxn *t = begin(&MBX, 1);
    REQUIRE(t);
    MUST(mh_be_mailbox_create(t, uid_ada, &e));
    CHECK_EQ_U(mh_be_mailbox_create(t, uid_ada, &e), MH_E_EXISTS);
    mh_propval v[1];
    mh_proplist l = props1(v, "Root");
    MUST(mh_be_folder_create(t, 0, &l, 0, NULL, &ROOT, &e));
    CHECK_EQ_U(mh_be_folder_create(t, 0, &l, 0, NULL, &ROOT, &e), MH_E_INVALID);
    l = props1(v, "Inbox");
    MUST(mh_be_folder_create(t, ROOT, &l, 0, NULL, &INBOX, &e));
    l = props1(v, "Sent Items");
    MUST(mh_be_folder_create(t, ROOT, &l, 0, NULL, &SENT, &e));
    OK(mh_be_mailbox_set_special(t, MH_SF_ROOT, ROOT, &e));
    OK(mh_be_mailbox_set_special(t, MH_SF_INBOX, INBOX, &e));
    CHECK_EQ_U(mh_be_mailbox_set_special(t, MH_SF_SENT_ITEMS, 987654, &e), MH_E_NOT_FOUND);
    MUST(commit(t));
    t = begin(&MBX, 0);
    REQUIRE(t);
    mh_mailbox_info info;
    MUST(mh_be_mailbox_info(t, &info, &e));
    CHECK(memcmp(info.guid.b, MBX.b, 16) == 0);
    CHECK_EQ_U(info.owner, uid_ada);
    CHECK_EQ_U(info.special[MH_SF_ROOT], ROOT);
    CHECK_EQ_U(info.special[MH_SF_INBOX], INBOX);
    CHECK_EQ_U(info.special[MH_SF_SENT_ITEMS], 0);
    CHECK_EQ_U(info.folder_count, 3);
    CHECK(info.last_id >= INBOX);
    mh_be_abort(t);
    t = begin(NULL, 0);
    REQUIRE(t);
    mh_guid *gs;
    uint32_t n;
    MUST(mh_be_mailbox_list(t, &gs, &n, &e));
    CHECK(n >= 1);
    mh_be_abort(t);
}

/* Values of every storable type, single and multi-valued. */
static mh_proplist every_type(void)
{
    static int16_t s16[] = {-3, 7};
    static int32_t s32[] = {-70000, 1, 2};
    static float f32[] = {1.5f};
    static double f64[] = {-2.25, 1e300};
    static int64_t i64[] = {-1, 0x123456789ALL};
    static uint64_t ft[] = {116444736000000000ull, 133000000000000000ull};
    static mh_guid g1 = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
    static mh_guid gs[2] = {{{0xaa}}, {{0xbb}}};
    static const char *strs[] = {"eins", "zwei \xc3\xbc", ""};
    static mh_bin bins[] = {{3, (const uint8_t *)"\x00\x01\x02"}, {0, (const uint8_t *)""}};
    mh_propval *v = apr_pcalloc(root, sizeof(mh_propval) * 32);
    int n = 0;
#define SV(id, type, field, val) (v[n].tag = MH_TAG(id, type), v[n].v.field = (val), n++)
#define MV(id, type, arr) (v[n].tag = MH_TAG(id, type), v[n].v.mv.n = sizeof(arr) / sizeof(arr[0]), v[n].v.mv.v = (arr), n++)
    SV(0x6600, PT_SHORT, i16, -12);
    SV(0x6601, PT_LONG, i32, 123456789);
    SV(0x6602, PT_FLOAT, f32, 3.25f);
    SV(0x6603, PT_DOUBLE, f64, -1.0e-10);
    SV(0x6604, PT_CURRENCY, i64, 12345678900LL);
    SV(0x6605, PT_APPTIME, f64, 40000.5);
    SV(0x6606, PT_ERROR, err, 0x8004010Fu);
    SV(0x6607, PT_BOOLEAN, b, 1);
    SV(0x6608, PT_I8, i64, -9000000000LL);
    SV(0x6609, PT_UNICODE, str, "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x98\x80");
    SV(0x660A, PT_SYSTIME, ft, 132000000000000000ull);
    SV(0x660B, PT_CLSID, guid, &g1);
    v[n].tag = MH_TAG(0x660C, PT_BINARY), v[n].v.bin.data = (const uint8_t *)"\x00\xff\x10", v[n].v.bin.len = 3, n++;
    v[n].tag = MH_TAG(0x660D, PT_SVREID), v[n].v.bin.data = (const uint8_t *)"\x01\x02", v[n].v.bin.len = 2, n++;
    v[n].tag = MH_TAG(0x660E, PT_SRESTRICTION), v[n].v.bin.data = (const uint8_t *)"\x03", v[n].v.bin.len = 1, n++;
    v[n].tag = MH_TAG(0x660F, PT_ACTIONS), v[n].v.bin.data = (const uint8_t *)"\x04\x05", v[n].v.bin.len = 2, n++;
    MV(0x6610, PT_MV_SHORT, s16);
    MV(0x6611, PT_MV_LONG, s32);
    MV(0x6612, PT_MV_FLOAT, f32);
    MV(0x6613, PT_MV_DOUBLE, f64);
    MV(0x6614, PT_MV_CURRENCY, i64);
    MV(0x6615, PT_MV_APPTIME, f64);
    MV(0x6616, PT_MV_I8, i64);
    MV(0x6617, PT_MV_UNICODE, strs);
    MV(0x6618, PT_MV_SYSTIME, ft);
    MV(0x6619, PT_MV_CLSID, gs);
    MV(0x661A, PT_MV_BINARY, bins);
    v[n].tag = MH_TAG(0x661B, PT_MV_LONG), v[n].v.mv.n = 0, v[n].v.mv.v = NULL, n++;
#undef SV
#undef MV
    mh_proplist l = {(uint32_t)n, v};
    return l;
}

static void check_same(const mh_proplist *want, const mh_proplist *got)
{
    for (uint32_t i = 0; i < want->n; i++) {
        const mh_propval *g = mh_proplist_find(got, want->v[i].tag);
        if (!g) {
            printf("# value 0x%08x missing\n", want->v[i].tag);
            CHECK(0);
        } else if (!mh_propval_equal(&want->v[i], g)) {
            printf("# value 0x%08x differs\n", want->v[i].tag);
            CHECK(0);
        }
    }
}

static void test_properties_every_type(void)
{
    mh_error e;
    mh_betxn *t = begin(&MBX, 1);
    REQUIRE(t);
    mh_proplist all = every_type();
    mh_objref obj = {MH_OBJ_FOLDER, INBOX, 0, {0}, 0};
    mh_id cn1, cn2;
    MUST(mh_be_props_set(t, &obj, &all, NULL, 0, NULL, &cn1, &e));
    mh_proplist got;
    MUST(mh_be_props_get(t, &obj, NULL, 0, UINT64_MAX, &got, &e));
    check_same(&all, &got);
    /* the change properties are there and follow the change */
    const mh_propval *ck = mh_proplist_find(&got, PR_CHANGE_KEY);
    const mh_propval *cnv = mh_proplist_find(&got, PR_CHANGE_NUMBER);
    const mh_propval *sk = mh_proplist_find(&got, PR_SOURCE_KEY);
    const mh_propval *pcl = mh_proplist_find(&got, PR_PREDECESSOR_CHANGE_LIST);
    REQUIRE(ck && cnv && sk && pcl);
    CHECK_EQ_U(cnv->v.i64, cn1);
    CHECK_EQ_U(ck->v.bin.len, MH_XID_LEN);
    CHECK_EQ_U(mh_xid_counter(ck->v.bin.data, ck->v.bin.len), cn1);
    CHECK(memcmp(ck->v.bin.data, MBX.b, 16) == 0);
    CHECK_EQ_U(sk->v.bin.len, MH_XID_LEN);
    CHECK_EQ_U(mh_xid_counter(sk->v.bin.data, sk->v.bin.len), INBOX);
    mh_bin sk1 = {sk->v.bin.len, apr_pmemdup(pool, sk->v.bin.data, sk->v.bin.len)};
    /* tags asked for: only those, absent ones left out */
    mh_proptag want[] = {MH_TAG(0x6601, PT_LONG), MH_TAG(0x7777, PT_LONG), PR_DISPLAY_NAME};
    MUST(mh_be_props_get(t, &obj, want, 3, UINT64_MAX, &got, &e));
    CHECK_EQ_U(got.n, 2);
    /* delete one, change another: new CN, same source key, PCL grows */
    mh_proptag del[] = {MH_TAG(0x6600, PT_SHORT)};
    mh_propval nv = mh_pv_long(MH_TAG(0x6601, PT_LONG), 5);
    mh_proplist set = {1, &nv};
    MUST(mh_be_props_set(t, &obj, &set, del, 1, NULL, &cn2, &e));
    CHECK(cn2 > cn1);
    MUST(mh_be_props_get(t, &obj, NULL, 0, UINT64_MAX, &got, &e));
    CHECK(mh_proplist_find(&got, MH_TAG(0x6600, PT_SHORT)) == NULL);
    CHECK_EQ_U(mh_proplist_find(&got, MH_TAG(0x6601, PT_LONG))->v.i32, 5);
    sk = mh_proplist_find(&got, PR_SOURCE_KEY);
    CHECK(sk && sk->v.bin.len == sk1.len && memcmp(sk->v.bin.data, sk1.data, sk1.len) == 0);
    /* not storable types are refused */
    mh_propval bad = {MH_TAG(0x6620, PT_OBJECT), 0, {0}};
    mh_proplist badl = {1, &bad};
    CHECK_EQ_U(mh_be_props_set(t, &obj, &badl, NULL, 0, NULL, &cn2, &e), MH_E_INVALID);
    /* mailbox-level properties */
    mh_objref mobj = {MH_OBJ_MAILBOX, 0, 0, {0}, 0};
    mh_id zero;
    MUST(mh_be_props_set(t, &mobj, &all, NULL, 0, NULL, &zero, &e));
    MUST(mh_be_props_get(t, &mobj, NULL, 0, UINT64_MAX, &got, &e));
    check_same(&all, &got);
    MUST(commit(t));
}

/* ------------------------------------------------------------- folders */

static void test_folders(void)
{
    mh_error e;
    mh_betxn *t = begin(&MBX, 1);
    REQUIRE(t);
    mh_propval v[1];
    mh_proplist l = props1(v, "Projects");
    mh_id projects, sub, other;
    MUST(mh_be_folder_create(t, INBOX, &l, 0, NULL, &projects, &e));
    CHECK_EQ_U(mh_be_folder_create(t, INBOX, &l, 0, NULL, &other, &e), MH_E_EXISTS);
    l = props1(v, "PROJECTS");
    CHECK_EQ_U(mh_be_folder_create(t, INBOX, &l, 0, NULL, &other, &e), MH_E_EXISTS);
    l = props1(v, "Sub");
    MUST(mh_be_folder_create(t, projects, &l, MH_FOLDER_SEARCH, NULL, &sub, &e));
    CHECK_EQ_U(mh_be_folder_create(t, 424242, &l, 0, NULL, &other, &e), MH_E_NOT_FOUND);
    mh_proplist noname = {0, NULL};
    CHECK_EQ_U(mh_be_folder_create(t, INBOX, &noname, 0, NULL, &other, &e), MH_E_INVALID);
    mh_id found;
    OK(mh_be_folder_find(t, INBOX, "projects", &found, &e));
    CHECK_EQ_U(found, projects);
    CHECK_EQ_U(mh_be_folder_find(t, INBOX, "nope", &found, &e), MH_E_NOT_FOUND);
    mh_id *kids;
    uint32_t n;
    MUST(mh_be_folder_children(t, ROOT, &kids, &n, &e));
    CHECK(n == 2 && kids[0] == INBOX && kids[1] == SENT);
    mh_folder_info fi;
    MUST(mh_be_folder_info(t, sub, &fi, &e));
    CHECK_EQ_U(fi.parent, projects);
    CHECK_EQ_U(fi.flags & MH_FOLDER_SEARCH, MH_FOLDER_SEARCH);
    MUST(mh_be_folder_info(t, INBOX, &fi, &e));
    CHECK_EQ_U(fi.child_count, 1);
    /* renames keep names unique */
    mh_propval rn = mh_pv_str(PR_DISPLAY_NAME, "Sent Items");
    mh_proplist rnl = {1, &rn};
    mh_objref pobj = {MH_OBJ_FOLDER, projects, 0, {0}, 0};
    mh_id cn;
    OK(mh_be_props_set(t, &pobj, &rnl, NULL, 0, NULL, &cn, &e)); /* different parent */
    l = props1(v, "Sent Items");
    CHECK_EQ_U(mh_be_folder_create(t, INBOX, &l, 0, NULL, &other, &e), MH_E_EXISTS);
    /* moves: not into its own subtree, not onto a taken name */
    CHECK_EQ_U(mh_be_folder_move(t, projects, sub, NULL, &e), MH_E_INVALID);
    CHECK_EQ_U(mh_be_folder_move(t, projects, ROOT, NULL, &e), MH_E_EXISTS); /* Sent Items */
    rn = mh_pv_str(PR_DISPLAY_NAME, "Archive");
    OK(mh_be_props_set(t, &pobj, &rnl, NULL, 0, NULL, &cn, &e));
    OK(mh_be_folder_move(t, projects, ROOT, NULL, &e));
    MUST(mh_be_folder_info(t, projects, &fi, &e));
    CHECK_EQ_U(fi.parent, ROOT);
    MUST(mh_be_folder_info(t, INBOX, &fi, &e));
    CHECK_EQ_U(fi.child_count, 0);
    CHECK_EQ_U(mh_be_folder_move(t, ROOT, INBOX, NULL, &e), MH_E_INVALID);
    /* change tracking comes with mh_change_in, never as a property */
    mh_bin fake = {22, (const uint8_t *)"0123456789012345678901"};
    mh_propval skv = mh_pv_bin(PR_SOURCE_KEY, fake.data, fake.len);
    mh_proplist skl = {1, &skv};
    CHECK_EQ_U(mh_be_props_set(t, &pobj, &skl, NULL, 0, NULL, &cn, &e), MH_E_INVALID);
    mh_proptag ckt = PR_CHANGE_KEY;
    CHECK_EQ_U(mh_be_props_set(t, &pobj, NULL, &ckt, 1, NULL, &cn, &e), MH_E_INVALID);
    /* a deleted folder leaves no receive folder entry behind */
    OK(mh_be_receive_folder_set(t, "IPM.Note.Projects", sub, &e));
    /* deletes: only empty folders, never the root */
    CHECK_EQ_U(mh_be_folder_delete(t, projects, &e), MH_E_CONFLICT);
    OK(mh_be_folder_delete(t, sub, &e));
    mh_receive_folder *rf;
    uint32_t nrf;
    MUST(mh_be_receive_folders_get(t, &rf, &nrf, &e));
    for (uint32_t i = 0; i < nrf; i++)
        CHECK(rf[i].folder != sub);
    OK(mh_be_folder_delete(t, projects, &e));
    CHECK_EQ_U(mh_be_folder_delete(t, projects, &e), MH_E_NOT_FOUND);
    CHECK_EQ_U(mh_be_folder_delete(t, ROOT, &e), MH_E_INVALID);
    MUST(commit(t));
}

/* ------------------------------------------------------------- messages */

static char *pattern(size_t n, unsigned seed)
{
    char *p = apr_palloc(root, n + 1);
    for (size_t i = 0; i < n; i++)
        p[i] = (char)('a' + (i * 7 + seed + i / 1000) % 26);
    p[n] = 0;
    return p;
}

static mh_message *sample_message(const char *subject, uint64_t delivery, int with_embedded)
{
    mh_message *m = apr_pcalloc(root, sizeof(*m));
    mh_proplist all = every_type();
    mh_propval *v = apr_pcalloc(root, sizeof(mh_propval) * (all.n + 8));
    memcpy(v, all.v, sizeof(mh_propval) * all.n);
    uint32_t n = all.n;
    v[n++] = mh_pv_str(PR_SUBJECT, subject);
    v[n++] = mh_pv_str(PR_MESSAGE_CLASS, "IPM.Note");
    v[n++] = mh_pv_time(PR_MESSAGE_DELIVERY_TIME, delivery);
    v[n++] = mh_pv_str(PR_BODY, pattern(10 * 1024, 1));          /* large: 10 KB */
    v[n++] = mh_pv_long(PR_MESSAGE_FLAGS, 0);
    m->props.n = n;
    m->props.v = v;
    m->n_recipients = 2;
    m->recipients = apr_pcalloc(root, sizeof(mh_proplist) * 2);
    for (int r = 0; r < 2; r++) {
        mh_propval *rv = apr_pcalloc(root, sizeof(mh_propval) * 2);
        rv[0] = mh_pv_long(PR_ROWID, r);
        rv[1] = mh_pv_str(PR_DISPLAY_NAME, r ? "Bob" : "Cyd");
        m->recipients[r].n = 2;
        m->recipients[r].v = rv;
    }
    m->n_attachments = with_embedded ? 2 : 1;
    m->attachments = apr_pcalloc(root, sizeof(mh_attachment) * 2);
    mh_propval *av = apr_pcalloc(root, sizeof(mh_propval) * 3);
    av[0] = mh_pv_long(PR_ATTACH_METHOD, ATTACH_BY_VALUE);
    av[1] = mh_pv_bin(PR_ATTACH_DATA_BIN, pattern(300 * 1024, 2), 300 * 1024); /* > a chunk */
    av[2] = mh_pv_str(MH_TAG(0x3707, PT_UNICODE), "report.txt");
    m->attachments[0].num = 0;
    m->attachments[0].props.n = 3;
    m->attachments[0].props.v = av;
    if (with_embedded) {
        mh_propval *ev = apr_pcalloc(root, sizeof(mh_propval));
        ev[0] = mh_pv_long(PR_ATTACH_METHOD, ATTACH_EMBEDDED_MSG);
        m->attachments[1].num = 1;
        m->attachments[1].props.n = 1;
        m->attachments[1].props.v = ev;
        m->attachments[1].embedded = sample_message("embedded", delivery, 0);
    }
    return m;
}

static void check_message(mh_betxn *t, mh_id mid, const mh_message *want)
{
    mh_error e;
    mh_message *got;
    MUST(mh_be_message_read(t, mid, UINT64_MAX, &got, &e));
    check_same(&want->props, &got->props);
    CHECK_EQ_U(got->n_recipients, want->n_recipients);
    for (uint32_t r = 0; r < want->n_recipients && r < got->n_recipients; r++)
        check_same(&want->recipients[r], &got->recipients[r]);
    CHECK_EQ_U(got->n_attachments, want->n_attachments);
    for (uint32_t a = 0; a < want->n_attachments && a < got->n_attachments; a++) {
        CHECK_EQ_U(got->attachments[a].num, want->attachments[a].num);
        check_same(&want->attachments[a].props, &got->attachments[a].props);
        CHECK((got->attachments[a].embedded != NULL) == (want->attachments[a].embedded != NULL));
        if (got->attachments[a].embedded && want->attachments[a].embedded)
            check_same(&want->attachments[a].embedded->props, &got->attachments[a].embedded->props);
    }
}

static mh_id MSG1;

/* A value streamed into a save, generated on the fly. */
static mh_err gen_read(void *baton, uint64_t off, void *buf, size_t len, mh_error *err)
{
    for (size_t i = 0; i < len; i++)
        ((uint8_t *)buf)[i] = (uint8_t)((off + i) * 31 + 7);
    return MH_OK;
}

static void test_messages(void)
{
    mh_error e;
    mh_betxn *t = begin(&MBX, 1);
    REQUIRE(t);
    mh_message *m = sample_message("Hello", 133000000000000000ull, 1);
    mh_id cn;
    MUST(mh_be_message_save(t, INBOX, 0, 0, m, NULL, &MSG1, &cn, &e));
    CHECK(MSG1 > INBOX && cn > MSG1);
    check_message(t, MSG1, m);
    MUST(commit(t));

    t = begin(&MBX, 0);
    REQUIRE(t);
    check_message(t, MSG1, m);
    mh_message_info mi;
    MUST(mh_be_message_info(t, MSG1, &mi, &e));
    CHECK_EQ_U(mi.folder, INBOX);
    CHECK(!mi.fai && !mi.read);
    CHECK(mi.size > 300 * 1024);
    /* large values on demand: MH_PV_LARGE, then value_read in ranges */
    mh_message *lm;
    MUST(mh_be_message_read(t, MSG1, 1000, &lm, &e));
    const mh_propval *body = mh_proplist_find(&lm->props, PR_BODY);
    REQUIRE(body && (body->flags & MH_PV_LARGE));
    CHECK_EQ_U(body->v.large.size, 10 * 1024);
    mh_objref aobj = {MH_OBJ_MESSAGE, MSG1, 1, {0}, 1};
    char buf[5000];
    size_t got;
    const char *want = pattern(300 * 1024, 2);
    /* a read that straddles the 256 KB chunk boundary */
    MUST(mh_be_value_read(t, &aobj, PR_ATTACH_DATA_BIN, 262144 - 2500, buf, 5000, &got, &e));
    CHECK_EQ_U(got, 5000);
    CHECK(memcmp(buf, want + 262144 - 2500, 5000) == 0);
    MUST(mh_be_value_read(t, &aobj, PR_ATTACH_DATA_BIN, 300 * 1024 - 10, buf, 5000, &got, &e));
    CHECK_EQ_U(got, 10);
    CHECK_EQ_U(mh_be_value_read(t, &aobj, PR_ATTACH_DATA_BIN, 300 * 1024 + 1, buf, 1, &got, &e),
               MH_E_INVALID);
    mh_objref mobj = {MH_OBJ_MESSAGE, MSG1, 0, {0}, 0};
    MUST(mh_be_value_read(t, &mobj, PR_SUBJECT, 1, buf, 100, &got, &e));
    CHECK(got == 4 && memcmp(buf, "ello", 4) == 0);
    /* the embedded message's attachment, two levels down */
    mh_objref eobj = {MH_OBJ_MESSAGE, MSG1, 2, {1, 0}, 1};
    MUST(mh_be_value_read(t, &eobj, PR_ATTACH_DATA_BIN, 0, buf, 16, &got, &e));
    CHECK(got == 16 && memcmp(buf, want, 16) == 0);
    mh_proptag tags[] = {PR_SUBJECT, PR_MESSAGE_SIZE};
    mh_proplist pl;
    MUST(mh_be_props_get(t, &mobj, tags, 2, UINT64_MAX, &pl, &e));
    CHECK_EQ_U(pl.n, 2);
    mh_folder_info fi;
    MUST(mh_be_folder_info(t, INBOX, &fi, &e));
    CHECK_EQ_U(fi.content_count, 1);
    CHECK_EQ_U(fi.unread_count, 1);
    CHECK_EQ_U(fi.message_bytes, mi.size);
    mh_be_abort(t);

    /* save again: keep the big attachment, stream a new 1 MB value */
    t = begin(&MBX, 1);
    REQUIRE(t);
    mh_message *m2 = mh_message_copy(root, m);
    for (uint32_t i = 0; i < m2->attachments[0].props.n; i++)
        if (m2->attachments[0].props.v[i].tag == PR_ATTACH_DATA_BIN)
            m2->attachments[0].props.v[i].flags = MH_PV_KEEP;
    mh_propval sv = {MH_TAG(0x6700, PT_BINARY), MH_PV_SOURCE, {0}};
    sv.v.source.size = 1024 * 1024 + 17;
    sv.v.source.read = gen_read;
    mh_proplist_set(root, &m2->props, &sv);
    mh_propval subj = mh_pv_str(PR_SUBJECT, "Hello again");
    mh_proplist_set(root, &m2->props, &subj);
    mh_id id2, cn2;
    MUST(mh_be_message_save(t, 0, MSG1, 0, m2, NULL, &id2, &cn2, &e));
    CHECK_EQ_U(id2, MSG1);
    CHECK(cn2 > cn);
    mh_message *r2;
    MUST(mh_be_message_read(t, MSG1, UINT64_MAX, &r2, &e));
    const mh_propval *att = mh_proplist_find(&r2->attachments[0].props, PR_ATTACH_DATA_BIN);
    CHECK(att && att->v.bin.len == 300 * 1024 && memcmp(att->v.bin.data, want, 300 * 1024) == 0);
    const mh_propval *big = mh_proplist_find(&r2->props, MH_TAG(0x6700, PT_BINARY));
    REQUIRE(big && big->v.bin.len == 1024 * 1024 + 17);
    int ok = 1;
    for (uint32_t i = 0; i < big->v.bin.len; i++)
        if (big->v.bin.data[i] != (uint8_t)(i * 31 + 7))
            ok = 0;
    CHECK(ok);
    /* change properties: same source key, new change key, PCL with one XID */
    const mh_propval *sk1 = mh_proplist_find(&m->props, PR_SOURCE_KEY);
    CHECK(sk1 == NULL); /* the caller's copy has none: the backend made it */
    const mh_propval *ck = mh_proplist_find(&r2->props, PR_CHANGE_KEY);
    const mh_propval *pcl = mh_proplist_find(&r2->props, PR_PREDECESSOR_CHANGE_LIST);
    REQUIRE(ck && pcl);
    CHECK_EQ_U(mh_xid_counter(ck->v.bin.data, ck->v.bin.len), cn2);
    CHECK_EQ_U(pcl->v.bin.len, 1 + MH_XID_LEN); /* one replica: one entry, the newest */
    CHECK_EQ_U(pcl->v.bin.data[0], MH_XID_LEN);
    CHECK_EQ_U(mh_xid_counter(pcl->v.bin.data + 1, MH_XID_LEN), cn2);
    /* keeping a value that is not stored fails */
    mh_message *m3 = mh_message_copy(root, m);
    mh_propval kv = {MH_TAG(0x6701, PT_BINARY), MH_PV_KEEP, {0}};
    mh_proplist_set(root, &m3->props, &kv);
    CHECK_EQ_U(mh_be_message_save(t, 0, MSG1, 0, m3, NULL, &id2, &cn2, &e), MH_E_NOT_FOUND);
    /* imported change: the given change key and PCL are kept */
    uint8_t foreign[MH_XID_LEN];
    mh_guid fg = guid_of(9);
    mh_xid_make(&fg, 77, foreign);
    uint8_t fpcl[1 + MH_XID_LEN];
    fpcl[0] = MH_XID_LEN;
    memcpy(fpcl + 1, foreign, MH_XID_LEN);
    mh_change_in imp = {0, {0, NULL}, {MH_XID_LEN, foreign}, {sizeof(fpcl), fpcl}};
    mh_id id3, cn3;
    MUST(mh_be_message_save(t, INBOX, 0, 0, m, &imp, &id3, &cn3, &e));
    mh_message *r3;
    MUST(mh_be_message_read(t, id3, UINT64_MAX, &r3, &e));
    ck = mh_proplist_find(&r3->props, PR_CHANGE_KEY);
    CHECK(ck && ck->v.bin.len == MH_XID_LEN && memcmp(ck->v.bin.data, foreign, MH_XID_LEN) == 0);
    OK(mh_be_message_delete(t, id3, &e));
    /* a tree saved back as it was read keeps its long values, those of
     * recipients (matched by PR_ROWID) and attachments too */
    mh_message *m4 = mh_message_copy(root, m);
    mh_propval rbig = mh_pv_bin(MH_TAG(0x6F01, PT_BINARY), pattern(20000, 3), 20000);
    mh_proplist_set(root, &m4->recipients[1], &rbig);
    mh_id id4, cn4;
    MUST(mh_be_message_save(t, INBOX, 0, 0, m4, NULL, &id4, &cn4, &e));
    mh_message *r4;
    MUST(mh_be_message_read(t, id4, 1000, &r4, &e));
    const mh_propval *lr = r4->n_recipients == 2 ? mh_proplist_find(&r4->recipients[1], rbig.tag)
                                                 : NULL;
    CHECK(lr && (lr->flags & MH_PV_LARGE));
    /* the recipients in the other order: the row IDs tell which is which */
    mh_proplist rsw = r4->recipients[0];
    r4->recipients[0] = r4->recipients[1];
    r4->recipients[1] = rsw;
    OK(mh_be_message_save(t, 0, id4, 0, r4, NULL, &id4, &cn4, &e));
    mh_message *r5;
    MUST(mh_be_message_read(t, id4, UINT64_MAX, &r5, &e));
    const mh_proplist *bob = NULL;
    for (uint32_t i = 0; i < r5->n_recipients; i++)
        if (mh_proplist_find(&r5->recipients[i], rbig.tag))
            bob = &r5->recipients[i];
    lr = bob ? mh_proplist_find(bob, rbig.tag) : NULL;
    CHECK(lr && lr->v.bin.len == 20000 && memcmp(lr->v.bin.data, pattern(20000, 3), 20000) == 0);
    att = r5->n_attachments ? mh_proplist_find(&r5->attachments[0].props, PR_ATTACH_DATA_BIN)
                            : NULL;
    CHECK(att && att->v.bin.len == 300 * 1024 && memcmp(att->v.bin.data, want, 300 * 1024) == 0);
    OK(mh_be_message_delete(t, id4, &e));
    MUST(commit(t));
}

static void test_read_state_move_copy_delete(void)
{
    mh_error e;
    mh_betxn *t = begin(&MBX, 1);
    REQUIRE(t);
    mh_id cn;
    MUST(mh_be_message_set_read(t, MSG1, 1, &cn, &e));
    CHECK(cn != 0);
    mh_id cn_again;
    MUST(mh_be_message_set_read(t, MSG1, 1, &cn_again, &e));
    CHECK_EQ_U(cn_again, 0); /* no change */
    mh_folder_info fi;
    MUST(mh_be_folder_info(t, INBOX, &fi, &e));
    CHECK_EQ_U(fi.unread_count, 0);
    mh_message_info mi;
    MUST(mh_be_message_info(t, MSG1, &mi, &e));
    CHECK(mi.read && mi.read_cn == cn);
    mh_proptag ft[] = {PR_MESSAGE_FLAGS};
    mh_objref mobj = {MH_OBJ_MESSAGE, MSG1, 0, {0}, 0};
    mh_proplist pl;
    MUST(mh_be_props_get(t, &mobj, ft, 1, UINT64_MAX, &pl, &e));
    CHECK(pl.n == 1 && (pl.v[0].v.i32 & MSGFLAG_READ));
    /* copy: an independent message with values of its own */
    mh_id copy, moved;
    MUST(mh_be_message_move(t, MSG1, SENT, 1, NULL, &copy, &e));
    CHECK(copy != MSG1);
    /* move: a new ID, the old one gone */
    MUST(mh_be_message_move(t, MSG1, SENT, 0, NULL, &moved, &e));
    CHECK(moved != MSG1 && moved != copy);
    CHECK_EQ_U(mh_be_message_info(t, MSG1, &mi, &e), MH_E_NOT_FOUND);
    MUST(mh_be_folder_info(t, INBOX, &fi, &e));
    CHECK_EQ_U(fi.content_count, 0);
    CHECK_EQ_U(fi.message_bytes, 0);
    MUST(mh_be_folder_info(t, SENT, &fi, &e));
    CHECK_EQ_U(fi.content_count, 2);
    /* deleting the moved one leaves the copy whole */
    OK(mh_be_message_delete(t, moved, &e));
    CHECK_EQ_U(mh_be_message_delete(t, moved, &e), MH_E_NOT_FOUND);
    mh_objref cobj = {MH_OBJ_MESSAGE, copy, 1, {0}, 1};
    char buf[64];
    size_t got;
    MUST(mh_be_value_read(t, &cobj, PR_ATTACH_DATA_BIN, 300 * 1024 - 64, buf, 64, &got, &e));
    CHECK(got == 64 && memcmp(buf, pattern(300 * 1024, 2) + 300 * 1024 - 64, 64) == 0);
    MUST(mh_be_folder_info(t, SENT, &fi, &e));
    CHECK_EQ_U(fi.content_count, 1);
    MUST(commit(t));
}

/* ------------------------------------------------------ contents listing */

static mh_id LISTF;

static void test_contents_list(void)
{
    mh_error e;
    mh_betxn *t = begin(&MBX, 1);
    REQUIRE(t);
    mh_propval v[1];
    mh_proplist l = props1(v, "Listing");
    MUST(mh_be_folder_create(t, ROOT, &l, 0, NULL, &LISTF, &e));
    /* 40 messages with shuffled delivery times, subjects and sizes, 5 FAI */
    mh_id ids[40];
    for (int i = 0; i < 45; i++) {
        mh_message m;
        memset(&m, 0, sizeof(m));
        mh_propval pv[3];
        int k = (i * 17) % 40;
        pv[0] = mh_pv_time(PR_MESSAGE_DELIVERY_TIME, 130000000000000000ull + (uint64_t)k * 10000000);
        pv[1] = mh_pv_str(PR_SUBJECT, apr_psprintf(root, "%c subject %02d", 'A' + (k % 5), k));
        pv[2] = mh_pv_str(PR_BODY, pattern((size_t)(k * 10), 3));
        m.props.n = i == 7 ? 2 : 3; /* one without a body: sizes differ anyway */
        m.props.v = pv;
        mh_id id, cn;
        MUST(mh_be_message_save(t, LISTF, 0, i >= 40 ? MH_SAVE_FAI : 0, &m, NULL, &id, &cn, &e));
        if (i < 40)
            ids[i] = id;
    }
    MUST(commit(t));
    t = begin(&MBX, 0);
    REQUIRE(t);
    mh_folder_info fi;
    MUST(mh_be_folder_info(t, LISTF, &fi, &e));
    CHECK_EQ_U(fi.content_count, 40);
    CHECK_EQ_U(fi.fai_count, 5);
    /* by ID, in pages of 6, forward */
    mh_cursor cur = {0}, next;
    mh_id page[6];
    uint32_t n, total = 0;
    mh_id last = 0;
    for (;;) {
        MUST(mh_be_contents_list(t, LISTF, 0, NULL, &cur, 6, page, &n, &next, &e));
        for (uint32_t i = 0; i < n; i++) {
            CHECK(page[i] > last);
            last = page[i];
        }
        total += n;
        if (!next.len)
            break;
        cur = next;
    }
    CHECK_EQ_U(total, 40);
    /* FAI separately */
    mh_id fai[10];
    mh_cursor none = {0};
    MUST(mh_be_contents_list(t, LISTF, MH_LIST_FAI, NULL, &none, 10, fai, &n, &next, &e));
    CHECK_EQ_U(n, 5);
    CHECK_EQ_U(next.len, 0);
    /* by delivery time, newest first: what Outlook's default view asks */
    mh_sort s = {PR_MESSAGE_DELIVERY_TIME, 1};
    mh_id all[40];
    cur.len = 0;
    total = 0;
    for (int guard = 0; guard < 20; guard++) {
        MUST(mh_be_contents_list(t, LISTF, 0, &s, &cur, 9, all + total, &n, &next, &e));
        total += n;
        if (!next.len)
            break;
        cur = next;
    }
    CHECK_EQ_U(total, 40);
    uint64_t prev = UINT64_MAX;
    for (uint32_t i = 0; i < total; i++) {
        mh_objref o = {MH_OBJ_MESSAGE, all[i], 0, {0}, 0};
        mh_proptag tg = PR_MESSAGE_DELIVERY_TIME;
        mh_proplist pl;
        MUST(mh_be_props_get(t, &o, &tg, 1, 0, &pl, &e));
        CHECK(pl.n == 1 && pl.v[0].v.ft <= prev);
        prev = pl.v[0].v.ft;
    }
    /* backward from the end of an ascending walk = the same as descending */
    mh_sort asc = {PR_MESSAGE_DELIVERY_TIME, 0};
    mh_id back[5];
    MUST(mh_be_contents_list(t, LISTF, MH_LIST_BACKWARD, &asc, &none, 5, back, &n, &next, &e));
    CHECK(n == 5 && memcmp(back, all, sizeof(back)) == 0);
    /* and forward again from that cursor's position backwards continues */
    mh_id back2[5];
    MUST(mh_be_contents_list(t, LISTF, MH_LIST_BACKWARD, &asc, &next, 5, back2, &n, &next, &e));
    CHECK(n == 5 && memcmp(back2, all + 5, sizeof(back2)) == 0);
    /* by subject (case-insensitive), and by size */
    mh_sort ss = {PR_SUBJECT, 0};
    MUST(mh_be_contents_list(t, LISTF, 0, &ss, &none, 40, all, &n, &next, &e));
    CHECK_EQ_U(n, 40);
    const char *ps = "";
    for (uint32_t i = 0; i < n; i++) {
        mh_objref o = {MH_OBJ_MESSAGE, all[i], 0, {0}, 0};
        mh_proptag tg = PR_SUBJECT;
        mh_proplist pl;
        MUST(mh_be_props_get(t, &o, &tg, 1, UINT64_MAX, &pl, &e));
        CHECK(strcasecmp(ps, pl.v[0].v.str) <= 0);
        ps = pl.v[0].v.str;
    }
    mh_sort sz = {PR_MESSAGE_SIZE, 0};
    MUST(mh_be_contents_list(t, LISTF, 0, &sz, &none, 40, all, &n, &next, &e));
    CHECK_EQ_U(n, 40);
    int32_t prev_size = -1, first_size = -1;
    for (uint32_t i = 0; i < n; i++) {
        mh_message_info mi;
        MUST(mh_be_message_info(t, all[i], &mi, &e));
        CHECK((int32_t)mi.size >= prev_size);
        prev_size = (int32_t)mi.size;
        if (first_size < 0)
            first_size = prev_size;
    }
    CHECK(prev_size > first_size); /* the sizes differ: the order means something */
    /* a sort the backend has no index for */
    mh_sort weird = {MH_TAG(0x6543, PT_LONG), 0};
    if (!mh_be_sort_indexed(B, weird.tag))
        CHECK_EQ_U(mh_be_contents_list(t, LISTF, 0, &weird, &none, 5, all, &n, &next, &e),
                   MH_E_NOT_SUPPORTED);
    (void)ids;
    mh_be_abort(t);
}

/* ------------------------------------------------ IDs, CNs, changes */

static void test_ids_and_changes(void)
{
    mh_error e;
    mh_betxn *t = begin(&MBX, 1);
    REQUIRE(t);
    mh_mailbox_info mi;
    MUST(mh_be_mailbox_info(t, &mi, &e));
    mh_id before = mi.last_id;
    /* reserved IDs are not handed out again, and may be used on creation */
    mh_id first;
    MUST(mh_be_id_reserve(t, 100, &first, &e));
    CHECK(first > before);
    mh_message m;
    memset(&m, 0, sizeof(m));
    mh_propval pv = mh_pv_str(PR_SUBJECT, "reserved");
    m.props.n = 1;
    m.props.v = &pv;
    mh_change_in use = {first + 5, {0, NULL}, {0, NULL}, {0, NULL}};
    mh_id id, cn;
    MUST(mh_be_message_save(t, INBOX, 0, 0, &m, &use, &id, &cn, &e));
    CHECK_EQ_U(id, first + 5);
    CHECK(cn >= first + 100);
    CHECK_EQ_U(mh_be_message_save(t, INBOX, 0, 0, &m, &use, &id, &cn, &e), MH_E_INVALID);
    /* a deleted object's ID stays its own: not even a reserved one comes back */
    OK(mh_be_message_delete(t, first + 5, &e));
    CHECK_EQ_U(mh_be_message_save(t, INBOX, 0, 0, &m, &use, &id, &cn, &e), MH_E_INVALID);
    mh_change_in unreserved = {MH_ID_MAX - 1, {0, NULL}, {0, NULL}, {0, NULL}};
    CHECK_EQ_U(mh_be_message_save(t, INBOX, 0, 0, &m, &unreserved, &id, &cn, &e), MH_E_INVALID);
    /* IDs and CNs only grow */
    mh_id last = cn;
    for (int i = 0; i < 5; i++) {
        mh_id nid, ncn;
        MUST(mh_be_message_save(t, INBOX, 0, 0, &m, NULL, &nid, &ncn, &e));
        CHECK(nid > last && ncn > nid);
        last = ncn;
    }
    MUST(commit(t));

    /* changes after a CN: saves, read-state changes, tombstones */
    t = begin(&MBX, 1);
    REQUIRE(t);
    mh_id mark = last;
    mh_id a, b, c, acn;
    MUST(mh_be_message_save(t, INBOX, 0, 0, &m, NULL, &a, &acn, &e));
    MUST(mh_be_message_save(t, INBOX, 0, 0, &m, NULL, &b, &acn, &e));
    MUST(mh_be_message_save(t, INBOX, 0, MH_SAVE_FAI, &m, NULL, &c, &acn, &e));
    MUST(mh_be_message_save(t, 0, a, 0, &m, NULL, &a, &acn, &e)); /* a changes twice */
    mh_id rcn;
    MUST(mh_be_message_set_read(t, b, 1, &rcn, &e));
    mh_objref bobj = {MH_OBJ_MESSAGE, b, 0, {0}, 0};
    mh_proptag skt = PR_SOURCE_KEY;
    mh_proplist bsk;
    MUST(mh_be_props_get(t, &bobj, &skt, 1, UINT64_MAX, &bsk, &e));
    REQUIRE(bsk.n == 1);
    OK(mh_be_message_delete(t, b, &e));
    MUST(commit(t));
    t = begin(&MBX, 0);
    REQUIRE(t);
    mh_change ch[20];
    uint32_t n;
    mh_id next;
    MUST(mh_be_changes_list(t, INBOX, MH_CHANGES_MESSAGES, mark, 20, ch, &n, &next, &e));
    CHECK(n == 1 && ch[0].id == a); /* b is deleted; a once, with its latest CN */
    CHECK(n == 1 && ch[0].cn == acn - 0 && ch[0].cn > mark);
    MUST(mh_be_changes_list(t, INBOX, MH_CHANGES_FAI, mark, 20, ch, &n, &next, &e));
    CHECK(n == 1 && ch[0].id == c && (ch[0].flags & MH_CHANGE_FAI));
    MUST(mh_be_changes_list(t, INBOX, MH_CHANGES_MESSAGES | MH_CHANGES_DELETES, mark, 20, ch, &n,
                            &next, &e));
    int saw_del = 0;
    for (uint32_t i = 0; i < n; i++)
        if (ch[i].id == b && (ch[i].flags & MH_CHANGE_DELETED)) {
            saw_del = 1;
            CHECK(ch[i].source_key.len == bsk.v[0].v.bin.len &&
                  memcmp(ch[i].source_key.data, bsk.v[0].v.bin.data, ch[i].source_key.len) == 0);
        }
    CHECK(saw_del);
    /* the CN order, and paging by CN */
    for (uint32_t i = 1; i < n; i++)
        CHECK(ch[i].cn > ch[i - 1].cn);
    MUST(mh_be_changes_list(t, INBOX, MH_CHANGES_MESSAGES | MH_CHANGES_DELETES, mark, 1, ch, &n,
                            &next, &e));
    CHECK_EQ_U(n, 1);
    mh_id first_cn = ch[0].cn;
    MUST(mh_be_changes_list(t, INBOX, MH_CHANGES_MESSAGES | MH_CHANGES_DELETES, next, 20, ch, &n,
                            &next, &e));
    CHECK(n >= 1 && ch[0].cn > first_cn);
    /* the folder tree: subfolders of the root, deleted ones as tombstones
     * when deletions are asked for, and only then */
    MUST(mh_be_changes_list(t, ROOT, MH_CHANGES_FOLDERS, 0, 100, ch, &n, &next, &e));
    for (uint32_t i = 0; i < n; i++)
        CHECK(!(ch[i].flags & MH_CHANGE_DELETED));
    /* max 0: nothing returned, nothing read past */
    uint32_t n0 = 99;
    mh_id next0 = 99;
    OK(mh_be_changes_list(t, ROOT, MH_CHANGES_FOLDERS, 0, 0, ch, &n0, &next0, &e));
    CHECK_EQ_U(n0, 0);
    MUST(mh_be_changes_list(t, ROOT, MH_CHANGES_FOLDERS | MH_CHANGES_DELETES, 0, 100, ch, &n,
                            &next, &e));
    int saw_inbox = 0, saw_deleted_folder = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (ch[i].id == INBOX)
            saw_inbox = 1;
        if (ch[i].flags & MH_CHANGE_DELETED)
            saw_deleted_folder = 1;
        CHECK(ch[i].flags & MH_CHANGE_FOLDER);
        CHECK(ch[i].id != ROOT);
    }
    CHECK(saw_inbox && saw_deleted_folder);
    /* source keys find objects and tombstones */
    mh_objkind kind;
    mh_id found;
    int deleted;
    MUST(mh_be_object_by_source_key(t, &bsk.v[0].v.bin, &kind, &found, &deleted, &e));
    CHECK(kind == MH_OBJ_MESSAGE && found == b && deleted);
    mh_objref aobj = {MH_OBJ_MESSAGE, a, 0, {0}, 0};
    mh_proplist ask;
    MUST(mh_be_props_get(t, &aobj, &skt, 1, UINT64_MAX, &ask, &e));
    MUST(mh_be_object_by_source_key(t, &ask.v[0].v.bin, &kind, &found, &deleted, &e));
    CHECK(found == a && !deleted);
    mh_bin nosk = {3, (const uint8_t *)"abc"};
    CHECK_EQ_U(mh_be_object_by_source_key(t, &nosk, &kind, &found, &deleted, &e), MH_E_NOT_FOUND);
    mh_be_abort(t);
}

/* ------------------------------------ named props, permissions, rules */

static void test_named_properties(void)
{
    mh_error e;
    mh_betxn *t = begin(&MBX, 1);
    REQUIRE(t);
    mh_propname names[4];
    memset(names, 0, sizeof(names));
    names[0].guid = guid_of(3);
    names[0].kind = MH_MNID_ID;
    names[0].lid = 0x8501;
    names[1].guid = guid_of(3);
    names[1].kind = MH_MNID_STRING;
    names[1].name = "Keywords";
    names[2].guid = guid_of(4);
    names[2].kind = MH_MNID_ID;
    names[2].lid = 0x8501; /* same LID, other GUID: another property */
    names[3].guid = guid_of(3);
    names[3].kind = MH_MNID_STRING;
    names[3].name = "keywords"; /* names are case-sensitive */
    uint16_t ids[4], again[4];
    MUST(mh_be_named_ids(t, names, 4, 0, ids, &e));
    CHECK(ids[0] == 0 && ids[1] == 0); /* not created without create */
    MUST(mh_be_named_ids(t, names, 4, 1, ids, &e));
    for (int i = 0; i < 4; i++) {
        CHECK(ids[i] >= MH_NAMED_FIRST && ids[i] <= MH_NAMED_LAST);
        for (int j = 0; j < i; j++)
            CHECK(ids[i] != ids[j]);
    }
    MUST(mh_be_named_ids(t, names, 4, 1, again, &e));
    CHECK(memcmp(ids, again, sizeof(ids)) == 0);
    MUST(commit(t));
    t = begin(&MBX, 0);
    REQUIRE(t);
    mh_propname back[3];
    uint8_t found[3];
    uint16_t q[3] = {ids[1], ids[0], 0x9999};
    MUST(mh_be_named_names(t, q, 3, back, found, &e));
    CHECK(found[0] && back[0].kind == MH_MNID_STRING && strcmp(back[0].name, "Keywords") == 0);
    CHECK(found[1] && back[1].kind == MH_MNID_ID && back[1].lid == 0x8501 &&
          memcmp(back[1].guid.b, names[0].guid.b, 16) == 0);
    CHECK(!found[2]);
    mh_propname *all;
    uint16_t *allids;
    uint32_t n;
    MUST(mh_be_named_list(t, &all, &allids, &n, &e));
    CHECK_EQ_U(n, 4);
    mh_be_abort(t);
}

static void test_permissions_rules_receive(void)
{
    mh_error e;
    mh_betxn *t = begin(&MBX, 1);
    REQUIRE(t);
    mh_permission rows[3] = {{MH_MEMBER_DEFAULT, FRIGHTS_VISIBLE},
                             {MH_MEMBER_ANONYMOUS, 0},
                             {(int64_t)uid_bob, FRIGHTS_READ_ANY | FRIGHTS_CREATE | FRIGHTS_VISIBLE}};
    OK(mh_be_permissions_set(t, INBOX, rows, 3, &e));
    mh_permission dup[2] = {{5, 1}, {5, 2}};
    CHECK_EQ_U(mh_be_permissions_set(t, INBOX, dup, 2, &e), MH_E_INVALID);
    CHECK_EQ_U(mh_be_permissions_set(t, 555555, rows, 3, &e), MH_E_NOT_FOUND);
    mh_propval r1[2] = {mh_pv_long(MH_TAG(0x6676, PT_LONG), 1),
                        mh_pv_bin(MH_TAG(0x6679, PT_SRESTRICTION), "\x08\x01", 2)};
    mh_proplist rules[1] = {{2, r1}};
    if (MH_SLOT(BE, rules_set))
        OK(mh_be_rules_set(t, INBOX, rules, 1, &e));
    OK(mh_be_receive_folder_set(t, "IPM", INBOX, &e));
    OK(mh_be_receive_folder_set(t, "", INBOX, &e));
    OK(mh_be_receive_folder_set(t, "IPM.Special", SENT, &e));
    OK(mh_be_receive_folder_set(t, "IPM.Special", 0, &e)); /* removed again */
    OK(mh_be_receive_folder_set(t, "REPORT.IPM", SENT, &e));
    MUST(commit(t));
    t = begin(&MBX, 0);
    REQUIRE(t);
    mh_permission *got;
    uint32_t n;
    MUST(mh_be_permissions_get(t, INBOX, &got, &n, &e));
    CHECK_EQ_U(n, 3);
    int found_bob = 0;
    for (uint32_t i = 0; i < n; i++)
        if (got[i].member == (int64_t)uid_bob && got[i].rights == rows[2].rights)
            found_bob = 1;
    CHECK(found_bob);
    MUST(mh_be_permissions_get(t, SENT, &got, &n, &e));
    CHECK_EQ_U(n, 0);
    if (MH_SLOT(BE, rules_get)) {
        mh_proplist *rg;
        MUST(mh_be_rules_get(t, INBOX, &rg, &n, &e));
        CHECK(n == 1 && rg[0].n == 2);
        if (n == 1)
            check_same(&rules[0], &rg[0]);
    }
    mh_receive_folder *rf;
    MUST(mh_be_receive_folders_get(t, &rf, &n, &e));
    CHECK_EQ_U(n, 3);
    for (uint32_t i = 0; i < n; i++)
        CHECK(strcmp(rf[i].message_class, "REPORT.IPM") == 0 ? rf[i].folder == SENT
                                                              : rf[i].folder == INBOX);
    mh_be_abort(t);
}

/* ------------------------------------------------------- per-user data */

static void test_peruser(void)
{
    mh_error e;
    if (!MH_SLOT(BE, peruser_get) || !MH_SLOT(BE, peruser_list) || !MH_SLOT(BE, peruser_set)) {
        printf("# per-user data slots absent: skipped\n");
        return;
    }
    mh_peruser a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    for (int i = 0; i < MH_LTID_LEN; i++) {
        a.folder[i] = (uint8_t)(0x10 + i);
        b.folder[i] = (uint8_t)(0x10 + i);
    }
    b.folder[MH_LTID_LEN - 1] ^= 0xff; /* differs in the last byte only */
    a.replguid = guid_of(7);
    b.replguid = guid_of(8);
    static const uint8_t da[] = {0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    uint8_t *big = apr_pcalloc(pool, 70000);
    for (int i = 0; i < 70000; i++)
        big[i] = (uint8_t)(i * 13);
    a.data = (mh_bin){sizeof(da), da};
    b.data = (mh_bin){70000, big};
    a.modified = b.modified = apr_time_from_sec(1700000000);
    mh_betxn *t = begin(&MBX, 0);
    REQUIRE(t);
    mh_peruser got;
    CHECK_EQ_U(mh_be_peruser_get(t, a.folder, &got, &e), MH_E_NOT_FOUND);
    CHECK(mh_be_peruser_set(t, &a, &e) != MH_OK); /* a read transaction */
    mh_be_abort(t);
    t = begin(&MBX, 1);
    REQUIRE(t);
    OK(mh_be_peruser_set(t, &a, &e));
    OK(mh_be_peruser_set(t, &b, &e));
    MUST(commit(t));
    /* another mailbox sees none of it */
    mh_guid other = guid_of(3);
    t = begin(&other, 1);
    REQUIRE(t);
    MUST(mh_be_mailbox_create(t, uid_cyd, &e));
    mh_peruser *rows;
    uint32_t n = 99;
    OK(mh_be_peruser_list(t, &rows, &n, &e));
    CHECK_EQ_U(n, 0);
    CHECK_EQ_U(mh_be_peruser_get(t, a.folder, &got, &e), MH_E_NOT_FOUND);
    mh_be_abort(t);
    t = begin(&MBX, 0);
    REQUIRE(t);
    MUST(mh_be_peruser_get(t, a.folder, &got, &e));
    CHECK(memcmp(got.folder, a.folder, MH_LTID_LEN) == 0);
    CHECK(memcmp(got.replguid.b, a.replguid.b, 16) == 0);
    CHECK(got.data.len == sizeof(da) && memcmp(got.data.data, da, sizeof(da)) == 0);
    CHECK(got.modified == a.modified);
    MUST(mh_be_peruser_get(t, b.folder, &got, &e));
    CHECK(memcmp(got.replguid.b, b.replguid.b, 16) == 0);
    CHECK(got.data.len == 70000 && memcmp(got.data.data, big, 70000) == 0);
    MUST(mh_be_peruser_list(t, &rows, &n, &e));
    CHECK_EQ_U(n, 2);
    int seen = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (memcmp(rows[i].folder, a.folder, MH_LTID_LEN) == 0 &&
            memcmp(rows[i].replguid.b, a.replguid.b, 16) == 0)
            seen |= 1;
        if (memcmp(rows[i].folder, b.folder, MH_LTID_LEN) == 0 &&
            memcmp(rows[i].replguid.b, b.replguid.b, 16) == 0)
            seen |= 2;
    }
    CHECK_EQ_U(seen, 3);
    mh_be_abort(t);
    /* a row is replaced whole, empty data included */
    t = begin(&MBX, 1);
    REQUIRE(t);
    b.replguid = guid_of(9);
    b.data = (mh_bin){0, NULL};
    b.modified = apr_time_from_sec(1700000100);
    OK(mh_be_peruser_set(t, &b, &e));
    MUST(commit(t));
    t = begin(&MBX, 0);
    REQUIRE(t);
    MUST(mh_be_peruser_get(t, b.folder, &got, &e));
    CHECK(memcmp(got.replguid.b, b.replguid.b, 16) == 0);
    CHECK_EQ_U(got.data.len, 0);
    CHECK(got.modified == b.modified);
    MUST(mh_be_peruser_list(t, &rows, &n, &e));
    CHECK_EQ_U(n, 2);
    mh_be_abort(t);
}

/* --------------------------------------------------------- transactions */

static void test_transactions(void)
{
    mh_error e;
    mh_betxn *t = begin(&MBX, 1);
    REQUIRE(t);
    mh_propval v[1];
    mh_proplist l = props1(v, "Discarded");
    mh_id f;
    MUST(mh_be_folder_create(t, ROOT, &l, 0, NULL, &f, &e));
    /* another transaction does not see it */
    mh_betxn *r = begin(&MBX, 0);
    REQUIRE(r);
    mh_id found;
    CHECK_EQ_U(mh_be_folder_find(r, ROOT, "Discarded", &found, &e), MH_E_NOT_FOUND);
    mh_be_abort(r);
    mh_be_abort(t);
    /* abort threw it away */
    t = begin(&MBX, 0);
    REQUIRE(t);
    CHECK_EQ_U(mh_be_folder_find(t, ROOT, "Discarded", &found, &e), MH_E_NOT_FOUND);
    /* a read transaction cannot write */
    CHECK(mh_be_folder_create(t, ROOT, &l, 0, NULL, &f, &e) != MH_OK);
    mh_be_abort(t);
    /* calls after the end are refused, not a crash */
    CHECK_EQ_U(mh_be_folder_info(t, ROOT, &(mh_folder_info){0}, &e), MH_E_INVALID);
}

/* ------------------------------------------------ several processes */

static void test_concurrency_processes(void)
{
    enum { PROCS = 4, SAVES = 40 };
    pid_t pids[PROCS];
    for (int p = 0; p < PROCS; p++) {
        pids[p] = fork();
        if (pids[p] == 0) {
            /* a process of its own: its own instance, as an httpd child */
            apr_pool_t *cp;
            apr_pool_create(&cp, NULL);
            mh_be *cb;
            mh_error ce;
            if (mh_be_create(BE, cp, ARGC, ARGV, &cb, &ce) != MH_OK ||
                mh_be_open(cb, cp, &ce) != MH_OK)
                _exit(2);
            for (int i = 0; i < SAVES; i++) {
                apr_pool_t *ip;
                apr_pool_create(&ip, cp);
                mh_betxn *t;
                if (mh_be_begin(cb, &MBX, MH_TXN_WRITE, ip, &t, &ce) != MH_OK)
                    _exit(3);
                mh_message m;
                memset(&m, 0, sizeof(m));
                mh_propval pv = mh_pv_str(PR_SUBJECT, apr_psprintf(ip, "proc %d msg %d", p, i));
                m.props.n = 1;
                m.props.v = &pv;
                mh_id id, cn;
                if (mh_be_message_save(t, INBOX, 0, 0, &m, NULL, &id, &cn, &ce) != MH_OK ||
                    mh_be_commit(t, &ce) != MH_OK)
                    _exit(4);
                apr_pool_destroy(ip);
            }
            _exit(0);
        }
    }
    int failed = 0;
    for (int p = 0; p < PROCS; p++) {
        int st;
        waitpid(pids[p], &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            failed++;
    }
    CHECK_EQ_U(failed, 0);
    mh_error e;
    mh_betxn *t = begin(&MBX, 0);
    REQUIRE(t);
    mh_folder_info fi;
    MUST(mh_be_folder_info(t, INBOX, &fi, &e));
    /* every save of every process is there, with distinct, ordered IDs */
    mh_id *ids = apr_palloc(pool, sizeof(mh_id) * (fi.content_count + 1));
    uint32_t n;
    mh_cursor none = {0}, next;
    MUST(mh_be_contents_list(t, INBOX, 0, NULL, &none, fi.content_count + 1, ids, &n, &next, &e));
    CHECK_EQ_U(n, fi.content_count);
    CHECK(n >= PROCS * SAVES);
    for (uint32_t i = 1; i < n; i++)
        CHECK(ids[i] > ids[i - 1]);
    mh_be_abort(t);
}

static void report(void *baton, const char *problem)
{
    printf("# check: %s\n", problem);
}

static void test_check_clean(void)
{
    mh_error e;
    if (!MH_SLOT(BE, check))
        return;
    mh_betxn *t = begin(&MBX, 0);
    REQUIRE(t);
    uint32_t problems = 99;
    MUST(mh_be_check(t, 0, report, NULL, &problems, &e));
    CHECK_EQ_U(problems, 0);
    mh_be_abort(t);
    /* the directory and its links to mailboxes */
    t = begin(NULL, 0);
    REQUIRE(t);
    problems = 99;
    MUST(mh_be_check(t, 0, report, NULL, &problems, &e));
    CHECK_EQ_U(problems, 0);
    mh_be_abort(t);
}

/* Names that differ only in their last non-ASCII character, or that are
 * another name's prefix, are different names. */
static void test_names_not_confused(void)
{
    mh_error e;
    mh_betxn *t = begin(NULL, 1);
    REQUIRE(t);
    mh_dir_entry a = user("jos\xc3\xa9", "Jos\xc3\xa9 Garc\xc3\xad" "a", "jose@example.com");
    mh_dir_entry b = user("jos", "Jos Bell", "jos@example.com");
    b.legacy_dn = "/o=Test/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=jos";
    a.legacy_dn = "/o=Test/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=jos\xc3\xa9";
    uint32_t ia, ib;
    MUST(mh_be_dir_put(t, &a, NULL, &ia, &e));
    OK(mh_be_dir_put(t, &b, NULL, &ib, &e));
    MUST(commit(t));
    t = begin(NULL, 0);
    REQUIRE(t);
    mh_dir_entry got;
    OK(mh_be_dir_find(t, MH_DIR_BY_LOGIN, "jos", &got, &e));
    CHECK_EQ_U(got.id, ib);
    OK(mh_be_dir_find(t, MH_DIR_BY_LOGIN, "JOS\xc3\x89", &got, &e)); /* capital E acute */
    CHECK_EQ_U(got.id, ia);
    CHECK_EQ_U(mh_be_dir_find(t, MH_DIR_BY_LOGIN, "jos\xc3\xa8", &got, &e), MH_E_NOT_FOUND);
    mh_be_abort(t);
    t = begin(NULL, 1);
    REQUIRE(t);
    OK(mh_be_dir_delete(t, ia, &e));
    OK(mh_be_dir_delete(t, ib, &e));
    MUST(commit(t));
    /* folders: "Caf\xc3\xa9" and "Caf" side by side */
    t = begin(&MBX, 1);
    REQUIRE(t);
    mh_propval v[1];
    mh_proplist l = props1(v, "Caf\xc3\xa9");
    mh_id f1, f2, found;
    MUST(mh_be_folder_create(t, ROOT, &l, 0, NULL, &f1, &e));
    l = props1(v, "Caf");
    OK(mh_be_folder_create(t, ROOT, &l, 0, NULL, &f2, &e));
    OK(mh_be_folder_find(t, ROOT, "caf", &found, &e));
    CHECK_EQ_U(found, f2);
    OK(mh_be_folder_find(t, ROOT, "CAF\xc3\x89", &found, &e));
    CHECK_EQ_U(found, f1);
    mh_be_abort(t); /* leave the mailbox as it was */
}

/* Two instances of one store in one process (two vhosts with the same
 * options): both work, and closing one leaves the other working. */
static void test_two_instances(void)
{
    mh_error e;
    apr_pool_t *p2;
    apr_pool_create(&p2, pool);
    mh_be *b2;
    MUST(mh_be_create(BE, p2, ARGC, ARGV, &b2, &e));
    MUST(mh_be_open(b2, p2, &e));
    mh_betxn *t = NULL;
    MUST(mh_be_begin(b2, NULL, MH_TXN_WRITE, pool, &t, &e));
    mh_dir_entry x = user("twin", "Twin Instance", "twin@example.com");
    uint32_t id;
    MUST(mh_be_dir_put(t, &x, NULL, &id, &e));
    MUST(commit(t));
    t = begin(NULL, 0);
    REQUIRE(t);
    mh_dir_entry got;
    OK(mh_be_dir_find(t, MH_DIR_BY_LOGIN, "twin", &got, &e));
    mh_be_abort(t);
    apr_pool_destroy(p2);
    t = begin(NULL, 1);
    REQUIRE(t);
    OK(mh_be_dir_delete(t, id, &e));
    MUST(commit(t));
    t = begin(NULL, 0);
    REQUIRE(t);
    CHECK_EQ_U(mh_be_dir_find(t, MH_DIR_BY_LOGIN, "twin", &got, &e), MH_E_NOT_FOUND);
    mh_be_abort(t);
}

/* ------------------------------------------------------------ provisioning */

/* The core's mailbox provisioning (mh_provision.c) on this backend. */
static void test_provision(void)
{
    mh_error e;
    mh_betxn *t = begin(NULL, 1);
    REQUIRE(t);
    mh_dir_entry d = user("dee", "Dee Dee", "dee@example.com");
    uint32_t uid_dee;
    MUST(mh_be_dir_put(t, &d, NULL, &uid_dee, &e));
    MUST(commit(t));

    mh_guid g = guid_of(3), got_guid;
    memset(&got_guid, 0, sizeof(got_guid));
    MUST(mh_provision_mailbox(B, uid_dee, &g, pool, &got_guid, &e));
    CHECK(memcmp(got_guid.b, g.b, 16) == 0);
    /* a second mailbox for the same user, or one for a list, is refused */
    if (BE->capabilities & MH_BCAP_DIRECTORY_WRITE) {
        mh_guid g2 = guid_of(4);
        CHECK_EQ_U(mh_provision_mailbox(B, uid_dee, &g2, pool, NULL, &e), MH_E_EXISTS);
        CHECK_EQ_U(mh_provision_mailbox(B, gid_team, &g2, pool, NULL, &e), MH_E_INVALID);
        /* nothing of the refused attempts is left */
        CHECK(begin(&g2, 0) == NULL);
    }

    t = begin(&g, 0);
    REQUIRE(t);
    if (BE->capabilities & MH_BCAP_DIRECTORY_WRITE) {
        mh_dir_entry de;
        MUST(mh_be_dir_get(t, uid_dee, &de, &e));
        CHECK(de.has_mailbox && memcmp(de.mailbox.b, g.b, 16) == 0);
    }
    mh_mailbox_info mi;
    MUST(mh_be_mailbox_info(t, &mi, &e));
    CHECK_EQ_U(mi.owner, uid_dee);
    unsigned nf;
    const mh_provision_folder *pf = mh_provision_folders(&nf);
    CHECK_EQ_U(mi.folder_count, nf);
    for (unsigned i = 0; i < nf; i++) {
        mh_id id = mi.special[pf[i].role];
        CHECK(id != 0);
        mh_folder_info fi;
        if (mh_be_folder_info(t, id, &fi, &e) != MH_OK) {
            CHECK(!"special folder missing");
            continue;
        }
        CHECK_EQ_U(fi.parent, pf[i].parent == MH_SF_COUNT ? 0 : mi.special[pf[i].parent]);
        CHECK_EQ_U(fi.flags & MH_FOLDER_SEARCH, pf[i].flags & MH_FOLDER_SEARCH);
        mh_objref ref = {.kind = MH_OBJ_FOLDER, .id = id};
        mh_proptag tags[] = {PR_DISPLAY_NAME, PR_CONTAINER_CLASS, PR_ATTR_HIDDEN};
        mh_proplist l;
        MUST(mh_be_props_get(t, &ref, tags, 3, UINT64_MAX, &l, &e));
        const mh_propval *v = mh_proplist_find(&l, PR_DISPLAY_NAME);
        CHECK(v && strcmp(v->v.str, pf[i].name) == 0);
        v = mh_proplist_find(&l, PR_CONTAINER_CLASS);
        CHECK(pf[i].container_class ? v && strcmp(v->v.str, pf[i].container_class) == 0 : !v);
        v = mh_proplist_find(&l, PR_ATTR_HIDDEN);
        CHECK(pf[i].hidden ? v && v->v.b == 1 : !v);
    }
    /* the standard set by name under the IPM subtree */
    static const char *const ipm[] = {"Inbox", "Outbox", "Sent Items", "Deleted Items",
                                      "Drafts", "Calendar", "Contacts", "Journal", "Notes",
                                      "Tasks", "Junk Email", "Sync Issues",
                                      "Conversation Action Settings"};
    for (size_t i = 0; i < sizeof(ipm) / sizeof(ipm[0]); i++) {
        mh_id id = 0;
        OK(mh_be_folder_find(t, mi.special[MH_SF_IPM_SUBTREE], ipm[i], &id, &e));
    }
    mh_id *kids;
    uint32_t nk;
    MUST(mh_be_folder_children(t, mi.special[MH_SF_SYNC_ISSUES], &kids, &nk, &e));
    CHECK_EQ_U(nk, 3);

    /* entry ID properties on the root and the Inbox, pointing at the folders */
    static const struct {
        mh_proptag tag;
        mh_special_folder role;
    } eids[] = {{PR_IPM_APPOINTMENT_ENTRYID, MH_SF_CALENDAR},
                {PR_IPM_CONTACT_ENTRYID, MH_SF_CONTACTS},
                {PR_IPM_JOURNAL_ENTRYID, MH_SF_JOURNAL},
                {PR_IPM_NOTE_ENTRYID, MH_SF_NOTES},
                {PR_IPM_TASK_ENTRYID, MH_SF_TASKS},
                {PR_REM_ONLINE_ENTRYID, MH_SF_REMINDERS},
                {PR_IPM_DRAFTS_ENTRYID, MH_SF_DRAFTS}};
    static const mh_special_folder ren[] = {MH_SF_CONFLICTS, MH_SF_SYNC_ISSUES,
                                            MH_SF_LOCAL_FAILURES, MH_SF_SERVER_FAILURES,
                                            MH_SF_JUNK};
    mh_special_folder holders[] = {MH_SF_ROOT, MH_SF_INBOX};
    for (int h = 0; h < 2; h++) {
        mh_objref ref = {.kind = MH_OBJ_FOLDER, .id = mi.special[holders[h]]};
        mh_proplist l;
        MUST(mh_be_props_get(t, &ref, NULL, 0, UINT64_MAX, &l, &e));
        for (size_t i = 0; i < sizeof(eids) / sizeof(eids[0]); i++) {
            const mh_propval *v = mh_proplist_find(&l, eids[i].tag);
            mh_eid x;
            CHECK(v && mh_eid_parse(v->v.bin.data, v->v.bin.len, &x) == 0 &&
                  x.type == MH_EID_TYPE_PRIVATE_FOLDER && x.folder == mi.special[eids[i].role] &&
                  memcmp(x.provider.b, g.b, 16) == 0 &&
                  memcmp(x.folder_replica.b, g.b, 16) == 0);
        }
        const mh_propval *v = mh_proplist_find(&l, PR_ADDITIONAL_REN_ENTRYIDS);
        CHECK(v && v->v.mv.n == 5);
        for (uint32_t i = 0; v && i < v->v.mv.n && i < 5; i++) {
            const mh_bin *b = &((const mh_bin *)v->v.mv.v)[i];
            mh_eid x;
            CHECK(mh_eid_parse(b->data, b->len, &x) == 0 && x.folder == mi.special[ren[i]]);
        }
        v = mh_proplist_find(&l, PR_ADDITIONAL_REN_ENTRYIDS_EX);
        /* PersistData 0x8006 { RSF_ELID_ENTRYID, 46, entry ID }, PERSIST_SENTINEL */
        CHECK(v && v->v.bin.len == 8 + MH_FOLDER_EID_LEN + 4);
        if (v && v->v.bin.len == 8 + MH_FOLDER_EID_LEN + 4) {
            const uint8_t *p = v->v.bin.data;
            CHECK(p[0] == 0x06 && p[1] == 0x80 && p[2] == 50 && p[3] == 0 && p[4] == 1 &&
                  p[5] == 0 && p[6] == MH_FOLDER_EID_LEN && p[7] == 0);
            mh_eid x;
            CHECK(mh_eid_parse(p + 8, MH_FOLDER_EID_LEN, &x) == 0 &&
                  x.folder == mi.special[MH_SF_CONVERSATION_ACTIONS]);
            CHECK(p[54] == 0 && p[55] == 0 && p[56] == 0 && p[57] == 0);
        }
    }

    /* the receive folder table */
    mh_receive_folder *rf;
    uint32_t nr;
    MUST(mh_be_receive_folders_get(t, &rf, &nr, &e));
    CHECK_EQ_U(nr, 4);
    int seen = 0;
    for (uint32_t i = 0; i < nr; i++) {
        const char *c = rf[i].message_class;
        if (strcmp(c, "") == 0 && rf[i].folder == mi.special[MH_SF_INBOX])
            seen |= 1;
        else if (strcasecmp(c, "IPM") == 0 && rf[i].folder == mi.special[MH_SF_INBOX])
            seen |= 2;
        else if (strcasecmp(c, "REPORT.IPM") == 0 && rf[i].folder == mi.special[MH_SF_INBOX])
            seen |= 4;
        else if (strcasecmp(c, "IPC") == 0 && rf[i].folder == mi.special[MH_SF_ROOT])
            seen |= 8;
    }
    CHECK_EQ_U(seen, 15);
    if (MH_SLOT(BE, check)) {
        uint32_t problems = 99;
        MUST(mh_be_check(t, 0, report, NULL, &problems, &e));
        CHECK_EQ_U(problems, 0);
    }
    mh_be_abort(t);
}

static void test_mailbox_delete(void)
{
    mh_error e;
    if (!MH_SLOT(BE, mailbox_delete))
        return;
    mh_guid other = guid_of(2);
    mh_betxn *t = begin(&other, 1);
    REQUIRE(t);
    MUST(mh_be_mailbox_create(t, uid_cyd, &e));
    mh_propval v[1];
    mh_proplist l = props1(v, "Root");
    mh_id r;
    MUST(mh_be_folder_create(t, 0, &l, 0, NULL, &r, &e));
    MUST(commit(t));
    t = begin(&other, 1);
    REQUIRE(t);
    OK(mh_be_mailbox_delete(t, &e));
    MUST(commit(t));
    CHECK(begin(&other, 0) == NULL);
    /* the first mailbox is untouched */
    t = begin(&MBX, 0);
    REQUIRE(t);
    mh_folder_info fi;
    OK(mh_be_folder_info(t, INBOX, &fi, &e));
    mh_be_abort(t);
}

/* dir_search folds case and accents as mapihttp/fold.h does, on both
 * sides, over the display name, given name and surname. */
static void test_search_folded(void)
{
    mh_error e;
    mh_betxn *t = begin(NULL, 1);
    REQUIRE(t);
    mh_dir_entry x = user("jmueller", "J\xc3\xbcrgen M\xc3\xbcller", "jm@example.net");
    mh_propval pv[2] = {mh_pv_str(MH_TAG(0x3A06, PT_UNICODE), "J\xc3\xbcrgen"),
                        mh_pv_str(MH_TAG(0x3A11, PT_UNICODE), "M\xc3\xbcller-Wei\xc3\x9f")};
    x.props.n = 2;
    x.props.v = pv;
    uint32_t id;
    MUST(mh_be_dir_put(t, &x, NULL, &id, &e));
    MUST(commit(t));
    t = begin(NULL, 0);
    REQUIRE(t);
    static const char *const finds[] = {"muller", "MULLER", "M\xc3\xbcll", "Mu\xcc\x88ller",
                                        "j\xc3\xbcrgen m", "JURG", "wei\xc3\x9f"};
    for (size_t i = 0; i < sizeof(finds) / sizeof(finds[0]); i++) {
        mh_dir_entry *es;
        uint32_t n = 0;
        OK(mh_be_dir_search(t, finds[i], 100, &es, &n, &e));
        CHECK(n == 1 && es[0].id == id);
        if (n != 1)
            printf("# '%s' found %u entries\n", finds[i], n);
    }
    mh_dir_entry *es;
    uint32_t n = 9;
    OK(mh_be_dir_search(t, "mullers", 100, &es, &n, &e));
    CHECK_EQ_U(n, 0);
    mh_be_abort(t);
    t = begin(NULL, 1);
    REQUIRE(t);
    OK(mh_be_dir_delete(t, id, &e));
    MUST(commit(t));
}

/* dir_generation (optional): moves with every committed directory write,
 * in the same transaction; readers see the value of their snapshot; an
 * aborted write moves nothing; a larger value is a later directory. */
static void test_dir_generation(void)
{
    mh_error e;
    mh_betxn *t = begin(NULL, 0);
    REQUIRE(t);
    uint64_t g0 = 0, g;
    mh_err r = mh_be_dir_generation(t, &g0, &e);
    mh_be_abort(t);
    if (r == MH_E_NOT_SUPPORTED) {
        printf("# dir_generation: not supported (the address book reuses snapshots "
               "for a few seconds)\n");
        return;
    }
    REQUIRE(r == MH_OK);
    /* unchanged by reading */
    t = begin(NULL, 0);
    REQUIRE(t);
    OK(mh_be_dir_generation(t, &g, &e));
    CHECK(g == g0);
    mh_be_abort(t);
    /* a reader begun before a write keeps its value; one after sees more */
    mh_betxn *old = begin(NULL, 0);
    REQUIRE(old);
    t = begin(NULL, 1);
    REQUIRE(t);
    mh_dir_entry x = user("genuser", "Generation User", "gen@example.net");
    uint32_t id;
    MUST(mh_be_dir_put(t, &x, NULL, &id, &e));
    OK(mh_be_dir_generation(t, &g, &e));
    CHECK(g != g0); /* within the writing transaction, already */
    MUST(commit(t));
    OK(mh_be_dir_generation(old, &g, &e));
    CHECK(g == g0);
    mh_be_abort(old);
    uint64_t g1;
    t = begin(NULL, 0);
    REQUIRE(t);
    OK(mh_be_dir_generation(t, &g1, &e));
    CHECK(g1 > g0);
    mh_be_abort(t);
    /* an aborted write leaves it */
    t = begin(NULL, 1);
    REQUIRE(t);
    x.id = id;
    x.display_name = "Renamed And Aborted";
    MUST(mh_be_dir_put(t, &x, NULL, &id, &e));
    mh_be_abort(t);
    t = begin(NULL, 0);
    REQUIRE(t);
    OK(mh_be_dir_generation(t, &g, &e));
    CHECK(g == g1);
    mh_be_abort(t);
    /* members and deletes count too */
    uint64_t g2, g3;
    t = begin(NULL, 1);
    REQUIRE(t);
    uint32_t *ids, n;
    MUST(mh_be_dir_members(t, gid_team, &ids, &n, &e));
    uint32_t *more = apr_palloc(pool, sizeof(uint32_t) * (n + 1));
    memcpy(more, ids, sizeof(uint32_t) * n);
    more[n] = id; /* the delete below takes it out again */
    MUST(mh_be_dir_set_members(t, gid_team, more, n + 1, &e));
    MUST(commit(t));
    t = begin(NULL, 0);
    REQUIRE(t);
    OK(mh_be_dir_generation(t, &g2, &e));
    CHECK(g2 > g1);
    mh_be_abort(t);
    t = begin(NULL, 1);
    REQUIRE(t);
    OK(mh_be_dir_delete(t, id, &e));
    MUST(commit(t));
    t = begin(NULL, 0);
    REQUIRE(t);
    OK(mh_be_dir_generation(t, &g3, &e));
    CHECK(g3 > g2);
    mh_be_abort(t);
}

/* ------------------------------------------------------------------ main */

#define TEST(fn)                                                               \
    do {                                                                       \
        apr_pool_create(&pool, root);                                          \
        RUN(fn);                                                               \
        apr_pool_destroy(pool);                                                \
    } while (0)

int main(int argc, char **argv)
{
    MH_TEST_INIT();
    apr_pool_create(&root, NULL);
    int i = 1;
    const char *module = NULL;
    if (i + 1 < argc && strcmp(argv[i], "--module") == 0) {
        module = argv[i + 1];
        i += 2;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: %s [--module FILE.so] NAME key=value...\n", argv[0]);
        return 2;
    }
    ARGC = argc - i;
    ARGV = (const char *const *)argv + i;
    const char *why = NULL;
    if (mh_tool_backend_argv(root, ARGC, ARGV, module, 1, -1, -1, &B, &why) != 0) {
        fprintf(stderr, "%s\n", why);
        return 2;
    }
    BE = B->be;
    /* what later tests pass to mh_be_create: the options alone */
    ARGC--;
    ARGV++;
    printf("# backend %s %s\n", BE->name, BE->version);
    TEST(test_directory);
    TEST(test_gal_order_and_search);
    TEST(test_search_folded);
    TEST(test_dir_generation);
    TEST(test_directory_delete);
    TEST(test_directory_links);
    TEST(test_mailbox_create);
    TEST(test_properties_every_type);
    TEST(test_folders);
    TEST(test_messages);
    TEST(test_read_state_move_copy_delete);
    TEST(test_contents_list);
    TEST(test_ids_and_changes);
    TEST(test_named_properties);
    TEST(test_permissions_rules_receive);
    TEST(test_peruser);
    TEST(test_transactions);
    TEST(test_concurrency_processes);
    TEST(test_names_not_confused);
    TEST(test_check_clean);
    TEST(test_provision);
    TEST(test_two_instances);
    TEST(test_mailbox_delete);
    return MH_TEST_DONE();
}
