/*
 * test_autodiscover.c - Autodiscover (mh_autodiscover.h): the request
 * parser against the MS-OXDSCLI and POX reference requests and against
 * malformed and hostile XML; the response builders against the examples of
 * MS-OXDSCLI section 4 (4.2 redirect, 4.4 mapiHttp settings), read back
 * with libxml2; the directive checks; the legacy DN scheme; and
 * mh_ad_serve() on an LMDB store: own address, alias, LegacyDN, another
 * user's mailbox without and with rights (own entry, a group, Default,
 * free/busy only), a mailbox on another server, redirect domains, the
 * JSON form, disabled and unknown users, no backend.
 */
#include "mh_autodiscover.h"
#include "mh_legacydn.h"
#include "mh_log.h"
#include "mh_provision.h"
#include "mh_tool.h"
#include "mh_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

static apr_pool_t *pool;

/* ------------------------------------------------ reading XML back */

typedef struct xdoc {
    xmlDocPtr doc;
    xmlXPathContextPtr xp;
} xdoc;

static int xdoc_open(xdoc *x, const char *text, size_t len)
{
    x->doc = xmlReadMemory(text, (int)len, "t.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                                              XML_PARSE_NOWARNING);
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
    memset(x, 0, sizeof(*x));
}

/* The string value of an XPath expression (NULL when it selects nothing). */
static const char *xs(xdoc *x, const char *expr)
{
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, x->xp);
    const char *r = NULL;
    if (o && o->type == XPATH_NODESET && o->nodesetval && o->nodesetval->nodeNr > 0) {
        xmlChar *s = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
        r = apr_pstrdup(pool, (const char *)s);
        xmlFree(s);
    } else if (o && o->type == XPATH_STRING) {
        r = apr_pstrdup(pool, (const char *)o->stringval);
    }
    xmlXPathFreeObject(o);
    return r;
}

static int xcount(xdoc *x, const char *expr)
{
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, x->xp);
    int n = o && o->type == XPATH_NODESET && o->nodesetval ? o->nodesetval->nodeNr : -1;
    xmlXPathFreeObject(o);
    return n;
}

/* ------------------------------------------------------ test vectors */

/* MS-OXDSCLI 4.1 / the digest's request (http:// namespaces). */
static const char spec_request[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/"
    "requestschema/2006\">\n"
    "  <Request>\n"
    "    <EMailAddress>user@contoso.com</EMailAddress>\n"
    "    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/"
    "outlook/responseschema/2006a</AcceptableResponseSchema>\n"
    "  </Request>\n"
    "</Autodiscover>\n";

/* The POX reference's request example, as printed there (https://). */
static const char pox_reference_request[] =
    "<Autodiscover xmlns=\"https://schemas.microsoft.com/exchange/autodiscover/outlook/"
    "requestschema/2006\">\n"
    "<Request>\n"
    "<EMailAddress>user@contoso.com</EMailAddress>\n"
    "<AcceptableResponseSchema>https://schemas.microsoft.com/exchange/autodiscover/outlook/"
    "responseschema/2006a</AcceptableResponseSchema>\n"
    "</Request>\n"
    "</Autodiscover>\n";

/* MS-OXDSCLI 4.4 MapiHttp Response, up to its mapiHttp Protocol element
 * (the WEB Protocol block after it is left out). */
static const char spec_mapihttp_response[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/responseschema/"
    "2006\">\n"
    "  <Response xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/"
    "responseschema/2006a\">\n"
    "    <User>\n"
    "      <DisplayName>User Display Name</DisplayName>\n"
    "      <LegacyDN>/o=microsoft/ou=Contoso/cn=Recipients/cn=486021</LegacyDN>\n"
    "      <AutoDiscoverSMTPAddress>user@Contoso.com</AutoDiscoverSMTPAddress>\n"
    "      <DeploymentId>30c3a927-42aa-5de8-91e3-8e5b4655ed00</DeploymentId>\n"
    "    </User>\n"
    "    <Account>\n"
    "      <AccountType>email</AccountType>\n"
    "      <Action>settings</Action>\n"
    "      <Protocol Type=\"mapiHttp\" Version=\"1\">\n"
    "        <MailStore>\n"
    "          <InternalUrl>https://mail.Contoso.com/mapi/emsmdb/?MailboxId=416c6368-656d-794a-"
    "6f45-57615272456e@Contoso.com</InternalUrl>\n"
    "        </MailStore>\n"
    "        <AddressBook>\n"
    "          <InternalUrl>https://mail.Contoso.com/mapi/nspi/?MailboxId=416c6368-656d-794a-"
    "6f45-57615272456e@Contoso.com</InternalUrl>\n"
    "        </AddressBook>\n"
    "      </Protocol>\n"
    "    </Account>\n"
    "  </Response>\n"
    "</Autodiscover>\n";

/* MS-OXDSCLI 4.2 Autodiscover Redirect Response */
static const char spec_redirect_response[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/responseschema/"
    "2006\">\n"
    "  <Response xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/"
    "responseschema/2006a\">\n"
    "    <Account>\n"
    "      <Action>redirectAddr</Action>\n"
    "      <RedirectAddr>user@subdomain.contoso.com</RedirectAddr>\n"
    "    </Account>\n"
    "  </Response>\n"
    "</Autodiscover>\n";

static const char *request_for(const char *inner)
{
    return apr_pstrcat(pool, "<?xml version=\"1.0\"?><Autodiscover xmlns=\"" MH_AD_NS_REQUEST
                             "\"><Request>", inner, "</Request></Autodiscover>", NULL);
}

#define SCHEMA_EL "<AcceptableResponseSchema>" MH_AD_NS_OUTLOOK "</AcceptableResponseSchema>"

static int parse(const char *text, mh_ad_request *req, const char **why)
{
    return mh_ad_parse_request(text, strlen(text), pool, req, why);
}

/* --------------------------------------------------------- the parser */

static void test_paths(void)
{
    CHECK_EQ_U(mh_ad_endpoint_from_path("/autodiscover/autodiscover.xml"), MH_AD_EP_POX);
    CHECK_EQ_U(mh_ad_endpoint_from_path("/Autodiscover/Autodiscover.xml"), MH_AD_EP_POX);
    CHECK_EQ_U(mh_ad_endpoint_from_path("/AUTODISCOVER/AUTODISCOVER.XML"), MH_AD_EP_POX);
    CHECK_EQ_U(mh_ad_endpoint_from_path("/autodiscover/autodiscover.xml/"), MH_AD_EP_NONE);
    CHECK_EQ_U(mh_ad_endpoint_from_path("/autodiscover/autodiscover.xmlx"), MH_AD_EP_NONE);
    CHECK_EQ_U(mh_ad_endpoint_from_path("/autodiscover/autodiscover.json"), MH_AD_EP_JSON);
    CHECK_EQ_U(mh_ad_endpoint_from_path("/autodiscover/autodiscover.json/v1.0/a@b.c"),
               MH_AD_EP_JSON);
    CHECK_EQ_U(mh_ad_endpoint_from_path("/autodiscover/autodiscover.jsonx"), MH_AD_EP_NONE);
    CHECK_EQ_U(mh_ad_endpoint_from_path("/mapi/emsmdb"), MH_AD_EP_NONE);
    CHECK_EQ_U(mh_ad_endpoint_from_path(NULL), MH_AD_EP_NONE);
}

static void test_parse_spec_requests(void)
{
    mh_ad_request req;
    const char *why;
    CHECK_EQ_U(parse(spec_request, &req, &why), MH_AD_OK);
    CHECK_STR(req.email, "user@contoso.com");
    CHECK(req.legacy_dn == NULL);
    CHECK_STR(req.schema, MH_AD_NS_OUTLOOK);
    /* the https:// spelling of the POX reference pages */
    CHECK_EQ_U(parse(pox_reference_request, &req, &why), MH_AD_OK);
    CHECK_STR(req.email, "user@contoso.com");
    /* LegacyDN and EMailAddress both: both kept (the caller prefers the DN) */
    CHECK_EQ_U(parse(request_for("<EMailAddress> a@b.example </EMailAddress>"
                                 "<LegacyDN>\n/o=X/ou=Y/cn=Recipients/cn=a\n</LegacyDN>"
                                 SCHEMA_EL), &req, &why), MH_AD_OK);
    CHECK_STR(req.email, "a@b.example");
    CHECK_STR(req.legacy_dn, "/o=X/ou=Y/cn=Recipients/cn=a");
    /* comments, CDATA and character references are text like any other */
    CHECK_EQ_U(parse(request_for("<EMailAddress><!-- x --><![CDATA[a]]>&#64;b.example"
                                 "</EMailAddress>" SCHEMA_EL), &req, &why), MH_AD_OK);
    CHECK_STR(req.email, "a@b.example");
    /* elements of other namespaces are not ours to judge */
    CHECK_EQ_U(parse(request_for("<x:Extra xmlns:x=\"urn:x\">1</x:Extra>"
                                 "<EMailAddress>a@b.example</EMailAddress>" SCHEMA_EL),
                     &req, &why), MH_AD_OK);
    /* a UTF-16 document with its byte order mark */
    const char *u8 = spec_request;
    size_t n = strlen(u8);
    unsigned char *u16 = apr_palloc(pool, 2 * n + 2);
    u16[0] = 0xFF;
    u16[1] = 0xFE;
    for (size_t i = 0; i < n; i++) {
        u16[2 + 2 * i] = (unsigned char)u8[i];
        u16[3 + 2 * i] = 0;
    }
    /* its declaration says utf-8: libxml2 believes the BOM or refuses;
     * either way no crash and no wrong address */
    int rc = mh_ad_parse_request(u16, 2 * n + 2, pool, &req, &why);
    CHECK(rc == MH_AD_E_INVALID || (rc == MH_AD_OK && strcmp(req.email, "user@contoso.com") == 0));
}

static void expect_invalid(const char *text, const char *why_has)
{
    mh_ad_request req;
    const char *why = NULL;
    int rc = mh_ad_parse_request(text, strlen(text), pool, &req, &why);
    CHECK_EQ_U(rc, MH_AD_E_INVALID);
    if (why_has && (!why || !strstr(why, why_has))) {
        printf("# expected a reason with \"%s\", got \"%s\"\n", why_has, why ? why : "(none)");
        CHECK(0);
    }
}

static void test_parse_malformed(void)
{
    mh_ad_request req;
    const char *why;
    CHECK_EQ_U(mh_ad_parse_request("", 0, pool, &req, &why), MH_AD_E_INVALID);
    CHECK_EQ_U(mh_ad_parse_request(NULL, 5, pool, &req, &why), MH_AD_E_INVALID);
    expect_invalid("not xml at all", "not well-formed");
    expect_invalid("<Autodiscover xmlns=\"" MH_AD_NS_REQUEST "\"><Request>", "not well-formed");
    /* the wrong namespace, none, the wrong root */
    expect_invalid("<Autodiscover xmlns=\"urn:wrong\"><Request><EMailAddress>a@b.c"
                   "</EMailAddress>" SCHEMA_EL "</Request></Autodiscover>", "namespace");
    expect_invalid("<Autodiscover><Request><EMailAddress>a@b.c</EMailAddress>" SCHEMA_EL
                   "</Request></Autodiscover>", "namespace");
    expect_invalid("<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/"
                   "mobilesync/requestschema/2006\"><Request><EMailAddress>a@b.c</EMailAddress>"
                   SCHEMA_EL "</Request></Autodiscover>", "namespace");
    expect_invalid("<Discover xmlns=\"" MH_AD_NS_REQUEST "\"/>", "root element");
    /* structure */
    expect_invalid("<Autodiscover xmlns=\"" MH_AD_NS_REQUEST "\"/>", "no Request");
    expect_invalid(apr_pstrcat(pool, "<Autodiscover xmlns=\"" MH_AD_NS_REQUEST "\"><Request>"
                               "<EMailAddress>a@b.c</EMailAddress>" SCHEMA_EL "</Request>"
                               "<Request><EMailAddress>a@b.c</EMailAddress>" SCHEMA_EL
                               "</Request></Autodiscover>", NULL), "more than one Request");
    expect_invalid(request_for("<EMailAddress>a@b.c</EMailAddress><EMailAddress>d@b.c"
                               "</EMailAddress>" SCHEMA_EL), "twice");
    expect_invalid(request_for("<EMailAddress><b>a@b.c</b></EMailAddress>" SCHEMA_EL),
                   "holds elements");
    expect_invalid(request_for("stray<EMailAddress>a@b.c</EMailAddress>" SCHEMA_EL),
                   "text directly");
    expect_invalid(request_for("<EMailAddress>a@b.c</EMailAddress>"), "AcceptableResponseSchema");
    expect_invalid(request_for(SCHEMA_EL), "neither EMailAddress nor LegacyDN");
    expect_invalid(request_for("<EMailAddress>   </EMailAddress>" SCHEMA_EL),
                   "neither EMailAddress nor LegacyDN");
    /* values */
    expect_invalid(request_for("<EMailAddress>no-at-sign</EMailAddress>" SCHEMA_EL),
                   "not an e-mail address");
    expect_invalid(request_for("<EMailAddress>a@b@c</EMailAddress>" SCHEMA_EL),
                   "not an e-mail address");
    expect_invalid(request_for("<EMailAddress>a b@c.d</EMailAddress>" SCHEMA_EL),
                   "not an e-mail address");
    expect_invalid(request_for("<EMailAddress>a@-c.d</EMailAddress>" SCHEMA_EL),
                   "not an e-mail address");
    expect_invalid(request_for("<LegacyDN>no-slash</LegacyDN>" SCHEMA_EL), "LegacyDN");
    expect_invalid(request_for("<LegacyDN>/o=\xc3\xa9</LegacyDN>" SCHEMA_EL), "LegacyDN");
    /* an undefined entity is not well-formed */
    expect_invalid(request_for("<EMailAddress>&xxe;</EMailAddress>" SCHEMA_EL), NULL);
    /* too large, however well-formed */
    char *big = apr_palloc(pool, MH_AD_MAX_REQUEST + 2);
    memset(big, ' ', MH_AD_MAX_REQUEST + 1);
    memcpy(big, spec_request, strlen(spec_request));
    CHECK_EQ_U(mh_ad_parse_request(big, MH_AD_MAX_REQUEST + 1, pool, &req, &why),
               MH_AD_E_INVALID);
    CHECK(why && strstr(why, "too large"));
    CHECK_EQ_U(mh_ad_parse_request(big, MH_AD_MAX_REQUEST, pool, &req, &why), MH_AD_OK);
}

static void test_parse_schema(void)
{
    mh_ad_request req;
    const char *why;
    CHECK_EQ_U(parse(request_for("<EMailAddress>a@b.c</EMailAddress><AcceptableResponseSchema>"
                                 "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/"
                                 "responseschema/2006</AcceptableResponseSchema>"), &req, &why),
               MH_AD_E_SCHEMA);
    CHECK(why && strstr(why, "mobilesync"));
    CHECK_EQ_U(parse(request_for("<EMailAddress>a@b.c</EMailAddress><AcceptableResponseSchema>"
                                 "urn:other</AcceptableResponseSchema>"), &req, &why),
               MH_AD_E_SCHEMA);
    /* malformed beats a wrong schema */
    CHECK_EQ_U(parse(request_for("<AcceptableResponseSchema>urn:other"
                                 "</AcceptableResponseSchema>"), &req, &why),
               MH_AD_E_INVALID);
}

/* XML attacks: refused before anything in a DTD is read. */
static void test_parse_attacks(void)
{
    /* external entity (XXE) */
    expect_invalid("<?xml version=\"1.0\"?>\n<!DOCTYPE Autodiscover [\n"
                   "<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
                   "<Autodiscover xmlns=\"" MH_AD_NS_REQUEST "\"><Request>"
                   "<EMailAddress>&xxe;</EMailAddress>" SCHEMA_EL
                   "</Request></Autodiscover>", "DOCTYPE");
    /* a network DTD */
    expect_invalid("<!DOCTYPE Autodiscover SYSTEM \"http://127.0.0.1:1/x.dtd\">"
                   "<Autodiscover xmlns=\"" MH_AD_NS_REQUEST "\"/>", "DOCTYPE");
    /* parameter entities */
    expect_invalid("<!DOCTYPE a [<!ENTITY % p SYSTEM \"http://127.0.0.1:1/p\"> %p;]><a/>",
                   "DOCTYPE");
    /* an entity expansion bomb ("billion laughs"): refused at once */
    const char *bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">";
    for (int i = 1; i <= 9; i++)
        bomb = apr_psprintf(pool, "%s<!ENTITY lol%d \"%s\">", bomb, i,
                            apr_psprintf(pool, "&lol%s;&lol%s;&lol%s;&lol%s;&lol%s;&lol%s;"
                                         "&lol%s;&lol%s;&lol%s;&lol%s;",
                                         i > 1 ? apr_itoa(pool, i - 1) : "",
                                         i > 1 ? apr_itoa(pool, i - 1) : "",
                                         i > 1 ? apr_itoa(pool, i - 1) : "",
                                         i > 1 ? apr_itoa(pool, i - 1) : "",
                                         i > 1 ? apr_itoa(pool, i - 1) : "",
                                         i > 1 ? apr_itoa(pool, i - 1) : "",
                                         i > 1 ? apr_itoa(pool, i - 1) : "",
                                         i > 1 ? apr_itoa(pool, i - 1) : "",
                                         i > 1 ? apr_itoa(pool, i - 1) : "",
                                         i > 1 ? apr_itoa(pool, i - 1) : ""));
    bomb = apr_pstrcat(pool, bomb, "]><Autodiscover xmlns=\"" MH_AD_NS_REQUEST "\"><Request>"
                       "<EMailAddress>&lol9;</EMailAddress>" SCHEMA_EL
                       "</Request></Autodiscover>", NULL);
    clock_t t0 = clock();
    expect_invalid(bomb, "DOCTYPE");
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
    /* quadratic blowup without a DTD is impossible; deep nesting is bounded */
    const char *deep = "";
    for (int i = 0; i < 5000; i++)
        deep = apr_pstrcat(pool, deep, "<x>", NULL);
    expect_invalid(apr_pstrcat(pool, "<Autodiscover xmlns=\"" MH_AD_NS_REQUEST "\">", deep,
                               NULL), NULL);
    /* XInclude is not processed: the element is foreign and ignored */
    mh_ad_request req;
    const char *why;
    CHECK_EQ_U(parse(request_for("<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" "
                                 "href=\"file:///etc/passwd\"/><EMailAddress>a@b.c"
                                 "</EMailAddress>" SCHEMA_EL), &req, &why), MH_AD_OK);
    CHECK_STR(req.email, "a@b.c");
}

/* ----------------------------------------------------------- builders */

/* Our settings body, built from the values of the MS-OXDSCLI 4.4 example,
 * says what the example says wherever both have an element. */
static void test_settings_vs_spec_example(void)
{
    xdoc spec, ours;
    REQUIRE(xdoc_open(&spec, spec_mapihttp_response, strlen(spec_mapihttp_response)) == 0);
    mh_ad_settings s;
    memset(&s, 0, sizeof(s));
    s.display_name = xs(&spec, "/a:Autodiscover/o:Response/o:User/o:DisplayName");
    s.legacy_dn = xs(&spec, "/a:Autodiscover/o:Response/o:User/o:LegacyDN");
    s.smtp = xs(&spec, "/a:Autodiscover/o:Response/o:User/o:AutoDiscoverSMTPAddress");
    s.deployment_id = xs(&spec, "/a:Autodiscover/o:Response/o:User/o:DeploymentId");
    s.emsmdb_internal = xs(&spec, "//o:Protocol[@Type='mapiHttp']/o:MailStore/o:InternalUrl");
    s.nspi_internal = xs(&spec, "//o:Protocol[@Type='mapiHttp']/o:AddressBook/o:InternalUrl");
    s.emsmdb_external = s.emsmdb_internal;
    s.nspi_external = s.nspi_internal;
    s.version = 1;
    REQUIRE(s.display_name && s.legacy_dn && s.smtp && s.deployment_id && s.emsmdb_internal &&
            s.nspi_internal);
    size_t len;
    const char *body = mh_ad_pox_settings(pool, &s, &len);
    CHECK_EQ_U(len, strlen(body));
    REQUIRE(xdoc_open(&ours, body, len) == 0);
    static const char *const same[] = {
        "/a:Autodiscover/o:Response/o:User/o:DisplayName",
        "/a:Autodiscover/o:Response/o:User/o:LegacyDN",
        "/a:Autodiscover/o:Response/o:User/o:AutoDiscoverSMTPAddress",
        "/a:Autodiscover/o:Response/o:User/o:DeploymentId",
        "/a:Autodiscover/o:Response/o:Account/o:AccountType",
        "/a:Autodiscover/o:Response/o:Account/o:Action",
        "/a:Autodiscover/o:Response/o:Account/o:Protocol[@Type='mapiHttp']/@Version",
        "/a:Autodiscover/o:Response/o:Account/o:Protocol[@Type='mapiHttp']/o:MailStore/"
        "o:InternalUrl",
        "/a:Autodiscover/o:Response/o:Account/o:Protocol[@Type='mapiHttp']/o:AddressBook/"
        "o:InternalUrl",
    };
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        const char *a = xs(&spec, same[i]), *b = xs(&ours, same[i]);
        if (!a || !b || strcmp(a, b) != 0)
            printf("# %s: spec \"%s\", ours \"%s\"\n", same[i], a ? a : "(none)",
                   b ? b : "(none)");
        CHECK(a && b && strcmp(a, b) == 0);
    }
    /* what we add: ExternalUrl, MicrosoftOnline False; nothing of RPC/HTTP */
    CHECK_STR(xs(&ours, "//o:Protocol[@Type='mapiHttp']/o:MailStore/o:ExternalUrl"),
              s.emsmdb_internal);
    CHECK_STR(xs(&ours, "//o:Protocol[@Type='mapiHttp']/o:AddressBook/o:ExternalUrl"),
              s.nspi_internal);
    CHECK_STR(xs(&ours, "/a:Autodiscover/o:Response/o:Account/o:MicrosoftOnline"), "False");
    CHECK_EQ_U(xcount(&ours, "//o:Protocol"), 1);
    CHECK_EQ_U(xcount(&ours, "//o:Type"), 0);
    /* the User element comes before Account (MS-OXDSCLI 2.2.4.1.1) */
    CHECK_EQ_U(xcount(&ours, "/a:Autodiscover/o:Response/*[1][self::o:User]"), 1);
    xdoc_close(&spec);
    xdoc_close(&ours);
}

static void test_settings_escaping(void)
{
    mh_ad_settings s;
    memset(&s, 0, sizeof(s));
    s.display_name = "O'Brien & <Sons> \"Ltd\"";
    s.legacy_dn = "/o=A/cn=\x01\xff bad \xc3\xa9 ok";
    s.smtp = "a@b.c";
    s.emsmdb_internal = "https://h/mapi/emsmdb/?MailboxId=x@y&z=1";
    size_t len;
    const char *body = mh_ad_pox_settings(pool, &s, &len);
    xdoc x;
    REQUIRE(xdoc_open(&x, body, len) == 0);
    CHECK_STR(xs(&x, "//o:User/o:DisplayName"), "O'Brien & <Sons> \"Ltd\"");
    /* a control character and a stray byte become '?'; valid UTF-8 stays */
    CHECK_STR(xs(&x, "//o:User/o:LegacyDN"), "/o=A/cn=?? bad \xc3\xa9 ok");
    CHECK_STR(xs(&x, "//o:MailStore/o:InternalUrl"), "https://h/mapi/emsmdb/?MailboxId=x@y&z=1");
    /* absent values are left out, not sent empty */
    CHECK_EQ_U(xcount(&x, "//o:DeploymentId"), 0);
    CHECK_EQ_U(xcount(&x, "//o:AddressBook/o:InternalUrl"), 0);
    CHECK_STR(xs(&x, "//o:Protocol/@Version"), "1");
    xdoc_close(&x);
}

static void test_redirect_vs_spec_example(void)
{
    xdoc spec, ours;
    REQUIRE(xdoc_open(&spec, spec_redirect_response, strlen(spec_redirect_response)) == 0);
    const char *addr = xs(&spec, "/a:Autodiscover/o:Response/o:Account/o:RedirectAddr");
    REQUIRE(addr);
    size_t len;
    const char *body = mh_ad_pox_redirect_addr(pool, addr, &len);
    REQUIRE(xdoc_open(&ours, body, len) == 0);
    static const char *const same[] = {"/a:Autodiscover/o:Response/o:Account/o:Action",
                                       "/a:Autodiscover/o:Response/o:Account/o:RedirectAddr"};
    for (size_t i = 0; i < 2; i++) {
        const char *a = xs(&spec, same[i]), *b = xs(&ours, same[i]);
        CHECK(a && b && strcmp(a, b) == 0);
    }
    CHECK_EQ_U(xcount(&ours, "//o:User"), 0);
    xdoc_close(&spec);
    xdoc_close(&ours);
}

static int is_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static void test_error_body(void)
{
    apr_time_t when = apr_time_from_sec(1700000000) + 123456; /* 22:13:20.123456 UTC */
    size_t len;
    const char *body = mh_ad_pox_error(pool, 600, "Invalid Request", when, 1054084152u, &len);
    xdoc x;
    REQUIRE(xdoc_open(&x, body, len) == 0);
    /* the generic namespace on Response too (the digest's D.4 example) */
    CHECK_STR(xs(&x, "/a:Autodiscover/a:Response/a:Error/a:ErrorCode"), "600");
    CHECK_STR(xs(&x, "/a:Autodiscover/a:Response/a:Error/a:Message"), "Invalid Request");
    CHECK_EQ_U(xcount(&x, "/a:Autodiscover/a:Response/a:Error/a:DebugData"), 1);
    CHECK_STR(xs(&x, "/a:Autodiscover/a:Response/a:Error/@Id"), "1054084152");
    const char *t = xs(&x, "/a:Autodiscover/a:Response/a:Error/@Time");
    REQUIRE(t);
    /* hours ":" minutes ":" seconds "." fraction (MS-ASCMD 2.2.3.63 ABNF) */
    CHECK_EQ_U(strlen(t), 16);
    CHECK(is_digits(t, 2) && t[2] == ':' && is_digits(t + 3, 2) && t[5] == ':' &&
          is_digits(t + 6, 2) && t[8] == '.' && is_digits(t + 9, 7));
    apr_time_exp_t tm;
    apr_time_exp_gmt(&tm, when);
    CHECK_STR(t, apr_psprintf(pool, "%02d:%02d:%02d.%07d", tm.tm_hour, tm.tm_min, tm.tm_sec,
                              tm.tm_usec * 10));
    CHECK_EQ_U(xcount(&x, "//o:*"), 0);
    xdoc_close(&x);
}

static void test_json_bodies(void)
{
    size_t len;
    const char *j = mh_ad_json_url(pool, "AutodiscoverV1", "https://h/autodiscover/autodiscover.xml",
                                   &len);
    CHECK_STR(j, "{\"Protocol\":\"AutodiscoverV1\",\"Url\":\"https://h/autodiscover/"
                 "autodiscover.xml\"}");
    CHECK_EQ_U(len, strlen(j));
    j = mh_ad_json_error(pool, "InvalidProtocol", "say \"x\"\\\n\x01\xff", &len);
    CHECK_STR(j, "{\"ErrorCode\":\"InvalidProtocol\",\"ErrorMessage\":\"say \\\"x\\\"\\\\"
                 "\\u000a\\u0001?\"}");
}

static void test_deployment_id(void)
{
    const char *a = mh_ad_deployment_id(pool, "First Organization");
    CHECK_STR(a, mh_ad_deployment_id(pool, NULL));
    CHECK_STR(a, mh_ad_deployment_id(pool, "first ORGANIZATION"));
    const char *b = mh_ad_deployment_id(pool, "Second Organization");
    CHECK(strcmp(a, b) != 0);
    CHECK_EQ_U(strlen(a), 36);
    CHECK(a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
    CHECK(a[14] == '3'); /* version 3 */
    CHECK(strchr("89ab", a[19]) != NULL);
}

static void test_mailbox_url(void)
{
    mh_guid g;
    for (int i = 0; i < 16; i++)
        g.b[i] = (uint8_t)(0x10 + i);
    /* Data1..3 little-endian: 13121110-1514-1716-1819-1a1b1c1d1e1f */
    const char *id = "13121110-1514-1716-1819-1a1b1c1d1e1f";
    CHECK_STR(mh_ad_mailbox_url(pool, "https://mail.example.com", NULL, "emsmdb", &g,
                                "example.com"),
              apr_pstrcat(pool, "https://mail.example.com/mapi/emsmdb/?MailboxId=", id,
                          "@example.com", NULL));
    CHECK_STR(mh_ad_mailbox_url(pool, "https://mail.example.com:8443", "mbx2.example.com",
                                "nspi", &g, "example.com"),
              apr_pstrcat(pool, "https://mbx2.example.com:8443/mapi/nspi/?MailboxId=", id,
                          "@example.com", NULL));
    CHECK_STR(mh_ad_mailbox_url(pool, "https://mail.example.com:8443", "mbx2:9443", "nspi", &g,
                                "example.com"),
              apr_pstrcat(pool, "https://mbx2:9443/mapi/nspi/?MailboxId=", id, "@example.com",
                          NULL));
    CHECK_STR(mh_ad_mailbox_url(pool, "http://[::1]:80", "[fe80::1]", "nspi", &g, "d.example"),
              apr_pstrcat(pool, "http://[fe80::1]:80/mapi/nspi/?MailboxId=", id, "@d.example",
                          NULL));
    /* a domain with characters a query must not hold */
    CHECK_STR(mh_ad_mailbox_url(pool, "https://h", NULL, "nspi", &g, "a&b"),
              apr_pstrcat(pool, "https://h/mapi/nspi/?MailboxId=", id, "@a%26b", NULL));
    CHECK(mh_ad_mailbox_url(pool, "https://h", "evil/x", "nspi", &g, "d") == NULL);
    CHECK(mh_ad_mailbox_url(pool, "https://h", "a b", "nspi", &g, "d") == NULL);
    CHECK(mh_ad_mailbox_url(pool, "https://h", "", "nspi", &g, "d") == NULL);
    CHECK(mh_ad_mailbox_url(pool, "https://h", "h:99999", "nspi", &g, "d") == NULL);
}

static void test_directive_checks(void)
{
    const char *norm = NULL;
    CHECK(mh_ad_base_url_check("https://Mail.Example.com", pool, &norm) == NULL);
    CHECK_STR(norm, "https://mail.example.com");
    CHECK(mh_ad_base_url_check("HTTPS://mail.example.com:8443/", pool, &norm) == NULL);
    CHECK_STR(norm, "https://mail.example.com:8443");
    CHECK(mh_ad_base_url_check("http://[::1]:8080", pool, &norm) == NULL);
    CHECK(mh_ad_base_url_check("mail.example.com", pool, &norm) != NULL);
    CHECK(mh_ad_base_url_check("ftp://mail.example.com", pool, &norm) != NULL);
    CHECK(mh_ad_base_url_check("https://", pool, &norm) != NULL);
    CHECK(mh_ad_base_url_check("https://mail.example.com/mapi", pool, &norm) != NULL);
    CHECK(mh_ad_base_url_check("https://mail.example.com?x", pool, &norm) != NULL);
    CHECK(mh_ad_base_url_check("https://u@mail.example.com", pool, &norm) != NULL);
    CHECK(mh_ad_base_url_check("https://mail.example.com:0", pool, &norm) != NULL);
    CHECK(mh_ad_base_url_check("https://mail.example.com:65536", pool, &norm) != NULL);
    CHECK(mh_ad_base_url_check("https://mail_example.com", pool, &norm) != NULL);

    mh_ad_redirect r;
    CHECK(mh_ad_redirect_check("Partner.Example", "https://ad.partner.example/autodiscover/"
                               "autodiscover.xml", pool, &r) == NULL);
    CHECK_STR(r.domain, "partner.example");
    CHECK_STR(r.url, "https://ad.partner.example/autodiscover/autodiscover.xml");
    CHECK(r.to_domain == NULL);
    CHECK(mh_ad_redirect_check("old.example", "@new.example", pool, &r) == NULL);
    CHECK_STR(r.to_domain, "new.example");
    CHECK(r.url == NULL);
    CHECK(mh_ad_redirect_check("old.example", "@old.example", pool, &r) != NULL);
    CHECK(mh_ad_redirect_check("old example", "@new.example", pool, &r) != NULL);
    CHECK(mh_ad_redirect_check("old.example", "@", pool, &r) != NULL);
    CHECK(mh_ad_redirect_check("old.example", "new.example", pool, &r) != NULL);
    CHECK(mh_ad_redirect_check("old.example", "https://", pool, &r) != NULL);
    CHECK(mh_ad_redirect_check("old.example", "https://h/a b", pool, &r) != NULL);

    CHECK(mh_ad_valid_address("ada@example.com"));
    CHECK(mh_ad_valid_address("a.b-c+d@sub.example.co"));
    CHECK(!mh_ad_valid_address("@example.com"));
    CHECK(!mh_ad_valid_address("ada@"));
    CHECK(!mh_ad_valid_address("ada@example..com"));
    CHECK(!mh_ad_valid_address("ada@example.com."));
    CHECK(!mh_ad_valid_address("<ada>@example.com"));
    CHECK(!mh_ad_valid_address(NULL));
}

static void test_legacy_dn(void)
{
    /* what mapihttp-admin gave new users before the scheme existed */
    CHECK_STR(mh_legacy_dn_make(pool, NULL, NULL, "Ada"),
              "/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)"
              "/cn=Recipients/cn=ada");
    CHECK_STR(mh_legacy_dn_make(pool, "/o=%o/cn=%u%%", "Acme", "J Doe+x@y.z"),
              "/o=Acme/cn=j_doe_x@y.z%");
    CHECK(mh_legacy_dn_scheme_check(MH_DEFAULT_LEGACY_DN_SCHEME, pool) == NULL);
    CHECK(mh_legacy_dn_scheme_check("/o=%o/cn=%u", pool) == NULL);
    CHECK(mh_legacy_dn_scheme_check("/o=Fixed/cn=%u", pool) == NULL);
    CHECK(mh_legacy_dn_scheme_check("/o=%o/cn=x", pool) != NULL);      /* no %u */
    CHECK(mh_legacy_dn_scheme_check("/o=%o/cn=%u%u", pool) != NULL);   /* twice */
    CHECK(mh_legacy_dn_scheme_check("/o=%o%o/cn=%u", pool) != NULL);
    CHECK(mh_legacy_dn_scheme_check("/o=%o/cn=%x%u", pool) != NULL);
    CHECK(mh_legacy_dn_scheme_check("cn=%u", pool) != NULL);
    CHECK(mh_legacy_dn_scheme_check("/o=\t/cn=%u", pool) != NULL);
    CHECK(mh_legacy_dn_scheme_check("", pool) != NULL);
    CHECK(mh_organization_check("First Organization", pool) == NULL);
    CHECK(mh_organization_check("Acme (EU) Ltd.", pool) == NULL);
    CHECK(mh_organization_check("", pool) != NULL);
    CHECK(mh_organization_check(" Acme", pool) != NULL);
    CHECK(mh_organization_check("A/B", pool) != NULL);
    CHECK(mh_organization_check("A=B", pool) != NULL);
    CHECK(mh_organization_check("A\xc3\xa9", pool) != NULL);
    CHECK(mh_organization_check(
              "0123456789012345678901234567890123456789012345678901234567890123456789", pool) !=
          NULL);
    /* an unchecked scheme does not overrun */
    CHECK_STR(mh_legacy_dn_make(pool, "%u%u%u%o%o%", "OO", "u"), "uuuOOOO%");
}

/* ------------------------------------------------ serving, on a store */

static char store_dir[64];
static mh_be *be;
static mh_guid mbx_ada, mbx_bob, mbx_carol, mbx_erin;
static uint32_t id_ada, id_bob, id_carol, id_dave, id_staff, id_erin;

static uint32_t add_entry(mh_dir_type type, const char *login, const char *name,
                          const char *smtp, const char *alias, const char *server,
                          int disabled, int mailbox, mh_guid *g)
{
    mh_dir_entry ent;
    memset(&ent, 0, sizeof(ent));
    ent.type = type;
    ent.login = login;
    ent.display_name = name;
    ent.smtp = smtp;
    const char **aliases = apr_palloc(pool, sizeof(char *));
    aliases[0] = alias;
    ent.n_aliases = alias ? 1 : 0;
    ent.aliases = aliases;
    ent.legacy_dn = mh_legacy_dn_make(pool, NULL, NULL, login ? login : smtp);
    ent.server = server;
    ent.disabled = disabled;
    mh_betxn *t;
    mh_error e = {MH_OK, NULL};
    uint32_t id = 0;
    if (mailbox)
        mh_guid_random(g);
    if (mh_be_begin(be, mailbox ? g : NULL, MH_TXN_WRITE, pool, &t, &e) != MH_OK ||
        mh_be_dir_put(t, &ent, NULL, &id, &e) != MH_OK ||
        (mailbox && mh_provision_in(t, g, id, &e) != MH_OK) || mh_be_commit(t, &e) != MH_OK) {
        printf("# cannot add %s: %s\n", login ? login : smtp, e.detail ? e.detail : "?");
        return 0;
    }
    return id;
}

/* Sets `member`'s rights on a special folder of a mailbox (replacing the
 * folder's table). */
static int set_rights(const mh_guid *mbx, mh_special_folder role, int64_t member,
                      uint32_t rights)
{
    mh_betxn *t;
    mh_error e = {MH_OK, NULL};
    mh_mailbox_info mi;
    if (mh_be_begin(be, mbx, MH_TXN_WRITE, pool, &t, &e) != MH_OK)
        return -1;
    if (mh_be_mailbox_info(t, &mi, &e) != MH_OK) {
        mh_be_abort(t);
        return -1;
    }
    mh_permission row = {member, rights};
    if (mh_be_permissions_set(t, mi.special[role], &row, rights ? 1 : 0, &e) != MH_OK ||
        mh_be_commit(t, &e) != MH_OK)
        return -1;
    return 0;
}

static int open_store(void)
{
    snprintf(store_dir, sizeof(store_dir), "/tmp/mh-adtest-XXXXXX");
    if (!mkdtemp(store_dir))
        return -1;
    const char *why = NULL;
    if (mh_tool_backend(pool, apr_psprintf(pool, "lmdb path=%s size=256M sync=none", store_dir),
                        NULL, 1, -1, -1, &be, &why) != 0) {
        printf("# backend: %s\n", why);
        return -1;
    }
    id_ada = add_entry(MH_DIR_USER, "ada", "Ada Lovelace", "ada@example.com",
                       "countess@example.org", NULL, 0, 1, &mbx_ada);
    id_bob = add_entry(MH_DIR_USER, "bob", "Bob", "bob@example.com", NULL, NULL, 0, 1, &mbx_bob);
    id_carol = add_entry(MH_DIR_USER, "carol", "Carol", "carol@example.com", NULL,
                         "mbx2.example.net", 0, 1, &mbx_carol);
    id_dave = add_entry(MH_DIR_USER, "dave", "Dave", "dave@example.com", NULL, NULL, 0, 0, NULL);
    id_staff = add_entry(MH_DIR_GROUP, NULL, "Staff", "staff@example.com", NULL, NULL, 0, 0,
                         NULL);
    id_erin = add_entry(MH_DIR_USER, "erin", "Erin", "erin@example.com", NULL, NULL, 1, 1,
                        &mbx_erin);
    if (!id_ada || !id_bob || !id_carol || !id_dave || !id_staff || !id_erin)
        return -1;
    return 0;
}

static const mh_ad_config *config(void)
{
    static mh_ad_redirect rd[2];
    static mh_ad_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    mh_ad_redirect_check("partner.example", "https://ad.partner.example/autodiscover/"
                         "autodiscover.xml", pool, &rd[0]);
    mh_ad_redirect_check("old.example", "@example.com", pool, &rd[1]);
    cfg.redirects = rd;
    cfg.n_redirects = 2;
    return &cfg;
}

static mh_ad_out serve_as(const mh_ad_config *cfg, const char *user, const char *body)
{
    mh_ad_in in;
    memset(&in, 0, sizeof(in));
    in.method = "POST";
    in.path = "/Autodiscover/Autodiscover.xml";
    in.user = user;
    in.self_url = "https://mail.example.com:8443";
    in.server_name = "mail.example.com";
    in.body = body;
    in.body_len = strlen(body);
    in.now = apr_time_now();
    mh_ad_out out;
    mh_ad_serve(cfg, be, &in, pool, &out);
    return out;
}

static const char *ask(const char *addr)
{
    return request_for(apr_pstrcat(pool, "<EMailAddress>", addr, "</EMailAddress>" SCHEMA_EL,
                                   NULL));
}

/* The text of the ErrorCode of a POX answer, or NULL. */
static const char *error_code_of(const mh_ad_out *o)
{
    xdoc x;
    if (!o->body || xdoc_open(&x, o->body, o->body_len) != 0)
        return NULL;
    const char *c = xs(&x, "/a:Autodiscover/a:Response/a:Error/a:ErrorCode");
    xdoc_close(&x);
    return c;
}

static const char *guid_str(const mh_guid *g)
{
    const uint8_t *b = g->b;
    return apr_psprintf(pool, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x"
                        "%02x", b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9],
                        b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* Checks a settings answer for the mailbox `g` of `name`. */
static void check_settings(const mh_ad_out *o, const char *name, const char *smtp,
                           const char *login, const mh_guid *g, const char *host)
{
    CHECK_EQ_U(o->status, 200);
    CHECK_STR(o->outcome, "settings");
    xdoc x;
    REQUIRE(o->body && xdoc_open(&x, o->body, o->body_len) == 0);
    CHECK_STR(xs(&x, "//o:User/o:DisplayName"), name);
    CHECK_STR(xs(&x, "//o:User/o:AutoDiscoverSMTPAddress"), smtp);
    CHECK_STR(xs(&x, "//o:User/o:LegacyDN"), mh_legacy_dn_make(pool, NULL, NULL, login));
    CHECK_STR(xs(&x, "//o:User/o:DeploymentId"), mh_ad_deployment_id(pool, NULL));
    const char *mid = apr_pstrcat(pool, guid_str(g), "@", strchr(smtp, '@') + 1, NULL);
    CHECK_STR(xs(&x, "//o:Protocol[@Type='mapiHttp']/o:MailStore/o:ExternalUrl"),
              apr_pstrcat(pool, "https://", host, "/mapi/emsmdb/?MailboxId=", mid, NULL));
    CHECK_STR(xs(&x, "//o:Protocol[@Type='mapiHttp']/o:MailStore/o:InternalUrl"),
              apr_pstrcat(pool, "https://", host, "/mapi/emsmdb/?MailboxId=", mid, NULL));
    CHECK_STR(xs(&x, "//o:Protocol[@Type='mapiHttp']/o:AddressBook/o:ExternalUrl"),
              apr_pstrcat(pool, "https://", host, "/mapi/nspi/?MailboxId=", mid, NULL));
    xdoc_close(&x);
}

static void test_serve_own(void)
{
    const mh_ad_config *cfg = config();
    mh_ad_out o = serve_as(cfg, "ada", ask("ada@example.com"));
    check_settings(&o, "Ada Lovelace", "ada@example.com", "ada", &mbx_ada,
                   "mail.example.com:8443");
    CHECK_STR(o.content_type, "text/xml; charset=utf-8");
    CHECK_STR(o.address, "ada@example.com");
    /* case does not matter; the alias answers with the primary address */
    o = serve_as(cfg, "ada", ask("ADA@Example.COM"));
    check_settings(&o, "Ada Lovelace", "ada@example.com", "ada", &mbx_ada,
                   "mail.example.com:8443");
    o = serve_as(cfg, "ada", ask("countess@example.org"));
    check_settings(&o, "Ada Lovelace", "ada@example.com", "ada", &mbx_ada,
                   "mail.example.com:8443");
    /* by LegacyDN, which wins over the address */
    o = serve_as(cfg, "ada", request_for(apr_pstrcat(
                                  pool, "<EMailAddress>nobody@example.com</EMailAddress>"
                                  "<LegacyDN>", mh_legacy_dn_make(pool, NULL, NULL, "ada"),
                                  "</LegacyDN>" SCHEMA_EL, NULL)));
    check_settings(&o, "Ada Lovelace", "ada@example.com", "ada", &mbx_ada,
                   "mail.example.com:8443");
    /* configured base URLs */
    mh_ad_config c2 = *cfg;
    c2.external_url = "https://ext.example.com";
    c2.internal_url = "https://int.example.local:444";
    o = serve_as(&c2, "ada", ask("ada@example.com"));
    xdoc x;
    REQUIRE(o.body && xdoc_open(&x, o.body, o.body_len) == 0);
    const char *mid = apr_pstrcat(pool, guid_str(&mbx_ada), "@example.com", NULL);
    CHECK_STR(xs(&x, "//o:MailStore/o:ExternalUrl"),
              apr_pstrcat(pool, "https://ext.example.com/mapi/emsmdb/?MailboxId=", mid, NULL));
    CHECK_STR(xs(&x, "//o:MailStore/o:InternalUrl"),
              apr_pstrcat(pool, "https://int.example.local:444/mapi/emsmdb/?MailboxId=", mid,
                          NULL));
    CHECK_STR(xs(&x, "//o:AddressBook/o:InternalUrl"),
              apr_pstrcat(pool, "https://int.example.local:444/mapi/nspi/?MailboxId=", mid,
                          NULL));
    xdoc_close(&x);
    /* another organization: another DeploymentId */
    c2.organization = "Acme";
    o = serve_as(&c2, "ada", ask("ada@example.com"));
    REQUIRE(o.body && xdoc_open(&x, o.body, o.body_len) == 0);
    CHECK_STR(xs(&x, "//o:User/o:DeploymentId"), mh_ad_deployment_id(pool, "Acme"));
    /* the stored legacy DN wins over the scheme */
    CHECK_STR(xs(&x, "//o:User/o:LegacyDN"), mh_legacy_dn_make(pool, NULL, NULL, "ada"));
    xdoc_close(&x);
}

static void test_serve_other_server(void)
{
    const mh_ad_config *cfg = config();
    /* carol's mailbox is on mbx2.example.net: her URLs name that host,
     * with the port of the base URL */
    mh_ad_out o = serve_as(cfg, "carol", ask("carol@example.com"));
    check_settings(&o, "Carol", "carol@example.com", "carol", &mbx_carol,
                   "mbx2.example.net:8443");
}

static void test_serve_rights(void)
{
    const mh_ad_config *cfg = config();
    /* bob has no rights in ada's mailbox: the answer is that of an unknown
     * address, word for word (but the time) */
    mh_ad_out denied = serve_as(cfg, "bob", ask("ada@example.com"));
    mh_ad_out unknown = serve_as(cfg, "bob", ask("nobody@example.com"));
    CHECK_STR(error_code_of(&denied), "500");
    CHECK_STR(error_code_of(&unknown), "500");
    REQUIRE(denied.body && unknown.body);
    const char *td = strstr(denied.body, "Time=\""), *tu = strstr(unknown.body, "Time=\"");
    REQUIRE(td && tu);
    CHECK_EQ_U(denied.body_len, unknown.body_len);
    CHECK(strncmp(denied.body, unknown.body, (size_t)(td - denied.body)) == 0);
    CHECK_STR(td + 23, tu + 23); /* Time="HH:MM:SS.fffffff" */
    CHECK(denied.diag && strstr(denied.diag, "no rights"));
    CHECK(unknown.diag && strstr(unknown.diag, "no directory entry"));

    /* free/busy rights on the calendar are not rights in the mailbox */
    REQUIRE(set_rights(&mbx_ada, MH_SF_CALENDAR, id_bob, FRIGHTS_FREEBUSY_DETAILED |
                                                             FRIGHTS_FREEBUSY_SIMPLE) == 0);
    mh_ad_out o = serve_as(cfg, "bob", ask("ada@example.com"));
    CHECK_STR(error_code_of(&o), "500");

    /* Reviewer on the calendar: bob may see ada's settings (a delegate) */
    REQUIRE(set_rights(&mbx_ada, MH_SF_CALENDAR, id_bob,
                       FRIGHTS_READ_ANY | FRIGHTS_VISIBLE | FRIGHTS_FREEBUSY_SIMPLE) == 0);
    o = serve_as(cfg, "bob", ask("ada@example.com"));
    check_settings(&o, "Ada Lovelace", "ada@example.com", "ada", &mbx_ada,
                   "mail.example.com:8443");
    CHECK(o.diag && strstr(o.diag, "permissions"));
    /* also by her alias */
    o = serve_as(cfg, "bob", ask("countess@example.org"));
    CHECK_STR(o.outcome, "settings");
    /* carol still may not */
    o = serve_as(cfg, "carol", ask("ada@example.com"));
    CHECK_STR(error_code_of(&o), "500");
    /* taken away again */
    REQUIRE(set_rights(&mbx_ada, MH_SF_CALENDAR, id_bob, 0) == 0);
    o = serve_as(cfg, "bob", ask("ada@example.com"));
    CHECK_STR(error_code_of(&o), "500");

    /* through a distribution list carol belongs to, on the Inbox */
    mh_betxn *t;
    mh_error e = {MH_OK, NULL};
    REQUIRE(mh_be_begin(be, NULL, MH_TXN_WRITE, pool, &t, &e) == MH_OK);
    REQUIRE(mh_be_dir_set_members(t, id_staff, &id_carol, 1, &e) == MH_OK);
    REQUIRE(mh_be_commit(t, &e) == MH_OK);
    REQUIRE(set_rights(&mbx_bob, MH_SF_INBOX, id_staff, FRIGHTS_VISIBLE) == 0);
    o = serve_as(cfg, "carol", ask("bob@example.com"));
    check_settings(&o, "Bob", "bob@example.com", "bob", &mbx_bob, "mail.example.com:8443");
    o = serve_as(cfg, "ada", ask("bob@example.com"));
    CHECK_STR(error_code_of(&o), "500");
    /* Default on the IPM subtree: everybody */
    REQUIRE(set_rights(&mbx_bob, MH_SF_IPM_SUBTREE, MH_MEMBER_DEFAULT, FRIGHTS_VISIBLE) == 0);
    o = serve_as(cfg, "ada", ask("bob@example.com"));
    CHECK_STR(o.outcome, "settings");
    REQUIRE(set_rights(&mbx_bob, MH_SF_IPM_SUBTREE, MH_MEMBER_DEFAULT, 0) == 0);
    REQUIRE(set_rights(&mbx_bob, MH_SF_INBOX, id_staff, 0) == 0);
    o = serve_as(cfg, "carol", ask("bob@example.com"));
    CHECK_STR(error_code_of(&o), "500");
}

static void test_serve_errors(void)
{
    const mh_ad_config *cfg = config();
    mh_ad_out o;
    /* a list's address and a user without mailbox: nothing to configure */
    o = serve_as(cfg, "ada", ask("staff@example.com"));
    CHECK_STR(error_code_of(&o), "500");
    o = serve_as(cfg, "dave", ask("dave@example.com"));
    CHECK_STR(error_code_of(&o), "501");
    o = serve_as(cfg, "ada", ask("dave@example.com"));
    CHECK_STR(error_code_of(&o), "500");
    /* a disabled user gets nothing, and nobody gets a disabled mailbox */
    o = serve_as(cfg, "erin", ask("erin@example.com"));
    CHECK_STR(error_code_of(&o), "501");
    REQUIRE(set_rights(&mbx_erin, MH_SF_INBOX, MH_MEMBER_DEFAULT, FRIGHTS_READ_ANY) == 0);
    o = serve_as(cfg, "ada", ask("erin@example.com"));
    CHECK_STR(error_code_of(&o), "500");
    /* a user httpd knows but the directory does not */
    o = serve_as(cfg, "mallory", ask("ada@example.com"));
    CHECK_STR(error_code_of(&o), "500");
    CHECK(o.diag && strstr(o.diag, "mallory"));
    /* malformed, wrong schema */
    o = serve_as(cfg, "ada", "<x");
    CHECK_STR(error_code_of(&o), "600");
    CHECK_EQ_U(o.status, 200);
    o = serve_as(cfg, "ada", request_for("<EMailAddress>ada@example.com</EMailAddress>"
                                         "<AcceptableResponseSchema>urn:x"
                                         "</AcceptableResponseSchema>"));
    CHECK_STR(error_code_of(&o), "601");
    /* no backend */
    mh_ad_in in;
    memset(&in, 0, sizeof(in));
    in.method = "POST";
    in.path = "/autodiscover/autodiscover.xml";
    in.user = "ada";
    in.self_url = "https://h";
    const char *b = ask("ada@example.com");
    in.body = b;
    in.body_len = strlen(b);
    mh_ad_serve(cfg, NULL, &in, pool, &o);
    CHECK_STR(error_code_of(&o), "603");
    /* no user, other methods, too large, GET */
    mh_ad_serve(cfg, be, &(mh_ad_in){.method = "POST", .path = "/autodiscover/autodiscover.xml",
                                     .body = b, .body_len = strlen(b)},
                pool, &o);
    CHECK(o.need_auth);
    CHECK(o.body == NULL);
    mh_ad_serve(cfg, be, &(mh_ad_in){.method = "PUT", .path = "/autodiscover/autodiscover.xml",
                                     .user = "ada"},
                pool, &o);
    CHECK_EQ_U(o.status, 405);
    CHECK_STR(o.allow, "POST, GET");
    mh_ad_serve(cfg, be, &(mh_ad_in){.method = "POST", .path = "/autodiscover/autodiscover.xml",
                                     .user = "ada", .body_too_large = 1},
                pool, &o);
    CHECK_EQ_U(o.status, 413);
    CHECK(o.body == NULL);
    mh_ad_serve(cfg, be, &(mh_ad_in){.method = "GET", .path = "/autodiscover/autodiscover.xml"},
                pool, &o);
    CHECK_STR(error_code_of(&o), "600");
}

static void test_serve_redirects(void)
{
    const mh_ad_config *cfg = config();
    /* another Autodiscover server serves partner.example: 302 */
    mh_ad_out o = serve_as(cfg, "ada", ask("someone@partner.example"));
    CHECK_EQ_U(o.status, 302);
    CHECK_STR(o.location, "https://ad.partner.example/autodiscover/autodiscover.xml");
    CHECK(o.body == NULL);
    /* old.example moved to example.com: redirectAddr */
    o = serve_as(cfg, "ada", ask("ada@old.example"));
    CHECK_EQ_U(o.status, 200);
    CHECK_STR(o.outcome, "redirectAddr");
    xdoc x;
    REQUIRE(o.body && xdoc_open(&x, o.body, o.body_len) == 0);
    CHECK_STR(xs(&x, "//o:Account/o:Action"), "redirectAddr");
    CHECK_STR(xs(&x, "//o:Account/o:RedirectAddr"), "ada@example.com");
    xdoc_close(&x);
    /* the directory comes first: an address of a redirect domain it knows */
    mh_ad_config c2 = *cfg;
    mh_ad_redirect rd;
    mh_ad_redirect_check("example.org", "https://elsewhere.example/autodiscover/"
                         "autodiscover.xml", pool, &rd);
    c2.redirects = &rd;
    c2.n_redirects = 1;
    o = serve_as(&c2, "ada", ask("countess@example.org"));
    CHECK_STR(o.outcome, "settings");
    o = serve_as(&c2, "ada", ask("someone@example.org"));
    CHECK_EQ_U(o.status, 302);
    /* a LegacyDN has no domain: never redirected */
    o = serve_as(cfg, "ada", request_for("<EMailAddress>x@partner.example</EMailAddress>"
                                         "<LegacyDN>/o=X/cn=nobody</LegacyDN>" SCHEMA_EL));
    CHECK_STR(error_code_of(&o), "500");
}

/* A mailbox the directory places on another server whose store is not
 * this one: that server's Autodiscover decides. */
static void test_serve_remote_mailbox(void)
{
    mh_dir_entry ent;
    memset(&ent, 0, sizeof(ent));
    ent.type = MH_DIR_USER;
    ent.login = "frank";
    ent.display_name = "Frank";
    ent.smtp = "frank@example.com";
    ent.legacy_dn = mh_legacy_dn_make(pool, NULL, NULL, "frank");
    ent.server = "mbx9.example.net";
    ent.has_mailbox = 1;
    mh_guid_random(&ent.mailbox);
    mh_betxn *t;
    mh_error e = {MH_OK, NULL};
    uint32_t id;
    REQUIRE(mh_be_begin(be, NULL, MH_TXN_WRITE, pool, &t, &e) == MH_OK);
    if (mh_be_dir_put(t, &ent, NULL, &id, &e) != MH_OK) {
        mh_be_abort(t);
        printf("# SKIP the backend refuses an entry whose mailbox it does not hold\n");
        return;
    }
    REQUIRE(mh_be_commit(t, &e) == MH_OK);
    const mh_ad_config *cfg = config();
    mh_ad_out o = serve_as(cfg, "ada", ask("frank@example.com"));
    CHECK_EQ_U(o.status, 302);
    CHECK_STR(o.location, "https://mbx9.example.net/autodiscover/autodiscover.xml");
    /* frank himself gets his settings without this server reading his store */
    o = serve_as(cfg, "frank", ask("frank@example.com"));
    check_settings(&o, "Frank", "frank@example.com", "frank", &ent.mailbox,
                   "mbx9.example.net:8443");
}

static void test_serve_json(void)
{
    const mh_ad_config *cfg = config();
    mh_ad_out o;
#define JSON(u, p, q) mh_ad_serve(cfg, be, &(mh_ad_in){.method = "GET", .path = (p), .query = (q), \
                                                       .user = (u), .self_url = "https://mail.example.com:8443"}, \
                                  pool, &o)
    /* AutodiscoverV1 needs no user */
    JSON(NULL, "/autodiscover/autodiscover.json/v1.0/ada@example.com", "Protocol=AutodiscoverV1");
    CHECK_EQ_U(o.status, 200);
    CHECK_STR(o.content_type, "application/json; charset=utf-8");
    CHECK_STR(o.body, "{\"Protocol\":\"AutodiscoverV1\",\"Url\":\"https://mail.example.com:8443"
                      "/autodiscover/autodiscover.xml\"}");
    JSON(NULL, "/Autodiscover/Autodiscover.json", "Email=ada%40example.com&Protocol="
                                                  "autodiscoverv1&RedirectCount=1");
    CHECK_EQ_U(o.status, 200);
    CHECK_STR(o.address, "ada@example.com");
    /* a redirect domain's own server */
    JSON(NULL, "/autodiscover/autodiscover.json/v1.0/x@partner.example", "Protocol=AutodiscoverV1");
    CHECK(o.body && strstr(o.body, "\"Url\":\"https://ad.partner.example/autodiscover/"
                                   "autodiscover.xml\""));
    /* the MAPI/HTTP endpoints: for a user, with the same rules as POX */
    JSON(NULL, "/autodiscover/autodiscover.json/v1.0/ada@example.com", "Protocol=Emsmdb");
    CHECK(o.need_auth);
    JSON("ada", "/autodiscover/autodiscover.json/v1.0/ada@example.com", "Protocol=Emsmdb");
    CHECK_EQ_U(o.status, 200);
    CHECK_STR(o.body, apr_pstrcat(pool, "{\"Protocol\":\"Emsmdb\",\"Url\":\"https://mail.example."
                                  "com:8443/mapi/emsmdb/?MailboxId=", guid_str(&mbx_ada),
                                  "@example.com\"}", NULL));
    JSON("ada", "/autodiscover/autodiscover.json/v1.0/ada@example.com", "protocol=NSPI");
    CHECK_STR(o.body, apr_pstrcat(pool, "{\"Protocol\":\"Nspi\",\"Url\":\"https://mail.example."
                                  "com:8443/mapi/nspi/?MailboxId=", guid_str(&mbx_ada),
                                  "@example.com\"}", NULL));
    JSON("bob", "/autodiscover/autodiscover.json/v1.0/ada@example.com", "Protocol=Emsmdb");
    CHECK_EQ_U(o.status, 404);
    CHECK(o.body && strstr(o.body, "\"ErrorCode\":\"UserNotFound\""));
    JSON("ada", "/autodiscover/autodiscover.json/v1.0/x@old.example", "Protocol=Nspi");
    CHECK_EQ_U(o.status, 302);
    CHECK_STR(o.location, "https://mail.example.com:8443/autodiscover/autodiscover.json/v1.0/"
                          "x@example.com?Protocol=Nspi");
    JSON("ada", "/autodiscover/autodiscover.json/v1.0/x@partner.example", "Protocol=Nspi");
    CHECK_EQ_U(o.status, 302);
    CHECK_STR(o.location, "https://ad.partner.example/autodiscover/autodiscover.json/v1.0/"
                          "x@partner.example?Protocol=Nspi");
    /* bad requests */
    JSON("ada", "/autodiscover/autodiscover.json/v1.0/ada@example.com", "Protocol=Ews");
    CHECK_EQ_U(o.status, 400);
    CHECK(o.body && strstr(o.body, "\"ErrorCode\":\"InvalidProtocol\""));
    JSON("ada", "/autodiscover/autodiscover.json/v1.0/ada@example.com", NULL);
    CHECK_EQ_U(o.status, 400);
    JSON("ada", "/autodiscover/autodiscover.json/v1.0/not-an-address", "Protocol=Emsmdb");
    CHECK_EQ_U(o.status, 400);
    CHECK(o.body && strstr(o.body, "InvalidEmailAddress"));
    JSON("ada", "/autodiscover/autodiscover.json", "Protocol=Emsmdb&Email=%zz");
    CHECK_EQ_U(o.status, 400);
    JSON("ada", "/autodiscover/autodiscover.json", "Protocol=Emsmdb&Protocol=Nspi&Email=a%40b.c");
    CHECK_EQ_U(o.status, 400);
    JSON("ada", "/autodiscover/autodiscover.json", "Protocol=Emsmdb&Email=a%00%40b.c");
    CHECK_EQ_U(o.status, 400);
    JSON("ada", "/autodiscover/autodiscover.json/v2.0/ada@example.com", "Protocol=Emsmdb");
    CHECK_EQ_U(o.status, 404);
    mh_ad_serve(cfg, be, &(mh_ad_in){.method = "POST", .path = "/autodiscover/autodiscover.json"},
                pool, &o);
    CHECK_EQ_U(o.status, 405);
    CHECK_STR(o.allow, "GET");
#undef JSON
}

int main(void)
{
    MH_TEST_INIT();
    apr_pool_create(&pool, NULL);
    mh_log_set_sink(NULL, NULL, -1);
    mh_ad_init();
    RUN(test_paths);
    RUN(test_parse_spec_requests);
    RUN(test_parse_malformed);
    RUN(test_parse_schema);
    RUN(test_parse_attacks);
    RUN(test_settings_vs_spec_example);
    RUN(test_settings_escaping);
    RUN(test_redirect_vs_spec_example);
    RUN(test_error_body);
    RUN(test_json_bodies);
    RUN(test_deployment_id);
    RUN(test_mailbox_url);
    RUN(test_directive_checks);
    RUN(test_legacy_dn);
    if (open_store() != 0) {
        printf("not ok - could not prepare the store\n");
        return 1;
    }
    RUN(test_serve_own);
    RUN(test_serve_other_server);
    RUN(test_serve_rights);
    RUN(test_serve_errors);
    RUN(test_serve_redirects);
    RUN(test_serve_remote_mailbox);
    RUN(test_serve_json);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", store_dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", store_dir);
    return MH_TEST_DONE();
}
