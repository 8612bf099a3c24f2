/*
 * it_nspi.c - the address book endpoint end to end: a real httpd with the
 * LMDB backend and a directory of thirty users and lists made with
 * mapihttp-admin, and a client speaking MAPI/HTTP with the wire layer's
 * client side (mh_nspi_call).  Every scenario compares the values that
 * come back, not only the codes:
 *
 *   - what a client does to make a profile, in one session: Autodiscover
 *     (its URL and LegacyDN used), Bind, DNToMId of its own DN, GetProps of
 *     that entry, GetSpecialTable, QueryRows, ResolveNames of an ambiguous
 *     prefix and of unique names, GetMatches with PR_ANR, a distribution
 *     list expanded (and the list inside it), SeekEntries, GetMailboxUrl of
 *     its home server, Unbind;
 *   - browsing the GAL page by page (every name in order, the STAT after
 *     every page), backwards, by fraction, with UpdateStat;
 *   - SeekEntries, CompareMIds, ResortRestriction;
 *   - ResolveNames: unique, ambiguous and unknown names, addresses, DNs;
 *   - GetMatches with PR_ANR and with a content restriction;
 *   - the properties of a user and of a list, its members through
 *     PR_EMS_AB_MEMBER, in 8-bit and Unicode strings;
 *   - the display templates of a user and a list (GetTemplateInfo);
 *   - changes: delegates and the members of an owned list (ModLinkAtt),
 *     a certificate (ModProps), read back; refusals for other users;
 *   - bad input: truncated bodies, unknown code pages and containers,
 *     calls not supported, a refused Bind;
 *   - MIds and the session survive a graceful restart.
 *
 *   - a directory change made by another process is seen at once by
 *     every httpd process;
 *
 *   it_nspi --mpm event|prefork [--per-request-process | --new-connections]
 *           [--only test_NAME]
 */
#include "harness.h"
#include "mh_test.h"

#include "config.h"
#include "mh_adclient.h"
#include "mh_bodies.h"
#include "mh_mapierr.h"
#include "mh_nspi_wire.h"
#include "mh_props.h"

#include <signal.h>
#include <stdio.h>

#include <apr_strings.h>

static apr_pool_t *pool;
static apr_pool_t *root_pool;
static mh_httpd *H;
static int PER_REQUEST;
static int NEW_CONNECTIONS; /* --new-connections: every request on a new connection */
static const char *ONLY;    /* --only NAME: that test alone */
static const char *ADA_MAILBOX; /* her mailbox GUID, as mapihttp-admin prints it */

#define NSPI_PATH "/mapi/nspi/?MailboxId=ada@example.com"
#define DN_PREFIX                                                                \
    "/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)" \
    "/cn=Recipients/cn="

/* PidTag... as requested on the wire */
#define T_NAME_W MH_TAG(0x3001, PT_UNICODE)
#define T_NAME_A MH_TAG(0x3001, PT_STRING8)
#define T_SMTP_W MH_TAG(0x39FE, PT_UNICODE)
#define T_EMAIL_A MH_TAG(0x3003, PT_STRING8)
#define T_ADDRTYPE_A MH_TAG(0x3002, PT_STRING8)
#define T_DISPLAY_TYPE MH_TAG(0x3900, PT_LONG)
#define T_OBJECT_TYPE MH_TAG(0x0FFE, PT_LONG)
#define T_ENTRYID MH_TAG(0x0FFF, PT_BINARY)
#define T_HOME_MDB_A MH_TAG(0x8006, PT_STRING8)
#define T_PROXY_W MH_TAG(0x800F, PT_MV_UNICODE)
#define T_ACCOUNT_A MH_TAG(0x3A00, PT_STRING8)
#define T_MEMBER MH_TAG(0x8009, PT_OBJECT)
#define T_ANR MH_TAG(0x360C, PT_UNICODE)

/* The directory, in GAL order (case and accents ignored). */
static const char *const GAL[] = {
    "Ada Lovelace",     "Alan Turing",    "Barbara Liskov",  "Bob Bobson",
    "Charles Babbage",  "Claude Shannon", "Compiler Writers", "Dennis Ritchie",
    "Donald Knuth",     "Edsger Dijkstra", "\xc3\x89milie du Ch\xc3\xa2telet", "Everyone",
    "Frances Allen",    "Grace Hopper",   "Hedy Lamarr",     "Ivan Sutherland",
    "John Backus",      "Ken Thompson",   "Konrad Zuse",     "Leslie Lamport",
    "Margaret Hamilton", "Niklaus Wirth", "Ole-Johan Dahl",  "Peter Naur",
    "Pioneers",         "Radia Perlman",  "Sophie Wilson",   "Tim Berners-Lee",
    "Ursula Franklin",  "Whitfield Diffie"};
#define N_GAL 30

/* ------------------------------------------------------------ calls */

static const char *type_name(mh_reqtype rt)
{
    switch (rt) {
    case MH_RT_BIND: return "Bind";
    case MH_RT_UNBIND: return "Unbind";
    case MH_RT_COMPAREMIDS: return "CompareMIds";
    case MH_RT_DNTOMID: return "DNToMId";
    case MH_RT_GETMATCHES: return "GetMatches";
    case MH_RT_GETPROPLIST: return "GetPropList";
    case MH_RT_GETPROPS: return "GetProps";
    case MH_RT_GETSPECIALTABLE: return "GetSpecialTable";
    case MH_RT_GETTEMPLATEINFO: return "GetTemplateInfo";
    case MH_RT_MODLINKATT: return "ModLinkAtt";
    case MH_RT_MODPROPS: return "ModProps";
    case MH_RT_QUERYCOLUMNS: return "QueryColumns";
    case MH_RT_QUERYROWS: return "QueryRows";
    case MH_RT_RESOLVENAMES: return "ResolveNames";
    case MH_RT_RESORTRESTRICTION: return "ResortRestriction";
    case MH_RT_SEEKENTRIES: return "SeekEntries";
    case MH_RT_UPDATESTAT: return "UpdateStat";
    case MH_RT_GETMAILBOXURL: return "GetMailboxUrl";
    case MH_RT_GETADDRESSBOOKURL: return "GetAddressBookUrl";
    default: return "?";
    }
}

/* --per-request-process: every request on a new connection */
static void before(mh_mapi *m)
{
    if (PER_REQUEST || NEW_CONNECTIONS)
        mh_client_disconnect(m->conn);
}

/* A call whose response must parse (NULL and a failed check otherwise). */
static mh_nspi_resp *nspi(mh_mapi *m, mh_reqtype rt, const mh_nspi_req *req)
{
    before(m);
    mh_nspi_resp *resp = apr_pcalloc(pool, sizeof(*resp));
    const char *why = NULL;
    mh_response *raw = NULL;
    int code = mh_nspi_call(m, pool, rt, type_name(rt), req, resp, &raw, &why);
    if (code != 0) {
        printf("# %s: X-ResponseCode %d %s\n", type_name(rt), code, why ? why : "");
        CHECK(0);
        return NULL;
    }
    if (resp->unbind.status_code != 0) {
        printf("# %s: StatusCode 0x%x\n", type_name(rt), resp->unbind.status_code);
        CHECK(0);
        return NULL;
    }
    return resp;
}

static mh_stat stat_of(uint32_t container, uint32_t current, int32_t delta, uint32_t cp)
{
    mh_stat s;
    memset(&s, 0, sizeof(s));
    s.container_id = container;
    s.current_rec = current;
    s.delta = delta;
    s.code_page = cp;
    s.template_locale = 0x409;
    s.sort_locale = 0x409;
    return s;
}

static mh_nspi_tags tags_of(int n, const mh_proptag *t)
{
    mh_nspi_tags r = {(uint32_t)n, (mh_proptag *)t};
    return r;
}

/* A bound conversation of `user` on `path`, with the code page of its
 * STAT. */
static mh_mapi *bound_at(const char *path, const char *user, const char *password, uint32_t cp,
                         uint32_t *ec_r, mh_guid *guid_r)
{
    mh_client *c = mh_httpd_client(H, pool, H->port, 0);
    mh_mapi *m = mh_mapi_create(pool, c, path, user, password);
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.bind.has_state = 1;
    q.bind.state = stat_of(0, 0, 0, cp);
    mh_nspi_resp *r = nspi(m, MH_RT_BIND, &q);
    if (!r)
        return NULL;
    if (ec_r)
        *ec_r = r->bind.error_code;
    if (guid_r)
        *guid_r = r->bind.server_guid;
    return r->bind.error_code == 0 ? m : NULL;
}

static mh_mapi *bound_as(const char *user, const char *password, uint32_t cp,
                         uint32_t *ec_r, mh_guid *guid_r)
{
    return bound_at(NSPI_PATH, user, password, cp, ec_r, guid_r);
}

static mh_mapi *bound(void)
{
    uint32_t ec = 0;
    mh_mapi *m = bound_as(MH_TEST_USER, MH_TEST_PASSWORD, 1252, &ec, NULL);
    CHECK_EQ_U(ec, 0);
    return m;
}

static mh_nspi_queryrows_resp *query(mh_mapi *m, mh_stat st, uint32_t count,
                                     const uint32_t *et, uint32_t etn, int n,
                                     const mh_proptag *cols)
{
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.queryrows.has_state = 1;
    q.queryrows.state = st;
    q.queryrows.row_count = count;
    q.queryrows.explicit_table.n = etn;
    q.queryrows.explicit_table.ids = (uint32_t *)et;
    q.queryrows.has_columns = n > 0;
    q.queryrows.columns = tags_of(n, cols);
    mh_nspi_resp *r = nspi(m, MH_RT_QUERYROWS, &q);
    return r ? &r->queryrows : NULL;
}

static const char *str_at(const mh_nspi_rowset *rs, uint32_t row, uint32_t col)
{
    const mh_propval *v = row < rs->n_rows ? rs->rows[row].vals[col] : NULL;
    return v && MH_TAG_TYPE(v->tag) == PT_UNICODE && v->v.str ? v->v.str : "(none)";
}

static const mh_proptag NAME_ONLY[] = {T_NAME_W};

static mh_nspi_resolvenames_resp *resolve(mh_mapi *m, int n, const char **names)
{
    static const mh_proptag cols[] = {T_NAME_W, T_SMTP_W, T_ENTRYID};
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.resolvenames.reserved = 0x80000000u;
    q.resolvenames.has_state = 1;
    q.resolvenames.state = stat_of(0, 0, 0, 1252);
    q.resolvenames.has_tags = 1;
    q.resolvenames.tags = tags_of(3, cols);
    q.resolvenames.has_names = 1;
    q.resolvenames.names.n = (uint32_t)n;
    q.resolvenames.names.s = names;
    mh_nspi_resp *r = nspi(m, MH_RT_RESOLVENAMES, &q);
    return r ? &r->resolvenames : NULL;
}

static uint32_t mid_of_dn(mh_mapi *m, const char *dn)
{
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.dntomid.has_names = 1;
    q.dntomid.names.n = 1;
    q.dntomid.names.s = &dn;
    mh_nspi_resp *r = nspi(m, MH_RT_DNTOMID, &q);
    if (!r || r->dntomid.error_code || !r->dntomid.has_mids || r->dntomid.mids.n != 1)
        return 0;
    return r->dntomid.mids.ids[0];
}

static mh_nspi_getprops_resp *getprops(mh_mapi *m, uint32_t mid, uint32_t flags, uint32_t cp,
                                       int n, const mh_proptag *tags)
{
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.getprops.flags = flags;
    q.getprops.has_state = 1;
    q.getprops.state = stat_of(0, mid, 0, cp);
    q.getprops.has_tags = tags != NULL;
    q.getprops.tags = tags_of(n, tags);
    mh_nspi_resp *r = nspi(m, MH_RT_GETPROPS, &q);
    return r ? &r->getprops : NULL;
}

/* ---------------------------------------------------------- scenarios */

/* GetMatches without a filter on PR_EMS_AB_MEMBER of `list`: the names. */
static mh_nspi_getmatches_resp *members(mh_mapi *m, uint32_t list)
{
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.getmatches.has_state = 1;
    q.getmatches.state = stat_of(T_MEMBER, list, 0, 1252);
    q.getmatches.row_count = 100;
    q.getmatches.has_columns = 1;
    q.getmatches.columns = tags_of(1, NAME_ONLY);
    mh_nspi_resp *r = nspi(m, MH_RT_GETMATCHES, &q);
    return r ? &r->getmatches : NULL;
}

/*
 * What a client runs to make a profile (client-quirks.md, MS-OXDSCLI,
 * MS-OXNSPI), in one session and in this order: Autodiscover for the
 * user's address, then on the address book URL it gives: Bind, DNToMId of
 * the LegacyDN it gives, GetProps of that entry, GetSpecialTable,
 * QueryRows of the first GAL page, ResolveNames of an ambiguous prefix and
 * of unique names, GetMatches with PR_ANR for the ambiguous one (what
 * Outlook shows to choose from), distribution list expansion through
 * PR_EMS_AB_MEMBER (a list holding a list, then that one), SeekEntries,
 * GetMailboxUrl/GetAddressBookUrl of the home server, Unbind.  Every value
 * is compared.
 */
static void test_profile_sequence(void)
{
    /* Autodiscover */
    mh_client *ac = mh_httpd_client(H, pool, H->port, 0);
    mh_adc_call ad;
    REQUIRE(mh_adc_post(ac, pool, "/autodiscover/autodiscover.xml", MH_TEST_USER,
                        MH_TEST_PASSWORD, "ada@example.com", NULL, &ad) == 0);
    REQUIRE(ad.http->status == 200 && ad.parsed);
    const mh_adc_response *a = &ad.resp;
    CHECK_EQ_U(a->action, MH_ADC_SETTINGS);
    CHECK_STR(a->display_name, "Ada Lovelace");
    CHECK_STR(a->smtp, "ada@example.com");
    CHECK_STR(a->legacy_dn, DN_PREFIX "ada");
    CHECK_EQ_U(a->has_mapihttp, 1);
    CHECK_EQ_U(a->mapihttp_version, 1);
    const char *base = apr_psprintf(pool, "http://127.0.0.1:%d", H->port);
    const char *mbx_id = apr_pstrcat(pool, "/?MailboxId=", ADA_MAILBOX, "@example.com", NULL);
    CHECK_STR(a->mailstore.external, apr_pstrcat(pool, base, "/mapi/emsmdb", mbx_id, NULL));
    CHECK_STR(a->mailstore.internal, a->mailstore.external);
    CHECK_STR(a->addressbook.external, apr_pstrcat(pool, base, "/mapi/nspi", mbx_id, NULL));
    CHECK_STR(a->addressbook.internal, a->addressbook.external);
    mh_url ab;
    REQUIRE(a->addressbook.external && mh_url_parse(pool, a->addressbook.external, &ab) == 0);
    CHECK_EQ_U(ab.port, H->port);

    /* Bind on the address book URL Autodiscover gave */
    uint32_t ec = 1;
    mh_guid guid;
    mh_mapi *m = bound_at(ab.path, MH_TEST_USER, MH_TEST_PASSWORD, 1252, &ec, &guid);
    REQUIRE(m);
    CHECK_EQ_U(ec, 0);

    /* DNToMId of the LegacyDN */
    uint32_t me = mid_of_dn(m, a->legacy_dn);
    CHECK(me >= 0x10);

    /* GetProps of the user */
    static const mh_proptag tags[] = {T_NAME_A, T_SMTP_W, T_EMAIL_A, T_ADDRTYPE_A,
                                      T_DISPLAY_TYPE, T_OBJECT_TYPE, T_HOME_MDB_A, T_ENTRYID};
    mh_nspi_getprops_resp *p = getprops(m, me, 0, 1252, 8, tags);
    REQUIRE(p && p->error_code == 0 && p->has_values && p->values.n == 8);
    CHECK_STR(p->values.v[0].v.str, "Ada Lovelace");
    CHECK_STR(p->values.v[1].v.str, "ada@example.com");
    CHECK_STR(p->values.v[2].v.str, DN_PREFIX "ada");
    CHECK_STR(p->values.v[3].v.str, "EX");
    CHECK_EQ_U(p->values.v[4].v.i32, 0); /* DT_MAILUSER */
    CHECK_EQ_U(p->values.v[5].v.i32, 6); /* MAPI_MAILUSER */
    const char *home = p->values.v[6].v.str;
    CHECK_STR(home, apr_pstrcat(pool, "/o=First Organization/ou=Exchange Administrative Group "
                                "(FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=",
                                ADA_MAILBOX, "@example.com/cn=Microsoft Private MDB", NULL));
    /* the permanent entry ID names the DN */
    REQUIRE(p->values.v[7].v.bin.len == 28 + strlen(DN_PREFIX "ada") + 1);
    CHECK_STR((const char *)p->values.v[7].v.bin.data + 28, DN_PREFIX "ada");

    /* GetSpecialTable: the address lists */
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.getspecialtable.flags = MH_NSPI_UNICODE_STRINGS;
    q.getspecialtable.has_state = 1;
    q.getspecialtable.state = stat_of(0, 0, 0, 1252);
    q.getspecialtable.has_version = 1;
    q.getspecialtable.version = 0;
    mh_nspi_resp *r = nspi(m, MH_RT_GETSPECIALTABLE, &q);
    REQUIRE(r && r->getspecialtable.error_code == 0 && r->getspecialtable.rows.n == 5);
    const mh_proplist *gal = &r->getspecialtable.rows.lists[0];
    REQUIRE(gal->n >= 5);
    CHECK_EQ_U(gal->v[3].v.i32, 0); /* the GAL's container ID */
    CHECK_STR(gal->v[4].v.str, "Global Address List");
    uint32_t version = r->getspecialtable.version;
    q.getspecialtable.version = version; /* current: no rows */
    r = nspi(m, MH_RT_GETSPECIALTABLE, &q);
    REQUIRE(r && r->getspecialtable.error_code == 0);
    CHECK_EQ_U(r->getspecialtable.rows.n, 0);

    /* QueryRows: the first page of the GAL, and where it leaves the STAT */
    mh_nspi_queryrows_resp *rows = query(m, stat_of(0, 0, 0, 1252), 10, NULL, 0, 1, NAME_ONLY);
    REQUIRE(rows && rows->error_code == 0 && rows->rows.n_rows == 10);
    for (uint32_t i = 0; i < 10; i++)
        CHECK_STR(str_at(&rows->rows, i, 0), GAL[i]);
    CHECK_EQ_U(rows->state.num_pos, 10);
    CHECK_EQ_U(rows->state.total_recs, N_GAL);

    /* ResolveNames: a unique name, an ambiguous prefix, a unique prefix,
     * a list */
    const char *names[] = {"bob", "d", "grace hop", "everyone"};
    mh_nspi_resolvenames_resp *rn = resolve(m, 4, names);
    REQUIRE(rn && rn->error_code == 0 && rn->mids.n == 4 && rn->rows.n_rows == 3);
    CHECK(rn->mids.ids[0] >= 0x10);
    CHECK_EQ_U(rn->mids.ids[1], MH_NSPI_MID_AMBIGUOUS);
    CHECK(rn->mids.ids[2] >= 0x10);
    CHECK(rn->mids.ids[3] >= 0x10);
    CHECK_STR(str_at(&rn->rows, 0, 0), "Bob Bobson");
    CHECK_STR(str_at(&rn->rows, 0, 1), "bob@example.com");
    CHECK_STR(str_at(&rn->rows, 1, 0), "Grace Hopper");
    CHECK_STR(str_at(&rn->rows, 1, 1), "grace@example.com");
    CHECK_STR(str_at(&rn->rows, 2, 0), "Everyone");
    CHECK_STR(str_at(&rn->rows, 2, 1), "all@example.com");
    uint32_t everyone = rn->mids.ids[3];
    /* ResolveNames gives ephemeral entry IDs: this server's GUID and the MId */
    const mh_propval *eid = rn->rows.rows[0].vals[2];
    REQUIRE(eid && eid->v.bin.len == 32); /* MS-OXNSPI 2.2.9.2 */
    CHECK_EQ_U(eid->v.bin.data[0], 0x87);
    CHECK_MEM(eid->v.bin.data + 4, 16, guid.b, 16);
    CHECK_EQ_U(mh_get_u32(eid->v.bin.data + 24), 0); /* DT_MAILUSER */
    CHECK_EQ_U(mh_get_u32(eid->v.bin.data + 28), rn->mids.ids[0]);
    eid = rn->rows.rows[2].vals[2];
    REQUIRE(eid && eid->v.bin.len == 32);
    CHECK_EQ_U(mh_get_u32(eid->v.bin.data + 24), 1); /* DT_DISTLIST */
    CHECK_EQ_U(mh_get_u32(eid->v.bin.data + 28), everyone);

    /* GetMatches with PR_ANR: the entries the ambiguous prefix names */
    mh_restriction anr;
    memset(&anr, 0, sizeof(anr));
    anr.type = MH_RES_PROPERTY;
    anr.u.prop.relop = MH_RELOP_EQ;
    anr.u.prop.tag = T_ANR;
    anr.u.prop.val = mh_pv_str(T_ANR, "d");
    memset(&q, 0, sizeof(q));
    q.getmatches.has_state = 1;
    q.getmatches.state = stat_of(0, 0, 0, 1252);
    q.getmatches.has_filter = 1;
    q.getmatches.filter = &anr;
    q.getmatches.row_count = 50;
    q.getmatches.has_columns = 1;
    q.getmatches.columns = tags_of(1, NAME_ONLY);
    r = nspi(m, MH_RT_GETMATCHES, &q);
    REQUIRE(r && r->getmatches.error_code == 0 && r->getmatches.has_mids);
    const char *const d_names[] = {"Dennis Ritchie", "Donald Knuth", "Edsger Dijkstra",
                                   GAL[10], "Ole-Johan Dahl", "Whitfield Diffie"};
    REQUIRE(r->getmatches.mids.n == 6 && r->getmatches.rows.n_rows == 6);
    for (uint32_t i = 0; i < 6; i++) {
        CHECK_STR(str_at(&r->getmatches.rows, i, 0), d_names[i]);
        CHECK(r->getmatches.mids.ids[i] >= 0x10);
    }
    CHECK_EQ_U(mid_of_dn(m, DN_PREFIX "donald"), r->getmatches.mids.ids[1]);

    /* distribution list expansion: Everyone holds a list, bob and ursula;
     * the list it holds, four users */
    mh_nspi_getmatches_resp *dl = members(m, everyone);
    REQUIRE(dl && dl->error_code == 0 && dl->has_mids && dl->rows.n_rows == 3 &&
            dl->mids.n == 3);
    CHECK_STR(str_at(&dl->rows, 0, 0), "Bob Bobson");
    CHECK_STR(str_at(&dl->rows, 1, 0), "Pioneers");
    CHECK_STR(str_at(&dl->rows, 2, 0), "Ursula Franklin");
    CHECK_EQ_U(dl->state.container_id, everyone);
    CHECK_EQ_U(dl->mids.ids[0], rn->mids.ids[0]); /* Bob, as ResolveNames found him */
    uint32_t pioneers = dl->mids.ids[1];
    CHECK_EQ_U(pioneers, mid_of_dn(m, DN_PREFIX "pioneers@example.com"));
    dl = members(m, pioneers);
    REQUIRE(dl && dl->error_code == 0 && dl->rows.n_rows == 4);
    CHECK_STR(str_at(&dl->rows, 0, 0), "Ada Lovelace");
    CHECK_STR(str_at(&dl->rows, 1, 0), "Alan Turing");
    CHECK_STR(str_at(&dl->rows, 2, 0), "Charles Babbage");
    CHECK_STR(str_at(&dl->rows, 3, 0), "Grace Hopper");
    CHECK_EQ_U(dl->mids.ids[0], me);

    /* SeekEntries: to the first name from "k", and the rows from there */
    memset(&q, 0, sizeof(q));
    q.seekentries.has_state = 1;
    q.seekentries.state = stat_of(0, 0, 0, 1252);
    q.seekentries.has_target = 1;
    q.seekentries.target = mh_pv_str(T_NAME_A, "k");
    q.seekentries.has_columns = 1;
    q.seekentries.columns = tags_of(1, NAME_ONLY);
    r = nspi(m, MH_RT_SEEKENTRIES, &q);
    REQUIRE(r && r->seekentries.error_code == 0 && r->seekentries.has_rows);
    CHECK_EQ_U(r->seekentries.state.num_pos, 17);
    CHECK_EQ_U(r->seekentries.state.total_recs, N_GAL);
    CHECK_EQ_U(r->seekentries.state.current_rec, mid_of_dn(m, DN_PREFIX "ken"));
    REQUIRE(r->seekentries.rows.n_rows == N_GAL - 17);
    for (uint32_t i = 0; i < N_GAL - 17; i++)
        CHECK_STR(str_at(&r->seekentries.rows, i, 0), GAL[17 + i]);

    /* the home server's DN to the mailbox URL: Autodiscover's */
    memset(&q, 0, sizeof(q));
    q.getmailboxurl.server_dn = apr_pstrmemdup(pool, home, (size_t)(strstr(home,
                                               "/cn=Microsoft") - home));
    r = nspi(m, MH_RT_GETMAILBOXURL, &q);
    REQUIRE(r && r->getmailboxurl.error_code == 0);
    CHECK_STR(r->getmailboxurl.server_url, a->mailstore.external);
    memset(&q, 0, sizeof(q));
    q.getaddressbookurl.user_dn = DN_PREFIX "ada";
    r = nspi(m, MH_RT_GETADDRESSBOOKURL, &q);
    REQUIRE(r && r->getaddressbookurl.error_code == 0);
    const char *ab_url = apr_pstrcat(pool, base, "/mapi/nspi/?MailboxId=", ADA_MAILBOX, NULL);
    CHECK(strncmp(r->getaddressbookurl.server_url, ab_url, strlen(ab_url)) == 0);

    /* Unbind */
    memset(&q, 0, sizeof(q));
    r = nspi(m, MH_RT_UNBIND, &q);
    REQUIRE(r);
    CHECK_EQ_U(r->unbind.error_code, MH_NSPI_UNBIND_SUCCESS);
    /* the context is gone */
    mh_nspi_resp resp;
    const char *why;
    memset(&q, 0, sizeof(q));
    q.dntomid.has_names = 1;
    before(m);
    CHECK_EQ_U(mh_nspi_call(m, pool, MH_RT_DNTOMID, "DNToMId", &q, &resp, NULL, &why), 10);
}

/* The GAL page by page: every name in order, the STAT after each page. */
static void test_browse(void)
{
    mh_mapi *m = bound();
    REQUIRE(m);
    mh_stat st = stat_of(0, MH_NSPI_MID_BEGINNING_OF_TABLE, 0, 1252);
    uint32_t seen = 0, pages = 0;
    while (seen < N_GAL && pages < 10) {
        mh_nspi_queryrows_resp *r = query(m, st, 7, NULL, 0, 1, NAME_ONLY);
        REQUIRE(r && r->error_code == 0 && r->has_state && r->has_rows);
        uint32_t want = N_GAL - seen < 7 ? N_GAL - seen : 7;
        CHECK_EQ_U(r->rows.n_rows, want); /* never more than asked */
        for (uint32_t i = 0; i < r->rows.n_rows; i++)
            CHECK_STR(str_at(&r->rows, i, 0), GAL[seen + i]);
        seen += r->rows.n_rows;
        CHECK_EQ_U(r->state.num_pos, seen);
        CHECK_EQ_U(r->state.total_recs, N_GAL);
        CHECK_EQ_U(r->state.delta, 0);
        st = r->state;
        pages++;
        if (r->rows.n_rows == 0)
            break;
    }
    CHECK_EQ_U(seen, N_GAL);
    CHECK_EQ_U(pages, 5);
    CHECK_EQ_U(st.current_rec, MH_NSPI_MID_END_OF_TABLE);
    mh_nspi_queryrows_resp *r = query(m, st, 7, NULL, 0, 1, NAME_ONLY);
    CHECK(r && r->error_code == 0 && r->rows.n_rows == 0);
    /* the last three from the end */
    r = query(m, stat_of(0, MH_NSPI_MID_END_OF_TABLE, -3, 1252), 50, NULL, 0, 1, NAME_ONLY);
    REQUIRE(r && r->rows.n_rows == 3);
    CHECK_STR(str_at(&r->rows, 0, 0), GAL[27]);
    /* a fraction: 2/3 of the way, as a scroll bar asks */
    mh_stat f = stat_of(0, MH_NSPI_MID_CURRENT, 0, 1252);
    f.num_pos = 2;
    f.total_recs = 3;
    r = query(m, f, 1, NULL, 0, 1, NAME_ONLY);
    REQUIRE(r && r->rows.n_rows == 1);
    CHECK_STR(str_at(&r->rows, 0, 0), GAL[20]);
    CHECK_EQ_U(r->state.num_pos, 21);
    /* UpdateStat: 5 back from there, the movement reported */
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.updatestat.has_state = 1;
    q.updatestat.state = r->state;
    q.updatestat.state.delta = -5;
    q.updatestat.delta_requested = 1;
    mh_nspi_resp *u = nspi(m, MH_RT_UPDATESTAT, &q);
    REQUIRE(u && u->updatestat.error_code == 0 && u->updatestat.has_delta);
    CHECK(u->updatestat.delta == -5);
    CHECK_EQ_U(u->updatestat.state.num_pos, 16);
    /* 8-bit strings in the session's code page: É in windows-1252 */
    static const mh_proptag name_a[] = {T_NAME_A};
    r = query(m, stat_of(0, MH_NSPI_MID_BEGINNING_OF_TABLE, 10, 1252), 1, NULL, 0, 1, name_a);
    REQUIRE(r && r->rows.n_rows == 1);
    CHECK_STR(str_at(&r->rows, 0, 0), GAL[10]);
    /* the Users list alone: no lists in it */
    uint32_t n_users = 0;
    st = stat_of(0xFFFFFFF1u, 0, 0, 1252);
    r = query(m, st, 100, NULL, 0, 1, NAME_ONLY);
    REQUIRE(r && r->error_code == 0);
    n_users = r->rows.n_rows;
    CHECK_EQ_U(n_users, N_GAL - 3);
    for (uint32_t i = 0; i < r->rows.n_rows; i++)
        CHECK(strcmp(str_at(&r->rows, i, 0), "Pioneers") != 0);
}

static void test_seek_compare_resort(void)
{
    mh_mapi *m = bound();
    REQUIRE(m);
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.seekentries.has_state = 1;
    q.seekentries.state = stat_of(0, 0, 0, 1252);
    q.seekentries.has_target = 1;
    q.seekentries.target = mh_pv_str(T_NAME_A, "k");
    q.seekentries.has_columns = 1;
    q.seekentries.columns = tags_of(1, NAME_ONLY);
    mh_nspi_resp *r = nspi(m, MH_RT_SEEKENTRIES, &q);
    REQUIRE(r && r->seekentries.error_code == 0);
    CHECK_EQ_U(r->seekentries.state.num_pos, 17);
    CHECK_EQ_U(r->seekentries.state.total_recs, N_GAL);
    REQUIRE(r->seekentries.has_rows && r->seekentries.rows.n_rows == N_GAL - 17);
    CHECK_STR(str_at(&r->seekentries.rows, 0, 0), "Ken Thompson");
    uint32_t ken = r->seekentries.state.current_rec;
    q.seekentries.target = mh_pv_str(T_NAME_W, "zz");
    r = nspi(m, MH_RT_SEEKENTRIES, &q);
    CHECK(r && r->seekentries.error_code == MH_NSPI_NOT_FOUND && !r->seekentries.has_rows);

    uint32_t ada = mid_of_dn(m, DN_PREFIX "ada");
    memset(&q, 0, sizeof(q));
    q.comparemids.has_state = 1;
    q.comparemids.state = stat_of(0, 0, 0, 1252);
    q.comparemids.mid1 = ken;
    q.comparemids.mid2 = ada;
    r = nspi(m, MH_RT_COMPAREMIDS, &q);
    CHECK(r && r->comparemids.error_code == 0 && r->comparemids.result > 0);

    uint32_t in[] = {ken, 0x99999, ada};
    memset(&q, 0, sizeof(q));
    q.resortrestriction.has_state = 1;
    q.resortrestriction.state = stat_of(0, ken, 0, 1252);
    q.resortrestriction.has_mids = 1;
    q.resortrestriction.mids.n = 3;
    q.resortrestriction.mids.ids = in;
    r = nspi(m, MH_RT_RESORTRESTRICTION, &q);
    REQUIRE(r && r->resortrestriction.error_code == 0 && r->resortrestriction.mids.n == 2);
    CHECK_EQ_U(r->resortrestriction.mids.ids[0], ada);
    CHECK_EQ_U(r->resortrestriction.mids.ids[1], ken);
    CHECK_EQ_U(r->resortrestriction.state.num_pos, 1);
    CHECK_EQ_U(r->resortrestriction.state.total_recs, 2);
}

static void test_resolve_names(void)
{
    mh_mapi *m = bound();
    REQUIRE(m);
    /* unique, ambiguous, unknown; an address, a DN, a name with accents */
    const char *names[] = {"grace", "d", "nobody-here", "KEN@example.com", DN_PREFIX "tim",
                           "emilie", "Lovelace", "pioneers"};
    mh_nspi_resolvenames_resp *r = resolve(m, 8, names);
    REQUIRE(r && r->error_code == 0 && r->has_mids && r->mids.n == 8);
    CHECK(r->mids.ids[0] >= 0x10);
    CHECK_EQ_U(r->mids.ids[1], MH_NSPI_MID_AMBIGUOUS); /* Dennis, Donald, Diffie, Dijkstra, Dahl */
    CHECK_EQ_U(r->mids.ids[2], MH_NSPI_MID_UNRESOLVED);
    REQUIRE(r->has_rows && r->rows.n_rows == 6);
    CHECK_STR(str_at(&r->rows, 0, 0), "Grace Hopper");
    CHECK_STR(str_at(&r->rows, 1, 0), "Ken Thompson");
    CHECK_STR(str_at(&r->rows, 2, 0), "Tim Berners-Lee");
    CHECK_STR(str_at(&r->rows, 3, 0), GAL[10]);
    CHECK_STR(str_at(&r->rows, 4, 0), "Ada Lovelace");
    CHECK_STR(str_at(&r->rows, 5, 1), "pioneers@example.com");
}

/* GetMatches with PR_ANR (what Outlook falls back to when ResolveNames
 * finds nothing, and what its search box sends) and with a content
 * restriction. */
static void test_getmatches(void)
{
    mh_mapi *m = bound();
    REQUIRE(m);
    mh_restriction anr;
    memset(&anr, 0, sizeof(anr));
    anr.type = MH_RES_PROPERTY;
    anr.u.prop.relop = MH_RELOP_EQ;
    anr.u.prop.tag = T_ANR;
    anr.u.prop.val = mh_pv_str(T_ANR, "d");
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.getmatches.has_state = 1;
    q.getmatches.state = stat_of(0, 0, 0, 1252);
    q.getmatches.has_filter = 1;
    q.getmatches.filter = &anr;
    q.getmatches.row_count = 50;
    q.getmatches.has_columns = 1;
    q.getmatches.columns = tags_of(1, NAME_ONLY);
    mh_nspi_resp *p = nspi(m, MH_RT_GETMATCHES, &q);
    REQUIRE(p && p->getmatches.error_code == 0 && p->getmatches.has_mids);
    const char *const d_names[] = {"Dennis Ritchie", "Donald Knuth", "Edsger Dijkstra",
                                   GAL[10], "Ole-Johan Dahl", "Whitfield Diffie"};
    REQUIRE(p->getmatches.mids.n == 6 && p->getmatches.rows.n_rows == 6);
    for (int i = 0; i < 6; i++)
        CHECK_STR(str_at(&p->getmatches.rows, (uint32_t)i, 0), d_names[i]);
    q.getmatches.row_count = 5;
    p = nspi(m, MH_RT_GETMATCHES, &q);
    CHECK(p && p->getmatches.error_code == MH_NSPI_TABLE_TOO_BIG && !p->getmatches.has_mids);
    /* a content restriction: names holding "son" */
    mh_restriction c;
    memset(&c, 0, sizeof(c));
    c.type = MH_RES_CONTENT;
    c.u.content.fuzzy = MH_FL_SUBSTRING | MH_FL_IGNORECASE;
    c.u.content.tag = T_NAME_W;
    c.u.content.val = mh_pv_str(T_NAME_W, "SON");
    q.getmatches.filter = &c;
    q.getmatches.row_count = 50;
    p = nspi(m, MH_RT_GETMATCHES, &q);
    REQUIRE(p && p->getmatches.error_code == 0 && p->getmatches.rows.n_rows == 3);
    CHECK_STR(str_at(&p->getmatches.rows, 0, 0), "Bob Bobson");
    CHECK_STR(str_at(&p->getmatches.rows, 1, 0), "Ken Thompson");
    CHECK_STR(str_at(&p->getmatches.rows, 2, 0), "Sophie Wilson");
}

static void test_user_and_list_props(void)
{
    mh_mapi *m = bound();
    REQUIRE(m);
    /* mapihttp-admin names a list after its address */
    uint32_t list = mid_of_dn(m, DN_PREFIX "pioneers@example.com");
    uint32_t alan = mid_of_dn(m, DN_PREFIX "alan");
    REQUIRE(list >= 0x10 && alan >= 0x10);
    static const mh_proptag tags[] = {T_NAME_W, T_DISPLAY_TYPE, T_OBJECT_TYPE, T_PROXY_W,
                                      T_ACCOUNT_A, T_MEMBER};
    mh_nspi_getprops_resp *p = getprops(m, list, 0, 1252, 6, tags);
    REQUIRE(p && p->values.n == 6);
    CHECK_EQ_U(p->error_code, MH_NSPI_ERRORS_RETURNED); /* PR_EMS_AB_MEMBER: GetMatches */
    CHECK_STR(p->values.v[0].v.str, "Pioneers");
    CHECK_EQ_U(p->values.v[1].v.i32, 1); /* DT_DISTLIST */
    CHECK_EQ_U(p->values.v[2].v.i32, 8); /* MAPI_DISTLIST */
    REQUIRE(p->values.v[3].v.mv.n == 1);
    CHECK_STR(((const char *const *)p->values.v[3].v.mv.v)[0], "SMTP:pioneers@example.com");
    CHECK_STR(p->values.v[4].v.str, "pioneers");
    CHECK_EQ_U(p->values.v[5].tag, MH_TAG(0x8009, PT_ERROR));
    /* its members */
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.getmatches.has_state = 1;
    q.getmatches.state = stat_of(T_MEMBER, list, 0, 1252);
    q.getmatches.row_count = 100;
    q.getmatches.has_columns = 1;
    q.getmatches.columns = tags_of(1, NAME_ONLY);
    mh_nspi_resp *r = nspi(m, MH_RT_GETMATCHES, &q);
    REQUIRE(r && r->getmatches.error_code == 0 && r->getmatches.rows.n_rows == 4);
    CHECK_STR(str_at(&r->getmatches.rows, 0, 0), "Ada Lovelace");
    CHECK_STR(str_at(&r->getmatches.rows, 1, 0), "Alan Turing");
    CHECK_STR(str_at(&r->getmatches.rows, 2, 0), "Charles Babbage");
    CHECK_STR(str_at(&r->getmatches.rows, 3, 0), "Grace Hopper");
    CHECK_EQ_U(r->getmatches.state.container_id, list);
    /* a user: every property it has, by GetPropList, then GetProps */
    memset(&q, 0, sizeof(q));
    q.getproplist.flags = MH_NSPI_FSKIPOBJECTS;
    q.getproplist.mid = alan;
    q.getproplist.code_page = 1252;
    r = nspi(m, MH_RT_GETPROPLIST, &q);
    REQUIRE(r && r->getproplist.error_code == 0 && r->getproplist.tags.n >= 15);
    p = getprops(m, alan, 0, 1252, (int)r->getproplist.tags.n, r->getproplist.tags.tags);
    REQUIRE(p && p->error_code == 0 && p->values.n == r->getproplist.tags.n);
    int found = 0;
    for (uint32_t i = 0; i < p->values.n; i++)
        if (MH_TAG_ID(p->values.v[i].tag) == 0x39FE)
            found = !strcmp(p->values.v[i].v.str, "alan@example.com");
    CHECK(found);
    /* and Ursula, without a mailbox: no home server */
    uint32_t ursula = mid_of_dn(m, DN_PREFIX "ursula");
    REQUIRE(ursula >= 0x10);
    static const mh_proptag home[] = {T_HOME_MDB_A};
    p = getprops(m, ursula, 0, 1252, 1, home);
    CHECK(p && p->error_code == MH_NSPI_ERRORS_RETURNED &&
          p->values.v[0].v.err == MAPI_E_NOT_FOUND);
}

/* ------------------------------------------------ display templates */

/* A control of a template blob (MS-OXOABKT 2.2.2.1.2) and its string. */
typedef struct tctl {
    uint32_t type, prop;
    const char *text;
} tctl;

/* The controls of a template, after checking its frame: Type 1, cRows
 * rows of 36 bytes, every string offset inside the blob and its string
 * NUL-terminated there; NULL when not. */
static tctl *template_controls(const mh_bin *b, uint32_t *n_r)
{
    if (b->len < 8 || mh_get_u32(b->data) != 1)
        return NULL;
    uint32_t n = mh_get_u32(b->data + 4);
    if (n == 0 || n > (b->len - 8) / 36)
        return NULL;
    tctl *c = apr_pcalloc(pool, sizeof(tctl) * n);
    for (uint32_t i = 0; i < n; i++) {
        const unsigned char *r = b->data + 8 + 36 * i;
        c[i].type = mh_get_u32(r + 16);
        c[i].prop = mh_get_u32(r + 24);
        uint32_t off = mh_get_u32(r + 32);
        if (off < 8 + 36 * n || off >= b->len || !memchr(b->data + off, 0, b->len - off))
            return NULL;
        c[i].text = (const char *)b->data + off;
    }
    *n_r = n;
    return c;
}

static const tctl *find_control(const tctl *c, uint32_t n, uint32_t type, uint32_t prop)
{
    for (uint32_t i = 0; i < n; i++)
        if (c[i].type == type && c[i].prop == prop)
            return &c[i];
    return NULL;
}

/* The properties dialog of a user and of a list, as Outlook asks for it
 * (flags 0x61, MS-OXOABKT 4.2): by display type and by DN, in English and
 * German. */
static void test_templates(void)
{
    mh_mapi *m = bound();
    REQUIRE(m);
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.gettemplateinfo.flags = 0x61;
    q.gettemplateinfo.display_type = 0; /* DT_MAILUSER */
    q.gettemplateinfo.code_page = 1252;
    q.gettemplateinfo.locale_id = 0x409;
    mh_nspi_resp *r = nspi(m, MH_RT_GETTEMPLATEINFO, &q);
    REQUIRE(r && r->gettemplateinfo.error_code == 0 && r->gettemplateinfo.has_row);
    CHECK_EQ_U(r->gettemplateinfo.code_page, 1252);
    REQUIRE(r->gettemplateinfo.row.n == 1);
    CHECK_EQ_U(r->gettemplateinfo.row.v[0].tag, 0x00010102); /* PidTagTemplateData */
    uint32_t n = 0;
    tctl *c = template_controls(&r->gettemplateinfo.row.v[0].v.bin, &n);
    REQUIRE(c);
    CHECK_EQ_U(c[0].type, 8); /* a tabbed page first */
    CHECK_STR(c[0].text, "General");
    const tctl *e = find_control(c, n, 1, MH_TAG(0x3A06, PT_STRING8)); /* first name */
    REQUIRE(e && e > c);
    CHECK_STR(e[-1].text, "&First:");
    CHECK(find_control(c, n, 2, MH_TAG(0x8015, PT_OBJECT)) != NULL); /* delegates */
    CHECK(find_control(c, n, 2, MH_TAG(0x8008, PT_OBJECT)) != NULL); /* member of */
    CHECK(find_control(c, n, 0x0B, MH_TAG(0x800F, PT_MV_STRING8)) != NULL);
    /* a list, named by its DN (ulType and the LCID then ignored), German */
    q.gettemplateinfo.display_type = 0;
    q.gettemplateinfo.has_template_dn = 1;
    q.gettemplateinfo.template_dn = DN_PREFIX "pioneers@example.com";
    r = nspi(m, MH_RT_GETTEMPLATEINFO, &q);
    REQUIRE(r && r->gettemplateinfo.error_code == 0 && r->gettemplateinfo.row.n == 1);
    c = template_controls(&r->gettemplateinfo.row.v[0].v.bin, &n);
    REQUIRE(c);
    CHECK(find_control(c, n, 2, MH_TAG(0x8009, PT_OBJECT)) != NULL);   /* members */
    CHECK(find_control(c, n, 2, MH_TAG(0x800C, PT_OBJECT)) != NULL);   /* owner */
    CHECK(find_control(c, n, 7, MH_TAG(0x6704, PT_OBJECT)) != NULL);   /* modify members */
    CHECK(find_control(c, n, 1, MH_TAG(0x3A06, PT_STRING8)) == NULL);
    q.gettemplateinfo.has_template_dn = 0;
    q.gettemplateinfo.display_type = 1; /* DT_DISTLIST */
    q.gettemplateinfo.locale_id = 0x407;
    r = nspi(m, MH_RT_GETTEMPLATEINFO, &q);
    REQUIRE(r && r->gettemplateinfo.error_code == 0 && r->gettemplateinfo.row.n == 1);
    c = template_controls(&r->gettemplateinfo.row.v[0].v.bin, &n);
    REQUIRE(c);
    CHECK_STR(c[0].text, "Allgemein");
    const tctl *b = find_control(c, n, 7, MH_TAG(0x6704, PT_OBJECT));
    REQUIRE(b);
    CHECK_STR(b->text, "Mitglieder \xe4&ndern..."); /* windows-1252 */
    /* a DN that names nothing: InvalidLocale */
    q.gettemplateinfo.has_template_dn = 1;
    q.gettemplateinfo.template_dn = DN_PREFIX "nobody";
    r = nspi(m, MH_RT_GETTEMPLATEINFO, &q);
    CHECK(r && r->gettemplateinfo.error_code == MH_NSPI_INVALID_LOCALE &&
          !r->gettemplateinfo.has_row);
}

/* ------------------------------------------------------------ changes */

static uint32_t modlinkatt(mh_mapi *m, uint32_t flags, mh_proptag tag, uint32_t mid,
                           uint32_t n, const mh_bin *eids)
{
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.modlinkatt.flags = flags;
    q.modlinkatt.tag = tag;
    q.modlinkatt.mid = mid;
    q.modlinkatt.has_entry_ids = 1;
    q.modlinkatt.entry_ids.n = n;
    q.modlinkatt.entry_ids.b = (mh_bin *)eids;
    mh_nspi_resp *r = nspi(m, MH_RT_MODLINKATT, &q);
    return r ? r->modlinkatt.error_code : 0xFFFFFFFFu;
}

/* A link attribute read back with GetProps as PtypMultipleString8: the
 * last RDNs of the DNs it names, joined with ','; "-" for none. */
static const char *links_of(mh_mapi *m, uint32_t mid, uint16_t id)
{
    const mh_proptag tag = MH_TAG(id, PT_MV_STRING8);
    mh_nspi_getprops_resp *p = getprops(m, mid, 0, 1252, 1, &tag);
    if (!p || !p->has_values || p->values.n != 1)
        return "(no answer)";
    const mh_propval *v = &p->values.v[0];
    if (MH_TAG_TYPE(v->tag) == PT_ERROR)
        return v->v.err == MAPI_E_NOT_FOUND ? "-" : "(error)";
    const char *s = "";
    for (uint32_t i = 0; i < v->v.mv.n; i++) {
        const char *dn = ((const char *const *)v->v.mv.v)[i];
        const char *cn = strstr(dn, "/cn=Recipients/cn=");
        s = apr_pstrcat(pool, s, i ? "," : "", cn ? cn + 18 : dn, NULL);
    }
    return s;
}

/* The entry ID ResolveNames hands out for a name (ephemeral). */
static mh_bin resolved_eid(mh_mapi *m, const char *name)
{
    mh_bin none = {0, NULL};
    mh_nspi_resolvenames_resp *r = resolve(m, 1, &name);
    if (!r || r->error_code || r->rows.n_rows != 1 || !r->rows.rows[0].vals[2])
        return none;
    return r->rows.rows[0].vals[2]->v.bin;
}

/* Whether the error log has a line at `level` with both fragments. */
static int logged(const char *level, const char *tag, const char *text)
{
    const char *elog = mh_httpd_read_file(H, H->error_log);
    for (const char *p = elog; p && (p = strstr(p, tag)) != NULL; p++) {
        const char *bol = p, *eol = strchr(p, '\n');
        while (bol > elog && bol[-1] != '\n')
            bol--;
        const char *line = apr_pstrndup(pool, bol, eol ? (size_t)(eol - bol) : strlen(bol));
        if (strstr(line, level) && strstr(line, text))
            return 1;
    }
    return 0;
}

/*
 * What a user may change in the address book, over HTTP: ada makes bob
 * her delegate (ModLinkAtt, an entry ID from ResolveNames) and reads it
 * back with GetProps and GetMatches; bob may not change ada's delegates;
 * ada removes him with a Permanent Entry ID.  ada owns Pioneers and adds
 * and removes a member; bob, who does not own it, is refused.  ada
 * publishes a certificate with ModProps, is refused another property and
 * someone else's entry.
 */
static void test_changes(void)
{
    mh_mapi *ada = bound();
    REQUIRE(ada);
    uint32_t ec = 1;
    mh_mapi *bob = bound_as(MH_TEST_USER2, MH_TEST_PASSWORD2, 1252, &ec, NULL);
    REQUIRE(bob);
    uint32_t me = mid_of_dn(ada, DN_PREFIX "ada");
    uint32_t pioneers = mid_of_dn(ada, DN_PREFIX "pioneers@example.com");
    uint32_t bob_mid = mid_of_dn(ada, DN_PREFIX "bob");
    REQUIRE(me >= 0x10 && pioneers >= 0x10 && bob_mid >= 0x10);
    const mh_proptag delegates = MH_TAG(0x8015, PT_OBJECT);
    const mh_proptag member = MH_TAG(0x8009, PT_OBJECT);

    /* delegates */
    CHECK_STR(links_of(ada, me, 0x8015), "-");
    mh_bin b = resolved_eid(ada, "bob");
    REQUIRE(b.len == 32);
    CHECK_EQ_U(modlinkatt(ada, 0, delegates, me, 1, &b), MH_NSPI_SUCCESS);
    CHECK_STR(links_of(ada, me, 0x8015), "bob");
    CHECK_STR(links_of(bob, me, 0x8015), "bob"); /* another session sees it */
    mh_nspi_req q;
    memset(&q, 0, sizeof(q));
    q.getmatches.has_state = 1;
    q.getmatches.state = stat_of(delegates, me, 0, 1252);
    q.getmatches.row_count = 10;
    q.getmatches.has_columns = 1;
    q.getmatches.columns = tags_of(1, NAME_ONLY);
    mh_nspi_resp *r = nspi(ada, MH_RT_GETMATCHES, &q);
    REQUIRE(r && r->getmatches.error_code == 0 && r->getmatches.rows.n_rows == 1);
    CHECK_STR(str_at(&r->getmatches.rows, 0, 0), "Bob Bobson");
    /* bob may not change ada's delegates, even to remove himself */
    CHECK_EQ_U(modlinkatt(bob, MH_NSPI_FDELETE, delegates, me, 1, &b), MH_NSPI_ACCESS_DENIED);
    mh_bin grace = resolved_eid(bob, "grace");
    REQUIRE(grace.len == 32);
    CHECK_EQ_U(modlinkatt(bob, 0, delegates, me, 1, &grace), MH_NSPI_ACCESS_DENIED);
    CHECK_STR(links_of(ada, me, 0x8015), "bob");
    /* the log says who changed what, and who was refused why */
    CHECK(logged(":info]", "MH01903", "ModLinkAtt by ada: delegates of Ada Lovelace: 1 added"));
    CHECK(logged(":info]", "MH01902", "ModLinkAtt by bob refused"));
    /* removed again, named by a Permanent Entry ID (PidTagEntryId) */
    static const mh_proptag eid_tag = T_ENTRYID;
    mh_nspi_getprops_resp *p = getprops(ada, bob_mid, 0, 1252, 1, &eid_tag);
    REQUIRE(p && p->error_code == 0 && p->values.v[0].v.bin.len > 28);
    CHECK_EQ_U(p->values.v[0].v.bin.data[0], 0x00);
    CHECK_EQ_U(modlinkatt(ada, MH_NSPI_FDELETE, delegates, me, 1, &p->values.v[0].v.bin),
               MH_NSPI_SUCCESS);
    CHECK_STR(links_of(ada, me, 0x8015), "-");

    /* members of the list ada owns */
    CHECK_STR(links_of(ada, pioneers, 0x800C), "ada");
    CHECK_STR(links_of(ada, pioneers, 0x8009), "ada,alan,charles,grace");
    CHECK_EQ_U(modlinkatt(ada, 0, member, pioneers, 1, &b), MH_NSPI_SUCCESS);
    CHECK_STR(links_of(ada, pioneers, 0x8009), "ada,alan,bob,charles,grace");
    CHECK_EQ_U(modlinkatt(bob, MH_NSPI_FDELETE, member, pioneers, 1, &b),
               MH_NSPI_ACCESS_DENIED); /* bob does not own it */
    CHECK_EQ_U(modlinkatt(ada, MH_NSPI_FDELETE, member, pioneers, 1, &b), MH_NSPI_SUCCESS);
    CHECK_STR(links_of(ada, pioneers, 0x8009), "ada,alan,charles,grace");
    /* nobody owns Compiler Writers: administrators only */
    uint32_t compilers = mid_of_dn(ada, DN_PREFIX "compilers@example.com");
    CHECK_EQ_U(modlinkatt(ada, 0, member, compilers, 1, &b), MH_NSPI_ACCESS_DENIED);

    /* ModProps: ada's own certificate, and nothing else */
    static const uint8_t der[] = {0x30, 0x82, 0x01, 0x0A, 0x02, 0x01, 0x01};
    mh_bin cert = {sizeof(der), der};
    mh_propval v;
    memset(&v, 0, sizeof(v));
    v.tag = MH_TAG(0x8C6A, PT_MV_BINARY);
    v.v.mv.n = 1;
    v.v.mv.v = &cert;
    memset(&q, 0, sizeof(q));
    q.modprops.has_state = 1;
    q.modprops.state = stat_of(0, me, 0, 1252);
    q.modprops.has_tags = 1; /* none to remove */
    q.modprops.has_values = 1;
    q.modprops.values.n = 1;
    q.modprops.values.v = &v;
    r = nspi(ada, MH_RT_MODPROPS, &q);
    CHECK(r && r->modprops.error_code == MH_NSPI_SUCCESS);
    static const mh_proptag cert_tag = MH_TAG(0x8C6A, PT_MV_BINARY);
    p = getprops(bob, me, 0, 1252, 1, &cert_tag);
    REQUIRE(p && p->error_code == 0 && p->values.v[0].v.mv.n == 1);
    CHECK_MEM(((const mh_bin *)p->values.v[0].v.mv.v)[0].data,
              ((const mh_bin *)p->values.v[0].v.mv.v)[0].len, der, sizeof(der));
    r = nspi(bob, MH_RT_MODPROPS, &q); /* on ada's entry */
    CHECK(r && r->modprops.error_code == MH_NSPI_ACCESS_DENIED);
    mh_propval name = mh_pv_str(MH_TAG(0x3001, PT_UNICODE), "Countess");
    q.modprops.values.v = &name;
    r = nspi(ada, MH_RT_MODPROPS, &q);
    CHECK(r && r->modprops.error_code == MH_NSPI_ACCESS_DENIED);
    q.modprops.state.current_rec = pioneers;
    r = nspi(ada, MH_RT_MODPROPS, &q);
    CHECK(r && r->modprops.error_code == MH_NSPI_INVALID_OBJECT);
    /* and removed: pPropTags without a row */
    q.modprops.state.current_rec = me;
    q.modprops.tags = tags_of(1, &cert_tag);
    q.modprops.has_values = 0;
    r = nspi(ada, MH_RT_MODPROPS, &q);
    CHECK(r && r->modprops.error_code == MH_NSPI_SUCCESS);
    p = getprops(ada, me, 0, 1252, 1, &cert_tag);
    CHECK(p && p->error_code == MH_NSPI_ERRORS_RETURNED &&
          p->values.v[0].v.err == MAPI_E_NOT_FOUND);
    static const mh_proptag name_a = T_NAME_A;
    p = getprops(ada, me, 0, 1252, 1, &name_a);
    CHECK(p && p->error_code == 0 && !strcmp(p->values.v[0].v.str, "Ada Lovelace"));
}

static void test_bad_input(void)
{
    mh_mapi *m = bound();
    REQUIRE(m);
    mh_nspi_resp resp;
    const char *why;
    mh_nspi_req q;
    /* truncated and trailing bytes: 12 */
    memset(&q, 0, sizeof(q));
    q.queryrows.has_state = 1;
    q.queryrows.state = stat_of(0, 0, 0, 1252);
    q.queryrows.row_count = 5;
    mh_wr wr;
    mh_wr_init(&wr, pool, 64);
    mh_nspi_build_queryrows_req(&wr, &q.queryrows);
    for (size_t cut = 0; cut < wr.len; cut += 7) {
        mh_response *raw = NULL;
        before(m);
        CHECK_EQ_U(mh_mapi_call(m, pool, "QueryRows", wr.buf, cut, &raw), APR_SUCCESS);
        CHECK(raw && mh_response_code(raw) == 12);
    }
    unsigned char *more = apr_pmemdup(pool, wr.buf, wr.len + 1);
    more[wr.len] = 0;
    mh_response *raw = NULL;
    before(m);
    CHECK_EQ_U(mh_mapi_call(m, pool, "QueryRows", more, wr.len + 1, &raw), APR_SUCCESS);
    CHECK(raw && mh_response_code(raw) == 12);
    /* ... and the context goes on */
    mh_nspi_queryrows_resp *r = query(m, q.queryrows.state, 2, NULL, 0, 1, NAME_ONLY);
    CHECK(r && r->error_code == 0 && r->rows.n_rows == 2);
    /* a code page nobody knows, an unknown container, an MId in no table */
    r = query(m, stat_of(0, 0, 0, 4242), 2, NULL, 0, 1, NAME_ONLY);
    CHECK(r && r->error_code == MH_NSPI_INVALID_CODEPAGE && !r->has_rows);
    r = query(m, stat_of(0x4242, 0, 0, 1252), 2, NULL, 0, 1, NAME_ONLY);
    CHECK(r && r->error_code == MH_NSPI_INVALID_BOOKMARK);
    r = query(m, stat_of(0, 0x99999, 0, 1252), 2, NULL, 0, 1, NAME_ONLY);
    CHECK(r && r->error_code == MH_NSPI_NOT_FOUND);
    /* no template for a container: InvalidLocale, the session goes on */
    memset(&q, 0, sizeof(q));
    q.gettemplateinfo.flags = MH_NSPI_TI_TEMPLATE;
    q.gettemplateinfo.display_type = 0x100;
    q.gettemplateinfo.code_page = 1252;
    q.gettemplateinfo.locale_id = 0x409;
    before(m);
    CHECK_EQ_U(mh_nspi_call(m, pool, MH_RT_GETTEMPLATEINFO, "GetTemplateInfo", &q, &resp, NULL,
                            &why), 0);
    CHECK_EQ_U(resp.gettemplateinfo.error_code, MH_NSPI_INVALID_LOCALE);
    CHECK(!resp.gettemplateinfo.has_row);
    /* ModProps without pPropTags, ModLinkAtt of property 0: refused with
     * the spec's errors, the session goes on */
    memset(&q, 0, sizeof(q));
    q.modprops.has_state = 1;
    q.modprops.state = stat_of(0, 0x10, 0, 1252);
    before(m);
    CHECK_EQ_U(mh_nspi_call(m, pool, MH_RT_MODPROPS, "ModProps", &q, &resp, NULL, &why), 0);
    CHECK_EQ_U(resp.modprops.error_code, MH_NSPI_INVALID_PARAMETER);
    memset(&q, 0, sizeof(q));
    before(m);
    CHECK_EQ_U(mh_nspi_call(m, pool, MH_RT_MODLINKATT, "ModLinkAtt", &q, &resp, NULL, &why), 0);
    CHECK_EQ_U(resp.modlinkatt.error_code, MH_NSPI_NOT_FOUND);
    /* a Bind in the Unicode code page: refused, and no context */
    uint32_t ec = 0;
    CHECK(bound_as(MH_TEST_USER, MH_TEST_PASSWORD, MH_NSPI_CP_WINUNICODE, &ec, NULL) == NULL);
    CHECK_EQ_U(ec, MH_NSPI_INVALID_CODEPAGE);
    /* beyond a limit: 100,001 MIds in an Explicit Table (a failure body) */
    mh_wr_init(&wr, pool, 500000);
    mh_wr_u32(&wr, 0);         /* Flags */
    mh_wr_u8(&wr, 0xFF);
    mh_stat st = stat_of(0, 0, 0, 1252);
    mh_wr_stat(&wr, &st);
    mh_wr_u32(&wr, 100001);    /* ExplicitTableCount */
    for (uint32_t i = 0; i < 100001; i++)
        mh_wr_u32(&wr, 0x10);
    mh_wr_u32(&wr, 1);         /* RowCount */
    mh_wr_u8(&wr, 0);          /* no columns */
    mh_wr_u32(&wr, 0);         /* no aux */
    raw = NULL;
    before(m);
    CHECK_EQ_U(mh_mapi_call(m, pool, "QueryRows", wr.buf, wr.len, &raw), APR_SUCCESS);
    REQUIRE(raw && mh_response_code(raw) == 0 && raw->payload_len >= 8);
    CHECK_EQ_U(mh_get_u32(raw->payload), MH_RPC_X_BAD_STUB_DATA);
}

/* MIds come from the directory: the same after a graceful restart, and
 * the session outlives it. */
static void test_restart(void)
{
    mh_mapi *m = bound();
    REQUIRE(m);
    uint32_t before = mid_of_dn(m, DN_PREFIX "konrad");
    CHECK(before >= 0x10);
    REQUIRE(mh_httpd_graceful(H) == 0);
    uint32_t after = mid_of_dn(m, DN_PREFIX "konrad");
    CHECK_EQ_U(after, before);
    mh_mapi *m2 = bound();
    REQUIRE(m2);
    CHECK_EQ_U(mid_of_dn(m2, DN_PREFIX "konrad"), before);
}

static void test_log_clean(void)
{
    CHECK_EQ_U(mh_httpd_check_log(H), 0);
}

/* ------------------------------------------------------------- main */


/* ------------------------------------------------ directory changes */

/* The GAL as one request sees it: its row count (TotalRecs) and the name
 * at row `at`. */
static uint32_t gal_seen(mh_mapi *m, uint32_t at, const char **name_r)
{
    mh_nspi_queryrows_resp *r = query(m, stat_of(0, 0, (int32_t)at, 1252), 1, NULL, 0, 1,
                                      NAME_ONLY);
    if (!r || r->error_code != 0)
        return 0;
    *name_r = r->rows.n_rows ? apr_pstrdup(pool, str_at(&r->rows, 0, 0)) : "(none)";
    return r->state.total_recs;
}

/*
 * A change made by another process (mapihttp-admin, while httpd runs) is
 * seen by the next call in every httpd process: each keeps a snapshot of
 * the GAL's order and checks the directory's generation at every call.
 * Many calls on new connections, so that they reach every process (run
 * with --new-connections under prefork: processes that live on, each with
 * its own snapshot).
 */
static void test_directory_change(void)
{
    mh_mapi *m = bound();
    REQUIRE(m);
    const int calls = 12;
    const char *name = NULL;
    for (int i = 0; i < calls; i++) {
        CHECK_EQ_U(gal_seen(m, 23, &name), N_GAL);
        CHECK_STR(name, GAL[23]); /* Peter Naur */
    }
    const char *out = NULL;
    REQUIRE(mh_httpd_admin(H, "user add otzi --name '\xc3\x96tzi M\xc3\xbcller' "
                              "--email otzi@example.com --no-mailbox", &out) == 0);
    /* "otzi muller" sorts between Ole-Johan Dahl and Peter Naur */
    for (int i = 0; i < calls; i++) {
        CHECK_EQ_U(gal_seen(m, 23, &name), N_GAL + 1);
        CHECK_STR(name, "\xc3\x96tzi M\xc3\xbcller");
        CHECK_EQ_U(gal_seen(m, 24, &name), N_GAL + 1);
        CHECK_STR(name, GAL[23]);
    }
    const char *names[] = {"MULLER", "otzi", "\xc3\x96tz"};
    mh_nspi_resolvenames_resp *rn = resolve(m, 3, names);
    REQUIRE(rn && rn->error_code == 0 && rn->mids.n == 3 && rn->rows.n_rows == 3);
    CHECK(rn->mids.ids[0] >= 0x10 && rn->mids.ids[0] == rn->mids.ids[1] &&
          rn->mids.ids[1] == rn->mids.ids[2]);
    CHECK_STR(str_at(&rn->rows, 0, 0), "\xc3\x96tzi M\xc3\xbcller");
    /* and gone again, everywhere */
    REQUIRE(mh_httpd_admin(H, "user delete otzi", &out) == 0);
    for (int i = 0; i < calls; i++) {
        CHECK_EQ_U(gal_seen(m, 23, &name), N_GAL);
        CHECK_STR(name, GAL[23]);
    }
    rn = resolve(m, 1, names);
    REQUIRE(rn && rn->error_code == 0 && rn->mids.n == 1);
    CHECK_EQ_U(rn->mids.ids[0], MH_NSPI_MID_UNRESOLVED);
}

static int make_store(mh_httpd *h)
{
    static const char *const users[][2] = {
        {"alan", "Alan Turing"},         {"barbara", "Barbara Liskov"},
        {"charles", "Charles Babbage"},  {"claude", "Claude Shannon"},
        {"dennis", "Dennis Ritchie"},    {"donald", "Donald Knuth"},
        {"edsger", "Edsger Dijkstra"},   {"emilie", "\xc3\x89milie du Ch\xc3\xa2telet"},
        {"frances", "Frances Allen"},    {"grace", "Grace Hopper"},
        {"hedy", "Hedy Lamarr"},         {"ivan", "Ivan Sutherland"},
        {"john", "John Backus"},         {"ken", "Ken Thompson"},
        {"konrad", "Konrad Zuse"},       {"leslie", "Leslie Lamport"},
        {"margaret", "Margaret Hamilton"}, {"niklaus", "Niklaus Wirth"},
        {"olejohan", "Ole-Johan Dahl"},  {"peter", "Peter Naur"},
        {"radia", "Radia Perlman"},      {"sophie", "Sophie Wilson"},
        {"tim", "Tim Berners-Lee"},      {"whitfield", "Whitfield Diffie"}};
    const char *steps[40];
    int n = 0;
    steps[n++] = "init";
    steps[n++] = "user add ada --name 'Ada Lovelace' --email ada@example.com "
                 "--alias lovelace@example.com --password secret-ada";
    steps[n++] = "user add bob --name 'Bob Bobson' --email bob@example.com --password secret-bob";
    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
        steps[n++] = apr_psprintf(h->pool, "user add %s --name '%s' --email %s@example.com",
                                  users[i][0], users[i][1], users[i][0]);
    steps[n++] = "user add ursula --name 'Ursula Franklin' --email ursula@example.com "
                 "--no-mailbox";
    steps[n++] = "group add pioneers@example.com --name Pioneers";
    steps[n++] = "group members pioneers@example.com ada alan charles grace";
    steps[n++] = "group owner pioneers@example.com ada";
    steps[n++] = "group add compilers@example.com --name 'Compiler Writers'";
    steps[n++] = "group members compilers@example.com john niklaus peter grace donald";
    steps[n++] = "group add all@example.com --name Everyone";
    steps[n++] = "group members all@example.com pioneers@example.com bob ursula";
    for (int i = 0; i < n; i++) {
        const char *out = NULL;
        if (mh_httpd_admin(h, steps[i], &out) != 0) {
            printf("# mapihttp-admin %s failed:\n%s\n", steps[i], out ? out : "");
            return -1;
        }
    }
    const char *out = NULL;
    if (mh_httpd_admin(h, "user show ada", &out) != 0 || !out)
        return -1;
    const char *f = strstr(out, "mailbox:");
    if (!f)
        return -1;
    f += strlen("mailbox:");
    while (*f == ' ')
        f++;
    ADA_MAILBOX = apr_pstrmemdup(h->pool, f, strcspn(f, "\n"));
    return strlen(ADA_MAILBOX) == 36 ? 0 : -1;
}

int main(int argc, char **argv)
{
    MH_TEST_INIT();
    signal(SIGPIPE, SIG_IGN);
    apr_pool_create(&root_pool, NULL);
    pool = root_pool;
    const char *mpm = "event";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mpm") == 0 && i + 1 < argc)
            mpm = argv[++i];
        else if (strcmp(argv[i], "--per-request-process") == 0)
            PER_REQUEST = 1;
        else if (strcmp(argv[i], "--new-connections") == 0)
            NEW_CONNECTIONS = 1;
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            ONLY = argv[++i];
    }
    H = mh_httpd_create(pool, mpm);
    if (!H || make_store(H) != 0) {
        printf("not ok - could not prepare the server\n");
        return 1;
    }
    H->server_conf = mh_httpd_lmdb_conf(H);
    H->auth_provider = "lmdb";
    /* Autodiscover, where a client making a profile asks first */
    H->vhost_conf = "  <LocationMatch \"(?i)^/autodiscover/\">\n"
                    "    MapiHttp On\n"
                    "    AuthType Basic\n    AuthName \"MAPI test\"\n"
                    "    AuthBasicProvider lmdb\n    Require valid-user\n"
                    "  </LocationMatch>\n";
    if (PER_REQUEST)
        H->max_connections_per_child = 1;
    if (mh_httpd_start(H) != 0) {
        printf("not ok - httpd did not start\n");
        mh_httpd_destroy(H);
        return 1;
    }
#define IT(fn)                                                                 \
    do {                                                                       \
        if (!ONLY || strcmp(ONLY, #fn) == 0)                                   \
            MH_IT_TEST(fn, pool, root_pool);                                   \
    } while (0)
    IT(test_profile_sequence);
    IT(test_browse);
    IT(test_seek_compare_resort);
    IT(test_resolve_names);
    IT(test_getmatches);
    IT(test_user_and_list_props);
    IT(test_templates);
    IT(test_changes);
    IT(test_directory_change);
    IT(test_bad_input);
    IT(test_restart);
    MH_IT_TEST(test_log_clean, pool, root_pool);
    mh_httpd_destroy(H);
    return MH_TEST_DONE();
}
