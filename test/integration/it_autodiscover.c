/*
 * it_autodiscover.c - Autodiscover over a real httpd with the LMDB backend
 * and Basic authentication from the store:
 *   own address (and the path in another case), an alias, LegacyDN,
 *   another user's address without rights and with them (granted by the
 *   owner through RopModifyPermissions, as Outlook's sharing does), a
 *   mailbox on another server, unknown, malformed, wrong schema,
 *   oversized (announced and chunked), an XXE attempt, redirect domains
 *   (302 and redirectAddr), GET, the JSON form, unauthenticated requests
 *   (401 with auth configured, 403 without), the request log line, and a
 *   clean error log.
 *   it_autodiscover --config: bad directive values stop httpd.
 *
 * Every expected value comes from elsewhere: mailbox GUIDs and legacy DNs
 * from what mapihttp-admin reports, DeploymentIds from the core's function,
 * ports from the harness.
 */
#include "harness.h"
#include "mh_autodiscover.h"
#include "mh_emsmdb.h"
#include "mh_legacydn.h"
#include "mh_test.h"

#include "config.h"

#include <signal.h>
#include <stdio.h>

#include <apr_base64.h>
#include <apr_strings.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

static apr_pool_t *pool;
static apr_pool_t *root_pool;
static mh_httpd *H;

#define TEST(fn) MH_IT_TEST(fn, pool, root_pool)

#define SCHEMA_EL "<AcceptableResponseSchema>" MH_AD_NS_OUTLOOK "</AcceptableResponseSchema>"

/* What mapihttp-admin says about a user. */
typedef struct user_facts {
    const char *mailbox; /* GUID text */
    const char *dn;      /* legacy DN */
} user_facts;

static user_facts ada, bob, carol;

/* ---------------------------------------------------------- helpers */

static const char *basic(const char *user, const char *password)
{
    const char *up = apr_pstrcat(pool, user, ":", password, NULL);
    char *enc = apr_palloc(pool, (apr_size_t)apr_base64_encode_len((int)strlen(up)));
    apr_base64_encode(enc, up, (int)strlen(up));
    return apr_pstrcat(pool, "Basic ", enc, NULL);
}

static const char *password_of(const char *user)
{
    return apr_pstrcat(pool, "secret-", user, NULL);
}

/* One request on a fresh connection. */
static mh_response *request(int port, const char *method, const char *path, const char *user,
                            const char *body, apr_table_t *headers)
{
    mh_client *c = mh_httpd_client(H, pool, port, 0);
    apr_table_t *h = headers ? headers : apr_table_make(pool, 4);
    if (user)
        apr_table_set(h, "Authorization", basic(user, password_of(user)));
    if (body && !apr_table_get(h, "Content-Type"))
        apr_table_set(h, "Content-Type", "text/xml");
    apr_table_set(h, "X-MapiHttpCapability", "1");
    mh_response *r = NULL;
    if (mh_client_request(c, pool, method, path, h, body, body ? strlen(body) : 0, &r) !=
        APR_SUCCESS) {
        printf("# %s %s: %s\n", method, path, mh_client_error(c));
        return NULL;
    }
    return r;
}

static const char *ask_body(const char *addr)
{
    return apr_pstrcat(pool, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Autodiscover xmlns=\""
                       MH_AD_NS_REQUEST "\"><Request><EMailAddress>", addr,
                       "</EMailAddress>" SCHEMA_EL "</Request></Autodiscover>", NULL);
}

static mh_response *pox(const char *user, const char *addr)
{
    return request(H->port, "POST", "/autodiscover/autodiscover.xml", user, ask_body(addr), NULL);
}

typedef struct xdoc {
    xmlDocPtr doc;
    xmlXPathContextPtr xp;
} xdoc;

static int xdoc_open(xdoc *x, const mh_response *r)
{
    memset(x, 0, sizeof(*x));
    if (!r || !r->body)
        return -1;
    x->doc = xmlReadMemory((const char *)r->body, (int)r->body_len, "r.xml", NULL,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!x->doc)
        return -1;
    x->xp = xmlXPathNewContext(x->doc);
    xmlXPathRegisterNs(x->xp, BAD_CAST "a", BAD_CAST MH_AD_NS_RESPONSE);
    xmlXPathRegisterNs(x->xp, BAD_CAST "o", BAD_CAST MH_AD_NS_OUTLOOK);
    return 0;
}

static void xdoc_close(xdoc *x)
{
    if (x->xp)
        xmlXPathFreeContext(x->xp);
    if (x->doc)
        xmlFreeDoc(x->doc);
}

static const char *xs(xdoc *x, const char *expr)
{
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, x->xp);
    const char *r = NULL;
    if (o && o->type == XPATH_NODESET && o->nodesetval && o->nodesetval->nodeNr > 0) {
        xmlChar *s = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
        r = apr_pstrdup(pool, (const char *)s);
        xmlFree(s);
    }
    xmlXPathFreeObject(o);
    return r;
}

/* The ErrorCode of an Autodiscover error answer (HTTP 200), or NULL. */
static const char *error_code(const mh_response *r)
{
    xdoc x;
    if (!r || r->status != 200 || xdoc_open(&x, r) != 0)
        return NULL;
    const char *c = xs(&x, "/a:Autodiscover/a:Response/a:Error/a:ErrorCode");
    xdoc_close(&x);
    return c;
}

static const char *header(const mh_response *r, const char *name)
{
    return r ? apr_table_get(r->headers, name) : NULL;
}

static const char *body_text(const mh_response *r)
{
    return r && r->body ? apr_pstrmemdup(pool, (const char *)r->body, r->body_len) : "";
}

/* Checks a settings answer: the mailbox `u` of `name`/`smtp`, URLs on the
 * external and internal bases. */
static void check_settings(const mh_response *r, const user_facts *u, const char *name,
                           const char *smtp, const char *ext_base, const char *int_base)
{
    REQUIRE(r);
    CHECK_EQ_U(r->status, 200);
    CHECK(header(r, "Content-Type") && strstr(header(r, "Content-Type"), "text/xml"));
    CHECK_STR(header(r, "Cache-Control"), "private, no-store");
    xdoc x;
    REQUIRE(xdoc_open(&x, r) == 0);
    CHECK_STR(xs(&x, "//o:User/o:DisplayName"), name);
    CHECK_STR(xs(&x, "//o:User/o:LegacyDN"), u->dn);
    CHECK_STR(xs(&x, "//o:User/o:AutoDiscoverSMTPAddress"), smtp);
    CHECK_STR(xs(&x, "//o:User/o:DeploymentId"), mh_ad_deployment_id(pool, "Acme"));
    CHECK_STR(xs(&x, "//o:Account/o:AccountType"), "email");
    CHECK_STR(xs(&x, "//o:Account/o:Action"), "settings");
    CHECK_STR(xs(&x, "//o:Account/o:MicrosoftOnline"), "False");
    CHECK_STR(xs(&x, "//o:Account/o:Protocol[@Type='mapiHttp']/@Version"), "1");
    const char *mid = apr_pstrcat(pool, u->mailbox, "@", strchr(smtp, '@') + 1, NULL);
    CHECK_STR(xs(&x, "//o:Protocol[@Type='mapiHttp']/o:MailStore/o:ExternalUrl"),
              apr_pstrcat(pool, ext_base, "/mapi/emsmdb/?MailboxId=", mid, NULL));
    CHECK_STR(xs(&x, "//o:Protocol[@Type='mapiHttp']/o:MailStore/o:InternalUrl"),
              apr_pstrcat(pool, int_base, "/mapi/emsmdb/?MailboxId=", mid, NULL));
    CHECK_STR(xs(&x, "//o:Protocol[@Type='mapiHttp']/o:AddressBook/o:ExternalUrl"),
              apr_pstrcat(pool, ext_base, "/mapi/nspi/?MailboxId=", mid, NULL));
    CHECK_STR(xs(&x, "//o:Protocol[@Type='mapiHttp']/o:AddressBook/o:InternalUrl"),
              apr_pstrcat(pool, int_base, "/mapi/nspi/?MailboxId=", mid, NULL));
    /* no RPC/HTTP */
    CHECK(xs(&x, "//o:Protocol/o:Type") == NULL);
    xdoc_close(&x);
}

#define EXT "https://mail.example.com"
#define INT "https://mail.corp.example:8443"

/* ------------------------------------------------------------ tests */

static void test_own_address(void)
{
    mh_response *r = pox("ada", "ada@example.com");
    check_settings(r, &ada, "Ada Lovelace", "ada@example.com", EXT, INT);
    /* Outlook varies the case of the path */
    r = request(H->port, "POST", "/Autodiscover/Autodiscover.xml", "ada",
                ask_body("ada@example.com"), NULL);
    check_settings(r, &ada, "Ada Lovelace", "ada@example.com", EXT, INT);
    /* and the alias gives the primary address */
    r = pox("ada", "countess@example.org");
    check_settings(r, &ada, "Ada Lovelace", "ada@example.com", EXT, INT);
    /* by legacy DN */
    const char *body = apr_pstrcat(pool, "<Autodiscover xmlns=\"" MH_AD_NS_REQUEST "\"><Request>"
                                   "<LegacyDN>", ada.dn, "</LegacyDN>" SCHEMA_EL
                                   "</Request></Autodiscover>", NULL);
    r = request(H->port, "POST", "/autodiscover/autodiscover.xml", "ada", body, NULL);
    check_settings(r, &ada, "Ada Lovelace", "ada@example.com", EXT, INT);
}

static void test_other_server(void)
{
    /* carol's mailbox is on mbx2.example.net: her URLs name that host,
     * keeping each base URL's port */
    mh_response *r = pox("carol", "carol@example.com");
    check_settings(r, &carol, "Carol", "carol@example.com", "https://mbx2.example.net",
                   "https://mbx2.example.net:8443");
}

/* ada shares her Inbox with bob (Reviewer) through the mailbox endpoint,
 * as Outlook's folder permissions dialog does; rights 0 removes him. */
static int share_inbox_with_bob(uint32_t rights)
{
    mh_client *conn = mh_httpd_client(H, pool, H->port, 0);
    const char *path = apr_pstrcat(pool, "/mapi/emsmdb/?MailboxId=", ada.mailbox,
                                   "@example.com", NULL);
    mh_emsc *em = mh_emsc_create(pool, conn, path, "ada", "secret-ada");
    if (mh_emsc_connect(em, ada.dn) != 0) {
        printf("# Connect failed: %s\n", em->detail ? em->detail : "?");
        return -1;
    }
    mh_rop_batch b;
    mh_rop_batch_init(&b, pool);
    mh_ropc_logon(&b, 0, 0, MH_LOGON_PRIVATE, MH_LOGON_OPEN_DEFAULT, 0, ada.dn);
    mh_exec_result res;
    mh_rd rd;
    mh_ropc_logon_r lr;
    if (mh_emsc_execute(em, pool, &b, &res) != 0)
        return -1;
    mh_exec_reader(&res, 0, &rd);
    if (mh_ropc_logon_parse(&rd, pool, &lr) < 0 || lr.h.rv != 0)
        return -1;
    uint32_t logon = mh_exec_handle(&res, 0);

    /* bob's address book EntryID (MS-OXCDATA 2.2.5.2): Flags, the
     * ProviderUID of the address book, Version 1, Type 0 (a mail user),
     * the X500 DN with its NUL */
    static const unsigned char provider[16] = {0xDC, 0xA7, 0x40, 0xC8, 0xC0, 0x42, 0x10, 0x1A,
                                               0xB4, 0xB9, 0x08, 0x00, 0x2B, 0x2F, 0xE1, 0x82};
    size_t dnl = strlen(bob.dn) + 1;
    unsigned char *e = apr_pcalloc(pool, 28 + dnl);
    memcpy(e + 4, provider, 16);
    e[20] = 1;
    memcpy(e + 28, bob.dn, dnl);
    mh_bin eid = {(uint32_t)(28 + dnl), e};
    mh_propval vals[2];
    memset(vals, 0, sizeof(vals));
    vals[0].tag = MH_TAG(0x0FFF, PT_BINARY); /* PidTagEntryId */
    vals[0].v.bin = eid;
    vals[1].tag = MH_TAG(0x6673, PT_LONG);   /* PidTagMemberRights */
    vals[1].v.i32 = (int32_t)rights;
    /* add (or replace) bob's row; with rights 0 remove it: 0x04 needs
     * PidTagMemberId, so replace the whole table with nothing instead */
    mh_modify_row row = {0x01, vals, 2};
    mh_rop_batch_init(&b, pool);
    mh_rop_batch_set_handle(&b, 0, logon);
    mh_ropc_open_folder(&b, 0, 0, 1, lr.folder_ids[MH_LF_INBOX], 0);
    if (rights)
        mh_ropc_modify_permissions(&b, 0, 1, 0x00, &row, 1, 1252);
    else
        mh_ropc_modify_permissions(&b, 0, 1, 0x01 /* ReplaceRows */, NULL, 0, 1252);
    if (mh_emsc_execute(em, pool, &b, &res) != 0)
        return -1;
    mh_exec_reader(&res, 0, &rd);
    mh_ropc_open_folder_r of;
    mh_ropc_hdr h;
    if (mh_ropc_open_folder_parse(&rd, pool, &of) < 0 || of.h.rv != 0 ||
        mh_ropc_simple_parse(&rd, MH_ROPID_MODIFY_PERMISSIONS, &h) < 0 || h.rv != 0) {
        printf("# OpenFolder/ModifyPermissions failed (0x%08x)\n", (unsigned)h.rv);
        return -1;
    }
    mh_emsc_disconnect(em);
    return 0;
}

static void test_other_user(void)
{
    /* without rights: as if the address did not exist */
    mh_response *denied = pox("bob", "ada@example.com");
    mh_response *unknown = pox("bob", "nobody@example.com");
    CHECK_STR(error_code(denied), "500");
    CHECK_STR(error_code(unknown), "500");
    REQUIRE(denied && unknown);
    CHECK_EQ_U(denied->body_len, unknown->body_len);
    /* with Reviewer rights on her Inbox, granted by ada over MAPI/HTTP */
    REQUIRE(share_inbox_with_bob(FRIGHTS_READ_ANY | FRIGHTS_VISIBLE) == 0);
    mh_response *r = pox("bob", "ada@example.com");
    check_settings(r, &ada, "Ada Lovelace", "ada@example.com", EXT, INT);
    /* carol still may not */
    CHECK_STR(error_code(pox("carol", "ada@example.com")), "500");
    /* and when ada takes it back, bob may not either */
    REQUIRE(share_inbox_with_bob(0) == 0);
    CHECK_STR(error_code(pox("bob", "ada@example.com")), "500");
}

static void test_errors(void)
{
    mh_response *r = pox("ada", "nobody@example.com");
    CHECK_STR(error_code(r), "500");
    /* malformed */
    r = request(H->port, "POST", "/autodiscover/autodiscover.xml", "ada", "<Autodiscover", NULL);
    CHECK_STR(error_code(r), "600");
    r = request(H->port, "POST", "/autodiscover/autodiscover.xml", "ada",
                "<Autodiscover xmlns=\"urn:wrong\"><Request><EMailAddress>ada@example.com"
                "</EMailAddress>" SCHEMA_EL "</Request></Autodiscover>", NULL);
    CHECK_STR(error_code(r), "600");
    r = request(H->port, "POST", "/autodiscover/autodiscover.xml", "ada", NULL, NULL);
    CHECK_STR(error_code(r), "600");
    /* a schema we do not offer */
    r = request(H->port, "POST", "/autodiscover/autodiscover.xml", "ada",
                "<Autodiscover xmlns=\"" MH_AD_NS_REQUEST "\"><Request><EMailAddress>"
                "ada@example.com</EMailAddress><AcceptableResponseSchema>http://schemas."
                "microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"
                "</AcceptableResponseSchema></Request></Autodiscover>", NULL);
    CHECK_STR(error_code(r), "601");
    /* GET: what Exchange answers a browser */
    r = request(H->port, "GET", "/autodiscover/autodiscover.xml", "ada", NULL, NULL);
    CHECK_STR(error_code(r), "600");
    r = request(H->port, "PUT", "/autodiscover/autodiscover.xml", "ada", "x", NULL);
    REQUIRE(r);
    CHECK_EQ_U(r->status, 405);
    CHECK(header(r, "Allow") && strstr(header(r, "Allow"), "POST"));
}

/* An external entity naming a local file is refused; nothing of the file
 * comes back. */
static void test_xxe(void)
{
    const char *body =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE Autodiscover [\n"
        "<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
        "<Autodiscover xmlns=\"" MH_AD_NS_REQUEST "\"><Request>"
        "<EMailAddress>&xxe;</EMailAddress>" SCHEMA_EL "</Request></Autodiscover>";
    mh_response *r = request(H->port, "POST", "/autodiscover/autodiscover.xml", "ada", body,
                             NULL);
    CHECK_STR(error_code(r), "600");
    CHECK(!strstr(body_text(r), "root:"));
    /* a billion laughs */
    body = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY l \"lol\"><!ENTITY l1 \"&l;&l;&l;&l;"
           "&l;&l;&l;&l;\"><!ENTITY l2 \"&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;\"><!ENTITY l3 "
           "\"&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;\">]><Autodiscover xmlns=\"" MH_AD_NS_REQUEST
           "\"><Request><EMailAddress>&l3;</EMailAddress>" SCHEMA_EL
           "</Request></Autodiscover>";
    r = request(H->port, "POST", "/autodiscover/autodiscover.xml", "ada", body, NULL);
    CHECK_STR(error_code(r), "600");
}

static void test_oversize(void)
{
    /* announced too large: 413 without reading it, and the connection
     * closes */
    size_t n = MH_AD_MAX_REQUEST + 100;
    char *big = apr_palloc(pool, n + 1);
    memset(big, ' ', n);
    big[n] = 0;
    memcpy(big, ask_body("ada@example.com"), strlen(ask_body("ada@example.com")));
    mh_response *r = request(H->port, "POST", "/autodiscover/autodiscover.xml", "ada", big,
                             NULL);
    REQUIRE(r);
    CHECK_EQ_U(r->status, 413);
    CHECK(r->closed);
    /* chunked, without a length: read up to the limit, then 413 */
    mh_client *c = mh_httpd_client(H, pool, H->port, 0);
    const char *head = apr_pstrcat(pool, "POST /autodiscover/autodiscover.xml HTTP/1.1\r\n"
                                   "Host: 127.0.0.1\r\nAuthorization: ", basic("ada", "secret-ada"),
                                   "\r\nContent-Type: text/xml\r\n"
                                   "Transfer-Encoding: chunked\r\n\r\n", NULL);
    const char *chunk = apr_psprintf(pool, "%x\r\n%s\r\n", (unsigned)n, big);
    REQUIRE(mh_client_send_raw(c, head, strlen(head)) == APR_SUCCESS);
    REQUIRE(mh_client_send_raw(c, chunk, strlen(chunk)) == APR_SUCCESS);
    (void)mh_client_send_raw(c, "0\r\n\r\n", 5);
    REQUIRE(mh_client_read_response(c, pool, 0, &r) == APR_SUCCESS);
    CHECK_EQ_U(r->status, 413);
    /* exactly at the limit is fine */
    big[MH_AD_MAX_REQUEST] = 0;
    r = request(H->port, "POST", "/autodiscover/autodiscover.xml", "ada", big, NULL);
    check_settings(r, &ada, "Ada Lovelace", "ada@example.com", EXT, INT);
}

static void test_redirects(void)
{
    /* partner.example is served by another Autodiscover server: 302 */
    mh_response *r = pox("ada", "someone@partner.example");
    REQUIRE(r);
    CHECK_EQ_U(r->status, 302);
    CHECK_STR(header(r, "Location"), "https://autodiscover.partner.example/autodiscover/"
                                     "autodiscover.xml");
    /* old.example moved to example.com */
    r = pox("ada", "ada@old.example");
    xdoc x;
    REQUIRE(r && r->status == 200 && xdoc_open(&x, r) == 0);
    CHECK_STR(xs(&x, "/a:Autodiscover/o:Response/o:Account/o:Action"), "redirectAddr");
    CHECK_STR(xs(&x, "/a:Autodiscover/o:Response/o:Account/o:RedirectAddr"), "ada@example.com");
    xdoc_close(&x);
    /* ... and the address it names gives the settings */
    check_settings(pox("ada", "ada@example.com"), &ada, "Ada Lovelace", "ada@example.com", EXT,
                   INT);
}

static void test_json(void)
{
    mh_response *r = request(H->port, "GET", "/autodiscover/autodiscover.json/v1.0/"
                             "ada@example.com?Protocol=AutodiscoverV1", "ada", NULL, NULL);
    REQUIRE(r);
    CHECK_EQ_U(r->status, 200);
    CHECK(header(r, "Content-Type") && strstr(header(r, "Content-Type"), "application/json"));
    CHECK_STR(body_text(r), "{\"Protocol\":\"AutodiscoverV1\",\"Url\":\"" EXT
                            "/autodiscover/autodiscover.xml\"}");
    r = request(H->port, "GET", "/autodiscover/autodiscover.json/v1.0/ada%40example.com"
                "?Protocol=Emsmdb", "ada", NULL, NULL);
    REQUIRE(r);
    CHECK_STR(body_text(r), apr_pstrcat(pool, "{\"Protocol\":\"Emsmdb\",\"Url\":\"" EXT
                                        "/mapi/emsmdb/?MailboxId=", ada.mailbox,
                                        "@example.com\"}", NULL));
    r = request(H->port, "GET", "/Autodiscover/Autodiscover.json?Email=carol%40example.com"
                "&Protocol=Nspi&RedirectCount=1", "carol", NULL, NULL);
    REQUIRE(r);
    CHECK_STR(body_text(r), apr_pstrcat(pool, "{\"Protocol\":\"Nspi\",\"Url\":\"https://"
                                        "mbx2.example.net/mapi/nspi/?MailboxId=", carol.mailbox,
                                        "@example.com\"}", NULL));
    r = request(H->port, "GET", "/autodiscover/autodiscover.json/v1.0/ada@example.com"
                "?Protocol=Emsmdb", "bob", NULL, NULL);
    REQUIRE(r);
    CHECK_EQ_U(r->status, 404);
    r = request(H->port, "GET", "/autodiscover/autodiscover.json/v1.0/ada@example.com"
                "?Protocol=Rest", "ada", NULL, NULL);
    REQUIRE(r);
    CHECK_EQ_U(r->status, 400);
    CHECK(strstr(body_text(r), "InvalidProtocol") != NULL);
    /* without authentication configured: the server's own URL, for anyone */
    r = request(H->noauth_port, "GET", "/autodiscover/autodiscover.json/v1.0/"
                "ada@example.com?Protocol=AutodiscoverV1", NULL, NULL, NULL);
    REQUIRE(r);
    CHECK_EQ_U(r->status, 200);
    CHECK_STR(body_text(r), apr_psprintf(pool, "{\"Protocol\":\"AutodiscoverV1\",\"Url\":"
                                         "\"http://127.0.0.1:%d/autodiscover/autodiscover.xml\"}",
                                         H->noauth_port));
}

static void test_unauthenticated(void)
{
    /* authentication configured: httpd's challenge */
    mh_response *r = pox(NULL, "ada@example.com");
    REQUIRE(r);
    CHECK_EQ_U(r->status, 401);
    CHECK(header(r, "WWW-Authenticate") && strstr(header(r, "WWW-Authenticate"), "Basic"));
    r = request(H->port, "POST", "/autodiscover/autodiscover.xml", NULL, ask_body("x@y.z"),
                apr_table_make(pool, 1));
    REQUIRE(r);
    CHECK_EQ_U(r->status, 401);
    /* none configured: nothing but the JSON AutodiscoverV1 answer */
    r = request(H->noauth_port, "POST", "/autodiscover/autodiscover.xml", NULL,
                ask_body("ada@example.com"), NULL);
    REQUIRE(r);
    CHECK_EQ_U(r->status, 403);
    CHECK(!strstr(body_text(r), ada.mailbox));
    r = request(H->noauth_port, "GET", "/autodiscover/autodiscover.json/v1.0/ada@example.com"
                "?Protocol=Emsmdb", NULL, NULL, NULL);
    REQUIRE(r);
    CHECK_EQ_U(r->status, 403);
    CHECK(!strstr(body_text(r), ada.mailbox));
}

static int admin(const char *args, const char **out_r);
static const char *field(const char *out, const char *name);

/* mapihttp-admin gives new users the legacy DNs the server derives: its
 * defaults are the module's, and it reads the directives from --conf. */
static void test_admin_legacy_dn(void)
{
    CHECK_STR(ada.dn, mh_legacy_dn_make(pool, NULL, NULL, "ada"));
    const char *out;
    REQUIRE(admin("user add gina --no-mailbox --org Acme --legacy-dn-scheme "
                  "'/o=%o/ou=Users/cn=%u'", NULL) == 0);
    REQUIRE(admin("user show gina", &out) == 0);
    CHECK_STR(field(out, "legacy DN:"), mh_legacy_dn_make(pool, "/o=%o/ou=Users/cn=%u", "Acme",
                                                          "gina"));
    CHECK_STR(field(out, "legacy DN:"), "/o=Acme/ou=Users/cn=gina");
    const char *conf = apr_pstrcat(pool, H->root, "/admin.conf", NULL);
    FILE *f = fopen(conf, "w");
    REQUIRE(f);
    fputs("MapiHttpOrganization \"Acme Corp\"\n"
          "<VirtualHost *:443>\n  MapiHttpOrganization Other\n</VirtualHost>\n", f);
    fclose(f);
    REQUIRE(admin(apr_pstrcat(pool, "--conf ", conf, " user add hal --no-mailbox", NULL),
                  NULL) == 0);
    REQUIRE(admin("user show hal", &out) == 0);
    CHECK_STR(field(out, "legacy DN:"), mh_legacy_dn_make(pool, NULL, "Acme Corp", "hal"));
    /* what the module refuses, the tool refuses */
    CHECK(mh_httpd_admin(H, "user add ivy --no-mailbox --org 'A/B'", &out) != 0);
    CHECK(out && strstr(out, "organization 'A/B'"));
    CHECK(mh_httpd_admin(H, "user add ivy --no-mailbox --legacy-dn-scheme /o=%o", &out) != 0);
    CHECK(out && strstr(out, "%u"));
}

static void test_log(void)
{
    const char *log = mh_httpd_read_file(H, H->error_log);
    CHECK(strstr(log, "MH01600: Autodiscover user=ada address=ada@example.com outcome=settings "
                      "status=200") != NULL);
    CHECK(strstr(log, "MH01600: Autodiscover user=bob address=ada@example.com outcome=error 500 "
                      "status=200") != NULL);
    CHECK(strstr(log, "holds no rights in the mailbox") != NULL);
    const char *access = mh_httpd_read_file(H, H->access_log);
    CHECK(strstr(access, "POST /autodiscover/autodiscover.xml HTTP/1.1\" 200 Autodiscover") !=
          NULL);
    CHECK_EQ_U(mh_httpd_check_log(H), 0);
}

/* ------------------------------------------------------- --config */

static void expect_refusal(const char *where, const char *conf, const char *must_say)
{
    mh_httpd *h = mh_httpd_create(pool, "event");
    REQUIRE(h);
    if (strcmp(where, "server") == 0)
        h->server_conf = conf;
    else
        h->location_conf = conf;
    CHECK(mh_httpd_refuses(h, must_say) == 0);
    mh_httpd_destroy(h);
}

static void test_bad_directive_values(void)
{
    expect_refusal("server", "MapiHttpExternalUrl mail.example.com\n",
                   "MapiHttpExternalUrl: 'mail.example.com' is not allowed: give an absolute "
                   "http:// or https:// URL");
    expect_refusal("server", "MapiHttpExternalUrl https://mail.example.com/mapi\n",
                   "MapiHttpExternalUrl: 'https://mail.example.com/mapi' is not allowed: give "
                   "the server's base URL without a path");
    expect_refusal("server", "MapiHttpInternalUrl https://mail.example.com:99999\n",
                   "MapiHttpInternalUrl: 'https://mail.example.com:99999' is not allowed");
    expect_refusal("server", "MapiHttpOrganization \"A/B\"\n",
                   "MapiHttpOrganization: 'A/B' is not allowed");
    expect_refusal("server", "MapiHttpLegacyDNScheme /o=%o/cn=fixed\n",
                   "MapiHttpLegacyDNScheme: '/o=%o/cn=fixed' is not allowed: the scheme must "
                   "hold %u");
    expect_refusal("server", "MapiHttpLegacyDNScheme cn=%u\n", "must begin with /o=");
    expect_refusal("server", "MapiHttpAutodiscoverRedirect old.example new.example\n",
                   "MapiHttpAutodiscoverRedirect old.example new.example: give the target as "
                   "@DOMAIN");
    expect_refusal("server", "MapiHttpAutodiscoverRedirect bad_domain @new.example\n",
                   "'bad_domain' is not a domain name");
    expect_refusal("server", "MapiHttpAutodiscoverRedirect a.example @b.example\n"
                             "MapiHttpAutodiscoverRedirect A.example @c.example\n",
                   "domain a.example is redirected twice");
    expect_refusal("server", "MapiHttpAutodiscoverRedirect a.example\n",
                   "MapiHttpAutodiscoverRedirect takes two arguments");
    expect_refusal("location", "MapiHttpExternalUrl https://mail.example.com\n",
                   "MapiHttpExternalUrl not allowed in <Location> context");
}

/* ------------------------------------------------------------- main */

static int admin(const char *args, const char **out_r)
{
    const char *out = NULL;
    int rc = mh_httpd_admin(H, args, &out);
    if (rc != 0)
        printf("# mapihttp-admin %s failed:\n%s\n", args, out ? out : "");
    if (out_r)
        *out_r = out;
    return rc;
}

/* A field of `user show` ("mailbox:      ..."). */
static const char *field(const char *out, const char *name)
{
    const char *p = strstr(out, name);
    if (!p)
        return NULL;
    p += strlen(name);
    while (*p == ' ')
        p++;
    return apr_pstrmemdup(pool, p, strcspn(p, "\n"));
}

static int facts(const char *login, user_facts *u)
{
    const char *out;
    if (admin(apr_pstrcat(pool, "user show ", login, NULL), &out) != 0)
        return -1;
    u->mailbox = field(out, "mailbox:");
    u->dn = field(out, "legacy DN:");
    return u->mailbox && u->dn && strlen(u->mailbox) == 36 ? 0 : -1;
}

static int make_store(void)
{
    static const char *const steps[] = {
        "init",
        "user add ada --name 'Ada Lovelace' --email ada@example.com "
        "--alias countess@example.org --password secret-ada",
        "user add bob --name Bob --email bob@example.com --password secret-bob",
        "user add carol --name Carol --email carol@example.com --server mbx2.example.net "
        "--password secret-carol",
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        if (admin(steps[i], NULL) != 0)
            return -1;
    return facts("ada", &ada) || facts("bob", &bob) || facts("carol", &carol) ? -1 : 0;
}

static const char *autodiscover_location(int auth)
{
    return apr_psprintf(pool,
                        "  <LocationMatch \"(?i)^/autodiscover/\">\n"
                        "    MapiHttp On\n%s"
                        "  </LocationMatch>\n",
                        auth ? "    AuthType Basic\n    AuthName \"MAPI test\"\n"
                               "    AuthBasicProvider lmdb\n    Require valid-user\n"
                             : "");
}

int main(int argc, char **argv)
{
    MH_TEST_INIT();
    signal(SIGPIPE, SIG_IGN);
    apr_pool_create(&root_pool, NULL);
    pool = root_pool;
    xmlInitParser();
    const char *mpm = "event";
    int config = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mpm") == 0 && i + 1 < argc)
            mpm = argv[++i];
        else if (strcmp(argv[i], "--config") == 0)
            config = 1;
    }
    if (config) {
        TEST(test_bad_directive_values);
        return MH_TEST_DONE();
    }
    H = mh_httpd_create(pool, mpm);
    if (!H || make_store() != 0) {
        printf("not ok - could not prepare the server\n");
        mh_httpd_destroy(H);
        return 1;
    }
    H->server_conf = apr_pstrcat(
        pool, mh_httpd_lmdb_conf(H),
        "MapiHttpAutodiscoverRedirect partner.example "
        "https://autodiscover.partner.example/autodiscover/autodiscover.xml\n"
        "MapiHttpAutodiscoverRedirect old.example @example.com\n", NULL);
    H->auth_provider = "lmdb";
    H->vhost_conf = apr_pstrcat(pool, "  MapiHttpExternalUrl " EXT "/\n"
                                      "  MapiHttpInternalUrl " INT "\n"
                                      "  MapiHttpOrganization Acme\n",
                                autodiscover_location(1), NULL);
    H->noauth_vhost_conf = autodiscover_location(0);
    /* mod_auth_basic notes the requests without credentials */
    mh_httpd_expect(H, "AH01614");
    if (mh_httpd_start(H) != 0) {
        printf("not ok - httpd did not start\n");
        mh_httpd_destroy(H);
        return 1;
    }
    TEST(test_own_address);
    TEST(test_other_server);
    TEST(test_other_user);
    TEST(test_errors);
    TEST(test_xxe);
    TEST(test_oversize);
    TEST(test_redirects);
    TEST(test_json);
    TEST(test_unauthenticated);
    TEST(test_admin_legacy_dn);
    TEST(test_log);
    mh_httpd_destroy(H);
    return MH_TEST_DONE();
}
